/*
 * hub_store.c -- the hub's LMDB store (layout and rationale in hub_store.h).
 *
 * Records are fixed headers followed by arrays, in host byte order: an LMDB
 * file is not portable across architectures anyway, and the audit export
 * (protobuf) is the portable form. Keys are big-endian so that LMDB's
 * byte-wise ordering walks (unit, period, revision) in numeric order.
 *
 * The write path is built for group commit: hub_store_ingest() takes a whole
 * batch, keeps the aggregate records it touches in a small hash table for the
 * duration of the batch (a district's total is read and written once per
 * batch, not once per ward report), and commits once.
 */
#include "hub_store.h"
#include "bc_arena.h"
#include "bc_error.h"
#include "bc_log.h"
#include "bc_mem.h"

#include <errno.h>
#include <lmdb.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define STORE_VERSION 1

enum {
    DB_META, DB_UNIT_IDS, DB_IND_IDS, DB_SUBS, DB_REVS, DB_CUR, DB_AGG,
    DB_PLAN, DB_PLAN_EFF, DB_LOG, DB_CARRY, DB_COUNT
};
static const char *db_names[DB_COUNT] = {
    "meta", "unit_ids", "ind_ids", "subs", "revs", "cur", "agg",
    "plan", "plan_eff", "log", "carry"};

struct hub_store_t {
    MDB_env *env;              /* the LMDB environment */
    MDB_dbi dbi[DB_COUNT];     /* the named databases */
    bc_registry_t *reg;        /* units and catalogue (not owned) */
    int32_t *sid_idx;          /* indicator sid -> catalogue idx, or -1 */
    uint32_t nsid;             /* length of sid_idx */
    uint32_t *usid_idx;        /* unit sid -> registry idx (+1; 0 = none) */
    uint32_t nusid;            /* length of usid_idx */
    uint64_t last_seq;         /* last log sequence number */
    uint8_t last_hash[32];     /* chain hash of the last log entry */
    bc_arena_t *arena;         /* decoded log entries of the write path */
};

struct hub_reader_t {
    hub_store_t *store;        /* the store read from */
    MDB_txn *txn;              /* the read snapshot */
    bc_arena_t *arena;         /* decoded log entries of one call */
};

/* --- records ----------------------------------------------------------- */

typedef struct {
    uint64_t seq;              /* log entry of the accepted submission */
    uint32_t unit_sid;         /* its unit */
    uint32_t period;           /* its period */
    uint32_t revision;         /* its revision */
    uint32_t outcome;          /* Baocao__Outcome it got */
} sub_rec_t;

typedef struct {
    uint64_t seq;              /* log entry of this revision */
    int64_t filed_at;          /* node's filing time, s */
    int64_t received_at;       /* hub receipt, us */
    uint8_t id[16];            /* submission id */
} rev_rec_t;

/* A current report: this header, then its figures packed as varints
 * (indicator sid delta, zigzag value: ~3 bytes a figure instead of 16), so
 * that a facility's year to date is a dozen small decodes. The exact bytes
 * received are in the log entry `seq`. */
typedef struct {
    uint32_t revision;         /* current revision */
    uint32_t nvals;            /* packed figures that follow */
    uint64_t seq;              /* log entry of the current revision */
    int64_t filed_at;          /* current revision's filing time, s */
    int64_t received_at;       /* current revision's receipt, us */
    int64_t first_filed_at;    /* earliest filing of any revision, s */
    int64_t first_received_at; /* receipt of that earliest filing, us */
} cur_hdr_t;

typedef struct {
    uint32_t nvals;            /* hub_val_t entries that follow */
    uint32_t reporters;        /* units in the subtree with a report */
} agg_hdr_t;

typedef struct {
    int64_t received_at;       /* hub clock, us */
    uint8_t hash[32];          /* chain hash of this entry */
    uint32_t outcome;          /* Baocao__Outcome */
    uint32_t reason;           /* Baocao__RejectReason */
    uint32_t peer_len;         /* bytes of peer identity that follow */
    uint32_t req_len;          /* bytes of request that follow the peer */
} log_hdr_t;

/* --- keys ---------------------------------------------------------------- */

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t) (v >> 24); p[1] = (uint8_t) (v >> 16);
    p[2] = (uint8_t) (v >> 8);  p[3] = (uint8_t) v;
}

static void put_be64(uint8_t *p, uint64_t v)
{
    put_be32(p, (uint32_t) (v >> 32));
    put_be32(p + 4, (uint32_t) v);
}

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16
           | (uint32_t) p[2] << 8 | p[3];
}

static uint64_t get_be64(const uint8_t *p)
{
    return (uint64_t) get_be32(p) << 32 | get_be32(p + 4);
}

/* Keys of cur and agg: period, then unit sid; of plan: year, then unit sid;
 * of revs: period, unit sid, revision. Period first because reports for
 * one period arrive together (every facility files its month within days):
 * a batch then writes a few adjacent B-tree pages instead of one page per
 * report, which is what bounds the ingest rate. The revisions of one report
 * stay adjacent, so history is still one short range scan. */
static MDB_val key_up(uint8_t buf[8], uint32_t unit_sid, uint32_t second)
{
    put_be32(buf, second);
    put_be32(buf + 4, unit_sid);
    return (MDB_val){8, buf};
}

static MDB_val key_rev(uint8_t buf[12], uint32_t unit_sid, uint32_t period,
                       uint32_t revision)
{
    put_be32(buf, period);
    put_be32(buf + 4, unit_sid);
    put_be32(buf + 8, revision);
    return (MDB_val){12, buf};
}

/* The unit sid and the period (or year) of a key made by key_up/key_rev. */
static uint32_t key_unit(const MDB_val *k)
{
    return get_be32((const uint8_t *) k->mv_data + 4);
}

static uint32_t key_period(const MDB_val *k)
{
    return get_be32(k->mv_data);
}

static int map_err(int mrc)
{
    if (mrc == MDB_MAP_FULL || mrc == ENOSPC)
        return BC_EFULL;
    return mrc == 0 ? BC_OK : BC_ESTORE;
}

/* --- the log hash -------------------------------------------------------- */

void hub_request_digest(const uint8_t *req, size_t len, uint8_t out[32])
{
    crypto_hash_sha256(out, req, len);
}

void hub_log_hash(const uint8_t prev[32], uint64_t seq, int64_t received_at,
                  const char *peer, size_t peer_len, uint32_t outcome,
                  uint32_t reason, const uint8_t req_digest[32],
                  uint8_t out[32])
{
    crypto_hash_sha256_state st;
    uint8_t b[8];
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, prev, 32);
    put_be64(b, seq);
    crypto_hash_sha256_update(&st, b, 8);
    put_be64(b, (uint64_t) received_at);
    crypto_hash_sha256_update(&st, b, 8);
    put_be32(b, (uint32_t) peer_len);
    crypto_hash_sha256_update(&st, b, 4);
    crypto_hash_sha256_update(&st, (const uint8_t *) peer, peer_len);
    put_be32(b, outcome);
    crypto_hash_sha256_update(&st, b, 4);
    put_be32(b, reason);
    crypto_hash_sha256_update(&st, b, 4);
    crypto_hash_sha256_update(&st, req_digest, 32);
    crypto_hash_sha256_final(&st, out);
}

/* --- figures of a logged submission -------------------------------------- */

/* Varint packing of sid-sorted figures (see cur_hdr_t). */
static size_t put_varint(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    do {
        p[n] = (uint8_t) (v & 0x7f);
        v >>= 7;
        p[n++] |= v ? 0x80 : 0;
    } while (v);
    return n;
}

static size_t get_varint(const uint8_t *p, const uint8_t *end, uint64_t *v)
{
    size_t n = 0;
    *v = 0;
    for (int shift = 0; p + n < end && shift < 64; shift += 7) {
        uint8_t b = p[n++];
        *v |= (uint64_t) (b & 0x7f) << shift;
        if (!(b & 0x80))
            return n;
    }
    return 0;   /* truncated: a damaged record */
}

/* Worst case 5 + 10 bytes a figure. */
#define PACKED_MAX(n) ((n) * 15)

static size_t pack_vals(const hub_val_t *v, size_t n, uint8_t *out)
{
    size_t len = 0;
    uint32_t prev = 0;
    for (size_t i = 0; i < n; i++) {
        len += put_varint(out + len, v[i].sid - prev);
        len += put_varint(out + len, ((uint64_t) v[i].value << 1)
                                         ^ (uint64_t) (v[i].value >> 63));
        prev = v[i].sid;
    }
    return len;
}

/* Unpacks up to n figures; returns how many were read. */
static size_t unpack_vals(const uint8_t *p, size_t len, size_t n,
                          hub_val_t *out)
{
    const uint8_t *end = p + len;
    uint32_t sid = 0;
    size_t i;
    for (i = 0; i < n; i++) {
        uint64_t d, z;
        size_t a = get_varint(p, end, &d);
        size_t b = a ? get_varint(p + a, end, &z) : 0;
        if (!a || !b)
            break;
        p += a + b;
        sid += (uint32_t) d;
        out[i] = (hub_val_t){sid, 1, (int64_t) (z >> 1) ^ -(int64_t) (z & 1)};
    }
    return i;
}

