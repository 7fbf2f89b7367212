/*
 * node_outbox.c -- the node's durable outbox (layout in node_outbox.h).
 *
 * Every change is one LMDB write transaction with the default full sync: a
 * report that `baocao submit` said was filed survives a power cut, and an
 * acknowledgement recorded here is never lost, so a delivered report is
 * never sent again after a restart (and if the node dies between the hub's
 * commit and ours, the resend gets "duplicate", which settles it).
 *
 * The one invariant: an entry is in `pending` exactly while its state is
 * NODE_PENDING. Settling changes the state and the index in one
 * transaction, and only for the four final answers; node_outbox_open()
 * checks the invariant and re-indexes what an older version stranded.
 *
 * Disk errors are typed so that callers say the right thing: ENOSPC (the
 * filesystem, not the map) is BC_ENOSPC, EIO and MDB_PANIC are BC_EFATAL.
 * Filing keeps NODE_OUTBOX_RESERVE free on the filesystem, for the daemon.
 *
 * What people read of the outbox (the list and counts of `baocao status`,
 * the seen marks, the store's error note) is in node_outbox_status.c; the
 * entry layout both files share is in node_outbox_int.h.
 */
#include "node_outbox_int.h"
#include "baocao.pb-c.h"
#include "bc_error.h"
#include "bc_fs.h"
#include "bc_log.h"
#include "bc_mem.h"
#include "bc_wire.h"

#include <errno.h>
#include <lmdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>

static const char *db_names[DB_COUNT] = {"out", "pending", "revs", "meta",
                                         "seen"};

#define OUTBOX_MAP_SIZE (1ULL << 30)   /* 1 GiB: years of monthly reports */

bool node_ack_final(uint32_t status)
{
    return status == BAOCAO__ACK_STATUS__ACK_STORED
           || status == BAOCAO__ACK_STATUS__ACK_DUPLICATE
           || status == BAOCAO__ACK_STATUS__ACK_SUPERSEDED
           || status == BAOCAO__ACK_STATUS__ACK_REJECTED;
}

/* Puts back in `pending` every entry still NODE_PENDING but missing from
 * it: versions before 0.2 deleted the index entry on any answer but
 * RETRY_LATER (an ACK_UNSPECIFIED from a hub whose store had failed
 * stranded it: neither delivered nor pending, never sent again). One scan
 * of `out` at open: milliseconds for years of reports. */
static int repair_pending(node_outbox_t *self, MDB_txn *txn, uint64_t *n)
{
    MDB_cursor *cur;
    MDB_val k, v, pv, empty = {0, NULL};
    int mrc = mdb_cursor_open(txn, self->dbi[DB_OUT], &cur);
    *n = 0;
    if (mrc)
        return mrc;
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        out_hdr_t h;
        if (v.mv_size < sizeof h)
            continue;
        memcpy(&h, v.mv_data, sizeof h);
        if (h.state != NODE_PENDING
            || mdb_get(txn, self->dbi[DB_PENDING], &k, &pv) == 0)
            continue;
        if ((mrc = mdb_put(txn, self->dbi[DB_PENDING], &k, &empty, 0)))
            break;
        (*n)++;
    }
    mdb_cursor_close(cur);
    return mrc == MDB_NOTFOUND ? 0 : mrc;
}

