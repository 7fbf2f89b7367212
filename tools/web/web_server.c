/*
 * web_server.c -- baocao-web's HTTP side on libmicrohttpd: a route table,
 * argument checks before anything reaches the hub, the embedded assets,
 * JSON and CSV answers with headers that keep the pages to themselves
 * (a Content-Security-Policy of 'self' only: no inline script, no CDN).
 *
 * Routes and limits are listed in web_server.h; the CSV and Excel
 * downloads are written by web_csv.c and web_xlsx.c.
 */
#include "web_server.h"
#include "bc_http.h"

#include "bc_error.h"
#include "bc_log.h"
#include "bc_mem.h"
#include "web_assets.h"
#include "web_auth.h"
#include "bc_enroll.h"
#include "bc_keys.h"
#include "web_csv.h"
#include "web_xlsx.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#define WEB_MAX_URL 1024          /* longer URLs: 414 */
#define WEB_MAX_ARG 64            /* longer arguments: 400 */
#define WEB_CONN_MEMORY 16384     /* per connection: headers beyond it 431 */
#define WEB_MAX_CONNECTIONS 64    /* at once */
#define WEB_CONN_TIMEOUT_S 15     /* idle connections are closed */
#define WEB_MAX_BODY 4096         /* a form's body; larger: 413 */
#define WEB_COOKIE "bc_session"   /* the session cookie's name */

struct web_server_t {
    struct MHD_Daemon *daemon;   /* libmicrohttpd, one internal thread */
    web_hub_t *hub;              /* borrowed: the hub link */
    web_auth_t *auth;            /* borrowed: operators, or NULL: no login */
    const char *registry;        /* borrowed: registry approvals write */
    const char *pending;         /* borrowed: hub's pending keys, or NULL */
    long hub_pid;                /* told to reload keys (0: not told) */
    char host[128];              /* host part of --listen */
    unsigned port;               /* bound port */
};

/* --- answers --------------------------------------------------------------- */

/* Queues an answer. extra: NULL or name, value, ..., NULL (Set-Cookie,
 * Location, Content-Disposition). */
