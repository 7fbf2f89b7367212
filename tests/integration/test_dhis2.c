/*
 * test_dhis2.c -- DHIS2 out and in, end to end with the real programs:
 *
 *   - documents written here by hand after DHIS2's documentation (a JSON
 *     dataValueSet, the CSV form, an ADX document) import into a node's
 *     outbox as the right reports; the documentation's disaggregated
 *     examples are refused as conflicts and change nothing;
 *   - an export of a hub (every format, with and without a mapping),
 *     imported into a fresh node and delivered to a fresh hub, gives the
 *     same `audit digest`;
 *   - export shapes: a unit's total, its children, no ratio as a value;
 *   - import's life: --dry-run files nothing, a re-import is ignored, a
 *     change is an update (the next revision), bad files change nothing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bc_error.h"
#include "bc_report.h"
#include "bc_test.h"
#include "bc_wire.h"
#include "node_outbox.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct {
    char *dir;          /* temporary folder */
    bc_hub_t hub;       /* the hub whose figures are exported */
} fixture_t;

static const char *wards[9] = {"HP-HB-QT", "HP-HB-HV", "HP-HB-SD",
                               "HP-HB-TC", "HP-HB-TL", "HP-HB-HL",
                               "HP-HB-HVT", "HP-HB-PBC", "HP-HB-MK"};

/* The nine ward reports of the Hồng Bàng fixture, and the district
 * centre's own report (it reports and has sub-units), straight to the hub.
 * A stock (hiv_arv) and a reported 0 are among them. */
static void load_hub(fixture_t *f)
{
    const char *codes[9];
    char err[256];
    bc_hongbang_reports(f->dir, codes);
    for (int i = 0; i < 9; i++) {
        char name[64], values[512] = "";
        snprintf(name, sizeof name, "%s.csv", codes[i]);
        bc_report_t *r = NULL;
        assert_int_equal(bc_report_load(bc_path(f->dir, name), &r, err,
                                        sizeof err), 0);
        for (size_t k = 0; k < r->nvalues; k++) {
            size_t n = strlen(values);
            snprintf(values + n, sizeof values - n, "%s%s=%lld", k ? "," : "",
                     r->values[k].indicator, (long long) r->values[k].count);
        }
        if (i == 0)
            strcat(values, ",hiv_arv=5,sxh_cases=0");
        bc_report_destroy(&r);
        assert_int_equal(bc_submit(f->hub.endpoint, NULL, codes[i], "2023-12",
                                   1, 1704067200, values),
                         BAOCAO__ACK_STATUS__ACK_STORED);
    }
    assert_int_equal(bc_submit(f->hub.endpoint, NULL, "HP-HB", "2023-12", 1,
                               1704067200, "sdd_u5=40,hiv_arv=12,births=7"),
                     BAOCAO__ACK_STATUS__ACK_STORED);
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    f->dir = bc_tmpdir("dhis2");
    bc_hub_init(&f->hub);
    bc_hub_start(&f->hub, f->dir, NULL, NULL);
    load_hub(f);
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

/* --- helpers ------------------------------------------------------------- */

/* `baocao import`; returns its exit status and its summary (parsed, or NULL
 * when it printed none). */
static int import(const char *store, const char *file, const char *mapping,
                  bool dry_run, cJSON **summary)
{
    const char *argv[10] = {"import", "--store", store, "--file", file};
    size_t n = 5;
    if (mapping) {
        argv[n++] = "--mapping";
        argv[n++] = mapping;
    }
    if (dry_run)
        argv[n++] = "--dry-run";
    argv[n] = NULL;
    char *out = NULL;
    int rc = bc_run("baocao", argv, &out);
    *summary = out && out[0] ? cJSON_Parse(out) : NULL;
    free(out);
    return rc;
}

static double count_of(const cJSON *summary, const char *what)
{
    const cJSON *ic = cJSON_GetObjectItem(summary, "importCount");
    assert_non_null(ic);
    const cJSON *v = cJSON_GetObjectItem(ic, what);
    assert_non_null(v);
    return v->valuedouble;
}

static const char *report_status(const cJSON *summary, const char *unit,
                                 const char *period)
{
    const cJSON *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItem(summary, "reports")) {
        if (!strcmp(cJSON_GetObjectItem(r, "unit")->valuestring, unit)
            && !strcmp(cJSON_GetObjectItem(r, "period")->valuestring,
                       period))
            return cJSON_GetObjectItem(r, "status")->valuestring;
    }
    return NULL;
}

