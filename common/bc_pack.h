/*
 * bc_pack.h -- serialises a protobuf-c message to exactly the bytes
 * protobuf_c_message_pack() writes, in one backwards pass instead of
 * walking each nested message once per level above it (see bc_pack.c for
 * why: it was over half of a query reply's cost).
 */
#ifndef BC_PACK_H
#define BC_PACK_H

#include <protobuf-c/protobuf-c.h>

#include <stddef.h>
#include <stdint.h>

/* The serialised message in a new buffer (bc_malloc'ed; the caller frees
 * it; it may be larger than *len) and its length in *len. Never fails
 * (allocation failure aborts, as bc_malloc does). */
uint8_t *bc_pack(const ProtobufCMessage *msg, size_t *len);

/* The same bytes, written into a buffer the caller keeps from one message
 * to the next: *buf (of *cap bytes; NULL and 0 the first time) is used
 * as it is when large enough, else replaced by a larger one (bc_malloc;
 * the old one freed), and both are updated. Returns where the bytes start
 * inside *buf (they run to its end), their length in *len; valid until
 * the buffer's next use. The caller frees *buf with free() when done.
 * Saves bc_pack's allocation, its growth by doubling for a large reply,
 * and its copy of the bytes to the buffer's front. Never fails. */
const uint8_t *bc_pack_into(const ProtobufCMessage *msg, uint8_t **buf,
                            size_t *cap, size_t *len);

#endif