node_outbox_t *node_outbox_open(const char *dir, char *err, size_t errlen)
{
    node_outbox_t *self = bc_calloc(1, sizeof *self);
    MDB_txn *txn;
    int mrc;
    bool made_parents;
    if (bc_mkdir_p(dir, 0750, &made_parents, err, errlen) != 0)
        goto out_free;
    if (made_parents)
        BC_INFO("created the missing parent folders of %s", dir);
    if ((mrc = mdb_env_create(&self->env)))
        goto out_mdb;
    mdb_env_set_maxdbs(self->env, DB_COUNT);
    mdb_env_set_mapsize(self->env, OUTBOX_MAP_SIZE);
    if ((mrc = mdb_env_open(self->env, dir, MDB_NOTLS, 0640))) {
        mdb_env_close(self->env);
        goto out_mdb;
    }
    int dead;
    mdb_reader_check(self->env, &dead);
    if ((mrc = mdb_txn_begin(self->env, NULL, 0, &txn)))
        goto out_close;
    for (int i = 0; i < DB_COUNT; i++)
        if ((mrc = mdb_dbi_open(txn, db_names[i], MDB_CREATE,
                                &self->dbi[i]))) {
            mdb_txn_abort(txn);
            goto out_close;
        }
    if ((mrc = repair_pending(self, txn, &self->repaired))) {
        mdb_txn_abort(txn);
        goto out_close;
    }
    if ((mrc = mdb_txn_commit(txn)))
        goto out_close;
    if (self->repaired)
        BC_WARN("outbox %s: %llu reports were neither delivered nor waiting "
                "to be sent (left so by an older version); put back in the "
                "queue", dir, (unsigned long long) self->repaired);
    self->dir = bc_strdup(dir);
    return self;

out_close:
    mdb_env_close(self->env);
out_mdb:
    snprintf(err, errlen, "cannot open the outbox in %s: %s", dir,
             mdb_strerror(mrc));
out_free:
    free(self);
    return NULL;
}

void node_outbox_close(node_outbox_t **self_p)
{
    node_outbox_t *self = *self_p;
    if (!self)
        return;
    mdb_env_close(self->env);
    free(self->dir);
    free(self);
    *self_p = NULL;
}

uint64_t node_outbox_repaired(const node_outbox_t *self)
{
    return self->repaired;
}

int node_outbox_disk_free(const node_outbox_t *self, uint64_t *free_bytes)
{
    struct statvfs sv;
    if (statvfs(self->dir, &sv) != 0)
        return -errno;
    *free_bytes = (uint64_t) sv.f_bavail * sv.f_frsize;
    return BC_OK;
}

/* The newest entry filed here for (unit, period) that counts, decoded
 * (*out: free with baocao__submission__free_unpacked). An entry the hub
 * rejected never became a revision there, so it is skipped: for
 * `numbering`, except a BAD_REVISION rejection (its number is taken at the
 * hub by another id, and reusing it would be refused again). Walks from
 * the newest entry back; since every filing numbers itself one above the
 * newest entry that counts, that entry holds the highest revision.
 * Returns BC_OK, BC_ENOTFOUND, or an LMDB code mapped. */
static int newest_entry(node_outbox_t *self, MDB_txn *txn, const char *unit,
                        const char *period, bool numbering,
                        Baocao__Submission **out)
{
    MDB_cursor *cur;
    MDB_val k, v;
    size_t ulen = strlen(unit), plen = strlen(period);
    int rc = BC_ENOTFOUND;
    *out = NULL;
    int mrc = mdb_cursor_open(txn, self->dbi[DB_OUT], &cur);
    if (mrc)
        return map_err(mrc);
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_LAST); mrc == 0;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_PREV)) {
        out_hdr_t h;
        if (v.mv_size < sizeof h)
            continue;
        memcpy(&h, v.mv_data, sizeof h);
        if (h.blob_len > v.mv_size - sizeof h)
            continue;
        if (h.state == NODE_REJECTED
            && !(numbering
                 && h.reason == BAOCAO__REJECT_REASON__REASON_BAD_REVISION))
            continue;
        /* Only entries whose bytes hold both codes are worth decoding. */
        const uint8_t *blob = (const uint8_t *) v.mv_data + sizeof h;
        if (!memmem(blob, h.blob_len, unit, ulen)
            || !memmem(blob, h.blob_len, period, plen))
            continue;
        Baocao__Submission *sub = baocao__submission__unpack(NULL, h.blob_len,
                                                             blob);
        if (!sub)
            continue;
        if (!strcmp(sub->unit, unit) && !strcmp(sub->period, period)) {
            *out = sub;
            rc = BC_OK;
            break;
        }
        baocao__submission__free_unpacked(sub, NULL);
    }
    if (mrc && mrc != MDB_NOTFOUND)
        rc = map_err(mrc);
    mdb_cursor_close(cur);
    return rc;
}

