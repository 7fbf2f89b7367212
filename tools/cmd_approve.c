/*
 * cmd_approve.c -- `baocao approve` and `baocao unapprove` (issue #11,
 * item 5): an operator locks a unit's subtree for a period, or unlocks it
 * with a reason; and how an approval is shown by the other commands
 * (query, completeness: cmd_approval_text, cmd_approval_json).
 *
 * The hub decides in order with the submissions it is committing and logs
 * the request with the operator's identity (proto/README.md "Approval and
 * locking"), so the answer comes after the commit, like a report's.
 *
 * Exit status: 0 when done or already so (approving an approved period is
 * not an error: the state asked for holds), 1 when refused (not allowed,
 * nothing to unapprove, the hub unreachable or unable to store), 2 bad
 * options (no --reason to unapprove).
 */
#include "bc_error.h"
#include "bc_period.h"
#include "bc_wire.h"
#include "cmd.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

void cmd_approval_text(const Baocao__Approval *a, char *buf, size_t len,
                       bool local)
{
    char t[BC_TIME_TEXT];
    if (local)
        bc_time_format_local(a->approved_at, t, sizeof t);
    else
        bc_time_format(a->approved_at, t, sizeof t);
    snprintf(buf, len, "%s %s by %s at %s%s%s", a->unit, a->period,
             a->approved_by && a->approved_by[0] ? a->approved_by
                                                 : "(plain)",
             t, a->reason && a->reason[0] ? ": " : "",
             a->reason ? a->reason : "");
}

cJSON *cmd_approval_json(const Baocao__Approval *a)
{
    if (!a)
        return cJSON_CreateNull();
    char t[BC_TIME_TEXT];
    bc_time_format(a->approved_at, t, sizeof t);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "unit", a->unit);
    cJSON_AddStringToObject(o, "period", a->period);
    cJSON_AddStringToObject(o, "approved_by", a->approved_by);
    cJSON_AddStringToObject(o, "approved_at", t);
    cJSON_AddNumberToObject(o, "seq", (double) a->seq);
    cJSON_AddStringToObject(o, "reason", a->reason ? a->reason : "");
    return o;
}

typedef struct {
    client_opts_t client;   /* --hub, keys, --timeout */
    char *unit;             /* the unit whose subtree is (un)locked */
    char *period;           /* YYYY-MM, YYYY-Qn, YYYY-Hn, YYYY */
    char *reason;           /* why: required to unapprove */
    char *format;           /* text or json */
} approve_cfg_t;

static const bc_option_t approve_options[] = {
    CLIENT_OPTIONS(approve_cfg_t),
    {"unit", BC_OPT_STRING, offsetof(approve_cfg_t, unit), 0, 0, NULL,
     "CODE", "the unit: it and every unit under it"},
    {"period", BC_OPT_STRING, offsetof(approve_cfg_t, period), 0, 0, NULL,
     "PERIOD", "YYYY-MM, YYYY-Qn, YYYY-Hn or YYYY (a quarter holds its "
     "months)"},
    {"reason", BC_OPT_STRING, offsetof(approve_cfg_t, reason), 0, 0, NULL,
     "TEXT", "why (required to unapprove; a note to approve); goes on "
     "record in the hub's log"},
    {"format", BC_OPT_STRING, offsetof(approve_cfg_t, format), 0, 0, "text",
     "FORMAT", "text or json"},
};
#define NOPTS (sizeof approve_options / sizeof approve_options[0])

static int run(const char *name, bool unapprove, int argc, char **argv)
{
    approve_cfg_t cfg;
    size_t npos;
    int status = EXIT_USAGE;
    bc_client_t *client = NULL;
    char synopsis[160];
    snprintf(synopsis, sizeof synopsis, "--hub ENDPOINT --unit CODE --period "
             "P %s[--format text|json]",
             unapprove ? "--reason TEXT " : "[--reason TEXT] ");
    int rc = cmd_parse(name, synopsis, approve_options, NOPTS, &cfg, argc,
                       argv, NULL, 0, &npos);
    if (rc == 1)
        status = EXIT_OK;
    if (rc)
        goto out_free;
    bool json = cfg.format && !strcmp(cfg.format, "json");
    if (!json && cfg.format && strcmp(cfg.format, "text")) {
        fprintf(stderr, "baocao %s: --format is text or json\n", name);
        goto out_free;
    }
    if (!cfg.unit || !cfg.period) {
        fprintf(stderr, "baocao %s: --unit and --period are required (see "
                "--help)\n", name);
        goto out_free;
    }
    if (unapprove && (!cfg.reason || !cfg.reason[0])) {
        fprintf(stderr, "baocao unapprove: --reason TEXT is required: why "
                "the period is reopened goes on record\n");
        goto out_free;
    }
    if (!(client = cmd_connect(name, &cfg.client)))
        goto out_free;
    status = EXIT_FAIL;
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    Baocao__ApprovalRequest a = BAOCAO__APPROVAL_REQUEST__INIT;
    a.unit = cfg.unit;
    a.period = cfg.period;
    a.unapprove = unapprove;
    a.reason = cfg.reason ? cfg.reason : "";
    req.body_case = BAOCAO__REQUEST__BODY_APPROVAL;
    req.approval = &a;
    Baocao__Reply *reply;
    if (cmd_call(name, client, &req, &reply, cfg.client.timeout_ms))
        goto out_close;
    if (reply->body_case != BAOCAO__REPLY__BODY_APPROVAL) {
        fprintf(stderr, "baocao %s: the hub answered something else (an "
                "older hub without approvals?)\n", name);
        baocao__reply__free_unpacked(reply, NULL);
        goto out_close;
    }
    const Baocao__ApprovalReply *ar = reply->approval;
    bool ok = ar->status == BAOCAO__ACK_STATUS__ACK_STORED
              || ar->status == BAOCAO__ACK_STATUS__ACK_DUPLICATE;
    if (json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "unit", cfg.unit);
        cJSON_AddStringToObject(o, "period", cfg.period);
        cJSON_AddStringToObject(o, "action",
                                unapprove ? "unapprove" : "approve");
        cJSON_AddStringToObject(o, "status", bc_ack_status_name(ar->status));
        if (!ok)
            cJSON_AddStringToObject(o, "reason", bc_reason_name(ar->reason));
        cJSON_AddStringToObject(o, "message", ar->message);
        cJSON_AddNumberToObject(o, "hub_seq", (double) ar->hub_seq);
        cJSON_AddBoolToObject(o, "approved", ar->approval != NULL);
        cJSON_AddItemToObject(o, "approval", cmd_approval_json(ar->approval));
        char *text = cJSON_Print(o);
        printf("%s\n", text);
        cJSON_free(text);
        cJSON_Delete(o);
    } else if (ok) {
        printf("%s (log seq %llu)\n", ar->message,
               (unsigned long long) ar->hub_seq);
    } else {
        fprintf(stderr, "baocao %s: %s: %s: %s\n", name,
                bc_ack_status_name(ar->status), bc_reason_name(ar->reason),
                ar->message);
    }
    if (ok)
        status = EXIT_OK;
    baocao__reply__free_unpacked(reply, NULL);
out_close:
    bc_client_destroy(&client);
out_free:
    bc_config_free(approve_options, NOPTS, &cfg);
    return status;
}

int cmd_approve(int argc, char **argv)
{
    return run("approve", false, argc, argv);
}

int cmd_unapprove(int argc, char **argv)
{
    return run("unapprove", true, argc, argv);
}
