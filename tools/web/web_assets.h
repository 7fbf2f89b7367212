/*
 * web_assets.h -- the pages, scripts and styles of baocao-web, compiled
 * into the binary (tools/web/embed.cmake generates the table at build
 * time from tools/web/assets/ and Debian's libjs-chart.js).
 */
#ifndef WEB_ASSETS_H
#define WEB_ASSETS_H

#include <stddef.h>

typedef struct {
    const char *path;            /* URL path, e.g. "/app.js" */
    const char *type;            /* Content-Type */
    const unsigned char *data;   /* the bytes (NUL-terminated copy) */
    size_t size;                 /* length, without the terminator */
} web_asset_t;

/* Every asset, ended by an entry whose path is NULL. */
extern const web_asset_t web_assets[];

#endif
