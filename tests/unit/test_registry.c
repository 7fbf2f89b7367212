/*
 * test_registry.c -- the shipped hierarchy and catalogue (data/, found
 * through BC_SOURCE_DIR), tree queries, load errors and the digest.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bc_registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char units_path[1024];
static char catalog_path[1024];

static int setup_paths(void **state)
{
    const char *src = getenv("BC_SOURCE_DIR");

    (void) state;
    if (!src) {
        fprintf(stderr, "BC_SOURCE_DIR is not set\n");
        return -1;
    }
    snprintf(units_path, sizeof units_path, "%s/data/units.csv", src);
    snprintf(catalog_path, sizeof catalog_path, "%s/data/indicators.csv", src);
    return 0;
}

/* Writes text to a new temporary file; path must hold 32 bytes. */
static void temp_file(char *path, const char *text)
{
    int fd;

    strcpy(path, "/tmp/bc_test_reg_XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
    close(fd);
}

static bc_registry_t *load_shipped(void)
{
    char err[512] = "";
    bc_registry_t *reg = bc_registry_load(units_path, catalog_path, err,
                                          sizeof err);
    if (!reg)
        fail_msg("loading the shipped data: %s", err);
    return reg;
}

static void test_shipped_units(void **state)
{
    bc_registry_t *reg = load_shipped();
    bc_unit_t *hp, *hb, *qt, *mk, *hg;

    (void) state;
    assert_int_equal(bc_registry_nunits(reg), 20);
    hp = bc_registry_find_unit(reg, "HP");
    hb = bc_registry_find_unit(reg, "HP-HB");
    qt = bc_registry_find_unit(reg, "HP-HB-QT");
    mk = bc_registry_find_unit(reg, "HP-HB-MK");
    hg = bc_registry_find_unit(reg, "HG");
    assert_non_null(hp);
    assert_non_null(hb);
    assert_non_null(qt);
    assert_non_null(mk);
    assert_non_null(hg);
    assert_null(bc_registry_find_unit(reg, "HP-HB-XX"));
    assert_null(bc_registry_find_unit(reg, "hp"));
    assert_null(bc_registry_find_unit(reg, ""));

    assert_int_equal(hp->parent, -1);
    assert_int_equal(hp->depth, 0);
    assert_false(hp->reports);
    assert_string_equal(hp->name, "Thành phố Hải Phòng");
    assert_int_equal(hb->parent, (int32_t) hp->idx);
    assert_int_equal(hb->depth, 1);
    assert_true(hb->on_behalf);
    assert_int_equal(qt->parent, (int32_t) hb->idx);
    assert_int_equal(qt->depth, 2);
    assert_string_equal(qt->level, "commune");
    assert_string_equal(qt->name, "Phường Quán Toan");
    assert_true(qt->reports);
    assert_null(qt->key);

    /* Children in file order. */
    assert_int_equal(hb->nchildren, 9);
    assert_int_equal(hb->children[0], qt->idx);
    assert_int_equal(hb->children[8], mk->idx);
    assert_int_equal(hg->nchildren, 8);
    assert_ptr_equal(bc_registry_unit(reg, qt->idx), qt);
    assert_string_equal(bc_registry_find_unit(reg, "HG-TXLM")->name,
                        "Thị xã Long Mỹ");
    assert_string_equal(bc_registry_find_unit(reg, "HG-LM")->name,
                        "Huyện Long Mỹ");

    /* is_within */
    assert_true(bc_registry_is_within(reg, qt, hb));
    assert_true(bc_registry_is_within(reg, qt, hp));
    assert_true(bc_registry_is_within(reg, qt, qt));
    assert_false(bc_registry_is_within(reg, qt, hg));
    assert_false(bc_registry_is_within(reg, hp, qt));
    assert_false(bc_registry_is_within(reg, qt, mk));
    assert_false(bc_registry_is_within(reg, NULL, hp));

    bc_registry_destroy(&reg);
    assert_null(reg);
    bc_registry_destroy(&reg);
}

static void test_expected(void **state)
{
    bc_registry_t *reg = load_shipped();
    bc_unit_t *hp = bc_registry_find_unit(reg, "HP");
    bc_unit_t *hb = bc_registry_find_unit(reg, "HP-HB");
    bc_unit_t *qt = bc_registry_find_unit(reg, "HP-HB-QT");
    bc_unit_t *hg = bc_registry_find_unit(reg, "HG");
    uint32_t idx[32];
    size_t n;

    (void) state;
    /* Leaves of Hồng Bàng: the nine wards, in file order. */
    assert_int_equal(bc_registry_expected(reg, hb, NULL, NULL, 0), 9);
    n = bc_registry_expected(reg, hb, "", idx, 32);
    assert_int_equal(n, 9);
    assert_int_equal(idx[0], qt->idx);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(bc_registry_unit(reg, idx[i])->level, "commune");
    assert_int_equal(bc_registry_expected(reg, hp, NULL, NULL, 0), 9);
    assert_int_equal(bc_registry_expected(reg, hp, "commune", NULL, 0), 9);
    /* By level: Hồng Bàng itself is the only district of Hải Phòng. */
    assert_int_equal(bc_registry_expected(reg, hp, "district", NULL, 0), 1);
    assert_int_equal(bc_registry_expected(reg, hg, "district", NULL, 0), 8);
    assert_int_equal(bc_registry_expected(reg, hg, NULL, NULL, 0), 8);
    /* A province does not report itself. */
    assert_int_equal(bc_registry_expected(reg, hg, "province", NULL, 0), 0);
    assert_int_equal(bc_registry_expected(reg, hg, "commune", NULL, 0), 0);
    /* A leaf expects itself. */
    n = bc_registry_expected(reg, qt, NULL, idx, 32);
    assert_int_equal(n, 1);
    assert_int_equal(idx[0], qt->idx);
    /* max bounds what is written. */
    idx[3] = 12345;
    assert_int_equal(bc_registry_expected(reg, hb, NULL, idx, 3), 3);
    assert_int_equal(idx[3], 12345);

    bc_registry_destroy(&reg);
}

static void test_shipped_catalogue(void **state)
{
    bc_registry_t *reg = load_shipped();
    static const struct {
        const char *code;
        bc_kind_t kind;
    } required[] = {
        { "sdd_u5", BC_KIND_FLOW }, { "sdd_u2", BC_KIND_FLOW },
        { "sdd_malnourished", BC_KIND_FLOW },
        { "sdd_underweight", BC_KIND_FLOW },
        { "sdd_underweight_rate", BC_KIND_RATIO },
        { "sdd_stunted", BC_KIND_FLOW },
        { "sdd_stunting_rate", BC_KIND_RATIO },
        { "sdd_wasted", BC_KIND_FLOW },
        { "sdd_wasting_rate", BC_KIND_RATIO },
        { "sxh_cases", BC_KIND_FLOW }, { "tcm_cases", BC_KIND_FLOW },
        { "births", BC_KIND_FLOW }, { "tt_managed", BC_KIND_STOCK },
        { "lao_new", BC_KIND_FLOW }, { "kcb_visits", BC_KIND_FLOW },
        { "kcb_inpatients", BC_KIND_FLOW },
        { "kcb_inpatient_days", BC_KIND_FLOW },
        { "kcb_beds", BC_KIND_STOCK },
        { "kcb_bed_occupancy", BC_KIND_RATIO },
        { "sieu_am", BC_KIND_FLOW }, { "xquang", BC_KIND_FLOW },
        { "hiv_new", BC_KIND_FLOW }, { "hiv_arv", BC_KIND_STOCK },
        { "tcmr_full", BC_KIND_FLOW }, { "tcmr_u1", BC_KIND_STOCK },
        { "tcmr_full_rate", BC_KIND_RATIO },
    };
    bc_indicator_t *rate, *num, *den;

    (void) state;
    assert_true(bc_registry_nindicators(reg) >= 45);
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        bc_indicator_t *ind = bc_registry_find_indicator(reg,
                                                         required[i].code);
        if (!ind)
            fail_msg("indicator %s is missing", required[i].code);
        assert_int_equal(ind->kind, required[i].kind);
        assert_ptr_equal(bc_registry_indicator(reg, ind->idx), ind);
    }
    rate = bc_registry_find_indicator(reg, "sdd_underweight_rate");
    num = bc_registry_find_indicator(reg, "sdd_underweight");
    den = bc_registry_find_indicator(reg, "sdd_u5");
    assert_int_equal(rate->numerator, (int32_t) num->idx);
    assert_int_equal(rate->denominator, (int32_t) den->idx);
    assert_true(rate->scale == 100.0);
    assert_int_equal(num->numerator, -1);
    assert_true(num->scale == 0.0);
    assert_string_equal(den->name, "Trẻ dưới 5 tuổi được cân, đo");
    assert_null(bc_registry_find_indicator(reg, "nope"));

    bc_registry_destroy(&reg);
}

