/*
 * node_form_catalog.h -- the station form's list of indicators (its
 * fields), for the form (node_form.c) only, and the places it comes from:
 * an indicators file (--catalog, or the copy the hub sent last time,
 * kept beside the outbox), the node's copy of the hub's catalogue
 * (node_copy.h), or the hub itself, asked while the node has none.
 *
 * A catalogue is a plain struct the form reads directly; it starts
 * zeroed (empty: inds NULL), is filled by one of the loaders below, and
 * is emptied by node_form_catalog_free.
 */
#ifndef NODE_FORM_CATALOG_H
#define NODE_FORM_CATALOG_H

#include "baocao.pb-c.h"
#include "bc_client.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

/* One indicator of the catalogue, as the form shows it. */
typedef struct {
    char *code;          /* indicator code: the field's name */
    char *name;          /* its label */
    char *programme;     /* its group */
    bool ratio;          /* computed: no field */
} node_form_ind_t;

/* The catalogue's own indicators, in file order. */
typedef struct {
    node_form_ind_t *inds;     /* NULL while there is none */
    size_t ninds;              /* its length */
} node_form_catalog_t;

/* Fills the empty self from the indicators file at path (columns code,
 * name and kind; programme if present). BC_OK; BC_EIO if the file cannot
 * be read or parsed, BC_EINVAL if a column is missing, with err set; self
 * is then left empty. */
int node_form_catalog_load(node_form_catalog_t *self, const char *path,
                           char *err, size_t errlen);

/* Fills the empty self from the node's copy of the hub's catalogue in
 * the outbox folder `store` (node_copy.h): the catalogue's own
 * indicators, not its combination slots (those are cells of their
 * total's grid). BC_OK; BC_ENOTFOUND while there is no copy, BC_EINVAL if
 * it cannot be read; self is then left empty. */
int node_form_catalog_load_copy(node_form_catalog_t *self,
                                const char *store);

/* The position of the indicator `code` in self, or -1 if none. */
int node_form_catalog_find(const node_form_catalog_t *self,
                           const char *code);

/* Frees the indicators and leaves self empty; accepts an empty one. */
void node_form_catalog_free(node_form_catalog_t *self);

/* Asks the hub through client once (5 s) for its catalogue. On a non-empty
 * answer, writes it as an indicators file at path (the shipped format,
 * fsynced, then renamed into place, so that the next start needs no
 * link) and fills the empty self from that file while holding lock (the
 * form may be serving meanwhile). true once self holds the catalogue;
 * false if the hub did not answer or had none, or if the file could not
 * be written (logged) or read back, leaving self empty. */
bool node_form_catalog_fetch(node_form_catalog_t *self,
                             pthread_mutex_t *lock, bc_client_t *client,
                             const char *path);

#endif
