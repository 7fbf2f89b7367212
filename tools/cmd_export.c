/*
 * cmd_export.c -- `baocao export`: a hub's figures as a DHIS2 dataValueSet
 * (JSON or CSV) or an IHE ADX document.
 *
 * The hub is read through the query protocol, as an operator reads it
 * (`baocao query`): nothing here opens its store, so an export runs against
 * a live hub anywhere on the network. What is written:
 *
 *   --unit X             X's figures as the hub answers them: for a unit
 *                        with sub-units, the total of its subtree
 *   --children           each unit directly under X, with its subtree total
 *                        (X itself not included): the rows of a district
 *                        table, one per commune
 *   --descendants        every reporting unit in X's subtree, X included,
 *                        with its OWN report: the raw data values DHIS2
 *                        keeps, which its analytics then add up. A unit
 *                        with sub-units that also reports (a district
 *                        centre) gets its total minus its children's, both
 *                        value and number of reports, so that nothing is
 *                        counted twice when DHIS2 sums the tree. These
 *                        queries set as_filed: the reports as filed, not
 *                        the hub's answers (where a stock carries from an
 *                        earlier month)
 *
 * Each figure present becomes one data value (dataElement = indicator,
 * orgUnit = unit, period in DHIS2's ISO form, the default category option
 * combo); "no data" writes nothing, a reported 0 writes 0. Ratios are never
 * written as values: DHIS2 computes its indicators from data elements, and
 * a ratio's numerator and denominator are catalogue indicators of their own,
 * exported like any other. Codes are the identifiers (idScheme=CODE) unless
 * a mapping gives DHIS2's.
 *
 * --children and --descendants walk the registry file, in the tree of the
 * period asked (its first month: a unit that moved is exported under the
 * parent it had then, one not valid then is left out), the same one the
 * hub loaded), one query per unit.
 *
 * Breakdowns (issue 17): the hub's catalogue says which indicators are
 * broken down (one CatalogQuery); for those, each unit's figures are also
 * asked by all their categories, and each combination becomes a data value
 * with its categoryOptionCombo: the mapping's `coc` row for
 * `age=5-14,sex=nu`, or that text itself (ADX writes the options as
 * attributes, age="5-14" sex="nu"). DHIS2 keeps a disaggregated data
 * element's combinations and adds them up itself, so the total is not
 * written beside them; it is written alone (default combo) when the
 * combinations do not make it up, i.e. some report behind it gave its
 * total only, and the export says so on stderr.
 */
#include "bc_dhis2.h"
#include "bc_error.h"
#include "bc_mem.h"
#include "bc_period.h"
#include "bc_registry.h"
#include "bc_wire.h"
#include "cmd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    client_opts_t client;   /* hub connection */
    char *unit;             /* the unit */
    char *period;           /* the period */
    bool children;          /* its children's totals */
    bool descendants;       /* every reporting unit's own report */
    char *format;           /* dhis2-json, dhis2-csv, adx */
    char *mapping;          /* kind,ours,theirs */
    char *out;              /* output file, NULL: stdout */
    char *registry;         /* units file */
    char *catalog;          /* catalogue file */
    char *categories;       /* categories file, or NULL */
} export_cfg_t;

