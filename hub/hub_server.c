/*
 * hub_server.c -- the hub's event loop (design in hub_server.h).
 *
 * Request handling is a table: each Request body case maps to one handler;
 * submissions are the only ones deferred to the batch commit. Every request
 * is answered, with an Error reply when it cannot be served, so a client is
 * never left waiting on a malformed or unknown request.
 *
 * A disk that fails under the store (BC_EFATAL: EIO from a write or a sync,
 * or MDB_PANIC) ends the loop: the hub logs it once at ERROR with the
 * store's path and what to check, answers the submissions it holds with
 * RETRY_LATER, takes nothing more, and hub_server_run() returns BC_EFATAL
 * so that main() exits with BC_EXIT_STORE_FAILED and the supervisor
 * restarts it. Living on would be a zombie: LMDB refuses every later
 * transaction of an environment marked fatal, and after a failed fsync the
 * kernel may have dropped the pages it could not write ("fsyncgate"), so a
 * retry could appear to succeed. A restart reopens the store at its newest
 * intact meta page, the last commit that returned success: everything
 * acknowledged is there, and nothing that was not acknowledged is.
 */
#include "hub_server.h"
#include "bc_error.h"
#include "bc_lock.h"
#include "bc_keys.h"
#include "bc_limits.h"
#include "bc_log.h"
#include "bc_mem.h"
#include "bc_registry.h"
#include "bc_wire.h"
#include "hub_auth.h"
#include "hub_head.h"
#include "hub_query.h"
#include "hub_metrics.h"
#include "hub_stats.h"
#include "hub_store.h"
#include "hub_upstream.h"
#include "hub_rules.h"
#include "hub_scope.h"
#include "hub_validate.h"

#include "bc_arena.h"

#include <czmq.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define HC(field) offsetof(hub_config_t, field)
const bc_option_t hub_options[] = {
    {"store", BC_OPT_STRING, HC(store), 0, 0, NULL, "DIR",
     "LMDB store directory (created if missing)"},
    {"registry", BC_OPT_STRING, HC(registry), 0, 0, NULL, "UNITS.csv",
     "hierarchy of reporting units"},
    {"catalog", BC_OPT_STRING, HC(catalog), 0, 0, NULL, "INDICATORS.csv",
     "indicator catalogue"},
    {"bind", BC_OPT_STRING, HC(bind), 0, 0, "tcp://127.0.0.1:5555",
     "ENDPOINT", "where nodes and tools connect (tcp://HOST:PORT; :* picks "
     "a free port)"},
    {"endpoint-file", BC_OPT_STRING, HC(endpoint_file), 0, 0, NULL, "FILE",
     "write the bound endpoint to FILE once listening"},
    {"map-size", BC_OPT_INT, HC(map_size), 1 << 20, 1LL << 40, "8G", "BYTES",
     "LMDB map size: the most the store may grow to (K, M, G suffixes)"},
    {"plain", BC_OPT_BOOL, HC(plain), 0, 0, NULL, NULL,
     "run WITHOUT encryption or authentication (local demos and tests)"},
    {"curve-secret", BC_OPT_STRING, HC(curve_secret), 0, 0, NULL,
     "HUB.secret", "the hub's key pair (baocao keygen); turns CURVE on"},
    {"operator-key", BC_OPT_LIST, HC(operator_keys), 0, 0, NULL, "NAME.pub",
     "an operator's public key, allowed to query (repeatable)"},
    {"max-message", BC_OPT_INT, HC(max_message), 256, 64 << 20, "1M",
     "BYTES", "largest request accepted"},
    {"max-values", BC_OPT_INT, HC(max_values), 1, 100000, "1000", "N",
     "most figures in one report"},
    {"batch-max", BC_OPT_INT, HC(batch_max), 1, 100000, "4096", "N",
     "most submissions written in one commit"},
    {"deadlines", BC_OPT_STRING, HC(deadlines), 0, 0,
     "commune=5,district=15,province=25", "LEVEL=DAYS,...",
     "working days after the period ends, per level"},
    {"rules", BC_OPT_STRING, HC(rules), 0, 0, NULL, "RULES.csv",
     "validation rules (code,left,operator,right,importance,message): "
     "error rules refuse a report, warnings flag it"},
    {"holidays", BC_OPT_STRING, HC(holidays), 0, 0, NULL, "HOLIDAYS.csv",
     "public holidays (date,name) that deadlines do not count as working "
     "days (data/holidays.csv: Vietnam 2020-2030)"},
    {"operators", BC_OPT_STRING, HC(operators), 0, 0, NULL, "OPERATORS.csv",
     "operators with a scope and a role (name,key,unit,role: viewer, "
     "approver, admin); --operator-key stays an admin of the root"},
    {"log-level", BC_OPT_STRING, HC(log_level), 0, 0, "info", "LEVEL",
     "debug, info, warn or error"},
    {"metrics", BC_OPT_STRING, HC(metrics), 0, 0, NULL, "HOST:PORT",
     "serve Prometheus text at http://HOST:PORT/metrics (e.g. "
     "127.0.0.1:9464)"},
    {"upstream", BC_OPT_STRING, HC(upstream), 0, 0, NULL, "ENDPOINT",
     "forward the log to this national hub (tcp://HOST:PORT)"},
    {"upstream-key", BC_OPT_STRING, HC(upstream_key), 0, 0, NULL,
     "NATIONAL.pub", "the national hub's public key"},
    {"upstream-cert", BC_OPT_STRING, HC(upstream_cert), 0, 0, NULL,
     "PROVINCE.secret", "this hub's key pair, registered at the national "
     "hub (relay=yes)"},
    {"upstream-plain", BC_OPT_BOOL, HC(upstream_plain), 0, 0, NULL, NULL,
     "forward WITHOUT encryption (local demos and tests)"},
    {"upstream-name", BC_OPT_STRING, HC(upstream_name), 0, 0, NULL, "NAME",
     "the name forwarded entries carry (default: the registry's root unit)"},
    {"upstream-window", BC_OPT_INT, HC(upstream_window), 1, 4096, "64", "N",
     "log entries in flight to the national hub at most"},
    {"upstream-timeout", BC_OPT_INT, HC(upstream_timeout), 100, 3600000,
     "10000", "MS", "silence from the national hub that declares the link "
     "dead"},
    {"upstream-backoff-max", BC_OPT_INT, HC(upstream_backoff_max), 500,
     86400000, "60000", "MS", "longest reconnect delay to the national hub"},
};
const size_t hub_noptions = sizeof hub_options / sizeof hub_options[0];

/* One submission waiting for the batch commit. */
typedef struct {
    zframe_t *route;              /* the sender's routing id */
    uint64_t tag;                 /* its Request tag */
    zframe_t *payload;            /* the bytes received (kept for the log) */
    char peer[BC_PEER_MAX];       /* authenticated identity */
} pending_t;

/* Submissions committed together. Two of them alternate: while the writer
 * thread commits one, the loop fills the other (see hub_server_run). */
typedef struct {
    pending_t *pend;              /* who to answer, what arrived */
    hub_item_t *items;            /* the store's view of each */
    size_t n;                     /* used entries */
    bc_arena_t *arena;            /* decoded requests of this batch */
    int rc;                       /* hub_store_ingest's result */
    int64_t commit_us;            /* how long hub_store_ingest took */
} batch_t;

