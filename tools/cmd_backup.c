/*
 * cmd_backup.c -- `baocao backup` and `baocao restore`: hot copies of a
 * hub's store or a node's outbox, verified before they are called good.
 *
 *   backup  --store DIR --out BACKUP_DIR   while the hub or node runs
 *   restore --from BACKUP_DIR --store DIR  into a folder with no store yet
 *
 * The copy is LMDB's compacting copy (mdb_env_copy2 with MDB_CP_COMPACT):
 * it runs inside one read transaction, so it is a consistent snapshot and
 * never blocks the daemon's writer. A hub copy is then opened on its own
 * and checked: its whole log chain recomputed, its head found in the live
 * store with the same hash (so the copy is a prefix of the live record),
 * and the digest of its current figures printed for comparison with
 * `baocao audit digest`. A node copy is opened and counted.
 *
 * Restore is a second verified copy, from the backup into a new folder: a
 * store is never restored over another one.
 */
#include "bc_error.h"
#include "bc_fs.h"
#include "cmd.h"
#include "hub_store.h"
#include "node_outbox.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    char *store;            /* the store to copy, or to restore into */
    char *out;              /* backup: where the copy goes */
    char *from;             /* restore: the backup to restore */
} backup_cfg_t;

static const bc_option_t backup_options[] = {
    {"store", BC_OPT_STRING, offsetof(backup_cfg_t, store), 0, 0, NULL, "DIR",
     "backup: the hub's store or node's outbox; restore: the new folder"},
    {"out", BC_OPT_STRING, offsetof(backup_cfg_t, out), 0, 0, NULL,
     "BACKUP_DIR", "backup: a new folder for the copy"},
    {"from", BC_OPT_STRING, offsetof(backup_cfg_t, from), 0, 0, NULL,
     "BACKUP_DIR", "restore: the backup to restore"},
};
#define NOPTS (sizeof backup_options / sizeof backup_options[0])

static void hex16(const uint8_t h[32], char out[17])
{
    for (int i = 0; i < 8; i++)
        snprintf(out + 2 * i, 3, "%02x", h[i]);
}

/* Prints a byte count with a unit. */
static void print_size(int64_t bytes)
{
    if (bytes >= 10 << 20)
        printf("%.1f MiB", (double) bytes / (1 << 20));
    else if (bytes >= 10 << 10)
        printf("%.1f KiB", (double) bytes / (1 << 10));
    else
        printf("%lld bytes", (long long) bytes);
}

/* Checks a hub store copy in `dir` against the store it was copied from
 * (`live`, may be NULL) and prints what it holds. EXIT_OK or EXIT_FAIL. */
static int check_hub_copy(const char *name, const char *dir, hub_store_t *live)
{
    char err[512];
    int status = EXIT_FAIL;
    hub_log_check_t chk;
    uint8_t digest[32];
    uint64_t reports = 0;
    hub_reader_t *r = NULL, *lr = NULL;
    hub_store_t *copy = hub_store_open_readonly(dir, err, sizeof err);
    if (!copy) {
        fprintf(stderr, "baocao %s: the copy cannot be opened: %s\n", name,
                err);
        return EXIT_FAIL;
    }
    if (!(r = hub_store_reader(copy)) || hub_log_verify(r, &chk) != BC_OK
        || hub_reader_digest(r, digest, &reports) != BC_OK) {
        fprintf(stderr, "baocao %s: the copy in %s cannot be read\n", name,
                dir);
        goto out;
    }
    if (chk.bad_seq) {
        fprintf(stderr, "baocao %s: the copy in %s is damaged: %s; do not "
                "use it\n", name, dir, chk.problem);
        goto out;
    }
    if (live && chk.head_seq) {
        hub_log_entry_t e;
        lr = hub_store_reader(live);
        if (!lr || hub_reader_log_entry(lr, chk.head_seq, &e) != BC_OK
            || memcmp(e.hash, chk.head_hash, 32) != 0) {
            fprintf(stderr, "baocao %s: the copy's entry %llu differs from "
                    "the store's: do not use it\n", name,
                    (unsigned long long) chk.head_seq);
            goto out;
        }
    }
    char head[17], dg[17];
    hex16(chk.head_hash, head);
    hex16(digest, dg);
    printf("%llu log entr%s (seq 1..%llu), chain intact, head %s…; "
           "%llu current report%s, digest %s…; ",
           (unsigned long long) chk.entries, chk.entries == 1 ? "y" : "ies",
           (unsigned long long) chk.head_seq, head,
           (unsigned long long) reports, reports == 1 ? "" : "s", dg);
    print_size(bc_dir_bytes(dir));
    printf("\n");
    status = EXIT_OK;
out:
    hub_reader_destroy(&lr);
    hub_reader_destroy(&r);
    hub_store_close(&copy);
    return status;
}