#define EC(f) offsetof(export_cfg_t, f)
static const bc_option_t export_options[] = {
    CLIENT_OPTIONS(export_cfg_t),
    {"unit", BC_OPT_STRING, EC(unit), 0, 0, NULL, "CODE", "the unit"},
    {"period", BC_OPT_STRING, EC(period), 0, 0, NULL, "PERIOD",
     "YYYY-MM, YYYY-Qn, YYYY-Hn or YYYY (or DHIS2's 202312, 2023Q4, ...)"},
    {"children", BC_OPT_BOOL, EC(children), 0, 0, NULL, NULL,
     "the units directly under --unit, each with its subtree's total"},
    {"descendants", BC_OPT_BOOL, EC(descendants), 0, 0, NULL, NULL,
     "every reporting unit under --unit (and itself), its own report"},
    {"format", BC_OPT_STRING, EC(format), 0, 0, "dhis2-json", "FORMAT",
     "dhis2-json, dhis2-csv or adx"},
    {"mapping", BC_OPT_STRING, EC(mapping), 0, 0, NULL, "MAP.csv",
     "kind,ours,theirs: our codes to DHIS2 UIDs or codes"},
    {"out", BC_OPT_STRING, EC(out), 0, 0, NULL, "FILE",
     "write here (default: standard output)"},
    {"registry", BC_OPT_STRING, EC(registry), 0, 0, "data/units.csv",
     "UNITS.csv", "--children/--descendants: the hub's registry"},
    {"catalog", BC_OPT_STRING, EC(catalog), 0, 0, "data/indicators.csv",
     "INDICATORS.csv", "--children/--descendants: the hub's catalogue"},
    {"categories", BC_OPT_STRING, EC(categories), 0, 0, NULL,
     "CATEGORIES.csv", "--children/--descendants: the hub's categories, "
     "when its catalogue breaks indicators down"},
};
#define NOPTS (sizeof export_options / sizeof export_options[0])

/* One unit's figures for the period: value and number of reports per
 * indicator, in the order of the hub's reply. */
typedef struct {
    size_t n;               /* indicators, then combinations */
    char **code;            /* indicator codes (owned) */
    char **coc;             /* a combination's options "age=5-14,sex=nu"
                               (owned), NULL for a total */
    bool *ratio;            /* computed, never exported */
    int64_t *value;         /* sum (0 when no data) */
    int64_t *reports;       /* reports behind value (0: no data) */
} figs_t;

static void figs_free(figs_t *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->code[i]);
        free(f->coc ? f->coc[i] : NULL);
    }
    free(f->code);
    free(f->coc);
    free(f->ratio);
    free(f->value);
    free(f->reports);
    memset(f, 0, sizeof *f);
}

/* The indicators broken down the same way (issue 17). */
typedef struct {
    char **cats;            /* categories (borrowed from the catalogue) */
    size_t ncats;
    char **codes;           /* the indicators (borrowed) */
    size_t ncodes;
} breakdown_set_t;

typedef struct {
    Baocao__Reply *reply;   /* the catalogue reply the strings live in */
    breakdown_set_t *sets;
    size_t nsets;
} breakdowns_t;

static void breakdowns_free(breakdowns_t *b)
{
    for (size_t i = 0; i < b->nsets; i++)
        free(b->sets[i].codes);
    free(b->sets);
    if (b->reply)
        baocao__reply__free_unpacked(b->reply, NULL);
    memset(b, 0, sizeof *b);
}

/* Asks the hub which indicators are broken down, grouped by their
 * categories. A hub without breakdowns answers with none. */
static int fetch_breakdowns(bc_client_t *client, const export_cfg_t *cfg,
                            breakdowns_t *out)
{
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    Baocao__CatalogQuery cq = BAOCAO__CATALOG_QUERY__INIT;
    req.body_case = BAOCAO__REQUEST__BODY_CATALOG;
    req.catalog = &cq;
    memset(out, 0, sizeof *out);
    if (cmd_call("export", client, &req, &out->reply, cfg->client.timeout_ms))
        return BC_EREJECTED;
    if (out->reply->body_case != BAOCAO__REPLY__BODY_CATALOG)
        return BC_OK;   /* an older hub: no breakdowns */
    const Baocao__CatalogReply *c = out->reply->catalog;
    out->sets = bc_calloc(c->n_indicators + 1, sizeof *out->sets);
    for (size_t i = 0; i < c->n_indicators; i++) {
        const Baocao__CatalogEntry *e = c->indicators[i];
        if (!e->n_categories
            || e->kind == BAOCAO__INDICATOR_KIND__KIND_RATIO)
            continue;   /* a ratio is never exported */
        breakdown_set_t *set = NULL;
        for (size_t k = 0; k < out->nsets && !set; k++) {
            breakdown_set_t *t = &out->sets[k];
            bool same = t->ncats == e->n_categories;
            for (size_t j = 0; same && j < t->ncats; j++)
                same = !strcmp(t->cats[j], e->categories[j]);
            if (same)
                set = t;
        }
        if (!set) {
            set = &out->sets[out->nsets++];
            set->cats = e->categories;
            set->ncats = e->n_categories;
            set->codes = bc_calloc(c->n_indicators, sizeof *set->codes);
        }
        set->codes[set->ncodes++] = e->code;
    }
    return BC_OK;
}