/* Undecodable messages from one peer in the current minute: counted, and
 * logged once when the first arrives and once when the minute closes, so
 * that a flood of garbage costs a few log lines, not one per message. */
typedef struct {
    char peer[BC_PEER_MAX];       /* identity, else the peer's address */
    uint64_t count;               /* messages this minute */
    uint64_t bytes;               /* their total size */
} garbage_t;

#define GARBAGE_PEERS 64          /* peers tracked per minute; the rest
                                     share the last slot */

struct hub_server_t {
    hub_config_t cfg;             /* settings (strings borrowed) */
    bc_registry_t *reg;           /* units and catalogue */
    bc_rules_t *rules;            /* validation rules, NULL: none */
    hub_scope_t *scope;           /* operators' scopes and roles */
    bc_holidays_t *holidays;      /* days deadlines skip, NULL: none */
    bc_lock_t *lock;              /* our exclusive hold on the store folder */
    hub_store_t *store;           /* LMDB store */
    zsock_t *router;              /* the one endpoint */
    hub_auth_t *auth;             /* ZAP handler, NULL in plain mode */
    char endpoint[256];           /* bound endpoint */
    hub_deadline_t deadlines[16]; /* working days per level */
    size_t ndeadlines;            /* used entries */
    batch_t batches[2];           /* the two alternating batches */
    int filling;                  /* index of the batch being filled */
    bool writing;                 /* the other batch is being committed */
    pthread_t writer;             /* the thread that commits */
    bool writer_started;          /* writer is running */
    int64_t started_us;           /* process start, for Pong.started_at */
    zsock_t *to_writer;           /* PAIR: batch index out, "done" back */
    uint64_t rejected[32];        /* rejections by reason */
    uint64_t acked;               /* submissions acknowledged */
    uint64_t commits;             /* batches committed */
    uint64_t replies_dropped;     /* replies a peer could not take */
    int64_t last_stats;           /* when stats were last logged, ms */
    hub_stats_t stats;            /* counters for StatsQuery and /metrics */
    hub_metrics_t *metrics;       /* GET /metrics listener, or NULL */
    bool map_warned;              /* the 80 % map warning was logged */
    bool store_failed;            /* the disk failed: stop serving */
    uint64_t recent[3];           /* stored, duplicate, rejected since the
                                     last delivery line */
    int64_t last_recent;          /* when that line was last logged, ms */
    garbage_t garbage[GARBAGE_PEERS]; /* this minute's undecodable bytes */
    size_t ngarbage;              /* used entries */
    int64_t garbage_since;        /* start of the minute, ms (monotonic) */
    uint64_t garbage_total;       /* undecodable messages since start */
    hub_upstream_t *upstream;     /* log forwarder, NULL without --upstream */
};

/* What a node reads in the Ack when its submission was caught by a disk
 * failure (it keeps the report and resends it). */
#define STORE_FAILED_MSG "the hub's store failed (disk I/O error); the hub " \
                         "restarts; resend later"

/* Deliveries are logged at INFO, so that a log someone watches shows the
 * hub working, but at most once a second: under load the hub commits
 * hundreds of batches a second. */
#define DELIVERY_LOG_EVERY_MS 1000

static volatile sig_atomic_t stop_flag;
static volatile sig_atomic_t reload_flag;   /* SIGHUP: reload units' keys */

