/*
 * bench_pages.c -- the pages the hub's store writes per report, and where
 * they go (issue 21, goal 1): the log, dedup, current figures, rollups,
 * the freelist, LMDB's meta page.
 *
 * An exact count, not an estimate. LMDB is copy-on-write: a commit writes
 * every page it changed under a page number that no tree of the previous
 * commit reaches (a fresh one at the end of the file, or one from the
 * freelist, which by definition no live tree reaches), then one meta
 * page. Pages a transaction dirtied and freed again before its end (LMDB's
 * loose pages) go back to the freelist unwritten. So the pages commit T
 * wrote are exactly the pages reachable from T's trees and not from
 * T - 1's, plus its meta page; and a page's tree says where it went.
 *
 * The bench therefore reads LMDB's file format itself (liblmdb 0.9 on
 * 64-bit Linux: lmdb.h documents the API only, the layout is mdb.c's):
 * the two meta pages at the start (the one with the higher txnid is
 * current), in each the records (MDB_db) of the freelist DB and of the
 * main DB, whose leaves with F_SUBDATA are the named DBs' records; branch
 * pages point to child pages, a leaf node with F_BIGDATA to a run of
 * overflow pages, one with F_DUPDATA | F_SUBDATA to a sub-DB of duplicates
 * (F_DUPDATA alone is a sub-page inside the leaf: no page of its own). It
 * maps data.mdb read-only after each commit, labels every reachable page
 * with the DB that reaches it, and counts the labels of the pages the
 * previous snapshot did not reach.
 *
 * To control the batch, the commits are made in this process with the
 * hub's own store code, as the hub's writer thread makes them: each
 * request decoded, validated (hub_validate) and digested as the loop does,
 * then one hub_store_ingest per batch, which is one LMDB transaction.
 * The store is one that bench_ingest filled and kept:
 *
 *   bench_ingest --reports 200000 --queries 10 --keep --dir /tmp/p
 *   bench_pages --dir /tmp/p --from 200000 --batches "1 10 100" --commits 20
 *   bench_pages --dir /tmp/p --from 210220 --batches 400 --spread 4
 *
 * It files reports --from, --from + 1, ... (the next ones bench_ingest
 * would have sent, so every one is a new report). A batch of consecutive
 * reports is the kindest case: their keys are neighbours in every table.
 * The hub's batches are not: 100 nodes with 8 in flight each deliver a
 * batch scattered over the ~800 reports in flight and more, and a real
 * province's facilities report in no order at all. --spread W models
 * that: W commits share W x B consecutive reports, each taking every W-th
 * (W = 10,000 / B: one facility of each district a batch, the worst).
 * It prints, per batch size, "pages bB_<what> <value>" lines ("bBwW_"
 * with --spread): per report, the pages of each DB (and of them the
 * branch and overflow pages), the total with the meta page, the pages
 * taken past the old end of the file rather than from the freelist, and
 * the cross-checks of /proc/self/io over the same commits: wchar, the
 * bytes LMDB handed to pwrite and writev, must equal the walk's count to
 * the byte (syscall_matches_walk), and write_bytes, the page cache the
 * kernel counted as dirtied (see print_tally for why it is larger).
 */
#include "bc_error.h"
#include "bc_limits.h"
#include "bc_mem.h"
#include "bc_registry.h"
#include "bench_encode.h"
#include "bench_proc.h"
#include "hub_log.h"
#include "hub_store.h"
#include "hub_validate.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* --- LMDB's on-disk format (mdb.c, liblmdb 0.9, 64-bit) ------------------ */

/* A tree's record: in the meta page for the freelist and main DBs, in a
 * main-DB leaf for a named DB, in a leaf for a sub-DB of duplicates. */
typedef struct {
    uint32_t pad;            /* page size (freelist's record in the meta) */
    uint16_t flags;          /* the DB's flags (MDB_DUPSORT...) */
    uint16_t depth;          /* depth of its tree */
    uint64_t branch_pages;   /* counts, as mdb_stat prints them */
    uint64_t leaf_pages;
    uint64_t overflow_pages;
    uint64_t entries;
    uint64_t root;           /* root page, P_INVALID when empty */
} lm_db_t;

