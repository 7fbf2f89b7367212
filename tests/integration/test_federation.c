/*
 * test_federation.c -- three provincial hubs forward their logs to one
 * national hub (hub/hub_upstream.h), under faults, and the national hub
 * ends up with exactly what the provinces hold.
 *
 * Every process is a shipped program: three provincial hubs, each with its
 * own registry (a province of 2 districts x 3 communes) and six nodes
 * behind it; one national hub with CURVE on, whose registry lists the
 * three provinces with relay=yes and the provincial hubs' keys (made with
 * `baocao keygen`). Each province's link to the national hub goes through
 * its own weak-link proxy (tools/flaky_proxy.h, run in a thread of this
 * process: 100 ms latency, cuts every ~3 s), and the provincial and
 * national hubs are SIGKILLed and restarted while the reports stream.
 *
 * The record to check against is what this test filed. At the end: every
 * node's outbox says delivered; each province's figures on the national
 * hub equal the provincial hub's, down to a commune; the national totals
 * equal what was filed; the national log stores each filed submission
 * once (`audit verify`); a provincial hub sending another province's unit
 * is refused NOT_AUTHORIZED and nothing of it is stored; `audit
 * verify-upstream` passes for every province, and fails once a province's
 * log was rewritten after forwarding (even with its chain recomputed).
 *
 * Registry versions go up too (hub/hub_federate.h): a province opens a
 * commune and reports for it, and the national hub answers for it without
 * its own file naming it. Entries the national hub refuses for good are
 * recorded at the province (stats) without holding its cursor, and sent
 * again with --upstream-resend-from once the national file is fixed. The
 * national log alone replays to the national store's digest.
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
#include "flaky_proxy.h"
#include "hub_store.h"
#include "node_outbox.h"

#include <lmdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PROVS 3
#define DISTRICTS 2
#define COMMUNES 3                       /* per district */
#define PER_PROV (DISTRICTS * COMMUNES)  /* nodes per province */
#define NODES (PROVS * PER_PROV)
#define MONTHS 12
#define FILED (NODES * (MONTHS + 1))     /* + one correction per node */
#define SEED 20261202

typedef struct {
    char *dir;                     /* temporary folder */
    char keys[600];                /* key files */
    char nat_pub[700];             /* national hub's public key file */
    char op_secret[700];           /* an operator's key pair */
    bc_hub_t national;             /* the national hub */
    char nat_dir[600];             /* its folder */
    char nat_units[700];           /* its registry */
    bc_hub_t prov[PROVS];          /* the provincial hubs */
    char prov_dir[PROVS][600];     /* their folders */
    char prov_units[PROVS][700];   /* their registries */
    char prov_cert[PROVS][700];    /* their key pairs */
    flaky_proxy_t *proxy[PROVS];   /* each province's weak link up */
    pthread_t proxy_thread[PROVS]; /* runs it */
    char link[PROVS][64];          /* the proxy's endpoint */
    bc_hub_t rogue;                /* a misconfigured provincial hub */
    bc_proc_t nodes[NODES];        /* node processes */
    char store[NODES][700];        /* their outboxes */
    char code[NODES][32];          /* their units */
} fixture_t;

static int64_t births(int node, int month, int rev)
{
    return (node * 31 + month * 7) % 97 + 1 + (rev == 2 ? 1000 : 0);
}

static void period_of(int month, char *out, size_t len)
{
    snprintf(out, len, "2023-%02d", month + 1);
}

static void *run_proxy(void *arg)
{
    flaky_proxy_run(arg, -1);
    return NULL;
}

/* Province k: P<k>, districts P<k>-D<d>, communes P<k>-D<d>-C<c>. Its own
 * registry has the province as root; the national one has them all under
 * VN, each province relay=yes with its hub's key. */
static void write_registries(fixture_t *f)
{
    snprintf(f->nat_units, sizeof f->nat_units, "%s/units.csv", f->nat_dir);
    FILE *nat = fopen(f->nat_units, "w");
    assert_non_null(nat);
    fprintf(nat, "code,parent_code,level,name,reports,on_behalf,relay,key\n"
                 "VN,,country,Việt Nam,no,,,\n");
    for (int p = 0; p < PROVS; p++) {
        char name[16], base[640], pub[41];
        snprintf(name, sizeof name, "prov%d", p);
        snprintf(base, sizeof base, "%s/%s", f->keys, name);
        bc_keygen(f->keys, name, pub);
        snprintf(f->prov_cert[p], sizeof f->prov_cert[p], "%s.secret", base);
        fprintf(nat, "P%d,VN,province,Tỉnh %d,no,,yes,%s\n", p, p, pub);
        snprintf(f->prov_units[p], sizeof f->prov_units[p], "%s/units.csv",
                 f->prov_dir[p]);
        FILE *fp = fopen(f->prov_units[p], "w");
        assert_non_null(fp);
        fprintf(fp, "code,parent_code,level,name\nP%d,,province,Tỉnh %d\n",
                p, p);
        for (int d = 0; d < DISTRICTS; d++) {
            fprintf(fp, "P%d-D%d,P%d,district,Huyện %d\n", p, d, p, d);
            fprintf(nat, "P%d-D%d,P%d,district,Huyện %d,,,,\n", p, d, p, d);
            for (int c = 0; c < COMMUNES; c++) {
                int k = p * PER_PROV + d * COMMUNES + c;
                snprintf(f->code[k], sizeof f->code[k], "P%d-D%d-C%d", p, d,
                         c);
                fprintf(fp, "%s,P%d-D%d,commune,Xã %d\n", f->code[k], p, d,
                        c);
                fprintf(nat, "%s,P%d-D%d,commune,Xã %d,,,,\n", f->code[k], p,
                        d, c);
            }
        }
        fclose(fp);
    }
    fclose(nat);
}

