/*
 * test_limits.c -- the limits of issue #18, against a real hub (and the
 * real `baocao submit`): no report can wrap a total, claim any filing time,
 * smuggle bytes into a reply or the log, or be filed past the hub's limits.
 *
 * The totals test loads the bench's province (10,000 facilities under 100
 * districts, bench/bench_data.h) and files every facility at the largest
 * count, pipelined on one DEALER so that 10,000 round trips take seconds.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../bench/bench_data.h"
#include "bc_limits.h"
#include "bc_mem.h"
#include "bc_test.h"
#include "bc_wire.h"

#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Each test's state: a hub on the shipped registry in a temporary folder
 * (tests/support/bc_test.h). */
typedef bc_fixture_t fixture_t;

/* A hub whose hard message limit (4 x --max-message) is 16 KiB. */
static int setup_small(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    f->dir = bc_tmpdir("limits-small");
    bc_hub_init(&f->hub);
    const char *extra[] = {"--max-message", "4096", NULL};
    bc_hub_start(&f->hub, f->dir, NULL, extra);
    *state = f;
    return 0;
}

/* A hub that holds almost nothing ahead of its commits: one request
 * queued per connection, three submissions a batch (goal 5 of issue 21's
 * bounds, at their smallest). */
static int setup_tiny(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    f->dir = bc_tmpdir("limits-tiny");
    bc_hub_init(&f->hub);
    const char *extra[] = {"--receive-hwm", "1", "--batch-max", "3", NULL};
    bc_hub_start(&f->hub, f->dir, NULL, extra);
    *state = f;
    return 0;
}

/* A hub on the bench's province of 10,000 facilities. */
static int setup_bench(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    f->dir = bc_tmpdir("limits-bench");
    bench_write_registry(f->dir, 2);
    bc_hub_init(&f->hub);
    char reg[600], cat[600];
    snprintf(reg, sizeof reg, "%s/units.csv", f->dir);
    snprintf(cat, sizeof cat, "%s/indicators.csv", f->dir);
    const char *extra[] = {"--registry", reg, "--catalog", cat, NULL};
    bc_hub_start(&f->hub, f->dir, NULL, extra);
    *state = f;
    return 0;
}

/* A submission of one figure (revision 1, a new id), its parts in one
 * block that must outlive the request. */
typedef struct {
    Baocao__Request req;
    Baocao__Submission sub;
    Baocao__Value val;
    Baocao__Value *vals[1];
    uint8_t id[16];
} one_figure_t;

static Baocao__Request *one_figure(one_figure_t *o, const char *unit,
                                   const char *period, const char *indicator,
                                   int64_t count, int64_t filed_at,
                                   uint64_t tag)
{
    baocao__request__init(&o->req);
    baocao__submission__init(&o->sub);
    baocao__value__init(&o->val);
    o->vals[0] = &o->val;
    bc_id_new(o->id);
    o->val.indicator = (char *) indicator;
    o->val.v_case = BAOCAO__VALUE__V_COUNT;
    o->val.count = count;
    o->sub.id.data = o->id;
    o->sub.id.len = 16;
    o->sub.unit = (char *) unit;
    o->sub.period = (char *) period;
    o->sub.revision = 1;
    o->sub.filed_at = filed_at;
    o->sub.n_values = 1;
    o->sub.values = o->vals;
    o->req.version = BC_WIRE_VERSION;
    o->req.tag = tag;
    o->req.body_case = BAOCAO__REQUEST__BODY_SUBMIT;
    o->req.submit = &o->sub;
    return &o->req;
}

/* The same, packed into a frame, to send without waiting for its answer. */
static zframe_t *one_figure_frame(const char *unit, const char *period,
                                  const char *indicator, int64_t count,
                                  int64_t filed_at, uint64_t tag)
{
    one_figure_t o;
    size_t len;
    uint8_t *buf = bc_wire_pack(&one_figure(&o, unit, period, indicator,
                                            count, filed_at, tag)->base,
                                &len);
    zframe_t *fr = zframe_new(buf, len);
    free(buf);
    return fr;
}

