/*
 * hub_validate.c -- submission checks (rules in hub_validate.h).
 *
 * Order matters for the reason reported: structure first (id, unit,
 * period), then who may send it, then each figure. A report is accepted
 * whole or not at all, so one bad figure rejects it, naming that figure.
 *
 * Breakdowns (issue 17): a value with options is stored under its
 * combination's internal indicator (bc_registry.h); a report gives every
 * combination of an indicator or none, and a total it does not state is
 * their sum, so the store only ever sees plain figures that add up.
 *
 * Clocks: the hub's decides FUTURE_PERIOD and bounds filed_at (from the
 * period's start to a day ahead of the hub); within that window the
 * facility's filed_at decides lateness (proto/README.md, Queries).
 */
#include "hub_validate.h"
#include "bc_limits.h"
#include "bc_mem.h"
#include "bc_wire.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REJECT(item, why, ...)                                                \
    do {                                                                      \
        (item)->reject = BAOCAO__REJECT_REASON__REASON_##why;                 \
        snprintf((item)->message, sizeof (item)->message, __VA_ARGS__);       \
        goto out_reject;                                                      \
    } while (0)

bool hub_may_submit(const bc_registry_t *reg, const char *peer,
                    const bc_unit_t *unit)
{
    if (!peer || !*peer)
        return true;   /* plain mode: no identities to check */
    if (strncmp(peer, "unit:", 5) != 0)
        return false;  /* operators and anything else never submit */
    const bc_unit_t *self = bc_registry_find_unit(reg, peer + 5);
    if (!self)
        return false;
    if (self == unit)
        return true;
    /* A relay's key is a provincial hub's: its whole subtree, and no
     * further (another province's unit is NOT_AUTHORIZED). */
    if (self->relay)
        return bc_registry_is_within(reg, unit, self);
    return self->on_behalf && unit->parent == (int32_t) self->idx;
}

bool hub_relay_may(const bc_registry_t *reg, const char *peer,
                   const bc_unit_t *unit)
{
    if (!peer || strncmp(peer, "unit:", 5) != 0 || !unit)
        return false;
    const bc_unit_t *relay = bc_registry_find_unit(reg, peer + 5);
    return relay && relay->relay && bc_registry_is_within(reg, unit, relay);
}

/* Sorts v[0..n) by sid, with tmp[0..n) as scratch: a bottom-up merge
 * sort, in place of qsort. A report with breakdowns lists each total's
 * combinations (sids after every total's, in a store made with the
 * categories) among the totals, so it is never in sid order, and qsort's
 * comparison calls were half of what validating such a report cost
 * (BENCHMARKS.md, "Breakdowns"). */
static void sort_by_sid(hub_val_t *v, size_t n, hub_val_t *tmp)
{
    hub_val_t *src = v, *dst = tmp;
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n;
            size_t hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                dst[k++] = src[j].sid < src[i].sid ? src[j++] : src[i++];
            while (i < mid)
                dst[k++] = src[i++];
            while (j < hi)
                dst[k++] = src[j++];
        }
        hub_val_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != v)
        memcpy(v, src, n * sizeof *v);
}

/* Merges the m sorted values of extra into the n sorted values of v,
 * which has room for n + m: from the end, so that nothing is moved
 * twice. */
static void merge_in(hub_val_t *v, size_t n, const hub_val_t *extra,
                     size_t m)
{
    size_t i = n, j = m, k = n + m;
    while (j > 0) {
        if (i > 0 && v[i - 1].sid > extra[j - 1].sid)
            v[--k] = v[--i];
        else
            v[--k] = extra[--j];
    }
}

/* Evaluates the error-level rules on the report's own figures (already
 * checked: known, counts, no duplicates). Returns true when any fails,
 * with msg naming each failing rule and both sides' values; rules past
 * what fits are counted. */
/* One disaggregated indicator of a report (issue 17): what its values
 * said about the total and the combinations. */
typedef struct {
    const bc_indicator_t *ind;     /* the total */
    bool stated;                   /* the total itself was sent */
    int64_t total;                 /* its value, when stated */
    uint32_t combos;               /* combinations sent */
    int64_t sum;                   /* their sum */
} breakdown_t;

