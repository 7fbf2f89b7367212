/*
 * bench_ingest.c -- durable ingest and query speed of a real hub, and the
 * raw LMDB baseline, on the synthetic province of bench_data.h.
 *
 * The hub is the shipped binary, started as a child process on loopback
 * with a fresh store and its normal durability (every acknowledgement after
 * a full-sync commit). N simulated nodes are DEALER sockets in this process,
 * each keeping a window of submissions in flight, as baocao-node does. Every
 * request is encoded before the clock starts, so the figures measure the
 * hub, not the generator.
 *
 * With --kill-every N the hub is SIGKILLed after every N acknowledgements
 * and restarted on the same port; unanswered submissions are resent (the hub
 * deduplicates). At the end the bench counts what the hub holds against
 * what it acknowledged: every acknowledged report present, sums exact.
 *
 * With --approvals N the hub first approves N districts for 2022 (issue
 * #11), a year the workload does not file: every report then looks for a
 * lock up its tree and finds none, the dearest case of the lock check.
 * With --breakdowns 5 every fifth indicator is broken down by sex x age
 * (2 x 4 combinations, issue 17) and sent as its 8 combinations, the hub
 * deriving the total; with --declare-breakdowns 5 the catalogue is the
 * same but every report sends totals only, as a version-1 client does, so
 * that the cost of declaring breakdowns and the cost of filing them can be
 * told apart.
 *
 * It never waits silently: every few seconds it prints its progress on
 * stderr, a report the hub refuses ends the run at once with the hub's
 * reason (every synthetic report must be valid, so a refusal is a bug of
 * the bench or of the hub, never a figure), and --stall-s seconds without
 * any acknowledgement end it with the counts and the hub's log. A refusal
 * left in a node's window used to hold that slot for ever: once the
 * reports of 2023-12 were refused (a fixed filed_at before their month),
 * every window filled with them and the run waited without end.
 *
 * Output: one "hub <name> <value>" / "raw <name> <value>" line per figure,
 * for bench/run.sh to tabulate.
 */
#include "baocao.pb-c.h"
#include "bc_client.h"
#include "bc_error.h"
#include "bc_mem.h"
#include "bc_wire.h"
#include "bench_encode.h"
#include "bench_proc.h"
#include "bench_time.h"

#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    long long reports;       /* reports to send */
    long long nodes;         /* simulated nodes */
    long long window;        /* in flight per node */
    long long kill_every;    /* SIGKILL the hub every N acks (0 = never) */
    long long queries;       /* queries per kind */
    long long approvals;     /* districts approved for 2022 first */
    long long stall_s;       /* fail after this long without an ack */
    char *dir;               /* work folder (default: a new one in /tmp) */
    char *hub_bin;           /* baocao-hub */
    char *endpoint;          /* only query this running hub (no ingest) */
    char *only;              /* time only the query kinds naming this */
    bool keep;               /* keep the work folder */
    long long breakdowns;    /* every Nth indicator by sex x age (0: none) */
    bool declare_only;       /* declare them, but send totals only */
} opts_t;

/* --- the hub process ----------------------------------------------------- */

typedef struct {
    pid_t pid;               /* hub process */
    char endpoint[128];      /* where it listens */
} hub_t;

/* The running hub, so that no way out of the bench leaves it behind. */
static pid_t g_hub_pid;

static void stop_hub_at_exit(void)
{
    if (g_hub_pid > 0) {
        kill(g_hub_pid, SIGKILL);
        waitpid(g_hub_pid, NULL, 0);
        g_hub_pid = 0;
    }
}

static int start_hub(hub_t *h, const opts_t *o, const char *bind)
{
    char store[4096], reg[4096], cat[4096], epf[4096], log[4096];
    snprintf(store, sizeof store, "%s/hub", o->dir);
    snprintf(reg, sizeof reg, "%s/units.csv", o->dir);
    snprintf(cat, sizeof cat, "%s/indicators.csv", o->dir);
    snprintf(epf, sizeof epf, "%s/hub.endpoint", o->dir);
    snprintf(log, sizeof log, "%s/hub.log", o->dir);
    char cats[4096];
    snprintf(cats, sizeof cats, "%s/categories.csv", o->dir);
    unlink(epf);
    h->pid = fork();
    if (h->pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        dup2(fd, 2);
        if (o->breakdowns)
            execl(o->hub_bin, o->hub_bin, "--store", store, "--registry", reg,
                  "--catalog", cat, "--categories", cats, "--bind", bind,
                  "--endpoint-file", epf, "--plain", "--map-size", "32G",
                  "--log-level", "warn", (char *) NULL);
        else
            execl(o->hub_bin, o->hub_bin, "--store", store, "--registry", reg,
                  "--catalog", cat, "--bind", bind, "--endpoint-file", epf,
                  "--plain", "--map-size", "32G", "--log-level", "warn",
                  (char *) NULL);
        _exit(127);
    }
    if (bench_wait_endpoint(h->pid, epf, h->endpoint, sizeof h->endpoint,
                            60000) == 0) {
        g_hub_pid = h->pid;
        return 0;
    }
    g_hub_pid = 0;
    fprintf(stderr, "bench: the hub did not start (see %s)\n", log);
    return -1;
}