static enum MHD_Result send_buf(struct MHD_Connection *conn, unsigned status,
                                const char *type, void *data, size_t len,
                                enum MHD_ResponseMemoryMode mode,
                                const char *const *extra)
{
    /* The desk's policy also lets its pages show data: images. */
    struct MHD_Response *resp = bc_http_response(
        type, data, len, mode,
        "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
    if (!resp)
        return MHD_NO;
    for (; extra && extra[0] && extra[1]; extra += 2)
        MHD_add_response_header(resp, extra[0], extra[1]);
    enum MHD_Result r = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return r;
}

static enum MHD_Result send_text(struct MHD_Connection *conn,
                                 unsigned status, const char *type,
                                 char *text, const char *const *extra)
{
    return send_buf(conn, status, type, text, strlen(text),
                    MHD_RESPMEM_MUST_FREE, extra);
}

/* 303 See Other to location, with an optional Set-Cookie. */
static enum MHD_Result send_redirect(struct MHD_Connection *conn,
                                     const char *location,
                                     const char *cookie)
{
    const char *extra[] = {"Location", location,
                           cookie ? "Set-Cookie" : NULL, cookie, NULL};
    return send_buf(conn, MHD_HTTP_SEE_OTHER, "text/plain; charset=utf-8",
                    (void *) "", 0, MHD_RESPMEM_PERSISTENT, extra);
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

/* --- routes ---------------------------------------------------------------- */

typedef enum {
    OUT_JSON, OUT_CSV_DASH, OUT_CSV_KIDS, OUT_CSV_COMPL, OUT_XLSX_DASH,
    OUT_XLSX_COMPL
} out_t;

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
    {"/export/dashboard.xlsx", PAGE_DASHBOARD, OUT_XLSX_DASH, "bao-cao"},
    {"/export/completeness.xlsx", PAGE_COMPLETENESS, OUT_XLSX_COMPL,
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
    if (rt->out == OUT_XLSX_DASH || rt->out == OUT_XLSX_COMPL) {
        unsigned char *bytes = NULL;
        size_t len = 0;
        rc = rt->out == OUT_XLSX_DASH
            ? web_xlsx_dashboard(doc, &bytes, &len, err, sizeof err)
            : web_xlsx_completeness(doc, &bytes, &len, err, sizeof err);
        cJSON_Delete(doc);
        if (rc) {
            BC_ERROR("%s: %s", rt->path, err);
            return send_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, err);
        }
        char disp[160];
        snprintf(disp, sizeof disp, "attachment; filename=\"%s-%s-%s.xlsx\"",
                 rt->filename, unit, period);
        const char *extra[] = {"Content-Disposition", disp, NULL};
        return send_buf(conn, MHD_HTTP_OK, "application/vnd.openxmlformats-"
                        "officedocument.spreadsheetml.sheet", bytes, len,
                        MHD_RESPMEM_MUST_FREE, extra);
    }
    char *text = NULL;
    switch (rt->out) {
    case OUT_JSON:      text = cJSON_PrintUnformatted(doc); break;
    case OUT_CSV_DASH:  text = web_csv_dashboard(doc); break;
    case OUT_CSV_KIDS:  text = web_csv_children(doc); break;
    case OUT_CSV_COMPL: text = web_csv_completeness(doc); break;
    default:            break;   /* workbooks: above */
    }
    cJSON_Delete(doc);
    if (rt->out == OUT_JSON)
        return send_text(conn, MHD_HTTP_OK,
                         "application/json; charset=utf-8", text, NULL);
    char disp[160];
    snprintf(disp, sizeof disp, "attachment; filename=\"%s-%s-%s.csv\"",
             rt->filename, unit, period);
    const char *extra[] = {"Content-Disposition", disp, NULL};
    return send_text(conn, MHD_HTTP_OK, "text/csv; charset=utf-8", text,
                     extra);
}

static const web_asset_t *find_asset(const char *url)
{
    if (!strcmp(url, "/"))
        url = "/index.html";
    else if (!strcmp(url, "/completeness"))
        url = "/completeness.html";
    else if (!strcmp(url, "/login"))
        url = "/login.html";
    else if (!strcmp(url, "/enrol"))
        url = "/enrol.html";
    for (const web_asset_t *a = web_assets; a->path; a++)
        if (!strcmp(a->path, url))
            return a;
    return NULL;
}

/* --- forms and sessions ---------------------------------------------------- */

/* What one connection carries between libmicrohttpd's calls: the fields of
 * a posted form as they arrive. */
typedef struct {
    bc_http_body_t form;                 /* the posted form's body
                                            (bc_http.h), POST only */
    char name[WEB_NAME_MAX + 1];         /* login: operator */
    char password[WEB_PASSWORD_MAX + 1]; /* login: password */
    char csrf[WEB_TOKEN_LEN + 1];        /* changing forms: CSRF token */
    char unit[WEB_MAX_ARG + 1];          /* enrolment: the unit */
    char fingerprint[32];                /* enrolment: as read out */
    char next[256];                      /* login: where to go after */
} conn_t;

/* Appends a chunk of a form field to its buffer; libmicrohttpd hands a
 * long value over in pieces, at offset off. */
static void take(conn_t *c, char *dst, size_t cap, const char *data,
                 uint64_t off, size_t size)
{
    if (off + size >= cap) {
        bc_http_body_bad_field(&c->form);
        return;
    }
    memcpy(dst + off, data, size);
    dst[off + size] = 0;
}

static enum MHD_Result on_field(void *cls, enum MHD_ValueKind kind,
                                const char *key, const char *filename,
                                const char *content_type,
                                const char *transfer_encoding,
                                const char *data, uint64_t off, size_t size)
{
    conn_t *c = cls;
    if (!strcmp(key, "name"))
        take(c, c->name, sizeof c->name, data, off, size);
    else if (!strcmp(key, "password"))
        take(c, c->password, sizeof c->password, data, off, size);
    else if (!strcmp(key, "csrf"))
        take(c, c->csrf, sizeof c->csrf, data, off, size);
    else if (!strcmp(key, "next"))
        take(c, c->next, sizeof c->next, data, off, size);
    else if (!strcmp(key, "unit"))
        take(c, c->unit, sizeof c->unit, data, off, size);
    else if (!strcmp(key, "fingerprint"))
        take(c, c->fingerprint, sizeof c->fingerprint, data, off, size);
    return MHD_YES;                      /* other fields are ignored */
}

static void on_completed(void *cls, struct MHD_Connection *conn,
                         void **con_cls, enum MHD_RequestTerminationCode toe)
{
    conn_t *c = *con_cls;
    if (!c)
        return;
    bc_http_body_end(&c->form);
    sodium_memzero(c, sizeof *c);        /* the password was in here */
    free(c);
    *con_cls = NULL;
}

/* A path to return to after logging in: ours (one leading '/', no
 * scheme, no host) and made of plain characters, else "/". */
static const char *safe_next(const char *next)
{
    if (next[0] != '/' || next[1] == '/' || strlen(next) > 200)
        return "/";
    for (const char *p = next; *p; p++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                    "0123456789/?&=-_.%", *p))
            return "/";
    return next;
}

