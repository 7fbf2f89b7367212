/*
 * test_audit.c -- the hub's tamper-evident log: export, verify (and catch
 * a flipped byte, a deleted entry, two swapped entries), history, replay
 * into a fresh store with the same digest and the same answers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bc_error.h"
#include "bc_registry.h"
#include "bc_test.h"
#include "bc_wire.h"
#include "hub_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct {
    char *dir;          /* temporary folder */
    bc_hub_t hub;       /* the hub under test */
    char export[4096];  /* export file */
} fixture_t;

/* A mixed stream: new reports, a resend, corrections, rejections. */
static void mixed_stream(fixture_t *f)
{
    const char *ep = f->hub.endpoint;
    uint8_t id[16];
    bc_id_new(id);
    assert_int_equal(bc_submit(ep, id, "HP-HB-QT", "2023-12", 1, 1704067200,
                               "sdd_u5=776,sdd_u2=308"),
                     BAOCAO__ACK_STATUS__ACK_STORED);
    assert_int_equal(bc_submit(ep, id, "HP-HB-QT", "2023-12", 1, 1704067200,
                               "sdd_u5=776,sdd_u2=308"),
                     BAOCAO__ACK_STATUS__ACK_DUPLICATE);
    assert_int_equal(bc_submit(ep, NULL, "HP-HB-HV", "2023-12", 1, 1704067200,
                               "sdd_u5=1200"),
                     BAOCAO__ACK_STATUS__ACK_STORED);
    assert_int_equal(bc_submit(ep, NULL, "HP-HB-HV", "2023-12", 2, 1704100000,
                               "sdd_u5=1221"),
                     BAOCAO__ACK_STATUS__ACK_STORED);
    assert_int_equal(bc_submit(ep, NULL, "HP-HB-HV", "2023-12", 3, 1704200000,
                               "sdd_u5=1222"),
                     BAOCAO__ACK_STATUS__ACK_STORED);
    assert_int_equal(bc_submit(ep, NULL, "HP-HB-SD", "2023-12", 1, 1704067200,
                               "no_such=1"),
                     BAOCAO__ACK_STATUS__ACK_REJECTED);
    assert_int_equal(bc_submit(ep, NULL, "XX", "2023-12", 1, 1704067200,
                               "sdd_u5=1"),
                     BAOCAO__ACK_STATUS__ACK_REJECTED);
    assert_int_equal(bc_submit(ep, NULL, "HP-HB-SD", "2023-12", 1, 1704067200,
                               "sdd_u5=1257"),
                     BAOCAO__ACK_STATUS__ACK_STORED);
    assert_int_equal(bc_submit(ep, NULL, "HP-HB-SD", "2023-11", 1, 1704067200,
                               "sdd_u5=-3"),
                     BAOCAO__ACK_STATUS__ACK_REJECTED);
    for (int i = 0; i < 20; i++) {
        char period[16];
        snprintf(period, sizeof period, "2022-%02d", i % 12 + 1);
        bc_submit(ep, NULL, i < 12 ? "HP-HB-MK" : "HP-HB-TL", period, 1,
                  1700000000, "sxh_cases=3,births=2");
    }
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    f->dir = bc_tmpdir("audit");
    bc_hub_init(&f->hub);
    bc_hub_start(&f->hub, f->dir, NULL, NULL);
    mixed_stream(f);
    snprintf(f->export, sizeof f->export, "%s", bc_path(f->dir, "log.bca"));
    const char *argv[] = {"audit", "export", "--store", f->hub.store, "--out",
                          f->export, NULL};
    assert_int_equal(bc_run("baocao", argv, NULL), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    bc_hub_stop(&f->hub);
    bc_rmtree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

/* The export file as records: offsets and lengths of each delimited
 * message (record 0 is the header). */
typedef struct {
    uint8_t *data;      /* whole file */
    size_t len;         /* its length */
    size_t off[64];     /* record starts (at the length prefix) */
    size_t size[64];    /* record sizes, prefix included */
    size_t n;           /* records */
} records_t;

static void load_records(const char *path, records_t *r)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    r->len = (size_t) ftell(fp);
    fseek(fp, 0, SEEK_SET);
    r->data = malloc(r->len);
    assert_int_equal(fread(r->data, 1, r->len, fp), r->len);
    fclose(fp);
    r->n = 0;
    for (size_t pos = 0; pos < r->len && r->n < 64;) {
        uint64_t l = 0;
        int shift = 0;
        size_t start = pos;
        while (r->data[pos] & 0x80) {
            l |= (uint64_t) (r->data[pos++] & 0x7f) << shift;
            shift += 7;
        }
        l |= (uint64_t) r->data[pos++] << shift;
        r->off[r->n] = start;
        r->size[r->n++] = pos - start + l;
        pos += l;
    }
}

static void save(const char *path, const uint8_t *data, size_t len)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    fclose(fp);
}

