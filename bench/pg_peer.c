/*
 * pg_peer.c -- bench_pg: the PostgreSQL peer of the hub benchmark (issue 7).
 *
 * The hub is measured against what a province would otherwise build: a
 * PostgreSQL database with a DHIS2-style value table, loaded the way a
 * competent engineer would. So this program deliberately does nothing
 * clever that such an engineer would not also do:
 *
 *   - schema: orgunit / period / dataelement lookup tables and the value
 *     table datavalue(indicator_id, period_id, unit_id, value) keyed by
 *     (indicator, period, unit), DHIS2's datavalue shape, plus one
 *     secondary index on (period_id, unit_id): the facility query is then a
 *     100-row range and the district query 100 such ranges, and the
 *     province queries read one contiguous period slice of it. No foreign
 *     keys (DHIS2 has them; leaving them out only favours PostgreSQL).
 *   - ingest: the province's reports from bench_data.h, in bench order, as
 *     upserts (a resubmitted report must replace its values, as on the
 *     hub), --batch reports per transaction, over one connection, with the
 *     server's default durability (synchronous_commit = on: this program
 *     never changes it and prints what the server runs with). A report is
 *     acknowledged when its transaction commits, so each report's latency
 *     is the commit time minus the time its batch started.
 *   - two ways to send a batch, both kept behind --load so the choice can
 *     be re-measured: "values", one multi-row INSERT ... VALUES ...
 *     ON CONFLICT DO UPDATE per batch; and "copy", COPY into a temporary
 *     table then INSERT ... SELECT ... ON CONFLICT DO UPDATE. Measured on
 *     the 2-core dev machine (PostgreSQL 15, 20,000 reports, batch 100,
 *     two runs each): values 75-82k rows/s, ack p50 124-129 ms; copy
 *     136-137k rows/s, ack p50 74 ms. Copy is ~1.65x faster (the server
 *     parses plain COPY text instead of a 10,000-tuple VALUES list), so it
 *     is the default.
 *   - after the load: VACUUM ANALYZE (what anyone does after a bulk load,
 *     so the planner has statistics), then the table's size with its
 *     indexes, then the four read queries as prepared statements with
 *     random parameters, each timed from send to last row received.
 *
 * Output is one "pg <name> <value>" line per figure on stdout, so a script
 * can grep it; progress and errors go to stderr.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "bench_data.h"

#define PGP_REPORTS_ALL ((unsigned) (BENCH_FACILITIES * BENCH_MONTHS))
/* Unit ids: facilities are 0..9,999 (bench order), districts and the
 * province sit above them in the same orgunit table, as in DHIS2. */
#define PGP_DISTRICT_ID0 100000
#define PGP_PROVINCE_ID 200000

/* Error codes: 0 is success, these negatives are this program's own. */
enum {
    PGP_ERR_USAGE = -31900,   /* bad command line */
    PGP_ERR_CONNECT = -31899, /* could not connect to the server */
    PGP_ERR_SQL = -31898,     /* a statement or COPY failed */
    PGP_ERR_CHECK = -31897,   /* a query answered something unexpected */
};

static const char *pgp_strerror(int err)
{
    switch (err) {
    case 0: return "success";
    case PGP_ERR_USAGE: return "PGP_ERR_USAGE: bad command line";
    case PGP_ERR_CONNECT: return "PGP_ERR_CONNECT: cannot connect to PostgreSQL";
    case PGP_ERR_SQL: return "PGP_ERR_SQL: a statement failed";
    case PGP_ERR_CHECK: return "PGP_ERR_CHECK: a query returned wrong data";
    default: return "unknown error";
    }
}

/* One log line format: time, level, component, message. */
#define PGP_LOG(level, ...) pgp_log((level), __VA_ARGS__)
__attribute__((format(printf, 2, 3))) static void pgp_log(const char *level,
                                                          const char *fmt, ...)
{
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    va_list ap;

    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", localtime_r(&now, &tm));
    fprintf(stderr, "%s %s bench_pg: ", stamp, level);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* The one place out-of-memory is handled: a benchmark without memory has
 * nothing useful left to measure. */
static void *pgp_malloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p) {
        PGP_LOG("FATAL", "out of memory (%zu bytes)", size);
        abort();
    }
    return p;
}

