/*
 * bench_floor.c -- the floor under every query figure: what one request
 * and its reply cost over ZeroMQ on this machine with nothing else done,
 * against what a Ping to the hub costs (issue 21, goal 2).
 *
 * Goal 2 asks every query at p50 <= 100 us end to end; a bare Ping to the
 * hub was measured at 0.10-0.16 ms. This separates the part of a Ping that
 * is ZeroMQ's own from the part the hub and bc_client add:
 *
 *   servers:  "echo"  a ROUTER that sends every message straight back
 *                     (blocking receive, no poll, one socket): the least a
 *                     ZeroMQ server can do. A child process of this bench,
 *                     as the hub is a process of its own.
 *             "hub"   the shipped baocao-hub on a fresh store (the bench's
 *                     registry), or the one at --endpoint.
 *   clients:  "raw"   a DEALER, zmq_send then a blocking zmq_recv.
 *             "bc"    bc_client_call (common/bc_client.c), what the tools
 *                     and bench_ingest use.
 *
 * Every pair sends the same bytes: a packed Request with a Ping. Request
 * and Reply number their fields alike (version 1, tag 2, ping/pong 14), so
 * the echoed bytes decode as a Reply with an empty Pong and bc_client
 * takes them as the hub's answer. Same transport as bench_ingest: plain
 * TCP on loopback, no CURVE (the hub runs --plain).
 *
 * The pairs are timed in rounds, interleaved (a round of each, then again),
 * so that the load of the other programs on the machine falls on all of
 * them alike. Besides the percentiles it counts, per request, the context
 * switches of the client (this process, all threads) and of the server
 * (all threads of the child, /proc/PID/task/STAR/status), and the server's
 * CPU time: these do not depend on the machine's load the way wall clock
 * does. System calls are counted from outside (BENCHMARKS.md gives the
 * strace and perf commands; --serve runs the echo alone for them).
 *
 * Usage: bench_floor [--requests N] [--rounds R] [--hub-bin PATH]
 *                    [--endpoint EP] [--echo EP] [--no-hub] [--only NAME]
 *        bench_floor --serve ENDPOINT      (the echo server alone)
 * --endpoint and --echo use a hub and an echo server already running (to
 * be traced from outside); --only times the pairs whose name contains
 * NAME (echo_raw, echo_bc, hub_raw, hub_bc).
 * Output: "floor <name> <value>" lines.
 */
#include "baocao.pb-c.h"
#include "bc_client.h"
#include "bc_error.h"
#include "bc_mem.h"
#include "bc_wire.h"
#include "bench_data.h"
#include "bench_proc.h"
#include "bench_time.h"

#include <czmq.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* --- counters of a process, all its threads ------------------------------ */

/* --- the echo server ----------------------------------------------------- */

static volatile sig_atomic_t echo_stop;

static void on_term(int sig)
{
    (void) sig;
    echo_stop = 1;
}

/* Sends every message back to whoever sent it until SIGTERM. Writes the
 * bound endpoint and a newline to fd `ready` (if >= 0). */
static int serve_echo(const char *bind, int ready)
{
    zsys_handler_set(NULL);
    struct sigaction sa = {0};
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    zsock_t *router = zsock_new(ZMQ_ROUTER);
    if (!router)
        return 1;
    zsock_set_linger(router, 0);
    /* A SIGTERM may land on one of libzmq's threads, which do not block
     * it, and then interrupts nothing: the receive times out so that the
     * flag is looked at anyway (a stop without it waited for ever). */
    zsock_set_rcvtimeo(router, 100);
    if (zsock_bind(router, "%s", bind) < 0) {
        fprintf(stderr, "bench_floor: cannot bind %s: %s\n", bind,
                zmq_strerror(zmq_errno()));
        zsock_destroy(&router);
        return 1;
    }
    char *ep = zsock_last_endpoint(router);
    if (ready >= 0) {
        dprintf(ready, "%s\n", ep);
        close(ready);
    } else {
        printf("floor echo_endpoint %s\n", ep);
        fflush(stdout);
    }
    zstr_free(&ep);
    void *s = zsock_resolve(router);
    zmq_msg_t route, body;
    zmq_msg_init(&route);
    zmq_msg_init(&body);
    while (!echo_stop) {
        if (zmq_msg_recv(&route, s, 0) < 0 || zmq_msg_recv(&body, s, 0) < 0)
            continue;   /* EINTR or the timeout: look at the flag */
        /* zmq_msg_send takes the frames' contents and leaves them empty
         * for the next receive: no copy, no allocation. */
        zmq_msg_send(&route, s, ZMQ_SNDMORE);
        zmq_msg_send(&body, s, 0);
    }
    zmq_msg_close(&route);
    zmq_msg_close(&body);
    zsock_destroy(&router);
    return 0;
}

