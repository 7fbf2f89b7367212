/*
 * bench_storm.c -- the hub's memory under a reconnect storm.
 *
 * libzmq issues #2020 and #4232 report ROUTER memory growing without bound
 * when tens of thousands of peers connect and vanish. This starts a real
 * hub, then in rounds opens many DEALER connections at once (each a new
 * peer identity, as a node restarting would be), has each ping the hub,
 * and closes them all; it reads the hub's resident memory after each round.
 *
 * Usage: bench_storm [--rounds N] [--peers N]
 * Output: "storm <name> <value>" lines.
 */
#include "baocao.pb-c.h"
#include "bc_mem.h"
#include "bc_wire.h"
#include "bench_data.h"
#include "bench_proc.h"

#include <czmq.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int rounds = 40, per_round = 500;
    bool bad = false;
    for (int i = 1; i < argc; i += 2) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(argv[i], "--rounds") && v)
            rounds = atoi(v);
        else if (!strcmp(argv[i], "--peers") && v)
            per_round = atoi(v);
        else
            bad = true;   /* --help too: nothing is started */
    }
    if (bad || rounds < 1 || per_round < 1) {
        fprintf(stderr, "usage: bench_storm [--rounds N] [--peers N (a "
                "round)]\n");
        return 2;
    }
    char hub_bin[4200];
    bench_sibling(hub_bin, sizeof hub_bin, "baocao-hub");
    char tmpl[] = "/tmp/baocao-bench-storm-XXXXXX";
    char *dir = mkdtemp(tmpl);
    bench_write_registry(dir, 10);
    char store[4200], reg[4200], cat[4200], epf[4200];
    snprintf(store, sizeof store, "%s/hub", dir);
    snprintf(reg, sizeof reg, "%s/units.csv", dir);
    snprintf(cat, sizeof cat, "%s/indicators.csv", dir);
    snprintf(epf, sizeof epf, "%s/ep", dir);
    pid_t hub = fork();
    if (hub == 0) {
        int fd = open("/dev/null", O_WRONLY);
        dup2(fd, 2);
        execl(hub_bin, hub_bin, "--store", store, "--registry", reg,
              "--catalog", cat, "--bind", "tcp://127.0.0.1:*",
              "--endpoint-file", epf, "--plain", "--log-level", "error",
              (char *) NULL);
        _exit(127);
    }
    char endpoint[128] = "";
    if (bench_wait_endpoint(hub, epf, endpoint, sizeof endpoint, 5000)) {
        fprintf(stderr, "bench_storm: hub did not start\n");
        return 1;
    }
    zsys_handler_set(NULL);
    zsys_set_max_sockets(per_round * 4 + 64);   /* closed ones linger briefly */
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    Baocao__Ping ping = BAOCAO__PING__INIT;
    req.version = BC_WIRE_VERSION;
    req.body_case = BAOCAO__REQUEST__BODY_PING;
    req.ping = &ping;
    size_t plen;
    uint8_t *packed = bc_wire_pack(&req.base, &plen);
    long start = bench_proc_kb(hub, "status", "VmRSS:"), peak = start;
    zsock_t **socks = bc_calloc((size_t) per_round, sizeof *socks);
    long answered = 0;
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < per_round; i++) {
            socks[i] = zsock_new(ZMQ_DEALER);
            zsock_set_linger(socks[i], 0);
            zsock_connect(socks[i], "%s", endpoint);
            zmq_send(zsock_resolve(socks[i]), packed, plen, 0);
        }
        for (int i = 0; i < per_round; i++) {
            zsock_set_rcvtimeo(socks[i], 5000);
            zframe_t *f = zframe_recv(socks[i]);
            if (f)
                answered++;
            zframe_destroy(&f);
        }
        long now = bench_proc_kb(hub, "status", "VmRSS:");
        if (now > peak)
            peak = now;
        for (int i = 0; i < per_round; i++)
            zsock_destroy(&socks[i]);
        if (r == 0 || (r + 1) % 10 == 0)
            fprintf(stderr, "round %d: %ld peers so far, hub RSS %ld kB\n",
                    r + 1, (long) (r + 1) * per_round, now);
    }
    sleep(1);
    long end = bench_proc_kb(hub, "status", "VmRSS:");
    printf("storm peers %ld\n", (long) rounds * per_round);
    printf("storm answered %ld\n", answered);
    printf("storm rss_start_kb %ld\nstorm rss_peak_kb %ld\nstorm rss_end_kb %ld\n",
           start, peak, end);
    kill(hub, SIGTERM);
    waitpid(hub, NULL, 0);
    free(packed);
    free(socks);
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}