/* The figures of a cur record, unpacked into the arena. */
static hub_val_t *cur_values(const MDB_val *v, bc_arena_t *arena, size_t *n)
{
    cur_hdr_t h;
    memcpy(&h, v->mv_data, sizeof h);
    hub_val_t *vals = bc_arena_alloc(arena, (h.nvals + 1) * sizeof *vals);
    *n = unpack_vals((const uint8_t *) v->mv_data + sizeof h,
                     v->mv_size - sizeof h, h.nvals, vals);
    return vals;
}

/* The submission logged at seq, decoded into the arena; NULL if the entry
 * is missing or not a submission. */
static const Baocao__Submission *logged_submission(hub_store_t *s,
                                                   MDB_txn *txn, uint64_t seq,
                                                   bc_arena_t *arena)
{
    uint8_t kb[8];
    put_be64(kb, seq);
    MDB_val k = {8, kb}, v;
    if (mdb_get(txn, s->dbi[DB_LOG], &k, &v) != 0)
        return NULL;
    log_hdr_t h;
    memcpy(&h, v.mv_data, sizeof h);
    Baocao__Request *req = baocao__request__unpack(
        bc_arena_allocator(arena), h.req_len,
        (const uint8_t *) v.mv_data + sizeof h + h.peer_len);
    if (!req || req->body_case != BAOCAO__REQUEST__BODY_SUBMIT)
        return NULL;
    return req->submit;
}

/* --- value arrays -------------------------------------------------------- */

/* A growable, sid-sorted array of values: an aggregate being updated. */
typedef struct {
    uint64_t key;              /* unit sid << 32 | period */
    hub_val_t *vals;           /* sorted by sid */
    uint32_t n;                /* used entries */
    uint32_t cap;              /* allocated entries */
    uint32_t reporters;        /* units with a report in the subtree */
    bool dirty;                /* changed since loaded */
} agg_t;

/* Adds (delta value, delta count) for sid, keeping the array sorted and
 * dropping an entry whose count falls to zero. */
static void agg_apply(agg_t *a, uint32_t sid, int64_t dv, int32_t dc)
{
    uint32_t lo = 0, hi = a->n;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (a->vals[mid].sid < sid)
            lo = mid + 1;
        else
            hi = mid;
    }
    a->dirty = true;
    if (lo < a->n && a->vals[lo].sid == sid) {
        a->vals[lo].value += dv;
        a->vals[lo].count = (uint32_t) ((int64_t) a->vals[lo].count + dc);
        if (a->vals[lo].count == 0) {
            memmove(&a->vals[lo], &a->vals[lo + 1],
                    (a->n - lo - 1) * sizeof(hub_val_t));
            a->n--;
        }
        return;
    }
    if (dc <= 0)
        return;   /* removing what was never there: nothing to do */
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 16;
        a->vals = bc_realloc(a->vals, a->cap * sizeof(hub_val_t));
    }
    memmove(&a->vals[lo + 1], &a->vals[lo], (a->n - lo) * sizeof(hub_val_t));
    a->vals[lo] = (hub_val_t){sid, (uint32_t) dc, dv};
    a->n++;
}

/* The aggregates touched by one batch, by key: open addressing. */
typedef struct {
    agg_t *slots;              /* table of aggregates, key 0 = empty */
    size_t cap;                /* power of two */
    size_t used;               /* occupied slots */
    int db;                    /* DB_AGG or DB_CARRY */
} agg_cache_t;

static void cache_init(agg_cache_t *c, size_t expect, int db)
{
    c->db = db;
    c->cap = 64;
    while (c->cap < expect * 2)
        c->cap *= 2;
    c->slots = bc_calloc(c->cap, sizeof(agg_t));
    c->used = 0;
}

static void cache_free(agg_cache_t *c)
{
    for (size_t i = 0; i < c->cap; i++)
        free(c->slots[i].vals);
    bc_free(&c->slots);
}

static size_t cache_slot(const agg_cache_t *c, uint64_t key)
{
    size_t h = (size_t) ((key * 0x9E3779B97F4A7C15ULL) >> 17);
    for (size_t i = h & (c->cap - 1);; i = (i + 1) & (c->cap - 1))
        if (c->slots[i].key == key || c->slots[i].key == 0)
            return i;
}

static void cache_grow(agg_cache_t *c)
{
    agg_cache_t bigger = {bc_calloc(c->cap * 2, sizeof(agg_t)), c->cap * 2,
                          c->used, c->db};
    for (size_t i = 0; i < c->cap; i++)
        if (c->slots[i].key)
            bigger.slots[cache_slot(&bigger, c->slots[i].key)] = c->slots[i];
    free(c->slots);
    *c = bigger;
}

/* Finds or loads the aggregate (unit sid, period). Key 0 cannot occur:
 * unit sids start at 1. */
static int cache_get(hub_store_t *s, MDB_txn *txn, agg_cache_t *c,
                     uint32_t unit_sid, uint32_t period, agg_t **out)
{
    uint64_t key = (uint64_t) unit_sid << 32 | period;
    if ((c->used + 1) * 2 > c->cap)
        cache_grow(c);
    size_t i = cache_slot(c, key);
    agg_t *a = &c->slots[i];
    if (a->key == key) {
        *out = a;
        return BC_OK;
    }
    memset(a, 0, sizeof *a);
    a->key = key;
    c->used++;
    uint8_t kb[8];
    MDB_val k = key_up(kb, unit_sid, period), v;
    int mrc = mdb_get(txn, s->dbi[c->db], &k, &v);
    if (mrc == 0) {
        agg_hdr_t h;
        memcpy(&h, v.mv_data, sizeof h);
        a->n = a->cap = h.nvals;
        a->reporters = h.reporters;
        a->vals = bc_malloc((a->cap ? a->cap : 1) * sizeof(hub_val_t));
        memcpy(a->vals, (uint8_t *) v.mv_data + sizeof h,
               h.nvals * sizeof(hub_val_t));
    } else if (mrc != MDB_NOTFOUND) {
        return map_err(mrc);
    }
    *out = a;
    return BC_OK;
}

static int cache_flush(hub_store_t *s, MDB_txn *txn, agg_cache_t *c)
{
    for (size_t i = 0; i < c->cap; i++) {
        agg_t *a = &c->slots[i];
        if (!a->key || !a->dirty)
            continue;
        uint8_t kb[8];
        MDB_val k = key_up(kb, (uint32_t) (a->key >> 32), (uint32_t) a->key);
        int mrc;
        if (a->n == 0 && a->reporters == 0) {
            mrc = mdb_del(txn, s->dbi[c->db], &k, NULL);
            if (mrc == MDB_NOTFOUND)
                mrc = 0;
        } else {
            MDB_val v = {sizeof(agg_hdr_t) + a->n * sizeof(hub_val_t), NULL};
            mrc = mdb_put(txn, s->dbi[c->db], &k, &v, MDB_RESERVE);
            if (mrc == 0) {
                agg_hdr_t h = {a->n, a->reporters};
                memcpy(v.mv_data, &h, sizeof h);
                memcpy((uint8_t *) v.mv_data + sizeof h, a->vals,
                       a->n * sizeof(hub_val_t));
            }
        }
        if (mrc)
            return map_err(mrc);
        a->dirty = false;
    }
    return BC_OK;
}

/* Units whose totals include a report of `u`: u itself when it has
 * children (its own figures add to its subtree's), then every ancestor. */
static size_t rollup_targets(const hub_store_t *s, const bc_unit_t *u,
                             const bc_unit_t **out, size_t max)
{
    size_t n = 0;
    if (u->nchildren && n < max)
        out[n++] = u;
    for (int32_t p = u->parent; p >= 0 && n < max;
         p = bc_registry_unit(s->reg, (uint32_t) p)->parent)
        out[n++] = bc_registry_unit(s->reg, (uint32_t) p);
    return n;
}

/* Applies to the subtree totals the difference between the old current
 * values (may be NULL) and the new ones (may be NULL). */
static int rollup(hub_store_t *s, MDB_txn *txn, agg_cache_t *c,
                  const bc_unit_t *u, uint32_t period,
                  const hub_val_t *old, size_t nold,
                  const hub_val_t *new, size_t nnew)
{
    const bc_unit_t *targets[64];
    size_t nt = rollup_targets(s, u, targets, 64);
    for (size_t t = 0; t < nt; t++) {
        agg_t *a;
        int rc = cache_get(s, txn, c, targets[t]->sid, period, &a);
        if (rc)
            return rc;
        if (!old && new)
            a->reporters++;
        else if (old && !new && a->reporters)
            a->reporters--;
        a->dirty = true;
        /* Merge walk over the two sorted arrays. */
        size_t i = 0, j = 0;
        while (i < nold || j < nnew) {
            if (j >= nnew || (i < nold && old[i].sid < new[j].sid)) {
                agg_apply(a, old[i].sid, -old[i].value, -1);
                i++;
            } else if (i >= nold || new[j].sid < old[i].sid) {
                agg_apply(a, new[j].sid, new[j].value, 1);
                j++;
            } else {
                if (new[j].value != old[i].value)
                    agg_apply(a, new[j].sid, new[j].value - old[i].value, 0);
                i++;
                j++;
            }
        }
    }
    return BC_OK;
}


