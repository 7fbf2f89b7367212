/*
 * node_form_assets.h -- the station form's page, script and style,
 * compiled into baocao-node (tools/web/embed.cmake generates the table
 * from node/form/ and the desk's style sheet at build time).
 */
#ifndef NODE_FORM_ASSETS_H
#define NODE_FORM_ASSETS_H

#include <stddef.h>

typedef struct {
    const char *path;            /* URL path, e.g. "/form.js" */
    const char *type;            /* Content-Type */
    const unsigned char *data;   /* the bytes (NUL-terminated copy) */
    size_t size;                 /* length, without the terminator */
} node_asset_t;

/* Every asset, ended by an entry whose path is NULL. */
extern const node_asset_t node_form_assets[];

#endif
