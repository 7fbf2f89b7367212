/*
 * test_wire.c -- the wire contract's codec: round trips, ids, names, and
 * the evolvability rules (unknown fields ignored, unknown enums tolerated).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bc_error.h"
#include "bc_wire.h"

#include <stdlib.h>
#include <string.h>

static void test_submission_round_trip(void **state)
{
    (void) state;
    uint8_t id[16];
    bc_id_new(id);
    Baocao__Value a = BAOCAO__VALUE__INIT, b = BAOCAO__VALUE__INIT;
    Baocao__Value *vals[2] = {&a, &b};
    a.indicator = "sdd_u5";
    a.v_case = BAOCAO__VALUE__V_COUNT;
    a.count = 776;
    b.indicator = "births";
    b.v_case = BAOCAO__VALUE__V_DECIMAL;
    b.decimal = 2.5;
    Baocao__Submission sub = BAOCAO__SUBMISSION__INIT;
    sub.id.data = id;
    sub.id.len = 16;
    sub.unit = "HP-HB-QT";
    sub.period = "2023-12";
    sub.revision = 3;
    sub.filed_at = 1704067200;
    sub.n_values = 2;
    sub.values = vals;
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    req.version = BC_WIRE_VERSION;
    req.tag = 42;
    req.body_case = BAOCAO__REQUEST__BODY_SUBMIT;
    req.submit = &sub;
    size_t len;
    uint8_t *buf = bc_wire_pack(&req.base, &len);
    Baocao__Request *back = baocao__request__unpack(NULL, len, buf);
    assert_non_null(back);
    assert_int_equal(back->tag, 42);
    assert_int_equal(back->body_case, BAOCAO__REQUEST__BODY_SUBMIT);
    assert_memory_equal(back->submit->id.data, id, 16);
    assert_string_equal(back->submit->unit, "HP-HB-QT");
    assert_int_equal(back->submit->revision, 3);
    assert_int_equal(back->submit->values[0]->count, 776);
    assert_int_equal(back->submit->values[1]->v_case,
                     BAOCAO__VALUE__V_DECIMAL);
    baocao__request__free_unpacked(back, NULL);

    /* A newer peer's unknown field (number 99) is skipped, not an error. */
    uint8_t *ext = malloc(len + 3);
    memcpy(ext, buf, len);
    ext[len] = 0x98;       /* key: field 99, varint, low 7 bits + more */
    ext[len + 1] = 0x06;   /* key: high bits */
    ext[len + 2] = 5;      /* value */
    back = baocao__request__unpack(NULL, len + 3, ext);
    assert_non_null(back);
    assert_int_equal(back->tag, 42);
    baocao__request__free_unpacked(back, NULL);
    /* Truncated bytes are refused. */
    assert_null(baocao__request__unpack(NULL, len - 5, buf));
    free(ext);
    free(buf);
}

/* The scanner cuts the submission out of a Request byte for byte, and
 * wrap puts it back: the round trip of a provincial hub's forwarder. */