/* --- stocks carried forward ----------------------------------------------
 * A stock's year to date is its last value, and for a district or a
 * province it is the sum, over its units, of each unit's own last value:
 * a station that did not report in December still has its patients under
 * management, as of November. `carry` (month, unit) keeps exactly that sum
 * for each stock indicator, for every month of a year, so the year to date
 * stays one read. A unit's report for month m changes only months m up to
 * (not including) the next month in which that unit reported the same
 * indicator. */

static bool is_stock(const hub_store_t *s, uint32_t sid)
{
    int32_t idx = sid < s->nsid ? s->sid_idx[sid] : -1;
    return idx >= 0
           && bc_registry_indicator(s->reg, (uint32_t) idx)->kind
                  == BC_KIND_STOCK;
}

/* One stock indicator of a report, seen against the unit's other months. */
typedef struct {
    uint32_t sid;              /* indicator */
    bool has_prev;             /* reported in an earlier month of the year */
    int64_t prev;              /* the latest such value */
    unsigned next;             /* first later month reporting it, or 13 */
} span_t;

static const hub_val_t *find_val(const hub_val_t *v, size_t n, uint32_t sid)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (v[mid].sid < sid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && v[lo].sid == sid ? &v[lo] : NULL;
}

/* The stock indicators of old and new (either may be empty), with what
 * the unit reported for them in the other months of the year. Returns the
 * number of spans written to *out (in the arena). */
static int stock_spans(hub_store_t *s, MDB_txn *txn, const bc_unit_t *u,
                       unsigned year, unsigned m, const hub_val_t *old,
                       size_t nold, const hub_val_t *new, size_t nnew,
                       span_t **out, size_t *nout)
{
    span_t *sp = bc_arena_alloc(s->arena, (nold + nnew + 1) * sizeof *sp);
    size_t n = 0;
    for (size_t pass = 0; pass < 2; pass++) {
        const hub_val_t *v = pass ? new : old;
        size_t nv = pass ? nnew : nold;
        for (size_t i = 0; i < nv; i++) {
            if (!is_stock(s, v[i].sid))
                continue;
            bool seen = false;
            for (size_t j = 0; j < n && !seen; j++)
                seen = sp[j].sid == v[i].sid;
            if (!seen)
                sp[n++] = (span_t){v[i].sid, false, 0, 13};
        }
    }
    *out = sp;
    *nout = n;
    if (!n)
        return BC_OK;
    for (unsigned t = 1; t <= 12; t++) {
        if (t == m)
            continue;
        uint8_t kb[8];
        MDB_val k = key_up(kb, u->sid, bc_period_make(year, BC_PT_MONTH, t)),
                v;
        int mrc = mdb_get(txn, s->dbi[DB_CUR], &k, &v);
        if (mrc == MDB_NOTFOUND)
            continue;
        if (mrc)
            return map_err(mrc);
        size_t nv;
        hub_val_t *vals = cur_values(&v, s->arena, &nv);
        for (size_t j = 0; j < n; j++) {
            const hub_val_t *hv = find_val(vals, nv, sp[j].sid);
            if (!hv)
                continue;
            if (t < m) {
                sp[j].has_prev = true;
                sp[j].prev = hv->value;
            } else if (sp[j].next == 13) {
                sp[j].next = t;
            }
        }
    }
    return BC_OK;
}

/* Adds (dv, dc) for one stock over months [from, to) of the year, in the
 * carry totals of every unit whose subtree holds u. */
static int carry_apply(hub_store_t *s, MDB_txn *txn, agg_cache_t *carry,
                       const bc_unit_t *u, unsigned year, unsigned from,
                       unsigned to, uint32_t sid, int64_t dv, int32_t dc)
{
    const bc_unit_t *targets[64];
    size_t nt = rollup_targets(s, u, targets, 64);
    for (unsigned t = from; t < to; t++)
        for (size_t i = 0; i < nt; i++) {
            agg_t *a;
            int rc = cache_get(s, txn, carry, targets[i]->sid,
                               bc_period_make(year, BC_PT_MONTH, t), &a);
            if (rc)
                return rc;
            agg_apply(a, sid, dv, dc);
        }
    return BC_OK;
}

/* u's report for a month changes from old to new (either may be empty):
 * moves the carried stocks by the difference it makes. */
static int carry_update(hub_store_t *s, MDB_txn *txn, agg_cache_t *carry,
                        const bc_unit_t *u, bc_period_t period,
                        const hub_val_t *old, size_t nold,
                        const hub_val_t *new, size_t nnew)
{
    if (bc_period_type(period) != BC_PT_MONTH || (u->parent < 0
                                                  && !u->nchildren))
        return BC_OK;
    unsigned year = bc_period_year(period), m = bc_period_index(period);
    span_t *sp;
    size_t n;
    int rc = stock_spans(s, txn, u, year, m, old, nold, new, nnew, &sp, &n);
    for (size_t j = 0; j < n && !rc; j++) {
        const hub_val_t *o = find_val(old, nold, sp[j].sid);
        const hub_val_t *w = find_val(new, nnew, sp[j].sid);
        /* What the unit counts for months m.. before and after. */
        bool had = o || sp[j].has_prev, has = w || sp[j].has_prev;
        int64_t before = o ? o->value : sp[j].has_prev ? sp[j].prev : 0;
        int64_t after = w ? w->value : sp[j].has_prev ? sp[j].prev : 0;
        int32_t dc = (int32_t) has - (int32_t) had;
        if (dc == 0 && before == after)
            continue;
        rc = carry_apply(s, txn, carry, u, year, m, sp[j].next, sp[j].sid,
                         after - before, dc);
    }
    return rc;
}

/* Rebuilding: a current report counts from its month until the unit's next
 * report of the same stock. */
static int carry_rebuild_one(hub_store_t *s, MDB_txn *txn, agg_cache_t *carry,
                             const bc_unit_t *u, bc_period_t period,
                             const hub_val_t *vals, size_t n)
{
    if (bc_period_type(period) != BC_PT_MONTH)
        return BC_OK;
    unsigned year = bc_period_year(period), m = bc_period_index(period);
    span_t *sp;
    size_t nsp;
    int rc = stock_spans(s, txn, u, year, m, NULL, 0, vals, n, &sp, &nsp);
    for (size_t j = 0; j < nsp && !rc; j++)
        rc = carry_apply(s, txn, carry, u, year, m, sp[j].next, sp[j].sid,
                         find_val(vals, n, sp[j].sid)->value, 1);
    return rc;
}

/* --- opening ------------------------------------------------------------- */

/* Looks up or assigns a store id for a code in db (unit_ids or ind_ids). */
static int assign_sid(hub_store_t *s, MDB_txn *txn, int db, const char *code,
                      const char *counter, uint32_t *sid)
{
    MDB_val k = {strlen(code), (void *) code}, v;
    int mrc = mdb_get(txn, s->dbi[db], &k, &v);
    if (mrc == 0) {
        memcpy(sid, v.mv_data, 4);
        return BC_OK;
    }
    if (mrc != MDB_NOTFOUND)
        return map_err(mrc);
    MDB_val ck = {strlen(counter), (void *) counter}, cv;
    uint32_t next = 1;
    mrc = mdb_get(txn, s->dbi[DB_META], &ck, &cv);
    if (mrc == 0)
        memcpy(&next, cv.mv_data, 4);
    *sid = next++;
    cv = (MDB_val){4, &next};
    v = (MDB_val){4, sid};
    if ((mrc = mdb_put(txn, s->dbi[DB_META], &ck, &cv, 0))
        || (mrc = mdb_put(txn, s->dbi[db], &k, &v, 0)))
        return map_err(mrc);
    return BC_OK;
}

static int meta_get(hub_store_t *s, MDB_txn *txn, const char *name,
                    MDB_val *out)
{
    MDB_val k = {strlen(name), (void *) name};
    return mdb_get(txn, s->dbi[DB_META], &k, out);
}

static int meta_put(hub_store_t *s, MDB_txn *txn, const char *name,
                    const void *data, size_t len)
{
    MDB_val k = {strlen(name), (void *) name}, v = {len, (void *) data};
    return mdb_put(txn, s->dbi[DB_META], &k, &v, 0);
}

/* Where the log stands: its last sequence number and chain hash. Returns
 * 0 or an LMDB error. */
