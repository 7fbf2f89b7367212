/*
 * test_form_grid.c -- issue 17, item 4: the station's form shows a grid per
 * disaggregated indicator and files it as a CSV with category columns
 * would. A real hub started with the shipped breakdown catalogue and
 * categories, a real node (its delivery loop and its form) with its real
 * LMDB outbox, over HTTP on loopback:
 *
 *   - /api/form gives each disaggregated indicator its categories and one
 *     cell field per combination; a totals-only indicator keeps its field
 *     alone, and no combination is a field of its own;
 *   - a form with two grids (cells alone, and cells with a typed total
 *     that they sum to) and a totals-only figure is filed, delivered, and
 *     the hub's figures by combination (Query by sex,age; SliceQuery of a
 *     combination) are the cells typed; the same breakdown filed with
 *     `baocao submit` from `indicator,sex,age,value` gives the same
 *     figures;
 *   - refusals before filing, each next to its field: a negative and a
 *     fractional cell (named by their options), cells that do not sum to
 *     the typed total (the difference named), a grid half filled (the
 *     missing cells named), a combination the hub does not have; nothing
 *     reaches the outbox; `baocao submit` refuses the unbalanced CSV too;
 *   - with the hub down, a form made from the node's copy alone has the
 *     same grids and files a grid checked against the copy.
 *
 * On the code before this change the form listed the catalogue's
 * combination slots as fields of their own (from the copy) or no grid at
 * all (from the hub's catalogue), and neither the form nor `submit`
 * checked that a breakdown adds up.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bc_test.h"
#include "node_outbox.h"

#include <cjson/cJSON.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    char *dir;          /* temporary folder */
    bc_hub_t hub;       /* the hub under test */
    bool hub_down;      /* stopped by the test */
    char store[600];    /* the node's outbox folder */
    char urlfile[600];  /* where the form writes its URL */
    bc_proc_t node;     /* the node, with its form */
    int port;           /* the form's port */
} fixture_t;

static const char *SEX[2] = {"nam", "nu"};
static const char *AGE[4] = {"0-4", "5-14", "15-49", "50+"};

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    f->dir = bc_tmpdir("form_grid");
    snprintf(f->store, sizeof f->store, "%s/node", f->dir);
    snprintf(f->urlfile, sizeof f->urlfile, "%s/form.url", f->dir);
    /* bc_source may return one static buffer: copy each. */
    char cat[1024], cats[1024];
    snprintf(cat, sizeof cat, "%s",
             bc_source("data/indicators-breakdowns.csv"));
    snprintf(cats, sizeof cats, "%s", bc_source("data/categories.csv"));
    const char *extra[] = {"--catalog", cat, "--categories", cats, NULL};
    bc_hub_init(&f->hub);
    bc_hub_start(&f->hub, f->dir, NULL, extra);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    if (f->node.pid)
        assert_int_equal(bc_stop(&f->node, SIGTERM, 10000), 0);
    if (!f->hub_down)
        assert_int_equal(bc_hub_stop(&f->hub), 0);
    else
        bc_hub_stop(&f->hub);
    bc_rmtree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

static bool copy_exists(void *arg)
{
    const fixture_t *f = arg;
    return access(bc_path(f->store, "hub-copy.pb"), R_OK) == 0;
}

static bool form_url(void *arg)
{
    fixture_t *f = arg;
    return (f->port = bc_url_file_port(f->urlfile)) > 0;
}

/* A field's value urlencoded: the cells' names carry [ ] , = and +. */
static void urlencode(const char *s, char *out, size_t len)
{
    size_t w = 0;
    for (; *s && w + 4 < len; s++) {
        unsigned char c = (unsigned char) *s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')
            out[w++] = (char) c;
        else
            w += (size_t) snprintf(out + w, len - w, "%%%02X", c);
    }
    out[w] = '\0';
}

/* Appends "&name=value" (both encoded) to body. */
static void add_field(char *body, size_t len, const char *name,
                      const char *value)
{
    char en[300], ev[100];
    urlencode(name, en, sizeof en);
    urlencode(value, ev, sizeof ev);
    size_t w = strlen(body);
    snprintf(body + w, len - w, "&%s=%s", en, ev);
}

