/*
 * cmd_status.c -- `baocao status --store NODE_DIR`: how delivery goes at
 * this node, read straight from its outbox (works whether or not the node
 * daemon runs).
 *
 * A rejection is final at the hub, so someone at the station has to act
 * on it (fix and file a correction, or accept it): rejections count as
 * "need action" until `--ack-rejected` marks them seen. Marking does not
 * delete: they stay on record and in --list. `--config node.conf` reads
 * the node daemon's file (its daemon-only keys are skipped). It never
 * creates an outbox: a folder without one is a usage error (exit 2).
 */
#include "bc_error.h"
#include "bc_fs.h"
#include "node_sender.h"
#include "bc_table.h"
#include "bc_wire.h"
#include "bc_period.h"
#include "cmd.h"
#include "node_outbox.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <time.h>

typedef struct {
    char *store;            /* outbox directory */
    char *format;           /* table or json */
    bool list;              /* also list every report */
    bool ack_rejected;      /* mark the rejections seen */
} status_cfg_t;

static const bc_option_t status_options[] = {
    {"store", BC_OPT_STRING, offsetof(status_cfg_t, store), 0, 0, NULL, "DIR",
     "the node's outbox directory"},
    {"format", BC_OPT_STRING, offsetof(status_cfg_t, format), 0, 0, "table",
     "FORMAT", "table or json"},
    {"list", BC_OPT_BOOL, offsetof(status_cfg_t, list), 0, 0, NULL, NULL,
     "list every report, not only the counts and the rejected ones"},
    {"ack-rejected", BC_OPT_BOOL, offsetof(status_cfg_t, ack_rejected), 0, 0,
     NULL, NULL, "mark the rejected reports seen (they stay on record)"},
};
#define NOPTS (sizeof status_options / sizeof status_options[0])

static const char *state_name(const node_entry_t *e)
{
    if (e->state == NODE_DELIVERED)
        return "delivered";
    if (e->state == NODE_REJECTED)
        return e->seen ? "rejected (seen)" : "rejected, needs action";
    return e->awaiting ? "in flight" : "pending";
}

typedef struct {
    bool list;              /* every entry, or only rejected ones */
    bc_table_t *table;      /* table output, or NULL */
    cJSON *array;           /* JSON output, or NULL */
} each_ctx_t;

static void on_entry(void *arg, const node_entry_t *e)
{
    each_ctx_t *ctx = arg;
    /* Without --list: only what needs action. */
    if (!ctx->list && (e->state != NODE_REJECTED || e->seen))
        return;
    char filed[32], rev[16], seq[24];
    cmd_time(e->filed_at, filed, sizeof filed, ctx->table != NULL, "never");
    snprintf(rev, sizeof rev, "%u", e->revision);
    snprintf(seq, sizeof seq, "%llu", (unsigned long long) e->seq);
    const char *why = e->state == NODE_REJECTED
                          ? bc_reason_name((Baocao__RejectReason) e->reason)
                          : "";
    if (ctx->table) {
        const char *row[] = {seq, e->unit, e->period, rev, state_name(e),
                             filed, why, e->message};
        bc_table_add(ctx->table, row);
    } else {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "seq", (double) e->seq);
        cJSON_AddStringToObject(o, "id", e->id);
        cJSON_AddStringToObject(o, "unit", e->unit);
        cJSON_AddStringToObject(o, "period", e->period);
        cJSON_AddNumberToObject(o, "revision", e->revision);
        /* The JSON keeps its one-word states; "seen" says the rest. */
        cJSON_AddStringToObject(o, "state",
                                e->state == NODE_REJECTED ? "rejected"
                                                          : state_name(e));
        cJSON_AddNumberToObject(o, "attempts", e->attempts);
        cJSON_AddStringToObject(o, "filed_at", filed);
        if (e->state == NODE_REJECTED) {
            cJSON_AddStringToObject(o, "reason", why);
            cJSON_AddBoolToObject(o, "seen", e->seen);
        }
        if (*e->message)
            cJSON_AddStringToObject(o, "message", e->message);
        if (e->hub_seq)
            cJSON_AddNumberToObject(o, "hub_seq", (double) e->hub_seq);
        cJSON_AddItemToArray(ctx->array, o);
    }
}