static int read_log_tail(hub_store_t *s, MDB_txn *txn)
{
    MDB_cursor *cur;
    MDB_val k, v;
    int mrc = mdb_cursor_open(txn, s->dbi[DB_LOG], &cur);
    if (mrc)
        return mrc;
    if (mdb_cursor_get(cur, &k, &v, MDB_LAST) == 0) {
        log_hdr_t h;
        memcpy(&h, v.mv_data, sizeof h);
        s->last_seq = get_be64(k.mv_data);
        memcpy(s->last_hash, h.hash, 32);
    }
    mdb_cursor_close(cur);
    return 0;
}

/* Recomputes every subtree total from the current reports, and the
 * effective targets from the own targets. Used when the hierarchy changed. */
static int rebuild_rollups(hub_store_t *s, MDB_txn *txn);
static int refresh_plan(hub_store_t *s, MDB_txn *txn, const bc_unit_t *unit,
                        unsigned year);

static int build_sid_tables(hub_store_t *s)
{
    size_t nu = bc_registry_nunits(s->reg), ni = bc_registry_nindicators(s->reg);
    bc_free(&s->sid_idx);
    bc_free(&s->usid_idx);
    s->nsid = 1;
    for (size_t i = 0; i < ni; i++)
        if (bc_registry_indicator(s->reg, (uint32_t) i)->sid + 1 > s->nsid)
            s->nsid = bc_registry_indicator(s->reg, (uint32_t) i)->sid + 1;
    s->sid_idx = bc_malloc(s->nsid * sizeof(int32_t));
    for (uint32_t i = 0; i < s->nsid; i++)
        s->sid_idx[i] = -1;
    for (size_t i = 0; i < ni; i++)
        s->sid_idx[bc_registry_indicator(s->reg, (uint32_t) i)->sid] =
            (int32_t) i;
    s->nusid = 1;
    for (size_t i = 0; i < nu; i++)
        if (bc_registry_unit(s->reg, (uint32_t) i)->sid + 1 > s->nusid)
            s->nusid = bc_registry_unit(s->reg, (uint32_t) i)->sid + 1;
    s->usid_idx = bc_calloc(s->nusid, sizeof(uint32_t));
    for (size_t i = 0; i < nu; i++)
        s->usid_idx[bc_registry_unit(s->reg, (uint32_t) i)->sid] =
            (uint32_t) i + 1;
    return BC_OK;
}

hub_store_t *hub_store_open(const char *dir, size_t map_size,
                            bc_registry_t *reg, char *err, size_t errlen)
{
    hub_store_t *self = bc_calloc(1, sizeof *self);
    MDB_txn *txn = NULL;
    int mrc;
    self->reg = reg;
    self->arena = bc_arena_new(1 << 20);
    if (sodium_init() < 0) {
        snprintf(err, errlen, "libsodium failed to initialise");
        goto out_free;
    }
    if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create store directory %s: %s", dir,
                 strerror(errno));
        goto out_free;
    }
    if ((mrc = mdb_env_create(&self->env))) {
        snprintf(err, errlen, "mdb_env_create: %s", mdb_strerror(mrc));
        goto out_free;
    }
    mdb_env_set_maxdbs(self->env, DB_COUNT);
    mdb_env_set_mapsize(self->env, map_size);
    /* MDB_NOTLS: readers are tied to transactions, not threads, so the
     * server may hold a read snapshot while it writes. Default sync flags:
     * a commit is durable when mdb_txn_commit returns. */
    if ((mrc = mdb_env_open(self->env, dir, MDB_NOTLS, 0640))) {
        snprintf(err, errlen, "cannot open LMDB store in %s: %s", dir,
                 mdb_strerror(mrc));
        goto out_close_env;
    }
    int dead;
    mdb_reader_check(self->env, &dead);   /* clear readers of dead processes */

    if ((mrc = mdb_txn_begin(self->env, NULL, 0, &txn)))
        goto out_mdb_error;
    for (int i = 0; i < DB_COUNT; i++)
        if ((mrc = mdb_dbi_open(txn, db_names[i], MDB_CREATE, &self->dbi[i])))
            goto out_mdb_error;

    /* Version check: refuse a store written by an incompatible layout. */
    MDB_val v;
    uint32_t version = STORE_VERSION;
    mrc = meta_get(self, txn, "version", &v);
    if (mrc == 0) {
        memcpy(&version, v.mv_data, 4);
        if (version != STORE_VERSION) {
            snprintf(err, errlen, "%s holds a store of version %u; this hub "
                     "reads version %u", dir, version, STORE_VERSION);
            goto out_abort;
        }
    } else if ((mrc = meta_put(self, txn, "version", &version, 4))) {
        goto out_mdb_error;
    }

    /* Stable store ids for every unit and indicator of the registry. */
    for (size_t i = 0; i < bc_registry_nunits(reg); i++) {
        bc_unit_t *u = bc_registry_unit(reg, (uint32_t) i);
        if ((mrc = assign_sid(self, txn, DB_UNIT_IDS, u->code, "next_unit",
                              &u->sid)))
            goto out_bc_error;
    }
    for (size_t i = 0; i < bc_registry_nindicators(reg); i++) {
        bc_indicator_t *ind = bc_registry_indicator(reg, (uint32_t) i);
        if ((mrc = assign_sid(self, txn, DB_IND_IDS, ind->code, "next_ind",
                              &ind->sid)))
            goto out_bc_error;
    }
    build_sid_tables(self);

    /* Rebuild derived totals if the hierarchy or catalogue changed. */
    uint8_t digest[32];
    bc_registry_digest(reg, digest);
    mrc = meta_get(self, txn, "registry", &v);
    if (mrc != 0 || v.mv_size != 32 || memcmp(v.mv_data, digest, 32) != 0) {
        if (mrc == 0)
            BC_INFO("registry changed since the store was last opened: "
                    "rebuilding totals");
        if ((mrc = rebuild_rollups(self, txn)))
            goto out_bc_error;
        if ((mrc = meta_put(self, txn, "registry", digest, 32)))
            goto out_mdb_error;
    }

    if ((mrc = read_log_tail(self, txn)))
        goto out_mdb_error;

    if ((mrc = mdb_txn_commit(txn))) {
        txn = NULL;
        goto out_mdb_error;
    }
    return self;

out_bc_error:
    snprintf(err, errlen, "cannot prepare the store in %s: %s", dir,
             bc_strerror(mrc));
    goto out_abort;
out_mdb_error:
    snprintf(err, errlen, "cannot prepare the store in %s: %s%s", dir,
             mdb_strerror(mrc),
             mrc == MDB_MAP_FULL ? " (start with a larger --map-size)" : "");
out_abort:
    if (txn)
        mdb_txn_abort(txn);
out_close_env:
    mdb_env_close(self->env);
out_free:
    free(self->sid_idx);
    free(self->usid_idx);
    bc_arena_destroy(&self->arena);
    free(self);
    return NULL;
}

void hub_store_close(hub_store_t **self_p)
{
    hub_store_t *self = *self_p;
    if (!self)
        return;
    mdb_env_close(self->env);
    free(self->sid_idx);
    free(self->usid_idx);
    bc_arena_destroy(&self->arena);
    free(self);
    *self_p = NULL;
}

const bc_registry_t *hub_store_registry(const hub_store_t *self)
{
    return self->reg;
}

uint64_t hub_store_last_seq(hub_store_t *self)
{
    return __atomic_load_n(&self->last_seq, __ATOMIC_ACQUIRE);
}

static const bc_unit_t *unit_by_sid(const hub_store_t *s, uint32_t sid)
{
    if (sid >= s->nusid || !s->usid_idx[sid])
        return NULL;
    return bc_registry_unit(s->reg, s->usid_idx[sid] - 1);
}

static int rebuild_rollups(hub_store_t *s, MDB_txn *txn)
{
    int mrc, rc = BC_OK;
    if ((mrc = mdb_drop(txn, s->dbi[DB_AGG], 0))
        || (mrc = mdb_drop(txn, s->dbi[DB_CARRY], 0))
        || (mrc = mdb_drop(txn, s->dbi[DB_PLAN_EFF], 0)))
        return map_err(mrc);
    build_sid_tables(s);
    /* Totals from every current report; the cache holds one aggregate per
     * (ancestor, period), which is small next to the reports themselves. */
    agg_cache_t cache, carry;
    cache_init(&cache, 1024, DB_AGG);
    cache_init(&carry, 1024, DB_CARRY);
    MDB_cursor *cur;
    MDB_val k, v;
    if ((mrc = mdb_cursor_open(txn, s->dbi[DB_CUR], &cur))) {
        rc = map_err(mrc);
        goto out_cache;
    }
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        const bc_unit_t *u = unit_by_sid(s, key_unit(&k));
        if (!u)
            continue;   /* a unit no longer in the registry: kept, unrolled */
        size_t n;
        bc_arena_reset(s->arena);
        hub_val_t *vals = cur_values(&v, s->arena, &n);
        rc = rollup(s, txn, &cache, u, key_period(&k), NULL, 0, vals, n);
        if (!rc)
            rc = carry_rebuild_one(s, txn, &carry, u, key_period(&k), vals,
                                   n);
        if (rc)
            break;
    }
    mdb_cursor_close(cur);
    if (rc == BC_OK)
        rc = cache_flush(s, txn, &cache);
    if (rc == BC_OK)
        rc = cache_flush(s, txn, &carry);
    if (rc)
        goto out_cache;
    /* Effective targets: refresh every (unit, year) that has own targets;
     * refresh_plan walks up to the root. */
    if ((mrc = mdb_cursor_open(txn, s->dbi[DB_PLAN], &cur))) {
        rc = map_err(mrc);
        goto out_cache;
    }
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0 && !rc;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        const bc_unit_t *u = unit_by_sid(s, key_unit(&k));
        if (u)
            rc = refresh_plan(s, txn, u, key_period(&k));
    }
    mdb_cursor_close(cur);
