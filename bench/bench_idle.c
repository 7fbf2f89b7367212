/*
 * bench_idle.c -- what an idle node costs: bytes on the wire, wakeups and
 * CPU (issue #26, item 4).
 *
 * A station files a dozen reports a year on a prepaid data plan, from a
 * battery: what it spends doing nothing matters more than its speed. This
 * starts a real hub and a real node (the shipped programs), with
 * baocao-flaky's engine (tools/flaky_proxy.c, no impairment) between
 * them in a thread of this process to count the bytes. The node delivers
 * one report, then sits idle; after a settling time (past
 * --idle-disconnect) the bench counts, over a window:
 *   - the bytes that crossed the link each way (ZMTP payload and framing;
 *     TCP/IP headers not included);
 *   - the node's context switches (voluntary + involuntary, from
 *     /proc/PID/status): each is a wakeup;
 *   - its CPU time (utime + stime from /proc/PID/stat);
 *   - its memory at the window's end (issue #21, goal 5: RSS at most
 *     8 MiB idle), split as bench_proc_memory does: the shared libraries'
 *     pages, its own anonymous pages, its outbox's map.
 *
 * Usage: bench_idle [--idle-disconnect MS] [--settle S] [--window S]
 * Output: "idle <name> <value>" lines.
 */
#include "bc_mem.h"
#include "bc_report.h"
#include "bench_data.h"
#include "bench_proc.h"
#include "flaky_proxy.h"
#include "node_outbox.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void *run_proxy(void *arg)
{
    flaky_proxy_run(arg, -1);
    return NULL;
}

int main(int argc, char **argv)
{
    const char *idle_ms = "60000";
    int settle = 75, window = 120;
    bool bad = false;
    for (int i = 1; i < argc; i += 2) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(argv[i], "--idle-disconnect") && v)
            idle_ms = v;
        else if (!strcmp(argv[i], "--settle") && v)
            settle = atoi(v);
        else if (!strcmp(argv[i], "--window") && v)
            window = atoi(v);
        else
            bad = true;   /* --help too: nothing is started */
    }
    if (bad || settle < 0 || window < 1) {
        fprintf(stderr, "usage: bench_idle [--idle-disconnect MS (the "
                "node's)] [--settle S] [--window S]\n");
        return 2;
    }
    char hub_bin[4200], node_bin[4200];
    bench_sibling(hub_bin, sizeof hub_bin, "baocao-hub");
    bench_sibling(node_bin, sizeof node_bin, "baocao-node");
    char tmpl[] = "/tmp/baocao-bench-idle-XXXXXX";
    char *dir = mkdtemp(tmpl);
    bench_write_registry(dir, 10);
    char store[4200], reg[4200], cat[4200], epf[4200], outbox[4200],
        hlog[4200], nlog[4200];
    snprintf(store, sizeof store, "%s/hub", dir);
    snprintf(reg, sizeof reg, "%s/units.csv", dir);
    snprintf(cat, sizeof cat, "%s/indicators.csv", dir);
    snprintf(epf, sizeof epf, "%s/ep", dir);
    snprintf(outbox, sizeof outbox, "%s/node", dir);
    snprintf(hlog, sizeof hlog, "%s/hub.log", dir);
    snprintf(nlog, sizeof nlog, "%s/node.log", dir);

    /* The hub. */
    char *hargv[] = {hub_bin, "--store", store, "--registry", reg,
                     "--catalog", cat, "--bind", "tcp://127.0.0.1:*",
                     "--endpoint-file", epf, "--plain", "--log-level",
                     "error", NULL};
    pid_t hub = bench_spawn(hub_bin, hargv, hlog);
    char endpoint[128] = "";
    if (bench_wait_endpoint(hub, epf, endpoint, sizeof endpoint, 10000)) {
        fprintf(stderr, "bench_idle: hub did not start (%s)\n", hlog);
        return 1;
    }

    /* The link: no impairment, bytes counted. */
    flaky_config_t cfg;
    flaky_config_init(&cfg);
    cfg.target_host = "127.0.0.1";
    cfg.target_port = atoi(strrchr(endpoint, ':') + 1);
    flaky_proxy_t *proxy = flaky_proxy_new(&cfg);
    if (!proxy)
        return 1;
    pthread_t thread;
    pthread_create(&thread, NULL, run_proxy, proxy);
    char link[64];
    snprintf(link, sizeof link, "tcp://127.0.0.1:%d", flaky_proxy_port(proxy));

    /* One report in the outbox. */
    char unit[32], err[256];
    bench_facility_code(0, unit, sizeof unit);
    node_outbox_t *o = node_outbox_open(outbox, err, sizeof err);
    if (!o) {
        fprintf(stderr, "bench_idle: %s\n", err);
        return 1;
    }
    bc_report_value_t vals[1] = {{"ind000", true, 42, 0, 0}};
    bc_report_t report = {vals, 1};
    uint8_t id[16];
    uint32_t rev;
    node_outbox_file(o, unit, "2023-01", &report, 1704067200, id, &rev);
    node_outbox_close(&o);

    char *nargv[] = {node_bin, "--store", outbox, "--unit", unit, "--hub",
                     link, "--plain", "--idle-disconnect", (char *) idle_ms,
                     "--log-level", "warn", NULL};
    pid_t node = bench_spawn(node_bin, nargv, nlog);
    fprintf(stderr, "bench_idle: node delivering, then idle; settling %d s, "
            "counting over %d s (--idle-disconnect %s)\n", settle, window,
            idle_ms);
    sleep((unsigned) settle);

    flaky_stats_t a, b;
    flaky_proxy_stats(proxy, &a);
    long sw0 = bench_proc_switches(node, false);
    double cpu0 = bench_proc_cpu_s(node);
    sleep((unsigned) window);
    flaky_proxy_stats(proxy, &b);
    long sw1 = bench_proc_switches(node, false);
    double cpu1 = bench_proc_cpu_s(node);
    double up = (double) (b.bytes_up - a.bytes_up),
           down = (double) (b.bytes_down - a.bytes_down);
    printf("idle idle_disconnect_ms %s\n", idle_ms);
    printf("idle window_s %d\n", window);
    printf("idle bytes_up_per_hour %.0f\n", up * 3600 / window);
    printf("idle bytes_down_per_hour %.0f\n", down * 3600 / window);
    printf("idle bytes_per_month_both_ways %.0f\n",
           (up + down) * 3600 * 24 * 30 / window);
    printf("idle connections %llu\n", (unsigned long long) b.accepted);
    printf("idle wakeups_per_s %.2f\n", (double) (sw1 - sw0) / window);
    printf("idle cpu_pct %.3f\n",
           100.0 * (cpu1 - cpu0) / window);
    bench_proc_mem_t m;
    if (bench_proc_memory(node, "/data.mdb", &m)) {
        printf("idle node_rss_mb %.1f\n", m.rss / 1024.0);
        printf("idle node_libs_mb %.1f\n", m.libs / 1024.0);
        printf("idle node_anon_mb %.1f\n", m.anon / 1024.0);
        printf("idle node_outbox_map_mb %.1f\n", m.map / 1024.0);
        printf("idle node_pss_mb %.1f\n", m.pss / 1024.0);
    }

    kill(node, SIGTERM);
    waitpid(node, NULL, 0);
    kill(hub, SIGTERM);
    waitpid(hub, NULL, 0);
    flaky_proxy_stop(proxy);
    pthread_join(thread, NULL);
    flaky_proxy_destroy(&proxy);
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}
