/*
 * hub_plans.c -- own and effective annual targets (see hub_plans.h).
 */
#include "hub_plans.h"
#include "hub_env.h"
#include "bc_error.h"
#include "bc_limits.h"
#include "bc_mem.h"

#include <stdio.h>
#include <string.h>

/* Loads a value array record (plan or plan_eff) into a dense sid array. */
static int load_sid_values(hub_store_t *s, MDB_txn *txn, int db,
                           uint32_t unit_sid, uint32_t year, int64_t *val,
                           bool *has)
{
    uint8_t kb[8];
    MDB_val k = hub_key_up(kb, unit_sid, year), v;
    int mrc = mdb_get(txn, s->dbi[db], &k, &v);
    if (mrc == MDB_NOTFOUND)
        return BC_OK;
    if (mrc)
        return hub_env_err(mrc);
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
    MDB_val k = hub_key_up(kb, unit_sid, year), v = {n * sizeof *arr, arr};
    int mrc = n ? mdb_put(txn, s->dbi[db], &k, &v, 0)
                : mdb_del(txn, s->dbi[db], &k, NULL);
    free(arr);
    return mrc == MDB_NOTFOUND ? BC_OK : hub_env_err(mrc);
}

/* Effective target of `unit` = own target where set, else the sum of its
 * children's effective targets; then the same for each ancestor. */
/* Is indicator sid a rate? A rate's target (95 for 95 %) is never summed
 * over units: a unit without its own has none (issue #11, item 8). */
static bool is_rate(const hub_store_t *s, uint32_t sid)
{
    int32_t idx = sid < s->nsid ? s->sid_idx[sid] : -1;
    return idx >= 0
           && bc_registry_indicator(s->reg, (uint32_t) idx)->kind
                  == BC_KIND_RATIO;
}

/* Up the tree of the year's first month, as a query for the year reads
 * it (issue 12: a year uses the tree of its first month): a unit that
 * moved in the year adds to the parent it had in January; one not valid
 * then keeps its own targets and adds to nobody that year. */
