/*
 * hub_handlers.c -- the hub's answers to every request but a submission:
 * replies and typed errors, the dispatch table (request body -> handler),
 * and the handlers. See hub_server_int.h for
 * how the server's files divide the work.
 */
#include "hub_server_int.h"

#include <sodium.h>

/* --- replies ------------------------------------------------------------- */

void hub_server_send(hub_server_t *self, zframe_t *route, const uint8_t *buf,
                     size_t len)
{
    void *sock = zsock_resolve(self->router);
    if (zmq_send(sock, zframe_data(route), zframe_size(route),
                 ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0
        || zmq_send(sock, buf, len, ZMQ_DONTWAIT) < 0) {
        self->replies_dropped++;
        BC_DEBUG("reply dropped: %s", zmq_strerror(zmq_errno()));
    }
}

void hub_server_reply(hub_server_t *self, zframe_t *route,
                      Baocao__Reply *reply)
{
    reply->version = BC_WIRE_VERSION;
    size_t len;
    /* A read's answer (never an error: the next try may succeed) is kept
     * packed with tag 0, and the asker's tag written into a copy. */
    bool keep = self->cache_fill
                && reply->body_case != BAOCAO__REPLY__BODY_ERROR;
    uint64_t tag = reply->tag;
    if (keep)
        reply->tag = 0;
    /* Packed into the server's buffer, kept from one reply to the next
     * (zmq_send copies the bytes into its own message). */
    const uint8_t *buf = bc_pack_into(&reply->base, &self->reply_buf,
                                      &self->reply_cap, &len);
    reply->tag = tag;
    const uint8_t *out = buf;
    size_t out_len = len;
    if (buf && keep) {
        hub_cache_put(self->cache, self->cache_gen, buf, len);
        if (!(out = hub_cache_retag(self->cache, buf, len, tag, &out_len))) {
            out = NULL;
            out_len = 0;
        }
    }
    if (out)
        hub_server_send(self, route, out, out_len);
    else
        self->replies_dropped++;
    if (self->reply_cap > REPLY_BUF_KEEP) {
        free(self->reply_buf);
        self->reply_buf = NULL;
        self->reply_cap = 0;
    }
}

void hub_server_error(hub_server_t *self, zframe_t *route, uint64_t tag,
                      Baocao__RejectReason reason, const char *message)
{
    Baocao__Reply reply = BAOCAO__REPLY__INIT;
    Baocao__Error e = BAOCAO__ERROR__INIT;
    e.reason = reason;
    e.message = (char *) message;
    reply.tag = tag;
    reply.body_case = BAOCAO__REPLY__BODY_ERROR;
    reply.error = &e;
    hub_server_reply(self, route, &reply);
}

void hub_server_count_reject(hub_server_t *self, Baocao__RejectReason reason,
                             const char *peer, const char *message)
{
    if ((unsigned) reason < 32)
        self->rejected[reason]++;
    BC_WARN("rejected from %s: %s: %s", *peer ? peer : "(plain)",
            bc_reason_name(reason), message);
}

/* --- request handlers ---------------------------------------------------- */

bool hub_server_check_store(hub_server_t *self, int rc, const char *what)
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
    hub_server_error(self, route, tag,
                     BAOCAO__REJECT_REASON__REASON_NOT_AUTHORIZED, msg);
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
        hub_server_error(self, route, req->tag, why, msg);
        return;
    }
    hub_rules_flag(self->store, self->rules, req->query, qr);
    Baocao__Reply reply = BAOCAO__REPLY__INIT;
    reply.tag = req->tag;
    reply.body_case = BAOCAO__REPLY__BODY_QUERY;
    reply.query = qr;
    hub_server_reply(self, route, &reply);
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
        hub_server_error(self, route, req->tag, why, msg);
        return;
    }
    Baocao__Reply reply = BAOCAO__REPLY__INIT;
    reply.tag = req->tag;
    reply.body_case = BAOCAO__REPLY__BODY_COMPLETENESS;
    reply.completeness = cr;
    hub_server_reply(self, route, &reply);
    hub_completeness_free(&cr);
    (void) peer;
}

static void handle_slice(hub_server_t *self, zframe_t *route,
                         Baocao__Request *req, const char *peer)
{
    /* The rows are the unit's children: reading them is reading inside
     * the unit's subtree, so the unit's scope covers them all. */
    if (refuse_read(self, route, req->tag, peer, req->slice->unit))
        return;
    char msg[160] = "";
    Baocao__SliceReply *sr = NULL;
    Baocao__RejectReason why = hub_query_slice(self->store, req->slice, &sr,
                                               msg, sizeof msg);
    if (why != BAOCAO__REJECT_REASON__REASON_NONE) {
        hub_server_error(self, route, req->tag, why, msg);
        return;
    }
    Baocao__Reply reply = BAOCAO__REPLY__INIT;
    reply.tag = req->tag;
    reply.body_case = BAOCAO__REPLY__BODY_SLICE;
    reply.slice = sr;
    hub_server_reply(self, route, &reply);
    hub_slice_free(&sr);
}

