/*
 * cmd_submit.c -- `baocao submit`: file a report into a node's outbox.
 *
 * Works with or without the node daemon running and with or without a
 * link: filing is a local, durable write; delivery is the daemon's job.
 * Filing the same (unit, period) again files a correction: the next
 * revision, which supersedes the earlier one at the hub.
 *
 * A correction replaces the whole report at the hub, so a correction file
 * that holds only the figure being fixed would silently drop every other
 * figure of the period (and their share of every total above). Before
 * filing, the new report is compared with the revision it replaces, which
 * the outbox holds (node_outbox_latest):
 *
 *   - the same figures: nothing is filed ("identical to revision N");
 *   - figures left out: refused, naming them, unless the user says
 *     --merge (keep them from the previous revision) or --replace (drop
 *     them). Refusing is the default because either guess can be wrong
 *     and a wrong guess changes the province's figures without a word;
 *     a refusal costs one more command.
 *
 * `--config node.conf` reads the node daemon's config file: the keys
 * submit shares with it (store, unit) are used, the daemon's own are
 * skipped (cmd_options_sharing).
 *
 * The hub's limits are enforced here, at filing, because a report the hub
 * cannot take would otherwise sit in the outbox for ever: at most
 * --max-values figures and --max-message bytes on the wire (defaults: the
 * hub's defaults; the catalogue fetch that would teach the node the hub's
 * own settings does not exist yet), counts at most 10^12, codes that are
 * UTF-8 text of at most 64 bytes. The file is read a block at a time and
 * refused at the first row past --max-values, or past 4 x --max-message
 * bytes (no report that fits the wire needs more CSV than that), so a huge
 * file costs bounded memory. An over-limit report exits 1, filing nothing;
 * a merged correction is checked as merged.
 *
 * Checks at filing, offline (issue #11, item 3): the report as it would
 * go is checked against the node's copy of the hub's catalogue, rules and
 * limits (node_copy.h, fetched by the node daemon whenever it reaches the
 * hub) with the same function the station's form uses (node_check.h). An
 * unknown indicator, a rate, a value that is not a whole count, a failing
 * error-level rule: exit 1, nothing filed, each problem named with its
 * line or with the rule and both sides' values. A failing warning-level
 * rule is shown and the report filed. Without a copy (the node never
 * reached the hub) the report is filed as before with a warning that it
 * could not be checked against the hub's catalogue and rules; what needs
 * no catalogue (a negative or fractional count) is refused all the same.
 */
#include "bc_error.h"
#include "bc_limits.h"
#include "bc_mem.h"
#include "bc_period.h"
#include "bc_report.h"
#include "bc_wire.h"
#include "cmd.h"
#include "node_check.h"
#include "node_copy.h"
#include "node_outbox.h"
#include "node_sender.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

typedef struct {
    char *store;            /* outbox directory */
    char *unit;             /* reporting unit */
    char *period;           /* YYYY-MM, ... */
    char *file;             /* report CSV */
    bool merge;             /* keep figures the correction leaves out */
    bool replace;           /* drop figures the correction leaves out */
    long long max_values;   /* most figures in one report (hub's limit) */
    long long max_message;  /* largest request, bytes (hub's limit) */
} submit_cfg_t;

static const bc_option_t submit_options[] = {
    {"store", BC_OPT_STRING, offsetof(submit_cfg_t, store), 0, 0, NULL, "DIR",
     "the node's outbox directory"},
    {"unit", BC_OPT_STRING, offsetof(submit_cfg_t, unit), 0, 0, NULL, "CODE",
     "the unit the report is for"},
    {"period", BC_OPT_STRING, offsetof(submit_cfg_t, period), 0, 0, NULL,
     "PERIOD", "YYYY-MM, YYYY-Qn, YYYY-Hn or YYYY"},
    {"file", BC_OPT_STRING, offsetof(submit_cfg_t, file), 0, 0, NULL,
     "REPORT.csv", "the report: CSV with header indicator,value"},
    {"merge", BC_OPT_BOOL, offsetof(submit_cfg_t, merge), 0, 0, NULL, NULL,
     "a correction keeps the figures it leaves out (from the last revision)"},
    {"replace", BC_OPT_BOOL, offsetof(submit_cfg_t, replace), 0, 0, NULL,
     NULL, "a correction drops the figures it leaves out"},
    {"max-values", BC_OPT_INT, offsetof(submit_cfg_t, max_values), 1, 100000,
     "1000", "N", "most figures in one report (the hub's --max-values)"},
    {"max-message", BC_OPT_INT, offsetof(submit_cfg_t, max_message), 256,
     64 << 20, "1M", "BYTES", "largest request the hub takes (the hub's "
     "--max-message)"},
};
#define NOPTS (sizeof submit_options / sizeof submit_options[0])

