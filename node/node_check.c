/*
 * node_check.c -- a report checked before filing (design in node_check.h).
 *
 * Every problem is collected, not just the first: staff fix a file, or a
 * form, once, not once per error. The rules run only when every figure
 * is fine, as on the hub, so a rule never quotes a value that is itself
 * refused.
 */
#include "node_check.h"

#include "bc_limits.h"
#include "bc_mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static node_problem_t *add(node_check_t *c, bool error,
                           Baocao__RejectReason reason, long value,
                           long rule)
{
    c->items = bc_realloc(c->items, (c->n + 1) * sizeof *c->items);
    node_problem_t *p = &c->items[c->n++];
    p->error = error;
    p->reason = reason;
    p->value = value;
    p->rule = rule;
    p->total = -1;
    p->text[0] = '\0';
    if (error)
        c->errors++;
    return p;
}

/* "FILE:LINE: " or "" (a figure not from a file). */
static void where(const char *name, const bc_report_value_t *v, char *buf,
                  size_t len)
{
    if (name && v->line)
        snprintf(buf, len, "%s:%zu: ", name, v->line);
    else
        buf[0] = '\0';
}

static void figure_problem(node_check_t *c, const char *name,
                           const bc_report_value_t *v, long i,
                           Baocao__RejectReason reason, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static void figure_problem(node_check_t *c, const char *name,
                           const bc_report_value_t *v, long i,
                           Baocao__RejectReason reason, const char *fmt, ...)
{
    node_problem_t *p = add(c, true, reason, i, -1);
    char at[300];
    where(name, v, at, sizeof at);
    int n = snprintf(p->text, sizeof p->text, "%s", at);
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t) n < sizeof p->text)
        vsnprintf(p->text + n, sizeof p->text - (size_t) n, fmt, ap);
    va_end(ap);
}

/* One figure on its own. Returns its catalogue index (a combination's
 * slot for a combination, bc_registry.h), or -1 (unknown, or no copy). */
static long check_value(const node_copy_t *copy, const bc_report_t *r,
                        size_t i, const char *name, node_check_t *c)
{
    const bc_report_value_t *v = &r->values[i];
    long idx = -1;
    if (copy) {
        const bc_registry_t *cat = node_copy_catalog(copy);
        const bc_indicator_t *ind = bc_registry_find_indicator(cat,
                                                               v->indicator);
        /* A combination's code (bc_report.h): the copy knows the hub's
         * categories, so an option the hub does not have is caught here. */
        if (strchr(v->indicator, '[')) {
            ind = bc_registry_find_combination(cat, v->indicator);
            if (!ind) {
                figure_problem(c, name, v, (long) i,
                               BAOCAO__REJECT_REASON__REASON_UNKNOWN_COMBINATION,
                               "%.160s is not a combination of the hub's "
                               "categories for its indicator",
                               v->indicator);
                return -1;
            }
        }
        if (!ind) {
            figure_problem(c, name, v, (long) i,
                           BAOCAO__REJECT_REASON__REASON_UNKNOWN_INDICATOR,
                           "unknown indicator '%.64s': not in the hub's "
                           "catalogue", v->indicator);
            return -1;
        }
        if (ind->kind == BC_KIND_RATIO) {
            figure_problem(
                c, name, v, (long) i,
                BAOCAO__REJECT_REASON__REASON_NOT_REPORTABLE,
                "%s is a rate computed by the hub from %s and %s; file "
                "those instead", ind->code,
                bc_registry_indicator(cat, (uint32_t) ind->numerator)->code,
                bc_registry_indicator(cat, (uint32_t) ind->denominator)->code);
            return -1;
        }
        idx = (long) ind->idx;
    }
    int64_t max = copy ? node_copy_max_count(copy) : BC_COUNT_MAX;
    if (!v->is_integer)
        figure_problem(c, name, v, (long) i,
                       BAOCAO__REJECT_REASON__REASON_NOT_INTEGER,
                       "%.64s is a count: %g is not a whole number",
                       v->indicator, v->decimal);
    else if (v->count < 0)
        figure_problem(c, name, v, (long) i,
                       BAOCAO__REJECT_REASON__REASON_NEGATIVE,
                       "%.64s is a count: %lld is negative", v->indicator,
                       (long long) v->count);
    else if (v->count > max)
        figure_problem(c, name, v, (long) i,
                       BAOCAO__REJECT_REASON__REASON_COUNT_TOO_LARGE,
                       "%.64s is %lld, above the largest count the hub takes "
                       "(%lld)", v->indicator, (long long) v->count,
                       (long long) max);
    else
        return idx;
    return -1;
}

