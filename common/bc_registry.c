/*
 * bc_registry.c -- reporting units and indicators, loaded from CSV.
 *
 * Design: units and indicators live in two arrays in file order, so an idx
 * is stable for one load and walking the tree is plain array access. Codes
 * are looked up through a hash table per array (bc_code_index.c): the hub
 * resolves a unit and dozens of indicator codes for every report it
 * receives.
 *
 * Loading is all-or-nothing and validates everything the rest of the
 * system relies on, so that no later code has to: codes unique and made of
 * safe characters (they end up in LMDB keys and file names), keys unique
 * (the hub maps a key to one unit: a shared key would silently belong to
 * the last row only), parents that exist, no cycle and at most
 * BC_MAX_LEVELS levels (depth is computed here once), ratios whose parts
 * exist and are counts. Every error names the file and line.
 *
 * History (several rows per code, validity, successors) is checked by
 * bc_history.c, which also answers the month-dependent questions; this
 * file holds the rows and the indicators.
 *
 * Breakdowns (issue 17) are expanded here, once, into plain indicators:
 * each combination of a broken-down indicator's options is an internal
 * indicator of the same kind after the catalogue's own, so the store,
 * rollups, periods, carried stocks, comparisons and history handle
 * combinations with no code of their own, and a catalogue without
 * breakdowns has exactly the indicators (and idx) it always had. The
 * categories file, an indicator's `categories` column and the
 * combinations' options and codes are bc_categories.c's.
 *
 * The digest, SHA-256 over a canonical serialisation of the parsed
 * content, is computed once per load by bc_registry_digest.c.
 */
#include "bc_registry.h"

#include "bc_categories.h"
#include "bc_code_index.h"
#include "bc_registry_digest.h"
#include "bc_csv.h"
#include "bc_history.h"
#include "bc_error.h"
#include "bc_limits.h"
#include "bc_mem.h"
#include "bc_report.h"

#include <assert.h>
#include <math.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CODE_MAX BC_CODE_MAX /* longest accepted code, in bytes */
#define Z85_KEY_LEN 40       /* a 32-byte CURVE key in Z85 */

struct bc_registry_t {
    bc_unit_t *units;        /* units in file order */
    size_t nunits;           /* length of units */
    bc_indicator_t *inds;    /* indicators in file order */
    size_t ninds;            /* length of inds */
    bc_code_index_t *unit_index; /* unit code -> idx */
    bc_code_index_t *ind_index;  /* indicator code -> idx */
    size_t ncatalogue;       /* indicators of the file; combinations after */
    bc_category_t *cats;     /* categories in file order */
    size_t ncats;            /* length of cats */
    uint8_t digest[32];      /* SHA-256 of the canonical content */
    int32_t latest;          /* latest month any row starts: today's tree */
    bool history;            /* some unit has a bounded or second row */
};


/* ---- field checks ----------------------------------------------------- */

/* Codes go into store keys, file names and command lines: letters, digits
 * and - _ . only, so none of them needs quoting anywhere. */
static bool code_ok(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > CODE_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
            return false;
    }
    return true;
}

static bool z85_ok(const char *s)
{
    static const char alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz"
                                   "ABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
    if (strlen(s) != Z85_KEY_LEN)
        return false;
    for (const char *p = s; *p; p++)
        if (!strchr(alphabet, *p))
            return false;
    return true;
}

/* "yes"/"no" (any case), or "" for the default. -1 if neither. */
static int parse_yes_no(const char *s, bool dflt, bool *out)
{
    if (s[0] == '\0')
        *out = dflt;
    else if (strcasecmp(s, "yes") == 0)
        *out = true;
    else if (strcasecmp(s, "no") == 0)
        *out = false;
    else
        return -1;
    return 0;
}

/* ---- units ------------------------------------------------------------
 * The history columns (valid_from, valid_to, replaced_by) and every check
 * of the trees they describe are bc_history.c's; this file reads the rows
 * and the attributes of units. */

/* Counts (fill false) or lists (fill true) each unit under every parent
 * it ever had, once per parent. */
