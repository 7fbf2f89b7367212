/*
 * cmd_completeness.c -- `baocao completeness`: who reported for a unit and
 * period, on time or late, and who is missing.
 *
 * The hub counts and names the reporters; this file only presents them,
 * as a table, CSV or JSON.
 */
#include "bc_csv.h"
#include "bc_period.h"
#include "bc_table.h"
#include "cmd.h"

#include <cjson/cJSON.h>
#include <stdio.h>

typedef struct {
    client_opts_t client;   /* hub connection */
    char *unit;             /* unit code */
    char *period;           /* period text */
    char *level;            /* expected level, or NULL = leaves */
    char *format;           /* table, csv, json */
} compl_cfg_t;

static const bc_option_t compl_options[] = {
    CLIENT_OPTIONS(compl_cfg_t),
    {"unit", BC_OPT_STRING, offsetof(compl_cfg_t, unit), 0, 0, NULL, "CODE",
     "the unit whose reporters are counted"},
    {"period", BC_OPT_STRING, offsetof(compl_cfg_t, period), 0, 0, NULL,
     "PERIOD", "YYYY-MM, YYYY-Qn, YYYY-Hn or YYYY"},
    {"level", BC_OPT_STRING, offsetof(compl_cfg_t, level), 0, 0, NULL,
     "LEVEL", "count units of this level (default: the leaves)"},
    {"format", BC_OPT_STRING, offsetof(compl_cfg_t, format), 0, 0, "table",
     "FORMAT", "table, csv or json"},
};
#define NCOMPL (sizeof compl_options / sizeof compl_options[0])

static const char *state_word(Baocao__ReportState s)
{
    switch (s) {
    case BAOCAO__REPORT_STATE__STATE_ON_TIME: return "on time";
    case BAOCAO__REPORT_STATE__STATE_LATE:    return "late";
    case BAOCAO__REPORT_STATE__STATE_MISSING: return "missing";
    case BAOCAO__REPORT_STATE__STATE_PARTIAL: return "partial";
    default:                                  return "?";
    }
}

