/*
 * node_window.c -- the in-flight window (design in node_window.h).
 */
#include "node_window.h"

#include "bc_mem.h"

#include <stdlib.h>
#include <string.h>

/* One submission on the wire. */
typedef struct {
    uint64_t seq;              /* outbox seq, also the request tag; 0 = free */
    int64_t sent_at;           /* when sent, monotonic ms */
} slot_t;

struct node_window_t {
    slot_t *slots;             /* `size` slots, free ones have seq 0 */
    size_t size;
    size_t count;              /* used slots */
};

node_window_t *node_window_new(size_t size)
{
    node_window_t *self = bc_calloc(1, sizeof *self);
    self->size = size ? size : 1;
    self->slots = bc_calloc(self->size, sizeof *self->slots);
    return self;
}

void node_window_destroy(node_window_t **self_p)
{
    node_window_t *self = *self_p;
    if (!self)
        return;
    free(self->slots);
    free(self);
    *self_p = NULL;
}

size_t node_window_size(const node_window_t *self)
{
    return self->size;
}

size_t node_window_count(const node_window_t *self)
{
    return self->count;
}

size_t node_window_room(const node_window_t *self)
{
    return self->size - self->count;
}

bool node_window_put(node_window_t *self, uint64_t seq, int64_t now)
{
    for (size_t s = 0; seq && s < self->size; s++)
        if (!self->slots[s].seq) {
            self->slots[s] = (slot_t){seq, now};
            self->count++;
            return true;
        }
    return false;
}

bool node_window_take(node_window_t *self, uint64_t seq, int64_t *sent_at)
{
    for (size_t s = 0; seq && s < self->size; s++)
        if (self->slots[s].seq == seq) {
            if (sent_at)
                *sent_at = self->slots[s].sent_at;
            self->slots[s].seq = 0;
            self->count--;
            return true;
        }
    return false;
}

uint64_t node_window_oldest(const node_window_t *self)
{
    uint64_t oldest = 0;
    for (size_t s = 0; s < self->size; s++)
        if (self->slots[s].seq && (!oldest || self->slots[s].seq < oldest))
            oldest = self->slots[s].seq;
    return oldest;
}

int64_t node_window_oldest_sent(const node_window_t *self)
{
    int64_t oldest = 0;
    for (size_t s = 0; s < self->size; s++)
        if (self->slots[s].seq
            && (!oldest || self->slots[s].sent_at < oldest))
            oldest = self->slots[s].sent_at;
    return oldest;
}

size_t node_window_seqs(const node_window_t *self, uint64_t *out)
{
    size_t n = 0;
    for (size_t s = 0; s < self->size && n < self->count; s++)
        if (self->slots[s].seq)
            out[n++] = self->slots[s].seq;
    return n;
}

void node_window_clear(node_window_t *self)
{
    memset(self->slots, 0, self->size * sizeof *self->slots);
    self->count = 0;
}
