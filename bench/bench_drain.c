/*
 * bench_drain.c -- how fast a node's backlog drains once the hub is
 * reachable again after an outage (issue #21, item 4).
 *
 * The goal is at least 80 % of what the link's bandwidth allows, counted
 * from the moment the hub is reachable again: the node must learn quickly
 * that the link is back (the backlog probe, node/node_link.c) and then
 * fill it (the window). This starts a real hub and a real node (the
 * shipped programs, default flags, plain) with baocao-flaky's engine
 * between them in a thread of this process: 200 ms one-way latency and
 * 64 kbit/s per direction, no random faults. The node is a district
 * centre filing for its 100 facilities (a unit whose code extends its
 * own), so the backlog can be as long as wanted. Then:
 *   1. one report is delivered (the link is known to work);
 *   2. the outage begins: --outage link is a black hole (the proxy reads,
 *      writes and connects nothing: a radio link gone), --outage hub stops
 *      the hub (the proxy then resets each connection it takes, as a
 *      gateway whose server is gone);
 *   3. --reports reports of 70 figures are filed while it lasts, and the
 *      node tries what it tries for --outage-s seconds;
 *   4. the outage ends (the black hole lifted, or the hub listening again
 *      at the same address), and the clock starts;
 *   5. it stops when the outbox says every report is delivered.
 * The bandwidth allows bytes_up x 8 / 64,000 s for the bytes that crossed
 * the link upwards during the drain (framing and handshakes included);
 * the ratio is that over the drain time. A round trip (0.4 s) at each end
 * of the drain cannot be avoided, so a short backlog cannot reach 80 %
 * however fast the node learns: the default backlog (200 reports, about
 * 35 s of transfer) makes them small.
 *
 * The node's memory is sampled every 20 ms while it drains (issue #21,
 * goal 5: RSS at most 8 MiB while draining a 10,000-report backlog), split
 * as bench_proc_memory does: its own anonymous pages, the shared
 * libraries' pages, and the clean page-cache pages of its outbox's map.
 *
 * Usage: bench_drain [--outage link|hub] [--outage-s S] [--reports N]
 *                    [--backoff-max MS] [--rate-bps N] [--latency-ms MS]
 * --backoff-max is handed to the node (its own default, 60 s, when not
 * given): after a hub outage the drain waits up to one backoff, so this is
 * the knob that trades attempts against a dead hub for a faster drain.
 * --rate-bps 0 --latency-ms 0 is loopback at full speed: a backlog of
 * 10,000 reports (the memory goal's) would take some 20 minutes at
 * 64 kbit/s; the ratio to the bandwidth is then not printed.
 * Output: "drain <name> <value>" lines.
 */
#include "bc_mem.h"
#include "bc_report.h"
#include "bench_data.h"
#include "flaky_proxy.h"
#include "node_outbox.h"
#include "bench_proc.h"
#include "bench_time.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define INDICATORS 70
#define MONTHS 102        /* 2018-01 .. 2026-06: a 10,000-report backlog */

static void *run_proxy(void *arg)
{
    flaky_proxy_run(arg, -1);
    return NULL;
}

/* Starts the hub, bound to `bind`; waits until it listens and writes its
 * endpoint into endpoint. Returns its pid, or -1. */
static pid_t start_hub(char *const hargv[], const char *hub_bin,
                       const char *epf, const char *log, char *endpoint,
                       size_t len)
{
    unlink(epf);
    pid_t hub = bench_spawn(hub_bin, hargv, log);
    return bench_wait_endpoint(hub, epf, endpoint, len, 15000) == 0 ? hub
                                                                     : -1;
}

/* Reports settled (delivered or rejected); *ok gets the delivered. */
static uint64_t settled(const char *outbox, uint64_t *ok)
{
    char err[256];
    node_stats_t st;
    *ok = 0;
    node_outbox_t *o = node_outbox_open(outbox, err, sizeof err);
    if (!o)
        return 0;
    uint64_t n = 0;
    if (node_outbox_stats(o, &st) == 0) {
        n = st.delivered + st.rejected;
        *ok = st.delivered;
    }
    node_outbox_close(&o);
    return n;
}

