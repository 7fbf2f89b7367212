/*
 * hub_agg.h -- aggregate records and the write batch's cache of them,
 * private to the rollup room (hub_rollup.c, hub_units.c).
 *
 * agg, carry and units records are a header (hub_agg_hdr_t) and an array
 * of hub_val_t (sid, count, value) sorted by sid, in host byte order: an
 * LMDB file is not portable across architectures anyway, and the audit
 * export is the portable form. They are read in place (memcpy: LMDB gives
 * no alignment promise) and updated through a per-batch hash table of
 * growable arrays, so that a district's total is read and written once per
 * batch, not once per ward report.
 */
#ifndef HUB_AGG_H
#define HUB_AGG_H

#include "hub_store.h"

#include <lmdb.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t nvals;            /* hub_val_t entries that follow */
    uint32_t reporters;        /* units in the subtree with a report */
} hub_agg_hdr_t;

/* A growable, sid-sorted array of values: an aggregate being updated. */

typedef struct {
    uint64_t key;              /* unit sid << 32 | period */
    hub_val_t *vals;           /* sorted by sid */
    uint32_t n;                /* used entries */
    uint32_t cap;              /* allocated entries */
    uint32_t reporters;        /* units with a report in the subtree */
    bool dirty;                /* changed since loaded */
} hub_agg_t;

/* Adds (delta value, delta count) for sid, keeping the array sorted and
 * dropping an entry whose count falls to zero. Returns BC_OK, or BC_ERANGE
 * (the total unchanged) when it would not fit int64_t: a total is exact or
 * an error, never a wrapped number. */

int hub_agg_apply(hub_agg_t *a, uint32_t sid, int64_t dv, int32_t dc);

/* The same, for a run of sids in increasing order: *hint (0 before the
 * first) is where the previous one was left, so that the next is found a
 * step or two further rather than by a binary search over the whole array
 * (a report's figures against a district's total). A hint that no longer
 * holds (sids not increasing) is ignored: the result is hub_agg_apply's
 * in any order. */
int hub_agg_apply_from(hub_agg_t *a, uint32_t *hint, uint32_t sid,
                       int64_t dv, int32_t dc);

/* The aggregates touched by one batch, by key: open addressing. */

typedef struct {
    hub_agg_t *slots;              /* table of aggregates, key 0 = empty */
    size_t cap;                /* power of two */
    size_t used;               /* occupied slots */
    int db;                    /* HUB_DB_AGG or HUB_DB_CARRY */
} hub_agg_cache_t;

void hub_agg_cache_init(hub_agg_cache_t *c, size_t expect, int db);

void hub_agg_cache_free(hub_agg_cache_t *c);

/* Finds or loads the aggregate (unit sid, period). Key 0 cannot occur:
 * unit sids start at 1. */

int hub_agg_cache_get(hub_store_t *s, MDB_txn *txn, hub_agg_cache_t *c,
                     uint32_t unit_sid, uint32_t period, hub_agg_t **out);

int hub_agg_cache_flush(hub_store_t *s, MDB_txn *txn, hub_agg_cache_t *c);

/* Units whose totals include u's report for `period`: u itself when it
 * ever has children (its own figures add to its subtree's), then every
 * ancestor in the tree of the period's first month; none when u is not
 * valid then (hub_history_targets). */

size_t hub_agg_targets(const hub_store_t *s, const bc_unit_t *u,
                       bc_period_t period, const bc_unit_t **out, size_t max);

#endif