int node_outbox_file(node_outbox_t *self, const char *unit,
                     const char *period, const bc_report_t *report,
                     int64_t filed_at, uint8_t id_out[16],
                     uint32_t *revision_out)
{
    MDB_txn *txn;
    uint64_t avail = 0;
    /* Keep room for the daemon: if filing took the last bytes, it could no
     * longer record the hub's answers and would resend for ever. */
    if (node_outbox_disk_free(self, &avail) == BC_OK
        && avail < NODE_OUTBOX_RESERVE)
        return BC_ENOSPC;
    int mrc = mdb_txn_begin(self->env, NULL, 0, &txn);
    if (mrc)
        return map_err(mrc);

    /* The next revision of (unit, period) at this node: one above the
     * newest filing that counts (issue #11: a filing the hub rejected
     * does not use up a number). `revs` says at once whether anything was
     * filed, so a first filing costs no walk. */
    size_t ulen = strlen(unit), plen = strlen(period);
    char *rk = bc_malloc(ulen + 1 + plen);
    memcpy(rk, unit, ulen);
    rk[ulen] = '\0';
    memcpy(rk + ulen + 1, period, plen);
    MDB_val k = {ulen + 1 + plen, rk}, v;
    uint32_t revision = 1;
    if (mdb_get(txn, self->dbi[DB_REVS], &k, &v) == 0) {
        Baocao__Submission *prev = NULL;
        int rc = newest_entry(self, txn, unit, period, true, &prev);
        if (rc != BC_OK && rc != BC_ENOTFOUND) {
            free(rk);
            mdb_txn_abort(txn);
            return rc;
        }
        if (prev)
            revision = prev->revision + 1;
        baocao__submission__free_unpacked(prev, NULL);
    }
    v = (MDB_val){4, &revision};
    mrc = mdb_put(txn, self->dbi[DB_REVS], &k, &v, 0);
    free(rk);
    if (mrc)
        goto out_abort;

    /* The submission, serialised once for all its sends. */
    Baocao__Submission sub = BAOCAO__SUBMISSION__INIT;
    bc_id_new(id_out);
    sub.id.data = id_out;
    sub.id.len = 16;
    sub.unit = (char *) unit;
    sub.period = (char *) period;
    sub.revision = revision;
    sub.filed_at = filed_at;
    Baocao__Value *vals = bc_calloc(report->nvalues ? report->nvalues : 1,
                                    sizeof *vals);
    Baocao__Value **ptrs = bc_calloc(report->nvalues ? report->nvalues : 1,
                                     sizeof *ptrs);
    void *combos = bc_report_to_wire(report, vals, ptrs);
    sub.n_values = report->nvalues;
    sub.values = ptrs;
    size_t blob_len;
    uint8_t *blob = bc_wire_pack(&sub.base, &blob_len);
    bc_report_wire_free(combos);
    free(vals);
    free(ptrs);

    uint64_t seq = 1;
    meta_get(self, txn, "next_seq", &seq, sizeof seq);
    if (seq == 0)
        seq = 1;
    uint64_t next = seq + 1;
    out_hdr_t h = {NODE_PENDING, 0, filed_at, 0, 0, 0, 0,
                   (uint32_t) blob_len, 0};
    uint8_t kb[8];
    k = seq_key(kb, seq);
    v = (MDB_val){sizeof h + blob_len, NULL};
    if (!(mrc = mdb_put(txn, self->dbi[DB_OUT], &k, &v, MDB_RESERVE))) {
        memcpy(v.mv_data, &h, sizeof h);
        memcpy((uint8_t *) v.mv_data + sizeof h, blob, blob_len);
    }
    free(blob);
    MDB_val empty = {0, NULL};
    if (mrc || (mrc = mdb_put(txn, self->dbi[DB_PENDING], &k, &empty, 0))
        || (mrc = meta_put(self, txn, "next_seq", &next, sizeof next)))
        goto out_abort;
    if ((mrc = mdb_txn_commit(txn)))
        return map_err(mrc);
    *revision_out = revision;
    return BC_OK;

out_abort:
    mdb_txn_abort(txn);
    return map_err(mrc);
}

