/*
 * hub_auth.c -- the ZAP handler (see hub_auth.h).
 *
 * A ZAP request is a multipart message: version "1.0", request id, domain,
 * address, identity, mechanism, then the credentials (for CURVE, the
 * client's 32-byte public key). The reply: version, request id, status code
 * ("200" or "400"), status text, user id, metadata.
 */
#include "hub_auth.h"
#include "bc_error.h"
#include "bc_keys.h"
#include "bc_log.h"
#include "bc_mem.h"

#include <libgen.h>
#include <string.h>

struct hub_auth_t {
    zsock_t *rep;         /* REP bound to inproc://zeromq.zap.01 */
    zhashx_t *keys;       /* Z85 public key -> identity string */
    uint64_t refused;     /* handshakes refused */
};

hub_auth_t *hub_auth_new(const bc_registry_t *reg, char **operator_keys,
                         char *err, size_t errlen)
{
    hub_auth_t *self = bc_calloc(1, sizeof *self);
    self->keys = zhashx_new();
    zhashx_set_destructor(self->keys, (zhashx_destructor_fn *) zstr_free);
    for (size_t i = 0; i < bc_registry_nunits(reg); i++) {
        const bc_unit_t *u = bc_registry_unit(reg, (uint32_t) i);
        if (!u->key || !*u->key)
            continue;
        uint8_t raw[32];
        if (strlen(u->key) != 40 || !zmq_z85_decode(raw, u->key)) {
            snprintf(err, errlen, "registry: unit %s has a malformed key "
                     "(40 Z85 characters expected)", u->code);
            goto out_destroy;
        }
        /* The registry refuses two units with one key; insert, never
         * update, so that a key can never silently change hands here. */
        char *id = zsys_sprintf("unit:%s", u->code);
        if (zhashx_insert(self->keys, u->key, id) != 0) {
            snprintf(err, errlen, "registry: unit %s shares its key with "
                     "another unit", u->code);
            zstr_free(&id);
            goto out_destroy;
        }
    }
    for (char **p = operator_keys; p && *p; p++) {
        char pub[41];
        if (bc_keys_public(*p, pub, err, errlen) != BC_OK)
            goto out_destroy;
        char *copy = bc_strdup(*p);
        char *base = basename(copy);
        char *dot = strrchr(base, '.');
        if (dot)
            *dot = '\0';
        /* Identities are never cut (see BC_PEER_MAX), and one key is one
         * identity: an operator key that is also a unit's, or another
         * operator's, is refused. */
        if (strlen(base) > BC_CODE_MAX) {
            snprintf(err, errlen, "%s: an operator key's name may have at "
                     "most %d characters", *p, BC_CODE_MAX);
            free(copy);
            goto out_destroy;
        }
        char *id = zsys_sprintf("operator:%s", base);
        free(copy);
        if (zhashx_insert(self->keys, pub, id) != 0) {
            snprintf(err, errlen, "%s: this key is already known as %s",
                     *p, (const char *) zhashx_lookup(self->keys, pub));
            zstr_free(&id);
            goto out_destroy;
        }
    }
    self->rep = zsock_new(ZMQ_REP);
    if (!self->rep || zsock_bind(self->rep, "inproc://zeromq.zap.01") != 0) {
        snprintf(err, errlen, "cannot bind the ZAP handler: %s",
                 zmq_strerror(zmq_errno()));
        goto out_destroy;
    }
    BC_INFO("authentication on: %zu known keys", zhashx_size(self->keys));
    return self;

out_destroy:
    hub_auth_destroy(&self);
    return NULL;
}

void hub_auth_destroy(hub_auth_t **self_p)
{
    hub_auth_t *self = *self_p;
    if (!self)
        return;
    zsock_destroy(&self->rep);
    zhashx_destroy(&self->keys);
    free(self);
    *self_p = NULL;
}

zsock_t *hub_auth_socket(hub_auth_t *self)
{
    return self->rep;
}

uint64_t hub_auth_refused(const hub_auth_t *self)
{
    return self->refused;
}

void hub_auth_handle(hub_auth_t *self)
{
    zmsg_t *req = zmsg_recv(self->rep);
    if (!req)
        return;
    char *version = zmsg_popstr(req);
    char *request_id = zmsg_popstr(req);
    char *domain = zmsg_popstr(req);
    char *address = zmsg_popstr(req);
    char *identity = zmsg_popstr(req);
    char *mechanism = zmsg_popstr(req);
    zframe_t *key = zmsg_pop(req);

    const char *who = NULL;
    char txt[41] = "";
    if (mechanism && strcmp(mechanism, "CURVE") == 0 && key
        && zframe_size(key) == 32) {
        zmq_z85_encode(txt, zframe_data(key), 32);
        who = zhashx_lookup(self->keys, txt);
    }
    if (!who) {
        self->refused++;
        BC_WARN("refused %s handshake from %s: unknown key %s",
                mechanism ? mechanism : "?", address ? address : "?",
                *txt ? txt : "(none)");
    } else {
        BC_DEBUG("accepted %s from %s", who, address ? address : "?");
    }
    zsock_send(self->rep, "ssssss", "1.0", request_id ? request_id : "",
               who ? "200" : "400", who ? "OK" : "unknown key",
               who ? who : "", "");
    zstr_free(&version);
    zstr_free(&request_id);
    zstr_free(&domain);
    zstr_free(&address);
    zstr_free(&identity);
    zstr_free(&mechanism);
    zframe_destroy(&key);
    zmsg_destroy(&req);
}
