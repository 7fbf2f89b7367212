/*
 * test_link.c -- the link-health rules of node_link.c, on their own: they
 * are state and arithmetic over monotonic times, so each rule can be
 * checked at its edges without a socket (the integration tests,
 * integration.silence and integration.harsh_link, check them on real
 * links).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "node_link.h"

#include <errno.h>
#include <string.h>

static node_link_t *new_link(bool curve)
{
    node_link_config_t cfg = {10000, 500, 60000, 60000, curve, true};
    return node_link_new(&cfg);
}

/* Silence counts from the oldest unanswered send, against --timeout until
 * round trips say more. */
static void test_silence_from_the_oldest_send(void **state)
{
    (void) state;
    node_link_t *l = new_link(false);
    int64_t ms;
    node_link_connected(l, 1000);
    assert_false(node_link_is_silent(l, 50000, 0, 0, &ms));
    /* Idle for 40 s, then a send at 41 s: not silent at 50 s. */
    assert_false(node_link_is_silent(l, 50000, 1, 41000, &ms));
    assert_int_equal(ms, 9000);
    assert_true(node_link_is_silent(l, 51001, 1, 41000, &ms));
    /* Answers keep it alive, up to 3 x the limit for one report. */
    node_link_heard(l, 60000);
    assert_false(node_link_is_silent(l, 65000, 1, 41000, &ms));
    node_link_heard(l, 71000);
    assert_true(node_link_is_silent(l, 71001, 1, 41000, &ms));
    /* Long round trips raise the limit (RFC 6298). */
    for (int i = 0; i < 20; i++)
        node_link_round_trip(l, 30000);
    assert_true(node_link_silence_limit(l) >= 30000);
    node_link_destroy(&l);
    assert_null(l);
}

/* After a failure the next connection sends a probe Ping alone; its Pong
 * opens the window. */
static void test_probe_gates_the_window(void **state)
{
    (void) state;
    node_link_t *l = new_link(false);
    node_link_connected(l, 0);
    assert_int_equal(node_link_gate(l, 0), NODE_LINK_GO);
    node_link_probe_begin(l);
    node_link_dropped(l);
    node_link_connected(l, 100);
    assert_int_equal(node_link_gate(l, 0), NODE_LINK_PROBE);
    node_link_probe_sent(l, false, 120);   /* no connection up yet */
    assert_true(node_link_waiting(l));
    /* A probe waiting for its connection is never "unreachable". */
    assert_false(node_link_unreachable(l, 500000, 0, &(int64_t){0}));
    node_link_probe_sent(l, true, 130);
    assert_int_equal(node_link_gate(l, 0), NODE_LINK_HOLD);
    /* Unanswered for a silence limit is no failure (a black hole after
     * the Ping); for the hold time it is. */
    assert_false(node_link_probe_lost(l, 130 + 10001));
    assert_true(node_link_probe_lost(l, 130 + 60001));
    node_link_heard(l, 200);
    assert_false(node_link_pong(l, NODE_PROBE_TAG, 1));
    assert_false(node_link_probing(l));
    assert_int_equal(node_link_gate(l, 0), NODE_LINK_GO);
    node_link_destroy(&l);
}

/* A probe's connection closed at once is a hub that is gone (backoff);
 * one held for a while was cut by the link (a new probe at once). */
static void test_probe_cut_or_refused(void **state)
{
    (void) state;
    node_link_t *l = new_link(false);
    node_link_probe_begin(l);
    node_link_connected(l, 1000);
    assert_false(node_link_probe_cut(l, 1050));
    assert_true(node_link_probe_cut(l, 1000 + 5000));
    /* libzmq's handshake timer: the hold, at least 30 s and --backoff-max. */
    assert_int_equal(node_link_hold_ms(l), 60000);
    assert_true(node_link_hold_expired(l, 1000 + 59600));
    node_link_destroy(&l);
}

/* Heartbeat Pings go while reports await answers, every half limit. */
static void test_heartbeats(void **state)
{
    (void) state;
    node_link_t *l = new_link(false);
    node_link_connected(l, 0);
    assert_false(node_link_beat_due(l, 9000, 0, 0));
    assert_false(node_link_beat_due(l, 4999, 1, 0));
    assert_true(node_link_beat_due(l, 5000, 1, 0));
    node_link_beat_sent(l, 5000);
    assert_false(node_link_beat_due(l, 9000, 1, 0));
    assert_true(node_link_beat_due(l, 10000, 1, 0));
    node_link_destroy(&l);
}

/* A cut during the CURVE handshake is not a key problem; what a wrong key
 * looks like is, until the hub has answered in this run. */
static void test_handshake_words(void **state)
{
    (void) state;
    node_link_t *l = new_link(true);
    char why[256];
    node_link_handshake_failed(l, BC_HANDSHAKE_FAILED,
                               ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL,
                               ECONNRESET, 1, why, sizeof why);
    assert_null(strstr(why, "check --hub-key"));
    assert_non_null(strstr(why, "cut during the CURVE handshake"));
    node_link_handshake_failed(l, BC_HANDSHAKE_FAILED,
                               ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL, EPIPE,
                               2, why, sizeof why);
    assert_non_null(strstr(why, "check --hub-key"));
    node_link_handshake_failed(l, BC_HANDSHAKE_REFUSED,
                               ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, 400, 3, why,
                               sizeof why);
    assert_non_null(strstr(why, "refused this node's key"));
    node_link_heard(l, 4);   /* the key worked */
    node_link_handshake_failed(l, BC_HANDSHAKE_FAILED,
                               ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL, EPIPE,
                               5, why, sizeof why);
    assert_null(strstr(why, "check --hub-key"));
    node_link_destroy(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_silence_from_the_oldest_send),
        cmocka_unit_test(test_probe_gates_the_window),
        cmocka_unit_test(test_probe_cut_or_refused),
        cmocka_unit_test(test_heartbeats),
        cmocka_unit_test(test_handshake_words),
    };
    return cmocka_run_group_tests_name("unit.link", tests, NULL, NULL);
}