/* Loads units/catalogue texts and expects failure with `needle` in the
 * message (after the temporary file's name). */
static void expect_error(const char *units, const char *catalog,
                         const char *needle)
{
    char up[32], cp[32], err[512] = "";
    bc_registry_t *reg;

    temp_file(up, units);
    temp_file(cp, catalog);
    reg = bc_registry_load(up, cp, err, sizeof err);
    unlink(up);
    unlink(cp);
    if (reg) {
        bc_registry_destroy(&reg);
        fail_msg("loaded, expected an error with '%s'", needle);
    }
    if (!strstr(err, needle))
        fail_msg("error '%s' lacks '%s'", err, needle);
}

#define UNITS_HDR "code,parent_code,level,name\n"
#define CAT_HDR "code,name,kind,numerator,denominator,scale\n"
#define CAT_OK CAT_HDR "a,A,flow,,,\nb,B,stock,,,\nr,R,ratio,a,b,100\n"
#define UNITS_OK UNITS_HDR "P,,province,P\nD,P,district,D\nC,D,commune,C\n"

static void test_load_errors(void **state)
{
    (void) state;
    /* Sanity: the good pair loads, with the child listed before its
     * parent. */
    {
        char up[32], cp[32], err[512] = "";
        bc_registry_t *reg;
        temp_file(up, UNITS_HDR "C,D,commune,C\nD,P,district,D\nP,,province,P\n");
        temp_file(cp, CAT_OK);
        reg = bc_registry_load(up, cp, err, sizeof err);
        unlink(up);
        unlink(cp);
        if (!reg)
            fail_msg("%s", err);
        assert_int_equal(bc_registry_find_unit(reg, "C")->depth, 2);
        bc_registry_destroy(&reg);
    }
    expect_error(UNITS_HDR "P,,province,P\nD,P,district,D\nD,P,district,E\n",
                 CAT_OK, ":4: duplicate unit code D (first on line 3)");
    expect_error(UNITS_HDR "P,,province,P\nD,X,district,D\n", CAT_OK,
                 ":3: unit D has an unknown parent X");
    expect_error(UNITS_HDR "P,,province,P\nA,B,district,A\nB,C,district,B\n"
                 "C,A,district,C\n", CAT_OK, "cycle");
    expect_error(UNITS_HDR "A,A,district,A\n", CAT_OK, "cycle");
    expect_error(UNITS_HDR "P,,province,P,maybe\n", CAT_OK,
                 ":2: 5 fields, but the header has 4");
    expect_error("code,name\nP,P\n", CAT_OK, "parent_code");
    expect_error(UNITS_HDR "P Q,,province,P\n", CAT_OK, ":2: bad unit code");
    expect_error("code,parent_code,level,name,reports\nP,,province,P,maybe\n",
                 CAT_OK, ":2: reports, on_behalf and relay");
    expect_error("code,parent_code,level,name,relay\nP,,province,P,maybe\n",
                 CAT_OK, ":2: reports, on_behalf and relay");
    expect_error("code,parent_code,level,name,key\nP,,province,P,short\n",
                 CAT_OK, ":2: key of P");

    expect_error(UNITS_OK, CAT_HDR "a,A,flow,,,\na,B,flow,,,\n",
                 ":3: duplicate indicator code a");
    expect_error(UNITS_OK, CAT_HDR "a,A,flow,,,\nr,R,ratio,a,zz,100\n",
                 ":3: ratio r has an unknown denominator 'zz'");
    expect_error(UNITS_OK, CAT_HDR "r,R,ratio,,a,100\na,A,flow,,,\n",
                 ":2: ratio r has an unknown numerator");
    expect_error(UNITS_OK, CAT_HDR "a,A,flow,,,\nb,B,sum,,,\n",
                 ":3: indicator b has an unknown kind 'sum'");
    expect_error(UNITS_OK, CAT_OK "rr,RR,ratio,r,a,100\n",
                 ":5: ratio rr is built on another ratio");
    expect_error(UNITS_OK, CAT_HDR "a,A,flow,,,\nr,R,ratio,a,a,zero\n",
                 ":3: ratio r needs a positive scale");
    expect_error(UNITS_OK, CAT_HDR "a,A,flow,,,\nr,R,ratio,a,a,-100\n",
                 ":3: ratio r needs a positive scale");
    expect_error(UNITS_OK, CAT_HDR "a,A,flow,a,,\n", ":2: a is not a ratio");
    expect_error(UNITS_OK, "code,name,kind\na,A,flow\n", "numerator");

    /* A missing file names itself. */
    {
        char err[512] = "";
        assert_null(bc_registry_load("/nonexistent/u.csv", catalog_path, err,
                                     sizeof err));
        assert_non_null(strstr(err, "/nonexistent/u.csv"));
    }
}

