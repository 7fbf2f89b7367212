/*
 * bc_notify.h -- telling systemd how a daemon is doing (sd_notify): ready
 * once it serves, alive while its loop turns, stopping when it stops.
 *
 * The units (packaging/systemd/) use Type=notify and WatchdogSec=, so
 * systemd knows that baocao-hub listens (not merely that it was started)
 * before it starts what comes after it, and restarts a daemon whose loop
 * hangs. Outside systemd (NOTIFY_SOCKET unset: a shell, the tests, a
 * container) every call is a no-op costing a getenv, so the daemons call
 * them unconditionally.
 *
 * Usage, in a daemon:
 *
 *     bc_notify_ready("serving tcp://0.0.0.0:5555");   // once listening
 *     while (running) { bc_notify_watchdog(); ... }    // each turn
 *     bc_notify_stopping();                            // on the way out
 */
#ifndef BC_NOTIFY_H
#define BC_NOTIFY_H

#include <stdbool.h>

/* Tells systemd the daemon is ready (READY=1), with `status` as its
 * one-line STATUS= shown by `systemctl status` (may be NULL). Returns true
 * if systemd was told, false when not running under it or the message
 * could not be sent (the daemon goes on either way). */
bool bc_notify_ready(const char *status);

/* Pets systemd's watchdog (WATCHDOG=1) when the unit set WatchdogSec=
 * (WATCHDOG_USEC in the environment, for this pid): at most once every
 * half period however often it is called, so a loop may call it on every
 * turn. A no-op otherwise. */
void bc_notify_watchdog(void);

/* Replaces the one-line status `systemctl status` shows (STATUS=). A
 * no-op outside systemd. */
void bc_notify_status(const char *status);

/* Tells systemd the daemon is stopping (STOPPING=1). A no-op outside
 * systemd. */
void bc_notify_stopping(void);

#endif
