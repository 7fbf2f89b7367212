/*
 * node_link.h -- the node's judgement of its link to the hub.
 *
 * node_sender.c moves reports: it fills the window, sends, settles the
 * answers. Whether the link is alive, when it is silent, when to close it
 * for want of work, which report may be poison and what a failed
 * handshake means are rules of their own, written here so that each can
 * be read (and changed) in one place, apart from the loop that applies
 * them. A node_link_t holds no socket and no outbox: the sender tells it
 * what happened (connected, sent, heard, a round trip, a Pong) and asks
 * it what to do (is the link silent? may the suspect go? is it time to
 * close?). Times are monotonic milliseconds (zclock_mono()).
 *
 * The rules, each explained where it is coded in node_link.c:
 *   - Silence: counted from the oldest unanswered send, against the
 *     larger of --timeout and the link's RTO (srtt + 4 x rttvar).
 *   - Waiting for a connection (ZMQ_IMMEDIATE refuses sends until one is
 *     up): looked at every 20 ms doubling to --poll; "hub unreachable"
 *     after 3 x the silence limit.
 *   - Poison suspect: the oldest in flight when the link died, three
 *     rounds running, is sent alone after a Ping; three strikes and it
 *     is set aside (the bound is in proto/README.md).
 *   - Heartbeats: while reports await answers and nothing has come back
 *     for half the silence limit, a Ping; its Pong, like any answer, is a
 *     sign of life. A connection that libzmq reports closed
 *     (ZMQ_EVENT_DISCONNECTED) with reports in flight is dead at once.
 *   - Idle: nothing sent or heard for --idle-disconnect ms.
 *   - The backlog probe: after a link failure, the next connection sends
 *     a Ping alone and opens the window on its Pong; after a failure in
 *     which the link carried nothing (silence), that connection is opened
 *     at once and held, instead of after the backoff.
 *   - Handshake failures: named by their cause, logged at ERROR once and
 *     then at most every five minutes with a count.
 */
#ifndef NODE_LINK_H
#define NODE_LINK_H

#include "bc_keys.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NODE_PING_TAG UINT64_MAX         /* the isolation Ping (never a seq) */
#define NODE_PING2_TAG (UINT64_MAX - 1)  /* the Ping sent right behind it */
/* UINT64_MAX - 2 is the delivery loop's CatalogQuery (NODE_COPY_TAG,
 * node_sender_int.h). */
#define NODE_PROBE_TAG (UINT64_MAX - 3)  /* the backlog probe's Ping */
#define NODE_BEAT_TAG (UINT64_MAX - 4)   /* a heartbeat Ping */
/* UINT64_MAX - 5 is the Ping that asks at start (NODE_PROBE_START_TAG,
 * node_probe.h). */

typedef struct {
    long long timeout_ms;         /* --timeout: the least silence limit */
    long long poll_ms;            /* --poll: the longest wait for a link */
    long long idle_disconnect_ms; /* --idle-disconnect (0 = never) */
    long long backoff_max_ms;     /* --backoff-max */
    bool curve;                   /* CURVE on (--hub-key, not --plain) */
    bool cert;                    /* --cert given (not a throwaway key) */
} node_link_config_t;

typedef struct node_link_t node_link_t;

/* A link judge with these settings (copied). Never NULL (out of memory
 * aborts in bc_calloc). */
node_link_t *node_link_new(const node_link_config_t *cfg);
/* Frees it; accepts NULL and clears *self_p. */
void node_link_destroy(node_link_t **self_p);

/* --- What happened ---------------------------------------------------- */

/* A new socket connects at `now`: it counts as heard (nothing can be
 * silent before anything was sent), and the wait for it starts afresh. */
void node_link_connected(node_link_t *self, int64_t now);
/* The socket was closed: the isolation Pings of this socket are void. */
void node_link_dropped(node_link_t *self);
/* Anything came from the hub at `now`. */
void node_link_heard(node_link_t *self, int64_t now);
/* A submission left at `now`. */
void node_link_sent(node_link_t *self, int64_t now);
/* One round trip of a submission measured, ms (send to answer on one
 * connection: Karn's rule is the sender's, which frees slots on every
 * disconnect). */
void node_link_round_trip(node_link_t *self, int64_t ms);
/* A send found no connection up (ZMQ_IMMEDIATE) at `now`. */
void node_link_send_blocked(node_link_t *self, int64_t now);
/* A send went out: a connection is up. */
void node_link_send_ok(node_link_t *self);

/* --- What to do ------------------------------------------------------- */

/* How long a submission may go unanswered: the larger of --timeout and
 * srtt + 4 x rttvar. */
int64_t node_link_silence_limit(const node_link_t *self);
/* True when the link is silent at `now`, given `inflight` submissions
 * whose oldest left at `oldest_sent`; *silent_ms says for how long. */
bool node_link_is_silent(const node_link_t *self, int64_t now,
                         size_t inflight, int64_t oldest_sent,
                         int64_t *silent_ms);
/* True while sends find no connection up. */
bool node_link_waiting(const node_link_t *self);
/* How long to wait before looking again while waiting, ms. */
int64_t node_link_wait_ivl(const node_link_t *self);
/* True when sends have found no connection up for longer than 3 x the
 * silence limit (with nothing in flight): the hub is unreachable; *ms
 * says for how long. */
