/*
 * web_hub.c -- the pages' questions, asked of the hub over the wire.
 *
 * Each page is built from plain requests on one DEALER link (bc_client):
 * a dashboard is one Query for every indicator of the unit, one Query per
 * child for the chosen indicator (the children's year to date and % of
 * plan follow the hub's rules for stocks and plans, which a month-by-month
 * slice does not carry), and one SliceQuery for the chart (24 months of
 * the unit); the completeness grid is one CompletenessQuery per month. On
 * loopback each request is a fraction of a millisecond, so a page costs a
 * few milliseconds.
 *
 * Figures are read through bc_figure.h (rates from their parts, targets,
 * % of plan), as `baocao query` reads them, so that the page, the CSV and
 * the CLI agree to the digit; the changes and shares are computed here
 * from those.
 *
 * The replies of a page are decoded into one arena (bc_client_call_arena:
 * no malloc per field, and no free_unpacked walk), reset when the next
 * page starts: a reply never outlives the page built from it, as the
 * JSON copies what it shows.
 */
#include "web_hub.h"

#include "bc_client.h"
#include "bc_csv.h"
#include "bc_error.h"
#include "bc_figure.h"
#include "bc_log.h"
#include "bc_mem.h"
#include "bc_period.h"
#include "bc_registry.h"
#include "bc_wire.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct web_hub_t {
    bc_client_t *client;     /* the link to the hub */
    bc_registry_t *reg;      /* units and catalogue (read-only copy) */
    char **phones;           /* by unit idx: phone number or NULL */
    int timeout_ms;          /* per request to the hub */
    bc_arena_t *arena;       /* the current page's replies */
};

/* Reads the optional `phone` column of the units file; a file without one
 * simply has no phone numbers. */
static int load_phones(web_hub_t *self, const char *units_path, char *err,
                       size_t errlen)
{
    bc_csv_t *csv = bc_csv_load(units_path, err, errlen);
    if (!csv)
        return BC_EPARSE;
    size_t n = bc_registry_nunits(self->reg);
    self->phones = bc_calloc(n ? n : 1, sizeof *self->phones);
    int cc = bc_csv_column(csv, "code"), cp = bc_csv_column(csv, "phone");
    if (cc >= 0 && cp >= 0)
        for (size_t i = 0; i < bc_csv_rows(csv); i++) {
            bc_unit_t *u = bc_registry_find_unit(self->reg,
                                                 bc_csv_field(csv, i, cc));
            const char *ph = bc_csv_field(csv, i, cp);
            if (u && ph && *ph)
                self->phones[u->idx] = bc_strdup(ph);
        }
    bc_csv_destroy(&csv);
    return BC_OK;
}

web_hub_t *web_hub_new(const char *endpoint, const bc_security_t *sec,
                       const char *units_path, const char *catalog_path,
                       int timeout_ms, char *err, size_t errlen)
{
    web_hub_t *self = bc_calloc(1, sizeof *self);
    self->timeout_ms = timeout_ms;
    if (!(self->reg = bc_registry_load(units_path, catalog_path, err,
                                       errlen)))
        goto out_fail;
    if (load_phones(self, units_path, err, errlen))
        goto out_fail;
    if (!(self->client = bc_client_new(endpoint, sec, err, errlen)))
        goto out_fail;
    self->arena = bc_arena_new(64 << 10);
    return self;
out_fail:
    web_hub_destroy(&self);
    return NULL;
}

void web_hub_destroy(web_hub_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    web_hub_t *self = *self_p;
    bc_client_destroy(&self->client);
    bc_arena_destroy(&self->arena);
    if (self->phones)
        for (size_t i = 0; i < bc_registry_nunits(self->reg); i++)
            free(self->phones[i]);
    free(self->phones);
    bc_registry_destroy(&self->reg);
    free(self);
    *self_p = NULL;
}

/* --- asking the hub -------------------------------------------------------- */

/* Sends req and returns the reply of the expected body, or an error code
 * with the reason in err (the hub's own words for an Error reply). */
