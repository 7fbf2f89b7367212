/*
 * hub_federate.h -- the national hub's side of registry forwarding (issue
 * 14): the national registry is composed of its own file and each
 * province's subtree, as the province last forwarded it.
 *
 * A provincial hub forwards every registry version it logs (hub_upstream.h)
 * as a Request{origin, registry}. The national hub:
 *
 *   1. authorises it: the sender is a `relay` unit R (its key, or in plain
 *      mode the version's root); the version's tree is R's subtree (one
 *      root, R's code, every unit under it in every month it describes);
 *      and none of its other codes is a unit of the national registry
 *      outside R's subtree (another province's district). Otherwise
 *      NOT_AUTHORIZED, logged as a refusal, nothing else changed;
 *   2. composes the national registry: the rows of its own units file
 *      except those under a province that forwarded a subtree, then each
 *      such province's rows except its root (the national file's row of R
 *      stays: name, relay, key). Province rows keep code, parent, level,
 *      name, reports, on_behalf and history columns; never `relay` or
 *      `key` (a province cannot grant keys at the national hub). The
 *      catalogue stays the national file's: the Ministry sets indicators;
 *      a province's catalogue is on the log for audit;
 *   3. reopens its store on the composed registry, which checks that every
 *      stored report stays valid (hub_history_check): a version that would
 *      drop a commune with reports is refused (NOT_VALID_IN_PERIOD), the
 *      store and registry as they were;
 *   4. logs the forwarded entry (outcome STORED) together with the
 *      province's subtree in meta key "subtree:CODE" (8 bytes big-endian:
 *      the province's log seq, then the units file's bytes), in one
 *      transaction, then the composed registry version as its own entry
 *      (peer "hub"), so that `audit replay` rebuilds the national store
 *      from its export alone.
 *
 * A version whose origin seq is not above the one kept for the province is
 * a resend: answered DUPLICATE, nothing logged.
 *
 * On start and on SIGHUP, the national hub composes its registry the same
 * way from its files and the subtrees kept in its store. A hub without
 * subtrees (any provincial hub) composes to its own file, byte for byte.
 */
#ifndef HUB_FEDERATE_H
#define HUB_FEDERATE_H

#include "hub_store.h"

#include <stddef.h>
#include <stdint.h>

/* One province's subtree as last forwarded. */
typedef struct {
    char *code;                 /* the province's (relay unit's) code */
    uint64_t seq;               /* Origin.seq of the version */
    char *units;                /* its units file, exact bytes */
    size_t len;                 /* their length */
} hub_subtree_t;

typedef struct {
    hub_subtree_t *v;           /* by code, ascending */
    size_t n;
} hub_subtrees_t;

void hub_subtrees_free(hub_subtrees_t *st);

/* The subtrees kept in an open store. BC_OK or BC_ESTORE. */
int hub_federate_read(hub_store_t *s, hub_subtrees_t *out);

/* The same from a store folder not open yet (read-only, closed again): a
 * folder without a store has none. BC_OK or BC_ESTORE with err. */
int hub_federate_read_dir(const char *dir, hub_subtrees_t *out, char *err,
                          size_t errlen);

/* Loads the registry from the two files with the subtrees composed in
 * (above). *text (malloc'ed) is the composed units file, what a registry
 * version logs. NULL with a message in err. */
bc_registry_t *hub_federate_load(const char *units_path,
                                 const char *catalog_path,
                                 const char *categories_path,
                                 const hub_subtrees_t *st, char **text,
                                 size_t *text_len, char *err, size_t errlen);

/* What the national hub needs to take a forwarded version. */
typedef struct {
    const char *dir;            /* the store's folder */
    size_t map_size;            /* its map size */
    const char *units_path;     /* the national units file */
    const char *catalog_path;   /* the national catalogue */
    const char *categories_path; /* its categories (issue 17), or NULL */
} hub_federate_cfg_t;

/* The outcome of one forwarded version. */
typedef struct {
    Baocao__AckStatus status;   /* STORED, DUPLICATE, REJECTED, RETRY_LATER */
    Baocao__RejectReason reason;
    char message[400];
    uint64_t seq;               /* the national log's entry, 0 if none */
    bool changed;               /* *store and *reg were replaced */
    bool fatal;                 /* the store could not be reopened: stop */
} hub_federate_result_t;

/* Takes the forwarded version `req` (raw: its exact bytes) from `peer`
 * (steps 1-4 above). *store and *reg are replaced when it is taken (the
 * old ones destroyed); on any refusal they are as they were, except with
 * out->fatal (*store NULL: the hub must stop). */
void hub_federate_accept(hub_store_t **store, bc_registry_t **reg,
                         const hub_federate_cfg_t *cfg,
                         const Baocao__Request *req, const uint8_t *raw,
                         size_t raw_len, const char *peer,
                         hub_federate_result_t *out);

/* Keeps a forwarded version taken earlier (peer "unit:CODE", origin seq)
 * as the province's subtree, in a transaction of its own: `audit replay`
 * calls it after replaying the entry, so that a hub started on the
 * replayed store composes the same registry. BC_OK, BC_EINVAL (not a
 * relay's identity), or a store error. */
int hub_federate_keep(hub_store_t *s, const char *peer,
                      const Baocao__Request *req);

#endif
