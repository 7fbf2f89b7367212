/*
 * bc_pack.c -- protobuf serialisation in one pass, written backwards
 * (rules in bc_pack.h).
 *
 * Why not protobuf_c_message_pack(): to write a nested message's length
 * prefix, protobuf-c computes that message's size (recursively) at the
 * moment it packs it, after the caller has already computed the whole
 * message's size: a message at depth d is walked d + 1 times, and a
 * QueryReply's ~700 nested messages (Reply > QueryReply > Figure > Num)
 * made packing over half of a facility query's instructions (callgrind,
 * BENCHMARKS.md). Written from the last field to the first, from the end
 * of the buffer towards its start, a nested message's length is known
 * when its prefix is due (it is the bytes just written), so every field is
 * visited once and no size is computed ahead.
 *
 * The bytes are protobuf-c's, exactly: the same field order (the
 * descriptor's), the same presence rules (required, proto2 optional with
 * has_ or a pointer other than the default, proto3 implicit presence
 * omitting zero, oneof by its case), packed repeated scalars, unknown
 * fields copied as parsed, after the known ones. tests/unit/test_pack.c
 * compares the two byte for byte over every kind of field the contract
 * uses.
 */
#include "bc_pack.h"
#include "bc_mem.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* --- scalar sizes and writers ------------------------------------------ */

static size_t varint_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static size_t put_varint(uint8_t *out, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        out[n++] = (uint8_t) (v | 0x80);
        v >>= 7;
    }
    out[n++] = (uint8_t) v;
    return n;
}

static uint32_t zigzag32(int32_t v)
{
    return ((uint32_t) v << 1) ^ (uint32_t) -(int32_t) ((uint32_t) v >> 31);
}

static uint64_t zigzag64(int64_t v)
{
    return ((uint64_t) v << 1) ^ (uint64_t) -(int64_t) ((uint64_t) v >> 63);
}

static ProtobufCWireType wire_type(ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_FLOAT:
        return PROTOBUF_C_WIRE_TYPE_32BIT;
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_DOUBLE:
        return PROTOBUF_C_WIRE_TYPE_64BIT;
    case PROTOBUF_C_TYPE_STRING:
    case PROTOBUF_C_TYPE_BYTES:
    case PROTOBUF_C_TYPE_MESSAGE:
        return PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED;
    default:
        return PROTOBUF_C_WIRE_TYPE_VARINT;
    }
}

/* The varint a scalar of a varint type is written as. */
static uint64_t varint_of(ProtobufCType t, const void *m)
{
    switch (t) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_ENUM:
        /* Negative int32 are sign-extended to ten bytes, as protobuf
         * requires. */
        return (uint64_t) (int64_t) *(const int32_t *) m;
    case PROTOBUF_C_TYPE_SINT32:
        return zigzag32(*(const int32_t *) m);
    case PROTOBUF_C_TYPE_UINT32:
        return *(const uint32_t *) m;
    case PROTOBUF_C_TYPE_SINT64:
        return zigzag64(*(const int64_t *) m);
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_UINT64:
        return *(const uint64_t *) m;
    case PROTOBUF_C_TYPE_BOOL:
        return *(const protobuf_c_boolean *) m ? 1 : 0;
    default:
        return 0;
    }
}

/* Bytes of one element in a repeated field's array. */
static size_t elt_size(ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_DOUBLE:
        return 8;
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_STRING:
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(void *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    default:
        return 4;
    }
}

/* Is a proto3 (label NONE) field at its zero value, so left out? */
static bool zeroish(const ProtobufCFieldDescriptor *f, const void *m)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_BOOL:
        return !*(const protobuf_c_boolean *) m;
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(const char *const *) m;
        return !s || !*s;
    }
    case PROTOBUF_C_TYPE_BYTES:
        return ((const ProtobufCBinaryData *) m)->len == 0;
    case PROTOBUF_C_TYPE_MESSAGE:
        return *(const void *const *) m == NULL;
    case PROTOBUF_C_TYPE_FLOAT:
        return *(const float *) m == 0;
    case PROTOBUF_C_TYPE_DOUBLE:
        return *(const double *) m == 0;
    default:
        return elt_size(f->type) == 8 ? *(const uint64_t *) m == 0
                                      : *(const uint32_t *) m == 0;
    }
}

/* Is field f of the message at base present on the wire (for a repeated
 * field: how many elements)? */
static size_t present(const ProtobufCFieldDescriptor *f, const uint8_t *base)
{
    const void *m = base + f->offset;
    const void *q = base + f->quantifier_offset;
    bool ptr_type = f->type == PROTOBUF_C_TYPE_STRING
                    || f->type == PROTOBUF_C_TYPE_MESSAGE;
    switch (f->label) {
    case PROTOBUF_C_LABEL_REQUIRED:
        return 1;
    case PROTOBUF_C_LABEL_REPEATED:
        return *(const size_t *) q;
    default:
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            if (*(const uint32_t *) q != f->id)
                return 0;
            if (ptr_type) {
                const void *p = *(const void *const *) m;
                return p && p != f->default_value;
            }
            return 1;
        }
        if (f->label == PROTOBUF_C_LABEL_OPTIONAL) {
            if (ptr_type) {
                const void *p = *(const void *const *) m;
                return p && p != f->default_value;
            }
            return *(const protobuf_c_boolean *) q ? 1 : 0;
        }
        return !zeroish(f, m);
    }
}