/* Breakdowns (issue 17), as the hub checks them (hub_validate.c): an
 * indicator's combinations are given all or none (the total alone), and a
 * total given with them is their sum. Each problem is about the figure
 * staff fix: the stated total when the sum differs, else the indicator's
 * first combination given. Returns whether all were fine. */
static bool check_breakdowns(const node_copy_t *copy, const bc_report_t *r,
                             const long *idx, const char *name,
                             node_check_t *c)
{
    const bc_registry_t *cat = node_copy_catalog(copy);
    int64_t max = node_copy_max_count(copy);
    bool fine = true;
    for (size_t i = 0; i < r->nvalues; i++) {
        const bc_indicator_t *x = bc_registry_indicator(cat,
                                                        (uint32_t) idx[i]);
        if (x->total < 0)
            continue;     /* a total, or not broken down */
        /* Each indicator once: at its first combination in the report. */
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = bc_registry_indicator(cat, (uint32_t) idx[j])->total
                   == x->total;
        if (seen)
            continue;
        const bc_indicator_t *t = bc_registry_indicator(cat,
                                                        (uint32_t) x->total);
        uint32_t combos = 0;
        int64_t sum = 0;
        long stated = -1;
        for (size_t j = 0; j < r->nvalues; j++) {
            const bc_indicator_t *y =
                bc_registry_indicator(cat, (uint32_t) idx[j]);
            if (y == t) {
                stated = (long) j;
            } else if (y->total == (int32_t) t->idx) {
                combos++;
                sum += r->values[j].count;  /* <= 10^12 x 256: no overflow */
            }
        }
        if (combos < t->ncombos) {
            /* Name the first one missing, in the catalogue's order. */
            const bc_indicator_t *miss = NULL;
            for (uint32_t k = 0; k < t->ncombos && !miss; k++) {
                const bc_indicator_t *s =
                    bc_registry_indicator(cat, t->first_combo + k);
                bool got = false;
                for (size_t j = 0; j < r->nvalues && !got; j++)
                    got = idx[j] == (long) s->idx;
                if (!got)
                    miss = s;
            }
            figure_problem(c, name, &r->values[i], (long) i,
                           BAOCAO__REJECT_REASON__REASON_INCOMPLETE_COMBINATION,
                           "%.64s is broken down into %u combinations and "
                           "the report gives %u: every one or none (the "
                           "total alone); missing %.160s", t->code,
                           t->ncombos, combos, miss ? miss->code : "?");
            c->items[c->n - 1].total = (long) t->idx;
            fine = false;
        } else if (stated >= 0 && r->values[stated].count != sum) {
            int64_t total = r->values[stated].count;
            figure_problem(c, name, &r->values[stated], stated,
                           BAOCAO__REJECT_REASON__REASON_VALIDATION,
                           "%.64s: the combinations sum to %lld, the total "
                           "given is %lld (difference %lld)", t->code,
                           (long long) sum, (long long) total,
                           (long long) (total - sum));
            c->items[c->n - 1].total = (long) t->idx;
            fine = false;
        } else if (stated < 0 && sum > max) {
            figure_problem(c, name, &r->values[i], (long) i,
                           BAOCAO__REJECT_REASON__REASON_COUNT_TOO_LARGE,
                           "%.64s: its combinations sum to %lld, above the "
                           "largest count the hub takes (%lld)", t->code,
                           (long long) sum, (long long) max);
            c->items[c->n - 1].total = (long) t->idx;
            fine = false;
        }
    }
    return fine;
}

