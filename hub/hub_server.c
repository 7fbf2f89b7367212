/*
 * hub_server.c -- the hub's event loop (design in hub_server.h).
 *
 * Request handling is a table: each Request body case maps to one handler;
 * submissions and approvals (hub_batch.c) are the only ones deferred to the
 * batch commit. Every request is answered, with an Error reply when it
 * cannot be served, so a client is never left waiting on a malformed or
 * unknown request.
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
 *
 * A change of the registry under the running hub (SIGHUP, a province's
 * registry version) is hub_reload.c's; this loop only decides when.
 */
#include "hub_server_int.h"
#include "bc_notify.h"
#include "hub_federate.h"
#include "hub_history.h"
#include "bc_fs.h"
#include "bc_mem.h"

#include <string.h>

#define HC(field) offsetof(hub_config_t, field)
const bc_option_t hub_options[] = {
    {"store", BC_OPT_STRING, HC(store), 0, 0, NULL, "DIR",
     "LMDB store directory (created if missing)"},
    {"registry", BC_OPT_STRING, HC(registry), 0, 0, NULL, "UNITS.csv",
     "hierarchy of reporting units"},
    {"catalog", BC_OPT_STRING, HC(catalog), 0, 0, NULL, "INDICATORS.csv",
     "indicator catalogue"},
    {"categories", BC_OPT_STRING, HC(categories), 0, 0, NULL,
     "CATEGORIES.csv", "categories and their options (category,option,name) "
     "that the catalogue's `categories` column breaks indicators down by"},
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
    {"query-cache", BC_OPT_INT, HC(query_cache), 0, 1LL << 30, "4M", "BYTES",
     "memory for the replies of repeated queries, slices and completeness "
     "requests, kept until the next commit or reload (0: none)"},
    {"max-values", BC_OPT_INT, HC(max_values), 1, 100000, "1000", "N",
     "most figures in one report"},
    {"batch-max", BC_OPT_INT, HC(batch_max), 1, 100000, "512", "N",
     "most submissions written in one commit (the hub holds at most two "
     "batches of decoded submissions: the one committing, the one filling)"},
    {"receive-hwm", BC_OPT_INT, HC(receive_hwm), 1, 100000, "2", "N",
     "requests queued per connection before the hub stops reading it: the "
     "rest wait in the kernel's socket buffers, not in the hub's memory"},
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
    {"upstream-resend-from", BC_OPT_INT, HC(upstream_resend_from), 0,
     1LL << 62, "0", "SEQ", "send the log again from SEQ once (after the "
     "national hub refused entries and its registry was fixed; see baocao "
     "stats); 0: no"},
};
const size_t hub_noptions = sizeof hub_options / sizeof hub_options[0];

static volatile sig_atomic_t stop_flag;
static volatile sig_atomic_t reload_flag;   /* SIGHUP: reload the registry */

