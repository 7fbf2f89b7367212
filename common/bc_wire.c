/*
 * bc_wire.c -- ids, packing and enum names for the wire contract, and the
 * wire scanner (why it exists: bc_wire.h).
 *
 * The scanner reads the protobuf encoding directly (key = field << 3 |
 * wire type, varints of 7 bits a byte) and never trusts a length: each
 * one is checked against the bytes left, so a hostile or damaged record
 * makes it return BC_EINVAL, never read past the buffer.
 */
#include "bc_wire.h"
#include "bc_pack.h"
#include "bc_error.h"
#include "bc_limits.h"
#include "bc_log.h"
#include "bc_mem.h"

#include <sodium.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

void bc_id_new(uint8_t id[BC_ID_LEN])
{
    /* Idempotent and cheap after the first call. randombytes_buf() works
     * even if it failed (it only picks faster implementations), so a
     * failure changes nothing here. */
    if (sodium_init() < 0)
        BC_DEBUG("sodium_init failed; using libsodium's defaults");
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t ms = (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
    for (int i = 5; i >= 0; i--, ms >>= 8)
        id[i] = (uint8_t) ms;
    randombytes_buf(id + 6, BC_ID_LEN - 6);
}

char *bc_id_hex(const uint8_t *id, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    if (len > BC_ID_LEN)
        len = BC_ID_LEN;
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[id[i] >> 4];
        out[2 * i + 1] = digits[id[i] & 15];
    }
    out[2 * len] = '\0';
    return out;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int bc_id_parse(const char *hex, uint8_t id[BC_ID_LEN])
{
    if (strlen(hex) != BC_ID_HEXLEN)
        return BC_EINVAL;
    for (size_t i = 0; i < BC_ID_LEN; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return BC_EINVAL;
        id[i] = (uint8_t) (hi << 4 | lo);
    }
    return BC_OK;
}

uint8_t *bc_wire_pack(const ProtobufCMessage *msg, size_t *len)
{
    /* protobuf-c's own bytes, each nested size computed once (bc_pack.c). */
    return bc_pack(msg, len);
}

/* Reads a varint at *p (before end). false if truncated or over 10 bytes. */
static bool read_varint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 70; shift += 7) {
        if (*p >= end)
            return false;
        uint8_t b = *(*p)++;
        v |= (uint64_t) (b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false;
}

static size_t put_varint(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    do {
        uint8_t b = v & 0x7f;
        v >>= 7;
        p[n++] = b | (v ? 0x80 : 0);
    } while (v);
    return n;
}

int bc_wire_find_field(const uint8_t *buf, size_t len, uint32_t field,
                       const uint8_t **out, size_t *out_len)
{
    if (len == 0)      /* also buf == NULL: an empty message has no field */
        return BC_ENOTFOUND;
    const uint8_t *p = buf, *end = buf + len;
    bool found = false;
    while (p < end) {
        uint64_t key, n;
        if (!read_varint(&p, end, &key) || key >> 3 == 0
            || key >> 3 > UINT32_MAX)
            return BC_EINVAL;
        uint32_t num = (uint32_t) (key >> 3);
        unsigned type = (unsigned) (key & 7);
        if (num == field && type != 2)
            return BC_EINVAL;
        switch (type) {
        case 0:                                  /* varint */
            if (!read_varint(&p, end, &n))
                return BC_EINVAL;
            break;
        case 1:                                  /* 64-bit */
        case 5:                                  /* 32-bit */
            n = type == 1 ? 8 : 4;
            if ((size_t) (end - p) < n)
                return BC_EINVAL;
            p += n;
            break;
        case 2:                                  /* length-delimited */
            if (!read_varint(&p, end, &n) || n > (uint64_t) (end - p))
                return BC_EINVAL;
            if (num == field) {
                if (found)
                    return BC_EINVAL;
                found = true;
                *out = p;
                *out_len = (size_t) n;
            }
            p += n;
            break;
        default:                                 /* groups, 6, 7 */
            return BC_EINVAL;
        }
    }
    return found ? BC_OK : BC_ENOTFOUND;
}

uint8_t *bc_wire_wrap(const ProtobufCMessage *head, uint32_t field,
                      const uint8_t *body, size_t body_len, size_t *len)
{
    size_t hlen = protobuf_c_message_get_packed_size(head);
    uint8_t *buf = bc_malloc(hlen + 20 + body_len);
    protobuf_c_message_pack(head, buf);
    size_t n = hlen;
    n += put_varint(buf + n, (uint64_t) field << 3 | 2);
    n += put_varint(buf + n, body_len);
    if (body_len)
        memcpy(buf + n, body, body_len);
    *len = n + body_len;
    return buf;
}

const char *bc_ack_status_name(Baocao__AckStatus status)
{
    switch (status) {
    case BAOCAO__ACK_STATUS__ACK_STORED:      return "stored";
    case BAOCAO__ACK_STATUS__ACK_DUPLICATE:   return "duplicate";
    case BAOCAO__ACK_STATUS__ACK_SUPERSEDED:  return "superseded";
    case BAOCAO__ACK_STATUS__ACK_REJECTED:    return "rejected";
    case BAOCAO__ACK_STATUS__ACK_RETRY_LATER: return "retry_later";
    default:                                  return "unspecified";
    }
}

/* One string of field f: valid, or BC_EINVAL naming f. */
static int check_one(const ProtobufCMessage *msg,
                     const ProtobufCFieldDescriptor *f, const char *s,
                     char *err, size_t errlen)
{
    size_t len = s ? strlen(s) : 0;
    if (len > BC_TEXT_MAX) {
        bc_set_error(err, errlen, "%s.%s is %zu bytes; at most %d",
                     msg->descriptor->short_name, f->name, len,
                     BC_TEXT_MAX);
        return BC_EINVAL;
    }
    if (!bc_text_valid(s, len)) {
        bc_set_error(err, errlen, "%s.%s is not valid UTF-8 text (invalid "
                     "bytes or control characters)",
                     msg->descriptor->short_name, f->name);
        return BC_EINVAL;
    }
    return BC_OK;
}

/* Walks the message with its descriptor, so that a field added to the
 * contract later is checked without anyone remembering to. protobuf-c
 * keeps a string as a NUL-terminated char *: an embedded NUL already
 * ends it, and is caught as a shorter string that still decodes. */
int bc_wire_check_text(const ProtobufCMessage *msg, char *err, size_t errlen)
{
    if (!msg)
        return BC_OK;
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    const uint8_t *base = (const uint8_t *) msg;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->type != PROTOBUF_C_TYPE_STRING
            && f->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            uint32_t which;
            memcpy(&which, base + f->quantifier_offset, sizeof which);
            if (which != f->id)
                continue;
        }
        size_t n = 1;
        const void *const *items = (const void *const *) (base + f->offset);
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            memcpy(&n, base + f->quantifier_offset, sizeof n);
            memcpy(&items, base + f->offset, sizeof items);
        }
        for (size_t k = 0; k < n; k++) {
            const void *item = items[k];
            int rc = f->type == PROTOBUF_C_TYPE_STRING
                         ? check_one(msg, f, item, err, errlen)
                         : bc_wire_check_text(item, err, errlen);
            if (rc)
                return rc;
        }
    }
    return BC_OK;
}

