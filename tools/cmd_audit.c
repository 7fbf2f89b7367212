/*
 * cmd_audit.c -- `baocao audit`: the hub's submission log for auditors.
 *
 *   export   store -> a portable file: an ExportHeader, then LogEntry
 *            messages, each prefixed with its length (varint), as protobuf's
 *            writeDelimitedTo does, so any protobuf library reads it back
 *   verify   recomputes the SHA-256 chain of a file or a store and names the
 *            first entry that does not fit
 *   history  every revision of one report, who sent it, which is current
 *   replay   rebuilds a store from a file alone (--into), or resends the
 *            file's submissions to another hub (--to)
 *   digest   one line that sums up every current figure of a store
 *   head     the live log's head (last seq and chain hash), to compare
 *            with the head `verify` prints
 *   verify-upstream  a national hub's entries from a province against the
 *            province's own log (cmd_audit_upstream.c, own options)
 *
 * The tools open the hub's store read-only: they may run beside a live hub.
 * Each verb lives in its own file (cmd_audit_<verb>.c, see cmd_audit.h),
 * the export file's format and the helpers they share in cmd_audit_file.c;
 * this one holds the shared option table and the dispatcher.
 */
#include "cmd_audit.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>


#define AC(f) offsetof(audit_cfg_t, f)
static const bc_option_t audit_options[] = {
    {"hub", BC_OPT_STRING, AC(client.hub), 0, 0, NULL, "ENDPOINT",
     "head: the running hub to ask"},
    {"hub-key", BC_OPT_STRING, AC(client.hub_key), 0, 0, NULL, "HUB.pub",
     "replay --to, head --hub: the hub's public key (CURVE)"},
    {"cert", BC_OPT_STRING, AC(client.cert), 0, 0, NULL, "NAME.secret",
     "replay --to, head --hub: our key pair"},
    {"plain", BC_OPT_BOOL, AC(client.plain), 0, 0, NULL, NULL,
     "replay --to, head --hub: connect without encryption"},
    {"timeout", BC_OPT_INT, AC(client.timeout_ms), 10, 3600000, "30000", "MS",
     "replay --to, head --hub: give up when the hub is silent this long"},
    {"store", BC_OPT_STRING, AC(store), 0, 0, NULL, "HUB_DIR",
     "the hub's store directory"},
    {"out", BC_OPT_STRING, AC(out), 0, 0, NULL, "FILE", "export: the file"},
    {"unit", BC_OPT_STRING, AC(unit), 0, 0, NULL, "CODE",
     "export: only this unit's submissions; history: the unit"},
    {"period", BC_OPT_STRING, AC(period), 0, 0, NULL, "PERIOD",
     "history: the period"},
    {"from", BC_OPT_STRING, AC(from), 0, 0, NULL, "YYYY-MM-DD",
     "export: received on or after this day (UTC)"},
    {"to", BC_OPT_STRING, AC(to), 0, 0, NULL, "ENDPOINT|YYYY-MM-DD",
     "replay: the hub to resend to; export: received up to this day"},
    {"into", BC_OPT_STRING, AC(into), 0, 0, NULL, "NEW_HUB_DIR",
     "replay: rebuild a new store here"},
    {"registry", BC_OPT_STRING, AC(registry), 0, 0, "data/units.csv",
     "UNITS.csv", "replay --into: the hub's registry"},
    {"catalog", BC_OPT_STRING, AC(catalog), 0, 0, "data/indicators.csv",
     "INDICATORS.csv", "replay --into: the hub's catalogue"},
    {"map-size", BC_OPT_INT, AC(map_size), 1 << 20, 1LL << 40, "8G", "BYTES",
     "replay --into: LMDB map size"},
    {"window", BC_OPT_INT, AC(window), 1, 100000, "256", "N",
     "replay --to: submissions in flight"},
    {"figures", BC_OPT_BOOL, AC(figures), 0, 0, NULL, NULL,
     "history: every filing received (rejected ones too) with its figures "
     "and outcome; reads the whole log"},
    {"seq", BC_OPT_INT, AC(seq), 0, INT64_MAX, "0", "N",
     "head: the chain hash at entry N (where an export ends), not the last"},
};
#define NAUDIT (sizeof audit_options / sizeof audit_options[0])

static const char *audit_synopsis =
    "export --store HUB_DIR --out FILE [--unit CODE] [--from DATE] [--to DATE]\n"
    "       baocao audit verify (FILE | --store HUB_DIR)\n"
    "       baocao audit history --store HUB_DIR --unit CODE --period PERIOD "
    "[--figures]\n"
    "       baocao audit replay FILE (--into NEW_HUB_DIR | --to ENDPOINT)\n"
    "       baocao audit digest --store HUB_DIR\n"
    "       baocao audit head (--hub ENDPOINT [--hub-key HUB.pub --cert "
    "NAME.secret | --plain] | --store HUB_DIR) [--seq N]\n"
    "       baocao audit verify-upstream --store NATIONAL_DIR "
    "--province-store PROVINCE_DIR";

int cmd_audit(int argc, char **argv)
{
    audit_cfg_t cfg;
    char *pos[2];
    size_t npos;
    if (argc < 1 || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")) {
        printf("usage: baocao audit %s\n\noptions:\n", audit_synopsis);
        bc_config_usage(audit_options, NAUDIT, stdout);
        return argc < 1 ? EXIT_USAGE : EXIT_OK;
    }
    const char *verb = argv[0];
    if (!strcmp(verb, "verify-upstream"))   /* cmd_audit_upstream.c */
        return cmd_audit_verify_upstream(argc - 1, argv + 1);
    int rc = cmd_parse("audit", audit_synopsis, audit_options, NAUDIT, &cfg,
                       argc - 1, argv + 1, pos, 2, &npos);
    if (rc) {
        bc_config_free(audit_options, NAUDIT, &cfg);
        return rc == 1 ? EXIT_OK : EXIT_USAGE;
    }
    /* `--to` means an endpoint for replay, a day for export. */
    if (!strcmp(verb, "export")) {
        rc = audit_export(&cfg);
    } else if (!strcmp(verb, "verify")) {
        rc = audit_verify(&cfg, npos ? pos[0] : NULL);
    } else if (!strcmp(verb, "history")) {
        rc = audit_history(&cfg);
    } else if (!strcmp(verb, "replay")) {
        rc = audit_replay(&cfg, npos ? pos[0] : NULL);
    } else if (!strcmp(verb, "head")) {
        rc = audit_head(&cfg);
    } else if (!strcmp(verb, "digest")) {
        rc = cfg.store ? audit_print_digest(cfg.store, "digest") : EXIT_USAGE;
        if (!cfg.store)
            fprintf(stderr, "baocao audit digest: --store HUB_DIR is "
                    "required\n");
    } else {
        fprintf(stderr, "baocao audit: unknown verb '%s' (export, verify, "
                "history, replay, digest, head)\n", verb);
        rc = EXIT_USAGE;
    }
    bc_config_free(audit_options, NAUDIT, &cfg);
    return rc;
}