/* The rules on the report's own figures, as the hub evaluates them: on
 * totals, a total not given being the sum of its combinations. */
static void check_rules(const node_copy_t *copy, const bc_report_t *r,
                        const long *idx, node_check_t *c)
{
    const bc_rules_t *rules = node_copy_rules(copy);
    const bc_registry_t *cat = node_copy_catalog(copy);
    size_t nind = bc_registry_nindicators(cat);
    int64_t *value = bc_calloc(nind ? nind : 1, sizeof *value);
    uint32_t *present = bc_calloc(nind ? nind : 1, sizeof *present);
    int64_t *derived = bc_calloc(nind ? nind : 1, sizeof *derived);
    for (size_t i = 0; i < r->nvalues; i++) {
        value[idx[i]] = r->values[i].count;
        present[idx[i]] = 1;
        int32_t t = bc_registry_indicator(cat, (uint32_t) idx[i])->total;
        if (t >= 0)
            derived[t] += r->values[i].count;
    }
    for (size_t i = 0; i < r->nvalues; i++) {
        int32_t t = bc_registry_indicator(cat, (uint32_t) idx[i])->total;
        if (t >= 0 && !present[t]) {
            value[t] = derived[t];
            present[t] = 1;
        }
    }
    free(derived);
    for (size_t k = 0; k < bc_rules_count(rules); k++) {
        int64_t left, right;
        if (bc_rules_check(rules, k, value, present, &left, &right)
            != BC_RULE_FAIL)
            continue;
        bool error = bc_rules_importance(rules, k) == BC_RULE_ERROR;
        node_problem_t *p = add(c, error,
                                BAOCAO__REJECT_REASON__REASON_VALIDATION, -1,
                                (long) k);
        char one[300];
        bc_rules_describe(rules, k, left, right, one, sizeof one);
        const char *msg = bc_rules_message(rules, k);
        snprintf(p->text, sizeof p->text, "rule %s%s%s", one,
                 *msg ? ": " : "", msg);
    }
    free(value);
    free(present);
}

void node_check_report(const node_copy_t *copy, const bc_report_t *r,
                       const char *name, node_check_t *out)
{
    memset(out, 0, sizeof *out);
    out->checked = copy != NULL;
    size_t maxv = copy ? node_copy_max_values(copy) : BC_MAX_VALUES_DEFAULT;
    if (r->nvalues > maxv) {
        node_problem_t *p = add(out, true,
                                BAOCAO__REJECT_REASON__REASON_TOO_MANY_VALUES,
                                -1, -1);
        snprintf(p->text, sizeof p->text, "%zu figures in one report; the "
                 "hub takes at most %zu", r->nvalues, maxv);
        return;
    }
    long *idx = bc_calloc(r->nvalues ? r->nvalues : 1, sizeof *idx);
    bool all_fine = true;
    for (size_t i = 0; i < r->nvalues; i++) {
        size_t before = out->errors;
        idx[i] = check_value(copy, r, i, name, out);
        if (out->errors != before)
            all_fine = false;
    }
    /* The same indicator twice (a report read from a file cannot have it,
     * bc_report.h; a merged or hand-made one could). */
    for (size_t i = 1; i < r->nvalues; i++)
        for (size_t j = 0; j < i; j++)
            if (!strcmp(r->values[i].indicator, r->values[j].indicator)) {
                figure_problem(out, name, &r->values[i], (long) i,
                               BAOCAO__REJECT_REASON__REASON_DUPLICATE_VALUE,
                               "indicator %.64s is listed twice",
                               r->values[i].indicator);
                all_fine = false;
                break;
            }
    if (copy && all_fine && check_breakdowns(copy, r, idx, name, out))
        check_rules(copy, r, idx, out);
    free(idx);
}

void node_check_free(node_check_t *c)
{
    free(c->items);
    c->items = NULL;
    c->n = c->errors = 0;
}
