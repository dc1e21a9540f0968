#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define CLI_EXIT_USAGE 2

static const char *s_program = "gridline";

void cli_set_program(const char *name)
{
    s_program = name;
}

void cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", s_program);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (see --help)\n");
    va_end(ap);
    exit(CLI_EXIT_USAGE);
}

long cli_parse_long(const char *flag, const char *text, long min, long max)
{
    char *end = NULL;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno || end == text || *end || value < min || value > max)
        cli_usage_error("%s wants a whole number %ld..%ld, not '%.40s'", flag, min, max, text);
    return value;
}

double cli_parse_double(const char *flag, const char *text, double min, double max)
{
    char *end = NULL;
    errno = 0;
    double value = strtod(text, &end);
    if (errno || end == text || *end || !(value >= min && value <= max))
        cli_usage_error("%s wants a number %g..%g, not '%.40s'", flag, min, max, text);
    return value;
}
