/*
 * cmd_audit_history.c -- `baocao audit history`: every revision of one
 * report, who sent it, which is current.
 */
#include "bc_error.h"
#include "bc_period.h"
#include "bc_registry.h"
#include "cmd_audit.h"
#include "hub_store.h"

#include <stdio.h>

/* --- history ------------------------------------------------------------- */

typedef struct {
    hub_reader_t *r;        /* snapshot */
    uint32_t current;       /* current revision */
    unsigned n;             /* revisions printed */
} history_ctx_t;

static void on_revision(void *arg, uint32_t revision, uint64_t seq,
                        int64_t filed_at, int64_t received_at_us)
{
    history_ctx_t *h = arg;
    hub_log_entry_t e;
    char peer[BC_PEER_MAX] = "?", filed[BC_TIME_TEXT], recv[BC_TIME_TEXT];
    if (hub_reader_log_entry(h->r, seq, &e) == BC_OK)
        snprintf(peer, sizeof peer, "%.*s",
                 (int) (e.peer_len < BC_PEER_MAX ? e.peer_len : BC_PEER_MAX),
                 e.peer);
    /* Times come from a store that may be a replayed export from
     * elsewhere: any value prints, none crashes (gmtime_r fails past year
     * 2^31 and strftime was handed its NULL). */
    bc_time_format(filed_at, filed, sizeof filed);
    bc_time_format(received_at_us / 1000000, recv, sizeof recv);
    printf("%-4u %-8llu %-21s %-21s %-24s %s\n", revision,
           (unsigned long long) seq, filed, recv,
           *peer ? peer : "(plain)", revision == h->current ? "current" : "");
    h->n++;
}

int audit_history(audit_cfg_t *cfg)
{
    char err[512];
    bc_period_t p;
    if (!cfg->store || !cfg->unit || !cfg->period) {
        fprintf(stderr, "baocao audit history: --store, --unit and --period "
                "are required\n");
        return EXIT_USAGE;
    }
    if (bc_period_parse(cfg->period, &p)) {
        fprintf(stderr, "baocao audit history: bad period '%s'\n",
                cfg->period);
        return EXIT_USAGE;
    }
    hub_store_t *store = hub_store_open_readonly(cfg->store, err, sizeof err);
    if (!store) {
        fprintf(stderr, "baocao audit history: %s\n", err);
        return EXIT_FAIL;
    }
    hub_reader_t *r = hub_store_reader(store);
    history_ctx_t h = {r, r ? hub_reader_current_revision(r, cfg->unit, p) : 0,
                       0};
    printf("%s %s\n%-4s %-8s %-21s %-21s %-24s %s\n", cfg->unit, cfg->period,
           "rev", "log seq", "filed", "received", "sent by", "");
    int rc = r ? hub_reader_revisions_code(r, cfg->unit, p, on_revision, &h)
               : BC_ESTORE;
    hub_reader_destroy(&r);
    hub_store_close(&store);
    if (rc == BC_ENOTFOUND || (!rc && !h.n)) {
        printf("(no report on record)\n");
        return EXIT_OK;
    }
    if (rc) {
        fprintf(stderr, "baocao audit history: %s\n", bc_strerror(rc));
        return EXIT_FAIL;
    }
    return EXIT_OK;
}