static void add_children(bc_registry_t *reg, bool fill)
{
    for (size_t r = 0; r < reg->nunits; r++) {
        const bc_unit_t *u = &reg->units[r];
        for (uint32_t k = 0; k < u->nspans; k++) {
            int32_t p = u->spans[k].parent;
            bool seen = false;
            if (p < 0)
                continue;
            for (uint32_t j = 0; j < k && !seen; j++)
                seen = u->spans[j].parent == p;
            if (seen)
                continue;
            bc_unit_t *pu = &reg->units[p];
            if (fill)
                pu->children[pu->nchildren] = (uint32_t) r;
            pu->nchildren++;
        }
    }
}

/* From the file at `path`, or from data (len bytes) named `path` when data
 * is not NULL. */
static bc_csv_t *open_csv(const char *path, const char *data, size_t len,
                          char *err, size_t errlen)
{
    return data ? bc_csv_parse(data, len, path, err, errlen)
                : bc_csv_load(path, err, errlen);
}

static int load_units(bc_registry_t *reg, const char *path,
                      const char *data, size_t len, char *err, size_t errlen)
{
    bc_csv_t *csv = NULL;
    uint32_t *row_unit = NULL;
    bc_code_index_t *key_index = NULL;
    int c_code, c_parent, c_level, c_name, c_reports, c_behalf, c_relay, c_key;
    int c_from, c_to, c_repl;
    size_t nrows;
    int rc = -1;

    csv = open_csv(path, data, len, err, errlen);
    if (!csv)
        goto out;

    /* Step 1: the columns. */
    c_code = bc_csv_column(csv, "code");
    c_parent = bc_csv_column(csv, "parent_code");
    c_level = bc_csv_column(csv, "level");
    c_name = bc_csv_column(csv, "name");
    c_reports = bc_csv_column(csv, "reports");
    c_behalf = bc_csv_column(csv, "on_behalf");
    c_relay = bc_csv_column(csv, "relay");
    c_key = bc_csv_column(csv, "key");
    c_from = bc_csv_column(csv, "valid_from");
    c_to = bc_csv_column(csv, "valid_to");
    c_repl = bc_csv_column(csv, "replaced_by");
    if (c_code < 0 || c_parent < 0 || c_level < 0 || c_name < 0) {
        bc_set_error(err, errlen, "%s:1: the header needs the columns code, "
                "parent_code, level and name", path);
        goto out;
    }
    nrows = bc_csv_rows(csv);
    if (nrows == 0) {
        bc_set_error(err, errlen, "%s: no units", path);
        goto out;
    }
    if (nrows > UINT32_MAX / 2) {
        bc_set_error(err, errlen, "%s: too many units", path);
        goto out;
    }

    /* Step 2: one span per row, one unit per code (in the order codes
     * first appear); parents are resolved once all codes are known, since
     * a file may list a child before its parent. */
    reg->units = bc_calloc(nrows, sizeof *reg->units);
    row_unit = bc_malloc(nrows * sizeof *row_unit);
    reg->unit_index = bc_code_index_new(nrows);
    for (size_t r = 0; r < nrows; r++) {
        size_t line = bc_csv_line(csv, r);
        const char *code = bc_csv_field(csv, r, c_code);
        const char *name = bc_csv_field(csv, r, c_name);
        const char *level = bc_csv_field(csv, r, c_level);
        int64_t have;
        bc_unit_t *u;
        bc_span_t *sp;

        if (!code_ok(code)) {
            bc_set_error(err, errlen, "%s:%zu: bad unit code '%s' (1 to %d of "
                    "A-Z a-z 0-9 - _ .)", path, line, code, CODE_MAX);
            goto out;
        }
        if (name[0] == '\0' || level[0] == '\0') {
            bc_set_error(err, errlen, "%s:%zu: unit %s has no %s", path, line,
                    code, name[0] == '\0' ? "name" : "level");
            goto out;
        }
        have = bc_code_index_get(reg->unit_index, code, strlen(code));
        if (have < 0) {
            u = &reg->units[reg->nunits];
            u->idx = (uint32_t) reg->nunits++;
            u->parent = -1;
            u->code = bc_strdup(code);
            bc_code_index_put(reg->unit_index, u->code, u->idx);
        } else {
            u = &reg->units[have];
        }
        row_unit[r] = u->idx;
        u->spans = bc_realloc(u->spans, (u->nspans + 1) * sizeof *u->spans);
        sp = &u->spans[u->nspans++];
        memset(sp, 0, sizeof *sp);
        sp->parent = -1;
        sp->line = line;
        sp->name = bc_strdup(name);
        sp->level = bc_strdup(level);
        if (bc_history_parse_month(bc_csv_field(csv, r, c_from),
                                   BC_MONTH_OPEN_FROM, &sp->from) < 0 ||
            bc_history_parse_month(bc_csv_field(csv, r, c_to),
                                   BC_MONTH_OPEN_TO, &sp->to) < 0) {
            bc_set_error(err, errlen, "%s:%zu: valid_from and valid_to of %s "
                    "must be months YYYY-MM or empty", path, line, code);
            goto out;
        }
        if (sp->from > sp->to) {
            bc_set_error(err, errlen, "%s:%zu: unit %s is valid_from %s, after "
                    "its valid_to %s", path, line, code,
                    bc_csv_field(csv, r, c_from), bc_csv_field(csv, r, c_to));
            goto out;
        }
    }

    /* Step 3: each unit's rows in month order, none overlapping; the unit's
     * own attributes come from its latest row. */
    key_index = bc_code_index_new(reg->nunits);
    for (size_t i = 0; i < reg->nunits; i++)
        if (bc_history_sort_spans(&reg->units[i], path, err, errlen) != 0)
            goto out;
    for (size_t r = 0; r < nrows; r++) {
        bc_unit_t *u = &reg->units[row_unit[r]];
        const bc_span_t *last = &u->spans[u->nspans - 1];
        size_t line = bc_csv_line(csv, r);
        const char *key = bc_csv_field(csv, r, c_key);
        bool root = bc_csv_field(csv, r, c_parent)[0] == '\0';
        int64_t dup;

        if (line != last->line)
            continue;
        u->name = last->name;
        u->level = last->level;
        if (parse_yes_no(bc_csv_field(csv, r, c_reports), !root,
                         &u->reports) < 0 ||
            parse_yes_no(bc_csv_field(csv, r, c_behalf), false,
                         &u->on_behalf) < 0 ||
            parse_yes_no(bc_csv_field(csv, r, c_relay), false,
                         &u->relay) < 0) {
            bc_set_error(err, errlen, "%s:%zu: reports, on_behalf and relay "
                    "must be yes, no or empty", path, line);
            goto out;
        }
        if (key[0] != '\0') {
            if (!z85_ok(key)) {
                bc_set_error(err, errlen, "%s:%zu: key of %s is not a %d-"
                        "character Z85 public key", path, line, u->code,
                        Z85_KEY_LEN);
                goto out;
            }
            u->key = bc_strdup(key);
            dup = bc_code_index_put(key_index, u->key, u->idx);
            if (dup >= 0) {
                bc_set_error(err, errlen, "%s:%zu: unit %s has the same key "
                        "as unit %s on line %zu (each node needs its own "
                        "key pair)", path, line, u->code,
                        reg->units[dup].code,
                        reg->units[dup].spans[reg->units[dup].nspans - 1].line);
                goto out;
            }
        }
    }

    /* Step 4: parents and successors, row by row. A parent must exist for
     * all the months its child hangs under it, so that no month's tree has
     * a dangling branch. */
    for (size_t i = 0; i < reg->nunits; i++) {
        bc_unit_t *u = &reg->units[i];
        for (uint32_t k = 0; k < u->nspans; k++) {
            bc_span_t *sp = &u->spans[k];
            size_t r = 0;
            const char *pc, *repl;
            int64_t p;
            char a[16], b[16], v[200];

            /* Lines grow with rows: find the span's row by bisection. */
            size_t lo = 0, hi = nrows;
            while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (bc_csv_line(csv, mid) < sp->line)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            r = lo;
            pc = bc_csv_field(csv, r, c_parent);
            repl = bc_csv_field(csv, r, c_repl);
            if (repl[0] != '\0') {
                if (sp->to == BC_MONTH_OPEN_TO) {
                    bc_set_error(err, errlen, "%s:%zu: unit %s has "
                            "replaced_by but no valid_to: a unit is "
                            "replaced when it ends", path, sp->line,
                            u->code);
                    goto out;
                }
                if (bc_history_parse_successors(reg, path, u, sp, repl, err,
                                                errlen) != 0)
                    goto out;
            }
            if (pc[0] == '\0')
                continue;
            p = bc_code_index_get(reg->unit_index, pc, strlen(pc));
            if (p < 0) {
                bc_set_error(err, errlen, "%s:%zu: unit %s has an unknown "
                        "parent %s", path, sp->line, u->code, pc);
                goto out;
            }
            if (!bc_history_spans_cover(&reg->units[p], sp->from, sp->to)) {
                bc_set_error(err, errlen, "%s:%zu: unit %s hangs under %s "
                        "from %s to %s, but %s is not valid all that time "
                        "(%s)", path, sp->line, u->code, pc,
                        bc_registry_month_format(sp->from, a, sizeof a),
                        bc_registry_month_format(sp->to, b, sizeof b), pc,
                        bc_registry_validity(reg, &reg->units[p], v,
                                             sizeof v));
                goto out;
            }
            sp->parent = (int32_t) p;
        }
        u->parent = u->spans[u->nspans - 1].parent;
    }

    /* Step 5: cycles and depth in every tree the file describes
     * (bc_history.c). */
    if (bc_history_check_trees(reg, path, &reg->latest, err, errlen) != 0)
        goto out;

    /* Step 6: children lists, in file order: every unit that was ever
     * directly under the parent, once. */
    add_children(reg, false);
    for (size_t q = 0; q < reg->nunits; q++) {
        bc_unit_t *pu = &reg->units[q];
        if (pu->nchildren)
            pu->children = bc_malloc(pu->nchildren * sizeof *pu->children);
        pu->nchildren = 0;
    }
    add_children(reg, true);

    /* Step 7: predecessors, so that a comparison across a merge or a
     * split finds the units a unit replaced without a scan. */
    bc_history_link_predecessors(reg);
    reg->history = bc_history_any(reg);
    rc = 0;

out:
    bc_code_index_destroy(&key_index);
    free(row_unit);
    bc_csv_destroy(&csv);
    return rc;
}

