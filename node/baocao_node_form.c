/*
 * baocao_node_form.c -- baocao-node-form's main(): the station's form
 * (node_form.h) as a program of its own. baocao-node --form runs it in a
 * child; it can also run alone beside a node, on the same outbox.
 */
#include "bc_config.h"
#include "bc_log.h"
#include "bc_version.h"
#include "node_config.h"
#include "node_form_server.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* The form's options (node_form.h) and, from the node's table
 * (node_config.h), those it shares with the node: the same names, help
 * and checks, so that the node hands its own values on unchanged. The
 * node's other options are accepted in a config file and skipped, so
 * that `--config /etc/baocao/node.conf` serves the form alone. */
typedef struct {
    node_form_config_t form;
    node_config_t node;        /* only the shared fields are set */
} form_main_t;

static const char *const shared[] = {"store", "unit", "hub", "plain",
                                     "hub-key", "cert", "log-level"};

#define NOPTS_MAX 32
static bc_option_t all_options[NOPTS_MAX];
static size_t all_noptions;

static bool is_shared(const char *name)
{
    for (size_t k = 0; k < sizeof shared / sizeof shared[0]; k++)
        if (!strcmp(name, shared[k]))
            return true;
    return false;
}

static void build_options(void)
{
    node_form_options_into(all_options, offsetof(form_main_t, form));
    all_noptions = node_form_noptions;
    for (size_t i = 0; i < node_noptions && all_noptions < NOPTS_MAX; i++) {
        bc_option_t *o = &all_options[all_noptions++];
        if (is_shared(node_options[i].name)) {
            *o = node_options[i];
            o->offset += offsetof(form_main_t, node);
        } else {
            *o = (bc_option_t){node_options[i].name, BC_OPT_IGNORE, 0, 0, 0,
                               NULL, NULL, NULL};
        }
    }
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: baocao-node-form --form 127.0.0.1:PORT --store DIR "
            "--unit CODE [options]\n\n"
            "The station's form: a page on loopback where staff file the "
            "month's report\ninto the node's outbox. baocao-node --form "
            "runs it; it can also run alone\nbeside a node.\n\noptions:\n");
    bc_config_usage(all_options, all_noptions, out);
    fprintf(out, "\nexit status: 0 on a clean stop (SIGTERM), 1 when it "
                 "cannot open the outbox\nor listen, 2 on bad usage.\n");
}

int main(int argc, char **argv)
{
    if (bc_version_asked("baocao-node-form", argc, argv))
        return 0;
    build_options();
    form_main_t cfg;
    int status = 2;
    int rc = bc_config_daemon("baocao-node-form", "node", all_options,
                              all_noptions, &cfg,
                              offsetof(form_main_t, node.log_level), argc,
                              argv, usage);
    if (rc) {
        status = rc > 0 ? 0 : 2;
        goto out;
    }
    if (!cfg.form.listen) {
        BC_ERROR("--form 127.0.0.1:PORT is needed: where to serve");
        goto out;
    }
    bc_security_t sec = {cfg.node.plain ? NULL : cfg.node.hub_key,
                         cfg.node.cert};
    status = node_form_serve(&cfg.form, cfg.node.store, cfg.node.unit,
                             cfg.node.hub, &sec);
out:
    bc_config_free(all_options, all_noptions, &cfg);
    return status;
}
