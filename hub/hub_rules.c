/*
 * hub_rules.c -- validate and flags (hub_rules.h).
 *
 * Walks the subtree depth first with an explicit stack (the registry may
 * be 64 levels deep; recursion would be fine, but a stack of indices costs
 * one allocation and no frames), reads each unit's figures once from one
 * snapshot and evaluates every rule on them.
 */
#include "hub_rules.h"
#include "bc_error.h"
#include "bc_mem.h"

#include <stdio.h>
#include <string.h>

/* One Violation and the strings it owns, freed together. */
typedef struct {
    Baocao__Violation v;          /* first: freed through its address */
    char text[400];               /* the rule with both values */
} violation_block_t;

static Baocao__RejectReason rc_reason(int rc, char *msg, size_t msglen)
{
    if (rc == BC_ERANGE) {
        snprintf(msg, msglen, "a total would overflow");
        return BAOCAO__REJECT_REASON__REASON_COUNT_TOO_LARGE;
    }
    snprintf(msg, msglen, "the store cannot be read now");
    return BAOCAO__REJECT_REASON__REASON_INTERNAL;
}

Baocao__RejectReason hub_rules_validate(hub_store_t *store,
                                        const bc_rules_t *rules,
                                        const Baocao__ValidateQuery *q,
                                        Baocao__ValidateReply **out,
                                        char *msg, size_t msglen)
{
    const bc_registry_t *reg = hub_store_registry(store);
    Baocao__RejectReason why = BAOCAO__REJECT_REASON__REASON_NONE;
    *out = NULL;
    const bc_unit_t *root = bc_registry_find_unit(reg, q->unit);
    bc_period_t p;
    if (!root) {
        snprintf(msg, msglen, "unknown unit '%.60s'", q->unit);
        return BAOCAO__REJECT_REASON__REASON_UNKNOWN_UNIT;
    }
    if (bc_period_parse(q->period, &p)) {
        snprintf(msg, msglen, "period '%.30s' is not YYYY-MM, YYYY-Qn, "
                 "YYYY-Hn or YYYY", q->period);
        return BAOCAO__REJECT_REASON__REASON_BAD_PERIOD;
    }
    size_t nrules = bc_rules_count(rules);
    size_t nunits = bc_registry_nunits(reg);
    Baocao__ValidateReply *reply = bc_calloc(1, sizeof *reply);
    baocao__validate_reply__init(reply);
    reply->unit = root->code;
    reply->period = bc_strdup(q->period);
    reply->rules = (uint32_t) nrules;
    uint32_t *skips = bc_calloc(nrules ? nrules : 1, sizeof *skips);
    uint32_t *stack = bc_malloc(nunits * sizeof *stack);
    size_t depth = 0;
    hub_figures_t f;
    hub_figures_init(&f, bc_registry_nindicators(reg));
    hub_reader_t *r = hub_store_reader(store);
    if (!r) {
        why = rc_reason(BC_ESTORE, msg, msglen);
        goto out_free;
    }
    stack[depth++] = root->idx;
    while (depth) {
        const bc_unit_t *u = bc_registry_unit(reg, stack[--depth]);
        /* Children pushed in reverse, so units are listed in file order. */
        for (uint32_t c = u->nchildren; c-- > 0;)
            stack[depth++] = u->children[c];
        reply->units++;
        hub_figures_clear(&f);
        int rc = hub_reader_period(r, u, p, &f);
        if (rc) {
            why = rc_reason(rc, msg, msglen);
            goto out_free;
        }
        for (size_t i = 0; i < nrules; i++) {
            int64_t left, right;
            bc_rule_outcome_t o = bc_rules_check(rules, i, f.value, f.count,
                                                 &left, &right);
            if (o == BC_RULE_SKIPPED) {
                skips[i]++;
                continue;
            }
            if (o == BC_RULE_PASS
                || reply->n_violations == HUB_VALIDATE_MAX)
                continue;
            violation_block_t *b = bc_malloc(sizeof *b);
            baocao__violation__init(&b->v);
            b->v.unit = u->code;
            b->v.rule = (char *) bc_rules_code(rules, i);
            b->v.importance = (char *) bc_rule_importance_name(
                bc_rules_importance(rules, i));
            b->v.left = left;
            b->v.right = right;
            bc_rules_describe(rules, i, left, right, b->text, sizeof b->text);
            b->v.text = b->text;
            b->v.message = (char *) bc_rules_message(rules, i);
            reply->violations = bc_realloc(reply->violations,
                                           (reply->n_violations + 1)
                                           * sizeof *reply->violations);
            reply->violations[reply->n_violations++] = &b->v;
        }
    }
    for (size_t i = 0; i < nrules; i++) {
        if (!skips[i])
            continue;
        Baocao__RuleSkip *s = bc_malloc(sizeof *s);
        baocao__rule_skip__init(s);
        s->rule = (char *) bc_rules_code(rules, i);
        s->units = skips[i];
        reply->skipped = bc_realloc(reply->skipped, (reply->n_skipped + 1)
                                    * sizeof *reply->skipped);
        reply->skipped[reply->n_skipped++] = s;
    }

out_free:
    hub_reader_destroy(&r);
    hub_figures_free(&f);
    bc_free(&stack);
    bc_free(&skips);
    if (why == BAOCAO__REJECT_REASON__REASON_NONE)
        *out = reply;
    else
        hub_rules_reply_free(&reply);
    return why;
}

