/*
 * hub_log.h -- the submission log: every request the hub decided on, in
 * order, with its exact bytes, chained by SHA-256.
 *
 * Database `log`: seq (8 bytes, big-endian, so MDB_APPEND keeps it in
 * order) -> entry (receipt time, chain hash, outcome, reason, peer
 * identity, exact request bytes). Only this room writes it, and only by
 * appending: an entry is never changed or removed.
 *
 * Each entry's hash is SHA-256(previous hash || content), content as
 * specified in proto/README.md, so that any change to a past entry breaks
 * every hash after it. The verifier (baocao audit) recomputes the chain
 * with the same hub_log_hash().
 */
#ifndef HUB_LOG_H
#define HUB_LOG_H

#include "hub_store.h"
#include "bc_arena.h"

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

/* One log entry, fields pointing into the reader's snapshot (valid until
 * the reader is destroyed). */
typedef struct {
    uint64_t seq;                  /* sequence number */
    int64_t received_at;           /* Unix microseconds */
    const char *peer;              /* not NUL-terminated */
    size_t peer_len;               /* its length */
    uint32_t outcome;              /* Baocao__Outcome */
    uint32_t reason;               /* Baocao__RejectReason */
    const uint8_t *request;        /* exact bytes received */
    size_t request_len;            /* their length */
    uint8_t prev_hash[32];         /* previous entry's chain hash */
    uint8_t hash[32];              /* this entry's chain hash */
} hub_log_entry_t;

/* Iterates the log from seq `from` (1 = start). fn returns non-zero to
 * stop. Returns BC_OK or BC_ESTORE. */
typedef int (*hub_log_fn)(void *arg, const hub_log_entry_t *entry);
int hub_reader_log(hub_reader_t *self, uint64_t from, hub_log_fn fn,
                   void *arg);

/* One log entry by sequence number (prev_hash left zero). BC_ENOTFOUND if
 * there is none. */
int hub_reader_log_entry(hub_reader_t *self, uint64_t seq,
                         hub_log_entry_t *out);

/* The chain hash of an entry: SHA-256(prev_hash || content), content as
 * specified in proto/README.md, where the request enters as its own
 * SHA-256 (req_digest, see hub_request_digest). Shared by the store and the
 * verifier. */
void hub_log_hash(const uint8_t prev[32], uint64_t seq, int64_t received_at,
                  const char *peer, size_t peer_len, uint32_t outcome,
                  uint32_t reason, const uint8_t req_digest[32],
                  uint8_t out[32]);

/* SHA-256 of the exact request bytes. The server computes it while it
 * validates, outside the writer thread that holds the commit lock. */
void hub_request_digest(const uint8_t *req, size_t len, uint8_t out[32]);

/* What a walk of the whole chain found. */
typedef struct {
    uint64_t entries;              /* entries read */
    uint64_t bad_seq;              /* first entry that does not chain, 0 if
                                      none */
    uint64_t head_seq;             /* last entry read */
    uint8_t head_hash[32];         /* its chain hash */
    char problem[160];             /* what is wrong at bad_seq, "" if none */
} hub_log_check_t;

/* Recomputes the chain of the whole log from seq 1: every entry's hash
 * from its fields and its exact request bytes, and the sequence numbers
 * without a gap. Stops at the first bad entry. BC_OK (out->bad_seq tells
 * whether the chain is intact) or BC_ESTORE. */
int hub_log_verify(hub_reader_t *self, hub_log_check_t *out);

/* --- for the store's other rooms ----------------------------------------- */

/* Where the log stands, to roll back to when a batch is aborted. */
typedef struct {
    uint64_t seq;                  /* last sequence number */
    uint8_t hash[32];              /* its chain hash */
} hub_log_tail_t;

void hub_log_tail_save(const hub_store_t *s, hub_log_tail_t *out);
void hub_log_tail_restore(hub_store_t *s, const hub_log_tail_t *tail);

/* Ends a write transaction that appended to the log: commits it when rc
 * is BC_OK, aborts it otherwise; when it is aborted or its commit fails,
 * the log's tail goes back to `tail` (saved before the first append).
 * Returns rc, or the commit's error. */
int hub_log_finish(hub_store_t *s, MDB_txn *txn, const hub_log_tail_t *tail,
                   int rc);

/* Reads the last entry's seq and hash into the store (at open). Returns 0
 * or an LMDB error. */
int hub_log_read_tail(hub_store_t *s, MDB_txn *txn);

/* Appends the item's entry with `outcome` (it->reason as the reason), at
 * it->received_at or else now_us, and sets it->seq. The request digest is
 * computed here unless the caller did (it->has_digest). BC_OK, BC_EFULL or
 * BC_ESTORE; the store's tail moves only in memory until the batch commits
 * (the caller restores it on abort). */
int hub_log_append(hub_store_t *s, MDB_txn *txn, hub_item_t *it,
                   int64_t now_us, uint32_t outcome);

/* The submission logged at seq, decoded into the arena; NULL if the entry
 * is missing or holds no submission. */
const Baocao__Submission *hub_log_submission(hub_store_t *s, MDB_txn *txn,
                                             uint64_t seq, bc_arena_t *arena);

#endif
