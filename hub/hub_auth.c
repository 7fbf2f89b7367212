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
#include <stdio.h>
#include <time.h>
#include <string.h>

struct hub_auth_t {
    zsock_t *rep;         /* REP bound to inproc://zeromq.zap.01 */
    zhashx_t *keys;       /* Z85 public key -> identity string */
    uint64_t refused;     /* handshakes refused */
    char *pending_path;   /* where unknown keys are recorded, or NULL */
    zhashx_t *pending;    /* unknown keys already recorded */
};

/* Units' keys of reg into keys. Returns BC_OK or BC_EINVAL. */
static int add_units(zhashx_t *keys, const bc_registry_t *reg, char *err,
                     size_t errlen)
{
    for (size_t i = 0; i < bc_registry_nunits(reg); i++) {
        const bc_unit_t *u = bc_registry_unit(reg, (uint32_t) i);
        if (!u->key || !*u->key)
            continue;
        uint8_t raw[32];
        if (strlen(u->key) != 40 || !zmq_z85_decode(raw, u->key)) {
            snprintf(err, errlen, "registry: unit %s has a malformed key "
                     "(40 Z85 characters expected)", u->code);
            return BC_EINVAL;
        }
        /* The registry refuses two units with one key; insert, never
         * update, so that a key can never silently change hands here. */
        char *id = zsys_sprintf("unit:%s", u->code);
        if (zhashx_insert(keys, u->key, id) != 0) {
            snprintf(err, errlen, "registry: unit %s shares its key with "
                     "another identity", u->code);
            zstr_free(&id);
            return BC_EINVAL;
        }
    }
    return BC_OK;
}

hub_auth_t *hub_auth_new(const bc_registry_t *reg, char **operator_keys,
                         char *err, size_t errlen)
{
    hub_auth_t *self = bc_calloc(1, sizeof *self);
    self->keys = zhashx_new();
    zhashx_set_destructor(self->keys, (zhashx_destructor_fn *) zstr_free);
    if (add_units(self->keys, reg, err, errlen))
        goto out_destroy;
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
    zhashx_destroy(&self->pending);
    free(self->pending_path);
    free(self);
    *self_p = NULL;
}

int hub_auth_add(hub_auth_t *self, const char *z85_key, const char *identity,
                 char *err, size_t errlen)
{
    uint8_t raw[32];
    if (strlen(z85_key) != 40 || !zmq_z85_decode(raw, z85_key)) {
        snprintf(err, errlen, "%s: malformed key (40 Z85 characters "
                 "expected)", identity);
        return BC_EINVAL;
    }
    char *id = bc_strdup(identity);
    if (zhashx_insert(self->keys, z85_key, id) != 0) {
        snprintf(err, errlen, "%s: this key is already known as %s",
                 identity, (const char *) zhashx_lookup(self->keys, z85_key));
        free(id);
        return BC_EINVAL;
    }
    return BC_OK;
}

zsock_t *hub_auth_socket(hub_auth_t *self)
{
    return self->rep;
}

void hub_auth_record_pending(hub_auth_t *self, const char *path)
{
    free(self->pending_path);
    self->pending_path = bc_strdup(path);
    if (!self->pending)
        self->pending = zhashx_new();
    /* Keys recorded by an earlier run are not written twice. */
    FILE *f = fopen(path, "r");
    char line[256];
    while (f && fgets(line, sizeof line, f))
        if (strlen(line) > 40 && line[40] == ',') {
            line[40] = 0;
            zhashx_insert(self->pending, line, (void *) 1);
        }
    if (f)
        fclose(f);
}

/* Appends an unknown key to the pending file, once. */
static void record(hub_auth_t *self, const char *key, const char *address)
{
    if (!self->pending_path || zhashx_lookup(self->pending, key)
        || zhashx_size(self->pending) >= HUB_AUTH_PENDING_MAX)
        return;
    zhashx_insert(self->pending, key, (void *) 1);
    FILE *f = fopen(self->pending_path, "a");
    if (!f) {
        BC_WARN("cannot record a pending key in %s", self->pending_path);
        return;
    }
    char fp[20];
    bc_keys_fingerprint(key, fp);
    /* The address is the peer's IP: no comma in it. */
    fprintf(f, "%s,%lld,%s\n", key, (long long) time(NULL),
            address && !strchr(address, ',') ? address : "");
    fclose(f);
    BC_INFO("unknown key %s (fingerprint %s) recorded for approval", key,
            fp);
}

int hub_auth_reload_units(hub_auth_t *self, const bc_registry_t *reg,
                          char *err, size_t errlen)
{
    /* Build the new table aside: operators as they are, then the units. */
    zhashx_t *keys = zhashx_new();
    zhashx_set_destructor(keys, (zhashx_destructor_fn *) zstr_free);
    for (const char *id = zhashx_first(self->keys); id;
         id = zhashx_next(self->keys))
        if (strncmp(id, "unit:", 5) != 0)
            zhashx_insert(keys, zhashx_cursor(self->keys), bc_strdup(id));
    if (add_units(keys, reg, err, errlen)) {
        zhashx_destroy(&keys);
        return BC_EINVAL;
    }
    zhashx_destroy(&self->keys);
    self->keys = keys;
    BC_INFO("authentication reloaded: %zu known keys", zhashx_size(keys));
    return BC_OK;
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
        if (*txt)
            record(self, txt, address);
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
