/*
 * test_cache.c -- hub_cache (the hub's reply cache): the key ignores the
 * tag and nothing else, the tag written into a cached reply gives the
 * bytes protobuf-c packs for that tag, a new generation empties it, the
 * byte budget holds with the least recently used entry evicted first.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "baocao.pb-c.h"
#include "hub_cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A packed Query request for unit with tag. */
static size_t request(uint8_t *buf, const char *unit, uint64_t tag)
{
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    Baocao__Query q = BAOCAO__QUERY__INIT;
    q.unit = (char *) unit;
    q.period = "2025-01";
    req.version = 1;
    req.tag = tag;
    req.body_case = BAOCAO__REQUEST__BODY_QUERY;
    req.query = &q;
    return baocao__request__pack(&req, buf);
}

/* A packed Query reply naming unit, with tag. */
static size_t reply(uint8_t *buf, const char *unit, uint64_t tag)
{
    Baocao__Reply r = BAOCAO__REPLY__INIT;
    Baocao__QueryReply qr = BAOCAO__QUERY_REPLY__INIT;
    qr.unit = (char *) unit;
    qr.period = "2025-01";
    r.version = 1;
    r.tag = tag;
    r.body_case = BAOCAO__REPLY__BODY_QUERY;
    r.query = &qr;
    return baocao__reply__pack(&r, buf);
}

static void test_key_and_tag(void **state)
{
    (void) state;
    hub_cache_t *c = hub_cache_new(1 << 20);
    uint8_t rq[256], rp[256], want[256];
    size_t n = request(rq, "HP-HB", 7), len;
    assert_int_equal(hub_cache_key(c, "", rq, n), 0);
    assert_null(hub_cache_get(c, 5, 7, &len));
    size_t m = reply(rp, "HP-HB", 0);
    assert_int_equal(hub_cache_put(c, 5, rp, m), 0);
    uint64_t tags[] = {1, 127, 128, 300, 1ULL << 40, UINT64_MAX, 0};
    for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++) {
        n = request(rq, "HP-HB", tags[i]);
        assert_int_equal(hub_cache_key(c, "", rq, n), 0);
        const uint8_t *got = hub_cache_get(c, 5, tags[i], &len);
        assert_non_null(got);
        size_t w = reply(want, "HP-HB", tags[i]);
        assert_int_equal(len, w);
        assert_memory_equal(got, want, w);
    }
    /* Another unit, another identity, another generation: misses. */
    n = request(rq, "HP-LC", 1);
    assert_int_equal(hub_cache_key(c, "", rq, n), 0);
    assert_null(hub_cache_get(c, 5, 1, &len));
    n = request(rq, "HP-HB", 1);
    assert_int_equal(hub_cache_key(c, "unit:HP-HB", rq, n), 0);
    assert_null(hub_cache_get(c, 5, 1, &len));
    assert_int_equal(hub_cache_key(c, "", rq, n), 0);
    assert_non_null(hub_cache_get(c, 5, 1, &len));
    assert_null(hub_cache_get(c, 6, 1, &len));
    assert_int_equal(hub_cache_bytes(c), 0);
    /* Bytes that are no message: no key. */
    uint8_t bad[] = {0x0a, 0x20, 'x'};
    assert_int_equal(hub_cache_key(c, "", bad, sizeof bad), -1);
    hub_cache_destroy(&c);
    assert_null(c);
}

static void test_budget_lru(void **state)
{
    (void) state;
    hub_cache_t *c = hub_cache_new(4096);
    uint8_t rq[256], rp[4096];
    size_t len;
    memset(rp, 0, sizeof rp);
    char unit[16];
    for (int i = 0; i < 200; i++) {
        snprintf(unit, sizeof unit, "U%d", i);
        size_t n = request(rq, unit, 1);
        assert_int_equal(hub_cache_key(c, "", rq, n), 0);
        size_t m = reply(rp, unit, 0);
        assert_int_equal(hub_cache_put(c, 1, rp, m), 0);
        assert_true(hub_cache_bytes(c) <= 4096);
        /* U0 is read after every put: the most recent, never evicted. */
        n = request(rq, "U0", 1);
        assert_int_equal(hub_cache_key(c, "", rq, n), 0);
        assert_non_null(hub_cache_get(c, 1, 1, &len));
    }
    size_t n = request(rq, "U1", 1);   /* long since evicted */
    assert_int_equal(hub_cache_key(c, "", rq, n), 0);
    assert_null(hub_cache_get(c, 1, 1, &len));
    n = request(rq, "U199", 1);
    assert_int_equal(hub_cache_key(c, "", rq, n), 0);
    assert_non_null(hub_cache_get(c, 1, 1, &len));
    /* Larger than the budget: not kept, nothing evicted. */
    size_t before = hub_cache_bytes(c);
    assert_int_equal(hub_cache_put(c, 1, rp, sizeof rp), 0);
    assert_int_equal(hub_cache_bytes(c), before);
    hub_cache_clear(c);
    assert_int_equal(hub_cache_bytes(c), 0);
    hub_cache_destroy(&c);

    /* A budget of 0 holds nothing. */
    c = hub_cache_new(0);
    n = request(rq, "U0", 1);
    assert_int_equal(hub_cache_key(c, "", rq, n), 0);
    assert_int_equal(hub_cache_put(c, 1, rp, reply(rp, "U0", 0)), 0);
    assert_null(hub_cache_get(c, 1, 1, &len));
    hub_cache_destroy(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_and_tag),
        cmocka_unit_test(test_budget_lru),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