static double pgp_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int pgp_cmp_double(const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile; sorts the samples in place. */
static double pgp_percentile(double *v, size_t n, double p)
{
    size_t rank;
    if (n == 0)
        return 0.0;
    qsort(v, n, sizeof *v, pgp_cmp_double);
    rank = (size_t) (p * (double) n + 0.999999);
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return v[rank - 1];
}

typedef struct {
    const char *conninfo; /* libpq connection string (--conninfo) */
    unsigned reports;     /* reports to load, first N in bench order */
    unsigned batch;       /* reports per transaction */
    unsigned queries;     /* runs of each query kind */
    int load_copy;        /* 1: COPY + INSERT SELECT, 0: multi-row VALUES */
} pgp_config_t;

typedef struct {
    pgp_config_t cfg; /* what to do */
    PGconn *conn;     /* the one connection everything runs on */
    char *buf;        /* one batch's statement or COPY text */
    size_t buf_cap;   /* bytes allocated for buf */
    size_t buf_len;   /* bytes used in buf */
    double *ack_ms;   /* ack latency of each report loaded */
    double *q_ms;     /* latencies of the current query kind */
    uint64_t rng;     /* xorshift state: same parameters every run */
} pgp_t;

static pgp_t *pgp_new(const pgp_config_t *cfg)
{
    pgp_t *p = pgp_malloc(sizeof *p);
    memset(p, 0, sizeof *p);
    p->cfg = *cfg;
    /* ~40 bytes per value row in either text format, with headroom. */
    p->buf_cap = (size_t) cfg->batch * BENCH_INDICATORS * 48 + 4096;
    p->buf = pgp_malloc(p->buf_cap);
    p->ack_ms = pgp_malloc((size_t) cfg->reports * sizeof *p->ack_ms);
    p->q_ms = pgp_malloc((size_t) (cfg->queries ? cfg->queries : 1) *
                         sizeof *p->q_ms);
    p->rng = 0x9e3779b97f4a7c15ULL;
    return p;
}

static void pgp_destroy(pgp_t **self_p)
{
    pgp_t *p;
    if (!self_p || !*self_p)
        return;
    p = *self_p;
    if (p->conn)
        PQfinish(p->conn);
    free(p->buf);
    free(p->ack_ms);
    free(p->q_ms);
    free(p);
    *self_p = NULL;
}

static uint64_t pgp_rand(pgp_t *p)
{
    p->rng ^= p->rng << 13;
    p->rng ^= p->rng >> 7;
    p->rng ^= p->rng << 17;
    return p->rng;
}

/* Append formatted text to the batch buffer (sized for a whole batch up
 * front, so overflowing it is a programmer error). */
__attribute__((format(printf, 2, 3))) static void pgp_append(pgp_t *p,
                                                            const char *fmt, ...)
{
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(p->buf + p->buf_len, p->buf_cap - p->buf_len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t) n >= p->buf_cap - p->buf_len) {
        PGP_LOG("FATAL", "batch buffer overflow");
        abort();
    }
    p->buf_len += (size_t) n;
}

/* Run one statement that must end in `want`; logs the server's message. */
static int pgp_exec(pgp_t *p, const char *sql, ExecStatusType want)
{
    int rc = 0;
    PGresult *res = PQexec(p->conn, sql);
    if (PQresultStatus(res) != want) {
        PGP_LOG("ERROR", "%.60s...: %s", sql, PQerrorMessage(p->conn));
        rc = PGP_ERR_SQL;
    }
    PQclear(res);
    return rc;
}

