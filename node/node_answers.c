/*
 * node_answers.c -- what comes back to the delivery loop (the loop itself
 * is node_sender.c; their shared state is node_sender_int.h).
 *
 * The hub's replies are read all at once and their Acks settled in one
 * outbox transaction: a final status (STORED, DUPLICATE, REJECTED) takes
 * the report out of the pending index, RETRY_LATER keeps it and holds
 * every send for a backoff. A Pong is a sign of life; the probe's and the
 * start's name what the hub already holds (node_probe.h), settled before
 * the window opens. The socket's monitor tells of a connection cut with
 * reports in flight (a probe at once) and of a handshake refused (named
 * by its cause, node_link.c).
 */
#include "node_sender_int.h"

#include "baocao.pb-c.h"
#include "bc_error.h"
#include "bc_keys.h"
#include "bc_log.h"
#include "bc_wire.h"
#include "node_copy.h"

#include <stdio.h>
#include <string.h>

/* The probe's Pong named what the hub holds of what it was asked:
 * settled as the resend would have been, without the resend. */
static void settle_held(node_sender_t *self, const Baocao__Pong *pong)
{
    node_ack_t acks[NODE_PROBE_ASK_MAX];
    size_t n = node_probe_answer(self->probe, pong, acks);
    if (!n
        || node_sender_check_store(
            self, node_outbox_settle(self->outbox, acks, n, node_wall_s()),
            "cannot record acknowledgements"))
        return;   /* not recorded: they go again, answered as duplicates */
    uint64_t waiting = 0;
    node_outbox_waiting(self->outbox, &waiting);
    BC_INFO("delivered %zu (the hub held them: not resent), %llu waiting", n,
            (unsigned long long) waiting);
}

/* Marks the suspect rejected in the outbox, so that the reports behind it
 * go (see the top). */
static void set_aside(node_sender_t *self)
{
    uint64_t seq = node_link_isolated(self->link);
    char msg[200];
    snprintf(msg, sizeof msg, "rejected (too large / not answered): the hub "
             "cut the link on reading this report %u times while answering "
             "pings; set aside so that the reports behind it go",
             node_link_strikes(self->link));
    node_ack_t a = {seq, BAOCAO__ACK_STATUS__ACK_REJECTED,
                    BAOCAO__REJECT_REASON__REASON_TOO_LARGE, 0, msg};
    if (node_sender_check_store(
            self, node_outbox_settle(self->outbox, &a, 1, node_wall_s()),
            "cannot set a report aside"))
        return;   /* tried again at the next round */
    node_sender_record_error(self, "report #%llu %s", (unsigned long long) seq,
                             msg);
    node_link_set_aside(self->link);
    self->backoff = self->cfg.backoff_min_ms;
}

/* Reads every reply waiting and settles them in one transaction. */
void node_answers_receive(node_sender_t *self)
{
    node_ack_t acks[256];
    Baocao__Reply *replies[256];
    size_t n = 0, ndelivered = 0, nrejected = 0;
    bool retry_later = false, unrecorded = false;
    while (n < 256) {
        zframe_t *f = zframe_recv_nowait(self->sock);
        if (!f)
            break;
        Baocao__Reply *r = baocao__reply__unpack(NULL, zframe_size(f),
                                                 zframe_data(f));
        zframe_destroy(&f);
        int64_t heard = zclock_mono();
        node_link_heard(self->link, heard);
        if (!r) {
            BC_WARN("undecodable reply from the hub: ignored");
            continue;
        }
        if (r->tag == NODE_COPY_TAG) {
            self->copy_sent_at = 0;
            node_copy_on_reply(self->cfg.store, r);
            baocao__reply__free_unpacked(r, NULL);
            continue;
        }
        if (r->body_case == BAOCAO__REPLY__BODY_ERROR) {
            node_sender_record_error(self, "hub error: %s: %s",
                                     bc_reason_name(r->error->reason),
                                     r->error->message);
            baocao__reply__free_unpacked(r, NULL);
            continue;
        }
        if (r->body_case == BAOCAO__REPLY__BODY_PONG
            && (r->tag == NODE_PROBE_TAG || r->tag == NODE_PROBE_START_TAG)
            && r->pong->n_held)
            settle_held(self, r->pong);   /* before the window opens */
        if (r->body_case == BAOCAO__REPLY__BODY_PONG
            && r->tag == NODE_PROBE_START_TAG
            && self->start_ask == START_SENT)
            self->start_ask = START_NONE;   /* the window opens */
        if (r->body_case == BAOCAO__REPLY__BODY_PONG
            && node_link_pong(self->link, r->tag, r->pong->started_at))
            set_aside(self);
        if (r->body_case != BAOCAO__REPLY__BODY_ACK) {
            baocao__reply__free_unpacked(r, NULL);
            continue;
        }
        node_link_answered(self->link, r->tag);
        /* Free the slot; a reply to a slot already freed (an answer to an
         * earlier send of the same seq) still settles the entry. */
        int64_t sent_at;
        if (node_window_take(self->window, r->tag, &sent_at))
            node_link_round_trip(self->link, heard - sent_at);
        const Baocao__Ack *a = r->ack;
        acks[n] = (node_ack_t){r->tag, a->status, a->reason, a->hub_seq,
                               a->message};
        replies[n++] = r;
        if (a->status == BAOCAO__ACK_STATUS__ACK_REJECTED) {
            nrejected++;
            BC_WARN("report #%llu rejected by the hub: %s: %s",
                    (unsigned long long) r->tag, bc_reason_name(a->reason),
                    a->message);
        } else if (a->status == BAOCAO__ACK_STATUS__ACK_RETRY_LATER) {
            retry_later = true;
            node_sender_record_error(self, "hub asks to retry later: %s",
                                     a->message);
        } else if (!node_ack_final(a->status)) {
            /* ACK_UNSPECIFIED, or a status of a later protocol version: not
             * a verdict. Keep the report and resend it after the backoff,
             * like "retry later"; say so once per status. */
            retry_later = true;
            uint64_t bit = a->status < 64 ? 1ULL << a->status : 1ULL << 63;
            if (!(self->unknown_seen & bit)) {
                self->unknown_seen |= bit;
                BC_WARN("the hub answered report #%llu with status %u, "
                        "which is not a final answer to this node: kept, "
                        "resent later (logged once)",
                        (unsigned long long) r->tag, (unsigned) a->status);
            }
        } else {
            ndelivered++;
            BC_DEBUG("report #%llu %s", (unsigned long long) r->tag,
                     bc_ack_status_name(a->status));
        }
    }
    if (n) {
        int rc = node_sender_check_store(
            self, node_outbox_settle(self->outbox, acks, n, node_wall_s()),
            "cannot record acknowledgements");
        if (rc == BC_OK && self->store_rc) {
            BC_INFO("the outbox records again");
            self->store_rc = 0;
        } else if (rc) {
            /* Not recorded: these reports are still pending in the outbox
             * but behind the cursor. Start over after the backoff, so they
             * are sent again and their answers asked for again. */
            retry_later = true;
            unrecorded = true;
        }
        if (!retry_later) {
            self->backoff = self->cfg.backoff_min_ms;
            node_link_recovered(self->link);
            if (*self->last_error)
                node_sender_record_error(self, "%s", "");
            if (self->retry_recorded
                && node_sender_check_store(
                       self, node_outbox_set_retry(self->outbox, 0),
                       "cannot record the next retry") == BC_OK)
                self->retry_recorded = false;
        }
        /* One line per burst of answers, so that a log someone watches
         * shows deliveries at the default level. */
        if (ndelivered + nrejected) {
            uint64_t waiting = 0;
            node_outbox_waiting(self->outbox, &waiting);
            BC_INFO("delivered %zu, %zu rejected, %llu waiting", ndelivered,
                    nrejected, (unsigned long long) waiting);
        }
    }
    for (size_t i = 0; i < n; i++)
        baocao__reply__free_unpacked(replies[i], NULL);
    if (retry_later) {
        /* The hub is up but cannot store (or this outbox could not record
         * its answers): hold all sends for a while. */
        node_sender_disconnect(self);
        node_sender_back_off(self, unrecorded ? "the outbox could not "
                                                "record the answers"
                                              : "hub cannot store now");
    }
}