/* Sends one submission of one figure; returns the reply (caller frees). */
static Baocao__Reply *send_one(fixture_t *f, const char *unit,
                               const char *period, const char *indicator,
                               int64_t count, int64_t filed_at)
{
    one_figure_t o;
    return bc_send(f->hub.endpoint,
                   one_figure(&o, unit, period, indicator, count, filed_at,
                              0));
}

/* The ack's reason (REASON_NONE when stored), checking the reply is an Ack
 * whose message is clean text. */
static Baocao__RejectReason ack_reason(Baocao__Reply *r,
                                       Baocao__AckStatus *status)
{
    assert_int_equal(r->body_case, BAOCAO__REPLY__BODY_ACK);
    const char *m = r->ack->message ? r->ack->message : "";
    assert_true(bc_text_valid(m, strlen(m)));
    if (status)
        *status = r->ack->status;
    Baocao__RejectReason why = r->ack->reason;
    baocao__reply__free_unpacked(r, NULL);
    return why;
}

/* The whole hub log, malloc'ed. */
static char *read_log(const fixture_t *f, size_t *len)
{
    FILE *fp = fopen(f->hub.log, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *buf = bc_malloc((size_t) n + 1);
    size_t got = fread(buf, 1, (size_t) n, fp);
    buf[got] = '\0';
    fclose(fp);
    if (len)
        *len = got;
    return buf;
}

/* Every facility at the largest count, for two months: the district, the
 * province and the year add up exactly; one above the maximum is refused
 * and the totals do not move. */
static void test_counts_at_max_never_wrap(void **state)
{
    fixture_t *f = *state;
    /* No high-water marks: 20,000 requests go out before any answer is
     * read, and the hub drops a reply a full pipe cannot take. */
    zsock_t *d = zsock_new(ZMQ_DEALER);
    assert_non_null(d);
    zsock_set_sndhwm(d, 0);
    zsock_set_rcvhwm(d, 0);
    zsock_set_rcvtimeo(d, 60000);
    assert_int_equal(zsock_connect(d, "%s", f->hub.endpoint), 0);
    const char *periods[] = {"2023-01", "2023-02"};
    size_t sent = 0;
    for (unsigned m = 0; m < 2; m++)
        for (unsigned u = 0; u < BENCH_FACILITIES; u++) {
            char code[32];
            bench_facility_code(u, code, sizeof code);
            zframe_t *fr = one_figure_frame(code, periods[m], "ind000",
                                            BC_COUNT_MAX,
                                            1677000000,   /* 2023-02-21 */
                                            sent);
            assert_int_equal(zframe_send(&fr, d, 0), 0);
            sent++;
        }
    size_t stored = 0;
    for (size_t i = 0; i < sent; i++) {
        zframe_t *fr = zframe_recv(d);
        assert_non_null(fr);
        Baocao__Reply *r = baocao__reply__unpack(NULL, zframe_size(fr),
                                                 zframe_data(fr));
        zframe_destroy(&fr);
        assert_non_null(r);
        Baocao__AckStatus st;
        assert_int_equal(ack_reason(r, &st),
                         BAOCAO__REJECT_REASON__REASON_NONE);
        stored += st == BAOCAO__ACK_STATUS__ACK_STORED;
    }
    zsock_destroy(&d);
    assert_int_equal(stored, 2 * BENCH_FACILITIES);

    /* 100 x 10^12 per district, 10^16 for the province, 2 x 10^16 for the
     * two months: exact, positive, never wrapped. */
    int64_t v;
    assert_true(bc_query_value(f->hub.endpoint, "P-D042", "2023-01", "ind000",
                               &v));
    assert_true(v == BENCH_PER_DISTRICT * BC_COUNT_MAX);
    assert_true(bc_query_value(f->hub.endpoint, "P", "2023-01", "ind000", &v));
    assert_true(v == BENCH_FACILITIES * BC_COUNT_MAX);
    assert_true(bc_query_value(f->hub.endpoint, "P", "2023-Q1", "ind000", &v));
    assert_true(v == 2 * BENCH_FACILITIES * BC_COUNT_MAX);
    assert_true(bc_query_value(f->hub.endpoint, "P", "2023", "ind000", &v));
    assert_true(v == 2 * BENCH_FACILITIES * BC_COUNT_MAX);

    /* One above the maximum, and the INT64_MAX: refused, typed. */
    assert_int_equal(ack_reason(send_one(f, "P-D000-F000", "2023-03",
                                         "ind000", BC_COUNT_MAX + 1,
                                         1680000000), NULL),
                     BAOCAO__REJECT_REASON__REASON_COUNT_TOO_LARGE);
    assert_int_equal(ack_reason(send_one(f, "P-D000-F000", "2023-03",
                                         "ind000", INT64_MAX, 1680000000),
                                NULL),
                     BAOCAO__REJECT_REASON__REASON_COUNT_TOO_LARGE);
    assert_int_equal(ack_reason(send_one(f, "P-D000-F001", "2023-03",
                                         "ind000", 1, 1680000000), NULL),
                     BAOCAO__REJECT_REASON__REASON_NONE);
    assert_true(bc_query_value(f->hub.endpoint, "P-D000", "2023-03", "ind000",
                               &v));
    assert_true(v == 1);
    assert_true(bc_query_value(f->hub.endpoint, "P", "2023", "ind000", &v));
    assert_true(v == 2 * BENCH_FACILITIES * BC_COUNT_MAX + 1);
}

/* A plan's targets obey the same maximum, and name an indicator once. */
static void test_plan_limits(void **state)
{
    fixture_t *f = *state;
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    Baocao__PlanSet ps = BAOCAO__PLAN_SET__INIT;
    Baocao__Target t[2] = {BAOCAO__TARGET__INIT, BAOCAO__TARGET__INIT};
    Baocao__Target *tp[2] = {&t[0], &t[1]};
    t[0].indicator = "sxh_cases";
    t[0].target = BC_COUNT_MAX + 1;
    ps.unit = "HP-HB-QT";
    ps.year = 2023;
    ps.n_targets = 1;
    ps.targets = tp;
    req.version = BC_WIRE_VERSION;
    req.body_case = BAOCAO__REQUEST__BODY_PLAN;
    req.plan = &ps;
    Baocao__Reply *r = bc_send(f->hub.endpoint, &req);
    assert_int_equal(r->body_case, BAOCAO__REPLY__BODY_ERROR);
    assert_int_equal(r->error->reason,
                     BAOCAO__REJECT_REASON__REASON_COUNT_TOO_LARGE);
    baocao__reply__free_unpacked(r, NULL);

    t[0].target = 10;
    t[1].indicator = "sxh_cases";
    t[1].target = 20;
    ps.n_targets = 2;
    r = bc_send(f->hub.endpoint, &req);
    assert_int_equal(r->body_case, BAOCAO__REPLY__BODY_ERROR);
    assert_int_equal(r->error->reason,
                     BAOCAO__REJECT_REASON__REASON_DUPLICATE_VALUE);
    baocao__reply__free_unpacked(r, NULL);
    /* Nothing of either was stored. */
    int64_t v;
    r = bc_query(f->hub.endpoint, "HP-HB-QT", "2023-12");
    const Baocao__Figure *fig = bc_figure(r, "sxh_cases");
    assert_non_null(fig);
    assert_null(fig->target);
    baocao__reply__free_unpacked(r, NULL);
    (void) v;
}

/* filed_at must lie between the period's start and a day ahead of the
 * hub's clock: 0 and INT64_MIN can no longer make a report "on time". */
static void test_filed_at_window(void **state)
{
    fixture_t *f = *state;
    int64_t now = (int64_t) time(NULL);
    const int64_t bad[] = {0, INT64_MIN, 1701363600 - 1 /* < 2023-12 */,
                           now + 2 * 86400, INT64_MAX};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(ack_reason(send_one(f, "HP-HB-QT", "2023-12",
                                             "sxh_cases", 5, bad[i]), NULL),
                         BAOCAO__REJECT_REASON__REASON_BAD_FILED_AT);
    assert_int_equal(ack_reason(send_one(f, "HP-HB-QT", "2023-12",
                                         "sxh_cases", 5, now + 3600), NULL),
                     BAOCAO__REJECT_REASON__REASON_NONE);
    /* A rejected report never counts in the reporting rate. */
    int64_t v;
    assert_true(bc_query_value(f->hub.endpoint, "HP-HB-QT", "2023-12",
                               "sxh_cases", &v));
    assert_int_equal(v, 5);
}

/* Invalid UTF-8 and control characters in any string are MALFORMED; the
 * reply never echoes them and the log stays one line per entry. */
static void test_text_is_clean(void **state)
{
    fixture_t *f = *state;
    int64_t t = 1704000000;
    const char *units[] = {"HP-\xff\xfe", "HP-HB\nFAKE 2024 ERROR forged",
                           "HP\x1b[31mred", "\xed\xa0\x80" /* surrogate */};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        assert_int_equal(ack_reason(send_one(f, units[i], "2023-12",
                                             "sxh_cases", 1, t), NULL),
                         BAOCAO__REJECT_REASON__REASON_MALFORMED);
    assert_int_equal(ack_reason(send_one(f, "HP-HB-QT", "2023-12",
                                         "sxh\ncases", 1, t), NULL),
                     BAOCAO__REJECT_REASON__REASON_MALFORMED);
    /* Longer than 64 bytes, valid otherwise. */
    char longcode[100];
    memset(longcode, 'A', 80);
    longcode[80] = '\0';
    assert_int_equal(ack_reason(send_one(f, longcode, "2023-12", "sxh_cases",
                                         1, t), NULL),
                     BAOCAO__REJECT_REASON__REASON_MALFORMED);
    /* A query with a bad unit gets an Error with a clean message too. */
    Baocao__Reply *r = bc_query(f->hub.endpoint, "HP-\xff", "2023-12");
    assert_int_equal(r->body_case, BAOCAO__REPLY__BODY_ERROR);
    assert_int_equal(r->error->reason, BAOCAO__REJECT_REASON__REASON_MALFORMED);
    assert_true(bc_text_valid(r->error->message, strlen(r->error->message)));
    baocao__reply__free_unpacked(r, NULL);
    /* The hub still serves. */
    assert_int_equal(ack_reason(send_one(f, "HP-HB-QT", "2023-12",
                                         "sxh_cases", 1, t), NULL),
                     BAOCAO__REJECT_REASON__REASON_NONE);

    size_t len;
    char *log = read_log(f, &len);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) log[i];
        assert_true(c == '\n' || (c >= 0x20 && c != 0x7F));
    }
    /* No line begins with the forged text. */
    assert_null(strstr(log, "\nFAKE"));
    free(log);
}

