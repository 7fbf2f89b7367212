/*
 * hub_approvals.c -- approvals in force and the locks they make (see
 * hub_approvals.h).
 *
 * A record is a fixed header, then the operator's identity, then the note.
 * Finding the lock of a report is a handful of point lookups (the unit and
 * its ancestors, times the period and the periods holding it); a store
 * without any approval answers from the database's entry count, so the
 * submission path costs nothing until the first approval.
 */
#include "hub_approvals.h"
#include "hub_env.h"
#include "hub_log.h"
#include "bc_error.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    int64_t at_us;             /* when it was decided */
    uint64_t seq;              /* its log entry */
    uint32_t by_len;           /* bytes of identity that follow */
    uint32_t reason_len;       /* bytes of note that follow the identity */
} appr_hdr_t;

/* The database handle, 0 when a read-only store predates approvals. */
static MDB_dbi dbi_of(const hub_store_t *s)
{
    return s->dbi[HUB_DB_APPROVALS];
}

static void from_record(const hub_store_t *s, const MDB_val *k,
                        const MDB_val *v, hub_approval_t *out)
{
    appr_hdr_t h;
    memset(out, 0, sizeof *out);
    if (v->mv_size < sizeof h)
        return;
    memcpy(&h, v->mv_data, sizeof h);
    const char *p = (const char *) v->mv_data + sizeof h;
    size_t room = v->mv_size - sizeof h;
    size_t bl = h.by_len <= room ? h.by_len : room;
    size_t rl = h.reason_len <= room - bl ? h.reason_len : room - bl;
    out->present = true;
    out->unit_sid = hub_key_unit(k);
    out->unit = s->reg ? hub_env_unit(s, out->unit_sid) : NULL;
    out->period = hub_key_period(k);
    out->at_us = h.at_us;
    out->seq = h.seq;
    snprintf(out->by, sizeof out->by, "%.*s", (int) bl, p);
    snprintf(out->reason, sizeof out->reason, "%.*s", (int) rl, p + bl);
}

Baocao__RejectReason hub_approval_prepare(const bc_registry_t *reg,
                                          const Baocao__ApprovalRequest *a,
                                          const bc_unit_t **unit,
                                          bc_period_t *period, char *msg,
                                          size_t msglen)
{
    *unit = NULL;
    *period = 0;
    if (!a || !a->unit || !(*unit = bc_registry_find_unit(reg, a->unit))) {
        snprintf(msg, msglen, "unknown unit '%.60s'",
                 a && a->unit ? a->unit : "");
        return BAOCAO__REJECT_REASON__REASON_UNKNOWN_UNIT;
    }
    if (!a->period || bc_period_parse(a->period, period) != BC_OK) {
        snprintf(msg, msglen, "bad period '%.30s' (YYYY-MM, YYYY-Qn, "
                 "YYYY-Hn or YYYY)", a->period ? a->period : "");
        return BAOCAO__REJECT_REASON__REASON_BAD_PERIOD;
    }
    if (a->unapprove && (!a->reason || !a->reason[0])) {
        snprintf(msg, msglen, "unapproving needs a reason (--reason TEXT): "
                 "it goes on record");
        return BAOCAO__REJECT_REASON__REASON_BAD_REQUEST;
    }
    return BAOCAO__REJECT_REASON__REASON_NONE;
}

/* p and the periods holding it, shortest first: a month's quarter, half
 * and year. Returns how many were written (1..4). */
static size_t holding_periods(bc_period_t p, bc_period_t out[4])
{
    size_t n = 0;
    unsigned y = bc_period_year(p), first, last;
    bc_period_type_t t = bc_period_type(p);
    bc_period_months(p, &first, &last);
    out[n++] = p;
    if (t < BC_PT_QUARTER)
        out[n++] = bc_period_make(y, BC_PT_QUARTER, (first - 1) / 3 + 1);
    if (t < BC_PT_HALF)
        out[n++] = bc_period_make(y, BC_PT_HALF, (first - 1) / 6 + 1);
    if (t < BC_PT_YEAR)
        out[n++] = bc_period_make(y, BC_PT_YEAR, 1);
    return n;
}

