/*
 * node_form_words.h -- what the station's form says of a rejection or of
 * a problem with a figure, in the staff's words (Vietnamese), for the
 * form (node_form.c) only. Breakdown grids have their own words
 * (node_form_grid.h).
 */
#ifndef NODE_FORM_WORDS_H
#define NODE_FORM_WORDS_H

#include "node_check.h"

#include <stdint.h>

/* The hub's reject reason `reason` (a Baocao__RejectReason) as a sentence;
 * "Bị từ chối" ("rejected") for a reason without one of its own. A
 * static string: never NULL, never freed. */
const char *node_form_words_reason(uint32_t reason);

/* node_check's problem p with a figure, as a sentence shown next to its
 * field: its own words for the problems `baocao submit` finds before
 * sending (not an integer, negative, too large, unknown indicator or
 * cell, a computed indicator typed in), else the hub's reason's
 * (node_form_words_reason). A static string. */
const char *node_form_words_problem(const node_problem_t *p);

#endif