/* The report a submission carries. */
static bc_report_t *report_of(const Baocao__Submission *sub)
{
    bc_report_t *r = bc_calloc(1, sizeof *r);
    r->values = bc_calloc(sub->n_values ? sub->n_values : 1,
                          sizeof *r->values);
    for (size_t i = 0; i < sub->n_values; i++) {
        const Baocao__Value *v = sub->values[i];
        bc_report_value_t *o = &r->values[r->nvalues++];
        /* A combination comes back as its code (bc_report.h). */
        const char *cats[BC_REPORT_MAX_CATEGORIES], *opts[BC_REPORT_MAX_CATEGORIES];
        size_t n = 0;
        for (size_t k = 0; k < v->n_options && n < BC_REPORT_MAX_CATEGORIES;
             k++, n++) {
            cats[n] = v->options[k]->category;
            opts[n] = v->options[k]->option;
        }
        o->indicator = bc_report_combination(v->indicator, n, cats, opts);
        o->is_integer = v->v_case != BAOCAO__VALUE__V_DECIMAL;
        o->count = v->v_case == BAOCAO__VALUE__V_COUNT ? v->count : 0;
        o->decimal = v->v_case == BAOCAO__VALUE__V_DECIMAL ? v->decimal : 0;
    }
    return r;
}

int node_outbox_latest(node_outbox_t *self, const char *unit,
                       const char *period, bc_report_t **out,
                       uint32_t *revision_out)
{
    MDB_txn *txn;
    MDB_val k, v;
    *out = NULL;
    int mrc = mdb_txn_begin(self->env, NULL, MDB_RDONLY, &txn);
    if (mrc)
        return map_err(mrc);
    int rc = BC_ENOTFOUND;
    /* Nothing filed for (unit, period) has no revision: say so without a
     * walk, which keeps a large first import linear. */
    size_t ulen = strlen(unit), plen = strlen(period);
    char *rk = bc_malloc(ulen + 1 + plen);
    memcpy(rk, unit, ulen);
    rk[ulen] = '\0';
    memcpy(rk + ulen + 1, period, plen);
    k = (MDB_val){ulen + 1 + plen, rk};
    mrc = mdb_get(txn, self->dbi[DB_REVS], &k, &v);
    free(rk);
    if (mrc) {
        if (mrc != MDB_NOTFOUND)
            rc = map_err(mrc);
        goto out;
    }
    Baocao__Submission *sub = NULL;
    rc = newest_entry(self, txn, unit, period, false, &sub);
    if (sub) {
        *out = report_of(sub);
        if (revision_out)
            *revision_out = sub->revision;
        baocao__submission__free_unpacked(sub, NULL);
    }
out:
    mdb_txn_abort(txn);
    return rc;
}

void node_pending_free(node_pending_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        bc_free(&p[i].blob);
}

int node_outbox_pending(node_outbox_t *self, uint64_t after, size_t max,
                        node_pending_t *out, size_t *n)
{
    MDB_txn *txn;
    MDB_cursor *cur;
    *n = 0;
    int mrc = mdb_txn_begin(self->env, NULL, MDB_RDONLY, &txn);
    if (mrc)
        return map_err(mrc);
    if ((mrc = mdb_cursor_open(txn, self->dbi[DB_PENDING], &cur))) {
        mdb_txn_abort(txn);
        return map_err(mrc);
    }
    uint8_t kb[8];
    MDB_val k = seq_key(kb, after + 1), v;
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         mrc == 0 && *n < max; mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        MDB_val ov;
        if (mdb_get(txn, self->dbi[DB_OUT], &k, &ov) != 0)
            continue;   /* index without entry: cannot happen, skip */
        out_hdr_t h;
        memcpy(&h, ov.mv_data, sizeof h);
        node_pending_t *p = &out[(*n)++];
        p->seq = key_seq(&k);
        p->attempts = h.attempts;
        p->blob_len = h.blob_len;
        p->blob = bc_malloc(h.blob_len ? h.blob_len : 1);
        memcpy(p->blob, (uint8_t *) ov.mv_data + sizeof h, h.blob_len);
    }
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    return BC_OK;
}

