/*
 * node_outbox_status.c -- the outbox as people read it (node_outbox.h):
 * the entries and their counts for `baocao status` and the station form,
 * the marks staff put on rejections they have seen, the note of the
 * store's own last error, and the words for a full or failing disk.
 *
 * Apart from the durable core (node_outbox.c) because none of it files,
 * sends or settles a report: it reads entries as they are, and what it
 * writes (a seen mark, the error note) never touches an entry or the
 * pending index, so the core's one invariant stays in one file. Both
 * files read entries through node_outbox_int.h.
 */
#include "node_outbox_int.h"
#include "baocao.pb-c.h"
#include "bc_fs.h"
#include "bc_wire.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Where the last error of the store itself is noted: a plain file beside
 * the LMDB files, because the store cannot record its own failure. */
#define STORE_ERROR_FILE "store-error"

/* "1.9 MiB", "640 KiB", "512 B". */
static void human_bytes(uint64_t n, char *buf, size_t len)
{
    if (n >= 1ULL << 30)
        snprintf(buf, len, "%.1f GiB", (double) n / (1ULL << 30));
    else if (n >= 1ULL << 20)
        snprintf(buf, len, "%.1f MiB", (double) n / (1ULL << 20));
    else if (n >= 1ULL << 10)
        snprintf(buf, len, "%.0f KiB", (double) n / (1ULL << 10));
    else
        snprintf(buf, len, "%llu B", (unsigned long long) n);
}

void node_outbox_explain(const node_outbox_t *self, int rc, char *buf,
                         size_t len)
{
    uint64_t avail = 0;
    char amount[32];
    switch (rc) {
    case BC_ENOSPC:
        if (node_outbox_disk_free(self, &avail) == BC_OK)
            human_bytes(avail, amount, sizeof amount);
        else
            snprintf(amount, sizeof amount, "unknown");
        snprintf(buf, len, "the disk holding %s is full (%s free)", self->dir,
                 amount);
        break;
    case BC_EFATAL:
        snprintf(buf, len, "the disk holding %s failed (I/O error): check "
                 "it (dmesg, smartctl)", self->dir);
        break;
    default:
        snprintf(buf, len, "%s", bc_strerror(rc));
        break;
    }
}

void node_outbox_note_store_error(const node_outbox_t *self,
                                  const char *text)
{
    /* Write then rename, so a reader sees the old note or the new one. A
     * full or failing disk may refuse even this: the daemon's log has it. */
    char path[4096], line[600], err[512];
    snprintf(path, sizeof path, "%s/%s", self->dir, STORE_ERROR_FILE);
    int n = snprintf(line, sizeof line, "%lld %s\n", (long long) time(NULL),
                     text);
    if (n >= (int) sizeof line) {       /* cut, but still one line */
        n = (int) sizeof line - 1;
        line[n - 1] = '\n';
    }
    (void) bc_file_replace(path, line, (size_t) n, 0644, err, sizeof err);
}

/* Reads the note left by node_outbox_note_store_error(), if any. */
static void read_store_error(const node_outbox_t *self, node_stats_t *out)
{
    char path[4096], line[512];
    snprintf(path, sizeof path, "%s/%s", self->dir, STORE_ERROR_FILE);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    long long at;
    int off = 0;
    if (fgets(line, sizeof line, f) && sscanf(line, "%lld %n", &at, &off) == 1
        && off > 0) {
        line[strcspn(line, "\n")] = '\0';
        out->store_error_at = at;
        snprintf(out->store_error, sizeof out->store_error, "%s", line + off);
    }
    fclose(f);
}