/* Run a one-row, one-column query and return its text in out. */
static int pgp_scalar(pgp_t *p, const char *sql, char *out, size_t len)
{
    int rc = 0;
    PGresult *res = PQexec(p->conn, sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        PGP_LOG("ERROR", "%s: %s", sql, PQerrorMessage(p->conn));
        rc = PGP_ERR_SQL;
        goto out_clear;
    }
    snprintf(out, len, "%s", PQgetvalue(res, 0, 0));
out_clear:
    PQclear(res);
    return rc;
}

/* COPY the buffer's text into the table named by copy_sql. */
static int pgp_copy_buf(pgp_t *p, const char *copy_sql)
{
    int rc = 0;
    PGresult *res = PQexec(p->conn, copy_sql);
    if (PQresultStatus(res) != PGRES_COPY_IN) {
        PGP_LOG("ERROR", "%s: %s", copy_sql, PQerrorMessage(p->conn));
        PQclear(res);
        return PGP_ERR_SQL;
    }
    PQclear(res);
    if (PQputCopyData(p->conn, p->buf, (int) p->buf_len) != 1 ||
        PQputCopyEnd(p->conn, NULL) != 1) {
        PGP_LOG("ERROR", "sending COPY data: %s", PQerrorMessage(p->conn));
        rc = PGP_ERR_SQL;
    }
    /* Drain every result, even after a failure, so the connection is
     * usable (or at least closable) afterwards. */
    while ((res = PQgetResult(p->conn)) != NULL) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            PGP_LOG("ERROR", "%s: %s", copy_sql, PQerrorMessage(p->conn));
            rc = PGP_ERR_SQL;
        }
        PQclear(res);
    }
    return rc;
}

static int pgp_connect(pgp_t *p)
{
    char fsync_s[32], sync_s[32], sb[32], ver[32];
    int rc;

    p->conn = PQconnectdb(p->cfg.conninfo);
    if (PQstatus(p->conn) != CONNECTION_OK) {
        PGP_LOG("ERROR", "connect: %s", PQerrorMessage(p->conn));
        return PGP_ERR_CONNECT;
    }
    /* Print the durability the figures were measured under, so a result
     * can never be quoted without it. */
    if ((rc = pgp_scalar(p, "SHOW server_version", ver, sizeof ver)) ||
        (rc = pgp_scalar(p, "SHOW fsync", fsync_s, sizeof fsync_s)) ||
        (rc = pgp_scalar(p, "SHOW synchronous_commit", sync_s, sizeof sync_s)) ||
        (rc = pgp_scalar(p, "SHOW shared_buffers", sb, sizeof sb)))
        return rc;
    printf("pg server_version %s\npg fsync %s\npg synchronous_commit %s\n"
           "pg shared_buffers %s\n",
           ver, fsync_s, sync_s, sb);
    fflush(stdout);
    return 0;
}

/* Step (a): the schema, and the lookup tables filled with the same codes
 * the hub is given. */