static void on_signal(int sig)
{
    if (sig == SIGHUP)
        reload_flag = 1;
    else
        stop_flag = 1;
}

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int parse_deadlines(hub_server_t *self, const char *text, char *err,
                           size_t errlen)
{
    char *copy = bc_strdup(text ? text : ""), *save = NULL;
    int rc = BC_OK;
    for (char *tok = strtok_r(copy, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        char *end;
        long days = eq ? strtol(eq + 1, &end, 10) : -1;
        if (!eq || eq == tok || *end || days < 0 || days > 365
            || self->ndeadlines == 16 || (size_t) (eq - tok) >= 32) {
            snprintf(err, errlen, "--deadlines: '%s' is not LEVEL=DAYS", tok);
            rc = BC_EINVAL;
            break;
        }
        hub_deadline_t *d = &self->deadlines[self->ndeadlines++];
        snprintf(d->level, sizeof d->level, "%.*s", (int) (eq - tok), tok);
        d->days = (unsigned) days;
    }
    free(copy);
    return rc;
}

/* --- the writer thread ------------------------------------------------------
 * It owns every store write of the submission path: it waits for a batch
 * index on its PAIR socket, commits that batch (the fsync happens here), and
 * answers "done". The loop meanwhile keeps receiving and validating into the
 * other batch, so decoding and syncing overlap on the machine's two cores.
 * Sockets never cross threads: the loop alone talks to clients. */
static void *writer_main(void *arg)
{
    hub_server_t *self = arg;
    zsock_t *pipe = zsock_new_pair(">inproc://baocao-hub-writer");
    for (;;) {
        char *msg = zstr_recv(pipe);
        if (!msg || strcmp(msg, "quit") == 0) {
            zstr_free(&msg);
            break;
        }
        batch_t *b = &self->batches[msg[0] == '1'];
        zstr_free(&msg);
        int64_t t0 = zclock_usecs();
        b->rc = hub_store_ingest(self->store, b->items, b->n, now_us());
        b->commit_us = zclock_usecs() - t0;
        zstr_send(pipe, "done");
    }
    zsock_destroy(&pipe);
    return NULL;
}

static int start_writer(hub_server_t *self, char *err, size_t errlen)
{
    self->to_writer = zsock_new_pair("@inproc://baocao-hub-writer");
    if (!self->to_writer
        || pthread_create(&self->writer, NULL, writer_main, self) != 0) {
        snprintf(err, errlen, "cannot start the writer thread");
        return BC_EINVAL;
    }
    self->writer_started = true;
    return BC_OK;
}

static void stop_writer(hub_server_t *self)
{
    if (self->writer_started) {
        zstr_send(self->to_writer, "quit");
        pthread_join(self->writer, NULL);
        self->writer_started = false;
    }
    zsock_destroy(&self->to_writer);
}

/* Starts the log forwarder, named by default after the registry's first
 * root (a province's registry has one: the province). */
static int start_upstream(hub_server_t *self, char *err, size_t errlen)
{
    const hub_config_t *cfg = &self->cfg;
    const char *name = cfg->upstream_name;
    for (size_t i = 0; !name && i < bc_registry_nunits(self->reg); i++) {
        const bc_unit_t *u = bc_registry_unit(self->reg, (uint32_t) i);
        if (u->parent < 0)
            name = u->code;
    }
    hub_upstream_config_t up = {
        cfg->upstream, cfg->upstream_key, cfg->upstream_cert,
        cfg->upstream_plain, name, (int) cfg->upstream_window,
        (int) cfg->upstream_timeout, 500, (int) cfg->upstream_backoff_max};
    if (cfg->upstream_plain)
        BC_WARN("forwarding to %s WITHOUT CURVE: use --upstream-key and "
                "--upstream-cert outside a local demo", cfg->upstream);
    self->upstream = hub_upstream_new(self->store, &up, err, errlen);
    return self->upstream ? BC_OK : BC_EINVAL;
}

hub_server_t *hub_server_new(const hub_config_t *cfg, int *rc_out,
                             char *err, size_t errlen)
{
    hub_server_t *self = bc_calloc(1, sizeof *self);
    int rc;
    self->cfg = *cfg;
    if (rc_out)
        *rc_out = BC_EINVAL;
    self->started_us = now_us();
    if (!cfg->store || !cfg->registry || !cfg->catalog) {
        snprintf(err, errlen, "--store, --registry and --catalog are "
                 "required (see --help)");
        goto out_free;
    }
    if (!cfg->plain && !cfg->curve_secret) {
        snprintf(err, errlen, "no --curve-secret given: create a key pair "
                 "with `baocao keygen --out hub` and pass --curve-secret "
                 "hub.secret, or pass --plain to run without encryption");
        goto out_free;
    }
    if (parse_deadlines(self, cfg->deadlines, err, errlen))
        goto out_free;
    self->reg = bc_registry_load(cfg->registry, cfg->catalog, err, errlen);
    if (!self->reg)
        goto out_free;
    if (cfg->rules
        && !(self->rules = bc_rules_load(cfg->rules, self->reg, err, errlen)))
        goto out_free;
    if (!(self->scope = hub_scope_new(self->reg, cfg->operators, err,
                                      errlen)))
        goto out_free;
    if (cfg->holidays
        && !(self->holidays = bc_holidays_load(cfg->holidays, err, errlen)))
        goto out_free;
    /* One hub per store: a second one would break the first one's
     * writes (LMDB lets both open it). Locked before opening, held until
     * destroy; the kernel drops it if we are killed. */
    if ((rc = bc_lock_new(cfg->store, "baocao-hub", &self->lock, err,
                          errlen))) {
        if (rc_out && rc == BC_EEXIST)
            *rc_out = BC_EEXIST;
        goto out_free;
    }
    self->store = hub_store_open(cfg->store, (size_t) cfg->map_size,
                                 self->reg, err, errlen);
    if (!self->store)
        goto out_free;

    /* czmq's own SIGINT handler would only set a flag we do not read. */
    zsys_handler_set(NULL);
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    stop_flag = 0;
    reload_flag = 0;

    hub_stats_init(&self->stats);
    self->router = zsock_new(ZMQ_ROUTER);
    if (!self->router) {
        snprintf(err, errlen, "cannot create the socket: %s",
                 zmq_strerror(zmq_errno()));
        goto out_free;
    }
    if (!hub_stats_watch_peers(&self->stats, self->router))
        BC_WARN("cannot watch connections: stats will show 0 peers");
    if (cfg->metrics
        && !(self->metrics = hub_metrics_new(cfg->metrics, err, errlen)))
        goto out_free;
    zsock_set_router_mandatory(self->router, 1);
    zsock_set_router_handover(self->router, 1);
    zsock_set_linger(self->router, 0);
    /* Hard limit well above the soft one so that an oversized report gets a
     * typed TOO_LARGE answer; beyond this libzmq drops the connection. */
    zsock_set_maxmsgsize(self->router, cfg->max_message * 4);
    zsock_set_rcvhwm(self->router, 100000);
    zsock_set_sndhwm(self->router, 100000);
    zsock_set_heartbeat_ivl(self->router, 5000);
    zsock_set_heartbeat_timeout(self->router, 30000);
    if (cfg->plain) {
        BC_WARN("running WITHOUT CURVE: links are neither encrypted nor "
                "authenticated; use --curve-secret outside a local demo");
    } else {
        zcert_t *cert = bc_keys_load_pair(cfg->curve_secret, err, errlen);
        if (!cert)
            goto out_free;
        self->auth = hub_auth_new(self->reg, cfg->operator_keys, err, errlen);
        for (size_t i = 0; self->auth && i < hub_scope_count(self->scope);
             i++) {
            char id[BC_PEER_MAX];
            snprintf(id, sizeof id, "operator:%s",
                     hub_scope_name(self->scope, i));
            if (hub_auth_add(self->auth, hub_scope_key(self->scope, i), id,
                             err, errlen))
                hub_auth_destroy(&self->auth);
        }
        if (!self->auth) {
            zcert_destroy(&cert);
            goto out_free;
        }
        /* Enrolment: unknown keys wait in the store's folder for an
         * operator's approval (baocao registry approve-key). */
        char pending[4096];
        snprintf(pending, sizeof pending, "%s/pending-keys", cfg->store);
        hub_auth_record_pending(self->auth, pending);
        zcert_apply(cert, self->router);
        zcert_destroy(&cert);
        zsock_set_curve_server(self->router, 1);
        zsock_set_zap_domain(self->router, "baocao");
    }
    if (zsock_bind(self->router, "%s", cfg->bind) < 0) {
        snprintf(err, errlen, "cannot bind %s: %s", cfg->bind,
                 zmq_strerror(zmq_errno()));
        goto out_free;
    }
    char *ep = zsock_last_endpoint(self->router);
    snprintf(self->endpoint, sizeof self->endpoint, "%s", ep ? ep : cfg->bind);
    zstr_free(&ep);
    if (cfg->endpoint_file) {
        /* Write then rename, so a reader never sees half an endpoint. */
        char tmp[4096];
        snprintf(tmp, sizeof tmp, "%s.tmp", cfg->endpoint_file);
        FILE *f = fopen(tmp, "w");
        if (!f || fprintf(f, "%s\n", self->endpoint) < 0 || fclose(f) != 0
            || rename(tmp, cfg->endpoint_file) != 0) {
            snprintf(err, errlen, "cannot write %s: %s", cfg->endpoint_file,
                     strerror(errno));
            goto out_free;
        }
    }
    for (int b = 0; b < 2; b++) {
        self->batches[b].pend = bc_calloc((size_t) cfg->batch_max,
                                          sizeof(pending_t));
        self->batches[b].items = bc_calloc((size_t) cfg->batch_max,
                                           sizeof(hub_item_t));
        self->batches[b].arena = bc_arena_new(4 << 20);
    }
    if (start_writer(self, err, errlen))
        goto out_free;
    if (cfg->upstream && start_upstream(self, err, errlen))
        goto out_free;
    BC_INFO("serving %s: %zu units, %zu indicators, store %s, log at seq "
            "%llu", self->endpoint, bc_registry_nunits(self->reg),
            bc_registry_nindicators(self->reg), cfg->store,
            (unsigned long long) hub_store_last_seq(self->store));
    return self;

out_free:
    hub_server_destroy(&self);
    return NULL;
}

void hub_server_destroy(hub_server_t **self_p)
{
    hub_server_t *self = *self_p;
    if (!self)
        return;
    hub_upstream_destroy(&self->upstream);
    stop_writer(self);
    hub_metrics_destroy(&self->metrics);
    hub_stats_fini(&self->stats);
    zsock_destroy(&self->router);
    hub_auth_destroy(&self->auth);
    hub_store_close(&self->store);
    bc_lock_destroy(&self->lock);   /* after the store is closed */
    bc_rules_destroy(&self->rules);
    hub_scope_destroy(&self->scope);
    bc_holidays_destroy(&self->holidays);
    bc_registry_destroy(&self->reg);
    for (int b = 0; b < 2; b++) {
        free(self->batches[b].pend);
        free(self->batches[b].items);
        bc_arena_destroy(&self->batches[b].arena);
    }
    free(self);
    *self_p = NULL;
}

/* --- replies ------------------------------------------------------------- */

/* Sends reply to route without blocking; a peer that cannot take it loses
 * it (and will ask again). */
static void send_reply(hub_server_t *self, zframe_t *route,
                       Baocao__Reply *reply)
{
    reply->version = BC_WIRE_VERSION;
    size_t len;
    uint8_t *buf = bc_wire_pack(&reply->base, &len);
    void *sock = zsock_resolve(self->router);
    if (zmq_send(sock, zframe_data(route), zframe_size(route),
                 ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0
        || zmq_send(sock, buf, len, ZMQ_DONTWAIT) < 0) {
        self->replies_dropped++;
        BC_DEBUG("reply dropped: %s", zmq_strerror(zmq_errno()));
    }
    free(buf);
}

static void send_error(hub_server_t *self, zframe_t *route, uint64_t tag,
                       Baocao__RejectReason reason, const char *message)
{
    Baocao__Reply reply = BAOCAO__REPLY__INIT;
    Baocao__Error e = BAOCAO__ERROR__INIT;
    e.reason = reason;
    e.message = (char *) message;
    reply.tag = tag;
    reply.body_case = BAOCAO__REPLY__BODY_ERROR;
    reply.error = &e;
    send_reply(self, route, &reply);
}

static void count_reject(hub_server_t *self, Baocao__RejectReason reason,
                         const char *peer, const char *message)
{
    if ((unsigned) reason < 32)
        self->rejected[reason]++;
    BC_WARN("rejected from %s: %s: %s", *peer ? peer : "(plain)",
            bc_reason_name(reason), message);
}

/* --- request handlers ---------------------------------------------------- */

/* Called with the result of every store write. On BC_EFATAL, logs once
 * what failed and what to check, and marks the server as failed so that
 * the loop stops (see the top of this file). Returns true on BC_EFATAL. */
static bool check_store(hub_server_t *self, int rc, const char *what)
{
    if (rc != BC_EFATAL)
        return false;
    if (!self->store_failed)
        BC_ERROR("store %s failed while %s: disk I/O error (EIO, or LMDB "
                 "marked the environment fatal). The disk under it may be "
                 "failing: check it (dmesg, smartctl, free space). Stopping "
                 "with exit status %d so that the supervisor restarts the "
                 "hub; the restart reopens the store at its last good "
                 "commit, and the nodes resend whatever was not "
                 "acknowledged", self->cfg.store, what, BC_EXIT_STORE_FAILED);
    self->store_failed = true;
    return true;
}

/* Scopes on reads (hub_scope.h): answers NOT_AUTHORIZED and returns true
 * when `peer` may not read `unit_code`. An unknown unit is left to the
 * handler, which names it. */
static bool refuse_read(hub_server_t *self, zframe_t *route, uint64_t tag,
                        const char *peer, const char *unit_code)
{
    char msg[200];
    const bc_unit_t *u = bc_registry_find_unit(self->reg, unit_code);
    if (!u || hub_scope_may_read(self->scope, self->reg, peer, u, msg,
                                 sizeof msg))
        return false;
    send_error(self, route, tag, BAOCAO__REJECT_REASON__REASON_NOT_AUTHORIZED,
               msg);
    return true;
}

static void handle_query(hub_server_t *self, zframe_t *route,
                         Baocao__Request *req, const char *peer)
{
    if (refuse_read(self, route, req->tag, peer, req->query->unit))
        return;
    char msg[160] = "";
    Baocao__QueryReply *qr = NULL;
    Baocao__RejectReason why = hub_query_figures(self->store, req->query, &qr,
                                                 msg, sizeof msg);
    if (why != BAOCAO__REJECT_REASON__REASON_NONE) {
        send_error(self, route, req->tag, why, msg);
        return;
    }
    hub_rules_flag(self->store, self->rules, req->query, qr);
    Baocao__Reply reply = BAOCAO__REPLY__INIT;
    reply.tag = req->tag;
    reply.body_case = BAOCAO__REPLY__BODY_QUERY;
    reply.query = qr;
    send_reply(self, route, &reply);
    hub_query_free(&qr);
    (void) peer;
}

static void handle_completeness(hub_server_t *self, zframe_t *route,
                                Baocao__Request *req, const char *peer)
{
    if (refuse_read(self, route, req->tag, peer, req->completeness->unit))
        return;
    char msg[160] = "";
    Baocao__CompletenessReply *cr = NULL;
    Baocao__RejectReason why = hub_query_completeness(
        self->store, req->completeness, self->deadlines, self->ndeadlines,
        self->holidays, &cr, msg, sizeof msg);
    if (why != BAOCAO__REJECT_REASON__REASON_NONE) {
        send_error(self, route, req->tag, why, msg);
        return;
    }
    Baocao__Reply reply = BAOCAO__REPLY__INIT;
    reply.tag = req->tag;
    reply.body_case = BAOCAO__REPLY__BODY_COMPLETENESS;
    reply.completeness = cr;
    send_reply(self, route, &reply);
    hub_completeness_free(&cr);
    (void) peer;
}

static void handle_slice(hub_server_t *self, zframe_t *route,
                         Baocao__Request *req, const char *peer)
{
    char msg[160] = "";
    Baocao__SliceReply *sr = NULL;
    Baocao__RejectReason why = hub_query_slice(self->store, req->slice, &sr,
                                               msg, sizeof msg);
    if (why != BAOCAO__REJECT_REASON__REASON_NONE) {
        send_error(self, route, req->tag, why, msg);
        return;
    }
    Baocao__Reply reply = BAOCAO__REPLY__INIT;
    reply.tag = req->tag;
    reply.body_case = BAOCAO__REPLY__BODY_SLICE;
    reply.slice = sr;
    send_reply(self, route, &reply);
    hub_slice_free(&sr);
    (void) peer;
}

/* The catalogue, for a node without a copy (its station form). Strings
 * point into the registry, which outlives the reply. */
static void handle_catalog(hub_server_t *self, zframe_t *route,
                           Baocao__Request *req, const char *peer)
{
    size_t n = bc_registry_nindicators(self->reg);
    Baocao__CatalogEntry *e = bc_calloc(n ? n : 1, sizeof *e);
    Baocao__CatalogEntry **ptrs = bc_calloc(n ? n : 1, sizeof *ptrs);
    for (size_t i = 0; i < n; i++) {
        const bc_indicator_t *ind = bc_registry_indicator(self->reg,
                                                          (uint32_t) i);
        baocao__catalog_entry__init(&e[i]);
        e[i].code = ind->code;
        e[i].name = ind->name;
        e[i].kind = (Baocao__IndicatorKind) ind->kind;
        e[i].programme = ind->programme ? ind->programme : "";
        if (ind->kind == BC_KIND_RATIO) {
            e[i].numerator = bc_registry_indicator(
                self->reg, (uint32_t) ind->numerator)->code;
            e[i].denominator = bc_registry_indicator(
                self->reg, (uint32_t) ind->denominator)->code;
            e[i].scale = ind->scale;
        }
        ptrs[i] = &e[i];
    }
    Baocao__Reply reply = BAOCAO__REPLY__INIT;
    Baocao__CatalogReply cr = BAOCAO__CATALOG_REPLY__INIT;
    cr.n_indicators = n;
    cr.indicators = ptrs;
    reply.tag = req->tag;
    reply.body_case = BAOCAO__REPLY__BODY_CATALOG;
    reply.catalog = &cr;
    send_reply(self, route, &reply);
    free(ptrs);
    free(e);
    (void) peer;
}

static void handle_plan(hub_server_t *self, zframe_t *route,
                        Baocao__Request *req, const char *peer)
{
    const Baocao__PlanSet *ps = req->plan;
    char msg[160] = "";
    Baocao__RejectReason why = BAOCAO__REJECT_REASON__REASON_NONE;
    hub_val_t *vals = NULL;
    bool *seen = NULL;             /* indicators already in the plan */
    const bc_unit_t *u = bc_registry_find_unit(self->reg, ps->unit);
    /* Plans are set by operators (admins within their scope; anyone in
     * plain mode), not by facilities. */
    if (*peer && strncmp(peer, "operator:", 9) != 0) {
        why = BAOCAO__REJECT_REASON__REASON_NOT_AUTHORIZED;
        snprintf(msg, sizeof msg, "%s may not set plans", peer);
        goto out_reply;
    }
    if (!u) {
        why = BAOCAO__REJECT_REASON__REASON_UNKNOWN_UNIT;
        snprintf(msg, sizeof msg, "unknown unit '%.60s'", ps->unit);
        goto out_reply;
    }
    if (!hub_scope_may_act(self->scope, self->reg, peer, u, HUB_ROLE_ADMIN,
                           msg, sizeof msg)) {
        why = BAOCAO__REJECT_REASON__REASON_NOT_AUTHORIZED;
        goto out_reply;
    }
    if (ps->year < BC_PERIOD_MIN_YEAR || ps->year > BC_PERIOD_MAX_YEAR) {
        why = BAOCAO__REJECT_REASON__REASON_BAD_PERIOD;
        snprintf(msg, sizeof msg, "year %u is out of range", ps->year);
        goto out_reply;
    }
    vals = bc_malloc((ps->n_targets ? ps->n_targets : 1) * sizeof *vals);
    seen = bc_calloc(bc_registry_nindicators(self->reg) + 1, sizeof *seen);
    for (size_t i = 0; i < ps->n_targets; i++) {
        const bc_indicator_t *ind = bc_registry_find_indicator(
            self->reg, ps->targets[i]->indicator);
        /* A rate may have a target (issue #11: full immunisation 95 %),
         * in the rate's own units; hub_plans.h says how it aggregates. */
        if (!ind) {
            why = BAOCAO__REJECT_REASON__REASON_UNKNOWN_INDICATOR;
            snprintf(msg, sizeof msg, "unknown indicator '%.60s' in the plan",
                     ps->targets[i]->indicator);
            goto out_reply;
        }
        if (ps->targets[i]->target < 0) {
            why = BAOCAO__REJECT_REASON__REASON_NEGATIVE;
            snprintf(msg, sizeof msg, "negative target for %s", ind->code);
            goto out_reply;
        }
        if (ps->targets[i]->target > BC_COUNT_MAX) {
            why = BAOCAO__REJECT_REASON__REASON_COUNT_TOO_LARGE;
            snprintf(msg, sizeof msg, "target for %s is %lld; at most 10^12",
                     ind->code, (long long) ps->targets[i]->target);
            goto out_reply;
        }
        /* Which of two targets would count? Refused, as in a report. */
        if (seen[ind->idx]) {
            why = BAOCAO__REJECT_REASON__REASON_DUPLICATE_VALUE;
            snprintf(msg, sizeof msg, "%s appears twice in the plan",
                     ind->code);
            goto out_reply;
        }
        seen[ind->idx] = true;
        vals[i] = (hub_val_t){ind->sid, 1, ps->targets[i]->target};
    }
    int rc = hub_store_set_plan(self->store, u, ps->year, vals,
                                ps->n_targets);
    if (rc) {
        why = rc == BC_EFULL || rc == BC_ENOSPC
                  ? BAOCAO__REJECT_REASON__REASON_STORE_FULL
                  : BAOCAO__REJECT_REASON__REASON_INTERNAL;
        if (rc == BC_ERANGE) {
            /* A sum of targets up the tree would not fit: refused whole. */
            why = BAOCAO__REJECT_REASON__REASON_COUNT_TOO_LARGE;
            snprintf(msg, sizeof msg, "plan not stored: the sum of targets "
                     "above %s would overflow", u->code);
        } else {
            snprintf(msg, sizeof msg, "plan not stored: %s", bc_strerror(rc));
            check_store(self, rc, "storing a plan");
        }
    }
out_reply:
    free(vals);
    free(seen);
    if (why != BAOCAO__REJECT_REASON__REASON_NONE) {
        count_reject(self, why, peer, msg);
        send_error(self, route, req->tag, why, msg);
        return;
    }
    Baocao__Reply reply = BAOCAO__REPLY__INIT;
    Baocao__PlanReply pr = BAOCAO__PLAN_REPLY__INIT;
    pr.stored = (uint32_t) ps->n_targets;
    reply.tag = req->tag;
    reply.body_case = BAOCAO__REPLY__BODY_PLAN;
    reply.plan = &pr;
    send_reply(self, route, &reply);
    BC_INFO("plan for %s %u set by %s: %zu targets", u->code, ps->year,
            *peer ? peer : "(plain)", ps->n_targets);
}

static void handle_ping(hub_server_t *self, zframe_t *route,
                        Baocao__Request *req, const char *peer)
{
    Baocao__Reply reply = BAOCAO__REPLY__INIT;
    Baocao__Pong pong = BAOCAO__PONG__INIT;
    pong.hub_seq = hub_store_last_seq(self->store);
    /* The head, from a snapshot: committed entries only, so that what we
     * announce is what an export made now would end with; or, when asked,
     * the hash of an earlier entry, where an older export ends. */
    uint8_t head[32];
    uint64_t at = req->ping ? req->ping->seq : 0;
    hub_reader_t *r = hub_store_reader(self->store);
    int hrc = !r ? BC_ESTORE
              : at ? hub_head_at(r, at, head)
                   : hub_head_read(self->store, r, &pong.head_seq, head);
    if (hrc == BC_OK) {
        if (at)
            pong.head_seq = at;
        pong.head_hash.data = head;
        pong.head_hash.len = 32;
    }
    hub_reader_destroy(&r);
    pong.commits = self->commits;
    pong.acked = self->acked;
    pong.started_at = (uint64_t) self->started_us;
    reply.tag = req->tag;
    reply.body_case = BAOCAO__REPLY__BODY_PONG;
    reply.pong = &pong;
    send_reply(self, route, &reply);
    (void) peer;
}

/* The counters, as StatsQuery and /metrics both show them. */
static void stats_reply(hub_server_t *self, Baocao__StatsReply *out)
{
    baocao__stats_reply__init(out);
    hub_stats_fill(&self->stats, self->rejected, out);
    out->hub_seq = hub_store_last_seq(self->store);
    out->queue_depth = (uint32_t) (self->batches[0].n + self->batches[1].n);
    out->replies_dropped = self->replies_dropped;
    hub_store_space(self->store, &out->store_bytes, &out->map_bytes);
    if (self->upstream) {
        hub_upstream_status_t st;
        hub_upstream_status(self->upstream, &st);
        out->upstream = true;
        out->upstream_cursor = st.cursor;
        out->upstream_connected = st.connected;
    }
}

static void handle_stats(hub_server_t *self, zframe_t *route,
                         Baocao__Request *req, const char *peer)
{
    Baocao__Reply reply = BAOCAO__REPLY__INIT;
    Baocao__StatsReply sr;
    stats_reply(self, &sr);
    reply.tag = req->tag;
    reply.body_case = BAOCAO__REPLY__BODY_STATS;
    reply.stats = &sr;
    send_reply(self, route, &reply);
    hub_stats_reply_free(&sr);
    (void) peer;
}

/* The body of GET /metrics. */
static char *metrics_text(void *arg)
{
    Baocao__StatsReply sr;
    stats_reply(arg, &sr);
    char *text = hub_stats_prometheus(&sr);
    hub_stats_reply_free(&sr);
    return text;
}

/* SIGHUP: the registry's keys again (an approved enrolment). Only the
 * keys: units, levels and the catalogue are the store's and change with a
 * restart. */
static void reload_keys(hub_server_t *self)
{
    char err[512];
    if (!self->auth) {
        BC_INFO("SIGHUP: no keys to reload (plain mode)");
        return;
    }
    bc_registry_t *reg = bc_registry_load(self->cfg.registry,
                                          self->cfg.catalog, err, sizeof err);
    if (!reg) {
        BC_ERROR("SIGHUP: registry not reloaded, keys unchanged: %s", err);
        return;
    }
    if (hub_auth_reload_units(self->auth, reg, err, sizeof err))
        BC_ERROR("SIGHUP: keys unchanged: %s", err);
    bc_registry_destroy(&reg);
}

/* `baocao validate`: the rules on a subtree (hub_rules.h). Anyone who may
 * query may ask. */
static void handle_validate(hub_server_t *self, zframe_t *route,
                            Baocao__Request *req, const char *peer)
{
    if (refuse_read(self, route, req->tag, peer, req->validate->unit))
        return;
    char msg[160] = "";
    Baocao__ValidateReply *vr = NULL;
    Baocao__RejectReason why = hub_rules_validate(self->store, self->rules,
                                                  req->validate, &vr, msg,
                                                  sizeof msg);
    if (why != BAOCAO__REJECT_REASON__REASON_NONE) {
        send_error(self, route, req->tag, why, msg);
        return;
    }
    Baocao__Reply reply = BAOCAO__REPLY__INIT;
    reply.tag = req->tag;
    reply.body_case = BAOCAO__REPLY__BODY_VALIDATE;
    reply.validate = vr;
    send_reply(self, route, &reply);
    hub_rules_reply_free(&vr);
    (void) peer;
}

typedef void (*handler_fn)(hub_server_t *, zframe_t *, Baocao__Request *,
                           const char *);

/* The dispatch table: request body -> handler. Submissions are not here:
 * they wait for the batch commit. */
static const struct {
    Baocao__Request__BodyCase body;   /* which request */
    handler_fn fn;                    /* who answers it */
} handlers[] = {
    {BAOCAO__REQUEST__BODY_QUERY, handle_query},
    {BAOCAO__REQUEST__BODY_COMPLETENESS, handle_completeness},
    {BAOCAO__REQUEST__BODY_SLICE, handle_slice},
    {BAOCAO__REQUEST__BODY_CATALOG, handle_catalog},
    {BAOCAO__REQUEST__BODY_PLAN, handle_plan},
    {BAOCAO__REQUEST__BODY_PING, handle_ping},
    {BAOCAO__REQUEST__BODY_STATS, handle_stats},
    {BAOCAO__REQUEST__BODY_VALIDATE, handle_validate},
};

/* --- the batch ----------------------------------------------------------- */

static void batch_add(hub_server_t *self, zframe_t **route_p,
                      zframe_t **payload_p, Baocao__Request *req,
                      const char *peer, Baocao__RejectReason pre,
                      const char *pre_msg)
{
    batch_t *b = &self->batches[self->filling];
    pending_t *p = &b->pend[b->n];
    hub_item_t *it = &b->items[b->n];
    b->n++;
    p->route = *route_p;
    p->payload = *payload_p;
    *route_p = *payload_p = NULL;
    p->tag = req ? req->tag : 0;
    snprintf(p->peer, sizeof p->peer, "%s", peer);
    memset(it, 0, sizeof *it);
    it->raw = zframe_data(p->payload);
    it->raw_len = zframe_size(p->payload);
    it->peer = p->peer;
    /* Hash the request here, so the writer thread only chains digests. */
    hub_request_digest(it->raw, it->raw_len, it->req_digest);
    it->has_digest = true;
    if (pre != BAOCAO__REJECT_REASON__REASON_NONE) {
        it->reject = pre;
        snprintf(it->message, sizeof it->message, "%s", pre_msg);
        return;
    }
    hub_limits_t lim = {(size_t) self->cfg.max_values, time(NULL),
                        self->rules};
    hub_validate(self->reg, req->submit, peer, &lim, it);
}

/* Answers every submission of a committed batch and empties it. */
static void batch_answer(hub_server_t *self, batch_t *b)
{
    if (check_store(self, b->rc, "committing a batch")) {
        if (b->n)
            BC_ERROR("%zu submissions refused (retry later)", b->n);
    }
    else if (b->rc == BC_EFULL)
        BC_ERROR("store is full: %zu submissions refused (retry later); "
                 "restart the hub with a larger --map-size", b->n);
    else if (b->rc == BC_ENOSPC)
        BC_ERROR("the disk holding %s is full: %zu submissions refused "
                 "(retry later); free some space (the map is not full)",
                 self->cfg.store, b->n);
    else if (b->rc)
        BC_ERROR("store write failed (%s): %zu submissions refused",
                 bc_strerror(b->rc), b->n);
    else
        self->commits++;
    hub_stats_commit(&self->stats, b->n, b->commit_us, b->rc == BC_OK);
    if (b->rc == BC_OK && !self->map_warned) {
        uint64_t used, map;
        hub_store_space(self->store, &used, &map);
        if (map && used > map / 10 * 8) {
            BC_WARN("the store's map is %.0f %% full (%llu of %llu bytes): "
                    "plan a restart with a larger --map-size",
                    100.0 * (double) used / (double) map,
                    (unsigned long long) used, (unsigned long long) map);
            self->map_warned = true;
        }
    }
    for (size_t i = 0; i < b->n; i++) {
        pending_t *p = &b->pend[i];
        hub_item_t *it = &b->items[i];
        if (it->status == BAOCAO__ACK_STATUS__ACK_REJECTED)
            count_reject(self, it->reason, p->peer, it->message);
        else if (it->status == BAOCAO__ACK_STATUS__ACK_RETRY_LATER
                 && (!it->message[0] || b->rc == BC_EFATAL))
            snprintf(it->message, sizeof it->message, "%s",
                     b->rc == BC_EFATAL ? STORE_FAILED_MSG
                     : it->reason == BAOCAO__REJECT_REASON__REASON_STORE_FULL
                         ? "the hub's store is full; resend later"
                         : "the hub could not store it now; resend later");
        Baocao__Reply reply = BAOCAO__REPLY__INIT;
        Baocao__Ack ack = BAOCAO__ACK__INIT;
        if (it->id) {
            ack.submission_id.data = (uint8_t *) it->id;
            ack.submission_id.len = 16;
        }
        ack.status = it->status;
        ack.reason = it->reason;
        ack.message = it->message;
        ack.hub_seq = it->seq;
        ack.current_revision = it->current_revision;
        reply.tag = p->tag;
        reply.body_case = BAOCAO__REPLY__BODY_ACK;
        reply.ack = &ack;
        send_reply(self, p->route, &reply);
        self->acked++;
        hub_stats_ack(&self->stats, it->status);
        if (it->status == BAOCAO__ACK_STATUS__ACK_STORED
            || it->status == BAOCAO__ACK_STATUS__ACK_SUPERSEDED)
            self->recent[0]++;
        else if (it->status == BAOCAO__ACK_STATUS__ACK_DUPLICATE)
            self->recent[1]++;
        else if (it->status == BAOCAO__ACK_STATUS__ACK_REJECTED)
            self->recent[2]++;
        free(it->vals);
        zframe_destroy(&p->route);
        zframe_destroy(&p->payload);
    }
    BC_DEBUG("batch of %zu committed, log at %llu", b->n,
             (unsigned long long) hub_store_last_seq(self->store));
    b->n = 0;
    bc_arena_reset(b->arena);
}

/* Answers a batch that will not be committed, once the store has failed:
 * every submission in it gets RETRY_LATER, so its node keeps it and
 * resends it to the restarted hub. */
static void batch_refuse(hub_server_t *self, batch_t *b)
{
    for (size_t i = 0; i < b->n; i++) {
        b->items[i].status = BAOCAO__ACK_STATUS__ACK_RETRY_LATER;
        b->items[i].reason = BAOCAO__REJECT_REASON__REASON_INTERNAL;
        b->items[i].seq = 0;
        b->items[i].current_revision = 0;
    }
    b->rc = BC_EFATAL;
    batch_answer(self, b);
}

/* Hands the filled batch to the writer if it is idle. */
static void batch_dispatch(hub_server_t *self)
{
    if (self->writing || self->batches[self->filling].n == 0)
        return;
    zstr_send(self->to_writer, self->filling ? "1" : "0");
    self->writing = true;
    self->filling ^= 1;
}

/* Waits for the writer's "done" and answers that batch. */
static void batch_collect(hub_server_t *self)
{
    char *done = zstr_recv(self->to_writer);
    zstr_free(&done);
    self->writing = false;
    batch_answer(self, &self->batches[self->filling ^ 1]);
}

/* Closes the minute: one line per peer that sent more than the message
 * already logged. */
static void garbage_flush(hub_server_t *self)
{
    for (size_t i = 0; i < self->ngarbage; i++)
        if (self->garbage[i].count > 1)
            BC_WARN("%llu undecodable messages (%llu bytes) from %s in the "
                    "last minute; answered MALFORMED, not recorded one by one",
                    (unsigned long long) self->garbage[i].count,
                    (unsigned long long) self->garbage[i].bytes,
                    self->garbage[i].peer);
    self->ngarbage = 0;
    self->garbage_since = zclock_mono();
}

/* Counts one undecodable message from peer; logs only the first of the
 * minute from that peer. */
static void garbage_count(hub_server_t *self, const char *peer, size_t bytes)
{
    if (zclock_mono() - self->garbage_since >= 60000)
        garbage_flush(self);
    self->garbage_total++;
    self->rejected[BAOCAO__REJECT_REASON__REASON_MALFORMED]++;
    size_t i = 0;
    while (i < self->ngarbage && strcmp(self->garbage[i].peer, peer) != 0)
        i++;
    if (i == self->ngarbage) {
        if (self->ngarbage == GARBAGE_PEERS) {
            i = GARBAGE_PEERS - 1;   /* too many peers: share the last */
            snprintf(self->garbage[i].peer, sizeof self->garbage[i].peer,
                     "(several peers)");
        } else {
            self->ngarbage++;
            garbage_t *g = &self->garbage[i];
            snprintf(g->peer, sizeof g->peer, "%s", peer);
            g->count = g->bytes = 0;
            BC_WARN("undecodable message (%zu bytes) from %s: answered "
                    "MALFORMED; more this minute are counted, not logged",
                    bytes, peer);
        }
    }
    self->garbage[i].count++;
    self->garbage[i].bytes += bytes;
}

/* Reads one message from the router; returns false when none is waiting. */
static bool receive_one(hub_server_t *self)
{
    void *sock = zsock_resolve(self->router);
    zmq_msg_t part;
    zframe_t *route = NULL, *payload = NULL;
    int nframes = 0;
    char peer[BC_PEER_MAX] = "";
    char addr[64] = "";   /* the peer's IP address, for the logs */
    /* Frames: routing id, then exactly one payload frame. Anything else is
     * drained and answered as malformed. */
    for (;;) {
        zmq_msg_init(&part);
        if (zmq_msg_recv(&part, sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&part);
            if (nframes == 0)
                return false;
            break;   /* cannot happen mid-message; be safe */
        }
        nframes++;
        if (nframes == 1)
            route = zframe_new(zmq_msg_data(&part), zmq_msg_size(&part));
        else if (nframes == 2) {
            payload = zframe_new(zmq_msg_data(&part), zmq_msg_size(&part));
            const char *uid = zmq_msg_gets(&part, "User-Id");
            if (uid)
                snprintf(peer, sizeof peer, "%s", uid);
            const char *ip = zmq_msg_gets(&part, "Peer-Address");
            snprintf(addr, sizeof addr, "%s", ip ? ip : "?");
        }
        int more = zmq_msg_more(&part);
        zmq_msg_close(&part);
        if (!more)
            break;
    }
    if (nframes != 2 || !payload) {
        if (route)
            send_error(self, route, 0, BAOCAO__REJECT_REASON__REASON_MALFORMED,
                       "expected exactly one frame per request");
        count_reject(self, BAOCAO__REJECT_REASON__REASON_MALFORMED, peer,
                     "wrong number of frames");
        zframe_destroy(&route);
        zframe_destroy(&payload);
        return true;
    }

    Baocao__Request *req = NULL;
    const char *problem = NULL;
    char text_err[160];
    Baocao__RejectReason why = BAOCAO__REJECT_REASON__REASON_NONE;
    if ((long long) zframe_size(payload) > self->cfg.max_message) {
        why = BAOCAO__REJECT_REASON__REASON_TOO_LARGE;
        problem = "request is larger than the hub's --max-message";
    } else if (!(req = baocao__request__unpack(
                     bc_arena_allocator(self->batches[self->filling].arena),
                     zframe_size(payload), zframe_data(payload)))) {
        why = BAOCAO__REJECT_REASON__REASON_MALFORMED;
        problem = "request is not a valid protobuf Request";
    } else if (req->version != BC_WIRE_VERSION) {
        why = BAOCAO__REJECT_REASON__REASON_VERSION;
        problem = "unsupported contract version (this hub speaks 1)";
    } else if (bc_wire_check_text(&req->base, text_err, sizeof text_err)) {
        /* Before any handler can quote a code in a reply or the log: the
         * message names the field, never its bytes. */
        why = BAOCAO__REJECT_REASON__REASON_MALFORMED;
        problem = text_err;
    }

    if (why == BAOCAO__REJECT_REASON__REASON_NONE
        && req->body_case == BAOCAO__REQUEST__BODY_SUBMIT) {
        batch_add(self, &route, &payload, req, peer, why, "");
        return true;
    }
    if (why == BAOCAO__REJECT_REASON__REASON_MALFORMED && !req) {
        /* Bytes that do not decode: answered as before (an Ack, tag 0),
         * counted per peer per minute, but neither logged nor recorded one
         * by one, so that one peer cannot grow the audit log or the log
         * without bound (proto/README.md, Audit log). */
        char who[BC_PEER_MAX];
        snprintf(who, sizeof who, "%s", *peer ? peer : addr);
        garbage_count(self, who, zframe_size(payload));
        Baocao__Reply reply = BAOCAO__REPLY__INIT;
        Baocao__Ack ack = BAOCAO__ACK__INIT;
        ack.status = BAOCAO__ACK_STATUS__ACK_REJECTED;
        ack.reason = why;
        ack.message = (char *) problem;
        reply.body_case = BAOCAO__REPLY__BODY_ACK;
        reply.ack = &ack;
        send_reply(self, route, &reply);
        goto out_free;
    }
    if (why == BAOCAO__REJECT_REASON__REASON_MALFORMED
        && req->body_case != BAOCAO__REQUEST__BODY_SUBMIT) {
        /* A query or a plan with bad text: its own tag, an Error. */
        count_reject(self, why, peer, problem);
        send_error(self, route, req->tag, why, problem);
        goto out_free;
    }
    if (why != BAOCAO__REJECT_REASON__REASON_NONE) {
        /* A submission refused before validation still goes on record:
         * it is what arrived. */
        batch_add(self, &route, &payload, req, peer, why, problem);
        return true;
    }
    /* Requests live in the batch's arena, freed with the batch. */
    for (size_t i = 0; i < sizeof handlers / sizeof handlers[0]; i++)
        if (handlers[i].body == req->body_case) {
            handlers[i].fn(self, route, req, peer);
            goto out_free;
        }
    send_error(self, route, req->tag, BAOCAO__REJECT_REASON__REASON_BAD_REQUEST,
               "unknown request type");
out_free:
    /* With no submission waiting in it, the arena can be reused at once:
     * a stream of queries alone never grows it. */
    if (self->batches[self->filling].n == 0)
        bc_arena_reset(self->batches[self->filling].arena);
    zframe_destroy(&route);
    zframe_destroy(&payload);
    return true;
}

/* The INFO line of what was answered since the last one, if anything. */
static void log_recent(hub_server_t *self)
{
    if (!(self->recent[0] + self->recent[1] + self->recent[2]))
        return;
    BC_INFO("stored %llu, %llu duplicates, %llu rejected (log at %llu)",
            (unsigned long long) self->recent[0],
            (unsigned long long) self->recent[1],
            (unsigned long long) self->recent[2],
            (unsigned long long) hub_store_last_seq(self->store));
    memset(self->recent, 0, sizeof self->recent);
    self->last_recent = zclock_mono();
}

static void log_stats(hub_server_t *self)
{
    char buf[512];
    size_t n = 0;
    buf[0] = '\0';
    for (unsigned r = 0; r < 32 && n < sizeof buf - 64; r++)
        if (self->rejected[r])
            n += (size_t) snprintf(buf + n, sizeof buf - n, " %s=%llu",
                                   bc_reason_name((Baocao__RejectReason) r),
                                   (unsigned long long) self->rejected[r]);
    BC_INFO("acknowledged %llu, log at %llu, replies dropped %llu, "
            "undecodable %llu, rejections:%s", (unsigned long long) self->acked,
            (unsigned long long) hub_store_last_seq(self->store),
            (unsigned long long) self->replies_dropped,
            (unsigned long long) self->garbage_total, n ? buf : " none");
}

int hub_server_run(hub_server_t *self)
{
    /* Poll items: the router and the writer always, then what is on. */
    enum { P_ROUTER, P_WRITER, P_AUTH, P_PEERS, P_METRICS, P_COUNT };
    zsock_t *socks[P_COUNT] = {
        self->router, self->to_writer,
        self->auth ? hub_auth_socket(self->auth) : NULL,
        self->stats.peer_monitor,
        self->metrics ? hub_metrics_socket(self->metrics) : NULL};
    zmq_pollitem_t items[P_COUNT];
    for (int i = 0; i < P_COUNT; i++)
        /* An absent socket is fd -1, which poll() skips (fd 0 would be
         * stdin, and a closed stdin would wake the loop at once). */
        items[i] = socks[i] ? (zmq_pollitem_t){zsock_resolve(socks[i]), 0,
                                               ZMQ_POLLIN, 0}
                            : (zmq_pollitem_t){NULL, -1, 0, 0};
    self->last_stats = zclock_mono();
    self->garbage_since = self->last_stats;
    while (!stop_flag && !self->store_failed) {
        if (reload_flag) {
            reload_flag = 0;
            reload_keys(self);
        }
        /* While the filling batch is full, take nothing more from the
         * router: wait for the writer. */
        batch_t *b = &self->batches[self->filling];
        items[P_ROUTER].events = (long long) b->n < self->cfg.batch_max
                                     ? ZMQ_POLLIN : 0;
        int n = zmq_poll(items, P_COUNT, 1000);
        if (n < 0) {
            if (zmq_errno() == EINTR)
                continue;
            BC_ERROR("poll failed: %s", zmq_strerror(zmq_errno()));
            break;
        }
        if (items[P_AUTH].revents & ZMQ_POLLIN)
            hub_auth_handle(self->auth);
        if (items[P_PEERS].revents & ZMQ_POLLIN)
            hub_stats_read_peers(&self->stats);
        if (items[P_METRICS].revents & ZMQ_POLLIN)
            hub_metrics_handle(self->metrics, metrics_text, self);
        if (items[P_WRITER].revents & ZMQ_POLLIN)
            batch_collect(self);
        if (self->upstream && hub_upstream_failed(self->upstream))
            check_store(self, BC_EFATAL, "writing the upstream cursor");
        if (self->store_failed)
            break;
        /* Drain what is waiting into the filling batch (a handshake waits
         * at most one batch for its ZAP answer). */
        b = &self->batches[self->filling];
        while ((long long) b->n < self->cfg.batch_max && receive_one(self))
            ;
        batch_dispatch(self);
        if (zclock_mono() - self->last_recent >= DELIVERY_LOG_EVERY_MS)
            log_recent(self);
        if (self->ngarbage && zclock_mono() - self->garbage_since >= 60000)
            garbage_flush(self);
        if (zclock_mono() - self->last_stats >= 60000) {
            log_stats(self);
            self->last_stats = zclock_mono();
        }
    }
    /* Stopping: finish the batch in the writer, then the one filled (or,
     * once the store has failed, refuse it: nothing more is written). */
    if (self->writing)
        batch_collect(self);
    if (self->store_failed)
        batch_refuse(self, &self->batches[self->filling]);
    batch_dispatch(self);
    if (self->writing)
        batch_collect(self);
    log_recent(self);
    garbage_flush(self);
    log_stats(self);
    if (self->store_failed) {
        BC_ERROR("stopped: the store failed (exit status %d)",
                 BC_EXIT_STORE_FAILED);
        return BC_EFATAL;
    }
    BC_INFO("stopped");
    return BC_OK;
}