/* A chain of n levels: L0 (root), L1 under it, ... L(n-1). */
static char *chain_units(int n)
{
    size_t cap = 64 + (size_t) n * 48, len = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    len += (size_t) snprintf(text, cap, UNITS_HDR "L0,,level0,L0\n");
    for (int i = 1; i < n; i++)
        len += (size_t) snprintf(text + len, cap - len,
                                 "L%d,L%d,level%d,L%d\n", i, i - 1, i, i);
    return text;
}

/* Limits the rest of the system relies on: a key belongs to one unit, and
 * a tree has at most BC_MAX_LEVELS levels (the hub's totals walk up a list
 * of that size: a deeper leaf's report once stopped short of the root). */
static void test_duplicate_keys(void **state)
{
    (void) state;
    /* Two units, one key: refused, both rows named. */
    expect_error("code,parent_code,level,name,key\n"
                 "P,,province,P,\n"
                 "A,P,district,A,rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7\n"
                 "B,P,district,B,rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7\n",
                 CAT_OK, ":4: unit B has the same key as unit A on line 3");
}

static void test_depth_and_length(void **state)
{
    (void) state;
    /* Exactly BC_MAX_LEVELS levels load; one more is refused, naming the
     * first unit too deep. */
    {
        char up[32], cp[32], err[512] = "";
        char *units = chain_units(BC_MAX_LEVELS);
        temp_file(up, units);
        temp_file(cp, CAT_OK);
        bc_registry_t *reg = bc_registry_load(up, cp, err, sizeof err);
        unlink(up);
        unlink(cp);
        free(units);
        if (!reg)
            fail_msg("%s", err);
        assert_int_equal(bc_registry_find_unit(reg, "L63")->depth, 63);
        bc_registry_destroy(&reg);
    }
    {
        char *units = chain_units(70);
        expect_error(units, CAT_OK, ":66: unit L64 is 65 levels deep; the "
                     "hierarchy may have at most 64 levels");
        free(units);
    }
    /* A code of BC_CODE_MAX characters loads, one more does not. */
    {
        char units[512];
        snprintf(units, sizeof units, UNITS_HDR "%0*d,,province,P\n",
                 BC_CODE_MAX + 1, 7);
        expect_error(units, CAT_OK, ":2: bad unit code");
    }
}

