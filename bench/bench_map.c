/*
 * bench_map.c -- issue 12, item 8: query latency across a change of the
 * map, at the bench's scale, against a real hub on loopback with a real
 * store.
 *
 * The province of bench_data.h (100 districts of 100 facilities, 100 flow
 * indicators, 24 months 2023-01..2024-12), with a tenth of its facilities
 * changing halfway through, on 2024-01 (month 13):
 *
 *   - facilities 0..5 of each district merge in pairs, (0,1) (2,3) (4,5),
 *     into "P-Dddd-N000".."P-Dddd-N002" under the same district (600
 *     facilities into 300 successors): their rows end 2023-12 with
 *     replaced_by the successor, the successors begin 2024-01;
 *   - facilities 6..9 of each district move to the next district (400
 *     moves: a second row of the same code under P-D(d+1) from 2024-01).
 *
 * Every unit valid in a month files that month (236,400 reports), sent by
 * simulated nodes with a window in flight each, as bench_ingest does. The
 * hub runs with --query-cache 0 by default, so that every question is
 * computed (the reply cache would otherwise answer a repeated one from
 * memory, which is not what is measured here). Then each kind of question
 * that crosses the change is asked --queries times and its latency (p50,
 * p99, max) printed; every answer is then checked, after its clock
 * stopped, against the figures computed here from bench_value, so that a
 * fast wrong answer is a failure, not a figure.
 *
 * The registry load time of 12,000 units with history is bench_registry's
 * (bench/run.sh runs both).
 *
 * Output: "map <name> <value>" lines, for bench/run.sh and BENCHMARKS.md.
 *
 *   bench_map [--queries N] [--nodes N] [--window N] [--query-cache BYTES]
 *             [--dir DIR] [--keep] [--hub PATH] [--only KIND]
 *   bench_map --endpoint EP [--hub-pid PID] [--queries N] [--only KIND]
 *
 * The second form only asks the questions, of a hub already holding the
 * map (a folder kept with --keep, its hub started by hand on DIR/hub,
 * DIR/units.csv and DIR/indicators.csv, e.g. under perf record).
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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHANGE_MONTH 12      /* 2024-01, month 13 of 24 */
#define MERGED_PER_D 6       /* facilities 0..5 merge in pairs */
#define MOVED_END 10         /* facilities 6..9 move */
#define SUCC_PER_D (MERGED_PER_D / 2)
#define NSUCC (BENCH_DISTRICTS * SUCC_PER_D)
/* bench_value's facility number for successor s (beyond the facilities). */
#define SUCC_SEED(s) (BENCH_FACILITIES + (unsigned) (s))

typedef struct {
    long long queries;       /* questions per kind */
    long long nodes;         /* simulated nodes */
    long long window;        /* in flight per node */
    const char *cache;       /* the hub's --query-cache */
    char *dir;               /* work folder */
    char *hub_bin;           /* baocao-hub */
    const char *only;        /* time only the kinds naming this */
    const char *endpoint;    /* only query this running hub (no ingest) */
    long long hub_pid;       /* with --endpoint: the hub's pid, for its
                                CPU time (0: not measured) */
    bool keep;               /* keep the work folder */
} opts_t;

/* --- the map ------------------------------------------------------------ */

static void succ_code(unsigned s, char *out, size_t len)
{
    snprintf(out, len, "P-D%03u-N%03u", s / SUCC_PER_D, s % SUCC_PER_D);
}

/* Writes DIR/units.csv with the history columns (the catalogue is
 * bench_write_registry's). 0, or -1 if the file cannot be written. */
