/*
 * bc_arena.h -- a bump allocator for short-lived protobuf messages.
 *
 * Decoding a 100-figure report with protobuf-c's default allocator costs
 * ~200 malloc/free pairs; at 20,000 reports a second that was the hub's
 * largest user-space cost. An arena hands out memory from large blocks and
 * frees it all at once, after the batch the messages belong to.
 */
#ifndef BC_ARENA_H
#define BC_ARENA_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

typedef struct bc_arena_t bc_arena_t;

bc_arena_t *bc_arena_new(size_t block_size);
void bc_arena_destroy(bc_arena_t **self_p);

/* Memory for size bytes, 16-byte aligned, valid until the next reset. */
void *bc_arena_alloc(bc_arena_t *self, size_t size);

/* Forgets every allocation; keeps the first block for reuse. */
void bc_arena_reset(bc_arena_t *self);

/* Where the arena stands now, to go back to with bc_arena_rewind. */
typedef struct {
    void *block;               /* the current block then */
    size_t used;               /* bytes of it handed out then */
} bc_arena_mark_t;

bc_arena_mark_t bc_arena_mark(const bc_arena_t *self);

/* Forgets every allocation made since `mark` (which must be this arena's,
 * taken since its last reset), freeing the blocks made since. The hub
 * drops a submission's decoded request this way once it is validated:
 * what the batch keeps of it is copied out, and a batch of reports with
 * breakdowns no longer holds ~40 kB of decoded options per report
 * (BENCHMARKS.md, "Breakdowns"). */
void bc_arena_rewind(bc_arena_t *self, bc_arena_mark_t mark);

/* A protobuf-c allocator drawing from the arena (its free is a no-op):
 * pass it to *_unpack and never call *_free_unpacked on the result. */
ProtobufCAllocator *bc_arena_allocator(bc_arena_t *self);

#endif
