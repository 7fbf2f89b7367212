/*
 * test_security.c -- CurveZMQ links, keys bound to units, authorization:
 * real hub with --curve-secret, real nodes and tools with their own keys.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bc_error.h"
#include "bc_mem.h"
#include "bc_report.h"
#include "bc_test.h"
#include "bc_wire.h"
#include "flaky_proxy.h"
#include "node_outbox.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    char *dir;                 /* temporary folder */
    bc_hub_t hub;              /* the CURVE hub */
    char keys[6][41];          /* public keys: hub qt hb alice stranger
                                  longunit */
    char units[4096];          /* registry with keys */
} fixture_t;

static const char *names[6] = {"hub", "qt", "hb", "alice", "stranger",
                               "longunit"};

/* Two unit codes that share their first 58 characters: the longer one is 64
 * characters, the most a code may have, and "unit:" + 58 characters once
 * filled a 64-byte identity buffer, so the hub saw the longer unit as the
 * shorter one. */
#define LONG58 "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"
#define LONG64 LONG58 "LONGER"

static int setup(void **state)
{
    fixture_t *f = bc_calloc(1, sizeof *f);
    f->dir = bc_tmpdir("security");
    bc_hub_init(&f->hub);
    for (int i = 0; i < 6; i++)
        bc_keygen(f->dir, names[i], f->keys[i]);
    /* Secret files are the owner's alone. */
    struct stat st;
    assert_int_equal(stat(bc_key_path(f->dir, "qt", "secret"), &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);

    snprintf(f->units, sizeof f->units, "%s", bc_path(f->dir, "units.csv"));
    FILE *fp = fopen(f->units, "w");
    fprintf(fp, "code,parent_code,level,name,reports,on_behalf,key\n"
                "HP,,province,Hải Phòng,no,,\n"
                "HP-HB,HP,district,Hồng Bàng,yes,yes,%s\n"
                "HP-HB-QT,HP-HB,commune,Quán Toan,,,%s\n"
                "HP-HB-HV,HP-HB,commune,Hùng Vương,,,\n"
                "HG,,province,Hậu Giang,no,,\n"
                "HG-CT,HG,district,Châu Thành,,,\n"
                LONG58 ",HP-HB,commune,Prefix ward,,,\n"
                LONG64 ",HP-HB,commune,Long ward,,,%s\n",
            f->keys[2], f->keys[1], f->keys[5]);
    fclose(fp);
    char secret[4096], op[4096];
    snprintf(secret, sizeof secret, "%s",
             bc_key_path(f->dir, "hub", "secret"));
    snprintf(op, sizeof op, "%s", bc_key_path(f->dir, "alice", "pub"));
    const char *extra[] = {"--registry", f->units, "--curve-secret", secret,
                           "--operator-key", op, NULL};
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

/* Files one report for `unit` into a fresh outbox `name`. */
static void file_one(fixture_t *f, const char *name, const char *unit,
                     int64_t value, char *store, size_t len)
{
    char err[256];
    snprintf(store, len, "%s", bc_path(f->dir, name));
    node_outbox_t *o = node_outbox_open(store, err, sizeof err);
    assert_non_null(o);
    bc_report_value_t v = {"sxh_cases", true, value, 0, 0};
    bc_report_t report = {&v, 1};
    uint8_t id[16];
    uint32_t rev;
    assert_int_equal(node_outbox_file(o, unit, "2023-12", &report, 1704067200,
                                      id, &rev), BC_OK);
    node_outbox_close(&o);
}

/* The unit of the report filed into store (file_one files one). */
static void filed_unit(void *arg, const node_entry_t *e)
{
    snprintf(arg, 64, "%s", e->unit);
}

/* Runs a CURVE node with key `who` until drained or max seconds. When the
 * outbox holds another unit's report, the node claims it (--on-behalf-of),
 * so that the hub's authorisation is what is tested. */
static int run_node(fixture_t *f, const char *store, const char *unit,
                    const char *who, const char *endpoint, int max_s)
{
    char hubkey[4096], cert[4096], max[16], also[64] = "", err[256];
    node_outbox_t *o = node_outbox_open(store, err, sizeof err);
    assert_non_null(o);
    node_outbox_each(o, filed_unit, also);
    node_outbox_close(&o);
    bool other = *also && strcmp(also, unit) != 0;
    snprintf(hubkey, sizeof hubkey, "%s", bc_key_path(f->dir, "hub", "pub"));
    snprintf(cert, sizeof cert, "%s", bc_key_path(f->dir, who, "secret"));
    snprintf(max, sizeof max, "%d", max_s);
    const char *argv[] = {"--store", store, "--unit", unit, "--hub",
                          endpoint ? endpoint : f->hub.endpoint, "--hub-key",
                          hubkey, "--cert", cert, "--drain", "--max-seconds",
                          max, "--timeout", "1000", "--backoff-min", "100",
                          "--backoff-max", "500",
                          other ? "--on-behalf-of" : NULL, also, NULL};
    bc_proc_t p = bc_spawn("baocao-node", argv, NULL);
    return bc_wait(&p, (max_s + 30) * 1000);
}

static char *status_json(const char *store)
{
    const char *argv[] = {"status", "--store", store, "--format", "json",
                          NULL};
    char *out = NULL;
    assert_int_equal(bc_run("baocao", argv, &out), 0);
    return out;
}

/* Queries as the operator; returns the value or -1 when there is none. */
static int64_t operator_value(fixture_t *f, const char *unit)
{
    char hubkey[4096], cert[4096];
    snprintf(hubkey, sizeof hubkey, "%s", bc_key_path(f->dir, "hub", "pub"));
    snprintf(cert, sizeof cert, "%s", bc_key_path(f->dir, "alice", "secret"));
    const char *argv[] = {"query", "--hub", f->hub.endpoint, "--hub-key",
                          hubkey, "--cert", cert, "--unit", unit, "--period",
                          "2023-12", "--indicator", "sxh_cases", "--format",
                          "csv", NULL};
    char *out = NULL;
    assert_int_equal(bc_run("baocao", argv, &out), 0);
    /* Second line: sxh_cases,name,value,... */
    char *line = strchr(out, '\n');
    assert_non_null(line);
    char *comma = strchr(line + 1, ',');
    comma = strchr(comma + 1, ',');
    /* No data is an empty field (issue 15; "-" before). */
    int64_t v = comma[1] == '-' || comma[1] == ',' ? -1
                                                   : strtoll(comma + 1, NULL, 10);
    free(out);
    return v;
}

static void test_unknown_key_is_refused(void **state)
{
    fixture_t *f = *state;
    char store[4096];
    file_one(f, "stranger", "HP-HB-HV", 5, store, sizeof store);
    /* Refused at the handshake: the node cannot deliver, says why. */
    assert_int_equal(run_node(f, store, "HP-HB-HV", "stranger", NULL, 4), 3);
    char *js = status_json(store);
    assert_non_null(strstr(js, "refused this node's key"));
    assert_non_null(strstr(js, "\"pending\":\t1"));
    free(js);
    assert_int_equal(operator_value(f, "HP-HB-HV"), -1);
}

static void *run_proxy(void *arg)
{
    flaky_proxy_run(arg, -1);
    return NULL;
}

/* A link that cuts connections (RST) during the CURVE handshake, with the
 * right keys: the node must not send the operator to check --hub-key
 * (issue #26 item 3: the field trial logged that for every cut); it names
 * a cut. A wrong key still says "check --hub-key" (integration.mistakes). */
static void test_cut_handshake_is_not_a_key_problem(void **state)
{
    fixture_t *f = *state;
    char store[4096], hubkey[4096], cert[4096], log[4096], link[64];
    file_one(f, "qt-cut", "HP-HB-QT", 7, store, sizeof store);
    flaky_config_t cfg;
    flaky_config_init(&cfg);
    cfg.target_host = "127.0.0.1";
    cfg.target_port = atoi(strrchr(f->hub.endpoint, ':') + 1);
    cfg.latency_ms = 300;      /* a handshake takes some 2 s ... */
    cfg.cut_mean_ms = 500;     /* ... and most connections last less */
    cfg.seed = 2603;
    cfg.max_seconds = 120;
    flaky_proxy_t *proxy = flaky_proxy_new(&cfg);
    assert_non_null(proxy);
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, run_proxy, proxy), 0);
    snprintf(link, sizeof link, "tcp://127.0.0.1:%d",
             flaky_proxy_port(proxy));
    snprintf(hubkey, sizeof hubkey, "%s", bc_key_path(f->dir, "hub", "pub"));
    snprintf(cert, sizeof cert, "%s", bc_key_path(f->dir, "qt", "secret"));
    snprintf(log, sizeof log, "%s", bc_path(f->dir, "cut.log"));
    const char *argv[] = {"--store", store, "--unit", "HP-HB-QT", "--hub",
                          link, "--hub-key", hubkey, "--cert", cert,
                          "--drain", "--max-seconds", "8", "--backoff-min",
                          "100", "--backoff-max", "800", NULL};
    bc_proc_t p = bc_spawn("baocao-node", argv, log);
    int rc = bc_wait(&p, 40000);
    flaky_stats_t st;
    flaky_proxy_stats(proxy, &st);
    flaky_proxy_stop(proxy);
    pthread_join(thread, NULL);
    flaky_proxy_destroy(&proxy);
    assert_true(rc == 0 || rc == 3);
    fprintf(stderr, "handshakes cut: %llu connections, %llu cuts\n",
            (unsigned long long) st.accepted, (unsigned long long) st.cuts);
    assert_true(st.cuts > 0);
    if (bc_file_contains(log, "check --hub-key")
        || !bc_file_contains(log, "cut during the CURVE handshake"))
        fail_msg("a cut handshake named as a key problem (see %s)", log);
    char *js = status_json(store);
    if (strstr(js, "check --hub-key"))
        fail_msg("status blames the key for a cut:\n%s", js);
    free(js);
}