/* The cell field of sxh_cases for sex s, age a, as the form names it (the
 * combination's code, categories in byte order: bc_report.h). */
static void sxh_cell(int s, int a, char *out, size_t len)
{
    snprintf(out, len, "sxh_cases[age=%s,sex=%s]", AGE[a], SEX[s]);
}

/* Dengue cases for sex s, age a: all different, so that a cell filed
 * into the wrong combination shows. */
static int64_t dengue(int s, int a)
{
    return 2 + s * 10 + a * 3;
}

/* The body of a form: the period, sxh_cases' eight cells (cell
 * `skip` left out, -1: none; cell `bad` given `badval`), and `more`. */
static void grid_body(char *body, size_t len, const char *period, int skip,
                      int bad, const char *badval, const char *more)
{
    snprintf(body, len, "period=%s", period);
    for (int s = 0; s < 2; s++)
        for (int a = 0; a < 4; a++) {
            int i = s * 4 + a;
            if (i == skip)
                continue;
            char name[80], v[32];
            sxh_cell(s, a, name, sizeof name);
            snprintf(v, sizeof v, "%lld", (long long) dengue(s, a));
            add_field(body, len, name, i == bad ? badval : v);
        }
    if (more) {
        size_t w = strlen(body);
        snprintf(body + w, len - w, "&%s", more);
    }
}

/* Starts the node with its form and waits until the form answers with
 * its grids (from the hub's catalogue and the node's copy). */
static void start_node(fixture_t *f)
{
    const char *argv[] = {"--store", f->store, "--unit", "HP-HB-QT", "--hub",
                          f->hub.endpoint, "--plain", "--poll", "100",
                          "--form", "127.0.0.1:0", "--form-url-file",
                          f->urlfile, NULL};
    unlink(f->urlfile);
    f->node = bc_spawn("baocao-node", argv, bc_path(f->dir, "node.log"));
    assert_true(bc_eventually(form_url, f, 20000));
}

/* GET /api/form until it answers with sxh_cases' grid; returns the doc
 * (caller frees). */
static cJSON *form_doc(fixture_t *f)
{
    for (int i = 0; i < 300; i++) {
        cJSON *doc = NULL;
        int st = bc_form_request(f->port, "GET", "/api/form", NULL, &doc);
        if (st == 200) {
            cJSON *g;
            cJSON_ArrayForEach(g, cJSON_GetObjectItem(doc, "programmes")) {
                cJSON *ind;
                cJSON_ArrayForEach(ind, cJSON_GetObjectItem(g,
                                                            "indicators")) {
                    const char *code = cJSON_GetStringValue(
                        cJSON_GetObjectItem(ind, "code"));
                    if (!strcmp(code, "sxh_cases")
                        && cJSON_GetObjectItem(ind, "cells"))
                        return doc;
                }
            }
        }
        cJSON_Delete(doc);
        usleep(100000);
    }
    fail_msg("the form never showed sxh_cases' grid");
    return NULL;
}

static cJSON *indicator(cJSON *doc, const char *code)
{
    cJSON *g;
    cJSON_ArrayForEach(g, cJSON_GetObjectItem(doc, "programmes")) {
        cJSON *ind;
        cJSON_ArrayForEach(ind, cJSON_GetObjectItem(g, "indicators"))
            if (!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(ind,
                                                                 "code")),
                        code))
                return ind;
    }
    return NULL;
}

/* The form's fields: grids as the catalogue says, totals-only fields
 * alone, no combination a field of its own. */
