/*
 * node_form_server.c -- the station's form itself (design in node_form.h):
 * the web server of baocao-node-form, one libmicrohttpd thread, the
 * catalogue read once, the outbox opened once.
 *
 * Checks run on the server, before filing, so that a page with its
 * script switched off or a hand-made request gets exactly the same
 * answer; the page's script only shows the answer next to each field.
 * What a POST's fields become (read, checked, placed next to their
 * fields, filed) is node_form_filing.c's; this file serves the pages
 * and gathers the fields.
 *
 * Breakdown grids (what /api/form says of one, how a posted cell is read,
 * a grid's problems in staff's words) are node_form_grid.c's.
 */
#include "node_form_server.h"

#include "baocao.pb-c.h"
#include "bc_error.h"
#include "bc_fs.h"
#include "bc_http.h"
#include "bc_log.h"
#include "bc_mem.h"
#include "bc_period.h"
#include "bc_client.h"
#include "node_copy.h"
#include "node_form_assets.h"
#include "node_form_catalog.h"
#include "node_form_filing.h"
#include "node_form_grid.h"
#include "node_form_words.h"
#include "node_outbox.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FORM_MAX_BODY 65536        /* a month's report, form-encoded */
#define FORM_MAX_FIELD 64          /* one value or period */
#define FORM_MAX_KEY NODE_FORM_GRID_MAX_KEY  /* a grid cell's field name */
#define FORM_MAX_CELLS 4096        /* grid cells in one post */
#define FORM_MAX_URL 256

typedef struct {
    node_form_catalog_t catalog; /* the fields; empty until the hub has
                                  sent them (no --catalog) */
    node_outbox_t *outbox;     /* where reports are filed */
    const char *unit;          /* this station */
    const char *store;         /* its outbox folder, where the copy is */
    pthread_mutex_t lock;      /* the catalogue may arrive while serving */
} form_t;

/* Fields of one POST, gathered as they arrive. */
typedef struct {
    form_t *form;                  /* the form it is for */
    bc_http_body_t body;           /* the posted body (bc_http.h) */
    char period[FORM_MAX_FIELD];   /* the period field */
    char **vals;                   /* by catalogue index: value text */
    size_t nvals;                  /* = ninds */
    node_form_cell_t *cells;       /* grid cells, in the order posted */
    size_t ncells;                 /* their number */
} post_t;

/* --- answers --------------------------------------------------------------- */

static enum MHD_Result send_buf(struct MHD_Connection *conn, unsigned status,
                                const char *type, void *data, size_t len,
                                enum MHD_ResponseMemoryMode mode)
{
    struct MHD_Response *r = bc_http_response(
        type, data, len, mode, "default-src 'self'; frame-ancestors 'none'");
    if (!r)
        return MHD_NO;
    enum MHD_Result res = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return res;
}

static enum MHD_Result send_json(struct MHD_Connection *conn,
                                 unsigned status, cJSON *doc)
{
    char *text = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    return send_buf(conn, status, "application/json; charset=utf-8", text,
                    strlen(text), MHD_RESPMEM_MUST_FREE);
}

static enum MHD_Result send_error(struct MHD_Connection *conn,
                                  unsigned status, const char *message)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "error", message);
    return send_json(conn, status, o);
}

/* --- what was filed -------------------------------------------------------- */

static void add_entry(void *arg, const node_entry_t *e)
{
    cJSON *arr = arg, *o = cJSON_CreateObject();
    const char *state = e->state == NODE_DELIVERED ? "delivered"
                      : e->state == NODE_REJECTED ? "rejected"
                      : e->attempts ? "in_flight" : "pending";
    cJSON_AddStringToObject(o, "period", e->period);
    cJSON_AddNumberToObject(o, "revision", e->revision);
    cJSON_AddStringToObject(o, "state", state);
    cJSON_AddNumberToObject(o, "filed_at", (double) e->filed_at);
    cJSON_AddStringToObject(o, "id", e->id);
    if (e->state == NODE_REJECTED) {
        cJSON_AddStringToObject(o, "reason", node_form_words_reason(e->reason));
        cJSON_AddStringToObject(o, "hub_message", e->message);
    }
    /* Newest first: the page lists the latest at the top. */
    cJSON_InsertItemInArray(arr, 0, o);
}

static enum MHD_Result serve_reports(form_t *f, struct MHD_Connection *conn)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(doc, "reports");
    if (node_outbox_each(f->outbox, add_entry, arr)) {
        cJSON_Delete(doc);
        return send_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
                          "không đọc được hộp thư đi");
    }
    node_stats_t st;
    if (node_outbox_stats(f->outbox, &st) == BC_OK) {
        cJSON_AddNumberToObject(doc, "last_contact", (double) st.last_contact);
        cJSON_AddStringToObject(doc, "last_error", st.last_error);
    }
    return send_json(conn, MHD_HTTP_OK, doc);
}

