/*
 * node_sender.c -- the delivery loop (design in node_sender.h).
 *
 * State (node_sender_int.h): the in-flight window (node_window.h), a
 * cursor into the pending index, the backoff (when the link may be tried
 * again), a node_link_t that judges the link's health, and the probe's
 * question after a failure (node_probe.h).
 * Each turn of the loop: refill the window, wait for answers or a timer,
 * settle the answers (node_answers.c: the replies and the socket's
 * events), and judge the link.
 *
 * Store errors: a disk error in the outbox (BC_EFATAL: EIO, MDB_PANIC) ends
 * the loop; node_sender_run() returns BC_EFATAL and main() exits with
 * BC_EXIT_STORE_FAILED for the supervisor to restart it (the restart
 * reopens the outbox at its last good commit; answers not recorded are
 * asked for again, as "duplicate"). A full disk (BC_ENOSPC) is survivable:
 * the daemon logs it once, backs off and sends again what it could not
 * record, until the outbox records again.
 *
 * Link health (silence and the RTO, waiting for a connection, the poison
 * suspect, idle disconnect, handshake failures) is judged by node_link.c:
 * this file tells it what happened and does what it says.
 */
#include "node_sender_int.h"
#include "baocao.pb-c.h"
#include "bc_error.h"
#include "bc_keys.h"
#include "bc_lock.h"
#include "bc_log.h"
#include "bc_notify.h"
#include "bc_mem.h"
#include "bc_wire.h"
#include "node_copy.h"
#include "node_link.h"
#include "node_outbox.h"
#include "node_probe.h"
#include "node_window.h"
#include "node_summary.h"

#include <czmq.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void) sig;
    stop_flag = 1;
}

/* xorshift64*: jitter only, no need for a CSPRNG. */
static uint64_t next_rand(node_sender_t *self)
{
    self->rng ^= self->rng >> 12;
    self->rng ^= self->rng << 25;
    self->rng ^= self->rng >> 27;
    return self->rng * 2685821657736338717ULL;
}

void node_sender_record_error(node_sender_t *self, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (strcmp(buf, self->last_error) == 0)
        return;   /* already recorded: do not sync the same words again */
    snprintf(self->last_error, sizeof self->last_error, "%s", buf);
    if (*buf)
        BC_WARN("%s", buf);
    node_sender_check_store(self, node_outbox_set_error(self->outbox, buf),
                            "cannot record the last delivery problem");
}

/* Judges the result of an outbox call. A disk failure stops the daemon
 * (see the top of this file); any other store error is logged at ERROR
 * once until the outbox records again (a full disk used to be logged a
 * hundred times in 25 s) and noted beside the outbox for `baocao status`.
 * Returns rc. */
int node_sender_check_store(node_sender_t *self, int rc, const char *what)
{
    char why[256], line[512];
    if (rc == BC_OK)
        return rc;
    node_outbox_explain(self->outbox, rc, why, sizeof why);
    snprintf(line, sizeof line, "%s: %s", what, why);
    if (rc == BC_EFATAL) {
        if (!self->store_failed)
            BC_ERROR("outbox %s: %s. Stopping with exit status %d so that "
                     "the supervisor restarts the node; it then resumes "
                     "from the outbox's last good commit", self->cfg.store,
                     line, BC_EXIT_STORE_FAILED);
        self->store_failed = true;
    } else if (rc != self->store_rc) {
        BC_ERROR("%s (%s)", line, rc == BC_ENOSPC
                                      ? "free some space; nothing filed is "
                                        "lost, answers will be asked for "
                                        "again"
                                      : "they will be asked for again");
    }
    if (rc != self->store_rc)
        node_outbox_note_store_error(self->outbox, line);
    self->store_rc = rc;
    return rc;
}

/* The first report in the outbox filed for a unit other than ours. */
typedef struct {
    const char *unit;          /* this node's --unit */
    char *const *also;         /* its --on-behalf-of units, or NULL */
    char other[64];            /* the other unit found, "" if none */
    uint64_t count;            /* reports of other units */
} unit_check_t;

/* Ours: --unit itself, a unit whose code extends it ("HP-HB-QT" under
 * "HP-HB": the registry's code convention, so that a district centre
 * filing for its wards needs no list), or one named by --on-behalf-of
 * (for codes outside the convention, e.g. after a merger). A safety net
 * against a mistyped --unit or --store, not authorisation: the hub checks
 * every report against the sender's key. */
