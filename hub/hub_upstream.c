/*
 * hub_upstream.c -- the forwarder of a provincial hub's log (design in
 * hub_upstream.h).
 *
 * State, all owned by the forwarding thread: the entries in flight, in seq
 * order (a ring: they are sent in log order and leave it from the front
 * once settled, so the cursor is "just before the oldest unsettled one");
 * `scan`, the last log seq looked at since the link came up; and the link's
 * health, with the node's rules. Each turn: refill the window from a fresh
 * read snapshot, wait for answers or a timer, settle, judge the link, write
 * the cursor when it is due.
 */
#include "hub_upstream.h"
#include "bc_error.h"
#include "bc_keys.h"
#include "bc_log.h"
#include "bc_mem.h"
#include "bc_thread.h"
#include "bc_wire.h"

#include <czmq.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define CURSOR_EVERY_MS 1000     /* write the cursor at most this often, */
#define CURSOR_EVERY_SEQS 256    /* unless it moved this far */
#define POLL_MS 200              /* longest wait: how soon a stop is seen */
#define REFILL_IDLE_MS 50        /* new entries are looked for this often */
#define LINK_WAIT_MS 100         /* and a link not up yet tried this often */
#define BEHIND_LOG_MS 10000      /* "behind by N" at most this often */

/* One entry on the wire. */
typedef struct {
    uint64_t seq;                /* provincial log seq, also the tag */
    int64_t sent_at;             /* monotonic ms */
    bool settled;                /* answered for good */
} slot_t;

struct hub_upstream_t {
    hub_upstream_config_t cfg;   /* settings (strings owned, below) */
    char *endpoint;              /* the national hub (owned copy) */
    char *hub_key;               /* its public key file, or NULL */
    char *cert;                  /* this hub's key pair file, or NULL */
    char *name;                  /* Origin.hub, and the cursor's name */
    hub_store_t *store;          /* the hub's store (not owned) */
    pthread_t thread;            /* the forwarding thread */
    bool started;                /* thread is running */
    int stop;                    /* set (atomically) to stop the thread */
    /* thread-only state */
    zsock_t *sock;               /* DEALER, NULL while backing off */
    zsock_t *monitor;            /* handshake failures of sock */
    slot_t *ring;                /* in-flight entries, seq order */
    size_t head;                 /* ring front */
    size_t len;                  /* entries in the ring */
    uint64_t scan;               /* last seq looked at since connecting */
    int64_t last_answer;         /* monotonic ms of the last reply */
    int64_t retry_at;            /* no socket before this */
    int64_t backoff;             /* current backoff, ms */
    int64_t last_refill;         /* when the log was last read */
    bool more;                   /* the last refill stopped on a full
                                    window: read on at once */
    bool link_wait;              /* the last send found no link up */
    int64_t last_write;          /* when the cursor was last written */
    int64_t last_behind_log;     /* when "behind by" was last logged */
    bool was_caught_up;          /* last logged state */
    uint64_t rng;                /* jitter state */
    /* shared with other threads: read and written atomically */
    uint64_t cursor;             /* settled prefix */
    uint64_t durable;            /* cursor as written */
    uint64_t forwarded;          /* settled by a stored/dup/superseded ack */
    uint64_t rejected;           /* settled by a rejection */
    uint64_t unforwardable;      /* skipped: no submission to cut out */
    bool connected;              /* the national hub answered */
    bool failed;                 /* the store's disk failed (BC_EFATAL) */
    pthread_mutex_t lock;        /* guards `refused` for other threads */
    bool lock_made;              /* lock initialised */
    hub_upstream_refused_t refused;  /* refused for good (in the store) */
};

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)

/* xorshift64*: jitter only (the node's generator). */
static uint64_t next_rand(hub_upstream_t *self)
{
    self->rng ^= self->rng >> 12;
    self->rng ^= self->rng << 25;
    self->rng ^= self->rng >> 27;
    return self->rng * 2685821657736338717ULL;
}

/* --- the cursor ------------------------------------------------------------ */

/* Everything up to here is settled: just before the oldest entry in
 * flight, or all that was looked at when nothing is. */
static uint64_t settled_upto(const hub_upstream_t *self)
{
    return self->len ? self->ring[self->head].seq - 1 : self->scan;
}

static void advance(hub_upstream_t *self)
{
    while (self->len && self->ring[self->head].settled) {
        self->head = (self->head + 1) % (size_t) self->cfg.window;
        self->len--;
    }
    uint64_t c = settled_upto(self);
    if (c > self->cursor)   /* thread-owned; others read it atomically */
        STORE(self->cursor, c);
}

