/*
 * node_form_filing.h -- what the station's form does with a posted
 * report, for the form (node_form.c) only: each field read with the
 * parser `baocao submit` uses, the report checked against the node's copy
 * of the hub's catalogue and rules (node_check.h, node_copy.h), every
 * problem placed next to the field it is about, in staff's words
 * (Vietnamese), and the report filed into the outbox when nothing stops
 * it.
 *
 * No sockets here: node_form.c gathers a POST's fields as text and sends
 * the answer this module makes. So the answer is the same whichever way
 * the fields came (the page with its script, without it, by hand).
 */
#ifndef NODE_FORM_FILING_H
#define NODE_FORM_FILING_H

#include "node_form_catalog.h"
#include "node_outbox.h"

#include <cjson/cJSON.h>
#include <stddef.h>

/* One grid cell of a POST (issue 17): its field, a combination's code
 * `sxh_cases[age=0-4,sex=nu]`, and what was typed in it. */
typedef struct {
    char *key;                     /* the field's name, as posted */
    char *val;                     /* its value text */
} node_form_cell_t;

/* A POST's fields. */
typedef struct {
    const char *period;            /* the period field, as typed */
    char *const *vals;             /* by catalogue index: the value text,
                                      NULL or "" when left empty */
    const node_form_cell_t *cells; /* grid cells, in the order posted */
    size_t ncells;                 /* their number */
} node_form_post_t;

/* Reads and checks post against catalog and the node's copy kept in
 * `store` (the outbox's folder; without a copy the report is filed
 * unchecked, and the answer says so), then files it for `unit` into
 * outbox when no field has an error. Sets *doc to the answer, the
 * caller's to delete: "errors" and "warnings" (objects, by field:
 * a figure's code, a cell's field, "period" or "form"), "checked", and
 * once filed "id", "period", "revision" and "figures". Returns the HTTP
 * status to send it with: 200 filed, 400 refused (errors say why), 500
 * the outbox could not store it. */
unsigned node_form_file(const node_form_catalog_t *catalog,
                        node_outbox_t *outbox, const char *unit,
                        const char *store, const node_form_post_t *post,
                        cJSON **doc);

#endif
