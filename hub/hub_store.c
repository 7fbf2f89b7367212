/*
 * hub_store.c -- the store's facade (see hub_store.h): opening, the batch
 * transaction, and read snapshots. What each database holds and how it is
 * kept is in the room that owns it.
 *
 * The write path is built for group commit: hub_store_ingest() takes a whole
 * batch, lets the rollup keep the totals it touches in memory for the
 * duration of the batch (a district's total is read and written once per
 * batch, not once per ward report), and commits once.
 */
#include "hub_store.h"
#include "hub_history.h"
#include "hub_env.h"
#include "bc_error.h"
#include "bc_fs.h"
#include "bc_log.h"
#include "bc_mem.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* --- opening ------------------------------------------------------------- */

/* Refuses a store written by an incompatible layout; stamps a new one.
 * 0, an LMDB error, or -1 with err set. */
static int check_version(hub_store_t *s, MDB_txn *txn, const char *dir,
                         char *err, size_t errlen)
{
    MDB_val v;
    uint32_t version = HUB_STORE_VERSION;
    int mrc = hub_env_meta_get(s, txn, "version", &v);
    if (mrc == MDB_NOTFOUND)
        return hub_env_meta_put(s, txn, "version", &version, 4);
    if (mrc)
        return mrc;
    memcpy(&version, v.mv_data, 4);
    if (version != HUB_STORE_VERSION) {
        snprintf(err, errlen, "%s holds a store of version %u; this hub "
                 "reads version %u", dir, version, HUB_STORE_VERSION);
        return -1;
    }
    return 0;
}

/* Rebuilds the derived totals if the hierarchy or catalogue changed since
 * the store was last opened. BC_OK, BC_EFULL or BC_ESTORE. */
static int refresh_derived(hub_store_t *s, MDB_txn *txn, char *err,
                           size_t errlen)
{
    uint8_t digest[32];
    MDB_val v;
    bc_registry_digest(s->reg, digest);
    int mrc = hub_env_meta_get(s, txn, "registry", &v);
    bool same = mrc == 0 && v.mv_size == 32
                && memcmp(v.mv_data, digest, 32) == 0;
    /* The derived databases' rules have a version of their own: a store
     * from before `units` (HUB_DERIVED_VERSION 2) has its reports intact
     * and readable, and only needs its derived totals rebuilt. */
    uint32_t derived = 0;
    MDB_val dv;
    if (hub_env_meta_get(s, txn, "derived", &dv) == 0 && dv.mv_size == 4)
        memcpy(&derived, dv.mv_data, 4);
    if (same && derived == HUB_DERIVED_VERSION)
        return BC_OK;
    /* A changed registry must keep every stored report inside a unit
     * valid for its period: totals rebuilt under it would drop the rest. */
    int rc = same ? BC_OK : hub_history_check(s, txn, err, errlen);
    if (rc)
        return rc;
    if (mrc == 0)
        BC_INFO("%s since the store was last opened: rebuilding totals",
                same ? "derived totals have new rules"
                     : "registry changed");
    rc = hub_rollup_rebuild(s, txn);
    if (rc == BC_OK)
        rc = hub_plans_rebuild(s, txn);
    if (rc == BC_OK)
        rc = hub_env_err(hub_env_meta_put(s, txn, "registry", digest, 32));
    derived = HUB_DERIVED_VERSION;
    if (rc == BC_OK)
        rc = hub_env_err(hub_env_meta_put(s, txn, "derived", &derived, 4));
    return rc;
}

hub_store_t *hub_store_open(const char *dir, size_t map_size,
                            bc_registry_t *reg, char *err, size_t errlen)
{
    hub_store_t *self = bc_calloc(1, sizeof *self);
    MDB_txn *txn = NULL;
    int mrc, rc;
    self->reg = reg;
    self->arena = bc_arena_new(1 << 20);
    if (sodium_init() < 0) {
        snprintf(err, errlen, "libsodium failed to initialise");
        goto out_free;
    }
    bool made_parents;
    if (bc_mkdir_p(dir, 0750, &made_parents, err, errlen) != 0)
        goto out_free;
    if (made_parents)
        BC_INFO("created the missing parent folders of %s", dir);
    if ((mrc = hub_env_open(self, dir, map_size, 0, &txn))) {
        snprintf(err, errlen, "cannot open LMDB store in %s: %s", dir,
                 mdb_strerror(mrc));
        goto out_free;
    }
    if ((mrc = check_version(self, txn, dir, err, errlen))) {
        if (mrc < 0)
            goto out_abort;
        goto out_mdb_error;
    }
    /* Stable store ids for every unit and indicator of the registry. */
    if ((rc = hub_env_assign_sids(self, txn))
        || (rc = refresh_derived(self, txn, err, errlen))) {
        if (rc == BC_EINVAL)
            goto out_abort;    /* refused registry: err says why */
        goto out_bc_error;
    }
    if ((mrc = hub_log_read_tail(self, txn)))
        goto out_mdb_error;
    if ((mrc = mdb_txn_commit(txn))) {
        txn = NULL;
        goto out_mdb_error;
    }
    return self;

out_bc_error:
    snprintf(err, errlen, "cannot prepare the store in %s: %s", dir,
             bc_strerror(rc));
    goto out_abort;
out_mdb_error:
    snprintf(err, errlen, "cannot prepare the store in %s: %s%s", dir,
             mdb_strerror(mrc),
             mrc == MDB_MAP_FULL ? " (start with a larger --map-size)" : "");
out_abort:
    if (txn)
        mdb_txn_abort(txn);
    mdb_env_close(self->env);
out_free:
    free(self->sid_idx);
    free(self->usid_idx);
    bc_arena_destroy(&self->arena);
    free(self);
    return NULL;
}

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
    if ((mrc = hub_env_open(self, dir, 0, MDB_RDONLY, &txn)))
        goto out_mdb;
    if ((mrc = hub_log_read_tail(self, txn)))
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