/* Collects the page's own arguments back into a query string for the
 * login page's "next", skipping any that is not a plain code. */
typedef struct {
    char buf[200];   /* "?unit=X&period=Y" */
    size_t len;      /* used */
} query_t;

static enum MHD_Result add_arg(void *cls, enum MHD_ValueKind kind,
                               const char *key, const char *value)
{
    query_t *q = cls;
    if (!value || strlen(key) > 16 || strlen(value) > WEB_MAX_ARG)
        return MHD_YES;
    for (const char *p = value; *p; p++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                    "0123456789-_", *p))
            return MHD_YES;
    int n = snprintf(q->buf + q->len, sizeof q->buf - q->len, "%s%s=%s",
                     q->len ? "%26" : "%3F", key, value);
    if (n > 0 && (size_t) n < sizeof q->buf - q->len)
        q->len += (size_t) n;
    else
        q->buf[q->len] = 0;
    return MHD_YES;
}

static enum MHD_Result to_login(struct MHD_Connection *conn, const char *url)
{
    query_t q = {.len = 0};
    q.buf[0] = 0;
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, add_arg, &q);
    char loc[512];
    snprintf(loc, sizeof loc, "/login?next=%s%s", url, q.buf);
    return send_redirect(conn, loc, NULL);
}

/* A form posted from another site is refused whatever it carries: the
 * browser names the page's origin, which must be this server. */
static bool same_origin(struct MHD_Connection *conn)
{
    const char *origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                     "Origin");
    const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                   "Host");
    if (!origin)
        return true;          /* not a browser's cross-site form */
    if (!host)
        return false;
    char want[300];
    snprintf(want, sizeof want, "http://%s", host);
    return !strcmp(origin, want);
}

static enum MHD_Result post_login(web_server_t *self,
                                  struct MHD_Connection *conn, conn_t *c)
{
    const web_session_t *s = web_auth_login(self->auth, c->name,
                                            c->password);
    sodium_memzero(c->password, sizeof c->password);
    if (!s) {
        BC_WARN("login refused for '%s'", c->name);
        char loc[300];
        snprintf(loc, sizeof loc, "/login?failed=1&next=%s",
                 safe_next(c->next));
        return send_redirect(conn, loc, NULL);
    }
    BC_INFO("operator %s logged in", s->name);
    char cookie[160];
    /* HttpOnly: no script reads it; SameSite=Strict: no other site's
     * page makes the browser send it. */
    snprintf(cookie, sizeof cookie, WEB_COOKIE "=%s; Path=/; HttpOnly; "
             "SameSite=Strict; Max-Age=%d", s->token, WEB_SESSION_IDLE_S);
    return send_redirect(conn, safe_next(c->next), cookie);
}

static enum MHD_Result post_logout(web_server_t *self,
                                   struct MHD_Connection *conn, conn_t *c,
                                   const web_session_t *s, const char *token)
{
    if (!web_auth_csrf_ok(s, c->csrf))
        return send_error(conn, MHD_HTTP_FORBIDDEN, "bad CSRF token");
    BC_INFO("operator %s logged out", s->name);
    web_auth_logout(self->auth, token);
    return send_redirect(conn, "/login", WEB_COOKIE "=; Path=/; HttpOnly; "
                         "SameSite=Strict; Max-Age=0");
}

/* {"login": true, "name", "role", "csrf"}: what the pages' scripts need to
 * show who is logged in and to fill the forms' CSRF fields. */