static int pgp_create_schema(pgp_t *p)
{
    static const char *ddl =
        "SET client_min_messages = warning;"
        "DROP TABLE IF EXISTS datavalue, orgunit, period, dataelement;"
        "CREATE TABLE orgunit (unit_id int PRIMARY KEY, code text NOT NULL"
        " UNIQUE, level smallint NOT NULL, parent_id int, district_id int);"
        /* the district query finds its facilities through this */
        "CREATE INDEX orgunit_district_idx ON orgunit (district_id);"
        "CREATE TABLE period (period_id int PRIMARY KEY, iso text NOT NULL"
        " UNIQUE, startdate date NOT NULL);"
        "CREATE TABLE dataelement (indicator_id smallint PRIMARY KEY,"
        " code text NOT NULL UNIQUE);"
        "CREATE TABLE datavalue (indicator_id smallint NOT NULL,"
        " period_id int NOT NULL, unit_id int NOT NULL, value bigint NOT NULL,"
        " PRIMARY KEY (indicator_id, period_id, unit_id));"
        /* facility = one range, district = 100 ranges, province = one
         * period slice; the primary key (indicator first) serves none. */
        "CREATE INDEX datavalue_period_unit_idx ON datavalue"
        " (period_id, unit_id);";
    char code[32];
    unsigned i;
    int rc;

    if ((rc = pgp_exec(p, ddl, PGRES_COMMAND_OK)))
        return rc;

    p->buf_len = 0;
    pgp_append(p, "%d\tP\t1\t\\N\t\\N\n", PGP_PROVINCE_ID);
    for (i = 0; i < BENCH_DISTRICTS; i++) {
        bench_district_code(i, code, sizeof code);
        pgp_append(p, "%u\t%s\t2\t%d\t\\N\n", PGP_DISTRICT_ID0 + i, code,
                   PGP_PROVINCE_ID);
    }
    if ((rc = pgp_copy_buf(p, "COPY orgunit FROM STDIN")))
        return rc;
    p->buf_len = 0;
    for (i = 0; i < BENCH_FACILITIES; i++) {
        unsigned d = PGP_DISTRICT_ID0 + i / BENCH_PER_DISTRICT;
        bench_facility_code(i, code, sizeof code);
        pgp_append(p, "%u\t%s\t3\t%u\t%u\n", i, code, d, d);
    }
    if ((rc = pgp_copy_buf(p, "COPY orgunit FROM STDIN")))
        return rc;

    p->buf_len = 0;
    for (i = 0; i < BENCH_MONTHS; i++) {
        bench_period(i, code, sizeof code);
        pgp_append(p, "%u\t%s\t%s-01\n", i, code, code);
    }
    if ((rc = pgp_copy_buf(p, "COPY period FROM STDIN")))
        return rc;
    p->buf_len = 0;
    for (i = 0; i < BENCH_INDICATORS; i++)
        pgp_append(p, "%u\tind%03u\n", i, i);
    if ((rc = pgp_copy_buf(p, "COPY dataelement FROM STDIN")))
        return rc;
    return pgp_exec(p, "ANALYZE orgunit; ANALYZE period; ANALYZE dataelement",
                    PGRES_COMMAND_OK);
}

/* Write one batch (reports [first, first+n)) into the buffer in the
 * format the load method sends. */
static void pgp_format_batch(pgp_t *p, unsigned first, unsigned n)
{
    unsigned r, i;
    p->buf_len = 0;
    if (!p->cfg.load_copy)
        pgp_append(p, "INSERT INTO datavalue (indicator_id, period_id, unit_id,"
                      " value) VALUES ");
    for (r = first; r < first + n; r++) {
        unsigned f = r % BENCH_FACILITIES, m = r / BENCH_FACILITIES;
        for (i = 0; i < BENCH_INDICATORS; i++) {
            int64_t v = bench_value(f, m, i);
            if (p->cfg.load_copy)
                pgp_append(p, "%u\t%u\t%u\t%" PRId64 "\n", i, m, f, v);
            else
                pgp_append(p, "%s(%u,%u,%u,%" PRId64 ")",
                           r == first && i == 0 ? "" : ",", i, m, f, v);
        }
    }
    if (!p->cfg.load_copy)
        pgp_append(p, " ON CONFLICT (indicator_id, period_id, unit_id)"
                      " DO UPDATE SET value = EXCLUDED.value");
}

