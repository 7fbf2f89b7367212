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
 *     at all has come back since the oldest unanswered one was sent, for
 *     longer than `timeout` ms or the link's measured retransmission
 *     timeout (smoothed round trip + 4 x its deviation, as TCP computes
 *     it), whichever is longer. Silence is counted from that send, never
 *     from the last answer alone (a node idle for a while would otherwise
 *     resend each new report at once) nor from the connect (a slow
 *     handshake would eat the answer's time). On a slow link answers keep
 *     trickling in, so a long transfer is not mistaken for a dead link. The
 *     socket is then closed, dropping whatever libzmq had queued, and a new
 *     one connects after an exponential backoff with jitter; every
 *     unacknowledged submission is sent again.
 *   - A connection that does not come up within three times that limit
 *     while reports wait ("hub unreachable") is dropped and retried after
 *     the same backoff; meanwhile the node looks at the socket every 20 ms
 *     doubling to `poll`, not every 20 ms for ever.
 *   - ZMQ heartbeats detect a dead TCP connection; ZMQ_IMMEDIATE keeps
 *     messages from queueing on a connection that is not up.
 *   - Acknowledgements are written to the outbox in one transaction per
 *     burst; rejected submissions are settled and never resent; "retry
 *     later" ones (hub store full) are resent after the backoff.
 *   - Only STORED, DUPLICATE, SUPERSEDED and REJECTED settle a report;
 *     any other answer (an unknown status included) is retried like
 *     "retry later", and logged once.
 *   - A refused or failed CURVE handshake (seen on the socket monitor)
 *     drops the socket and waits the same backoff as a dead link; it is
 *     logged at ERROR once, then at most every five minutes with a count,
 *     and recorded in the outbox with the next retry time, where `baocao
 *     status` shows both.
 *   - An idle node holds no connection: after `idle_disconnect` ms with
 *     nothing sent, awaited or waiting, the link is closed (no heartbeats
 *     cross a metered link for nothing) and opened again as soon as a
 *     report is filed (the outbox is looked at every `poll` ms).
 *   - One INFO line per burst of answers ("delivered 12, 0 rejected, 0
 *     waiting"), and a last line with the three counts that points to
 *     `baocao status --list` when rejections need action.
 */
#ifndef NODE_SENDER_H
#define NODE_SENDER_H

#include "node_config.h"

#include <stdbool.h>

typedef struct node_sender_t node_sender_t;

/* Locks and opens the outbox, checks that it holds only reports of
 * cfg->unit, of units whose code extends it ("HP-HB-QT" for "HP-HB") and
 * of cfg->on_behalf_of, and prepares the link (connecting is lazy). Returns NULL with
 * a message in err and, when rc_out is not NULL, the kind of failure in
 * *rc_out: BC_EEXIST when another node holds the outbox folder ("DIR is in
 * use by baocao-node pid N"), BC_EINVAL for anything else (options, keys,
 * an outbox of another unit, an unreadable outbox). The lock (bc_lock.h)
 * is held until node_sender_destroy. */
node_sender_t *node_sender_new(const node_config_t *cfg, int *rc_out,
                               char *err, size_t errlen);
void node_sender_destroy(node_sender_t **self_p);

/* Delivers until SIGINT/SIGTERM, or in drain mode until the outbox has
 * nothing left to deliver. Returns BC_OK (also when max_seconds passed
 * with nothing left to deliver), BC_EREJECTED when a drain ended with
 * rejections that need action (not marked seen with `baocao status
 * --ack-rejected`; the last line counts them by reason), BC_ETIMEOUT when
 * max_seconds ran out with reports undelivered, or BC_EFATAL when the
 * outbox's disk failed (EIO,
 * MDB_PANIC; logged at ERROR with the directory): the caller exits with
 * BC_EXIT_STORE_FAILED so that its supervisor restarts it. */
int node_sender_run(node_sender_t *self);

#endif