static void expect_grids(cJSON *doc)
{
    cJSON *g;
    cJSON_ArrayForEach(g, cJSON_GetObjectItem(doc, "programmes")) {
        cJSON *ind;
        cJSON_ArrayForEach(ind, cJSON_GetObjectItem(g, "indicators")) {
            const char *code = cJSON_GetStringValue(
                cJSON_GetObjectItem(ind, "code"));
            if (strchr(code, '['))
                fail_msg("a combination is a field of its own: %s", code);
        }
    }
    cJSON *sxh = indicator(doc, "sxh_cases");
    assert_non_null(sxh);
    cJSON *cats = cJSON_GetObjectItem(sxh, "categories");
    assert_int_equal(cJSON_GetArraySize(cats), 2);
    cJSON *sex = cJSON_GetArrayItem(cats, 0);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(sex,
                                                                 "code")),
                        "sex");
    cJSON *nu = cJSON_GetArrayItem(cJSON_GetObjectItem(sex, "options"), 1);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(nu,
                                                                 "name")),
                        "Nữ");
    cJSON *cells = cJSON_GetObjectItem(sxh, "cells");
    assert_int_equal(cJSON_GetArraySize(cells), 8);
    /* Rows by sex, columns by age (the last category fastest). */
    for (int s = 0; s < 2; s++)
        for (int a = 0; a < 4; a++) {
            char want[80];
            sxh_cell(s, a, want, sizeof want);
            assert_string_equal(cJSON_GetStringValue(
                                    cJSON_GetArrayItem(cells, s * 4 + a)),
                                want);
        }
    cJSON *tcm = indicator(doc, "tcm_cases");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(tcm, "cells")),
                     4);
    cJSON *soi = indicator(doc, "soi_cases");
    assert_non_null(soi);
    assert_null(cJSON_GetObjectItem(soi, "cells"));
    assert_null(cJSON_GetObjectItem(soi, "categories"));
}

static const char *field(cJSON *doc, const char *obj, const char *name)
{
    cJSON *o = cJSON_GetObjectItem(doc, obj);
    cJSON *v = o ? cJSON_GetObjectItemCaseSensitive(o, name) : NULL;
    return v ? cJSON_GetStringValue(v) : NULL;
}

static void expect_in(const char *out, const char *needle)
{
    if (!out || !strstr(out, needle))
        fail_msg("expected \"%s\" in: %s", needle, out ? out : "(none)");
}

/* Reports in the node's outbox, whatever their state. */
static uint64_t outbox_count(const fixture_t *f)
{
    char err[256];
    node_outbox_t *o = node_outbox_open(f->store, err, sizeof err);
    assert_non_null(o);
    node_stats_t st;
    assert_int_equal(node_outbox_stats(o, &st), 0);
    node_outbox_close(&o);
    return st.pending + st.in_flight + st.delivered + st.rejected;
}

/* A Query of `inds` for unit and period with `by` (NULL: none). */
static Baocao__Reply *query_by(fixture_t *f, const char *unit,
                               const char *period, const char *ind,
                               const char *by)
{
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    Baocao__Query q = BAOCAO__QUERY__INIT;
    char *iv[1] = {(char *) ind}, *bv[4];
    char bb[64];
    q.unit = (char *) unit;
    q.period = (char *) period;
    q.indicators = iv;
    q.n_indicators = 1;
    if (by) {
        snprintf(bb, sizeof bb, "%s", by);
        char *save = NULL;
        for (char *t = strtok_r(bb, ",", &save); t;
             t = strtok_r(NULL, ",", &save))
            bv[q.n_by++] = t;
        q.by = bv;
    }
    req.version = 1;
    req.body_case = BAOCAO__REQUEST__BODY_QUERY;
    req.query = &q;
    Baocao__Reply *r = bc_send(f->hub.endpoint, &req);
    assert_int_equal(r->body_case, BAOCAO__REPLY__BODY_QUERY);
    return r;
}

/* The value of the breakdown row of `code` with options "cat=opt,..." in
 * the reply's order; fails when there is none. */
static int64_t row_value(const Baocao__Reply *r, const char *code,
                         const char *opts)
{
    for (size_t i = 0; i < r->query->n_breakdown; i++) {
        const Baocao__Figure *fig = r->query->breakdown[i];
        char buf[200] = "";
        size_t n = 0;
        for (size_t k = 0; k < fig->n_options; k++)
            n += (size_t) snprintf(buf + n, sizeof buf - n, "%s%s=%s",
                                   k ? "," : "", fig->options[k]->category,
                                   fig->options[k]->option);
        if (!strcmp(fig->indicator, code) && !strcmp(buf, opts)) {
            if (!fig->value || !fig->value->present)
                fail_msg("row %s %s has no value", code, opts);
            return fig->value->value;
        }
    }
    fail_msg("no breakdown row %s %s", code, opts);
    return -1;
}

