/*
 * bc_notify.c -- sd_notify for the daemons (see bc_notify.h).
 *
 * libsystemd's sd_notify() already does nothing without NOTIFY_SOCKET;
 * this module adds the watchdog's pacing (sd_watchdog_enabled gives the
 * period once; a monotonic clock keeps the messages to two per period)
 * and keeps libsystemd out of every other file.
 */
#include "bc_notify.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-daemon.h>
#include <time.h>

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

bool bc_notify_ready(const char *status)
{
    if (!getenv("NOTIFY_SOCKET"))
        return false;
    int rc = status ? sd_notifyf(0, "READY=1\nSTATUS=%s", status)
                    : sd_notify(0, "READY=1");
    return rc > 0;
}

void bc_notify_watchdog(void)
{
    /* -1: not asked yet; 0: no watchdog for this process. */
    static int64_t period_us = -1;
    static int64_t last_us;
    if (period_us < 0) {
        uint64_t usec = 0;
        period_us = sd_watchdog_enabled(0, &usec) > 0 ? (int64_t) usec : 0;
    }
    if (!period_us)
        return;
    int64_t now = mono_us();
    if (last_us && now - last_us < period_us / 2)
        return;
    last_us = now;
    sd_notify(0, "WATCHDOG=1");
}

void bc_notify_status(const char *status)
{
    if (getenv("NOTIFY_SOCKET") && status)
        sd_notifyf(0, "STATUS=%s", status);
}

void bc_notify_stopping(void)
{
    if (getenv("NOTIFY_SOCKET"))
        sd_notify(0, "STOPPING=1");
}