static int write_units(const char *dir)
{
    char path[4096], code[32], parent[32], next[32], succ[32];
    snprintf(path, sizeof path, "%s/units.csv", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "code,parent_code,level,name,valid_from,valid_to,"
               "replaced_by\nP,,province,Tỉnh Bench,,,\n");
    for (unsigned d = 0; d < BENCH_DISTRICTS; d++) {
        bench_district_code(d, code, sizeof code);
        fprintf(f, "%s,P,district,Huyện %u,,,\n", code, d);
        for (unsigned k = 0; k < SUCC_PER_D; k++) {
            succ_code(d * SUCC_PER_D + k, succ, sizeof succ);
            fprintf(f, "%s,%s,commune,Trạm mới %u %u,2024-01,,\n", succ,
                    code, d, k);
        }
    }
    for (unsigned u = 0; u < BENCH_FACILITIES; u++) {
        unsigned d = u / BENCH_PER_DISTRICT, j = u % BENCH_PER_DISTRICT;
        bench_facility_code(u, code, sizeof code);
        bench_district_code(d, parent, sizeof parent);
        if (j < MERGED_PER_D) {
            succ_code(d * SUCC_PER_D + j / 2, succ, sizeof succ);
            fprintf(f, "%s,%s,commune,Trạm Y tế %u,,2023-12,%s\n", code,
                    parent, u, succ);
        } else if (j < MOVED_END) {
            bench_district_code((d + 1) % BENCH_DISTRICTS, next,
                                sizeof next);
            fprintf(f, "%s,%s,commune,Trạm Y tế %u,,2023-12,\n", code,
                    parent, u);
            fprintf(f, "%s,%s,commune,Trạm Y tế %u,2024-01,,\n", code, next,
                    u);
        } else {
            fprintf(f, "%s,%s,commune,Trạm Y tế %u,,,\n", code, parent, u);
        }
    }
    return fclose(f) == 0 ? 0 : -1;
}

/* Indicator i of district d in month m (0..23), summed over the units
 * under it in that month's tree: what the hub must answer. */
static int64_t district_sum(unsigned d, unsigned m, unsigned i)
{
    int64_t s = 0;
    if (m < CHANGE_MONTH) {
        for (unsigned j = 0; j < BENCH_PER_DISTRICT; j++)
            s += bench_value(d * BENCH_PER_DISTRICT + j, m, i);
        return s;
    }
    unsigned prev = (d + BENCH_DISTRICTS - 1) % BENCH_DISTRICTS;
    for (unsigned j = MOVED_END; j < BENCH_PER_DISTRICT; j++)
        s += bench_value(d * BENCH_PER_DISTRICT + j, m, i);
    for (unsigned j = MERGED_PER_D; j < MOVED_END; j++)
        s += bench_value(prev * BENCH_PER_DISTRICT + j, m, i);
    for (unsigned k = 0; k < SUCC_PER_D; k++)
        s += bench_value(SUCC_SEED(d * SUCC_PER_D + k), m, i);
    return s;
}

static int64_t province_sum(unsigned m, unsigned i)
{
    int64_t s = 0;
    for (unsigned d = 0; d < BENCH_DISTRICTS; d++)
        s += district_sum(d, m, i);
    return s;
}

/* Successor s in month m: its own figures from the change on, the two
 * facilities it replaced before. */
static int64_t succ_value(unsigned s, unsigned m, unsigned i)
{
    if (m >= CHANGE_MONTH)
        return bench_value(SUCC_SEED(s), m, i);
    unsigned d = s / SUCC_PER_D, k = s % SUCC_PER_D;
    unsigned a = d * BENCH_PER_DISTRICT + 2 * k;
    return bench_value(a, m, i) + bench_value(a + 1, m, i);
}

/* --- the reports -------------------------------------------------------- */

/* Encodes every report of the map, month by month: each facility valid
 * in the month (all before the change; all but the merged ones after),
 * then the successors from the change on. */
static long long encode_all(uint8_t ***req, size_t **len, size_t *bytes)
{
    long long n = 0, cap = (long long) BENCH_FACILITIES * BENCH_MONTHS;
    char code[32];
    *req = bc_malloc((size_t) cap * sizeof **req);
    *len = bc_malloc((size_t) cap * sizeof **len);
    *bytes = 0;
    for (unsigned m = 0; m < BENCH_MONTHS; m++) {
        for (unsigned u = 0; u < BENCH_FACILITIES; u++) {
            if (m >= CHANGE_MONTH && u % BENCH_PER_DISTRICT < MERGED_PER_D)
                continue;
            bench_facility_code(u, code, sizeof code);
            (*req)[n] = bench_encode_unit(n, code, u, m, BENCH_INDICATORS,
                                          2023, 0, &(*len)[n]);
            if (!(*req)[n])
                return -1;
            *bytes += (*len)[n++];
        }
        for (unsigned s = 0; m >= CHANGE_MONTH && s < NSUCC; s++) {
            succ_code(s, code, sizeof code);
            (*req)[n] = bench_encode_unit(n, code, SUCC_SEED(s), m,
                                          BENCH_INDICATORS, 2023, 0,
                                          &(*len)[n]);
            if (!(*req)[n])
                return -1;
            *bytes += (*len)[n++];
        }
    }
    return n;
}

/* --- the hub process ----------------------------------------------------- */

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

/* Starts baocao-hub on the bench's files and waits for its endpoint
 * file. 0, or -1 (the hub's log says why). */
