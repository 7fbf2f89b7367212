/*
 * cmd_stats.c -- `baocao stats --hub EP`: the hub's counters since it
 * started (what it acknowledged, rejections by reason, commit sizes and
 * times, queue, peers, store and map use), as a table or JSON.
 *
 * The same numbers are served as Prometheus text by `baocao-hub --metrics
 * HOST:PORT` at /metrics: both come from one StatsReply.
 */
#include "bc_error.h"
#include "bc_period.h"
#include "bc_table.h"
#include "bc_wire.h"
#include "cmd.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <time.h>

typedef struct {
    client_opts_t client;   /* --hub, keys, --timeout */
    char *format;           /* table or json */
} stats_cfg_t;

static const bc_option_t stats_options[] = {
    CLIENT_OPTIONS(stats_cfg_t),
    {"format", BC_OPT_STRING, offsetof(stats_cfg_t, format), 0, 0, "table",
     "FORMAT", "table or json"},
};
#define NOPTS (sizeof stats_options / sizeof stats_options[0])

static void print_json(const Baocao__StatsReply *r)
{
    cJSON *o = cJSON_CreateObject();
    char t[32];
    cmd_time(r->started_at, t, sizeof t, false, "never");
    cJSON_AddStringToObject(o, "started_at", t);
    cJSON_AddNumberToObject(o, "hub_seq", (double) r->hub_seq);
    cJSON_AddNumberToObject(o, "stored", (double) r->stored);
    cJSON_AddNumberToObject(o, "duplicates", (double) r->duplicates);
    cJSON_AddNumberToObject(o, "superseded", (double) r->superseded);
    cJSON_AddNumberToObject(o, "rejected", (double) r->rejected);
    cJSON_AddNumberToObject(o, "retry_later", (double) r->retry_later);
    cJSON *rej = cJSON_AddObjectToObject(o, "rejections");
    for (size_t i = 0; i < r->n_rejections; i++)
        cJSON_AddNumberToObject(rej, bc_reason_name(r->rejections[i]->reason),
                                (double) r->rejections[i]->count);
    cJSON_AddNumberToObject(o, "commits", (double) r->commits);
    cJSON_AddNumberToObject(o, "batch_mean", r->batch_mean);
    cJSON_AddNumberToObject(o, "batch_max", r->batch_max);
    cJSON_AddNumberToObject(o, "commit_p50_ms", r->commit_p50_ms);
    cJSON_AddNumberToObject(o, "commit_p99_ms", r->commit_p99_ms);
    cmd_time(r->last_commit, t, sizeof t, false, "never");
    cJSON_AddStringToObject(o, "last_commit", t);
    cJSON_AddNumberToObject(o, "queue_depth", r->queue_depth);
    cJSON_AddNumberToObject(o, "peers", r->peers);
    cJSON_AddNumberToObject(o, "store_bytes", (double) r->store_bytes);
    cJSON_AddNumberToObject(o, "map_bytes", (double) r->map_bytes);
    cJSON_AddNumberToObject(o, "replies_dropped", (double) r->replies_dropped);
    if (r->upstream) {
        /* Only on a hub that forwards its log (--upstream). */
        cJSON_AddNumberToObject(o, "upstream_cursor",
                                (double) r->upstream_cursor);
        cJSON_AddNumberToObject(o, "upstream_behind",
                                (double) (r->hub_seq > r->upstream_cursor
                                          ? r->hub_seq - r->upstream_cursor
                                          : 0));
        cJSON_AddBoolToObject(o, "upstream_connected",
                              r->upstream_connected);
        /* Entries the national hub refused for good (issue 14). */
        cJSON_AddNumberToObject(o, "upstream_refused",
                                (double) r->upstream_refused);
        cJSON_AddNumberToObject(o, "upstream_refused_first",
                                (double) r->upstream_refused_first);
        cJSON_AddNumberToObject(o, "upstream_refused_last",
                                (double) r->upstream_refused_last);
        cJSON_AddStringToObject(o, "upstream_refused_why",
                                r->upstream_refused_why
                                    ? r->upstream_refused_why : "");
    }
    char *text = cJSON_Print(o);
    printf("%s\n", text);
    free(text);
    cJSON_Delete(o);
}

