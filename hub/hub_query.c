/*
 * hub_query.c -- figures and reporting rate (rules in hub_query.h).
 *
 * Replies are built as protobuf-c structs whose strings point into the
 * registry (which outlives the reply) and whose arrays are allocated here;
 * hub_query_free() releases exactly what was allocated.
 */
#include "hub_query.h"
#include "bc_mem.h"
#include "bc_wire.h"

#include <stdio.h>
#include <string.h>

/* The unit and period a request names, or the reason it cannot be
 * answered. */
static Baocao__RejectReason resolve(const bc_registry_t *reg, const char *unit,
                                    const char *period, const bc_unit_t **u,
                                    bc_period_t *p, char *msg, size_t msglen)
{
    *u = bc_registry_find_unit(reg, unit);
    if (!*u) {
        snprintf(msg, msglen, "unknown unit '%.60s'", unit);
        return BAOCAO__REJECT_REASON__REASON_UNKNOWN_UNIT;
    }
    if (bc_period_parse(period, p)) {
        snprintf(msg, msglen, "period '%.30s' is not YYYY-MM, YYYY-Qn, "
                 "YYYY-Hn or YYYY", period);
        return BAOCAO__REJECT_REASON__REASON_BAD_PERIOD;
    }
    return BAOCAO__REJECT_REASON__REASON_NONE;
}

/* The six figure sets behind a query's answer. */
typedef struct {
    hub_figures_t value, cum, prev, ly, cum_ly, target;
} figure_sets_t;

/* `value` of a period: as stored for a month; for longer periods the
 * reports filed for exactly that period, else the months combined. */
static int period_value(hub_reader_t *r, const bc_unit_t *u, bc_period_t p,
                        hub_figures_t *out)
{
    int rc = hub_reader_figures(r, u, p, out);
    if (rc || bc_period_type(p) == BC_PT_MONTH || out->reporters)
        return rc;
    unsigned first, last;
    bc_period_months(p, &first, &last);
    return hub_reader_months(r, u, bc_period_year(p), first, last, out);
}

/* A number with data behind it, or NULL (absent on the wire: a reply
 * with no history or plan stays small). */
/* Replaces the stock figures of cum (and of also, when given) with the
 * carried ones. */
static void use_carried(const bc_registry_t *reg, const hub_figures_t *carried,
                        hub_figures_t *cum, hub_figures_t *also)
{
    for (size_t i = 0; i < carried->n; i++) {
        if (bc_registry_indicator(reg, (uint32_t) i)->kind != BC_KIND_STOCK)
            continue;
        cum->value[i] = carried->value[i];
        cum->count[i] = carried->count[i];
        if (also) {
            also->value[i] = carried->value[i];
            also->count[i] = carried->count[i];
        }
    }
}

static Baocao__Num *num(Baocao__Num *slot, const hub_figures_t *f, size_t i)
{
    if (f->count[i] == 0)
        return NULL;
    baocao__num__init(slot);
    slot->present = true;
    slot->value = f->value[i];
    return slot;
}

/* Each Figure is allocated together with its Num fields in one block. */
typedef struct {
    Baocao__Figure fig;        /* the figure */
    Baocao__Num nums[13];      /* storage for its Num fields */
} figure_block_t;

static void fill_figure(figure_block_t *b, const bc_indicator_t *ind,
                        const figure_sets_t *s)
{
    Baocao__Figure *f = &b->fig;
    baocao__figure__init(f);
    f->indicator = ind->code;
    f->name = ind->name;
    f->kind = (Baocao__IndicatorKind) ind->kind;
    size_t i = ind->idx;
    if (ind->kind != BC_KIND_RATIO) {
        f->value = num(&b->nums[0], &s->value, i);
        f->cumulative = num(&b->nums[1], &s->cum, i);
        f->previous = num(&b->nums[2], &s->prev, i);
        f->last_year = num(&b->nums[3], &s->ly, i);
        f->cumulative_last_year = num(&b->nums[4], &s->cum_ly, i);
        f->target = num(&b->nums[5], &s->target, i);
        f->reporting_units = s->value.count[i];
        return;
    }
    /* A ratio: the parts by their own rules; the client divides, and the
     * reply carries the parts so that anyone can check the division. */
    size_t ni = (size_t) ind->numerator, di = (size_t) ind->denominator;
    f->scale = ind->scale;
    f->numerator = num(&b->nums[6], &s->value, ni);
    f->denominator = num(&b->nums[7], &s->value, di);
    f->cumulative_numerator = num(&b->nums[8], &s->cum, ni);
    f->cumulative_denominator = num(&b->nums[9], &s->cum, di);
    f->reporting_units = s->value.count[ni] < s->value.count[di]
                             ? s->value.count[ni] : s->value.count[di];
}

