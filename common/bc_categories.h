/*
 * bc_categories.h -- breakdowns (issue 17): the categories file, an
 * indicator's `categories` column and the combinations they make, for the
 * registry's loader (bc_registry.c). The rest of the system asks about
 * categories and combinations through bc_registry.h
 * (bc_registry_find_category, _find_option, _find_combination, _combo),
 * which answers with these functions.
 *
 * Categories file, UTF-8:
 *
 *   category,option,name
 *
 *   one row per option, grouped into categories by code in file order.
 *   A category code is 1 to 32 of A-Z a-z 0-9 - _ .; an option code may
 *   also hold '+' ("50+"); an empty name is the option's code.
 *
 * A total broken down by categories cats[0..n-1] has one combination per
 * choice of an option in each, numbered in mixed radix, the last category
 * varying fastest (the form's columns), and coded
 * `ind[cat0=opt,cat1=opt,...]`, categories in the indicator's order.
 *
 * Every function that can fail returns 0, or -1 (or 0 combinations) with
 * a message in err naming the file (`path`), the line and the problem.
 */
#ifndef BC_CATEGORIES_H
#define BC_CATEGORIES_H

#include "bc_registry.h"
#include "bc_report.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Reads the categories file at `path`, or the bytes data (len) named
 * `path` when data is not NULL, into a new array *cats of *ncats
 * categories (free with bc_categories_free). -1 with err set: a header
 * without category, option and name, a bad category or option code, an
 * option twice in one category; *cats is then freed and NULL. */
int bc_categories_load(const char *path, const char *data, size_t len,
                       bc_category_t **cats, size_t *ncats, char *err,
                       size_t errlen);

/* Frees the n categories of cats and cats itself. Accepts NULL. */
void bc_categories_free(bc_category_t *cats, size_t n);

/* The category of `code` among the n of cats, or NULL (also for a NULL
 * code). */
const bc_category_t *bc_categories_find(const bc_category_t *cats, size_t n,
                                        const char *code);

/* The option's index in the category, or -1 (also for a NULL cat or
 * code). */
int bc_categories_find_option(const bc_category_t *cat, const char *code);

/* Parses an indicator's `categories` field ("sex;age", text not empty)
 * into ind->cats and ind->ncats, against the ncats categories of cats.
 * Returns the number of combinations, or 0 with err set (on line `line`
 * of `path`): an empty or overlong code, an unknown category, one named
 * twice, more than BC_MAX_CATS, more than BC_MAX_COMBOS combinations. */
size_t bc_categories_parse_list(const bc_category_t *cats, size_t ncats,
                                bc_indicator_t *ind, const char *text,
                                const char *path, size_t line, char *err,
                                size_t errlen);

/* The options of combination c of total `ind` (c < ind->ncombos): opts[k]
 * is its option in category ind->cats[k]. */
void bc_categories_combo_opts(const bc_category_t *cats,
                              const bc_indicator_t *ind, uint32_t c,
                              uint32_t *opts);

/* The combination of total `ind` whose options are opts (each in range):
 * the inverse of bc_categories_combo_opts. */
uint32_t bc_categories_combo_index(const bc_category_t *cats,
                                   const bc_indicator_t *ind,
                                   const uint32_t *opts);

/* The code of total ind's combination with options opts,
 * `ind[sex=nu,age=5-14]`, in a new string. */
char *bc_categories_combo_code(const bc_category_t *cats,
                               const bc_indicator_t *ind,
                               const uint32_t *opts);

/* Resolves a split code's pairs (bc_report_split_combination) against
 * total `ind`: writes opts[k], the option of ind's k-th category. True
 * when the pairs name every category of ind exactly once, in any order,
 * each with one of its options; false otherwise (opts then undefined). */
bool bc_categories_resolve(const bc_category_t *cats, size_t ncats,
                           const bc_indicator_t *ind,
                           const bc_report_combo_t *combo, uint32_t *opts);

#endif
