/*
 * bc_client.c -- synchronous request/reply to the hub (see bc_client.h).
 *
 * libzmq retries a refused CURVE handshake for ever while sends appear to
 * succeed, so the client also watches a socket monitor: a handshake failure
 * ends the wait with BC_ECRYPTO instead of a silent timeout.
 *
 * A call is a round trip of some 50 us on loopback, and every socket a
 * zmq_poll() watches costs two system calls each time it is polled (the
 * ZMQ_EVENTS look at its mailbox), before and after the sleep. So the
 * common path polls nothing: the request goes out with a non-blocking
 * send (a connected DEALER takes it at once), and the reply is awaited by
 * a blocking receive in slices of WATCH_EVERY_MS, the monitor looked at
 * between two slices. A handshake failure is then seen within a slice
 * (libzmq retries a refused handshake every 100 ms anyway), and a call
 * costs the client 23 system calls instead of 36 (BENCHMARKS.md, "The
 * round trip's floor").
 *
 * Decoding the reply was the rest of a call's cost: protobuf-c allocates
 * every nested message and string (~400 mallocs for a 100-figure reply)
 * and free_unpacked walks them again to free them; glibc then
 * consolidated the freed chunks on the next large malloc (the request's
 * packing buffer). bc_client_call_arena decodes into the caller's arena
 * instead, and the request is packed into a buffer the client keeps
 * (bc_pack_into), so a call allocates nothing once warm.
 */
#include "bc_client.h"
#include "bc_error.h"
#include "bc_mem.h"
#include "bc_pack.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Longest wait for a reply between two looks at the monitor, ms. */
#define WATCH_EVERY_MS 100

struct bc_client_t {
    zsock_t *sock;         /* DEALER connected to the hub */
    zsock_t *monitor;      /* PAIR receiving the DEALER's monitor events */
    uint64_t next_tag;     /* tag of the next request */
    int rcvtimeo;          /* the DEALER's ZMQ_RCVTIMEO as last set */
    uint8_t *out;          /* the request's packing buffer, reused */
    size_t out_cap;        /* its size in bytes */
    char auth_error[192];  /* last handshake failure, "" if none */
    bool curve;            /* a hub key was given (CURVE on) */
    bool own_key;          /* a key pair was given (--cert), not a
                              throwaway one */
};

bc_client_t *bc_client_new(const char *endpoint, const bc_security_t *sec,
                           char *err, size_t errlen)
{
    bc_client_t *self = bc_calloc(1, sizeof *self);
    self->next_tag = 1;
    self->rcvtimeo = -1;   /* libzmq's default: wait for ever */
    self->sock = zsock_new(ZMQ_DEALER);
    if (!self->sock) {
        snprintf(err, errlen, "cannot create a socket: %s",
                 zmq_strerror(zmq_errno()));
        goto out_destroy;
    }
    zsock_set_linger(self->sock, 0);
    self->curve = sec && sec->hub_key;
    self->own_key = sec && sec->cert;
    if (sec && sec->hub_key
        && bc_keys_apply_client(self->sock, sec, err, errlen) != BC_OK)
        goto out_destroy;

    self->monitor = bc_keys_watch(self->sock);
    if (zsock_connect(self->sock, "%s", endpoint) != 0) {
        snprintf(err, errlen, "cannot connect to '%s': %s (expected "
                 "tcp://HOST:PORT)", endpoint, zmq_strerror(zmq_errno()));
        goto out_destroy;
    }
    return self;

out_destroy:
    bc_client_destroy(&self);
    return NULL;
}

void bc_client_destroy(bc_client_t **self_p)
{
    bc_client_t *self = *self_p;
    if (!self)
        return;
    bc_keys_unwatch(self->sock, &self->monitor);
    zsock_destroy(&self->sock);
    free(self->out);
    free(self);
    *self_p = NULL;
}

const char *bc_client_auth_error(const bc_client_t *self)
{
    return self->auth_error[0] ? self->auth_error : NULL;
}

/* Reads one monitor event; returns true if it was a handshake failure. */
static bool read_monitor(bc_client_t *self)
{
    bc_handshake_t what = bc_keys_watch_read(self->monitor);
    /* Name the option that is really missing: without --cert we offered
     * a throwaway key, and without --hub-key no key at all. */
    if (what == BC_HANDSHAKE_REFUSED && !self->own_key)
        snprintf(self->auth_error, sizeof self->auth_error,
                 "the hub refused our key: no --cert was given, so a "
                 "throwaway key was offered: pass --cert NAME.secret (a key "
                 "registered at the hub)");
    else if (what == BC_HANDSHAKE_REFUSED)
        snprintf(self->auth_error, sizeof self->auth_error,
                 "the hub refused our key: is it registered at the hub?");
    else if (what == BC_HANDSHAKE_FAILED && !self->curve)
        snprintf(self->auth_error, sizeof self->auth_error,
                 "CURVE handshake with the hub failed: the hub requires "
                 "encryption and --plain was given: pass --hub-key hub.pub "
                 "and --cert NAME.secret");
    else if (what == BC_HANDSHAKE_FAILED)
        snprintf(self->auth_error, sizeof self->auth_error,
                 "CURVE handshake with the hub failed: check the hub's "
                 "public key");
    return what != BC_HANDSHAKE_OTHER;
}