/* The figure the outbox last filed for (unit, period, indicator), or -1
 * when it has none. Also checks the revision when want_rev is not 0. */
static long long outbox_value(const char *store, const char *unit,
                              const char *period, const char *indicator,
                              uint32_t want_rev)
{
    char err[256];
    node_outbox_t *o = node_outbox_open(store, err, sizeof err);
    assert_non_null(o);
    bc_report_t *r = NULL;
    uint32_t rev = 0;
    long long v = -1;
    if (node_outbox_latest(o, unit, period, &r, &rev) == BC_OK) {
        if (want_rev)
            assert_int_equal(rev, want_rev);
        for (size_t i = 0; i < r->nvalues; i++)
            if (!strcmp(r->values[i].indicator, indicator)) {
                assert_true(r->values[i].is_integer);
                v = r->values[i].count;
            }
        bc_report_destroy(&r);
    }
    node_outbox_close(&o);
    return v;
}

static uint64_t outbox_entries(const char *store)
{
    char err[256];
    node_outbox_t *o = node_outbox_open(store, err, sizeof err);
    assert_non_null(o);
    node_stats_t st;
    assert_int_equal(node_outbox_stats(o, &st), BC_OK);
    node_outbox_close(&o);
    return st.pending + st.in_flight + st.delivered + st.rejected;
}

/* `baocao export` of the fixture's hub into a file; returns exit status. */
static int export(fixture_t *f, const char *unit, const char *period,
                  const char *scope, const char *format, const char *mapping,
                  const char *out)
{
    const char *argv[20] = {"export", "--hub", f->hub.endpoint, "--plain",
                            "--unit", unit, "--period", period, "--format",
                            format, "--out", out, "--registry",
                            bc_source("data/units.csv")};
    size_t n = 14;
    argv[n++] = "--catalog";
    argv[n++] = bc_source("data/indicators.csv");
    if (scope)
        argv[n++] = scope;
    if (mapping) {
        argv[n++] = "--mapping";
        argv[n++] = mapping;
    }
    argv[n] = NULL;
    return bc_run("baocao", argv, NULL);
}

/* `baocao audit digest` of a store: the hash and the report count. */
static char *digest(const char *store)
{
    const char *argv[] = {"audit", "digest", "--store", store, NULL};
    char *out = NULL;
    assert_int_equal(bc_run("baocao", argv, &out), 0);
    char *cut = strstr(out, "  log at");   /* the seq differs, by design */
    assert_non_null(cut);
    *cut = '\0';
    return out;
}

static void drain(const char *store, const char *endpoint)
{
    const char *argv[] = {"--store", store, "--unit", "HP-HB", "--hub",
                          endpoint, "--plain", "--drain", "--max-seconds",
                          "60", "--timeout", "2000", NULL};
    bc_proc_t p = bc_spawn("baocao-node", argv, NULL);
    assert_int_equal(bc_wait(&p, 90000), 0);
}

/* --- documents from DHIS2's documentation -------------------------------- */