static void test_find_field(void **state)
{
    (void) state;
    Baocao__Submission sub = BAOCAO__SUBMISSION__INIT;
    uint8_t id[16] = {1, 2, 3};
    sub.id.data = id;
    sub.id.len = 16;
    sub.unit = "HP-HB-QT";
    sub.period = "2023-12";
    sub.revision = 1;
    size_t slen;
    uint8_t *sbytes = bc_wire_pack(&sub.base, &slen);

    Baocao__Request head = BAOCAO__REQUEST__INIT;
    head.version = BC_WIRE_VERSION;
    head.tag = 300;   /* a two-byte varint */
    size_t len;
    uint8_t *req = bc_wire_wrap(&head.base, 10, sbytes, slen, &len);
    Baocao__Request *back = baocao__request__unpack(NULL, len, req);
    assert_non_null(back);
    assert_int_equal(back->tag, 300);
    assert_int_equal(back->body_case, BAOCAO__REQUEST__BODY_SUBMIT);
    assert_string_equal(back->submit->unit, "HP-HB-QT");
    baocao__request__free_unpacked(back, NULL);

    const uint8_t *p = NULL;
    size_t plen = 0;
    assert_int_equal(bc_wire_find_field(req, len, 10, &p, &plen), BC_OK);
    assert_int_equal(plen, slen);
    assert_memory_equal(p, sbytes, slen);
    assert_int_equal(bc_wire_find_field(req, len, 11, &p, &plen),
                     BC_ENOTFOUND);
    /* Field 2 (tag) is a varint, not length-delimited. */
    assert_int_equal(bc_wire_find_field(req, len, 2, &p, &plen), BC_EINVAL);
    /* Every truncation is refused, never read past. */
    for (size_t cut = 1; cut < len; cut++) {
        int rc = bc_wire_find_field(req, cut, 10, &p, &plen);
        assert_true(rc == BC_EINVAL || rc == BC_ENOTFOUND);
    }
    /* The field twice: protobuf would merge them, so no one range is it. */
    uint8_t *twice = malloc(2 * len);
    memcpy(twice, req, len);
    memcpy(twice + len, req, len);
    assert_int_equal(bc_wire_find_field(twice, 2 * len, 10, &p, &plen),
                     BC_EINVAL);
    free(twice);
    /* Groups, wire types 6 and 7, field 0: malformed. */
    static const uint8_t group[] = {0x0b, 0x0c}, type7[] = {0x0f},
                         zero[] = {0x02, 0x00}, longlen[] = {0x52, 0x05, 1};
    assert_int_equal(bc_wire_find_field(group, 2, 10, &p, &plen), BC_EINVAL);
    assert_int_equal(bc_wire_find_field(type7, 1, 10, &p, &plen), BC_EINVAL);
    assert_int_equal(bc_wire_find_field(zero, 2, 10, &p, &plen), BC_EINVAL);
    assert_int_equal(bc_wire_find_field(longlen, 3, 10, &p, &plen),
                     BC_EINVAL);
    /* An empty message has no fields. */
    assert_int_equal(bc_wire_find_field(req, 0, 10, &p, &plen),
                     BC_ENOTFOUND);
    free(req);
    free(sbytes);
}

static void test_ids(void **state)
{
    (void) state;
    uint8_t a[16], b[16], c[16];
    char hex[BC_ID_HEXLEN + 1];
    bc_id_new(a);
    bc_id_new(b);
    assert_memory_not_equal(a, b, 16);
    bc_id_hex(a, 16, hex);
    assert_int_equal(strlen(hex), 32);
    assert_int_equal(bc_id_parse(hex, c), BC_OK);
    assert_memory_equal(a, c, 16);
    assert_int_equal(bc_id_parse("xyz", c), BC_EINVAL);
    assert_int_equal(bc_id_parse("0123456789abcdef0123456789abcdeZ", c),
                     BC_EINVAL);
}

static void test_names(void **state)
{
    (void) state;
    assert_string_equal(bc_reason_name(BAOCAO__REJECT_REASON__REASON_UNKNOWN_UNIT),
                        "unknown_unit");
    assert_string_equal(bc_reason_name(BAOCAO__REJECT_REASON__REASON_BAD_REQUEST),
                        "bad_request");
    /* Every reason the contract defines has a name of its own. */
    for (int r = 1; r <= BAOCAO__REJECT_REASON__REASON_BAD_FILED_AT; r++)
        assert_string_not_equal(bc_reason_name((Baocao__RejectReason) r),
                                "unspecified");
    assert_string_equal(bc_reason_name((Baocao__RejectReason) 999),
                        "unspecified");
    assert_string_equal(bc_ack_status_name(BAOCAO__ACK_STATUS__ACK_SUPERSEDED),
                        "superseded");
    assert_string_equal(bc_strerror(BC_EFULL),
                        "BC_EFULL: store is full (grow the map size)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_submission_round_trip),
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_find_field),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests_name("unit.wire", tests, NULL, NULL);
}