static bool check_rules(const bc_registry_t *reg, const bc_rules_t *rules,
                        const Baocao__Submission *sub,
                        const breakdown_t *bd, size_t nbd, char *msg,
                        size_t msglen)
{
    size_t nind = bc_registry_nindicators(reg);
    int64_t *value = bc_calloc(nind ? nind : 1, sizeof *value);
    uint32_t *present = bc_calloc(nind ? nind : 1, sizeof *present);
    for (size_t i = 0; i < sub->n_values; i++) {
        if (sub->values[i]->n_options)
            continue;   /* rules are on totals: derived ones below */
        const bc_indicator_t *ind = bc_registry_find_indicator(
            reg, sub->values[i]->indicator);
        value[ind->idx] = sub->values[i]->count;
        present[ind->idx] = 1;
    }
    for (size_t i = 0; i < nbd; i++)
        if (!bd[i].stated && bd[i].combos) {
            value[bd[i].ind->idx] = bd[i].sum;
            present[bd[i].ind->idx] = 1;
        }
    size_t failed = 0, shown = 0, len = 0;
    for (size_t i = 0; i < bc_rules_count(rules); i++) {
        int64_t left, right;
        if (bc_rules_importance(rules, i) != BC_RULE_ERROR
            || bc_rules_check(rules, i, value, present, &left, &right)
                   != BC_RULE_FAIL)
            continue;
        failed++;
        char one[300];
        bc_rules_describe(rules, i, left, right, one, sizeof one);
        /* Keep room for the "and N more" tail. */
        if (len + strlen(one) + 40 < msglen) {
            len += (size_t) snprintf(msg + len, msglen - len, "%s%s",
                                     shown ? "; " : "validation failed: ",
                                     one);
            shown++;
        }
    }
    if (failed > shown)
        snprintf(msg + len, msglen - len, "%s%zu more rule%s failed",
                 shown ? "; and " : "validation failed: ", failed - shown,
                 failed - shown == 1 ? "" : "s");
    bc_free(&value);
    bc_free(&present);
    return failed > 0;
}

/* The combination slot a value's options name, or NULL with the reason
 * in item. */
static const bc_indicator_t *combination(const bc_registry_t *reg,
                                         const bc_indicator_t *ind,
                                         const Baocao__Value *v,
                                         hub_item_t *item)
{
    uint32_t opts[BC_MAX_CATS];
    bool seen[BC_MAX_CATS] = {false};
    if (!ind->ncats) {
        item->reject = BAOCAO__REJECT_REASON__REASON_UNKNOWN_COMBINATION;
        snprintf(item->message, sizeof item->message, "%s is not broken "
                 "down by any category: send its total without options",
                 ind->code);
        return NULL;
    }
    for (size_t j = 0; j < v->n_options; j++) {
        const Baocao__Option *o = v->options[j];
        /* Among the indicator's own categories first (a scan of at most
         * BC_MAX_CATS codes); the registry's, only to name what is
         * wrong. */
        const bc_category_t *cat = NULL;
        uint32_t k = 0;
        for (; k < ind->ncats; k++) {
            const bc_category_t *c = bc_registry_category(reg, ind->cats[k]);
            if (o->category && strcmp(c->code, o->category) == 0) {
                cat = c;
                break;
            }
        }
        if (!cat)
            cat = bc_registry_find_category(reg, o->category);
        int opt = cat ? bc_registry_find_option(cat, o->option) : -1;
        const char *why = !cat || k == ind->ncats ? "is not broken down by"
                          : opt < 0 ? "has no option"
                          : seen[k] ? "names twice the category" : NULL;
        if (why) {
            item->reject = BAOCAO__REJECT_REASON__REASON_UNKNOWN_COMBINATION;
            snprintf(item->message, sizeof item->message, "%s %s %.32s%s"
                     "%.32s", ind->code, why, o->category,
                     opt < 0 && cat && k < ind->ncats ? "=" : "",
                     opt < 0 && cat && k < ind->ncats ? o->option : "");
            return NULL;
        }
        seen[k] = true;
        opts[k] = (uint32_t) opt;
    }
    for (uint32_t k = 0; k < ind->ncats; k++)
        if (!seen[k]) {
            item->reject =
                BAOCAO__REJECT_REASON__REASON_INCOMPLETE_COMBINATION;
            snprintf(item->message, sizeof item->message, "%s: a "
                     "combination names every category it is broken down "
                     "by; %s is missing", ind->code,
                     bc_registry_category(reg, ind->cats[k])->code);
            return NULL;
        }
    return bc_registry_combo(reg, ind, opts);
}