typedef struct {
    fixture_t *f;        /* the fixture */
    const char *period;  /* the period to wait for */
    const char *ind;     /* an indicator it has */
} at_hub_t;

static bool at_hub(void *arg)
{
    at_hub_t *w = arg;
    int64_t v;
    return bc_query_value(w->f->hub.endpoint, "HP-HB-QT", w->period, w->ind,
                          &v);
}

/* The hub's figures of sxh_cases for HP-HB-QT in period: each combination
 * as dengue(), their total. */
static void expect_dengue(fixture_t *f, const char *unit,
                          const char *period)
{
    Baocao__Reply *r = query_by(f, unit, period, "sxh_cases", "sex,age");
    const Baocao__Figure *t = bc_figure(r, "sxh_cases");
    assert_non_null(t);
    assert_true(t->value && t->value->present);
    int64_t total = 0;
    assert_int_equal(r->query->n_breakdown, 8);
    for (int s = 0; s < 2; s++)
        for (int a = 0; a < 4; a++) {
            char o[64];
            snprintf(o, sizeof o, "sex=%s,age=%s", SEX[s], AGE[a]);
            assert_int_equal(row_value(r, "sxh_cases", o), dengue(s, a));
            total += dengue(s, a);
        }
    assert_int_equal(t->value->value, total);
    baocao__reply__free_unpacked(r, NULL);
}

/* The item 4 through the form: grids filed, delivered, and the
 * hub's figures by combination are the cells; the same rows from a CSV
 * give the same figures. */
static void test_grid_filed_and_delivered(void **state)
{
    fixture_t *f = *state;
    start_node(f);
    assert_true(bc_eventually(copy_exists, f, 20000));
    cJSON *doc = form_doc(f);
    expect_grids(doc);
    cJSON_Delete(doc);

    /* sxh_cases: cells alone (the hub sums them); tcm_cases: four cells
     * and the total typed, which they sum to; soi_cases: a total alone. */
    char body[8192];
    grid_body(body, sizeof body, "2025-05", -1, -1, NULL,
              "tcm_cases=30&soi_cases=5");
    static const char *tcm_age[4] = {"0-4", "5-14", "15-49", "50+"};
    for (int a = 0; a < 4; a++) {
        char name[80], v[16];
        snprintf(name, sizeof name, "tcm_cases[age=%s]", tcm_age[a]);
        snprintf(v, sizeof v, "%d", 4 + a * 2);    /* 4+6+8+10 = 28 */
        add_field(body, sizeof body, name, v);
    }
    /* 28, not 30: refused first, with the difference, nothing filed. */
    assert_int_equal(bc_form_request(f->port, "POST", "/api/file", body, &doc), 400);
    expect_in(field(doc, "errors", "tcm_cases"), "chênh lệch 2");
    cJSON_Delete(doc);
    assert_int_equal(outbox_count(f), 0);
    char *fix = strstr(body, "tcm_cases=30");
    assert_non_null(fix);
    memcpy(fix, "tcm_cases=28", 12);
    assert_int_equal(bc_form_request(f->port, "POST", "/api/file", body, &doc), 200);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(doc, "checked")));
    /* 8 + 4 cells, tcm_cases' total and soi_cases. */
    assert_int_equal(cJSON_GetNumberValue(cJSON_GetObjectItem(doc,
                                                              "figures")),
                     14);
    cJSON_Delete(doc);

    /* The same breakdown as `baocao submit` reads it from a file. */
    char csv[2048] = "indicator,sex,age,value\n";
    for (int s = 0; s < 2; s++)
        for (int a = 0; a < 4; a++) {
            size_t w = strlen(csv);
            snprintf(csv + w, sizeof csv - w, "sxh_cases,%s,%s,%lld\n",
                     SEX[s], AGE[a], (long long) dengue(s, a));
        }
    const char *file = bc_path(f->dir, "report.csv");
    bc_write_file(file, csv);
    const char *sargv[] = {"submit", "--store", f->store, "--unit",
                           "HP-HB-QT", "--period", "2025-06", "--file", file,
                           NULL};
    char *out = NULL;
    assert_int_equal(bc_run_all("baocao", sargv, &out), 0);
    free(out);

    /* Delivered by the node; the hub's figures by combination. */
    at_hub_t w1 = {f, "2025-05", "soi_cases"}, w2 = {f, "2025-06",
                                                   "sxh_cases"};
    assert_true(bc_eventually(at_hub, &w1, 30000));
    assert_true(bc_eventually(at_hub, &w2, 30000));
    expect_dengue(f, "HP-HB-QT", "2025-05");
    expect_dengue(f, "HP-HB", "2025-05");      /* up the tree */
    expect_dengue(f, "HP-HB-QT", "2025-06");   /* the CSV: the same */
    Baocao__Reply *r = query_by(f, "HP-HB-QT", "2025-05", "tcm_cases", "age");
    for (int a = 0; a < 4; a++) {
        char o[32];
        snprintf(o, sizeof o, "age=%s", tcm_age[a]);
        assert_int_equal(row_value(r, "tcm_cases", o), 4 + a * 2);
    }
    assert_int_equal(bc_figure(r, "tcm_cases")->value->value, 28);
    baocao__reply__free_unpacked(r, NULL);
    int64_t v = 0;
    assert_true(bc_query_value(f->hub.endpoint, "HP-HB-QT", "2025-05",
                               "soi_cases", &v));
    assert_int_equal(v, 5);

    /* A SliceQuery of one combination: the district's row and the
     * ward's, May and June. */
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    Baocao__SliceQuery q = BAOCAO__SLICE_QUERY__INIT;
    q.unit = "HP-HB";
    q.indicator = "sxh_cases[sex=nu,age=50+]";
    q.from = "2025-05";
    q.to = "2025-06";
    q.include_self = true;
    req.body_case = BAOCAO__REQUEST__BODY_SLICE;
    req.slice = &q;
    r = bc_send(f->hub.endpoint, &req);
    if (r->body_case != BAOCAO__REPLY__BODY_SLICE)
        fail_msg("no slice of a combination: %s",
                 r->body_case == BAOCAO__REPLY__BODY_ERROR
                     ? r->error->message : "?");
    const Baocao__SliceReply *s = r->slice;
    assert_string_equal(s->rows[0]->unit, "HP-HB");
    const Baocao__SliceRow *qt = NULL;
    for (size_t i = 0; i < s->n_rows; i++)
        if (!strcmp(s->rows[i]->unit, "HP-HB-QT"))
            qt = s->rows[i];
    assert_non_null(qt);
    for (int m = 0; m < 2; m++) {
        assert_int_equal(s->rows[0]->values[m], dengue(1, 3));
        assert_int_equal(qt->values[m], dengue(1, 3));
        assert_int_equal(qt->reporting_units[m], 1);
    }
    baocao__reply__free_unpacked(r, NULL);
}

