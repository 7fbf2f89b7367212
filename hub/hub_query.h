/*
 * hub_query.h -- the operator's questions, answered from one read snapshot:
 * figures for a unit and period with their comparisons, and the reporting
 * rate.
 *
 * How each figure is built (see ../shared/domain.md and proto/README.md,
 * "What each unit contributes to a period"):
 *   value       hub_reader_period: each unit contributes its report for
 *               exactly the period, else its sub-periods combined by kind
 *               (flows summed, a stock the last value up to the period's
 *               end); a subtree sums the contributions.
 *   cumulative  months 1..last month of the period, split into the longest
 *               periods that fit (year; H1, Q3, Q1; months), each by the
 *               same rule: flows summed, a stock the last piece's.
 *   previous    `value` of the previous period of the same length (a
 *               year's is the previous year).
 *   last_year   `value` of the same period a year earlier; and
 *               cumulative_last_year likewise.
 *   target      the unit's effective annual target (0 is a target).
 *   ratios      numerator and denominator each built by its own rule, then
 *               divided: a rate is never summed or averaged.
 *   reporting_units  distinct units contributing to `value`; for a ratio,
 *               to either part.
 * With Query.as_filed, `value` and `reporting_units` are instead the
 * reports filed for exactly the period (hub_reader_figures): the raw data
 * a DHIS2 export writes.
 * A figure is a handful of key lookups and short range scans, whatever
 * the size of the subtree, plus the own reports of the few units that
 * filed a period longer than a month inside the one asked.
 *
 * Completeness counts reports as DHIS2 does: a month is 1 report expected
 * per unit, a quarter, half or year its 3, 6 or 12 monthly reports, a
 * report for exactly the period (or a quarter or half of it) standing for
 * the months it covers.
 */
#ifndef HUB_QUERY_H
#define HUB_QUERY_H

#include "bc_holidays.h"
#include "hub_store.h"

/* Working days allowed after the period's end, for units of one level. */
typedef struct {
    char level[32];      /* level name, e.g. "commune" */
    unsigned days;       /* working days */
} hub_deadline_t;

/* Answers a query. On success returns REASON_NONE and *out (free with
 * hub_query_free). Otherwise returns the reason (unknown unit or
 * indicator, bad period) with a message. */
Baocao__RejectReason hub_query_figures(hub_store_t *store,
                                       const Baocao__Query *q,
                                       Baocao__QueryReply **out, char *msg,
                                       size_t msglen);
void hub_query_free(Baocao__QueryReply **reply_p);

/* Most months one SliceQuery may ask for (five years). */
#define HUB_SLICE_MAX_MONTHS 60

/* One indicator for each child of q->unit (and the unit itself first when
 * q->include_self) over the months q->from..q->to: each cell is the month's
 * figure as hub_query_figures' `value` reads it, one point lookup per
 * cell, all from one snapshot. Ratios carry their numerator and
 * denominator per month. On success returns REASON_NONE and *out (free
 * with hub_slice_free); otherwise the reason (unknown unit or indicator,
 * a bound that is not a month, from after to, more than
 * HUB_SLICE_MAX_MONTHS months) with a message. */
Baocao__RejectReason hub_query_slice(hub_store_t *store,
                                     const Baocao__SliceQuery *q,
                                     Baocao__SliceReply **out, char *msg,
                                     size_t msglen);
void hub_slice_free(Baocao__SliceReply **reply_p);

/* Working days for a level: the matching entry, else `fallback`. */
unsigned hub_deadline_days(const hub_deadline_t *table, size_t n,
                           const char *level, unsigned fallback);

/* Who reported for the period under q->unit, who was late, who is
 * missing. Lateness is judged on the facility's filing time of its first
 * revision (see proto/README.md for why). A deadline counts working days,
 * Monday to Friday except `holidays` (NULL: none; --holidays). */
Baocao__RejectReason hub_query_completeness(hub_store_t *store,
                                            const Baocao__CompletenessQuery *q,
                                            const hub_deadline_t *deadlines,
                                            size_t ndeadlines,
                                            const bc_holidays_t *holidays,
                                            Baocao__CompletenessReply **out,
                                            char *msg, size_t msglen);
void hub_completeness_free(Baocao__CompletenessReply **reply_p);

#endif
