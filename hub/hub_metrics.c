/*
 * hub_metrics.c -- GET /metrics over a ZeroMQ STREAM socket (see
 * hub_metrics.h).
 *
 * A STREAM socket delivers [connection id][bytes] and sends the same way;
 * sending an empty frame to an id closes that connection. A request is
 * answered once its header ends ("\r\n\r\n"); bytes are kept per
 * connection until then, in a small table, so a request split across TCP
 * segments still works.
 */
#include "hub_metrics.h"
#include "bc_mem.h"

#include <stdio.h>
#include <string.h>

#define MAX_REQUEST 8192
#define MAX_CONNS 64

typedef struct {
    uint8_t id[256];           /* connection id */
    size_t id_len;             /* 0 = free slot */
    char buf[MAX_REQUEST];     /* request bytes so far */
    size_t len;                /* their number */
} conn_t;

struct hub_metrics_t {
    zsock_t *sock;             /* the STREAM socket */
    conn_t conns[MAX_CONNS];   /* connections with a partial request */
};

hub_metrics_t *hub_metrics_new(const char *listen, char *err, size_t errlen)
{
    hub_metrics_t *self = bc_calloc(1, sizeof *self);
    self->sock = zsock_new(ZMQ_STREAM);
    if (!self->sock)
        goto out_fail;
    zsock_set_linger(self->sock, 0);
    const char *prefix = strstr(listen, "://") ? "" : "tcp://";
    if (zsock_bind(self->sock, "%s%s", prefix, listen) < 0)
        goto out_fail;
    return self;

out_fail:
    snprintf(err, errlen, "cannot listen for /metrics on %s: %s", listen,
             zmq_strerror(zmq_errno()));
    hub_metrics_destroy(&self);
    return NULL;
}

void hub_metrics_destroy(hub_metrics_t **self_p)
{
    hub_metrics_t *self = *self_p;
    if (!self)
        return;
    zsock_destroy(&self->sock);
    free(self);
    *self_p = NULL;
}

zsock_t *hub_metrics_socket(hub_metrics_t *self)
{
    return self->sock;
}

static conn_t *conn_find(hub_metrics_t *self, zframe_t *id, bool make)
{
    conn_t *free_slot = NULL;
    for (size_t i = 0; i < MAX_CONNS; i++) {
        conn_t *c = &self->conns[i];
        if (c->id_len == zframe_size(id)
            && memcmp(c->id, zframe_data(id), c->id_len) == 0)
            return c;
        if (!c->id_len && !free_slot)
            free_slot = c;
    }
    if (!make || !free_slot || zframe_size(id) > sizeof free_slot->id)
        return NULL;
    free_slot->id_len = zframe_size(id);
    memcpy(free_slot->id, zframe_data(id), free_slot->id_len);
    free_slot->len = 0;
    return free_slot;
}

/* Sends one HTTP response to id and closes the connection. */
static void respond(hub_metrics_t *self, zframe_t *id, const char *status,
                    const char *type, const char *body)
{
    char head[256];
    size_t blen = strlen(body);
    int hlen = snprintf(head, sizeof head,
                        "HTTP/1.1 %s\r\nContent-Type: %s\r\n"
                        "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                        status, type, blen);
    void *s = zsock_resolve(self->sock);
    zmq_send(s, zframe_data(id), zframe_size(id), ZMQ_SNDMORE);
    zmq_send(s, head, (size_t) hlen, 0);
    zmq_send(s, zframe_data(id), zframe_size(id), ZMQ_SNDMORE);
    zmq_send(s, body, blen, 0);
    /* An empty frame closes the connection. */
    zmq_send(s, zframe_data(id), zframe_size(id), ZMQ_SNDMORE);
    zmq_send(s, "", 0, 0);
}

void hub_metrics_handle(hub_metrics_t *self, hub_metrics_fn body, void *arg)
{
    for (;;) {
        zmsg_t *m = zmsg_recv_nowait(self->sock);
        if (!m)
            return;
        zframe_t *id = zmsg_first(m), *data = zmsg_next(m);
        if (!id || !data) {
            zmsg_destroy(&m);
            continue;
        }
        conn_t *c = conn_find(self, id, zframe_size(data) > 0);
        if (zframe_size(data) == 0) {
            if (c)
                c->id_len = 0;   /* connected or closed: forget it */
            zmsg_destroy(&m);
            continue;
        }
        if (!c || c->len + zframe_size(data) >= MAX_REQUEST) {
            respond(self, id, "400 Bad Request", "text/plain", "too large\n");
            if (c)
                c->id_len = 0;
            zmsg_destroy(&m);
            continue;
        }
        memcpy(c->buf + c->len, zframe_data(data), zframe_size(data));
        c->len += zframe_size(data);
        c->buf[c->len] = '\0';
        if (!strstr(c->buf, "\r\n\r\n")) {
            zmsg_destroy(&m);
            continue;   /* the header is not complete yet */
        }
        if (strncmp(c->buf, "GET /metrics ", 13) == 0
            || strncmp(c->buf, "GET /metrics?", 13) == 0) {
            char *text = body(arg);
            respond(self, id, "200 OK", "text/plain; version=0.0.4", text);
            free(text);
        } else if (strncmp(c->buf, "GET ", 4) == 0) {
            respond(self, id, "404 Not Found", "text/plain",
                    "only /metrics is served here\n");
        } else {
            respond(self, id, "400 Bad Request", "text/plain",
                    "expected GET /metrics\n");
        }
        c->id_len = 0;
        zmsg_destroy(&m);
    }
}
