/*
 * hub_batch.c -- submissions on their way to the store: the two
 * alternating batches, the writer thread that commits one while the loop
 * fills the other, and the acknowledgements sent once a commit returned.
 * See hub_server_int.h for how the server's files divide the work.
 */
#include "hub_server_int.h"

/* --- the writer thread ------------------------------------------------------
 * It owns every store write of the submission path: it waits for a batch
 * index on its PAIR socket, commits that batch (the fsync happens here), and
 * answers "done". The loop meanwhile keeps receiving and validating into the
 * other batch, so decoding and syncing overlap on the machine's two cores.
 * Sockets never cross threads: the loop alone talks to clients. The thread
 * takes no signal (bc_thread_start), so a NULL from zstr_recv is the end of
 * the context, never an EINTR. */
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
        b->rc = hub_store_ingest(self->store, b->items, b->n, hub_now_us());
        b->commit_us = zclock_usecs() - t0;
        zstr_send(pipe, "done");
    }
    zsock_destroy(&pipe);
    return NULL;
}

int hub_writer_start(hub_server_t *self, char *err, size_t errlen)
{
    self->to_writer = zsock_new_pair("@inproc://baocao-hub-writer");
    if (!self->to_writer
        || bc_thread_start(&self->writer, writer_main, self) != BC_OK) {
        snprintf(err, errlen, "cannot start the writer thread");
        return BC_EINVAL;
    }
    self->writer_started = true;
    return BC_OK;
}

void hub_writer_stop(hub_server_t *self)
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
/* --- the batch ----------------------------------------------------------- */

void hub_batch_add(hub_server_t *self, zframe_t **route_p,
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
    p->approval = false;
    snprintf(p->peer, sizeof p->peer, "%s", peer);
    bool plan = req && req->body_case == BAOCAO__REQUEST__BODY_PLAN;
    p->ack = !plan || req->origin;
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
    if (plan) {
        hub_plan_admit(self, req, peer, it);
        return;
    }
    hub_limits_t lim = {(size_t) self->cfg.max_values, time(NULL),
                        self->rules};
    hub_validate(self->reg, req->submit, peer, &lim, it);
    /* The item keeps nothing else of the decoded request (its figures
     * are in vals, its bytes in the payload), so the caller may drop it
     * (receive_one). */
    if (it->id) {
        memcpy(it->id_copy, it->id, sizeof it->id_copy);
        it->id = it->id_copy;
    }
}

bool hub_batch_approval(hub_server_t *self, zframe_t **route_p,
                        zframe_t **payload_p, Baocao__Request *req,
                        const char *peer)
{
    char msg[200] = "";
    const bc_unit_t *u;
    bc_period_t period;
    Baocao__RejectReason why = hub_approval_prepare(self->reg, req->approval,
                                                    &u, &period, msg,
                                                    sizeof msg);
    /* Facilities never approve; operators within their scope, with the
     * approver or admin role; anyone in plain mode (hub_scope.h); and a
     * provincial hub forwarding its log (an origin, a relay's key) for a
     * unit of its subtree (issue 14). */
    bool forwarded = req->origin != NULL;
    if (why == BAOCAO__REJECT_REASON__REASON_NONE
        && !(forwarded && hub_relay_may(self->reg, peer, u))
        && !hub_scope_may_act(self->scope, self->reg, peer, u,
                              HUB_ROLE_APPROVER, msg, sizeof msg))
        why = BAOCAO__REJECT_REASON__REASON_NOT_AUTHORIZED;
    if (why != BAOCAO__REJECT_REASON__REASON_NONE) {
        hub_server_count_reject(self, why, peer, msg);
        if (forwarded) {
            /* The forwarder settles on Acks only. */
            Baocao__Reply reply = BAOCAO__REPLY__INIT;
            Baocao__Ack ack = BAOCAO__ACK__INIT;
            ack.status = BAOCAO__ACK_STATUS__ACK_REJECTED;
            ack.reason = why;
            ack.message = msg;
            reply.tag = req->tag;
            reply.body_case = BAOCAO__REPLY__BODY_ACK;
            reply.ack = &ack;
            hub_server_reply(self, *route_p, &reply);
        } else {
            hub_server_error(self, *route_p, req->tag, why, msg);
        }
        return false;
    }
    batch_t *b = &self->batches[self->filling];
    pending_t *p = &b->pend[b->n];
    hub_item_t *it = &b->items[b->n];
    b->n++;
    p->route = *route_p;
    p->payload = *payload_p;
    *route_p = *payload_p = NULL;
    p->tag = req->tag;
    p->approval = !forwarded;   /* forwarded: answered with an Ack */
    p->ack = true;
    memset(&p->approved, 0, sizeof p->approved);
    snprintf(p->peer, sizeof p->peer, "%s", peer);
    memset(it, 0, sizeof *it);
    it->raw = zframe_data(p->payload);
    it->raw_len = zframe_size(p->payload);
    it->peer = p->peer;
    hub_request_digest(it->raw, it->raw_len, it->req_digest);
    it->has_digest = true;
    it->approval = req->approval;   /* in the batch's arena */
    it->unit = u;
    it->period = period;
    it->approved = &p->approved;
    return true;
}

