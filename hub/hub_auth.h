/*
 * hub_auth.h -- who is at the other end of a CURVE link.
 *
 * A ZAP handler (RFC 27) that accepts only public keys the hub knows: each
 * facility's key comes from the registry's `key` column and is bound to its
 * unit code; operator keys come from .pub files named on the command line.
 * Accepted connections carry a User-Id that every message from them
 * inherits ("unit:HP-HB-QT", "operator:alice"), so the server never trusts
 * a unit code the client merely claims.
 *
 * We answer ZAP ourselves rather than through czmq's zauth because zauth
 * reads allowed keys from a directory of certificates, while ours live in
 * the registry next to the unit they belong to; the protocol is small and
 * fully specified, and zcert still does all key-file handling.
 */
#ifndef HUB_AUTH_H
#define HUB_AUTH_H

#include "bc_registry.h"

#include <czmq.h>

typedef struct hub_auth_t hub_auth_t;

/* Binds the ZAP handler (inproc://zeromq.zap.01) and loads the keys: the
 * registry's and each operator .pub file (identity "operator:" + the file's
 * base name without .pub, at most BC_CODE_MAX characters). Returns NULL
 * with a message in err for a bad key, an operator name too long, or a key
 * given twice (two identities for one key). */
hub_auth_t *hub_auth_new(const bc_registry_t *reg, char **operator_keys,
                         char *err, size_t errlen);
void hub_auth_destroy(hub_auth_t **self_p);

/* Replaces the keys with those of a new registry (a registry reload), the
 * socket staying bound. BC_OK, or BC_EINVAL with a message in err and the
 * old keys kept. */
int hub_auth_reload(hub_auth_t *self, const bc_registry_t *reg,
                    char **operator_keys, char *err, size_t errlen);

/* The socket to poll; call hub_auth_handle() when it is readable. */
zsock_t *hub_auth_socket(hub_auth_t *self);

/* Answers one ZAP request. */
void hub_auth_handle(hub_auth_t *self);

/* Enrolment: from now on, each unknown CURVE key that tries to connect is
 * appended once to `path` ("key,first_seen,address" lines; at most
 * HUB_AUTH_PENDING_MAX keys), where `baocao registry approve-key` finds it
 * by its fingerprint. The key is still refused. */
#define HUB_AUTH_PENDING_MAX 10000
void hub_auth_record_pending(hub_auth_t *self, const char *path);

/* Replaces the units' keys with those of reg (operators' keys stay): what
 * the hub does on SIGHUP once a key was approved into the registry.
 * Returns BC_OK, or BC_EINVAL with a message (a malformed key, a key
 * shared by two identities) and then keeps the keys it had. */
int hub_auth_reload_units(hub_auth_t *self, const bc_registry_t *reg,
                          char *err, size_t errlen);

/* Accepts one more key as `identity` (e.g. "operator:hb_viewer", from
 * the operators file, hub_scope.h). BC_OK, or BC_EINVAL with a message in
 * err for a malformed key or a key already known (one key is one
 * identity). */
int hub_auth_add(hub_auth_t *self, const char *z85_key, const char *identity,
                 char *err, size_t errlen);

/* Handshakes refused so far. */
uint64_t hub_auth_refused(const hub_auth_t *self);

#endif