static int start_hub(const opts_t *o, char *endpoint, size_t len)
{
    char store[4096], reg[4096], cat[4096], epf[4096], log[4096];
    snprintf(store, sizeof store, "%s/hub", o->dir);
    snprintf(reg, sizeof reg, "%s/units.csv", o->dir);
    snprintf(cat, sizeof cat, "%s/indicators.csv", o->dir);
    snprintf(epf, sizeof epf, "%s/hub.endpoint", o->dir);
    snprintf(log, sizeof log, "%s/hub.log", o->dir);
    unlink(epf);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        dup2(fd, 2);
        execl(o->hub_bin, o->hub_bin, "--store", store, "--registry", reg,
              "--catalog", cat, "--bind", "tcp://127.0.0.1:*",
              "--endpoint-file", epf, "--plain", "--map-size", "32G",
              "--query-cache", o->cache, "--log-level", "warn",
              (char *) NULL);
        _exit(127);
    }
    g_hub_pid = pid;
    int up = bench_wait_endpoint(pid, epf, endpoint, len, 120000);
    if (up == 0)
        return 0;
    if (up == 1)
        g_hub_pid = 0;   /* exited, reaped */
    fprintf(stderr, "bench_map: the hub did not start (see %s)\n", log);
    return -1;
}

/* Sends every report through o->nodes DEALER sockets, o->window in
 * flight each, until all are acknowledged. 0; -1 on a refusal (every
 * report of the map is valid in its period, so a refusal is a bug) or
 * after 120 s without an acknowledgement. */
static int ingest(const opts_t *o, const char *endpoint, uint8_t **req,
                  const size_t *len, long long n)
{
    typedef struct {
        zsock_t *sock;       /* DEALER to the hub */
        long long next;      /* next report of this node */
        long long *slot;     /* report in each window slot, -1 free */
    } node_t;
    node_t *nodes = bc_calloc((size_t) o->nodes, sizeof *nodes);
    zmq_pollitem_t *items = bc_calloc((size_t) o->nodes, sizeof *items);
    uint8_t *acked = bc_calloc((size_t) n, 1);
    long long nacked = 0;
    int rc = -1;
    for (long long k = 0; k < o->nodes; k++) {
        nodes[k].sock = zsock_new(ZMQ_DEALER);
        zsock_set_linger(nodes[k].sock, 0);
        zsock_set_sndhwm(nodes[k].sock, 0);
        zsock_set_rcvhwm(nodes[k].sock, 0);
        zsock_connect(nodes[k].sock, "%s", endpoint);
        nodes[k].next = k;
        nodes[k].slot = bc_malloc((size_t) o->window * sizeof(long long));
        for (long long w = 0; w < o->window; w++)
            nodes[k].slot[w] = -1;
    }
    double t0 = bench_now_s(), last_ack = t0, last_print = t0;
    while (nacked < n) {
        for (long long k = 0; k < o->nodes; k++) {
            node_t *nd = &nodes[k];
            for (long long w = 0; w < o->window && nd->next < n; w++) {
                if (nd->slot[w] >= 0)
                    continue;
                zmq_send(zsock_resolve(nd->sock), req[nd->next],
                         len[nd->next], 0);
                nd->slot[w] = nd->next;
                nd->next += o->nodes;
            }
            items[k] = (zmq_pollitem_t){zsock_resolve(nd->sock), 0,
                                        ZMQ_POLLIN, 0};
        }
        double t = bench_now_s();
        if (t - last_print >= 5) {
            fprintf(stderr, "bench_map: %lld of %lld acknowledged after "
                    "%.0f s\n", nacked, n, t - t0);
            last_print = t;
        }
        if (t - last_ack > 120) {
            fprintf(stderr, "bench_map: FAILED: no acknowledgement for 120 s "
                    "(%lld of %lld); the hub's log is %s/hub.log\n", nacked,
                    n, o->dir);
            goto out;
        }
        if (zmq_poll(items, (int) o->nodes, 1000) <= 0)
            continue;
        for (long long k = 0; k < o->nodes; k++) {
            if (!(items[k].revents & ZMQ_POLLIN))
                continue;
            zmq_msg_t m;
            zmq_msg_init(&m);
            while (zmq_msg_recv(&m, items[k].socket, ZMQ_DONTWAIT) >= 0) {
                Baocao__Reply *rep = baocao__reply__unpack(
                    NULL, zmq_msg_size(&m), zmq_msg_data(&m));
                bool ok = rep && rep->body_case == BAOCAO__REPLY__BODY_ACK
                          && (rep->ack->status
                                  == BAOCAO__ACK_STATUS__ACK_STORED
                              || rep->ack->status
                                     == BAOCAO__ACK_STATUS__ACK_DUPLICATE);
                long long r = rep ? (long long) rep->tag - 1 : -1;
                if (!ok) {
                    fprintf(stderr, "bench_map: FAILED: report %lld refused: "
                            "%s %s\n", r,
                            rep && rep->body_case == BAOCAO__REPLY__BODY_ACK
                                ? bc_ack_status_name(rep->ack->status)
                                : "not an ack",
                            rep && rep->body_case == BAOCAO__REPLY__BODY_ACK
                                ? rep->ack->message : "");
                    if (rep)
                        baocao__reply__free_unpacked(rep, NULL);
                    zmq_msg_close(&m);
                    goto out;
                }
                for (long long w = 0; w < o->window; w++)
                    if (nodes[k].slot[w] == r) {
                        nodes[k].slot[w] = -1;
                        break;
                    }
                if (r >= 0 && r < n && !acked[r]) {
                    acked[r] = 1;
                    nacked++;
                    last_ack = bench_now_s();
                }
                baocao__reply__free_unpacked(rep, NULL);
            }
            zmq_msg_close(&m);
        }
    }
    printf("map reports %lld\n", n);
    printf("map ingest_reports_per_s %.0f\n", (double) n / (bench_now_s() - t0));
    rc = 0;
out:
    for (long long k = 0; k < o->nodes; k++) {
        zsock_destroy(&nodes[k].sock);
        free(nodes[k].slot);
    }
    free(nodes);
    free(items);
    free(acked);
    return rc;
}