static void test_dhis2_documents_import(void **state)
{
    fixture_t *f = *state;
    char store[4096], map[4096], file[4096];
    cJSON *s;
    snprintf(store, sizeof store, "%s", bc_path(f->dir, "docs-node"));
    snprintf(map, sizeof map, "%s", bc_path(f->dir, "docs-map.csv"));
    bc_write_file(map,
                  "kind,ours,theirs\n"
                  "unit,HP-HB-QT,DiszpKrYNg8\n"
                  "unit,HP-HB-HV,gP6hn503KUX\n"
                  "unit,HP-HB-SD,OjTS752GbZE\n"
                  "unit,HP-HB-TC,OU_559\n"
                  "indicator,sdd_u5,f7n9E0hX8qk\n"
                  "indicator,sdd_u2,Ix2HsbDMLea\n"
                  "indicator,sdd_malnourished,eY5ehpbEsB7\n"
                  "indicator,sxh_cases,DUSpd8Jq3M7\n"
                  "indicator,sr_blood_slides,MAL_POP_AT_RISK\n"
                  "indicator,sr_cases,MAL-CASES\n");

    /* The Web API guide's dataValueSet (Mortality < 5 years, Ngelehun CHC,
     * January 2014), with its placeholders filled with the default combo. */
    snprintf(file, sizeof file, "%s", bc_path(f->dir, "ngelehun.json"));
    bc_write_file(file,
                  "{\n"
                  "  \"dataSet\": \"pBOMPrpg1QX\",\n"
                  "  \"completeDate\": \"2014-02-03\",\n"
                  "  \"period\": \"201401\",\n"
                  "  \"orgUnit\": \"DiszpKrYNg8\",\n"
                  "  \"attributeOptionCombo\": \"HllvX50cXC0\",\n"
                  "  \"dataValues\": [\n"
                  "    { \"dataElement\": \"f7n9E0hX8qk\", "
                  "\"categoryOptionCombo\": \"HllvX50cXC0\", \"value\": \"1\","
                  " \"comment\": \"comment1\" },\n"
                  "    { \"dataElement\": \"Ix2HsbDMLea\", "
                  "\"categoryOptionCombo\": \"HllvX50cXC0\", \"value\": \"2\","
                  " \"comment\": \"comment2\" },\n"
                  "    { \"dataElement\": \"eY5ehpbEsB7\", "
                  "\"categoryOptionCombo\": \"HllvX50cXC0\", \"value\": \"3\","
                  " \"comment\": \"comment3\" }\n"
                  "  ]\n"
                  "}\n");
    assert_int_equal(import(store, file, map, false, &s), 0);
    assert_non_null(s);
    assert_string_equal(cJSON_GetObjectItem(s, "status")->valuestring,
                        "SUCCESS");
    assert_int_equal((int) count_of(s, "imported"), 3);
    assert_string_equal(report_status(s, "HP-HB-QT", "2014-01"), "imported");
    cJSON_Delete(s);
    assert_int_equal(outbox_value(store, "HP-HB-QT", "2014-01", "sdd_u5", 1),
                     1);
    assert_int_equal(outbox_value(store, "HP-HB-QT", "2014-01", "sdd_u2", 1),
                     2);
    assert_int_equal(outbox_value(store, "HP-HB-QT", "2014-01",
                                  "sdd_malnourished", 1), 3);

    /* The CSV import guide's example, in today's column layout, default
     * combos: two org units, so two reports. */
    snprintf(file, sizeof file, "%s", bc_path(f->dir, "bombali.csv"));
    bc_write_file(file,
                  "\"dataelement\",\"period\",\"orgunit\",\"catoptcombo\","
                  "\"attroptcombo\",\"value\",\"storedby\",\"lastupdated\","
                  "\"comment\",\"followup\"\n"
                  "\"DUSpd8Jq3M7\",\"201202\",\"gP6hn503KUX\",,,\"7\","
                  "\"bombali\",\"2010-04-17\",,\"false\"\n"
                  "\"DUSpd8Jq3M7\",\"201202\",\"OjTS752GbZE\",,,\"9\","
                  "\"bombali\",\"2010-04-06\",,\"false\"\n");
    assert_int_equal(import(store, file, map, false, &s), 0);
    assert_int_equal((int) count_of(s, "imported"), 2);
    cJSON_Delete(s);
    assert_int_equal(outbox_value(store, "HP-HB-HV", "2012-02", "sxh_cases",
                                  1), 7);
    assert_int_equal(outbox_value(store, "HP-HB-SD", "2012-02", "sxh_cases",
                                  1), 9);

    /* The ADX profile's example shape: a group per org unit and period. */
    snprintf(file, sizeof file, "%s", bc_path(f->dir, "malaria.xml"));
    bc_write_file(file,
                  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                  "<adx xmlns=\"urn:ihe:qrph:adx:2015\" "
                  "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
                  "exported=\"2015-02-08T19:30:00Z\">\n"
                  "  <group orgUnit=\"OU_559\" period=\"2015-06-01/P1M\" "
                  "completeDate=\"2015-07-01\" dataSet=\"MALARIA\">\n"
                  "    <dataValue dataElement=\"MAL_POP_AT_RISK\" "
                  "value=\"1200\"/>\n"
                  "    <dataValue dataElement=\"MAL-CASES\" value=\"32\"/>\n"
                  "  </group>\n"
                  "</adx>\n");
    assert_int_equal(import(store, file, map, false, &s), 0);
    assert_int_equal((int) count_of(s, "imported"), 2);
    cJSON_Delete(s);
    assert_int_equal(outbox_value(store, "HP-HB-TC", "2015-06",
                                  "sr_blood_slides", 1), 1200);
    assert_int_equal(outbox_value(store, "HP-HB-TC", "2015-06", "sr_cases",
                                  1), 32);
    uint64_t filed = outbox_entries(store);
    assert_int_equal(filed, 4);

    /* The CSV guide's rows as printed: disaggregated by category option
     * combos baocao does not have. Conflicts, exit 1, nothing filed. */
    snprintf(file, sizeof file, "%s", bc_path(f->dir, "disaggregated.csv"));
    bc_write_file(file,
                  "\"dataelelement\",\"period\",\"orgunit\","
                  "\"categoryoptioncombo\",\"value\",\"storedby\","
                  "\"timestamp\",\"comment\",\"followup\"\n"
                  "\"DUSpd8Jq3M7\",\"201202\",\"gP6hn503KUX\",\"Prlt0C1RF0s\","
                  "\"7\",\"bombali\",\"2010-04-17\",,\"false\"\n"
                  "\"DUSpd8Jq3M7\",\"201202\",\"gP6hn503KUX\",\"V6L425pT3A0\","
                  "\"10\",\"bombali\",\"2010-04-17\",,\"false\"\n"
                  "\"DUSpd8Jq3M7\",\"201202\",\"OjTS752GbZE\",\"V6L425pT3A0\","
                  "\"9\",\"bombali\",\"2010-04-06\",,\"false\"\n");
    assert_int_equal(import(store, file, map, false, &s), 1);
    assert_string_equal(cJSON_GetObjectItem(s, "status")->valuestring,
                        "ERROR");
    const cJSON *conf = cJSON_GetObjectItem(s, "conflicts");
    assert_int_equal(cJSON_GetArraySize(conf), 3);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(conf, 0),
                                            "errorCode")->valuestring,
                        "DISAGGREGATED");
    assert_non_null(strstr(cJSON_GetObjectItem(cJSON_GetArrayItem(conf, 0),
                                               "value")->valuestring,
                           "disaggregated.csv:2"));
    cJSON_Delete(s);

    /* ADX's disaggregation by attribute (GENDER="FMLE"): the same. */
    snprintf(file, sizeof file, "%s", bc_path(f->dir, "vcct.xml"));
    bc_write_file(file,
                  "<adx xmlns=\"urn:ihe:qrph:adx:2015\" "
                  "exported=\"2015-02-08T19:30:00Z\">\n"
                  "  <group orgUnit=\"OU_559\" period=\"2015-06-01/P1M\">\n"
                  "    <dataValue dataElement=\"MAL-CASES\" value=\"1\"/>\n"
                  "    <dataValue dataElement=\"MAL_POP_AT_RISK\" "
                  "GENDER=\"FMLE\" value=\"32\"/>\n"
                  "  </group>\n"
                  "</adx>\n");
    assert_int_equal(import(store, file, map, false, &s), 1);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(s, "conflicts")),
                     1);
    cJSON_Delete(s);
    assert_int_equal(outbox_entries(store), filed);
    assert_int_equal(outbox_value(store, "HP-HB-TC", "2015-06", "sr_cases",
                                  1), 32);
}

