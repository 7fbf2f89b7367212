/*
 * cmd_common.c -- what every `baocao` subcommand shares: option parsing
 * with usage, connecting to the hub, calling it with readable errors.
 */
#include "cmd.h"
#include "bc_csv.h"
#include "bc_error.h"
#include "bc_mem.h"
#include "bc_period.h"
#include "bc_wire.h"

#include <stdio.h>
#include <string.h>

int cmd_parse(const char *name, const char *synopsis, const bc_option_t *opts,
              size_t n, void *cfg, int argc, char **argv, char **positional,
              size_t maxpos, size_t *npos)
{
    char err[512];
    bc_config_defaults(opts, n, cfg);
    int rc = bc_config_args(opts, n, cfg, argc, argv, 0, positional, maxpos,
                            npos, err, sizeof err);
    if (rc == 1) {
        printf("usage: baocao %s %s\n\noptions:\n", name, synopsis);
        bc_config_usage(opts, n, stdout);
        return 1;
    }
    if (rc) {
        fprintf(stderr, "baocao %s: %s\n", name, err);
        return -1;
    }
    return 0;
}

bc_option_t *cmd_options_sharing(const bc_option_t *own, size_t n,
                                 const bc_option_t *other, size_t nother,
                                 size_t *nout)
{
    bc_option_t *t = bc_calloc(n + nother, sizeof *t);
    memcpy(t, own, n * sizeof *t);
    *nout = n;
    for (size_t i = 0; i < nother; i++) {
        bool have = false;
        for (size_t j = 0; j < n && !have; j++)
            have = strcmp(own[j].name, other[i].name) == 0;
        if (!have)
            t[(*nout)++] = (bc_option_t){other[i].name, BC_OPT_IGNORE, 0, 0,
                                         0, NULL, NULL, other[i].help};
    }
    return t;
}

bc_client_t *cmd_connect(const char *name, const client_opts_t *o)
{
    char err[512];
    if (!o->hub) {
        fprintf(stderr, "baocao %s: --hub ENDPOINT is required\n", name);
        return NULL;
    }
    if (!o->plain && !o->hub_key) {
        fprintf(stderr, "baocao %s: pass the hub's public key (--hub-key "
                "hub.pub, with --cert NAME.secret), or --plain for a hub "
                "running without encryption\n", name);
        return NULL;
    }
    bc_security_t sec = {o->plain ? NULL : o->hub_key, o->cert};
    bc_client_t *c = bc_client_new(o->hub, &sec, err, sizeof err);
    if (!c)
        fprintf(stderr, "baocao %s: %s\n", name, err);
    return c;
}

int cmd_call(const char *name, bc_client_t *client, Baocao__Request *req,
             Baocao__Reply **reply, long long timeout_ms)
{
    int rc = bc_client_call(client, req, reply, (int) timeout_ms);
    if (rc == BC_ETIMEOUT) {
        fprintf(stderr, "baocao %s: no answer from the hub within %lld ms: "
                "is it running, and is --hub right?\n", name, timeout_ms);
        return rc;
    }
    if (rc == BC_ECRYPTO) {
        fprintf(stderr, "baocao %s: %s\n", name,
                bc_client_auth_error(client));
        return rc;
    }
    if (rc) {
        fprintf(stderr, "baocao %s: %s\n", name, bc_strerror(rc));
        return rc;
    }
    if ((*reply)->body_case == BAOCAO__REPLY__BODY_ERROR) {
        fprintf(stderr, "baocao %s: the hub refused: %s: %s\n", name,
                bc_reason_name((*reply)->error->reason),
                (*reply)->error->message);
        baocao__reply__free_unpacked(*reply, NULL);
        *reply = NULL;
        return BC_EREJECTED;
    }
    return BC_OK;
}

int cmd_format(const char *name, const char *text, out_format_t *out)
{
    if (!text || !strcmp(text, "table"))
        *out = FMT_TABLE;
    else if (!strcmp(text, "csv"))
        *out = FMT_CSV;
    else if (!strcmp(text, "json"))
        *out = FMT_JSON;
    else {
        fprintf(stderr, "baocao %s: --format must be table, csv or json\n",
                name);
        return -1;
    }
    return 0;
}

void cmd_time(int64_t t, char *buf, size_t len, bool local, const char *none)
{
    if (!t)
        snprintf(buf, len, "%s", none);
    else if (local)
        bc_time_format_local(t, buf, len);
    else
        bc_time_format(t, buf, len);
}
