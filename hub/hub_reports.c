/*
 * hub_reports.c -- deduplication, revisions and current figures (see
 * hub_reports.h).
 *
 * Records are fixed headers in host byte order (the audit export is the
 * portable form). A current report's figures are packed as varints
 * (indicator sid delta, zigzag value: ~3 bytes a figure instead of 16), so
 * that a facility's year to date is a dozen small decodes, behind a small
 * skip index so that one indicator of it is reached without walking the
 * pairs before it (a slice's read). The exact bytes received are in the
 * log entry `seq`.
 */
#include "hub_reports.h"
#include "hub_env.h"
#include "hub_log.h"
#include "bc_error.h"
#include "bc_mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* subs: where a submission id went. */
typedef struct {
    uint64_t seq;              /* log entry of the accepted submission */
    uint32_t unit_sid;         /* its unit */
    uint32_t period;           /* its period */
    uint32_t revision;         /* its revision */
    uint32_t outcome;          /* Baocao__Outcome it got */
} sub_rec_t;

/* revs: one revision. */
typedef struct {
    uint64_t seq;              /* log entry of this revision */
    int64_t filed_at;          /* node's filing time, s */
    int64_t received_at;       /* hub receipt, us */
    uint8_t id[16];            /* submission id */
} rev_rec_t;

/* A current report: this header, its skip index (when nvals says one
 * follows), then its figures packed as varints (indicator sid delta,
 * zigzag value: ~3 bytes a figure instead of 16), so that a facility's
 * year to date is a dozen small decodes. The exact bytes received are in
 * the log entry `seq`. */
typedef struct {
    uint32_t revision;         /* current revision */
    uint32_t nvals;            /* figures that follow (low 24 bits), the
                                  skip index's block (top 8: CUR_SHIFT) */
    uint64_t seq;              /* log entry of the current revision */
    int64_t filed_at;          /* current revision's filing time, s */
    int64_t received_at;       /* current revision's receipt, us */
    int64_t first_filed_at;    /* earliest filing of any revision, s */
    int64_t first_received_at; /* receipt of that earliest filing, us */
} cur_hdr_t;

/* The skip index. A slice wants one indicator of 2,400 reports; without
 * the index each is walked pair by pair up to it (~50 varint pairs, two
 * thirds of a district slice's instructions). With it, the walk starts at
 * the block of 2^CUR_SHIFT figures that holds the indicator: one entry a
 * block after the first, 8 bytes each (48 bytes for 100 figures; store
 * bytes a report +1 %, BENCHMARKS.md "SliceQuery").
 *
 * The top byte of nvals is the record's own block shift, so that a record
 * says how it was written: 0 for records written before the index
 * (walked from the start), and a later CUR_SHIFT cannot misread earlier
 * records. The low 24 bits hold the count: a record holds one
 * submission's figures, at most the hub's --max-values (100,000). */
#define CUR_SHIFT 4u
#define CUR_COUNT_MASK 0x00ffffffu

typedef struct {
    uint32_t prev_sid;         /* sid of the figure before the block */
    uint32_t offset;           /* the block's first byte, from the pairs' */
} cur_skip_t;

static uint32_t cur_nvals(const cur_hdr_t *h)
{
    return h->nvals & CUR_COUNT_MASK;
}

/* The record's block shift; 0: no skip index. */
static unsigned cur_shift(const cur_hdr_t *h)
{
    unsigned shift = h->nvals >> 24;
    return shift < 32 ? shift : 0;   /* a damaged record: walked whole */
}

static size_t cur_nskip(const cur_hdr_t *h)
{
    uint32_t n = cur_nvals(h);
    unsigned shift = cur_shift(h);
    return shift && n ? (n - 1) >> shift : 0;
}

/* Where a record's packed pairs start (its header read into h), NULL if
 * the record is too short for its index: a damaged record. */