static void digest_of(const char *units, const char *catalog,
                      uint8_t out[32])
{
    char up[32], cp[32], err[512] = "";
    bc_registry_t *reg;

    temp_file(up, units);
    temp_file(cp, catalog);
    reg = bc_registry_load(up, cp, err, sizeof err);
    unlink(up);
    unlink(cp);
    if (!reg)
        fail_msg("%s", err);
    bc_registry_digest(reg, out);
    bc_registry_destroy(&reg);
}

static void test_digest(void **state)
{
    uint8_t a[32], b[32], c[32], d[32], e[32];

    (void) state;
    digest_of(UNITS_OK, CAT_OK, a);
    digest_of(UNITS_OK, CAT_OK, b);
    assert_memory_equal(a, b, 32);
    /* Same content, different bytes: quoting, spacing, an extra column. */
    digest_of("code,parent_code,level,name,note\n\"P\",,province, P ,x\n"
              "D,P,district,D,y\nC,D,commune,C,\n", CAT_OK, c);
    assert_memory_equal(a, c, 32);
    /* A renamed unit changes it. */
    digest_of(UNITS_HDR "P,,province,P\nD,P,district,D2\nC,D,commune,C\n",
              CAT_OK, d);
    assert_memory_not_equal(a, d, 32);
    /* So does an indicator's scale. */
    digest_of(UNITS_OK, CAT_HDR "a,A,flow,,,\nb,B,stock,,,\nr,R,ratio,a,b,"
              "1000\n", e);
    assert_memory_not_equal(a, e, 32);
}