/* A report the hub cuts the link on (over its hard limit: the node filed
 * it with the default --max-message, the hub runs a smaller one) is set
 * aside as rejected within the bound, and the facility's next report is
 * delivered. On main, the node resent it for ever and delivered nothing. */
static void test_poison_set_aside(void **state)
{
    fixture_t *f = *state;
    char big[600], small[600], store[600];
    snprintf(big, sizeof big, "%s/big.csv", f->dir);
    snprintf(small, sizeof small, "%s/small.csv", f->dir);
    snprintf(store, sizeof store, "%s/node", f->dir);
    FILE *fp = fopen(big, "w");
    assert_non_null(fp);
    fprintf(fp, "indicator,value\n");
    for (int i = 0; i < 900; i++)
        fprintf(fp, "made_up_indicator_code_%06d,%d\n", i, i);
    fclose(fp);
    bc_write_file(small, "indicator,value\nsxh_cases,7\n");
    const char *s1[] = {"submit", "--store", store, "--unit", "HP-HB-QT",
                        "--period", "2023-10", "--file", big, NULL};
    assert_int_equal(bc_run("baocao", s1, NULL), 0);
    const char *s2[] = {"submit", "--store", store, "--unit", "HP-HB-QT",
                        "--period", "2023-11", "--file", small, NULL};
    assert_int_equal(bc_run("baocao", s2, NULL), 0);

    /* Short timers so that the bound, 7 x (3 x timeout + backoff-max),
     * is 12 s here. */
    const char *node[] = {"--store", store, "--unit", "HP-HB-QT", "--hub",
                          f->hub.endpoint, "--plain", "--timeout", "500",
                          "--backoff-min", "50", "--backoff-max", "200",
                          "--drain", "--max-seconds", "30", NULL};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    /* The poison report is rejected: the drain exits 1 (issue 15). */
    assert_int_equal(bc_run("baocao-node", node, NULL), 1);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_true(t1.tv_sec - t0.tv_sec <= 13);

    const char *st[] = {"status", "--store", store, "--format", "json", NULL};
    char *json = NULL;
    assert_int_equal(bc_run("baocao", st, &json), 0);
    assert_non_null(strstr(json, "\"rejected\":\t1"));
    assert_non_null(strstr(json, "\"delivered\":\t1"));
    assert_non_null(strstr(json, "too large / not answered"));
    free(json);
    int64_t v;
    assert_true(bc_query_value(f->hub.endpoint, "HP-HB-QT", "2023-11",
                               "sxh_cases", &v));
    assert_int_equal(v, 7);
}