static const uint8_t *cur_pairs(const MDB_val *v, const cur_hdr_t *h)
{
    size_t at = sizeof *h + cur_nskip(h) * sizeof(cur_skip_t);
    return at <= v->mv_size ? (const uint8_t *) v->mv_data + at : NULL;
}

/* Key of revs: period, unit sid, revision (big-endian). */
static MDB_val key_rev(uint8_t buf[12], uint32_t unit_sid, uint32_t period,
                       uint32_t revision)
{
    hub_put_be32(buf, period);
    hub_put_be32(buf + 4, unit_sid);
    hub_put_be32(buf + 8, revision);
    return (MDB_val){12, buf};
}

/* --- packed figures ------------------------------------------------------ */

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
    /* Most are one byte (sid deltas, small counts): no loop for them. */
    if (p < end && !(*p & 0x80)) {
        *v = *p;
        return 1;
    }
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

/* The length of the varint at p without decoding it, 0 if truncated. */
static size_t skip_varint(const uint8_t *p, const uint8_t *end)
{
    for (size_t n = 0; p + n < end && n < 10; n++)
        if (!(p[n] & 0x80))
            return n + 1;
    return 0;
}

/* Worst case 5 + 10 bytes a figure. */
#define PACKED_MAX(n) ((n) * 15)

/* Packs n figures into out, its skip entries into skip (room for
 * (n - 1) >> CUR_SHIFT of them); returns the pairs' length. */