/* Rewrites an entry's header (and message) in place. */
static int update_entry(node_outbox_t *self, MDB_txn *txn, uint64_t seq,
                        void (*edit)(out_hdr_t *, const void *),
                        const void *arg, const char *message)
{
    uint8_t kb[8];
    MDB_val k = seq_key(kb, seq), v;
    int mrc = mdb_get(txn, self->dbi[DB_OUT], &k, &v);
    if (mrc == MDB_NOTFOUND)
        return BC_OK;
    if (mrc)
        return map_err(mrc);
    out_hdr_t h;
    memcpy(&h, v.mv_data, sizeof h);
    size_t blob_len = h.blob_len;
    uint8_t *blob = bc_malloc(blob_len ? blob_len : 1);
    memcpy(blob, (uint8_t *) v.mv_data + sizeof h, blob_len);
    edit(&h, arg);
    size_t mlen = message ? strlen(message) : 0;
    h.msg_len = (uint32_t) mlen;
    v = (MDB_val){sizeof h + blob_len + mlen, NULL};
    if (!(mrc = mdb_put(txn, self->dbi[DB_OUT], &k, &v, MDB_RESERVE))) {
        memcpy(v.mv_data, &h, sizeof h);
        memcpy((uint8_t *) v.mv_data + sizeof h, blob, blob_len);
        if (mlen)
            memcpy((uint8_t *) v.mv_data + sizeof h + blob_len, message,
                   mlen);
    }
    free(blob);
    return map_err(mrc);
}

static void edit_sent(out_hdr_t *h, const void *arg)
{
    h->attempts++;
    h->last_sent = *(const int64_t *) arg;
    /* No answer to this send yet: `baocao status` counts it in flight. */
    h->ack_status = AWAITING_ANSWER;
}

int node_outbox_mark_sent(node_outbox_t *self, const uint64_t *seqs,
                          size_t n, int64_t now)
{
    MDB_txn *txn;
    int rc = BC_OK, mrc = mdb_txn_begin(self->env, NULL, 0, &txn);
    if (mrc)
        return map_err(mrc);
    for (size_t i = 0; i < n && !rc; i++)
        rc = update_entry(self, txn, seqs[i], edit_sent, &now, NULL);
    if (rc) {
        mdb_txn_abort(txn);
        return rc;
    }
    return map_err(mdb_txn_commit(txn));
}

static void edit_unsent(out_hdr_t *h, const void *arg)
{
    (void) arg;
    /* Sent on a connection that is gone: nothing is on the wire for it
     * any more, so `baocao status` counts it waiting to be sent. */
    if (h->ack_status == AWAITING_ANSWER)
        h->ack_status = 0;
}

/* The pending entries whose last send is unanswered, into a new array
 * (*out, *n; NULL and 0 when none). */
static int awaiting_entries(node_outbox_t *self, MDB_txn *txn,
                            uint64_t **out, size_t *n)
{
    MDB_cursor *cur;
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    int mrc = mdb_cursor_open(txn, self->dbi[DB_PENDING], &cur);
    if (mrc)
        return map_err(mrc);
    MDB_val k, v;
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        MDB_val ov;
        out_hdr_t h;
        if (mdb_get(txn, self->dbi[DB_OUT], &k, &ov) != 0)
            continue;
        memcpy(&h, ov.mv_data, sizeof h);
        if (h.ack_status != AWAITING_ANSWER)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 32;
            *out = bc_realloc(*out, cap * sizeof **out);
        }
        (*out)[(*n)++] = key_seq(&k);
    }
    mdb_cursor_close(cur);
    return mrc == MDB_NOTFOUND ? BC_OK : map_err(mrc);
}

int node_outbox_mark_unsent(node_outbox_t *self, const uint64_t *seqs,
                            size_t n)
{
    MDB_txn *txn;
    uint64_t *all = NULL;
    int rc = BC_OK, mrc = mdb_txn_begin(self->env, NULL, 0, &txn);
    if (mrc)
        return map_err(mrc);
    if (!seqs) {
        if ((rc = awaiting_entries(self, txn, &all, &n)))
            goto out_abort;
        seqs = all;
    }
    if (!n)
        goto out_abort;   /* nothing to write: no commit, no fsync */
    for (size_t i = 0; i < n && !rc; i++)
        rc = update_entry(self, txn, seqs[i], edit_unsent, NULL, NULL);
    if (rc)
        goto out_abort;
    free(all);
    return map_err(mdb_txn_commit(txn));

out_abort:
    mdb_txn_abort(txn);
    free(all);
    return rc;
}