int cmd_status(int argc, char **argv)
{
    status_cfg_t cfg;
    size_t npos, nopts;
    char err[512];
    int status = EXIT_USAGE;
    out_format_t fmt;
    node_outbox_t *outbox = NULL;
    bc_option_t *opts = cmd_options_sharing(status_options, NOPTS,
                                            node_options, node_noptions,
                                            &nopts);
    int rc = cmd_parse("status", "--store NODE_DIR [--format table|json] "
                       "[--list] [--ack-rejected]", opts, nopts, &cfg, argc,
                       argv, NULL, 0, &npos);
    if (rc == 1)
        status = EXIT_OK;
    if (rc || cmd_format("status", cfg.format, &fmt))
        goto out_free;
    if (!cfg.store) {
        fprintf(stderr, "baocao status: --store DIR is required\n");
        goto out_free;
    }
    /* A reading command must not create what it reads: opening a missing
     * outbox would make an empty one, and a mistyped --store would look
     * like a healthy node with nothing to send. */
    if (!bc_has_store(cfg.store)) {
        fprintf(stderr, "baocao status: no outbox at %s (is --store "
                "right? `baocao submit` or the node creates it)\n",
                cfg.store);
        goto out_free;
    }
    status = EXIT_FAIL;
    outbox = node_outbox_open(cfg.store, err, sizeof err);
    if (outbox && cfg.ack_rejected) {
        uint64_t marked = 0;
        if ((rc = node_outbox_ack_rejected(outbox, &marked))) {
            fprintf(stderr, "baocao status: cannot mark the rejections: %s\n",
                    bc_strerror(rc));
            goto out_close;
        }
        fprintf(stderr, "marked %llu rejected report(s) seen; they stay on "
                "record (baocao status --list)\n",
                (unsigned long long) marked);
    }
    node_stats_t st;
    if (!outbox || (rc = node_outbox_stats(outbox, &st))) {
        fprintf(stderr, "baocao status: %s\n",
                outbox ? bc_strerror(rc) : err);
        goto out_close;
    }
    char contact[32], retry[32] = "";
    bool local = fmt != FMT_JSON;
    cmd_time(st.last_contact, contact, sizeof contact, local, "never");
    /* A retry time in the past is stale (the node stopped while backing
     * off, or is trying right now). */
    if (st.next_retry && st.next_retry >= (int64_t) time(NULL))
        cmd_time(st.next_retry, retry, sizeof retry, local, "never");
    static const char *cols[] = {"#", "unit", "period", "rev", "state",
                                 "filed", "reason", "message"};
    each_ctx_t ctx = {cfg.list, NULL, NULL};
    if (fmt == FMT_JSON) {
        cJSON *root = cJSON_CreateObject();
        cJSON_AddNumberToObject(root, "pending", (double) st.pending);
        cJSON_AddNumberToObject(root, "in_flight", (double) st.in_flight);
        cJSON_AddNumberToObject(root, "delivered", (double) st.delivered);
        cJSON_AddNumberToObject(root, "rejected", (double) st.rejected);
        cJSON_AddStringToObject(root, "last_contact", contact);
        cJSON_AddStringToObject(root, "last_error", st.last_error);
        char when[32];
        cmd_time(st.store_error_at, when, sizeof when, false, "never");
        cJSON_AddStringToObject(root, "store_error", st.store_error);
        cJSON_AddStringToObject(root, "store_error_at",
                                st.store_error_at ? when : "");
        cmd_time(st.hub_store_error_at, when, sizeof when, false, "never");
        cJSON_AddStringToObject(root, "hub_store_error", st.hub_store_error);
        cJSON_AddStringToObject(root, "hub_store_error_at",
                                st.hub_store_error_at ? when : "");
        cJSON_AddNumberToObject(root, "rejected_need_action",
                                (double) st.rejected_new);
        if (*retry)
            cJSON_AddStringToObject(root, "next_retry", retry);
        ctx.array = cJSON_AddArrayToObject(root, "reports");
        node_outbox_each(outbox, on_entry, &ctx);
        char *text = cJSON_Print(root);
        printf("%s\n", text);
        cJSON_free(text);
        cJSON_Delete(root);
    } else {
        char need[160] = "";
        if (st.rejected_new)
            snprintf(need, sizeof need, " (%llu need action: fix and file a "
                     "correction, then baocao status --ack-rejected)",
                     (unsigned long long) st.rejected_new);
        char sat[32], hat[32];
        cmd_time(st.store_error_at, sat, sizeof sat, true, "never");
        cmd_time(st.hub_store_error_at, hat, sizeof hat, true, "never");
        printf("pending     %llu  (waiting to send)\n"
               "in flight   %llu  (sent, awaiting answer)\n"
               "delivered   %llu\n"
               "rejected    %llu%s\nlast contact with the hub  %s\n"
               "last error  %s\n",
               (unsigned long long) st.pending,
               (unsigned long long) st.in_flight,
               (unsigned long long) st.delivered,
               (unsigned long long) st.rejected, need, contact,
               *st.last_error ? st.last_error : "none");
        if (*st.store_error)
            printf("last store error  %s (%s)\n", st.store_error, sat);
        if (*st.hub_store_error)
            printf("hub's last store error  %s (%s)\n", st.hub_store_error,
                   hat);
        if (*retry)
            printf("next retry  %s  (the node's next try of the link)\n",
                   retry);
        ctx.table = bc_table_new(8, cols);
        node_outbox_each(outbox, on_entry, &ctx);
        if (cfg.list || st.rejected_new) {
            printf("\n");
            bc_table_print(ctx.table, stdout);
        }
        bc_table_destroy(&ctx.table);
    }
    status = EXIT_OK;
out_close:
    node_outbox_close(&outbox);
out_free:
    bc_config_free(opts, nopts, &cfg);
    free(opts);
    return status;
}