static int verify(const char *file, char **out)
{
    const char *argv[] = {"audit", "verify", file, NULL};
    return bc_run("baocao", argv, out);
}

static void test_export_verifies(void **state)
{
    fixture_t *f = *state;
    char *out = NULL;
    assert_int_equal(verify(f->export, &out), 0);
    assert_non_null(strstr(out, "OK: 30 entries"));
    free(out);
    /* The live store verifies too. */
    const char *argv[] = {"audit", "verify", "--store", f->hub.store, NULL};
    assert_int_equal(bc_run("baocao", argv, &out), 0);
    assert_non_null(strstr(out, "OK"));
    free(out);
}

static void test_tampering_is_named(void **state)
{
    fixture_t *f = *state;
    records_t r;
    load_records(f->export, &r);
    assert_int_equal(r.n, 31);   /* header + the registry version + 29 entries */
    char bad[4096];
    snprintf(bad, sizeof bad, "%s", bc_path(f->dir, "bad.bca"));
    char *out = NULL;

    /* 1. One byte flipped in entry 5, inside the request bytes it carries
     * (before the two 34-byte hash fields that end each entry). */
    uint8_t *copy = malloc(r.len);
    memcpy(copy, r.data, r.len);
    copy[r.off[5] + r.size[5] - 80] ^= 0x01;
    save(bad, copy, r.len);
    assert_int_equal(verify(bad, &out), 1);
    assert_non_null(strstr(out, "entry 5 "));
    free(out);

    /* 2. Entry 7 deleted. */
    size_t len = 0;
    for (size_t i = 0; i < r.n; i++)
        if (i != 7) {
            memcpy(copy + len, r.data + r.off[i], r.size[i]);
            len += r.size[i];
        }
    save(bad, copy, len);
    assert_int_equal(verify(bad, &out), 1);
    assert_non_null(strstr(out, "entry 7 (seq 8)"));
    assert_non_null(strstr(out, "removed"));
    free(out);

    /* 3. Entries 3 and 4 swapped. */
    len = 0;
    for (size_t i = 0; i < r.n; i++) {
        size_t j = i == 3 ? 4 : i == 4 ? 3 : i;
        memcpy(copy + len, r.data + r.off[j], r.size[j]);
        len += r.size[j];
    }
    save(bad, copy, len);
    assert_int_equal(verify(bad, &out), 1);
    assert_non_null(strstr(out, "entry 3 (seq 4)"));
    free(out);

    /* 4. The last entry cut off: the header's count gives it away. */
    save(bad, r.data, r.off[r.n - 1]);
    assert_int_equal(verify(bad, &out), 1);
    assert_non_null(strstr(out, "announces 30"));
    free(out);
    free(copy);
    free(r.data);
}

/* The line "head: seq N hash HEX" from a tool's output, or "" if none. */
static void head_line(const char *out, char line[128])
{
    const char *h = strstr(out, "head: seq ");
    line[0] = '\0';
    if (h)
        snprintf(line, 128, "%.*s", (int) strcspn(h, "\n"), h);
}

/* Writes a varint-delimited record. */
static size_t put_record(uint8_t *dst, const uint8_t *msg, size_t len)
{
    size_t n = 0;
    size_t l = len;
    do {
        dst[n] = l & 0x7f;
        l >>= 7;
        dst[n++] |= l ? 0x80 : 0;
    } while (l);
    memcpy(dst + n, msg, len);
    return n + len;
}

/* The reviewer's forgery: entry 2 deleted, the header's filter set to any
 * text and its count fixed. The verifier used to trust the filter field
 * and print "chain intact". Now it may not claim that for entries it could
 * not chain: the result is PARTIAL, with the gap named, and the head it
 * prints is what the auditor compares with the hub's. */
