/*
 * bc_registry.c -- reporting units and indicators, loaded from CSV: the
 * order of loading, and the lookups.
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
 * bc_history.c, which also answers the month-dependent questions. The
 * units file is read by bc_registry_units.c, the catalogue by
 * bc_registry_indicators.c (their shared struct is bc_registry_int.h);
 * this file loads them in order and answers the lookups.
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
#include "bc_registry_int.h"

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

/* ---- shared by the loaders (bc_registry_int.h) ------------------------ */

/* Codes go into store keys, file names and command lines: letters, digits
 * and - _ . only, so none of them needs quoting anywhere. */
bool bc_registry_code_ok(const char *s)
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

/* From the file at `path`, or from data (len bytes) named `path` when data
 * is not NULL. */
bc_csv_t *bc_registry_open_csv(const char *path, const char *data,
                               size_t len, char *err, size_t errlen)
{
    return data ? bc_csv_parse(data, len, path, err, errlen)
                : bc_csv_load(path, err, errlen);
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
    if (bc_registry_load_units(reg, units_path, units_data, units_len, err, errlen) != 0)
        goto out_destroy;
    if (cats_path && bc_categories_load(cats_path, cats_data, cats_len,
                                        &reg->cats, &reg->ncats, err,
                                        errlen) != 0)
        goto out_destroy;
    if (bc_registry_load_indicators(reg, catalog_path, catalog_data, catalog_len, err,
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