/* True if the monitor holds a handshake failure; reads what it holds,
 * without waiting. */
static bool handshake_failed(bc_client_t *self)
{
    for (;;) {
        int ev = 0;
        size_t evlen = sizeof ev;
        if (!self->monitor
            || zmq_getsockopt(zsock_resolve(self->monitor), ZMQ_EVENTS, &ev,
                              &evlen) != 0
            || !(ev & ZMQ_POLLIN))
            return false;
        if (read_monitor(self))
            return true;
    }
}

/* Sends buf without blocking: at once if the socket takes it (the common
 * case: no poll), else waiting until it can, within the deadline. A
 * DEALER whose only connection was dropped by a failed handshake has no
 * pipe left, and a blocking send would then wait for ever: the deadline
 * and the monitor bound it. */
static int send_within(bc_client_t *self, const uint8_t *buf, size_t len,
                       int64_t deadline)
{
    void *sock = zsock_resolve(self->sock);
    for (;;) {
        if (zmq_send(sock, buf, len, ZMQ_DONTWAIT) >= 0)
            return BC_OK;
        if (zmq_errno() != EAGAIN)
            return BC_ENET;
        int64_t left = deadline - zclock_mono();
        if (left <= 0)
            return BC_ETIMEOUT;
        zmq_pollitem_t items[2] = {
            {sock, 0, ZMQ_POLLOUT, 0},
            {self->monitor ? zsock_resolve(self->monitor) : NULL, 0,
             ZMQ_POLLIN, 0}};
        if (zmq_poll(items, self->monitor ? 2 : 1, left) < 0)
            return BC_ENET;
        if (self->monitor && (items[1].revents & ZMQ_POLLIN)
            && read_monitor(self))
            return BC_ECRYPTO;
    }
}

/* One call; the reply decoded with protobuf-c's allocator when arena is
 * NULL, else into the arena. */
static int call(bc_client_t *self, Baocao__Request *req, bc_arena_t *arena,
                Baocao__Reply **reply, int timeout_ms)
{
    *reply = NULL;
    req->version = BC_WIRE_VERSION;
    req->tag = self->next_tag++;
    size_t len;
    const uint8_t *buf = bc_pack_into(&req->base, &self->out, &self->out_cap,
                                      &len);
    int64_t deadline = zclock_mono() + timeout_ms;
    int rc = send_within(self, buf, len, deadline);
    if (rc)
        return rc;
    ProtobufCAllocator *alloc = arena ? bc_arena_allocator(arena) : NULL;
    void *sock = zsock_resolve(self->sock);
    for (;;) {
        int64_t left = deadline - zclock_mono();
        if (left <= 0)
            return handshake_failed(self) ? BC_ECRYPTO : BC_ETIMEOUT;
        int slice = left < WATCH_EVERY_MS ? (int) left : WATCH_EVERY_MS;
        if (slice != self->rcvtimeo) {
            zsock_set_rcvtimeo(self->sock, slice);
            self->rcvtimeo = slice;
        }
        /* A bare zmq_msg_t: no zframe_t to allocate around it. The DEALER
         * gets the hub's one payload frame (the router took the route). */
        zmq_msg_t in;
        zmq_msg_init(&in);
        if (zmq_msg_recv(&in, sock, 0) < 0) {
            zmq_msg_close(&in);
            if (zmq_errno() != EAGAIN)
                return BC_ENET;
            /* A slice without a reply: has the handshake failed? */
            if (handshake_failed(self))
                return BC_ECRYPTO;
            continue;
        }
        bc_arena_mark_t mark = arena ? bc_arena_mark(arena)
                                     : (bc_arena_mark_t){NULL, 0};
        Baocao__Reply *r = baocao__reply__unpack(alloc, zmq_msg_size(&in),
                                                 zmq_msg_data(&in));
        zmq_msg_close(&in);
        if (!r) {
            if (arena)
                bc_arena_rewind(arena, mark);
            return BC_EPARSE;
        }
        if (r->tag != req->tag) {
            /* An answer to an earlier call that timed out: skip it. */
            if (arena)
                bc_arena_rewind(arena, mark);
            else
                baocao__reply__free_unpacked(r, NULL);
            continue;
        }
        *reply = r;
        return BC_OK;
    }
}

int bc_client_call(bc_client_t *self, Baocao__Request *req,
                   Baocao__Reply **reply, int timeout_ms)
{
    return call(self, req, NULL, reply, timeout_ms);
}

int bc_client_call_arena(bc_client_t *self, Baocao__Request *req,
                         bc_arena_t *arena, Baocao__Reply **reply,
                         int timeout_ms)
{
    return call(self, req, arena, reply, timeout_ms);
}