/* The previous month, in Vietnam time: the report staff file now. */
static void suggested_period(char *out)
{
    time_t t = time(NULL) + BC_TZ_OFFSET;
    struct tm tm;
    gmtime_r(&t, &tm);
    unsigned y = (unsigned) tm.tm_year + 1900, m = (unsigned) tm.tm_mon + 1;
    if (--m == 0) {
        m = 12;
        y--;
    }
    bc_period_format(bc_period_make(y, BC_PT_MONTH, m), out);
}

static enum MHD_Result serve_form(form_t *f, struct MHD_Connection *conn)
{
    if (!f->catalog.inds)
        return send_error(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
                          "Đang chờ nhận danh mục chỉ tiêu từ tỉnh: máy "
                          "sẽ tự thử lại khi có kết nối");
    /* Breakdowns come from the copy of the hub's catalogue, whatever the
     * form's list of indicators was read from: without one, every
     * indicator has its total alone. */
    int rc;
    char err[512];
    node_copy_t *copy = node_copy_load(f->store, &rc, err, sizeof err);
    if (!copy && rc != BC_ENOTFOUND)
        BC_WARN("form: %s", err);
    const bc_registry_t *cat = copy ? node_copy_catalog(copy) : NULL;
    cJSON *doc = cJSON_CreateObject();
    char period[BC_PERIOD_STRLEN];
    suggested_period(period);
    cJSON_AddStringToObject(doc, "unit", f->unit);
    cJSON_AddStringToObject(doc, "period", period);
    cJSON *groups = cJSON_AddArrayToObject(doc, "programmes");
    cJSON *g = NULL;
    const char *gname = NULL;
    for (size_t i = 0; i < f->catalog.ninds; i++) {
        const node_form_ind_t *ind = &f->catalog.inds[i];
        if (ind->ratio)
            continue;      /* computed by the hub from its parts */
        if (!g || strcmp(gname, ind->programme)) {
            g = cJSON_CreateObject();
            cJSON_AddStringToObject(g, "name", ind->programme);
            cJSON_AddArrayToObject(g, "indicators");
            cJSON_AddItemToArray(groups, g);
            gname = ind->programme;
        }
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "code", ind->code);
        cJSON_AddStringToObject(o, "name", ind->name);
        const bc_indicator_t *ci = cat ? bc_registry_find_indicator(
                                             cat, ind->code) : NULL;
        if (ci && ci->ncats && ci->kind != BC_KIND_RATIO)
            node_form_grid_add(o, cat, ci);
        cJSON_AddItemToArray(cJSON_GetObjectItem(g, "indicators"), o);
    }
    node_copy_destroy(&copy);
    return send_json(conn, MHD_HTTP_OK, doc);
}

/* --- filing ---------------------------------------------------------------- */

/* A posted report: read, checked and filed by node_form_filing.c. */
static enum MHD_Result post_file(form_t *f, struct MHD_Connection *conn,
                                 post_t *p)
{
    node_form_post_t post = {p->period, p->vals, p->cells, p->ncells};
    cJSON *doc = NULL;
    unsigned status = node_form_file(&f->catalog, f->outbox, f->unit,
                                     f->store, &post, &doc);
    return send_json(conn, status, doc);
}

/* --- requests -------------------------------------------------------------- */

