/*
 * flaky_link.h -- the weak link itself, without sockets: what the proxy
 * of flaky_proxy.h does to bytes, FINs and time, apart from how it moves
 * them between sockets.
 *
 *   flaky_rng_t     the replayable random streams (xoshiro256**);
 *   flaky_link_t    what every lane shares: latency, jitter, rate, and
 *                   the depth of the token bucket;
 *   flaky_lane_t    one direction of one connection: a delay line of
 *                   chunks stamped with their release time, and its token
 *                   bucket;
 *   flaky_outage_t  the proxy-wide schedule of black holes.
 *
 * Kept apart from the socket loop (flaky_proxy.c) so that the model reads
 * on its own: nothing here calls the network, logs a connection or counts
 * bytes for the stats. Private to bc_flaky: flaky_proxy.c is its one
 * user, and tests reach the model through flaky_proxy.h.
 *
 * The structs are open, not opaque, because the proxy embeds them by
 * value (two lanes a connection, no allocation of their own) and its poll
 * set is built from a lane's flags; only the chunks stay private.
 * All times are microseconds of CLOCK_MONOTONIC.
 */
#ifndef FLAKY_LINK_H
#define FLAKY_LINK_H

#include "flaky_config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A time that never comes: "no timer". */
#define FLAKY_NEVER UINT64_MAX

/* ---------------------------------------------------------------------
 * Random numbers. Never rand(): it is shared process state and its
 * sequence differs between C libraries.
 */
typedef struct {
    uint64_t s[4];              /* xoshiro256** state, never all zero */
} flaky_rng_t;

/* Independent random streams: one per purpose, so that traffic cannot
 * shift the cut or black-hole sequences. */
#define FLAKY_STREAM_CUT 1
#define FLAKY_STREAM_BLACKHOLE 2
#define FLAKY_STREAM_JITTER 3

/* Seeds r for one stream of seed (through splitmix64, as the authors of
 * xoshiro recommend): the same (seed, stream) gives the same sequence on
 * every machine, and the streams of one seed are unrelated. */
void flaky_rng_seed(flaky_rng_t *r, uint64_t seed, uint64_t stream);

/* The next 64 random bits of r. */
uint64_t flaky_rng_next(flaky_rng_t *r);

/* An exponentially distributed duration with the given mean, in whole
 * milliseconds (draws one number from r). */
uint64_t flaky_rng_exp_ms(flaky_rng_t *r, uint32_t mean_ms);

/* ---------------------------------------------------------------------
 * The shaping every lane of the proxy shares.
 */
typedef struct {
    uint32_t latency_ms;        /* one-way delay added to every byte */
    uint32_t jitter_ms;         /* extra delay, uniform in 0..jitter_ms */
    uint64_t rate_bps;          /* bits/s per lane; 0 = no cap */
    double burst;               /* token bucket depth, bytes */
    flaky_rng_t jitter_rng;     /* per-read extra delay */
} flaky_link_t;

/* Takes latency, jitter and rate from cfg, sizes the token bucket (10 ms
 * of the rate, at least 256 bytes) and seeds the jitter stream from
 * cfg->seed. */
void flaky_link_init(flaky_link_t *link, const flaky_config_t *cfg);

/* ---------------------------------------------------------------------
 * Lanes: one direction of one connection.
 */
typedef struct flaky_chunk flaky_chunk_t;

typedef struct {
    flaky_chunk_t *head;        /* oldest chunk, written first */
    flaky_chunk_t *tail;        /* newest chunk, appended to */
    size_t pending;             /* bytes queued, not yet written */
    uint64_t last_release_us;   /* release of the newest bytes: no reorder */
    double tokens;              /* token bucket content, in bytes */
    uint64_t refill_us;         /* when tokens were last topped up */
    bool eof_in;                /* the source sent FIN */
    uint64_t eof_release_us;    /* when that FIN may be passed on */
    bool eof_out;               /* FIN passed on (shutdown SHUT_WR done) */
    bool want_out;              /* a write hit EAGAIN: wait for POLLOUT */
} flaky_lane_t;

/* Empties l and fills its bucket, as of now. */
void flaky_lane_init(const flaky_link_t *link, flaky_lane_t *l, uint64_t now);

/* Frees every chunk of l: its pending bytes are dropped. */
void flaky_lane_clear(flaky_lane_t *l);

/* Queues n bytes read just now: they leave no earlier than now + latency
 * + a fresh jitter (drawn from link's stream), and never before the
 * bytes queued before them. */
void flaky_lane_push(flaky_link_t *link, flaky_lane_t *l,
                     const unsigned char *buf, size_t n, uint64_t now);

/* Notes that the source sent FIN just now: it may be passed on after the
 * latency (no jitter), and never before the bytes queued before it. */
void flaky_lane_eof(const flaky_link_t *link, flaky_lane_t *l, uint64_t now);

/* What l may write now: true with the bytes in *data and *len (the head
 * chunk's unwritten bytes, cut to the tokens in the bucket), false when
 * nothing may leave yet (no bytes, not released, or the bucket holds less
 * than the head needs: the whole head if it is small, else a full bucket,
 * so that writes are not sliced into a trickle of tiny segments). */
bool flaky_lane_due(const flaky_link_t *link, flaky_lane_t *l, uint64_t now,
                    const unsigned char **data, size_t *len);

/* Records that n of the bytes flaky_lane_due() gave were written: they
 * leave the queue and the bucket; a chunk written out is freed. */
void flaky_lane_sent(const flaky_link_t *link, flaky_lane_t *l, size_t n);

/* True when every byte of l is written and its FIN's delay is over: the
 * FIN may be passed on now. */
bool flaky_lane_eof_due(const flaky_lane_t *l, uint64_t now);

/* When l can make progress by time alone: a release, a refill of the
 * bucket, a FIN's delay; FLAKY_NEVER if only an event can move it (FIN
 * passed on, waiting for POLLOUT, nothing queued). */
uint64_t flaky_lane_wake(const flaky_link_t *link, flaky_lane_t *l,
                         uint64_t now);

/* ---------------------------------------------------------------------
 * The schedule of black holes: exponential gaps of mean mean_ms between
 * outages of len_ms each.
 */
typedef struct {
    uint32_t mean_ms;           /* mean gap between black holes; 0 = none */
    uint32_t len_ms;            /* length of each black hole */
    flaky_rng_t rng;            /* the gaps */
    bool in;                    /* inside a black hole now */
    uint64_t start_us;          /* start of the next/current black hole */
    uint64_t end_us;            /* its end */
} flaky_outage_t;

/* Takes the schedule from cfg (blackhole_mean_ms, blackhole_ms), seeds its
 * stream from cfg->seed and, with a schedule, draws the first black hole
 * after now. */
void flaky_outage_init(flaky_outage_t *o, const flaky_config_t *cfg,
                       uint64_t now);

/* Enters and leaves black holes by the clock, catching up on every edge
 * that is past (logged). The caller may set o->in for an outage of its
 * own; the schedule carries on from there once it is cleared. Returns how
 * many black holes were entered (0 without a schedule). */
unsigned flaky_outage_update(flaky_outage_t *o, uint64_t now);

/* The next edge of the schedule (the end of the current black hole, or
 * the start of the next), FLAKY_NEVER without a schedule. */
uint64_t flaky_outage_edge(const flaky_outage_t *o);

#endif
