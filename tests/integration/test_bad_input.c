/*
 * test_bad_input.c -- every kind of bad input gets its typed rejection,
 * nothing of it is stored, and the hub keeps serving; a full store refuses
 * without acknowledging, keeps answering queries, and accepts again after a
 * restart with a larger map, with no acknowledged report lost.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bc_mem.h"
#include "bc_test.h"
#include "bc_wire.h"

#include <czmq.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct {
    char *dir;          /* temporary folder */
    bc_hub_t hub;       /* the hub under test */
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    f->dir = bc_tmpdir("badinput");
    bc_hub_init(&f->hub);
    const char *extra[] = {"--max-message", "4096", "--max-values", "50",
                           NULL};
    bc_hub_start(&f->hub, f->dir, NULL, extra);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(bc_hub_stop(&f->hub), 0);
    bc_rmtree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

/* Sends a one-value submission with knobs for each kind of mistake and
 * returns the ack's reason (REASON_NONE when stored). */
typedef struct {
    const char *unit;         /* unit code */
    const char *period;       /* period text */
    uint32_t revision;        /* revision */
    const char *indicator;    /* indicator code */
    bool decimal;             /* send a non-integer */
    double value;             /* the value */
    size_t id_len;            /* id length (16 is right) */
    size_t copies;            /* values in the report */
} bad_t;

static Baocao__RejectReason send_bad(fixture_t *f, const bad_t *b,
                                     Baocao__AckStatus *status)
{
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    Baocao__Submission sub = BAOCAO__SUBMISSION__INIT;
    size_t n = b->copies ? b->copies : 1;
    Baocao__Value *vals = bc_calloc(n, sizeof *vals);
    Baocao__Value **ptrs = bc_calloc(n, sizeof *ptrs);
    char (*codes)[32] = bc_calloc(n, 32);
    for (size_t i = 0; i < n; i++) {
        baocao__value__init(&vals[i]);
        /* Many copies: distinct made-up codes after the first. */
        if (i)
            snprintf(codes[i], 32, "x%zu", i);
        else
            snprintf(codes[i], 32, "%s", b->indicator);
        vals[i].indicator = codes[i];
        if (b->decimal) {
            vals[i].v_case = BAOCAO__VALUE__V_DECIMAL;
            vals[i].decimal = b->value;
        } else {
            vals[i].v_case = BAOCAO__VALUE__V_COUNT;
            vals[i].count = (int64_t) b->value;
        }
        ptrs[i] = &vals[i];
    }
    uint8_t id[32];
    bc_id_new(id);
    bc_id_new(id + 16);
    sub.id.data = id;
    sub.id.len = b->id_len ? b->id_len : 16;
    sub.unit = (char *) b->unit;
    sub.period = (char *) b->period;
    sub.revision = b->revision;
    sub.filed_at = 1704067200;
    sub.n_values = n;
    sub.values = ptrs;
    req.body_case = BAOCAO__REQUEST__BODY_SUBMIT;
    req.submit = &sub;
    Baocao__Reply *r = bc_send(f->hub.endpoint, &req);
    free(vals);
    free(ptrs);
    free(codes);
    assert_int_equal(r->body_case, BAOCAO__REPLY__BODY_ACK);
    Baocao__RejectReason reason = r->ack->reason;
    *status = r->ack->status;
    /* A rejection always says why, in words. */
    if (r->ack->status == BAOCAO__ACK_STATUS__ACK_REJECTED
        && strlen(r->ack->message) <= 10)
        fail_msg("%s: message '%s' too short", bc_reason_name(r->ack->reason),
                 r->ack->message);
    baocao__reply__free_unpacked(r, NULL);
    return reason;
}

static void expect(fixture_t *f, bad_t b, Baocao__RejectReason want)
{
    Baocao__AckStatus status;
    Baocao__RejectReason got = send_bad(f, &b, &status);
    if (got != want)
        fprintf(stderr, "unit %s period %s ind %s: got %s, want %s\n",
                b.unit, b.period, b.indicator, bc_reason_name(got),
                bc_reason_name(want));
    assert_int_equal(got, want);
    assert_int_equal(status, want == BAOCAO__REJECT_REASON__REASON_NONE
                                 ? BAOCAO__ACK_STATUS__ACK_STORED
                                 : BAOCAO__ACK_STATUS__ACK_REJECTED);
}