out_cache:
    cache_free(&cache);
    cache_free(&carry);
    return rc;
}

/* --- ingest -------------------------------------------------------------- */

static int log_append(hub_store_t *s, MDB_txn *txn, hub_item_t *it,
                      int64_t now_us, uint32_t outcome)
{
    if (it->received_at)
        now_us = it->received_at;
    uint64_t seq = s->last_seq + 1;
    const char *peer = it->peer ? it->peer : "";
    size_t peer_len = strlen(peer);
    log_hdr_t h = {now_us, {0}, outcome, (uint32_t) it->reason,
                   (uint32_t) peer_len, (uint32_t) it->raw_len};
    if (!it->has_digest) {
        hub_request_digest(it->raw, it->raw_len, it->req_digest);
        it->has_digest = true;
    }
    hub_log_hash(s->last_hash, seq, now_us, peer, peer_len, outcome,
                 (uint32_t) it->reason, it->req_digest, h.hash);
    uint8_t kb[8];
    put_be64(kb, seq);
    MDB_val k = {8, kb};
    MDB_val v = {sizeof h + peer_len + it->raw_len, NULL};
    int mrc = mdb_put(txn, s->dbi[DB_LOG], &k, &v, MDB_APPEND | MDB_RESERVE);
    if (mrc)
        return map_err(mrc);
    memcpy(v.mv_data, &h, sizeof h);
    memcpy((uint8_t *) v.mv_data + sizeof h, peer, peer_len);
    if (it->raw_len)
        memcpy((uint8_t *) v.mv_data + sizeof h + peer_len, it->raw,
               it->raw_len);
    /* Atomic: the server's loop reads it while the writer thread writes. */
    __atomic_store_n(&s->last_seq, seq, __ATOMIC_RELEASE);
    memcpy(s->last_hash, h.hash, 32);
    it->seq = seq;
    return BC_OK;
}

/* Second half of ingest_one: the item is new and its revision number is
 * free; old (may be NULL) is the current revision and old_vals its values. */
static int ingest_decided(hub_store_t *s, MDB_txn *txn, agg_cache_t *caches,
                          hub_item_t *it, int64_t now_us, MDB_val *ck,
                          const cur_hdr_t *oldp, const hub_val_t *old_vals,
                          size_t nold)
{
    int mrc, rc;
    MDB_val v;
    bool have_old = oldp != NULL;
    cur_hdr_t old = have_old ? *oldp : (cur_hdr_t){0};
    bool current = !have_old || it->revision > old.revision;
    uint32_t outcome = current ? BAOCAO__OUTCOME__OUTCOME_STORED
                               : BAOCAO__OUTCOME__OUTCOME_SUPERSEDED;
    it->status = current ? BAOCAO__ACK_STATUS__ACK_STORED
                         : BAOCAO__ACK_STATUS__ACK_SUPERSEDED;
    it->reason = BAOCAO__REJECT_REASON__REASON_NONE;
    if ((rc = log_append(s, txn, it, now_us, outcome)))
        return rc;

    cur_hdr_t h = old;
    const hub_val_t *vals = old_vals;
    size_t nvals = nold;
    if (current) {
        if ((rc = rollup(s, txn, &caches[0], it->unit, it->period, old_vals,
                         nold, it->vals, it->nvals))
            || (rc = carry_update(s, txn, &caches[1], it->unit, it->period,
                                  old_vals, nold, it->vals, it->nvals)))
            return rc;
        h.revision = it->revision;
        h.seq = it->seq;
        h.filed_at = it->filed_at;
        h.received_at = now_us;
        vals = it->vals;
        nvals = it->nvals;
        it->current_revision = it->revision;
    } else {
        /* An original overtaken by its correction: on record, not current. */
        it->current_revision = old.revision;
    }
    /* The earliest filing of any revision decides timeliness, whichever
     * order the revisions arrive in. */
    if (!have_old || it->filed_at < old.first_filed_at) {
        h.first_filed_at = it->filed_at;
        h.first_received_at = now_us;
    } else if (!current) {
        return BC_OK;   /* nothing in cur changes */
    }
    uint8_t *packed = bc_arena_alloc(s->arena, PACKED_MAX(nvals) + 1);
    size_t plen = pack_vals(vals, nvals, packed);
    h.nvals = (uint32_t) nvals;
    v = (MDB_val){sizeof h + plen, NULL};
    if ((mrc = mdb_put(txn, s->dbi[DB_CUR], ck, &v, MDB_RESERVE)))
        return map_err(mrc);
    memcpy(v.mv_data, &h, sizeof h);
    memcpy((uint8_t *) v.mv_data + sizeof h, packed, plen);
    return BC_OK;
}

/* Decides and writes one valid item. caches[0] holds the subtree totals
 * touched by the batch, caches[1] the carried stocks. */
static int ingest_one(hub_store_t *s, MDB_txn *txn, agg_cache_t *caches,
                      hub_item_t *it, int64_t now_us)
{
    int mrc, rc;
    MDB_val k, v;

    /* Resend of a known id: answer as before, change nothing but the log. */
    k = (MDB_val){16, (void *) it->id};
    mrc = mdb_get(txn, s->dbi[DB_SUBS], &k, &v);
    if (mrc == 0) {
        sub_rec_t prev;
        memcpy(&prev, v.mv_data, sizeof prev);
        it->status = BAOCAO__ACK_STATUS__ACK_DUPLICATE;
        it->reason = BAOCAO__REJECT_REASON__REASON_NONE;
        uint8_t cb[8];
        MDB_val ck = key_up(cb, prev.unit_sid, prev.period), cv;
        if (mdb_get(txn, s->dbi[DB_CUR], &ck, &cv) == 0) {
            cur_hdr_t ch;
            memcpy(&ch, cv.mv_data, sizeof ch);
            it->current_revision = ch.revision;
        }
        rc = log_append(s, txn, it, now_us, BAOCAO__OUTCOME__OUTCOME_DUPLICATE);
        it->seq = prev.seq;   /* the ack names where the original went */
        return rc;
    }
    if (mrc != MDB_NOTFOUND)
        return map_err(mrc);

    /* A revision number already taken by another submission id. */
    uint8_t rb[12];
    k = key_rev(rb, it->unit->sid, it->period, it->revision);
    mrc = mdb_get(txn, s->dbi[DB_REVS], &k, &v);
    if (mrc == 0) {
        it->status = BAOCAO__ACK_STATUS__ACK_REJECTED;
        it->reason = BAOCAO__REJECT_REASON__REASON_BAD_REVISION;
        snprintf(it->message, sizeof it->message, "revision %u of %s is "
                 "already taken by another submission; a correction needs a "
                 "new revision number", it->revision, it->unit->code);
        return log_append(s, txn, it, now_us,
                          BAOCAO__OUTCOME__OUTCOME_REJECTED);
    }
    if (mrc != MDB_NOTFOUND)
        return map_err(mrc);

    /* Current revision of (unit, period), if any. */
    uint8_t cb[8];
    MDB_val ck = key_up(cb, it->unit->sid, it->period), cv;
    cur_hdr_t old = {0};
    hub_val_t *old_vals = NULL;   /* in the arena, decoded from the log */
    size_t nold = 0;
    mrc = mdb_get(txn, s->dbi[DB_CUR], &ck, &cv);
    bool have_old = mrc == 0;
    if (have_old) {
        memcpy(&old, cv.mv_data, sizeof old);
        old_vals = cur_values(&cv, s->arena, &nold);
    } else if (mrc != MDB_NOTFOUND) {
        return map_err(mrc);
    }
    rc = ingest_decided(s, txn, caches, it, now_us, &ck, have_old ? &old : NULL,
                        old_vals, nold);
    if (rc)
        return rc;
    rev_rec_t rr = {it->seq, it->filed_at, now_us, {0}};
    memcpy(rr.id, it->id, 16);
    k = key_rev(rb, it->unit->sid, it->period, it->revision);
    v = (MDB_val){sizeof rr, &rr};
    if ((mrc = mdb_put(txn, s->dbi[DB_REVS], &k, &v, 0)))
        return map_err(mrc);
    uint32_t outcome = it->status == BAOCAO__ACK_STATUS__ACK_STORED
                           ? BAOCAO__OUTCOME__OUTCOME_STORED
                           : BAOCAO__OUTCOME__OUTCOME_SUPERSEDED;
    sub_rec_t sr = {it->seq, it->unit->sid, it->period, it->revision, outcome};
    k = (MDB_val){16, (void *) it->id};
    v = (MDB_val){sizeof sr, &sr};
    if ((mrc = mdb_put(txn, s->dbi[DB_SUBS], &k, &v, MDB_NOOVERWRITE)))
        return map_err(mrc);
    return BC_OK;
}

