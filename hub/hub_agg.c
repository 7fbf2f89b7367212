/*
 * hub_agg.c -- aggregate records and their batch cache (see hub_agg.h).
 */
#include "hub_agg.h"
#include "hub_history.h"
#include "hub_env.h"
#include "bc_error.h"
#include "bc_limits.h"
#include "bc_mem.h"

#include <stdlib.h>
#include <string.h>

/* --- value arrays -------------------------------------------------------- */

/* Applies (dv, dc) to the entry of sid, whose place (the first entry of
 * sid or above) is lo; returns lo moved past it when it stays. */
static int apply_at(hub_agg_t *a, uint32_t lo, uint32_t sid, int64_t dv,
                    int32_t dc, uint32_t *next)
{
    a->dirty = true;
    *next = lo;
    if (lo < a->n && a->vals[lo].sid == sid) {
        if (bc_add_checked(a->vals[lo].value, dv, &a->vals[lo].value))
            return BC_ERANGE;
        a->vals[lo].count = (uint32_t) ((int64_t) a->vals[lo].count + dc);
        if (a->vals[lo].count == 0) {
            memmove(&a->vals[lo], &a->vals[lo + 1],
                    (a->n - lo - 1) * sizeof(hub_val_t));
            a->n--;
        } else {
            *next = lo + 1;
        }
        return BC_OK;
    }
    if (dc <= 0)
        return BC_OK;   /* removing what was never there: nothing to do */
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 16;
        a->vals = bc_realloc(a->vals, a->cap * sizeof(hub_val_t));
    }
    memmove(&a->vals[lo + 1], &a->vals[lo], (a->n - lo) * sizeof(hub_val_t));
    a->vals[lo] = (hub_val_t){sid, (uint32_t) dc, dv};
    a->n++;
    *next = lo + 1;
    return BC_OK;
}

/* The first entry of a->vals[lo..] whose sid is sid or above. */
static uint32_t lower_bound(const hub_agg_t *a, uint32_t lo, uint32_t sid)
{
    uint32_t hi = a->n;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (a->vals[mid].sid < sid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int hub_agg_apply(hub_agg_t *a, uint32_t sid, int64_t dv, int32_t dc)
{
    uint32_t next;
    return apply_at(a, lower_bound(a, 0, sid), sid, dv, dc, &next);
}

int hub_agg_apply_from(hub_agg_t *a, uint32_t *hint, uint32_t sid,
                       int64_t dv, int32_t dc)
{
    /* The hint holds only if every entry before it is below sid (sids in
     * increasing order since it was set); otherwise search it all. */
    uint32_t lo = *hint;
    if (lo > a->n || (lo > 0 && a->vals[lo - 1].sid >= sid))
        lo = 0;
    /* Usually the next entry is sid itself (an aggregate holds the same
     * indicators as the reports that made it): look there first. */
    if (!(lo < a->n && a->vals[lo].sid >= sid))
        lo = lo + 1 < a->n && a->vals[lo + 1].sid >= sid
                 ? lo + 1 : lower_bound(a, lo, sid);
    return apply_at(a, lo, sid, dv, dc, hint);
}

void hub_agg_cache_init(hub_agg_cache_t *c, size_t expect, int db)
{
    c->db = db;
    c->cap = 64;
    while (c->cap < expect * 2)
        c->cap *= 2;
    c->slots = bc_calloc(c->cap, sizeof(hub_agg_t));
    c->used = 0;
}

void hub_agg_cache_free(hub_agg_cache_t *c)
{
    for (size_t i = 0; i < c->cap; i++)
        free(c->slots[i].vals);
    bc_free(&c->slots);
}

static size_t cache_slot(const hub_agg_cache_t *c, uint64_t key)
{
    size_t h = (size_t) ((key * 0x9E3779B97F4A7C15ULL) >> 17);
    for (size_t i = h & (c->cap - 1);; i = (i + 1) & (c->cap - 1))
        if (c->slots[i].key == key || c->slots[i].key == 0)
            return i;
}

static void cache_grow(hub_agg_cache_t *c)
{
    hub_agg_cache_t bigger = {bc_calloc(c->cap * 2, sizeof(hub_agg_t)), c->cap * 2,
                          c->used, c->db};
    for (size_t i = 0; i < c->cap; i++)
        if (c->slots[i].key)
            bigger.slots[cache_slot(&bigger, c->slots[i].key)] = c->slots[i];
    free(c->slots);
    *c = bigger;
}

int hub_agg_cache_get(hub_store_t *s, MDB_txn *txn, hub_agg_cache_t *c,
                     uint32_t unit_sid, uint32_t period, hub_agg_t **out)
{
    uint64_t key = (uint64_t) unit_sid << 32 | period;
    if ((c->used + 1) * 2 > c->cap)
        cache_grow(c);
    size_t i = cache_slot(c, key);
    hub_agg_t *a = &c->slots[i];
    if (a->key == key) {
        *out = a;
        return BC_OK;
    }
    memset(a, 0, sizeof *a);
    a->key = key;
    c->used++;
    uint8_t kb[8];
    MDB_val k = hub_key_up(kb, unit_sid, period), v;
    int mrc = mdb_get(txn, s->dbi[c->db], &k, &v);
    if (mrc == 0) {
        hub_agg_hdr_t h;
        memcpy(&h, v.mv_data, sizeof h);
        a->n = a->cap = h.nvals;
        a->reporters = h.reporters;
        a->vals = bc_malloc((a->cap ? a->cap : 1) * sizeof(hub_val_t));
        memcpy(a->vals, (uint8_t *) v.mv_data + sizeof h,
               h.nvals * sizeof(hub_val_t));
    } else if (mrc != MDB_NOTFOUND) {
        return hub_env_err(mrc);
    }
    *out = a;
    return BC_OK;
}

int hub_agg_cache_flush(hub_store_t *s, MDB_txn *txn, hub_agg_cache_t *c)
{
    for (size_t i = 0; i < c->cap; i++) {
        hub_agg_t *a = &c->slots[i];
        if (!a->key || !a->dirty)
            continue;
        uint8_t kb[8];
        MDB_val k = hub_key_up(kb, (uint32_t) (a->key >> 32), (uint32_t) a->key);
        int mrc;
        if (a->n == 0 && a->reporters == 0) {
            mrc = mdb_del(txn, s->dbi[c->db], &k, NULL);
            if (mrc == MDB_NOTFOUND)
                mrc = 0;
        } else {
            MDB_val v = {sizeof(hub_agg_hdr_t) + a->n * sizeof(hub_val_t), NULL};
            mrc = mdb_put(txn, s->dbi[c->db], &k, &v, MDB_RESERVE);
            if (mrc == 0) {
                hub_agg_hdr_t h = {a->n, a->reporters};
                memcpy(v.mv_data, &h, sizeof h);
                if (a->n)   /* a report with no figures: vals is NULL */
                    memcpy((uint8_t *) v.mv_data + sizeof h, a->vals,
                           a->n * sizeof(hub_val_t));
            }
        }
        if (mrc)
            return hub_env_err(mrc);
        a->dirty = false;
    }
    return BC_OK;
}

size_t hub_agg_targets(const hub_store_t *s, const bc_unit_t *u,
                       bc_period_t period, const bc_unit_t **out, size_t max)
{
    /* The registry is a history: the ancestors of the period's tree
     * (hub_history.h). */
    return hub_history_targets(s->reg, u, period, out, max);
}