static void edit_ack(out_hdr_t *h, const void *arg)
{
    const node_ack_t *a = arg;
    h->ack_status = a->status;
    h->reason = a->reason;
    if (a->status == BAOCAO__ACK_STATUS__ACK_STORED
        || a->status == BAOCAO__ACK_STATUS__ACK_DUPLICATE
        || a->status == BAOCAO__ACK_STATUS__ACK_SUPERSEDED) {
        h->state = NODE_DELIVERED;
        h->hub_seq = a->hub_seq;
    } else if (a->status == BAOCAO__ACK_STATUS__ACK_REJECTED) {
        h->state = NODE_REJECTED;
    }
    /* Anything else (RETRY_LATER, UNSPECIFIED, a status of a later protocol
     * version) leaves the entry pending: it is sent again. */
}

int node_outbox_settle(node_outbox_t *self, const node_ack_t *acks, size_t n,
                       int64_t now)
{
    MDB_txn *txn;
    int rc = BC_OK, mrc = mdb_txn_begin(self->env, NULL, 0, &txn);
    if (mrc)
        return map_err(mrc);
    for (size_t i = 0; i < n && !rc; i++) {
        const node_ack_t *a = &acks[i];
        bool final = node_ack_final(a->status);
        rc = update_entry(self, txn, a->seq, edit_ack, a,
                          a->message && *a->message ? a->message : NULL);
        if (!rc && !final
            && a->status == BAOCAO__ACK_STATUS__ACK_RETRY_LATER
            && (a->reason == BAOCAO__REJECT_REASON__REASON_INTERNAL
                || a->reason == BAOCAO__REJECT_REASON__REASON_STORE_FULL)) {
            /* The hub's store could not take it: keep its words for
             * `baocao status`, in this same transaction. */
            const char *m = a->message && *a->message
                                ? a->message : "the hub could not store it";
            rc = map_err(meta_put(self, txn, "hub_store_error", m,
                                  strlen(m)));
            if (!rc)
                rc = map_err(meta_put(self, txn, "hub_store_error_at", &now,
                                      sizeof now));
        }
        if (!rc && final) {
            uint8_t kb[8];
            MDB_val k = seq_key(kb, a->seq);
            mrc = mdb_del(txn, self->dbi[DB_PENDING], &k, NULL);
            rc = mrc == MDB_NOTFOUND ? BC_OK : map_err(mrc);
        }
    }
    if (!rc)
        rc = map_err(meta_put(self, txn, "last_contact", &now, sizeof now));
    if (rc) {
        mdb_txn_abort(txn);
        return rc;
    }
    return map_err(mdb_txn_commit(txn));
}

int node_outbox_set_error(node_outbox_t *self, const char *error)
{
    MDB_txn *txn;
    int mrc = mdb_txn_begin(self->env, NULL, 0, &txn);
    if (mrc)
        return map_err(mrc);
    if ((mrc = meta_put(self, txn, "last_error", error, strlen(error)))) {
        mdb_txn_abort(txn);
        return map_err(mrc);
    }
    return map_err(mdb_txn_commit(txn));
}

int node_outbox_backup(node_outbox_t *self, const char *dir, char *err,
                       size_t errlen)
{
    return bc_store_copy(self->env, dir, err, errlen);
}

int node_outbox_set_retry(node_outbox_t *self, int64_t at)
{
    MDB_txn *txn;
    int mrc = mdb_txn_begin(self->env, NULL, 0, &txn);
    if (mrc)
        return map_err(mrc);
    if ((mrc = meta_put(self, txn, "next_retry", &at, sizeof at))) {
        mdb_txn_abort(txn);
        return map_err(mrc);
    }
    return map_err(mdb_txn_commit(txn));
}

int node_outbox_waiting(node_outbox_t *self, uint64_t *out)
{
    MDB_txn *txn;
    MDB_stat st;
    *out = 0;
    int mrc = mdb_txn_begin(self->env, NULL, MDB_RDONLY, &txn);
    if (mrc)
        return map_err(mrc);
    if (!(mrc = mdb_stat(txn, self->dbi[DB_PENDING], &st)))
        *out = st.ms_entries;
    mdb_txn_abort(txn);
    return map_err(mrc);
}