static void test_forged_filter_is_not_intact(void **state)
{
    fixture_t *f = *state;
    records_t r;
    load_records(f->export, &r);
    assert_int_equal(r.n, 31);
    size_t hlen = r.size[0] - (r.size[0] > 128 ? 2 : 1);
    Baocao__ExportHeader *h = baocao__export_header__unpack(
        NULL, hlen, r.data + r.off[0] + (r.size[0] - hlen));
    assert_non_null(h);
    char filter[] = "unit=HP-HB-HV";
    h->filter = filter;
    h->entries = 29;
    size_t plen;
    uint8_t *packed = bc_wire_pack(&h->base, &plen);
    h->filter = NULL;
    baocao__export_header__free_unpacked(h, NULL);
    uint8_t *copy = malloc(r.len + 64);
    size_t len = put_record(copy, packed, plen);
    free(packed);
    for (size_t i = 1; i < r.n; i++)
        if (i != 2) {
            memcpy(copy + len, r.data + r.off[i], r.size[i]);
            len += r.size[i];
        }
    char bad[4096];
    snprintf(bad, sizeof bad, "%s", bc_path(f->dir, "forged.bca"));
    save(bad, copy, len);
    free(copy);
    free(r.data);

    char *out = NULL;
    assert_int_equal(verify(bad, &out), 0);
    assert_null(strstr(out, "intact"));
    assert_null(strstr(out, "OK"));
    assert_non_null(strstr(out, "PARTIAL: 29 entries (seq 1..30) in 2 "
                                "chained runs"));
    assert_non_null(strstr(out, "NOT proven complete"));
    assert_non_null(strstr(out, "1 entries left out in 1 gaps (seq 2)"));
    assert_non_null(strstr(out, "head: seq 30 hash "));
    free(out);
}

/* Every verify prints the head; `audit head` prints the live hub's, from
 * its store or over the wire, in the same form: equal lines prove that the
 * export's chain ends in the hub's log. */
static void test_heads_compare(void **state)
{
    fixture_t *f = *state;
    char file_head[128], store_head[128], live_head[128], hub_head[128];
    char *out = NULL;
    assert_int_equal(verify(f->export, &out), 0);
    assert_non_null(strstr(out, "chain intact from the start of the log"));
    head_line(out, file_head);
    free(out);
    assert_non_null(strstr(file_head, "head: seq 30 hash "));
    assert_int_equal(strlen(file_head), strlen("head: seq 30 hash ") + 64);

    const char *vargv[] = {"audit", "verify", "--store", f->hub.store, NULL};
    assert_int_equal(bc_run("baocao", vargv, &out), 0);
    head_line(out, store_head);
    free(out);
    assert_string_equal(store_head, file_head);

    const char *sargv[] = {"audit", "head", "--store", f->hub.store, NULL};
    assert_int_equal(bc_run("baocao", sargv, &out), 0);
    head_line(out, live_head);
    free(out);
    assert_string_equal(live_head, file_head);

    const char *hargv[] = {"audit", "head", "--hub", f->hub.endpoint,
                           "--plain", NULL};
    assert_int_equal(bc_run("baocao", hargv, &out), 0);
    head_line(out, hub_head);
    free(out);
    assert_string_equal(hub_head, file_head);

    /* One more submission moves the live head past the export's. */
    assert_int_equal(bc_submit(f->hub.endpoint, NULL, "HP-HB-QT", "2023-09",
                               1, 1700000000, "sdd_u5=1"),
                     BAOCAO__ACK_STATUS__ACK_STORED);
    assert_int_equal(bc_run("baocao", hargv, &out), 0);
    head_line(out, hub_head);
    free(out);
    assert_non_null(strstr(hub_head, "head: seq 31 hash "));

    /* The export now ends before the live head: --seq asks for the hash
     * where it ends, from the hub and from the store alike. */
    const char *at29[] = {"audit", "head", "--hub", f->hub.endpoint,
                          "--plain", "--seq", "30", NULL};
    assert_int_equal(bc_run("baocao", at29, &out), 0);
    head_line(out, hub_head);
    free(out);
    assert_string_equal(hub_head, file_head);
    const char *sat29[] = {"audit", "head", "--store", f->hub.store, "--seq",
                           "30", NULL};
    assert_int_equal(bc_run("baocao", sat29, &out), 0);
    head_line(out, live_head);
    free(out);
    assert_string_equal(live_head, file_head);
    /* No such entry: exit 1, nothing printed as a head. */
    const char *at99[] = {"audit", "head", "--hub", f->hub.endpoint,
                          "--plain", "--seq", "99", NULL};
    assert_int_equal(bc_run("baocao", at99, &out), 1);
    assert_null(strstr(out, "head:"));
    free(out);
    const char *sat99[] = {"audit", "head", "--store", f->hub.store, "--seq",
                           "99", NULL};
    assert_int_equal(bc_run("baocao", sat99, NULL), 1);

    /* A genuine filtered export: PARTIAL, its gaps listed, never
     * "intact"; its head is the last entry it holds. */
    char part[4096];
    snprintf(part, sizeof part, "%s", bc_path(f->dir, "hv.bca"));
    const char *eargv[] = {"audit", "export", "--store", f->hub.store,
                           "--out", part, "--unit", "HP-HB-HV", NULL};
    assert_int_equal(bc_run("baocao", eargv, NULL), 0);
    assert_int_equal(verify(part, &out), 0);
    assert_non_null(strstr(out, "PARTIAL: 3 entries (seq 4..6) in 1 "
                                "chained run,"));
    assert_non_null(strstr(out, "gaps: none between seq 4 and 6"));
    assert_null(strstr(out, "intact"));
    assert_non_null(strstr(out, "head: seq 6 hash "));
    free(out);

    /* Usage: exactly one source. */
    const char *both[] = {"audit", "head", "--hub", f->hub.endpoint,
                          "--store", f->hub.store, NULL};
    assert_int_equal(bc_run("baocao", both, NULL), 2);
    const char *none[] = {"audit", "head", NULL};
    assert_int_equal(bc_run("baocao", none, NULL), 2);
}

