/*
 * test_pack.c -- bc_pack writes exactly protobuf-c's bytes.
 *
 * Every message the hub and node send goes through bc_wire_pack, which now
 * uses bc_pack's two-pass writer; a node's request bytes are hashed into
 * the audit chain and deduplicated, so one differing byte would be a
 * different report. The test fills Request and Reply (between them every
 * message of the contract) at random from their descriptors: every field
 * kind, negative int32s (ten-byte varints), zero values that proto3 leaves
 * out, empty and absent strings, oneofs, repeated and packed fields, nested
 * messages four deep; and compares bc_pack's bytes with
 * protobuf_c_message_pack's for thousands of them. Unknown fields (from a
 * newer peer) are checked by parsing bytes that carry some and packing the
 * parsed message again. bc_pack_into (the client's and the hub's reused
 * buffer) is held to the same bytes, and so is a message unpacked into a
 * bc_arena (bc_client_call_arena's decoding) and packed again.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "baocao.pb-c.h"
#include "bc_arena.h"
#include "bc_mem.h"
#include "bc_pack.h"
#include "bc_wire.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint64_t rng;            /* xorshift state */
    void **blocks;           /* everything allocated, freed at the end */
    size_t n, cap;
} gen_t;

static uint64_t rnd(gen_t *g)
{
    g->rng ^= g->rng << 13;
    g->rng ^= g->rng >> 7;
    g->rng ^= g->rng << 17;
    return g->rng;
}

static void *gen_alloc(gen_t *g, size_t size)
{
    if (g->n == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 64;
        g->blocks = bc_realloc(g->blocks, g->cap * sizeof *g->blocks);
    }
    void *p = bc_calloc(1, size ? size : 1);
    g->blocks[g->n++] = p;
    return p;
}

static void gen_free(gen_t *g)
{
    for (size_t i = 0; i < g->n; i++)
        free(g->blocks[i]);
    free(g->blocks);
    g->blocks = NULL;
    g->n = g->cap = 0;
}

/* Values at the edges of each encoding, and some random ones. */
static uint64_t pick_bits(gen_t *g)
{
    static const uint64_t edge[] = {0, 1, 127, 128, 300, 16383, 16384,
                                    0x7fffffff, 0x80000000, 0xffffffff,
                                    UINT64_MAX, (uint64_t) INT64_MIN,
                                    (uint64_t) -1000};
    uint64_t r = rnd(g);
    if (r % 3 == 0)
        return edge[rnd(g) % (sizeof edge / sizeof edge[0])];
    return rnd(g) >> (rnd(g) % 64);
}

static void fill_message(gen_t *g, ProtobufCMessage *m,
                         const ProtobufCMessageDescriptor *d, int depth);

static void fill_value(gen_t *g, const ProtobufCFieldDescriptor *f, void *m,
                       int depth, bool in_array)
{
    uint64_t b = pick_bits(g);
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        *(uint32_t *) m = (uint32_t) b;
        break;
    case PROTOBUF_C_TYPE_ENUM: {
        const ProtobufCEnumDescriptor *e = f->descriptor;
        *(int *) m = rnd(g) % 4 == 0 ? (int) (int32_t) b
                                     : e->values[rnd(g) % e->n_values].value;
        break;
    }
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        *(uint64_t *) m = b;
        break;
    case PROTOBUF_C_TYPE_BOOL:
        *(protobuf_c_boolean *) m = (protobuf_c_boolean) (b & 1);
        break;
    case PROTOBUF_C_TYPE_FLOAT:
        *(float *) m = rnd(g) % 3 ? (float) (int32_t) b / 7.0f : 0.0f;
        break;
    case PROTOBUF_C_TYPE_DOUBLE:
        *(double *) m = rnd(g) % 3 ? (double) (int64_t) b / 3.0
                                   : (rnd(g) & 1 ? -0.0 : 0.0);
        break;
    case PROTOBUF_C_TYPE_STRING: {
        unsigned k = (unsigned) (rnd(g) % 5);
        if (k == 0 && !in_array) {
            *(char **) m = NULL;
            break;
        }
        size_t len = k == 1 ? 0 : rnd(g) % (k == 4 ? 300 : 12);
        char *s = gen_alloc(g, len + 1);
        for (size_t i = 0; i < len; i++)
            s[i] = (char) ('a' + rnd(g) % 26);
        *(char **) m = s;
        break;
    }
    case PROTOBUF_C_TYPE_BYTES: {
        ProtobufCBinaryData *bd = m;
        bd->len = rnd(g) % 3 ? rnd(g) % 40 : 0;
        bd->data = gen_alloc(g, bd->len);
        for (size_t i = 0; i < bd->len; i++)
            bd->data[i] = (uint8_t) rnd(g);
        break;
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessageDescriptor *sd = f->descriptor;
        if (!in_array && (depth >= 4 || rnd(g) % 3 == 0)) {
            *(void **) m = NULL;
            break;
        }
        ProtobufCMessage *sub = gen_alloc(g, sd->sizeof_message);
        fill_message(g, sub, sd, depth + 1);
        *(void **) m = sub;
        break;
    }
    }
}

