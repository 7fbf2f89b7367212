/*
 * node_sender.h -- delivers the outbox to the hub over a weak link.
 *
 * The zguide's reliable patterns, combined: a durable outbox (Titanic), a
 * client that gives up on a silent link and reconnects (Lazy Pirate), and an
 * idempotent hub that answers a resend with "duplicate".
 *
 *   - A window of several submissions in flight (DEALER -> ROUTER, each
 *     request tagged with its outbox seq), so a backlog drains at the link's
 *     speed, not one round trip per report.
 *   - The link is declared dead when submissions are in flight and nothing
 *     at all has come back for `timeout` ms (on a slow link answers keep
 *     trickling in, so a long transfer is not mistaken for a dead link). The
 *     socket is then closed, dropping whatever libzmq had queued, and a new
 *     one connects after an exponential backoff with jitter; every
 *     unacknowledged submission is sent again.
 *   - ZMQ heartbeats detect a dead TCP connection; ZMQ_IMMEDIATE keeps
 *     messages from queueing on a connection that is not up.
 *   - Acknowledgements are written to the outbox in one transaction per
 *     burst; rejected submissions are settled and never resent; "retry
 *     later" ones (hub store full) are resent after the backoff.
 *   - Only STORED, DUPLICATE, SUPERSEDED and REJECTED settle a report;
 *     any other answer (an unknown status included) is retried like
 *     "retry later", and logged once.
 *   - A refused CURVE handshake (seen on the socket monitor) is logged and
 *     recorded in the outbox, where `baocao status` shows it.
 */
#ifndef NODE_SENDER_H
#define NODE_SENDER_H

#include "bc_config.h"

#include <stdbool.h>

typedef struct {
    char *store;               /* outbox directory */
    char *unit;                /* this node's unit code (for logs) */
    char *hub;                 /* hub endpoint */
    bool plain;                /* no CURVE (explicit) */
    char *hub_key;             /* hub's .pub file */
    char *cert;                /* our .secret key pair */
    long long window;          /* submissions in flight at most */
    long long timeout_ms;      /* silence that declares the link dead */
    long long backoff_min_ms;  /* first reconnect delay */
    long long backoff_max_ms;  /* longest reconnect delay */
    long long heartbeat_ms;    /* ZMQ heartbeat interval (0 = off) */
    long long poll_ms;         /* how often to look for new reports */
    bool drain;                /* exit once nothing is left to deliver */
    long long max_seconds;     /* give up after this long (0 = never) */
    char *log_level;           /* debug, info, warn, error */
} node_config_t;

extern const bc_option_t node_options[];
extern const size_t node_noptions;

typedef struct node_sender_t node_sender_t;

/* Opens the outbox and prepares the link (connecting is lazy). Returns
 * NULL with a message in err. */
node_sender_t *node_sender_new(const node_config_t *cfg, char *err,
                               size_t errlen);
void node_sender_destroy(node_sender_t **self_p);

/* Delivers until SIGINT/SIGTERM, or in drain mode until the outbox has
 * nothing left to deliver. Returns BC_OK, BC_ETIMEOUT when max_seconds
 * ran out first, or BC_EFATAL when the outbox's disk failed (EIO,
 * MDB_PANIC; logged at ERROR with the directory): the caller exits with
 * BC_EXIT_STORE_FAILED so that its supervisor restarts it. */
int node_sender_run(node_sender_t *self);

#endif