static void test_facility_only_for_itself(void **state)
{
    fixture_t *f = *state;
    char own[4096], other[4096], onbehalf[4096];
    /* Quán Toan's key, for Quán Toan: stored. */
    file_one(f, "qt-own", "HP-HB-QT", 11, own, sizeof own);
    assert_int_equal(run_node(f, own, "HP-HB-QT", "qt", NULL, 20), 0);
    assert_int_equal(operator_value(f, "HP-HB-QT"), 11);
    /* Quán Toan's key, for Hùng Vương: rejected, not resent, nothing of
     * Hùng Vương changes. */
    file_one(f, "qt-other", "HP-HB-HV", 22, other, sizeof other);
    /* Rejected: the drain exits 1 (issue 15). */
    assert_int_equal(run_node(f, other, "HP-HB-QT", "qt", NULL, 20), 1);
    char *js = status_json(other);
    assert_non_null(strstr(js, "\"rejected\":\t1"));
    assert_non_null(strstr(js, "not_authorized"));
    free(js);
    assert_int_equal(operator_value(f, "HP-HB-HV"), -1);
    /* The district centre files on behalf of its ward: stored. */
    file_one(f, "hb-behalf", "HP-HB-HV", 33, onbehalf, sizeof onbehalf);
    assert_int_equal(run_node(f, onbehalf, "HP-HB", "hb", NULL, 20), 0);
    assert_int_equal(operator_value(f, "HP-HB-HV"), 33);
    /* ... but not for a unit outside its district. */
    char far[4096];
    file_one(f, "hb-far", "HG-CT", 44, far, sizeof far);
    assert_int_equal(run_node(f, far, "HP-HB", "hb", NULL, 20), 1);
    js = status_json(far);
    assert_non_null(strstr(js, "not_authorized"));
    free(js);
}