/* ---- breakdowns (issue 17) --------------------------------------------
 * The categories, their combinations' options and codes are
 * bc_categories.c's; the registry holds the slots and indexes their
 * codes. */

/* Writes the combination slots of total `t` from slot `at` on. */
static void make_combos(bc_registry_t *reg, uint32_t t, uint32_t at)
{
    bc_indicator_t *ind = &reg->inds[t];
    ind->first_combo = at;
    for (uint32_t c = 0; c < ind->ncombos; c++) {
        bc_indicator_t *x = &reg->inds[at + c];
        *x = *ind;
        x->idx = at + c;
        x->total = (int32_t) t;
        x->ncombos = x->first_combo = 0;
        x->numerator = x->denominator = -1;
        bc_categories_combo_opts(reg->cats, ind, c, x->opts);
        x->code = bc_categories_combo_code(reg->cats, ind, x->opts);
        x->name = bc_strdup(ind->name);
        x->programme = bc_strdup(ind->programme);
        bc_code_index_put(reg->ind_index, x->code, x->idx);
    }
}

/* ---- indicators ------------------------------------------------------- */

static int parse_kind(const char *s, bc_kind_t *out)
{
    if (strcmp(s, "flow") == 0)
        *out = BC_KIND_FLOW;
    else if (strcmp(s, "stock") == 0)
        *out = BC_KIND_STOCK;
    else if (strcmp(s, "ratio") == 0)
        *out = BC_KIND_RATIO;
    else
        return -1;
    return 0;
}

