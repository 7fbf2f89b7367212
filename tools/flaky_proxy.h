/*
 * flaky_proxy.h -- a user-space TCP proxy that behaves like a weak mobile
 * link, for fault-injection tests.
 *
 * The kernels we test on have no netem, and the delivery code must be shown
 * to survive slow, lossy, stalling links. So the proxy sits between a node
 * and a hub on loopback and, per connection and per direction independently:
 *
 *   - holds every byte for at least latency_ms (+ a uniform 0..jitter_ms);
 *     jitter never reorders bytes, since TCP could not either;
 *   - caps the throughput at rate_bps bits per second with a token bucket;
 *   - cuts the connection abruptly (RST on both sides) after an exponential
 *     lifetime of mean cut_mean_ms;
 * and proxy-wide:
 *   - every so often (exponential gaps of mean blackhole_mean_ms) enters a
 *     black hole of blackhole_ms: nothing is read, written or connected, new
 *     connections are accepted but held. Data is held, not lost: when the
 *     black hole ends it is delivered, unless the connection was cut in the
 *     meantime (cut timers keep running), in which case it goes with it.
 *
 * All randomness comes from our own xoshiro256** generator seeded from
 * `seed`, with one independent stream per purpose, so that the Nth accepted
 * connection always gets the same lifetime and the black holes always start
 * at the same offsets for a given seed, whatever the traffic does. (Jitter
 * is drawn per read, so it is replayable only if the reads are.)
 *
 * The engine is single-threaded and poll()-based with non-blocking sockets;
 * the program `baocao-flaky` wraps it, and tests may run it in a thread of
 * their own. Only flaky_proxy_stop() and flaky_proxy_stats() may be called
 * from another thread (or, for stop, from a signal handler).
 */
#ifndef FLAKY_PROXY_H
#define FLAKY_PROXY_H

#include <stddef.h>
#include <stdint.h>

/* Return codes. 0 is success; negative values are either our own codes in
 * the range below (outside the BC_* range of bc_error.h) or a negated errno
 * when a system call failed. flaky_strerror() names both. */
#define FLAKY_OK        0
#define FLAKY_STOPPED   1        /* run(): stop requested or max_seconds hit */
#define FLAKY_EINVAL    (-32100) /* bad configuration or argument */
#define FLAKY_ERESOLVE  (-32099) /* the target host could not be resolved */

/* Default bound on the bytes queued per connection and direction. */
#define FLAKY_DEFAULT_MAX_PENDING (256u * 1024u)
/* Default bound on concurrent connections. */
#define FLAKY_DEFAULT_MAX_CONNS 1024u

/* What the proxy does. Fill with flaky_config_init() first, then set the
 * fields you need; 0 disables an impairment. */
typedef struct {
    int listen_port;            /* port on 127.0.0.1; 0 = any free port */
    const char *target_host;    /* where to forward: name or address */
    int target_port;            /* where to forward: port, 1..65535 */
    uint32_t latency_ms;        /* one-way delay added to every byte */
    uint32_t jitter_ms;         /* extra delay, uniform in 0..jitter_ms */
    uint64_t rate_bps;          /* bits/s per connection and direction */
    uint32_t cut_mean_ms;       /* mean connection lifetime before a cut */
    uint32_t blackhole_mean_ms; /* mean gap between black holes */
    uint32_t blackhole_ms;      /* length of each black hole */
    uint64_t seed;              /* seeds every random stream */
    uint32_t max_seconds;       /* run() stops by itself after this; 0 = no */
    uint32_t max_conns;         /* concurrent connections; more wait */
    size_t max_pending;         /* bytes queued per direction before the
                                   proxy stops reading that side */
} flaky_config_t;

/* Counters since flaky_proxy_new(); safe to read from any thread. */
typedef struct {
    uint64_t bytes_up;          /* client -> target, bytes written out */
    uint64_t bytes_down;        /* target -> client, bytes written out */
    uint64_t accepted;          /* connections accepted */
    uint64_t cuts;              /* connections cut on purpose (RST) */
    uint64_t blackholes;        /* black holes entered */
    uint64_t upstream_failures; /* connections the target refused or reset */
    uint64_t active;            /* connections open now */
} flaky_stats_t;