/* A unit with the longest code submits as itself, and only as itself. */
static void test_long_code_keeps_its_identity(void **state)
{
    fixture_t *f = *state;
    char own[4096], prefix[4096];
    assert_int_equal(strlen(LONG64), 64);
    file_one(f, "long-own", LONG64, 64, own, sizeof own);
    assert_int_equal(run_node(f, own, LONG64, "longunit", NULL, 20), 0);
    char *js = status_json(own);
    assert_non_null(strstr(js, "\"delivered\":\t1"));
    free(js);
    assert_int_equal(operator_value(f, LONG64), 64);
    /* Its key does not open the unit whose code is its prefix. */
    file_one(f, "long-prefix", LONG58, 58, prefix, sizeof prefix);
    assert_int_equal(run_node(f, prefix, LONG64, "longunit", NULL, 20), 1);
    js = status_json(prefix);
    assert_non_null(strstr(js, "not_authorized"));
    free(js);
    assert_int_equal(operator_value(f, LONG58), -1);
}

/* One key, one identity: an operator key that is also a unit's is
 * refused at start (the hub used to let the later one win silently). */
static void test_shared_key_is_refused(void **state)
{
    fixture_t *f = *state;
    char secret[4096], op[4096], store[4096], log[4096];
    snprintf(secret, sizeof secret, "%s",
             bc_key_path(f->dir, "hub", "secret"));
    snprintf(op, sizeof op, "%s", bc_key_path(f->dir, "qt", "pub"));
    snprintf(store, sizeof store, "%s", bc_path(f->dir, "hub2"));
    snprintf(log, sizeof log, "%s", bc_path(f->dir, "hub2.log"));
    const char *argv[] = {"--store", store, "--registry", f->units,
                          "--catalog", bc_source("data/indicators.csv"),
                          "--bind", "tcp://127.0.0.1:*", "--curve-secret",
                          secret, "--operator-key", op, NULL};
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
    assert_non_null(strstr(text, "already known as unit:HP-HB-QT"));
}