int hub_approvals_covering(hub_store_t *s, MDB_txn *txn, const bc_unit_t *u,
                           bc_period_t p, hub_approval_t *out)
{
    MDB_stat st;
    memset(out, 0, sizeof *out);
    MDB_dbi dbi = dbi_of(s);
    if (!dbi || !s->reg)
        return BC_OK;
    int mrc = mdb_stat(txn, dbi, &st);
    if (mrc)
        return hub_env_err(mrc);
    if (st.ms_entries == 0)
        return BC_OK;   /* no approval anywhere: the common case */
    bc_period_t all[4], periods[4];
    size_t na = holding_periods(p, all), np = 0;
    /* Keys start with the period: one seek per period says whether any
     * unit is approved for it, so a report of this month, while only past
     * months are approved, costs four seeks and no walk up its tree. */
    MDB_cursor *cur;
    if ((mrc = mdb_cursor_open(txn, dbi, &cur)))
        return hub_env_err(mrc);
    for (size_t i = 0; i < na; i++) {
        uint8_t kb[8];
        MDB_val k = hub_key_up(kb, 0, all[i]), v;
        mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
        if (mrc == 0 && k.mv_size == 8 && hub_key_period(&k) == all[i])
            periods[np++] = all[i];
        else if (mrc && mrc != MDB_NOTFOUND)
            break;
        mrc = 0;
    }
    mdb_cursor_close(cur);
    if (mrc)
        return hub_env_err(mrc);
    int32_t month = bc_registry_month(p);
    /* Up the tree of the period's first month; a bound on the walk in
     * case a registry ever held a cycle. */
    for (unsigned depth = 0; u && np && depth < 64; depth++) {
        for (size_t i = 0; i < np; i++) {
            uint8_t kb[8];
            MDB_val k = hub_key_up(kb, u->sid, periods[i]), v;
            mrc = mdb_get(txn, dbi, &k, &v);
            if (mrc == 0) {
                from_record(s, &k, &v, out);
                return BC_OK;
            }
            if (mrc != MDB_NOTFOUND)
                return hub_env_err(mrc);
        }
        u = bc_registry_parent_at(s->reg, u, month);
    }
    return BC_OK;
}

int hub_reader_approval(hub_reader_t *r, const bc_unit_t *u, bc_period_t p,
                        hub_approval_t *out)
{
    return hub_approvals_covering(r->store, r->txn, u, p, out);
}

char *hub_approval_describe(const hub_approval_t *a, char *buf, size_t len)
{
    char pb[BC_PERIOD_STRLEN], tb[BC_TIME_TEXT];
    bc_period_format(a->period, pb);
    bc_time_format_local(a->at_us / 1000000, tb, sizeof tb);
    snprintf(buf, len, "%s approved %s (%s, %s)",
             a->unit ? a->unit->code : "?", pb,
             a->by[0] ? a->by : "plain mode", tb);
    return buf;
}

void hub_approval_to_wire(const hub_approval_t *a, Baocao__Approval *out,
                          char period_buf[BC_PERIOD_STRLEN])
{
    baocao__approval__init(out);
    out->unit = a->unit ? a->unit->code : (char *) "";
    out->period = bc_period_format(a->period, period_buf);
    out->approved_by = (char *) a->by;
    out->approved_at = a->at_us / 1000000;
    out->seq = a->seq;
    out->reason = (char *) a->reason;
}

/* Looks up the approval of exactly (unit, period). 0, MDB_NOTFOUND or an
 * LMDB error. */
static int get_own(hub_store_t *s, MDB_txn *txn, const bc_unit_t *u,
                   bc_period_t p, uint8_t kb[8], MDB_val *k,
                   hub_approval_t *out)
{
    MDB_val v;
    *k = hub_key_up(kb, u->sid, p);
    int mrc = mdb_get(txn, dbi_of(s), k, &v);
    if (mrc == 0)
        from_record(s, k, &v, out);
    return mrc;
}

