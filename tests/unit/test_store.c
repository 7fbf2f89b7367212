/*
 * test_store.c -- the hub's LMDB store on its own: ingest outcomes,
 * rollups, revisions, plans, the log chain, a registry change, a full map,
 * approvals decided in batch order and rolled back with their batch, the
 * reply cache's generation against readers under a writing thread, an
 * aggregate updated from a hint as from a search (hub_agg_apply_from),
 * the batch arena going back to a mark (a submission dropped once
 * validated, bc_arena_rewind), the batched reads of a SliceQuery against
 * the plain ones.
 * A real LMDB environment in a temporary folder.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bc_arena.h"
#include "bc_error.h"
#include "bc_limits.h"
#include "bc_mem.h"
#include "bc_registry.h"
#include "bc_test.h"
#include "bc_wire.h"
#include "hub_agg.h"
#include "hub_env.h"
#include "hub_store.h"

#include <lmdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *dir;                 /* temporary folder */
    bc_registry_t *reg;        /* shipped registry */
    hub_store_t *store;        /* store under test */
} fixture_t;

static bc_registry_t *load_registry(const char *units, const char *cat)
{
    char err[512];
    bc_registry_t *reg = bc_registry_load(units, cat, err, sizeof err);
    if (!reg)
        fprintf(stderr, "%s\n", err);
    assert_non_null(reg);
    return reg;
}

/* Closes the store and opens it again on the registry units_text
 * (written to DIR/file): a registry whose digest differs, so the store
 * rebuilds its derived tables from the stored reports. */
static void reopen_on(fixture_t *f, const char *file, const char *units_text)
{
    char units[4096], cat[4096], err[512];
    hub_store_close(&f->store);
    snprintf(units, sizeof units, "%s", bc_path(f->dir, file));
    snprintf(cat, sizeof cat, "%s", bc_source("data/indicators.csv"));
    bc_write_file(units, units_text);
    bc_registry_t *reg = load_registry(units, cat);
    f->store = hub_store_open(bc_path(f->dir, "hub"), 64 << 20, reg, err,
                              sizeof err);
    assert_non_null(f->store);
    bc_registry_destroy(&f->reg);
    f->reg = reg;
}