/* --- export, re-import, same digest ------------------------------------- */

static void roundtrip(fixture_t *f, const char *format, const char *mapping,
                      const char *tag)
{
    char file[4096], store[4096], hubdir[4096], name[64];
    snprintf(name, sizeof name, "export-%s", tag);
    snprintf(file, sizeof file, "%s", bc_path(f->dir, name));
    snprintf(name, sizeof name, "node-%s", tag);
    snprintf(store, sizeof store, "%s", bc_path(f->dir, name));
    snprintf(name, sizeof name, "hub-%s", tag);
    snprintf(hubdir, sizeof hubdir, "%s", bc_path(f->dir, name));
    mkdir(hubdir, 0700);

    assert_int_equal(export(f, "HP-HB", "2023-12", "--descendants", format,
                            mapping, file), 0);
    if (mapping) {
        /* The mapped identifiers are in the file, our codes are not. */
        char *text = bc_read_text(file);
        assert_non_null(strstr(text, "uQTward0001"));
        assert_non_null(strstr(text, "deSddU5xxxx"));
        assert_null(strstr(text, "HP-HB-QT"));
        free(text);
    }
    cJSON *s;
    char fmt_file[4200];
    /* The file name tells import the format. */
    snprintf(fmt_file, sizeof fmt_file, "%s.%s", file,
             !strcmp(format, "adx") ? "xml"
             : !strcmp(format, "dhis2-csv") ? "csv" : "json");
    assert_int_equal(rename(file, fmt_file), 0);
    assert_int_equal(import(store, fmt_file, mapping, false, &s), 0);
    assert_string_equal(cJSON_GetObjectItem(s, "status")->valuestring,
                        "SUCCESS");
    /* 9 wards x 4 figures, 2 more for Quán Toan, 3 of the district's own. */
    assert_int_equal((int) count_of(s, "imported"), 9 * 4 + 2 + 3);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(s, "reports")),
                     10);
    cJSON_Delete(s);

    bc_hub_t fresh = BC_HUB_INIT;
    bc_hub_start(&fresh, hubdir, NULL, NULL);
    drain(store, fresh.endpoint);
    char *want = digest(f->hub.store), *got = digest(fresh.store);
    assert_string_equal(got, want);
    assert_non_null(strstr(want, "10 current reports"));
    free(want);
    free(got);
    /* The district's own stock came back as its own, not its total. */
    int64_t v;
    assert_true(bc_query_value(fresh.endpoint, "HP-HB", "2023-12", "hiv_arv",
                               &v));
    assert_int_equal(v, 17);
    bc_hub_stop(&fresh);
}