bool node_link_unreachable(const node_link_t *self, int64_t now,
                           size_t inflight, int64_t *ms);
/* True when nothing was sent or heard for --idle-disconnect ms since the
 * connect (the caller checks that nothing waits); *idle_ms says how long. */
bool node_link_idle_due(const node_link_t *self, int64_t now,
                        int64_t *idle_ms);

/* True when a heartbeat Ping is due at `now`: `inflight` submissions, the
 * oldest sent at `oldest_sent`, and nothing heard (nor a heartbeat sent)
 * for half the silence limit. */
bool node_link_beat_due(const node_link_t *self, int64_t now,
                        size_t inflight, int64_t oldest_sent);
/* A heartbeat Ping was queued at `now`. */
void node_link_beat_sent(node_link_t *self, int64_t now);

/* --- Poison suspect (see node_link.c) --------------------------------- */

typedef enum {
    NODE_LINK_GO = 0,          /* send up to the window */
    NODE_LINK_PING_FIRST = 1,  /* send the isolation Ping, then ask again */
    NODE_LINK_HOLD = 2,        /* send nothing now */
    NODE_LINK_ALONE = 3,       /* send the suspect alone (one report) */
    NODE_LINK_PROBE = 4        /* send the probe's Ping, nothing else */
} node_link_gate_t;

/* May submissions go, with `inflight` on the wire? */
node_link_gate_t node_link_gate(const node_link_t *self, size_t inflight);
/* The seq sent alone, 0 when none. */
uint64_t node_link_isolated(const node_link_t *self);
/* The isolation Ping (NODE_PING_TAG) or the one behind the suspect
 * (NODE_PING2_TAG) was queued at `now` (ok) or could not be (!ok). */
void node_link_ping_sent(node_link_t *self, uint64_t tag, bool ok,
                         int64_t now);
/* A Pong with this tag came from the hub process started at `started`.
 * Returns true when the suspect is to be set aside now (the caller marks
 * it rejected, then calls node_link_set_aside). */
bool node_link_pong(node_link_t *self, uint64_t tag, uint64_t started);
/* The suspect was marked rejected: forget it, back to normal. */
void node_link_set_aside(node_link_t *self);
/* The suspect was settled meanwhile (not first pending any more). */
void node_link_not_pending(node_link_t *self);
/* An answer for `seq` came: if it was the suspect, it is not poison. */
void node_link_answered(node_link_t *self, uint64_t seq);
/* The link was judged dead with `oldest` the oldest seq in flight (0:
 * none): counts the rounds, and notes a possible strike. */
void node_link_judge(node_link_t *self, uint64_t oldest);
/* True when the isolation Ping went unanswered for a silence limit with
 * nothing in flight: the link is down. */
bool node_link_ping_lost(const node_link_t *self, int64_t now,
                         size_t inflight);
/* Strikes so far against the suspect. */
unsigned node_link_strikes(const node_link_t *self);

/* --- The backlog probe (see node_link.c) ----------------------------- */

/* The link failed: the next connection is a probe (a Ping first, the
 * window only once its Pong is back). */
void node_link_probe_begin(node_link_t *self);
/* True while the current or next connection is a probe. */
bool node_link_probing(const node_link_t *self);
/* The probe's Ping was queued at `now` (ok) or found no connection up. */
void node_link_probe_sent(node_link_t *self, bool ok, int64_t now);
/* True when the probe's Ping went out and no Pong came back within
 * node_link_hold_ms on a connection that stays up: a hub that takes
 * connections but does not answer (a shorter wait would take a black
 * hole after the Ping for a hung hub; a dead connection is closed by
 * libzmq's heartbeat and seen as DISCONNECTED). */
bool node_link_probe_lost(const node_link_t *self, int64_t now);
/* When the current probe began (monotonic ms), 0 when not probing. */
int64_t node_link_probe_since(const node_link_t *self);
/* How long a connection may take to finish its handshake before libzmq
 * drops it (ZMQ_HANDSHAKE_IVL), ms: the larger of 30 s (libzmq's default),
 * --backoff-max and 3 x the silence limit. A held probe is renewed that
 * often at most during a long outage: one connection per --backoff-max,
 * the attempt bound's own rate. */
int64_t node_link_hold_ms(const node_link_t *self);
/* True when a handshake failure seen at `now` is the held probe's
 * connection reaching node_link_hold_ms without coming up (not a failure
 * of the hub or of the key). */
bool node_link_hold_expired(const node_link_t *self, int64_t now);
/* True when the probe's connection, closed or reset at `now`, had been
 * held for a while (half the silence limit, at least a second): the link
 * cut it, where a hub that is gone (refused, a gateway resetting at once)
 * closes it at once. The first calls for a new probe at once, the second
 * for the backoff. */
bool node_link_probe_cut(const node_link_t *self, int64_t now);

/* --- Handshakes ------------------------------------------------------- */

/* The socket monitor saw `what` (not BC_HANDSHAKE_OTHER) at `now`: writes
 * the cause in words into why (for the outbox and `baocao status`) and
 * logs it at ERROR the first time, then at most every five minutes with
 * the count of failures in between. */
void node_link_handshake_failed(node_link_t *self, bc_handshake_t what,
                                uint16_t event, uint32_t value, int64_t now,
                                char *why, size_t len);
/* The hub answered: the next handshake failure is news again. */
void node_link_recovered(node_link_t *self);

#endif
