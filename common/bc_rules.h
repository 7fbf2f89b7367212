/*
 * bc_rules.h -- validation rules as data: what figures must satisfy
 * between themselves (issue #11, item 2).
 *
 * A rule compares two sums of figures, DHIS2's validation rule made
 * simple enough to write in a spreadsheet. One file, UTF-8, header first:
 *
 *   code,left,operator,right,importance,message
 *   sdd_u2_le_u5,sdd_u2,<=,sdd_u5,error,Under-2 children are under 5 too
 *
 *   code        unique, 1..BC_CODE_MAX bytes of [A-Za-z0-9_.-]
 *   left,right  a sum of terms joined by `+`: each an indicator code of
 *               the catalogue (a count: flow or stock, not a rate) or a
 *               whole constant 0..BC_COUNT_MAX; at most BC_RULE_TERMS
 *               terms a side
 *   operator    <= < >= > == !=
 *   importance  error (the report is refused) or warning (stored and
 *               flagged)
 *   message     free text for staff (may be empty), at most
 *               BC_RULE_MESSAGE_MAX bytes
 *
 * The parser and evaluator are shared by the hub (which refuses a report
 * breaking an error rule and lists warnings) and the node (which checks a
 * report before filing it): one module, so that both read a rule alike.
 *
 * Evaluation takes figures dense by catalogue index, as the hub's readers
 * hold them (hub_figures_t): value[i], and present[i] non-zero when the
 * figure exists. A term whose figure is absent counts 0, but a side that
 * names indicators and has none of them present is *missing*, and a rule
 * with a missing side is skipped, not failed: a report of the HIV
 * programme alone must not break the nutrition rules. Sums are checked:
 * a side that would overflow int64 makes the rule skipped, never a
 * wrapped comparison.
 *
 * Load errors name the file, the line and the problem.
 */
#ifndef BC_RULES_H
#define BC_RULES_H

#include "bc_registry.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Most terms on one side of a rule. */
#define BC_RULE_TERMS 16
/* Longest rule message, in bytes. */
#define BC_RULE_MESSAGE_MAX 200
/* Most rules in one file. */
#define BC_RULES_MAX 10000

typedef enum {
    BC_RULE_ERROR = 1,     /* the report is refused (REASON_VALIDATION) */
    BC_RULE_WARNING = 2    /* the report is stored and flagged */
} bc_rule_importance_t;

typedef enum {
    BC_RULE_PASS = 0,      /* the comparison holds */
    BC_RULE_FAIL = 1,      /* it does not */
    BC_RULE_SKIPPED = 2    /* a side is missing (or would overflow) */
} bc_rule_outcome_t;

typedef struct bc_rules_t bc_rules_t;

/* Parses a rules file held in `data` (len bytes; `name` names it in
 * messages), against the catalogue of `reg`. Returns NULL with a message
 * in err (file:line: problem) on: a missing column, an unknown or ratio
 * indicator, a bad constant, operator or importance, a duplicate code, too
 * many terms or rules, a message too long. An empty file (header only) is
 * a valid set of no rules. */
bc_rules_t *bc_rules_parse(const char *data, size_t len, const char *name,
                           const bc_registry_t *reg, char *err,
                           size_t errlen);

/* The same from a file; also NULL when it cannot be read (errno named). */
bc_rules_t *bc_rules_load(const char *path, const bc_registry_t *reg,
                          char *err, size_t errlen);

void bc_rules_destroy(bc_rules_t **self_p);

/* Number of rules, and each rule's fields (i < bc_rules_count; the
 * strings live as long as the set). */
size_t bc_rules_count(const bc_rules_t *self);
const char *bc_rules_code(const bc_rules_t *self, size_t i);
const char *bc_rules_message(const bc_rules_t *self, size_t i);
bc_rule_importance_t bc_rules_importance(const bc_rules_t *self, size_t i);

/* Does rule i name catalogue indicator `ind` on either side? */
bool bc_rules_uses(const bc_rules_t *self, size_t i, uint32_t ind);

/* Evaluates rule i on figures dense by catalogue index (see the top of
 * this file); value and present have one entry per catalogue indicator.
 * Writes each side's sum to *left / *right (either may be NULL; 0 when
 * the outcome is SKIPPED). */
bc_rule_outcome_t bc_rules_check(const bc_rules_t *self, size_t i,
                                 const int64_t *value,
                                 const uint32_t *present, int64_t *left,
                                 int64_t *right);

/* Writes rule i as text with the values of both sides, for messages:
 * "sdd_u2_le_u5: sdd_u2 (500) <= sdd_u5 (100)". Returns what snprintf
 * returns. */
int bc_rules_describe(const bc_rules_t *self, size_t i, int64_t left,
                      int64_t right, char *buf, size_t len);

/* Name of an importance ("error", "warning"). */
const char *bc_rule_importance_name(bc_rule_importance_t imp);

#endif
