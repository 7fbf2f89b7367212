/*
 * cmd_import.c -- `baocao import`: file the reports a DHIS2 dataValueSet
 * (JSON, CSV) or an ADX document holds into a node's outbox.
 *
 * One report per (orgUnit, period), filed exactly as `baocao submit` files
 * one: the node delivers it, the hub validates it again. The import judges
 * every value first and files only when nothing conflicts, so that a file
 * with one bad figure changes nothing and can be fixed and imported again
 * (DHIS2's atomic mode). Then, for each report:
 *
 *   imported  nothing was filed here yet for (unit, period): revision 1
 *   updated   a different report was: this one is filed as its correction
 *   ignored   the same figures were already filed (re-importing a file,
 *             or finishing an import that was cut short, does nothing)
 *
 * The summary is DHIS2's ImportSummary (status, importCount, conflicts with
 * the object and the reason), counting data values as DHIS2 does, plus the
 * reports behind them. A conflict's errorCode is ours (NO_ORG_UNIT,
 * NO_DATA_ELEMENT, BAD_PERIOD, DISAGGREGATED, BAD_VALUE, DUPLICATE_VALUE),
 * not one of DHIS2's E-numbers, which name DHIS2's own checks. Conflicts are what the hub would refuse for good, or
 * what baocao cannot represent: a value that is not a whole number >= 0, a
 * period baocao does not report on, a disaggregation baocao cannot name
 * (an attribute option combo other than the default, or a category option
 * combo that is neither the default nor one of our combinations), a data
 * element twice in one report, a missing orgUnit or dataElement.
 *
 * Breakdowns (issue 17): a categoryOptionCombo that a `coc` row of the
 * mapping names (a DHIS2 UID, or an ADX dataValue's attributes as read,
 * "GENDER=FMLE") is filed as that row's combination of our options
 * ("age=5-14,sex=nu") of its indicator, and the hub checks it against its
 * categories as it checks any report. Without a row, a disaggregated
 * value is a conflict, as before.
 *
 * Then each report is checked as `baocao submit` checks one (issue #11,
 * node_check.h), against the node's copy of the hub's catalogue and rules
 * when it has one: a failing error rule is a conflict VALIDATION_RULE
 * naming the rule with both values; an indicator the hub's catalogue does
 * not have, NO_DATA_ELEMENT; a rate, a count above the hub's largest, or
 * a breakdown the hub would refuse (a combination missing, parts that do
 * not sum to the total given), BAD_VALUE. A failing warning rule is said
 * on stderr and files.
 */
#include "bc_csv.h"
#include "bc_dhis2.h"
#include "bc_error.h"
#include "bc_mem.h"
#include "bc_period.h"
#include "bc_report.h"
#include "bc_wire.h"
#include "cmd.h"
#include "node_check.h"
#include "node_copy.h"
#include "node_outbox.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

typedef struct {
    char *store;            /* outbox directory */
    char *file;             /* the DHIS2 file */
    char *format;           /* dhis2-json, dhis2-csv, adx; NULL: guess */
    char *mapping;          /* kind,ours,theirs */
    bool dry_run;           /* judge and report, file nothing */
} import_cfg_t;

static const bc_option_t import_options[] = {
    {"store", BC_OPT_STRING, offsetof(import_cfg_t, store), 0, 0, NULL, "DIR",
     "the node's outbox directory"},
    {"file", BC_OPT_STRING, offsetof(import_cfg_t, file), 0, 0, NULL,
     "F.json|F.csv|F.xml", "a DHIS2 dataValueSet (JSON, CSV) or ADX document"},
    {"format", BC_OPT_STRING, offsetof(import_cfg_t, format), 0, 0, NULL,
     "FORMAT", "dhis2-json, dhis2-csv or adx (default: from the file name)"},
    {"mapping", BC_OPT_STRING, offsetof(import_cfg_t, mapping), 0, 0, NULL,
     "MAP.csv", "kind,ours,theirs: DHIS2 identifiers to our codes"},
    {"dry-run", BC_OPT_BOOL, offsetof(import_cfg_t, dry_run), 0, 0, NULL,
     NULL, "judge the file and print the summary; file nothing"},
};
#define NOPTS (sizeof import_options / sizeof import_options[0])

/* One data value, judged. */
typedef struct {
    const bc_dhis2_value_t *src;   /* as read */
    const char *unit;              /* our unit code */
    const char *indicator;         /* our indicator code, or combination's
                                      (bc_report.h) */
    char *owned;                   /* a combination's code, owned */
    char period[BC_PERIOD_STRLEN]; /* our period, canonical */
    long long count;               /* the figure */
    const char *why;               /* conflict reason, NULL if none */
} item_t;