/* Answers an approve or unapprove once its batch committed. */
static void answer_approval(hub_server_t *self, pending_t *p, hub_item_t *it)
{
    Baocao__Reply reply = BAOCAO__REPLY__INIT;
    Baocao__ApprovalReply ar = BAOCAO__APPROVAL_REPLY__INIT;
    Baocao__Approval wa;
    char pb[BC_PERIOD_STRLEN];
    ar.status = it->status;
    ar.reason = it->reason;
    ar.message = it->message;
    ar.hub_seq = it->seq;
    if (it->status != BAOCAO__ACK_STATUS__ACK_RETRY_LATER
        && p->approved.present) {
        hub_approval_to_wire(&p->approved, &wa, pb);
        ar.approval = &wa;
    }
    reply.tag = p->tag;
    reply.body_case = BAOCAO__REPLY__BODY_APPROVAL;
    reply.approval = &ar;
    hub_server_reply(self, p->route, &reply);
    if (it->status == BAOCAO__ACK_STATUS__ACK_STORED)
        BC_INFO("%s %s %s by %s (log seq %llu)%s%s",
                it->approval->unapprove ? "unapproved" : "approved",
                it->unit->code, it->approval->period,
                *p->peer ? p->peer : "(plain)", (unsigned long long) it->seq,
                it->approval->unapprove ? ": " : "",
                it->approval->unapprove ? it->approval->reason : "");
}

/* A plan's answer, as before plans were log entries: PlanReply, or an
 * Error with the reason. */
static void answer_plan(hub_server_t *self, pending_t *p, hub_item_t *it)
{
    if (it->status != BAOCAO__ACK_STATUS__ACK_STORED) {
        hub_server_error(self, p->route, p->tag,
                         it->status == BAOCAO__ACK_STATUS__ACK_RETRY_LATER
                             && it->reason
                                    == BAOCAO__REJECT_REASON__REASON_NONE
                             ? BAOCAO__REJECT_REASON__REASON_INTERNAL
                             : it->reason,
                         it->message);
        return;
    }
    Baocao__Reply reply = BAOCAO__REPLY__INIT;
    Baocao__PlanReply pr = BAOCAO__PLAN_REPLY__INIT;
    pr.stored = (uint32_t) it->nvals;
    reply.tag = p->tag;
    reply.body_case = BAOCAO__REPLY__BODY_PLAN;
    reply.plan = &pr;
    hub_server_reply(self, p->route, &reply);
    BC_INFO("plan for %s %u set by %s: %zu targets (log seq %llu)",
            it->unit->code, it->year, *p->peer ? p->peer : "(plain)",
            it->nvals, (unsigned long long) it->seq);
}

/* Answers every submission of a committed batch and empties it. */
static void batch_answer(hub_server_t *self, batch_t *b)
{
    if (hub_server_check_store(self, b->rc, "committing a batch")) {
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
            hub_server_count_reject(self, it->reason, p->peer, it->message);
        else if (it->status == BAOCAO__ACK_STATUS__ACK_RETRY_LATER
                 && (!it->message[0] || b->rc == BC_EFATAL))
            snprintf(it->message, sizeof it->message, "%s",
                     b->rc == BC_EFATAL ? STORE_FAILED_MSG
                     : it->reason == BAOCAO__REJECT_REASON__REASON_STORE_FULL
                         ? "the hub's store is full; resend later"
                         : "the hub could not store it now; resend later");
        if (p->approval) {
            answer_approval(self, p, it);
            p->approval = false;
            zframe_destroy(&p->route);
            zframe_destroy(&p->payload);
            continue;
        }
        if (!p->ack) {
            answer_plan(self, p, it);
            free(it->vals);
            zframe_destroy(&p->route);
            zframe_destroy(&p->payload);
            continue;
        }
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
        hub_server_reply(self, p->route, &reply);
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

void hub_batch_refuse(hub_server_t *self, batch_t *b)
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

void hub_batch_dispatch(hub_server_t *self)
{
    if (self->writing || self->batches[self->filling].n == 0)
        return;
    zstr_send(self->to_writer, self->filling ? "1" : "0");
    self->writing = true;
    self->filling ^= 1;
}

void hub_batch_collect(hub_server_t *self)
{
    char *done = zstr_recv(self->to_writer);
    zstr_free(&done);
    self->writing = false;
    batch_answer(self, &self->batches[self->filling ^ 1]);
}

