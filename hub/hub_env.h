/*
 * hub_env.h -- what the store's rooms share, and nothing else includes: the
 * LMDB environment and its named databases, the store and reader structs,
 * the (period, unit) key, store ids, and the meta table.
 *
 * This header is private to the store's own files (hub_store.c, hub_log.c,
 * hub_reports.c, hub_rollup.c, hub_plans.c, hub_digest.c, hub_approvals.c). The server, the
 * query code and the tools see only hub_store.h and the rooms' headers.
 *
 * Which room writes which database is the table atop hub_store.h. A room
 * reads another room's database only through that room's functions; the one
 * key encoding shared by several rooms, (period, unit), is defined here.
 */
#ifndef HUB_ENV_H
#define HUB_ENV_H

#include "hub_store.h"
#include "bc_arena.h"
#include "hub_year.h"

#include <lmdb.h>
#include <stdbool.h>
#include <stdint.h>

/* Layout version of the store; a store of another version is refused. */
#define HUB_STORE_VERSION 1

/* Version of the rules behind the derived databases (agg, carry, units,
 * plan_eff). A store whose meta "derived" differs (or lacks it) keeps its
 * reports and has its derived databases rebuilt at open: no new store
 * version is needed to add one. 2: `units` added. */
#define HUB_DERIVED_VERSION 2

/* The named databases of one environment. */
enum {
    HUB_DB_META,       /* hub_env.c: version, registry digest, sid counters */
    HUB_DB_UNIT_IDS,   /* hub_env.c: unit code -> sid */
    HUB_DB_IND_IDS,    /* hub_env.c: indicator code -> sid */
    HUB_DB_SUBS,       /* hub_reports.c: submission id -> where it went */
    HUB_DB_REVS,       /* hub_reports.c: every revision */
    HUB_DB_CUR,        /* hub_reports.c: current report and its figures */
    HUB_DB_AGG,        /* hub_rollup.c: subtree totals */
    HUB_DB_PLAN,       /* hub_plans.c: own annual targets */
    HUB_DB_PLAN_EFF,   /* hub_plans.c: effective targets */
    HUB_DB_LOG,        /* hub_log.c: the hash-chained log */
    HUB_DB_CARRY,      /* hub_rollup.c: stocks carried forward */
    HUB_DB_UNITS,      /* hub_units.c: units contributing, per period */
    HUB_DB_APPROVALS,  /* hub_approvals.c: approvals in force (locks) */
    HUB_DB_COUNT
};

struct hub_store_t {
    MDB_env *env;                  /* the LMDB environment */
    MDB_dbi dbi[HUB_DB_COUNT];     /* the named databases */
    bc_registry_t *reg;            /* units and catalogue (not owned) */
    int32_t *sid_idx;              /* indicator sid -> catalogue idx, or -1 */
    uint32_t nsid;                 /* length of sid_idx */
    uint32_t *usid_idx;            /* unit sid -> registry idx + 1 (0: none) */
    uint32_t nusid;                /* length of usid_idx */
    uint64_t last_seq;             /* last log sequence number (hub_log.c) */
    uint8_t last_hash[32];         /* chain hash of the last log entry */
    bc_arena_t *arena;             /* scratch of the write path, per batch */
};

/* A unit's year as a reader has read it so far (hub_contrib.c): a
 * facility's month query asks for the same unit's year some 7 times (the
 * month, the previous month, the pieces of two years to date, last
 * year's month), each reading the same reports again (callgrind,
 * BENCHMARKS.md, issue 21). The snapshot does not change under a reader,
 * so what was read stays true for it. */
typedef struct {
    uint32_t sid;                  /* the unit's sid; 0: entry unused */
    unsigned year;                 /* which year */
    uint32_t loaded;               /* slots read, with a report or not */
    hub_unit_year_t uy;            /* the reports of those slots */
} hub_year_memo_t;

/* Entries of a reader's memo: a facility's query reads two years. */
#define HUB_READER_MEMOS 2

struct hub_reader_t {
    hub_store_t *store;            /* the store read from */
    MDB_txn *txn;                  /* the read snapshot */
    bc_arena_t *arena;             /* scratch of one call */
    hub_year_memo_t memo[HUB_READER_MEMOS]; /* leaf units' years read */
    unsigned memo_next;            /* the entry to reuse next */
};

/* --- big-endian integers: keys sort numerically byte by byte ----------- */

static inline void hub_put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t) (v >> 24); p[1] = (uint8_t) (v >> 16);
    p[2] = (uint8_t) (v >> 8);  p[3] = (uint8_t) v;
}

static inline void hub_put_be64(uint8_t *p, uint64_t v)
{
    hub_put_be32(p, (uint32_t) (v >> 32));
    hub_put_be32(p + 4, (uint32_t) v);
}