static void test_history(void **state)
{
    fixture_t *f = *state;
    const char *argv[] = {"audit", "history", "--store", f->hub.store,
                          "--unit", "HP-HB-HV", "--period", "2023-12", NULL};
    char *out = NULL;
    assert_int_equal(bc_run("baocao", argv, &out), 0);
    /* Three revisions, oldest first, the third current. */
    char *r1 = strstr(out, "\n1 "), *r2 = strstr(out, "\n2 "),
         *r3 = strstr(out, "\n3 ");
    assert_true(r1 && r2 && r3 && r1 < r2 && r2 < r3);
    char *current = strstr(out, "current");
    assert_non_null(current);
    assert_true(current > r3);
    assert_null(strstr(current + 1, "current"));
    free(out);
}

/* One submission written straight into a store, as a hub from before the
 * filed_at window (issue #18) accepted it: raw bytes and item agree. */
static void legacy_ingest(hub_store_t *store, const bc_registry_t *reg,
                          const char *unit, const char *period,
                          int64_t filed_at, int64_t v)
{
    uint8_t id[16], raw[256];
    bc_id_new(id);
    Baocao__Value val = BAOCAO__VALUE__INIT;
    Baocao__Value *vals[1] = {&val};
    Baocao__Submission sub = BAOCAO__SUBMISSION__INIT;
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    val.indicator = "sdd_u5";
    val.v_case = BAOCAO__VALUE__V_COUNT;
    val.count = v;
    sub.id.data = id;
    sub.id.len = 16;
    sub.unit = (char *) unit;
    sub.period = (char *) period;
    sub.revision = 1;
    sub.filed_at = filed_at;
    sub.n_values = 1;
    sub.values = vals;
    req.version = 1;
    req.body_case = BAOCAO__REQUEST__BODY_SUBMIT;
    req.submit = &sub;
    assert_true(protobuf_c_message_get_packed_size(&req.base) <= sizeof raw);
    hub_item_t it;
    memset(&it, 0, sizeof it);
    it.raw = raw;
    it.raw_len = protobuf_c_message_pack(&req.base, raw);
    it.peer = "";
    it.id = id;
    it.unit = bc_registry_find_unit(reg, unit);
    assert_non_null(it.unit);
    assert_int_equal(bc_period_parse(period, &it.period), 0);
    it.revision = 1;
    it.filed_at = filed_at;
    hub_val_t hv = {bc_registry_find_indicator(reg, "sdd_u5")->sid, 1, v};
    it.vals = &hv;
    it.nvals = 1;
    assert_int_equal(hub_store_ingest(store, &it, 1, 0), BC_OK);
    assert_int_equal(it.status, BAOCAO__ACK_STATUS__ACK_STORED);
}