const char *bc_reason_name(Baocao__RejectReason reason)
{
    /* Indexed by the enum's value; the order follows proto/baocao.proto. */
    static const char *names[] = {
        "none", "malformed", "version", "unknown_unit",
        "unknown_indicator", "negative", "not_integer", "bad_period",
        "future_period", "bad_revision", "not_reporting", "not_authorized",
        "too_large", "too_many_values", "duplicate_value", "not_reportable",
        "bad_id", "store_full", "internal", "bad_request",
        "count_too_large", "bad_filed_at",
        /* issue #11 takes 26-29: named by value, so that 22-25 (other
         * work) can be filled in without moving them */
        [BAOCAO__REJECT_REASON__REASON_VALIDATION] = "validation",
        [BAOCAO__REJECT_REASON__REASON_NOT_VALID_IN_PERIOD] =
            "not_valid_in_period",
        [BAOCAO__REJECT_REASON__REASON_UNIT_ENDED] = "unit_ended",
        [BAOCAO__REJECT_REASON__REASON_LOCKED] = "locked",
        [BAOCAO__REJECT_REASON__REASON_UNKNOWN_COMBINATION] =
            "unknown_combination",
        [BAOCAO__REJECT_REASON__REASON_INCOMPLETE_COMBINATION] =
            "incomplete_combination",
    };
    if ((unsigned) reason >= sizeof names / sizeof names[0]
        || !names[reason])
        return "unspecified";
    return names[reason];
}

const char *bc_kind_name(Baocao__IndicatorKind kind)
{
    switch (kind) {
    case BAOCAO__INDICATOR_KIND__KIND_FLOW:  return "flow";
    case BAOCAO__INDICATOR_KIND__KIND_STOCK: return "stock";
    case BAOCAO__INDICATOR_KIND__KIND_RATIO: return "ratio";
    default:                                 return "unspecified";
    }
}
