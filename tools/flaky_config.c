/*
 * flaky_config.c -- a proxy's configuration before any socket exists: its
 * defaults, its checks, the cut lifetimes its seed implies, and the names
 * of bc_flaky's return codes (see flaky_config.h).
 *
 * The checks run both in flaky_proxy_new() and in baocao-flaky before it
 * starts, so that a bad option is refused with its reason and exit code
 * rather than as a failure to start.
 */
#include "flaky_config.h"
#include "flaky_link.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

void flaky_config_init(flaky_config_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->max_conns = FLAKY_DEFAULT_MAX_CONNS;
    cfg->max_pending = FLAKY_DEFAULT_MAX_PENDING;
}

#define CHECK(cond, ...)                                                      \
    do {                                                                      \
        if (!(cond)) {                                                        \
            if (why && why_len)                                               \
                snprintf(why, why_len, __VA_ARGS__);                          \
            return FLAKY_EINVAL;                                              \
        }                                                                     \
    } while (0)

int flaky_config_check(const flaky_config_t *cfg, char *why, size_t why_len)
{
    CHECK(cfg, "no configuration");
    CHECK(cfg->target_host && cfg->target_host[0], "no target host");
    CHECK(cfg->target_port >= 1 && cfg->target_port <= 65535,
          "target port %d not in 1..65535", cfg->target_port);
    CHECK(cfg->listen_port >= 0 && cfg->listen_port <= 65535,
          "listen port %d not in 0..65535", cfg->listen_port);
    CHECK(cfg->blackhole_mean_ms == 0 || cfg->blackhole_ms > 0,
          "a black hole mean needs a black hole length");
    CHECK(cfg->blackhole_ms == 0 || cfg->blackhole_mean_ms > 0,
          "a black hole length needs a black hole mean");
    CHECK(cfg->max_conns >= 1, "max_conns must be at least 1");
    CHECK(cfg->max_conns <= (uint32_t) ((INT_MAX - 2) / 2),
          "max_conns %u too large", cfg->max_conns);
    CHECK(cfg->max_pending >= 1024, "max_pending must be at least 1024");
    return FLAKY_OK;
}

#undef CHECK

const char *flaky_strerror(int err)
{
    switch (err) {
    case FLAKY_OK:       return "FLAKY_OK: success";
    case FLAKY_STOPPED:  return "FLAKY_STOPPED: the proxy was stopped";
    case FLAKY_EINVAL:   return "FLAKY_EINVAL: invalid configuration";
    case FLAKY_ERESOLVE: return "FLAKY_ERESOLVE: cannot resolve the target";
    default: break;
    }
    if (err < 0 && err > -4096)
        return strerror(-err);
    return "unknown error";
}

int flaky_cut_schedule(uint64_t seed, uint32_t cut_mean_ms, uint64_t *out,
                       size_t n)
{
    if ((n > 0 && !out) || cut_mean_ms == 0)
        return FLAKY_EINVAL;
    /* Exactly what accept_new() (flaky_proxy.c) draws, in the same
     * order. */
    flaky_rng_t r;
    flaky_rng_seed(&r, seed, FLAKY_STREAM_CUT);
    for (size_t i = 0; i < n; i++)
        out[i] = flaky_rng_exp_ms(&r, cut_mean_ms);
    return FLAKY_OK;
}
