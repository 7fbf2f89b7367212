/*
 * hub_server_int.h -- the hub server's shared state, private to its four
 * files:
 *
 *   hub_server.c    the daemon: options, start-up and tear-down, the event
 *                   loop, receiving requests, garbage accounting, logs
 *   hub_handlers.c  the answers: replies, the dispatch table of request
 *                   body -> handler, each handler
 *   hub_batch.c     submissions: the two alternating batches, the writer
 *                   thread that commits them, and their acknowledgements
 *   hub_reload.c    the registry, catalogue and rules changing under the
 *                   running hub: SIGHUP, and a province's registry version
 *
 * Nothing outside these files includes it; the rest of the hub sees only
 * hub_server.h.
 */
#ifndef HUB_SERVER_INT_H
#define HUB_SERVER_INT_H

#include "hub_server.h"
#include "bc_error.h"
#include "bc_lock.h"
#include "bc_keys.h"
#include "bc_limits.h"
#include "bc_log.h"
#include "bc_mem.h"
#include "bc_pack.h"
#include "bc_registry.h"
#include "bc_thread.h"
#include "bc_wire.h"
#include "hub_auth.h"
#include "hub_cache.h"
#include "hub_head.h"
#include "hub_query.h"
#include "hub_metrics.h"
#include "hub_stats.h"
#include "hub_store.h"
#include "hub_upstream.h"
#include "hub_rules.h"
#include "hub_scope.h"
#include "hub_validate.h"

#include "bc_arena.h"

#include <czmq.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>


/* One submission waiting for the batch commit. */
typedef struct {
    zframe_t *route;              /* the sender's routing id */
    uint64_t tag;                 /* its Request tag */
    zframe_t *payload;            /* the bytes received (kept for the log) */
    char peer[BC_PEER_MAX];       /* authenticated identity */
    bool approval;                /* an approve/unapprove: answered with an
                                     ApprovalReply, not an Ack */
    hub_approval_t approved;      /* its outcome: the approval in force */
    bool ack;                     /* answered with an Ack: a submission, or
                                     anything a provincial hub forwarded
                                     (its forwarder settles on Acks); else
                                     a plan's PlanReply or Error */
} pending_t;

/* Submissions committed together. Two of them alternate: while the writer
 * thread commits one, the loop fills the other (see hub_server_run). */
typedef struct {
    pending_t *pend;              /* who to answer, what arrived */
    hub_item_t *items;            /* the store's view of each */
    size_t n;                     /* used entries */
    bc_arena_t *arena;            /* decoded requests of this batch */
    int rc;                       /* hub_store_ingest's result */
    int64_t commit_us;            /* how long hub_store_ingest took */
} batch_t;

/* Undecodable messages from one peer in the current minute: counted, and
 * logged once when the first arrives and once when the minute closes, so
 * that a flood of garbage costs a few log lines, not one per message. */
typedef struct {
    char peer[BC_PEER_MAX];       /* identity, else the peer's address */
    uint64_t count;               /* messages this minute */
    uint64_t bytes;               /* their total size */
} garbage_t;

#define GARBAGE_PEERS 64          /* peers tracked per minute; the rest
                                     share the last slot */

