/*
 * baocao_flaky.c -- `baocao-flaky`: the weak-link proxy as a program, for
 * fault-injection tests run from scripts and other processes.
 *
 * Thin on purpose: parse the options (numeric ones from a table holding
 * their bounds and where they go in flaky_config_t), create the proxy,
 * publish its port (stdout and, atomically, --port-file, so that a test can
 * start us with port 0 and wait for the file), run until SIGTERM/SIGINT or
 * --max-seconds, destroy. All behaviour lives in flaky_proxy.c.
 *
 * Exit codes: 0 clean stop, 1 runtime failure, 2 bad usage.
 */
#include "flaky_proxy.h"

#include "bc_log.h"
#include "bc_version.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define EXIT_OK 0
#define EXIT_FAIL 1
#define EXIT_USAGE 2

#define PROG "baocao-flaky"

/* Where a numeric option is stored. */
typedef enum { NUM_U32, NUM_U64, NUM_INT, NUM_KIB_SIZE } num_kind_t;

typedef struct {
    const char *name;       /* long option, without the dashes */
    num_kind_t kind;        /* type of the field */
    size_t offset;          /* offsetof the field in flaky_config_t */
    uint64_t min;           /* smallest accepted value */
    uint64_t max;           /* largest accepted value */
    const char *help;       /* text for --help, wrapped with CONT */
} num_opt_t;

#define FIELD(f) offsetof(flaky_config_t, f)
/* Continues a help line under the text column of usage(). */
#define CONT "\n                         "

static const num_opt_t num_opts[] = {
    {"port", NUM_INT, FIELD(listen_port), 0, 65535,
     "port to listen on at 127.0.0.1; 0 = any free port," CONT
     "printed on stdout (default 0)"},
    {"latency-ms", NUM_U32, FIELD(latency_ms), 0, 600000,
     "one-way delay: bytes leave only after being held" CONT
     "this long (0)"},
    {"jitter-ms", NUM_U32, FIELD(jitter_ms), 0, 600000,
     "extra delay per read, uniform in 0..N ms; never" CONT
     "reorders bytes (0)"},
    {"rate-bps", NUM_U64, FIELD(rate_bps), 0, UINT64_C(100000000000),
     "bits per second per connection and direction;" CONT
     "0 = unlimited (0)"},
    {"cut-mean-ms", NUM_U32, FIELD(cut_mean_ms), 0, 86400000,
     "reset (RST) each connection after an exponential" CONT
     "lifetime of this mean; 0 = never (0)"},
    {"blackhole-mean-ms", NUM_U32, FIELD(blackhole_mean_ms), 0, 86400000,
     "mean gap between black holes (exponential);" CONT
     "0 = none (0)"},
    {"blackhole-ms", NUM_U32, FIELD(blackhole_ms), 0, 3600000,
     "length of a black hole: nothing moves, data is" CONT
     "held and delivered after it (0)"},
    {"seed", NUM_U64, FIELD(seed), 0, UINT64_MAX,
     "seed of the random streams: same seed, same cuts" CONT
     "and black holes (default: from the clock, logged)"},
    {"max-seconds", NUM_U32, FIELD(max_seconds), 0, 31536000,
     "stop by itself after N seconds; 0 = run until" CONT
     "SIGTERM/SIGINT (0)"},
    {"max-conns", NUM_U32, FIELD(max_conns), 1, 100000,
     "concurrent connections; more wait in the listen" CONT
     "backlog (1024)"},
    {"max-pending-kb", NUM_KIB_SIZE, FIELD(max_pending), 1, 1048576,
     "KiB queued per connection and direction before" CONT
     "the proxy stops reading that side (256)"},
};
#define N_NUM_OPTS (sizeof num_opts / sizeof num_opts[0])

/* getopt_long codes of the options that are not in the table. */
enum { OPT_TARGET = 1000, OPT_PORT_FILE, OPT_LOG_LEVEL, OPT_HELP };

static flaky_proxy_t *volatile the_proxy; /* for the signal handler */

static void on_signal(int sig)
{
    (void) sig;
    flaky_proxy_stop(the_proxy); /* async-signal-safe by contract */
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: " PROG " --target HOST:PORT [options]\n\n"
            "A TCP proxy on 127.0.0.1 that makes each connection to HOST:PORT\n"
            "behave like a weak mobile link (see docs/flaky-proxy.md).\n\n"
            "  --target HOST:PORT     where to forward (required)\n"
            "  --port-file FILE       write the port to FILE atomically\n"
            "                         (temporary file, then rename)\n");
    for (size_t i = 0; i < N_NUM_OPTS; i++) {
        char left[40];
        snprintf(left, sizeof left, "--%s N", num_opts[i].name);
        fprintf(out, "  %-22s %s\n", left, num_opts[i].help);
    }
    fprintf(out,
            "  --log-level LEVEL      debug, info, warn, error or off (info)\n"
            "  -h, --help             this help\n\n"
            "The port is printed on stdout once listening. SIGTERM or SIGINT\n"
            "stop the proxy cleanly.\n"
            "Exit codes: 0 stopped, 1 failure, 2 usage.\n");
}

static int usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* Prints "baocao-flaky: <message>" and a pointer to --help; returns the
 * usage exit code so that callers can `return usage_error(...)`. */
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, PROG ": ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n(try " PROG " --help)\n");
    va_end(ap);
    return EXIT_USAGE;
}

/* Parses a decimal unsigned number in [min, max]. Returns 0 or -1. */
static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
        return -1;
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static void store(flaky_config_t *cfg, const num_opt_t *o, uint64_t v)
{
    char *field = (char *) cfg + o->offset;
    switch (o->kind) {
    case NUM_U32: *(uint32_t *) (void *) field = (uint32_t) v; break;
    case NUM_U64: *(uint64_t *) (void *) field = v; break;
    case NUM_INT: *(int *) (void *) field = (int) v; break;
    case NUM_KIB_SIZE: *(size_t *) (void *) field = (size_t) v * 1024u; break;
    }
}

