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
#include "bc_enroll.h"
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

static int approve_key(int argc, char **argv)
{
    approve_cfg_t cfg;
    size_t npos;
    char err[512], want[20], key[41] = "";
    int status = EXIT_USAGE;
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
    if (!bc_enroll_fingerprint(cfg.fingerprint, want)) {
        fprintf(stderr, "baocao registry approve-key: a fingerprint is 16 "
                "hex digits, e.g. 3F2A-91BC-07DE-55A1\n");
        goto out_free;
    }
    status = EXIT_FAIL;
    if (bc_enroll_find(cfg.pending, want, key, err, sizeof err)
        || bc_enroll_write_key(cfg.registry, cfg.unit, key, err,
                               sizeof err)) {
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
