/*
 * hub_validate.h -- is a decoded submission acceptable, and from this peer?
 *
 * Pure checks against the registry and catalogue, no store access, so that
 * they run before the write transaction and can be fuzzed on their own. The
 * first failing check decides the typed reason; the message names the
 * offending field so that staff at the facility can fix their file.
 *
 * The limits (bc_limits.h, proto/README.md): at most max_values figures,
 * each count 0..BC_COUNT_MAX (COUNT_TOO_LARGE above), filed_at from the
 * period's start to BC_FILED_AHEAD_MAX past lim->now (BAD_FILED_AT). The
 * text rule for strings is checked before this, on the whole request
 * (bc_wire_check_text), so messages here may quote codes safely.
 *
 * Rules (bc_rules.h): once every figure is valid, each error-level rule
 * is evaluated on the report alone; any failing rule refuses it with
 * REASON_VALIDATION, the message naming every failing rule with the
 * values of both sides (as many as fit). Warning rules never refuse: they
 * are flagged on the read side (hub_rules.h).
 *
 * Peer identities (set by the hub's authenticator, see hub_auth.h):
 *   ""              plain mode: no authentication, any unit accepted
 *   "unit:CODE"     a facility's node: may submit for CODE, and for the
 *                   units directly under CODE if the registry marks CODE
 *                   on_behalf; and, if the registry marks CODE `relay`
 *                   (CODE's key is a provincial hub forwarding its log,
 *                   hub_upstream.h), for any unit in CODE's subtree
 *   "operator:NAME" may query and set plans, never submit
 */
#ifndef HUB_VALIDATE_H
#define HUB_VALIDATE_H

#include "bc_rules.h"
#include "hub_store.h"

typedef struct {
    size_t max_values;   /* most figures in one report */
    int64_t now;         /* current time, Unix seconds (future check) */
    const bc_rules_t *rules;  /* validation rules (--rules), or NULL:
                                 error-level ones refuse the report */
} hub_limits_t;

/* Checks `sub` from `peer` and, when valid, fills item->unit, period,
 * revision, filed_at, id and vals (sorted by indicator sid, allocated with
 * bc_malloc: the caller frees item->vals). Sets item->reject to the reason
 * (REASON_NONE when valid) and item->message. Returns the reason. */
Baocao__RejectReason hub_validate(const bc_registry_t *reg,
                                  const Baocao__Submission *sub,
                                  const char *peer, const hub_limits_t *lim,
                                  hub_item_t *item);

/* Checks a plan's content (who may set it is the caller's: scopes, relays)
 * and, when valid, fills item->plan, unit, year and vals (targets by sid,
 * bc_malloc'ed). The same reasons as a report: UNKNOWN_UNIT, BAD_PERIOD
 * (year out of range), UNKNOWN_INDICATOR, NEGATIVE, COUNT_TOO_LARGE,
 * DUPLICATE_VALUE. A rate may have a target (in the rate's own units).
 * Returns the reason (REASON_NONE when valid), also in item->reject. */
Baocao__RejectReason hub_plan_validate(const bc_registry_t *reg,
                                       const Baocao__PlanSet *ps,
                                       hub_item_t *item);

/* Is `peer` a provincial hub forwarding its log ("unit:R", R a relay)
 * and `unit` in R's subtree? (plans and approvals it forwards) */
bool hub_relay_may(const bc_registry_t *reg, const char *peer,
                   const bc_unit_t *unit);

/* May `peer` act for `unit`? (the authorization rule above) */
bool hub_may_submit(const bc_registry_t *reg, const char *peer,
                    const bc_unit_t *unit);

#endif
