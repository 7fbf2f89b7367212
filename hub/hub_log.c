/*
 * hub_log.c -- the hash-chained submission log (see hub_log.h).
 *
 * An entry is a fixed header, then the peer identity, then the exact
 * request bytes, written with MDB_APPEND | MDB_RESERVE so that appending
 * costs one copy and never a page split in the middle of the tree.
 */
#include "hub_log.h"
#include "hub_env.h"
#include "bc_error.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    int64_t received_at;       /* hub clock, us */
    uint8_t hash[32];          /* chain hash of this entry */
    uint32_t outcome;          /* Baocao__Outcome */
    uint32_t reason;           /* Baocao__RejectReason */
    uint32_t peer_len;         /* bytes of peer identity that follow */
    uint32_t req_len;          /* bytes of request that follow the peer */
} log_hdr_t;

/* The log's key: seq, big-endian. */
static MDB_val key_seq(uint8_t buf[8], uint64_t seq)
{
    hub_put_be64(buf, seq);
    return (MDB_val){8, buf};
}

/* An entry's fields from its stored record. */
static void entry_from(uint64_t seq, const MDB_val *v, hub_log_entry_t *e)
{
    log_hdr_t h;
    memcpy(&h, v->mv_data, sizeof h);
    e->seq = seq;
    e->received_at = h.received_at;
    e->peer = (const char *) v->mv_data + sizeof h;
    e->peer_len = h.peer_len;
    e->outcome = h.outcome;
    e->reason = h.reason;
    e->request = (const uint8_t *) v->mv_data + sizeof h + h.peer_len;
    e->request_len = h.req_len;
    memset(e->prev_hash, 0, 32);
    memcpy(e->hash, h.hash, 32);
}

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
    hub_put_be64(b, seq);
    crypto_hash_sha256_update(&st, b, 8);
    hub_put_be64(b, (uint64_t) received_at);
    crypto_hash_sha256_update(&st, b, 8);
    hub_put_be32(b, (uint32_t) peer_len);
    crypto_hash_sha256_update(&st, b, 4);
    crypto_hash_sha256_update(&st, (const uint8_t *) peer, peer_len);
    hub_put_be32(b, outcome);
    crypto_hash_sha256_update(&st, b, 4);
    hub_put_be32(b, reason);
    crypto_hash_sha256_update(&st, b, 4);
    crypto_hash_sha256_update(&st, req_digest, 32);
    crypto_hash_sha256_final(&st, out);
}

uint64_t hub_store_last_seq(hub_store_t *self)
{
    return __atomic_load_n(&self->last_seq, __ATOMIC_ACQUIRE);
}

void hub_log_tail_save(const hub_store_t *s, hub_log_tail_t *out)
{
    out->seq = s->last_seq;
    memcpy(out->hash, s->last_hash, 32);
}

void hub_log_tail_restore(hub_store_t *s, const hub_log_tail_t *tail)
{
    __atomic_store_n(&s->last_seq, tail->seq, __ATOMIC_RELEASE);
    memcpy(s->last_hash, tail->hash, 32);
}

int hub_log_finish(hub_store_t *s, MDB_txn *txn, const hub_log_tail_t *tail,
                   int rc)
{
    int mrc;
    if (rc) {
        mdb_txn_abort(txn);
        hub_log_tail_restore(s, tail);
        return rc;
    }
    if ((mrc = mdb_txn_commit(txn))) {
        hub_log_tail_restore(s, tail);
        return hub_env_err(mrc);
    }
    return BC_OK;
}

int hub_log_read_tail(hub_store_t *s, MDB_txn *txn)
{
    MDB_cursor *cur;
    MDB_val k, v;
    int mrc = mdb_cursor_open(txn, s->dbi[HUB_DB_LOG], &cur);
    if (mrc)
        return mrc;
    if (mdb_cursor_get(cur, &k, &v, MDB_LAST) == 0) {
        log_hdr_t h;
        memcpy(&h, v.mv_data, sizeof h);
        s->last_seq = hub_get_be64(k.mv_data);
        memcpy(s->last_hash, h.hash, 32);
    }
    mdb_cursor_close(cur);
    return 0;
}