/* ---- history (issue 12) ---------------------------------------------- */

#define HIST_HDR "code,parent_code,level,name,valid_from,valid_to,replaced_by\n"

static bc_registry_t *load_text(const char *units)
{
    char up[32], cp[32], err[512] = "";
    bc_registry_t *reg;

    temp_file(up, units);
    temp_file(cp, CAT_OK);
    reg = bc_registry_load(up, cp, err, sizeof err);
    unlink(up);
    unlink(cp);
    if (!reg)
        fail_msg("%s", err);
    return reg;
}

static int32_t month_of(const char *text)
{
    bc_period_t p;
    assert_int_equal(bc_period_parse(text, &p), 0);
    return bc_registry_month(p);
}

/* A merge (A, B -> C), a split with shares (S -> S1 0.6, S2 0.4) and a
 * move (M from D1 to D2 in 2025-07), in one file. */
#define HIST_OK HIST_HDR                                                     \
    "P,,province,P,,,\n"                                                     \
    "D1,P,district,D1,,2025-06,D2\n"                                         \
    "D2,P,district,D2,,,\n"                                                  \
    "A,D1,commune,A,,2025-06,C\n"                                            \
    "B,D1,commune,B,,2025-06,C\n"                                            \
    "C,D2,commune,C,2025-07,,\n"                                             \
    "S,D2,commune,S,,2025-06,S1:0.6;S2:0.4\n"                                \
    "S1,D2,commune,S1,2025-07,,\n"                                           \
    "S2,D2,commune,S2,2025-07,,\n"                                           \
    "M,D1,commune,M old,,2025-06,\n"                                         \
    "M,D2,ward,M new,2025-07,,\n"

