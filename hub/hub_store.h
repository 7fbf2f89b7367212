/*
 * hub_store.h -- the hub's LMDB store: submissions, their revisions, the
 * current figures, pre-aggregated totals up the hierarchy, annual plans and
 * the hash-chained submission log.
 *
 * This is the facade: the types every room shares, opening and closing,
 * the batch entry point (hub_store_ingest) and read snapshots. It includes
 * the rooms' headers, so a caller includes this file alone. The store is
 * one LMDB environment of named databases, split into rooms by what each
 * owns. One room writes each database; the others read it through that
 * room's functions, never through its keys:
 *
 *   file           databases               writes                read by
 *   hub_env.c      meta, unit_ids, ind_ids  at open (sids, version,
 *                                           registry digest)      all rooms
 *   hub_upstream.c meta key "upstream"      the forwarder's       the
 *                  (through hub_store_      durable cursor, in    forwarder,
 *                  upstream_put)            its own small write   audit
 *                                           transaction           verify-
 *                                                                 upstream
 *   hub_log.c      log                      every decided request digest,
 *                                           (append only)         audit tools
 *   hub_reports.c  subs, revs, cur          each valid submission rollup,
 *                                                                 digest,
 *                                                                 queries
 *   hub_rollup.c   agg, carry               each change of cur;   queries
 *                                           rebuilt at open when
 *                                           the registry or the
 *                                           derived rules changed
 *   hub_units.c    units                    with agg, in the      contrib
 *                                           rollup's batch
 *   hub_contrib.c  (none)                   -                     queries
 *                  reads agg, carry, units and cur: the contribution rule
 *   hub_agg.c,     (none: helpers of the rollup room: record format and
 *   hub_year.c      batch cache; a year's periods as slots)
 *   hub_plans.c    plan, plan_eff           set_plan; plan_eff    queries
 *                                           rebuilt with rollups
 *   hub_approvals.c approvals               each approve and      reports
 *                                           unapprove, in the     (locks),
 *                                           batch with the        queries,
 *                                           submissions           digest
 *   hub_digest.c   (none)                   -                     audit tools
 *   hub_store.c    (none: the facade)       one transaction per batch,
 *                                           passing each item to its room
 *
 * Keys are big-endian, period first, because one period's reports arrive
 * together (hub_key_up in hub_env.h explains why).
 *
 * `agg`, `carry`, `units` and `plan_eff` are derived: every accepted
 * revision updates the totals of its unit's ancestors by the difference it
 * makes, so a query for a province reads one record instead of 10,000.
 * When the registry changes (its digest differs from the one stored), or
 * the rules behind them (HUB_DERIVED_VERSION in hub_env.h), they are
 * rebuilt from `cur` and `plan`, which is how units that move, merge or
 * split stay consistent.
 *
 * Durability: one write transaction per batch of submissions, committed
 * with LMDB's default full sync; the caller acknowledges only after
 * hub_store_ingest() returned BC_OK. A full map aborts the whole batch
 * (BC_EFULL): nothing of it is stored, so nothing is acknowledged as stored.
 */
#ifndef HUB_STORE_H
#define HUB_STORE_H

#include "baocao.pb-c.h"
#include "bc_period.h"
#include "bc_registry.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct hub_store_t hub_store_t;

/* One figure of a validated submission: indicator store id and value. */
typedef struct {
    uint32_t sid;     /* indicator's store id */
    uint32_t count;   /* units contributing (1 in a single report) */
    int64_t value;    /* the figure, or the total */
} hub_val_t;

/* One received submission on its way into the store. The caller fills the
 * input half (after hub_validate), the store fills the outcome. */