static enum MHD_Result send_session(struct MHD_Connection *conn,
                                    const web_session_t *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "login", s != NULL);
    if (s) {
        cJSON_AddStringToObject(o, "name", s->name);
        cJSON_AddStringToObject(o, "role", s->role);
        cJSON_AddStringToObject(o, "csrf", s->csrf);
    }
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return send_text(conn, MHD_HTTP_OK, "application/json; charset=utf-8",
                     text, NULL);
}

/* --- enrolment ------------------------------------------------------------- */

typedef struct {
    cJSON *arr;              /* the list being built */
    const char *registry;    /* to mark keys already approved */
} enrol_list_t;

static void add_pending(void *arg, const char *key, const char *fp,
                        int64_t first_seen, const char *address)
{
    enrol_list_t *l = arg;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "fingerprint", fp);
    cJSON_AddNumberToObject(o, "first_seen", (double) first_seen);
    cJSON_AddStringToObject(o, "address", address);
    cJSON_AddBoolToObject(o, "approved",
                          bc_enroll_key_known(l->registry, key));
    cJSON_AddItemToArray(l->arr, o);
}

/* {"enabled", "pending": [{fingerprint, first_seen, address, approved}]}:
 * the keys the hub refused and recorded. Keys themselves stay off the
 * page: the fingerprint is what staff compare. */
static enum MHD_Result send_enrolments(web_server_t *self,
                                       struct MHD_Connection *conn)
{
    cJSON *doc = cJSON_CreateObject();
    bool on = self->pending && self->auth;
    cJSON_AddBoolToObject(doc, "enabled", on);
    enrol_list_t l = {cJSON_AddArrayToObject(doc, "pending"),
                      self->registry};
    char err[512];
    if (on && access(self->pending, F_OK) == 0
        && bc_enroll_each(self->pending, add_pending, &l, err, sizeof err)) {
        cJSON_Delete(doc);
        return send_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, err);
    }
    char *text = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    return send_text(conn, MHD_HTTP_OK, "application/json; charset=utf-8",
                     text, NULL);
}

/* POST /api/enroll (unit, fingerprint, csrf): the same approval as
 * `baocao registry approve-key`, then SIGHUP to the hub. */
static enum MHD_Result post_enroll(web_server_t *self,
                                   struct MHD_Connection *conn, conn_t *c,
                                   const web_session_t *s)
{
    if (!web_auth_csrf_ok(s, c->csrf))
        return send_error(conn, MHD_HTTP_FORBIDDEN, "bad CSRF token");
    if (!self->pending)
        return send_error(conn, MHD_HTTP_NOT_FOUND, "this desk approves no "
                          "keys (no --pending)");
    char err[512], key[41];
    int rc = bc_enroll_find(self->pending, c->fingerprint, key, err,
                            sizeof err);
    if (!rc)
        rc = bc_enroll_write_key(self->registry, c->unit, key, err,
                                 sizeof err);
    if (rc) {
        BC_WARN("enrolment of '%s' refused: %s", c->unit, err);
        return send_error(conn, rc == BC_EIO ? 500 : MHD_HTTP_BAD_REQUEST,
                          err);
    }
    char fp[20];
    bc_keys_fingerprint(key, fp);
    BC_INFO("operator %s approved key %s for %s", s->name, fp, c->unit);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "unit", c->unit);
    cJSON_AddStringToObject(o, "fingerprint", fp);
    bool told = self->hub_pid > 0 && kill((pid_t) self->hub_pid, SIGHUP) == 0;
    cJSON_AddBoolToObject(o, "hub_reloaded", told);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return send_text(conn, MHD_HTTP_OK, "application/json; charset=utf-8",
                     text, NULL);
}

/* Pages anyone may load: what the login page itself needs. */
static bool is_public(const char *url)
{
    return !strcmp(url, "/login") || !strcmp(url, "/login.html")
           || !strcmp(url, "/style.css") || !strcmp(url, "/app.js");
}

/* --- dispatch -------------------------------------------------------------- */

/* The first call for a request: headers only. Refuses at once what cannot
 * be served, so that an unwanted body is never read. */
