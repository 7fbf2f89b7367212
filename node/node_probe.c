/*
 * node_probe.c -- the backlog probe's question (design in node_probe.h).
 *
 * The question is read once per probe from the stored Submission bytes
 * (their id field), not kept beside each outbox entry: it is needed only
 * after a failure, and the outbox's records stay as they are.
 */
#include "node_probe.h"

#include "bc_error.h"
#include "bc_mem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct node_probe_t {
    bool ready;                              /* gathered since the reset */
    size_t n;                                /* reports asked about */
    uint64_t seq[NODE_PROBE_ASK_MAX];        /* their outbox seqs; 0 once
                                                answered */
    uint8_t id[NODE_PROBE_ASK_MAX][16];      /* their submission ids */
};

node_probe_t *node_probe_new(void)
{
    return bc_calloc(1, sizeof(node_probe_t));
}

void node_probe_destroy(node_probe_t **self_p)
{
    free(*self_p);
    *self_p = NULL;
}

void node_probe_reset(node_probe_t *self)
{
    self->ready = false;
    self->n = 0;
}

int node_probe_gather(node_probe_t *self, node_outbox_t *outbox,
                      size_t window)
{
    if (self->ready)
        return BC_OK;
    self->ready = true;
    self->n = 0;
    size_t want = window < NODE_PROBE_ASK_MAX ? window : NODE_PROBE_ASK_MAX;
    if (!want)
        return BC_OK;
    node_pending_t *batch = bc_calloc(want, sizeof *batch);
    size_t n = 0;
    int rc = node_outbox_pending(outbox, 0, want, batch, &n);
    for (size_t i = 0; rc == BC_OK && i < n; i++) {
        if (!batch[i].attempts)
            continue;   /* never sent: the hub cannot hold it */
        Baocao__Submission *sub = baocao__submission__unpack(
            NULL, batch[i].blob_len, batch[i].blob);
        if (sub && sub->id.len == 16) {
            self->seq[self->n] = batch[i].seq;
            memcpy(self->id[self->n], sub->id.data, 16);
            self->n++;
        }
        baocao__submission__free_unpacked(sub, NULL);
    }
    node_pending_free(batch, n);
    free(batch);
    return rc;
}

size_t node_probe_asked(const node_probe_t *self)
{
    return self->n;
}

void node_probe_ask(const node_probe_t *self, Baocao__Ping *ping,
                    ProtobufCBinaryData *ids)
{
    for (size_t i = 0; i < self->n; i++)
        ids[i] = (ProtobufCBinaryData){16, (uint8_t *) self->id[i]};
    ping->n_held_asked = self->n;
    ping->held_asked = self->n ? ids : NULL;
}

size_t node_probe_answer(node_probe_t *self, const Baocao__Pong *pong,
                         node_ack_t *acks)
{
    size_t n = 0;
    for (size_t h = 0; h < pong->n_held && n < NODE_PROBE_ASK_MAX; h++) {
        const ProtobufCBinaryData *id = &pong->held[h]->id;
        for (size_t i = 0; id->len == 16 && i < self->n; i++)
            if (self->seq[i] && memcmp(self->id[i], id->data, 16) == 0) {
                acks[n++] = (node_ack_t){
                    self->seq[i], BAOCAO__ACK_STATUS__ACK_DUPLICATE,
                    BAOCAO__REJECT_REASON__REASON_NONE,
                    pong->held[h]->hub_seq,
                    "held by the hub (answered by the probe, not resent)"};
                self->seq[i] = 0;   /* once */
                break;
            }
    }
    return n;
}