/* The entry of `ind` in bd (appended when new). */
static breakdown_t *breakdown_of(breakdown_t *bd, size_t *nbd,
                                 const bc_indicator_t *ind)
{
    /* The last one first: its combinations come one after another. */
    if (*nbd && bd[*nbd - 1].ind == ind)
        return &bd[*nbd - 1];
    for (size_t i = 0; i < *nbd; i++)
        if (bd[i].ind == ind)
            return &bd[i];
    bd[*nbd] = (breakdown_t){ind, false, 0, 0, 0};
    return &bd[(*nbd)++];
}

/* Writes the options of combination slot x as "sex=nu, age=5-14". */
static void combo_text(const bc_registry_t *reg, const bc_indicator_t *x,
                       char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = '\0';
    for (uint32_t k = 0; k < x->ncats && n < len; k++) {
        const bc_category_t *c = bc_registry_category(reg, x->cats[k]);
        n += (size_t) snprintf(buf + n, len - n, "%s%s=%s", k ? ", " : "",
                               c->code, c->opts[x->opts[k]]);
    }
}

Baocao__RejectReason hub_validate(const bc_registry_t *reg,
                                  const Baocao__Submission *sub,
                                  const char *peer, const hub_limits_t *lim,
                                  hub_item_t *item)
{
    breakdown_t *bd = NULL;        /* disaggregated indicators sent */
    size_t nbd = 0;
    hub_val_t *derived = NULL;     /* the totals derived from them */
    size_t nderived = 0;
    item->vals = NULL;
    item->nvals = 0;
    item->message[0] = '\0';
    item->reject = BAOCAO__REJECT_REASON__REASON_NONE;
    item->id = sub->id.len == 16 ? sub->id.data : NULL;

    if (sub->id.len != 16)
        REJECT(item, BAD_ID, "submission id must be 16 bytes, got %zu",
               sub->id.len);
    const bc_unit_t *unit = bc_registry_find_unit(reg, sub->unit);
    if (!unit)
        REJECT(item, UNKNOWN_UNIT, "unknown unit '%.60s': not in the hub's "
               "registry", sub->unit);
    item->unit = unit;
    if (!unit->reports)
        REJECT(item, NOT_REPORTING, "unit %s (%s) does not file reports: "
               "its figures are the totals of the units under it",
               unit->code, unit->level);
    if (!hub_may_submit(reg, peer, unit))
        REJECT(item, NOT_AUTHORIZED, "%.60s may not submit for %s", peer,
               unit->code);
    if (bc_period_parse(sub->period, &item->period) != 0)
        REJECT(item, BAD_PERIOD, "period '%.30s' is not YYYY-MM, YYYY-Qn, "
               "YYYY-Hn or YYYY", sub->period);
    if (bc_period_start(item->period) > lim->now)
        REJECT(item, FUTURE_PERIOD, "period %s has not started yet",
               sub->period);
    /* The registry is a history: a report counts in the tree of its
     * period, so its unit must exist for all of that period. */
    if (!bc_registry_valid_in(unit, item->period)) {
        char v[96];
        REJECT(item, NOT_VALID_IN_PERIOD, "unit %s is not valid in %s (%s)",
               unit->code, sub->period,
               bc_registry_validity(reg, unit, v, sizeof v));
    }
    if (sub->revision == 0)
        REJECT(item, BAD_REVISION, "revision must be 1 or more");
    item->revision = sub->revision;
    item->filed_at = sub->filed_at;
    /* Lateness is judged on filed_at, the facility's clock: bound it by the
     * hub's, or a node could claim any report was on time. */
    if (sub->filed_at < bc_period_start(item->period))
        REJECT(item, BAD_FILED_AT, "filed_at %lld is before period %s began",
               (long long) sub->filed_at, sub->period);
    if (sub->filed_at > lim->now + BC_FILED_AHEAD_MAX)
        REJECT(item, BAD_FILED_AT, "filed_at %lld is more than a day ahead "
               "of the hub's clock (%lld): check the facility's clock",
               (long long) sub->filed_at, (long long) lim->now);
    if (sub->n_values > lim->max_values)
        REJECT(item, TOO_MANY_VALUES, "%zu figures in one report; at most "
               "%zu", sub->n_values, lim->max_values);

    /* Room for a derived total per value (at most one per value); until
     * they are merged in, the upper half is the sort's scratch. */
    item->vals = bc_malloc((sub->n_values ? 2 * sub->n_values : 1)
                           * sizeof(hub_val_t));
    const char *prev_code = NULL;  /* the previous value's indicator */
    const bc_indicator_t *prev_ind = NULL;
    for (size_t i = 0; i < sub->n_values; i++) {
        const Baocao__Value *v = sub->values[i];
        /* A breakdown's combinations come one after another under the
         * same code: one lookup for all of them. */
        const bc_indicator_t *ind =
            v->n_options && prev_ind && prev_ind->ncats && v->indicator
                    && strcmp(v->indicator, prev_code) == 0
                ? prev_ind : bc_registry_find_indicator(reg, v->indicator);
        prev_code = v->indicator;
        prev_ind = ind;
        /* A combination's internal code is not a catalogue code: a
         * combination is sent as its indicator and options. */
        if (!ind || ind->total >= 0)
            REJECT(item, UNKNOWN_INDICATOR, "unknown indicator '%.60s': not "
                   "in the hub's catalogue", v->indicator);
        const bc_indicator_t *slot = ind;
        if (v->n_options && !(slot = combination(reg, ind, v, item)))
            goto out_reject;   /* combination() set the reason */
        if (ind->kind == BC_KIND_RATIO)
            REJECT(item, NOT_REPORTABLE, "%s is a rate computed by the hub "
                   "from %s and %s; send those instead", ind->code,
                   bc_registry_indicator(reg, (uint32_t) ind->numerator)->code,
                   bc_registry_indicator(reg,
                                         (uint32_t) ind->denominator)->code);
        int64_t value;
        if (v->v_case == BAOCAO__VALUE__V_COUNT) {
            value = v->count;
        } else if (v->v_case == BAOCAO__VALUE__V_DECIMAL) {
            REJECT(item, NOT_INTEGER, "%s is a count: send it in `count`; "
                   "a `decimal` (here %g) is refused even when whole",
                   ind->code, v->decimal);
        } else {
            REJECT(item, MALFORMED, "figure for %s carries no value",
                   ind->code);
        }
        if (value < 0)
            REJECT(item, NEGATIVE, "%s is a count; %lld is negative",
                   ind->code, (long long) value);
        if (value > BC_COUNT_MAX)
            REJECT(item, COUNT_TOO_LARGE, "%s is %lld; a count is at most "
                   "10^12", ind->code, (long long) value);
        item->vals[i] = (hub_val_t){slot->sid, 1, value};
        if (ind->ncats) {
            if (!bd)
                bd = bc_malloc(sub->n_values * sizeof *bd);
            breakdown_t *b = breakdown_of(bd, &nbd, ind);
            if (slot == ind) {
                b->stated = true;
                b->total = value;
            } else {
                b->combos++;
                b->sum += value;   /* <= 10^12 x BC_MAX_COMBOS: no overflow */
            }
        }
    }
    item->nvals = sub->n_values;
    /* Reports usually list figures in catalogue order: skip the sort then. */
    bool sorted = true;
    for (size_t i = 1; i < item->nvals && sorted; i++)
        sorted = item->vals[i - 1].sid < item->vals[i].sid;
    if (!sorted)
        sort_by_sid(item->vals, item->nvals, item->vals + item->nvals);
    for (size_t i = 1; i < item->nvals; i++)
        if (item->vals[i].sid == item->vals[i - 1].sid)
            REJECT(item, DUPLICATE_VALUE, "an indicator appears twice in "
                   "the report");
    /* Breakdowns: every combination or none; the total is theirs. The
     * totals derived are put in order apart (in vals they would be
     * overwritten by the merge), then merged in. */
    for (size_t i = 0; i < nbd; i++) {
        const breakdown_t *b = &bd[i];
        if (!b->combos)
            continue;   /* the total alone, as a version-1 client sends */
        if (b->combos < b->ind->ncombos) {
            /* Name the first one missing: the reader fills it in. */
            const bc_indicator_t *miss = NULL;
            for (uint32_t c = 0; c < b->ind->ncombos && !miss; c++) {
                const bc_indicator_t *x =
                    bc_registry_indicator(reg, b->ind->first_combo + c);
                bool got = false;
                for (size_t j = 0; j < item->nvals && !got; j++)
                    got = item->vals[j].sid == x->sid;
                if (!got)
                    miss = x;
            }
            char t[160];
            combo_text(reg, miss, t, sizeof t);
            REJECT(item, INCOMPLETE_COMBINATION, "%s is broken down into %u "
                   "combinations and the report gives %u: every one or "
                   "none (the total alone); missing %s, ...", b->ind->code,
                   b->ind->ncombos, b->combos, t);
        }
        if (b->stated && b->total != b->sum)
            REJECT(item, VALIDATION, "validation failed: %s: the "
                   "combinations sum to %lld, the total given is %lld "
                   "(difference %lld)", b->ind->code, (long long) b->sum,
                   (long long) b->total, (long long) (b->total - b->sum));
        if (!b->stated) {
            if (b->sum > BC_COUNT_MAX)
                REJECT(item, COUNT_TOO_LARGE, "%s: its combinations sum to "
                       "%lld; a count is at most 10^12", b->ind->code,
                       (long long) b->sum);
            /* In sid order among themselves (a few: insertion). */
            if (!derived)
                derived = bc_malloc(nbd * sizeof *derived);
            size_t k = nderived++;
            for (; k > 0 && derived[k - 1].sid > b->ind->sid; k--)
                derived[k] = derived[k - 1];
            derived[k] = (hub_val_t){b->ind->sid, 1, b->sum};
        }
    }
    if (nderived) {
        merge_in(item->vals, item->nvals, derived, nderived);
        item->nvals += nderived;
    }
    if (bc_rules_count(lim->rules)
        && check_rules(reg, lim->rules, sub, bd, nbd, item->message,
                       sizeof item->message)) {
        /* check_rules wrote the message in place */
        item->reject = BAOCAO__REJECT_REASON__REASON_VALIDATION;
        goto out_reject;
    }
    /* The scratch half goes back: the figures wait for their commit, and
     * a busy hub holds two batches of them (half their heap). */
    if (item->nvals < 2 * sub->n_values)
        item->vals = bc_realloc(item->vals, (item->nvals ? item->nvals : 1)
                                                * sizeof(hub_val_t));
    free(derived);
    free(bd);
    return BAOCAO__REJECT_REASON__REASON_NONE;

out_reject:
    free(derived);
    free(bd);
    bc_free(&item->vals);
    item->nvals = 0;
    return item->reject;
}

