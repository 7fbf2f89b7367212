/*
 * hub_stats.c -- the hub's counters (see hub_stats.h).
 */
#include "hub_stats.h"
#include "bc_error.h"
#include "bc_mem.h"
#include "bc_wire.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void hub_stats_init(hub_stats_t *self)
{
    memset(self, 0, sizeof *self);
    self->started_at = (int64_t) time(NULL);
}

void hub_stats_fini(hub_stats_t *self)
{
    zsock_destroy(&self->peer_monitor);
}

void hub_stats_ack(hub_stats_t *self, Baocao__AckStatus status)
{
    if ((unsigned) status < 8)
        self->by_status[status]++;
}

void hub_stats_commit(hub_stats_t *self, size_t n, int64_t commit_us,
                      bool ok)
{
    if (!ok)
        return;
    self->commits++;
    self->committed_items += n;
    if (n > self->batch_max)
        self->batch_max = (uint32_t) n;
    self->last_commit = (int64_t) time(NULL);
    self->commit_us[self->next_commit_us] =
        commit_us > UINT32_MAX ? UINT32_MAX : (uint32_t) commit_us;
    self->next_commit_us = (self->next_commit_us + 1) % HUB_STATS_WINDOW;
    if (self->ncommit_us < HUB_STATS_WINDOW)
        self->ncommit_us++;
}

zsock_t *hub_stats_watch_peers(hub_stats_t *self, zsock_t *router)
{
    char ep[64];
    snprintf(ep, sizeof ep, "inproc://baocao-hub-peers-%p", (void *) self);
    if (zmq_socket_monitor(zsock_resolve(router), ep,
                           ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED) != 0)
        return NULL;
    self->peer_monitor = zsock_new(ZMQ_PAIR);
    if (self->peer_monitor && zsock_connect(self->peer_monitor, "%s", ep))
        zsock_destroy(&self->peer_monitor);
    return self->peer_monitor;
}

void hub_stats_read_peers(hub_stats_t *self)
{
    for (;;) {
        /* An event is two frames: 2 bytes event id + 4 bytes value, then
         * the endpoint. */
        zmsg_t *m = zmsg_recv_nowait(self->peer_monitor);
        if (!m)
            return;
        zframe_t *f = zmsg_first(m);
        if (f && zframe_size(f) >= 2) {
            uint16_t ev;
            memcpy(&ev, zframe_data(f), 2);
            if (ev == ZMQ_EVENT_ACCEPTED)
                self->peers++;
            else if (ev == ZMQ_EVENT_DISCONNECTED && self->peers > 0)
                self->peers--;
        }
        zmsg_destroy(&m);
    }
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;
    return (x > y) - (x < y);
}

void hub_stats_fill(const hub_stats_t *self, const uint64_t rejected[32],
                    Baocao__StatsReply *out)
{
    out->started_at = self->started_at;
    out->stored = self->by_status[BAOCAO__ACK_STATUS__ACK_STORED];
    out->duplicates = self->by_status[BAOCAO__ACK_STATUS__ACK_DUPLICATE];
    out->superseded = self->by_status[BAOCAO__ACK_STATUS__ACK_SUPERSEDED];
    out->rejected = self->by_status[BAOCAO__ACK_STATUS__ACK_REJECTED];
    out->retry_later = self->by_status[BAOCAO__ACK_STATUS__ACK_RETRY_LATER];
    out->commits = self->commits;
    out->batch_mean = self->commits ? (double) self->committed_items
                                          / (double) self->commits
                                    : 0;
    out->batch_max = self->batch_max;
    out->last_commit = self->last_commit;
    out->peers = self->peers > 0 ? (uint32_t) self->peers : 0;
    if (self->ncommit_us) {
        uint32_t sorted[HUB_STATS_WINDOW];
        memcpy(sorted, self->commit_us, self->ncommit_us * sizeof *sorted);
        qsort(sorted, self->ncommit_us, sizeof *sorted, cmp_u32);
        out->commit_p50_ms = sorted[(self->ncommit_us - 1) / 2] / 1000.0;
        out->commit_p99_ms = sorted[(self->ncommit_us - 1) * 99 / 100] / 1000.0;
    }
    size_t n = 0;
    for (unsigned r = 0; r < 32; r++)
        n += rejected[r] != 0;
    out->n_rejections = n;
    out->rejections = n ? bc_calloc(n, sizeof *out->rejections) : NULL;
    Baocao__ReasonCount *rc = n ? bc_calloc(n, sizeof *rc) : NULL;
    for (unsigned r = 0, i = 0; r < 32; r++)
        if (rejected[r]) {
            baocao__reason_count__init(&rc[i]);
            rc[i].reason = (Baocao__RejectReason) r;
            rc[i].count = rejected[r];
            out->rejections[i] = &rc[i];
            i++;
        }
}