Baocao__RejectReason hub_query_figures(hub_store_t *store,
                                       const Baocao__Query *q,
                                       Baocao__QueryReply **out, char *msg,
                                       size_t msglen)
{
    const bc_registry_t *reg = hub_store_registry(store);
    Baocao__RejectReason reason = BAOCAO__REJECT_REASON__REASON_NONE;
    *out = NULL;
    const bc_unit_t *u;
    bc_period_t p;
    Baocao__RejectReason why = resolve(reg, q->unit, q->period, &u, &p, msg,
                                       msglen);
    if (why != BAOCAO__REJECT_REASON__REASON_NONE)
        return why;
    size_t nind = bc_registry_nindicators(reg);
    size_t nwant = q->n_indicators ? q->n_indicators : nind;
    const bc_indicator_t **want = bc_malloc(nwant * sizeof *want);
    for (size_t i = 0; i < nwant; i++) {
        want[i] = q->n_indicators
                      ? bc_registry_find_indicator(reg, q->indicators[i])
                      : bc_registry_indicator(reg, (uint32_t) i);
        if (!want[i]) {
            snprintf(msg, msglen, "unknown indicator '%.60s'",
                     q->indicators[i]);
            free(want);
            return BAOCAO__REJECT_REASON__REASON_UNKNOWN_INDICATOR;
        }
    }

    hub_reader_t *r = hub_store_reader(store);
    if (!r) {
        free(want);
        snprintf(msg, msglen, "the store cannot be read now");
        return BAOCAO__REJECT_REASON__REASON_INTERNAL;
    }
    figure_sets_t s;
    hub_figures_t *sets[] = {&s.value, &s.cum, &s.prev, &s.ly, &s.cum_ly,
                             &s.target};
    for (size_t i = 0; i < 6; i++)
        hub_figures_init(sets[i], nind);
    unsigned year = bc_period_year(p), first, last;
    bc_period_months(p, &first, &last);
    bc_period_t ly = bc_period_last_year(p);
    /* A year's cumulative figure is the year's own (which may come from a
     * yearly report); shorter periods count the months up to their end. */
    bool whole_year = bc_period_type(p) == BC_PT_YEAR;
    int rc = period_value(r, u, p, &s.value);
    if (!rc) rc = whole_year ? period_value(r, u, p, &s.cum)
                             : hub_reader_months(r, u, year, 1, last, &s.cum);
    if (!rc) rc = period_value(r, u, bc_period_prev(p), &s.prev);
    if (!rc && ly) rc = period_value(r, u, ly, &s.ly);
    if (!rc && ly) rc = whole_year
                            ? period_value(r, u, ly, &s.cum_ly)
                            : hub_reader_months(r, u, year - 1, 1, last,
                                                &s.cum_ly);
    if (!rc) rc = hub_reader_targets(r, u, year, &s.target);
    /* Stocks over a subtree: each unit's own last value, summed. */
    if (!rc && u->nchildren) {
        hub_figures_t carried;
        hub_figures_init(&carried, nind);
        rc = hub_reader_carried(r, u, year, last, &carried);
        if (!rc)
            use_carried(reg, &carried, &s.cum, whole_year ? &s.value : NULL);
        if (!rc && ly)
            rc = hub_reader_carried(r, u, year - 1, last, &carried);
        if (!rc && ly)
            use_carried(reg, &carried, &s.cum_ly, whole_year ? &s.ly : NULL);
        hub_figures_free(&carried);
    }
    hub_reader_destroy(&r);
    if (rc) {
        snprintf(msg, msglen, "the store failed while reading");
        reason = BAOCAO__REJECT_REASON__REASON_INTERNAL;
        goto out_free;
    }

    Baocao__QueryReply *reply = bc_malloc(sizeof *reply);
    baocao__query_reply__init(reply);
    reply->unit = u->code;
    reply->unit_name = u->name;
    reply->period = bc_strdup(q->period);
    reply->n_figures = nwant;
    reply->figures = bc_malloc(nwant * sizeof *reply->figures);
    for (size_t i = 0; i < nwant; i++) {
        figure_block_t *b = bc_malloc(sizeof *b);
        fill_figure(b, want[i], &s);
        reply->figures[i] = &b->fig;
    }
    *out = reply;

out_free:
    for (size_t i = 0; i < 6; i++)
        hub_figures_free(sets[i]);
    free(want);
    return reason;
}