static void check_unit(void *arg, const node_entry_t *e)
{
    unit_check_t *uc = arg;
    size_t ulen = strlen(uc->unit);
    if (strcmp(e->unit, uc->unit) == 0
        || (strncmp(e->unit, uc->unit, ulen) == 0 && e->unit[ulen] == '-'))
        return;
    for (char *const *u = uc->also; u && *u; u++)
        if (strcmp(e->unit, *u) == 0)
            return;
    if (!uc->count++)
        snprintf(uc->other, sizeof uc->other, "%s", e->unit);
}

node_sender_t *node_sender_new(const node_config_t *cfg, int *rc_out,
                               char *err, size_t errlen)
{
    node_sender_t *self = bc_calloc(1, sizeof *self);
    int rc;
    self->cfg = *cfg;
    if (rc_out)
        *rc_out = BC_EINVAL;
    if (!cfg->store || !cfg->hub || !cfg->unit) {
        snprintf(err, errlen, "--store, --unit and --hub are required (see "
                 "--help)");
        goto out_free;
    }
    if (!cfg->plain && !cfg->hub_key) {
        snprintf(err, errlen, "no --hub-key given: pass the hub's public key "
                 "(--hub-key hub.pub, with --cert NODE.secret), or --plain "
                 "to connect without encryption");
        goto out_free;
    }
    if (cfg->hub_key) {
        /* Check the key files now, so a typo fails at start, not later. */
        char pub[41];
        if (bc_keys_public(cfg->hub_key, pub, err, errlen) != BC_OK)
            goto out_free;
        if (cfg->cert) {
            zcert_t *c = bc_keys_load_pair(cfg->cert, err, errlen);
            if (!c)
                goto out_free;
            zcert_destroy(&c);
        }
    }
    /* One node per outbox: two would send every report twice over and
     * race on its state. `baocao submit` and `status` do not lock. */
    if ((rc = bc_lock_new(cfg->store, "baocao-node", &self->lock, err,
                          errlen))) {
        if (rc_out && rc == BC_EEXIST)
            *rc_out = BC_EEXIST;
        goto out_free;
    }
    self->outbox = node_outbox_open(cfg->store, err, errlen);
    if (!self->outbox)
        goto out_unlock;
    /* An outbox holds one unit's reports: a mistyped --unit, or the wrong
     * --store, would deliver another station's reports under this node's
     * key without a word. */
    unit_check_t uc = {cfg->unit, cfg->on_behalf_of, "", 0};
    if ((rc = node_outbox_each(self->outbox, check_unit, &uc))) {
        snprintf(err, errlen, "cannot read the outbox in %s: %s", cfg->store,
                 bc_strerror(rc));
        goto out_close;
    }
    if (uc.count) {
        snprintf(err, errlen, "the outbox in %s holds %llu report(s) of unit "
                 "%s, but this node is --unit %s: check --unit and --store "
                 "(a centre that files for units outside its own code lists "
                 "each with --on-behalf-of CODE)", cfg->store,
                 (unsigned long long) uc.count, uc.other, cfg->unit);
        goto out_close;
    }
    /* What an earlier run left: sends whose connection died with it, an
     * error and a retry time of that run. None is current now. Only
     * bookkeeping for `baocao status`: on a full disk it stays as it is
     * (the loop reports the store's state). */
    node_stats_t prev;
    node_outbox_mark_unsent(self->outbox, NULL, 0);
    if (node_outbox_stats(self->outbox, &prev) == BC_OK) {
        if (*prev.last_error)
            node_outbox_set_error(self->outbox, "");
        if (prev.next_retry)
            node_outbox_set_retry(self->outbox, 0);
    }
    self->window = node_window_new((size_t) cfg->window);
    self->backoff = cfg->backoff_min_ms;
    node_link_config_t lc = {cfg->timeout_ms, cfg->poll_ms,
                             cfg->idle_disconnect_ms, cfg->backoff_max_ms,
                             cfg->hub_key && !cfg->plain, cfg->cert != NULL};
    self->link = node_link_new(&lc);
    self->probe = node_probe_new();
    /* Reports an earlier run sent whose answers never came (it was killed
     * mid-send): the hub may hold them. One Ping asks before they are
     * resent (node_probe.h). */
    int grc = node_probe_gather(self->probe, self->outbox,
                                (size_t) cfg->window);
    if (grc == BC_OK && node_probe_asked(self->probe)) {
        self->start_ask = START_DUE;
        BC_INFO("%zu report(s) sent by an earlier run were not answered: "
                "asking the hub which it holds before sending them again",
                node_probe_asked(self->probe));
    } else {
        node_probe_reset(self->probe);
    }
    self->rng = (uint64_t) zclock_usecs() ^ (uint64_t) getpid() << 32;
    if (!self->rng)
        self->rng = 1;
    zsys_handler_set(NULL);
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    stop_flag = 0;
    return self;

out_close:
    node_outbox_close(&self->outbox);
out_unlock:
    bc_lock_destroy(&self->lock);
out_free:
    free(self);
    return NULL;
}