static void on_signal(int sig)
{
    if (sig == SIGHUP)
        reload_flag = 1;
    else
        stop_flag = 1;
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

hub_server_t *hub_server_new(const hub_config_t *cfg, int *rc_out,
                             char *err, size_t errlen)
{
    hub_server_t *self = bc_calloc(1, sizeof *self);
    int rc;
    char *units_text = NULL;      /* the units file as composed */
    size_t units_len = 0;
    self->cfg = *cfg;
    if (rc_out)
        *rc_out = BC_EINVAL;
    self->started_us = hub_now_us();
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
    /* The files, with the provinces' subtrees a national hub keeps in its
     * store composed in (hub_federate.h); any other hub: the files. */
    hub_subtrees_t st;
    if (hub_federate_read_dir(cfg->store, &st, err, errlen))
        goto out_free;
    self->reg = hub_federate_load(cfg->registry, cfg->catalog,
                                  cfg->categories, &st,
                                  &units_text, &units_len, err, errlen);
    if (st.n && self->reg)
        BC_INFO("national registry: %s with the subtrees of %zu provinces",
                cfg->registry, st.n);
    hub_subtrees_free(&st);
    if (!self->reg)
        goto out_free;
    if (cfg->rules && hub_server_load_rules(self, self->reg, &self->rules,
                                            &self->rules_text, err, errlen))
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
    /* The registry version into the log (issue 12): an export carries it. */
    if (hub_history_log_text(self->store, self->reg, units_text, units_len,
                             cfg->catalog, cfg->categories, err, errlen))
        goto out_free;
    bc_free(&units_text);

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
    if (!(self->cache = hub_cache_new((size_t) cfg->query_cache))) {
        snprintf(err, errlen, "out of memory");
        goto out_free;
    }
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
    /* Requests beyond the batches wait outside the hub: once a
     * connection's pipe holds receive-hwm of them, libzmq stops reading
     * its socket and the rest stays in the kernel's buffers (and the
     * node's), so 1,000 nodes with 8 in flight each cost the hub two
     * batches, not 8,000 copies (BENCHMARKS.md, goal 5). Nothing is
     * dropped: TCP pushes back on the node. */
    zsock_set_rcvhwm(self->router, (int) cfg->receive_hwm);
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
        /* Replaced whole, so a reader never sees half an endpoint. */
        char line[sizeof self->endpoint + 1];
        int n = snprintf(line, sizeof line, "%s\n", self->endpoint);
        if (bc_file_replace(cfg->endpoint_file, line, (size_t) n, 0644, err,
                            errlen) != BC_OK)
            goto out_free;
    }
    for (int b = 0; b < 2; b++) {
        self->batches[b].pend = bc_calloc((size_t) cfg->batch_max,
                                          sizeof(pending_t));
        self->batches[b].items = bc_calloc((size_t) cfg->batch_max,
                                           sizeof(hub_item_t));
        self->batches[b].arena = bc_arena_new(4 << 20);
    }
    if (hub_writer_start(self, err, errlen))
        goto out_free;
    if (cfg->upstream && hub_server_start_upstream(self, err, errlen))
        goto out_free;
    BC_INFO("serving %s: %zu units, %zu indicators, store %s, log at seq "
            "%llu", self->endpoint, bc_registry_nunits(self->reg),
            bc_registry_ncatalogue(self->reg), cfg->store,
            (unsigned long long) hub_store_last_seq(self->store));
    return self;

out_free:
    free(units_text);
    hub_server_destroy(&self);
    return NULL;
}