#define R(x) BAOCAO__REJECT_REASON__REASON_##x

static void test_typed_rejections(void **state)
{
    fixture_t *f = *state;
    bad_t ok = {"HP-HB-QT", "2023-12", 1, "births", false, 5, 16, 1};
    bad_t b;
    b = ok; b.unit = "NOWHERE";           expect(f, b, R(UNKNOWN_UNIT));
    b = ok; b.indicator = "nonsense";     expect(f, b, R(UNKNOWN_INDICATOR));
    b = ok; b.value = -1;                 expect(f, b, R(NEGATIVE));
    b = ok; b.decimal = true; b.value = 2.5; expect(f, b, R(NOT_INTEGER));
    b = ok; b.period = "2023-13";         expect(f, b, R(BAD_PERIOD));
    b = ok; b.period = "Dec 2023";        expect(f, b, R(BAD_PERIOD));
    b = ok; b.period = "2999-01";         expect(f, b, R(FUTURE_PERIOD));
    b = ok; b.revision = 0;               expect(f, b, R(BAD_REVISION));
    b = ok; b.unit = "HP";                expect(f, b, R(NOT_REPORTING));
    b = ok; b.id_len = 20;                expect(f, b, R(BAD_ID));
    b = ok; b.indicator = "sdd_underweight_rate"; expect(f, b,
                                                         R(NOT_REPORTABLE));
    b = ok; b.copies = 60;                expect(f, b, R(TOO_MANY_VALUES));
    /* Nothing of all that was stored. */
    int64_t v;
    assert_false(bc_query_value(f->hub.endpoint, "HP-HB", "2023-12", "births",
                                &v));
    /* The same indicator twice. */
    assert_int_equal(bc_submit(f->hub.endpoint, NULL, "HP-HB-QT", "2023-12",
                               1, 1704067200, "births=1,births=2"),
                     BAOCAO__ACK_STATUS__ACK_REJECTED);
    /* A revision that goes backwards onto a number already used. */
    expect(f, ok, R(NONE));
    b = ok;
    expect(f, b, R(BAD_REVISION));   /* revision 1 again, another id */
    /* And the hub still serves. */
    assert_true(bc_query_value(f->hub.endpoint, "HP-HB", "2023-12", "births",
                               &v));
    assert_int_equal(v, 5);
}

/* Raw bytes that are not a Request, too many frames, too large: typed
 * answers, and the hub goes on. */