static int load_indicators(bc_registry_t *reg, const char *path,
                           const char *data, size_t len, char *err,
                           size_t errlen)
{
    bc_csv_t *csv = NULL;
    int c_code, c_name, c_kind, c_num, c_den, c_scale, c_prog, c_cats;
    int rc = -1;
    size_t ncombos = 0;

    csv = open_csv(path, data, len, err, errlen);
    if (!csv)
        goto out;

    /* Step 1: the columns. */
    c_code = bc_csv_column(csv, "code");
    c_name = bc_csv_column(csv, "name");
    c_kind = bc_csv_column(csv, "kind");
    c_num = bc_csv_column(csv, "numerator");
    c_den = bc_csv_column(csv, "denominator");
    c_scale = bc_csv_column(csv, "scale");
    c_prog = bc_csv_column(csv, "programme");
    c_cats = bc_csv_column(csv, "categories");
    if (c_code < 0 || c_name < 0 || c_kind < 0 || c_num < 0 || c_den < 0 ||
        c_scale < 0) {
        bc_set_error(err, errlen, "%s:1: the header needs the columns code, "
                "name, kind, numerator, denominator and scale", path);
        goto out;
    }
    if (bc_csv_rows(csv) == 0) {
        bc_set_error(err, errlen, "%s: no indicators", path);
        goto out;
    }
    if (bc_csv_rows(csv) > UINT32_MAX / 2) {
        bc_set_error(err, errlen, "%s: too many indicators", path);
        goto out;
    }

    /* Step 2: one indicator per row. */
    reg->ninds = bc_csv_rows(csv);
    reg->inds = bc_calloc(reg->ninds, sizeof *reg->inds);
    reg->ind_index = bc_code_index_new(reg->ninds);
    for (size_t r = 0; r < reg->ninds; r++) {
        bc_indicator_t *ind = &reg->inds[r];
        size_t line = bc_csv_line(csv, r);
        const char *code = bc_csv_field(csv, r, c_code);
        const char *kind = bc_csv_field(csv, r, c_kind);
        int64_t dup;

        ind->idx = (uint32_t) r;
        ind->numerator = ind->denominator = -1;
        ind->total = -1;
        ind->code = bc_strdup(code);
        ind->name = bc_strdup(bc_csv_field(csv, r, c_name));
        ind->programme = bc_strdup(bc_csv_field(csv, r, c_prog));
        if (!code_ok(code)) {
            bc_set_error(err, errlen, "%s:%zu: bad indicator code '%s' (1 to %d "
                    "of A-Z a-z 0-9 - _ .)", path, line, code, CODE_MAX);
            goto out;
        }
        if (ind->name[0] == '\0') {
            bc_set_error(err, errlen, "%s:%zu: indicator %s has no name", path,
                    line, code);
            goto out;
        }
        if (parse_kind(kind, &ind->kind) < 0) {
            bc_set_error(err, errlen, "%s:%zu: indicator %s has an unknown kind "
                    "'%s' (flow, stock or ratio)", path, line, code, kind);
            goto out;
        }
        dup = bc_code_index_put(reg->ind_index, ind->code, ind->idx);
        if (dup >= 0) {
            bc_set_error(err, errlen, "%s:%zu: duplicate indicator code %s "
                    "(first on line %zu)", path, line, code,
                    bc_csv_line(csv, (size_t) dup));
            goto out;
        }
        const char *cats = bc_csv_field(csv, r, c_cats);
        if (cats[0]) {
            ind->ncombos = (uint32_t) bc_categories_parse_list(
                reg->cats, reg->ncats, ind, cats, path, line, err, errlen);
            if (!ind->ncombos)
                goto out;
            ncombos += ind->ncombos;
        }
    }
    reg->ncatalogue = reg->ninds;

    /* Step 3: ratio parts, now that every code is known. A part must be a
     * count: a ratio of ratios has no meaningful sum to aggregate. */
    for (size_t r = 0; r < reg->ninds; r++) {
        bc_indicator_t *ind = &reg->inds[r];
        size_t line = bc_csv_line(csv, r);
        const char *num = bc_csv_field(csv, r, c_num);
        const char *den = bc_csv_field(csv, r, c_den);
        const char *scale = bc_csv_field(csv, r, c_scale);
        int64_t n, d;
        char *end;

        if (ind->kind != BC_KIND_RATIO) {
            if (num[0] || den[0] || scale[0]) {
                bc_set_error(err, errlen, "%s:%zu: %s is not a ratio: leave "
                        "numerator, denominator and scale empty", path,
                        line, ind->code);
                goto out;
            }
            continue;
        }
        n = bc_code_index_get(reg->ind_index, num, strlen(num));
        d = bc_code_index_get(reg->ind_index, den, strlen(den));
        if (n < 0 || d < 0) {
            bc_set_error(err, errlen, "%s:%zu: ratio %s has an unknown %s '%s'",
                    path, line, ind->code,
                    n < 0 ? "numerator" : "denominator", n < 0 ? num : den);
            goto out;
        }
        if (reg->inds[n].kind == BC_KIND_RATIO ||
            reg->inds[d].kind == BC_KIND_RATIO) {
            bc_set_error(err, errlen, "%s:%zu: ratio %s is built on another "
                    "ratio; its parts must be flow or stock counts", path,
                    line, ind->code);
            goto out;
        }
        ind->numerator = (int32_t) n;
        ind->denominator = (int32_t) d;
        ind->scale = strtod(scale, &end);
        /* Bounded so that any rate of checked totals stays finite and
         * exact enough in a double (bc_limits.h). */
        if (scale[0] == '\0' || *end != '\0' || !isfinite(ind->scale) ||
            ind->scale <= 0 || ind->scale > BC_RATIO_SCALE_MAX) {
            bc_set_error(err, errlen, "%s:%zu: ratio %s needs a positive scale "
                    "up to 1000000 (100, 1000, ...), not '%s'", path, line,
                    ind->code, scale);
            goto out;
        }
        /* A rate by sex is women's numerator over women's denominator:
         * only parts broken down the same way give one. */
        for (int part = 0; part < 2 && ind->ncats; part++) {
            const bc_indicator_t *pt = &reg->inds[part ? d : n];
            if (pt->ncats != ind->ncats
                || memcmp(pt->cats, ind->cats, ind->ncats * sizeof *ind->cats)) {
                bc_set_error(err, errlen, "%s:%zu: ratio %s is broken down "
                        "by categories its %s %s is not broken down by the "
                        "same way", path, line, ind->code,
                        part ? "denominator" : "numerator", pt->code);
                goto out;
            }
        }
    }

    /* Step 4: the combination slots, after the file's indicators so that
     * theirs keep their idx (and a catalogue without breakdowns is what
     * it always was). */
    if (ncombos) {
        size_t nfile = reg->ninds;
        reg->ninds += ncombos;
        reg->inds = bc_realloc(reg->inds, reg->ninds * sizeof *reg->inds);
        memset(reg->inds + nfile, 0, ncombos * sizeof *reg->inds);
        bc_code_index_destroy(&reg->ind_index);
        reg->ind_index = bc_code_index_new(reg->ninds);
        for (size_t r = 0; r < nfile; r++)
            bc_code_index_put(reg->ind_index, reg->inds[r].code,
                              (uint32_t) r);
        uint32_t at = (uint32_t) nfile;
        for (size_t r = 0; r < nfile; r++) {
            if (!reg->inds[r].ncombos)
                continue;
            make_combos(reg, (uint32_t) r, at);
            at += reg->inds[r].ncombos;
        }
        for (size_t r = 0; r < nfile; r++) {
            const bc_indicator_t *ind = &reg->inds[r];
            if (ind->kind != BC_KIND_RATIO || !ind->ncombos)
                continue;
            const bc_indicator_t *nu = &reg->inds[ind->numerator];
            const bc_indicator_t *de = &reg->inds[ind->denominator];
            for (uint32_t c = 0; c < ind->ncombos; c++) {
                reg->inds[ind->first_combo + c].numerator =
                    (int32_t) (nu->first_combo + c);
                reg->inds[ind->first_combo + c].denominator =
                    (int32_t) (de->first_combo + c);
            }
        }
    }
    rc = 0;

out:
    bc_csv_destroy(&csv);
    return rc;
}


