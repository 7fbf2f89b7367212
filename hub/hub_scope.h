/*
 * hub_scope.h -- what each authenticated identity may read, approve and
 * set (issue #11, item 6): operators with a unit scope and a role, and
 * facilities limited to their own unit.
 *
 * Operators file (`--operators OPERATORS.csv`), UTF-8, header first:
 *
 *   name,key,unit,role
 *   hb_viewer,<40 Z85 characters>,HP-HB,viewer
 *
 *   name  the identity ("operator:NAME"), 1..BC_CODE_MAX bytes of
 *         [A-Za-z0-9_.-], unique
 *   key   the operator's CURVE public key, the 40 Z85 characters of its
 *         .pub file's public-key (as the registry's key column)
 *   unit  the scope: a unit code of the registry; the operator acts on
 *         that unit and everything under it
 *   role  viewer (reads), approver (reads and approves), admin (reads,
 *         approves, sets plans)
 *
 * The rule, for a request about unit U:
 *
 *   identity            reads U when                 sets plans for U when
 *   "" (plain mode)     always                       always
 *   "unit:CODE"         U is CODE or under it        never
 *   "operator:NAME"     U is in NAME's scope         in scope and admin
 *
 * An operator of `--operator-key NAME.pub` is not in the file: it is an
 * admin of every root, as before scopes existed (hub_auth.h accepts only
 * keys it was given, so an operator identity the file does not name can
 * only be one of those).
 *
 * Scopes are checked where requests are handled (hub_handlers.c; for
 * approvals hub_batch.c, before the batch), before any store access; a refusal is REASON_NOT_AUTHORIZED naming the
 * identity, its scope and the unit.
 */
#ifndef HUB_SCOPE_H
#define HUB_SCOPE_H

#include "bc_registry.h"

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    HUB_ROLE_VIEWER = 1,     /* reads */
    HUB_ROLE_APPROVER = 2,   /* reads, approves */
    HUB_ROLE_ADMIN = 3       /* reads, approves, sets plans */
} hub_role_t;

typedef struct hub_scope_t hub_scope_t;

/* Loads the operators file `path` (NULL: no file, every operator is an
 * admin of the root) against `reg`. Returns NULL with a message in err
 * (file:line: problem) on a missing column, a bad name, a malformed key,
 * an unknown unit, a bad role, a name or key given twice. */
hub_scope_t *hub_scope_new(const bc_registry_t *reg, const char *path,
                           char *err, size_t errlen);
void hub_scope_destroy(hub_scope_t **self_p);

/* The operators of the file, for the authenticator: count, and the i-th
 * one's name and Z85 key. */
size_t hub_scope_count(const hub_scope_t *self);
const char *hub_scope_name(const hub_scope_t *self, size_t i);
const char *hub_scope_key(const hub_scope_t *self, size_t i);

/* May `peer` read figures (query, completeness, validate) of `unit`? When
 * not, writes why into msg. */
bool hub_scope_may_read(const hub_scope_t *self, const bc_registry_t *reg,
                        const char *peer, const bc_unit_t *unit, char *msg,
                        size_t msglen);

/* May `peer` act on `unit` with at least `role` (approve: APPROVER, set a
 * plan: ADMIN)? Facilities never may. When not, writes why into msg. */
bool hub_scope_may_act(const hub_scope_t *self, const bc_registry_t *reg,
                       const char *peer, const bc_unit_t *unit,
                       hub_role_t role, char *msg, size_t msglen);

#endif
