/*
 * node_summary.c -- the delivery loop's last line (the manual is
 * node_summary.h).
 *
 * Design: whoever reads a node's log after it stops (a drain in a
 * script, a timeout, a supervisor's stop) needs one line that answers
 * "did everything go, and if not, why": the counts, taken from one read
 * of the outbox so that they agree with each other, and the rejections
 * still needing action tallied by reason, because "3 rejected" without
 * the reason sends someone to the outbox anyway. It reads only the
 * outbox, so it lives apart from the loop (node_sender.c), which calls it
 * on each way out.
 */
#include "node_summary.h"

#include "baocao.pb-c.h"
#include "bc_error.h"
#include "bc_log.h"
#include "bc_wire.h"

#include <stdio.h>

/* Tallies the rejections that still need action, by reason, for the last
 * line: "how many and why". */
typedef struct {
    uint32_t reason[8];     /* the first reasons met */
    uint64_t count[8];      /* how many of each */
    size_t n;               /* reasons in use */
    uint64_t other;         /* rejections beyond the eighth reason */
} reason_tally_t;

static void tally_rejection(void *arg, const node_entry_t *e)
{
    reason_tally_t *t = arg;
    if (e->state != NODE_REJECTED || e->seen)
        return;
    for (size_t i = 0; i < t->n; i++)
        if (t->reason[i] == e->reason) {
            t->count[i]++;
            return;
        }
    if (t->n == 8) {
        t->other++;
        return;
    }
    t->reason[t->n] = e->reason;
    t->count[t->n++] = 1;
}

uint64_t node_summary_log(node_outbox_t *outbox, const char *store,
                          const char *why)
{
    node_stats_t st;
    if (node_outbox_stats(outbox, &st) != BC_OK) {
        BC_INFO("%s", why);
        return 0;
    }
    uint64_t waiting = st.pending + st.in_flight;
    if (st.rejected_new) {
        reason_tally_t t = {0};
        char reasons[256] = "";
        size_t used = 0;
        node_outbox_each(outbox, tally_rejection, &t);
        for (size_t i = 0; i < t.n && used < sizeof reasons; i++)
            used += (size_t) snprintf(reasons + used, sizeof reasons - used,
                                      "%s%s %llu", i ? ", " : "",
                                      bc_reason_name((Baocao__RejectReason)
                                                         t.reason[i]),
                                      (unsigned long long) t.count[i]);
        if (t.other && used < sizeof reasons)
            snprintf(reasons + used, sizeof reasons - used, ", other %llu",
                     (unsigned long long) t.other);
        BC_WARN("%s: %llu delivered, %llu rejected, %llu waiting; %llu "
                "rejection(s) need action (%s): see `baocao status --store "
                "%s --list`", why, (unsigned long long) st.delivered,
                (unsigned long long) st.rejected, (unsigned long long) waiting,
                (unsigned long long) st.rejected_new, reasons,
                store);
    } else {
        BC_INFO("%s: %llu delivered, %llu rejected, %llu waiting", why,
                (unsigned long long) st.delivered,
                (unsigned long long) st.rejected, (unsigned long long) waiting);
    }
    return st.rejected_new;
}
