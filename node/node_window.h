/*
 * node_window.h -- the delivery loop's in-flight window: which reports are
 * on the wire, awaiting their answer, and since when.
 *
 * A report enters the window when it is sent (node_window_put) and leaves
 * it when its answer comes (node_window_take) or when the connection it
 * went on is dropped (node_window_clear): the outbox, not the window, is
 * what keeps it (node_outbox.h), so the window is memory only. The loop
 * (node_sender.c) asks it how much room there is, and for the link's
 * judgement (node_link.h) which report is the oldest on the wire (the
 * suspect of a silent link) and when the oldest send left (where the
 * silence is counted from).
 *
 * Slots are few (--window, 8 by default, at most a few hundred), so each
 * question is a walk of the slots: no index to keep.
 */
#ifndef NODE_WINDOW_H
#define NODE_WINDOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct node_window_t node_window_t;

/* A window of `size` slots (at least 1), empty. Never NULL (aborts when
 * out of memory). */
node_window_t *node_window_new(size_t size);
void node_window_destroy(node_window_t **self_p);

size_t node_window_size(const node_window_t *self);   /* slots */
size_t node_window_count(const node_window_t *self);  /* on the wire */
size_t node_window_room(const node_window_t *self);   /* free slots */

/* Outbox seq `seq` (never 0) sent at `now` (monotonic ms). false, and
 * nothing changed, when the window is full. */
bool node_window_put(node_window_t *self, uint64_t seq, int64_t now);

/* The answer to `seq` came: its slot is freed and *sent_at, when not
 * NULL, says when it left. false when it is not on the wire (an answer to
 * an earlier send of the same report, whose slot was already freed). */
bool node_window_take(node_window_t *self, uint64_t seq, int64_t *sent_at);

/* The lowest seq on the wire (the oldest report), 0 when empty. */
uint64_t node_window_oldest(const node_window_t *self);

/* When the earliest send still on the wire left, 0 when empty. */
int64_t node_window_oldest_sent(const node_window_t *self);

/* Writes the seqs on the wire into out (room for node_window_count) and
 * returns how many. */
size_t node_window_seqs(const node_window_t *self, uint64_t *out);

/* The connection is gone: nothing is on the wire any more. */
void node_window_clear(node_window_t *self);

#endif
