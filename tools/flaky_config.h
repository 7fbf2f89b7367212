/*
 * flaky_config.h -- what a baocao-flaky proxy is asked to do, and the
 * return codes of the whole bc_flaky library.
 *
 * Apart from the engine (flaky_proxy.h) because the link model
 * (flaky_link.h) and the program's option table (baocao_flaky.c) depend on
 * the configuration, not on the socket loop; and because what a
 * configuration implies is known before any socket exists: whether it is
 * valid, and which lifetimes its seed gives the connections.
 */
#ifndef FLAKY_CONFIG_H
#define FLAKY_CONFIG_H

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

/* The lifetimes, in milliseconds, that a proxy created with this seed and
 * cut_mean_ms gives its first n accepted connections (the 1st accepted
 * gets out[0], and so on). Deterministic: the same seed gives the same
 * sequence on every machine. Lets tests replay or predict cuts.
 * Returns FLAKY_OK, or FLAKY_EINVAL if out is NULL while n > 0 or
 * cut_mean_ms is 0. */
int flaky_cut_schedule(uint64_t seed, uint32_t cut_mean_ms, uint64_t *out,
                       size_t n);

/* Names a return code of bc_flaky (or a negated errno). Never NULL. */
const char *flaky_strerror(int err);

#endif