/* Splits HOST:PORT (HOST may be [v6]) into host (in buf) and port. */
static int parse_target(const char *arg, char *buf, size_t len, int *port)
{
    const char *colon = strrchr(arg, ':');
    if (!colon || colon == arg)
        return -1;
    size_t hlen = (size_t) (colon - arg);
    const char *host = arg;
    if (host[0] == '[' && hlen >= 2 && host[hlen - 1] == ']') {
        host++;
        hlen -= 2;
    }
    if (hlen == 0 || hlen >= len)
        return -1;
    uint64_t p;
    if (parse_u64(colon + 1, 1, 65535, &p) != 0)
        return -1;
    memcpy(buf, host, hlen);
    buf[hlen] = '\0';
    *port = (int) p;
    return 0;
}

/* Each connection takes two descriptors; the default soft limit (often
 * 1024) would cap us near 500 connections for no good reason. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void) setrlimit(RLIMIT_NOFILE, &rl);
    }
}

int main(int argc, char **argv)
{
    if (bc_version_asked("baocao-flaky", argc, argv))
        return 0;
    bc_log_init("flaky", BC_LOG_INFO);

    /* Options: the table's, then the others. */
    struct option longopts[N_NUM_OPTS + 5];
    for (size_t i = 0; i < N_NUM_OPTS; i++)
        longopts[i] = (struct option){num_opts[i].name, required_argument,
                                      NULL, (int) i};
    const struct option others[] = {
        {"target", required_argument, NULL, OPT_TARGET},
        {"port-file", required_argument, NULL, OPT_PORT_FILE},
        {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
        {"help", no_argument, NULL, OPT_HELP},
    };
    for (size_t i = 0; i < 4; i++)
        longopts[N_NUM_OPTS + i] = others[i];
    longopts[N_NUM_OPTS + 4] = (struct option){NULL, 0, NULL, 0};

    flaky_config_t cfg;
    flaky_config_init(&cfg);
    char host[256] = "";
    const char *port_file = NULL;
    bool seeded = false;
    bool have_target = false;

    opterr = 0; /* we word the errors ourselves */
    int c;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        if (c >= 0 && (size_t) c < N_NUM_OPTS) {
            const num_opt_t *o = &num_opts[c];
            uint64_t v;
            if (parse_u64(optarg, o->min, o->max, &v) != 0) {
                return usage_error("--%s '%s': expected a whole number in "
                                   "%" PRIu64 "..%" PRIu64, o->name, optarg,
                                   o->min, o->max);
            }
            store(&cfg, o, v);
            if (o->offset == FIELD(seed))
                seeded = true;
            continue;
        }
        switch (c) {
        case OPT_TARGET:
            if (parse_target(optarg, host, sizeof host, &cfg.target_port) != 0)
                return usage_error("--target '%s': expected HOST:PORT with "
                                   "PORT in 1..65535", optarg);
            have_target = true;
            break;
        case OPT_PORT_FILE:
            port_file = optarg;
            break;
        case OPT_LOG_LEVEL: {
            bc_log_level_t level;
            if (bc_log_parse_level(optarg, &level) != 0)
                return usage_error("--log-level '%s': expected debug, info, "
                                   "warn, error or off", optarg);
            bc_log_level = level;
            break;
        }
        case 'h':
        case OPT_HELP:
            usage(stdout);
            return EXIT_OK;
        case ':':
            return usage_error("%s needs a value", argv[optind - 1]);
        default:
            return usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument '%s'", argv[optind]);
    if (!have_target)
        return usage_error("--target HOST:PORT is required");
    cfg.target_host = host;
    if (!seeded)
        cfg.seed = (uint64_t) time(NULL) ^ ((uint64_t) getpid() << 32);
    char why[160];
    if (flaky_config_check(&cfg, why, sizeof why) != FLAKY_OK)
        return usage_error("%s", why);

    /* Create, publish the port, run, destroy. */
    raise_fd_limit();
    flaky_proxy_t *proxy = flaky_proxy_new(&cfg);
    if (!proxy)
        return EXIT_FAIL; /* logged by flaky_proxy_new */
    the_proxy = proxy;
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN); /* belt and braces: we send with MSG_NOSIGNAL */

    int status = EXIT_OK;
    int port = flaky_proxy_port(proxy);
    printf("%d\n", port);
    fflush(stdout);
    if (port_file) {
        int err = flaky_write_port_file(port_file, port);
        if (err) {
            BC_ERROR("cannot write port file %s: %s", port_file,
                     flaky_strerror(err));
            status = EXIT_FAIL;
            goto out_destroy;
        }
    }
    if (!seeded)
        BC_INFO("seed %" PRIu64 " (pass --seed to replay)", cfg.seed);

    int rc = flaky_proxy_run(proxy, -1);
    if (rc < 0) {
        BC_ERROR("proxy failed: %s", flaky_strerror(rc));
        status = EXIT_FAIL;
    }
    flaky_stats_t st;
    flaky_proxy_stats(proxy, &st);
    BC_INFO("done: %" PRIu64 " connections, %" PRIu64 " cuts, %" PRIu64
            " black holes, %" PRIu64 " bytes up, %" PRIu64 " bytes down",
            st.accepted, st.cuts, st.blackholes, st.bytes_up, st.bytes_down);

out_destroy:
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    the_proxy = NULL;
    flaky_proxy_destroy(&proxy);
    return status;
}