struct hub_server_t {
    hub_config_t cfg;             /* settings (strings borrowed) */
    bc_registry_t *reg;           /* units and catalogue */
    bc_rules_t *rules;            /* validation rules, NULL: none */
    char *rules_text;             /* the --rules file as loaded, sent to
                                     nodes for their copy (NULL: none) */
    hub_scope_t *scope;           /* operators' scopes and roles */
    bc_holidays_t *holidays;      /* days deadlines skip, NULL: none */
    bc_lock_t *lock;              /* our exclusive hold on the store folder */
    hub_store_t *store;           /* LMDB store */
    zsock_t *router;              /* the one endpoint */
    hub_auth_t *auth;             /* ZAP handler, NULL in plain mode */
    char endpoint[256];           /* bound endpoint */
    hub_deadline_t deadlines[16]; /* working days per level */
    size_t ndeadlines;            /* used entries */
    batch_t batches[2];           /* the two alternating batches */
    int filling;                  /* index of the batch being filled */
    bool writing;                 /* the other batch is being committed */
    pthread_t writer;             /* the thread that commits */
    bool writer_started;          /* writer is running */
    int64_t started_us;           /* process start, for Pong.started_at */
    zsock_t *to_writer;           /* PAIR: batch index out, "done" back */
    uint64_t rejected[32];        /* rejections by reason */
    uint64_t acked;               /* submissions acknowledged */
    uint64_t commits;             /* batches committed */
    uint64_t replies_dropped;     /* replies a peer could not take */
    int64_t last_stats;           /* when stats were last logged, ms */
    hub_stats_t stats;            /* counters for StatsQuery and /metrics */
    hub_metrics_t *metrics;       /* GET /metrics listener, or NULL */
    bool map_warned;              /* the 80 % map warning was logged */
    bool store_failed;            /* the disk failed: stop serving */
    uint64_t recent[3];           /* stored, duplicate, rejected since the
                                     last delivery line */
    int64_t last_recent;          /* when that line was last logged, ms */
    garbage_t garbage[GARBAGE_PEERS]; /* this minute's undecodable bytes */
    size_t ngarbage;              /* used entries */
    int64_t garbage_since;        /* start of the minute, ms (monotonic) */
    uint64_t garbage_total;       /* undecodable messages since start */
    hub_upstream_t *upstream;     /* log forwarder, NULL without --upstream */
    hub_cache_t *cache;           /* replies of repeated reads */
    bool cache_fill;              /* the request being answered may be kept */
    uint64_t cache_gen;           /* the store's txn id before it was read */
    uint8_t *reply_buf;           /* replies are packed here (bc_pack_into),
                                     reused: a query's reply allocates
                                     nothing once warm */
    size_t reply_cap;             /* its size in bytes */
};

/* A reply buffer grown past this (an audit export's page) is given back
 * after its reply, so one large answer does not stay on the heap. */
#define REPLY_BUF_KEEP (1u << 20)

/* What a node reads in the Ack when its submission was caught by a disk
 * failure (it keeps the report and resends it). */
#define STORE_FAILED_MSG "the hub's store failed (disk I/O error); the hub " \
                         "restarts; resend later"

/* Deliveries are logged at INFO, so that a log someone watches shows the
 * hub working, but at most once a second: under load the hub commits
 * hundreds of batches a second. */
#define DELIVERY_LOG_EVERY_MS 1000

/* Wall-clock time in Unix microseconds (receipt times, the log). */
static inline int64_t hub_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* --- hub_handlers.c ------------------------------------------------------ */

/* Answers one request that is not a submission. */
typedef void (*hub_handler_fn)(hub_server_t *self, zframe_t *route,
                               Baocao__Request *req, const char *peer);

/* The handler of a request body, or NULL when there is none. */
hub_handler_fn hub_handler_find(Baocao__Request__BodyCase body);

/* Sends reply to route without blocking; a peer that cannot take it loses
 * it (and will ask again). */
void hub_server_reply(hub_server_t *self, zframe_t *route,
                      Baocao__Reply *reply);

/* Sends packed reply bytes to route, as hub_server_reply. */
void hub_server_send(hub_server_t *self, zframe_t *route, const uint8_t *buf,
                     size_t len);

/* Answers with an Error reply (reason, message) to the request `tag`. */
void hub_server_error(hub_server_t *self, zframe_t *route, uint64_t tag,
                      Baocao__RejectReason reason, const char *message);

/* Counts a rejection by reason and logs it with the peer (escaped). */
void hub_server_count_reject(hub_server_t *self, Baocao__RejectReason reason,
                             const char *peer, const char *message);

/* Called with the result of every store write. On BC_EFATAL, logs once
 * what failed and what to check, and marks the server as failed so that
 * the loop stops (see hub_server.c's top comment). Returns true on
 * BC_EFATAL. */