int hub_store_ingest(hub_store_t *self, hub_item_t *items, size_t n,
                     int64_t now_us)
{
    MDB_txn *txn;
    agg_cache_t cache[2];
    uint64_t seq0 = self->last_seq;
    uint8_t hash0[32];
    memcpy(hash0, self->last_hash, 32);
    int rc, mrc = mdb_txn_begin(self->env, NULL, 0, &txn);
    if (mrc)
        return map_err(mrc);
    cache_init(&cache[0], n * 3, DB_AGG);
    cache_init(&cache[1], n, DB_CARRY);
    bc_arena_reset(self->arena);
    for (size_t i = 0; i < n; i++) {
        hub_item_t *it = &items[i];
        int64_t t = it->received_at ? it->received_at : now_us;
        it->seq = 0;
        it->current_revision = 0;
        if (it->reject != BAOCAO__REJECT_REASON__REASON_NONE) {
            it->status = BAOCAO__ACK_STATUS__ACK_REJECTED;
            it->reason = it->reject;
            rc = log_append(self, txn, it, t,
                            BAOCAO__OUTCOME__OUTCOME_REJECTED);
        } else {
            rc = ingest_one(self, txn, cache, it, t);
        }
        if (rc)
            goto out_abort;
    }
    if ((rc = cache_flush(self, txn, &cache[0]))
        || (rc = cache_flush(self, txn, &cache[1])))
        goto out_abort;
    cache_free(&cache[0]);
    cache_free(&cache[1]);
    /* The commit is the durability point: only after it returns may any of
     * these items be acknowledged. */
    if ((mrc = mdb_txn_commit(txn))) {
        rc = map_err(mrc);
        goto out_undo;
    }
    return BC_OK;

out_abort:
    mdb_txn_abort(txn);
    cache_free(&cache[0]);
    cache_free(&cache[1]);
out_undo:
    __atomic_store_n(&self->last_seq, seq0, __ATOMIC_RELEASE);
    memcpy(self->last_hash, hash0, 32);
    for (size_t i = 0; i < n; i++) {
        items[i].status = BAOCAO__ACK_STATUS__ACK_RETRY_LATER;
        items[i].reason = rc == BC_EFULL ? BAOCAO__REJECT_REASON__REASON_STORE_FULL
                                         : BAOCAO__REJECT_REASON__REASON_INTERNAL;
        items[i].seq = 0;
    }
    return rc;
}

/* --- plans --------------------------------------------------------------- */

/* Loads a value array record (plan or plan_eff) into a dense sid array. */
static int load_sid_values(hub_store_t *s, MDB_txn *txn, int db,
                           uint32_t unit_sid, uint32_t year, int64_t *val,
                           bool *has)
{
    uint8_t kb[8];
    MDB_val k = key_up(kb, unit_sid, year), v;
    int mrc = mdb_get(txn, s->dbi[db], &k, &v);
    if (mrc == MDB_NOTFOUND)
        return BC_OK;
    if (mrc)
        return map_err(mrc);
    size_t n = v.mv_size / sizeof(hub_val_t);
    for (size_t i = 0; i < n; i++) {
        hub_val_t hv;
        memcpy(&hv, (uint8_t *) v.mv_data + i * sizeof hv, sizeof hv);
        if (hv.sid < s->nsid) {
            val[hv.sid] = hv.value;
            has[hv.sid] = true;
        }
    }
    return BC_OK;
}

static int store_sid_values(hub_store_t *s, MDB_txn *txn, int db,
                            uint32_t unit_sid, uint32_t year,
                            const int64_t *val, const bool *has)
{
    hub_val_t *arr = bc_malloc(s->nsid * sizeof *arr);
    size_t n = 0;
    for (uint32_t sid = 0; sid < s->nsid; sid++)
        if (has[sid])
            arr[n++] = (hub_val_t){sid, 1, val[sid]};
    uint8_t kb[8];
    MDB_val k = key_up(kb, unit_sid, year), v = {n * sizeof *arr, arr};
    int mrc = n ? mdb_put(txn, s->dbi[db], &k, &v, 0)
                : mdb_del(txn, s->dbi[db], &k, NULL);
    free(arr);
    return mrc == MDB_NOTFOUND ? BC_OK : map_err(mrc);
}

/* Effective target of `unit` = own target where set, else the sum of its
 * children's effective targets; then the same for each ancestor. */
static int refresh_plan(hub_store_t *s, MDB_txn *txn, const bc_unit_t *unit,
                        unsigned year)
{
    int rc = BC_OK;
    int64_t *val = bc_malloc(s->nsid * sizeof *val);
    int64_t *cval = bc_malloc(s->nsid * sizeof *cval);
    bool *has = bc_malloc(s->nsid * sizeof *has);
    bool *chas = bc_malloc(s->nsid * sizeof *chas);
    for (const bc_unit_t *u = unit; u;
         u = u->parent >= 0 ? bc_registry_unit(s->reg, (uint32_t) u->parent)
                            : NULL) {
        memset(val, 0, s->nsid * sizeof *val);
        memset(has, 0, s->nsid * sizeof *has);
        for (uint32_t c = 0; c < u->nchildren; c++) {
            const bc_unit_t *child = bc_registry_unit(s->reg, u->children[c]);
            memset(chas, 0, s->nsid * sizeof *chas);
            if ((rc = load_sid_values(s, txn, DB_PLAN_EFF, child->sid, year,
                                      cval, chas)))
                goto out;
            for (uint32_t i = 0; i < s->nsid; i++)
                if (chas[i]) {
                    val[i] += cval[i];
                    has[i] = true;
                }
        }
        /* Own targets win over the children's sum. */
        if ((rc = load_sid_values(s, txn, DB_PLAN, u->sid, year, val, has)))
            goto out;
        if ((rc = store_sid_values(s, txn, DB_PLAN_EFF, u->sid, year, val,
                                   has)))
            goto out;
    }
out:
    free(val);
    free(cval);
    free(has);
    free(chas);
    return rc;
}

int hub_store_set_plan(hub_store_t *self, const bc_unit_t *unit,
                       unsigned year, const hub_val_t *vals, size_t n)
{
    MDB_txn *txn;
    int mrc = mdb_txn_begin(self->env, NULL, 0, &txn), rc;
    if (mrc)
        return map_err(mrc);
    int64_t *val = bc_calloc(self->nsid, sizeof *val);
    bool *has = bc_calloc(self->nsid, sizeof *has);
    if ((rc = load_sid_values(self, txn, DB_PLAN, unit->sid, year, val, has)))
        goto out_abort;
    for (size_t i = 0; i < n; i++)
        if (vals[i].sid < self->nsid) {
            val[vals[i].sid] = vals[i].value;
            has[vals[i].sid] = true;
        }
    if ((rc = store_sid_values(self, txn, DB_PLAN, unit->sid, year, val, has))
        || (rc = refresh_plan(self, txn, unit, year)))
        goto out_abort;
    free(val);
    free(has);
    return map_err(mdb_txn_commit(txn));

out_abort:
    free(val);
    free(has);
    mdb_txn_abort(txn);
    return rc;
}

/* --- reading ------------------------------------------------------------- */

hub_reader_t *hub_store_reader(hub_store_t *self)
{
    hub_reader_t *r = bc_calloc(1, sizeof *r);
    r->store = self;
    int mrc = mdb_txn_begin(self->env, NULL, MDB_RDONLY, &r->txn);
    if (mrc) {
        BC_ERROR("cannot begin a read transaction: %s", mdb_strerror(mrc));
        free(r);
        return NULL;
    }
    r->arena = bc_arena_new(64 << 10);
    return r;
}

void hub_reader_destroy(hub_reader_t **self_p)
{
    hub_reader_t *self = *self_p;
    if (!self)
        return;
    mdb_txn_abort(self->txn);
    bc_arena_destroy(&self->arena);
    free(self);
    *self_p = NULL;
}

void hub_figures_init(hub_figures_t *f, size_t n)
{
    f->n = n;
    f->value = bc_calloc(n, sizeof *f->value);
    f->count = bc_calloc(n, sizeof *f->count);
    f->reporters = 0;
}