/* A time no calendar can show (filed_at 10^17 s, past year 2^31) is
 * printed as its raw value: `audit history` once handed gmtime_r's NULL to
 * strftime (a segfault), and `completeness` printed garbage dates. A hub
 * now refuses such a filed_at (BAD_FILED_AT), but a store filled by an
 * older hub may hold one, so the tools are tried on such a store. */
static void test_wild_times_print(void **state)
{
    fixture_t *f = *state;
    const int64_t wild = 100000000000000000LL;
    assert_int_equal(bc_submit(f->hub.endpoint, NULL, "HP-HB-QT", "2023-10",
                               1, wild, "sdd_u5=5"),
                     BAOCAO__ACK_STATUS__ACK_REJECTED);

    char dir[2048], store[4096], err[512];
    snprintf(dir, sizeof dir, "%s", bc_path(f->dir, "legacy"));
    assert_int_equal(mkdir(dir, 0700), 0);
    snprintf(store, sizeof store, "%s/hub", dir);
    bc_registry_t *reg = bc_registry_load(bc_source("data/units.csv"),
                                          bc_source("data/indicators.csv"),
                                          err, sizeof err);
    assert_non_null(reg);
    hub_store_t *hs = hub_store_open(store, 64 << 20, reg, err, sizeof err);
    assert_non_null(hs);
    legacy_ingest(hs, reg, "HP-HB-QT", "2023-10", wild, 5);
    legacy_ingest(hs, reg, "HP-HB-HV", "2023-10", -wild, 6);
    hub_store_close(&hs);
    bc_registry_destroy(&reg);

    const char *hargv[] = {"audit", "history", "--store", store,
                           "--unit", "HP-HB-QT", "--period", "2023-10",
                           NULL};
    char *out = NULL;
    assert_int_equal(bc_run("baocao", hargv, &out), 0);
    assert_non_null(strstr(out, "@100000000000000000"));
    free(out);
    bc_hub_t legacy;
    bc_hub_init(&legacy);
    bc_hub_start(&legacy, dir, NULL, NULL);
    const char *cargv[] = {"completeness", "--hub", legacy.endpoint,
                           "--plain", "--unit", "HP-HB", "--period",
                           "2023-10", NULL};
    assert_int_equal(bc_run("baocao", cargv, &out), 0);
    assert_non_null(strstr(out, "@100000000000000000"));
    assert_non_null(strstr(out, "@-100000000000000000"));
    free(out);
    const char *jargv[] = {"completeness", "--hub", legacy.endpoint,
                           "--plain", "--unit", "HP-HB", "--period",
                           "2023-10", "--format", "json", NULL};
    assert_int_equal(bc_run("baocao", jargv, &out), 0);
    assert_non_null(strstr(out, "@100000000000000000"));
    free(out);
    assert_int_equal(bc_hub_stop(&legacy), 0);
}

static void digest_of(const char *store, char out[65])
{
    const char *argv[] = {"audit", "digest", "--store", store, NULL};
    char *text = NULL;
    assert_int_equal(bc_run("baocao", argv, &text), 0);
    assert_true(strlen(text) > 64);
    memcpy(out, text, 64);
    out[64] = '\0';
    free(text);
}