/* The live head over CURVE, as an operator: the same line that audit
 * verify prints for the store. */
static void test_head_over_curve(void **state)
{
    fixture_t *f = *state;
    char store[4096], hubkey[4096], cert[4096];
    file_one(f, "qt-head", "HP-HB-QT", 9, store, sizeof store);
    assert_int_equal(run_node(f, store, "HP-HB-QT", "qt", NULL, 20), 0);
    snprintf(hubkey, sizeof hubkey, "%s", bc_key_path(f->dir, "hub", "pub"));
    snprintf(cert, sizeof cert, "%s", bc_key_path(f->dir, "alice", "secret"));
    const char *argv[] = {"audit", "head", "--hub", f->hub.endpoint,
                          "--hub-key", hubkey, "--cert", cert, NULL};
    char *live = NULL, *checked = NULL;
    assert_int_equal(bc_run("baocao", argv, &live), 0);
    /* Seq 1 is the registry version the hub logs first (issue 12). */
    assert_non_null(strstr(live, "head: seq 2 hash "));
    const char *vargv[] = {"audit", "verify", "--store", f->hub.store, NULL};
    assert_int_equal(bc_run("baocao", vargv, &checked), 0);
    assert_non_null(strstr(checked, live));
    free(live);
    free(checked);
    /* A stranger's key gets no head. */
    snprintf(cert, sizeof cert, "%s",
             bc_key_path(f->dir, "stranger", "secret"));
    const char *sargv[] = {"audit", "head", "--hub", f->hub.endpoint,
                           "--hub-key", hubkey, "--cert", cert, "--timeout",
                           "2000", NULL};
    assert_int_equal(bc_run("baocao", sargv, NULL), 1);
}

/* The submission id of the one report filed into store. */
static void filed_id(void *arg, const node_entry_t *e)
{
    assert_int_equal(bc_id_parse(e->id, arg), BC_OK);
}

/* How many of ids[0..n) a Ping asked as `who` is told the hub holds. An
 * id whose first byte is 0xff is sent one byte short (malformed). */
