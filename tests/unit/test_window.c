/*
 * test_window.c -- the delivery loop's in-flight window (node_window.h):
 * room and count as reports go out and answers come back, the oldest
 * report and the oldest send (the link's judgement is made from them),
 * an answer to a report no longer on the wire, and a dropped connection.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "node_window.h"

static void test_put_and_take(void **state)
{
    (void) state;
    node_window_t *w = node_window_new(3);
    assert_int_equal(node_window_size(w), 3);
    assert_int_equal(node_window_room(w), 3);
    assert_int_equal(node_window_oldest(w), 0);
    assert_int_equal(node_window_oldest_sent(w), 0);

    /* Sent out of order of seq (a suspect resent alone, then the rest). */
    assert_true(node_window_put(w, 7, 1000));
    assert_true(node_window_put(w, 5, 1200));
    assert_true(node_window_put(w, 9, 1100));
    assert_false(node_window_put(w, 10, 1300));   /* full */
    assert_int_equal(node_window_count(w), 3);
    assert_int_equal(node_window_room(w), 0);
    assert_int_equal(node_window_oldest(w), 5);
    assert_int_equal(node_window_oldest_sent(w), 1000);

    /* The answer to 7: when it left, for the round trip. */
    int64_t at = 0;
    assert_true(node_window_take(w, 7, &at));
    assert_int_equal(at, 1000);
    assert_int_equal(node_window_oldest_sent(w), 1100);
    /* A second answer to 7 (to an earlier send): not on the wire. */
    assert_false(node_window_take(w, 7, &at));
    assert_false(node_window_take(w, 0, NULL));
    assert_int_equal(node_window_count(w), 2);

    /* Its slot is used again. */
    assert_true(node_window_put(w, 10, 1300));
    uint64_t seqs[3];
    assert_int_equal(node_window_seqs(w, seqs), 3);
    uint64_t sum = seqs[0] + seqs[1] + seqs[2];
    assert_int_equal(sum, 5 + 9 + 10);
    assert_true(node_window_take(w, 5, NULL));
    assert_int_equal(node_window_oldest(w), 9);

    /* The connection dropped: nothing on the wire. */
    node_window_clear(w);
    assert_int_equal(node_window_count(w), 0);
    assert_int_equal(node_window_room(w), 3);
    assert_int_equal(node_window_oldest(w), 0);
    assert_int_equal(node_window_seqs(w, seqs), 0);
    assert_false(node_window_take(w, 9, NULL));
    node_window_destroy(&w);
    assert_null(w);
    node_window_destroy(&w);   /* NULL is fine */
}

static void test_seq_zero_is_refused(void **state)
{
    (void) state;
    /* 0 marks a free slot: it can never be put. */
    node_window_t *w = node_window_new(1);
    assert_false(node_window_put(w, 0, 5));
    assert_int_equal(node_window_count(w), 0);
    node_window_destroy(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_and_take),
        cmocka_unit_test(test_seq_zero_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