typedef struct flaky_proxy flaky_proxy_t;

/* Sets every field to its default: no impairment, listen_port 0, seed 0,
 * max_conns FLAKY_DEFAULT_MAX_CONNS, max_pending FLAKY_DEFAULT_MAX_PENDING,
 * no target. */
void flaky_config_init(flaky_config_t *cfg);

/* Checks a configuration without touching the network.
 *   cfg      the configuration
 *   why      receives a readable reason on failure (may be NULL)
 *   why_len  size of `why`
 * Returns FLAKY_OK, or FLAKY_EINVAL with the first problem in `why`
 * (no target, port out of range, a black hole length without a mean or
 * the other way round, zero max_conns, max_pending under 1 KiB, ...). */
int flaky_config_check(const flaky_config_t *cfg, char *why, size_t why_len);

/* Creates a proxy: checks cfg, resolves the target, binds and listens on
 * 127.0.0.1 at once so that flaky_proxy_port() is known before run().
 * The configuration is copied; cfg may be freed afterwards.
 * Returns NULL on failure, logged through bc_log with the reason (invalid
 * configuration, unresolvable target, bind or listen failure); errno is
 * kept from the failing system call where there was one. */
flaky_proxy_t *flaky_proxy_new(const flaky_config_t *cfg);

/* Stops, closes every connection (pending data is dropped) and frees.
 * Accepts NULL and *self_p == NULL; sets *self_p to NULL. Must not race
 * with a running flaky_proxy_run(): stop and join that thread first. */
void flaky_proxy_destroy(flaky_proxy_t **self_p);

/* The port the proxy listens on (the chosen one if listen_port was 0). */
int flaky_proxy_port(const flaky_proxy_t *self);

/* Runs the proxy.
 *   timeout_ms  0: one poll iteration, without blocking;
 *               > 0: iterate until that many milliseconds have passed;
 *               < 0: iterate until stopped.
 * Returns FLAKY_OK when the time given is used up and the proxy still runs,
 * FLAKY_STOPPED once flaky_proxy_stop() was called or max_seconds passed
 * (then and on every later call), FLAKY_EINVAL if self is NULL, or a
 * negated errno if poll() failed. Connections stay open after a stop until
 * flaky_proxy_destroy(). */
int flaky_proxy_run(flaky_proxy_t *self, int timeout_ms);

/* Asks a running (or future) flaky_proxy_run() to return FLAKY_STOPPED
 * promptly. Thread-safe and async-signal-safe: it sets an atomic flag and
 * writes one byte to a self-pipe that wakes poll(). Accepts NULL. */
void flaky_proxy_stop(flaky_proxy_t *self);

/* Starts (on != 0) or lifts (on == 0) a black hole now, whatever the
 * schedule: nothing is read, written or connected while it lasts, as in
 * the scheduled ones. Thread-safe (an atomic flag and a wake-up of
 * poll()), for benches and tests that time an outage. Accepts NULL. */
void flaky_proxy_blackhole(flaky_proxy_t *self, int on);

/* Copies the counters into *out (relaxed atomic loads: each is exact, the
 * set is not a snapshot). */
void flaky_proxy_stats(const flaky_proxy_t *self, flaky_stats_t *out);

/* The lifetimes, in milliseconds, that a proxy created with this seed and
 * cut_mean_ms gives its first n accepted connections (the 1st accepted
 * gets out[0], and so on). Deterministic: the same seed gives the same
 * sequence on every machine. Lets tests replay or predict cuts.
 * Returns FLAKY_OK, or FLAKY_EINVAL if out is NULL while n > 0 or
 * cut_mean_ms is 0. */
int flaky_cut_schedule(uint64_t seed, uint32_t cut_mean_ms, uint64_t *out,
                       size_t n);

/* Writes "PORT\n" to path atomically: into path.tmp.PID first, flushed to
 * disk, then renamed over path, so a reader never sees a partial file.
 * Returns FLAKY_OK, FLAKY_EINVAL for a NULL path or a port out of range,
 * or a negated errno (open, write, fsync, close or rename failed; the
 * temporary file is removed). */
int flaky_write_port_file(const char *path, int port);

/* Names a return code of this module (or a negated errno). Never NULL. */
const char *flaky_strerror(int err);

#endif
