/*
 * node_link.c -- the node's link-health rules (interface in node_link.h).
 *
 * Why these rules live apart from the delivery loop: each was learned the
 * hard way on a weak link (issue #26's field trial), and each has a
 * reason that is easy to undo by accident while changing how reports are
 * sent. Here they are plain state and arithmetic: no socket, no outbox,
 * nothing to mock, so the loop in node_sender.c reads as "send, settle,
 * ask the link".
 *
 * Poison reports. A submission the hub cannot take whole (over its hard
 * message limit, so libzmq cuts the connection unread) gets no answer, and
 * being the oldest it went first again after every reconnect, so nothing
 * behind it was ever delivered. So the link keeps a suspect: the oldest
 * submission in flight when the link was judged dead. Suspected
 * SUSPECT_ROUNDS times in a row, it is sent alone, once a Ping sent first
 * has been answered (sent together, the Pong would be lost with the cut
 * connection), with a second Ping right behind it. If neither the
 * submission nor that second Ping is answered, the hub stopped answering
 * the moment it read the submission; if the next round's Pong then comes
 * from the same hub process (Pong.started_at), that is a strike. A hub
 * that was killed and restarted, or that read past the submission (the
 * second Ping answered), gives no strike, so a restarting hub does not
 * get a good report set aside. After POISON_STRIKES strikes it is set
 * aside (the sender marks it rejected, TOO_LARGE, "rejected (too large /
 * not answered)"), and the rest of the outbox goes on at once. The bound
 * on how long it can block the others is in proto/README.md.
 */
#include "node_link.h"
#include "bc_log.h"
#include "bc_mem.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SUSPECT_ROUNDS 3   /* dead-link rounds before sending it alone */
#define POISON_STRIKES 3   /* answered Pings it went unanswered behind */

/* While sends find no connection up, the node looks again after
 * WAIT_IVL_MIN_MS, doubling up to --poll: a connection that comes up is
 * used within a fraction of a second, and a link that stays down no
 * longer wakes the node 50 times a second (a field trial measured 0.5 to
 * 0.9 % CPU on a battery-powered station). */
#define WAIT_IVL_MIN_MS 20

/* A failing handshake is retried with the backoff; its ERROR line is
 * repeated at most this often (with the count in between), so a wrong key
 * on a metered link neither burns data nor floods the log. */
#define HANDSHAKE_LOG_EVERY_MS (5 * 60 * 1000)

struct node_link_t {
    node_link_config_t cfg;    /* settings */
    int64_t last_answer;       /* monotonic ms of the last thing heard */
    int64_t connected_at;      /* monotonic ms of the current socket */
    int64_t last_send;         /* monotonic ms of the last submission sent */
    int64_t srtt;              /* smoothed round trip of a submission, ms;
                                  0 until the first sample */
    int64_t rttvar;            /* its mean deviation, ms */
    bool link_wait;            /* a send found no connection up yet */
    int64_t wait_since;        /* monotonic ms since sends have found no
                                  connection up, 0 when one is */
    int64_t wait_ivl;          /* current pause between such tries, ms */
    uint64_t hs_failures;      /* handshake failures not yet logged */
    int64_t hs_logged_at;      /* monotonic ms of the last ERROR about them,
                                  0: none since the link last worked */
    const char *hs_words;      /* the cause last logged (static words) */
    bool heard_ever;           /* the hub answered in this run: the key
                                  is right */
    uint64_t suspect;          /* oldest in flight when the link last died */
    unsigned suspect_rounds;   /* dead-link rounds it was that oldest */
    uint64_t isolate;          /* seq sent alone after a Ping, 0 = none */
    unsigned strikes;          /* isolated rounds with Pong but no answer */
    bool ping_sent;            /* the isolation Ping is out (this socket) */
    bool pong_seen;            /* it was answered (this socket) */
    int64_t ping_at;           /* when it was sent, monotonic ms */
    bool ping2_sent;           /* a Ping went right behind the suspect */
    bool pong2_seen;           /* and was answered: the hub read past it */
    uint64_t pong_started;     /* Pong.started_at of the isolation Ping */
    uint64_t cut_by;           /* the hub process (started_at) that went
                                  silent on reading the suspect, awaiting
                                  the next Pong to confirm a strike; 0 none */
    int64_t beat_at;           /* when the last heartbeat Ping went */
    bool probing;              /* the connection is a probe (Ping first) */
    bool probe_sent;           /* its Ping is out (this socket) */
    int64_t probe_at;          /* when it was sent, monotonic ms */
    int64_t probe_since;       /* when probing began, monotonic ms */
};