static int refresh_plan(hub_store_t *s, MDB_txn *txn, const bc_unit_t *unit,
                        unsigned year)
{
    int rc = BC_OK;
    int32_t month = (int32_t) year * 12;
    int64_t *val = bc_malloc(s->nsid * sizeof *val);
    int64_t *cval = bc_malloc(s->nsid * sizeof *cval);
    bool *has = bc_malloc(s->nsid * sizeof *has);
    bool *chas = bc_malloc(s->nsid * sizeof *chas);
    for (const bc_unit_t *u = unit; u;
         u = bc_registry_parent_at(s->reg, u, month)) {
        memset(val, 0, s->nsid * sizeof *val);
        memset(has, 0, s->nsid * sizeof *has);
        for (uint32_t c = 0; c < u->nchildren; c++) {
            const bc_unit_t *child = bc_registry_unit(s->reg, u->children[c]);
            if (bc_registry_parent_at(s->reg, child, month) != u)
                continue;   /* under u in other months only */
            memset(chas, 0, s->nsid * sizeof *chas);
            if ((rc = load_sid_values(s, txn, HUB_DB_PLAN_EFF, child->sid, year,
                                      cval, chas)))
                goto out;
            for (uint32_t i = 0; i < s->nsid && !rc; i++)
                if (chas[i] && !is_rate(s, i)) {
                    /* Targets are at most 10^12 each; the sum is exact or
                     * the plan is refused (BC_ERANGE), never wrapped. */
                    rc = bc_add_checked(val[i], cval[i], &val[i]);
                    has[i] = true;
                }
            if (rc)
                goto out;
        }
        /* Own targets win over the children's sum. */
        if ((rc = load_sid_values(s, txn, HUB_DB_PLAN, u->sid, year, val, has)))
            goto out;
        if ((rc = store_sid_values(s, txn, HUB_DB_PLAN_EFF, u->sid, year, val,
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

/* Own targets replaced by those given (others kept), effective ones
 * refreshed up the tree, in txn. */
static int set_plan(hub_store_t *self, MDB_txn *txn, const bc_unit_t *unit,
                    unsigned year, const hub_val_t *vals, size_t n)
{
    int64_t *val = bc_calloc(self->nsid, sizeof *val);
    bool *has = bc_calloc(self->nsid, sizeof *has);
    int rc = load_sid_values(self, txn, HUB_DB_PLAN, unit->sid, year, val,
                             has);
    for (size_t i = 0; rc == BC_OK && i < n; i++)
        if (vals[i].sid < self->nsid) {
            val[vals[i].sid] = vals[i].value;
            has[vals[i].sid] = true;
        }
    if (rc == BC_OK)
        rc = store_sid_values(self, txn, HUB_DB_PLAN, unit->sid, year, val,
                              has);
    if (rc == BC_OK)
        rc = refresh_plan(self, txn, unit, year);
    free(val);
    free(has);
    return rc;
}

int hub_store_set_plan(hub_store_t *self, const bc_unit_t *unit,
                       unsigned year, const hub_val_t *vals, size_t n)
{
    MDB_txn *txn;
    int mrc = mdb_txn_begin(self->env, NULL, 0, &txn), rc;
    if (mrc)
        return hub_env_err(mrc);
    if ((rc = set_plan(self, txn, unit, year, vals, n))) {
        mdb_txn_abort(txn);
        return rc;
    }
    return hub_env_err(mdb_txn_commit(txn));
}

int hub_plans_ingest(hub_store_t *s, MDB_txn *txn, hub_item_t *it,
                     int64_t now_us)
{
    MDB_txn *child;
    int mrc = mdb_txn_begin(s->env, txn, 0, &child);
    if (mrc)
        return hub_env_err(mrc);
    int rc = set_plan(s, child, it->unit, it->year, it->vals, it->nvals);
    if (rc == BC_ERANGE) {
        /* Refused whole: the sums are checked, never wrapped. */
        mdb_txn_abort(child);
        it->status = BAOCAO__ACK_STATUS__ACK_REJECTED;
        it->reason = BAOCAO__REJECT_REASON__REASON_COUNT_TOO_LARGE;
        snprintf(it->message, sizeof it->message, "plan not stored: the sum "
                 "of targets above %s would overflow", it->unit->code);
        return hub_log_append(s, txn, it, now_us,
                              BAOCAO__OUTCOME__OUTCOME_REJECTED);
    }
    if (rc) {
        mdb_txn_abort(child);
        return rc;
    }
    if ((rc = hub_env_err(mdb_txn_commit(child))))   /* frees child */
        return rc;
    it->status = BAOCAO__ACK_STATUS__ACK_STORED;
    it->reason = BAOCAO__REJECT_REASON__REASON_NONE;
    return hub_log_append(s, txn, it, now_us,
                          BAOCAO__OUTCOME__OUTCOME_STORED);
}

int hub_plans_rebuild(hub_store_t *s, MDB_txn *txn)
{
    int mrc = mdb_drop(txn, s->dbi[HUB_DB_PLAN_EFF], 0);
    if (mrc)
        return hub_env_err(mrc);
    /* Refresh every (unit, year) that has own targets; refresh_plan walks
     * up to the root. */
    MDB_cursor *cur;
    MDB_val k, v;
    if ((mrc = mdb_cursor_open(txn, s->dbi[HUB_DB_PLAN], &cur)))
        return hub_env_err(mrc);
    int rc = BC_OK;
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0 && !rc;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        const bc_unit_t *u = hub_env_unit(s, hub_key_unit(&k));
        if (u)
            rc = refresh_plan(s, txn, u, hub_key_period(&k));
    }
    mdb_cursor_close(cur);
    return rc;
}

/* --- reading ------------------------------------------------------------- */

int hub_reader_targets(hub_reader_t *self, const bc_unit_t *unit,
                       unsigned year, hub_figures_t *out)
{
    hub_store_t *s = self->store;
    uint8_t kb[8];
    MDB_val k = hub_key_up(kb, unit->sid, year), v;
    hub_figures_clear(out);
    int mrc = mdb_get(self->txn, s->dbi[HUB_DB_PLAN_EFF], &k, &v);
    if (mrc == MDB_NOTFOUND)
        return BC_OK;
    if (mrc)
        return hub_env_err(mrc);
    hub_figures_spread(s, v.mv_data, v.mv_size / sizeof(hub_val_t), out);
    return BC_OK;
}