/* Holds 127.0.0.1:port bound but not listening while the hub is down, so
 * that connections to it are refused as to a stopped hub, and no other
 * program (a test, another bench binding :*) takes the port meanwhile.
 * Returns the socket, or -1. */
static int hold_port(int port)
{
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t) port);
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    if (fd >= 0) {
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, (struct sockaddr *) &a, sizeof a) != 0) {
            close(fd);
            fd = -1;
        }
    }
    return fd;
}

static uint64_t delivered(const char *outbox)
{
    uint64_t ok;
    settled(outbox, &ok);
    return ok;
}

/* Files reports [from, to) for the district centre's facilities: report
 * r is facility r % 100 for month r / 100, months from 2018-01 (the hub
 * refuses a period that has not started). */
static int file_reports(const char *outbox, unsigned from, unsigned to)
{
    char err[256];
    node_outbox_t *o = node_outbox_open(outbox, err, sizeof err);
    if (!o) {
        fprintf(stderr, "bench_drain: %s\n", err);
        return -1;
    }
    char codes[INDICATORS][16];
    for (unsigned i = 0; i < INDICATORS; i++)
        snprintf(codes[i], sizeof codes[i], "ind%03u", i);
    for (unsigned r = from; r < to; r++) {
        unsigned fac = r % BENCH_PER_DISTRICT, month = r / BENCH_PER_DISTRICT;
        bc_report_value_t vals[INDICATORS];
        for (unsigned i = 0; i < INDICATORS; i++)
            vals[i] = (bc_report_value_t){codes[i], true,
                                          bench_value(fac, month, i), 0, 0};
        bc_report_t report = {vals, INDICATORS};
        char unit[32], period[16];
        bench_facility_code(fac, unit, sizeof unit);
        snprintf(period, sizeof period, "%04u-%02u", 2018 + month / 12,
                 month % 12 + 1);
        uint8_t id[16];
        uint32_t rev;
        if (node_outbox_file(o, unit, period, &report, (int64_t) time(NULL), id,
                             &rev)
            != 0) {
            fprintf(stderr, "bench_drain: cannot file report %u\n", r);
            node_outbox_close(&o);
            return -1;
        }
    }
    node_outbox_close(&o);
    return 0;
}