node_link_t *node_link_new(const node_link_config_t *cfg)
{
    node_link_t *self = bc_calloc(1, sizeof *self);
    self->cfg = *cfg;
    self->wait_ivl = WAIT_IVL_MIN_MS;
    return self;
}

void node_link_destroy(node_link_t **self_p)
{
    if (!*self_p)
        return;
    free(*self_p);
    *self_p = NULL;
}

void node_link_connected(node_link_t *self, int64_t now)
{
    self->connected_at = now;
    self->last_answer = now;
    self->wait_since = 0;
    self->wait_ivl = WAIT_IVL_MIN_MS;
}

void node_link_dropped(node_link_t *self)
{
    self->ping_sent = self->pong_seen = false;
    self->ping2_sent = self->pong2_seen = false;
    self->probe_sent = false;
}

void node_link_heard(node_link_t *self, int64_t now)
{
    self->last_answer = now;
    self->heard_ever = true;
}

void node_link_sent(node_link_t *self, int64_t now)
{
    self->last_send = now;
}

/* One round trip measured: from the send of a submission to its answer,
 * on the same connection (a slot is freed on every disconnect, so an
 * answer to an earlier send is never taken for this one: Karn's rule).
 * Smoothed as TCP does (RFC 6298): srtt += (r - srtt) / 8, rttvar +=
 * (|r - srtt| - rttvar) / 4. The sample includes the time a submission
 * waited behind others on a slow link, which is what the silence rule
 * must allow for. */
void node_link_round_trip(node_link_t *self, int64_t r)
{
    if (r < 0)
        r = 0;
    if (!self->srtt) {
        self->srtt = r ? r : 1;
        self->rttvar = r / 2;
        return;
    }
    int64_t dev = r > self->srtt ? r - self->srtt : self->srtt - r;
    self->rttvar += (dev - self->rttvar) / 4;
    self->srtt += (r - self->srtt) / 8;
    if (self->srtt < 1)
        self->srtt = 1;
}

/* No connection up (ZMQ_IMMEDIATE) or pipe full: try again soon, without
 * waiting a whole poll period, but less often the longer it lasts. */
void node_link_send_blocked(node_link_t *self, int64_t now)
{
    if (!self->link_wait) {
        self->wait_since = now;
        self->wait_ivl = WAIT_IVL_MIN_MS;
    } else if ((self->wait_ivl *= 2) > self->cfg.poll_ms) {
        self->wait_ivl = self->cfg.poll_ms;
    }
    self->link_wait = true;
}

void node_link_send_ok(node_link_t *self)
{
    self->link_wait = false;
    self->wait_since = 0;
}

/* How long a submission may go unanswered before the link is judged
 * silent: --timeout, or the link's retransmission timeout (srtt + 4 x
 * rttvar, RFC 6298) when its measured round trips are longer. */
int64_t node_link_silence_limit(const node_link_t *self)
{
    int64_t rto = self->srtt + 4 * self->rttvar;
    return rto > self->cfg.timeout_ms ? rto : self->cfg.timeout_ms;
}

/* The silence rule. The link is silent when a submission is in flight and
 * nothing has come back since the oldest unanswered one was sent, for
 * longer than the silence limit; or when one submission stays unanswered
 * for three times that while later ones are answered (it was lost under a
 * reconnect inside libzmq; the oldest is the one to look at). Silence is
 * counted from the oldest unanswered send, never from the last answer
 * alone: a node idle for 20 s that sends a new report has waited 0 s for
 * it, not 20 (the field trial of issue #26 doubled every report sent
 * after a pause that way). Nor is the connection's set-up counted: a send
 * succeeds only once the connection is up (ZMQ_IMMEDIATE), so a slow
 * CURVE handshake does not eat into the time the answer has. */
bool node_link_is_silent(const node_link_t *self, int64_t now,
                         size_t inflight, int64_t oldest,
                         int64_t *silent_ms)
{
    int64_t limit = node_link_silence_limit(self);
    *silent_ms = 0;
    if (!inflight)
        return false;
    bool stale = now - oldest > 3 * limit;
    int64_t since = self->last_answer > oldest ? self->last_answer : oldest;
    *silent_ms = now - since;
    return stale || *silent_ms > limit;
}

