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
 *
 * The configuration and the return codes are in flaky_config.h, included
 * here.
 */
#ifndef FLAKY_PROXY_H
#define FLAKY_PROXY_H

#include "flaky_config.h"

#include <stddef.h>
#include <stdint.h>

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

/* Writes "PORT\n" to path atomically: into path.tmp.PID first, flushed to
 * disk, then renamed over path, so a reader never sees a partial file.
 * Returns FLAKY_OK, FLAKY_EINVAL for a NULL path or a port out of range,
 * or a negated errno (open, write, fsync, close or rename failed; the
 * temporary file is removed). */
int flaky_write_port_file(const char *path, int port);

#endif