const bc_unit_t *hub_store_unit(const hub_store_t *self, uint32_t sid)
{
    return hub_env_unit(self, sid);
}

uint64_t hub_store_txnid(hub_store_t *self)
{
    /* A read transaction's id, not mdb_env_info's me_last_txnid: that one
     * is the meta page's, which a commit writes before it syncs it and
     * only then publishes to readers. In between (the length of an
     * fdatasync) it is one ahead of every reader, and a reply read then
     * was kept under a generation newer than its data: the figure of the
     * commit in flight stayed missing from the cache until the next
     * commit, for ever on a quiet hub. */
    MDB_txn *txn;
    if (mdb_txn_begin(self->env, NULL, MDB_RDONLY, &txn))
        return 0;
    uint64_t id = (uint64_t) mdb_txn_id(txn);
    mdb_txn_abort(txn);
    return id;
}

void hub_store_space(hub_store_t *self, uint64_t *used_bytes,
                     uint64_t *map_bytes)
{
    MDB_envinfo info;
    MDB_stat st;
    *used_bytes = *map_bytes = 0;
    if (mdb_env_info(self->env, &info) || mdb_env_stat(self->env, &st))
        return;
    *used_bytes = (uint64_t) (info.me_last_pgno + 1) * st.ms_psize;
    *map_bytes = info.me_mapsize;
}

int hub_store_backup(hub_store_t *self, const char *dir, char *err,
                     size_t errlen)
{
    return bc_store_copy(self->env, dir, err, errlen);
}

/* --- ingest -------------------------------------------------------------- */

int hub_store_ingest(hub_store_t *self, hub_item_t *items, size_t n,
                     int64_t now_us)
{
    MDB_txn *txn;
    hub_rollup_batch_t *batch = NULL;
    hub_log_tail_t tail;
    hub_log_tail_save(self, &tail);
    int rc, mrc = mdb_txn_begin(self->env, NULL, 0, &txn);
    if (mrc) {
        /* Every way out answers every item: RETRY_LATER, below. */
        rc = hub_env_err(mrc);
        goto out_undo;
    }
    batch = hub_rollup_batch_new(n);
    bc_arena_reset(self->arena);
    for (size_t i = 0; i < n; i++) {
        hub_item_t *it = &items[i];
        int64_t t = it->received_at ? it->received_at : now_us;
        it->seq = 0;
        it->current_revision = 0;
        if (it->reject != BAOCAO__REJECT_REASON__REASON_NONE) {
            it->status = BAOCAO__ACK_STATUS__ACK_REJECTED;
            it->reason = it->reject;
            rc = hub_log_append(self, txn, it, t,
                                BAOCAO__OUTCOME__OUTCOME_REJECTED);
        } else if (it->approval) {
            /* In order with the submissions around it: a report after an
             * approval in the same batch meets the lock. */
            rc = hub_approvals_ingest(self, txn, it, t);
        } else if (it->plan) {
            rc = hub_plans_ingest(self, txn, it, t);
        } else if (it->record) {
            it->status = BAOCAO__ACK_STATUS__ACK_STORED;
            rc = hub_log_append(self, txn, it, t,
                                BAOCAO__OUTCOME__OUTCOME_STORED);
        } else {
            rc = hub_reports_ingest(self, txn, batch, it, t);
        }
        if (rc)
            goto out_abort;
    }
    if ((rc = hub_rollup_flush(self, txn, batch)))
        goto out_abort;
    hub_rollup_batch_destroy(&batch);
    /* The commit is the durability point: only after it returns may any of
     * these items be acknowledged. */
    if ((mrc = mdb_txn_commit(txn))) {
        rc = hub_env_err(mrc);
        goto out_undo;
    }
    return BC_OK;

out_abort:
    mdb_txn_abort(txn);
    hub_rollup_batch_destroy(&batch);
out_undo:
    hub_log_tail_restore(self, &tail);
    for (size_t i = 0; i < n; i++) {
        items[i].status = BAOCAO__ACK_STATUS__ACK_RETRY_LATER;
        items[i].reason = rc == BC_EFULL || rc == BC_ENOSPC
                              ? BAOCAO__REJECT_REASON__REASON_STORE_FULL
                              : BAOCAO__REJECT_REASON__REASON_INTERNAL;
        items[i].seq = 0;
        /* Nothing was stored: no revision is current because of it (an
         * ack once said current_revision=1 for a report never stored). */
        items[i].current_revision = 0;
    }
    return rc;
}