static void start_national(fixture_t *f, const char *bind)
{
    char secret[700];
    snprintf(secret, sizeof secret, "%s/national.secret", f->keys);
    char op_pub[700];
    snprintf(op_pub, sizeof op_pub, "%s/op.pub", f->keys);
    const char *extra[] = {"--registry", f->nat_units, "--curve-secret",
                           secret, "--operator-key", op_pub, "--log-level",
                           "info", NULL};
    bc_hub_start(&f->national, f->nat_dir, bind, extra);
}

static void start_province(fixture_t *f, int p, const char *bind)
{
    const char *extra[] = {"--registry", f->prov_units[p], "--log-level",
                           "info", "--upstream", f->link[p],
                           "--upstream-key", f->nat_pub, "--upstream-cert",
                           f->prov_cert[p], "--upstream-window", "4",
                           "--upstream-timeout", "2000",
                           "--upstream-backoff-max", "1000", NULL};
    bc_hub_start(&f->prov[p], f->prov_dir[p], bind, extra);
}

/* Province p again, sending its log again from seq `from` (item 4). */
static void restart_province_resending(fixture_t *f, int p, uint64_t from)
{
    char seq[32];
    snprintf(seq, sizeof seq, "%llu", (unsigned long long) from);
    const char *extra[] = {"--registry", f->prov_units[p], "--log-level",
                           "info", "--upstream", f->link[p],
                           "--upstream-key", f->nat_pub, "--upstream-cert",
                           f->prov_cert[p], "--upstream-window", "4",
                           "--upstream-timeout", "2000",
                           "--upstream-backoff-max", "1000",
                           "--upstream-resend-from", seq, NULL};
    char bind[128];
    snprintf(bind, sizeof bind, "%s", f->prov[p].endpoint);
    assert_int_equal(bc_hub_stop(&f->prov[p]), 0);
    bc_hub_start(&f->prov[p], f->prov_dir[p], bind, extra);
}

/* How many times `needle` occurs in the file at path. */
static int occurrences(const char *path, const char *needle)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return 0;
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof line, fp))
        for (const char *s = line; (s = strstr(s, needle)); s++)
            n++;
    fclose(fp);
    return n;
}

/* SIGHUP to a hub, and wait until it says the registry is reloaded. */
static void reload(bc_hub_t *hub)
{
    int before = occurrences(hub->log, "registry reloaded");
    assert_int_equal(kill(hub->proc.pid, SIGHUP), 0);
    for (int i = 0; i < 200 && occurrences(hub->log, "registry reloaded")
                                   == before; i++)
        usleep(50000);
    assert_true(occurrences(hub->log, "registry reloaded") > before);
}

/* A number from `baocao stats --format json` of a hub ("key": N). */
static unsigned long long stat_of(const char *endpoint, const char *key)
{
    const char *argv[] = {"stats", "--hub", endpoint, "--plain", "--format",
                          "json", NULL};
    char *json = NULL, want[80];
    unsigned long long v = 0;
    assert_int_equal(bc_run("baocao", argv, &json), 0);
    snprintf(want, sizeof want, "\"%s\":", key);
    const char *at = strstr(json, want);
    if (!at || sscanf(at + strlen(want), " %llu", &v) != 1)
        fail_msg("no %s in: %s", key, json);
    free(json);
    return v;
}

static bool national_value(fixture_t *f, const char *unit,
                           const char *period, int64_t *value);

typedef struct {
    fixture_t *f;
    const char *unit, *period;
    int64_t want;
} wait_value_t;

static bool national_has(void *arg)
{
    wait_value_t *w = arg;
    int64_t v;
    return national_value(w->f, w->unit, w->period, &v) && v == w->want;
}

static void start_proxy(fixture_t *f, int p)
{
    flaky_config_t cfg;
    flaky_config_init(&cfg);
    const char *colon = strrchr(f->national.endpoint, ':');
    cfg.target_host = "127.0.0.1";
    cfg.target_port = atoi(colon + 1);
    cfg.latency_ms = 100;
    cfg.cut_mean_ms = 3000;
    cfg.seed = SEED + (uint64_t) p;
    cfg.max_seconds = 300;
    f->proxy[p] = flaky_proxy_new(&cfg);
    assert_non_null(f->proxy[p]);
    snprintf(f->link[p], sizeof f->link[p], "tcp://127.0.0.1:%d",
             flaky_proxy_port(f->proxy[p]));
    assert_int_equal(pthread_create(&f->proxy_thread[p], NULL, run_proxy,
                                    f->proxy[p]), 0);
}