static void test_malformed_frames(void **state)
{
    fixture_t *f = *state;
    zsock_t *s = zsock_new(ZMQ_DEALER);
    assert_int_equal(zsock_connect(s, "%s", f->hub.endpoint), 0);
    zsock_set_rcvtimeo(s, 10000);

    zstr_send(s, "\xff\xff\xff garbage");
    zframe_t *in = zframe_recv(s);
    assert_non_null(in);
    Baocao__Reply *r = baocao__reply__unpack(NULL, zframe_size(in),
                                             zframe_data(in));
    assert_non_null(r);
    assert_int_equal(r->body_case, BAOCAO__REPLY__BODY_ACK);
    assert_int_equal(r->ack->reason, R(MALFORMED));
    baocao__reply__free_unpacked(r, NULL);
    zframe_destroy(&in);

    zstr_sendx(s, "two", "frames", NULL);
    in = zframe_recv(s);
    assert_non_null(in);
    r = baocao__reply__unpack(NULL, zframe_size(in), zframe_data(in));
    assert_int_equal(r->body_case, BAOCAO__REPLY__BODY_ERROR);
    assert_int_equal(r->error->reason, R(MALFORMED));
    baocao__reply__free_unpacked(r, NULL);
    zframe_destroy(&in);

    /* Over --max-message (4096) but under the hard limit. */
    zframe_t *big = zframe_new(NULL, 8000);
    memset(zframe_data(big), 0x0a, 8000);
    zframe_send(&big, s, 0);
    in = zframe_recv(s);
    assert_non_null(in);
    r = baocao__reply__unpack(NULL, zframe_size(in), zframe_data(in));
    assert_int_equal(r->ack->reason, R(TOO_LARGE));
    baocao__reply__free_unpacked(r, NULL);
    zframe_destroy(&in);

    /* A wrong contract version. */
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    Baocao__Ping ping = BAOCAO__PING__INIT;
    req.version = 7;
    req.body_case = BAOCAO__REQUEST__BODY_PING;
    req.ping = &ping;
    size_t len;
    uint8_t *buf = bc_wire_pack(&req.base, &len);
    zframe_t *fr = zframe_new(buf, len);
    free(buf);
    zframe_send(&fr, s, 0);
    in = zframe_recv(s);
    r = baocao__reply__unpack(NULL, zframe_size(in), zframe_data(in));
    assert_int_equal(r->ack->reason, R(VERSION));
    baocao__reply__free_unpacked(r, NULL);
    zframe_destroy(&in);
    zsock_destroy(&s);

    /* Still serving. */
    assert_int_equal(bc_submit(f->hub.endpoint, NULL, "HP-HB-QT", "2023-12",
                               1, 1704067200, "births=3"),
                     BAOCAO__ACK_STATUS__ACK_STORED);
    /* The hub counts rejections by reason in its log. */
    char *log = NULL;
    FILE *fp = fopen(f->hub.log, "r");
    assert_non_null(fp);
    log = bc_calloc(1, 1 << 20);
    size_t got = fread(log, 1, (1 << 20) - 1, fp);
    log[got] = '\0';
    fclose(fp);
    assert_non_null(strstr(log, "rejected from (plain): malformed"));
    assert_non_null(strstr(log, "too_large"));
    free(log);
}

/* A tiny map fills; the hub refuses without acknowledging, keeps answering
 * queries, and after a restart with a larger map accepts again. */
/* A report with no figures ("nothing to report this month") is stored:
 * the unit counts as having reported, and no total changes. Its empty
 * figure list once reached memcpy as a NULL source (undefined behaviour,
 * which the sanitizer build's hub aborts on: the teardown then sees the
 * hub dead). */
static void test_zero_figures(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(bc_submit(f->hub.endpoint, NULL, "HP-HB-QT", "2023-11",
                               1, 1701388800, ""),
                     BAOCAO__ACK_STATUS__ACK_STORED);
    assert_int_equal(bc_submit(f->hub.endpoint, NULL, "HP-HB-MK", "2023-11",
                               1, 1701388800, "sxh_cases=4"),
                     BAOCAO__ACK_STATUS__ACK_STORED);
    int64_t v = 0;
    assert_true(bc_query_value(f->hub.endpoint, "HP-HB", "2023-11",
                               "sxh_cases", &v));
    assert_int_equal(v, 4);
    assert_false(bc_query_value(f->hub.endpoint, "HP-HB-QT", "2023-11",
                                "sxh_cases", &v));
}