void node_sender_disconnect(node_sender_t *self)
{
    bc_keys_unwatch(self->sock, &self->monitor);
    zsock_destroy(&self->sock);
    /* Whatever was in flight stays pending in the outbox and goes again on
     * the next connection; meanwhile nothing is on the wire for it, and
     * `baocao status` says so ("waiting to be sent", not "in flight": the
     * field trial of issue #26 read "in flight 1" through an outage). */
    size_t inflight = self->window ? node_window_count(self->window) : 0;
    if (inflight && self->outbox && !self->store_failed) {
        uint64_t *seqs = bc_calloc(inflight, sizeof *seqs);
        size_t n = node_window_seqs(self->window, seqs);
        node_sender_check_store(self,
                                node_outbox_mark_unsent(self->outbox, seqs, n),
                                "cannot record what is no longer in flight");
        free(seqs);
    }
    if (self->window)
        node_window_clear(self->window);
    self->cursor = 0;
    if (self->link)
        node_link_dropped(self->link);
    self->copy_asked = false;
    self->copy_sent_at = 0;
    if (self->probe)
        node_probe_reset(self->probe);   /* the next probe looks again */
    /* After a failure the probe asks the same (node_link_probe_begin). */
    self->start_ask = START_NONE;
}

void node_sender_destroy(node_sender_t **self_p)
{
    node_sender_t *self = *self_p;
    if (!self)
        return;
    node_sender_disconnect(self);
    node_outbox_close(&self->outbox);
    bc_lock_destroy(&self->lock);   /* after the outbox is closed */
    node_link_destroy(&self->link);
    node_probe_destroy(&self->probe);
    node_window_destroy(&self->window);
    free(self);
    *self_p = NULL;
}

static int connect_hub(node_sender_t *self)
{
    char err[256];
    self->sock = zsock_new(ZMQ_DEALER);
    if (!self->sock)
        return BC_ENET;
    zsock_set_linger(self->sock, 0);
    zsock_set_immediate(self->sock, 1);
    /* libzmq reconnects by itself after a connection drops; at its own
     * pace (from --backoff-min each time a new socket starts) that was a
     * try every 0.86 s with the hub gone behind a gateway that accepts
     * and closes (issue #26). So it starts at the node's current backoff:
     * one backoff for every kind of failure. */
    zsock_set_reconnect_ivl(self->sock, (int) self->backoff);
    zsock_set_reconnect_ivl_max(self->sock, (int) self->cfg.backoff_max_ms);
    /* A held probe waits for a link in a black hole longer than libzmq's
     * 30 s (node_link_hold_ms). */
    zsock_set_handshake_ivl(self->sock, (int) node_link_hold_ms(self->link));
    if (self->cfg.heartbeat_ms > 0) {
        zsock_set_heartbeat_ivl(self->sock, (int) self->cfg.heartbeat_ms);
        zsock_set_heartbeat_timeout(self->sock,
                                    (int) self->cfg.heartbeat_ms * 3);
    }
    if (self->cfg.hub_key) {
        bc_security_t sec = {self->cfg.hub_key, self->cfg.cert};
        if (bc_keys_apply_client(self->sock, &sec, err, sizeof err)) {
            node_sender_record_error(self, "%s", err);
            zsock_destroy(&self->sock);
            return BC_ECRYPTO;
        }
    }
    /* Handshake failures, and connections that libzmq saw close. */
    self->monitor = bc_keys_watch_events(self->sock, ZMQ_EVENT_DISCONNECTED);
    if (zsock_connect(self->sock, "%s", self->cfg.hub) != 0) {
        node_sender_record_error(self, "cannot connect to %s: %s",
                                 self->cfg.hub, zmq_strerror(zmq_errno()));
        node_sender_disconnect(self);
        return BC_ENET;
    }
    node_link_connected(self->link, zclock_mono());
    BC_DEBUG("connecting to %s", self->cfg.hub);
    return BC_OK;
}

