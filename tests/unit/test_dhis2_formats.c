/*
 * test_dhis2_formats.c -- the DHIS2 formats module: periods both ways, counts, the
 * mapping file, the three parsers on documents written by hand after
 * DHIS2's documentation, and write-then-read giving the same values.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bc_dhis2.h"
#include "bc_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bc_period_t per(const char *text)
{
    bc_period_t p = 0;
    assert_int_equal(bc_period_parse(text, &p), BC_OK);
    return p;
}

static void test_periods(void **state)
{
    static const struct {
        const char *ours, *iso, *adx;
    } cases[] = {
        {"2023-12", "202312", "2023-12-01/P1M"},
        {"2023-01", "202301", "2023-01-01/P1M"},
        {"2023-Q4", "2023Q4", "2023-10-01/P3M"},
        {"2023-Q1", "2023Q1", "2023-01-01/P3M"},
        {"2023-H2", "2023S2", "2023-07-01/P6M"},
        {"2023", "2023", "2023-01-01/P1Y"},
    };
    char buf[BC_DHIS2_PERIOD_STRLEN];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bc_period_t p = per(cases[i].ours), q;
        assert_string_equal(bc_dhis2_period_iso(p, buf), cases[i].iso);
        assert_string_equal(bc_dhis2_period_adx(p, buf), cases[i].adx);
        assert_int_equal(bc_dhis2_period_parse(cases[i].iso, &q), BC_OK);
        assert_int_equal(q, p);
        assert_int_equal(bc_dhis2_period_parse(cases[i].adx, &q), BC_OK);
        assert_int_equal(q, p);
    }
    /* What baocao does not report on, or malformed. */
    static const char *bad[] = {
        "2023W5", "2023BiW1", "2023AprilS1", "2023July", "202313", "202300",
        "2023Q5", "2023S3", "2023Q0", "2023-12", "2023-11-01/P3M",
        "2023-02-01/P6M", "2023-03-01/P1Y", "2023-12-02/P1M",
        "2023-12-01/P2M", "2023-12-01/P1D", "", "abcd", "2023-13-01/P1M"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bc_period_t q;
        assert_int_equal(bc_dhis2_period_parse(bad[i], &q), BC_EPERIOD);
    }
}

static void test_counts(void **state)
{
    long long v;
    const char *why;
    assert_int_equal(bc_dhis2_count("776", &v, &why), BC_OK);
    assert_int_equal(v, 776);
    assert_int_equal(bc_dhis2_count("+0", &v, &why), BC_OK);
    assert_int_equal(v, 0);
    assert_int_equal(bc_dhis2_count("12.5", &v, &why), BC_EINVAL);
    assert_string_equal(why, "is not a whole number");
    assert_int_equal(bc_dhis2_count("12.0", &v, &why), BC_EINVAL);
    assert_int_equal(bc_dhis2_count("-3", &v, &why), BC_EINVAL);
    assert_string_equal(why, "is negative");
    assert_int_equal(bc_dhis2_count("", &v, &why), BC_EINVAL);
    assert_string_equal(why, "is empty");
    assert_int_equal(bc_dhis2_count("true", &v, &why), BC_EINVAL);
    assert_string_equal(why, "is not a number");
    assert_int_equal(bc_dhis2_count("1.178.000", &v, &why), BC_EINVAL);
    assert_string_equal(why, "is not a number");
    assert_int_equal(bc_dhis2_count("99999999999999999999", &v, &why),
                     BC_EINVAL);
    assert_string_equal(why, "is out of range");
    assert_true(bc_dhis2_is_default_combo(""));
    assert_true(bc_dhis2_is_default_combo("default"));
    assert_true(bc_dhis2_is_default_combo("HllvX50cXC0"));
    assert_false(bc_dhis2_is_default_combo("Prlt0C1RF0s"));
}

