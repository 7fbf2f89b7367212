/*
 * bc_wire.h -- helpers around the generated protobuf-c code for the wire
 * contract (proto/baocao.proto): submission ids, packing, and names for the
 * enums so that logs and tools print words, not numbers, and a scanner
 * that cuts one field's bytes out of a serialised message.
 */
#ifndef BC_WIRE_H
#define BC_WIRE_H

#include "baocao.pb-c.h"

#include <stddef.h>
#include <stdint.h>

#define BC_WIRE_VERSION 1            /* Request/Reply.version we speak */
#define BC_ID_LEN 16                 /* submission id, bytes */
#define BC_ID_HEXLEN (BC_ID_LEN * 2) /* its hex form, characters */

/* Ping.held_asked: at most this many ids asked about in one Ping. The node
 * asks about no more (node_probe.h); the hub looks at no more (the rest
 * go unanswered, and are resent and told ACK_DUPLICATE). */
#define BC_HELD_ASKED_MAX 64

/* A new submission id, time-ordered like a UUIDv7: 48 bits of Unix
 * milliseconds (big-endian), then 80 random bits (libsodium's CSPRNG).
 * Unique without coordination, and new ids sort after old ones, so the
 * hub's dedup index grows at its end instead of on a random page. */
void bc_id_new(uint8_t id[BC_ID_LEN]);

/* Lower-case hex; out must hold BC_ID_HEXLEN + 1 bytes. Returns out. */
char *bc_id_hex(const uint8_t *id, size_t len, char *out);

/* Parses 32 hex characters. Returns BC_OK or BC_EINVAL. */
int bc_id_parse(const char *hex, uint8_t id[BC_ID_LEN]);

/* Serialises any message into a new buffer (bc_malloc'ed) and its length. */
uint8_t *bc_wire_pack(const ProtobufCMessage *msg, size_t *len);

/* Checks every string field of msg, nested messages and repeated fields
 * included, against the contract's rule: valid UTF-8, no control
 * characters, at most BC_TEXT_MAX bytes (bc_limits.h). Returns BC_OK, or
 * BC_EINVAL with the offending field's name (never its bytes) in err. */
int bc_wire_check_text(const ProtobufCMessage *msg, char *err, size_t errlen);

/* --- a small protobuf wire scanner ---------------------------------------
 * A provincial hub forwards each logged Submission byte for byte (the same
 * id, the same bytes: proto/README.md "Federation"). Decoding the logged
 * Request and packing its Submission again would give equal fields but not
 * necessarily equal bytes (field order, unknown fields of a newer node), so
 * the bytes are cut out of the logged Request instead, and put into a new
 * Request the way the node wraps its outbox blobs. */

/* Finds the length-delimited field number `field` at the top level of the
 * protobuf message in buf[0..len). On BC_OK *out points into buf at the
 * field's payload (without its key and length) and *out_len is its length.
 * Returns BC_ENOTFOUND if the message has no such field, BC_EINVAL if the
 * bytes are not a well-formed message (a truncated varint or length, a
 * group, wire types 6 or 7, field number 0), if the field has another wire
 * type, or if it occurs more than once: protobuf merges repeated
 * occurrences of a message field, so no single byte range would be it. */
int bc_wire_find_field(const uint8_t *buf, size_t len, uint32_t field,
                       const uint8_t **out, size_t *out_len);

/* A serialised message made of `head` (packed as is) followed by field
 * number `field` (1..2^29-1) holding body[0..body_len) as a
 * length-delimited payload: how a node wraps a stored Submission into a
 * Request without re-encoding it (field 10, `submit`). Returns a new buffer
 * (bc_malloc'ed; free it) and its length in *len. */
uint8_t *bc_wire_wrap(const ProtobufCMessage *head, uint32_t field,
                      const uint8_t *body, size_t body_len, size_t *len);

/* Names, e.g. "stored", "unknown_indicator". Never NULL. */
const char *bc_ack_status_name(Baocao__AckStatus status);
const char *bc_reason_name(Baocao__RejectReason reason);
const char *bc_kind_name(Baocao__IndicatorKind kind);

#endif
