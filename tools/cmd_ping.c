/*
 * cmd_ping.c -- `baocao ping --hub EP`: one Ping round trip, for
 * healthchecks (Docker, a monitoring probe, a technician checking a link).
 *
 * It says only whether the hub answers within --timeout (exit 0) or not
 * (exit 1: silent, refused key, failed handshake, an error reply), with
 * the round-trip time and the log's head, in one line a probe's log can
 * keep. It goes through the same client as every command (cmd_connect,
 * cmd_call), so a CURVE hub is pinged with --hub-key and --cert like any
 * query, and a mistake in those options is still exit 2.
 */
#include "bc_error.h"
#include "cmd.h"

#include <stdio.h>
#include <time.h>

typedef struct {
    client_opts_t client;   /* hub connection */
    bool quiet;             /* print nothing, only the exit status */
} ping_cfg_t;

static const bc_option_t ping_options[] = {
    CLIENT_OPTIONS(ping_cfg_t),
    {"quiet", BC_OPT_BOOL, offsetof(ping_cfg_t, quiet), 0, 0, NULL, NULL,
     "print nothing: the exit status says it (0 answered, 1 not)"},
};
#define NOPTS (sizeof ping_options / sizeof ping_options[0])

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec * 1000.0 + (double) ts.tv_nsec / 1e6;
}

int cmd_ping(int argc, char **argv)
{
    ping_cfg_t cfg;
    size_t npos;
    int status = EXIT_USAGE;
    bc_client_t *client = NULL;
    int rc = cmd_parse("ping", "--hub ENDPOINT (--hub-key HUB.pub --cert "
                       "NAME.secret | --plain) [--timeout MS] [--quiet]",
                       ping_options, NOPTS, &cfg, argc, argv, NULL, 0, &npos);
    if (rc == 1)
        status = EXIT_OK;
    if (rc)
        goto out_free;
    /* A connect failure is one of the options: exit 2 (cmd.h). */
    if (!(client = cmd_connect("ping", &cfg.client)))
        goto out_free;
    status = EXIT_FAIL;
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    Baocao__Ping ping = BAOCAO__PING__INIT;
    req.body_case = BAOCAO__REQUEST__BODY_PING;
    req.ping = &ping;
    Baocao__Reply *reply;
    double t0 = now_ms();
    /* cmd_call prints why on failure: silent, refused, an error reply. */
    if (cmd_call("ping", client, &req, &reply, cfg.client.timeout_ms))
        goto out_close;
    double ms = now_ms() - t0;
    if (reply->body_case == BAOCAO__REPLY__BODY_PONG) {
        if (!cfg.quiet)
            printf("%s answered in %.1f ms: log at seq %llu\n",
                   cfg.client.hub, ms,
                   (unsigned long long) reply->pong->hub_seq);
        status = EXIT_OK;
    } else {
        fprintf(stderr, "baocao ping: %s answered something other than a "
                "Pong\n", cfg.client.hub);
    }
    baocao__reply__free_unpacked(reply, NULL);
out_close:
    bc_client_destroy(&client);
out_free:
    bc_config_free(ping_options, NOPTS, &cfg);
    return status;
}