/* --- the questions ------------------------------------------------------ */

/* The kinds of question, each crossing the change some way. */
typedef enum {
    K_SUCC_FIRST,      /* a successor at 2024-01: previous month and same
                          month last year are its predecessors' */
    K_SUCC_AFTER,      /* a successor at 2024-02..12: same period last
                          year and year to date last year, predecessors' */
    K_SUCC_YEAR,       /* a successor for 2024: the previous year and
                          2023 to date, all predecessors' */
    K_SUCC_BEFORE,     /* a successor for a month of 2023: refused, not
                          valid then (REASON_NOT_VALID_IN_PERIOD) */
    K_MERGED_BEFORE,   /* a merged facility for a month of 2023: its own */
    K_MERGED_AFTER,    /* a merged facility after its end: refused,
                          naming its successor (REASON_UNIT_ENDED) */
    K_DISTRICT,        /* a district above moved facilities (every one
                          is), 2024-01..12: previous month and last year
                          in the old tree */
    K_MOVED,           /* a moved facility, 2024-01..12 */
    K_PROVINCE,        /* the province, 2024-01..12 */
    K_UNCHANGED,       /* control: a facility that never changed,
                          2024-01..12 */
    K_UNCHANGED_YEAR,  /* control: the same for 2024 (K_SUCC_YEAR's
                          twin without a change) */
    NKINDS
} kind_t;

static const char *const KIND_NAME[NKINDS] = {
    "q_succ_first_month", "q_succ_month_after", "q_succ_year",
    "q_succ_before_refused", "q_merged_before", "q_merged_after_refused",
    "q_district_moved", "q_moved_facility", "q_province_after",
    "q_unchanged_facility", "q_unchanged_facility_year"};

/* Question q of kind k: its unit, its period, and the month / unit index
 * the check needs. Walks every (unit, month) pair before repeating one. */
typedef struct {
    char unit[32];           /* asked */
    char period[16];         /* asked */
    unsigned idx;            /* successor, facility or district number */
    unsigned month;          /* 0..23 (a year: its last month) */
    bool year;               /* period is 2024 */
} question_t;