static void test_mapping(void **state)
{
    char err[256];
    const char *text = "kind,ours,theirs\n"
                       "unit,HP-HB-QT,DiszpKrYNg8\n"
                       "indicator,sdd_u5,f7n9E0hX8qk\n"
                       "indicator,sdd_u2,Ix2HsbDMLea\n";
    bc_dhis2_map_t *m = bc_dhis2_map_parse(text, strlen(text), "map.csv", err,
                                           sizeof err);
    assert_non_null(m);
    assert_int_equal(bc_dhis2_map_size(m), 3);
    assert_string_equal(bc_dhis2_map_theirs(m, BC_DHIS2_UNIT, "HP-HB-QT"),
                        "DiszpKrYNg8");
    assert_string_equal(bc_dhis2_map_ours(m, BC_DHIS2_INDICATOR,
                                          "Ix2HsbDMLea"), "sdd_u2");
    /* Unmapped codes, and a code of the other kind, map to themselves. */
    assert_string_equal(bc_dhis2_map_theirs(m, BC_DHIS2_UNIT, "HP-HB-HV"),
                        "HP-HB-HV");
    assert_string_equal(bc_dhis2_map_theirs(m, BC_DHIS2_UNIT, "sdd_u5"),
                        "sdd_u5");
    assert_string_equal(bc_dhis2_map_ours(NULL, BC_DHIS2_UNIT, "X"), "X");
    bc_dhis2_map_destroy(&m);
    assert_null(m);

    static const struct {
        const char *text, *msg;
    } bad[] = {
        {"kind,ours\nunit,A\n", "map.csv:1: the header needs"},
        {"kind,ours,theirs\nplace,A,B\n", "map.csv:2: kind 'place'"},
        {"kind,ours,theirs\nunit,A,\n", "map.csv:2: a unit row needs"},
        {"kind,ours,theirs\nunit,A,X\nunit,A,Y\n",
         "map.csv:3: unit A is mapped twice (first on line 2)"},
        {"kind,ours,theirs\nunit,A,X\nunit,B,X\n",
         "map.csv:3: DHIS2 unit X is the mapping of two codes"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        assert_null(bc_dhis2_map_parse(bad[i].text, strlen(bad[i].text),
                                       "map.csv", err, sizeof err));
        assert_non_null(strstr(err, bad[i].msg));
    }
    /* The same code may be a unit and an indicator. */
    const char *both = "kind,ours,theirs\nunit,A,X\nindicator,A,X\n";
    m = bc_dhis2_map_parse(both, strlen(both), "map.csv", err, sizeof err);
    assert_non_null(m);
    bc_dhis2_map_destroy(&m);
}

static bc_dhis2_set_t *parse(const char *text, bc_dhis2_format_t fmt)
{
    char err[256] = "";
    bc_dhis2_set_t *set = NULL;
    int rc = bc_dhis2_parse(text, strlen(text), fmt, "doc", &set, err,
                            sizeof err);
    if (rc)
        fail_msg("parse failed: %s", err);
    return set;
}

static void check(const bc_dhis2_value_t *v, const char *de, const char *pe,
                  const char *ou, const char *coc, const char *value)
{
    assert_string_equal(v->data_element, de);
    assert_string_equal(v->period, pe);
    assert_string_equal(v->org_unit, ou);
    assert_string_equal(v->coc, coc);
    assert_string_equal(v->value, value);
}

/* The JSON dataValueSet of DHIS2's Web API guide ("Sending data values":
 * Mortality < 5 years, Ngelehun CHC, January 2014), written here by hand:
 * the set's period and orgUnit apply to every value; a value may carry its
 * own; values may be strings or numbers. */
static void test_json(void **state)
{
    const char *doc =
        "{\n"
        "  \"dataSet\": \"pBOMPrpg1QX\",\n"
        "  \"completeDate\": \"2014-02-03\",\n"
        "  \"period\": \"201401\",\n"
        "  \"orgUnit\": \"DiszpKrYNg8\",\n"
        "  \"dataValues\": [\n"
        "    { \"dataElement\": \"f7n9E0hX8qk\", \"value\": \"1\" },\n"
        "    { \"dataElement\": \"Ix2HsbDMLea\", \"value\": \"2\" },\n"
        "    { \"dataElement\": \"eY5ehpbEsB7\", \"value\": 3,\n"
        "      \"categoryOptionCombo\": \"HllvX50cXC0\" },\n"
        "    { \"dataElement\": \"f7n9E0hX8qk\", \"period\": \"201402\",\n"
        "      \"orgUnit\": \"g8upMTyEZGZ\", \"value\": \"4\",\n"
        "      \"comment\": \"comment1\", \"deleted\": true }\n"
        "  ]\n"
        "}\n";
    bc_dhis2_set_t *set = parse(doc, BC_DHIS2_JSON);
    assert_int_equal(set->n, 4);
    check(&set->values[0], "f7n9E0hX8qk", "201401", "DiszpKrYNg8", "", "1");
    check(&set->values[2], "eY5ehpbEsB7", "201401", "DiszpKrYNg8",
          "HllvX50cXC0", "3");
    check(&set->values[3], "f7n9E0hX8qk", "201402", "g8upMTyEZGZ", "", "4");
    assert_false(set->values[0].deleted);
    assert_true(set->values[3].deleted);
    assert_int_equal(set->values[2].where, 3);
    bc_dhis2_set_destroy(&set);

    /* Numbers beyond what a whole count can be are passed on as written,
     * for the importer to refuse (UBSan flagged the cast of 1e300 that
     * fuzz_dhis2 found; this build runs under it too). */
    const char *huge =
        "{\"period\": \"201401\", \"orgUnit\": \"DiszpKrYNg8\",\n"
        " \"dataValues\": [{\"dataElement\": \"a\", \"value\": 1e300},\n"
        "  {\"dataElement\": \"b\", \"value\": -1e19},\n"
        "  {\"dataElement\": \"c\", \"value\": 12.5},\n"
        "  {\"dataElement\": \"d\", \"value\": 8999999999999999}]}";
    set = parse(huge, BC_DHIS2_JSON);
    assert_int_equal(set->n, 4);
    assert_string_equal(set->values[0].value, "1.0000000000000001e+300");
    assert_string_equal(set->values[1].value, "-1e+19");
    assert_string_equal(set->values[2].value, "12.5");
    assert_string_equal(set->values[3].value, "8999999999999999");
    bc_dhis2_set_destroy(&set);

    static const struct {
        const char *text, *msg;
    } bad[] = {
        {"{\"dataValues\": [", "doc: not JSON"},
        {"[1, 2]", "not an object"},
        {"{\"period\": \"201401\"}", "no dataValues array"},
        {"{\"dataValues\": [1]}", "dataValues[0] is not an object"},
        {"{\"dataValues\": [{\"value\": [1]}]}",
         "dataValues[0].value is not text or a number"},
        {"{\"orgUnit\": {}, \"dataValues\": []}", "is not text"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[256] = "";
        assert_int_equal(bc_dhis2_parse(bad[i].text, strlen(bad[i].text),
                                        BC_DHIS2_JSON, "doc", &set, err,
                                        sizeof err), BC_EPARSE);
        assert_null(set);
        assert_non_null(strstr(err, bad[i].msg));
    }
}

/* DHIS2's CSV: the header of today's layout, and the 2012 import guide's
 * example, whose header spells "dataelelement" and has no attroptcombo
 * column; a header DHIS2 does not name is read by position. */
static void test_csv(void **state)
{
    const char *today =
        "dataelement,period,orgunit,catoptcombo,attroptcombo,value,storedby,"
        "lastupdated,comment,followup,deleted\n"
        "\"DUSpd8Jq3M7\",\"201202\",\"gP6hn503KUX\",\"Prlt0C1RF0s\",,\"7\","
        "\"bombali\",\"2010-04-17\",,\"false\",\n"
        "\"DUSpd8Jq3M7\",\"201202\",\"OjTS752GbZE\",,,\"9\",\"bombali\","
        "\"2010-04-06\",,\"false\",\"true\"\n";
    bc_dhis2_set_t *set = parse(today, BC_DHIS2_CSV);
    assert_int_equal(set->n, 2);
    check(&set->values[0], "DUSpd8Jq3M7", "201202", "gP6hn503KUX",
          "Prlt0C1RF0s", "7");
    assert_int_equal(set->values[0].where, 2);
    assert_true(set->values[1].deleted);
    bc_dhis2_set_destroy(&set);

    const char *old =
        "\"dataelelement\",\"period\",\"orgunit\",\"categoryoptioncombo\","
        "\"value\",\"storedby\",\"timestamp\",\"comment\",\"followup\"\n"
        "\"DUSpd8Jq3M7\",\"201202\",\"gP6hn503KUX\",\"Prlt0C1RF0s\",\"7\","
        "\"bombali\",\"2010-04-17\",,\"false\"\n";
    set = parse(old, BC_DHIS2_CSV);
    assert_int_equal(set->n, 1);
    check(&set->values[0], "DUSpd8Jq3M7", "201202", "gP6hn503KUX",
          "Prlt0C1RF0s", "7");
    bc_dhis2_set_destroy(&set);

    const char *positional = "a,b,c,d,e,f\nsdd_u5,202312,HP-HB-QT,,,776\n";
    set = parse(positional, BC_DHIS2_CSV);
    assert_int_equal(set->n, 1);
    check(&set->values[0], "sdd_u5", "202312", "HP-HB-QT", "", "776");
    bc_dhis2_set_destroy(&set);

    char err[256] = "";
    const char *partial = "dataelement,period,value\nx,202312,1\n";
    assert_int_equal(bc_dhis2_parse(partial, strlen(partial), BC_DHIS2_CSV,
                                    "doc", &set, err, sizeof err), BC_EPARSE);
    assert_non_null(strstr(err, "doc:1:"));
}

/* ADX as DHIS2's guide shows it: groups by orgUnit and period, a
 * dataValue per figure; a disaggregation (GENDER) is kept so that the
 * importer can refuse it. */
static void test_adx(void **state)
{
    const char *doc =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<adx xmlns=\"urn:ihe:qrph:adx:2015\"\n"
        "     xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"\n"
        "     exported=\"2015-02-08T19:30:00Z\">\n"
        "  <group orgUnit=\"OU_559\" period=\"2015-06-01/P1M\"\n"
        "         completeDate=\"2015-07-01\" dataSet=\"MALARIA\">\n"
        "    <dataValue dataElement=\"MAL_POP_AT_RISK\" value=\"1200\"/>\n"
        "    <dataValue dataElement=\"MAL-CASES\" value=\"32\">\n"
        "      <annotation>confirmed</annotation>\n"
        "    </dataValue>\n"
        "  </group>\n"
        "  <group orgUnit=\"OU_112\" period=\"2015-01-01/P1Y\">\n"
        "    <dataValue dataElement=\"VCCT_0\" GENDER=\"FMLE\" value=\"5\"/>\n"
        "  </group>\n"
        "</adx>\n";
    bc_dhis2_set_t *set = parse(doc, BC_DHIS2_ADX);
    assert_int_equal(set->n, 3);
    check(&set->values[0], "MAL_POP_AT_RISK", "2015-06-01/P1M", "OU_559", "",
          "1200");
    assert_int_equal(set->values[0].where, 7);
    check(&set->values[1], "MAL-CASES", "2015-06-01/P1M", "OU_559", "", "32");
    check(&set->values[2], "VCCT_0", "2015-01-01/P1Y", "OU_112",
          "GENDER=FMLE", "5");
    bc_dhis2_set_destroy(&set);

    static const struct {
        const char *text, *msg;
    } bad[] = {
        {"<adx><group>", "doc: not XML: line 1"},
        {"<dataValueSet/>", "not an ADX document"},
        {"not xml at all", "not XML"},
        /* An external entity is neither fetched nor substituted. */
        {"<!DOCTYPE adx [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
         "<adx><group orgUnit=\"&x;\" period=\"2015\"/></adx>", "not XML"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[256] = "";
        int rc = bc_dhis2_parse(bad[i].text, strlen(bad[i].text),
                                BC_DHIS2_ADX, "doc", &set, err, sizeof err);
        if (rc == BC_OK) {
            /* Accepted only if the entity was left unexpanded. */
            for (size_t k = 0; k < set->n; k++)
                assert_null(strstr(set->values[k].org_unit, "root:"));
            bc_dhis2_set_destroy(&set);
            continue;
        }
        assert_int_equal(rc, BC_EPARSE);
        assert_non_null(strstr(err, bad[i].msg));
    }
}

/* What a writer writes, its parser reads back, for every format. */
static void test_write_read(void **state)
{
    bc_dhis2_set_t *set = bc_dhis2_set_new();
    bc_dhis2_set_add(set, "sdd_u5", "202312", "HP-HB-QT", "", "776", 0);
    bc_dhis2_set_add(set, "sdd_u2", "202312", "HP-HB-QT", "", "308", 0);
    bc_dhis2_set_add(set, "tên \"lạ\", <&>", "2023Q4", "HP-HB", "", "0", 0);
    bc_dhis2_format_t fmts[] = {BC_DHIS2_JSON, BC_DHIS2_CSV, BC_DHIS2_ADX};
    for (size_t f = 0; f < 3; f++) {
        char *buf = NULL;
        size_t len = 0;
        FILE *out = open_memstream(&buf, &len);
        assert_int_equal(bc_dhis2_write(out, fmts[f], set, true), BC_OK);
        fclose(out);
        assert_int_equal(bc_dhis2_format_guess(NULL, buf, len),
                         fmts[f] == BC_DHIS2_CSV ? BC_DHIS2_CSV : fmts[f]);
        bc_dhis2_set_t *back = parse(buf, fmts[f]);
        assert_int_equal(back->n, 3);
        for (size_t i = 0; i < 3; i++) {
            bc_period_t a, b;
            assert_string_equal(back->values[i].data_element,
                                set->values[i].data_element);
            assert_string_equal(back->values[i].org_unit,
                                set->values[i].org_unit);
            assert_string_equal(back->values[i].value, set->values[i].value);
            assert_true(bc_dhis2_is_default_combo(back->values[i].coc));
            assert_int_equal(bc_dhis2_period_parse(back->values[i].period,
                                                   &a), BC_OK);
            assert_int_equal(bc_dhis2_period_parse(set->values[i].period,
                                                   &b), BC_OK);
            assert_int_equal(a, b);
        }
        if (fmts[f] == BC_DHIS2_ADX)
            assert_non_null(strstr(buf, "period=\"2023-10-01/P3M\""));
        bc_dhis2_set_destroy(&back);
        free(buf);
    }
    bc_dhis2_set_destroy(&set);
}

static void test_formats(void **state)
{
    bc_dhis2_format_t f;
    assert_int_equal(bc_dhis2_format_parse("dhis2-json", &f), BC_OK);
    assert_int_equal(f, BC_DHIS2_JSON);
    assert_int_equal(bc_dhis2_format_parse("adx", &f), BC_OK);
    assert_int_equal(f, BC_DHIS2_ADX);
    assert_int_equal(bc_dhis2_format_parse("json", &f), BC_EINVAL);
    assert_int_equal(bc_dhis2_format_guess("x.JSON", "", 0), BC_DHIS2_JSON);
    assert_int_equal(bc_dhis2_format_guess("x.xml", "", 0), BC_DHIS2_ADX);
    assert_int_equal(bc_dhis2_format_guess("x.txt", " <adx/>", 7),
                     BC_DHIS2_ADX);
    assert_int_equal(bc_dhis2_format_guess(NULL, "\xEF\xBB\xBF{", 4),
                     BC_DHIS2_JSON);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_periods),
        cmocka_unit_test(test_counts),
        cmocka_unit_test(test_mapping),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_adx),
        cmocka_unit_test(test_write_read),
        cmocka_unit_test(test_formats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