int main(int argc, char **argv)
{
    const char *outage = "link";
    int outage_s = 90;
    unsigned reports = 200;
    const char *backoff_max = NULL;   /* the node's default */
    long rate_bps = 64000, latency_ms = 200;
    bool bad = false;
    for (int i = 1; i < argc; i += 2) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(argv[i], "--outage") && v)
            outage = v;
        else if (!strcmp(argv[i], "--outage-s") && v)
            outage_s = atoi(v);
        else if (!strcmp(argv[i], "--reports") && v)
            reports = (unsigned) atoi(v);
        else if (!strcmp(argv[i], "--backoff-max") && v && atoi(v) > 0)
            backoff_max = v;
        else if (!strcmp(argv[i], "--rate-bps") && v)
            rate_bps = atol(v);
        else if (!strcmp(argv[i], "--latency-ms") && v)
            latency_ms = atol(v);
        else
            bad = true;   /* --help too: nothing is started */
    }
    bool hub_outage = !strcmp(outage, "hub");
    if (bad || (!hub_outage && strcmp(outage, "link")) || reports < 1
        || reports + 1 > BENCH_PER_DISTRICT * MONTHS || outage_s < 0
        || rate_bps < 0 || latency_ms < 0) {
        fprintf(stderr, "usage: bench_drain [--outage link|hub] "
                "[--outage-s S] [--reports N (1..10199)] "
                "[--backoff-max MS (the node's)] [--rate-bps N (64000; 0: "
                "no cap)] [--latency-ms MS (200)]\n");
        return 2;
    }
    char hub_bin[4200], node_bin[4200];
    bench_sibling(hub_bin, sizeof hub_bin, "baocao-hub");
    bench_sibling(node_bin, sizeof node_bin, "baocao-node");
    char tmpl[] = "/tmp/baocao-bench-drain-XXXXXX";
    char *dir = mkdtemp(tmpl);
    if (!dir)
        return 1;
    bench_write_registry(dir, INDICATORS);
    char store[4200], reg[4200], cat[4200], epf[4200], outbox[4200],
        hlog[4200], nlog[4200];
    snprintf(store, sizeof store, "%s/hub", dir);
    snprintf(reg, sizeof reg, "%s/units.csv", dir);
    snprintf(cat, sizeof cat, "%s/indicators.csv", dir);
    snprintf(epf, sizeof epf, "%s/ep", dir);
    snprintf(outbox, sizeof outbox, "%s/node", dir);
    snprintf(hlog, sizeof hlog, "%s/hub.log", dir);
    snprintf(nlog, sizeof nlog, "%s/node.log", dir);

    /* The hub, on a port of its choosing first, then the same one. */
    char bind[128] = "tcp://127.0.0.1:*", endpoint[128];
    char *hargv[] = {hub_bin, "--store", store, "--registry", reg,
                     "--catalog", cat, "--bind", bind, "--endpoint-file",
                     epf, "--plain", "--log-level", "warn", NULL};
    pid_t hub = start_hub(hargv, hub_bin, epf, hlog, endpoint,
                          sizeof endpoint);
    if (hub < 0) {
        fprintf(stderr, "bench_drain: hub did not start (%s)\n", hlog);
        return 1;
    }
    snprintf(bind, sizeof bind, "%s", endpoint);

    flaky_config_t cfg;
    flaky_config_init(&cfg);
    cfg.target_host = "127.0.0.1";
    cfg.target_port = atoi(strrchr(endpoint, ':') + 1);
    cfg.latency_ms = (int) latency_ms;
    cfg.rate_bps = (uint64_t) rate_bps;
    flaky_proxy_t *proxy = flaky_proxy_new(&cfg);
    if (!proxy)
        return 1;
    pthread_t thread;
    pthread_create(&thread, NULL, run_proxy, proxy);
    char link[64];
    snprintf(link, sizeof link, "tcp://127.0.0.1:%d", flaky_proxy_port(proxy));

    /* 1. One report over a working link. */
    char unit[32];
    bench_district_code(0, unit, sizeof unit);
    if (file_reports(outbox, 0, 1))
        return 1;
    /* Without --backoff-max the list ends at its first NULL. */
    char *nargv[] = {node_bin, "--store", outbox, "--unit", unit, "--hub",
                     link, "--plain", "--log-level", "info",
                     backoff_max ? "--backoff-max" : NULL,
                     (char *) backoff_max, NULL};
    pid_t node = bench_spawn(node_bin, nargv, nlog);
    double t = bench_now_s();
    while (delivered(outbox) < 1 && bench_now_s() - t < 60)
        usleep(20000);
    if (delivered(outbox) < 1) {
        fprintf(stderr, "bench_drain: the first report was not delivered "
                "(%s)\n", nlog);
        return 1;
    }

    /* 2-3. The outage, and the backlog filed meanwhile. */
    flaky_stats_t s0, s_end, s1, s2;
    flaky_proxy_stats(proxy, &s0);
    int held = -1;
    if (hub_outage) {
        kill(hub, SIGTERM);
        waitpid(hub, NULL, 0);
        held = hold_port(cfg.target_port);
    } else {
        flaky_proxy_blackhole(proxy, 1);
    }
    fprintf(stderr, "bench_drain: %s outage for %d s, %u reports filed; "
            "logs in %s\n", outage, outage_s, reports, dir);
    if (file_reports(outbox, 1, reports + 1))
        return 1;
    sleep((unsigned) outage_s);

    /* 4-5. Reachable again: the clock runs until the outbox is drained. */
    flaky_proxy_stats(proxy, &s_end);   /* the outage's last moment */
    double t0 = bench_now_s();
    if (hub_outage) {
        if (held >= 0)
            close(held);
        hub = start_hub(hargv, hub_bin, epf, hlog, endpoint,
                        sizeof endpoint);
        if (hub < 0) {
            /* Its port taken meanwhile (by another program: run one bench
             * at a time). */
            fprintf(stderr, "bench_drain: hub did not restart (%s)\n", hlog);
            kill(node, SIGTERM);
            waitpid(node, NULL, 0);
            return 1;
        }
        t0 = bench_now_s();   /* listening from here */
    } else {
        flaky_proxy_blackhole(proxy, 0);
    }
    flaky_proxy_stats(proxy, &s1);
    uint64_t ok = 0;
    bench_proc_mem_t m, peak = {0, 0, 0, 0, 0};
    long peak_own = 0;   /* rss - map: what the outbox's pages do not hold */
    while (settled(outbox, &ok) < reports + 1 && bench_now_s() - t0 < 900) {
        if (bench_proc_memory(node, "/data.mdb", &m)) {
            peak.rss = m.rss > peak.rss ? m.rss : peak.rss;
            peak.pss = m.pss > peak.pss ? m.pss : peak.pss;
            peak.anon = m.anon > peak.anon ? m.anon : peak.anon;
            peak.libs = m.libs > peak.libs ? m.libs : peak.libs;
            peak.map = m.map > peak.map ? m.map : peak.map;
            if (m.rss - m.map > peak_own)
                peak_own = m.rss - m.map;
        }
        usleep(20000);
    }
    double t1 = bench_now_s();
    flaky_proxy_stats(proxy, &s2);
    /* A rejection means the bench is wrong (another program answered on
     * the hub's port): say so rather than time it. So does an answer
     * during a hub outage: the port is held bound but not listening, and
     * a program that binds a port of the kernel's choosing with
     * SO_REUSEADDR (a ZeroMQ server on "tcp://...:*") can be given that
     * port and answer the node (two runs of 2026-12-04, 17 connections
     * where the attempt bound allows 9 to 14). */
    bool done = ok >= reports + 1;
    bool foreign = hub_outage && s_end.bytes_down > s0.bytes_down;
    if (foreign) {
        fprintf(stderr, "bench_drain: %llu bytes came down while the hub "
                "was stopped: another program took its port (run one "
                "bench at a time); the figures below do not count\n",
                (unsigned long long) (s_end.bytes_down - s0.bytes_down));
        done = false;
    }

    double up = (double) (s2.bytes_up - s1.bytes_up);
    double allowed = rate_bps ? up * 8 / (double) rate_bps : 0,
           took = t1 - t0;
    printf("drain outage %s\n", outage);
    printf("drain outage_s %d\n", outage_s);
    printf("drain node_backoff_max_ms %s\n",
           backoff_max ? backoff_max : "60000 (default)");
    printf("drain reports %u\n", reports);
    printf("drain link_rate_bps %ld\n", rate_bps);
    printf("drain link_latency_ms %ld\n", latency_ms);
    printf("drain complete %s\n", done ? "yes"
                                   : foreign ? "NO (another program answered "
                                               "on the hub's port)"
                                             : "NO (rejections, or 900 s "
                                               "passed)");
    printf("drain connections_during_outage %llu\n",
           (unsigned long long) (s1.accepted - s0.accepted));
    printf("drain bytes_up %.0f\n", up);
    printf("drain bytes_up_per_report %.0f\n", up / reports);
    printf("drain took_s %.2f\n", took);
    if (rate_bps) {
        printf("drain bandwidth_allows_s %.2f\n", allowed);
        printf("drain ratio_pct %.1f\n", 100.0 * allowed / took);
    } else {
        printf("drain reports_per_s %.0f\n", reports / took);
    }
    /* Peaks over the drain, each on its own (they need not coincide). */
    printf("drain node_rss_peak_mb %.1f\n", peak.rss / 1024.0);
    printf("drain node_rss_apart_from_outbox_map_peak_mb %.1f\n",
           peak_own / 1024.0);
    printf("drain node_outbox_map_peak_mb %.1f\n", peak.map / 1024.0);
    printf("drain node_libs_peak_mb %.1f\n", peak.libs / 1024.0);
    printf("drain node_anon_peak_mb %.1f\n", peak.anon / 1024.0);
    printf("drain node_pss_peak_mb %.1f\n", peak.pss / 1024.0);

    kill(node, SIGTERM);
    waitpid(node, NULL, 0);
    kill(hub, SIGTERM);
    waitpid(hub, NULL, 0);
    flaky_proxy_stop(proxy);
    pthread_join(thread, NULL);
    flaky_proxy_destroy(&proxy);
    char cmd[4200];
    if (getenv("BENCH_KEEP"))
        fprintf(stderr, "bench_drain: kept %s\n", dir);
    else {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            return 1;
    }
    return done ? 0 : 1;
}