static enum MHD_Result on_headers(web_server_t *self,
                                  struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  void **con_cls)
{
    bool post = !strcmp(method, MHD_HTTP_METHOD_POST);
    if (!post && strcmp(method, MHD_HTTP_METHOD_GET)
        && strcmp(method, MHD_HTTP_METHOD_HEAD))
        return send_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
                          "only GET, HEAD, and POST to forms");
    if (strlen(url) > WEB_MAX_URL)
        return send_error(conn, MHD_HTTP_URI_TOO_LONG, "URL too long");
    conn_t *c = bc_calloc(1, sizeof *c);
    *con_cls = c;
    if (!post)
        return MHD_YES;
    if (!self->auth || (strcmp(url, "/login") && strcmp(url, "/logout")
                        && strcmp(url, "/api/enroll")))
        return send_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
                          "nothing to post here");
    unsigned st = bc_http_body_begin(&c->form, conn, WEB_MAX_BODY, 1024,
                                     on_field, c);
    if (st)
        return send_error(conn, st,
                          st == MHD_HTTP_CONTENT_TOO_LARGE ? "form too large"
                          : st == MHD_HTTP_UNSUPPORTED_MEDIA_TYPE
                              ? "a form is application/x-www-form-urlencoded"
                              : "unreadable form");
    if (!same_origin(conn))
        return send_error(conn, MHD_HTTP_FORBIDDEN,
                          "a form from another site");
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version,
                                  const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    web_server_t *self = cls;
    if (!*con_cls)
        return on_headers(self, conn, url, method, con_cls);
    conn_t *c = *con_cls;
    /* The body, in pieces. A GET has none; a form at most WEB_MAX_BODY
     * (Content-Length can be absent with chunked encoding). */
    unsigned st = bc_http_body_step(&c->form, upload_data, upload_data_size);
    if (st == 1)
        return MHD_YES;
    if (st)
        return send_error(conn, st,
                          st == MHD_HTTP_BAD_REQUEST ? "malformed form"
                          : bc_http_body_posted(&c->form)
                              ? "form too large" : "a GET has no body");
    bool posted = bc_http_body_posted(&c->form);

    /* Who is asking. Without --operators, nobody logs in. */
    const char *token = MHD_lookup_connection_value(conn, MHD_COOKIE_KIND,
                                                    WEB_COOKIE);
    const web_session_t *s = self->auth ? web_auth_session(self->auth, token)
                                        : NULL;
    if (posted && !strcmp(url, "/login"))
        return post_login(self, conn, c);
    if (!strcmp(url, "/api/session"))
        return send_session(conn, s);
    if (self->auth && !s && !is_public(url)) {
        if (!strncmp(url, "/api/", 5) || !strncmp(url, "/export/", 8)
            || posted)
            return send_error(conn, MHD_HTTP_UNAUTHORIZED, "log in first");
        return to_login(conn, url);
    }
    if (posted && !strcmp(url, "/api/enroll"))
        return post_enroll(self, conn, c, s);
    if (posted)   /* the only other form */
        return post_logout(self, conn, c, s, token);
    if (!strcmp(url, "/api/enrolments"))
        return send_enrolments(self, conn);

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

/* libmicrohttpd's own messages: its format, our log (the attribute tells
 * the compiler fmt is a printf format, which clang's -Wformat-nonliteral
 * in the fuzz build asks for). */
static void mhd_log(void *cls, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    line[strcspn(line, "\n")] = 0;
    BC_WARN("http: %s", line);
}

web_server_t *web_server_new(web_hub_t *hub, web_auth_t *auth,
                             const char *listen, char *err, size_t errlen)
{
    web_server_t *self = bc_calloc(1, sizeof *self);
    struct sockaddr_storage ss;
    socklen_t sslen;
    self->hub = hub;
    self->auth = auth;
    if (parse_listen(listen, self->host, sizeof self->host, &ss, &sslen, err,
                     errlen))
        goto out_fail;
    if (!is_loopback(&ss) && !auth) {
        bc_set_error(err, errlen, "--listen %s is not loopback: give "
                     "--operators FILE so that operators must log in",
                     listen);
        goto out_fail;
    }
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
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
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

void web_server_set_enrolment(web_server_t *self, const char *registry,
                              const char *pending, long hub_pid)
{
    self->registry = registry;
    self->pending = pending;
    self->hub_pid = hub_pid;
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