/* Lists the indicators of prev that next leaves out, into buf; returns
 * their count. */
static size_t left_out(const bc_report_t *prev, const bc_report_t *next,
                       char *buf, size_t len)
{
    size_t n = 0, used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < prev->nvalues; i++) {
        const char *code = prev->values[i].indicator;
        /* An indicator the correction gives, as its total or any
         * combination, is replaced whole (bc_report_merge). */
        if (bc_report_holds(next, code))
            continue;
        if (used < len) {
            int w = snprintf(buf + used, len - used, "%s%s", n ? ", " : "",
                             code);
            used += w > 0 ? (size_t) w : 0;
        }
        n++;
    }
    if (used >= len && len > 4)
        memcpy(buf + len - 4, "...", 4);
    return n;
}

/* What the hub would refuse for its size or its counts, refused now with
 * the limit named. Returns 0, or -1 after printing why. */
static int check_limits(const submit_cfg_t *cfg, const bc_report_t *r,
                        const char *period)
{
    if (!bc_text_valid(cfg->unit, strlen(cfg->unit))
        || strlen(cfg->unit) > BC_TEXT_MAX) {
        fprintf(stderr, "baocao submit: --unit must be UTF-8 text of at most "
                "%d bytes; nothing filed\n", BC_TEXT_MAX);
        return -1;
    }
    if (r->nvalues > (size_t) cfg->max_values) {
        fprintf(stderr, "baocao submit: %s: %zu figures, over --max-values "
                "%lld; nothing filed\n", cfg->file, r->nvalues,
                cfg->max_values);
        return -1;
    }
    for (size_t i = 0; i < r->nvalues; i++) {
        const bc_report_value_t *v = &r->values[i];
        /* A combination's code (bc_report.h) is its indicator's and the
         * options, each of which the hub bounds like any text. */
        const char *br = strchr(v->indicator, '[');
        size_t len = br ? (size_t) (br - v->indicator) : strlen(v->indicator);
        if (!bc_text_valid(v->indicator, strlen(v->indicator))
            || len > BC_TEXT_MAX) {
            fprintf(stderr, "baocao submit: %s: figure %zu: an indicator code "
                    "is UTF-8 text of at most %d bytes; nothing filed\n",
                    cfg->file, i + 1, BC_TEXT_MAX);
            return -1;
        }
        if (v->is_integer && v->count > BC_COUNT_MAX) {
            fprintf(stderr, "baocao submit: %s: %s is %lld, above the largest "
                    "count the hub takes (10^12); nothing filed\n", cfg->file,
                    v->indicator, (long long) v->count);
            return -1;
        }
    }
    size_t wire = bc_report_wire_size(r, cfg->unit, period);
    if (wire > (size_t) cfg->max_message) {
        fprintf(stderr, "baocao submit: %s: the report is %zu bytes on the "
                "wire, over --max-message %lld; nothing filed\n", cfg->file,
                wire, cfg->max_message);
        return -1;
    }
    return 0;
}

/* The report against the node's copy (see the top). Returns 0 to file,
 * or -1 after printing why not. */