static void test_export_reimport_same_digest(void **state)
{
    fixture_t *f = *state;
    roundtrip(f, "dhis2-json", NULL, "json");
    roundtrip(f, "dhis2-csv", NULL, "csv");
    roundtrip(f, "adx", NULL, "adx");
    char map[4096];
    snprintf(map, sizeof map, "%s", bc_path(f->dir, "uids.csv"));
    bc_write_file(map, "kind,ours,theirs\n"
                       "unit,HP-HB-QT,uQTward0001\n"
                       "unit,HP-HB,uHBdistr001\n"
                       "indicator,sdd_u5,deSddU5xxxx\n"
                       "indicator,hiv_arv,deHivArvxxx\n");
    roundtrip(f, "adx", map, "adx-map");
    roundtrip(f, "dhis2-json", map, "json-map");
}

/* --- export shapes ------------------------------------------------------- */

static cJSON *export_json(fixture_t *f, const char *unit, const char *period,
                          const char *scope)
{
    char file[4096];
    snprintf(file, sizeof file, "%s", bc_path(f->dir, "shape.json"));
    assert_int_equal(export(f, unit, period, scope, "dhis2-json", NULL, file),
                     0);
    char *text = bc_read_text(file);
    cJSON *j = cJSON_Parse(text);
    free(text);
    assert_non_null(j);
    return j;
}

/* The value of (orgUnit, dataElement) in an exported set, or -1. */
static long long value_in(const cJSON *set, const char *ou, const char *de,
                          int *count)
{
    long long v = -1;
    const cJSON *dv;
    *count = 0;
    cJSON_ArrayForEach(dv, cJSON_GetObjectItem(set, "dataValues")) {
        assert_string_equal(cJSON_GetObjectItem(dv, "period")->valuestring,
                            "202312");
        assert_null(cJSON_GetObjectItem(dv, "categoryOptionCombo"));
        if (strstr(cJSON_GetObjectItem(dv, "dataElement")->valuestring,
                   "_rate"))
            fail_msg("a ratio was exported as a value");
        (*count)++;
        if (!strcmp(cJSON_GetObjectItem(dv, "orgUnit")->valuestring, ou)
            && !strcmp(cJSON_GetObjectItem(dv, "dataElement")->valuestring,
                       de))
            v = atoll(cJSON_GetObjectItem(dv, "value")->valuestring);
    }
    return v;
}

