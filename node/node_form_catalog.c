/*
 * node_form_catalog.c -- the station form's fields: which indicators the
 * form shows, read from an indicators file, from the node's copy of the
 * hub's catalogue, or asked of the hub (the manual is node_form_catalog.h).
 *
 * Design: the form must come up before the node has ever reached the hub
 * (a new station, a link down), so where its fields come from is a small
 * ladder of its own -- --catalog, else the file the hub sent last time,
 * else the hub when it answers, else the delivery loop's copy -- kept
 * apart from the HTTP handlers (node_form.c), which only read the list.
 * What the hub sends is written as an ordinary indicators file, fsynced
 * and renamed into place, so that the next start reads it like --catalog
 * and needs no link.
 */
#include "node_form_catalog.h"

#include "bc_csv.h"
#include "bc_error.h"
#include "bc_fs.h"
#include "bc_log.h"
#include "bc_mem.h"
#include "bc_registry.h"
#include "bc_wire.h"
#include "node_copy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int node_form_catalog_load(node_form_catalog_t *self, const char *path,
                           char *err, size_t errlen)
{
    bc_csv_t *csv = bc_csv_load(path, err, errlen);
    if (!csv)
        return BC_EIO;
    int cc = bc_csv_column(csv, "code"), cn = bc_csv_column(csv, "name");
    int ck = bc_csv_column(csv, "kind"), cp = bc_csv_column(csv,
                                                            "programme");
    if (cc < 0 || cn < 0 || ck < 0) {
        bc_set_error(err, errlen, "%s: needs columns code,name,kind", path);
        bc_csv_destroy(&csv);
        return BC_EINVAL;
    }
    self->ninds = bc_csv_rows(csv);
    self->inds = bc_calloc(self->ninds ? self->ninds : 1,
                           sizeof *self->inds);
    for (size_t i = 0; i < self->ninds; i++) {
        self->inds[i].code = bc_strdup(bc_csv_field(csv, i, cc));
        self->inds[i].name = bc_strdup(bc_csv_field(csv, i, cn));
        self->inds[i].programme =
            bc_strdup(cp >= 0 ? bc_csv_field(csv, i, cp) : "");
        self->inds[i].ratio = !strcmp(bc_csv_field(csv, i, ck), "ratio");
    }
    bc_csv_destroy(&csv);
    return BC_OK;
}

/* The delivery loop keeps the copy current (node_copy.h). */
int node_form_catalog_load_copy(node_form_catalog_t *self,
                                const char *store)
{
    int rc;
    char err[512];
    node_copy_t *copy = node_copy_load(store, &rc, err, sizeof err);
    if (!copy)
        return rc == BC_ENOTFOUND ? rc : BC_EINVAL;
    const bc_registry_t *cat = node_copy_catalog(copy);
    /* The catalogue's own indicators: its combination slots are cells of
     * their total's grid, not fields. */
    self->ninds = bc_registry_ncatalogue(cat);
    self->inds = bc_calloc(self->ninds ? self->ninds : 1,
                           sizeof *self->inds);
    for (size_t i = 0; i < self->ninds; i++) {
        const bc_indicator_t *ind = bc_registry_indicator(cat, (uint32_t) i);
        self->inds[i].code = bc_strdup(ind->code);
        self->inds[i].name = bc_strdup(ind->name);
        self->inds[i].programme =
            bc_strdup(ind->programme ? ind->programme : "");
        self->inds[i].ratio = ind->kind == BC_KIND_RATIO;
    }
    node_copy_destroy(&copy);
    return BC_OK;
}

int node_form_catalog_find(const node_form_catalog_t *self,
                           const char *code)
{
    for (size_t i = 0; i < self->ninds; i++)
        if (!strcmp(self->inds[i].code, code))
            return (int) i;
    return -1;
}

void node_form_catalog_free(node_form_catalog_t *self)
{
    for (size_t i = 0; i < self->ninds; i++) {
        free(self->inds[i].code);
        free(self->inds[i].name);
        free(self->inds[i].programme);
    }
    free(self->inds);
    self->inds = NULL;
    self->ninds = 0;
}

/* Writes the hub's catalogue as an indicators file (the shipped format,
 * the same writer as the node's copy: its breakdowns too), beside the
 * outbox: the next start needs no link. */
static int save_catalog(const Baocao__CatalogReply *c, const char *path)
{
    size_t len = 0;
    char *csv = node_copy_catalog_csv(c, &len);
    if (!csv)
        return BC_EIO;
    char err[512];
    int rc = bc_file_replace(path, csv, len, 0644, err, sizeof err);
    if (rc)
        BC_WARN("form: %s", err);
    free(csv);
    return rc;
}

bool node_form_catalog_fetch(node_form_catalog_t *self,
                             pthread_mutex_t *lock, bc_client_t *client,
                             const char *path)
{
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    Baocao__CatalogQuery q = BAOCAO__CATALOG_QUERY__INIT;
    req.body_case = BAOCAO__REQUEST__BODY_CATALOG;
    req.catalog = &q;
    Baocao__Reply *reply = NULL;
    if (bc_client_call(client, &req, &reply, 5000))
        return false;
    bool ok = reply->body_case == BAOCAO__REPLY__BODY_CATALOG
              && reply->catalog->n_indicators > 0;
    if (ok && save_catalog(reply->catalog, path) == BC_OK) {
        char err[512];
        pthread_mutex_lock(lock);
        ok = node_form_catalog_load(self, path, err, sizeof err) == BC_OK;
        pthread_mutex_unlock(lock);
        if (ok)
            BC_INFO("form: catalogue of %zu indicators from the hub, kept "
                    "in %s", self->ninds, path);
    } else if (ok) {
        BC_WARN("form: cannot save the hub's catalogue to %s", path);
        ok = false;
    }
    baocao__reply__free_unpacked(reply, NULL);
    return ok;
}