/* The meta page's body, after the 16-byte page header. */
typedef struct {
    uint32_t magic;          /* LM_MAGIC */
    uint32_t version;        /* file format version (1) */
    uint64_t address;        /* fixed map address (unused) */
    uint64_t mapsize;        /* map size */
    lm_db_t dbs[2];          /* freelist (0) and main (1) */
    uint64_t last_pg;        /* last page in use */
    uint64_t txnid;          /* transaction of this meta */
} lm_meta_t;

#define LM_MAGIC 0xBEEFC0DEu
#define LM_HDR 16                     /* page header size */
#define LM_INVALID (~(uint64_t) 0)    /* no root */
#define LM_META_WRITE 120             /* bytes of a meta page rewritten */
#define P_BRANCH 0x01
#define P_LEAF 0x02
#define P_OVERFLOW 0x04
#define P_LEAF2 0x20
#define F_BIGDATA 0x01
#define F_SUBDATA 0x02
#define F_DUPDATA 0x04

_Static_assert(sizeof(lm_db_t) == 48, "MDB_db is 48 bytes");
_Static_assert(sizeof(lm_meta_t) == 136, "MDB_meta is 136 bytes");

/* Owners of pages: 0 none, then the freelist, the main DB (the named DBs'
 * records), then the named DBs in the order met. */
enum { OWN_NONE, OWN_FREE, OWN_MAIN, OWN_FIRST_NAMED, OWN_MAX = 64 };

/* One snapshot of the file: who reaches each page. */
typedef struct {
    uint8_t *owner;          /* owner per page number */
    uint8_t *kind;           /* P_BRANCH, P_LEAF or P_OVERFLOW per page */
    uint64_t npages;         /* pages in the file when mapped */
    uint64_t last_pg;        /* the meta's last page in use */
    uint64_t txnid;          /* the meta's transaction */
    uint64_t entries[OWN_MAX]; /* each named DB's entries (its record) */
} snap_t;

/* The names of the owners, shared by every snapshot so that a DB keeps
 * its number (a named DB's record moves, its name does not). */
typedef struct {
    char name[OWN_MAX][64];  /* owner -> name */
    int n;                   /* owners named */
} owners_t;

typedef struct {
    const uint8_t *map;      /* data.mdb, mapped read-only */
    uint64_t npages;         /* its pages */
    size_t psize;            /* page size */
    snap_t *s;               /* snapshot being filled */
    owners_t *own;           /* owner names */
    int bad;                 /* a page out of the file or seen twice */
} walk_t;

static const uint8_t *page_at(const walk_t *w, uint64_t pg)
{
    return pg < w->npages ? w->map + pg * w->psize : NULL;
}

static int owner_of(owners_t *own, const char *name, size_t len)
{
    for (int i = OWN_FIRST_NAMED; i < own->n; i++)
        if (strlen(own->name[i]) == len && !memcmp(own->name[i], name, len))
            return i;
    if (own->n >= OWN_MAX)
        return OWN_MAIN;   /* never with the hub's 13 DBs */
    snprintf(own->name[own->n], sizeof own->name[0], "%.*s", (int) len, name);
    return own->n++;
}

static void mark(walk_t *w, uint64_t pg, int owner, uint8_t kind)
{
    if (pg >= w->s->npages || w->s->owner[pg]) {
        w->bad++;
        return;
    }
    w->s->owner[pg] = (uint8_t) owner;
    w->s->kind[pg] = kind;
}

/* Marks every page of the tree under `root` as `owner`'s; in the main DB
 * (is_main), each named DB's record starts a tree of its own. */