static int check_report(const submit_cfg_t *cfg, const bc_report_t *r,
                        const char *period, bc_period_t p)
{
    int rc;
    char err[512];
    /* The hub refuses a period that has not started (its clock; this one
     * is the node's, which the hub bounds anyway). */
    if (bc_period_start(p) > (int64_t) time(NULL)) {
        fprintf(stderr, "baocao submit: period %s has not started yet; "
                "nothing filed\n", period);
        return -1;
    }
    node_copy_t *copy = node_copy_load(cfg->store, &rc, err, sizeof err);
    node_check_t chk;
    node_check_report(copy, r, cfg->file, &chk);
    for (size_t i = 0; i < chk.n; i++)
        fprintf(stderr, "baocao submit: %s%s\n",
                chk.items[i].error ? "" : "warning: ", chk.items[i].text);
    char when[64] = "";
    if (copy) {
        time_t t = (time_t) node_copy_confirmed_at(copy);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm);
    }
    int status = 0;
    /* The hub's own --max-message, once the copy says it. */
    size_t wire = bc_report_wire_size(r, cfg->unit, period);
    if (copy && !chk.errors && wire > node_copy_max_message(copy)) {
        fprintf(stderr, "baocao submit: %s: the report is %zu bytes on the "
                "wire, over the hub's --max-message %zu\n", cfg->file, wire,
                node_copy_max_message(copy));
        chk.errors++;
    }
    if (chk.errors) {
        fprintf(stderr, "baocao submit: %s %s refused: %zu problem%s%s%s; "
                "nothing filed\n", cfg->unit, period, chk.errors,
                chk.errors == 1 ? "" : "s",
                copy ? ", checked against the hub's catalogue and rules "
                       "as of " : "", when);
        status = -1;
    } else if (!copy) {
        fprintf(stderr, "baocao submit: warning: could not check the report "
                "against the hub's catalogue and rules: %s. Filed "
                "unchecked; the hub checks it on arrival\n", err);
    }
    node_check_free(&chk);
    node_copy_destroy(&copy);
    return status;
}