static void question(kind_t k, long long q, question_t *out)
{
    unsigned n = 0, months = 12, first = CHANGE_MONTH;
    memset(out, 0, sizeof *out);
    switch (k) {
    case K_SUCC_FIRST: n = NSUCC; months = 1; break;
    case K_SUCC_AFTER: n = NSUCC; months = 11; first = CHANGE_MONTH + 1;
        break;
    case K_SUCC_YEAR: n = NSUCC; months = 1; break;
    case K_SUCC_BEFORE: n = NSUCC; first = 0; break;
    case K_MERGED_BEFORE: n = BENCH_DISTRICTS * MERGED_PER_D; first = 0;
        break;
    case K_MERGED_AFTER: n = BENCH_DISTRICTS * MERGED_PER_D; break;
    case K_DISTRICT: n = BENCH_DISTRICTS; break;
    case K_MOVED: n = BENCH_DISTRICTS * (MOVED_END - MERGED_PER_D); break;
    case K_PROVINCE: n = 1; break;
    case K_UNCHANGED: n = BENCH_DISTRICTS
                          * (BENCH_PER_DISTRICT - MOVED_END); break;
    case K_UNCHANGED_YEAR: n = BENCH_DISTRICTS
                               * (BENCH_PER_DISTRICT - MOVED_END);
        months = 1; break;
    default: break;
    }
    /* A stride prime to n * months spreads consecutive questions over
     * units and months alike. */
    unsigned long long total = (unsigned long long) n * months;
    unsigned long long pos = ((unsigned long long) q * 7919ULL) % total;
    unsigned i = (unsigned) (pos / months);
    out->month = first + (unsigned) (pos % months);
    out->idx = i;
    switch (k) {
    case K_SUCC_FIRST: case K_SUCC_AFTER: case K_SUCC_YEAR:
    case K_SUCC_BEFORE:
        succ_code(i, out->unit, sizeof out->unit);
        break;
    case K_MERGED_BEFORE: case K_MERGED_AFTER:
        out->idx = i / MERGED_PER_D * BENCH_PER_DISTRICT + i % MERGED_PER_D;
        bench_facility_code(out->idx, out->unit, sizeof out->unit);
        break;
    case K_DISTRICT:
        bench_district_code(i, out->unit, sizeof out->unit);
        break;
    case K_MOVED:
        out->idx = i / (MOVED_END - MERGED_PER_D) * BENCH_PER_DISTRICT
                   + MERGED_PER_D + i % (MOVED_END - MERGED_PER_D);
        bench_facility_code(out->idx, out->unit, sizeof out->unit);
        break;
    case K_PROVINCE:
        snprintf(out->unit, sizeof out->unit, "P");
        break;
    case K_UNCHANGED: case K_UNCHANGED_YEAR:
        out->idx = i / (BENCH_PER_DISTRICT - MOVED_END) * BENCH_PER_DISTRICT
                   + MOVED_END + i % (BENCH_PER_DISTRICT - MOVED_END);
        bench_facility_code(out->idx, out->unit, sizeof out->unit);
        break;
    default: break;
    }
    if (k == K_SUCC_YEAR || k == K_UNCHANGED_YEAR) {
        out->year = true;
        out->month = BENCH_MONTHS - 1;
        snprintf(out->period, sizeof out->period, "2024");
    } else {
        bench_period(out->month, out->period, sizeof out->period);
    }
}

/* Indicator i of the unit asked in month m (0..23), as the hub must count
 * it (comparisons through the change included). */
static int64_t expected(kind_t k, const question_t *qu, unsigned m,
                        unsigned i)
{
    switch (k) {
    case K_SUCC_FIRST: case K_SUCC_AFTER: case K_SUCC_YEAR:
        return succ_value(qu->idx, m, i);
    case K_DISTRICT: return district_sum(qu->idx, m, i);
    case K_PROVINCE: return province_sum(m, i);
    default: return bench_value(qu->idx, m, i);
    }
}

/* Sum of expected() over months [a, b]. */
static int64_t expected_span(kind_t k, const question_t *qu, unsigned a,
                             unsigned b, unsigned i)
{
    int64_t s = 0;
    for (unsigned m = a; m <= b; m++)
        s += expected(k, qu, m, i);
    return s;
}

static bool num_is(const Baocao__Num *n, int64_t v)
{
    return n && n->present && n->value == v;
}

/* Checks one reply against the figures computed here: the value, the
 * year to date, the previous period, the same period last year and the
 * year to date last year of every indicator, each on an exact basis; or
 * the refusal the kind expects. 0, or -1 with the first difference on
 * stderr. */
