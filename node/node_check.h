/*
 * node_check.h -- checks a report before it is filed, against the node's
 * copy of the hub's catalogue, rules and limits (node_copy.h): one
 * function, used by `baocao submit` and by the station's form, so that
 * both refuse the same reports with the same words (issue #11, item 3).
 *
 * What it refuses is what the hub would refuse for the report's figures
 * alone, in the hub's order (hub_validate.c): too many figures; per
 * figure an unknown indicator, a rate (computed by the hub), a value that
 * is not a whole number, a negative count, a count above the largest the
 * hub takes; the same indicator twice; then, once every figure is fine,
 * an indicator's breakdown (issue 17: its combinations all given or none,
 * a total given with them equal to their sum, named with the difference);
 * then, once those are fine too, each error-level rule (on totals, a
 * total not given being its combinations' sum). A warning-level rule
 * that fails is reported as a warning: the report is filed and the hub
 * flags it.
 *
 * Without a copy (a node that never reached the hub), only what needs no
 * catalogue is checked (every figure a node files is a count: a whole
 * number, not negative, at most 10^12; no indicator twice), and
 * `checked` stays false so that the caller says the report could not be
 * checked against the hub's catalogue and rules.
 *
 * The hub still checks everything: a node's copy may be old.
 *
 * Structure: check_value judges one figure on its own (a combination's
 * options against the copy's categories), then the report's checks run
 * over all of them.
 */
#ifndef NODE_CHECK_H
#define NODE_CHECK_H

#include "baocao.pb-c.h"
#include "bc_report.h"
#include "node_copy.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NODE_PROBLEM_TEXT 480

/* One thing wrong with a report. */
typedef struct {
    bool error;                   /* refuses filing; false: a warning */
    Baocao__RejectReason reason;  /* what the hub would answer: a figure's
                                     reason, or REASON_VALIDATION */
    long value;                   /* the figure's index in the report, -1
                                     when about the report (a rule, the
                                     count of figures) */
    long rule;                    /* the rule's index in the copy's rules,
                                     -1 when not a rule */
    long total;                   /* about a breakdown as a whole (issue
                                     17: incomplete, or not summing to its
                                     total): the total's index in the
                                     copy's catalogue, else -1 */
    char text[NODE_PROBLEM_TEXT]; /* for staff: "FILE:LINE: ..." or the
                                     rule with both sides' values and its
                                     message */
} node_problem_t;

typedef struct {
    node_problem_t *items;        /* in the order found */
    size_t n;                     /* problems */
    size_t errors;                /* of which refuse filing */
    bool checked;                 /* a copy was used (see the top) */
} node_check_t;

/* Checks report r against copy (NULL: none). `name` names the report's
 * file in the texts (NULL: the figures are named by their code alone).
 * Fills *out (free with node_check_free); never fails. */
void node_check_report(const node_copy_t *copy, const bc_report_t *r,
                       const char *name, node_check_t *out);

void node_check_free(node_check_t *c);

#endif