static size_t pack_vals(const hub_val_t *v, size_t n, uint8_t *out,
                        cur_skip_t *skip)
{
    size_t len = 0;
    uint32_t prev = 0;
    for (size_t i = 0; i < n; i++) {
        if (i && !(i & ((1u << CUR_SHIFT) - 1)))
            skip[(i >> CUR_SHIFT) - 1] = (cur_skip_t){prev, (uint32_t) len};
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
    uint32_t nvals = cur_nvals(&h);
    hub_val_t *vals = bc_arena_alloc(arena, (nvals + 1) * sizeof *vals);
    const uint8_t *p = cur_pairs(v, &h);
    const uint8_t *end = (const uint8_t *) v->mv_data + v->mv_size;
    *n = p ? unpack_vals(p, (size_t) (end - p), nvals, vals) : 0;
    return vals;
}

/* --- ingest ---------------------------------------------------------------- */

/* Second half of hub_reports_ingest: the item is new and its revision number is
 * free; old (may be NULL) is the current revision and old_vals its values. */
static int ingest_decided(hub_store_t *s, MDB_txn *txn,
                          hub_rollup_batch_t *batch,
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
    if ((rc = hub_log_append(s, txn, it, now_us, outcome)))
        return rc;

    cur_hdr_t h = old;
    const hub_val_t *vals = old_vals;
    size_t nvals = nold;
    if (current) {
        if ((rc = hub_rollup_apply(s, txn, batch, it->unit, it->period,
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
    if (nvals > CUR_COUNT_MASK)
        return BC_ERANGE;   /* not reached: --max-values is at most 100,000 */
    h.nvals = (uint32_t) nvals | CUR_SHIFT << 24;
    size_t slen = cur_nskip(&h) * sizeof(cur_skip_t);
    uint8_t *packed = bc_arena_alloc(s->arena, slen + PACKED_MAX(nvals) + 1);
    size_t plen = pack_vals(vals, nvals, packed + slen, (cur_skip_t *) packed);
    v = (MDB_val){sizeof h + slen + plen, NULL};
    if ((mrc = mdb_put(txn, s->dbi[HUB_DB_CUR], ck, &v, MDB_RESERVE)))
        return hub_env_err(mrc);
    memcpy(v.mv_data, &h, sizeof h);
    memcpy((uint8_t *) v.mv_data + sizeof h, packed, slen + plen);
    return BC_OK;
}

int hub_reports_ingest(hub_store_t *s, MDB_txn *txn, hub_rollup_batch_t *batch,
                       hub_item_t *it, int64_t now_us)
{
    int mrc, rc;
    MDB_val k, v;

    /* Resend of a known id: answer as before, change nothing but the log. */
    k = (MDB_val){16, (void *) it->id};
    mrc = mdb_get(txn, s->dbi[HUB_DB_SUBS], &k, &v);
    if (mrc == 0) {
        sub_rec_t prev;
        memcpy(&prev, v.mv_data, sizeof prev);
        it->status = BAOCAO__ACK_STATUS__ACK_DUPLICATE;
        it->reason = BAOCAO__REJECT_REASON__REASON_NONE;
        uint8_t cb[8];
        MDB_val ck = hub_key_up(cb, prev.unit_sid, prev.period), cv;
        if (mdb_get(txn, s->dbi[HUB_DB_CUR], &ck, &cv) == 0) {
            cur_hdr_t ch;
            memcpy(&ch, cv.mv_data, sizeof ch);
            it->current_revision = ch.revision;
        }
        rc = hub_log_append(s, txn, it, now_us, BAOCAO__OUTCOME__OUTCOME_DUPLICATE);
        it->seq = prev.seq;   /* the ack names where the original went */
        return rc;
    }
    if (mrc != MDB_NOTFOUND)
        return hub_env_err(mrc);

    /* A (unit, period) under an approval is locked (hub_approvals.h):
     * corrections and first filings alike, nothing stored. */
    hub_approval_t lock;
    if ((rc = hub_approvals_covering(s, txn, it->unit, it->period, &lock)))
        return rc;
    if (lock.present) {
        char what[240], pb[BC_PERIOD_STRLEN];
        it->status = BAOCAO__ACK_STATUS__ACK_REJECTED;
        it->reason = BAOCAO__REJECT_REASON__REASON_LOCKED;
        snprintf(it->message, sizeof it->message, "%s %s is locked: %s; "
                 "ask for it to be unapproved before filing a correction",
                 it->unit->code, bc_period_format(it->period, pb),
                 hub_approval_describe(&lock, what, sizeof what));
        return hub_log_append(s, txn, it, now_us,
                              BAOCAO__OUTCOME__OUTCOME_REJECTED);
    }

    /* A revision number already taken by another submission id. */
    uint8_t rb[12];
    k = key_rev(rb, it->unit->sid, it->period, it->revision);
    mrc = mdb_get(txn, s->dbi[HUB_DB_REVS], &k, &v);
    if (mrc == 0) {
        it->status = BAOCAO__ACK_STATUS__ACK_REJECTED;
        it->reason = BAOCAO__REJECT_REASON__REASON_BAD_REVISION;
        snprintf(it->message, sizeof it->message, "revision %u of %s is "
                 "already taken by another submission; a correction needs a "
                 "new revision number", it->revision, it->unit->code);
        return hub_log_append(s, txn, it, now_us,
                          BAOCAO__OUTCOME__OUTCOME_REJECTED);
    }
    if (mrc != MDB_NOTFOUND)
        return hub_env_err(mrc);

    /* Current revision of (unit, period), if any. */
    uint8_t cb[8];
    MDB_val ck = hub_key_up(cb, it->unit->sid, it->period), cv;
    cur_hdr_t old = {0};
    hub_val_t *old_vals = NULL;   /* in the arena, decoded from the log */
    size_t nold = 0;
    mrc = mdb_get(txn, s->dbi[HUB_DB_CUR], &ck, &cv);
    bool have_old = mrc == 0;
    if (have_old) {
        memcpy(&old, cv.mv_data, sizeof old);
        old_vals = cur_values(&cv, s->arena, &nold);
    } else if (mrc != MDB_NOTFOUND) {
        return hub_env_err(mrc);
    }
    rc = ingest_decided(s, txn, batch, it, now_us, &ck,
                        have_old ? &old : NULL, old_vals, nold);
    if (rc)
        return rc;
    rev_rec_t rr = {it->seq, it->filed_at, now_us, {0}};
    memcpy(rr.id, it->id, 16);
    k = key_rev(rb, it->unit->sid, it->period, it->revision);
    v = (MDB_val){sizeof rr, &rr};
    if ((mrc = mdb_put(txn, s->dbi[HUB_DB_REVS], &k, &v, 0)))
        return hub_env_err(mrc);
    uint32_t outcome = it->status == BAOCAO__ACK_STATUS__ACK_STORED
                           ? BAOCAO__OUTCOME__OUTCOME_STORED
                           : BAOCAO__OUTCOME__OUTCOME_SUPERSEDED;
    sub_rec_t sr = {it->seq, it->unit->sid, it->period, it->revision, outcome};
    k = (MDB_val){16, (void *) it->id};
    v = (MDB_val){sizeof sr, &sr};
    if ((mrc = mdb_put(txn, s->dbi[HUB_DB_SUBS], &k, &v, MDB_NOOVERWRITE)))
        return hub_env_err(mrc);
    return BC_OK;
}


/* --- for the other rooms -------------------------------------------------- */

int hub_reports_values(hub_store_t *s, MDB_txn *txn, uint32_t unit_sid,
                       uint32_t period, bc_arena_t *arena,
                       const hub_val_t **vals, size_t *n)
{
    uint8_t kb[8];
    MDB_val k = hub_key_up(kb, unit_sid, period), v;
    int mrc = mdb_get(txn, s->dbi[HUB_DB_CUR], &k, &v);
    if (mrc == MDB_NOTFOUND)
        return BC_ENOTFOUND;
    if (mrc)
        return hub_env_err(mrc);
    *vals = cur_values(&v, arena, n);
    return BC_OK;
}

/* The figures sids[0..n) of one packed cur record, into vals and counts
 * (1 when reported). Figures are sorted by sid: the walk stops once past
 * the largest one wanted. */
static void pick_packed(const MDB_val *v, const uint32_t *sids, size_t n,
                        int64_t *vals, uint32_t *counts)
{
    cur_hdr_t h;
    memcpy(&h, v->mv_data, sizeof h);
    const uint8_t *p = cur_pairs(v, &h);
    const uint8_t *end = (const uint8_t *) v->mv_data + v->mv_size;
    uint32_t sid = 0, max = 0, nvals = cur_nvals(&h);
    size_t left = n;
    if (!p)
        return;   /* a damaged record: nothing of it */
    if (n == 1) {
        /* A slice's case, one indicator: from the block that holds it (the
         * skip index), a tight walk over the pairs before it, their values
         * skipped byte by byte. */
        size_t nskip = cur_nskip(&h), k = 0, off = 0;
        const uint8_t *ix = (const uint8_t *) v->mv_data + sizeof h;
        for (; k < nskip; k++) {   /* entry k: the block k + 1 */
            cur_skip_t e;
            memcpy(&e, ix + k * sizeof e, sizeof e);
            if (e.prev_sid >= sids[0])
                break;
            sid = e.prev_sid;
            off = e.offset;
        }
        if (off > (size_t) (end - p))
            return;
        p += off;
        for (uint32_t i = (uint32_t) k << cur_shift(&h); i < nvals && p < end;
             i++) {
            uint64_t d, z;
            if (!(*p & 0x80))
                d = *p++;
            else {
                size_t a = get_varint(p, end, &d);
                if (!a)
                    return;
                p += a;
            }
            sid += (uint32_t) d;
            if (sid > sids[0])
                return;
            if (sid == sids[0]) {
                if (get_varint(p, end, &z)) {
                    vals[0] = (int64_t) (z >> 1) ^ -(int64_t) (z & 1);
                    counts[0] = 1;
                }
                return;
            }
            while (p < end && (*p & 0x80))
                p++;
            if (p >= end)
                return;
            p++;
        }
        return;
    }
    for (size_t j = 0; j < n; j++)
        max = sids[j] > max ? sids[j] : max;
    for (uint32_t i = 0; i < nvals && left && sid <= max; i++) {
        uint64_t d, z;
        size_t a = get_varint(p, end, &d);
        if (!a)
            break;
        sid += (uint32_t) d;
        /* The others' values are skipped, not decoded. */
        bool wanted = false;
        for (size_t j = 0; j < n && !wanted; j++)
            wanted = sids[j] == sid;
        size_t b = wanted ? get_varint(p + a, end, &z)
                          : skip_varint(p + a, end);
        if (!b)
            break;
        p += a + b;
        if (!wanted)
            continue;
        for (size_t j = 0; j < n; j++)
            if (sids[j] == sid) {
                vals[j] = (int64_t) (z >> 1) ^ -(int64_t) (z & 1);
                counts[j] = 1;
                left--;
            }
    }
}

/* A record the walk found, read once the walk is over. */
typedef struct {
    size_t row;             /* its row */
    MDB_val v;              /* the record (valid for the transaction) */
} found_t;

typedef struct {
    found_t *found;         /* records found, in walk order */
    size_t nfound;          /* how many */
} pick_arg_t;

static void pick_row(void *arg, size_t i, const MDB_val *v)
{
    pick_arg_t *a = arg;
    a->found[a->nfound++] = (found_t){i, *v};
    /* Ask for the record's bytes now: the walk goes on to the next ones
     * while they come from memory. A district slice reads 2,400 reports
     * of ~350 bytes scattered over the store, and waiting for each in
     * turn was most of its time (7,300 last-level misses a request,
     * BENCHMARKS.md "SliceQuery"). */
#ifdef __GNUC__
    const char *p = v->mv_data;
    size_t len = v->mv_size < 512 ? v->mv_size : 512;
    for (size_t off = 64; off < len; off += 64)
        __builtin_prefetch(p + off);
#endif
}

int hub_reports_pick_units(hub_store_t *s, MDB_txn *txn, uint32_t period,
                           const uint32_t *unit_sids, size_t nunits,
                           const uint32_t *sids, size_t n, int64_t *vals,
                           uint32_t *counts)
{
    found_t stack[64];
    pick_arg_t a = {nunits <= 64 ? stack
                                  : bc_malloc(nunits * sizeof *a.found), 0};
    int rc = hub_env_walk(txn, s->dbi[HUB_DB_CUR], period, unit_sids, nunits,
                          pick_row, &a);
    for (size_t k = 0; k < a.nfound && !rc; k++) {
        size_t i = a.found[k].row;
        pick_packed(&a.found[k].v, sids, n, vals + i * n, counts + i * n);
    }
    if (a.found != stack)
        free(a.found);
    return rc;
}

/* The report info held in a cur record's header. */
static void info_from(const MDB_val *v, hub_report_info_t *out)
{
    cur_hdr_t h;
    memcpy(&h, v->mv_data, sizeof h);
    out->present = true;
    out->revision = h.revision;
    out->filed_at = h.filed_at;
    out->first_filed_at = h.first_filed_at;
    out->first_received_at = h.first_received_at;
    out->seq = h.seq;
}

int hub_reports_each(hub_store_t *s, MDB_txn *txn, bc_arena_t *arena,
                     hub_reports_fn fn, void *arg)
{
    MDB_cursor *cur;
    MDB_val k, v;
    int mrc = mdb_cursor_open(txn, s->dbi[HUB_DB_CUR], &cur);
    if (mrc)
        return hub_env_err(mrc);
    int rc = BC_OK;
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0 && !rc;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        hub_report_info_t info;
        info_from(&v, &info);
        hub_val_t *vals = NULL;
        size_t n = 0;
        if (arena) {
            bc_arena_reset(arena);
            vals = cur_values(&v, arena, &n);
        }
        rc = fn(arg, hub_key_unit(&k), hub_key_period(&k), &info, vals, n);
    }
    mdb_cursor_close(cur);
    if (!rc && mrc != 0 && mrc != MDB_NOTFOUND)
        rc = hub_env_err(mrc);
    return rc;
}

/* --- reading ---------------------------------------------------------------- */

int hub_reader_report(hub_reader_t *self, const bc_unit_t *unit,
                      bc_period_t period, hub_report_info_t *out)
{
    uint8_t kb[8];
    MDB_val k = hub_key_up(kb, unit->sid, period), v;
    memset(out, 0, sizeof *out);
    int mrc = mdb_get(self->txn, self->store->dbi[HUB_DB_CUR], &k, &v);
    if (mrc == MDB_NOTFOUND)
        return BC_OK;
    if (mrc)
        return hub_env_err(mrc);
    info_from(&v, out);
    return BC_OK;
}

int hub_reader_period_units(hub_reader_t *self, bc_period_t period,
                            hub_period_unit_fn fn, void *arg)
{
    MDB_cursor *cur;
    int mrc = mdb_cursor_open(self->txn, self->store->dbi[HUB_DB_CUR], &cur);
    if (mrc)
        return hub_env_err(mrc);
    uint8_t kb[8];
    MDB_val k = hub_key_up(kb, 0, period), v;
    int rc = BC_OK;
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); mrc == 0 && !rc;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (hub_key_period(&k) != period)
            break;
        rc = fn(arg, hub_key_unit(&k));
    }
    mdb_cursor_close(cur);
    if (!rc && mrc != 0 && mrc != MDB_NOTFOUND)
        rc = hub_env_err(mrc);
    return rc;
}

static int revisions_sid(hub_reader_t *self, uint32_t sid, bc_period_t period,
                         hub_revision_fn fn, void *arg)
{
    MDB_cursor *cur;
    int mrc = mdb_cursor_open(self->txn, self->store->dbi[HUB_DB_REVS], &cur);
    if (mrc)
        return hub_env_err(mrc);
    uint8_t kb[12];
    MDB_val k = key_rev(kb, sid, period, 0), v;
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); mrc == 0;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 12 || hub_key_unit(&k) != sid
            || hub_key_period(&k) != period)
            break;
        rev_rec_t rr;
        memcpy(&rr, v.mv_data, sizeof rr);
        fn(arg, hub_get_be32((uint8_t *) k.mv_data + 8), rr.seq, rr.filed_at,
           rr.received_at);
    }
    mdb_cursor_close(cur);
    return mrc == 0 || mrc == MDB_NOTFOUND ? BC_OK : hub_env_err(mrc);
}