/* --- the backwards writer ---------------------------------------------- */

typedef struct {
    uint8_t *buf;            /* bytes [pos, cap) are the output so far */
    size_t pos, cap;
} out_t;

/* Room for n more bytes in front of what is written. */
static void room(out_t *o, size_t n)
{
    if (o->pos >= n)
        return;
    size_t used = o->cap - o->pos, cap = o->cap * 2;
    while (cap - used < n)
        cap *= 2;
    uint8_t *b = bc_malloc(cap);
    memcpy(b + cap - used, o->buf + o->pos, used);
    free(o->buf);
    o->buf = b;
    o->pos = cap - used;
    o->cap = cap;
}

static void put_front(out_t *o, const void *p, size_t n)
{
    room(o, n);
    o->pos -= n;
    memcpy(o->buf + o->pos, p, n);
}

static void varint_front(out_t *o, uint64_t v)
{
    if (v < 0x80 && o->pos) {   /* most keys and lengths: one byte */
        o->buf[--o->pos] = (uint8_t) v;
        return;
    }
    size_t n = varint_size(v);
    room(o, n);
    o->pos -= n;
    put_varint(o->buf + o->pos, v);
}

static void message_front(out_t *o, const ProtobufCMessage *msg);

/* A length-delimited payload (string or bytes) and its length, in front. */
static void bytes_front(out_t *o, const void *p, size_t len)
{
    if (len)
        put_front(o, p, len);
    varint_front(o, len);
}

/* A nested message and its length (known once it is written), in front. */
static void sub_front(out_t *o, const ProtobufCMessage *sub)
{
    size_t end = o->cap - o->pos;   /* bytes after us, as pos moves */
    if (sub)
        message_front(o, sub);
    varint_front(o, o->cap - o->pos - end);
}

/* One element's payload (without its key), in front. */
static void value_front(out_t *o, const ProtobufCFieldDescriptor *f,
                        const void *m)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_FLOAT: {
        uint32_t v;
        uint8_t b[4];
        memcpy(&v, m, 4);
        for (int i = 0; i < 4; i++)
            b[i] = (uint8_t) (v >> (8 * i));
        put_front(o, b, 4);
        return;
    }
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_DOUBLE: {
        uint64_t v;
        uint8_t b[8];
        memcpy(&v, m, 8);
        for (int i = 0; i < 8; i++)
            b[i] = (uint8_t) (v >> (8 * i));
        put_front(o, b, 8);
        return;
    }
    case PROTOBUF_C_TYPE_STRING: {
        const char *str = *(const char *const *) m;
        bytes_front(o, str, str ? strlen(str) : 0);
        return;
    }
    case PROTOBUF_C_TYPE_BYTES: {
        const ProtobufCBinaryData *b = m;
        bytes_front(o, b->data, b->len);
        return;
    }
    case PROTOBUF_C_TYPE_MESSAGE:
        sub_front(o, *(const ProtobufCMessage *const *) m);
        return;
    default:
        varint_front(o, varint_of(f->type, m));
        return;
    }
}

/* The elements of a packed repeated scalar field, in front: room for all
 * of them once, then a loop per type (a slice's reply is mostly these:
 * 100 rows x 24 months x a few arrays). */
#define PACKED_VARINTS(ctype, expr)                                       \
    do {                                                                  \
        const ctype *a_ = (const ctype *) (const void *) arr;             \
        for (size_t i = n; i-- > 0;) {                                    \
            uint64_t v = (expr);                                          \
            size_t k = varint_size(v);                                    \
            o->pos -= k;                                                  \
            put_varint(o->buf + o->pos, v);                               \
        }                                                                 \
    } while (0)

static void packed_front(out_t *o, const ProtobufCFieldDescriptor *f,
                         const uint8_t *arr, size_t n)
{
    if (wire_type(f->type) != PROTOBUF_C_WIRE_TYPE_VARINT) {
        size_t esz = elt_size(f->type);
        room(o, n * esz);
        for (size_t i = n; i-- > 0;)
            value_front(o, f, arr + i * esz);
        return;
    }
    room(o, n * 10);
    switch (f->type) {
    case PROTOBUF_C_TYPE_SINT64:
        PACKED_VARINTS(int64_t, zigzag64(a_[i]));
        break;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_UINT64:
        PACKED_VARINTS(uint64_t, a_[i]);
        break;
    case PROTOBUF_C_TYPE_UINT32:
        PACKED_VARINTS(uint32_t, a_[i]);
        break;
    case PROTOBUF_C_TYPE_SINT32:
        PACKED_VARINTS(int32_t, zigzag32(a_[i]));
        break;
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_ENUM:
        PACKED_VARINTS(int32_t, (uint64_t) (int64_t) a_[i]);
        break;
    default:   /* bool */
        PACKED_VARINTS(protobuf_c_boolean, a_[i] ? 1 : 0);
        break;
    }
}