/* Refused before filing, each next to its field, as the hub would. */
static void test_grid_refusals(void **state)
{
    fixture_t *f = *state;
    start_node(f);
    assert_true(bc_eventually(copy_exists, f, 20000));
    cJSON_Delete(form_doc(f));
    char body[8192], name[80];
    cJSON *doc = NULL;

    /* A negative cell and a fractional one: each named. */
    grid_body(body, sizeof body, "2025-05", -1, 4, "-3", NULL);
    assert_int_equal(bc_form_request(f->port, "POST", "/api/file", body, &doc), 400);
    sxh_cell(1, 0, name, sizeof name);
    const char *e = field(doc, "errors", name);
    expect_in(e, "Nữ, Dưới 5 tuổi");
    expect_in(e, "âm");
    /* A cell refused: no sums are judged without it. */
    assert_null(field(doc, "errors", "sxh_cases"));
    cJSON_Delete(doc);
    grid_body(body, sizeof body, "2025-05", -1, 7, "2.5", NULL);
    assert_int_equal(bc_form_request(f->port, "POST", "/api/file", body, &doc), 400);
    sxh_cell(1, 3, name, sizeof name);
    e = field(doc, "errors", name);
    expect_in(e, "Nữ, Từ 50 tuổi trở lên");
    expect_in(e, "số nguyên");
    cJSON_Delete(doc);

    /* Cells that do not sum to the typed total (five more): the
     * difference named. */
    int64_t sum = 0;
    for (int s = 0; s < 2; s++)
        for (int a = 0; a < 4; a++)
            sum += dengue(s, a);
    char more[64];
    snprintf(more, sizeof more, "sxh_cases=%lld", (long long) sum + 5);
    grid_body(body, sizeof body, "2025-05", -1, -1, NULL, more);
    assert_int_equal(bc_form_request(f->port, "POST", "/api/file", body, &doc), 400);
    e = field(doc, "errors", "sxh_cases");
    char want[120];
    snprintf(want, sizeof want, "Tổng đã nhập (%lld) khác tổng các ô "
             "(%lld), chênh lệch 5", (long long) sum + 5, (long long) sum);
    expect_in(e, want);
    cJSON_Delete(doc);

    /* Seven cells of eight: the missing one named. */
    grid_body(body, sizeof body, "2025-05", 5, -1, NULL, NULL);
    assert_int_equal(bc_form_request(f->port, "POST", "/api/file", body, &doc), 400);
    e = field(doc, "errors", "sxh_cases");
    expect_in(e, "Chưa nhập đủ các ô");
    expect_in(e, "Còn thiếu: Nữ, Từ 5 đến 14 tuổi");
    cJSON_Delete(doc);

    /* A combination the hub does not have. */
    snprintf(body, sizeof body, "period=2025-05");
    add_field(body, sizeof body, "sxh_cases[age=99,sex=nu]", "1");
    assert_int_equal(bc_form_request(f->port, "POST", "/api/file", body, &doc), 400);
    expect_in(field(doc, "errors", "sxh_cases[age=99,sex=nu]"),
              "không có trong bảng");
    cJSON_Delete(doc);
    assert_int_equal(outbox_count(f), 0);

    /* `baocao submit`, the same checks: the unbalanced CSV refused. */
    char csv[2048] = "indicator,sex,age,value\n";
    for (int s = 0; s < 2; s++)
        for (int a = 0; a < 4; a++) {
            size_t w = strlen(csv);
            snprintf(csv + w, sizeof csv - w, "sxh_cases,%s,%s,%lld\n",
                     SEX[s], AGE[a], (long long) dengue(s, a));
        }
    size_t w = strlen(csv);
    snprintf(csv + w, sizeof csv - w, "sxh_cases,,,%lld\n",
             (long long) sum + 5);
    const char *file = bc_path(f->dir, "report.csv");
    bc_write_file(file, csv);
    const char *sargv[] = {"submit", "--store", f->store, "--unit",
                           "HP-HB-QT", "--period", "2025-05", "--file", file,
                           NULL};
    char *out = NULL;
    assert_int_equal(bc_run_all("baocao", sargv, &out), 1);
    snprintf(want, sizeof want, "report.csv:10: sxh_cases: the combinations "
             "sum to %lld, the total given is %lld (difference 5)",
             (long long) sum, (long long) sum + 5);
    expect_in(out, want);
    free(out);
    assert_int_equal(outbox_count(f), 0);
}

