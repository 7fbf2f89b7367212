/*
 * baocao_node.c -- the node daemon's main(): options, sender, run.
 */
#include "bc_error.h"
#include "bc_log.h"
#include "bc_notify.h"
#include "bc_version.h"
#include "node_form.h"
#include "node_sender.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* The node's options and the station form's (node_form.h), in one table. */
typedef struct {
    node_config_t node;          /* first: node_options' offsets hold */
    node_form_config_t form;     /* --form, --catalog, --form-url-file */
} main_config_t;

#define NOPTS_MAX 64
static bc_option_t all_options[NOPTS_MAX];
static size_t all_noptions;

static void build_options(void)
{
    memcpy(all_options, node_options, node_noptions * sizeof *node_options);
    node_form_options_into(all_options + node_noptions,
                           offsetof(main_config_t, form));
    all_noptions = node_noptions + node_form_noptions;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: baocao-node --store DIR --unit CODE --hub ENDPOINT\n"
            "                   (--hub-key HUB.pub --cert NODE.secret | "
            "--plain) [options]\n\n"
            "A facility's node: delivers every report filed into its outbox "
            "(baocao submit)\nto the hub, resending until the hub has "
            "acknowledged it. Safe to stop or kill\nat any moment: it "
            "resumes where it was.\n\noptions:\n");
    bc_config_usage(all_options, all_noptions, out);
    fprintf(out, "\nexit status: 0 on a clean stop (or, with --drain, once "
                 "all is delivered),\n1 on a runtime failure, when another "
                 "node serves the outbox, or when --drain\nends with "
                 "rejections that need action, 2 on bad "
                 "usage or configuration,\n"
                 "3 when --max-seconds ran out,\n%d when the outbox's disk "
                 "failed (I/O error): restart it (the units do).\n",
                 BC_EXIT_STORE_FAILED);
}

int main(int argc, char **argv)
{
    if (bc_version_asked("baocao-node", argc, argv))
        return 0;
    main_config_t cfg;
    char err[512] = "";
    int status = 2;
    pid_t form = 0;
    build_options();
    int rc = bc_config_daemon("baocao-node", "node", all_options,
                              all_noptions, &cfg,
                              offsetof(node_config_t, log_level), argc, argv,
                              usage);
    if (rc) {
        status = rc > 0 ? 0 : 2;
        goto out_free;
    }
    /* The station's form, in a child forked before the node opens its
     * outbox or any socket. */
    bc_security_t sec = {cfg.node.plain ? NULL : cfg.node.hub_key,
                         cfg.node.cert};
    rc = node_form_start(&cfg.form, cfg.node.store, cfg.node.unit,
                         cfg.node.hub, &sec, &form, err, sizeof err);
    if (rc == NODE_FORM_CHILD) {
        status = (int) form;
        form = 0;
        goto out_free;
    }
    if (rc) {
        BC_ERROR("%s", err);
        goto out_free;
    }
    node_sender_t *sender = node_sender_new(&cfg.node, &rc, err, sizeof err);
    if (!sender) {
        BC_ERROR("%s", err);
        /* The outbox in use is a refusal (exit 1): another node serves it.
         * Anything else is usage or configuration (exit 2). */
        status = rc == BC_EEXIST ? 1 : 2;
        goto out_form;
    }
    /* The outbox is locked and open: the node is up (it connects lazily,
     * and works offline, so readiness does not wait for the hub). */
    bc_notify_ready(cfg.node.hub);
    rc = node_sender_run(sender);
    bc_notify_stopping();
    status = rc == BC_OK ? 0 : rc == BC_ETIMEOUT ? 3
             : rc == BC_EFATAL ? BC_EXIT_STORE_FAILED : 1;
    node_sender_destroy(&sender);
out_form:
    node_form_stop(form);
out_free:
    bc_config_free(all_options, all_noptions, &cfg);
    return status;
}