/* Doubles the backoff, up to backoff_max. */
static void grow_backoff(node_sender_t *self)
{
    self->backoff *= 2;
    if (self->backoff > self->cfg.backoff_max_ms)
        self->backoff = self->cfg.backoff_max_ms;
}

/* Waits longer after each failure, up to backoff_max, with +-25% jitter so
 * that a province's nodes do not all come back in the same second. */
void node_sender_back_off(node_sender_t *self, const char *why)
{
    int64_t jitter = (int64_t) (next_rand(self) % (uint64_t) (self->backoff / 2
                                                              + 1));
    int64_t delay = self->backoff * 3 / 4 + jitter;
    self->retry_at = zclock_mono() + delay;
    BC_INFO("%s; trying again in %lld ms", why, (long long) delay);
    /* For `baocao status`: when the next try is, by the wall clock. */
    int rc = node_outbox_set_retry(self->outbox,
                                   node_wall_s() + (delay + 999) / 1000);
    if (node_sender_check_store(self, rc, "cannot record the next retry")
        == BC_OK)
        self->retry_recorded = true;
    grow_backoff(self);
}

/* The link failed (see node_link.c, "the backlog probe"): the next
 * connection is a probe. When the link carried nothing (silence, a ping
 * unanswered), the probe connects at once and is held until it comes up;
 * otherwise (refused, closed while being set up, a probe unanswered) it
 * waits the backoff, which bounds the attempts. */
void node_sender_link_failed(node_sender_t *self, const char *why,
                             bool at_once)
{
    node_sender_disconnect(self);
    node_link_probe_begin(self->link);
    if (!at_once) {
        node_sender_back_off(self, why);
        return;
    }
    /* Every failure grows the backoff, also those probed again at once:
     * libzmq's reconnects of the held probe start from it, and a backoff
     * that only refusals grew cost the harsh link of issue #26 a quarter
     * of its reports twice (each cut resent a window at once). */
    grow_backoff(self);
    self->retry_at = 0;
    BC_INFO("%s; probing: a ping on a new connection, held until the link "
            "carries it", why);
    /* For `baocao status`, the next try is when the held connection is
     * renewed if the link stays dead (node_link_hold_ms). */
    int64_t hold_s = (node_link_hold_ms(self->link) + 999) / 1000;
    int rc = node_outbox_set_retry(self->outbox, node_wall_s() + hold_s);
    if (node_sender_check_store(self, rc, "cannot record the next retry")
        == BC_OK)
        self->retry_recorded = true;
}

/* Sends a Ping with this tag without waiting; the probe's also asks what
 * the hub holds (node_probe.h). Returns 0, or -1 when it could not be
 * queued (no connection up). */
static int send_ping(node_sender_t *self, uint64_t tag)
{
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    Baocao__Ping ping = BAOCAO__PING__INIT;
    ProtobufCBinaryData ids[NODE_PROBE_ASK_MAX];
    if (tag == NODE_PROBE_TAG || tag == NODE_PROBE_START_TAG)
        node_probe_ask(self->probe, &ping, ids);
    req.version = BC_WIRE_VERSION;
    req.tag = tag;
    req.body_case = BAOCAO__REQUEST__BODY_PING;
    req.ping = &ping;
    size_t len;
    uint8_t *buf = bc_wire_pack(&req.base, &len);
    zframe_t *f = zframe_new(buf, len);
    free(buf);
    if (zframe_send(&f, self->sock, ZFRAME_DONTWAIT) != 0) {
        zframe_destroy(&f);
        return -1;
    }
    return 0;
}

/* The node's copy of the hub's catalogue, rules and limits (node_copy.h):
 * asked for once on each socket (node_copy_request says what is asked,
 * node_copy_on_reply what is done with the answer). Not a slot: the
 * silence rule and the window know nothing of it. */
