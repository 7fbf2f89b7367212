/*
 * flaky_link.c -- the weak link's model (see flaky_link.h): random
 * streams, delay lines with their token buckets, the black-hole schedule.
 *
 * A lane holds what it read in chunks stamped with the time at which they
 * may leave (now + latency + jitter, never earlier than the bytes before
 * them, since TCP could not reorder either). Reads that come close
 * together share a chunk, so that a stream of tiny reads does not cost a
 * header each. The token bucket is topped up lazily, whenever a lane asks
 * what it may write or when it could write next: no timer of its own.
 *
 * Nothing here touches a socket: the proxy asks flaky_lane_due() what to
 * write, writes it, and tells flaky_lane_sent() how much went.
 */
#include "flaky_link.h"

#include "bc_log.h"
#include "bc_mem.h"

#include <math.h>
#include <string.h>

#define CHUNK_MIN_CAP 4096      /* so that many tiny reads share a chunk */
#define COALESCE_US 1000        /* reads this close in release time merge */
#define MIN_BURST 256.0         /* token bucket depth floor, bytes */

struct flaky_chunk {
    struct flaky_chunk *next;   /* next chunk in the lane, NULL at tail */
    uint64_t release_us;        /* no byte of it leaves before this */
    size_t off;                 /* bytes already written out */
    size_t len;                 /* bytes held, from data[0] */
    size_t cap;                 /* bytes allocated in data[] */
    unsigned char data[];       /* the bytes */
};

/* ---------------------------------------------------------------------
 * Random numbers: xoshiro256** seeded through splitmix64.
 */
static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