static void test_export_shapes(void **state)
{
    fixture_t *f = *state;
    int n;
    /* The unit alone: its subtree's totals (the fixture's 7492 children
     * under 5, plus the district's own 40); a DHIS2 period works too. */
    cJSON *j = export_json(f, "HP-HB", "202312", NULL);
    assert_string_equal(cJSON_GetObjectItem(j, "idScheme")->valuestring,
                        "CODE");
    assert_int_equal(value_in(j, "HP-HB", "sdd_u5", &n), 7492 + 40);
    assert_int_equal(value_in(j, "HP-HB", "sdd_underweight", &n), 637);
    assert_int_equal(value_in(j, "HP-HB", "hiv_arv", &n), 17);
    assert_int_equal(n, 7);   /* u5, u2, malnourished, underweight, arv,
                                 sxh (a reported 0), births */
    assert_int_equal(value_in(j, "HP-HB", "sxh_cases", &n), 0);
    cJSON_Delete(j);

    /* Its children: one orgUnit each, with their own totals. */
    j = export_json(f, "HP-HB", "2023-12", "--children");
    assert_int_equal(value_in(j, "HP-HB-QT", "sdd_u5", &n), 776);
    assert_int_equal(n, 9 * 4 + 2);
    assert_int_equal(value_in(j, "HP-HB", "sdd_u5", &n), -1);
    for (int i = 0; i < 9; i++)
        assert_true(value_in(j, wards[i], "sdd_u2", &n) > 0);
    cJSON_Delete(j);

    /* Descendants: the district's own report, not its total. */
    j = export_json(f, "HP-HB", "2023-12", "--descendants");
    assert_int_equal(value_in(j, "HP-HB", "sdd_u5", &n), 40);
    assert_int_equal(value_in(j, "HP-HB", "hiv_arv", &n), 12);
    assert_int_equal(value_in(j, "HP-HB", "sdd_u2", &n), -1);
    assert_int_equal(n, 9 * 4 + 2 + 3);
    cJSON_Delete(j);

    /* A unit the hub does not know: the hub's refusal, exit 1, and no
     * file; bad usage: exit 2. */
    char file[4096];
    snprintf(file, sizeof file, "%s", bc_path(f->dir, "none.json"));
    assert_int_equal(export(f, "XX-NOPE", "2023-12", NULL, "dhis2-json", NULL,
                            file), 1);
    struct stat st;
    assert_int_not_equal(stat(file, &st), 0);
    assert_int_equal(export(f, "HP-HB", "2023-12", NULL, "dhis2-xml", NULL,
                            file), 2);
    assert_int_equal(export(f, "HP-HB", "2023W5", NULL, "adx", NULL, file),
                     2);
}

/* --- import's life ------------------------------------------------------- */

