/*
 * cmd_enroll.c -- enrolment without copying keys: `baocao enroll` at the
 * station, `baocao registry approve-key` at the province.
 *
 *   1. The station runs `baocao enroll --store NODE_DIR --unit CODE`: it
 *      makes the node's key pair (NODE_DIR/node.secret, node.pub) and
 *      prints a short fingerprint, which staff read out on the phone.
 *   2. The node starts with --cert NODE_DIR/node.secret. The hub refuses
 *      the unknown key but records it (STORE/pending-keys, hub_auth.h).
 *   3. The operator, hearing the fingerprint, runs `baocao registry
 *      approve-key --unit CODE --fingerprint F --registry UNITS.csv
 *      --pending STORE/pending-keys --hub-pid PID`: the one pending key
 *      with that fingerprint goes into the unit's `key` column (the file
 *      rewritten whole: temporary file, fsync, rename), and the hub is
 *      told to reload its keys (SIGHUP). The node's next handshake passes.
 *
 * The fingerprint is what authenticates: a key nobody read out is never
 * approved, and a fingerprint matching two pending keys is refused.
 */
#include "bc_csv.h"
#include "bc_error.h"
#include "bc_keys.h"
#include "bc_mem.h"
#include "cmd.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* --- enroll ---------------------------------------------------------------- */

typedef struct {
    char *store;            /* the node's directory */
    char *unit;             /* its unit code */
} enroll_cfg_t;

static const bc_option_t enroll_options[] = {
    {"store", BC_OPT_STRING, offsetof(enroll_cfg_t, store), 0, 0, NULL, "DIR",
     "the node's directory (its outbox); the key pair is written there"},
    {"unit", BC_OPT_STRING, offsetof(enroll_cfg_t, unit), 0, 0, NULL, "CODE",
     "the unit the node reports for"},
};
#define NENROLL (sizeof enroll_options / sizeof enroll_options[0])

int cmd_enroll(int argc, char **argv)
{
    enroll_cfg_t cfg;
    size_t npos;
    char err[512], name[4096], pub[41], fp[20];
    int status = EXIT_USAGE;
    int rc = cmd_parse("enroll", "--store NODE_DIR --unit CODE",
                       enroll_options, NENROLL, &cfg, argc, argv, NULL, 0,
                       &npos);
    if (rc == 1)
        status = EXIT_OK;
    if (rc)
        goto out_free;
    if (!cfg.store || !cfg.unit) {
        fprintf(stderr, "baocao enroll: --store and --unit are required\n");
        goto out_free;
    }
    status = EXIT_FAIL;
    if (mkdir(cfg.store, 0700) && errno != EEXIST) {
        fprintf(stderr, "baocao enroll: %s: %s\n", cfg.store,
                strerror(errno));
        goto out_free;
    }
    snprintf(name, sizeof name, "%s/node", cfg.store);
    rc = bc_keys_generate(name, err, sizeof err);
    if (rc) {
        fprintf(stderr, "baocao enroll: %s%s\n", err, rc == BC_EEXIST
                ? " (this node is enrolled already: its key stays)" : "");
        goto out_free;
    }
    snprintf(name, sizeof name, "%s/node.pub", cfg.store);
    if (bc_keys_public(name, pub, err, sizeof err)) {
        fprintf(stderr, "baocao enroll: %s\n", err);
        goto out_free;
    }
    bc_keys_fingerprint(pub, fp);
    printf("%s\n", fp);
    fprintf(stderr, "enrolment of %s: key pair %s/node.secret (start "
            "baocao-node with --cert %s/node.secret).\nRead this fingerprint "
            "out to the province's operator: %s\n", cfg.unit, cfg.store,
            cfg.store, fp);
    status = EXIT_OK;
out_free:
    bc_config_free(enroll_options, NENROLL, &cfg);
    return status;
}

/* --- registry approve-key -------------------------------------------------- */

typedef struct {
    char *unit;             /* the unit whose key it is */
    char *fingerprint;      /* as read out by the station */
    char *registry;         /* the hub's units CSV */
    char *pending;          /* the hub's STORE/pending-keys */
    long long hub_pid;      /* the hub, told to reload (0: not told) */
} approve_cfg_t;