/* Heartbeats. libzmq's own (ZMTP PING/PONG, --heartbeat) close a dead
 * TCP connection, but the application never sees them answered, so they
 * cannot tell the node that a hub slow to answer a report (a long commit
 * on a slow disk) is alive: the node judged such a link silent, resent
 * the window, and the hub logged every report twice. So while reports
 * await answers and nothing has come back for half the silence limit,
 * the node sends its own Ping (a few dozen bytes); the hub's main loop
 * answers it while its writer commits, and the Pong, like any answer,
 * moves the silence clock. What it cannot prove is that a report in
 * flight reached the hub: a report lost with a cut connection is caught
 * at once by the DISCONNECTED event (node_sender.c), and one lost
 * otherwise by the rule of 3 x the limit (node_link_is_silent). */
bool node_link_beat_due(const node_link_t *self, int64_t now,
                        size_t inflight, int64_t oldest_sent)
{
    if (!inflight || self->probing)
        return false;
    int64_t since = self->last_answer > oldest_sent ? self->last_answer
                                                     : oldest_sent;
    if (self->beat_at > since)
        since = self->beat_at;
    return now - since >= node_link_silence_limit(self) / 2;
}

void node_link_beat_sent(node_link_t *self, int64_t now)
{
    self->beat_at = now;
}

bool node_link_waiting(const node_link_t *self)
{
    return self->link_wait;
}

int64_t node_link_wait_ivl(const node_link_t *self)
{
    return self->wait_ivl;
}

/* A connection that never came up while reports wait: the hub is
 * unreachable (refused, or a link that accepts and carries nothing).
 * Setting up takes a few round trips (ZMTP greeting, CURVE's HELLO,
 * WELCOME, INITIATE, READY, the hub's ZAP check), hence three times the
 * silence limit. */
bool node_link_unreachable(const node_link_t *self, int64_t now,
                           size_t inflight, int64_t *ms)
{
    *ms = self->wait_since ? now - self->wait_since : 0;
    /* A probe that waits for its connection costs nothing: it stays. */
    return !self->probing && self->link_wait && !inflight && self->wait_since
           && now - self->wait_since > 3 * node_link_silence_limit(self);
}

/* An idle node holds no connection: with ZMQ heartbeats every 5 s a
 * connected node exchanged 984 bytes each way a minute doing nothing,
 * some 85 MB a month per direction (issue #26, item 4), for a station
 * that files a dozen reports a year. So once nothing has been sent or
 * heard for --idle-disconnect ms (the caller checks that nothing waits
 * either), the link is to be closed; looking at the outbox every --poll
 * ms is a read of a local LMDB page, no traffic at all. */
bool node_link_idle_due(const node_link_t *self, int64_t now,
                        int64_t *idle_ms)
{
    int64_t active = self->last_answer > self->last_send ? self->last_answer
                                                          : self->last_send;
    if (self->connected_at > active)
        active = self->connected_at;
    *idle_ms = now - active;
    return self->cfg.idle_disconnect_ms
           && now - active >= self->cfg.idle_disconnect_ms;
}

node_link_gate_t node_link_gate(const node_link_t *self, size_t inflight)
{
    if (self->probing)
        return self->probe_sent ? NODE_LINK_HOLD : NODE_LINK_PROBE;
    if (!self->isolate)
        return NODE_LINK_GO;
    if (inflight)
        return NODE_LINK_HOLD;   /* the suspect goes alone */
    if (!self->ping_sent)
        return NODE_LINK_PING_FIRST;   /* its Pong proves the link answers */
    if (!self->pong_seen)
        return NODE_LINK_HOLD;   /* the suspect waits for the Pong */
    return NODE_LINK_ALONE;
}

uint64_t node_link_isolated(const node_link_t *self)
{
    return self->isolate;
}

void node_link_ping_sent(node_link_t *self, uint64_t tag, bool ok,
                         int64_t now)
{
    if (tag == NODE_PING2_TAG) {
        /* Right behind the suspect: if the hub cuts the link on reading
         * it, this Ping is lost with it; if the hub is merely slow or
         * restarting, it is answered. Only a lost one is a strike. */
        self->ping2_sent = ok;
        return;
    }
    if (!ok) {
        self->link_wait = true;
        return;
    }
    self->ping_sent = true;
    self->ping_at = now;
}

bool node_link_pong(node_link_t *self, uint64_t tag, uint64_t started)
{
    if (tag == NODE_PROBE_TAG) {
        if (self->probing && self->probe_sent)
            BC_INFO("the hub answers again, %lld ms after it last did: "
                    "sending",
                    (long long) (self->last_answer - self->probe_since));
        self->probing = self->probe_sent = false;
        self->probe_since = 0;
        return false;
    }
    if (tag == NODE_PING2_TAG) {
        self->pong2_seen = true;
        return false;
    }
    if (tag != NODE_PING_TAG)
        return false;
    self->pong_seen = true;
    self->pong_started = started;
    bool aside = self->cut_by && started && self->cut_by == started
                 && ++self->strikes >= POISON_STRIKES;
    self->cut_by = 0;
    return aside;
}