static void ask_copy(node_sender_t *self)
{
    size_t len;
    uint8_t *buf = node_copy_request(self->cfg.store, NODE_COPY_TAG, &len);
    zframe_t *f = zframe_new(buf, len);
    free(buf);
    if (zframe_send(&f, self->sock, ZFRAME_DONTWAIT) != 0) {
        zframe_destroy(&f);
        return;   /* no connection up yet: the next turn asks again */
    }
    self->copy_asked = true;
    self->copy_sent_at = zclock_mono();
}

/* The question at start: its Ping first on the first connection, then the
 * window waits for its Pong, one silence limit at most (a hub that does
 * not answer is judged by the sends that follow, as ever). Not being a
 * probe, a Ping that finds no connection leaves the link to be judged
 * unreachable as at any start. Returns true when the window may open. */
static bool hold_for_start(node_sender_t *self)
{
    int64_t now = zclock_mono();
    if (self->start_ask == START_DUE) {
        if (send_ping(self, NODE_PROBE_START_TAG) != 0) {
            node_link_send_blocked(self->link, now);
            return false;   /* no connection up yet */
        }
        node_link_send_ok(self->link);
        self->start_ask = START_SENT;
        self->start_ask_at = now;
        return false;
    }
    if (now - self->start_ask_at < node_link_silence_limit(self->link))
        return false;
    BC_INFO("no answer to the question at start for %lld ms: sending",
            (long long) (now - self->start_ask_at));
    self->start_ask = START_NONE;
    return true;
}

/* Puts more pending submissions on the wire, up to the window. */
static void refill(node_sender_t *self)
{
    if (!self->sock || !node_window_room(self->window))
        return;
    size_t inflight = node_window_count(self->window);
    node_link_gate_t gate = node_link_gate(self->link, inflight);
    if (gate == NODE_LINK_PROBE) {
        /* After a failure: one Ping, and the window on its Pong. */
        node_sender_check_store(
            self,
            node_probe_gather(self->probe, self->outbox,
                              node_window_size(self->window)),
            "cannot read the outbox");
        node_link_probe_sent(self->link, send_ping(self, NODE_PROBE_TAG) == 0,
                             zclock_mono());
        return;
    }
    if (gate == NODE_LINK_PING_FIRST) {
        /* A Ping first: its Pong proves the link carries answers. */
        bool ok = send_ping(self, NODE_PING_TAG) == 0;
        node_link_ping_sent(self->link, NODE_PING_TAG, ok, zclock_mono());
        gate = ok ? node_link_gate(self->link, inflight)
                  : NODE_LINK_HOLD;
    }
    if (gate == NODE_LINK_HOLD)
        return;   /* the suspect goes alone, after its Pong */
    if (self->start_ask != START_NONE && !hold_for_start(self))
        return;
    uint64_t isolate = node_link_isolated(self->link);
    size_t want = gate == NODE_LINK_ALONE ? 1
                                          : node_window_room(self->window);
    node_pending_t *batch = bc_calloc(want, sizeof *batch);
    uint64_t *sent = bc_calloc(want, sizeof *sent);
    size_t n = 0, nsent = 0;
    if (node_sender_check_store(
            self,
            node_outbox_pending(self->outbox, self->cursor, want, batch, &n),
            "cannot read the outbox"))
        goto out_free;
    self->more_pending = n == want;
    self->last_look = zclock_mono();
    if (isolate && (n == 0 || batch[0].seq != isolate))
        /* Settled meanwhile (answered after all): nothing to isolate. */
        node_link_not_pending(self->link);
    for (size_t i = 0; i < n; i++) {
        /* Each send is a Request wrapping the stored Submission bytes: the
         * Submission itself is never re-encoded, so resends are identical. */
        Baocao__Request req = BAOCAO__REQUEST__INIT;
        req.version = BC_WIRE_VERSION;
        req.tag = batch[i].seq;
        size_t len;
        uint8_t *buf = bc_wire_wrap(&req.base, 10, batch[i].blob,
                                    batch[i].blob_len, &len);
        zframe_t *f = zframe_new(buf, len);
        free(buf);
        if (zframe_send(&f, self->sock, ZFRAME_DONTWAIT) != 0) {
            /* No connection up (ZMQ_IMMEDIATE) or pipe full: try again
             * soon, without waiting a whole poll period. */
            zframe_destroy(&f);
            node_link_send_blocked(self->link, zclock_mono());
            break;
        }
        node_link_send_ok(self->link);
        node_window_put(self->window, batch[i].seq, zclock_mono());
        node_link_sent(self->link, zclock_mono());
        self->cursor = batch[i].seq;
        sent[nsent++] = batch[i].seq;
    }
    if (nsent && gate == NODE_LINK_ALONE && node_link_isolated(self->link))
        /* Right behind the suspect (see node_link_ping_sent). */
        node_link_ping_sent(self->link, NODE_PING2_TAG,
                            send_ping(self, NODE_PING2_TAG) == 0,
                            zclock_mono());
    if (nsent) {
        /* Only bookkeeping (attempts, "in flight"): a failure loses no
         * report, but a failed disk still stops the daemon. */
        node_sender_check_store(
            self,
            node_outbox_mark_sent(self->outbox, sent, nsent, node_wall_s()),
            "cannot record what was sent");
        BC_DEBUG("sent %zu (in flight %zu)", nsent,
                 node_window_count(self->window));
    }
out_free:
    node_pending_free(batch, n);
    free(batch);
    free(sent);
}

