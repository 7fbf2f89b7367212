/*
 * node_outbox_int.h -- the outbox's record layout and LMDB helpers,
 * private to its two files:
 *
 *   node_outbox.c         the durable core: open and repair, filing and
 *                         revision numbering, what to send, sent and
 *                         unsent marks, settling the hub's answers
 *   node_outbox_status.c  the outbox as people read it: the list and the
 *                         counts of `baocao status`, the seen marks on
 *                         rejections, the store's own error note, the
 *                         words for a full or failing disk
 *
 * One header, so that both read an entry the same way; nothing outside
 * these files includes it (the rest of the node sees node_outbox.h).
 */
#ifndef NODE_OUTBOX_INT_H
#define NODE_OUTBOX_INT_H

#include "node_outbox.h"
#include "bc_error.h"

#include <errno.h>
#include <lmdb.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* The named databases (layout in node_outbox.h). */
enum { DB_OUT, DB_PENDING, DB_REVS, DB_META, DB_SEEN, DB_COUNT };

struct node_outbox_t {
    MDB_env *env;              /* the LMDB environment */
    MDB_dbi dbi[DB_COUNT];     /* the named databases */
    char *dir;                 /* the outbox directory (for messages) */
    uint64_t repaired;         /* entries re-indexed by the open */
};

/* The head of an entry in `out`, followed by the Submission's bytes and
 * the hub's message. */
typedef struct {
    uint32_t state;            /* node_state_t */
    uint32_t attempts;         /* sends so far */
    int64_t filed_at;          /* filing time, s */
    int64_t last_sent;         /* last send, s */
    uint64_t hub_seq;          /* hub log position once acknowledged */
    uint32_t ack_status;       /* last Baocao__AckStatus */
    uint32_t reason;           /* Baocao__RejectReason */
    uint32_t blob_len;         /* bytes of Submission that follow */
    uint32_t msg_len;          /* bytes of hub message after the blob */
} out_hdr_t;

/* out_hdr_t.ack_status of an entry sent and not answered since: not a
 * status the wire can carry (AckStatus values are small), so an answer of
 * ACK_UNSPECIFIED (0) is told apart from no answer at all. */
#define AWAITING_ANSWER UINT32_MAX

/* An LMDB code as the module's own: the map, the disk, a failing disk. */
static inline int map_err(int mrc)
{
    if (mrc == MDB_MAP_FULL)
        return BC_EFULL;
    if (mrc == ENOSPC)
        return BC_ENOSPC;   /* the disk, not the map: say so */
    if (mrc == EIO || mrc == MDB_PANIC)
        return BC_EFATAL;
    return mrc ? BC_ESTORE : BC_OK;
}

/* A local sequence number as a key (big-endian: the keys sort by it). */
static inline MDB_val seq_key(uint8_t b[8], uint64_t seq)
{
    for (int i = 7; i >= 0; i--, seq >>= 8)
        b[i] = (uint8_t) seq;
    return (MDB_val){8, b};
}

/* The sequence number a key holds. */
static inline uint64_t key_seq(const MDB_val *k)
{
    uint64_t seq = 0;
    for (size_t i = 0; i < 8 && i < k->mv_size; i++)
        seq = seq << 8 | ((uint8_t *) k->mv_data)[i];
    return seq;
}

/* Writes a named value in `meta`. Returns an LMDB code. */
static inline int meta_put(node_outbox_t *s, MDB_txn *txn,
                           const char *name, const void *data, size_t len)
{
    MDB_val k = {strlen(name), (void *) name}, v = {len, (void *) data};
    return mdb_put(txn, s->dbi[DB_META], &k, &v, 0);
}

/* Reads a named value of `meta` into data (zero-filled, cut to len).
 * False when it was never written. */
static inline bool meta_get(node_outbox_t *s, MDB_txn *txn,
                            const char *name, void *data, size_t len)
{
    MDB_val k = {strlen(name), (void *) name}, v;
    if (mdb_get(txn, s->dbi[DB_META], &k, &v) != 0)
        return false;
    memset(data, 0, len);
    memcpy(data, v.mv_data, v.mv_size < len ? v.mv_size : len);
    return true;
}

#endif