/* ---- public ----------------------------------------------------------- */

static bc_registry_t *load(const char *units_path, const char *units_data,
                           size_t units_len, const char *catalog_path,
                           const char *catalog_data, size_t catalog_len,
                           const char *cats_path, const char *cats_data,
                           size_t cats_len, char *err, size_t errlen)
{
    bc_registry_t *reg;

    if (!units_path || !catalog_path) {
        bc_set_error(err, errlen, "no units or catalogue file given");
        return NULL;
    }
    /* sodium_init is idempotent and thread-safe; SHA-256 needs it only for
     * CPU feature detection, but it must not be skipped. */
    if (sodium_init() < 0) {
        bc_set_error(err, errlen, "libsodium failed to initialise");
        return NULL;
    }
    reg = bc_calloc(1, sizeof *reg);
    if (load_units(reg, units_path, units_data, units_len, err, errlen) != 0)
        goto out_destroy;
    if (cats_path && bc_categories_load(cats_path, cats_data, cats_len,
                                        &reg->cats, &reg->ncats, err,
                                        errlen) != 0)
        goto out_destroy;
    if (load_indicators(reg, catalog_path, catalog_data, catalog_len, err,
                        errlen) != 0)
        goto out_destroy;
    bc_registry_digest_compute(reg, reg->digest);
    return reg;

out_destroy:
    bc_registry_destroy(&reg);
    return NULL;
}