static int call(web_hub_t *self, Baocao__Request *req,
                Baocao__Reply__BodyCase want, Baocao__Reply **out, char *err,
                size_t errlen)
{
    Baocao__Reply *reply = NULL;
    int rc = bc_client_call_arena(self->client, req, self->arena, &reply,
                                  self->timeout_ms);
    if (rc == BC_ECRYPTO) {
        bc_set_error(err, errlen, "the hub refused our key: %s",
                     bc_client_auth_error(self->client));
        return rc;
    }
    if (rc) {
        bc_set_error(err, errlen, "no answer from the hub: %s",
                     bc_strerror(rc));
        return rc;
    }
    if (reply->body_case == BAOCAO__REPLY__BODY_ERROR) {
        bc_set_error(err, errlen, "the hub refused: %s: %s",
                     bc_reason_name(reply->error->reason),
                     reply->error->message);
        rc = reply->error->reason == BAOCAO__REJECT_REASON__REASON_BAD_PERIOD
                 || reply->error->reason
                        == BAOCAO__REJECT_REASON__REASON_UNKNOWN_UNIT
                 || reply->error->reason
                        == BAOCAO__REJECT_REASON__REASON_UNKNOWN_INDICATOR
             ? BC_EINVAL : BC_EREJECTED;
        return rc;
    }
    if (reply->body_case != want) {
        bc_set_error(err, errlen, "the hub answered with the wrong message");
        return BC_EPARSE;
    }
    *out = reply;
    return BC_OK;
}

static int query(web_hub_t *self, const char *unit, const char *period,
                 const char *indicator, Baocao__Reply **out, char *err,
                 size_t errlen)
{
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    Baocao__Query q = BAOCAO__QUERY__INIT;
    char *inds[1] = {(char *) indicator};
    q.unit = (char *) unit;
    q.period = (char *) period;
    if (indicator) {
        q.n_indicators = 1;
        q.indicators = inds;
    }
    req.body_case = BAOCAO__REQUEST__BODY_QUERY;
    req.query = &q;
    return call(self, &req, BAOCAO__REPLY__BODY_QUERY, out, err, errlen);
}

/* --- figures as the operator reads them ------------------------------------ */

static void put(cJSON *o, const char *name, bool has, double v)
{
    if (has)
        cJSON_AddNumberToObject(o, name, v);
    else
        cJSON_AddNullToObject(o, name);
}

/* A percentage with one decimal, as the printed reports show it. */
static double pct1(double a, double b)
{
    return round(a / b * 1000.0) / 10.0;
}

static cJSON *figure_json(const Baocao__Figure *f, const char *programme)
{
    bc_shown_t s = bc_figure_shown(f);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "indicator", f->indicator);
    cJSON_AddStringToObject(o, "name", f->name);
    cJSON_AddStringToObject(o, "kind", bc_kind_name(f->kind));
    cJSON_AddStringToObject(o, "programme", programme);
    put(o, "value", s.has_value, s.value);
    put(o, "cumulative", s.has_cum, s.cum);
    put(o, "previous", s.has_prev, s.prev);
    put(o, "change_previous", s.has_value && s.has_prev, s.value - s.prev);
    put(o, "same_period_last_year", s.has_ly, s.ly);
    put(o, "change_last_year", s.has_value && s.has_ly, s.value - s.ly);
    put(o, "change_last_year_pct", s.has_value && s.has_ly && s.ly != 0,
        s.ly ? (s.value - s.ly) / s.ly * 100.0 : 0);
    double pct;
    put(o, "target", s.has_target, s.target);
    bool has_pct = bc_figure_of_plan(&s, &pct);
    put(o, "target_pct", has_pct, pct);
    cJSON_AddNumberToObject(o, "reporting_units", f->reporting_units);
    if (s.is_rate)
        cJSON_AddNumberToObject(o, "scale", f->scale);
    return o;
}

