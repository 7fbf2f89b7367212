/*
 * node_sender_int.h -- inside the delivery loop: its state, and what its
 * two files share. Not for use outside node_sender.c and node_answers.c:
 * everyone else goes through node_sender.h.
 *
 *   node_sender.c   the loop: connecting, backing off, filling the window,
 *                   judging the link, going idle
 *   node_answers.c  what comes back: the hub's replies (Acks settled in the
 *                   outbox, Pongs, the copy of the catalogue) and the
 *                   socket's events (a connection cut, a handshake refused)
 */
#ifndef NODE_SENDER_INT_H
#define NODE_SENDER_INT_H

#include "node_sender.h"

#include "bc_lock.h"
#include "node_link.h"
#include "node_outbox.h"
#include "node_probe.h"
#include "node_window.h"

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* The tag of the CatalogQuery for the node's copy (beside NODE_PING_TAG,
 * NODE_PING2_TAG, NODE_PROBE_TAG and NODE_BEAT_TAG, node_link.h; never a
 * seq). */
#define NODE_COPY_TAG (UINT64_MAX - 2)

/* The question at start (node_probe.h): none, due on the first connection,
 * or sent and awaiting its Pong. */
enum { START_NONE, START_DUE, START_SENT };

struct node_sender_t {
    node_config_t cfg;         /* settings (strings borrowed) */
    node_outbox_t *outbox;     /* the durable outbox */
    zsock_t *sock;             /* DEALER to the hub, NULL while backing off */
    zsock_t *monitor;          /* PAIR receiving handshake failures */
    node_window_t *window;     /* what is in flight (node_window.h) */
    uint64_t cursor;           /* last seq put in flight since connecting */
    int64_t retry_at;          /* no socket / no sends before this */
    int64_t backoff;           /* current backoff, ms */
    int64_t last_look;         /* last time the outbox was scanned */
    bool more_pending;         /* the last scan filled the window */
    uint64_t rng;              /* jitter state */
    char last_error[256];      /* last error recorded in the outbox */
    int store_rc;              /* last store error logged, 0 once the
                                  outbox records again */
    bool store_failed;         /* the outbox's disk failed: stop */
    uint64_t unknown_seen;     /* unknown ack statuses logged (bit = value) */
    bc_lock_t *lock;           /* our exclusive hold on the outbox folder */
    bool retry_recorded;       /* a next-retry time is in the outbox */
    node_link_t *link;         /* judges the link's health */
    bool idle;                 /* link closed for want of anything to send:
                                  reopened when a report is filed */
    bool copy_asked;           /* the copy was asked for on this socket */
    int64_t copy_sent_at;      /* when, monotonic ms; 0 once answered */
    node_probe_t *probe;       /* the probe's question (node_probe.h) */
    int start_ask;             /* the question at start: START_* below */
    int64_t start_ask_at;      /* when its Ping went, monotonic ms */
};

static inline int64_t node_wall_s(void)
{
    return (int64_t) time(NULL);
}

/* --- node_sender.c, for node_answers.c ----------------------------------- */

/* Records the last delivery problem in the outbox (and logs it at WARN)
 * when its words changed. */
void node_sender_record_error(node_sender_t *self, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Judges the result of an outbox call: a disk failure stops the daemon,
 * another store error is logged once until the outbox records again.
 * Returns rc. */
int node_sender_check_store(node_sender_t *self, int rc, const char *what);

/* Waits the backoff (with jitter) before the next try, and doubles it. */
void node_sender_back_off(node_sender_t *self, const char *why);

/* Closes the socket; what was in flight goes again on the next one. */
void node_sender_disconnect(node_sender_t *self);

/* The link failed: the next connection is a probe (node_link.h), at once
 * or after the backoff. */
void node_sender_link_failed(node_sender_t *self, const char *why,
                             bool at_once);

/* --- node_answers.c, for node_sender.c ----------------------------------- */

/* Reads every reply waiting on the socket and settles the Acks among them
 * in one outbox transaction. */
void node_answers_receive(node_sender_t *self);

/* Reads one event of the socket's monitor (a connection closed, a
 * handshake failed) and does what it calls for. */
void node_answers_monitor(node_sender_t *self);

#endif
