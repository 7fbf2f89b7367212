/*
 * hub_stats.h -- the hub's counters: what it acknowledged, how its commits
 * go, who is connected, and the same numbers as Prometheus text.
 *
 * The loop thread owns a hub_stats_t and records into it as it answers
 * batches (hub_stats_ack, hub_stats_commit); the writer thread only measures
 * the commit time it hands back with the batch. A StatsQuery is answered
 * from hub_stats_fill, and /metrics (hub_metrics.h) renders that same reply,
 * so `baocao stats` and Prometheus can never disagree.
 *
 * Connected peers are counted from the ROUTER socket's monitor: accepted
 * TCP connections minus closed ones.
 */
#ifndef HUB_STATS_H
#define HUB_STATS_H

#include "baocao.pb-c.h"

#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HUB_STATS_WINDOW 1024   /* commits kept for the percentiles */

typedef struct {
    int64_t started_at;              /* Unix seconds */
    uint64_t by_status[8];           /* acks by Baocao__AckStatus */
    uint64_t commits;                /* durable commits */
    uint64_t committed_items;        /* submissions in those commits */
    uint32_t batch_max;              /* largest batch committed */
    int64_t last_commit;             /* Unix seconds, 0 if none */
    uint32_t commit_us[HUB_STATS_WINDOW];   /* ring of commit times */
    size_t ncommit_us;               /* filled entries of the ring */
    size_t next_commit_us;           /* where the next one goes */
    int64_t peers;                   /* connected peers */
    zsock_t *peer_monitor;           /* PAIR receiving ROUTER events */
} hub_stats_t;

/* Zeroes the counters and notes the start time. */
void hub_stats_init(hub_stats_t *self);

/* Stops watching peers (closes the monitor). */
void hub_stats_fini(hub_stats_t *self);

/* One acknowledgement sent with `status`. */
void hub_stats_ack(hub_stats_t *self, Baocao__AckStatus status);

/* A batch of n submissions whose commit took commit_us; ok is false when
 * it failed (nothing stored: counted in its acks, not as a commit). */
void hub_stats_commit(hub_stats_t *self, size_t n, int64_t commit_us,
                      bool ok);

/* Starts counting the peers of `router` (call before it binds). Returns
 * the socket to poll for ZMQ_POLLIN, or NULL if monitoring failed (peers
 * then read 0). */
zsock_t *hub_stats_watch_peers(hub_stats_t *self, zsock_t *router);

/* Reads the monitor events waiting and updates the peer count. */
void hub_stats_read_peers(hub_stats_t *self);

/* Fills `out` (initialised by the caller) from the counters. rejected[32]
 * are the rejections by reason; out->rejections is malloc'ed: release with
 * hub_stats_reply_free. The caller sets hub_seq, queue_depth,
 * store_bytes, map_bytes and replies_dropped, which the stats do not
 * own. */
void hub_stats_fill(const hub_stats_t *self, const uint64_t rejected[32],
                    Baocao__StatsReply *out);
void hub_stats_reply_free(Baocao__StatsReply *r);

/* The reply as Prometheus text exposition (version 0.0.4): a malloc'ed,
 * NUL-terminated string. */
char *hub_stats_prometheus(const Baocao__StatsReply *r);

#endif