static void write_cursor(hub_upstream_t *self, bool force)
{
    int64_t now = zclock_mono();
    uint64_t c = self->cursor;
    if (c == self->durable)
        return;
    if (!force && now - self->last_write < CURSOR_EVERY_MS
        && c - self->durable < CURSOR_EVERY_SEQS)
        return;
    int rc = hub_store_upstream_put(self->store, c, self->name);
    self->last_write = now;
    if (rc == BC_EFATAL) {
        /* Nothing more can be written: stop, and let the hub stop. */
        BC_ERROR("upstream: the store failed writing the cursor (seq "
                 "%llu): %s", (unsigned long long) c, bc_strerror(rc));
        STORE(self->failed, true);
        return;
    }
    if (rc) {
        BC_ERROR("upstream: cannot write the cursor (seq %llu): %s; entries "
                 "after seq %llu will be sent again (answered duplicate)",
                 (unsigned long long) c, bc_strerror(rc),
                 (unsigned long long) self->durable);
        return;
    }
    STORE(self->durable, c);
}

/* --- the link -------------------------------------------------------------- */

static void disconnect(hub_upstream_t *self)
{
    bc_keys_unwatch(self->sock, &self->monitor);
    zsock_destroy(&self->sock);
    /* Whatever was in flight goes again from the cursor on the next link:
     * the national hub dedups what it already has. */
    self->head = self->len = 0;
    self->scan = self->cursor;
    self->more = self->link_wait = false;
    STORE(self->connected, false);
}

/* Waits longer after each failure, up to backoff_max, +-25 % jitter. */
static void back_off(hub_upstream_t *self, const char *why)
{
    int64_t jitter = (int64_t) (next_rand(self)
                                % (uint64_t) (self->backoff / 2 + 1));
    int64_t delay = self->backoff * 3 / 4 + jitter;
    self->retry_at = zclock_mono() + delay;
    BC_INFO("upstream: %s: national hub %s unreachable, retry in %.1f s "
            "(forwarded up to seq %llu of %llu)", why, self->endpoint,
            (double) delay / 1000, (unsigned long long) self->cursor,
            (unsigned long long) hub_store_last_seq(self->store));
    self->backoff *= 2;
    if (self->backoff > self->cfg.backoff_max_ms)
        self->backoff = self->cfg.backoff_max_ms;
}

static int connect_national(hub_upstream_t *self)
{
    char err[256];
    self->sock = zsock_new(ZMQ_DEALER);
    if (!self->sock)
        return BC_ENET;
    zsock_set_linger(self->sock, 0);
    zsock_set_immediate(self->sock, 1);
    zsock_set_reconnect_ivl(self->sock, self->cfg.backoff_min_ms);
    zsock_set_reconnect_ivl_max(self->sock, self->cfg.backoff_max_ms);
    zsock_set_heartbeat_ivl(self->sock, 5000);
    zsock_set_heartbeat_timeout(self->sock, 15000);
    if (!self->cfg.plain) {
        bc_security_t sec = {self->hub_key, self->cert};
        if (bc_keys_apply_client(self->sock, &sec, err, sizeof err)) {
            BC_ERROR("upstream: %s", err);
            zsock_destroy(&self->sock);
            return BC_ECRYPTO;
        }
    }
    self->monitor = bc_keys_watch(self->sock);
    if (zsock_connect(self->sock, "%s", self->endpoint) != 0) {
        BC_ERROR("upstream: cannot connect to %s: %s", self->endpoint,
                 zmq_strerror(zmq_errno()));
        disconnect(self);
        return BC_ENET;
    }
    self->last_answer = zclock_mono();
    self->scan = self->cursor;
    return BC_OK;
}

/* --- sending --------------------------------------------------------------- */

/* What goes up, by the logged Request's body (issue 14): a table, so that
 * a new kind of log entry is one line here and one rule at the national
 * hub. `own` says whose entries: the hub's own (peer "hub": the registry
 * versions it loaded, issue 12) or its peers'. How the national hub
 * authorises each (proto/README.md "Federation"):
 *   submit    hub_may_submit: a unit of the relay's subtree;
 *   registry  the version's root is the relay unit itself, and none of its
 *             other codes is a unit of the national registry outside that
 *             subtree (hub_federate.h);
 *   plan      the plan's unit lies in the relay's subtree;
 *   approval  the same (approve or unapprove, issue #11): the period is
 *             locked at the national hub as at the province. */