static size_t held_told(fixture_t *f, const char *who, uint8_t ids[][16],
                        size_t n)
{
    char hubkey[4096], cert[4096], err[256];
    snprintf(hubkey, sizeof hubkey, "%s", bc_key_path(f->dir, "hub", "pub"));
    snprintf(cert, sizeof cert, "%s", bc_key_path(f->dir, who, "secret"));
    bc_security_t sec = {hubkey, cert};
    bc_client_t *c = bc_client_new(f->hub.endpoint, &sec, err, sizeof err);
    assert_non_null(c);
    ProtobufCBinaryData asked[BC_HELD_ASKED_MAX + 8];
    assert_true(n <= BC_HELD_ASKED_MAX + 8);
    for (size_t i = 0; i < n; i++)
        asked[i] = (ProtobufCBinaryData){ids[i][0] == 0xff ? 15 : 16,
                                         ids[i]};
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    Baocao__Ping ping = BAOCAO__PING__INIT;
    ping.n_held_asked = n;
    ping.held_asked = asked;
    req.body_case = BAOCAO__REQUEST__BODY_PING;
    req.ping = &ping;
    Baocao__Reply *reply = NULL;
    assert_int_equal(bc_client_call(c, &req, &reply, 5000), BC_OK);
    assert_int_equal(reply->body_case, BAOCAO__REPLY__BODY_PONG);
    size_t told = reply->pong->n_held;
    for (size_t i = 0; i < told; i++) {
        const Baocao__Held *h = reply->pong->held[i];
        assert_int_equal(h->id.len, 16);
        assert_true(h->hub_seq > 0);
    }
    baocao__reply__free_unpacked(reply, NULL);
    bc_client_destroy(&c);
    return told;
}

/* Pong.held tells where a submission went only to a peer that may submit
 * for its unit: the ward itself, its district filing on its behalf. Other
 * wards, operators and units elsewhere learn nothing of it. */
static void test_held_is_told_to_its_senders_only(void **state)
{
    fixture_t *f = *state;
    char qt[4096], hv[4096];
    uint8_t ids[2][16];
    file_one(f, "held-qt", "HP-HB-QT", 5, qt, sizeof qt);
    assert_int_equal(run_node(f, qt, "HP-HB-QT", "qt", NULL, 20), 0);
    file_one(f, "held-hv", "HP-HB-HV", 6, hv, sizeof hv);
    assert_int_equal(run_node(f, hv, "HP-HB", "hb", NULL, 20), 0);
    node_outbox_t *o;
    char err[256];
    assert_non_null(o = node_outbox_open(qt, err, sizeof err));
    node_outbox_each(o, filed_id, ids[0]);
    node_outbox_close(&o);
    assert_non_null(o = node_outbox_open(hv, err, sizeof err));
    node_outbox_each(o, filed_id, ids[1]);
    node_outbox_close(&o);
    assert_int_equal(held_told(f, "qt", ids, 2), 1);   /* its own only */
    assert_int_equal(held_told(f, "hb", ids, 2), 2);   /* its wards' */
    assert_int_equal(held_told(f, "longunit", ids, 2), 0);
    assert_int_equal(held_told(f, "alice", ids, 2), 0);
    /* Hostile questions: a malformed id is skipped, ids past the limit
     * are not looked at, and the hub keeps answering. */
    uint8_t many[BC_HELD_ASKED_MAX + 8][16];
    memset(many, 0xff, sizeof many);               /* all malformed */
    memcpy(many[1], ids[0], 16);
    assert_int_equal(held_told(f, "qt", many, 2), 1);
    memcpy(many[BC_HELD_ASKED_MAX], ids[0], 16);   /* the 65th */
    memset(many[1], 0xff, 16);
    assert_int_equal(held_told(f, "qt", many, BC_HELD_ASKED_MAX + 8), 0);
    assert_int_equal(held_told(f, "qt", ids, 1), 1);
}

static void test_operator_queries_not_submits(void **state)
{
    fixture_t *f = *state;
    char store[4096];
    file_one(f, "alice", "HP-HB-QT", 55, store, sizeof store);
    assert_int_equal(run_node(f, store, "HP-HB-QT", "alice", NULL, 20), 1);
    char *js = status_json(store);
    assert_non_null(strstr(js, "not_authorized"));
    free(js);
    assert_int_equal(operator_value(f, "HP-HB-QT"), -1);
    /* A facility may not set plans. */
    char plan[4096], hubkey[4096], cert[4096];
    snprintf(plan, sizeof plan, "%s", bc_path(f->dir, "plan.csv"));
    bc_write_file(plan, "indicator,target\nsxh_cases,10\n");
    snprintf(hubkey, sizeof hubkey, "%s", bc_key_path(f->dir, "hub", "pub"));
    snprintf(cert, sizeof cert, "%s", bc_key_path(f->dir, "qt", "secret"));
    const char *argv[] = {"plan", "--hub", f->hub.endpoint, "--hub-key",
                          hubkey, "--cert", cert, "--unit", "HP-HB-QT",
                          "--year", "2023", "--file", plan, NULL};
    assert_int_equal(bc_run("baocao", argv, NULL), 1);
}

