/*
 * hub_rules.h -- validation rules on the hub's read side: `baocao
 * validate` (ValidateQuery) and the flags on queried figures.
 *
 * Warnings are not stored as separate records: a flag is what a warning
 * rule says of the current figures, so it is computed from the same read
 * snapshot a query uses. A correction then clears or raises its flags at
 * once, and there is no second copy that could disagree with the figures
 * (nor a database to rebuild when the rules file changes). The hub's
 * error-level rules are checked at submission (hub_validate.h).
 *
 * Every unit's figures are taken by the contribution rule
 * (hub_reader_period), so a district's are its subtree's totals: a rule
 * that fails only on aggregated totals is found at the unit where it
 * fails.
 */
#ifndef HUB_RULES_H
#define HUB_RULES_H

#include "bc_rules.h"
#include "hub_store.h"

/* Most violations listed in one ValidateReply: a reply stays well under
 * the clients' message limit whatever the subtree. */
#define HUB_VALIDATE_MAX 5000

/* Answers a ValidateQuery: every rule of `rules` (NULL: none) on q->unit
 * and every unit under it, for q->period. On success returns REASON_NONE
 * and *out (free with hub_rules_reply_free). Otherwise the reason with a
 * message: UNKNOWN_UNIT, BAD_PERIOD, INTERNAL (store unreadable),
 * COUNT_TOO_LARGE (a total would overflow). */
Baocao__RejectReason hub_rules_validate(hub_store_t *store,
                                        const bc_rules_t *rules,
                                        const Baocao__ValidateQuery *q,
                                        Baocao__ValidateReply **out,
                                        char *msg, size_t msglen);
void hub_rules_reply_free(Baocao__ValidateReply **reply_p);

/* Sets Figure.flags in a query's answer `qr` (for q->unit, q->period):
 * the codes of the warning rules that fail there and name the figure's
 * indicator (for a rate: its numerator or denominator). The strings point
 * into `rules`; the arrays are freed by hub_query_free. Returns BC_OK, or
 * BC_ESTORE / BC_ERANGE (the reply is then left without flags). */
int hub_rules_flag(hub_store_t *store, const bc_rules_t *rules,
                   const Baocao__Query *q, Baocao__QueryReply *qr);

#endif