static int check(kind_t k, const question_t *qu, const Baocao__Reply *rep)
{
    if (k == K_SUCC_BEFORE || k == K_MERGED_AFTER) {
        Baocao__RejectReason want =
            k == K_SUCC_BEFORE
                ? BAOCAO__REJECT_REASON__REASON_NOT_VALID_IN_PERIOD
                : BAOCAO__REJECT_REASON__REASON_UNIT_ENDED;
        if (rep->body_case != BAOCAO__REPLY__BODY_ERROR
            || rep->error->reason != want) {
            fprintf(stderr, "bench_map: %s %s %s: not the refusal expected\n",
                    KIND_NAME[k], qu->unit, qu->period);
            return -1;
        }
        if (k == K_MERGED_AFTER) {
            char succ[32];
            unsigned d = qu->idx / BENCH_PER_DISTRICT;
            unsigned j = qu->idx % BENCH_PER_DISTRICT;
            succ_code(d * SUCC_PER_D + j / 2, succ, sizeof succ);
            if (!strstr(rep->error->message, succ)) {
                fprintf(stderr, "bench_map: %s %s: '%s' does not name %s\n",
                        KIND_NAME[k], qu->unit, rep->error->message, succ);
                return -1;
            }
        }
        return 0;
    }
    if (rep->body_case != BAOCAO__REPLY__BODY_QUERY
        || rep->query->n_figures != BENCH_INDICATORS) {
        fprintf(stderr, "bench_map: %s %s %s: no figures (%s)\n",
                KIND_NAME[k], qu->unit, qu->period,
                rep->body_case == BAOCAO__REPLY__BODY_ERROR
                    ? rep->error->message : "?");
        return -1;
    }
    /* The province's sums are dear (10,000 units a month): its first
     * questions only, which cover its twelve months. */
    unsigned nind = k == K_PROVINCE ? 4 : BENCH_INDICATORS;
    unsigned m = qu->month, y0 = m / 12 * 12;
    for (size_t f = 0; f < rep->query->n_figures; f++) {
        const Baocao__Figure *fg = rep->query->figures[f];
        unsigned i = (unsigned) atoi(fg->indicator + 3);
        if (i >= nind)
            continue;
        int64_t value = qu->year ? expected_span(k, qu, y0, y0 + 11, i)
                                 : expected(k, qu, m, i);
        int64_t cum = expected_span(k, qu, y0, m, i);
        int64_t ly = qu->year ? expected_span(k, qu, y0 - 12, y0 - 1, i)
                              : y0 ? expected(k, qu, m - 12, i) : 0;
        int64_t cum_ly = y0 ? expected_span(k, qu, y0 - 12, m - 12, i) : 0;
        bool ok = num_is(fg->value, value) && num_is(fg->cumulative, cum)
                  && (!y0 || (num_is(fg->last_year, ly)
                              && num_is(fg->cumulative_last_year, cum_ly)))
                  && fg->previous_basis == BAOCAO__COMPARISON__COMPARISON_EXACT
                  && fg->last_year_basis
                         == BAOCAO__COMPARISON__COMPARISON_EXACT;
        /* The previous period: a year's is the previous year. */
        if (ok && qu->year)
            ok = num_is(fg->previous, ly);
        else if (ok && m > 0)
            ok = num_is(fg->previous, expected(k, qu, m - 1, i));
        if (!ok) {
            fprintf(stderr, "bench_map: %s %s %s %s: want value %lld cum "
                    "%lld last year %lld cum last year %lld; got %lld %lld "
                    "%lld %lld (previous %lld)\n", KIND_NAME[k], qu->unit,
                    qu->period, fg->indicator, (long long) value,
                    (long long) cum, (long long) ly, (long long) cum_ly,
                    fg->value ? (long long) fg->value->value : -1,
                    fg->cumulative ? (long long) fg->cumulative->value : -1,
                    fg->last_year ? (long long) fg->last_year->value : -1,
                    fg->cumulative_last_year
                        ? (long long) fg->cumulative_last_year->value : -1,
                    fg->previous ? (long long) fg->previous->value : -1);
            return -1;
        }
    }
    return 0;
}

/* The CPU time the hub process has used (all its threads, user and
 * system), ms, and its major page faults (pages of the store's map read
 * from the disk again); -1 if unreadable. On a shared machine a latency's
 * tail is mostly the time the hub waited for a core or for a page; its
 * CPU time per question is what the question costs, whatever the load. */
static double hub_cpu_ms(pid_t pid, long long *majflt)
{
    bench_proc_stat_t st;
    if (!bench_proc_stat(pid, &st)) {
        *majflt = -1;
        return -1;
    }
    *majflt = (long long) st.majflt;
    return st.cpu_s * 1000.0;
}

/* Asks every kind o->queries times, prints p50 / p99 / max, and checks
 * every answer after its clock stopped. 0, or -1 (a failed call or a
 * wrong answer). */