/* A breakdown row's options as "age=5-14,sex=nu", categories sorted. */
static char *options_text(const Baocao__Figure *f)
{
    const char *cats[8], *opts[8];
    size_t n = f->n_options < 8 ? f->n_options : 8;
    for (size_t k = 0; k < n; k++) {
        cats[k] = f->options[k]->category;
        opts[k] = f->options[k]->option;
    }
    /* Sorted by category (a handful: insertion sort). */
    for (size_t k = 1; k < n; k++)
        for (size_t j = k; j > 0 && strcmp(cats[j - 1], cats[j]) > 0; j--) {
            const char *t = cats[j]; cats[j] = cats[j - 1]; cats[j - 1] = t;
            t = opts[j]; opts[j] = opts[j - 1]; opts[j - 1] = t;
        }
    size_t len = 1;
    for (size_t k = 0; k < n; k++)
        len += strlen(cats[k]) + strlen(opts[k]) + 2;
    char *s = bc_malloc(len), *p = s;
    s[0] = '\0';
    for (size_t k = 0; k < n; k++)
        p += snprintf(p, len - (size_t) (p - s), "%s%s=%s", k ? "," : "",
                      cats[k], opts[k]);
    return s;
}

/* Appends the combinations of one breakdown set to out (fetch). */
static int fetch_combos(bc_client_t *client, const export_cfg_t *cfg,
                        const char *unit, const char *period,
                        const breakdown_set_t *bs, figs_t *out)
{
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    Baocao__Query q = BAOCAO__QUERY__INIT;
    q.unit = (char *) unit;
    q.period = (char *) period;
    q.as_filed = cfg->descendants;
    q.n_indicators = bs->ncodes;
    q.indicators = bs->codes;
    q.n_by = bs->ncats;
    q.by = bs->cats;
    req.body_case = BAOCAO__REQUEST__BODY_QUERY;
    req.query = &q;
    Baocao__Reply *reply;
    if (cmd_call("export", client, &req, &reply, cfg->client.timeout_ms))
        return BC_EREJECTED;
    if (reply->body_case != BAOCAO__REPLY__BODY_QUERY) {
        baocao__reply__free_unpacked(reply, NULL);
        return BC_EPARSE;
    }
    const Baocao__QueryReply *qr = reply->query;
    size_t n = out->n + qr->n_breakdown;
    out->code = bc_realloc(out->code, (n + 1) * sizeof *out->code);
    out->coc = bc_realloc(out->coc, (n + 1) * sizeof *out->coc);
    out->ratio = bc_realloc(out->ratio, (n + 1) * sizeof *out->ratio);
    out->value = bc_realloc(out->value, (n + 1) * sizeof *out->value);
    out->reports = bc_realloc(out->reports, (n + 1) * sizeof *out->reports);
    for (size_t i = 0; i < qr->n_breakdown; i++) {
        const Baocao__Figure *f = qr->breakdown[i];
        size_t k = out->n++;
        out->code[k] = bc_strdup(f->indicator);
        out->coc[k] = options_text(f);
        out->ratio[k] = false;
        out->value[k] = out->reports[k] = 0;
        if (f->value && f->value->present) {
            out->value[k] = f->value->value;
            out->reports[k] = f->reporting_units ? f->reporting_units : 1;
        }
    }
    baocao__reply__free_unpacked(reply, NULL);
    return BC_OK;
}