void hub_figures_clear(hub_figures_t *f)
{
    memset(f->value, 0, f->n * sizeof *f->value);
    memset(f->count, 0, f->n * sizeof *f->count);
    f->reporters = 0;
}

void hub_figures_free(hub_figures_t *f)
{
    bc_free(&f->value);
    bc_free(&f->count);
}

/* Copies a record's values (sid-indexed) into dense idx-indexed figures. */
static void spread(const hub_store_t *s, const uint8_t *p, size_t n,
                   hub_figures_t *out)
{
    for (size_t i = 0; i < n; i++) {
        hub_val_t hv;
        memcpy(&hv, p + i * sizeof hv, sizeof hv);
        int32_t idx = hv.sid < s->nsid ? s->sid_idx[hv.sid] : -1;
        if (idx >= 0 && (size_t) idx < out->n) {
            out->value[idx] = hv.value;
            out->count[idx] = hv.count;
        }
    }
}

/* The figures behind a cur or agg record: in the agg page itself, or
 * unpacked from a cur record into the reader's arena (which the caller
 * resets). */
static int record_values(hub_reader_t *r, int db, const MDB_val *v,
                         const uint8_t **vals, size_t *n, uint32_t *reporters)
{
    if (db == DB_AGG) {
        agg_hdr_t h;
        memcpy(&h, v->mv_data, sizeof h);
        *vals = (const uint8_t *) v->mv_data + sizeof h;
        *n = h.nvals;
        *reporters = h.reporters;
        return BC_OK;
    }
    *vals = (const uint8_t *) cur_values(v, r->arena, n);
    *reporters = 1;
    return BC_OK;
}

/* Reads the record for (unit, period) from cur or agg into out; sets
 * *found. */
static int read_record(hub_reader_t *r, const bc_unit_t *unit, uint32_t period,
                       hub_figures_t *out, bool *found)
{
    hub_store_t *s = r->store;
    uint8_t kb[8];
    MDB_val k = key_up(kb, unit->sid, period), v;
    int db = unit->nchildren ? DB_AGG : DB_CUR;
    int mrc = mdb_get(r->txn, s->dbi[db], &k, &v);
    hub_figures_clear(out);
    *found = false;
    if (mrc == MDB_NOTFOUND)
        return BC_OK;
    if (mrc)
        return map_err(mrc);
    *found = true;
    const uint8_t *vals;
    size_t n;
    bc_arena_reset(r->arena);
    int rc = record_values(r, db, &v, &vals, &n, &out->reporters);
    if (rc == BC_OK)
        spread(s, vals, n, out);
    return rc;
}

int hub_reader_figures(hub_reader_t *self, const bc_unit_t *unit,
                       bc_period_t period, hub_figures_t *out)
{
    bool found;
    return read_record(self, unit, period, out, &found);
}

int hub_reader_months(hub_reader_t *self, const bc_unit_t *unit,
                      unsigned year, unsigned first, unsigned last,
                      hub_figures_t *out)
{
    hub_store_t *s = self->store;
    hub_figures_clear(out);
    if (first < 1 || last > 12 || first > last)
        return BC_OK;
    int db = unit->nchildren ? DB_AGG : DB_CUR;
    const bc_registry_t *reg = s->reg;
    /* At most twelve point lookups, oldest month first so that a stock
     * ends on its last value. */
    for (unsigned m = first; m <= last; m++) {
        uint8_t kb[8];
        MDB_val k = key_up(kb, unit->sid,
                           bc_period_make(year, BC_PT_MONTH, m)), v;
        int mrc = mdb_get(self->txn, s->dbi[db], &k, &v);
        if (mrc == MDB_NOTFOUND)
            continue;
        if (mrc)
            return map_err(mrc);
        const uint8_t *p;
        size_t n;
        uint32_t reporters;
        bc_arena_reset(self->arena);
        int rc = record_values(self, db, &v, &p, &n, &reporters);
        if (rc)
            return rc;
        if (reporters > out->reporters)
            out->reporters = reporters;
        for (size_t i = 0; i < n; i++) {
            hub_val_t hv;
            memcpy(&hv, p + i * sizeof hv, sizeof hv);
            int32_t idx = hv.sid < s->nsid ? s->sid_idx[hv.sid] : -1;
            if (idx < 0 || (size_t) idx >= out->n)
                continue;
            if (bc_registry_indicator(reg, (uint32_t) idx)->kind
                == BC_KIND_STOCK) {
                /* A stock's figure over months is its last value. */
                out->value[idx] = hv.value;
                out->count[idx] = hv.count;
            } else {
                out->value[idx] += hv.value;
                if (hv.count > out->count[idx])
                    out->count[idx] = hv.count;
            }
        }
    }
    return BC_OK;
}

int hub_reader_carried(hub_reader_t *self, const bc_unit_t *unit,
                       unsigned year, unsigned month, hub_figures_t *out)
{
    hub_store_t *s = self->store;
    uint8_t kb[8];
    MDB_val k = key_up(kb, unit->sid,
                       bc_period_make(year, BC_PT_MONTH, month)), v;
    hub_figures_clear(out);
    int mrc = mdb_get(self->txn, s->dbi[DB_CARRY], &k, &v);
    if (mrc == MDB_NOTFOUND)
        return BC_OK;
    if (mrc)
        return map_err(mrc);
    agg_hdr_t h;
    memcpy(&h, v.mv_data, sizeof h);
    spread(s, (uint8_t *) v.mv_data + sizeof h, h.nvals, out);
    return BC_OK;
}

int hub_reader_targets(hub_reader_t *self, const bc_unit_t *unit,
                       unsigned year, hub_figures_t *out)
{
    hub_store_t *s = self->store;
    uint8_t kb[8];
    MDB_val k = key_up(kb, unit->sid, year), v;
    hub_figures_clear(out);
    int mrc = mdb_get(self->txn, s->dbi[DB_PLAN_EFF], &k, &v);
    if (mrc == MDB_NOTFOUND)
        return BC_OK;
    if (mrc)
        return map_err(mrc);
    spread(s, v.mv_data, v.mv_size / sizeof(hub_val_t), out);
    return BC_OK;
}

int hub_reader_report(hub_reader_t *self, const bc_unit_t *unit,
                      bc_period_t period, hub_report_info_t *out)
{
    uint8_t kb[8];
    MDB_val k = key_up(kb, unit->sid, period), v;
    memset(out, 0, sizeof *out);
    int mrc = mdb_get(self->txn, self->store->dbi[DB_CUR], &k, &v);
    if (mrc == MDB_NOTFOUND)
        return BC_OK;
    if (mrc)
        return map_err(mrc);
    cur_hdr_t h;
    memcpy(&h, v.mv_data, sizeof h);
    out->present = true;
    out->revision = h.revision;
    out->filed_at = h.filed_at;
    out->first_filed_at = h.first_filed_at;
    out->first_received_at = h.first_received_at;
    out->seq = h.seq;
    return BC_OK;
}

int hub_reader_log(hub_reader_t *self, uint64_t from, hub_log_fn fn, void *arg)
{
    MDB_cursor *cur;
    int mrc = mdb_cursor_open(self->txn, self->store->dbi[DB_LOG], &cur);
    if (mrc)
        return map_err(mrc);
    uint8_t kb[8];
    put_be64(kb, from);
    MDB_val k = {8, kb}, v;
    uint8_t prev[32] = {0};
    /* The entry before `from` holds its prev_hash. */
    if (from > 1) {
        uint8_t pb[8];
        put_be64(pb, from - 1);
        MDB_val pk = {8, pb}, pv;
        if (mdb_get(self->txn, self->store->dbi[DB_LOG], &pk, &pv) == 0) {
            log_hdr_t h;
            memcpy(&h, pv.mv_data, sizeof h);
            memcpy(prev, h.hash, 32);
        }
    }
    int rc = BC_OK;
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); mrc == 0;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        log_hdr_t h;
        memcpy(&h, v.mv_data, sizeof h);
        hub_log_entry_t e;
        e.seq = get_be64(k.mv_data);
        e.received_at = h.received_at;
        e.peer = (const char *) v.mv_data + sizeof h;
        e.peer_len = h.peer_len;
        e.outcome = h.outcome;
        e.reason = h.reason;
        e.request = (const uint8_t *) v.mv_data + sizeof h + h.peer_len;
        e.request_len = h.req_len;
        memcpy(e.prev_hash, prev, 32);
        memcpy(e.hash, h.hash, 32);
        memcpy(prev, h.hash, 32);
        if (fn(arg, &e))
            break;
    }
    mdb_cursor_close(cur);
    if (mrc != 0 && mrc != MDB_NOTFOUND)
        rc = map_err(mrc);
    return rc;
}

/* --- read-only access for the audit tools -------------------------------- */