typedef struct {
    uint32_t field;              /* Request body field number */
    bool own;                    /* entries of peer "hub" (else not them) */
    const char *what;            /* for the logs */
} fwd_kind_t;

static const fwd_kind_t kinds[] = {
    {BAOCAO__REQUEST__BODY_SUBMIT, false, "submission"},
    {BAOCAO__REQUEST__BODY_REGISTRY, true, "registry version"},
    {BAOCAO__REQUEST__BODY_PLAN, false, "plan"},
    {BAOCAO__REQUEST__BODY_APPROVAL, false, "approval"},
};

/* The kind of a logged entry, and its body's bytes; NULL when it does not
 * go up. */
static const fwd_kind_t *kind_of(const hub_log_entry_t *e,
                                 const uint8_t **body, size_t *body_len)
{
    bool own = e->peer_len == 3 && memcmp(e->peer, "hub", 3) == 0;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (kinds[i].own == own
            && bc_wire_find_field(e->request, e->request_len, kinds[i].field,
                                  body, body_len) == BC_OK)
            return &kinds[i];
    return NULL;
}

/* One log entry of a refill: skip it, or send it. Returns 1 to stop. */
static int offer(void *arg, const hub_log_entry_t *e)
{
    hub_upstream_t *self = arg;
    if (self->len == (size_t) self->cfg.window) {
        self->more = true;
        return 1;
    }
    if (e->outcome != BAOCAO__OUTCOME__OUTCOME_STORED
        && e->outcome != BAOCAO__OUTCOME__OUTCOME_SUPERSEDED) {
        self->scan = e->seq;   /* duplicates and rejections stay here */
        return 0;
    }
    const uint8_t *sub;
    size_t sub_len;
    const fwd_kind_t *kind = kind_of(e, &sub, &sub_len);
    if (!kind && bc_wire_find_field(e->request, e->request_len,
                                    BAOCAO__REQUEST__BODY_REGISTRY, &sub,
                                    &sub_len) == BC_OK) {
        /* A version a province forwarded to this hub (a national hub that
         * forwards too): its effect is this hub's own composed version,
         * which goes up in its place. */
        self->scan = e->seq;
        return 0;
    }
    if (!kind) {
        /* The province accepted it, so this cannot happen with a Request
         * that protobuf-c decoded to one body of a kind that goes up; say
         * so loudly, and do not block the stream on it. */
        BC_ERROR("upstream: log entry %llu holds no single body of a kind "
                 "that is forwarded: not forwarded",
                 (unsigned long long) e->seq);
        STORE(self->unforwardable, self->unforwardable + 1);
        self->scan = e->seq;
        return 0;
    }
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    Baocao__Origin origin = BAOCAO__ORIGIN__INIT;
    origin.hub = self->name;
    origin.seq = e->seq;
    origin.hash.data = (uint8_t *) e->hash;
    origin.hash.len = 32;
    req.version = BC_WIRE_VERSION;
    req.tag = e->seq;
    req.origin = &origin;
    size_t len;
    uint8_t *buf = bc_wire_wrap(&req.base, kind->field, sub, sub_len, &len);
    zframe_t *f = zframe_new(buf, len);
    free(buf);
    if (zframe_send(&f, self->sock, ZFRAME_DONTWAIT) != 0) {
        /* No connection up yet (ZMQ_IMMEDIATE) or pipe full: later, but
         * not in a tight loop (a province may be cut off for a week). */
        zframe_destroy(&f);
        self->link_wait = true;
        return 1;
    }
    size_t at = (self->head + self->len) % (size_t) self->cfg.window;
    self->ring[at] = (slot_t){e->seq, zclock_mono(), false};
    self->len++;
    self->scan = e->seq;
    return 0;
}

static void refill(hub_upstream_t *self)
{
    int64_t now = zclock_mono();
    if (self->len == (size_t) self->cfg.window
        || hub_store_last_seq(self->store) <= self->scan
        || (self->link_wait && now - self->last_refill < LINK_WAIT_MS)
        || (!self->more && !self->link_wait
            && now - self->last_refill < REFILL_IDLE_MS))
        return;
    self->last_refill = now;
    self->more = self->link_wait = false;
    hub_reader_t *r = hub_store_reader(self->store);
    if (!r)
        return;   /* logged by the store; tried again next turn */
    int rc = hub_reader_log(r, self->scan + 1, offer, self);
    hub_reader_destroy(&r);
    if (rc)
        BC_ERROR("upstream: cannot read the log: %s", bc_strerror(rc));
    advance(self);   /* skipped entries may move the cursor */
}

