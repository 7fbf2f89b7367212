/*
 * test_probe.c -- the backlog probe's question (node_probe.h), on a real
 * outbox in a temporary folder: only reports already sent are asked
 * about, oldest first and within the window; the question is read once
 * per probe; the Pong's answer settles each report asked about once, and
 * nothing it was not asked.
 *
 * The whole exchange, a real hub answering through a link blacked out at
 * the wrong moment, is integration.silence
 * (test_probe_asks_what_the_hub_holds).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "baocao.pb-c.h"
#include "bc_error.h"
#include "bc_test.h"
#include "node_outbox.h"
#include "node_probe.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    char *dir;
    node_outbox_t *outbox;
    uint8_t id[4][16];         /* the submission ids of seqs 1 to 4 */
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    char err[256];
    f->dir = bc_tmpdir("probe");
    f->outbox = node_outbox_open(f->dir, err, sizeof err);
    assert_non_null(f->outbox);
    for (int i = 0; i < 4; i++) {
        char period[16];
        snprintf(period, sizeof period, "2024-%02d", i + 1);
        bc_report_value_t val = {"births", true, 10 + i, 0, 0};
        bc_report_t r = {&val, 1};
        uint32_t rev;
        assert_int_equal(node_outbox_file(f->outbox, "HP-HB-QT", period, &r,
                                          1704067200, f->id[i], &rev),
                         BC_OK);
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    node_outbox_close(&f->outbox);
    bc_rmtree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

/* The Ping's question as the hub would read it. */
static size_t asked(node_probe_t *p, uint8_t out[][16])
{
    Baocao__Ping ping = BAOCAO__PING__INIT;
    ProtobufCBinaryData ids[NODE_PROBE_ASK_MAX];
    node_probe_ask(p, &ping, ids);
    assert_int_equal(ping.n_held_asked, node_probe_asked(p));
    for (size_t i = 0; i < ping.n_held_asked; i++) {
        assert_int_equal(ping.held_asked[i].len, 16);
        memcpy(out[i], ping.held_asked[i].data, 16);
    }
    return ping.n_held_asked;
}

static void test_asks_what_was_sent(void **state)
{
    fixture_t *f = *state;
    node_probe_t *p = node_probe_new();
    uint8_t ids[NODE_PROBE_ASK_MAX][16];

    /* Nothing sent yet: nothing to ask, the Ping goes bare. */
    assert_int_equal(node_probe_gather(p, f->outbox, 8), BC_OK);
    assert_int_equal(asked(p, ids), 0);

    /* Seqs 1 and 3 went out; the question was already read for this
     * probe, so it stays as it was until the next failure. */
    uint64_t sent[] = {1, 3};
    assert_int_equal(node_outbox_mark_sent(f->outbox, sent, 2, 1704067300),
                     BC_OK);
    assert_int_equal(node_probe_gather(p, f->outbox, 8), BC_OK);
    assert_int_equal(asked(p, ids), 0);

    node_probe_reset(p);
    assert_int_equal(node_probe_gather(p, f->outbox, 8), BC_OK);
    assert_int_equal(asked(p, ids), 2);
    assert_memory_equal(ids[0], f->id[0], 16);
    assert_memory_equal(ids[1], f->id[2], 16);

    /* Within the window: the oldest pending only. */
    node_probe_reset(p);
    assert_int_equal(node_probe_gather(p, f->outbox, 1), BC_OK);
    assert_int_equal(asked(p, ids), 1);
    assert_memory_equal(ids[0], f->id[0], 16);
    node_probe_destroy(&p);
    assert_null(p);
}

static void test_answer_settles_once(void **state)
{
    fixture_t *f = *state;
    uint64_t sent[] = {1, 2, 3};
    assert_int_equal(node_outbox_mark_sent(f->outbox, sent, 3, 1704067300),
                     BC_OK);
    node_probe_t *p = node_probe_new();
    assert_int_equal(node_probe_gather(p, f->outbox, 8), BC_OK);
    assert_int_equal(node_probe_asked(p), 3);

    /* The hub holds seq 2 (named twice), and answers with an id nobody
     * asked about (seq 4, never sent) and one of the wrong size. */
    Baocao__Held h[4];
    Baocao__Held *held[4];
    uint8_t stray[5] = {1, 2, 3, 4, 5};
    for (int i = 0; i < 4; i++) {
        baocao__held__init(&h[i]);
        held[i] = &h[i];
    }
    h[0].id = (ProtobufCBinaryData){16, f->id[1]};
    h[0].hub_seq = 77;
    h[1].id = (ProtobufCBinaryData){16, f->id[3]};
    h[1].hub_seq = 78;
    h[2].id = (ProtobufCBinaryData){sizeof stray, stray};
    h[3].id = (ProtobufCBinaryData){16, f->id[1]};
    h[3].hub_seq = 77;
    Baocao__Pong pong = BAOCAO__PONG__INIT;
    pong.n_held = 4;
    pong.held = held;

    node_ack_t acks[NODE_PROBE_ASK_MAX];
    assert_int_equal(node_probe_answer(p, &pong, acks), 1);
    assert_int_equal(acks[0].seq, 2);
    assert_int_equal(acks[0].status, BAOCAO__ACK_STATUS__ACK_DUPLICATE);
    assert_int_equal(acks[0].hub_seq, 77);
    assert_non_null(strstr(acks[0].message, "not resent"));
    /* The same Pong again (a resent Pong, a stale one): nothing twice. */
    assert_int_equal(node_probe_answer(p, &pong, acks), 0);

    /* Settled as any Ack: seq 2 leaves the pending index. */
    assert_int_equal(node_outbox_settle(f->outbox, acks, 1, 1704067400),
                     BC_OK);
    node_pending_t pend[8];
    size_t n = 0;
    assert_int_equal(node_outbox_pending(f->outbox, 0, 8, pend, &n), BC_OK);
    assert_int_equal(n, 3);
    assert_int_equal(pend[0].seq, 1);
    assert_int_equal(pend[1].seq, 3);
    assert_int_equal(pend[2].seq, 4);
    node_pending_free(pend, n);
    node_probe_destroy(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_asks_what_was_sent, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_answer_settles_once, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