/* The hub down: the form made from the node's copy alone has the same
 * grids, and files a grid checked against the copy. */
static void test_grid_from_copy_offline(void **state)
{
    fixture_t *f = *state;
    /* The delivery loop fetches the copy; the node stops. */
    const char *argv[] = {"--store", f->store, "--unit", "HP-HB-QT", "--hub",
                          f->hub.endpoint, "--plain", NULL};
    bc_proc_t p = bc_spawn("baocao-node", argv, NULL);
    assert_true(bc_eventually(copy_exists, f, 20000));
    assert_int_equal(bc_stop(&p, SIGTERM, 10000), 0);
    assert_int_equal(bc_hub_stop(&f->hub), 0);
    f->hub_down = true;
    start_node(f);
    cJSON *doc = form_doc(f);
    expect_grids(doc);
    cJSON_Delete(doc);
    char body[8192];
    grid_body(body, sizeof body, "2025-05", -1, -1, NULL, NULL);
    assert_int_equal(bc_form_request(f->port, "POST", "/api/file", body, &doc), 200);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(doc, "checked")));
    assert_int_equal(cJSON_GetNumberValue(cJSON_GetObjectItem(doc,
                                                              "figures")),
                     8);
    cJSON_Delete(doc);
    assert_int_equal(outbox_count(f), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_grid_filed_and_delivered,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_grid_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_grid_from_copy_offline, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