/* --- answers --------------------------------------------------------------- */

/* Keeps a refusal in the store, so that it survives a restart and shows in
 * `baocao stats` until an operator resends. */
static void record_refusal(hub_upstream_t *self, uint64_t seq,
                           const Baocao__Ack *a)
{
    pthread_mutex_lock(&self->lock);
    hub_upstream_refused_t *r = &self->refused;
    r->count++;
    if (!r->first || seq < r->first)
        r->first = seq;
    if (seq > r->last)
        r->last = seq;
    snprintf(r->why, sizeof r->why, "seq %llu: %s: %.200s",
             (unsigned long long) seq, bc_reason_name(a->reason),
             a->message ? a->message : "");
    hub_upstream_refused_t copy = *r;
    pthread_mutex_unlock(&self->lock);
    int rc = hub_store_upstream_refused_put(self->store, &copy);
    if (rc == BC_EFATAL)
        STORE(self->failed, true);
    else if (rc)
        BC_ERROR("upstream: cannot record the refusal of seq %llu: %s",
                 (unsigned long long) seq, bc_strerror(rc));
}

static void receive(hub_upstream_t *self)
{
    bool retry_later = false;
    for (int n = 0; n < 1024; n++) {
        zframe_t *f = zframe_recv_nowait(self->sock);
        if (!f)
            break;
        Baocao__Reply *r = baocao__reply__unpack(NULL, zframe_size(f),
                                                 zframe_data(f));
        zframe_destroy(&f);
        self->last_answer = zclock_mono();
        STORE(self->connected, true);
        if (!r) {
            BC_WARN("upstream: undecodable reply from the national hub");
            continue;
        }
        if (r->body_case != BAOCAO__REPLY__BODY_ACK) {
            if (r->body_case == BAOCAO__REPLY__BODY_ERROR)
                BC_WARN("upstream: national hub error for seq %llu: %s: %s",
                        (unsigned long long) r->tag,
                        bc_reason_name(r->error->reason), r->error->message);
            baocao__reply__free_unpacked(r, NULL);
            continue;
        }
        const Baocao__Ack *a = r->ack;
        slot_t *slot = NULL;
        for (size_t i = 0; i < self->len; i++) {
            slot_t *s = &self->ring[(self->head + i)
                                    % (size_t) self->cfg.window];
            if (s->seq == r->tag) {
                slot = s;
                break;
            }
        }
        switch (a->status) {
        case BAOCAO__ACK_STATUS__ACK_STORED:
        case BAOCAO__ACK_STATUS__ACK_DUPLICATE:
        case BAOCAO__ACK_STATUS__ACK_SUPERSEDED:
            if (slot && !slot->settled)
                STORE(self->forwarded, self->forwarded + 1);
            if (slot)
                slot->settled = true;
            break;
        case BAOCAO__ACK_STATUS__ACK_REJECTED:
            if (slot && !slot->settled) {
                BC_WARN("upstream: national hub rejected log entry %llu: "
                        "%s: %s (recorded; not sent again unless "
                        "--upstream-resend-from)",
                        (unsigned long long) r->tag,
                        bc_reason_name(a->reason), a->message);
                STORE(self->rejected, self->rejected + 1);
                slot->settled = true;
                record_refusal(self, r->tag, a);
            }
            break;
        default:   /* RETRY_LATER, or a status this hub does not know */
            retry_later = true;
            BC_WARN("upstream: national hub asks to retry later: %s",
                    a->message);
            break;
        }
        baocao__reply__free_unpacked(r, NULL);
    }
    advance(self);
    if (retry_later) {
        disconnect(self);
        back_off(self, "national hub cannot store now");
    } else {
        self->backoff = self->cfg.backoff_min_ms;
    }
}

/* Info-level progress: on reaching the head of the log, and every
 * BEHIND_LOG_MS while behind it. */
static void log_progress(hub_upstream_t *self)
{
    uint64_t last = hub_store_last_seq(self->store);
    uint64_t behind = last > self->cursor ? last - self->cursor : 0;
    int64_t now = zclock_mono();
    if (behind == 0) {
        if (!self->was_caught_up)
            BC_INFO("upstream: caught up with the national hub at seq %llu",
                    (unsigned long long) last);
        self->was_caught_up = true;
        return;
    }
    if (self->was_caught_up || now - self->last_behind_log >= BEHIND_LOG_MS) {
        BC_INFO("upstream: behind by %llu log entries (forwarded up to seq "
                "%llu of %llu)%s", (unsigned long long) behind,
                (unsigned long long) self->cursor, (unsigned long long) last,
                self->connected ? "" : "; national hub not answering yet");
        self->last_behind_log = now;
    }
    self->was_caught_up = false;
}