static void test_import_dry_run_reimport_update(void **state)
{
    fixture_t *f = *state;
    char store[4096], file[4096];
    cJSON *s;
    snprintf(store, sizeof store, "%s", bc_path(f->dir, "life-node"));
    snprintf(file, sizeof file, "%s", bc_path(f->dir, "life.json"));
    const char *doc = "{\"orgUnit\": \"HP-HB-MK\", \"dataValues\": ["
                      "{\"dataElement\": \"sdd_u5\", \"period\": \"2023Q4\", "
                      "\"value\": \"950\"},"
                      "{\"dataElement\": \"sdd_u2\", \"period\": \"2023Q4\", "
                      "\"value\": 380},"
                      "{\"dataElement\": \"births\", \"period\": \"202312\", "
                      "\"value\": \"11\"}]}";
    bc_write_file(file, doc);

    /* A dry run judges and files nothing: not even a store is made. */
    assert_int_equal(import(store, file, NULL, true, &s), 0);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(s, "dryRun")));
    assert_int_equal((int) count_of(s, "imported"), 3);
    cJSON_Delete(s);
    struct stat st;
    assert_int_not_equal(stat(store, &st), 0);

    /* The import: two reports (a quarter and a month). */
    assert_int_equal(import(store, file, NULL, false, &s), 0);
    assert_string_equal(report_status(s, "HP-HB-MK", "2023-Q4"), "imported");
    assert_string_equal(report_status(s, "HP-HB-MK", "2023-12"), "imported");
    cJSON_Delete(s);
    assert_int_equal(outbox_entries(store), 2);

    /* Again: the same figures are on file; nothing is filed twice. */
    assert_int_equal(import(store, file, NULL, false, &s), 0);
    assert_int_equal((int) count_of(s, "ignored"), 3);
    assert_int_equal((int) count_of(s, "imported"), 0);
    cJSON_Delete(s);
    assert_int_equal(outbox_entries(store), 2);

    /* A changed figure: a correction of that report only. A dry run first
     * says so and files nothing. */
    bc_write_file(file, "{\"orgUnit\": \"HP-HB-MK\", \"period\": \"2023Q4\","
                        " \"dataValues\": ["
                        "{\"dataElement\": \"sdd_u5\", \"value\": \"951\"},"
                        "{\"dataElement\": \"sdd_u2\", \"value\": \"380\"},"
                        "{\"dataElement\": \"births\", \"period\": \"202312\","
                        " \"value\": \"11\"}]}");
    assert_int_equal(import(store, file, NULL, true, &s), 0);
    assert_string_equal(report_status(s, "HP-HB-MK", "2023-Q4"), "updated");
    cJSON_Delete(s);
    assert_int_equal(outbox_entries(store), 2);
    assert_int_equal(import(store, file, NULL, false, &s), 0);
    assert_int_equal((int) count_of(s, "updated"), 2);
    assert_int_equal((int) count_of(s, "ignored"), 1);
    cJSON_Delete(s);
    assert_int_equal(outbox_entries(store), 3);
    assert_int_equal(outbox_value(store, "HP-HB-MK", "2023-Q4", "sdd_u5", 2),
                     951);

    /* One bad value among good ones: exit 1, each conflict named, nothing
     * filed. */
    bc_write_file(file, "{\"orgUnit\": \"HP-HB-MK\", \"dataValues\": ["
                        "{\"dataElement\": \"sdd_u5\", \"period\": \"202311\","
                        " \"value\": \"12.5\"},"
                        "{\"dataElement\": \"sdd_u2\", \"period\": \"202311\","
                        " \"value\": \"-1\"},"
                        "{\"dataElement\": \"births\", \"period\": \"2023W48\","
                        " \"value\": \"3\"},"
                        "{\"dataElement\": \"births\", \"period\": \"202310\","
                        " \"value\": \"3\"},"
                        "{\"dataElement\": \"births\", \"period\": \"202310\","
                        " \"value\": \"4\"},"
                        "{\"period\": \"202310\", \"value\": \"4\"},"
                        "{\"dataElement\": \"sxh_cases\", \"period\": "
                        "\"202309\", \"value\": \"2\"}]}");
    assert_int_equal(import(store, file, NULL, false, &s), 1);
    const cJSON *conf = cJSON_GetObjectItem(s, "conflicts");
    assert_int_equal(cJSON_GetArraySize(conf), 5);
    char *all = cJSON_PrintUnformatted(conf);
    assert_non_null(strstr(all, "is not a whole number"));
    assert_non_null(strstr(all, "is negative"));
    assert_non_null(strstr(all, "BAD_PERIOD"));
    assert_non_null(strstr(all, "DUPLICATE_VALUE"));
    assert_non_null(strstr(all, "NO_DATA_ELEMENT"));
    free(all);
    assert_int_equal((int) count_of(s, "imported"), 0);
    cJSON_Delete(s);
    assert_int_equal(outbox_entries(store), 3);

    /* A file that is not a dataValueSet at all: exit 2, nothing filed. */
    bc_write_file(file, "{\"dataValues\": [ {\"dataElement\": ");
    assert_int_equal(import(store, file, NULL, false, &s), 2);
    assert_null(s);
    assert_int_equal(outbox_entries(store), 3);
    char map[4096];
    snprintf(map, sizeof map, "%s", bc_path(f->dir, "bad-map.csv"));
    bc_write_file(map, "kind,ours,theirs\nplace,A,B\n");
    assert_int_equal(import(store, file, map, false, &s), 2);
    assert_int_equal(import(store, bc_path(f->dir, "missing.json"), NULL,
                            false, &s), 2);
    assert_int_equal(outbox_entries(store), 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_dhis2_documents_import, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_export_reimport_same_digest,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_export_shapes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_dry_run_reimport_update,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
