/*
 * hub_metrics.h -- a minimal HTTP listener for Prometheus: GET /metrics
 * answers the hub's counters as text (hub_stats_prometheus); anything else
 * gets 404, and a request larger than 8 KiB or malformed gets 400.
 *
 * It is a ZeroMQ STREAM socket polled by the hub's loop, so it needs no
 * thread and no HTTP library: each connection sends one request, gets one
 * answer, and is closed. Bind it to loopback (the default advice): the
 * counters say nothing secret, but nothing here authenticates.
 */
#ifndef HUB_METRICS_H
#define HUB_METRICS_H

#include <czmq.h>
#include <stddef.h>

typedef struct hub_metrics_t hub_metrics_t;

/* Listens on `listen` ("127.0.0.1:9464" or "tcp://..."). NULL with a
 * message in err if it cannot bind. */
hub_metrics_t *hub_metrics_new(const char *listen, char *err, size_t errlen);
void hub_metrics_destroy(hub_metrics_t **self_p);

/* The socket to poll for ZMQ_POLLIN. */
zsock_t *hub_metrics_socket(hub_metrics_t *self);

/* Produces the body of /metrics: a malloc'ed string the listener frees. */
typedef char *(*hub_metrics_fn)(void *arg);

/* Reads what is waiting and answers every complete request. */
void hub_metrics_handle(hub_metrics_t *self, hub_metrics_fn body, void *arg);

#endif