static const bc_option_t approve_options[] = {
    {"unit", BC_OPT_STRING, offsetof(approve_cfg_t, unit), 0, 0, NULL, "CODE",
     "the unit the key belongs to"},
    {"fingerprint", BC_OPT_STRING, offsetof(approve_cfg_t, fingerprint), 0,
     0, NULL, "F", "the fingerprint the station read out (XXXX-XXXX-...)"},
    {"registry", BC_OPT_STRING, offsetof(approve_cfg_t, registry), 0, 0,
     NULL, "UNITS.csv", "the hub's registry (rewritten with the key)"},
    {"pending", BC_OPT_STRING, offsetof(approve_cfg_t, pending), 0, 0, NULL,
     "FILE", "the hub's pending keys (STORE/pending-keys)"},
    {"hub-pid", BC_OPT_INT, offsetof(approve_cfg_t, hub_pid), 0, 4194304,
     "0", "PID", "send the hub SIGHUP so that it reloads its keys"},
};
#define NAPPROVE (sizeof approve_options / sizeof approve_options[0])

/* "3f2a 91bc-07de55A1" -> "3F2A-91BC-07DE-55A1"; false when it is not 16
 * hex digits. */
static bool normal_fingerprint(const char *in, char out[20])
{
    char hex[17];
    size_t n = 0;
    for (; *in; in++) {
        if (*in == '-' || *in == ' ')
            continue;
        if (!isxdigit((unsigned char) *in) || n == 16)
            return false;
        hex[n++] = (char) toupper((unsigned char) *in);
    }
    if (n != 16)
        return false;
    snprintf(out, 20, "%.4s-%.4s-%.4s-%.4s", hex, hex + 4, hex + 8,
             hex + 12);
    return true;
}

static void csv_out(FILE *f, const char *s, bool last)
{
    if (strpbrk(s, ",\"\n\r")) {
        fputc('"', f);
        for (; *s; s++) {
            if (*s == '"')
                fputc('"', f);
            fputc(*s, f);
        }
        fputc('"', f);
    } else {
        fputs(s, f);
    }
    fputc(last ? '\n' : ',', f);
}

/* Rewrites the registry with `key` in unit's row (adding a `key` column
 * when there is none): temporary file, fsync, rename. */
static int write_key(const char *path, const char *unit, const char *key,
                     char *err, size_t errlen)
{
    bc_csv_t *csv = bc_csv_load(path, err, errlen);
    if (!csv)
        return BC_EPARSE;
    int rc = BC_ENOTFOUND;
    int cc = bc_csv_column(csv, "code"), ck = bc_csv_column(csv, "key");
    size_t ncols = bc_csv_columns(csv), rows = bc_csv_rows(csv), row = 0;
    for (; cc >= 0 && row < rows; row++)
        if (!strcmp(bc_csv_field(csv, row, cc), unit))
            break;
    if (cc < 0 || row == rows) {
        bc_set_error(err, errlen, "%s: no unit %s", path, unit);
        goto out_csv;
    }
    for (size_t r = 0; ck >= 0 && r < rows; r++)
        if (r != row && !strcmp(bc_csv_field(csv, r, ck), key)) {
            bc_set_error(err, errlen, "%s: unit %s already has this key",
                         path, bc_csv_field(csv, r, cc));
            rc = BC_EEXIST;
            goto out_csv;
        }
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    rc = BC_EIO;
    if (!f) {
        bc_set_error(err, errlen, "%s: %s", tmp, strerror(errno));
        goto out_csv;
    }
    size_t out_cols = ck >= 0 ? ncols : ncols + 1;
    for (size_t c = 0; c < out_cols; c++)
        csv_out(f, c < ncols ? bc_csv_header(csv, c) : "key",
                c == out_cols - 1);
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < out_cols; c++) {
            bool is_key = (int) c == ck || c == ncols;
            const char *v = r == row && is_key ? key
                          : c < ncols ? bc_csv_field(csv, r, (int) c) : "";
            csv_out(f, v, c == out_cols - 1);
        }
    if (fflush(f) || fsync(fileno(f)) || fclose(f)) {
        bc_set_error(err, errlen, "%s: %s", tmp, strerror(errno));
        unlink(tmp);
        goto out_csv;
    }
    if (rename(tmp, path)) {
        bc_set_error(err, errlen, "rename %s: %s", path, strerror(errno));
        unlink(tmp);
        goto out_csv;
    }
    rc = BC_OK;