/* Step (b): load the reports, batch by batch, one transaction each. */
static int pgp_load(pgp_t *p)
{
    static const char *upsert_stage =
        "INSERT INTO datavalue SELECT * FROM stage"
        " ON CONFLICT (indicator_id, period_id, unit_id)"
        " DO UPDATE SET value = EXCLUDED.value";
    unsigned first, n, r, next_log = 0;
    double start, t0, t1, total_s, p50, p99;
    int rc;

    /* Unlogged by nature and emptied at each commit: the staging table
     * costs no WAL, and the upsert from it is what is made durable. */
    if (p->cfg.load_copy &&
        (rc = pgp_exec(p, "CREATE TEMP TABLE stage (LIKE datavalue)"
                          " ON COMMIT DELETE ROWS", PGRES_COMMAND_OK)))
        return rc;

    start = pgp_now_ms();
    for (first = 0; first < p->cfg.reports; first += n) {
        n = p->cfg.reports - first;
        if (n > p->cfg.batch)
            n = p->cfg.batch;

        /* The batch's reports are "received" when it starts; they are
         * acknowledged when COMMIT returns. */
        t0 = pgp_now_ms();
        pgp_format_batch(p, first, n);
        if ((rc = pgp_exec(p, "BEGIN", PGRES_COMMAND_OK)))
            return rc;
        if (p->cfg.load_copy) {
            if ((rc = pgp_copy_buf(p, "COPY stage FROM STDIN")) ||
                (rc = pgp_exec(p, upsert_stage, PGRES_COMMAND_OK)))
                return rc;
        } else if ((rc = pgp_exec(p, p->buf, PGRES_COMMAND_OK))) {
            return rc;
        }
        if ((rc = pgp_exec(p, "COMMIT", PGRES_COMMAND_OK)))
            return rc;
        t1 = pgp_now_ms();
        for (r = first; r < first + n; r++)
            p->ack_ms[r] = t1 - t0;

        if (first >= next_log) {
            PGP_LOG("INFO", "loaded %u/%u reports", first + n, p->cfg.reports);
            next_log += p->cfg.reports / 10 ? p->cfg.reports / 10 : 1;
        }
    }
    total_s = (pgp_now_ms() - start) / 1e3;

    printf("pg load_method %s\npg reports %u\npg values %" PRIu64
           "\npg batch_reports %u\n",
           p->cfg.load_copy ? "copy_upsert" : "values_upsert", p->cfg.reports,
           (uint64_t) p->cfg.reports * BENCH_INDICATORS, p->cfg.batch);
    printf("pg ingest_s %.2f\npg ingest_reports_per_s %.1f\n"
           "pg ingest_values_per_s %.1f\n",
           total_s, p->cfg.reports / total_s,
           (double) p->cfg.reports * BENCH_INDICATORS / total_s);
    p50 = pgp_percentile(p->ack_ms, p->cfg.reports, 0.50);
    p99 = pgp_percentile(p->ack_ms, p->cfg.reports, 0.99);
    /* sorted by now: the last is the slowest */
    printf("pg ack_p50_ms %.2f\npg ack_p99_ms %.2f\npg ack_max_ms %.2f\n",
           p50, p99, p->ack_ms[p->cfg.reports - 1]);
    fflush(stdout);
    return 0;
}

/* Step (c): statistics for the planner, then the size on disk. */
static int pgp_size(pgp_t *p)
{
    char total[32], table[32], index[32];
    double t0 = pgp_now_ms();
    int rc;

    if ((rc = pgp_exec(p, "VACUUM (ANALYZE) datavalue", PGRES_COMMAND_OK)))
        return rc;
    printf("pg vacuum_analyze_s %.2f\n", (pgp_now_ms() - t0) / 1e3);
    if ((rc = pgp_scalar(p, "SELECT pg_total_relation_size('datavalue')",
                         total, sizeof total)) ||
        (rc = pgp_scalar(p, "SELECT pg_table_size('datavalue')", table,
                         sizeof table)) ||
        (rc = pgp_scalar(p, "SELECT pg_indexes_size('datavalue')", index,
                         sizeof index)))
        return rc;
    printf("pg table_bytes %s\npg index_bytes %s\npg total_bytes %s\n"
           "pg bytes_per_report %.1f\n",
           table, index, total, strtod(total, NULL) / p->cfg.reports);
    fflush(stdout);
    return 0;
}

/* The four read queries. Parameters: $1 period (or first period), then
 * the last period, the district's unit id or the facility's unit id. */
enum { Q_PROVINCE_MONTH, Q_PROVINCE_YTD, Q_DISTRICT_MONTH, Q_FACILITY_MONTH,
       Q_KINDS };