/* A failed handshake will fail again at once: drop the socket and wait
 * the same backoff as a silent link. The link names the cause and logs
 * it (node_link_handshake_failed); the words stay in the outbox for
 * `baocao status`. */
void node_answers_monitor(node_sender_t *self)
{
    uint16_t event;
    uint32_t value;
    bc_handshake_t what = bc_keys_watch_read_event(self->monitor, &event,
                                                   &value);
    if (what == BC_HANDSHAKE_OTHER)
        return;
    int64_t now = zclock_mono();
    if (event == ZMQ_EVENT_DISCONNECTED) {
        /* A connection that was up closed (a cut, libzmq's heartbeat
         * timeout): what was in flight on it is lost, and its answers
         * can no longer come. libzmq would reconnect and the node wait
         * out the silence limit; instead, a probe at once. With nothing
         * in flight, libzmq's own reconnect will do. */
        size_t inflight = node_window_count(self->window);
        if (inflight && !node_link_probing(self->link)) {
            node_sender_record_error(self,
                                     "the connection to %s was cut with %zu "
                                     "report(s) in flight",
                                     self->cfg.hub, inflight);
            /* A hub that cuts the link on reading a report (over its
             * size limit) does it this way: the oldest in flight is a
             * suspect, as for a silent link. */
            node_link_judge(self->link, node_window_oldest(self->window));
            node_sender_link_failed(self, "connection cut", true);
        } else if (node_link_probing(self->link)) {
            /* The probe's Ping went with it: a new probe, at once if the
             * connection had lived (the link cut it), else after the
             * backoff (a hub that is gone). */
            node_sender_link_failed(self, "the probe's connection closed",
                                    node_link_probe_cut(self->link, now));
        }
        return;
    }
    if (node_link_hold_expired(self->link, now)) {
        /* A held probe that never came up: a fresh one, at once. */
        BC_DEBUG("no connection after %lld ms: a new probe",
                 (long long) node_link_hold_ms(self->link));
        node_sender_link_failed(self, "no connection yet", true);
        return;
    }
    char why[256];
    if (node_link_probe_cut(self->link, now)) {
        /* A held probe cut by the link before it came up: say so once at
         * INFO, and probe again at once. */
        BC_DEBUG("the probe's connection was cut, %lld ms after the hub "
                 "last answered",
                 (long long) (now - node_link_probe_since(self->link)));
        node_sender_link_failed(self, "the link cut the probe's connection",
                                true);
        return;
    }
    node_link_handshake_failed(self->link, what, event, value, now, why,
                               sizeof why);
    /* node_sender_record_error logs at WARN on a change of words; this
     * one has its own ERROR line, so write the outbox directly. */
    if (strcmp(why, self->last_error) != 0) {
        snprintf(self->last_error, sizeof self->last_error, "%s", why);
        node_sender_check_store(self, node_outbox_set_error(self->outbox, why),
                                "cannot record the last delivery problem");
    }
    node_sender_link_failed(self, "handshake failed", false);
}