out_csv:
    bc_csv_destroy(&csv);
    return rc;
}

static int approve_key(int argc, char **argv)
{
    approve_cfg_t cfg;
    size_t npos;
    char err[512], want[20], key[41] = "";
    int status = EXIT_USAGE, matches = 0;
    FILE *pf = NULL;
    int rc = cmd_parse("registry approve-key", "--unit CODE --fingerprint F "
                       "--registry UNITS.csv --pending FILE [--hub-pid PID]",
                       approve_options, NAPPROVE, &cfg, argc, argv, NULL, 0,
                       &npos);
    if (rc == 1)
        status = EXIT_OK;
    if (rc)
        goto out_free;
    if (!cfg.unit || !cfg.fingerprint || !cfg.registry || !cfg.pending) {
        fprintf(stderr, "baocao registry approve-key: --unit, --fingerprint, "
                "--registry and --pending are required\n");
        goto out_free;
    }
    if (!normal_fingerprint(cfg.fingerprint, want)) {
        fprintf(stderr, "baocao registry approve-key: a fingerprint is 16 "
                "hex digits, e.g. 3F2A-91BC-07DE-55A1\n");
        goto out_free;
    }
    status = EXIT_FAIL;
    if (!(pf = fopen(cfg.pending, "r"))) {
        fprintf(stderr, "baocao registry approve-key: %s: %s\n", cfg.pending,
                strerror(errno));
        goto out_free;
    }
    char line[256];
    while (fgets(line, sizeof line, pf)) {
        if (strlen(line) <= 40 || line[40] != ',')
            continue;
        line[40] = 0;
        char fp[20];
        bc_keys_fingerprint(line, fp);
        if (!strcmp(fp, want) && strcmp(line, key)) {
            matches++;
            memcpy(key, line, 41);   /* 40 characters and the NUL above */
        }
    }
    if (matches != 1) {
        fprintf(stderr, "baocao registry approve-key: %s: %s key with "
                "fingerprint %s; has the node tried to connect?\n",
                cfg.pending, matches ? "more than one" : "no", want);
        goto out_free;
    }
    if ((rc = write_key(cfg.registry, cfg.unit, key, err, sizeof err))) {
        fprintf(stderr, "baocao registry approve-key: %s\n", err);
        goto out_free;
    }
    printf("approved %s for %s in %s\n", want, cfg.unit, cfg.registry);
    if (cfg.hub_pid > 0) {
        if (kill((pid_t) cfg.hub_pid, SIGHUP)) {
            fprintf(stderr, "baocao registry approve-key: the key is in the "
                    "registry, but the hub (pid %lld) was not told: %s\n",
                    cfg.hub_pid, strerror(errno));
            goto out_free;
        }
        printf("hub (pid %lld) told to reload its keys\n", cfg.hub_pid);
    }
    status = EXIT_OK;
out_free:
    if (pf)
        fclose(pf);
    bc_config_free(approve_options, NAPPROVE, &cfg);
    return status;
}

int cmd_registry(int argc, char **argv)
{
    if (argc >= 1 && !strcmp(argv[0], "approve-key"))
        return approve_key(argc - 1, argv + 1);
    bool help = argc >= 1 && (!strcmp(argv[0], "--help")
                              || !strcmp(argv[0], "-h"));
    fprintf(help ? stdout : stderr, "usage: baocao registry approve-key "
            "--unit CODE --fingerprint F --registry UNITS.csv --pending FILE "
            "[--hub-pid PID]\n");
    return help ? EXIT_OK : EXIT_USAGE;
}