/* unit, unit_name, level and the path from the root, for the breadcrumbs. */
static void unit_header(web_hub_t *self, cJSON *o, const bc_unit_t *u)
{
    cJSON_AddStringToObject(o, "unit", u->code);
    cJSON_AddStringToObject(o, "unit_name", u->name);
    cJSON_AddStringToObject(o, "level", u->level);
    cJSON *path = cJSON_AddArrayToObject(o, "path");
    const bc_unit_t *chain[64];
    size_t n = 0;
    for (const bc_unit_t *a = u; a && n < 64;
         a = a->parent >= 0 ? bc_registry_unit(self->reg,
                                               (uint32_t) a->parent) : NULL)
        chain[n++] = a;
    while (n--) {
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "code", chain[n]->code);
        cJSON_AddStringToObject(r, "name", chain[n]->name);
        cJSON_AddItemToArray(path, r);
    }
}

/* Checks the page's arguments: a known unit and a month. */
static int check_args(web_hub_t *self, const char *unit, const char *period,
                      bc_unit_t **u, bc_period_t *p, char *err, size_t errlen)
{
    if (!unit || !*unit || !(*u = bc_registry_find_unit(self->reg, unit))) {
        bc_set_error(err, errlen, "unknown unit '%s'", unit ? unit : "");
        return BC_ENOTFOUND;
    }
    if (!period || bc_period_parse(period, p)
        || bc_period_type(*p) != BC_PT_MONTH) {
        bc_set_error(err, errlen, "period must be a month, YYYY-MM");
        return BC_EINVAL;
    }
    return BC_OK;
}

/* --- dashboard ------------------------------------------------------------- */

typedef struct {
    const bc_unit_t *unit;   /* the child */
    bool has;                /* it has a value */
    double value;            /* its value for the period */
    cJSON *row;              /* its row, built before ranking */
} child_t;

static int by_value_desc(const void *a, const void *b)
{
    const child_t *x = a, *y = b;
    if (x->has != y->has)
        return x->has ? -1 : 1;
    if (x->value != y->value)
        return x->value > y->value ? -1 : 1;
    return strcmp(x->unit->code, y->unit->code);
}

static int add_children(web_hub_t *self, cJSON *doc, const bc_unit_t *u,
                        const char *period, const char *ind, char *err,
                        size_t errlen)
{
    int rc = BC_OK;
    child_t *kids = bc_calloc(u->nchildren ? u->nchildren : 1, sizeof *kids);
    double total = 0;
    bool is_rate = false;
    size_t i;
    for (i = 0; i < u->nchildren; i++) {
        const bc_unit_t *c = bc_registry_unit(self->reg, u->children[i]);
        /* A child's reply is done with at the end of its row. */
        bc_arena_mark_t mark = bc_arena_mark(self->arena);
        Baocao__Reply *r = NULL;
        if ((rc = query(self, c->code, period, ind, &r, err, errlen)))
            goto out_free;
        kids[i].unit = c;
        kids[i].row = cJSON_CreateObject();
        cJSON_AddStringToObject(kids[i].row, "unit", c->code);
        cJSON_AddStringToObject(kids[i].row, "name", c->name);
        cJSON_AddBoolToObject(kids[i].row, "has_children", c->nchildren > 0);
        if (r->query->n_figures == 1) {
            bc_shown_t s = bc_figure_shown(r->query->figures[0]);
            is_rate = s.is_rate;
            kids[i].has = s.has_value;
            kids[i].value = s.value;
            if (s.has_value && !s.is_rate)
                total += s.value;
            put(kids[i].row, "value", s.has_value, s.value);
            put(kids[i].row, "cumulative", s.has_cum, s.cum);
            double pct;
            bool has_pct = bc_figure_of_plan(&s, &pct);
            put(kids[i].row, "target_pct", has_pct, pct);
        }
        bc_arena_rewind(self->arena, mark);
    }
    qsort(kids, u->nchildren, sizeof *kids, by_value_desc);
    cJSON *arr = cJSON_AddArrayToObject(doc, "children");
    for (i = 0; i < u->nchildren; i++) {
        /* A rate's share of a total means nothing: rates do not add up. */
        put(kids[i].row, "share", kids[i].has && !is_rate && total > 0,
            total > 0 ? round(kids[i].value / total * 1000.0) / 10.0 : 0);
        cJSON_AddNumberToObject(kids[i].row, "rank", (double) (i + 1));
        cJSON_AddItemToArray(arr, kids[i].row);
        kids[i].row = NULL;
    }
    i = u->nchildren;
out_free:
    while (i--)
        cJSON_Delete(kids[i].row);
    free(kids);
    return rc;
}