/* Completeness for a level no unit has is an error, not an empty list. */
static void test_unknown_level(void **state)
{
    fixture_t *f = *state;
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    Baocao__CompletenessQuery q = BAOCAO__COMPLETENESS_QUERY__INIT;
    q.unit = "HP";
    q.period = "2023-12";
    q.level = "distrct";
    req.version = BC_WIRE_VERSION;
    req.body_case = BAOCAO__REQUEST__BODY_COMPLETENESS;
    req.completeness = &q;
    Baocao__Reply *r = bc_send(f->hub.endpoint, &req);
    assert_int_equal(r->body_case, BAOCAO__REPLY__BODY_ERROR);
    assert_int_equal(r->error->reason,
                     BAOCAO__REJECT_REASON__REASON_BAD_REQUEST);
    assert_non_null(strstr(r->error->message, "distrct"));
    baocao__reply__free_unpacked(r, NULL);
    q.level = "commune";
    r = bc_send(f->hub.endpoint, &req);
    assert_int_equal(r->body_case, BAOCAO__REPLY__BODY_COMPLETENESS);
    assert_true(r->completeness->expected > 0);
    baocao__reply__free_unpacked(r, NULL);
}

/* Lines of the log holding needle. */
static size_t count_lines(const char *log, const char *needle)
{
    size_t n = 0;
    for (const char *p = log; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

/* 10,000 undecodable messages: each answered, but the audit log does not
 * grow and the log holds a few lines, not 10,000. */
static void test_garbage_is_bounded(void **state)
{
    fixture_t *f = *state;
    uint64_t seq_before = 0;
    {
        Baocao__Request req = BAOCAO__REQUEST__INIT;
        Baocao__Ping ping = BAOCAO__PING__INIT;
        req.version = BC_WIRE_VERSION;
        req.body_case = BAOCAO__REQUEST__BODY_PING;
        req.ping = &ping;
        Baocao__Reply *r = bc_send(f->hub.endpoint, &req);
        assert_int_equal(r->body_case, BAOCAO__REPLY__BODY_PONG);
        seq_before = r->pong->hub_seq;
        baocao__reply__free_unpacked(r, NULL);
    }
    zsock_t *d = zsock_new(ZMQ_DEALER);
    zsock_set_sndhwm(d, 0);
    zsock_set_rcvhwm(d, 0);
    zsock_set_rcvtimeo(d, 30000);
    assert_int_equal(zsock_connect(d, "%s", f->hub.endpoint), 0);
    for (int i = 0; i < 10000; i++)
        zstr_send(d, "\xff\xff\xff garbage");
    for (int i = 0; i < 10000; i++) {
        zframe_t *in = zframe_recv(d);
        assert_non_null(in);
        Baocao__Reply *r = baocao__reply__unpack(NULL, zframe_size(in),
                                                 zframe_data(in));
        zframe_destroy(&in);
        assert_non_null(r);
        assert_int_equal(r->body_case, BAOCAO__REPLY__BODY_ACK);
        assert_int_equal(r->ack->reason,
                         BAOCAO__REJECT_REASON__REASON_MALFORMED);
        baocao__reply__free_unpacked(r, NULL);
    }
    zsock_destroy(&d);
    /* The audit log did not grow (pong.hub_seq is its last entry). */
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    Baocao__Ping ping = BAOCAO__PING__INIT;
    req.version = BC_WIRE_VERSION;
    req.body_case = BAOCAO__REQUEST__BODY_PING;
    req.ping = &ping;
    Baocao__Reply *r = bc_send(f->hub.endpoint, &req);
    assert_int_equal(r->pong->hub_seq, seq_before);
    baocao__reply__free_unpacked(r, NULL);
    /* Stopping closes the minute: one line for the first message, one with
     * the count. */
    assert_int_equal(bc_hub_stop(&f->hub), 0);
    size_t len;
    char *log = read_log(f, &len);
    assert_true(count_lines(log, "undecodable message") <= 3);
    assert_non_null(strstr(log, "10000 undecodable messages"));
    assert_true(len < 64 * 1024);
    free(log);
    bc_hub_init(&f->hub);
    bc_hub_start(&f->hub, f->dir, NULL, NULL);
}

/* `baocao submit` refuses a 400,000-figure report at filing: exit 1, the
 * limit named, nothing in the outbox. */
static void test_submit_refuses_oversized(void **state)
{
    fixture_t *f = *state;
    char csv[600], store[600], cmd[2048];
    snprintf(csv, sizeof csv, "%s/huge.csv", f->dir);
    snprintf(store, sizeof store, "%s/node", f->dir);
    FILE *fp = fopen(csv, "w");
    assert_non_null(fp);
    fprintf(fp, "indicator,value\n");
    for (int i = 0; i < 400000; i++)
        fprintf(fp, "ind%06d,%d\n", i, i);
    fclose(fp);
    snprintf(cmd, sizeof cmd, "%s submit --store %s --unit HP-HB-QT "
             "--period 2023-12 --file %s 2>&1", bc_bin("baocao"), store, csv);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char out[4096] = "";
    size_t got = fread(out, 1, sizeof out - 1, p);
    out[got] = '\0';
    int rc = pclose(p);
    assert_true(WIFEXITED(rc));
    assert_int_equal(WEXITSTATUS(rc), 1);
    assert_non_null(strstr(out, "--max-values"));
    assert_non_null(strstr(out, "more than 1000"));
    assert_non_null(strstr(out, "nothing filed"));

    /* A count above 10^12 is refused the same way. */
    bc_write_file(csv, "indicator,value\nsxh_cases,1000000000001\n");
    snprintf(cmd, sizeof cmd, "%s submit --store %s --unit HP-HB-QT "
             "--period 2023-12 --file %s 2>&1", bc_bin("baocao"), store, csv);
    p = popen(cmd, "r");
    got = fread(out, 1, sizeof out - 1, p);
    out[got] = '\0';
    rc = pclose(p);
    assert_int_equal(WEXITSTATUS(rc), 1);
    assert_non_null(strstr(out, "10^12"));

    /* A value with a NUL byte after it is not a number. */
    fp = fopen(csv, "wb");
    fwrite("indicator,value\nsxh_cases,5\0\n", 1, 29, fp);
    fclose(fp);
    const char *argv[] = {"submit", "--store", store, "--unit", "HP-HB-QT",
                          "--period", "2023-12", "--file", csv, NULL};
    assert_int_not_equal(bc_run("baocao", argv, NULL), 0);

    /* Nothing was filed. */
    const char *st[] = {"status", "--store", store, "--format", "json", NULL};
    char *json = NULL;
    assert_int_equal(bc_run("baocao", st, &json), 0);
    assert_non_null(strstr(json, "\"pending\":\t0"));
    assert_non_null(strstr(json, "\"delivered\":\t0"));
    free(json);
}

/* --- the hub's bounds on what it holds ---------------------------------- */

#define TINY_NODES 8      /* connections, one ward each */
#define TINY_MONTHS 25    /* 2022-01 .. 2024-01, all in flight at once */

/* Sends every packed request on its DEALER before reading any answer, then
 * reads one Ack per request into status[], by connection and tag. */
static void tiny_round(fixture_t *f, zframe_t *const reqs[][TINY_MONTHS],
                       Baocao__AckStatus status[][TINY_MONTHS])
{
    zsock_t *d[TINY_NODES];
    for (int n = 0; n < TINY_NODES; n++) {
        d[n] = zsock_new(ZMQ_DEALER);
        assert_non_null(d[n]);
        zsock_set_sndhwm(d[n], 0);
        zsock_set_rcvtimeo(d[n], 60000);
        assert_int_equal(zsock_connect(d[n], "%s", f->hub.endpoint), 0);
    }
    for (int m = 0; m < TINY_MONTHS; m++)
        for (int n = 0; n < TINY_NODES; n++) {
            zframe_t *fr = zframe_dup(reqs[n][m]);
            assert_int_equal(zframe_send(&fr, d[n], 0), 0);
        }
    for (int n = 0; n < TINY_NODES; n++)
        for (int i = 0; i < TINY_MONTHS; i++) {
            zframe_t *fr = zframe_recv(d[n]);
            assert_non_null(fr);   /* within 60 s: none is lost */
            Baocao__Reply *r = baocao__reply__unpack(NULL, zframe_size(fr),
                                                     zframe_data(fr));
            zframe_destroy(&fr);
            assert_non_null(r);
            assert_true(r->tag < TINY_MONTHS);
            Baocao__AckStatus st;
            uint64_t tag = r->tag;
            assert_int_equal(ack_reason(r, &st),
                             BAOCAO__REJECT_REASON__REASON_NONE);
            assert_int_equal(status[n][tag], 0);   /* one answer each */
            status[n][tag] = st;
        }
    for (int n = 0; n < TINY_NODES; n++)
        zsock_destroy(&d[n]);
}

/* With one request queued per connection and three submissions a batch,
 * 200 reports sent at once from eight connections are all stored, once:
 * the requests the hub does not hold wait in the sockets' buffers (TCP
 * pushes back), none is dropped, and a resend of all of them is 200
 * duplicates that change no total. */
static void test_tiny_bounds_store_each_once(void **state)
{
    fixture_t *f = *state;
    const char *codes[9];
    bc_hongbang_reports(f->dir, codes);   /* the nine wards of HP-HB */
    static zframe_t *reqs[TINY_NODES][TINY_MONTHS];
    static Baocao__AckStatus status[TINY_NODES][TINY_MONTHS];
    int64_t want[3] = {0, 0, 0};   /* 2022, 2023, 2024-01 */
    for (int n = 0; n < TINY_NODES; n++)
        for (int m = 0; m < TINY_MONTHS; m++) {
            char period[16];
            snprintf(period, sizeof period, "%04d-%02d", 2022 + m / 12,
                     m % 12 + 1);
            int64_t count = 1 + n * 100 + m;
            want[m / 12] += count;
            reqs[n][m] = one_figure_frame(codes[n], period, "kcb_visits",
                                          count, (int64_t) time(NULL),
                                          (uint64_t) m);
        }
    const char *years[3] = {"2022", "2023", "2024-01"};

    tiny_round(f, (zframe_t *const (*)[TINY_MONTHS]) reqs, status);
    for (int n = 0; n < TINY_NODES; n++)
        for (int m = 0; m < TINY_MONTHS; m++)
            assert_int_equal(status[n][m], BAOCAO__ACK_STATUS__ACK_STORED);
    for (int y = 0; y < 3; y++) {
        int64_t v;
        assert_true(bc_query_value(f->hub.endpoint, "HP-HB", years[y],
                                   "kcb_visits", &v));
        assert_true(v == want[y]);
    }

    /* The same 200 again, as nodes resend what they saw no Ack for. */
    memset(status, 0, sizeof status);
    tiny_round(f, (zframe_t *const (*)[TINY_MONTHS]) reqs, status);
    for (int n = 0; n < TINY_NODES; n++)
        for (int m = 0; m < TINY_MONTHS; m++) {
            assert_int_equal(status[n][m], BAOCAO__ACK_STATUS__ACK_DUPLICATE);
            zframe_destroy(&reqs[n][m]);
        }
    for (int y = 0; y < 3; y++) {
        int64_t v;
        assert_true(bc_query_value(f->hub.endpoint, "HP-HB", years[y],
                                   "kcb_visits", &v));
        assert_true(v == want[y]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_counts_at_max_never_wrap,
                                        setup_bench, bc_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_plan_limits, bc_fixture_setup,
                                        bc_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_filed_at_window, bc_fixture_setup,
                                        bc_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_text_is_clean, bc_fixture_setup,
                                        bc_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_submit_refuses_oversized,
                                        bc_fixture_setup,
                                        bc_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_garbage_is_bounded,
                                        bc_fixture_setup,
                                        bc_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_unknown_level, bc_fixture_setup,
                                        bc_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_poison_set_aside, setup_small,
                                        bc_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_tiny_bounds_store_each_once,
                                        setup_tiny, bc_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