static const struct {
    const char *name; /* figure name and prepared statement name */
    const char *sql;  /* the query a DHIS2-style schema would run */
    int nparams;      /* parameters it takes */
} pgp_queries[Q_KINDS] = {
    {"province_month",
     "SELECT indicator_id, sum(value) FROM datavalue WHERE period_id = $1"
     " GROUP BY indicator_id",
     1},
    {"province_ytd",
     "SELECT indicator_id, sum(value) FROM datavalue"
     " WHERE period_id BETWEEN $1 AND $2 GROUP BY indicator_id",
     2},
    {"district_month",
     "SELECT d.indicator_id, sum(d.value) FROM datavalue d"
     " JOIN orgunit o ON o.unit_id = d.unit_id"
     " WHERE o.district_id = $2 AND d.period_id = $1 GROUP BY d.indicator_id",
     2},
    {"facility_month",
     "SELECT indicator_id, value FROM datavalue"
     " WHERE period_id = $1 AND unit_id = $2",
     2},
};

/* Check an answer's shape, and for the facility query its every value:
 * it is cheap and proves the load stored what bench_data.h defines. */
static int pgp_check(int kind, PGresult *res, unsigned month, unsigned fac)
{
    int i;
    if (PQntuples(res) != BENCH_INDICATORS) {
        PGP_LOG("ERROR", "%s: %d rows, expected %d", pgp_queries[kind].name,
                PQntuples(res), BENCH_INDICATORS);
        return PGP_ERR_CHECK;
    }
    if (kind != Q_FACILITY_MONTH)
        return 0;
    for (i = 0; i < PQntuples(res); i++) {
        unsigned ind = (unsigned) strtoul(PQgetvalue(res, i, 0), NULL, 10);
        long long v = strtoll(PQgetvalue(res, i, 1), NULL, 10);
        if (v != bench_value(fac, month, ind)) {
            PGP_LOG("ERROR", "facility %u month %u ind %u: %lld, expected %"
                    PRId64, fac, month, ind, v, bench_value(fac, month, ind));
            return PGP_ERR_CHECK;
        }
    }
    return 0;
}

/* Step (d): each query kind --queries times, random loaded parameters. */
static int pgp_run_queries(pgp_t *p)
{
    char a[16], b[16];
    const char *params[2] = {a, b};
    PGresult *res;
    unsigned k, q;
    int rc;

    for (k = 0; k < Q_KINDS; k++) {
        res = PQprepare(p->conn, pgp_queries[k].name, pgp_queries[k].sql,
                        pgp_queries[k].nparams, NULL);
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            PGP_LOG("ERROR", "prepare %s: %s", pgp_queries[k].name,
                    PQerrorMessage(p->conn));
            PQclear(res);
            return PGP_ERR_SQL;
        }
        PQclear(res);
    }

    for (k = 0; k < Q_KINDS; k++) {
        for (q = 0; q < p->cfg.queries; q++) {
            /* A random loaded report picks the period and the unit, so a
             * partial load (--reports) never asks for missing data. */
            unsigned r = (unsigned) (pgp_rand(p) % p->cfg.reports);
            unsigned m = r / BENCH_FACILITIES, f = r % BENCH_FACILITIES;
            double t0;

            switch (k) {
            case Q_PROVINCE_MONTH:
                snprintf(a, sizeof a, "%u", m);
                break;
            case Q_PROVINCE_YTD:
                snprintf(a, sizeof a, "%u", m - m % 12);
                snprintf(b, sizeof b, "%u", m);
                break;
            case Q_DISTRICT_MONTH:
                snprintf(a, sizeof a, "%u", m);
                snprintf(b, sizeof b, "%u",
                         PGP_DISTRICT_ID0 + f / BENCH_PER_DISTRICT);
                break;
            default:
                snprintf(a, sizeof a, "%u", m);
                snprintf(b, sizeof b, "%u", f);
                break;
            }
            t0 = pgp_now_ms();
            res = PQexecPrepared(p->conn, pgp_queries[k].name,
                                 pgp_queries[k].nparams, params, NULL, NULL, 0);
            p->q_ms[q] = pgp_now_ms() - t0;
            if (PQresultStatus(res) != PGRES_TUPLES_OK) {
                PGP_LOG("ERROR", "%s: %s", pgp_queries[k].name,
                        PQerrorMessage(p->conn));
                PQclear(res);
                return PGP_ERR_SQL;
            }
            rc = pgp_check((int) k, res, m, f);
            PQclear(res);
            if (rc)
                return rc;
        }
        printf("pg q_%s_p50_ms %.3f\n", pgp_queries[k].name,
               pgp_percentile(p->q_ms, p->cfg.queries, 0.50));
        printf("pg q_%s_p99_ms %.3f\n", pgp_queries[k].name,
               pgp_percentile(p->q_ms, p->cfg.queries, 0.99));
        fflush(stdout);
    }
    return 0;
}