void node_link_set_aside(node_link_t *self)
{
    self->suspect = self->isolate = 0;
    self->suspect_rounds = self->strikes = 0;
}

void node_link_not_pending(node_link_t *self)
{
    self->isolate = 0;
    self->strikes = 0;
}

void node_link_answered(node_link_t *self, uint64_t seq)
{
    if (seq == self->suspect || seq == self->isolate) {
        /* Answered after all: not poison. */
        self->suspect = self->isolate = 0;
        self->suspect_rounds = self->strikes = 0;
    }
}

void node_link_judge(node_link_t *self, uint64_t oldest)
{
    if (!oldest)
        return;
    if (self->isolate != oldest) {
        /* Not yet isolated: count the rounds it was the oldest. */
        if (self->suspect == oldest)
            self->suspect_rounds++;
        else {
            self->suspect = oldest;
            self->suspect_rounds = 1;
        }
        if (self->suspect_rounds >= SUSPECT_ROUNDS) {
            self->isolate = oldest;
            self->strikes = 0;
            BC_INFO("report #%llu went unanswered %u times: sending it alone "
                    "after a ping", (unsigned long long) oldest,
                    self->suspect_rounds);
        }
        return;
    }
    /* A strike needs the hub to have stopped answering the moment it read
     * the suspect (the Ping behind it lost too), and then the same hub
     * process to answer the next round's Ping: a hub killed and restarted
     * meanwhile is no evidence. The next Pong decides (node_link_pong). */
    self->cut_by = self->pong_seen && self->ping2_sent && !self->pong2_seen
                       ? self->pong_started : 0;
}

/* An isolation Ping unanswered for a silence limit: the link is down. */
bool node_link_ping_lost(const node_link_t *self, int64_t now,
                         size_t inflight)
{
    return self->isolate && self->ping_sent && !self->pong_seen && !inflight
           && now - self->ping_at > node_link_silence_limit(self);
}

unsigned node_link_strikes(const node_link_t *self)
{
    return self->strikes;
}

/* The backlog probe (issue #21, item 4). After a black hole or a cut, a
 * node used to wait out its backoff with no connection at all: doubling
 * after every failure and reset only by an answer, it reached
 * --backoff-max (a minute) on the harsh link of issue #26, and a link
 * that came back found the node asleep for up to 75 s. Sending the whole
 * window again at once instead would resend up to --window reports into
 * a link that may still be dead. So a connection made after a failure is
 * a probe: it sends one Ping (a few dozen bytes) as soon as libzmq has a
 * connection up, and only its Pong opens the window. When the failure
 * was silence (the link took the connection but carried nothing: a black
 * hole, a cut, a stall), the sender opens the probe's connection at once
 * rather than after the backoff, and it is held for as long as it takes
 * to come up (no "hub unreachable" judgement while probing): a held
 * connection costs nothing on a link that carries nothing, and it comes
 * up within a round trip or two of the link's return. The attempt bound
 * is kept: a probe whose connection is refused or closed while being set
 * up is a failed attempt like any other (the backoff before the next
 * one; libzmq's own reconnects of a held socket start at the current
 * backoff and double to --backoff-max), and so is a probe whose Ping
 * goes unanswered for the silence limit. proto/README.md has the
 * arithmetic. */
void node_link_probe_begin(node_link_t *self)
{
    if (!self->probing)
        self->probe_since = self->last_answer > self->connected_at
                                ? self->last_answer : self->connected_at;
    self->probing = true;
    self->probe_sent = false;
}

bool node_link_probing(const node_link_t *self)
{
    return self->probing;
}

void node_link_probe_sent(node_link_t *self, bool ok, int64_t now)
{
    if (!ok) {
        node_link_send_blocked(self, now);
        return;
    }
    node_link_send_ok(self);
    self->probe_sent = true;
    self->probe_at = now;
}

bool node_link_probe_lost(const node_link_t *self, int64_t now)
{
    return self->probing && self->probe_sent
           && now - self->probe_at > node_link_hold_ms(self);
}

int64_t node_link_probe_since(const node_link_t *self)
{
    return self->probe_since;
}

int64_t node_link_hold_ms(const node_link_t *self)
{
    int64_t ms = 30000, limit3 = 3 * node_link_silence_limit(self);
    if (self->cfg.backoff_max_ms > ms)
        ms = self->cfg.backoff_max_ms;
    return limit3 > ms ? limit3 : ms;
}