/* --- sending ------------------------------------------------------------- */

typedef struct {
    zsock_t *sock;           /* DEALER to the hub */
    long long next;          /* next report index of this node */
    long long *inflight;     /* report indices in flight (-1 = free) */
    double *sent_at;         /* when each was sent */
} node_t;

static void node_connect(node_t *n, const char *endpoint)
{
    n->sock = zsock_new(ZMQ_DEALER);
    zsock_set_linger(n->sock, 0);
    zsock_set_sndhwm(n->sock, 0);
    zsock_set_rcvhwm(n->sock, 0);
    zsock_connect(n->sock, "%s", endpoint);
}

/* --- queries ------------------------------------------------------------ */

/* Times every query kind and SliceQuery against the hub behind `c`, which
 * holds the first o->reports reports, then checks its totals against what
 * was sent. Returns 0 (all present), 1 (a total differs) or -1 (a query
 * failed). */
static int run_queries_in(bc_client_t *c, const opts_t *o, bc_arena_t *arena)
{
    struct {
        const char *name;    /* figure name */
        const char *unit;    /* unit to ask for (NULL: random) */
        int level;           /* 0 province, 1 district, 2 facility */
        bool ytd;            /* read the cumulative figure */
        int months;          /* period length: 1, 3 (quarter), 12 (year) */
        bool same;           /* the same question every time (a page
                                reloaded: the hub's reply cache) */
    } kinds[] = {{"q_province_month", "P", 0, false, 1, false},
                 {"q_province_ytd", "P", 0, true, 1, false},
                 {"q_district_month", NULL, 1, false, 1, false},
                 {"q_facility_month", NULL, 2, false, 1, false},
                 /* Longer periods: the contribution rule's month totals,
                  * carried stocks and unit counts (#24). */
                 {"q_province_quarter", "P", 0, false, 3, false},
                 {"q_province_year", "P", 0, false, 12, false},
                 {"q_facility_year", NULL, 2, false, 12, false},
                 {"q_facility_month_same", NULL, 2, false, 1, true}};
#define NKINDS (sizeof kinds / sizeof kinds[0])
    double *qlat = bc_malloc((size_t) o->queries * sizeof *qlat);
    /* The questions are about 2023-01..2024-12 at every size (fewer months
     * below 240,000 reports): a larger store only has more history. */
    bench_layout_t lay = bench_layout(o->reports);
    unsigned months = lay.qmonths;
    srand(42);
    /* The floor under every query figure: a Ping's round trip (ZeroMQ,
     * protobuf, the hub's loop), with no store read. */
    if (!o->only || strstr("q_ping", o->only)) {
        for (long long q = 0; q < o->queries; q++) {
            Baocao__Request pr = BAOCAO__REQUEST__INIT;
            Baocao__Ping ping = BAOCAO__PING__INIT;
            pr.body_case = BAOCAO__REQUEST__BODY_PING;
            pr.ping = &ping;
            Baocao__Reply *rep = NULL;
            double a = bench_now_s();
            int rc = bc_client_call_arena(c, &pr, arena, &rep, 10000);
            qlat[q] = (bench_now_s() - a) * 1000;
            if (rc || rep->body_case != BAOCAO__REPLY__BODY_PONG) {
                fprintf(stderr, "bench: ping failed\n");
                return -1;
            }
            bc_arena_reset(arena);
        }
        printf("hub q_ping_p50_ms %.3f\n", bench_pct(qlat, (size_t) o->queries, 0.50));
        printf("hub q_ping_p99_ms %.3f\n", bench_pct(qlat, (size_t) o->queries, 0.99));
    }
    for (size_t k = 0; k < NKINDS; k++) {
        if (o->only && !strstr(kinds[k].name, o->only))
            continue;
        for (long long q = 0; q < o->queries; q++) {
            char unit[32], period[16];
            if (kinds[k].level == 1)
                bench_district_code((unsigned) rand() % BENCH_DISTRICTS, unit,
                                    sizeof unit);
            else if (kinds[k].level == 2)
                bench_facility_code((unsigned) rand() % BENCH_FACILITIES, unit,
                                    sizeof unit);
            else
                snprintf(unit, sizeof unit, "%s", kinds[k].unit);
            unsigned m = (unsigned) rand() % months;
            if (kinds[k].same) {
                bench_facility_code(0, unit, sizeof unit);
                m = 0;
            }
            if (kinds[k].months == 3)
                snprintf(period, sizeof period, "%04u-Q%u", 2023 + m / 12,
                         m % 12 / 3 + 1);
            else if (kinds[k].months == 12)
                snprintf(period, sizeof period, "%04u", 2023 + m / 12);
            else
                bench_period(m, period, sizeof period);
            Baocao__Request qr = BAOCAO__REQUEST__INIT;
            Baocao__Query qq = BAOCAO__QUERY__INIT;
            qq.unit = unit;
            qq.period = period;
            qr.body_case = BAOCAO__REQUEST__BODY_QUERY;
            qr.query = &qq;
            Baocao__Reply *rep = NULL;
            double a = bench_now_s();
            int rc = bc_client_call_arena(c, &qr, arena, &rep, 10000);
            qlat[q] = (bench_now_s() - a) * 1000;
            if (rc || rep->body_case != BAOCAO__REPLY__BODY_QUERY
                || rep->query->n_figures != BENCH_INDICATORS) {
                fprintf(stderr, "bench: query %s %s failed\n", unit, period);
                return -1;
            }
            bc_arena_reset(arena);
        }
        printf("hub %s_p50_ms %.3f\n", kinds[k].name,
               bench_pct(qlat, (size_t) o->queries, 0.50));
        printf("hub %s_p99_ms %.3f\n", kinds[k].name,
               bench_pct(qlat, (size_t) o->queries, 0.99));
    }

    /* SliceQuery (issue #13): one indicator for 100 children over all 24
     * months in one request: the province's districts, and a district's
     * facilities. */
    struct {
        const char *name;    /* figure name */
        bool district;       /* a random district, else the province */
    } slices[] = {{"q_slice_province", false}, {"q_slice_district", true}};
    for (size_t k = 0; k < 2; k++) {
        if (o->only && !strstr(slices[k].name, o->only))
            continue;
        for (long long q = 0; q < o->queries; q++) {
            char unit[32], ind[16], from[16], to[16];
            unsigned d = (unsigned) rand() % BENCH_DISTRICTS;
            if (slices[k].district)
                bench_district_code(d, unit, sizeof unit);
            else
                snprintf(unit, sizeof unit, "P");
            unsigned ii = (unsigned) rand() % BENCH_INDICATORS;
            snprintf(ind, sizeof ind, "ind%03u", ii);
            bench_period(0, from, sizeof from);
            bench_period(months - 1, to, sizeof to);
            Baocao__Request qr = BAOCAO__REQUEST__INIT;
            Baocao__SliceQuery sq = BAOCAO__SLICE_QUERY__INIT;
            sq.unit = unit;
            sq.indicator = ind;
            sq.from = from;
            sq.to = to;
            qr.body_case = BAOCAO__REQUEST__BODY_SLICE;
            qr.slice = &sq;
            Baocao__Reply *rep = NULL;
            double a = bench_now_s();
            int rc = bc_client_call_arena(c, &qr, arena, &rep, 10000);
            qlat[q] = (bench_now_s() - a) * 1000;
            if (rc || rep->body_case != BAOCAO__REPLY__BODY_SLICE
                || rep->slice->n_rows != 100
                || rep->slice->rows[0]->n_values != months) {
                fprintf(stderr, "bench: slice %s %s failed\n", unit, ind);
                return -1;
            }
            /* A facility's cell is what it sent (not timed: after the
             * clock stopped). */
            unsigned j = (unsigned) q % 100, m = (unsigned) q % months;
            unsigned fac = d * BENCH_PER_DISTRICT + j, dm = lay.qoff + m;
            if (slices[k].district
                && (long long) (dm - lay.skip) * BENCH_FACILITIES + fac
                       < o->reports
                && (rep->slice->rows[j]->n_values != months
                    || rep->slice->rows[j]->values[m]
                           != bench_value(fac, dm, ii))) {
                fprintf(stderr, "bench: slice %s %s: row %u month %u wrong\n",
                        unit, ind, j, m);
                return -1;
            }
            bc_arena_reset(arena);
        }
        printf("hub %s_p50_ms %.3f\n", slices[k].name,
               bench_pct(qlat, (size_t) o->queries, 0.50));
        printf("hub %s_p99_ms %.3f\n", slices[k].name,
               bench_pct(qlat, (size_t) o->queries, 0.99));
    }

    if (o->only) {   /* a profile of some kinds: nothing else asked */
        free(qlat);
        return 0;
    }
    /* Count: every acknowledged report is there, and nothing twice. The
     * province total of ind000 per month must equal the sum of what was
     * sent; the completeness count, the number of reports. */
    bool ok = true;
    for (unsigned m = 0; m < lay.months; m++) {   /* every month stored */
        int64_t want = 0;
        long long want_reports = 0;
        unsigned dm = lay.skip + m;
        for (unsigned fac = 0; fac < BENCH_FACILITIES; fac++)
            if ((long long) m * BENCH_FACILITIES + fac < o->reports) {
                want += bench_value(fac, dm, 0);
                want_reports++;
            }
        char period[16];
        snprintf(period, sizeof period, "%04u-%02u",
                 lay.first_year + dm / 12, dm % 12 + 1);
        Baocao__Request qr = BAOCAO__REQUEST__INIT;
        Baocao__Query qq = BAOCAO__QUERY__INIT;
        char *ind[] = {"ind000"};
        qq.unit = "P";
        qq.period = period;
        qq.n_indicators = 1;
        qq.indicators = ind;
        qr.body_case = BAOCAO__REQUEST__BODY_QUERY;
        qr.query = &qq;
        Baocao__Reply *rep = NULL;
        if (bc_client_call(c, &qr, &rep, 10000) != BC_OK) {
            ok = false;
            break;
        }
        const Baocao__Figure *f = rep->query->figures[0];
        if (f->value->value != want
            || (long long) f->reporting_units != want_reports) {
            fprintf(stderr, "bench: %s: hub holds %lld from %u reports, sent "
                    "%lld from %lld\n", period, (long long) f->value->value,
                    f->reporting_units, (long long) want, want_reports);
            ok = false;
        }
        baocao__reply__free_unpacked(rep, NULL);
    }
    printf("hub check_all_acknowledged_present %s\n", ok ? "yes" : "NO");
    free(qlat);
    return ok ? 0 : 1;
}