static int pgp_run(pgp_t *p)
{
    int rc;
    if ((rc = pgp_connect(p)))
        return rc;
    PGP_LOG("INFO", "schema");
    if ((rc = pgp_create_schema(p)))
        return rc;
    PGP_LOG("INFO", "load %u reports, %u per transaction, %s", p->cfg.reports,
            p->cfg.batch, p->cfg.load_copy ? "copy" : "values");
    if ((rc = pgp_load(p)))
        return rc;
    PGP_LOG("INFO", "vacuum analyze and size");
    if ((rc = pgp_size(p)))
        return rc;
    if (p->cfg.queries == 0)
        return 0;
    PGP_LOG("INFO", "queries, %u of each kind", p->cfg.queries);
    return pgp_run_queries(p);
}

static int pgp_parse_uint(const char *s, unsigned min, unsigned max,
                          unsigned *out)
{
    char *end;
    unsigned long v;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || v < min || v > max)
        return PGP_ERR_USAGE;
    *out = (unsigned) v;
    return 0;
}

static void pgp_usage(void)
{
    fprintf(stderr,
            "usage: bench_pg --conninfo STR [--reports N (default %u)]\n"
            "                [--batch N (default 100)] [--queries N (default"
            " 1000)]\n"
            "                [--load copy|values (default copy)]\n",
            PGP_REPORTS_ALL);
}

static int pgp_parse_args(int argc, char **argv, pgp_config_t *cfg)
{
    int i;
    cfg->conninfo = NULL;
    cfg->reports = PGP_REPORTS_ALL;
    cfg->batch = 100;
    cfg->queries = 1000;
    cfg->load_copy = 1;

    /* options come in pairs: --name value */
    for (i = 1; i < argc; i += 2) {
        const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        int rc = 0;
        if (!val)
            return PGP_ERR_USAGE;
        if (!strcmp(opt, "--conninfo"))
            cfg->conninfo = val;
        else if (!strcmp(opt, "--reports"))
            rc = pgp_parse_uint(val, 1, PGP_REPORTS_ALL, &cfg->reports);
        else if (!strcmp(opt, "--batch"))
            /* 100,000 rows per statement keeps VALUES far below libpq's
             * and the server's limits. */
            rc = pgp_parse_uint(val, 1, 1000, &cfg->batch);
        else if (!strcmp(opt, "--queries"))
            rc = pgp_parse_uint(val, 0, 10000000, &cfg->queries);
        else if (!strcmp(opt, "--load") && !strcmp(val, "copy"))
            cfg->load_copy = 1;
        else if (!strcmp(opt, "--load") && !strcmp(val, "values"))
            cfg->load_copy = 0;
        else
            rc = PGP_ERR_USAGE;
        if (rc)
            return rc;
    }
    return cfg->conninfo ? 0 : PGP_ERR_USAGE;
}

int main(int argc, char **argv)
{
    pgp_config_t cfg;
    pgp_t *p;
    int rc;

    if ((rc = pgp_parse_args(argc, argv, &cfg))) {
        pgp_usage();
        return 2;
    }
    p = pgp_new(&cfg);
    rc = pgp_run(p);
    if (rc)
        PGP_LOG("ERROR", "%s", pgp_strerror(rc));
    pgp_destroy(&p);
    return rc ? 1 : 0;
}