bool node_link_probe_cut(const node_link_t *self, int64_t now)
{
    int64_t held = node_link_silence_limit(self) / 2;
    return self->probing && now - self->connected_at >= (held > 1000 ? held
                                                                      : 1000);
}

bool node_link_hold_expired(const node_link_t *self, int64_t now)
{
    /* libzmq's timer runs from the TCP connection, a little after the
     * connect call: allow for it. */
    return self->probing && !self->probe_sent
           && now - self->connected_at >= node_link_hold_ms(self) - 500;
}

/* A failed handshake will fail again at once (libzmq would retry at its
 * reconnect interval, about twice a second, for ever): the sender drops
 * the socket and waits the same backoff as a silent link. Name what is
 * really wrong, from what libzmq saw (measured with libzmq 4.3.4):
 *   - ZAP refused the key (AUTH): the key is not registered. Without
 *     --cert the node offered a throwaway key.
 *   - The hub read our CURVE HELLO and closed the connection (NO_DETAIL,
 *     EPIPE): what a wrong --hub-key looks like, as the hub cannot open
 *     the HELLO; or a PROTOCOL error. Unless this node has had an answer
 *     from the hub in this run: then the key works, and the hub closed
 *     while stopping.
 *   - The connection was reset or timed out during the handshake
 *     (NO_DETAIL, ECONNRESET and the like): a cut on a weak link, or a
 *     gateway whose hub is gone. The field trial of issue #26 logged
 *     "check --hub-key" for that with a correct key; the key is not in
 *     question.
 *   - Without CURVE there is no key to check: a connection closed while
 *     being set up, or a hub that requires encryption. */
static const char *handshake_words(const node_link_t *self,
                                   bc_handshake_t what, uint16_t event,
                                   uint32_t value)
{
    if (what == BC_HANDSHAKE_REFUSED)
        return self->cfg.cert ? "the hub refused this node's key: ask the "
                                "province to register it"
                              : "the hub refused this node's key: no --cert "
                                "was given, so the node offered a throwaway "
                                "key: pass --cert NODE.secret (the key "
                                "registered for this unit)";
    if (!self->cfg.curve)
        return "hub unreachable: the connection closed while being set up "
               "(the hub stopped, the link was cut, or the hub requires "
               "encryption and this node runs with --plain: then pass "
               "--hub-key hub.pub and --cert NODE.secret)";
    bool cut = event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL
               && (value == ECONNRESET || value == ETIMEDOUT
                   || value == ECONNABORTED || value == EHOSTUNREACH
                   || value == ENETUNREACH || value == ECONNREFUSED
                   || value == ENETDOWN);
    if (cut)
        return "hub unreachable: the connection was cut during the CURVE "
               "handshake (the link or the hub's side, not the key)";
    if (self->heard_ever)
        return "the hub closed the connection during the CURVE handshake "
               "(stopping or restarting?); the key is right, it worked "
               "earlier in this run";
    return "CURVE handshake with the hub failed: check --hub-key";
}

/* Logged once per change of cause (at ERROR for a key, WARN for a cut),
 * and a cause that lasts again every HANDSHAKE_LOG_EVERY_MS with the
 * count in between. */
void node_link_handshake_failed(node_link_t *self, bc_handshake_t what,
                                uint16_t event, uint32_t value, int64_t now,
                                char *why, size_t len)
{
    BC_DEBUG("handshake failed: monitor event 0x%x, value %u", event, value);
    const char *w = handshake_words(self, what, event, value);
    bool weak = strncmp(w, "hub unreachable: the connection was cut", 39)
                == 0;
    snprintf(why, len, "%s", w);
    self->hs_failures++;
    if (!self->hs_logged_at || self->hs_words != w) {
        if (weak)
            BC_WARN("%s", w);
        else
            BC_ERROR("%s", w);
        self->hs_failures = 0;
        self->hs_logged_at = now;
        self->hs_words = w;
    } else if (now - self->hs_logged_at >= HANDSHAKE_LOG_EVERY_MS) {
        if (weak)
            BC_WARN("%s (%llu more since the last report of it)", w,
                    (unsigned long long) self->hs_failures);
        else
            BC_ERROR("%s (%llu more failed handshakes since the last report "
                     "of it)", w, (unsigned long long) self->hs_failures);
        self->hs_failures = 0;
        self->hs_logged_at = now;
    }
}

void node_link_recovered(node_link_t *self)
{
    self->hs_failures = 0;
    self->hs_logged_at = 0;
    self->hs_words = NULL;
}