bc_registry_t *bc_registry_load(const char *units_path,
                                const char *catalog_path, char *err,
                                size_t errlen)
{
    return load(units_path, NULL, 0, catalog_path, NULL, 0, NULL, NULL, 0,
                err, errlen);
}

bc_registry_t *bc_registry_load_full(const char *units_path,
                                     const char *catalog_path,
                                     const char *categories_path, char *err,
                                     size_t errlen)
{
    return load(units_path, NULL, 0, catalog_path, NULL, 0, categories_path,
                NULL, 0, err, errlen);
}

bc_registry_t *bc_registry_parse_full(const char *units, size_t units_len,
                                      const char *catalog, size_t catalog_len,
                                      const char *categories,
                                      size_t categories_len, const char *name,
                                      char *err, size_t errlen)
{
    char un[256], cn[256], kn[256];
    snprintf(un, sizeof un, "%s (units)", name);
    snprintf(cn, sizeof cn, "%s (catalogue)", name);
    snprintf(kn, sizeof kn, "%s (categories)", name);
    return load(un, units ? units : "", units_len, cn,
                catalog ? catalog : "", catalog_len,
                categories ? kn : NULL, categories, categories_len, err,
                errlen);
}

bc_registry_t *bc_registry_parse(const char *units, size_t units_len,
                                 const char *catalog, size_t catalog_len,
                                 const char *name, char *err, size_t errlen)
{
    char un[256], cn[256];
    snprintf(un, sizeof un, "%s (units)", name);
    snprintf(cn, sizeof cn, "%s (catalogue)", name);
    return load(un, units ? units : "", units_len, cn,
                catalog ? catalog : "", catalog_len, NULL, NULL, 0, err,
                errlen);
}

