/*
 * hub_server.h -- the hub: one ROUTER socket serving nodes, tools and
 * operators, a store, and the loop that ties them together.
 *
 * Batch-driven, on two threads. The loop (the only thread that touches a
 * socket) drains whatever has arrived, up to batch-max messages, and
 * validates the submissions among them into a batch; the writer thread
 * commits a batch in one durable LMDB transaction; the loop then sends that
 * batch's acknowledgements. Two batches alternate, so one fills while the
 * other syncs. Under load, batches grow by themselves (more messages wait
 * while a commit syncs): group commit sized by load. When idle, a lone
 * submission is committed at once. Queries are answered as they come, by
 * the loop, from a read snapshot.
 *
 * With --upstream, a third thread forwards the log to a national hub
 * (hub_upstream.h); it only reads the store, and writes its own cursor.
 *
 * Replies are sent without blocking: a slow or vanished node whose pipe is
 * full loses its acknowledgement (it will resend and get "duplicate"),
 * never the hub's time.
 */
#ifndef HUB_SERVER_H
#define HUB_SERVER_H

#include "bc_config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *store;              /* LMDB directory */
    char *registry;           /* units CSV */
    char *catalog;            /* indicators CSV */
    char *categories;         /* categories CSV (issue 17), or NULL */
    char *bind;               /* endpoint, e.g. tcp://0.0.0.0:5555 */
    char *endpoint_file;      /* where to write the bound endpoint */
    long long map_size;       /* LMDB map size, bytes */
    bool plain;               /* run without CURVE (explicitly asked) */
    char *curve_secret;       /* the hub's key pair (.secret) */
    char **operator_keys;     /* operators' .pub files */
    long long max_message;    /* largest request accepted, bytes */
    long long max_values;     /* most figures in one report */
    long long batch_max;      /* most submissions per commit */
    char *deadlines;          /* "commune=5,district=15,province=25" */
    char *log_level;          /* debug, info, warn, error */
    char *metrics;            /* HOST:PORT for GET /metrics, or NULL */
    char *upstream;           /* national hub to forward the log to, or NULL
                                 (hub_upstream.h) */
    char *upstream_key;       /* the national hub's public key */
    char *upstream_cert;      /* this hub's key pair for the national hub */
    bool upstream_plain;      /* forward without CURVE */
    char *upstream_name;      /* Origin.hub; default the registry's root */
    long long upstream_window;     /* entries in flight at most */
    long long upstream_timeout;    /* silence that declares the link dead */
    long long upstream_backoff_max;/* longest reconnect delay, ms */
    long long upstream_resend_from;/* send the log again from this seq
                                      (once per value), 0: no */
    char *rules;              /* validation rules CSV (bc_rules.h), or
                                 NULL: none */
    char *operators;          /* operators CSV (hub_scope.h), or NULL */
    char *holidays;           /* holidays CSV (bc_holidays.h), or NULL */
    long long query_cache;    /* bytes of the reply cache (hub_cache.h) */
    long long receive_hwm;    /* requests libzmq queues per connection
                                 before it stops reading that connection
                                 (ZMQ_RCVHWM of the router) */
} hub_config_t;

extern const bc_option_t hub_options[];
extern const size_t hub_noptions;

typedef struct hub_server_t hub_server_t;

/* Loads the registry, locks and opens the store, binds the socket.
 * Returns NULL with a message in err (each names what to fix) and, when
 * rc_out is not NULL, the kind of failure in *rc_out: BC_EEXIST when
 * another hub holds the store folder ("DIR is in use by baocao-hub pid
 * N"), BC_EINVAL for anything else (options, key, registry, store, bind).
 * The store lock (bc_lock.h) is held until hub_server_destroy. */
hub_server_t *hub_server_new(const hub_config_t *cfg, int *rc_out,
                             char *err, size_t errlen);
void hub_server_destroy(hub_server_t **self_p);

/* Serves until SIGINT or SIGTERM, or until the store's disk fails. Returns
 * BC_OK after a signal, or BC_EFATAL when a store write met a disk error
 * (EIO, MDB_PANIC): the error is logged, every submission held is answered
 * RETRY_LATER, and the caller should exit with BC_EXIT_STORE_FAILED so that
 * its supervisor restarts it. */
int hub_server_run(hub_server_t *self);

#endif