/* One (unit, period): a report. */
typedef struct {
    size_t first, n;        /* its items in the sorted order */
    bool conflict;          /* one of its values conflicts */
    const char *status;     /* imported / updated / ignored / conflict */
    uint32_t revision;      /* revision filed (or that would be) */
    char id[BC_ID_HEXLEN + 1];  /* submission id filed, "" if none */
} group_t;

static int cmp_item(const void *a, const void *b)
{
    const item_t *x = *(item_t *const *) a, *y = *(item_t *const *) b;
    int c = strcmp(x->unit, y->unit);
    if (!c)
        c = strcmp(x->period, y->period);
    if (!c)
        c = strcmp(x->indicator, y->indicator);
    if (!c)
        c = x->src->where < y->src->where ? -1 : x->src->where > y->src->where;
    return c;
}

/* The place of a value in the file, for conflicts. */
static void where(const import_cfg_t *cfg, bc_dhis2_format_t fmt,
                  const item_t *it, char *buf, size_t len)
{
    if (fmt == BC_DHIS2_JSON)
        snprintf(buf, len, "dataValues[%zu]", it->src->where - 1);
    else
        snprintf(buf, len, "%.200s:%zu", cfg->file, it->src->where);
}

static void add_conflict(cJSON *conflicts, const char *object,
                         const char *value, const char *code)
{
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "object", object);
    cJSON_AddStringToObject(c, "value", value);
    cJSON_AddStringToObject(c, "errorCode", code);
    cJSON_AddItemToArray(conflicts, c);
}

/* Our options for a categoryOptionCombo ("age=5-14,sex=nu"), as the
 * combination code of `indicator` (bc_report_combination), or NULL when
 * the combo does not read as CAT=OPT pairs. */
static char *combination_of(const char *indicator, const char *ours)
{
    const char *cats[BC_REPORT_MAX_CATEGORIES], *opts[BC_REPORT_MAX_CATEGORIES];
    size_t n = 0;
    char *copy = bc_strdup(ours), *save = NULL, *code = NULL;
    for (char *t = strtok_r(copy, ",", &save); t;
         t = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(t, '=');
        if (!eq || eq == t || !eq[1] || n == BC_REPORT_MAX_CATEGORIES
            || strpbrk(eq + 1, "=[]"))
            goto out;
        *eq = '\0';
        cats[n] = t;
        opts[n++] = eq + 1;
    }
    if (n)
        code = bc_report_combination(indicator, n, cats, opts);
out:
    free(copy);
    return code;
}

/* Judges one value: maps its codes, reads its period and figure. */
static void judge(item_t *it, const bc_dhis2_map_t *map, cJSON *conflicts,
                  const char *place)
{
    const bc_dhis2_value_t *v = it->src;
    char msg[1024];
    bc_period_t p;
    it->unit = bc_dhis2_map_ours(map, BC_DHIS2_UNIT, v->org_unit);
    it->indicator = bc_dhis2_map_ours(map, BC_DHIS2_INDICATOR,
                                      v->data_element);
    it->period[0] = '\0';
    if (!bc_dhis2_period_parse(v->period, &p))
        bc_period_format(p, it->period);
    const char *code = NULL;
    const char *ours_coc = bc_dhis2_map_find_ours(map, BC_DHIS2_COC, v->coc);
    if (!v->org_unit[0]) {
        it->why = "has no orgUnit";
        code = "NO_ORG_UNIT";
    } else if (!v->data_element[0]) {
        it->why = "has no dataElement";
        code = "NO_DATA_ELEMENT";
    } else if (!it->period[0]) {
        it->why = "has a period baocao does not report on (month, quarter, "
                  "six-month or year)";
        code = "BAD_PERIOD";
    } else if (!bc_dhis2_is_default_combo(v->coc)
               && !(ours_coc
                    && (it->owned = combination_of(it->indicator,
                                                    ours_coc)))) {
        it->why = ours_coc
                      ? "is disaggregated by a categoryOptionCombo whose coc "
                        "row does not read CATEGORY=OPTION,..."
                      : "is disaggregated (categoryOptionCombo is not the "
                        "default, and no coc row of the mapping names it)";
        code = "DISAGGREGATED";
    } else if (!bc_dhis2_is_default_combo(v->aoc)) {
        it->why = "has an attributeOptionCombo that is not the default";
        code = "DISAGGREGATED";
    } else if (bc_dhis2_count(v->value, &it->count, &it->why)) {
        code = "BAD_VALUE";
    }
    if (it->owned)
        it->indicator = it->owned;
    if (!it->why)
        return;
    snprintf(msg, sizeof msg, "%.300s %.100s %.40s %.100s: value '%.60s' %s", place,
             v->org_unit, v->period, v->data_element, v->value, it->why);
    add_conflict(conflicts, v->data_element, msg, code);
}