/* Opens the node outbox copy in `dir` and prints what it holds. */
static int check_node_copy(const char *name, const char *dir)
{
    char err[512];
    node_stats_t st;
    node_outbox_t *copy = node_outbox_open(dir, err, sizeof err);
    if (!copy || node_outbox_stats(copy, &st) != BC_OK) {
        fprintf(stderr, "baocao %s: the copy in %s cannot be read: %s\n",
                name, dir, copy ? "outbox unreadable" : err);
        node_outbox_close(&copy);
        return EXIT_FAIL;
    }
    printf("%llu reports (%llu pending, %llu in flight, %llu delivered, "
           "%llu rejected); ",
           (unsigned long long) (st.pending + st.in_flight + st.delivered
                                 + st.rejected),
           (unsigned long long) st.pending, (unsigned long long) st.in_flight,
           (unsigned long long) st.delivered, (unsigned long long) st.rejected);
    print_size(bc_dir_bytes(dir));
    printf("\n");
    node_outbox_close(&copy);
    return EXIT_OK;
}

/* Copies the store in `src` into `dst` and checks the copy. A hub store is
 * recognised by its log; anything else is opened as a node's outbox. */
static int copy_verified(const char *name, const char *src, const char *dst)
{
    char err[512];
    int rc;
    hub_store_t *hub = hub_store_open_readonly(src, err, sizeof err);
    if (hub) {
        printf("hub store %s -> %s: ", src, dst);
        fflush(stdout);
        rc = hub_store_backup(hub, dst, err, sizeof err);
        int status = rc == BC_OK ? check_hub_copy(name, dst, hub) : EXIT_FAIL;
        hub_store_close(&hub);
        if (rc != BC_OK)
            fprintf(stderr, "\nbaocao %s: %s\n", name, err);
        return status;
    }
    /* Only a store without the hub's databases may be tried as an outbox:
     * opening one creates the outbox's databases in it. */
    if (!strstr(err, "not a baocao hub store")) {
        fprintf(stderr, "baocao %s: %s\n", name, err);
        return EXIT_FAIL;
    }
    node_outbox_t *outbox = node_outbox_open(src, err, sizeof err);
    if (!outbox) {
        fprintf(stderr, "baocao %s: %s holds neither a hub store nor a "
                "node outbox: %s\n", name, src, err);
        return EXIT_FAIL;
    }
    printf("node outbox %s -> %s: ", src, dst);
    fflush(stdout);
    rc = node_outbox_backup(outbox, dst, err, sizeof err);
    node_outbox_close(&outbox);
    if (rc != BC_OK) {
        fprintf(stderr, "\nbaocao %s: %s\n", name, err);
        return EXIT_FAIL;
    }
    return check_node_copy(name, dst);
}

/* Shared by both commands: parse, check the two folders, copy. */
static int run(const char *name, const char *synopsis, int argc, char **argv,
               bool restore)
{
    backup_cfg_t cfg;
    size_t npos;
    int status = EXIT_USAGE;
    int rc = cmd_parse(name, synopsis, backup_options, NOPTS, &cfg, argc,
                       argv, NULL, 0, &npos);
    if (rc == 1)
        status = EXIT_OK;
    if (rc)
        goto out;
    const char *src = restore ? cfg.from : cfg.store;
    const char *dst = restore ? cfg.store : cfg.out;
    if (!src || !dst) {
        fprintf(stderr, "baocao %s: %s\n", name, synopsis);
        goto out;
    }
    if (!bc_has_store(src)) {
        fprintf(stderr, "baocao %s: no store at %s (no data.mdb there)\n",
                name, src);
        goto out;
    }
    if (bc_has_store(dst)) {
        fprintf(stderr, "baocao %s: %s already holds a store; %s into a new "
                "folder, or move that one away first\n", name, dst,
                restore ? "restore" : "back up");
        status = EXIT_FAIL;
        goto out;
    }
    status = copy_verified(name, src, dst);
    if (status == EXIT_OK && restore)
        printf("restored: start the daemon with --store %s\n", dst);
out:
    bc_config_free(backup_options, NOPTS, &cfg);
    return status;
}

int cmd_backup(int argc, char **argv)
{
    return run("backup", "--store DIR --out BACKUP_DIR", argc, argv, false);
}

int cmd_restore(int argc, char **argv)
{
    return run("restore", "--from BACKUP_DIR --store DIR", argc, argv, true);
}