static size_t elt(ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64: case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64: case PROTOBUF_C_TYPE_DOUBLE:
        return 8;
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_STRING: case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(void *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    default:
        return 4;
    }
}

static void fill_message(gen_t *g, ProtobufCMessage *m,
                         const ProtobufCMessageDescriptor *d, int depth)
{
    d->message_init(m);
    uint8_t *base = (uint8_t *) m;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        void *mem = base + f->offset, *q = base + f->quantifier_offset;
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            /* A later member may take the case over; only the case's
             * member is on the wire. */
            if (rnd(g) % 3 == 0) {
                *(uint32_t *) q = f->id;
                fill_value(g, f, mem, depth, false);
            }
            continue;
        }
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = depth >= 4 && f->type == PROTOBUF_C_TYPE_MESSAGE
                           ? 0 : rnd(g) % 4;
            uint8_t *arr = gen_alloc(g, n * elt(f->type));
            for (size_t k = 0; k < n; k++)
                fill_value(g, f, arr + k * elt(f->type), depth, true);
            *(size_t *) q = n;
            *(void **) mem = arr;
            continue;
        }
        if (rnd(g) % 4 == 0)
            continue;   /* left at its default */
        if (f->label == PROTOBUF_C_LABEL_OPTIONAL
            && f->type != PROTOBUF_C_TYPE_STRING
            && f->type != PROTOBUF_C_TYPE_MESSAGE)
            *(protobuf_c_boolean *) q = (protobuf_c_boolean) (rnd(g) & 1);
        fill_value(g, f, mem, depth, false);
    }
}

/* The buffer bc_pack_into reuses from one check to the next: it starts
 * at 16 bytes, so that it is both grown and reused over the run. */
static uint8_t *reuse;
static size_t reuse_cap;

/* The same bytes unpacked into an arena (what bc_client_call_arena
 * does) and packed again. */
static void check_arena_round_trip(const ProtobufCMessage *m,
                                   const uint8_t *want, size_t want_len)
{
    bc_arena_t *arena = bc_arena_new(4096);
    ProtobufCMessage *back = protobuf_c_message_unpack(
        m->descriptor, bc_arena_allocator(arena), want_len, want);
    assert_non_null(back);
    size_t len = 0;
    const uint8_t *got = bc_pack_into(back, &reuse, &reuse_cap, &len);
    assert_int_equal(len, want_len);
    assert_memory_equal(got, want, len);
    bc_arena_destroy(&arena);
}

static void check_same(const ProtobufCMessage *m)
{
    size_t want_len = protobuf_c_message_get_packed_size(m);
    uint8_t *want = bc_malloc(want_len ? want_len : 1);
    assert_int_equal(protobuf_c_message_pack(m, want), want_len);
    size_t len = 0;
    uint8_t *got = bc_pack(m, &len);
    assert_int_equal(len, want_len);
    assert_memory_equal(got, want, len);
    free(got);
    /* bc_wire_pack is bc_pack. */
    got = bc_wire_pack(m, &len);
    assert_int_equal(len, want_len);
    assert_memory_equal(got, want, len);
    free(got);
    /* Into the reused buffer: the same bytes, at its end. */
    if (!reuse) {
        reuse_cap = 16;
        reuse = bc_malloc(reuse_cap);
    }
    const uint8_t *in = bc_pack_into(m, &reuse, &reuse_cap, &len);
    assert_int_equal(len, want_len);
    assert_memory_equal(in, want, len);
    assert_ptr_equal(in + len, reuse + reuse_cap);
    check_arena_round_trip(m, want, want_len);
    free(want);
}