/* Closes an idle link (node_link_idle_due says when) once nothing waits
 * in the outbox either. Returns true when it closed. */
static bool close_if_idle(node_sender_t *self, int64_t now)
{
    uint64_t waiting = 0;
    int64_t idle_ms;
    if (!self->sock || node_window_count(self->window) || self->more_pending
        || node_link_waiting(self->link)
        || !node_link_idle_due(self->link, now, &idle_ms))
        return false;
    int rc = node_outbox_waiting(self->outbox, &waiting);
    if (node_sender_check_store(self, rc, "cannot read the outbox") != BC_OK
        || waiting)
        return false;
    BC_DEBUG("nothing to send for %lld ms: closing the link until a report "
             "is filed", (long long) idle_ms);
    node_sender_disconnect(self);
    self->idle = true;
    return true;
}

/* While idle: true once a report waits, and the link is to be opened. */
static bool wake_from_idle(node_sender_t *self)
{
    uint64_t waiting = 0;
    int rc = node_outbox_waiting(self->outbox, &waiting);
    if (node_sender_check_store(self, rc, "cannot read the outbox") != BC_OK
        || !waiting)
        return false;
    BC_DEBUG("%llu report(s) to send: opening the link",
             (unsigned long long) waiting);
    self->idle = false;
    self->retry_at = 0;
    return true;
}