static void test_plain_client_gets_nothing(void **state)
{
    fixture_t *f = *state;
    char err[256];
    bc_client_t *c = bc_client_new(f->hub.endpoint, NULL, err, sizeof err);
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    Baocao__Ping ping = BAOCAO__PING__INIT;
    req.body_case = BAOCAO__REQUEST__BODY_PING;
    req.ping = &ping;
    Baocao__Reply *reply = NULL;
    int rc = bc_client_call(c, &req, &reply, 1500);
    assert_true(rc == BC_ETIMEOUT || rc == BC_ECRYPTO);
    assert_null(reply);
    bc_client_destroy(&c);
    /* A hub refuses a secret key file readable by others. */
    char loose[4096];
    snprintf(loose, sizeof loose, "%s", bc_key_path(f->dir, "hub", "secret"));
    chmod(loose, 0644);
    const char *argv[] = {"--store", bc_path(f->dir, "other"), "--registry",
                          f->units, "--catalog",
                          bc_source("data/indicators.csv"), "--bind",
                          "tcp://127.0.0.1:1", "--curve-secret", loose, NULL};
    char catalog[4096], store[4096];
    snprintf(store, sizeof store, "%s", argv[1]);
    snprintf(catalog, sizeof catalog, "%s", argv[5]);
    argv[1] = store;
    argv[5] = catalog;
    char *out = NULL;
    assert_int_equal(bc_run("baocao-hub", argv, &out), 2);
    free(out);
    chmod(loose, 0600);
}

/* --- a capturing relay: what crosses the wire ---------------------------- */

typedef struct {
    int listen_fd;             /* relay's listener */
    int target_port;           /* hub port */
    uint8_t *buf;              /* everything seen, both ways */
    size_t len, cap;           /* its length and capacity */
    volatile int stop;         /* ask the thread to stop */
    pthread_t thread;          /* the relay thread */
} relay_t;

static void capture(relay_t *r, const uint8_t *p, size_t n)
{
    if (r->len + n > r->cap) {
        r->cap = (r->len + n) * 2;
        r->buf = realloc(r->buf, r->cap);
    }
    memcpy(r->buf + r->len, p, n);
    r->len += n;
}

static void *relay_main(void *arg)
{
    relay_t *r = arg;
    int a = -1, b = -1;
    while (!r->stop) {
        struct pollfd pf[3] = {{r->listen_fd, POLLIN, 0}, {a, POLLIN, 0},
                               {b, POLLIN, 0}};
        if (poll(pf, 3, 100) <= 0)
            continue;
        if (pf[0].revents & POLLIN) {
            /* One connection at a time: a new one replaces the old. */
            if (a >= 0) {
                close(a);
                close(b);
            }
            a = accept(r->listen_fd, NULL, NULL);
            b = socket(AF_INET, SOCK_STREAM, 0);
            struct sockaddr_in addr = {0};
            addr.sin_family = AF_INET;
            addr.sin_port = htons((uint16_t) r->target_port);
            addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            if (connect(b, (struct sockaddr *) &addr, sizeof addr) != 0) {
                close(a);
                close(b);
                a = b = -1;
            }
            continue;
        }
        for (int i = 1; i < 3; i++)
            if (pf[i].revents & (POLLIN | POLLHUP | POLLERR)) {
                uint8_t tmp[65536];
                ssize_t n = read(pf[i].fd, tmp, sizeof tmp);
                if (n <= 0) {
                    close(a);
                    close(b);
                    a = b = -1;
                    break;
                }
                capture(r, tmp, (size_t) n);
                if (write(i == 1 ? b : a, tmp, (size_t) n) != n) {
                    close(a);
                    close(b);
                    a = b = -1;
                    break;
                }
            }
    }
    if (a >= 0) {
        close(a);
        close(b);
    }
    return NULL;
}

