/*
 * cmd_submit.c -- `baocao submit`: file a report into a node's outbox.
 *
 * Works with or without the node daemon running and with or without a
 * link: filing is a local, durable write; delivery is the daemon's job.
 * Filing the same (unit, period) again files a correction: the next
 * revision, which supersedes the earlier one at the hub.
 */
#include "bc_error.h"
#include "bc_period.h"
#include "bc_report.h"
#include "bc_wire.h"
#include "cmd.h"
#include "node_outbox.h"

#include <stdio.h>
#include <time.h>

typedef struct {
    char *store;            /* outbox directory */
    char *unit;             /* reporting unit */
    char *period;           /* YYYY-MM, ... */
    char *file;             /* report CSV */
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
};
#define NOPTS (sizeof submit_options / sizeof submit_options[0])

int cmd_submit(int argc, char **argv)
{
    submit_cfg_t cfg;
    size_t npos;
    char err[512];
    int status = EXIT_USAGE;
    bc_report_t *report = NULL;
    node_outbox_t *outbox = NULL;
    int rc = cmd_parse("submit", "--store DIR --unit CODE --period YYYY-MM "
                       "--file REPORT.csv", submit_options, NOPTS, &cfg, argc,
                       argv, NULL, 0, &npos);
    if (rc == 1)
        status = EXIT_OK;   /* --help was asked for */
    if (rc)
        goto out_free_cfg;
    if (!cfg.store || !cfg.unit || !cfg.period || !cfg.file) {
        fprintf(stderr, "baocao submit: --store, --unit, --period and --file "
                "are all required\n");
        goto out_free_cfg;
    }
    bc_period_t p;
    if (bc_period_parse(cfg.period, &p)) {
        fprintf(stderr, "baocao submit: period '%s' is not YYYY-MM, YYYY-Qn, "
                "YYYY-Hn or YYYY\n", cfg.period);
        goto out_free_cfg;
    }
    if (bc_report_load(cfg.file, &report, err, sizeof err)) {
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
    fprintf(stderr, "filed %s %s revision %u (%zu figures); the node will "
            "deliver it\n", cfg.unit, ptext, revision, report->nvalues);
    status = EXIT_OK;
out_close:
    node_outbox_close(&outbox);
out_free_report:
    bc_report_destroy(&report);
out_free_cfg:
    bc_config_free(submit_options, NOPTS, &cfg);
    return status;
}
