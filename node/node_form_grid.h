/*
 * node_form_grid.h -- the station form's breakdown grids (issue 17), for
 * the form (node_form.c) only: a disaggregated indicator's grid for
 * /api/form, a posted cell read as `baocao submit` reads a CSV row with
 * category columns, and a breakdown's problems in staff's words
 * (Vietnamese). Everything comes from the node's copy of the hub's
 * catalogue (node_copy.h), the only place the node holds categories.
 */
#ifndef NODE_FORM_GRID_H
#define NODE_FORM_GRID_H

#include "bc_registry.h"
#include "bc_report.h"
#include "node_check.h"
#include "node_copy.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

/* Longest field name of a posted grid cell, NUL included: the form
 * refuses a longer one as a bad field. */
#define NODE_FORM_GRID_MAX_KEY 256

/* The field of combination slot `slot` of ind's grid: the combination's
 * code as bc_report makes it from a CSV row with category columns
 * (bc_report_combination), so that what the page posts reads back
 * exactly as that row. Malloc'ed: the caller frees it. */
char *node_form_grid_cell(const bc_registry_t *cat, const bc_indicator_t *ind,
                          uint32_t slot);

/* Adds to o (ind's entry in /api/form) the grid of disaggregated
 * indicator ind of catalogue cat: "categories", each with its options'
 * codes and names, and "cells", every cell's field in the catalogue's
 * mixed-radix order (the last category varies fastest: the page's
 * columns). */
void node_form_grid_add(cJSON *o, const bc_registry_t *cat,
                        const bc_indicator_t *ind);

/* Writes into out (len bytes) a grid cell's label, its options' names in
 * its indicator's order ("Nữ, Dưới 5 tuổi"), from the copy; "" when the
 * copy has no such combination, or copy is NULL. `field` is a
 * combination's code. */
void node_form_grid_label(const node_copy_t *copy, const char *field,
                          char *out, size_t len);

/* Reads one grid cell exactly as `baocao submit` reads a report row with
 * category columns: its field `code[cat=opt,...]` (split by
 * bc_report_split_combination) and its text become the file
 * `indicator,cat,...,value` / `code,opt,...,text`, parsed by bc_report.
 * Returns NULL with *out filled (out->indicator the combination's code,
 * malloc'ed: the caller frees it), else the error to show: a field that
 * is no combination's code (or names a column the file format keeps,
 * indicator, value or name), or a text that is not a number. */
const char *node_form_grid_read(const char *key, const char *text,
                                bc_report_value_t *out);

/* Writes into out (len bytes) a breakdown's problem as a whole
 * (node_check.h, p->total set), in staff's words, with what the grid
 * shows: the cells missing, or the typed total against the cells' sum.
 * copy must not be NULL (the problem came from checking against it). */
void node_form_grid_problem(const node_copy_t *copy,
                            const bc_report_t *report,
                            const node_problem_t *p, char *out, size_t len);

#endif