/* Asks the hub for every indicator of (unit, period). */
static int fetch(bc_client_t *client, const export_cfg_t *cfg,
                 const breakdowns_t *bd, const char *unit,
                 const char *period, figs_t *out)
{
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    Baocao__Query q = BAOCAO__QUERY__INIT;
    q.unit = (char *) unit;
    q.period = (char *) period;
    /* DHIS2's raw data values are the reports as filed: a stock carried
     * from an earlier month, or months standing for a quarter, would come
     * back as reports nobody filed. */
    q.as_filed = cfg->descendants;
    req.body_case = BAOCAO__REQUEST__BODY_QUERY;
    req.query = &q;
    Baocao__Reply *reply;
    memset(out, 0, sizeof *out);
    if (cmd_call("export", client, &req, &reply, cfg->client.timeout_ms))
        return BC_EREJECTED;
    if (reply->body_case != BAOCAO__REPLY__BODY_QUERY) {
        fprintf(stderr, "baocao export: the hub answered a query for %s "
                "with something else\n", unit);
        baocao__reply__free_unpacked(reply, NULL);
        return BC_EPARSE;
    }
    const Baocao__QueryReply *qr = reply->query;
    out->n = qr->n_figures;
    out->code = bc_calloc(out->n ? out->n : 1, sizeof *out->code);
    out->coc = bc_calloc(out->n ? out->n : 1, sizeof *out->coc);
    out->ratio = bc_calloc(out->n ? out->n : 1, sizeof *out->ratio);
    out->value = bc_calloc(out->n ? out->n : 1, sizeof *out->value);
    out->reports = bc_calloc(out->n ? out->n : 1, sizeof *out->reports);
    for (size_t i = 0; i < out->n; i++) {
        const Baocao__Figure *f = qr->figures[i];
        out->code[i] = bc_strdup(f->indicator);
        out->ratio[i] = f->kind == BAOCAO__INDICATOR_KIND__KIND_RATIO;
        if (!out->ratio[i] && f->value && f->value->present) {
            out->value[i] = f->value->value;
            out->reports[i] = f->reporting_units ? f->reporting_units : 1;
        }
    }
    baocao__reply__free_unpacked(reply, NULL);
    for (size_t k = 0; k < bd->nsets; k++) {
        int rc = fetch_combos(client, cfg, unit, period, &bd->sets[k], out);
        if (rc)
            return rc;
    }
    return BC_OK;
}

/* Subtracts a child's figures (same catalogue, same order). */
static int subtract(figs_t *own, const figs_t *child)
{
    if (child->n != own->n)
        return BC_EINVAL;
    for (size_t i = 0; i < own->n; i++) {
        if (strcmp(own->code[i], child->code[i])
            || !own->coc[i] != !child->coc[i]
            || (own->coc[i] && strcmp(own->coc[i], child->coc[i])))
            return BC_EINVAL;
        own->value[i] -= child->value[i];
        own->reports[i] -= child->reports[i];
    }
    return BC_OK;
}

/* Whether total i's combinations make it up: some present, their sum
 * the total and as many reports behind each (every report behind the
 * total gave its breakdown). */
static bool combos_cover(const figs_t *f, size_t i, bool *any)
{
    int64_t sum = 0, most = 0;
    *any = false;
    for (size_t k = 0; k < f->n; k++) {
        if (!f->coc[k] || strcmp(f->code[k], f->code[i]) || f->reports[k] <= 0)
            continue;
        *any = true;
        sum += f->value[k];
        if (f->reports[k] > most)
            most = f->reports[k];
    }
    return *any && sum == f->value[i] && most == f->reports[i];
}

/* Appends a unit's present figures to the set: a broken-down indicator
 * as its combinations when they make up its total, else as the total. */
