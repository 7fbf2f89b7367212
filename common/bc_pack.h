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

#endif