int node_sender_run(node_sender_t *self)
{
    int64_t start = zclock_mono();
    BC_INFO("node %s delivering to %s (window %zu)",
            self->cfg.unit ? self->cfg.unit : "?", self->cfg.hub,
            node_window_size(self->window));
    while (!stop_flag && !self->store_failed) {
        bc_notify_watchdog();   /* each turn waits 1 s at most */
        int64_t now = zclock_mono();
        if (self->cfg.max_seconds
            && now - start > self->cfg.max_seconds * 1000) {
            /* Exit 3 says "reports left undelivered": only say it when it
             * is true (a node that delivered its one report used to). */
            node_stats_t st;
            int rc = node_outbox_stats(self->outbox, &st);
            if (node_sender_check_store(self, rc, "cannot read the outbox")
                    == BC_OK
                && st.pending + st.in_flight == 0) {
                node_summary_log(self->outbox, self->cfg.store,
                                 "time is up, nothing left to send");
                return BC_OK;
            }
            BC_WARN("gave up after %lld s with reports undelivered",
                    self->cfg.max_seconds);
            node_summary_log(self->outbox, self->cfg.store,
                             "time ran out");
            return BC_ETIMEOUT;
        }
        if (self->idle && !self->cfg.drain && !wake_from_idle(self)) {
            if (self->store_failed)
                break;
            zclock_sleep((int) self->cfg.poll_ms);
            continue;
        }
        if (!self->sock && now >= self->retry_at && connect_hub(self))
            node_sender_back_off(self, "cannot set up the link");
        if (self->sock && !self->copy_asked)
            ask_copy(self);
        /* Look for new reports when the window has room, at once if the
         * last look left some behind, else every poll_ms. */
        if (self->sock && node_window_room(self->window)
            && (self->more_pending || node_link_waiting(self->link)
                || node_window_count(self->window) == 0
                || now - self->last_look >= self->cfg.poll_ms))
            refill(self);
        if (self->store_failed)
            break;
        /* A drain also waits for the copy asked for, a silence limit at
         * most: a script that drains then files offline checks against
         * what the hub holds now. */
        bool copy_due = self->copy_sent_at
                        && now - self->copy_sent_at
                               < node_link_silence_limit(self->link);
        if (self->cfg.drain && node_window_count(self->window) == 0
            && !copy_due) {
            node_stats_t st;
            int rc = node_outbox_stats(self->outbox, &st);
            if (node_sender_check_store(self, rc, "cannot read the outbox")
                    == BC_OK
                && st.pending + st.in_flight == 0) {
                /* Any rejection still needing action fails the drain
                 * (exit 1): a script that files and drains must see it. */
                return node_summary_log(self->outbox, self->cfg.store,
                                        "nothing left to send")
                           ? BC_EREJECTED : BC_OK;
            }
        }

        zmq_pollitem_t items[2] = {
            {self->sock ? zsock_resolve(self->sock) : NULL, 0, ZMQ_POLLIN, 0},
            {self->monitor ? zsock_resolve(self->monitor) : NULL, 0,
             ZMQ_POLLIN, 0}};
        int nitems = self->sock ? (self->monitor ? 2 : 1) : 0;
        long wait = node_link_waiting(self->link)
                        ? (long) node_link_wait_ivl(self->link)
                        : (long) self->cfg.poll_ms;
        if (!self->sock)
            wait = self->retry_at - now > 0 ? (long) (self->retry_at - now)
                                            : 0;
        if (nitems)
            zmq_poll(items, nitems, wait);
        else
            zclock_sleep((int) (wait < 1000 ? wait : 1000));
        if (!self->sock)
            continue;
        /* Replies first: a poll can see both the hub's last acks and the
         * monitor's "disconnected", and the monitor's handler closes the
         * socket (node_sender_link_failed), which would lose acks already
         * here and leave node_answers_receive a NULL socket (czmq asserts:
         * the node aborted under test_hub_killed). */
        if (items[0].revents & ZMQ_POLLIN)
            node_answers_receive(self);
        if (self->sock && nitems == 2 && (items[1].revents & ZMQ_POLLIN))
            node_answers_monitor(self);
        if (!self->sock)
            continue;

        /* An isolation Ping unanswered for a timeout: the link is down. */
        size_t inflight = node_window_count(self->window);
        if (node_link_ping_lost(self->link, now, inflight)) {
            node_sender_link_failed(self, "no answer to a ping", true);
            continue;
        }
        /* A probe's connection is up but its Ping went unanswered for
         * node_link_hold_ms: a hung hub, the next attempt after the
         * backoff. */
        if (node_link_probe_lost(self->link, now)) {
            node_sender_record_error(
                self, "no answer from %s to a probe for %lld ms",
                self->cfg.hub, (long long) node_link_hold_ms(self->link));
            node_sender_link_failed(self, "no answer to a probe", false);
            continue;
        }
        int64_t oldest_sent = node_window_oldest_sent(self->window);
        if (!node_link_probing(self->link)) {
            if (node_link_beat_due(self->link, now, inflight, oldest_sent)
                && send_ping(self, NODE_BEAT_TAG) == 0)
                node_link_beat_sent(self->link, now);
        }
        /* Judge the link (node_link_is_silent), and give up on a
         * connection that never came up while reports wait
         * (node_link_unreachable). */
        now = zclock_mono();
        int64_t silent_ms;
        if (node_link_is_silent(self->link, now, inflight, oldest_sent,
                                &silent_ms)) {
            node_sender_record_error(self, "no answer from %s for %lld ms",
                                     self->cfg.hub, (long long) silent_ms);
            node_link_judge(self->link, node_window_oldest(self->window));
            node_sender_link_failed(self, "link is silent", true);
        } else if (node_link_unreachable(self->link, now, inflight,
                                         &silent_ms)) {
            node_sender_record_error(
                self, "hub unreachable: no connection to %s for %lld ms",
                self->cfg.hub, (long long) silent_ms);
            node_sender_link_failed(self, "hub unreachable", true);
        } else {
            close_if_idle(self, now);
        }
    }
    if (self->store_failed) {
        BC_ERROR("stopped: the outbox's disk failed (exit status %d)",
                 BC_EXIT_STORE_FAILED);
        return BC_EFATAL;
    }
    node_summary_log(self->outbox, self->cfg.store, "stopping");
    return BC_OK;
}
