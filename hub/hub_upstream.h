/*
 * hub_upstream.h -- a provincial hub forwards its log to a national hub
 * (issue 14, "Federation by log shipping").
 *
 * The hub's hash-chained log is already an ordered, durable record of
 * everything it accepted, so the log is the province's outbox: no second
 * copy of the reports is kept. The forwarder reads the log, in log order,
 * from LMDB read snapshots of its own (readers are MDB_NOTLS, so they may
 * live in its thread), and sends every entry whose outcome is STORED or
 * SUPERSEDED to the national hub, which is a plain `baocao-hub` whose
 * registry marks the province `relay` (bc_registry.h).
 *
 *   - Byte for byte: the Submission bytes are cut out of the logged
 *     Request (bc_wire_find_field, field 10) and wrapped in a new Request
 *     (bc_wire_wrap) whose tag is the provincial log seq and whose `origin`
 *     names this hub, that seq and its chain hash. The national hub logs
 *     the exact bytes it received, so the origin is on its record, and
 *     dedups by the submission id the facility chose, for ever.
 *   - The same delivery rules as a node (node_sender.h, proto/README.md):
 *     a window of entries in flight, a link declared dead after `timeout`
 *     of silence, reconnection after an exponential backoff with +-25 %
 *     jitter, ACK_RETRY_LATER holds all sends for a backoff.
 *   - The durable cursor: the highest provincial seq such that every
 *     forwardable entry up to it was answered STORED, DUPLICATE,
 *     SUPERSEDED or REJECTED. A REJECTED entry is logged at WARN with its
 *     reason, counted and recorded in the store (how many, the first and
 *     last seq, the last reason: hub_store_upstream_refused_put, shown by
 *     `baocao stats`), and the stream goes on: one entry never blocks the
 *     others, and none vanishes silently. Once the national side is fixed
 *     (its registry, its catalogue), `--upstream-resend-from SEQ` sends
 *     everything again from SEQ: entries the national hub has are answered
 *     DUPLICATE, the refused ones are decided again. It applies once per
 *     value (the store remembers it), so a flag left in a unit file does
 *     not resend at every restart. The cursor is written to the meta database
 *     (hub_store_upstream_put) at most once a second or every 256 seqs, and
 *     when the forwarder stops; after a crash, the entries above it are
 *     sent again and answered DUPLICATE, which is harmless. A disk error
 *     (BC_EFATAL) writing it stops the forwarder, and the hub with it, as
 *     any store write that fails so (hub_server.c).
 *   - Catch-up is bounded by the window, not by how long the link was
 *     down: a province cut off for a week resumes from its cursor and
 *     streams the backlog `window` entries at a time.
 *
 * Threads: hub_upstream_new starts one thread that owns the DEALER socket
 * (sockets never cross threads) and the read snapshots; the hub's loop only
 * reads the status (hub_upstream_status), which is kept in atomics.
 */
#ifndef HUB_UPSTREAM_H
#define HUB_UPSTREAM_H

#include "hub_store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *endpoint;     /* the national hub, e.g. tcp://moh:5555 */
    const char *hub_key;      /* the national hub's public key, or NULL */
    const char *cert;         /* this hub's key pair (.secret), or NULL */
    bool plain;               /* no CURVE (demos and tests) */
    const char *name;         /* Origin.hub: this hub's name */
    int window;               /* entries in flight at most */
    int timeout_ms;           /* silence that declares the link dead */
    int backoff_min_ms;       /* first reconnect delay */
    int backoff_max_ms;       /* longest reconnect delay */
    uint64_t resend_from;     /* --upstream-resend-from: send again from
                                 this seq (once per value), 0: no */
} hub_upstream_config_t;

/* What the forwarder has done, for stats and logs. */
typedef struct {
    uint64_t cursor;          /* settled up to this seq (in memory) */
    uint64_t durable;         /* the cursor as last written to the store */
    uint64_t forwarded;       /* entries answered stored/duplicate/... */
    uint64_t rejected;        /* entries the national hub rejected */
    uint64_t unforwardable;   /* logged entries whose submission could not
                                 be cut out (logged at ERROR, skipped) */
    bool connected;           /* the national hub answered on this link */
    hub_upstream_refused_t refused;  /* refused for good, kept in the
                                        store (hub_store.h) */
} hub_upstream_status_t;

typedef struct hub_upstream_t hub_upstream_t;

/* Checks the configuration (endpoint, key files: CURVE unless plain), reads
 * the durable cursor from `store` and starts the forwarding thread. The
 * store must outlive the forwarder. Returns NULL with a message in err. */
hub_upstream_t *hub_upstream_new(hub_store_t *store,
                                 const hub_upstream_config_t *cfg, char *err,
                                 size_t errlen);

/* Stops the thread (within ~0.2 s), writes the cursor one last time and
 * frees everything. Accepts NULL; clears *self_p. */
void hub_upstream_destroy(hub_upstream_t **self_p);

/* True once writing the cursor met BC_EFATAL (the disk failed): the
 * forwarder has stopped, and the hub must stop too (hub_server.c). Safe
 * from any thread. */
bool hub_upstream_failed(hub_upstream_t *self);

/* A consistent-enough copy of the status (each field read atomically);
 * safe from any thread. */
void hub_upstream_status(hub_upstream_t *self, hub_upstream_status_t *out);

#endif