void bc_registry_destroy(bc_registry_t **self_p)
{
    bc_registry_t *self;

    if (!self_p || !*self_p)
        return;
    self = *self_p;
    for (size_t i = 0; i < self->nunits; i++) {
        bc_unit_t *u = &self->units[i];
        free(u->code);
        for (uint32_t k = 0; k < u->nspans; k++) {
            free(u->spans[k].name);
            free(u->spans[k].level);
            free(u->spans[k].succ);
        }
        free(u->spans);
        free(u->preds);
        free(u->children);
        free(u->key);
    }
    free(self->units);
    for (size_t i = 0; i < self->ninds; i++) {
        bc_indicator_t *ind = &self->inds[i];
        free(ind->code);
        free(ind->name);
        free(ind->programme);
    }
    free(self->inds);
    bc_categories_free(self->cats, self->ncats);
    bc_code_index_destroy(&self->unit_index);
    bc_code_index_destroy(&self->ind_index);
    free(self);
    *self_p = NULL;
}

size_t bc_registry_nunits(const bc_registry_t *self)
{
    return self->nunits;
}

size_t bc_registry_nindicators(const bc_registry_t *self)
{
    return self->ninds;
}

size_t bc_registry_ncatalogue(const bc_registry_t *self)
{
    return self->ncatalogue;
}

size_t bc_registry_ncategories(const bc_registry_t *self)
{
    return self->ncats;
}

const bc_category_t *bc_registry_category(const bc_registry_t *self,
                                          uint32_t idx)
{
    assert(idx < self->ncats);
    return &self->cats[idx];
}

const bc_category_t *bc_registry_find_category(const bc_registry_t *self,
                                               const char *code)
{
    return self ? bc_categories_find(self->cats, self->ncats, code) : NULL;
}

int bc_registry_find_option(const bc_category_t *cat, const char *code)
{
    return bc_categories_find_option(cat, code);
}

bc_indicator_t *bc_registry_find_combination(const bc_registry_t *self,
                                             const char *code)
{
    bc_report_combo_t combo;
    if (bc_report_split_combination(code, &combo) != BC_OK)
        return NULL;
    const bc_indicator_t *ind = bc_registry_find_indicator(self,
                                                           combo.indicator);
    if (!ind || !ind->ncats)
        return NULL;
    uint32_t opts[BC_MAX_CATS];
    if (!bc_categories_resolve(self->cats, self->ncats, ind, &combo, opts))
        return NULL;
    return bc_registry_combo(self, ind, opts);
}

