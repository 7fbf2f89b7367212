/*
 * hub_scope.c -- operators' scopes and roles (hub_scope.h).
 *
 * A handful of operators per province: a plain array, searched by name.
 * The check walks from the unit up to its root (bc_registry_is_within),
 * at most BC_MAX_LEVELS steps, so no per-request state is kept.
 */
#include "hub_scope.h"
#include "bc_csv.h"
#include "bc_error.h"
#include "bc_mem.h"

#include <stdio.h>
#include <string.h>
#include <zmq.h>

typedef struct {
    char *name;              /* identity is "operator:" + name */
    char key[41];            /* Z85 public key */
    const bc_unit_t *unit;   /* scope root */
    hub_role_t role;         /* what it may do there */
} op_t;

struct hub_scope_t {
    op_t *ops;               /* in file order */
    size_t n;                /* used */
};

static const char *role_names[] = {NULL, "viewer", "approver", "admin"};

static bool name_ok(const char *s)
{
    size_t len = strlen(s);
    if (len == 0 || len > BC_CODE_MAX)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')
              || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'
              || *s == '.'))
            return false;
    return true;
}

hub_scope_t *hub_scope_new(const bc_registry_t *reg, const char *path,
                           char *err, size_t errlen)
{
    hub_scope_t *self = bc_calloc(1, sizeof *self);
    if (!path)
        return self;
    bc_csv_t *csv = bc_csv_load(path, err, errlen);
    if (!csv)
        goto out_fail;
    static const char *cols[] = {"name", "key", "unit", "role"};
    int col[4];
    for (size_t c = 0; c < 4; c++)
        if ((col[c] = bc_csv_column(csv, cols[c])) < 0) {
            bc_set_error(err, errlen, "%s: no '%s' column (the header is "
                         "name,key,unit,role)", path, cols[c]);
            goto out_csv;
        }
    size_t rows = bc_csv_rows(csv);
    self->ops = bc_calloc(rows ? rows : 1, sizeof *self->ops);
    for (size_t row = 0; row < rows; row++) {
        size_t line = bc_csv_line(csv, row);
        const char *name = bc_csv_field(csv, row, col[0]);
        const char *key = bc_csv_field(csv, row, col[1]);
        const char *unit = bc_csv_field(csv, row, col[2]);
        const char *role = bc_csv_field(csv, row, col[3]);
        op_t *o = &self->ops[self->n];
        uint8_t raw[32];
        if (!name_ok(name)) {
            bc_set_error(err, errlen, "%s:%zu: operator name '%.64s' must be "
                         "1 to %d letters, digits, '_', '-' or '.'", path,
                         line, name, BC_CODE_MAX);
            goto out_csv;
        }
        if (strlen(key) != 40 || !zmq_z85_decode(raw, key)) {
            bc_set_error(err, errlen, "%s:%zu: operator %s: the key must be "
                         "the 40 Z85 characters of its .pub file's "
                         "public-key", path, line, name);
            goto out_csv;
        }
        if (!(o->unit = bc_registry_find_unit(reg, unit))) {
            bc_set_error(err, errlen, "%s:%zu: operator %s: unknown unit "
                         "'%.64s'", path, line, name, unit);
            goto out_csv;
        }
        size_t r = 1;
        while (r < 4 && strcmp(role, role_names[r]) != 0)
            r++;
        if (r == 4) {
            bc_set_error(err, errlen, "%s:%zu: operator %s: role '%.16s' is "
                         "not viewer, approver or admin", path, line, name,
                         role);
            goto out_csv;
        }
        for (size_t k = 0; k < self->n; k++)
            if (!strcmp(self->ops[k].name, name)
                || !strcmp(self->ops[k].key, key)) {
                bc_set_error(err, errlen, "%s:%zu: operator %s: %s given "
                             "twice (also %s)", path, line, name,
                             strcmp(self->ops[k].name, name) ? "key" : "name",
                             self->ops[k].name);
                goto out_csv;
            }
        o->name = bc_strdup(name);
        memcpy(o->key, key, 41);
        o->role = (hub_role_t) r;
        self->n++;
    }
    bc_csv_destroy(&csv);
    return self;

out_csv:
    bc_csv_destroy(&csv);
out_fail:
    hub_scope_destroy(&self);
    return NULL;
}

void hub_scope_destroy(hub_scope_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    hub_scope_t *self = *self_p;
    for (size_t i = 0; i < self->n; i++)
        bc_free(&self->ops[i].name);
    bc_free(&self->ops);
    bc_free(self_p);
}

size_t hub_scope_count(const hub_scope_t *self)
{
    return self ? self->n : 0;
}

const char *hub_scope_name(const hub_scope_t *self, size_t i)
{
    return self->ops[i].name;
}

const char *hub_scope_key(const hub_scope_t *self, size_t i)
{
    return self->ops[i].key;
}

/* The file's entry for an operator identity's name, or NULL (an
 * --operator-key operator: admin of the root). */
static const op_t *find(const hub_scope_t *self, const char *name)
{
    for (size_t i = 0; self && i < self->n; i++)
        if (!strcmp(self->ops[i].name, name))
            return &self->ops[i];
    return NULL;
}

/* Checks the scope part; *role_out gets the operator's role. */
static bool in_scope(const hub_scope_t *self, const bc_registry_t *reg,
                     const char *peer, const bc_unit_t *unit,
                     hub_role_t *role_out, char *msg, size_t msglen)
{
    *role_out = HUB_ROLE_ADMIN;
    if (!peer || !*peer)
        return true;   /* plain mode: a local trial, anyone does anything */
    if (!strncmp(peer, "unit:", 5)) {
        const bc_unit_t *own = bc_registry_find_unit(reg, peer + 5);
        *role_out = HUB_ROLE_VIEWER;
        if (own && bc_registry_is_within(reg, unit, own))
            return true;
        snprintf(msg, msglen, "%s may read only its own unit's figures, "
                 "not %s", peer, unit->code);
        return false;
    }
    if (!strncmp(peer, "operator:", 9)) {
        const op_t *o = find(self, peer + 9);
        if (!o)
            return true;   /* --operator-key: admin of the root */
        *role_out = o->role;
        if (bc_registry_is_within(reg, unit, o->unit))
            return true;
        snprintf(msg, msglen, "%s (scope %s) may not act on %s: outside its "
                 "scope", peer, o->unit->code, unit->code);
        return false;
    }
    snprintf(msg, msglen, "unknown identity '%.40s'", peer);
    return false;
}

bool hub_scope_may_read(const hub_scope_t *self, const bc_registry_t *reg,
                        const char *peer, const bc_unit_t *unit, char *msg,
                        size_t msglen)
{
    hub_role_t role;
    return in_scope(self, reg, peer, unit, &role, msg, msglen);
}

bool hub_scope_may_act(const hub_scope_t *self, const bc_registry_t *reg,
                       const char *peer, const bc_unit_t *unit,
                       hub_role_t role, char *msg, size_t msglen)
{
    hub_role_t has;
    if (peer && !strncmp(peer, "unit:", 5)) {
        snprintf(msg, msglen, "%s is a facility: only operators may do "
                 "this", peer);
        return false;
    }
    if (!in_scope(self, reg, peer, unit, &has, msg, msglen))
        return false;
    if (has < role) {
        snprintf(msg, msglen, "%s is a %s: this needs the %s role", peer,
                 role_names[has], role_names[role]);
        return false;
    }
    return true;
}
