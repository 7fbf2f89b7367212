/*
 * hub_store.h -- the hub's LMDB store: submissions, their revisions, the
 * current figures, pre-aggregated totals up the hierarchy, annual plans and
 * the hash-chained submission log.
 *
 * Layout (named databases in one environment; keys big-endian, period
 * first, because one period's reports arrive together: see hub_store.c):
 *
 *   meta      "version", "registry" (digest), ...        small values
 *   unit_ids  unit code -> u32 store id (sid)            stable across
 *   ind_ids   indicator code -> u32 sid                  registry edits
 *   subs      submission id (16 B) -> where it went      dedup, for ever
 *   revs      (period, unit, revision) -> log seq, id    every revision
 *   cur       (period, unit) -> current revision, log seq, packed figures
 *   agg       (period, unit) -> totals of the subtree    derived
 *   plan      (year, unit) -> own annual targets
 *   plan_eff  (year, unit) -> own targets, else the sum of the children's
 *   carry     (month, unit) -> stocks: the sum of each unit's last value
 *             in the year so far                          derived
 *   log       seq -> entry (time, peer, outcome, exact bytes, chain hash)
 *
 * `agg` and `plan_eff` are derived: every accepted revision updates the
 * totals of its unit's ancestors by the difference it makes (one read and one
 * write per ancestor, shared by all submissions of a batch), so a query for
 * a province reads one record instead of 10,000. When the registry changes
 * (its digest differs from the one stored) they are rebuilt from `cur` and
 * `plan`, which is how units that move, merge or split stay consistent.
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
    const bc_unit_t *unit;         /* resolved unit (when valid) */
    bc_period_t period;            /* parsed period (when valid) */
    uint32_t revision;             /* revision (when valid) */
    int64_t filed_at;              /* node's filing time, Unix seconds */
    hub_val_t *vals;               /* figures sorted by sid (when valid) */
    size_t nvals;                  /* their number */
    Baocao__RejectReason reject;   /* validation verdict: NONE = valid */
    /* outcome */
    Baocao__AckStatus status;      /* what to acknowledge */
    Baocao__RejectReason reason;   /* why, for rejections */
    uint64_t seq;                  /* log sequence number, 0 if not logged */
    uint32_t current_revision;     /* current revision of (unit, period) */
    char message[160];             /* human-readable reason, "" if none */
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
 * writable, store of another version, map too small to start. */
hub_store_t *hub_store_open(const char *dir, size_t map_size,
                            bc_registry_t *reg, char *err, size_t errlen);

void hub_store_close(hub_store_t **self_p);

/* Stores a batch in one durable transaction and fills each item's outcome.
 * Returns BC_OK (every item has its final outcome), BC_EFULL (map full:
 * nothing stored, every item set to RETRY_LATER/STORE_FULL) or BC_ESTORE
 * (nothing stored, RETRY_LATER/INTERNAL). */
int hub_store_ingest(hub_store_t *self, hub_item_t *items, size_t n,
                     int64_t now_us);

/* Sets a unit's own targets for a year (replacing those given; others
 * kept) and refreshes the effective targets up the tree. vals use store
 * ids. Returns BC_OK, BC_EFULL or BC_ESTORE. */
int hub_store_set_plan(hub_store_t *self, const bc_unit_t *unit,
                       unsigned year, const hub_val_t *vals, size_t n);

/* --- reading ------------------------------------------------------------
 * A reader is one LMDB read transaction: a consistent snapshot. */
typedef struct hub_reader_t hub_reader_t;

hub_reader_t *hub_store_reader(hub_store_t *self);
void hub_reader_destroy(hub_reader_t **self_p);

/* A figures buffer sized for the catalogue. */
void hub_figures_init(hub_figures_t *f, size_t n);
void hub_figures_clear(hub_figures_t *f);
void hub_figures_free(hub_figures_t *f);

/* The figures reported for exactly (unit, period): its own report for a
 * unit without children, the subtree's totals otherwise. Leaves `out`
 * cleared when there are none. Returns BC_OK or BC_ESTORE. */
int hub_reader_figures(hub_reader_t *self, const bc_unit_t *unit,
                       bc_period_t period, hub_figures_t *out);

/* Combines months first..last of `year` by each indicator's rule: flows
 * summed, stocks the last value present. Returns BC_OK or BC_ESTORE. */
int hub_reader_months(hub_reader_t *self, const bc_unit_t *unit,
                      unsigned year, unsigned first, unsigned last,
                      hub_figures_t *out);

/* For a unit with sub-units: each stock indicator's sum, over the units of
 * its subtree, of each unit's last value reported in `year` up to `month`
 * (a unit silent since October still counts, as of October). Other
 * indicators are left absent. Returns BC_OK or BC_ESTORE. */
int hub_reader_carried(hub_reader_t *self, const bc_unit_t *unit,
                       unsigned year, unsigned month, hub_figures_t *out);

/* Effective annual targets of a unit. Returns BC_OK or BC_ESTORE. */
int hub_reader_targets(hub_reader_t *self, const bc_unit_t *unit,
                       unsigned year, hub_figures_t *out);

/* What is known of (unit, period)'s report. */
int hub_reader_report(hub_reader_t *self, const bc_unit_t *unit,
                      bc_period_t period, hub_report_info_t *out);

/* Called for each revision of a report, oldest first. */
typedef void (*hub_revision_fn)(void *arg, uint32_t revision, uint64_t seq,
                                int64_t filed_at, int64_t received_at_us);

/* The log: one entry, fields pointing into the snapshot (valid until the
 * reader is destroyed). */
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

/* Last log sequence number. */
uint64_t hub_store_last_seq(hub_store_t *self);

/* Opens an existing store read-only, without a registry: for the audit
 * tools, which may run beside a live hub (LMDB readers never block the
 * writer). Only the reader functions below that take codes, and
 * hub_reader_log, work on such a store. NULL with a message on failure. */
hub_store_t *hub_store_open_readonly(const char *dir, char *err,
                                     size_t errlen);

/* Every revision of (unit code, period), oldest first; BC_ENOTFOUND if the
 * store never saw the unit. */
int hub_reader_revisions_code(hub_reader_t *self, const char *unit,
                              bc_period_t period, hub_revision_fn fn,
                              void *arg);

/* The current revision number of (unit code, period), 0 if none. */
uint32_t hub_reader_current_revision(hub_reader_t *self, const char *unit,
                                     bc_period_t period);

/* One log entry by sequence number. BC_ENOTFOUND if there is none. */
int hub_reader_log_entry(hub_reader_t *self, uint64_t seq,
                         hub_log_entry_t *out);

/* A SHA-256 over every current report: unit code, period, revision and
 * figures (by indicator code, in code order), in (unit code, period) order.
 * Independent of store ids, so a store and its replay compare equal. Also
 * returns the number of current reports. */
int hub_reader_digest(hub_reader_t *self, uint8_t out[32], uint64_t *reports);

/* The registry the store was opened with. */
const bc_registry_t *hub_store_registry(const hub_store_t *self);

#endif