static void test_random_messages(void **state)
{
    (void) state;
    const ProtobufCMessageDescriptor *top[] = {
        &baocao__request__descriptor, &baocao__reply__descriptor,
        &baocao__log_entry__descriptor};
    gen_t g = {0x9e3779b97f4a7c15ULL, NULL, 0, 0};
    for (int it = 0; it < 6000; it++) {
        const ProtobufCMessageDescriptor *d = top[it % 3];
        ProtobufCMessage *m = gen_alloc(&g, d->sizeof_message);
        fill_message(&g, m, d, 0);
        check_same(m);
        gen_free(&g);
    }
}

/* A reply as the hub sends it: a QueryReply of 100 figures, each with
 * every comparison, so several hundred nested messages (more than the
 * writer's first block of sizes). */
static void test_full_query_reply(void **state)
{
    (void) state;
    gen_t g = {12345, NULL, 0, 0};
    for (int it = 0; it < 50; it++) {
        Baocao__QueryReply *qr = gen_alloc(&g, sizeof *qr);
        fill_message(&g, &qr->base, &baocao__query_reply__descriptor, 1);
        qr->n_figures = 100 + (size_t) it * 10;
        qr->figures = gen_alloc(&g, qr->n_figures * sizeof *qr->figures);
        for (size_t i = 0; i < qr->n_figures; i++) {
            qr->figures[i] = gen_alloc(&g, sizeof *qr->figures[i]);
            fill_message(&g, &qr->figures[i]->base,
                         &baocao__figure__descriptor, 2);
        }
        Baocao__Reply rep = BAOCAO__REPLY__INIT;
        rep.version = 1;
        rep.tag = 77;
        rep.body_case = BAOCAO__REPLY__BODY_QUERY;
        rep.query = qr;
        check_same(&rep.base);
        gen_free(&g);
    }
}

/* Fields this build does not know (a newer node's) are kept on parsing
 * and written again as they came. */
static void test_unknown_fields(void **state)
{
    (void) state;
    Baocao__Ping ping = BAOCAO__PING__INIT;
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    req.version = 1;
    req.tag = 5;
    req.body_case = BAOCAO__REQUEST__BODY_PING;
    req.ping = &ping;
    size_t len = 0;
    uint8_t *known = bc_pack(&req.base, &len);
    /* + field 900 varint 300, field 901 bytes "xyz", field 902 fixed32,
     * field 903 fixed64. */
    const uint8_t extra[] = {0xa0, 0x38, 0xac, 0x02,
                             0xaa, 0x38, 0x03, 'x', 'y', 'z',
                             0xb5, 0x38, 1, 2, 3, 4,
                             0xb9, 0x38, 1, 2, 3, 4, 5, 6, 7, 8};
    uint8_t *buf = bc_malloc(len + sizeof extra);
    memcpy(buf, known, len);
    memcpy(buf + len, extra, sizeof extra);
    Baocao__Request *back = baocao__request__unpack(NULL, len + sizeof extra,
                                                    buf);
    assert_non_null(back);
    assert_int_equal(back->base.n_unknown_fields, 4);
    check_same(&back->base);
    size_t n2 = 0;
    uint8_t *again = bc_pack(&back->base, &n2);
    assert_int_equal(n2, len + sizeof extra);
    assert_memory_equal(again, buf, n2);
    free(again);
    baocao__request__free_unpacked(back, NULL);
    free(buf);
    free(known);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_messages),
        cmocka_unit_test(test_full_query_reply),
        cmocka_unit_test(test_unknown_fields),
    };
    int failed = cmocka_run_group_tests_name("unit.pack", tests, NULL, NULL);
    free(reuse);
    return failed;
}
