/*
 * web_server.c -- baocao-web's HTTP side on libmicrohttpd: a route table,
 * argument checks before anything reaches the hub, the embedded assets,
 * JSON and CSV answers with headers that keep the pages to themselves
 * (a Content-Security-Policy of 'self' only: no inline script, no CDN).
 *
 * Routes and limits are listed in web_server.h.
 */
#include "web_server.h"

#include "bc_error.h"
#include "bc_log.h"
#include "bc_mem.h"
#include "web_assets.h"

#include <arpa/inet.h>
#include <math.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define WEB_MAX_URL 1024          /* longer URLs: 414 */
#define WEB_MAX_ARG 64            /* longer arguments: 400 */
#define WEB_CONN_MEMORY 16384     /* per connection: headers beyond it 431 */
#define WEB_MAX_CONNECTIONS 64    /* at once */
#define WEB_CONN_TIMEOUT_S 15     /* idle connections are closed */

struct web_server_t {
    struct MHD_Daemon *daemon;   /* libmicrohttpd, one internal thread */
    web_hub_t *hub;              /* borrowed: the hub link */
    char host[128];              /* host part of --listen */
    unsigned port;               /* bound port */
};

/* --- answers --------------------------------------------------------------- */

static enum MHD_Result send_buf(struct MHD_Connection *conn, unsigned status,
                                const char *type, void *data, size_t len,
                                enum MHD_ResponseMemoryMode mode,
                                const char *disposition)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, data,
                                                                mode);
    if (!resp) {
        if (mode == MHD_RESPMEM_MUST_FREE)
            free(data);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", type);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "Content-Security-Policy",
                            "default-src 'self'; img-src 'self' data:; "
                            "frame-ancestors 'none'");
    /* Figures change as reports arrive: never show a cached page. */
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    if (disposition)
        MHD_add_response_header(resp, "Content-Disposition", disposition);
    enum MHD_Result r = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return r;
}

static enum MHD_Result send_text(struct MHD_Connection *conn,
                                 unsigned status, const char *type,
                                 char *text, const char *disposition)
{
    return send_buf(conn, status, type, text, strlen(text),
                    MHD_RESPMEM_MUST_FREE, disposition);
}

/* {"error": message} with an HTTP status. */
static enum MHD_Result send_error(struct MHD_Connection *conn,
                                  unsigned status, const char *message)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "error", message);
    cJSON_AddNumberToObject(o, "status", status);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return send_text(conn, status, "application/json; charset=utf-8", text,
                     NULL);
}

/* Maps a web_hub error to an HTTP status: the caller's fault is 4xx, the
 * hub's silence 5xx. */
static unsigned status_of(int rc)
{
    switch (rc) {
    case BC_EINVAL:   return MHD_HTTP_BAD_REQUEST;
    case BC_ENOTFOUND: return MHD_HTTP_NOT_FOUND;
    case BC_ETIMEOUT: return MHD_HTTP_GATEWAY_TIMEOUT;
    default:          return MHD_HTTP_BAD_GATEWAY;
    }
}

/* --- arguments ------------------------------------------------------------- */

/* Reads a query-string argument. Returns 0 with *out NULL when absent, -1
 * when it is too long or holds a byte that no unit, period or indicator
 * code has. */
static int arg(struct MHD_Connection *conn, const char *name,
               const char **out)
{
    const char *v = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND,
                                                name);
    *out = NULL;
    if (!v)
        return 0;
    size_t len = strlen(v);
    if (len > WEB_MAX_ARG)
        return -1;
    for (size_t i = 0; i < len; i++) {
        char c = v[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return -1;
    }
    *out = len ? v : NULL;
    return 0;
}

/* --- CSV ------------------------------------------------------------------- */

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

static char *dashboard_csv(const cJSON *doc)
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