static void test_full_store(void **state)
{
    fixture_t *f = *state;
    char bind[128];
    snprintf(bind, sizeof bind, "%s", f->hub.endpoint);
    assert_int_equal(bc_hub_pause(&f->hub, SIGTERM), 0);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", bc_path(f->dir, "tiny"));
    assert_int_equal(mkdir(dir, 0700), 0);
    const char *tiny[] = {"--map-size", "1M", NULL};
    bc_hub_start(&f->hub, dir, bind, tiny);

    int64_t acked = 0;
    int full = 0;
    for (int i = 0; i < 5000 && !full; i++) {
        char period[16];
        snprintf(period, sizeof period, "%04d-%02d", 1900 + i / 12,
                 i % 12 + 1);
        Baocao__AckStatus s = bc_submit(f->hub.endpoint, NULL, "HP-HB-QT",
                                        period, 1, 1704067200,
                                        "births=1,sxh_cases=2,tcm_cases=3,"
                                        "lao_new=4,kcb_visits=5");
        if (s == BAOCAO__ACK_STATUS__ACK_STORED)
            acked++;
        else {
            assert_int_equal(s, BAOCAO__ACK_STATUS__ACK_RETRY_LATER);
            full = 1;
        }
    }
    assert_true(full);
    assert_true(acked > 10);
    /* The map filling up was announced before it was full. */
    assert_true(bc_file_contains(f->hub.log, "map is"));
    /* A refusal for now names no revision: nothing was stored (it once
     * said current_revision=1 for a report never stored). */
    {
        Baocao__Request req = BAOCAO__REQUEST__INIT;
        Baocao__Submission sub = BAOCAO__SUBMISSION__INIT;
        Baocao__Value val = BAOCAO__VALUE__INIT;
        Baocao__Value *vals[1] = {&val};
        uint8_t id[16];
        bc_id_new(id);
        val.indicator = "births";
        val.v_case = BAOCAO__VALUE__V_COUNT;
        val.count = 1;
        sub.id.data = id;
        sub.id.len = 16;
        sub.unit = "HP-HB-QT";
        sub.period = "2023-12";
        sub.revision = 1;
        sub.filed_at = 1704067200;
        sub.n_values = 1;
        sub.values = vals;
        req.version = 1;
        req.body_case = BAOCAO__REQUEST__BODY_SUBMIT;
        req.submit = &sub;
        Baocao__Reply *rr = bc_send(f->hub.endpoint, &req);
        assert_int_equal(rr->body_case, BAOCAO__REPLY__BODY_ACK);
        assert_int_equal(rr->ack->status, BAOCAO__ACK_STATUS__ACK_RETRY_LATER);
        assert_int_equal(rr->ack->current_revision, 0);
        baocao__reply__free_unpacked(rr, NULL);
    }
    /* Queries still answer while full. */
    int64_t v;
    assert_true(bc_query_value(f->hub.endpoint, "HP-HB-QT", "1900-01",
                               "births", &v));
    assert_int_equal(v, 1);
    Baocao__Reply *r = bc_query(f->hub.endpoint, "HP-HB", "1900");
    assert_int_equal(r->body_case, BAOCAO__REPLY__BODY_QUERY);
    baocao__reply__free_unpacked(r, NULL);

    /* Restart with a larger map: every acknowledged report is there, and
     * new ones are accepted. */
    assert_int_equal(bc_hub_pause(&f->hub, SIGTERM), 0);
    const char *big[] = {"--map-size", "64M", NULL};
    bc_hub_start(&f->hub, dir, bind, big);
    int64_t total = 0;
    for (int y = 1900; y <= 1900 + (int) (acked - 1) / 12; y++) {
        char year[16];
        snprintf(year, sizeof year, "%d", y);
        if (bc_query_value(f->hub.endpoint, "HP-HB-QT", year, "births", &v))
            total += v;
    }
    assert_int_equal(total, acked);
    assert_int_equal(bc_submit(f->hub.endpoint, NULL, "HP-HB-QT", "2023-01",
                               1, 1704067200, "births=1"),
                     BAOCAO__ACK_STATUS__ACK_STORED);
}

/* A chain of n levels L0 (root) .. L(n-1) into path. */
static void write_chain(const char *path, int n)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fprintf(fp, "code,parent_code,level,name\nL0,,level0,L0\n");
    for (int i = 1; i < n; i++)
        fprintf(fp, "L%d,L%d,level%d,L%d\n", i, i - 1, i, i);
    fclose(fp);
}

/* The deepest tree the hub takes (64 levels) carries a leaf's figures all
 * the way to the root; a deeper one is refused at start, with the reason,
 * rather than served with totals that stop 64 levels up (in a 70-level
 * chain a leaf's report was missing at the root). */
