/*
 * cmd_plan.c -- `baocao plan`: sets a unit's annual targets from a CSV
 * with the header indicator,target (the "% of plan" of queries).
 */
#include "bc_csv.h"
#include "cmd.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct {
    client_opts_t client;   /* hub connection */
    char *unit;             /* unit code */
    long long year;         /* plan year */
    char *file;             /* CSV indicator,target */
} plan_cfg_t;

static const bc_option_t plan_options[] = {
    CLIENT_OPTIONS(plan_cfg_t),
    {"unit", BC_OPT_STRING, offsetof(plan_cfg_t, unit), 0, 0, NULL, "CODE",
     "the unit whose targets these are"},
    {"year", BC_OPT_INT, offsetof(plan_cfg_t, year), 1900, 9999, NULL,
     "YYYY", "the plan year"},
    {"file", BC_OPT_STRING, offsetof(plan_cfg_t, file), 0, 0, NULL,
     "PLAN.csv", "CSV with header indicator,target"},
};
#define NPLAN (sizeof plan_options / sizeof plan_options[0])

int cmd_plan(int argc, char **argv)
{
    plan_cfg_t cfg;
    size_t npos;
    char err[512];
    int status = EXIT_USAGE;
    bc_client_t *client = NULL;
    bc_csv_t *csv = NULL;
    Baocao__Target *targets = NULL;
    Baocao__Target **ptrs = NULL;
    int rc = cmd_parse("plan", "--hub ENDPOINT --unit CODE --year YYYY "
                       "--file PLAN.csv", plan_options, NPLAN, &cfg, argc,
                       argv, NULL, 0, &npos);
    if (rc == 1)
        status = EXIT_OK;
    if (rc)
        goto out_free;
    if (!cfg.unit || !cfg.year || !cfg.file) {
        fprintf(stderr, "baocao plan: --unit, --year and --file are "
                "required\n");
        goto out_free;
    }
    if (!(csv = bc_csv_load(cfg.file, err, sizeof err))) {
        fprintf(stderr, "baocao plan: %s\n", err);
        goto out_free;
    }
    int ci = bc_csv_column(csv, "indicator"), ct = bc_csv_column(csv, "target");
    if (ci < 0 || ct < 0) {
        fprintf(stderr, "baocao plan: %s: header must have columns "
                "indicator,target\n", cfg.file);
        goto out_free;
    }
    size_t n = bc_csv_rows(csv);
    targets = calloc(n ? n : 1, sizeof *targets);
    ptrs = calloc(n ? n : 1, sizeof *ptrs);
    for (size_t i = 0; i < n; i++) {
        baocao__target__init(&targets[i]);
        targets[i].indicator = (char *) bc_csv_field(csv, i, ci);
        char *end;
        const char *text = bc_csv_field(csv, i, ct);
        long long v = strtoll(text, &end, 10);
        if (!*text || *end) {
            fprintf(stderr, "baocao plan: %s:%zu: target '%s' is not a whole "
                    "number\n", cfg.file, bc_csv_line(csv, i), text);
            goto out_free;
        }
        targets[i].target = v;
        ptrs[i] = &targets[i];
    }
    /* A connect failure is one of the options: exit 2 (cmd.h). */
    if (!(client = cmd_connect("plan", &cfg.client)))
        goto out_free;
    status = EXIT_FAIL;
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    Baocao__PlanSet ps = BAOCAO__PLAN_SET__INIT;
    ps.unit = cfg.unit;
    ps.year = (uint32_t) cfg.year;
    ps.n_targets = n;
    ps.targets = ptrs;
    req.body_case = BAOCAO__REQUEST__BODY_PLAN;
    req.plan = &ps;
    Baocao__Reply *reply;
    if (cmd_call("plan", client, &req, &reply, cfg.client.timeout_ms))
        goto out_free;
    if (reply->body_case == BAOCAO__REPLY__BODY_PLAN) {
        printf("stored %u targets for %s %lld\n", reply->plan->stored,
               cfg.unit, cfg.year);
        status = EXIT_OK;
    }
    baocao__reply__free_unpacked(reply, NULL);
out_free:
    bc_client_destroy(&client);
    free(targets);
    free(ptrs);
    bc_csv_destroy(&csv);
    bc_config_free(plan_options, NPLAN, &cfg);
    return status;
}
