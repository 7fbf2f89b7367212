/*
 * node_probe.h -- the backlog probe's question: which of the reports sent
 * before the link failed, whose answers never came, the hub already holds.
 *
 * After a link failure the delivery loop (node_sender.c) sends one Ping,
 * the probe, and opens the window only on its Pong (node_link.h). That
 * Ping also asks about the oldest pending reports already sent (attempts
 * > 0): the window that went with the failed link, at most
 * NODE_PROBE_ASK_MAX, by submission id (Ping.held_asked). The hub's Pong
 * names those it holds from this peer (Pong.held; proto/README.md, "The
 * probe asks before it resends"). They are settled as their resend would
 * have been answered (ACK_DUPLICATE, at the hub's log entry), and are not
 * resent: on a link that cuts while Acks are on their way down, each such
 * report used to cross the link again in full only to be told "duplicate".
 *
 * A report never sent is not asked about (the hub cannot hold it). A hub
 * that predates the field answers with no `held`: everything is resent,
 * as before. A report the hub received but had not committed when it
 * answered is not named either; its resend is answered ACK_DUPLICATE.
 *
 * The same question is asked once at start when an earlier run left
 * reports sent and unanswered (it was killed mid-send, or the machine
 * lost power): a Ping tagged NODE_PROBE_START_TAG goes first on the first
 * connection, and the window opens on its Pong, or after one silence
 * limit without it (node_sender.c, refill). Unlike the probe after a
 * failure it does not change how the link is judged: a hub unreachable
 * at start is told as before.
 *
 * The question lives from its gathering until the next failure
 * (node_probe_reset). This module reads the outbox, never writes it: the
 * acks it makes are the caller's to settle.
 */
#ifndef NODE_PROBE_H
#define NODE_PROBE_H

#include "baocao.pb-c.h"
#include "bc_wire.h"
#include "node_outbox.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* At most this many reports asked about in one probe: the wire's limit. */
#define NODE_PROBE_ASK_MAX BC_HELD_ASKED_MAX

/* The tag of the Ping that asks at start (beside the tags of node_link.h
 * and NODE_COPY_TAG, node_sender_int.h; never a seq). */
#define NODE_PROBE_START_TAG (UINT64_MAX - 5)

typedef struct node_probe_t node_probe_t;

/* A probe with no question yet. Never NULL (aborts when out of memory). */
node_probe_t *node_probe_new(void);
void node_probe_destroy(node_probe_t **self_p);

/* The link failed again: the next probe gathers its question anew. */
void node_probe_reset(node_probe_t *self);

/* Gathers the question once since the last reset: the ids of the oldest
 * pending reports already sent, among the first `window` pending (and at
 * most NODE_PROBE_ASK_MAX). Later calls do nothing. Returns BC_OK, or the
 * outbox's error (BC_EFATAL, BC_ESTORE), the question then empty: a
 * failed read is not tried again for this probe. */
int node_probe_gather(node_probe_t *self, node_outbox_t *outbox,
                      size_t window);

/* How many reports the question names. */
size_t node_probe_asked(const node_probe_t *self);

/* Puts the question in ping, through the caller's ids (NODE_PROBE_ASK_MAX
 * of them), which point into self: pack the Ping before the next call. */
void node_probe_ask(const node_probe_t *self, Baocao__Ping *ping,
                    ProtobufCBinaryData *ids);

/* The Pong's answer: fills acks (room for NODE_PROBE_ASK_MAX) with an
 * ACK_DUPLICATE at the hub's log entry for each report asked about that
 * the Pong names, each once however often it is named; returns how many.
 * Ids the probe did not ask about are ignored. */
size_t node_probe_answer(node_probe_t *self, const Baocao__Pong *pong,
                         node_ack_t *acks);

#endif
