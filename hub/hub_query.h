/*
 * hub_query.h -- the operator's questions, answered from one read snapshot:
 * figures for a unit and period with their comparisons, and the reporting
 * rate.
 *
 * How each figure is built (see ../shared/domain.md):
 *   value       the period's figure. A month is read as stored (the unit's
 *               own report, or its subtree's pre-aggregated total). A
 *               quarter, half or year uses reports filed for exactly that
 *               period when there are any, else combines the months.
 *   cumulative  months 1..last month of the period: flows summed; a stock
 *               is each unit's own last value in those months, summed over
 *               the units (see hub_reader_carried).
 *   previous    `value` of the previous period of the same type.
 *   last_year   `value` of the same period a year earlier; and
 *               cumulative_last_year likewise.
 *   target      the unit's effective annual target.
 *   ratios      numerator and denominator each built by its own rule, then
 *               divided: a rate is never summed or averaged.
 * Every figure is a handful of key lookups and at most two 12-key range
 * scans, whatever the size of the subtree.
 */
#ifndef HUB_QUERY_H
#define HUB_QUERY_H

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

/* Working days for a level: the matching entry, else `fallback`. */
unsigned hub_deadline_days(const hub_deadline_t *table, size_t n,
                           const char *level, unsigned fallback);

/* Who reported for the period under q->unit, who was late, who is
 * missing. Lateness is judged on the facility's filing time of its first
 * revision (see proto/README.md for why). */
Baocao__RejectReason hub_query_completeness(hub_store_t *store,
                                            const Baocao__CompletenessQuery *q,
                                            const hub_deadline_t *deadlines,
                                            size_t ndeadlines,
                                            Baocao__CompletenessReply **out,
                                            char *msg, size_t msglen);
void hub_completeness_free(Baocao__CompletenessReply **reply_p);

#endif