/* The catalogue, the rules and the limits: the node's copy, which
 * `baocao submit` and the station's form check reports against (issue
 * #11). Strings point into the registry, which outlives the reply. The
 * stamp is a hash of the packed reply itself, so it changes exactly when
 * its content does and needs no bookkeeping across reloads; a node that
 * sends the stamp it holds is told "unchanged" in some 40 bytes. */
static void handle_catalog(hub_server_t *self, zframe_t *route,
                           Baocao__Request *req, const char *peer)
{
    /* The catalogue's own indicators: combinations are internal (a
     * client sends them as an indicator and its options). */
    size_t n = bc_registry_ncatalogue(self->reg);
    size_t nk = bc_registry_ncategories(self->reg);
    Baocao__CatalogEntry *e = bc_calloc(n ? n : 1, sizeof *e);
    Baocao__CatalogEntry **ptrs = bc_calloc(n ? n : 1, sizeof *ptrs);
    char **catcodes = bc_calloc(n * BC_MAX_CATS + 1, sizeof *catcodes);
    Baocao__Category *k = bc_calloc(nk ? nk : 1, sizeof *k);
    Baocao__Category **kptrs = bc_calloc(nk ? nk : 1, sizeof *kptrs);
    for (size_t i = 0; i < nk; i++) {
        const bc_category_t *c = bc_registry_category(self->reg, (uint32_t) i);
        baocao__category__init(&k[i]);
        k[i].code = c->code;
        k[i].n_options = k[i].n_names = c->nopts;
        k[i].options = c->opts;
        k[i].names = c->names;
        kptrs[i] = &k[i];
    }
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
        e[i].n_categories = ind->ncats;
        e[i].categories = catcodes + i * BC_MAX_CATS;
        for (uint32_t j = 0; j < ind->ncats; j++)
            e[i].categories[j] =
                bc_registry_category(self->reg, ind->cats[j])->code;
        ptrs[i] = &e[i];
    }
    Baocao__Reply reply = BAOCAO__REPLY__INIT;
    Baocao__CatalogReply cr = BAOCAO__CATALOG_REPLY__INIT;
    cr.n_indicators = n;
    cr.indicators = ptrs;
    /* Issue 17: the categories, before the stamp, which covers them. */
    cr.n_categories = nk;
    cr.categories = kptrs;
    cr.rules = self->rules_text ? self->rules_text : "";
    cr.max_values = (uint32_t) self->cfg.max_values;
    cr.max_message = (uint64_t) self->cfg.max_message;
    cr.max_count = BC_COUNT_MAX;
    uint8_t stamp[crypto_hash_sha256_BYTES];
    size_t plen = baocao__catalog_reply__get_packed_size(&cr);
    uint8_t *packed = bc_malloc(plen ? plen : 1);
    baocao__catalog_reply__pack(&cr, packed);
    crypto_hash_sha256(stamp, packed, plen);
    free(packed);
    cr.stamp.data = stamp;
    cr.stamp.len = sizeof stamp;
    const Baocao__CatalogQuery *q = req->catalog;
    if (q && q->stamp.len == sizeof stamp
        && !memcmp(q->stamp.data, stamp, sizeof stamp)) {
        cr.unchanged = true;
        cr.n_indicators = 0;
        cr.indicators = NULL;
        cr.n_categories = 0;
        cr.categories = NULL;
        cr.rules = "";
        cr.max_values = 0;
        cr.max_message = 0;
        cr.max_count = 0;
    }
    reply.tag = req->tag;
    reply.body_case = BAOCAO__REPLY__BODY_CATALOG;
    reply.catalog = &cr;
    hub_server_reply(self, route, &reply);
    free(ptrs);
    free(e);
    free(catcodes);
    free(kptrs);
    free(k);
    (void) peer;
}

void hub_plan_admit(hub_server_t *self, const Baocao__Request *req,
                    const char *peer, hub_item_t *it)
{
    const Baocao__PlanSet *ps = req->plan;
    const bc_unit_t *u = bc_registry_find_unit(self->reg, ps->unit);
    it->plan = true;
    if (*peer && strncmp(peer, "operator:", 9) != 0) {
        /* Plans are set by operators (admins within their scope; anyone
         * in plain mode), not by facilities; and forwarded by a provincial
         * hub (a relay's key, with an origin) for its own subtree. */
        if (!req->origin || !hub_relay_may(self->reg, peer, u)) {
            it->reject = BAOCAO__REJECT_REASON__REASON_NOT_AUTHORIZED;
            snprintf(it->message, sizeof it->message, "%s may not set "
                     "plans%s%.64s", peer, u ? " for " : "",
                     u ? u->code : "");
            return;
        }
    } else if (u && !hub_scope_may_act(self->scope, self->reg, peer, u,
                                       HUB_ROLE_ADMIN, it->message,
                                       sizeof it->message)) {
        it->reject = BAOCAO__REJECT_REASON__REASON_NOT_AUTHORIZED;
        return;
    }
    hub_plan_validate(self->reg, ps, it);
}