int cmd_submit(int argc, char **argv)
{
    submit_cfg_t cfg;
    size_t npos, nopts;
    char err[512];
    int status = EXIT_USAGE;
    bc_report_t *report = NULL, *prev = NULL;
    node_outbox_t *outbox = NULL;
    bc_option_t *opts = cmd_options_sharing(submit_options, NOPTS,
                                            node_options, node_noptions,
                                            &nopts);
    int rc = cmd_parse("submit", "--store DIR --unit CODE --period YYYY-MM "
                       "--file REPORT.csv [--merge | --replace]", opts, nopts,
                       &cfg, argc, argv, NULL, 0, &npos);
    if (rc == 1) {
        status = EXIT_OK;   /* --help was asked for */
        printf("\nThe report is checked first against the node's copy of "
               "the hub's catalogue,\nrules and limits (STORE/%s, fetched "
               "by baocao-node whenever it\nreaches the hub): an error "
               "rule, an unknown indicator, a negative or\nfractional count "
               "refuse it (exit 1, nothing filed); a warning rule is shown\n"
               "and the report filed. Without a copy it is filed unchecked, "
               "with a warning.\n", NODE_COPY_FILE);
    }
    if (rc)
        goto out_free_cfg;
    if (!cfg.store || !cfg.unit || !cfg.period || !cfg.file) {
        fprintf(stderr, "baocao submit: --store, --unit, --period and --file "
                "are all required\n");
        goto out_free_cfg;
    }
    if (cfg.merge && cfg.replace) {
        fprintf(stderr, "baocao submit: --merge and --replace exclude each "
                "other\n");
        goto out_free_cfg;
    }
    bc_period_t p;
    if (bc_period_parse(cfg.period, &p)) {
        fprintf(stderr, "baocao submit: period '%s' is not YYYY-MM, YYYY-Qn, "
                "YYYY-Hn or YYYY\n", cfg.period);
        goto out_free_cfg;
    }
    rc = bc_report_load_limited(cfg.file, (size_t) cfg.max_values,
                                (size_t) cfg.max_message * 4, &report, err,
                                sizeof err);
    if (rc == BC_ERANGE) {
        fprintf(stderr, "baocao submit: %s: refused, over the hub's limits "
                "(--max-values %lld figures, files up to 4 x --max-message "
                "%lld bytes); nothing filed\n", err, cfg.max_values,
                cfg.max_message);
        status = EXIT_FAIL;
        goto out_free_cfg;
    }
    if (rc) {
        fprintf(stderr, "baocao submit: %s\n", err);
        goto out_free_cfg;
    }
    status = EXIT_FAIL;
    outbox = node_outbox_open(cfg.store, err, sizeof err);
    if (!outbox) {
        fprintf(stderr, "baocao submit: %s\n", err);
        goto out_free_report;
    }
    /* The canonical period text, so that "2023-q4" and "2023-Q4" are the
     * same report. */
    char ptext[BC_PERIOD_STRLEN];
    bc_period_format(p, ptext);

    /* A correction: compare with the revision it replaces. */
    uint32_t prev_rev = 0;
    size_t kept = 0, dropped = 0;
    rc = node_outbox_latest(outbox, cfg.unit, ptext, &prev, &prev_rev);
    if (rc && rc != BC_ENOTFOUND) {
        char why[512];
        node_outbox_explain(outbox, rc, why, sizeof why);
        fprintf(stderr, "baocao submit: cannot read the revision this one "
                "would replace: %s\n", why);
        goto out_close;
    }
    if (prev) {
        char names[256];
        size_t missing = left_out(prev, report, names, sizeof names);
        if (missing && !cfg.merge && !cfg.replace) {
            fprintf(stderr, "baocao submit: this correction of %s %s leaves "
                    "out %zu figure(s) that revision %u has: %s. Nothing "
                    "filed. Pass --merge to keep them from revision %u, or "
                    "--replace to drop them\n", cfg.unit, ptext, missing,
                    prev_rev, names, prev_rev);
            goto out_close;
        }
        if (missing && cfg.merge) {
            bc_report_t *merged = bc_report_merge(prev, report);
            bc_report_destroy(&report);
            report = merged;
            kept = missing;
        } else {
            dropped = missing;
        }
        if (bc_report_same(prev, report)) {
            fprintf(stderr, "%s %s: identical to revision %u; nothing filed\n",
                    cfg.unit, ptext, prev_rev);
            status = EXIT_OK;
            goto out_close;
        }
    }

    /* The report as it would go (a merged correction included). */
    if (check_limits(&cfg, report, ptext) || check_report(&cfg, report, ptext, p))
        goto out_close;

    uint8_t id[BC_ID_LEN];
    uint32_t revision;
    rc = node_outbox_file(outbox, cfg.unit, ptext, report, (int64_t) time(NULL),
                          id, &revision);
    if (rc) {
        char why[512];
        node_outbox_explain(outbox, rc, why, sizeof why);
        if (rc == BC_ENOSPC)
            fprintf(stderr, "baocao submit: could not file the report: %s; "
                    "submit keeps %llu MiB free so that the node can "
                    "record the hub's answers: free some space, then file "
                    "it again\n", why,
                    (unsigned long long) (NODE_OUTBOX_RESERVE >> 20));
        else
            fprintf(stderr, "baocao submit: could not file the report: %s\n",
                    why);
        if (rc == BC_ENOSPC || rc == BC_EFATAL)
            node_outbox_note_store_error(outbox, why);
        goto out_close;
    }
    char hex[BC_ID_HEXLEN + 1];
    printf("%s\n", bc_id_hex(id, BC_ID_LEN, hex));
    char how[96] = "";
    if (kept)
        snprintf(how, sizeof how, "; %zu kept from revision %u", kept,
                 prev_rev);
    else if (dropped)
        snprintf(how, sizeof how, "; %zu of revision %u dropped", dropped,
                 prev_rev);
    fprintf(stderr, "filed %s %s revision %u (%zu figure%s%s); the node will "
            "deliver it\n", cfg.unit, ptext, revision, report->nvalues,
            report->nvalues == 1 ? "" : "s", how);
    status = EXIT_OK;
out_close:
    node_outbox_close(&outbox);
out_free_report:
    bc_report_destroy(&prev);
    bc_report_destroy(&report);
out_free_cfg:
    bc_config_free(opts, nopts, &cfg);
    free(opts);
    return status;
}
