/*
 * baocao_hub.c -- the hub daemon's main(): parse options, build the
 * server, run it, tear it down. All logic lives in the hub library.
 */
#include "bc_error.h"
#include "bc_log.h"
#include "bc_notify.h"
#include "bc_version.h"
#include "hub_server.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: baocao-hub --store DIR --registry UNITS.csv "
            "--catalog INDICATORS.csv\n"
            "                  [--bind ENDPOINT] (--curve-secret HUB.secret "
            "| --plain) [options]\n\n"
            "The provincial hub: receives monthly reports from facility "
            "nodes, stores them\ndurably in LMDB, and answers queries. "
            "Stops cleanly on SIGTERM or SIGINT;\nreloads --registry, "
            "--catalog and --categories on SIGHUP, the units' keys\n"
            "included (baocao registry approve-key), and --rules with them; "
            "a refused file\nkeeps the old ones.\n\n"
            "options:\n");
    bc_config_usage(hub_options, hub_noptions, out);
    fprintf(out, "\nexit status: 0 after a clean stop, 1 on a runtime "
                 "failure or when another hub\nserves the store, 2 on bad "
                 "usage or configuration,\n%d when the store's disk failed "
                 "(I/O error): restart it (the units do).\n",
                 BC_EXIT_STORE_FAILED);
}

int main(int argc, char **argv)
{
    if (bc_version_asked("baocao-hub", argc, argv))
        return 0;
    hub_config_t cfg;
    char err[512] = "";
    int status = 2;
    int rc = bc_config_daemon("baocao-hub", "hub", hub_options, hub_noptions,
                              &cfg, offsetof(hub_config_t, log_level), argc,
                              argv, usage);
    if (rc) {
        status = rc > 0 ? 0 : 2;
        goto out_free;
    }
    hub_server_t *server = hub_server_new(&cfg, &rc, err, sizeof err);
    if (!server) {
        BC_ERROR("%s", err);
        /* The store in use is a refusal (exit 1): the options are right,
         * another hub is serving it. Anything else is configuration. */
        status = rc == BC_EEXIST ? 1 : 2;
        goto out_free;
    }
    /* hub_server_new has opened the store and bound the socket: systemd
     * (Type=notify) may start what depends on the hub now. */
    bc_notify_ready(cfg.bind);
    rc = hub_server_run(server);
    bc_notify_stopping();
    status = rc == BC_OK ? 0 : rc == BC_EFATAL ? BC_EXIT_STORE_FAILED : 1;
    hub_server_destroy(&server);
out_free:
    bc_config_free(hub_options, hub_noptions, &cfg);
    return status;
}