/* May `peer` learn where a submission of `unit` went? The peer that may
 * submit for that unit (hub_may_submit: its own unit, a relay's subtree,
 * a district filing on behalf of its communes; anyone in plain mode). A
 * unit no longer in the registry (NULL) is heard of only in plain mode. */
static bool may_hear_of(const bc_registry_t *reg, const char *peer,
                        const bc_unit_t *unit)
{
    return unit ? hub_may_submit(reg, peer, unit) : !peer || !*peer;
}

/* Pong.held: which of the ids asked about this hub holds from this peer
 * (see Ping.held_asked). At most BC_HELD_ASKED_MAX are looked at; an id
 * of the wrong size is skipped. Fills held[] (hub_seq and id, the id
 * borrowed from the request) and returns how many. */
static size_t find_held(hub_server_t *self, hub_reader_t *r,
                        const Baocao__Ping *ping, const char *peer,
                        Baocao__Held *held, Baocao__Held **ptrs)
{
    size_t n = 0;
    for (size_t i = 0; i < ping->n_held_asked && i < BC_HELD_ASKED_MAX; i++) {
        const ProtobufCBinaryData *id = &ping->held_asked[i];
        uint64_t seq;
        uint32_t sid;
        if (id->len != BC_ID_LEN
            || hub_reader_submission(r, id->data, &seq, &sid) != BC_OK
            || !may_hear_of(self->reg, peer,
                            hub_store_unit(self->store, sid)))
            continue;
        baocao__held__init(&held[n]);
        held[n].id = *id;
        held[n].hub_seq = seq;
        ptrs[n] = &held[n];
        n++;
    }
    return n;
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
    Baocao__Held held[BC_HELD_ASKED_MAX], *held_ptrs[BC_HELD_ASKED_MAX];
    if (r && req->ping && req->ping->n_held_asked) {
        pong.n_held = find_held(self, r, req->ping, peer, held, held_ptrs);
        pong.held = held_ptrs;   /* the ids borrowed from the request */
    }
    hub_reader_destroy(&r);
    pong.commits = self->commits;
    pong.acked = self->acked;
    pong.started_at = (uint64_t) self->started_us;
    reply.tag = req->tag;
    reply.body_case = BAOCAO__REPLY__BODY_PONG;
    reply.pong = &pong;
    hub_server_reply(self, route, &reply);
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
        out->upstream_refused = st.refused.count;
        out->upstream_refused_first = st.refused.first;
        out->upstream_refused_last = st.refused.last;
        out->upstream_refused_why = bc_strdup(st.refused.why);
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
    hub_server_reply(self, route, &reply);
    hub_stats_reply_free(&sr);
    (void) peer;
}

char *hub_server_metrics_text(void *arg)
{
    Baocao__StatsReply sr;
    stats_reply(arg, &sr);
    char *text = hub_stats_prometheus(&sr);
    hub_stats_reply_free(&sr);
    return text;
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
        hub_server_error(self, route, req->tag, why, msg);
        return;
    }
    Baocao__Reply reply = BAOCAO__REPLY__INIT;
    reply.tag = req->tag;
    reply.body_case = BAOCAO__REPLY__BODY_VALIDATE;
    reply.validate = vr;
    hub_server_reply(self, route, &reply);
    hub_rules_reply_free(&vr);
    (void) peer;
}

/* The dispatch table: request body -> handler. Submissions and plans are
 * not here: they are log entries, and wait for the batch commit
 * (hub_batch.c). */
static const struct {
    Baocao__Request__BodyCase body;   /* which request */
    hub_handler_fn fn;                /* who answers it */
} handlers[] = {
    {BAOCAO__REQUEST__BODY_QUERY, handle_query},
    {BAOCAO__REQUEST__BODY_COMPLETENESS, handle_completeness},
    {BAOCAO__REQUEST__BODY_SLICE, handle_slice},
    {BAOCAO__REQUEST__BODY_CATALOG, handle_catalog},
    {BAOCAO__REQUEST__BODY_PING, handle_ping},
    {BAOCAO__REQUEST__BODY_STATS, handle_stats},
    {BAOCAO__REQUEST__BODY_VALIDATE, handle_validate},
};

hub_handler_fn hub_handler_find(Baocao__Request__BodyCase body)
{
    for (size_t i = 0; i < sizeof handlers / sizeof handlers[0]; i++)
        if (handlers[i].body == body)
            return handlers[i].fn;
    return NULL;
}