static enum MHD_Result on_field(void *cls, enum MHD_ValueKind kind,
                                const char *key, const char *filename,
                                const char *content_type,
                                const char *transfer_encoding,
                                const char *data, uint64_t off, size_t size)
{
    post_t *p = cls;
    form_t *f = p->form;
    char *dst = NULL;
    if (!strcmp(key, "period")) {
        dst = p->period;
    } else if (strchr(key, '[')) {
        /* A grid cell (issue 17): of one of our indicators, else not a
         * field of ours. libmicrohttpd hands a long value over in pieces,
         * one after the other: off > 0 continues the last cell. */
        size_t base = (size_t) (strchr(key, '[') - key);
        bool ours = false;
        for (size_t i = 0; i < f->catalog.ninds && !ours; i++)
            ours = strlen(f->catalog.inds[i].code) == base
                   && !strncmp(f->catalog.inds[i].code, key, base);
        if (!ours)
            return MHD_YES;
        if (strlen(key) >= FORM_MAX_KEY) {
            bc_http_body_bad_field(&p->body);
            return MHD_YES;
        }
        if (off == 0 || !p->ncells
            || strcmp(p->cells[p->ncells - 1].key, key)) {
            if (p->ncells == FORM_MAX_CELLS) {
                bc_http_body_bad_field(&p->body);
                return MHD_YES;
            }
            p->cells = bc_realloc(p->cells,
                                  (p->ncells + 1) * sizeof *p->cells);
            p->cells[p->ncells].key = bc_strdup(key);
            p->cells[p->ncells++].val = bc_calloc(1, FORM_MAX_FIELD);
        }
        dst = p->cells[p->ncells - 1].val;
    } else {
        int i = node_form_catalog_find(&f->catalog, key);
        if (i < 0)
            return MHD_YES;                /* not a field of ours */
        if (!p->vals[i])
            p->vals[i] = bc_calloc(1, FORM_MAX_FIELD);
        dst = p->vals[i];
    }
    if (off + size >= FORM_MAX_FIELD) {
        bc_http_body_bad_field(&p->body);
        return MHD_YES;
    }
    memcpy(dst + off, data, size);
    dst[off + size] = 0;
    return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *conn,
                         void **con_cls, enum MHD_RequestTerminationCode toe)
{
    post_t *p = *con_cls;
    if (!p)
        return;
    bc_http_body_end(&p->body);
    for (size_t i = 0; i < p->nvals; i++)
        free(p->vals[i]);
    free(p->vals);
    for (size_t i = 0; i < p->ncells; i++) {
        free(p->cells[i].key);
        free(p->cells[i].val);
    }
    free(p->cells);
    free(p);
    *con_cls = NULL;
}

static bool same_origin(struct MHD_Connection *conn)
{
    const char *origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                     "Origin");
    const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                   "Host");
    if (!origin)
        return true;
    if (!host)
        return false;
    char want[300];
    snprintf(want, sizeof want, "http://%s", host);
    return !strcmp(origin, want);
}

static enum MHD_Result handle(form_t *f, struct MHD_Connection *conn,
                              const char *url, const char *method,
                              const char *upload_data,
                              size_t *upload_data_size, void **con_cls)
{
    bool post = !strcmp(method, MHD_HTTP_METHOD_POST);
    if (!*con_cls) {
        if (!post && strcmp(method, MHD_HTTP_METHOD_GET)
            && strcmp(method, MHD_HTTP_METHOD_HEAD))
            return send_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
                              "GET, HEAD, or POST to /api/file");
        if (strlen(url) > FORM_MAX_URL)
            return send_error(conn, MHD_HTTP_URI_TOO_LONG, "URL too long");
        post_t *p = bc_calloc(1, sizeof *p);
        p->form = f;
        *con_cls = p;
        if (!post)
            return MHD_YES;
        if (strcmp(url, "/api/file"))
            return send_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
                              "nothing to post here");
        p->nvals = f->catalog.ninds;
        p->vals = bc_calloc(f->catalog.ninds + 1, sizeof *p->vals);
        unsigned st = bc_http_body_begin(&p->body, conn, FORM_MAX_BODY, 4096,
                                         on_field, p);
        if (st)
            return send_error(conn, st,
                              st == MHD_HTTP_CONTENT_TOO_LARGE
                                  ? "báo cáo quá lớn"
                              : st == MHD_HTTP_UNSUPPORTED_MEDIA_TYPE
                                  ? "application/x-www-form-urlencoded only"
                                  : "unreadable form");
        if (!same_origin(conn)
            || !MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                            "X-Baocao-Form"))
            return send_error(conn, MHD_HTTP_FORBIDDEN,
                              "only the station's own page may file");
        return MHD_YES;
    }
    post_t *p = *con_cls;
    unsigned st = bc_http_body_step(&p->body, upload_data, upload_data_size);
    if (st == 1)
        return MHD_YES;
    if (st)
        return send_error(conn, st,
                          st == MHD_HTTP_BAD_REQUEST ? "biểu mẫu hỏng"
                          : bc_http_body_posted(&p->body)
                              ? "báo cáo quá lớn" : "a GET has no body");
    bool posted = bc_http_body_posted(&p->body);
    if (posted && !f->catalog.inds)
        return send_error(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
                          "Chưa có danh mục chỉ tiêu: chưa lưu");
    if (posted)
        return post_file(f, conn, p);
    if (!strcmp(url, "/api/form"))
        return serve_form(f, conn);
    if (!strcmp(url, "/api/reports"))
        return serve_reports(f, conn);
    const char *path = !strcmp(url, "/") ? "/form.html" : url;
    for (const node_asset_t *a = node_form_assets; a->path; a++)
        if (!strcmp(a->path, path))
            return send_buf(conn, MHD_HTTP_OK, a->type, (void *) a->data,
                            a->size, MHD_RESPMEM_PERSISTENT);
    return send_error(conn, MHD_HTTP_NOT_FOUND, "no such page");
}