bc_indicator_t *bc_registry_combo(const bc_registry_t *self,
                                  const bc_indicator_t *ind,
                                  const uint32_t *opts)
{
    uint32_t c = bc_categories_combo_index(self->cats, ind, opts);
    assert(ind->ncombos && c < ind->ncombos);
    return &self->inds[ind->first_combo + c];
}

bc_unit_t *bc_registry_unit(const bc_registry_t *self, uint32_t idx)
{
    assert(idx < self->nunits);
    return &self->units[idx];
}

bc_indicator_t *bc_registry_indicator(const bc_registry_t *self,
                                      uint32_t idx)
{
    assert(idx < self->ninds);
    return &self->inds[idx];
}

bc_unit_t *bc_registry_find_unit(const bc_registry_t *self, const char *code)
{
    int64_t i;

    if (!self || !code)
        return NULL;
    i = bc_code_index_get(self->unit_index, code, strlen(code));
    return i < 0 ? NULL : &self->units[i];
}

bc_indicator_t *bc_registry_find_indicator(const bc_registry_t *self,
                                           const char *code)
{
    int64_t i;

    if (!self || !code)
        return NULL;
    i = bc_code_index_get(self->ind_index, code, strlen(code));
    return i < 0 ? NULL : &self->inds[i];
}

bool bc_registry_is_within(const bc_registry_t *self, const bc_unit_t *unit,
                           const bc_unit_t *ancestor)
{
    if (!self || !unit || !ancestor)
        return false;
    /* Latest rows: with history, the latest rows of a unit and of its
     * parent may belong to different months, so depths need not agree;
     * walk at most BC_MAX_LEVELS steps instead of trusting them. */
    for (int steps = 0; steps <= BC_MAX_LEVELS; steps++) {
        if (unit == ancestor)
            return true;
        if (unit->parent < 0)
            return false;
        unit = &self->units[unit->parent];
    }
    return false;
}

/* Depth-first, pre-order, children in file order, with an explicit stack:
 * the tree may be deep and is data, so no recursion. Only the children
 * under u in month m are pushed, each at most once, so nunits slots
 * suffice. */
static size_t expected_at(const bc_registry_t *self, const bc_unit_t *root,
                          const char *level, int32_t m, uint32_t *out,
                          size_t max)
{
    uint32_t *stack;
    size_t top = 0, found = 0, written = 0;
    bool leaves = !level || level[0] == '\0';

    if (!self || !root || !bc_registry_span_at(root, m))
        return 0;
    stack = bc_malloc(self->nunits * sizeof *stack);
    stack[top++] = root->idx;
    while (top > 0) {
        const bc_unit_t *u = &self->units[stack[--top]];
        const bc_span_t *sp = bc_registry_span_at(u, m);
        size_t pushed = top;

        for (uint32_t c = u->nchildren; c > 0; c--) {
            const bc_unit_t *k = &self->units[u->children[c - 1]];
            const bc_span_t *ks = bc_registry_span_at(k, m);
            if (ks && ks->parent == (int32_t) u->idx)
                stack[top++] = k->idx;
        }
        bool match = leaves ? top == pushed : strcmp(sp->level, level) == 0;
        if (match && u->reports) {
            found++;
            if (out && written < max)
                out[written++] = u->idx;
        }
    }
    free(stack);
    /* max 0 asks for the count; otherwise report what was written. */
    return max == 0 ? found : written;
}

size_t bc_registry_expected(const bc_registry_t *self, const bc_unit_t *root,
                            const char *level, uint32_t *out, size_t max)
{
    if (!self)
        return 0;
    return expected_at(self, root, level, self->latest, out, max);
}

size_t bc_registry_expected_in(const bc_registry_t *self,
                               const bc_unit_t *root, const char *level,
                               bc_period_t p, uint32_t *out, size_t max)
{
    return expected_at(self, root, level, bc_registry_month(p), out, max);
}

bool bc_registry_has_history(const bc_registry_t *self)
{
    return self && self->history;
}

void bc_registry_digest(const bc_registry_t *self, uint8_t out[32])
{
    memcpy(out, self->digest, 32);
}
