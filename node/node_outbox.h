/*
 * node_outbox.h -- a facility's durable outbox: every report filed at the
 * station, from the moment it is filed until the hub has acknowledged it.
 *
 * An LMDB store in the node's directory, shared by the node daemon (which
 * delivers) and `baocao submit` (which files), possibly at the same time:
 * LMDB serialises the two writers through its lock file, and each side
 * sees the other's commits in its next transaction.
 *
 *   out      local seq -> entry (state, attempts, ack, submission bytes)
 *   pending  local seq -> ""      index of what still has to be delivered
 *   revs     unit "\0" period -> last revision filed here (whether
 *            anything was; the next number comes from the entries)
 *   meta     next_seq, last_contact, last_error, unit, hub_store_error(_at),
 *            next_retry
 *   seen     local seq -> ""      rejections staff marked seen
 *
 * Beside the LMDB files, `store-error` notes the last error of the store
 * itself (a store that fails cannot record it in itself).
 *
 * An entry is in `pending` exactly while it is NODE_PENDING: only the four
 * final answers (STORED, DUPLICATE, SUPERSEDED, REJECTED) take it out, in
 * the transaction that marks it delivered or rejected. Any other answer,
 * including a status this version does not know, keeps it to be resent.
 *
 * A report is serialised once, at filing, with its id, revision and filing
 * time fixed: every resend is byte-for-byte the same submission, which is
 * what lets the hub recognise it.
 */
#ifndef NODE_OUTBOX_H
#define NODE_OUTBOX_H

#include "bc_period.h"
#include "bc_report.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct node_outbox_t node_outbox_t;

/* Free space node_outbox_file() leaves on the outbox's filesystem: 4 MiB.
 * Recording a burst of acknowledgements rewrites at most a few hundred
 * KiB of pages (256 answers, each rewriting one entry of a few hundred
 * bytes plus its index, copy-on-write), and LMDB reuses the pages older
 * transactions freed, so the daemon's own writes do not grow the file
 * with the backlog: 4 MiB lets it settle every report already filed even
 * when nothing else frees a byte, while costing nothing on any real
 * card or disk. */
#define NODE_OUTBOX_RESERVE (4ULL << 20)

typedef enum {
    NODE_PENDING   = 0,   /* not yet acknowledged */
    NODE_DELIVERED = 1,   /* acknowledged stored, duplicate or superseded */
    NODE_REJECTED  = 2    /* refused for good by the hub */
} node_state_t;

/* One entry to deliver. */
typedef struct {
    uint64_t seq;          /* local sequence number */
    uint32_t attempts;     /* sends so far */
    uint8_t *blob;         /* serialised Submission (owned) */
    size_t blob_len;       /* its length */
} node_pending_t;

/* The hub's verdict on one entry. */
typedef struct {
    uint64_t seq;          /* local sequence number */
    uint32_t status;       /* Baocao__AckStatus */
    uint32_t reason;       /* Baocao__RejectReason */
    uint64_t hub_seq;      /* hub log position */
    const char *message;   /* hub's message (copied) */
} node_ack_t;

/* One entry as `baocao status` shows it. */
typedef struct {
    uint64_t seq;          /* local sequence number */
    node_state_t state;    /* where it is */
    uint32_t attempts;     /* sends so far */
    int64_t filed_at;      /* filing time, s */
    int64_t last_sent;     /* last send, s (0: never) */
    uint32_t ack_status;   /* last Baocao__AckStatus (0: none yet) */
    uint32_t reason;       /* Baocao__RejectReason of a rejection */
    uint64_t hub_seq;      /* hub log position once delivered */
    bool awaiting;         /* pending, sent, no answer to the last send */
    char unit[64];         /* unit code */
    char period[16];       /* period text */
    uint32_t revision;     /* revision */
    char id[33];           /* submission id, hex */
    char message[160];     /* hub's message, "" if none */
    bool seen;             /* a rejection staff marked seen */
} node_entry_t;

typedef struct {
    uint64_t pending;      /* waiting to be sent: never sent, or answered
                              "retry later" (or an unknown status) */
    uint64_t in_flight;    /* sent, awaiting the answer to that send */
    uint64_t delivered;    /* acknowledged */
    uint64_t rejected;     /* refused for good */
    uint64_t rejected_new; /* of those, not yet marked seen (need action) */
    int64_t last_contact;  /* last answer from the hub, s (0: never) */
    int64_t next_retry;    /* when the node tries the link again, s (0:
                              not backing off) */
    char last_error[256];  /* last delivery problem, "" if none */
    char store_error[256]; /* last error of this outbox's store, "" none */
    int64_t store_error_at;      /* when, s (0: never) */
    char hub_store_error[160];   /* the hub's last "could not store" */
    int64_t hub_store_error_at;  /* when it was received, s (0: never) */
} node_stats_t;

/* Opens or creates the outbox in dir. NULL with a message on failure.
 * Checks the pending invariant and re-indexes every entry that is neither
 * delivered nor rejected but missing from `pending` (logged at WARN with
 * the count; node_outbox_repaired() gives it). */
node_outbox_t *node_outbox_open(const char *dir, char *err, size_t errlen);
void node_outbox_close(node_outbox_t **self_p);

/* How many entries node_outbox_open() put back in the pending index. */
uint64_t node_outbox_repaired(const node_outbox_t *self);

/* True for the answers that settle an entry for good: STORED, DUPLICATE,
 * SUPERSEDED, REJECTED. Every other status is retried. */
bool node_ack_final(uint32_t status);