typedef struct {
    /* input */
    const uint8_t *raw;            /* exact bytes received: for a valid
                                      item, the serialised Request holding
                                      the submission (the store reads the
                                      figures back from it in the log) */
    size_t raw_len;                /* their length */
    const char *peer;              /* authenticated identity of the sender */
    int64_t received_at;           /* receipt time (us); 0 = now (replay
                                      passes the logged time) */
    uint8_t req_digest[32];        /* SHA-256 of raw, when has_digest */
    bool has_digest;               /* req_digest computed by the caller */
    const uint8_t *id;             /* 16-byte submission id, or NULL */
    uint8_t id_copy[16];           /* where id points once the decoded
                                      request is gone (hub_batch_add) */
    const bc_unit_t *unit;         /* resolved unit (when valid) */
    bc_period_t period;            /* parsed period (when valid) */
    uint32_t revision;             /* revision (when valid) */
    int64_t filed_at;              /* node's filing time, Unix seconds */
    hub_val_t *vals;               /* figures sorted by sid (when valid) */
    size_t nvals;                  /* their number */
    Baocao__RejectReason reject;   /* validation verdict: NONE = valid */
    const Baocao__ApprovalRequest *approval; /* set: this item is an
                                      approve or unapprove of (unit,
                                      period), raw its Request (body 51),
                                      peer the operator; decided by
                                      hub_approvals.h, not as a report */
    struct hub_approval_t *approved; /* outcome of an approval item: the
                                      approval in force afterwards (the
                                      caller's buffer), or NULL */
    bool plan;                     /* a PlanSet, not a submission: unit,
                                      year and vals (its targets, by sid)
                                      are the plan's (hub_plans_ingest) */
    unsigned year;                 /* the plan's year */
    bool record;                   /* valid, but not a submission: logged
                                      STORED and nothing else (a replayed
                                      forwarded registry version, whose
                                      effect is the version logged after
                                      it, hub_federate.h) */
    /* outcome */
    Baocao__AckStatus status;      /* what to acknowledge */
    Baocao__RejectReason reason;   /* why, for rejections */
    uint64_t seq;                  /* log sequence number, 0 if not logged */
    uint32_t current_revision;     /* current revision of (unit, period) */
    char message[400];             /* human-readable reason, "" if none
                                      (room for a few failing rules) */
} hub_item_t;

/* What the store knows of one (unit, period) report. */
typedef struct {
    bool present;                  /* a report exists */
    uint32_t revision;             /* current revision */
    int64_t filed_at;              /* current revision's filing time (s) */
    int64_t first_filed_at;        /* earliest filing of any revision (s) */
    int64_t first_received_at;     /* hub receipt of that first (us) */
    uint64_t seq;                  /* log seq of the current revision */
} hub_report_info_t;

/* Figures of one unit and period, dense by catalogue index. */
typedef struct {
    size_t n;                      /* catalogue size */
    int64_t *value;                /* value per indicator idx */
    uint32_t *count;               /* contributing reports; 0 = no data */
    uint32_t reporters;            /* units that reported (subtree) */
} hub_figures_t;

/* Opens (creating if needed) the store in directory `dir` with a map of
 * map_size bytes, assigns store ids to the registry's units and indicators
 * (setting their `sid`), and rebuilds derived totals if the registry
 * changed. Returns NULL with a message in err: directory missing or not
 * writable, store of another version, map too small to start, or a
 * changed registry under which a stored report's unit would not exist or
 * not be valid for its period (hub_history_check: nothing is written). */
hub_store_t *hub_store_open(const char *dir, size_t map_size,
                            bc_registry_t *reg, char *err, size_t errlen);

void hub_store_close(hub_store_t **self_p);

/* Stores a batch in one durable transaction and fills each item's outcome:
 * every way out sets every item's status, never ACK_UNSPECIFIED.
 * Returns BC_OK (every item has its final outcome), BC_EFULL (map full:
 * nothing stored, every item set to RETRY_LATER/STORE_FULL), BC_ENOSPC
 * (the filesystem is full: the same), BC_EFATAL (the disk failed: EIO
 * from a write or sync, or an environment LMDB already marked fatal;
 * nothing stored, RETRY_LATER/INTERNAL; the store is unusable until
 * reopened) or BC_ESTORE (nothing stored, RETRY_LATER/INTERNAL). */
int hub_store_ingest(hub_store_t *self, hub_item_t *items, size_t n,
                     int64_t now_us);

/* --- reading ------------------------------------------------------------
 * A reader is one LMDB read transaction: a consistent snapshot. */
typedef struct hub_reader_t hub_reader_t;

