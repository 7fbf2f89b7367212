/*
 * cmd_audit_history.c -- `baocao audit history`: every revision of one
 * report, who sent it, which is current.
 *
 * With --figures, every filing the hub received for the report instead,
 * from its log: rejected ones too (they never became a revision: issue
 * #11, a refused filing does not use up a number), each with its outcome
 * and its figures as sent. The log is the only place that holds the
 * figures of old and refused filings, and it is keyed by seq, not by
 * report, so this reads the whole log (an audit question, asked rarely;
 * the plain history stays a range scan).
 */
#include "bc_error.h"
#include "bc_period.h"
#include "bc_registry.h"
#include "bc_wire.h"
#include "cmd_audit.h"
#include "hub_store.h"

#include <protobuf-c/protobuf-c.h>
#include <stdio.h>
#include <string.h>

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

/* --- --figures: every filing, from the log -------------------------------- */

typedef struct {
    const char *unit;       /* the report's unit */
    const char *period;     /* and period, as filed */
    uint32_t current;       /* current revision */
    unsigned n;             /* filings printed */
} filings_ctx_t;

static int on_entry(void *arg, const hub_log_entry_t *e)
{
    filings_ctx_t *h = arg;
    /* Only entries whose bytes hold both codes are worth decoding. */
    if (!memmem(e->request, e->request_len, h->unit, strlen(h->unit))
        || !memmem(e->request, e->request_len, h->period, strlen(h->period)))
        return 0;
    Baocao__Request *req = baocao__request__unpack(NULL, e->request_len,
                                                   e->request);
    if (!req)
        return 0;
    const Baocao__ApprovalRequest *a = req->approval;
    if (req->body_case == BAOCAO__REQUEST__BODY_APPROVAL
        && !strcmp(a->unit, h->unit) && !strcmp(a->period, h->period)) {
        /* An approve or unapprove of this report (issue #11): who, when,
         * what came of it, and the reason given. */
        char recv[BC_TIME_TEXT], outcome[64];
        bc_time_format(e->received_at / 1000000, recv, sizeof recv);
        if (e->outcome == BAOCAO__OUTCOME__OUTCOME_REJECTED)
            snprintf(outcome, sizeof outcome, "%s refused: %s",
                     a->unapprove ? "unapprove" : "approve",
                     bc_reason_name((Baocao__RejectReason) e->reason));
        else
            snprintf(outcome, sizeof outcome, "%s%s",
                     a->unapprove ? "unapproved" : "approved",
                     e->outcome == BAOCAO__OUTCOME__OUTCOME_DUPLICATE
                         ? " (already)" : "");
        printf("%-4s %-8llu %-21s %-28s by %.*s%s%s\n", "-",
               (unsigned long long) e->seq, recv, outcome,
               (int) (e->peer_len ? e->peer_len : 7),
               e->peer_len ? e->peer : "(plain)",
               a->reason && a->reason[0] ? ": " : "",
               a->reason ? a->reason : "");
        h->n++;
    }
    const Baocao__Submission *s = req->submit;
    if (req->body_case == BAOCAO__REQUEST__BODY_SUBMIT
        && !strcmp(s->unit, h->unit) && !strcmp(s->period, h->period)) {
        char recv[BC_TIME_TEXT], outcome[64];
        bc_time_format(e->received_at / 1000000, recv, sizeof recv);
        if (e->outcome == BAOCAO__OUTCOME__OUTCOME_REJECTED)
            snprintf(outcome, sizeof outcome, "rejected: %s",
                     bc_reason_name((Baocao__RejectReason) e->reason));
        else if (e->outcome == BAOCAO__OUTCOME__OUTCOME_STORED
                 && s->revision == h->current)
            snprintf(outcome, sizeof outcome, "stored (current)");
        else if (e->outcome == BAOCAO__OUTCOME__OUTCOME_STORED)
            /* the outcome as logged, and what became of it since */
            snprintf(outcome, sizeof outcome, "stored (replaced by %u)",
                     h->current);
        else
            snprintf(outcome, sizeof outcome, "%s",
                     audit_outcome_name(e->outcome));
        printf("%-4u %-8llu %-21s %-28s ", s->revision,
               (unsigned long long) e->seq, recv, outcome);
        for (size_t i = 0; i < s->n_values; i++) {
            const Baocao__Value *v = s->values[i];
            if (v->v_case == BAOCAO__VALUE__V_COUNT)
                printf("%s%s=%lld", i ? " " : "", v->indicator,
                       (long long) v->count);
            else if (v->v_case == BAOCAO__VALUE__V_DECIMAL)
                printf("%s%s=%g", i ? " " : "", v->indicator, v->decimal);
            else
                printf("%s%s=?", i ? " " : "", v->indicator);
        }
        printf("\n");
        h->n++;
    }
    baocao__request__free_unpacked(req, NULL);
    return 0;
}

static int history_figures(hub_reader_t *r, const char *unit,
                           const char *period, uint32_t current)
{
    filings_ctx_t h = {unit, period, current, 0};
    printf("%-4s %-8s %-21s %-28s %s\n", "rev", "log seq", "received",
           "outcome", "figures");
    int rc = hub_reader_log(r, 1, on_entry, &h);
    if (!rc && !h.n)
        printf("(no filing on record)\n");
    return rc;
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
    if (cfg->figures) {
        printf("%s %s\n", cfg->unit, cfg->period);
        int frc = r ? history_figures(r, cfg->unit, cfg->period, h.current)
                    : BC_ESTORE;
        hub_reader_destroy(&r);
        hub_store_close(&store);
        if (frc) {
            fprintf(stderr, "baocao audit history: %s\n", bc_strerror(frc));
            return EXIT_FAIL;
        }
        return EXIT_OK;
    }
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
