/*
 * node_copy.h -- the node's copy of what the hub checks reports against:
 * its catalogue, its validation rules and its limits (issue #11, item 3).
 *
 * The hub answers a CatalogQuery with all three and a stamp (a hash of
 * the answer, proto/README.md "The node's copy"). The node keeps the last
 * full answer, exactly as received, in one file beside its outbox
 * (NODE_COPY_FILE in the store folder), written atomically: a temporary
 * file, fsync, rename, fsync of the folder, so a crash leaves the old copy
 * or the new one, never half of one. The file's modification time says
 * when the hub last confirmed it (a full answer, or "unchanged").
 *
 * The delivery loop fetches it (node_sender.c asks whenever it connects,
 * with the stamp it holds); `baocao submit` and the station's form read
 * it to check a report before filing it (node_check.h). A copy that does
 * not parse is never written: the old one stays.
 *
 * The catalogue is held as a bc_registry_t so that the rules parse with
 * the hub's own parser (bc_rules.h) against the same catalogue order; the
 * registry's loader wants at least one unit, so the copy stands in one
 * placeholder unit: the node checks figures, never units (the hub does).
 */
#ifndef NODE_COPY_H
#define NODE_COPY_H

#include "baocao.pb-c.h"
#include "bc_registry.h"
#include "bc_rules.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NODE_COPY_FILE "hub-copy.pb"
#define NODE_COPY_STAMP 32       /* bytes of a stamp */

typedef struct node_copy_t node_copy_t;

/* Builds a copy from a full CatalogReply (not an "unchanged" one). NULL
 * with a message in err when its catalogue or rules do not parse, or it
 * has no stamp. */
node_copy_t *node_copy_from_reply(const Baocao__CatalogReply *reply,
                                  char *err, size_t errlen);

/* Checks a full reply (node_copy_from_reply) and saves it as the copy in
 * the folder `store`, atomically (see the top). BC_OK; BC_EINVAL when it
 * does not parse (the old copy is kept); BC_EIO or BC_ENOSPC when it
 * cannot be written (bc_file_replace; the old copy is kept too). Message
 * in err. */
int node_copy_save(const char *store, const Baocao__CatalogReply *reply,
                   char *err, size_t errlen);

/* The hub said "unchanged": the copy is confirmed now (its mtime). */
int node_copy_touch(const char *store);

/* Writes the stamp of the copy in `store` to stamp (NODE_COPY_STAMP
 * bytes). false when there is no readable copy. */
bool node_copy_stamp(const char *store, uint8_t *stamp);

/* Loads the copy in `store`. NULL with *rc = BC_ENOTFOUND when the node
 * never fetched one (err says so), or another code when it cannot be
 * read or parsed (message in err). */
node_copy_t *node_copy_load(const char *store, int *rc, char *err,
                            size_t errlen);

void node_copy_destroy(node_copy_t **self_p);

/* The catalogue (a registry whose units are a placeholder), the rules
 * (never NULL; maybe none), the hub's limits, and when the hub last
 * confirmed the copy (Unix seconds; 0 when built from a reply). */
const bc_registry_t *node_copy_catalog(const node_copy_t *self);
const bc_rules_t *node_copy_rules(const node_copy_t *self);
size_t node_copy_max_values(const node_copy_t *self);
size_t node_copy_max_message(const node_copy_t *self);
int64_t node_copy_max_count(const node_copy_t *self);
int64_t node_copy_confirmed_at(const node_copy_t *self);

/* --- the exchange -------------------------------------------------------
 * What the delivery loop (node_sender.c) asks the hub for and does with
 * the answer; when it asks (once on each socket) and how long it waits
 * are the loop's. */

/* The Request asking the hub for its copy: a CatalogQuery tagged `tag`,
 * with the stamp of the copy in `store` when there is a readable one, so
 * that a current copy costs one small "unchanged" answer. Packed
 * (bc_wire.h), malloc'ed; *len its length. */
uint8_t *node_copy_request(const char *store, uint64_t tag, size_t *len);

/* The hub's answer r to that request: a full CatalogReply is kept as the
 * copy in `store` (node_copy_save), an "unchanged" one confirms it
 * (node_copy_touch). Another kind of answer, or one that does not parse,
 * leaves the copy as it is; each outcome is logged. */
void node_copy_on_reply(const char *store, const Baocao__Reply *r);

/* The reply's catalogue as an indicators file (the shipped format,
 * bc_registry.h), malloc'ed and NUL-terminated; *len its length. NULL
 * when out of memory. */
char *node_copy_catalog_csv(const Baocao__CatalogReply *reply, size_t *len);

#endif
