/* gridline-sink: a webhook receiver for tests and the demo (see sink.h for what it records).
 * main only parses flags, announces the port, and waits for SIGINT/SIGTERM. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sink.h"

static const char s_usage[] =
    "usage: gridline-sink --port N [options]\n"
    "\n"
    "A webhook receiver for tests and the demo. Every POST/PUT is read whole, answered, and\n"
    "recorded as one JSON line: {\"at_ms\":…,\"method\":…,\"path\":…,\"query\":{the URL's\n"
    "arguments, decoded},\"headers\":{Content-Type "
    "and\n"
    "every X-… header},\"body\":<JSON if the body parses, else a string>,\"raw\":<the body as\n"
    "sent, a string>}.\n"
    "\n"
    "  --port N          port to listen on (required); 0 picks a free one\n"
    "  --host ADDR       address to bind (default 127.0.0.1)\n"
    "  --out FILE        append recorded lines to FILE (default: stdout)\n"
    "  --status CODE     answer recorded requests with CODE, 200..599 (default 200)\n"
    "  --fail-first N    answer the first N POST/PUT requests 503 and do not record them\n"
    "  --delay-ms MS     wait MS milliseconds before answering a POST/PUT (to test timeouts)\n"
    "  --quiet           no line per request on stderr\n"
    "  --minimal         record only {\"at_ms\",\"method\",\"path\",\"bytes\"}: the body is not\n"
    "                    parsed (benchmarks: the receiver should cost the senders little)\n"
    "  --help            this text\n"
    "\n"
    "The first line on stdout is \"listening on ADDR:PORT\". Also served:\n"
    "  GET /healthz   ok\n"
    "  GET /count     {\"received\":N}   (recorded requests)\n"
    "  GET /requests  a JSON array of every recorded line so far\n"
    "SIGINT or SIGTERM stops it. Exit status: 0 stopped, 1 could not listen, 2 bad flags.\n";

int main(int argc, char **argv)
{
    cli_set_program("gridline-sink");
    static const struct option longopts[] = {
        {"port", required_argument, NULL, 'p'},
        {"host", required_argument, NULL, 'H'},
        {"out", required_argument, NULL, 'o'},
        {"status", required_argument, NULL, 's'},
        {"fail-first", required_argument, NULL, 'f'},
        {"delay-ms", required_argument, NULL, 'd'},
        {"quiet", no_argument, NULL, 'q'},
        {"minimal", no_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    sink_options_t options = {.host = "127.0.0.1", .port = -1, .status = 200};
    const char *out_path = NULL;
    opterr = 0; /* our own messages, with the exit status a script can tell from a crash */
    int c;
    while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        switch (c) {
        case 'p':
            options.port = (int)cli_parse_long("--port", optarg, 0, 65535);
            break;
        case 'H':
            options.host = optarg;
            break;
        case 'o':
            out_path = optarg;
            break;
        case 's':
            options.status = (int)cli_parse_long("--status", optarg, 200, 599);
            break;
        case 'f':
            options.fail_first = cli_parse_long("--fail-first", optarg, 0, LONG_MAX);
            break;
        case 'd':
            options.delay_ms = cli_parse_long("--delay-ms", optarg, 0, 3600L * 1000);
            break;
        case 'q':
            options.quiet = true;
            break;
        case 'm':
            options.minimal = true;
            break;
        case 'h':
            fputs(s_usage, stdout);
            return 0;
        case ':':
            cli_usage_error("%s needs a value", argv[optind - 1]);
        default:
            cli_usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        cli_usage_error("unexpected argument '%s'", argv[optind]);
    if (options.port < 0)
        cli_usage_error("%s", "--port is required (0 picks a free port)");

    FILE *out = stdout;
    if (out_path) {
        out = fopen(out_path, "a");
        if (!out) {
            fprintf(stderr, "gridline-sink: cannot open --out %s: %s\n", out_path, strerror(errno));
            return 1;
        }
    }
    options.out = out;

    /* Blocked before any thread starts, so every thread inherits the mask and the signals wait
     * for sigwait below: no handler, no async-signal-safety to worry about. */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN); /* a reader of stdout going away is an error return, not death */

    char err[256];
    sink_t *sink = sink_new(&options, err, sizeof err);
    if (!sink) {
        fprintf(stderr, "gridline-sink: %s\n", err);
        if (out != stdout)
            fclose(out);
        return 1;
    }
    char host[64];
    sink_address(sink, host, sizeof host);
    /* Announced before serving, so it is the first stdout line even when records go to stdout. */
    printf(strchr(host, ':') ? "listening on [%s]:%d\n" : "listening on %s:%d\n", host,
           sink_port(sink));
    fflush(stdout);
    int rc = 0;
    if (sink_start(sink, err, sizeof err) != 0) {
        fprintf(stderr, "gridline-sink: %s\n", err);
        rc = 1;
    } else {
        int signo = 0;
        sigwait(&stop_signals, &signo);
        if (!options.quiet)
            fprintf(stderr, "gridline-sink: %s, stopping\n", strsignal(signo));
    }
    sink_stop(sink); /* answers (and records) the requests still in their --delay-ms */
    if (!options.quiet && rc == 0)
        fprintf(stderr, "gridline-sink: stopped; %zu requests recorded\n", sink_received(sink));
    sink_destroy(&sink);
    if (out != stdout)
        fclose(out);
    return rc;
}