/* The timed queries decode into one arena, reset after each reply, as a
 * page of baocao-web does (bc_client_call_arena); the final count uses
 * bc_client_call, the tools' path. */
static int run_queries(bc_client_t *c, const opts_t *o)
{
    bc_arena_t *arena = bc_arena_new(64 << 10);
    int rc = run_queries_in(c, o, arena);
    bc_arena_destroy(&arena);
    return rc;
}

int main(int argc, char **argv)
{
    opts_t o = {BENCH_FACILITIES * BENCH_MONTHS, 100, 8, 0, 1000, 0, 60,
                NULL, NULL, NULL, NULL, false, 0, false};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--reports") && v) o.reports = atoll(v), i++;
        else if (!strcmp(a, "--nodes") && v) o.nodes = atoll(v), i++;
        else if (!strcmp(a, "--window") && v) o.window = atoll(v), i++;
        else if (!strcmp(a, "--kill-every") && v) o.kill_every = atoll(v), i++;
        else if (!strcmp(a, "--queries") && v) o.queries = atoll(v), i++;
        else if (!strcmp(a, "--approvals") && v) o.approvals = atoll(v), i++;
        else if (!strcmp(a, "--stall-s") && v) o.stall_s = atoll(v), i++;
        else if (!strcmp(a, "--dir") && v) o.dir = bc_strdup(v), i++;
        else if (!strcmp(a, "--hub-bin") && v) o.hub_bin = bc_strdup(v), i++;
        else if (!strcmp(a, "--endpoint") && v) o.endpoint = bc_strdup(v), i++;
        else if (!strcmp(a, "--only") && v) o.only = bc_strdup(v), i++;
        else if (!strcmp(a, "--keep")) o.keep = true;
        else if (!strcmp(a, "--breakdowns") && v)
            o.breakdowns = atoll(v), i++;
        else if (!strcmp(a, "--declare-breakdowns") && v)
            o.breakdowns = atoll(v), o.declare_only = true, i++;
        else {
            fprintf(stderr,
                    "usage: bench_ingest [--reports N] [--nodes N] "
                    "[--window N] [--kill-every N] [--queries N] "
                    "[--approvals N] [--stall-s S] [--dir DIR] "
                    "[--hub-bin PATH] [--keep] [--breakdowns EVERY | "
                    "--declare-breakdowns EVERY]\n"
                    "       bench_ingest --endpoint EP [--reports N] "
                    "[--queries N] [--only KIND]   (queries only, against a running hub "
                    "holding the first N reports, e.g. one kept with --keep "
                    "and run under a profiler)\n"
                    "  --breakdowns 5: every 5th indicator (a fifth) broken "
                    "down by sex x age,\n  sent as its 8 combinations "
                    "(issue 17)\n"
                    "  --declare-breakdowns 5: the same catalogue, but every "
                    "report sends totals\n  only, as a version-1 client "
                    "does\n");
            return 2;
        }
    }
    /* Beyond 240,000 the run starts before 2023 (bench_layout). */
    long long total = BENCH_FACILITIES * (long long) BENCH_MAX_MONTHS;
    if (o.reports < 1 || o.reports > total || o.nodes < 1 || o.window < 1
        || o.stall_s < 1) {
        fprintf(stderr, "bench: reports 1..%lld, nodes, window and stall-s "
                ">= 1\n", total);
        return 2;
    }
    if (o.endpoint) {
        char err[256];
        bc_client_t *c = bc_client_new(o.endpoint, NULL, err, sizeof err);
        if (!c) {
            fprintf(stderr, "bench: %s\n", err);
            return 1;
        }
        int qrc = run_queries(c, &o);
        bc_client_destroy(&c);
        return qrc ? 1 : 0;
    }
    if (!o.hub_bin) {
        o.hub_bin = bc_malloc(4200);
        bench_sibling(o.hub_bin, 4200, "baocao-hub");
    }
    if (!o.dir) {
        char tmpl[] = "/tmp/baocao-bench-XXXXXX";
        o.dir = bc_strdup(mkdtemp(tmpl));
    }
    if (mkdir(o.dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "bench: cannot create %s: %s\n", o.dir,
                strerror(errno));
        return 1;
    }
    zsys_handler_set(NULL);
    atexit(stop_hub_at_exit);
    bench_write_registry(o.dir, BENCH_INDICATORS);
    if (o.breakdowns)
        bench_write_breakdowns(o.dir, BENCH_INDICATORS,
                               (unsigned) o.breakdowns);

    fprintf(stderr, "bench: encoding %lld reports...\n", o.reports);
    uint8_t **req = bc_malloc((size_t) o.reports * sizeof *req);
    size_t *req_len = bc_malloc((size_t) o.reports * sizeof *req_len);
    size_t bytes = 0;
    bench_layout_t lay = bench_layout(o.reports);
    if (lay.months > BENCH_MONTHS)
        fprintf(stderr, "bench: %u months, %04u-%02u..2024-12 (the queries "
                "ask about 2023-01..2024-12)\n", lay.months,
                lay.first_year + lay.skip / 12, lay.skip % 12 + 1);
    for (long long r = 0; r < o.reports; r++) {
        req[r] = bench_encode_layout(r, BENCH_INDICATORS, &lay,
                                     o.declare_only
                                         ? 0 : (unsigned) o.breakdowns,
                                     &req_len[r]);
        if (!req[r]) {
            fprintf(stderr, "bench: cannot encode report %lld\n", r);
            return 1;
        }
        bytes += req_len[r];
    }
    hub_t hub;
    if (start_hub(&hub, &o, "tcp://127.0.0.1:*"))
        return 1;
    char bind[128];
    snprintf(bind, sizeof bind, "%s", hub.endpoint);
    if (o.approvals) {
        char err[256];
        bc_client_t *c = bc_client_new(hub.endpoint, NULL, err, sizeof err);
        long long done = 0;
        for (long long d = 0; c && d < o.approvals && d < BENCH_DISTRICTS;
             d++) {
            char code[32];
            bench_district_code((unsigned) d, code, sizeof code);
            Baocao__Request ar = BAOCAO__REQUEST__INIT;
            Baocao__ApprovalRequest a = BAOCAO__APPROVAL_REQUEST__INIT;
            a.unit = code;
            a.period = "2022";
            ar.body_case = BAOCAO__REQUEST__BODY_APPROVAL;
            ar.approval = &a;
            Baocao__Reply *rep = NULL;
            if (bc_client_call(c, &ar, &rep, 10000) == BC_OK && rep
                && rep->body_case == BAOCAO__REPLY__BODY_APPROVAL
                && rep->approval->status == BAOCAO__ACK_STATUS__ACK_STORED)
                done++;
            if (rep)
                baocao__reply__free_unpacked(rep, NULL);
        }
        bc_client_destroy(&c);
        printf("hub approvals_in_force %lld\n", done);
    }

    /* Node k sends reports k, k + nodes, k + 2 nodes, ... */
    node_t *nodes = bc_calloc((size_t) o.nodes, sizeof *nodes);
    for (long long k = 0; k < o.nodes; k++) {
        node_connect(&nodes[k], hub.endpoint);
        nodes[k].next = k;
        nodes[k].inflight = bc_malloc((size_t) o.window * sizeof(long long));
        nodes[k].sent_at = bc_calloc((size_t) o.window, sizeof(double));
        for (long long w = 0; w < o.window; w++)
            nodes[k].inflight[w] = -1;
    }
    uint8_t *acked = bc_calloc((size_t) o.reports, 1);
    double *lat = bc_malloc((size_t) o.reports * sizeof *lat);
    size_t nlat = 0;
    long long nacked = 0, nrefused = 0, kills = 0, resent = 0;
    char first_refusal[512] = "";
    zmq_pollitem_t *items = bc_calloc((size_t) o.nodes, sizeof *items);
    fprintf(stderr, "bench: %lld nodes, window %lld, %zu bytes of requests "
            "(%.0f per report)\n", o.nodes, o.window, bytes,
            (double) bytes / (double) o.reports);

    double t0 = bench_now_s(), last_progress = t0, last_ack = t0, last_print = t0;
    long long printed_acked = 0;
    long heap_peak = bench_proc_kb(hub.pid, "smaps_rollup", "Anonymous:");
    long long wb0 = bench_proc_io(hub.pid, "write_bytes:");
    long long wc0 = bench_proc_io(hub.pid, "wchar:");
    while (nacked + nrefused < o.reports) {
        /* Fill every node's window. */
        for (long long k = 0; k < o.nodes; k++) {
            node_t *n = &nodes[k];
            for (long long w = 0; w < o.window; w++) {
                if (n->inflight[w] >= 0)
                    continue;
                while (n->next < o.reports && acked[n->next])
                    n->next += o.nodes;
                if (n->next >= o.reports)
                    break;
                long long r = n->next;
                n->next += o.nodes;
                zmq_send(zsock_resolve(n->sock), req[r], req_len[r], 0);
                n->inflight[w] = r;
                n->sent_at[w] = bench_now_s();
            }
            items[k] = (zmq_pollitem_t){zsock_resolve(n->sock), 0,
                                        ZMQ_POLLIN, 0};
        }
        double tp = bench_now_s();
        if (tp - last_print >= 5) {
            long long inflight = 0, lo = o.reports, hi = 0;
            for (long long k = 0; k < o.nodes; k++) {
                for (long long w = 0; w < o.window; w++)
                    inflight += nodes[k].inflight[w] >= 0;
                if (nodes[k].next < o.reports) {
                    lo = nodes[k].next < lo ? nodes[k].next : lo;
                    hi = nodes[k].next > hi ? nodes[k].next : hi;
                }
            }
            /* The spread: how far apart the nodes' next reports are. A
             * batch's reports are scattered over about that many, which
             * sets how many leaves it touches (bench_pages --spread). */
            fprintf(stderr, "bench: %lld of %lld acknowledged after %.0f s "
                    "(%.0f/s lately), %lld in flight, %lld kills, nodes "
                    "%lld reports apart\n", nacked,
                    o.reports, tp - t0,
                    (double) (nacked - printed_acked) / (tp - last_print),
                    inflight, kills, hi >= lo ? hi - lo : 0);
            printed_acked = nacked;
            last_print = tp;
            long a = bench_proc_kb(hub.pid, "smaps_rollup", "Anonymous:");
            if (a > heap_peak)
                heap_peak = a;
        }
        if (tp - last_ack > (double) o.stall_s) {
            fprintf(stderr, "bench: FAILED: no acknowledgement for %lld s "
                    "(%lld of %lld acknowledged); the hub's log is %s/hub.log "
                    "(kept)\n", o.stall_s, nacked, o.reports, o.dir);
            printf("hub stalled_after %lld\n", nacked);
            return 1;
        }
        if (zmq_poll(items, (int) o.nodes, 1000) <= 0) {
            /* Silence: after a kill, resend whatever is unanswered. */
            if (o.kill_every && bench_now_s() - last_progress > 2) {
                for (long long k = 0; k < o.nodes; k++)
                    for (long long w = 0; w < o.window; w++)
                        if (nodes[k].inflight[w] >= 0) {
                            long long r = nodes[k].inflight[w];
                            zmq_send(zsock_resolve(nodes[k].sock), req[r],
                                     req_len[r], 0);
                            nodes[k].sent_at[w] = bench_now_s();
                            resent++;
                        }
                last_progress = bench_now_s();
            }
            continue;
        }
        double t = bench_now_s();
        for (long long k = 0; k < o.nodes; k++) {
            if (!(items[k].revents & ZMQ_POLLIN))
                continue;
            zmq_msg_t m;
            zmq_msg_init(&m);
            while (zmq_msg_recv(&m, items[k].socket, ZMQ_DONTWAIT) >= 0) {
                Baocao__Reply *rep = baocao__reply__unpack(
                    NULL, zmq_msg_size(&m), zmq_msg_data(&m));
                if (rep && rep->body_case == BAOCAO__REPLY__BODY_ACK
                    && (rep->ack->status == BAOCAO__ACK_STATUS__ACK_STORED
                        || rep->ack->status
                               == BAOCAO__ACK_STATUS__ACK_DUPLICATE)) {
                    long long r = (long long) rep->tag - 1;
                    for (long long w = 0; w < o.window; w++)
                        if (nodes[k].inflight[w] == r) {
                            nodes[k].inflight[w] = -1;
                            lat[nlat++] = (t - nodes[k].sent_at[w]) * 1000;
                            break;
                        }
                    if (r >= 0 && r < o.reports && !acked[r]) {
                        acked[r] = 1;
                        nacked++;
                        last_progress = last_ack = t;
                    }
                } else {
                    /* Refused, or not an ack at all: count it and free
                     * its slot (it must not hold the window), then stop
                     * below with the reason. */
                    long long r = rep ? (long long) rep->tag - 1 : -1;
                    for (long long w = 0; r >= 0 && w < o.window; w++)
                        if (nodes[k].inflight[w] == r) {
                            nodes[k].inflight[w] = -1;
                            break;
                        }
                    if (r >= 0 && r < o.reports && !acked[r]) {
                        acked[r] = 2;
                        nrefused++;
                    }
                    if (!*first_refusal)
                        snprintf(first_refusal, sizeof first_refusal,
                                 "report %lld: %s %s", r,
                                 !rep ? "undecodable reply"
                                 : rep->body_case == BAOCAO__REPLY__BODY_ACK
                                     ? bc_ack_status_name(rep->ack->status)
                                     : "not an ack",
                                 rep && rep->body_case
                                             == BAOCAO__REPLY__BODY_ACK
                                         ? rep->ack->message
                                         : "");
                }
                if (rep)
                    baocao__reply__free_unpacked(rep, NULL);
            }
            zmq_msg_close(&m);
        }
        if (nrefused) {
            fprintf(stderr, "bench: FAILED: the hub refused %lld report(s), "
                    "first %s; every synthetic report must be accepted\n",
                    nrefused, first_refusal);
            printf("hub refused %lld\n", nrefused);
            return 1;
        }
        if (o.kill_every && nacked >= (kills + 1) * o.kill_every
            && nacked < o.reports) {
            kill(hub.pid, SIGKILL);
            waitpid(hub.pid, NULL, 0);
            kills++;
            if (start_hub(&hub, &o, bind))
                return 1;
            last_progress = last_ack = bench_now_s();
        }
    }
    double elapsed = bench_now_s() - t0;
    long long wb1 = bench_proc_io(hub.pid, "write_bytes:");
    long long wc1 = bench_proc_io(hub.pid, "wchar:");
    bench_proc_stat_t hub_st = {0};
    bool counted = !kills && bench_proc_stat(hub.pid, &hub_st);

    /* Batches: the hub counts its commits. */
    char err[256];
    bc_client_t *c = bc_client_new(hub.endpoint, NULL, err, sizeof err);
    Baocao__Request preq = BAOCAO__REQUEST__INIT;
    Baocao__Ping ping = BAOCAO__PING__INIT;
    preq.body_case = BAOCAO__REQUEST__BODY_PING;
    preq.ping = &ping;
    Baocao__Reply *pong = NULL;
    uint64_t commits = 0;
    if (bc_client_call(c, &preq, &pong, 10000) == BC_OK && pong->pong) {
        commits = pong->pong->commits;
        baocao__reply__free_unpacked(pong, NULL);
    }

    printf("hub reports %lld\n", o.reports);
    printf("hub ingest_reports_per_s %.0f\n", (double) o.reports / elapsed);
    printf("hub ingest_values_per_s %.0f\n",
           (double) o.reports * BENCH_INDICATORS / elapsed);
    /* What the store keeps per report: every value sent, plus a total the
     * hub derives for each indicator sent as its combinations (issue 17:
     * 100 + 20 x 8 = 260 for --breakdowns 5). */
    unsigned split = o.breakdowns && !o.declare_only
                     ? (BENCH_INDICATORS + (unsigned) o.breakdowns - 1)
                           / (unsigned) o.breakdowns
                     : 0;
    double stored = BENCH_INDICATORS + 8.0 * split;
    printf("hub stored_figures_per_report %.0f\n", stored);
    printf("hub ingest_stored_figures_per_s %.0f\n",
           (double) o.reports * stored / elapsed);
    printf("hub ack_p50_ms %.2f\n", bench_pct(lat, nlat, 0.50));
    printf("hub ack_p99_ms %.2f\n", bench_pct(lat, nlat, 0.99));
    printf("hub request_bytes_per_report %.0f\n",
           (double) bytes / (double) o.reports);
    if (!kills && commits)
        printf("hub avg_batch %.1f\n", (double) o.reports / (double) commits);
    printf("hub kills %lld\nhub resent %lld\n", kills, resent);
    if (counted) {
        /* From the hub's start to the last acknowledgement: its start-up
         * (registry, store open) is in them, the queries are not. */
        printf("hub ingest_cpu_us_per_report %.1f\n",
               hub_st.cpu_s * 1e6 / (double) o.reports);
        printf("hub ingest_minor_faults_per_report %.2f\n",
               (double) hub_st.minflt / (double) o.reports);
        printf("hub ingest_major_faults %llu\n", hub_st.majflt);
    }
    if (!kills && wb0 >= 0 && wb1 >= wb0) {
        printf("hub ingest_write_bytes_per_report %.0f\n",
               (double) (wb1 - wb0) / (double) o.reports);
    }
    if (!kills && wc0 >= 0 && wc1 >= wc0)
        printf("hub ingest_syscall_write_pages_per_report %.3f\n",
               (double) (wc1 - wc0) / 4096.0 / (double) o.reports);

    /* Queries: the four kinds, all indicators, with every comparison,
     * once the ingest's writes have reached the disk (otherwise the
     * kernel's writeback of ~700 MB competes with the readers). */
    sync();
    int qrc = run_queries(c, &o);
    if (qrc < 0)
        return 1;
    bool ok = qrc == 0;
    bc_client_destroy(&c);
    for (long long k = 0; k < o.nodes; k++)
        zsock_destroy(&nodes[k].sock);

    printf("hub peak_rss_mb %.1f\n",
           (double) bench_proc_kb(hub.pid, "status", "VmHWM:") / 1024);
    long a = bench_proc_kb(hub.pid, "smaps_rollup", "Anonymous:");
    if (a > heap_peak)
        heap_peak = a;
    /* Sampled every 5 s of the ingest and at the end: a lower bound. */
    printf("hub heap_mb %.1f\n", (double) heap_peak / 1024);
    printf("hub nodes %lld\n", o.nodes);
    kill(hub.pid, SIGTERM);
    waitpid(hub.pid, NULL, 0);
    g_hub_pid = 0;
    char path[4096];
    snprintf(path, sizeof path, "%s/hub/data.mdb", o.dir);
    struct stat st;
    if (stat(path, &st) == 0)
        printf("hub store_bytes_per_report %.0f\n",
               (double) st.st_blocks * 512 / (double) o.reports);

    /* Raw LMDB: the same request bytes appended, the same batch size, the
     * same full-sync commits. */
    size_t batch = commits && !kills ? (size_t) ((double) o.reports
                                                 / (double) commits + 0.5)
                                     : 100;
    if (batch < 1)
        batch = 1;
    snprintf(path, sizeof path, "%s/raw", o.dir);
    mkdir(path, 0700);
    MDB_env *env;
    MDB_dbi dbi;
    MDB_txn *txn;
    mdb_env_create(&env);
    mdb_env_set_mapsize(env, 32ULL << 30);
    if (mdb_env_open(env, path, 0, 0640) == 0) {
        double r0 = bench_now_s();
        for (long long r = 0; r < o.reports;) {
            mdb_txn_begin(env, NULL, 0, &txn);
            mdb_dbi_open(txn, NULL, 0, &dbi);
            for (size_t b = 0; b < batch && r < o.reports; b++, r++) {
                uint64_t key = __builtin_bswap64((uint64_t) r);
                MDB_val k = {8, &key}, v = {req_len[r], req[r]};
                mdb_put(txn, dbi, &k, &v, MDB_APPEND);
            }
            if (mdb_txn_commit(txn)) {
                fprintf(stderr, "bench: raw commit failed\n");
                break;
            }
        }
        double raw = bench_now_s() - r0;
        printf("raw batch %zu\n", batch);
        printf("raw ingest_reports_per_s %.0f\n", (double) o.reports / raw);
        printf("raw ingest_values_per_s %.0f\n",
               (double) o.reports * BENCH_INDICATORS / raw);
        mdb_env_close(env);
    }
    if (!o.keep) {
        char cmd[4200];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", o.dir);
        if (system(cmd) != 0)
            fprintf(stderr, "bench: could not remove %s\n", o.dir);
    }
    return ok ? 0 : 1;
}