/* The conflict code of a problem node_check found. */
static const char *check_code(const node_problem_t *p)
{
    if (p->rule >= 0)
        return "VALIDATION_RULE";
    if (p->reason == BAOCAO__REJECT_REASON__REASON_UNKNOWN_INDICATOR)
        return "NO_DATA_ELEMENT";
    if (p->reason == BAOCAO__REJECT_REASON__REASON_DUPLICATE_VALUE)
        return "DUPLICATE_VALUE";
    return "BAD_VALUE";
}

/* Each report against the node's copy (see the top): conflicts into
 * `conflicts`, warnings on stderr. Groups with a conflict already are
 * left alone (their figures are not all known). */
static void check_groups(const char *store, group_t *groups, size_t ngroups,
                         item_t *const *order, cJSON *conflicts)
{
    int rc;
    char err[512];
    node_copy_t *copy = node_copy_load(store, &rc, err, sizeof err);
    if (!copy) {
        fprintf(stderr, "baocao import: warning: could not check the reports "
                "against the hub's catalogue and rules: %s; the hub checks "
                "them on arrival\n", err);
        return;
    }
    for (size_t gi = 0; gi < ngroups; gi++) {
        group_t *g = &groups[gi];
        if (g->conflict)
            continue;
        item_t *const *its = order + g->first;
        bc_report_t rep = {bc_calloc(g->n, sizeof(bc_report_value_t)), g->n};
        for (size_t k = 0; k < g->n; k++) {
            rep.values[k].indicator = (char *) its[k]->indicator;
            rep.values[k].is_integer = true;
            rep.values[k].count = its[k]->count;
        }
        node_check_t chk;
        node_check_report(copy, &rep, NULL, &chk);
        for (size_t i = 0; i < chk.n; i++) {
            const node_problem_t *p = &chk.items[i];
            char msg[1024];
            snprintf(msg, sizeof msg, "%.100s %.40s: %s", its[0]->unit,
                     its[0]->period, p->text);
            if (!p->error) {
                fprintf(stderr, "baocao import: warning: %s\n", msg);
                continue;
            }
            const char *object = p->value >= 0
                ? its[p->value]->src->data_element
                : p->rule >= 0
                ? bc_rules_code(node_copy_rules(copy), (size_t) p->rule)
                : its[0]->src->org_unit;
            add_conflict(conflicts, object, msg, check_code(p));
            g->conflict = true;
        }
        node_check_free(&chk);
        free(rep.values);
    }
    node_copy_destroy(&copy);
}

/* Same figures, in any order? */
static bool same_report(const bc_report_t *a, item_t *const *items, size_t n)
{
    if (a->nvalues != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        bool found = false;
        for (size_t j = 0; j < a->nvalues && !found; j++)
            found = !strcmp(a->values[j].indicator, items[i]->indicator)
                    && a->values[j].is_integer
                    && a->values[j].count == items[i]->count;
        if (!found)
            return false;
    }
    return true;
}