void hub_query_free(Baocao__QueryReply **reply_p)
{
    Baocao__QueryReply *r = *reply_p;
    if (!r)
        return;
    for (size_t i = 0; i < r->n_figures; i++)
        free(r->figures[i]);   /* the figure_block_t holding it */
    free(r->figures);
    free(r->period);
    free(r);
    *reply_p = NULL;
}

unsigned hub_deadline_days(const hub_deadline_t *table, size_t n,
                           const char *level, unsigned fallback)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(table[i].level, level) == 0)
            return table[i].days;
    return fallback;
}

Baocao__RejectReason hub_query_completeness(hub_store_t *store,
                                            const Baocao__CompletenessQuery *q,
                                            const hub_deadline_t *deadlines,
                                            size_t ndeadlines,
                                            Baocao__CompletenessReply **out,
                                            char *msg, size_t msglen)
{
    const bc_registry_t *reg = hub_store_registry(store);
    *out = NULL;
    const bc_unit_t *root;
    bc_period_t p;
    Baocao__RejectReason why = resolve(reg, q->unit, q->period, &root, &p,
                                       msg, msglen);
    if (why != BAOCAO__REJECT_REASON__REASON_NONE)
        return why;
    size_t n = bc_registry_expected(reg, root, q->level, NULL, 0);
    uint32_t *idx = bc_malloc((n ? n : 1) * sizeof *idx);
    bc_registry_expected(reg, root, q->level, idx, n);

    hub_reader_t *r = hub_store_reader(store);
    if (!r) {
        free(idx);
        snprintf(msg, msglen, "the store cannot be read now");
        return BAOCAO__REJECT_REASON__REASON_INTERNAL;
    }
    Baocao__CompletenessReply *reply = bc_malloc(sizeof *reply);
    baocao__completeness_reply__init(reply);
    reply->unit = root->code;
    reply->period = bc_strdup(q->period);
    reply->expected = (uint32_t) n;
    reply->n_units = n;
    reply->units = bc_malloc((n ? n : 1) * sizeof *reply->units);
    int64_t shown_deadline = 0;
    for (size_t i = 0; i < n; i++) {
        const bc_unit_t *u = bc_registry_unit(reg, idx[i]);
        Baocao__UnitReport *ur = bc_malloc(sizeof *ur);
        baocao__unit_report__init(ur);
        ur->unit = u->code;
        ur->name = u->name;
        hub_report_info_t info;
        hub_reader_report(r, u, p, &info);
        int64_t deadline = bc_period_deadline(
            p, hub_deadline_days(deadlines, ndeadlines, u->level, 5));
        if (deadline > shown_deadline)
            shown_deadline = deadline;
        if (!info.present) {
            ur->state = BAOCAO__REPORT_STATE__STATE_MISSING;
        } else {
            reply->reported++;
            ur->filed_at = info.first_filed_at;
            ur->received_at = info.first_received_at / 1000000;
            ur->revision = info.revision;
            if (info.first_filed_at < deadline) {
                ur->state = BAOCAO__REPORT_STATE__STATE_ON_TIME;
                reply->on_time++;
            } else {
                ur->state = BAOCAO__REPORT_STATE__STATE_LATE;
            }
        }
        reply->units[i] = ur;
    }
    reply->deadline = shown_deadline;
    hub_reader_destroy(&r);
    free(idx);
    *out = reply;
    return BAOCAO__REJECT_REASON__REASON_NONE;
}

void hub_completeness_free(Baocao__CompletenessReply **reply_p)
{
    Baocao__CompletenessReply *r = *reply_p;
    if (!r)
        return;
    for (size_t i = 0; i < r->n_units; i++)
        free(r->units[i]);
    free(r->units);
    free(r->period);
    free(r);
    *reply_p = NULL;
}
