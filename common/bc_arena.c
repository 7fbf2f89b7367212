/*
 * bc_arena.c -- bump allocation in chained blocks (see bc_arena.h).
 */
#include "bc_arena.h"
#include "bc_mem.h"

#include <stdint.h>

typedef struct block_t {
    struct block_t *next;      /* older block */
    size_t size;               /* usable bytes after the header */
    size_t used;               /* bytes handed out */
} block_t;

struct bc_arena_t {
    block_t *head;             /* current block, newest first */
    size_t block_size;         /* size of a new block */
    ProtobufCAllocator pb;     /* protobuf-c view of this arena */
};

static void *pb_alloc(void *data, size_t size)
{
    return bc_arena_alloc(data, size);
}

static void pb_free(void *data, void *ptr)
{
    (void) data;
    (void) ptr;   /* freed with the whole arena */
}

#define HEADER ((sizeof(block_t) + 15) & ~(size_t) 15)

static block_t *new_block(size_t size)
{
    block_t *b = bc_malloc(HEADER + size);
    b->next = NULL;
    b->size = size;
    b->used = 0;
    return b;
}

bc_arena_t *bc_arena_new(size_t block_size)
{
    bc_arena_t *self = bc_calloc(1, sizeof *self);
    self->block_size = block_size < 4096 ? 4096 : block_size;
    self->head = new_block(self->block_size);
    self->pb = (ProtobufCAllocator){pb_alloc, pb_free, self};
    return self;
}

void bc_arena_destroy(bc_arena_t **self_p)
{
    bc_arena_t *self = *self_p;
    if (!self)
        return;
    while (self->head) {
        block_t *next = self->head->next;
        free(self->head);
        self->head = next;
    }
    free(self);
    *self_p = NULL;
}

void *bc_arena_alloc(bc_arena_t *self, size_t size)
{
    size = (size + 15) & ~(size_t) 15;
    block_t *b = self->head;
    if (b->used + size > b->size) {
        size_t want = size > self->block_size ? size : self->block_size;
        b = new_block(want);
        b->next = self->head;
        self->head = b;
    }
    uint8_t *base = (uint8_t *) b + HEADER;
    void *p = base + b->used;
    b->used += size;
    return p;
}

void bc_arena_reset(bc_arena_t *self)
{
    /* Keep the oldest block (the one made by bc_arena_new), free the rest. */
    while (self->head->next) {
        block_t *next = self->head->next;
        free(self->head);
        self->head = next;
    }
    self->head->used = 0;
}

bc_arena_mark_t bc_arena_mark(const bc_arena_t *self)
{
    return (bc_arena_mark_t){self->head, self->head->used};
}

void bc_arena_rewind(bc_arena_t *self, bc_arena_mark_t mark)
{
    /* Blocks are newest first: those above the mark's go. */
    while (self->head != mark.block && self->head->next) {
        block_t *next = self->head->next;
        free(self->head);
        self->head = next;
    }
    if (self->head == mark.block && mark.used <= self->head->used)
        self->head->used = mark.used;
}

ProtobufCAllocator *bc_arena_allocator(bc_arena_t *self)
{
    return &self->pb;
}
