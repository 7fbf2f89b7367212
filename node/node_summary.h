/*
 * node_summary.h -- the delivery loop's last words (node_sender.c): one
 * log line that says what became of the outbox's reports and, when some
 * were rejected and need action, how many for which reason and where to
 * look.
 */
#ifndef NODE_SUMMARY_H
#define NODE_SUMMARY_H

#include "node_outbox.h"

#include <stdint.h>

/* Logs "WHY: D delivered, R rejected, W waiting" from outbox's counts, at
 * INFO; when rejections need action (not yet marked seen), at WARN, with
 * their number, the first eight reasons with a count each (the rest as
 * "other"), and the `baocao status --store STORE --list` command to see
 * them. `store` is the outbox folder, as given. Returns how many
 * rejections need action; 0, after logging only `why`, if the outbox's
 * counts cannot be read. */
uint64_t node_summary_log(node_outbox_t *outbox, const char *store,
                          const char *why);

#endif