static void relay_start(relay_t *r, const char *hub_endpoint, char *ep,
                        size_t eplen)
{
    memset(r, 0, sizeof *r);
    r->target_port = atoi(strrchr(hub_endpoint, ':') + 1);
    r->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(r->listen_fd, (struct sockaddr *) &addr,
                          sizeof addr), 0);
    assert_int_equal(listen(r->listen_fd, 4), 0);
    socklen_t alen = sizeof addr;
    getsockname(r->listen_fd, (struct sockaddr *) &addr, &alen);
    snprintf(ep, eplen, "tcp://127.0.0.1:%d", ntohs(addr.sin_port));
    pthread_create(&r->thread, NULL, relay_main, r);
}

static void relay_stop(relay_t *r)
{
    r->stop = 1;
    pthread_join(r->thread, NULL);
    close(r->listen_fd);
}

static bool contains(const relay_t *r, const void *needle, size_t n)
{
    return r->len >= n && memmem(r->buf, r->len, needle, n) != NULL;
}

/* The figure 8675309 as protobuf puts it on the wire: field 2 (count,
 * sint64, zigzag varint) of a Value. */
static size_t figure_bytes(uint8_t *out)
{
    uint64_t z = (uint64_t) 8675309 << 1;
    size_t n = 0;
    out[n++] = 0x10;
    do {
        out[n] = z & 0x7f;
        z >>= 7;
        out[n++] |= z ? 0x80 : 0;
    } while (z);
    return n;
}

static void test_traffic_is_encrypted(void **state)
{
    fixture_t *f = *state;
    uint8_t fig[16];
    size_t nfig = figure_bytes(fig);

    /* Through a relay to the CURVE hub: neither the figure nor the unit
     * code can be seen. */
    relay_t r;
    char ep[64], store[4096];
    relay_start(&r, f->hub.endpoint, ep, sizeof ep);
    file_one(f, "enc", "HP-HB-QT", 8675309, store, sizeof store);
    assert_int_equal(run_node(f, store, "HP-HB-QT", "qt", ep, 30), 0);
    relay_stop(&r);
    assert_int_equal(operator_value(f, "HP-HB-QT"), 8675309);
    assert_true(r.len > 100);
    assert_false(contains(&r, fig, nfig));
    assert_false(contains(&r, "HP-HB-QT", 8));
    free(r.buf);

    /* Control: the same report to a plain hub does show both, so the check
     * above could have failed. */
    char plain_dir[4096];
    snprintf(plain_dir, sizeof plain_dir, "%s", bc_path(f->dir, "plain"));
    assert_int_equal(mkdir(plain_dir, 0700), 0);
    bc_hub_t plain = BC_HUB_INIT;
    const char *extra[] = {"--registry", f->units, NULL};
    bc_hub_start(&plain, plain_dir, NULL, extra);
    relay_start(&r, plain.endpoint, ep, sizeof ep);
    file_one(f, "clear", "HP-HB-QT", 8675309, store, sizeof store);
    const char *argv[] = {"--store", store, "--unit", "HP-HB-QT", "--hub",
                          ep, "--plain", "--drain", "--max-seconds", "30",
                          NULL};
    bc_proc_t p = bc_spawn("baocao-node", argv, NULL);
    assert_int_equal(bc_wait(&p, 60000), 0);
    relay_stop(&r);
    assert_true(contains(&r, fig, nfig));
    assert_true(contains(&r, "HP-HB-QT", 8));
    free(r.buf);
    bc_hub_stop(&plain);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_unknown_key_is_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_cut_handshake_is_not_a_key_problem,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_facility_only_for_itself, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_long_code_keeps_its_identity,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_shared_key_is_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_head_over_curve, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_operator_queries_not_submits,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_plain_client_gets_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_held_is_told_to_its_senders_only,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_traffic_is_encrypted, setup,
                                        teardown),
    };
    return cmocka_run_group_tests_name("integration.security", tests, NULL,
                                       NULL);
}
