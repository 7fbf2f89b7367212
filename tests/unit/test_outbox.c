/*
 * test_outbox.c -- the node's durable outbox: filing assigns revisions,
 * pending survives a reopen, acknowledgements settle entries for good,
 * "retry later" and statuses that are not final keep them, and an outbox
 * an older version left with an entry missing from `pending` heals when
 * it is opened.
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

#include <lmdb.h>
#include <stdlib.h>
#include <string.h>

static void file(node_outbox_t *o, const char *unit, const char *period,
                 int64_t v, uint32_t want_rev)
{
    bc_report_value_t val = {"births", true, v, 0, 0};
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
    assert_int_equal(st.in_flight, 1);   /* sent, never answered */
    assert_int_equal(st.pending, 1);     /* "retry later": to be sent again */
    /* The hub's store trouble is kept for `baocao status`. */
    assert_string_equal(st.hub_store_error, "full");
    assert_int_equal(st.hub_store_error_at, 1700000100);
    uint64_t waiting = 0;
    assert_int_equal(node_outbox_waiting(o, &waiting), BC_OK);
    assert_int_equal(waiting, 2);   /* pending + in flight */
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

/* Only STORED, DUPLICATE, SUPERSEDED and REJECTED settle an entry. A hub
 * whose store had failed once answered ACK_UNSPECIFIED (0), and the node
 * dropped the entry from `pending` without marking it delivered: stranded
 * for good. A status from a later protocol version must not do that
 * either. */
static void test_outbox_settle_rules(void **state)
{
    (void) state;
    char *dir = bc_tmpdir("outbox-rules");
    char err[256];
    node_outbox_t *o = node_outbox_open(dir, err, sizeof err);
    assert_non_null(o);
    for (int i = 0; i < 6; i++)
        file(o, "HP-HB-QT", "2023-12", i, (uint32_t) i + 1);
    node_pending_t p[8];
    size_t n;
    assert_int_equal(node_outbox_pending(o, 0, 8, p, &n), BC_OK);
    assert_int_equal(n, 6);
    uint64_t seqs[6];
    for (size_t i = 0; i < n; i++)
        seqs[i] = p[i].seq;
    node_pending_free(p, n);
    assert_int_equal(node_outbox_mark_sent(o, seqs, 6, 1700000000), BC_OK);

    node_ack_t acks[6] = {
        {seqs[0], BAOCAO__ACK_STATUS__ACK_UNSPECIFIED, 0, 0, ""},
        {seqs[1], 9, 0, 0, "a status of a later version"},
        {seqs[2], 1000, 0, 0, ""},
        {seqs[3], BAOCAO__ACK_STATUS__ACK_DUPLICATE, 0, 7, ""},
        {seqs[4], BAOCAO__ACK_STATUS__ACK_SUPERSEDED, 0, 8, ""},
        {seqs[5], BAOCAO__ACK_STATUS__ACK_RETRY_LATER,
         BAOCAO__REJECT_REASON__REASON_INTERNAL, 0, "disk error"}};
    assert_int_equal(node_outbox_settle(o, acks, 6, 1700000100), BC_OK);
    assert_false(node_ack_final(BAOCAO__ACK_STATUS__ACK_UNSPECIFIED));
    assert_false(node_ack_final(BAOCAO__ACK_STATUS__ACK_RETRY_LATER));
    assert_false(node_ack_final(9));
    assert_true(node_ack_final(BAOCAO__ACK_STATUS__ACK_STORED));
    assert_true(node_ack_final(BAOCAO__ACK_STATUS__ACK_REJECTED));

    node_stats_t st;
    assert_int_equal(node_outbox_stats(o, &st), BC_OK);
    assert_int_equal(st.delivered, 2);
    assert_int_equal(st.rejected, 0);
    assert_int_equal(st.pending, 4);     /* answered, to be sent again */
    assert_int_equal(st.in_flight, 0);
    assert_string_equal(st.hub_store_error, "disk error");
    /* The four that were not final answers are offered again, in order. */
    assert_int_equal(node_outbox_pending(o, 0, 8, p, &n), BC_OK);
    assert_int_equal(n, 4);
    assert_int_equal(p[0].seq, seqs[0]);
    assert_int_equal(p[1].seq, seqs[1]);
    assert_int_equal(p[2].seq, seqs[2]);
    assert_int_equal(p[3].seq, seqs[5]);
    node_pending_free(p, n);
    /* Sent again: in flight until answered. */
    assert_int_equal(node_outbox_mark_sent(o, seqs, 1, 1700000200), BC_OK);
    assert_int_equal(node_outbox_stats(o, &st), BC_OK);
    assert_int_equal(st.in_flight, 1);
    assert_int_equal(st.pending, 3);
    node_outbox_close(&o);
    bc_rmtree(dir);
    free(dir);
}

/* Deletes seq's key from the outbox's `pending` index with LMDB itself,
 * leaving the entry NODE_PENDING: what the settle rule of versions before
 * this one did on an ACK_UNSPECIFIED. */