/* The chosen indicator month by month, this year and last year: one
 * SliceQuery over the 24 months, the unit itself as its first row. */
static int add_chart(web_hub_t *self, cJSON *doc, const bc_unit_t *u,
                     unsigned year, const char *ind, char *err,
                     size_t errlen)
{
    char from[BC_PERIOD_STRLEN], to[BC_PERIOD_STRLEN];
    bc_period_format(bc_period_make(year - 1, BC_PT_MONTH, 1), from);
    bc_period_format(bc_period_make(year, BC_PT_MONTH, 12), to);
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    Baocao__SliceQuery q = BAOCAO__SLICE_QUERY__INIT;
    q.unit = u->code;
    q.indicator = (char *) ind;
    q.from = from;
    q.to = to;
    q.include_self = true;
    req.body_case = BAOCAO__REQUEST__BODY_SLICE;
    req.slice = &q;
    Baocao__Reply *r = NULL;
    int rc = call(self, &req, BAOCAO__REPLY__BODY_SLICE, &r, err, errlen);
    if (rc)
        return rc;
    const Baocao__SliceReply *sl = r->slice;
    const Baocao__SliceRow *row = sl->n_rows ? sl->rows[0] : NULL;
    bool ratio = sl->kind == BAOCAO__INDICATOR_KIND__KIND_RATIO;
    if (!row || row->n_reporting_units != 24
        || (ratio ? row->n_numerators != 24 || row->n_denominators != 24
                  : row->n_values != 24)) {
        bc_set_error(err, errlen, "the hub's slice has the wrong shape");
        return BC_EPARSE;
    }
    cJSON *chart = cJSON_AddObjectToObject(doc, "chart");
    cJSON_AddNumberToObject(chart, "year", year);
    cJSON *ly = cJSON_AddArrayToObject(chart, "last_year");
    cJSON *ty = cJSON_AddArrayToObject(chart, "this_year");
    for (size_t k = 0; k < 24; k++) {
        cJSON *series = k < 12 ? ly : ty;
        bool has = row->reporting_units[k] > 0;
        double v = 0;
        if (has && ratio) {
            has = row->denominators[k] != 0;
            if (has)
                v = (double) row->numerators[k]
                    / (double) row->denominators[k] * sl->scale;
        } else if (has) {
            v = (double) row->values[k];
        }
        cJSON_AddItemToArray(series, has ? cJSON_CreateNumber(v)
                                         : cJSON_CreateNull());
    }
    return BC_OK;
}