void flaky_rng_seed(flaky_rng_t *r, uint64_t seed, uint64_t stream)
{
    /* Mixing the stream number in before splitmix64 gives unrelated
     * states for the streams of one seed. */
    uint64_t x = seed ^ (stream * 0xD1B54A32D192ED03ULL);
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t flaky_rng_next(flaky_rng_t *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t flaky_rng_exp_ms(flaky_rng_t *r, uint32_t mean_ms)
{
    double u = (double) (flaky_rng_next(r) >> 11) * 0x1.0p-53; /* [0, 1) */
    return (uint64_t) llround(-log1p(-u) * (double) mean_ms);
}

/* ---------------------------------------------------------------------
 * The shaping lanes share
 */
void flaky_link_init(flaky_link_t *link, const flaky_config_t *cfg)
{
    link->latency_ms = cfg->latency_ms;
    link->jitter_ms = cfg->jitter_ms;
    link->rate_bps = cfg->rate_bps;
    /* A bucket of 10 ms worth of bytes: bursts short enough to keep the
     * rate smooth at the scale the tests measure. */
    link->burst = (double) cfg->rate_bps / 8.0 / 100.0;
    if (link->burst < MIN_BURST)
        link->burst = MIN_BURST;
    flaky_rng_seed(&link->jitter_rng, cfg->seed, FLAKY_STREAM_JITTER);
}

static uint64_t latency_us(const flaky_link_t *link)
{
    return (uint64_t) link->latency_ms * 1000u;
}

/* The latency plus a fresh jitter: draws from the jitter stream. */
static uint64_t jittered_us(flaky_link_t *link)
{
    uint64_t d = latency_us(link);
    if (link->jitter_ms)
        d += flaky_rng_next(&link->jitter_rng) %
             ((uint64_t) link->jitter_ms * 1000u + 1);
    return d;
}

/* ---------------------------------------------------------------------
 * Lanes
 */
void flaky_lane_init(const flaky_link_t *link, flaky_lane_t *l, uint64_t now)
{
    memset(l, 0, sizeof *l);
    l->tokens = link->burst;
    l->refill_us = now;
}

void flaky_lane_clear(flaky_lane_t *l)
{
    flaky_chunk_t *c = l->head;
    while (c) {
        flaky_chunk_t *next = c->next;
        free(c);
        c = next;
    }
    l->head = l->tail = NULL;
    l->pending = 0;
}

void flaky_lane_push(flaky_link_t *link, flaky_lane_t *l,
                     const unsigned char *buf, size_t n, uint64_t now)
{
    uint64_t release = now + jittered_us(link);
    /* TCP delivers in order, so a byte with a shorter jitter must still
     * wait for the bytes before it. */
    if (release < l->last_release_us)
        release = l->last_release_us;
    l->last_release_us = release;

    flaky_chunk_t *t = l->tail;
    if (t && t->cap - t->len >= n && release - t->release_us <= COALESCE_US) {
        /* Delaying the older bytes by under a millisecond keeps a stream
         * of tiny reads from costing a chunk header each. */
        memcpy(t->data + t->len, buf, n);
        t->len += n;
        t->release_us = release;
    } else {
        size_t cap = n > CHUNK_MIN_CAP ? n : CHUNK_MIN_CAP;
        flaky_chunk_t *c = bc_malloc(sizeof *c + cap);
        c->next = NULL;
        c->release_us = release;
        c->off = 0;
        c->len = n;
        c->cap = cap;
        memcpy(c->data, buf, n);
        if (t)
            t->next = c;
        else
            l->head = c;
        l->tail = c;
    }
    l->pending += n;
}

void flaky_lane_eof(const flaky_link_t *link, flaky_lane_t *l, uint64_t now)
{
    l->eof_in = true;
    l->eof_release_us = now + latency_us(link);
    if (l->eof_release_us < l->last_release_us)
        l->eof_release_us = l->last_release_us;
}

static void lane_refill(const flaky_link_t *link, flaky_lane_t *l,
                        uint64_t now)
{
    if (now > l->refill_us) {
        l->tokens += (double) (now - l->refill_us) *
                     (double) link->rate_bps / 8e6;
        if (l->tokens > link->burst)
            l->tokens = link->burst;
    }
    l->refill_us = now;
}

/* Bytes the bucket must hold before the head may be written: the whole
 * head if it is small, else a full bucket. */
static double lane_need(const flaky_link_t *link, const flaky_lane_t *l)
{
    double rem = (double) (l->head->len - l->head->off);
    return rem < link->burst ? rem : link->burst;
}

bool flaky_lane_due(const flaky_link_t *link, flaky_lane_t *l, uint64_t now,
                    const unsigned char **data, size_t *len)
{
    flaky_chunk_t *h = l->head;
    if (!h || now < h->release_us)
        return false;
    size_t want = h->len - h->off;
    if (link->rate_bps) {
        lane_refill(link, l, now);
        if (l->tokens < lane_need(link, l))
            return false;
        if ((double) want > l->tokens)
            want = (size_t) l->tokens;
    }
    *data = h->data + h->off;
    *len = want;
    return true;
}

void flaky_lane_sent(const flaky_link_t *link, flaky_lane_t *l, size_t n)
{
    flaky_chunk_t *h = l->head;
    h->off += n;
    l->pending -= n;
    if (link->rate_bps)
        l->tokens -= (double) n;
    if (h->off == h->len) {
        l->head = h->next;
        if (!l->head)
            l->tail = NULL;
        free(h);
    }
}

bool flaky_lane_eof_due(const flaky_lane_t *l, uint64_t now)
{
    return !l->head && l->eof_in && now >= l->eof_release_us;
}

uint64_t flaky_lane_wake(const flaky_link_t *link, flaky_lane_t *l,
                         uint64_t now)
{
    if (l->eof_out || l->want_out)
        return FLAKY_NEVER;
    if (!l->head)
        return l->eof_in ? l->eof_release_us : FLAKY_NEVER;
    if (now < l->head->release_us)
        return l->head->release_us;
    if (link->rate_bps) {
        lane_refill(link, l, now);
        double missing = lane_need(link, l) - l->tokens;
        if (missing > 0) {
            double wait_us = ceil(missing * 8e6 / (double) link->rate_bps);
            return now + (uint64_t) wait_us;
        }
    }
    return now;
}

/* ---------------------------------------------------------------------
 * The black-hole schedule
 */
void flaky_outage_init(flaky_outage_t *o, const flaky_config_t *cfg,
                       uint64_t now)
{
    memset(o, 0, sizeof *o);
    o->mean_ms = cfg->blackhole_mean_ms;
    o->len_ms = cfg->blackhole_ms;
    flaky_rng_seed(&o->rng, cfg->seed, FLAKY_STREAM_BLACKHOLE);
    if (o->mean_ms) {
        o->start_us = now + 1000u * flaky_rng_exp_ms(&o->rng, o->mean_ms);
        o->end_us = o->start_us + o->len_ms * 1000ull;
    }
}

unsigned flaky_outage_update(flaky_outage_t *o, uint64_t now)
{
    unsigned entered = 0;
    if (!o->mean_ms)
        return 0;
    for (;;) {
        if (!o->in && now >= o->start_us) {
            o->in = true;
            entered++;
            BC_INFO("black hole: nothing passes for %u ms", o->len_ms);
        }
        if (o->in && now >= o->end_us) {
            o->in = false;
            o->start_us = o->end_us +
                flaky_rng_exp_ms(&o->rng, o->mean_ms) * 1000u;
            o->end_us = o->start_us + o->len_ms * 1000ull;
            BC_INFO("black hole over: held data flows again");
            continue; /* the next one may be due already */
        }
        return entered;
    }
}

uint64_t flaky_outage_edge(const flaky_outage_t *o)
{
    if (!o->mean_ms)
        return FLAKY_NEVER;
    return o->in ? o->end_us : o->start_us;
}