/* --- the forwarder's cursor ------------------------------------------------
 * Value: the cursor as 8 bytes big-endian, then the name's bytes. */

int hub_store_upstream_get(hub_store_t *self, uint64_t *cursor, char *name,
                           size_t namelen)
{
    MDB_txn *txn;
    MDB_val v;
    *cursor = 0;
    if (namelen)
        name[0] = '\0';
    int mrc = mdb_txn_begin(self->env, NULL, MDB_RDONLY, &txn);
    if (mrc)
        return hub_env_err(mrc);
    int rc = BC_OK;
    mrc = hub_env_meta_get(self, txn, "upstream", &v);
    if (mrc == MDB_NOTFOUND)
        rc = BC_ENOTFOUND;
    else if (mrc || v.mv_size < 8)
        rc = BC_ESTORE;
    else {
        *cursor = hub_get_be64(v.mv_data);
        if (namelen)
            snprintf(name, namelen, "%.*s", (int) (v.mv_size - 8),
                     (const char *) v.mv_data + 8);
    }
    mdb_txn_abort(txn);
    return rc;
}

int hub_store_upstream_put(hub_store_t *self, uint64_t cursor,
                           const char *name)
{
    MDB_txn *txn;
    size_t nlen = strlen(name);
    uint8_t buf[8 + 256];
    if (nlen > 256)
        nlen = 256;
    hub_put_be64(buf, cursor);
    memcpy(buf + 8, name, nlen);
    int mrc = mdb_txn_begin(self->env, NULL, 0, &txn);
    if (mrc)
        return hub_env_err(mrc);
    mrc = hub_env_meta_put(self, txn, "upstream", buf, 8 + nlen);
    if (mrc) {
        mdb_txn_abort(txn);
        return hub_env_err(mrc);
    }
    return hub_env_err(mdb_txn_commit(txn));
}

/* Layout: count, first, last, resent_from (8 bytes big-endian each),
 * then the text of the last refusal. */
int hub_store_upstream_refused_get(hub_store_t *self,
                                   hub_upstream_refused_t *out)
{
    MDB_txn *txn;
    MDB_val v;
    memset(out, 0, sizeof *out);
    int mrc = mdb_txn_begin(self->env, NULL, MDB_RDONLY, &txn);
    if (mrc)
        return hub_env_err(mrc);
    int rc = BC_OK;
    mrc = hub_env_meta_get(self, txn, "upstream_refused", &v);
    if (mrc == 0 && v.mv_size >= 32) {
        const uint8_t *p = v.mv_data;
        out->count = hub_get_be64(p);
        out->first = hub_get_be64(p + 8);
        out->last = hub_get_be64(p + 16);
        out->resent_from = hub_get_be64(p + 24);
        snprintf(out->why, sizeof out->why, "%.*s", (int) (v.mv_size - 32),
                 (const char *) p + 32);
    } else if (mrc && mrc != MDB_NOTFOUND) {
        rc = BC_ESTORE;
    }
    mdb_txn_abort(txn);
    return rc;
}

int hub_store_upstream_refused_put(hub_store_t *self,
                                   const hub_upstream_refused_t *in)
{
    MDB_txn *txn;
    uint8_t buf[32 + sizeof in->why];
    size_t wlen = strnlen(in->why, sizeof in->why);
    hub_put_be64(buf, in->count);
    hub_put_be64(buf + 8, in->first);
    hub_put_be64(buf + 16, in->last);
    hub_put_be64(buf + 24, in->resent_from);
    memcpy(buf + 32, in->why, wlen);
    int mrc = mdb_txn_begin(self->env, NULL, 0, &txn);
    if (mrc)
        return hub_env_err(mrc);
    mrc = hub_env_meta_put(self, txn, "upstream_refused", buf, 32 + wlen);
    if (mrc) {
        mdb_txn_abort(txn);
        return hub_env_err(mrc);
    }
    return hub_env_err(mdb_txn_commit(txn));
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
    for (unsigned i = 0; i < HUB_READER_MEMOS; i++)
        if (self->memo[i].sid)
            hub_unit_year_free(&self->memo[i].uy);
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

void hub_figures_spread(const hub_store_t *s, const uint8_t *p, size_t n,
                        hub_figures_t *out)
{
    for (size_t i = 0; i < n; i++) {
        hub_val_t hv;
        memcpy(&hv, p + i * sizeof hv, sizeof hv);
        int32_t idx = hub_env_indicator(s, hv.sid);
        if (idx >= 0 && (size_t) idx < out->n) {
            out->value[idx] = hv.value;
            out->count[idx] = hv.count;
        }
    }
}