int web_hub_dashboard(web_hub_t *self, const char *unit, const char *period,
                      const char *indicator, cJSON **out, char *err,
                      size_t errlen)
{
    bc_unit_t *u;
    bc_period_t p;
    bc_arena_reset(self->arena);   /* the last page's replies */
    int rc = check_args(self, unit, period, &u, &p, err, errlen);
    if (rc)
        return rc;
    if (indicator && *indicator
        && !bc_registry_find_indicator(self->reg, indicator)) {
        bc_set_error(err, errlen, "unknown indicator '%s'", indicator);
        return BC_ENOTFOUND;
    }
    Baocao__Reply *all = NULL;
    if ((rc = query(self, u->code, period, NULL, &all, err, errlen)))
        return rc;

    /* Every indicator, grouped by programme in catalogue order. */
    cJSON *doc = cJSON_CreateObject();
    unit_header(self, doc, u);
    cJSON_AddStringToObject(doc, "period", period);
    /* Issue #11: whether the period is approved (locked), and by whom. */
    const Baocao__Approval *ap = all->query->approval;
    cJSON_AddBoolToObject(doc, "approved", all->query->approved);
    if (ap) {
        cJSON *ao = cJSON_AddObjectToObject(doc, "approval");
        char at[BC_TIME_TEXT];
        bc_time_format_local(ap->approved_at, at, sizeof at);
        cJSON_AddStringToObject(ao, "unit", ap->unit);
        cJSON_AddStringToObject(ao, "period", ap->period);
        cJSON_AddStringToObject(ao, "approved_by", ap->approved_by);
        cJSON_AddStringToObject(ao, "approved_at", at);
    }
    cJSON *groups = cJSON_AddArrayToObject(doc, "programmes");
    cJSON *group = NULL;
    const char *group_name = NULL;
    const char *chosen = indicator && *indicator ? indicator : NULL;
    for (size_t i = 0; i < all->query->n_figures; i++) {
        const Baocao__Figure *f = all->query->figures[i];
        const bc_indicator_t *ind = bc_registry_find_indicator(self->reg,
                                                               f->indicator);
        const char *prog = ind && ind->programme ? ind->programme : "";
        if (!group || strcmp(prog, group_name)) {
            group = cJSON_CreateObject();
            cJSON_AddStringToObject(group, "name", prog);
            cJSON_AddArrayToObject(group, "figures");
            cJSON_AddItemToArray(groups, group);
            group_name = prog;
        }
        cJSON_AddItemToArray(cJSON_GetObjectItem(group, "figures"),
                             figure_json(f, prog));
        if (!chosen && bc_figure_shown(f).has_value)
            chosen = f->indicator;
    }
    if (!chosen && all->query->n_figures)
        chosen = all->query->figures[0]->indicator;
    if (!chosen) {
        bc_set_error(err, errlen, "the catalogue is empty");
        rc = BC_ENOTFOUND;
        goto out_fail;
    }
    cJSON_AddStringToObject(doc, "indicator", chosen);
    const bc_indicator_t *ci = bc_registry_find_indicator(self->reg, chosen);
    cJSON_AddStringToObject(doc, "indicator_name", ci ? ci->name : chosen);

    /* The children ranked, then the chart, for the chosen indicator. */
    if ((rc = add_children(self, doc, u, period, chosen, err, errlen))
        || (rc = add_chart(self, doc, u, bc_period_year(p), chosen, err,
                           errlen)))
        goto out_fail;
    *out = doc;
    return BC_OK;
out_fail:
    cJSON_Delete(doc);
    return rc;
}

/* --- completeness ---------------------------------------------------------- */

static const char *state_name(Baocao__ReportState s)
{
    switch (s) {
    case BAOCAO__REPORT_STATE__STATE_ON_TIME: return "on_time";
    case BAOCAO__REPORT_STATE__STATE_LATE:    return "late";
    default:                                  return "missing";
    }
}