int cmd_import(int argc, char **argv)
{
    import_cfg_t cfg;
    size_t npos;
    char err[512];
    int status = EXIT_USAGE;
    char *data = NULL;
    size_t len = 0;
    bc_dhis2_set_t *set = NULL;
    bc_dhis2_map_t *map = NULL;
    node_outbox_t *outbox = NULL;
    item_t *items = NULL;
    item_t **order = NULL;
    group_t *groups = NULL;
    size_t ngroups = 0;
    cJSON *root = cJSON_CreateObject();
    cJSON *conflicts = cJSON_CreateArray();
    bc_dhis2_format_t fmt;

    int rc = cmd_parse("import", "--store NODE_DIR --file F.json|F.csv|F.xml "
                       "[--mapping MAP.csv] [--dry-run]", import_options,
                       NOPTS, &cfg, argc, argv, NULL, 0, &npos);
    if (rc == 1)
        status = EXIT_OK;
    if (rc)
        goto out;
    if (!cfg.store || !cfg.file) {
        fprintf(stderr, "baocao import: --store and --file are required\n");
        goto out;
    }
    if (cfg.format && bc_dhis2_format_parse(cfg.format, &fmt)) {
        fprintf(stderr, "baocao import: --format must be dhis2-json, "
                "dhis2-csv or adx\n");
        goto out;
    }
    if (cfg.mapping && !(map = bc_dhis2_map_load(cfg.mapping, err,
                                                 sizeof err))) {
        fprintf(stderr, "baocao import: %s\n", err);
        goto out;
    }
    int e = bc_read_file(cfg.file, &data, &len);
    if (e) {
        fprintf(stderr, "baocao import: %s: %s\n", cfg.file, strerror(e));
        goto out;
    }
    if (!cfg.format)
        fmt = bc_dhis2_format_guess(cfg.file, data, len);
    if (bc_dhis2_parse(data, len, fmt, cfg.file, &set, err, sizeof err)) {
        fprintf(stderr, "baocao import: %s (nothing was filed)\n", err);
        goto out;
    }

    /* Step 1: judge every value on its own. */
    items = bc_calloc(set->n ? set->n : 1, sizeof *items);
    order = bc_calloc(set->n ? set->n : 1, sizeof *order);
    size_t nitems = 0, deleted = 0;
    for (size_t i = 0; i < set->n; i++) {
        if (set->values[i].deleted) {
            deleted++;   /* DHIS2 exports deletions; there is nothing to file */
            continue;
        }
        item_t *it = &items[nitems];
        char place[300];
        it->src = &set->values[i];
        where(&cfg, fmt, it, place, sizeof place);
        judge(it, map, conflicts, place);
        order[nitems] = it;
        nitems++;
    }

    /* Step 2: one report per (unit, period); a data element twice in one
     * report is a conflict (which figure would count?). */
    qsort(order, nitems, sizeof *order, cmp_item);
    groups = bc_calloc(nitems ? nitems : 1, sizeof *groups);
    for (size_t i = 0; i < nitems; i++) {
        item_t *it = order[i];
        group_t *g = ngroups ? &groups[ngroups - 1] : NULL;
        if (!g || strcmp(order[g->first]->unit, it->unit)
            || strcmp(order[g->first]->period, it->period)) {
            g = &groups[ngroups++];
            g->first = i;
        }
        g->n++;
        if (i > g->first && !strcmp(order[i - 1]->indicator, it->indicator)
            && !it->why) {
            char msg[1024], place[300];
            where(&cfg, fmt, it, place, sizeof place);
            it->why = "is listed twice for this orgUnit and period";
            snprintf(msg, sizeof msg, "%.300s %.100s %.40s %.100s: %s", place,
                     it->src->org_unit, it->src->period,
                     it->src->data_element, it->why);
            add_conflict(conflicts, it->src->data_element, msg, "DUPLICATE_VALUE");
        }
        if (it->why)
            g->conflict = true;
    }
    check_groups(cfg.store, groups, ngroups, order, conflicts);
    size_t nconflicts = (size_t) cJSON_GetArraySize(conflicts);

    /* Step 3: compare with what the outbox holds, and file (all or
     * nothing: any conflict, and nothing is filed). */
    struct stat st;
    bool have_store = stat(cfg.store, &st) == 0;
    status = EXIT_FAIL;
    if (!nconflicts && (have_store || !cfg.dry_run)) {
        outbox = node_outbox_open(cfg.store, err, sizeof err);
        if (!outbox) {
            fprintf(stderr, "baocao import: %s\n", err);
            goto out;
        }
    }
    long long imported = 0, updated = 0, ignored = (long long) deleted;
    int64_t now = (int64_t) time(NULL);
    for (size_t gi = 0; gi < ngroups; gi++) {
        group_t *g = &groups[gi];
        item_t *const *its = order + g->first;
        if (nconflicts) {
            g->status = g->conflict ? "conflict" : "not filed";
            ignored += (long long) g->n;
            continue;
        }
        bc_report_t *prev = NULL;
        uint32_t prev_rev = 0;
        rc = outbox ? node_outbox_latest(outbox, its[0]->unit,
                                         its[0]->period, &prev, &prev_rev)
                    : BC_ENOTFOUND;
        if (rc && rc != BC_ENOTFOUND) {
            fprintf(stderr, "baocao import: reading the outbox: %s\n",
                    bc_strerror(rc));
            goto out;
        }
        bool same = prev && same_report(prev, its, g->n);
        bc_report_destroy(&prev);
        g->revision = prev_rev + (same ? 0 : 1);
        if (same) {
            g->status = "ignored";
            ignored += (long long) g->n;
            continue;
        }
        g->status = prev_rev ? "updated" : "imported";
        *(prev_rev ? &updated : &imported) += (long long) g->n;
        if (cfg.dry_run)
            continue;
        /* The report, as `baocao submit` would have read it. */
        bc_report_t rep = {bc_calloc(g->n, sizeof(bc_report_value_t)), g->n};
        for (size_t k = 0; k < g->n; k++) {
            rep.values[k].indicator = (char *) its[k]->indicator;
            rep.values[k].is_integer = true;
            rep.values[k].count = its[k]->count;
        }
        uint8_t id[BC_ID_LEN];
        rc = node_outbox_file(outbox, its[0]->unit, its[0]->period, &rep, now,
                              id, &g->revision);
        free(rep.values);
        if (rc) {
            /* The same words and the same note as `baocao submit`. */
            char why[512];
            node_outbox_explain(outbox, rc, why, sizeof why);
            fprintf(stderr, "baocao import: could not file %s %s: %s (the "
                    "reports before it are filed; importing the file again "
                    "ignores them)\n", its[0]->unit, its[0]->period, why);
            if (rc == BC_ENOSPC || rc == BC_EFATAL)
                node_outbox_note_store_error(outbox, why);
            goto out;
        }
        bc_id_hex(id, BC_ID_LEN, g->id);
    }

    /* Step 4: the summary, in DHIS2's words. */
    cJSON_AddStringToObject(root, "responseType", "ImportSummary");
    cJSON_AddStringToObject(root, "status", nconflicts ? "ERROR" : "SUCCESS");
    char desc[256];
    snprintf(desc, sizeof desc, nconflicts
             ? "%zu conflicts: nothing was filed" : cfg.dry_run
             ? "dry run: nothing was filed (%zu reports judged)"
             : "import into the outbox done (%zu reports)",
             nconflicts ? nconflicts : ngroups);
    cJSON_AddStringToObject(root, "description", desc);
    cJSON_AddBoolToObject(root, "dryRun", cfg.dry_run);
    cJSON *count = cJSON_AddObjectToObject(root, "importCount");
    cJSON_AddNumberToObject(count, "imported", (double) imported);
    cJSON_AddNumberToObject(count, "updated", (double) updated);
    cJSON_AddNumberToObject(count, "ignored", (double) ignored);
    cJSON_AddNumberToObject(count, "deleted", 0);
    cJSON_AddItemToObject(root, "conflicts", conflicts);
    conflicts = NULL;
    cJSON *reports = cJSON_AddArrayToObject(root, "reports");
    size_t by[3] = {0, 0, 0};
    for (size_t gi = 0; gi < ngroups; gi++) {
        const group_t *g = &groups[gi];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "unit", order[g->first]->unit);
        cJSON_AddStringToObject(o, "period", order[g->first]->period);
        cJSON_AddStringToObject(o, "status", g->status);
        cJSON_AddNumberToObject(o, "values", (double) g->n);
        if (g->revision)
            cJSON_AddNumberToObject(o, "revision", g->revision);
        if (g->id[0])
            cJSON_AddStringToObject(o, "id", g->id);
        cJSON_AddItemToArray(reports, o);
        by[!strcmp(g->status, "imported") ? 0
           : !strcmp(g->status, "updated") ? 1 : 2]++;
    }
    char *text = cJSON_Print(root);
    printf("%s\n", text);
    cJSON_free(text);
    fprintf(stderr, "%s%zu reports: %zu imported, %zu updated, %zu ignored; "
            "%zu conflicts%s\n", cfg.dry_run ? "dry run: " : "", ngroups,
            nconflicts ? 0 : by[0], nconflicts ? 0 : by[1],
            nconflicts ? ngroups : by[2], nconflicts,
            nconflicts ? " (nothing was filed)" : "");
    status = nconflicts ? EXIT_FAIL : EXIT_OK;
out:
    node_outbox_close(&outbox);
    free(groups);
    free(order);
    for (size_t i = 0; items && set && i < set->n; i++)
        free(items[i].owned);
    free(items);
    cJSON_Delete(conflicts);
    cJSON_Delete(root);
    bc_dhis2_set_destroy(&set);
    bc_dhis2_map_destroy(&map);
    free(data);
    bc_config_free(import_options, NOPTS, &cfg);
    return status;
}
