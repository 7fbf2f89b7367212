/*
 * bc_registry_units.c -- the units file: one row per unit (or per span of
 * a unit's life, issue 18), its attributes (level, name, key, phone,
 * expected), and the tree they make (design in bc_registry.c).
 *
 * Everything the rest of the system relies on is checked here, so that no
 * later code has to: codes unique and safe, keys unique and valid Z85,
 * parents that exist, no cycle and at most BC_MAX_LEVELS levels. Every
 * error names the file and the line.
 */
#include "bc_registry_int.h"

#include "bc_categories.h"
#include "bc_error.h"
#include "bc_history.h"
#include "bc_mem.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define Z85_KEY_LEN 40       /* a 32-byte CURVE key in Z85 */


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

int bc_registry_load_units(bc_registry_t *reg, const char *path,
                           const char *data, size_t len, char *err,
                           size_t errlen)
{
    bc_csv_t *csv = NULL;
    uint32_t *row_unit = NULL;
    bc_code_index_t *key_index = NULL;
    int c_code, c_parent, c_level, c_name, c_reports, c_behalf, c_relay, c_key;
    int c_from, c_to, c_repl;
    size_t nrows;
    int rc = -1;

    csv = bc_registry_open_csv(path, data, len, err, errlen);
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

        if (!bc_registry_code_ok(code)) {
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