static char *children_csv(const cJSON *doc)
{
    static const char *const keys[] = {"rank", "unit", "name", "value",
                                       "cumulative", "target_pct", "share"};
    strbuf_t sb = {0};
    csv_rows(&sb, cJSON_GetObjectItem(doc, "children"), keys,
             sizeof keys / sizeof keys[0]);
    return sb.buf;
}

static char *completeness_csv(const cJSON *doc)
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

/* --- routes ---------------------------------------------------------------- */

typedef enum { OUT_JSON, OUT_CSV_DASH, OUT_CSV_KIDS, OUT_CSV_COMPL } out_t;

typedef enum { PAGE_DASHBOARD, PAGE_COMPLETENESS } page_t;

typedef struct {
    const char *path;        /* exact URL path */
    page_t page;             /* which document */
    out_t out;               /* how it is written */
    const char *filename;    /* CSV download name */
} route_t;

static const route_t routes[] = {
    {"/api/dashboard", PAGE_DASHBOARD, OUT_JSON, NULL},
    {"/api/completeness", PAGE_COMPLETENESS, OUT_JSON, NULL},
    {"/export/dashboard.csv", PAGE_DASHBOARD, OUT_CSV_DASH, "chi-tieu"},
    {"/export/children.csv", PAGE_DASHBOARD, OUT_CSV_KIDS, "xep-hang"},
    {"/export/completeness.csv", PAGE_COMPLETENESS, OUT_CSV_COMPL,
     "bao-cao-day-du"},
};

static enum MHD_Result serve_route(web_server_t *self,
                                   struct MHD_Connection *conn,
                                   const route_t *rt)
{
    const char *unit, *period, *indicator;
    if (arg(conn, "unit", &unit) || arg(conn, "period", &period)
        || arg(conn, "indicator", &indicator))
        return send_error(conn, MHD_HTTP_BAD_REQUEST,
                          "arguments are codes: letters, digits, - and _, "
                          "at most 64");
    char err[512] = "";
    cJSON *doc = NULL;
    int rc = rt->page == PAGE_DASHBOARD
        ? web_hub_dashboard(self->hub, unit, period, indicator, &doc, err,
                            sizeof err)
        : web_hub_completeness(self->hub, unit, period, &doc, err,
                               sizeof err);
    if (rc) {
        unsigned st = status_of(rc);
        if (st >= 500)
            BC_WARN("%s: %s", rt->path, err);
        return send_error(conn, st, err);
    }
    char *text = NULL;
    switch (rt->out) {
    case OUT_JSON:      text = cJSON_PrintUnformatted(doc); break;
    case OUT_CSV_DASH:  text = dashboard_csv(doc); break;
    case OUT_CSV_KIDS:  text = children_csv(doc); break;
    case OUT_CSV_COMPL: text = completeness_csv(doc); break;
    }
    cJSON_Delete(doc);
    if (rt->out == OUT_JSON)
        return send_text(conn, MHD_HTTP_OK,
                         "application/json; charset=utf-8", text, NULL);
    char disp[160];
    snprintf(disp, sizeof disp, "attachment; filename=\"%s-%s-%s.csv\"",
             rt->filename, unit, period);
    return send_text(conn, MHD_HTTP_OK, "text/csv; charset=utf-8", text,
                     disp);
}

static const web_asset_t *find_asset(const char *url)
{
    if (!strcmp(url, "/"))
        url = "/index.html";
    else if (!strcmp(url, "/completeness"))
        url = "/completeness.html";
    for (const web_asset_t *a = web_assets; a->path; a++)
        if (!strcmp(a->path, url))
            return a;
    return NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version,
                                  const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    web_server_t *self = cls;
    if (strcmp(method, MHD_HTTP_METHOD_GET)
        && strcmp(method, MHD_HTTP_METHOD_HEAD))
        return send_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
                          "only GET and HEAD");
    /* First call: headers only. A GET carrying a body is refused before
     * the body is read. */
    if (!*con_cls) {
        *con_cls = self;
        return MHD_YES;
    }
    if (*upload_data_size) {
        *upload_data_size = 0;
        return send_error(conn, 413 /* content too large */,
                          "a GET has no body");
    }
    if (strlen(url) > WEB_MAX_URL)
        return send_error(conn, MHD_HTTP_URI_TOO_LONG, "URL too long");
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
        if (!strcmp(url, routes[i].path))
            return serve_route(self, conn, &routes[i]);
    const web_asset_t *a = find_asset(url);
    if (a)
        return send_buf(conn, MHD_HTTP_OK, a->type, (void *) a->data,
                        a->size, MHD_RESPMEM_PERSISTENT, NULL);
    return send_error(conn, MHD_HTTP_NOT_FOUND, "no such page");
}