Baocao__RejectReason hub_plan_validate(const bc_registry_t *reg,
                                       const Baocao__PlanSet *ps,
                                       hub_item_t *item)
{
    bool *seen = NULL;             /* indicators already in the plan */
    item->plan = true;
    item->reject = BAOCAO__REJECT_REASON__REASON_NONE;
    item->message[0] = '\0';
    const bc_unit_t *u = bc_registry_find_unit(reg, ps->unit);
    if (!u)
        REJECT(item, UNKNOWN_UNIT, "unknown unit '%.60s'", ps->unit);
    if (ps->year < BC_PERIOD_MIN_YEAR || ps->year > BC_PERIOD_MAX_YEAR)
        REJECT(item, BAD_PERIOD, "year %u is out of range", ps->year);
    item->unit = u;
    item->year = ps->year;
    item->vals = bc_malloc((ps->n_targets ? ps->n_targets : 1)
                           * sizeof *item->vals);
    item->nvals = ps->n_targets;
    seen = bc_calloc(bc_registry_nindicators(reg) + 1, sizeof *seen);
    for (size_t i = 0; i < ps->n_targets; i++) {
        const bc_indicator_t *ind = bc_registry_find_indicator(
            reg, ps->targets[i]->indicator);
        if (!ind)
            REJECT(item, UNKNOWN_INDICATOR, "unknown indicator '%.60s' in "
                   "the plan", ps->targets[i]->indicator);
        if (ps->targets[i]->target < 0)
            REJECT(item, NEGATIVE, "negative target for %s", ind->code);
        if (ps->targets[i]->target > BC_COUNT_MAX)
            REJECT(item, COUNT_TOO_LARGE, "target for %s is %lld; at most "
                   "10^12", ind->code, (long long) ps->targets[i]->target);
        /* Which of two targets would count? Refused, as in a report. */
        if (seen[ind->idx])
            REJECT(item, DUPLICATE_VALUE, "%s appears twice in the plan",
                   ind->code);
        seen[ind->idx] = true;
        item->vals[i] = (hub_val_t){ind->sid, 1, ps->targets[i]->target};
    }
    free(seen);
    return BAOCAO__REJECT_REASON__REASON_NONE;

out_reject:
    free(seen);
    bc_free(&item->vals);
    item->nvals = 0;
    return item->reject;
}