static void walk_tree(walk_t *w, uint64_t root, int owner, bool is_main)
{
    if (root == LM_INVALID)
        return;
    const uint8_t *p = page_at(w, root);
    if (!p) {
        w->bad++;
        return;
    }
    uint16_t flags, lower;
    memcpy(&flags, p + 10, 2);
    memcpy(&lower, p + 12, 2);
    if (flags & P_LEAF2) {   /* keys only, of a sub-DB (MDB_DUPFIXED) */
        mark(w, root, owner, P_LEAF);
        return;
    }
    mark(w, root, owner, flags & P_BRANCH ? P_BRANCH : P_LEAF);
    unsigned nkeys = (unsigned) (lower - LM_HDR) / 2;
    for (unsigned i = 0; i < nkeys; i++) {
        uint16_t off;
        memcpy(&off, p + LM_HDR + 2 * i, 2);
        const uint8_t *node = p + off;
        uint16_t lo, hi, nflags, ksize;
        memcpy(&lo, node, 2);
        memcpy(&hi, node + 2, 2);
        memcpy(&nflags, node + 4, 2);
        memcpy(&ksize, node + 6, 2);
        if (flags & P_BRANCH) {
            uint64_t child = lo | (uint64_t) hi << 16 | (uint64_t) nflags << 32;
            walk_tree(w, child, owner, is_main);
            continue;
        }
        const uint8_t *data = node + 8 + ksize;
        if (nflags & F_BIGDATA) {
            uint64_t ov;
            uint32_t n;
            memcpy(&ov, data, 8);
            const uint8_t *op = page_at(w, ov);
            if (!op) {
                w->bad++;
                continue;
            }
            memcpy(&n, op + 12, 4);   /* mp_pages */
            for (uint32_t k = 0; k < n; k++)
                mark(w, ov + k, owner, P_OVERFLOW);
        } else if (nflags & F_SUBDATA) {
            lm_db_t db;
            memcpy(&db, data, sizeof db);
            /* A named DB's record (main DB), or duplicates as a sub-DB. */
            int sub = is_main && !(nflags & F_DUPDATA)
                          ? owner_of(w->own, (const char *) node + 8, ksize)
                          : owner;
            if (sub != owner)
                w->s->entries[sub] = db.entries;
            walk_tree(w, db.root, sub, false);
        }
    }
}

static void snap_free(snap_t *s)
{
    free(s->owner);
    free(s->kind);
    memset(s, 0, sizeof *s);
}

/* Snapshot of the store's file `fd` as its current meta page describes
 * it. BC_OK, or BC_ESTORE with a message (not an LMDB file, or a page out
 * of place: the format is not the one this reader knows). */
static int snap_take(int fd, owners_t *own, snap_t *s, char *err,
                     size_t errlen)
{
    int rc = BC_ESTORE;
    struct stat st;
    memset(s, 0, sizeof *s);
    if (fstat(fd, &st) != 0 || st.st_size < 2 * 4096) {
        snprintf(err, errlen, "data.mdb: too short or unreadable");
        return rc;
    }
    void *m = mmap(NULL, (size_t) st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) {
        snprintf(err, errlen, "mmap data.mdb: %s", strerror(errno));
        return rc;
    }
    lm_meta_t meta[2];
    memcpy(&meta[0], (uint8_t *) m + LM_HDR, sizeof meta[0]);
    size_t psize = meta[0].dbs[0].pad;
    if (meta[0].magic != LM_MAGIC || psize < 512
        || (off_t) (2 * psize) > st.st_size) {
        snprintf(err, errlen, "data.mdb: not an LMDB file this reader knows");
        goto out_unmap;
    }
    memcpy(&meta[1], (uint8_t *) m + psize + LM_HDR, sizeof meta[1]);
    const lm_meta_t *cur = meta[1].magic == LM_MAGIC
                                   && meta[1].txnid > meta[0].txnid
                               ? &meta[1] : &meta[0];
    walk_t w = {m, (uint64_t) st.st_size / psize, psize, s, own, 0};
    s->npages = w.npages;
    s->last_pg = cur->last_pg;
    s->txnid = cur->txnid;
    s->owner = bc_calloc(s->npages, 1);
    s->kind = bc_calloc(s->npages, 1);
    walk_tree(&w, cur->dbs[0].root, OWN_FREE, false);
    walk_tree(&w, cur->dbs[1].root, OWN_MAIN, true);
    if (w.bad) {
        snprintf(err, errlen, "data.mdb: %d pages out of the file or reached "
                 "twice: not the format this reader knows", w.bad);
        snap_free(s);
        goto out_unmap;
    }
    rc = BC_OK;
out_unmap:
    munmap(m, (size_t) st.st_size);
    return rc;
}

/* --- the commits --------------------------------------------------------- */

/* This process's counters of /proc/self/io (bench_proc.h): wchar and
 * write_bytes. false if unreadable. */
static bool self_io(long long *wchar, long long *write_bytes)
{
    *wchar = bench_proc_io(getpid(), "wchar:");
    *write_bytes = bench_proc_io(getpid(), "write_bytes:");
    return *wchar >= 0 && *write_bytes >= 0;
}