/* --- the hub ------------------------------------------------------------- */

/* Starts `hub_bin` on a fresh store in dir, plain, on a free port; its
 * endpoint into ep. Returns its pid, or -1. */
static pid_t start_hub(const char *hub_bin, const char *dir, char *ep,
                       size_t eplen)
{
    char store[4096], reg[4096], cat[4096], epf[4096], log[4096];
    snprintf(store, sizeof store, "%s/hub", dir);
    snprintf(reg, sizeof reg, "%s/units.csv", dir);
    snprintf(cat, sizeof cat, "%s/indicators.csv", dir);
    snprintf(epf, sizeof epf, "%s/hub.endpoint", dir);
    snprintf(log, sizeof log, "%s/hub.log", dir);
    bench_write_registry(dir, BENCH_INDICATORS);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        dup2(fd, 2);
        execl(hub_bin, hub_bin, "--store", store, "--registry", reg,
              "--catalog", cat, "--bind", "tcp://127.0.0.1:*",
              "--endpoint-file", epf, "--plain", "--map-size", "1G",
              "--log-level", "warn", (char *) NULL);
        _exit(127);
    }
    int up = pid > 0 ? bench_wait_endpoint(pid, epf, ep, eplen, 30000) : 1;
    if (up == 0)
        return pid;
    fprintf(stderr, "bench_floor: the hub did not start (see %s)\n", log);
    if (up < 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    return -1;
}

/* --- the clients --------------------------------------------------------- */

typedef struct {
    const char *name;        /* "echo_raw", ... */
    pid_t server;            /* the server's pid (0: unknown, --endpoint) */
    zsock_t *raw;            /* DEALER for the raw client, or NULL */
    bc_client_t *bc;         /* bc_client, or NULL */
    double *lat;             /* round trips, ms */
    size_t n;                /* of them */
    long client_sw, server_sw;   /* context switches while timed */
    double server_cpu;       /* server CPU while timed, s */
    double client_cpu;       /* this process's CPU while timed, s */
} pair_t;

static double self_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double) ru.ru_utime.tv_sec + (double) ru.ru_utime.tv_usec / 1e6
           + (double) ru.ru_stime.tv_sec + (double) ru.ru_stime.tv_usec / 1e6;
}

/* One Ping round trip of pair p; 0 or -1. */
static int ping_once(pair_t *p, uint64_t tag)
{
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    Baocao__Ping ping = BAOCAO__PING__INIT;
    req.body_case = BAOCAO__REQUEST__BODY_PING;
    req.ping = &ping;
    if (p->bc) {
        Baocao__Reply *rep = NULL;
        int rc = bc_client_call(p->bc, &req, &rep, 10000);
        bool ok = rc == BC_OK && rep->body_case == BAOCAO__REPLY__BODY_PONG;
        if (rep)
            baocao__reply__free_unpacked(rep, NULL);
        return ok ? 0 : -1;
    }
    /* The raw client: the same bytes, packed on the stack. */
    uint8_t buf[64], in[256];
    req.version = BC_WIRE_VERSION;
    req.tag = tag;
    size_t len = baocao__request__pack(&req, buf);
    void *s = zsock_resolve(p->raw);
    if (zmq_send(s, buf, len, 0) < 0)
        return -1;
    return zmq_recv(s, in, sizeof in, 0) > 0 ? 0 : -1;
}

