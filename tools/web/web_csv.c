/*
 * web_csv.c -- the desk's pages as CSV (see web_csv.h): a growing string,
 * RFC 4180 fields, and one writer a table.
 *
 * Apart from the server (web_server.c) as the workbooks are (web_xlsx.c):
 * turning a page's JSON into a download is the same whoever serves it,
 * and needs neither libmicrohttpd nor the hub.
 */
#include "web_csv.h"

#include "bc_mem.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    char *buf;     /* text so far */
    size_t len;    /* its length */
    size_t cap;    /* allocated */
} strbuf_t;

static void sb_add(strbuf_t *sb, const char *s, size_t n)
{
    if (sb->len + n + 1 > sb->cap) {
        sb->cap = (sb->len + n + 1) * 2;
        sb->buf = bc_realloc(sb->buf, sb->cap);
    }
    memcpy(sb->buf + sb->len, s, n);
    sb->len += n;
    sb->buf[sb->len] = 0;
}

static void sb_str(strbuf_t *sb, const char *s)
{
    sb_add(sb, s, strlen(s));
}

/* One CSV field (RFC 4180 quoting) and its separator. */
static void csv_field(strbuf_t *sb, const char *s, bool last)
{
    if (strpbrk(s, ",\"\n\r")) {
        sb_str(sb, "\"");
        for (; *s; s++) {
            if (*s == '"')
                sb_add(sb, "\"", 1);
            sb_add(sb, s, 1);
        }
        sb_str(sb, "\"");
    } else {
        sb_str(sb, s);
    }
    sb_str(sb, last ? "\r\n" : ",");
}

/* A JSON value as a CSV cell: numbers plainly (whole numbers without
 * decimals, others with two), null as empty. */
static void csv_json(strbuf_t *sb, const cJSON *v, bool last)
{
    char tmp[64];
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        snprintf(tmp, sizeof tmp, d == floor(d) && fabs(d) < 1e15 ? "%.0f"
                                                                  : "%.2f",
                 d);
        csv_field(sb, tmp, last);
    } else if (cJSON_IsString(v)) {
        csv_field(sb, v->valuestring, last);
    } else {
        csv_field(sb, "", last);
    }
}

/* Rows of objects as CSV with the given keys as columns. */
static void csv_rows(strbuf_t *sb, const cJSON *rows,
                     const char *const *keys, size_t nkeys)
{
    for (size_t k = 0; k < nkeys; k++)
        csv_field(sb, keys[k], k == nkeys - 1);
    const cJSON *row;
    cJSON_ArrayForEach(row, rows)
        for (size_t k = 0; k < nkeys; k++)
            csv_json(sb, cJSON_GetObjectItem(row, keys[k]), k == nkeys - 1);
}

char *web_csv_dashboard(const cJSON *doc)
{
    static const char *const keys[] = {
        "programme", "indicator", "name", "kind", "value", "cumulative",
        "previous", "change_previous", "same_period_last_year",
        "change_last_year", "target", "target_pct"};
    strbuf_t sb = {0};
    cJSON *all = cJSON_CreateArray(), *g, *f;
    /* Flatten the groups into one table; the programme is a column. */
    cJSON_ArrayForEach(g, cJSON_GetObjectItem(doc, "programmes"))
        cJSON_ArrayForEach(f, cJSON_GetObjectItem(g, "figures"))
            cJSON_AddItemReferenceToArray(all, f);
    csv_rows(&sb, all, keys, sizeof keys / sizeof keys[0]);
    cJSON_Delete(all);
    return sb.buf;
}

char *web_csv_children(const cJSON *doc)
{
    static const char *const keys[] = {"rank", "unit", "name", "value",
                                       "cumulative", "target_pct", "share"};
    strbuf_t sb = {0};
    csv_rows(&sb, cJSON_GetObjectItem(doc, "children"), keys,
             sizeof keys / sizeof keys[0]);
    return sb.buf;
}

char *web_csv_completeness(const cJSON *doc)
{
    strbuf_t sb = {0};
    const cJSON *months = cJSON_GetObjectItem(doc, "months"), *m, *row;
    csv_field(&sb, "unit", false);
    csv_field(&sb, "name", false);
    cJSON_ArrayForEach(m, months)
        csv_json(&sb, cJSON_GetObjectItem(m, "period"), false);
    csv_field(&sb, "rate_pct", true);
    cJSON_ArrayForEach(row, cJSON_GetObjectItem(doc, "units")) {
        csv_json(&sb, cJSON_GetObjectItem(row, "unit"), false);
        csv_json(&sb, cJSON_GetObjectItem(row, "name"), false);
        const cJSON *states = cJSON_GetObjectItem(row, "states");
        int i = 0;
        cJSON_ArrayForEach(m, months)
            csv_json(&sb, cJSON_GetArrayItem(states, i++), false);
        csv_json(&sb, cJSON_GetObjectItem(row, "rate_pct"), true);
    }
    csv_field(&sb, "", false);
    csv_field(&sb, "rate_pct", false);
    cJSON_ArrayForEach(m, months)
        csv_json(&sb, cJSON_GetObjectItem(m, "rate_pct"), false);
    csv_field(&sb, "", true);
    return sb.buf;
}
