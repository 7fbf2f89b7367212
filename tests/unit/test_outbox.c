/*
 * test_outbox.c -- the node's durable outbox: filing assigns revisions,
 * pending survives a reopen, acknowledgements settle entries for good,
 * "retry later" keeps them.
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

#include <stdlib.h>
#include <string.h>

static void file(node_outbox_t *o, const char *unit, const char *period,
                 int64_t v, uint32_t want_rev)
{
    bc_report_value_t val = {"births", true, v, 0};
    bc_report_t r = {&val, 1};
    uint8_t id[16];
    uint32_t rev;
    assert_int_equal(node_outbox_file(o, unit, period, &r, 1704067200, id,
                                      &rev), BC_OK);
    assert_int_equal(rev, want_rev);
}

static void test_outbox_lifecycle(void **state)
{
    (void) state;
    char *dir = bc_tmpdir("outbox");
    char err[256];
    node_outbox_t *o = node_outbox_open(dir, err, sizeof err);
    assert_non_null(o);
    file(o, "HP-HB-QT", "2023-12", 1, 1);
    file(o, "HP-HB-QT", "2023-11", 2, 1);
    file(o, "HP-HB-QT", "2023-12", 3, 2);   /* a correction */
    file(o, "HP-HB-HV", "2023-12", 4, 1);
    node_outbox_close(&o);

    /* Everything is still there after a reopen, in filing order, and the
     * stored bytes decode to the submission filed. */
    o = node_outbox_open(dir, err, sizeof err);
    node_pending_t p[8];
    size_t n;
    assert_int_equal(node_outbox_pending(o, 0, 8, p, &n), BC_OK);
    assert_int_equal(n, 4);
    Baocao__Submission *s = baocao__submission__unpack(NULL, p[2].blob_len,
                                                       p[2].blob);
    assert_non_null(s);
    assert_string_equal(s->unit, "HP-HB-QT");
    assert_int_equal(s->revision, 2);
    assert_int_equal(s->values[0]->count, 3);
    baocao__submission__free_unpacked(s, NULL);
    uint64_t seqs[4] = {p[0].seq, p[1].seq, p[2].seq, p[3].seq};
    node_pending_free(p, n);
    /* After a cursor: only later entries. */
    assert_int_equal(node_outbox_pending(o, seqs[1], 8, p, &n), BC_OK);
    assert_int_equal(n, 2);
    node_pending_free(p, n);

    assert_int_equal(node_outbox_mark_sent(o, seqs, 4, 1700000000), BC_OK);
    node_stats_t st;
    assert_int_equal(node_outbox_stats(o, &st), BC_OK);
    assert_int_equal(st.in_flight, 4);

    node_ack_t acks[3] = {
        {seqs[0], BAOCAO__ACK_STATUS__ACK_STORED, 0, 10, ""},
        {seqs[1], BAOCAO__ACK_STATUS__ACK_REJECTED,
         BAOCAO__REJECT_REASON__REASON_UNKNOWN_UNIT, 0, "unknown unit"},
        {seqs[2], BAOCAO__ACK_STATUS__ACK_RETRY_LATER,
         BAOCAO__REJECT_REASON__REASON_STORE_FULL, 0, "full"}};
    assert_int_equal(node_outbox_settle(o, acks, 3, 1700000100), BC_OK);
    assert_int_equal(node_outbox_stats(o, &st), BC_OK);
    assert_int_equal(st.delivered, 1);
    assert_int_equal(st.rejected, 1);
    assert_int_equal(st.in_flight, 2);   /* retry-later and never-acked */
    assert_int_equal(st.last_contact, 1700000100);
    /* Settled entries are never offered again; retry-later ones are. */
    assert_int_equal(node_outbox_pending(o, 0, 8, p, &n), BC_OK);
    assert_int_equal(n, 2);
    assert_int_equal(p[0].seq, seqs[2]);
    assert_int_equal(p[1].seq, seqs[3]);
    node_pending_free(p, n);
    assert_int_equal(node_outbox_set_error(o, "link down"), BC_OK);
    assert_int_equal(node_outbox_stats(o, &st), BC_OK);
    assert_string_equal(st.last_error, "link down");
    node_outbox_close(&o);
    bc_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_outbox_lifecycle),
    };
    return cmocka_run_group_tests_name("unit.outbox", tests, NULL, NULL);
}