hub_reader_t *hub_store_reader(hub_store_t *self);
void hub_reader_destroy(hub_reader_t **self_p);

/* A figures buffer sized for the catalogue (hub_reader_figures and the
 * other readers fill it). */
void hub_figures_init(hub_figures_t *f, size_t n);
void hub_figures_clear(hub_figures_t *f);
void hub_figures_free(hub_figures_t *f);

/* Last log sequence number (hub_log.c). */
uint64_t hub_store_last_seq(hub_store_t *self);

/* The id of the snapshot a read begun now sees: it moves with every
 * write of any kind, once that write is visible to readers (the reply
 * cache's generation, hub_cache.h). Never ahead of what a reader begun
 * after it sees. 0 when it cannot be read (a reader could not begin
 * either). */
uint64_t hub_store_txnid(hub_store_t *self);

/* Opens an existing store read-only, without a registry: for the audit
 * tools, which may run beside a live hub (LMDB readers never block the
 * writer). Only the readers that take codes (hub_reports.h), the log's
 * (hub_log.h) and the digest work on such a store. NULL with a message on
 * failure. */
hub_store_t *hub_store_open_readonly(const char *dir, char *err,
                                     size_t errlen);

/* Writes a compacted, consistent copy of the store into `dir` (created with
 * its parents if missing; it must not hold a store yet). Works on a store
 * opened read-only, beside a running hub. BC_OK, or BC_EIO / BC_EEXIST /
 * BC_EFULL / BC_ESTORE with a message in err. */
int hub_store_backup(hub_store_t *self, const char *dir, char *err,
                     size_t errlen);

/* How much of the LMDB map is in use (pages up to the last one written)
 * and how big the map is, in bytes. */
void hub_store_space(hub_store_t *self, uint64_t *used_bytes,
                     uint64_t *map_bytes);

/* The forwarder's durable cursor (hub_upstream.h), meta key "upstream":
 * the highest log seq such that every forwardable entry up to it was
 * answered by the national hub, and the name it forwards under
 * (Origin.hub). get: BC_OK, BC_ENOTFOUND (never forwarded: *cursor 0,
 * name "") or BC_ESTORE; works on a store opened read-only. put: writes
 * both in a write transaction of its own (it waits for the batch being
 * committed, if any); BC_OK, BC_EFULL or BC_ESTORE. Either may be called
 * from any thread that holds no other transaction of this store. */
int hub_store_upstream_get(hub_store_t *self, uint64_t *cursor, char *name,
                           size_t namelen);
int hub_store_upstream_put(hub_store_t *self, uint64_t cursor,
                           const char *name);

/* The entries the national hub refused for good (hub_upstream.h), meta
 * key "upstream_refused": they do not hold the cursor, and are kept here
 * so that they do not vanish with a restart. */
typedef struct {
    uint64_t count;          /* refused since the last resend */
    uint64_t first;          /* lowest seq refused, 0 if none */
    uint64_t last;           /* highest */
    uint64_t resent_from;    /* the last --upstream-resend-from applied */
    char why[256];           /* the last: "seq N: reason: message" */
} hub_upstream_refused_t;

/* get: BC_OK (all zero when none: never refused) or BC_ESTORE; works on a
 * store opened read-only. put: its own write transaction, as
 * hub_store_upstream_put. */
int hub_store_upstream_refused_get(hub_store_t *self,
                                   hub_upstream_refused_t *out);
int hub_store_upstream_refused_put(hub_store_t *self,
                                   const hub_upstream_refused_t *in);

/* The registry the store was opened with. */
const bc_registry_t *hub_store_registry(const hub_store_t *self);

/* That registry's unit of store id `sid`, or NULL when none has it (a
 * unit stored once and since dropped from the registry). A table lookup. */
const bc_unit_t *hub_store_unit(const hub_store_t *self, uint32_t sid);

/* The rooms: each header is the manual of what it owns. */
#include "hub_log.h"
#include "hub_rollup.h"
#include "hub_contrib.h"
#include "hub_reports.h"
#include "hub_plans.h"
#include "hub_digest.h"
#include "hub_approvals.h"

#endif