static int run_queries(bc_client_t *c, const opts_t *o)
{
    double *lat = bc_malloc((size_t) o->queries * sizeof *lat);
    int rc = 0;
    /* The floor under every figure, in the same conditions: a Ping's
     * round trip (ZeroMQ, protobuf, the hub's loop), no store read. */
    for (long long q = 0; q < o->queries && !o->only; q++) {
        Baocao__Request req = BAOCAO__REQUEST__INIT;
        Baocao__Ping ping = BAOCAO__PING__INIT;
        req.body_case = BAOCAO__REQUEST__BODY_PING;
        req.ping = &ping;
        Baocao__Reply *rep = NULL;
        double a = bench_now_s();
        int crc = bc_client_call(c, &req, &rep, 30000);
        lat[q] = (bench_now_s() - a) * 1000;
        if (crc != BC_OK || rep->body_case != BAOCAO__REPLY__BODY_PONG) {
            fprintf(stderr, "bench_map: ping failed\n");
            free(lat);
            return -1;
        }
        baocao__reply__free_unpacked(rep, NULL);
        if (q == o->queries - 1) {
            qsort(lat, (size_t) o->queries, sizeof *lat, bench_cmp_double);
            printf("map q_ping_p50_ms %.3f\nmap q_ping_p99_ms %.3f\n"
                   "map q_ping_max_ms %.3f\n",
                   bench_pct_sorted(lat, (size_t) o->queries, 0.50),
                   bench_pct_sorted(lat, (size_t) o->queries, 0.99),
                   lat[o->queries - 1]);
        }
    }
    for (int k = 0; k < NKINDS && !rc; k++) {
        if (o->only && !strstr(KIND_NAME[k], o->only))
            continue;
        long long mf0, mf1;
        double cpu0 = hub_cpu_ms((pid_t) o->hub_pid, &mf0), wall = 0;
        for (long long q = 0; q < o->queries && !rc; q++) {
            question_t qu;
            question((kind_t) k, q, &qu);
            Baocao__Request req = BAOCAO__REQUEST__INIT;
            Baocao__Query qq = BAOCAO__QUERY__INIT;
            qq.unit = qu.unit;
            qq.period = qu.period;
            req.body_case = BAOCAO__REQUEST__BODY_QUERY;
            req.query = &qq;
            Baocao__Reply *rep = NULL;
            double a = bench_now_s();
            int crc = bc_client_call(c, &req, &rep, 30000);
            lat[q] = (bench_now_s() - a) * 1000;
            wall += lat[q];
            if (crc != BC_OK) {
                fprintf(stderr, "bench_map: %s %s %s: %s\n", KIND_NAME[k],
                        qu.unit, qu.period, bc_strerror(crc));
                rc = -1;
                break;
            }
            if ((k != K_PROVINCE || q < 24) && check((kind_t) k, &qu, rep))
                rc = -1;
            baocao__reply__free_unpacked(rep, NULL);
        }
        if (rc)
            break;
        /* The checks ran outside the clocks, but inside this CPU
         * window only on this side: the hub's time is the questions'. */
        double cpu1 = hub_cpu_ms((pid_t) o->hub_pid, &mf1);
        if (o->hub_pid > 0 && cpu0 >= 0 && cpu1 >= 0)
            printf("map %s_hub_cpu_us %.0f\nmap %s_hub_major_faults %lld\n",
                   KIND_NAME[k], (cpu1 - cpu0) * 1000.0
                                     / (double) o->queries,
                   KIND_NAME[k], mf1 - mf0);
        printf("map %s_mean_ms %.3f\n", KIND_NAME[k],
               wall / (double) o->queries);
        qsort(lat, (size_t) o->queries, sizeof *lat, bench_cmp_double);
        printf("map %s_p50_ms %.3f\n", KIND_NAME[k],
               bench_pct_sorted(lat, (size_t) o->queries, 0.50));
        printf("map %s_p99_ms %.3f\n", KIND_NAME[k],
               bench_pct_sorted(lat, (size_t) o->queries, 0.99));
        printf("map %s_max_ms %.3f\n", KIND_NAME[k],
               lat[o->queries - 1]);
        fflush(stdout);
    }
    free(lat);
    return rc;
}

/* --- main --------------------------------------------------------------- */

static int usage(void)
{
    fprintf(stderr, "usage: bench_map [--queries N] [--nodes N] [--window N]"
            " [--query-cache BYTES] [--dir DIR] [--keep] [--hub PATH]"
            " [--only KIND]\n       bench_map --endpoint EP [--hub-pid PID]"
            " [--queries N]"
            " [--only KIND]\n");
    return 2;
}