int web_hub_completeness(web_hub_t *self, const char *unit,
                         const char *period, cJSON **out, char *err,
                         size_t errlen)
{
    bc_unit_t *u;
    bc_period_t p;
    bc_arena_reset(self->arena);   /* the last page's replies */
    int rc = check_args(self, unit, period, &u, &p, err, errlen);
    if (rc)
        return rc;
    /* The rows: the units of the children's level, as the hub counts
     * them (a district's wards; a province's districts). */
    const char *level = u->nchildren
        ? bc_registry_unit(self->reg, u->children[0])->level : "";
    unsigned year = bc_period_year(p), last = bc_period_index(p);
    cJSON *doc = cJSON_CreateObject();
    unit_header(self, doc, u);
    cJSON_AddStringToObject(doc, "period", period);
    cJSON_AddStringToObject(doc, "row_level", level);
    cJSON *months = cJSON_AddArrayToObject(doc, "months");
    cJSON *rows = cJSON_AddArrayToObject(doc, "units");
    cJSON *missing = cJSON_AddArrayToObject(doc, "missing");
    for (unsigned m = 1; m <= last; m++) {
        char mp[BC_PERIOD_STRLEN];
        bc_period_format(bc_period_make(year, BC_PT_MONTH, m), mp);
        Baocao__Request req = BAOCAO__REQUEST__INIT;
        Baocao__CompletenessQuery q = BAOCAO__COMPLETENESS_QUERY__INIT;
        q.unit = u->code;
        q.period = mp;
        q.level = (char *) level;
        req.body_case = BAOCAO__REQUEST__BODY_COMPLETENESS;
        req.completeness = &q;
        /* A month's reply is done with once its cells are copied. */
        bc_arena_mark_t mark = bc_arena_mark(self->arena);
        Baocao__Reply *r = NULL;
        if ((rc = call(self, &req, BAOCAO__REPLY__BODY_COMPLETENESS, &r, err,
                       errlen)))
            goto out_fail;
        const Baocao__CompletenessReply *c = r->completeness;
        cJSON *mo = cJSON_CreateObject();
        cJSON_AddStringToObject(mo, "period", mp);
        cJSON_AddNumberToObject(mo, "expected", c->expected);
        cJSON_AddNumberToObject(mo, "reported", c->reported);
        cJSON_AddNumberToObject(mo, "on_time", c->on_time);
        put(mo, "rate_pct", c->expected > 0,
            c->expected ? pct1(c->reported, c->expected) : 0);
        cJSON_AddItemToArray(months, mo);
        for (size_t i = 0; i < c->n_units; i++) {
            const Baocao__UnitReport *ur = c->units[i];
            /* Rows follow the hub's order; find this unit's row. */
            cJSON *row = NULL, *it;
            cJSON_ArrayForEach(it, rows)
                if (!strcmp(cJSON_GetObjectItem(it, "unit")->valuestring,
                            ur->unit))
                    row = it;
            if (!row) {
                row = cJSON_CreateObject();
                cJSON_AddStringToObject(row, "unit", ur->unit);
                cJSON_AddStringToObject(row, "name", ur->name);
                cJSON *cells = cJSON_AddArrayToObject(row, "states");
                for (unsigned k = 1; k < m; k++)   /* not expected before */
                    cJSON_AddItemToArray(cells, cJSON_CreateNull());
                cJSON_AddItemToArray(rows, row);
            }
            const char *st = state_name(ur->state);
            cJSON_AddItemToArray(cJSON_GetObjectItem(row, "states"),
                                 cJSON_CreateString(st));
            if (m == last && !strcmp(st, "missing")) {
                cJSON *mi = cJSON_CreateObject();
                cJSON_AddStringToObject(mi, "unit", ur->unit);
                cJSON_AddStringToObject(mi, "name", ur->name);
                const bc_unit_t *mu = bc_registry_find_unit(self->reg,
                                                            ur->unit);
                const char *ph = mu ? self->phones[mu->idx] : NULL;
                if (ph)
                    cJSON_AddStringToObject(mi, "phone", ph);
                else
                    cJSON_AddNullToObject(mi, "phone");
                cJSON_AddItemToArray(missing, mi);
            }
        }
        bc_arena_rewind(self->arena, mark);
    }
    /* Per unit: months reported out of months expected. */
    cJSON *row;
    cJSON_ArrayForEach(row, rows) {
        unsigned expected = 0, reported = 0;
        cJSON *cell;
        cJSON_ArrayForEach(cell, cJSON_GetObjectItem(row, "states")) {
            if (!cJSON_IsString(cell))
                continue;
            expected++;
            reported += strcmp(cell->valuestring, "missing") != 0;
        }
        cJSON_AddNumberToObject(row, "reported", reported);
        put(row, "rate_pct", expected > 0,
            expected ? pct1(reported, expected) : 0);
    }
    *out = doc;
    return BC_OK;
out_fail:
    cJSON_Delete(doc);
    return rc;
}