static int run_round(pair_t *p, long long n, pid_t self)
{
    long sw0 = bench_proc_switches(self, true),
         ssw0 = p->server ? bench_proc_switches(p->server, true) : 0;
    double c0 = self_cpu_s(),
           s0 = p->server ? bench_proc_cpu_s(p->server) : 0;
    for (long long i = 0; i < n; i++) {
        double a = bench_now_s();
        if (ping_once(p, (uint64_t) p->n + 1)) {
            fprintf(stderr, "bench_floor: %s: no answer\n", p->name);
            return -1;
        }
        p->lat[p->n++] = (bench_now_s() - a) * 1000;
    }
    p->client_sw += bench_proc_switches(self, true) - sw0;
    p->client_cpu += self_cpu_s() - c0;
    if (p->server) {
        p->server_sw += bench_proc_switches(p->server, true) - ssw0;
        p->server_cpu += bench_proc_cpu_s(p->server) - s0;
    }
    return 0;
}

int main(int argc, char **argv)
{
    long long requests = 2000, rounds = 5;
    const char *hub_bin = NULL, *endpoint = NULL, *serve = NULL;
    const char *echo_at = NULL, *only = NULL;
    bool no_hub = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--requests") && v) requests = atoll(v), i++;
        else if (!strcmp(a, "--rounds") && v) rounds = atoll(v), i++;
        else if (!strcmp(a, "--hub-bin") && v) hub_bin = v, i++;
        else if (!strcmp(a, "--endpoint") && v) endpoint = v, i++;
        else if (!strcmp(a, "--serve") && v) serve = v, i++;
        else if (!strcmp(a, "--echo") && v) echo_at = v, i++;
        else if (!strcmp(a, "--only") && v) only = v, i++;
        else if (!strcmp(a, "--no-hub")) no_hub = true;
        else {
            fprintf(stderr, "usage: bench_floor [--requests N] [--rounds R] "
                    "[--hub-bin PATH] [--endpoint EP] [--echo EP] "
                    "[--no-hub] [--only NAME]\n"
                    "       bench_floor --serve ENDPOINT   (the echo server "
                    "alone, until SIGTERM)\n"
                    "  --endpoint: a running hub instead of a fresh one\n");
            return 2;
        }
    }
    if (serve)
        return serve_echo(serve, -1);
    if (requests < 1 || rounds < 1) {
        fprintf(stderr, "bench_floor: --requests and --rounds >= 1\n");
        return 2;
    }

    /* The echo server, forked before this process opens any ZeroMQ
     * context (a context does not survive a fork). */
    char echo_ep[128] = "";
    pid_t echo = 0;
    if (echo_at)
        snprintf(echo_ep, sizeof echo_ep, "%s", echo_at);
    else {
        int fds[2];
        if (pipe(fds)) {
            perror("bench_floor: pipe");
            return 1;
        }
        echo = fork();
        if (echo == 0) {
            close(fds[0]);
            _exit(serve_echo("tcp://127.0.0.1:*", fds[1]));
        }
        close(fds[1]);
        FILE *rf = fdopen(fds[0], "r");
        if (!rf || !fgets(echo_ep, sizeof echo_ep, rf)) {
            fprintf(stderr, "bench_floor: the echo server did not start\n");
            return 1;
        }
        fclose(rf);
        echo_ep[strcspn(echo_ep, "\n")] = '\0';
    }

    char hub_ep[128] = "", dir[] = "/tmp/baocao-floor-XXXXXX";
    pid_t hub = 0;
    bool own_dir = false;
    if (endpoint)
        snprintf(hub_ep, sizeof hub_ep, "%s", endpoint);
    else if (!no_hub) {
        char bin[4200];
        if (!hub_bin) {
            bench_sibling(bin, sizeof bin, "baocao-hub");
            hub_bin = bin;
        }
        if (!mkdtemp(dir)) {
            perror("bench_floor: mkdtemp");
            goto out_stop;
        }
        own_dir = true;
        if ((hub = start_hub(hub_bin, dir, hub_ep, sizeof hub_ep)) < 0) {
            hub = 0;
            goto out_stop;
        }
    }

    zsys_handler_set(NULL);
    pair_t pairs[4];
    size_t np = 0;
    const char *eps[2] = {echo_ep, hub_ep};
    const char *names[4] = {"echo_raw", "echo_bc", "hub_raw", "hub_bc"};
    for (int s = 0; s < 2; s++) {
        if (!*eps[s])
            continue;
        for (int c = 0; c < 2; c++) {
            if (only && !strstr(names[s * 2 + c], only))
                continue;
            pair_t *p = &pairs[np++];
            memset(p, 0, sizeof *p);
            p->name = names[s * 2 + c];
            p->server = s == 0 ? echo : hub;
            p->lat = bc_malloc((size_t) (requests * rounds) * sizeof(double));
            if (c == 0) {
                p->raw = zsock_new(ZMQ_DEALER);
                zsock_set_linger(p->raw, 0);
                /* A server gone (an --echo that is not there) is an
                 * error after 10 s, as bc_client_call's, not a hang. */
                zsock_set_rcvtimeo(p->raw, 10000);
                zsock_connect(p->raw, "%s", eps[s]);
            } else {
                char err[256];
                p->bc = bc_client_new(eps[s], NULL, err, sizeof err);
                if (!p->bc) {
                    fprintf(stderr, "bench_floor: %s\n", err);
                    goto out_stop;
                }
            }
        }
    }
    /* Warm up: connections made, first pages touched; not counted. */
    for (size_t i = 0; i < np; i++)
        for (int w = 0; w < 200; w++)
            if (ping_once(&pairs[i], (uint64_t) w + 1))
                goto out_stop;
    for (size_t i = 0; i < np; i++)
        pairs[i].n = 0;
    pid_t self = getpid();
    for (long long r = 0; r < rounds; r++)
        for (size_t i = 0; i < np; i++)
            if (run_round(&pairs[i], requests, self))
                goto out_stop;

    double load[3] = {0, 0, 0};
    if (getloadavg(load, 3) < 0)
        load[0] = -1;
    printf("floor requests_per_pair %lld\n", requests * rounds);
    printf("floor load_average_1min %.2f\n", load[0]);
    for (size_t i = 0; i < np; i++) {
        pair_t *p = &pairs[i];
        double n = (double) p->n;
        printf("floor %s_p50_ms %.3f\n", p->name, bench_pct(p->lat, p->n, 0.50));
        printf("floor %s_p99_ms %.3f\n", p->name, bench_pct(p->lat, p->n, 0.99));
        printf("floor %s_client_switches_per_req %.2f\n", p->name,
               (double) p->client_sw / n);
        printf("floor %s_client_cpu_us_per_req %.1f\n", p->name,
               p->client_cpu * 1e6 / n);
        if (p->server) {
            printf("floor %s_server_switches_per_req %.2f\n", p->name,
                   (double) p->server_sw / n);
            printf("floor %s_server_cpu_us_per_req %.1f\n", p->name,
                   p->server_cpu * 1e6 / n);
        }
    }
    for (size_t i = 0; i < np; i++) {
        zsock_destroy(&pairs[i].raw);
        bc_client_destroy(&pairs[i].bc);
        free(pairs[i].lat);
    }
    if (echo) {
        kill(echo, SIGTERM);
        waitpid(echo, NULL, 0);
    }
    if (hub) {
        kill(hub, SIGTERM);
        waitpid(hub, NULL, 0);
    }
    if (own_dir) {
        char cmd[4200];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "bench_floor: could not remove %s\n", dir);
    }
    return 0;

out_stop:
    if (echo) {
        kill(echo, SIGKILL);
        waitpid(echo, NULL, 0);
    }
    if (hub) {
        kill(hub, SIGKILL);
        waitpid(hub, NULL, 0);
    }
    return 1;
}