hub_store_t *hub_store_open_readonly(const char *dir, char *err,
                                     size_t errlen)
{
    hub_store_t *self = bc_calloc(1, sizeof *self);
    MDB_txn *txn = NULL;
    int mrc;
    struct stat st;
    if (stat(dir, &st) != 0) {
        snprintf(err, errlen, "no store at %s: %s", dir, strerror(errno));
        goto out_free;
    }
    if ((mrc = mdb_env_create(&self->env)))
        goto out_mdb;
    mdb_env_set_maxdbs(self->env, DB_COUNT);
    if ((mrc = mdb_env_open(self->env, dir, MDB_RDONLY | MDB_NOTLS, 0640))) {
        mdb_env_close(self->env);
        goto out_mdb;
    }
    if ((mrc = mdb_txn_begin(self->env, NULL, MDB_RDONLY, &txn)))
        goto out_close;
    for (int i = 0; i < DB_COUNT; i++)
        if ((mrc = mdb_dbi_open(txn, db_names[i], 0, &self->dbi[i])))
            goto out_close;
    if ((mrc = read_log_tail(self, txn)))
        goto out_close;
    /* Commit, not abort: handles opened in an aborted transaction close. */
    if ((mrc = mdb_txn_commit(txn))) {
        txn = NULL;
        goto out_close;
    }
    return self;

out_close:
    if (txn)
        mdb_txn_abort(txn);
    mdb_env_close(self->env);
out_mdb:
    snprintf(err, errlen, "cannot open the store in %s: %s", dir,
             mrc == MDB_NOTFOUND ? "not a baocao hub store" : mdb_strerror(mrc));
out_free:
    free(self);
    return NULL;
}

static int unit_sid_of(hub_reader_t *r, const char *code, uint32_t *sid)
{
    MDB_val k = {strlen(code), (void *) code}, v;
    int mrc = mdb_get(r->txn, r->store->dbi[DB_UNIT_IDS], &k, &v);
    if (mrc == MDB_NOTFOUND)
        return BC_ENOTFOUND;
    if (mrc)
        return map_err(mrc);
    memcpy(sid, v.mv_data, 4);
    return BC_OK;
}

static int revisions_sid(hub_reader_t *self, uint32_t sid, bc_period_t period,
                         hub_revision_fn fn, void *arg)
{
    MDB_cursor *cur;
    int mrc = mdb_cursor_open(self->txn, self->store->dbi[DB_REVS], &cur);
    if (mrc)
        return map_err(mrc);
    uint8_t kb[12];
    MDB_val k = key_rev(kb, sid, period, 0), v;
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); mrc == 0;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 12 || key_unit(&k) != sid || key_period(&k) != period)
            break;
        rev_rec_t rr;
        memcpy(&rr, v.mv_data, sizeof rr);
        fn(arg, get_be32((uint8_t *) k.mv_data + 8), rr.seq, rr.filed_at,
           rr.received_at);
    }
    mdb_cursor_close(cur);
    return mrc == 0 || mrc == MDB_NOTFOUND ? BC_OK : map_err(mrc);
}

int hub_reader_revisions_code(hub_reader_t *self, const char *unit,
                              bc_period_t period, hub_revision_fn fn,
                              void *arg)
{
    uint32_t sid;
    int rc = unit_sid_of(self, unit, &sid);
    return rc ? rc : revisions_sid(self, sid, period, fn, arg);
}

uint32_t hub_reader_current_revision(hub_reader_t *self, const char *unit,
                                     bc_period_t period)
{
    uint32_t sid;
    if (unit_sid_of(self, unit, &sid))
        return 0;
    uint8_t kb[8];
    MDB_val k = key_up(kb, sid, period), v;
    if (mdb_get(self->txn, self->store->dbi[DB_CUR], &k, &v) != 0)
        return 0;
    cur_hdr_t h;
    memcpy(&h, v.mv_data, sizeof h);
    return h.revision;
}

int hub_reader_log_entry(hub_reader_t *self, uint64_t seq,
                         hub_log_entry_t *out)
{
    uint8_t kb[8];
    put_be64(kb, seq);
    MDB_val k = {8, kb}, v;
    int mrc = mdb_get(self->txn, self->store->dbi[DB_LOG], &k, &v);
    if (mrc == MDB_NOTFOUND)
        return BC_ENOTFOUND;
    if (mrc)
        return map_err(mrc);
    log_hdr_t h;
    memcpy(&h, v.mv_data, sizeof h);
    out->seq = seq;
    out->received_at = h.received_at;
    out->peer = (const char *) v.mv_data + sizeof h;
    out->peer_len = h.peer_len;
    out->outcome = h.outcome;
    out->reason = h.reason;
    out->request = (const uint8_t *) v.mv_data + sizeof h + h.peer_len;
    out->request_len = h.req_len;
    memset(out->prev_hash, 0, 32);
    memcpy(out->hash, h.hash, 32);
    return BC_OK;
}

/* sid -> code table read from an ids database. */
typedef struct {
    char **code;               /* code by sid, NULL where unused */
    uint32_t n;                /* length */
} code_table_t;

static int load_codes(hub_reader_t *r, int db, code_table_t *t)
{
    MDB_cursor *cur;
    MDB_val k, v;
    t->n = 0;
    t->code = NULL;
    int mrc = mdb_cursor_open(r->txn, r->store->dbi[db], &cur);
    if (mrc)
        return map_err(mrc);
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        uint32_t sid;
        memcpy(&sid, v.mv_data, 4);
        if (sid >= t->n) {
            uint32_t n = sid + 64;
            t->code = bc_realloc(t->code, n * sizeof *t->code);
            memset(t->code + t->n, 0, (n - t->n) * sizeof *t->code);
            t->n = n;
        }
        t->code[sid] = bc_strndup(k.mv_data, k.mv_size);
    }
    mdb_cursor_close(cur);
    return BC_OK;
}

static void free_codes(code_table_t *t)
{
    for (uint32_t i = 0; i < t->n; i++)
        free(t->code[i]);
    free(t->code);
}

typedef struct {
    const char *unit;          /* unit code */
    uint32_t period;           /* period */
    const uint8_t *rec;        /* cur record in the snapshot */
} digest_row_t;

static int cmp_row(const void *a, const void *b)
{
    const digest_row_t *x = a, *y = b;
    int c = strcmp(x->unit, y->unit);
    return c ? c : (x->period > y->period) - (x->period < y->period);
}

typedef struct {
    const char *code;          /* indicator code */
    int64_t value;             /* figure */
} digest_val_t;

static int cmp_val(const void *a, const void *b)
{
    return strcmp(((const digest_val_t *) a)->code,
                  ((const digest_val_t *) b)->code);
}

int hub_reader_digest(hub_reader_t *self, uint8_t out[32], uint64_t *reports)
{
    code_table_t units;
    int rc = load_codes(self, DB_UNIT_IDS, &units);
    if (rc)
        return rc;
    size_t cap = 1024, n = 0;
    digest_row_t *rows = bc_malloc(cap * sizeof *rows);
    MDB_cursor *cur;
    MDB_val k, v;
    int mrc = mdb_cursor_open(self->txn, self->store->dbi[DB_CUR], &cur);
    if (mrc) {
        rc = map_err(mrc);
        goto out_free;
    }
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        uint32_t sid = key_unit(&k);
        if (n == cap)
            rows = bc_realloc(rows, (cap *= 2) * sizeof *rows);
        rows[n++] = (digest_row_t){
            sid < units.n && units.code[sid] ? units.code[sid] : "?",
            key_period(&k), v.mv_data};
    }
    mdb_cursor_close(cur);
    qsort(rows, n, sizeof *rows, cmp_row);
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    for (size_t i = 0; i < n; i++) {
        cur_hdr_t h;
        memcpy(&h, rows[i].rec, sizeof h);
        /* Figures as received, by indicator code: independent of store
         * ids and of the catalogue the store was opened with. */
        bc_arena_reset(self->arena);
        const Baocao__Submission *sub =
            logged_submission(self->store, self->txn, h.seq, self->arena);
        size_t nv = sub ? sub->n_values : 0;
        digest_val_t *vals = bc_malloc((nv ? nv : 1) * sizeof *vals);
        for (size_t j = 0; j < nv; j++) {
            vals[j].code = sub->values[j]->indicator;
            vals[j].value = sub->values[j]->count;
        }
        qsort(vals, nv, sizeof *vals, cmp_val);
        /* A line per report: "unit period revision code=value ...\n". */
        char line[128];
        int len = snprintf(line, sizeof line, "%s %u %u", rows[i].unit,
                           rows[i].period, h.revision);
        crypto_hash_sha256_update(&st, (uint8_t *) line, (size_t) len);
        for (size_t j = 0; j < nv; j++) {
            len = snprintf(line, sizeof line, " %s=%lld", vals[j].code,
                           (long long) vals[j].value);
            crypto_hash_sha256_update(&st, (uint8_t *) line, (size_t) len);
        }
        crypto_hash_sha256_update(&st, (const uint8_t *) "\n", 1);
        free(vals);
    }
    crypto_hash_sha256_final(&st, out);
    *reports = n;
out_free:
    free(rows);
    free_codes(&units);
    return rc;
}