static void *forward_main(void *arg)
{
    hub_upstream_t *self = arg;
    BC_INFO("upstream: forwarding the log to %s as %s from seq %llu "
            "(window %d)", self->endpoint, self->name,
            (unsigned long long) self->cursor + 1, self->cfg.window);
    while (!LOAD(self->stop) && !self->failed) {
        int64_t now = zclock_mono();
        if (!self->sock && now >= self->retry_at && connect_national(self))
            back_off(self, "cannot set up the link");
        if (self->sock)
            refill(self);
        long wait = self->more ? 5 : REFILL_IDLE_MS;
        if (!self->sock) {
            int64_t left = self->retry_at - now;
            zclock_sleep((int) (left < POLL_MS ? (left > 0 ? left : 1)
                                               : POLL_MS));
            write_cursor(self, false);
            continue;
        }
        zmq_pollitem_t items[2] = {
            {zsock_resolve(self->sock), 0, ZMQ_POLLIN, 0},
            {self->monitor ? zsock_resolve(self->monitor) : NULL,
             self->monitor ? 0 : -1, ZMQ_POLLIN, 0}};
        zmq_poll(items, 2, wait);
        if (items[1].revents & ZMQ_POLLIN) {
            bc_handshake_t what = bc_keys_watch_read(self->monitor);
            if (what != BC_HANDSHAKE_OTHER)
                BC_ERROR("upstream: %s", what == BC_HANDSHAKE_REFUSED
                         ? "the national hub refused this hub's key: ask "
                           "for it to be registered (relay=yes)"
                         : "CURVE handshake with the national hub failed: "
                           "check --upstream-key");
        }
        if (items[0].revents & ZMQ_POLLIN)
            receive(self);
        write_cursor(self, false);
        if (!self->sock)
            continue;
        log_progress(self);

        /* Judge the link as the node does: in flight and silent too long
         * means dead; one entry unanswered for 3 x timeout while others
         * are answered was lost under a reconnect inside libzmq. */
        now = zclock_mono();
        bool stale = false;
        for (size_t i = 0; i < self->len; i++) {
            const slot_t *s = &self->ring[(self->head + i)
                                          % (size_t) self->cfg.window];
            if (!s->settled && now - s->sent_at > 3 * self->cfg.timeout_ms)
                stale = true;
        }
        if (self->len && (stale || now - self->last_answer
                                       > self->cfg.timeout_ms)) {
            disconnect(self);
            back_off(self, "no answer");
        }
    }
    if (!self->failed)
        write_cursor(self, true);
    disconnect(self);
    BC_INFO("upstream: stopped at seq %llu", (unsigned long long)
            self->cursor);
    return NULL;
}

/* --- lifecycle ------------------------------------------------------------- */

