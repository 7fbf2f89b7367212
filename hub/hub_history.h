/*
 * hub_history.h -- the registry as a history, as the hub's rooms see it.
 *
 * The registry (bc_registry.h) says which units were valid in which
 * months and where each hung. This room turns that into what the store
 * needs: the units whose totals a report counts in (its unit's ancestors
 * in the tree of the report's period, not today's tree), so that editing
 * the registry never moves a past figure to where it did not belong.
 *
 * It owns no database. It reads the registry, and the current reports
 * through hub_reports.h, to refuse a registry that would rewrite the past:
 * the store calls hub_history_check before it rebuilds its totals under a
 * changed registry, and hub_history_reload swaps the registry of a running
 * hub (SIGHUP) only when that check passes.
 */
#ifndef HUB_HISTORY_H
#define HUB_HISTORY_H

#include "hub_store.h"
#include "bc_period.h"
#include "bc_registry.h"

#include <lmdb.h>

#include <stddef.h>

/* Fills out[] (at most max) with the units whose totals include u's
 * report for `period`: u itself when it has children in any month (its
 * own figures add to its subtree's), then each ancestor in the tree of
 * the period's first month. Returns the number written: 0 when u is alone
 * (no children ever, a root then), and 0 when u is not valid in that
 * month (a unit that ended carries nothing forward; its successors do). */
size_t hub_history_targets(const bc_registry_t *reg, const bc_unit_t *u,
                           bc_period_t period, const bc_unit_t **out,
                           size_t max);

/* Whether a question (query, completeness) about unit u for period p has
 * an answer: u existed in at least one month of p. Returns
 * REASON_NONE; REASON_UNIT_ENDED when p starts after u ended (msg names
 * the end and the successors: "HP-HB ended 2025-06; replaced by
 * HP-HB-HB, ..."); REASON_NOT_VALID_IN_PERIOD when p ends before u
 * began. For periods while it was valid, nothing changes. */
Baocao__RejectReason hub_history_question(const bc_registry_t *reg, const bc_unit_t *u,
                         bc_period_t p, char *msg, size_t msglen);


/* How a comparison was computed (the wire's Comparison). */
typedef struct {
    Baocao__Comparison basis;      /* EXACT, ESTIMATED or NOT_COMPARABLE */
    char note[160];                /* why, when not EXACT */
} hub_basis_t;

/* u's figures for period p as a comparison sees them (hub_query's
 * previous, same period last year, and the pieces of its years to date):
 * for the months u existed, u's own (hub_reader_period); for the months
 * before, the units it replaced (those whose replaced_by names it), each
 * weighted by its share (1 for a merge), month by month when p straddles
 * u's start. Flows and ratio parts add up; a stock is the last month's
 * with data. basis says whether shares were used (ESTIMATED) or a
 * predecessor was split without shares (NOT_COMPARABLE: out is cleared).
 * BC_OK or the reader's error. */
int hub_history_period(hub_reader_t *r, const bc_registry_t *reg,
                       const bc_unit_t *u, bc_period_t p, hub_figures_t *out,
                       hub_basis_t *basis);

/* Checks that every current report of the store is still valid under the
 * store's registry: its unit exists and is valid in every month of the
 * report's period. Called with the write transaction that is about to
 * rebuild the totals (hub_store_open). BC_OK; BC_EINVAL with the first
 * offending report and the registry row in err ("E's report for 2025-07
 * would fall outside E (units.csv line 6: ended 2025-06)"); BC_ESTORE. */
int hub_history_check(hub_store_t *s, MDB_txn *txn, char *err,
                      size_t errlen);

/* Reloads the registry of a running hub: loads the two files, and if they
 * load, reopens the store with them (which checks every stored report
 * against them, hub_history_check, and rebuilds the totals). On success
 * *store and *reg are the new ones and the old ones are gone; on any
 * failure both are as they were (the store reopened with the old
 * registry) and err says why, naming the row. BC_OK; BC_EINVAL (the files
 * are refused); BC_EFATAL (the store could not be reopened at all: *store
 * is NULL, the hub must stop). */
int hub_history_reload(hub_store_t **store, bc_registry_t **reg,
                       const char *dir, size_t map_size,
                       const char *units_path, const char *catalog_path,
                       const char *categories_path, char *err,
                       size_t errlen);

/* The same with a registry already loaded (the national hub's composed
 * one, hub_federate.h), which it takes: destroyed on refusal. */
int hub_history_reload_with(hub_store_t **store, bc_registry_t **reg,
                            bc_registry_t *fresh, const char *dir,
                            size_t map_size, char *err, size_t errlen);

/* Writes a registry version into the log: `raw` is the serialised Request
 * holding a RegistryVersion (the exact bytes to log), `digest` the
 * registry's. Nothing is written when the last version logged has the
 * same digest (a restart on the same files): *seq is then 0. Otherwise
 * one entry (peer "hub", outcome STORED, at received_at, or now when 0)
 * in its own durable transaction, and *seq is its sequence number.
 * BC_OK, BC_EFULL, BC_ENOSPC, BC_EFATAL or BC_ESTORE (nothing logged). */
int hub_history_log_version(hub_store_t *s, const uint8_t *raw, size_t len,
                            const uint8_t digest[32], int64_t received_at,
                            uint64_t *seq);

/* Builds the Request bytes of a RegistryVersion from the two files (for
 * hub_history_log_version): *raw is malloc'ed. BC_OK, or BC_EIO with a
 * message in err when a file cannot be read. */
int hub_history_version_request(const char *units_path,
                                const char *catalog_path,
                                const char *categories_path,
                                const uint8_t digest[32], uint8_t **raw,
                                size_t *len, char *err, size_t errlen);

/* The two together, for the hub: logs the registry version of these files
 * (whose parsed content is `reg`) unless it is the last one logged, and
 * says so in the hub's log. BC_OK or an error with a message in err. */
int hub_history_log_files(hub_store_t *s, const bc_registry_t *reg,
                          const char *units_path, const char *catalog_path,
                          const char *categories_path, char *err,
                          size_t errlen);

/* The same with the units file's bytes given (the national hub's composed
 * file, hub_federate.h) and the catalogue read from catalog_path (and the
 * categories from categories_path, or none when NULL: issue 17). */
int hub_history_log_text(hub_store_t *s, const bc_registry_t *reg,
                         const char *units, size_t ulen,
                         const char *catalog_path,
                         const char *categories_path, char *err,
                         size_t errlen);

#endif