int main(int argc, char **argv)
{
    opts_t o = {1000, 50, 8, "0", NULL, NULL, NULL, NULL, 0, false};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--keep"))
            o.keep = true;
        else if (!v)
            return usage();
        else if (!strcmp(a, "--queries"))
            o.queries = atoll(v), i++;
        else if (!strcmp(a, "--nodes"))
            o.nodes = atoll(v), i++;
        else if (!strcmp(a, "--window"))
            o.window = atoll(v), i++;
        else if (!strcmp(a, "--query-cache"))
            o.cache = v, i++;
        else if (!strcmp(a, "--dir"))
            o.dir = bc_strdup(v), i++;
        else if (!strcmp(a, "--hub"))
            o.hub_bin = bc_strdup(v), i++;
        else if (!strcmp(a, "--only"))
            o.only = v, i++;
        else if (!strcmp(a, "--endpoint"))
            o.endpoint = v, i++;
        else if (!strcmp(a, "--hub-pid"))
            o.hub_pid = atoll(v), i++;
        else
            return usage();
    }
    if (o.queries < 1 || o.nodes < 1 || o.window < 1)
        return usage();
    if (o.endpoint) {
        char err[256];
        bc_client_t *c = bc_client_new(o.endpoint, NULL, err, sizeof err);
        if (!c) {
            fprintf(stderr, "bench_map: %s\n", err);
            return 1;
        }
        int qrc = run_queries(c, &o);
        bc_client_destroy(&c);
        printf("map answers_checked %s\n", qrc ? "FAILED" : "all");
        return qrc ? 1 : 0;
    }
    if (!o.hub_bin) {
        o.hub_bin = bc_malloc(4200);
        bench_sibling(o.hub_bin, 4200, "baocao-hub");
    }
    if (!o.dir) {
        char tmpl[] = "/tmp/baocao-bench-map-XXXXXX";
        if (!mkdtemp(tmpl)) {
            fprintf(stderr, "bench_map: mkdtemp: %s\n", strerror(errno));
            return 1;
        }
        o.dir = bc_strdup(tmpl);
    } else if (mkdir(o.dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "bench_map: cannot create %s: %s\n", o.dir,
                strerror(errno));
        return 1;
    }
    zsys_handler_set(NULL);
    atexit(stop_hub_at_exit);
    bench_write_registry(o.dir, BENCH_INDICATORS);
    if (write_units(o.dir) != 0) {
        fprintf(stderr, "bench_map: cannot write %s/units.csv\n", o.dir);
        return 1;
    }

    fprintf(stderr, "bench_map: encoding the reports...\n");
    uint8_t **req;
    size_t *len, bytes;
    long long n = encode_all(&req, &len, &bytes);
    if (n < 0) {
        fprintf(stderr, "bench_map: cannot encode a report\n");
        return 1;
    }
    char endpoint[128];
    double t0 = bench_now_s();
    if (start_hub(&o, endpoint, sizeof endpoint))
        return 1;
    printf("map hub_start_s %.2f\n", bench_now_s() - t0);
    fprintf(stderr, "bench_map: %lld reports (%zu bytes), %lld nodes x %lld "
            "in flight\n", n, bytes, o.nodes, o.window);
    if (ingest(&o, endpoint, req, len, n))
        return 1;
    for (long long r = 0; r < n; r++)
        free(req[r]);
    free(req);
    free(len);
    /* The ingest's writes on the disk first, as bench_ingest does: the
     * kernel's writeback would otherwise compete with the readers. */
    sync();

    char err[256];
    bc_client_t *c = bc_client_new(endpoint, NULL, err, sizeof err);
    if (!c) {
        fprintf(stderr, "bench_map: %s\n", err);
        return 1;
    }
    o.hub_pid = g_hub_pid;
    int rc = run_queries(c, &o);
    bc_client_destroy(&c);
    printf("map queries_per_kind %lld\nmap query_cache %s\n", o.queries,
           o.cache);
    printf("map answers_checked %s\n", rc ? "FAILED" : "all");
    kill(g_hub_pid, SIGTERM);
    waitpid(g_hub_pid, NULL, 0);
    g_hub_pid = 0;
    if (!o.keep) {
        char cmd[4200];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", o.dir);
        if (system(cmd) != 0)
            fprintf(stderr, "bench_map: could not remove %s\n", o.dir);
    } else {
        fprintf(stderr, "bench_map: kept %s\n", o.dir);
    }
    free(o.dir);
    free(o.hub_bin);
    return rc ? 1 : 0;
}