/* What the commits of one batch size wrote, summed. */
typedef struct {
    uint64_t pages[OWN_MAX];     /* new pages per owner */
    uint64_t overflow[OWN_MAX];  /* of which overflow pages */
    uint64_t branch[OWN_MAX];    /* of which branch pages */
    uint64_t appended;           /* new pages past the old end */
    uint64_t commits;            /* commits counted */
    uint64_t reports;            /* reports in them */
    long long wchar;             /* /proc/self/io wchar over them */
    long long io_bytes;          /* /proc/self/io write_bytes over them */
    bool io_ok;                  /* both counters read every time */
} tally_t;

/* Files reports first, first + stride, ... (n of them) in one commit, as
 * the hub's loop and writer do. BC_OK, or an error with a message. */
static int commit_batch(hub_store_t *st, const bc_registry_t *reg,
                        const bench_layout_t *lay, long long first,
                        long long stride, size_t n, char *err, size_t errlen)
{
    int rc = BC_OK;
    hub_item_t *items = bc_calloc(n, sizeof *items);
    uint8_t **raw = bc_calloc(n, sizeof *raw);
    hub_limits_t lim = {BC_MAX_VALUES_DEFAULT, (int64_t) time(NULL), NULL};
    for (size_t i = 0; i < n; i++) {
        size_t len = 0;
        long long r = first + stride * (long long) i;
        raw[i] = bench_encode_layout(r, BENCH_INDICATORS, lay, 0, &len);
        Baocao__Request *req = raw[i]
            ? baocao__request__unpack(NULL, len, raw[i]) : NULL;
        if (!req) {
            snprintf(err, errlen, "report %lld: cannot encode", r);
            rc = BC_EINVAL;
            goto out_free;
        }
        hub_item_t *it = &items[i];
        it->raw = raw[i];
        it->raw_len = len;
        it->peer = "";
        hub_request_digest(it->raw, it->raw_len, it->req_digest);
        it->has_digest = true;
        hub_validate(reg, req->submit, "", &lim, it);
        if (it->id) {
            memcpy(it->id_copy, it->id, sizeof it->id_copy);
            it->id = it->id_copy;
        }
        baocao__request__free_unpacked(req, NULL);
        if (it->reject != BAOCAO__REJECT_REASON__REASON_NONE) {
            snprintf(err, errlen, "report %lld refused: %s", r, it->message);
            rc = BC_EINVAL;
            goto out_free;
        }
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    rc = hub_store_ingest(st, items, n,
                          (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
    for (size_t i = 0; rc == BC_OK && i < n; i++)
        if (items[i].status != BAOCAO__ACK_STATUS__ACK_STORED) {
            snprintf(err, errlen, "report %lld not stored (status %d: %s): "
                     "is --from past what the store holds?",
                     first + stride * (long long) i, (int) items[i].status,
                     items[i].message);
            rc = BC_EINVAL;
        }
    if (rc != BC_OK && !*err)
        snprintf(err, errlen, "commit: %s", bc_strerror(rc));
out_free:
    for (size_t i = 0; i < n; i++) {
        free(items[i].vals);
        free(raw[i]);
    }
    free(raw);
    free(items);
    return rc;
}

static void tally_diff(tally_t *t, const snap_t *a, const snap_t *b)
{
    for (uint64_t pg = 2; pg < b->npages; pg++) {
        if (!b->owner[pg] || (pg < a->npages && a->owner[pg]))
            continue;
        t->pages[b->owner[pg]]++;
        t->overflow[b->owner[pg]] += b->kind[pg] == P_OVERFLOW;
        t->branch[b->owner[pg]] += b->kind[pg] == P_BRANCH;
        t->appended += pg > a->last_pg;
    }
}

static void print_tally(const tally_t *t, const owners_t *own, const char *b)
{
    double r = (double) t->reports;
    uint64_t total = 1 * t->commits;   /* one meta page a commit */
    printf("pages %s_commits %llu\n", b,
           (unsigned long long) t->commits);
    printf("pages %s_reports %llu\n", b, (unsigned long long) t->reports);
    for (int o = OWN_FREE; o < own->n; o++) {
        total += t->pages[o];
        if (!t->pages[o])
            continue;
        printf("pages %s_db_%s %.3f\n", b, own->name[o],
               (double) t->pages[o] / r);
        if (t->overflow[o])
            printf("pages %s_db_%s_overflow %.3f\n", b, own->name[o],
                   (double) t->overflow[o] / r);
        if (t->branch[o])
            printf("pages %s_db_%s_branch %.3f\n", b, own->name[o],
                   (double) t->branch[o] / r);
    }
    printf("pages %s_meta_page %.3f\n", b, (double) t->commits / r);
    printf("pages %s_total %.3f\n", b, (double) total / r);
    printf("pages %s_appended_to_file %.3f\n", b,
           (double) t->appended / r);
    printf("pages %s_total_bytes_per_report %.0f\n", b,
           (double) total * 4096 / r);
    if (!t->io_ok)
        return;
    /* The cross-checks. wchar is every byte LMDB handed to pwrite and
     * writev: the pages of the trees plus, each commit, the meta page's
     * changed part (LMDB rewrites only the 120 bytes from mm_dbs on):
     * equal to the walk's count, or this reader is wrong. write_bytes is
     * what the kernel counts as dirtied: the same on a page cache of 4 KiB
     * pages, far more where a page LMDB writes sits in a large folio
     * (Linux 6.x ext4): the whole folio is counted, while the disk's
     * sectors written barely move (BENCHMARKS.md). */
    long long want = (long long) (total - t->commits) * 4096
                     + LM_META_WRITE * (long long) t->commits;
    printf("pages %s_syscall_pages %.3f\n", b,
           (double) t->wchar / 4096.0 / r);
    printf("pages %s_syscall_matches_walk %s\n", b,
           t->wchar == want ? "yes" : "NO");
    printf("pages %s_io_write_bytes_pages %.3f\n", b,
           (double) t->io_bytes / 4096.0 / r);
}

/* --- watching the hub's own commits ---------------------------------------
 * The in-process commits above choose their batches; the hub's own come as
 * its nodes deliver. To attribute those too, --watch PID stops the hub
 * (SIGSTOP: its writer either between commits or in one, whose pages no
 * committed tree reaches yet), walks the file, lets it run a moment, stops
 * it again and walks again. A pair of walks one transaction apart is one
 * of the hub's commits, counted exactly as above; its reports are the new
 * entries of `log`, and the hub's wchar over the pair checks the count
 * (within a page: libzmq's eventfd writes are in it too). Pairs with no
 * commit or several between them are skipped. */

static pid_t g_stopped;   /* a hub left stopped must be continued */

static void continue_hub(void)
{
    if (g_stopped > 0)
        kill(g_stopped, SIGCONT);
    g_stopped = 0;
}

/* Stops pid and waits until every thread of it is stopped (state T).
 * false if it is gone. */
static bool stop_hub(pid_t pid)
{
    if (kill(pid, SIGSTOP) != 0)
        return false;
    g_stopped = pid;
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int) pid);
    for (int i = 0; i < 10000; i++) {
        FILE *f = fopen(path, "r");
        size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
        if (f)
            fclose(f);
        buf[n] = '\0';
        const char *p = strrchr(buf, ')');
        if (!p)
            return false;
        if (p[2] == 'T' || p[2] == 't')
            return true;
        usleep(100);
    }
    return false;
}

static int watch_hub(int fd, owners_t *own, pid_t pid, long long samples,
                     long long gap_us)
{
    char err[512];
    tally_t t;
    memset(&t, 0, sizeof t);
    t.io_ok = true;
    long long skipped = 0, near = 0, log_owner = -1;
    atexit(continue_hub);
    for (long long k = 0; k < samples; k++) {
        snap_t a, b;
        if (!stop_hub(pid))
            break;
        long long c0 = bench_proc_io(pid, "wchar:");
        if (snap_take(fd, own, &a, err, sizeof err)) {
            fprintf(stderr, "bench_pages: %s\n", err);
            return 1;
        }
        continue_hub();
        usleep((useconds_t) gap_us);
        if (!stop_hub(pid)) {
            snap_free(&a);
            break;
        }
        long long c1 = bench_proc_io(pid, "wchar:");
        if (snap_take(fd, own, &b, err, sizeof err)) {
            fprintf(stderr, "bench_pages: %s\n", err);
            snap_free(&a);
            return 1;
        }
        continue_hub();
        for (int o = OWN_FIRST_NAMED; log_owner < 0 && o < own->n; o++)
            if (!strcmp(own->name[o], "log"))
                log_owner = o;
        if (b.txnid == a.txnid + 1 && log_owner >= 0) {
            tally_t one;
            memset(&one, 0, sizeof one);
            tally_diff(&one, &a, &b);
            uint64_t pages = 1;
            for (int o = 0; o < OWN_MAX; o++) {
                t.pages[o] += one.pages[o];
                t.overflow[o] += one.overflow[o];
                t.branch[o] += one.branch[o];
                pages += one.pages[o];
            }
            t.appended += one.appended;
            t.commits++;
            t.reports += b.entries[log_owner] - a.entries[log_owner];
            t.wchar += c1 - c0;
            long long want = (long long) (pages - 1) * 4096 + LM_META_WRITE;
            near += c1 - c0 >= want && c1 - c0 < want + 4096;
        } else {
            skipped++;
        }
        snap_free(&a);
        snap_free(&b);
        usleep((useconds_t) gap_us * 10);   /* let it run between samples */
    }
    continue_hub();
    if (!t.commits || !t.reports) {
        fprintf(stderr, "bench_pages: no single commit caught in %lld "
                "samples (try another --gap-us)\n", samples);
        return 1;
    }
    t.io_ok = false;   /* write_bytes is not sampled here */
    print_tally(&t, own, "hub");
    printf("pages hub_wchar_pages %.3f\n",
           (double) t.wchar / 4096.0 / (double) t.reports);
    printf("pages hub_wchar_within_a_page %lld of %llu\n", near,
           (unsigned long long) t.commits);
    printf("pages hub_samples_skipped %lld\n", skipped);
    printf("pages hub_avg_batch %.1f\n",
           (double) t.reports / (double) t.commits);
    return 0;
}

int main(int argc, char **argv)
{
    const char *dir = NULL, *batches = "1 10 100";
    long long from = -1, fill = -1, commits = 20, spread = 1;
    long long watch = 0, samples = 200, gap_us = 20000;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--dir") && v) dir = v, i++;
        else if (!strcmp(a, "--from") && v) from = atoll(v), i++;
        else if (!strcmp(a, "--batches") && v) batches = v, i++;
        else if (!strcmp(a, "--commits") && v) commits = atoll(v), i++;
        else if (!strcmp(a, "--spread") && v) spread = atoll(v), i++;
        else if (!strcmp(a, "--fill") && v) fill = atoll(v), i++;
        else if (!strcmp(a, "--watch") && v) watch = atoll(v), i++;
        else if (!strcmp(a, "--samples") && v) samples = atoll(v), i++;
        else if (!strcmp(a, "--gap-us") && v) gap_us = atoll(v), i++;
        else {
            fprintf(stderr,
                    "usage: bench_pages --dir DIR --from N [--batches \"1 10 "
                    "100\"] [--commits K] [--spread W] [--fill F]\n"
                    "  DIR: a folder bench_ingest --keep --dir DIR filled "
                    "with its first N reports\n"
                    "  (the hub stopped); files reports N, N + 1, ... in K "
                    "commits of each batch size\n"
                    "  --spread W: W commits of B share W x B consecutive "
                    "reports, each taking every\n"
                    "  W-th, as from many nodes at once (400 with W = 4 is "
                    "about bench_ingest's\n"
                    "  own batches early in a run; 10,000 / B is the "
                    "worst: one facility a district)\n"
                    "  --fill F: the store was filled by bench_ingest "
                    "--reports F (default N), and\n"
                    "  earlier runs of bench_pages filed N - F more: "
                    "the months follow F's layout\n"
                    "       bench_pages --dir DIR --watch PID [--samples S] "
                    "[--gap-us U]\n"
                    "  the running hub PID on DIR/hub: S pairs of walks U "
                    "us apart, the hub stopped\n"
                    "  (SIGSTOP) for each; the pairs one commit apart are "
                    "counted\n");
            return 2;
        }
    }
    if (dir && watch > 0) {
        char data[4096];
        snprintf(data, sizeof data, "%s/hub/data.mdb", dir);
        int wfd = open(data, O_RDONLY);
        if (wfd < 0) {
            fprintf(stderr, "bench_pages: %s: %s\n", data, strerror(errno));
            return 1;
        }
        owners_t wown;
        memset(&wown, 0, sizeof wown);
        snprintf(wown.name[OWN_FREE], sizeof wown.name[0], "(freelist)");
        snprintf(wown.name[OWN_MAIN], sizeof wown.name[0], "(main)");
        wown.n = OWN_FIRST_NAMED;
        int wrc = watch_hub(wfd, &wown, (pid_t) watch, samples, gap_us);
        close(wfd);
        return wrc;
    }
    if (!dir || from < 0 || commits < 1 || spread < 1) {
        fprintf(stderr, "bench_pages: --dir and --from are needed (--help)\n");
        return 2;
    }
    int rc = 1;
    char err[1024] = "", units[4096], cat[4096], store[4096], data[4096];
    snprintf(units, sizeof units, "%s/units.csv", dir);
    snprintf(cat, sizeof cat, "%s/indicators.csv", dir);
    snprintf(store, sizeof store, "%s/hub", dir);
    snprintf(data, sizeof data, "%s/hub/data.mdb", dir);
    bc_registry_t *reg = bc_registry_load(units, cat, err, sizeof err);
    if (!reg) {
        fprintf(stderr, "bench_pages: %s\n", err);
        return 1;
    }
    hub_store_t *st = hub_store_open(store, 32ULL << 30, reg, err, sizeof err);
    if (!st) {
        fprintf(stderr, "bench_pages: %s\n", err);
        goto out_reg;
    }
    int fd = open(data, O_RDONLY);
    if (fd < 0) {
        fprintf(stderr, "bench_pages: %s: %s\n", data, strerror(errno));
        goto out_store;
    }
    owners_t own;
    memset(&own, 0, sizeof own);
    snprintf(own.name[OWN_FREE], sizeof own.name[0], "(freelist)");
    snprintf(own.name[OWN_MAIN], sizeof own.name[0], "(main)");
    own.n = OWN_FIRST_NAMED;

    /* The store holds reports 0..from-1 as bench_ingest --reports fill
     * laid them out (bench_layout of its run) and earlier runs of this
     * bench continued; the next ones continue that layout month after
     * month, past 2024-12 if need be (a report filed for a month not yet
     * closed is refused, and the bench stops saying so). */
    if (fill < 0)
        fill = from;
    bench_layout_t lay = bench_layout(fill > 0 ? fill : 1);
    long long r = from;
    snap_t prev, next;
    if (snap_take(fd, &own, &prev, err, sizeof err)) {
        fprintf(stderr, "bench_pages: %s\n", err);
        goto out_fd;
    }
    printf("pages store_pages_before %llu\n",
           (unsigned long long) prev.last_pg + 1);
    for (const char *p = batches; *p;) {
        char *end;
        long long b = strtoll(p, &end, 10);
        if (end == p)
            break;
        p = end;
        if (b < 1)
            continue;
        tally_t t;
        memset(&t, 0, sizeof t);
        t.io_ok = true;
        /* Whole groups of `spread` commits, so every report of a group
         * is filed. */
        long long ncommits = (commits + spread - 1) / spread * spread;
        for (long long k = 0; k < ncommits; k++) {
            long long c0, w0, c1, w1;
            bool io0 = self_io(&c0, &w0);
            if (commit_batch(st, reg, &lay, r + k % spread, spread,
                             (size_t) b, err, sizeof err)) {
                fprintf(stderr, "bench_pages: %s\n", err);
                snap_free(&prev);
                goto out_fd;
            }
            bool io1 = self_io(&c1, &w1);
            if (k % spread == spread - 1)
                r += b * spread;
            if (snap_take(fd, &own, &next, err, sizeof err)) {
                fprintf(stderr, "bench_pages: %s\n", err);
                snap_free(&prev);
                goto out_fd;
            }
            if (next.txnid != prev.txnid + 1) {
                fprintf(stderr, "bench_pages: txnid %llu -> %llu: more than "
                        "one commit\n", (unsigned long long) prev.txnid,
                        (unsigned long long) next.txnid);
                snap_free(&prev);
                snap_free(&next);
                goto out_fd;
            }
            tally_diff(&t, &prev, &next);
            t.commits++;
            t.reports += (uint64_t) b;
            t.io_ok = t.io_ok && io0 && io1;
            t.wchar += c1 - c0;
            t.io_bytes += w1 - w0;
            snap_free(&prev);
            prev = next;
        }
        char label[64];   /* b400, or b400w4 when spread */
        if (spread > 1)
            snprintf(label, sizeof label, "b%lldw%lld", b, spread);
        else
            snprintf(label, sizeof label, "b%lld", b);
        print_tally(&t, &own, label);
    }
    printf("pages store_pages_after %llu\n",
           (unsigned long long) prev.last_pg + 1);
    snap_free(&prev);
    rc = 0;
out_fd:
    close(fd);
out_store:
    hub_store_close(&st);
out_reg:
    bc_registry_destroy(&reg);
    return rc;
}