void hub_rules_reply_free(Baocao__ValidateReply **reply_p)
{
    Baocao__ValidateReply *r = *reply_p;
    if (!r)
        return;
    for (size_t i = 0; i < r->n_violations; i++)
        bc_free(&r->violations[i]);   /* the violation_block_t */
    bc_free(&r->violations);
    for (size_t i = 0; i < r->n_skipped; i++)
        bc_free(&r->skipped[i]);
    bc_free(&r->skipped);
    bc_free(&r->period);
    bc_free(reply_p);
}

int hub_rules_flag(hub_store_t *store, const bc_rules_t *rules,
                   const Baocao__Query *q, Baocao__QueryReply *qr)
{
    size_t nrules = bc_rules_count(rules);
    if (!nrules)
        return BC_OK;
    const bc_registry_t *reg = hub_store_registry(store);
    const bc_unit_t *u = bc_registry_find_unit(reg, q->unit);
    bc_period_t p;
    if (!u || bc_period_parse(q->period, &p))
        return BC_OK;   /* the query itself was refused before this */
    hub_figures_t f;
    hub_figures_init(&f, bc_registry_nindicators(reg));
    hub_reader_t *r = hub_store_reader(store);
    int rc = r ? hub_reader_period(r, u, p, &f) : BC_ESTORE;
    hub_reader_destroy(&r);
    if (rc)
        goto out_free;
    for (size_t i = 0; i < nrules; i++) {
        if (bc_rules_importance(rules, i) != BC_RULE_WARNING
            || bc_rules_check(rules, i, f.value, f.count, NULL, NULL)
                   != BC_RULE_FAIL)
            continue;
        for (size_t k = 0; k < qr->n_figures; k++) {
            Baocao__Figure *fig = qr->figures[k];
            const bc_indicator_t *ind = bc_registry_find_indicator(
                reg, fig->indicator);
            bool named = bc_rules_uses(rules, i, ind->idx)
                         || (ind->kind == BC_KIND_RATIO
                             && (bc_rules_uses(rules, i,
                                               (uint32_t) ind->numerator)
                                 || bc_rules_uses(rules, i,
                                                  (uint32_t) ind->denominator)));
            if (!named)
                continue;
            fig->flags = bc_realloc(fig->flags,
                                    (fig->n_flags + 1) * sizeof *fig->flags);
            fig->flags[fig->n_flags++] = (char *) bc_rules_code(rules, i);
        }
    }
out_free:
    hub_figures_free(&f);
    return rc;
}