static void test_history_load(void **state)
{
    bc_registry_t *reg = load_text(HIST_OK);
    const bc_unit_t *p, *d1, *d2, *a, *s, *m;
    char v[128];
    uint32_t idx[16];
    bc_period_t jun, jul, q3;

    (void) state;
    assert_true(bc_registry_has_history(reg));
    /* One unit per code, whatever its number of rows. */
    assert_int_equal(bc_registry_nunits(reg), 10);
    p = bc_registry_find_unit(reg, "P");
    d1 = bc_registry_find_unit(reg, "D1");
    d2 = bc_registry_find_unit(reg, "D2");
    a = bc_registry_find_unit(reg, "A");
    s = bc_registry_find_unit(reg, "S");
    m = bc_registry_find_unit(reg, "M");
    assert_int_equal(m->nspans, 2);
    /* The unit's own fields are its latest row's. */
    assert_string_equal(m->name, "M new");
    assert_string_equal(m->level, "ward");
    assert_ptr_equal(bc_registry_unit(reg, (uint32_t) m->parent), d2);

    /* Where M hung, month by month. */
    assert_ptr_equal(bc_registry_parent_at(reg, m, month_of("2025-06")), d1);
    assert_ptr_equal(bc_registry_parent_at(reg, m, month_of("2025-07")), d2);
    assert_true(bc_registry_is_within_at(reg, m, d1, month_of("2024-01")));
    assert_false(bc_registry_is_within_at(reg, m, d1, month_of("2025-07")));
    assert_true(bc_registry_is_within_at(reg, m, p, month_of("2025-07")));
    assert_null(bc_registry_span_at(a, month_of("2025-07")));

    /* Validity of whole periods. */
    assert_int_equal(bc_period_parse("2025-06", &jun), 0);
    assert_int_equal(bc_period_parse("2025-07", &jul), 0);
    assert_int_equal(bc_period_parse("2025-Q3", &q3), 0);
    assert_true(bc_registry_valid_in(a, jun));
    assert_false(bc_registry_valid_in(a, jul));
    assert_false(bc_registry_valid_in(bc_registry_find_unit(reg, "C"), jun));
    assert_true(bc_registry_valid_in(m, q3));

    /* Successors and shares. */
    assert_int_equal(s->spans[0].nsucc, 2);
    assert_true(s->spans[0].succ[0].has_share);
    assert_true(s->spans[0].succ[0].share == 0.6);
    assert_false(a->spans[0].succ[0].has_share);
    /* Each unit knows the units it replaced. */
    const bc_unit_t *c = bc_registry_find_unit(reg, "C");
    assert_int_equal(c->npreds, 2);
    assert_ptr_equal(bc_registry_unit(reg, c->preds[0]), a);
    assert_int_equal(bc_registry_find_unit(reg, "S1")->npreds, 1);
    assert_string_equal(bc_registry_validity(reg, s, v, sizeof v),
                        "ended 2025-06; replaced by S1, S2");
    assert_string_equal(bc_registry_validity(reg,
                        bc_registry_find_unit(reg, "C"), v, sizeof v),
                        "valid from 2025-07");

    /* Expected units: the tree of the period. */
    assert_int_equal(bc_registry_expected_in(reg, p, NULL, jun, NULL, 0), 4);
    assert_int_equal(bc_registry_expected_in(reg, p, NULL, jun, idx, 16), 4);
    assert_ptr_equal(bc_registry_unit(reg, idx[0]), a);
    assert_int_equal(bc_registry_expected_in(reg, p, NULL, jul, NULL, 0), 4);
    assert_int_equal(bc_registry_expected_in(reg, d1, NULL, jul, NULL, 0), 0);
    assert_int_equal(bc_registry_expected_in(reg, d2, "ward", jul, NULL, 0),
                     1);
    assert_int_equal(bc_registry_expected_in(reg, d1, "commune", jun, NULL,
                                             0), 3);
    /* Today's tree. */
    assert_int_equal(bc_registry_expected(reg, p, NULL, NULL, 0), 4);
    bc_registry_destroy(&reg);
}

static void test_history_errors(void **state)
{
    (void) state;
    expect_error(HIST_HDR "P,,province,P,,,\nA,P,commune,A,,2025-06,\n"
                 "A,P,commune,A2,2025-06,,\n", CAT_OK,
                 ":4: duplicate unit code A (first on line 3) with "
                 "overlapping validity");
    expect_error(HIST_HDR "P,,province,P,,,\nA,P,commune,A,2025-13,,\n",
                 CAT_OK, ":3: valid_from and valid_to of A must be months");
    expect_error(HIST_HDR "P,,province,P,,,\nA,P,commune,A,2025-07,2025-06,"
                 "\n", CAT_OK, ":3: unit A is valid_from 2025-07, after its "
                 "valid_to 2025-06");
    expect_error(HIST_HDR "P,,province,P,,,\nA,P,commune,A,,2025-06,B:0.5;"
                 "C:0.4\nB,P,commune,B,2025-07,,\nC,P,commune,C,2025-07,,\n",
                 CAT_OK, ":3: the shares in replaced_by of A sum to 0.9, "
                 "not 1");
    expect_error(HIST_HDR "P,,province,P,,,\nA,P,commune,A,,2025-06,B:0.5;C"
                 "\nB,P,commune,B,2025-07,,\nC,P,commune,C,2025-07,,\n",
                 CAT_OK, ":3: replaced_by of A gives shares to some");
    expect_error(HIST_HDR "P,,province,P,,,\nA,P,commune,A,,2025-06,B;B\n"
                 "B,P,commune,B,2025-07,,\n", CAT_OK,
                 ":3: replaced_by of A names B twice");
    expect_error(HIST_HDR "P,,province,P,,,\nA,P,commune,A,,2025-06,Z\n",
                 CAT_OK, ":3: replaced_by of A names an unknown unit 'Z'");
    expect_error(HIST_HDR "P,,province,P,,,\nA,P,commune,A,,,B\n"
                 "B,P,commune,B,,,\n", CAT_OK,
                 ":3: unit A has replaced_by but no valid_to");
    /* A child that outlives its parent's row. */
    expect_error(HIST_HDR "P,,province,P,,,\nD,P,district,D,,2025-06,\n"
                 "A,D,commune,A,,,\n", CAT_OK, ":4: unit A hangs under D "
                 "from ever to open, but D is not valid all that time "
                 "(ended 2025-06)");
    /* A cycle in one month only (2025-07): A under B, B under A. */
    expect_error(HIST_HDR "P,,province,P,,,\nA,P,district,A,,2025-06,\n"
                 "A,B,district,A,2025-07,,\nB,P,district,B,,2025-06,\n"
                 "B,A,district,B,2025-07,,\n", CAT_OK, "cycle");
}