int hub_reader_revisions_code(hub_reader_t *self, const char *unit,
                              bc_period_t period, hub_revision_fn fn,
                              void *arg)
{
    uint32_t sid;
    int rc = hub_env_unit_sid(self, unit, &sid);
    return rc ? rc : revisions_sid(self, sid, period, fn, arg);
}

int hub_reader_submission(hub_reader_t *self, const uint8_t id[16],
                          uint64_t *seq, uint32_t *unit_sid)
{
    MDB_val k = {16, (void *) id}, v;
    int mrc = mdb_get(self->txn, self->store->dbi[HUB_DB_SUBS], &k, &v);
    if (mrc == MDB_NOTFOUND)
        return BC_ENOTFOUND;
    if (mrc)
        return hub_env_err(mrc);
    if (v.mv_size < sizeof(sub_rec_t))
        return BC_ESTORE;
    sub_rec_t rec;
    memcpy(&rec, v.mv_data, sizeof rec);
    *seq = rec.seq;
    *unit_sid = rec.unit_sid;
    return BC_OK;
}

uint32_t hub_reader_current_revision(hub_reader_t *self, const char *unit,
                                     bc_period_t period)
{
    uint32_t sid;
    if (hub_env_unit_sid(self, unit, &sid))
        return 0;
    uint8_t kb[8];
    MDB_val k = hub_key_up(kb, sid, period), v;
    if (mdb_get(self->txn, self->store->dbi[HUB_DB_CUR], &k, &v) != 0)
        return 0;
    cur_hdr_t h;
    memcpy(&h, v.mv_data, sizeof h);
    return h.revision;
}
