/*
 * cmd_validate.c -- `baocao validate --hub EP --unit CODE --period P`: the
 * hub's validation rules (its --rules) on a unit and every unit under it,
 * as a table, CSV or JSON.
 *
 * Each unit's figures are the hub's by the contribution rule, so a
 * district row can list a rule that no single ward breaks (aggregated
 * totals). Rules that could not be checked somewhere (a side with no
 * figure) are listed after the violations, with how many units skipped
 * them, so that "no violations" never hides "nothing was checked".
 *
 * Exit status: 0 when the hub answered (violations or not: they are the
 * answer, not a failure), 1 when it refused or could not be reached.
 */
#include "bc_error.h"
#include "bc_table.h"
#include "bc_wire.h"
#include "cmd.h"
#include "bc_csv.h"

#include <cjson/cJSON.h>
#include <stdio.h>

typedef struct {
    client_opts_t client;   /* --hub, keys, --timeout */
    char *unit;             /* subtree root */
    char *period;           /* YYYY-MM, YYYY-Qn, YYYY-Hn, YYYY */
    char *format;           /* table, csv or json */
} validate_cfg_t;

static const bc_option_t validate_options[] = {
    CLIENT_OPTIONS(validate_cfg_t),
    {"unit", BC_OPT_STRING, offsetof(validate_cfg_t, unit), 0, 0, NULL,
     "CODE", "the unit whose subtree is checked"},
    {"period", BC_OPT_STRING, offsetof(validate_cfg_t, period), 0, 0, NULL,
     "PERIOD", "YYYY-MM, YYYY-Qn, YYYY-Hn or YYYY"},
    {"format", BC_OPT_STRING, offsetof(validate_cfg_t, format), 0, 0,
     "table", "FORMAT", "table, csv or json"},
};
#define NOPTS (sizeof validate_options / sizeof validate_options[0])

static const char *cols[] = {"unit", "rule", "importance", "left", "right",
                             "check", "message"};
#define NCOLS (sizeof cols / sizeof cols[0])

static void cells_of(const Baocao__Violation *v, char l[24], char r[24],
                     const char *cells[NCOLS])
{
    snprintf(l, 24, "%lld", (long long) v->left);
    snprintf(r, 24, "%lld", (long long) v->right);
    const char *c[NCOLS] = {v->unit, v->rule, v->importance, l, r, v->text,
                            v->message};
    for (size_t i = 0; i < NCOLS; i++)
        cells[i] = c[i];
}

static void print_json(const Baocao__ValidateReply *r)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "unit", r->unit);
    cJSON_AddStringToObject(o, "period", r->period);
    cJSON_AddNumberToObject(o, "rules", r->rules);
    cJSON_AddNumberToObject(o, "units", r->units);
    cJSON *arr = cJSON_AddArrayToObject(o, "violations");
    for (size_t i = 0; i < r->n_violations; i++) {
        const Baocao__Violation *v = r->violations[i];
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "unit", v->unit);
        cJSON_AddStringToObject(e, "rule", v->rule);
        cJSON_AddStringToObject(e, "importance", v->importance);
        cJSON_AddNumberToObject(e, "left", (double) v->left);
        cJSON_AddNumberToObject(e, "right", (double) v->right);
        cJSON_AddStringToObject(e, "check", v->text);
        cJSON_AddStringToObject(e, "message", v->message);
        cJSON_AddItemToArray(arr, e);
    }
    cJSON *sk = cJSON_AddArrayToObject(o, "skipped");
    for (size_t i = 0; i < r->n_skipped; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "rule", r->skipped[i]->rule);
        cJSON_AddNumberToObject(e, "units", r->skipped[i]->units);
        cJSON_AddItemToArray(sk, e);
    }
    char *text = cJSON_Print(o);
    printf("%s\n", text);
    free(text);
    cJSON_Delete(o);
}

static void print_csv(const Baocao__ValidateReply *r)
{
    for (size_t c = 0; c < NCOLS; c++)
        bc_csv_write_field(stdout, cols[c], c == NCOLS - 1);
    for (size_t i = 0; i < r->n_violations; i++) {
        char l[24], rt[24];
        const char *cells[NCOLS];
        cells_of(r->violations[i], l, rt, cells);
        for (size_t c = 0; c < NCOLS; c++)
            bc_csv_write_field(stdout, cells[c], c == NCOLS - 1);
    }
}

static void print_table(const Baocao__ValidateReply *r)
{
    printf("%s %s: %u rules on %u units, %zu violations\n", r->unit,
           r->period, r->rules, r->units, r->n_violations);
    if (r->n_violations) {
        bc_table_t *t = bc_table_new(NCOLS, cols);
        bc_table_align(t, 3, BC_ALIGN_RIGHT);
        bc_table_align(t, 4, BC_ALIGN_RIGHT);
        for (size_t i = 0; i < r->n_violations; i++) {
            char l[24], rt[24];
            const char *cells[NCOLS];
            cells_of(r->violations[i], l, rt, cells);
            bc_table_add(t, cells);
        }
        bc_table_print(t, stdout);
        bc_table_destroy(&t);
    }
    for (size_t i = 0; i < r->n_skipped; i++)
        printf("skipped: %s at %u of %u units (a side has no figure)\n",
               r->skipped[i]->rule, r->skipped[i]->units, r->units);
}

int cmd_validate(int argc, char **argv)
{
    validate_cfg_t cfg;
    size_t npos;
    int status = EXIT_USAGE;
    out_format_t fmt;
    bc_client_t *client = NULL;
    int rc = cmd_parse("validate", "--hub ENDPOINT --unit CODE --period P "
                       "[--format table|csv|json]", validate_options, NOPTS,
                       &cfg, argc, argv, NULL, 0, &npos);
    if (rc == 1)
        status = EXIT_OK;
    if (rc || cmd_format("validate", cfg.format, &fmt))
        goto out_free;
    if (!cfg.unit || !cfg.period) {
        fprintf(stderr, "baocao validate: --unit and --period are required "
                "(see --help)\n");
        goto out_free;
    }
    /* A connect failure is one of the options: exit 2 (cmd.h). */
    if (!(client = cmd_connect("validate", &cfg.client)))
        goto out_free;
    status = EXIT_FAIL;
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    Baocao__ValidateQuery q = BAOCAO__VALIDATE_QUERY__INIT;
    q.unit = cfg.unit;
    q.period = cfg.period;
    req.body_case = BAOCAO__REQUEST__BODY_VALIDATE;
    req.validate = &q;
    Baocao__Reply *reply;
    if (cmd_call("validate", client, &req, &reply, cfg.client.timeout_ms))
        goto out_close;
    if (reply->body_case == BAOCAO__REPLY__BODY_VALIDATE) {
        if (fmt == FMT_JSON)
            print_json(reply->validate);
        else if (fmt == FMT_CSV)
            print_csv(reply->validate);
        else
            print_table(reply->validate);
        status = EXIT_OK;
    } else {
        fprintf(stderr, "baocao validate: the hub answered something else "
                "(an older hub without rules?)\n");
    }
    baocao__reply__free_unpacked(reply, NULL);
out_close:
    bc_client_destroy(&client);
out_free:
    bc_config_free(validate_options, NOPTS, &cfg);
    return status;
}