bool hub_server_check_store(hub_server_t *self, int rc, const char *what);

/* Who may set a plan, then its content (hub_plan_validate): operators
 * who are admins of the unit (anyone in plain mode), and a provincial hub
 * forwarding its log for a unit of its subtree. Fills the batch item. */
void hub_plan_admit(hub_server_t *self, const Baocao__Request *req,
                    const char *peer, hub_item_t *it);

/* The body of GET /metrics (arg: the server): a malloc'ed string. */
char *hub_server_metrics_text(void *arg);


/* --- hub_batch.c --------------------------------------------------------- */

/* Starts the writer thread and its PAIR socket; BC_OK, or BC_EINVAL with
 * a message. */
int hub_writer_start(hub_server_t *self, char *err, size_t errlen);

/* Asks the writer to finish and joins it. */
void hub_writer_stop(hub_server_t *self);

/* Adds one received submission to the filling batch, validating it (or
 * recording the reason `pre` it was already refused for, with pre_msg).
 * Takes the route and payload frames. */
void hub_batch_add(hub_server_t *self, zframe_t **route_p,
                   zframe_t **payload_p, Baocao__Request *req,
                   const char *peer, Baocao__RejectReason pre,
                   const char *pre_msg);

/* Takes an approve or unapprove (Request body 51) into the filling batch,
 * where the writer decides it in order with the submissions around it
 * (hub_approvals.h). A request that names no known unit or period, or
 * that `peer` may not make (hub_scope.h: an approver or admin whose scope
 * covers the unit), is answered at once with an Error and not logged:
 * returns false, and the frames stay the caller's. Returns true when it
 * took them. */
bool hub_batch_approval(hub_server_t *self, zframe_t **route_p,
                        zframe_t **payload_p, Baocao__Request *req,
                        const char *peer);

/* Answers a batch that will not be committed, once the store has failed:
 * every submission in it gets RETRY_LATER, so its node keeps it and
 * resends it to the restarted hub. */
void hub_batch_refuse(hub_server_t *self, batch_t *b);

/* Hands the filled batch to the writer if it is idle. */
void hub_batch_dispatch(hub_server_t *self);

/* Waits for the writer's "done" and answers that batch. */
void hub_batch_collect(hub_server_t *self);

/* --- hub_reload.c -------------------------------------------------------- */

/* Reads the --rules file once and parses those bytes against `reg`, so
 * that the text sent to nodes for their copy (handle_catalog) is exactly
 * what the hub checks with, even if the file is edited meanwhile. BC_OK
 * with *rules and *text set, or BC_EIO (the file cannot be read) /
 * BC_EINVAL (it does not parse), message in err, leaving both
 * untouched. */
int hub_server_load_rules(const hub_server_t *self, const bc_registry_t *reg,
                          bc_rules_t **rules, char **text, char *err,
                          size_t errlen);

/* Starts the log forwarder (hub_upstream.h) on the store in force, named
 * --upstream-name or the registry's first root. BC_OK, or BC_EINVAL with
 * a message in err. */
int hub_server_start_upstream(hub_server_t *self, char *err, size_t errlen);

/* SIGHUP: the registry and catalogue files again (hub_history_reload),
 * and the rules with them. Call only between batches (none filling, none
 * being written). The files are tried on a probe first (keys, rules), so
 * that a refused file leaves the store, registry, rules and keys as they
 * were; the outcome is logged. A store that fails sets store_failed. */
void hub_reload_registry(hub_server_t *self);

/* A registry version forwarded by a provincial hub (hub_federate.h),
 * answered on route with an Ack (tag) once decided. It changes the tree
 * the next submissions are decided under, so everything received before
 * it is committed first, under the tree it came in with: the writer's
 * batch, then the filling one. Queries meanwhile wait in the socket: none
 * sees half a change. The request is decoded again from `payload`, as the
 * batches' arenas went with their answers. */
void hub_reload_federated(hub_server_t *self, zframe_t *route,
                          zframe_t *payload, const char *peer, uint64_t tag);

#endif