static int setup(void **state)
{
    fixture_t *f = bc_calloc(1, sizeof *f);
    char err[512], units[4096], cat[4096];
    f->dir = bc_tmpdir("store");
    snprintf(units, sizeof units, "%s", bc_source("data/units.csv"));
    snprintf(cat, sizeof cat, "%s", bc_source("data/indicators.csv"));
    f->reg = load_registry(units, cat);
    f->store = hub_store_open(bc_path(f->dir, "hub"), 64 << 20, f->reg, err,
                              sizeof err);
    assert_non_null(f->store);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    hub_store_close(&f->store);
    bc_registry_destroy(&f->reg);
    bc_rmtree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

/* An item for `unit`, `period`, revision with one figure, with the encoded
 * Request as its raw bytes: the store reads figures back from the log. */
typedef struct {
    hub_item_t it;             /* the item */
    uint8_t id[16];            /* its id */
    hub_val_t val;             /* its one figure */
    uint8_t raw[256];          /* the encoded request */
} one_t;

static void make(one_t *o, const bc_registry_t *reg, const char *unit,
                 const char *period, uint32_t rev, const char *ind,
                 int64_t v)
{
    memset(o, 0, sizeof *o);
    bc_id_new(o->id);
    o->it.id = o->id;
    o->it.unit = bc_registry_find_unit(reg, unit);
    assert_non_null(o->it.unit);
    assert_int_equal(bc_period_parse(period, &o->it.period), 0);
    o->it.revision = rev;
    o->it.filed_at = 1704067200;
    o->it.peer = "";
    o->val = (hub_val_t){bc_registry_find_indicator(reg, ind)->sid, 1, v};
    o->it.vals = &o->val;
    o->it.nvals = 1;

    Baocao__Value val = BAOCAO__VALUE__INIT;
    Baocao__Value *vals[1] = {&val};
    Baocao__Submission sub = BAOCAO__SUBMISSION__INIT;
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    val.indicator = (char *) ind;
    val.v_case = BAOCAO__VALUE__V_COUNT;
    val.count = v;
    sub.id.data = o->id;
    sub.id.len = 16;
    sub.unit = (char *) unit;
    sub.period = (char *) period;
    sub.revision = rev;
    sub.filed_at = o->it.filed_at;
    sub.n_values = 1;
    sub.values = vals;
    req.version = 1;
    req.body_case = BAOCAO__REQUEST__BODY_SUBMIT;
    req.submit = &sub;
    assert_true(protobuf_c_message_get_packed_size(&req.base)
                <= sizeof o->raw);
    o->it.raw_len = protobuf_c_message_pack(&req.base, o->raw);
    o->it.raw = o->raw;
}

static Baocao__AckStatus ingest(fixture_t *f, one_t *o)
{
    assert_int_equal(hub_store_ingest(f->store, &o->it, 1, 1000000), BC_OK);
    return o->it.status;
}

static int64_t figure(fixture_t *f, const char *unit, const char *period,
                      const char *ind, uint32_t *count)
{
    hub_reader_t *r = hub_store_reader(f->store);
    hub_figures_t fig;
    hub_figures_init(&fig, bc_registry_nindicators(f->reg));
    bc_period_t p;
    bc_period_parse(period, &p);
    assert_int_equal(hub_reader_figures(r, bc_registry_find_unit(f->reg, unit),
                                        p, &fig), BC_OK);
    uint32_t idx = bc_registry_find_indicator(f->reg, ind)->idx;
    int64_t v = fig.value[idx];
    if (count)
        *count = fig.count[idx];
    hub_figures_free(&fig);
    hub_reader_destroy(&r);
    return v;
}

static void test_ingest_and_rollup(void **state)
{
    fixture_t *f = *state;
    one_t a, b, c;
    make(&a, f->reg, "HP-HB-QT", "2023-12", 1, "sdd_u5", 776);
    make(&b, f->reg, "HP-HB-HV", "2023-12", 1, "sdd_u5", 1221);
    assert_int_equal(ingest(f, &a), BAOCAO__ACK_STATUS__ACK_STORED);
    assert_int_equal(ingest(f, &b), BAOCAO__ACK_STATUS__ACK_STORED);
    uint32_t n;
    assert_int_equal(figure(f, "HP-HB", "2023-12", "sdd_u5", &n), 1997);
    assert_int_equal(n, 2);
    assert_int_equal(figure(f, "HP", "2023-12", "sdd_u5", NULL), 1997);
    /* Duplicate: same id, nothing changes, the original's seq comes back. */
    uint64_t seq = a.it.seq;
    assert_int_equal(ingest(f, &a), BAOCAO__ACK_STATUS__ACK_DUPLICATE);
    assert_int_equal(a.it.seq, seq);
    assert_int_equal(figure(f, "HP-HB", "2023-12", "sdd_u5", NULL), 1997);
    /* Correction. */
    make(&c, f->reg, "HP-HB-QT", "2023-12", 2, "sdd_u5", 800);
    assert_int_equal(ingest(f, &c), BAOCAO__ACK_STATUS__ACK_STORED);
    assert_int_equal(figure(f, "HP-HB", "2023-12", "sdd_u5", &n), 2021);
    assert_int_equal(n, 2);
    assert_int_equal(hub_store_last_seq(f->store), 4);
}

static void test_batch_and_rejects(void **state)
{
    fixture_t *f = *state;
    one_t items[4];
    make(&items[0], f->reg, "HP-HB-QT", "2023-12", 1, "births", 3);
    make(&items[1], f->reg, "HP-HB-HV", "2023-12", 1, "births", 4);
    make(&items[2], f->reg, "HP-HB-SD", "2023-12", 1, "births", 5);
    items[2].it.reject = BAOCAO__REJECT_REASON__REASON_NEGATIVE;
    items[3] = items[0];             /* same id twice in one batch */
    items[3].it.id = items[0].id;
    items[3].it.vals = &items[3].val;
    items[3].it.raw = items[3].raw;
    hub_item_t batch[4];
    for (int i = 0; i < 4; i++)
        batch[i] = items[i].it;
    assert_int_equal(hub_store_ingest(f->store, batch, 4, 1000000), BC_OK);
    assert_int_equal(batch[0].status, BAOCAO__ACK_STATUS__ACK_STORED);
    assert_int_equal(batch[1].status, BAOCAO__ACK_STATUS__ACK_STORED);
    assert_int_equal(batch[2].status, BAOCAO__ACK_STATUS__ACK_REJECTED);
    assert_int_equal(batch[2].reason, BAOCAO__REJECT_REASON__REASON_NEGATIVE);
    assert_int_equal(batch[3].status, BAOCAO__ACK_STATUS__ACK_DUPLICATE);
    assert_int_equal(figure(f, "HP-HB", "2023-12", "births", NULL), 7);
    /* Every received submission is in the log, rejects included. */
    assert_int_equal(hub_store_last_seq(f->store), 4);
}

static void test_superseded_and_months(void **state)
{
    fixture_t *f = *state;
    one_t r2, r1, m1, m2;
    make(&r2, f->reg, "HG-CT", "2022-12", 2, "tt_managed", 300);
    make(&r1, f->reg, "HG-CT", "2022-12", 1, "tt_managed", 999);
    assert_int_equal(ingest(f, &r2), BAOCAO__ACK_STATUS__ACK_STORED);
    assert_int_equal(ingest(f, &r1), BAOCAO__ACK_STATUS__ACK_SUPERSEDED);
    assert_int_equal(r1.it.current_revision, 2);
    assert_int_equal(figure(f, "HG", "2022-12", "tt_managed", NULL), 300);
    make(&m1, f->reg, "HG-CT", "2022-01", 1, "tt_managed", 280);
    make(&m2, f->reg, "HG-CTA", "2022-01", 1, "sxh_cases", 5);
    assert_int_equal(ingest(f, &m1), BAOCAO__ACK_STATUS__ACK_STORED);
    assert_int_equal(ingest(f, &m2), BAOCAO__ACK_STATUS__ACK_STORED);
    hub_reader_t *r = hub_store_reader(f->store);
    hub_figures_t fig;
    hub_figures_init(&fig, bc_registry_nindicators(f->reg));
    assert_int_equal(hub_reader_months(r, bc_registry_find_unit(f->reg, "HG"),
                                       2022, 1, 12, &fig), BC_OK);
    /* Stock: last value (300), not 280 + 300. */
    assert_int_equal(fig.value[bc_registry_find_indicator(f->reg,
                                                          "tt_managed")->idx],
                     300);
    hub_figures_free(&fig);
    hub_reader_destroy(&r);
}

static void test_plans(void **state)
{
    fixture_t *f = *state;
    uint32_t sid = bc_registry_find_indicator(f->reg, "sieu_am")->sid;
    hub_val_t qt = {sid, 1, 100}, hv = {sid, 1, 50}, hb = {sid, 1, 1000};
    assert_int_equal(hub_store_set_plan(f->store,
                                        bc_registry_find_unit(f->reg,
                                                              "HP-HB-QT"),
                                        2023, &qt, 1), BC_OK);
    assert_int_equal(hub_store_set_plan(f->store,
                                        bc_registry_find_unit(f->reg,
                                                              "HP-HB-HV"),
                                        2023, &hv, 1), BC_OK);
    hub_reader_t *r = hub_store_reader(f->store);
    hub_figures_t fig;
    hub_figures_init(&fig, bc_registry_nindicators(f->reg));
    uint32_t idx = bc_registry_find_indicator(f->reg, "sieu_am")->idx;
    hub_reader_targets(r, bc_registry_find_unit(f->reg, "HP"), 2023, &fig);
    assert_int_equal(fig.value[idx], 150);
    hub_reader_destroy(&r);
    assert_int_equal(hub_store_set_plan(f->store,
                                        bc_registry_find_unit(f->reg, "HP-HB"),
                                        2023, &hb, 1), BC_OK);
    r = hub_store_reader(f->store);
    hub_reader_targets(r, bc_registry_find_unit(f->reg, "HP"), 2023, &fig);
    assert_int_equal(fig.value[idx], 1000);
    hub_figures_free(&fig);
    hub_reader_destroy(&r);
}

typedef struct {
    uint64_t n;                /* entries seen */
    uint8_t prev[32];          /* previous hash */
    bool ok;                   /* chain held */
} chain_t;

static int check_link(void *arg, const hub_log_entry_t *e)
{
    chain_t *c = arg;
    uint8_t h[32];
    uint8_t d[32];
    hub_request_digest(e->request, e->request_len, d);
    hub_log_hash(c->prev, e->seq, e->received_at, e->peer, e->peer_len,
                 e->outcome, e->reason, d, h);
    c->ok = c->ok && memcmp(h, e->hash, 32) == 0
            && memcmp(c->prev, e->prev_hash, 32) == 0 && e->seq == c->n + 1;
    memcpy(c->prev, e->hash, 32);
    c->n++;
    return 0;
}

static void test_log_chain_survives_reopen(void **state)
{
    fixture_t *f = *state;
    one_t a, b;
    make(&a, f->reg, "HP-HB-QT", "2023-10", 1, "births", 1);
    assert_int_equal(ingest(f, &a), BAOCAO__ACK_STATUS__ACK_STORED);
    hub_store_close(&f->store);
    char err[512];
    f->store = hub_store_open(bc_path(f->dir, "hub"), 64 << 20, f->reg, err,
                              sizeof err);
    assert_non_null(f->store);
    make(&b, f->reg, "HP-HB-QT", "2023-11", 1, "births", 2);
    assert_int_equal(ingest(f, &b), BAOCAO__ACK_STATUS__ACK_STORED);
    chain_t c = {0, {0}, true};
    hub_reader_t *r = hub_store_reader(f->store);
    assert_int_equal(hub_reader_log(r, 1, check_link, &c), BC_OK);
    hub_reader_destroy(&r);
    assert_int_equal(c.n, 2);
    assert_true(c.ok);
}

/* The forwarder's durable cursor: absent at first, kept across a reopen,
 * readable from a read-only store (audit verify-upstream). */
static void test_upstream_cursor(void **state)
{
    fixture_t *f = *state;
    uint64_t cursor = 99;
    char name[64] = "x", err[512];
    assert_int_equal(hub_store_upstream_get(f->store, &cursor, name,
                                            sizeof name), BC_ENOTFOUND);
    assert_int_equal(cursor, 0);
    assert_string_equal(name, "");
    assert_int_equal(hub_store_upstream_put(f->store, 41, "HP"), BC_OK);
    assert_int_equal(hub_store_upstream_put(f->store, 42, "HP"), BC_OK);
    hub_store_close(&f->store);
    hub_store_t *ro = hub_store_open_readonly(bc_path(f->dir, "hub"), err,
                                              sizeof err);
    assert_non_null(ro);
    assert_int_equal(hub_store_upstream_get(ro, &cursor, name, sizeof name),
                     BC_OK);
    assert_int_equal(cursor, 42);
    assert_string_equal(name, "HP");
    hub_store_close(&ro);
    f->store = hub_store_open(bc_path(f->dir, "hub"), 64 << 20, f->reg, err,
                              sizeof err);
    assert_non_null(f->store);
}

/* Commits while the test thread reads: each one a durable write. */
static void *keep_writing(void *arg)
{
    fixture_t *f = arg;
    for (uint64_t i = 1; i <= 200; i++)
        if (hub_store_upstream_put(f->store, i, "HP") != BC_OK)
            return (void *) 1;
    return NULL;
}

/* The reply cache keeps an answer under hub_store_txnid() read before the
 * answer's own read transaction; so a reader begun after it must never
 * see an older snapshot. mdb_env_info's txnid broke this for the length
 * of each commit's meta sync (the national hub then served a figure as
 * missing until the next commit: test_federation). The generation must
 * also move with each commit, or nothing would ever be invalidated. */
static void test_txnid_never_ahead_of_readers(void **state)
{
    fixture_t *f = *state;
    uint64_t first = hub_store_txnid(f->store);
    assert_true(first > 0);
    pthread_t writer;
    assert_int_equal(pthread_create(&writer, NULL, keep_writing, f), 0);
    unsigned long samples = 0, ahead = 0;
    for (;;) {
        uint64_t gen = hub_store_txnid(f->store);
        hub_reader_t *r = hub_store_reader(f->store);
        assert_non_null(r);
        if ((uint64_t) mdb_txn_id(r->txn) < gen)
            ahead++;
        samples++;
        hub_reader_destroy(&r);
        uint64_t cursor;
        char name[8];
        if (hub_store_upstream_get(f->store, &cursor, name, sizeof name)
                == BC_OK
            && cursor == 200)
            break;
    }
    void *wrc;
    assert_int_equal(pthread_join(writer, &wrc), 0);
    assert_null(wrc);
    if (ahead)
        fail_msg("%lu of %lu generations were ahead of the reader begun "
                 "after them", ahead, samples);
    assert_true(hub_store_txnid(f->store) >= first + 200);
}

/* A ward moves to another district: the totals follow the hierarchy when
 * the hub restarts with the new registry. */
static void test_registry_change_rebuilds(void **state)
{
    fixture_t *f = *state;
    one_t a;
    make(&a, f->reg, "HP-HB-QT", "2023-12", 1, "sdd_u5", 776);
    assert_int_equal(ingest(f, &a), BAOCAO__ACK_STATUS__ACK_STORED);
    reopen_on(f, "units.csv",
              "code,parent_code,level,name\n"
              "HP,,province,Hải Phòng\n"
              "HP-HB,HP,district,Hồng Bàng\n"
              "HP-NQ,HP,district,Ngô Quyền\n"
              "HP-HB-QT,HP-NQ,commune,Quán Toan\n");
    uint32_t n;
    assert_int_equal(figure(f, "HP-NQ", "2023-12", "sdd_u5", &n), 776);
    assert_int_equal(figure(f, "HP-HB", "2023-12", "sdd_u5", &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(figure(f, "HP", "2023-12", "sdd_u5", NULL), 776);
}

/* A full map refuses the batch whole and loses nothing committed before;
 * a larger map accepts again. */
static void test_full_map(void **state)
{
    fixture_t *f = *state;
    char err[512];
    hub_store_close(&f->store);
    char *dir = bc_tmpdir("full");
    const char *path = bc_path(dir, "hub");
    char p[4096];
    snprintf(p, sizeof p, "%s", path);
    f->store = hub_store_open(p, 1 << 20, f->reg, err, sizeof err);
    assert_non_null(f->store);
    int rc = BC_OK;
    uint64_t stored = 0;
    enum { N = 64 };
    static one_t items[N];
    hub_item_t batch[N];
    for (int round = 0; round < 1000 && rc == BC_OK; round++) {
        for (int i = 0; i < N; i++) {
            char period[16];
            snprintf(period, sizeof period, "%04d-%02d", 1950 + round % 70,
                     i % 12 + 1);
            make(&items[i], f->reg, i % 2 ? "HP-HB-QT" : "HP-HB-HV", period,
                 (uint32_t) (round / 70 * 64 + i + 1), "births", 1);
            batch[i] = items[i].it;
        }
        uint64_t before = hub_store_last_seq(f->store);
        rc = hub_store_ingest(f->store, batch, N, 1000000);
        if (rc == BC_OK) {
            stored += N;
        } else {
            assert_int_equal(rc, BC_EFULL);
            assert_int_equal(hub_store_last_seq(f->store), before);
            for (int i = 0; i < N; i++) {
                assert_int_equal(batch[i].status,
                                 BAOCAO__ACK_STATUS__ACK_RETRY_LATER);
                assert_int_equal(batch[i].reason,
                                 BAOCAO__REJECT_REASON__REASON_STORE_FULL);
            }
        }
    }
    assert_int_equal(rc, BC_EFULL);
    assert_true(stored > 0);
    hub_store_close(&f->store);
    f->store = hub_store_open(p, 64 << 20, f->reg, err, sizeof err);
    assert_non_null(f->store);
    assert_int_equal(hub_store_last_seq(f->store), stored);
    assert_int_equal(hub_store_ingest(f->store, batch, N, 1000000), BC_OK);
    assert_int_equal(batch[0].status, BAOCAO__ACK_STATUS__ACK_STORED);
    bc_rmtree(dir);
    free(dir);
}

/* An approve or unapprove item (issue #11) with its encoded Request. */
typedef struct {
    hub_item_t it;             /* the item */
    Baocao__ApprovalRequest a; /* what it asks */
    hub_approval_t after;      /* the approval in force afterwards */
    uint8_t raw[256];          /* the encoded request */
} appr_t;

static void make_approval(appr_t *o, const bc_registry_t *reg,
                          const char *unit, const char *period, bool undo)
{
    char msg[160];
    memset(o, 0, sizeof *o);
    baocao__approval_request__init(&o->a);
    o->a.unit = (char *) unit;
    o->a.period = (char *) period;
    o->a.unapprove = undo;
    o->a.reason = undo ? "reopened" : "";
    assert_int_equal(hub_approval_prepare(reg, &o->a, &o->it.unit,
                                          &o->it.period, msg, sizeof msg),
                     BAOCAO__REJECT_REASON__REASON_NONE);
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    req.version = 1;
    req.body_case = BAOCAO__REQUEST__BODY_APPROVAL;
    req.approval = &o->a;
    o->it.raw_len = protobuf_c_message_pack(&req.base, o->raw);
    o->it.raw = o->raw;
    o->it.peer = "operator:hb";
    o->it.approval = &o->a;
    o->it.approved = &o->after;
}

/* Approvals are decided in order with the submissions of the same batch:
 * a report before the approval is stored, the one after it is LOCKED; a
 * quarter's approval locks its months, not the next quarter's. */
static void test_approvals_in_batch_order(void **state)
{
    fixture_t *f = *state;
    one_t before, after, other, next_q;
    appr_t ap;
    make(&before, f->reg, "HP-HB-QT", "2023-02", 1, "births", 1);
    make_approval(&ap, f->reg, "HP-HB", "2023-Q1", false);
    make(&after, f->reg, "HP-HB-HV", "2023-03", 1, "births", 2);
    make(&other, f->reg, "HP-HB-QT", "2023-04", 1, "births", 3);
    hub_item_t batch[] = {before.it, ap.it, after.it, other.it};
    uint64_t seq0 = hub_store_last_seq(f->store);
    assert_int_equal(hub_store_ingest(f->store, batch, 4, 1000000), BC_OK);
    assert_int_equal(batch[0].status, BAOCAO__ACK_STATUS__ACK_STORED);
    assert_int_equal(batch[1].status, BAOCAO__ACK_STATUS__ACK_STORED);
    assert_int_equal(batch[1].seq, seq0 + 2);
    assert_true(ap.after.present);
    assert_string_equal(ap.after.by, "operator:hb");
    assert_int_equal(ap.after.seq, seq0 + 2);
    assert_int_equal(batch[2].status, BAOCAO__ACK_STATUS__ACK_REJECTED);
    assert_int_equal(batch[2].reason, BAOCAO__REJECT_REASON__REASON_LOCKED);
    assert_non_null(strstr(batch[2].message, "HP-HB approved 2023-Q1 "
                                             "(operator:hb"));
    assert_int_equal(batch[3].status, BAOCAO__ACK_STATUS__ACK_STORED);

    /* The reader sees the lock from the ward and the district. */
    hub_reader_t *r = hub_store_reader(f->store);
    hub_approval_t a;
    assert_int_equal(hub_reader_approval(r, bc_registry_find_unit(
                                                f->reg, "HP-HB-QT"),
                                         before.it.period, &a), BC_OK);
    assert_true(a.present);
    assert_string_equal(a.unit->code, "HP-HB");
    assert_int_equal(hub_reader_approval(r, bc_registry_find_unit(
                                                f->reg, "HP"),
                                         before.it.period, &a), BC_OK);
    assert_false(a.present);   /* the province is not approved */
    hub_reader_destroy(&r);

    /* Unapprove and a correction in one batch: unlocked first. */
    appr_t un;
    make_approval(&un, f->reg, "HP-HB", "2023-Q1", true);
    make(&next_q, f->reg, "HP-HB-HV", "2023-03", 2, "births", 4);
    hub_item_t b2[] = {un.it, next_q.it};
    assert_int_equal(hub_store_ingest(f->store, b2, 2, 1000000), BC_OK);
    assert_int_equal(b2[0].status, BAOCAO__ACK_STATUS__ACK_STORED);
    assert_false(un.after.present);
    assert_int_equal(b2[1].status, BAOCAO__ACK_STATUS__ACK_STORED);
    /* Nothing left to unapprove: refused, on record. */
    make_approval(&un, f->reg, "HP-HB", "2023-Q1", true);
    uint64_t seq1 = hub_store_last_seq(f->store);
    assert_int_equal(hub_store_ingest(f->store, &un.it, 1, 1000000), BC_OK);
    assert_int_equal(un.it.status, BAOCAO__ACK_STATUS__ACK_REJECTED);
    assert_int_equal(un.it.reason, BAOCAO__REJECT_REASON__REASON_BAD_REQUEST);
    assert_int_equal(hub_store_last_seq(f->store), seq1 + 1);
}

/* A batch that cannot commit (the map fills) leaves no lock behind: the
 * lock commits with its log entry or not at all, and the approval is
 * answered RETRY_LATER like the reports beside it. */
static void test_approval_aborted_with_batch(void **state)
{
    fixture_t *f = *state;
    char err[512];
    hub_store_close(&f->store);
    char *dir = bc_tmpdir("fullappr");
    char p[4096];
    snprintf(p, sizeof p, "%s", bc_path(dir, "hub"));
    f->store = hub_store_open(p, 1 << 20, f->reg, err, sizeof err);
    assert_non_null(f->store);
    enum { N = 64 };
    static one_t items[N];
    static appr_t ap;
    hub_item_t batch[N];
    int rc = BC_OK;
    char year[16] = "";
    for (int round = 0; round < 1000 && rc == BC_OK; round++) {
        snprintf(year, sizeof year, "%04d", 1950 + round);
        make_approval(&ap, f->reg, "HP-HB", year, false);
        batch[0] = ap.it;
        for (int i = 1; i < N; i++) {
            char period[16];
            snprintf(period, sizeof period, "%04d-%02d", 1950 + round,
                     i % 12 + 1);
            make(&items[i], f->reg, i % 2 ? "HP-HB-QT" : "HP-HB-HV", period,
                 (uint32_t) (i + 1), "births", 1);
            batch[i] = items[i].it;
        }
        rc = hub_store_ingest(f->store, batch, N, 1000000);
    }
    assert_int_equal(rc, BC_EFULL);
    assert_int_equal(batch[0].status, BAOCAO__ACK_STATUS__ACK_RETRY_LATER);
    bc_period_t py;
    assert_int_equal(bc_period_parse(year, &py), 0);
    hub_reader_t *r = hub_store_reader(f->store);
    hub_approval_t a;
    assert_int_equal(hub_reader_approval(r, bc_registry_find_unit(
                                                f->reg, "HP-HB-QT"),
                                         py, &a), BC_OK);
    assert_false(a.present);
    /* The round before committed, lock and all. */
    assert_int_equal(hub_reader_approval(r, bc_registry_find_unit(
                                                f->reg, "HP-HB-QT"),
                                         py - 1000, &a), BC_OK);
    assert_true(a.present);
    hub_reader_destroy(&r);
    hub_store_close(&f->store);
    bc_rmtree(dir);
    free(dir);
}

static void carried_all(fixture_t *f, int64_t out[12])
{
    hub_reader_t *r = hub_store_reader(f->store);
    hub_figures_t fig;
    hub_figures_init(&fig, bc_registry_nindicators(f->reg));
    uint32_t idx = bc_registry_find_indicator(f->reg, "tt_managed")->idx;
    for (unsigned m = 1; m <= 12; m++) {
        assert_int_equal(hub_reader_carried(r, bc_registry_find_unit(f->reg,
                                                                     "HP"),
                                            2023, m, &fig), BC_OK);
        out[m - 1] = fig.count[idx] ? fig.value[idx] : -1;
    }
    hub_figures_free(&fig);
    hub_reader_destroy(&r);
}

/* The carried stocks kept up report by report (out of order, with
 * corrections) equal the ones rebuilt from scratch. */
static void test_carry_rebuild_matches(void **state)
{
    fixture_t *f = *state;
    static const struct {
        const char *unit, *period;
        uint32_t rev;
        int64_t v;
    } feed[] = {
        {"HP-HB-QT", "2023-05", 1, 50}, {"HP-HB-QT", "2023-02", 1, 20},
        {"HP-HB-HV", "2023-03", 1, 7},  {"HP-HB-QT", "2023-09", 1, 90},
        {"HP-HB-QT", "2023-05", 2, 55}, {"HP-HB-HV", "2023-01", 1, 3},
        {"HP-HB", "2023-04", 1, 100},   {"HP-HB-SD", "2023-12", 1, 1},
    };
    for (size_t i = 0; i < sizeof feed / sizeof feed[0]; i++) {
        one_t o;
        make(&o, f->reg, feed[i].unit, feed[i].period, feed[i].rev,
             "tt_managed", feed[i].v);
        assert_int_equal(ingest(f, &o), BAOCAO__ACK_STATUS__ACK_STORED);
    }
    int64_t live[12], rebuilt[12];
    carried_all(f, live);
    /* By hand: QT 20 from Feb, 55 from May, 90 from Sep; HV 3 from Jan,
     * 7 from Mar; the district's own 100 from Apr; SD 1 in Dec. */
    int64_t want[12] = {3, 23, 27, 127, 162, 162, 162, 162, 197, 197, 197,
                        198};
    assert_memory_equal(live, want, sizeof want);
    /* A registry change forces a rebuild from the current reports. */
    reopen_on(f, "units2.csv", "code,parent_code,level,name\n"
                               "HP,,province,Hải Phòng (renamed)\n"
                               "HP-HB,HP,district,Hồng Bàng\n"
                               "HP-HB-QT,HP-HB,commune,Quán Toan\n"
                               "HP-HB-HV,HP-HB,commune,Hùng Vương\n"
                               "HP-HB-SD,HP-HB,commune,Sở Dầu\n");
    carried_all(f, rebuilt);
    assert_memory_equal(live, rebuilt, sizeof live);
}

/* Every figure and count of hub_reader_period over the 19 periods of 2023
 * for the district and the province, flattened into out (value, count per
 * indicator watched; -1 when absent). */
#define WATCH 4
static void periods_all(fixture_t *f, int64_t out[2][19][WATCH][2])
{
    static const char *codes[WATCH] = {"tt_managed", "sxh_cases", "tcmr_u1",
                                       "tcmr_full_rate"};
    static const char *units[2] = {"HP-HB", "HP"};
    hub_reader_t *r = hub_store_reader(f->store);
    hub_figures_t fig;
    hub_figures_init(&fig, bc_registry_nindicators(f->reg));
    for (int u = 0; u < 2; u++)
        for (int k = 0; k < 19; k++) {
            bc_period_t p = k < 12 ? bc_period_make(2023, BC_PT_MONTH, k + 1)
                            : k < 16 ? bc_period_make(2023, BC_PT_QUARTER,
                                                      k - 11)
                            : k < 18 ? bc_period_make(2023, BC_PT_HALF, k - 15)
                                     : bc_period_make(2023, BC_PT_YEAR, 1);
            assert_int_equal(hub_reader_period(r, bc_registry_find_unit(
                                                      f->reg, units[u]),
                                               p, &fig), BC_OK);
            for (int i = 0; i < WATCH; i++) {
                uint32_t idx = bc_registry_find_indicator(f->reg,
                                                          codes[i])->idx;
                out[u][k][i][0] = fig.count[idx] ? fig.value[idx] : -1;
                out[u][k][i][1] = fig.count[idx];
            }
        }
    hub_figures_free(&fig);
    hub_reader_destroy(&r);
}

/* The contributing-unit counts (`units`) kept up report by report, out of
 * order, with corrections that drop a figure and reports for a quarter,
 * equal the ones rebuilt from scratch; and a few by hand. */
static void test_units_rebuild_matches(void **state)
{
    fixture_t *f = *state;
    static const struct {
        const char *unit, *period;
        uint32_t rev;
        const char *ind;
        int64_t v;
    } feed[] = {
        {"HP-HB-QT", "2023-05", 1, "tt_managed", 50},
        {"HP-HB-QT", "2023-02", 1, "sxh_cases", 2},
        {"HP-HB-HV", "2023-03", 1, "tcmr_u1", 7},
        {"HP-HB-QT", "2023-09", 1, "tt_managed", 90},
        {"HP-HB-QT", "2023-05", 2, "sxh_cases", 5},   /* drops tt_managed */
        {"HP-HB-HV", "2023-01", 1, "sxh_cases", 3},
        {"HP-HB", "2023-04", 1, "tt_managed", 100},
        {"HP-HB-SD", "2023-Q3", 1, "tcmr_u1", 11},
        {"HP-HB-SD", "2023-08", 1, "tcmr_u1", 4},
        {"HP-HB-TC", "2023-Q1", 1, "sxh_cases", 30},
        {"HP-HB-TC", "2023-02", 1, "sxh_cases", 9},
        {"HP-HB-SD", "2023-12", 1, "sxh_cases", 1},
    };
    for (size_t i = 0; i < sizeof feed / sizeof feed[0]; i++) {
        one_t o;
        make(&o, f->reg, feed[i].unit, feed[i].period, feed[i].rev,
             feed[i].ind, feed[i].v);
        assert_int_equal(ingest(f, &o), BAOCAO__ACK_STATUS__ACK_STORED);
    }
    static int64_t live[2][19][WATCH][2], rebuilt[2][19][WATCH][2];
    periods_all(f, live);
    /* By hand, the district: sxh_cases over Q1 is HV's January 3, QT's
     * February 2 and TC's quarter 30 (its February 9 replaced): 3 units. */
    assert_int_equal(live[0][12][1][0], 3 + 30 + 2);
    assert_int_equal(live[0][12][1][1], 3);
    /* The year adds QT's May 5 and SD's December 1: 4 units (QT once). */
    assert_int_equal(live[0][18][1][0], 35 + 5 + 1);
    assert_int_equal(live[0][18][1][1], 4);
    /* tcmr_full_rate counts units with either part: HV (tcmr_u1 from
     * March) and, for Q3, SD's quarter report. */
    assert_int_equal(live[0][14][3][1], 2);
    assert_int_equal(live[0][2][3][1], 1);
    /* tt_managed in June: the district's own 100 (QT's May dropped it). */
    assert_int_equal(live[0][5][0][0], 100);
    assert_int_equal(live[0][5][0][1], 1);
    /* A registry change forces a rebuild from the current reports. */
    reopen_on(f, "units2.csv", "code,parent_code,level,name\n"
                               "HP,,province,Hải Phòng (renamed)\n"
                               "HP-HB,HP,district,Hồng Bàng\n"
                               "HP-HB-QT,HP-HB,commune,Quán Toan\n"
                               "HP-HB-HV,HP-HB,commune,Hùng Vương\n"
                               "HP-HB-SD,HP-HB,commune,Sở Dầu\n"
                               "HP-HB-TC,HP-HB,commune,Trại Chuối\n");
    periods_all(f, rebuilt);
    assert_memory_equal(live, rebuilt, sizeof live);
}

/* hub_agg_apply_from gives exactly hub_agg_apply's array whatever the
 * order of sids: runs in increasing order (a report's figures, where the
 * hint is used), runs that go back (the hint must be dropped), entries
 * added, changed and removed (count back to 0). */
static void test_agg_apply_from(void **state)
{
    (void) state;
    hub_agg_t a = {0}, b = {0};
    uint32_t hint = 0;
    uint64_t x = 12345;
    for (int step = 0; step < 20000; step++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        uint32_t r = (uint32_t) (x >> 33);
        /* Mostly the next sid up (a run), sometimes back to anywhere. */
        static uint32_t sid = 1;
        sid = r % 8 ? sid + 1 + r % 3 : 1 + r % 300;
        if (sid > 300) {
            sid = 1 + r % 7;
            hint = r % 2 ? 0 : hint;   /* a stale hint half the time */
        }
        int32_t dc = r % 5 == 0 ? -1 : r % 5 == 1 ? 0 : 1;
        int64_t dv = (int64_t) (r % 1000) - (dc < 0 ? 1000 : 0);
        assert_int_equal(hub_agg_apply(&a, sid, dv, dc),
                         hub_agg_apply_from(&b, &hint, sid, dv, dc));
        assert_int_equal(a.n, b.n);
        if (a.n)
            assert_memory_equal(a.vals, b.vals, a.n * sizeof *a.vals);
    }
    assert_true(a.n > 50);   /* it grew and shrank, not stayed empty */
    free(a.vals);
    free(b.vals);
}

/* What was allocated before the mark stays intact; what came after goes,
 * across blocks too (a request larger than a block), and the space is
 * handed out again. */
static void test_arena_rewind(void **state)
{
    (void) state;
    bc_arena_t *a = bc_arena_new(4096);
    char *kept = bc_arena_alloc(a, 100);
    memset(kept, 'k', 100);
    for (int round = 0; round < 3; round++) {
        bc_arena_mark_t m = bc_arena_mark(a);
        char *p = bc_arena_alloc(a, 64);
        memset(p, 'x', 64);
        char *big = bc_arena_alloc(a, 3 * 4096);   /* a block of its own */
        memset(big, 'y', 3 * 4096);
        for (int i = 0; i < 200; i++)              /* more blocks */
            memset(bc_arena_alloc(a, 100), 'z', 100);
        bc_arena_rewind(a, m);
        /* The next allocation is where p was: nothing leaked past it. */
        assert_ptr_equal(bc_arena_alloc(a, 64), p);
        bc_arena_rewind(a, m);
        for (int i = 0; i < 100; i++)
            assert_int_equal(kept[i], 'k');
    }
    bc_arena_destroy(&a);
}

/* A report of many figures for hub_store_ingest: the item, its figures and
 * the encoded Request the log keeps. */
typedef struct {
    hub_item_t it;             /* the item */
    uint8_t id[16];            /* its id */
    hub_val_t *vals;           /* its figures, sorted by sid */
    uint8_t *raw;              /* the encoded request */
} many_t;

static void make_many(many_t *o, const bc_registry_t *reg,
                      const bc_unit_t *u, const char *period,
                      const uint32_t *idx, const int64_t *v, size_t n)
{
    memset(o, 0, sizeof *o);
    bc_id_new(o->id);
    o->it.id = o->id;
    o->it.unit = u;
    assert_int_equal(bc_period_parse(period, &o->it.period), 0);
    o->it.revision = 1;
    o->it.filed_at = 1735689600;
    o->it.peer = "";
    o->vals = bc_calloc(n + 1, sizeof *o->vals);
    Baocao__Value *pv = bc_calloc(n + 1, sizeof *pv);
    Baocao__Value **pp = bc_calloc(n + 1, sizeof *pp);
    for (size_t i = 0; i < n; i++) {
        const bc_indicator_t *ind = bc_registry_indicator(reg, idx[i]);
        o->vals[i] = (hub_val_t){ind->sid, 1, v[i]};
        baocao__value__init(&pv[i]);
        pv[i].indicator = (char *) ind->code;
        pv[i].v_case = BAOCAO__VALUE__V_COUNT;
        pv[i].count = v[i];
        pp[i] = &pv[i];
    }
    o->it.vals = o->vals;
    o->it.nvals = n;
    Baocao__Submission sub = BAOCAO__SUBMISSION__INIT;
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    sub.id.data = o->id;
    sub.id.len = 16;
    sub.unit = (char *) u->code;
    sub.period = (char *) period;
    sub.revision = 1;
    sub.filed_at = o->it.filed_at;
    sub.n_values = n;
    sub.values = pp;
    req.version = 1;
    req.body_case = BAOCAO__REQUEST__BODY_SUBMIT;
    req.submit = &sub;
    o->raw = bc_malloc(protobuf_c_message_get_packed_size(&req.base) + 1);
    o->it.raw_len = protobuf_c_message_pack(&req.base, o->raw);
    o->it.raw = o->raw;
    free(pv);
    free(pp);
}

/* The batched reads of a SliceQuery (hub_reader_pick_units, and
 * hub_reader_pick over a set sorted once) give, cell by cell, what
 * hub_reader_figures gives, which unpacks the whole record: on reports
 * of 2 to 180 of 200 indicators (sid gaps over 127: two-byte deltas),
 * values of one byte to the largest count (six-byte varints), records
 * ending within eight bytes, and units picked far apart (walks that jump)
 * or next to each other (walks that step), in any order. */
/* The store of the pick tests: a province, 4 districts of 30 facilities,
 * 200 indicators (so a report spans several blocks of the cur records'
 * skip index), two months of reports of three shapes: nine in ten
 * indicators, the first and last only, one in four. */
static const char *pick_months[] = {"2024-11", "2024-12"};

static void pick_store(fixture_t *f)
{
    hub_store_close(&f->store);
    bc_registry_destroy(&f->reg);
    /* A province, 4 districts of 30 facilities, 200 indicators. */
    char units[8192] = "code,parent_code,level,name\nP,,province,P\n";
    char *cat = bc_calloc(1, 32768);
    size_t len = strlen(units);
    for (int d = 0; d < 4; d++) {
        len += (size_t) snprintf(units + len, sizeof units - len,
                                 "D%d,P,district,D%d\n", d, d);
        for (int k = 0; k < 30; k++)
            len += (size_t) snprintf(units + len, sizeof units - len,
                                     "F%d_%02d,D%d,commune,F\n", d, k, d);
    }
    len = (size_t) snprintf(cat, 32768,
                            "code,name,kind,numerator,denominator,scale\n");
    for (int i = 0; i < 200; i++)
        len += (size_t) snprintf(cat + len, 32768 - len, "i%03d,I,%s,,,\n",
                                 i, i % 7 == 3 ? "stock" : "flow");
    bc_write_file(bc_path(f->dir, "u.csv"), units);
    bc_write_file(bc_path(f->dir, "c.csv"), cat);
    free(cat);
    char *up = bc_strdup(bc_path(f->dir, "u.csv"));
    f->reg = load_registry(up, bc_path(f->dir, "c.csv"));
    free(up);
    char err[512];
    char *store = bc_strdup(bc_path(f->dir, "pick"));
    f->store = hub_store_open(store, 64 << 20, f->reg, err, sizeof err);
    free(store);
    assert_non_null(f->store);

    const bc_registry_t *reg = f->reg;
    size_t nu = bc_registry_nunits(reg), ni = bc_registry_nindicators(reg);
    const char **months = pick_months;
    srand(7);
    for (size_t m = 0; m < 2; m++) {
        many_t *items = bc_calloc(nu, sizeof *items);
        hub_item_t *batch = bc_calloc(nu, sizeof *batch);
        size_t nb = 0;
        for (size_t ui = 0; ui < nu; ui++) {
            const bc_unit_t *u = bc_registry_unit(reg, (uint32_t) ui);
            if (u->nchildren || rand() % 5 == 0)
                continue;   /* every fifth facility silent */
            uint32_t idx[200];
            int64_t v[200];
            size_t n = 0;
            int shape = rand() % 3;
            for (uint32_t i = 0; i < ni; i++) {
                bool take = shape == 0 ? rand() % 10 < 9
                          : shape == 1 ? i == 0 || i == ni - 1
                                       : rand() % 4 == 0;
                if (!take)
                    continue;
                idx[n] = i;
                int r = rand() % 4;
                v[n++] = r == 0 ? rand() % 100
                       : r == 1 ? 100 + rand() % 100000
                       : r == 2 ? BC_COUNT_MAX - rand() % 1000
                                : (int64_t) rand() * 397;
            }
            make_many(&items[nb], reg, u, months[m], idx, v, n);
            batch[nb] = items[nb].it;
            nb++;
        }
        assert_int_equal(hub_store_ingest(f->store, batch, nb, 1000000),
                         BC_OK);
        for (size_t i = 0; i < nb; i++) {
            assert_int_equal(batch[i].status, BAOCAO__ACK_STATUS__ACK_STORED);
            free(items[i].vals);
            free(items[i].raw);
        }
        free(items);
        free(batch);
    }
}

/* Every way of picking figures for sets of units gives what the full
 * decode of each report gives. */
static void pick_check(fixture_t *f)
{
    const bc_registry_t *reg = f->reg;
    size_t nu = bc_registry_nunits(reg), ni = bc_registry_nindicators(reg);
    const char **months = pick_months;
    /* Sets of units: every unit, every third one backwards, facilities
     * far apart with their districts, and one unit. */
    const bc_unit_t **set = bc_calloc(nu, sizeof *set);
    int64_t *vals = bc_calloc(nu * 2, sizeof *vals);
    uint32_t *counts = bc_calloc(nu * 2, sizeof *counts);
    uint32_t *rep = bc_calloc(nu, sizeof *rep);
    hub_figures_t fig;
    hub_figures_init(&fig, ni);
    size_t cells = 0, present = 0;
    for (int shape = 0; shape < 4; shape++) {
        size_t ns = 0;
        for (size_t ui = 0; ui < nu; ui++) {
            size_t pick = shape == 1 ? nu - 1 - ui : ui;
            if ((shape == 0) || (shape == 1 && ui % 3 == 0)
                || (shape == 2 && (ui % 11 == 0
                                   || bc_registry_unit(reg, (uint32_t) ui)
                                          ->nchildren))
                || (shape == 3 && ui == nu / 2))
                set[ns++] = bc_registry_unit(reg, (uint32_t) pick);
        }
        hub_pick_t *ps = hub_pick_new(set, ns);
        for (size_t m = 0; m < 2; m++) {
            bc_period_t p;
            bc_period_parse(months[m], &p);
            for (uint32_t i = 0; i < ni; i += (shape == 0 ? 1 : 13)) {
                uint32_t sids[2] = {bc_registry_indicator(reg, i)->sid,
                                    bc_registry_indicator(reg,
                                                          (i * 7 + 5) % (uint32_t) ni)
                                        ->sid};
                for (size_t n = 1; n <= 2; n++) {
                    hub_reader_t *r = hub_store_reader(f->store);
                    if (n == 1 && i % 2)
                        assert_int_equal(hub_reader_pick(r, ps, p, sids, n,
                                                         vals, counts, rep),
                                         BC_OK);
                    else
                        assert_int_equal(hub_reader_pick_units(r, set, ns, p,
                                                               sids, n, vals,
                                                               counts, rep),
                                         BC_OK);
                    for (size_t k = 0; k < ns; k++) {
                        assert_int_equal(hub_reader_figures(r, set[k], p,
                                                            &fig), BC_OK);
                        for (size_t j = 0; j < n; j++) {
                            int32_t x = hub_env_indicator(f->store, sids[j]);
                            assert_true(vals[k * n + j] == fig.value[x]);
                            assert_int_equal(counts[k * n + j], fig.count[x]);
                            cells++;
                            present += fig.count[x] > 0;
                        }
                    }
                    hub_reader_destroy(&r);
                }
            }
        }
        hub_pick_destroy(&ps);
    }
    /* The data is what the comment says: most cells read, not all. */
    assert_true(present > cells / 4 && present < cells);
    hub_figures_free(&fig);
    free(set);
    free(vals);
    free(counts);
    free(rep);
}

/* Records written before the skip index (nvals' top byte 0, the pairs
 * right after the header) read as before: the store's cur records are
 * rewritten in that form, byte for byte what an older hub wrote
 * (hub_reports.c), and every pick checked again. */
static void test_pick_reads_unindexed(void **state)
{
    fixture_t *f = *state;
    pick_store(f);
    hub_store_t *s = f->store;
    MDB_txn *txn;
    MDB_cursor *cur;
    MDB_val k, v;
    assert_int_equal(mdb_txn_begin(s->env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_cursor_open(txn, s->dbi[HUB_DB_CUR], &cur), 0);
    size_t stripped = 0;
    const size_t hdr = 48, entry = 8, shift = 4;
    for (int mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        uint32_t nvals;
        memcpy(&nvals, (uint8_t *) v.mv_data + 4, 4);
        assert_int_equal(nvals >> 24, shift);   /* every write indexed */
        nvals &= 0x00ffffffu;
        size_t skip = nvals ? ((nvals - 1) >> shift) * entry : 0;
        uint8_t *old = bc_malloc(v.mv_size - skip);
        memcpy(old, v.mv_data, hdr);
        memcpy(old + 4, &nvals, 4);
        memcpy(old + hdr, (uint8_t *) v.mv_data + hdr + skip,
               v.mv_size - hdr - skip);
        /* The key is copied: k points into the page the put rewrites. */
        uint8_t kb[8];
        assert_int_equal(k.mv_size, sizeof kb);
        memcpy(kb, k.mv_data, sizeof kb);
        MDB_val kc = {sizeof kb, kb}, ov = {v.mv_size - skip, old};
        assert_int_equal(mdb_cursor_put(cur, &kc, &ov, MDB_CURRENT), 0);
        free(old);
        stripped += skip > 0;
    }
    mdb_cursor_close(cur);
    assert_int_equal(mdb_txn_commit(txn), 0);
    assert_true(stripped > 100);   /* most reports had an index */
    pick_check(f);
}

static void test_pick_equals_figures(void **state)
{
    pick_store(*state);
    pick_check(*state);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ingest_and_rollup, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_batch_and_rejects, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_superseded_and_months, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_plans, setup, teardown),
        cmocka_unit_test_setup_teardown(test_log_chain_survives_reopen, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_registry_change_rebuilds, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_full_map, setup, teardown),
        cmocka_unit_test_setup_teardown(test_approvals_in_batch_order, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_approval_aborted_with_batch,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_txnid_never_ahead_of_readers,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_upstream_cursor, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_carry_rebuild_matches, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_units_rebuild_matches, setup,
                                        teardown),
        cmocka_unit_test(test_agg_apply_from),
        cmocka_unit_test(test_arena_rewind),
        cmocka_unit_test_setup_teardown(test_pick_equals_figures, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_pick_reads_unindexed, setup,
                                        teardown),
    };
    return cmocka_run_group_tests_name("unit.store", tests, NULL, NULL);
}