/* Bytes free (to an unprivileged user) on the outbox's filesystem.
 * Returns BC_OK or -errno from statvfs. */
int node_outbox_disk_free(const node_outbox_t *self, uint64_t *free_bytes);

/* Words for an error code of this module, naming the outbox directory:
 * BC_ENOSPC "the disk holding DIR is full (N free)", BC_EFATAL "the disk
 * holding DIR failed (I/O error): check it ...", else bc_strerror(). */
void node_outbox_explain(const node_outbox_t *self, int rc, char *buf,
                         size_t len);

/* Notes text as the store's last error in DIR/store-error, outside LMDB
 * (best effort: a full or failing disk may refuse it too). */
void node_outbox_note_store_error(const node_outbox_t *self,
                                  const char *text);

/* Files a report: assigns the next revision for (unit, period), one above
 * the newest filing here that the hub did not reject (a rejected filing
 * never became a revision at the hub, so it does not use up a number;
 * a BAD_REVISION rejection does, since the hub holds that number), a new
 * random id, and stores it durably. Refuses with BC_ENOSPC, filing
 * nothing, when the filesystem has less than NODE_OUTBOX_RESERVE free.
 * Returns BC_OK (id and revision written to the out-parameters), BC_EFULL
 * (the LMDB map), BC_ENOSPC (the disk), BC_EFATAL (disk I/O error),
 * BC_ESTORE. */
int node_outbox_file(node_outbox_t *self, const char *unit,
                     const char *period, const bc_report_t *report,
                     int64_t filed_at, uint8_t id_out[16],
                     uint32_t *revision_out);

/* The report most recently filed here for (unit, period) and not rejected
 * by the hub (pending or delivered), with its revision: what a correction
 * would replace.
 * Walks the outbox from the newest entry back (an outbox holds a node's own
 * reports: thousands, not millions). Returns BC_OK with a new report in
 * *out (bc_report_destroy), BC_ENOTFOUND when nothing was filed for it,
 * BC_EFATAL (disk I/O error) or BC_ESTORE. */
int node_outbox_latest(node_outbox_t *self, const char *unit,
                       const char *period, bc_report_t **out,
                       uint32_t *revision_out);

/* Up to max pending entries with seq > after, oldest first. The caller
 * frees each blob (node_pending_free). Returns BC_OK, BC_EFATAL or
 * BC_ESTORE. */
int node_outbox_pending(node_outbox_t *self, uint64_t after, size_t max,
                        node_pending_t *out, size_t *n);
void node_pending_free(node_pending_t *p, size_t n);

/* Records that these entries were sent now (each is then "in flight"
 * until an answer is settled). Returns BC_OK, BC_ENOSPC, BC_EFULL,
 * BC_EFATAL or BC_ESTORE. */
int node_outbox_mark_sent(node_outbox_t *self, const uint64_t *seqs,
                          size_t n, int64_t now);

/* Records that the sends of these entries (or, with seqs NULL, of every
 * pending entry awaiting an answer) are void: the connection they went
 * on is closed, so they count as waiting to be sent again, not in
 * flight. Entries answered or never sent are left as they are. Returns
 * BC_OK, BC_ENOSPC, BC_EFULL, BC_EFATAL or BC_ESTORE. */
int node_outbox_mark_unsent(node_outbox_t *self, const uint64_t *seqs,
                            size_t n);

/* Applies the hub's acknowledgements in one transaction: entries answered
 * with a final status (node_ack_final) become delivered or rejected and
 * leave the pending index; any other status keeps them pending. A
 * RETRY_LATER for the hub's store (INTERNAL, STORE_FULL) is kept as the
 * hub's last store error. Also records the contact time. Returns BC_OK,
 * BC_ENOSPC, BC_EFULL, BC_EFATAL or BC_ESTORE (nothing recorded). */
int node_outbox_settle(node_outbox_t *self, const node_ack_t *acks, size_t n,
                       int64_t now);

/* Records the last delivery problem ("" clears it). */
int node_outbox_set_error(node_outbox_t *self, const char *error);

/* Records when the node will next try the link (Unix s; 0: it is not
 * backing off), for `baocao status`. Returns BC_OK, BC_EFULL, BC_ESTORE. */
int node_outbox_set_retry(node_outbox_t *self, int64_t at);

/* Marks every rejection recorded so far as seen by staff: they stay on
 * record (and in `baocao status --list`) but no longer count as needing
 * action. *marked (may be NULL) gets how many were newly marked. Returns
 * BC_OK, BC_EFULL, BC_ESTORE. */
int node_outbox_ack_rejected(node_outbox_t *self, uint64_t *marked);

/* How many entries still wait for the hub's verdict (pending or in
 * flight), from the pending index's size: cheap enough for every burst of
 * acknowledgements. Returns BC_OK or BC_ESTORE. */
int node_outbox_waiting(node_outbox_t *self, uint64_t *out);

/* Counts by state, rejections not yet seen, last contact, next retry and
 * last error. */
int node_outbox_stats(node_outbox_t *self, node_stats_t *out);

/* Calls fn for every entry, oldest first (for `baocao status --list`). */
typedef void (*node_entry_fn)(void *arg, const node_entry_t *entry);
int node_outbox_each(node_outbox_t *self, node_entry_fn fn, void *arg);

/* Writes a compacted, consistent copy of the outbox into `dir` (created if
 * missing; it must not hold a store yet), while the node may go on using
 * it. BC_OK, or BC_EIO / BC_EEXIST / BC_ESTORE with a message in err. */
int node_outbox_backup(node_outbox_t *self, const char *dir, char *err,
                       size_t errlen);

#endif