void hub_stats_reply_free(Baocao__StatsReply *r)
{
    if (r->n_rejections)
        free(r->rejections[0]);   /* one array holds them all */
    free(r->rejections);
    r->rejections = NULL;
    r->n_rejections = 0;
    if (r->upstream_refused_why
        && r->upstream_refused_why != protobuf_c_empty_string)
        free(r->upstream_refused_why);
    r->upstream_refused_why = NULL;
}

/* A growing string. */
typedef struct {
    char *buf;
    size_t len, cap;
} text_t;

static void put(text_t *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void put(text_t *t, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t) n < t->cap - t->len) {
            t->len += (size_t) n;
            return;
        }
        t->cap *= 2;
        t->buf = bc_realloc(t->buf, t->cap);
    }
}

/* One metric with its HELP and TYPE lines. */
static void metric(text_t *t, const char *name, const char *type,
                   const char *help, double value)
{
    put(t, "# HELP baocao_%s %s\n# TYPE baocao_%s %s\nbaocao_%s %.17g\n",
        name, help, name, type, name, value);
}

char *hub_stats_prometheus(const Baocao__StatsReply *r)
{
    text_t t = {bc_malloc(4096), 0, 4096};
    t.buf[0] = '\0';
    put(&t, "# HELP baocao_acks_total Submissions answered, by status.\n"
            "# TYPE baocao_acks_total counter\n");
    put(&t, "baocao_acks_total{status=\"stored\"} %llu\n",
        (unsigned long long) r->stored);
    put(&t, "baocao_acks_total{status=\"duplicate\"} %llu\n",
        (unsigned long long) r->duplicates);
    put(&t, "baocao_acks_total{status=\"superseded\"} %llu\n",
        (unsigned long long) r->superseded);
    put(&t, "baocao_acks_total{status=\"rejected\"} %llu\n",
        (unsigned long long) r->rejected);
    put(&t, "baocao_acks_total{status=\"retry_later\"} %llu\n",
        (unsigned long long) r->retry_later);
    put(&t, "# HELP baocao_rejections_total Rejections, by reason.\n"
            "# TYPE baocao_rejections_total counter\n");
    for (size_t i = 0; i < r->n_rejections; i++)
        put(&t, "baocao_rejections_total{reason=\"%s\"} %llu\n",
            bc_reason_name(r->rejections[i]->reason),
            (unsigned long long) r->rejections[i]->count);
    metric(&t, "log_seq", "gauge", "Last submission-log sequence number.",
           (double) r->hub_seq);
    metric(&t, "commits_total", "counter", "Durable batch commits.",
           (double) r->commits);
    metric(&t, "batch_size_mean", "gauge", "Submissions per commit, mean.",
           r->batch_mean);
    metric(&t, "batch_size_max", "gauge", "Largest batch committed.",
           r->batch_max);
    put(&t, "# HELP baocao_commit_seconds Commit time over the last 1024 "
            "commits.\n# TYPE baocao_commit_seconds summary\n"
            "baocao_commit_seconds{quantile=\"0.5\"} %.6f\n"
            "baocao_commit_seconds{quantile=\"0.99\"} %.6f\n",
        r->commit_p50_ms / 1000, r->commit_p99_ms / 1000);
    metric(&t, "last_commit_timestamp_seconds", "gauge",
           "When the last commit was made.", (double) r->last_commit);
    metric(&t, "queue_depth", "gauge",
           "Submissions waiting for the next commit.", r->queue_depth);
    metric(&t, "peers", "gauge", "Connected peers.", r->peers);
    metric(&t, "store_bytes", "gauge", "Bytes in use in the LMDB map.",
           (double) r->store_bytes);
    metric(&t, "map_bytes", "gauge", "Size of the LMDB map (--map-size).",
           (double) r->map_bytes);
    metric(&t, "replies_dropped_total", "counter",
           "Replies a peer could not take.", (double) r->replies_dropped);
    metric(&t, "start_time_seconds", "gauge", "When the hub started.",
           (double) r->started_at);
    if (r->upstream) {
        metric(&t, "upstream_cursor", "gauge", "Log seq forwarded to the "
               "national hub and answered, everything up to it.",
               (double) r->upstream_cursor);
        metric(&t, "upstream_behind", "gauge", "Log entries not yet "
               "forwarded to the national hub.",
               (double) (r->hub_seq > r->upstream_cursor
                             ? r->hub_seq - r->upstream_cursor : 0));
    }
    return t.buf;
}