static void test_deep_tree(void **state)
{
    (void) state;
    char *dir = bc_tmpdir("deeptree");
    char units[4096];
    snprintf(units, sizeof units, "%s", bc_path(dir, "deep.csv"));
    write_chain(units, 64);
    bc_hub_t hub = BC_HUB_INIT;
    const char *extra[] = {"--registry", units, NULL};
    bc_hub_start(&hub, dir, NULL, extra);
    assert_int_equal(bc_submit(hub.endpoint, NULL, "L63", "2023-12", 1,
                               1704067200, "sxh_cases=7"),
                     BAOCAO__ACK_STATUS__ACK_STORED);
    static const char *const levels[] = {"L63", "L62", "L59", "L1", "L0"};
    for (size_t i = 0; i < 5; i++) {
        int64_t v = 0;
        assert_true(bc_query_value(hub.endpoint, levels[i], "2023-12",
                                   "sxh_cases", &v));
        assert_int_equal(v, 7);
    }
    assert_int_equal(bc_hub_stop(&hub), 0);

    write_chain(units, 70);
    char store[4096], log[4096];
    snprintf(store, sizeof store, "%s", bc_path(dir, "hub70"));
    snprintf(log, sizeof log, "%s", bc_path(dir, "hub70.log"));
    const char *argv[] = {"--store", store, "--registry", units, "--catalog",
                          bc_source("data/indicators.csv"), "--bind",
                          "tcp://127.0.0.1:*", "--plain", NULL};
    bc_proc_t p = bc_spawn("baocao-hub", argv, log);
    int rc = bc_wait(&p, 10000);
    if (rc < 0)
        bc_stop(&p, SIGKILL, 5000);
    assert_int_equal(rc, 2);
    FILE *fp = fopen(log, "r");
    assert_non_null(fp);
    char text[4096] = "";
    size_t got = fread(text, 1, sizeof text - 1, fp);
    text[got] = '\0';
    fclose(fp);
    assert_non_null(strstr(text, "unit L64 is 65 levels deep"));
    bc_rmtree(dir);
    free(dir);
}

/* A bound cannot be bypassed with a suffix: "-18014398509481983k" once
 * overflowed into a value the hub accepted, and the hub then started with
 * a negative limit. It must refuse to start (exit 2) and say why, from a
 * flag or from a config file alike. */
static void test_config_suffix_overflow(void **state)
{
    (void) state;
    char *dir = bc_tmpdir("cfgoverflow");
    char conf[4096], store[4096], log[4096];
    snprintf(conf, sizeof conf, "%s", bc_path(dir, "hub.conf"));
    snprintf(store, sizeof store, "%s", bc_path(dir, "hub"));
    snprintf(log, sizeof log, "%s", bc_path(dir, "hub.log"));
    bc_write_file(conf, "max-values = -18014398509481983k\n");
    char units[4096], cat[4096];
    snprintf(units, sizeof units, "%s", bc_source("data/units.csv"));
    snprintf(cat, sizeof cat, "%s", bc_source("data/indicators.csv"));
    const char *from_file[] = {"--config", conf, "--store", store,
                               "--registry", units, "--catalog", cat,
                               "--bind", "tcp://127.0.0.1:*", "--plain",
                               NULL};
    const char *from_flag[] = {"--max-values", "-18014398509481983k",
                               "--store", store, "--registry", units,
                               "--catalog", cat, "--bind",
                               "tcp://127.0.0.1:*", "--plain", NULL};
    const char *const *runs[] = {from_file, from_flag};
    for (size_t i = 0; i < 2; i++) {
        unlink(log);
        bc_proc_t p = bc_spawn("baocao-hub", runs[i], log);
        int rc = bc_wait(&p, 10000);
        if (rc < 0)
            bc_stop(&p, SIGKILL, 5000);
        assert_int_equal(rc, 2);
        FILE *fp = fopen(log, "r");
        assert_non_null(fp);
        char text[4096] = "";
        size_t got = fread(text, 1, sizeof text - 1, fp);
        text[got] = '\0';
        fclose(fp);
        assert_non_null(strstr(text, "max-values"));
        assert_non_null(strstr(text, "not a number"));
    }
    bc_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_typed_rejections, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_malformed_frames, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_zero_figures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_store, setup, teardown),
        cmocka_unit_test(test_deep_tree),
        cmocka_unit_test(test_config_suffix_overflow),
    };
    return cmocka_run_group_tests_name("integration.bad_input", tests, NULL,
                                       NULL);
}