/* --- life cycle ------------------------------------------------------------ */

/* Splits "HOST:PORT" / "[V6]:PORT" and resolves it numerically (plus
 * "localhost"). */
static int parse_listen(const char *listen, char *host, size_t hostlen,
                        struct sockaddr_storage *ss, socklen_t *sslen,
                        char *err, size_t errlen)
{
    const char *colon = strrchr(listen, ':');
    if (!colon || colon == listen || !colon[1])
        goto out_bad;
    const char *h = listen;
    size_t hl = (size_t) (colon - listen);
    if (*h == '[') {
        if (hl < 3 || h[hl - 1] != ']')
            goto out_bad;
        h++;
        hl -= 2;
    }
    if (hl >= hostlen)
        goto out_bad;
    memcpy(host, h, hl);
    host[hl] = 0;
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 0 || port > 65535)
        goto out_bad;
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | (strcmp(host, "localhost")
                                           ? AI_NUMERICHOST : 0);
    if (getaddrinfo(host, colon + 1, &hints, &res) || !res)
        goto out_bad;
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *sslen = res->ai_addrlen;
    freeaddrinfo(res);
    return BC_OK;
out_bad:
    bc_set_error(err, errlen, "--listen '%s': expected HOST:PORT, e.g. "
                 "127.0.0.1:8080", listen);
    return BC_EINVAL;
}

static bool is_loopback(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *) ss)->sin_addr.s_addr)
                >> 24) == 127;
    if (ss->ss_family == AF_INET6)
        return IN6_IS_ADDR_LOOPBACK(
            &((const struct sockaddr_in6 *) ss)->sin6_addr);
    return false;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    line[strcspn(line, "\n")] = 0;
    BC_WARN("http: %s", line);
}

web_server_t *web_server_new(web_hub_t *hub, const char *listen, char *err,
                             size_t errlen)
{
    web_server_t *self = bc_calloc(1, sizeof *self);
    struct sockaddr_storage ss;
    socklen_t sslen;
    self->hub = hub;
    if (parse_listen(listen, self->host, sizeof self->host, &ss, &sslen, err,
                     errlen))
        goto out_fail;
    if (!is_loopback(&ss))
        BC_WARN("listening on %s, which is not loopback: the pages are "
                "reachable from the network", listen);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    self->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, self,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &ss,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) WEB_CONN_MEMORY,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned) WEB_MAX_CONNECTIONS,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) WEB_CONN_TIMEOUT_S,
        MHD_OPTION_END);
    if (!self->daemon) {
        bc_set_error(err, errlen, "cannot listen on %s (in use, or not an "
                     "address of this machine)", listen);
        goto out_fail;
    }
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(self->daemon, MHD_DAEMON_INFO_BIND_PORT);
    self->port = info ? info->port : 0;
    return self;
out_fail:
    web_server_destroy(&self);
    return NULL;
}

unsigned web_server_port(const web_server_t *self)
{
    return self->port;
}

const char *web_server_host(const web_server_t *self)
{
    return self->host;
}

void web_server_destroy(web_server_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    web_server_t *self = *self_p;
    if (self->daemon)
        MHD_stop_daemon(self->daemon);
    free(self);
    *self_p = NULL;
}