static int setup(void **state)
{
    fixture_t *f = bc_calloc(1, sizeof *f);
    f->dir = bc_tmpdir("federation");
    snprintf(f->keys, sizeof f->keys, "%s", bc_path(f->dir, "keys"));
    snprintf(f->nat_dir, sizeof f->nat_dir, "%s", bc_path(f->dir, "national"));
    assert_int_equal(mkdir(f->keys, 0700), 0);
    assert_int_equal(mkdir(f->nat_dir, 0700), 0);
    bc_hub_init(&f->national);
    bc_hub_init(&f->rogue);
    for (int p = 0; p < PROVS; p++) {
        char name[16];
        snprintf(name, sizeof name, "prov%d", p);
        snprintf(f->prov_dir[p], sizeof f->prov_dir[p], "%s",
                 bc_path(f->dir, name));
        assert_int_equal(mkdir(f->prov_dir[p], 0700), 0);
        bc_hub_init(&f->prov[p]);
    }
    char base[640];
    snprintf(base, sizeof base, "%s/national", f->keys);
    bc_keygen(f->keys, "national", NULL);
    snprintf(f->nat_pub, sizeof f->nat_pub, "%s.pub", base);
    snprintf(base, sizeof base, "%s/op", f->keys);
    bc_keygen(f->keys, "op", NULL);
    snprintf(f->op_secret, sizeof f->op_secret, "%s.secret", base);
    write_registries(f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    for (int k = 0; k < NODES; k++)
        if (f->nodes[k].pid)
            bc_stop(&f->nodes[k], SIGKILL, 5000);
    for (int p = 0; p < PROVS; p++) {
        bc_hub_stop(&f->prov[p]);
        if (f->proxy[p]) {
            flaky_proxy_stop(f->proxy[p]);
            pthread_join(f->proxy_thread[p], NULL);
            flaky_proxy_destroy(&f->proxy[p]);
        }
    }
    bc_hub_stop(&f->rogue);
    bc_hub_stop(&f->national);
    bc_rmtree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

/* Node k's outbox: MONTHS reports, then a correction of the first. */
static void file_reports(fixture_t *f, int k)
{
    char name[32], err[256];
    snprintf(name, sizeof name, "node-%02d", k);
    snprintf(f->store[k], sizeof f->store[k], "%s", bc_path(f->dir, name));
    node_outbox_t *o = node_outbox_open(f->store[k], err, sizeof err);
    assert_non_null(o);
    for (int i = 0; i <= MONTHS; i++) {
        int m = i < MONTHS ? i : 0, rev = i < MONTHS ? 1 : 2;
        bc_report_value_t vals[2] = {{"births", true, births(k, m, rev), 0, 0},
                                     {"sxh_cases", true, k + m, 0, 0}};
        bc_report_t report = {vals, 2};
        char period[16];
        uint8_t id[16];
        uint32_t got;
        period_of(m, period, sizeof period);
        assert_int_equal(node_outbox_file(o, f->code[k], period, &report,
                                          1704067200, id, &got), BC_OK);
        assert_int_equal(got, (uint32_t) rev);
    }
    node_outbox_close(&o);
}

static void start_node(fixture_t *f, int k)
{
    char log[64], logpath[4096];
    int p = k / PER_PROV;
    snprintf(log, sizeof log, "node-%02d.log", k);
    snprintf(logpath, sizeof logpath, "%s", bc_path(f->dir, log));
    const char *argv[] = {"--store", f->store[k], "--unit", f->code[k],
                          "--hub", f->prov[p].endpoint, "--plain", "--drain",
                          "--max-seconds", "90", "--timeout", "2000",
                          "--backoff-min", "100", "--backoff-max", "1000",
                          "--window", "4", "--log-level", "warn", NULL};
    f->nodes[k] = bc_spawn("baocao-node", argv, logpath);
}

/* One figure from the national hub, over CURVE as an operator. */
static bool national_value(fixture_t *f, const char *unit,
                           const char *period, int64_t *value)
{
    char err[256];
    bc_security_t sec = {f->nat_pub, f->op_secret};
    bc_client_t *c = bc_client_new(f->national.endpoint, &sec, err,
                                   sizeof err);
    assert_non_null(c);
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    Baocao__Query q = BAOCAO__QUERY__INIT;
    char *inds[1] = {"births"};
    q.unit = (char *) unit;
    q.period = (char *) period;
    q.n_indicators = 1;
    q.indicators = inds;
    req.body_case = BAOCAO__REQUEST__BODY_QUERY;
    req.query = &q;
    Baocao__Reply *r = NULL;
    int rc = bc_client_call(c, &req, &r, 10000);
    bc_client_destroy(&c);
    assert_int_equal(rc, BC_OK);
    const Baocao__Figure *fig = bc_figure(r, "births");
    bool present = fig && fig->value && fig->value->present;
    *value = present ? fig->value->value : 0;
    baocao__reply__free_unpacked(r, NULL);
    return present;
}

/* The annual target of births on the national hub (0 if none). */
static int64_t national_target(fixture_t *f, const char *unit)
{
    char err[256];
    bc_security_t sec = {f->nat_pub, f->op_secret};
    bc_client_t *c = bc_client_new(f->national.endpoint, &sec, err,
                                   sizeof err);
    assert_non_null(c);
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    Baocao__Query q = BAOCAO__QUERY__INIT;
    char *inds[1] = {"births"};
    q.unit = (char *) unit;
    q.period = "2023-12";
    q.n_indicators = 1;
    q.indicators = inds;
    req.body_case = BAOCAO__REQUEST__BODY_QUERY;
    req.query = &q;
    Baocao__Reply *r = NULL;
    assert_int_equal(bc_client_call(c, &req, &r, 10000), BC_OK);
    bc_client_destroy(&c);
    const Baocao__Figure *fig = bc_figure(r, "births");
    int64_t t = fig && fig->target && fig->target->present
                    ? fig->target->value : 0;
    baocao__reply__free_unpacked(r, NULL);
    return t;
}

/* Whether (unit, period) is approved (locked) on the national hub. */
static bool national_approved(void *arg)
{
    fixture_t *f = arg;
    char err[256];
    bc_security_t sec = {f->nat_pub, f->op_secret};
    bc_client_t *c = bc_client_new(f->national.endpoint, &sec, err,
                                   sizeof err);
    assert_non_null(c);
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    Baocao__Query q = BAOCAO__QUERY__INIT;
    q.unit = "P0-D1";
    q.period = "2023-03";
    req.body_case = BAOCAO__REQUEST__BODY_QUERY;
    req.query = &q;
    Baocao__Reply *r = NULL;
    assert_int_equal(bc_client_call(c, &req, &r, 10000), BC_OK);
    bc_client_destroy(&c);
    bool yes = r->body_case == BAOCAO__REPLY__BODY_QUERY && r->query->approved;
    baocao__reply__free_unpacked(r, NULL);
    return yes;
}

static bool national_has_target(void *arg)
{
    fixture_t *f = arg;
    return national_target(f, "P0-D0") == 1000;
}

/* What was filed for a province (or, p < 0, the country) in a month. */
static int64_t filed(int p, int m)
{
    int64_t sum = 0;
    for (int k = 0; k < NODES; k++)
        if (p < 0 || k / PER_PROV == p)
            sum += births(k, m, m == 0 ? 2 : 1);
    return sum;
}

/* True once the national hub holds every province's filed totals. */
static bool national_complete(void *arg)
{
    fixture_t *f = arg;
    for (int p = 0; p < PROVS; p++)
        for (int m = 0; m < MONTHS; m++) {
            char unit[8], period[16];
            int64_t v;
            snprintf(unit, sizeof unit, "P%d", p);
            period_of(m, period, sizeof period);
            if (!national_value(f, unit, period, &v) || v != filed(p, m))
                return false;
        }
    return true;
}

/* `baocao audit verify --store DIR`: the counts it prints. */
static void log_counts(const char *store, unsigned *stored,
                       unsigned *superseded, unsigned *rejected)
{
    const char *argv[] = {"audit", "verify", "--store", store, NULL};
    char *out = NULL;
    assert_int_equal(bc_run("baocao", argv, &out), 0);
    const char *s = strstr(out, "stored ");
    unsigned dup;
    if (!s || sscanf(s, "stored %u, duplicate %u, superseded %u, rejected "
                     "%u", stored, &dup, superseded, rejected) != 4)
        fail_msg("audit verify said: %s", out);
    free(out);
}

static int verify_upstream(fixture_t *f, int p, char **out)
{
    const char *argv[] = {"audit", "verify-upstream", "--store",
                          f->national.store, "--province-store",
                          f->prov[p].store, NULL};
    return bc_run("baocao", argv, out);
}

/* The layout of a log record (hub/hub_log.c), to rewrite one the way a
 * forger with the disk would: the test alone reaches under the store. */
typedef struct {
    int64_t received_at;
    uint8_t hash[32];
    uint32_t outcome, reason, peer_len, req_len;
} log_hdr_t;

/* Changes one figure of the first stored entry after the first, and
 * recomputes the chain from there on, so that the province's own chain
 * still verifies. Returns the seq of the entry changed. */
static uint64_t rewrite_log(const char *store)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    MDB_cursor *cur;
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 32), 0);
    assert_int_equal(mdb_env_open(env, store, 0, 0640), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "log", 0, &dbi), 0);
    assert_int_equal(mdb_cursor_open(txn, dbi, &cur), 0);
    uint8_t prev[32] = {0};
    uint64_t changed = 0;
    MDB_val k, v;
    for (int mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        uint64_t seq = 0;
        for (int i = 0; i < 8; i++)
            seq = seq << 8 | ((const uint8_t *) k.mv_data)[i];
        uint8_t *rec = bc_malloc(v.mv_size);
        memcpy(rec, v.mv_data, v.mv_size);
        log_hdr_t h;
        memcpy(&h, rec, sizeof h);
        uint8_t *req = rec + sizeof h + h.peer_len;
        if (!changed && seq >= 2 && h.outcome == 1 /* stored */) {
            /* The submission ends with its last figure's count: a varint
             * whose last byte has bit 7 clear; flipping bit 1 keeps it one
             * (zigzag: the count changes by 1). */
            const uint8_t *sub;
            size_t sub_len;
            assert_int_equal(bc_wire_find_field(req, h.req_len, 10, &sub,
                                                &sub_len), BC_OK);
            req[(sub - req) + sub_len - 1] ^= 0x02;
            changed = seq;
        }
        uint8_t digest[32];
        hub_request_digest(req, h.req_len, digest);
        hub_log_hash(prev, seq, h.received_at, (const char *) rec + sizeof h,
                     h.peer_len, h.outcome, h.reason, digest, h.hash);
        memcpy(rec, &h, sizeof h);
        memcpy(prev, h.hash, 32);
        /* The key from the page may move under a put of a large record
         * (a registry version spills to overflow pages): a copy. */
        uint8_t kb[8];
        memcpy(kb, k.mv_data, 8);
        MDB_val nk = {8, kb}, nv = {v.mv_size, rec};
        assert_int_equal(mdb_cursor_put(cur, &nk, &nv, MDB_CURRENT), 0);
        free(rec);
    }
    mdb_cursor_close(cur);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    assert_true(changed > 0);
    return changed;
}