static void print_completeness(const Baocao__CompletenessReply *c,
                               out_format_t fmt)
{
    /* The rate is reports over expected reports, as DHIS2 computes it: for
     * a month that is units over units; for a quarter of monthly
     * reporters, reports over units x 3. A hub older than these fields
     * sends no report counts: then units over units. */
    uint32_t exp_r = c->expected_reports ? c->expected_reports : c->expected;
    uint32_t got_r = c->expected_reports ? c->received_reports : c->reported;
    uint32_t ont_r = c->expected_reports ? c->on_time_reports : c->on_time;
    double rate = exp_r ? 100.0 * got_r / exp_r : 0;
    double timely = exp_r ? 100.0 * ont_r / exp_r : 0;
    char deadline[32];
    cmd_time(c->deadline, deadline, sizeof deadline, fmt == FMT_TABLE, "-");
    if (fmt == FMT_JSON) {
        cJSON *root = cJSON_CreateObject();
        cJSON_AddStringToObject(root, "unit", c->unit);
        cJSON_AddStringToObject(root, "period", c->period);
        cJSON_AddStringToObject(root, "deadline", deadline);
        cJSON_AddNumberToObject(root, "expected", c->expected);
        cJSON_AddNumberToObject(root, "reported", c->reported);
        cJSON_AddNumberToObject(root, "on_time", c->on_time);
        cJSON_AddNumberToObject(root, "late", c->reported - c->on_time);
        /* Units with nothing received, and (longer periods) with some of
         * their reports: for a month, missing is expected - reported. */
        uint32_t partial = 0;
        for (size_t i = 0; i < c->n_units; i++)
            partial += c->units[i]->state
                       == BAOCAO__REPORT_STATE__STATE_PARTIAL;
        cJSON_AddNumberToObject(root, "missing",
                                c->expected - c->reported - partial);
        cJSON_AddNumberToObject(root, "partial", partial);
        cJSON_AddNumberToObject(root, "expected_reports", exp_r);
        cJSON_AddNumberToObject(root, "received_reports", got_r);
        cJSON_AddNumberToObject(root, "on_time_reports", ont_r);
        cJSON_AddNumberToObject(root, "late_reports", got_r - ont_r);
        cJSON_AddNumberToObject(root, "reporting_rate_pct",
                                round(rate * 10) / 10);
        cJSON_AddNumberToObject(root, "timeliness_pct",
                                round(timely * 10) / 10);
        cJSON_AddBoolToObject(root, "approved", c->approved);
        cJSON_AddItemToObject(root, "approval",
                              cmd_approval_json(c->approval));
        cJSON *units = cJSON_AddArrayToObject(root, "units");
        for (size_t i = 0; i < c->n_units; i++) {
            const Baocao__UnitReport *u = c->units[i];
            cJSON *o = cJSON_CreateObject();
            char filed[32];
            cmd_time(u->filed_at, filed, sizeof filed, false, "-");
            cJSON_AddStringToObject(o, "unit", u->unit);
            cJSON_AddStringToObject(o, "name", u->name);
            cJSON_AddStringToObject(o, "state", state_word(u->state));
            if (u->filed_at)
                cJSON_AddStringToObject(o, "filed_at", filed);
            if (u->revision)
                cJSON_AddNumberToObject(o, "revision", u->revision);
            cJSON_AddNumberToObject(o, "expected_reports",
                                    u->expected_reports);
            cJSON_AddNumberToObject(o, "received_reports",
                                    u->received_reports);
            cJSON_AddNumberToObject(o, "on_time_reports", u->on_time_reports);
            cJSON_AddBoolToObject(o, "approved", u->approved);
            if (u->approval)
                cJSON_AddItemToObject(o, "approval",
                                      cmd_approval_json(u->approval));
            cJSON_AddItemToArray(units, o);
        }
        char *text = cJSON_Print(root);
        printf("%s\n", text);
        cJSON_free(text);
        cJSON_Delete(root);
        return;
    }
    /* The last column (issue #11): who approved, "" when not locked. */
    static const char *cols[] = {"unit", "name", "state", "filed", "rev",
                                 "approved"};
    enum { NC = sizeof cols / sizeof cols[0] };
    if (fmt == FMT_CSV) {
        for (size_t k = 0; k < NC; k++)
            bc_csv_write_field(stdout, cols[k], k == NC - 1);
    } else {
        /* The rate is over reports; units are counted beside it (for a
         * month the two are the same). */
        printf("%s %s: %u of %u reports received (%.1f %%), %u on time "
               "(%.1f %%); units: %u of %u complete, %u on time, %u late, "
               "%u missing or partial; deadline %s\n\n", c->unit, c->period,
               got_r, exp_r, rate, ont_r, timely, c->reported, c->expected,
               c->on_time, c->reported - c->on_time,
               c->expected - c->reported, deadline);
        if (c->approval) {
            char appr[BC_PEER_MAX + 200];
            cmd_approval_text(c->approval, appr, sizeof appr, true);
            printf("approved (locked): %s\n\n", appr);
        }
    }
    bc_table_t *t = fmt == FMT_TABLE ? bc_table_new(NC, cols) : NULL;
    for (size_t i = 0; i < c->n_units; i++) {
        const Baocao__UnitReport *u = c->units[i];
        char filed[32], rev[16], appr[BC_PEER_MAX + 200] = "";
        cmd_time(u->filed_at, filed, sizeof filed, fmt == FMT_TABLE, "-");
        snprintf(rev, sizeof rev, "%u", u->revision);
        /* The table names who approved and where; CSV the whole line. */
        if (u->approval && t)
            snprintf(appr, sizeof appr, "%s %s (%s)", u->approval->unit,
                     u->approval->period, u->approval->approved_by
                     && u->approval->approved_by[0]
                     ? u->approval->approved_by : "plain");
        else if (u->approval)
            cmd_approval_text(u->approval, appr, sizeof appr, false);
        const char *row[] = {u->unit, u->name, state_word(u->state), filed,
                             u->revision ? rev : "-", t && !u->approval
                             ? "-" : appr};
        if (t)
            bc_table_add(t, row);
        else
            for (size_t k = 0; k < NC; k++)
                bc_csv_write_field(stdout, row[k], k == NC - 1);
    }
    if (t) {
        bc_table_print(t, stdout);
        bc_table_destroy(&t);
    }
}

int cmd_completeness(int argc, char **argv)
{
    compl_cfg_t cfg;
    size_t npos;
    int status = EXIT_USAGE;
    out_format_t fmt;
    bc_client_t *client = NULL;
    int rc = cmd_parse("completeness", "--hub ENDPOINT --unit CODE --period "
                       "PERIOD [--level LEVEL] [--format table|csv|json]",
                       compl_options, NCOMPL, &cfg, argc, argv, NULL, 0,
                       &npos);
    if (rc == 1)
        status = EXIT_OK;
    if (rc || cmd_format("completeness", cfg.format, &fmt))
        goto out_free;
    if (!cfg.unit || !cfg.period) {
        fprintf(stderr, "baocao completeness: --unit and --period are "
                "required\n");
        goto out_free;
    }
    /* A connect failure is one of the options: exit 2 (cmd.h). */
    if (!(client = cmd_connect("completeness", &cfg.client)))
        goto out_free;
    status = EXIT_FAIL;
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    Baocao__CompletenessQuery q = BAOCAO__COMPLETENESS_QUERY__INIT;
    q.unit = cfg.unit;
    q.period = cfg.period;
    q.level = cfg.level ? cfg.level : "";
    req.body_case = BAOCAO__REQUEST__BODY_COMPLETENESS;
    req.completeness = &q;
    Baocao__Reply *reply;
    if (cmd_call("completeness", client, &req, &reply, cfg.client.timeout_ms))
        goto out_close;
    if (reply->body_case == BAOCAO__REPLY__BODY_COMPLETENESS) {
        print_completeness(reply->completeness, fmt);
        status = EXIT_OK;
    }
    baocao__reply__free_unpacked(reply, NULL);
out_close:
    bc_client_destroy(&client);
out_free:
    bc_config_free(compl_options, NCOMPL, &cfg);
    return status;
}