hub_upstream_t *hub_upstream_new(hub_store_t *store,
                                 const hub_upstream_config_t *cfg, char *err,
                                 size_t errlen)
{
    hub_upstream_t *self = bc_calloc(1, sizeof *self);
    char pub[41];
    self->cfg = *cfg;
    self->store = store;
    if (!cfg->endpoint || !*cfg->endpoint) {
        bc_set_error(err, errlen, "--upstream needs the national hub's "
                     "endpoint");
        goto out_free;
    }
    if (!cfg->plain && (!cfg->hub_key || !cfg->cert)) {
        bc_set_error(err, errlen, "--upstream needs --upstream-key "
                     "NATIONAL.pub and --upstream-cert PROVINCE.secret, or "
                     "--upstream-plain to forward without encryption");
        goto out_free;
    }
    if (!cfg->plain) {
        /* Check the key files now, so a typo fails at start, not later. */
        if (bc_keys_public(cfg->hub_key, pub, err, errlen) != BC_OK)
            goto out_free;
        zcert_t *c = bc_keys_load_pair(cfg->cert, err, errlen);
        if (!c)
            goto out_free;
        zcert_destroy(&c);
    }
    if (cfg->window < 1 || cfg->timeout_ms < 1 || cfg->backoff_min_ms < 1
        || cfg->backoff_max_ms < cfg->backoff_min_ms) {
        bc_set_error(err, errlen, "upstream: window, timeout and backoff "
                     "must be positive, backoff-max at least backoff-min");
        goto out_free;
    }
    self->endpoint = bc_strdup(cfg->endpoint);
    self->hub_key = cfg->hub_key ? bc_strdup(cfg->hub_key) : NULL;
    self->cert = cfg->cert ? bc_strdup(cfg->cert) : NULL;
    self->name = bc_strdup(cfg->name && *cfg->name ? cfg->name : "province");
    self->ring = bc_calloc((size_t) cfg->window, sizeof *self->ring);
    self->backoff = cfg->backoff_min_ms;
    self->rng = (uint64_t) zclock_usecs() ^ (uint64_t) getpid() << 32;
    if (!self->rng)
        self->rng = 1;

    char was[257];
    int rc = hub_store_upstream_get(store, &self->cursor, was, sizeof was);
    if (rc && rc != BC_ENOTFOUND) {
        bc_set_error(err, errlen, "upstream: cannot read the cursor: %s",
                     bc_strerror(rc));
        goto out_free;
    }
    if (rc == BC_OK && strcmp(was, self->name) != 0)
        BC_WARN("upstream: this store forwarded as '%s' before, now as "
                "'%s'", was, self->name);
    pthread_mutex_init(&self->lock, NULL);
    self->lock_made = true;
    if ((rc = hub_store_upstream_refused_get(store, &self->refused))) {
        bc_set_error(err, errlen, "upstream: cannot read the refusals: %s",
                     bc_strerror(rc));
        goto out_free;
    }
    if (self->refused.count)
        BC_WARN("upstream: the national hub refused %llu log entries (seq "
                "%llu to %llu; last %s): fix the national side, then "
                "restart with --upstream-resend-from %llu",
                (unsigned long long) self->refused.count,
                (unsigned long long) self->refused.first,
                (unsigned long long) self->refused.last, self->refused.why,
                (unsigned long long) self->refused.first);
    if (cfg->resend_from && cfg->resend_from != self->refused.resent_from) {
        /* Everything from there goes again: what the national hub has is
         * answered DUPLICATE, what it refused is decided again. */
        uint64_t c = cfg->resend_from - 1;
        if (c < self->cursor)
            self->cursor = c;
        memset(&self->refused, 0, sizeof self->refused);
        self->refused.resent_from = cfg->resend_from;
        if ((rc = hub_store_upstream_refused_put(store, &self->refused))
            || (rc = hub_store_upstream_put(store, self->cursor,
                                            self->name))) {
            bc_set_error(err, errlen, "upstream: cannot rewind the cursor: "
                         "%s", bc_strerror(rc));
            goto out_free;
        }
        BC_INFO("upstream: sending the log again from seq %llu, as asked "
                "(--upstream-resend-from)",
                (unsigned long long) cfg->resend_from);
    } else if (cfg->resend_from) {
        BC_INFO("upstream: --upstream-resend-from %llu was applied before: "
                "not again (remove the flag)",
                (unsigned long long) cfg->resend_from);
    }
    self->durable = self->cursor;
    self->scan = self->cursor;
    self->was_caught_up = true;
    if (bc_thread_start(&self->thread, forward_main, self) != BC_OK) {
        bc_set_error(err, errlen, "upstream: cannot start the forwarding "
                     "thread");
        goto out_free;
    }
    self->started = true;
    return self;

out_free:
    hub_upstream_destroy(&self);
    return NULL;
}

void hub_upstream_destroy(hub_upstream_t **self_p)
{
    hub_upstream_t *self = *self_p;
    if (!self)
        return;
    if (self->started) {
        STORE(self->stop, 1);
        pthread_join(self->thread, NULL);
    }
    if (self->lock_made)
        pthread_mutex_destroy(&self->lock);
    free(self->ring);
    free(self->endpoint);
    free(self->hub_key);
    free(self->cert);
    free(self->name);
    free(self);
    *self_p = NULL;
}

bool hub_upstream_failed(hub_upstream_t *self)
{
    return LOAD(self->failed);
}

void hub_upstream_status(hub_upstream_t *self, hub_upstream_status_t *out)
{
    out->cursor = LOAD(self->cursor);
    out->durable = LOAD(self->durable);
    out->forwarded = LOAD(self->forwarded);
    out->rejected = LOAD(self->rejected);
    out->unforwardable = LOAD(self->unforwardable);
    out->connected = LOAD(self->connected);
    pthread_mutex_lock(&self->lock);
    out->refused = self->refused;
    pthread_mutex_unlock(&self->lock);
}