static double elapsed(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double) (t.tv_sec - t0->tv_sec)
           + (double) (t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void test_federation(void **state)
{
    fixture_t *f = *state;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    start_national(f, NULL);
    char nat_bind[128], prov_bind[PROVS][128];
    snprintf(nat_bind, sizeof nat_bind, "%s", f->national.endpoint);
    for (int p = 0; p < PROVS; p++) {
        start_proxy(f, p);
        start_province(f, p, NULL);
        snprintf(prov_bind[p], sizeof prov_bind[p], "%s",
                 f->prov[p].endpoint);
    }
    for (int k = 0; k < NODES; k++)
        file_reports(f, k);
    for (int k = 0; k < NODES; k++)
        start_node(f, k);

    /* 1. Kill hubs while the reports stream: each province twice, the
     * national hub four times, at odd moments. */
    srand(SEED);
    int kills[PROVS + 1] = {0};
    for (int i = 0; i < 2 * PROVS + 4; i++) {
        usleep((useconds_t) (150 + rand() % 350) * 1000);
        int victim = i % (PROVS + 2);
        if (victim >= PROVS) {
            bc_hub_pause(&f->national, SIGKILL);
            usleep((useconds_t) (100 + rand() % 400) * 1000);
            start_national(f, nat_bind);
            kills[PROVS]++;
        } else {
            bc_hub_pause(&f->prov[victim], SIGKILL);
            usleep((useconds_t) (100 + rand() % 300) * 1000);
            start_province(f, victim, prov_bind[victim]);
            kills[victim]++;
        }
    }
    fprintf(stderr, "%.1f s: killed provinces %d, %d, %d times, national "
            "%d times\n", elapsed(&t0), kills[0], kills[1], kills[2],
            kills[PROVS]);

    /* 2. Every node delivers; the national hub catches up by itself. */
    for (int k = 0; k < NODES; k++) {
        int rc = bc_wait(&f->nodes[k], 100000);
        if (rc != 0)
            fail_msg("node %d exited %d (see %s/node-%02d.log)", k, rc,
                     f->dir, k);
    }
    char err[256];
    for (int k = 0; k < NODES; k++) {
        node_outbox_t *o = node_outbox_open(f->store[k], err, sizeof err);
        node_stats_t st;
        assert_int_equal(node_outbox_stats(o, &st), BC_OK);
        assert_int_equal(st.delivered, MONTHS + 1);
        assert_int_equal(st.pending + st.in_flight + st.rejected, 0);
        node_outbox_close(&o);
    }
    fprintf(stderr, "%.1f s: every node delivered\n", elapsed(&t0));
    if (!bc_eventually(national_complete, f, 90000))
        fail_msg("the national hub did not catch up (see %s/*/hub.log)",
                 f->dir);
    fprintf(stderr, "%.1f s: the national hub holds every province's "
            "figures\n", elapsed(&t0));
    for (int p = 0; p < PROVS; p++) {
        flaky_stats_t st;
        flaky_proxy_stats(f->proxy[p], &st);
        fprintf(stderr, "link P%d: %llu connections, %llu cuts\n", p,
                (unsigned long long) st.accepted,
                (unsigned long long) st.cuts);
    }

    /* 3. Each province's figures on the national hub equal the
     * provincial hub's, down to a commune; the country is their sum. */
    for (int m = 0; m < MONTHS; m++) {
        char period[16];
        period_of(m, period, sizeof period);
        for (int p = 0; p < PROVS; p++) {
            const char *units[3];
            char prov[8];
            snprintf(prov, sizeof prov, "P%d", p);
            units[0] = prov;
            units[1] = f->code[p * PER_PROV];
            units[2] = f->code[p * PER_PROV + PER_PROV - 1];
            for (int u = 0; u < 3; u++) {
                int64_t here, there;
                assert_true(bc_query_value(f->prov[p].endpoint, units[u],
                                           period, "births", &here));
                assert_true(national_value(f, units[u], period, &there));
                assert_int_equal(here, there);
            }
        }
        int64_t vn;
        assert_true(national_value(f, "VN", period, &vn));
        assert_int_equal(vn, filed(-1, m));
    }

    /* 4. Nothing doubled: the national log stores each filed submission
     * once (stored + superseded), however many resends it saw. */
    unsigned stored, superseded, rejected, total_prov = 0;
    for (int p = 0; p < PROVS; p++) {
        log_counts(f->prov[p].store, &stored, &superseded, &rejected);
        assert_int_equal(stored + superseded, PER_PROV * (MONTHS + 1));
        total_prov += stored + superseded;
    }
    log_counts(f->national.store, &stored, &superseded, &rejected);
    assert_int_equal(stored + superseded, FILED);
    assert_int_equal(total_prov, FILED);
    assert_int_equal(rejected, 0);

    /* 5. A provincial hub that sends another province's unit: province
     * 0's key, a registry (wrongly) holding province 1's units. The
     * national hub refuses it NOT_AUTHORIZED and stores nothing of it;
     * the rogue's stream goes on (its cursor passes the entry). */
    char rogue_dir[700], rogue_units[800];
    snprintf(rogue_dir, sizeof rogue_dir, "%s", bc_path(f->dir, "rogue"));
    assert_int_equal(mkdir(rogue_dir, 0700), 0);
    snprintf(rogue_units, sizeof rogue_units, "%s/units.csv", rogue_dir);
    bc_write_file(rogue_units, "code,parent_code,level,name\n"
                               "P1,,province,Tỉnh 1\n"
                               "P1-D0,P1,district,Huyện 0\n"
                               "P1-D0-C0,P1-D0,commune,Xã 0\n");
    const char *rextra[] = {"--registry", rogue_units, "--log-level", "info",
                            "--upstream", f->link[0], "--upstream-key",
                            f->nat_pub, "--upstream-cert", f->prov_cert[0],
                            "--upstream-timeout", "2000", NULL};
    bc_hub_start(&f->rogue, rogue_dir, NULL, rextra);
    assert_int_equal(bc_submit(f->rogue.endpoint, NULL, "P1-D0-C0",
                               "2021-01", 1, 1704067200, "births=5"),
                     BAOCAO__ACK_STATUS__ACK_STORED);
    /* Entry 1 is the rogue's registry version (issue 12): forwarded, and
     * refused too (its root is P1, the key P0's); entry 2 the report. */
    for (int i = 0; i < 300 && !bc_file_contains(
                                   f->rogue.log, "national hub rejected log "
                                                 "entry 2: not_authorized");
         i++)
        usleep(100000);
    assert_true(bc_file_contains(f->rogue.log, "national hub rejected log "
                                               "entry 1: not_authorized"));
    assert_true(bc_file_contains(f->rogue.log, "national hub rejected log "
                                               "entry 2: not_authorized"));
    int64_t v;
    assert_false(national_value(f, "P1-D0-C0", "2021-01", &v));
    assert_false(national_value(f, "P1", "2021-01", &v));
    log_counts(f->national.store, &stored, &superseded, &rejected);
    assert_int_equal(stored + superseded, FILED);
    /* Once, or more if a cut lost the answer and the rogue asked again:
     * each refusal is on the national log, none stored anything. */
    assert_true(rejected >= 1);
    bc_hub_stop(&f->rogue);
    fprintf(stderr, "%.1f s: rogue refused\n", elapsed(&t0));

    /* 5b. Province 0 opens a commune (its own registry, SIGHUP) and
     * reports for it. The national hub takes P0's subtree from P0's log
     * (the registry version is forwarded like a report) and answers for
     * the commune, though its own units file never heard of it. */
    FILE *fp = fopen(f->prov_units[0], "a");
    assert_non_null(fp);
    fprintf(fp, "P0-D0-C3,P0-D0,commune,Xã mới\n");
    fclose(fp);
    reload(&f->prov[0]);
    assert_int_equal(bc_submit(f->prov[0].endpoint, NULL, "P0-D0-C3",
                               "2023-06", 1, 1704067200, "births=500"),
                     BAOCAO__ACK_STATUS__ACK_STORED);
    wait_value_t wv = {f, "P0-D0-C3", "2023-06", 500};
    if (!bc_eventually(national_has, &wv, 60000))
        fail_msg("the national hub has no figure for the new commune (see "
                 "%s)", f->national.log);
    assert_true(national_value(f, "P0", "2023-06", &v));
    assert_int_equal(v, filed(0, 5) + 500);
    assert_true(national_value(f, "VN", "2023-06", &v));
    assert_int_equal(v, filed(-1, 5) + 500);
    assert_false(bc_file_contains(f->nat_units, "P0-D0-C3"));
    fprintf(stderr, "%.1f s: a commune P0 opened is on the national hub\n",
            elapsed(&t0));

    /* 5c. Entries the national hub refuses for good are recorded, not
     * lost: the national file's own top wrongly holds a P0-D1-C9 (a
     * central hospital under VN; a row under a province that forwards its
     * subtree would just give way to it), and P0 opens its own P0-D1-C9.
     * Its registry version and its report are refused (NOT_AUTHORIZED:
     * that code is not P0's there), the stream goes on, and P0's stats say
     * what and from where. Once the national file is fixed,
     * --upstream-resend-from sends them again. */
    fp = fopen(f->nat_units, "a");
    assert_non_null(fp);
    fprintf(fp, "P0-D1-C9,VN,hospital,Stale,yes,,,\n");
    fclose(fp);
    reload(&f->national);
    fp = fopen(f->prov_units[0], "a");
    assert_non_null(fp);
    fprintf(fp, "P0-D1-C9,P0-D1,commune,Xã chín\n");
    fclose(fp);
    /* The reload logs P0's version next, then the report after it. */
    uint64_t refused_from = stat_of(f->prov[0].endpoint, "hub_seq") + 1;
    reload(&f->prov[0]);
    assert_int_equal(bc_submit(f->prov[0].endpoint, NULL, "P0-D1-C9",
                               "2023-07", 1, 1704067200, "births=700"),
                     BAOCAO__ACK_STATUS__ACK_STORED);
    for (int i = 0; i < 300 && stat_of(f->prov[0].endpoint,
                                       "upstream_refused") < 2; i++)
        usleep(100000);
    assert_int_equal(stat_of(f->prov[0].endpoint, "upstream_refused"), 2);
    assert_int_equal(stat_of(f->prov[0].endpoint, "upstream_refused_first"),
                     refused_from);
    assert_int_equal(stat_of(f->prov[0].endpoint, "upstream_refused_last"),
                     refused_from + 1);
    assert_true(bc_file_contains(f->prov[0].log, "rejected log entry"));
    /* Not blocked: the cursor passed them. */
    assert_int_equal(stat_of(f->prov[0].endpoint, "upstream_behind"), 0);
    assert_false(national_value(f, "P0-D1-C9", "2023-07", &v));
    /* The national registry is fixed; P0 resends from the first refusal. */
    char *nat_text = NULL;
    {
        FILE *in = fopen(f->nat_units, "r");
        assert_non_null(in);
        char line[512];
        size_t cap = 1 << 16, used = 0;
        nat_text = bc_malloc(cap);
        nat_text[0] = '\0';
        while (fgets(line, sizeof line, in))
            if (!strstr(line, "Stale") && used + strlen(line) < cap) {
                memcpy(nat_text + used, line, strlen(line) + 1);
                used += strlen(line);
            }
        fclose(in);
    }
    bc_write_file(f->nat_units, nat_text);
    free(nat_text);
    reload(&f->national);
    restart_province_resending(f, 0, refused_from);
    wait_value_t wv2 = {f, "P0-D1-C9", "2023-07", 700};
    if (!bc_eventually(national_has, &wv2, 60000))
        fail_msg("the resend did not bring P0-D1-C9 (see %s)",
                 f->prov[0].log);
    for (int i = 0; i < 300 && stat_of(f->prov[0].endpoint,
                                       "upstream_behind") > 0; i++)
        usleep(100000);
    assert_int_equal(stat_of(f->prov[0].endpoint, "upstream_behind"), 0);
    assert_int_equal(stat_of(f->prov[0].endpoint, "upstream_refused"), 0);
    assert_true(national_value(f, "P0", "2023-07", &v));
    assert_int_equal(v, filed(0, 6) + 700);
    fprintf(stderr, "%.1f s: refused entries recorded, resent once the "
            "national registry was fixed\n", elapsed(&t0));

    /* 5d. Plans are log entries too: one set at P0 reaches the national
     * hub, where P0's own target is the sum of its districts'. */
    char plan[700];
    snprintf(plan, sizeof plan, "%s", bc_path(f->dir, "plan.csv"));
    bc_write_file(plan, "indicator,target\nbirths,1000\n");
    const char *pargv[] = {"plan", "--hub", f->prov[0].endpoint, "--plain",
                           "--unit", "P0-D0", "--year", "2023", "--file",
                           plan, NULL};
    assert_int_equal(bc_run("baocao", pargv, NULL), 0);
    if (!bc_eventually(national_has_target, f, 60000))
        fail_msg("P0's plan did not reach the national hub (see %s)",
                 f->prov[0].log);
    assert_int_equal(national_target(f, "P0"), 1000);
    for (int i = 0; i < 300 && stat_of(f->prov[0].endpoint,
                                       "upstream_behind") > 0; i++)
        usleep(100000);   /* the national hub's answer on its way back */
    fprintf(stderr, "%.1f s: a plan set at P0 is on the national hub\n",
            elapsed(&t0));

    /* 5e. Approvals are log entries (issue #11) and go up too: a district
     * P0 approves is locked at the national hub as well. */
    assert_false(national_approved(f));
    const char *aargv[] = {"approve", "--hub", f->prov[0].endpoint, "--plain",
                           "--unit", "P0-D1", "--period", "2023-03", NULL};
    char *aout = NULL;
    if (bc_run_all("baocao", aargv, &aout) != 0)
        fail_msg("approve at P0: %s", aout);
    free(aout);
    if (!bc_eventually(national_approved, f, 60000))
        fail_msg("P0's approval did not reach the national hub (see %s)",
                 f->national.log);
    for (int i = 0; i < 300 && stat_of(f->prov[0].endpoint,
                                       "upstream_behind") > 0; i++)
        usleep(100000);
    fprintf(stderr, "%.1f s: an approval at P0 locks the national hub\n",
            elapsed(&t0));

    /* 6. Each provincial hub says it is caught up (baocao stats), and
     * leaves its durable cursor at the head of its log when it stops. */
    for (int p = 0; p < PROVS; p++) {
        const char *argv[] = {"stats", "--hub", f->prov[p].endpoint,
                              "--plain", "--format", "json", NULL};
        char *json = NULL;
        assert_int_equal(bc_run("baocao", argv, &json), 0);
        /* Up to the log's head, resends from the nodes included. */
        const char *hs = strstr(json, "\"hub_seq\":"),
                   *uc = strstr(json, "\"upstream_cursor\":");
        unsigned long long head = 0, cur = 0;
        if (!hs || !uc || sscanf(hs, "\"hub_seq\": %llu", &head) != 1
            || sscanf(uc, "\"upstream_cursor\": %llu", &cur) != 1
            || head < PER_PROV * (MONTHS + 1) || cur != head
            || !strstr(json, "\"upstream_behind\":\t0"))
            fail_msg("P%d stats: %s", p, json);
        free(json);
    }
    for (int p = 0; p < PROVS; p++) {
        assert_int_equal(bc_hub_stop(&f->prov[p]), 0);
        hub_store_t *s = hub_store_open_readonly(f->prov[p].store, err,
                                                 sizeof err);
        assert_non_null(s);
        uint64_t cursor;
        char name[64], want[8];
        assert_int_equal(hub_store_upstream_get(s, &cursor, name,
                                                sizeof name), BC_OK);
        assert_int_equal(cursor, hub_store_last_seq(s));
        snprintf(want, sizeof want, "P%d", p);
        assert_string_equal(name, want);
        hub_store_close(&s);
    }
    assert_int_equal(bc_hub_stop(&f->national), 0);

    /* 7. Every province checks out against the national record; one whose
     * log was rewritten after forwarding does not. */
    for (int p = 0; p < PROVS; p++) {
        char *out = NULL;
        int rc = verify_upstream(f, p, &out);
        fprintf(stderr, "P%d: %s", p, out);
        assert_int_equal(rc, 0);
        assert_non_null(strstr(out, "OK: "));
        free(out);
    }
    uint64_t bad = rewrite_log(f->prov[0].store);
    /* Its own chain verifies: only the national record gives it away. */
    log_counts(f->prov[0].store, &stored, &superseded, &rejected);
    char *out = NULL, want[64];
    assert_int_equal(verify_upstream(f, 0, &out), 1);
    fprintf(stderr, "P0 rewritten at seq %llu: %s", (unsigned long long) bad,
            out);
    snprintf(want, sizeof want, "province entry %llu has another chain hash",
             (unsigned long long) bad);
    assert_non_null(strstr(out, want));
    free(out);

    /* 8. The national log alone rebuilds the national store: the
     * provinces' registry versions and the composed ones are on it. */
    char exp[700], fresh[800], fresh_dir[700];
    snprintf(exp, sizeof exp, "%s", bc_path(f->dir, "national.bca"));
    snprintf(fresh_dir, sizeof fresh_dir, "%s", bc_path(f->dir, "replayed"));
    assert_int_equal(mkdir(fresh_dir, 0700), 0);
    snprintf(fresh, sizeof fresh, "%s/hub", fresh_dir);
    const char *eargv[] = {"audit", "export", "--store", f->national.store,
                           "--out", exp, NULL};
    assert_int_equal(bc_run("baocao", eargv, NULL), 0);
    const char *rargv[] = {"audit", "replay", exp, "--into", fresh, NULL};
    char *rout = NULL;
    int rrc = bc_run_all("baocao", rargv, &rout);
    if (rrc != 0)
        fail_msg("replay of the national log: %s", rout);
    free(rout);
    const char *d1[] = {"audit", "digest", "--store", f->national.store,
                        NULL};
    const char *d2[] = {"audit", "digest", "--store", fresh, NULL};
    char *live = NULL, *again = NULL;
    assert_int_equal(bc_run("baocao", d1, &live), 0);
    assert_int_equal(bc_run("baocao", d2, &again), 0);
    assert_true(strlen(live) > 64 && strlen(again) > 64);
    assert_memory_equal(live, again, 64);
    free(live);
    free(again);
    /* A hub on the replayed store composes the same national registry
     * (the provinces' subtrees came with the log) and answers as the
     * national hub did: the commune P0 opened, P0's plan. */
    bc_hub_t replayed;
    bc_hub_init(&replayed);
    const char *hextra[] = {"--registry", f->nat_units, NULL};
    bc_hub_start(&replayed, fresh_dir, NULL, hextra);
    int64_t got;
    bool ok = bc_query_value(replayed.endpoint, "P0-D0-C3", "2023-06",
                             "births", &got);
    assert_int_equal(bc_hub_stop(&replayed), 0);
    assert_true(ok);
    assert_int_equal(got, 500);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_federation, setup, teardown),
    };
    return cmocka_run_group_tests_name("integration.federation", tests, NULL,
                                       NULL);
}
