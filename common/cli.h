/* cli: command-line helpers shared by the tools (flags are checked before anything starts).
 * A usage error prints "<program>: <message> (see --help)" and exits 2. */
#ifndef GRIDLINE_CLI_H
#define GRIDLINE_CLI_H

/* The name used in messages; set once at the start of main. */
void cli_set_program(const char *name);
void cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* A whole decimal number in [min, max], or a usage error naming the flag. */
long cli_parse_long(const char *flag, const char *text, long min, long max);
/* A decimal number in [min, max], or a usage error naming the flag. */
double cli_parse_double(const char *flag, const char *text, double min, double max);

#endif