int hub_approvals_ingest(hub_store_t *s, MDB_txn *txn, hub_item_t *it,
                         int64_t now_us)
{
    const Baocao__ApprovalRequest *a = it->approval;
    int64_t t = it->received_at ? it->received_at : now_us;
    hub_approval_t own;
    uint8_t kb[8];
    MDB_val k;
    char what[240];
    int rc, mrc = get_own(s, txn, it->unit, it->period, kb, &k, &own);
    if (mrc && mrc != MDB_NOTFOUND)
        return hub_env_err(mrc);
    bool have = mrc == 0;
    it->reason = BAOCAO__REJECT_REASON__REASON_NONE;
    it->message[0] = '\0';
    if (!a->unapprove && have) {
        /* Approved already: on record, nothing changes. */
        it->status = BAOCAO__ACK_STATUS__ACK_DUPLICATE;
        snprintf(it->message, sizeof it->message, "already approved: %s",
                 hub_approval_describe(&own, what, sizeof what));
        rc = hub_log_append(s, txn, it, t, BAOCAO__OUTCOME__OUTCOME_DUPLICATE);
    } else if (a->unapprove && !have) {
        hub_approval_t cover;
        it->status = BAOCAO__ACK_STATUS__ACK_REJECTED;
        it->reason = BAOCAO__REJECT_REASON__REASON_BAD_REQUEST;
        if ((rc = hub_approvals_covering(s, txn, it->unit, it->period,
                                         &cover)))
            return rc;
        if (cover.present)
            snprintf(it->message, sizeof it->message, "%s %s is not "
                     "approved itself; it is locked because %s: unapprove "
                     "that", it->unit->code, a->period,
                     hub_approval_describe(&cover, what, sizeof what));
        else
            snprintf(it->message, sizeof it->message, "%s %s is not "
                     "approved: nothing to unapprove", it->unit->code,
                     a->period);
        rc = hub_log_append(s, txn, it, t, BAOCAO__OUTCOME__OUTCOME_REJECTED);
    } else {
        it->status = BAOCAO__ACK_STATUS__ACK_STORED;
        if ((rc = hub_log_append(s, txn, it, t,
                                 BAOCAO__OUTCOME__OUTCOME_STORED)))
            return rc;
        if (a->unapprove) {
            mrc = mdb_del(txn, dbi_of(s), &k, NULL);
            snprintf(it->message, sizeof it->message, "unlocked: %s",
                     hub_approval_describe(&own, what, sizeof what));
        } else {
            const char *by = it->peer ? it->peer : "";
            const char *note = a->reason ? a->reason : "";
            size_t bl = strnlen(by, BC_PEER_MAX - 1);
            size_t nl = strnlen(note, sizeof own.reason - 1);
            appr_hdr_t h = {t, it->seq, (uint32_t) bl, (uint32_t) nl};
            MDB_val v = {sizeof h + bl + nl, NULL};
            mrc = mdb_put(txn, dbi_of(s), &k, &v, MDB_RESERVE);
            if (mrc == 0) {
                memcpy(v.mv_data, &h, sizeof h);
                memcpy((char *) v.mv_data + sizeof h, by, bl);
                memcpy((char *) v.mv_data + sizeof h + bl, note, nl);
            }
        }
        if (mrc)
            return hub_env_err(mrc);
    }
    if (rc)
        return rc;
    if (it->approved) {
        if ((rc = hub_approvals_covering(s, txn, it->unit, it->period,
                                         it->approved)))
            return rc;
        if (!a->unapprove && it->status == BAOCAO__ACK_STATUS__ACK_STORED)
            snprintf(it->message, sizeof it->message, "approved: %s",
                     hub_approval_describe(it->approved, what, sizeof what));
        else if (a->unapprove && it->status == BAOCAO__ACK_STATUS__ACK_STORED
                 && it->approved->present) {
            /* Unlocked here, still locked from above: say so. */
            size_t used = strlen(it->message);
            snprintf(it->message + used, sizeof it->message - used,
                     "; still locked because %s",
                     hub_approval_describe(it->approved, what, sizeof what));
        }
    }
    return BC_OK;
}

int hub_approvals_each(hub_store_t *s, MDB_txn *txn, hub_approvals_fn fn,
                       void *arg)
{
    MDB_cursor *cur;
    MDB_val k, v;
    if (!dbi_of(s))
        return BC_OK;
    int mrc = mdb_cursor_open(txn, dbi_of(s), &cur);
    if (mrc)
        return hub_env_err(mrc);
    int rc = BC_OK;
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 8)
            continue;
        hub_approval_t a;
        from_record(s, &k, &v, &a);
        if ((rc = fn(arg, &a)))
            break;
    }
    mdb_cursor_close(cur);
    if (!rc && mrc != MDB_NOTFOUND)
        rc = hub_env_err(mrc);
    return rc;
}
