/*
 * hub_reports.h -- reports: deduplication by submission id, every revision,
 * and the current figures of each (unit, period).
 *
 * Databases (only this room writes them):
 *
 *   subs  submission id (16 B) -> log seq, unit, period, revision, outcome
 *         dedup, for ever: a resend is answered as the original was
 *   revs  (period, unit, revision) -> log seq, filing and receipt times, id
 *         every revision ever accepted, current or not
 *   cur   (period, unit) -> current revision, its log seq and times, the
 *         earliest filing of any revision, and the figures packed as varints
 *
 * Keys are big-endian, period first (see hub_key_up in hub_env.h), so the
 * revisions of one report are adjacent: its history is one range scan.
 *
 * A new revision becomes current if its number is higher than the current
 * one; an original that arrives after its correction is kept on record as
 * superseded. Either way the difference a new current revision makes is
 * passed on to the rollup (hub_rollup_apply).
 */
#ifndef HUB_REPORTS_H
#define HUB_REPORTS_H

#include "hub_store.h"
#include "bc_arena.h"

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

/* What is known of (unit, period)'s report: out->present is false when
 * there is none. BC_OK or BC_ESTORE. */
int hub_reader_report(hub_reader_t *self, const bc_unit_t *unit,
                      bc_period_t period, hub_report_info_t *out);

/* Called for each revision of a report, oldest first. */
typedef void (*hub_revision_fn)(void *arg, uint32_t revision, uint64_t seq,
                                int64_t filed_at, int64_t received_at_us);

/* Every revision of (unit code, period), oldest first; BC_ENOTFOUND if the
 * store never saw the unit. Works on a read-only store. */
int hub_reader_revisions_code(hub_reader_t *self, const char *unit,
                              bc_period_t period, hub_revision_fn fn,
                              void *arg);

/* The current revision number of (unit code, period), 0 if none. Works on
 * a read-only store. */
uint32_t hub_reader_current_revision(hub_reader_t *self, const char *unit,
                                     bc_period_t period);

/* Where submission `id` (16 bytes) went, if the hub accepted it (stored
 * or superseded; a rejection is not held: a resend is judged again):
 * its log entry and its unit's store id. BC_OK, BC_ENOTFOUND or
 * BC_ESTORE. The node's backlog probe asks this (Ping.held_asked) so that
 * what the hub holds need not be sent again. */
int hub_reader_submission(hub_reader_t *self, const uint8_t id[16],
                          uint64_t *seq, uint32_t *unit_sid);

/* Called for each unit with a current report for one period. */
typedef int (*hub_period_unit_fn)(void *arg, uint32_t unit_sid);

/* Every unit (by store id) with a current report for exactly `period`, in
 * sid order: one range scan, since cur's key starts with the period. Used
 * for the periods longer than a month, which few units file, to find the
 * units whose own report replaces their months (hub_rollup.h). A non-zero
 * return of fn stops the walk and is returned; else BC_OK or BC_ESTORE. */
int hub_reader_period_units(hub_reader_t *self, bc_period_t period,
                            hub_period_unit_fn fn, void *arg);

/* --- for the store's other rooms ----------------------------------------- */

/* Decides and writes one valid item (it->reject is NONE): duplicate,
 * revision number taken, stored or superseded; logs it, and passes the
 * change of current figures to the rollup batch. Sets the item's outcome.
 * BC_OK, or BC_EFULL / BC_ESTORE (the caller aborts the batch). */
struct hub_rollup_batch_t;   /* hub_rollup.h */
int hub_reports_ingest(hub_store_t *s, MDB_txn *txn,
                       struct hub_rollup_batch_t *batch, hub_item_t *it,
                       int64_t now_us);

/* A few figures (sids[0..n)) of the current reports of many units for
 * one period, read straight from the packed records with one cursor
 * (hub_env_walk): unit_sids sorted ascending; row i of vals and counts
 * (n entries each) is unit_sids[i]'s (counts 1 when reported). Rows of
 * units without a report are left as the caller set them. BC_OK or
 * BC_ESTORE. */
int hub_reports_pick_units(hub_store_t *s, MDB_txn *txn, uint32_t period,
                           const uint32_t *unit_sids, size_t nunits,
                           const uint32_t *sids, size_t n, int64_t *vals,
                           uint32_t *counts);

/* The current figures of (unit sid, period), unpacked into the arena,
 * sorted by sid. BC_OK, BC_ENOTFOUND (no report) or BC_ESTORE. */
int hub_reports_values(hub_store_t *s, MDB_txn *txn, uint32_t unit_sid,
                       uint32_t period, bc_arena_t *arena,
                       const hub_val_t **vals, size_t *n);

/* Called for each current report, in key order (period, unit sid). vals
 * is NULL unless hub_reports_each was given an arena. A non-zero return
 * stops the walk and is returned. */
typedef int (*hub_reports_fn)(void *arg, uint32_t unit_sid, uint32_t period,
                              const hub_report_info_t *info,
                              const hub_val_t *vals, size_t nvals);

/* Walks every current report. With an arena, each report's figures are
 * unpacked into it, after resetting it (so a callback's own allocations
 * there last until the next report). BC_OK, BC_ESTORE or fn's return. */
int hub_reports_each(hub_store_t *s, MDB_txn *txn, bc_arena_t *arena,
                     hub_reports_fn fn, void *arg);

#endif