static void add_figs(bc_dhis2_set_t *set, const bc_dhis2_map_t *map,
                     bc_dhis2_format_t fmt, const char *unit,
                     const char *iso, const figs_t *f)
{
    const char *ou = bc_dhis2_map_theirs(map, BC_DHIS2_UNIT, unit);
    for (size_t i = 0; i < f->n; i++) {
        if (f->ratio[i] || f->reports[i] <= 0 || f->coc[i])
            continue;
        const char *de = bc_dhis2_map_theirs(map, BC_DHIS2_INDICATOR,
                                             f->code[i]);
        char val[32];
        bool any = false;
        if (combos_cover(f, i, &any)) {
            for (size_t k = 0; k < f->n; k++) {
                if (!f->coc[k] || strcmp(f->code[k], f->code[i])
                    || f->reports[k] <= 0)
                    continue;
                snprintf(val, sizeof val, "%lld", (long long) f->value[k]);
                /* ADX names the options itself; the others a combo. */
                bc_dhis2_set_add(set, de, iso, ou,
                                 fmt == BC_DHIS2_ADX
                                     ? f->coc[k]
                                     : bc_dhis2_map_theirs(map, BC_DHIS2_COC,
                                                           f->coc[k]),
                                 val, 0);
            }
            continue;
        }
        if (any)
            fprintf(stderr, "baocao export: %s %s %s: some reports gave its "
                    "total only; exported as the total, not by "
                    "combination\n", unit, iso, f->code[i]);
        snprintf(val, sizeof val, "%lld", (long long) f->value[i]);
        bc_dhis2_set_add(set, de, iso, ou, "", val, 0);
    }
}

