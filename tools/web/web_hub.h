/*
 * web_hub.h -- what the operator's desk (baocao-web) asks the hub, shaped
 * as JSON documents for the pages: one call per page.
 *
 * The hub is asked over the ordinary wire protocol, as an operator, with
 * the same Query and CompletenessQuery messages `baocao query` and
 * `baocao completeness` send: the desk holds no figures of its own and
 * every number on a page is one the hub computed (rates from their
 * aggregated parts, stocks by their own rule). The desk keeps a read-only
 * copy of the registry and catalogue only for what the protocol does not
 * carry yet: a unit's children, each indicator's programme, a unit's
 * phone number.
 *
 * Not thread-safe: the server calls it from its one request thread.
 */
#ifndef WEB_HUB_H
#define WEB_HUB_H

#include "bc_keys.h"

#include <cjson/cJSON.h>
#include <stddef.h>

typedef struct web_hub_t web_hub_t;

/* Connects (lazily) to the hub at endpoint with sec (NULL or a NULL
 * hub_key: plain) and loads the registry (units_path; an optional `phone`
 * column is read too) and catalogue (catalog_path). timeout_ms bounds each
 * request to the hub. Returns NULL with a message in err when a file or
 * key is bad. */
web_hub_t *web_hub_new(const char *endpoint, const bc_security_t *sec,
                       const char *units_path, const char *catalog_path,
                       int timeout_ms, char *err, size_t errlen);

/* Closes the link and frees everything; accepts NULL; clears *self_p. */
void web_hub_destroy(web_hub_t **self_p);

/* The dashboard of `unit` for the month `period` ("YYYY-MM"): every
 * indicator grouped by programme (value, year to date, change from the
 * previous month and from the same month last year, % of plan), the
 * unit's children ranked by `indicator` (NULL or "": the first indicator
 * that has a value) with % of plan and share, and that indicator month by
 * month over the period's year and the year before. On success *out is a
 * new cJSON object the caller deletes.
 *
 * Returns BC_OK; BC_EINVAL (malformed period, not a month),
 * BC_ENOTFOUND (unknown unit or indicator), with a message in err, for the
 * caller to answer 4xx; BC_ETIMEOUT, BC_ENET, BC_ECRYPTO, BC_EREJECTED or
 * BC_EPARSE when the hub did not give an answer (5xx). */
int web_hub_dashboard(web_hub_t *self, const char *unit, const char *period,
                      const char *indicator, cJSON **out, char *err,
                      size_t errlen);

/* The completeness grid of `unit` for the months 1..m of the month
 * `period`: one row per child (units of the children's level in the
 * subtree; a unit with no children: itself), one cell per month marked
 * on_time, late or missing, the reporting rate per month and per unit,
 * and the units missing in `period` with their phone number when the
 * registry has one. Same returns as web_hub_dashboard. */
int web_hub_completeness(web_hub_t *self, const char *unit,
                         const char *period, cJSON **out, char *err,
                         size_t errlen);

#endif