/* Decodes an entry for display. */
static void describe(const MDB_val *k, const MDB_val *v, node_entry_t *e)
{
    out_hdr_t h;
    memcpy(&h, v->mv_data, sizeof h);
    memset(e, 0, sizeof *e);
    e->seq = key_seq(k);
    e->state = (node_state_t) h.state;
    e->attempts = h.attempts;
    e->filed_at = h.filed_at;
    e->last_sent = h.last_sent;
    e->ack_status = h.ack_status == AWAITING_ANSWER ? 0 : h.ack_status;
    e->reason = h.reason;
    e->hub_seq = h.hub_seq;
    e->awaiting = h.state == NODE_PENDING && h.ack_status == AWAITING_ANSWER;
    const uint8_t *blob = (const uint8_t *) v->mv_data + sizeof h;
    Baocao__Submission *sub = baocao__submission__unpack(NULL, h.blob_len,
                                                         blob);
    if (sub) {
        snprintf(e->unit, sizeof e->unit, "%s", sub->unit);
        snprintf(e->period, sizeof e->period, "%s", sub->period);
        e->revision = sub->revision;
        bc_id_hex(sub->id.data, sub->id.len, e->id);
        baocao__submission__free_unpacked(sub, NULL);
    }
    size_t mlen = h.msg_len < sizeof e->message - 1 ? h.msg_len
                                                    : sizeof e->message - 1;
    memcpy(e->message, blob + h.blob_len, mlen);
    e->message[mlen] = '\0';
}

int node_outbox_each(node_outbox_t *self, node_entry_fn fn, void *arg)
{
    MDB_txn *txn;
    MDB_cursor *cur;
    int mrc = mdb_txn_begin(self->env, NULL, MDB_RDONLY, &txn);
    if (mrc)
        return map_err(mrc);
    if ((mrc = mdb_cursor_open(txn, self->dbi[DB_OUT], &cur))) {
        mdb_txn_abort(txn);
        return map_err(mrc);
    }
    MDB_val k, v, sv;
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        node_entry_t e;
        describe(&k, &v, &e);
        e.seen = e.state == NODE_REJECTED
                 && mdb_get(txn, self->dbi[DB_SEEN], &k, &sv) == 0;
        fn(arg, &e);
    }
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    return BC_OK;
}

static void count_entry(void *arg, const node_entry_t *e)
{
    node_stats_t *st = arg;
    if (e->state == NODE_DELIVERED)
        st->delivered++;
    else if (e->state == NODE_REJECTED) {
        st->rejected++;
        st->rejected_new += !e->seen;
    } else if (e->awaiting)
        st->in_flight++;
    else
        st->pending++;
}

int node_outbox_stats(node_outbox_t *self, node_stats_t *out)
{
    memset(out, 0, sizeof *out);
    int rc = node_outbox_each(self, count_entry, out);
    if (rc)
        return rc;
    MDB_txn *txn;
    int mrc = mdb_txn_begin(self->env, NULL, MDB_RDONLY, &txn);
    if (mrc)
        return map_err(mrc);
    meta_get(self, txn, "last_contact", &out->last_contact,
             sizeof out->last_contact);
    meta_get(self, txn, "last_error", out->last_error,
             sizeof out->last_error - 1);
    meta_get(self, txn, "hub_store_error", out->hub_store_error,
             sizeof out->hub_store_error - 1);
    meta_get(self, txn, "hub_store_error_at", &out->hub_store_error_at,
             sizeof out->hub_store_error_at);
    meta_get(self, txn, "next_retry", &out->next_retry,
             sizeof out->next_retry);
    mdb_txn_abort(txn);
    read_store_error(self, out);
    return BC_OK;
}

int node_outbox_ack_rejected(node_outbox_t *self, uint64_t *marked)
{
    MDB_txn *txn;
    MDB_cursor *cur;
    uint64_t n = 0;
    int mrc = mdb_txn_begin(self->env, NULL, 0, &txn);
    if (mrc)
        return map_err(mrc);
    if ((mrc = mdb_cursor_open(txn, self->dbi[DB_OUT], &cur)))
        goto out_abort;
    /* A mark per rejected entry in its own table: the entries themselves
     * are not rewritten, so the record of each stays as the hub left it. */
    MDB_val k, v, empty = {0, NULL};
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        out_hdr_t h;
        memcpy(&h, v.mv_data, sizeof h);
        if (h.state != NODE_REJECTED)
            continue;
        int prc = mdb_put(txn, self->dbi[DB_SEEN], &k, &empty,
                          MDB_NOOVERWRITE);
        if (prc == 0)
            n++;
        else if (prc != MDB_KEYEXIST) {
            mrc = prc;
            break;
        }
    }
    mdb_cursor_close(cur);
    if (mrc != MDB_NOTFOUND)
        goto out_abort;
    if ((mrc = mdb_txn_commit(txn)))
        return map_err(mrc);
    if (marked)
        *marked = n;
    return BC_OK;

out_abort:
    mdb_txn_abort(txn);
    return map_err(mrc);
}
