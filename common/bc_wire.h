/*
 * bc_wire.h -- helpers around the generated protobuf-c code for the wire
 * contract (proto/baocao.proto): submission ids, packing, and names for the
 * enums so that logs and tools print words, not numbers.
 */
#ifndef BC_WIRE_H
#define BC_WIRE_H

#include "baocao.pb-c.h"

#include <stddef.h>
#include <stdint.h>

#define BC_WIRE_VERSION 1            /* Request/Reply.version we speak */
#define BC_ID_LEN 16                 /* submission id, bytes */
#define BC_ID_HEXLEN (BC_ID_LEN * 2) /* its hex form, characters */

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

/* Names, e.g. "stored", "unknown_indicator". Never NULL. */
const char *bc_ack_status_name(Baocao__AckStatus status);
const char *bc_reason_name(Baocao__RejectReason reason);
const char *bc_kind_name(Baocao__IndicatorKind kind);

#endif