static inline uint32_t hub_get_be32(const uint8_t *p)
{
    return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16
           | (uint32_t) p[2] << 8 | p[3];
}

static inline uint64_t hub_get_be64(const uint8_t *p)
{
    return (uint64_t) hub_get_be32(p) << 32 | hub_get_be32(p + 4);
}

/* --- the (period, unit) key --------------------------------------------
 * Key of cur, agg and carry (period, unit sid) and of plan and plan_eff
 * (year, unit sid). Period first because reports for one period arrive
 * together (every facility files its month within days): a batch then
 * writes a few adjacent B-tree pages instead of one page per report, which
 * is what bounds the ingest rate. */
static inline MDB_val hub_key_up(uint8_t buf[8], uint32_t unit_sid,
                                 uint32_t period)
{
    hub_put_be32(buf, period);
    hub_put_be32(buf + 4, unit_sid);
    return (MDB_val){8, buf};
}

/* The unit sid and the period (or year) of a key made by hub_key_up (or
 * any key that starts the same way). */
static inline uint32_t hub_key_unit(const MDB_val *k)
{
    return hub_get_be32((const uint8_t *) k->mv_data + 4);
}

static inline uint32_t hub_key_period(const MDB_val *k)
{
    return hub_get_be32(k->mv_data);
}

/* --- the environment (hub_env.c) -------------------------------------- */

/* Maps an LMDB return code to BC_OK, BC_EFULL (map full), BC_ENOSPC (the
 * filesystem is full), BC_EFATAL (EIO from a write or sync, or MDB_PANIC:
 * the disk failed and the environment is unusable until reopened) or
 * BC_ESTORE. */
int hub_env_err(int mrc);

/* Creates the environment of `dir` and opens every named database in it:
 * created when `flags` lacks MDB_RDONLY, required otherwise. `txn` stays
 * open for the caller to finish (commit) and use first. Returns 0 or an
 * LMDB error code, with s->env closed and NULL on error. */
int hub_env_open(hub_store_t *s, const char *dir, size_t map_size,
                 unsigned flags, MDB_txn **txn);

/* A meta value by name; 0, MDB_NOTFOUND or an LMDB error. */
int hub_env_meta_get(hub_store_t *s, MDB_txn *txn, const char *name,
                     MDB_val *out);

/* Writes a meta value; 0 or an LMDB error. */
int hub_env_meta_put(hub_store_t *s, MDB_txn *txn, const char *name,
                     const void *data, size_t len);

/* Gives every unit and indicator of the registry its stable store id
 * (setting `sid`), assigning new ids to new codes, and builds the sid ->
 * registry tables. Returns BC_OK, BC_EFULL or BC_ESTORE. */
int hub_env_assign_sids(hub_store_t *s, MDB_txn *txn);

/* The unit with store id `sid` in the registry, or NULL. */
const bc_unit_t *hub_env_unit(const hub_store_t *s, uint32_t sid);

/* The catalogue index of indicator store id `sid`, or -1. */
int32_t hub_env_indicator(const hub_store_t *s, uint32_t sid);

/* True if indicator store id `sid` is a stock. */
bool hub_env_is_stock(const hub_store_t *s, uint32_t sid);

/* The store id of a unit code, for stores opened without a registry.
 * BC_OK, BC_ENOTFOUND or BC_ESTORE. */
int hub_env_unit_sid(hub_reader_t *r, const char *code, uint32_t *sid);

/* Every unit code the store ever saw, by store id: (*codes)[sid] is a
 * malloc'ed string or NULL; *n is the table's length. Free with
 * hub_env_codes_free. BC_OK or BC_ESTORE. */
int hub_env_unit_codes(hub_reader_t *r, char ***codes, uint32_t *n);
void hub_env_codes_free(char **codes, uint32_t n);

/* Called by hub_env_walk for the record of unit_sids[i]. */
typedef void (*hub_walk_fn)(void *arg, size_t i, const MDB_val *v);

/* Visits the records (period, unit_sids[i]) of a database keyed by
 * hub_key_up, for unit_sids sorted ascending, with one cursor: records of
 * one period lie in unit order, so neighbours are a step (MDB_NEXT) and
 * only gaps are a jump (MDB_SET_RANGE). A table of 100 units costs one
 * descent of the tree instead of 100. Units without a record are skipped.
 * Returns BC_OK or BC_ESTORE. */
int hub_env_walk(MDB_txn *txn, MDB_dbi dbi, uint32_t period,
                 const uint32_t *unit_sids, size_t n, hub_walk_fn fn,
                 void *arg);

/* Copies a stored array of n hub_val_t (sid-indexed, possibly unaligned)
 * into dense, catalogue-indexed figures (hub_store.c). */
void hub_figures_spread(const hub_store_t *s, const uint8_t *p, size_t n,
                        hub_figures_t *out);

#endif