/* A proto3 singular field outside a oneof (implicit presence: left out
 * at its zero value), which nearly every field of the contract is: its
 * presence read from the value it writes, one switch on its type (and
 * varint_of's for an integer), where the general path takes four
 * (present, zeroish, value_front, varint_of). A reply's 100 figures are
 * some 4,000 of these (callgrind, BENCHMARKS.md "Packing a reply"). The
 * same bytes: the types it does not take go the general way. */
static void implicit_front(out_t *o, const ProtobufCFieldDescriptor *f,
                           const void *m)
{
    ProtobufCWireType wt;
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING: {
        const char *str = *(const char *const *) m;
        if (!str || !*str)
            return;
        bytes_front(o, str, strlen(str));
        wt = PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED;
        break;
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *sub = *(const ProtobufCMessage *const *) m;
        if (!sub)
            return;
        sub_front(o, sub);
        wt = PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED;
        break;
    }
    case PROTOBUF_C_TYPE_BOOL:
    case PROTOBUF_C_TYPE_ENUM:
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_UINT64: {
        uint64_t v = varint_of(f->type, m);   /* 0 exactly when the field is */
        if (!v)
            return;
        varint_front(o, v);
        wt = PROTOBUF_C_WIRE_TYPE_VARINT;
        break;
    }
    default:   /* fixed widths, floating point, bytes */
        if (zeroish(f, m))
            return;
        value_front(o, f, m);
        wt = wire_type(f->type);
        break;
    }
    varint_front(o, (uint64_t) f->id << 3 | wt);
}

static void field_front(out_t *o, const ProtobufCFieldDescriptor *f,
                        const uint8_t *base)
{
    if (f->label == PROTOBUF_C_LABEL_NONE
        && !(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)) {
        implicit_front(o, f, base + f->offset);
        return;
    }
    size_t n = present(f, base);
    if (!n)
        return;
    const void *m = base + f->offset;
    uint64_t key = (uint64_t) f->id << 3;
    if (f->label != PROTOBUF_C_LABEL_REPEATED) {
        value_front(o, f, m);
        varint_front(o, key | wire_type(f->type));
        return;
    }
    const uint8_t *arr = *(const uint8_t *const *) m;
    size_t esz = elt_size(f->type);
    if (f->flags & PROTOBUF_C_FIELD_FLAG_PACKED) {
        size_t end = o->cap - o->pos;
        packed_front(o, f, arr, n);
        varint_front(o, o->cap - o->pos - end);
        varint_front(o, key | PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED);
        return;
    }
    for (size_t i = n; i-- > 0;) {
        value_front(o, f, arr + i * esz);
        varint_front(o, key | wire_type(f->type));
    }
}

static void message_front(out_t *o, const ProtobufCMessage *msg)
{
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    const uint8_t *base = (const uint8_t *) msg;
    /* protobuf-c writes the unknown fields last: so they go in first. */
    for (unsigned i = msg->n_unknown_fields; i-- > 0;) {
        const ProtobufCMessageUnknownField *u = &msg->unknown_fields[i];
        put_front(o, u->data, u->len);
        varint_front(o, (uint64_t) u->tag << 3 | u->wire_type);
    }
    for (unsigned i = d->n_fields; i-- > 0;)
        field_front(o, &d->fields[i], base);
}

uint8_t *bc_pack(const ProtobufCMessage *msg, size_t *len)
{
    out_t o;
    o.cap = 4096;
    o.buf = bc_malloc(o.cap);
    o.pos = o.cap;
    message_front(&o, msg);
    *len = o.cap - o.pos;
    /* The caller frees what we return: the bytes move to the front. */
    memmove(o.buf, o.buf + o.pos, *len);
    return o.buf;
}

const uint8_t *bc_pack_into(const ProtobufCMessage *msg, uint8_t **buf,
                            size_t *cap, size_t *len)
{
    /* The bytes end at the buffer's end, where the writer starts: no copy
     * to the front, and a buffer that was once large enough is not
     * allocated or grown again (room() replaces it when it is not). */
    out_t o;
    if (!*buf || *cap == 0) {
        free(*buf);
        *cap = 4096;
        *buf = bc_malloc(*cap);
    }
    o.buf = *buf;
    o.cap = *cap;
    o.pos = o.cap;
    message_front(&o, msg);
    *buf = o.buf;
    *cap = o.cap;
    *len = o.cap - o.pos;
    return o.buf + o.pos;
}