/* One request at a time against the catalogue, which the child's other
 * thread may install while the server runs. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version,
                                  const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    form_t *f = cls;
    pthread_mutex_lock(&f->lock);
    enum MHD_Result r = handle(f, conn, url, method, upload_data,
                               upload_data_size, con_cls);
    pthread_mutex_unlock(&f->lock);
    return r;
}

/* --- serving --------------------------------------------------------------- */

/* Serving until SIGTERM, asking the hub for the catalogue every few
 * seconds until it has one. Returns the exit status. */
static int serve(form_t *f, const sigset_t *stop,
                 const struct sockaddr_in *sa, const char *store,
                 const char *url_file, const char *hub,
                 const bc_security_t *sec)
{
    char err[512];
    int status = 1;
    if (!(f->outbox = node_outbox_open(store, err, sizeof err))) {
        BC_ERROR("form: %s", err);
        return 1;
    }
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, on_request, f,
        MHD_OPTION_SOCK_ADDR, (const struct sockaddr *) sa,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) 32768,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned) 32,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) 15,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
        MHD_OPTION_END);
    if (!d) {
        BC_ERROR("form: cannot listen on 127.0.0.1:%u",
                 ntohs(sa->sin_port));
        goto out_close;
    }
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    char url[128];
    char host[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &sa->sin_addr, host, sizeof host);
    snprintf(url, sizeof url, "http://%s:%u/", host, info ? info->port : 0);
    BC_INFO("form: serving %s for %s", url, f->unit);
    if (url_file) {
        char line[sizeof url + 1];
        int n = snprintf(line, sizeof line, "%s\n", url);
        if (bc_file_replace(url_file, line, (size_t) n, 0644, err,
                            sizeof err) != BC_OK) {
            BC_ERROR("form: %s", err);
            goto out_stop;
        }
    }
    bc_client_t *client = NULL;
    char cache[4096];
    snprintf(cache, sizeof cache, "%s/catalog.csv", store);
    if (!f->catalog.inds && hub && !(client = bc_client_new(hub, sec, err,
                                                   sizeof err)))
        BC_WARN("form: cannot ask the hub for the catalogue: %s", err);
    for (;;) {
        if (!f->catalog.inds && client
            && node_form_catalog_fetch(&f->catalog, &f->lock, client, cache))
            bc_client_destroy(&client);
        if (!f->catalog.inds) {
            /* The delivery loop's copy, when this link failed and its
             * did not (or without --hub here). */
            pthread_mutex_lock(&f->lock);
            bool got = node_form_catalog_load_copy(&f->catalog,
                                                   store) == BC_OK;
            pthread_mutex_unlock(&f->lock);
            if (got)
                BC_INFO("form: catalogue of %zu indicators from the node's "
                        "copy", f->catalog.ninds);
        }
        struct timespec wait = {f->catalog.inds ? 3600 : 3, 0};
        if (sigtimedwait(stop, NULL, &wait) > 0)
            break;
    }
    bc_client_destroy(&client);
    status = 0;
out_stop:
    MHD_stop_daemon(d);
out_close:
    node_outbox_close(&f->outbox);
    return status;
}


int node_form_serve(const node_form_config_t *cfg, const char *store,
                    const char *unit, const char *hub,
                    const bc_security_t *sec)
{
    char err[512];
    struct sockaddr_in sa;
    if (!store || !unit) {
        BC_ERROR("--form needs --store and --unit");
        return 2;
    }
    if (node_form_listen_address(cfg->listen, &sa, err, sizeof err)) {
        BC_ERROR("%s", err);
        return 2;
    }
    /* Blocked before libmicrohttpd's thread starts, so that it inherits
     * the mask and the stop reaches sigtimedwait() in serve(). */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    form_t f = {0};
    f.unit = unit;
    f.store = store;
    pthread_mutex_init(&f.lock, NULL);
    /* The catalogue: --catalog, else the copy the hub sent last time,
     * else the hub when it answers, else the delivery loop's copy of it
     * (node_copy.h). */
    char cache[4096];
    snprintf(cache, sizeof cache, "%s/catalog.csv", store);
    const char *src = cfg->catalog ? cfg->catalog
                    : access(cache, R_OK) == 0 ? cache : NULL;
    int status = 2;
    if (src && node_form_catalog_load(&f.catalog, src, err, sizeof err)) {
        BC_ERROR("%s", err);
        goto out;
    }
    if (!src)
        BC_INFO("form: no --catalog and no copy yet: asking the hub");
    status = serve(&f, &stop, &sa, store, cfg->url_file, hub, sec);
out:
    node_form_catalog_free(&f.catalog);
    pthread_mutex_destroy(&f.lock);
    return status;
}