int hub_log_append(hub_store_t *s, MDB_txn *txn, hub_item_t *it,
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
    MDB_val k = key_seq(kb, seq);
    MDB_val v = {sizeof h + peer_len + it->raw_len, NULL};
    int mrc = mdb_put(txn, s->dbi[HUB_DB_LOG], &k, &v,
                      MDB_APPEND | MDB_RESERVE);
    if (mrc)
        return hub_env_err(mrc);
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

const Baocao__Submission *hub_log_submission(hub_store_t *s, MDB_txn *txn,
                                             uint64_t seq, bc_arena_t *arena)
{
    uint8_t kb[8];
    MDB_val k = key_seq(kb, seq), v;
    if (mdb_get(txn, s->dbi[HUB_DB_LOG], &k, &v) != 0)
        return NULL;
    hub_log_entry_t e;
    entry_from(seq, &v, &e);
    Baocao__Request *req = baocao__request__unpack(
        bc_arena_allocator(arena), e.request_len, e.request);
    if (!req || req->body_case != BAOCAO__REQUEST__BODY_SUBMIT)
        return NULL;
    return req->submit;
}

int hub_reader_log(hub_reader_t *self, uint64_t from, hub_log_fn fn, void *arg)
{
    MDB_cursor *cur;
    MDB_dbi dbi = self->store->dbi[HUB_DB_LOG];
    int mrc = mdb_cursor_open(self->txn, dbi, &cur);
    if (mrc)
        return hub_env_err(mrc);
    uint8_t kb[8];
    MDB_val k = key_seq(kb, from), v;
    uint8_t prev[32] = {0};
    /* The entry before `from` holds its prev_hash. */
    if (from > 1) {
        uint8_t pb[8];
        MDB_val pk = key_seq(pb, from - 1), pv;
        if (mdb_get(self->txn, dbi, &pk, &pv) == 0) {
            log_hdr_t h;
            memcpy(&h, pv.mv_data, sizeof h);
            memcpy(prev, h.hash, 32);
        }
    }
    int rc = BC_OK;
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); mrc == 0;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        hub_log_entry_t e;
        entry_from(hub_get_be64(k.mv_data), &v, &e);
        memcpy(e.prev_hash, prev, 32);
        memcpy(prev, e.hash, 32);
        if (fn(arg, &e))
            break;
    }
    mdb_cursor_close(cur);
    if (mrc != 0 && mrc != MDB_NOTFOUND)
        rc = hub_env_err(mrc);
    return rc;
}

int hub_reader_log_entry(hub_reader_t *self, uint64_t seq,
                         hub_log_entry_t *out)
{
    uint8_t kb[8];
    MDB_val k = key_seq(kb, seq), v;
    int mrc = mdb_get(self->txn, self->store->dbi[HUB_DB_LOG], &k, &v);
    if (mrc == MDB_NOTFOUND)
        return BC_ENOTFOUND;
    if (mrc)
        return hub_env_err(mrc);
    entry_from(seq, &v, out);
    return BC_OK;
}

/* One entry of hub_log_verify's walk. */
static int check_entry(void *arg, const hub_log_entry_t *e)
{
    hub_log_check_t *c = arg;
    uint8_t digest[32], hash[32];
    if (e->seq != c->head_seq + 1) {
        c->bad_seq = c->head_seq + 1;
        snprintf(c->problem, sizeof c->problem, "entry %llu is missing "
                 "(next found: %llu)", (unsigned long long) c->bad_seq,
                 (unsigned long long) e->seq);
        return 1;
    }
    hub_request_digest(e->request, e->request_len, digest);
    hub_log_hash(c->head_hash, e->seq, e->received_at, e->peer, e->peer_len,
                 e->outcome, e->reason, digest, hash);
    if (memcmp(hash, e->hash, 32) != 0) {
        c->bad_seq = e->seq;
        snprintf(c->problem, sizeof c->problem, "entry %llu does not match "
                 "its chain hash (altered)", (unsigned long long) e->seq);
        return 1;
    }
    c->entries++;
    c->head_seq = e->seq;
    memcpy(c->head_hash, hash, 32);
    return 0;
}

int hub_log_verify(hub_reader_t *self, hub_log_check_t *out)
{
    memset(out, 0, sizeof *out);
    return hub_reader_log(self, 1, check_entry, out);
}