static void print_table(const Baocao__StatsReply *r)
{
    const char *cols[] = {"counter", "value"};
    bc_table_t *t = bc_table_new(2, cols);
    bc_table_align(t, 1, BC_ALIGN_RIGHT);
    char v[320];
#define ROW(label, ...)                                                       \
    do {                                                                      \
        snprintf(v, sizeof v, __VA_ARGS__);                                   \
        const char *row[] = {label, v};                                       \
        bc_table_add(t, row);                                                 \
    } while (0)
    cmd_time(r->started_at, v, sizeof v, true, "never");
    const char *start[] = {"started", v};
    bc_table_add(t, start);
    ROW("log at seq", "%llu", (unsigned long long) r->hub_seq);
    ROW("stored", "%llu", (unsigned long long) r->stored);
    ROW("duplicates", "%llu", (unsigned long long) r->duplicates);
    ROW("superseded", "%llu", (unsigned long long) r->superseded);
    ROW("rejected", "%llu", (unsigned long long) r->rejected);
    for (size_t i = 0; i < r->n_rejections; i++) {
        char label[64];
        snprintf(label, sizeof label, "  %s",
                 bc_reason_name(r->rejections[i]->reason));
        ROW(label, "%llu", (unsigned long long) r->rejections[i]->count);
    }
    ROW("retry later", "%llu", (unsigned long long) r->retry_later);
    ROW("commits", "%llu", (unsigned long long) r->commits);
    ROW("batch mean / max", "%.1f / %u", r->batch_mean, r->batch_max);
    ROW("commit p50 / p99", "%.2f / %.2f ms", r->commit_p50_ms,
        r->commit_p99_ms);
    char last[32];
    cmd_time(r->last_commit, last, sizeof last, true, "never");
    ROW("last commit", "%s", last);
    ROW("queue depth", "%u", r->queue_depth);
    ROW("peers", "%u", r->peers);
    ROW("store / map", "%.1f / %.0f MiB (%.1f %%)",
        (double) r->store_bytes / (1 << 20), (double) r->map_bytes / (1 << 20),
        r->map_bytes ? 100.0 * (double) r->store_bytes / (double) r->map_bytes
                     : 0);
    ROW("replies dropped", "%llu", (unsigned long long) r->replies_dropped);
    if (r->upstream) {
        ROW("upstream cursor", "%llu", (unsigned long long) r->upstream_cursor);
        ROW("upstream behind", "%llu",
            (unsigned long long) (r->hub_seq > r->upstream_cursor
                                      ? r->hub_seq - r->upstream_cursor
                                      : 0));
        ROW("upstream link", "%s", r->upstream_connected ? "answering"
                                                         : "down");
        if (r->upstream_refused) {
            ROW("upstream refused", "%llu (seq %llu to %llu; resend with "
                "--upstream-resend-from %llu)",
                (unsigned long long) r->upstream_refused,
                (unsigned long long) r->upstream_refused_first,
                (unsigned long long) r->upstream_refused_last,
                (unsigned long long) r->upstream_refused_first);
            ROW("upstream last refusal", "%s", r->upstream_refused_why);
        } else {
            ROW("upstream refused", "%s", "none");
        }
    }
#undef ROW
    bc_table_print(t, stdout);
    bc_table_destroy(&t);
}

int cmd_stats(int argc, char **argv)
{
    stats_cfg_t cfg;
    size_t npos;
    int status = EXIT_USAGE;
    out_format_t fmt;
    bc_client_t *client = NULL;
    int rc = cmd_parse("stats", "--hub ENDPOINT [--format table|json]",
                       stats_options, NOPTS, &cfg, argc, argv, NULL, 0, &npos);
    if (rc == 1)
        status = EXIT_OK;
    if (rc || cmd_format("stats", cfg.format, &fmt))
        goto out_free;
    if (fmt == FMT_CSV) {
        fprintf(stderr, "baocao stats: --format is table or json\n");
        goto out_free;
    }
    /* A connect failure is one of the options: exit 2 (cmd.h). */
    if (!(client = cmd_connect("stats", &cfg.client)))
        goto out_free;
    status = EXIT_FAIL;
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    Baocao__StatsQuery q = BAOCAO__STATS_QUERY__INIT;
    req.body_case = BAOCAO__REQUEST__BODY_STATS;
    req.stats = &q;
    Baocao__Reply *reply;
    if (cmd_call("stats", client, &req, &reply, cfg.client.timeout_ms))
        goto out_close;
    if (reply->body_case == BAOCAO__REPLY__BODY_STATS) {
        if (fmt == FMT_JSON)
            print_json(reply->stats);
        else
            print_table(reply->stats);
        status = EXIT_OK;
    } else {
        fprintf(stderr, "baocao stats: the hub answered something else "
                "(an older hub without stats?)\n");
    }
    baocao__reply__free_unpacked(reply, NULL);
out_close:
    bc_client_destroy(&client);
out_free:
    bc_config_free(stats_options, NOPTS, &cfg);
    return status;
}