void hub_server_destroy(hub_server_t **self_p)
{
    hub_server_t *self = *self_p;
    if (!self)
        return;
    hub_upstream_destroy(&self->upstream);
    hub_writer_stop(self);
    hub_metrics_destroy(&self->metrics);
    hub_stats_fini(&self->stats);
    hub_cache_destroy(&self->cache);
    free(self->reply_buf);
    zsock_destroy(&self->router);
    hub_auth_destroy(&self->auth);
    hub_store_close(&self->store);
    bc_lock_destroy(&self->lock);   /* after the store is closed */
    bc_rules_destroy(&self->rules);
    bc_free(&self->rules_text);
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
            hub_server_error(self, route, 0,
                             BAOCAO__REJECT_REASON__REASON_MALFORMED,
                             "expected exactly one frame per request");
        hub_server_count_reject(self, BAOCAO__REJECT_REASON__REASON_MALFORMED,
                                peer, "wrong number of frames");
        zframe_destroy(&route);
        zframe_destroy(&payload);
        return true;
    }

    Baocao__Request *req = NULL;
    const char *problem = NULL;
    char text_err[160];
    Baocao__RejectReason why = BAOCAO__REJECT_REASON__REASON_NONE;
    bc_arena_t *arena = self->batches[self->filling].arena;
    bc_arena_mark_t before = bc_arena_mark(arena);
    if ((long long) zframe_size(payload) > self->cfg.max_message) {
        why = BAOCAO__REJECT_REASON__REASON_TOO_LARGE;
        problem = "request is larger than the hub's --max-message";
    } else if (!(req = baocao__request__unpack(
                     bc_arena_allocator(arena), zframe_size(payload),
                     zframe_data(payload)))) {
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

    /* Submissions and plans are log entries: decided in the batch. */
    if (why == BAOCAO__REJECT_REASON__REASON_NONE
        && (req->body_case == BAOCAO__REQUEST__BODY_SUBMIT
            || req->body_case == BAOCAO__REQUEST__BODY_PLAN)) {
        hub_batch_add(self, &route, &payload, req, peer, why, "");
        /* A submission is validated now, and its item holds nothing of
         * the decoded request (hub_batch_add): it is the arena's last
         * allocation, so it goes at once. A plan's stays with its batch. */
        if (req->body_case == BAOCAO__REQUEST__BODY_SUBMIT)
            bc_arena_rewind(arena, before);
        return true;
    }
    /* Approvals go through the batch too: logged and decided in order
     * with the submissions (hub_approvals.h). */
    if (why == BAOCAO__REJECT_REASON__REASON_NONE
        && req->body_case == BAOCAO__REQUEST__BODY_APPROVAL) {
        if (hub_batch_approval(self, &route, &payload, req, peer))
            return true;
        goto out_free;
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
        hub_server_reply(self, route, &reply);
        goto out_free;
    }
    if (why == BAOCAO__REJECT_REASON__REASON_MALFORMED
        && req->body_case != BAOCAO__REQUEST__BODY_SUBMIT) {
        /* A query or a plan with bad text: its own tag, an Error. */
        hub_server_count_reject(self, why, peer, problem);
        hub_server_error(self, route, req->tag, why, problem);
        goto out_free;
    }
    if (why != BAOCAO__REJECT_REASON__REASON_NONE) {
        /* A submission refused before validation still goes on record:
         * it is what arrived. Its item keeps nothing of the decoded
         * request either. */
        hub_batch_add(self, &route, &payload, req, peer, why, problem);
        bc_arena_rewind(arena, before);
        return true;
    }
    if (req->body_case == BAOCAO__REQUEST__BODY_REGISTRY && req->origin) {
        hub_reload_federated(self, route, payload, peer, req->tag);
        goto out_free;
    }
    /* The reads a page repeats: answered from the cache while nothing
     * was committed since (hub_cache.h). The generation is read before
     * the handler opens its read transaction, so an answer is never
     * older than the generation it is kept under. */
    bool cacheable = req->body_case == BAOCAO__REQUEST__BODY_QUERY
                     || req->body_case == BAOCAO__REQUEST__BODY_SLICE
                     || req->body_case == BAOCAO__REQUEST__BODY_COMPLETENESS;
    if (cacheable && self->store
        && hub_cache_key(self->cache, peer, zframe_data(payload),
                         zframe_size(payload)) == 0
        && (self->cache_gen = hub_store_txnid(self->store)) != 0) {
        size_t len;
        const uint8_t *hit = hub_cache_get(self->cache, self->cache_gen,
                                           req->tag, &len);
        if (hit) {
            BC_DEBUG("reply from the cache (%llu hits)",
                     (unsigned long long) hub_cache_hits(self->cache));
            hub_server_send(self, route, hit, len);
            goto out_free;
        }
        self->cache_fill = true;
    }
    /* Requests live in the batch's arena, freed with the batch. */
    hub_handler_fn fn = hub_handler_find(req->body_case);
    if (fn) {
        fn(self, route, req, peer);
        self->cache_fill = false;
        goto out_free;
    }
    self->cache_fill = false;
    hub_server_error(self, route, req->tag,
                     BAOCAO__REJECT_REASON__REASON_BAD_REQUEST,
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
            "undecodable %llu, query cache %llu hits %llu misses %zu bytes, "
            "rejections:%s", (unsigned long long) self->acked,
            (unsigned long long) hub_store_last_seq(self->store),
            (unsigned long long) self->replies_dropped,
            (unsigned long long) self->garbage_total,
            (unsigned long long) hub_cache_hits(self->cache),
            (unsigned long long) hub_cache_misses(self->cache),
            hub_cache_bytes(self->cache), n ? buf : " none");
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
        bc_notify_watchdog();   /* each turn is at most a 1 s poll */
        /* Only between batches: a batch holds units of the registry it
         * was validated against. Else the flag stays set: the next turn
         * of the loop. */
        if (reload_flag && !self->writing && !self->batches[self->filling].n) {
            reload_flag = 0;
            hub_reload_registry(self);
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
            hub_metrics_handle(self->metrics, hub_server_metrics_text, self);
        if (items[P_WRITER].revents & ZMQ_POLLIN)
            hub_batch_collect(self);
        if (self->upstream && hub_upstream_failed(self->upstream))
            hub_server_check_store(self, BC_EFATAL,
                                   "writing the upstream cursor");
        if (self->store_failed)
            break;
        /* Drain what is waiting into the filling batch (a handshake waits
         * at most one batch for its ZAP answer). */
        /* The filling batch is looked up each time: a forwarded registry
         * version commits and swaps the batches (federate_registry). */
        while ((long long) self->batches[self->filling].n
                   < self->cfg.batch_max && receive_one(self))
            ;
        hub_batch_dispatch(self);
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
        hub_batch_collect(self);
    if (self->store_failed)
        hub_batch_refuse(self, &self->batches[self->filling]);
    hub_batch_dispatch(self);
    if (self->writing)
        hub_batch_collect(self);
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
