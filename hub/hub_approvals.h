/*
 * hub_approvals.h -- approval and locking (issue #11, item 5), simplified
 * from DHIS2's data approval.
 *
 * Database `approvals` (only this room writes it):
 *
 *   (period, unit sid) -> when (us), the log seq of the approving entry,
 *                         the operator's identity and the note given
 *
 * one record per approval in force. An approval of unit U for period P
 * locks every report of U's subtree (in the tree of the report's period)
 * for P and for every period inside P: approving 2023-Q1 locks January to
 * March too, since the quarter's figures are made of them. It does not
 * lock the periods that hold P (the year), nor P's own contribution to
 * them otherwise than through P. A unit of the subtree that has not filed
 * yet cannot file a first report for P either: the approved total is
 * what was approved (proto/README.md "Approval and locking").
 *
 * Approvals are requests of the hash-chained log like submissions (the
 * Request holding the ApprovalRequest, the operator's identity as the
 * entry's peer), decided by the writer thread in the same batch and the
 * same transaction as the submissions around them, so the log and the
 * locks commit together and `audit replay` rebuilds the same locks.
 * Who may approve (scopes, roles) is the server's check, before the
 * batch (hub_scope.h); what is decided here depends on the store alone.
 */
#ifndef HUB_APPROVALS_H
#define HUB_APPROVALS_H

#include "hub_store.h"

#include <lmdb.h>
#include <stdbool.h>
#include <stdint.h>

/* One approval in force. */
typedef struct hub_approval_t {
    bool present;                  /* an approval covers the question */
    uint32_t unit_sid;             /* the approved unit's store id */
    const bc_unit_t *unit;         /* that unit, NULL without a registry */
    bc_period_t period;            /* the approved period */
    int64_t at_us;                 /* when it was decided, Unix us */
    uint64_t seq;                  /* its log entry */
    char by[BC_PEER_MAX];          /* operator identity, "" in plain mode */
    char reason[160];              /* the note given with it */
} hub_approval_t;

/* Checks an ApprovalRequest against the registry: a known unit, a period
 * that parses, a reason to unapprove. REASON_NONE with *unit and *period
 * set; else UNKNOWN_UNIT, BAD_PERIOD or BAD_REQUEST with a message. The
 * server calls it before the scope check, replay before re-deciding. */
Baocao__RejectReason hub_approval_prepare(const bc_registry_t *reg,
                                          const Baocao__ApprovalRequest *a,
                                          const bc_unit_t **unit,
                                          bc_period_t *period, char *msg,
                                          size_t msglen);

/* The approval that locks (u, p), if any: one of u or its ancestors (in
 * the tree of p's first month), for p or a period holding p; u's own and
 * p's own first. out->present says whether one was found. BC_OK or
 * BC_ESTORE. */
int hub_approvals_covering(hub_store_t *s, MDB_txn *txn, const bc_unit_t *u,
                           bc_period_t p, hub_approval_t *out);

/* The same on a read snapshot (queries, completeness). */
int hub_reader_approval(hub_reader_t *r, const bc_unit_t *u, bc_period_t p,
                        hub_approval_t *out);

/* A sentence naming the approval for a rejection or a reply, e.g.
 * "HP-HB approved 2023-Q1 (operator:hb_approver, 2026-12-02 12:00:00
 * +07)". Returns buf. */
char *hub_approval_describe(const hub_approval_t *a, char *buf, size_t len);

/* The wire form; strings point into `a` and `period_buf`. */
void hub_approval_to_wire(const hub_approval_t *a, Baocao__Approval *out,
                          char period_buf[BC_PERIOD_STRLEN]);

/* --- for the store's other rooms ----------------------------------------- */

/* Decides and writes one approval item (it->approval set, it->unit and
 * it->period resolved by hub_approval_prepare): approve adds the record
 * (STORED) unless the same (unit, period) is approved already
 * (DUPLICATE, nothing changes); unapprove removes it (STORED), or is
 * REJECTED / BAD_REQUEST when (unit, period) is not approved itself.
 * Every outcome is logged. it->approved (if not NULL) receives the
 * approval in force for (unit, period) afterwards. BC_OK, or BC_EFULL /
 * BC_ESTORE (the caller aborts the batch). */
int hub_approvals_ingest(hub_store_t *s, MDB_txn *txn, hub_item_t *it,
                         int64_t now_us);

/* Called for each approval in force, in key order (period, unit sid). */
typedef int (*hub_approvals_fn)(void *arg, const hub_approval_t *a);

/* Walks every approval in force (for the digest). Works on a read-only
 * store, and on one from before approvals (none). BC_OK, BC_ESTORE or
 * fn's return. */
int hub_approvals_each(hub_store_t *s, MDB_txn *txn, hub_approvals_fn fn,
                       void *arg);

#endif