static void strand(const char *dir, uint64_t seq)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    uint8_t kb[8];
    for (int i = 7; i >= 0; i--, seq >>= 8)
        kb[i] = (uint8_t) seq;
    MDB_val k = {8, kb};
    assert_int_equal(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 8);
    mdb_env_set_mapsize(env, 1ULL << 30);
    assert_int_equal(mdb_env_open(env, dir, MDB_NOTLS, 0640), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "pending", 0, &dbi), 0);
    assert_int_equal(mdb_del(txn, dbi, &k, NULL), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

static void test_outbox_repair(void **state)
{
    (void) state;
    char *dir = bc_tmpdir("outbox-repair");
    char err[256];
    node_outbox_t *o = node_outbox_open(dir, err, sizeof err);
    assert_non_null(o);
    for (int i = 0; i < 4; i++)
        file(o, "HP-HB-QT", "2023-12", i, (uint32_t) i + 1);
    node_pending_t p[8];
    size_t n;
    assert_int_equal(node_outbox_pending(o, 0, 8, p, &n), BC_OK);
    uint64_t seqs[4] = {p[0].seq, p[1].seq, p[2].seq, p[3].seq};
    node_pending_free(p, n);
    assert_int_equal(node_outbox_mark_sent(o, seqs, 4, 1700000000), BC_OK);
    node_ack_t ack = {seqs[0], BAOCAO__ACK_STATUS__ACK_STORED, 0, 3, ""};
    assert_int_equal(node_outbox_settle(o, &ack, 1, 1700000100), BC_OK);
    node_outbox_close(&o);
    strand(dir, seqs[1]);
    strand(dir, seqs[3]);

    /* Opening heals it: both stranded entries are waiting to be sent again,
     * the delivered one is not. */
    o = node_outbox_open(dir, err, sizeof err);
    assert_non_null(o);
    assert_int_equal(node_outbox_repaired(o), 2);
    assert_int_equal(node_outbox_pending(o, 0, 8, p, &n), BC_OK);
    assert_int_equal(n, 3);
    assert_int_equal(p[0].seq, seqs[1]);
    assert_int_equal(p[1].seq, seqs[2]);
    assert_int_equal(p[2].seq, seqs[3]);
    node_pending_free(p, n);
    node_stats_t st;
    assert_int_equal(node_outbox_stats(o, &st), BC_OK);
    assert_int_equal(st.delivered, 1);
    assert_int_equal(st.pending + st.in_flight, 3);
    node_outbox_close(&o);
    /* Healed for good: the next open finds nothing to repair. */
    o = node_outbox_open(dir, err, sizeof err);
    assert_non_null(o);
    assert_int_equal(node_outbox_repaired(o), 0);
    node_outbox_close(&o);
    bc_rmtree(dir);
    free(dir);
}

/* The last revision filed for a (unit, period), as a report; rejections
 * marked seen stay on record. */
static void test_current_and_seen(void **state)
{
    (void) state;
    char *dir = bc_tmpdir("outbox");
    char err[256];
    node_outbox_t *o = node_outbox_open(dir, err, sizeof err);
    assert_non_null(o);
    bc_report_t *r = NULL;
    uint32_t rev = 0;
    assert_int_equal(node_outbox_latest(o, "HP-HB-QT", "2023-12", &r, &rev),
                     BC_ENOTFOUND);
    file(o, "HP-HB-QT", "2023-12", 1, 1);
    file(o, "HP-HB-QT", "2023-11", 2, 1);
    file(o, "HP-HB-QT", "2023-12", 3, 2);
    assert_int_equal(node_outbox_latest(o, "HP-HB-QT", "2023-12", &r, &rev),
                     BC_OK);
    assert_int_equal(rev, 2);
    assert_int_equal(r->nvalues, 1);
    assert_string_equal(r->values[0].indicator, "births");
    assert_int_equal(r->values[0].count, 3);
    bc_report_destroy(&r);

    node_pending_t p[4];
    size_t n;
    assert_int_equal(node_outbox_pending(o, 0, 4, p, &n), BC_OK);
    node_ack_t acks[2] = {
        {p[0].seq, BAOCAO__ACK_STATUS__ACK_REJECTED,
         BAOCAO__REJECT_REASON__REASON_UNKNOWN_UNIT, 0, "unknown unit"},
        {p[1].seq, BAOCAO__ACK_STATUS__ACK_STORED, 0, 10, ""}};
    uint64_t third = p[2].seq;
    node_pending_free(p, n);
    assert_int_equal(node_outbox_settle(o, acks, 2, 1700000100), BC_OK);
    node_stats_t st;
    assert_int_equal(node_outbox_stats(o, &st), BC_OK);
    assert_int_equal(st.rejected, 1);
    assert_int_equal(st.rejected_new, 1);
    uint64_t marked = 0;
    assert_int_equal(node_outbox_ack_rejected(o, &marked), BC_OK);
    assert_int_equal(marked, 1);
    assert_int_equal(node_outbox_stats(o, &st), BC_OK);
    assert_int_equal(st.rejected, 1);      /* still on record */
    assert_int_equal(st.rejected_new, 0);
    /* A later rejection is new, whatever its seq. */
    node_ack_t later = {third, BAOCAO__ACK_STATUS__ACK_REJECTED,
                        BAOCAO__REJECT_REASON__REASON_UNKNOWN_UNIT, 0, "x"};
    assert_int_equal(node_outbox_settle(o, &later, 1, 1700000200), BC_OK);
    assert_int_equal(node_outbox_stats(o, &st), BC_OK);
    assert_int_equal(st.rejected, 2);
    assert_int_equal(st.rejected_new, 1);
    assert_int_equal(node_outbox_ack_rejected(o, &marked), BC_OK);
    assert_int_equal(marked, 1);
    assert_int_equal(node_outbox_set_retry(o, 1700000300), BC_OK);
    assert_int_equal(node_outbox_stats(o, &st), BC_OK);
    assert_int_equal(st.next_retry, 1700000300);
    node_outbox_close(&o);
    bc_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_outbox_lifecycle),
        cmocka_unit_test(test_outbox_settle_rules),
        cmocka_unit_test(test_outbox_repair),
        cmocka_unit_test(test_current_and_seen),
    };
    return cmocka_run_group_tests_name("unit.outbox", tests, NULL, NULL);
}