static void test_replay_reproduces(void **state)
{
    fixture_t *f = *state;
    char fresh[4096], reg[4096], cat[4096], live[65], again[65];
    snprintf(fresh, sizeof fresh, "%s", bc_path(f->dir, "replayed"));
    snprintf(reg, sizeof reg, "%s", bc_source("data/units.csv"));
    snprintf(cat, sizeof cat, "%s", bc_source("data/indicators.csv"));
    const char *argv[] = {"audit", "replay", f->export, "--into", fresh,
                          "--registry", reg, "--catalog", cat, NULL};
    assert_int_equal(bc_run("baocao", argv, NULL), 0);
    digest_of(f->hub.store, live);
    digest_of(fresh, again);
    assert_string_equal(live, again);

    /* Issue 12: a replay whose outcomes differ from the logged ones (here
     * a registry without the units that filed) exits 1 and names the
     * first divergent entry; it used to warn and exit 0. */
    {
        char wrong[4096], bad[4096];
        snprintf(wrong, sizeof wrong, "%s", bc_path(f->dir, "wrong.csv"));
        bc_write_file(wrong, "code,parent_code,level,name\nXX,,province,X\n");
        snprintf(bad, sizeof bad, "%s", bc_path(f->dir, "diverged"));
        /* An export of an older hub: without the registry version the
         * hub now logs first (record 1), so --registry decides. */
        records_t r;
        load_records(f->export, &r);
        char old_export[4096];
        snprintf(old_export, sizeof old_export, "%s",
                 bc_path(f->dir, "older.bca"));
        uint8_t *copy = malloc(r.len);
        size_t len = 0;
        for (size_t i = 0; i < r.n; i++)
            if (i != 1) {
                memcpy(copy + len, r.data + r.off[i], r.size[i]);
                len += r.size[i];
            }
        save(old_export, copy, len);
        free(copy);
        free(r.data);
        const char *bargv[] = {"audit", "replay", old_export, "--into", bad,
                               "--registry", wrong, "--catalog", cat, NULL};
        char *out = NULL;
        assert_int_equal(bc_run_all("baocao", bargv, &out), 1);
        if (!out || !strstr(out, "diverges from the log") ||
            !strstr(out, "the first at seq 2: now rejected"))
            fail_msg("replay said: %s", out ? out : "");
        free(out);
    }

    /* The replayed store's own log verifies, and a hub on it gives the
     * same answers. */
    const char *vargv[] = {"audit", "verify", "--store", fresh, NULL};
    assert_int_equal(bc_run("baocao", vargv, NULL), 0);
    int64_t a, b;
    assert_true(bc_query_value(f->hub.endpoint, "HP-HB", "2023-12", "sdd_u5",
                               &a));
    char dir2[4096];
    snprintf(dir2, sizeof dir2, "%s", bc_path(f->dir, "second"));
    char cmd[16384];
    snprintf(cmd, sizeof cmd, "mkdir -p %s && cp -r %s %s/hub", dir2, fresh,
             dir2);
    assert_int_equal(system(cmd), 0);
    bc_hub_t second = BC_HUB_INIT;
    bc_hub_start(&second, dir2, NULL, NULL);
    assert_true(bc_query_value(second.endpoint, "HP-HB", "2023-12", "sdd_u5",
                               &b));
    assert_int_equal(a, b);
    assert_int_equal(a, 776 + 1222 + 1257);

    /* Replay --to another hub: it treats them like any other. */
    char dir3[4096];
    snprintf(dir3, sizeof dir3, "%s", bc_path(f->dir, "staging"));
    snprintf(cmd, sizeof cmd, "mkdir -p %s", dir3);
    assert_int_equal(system(cmd), 0);
    bc_hub_t staging = BC_HUB_INIT;
    bc_hub_start(&staging, dir3, NULL, NULL);
    const char *targv[] = {"audit", "replay", f->export, "--to",
                           staging.endpoint, "--plain", NULL};
    char *out = NULL;
    /* The export holds rejected submissions too: rejected again, exit 1
     * (any rejection is exit 1, issue 15). */
    assert_int_equal(bc_run("baocao", targv, &out), 1);
    assert_non_null(strstr(out, "duplicate"));
    free(out);
    assert_true(bc_query_value(staging.endpoint, "HP-HB", "2023-12", "sdd_u5",
                               &b));
    assert_int_equal(a, b);
    bc_hub_stop(&staging);
    bc_hub_stop(&second);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_export_verifies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tampering_is_named, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_forged_filter_is_not_intact,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_heads_compare, setup, teardown),
        cmocka_unit_test_setup_teardown(test_history, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wild_times_print, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_replay_reproduces, setup,
                                        teardown),
    };
    return cmocka_run_group_tests_name("integration.audit", tests, NULL, NULL);
}