int cmd_export(int argc, char **argv)
{
    export_cfg_t cfg;
    size_t npos;
    char err[512];
    int status = EXIT_USAGE;
    bc_dhis2_format_t fmt;
    bc_period_t p;
    bc_client_t *client = NULL;
    bc_registry_t *reg = NULL;
    bc_dhis2_map_t *map = NULL;
    bc_dhis2_set_t *set = bc_dhis2_set_new();
    FILE *out = NULL;
    figs_t own = {0}, child = {0};
    breakdowns_t bd = {0};

    int rc = cmd_parse("export", "--hub ENDPOINT --unit CODE --period PERIOD "
                       "[--children | --descendants] --format "
                       "dhis2-json|dhis2-csv|adx [--mapping MAP.csv] "
                       "[--out FILE]", export_options, NOPTS, &cfg, argc,
                       argv, NULL, 0, &npos);
    if (rc == 1)
        status = EXIT_OK;
    if (rc)
        goto out;
    if (!cfg.unit || !cfg.period) {
        fprintf(stderr, "baocao export: --unit and --period are required\n");
        goto out;
    }
    if (cfg.children && cfg.descendants) {
        fprintf(stderr, "baocao export: --children and --descendants are "
                "alternatives\n");
        goto out;
    }
    if (bc_dhis2_format_parse(cfg.format, &fmt)) {
        fprintf(stderr, "baocao export: --format must be dhis2-json, "
                "dhis2-csv or adx\n");
        goto out;
    }
    if (bc_period_parse(cfg.period, &p) && bc_dhis2_period_parse(cfg.period,
                                                                 &p)) {
        fprintf(stderr, "baocao export: period '%s' is not YYYY-MM, YYYY-Qn, "
                "YYYY-Hn or YYYY\n", cfg.period);
        goto out;
    }
    if (cfg.mapping && !(map = bc_dhis2_map_load(cfg.mapping, err,
                                                 sizeof err))) {
        fprintf(stderr, "baocao export: %s\n", err);
        goto out;
    }
    const bc_unit_t *root = NULL;
    if (cfg.children || cfg.descendants) {
        if (!(reg = bc_registry_load_full(cfg.registry, cfg.catalog,
                                          cfg.categories, err, sizeof err))) {
            fprintf(stderr, "baocao export: %s\n", err);
            goto out;
        }
        if (!(root = bc_registry_find_unit(reg, cfg.unit))) {
            fprintf(stderr, "baocao export: unit %s is not in %s\n",
                    cfg.unit, cfg.registry);
            goto out;
        }
    }
    char ours[BC_PERIOD_STRLEN], iso[BC_DHIS2_PERIOD_STRLEN];
    int32_t month = bc_registry_month(p);   /* whose tree: the period's */
    bc_period_format(p, ours);
    bc_dhis2_period_iso(p, iso);

    status = EXIT_FAIL;
    if (!(client = cmd_connect("export", &cfg.client)))
        goto out;
    if (fetch_breakdowns(client, &cfg, &bd))
        goto out;
    if (!root) {
        if (fetch(client, &cfg, &bd, cfg.unit, ours, &own))
            goto out;
        add_figs(set, map, fmt, cfg.unit, iso, &own);
        figs_free(&own);
    } else if (cfg.children) {
        /* The tree of the period asked (its first month), as the hub's
         * queries use it (issue 12): a unit that moved counts under the
         * parent it had then, a unit not valid then is not a row. */
        for (uint32_t c = 0; c < root->nchildren; c++) {
            const bc_unit_t *u = bc_registry_unit(reg, root->children[c]);
            if (bc_registry_parent_at(reg, u, month) != root)
                continue;
            if (fetch(client, &cfg, &bd, u->code, ours, &own))
                goto out;
            add_figs(set, map, fmt, u->code, iso, &own);
            figs_free(&own);
        }
    } else {
        /* Registry order puts a unit before its children; every reporting
         * unit of the subtree gets its own report back. */
        for (size_t i = 0; i < bc_registry_nunits(reg); i++) {
            const bc_unit_t *u = bc_registry_unit(reg, (uint32_t) i);
            if (!u->reports
                || !bc_registry_is_within_at(reg, u, root, month))
                continue;
            if (fetch(client, &cfg, &bd, u->code, ours, &own))
                goto out;
            for (uint32_t c = 0; c < u->nchildren; c++) {
                const bc_unit_t *k = bc_registry_unit(reg, u->children[c]);
                if (bc_registry_parent_at(reg, k, month) != u)
                    continue;   /* under u in another month only */
                if (fetch(client, &cfg, &bd, k->code, ours, &child))
                    goto out;
                if (subtract(&own, &child)) {
                    fprintf(stderr, "baocao export: the hub's catalogue "
                            "changed during the export; run it again\n");
                    goto out;
                }
                figs_free(&child);
            }
            add_figs(set, map, fmt, u->code, iso, &own);
            figs_free(&own);
        }
    }

    out = cfg.out ? fopen(cfg.out, "w") : stdout;
    if (!out) {
        fprintf(stderr, "baocao export: %s: %s\n", cfg.out, strerror(errno));
        goto out;
    }
    rc = bc_dhis2_write(out, fmt, set, map == NULL);
    if (cfg.out && fclose(out) != 0 && !rc)
        rc = BC_EIO;
    out = NULL;
    if (rc) {
        fprintf(stderr, "baocao export: writing %s: %s\n",
                cfg.out ? cfg.out : "the output", bc_strerror(rc));
        goto out;
    }
    fprintf(stderr, "exported %zu data values for %s %s (%s)\n", set->n,
            cfg.unit, iso, cfg.format);
    status = EXIT_OK;
out:
    if (out && out != stdout)
        fclose(out);
    figs_free(&own);
    figs_free(&child);
    breakdowns_free(&bd);
    bc_client_destroy(&client);
    bc_registry_destroy(&reg);
    bc_dhis2_map_destroy(&map);
    bc_dhis2_set_destroy(&set);
    bc_config_free(export_options, NOPTS, &cfg);
    return status;
}