/* A file without the history columns keeps its digest; history changes
 * it. */
static void test_history_digest(void **state)
{
    uint8_t a[32], b[32], c[32];

    (void) state;
    digest_of(UNITS_OK, CAT_OK, a);
    digest_of("code,parent_code,level,name,valid_from,valid_to,replaced_by\n"
              "P,,province,P,,,\nD,P,district,D,,,\nC,D,commune,C,,,\n",
              CAT_OK, b);
    assert_memory_equal(a, b, 32);
    digest_of(HIST_HDR "P,,province,P,,,\nD,P,district,D,,,\n"
              "C,D,commune,C,,2025-06,\n", CAT_OK, c);
    assert_memory_not_equal(a, c, 32);
}

/* The shipped history (data/units-history.csv): Hồng Bàng and its nine
 * wards until 2025-06, the wards Hồng Bàng and Hồng An from 2025-07,
 * Quán Toan merged into Hồng An (Resolution 1669/NQ-UBTVQH15), Hậu Giang
 * merged into Cần Thơ. */
static void test_shipped_history(void **state)
{
    char path[1100], err[512] = "";
    char v[128];
    (void) state;
    snprintf(path, sizeof path, "%s/data/units-history.csv",
             getenv("BC_SOURCE_DIR"));
    bc_registry_t *reg = bc_registry_load(path, catalog_path, err,
                                          sizeof err);
    if (!reg)
        fail_msg("%s", err);
    const bc_unit_t *hb = bc_registry_find_unit(reg, "HP-HB");
    const bc_unit_t *hg = bc_registry_find_unit(reg, "HG");
    const bc_unit_t *hp = bc_registry_find_unit(reg, "HP");
    assert_string_equal(bc_registry_validity(reg, hb, v, sizeof v),
                        "ended 2025-06");
    assert_string_equal(bc_registry_validity(reg, hg, v, sizeof v),
                        "ended 2025-06; replaced by CT");
    /* Quán Toan is Hồng An's one sourced predecessor; the other eight
     * wards have none yet (data/README.md). */
    const bc_unit_t *qt = bc_registry_find_unit(reg, "HP-HB-QT");
    const bc_unit_t *ha = bc_registry_find_unit(reg, "HP-HAW");
    const bc_unit_t *hv = bc_registry_find_unit(reg, "HP-HB-HV");
    assert_non_null(qt);
    assert_non_null(ha);
    assert_string_equal(bc_registry_validity(reg, qt, v, sizeof v),
                        "ended 2025-06; replaced by HP-HAW");
    assert_string_equal(bc_registry_validity(reg, hv, v, sizeof v),
                        "ended 2025-06");
    assert_int_equal(ha->npreds, 1);
    assert_ptr_equal(bc_registry_unit(reg, ha->preds[0]), qt);
    bc_period_t p;
    assert_int_equal(bc_period_parse("2025-06", &p), 0);
    assert_int_equal(bc_registry_expected_in(reg, hp, NULL, p, NULL, 0), 9);
    assert_int_equal(bc_period_parse("2025-07", &p), 0);
    assert_int_equal(bc_registry_expected_in(reg, hp, NULL, p, NULL, 0), 2);
    bc_registry_destroy(&reg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_units),
        cmocka_unit_test(test_expected),
        cmocka_unit_test(test_shipped_catalogue),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_duplicate_keys),
        cmocka_unit_test(test_depth_and_length),
        cmocka_unit_test(test_digest),
        cmocka_unit_test(test_history_load),
        cmocka_unit_test(test_history_errors),
        cmocka_unit_test(test_history_digest),
        cmocka_unit_test(test_shipped_history),
    };
    return cmocka_run_group_tests(tests, setup_paths, NULL);
}
