/*
 * cmd_audit.c -- `baocao audit`: the hub's submission log for auditors.
 *
 *   export   store -> a portable file: an ExportHeader, then LogEntry
 *            messages, each prefixed with its length (varint), as protobuf's
 *            writeDelimitedTo does, so any protobuf library reads it back
 *   verify   recomputes the SHA-256 chain of a file or a store and names the
 *            first entry that does not fit
 *   history  every revision of one report, who sent it, which is current
 *   replay   rebuilds a store from a file alone (--into), or resends the
 *            file's submissions to another hub (--to)
 *   digest   one line that sums up every current figure of a store
 *
 * The tools open the hub's store read-only: they may run beside a live hub.
 */
#include "bc_client.h"
#include "bc_error.h"
#include "bc_mem.h"
#include "bc_period.h"
#include "bc_registry.h"
#include "bc_wire.h"
#include "cmd.h"
#include "hub_store.h"
#include "hub_validate.h"

#include <czmq.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    client_opts_t client;   /* for replay --to */
    char *store;            /* hub store directory */
    char *out;              /* export file */
    char *unit;             /* filter / history unit */
    char *period;           /* history period */
    char *from;             /* export: from date YYYY-MM-DD */
    char *into;             /* replay: new store directory */
    char *to;               /* replay: hub endpoint */
    char *registry;         /* replay --into: units file */
    char *catalog;          /* replay --into: catalogue file */
    long long map_size;     /* replay --into: map size */
    long long window;       /* replay --to: requests in flight */
} audit_cfg_t;

#define AC(f) offsetof(audit_cfg_t, f)
static const bc_option_t audit_options[] = {
    {"hub-key", BC_OPT_STRING, AC(client.hub_key), 0, 0, NULL, "HUB.pub",
     "replay --to: the hub's public key (CURVE)"},
    {"cert", BC_OPT_STRING, AC(client.cert), 0, 0, NULL, "NAME.secret",
     "replay --to: our key pair"},
    {"plain", BC_OPT_BOOL, AC(client.plain), 0, 0, NULL, NULL,
     "replay --to: connect without encryption"},
    {"timeout", BC_OPT_INT, AC(client.timeout_ms), 10, 3600000, "30000", "MS",
     "replay --to: give up when the hub is silent this long"},
    {"store", BC_OPT_STRING, AC(store), 0, 0, NULL, "HUB_DIR",
     "the hub's store directory"},
    {"out", BC_OPT_STRING, AC(out), 0, 0, NULL, "FILE", "export: the file"},
    {"unit", BC_OPT_STRING, AC(unit), 0, 0, NULL, "CODE",
     "export: only this unit's submissions; history: the unit"},
    {"period", BC_OPT_STRING, AC(period), 0, 0, NULL, "PERIOD",
     "history: the period"},
    {"from", BC_OPT_STRING, AC(from), 0, 0, NULL, "YYYY-MM-DD",
     "export: received on or after this day (UTC)"},
    {"to", BC_OPT_STRING, AC(to), 0, 0, NULL, "ENDPOINT|YYYY-MM-DD",
     "replay: the hub to resend to; export: received up to this day"},
    {"into", BC_OPT_STRING, AC(into), 0, 0, NULL, "NEW_HUB_DIR",
     "replay: rebuild a new store here"},
    {"registry", BC_OPT_STRING, AC(registry), 0, 0, "data/units.csv",
     "UNITS.csv", "replay --into: the hub's registry"},
    {"catalog", BC_OPT_STRING, AC(catalog), 0, 0, "data/indicators.csv",
     "INDICATORS.csv", "replay --into: the hub's catalogue"},
    {"map-size", BC_OPT_INT, AC(map_size), 1 << 20, 1LL << 40, "8G", "BYTES",
     "replay --into: LMDB map size"},
    {"window", BC_OPT_INT, AC(window), 1, 100000, "256", "N",
     "replay --to: submissions in flight"},
};
#define NAUDIT (sizeof audit_options / sizeof audit_options[0])

static const char *audit_synopsis =
    "export --store HUB_DIR --out FILE [--unit CODE] [--from DATE] [--to DATE]\n"
    "       baocao audit verify (FILE | --store HUB_DIR)\n"
    "       baocao audit history --store HUB_DIR --unit CODE --period PERIOD\n"
    "       baocao audit replay FILE (--into NEW_HUB_DIR | --to ENDPOINT)\n"
    "       baocao audit digest --store HUB_DIR";

static const char *outcome_name(uint32_t o)
{
    switch (o) {
    case BAOCAO__OUTCOME__OUTCOME_STORED:     return "stored";
    case BAOCAO__OUTCOME__OUTCOME_DUPLICATE:  return "duplicate";
    case BAOCAO__OUTCOME__OUTCOME_SUPERSEDED: return "superseded";
    case BAOCAO__OUTCOME__OUTCOME_REJECTED:   return "rejected";
    default:                                  return "?";
    }
}

static void hex32(const uint8_t *h, char out[65])
{
    static const char d[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = d[h[i] >> 4];
        out[2 * i + 1] = d[h[i] & 15];
    }
    out[64] = '\0';
}

/* Progress on a terminal only; logs and pipes stay clean. */
static void progress(const char *what, uint64_t done, uint64_t total)
{
    static int64_t last;
    if (!isatty(2))
        return;
    int64_t now = zclock_mono();
    if (done != total && now - last < 200)
        return;
    last = now;
    if (total)
        fprintf(stderr, "\r%s %llu / %llu (%.0f %%)", what,
                (unsigned long long) done, (unsigned long long) total,
                100.0 * (double) done / (double) total);
    else
        fprintf(stderr, "\r%s %llu", what, (unsigned long long) done);
    if (done == total)
        fputc('\n', stderr);
}

/* --- length-delimited files ---------------------------------------------- */

static int write_delimited(FILE *f, const ProtobufCMessage *m)
{
    size_t len;
    uint8_t *buf = bc_wire_pack(m, &len);
    uint8_t var[10];
    size_t n = 0;
    size_t l = len;
    do {
        var[n] = l & 0x7f;
        l >>= 7;
        var[n++] |= l ? 0x80 : 0;
    } while (l);
    int ok = fwrite(var, 1, n, f) == n && fwrite(buf, 1, len, f) == len;
    free(buf);
    return ok ? BC_OK : BC_EIO;
}

/* Reads one record; returns 1 with *buf (malloc'ed) and *len, 0 at a clean
 * end of file, -1 on a truncated or absurd record. */
static int read_delimited(FILE *f, uint8_t **buf, size_t *len)
{
    uint64_t l = 0;
    int shift = 0, c;
    for (;;) {
        c = fgetc(f);
        if (c == EOF)
            return shift == 0 ? 0 : -1;
        l |= (uint64_t) (c & 0x7f) << shift;
        if (!(c & 0x80))
            break;
        shift += 7;
        if (shift > 35)
            return -1;
    }
    if (l > (64u << 20))
        return -1;
    *buf = bc_malloc(l ? l : 1);
    if (fread(*buf, 1, l, f) != l) {
        bc_free(buf);
        return -1;
    }
    *len = l;
    return 1;
}

/* --- export -------------------------------------------------------------- */

/* Does a logged request belong to `unit`? Malformed bytes belong to none. */
static bool entry_unit_is(const hub_log_entry_t *e, const char *unit)
{
    Baocao__Request *req = baocao__request__unpack(NULL, e->request_len,
                                                   e->request);
    bool yes = req && req->body_case == BAOCAO__REQUEST__BODY_SUBMIT
               && strcmp(req->submit->unit, unit) == 0;
    if (req)
        baocao__request__free_unpacked(req, NULL);
    return yes;
}

static int parse_day(const char *text, int64_t *out)
{
    struct tm tm = {0};
    char *end = strptime(text, "%Y-%m-%d", &tm);
    if (!end || *end)
        return -1;
    *out = (int64_t) timegm(&tm) * 1000000;
    return 0;
}

typedef struct {
    FILE *f;                /* output */
    const char *unit;       /* filter or NULL */
    int64_t from_us, to_us; /* receipt window */
    uint64_t written;       /* entries written */
    uint64_t total;         /* entries in the store */
    uint64_t seen;          /* entries looked at */
    int rc;                 /* first write error */
} export_ctx_t;

static int export_one(void *arg, const hub_log_entry_t *e)
{
    export_ctx_t *x = arg;
    progress("exported", ++x->seen, x->total);
    if (e->received_at < x->from_us || e->received_at >= x->to_us)
        return 0;
    if (x->unit && !entry_unit_is(e, x->unit))
        return 0;
    Baocao__LogEntry le = BAOCAO__LOG_ENTRY__INIT;
    le.seq = e->seq;
    le.received_at = e->received_at;
    char *peer = bc_strndup(e->peer, e->peer_len);
    le.peer = peer;
    le.outcome = (Baocao__Outcome) e->outcome;
    le.reason = (Baocao__RejectReason) e->reason;
    le.request.data = (uint8_t *) e->request;
    le.request.len = e->request_len;
    le.prev_hash.data = (uint8_t *) e->prev_hash;
    le.prev_hash.len = 32;
    le.hash.data = (uint8_t *) e->hash;
    le.hash.len = 32;
    x->rc = write_delimited(x->f, &le.base);
    free(peer);
    x->written++;
    return x->rc != BC_OK;
}

/* The header needs counts known only after the pass: write the entries to
 * a temporary file first, then header + entries to the destination. */
static int audit_export(audit_cfg_t *cfg)
{
    char err[512], tmp[4096];
    int status = EXIT_FAIL;
    if (!cfg->store || !cfg->out) {
        fprintf(stderr, "baocao audit export: --store and --out are "
                "required\n");
        return EXIT_USAGE;
    }
    export_ctx_t x = {NULL, cfg->unit, INT64_MIN, INT64_MAX, 0, 0, 0, 0};
    if ((cfg->from && parse_day(cfg->from, &x.from_us))
        || (cfg->to && parse_day(cfg->to, &x.to_us))) {
        fprintf(stderr, "baocao audit export: dates are YYYY-MM-DD\n");
        return EXIT_USAGE;
    }
    if (cfg->to)
        x.to_us += 86400LL * 1000000;   /* --to is inclusive */
    hub_store_t *store = hub_store_open_readonly(cfg->store, err, sizeof err);
    if (!store) {
        fprintf(stderr, "baocao audit export: %s\n", err);
        return EXIT_FAIL;
    }
    hub_reader_t *r = hub_store_reader(store);
    x.total = hub_store_last_seq(store);
    snprintf(tmp, sizeof tmp, "%s.entries.tmp", cfg->out);
    x.f = fopen(tmp, "w+b");
    FILE *out = NULL;
    if (!r || !x.f) {
        fprintf(stderr, "baocao audit export: cannot write %s: %s\n", tmp,
                strerror(errno));
        goto out_close;
    }
    /* First and last seq written, and the chain hash before the first. */
    uint64_t first = 0, last = 0;
    uint8_t chain_start[32] = {0};
    int rc = hub_reader_log(r, 1, export_one, &x);
    if (rc || x.rc) {
        fprintf(stderr, "baocao audit export: %s\n",
                bc_strerror(rc ? rc : x.rc));
        goto out_close;
    }
    /* Read back the first and last entries for the header. */
    rewind(x.f);
    uint8_t *buf;
    size_t len;
    for (uint64_t i = 0; i < x.written; i++) {
        if (read_delimited(x.f, &buf, &len) != 1)
            break;
        Baocao__LogEntry *le = baocao__log_entry__unpack(NULL, len, buf);
        free(buf);
        if (!le)
            break;
        if (i == 0) {
            first = le->seq;
            memcpy(chain_start, le->prev_hash.data,
                   le->prev_hash.len == 32 ? 32 : 0);
        }
        last = le->seq;
        baocao__log_entry__free_unpacked(le, NULL);
    }
    out = fopen(cfg->out, "wb");
    if (!out) {
        fprintf(stderr, "baocao audit export: cannot write %s: %s\n",
                cfg->out, strerror(errno));
        goto out_close;
    }
    Baocao__ExportHeader h = BAOCAO__EXPORT_HEADER__INIT;
    char filter[256], host[128] = "hub";
    snprintf(filter, sizeof filter, "%s%s%s%s%s%s",
             cfg->unit ? "unit=" : "", cfg->unit ? cfg->unit : "",
             cfg->from ? " from=" : "", cfg->from ? cfg->from : "",
             cfg->to ? " to=" : "", cfg->to ? cfg->to : "");
    gethostname(host, sizeof host - 1);
    h.format = "baocao-audit";
    h.version = 1;
    h.exported_at = time(NULL);
    h.hub = host;
    h.first_seq = first;
    h.last_seq = last;
    h.entries = x.written;
    h.filter = filter;
    h.chain_start.data = chain_start;
    h.chain_start.len = 32;
    if (write_delimited(out, &h.base)) {
        fprintf(stderr, "baocao audit export: write failed\n");
        goto out_close;
    }
    rewind(x.f);
    char copy[65536];
    size_t n;
    while ((n = fread(copy, 1, sizeof copy, x.f)) > 0)
        if (fwrite(copy, 1, n, out) != n) {
            fprintf(stderr, "baocao audit export: write failed: %s\n",
                    strerror(errno));
            goto out_close;
        }
    if (fflush(out) || fsync(fileno(out))) {
        fprintf(stderr, "baocao audit export: write failed: %s\n",
                strerror(errno));
        goto out_close;
    }
    fprintf(stderr, "exported %llu entries (seq %llu..%llu) to %s\n",
            (unsigned long long) x.written, (unsigned long long) first,
            (unsigned long long) last, cfg->out);
    status = EXIT_OK;
out_close:
    if (out)
        fclose(out);
    if (x.f) {
        fclose(x.f);
        unlink(tmp);
    }
    hub_reader_destroy(&r);
    hub_store_close(&store);
    return status;
}

/* --- verify -------------------------------------------------------------- */

typedef struct {
    uint64_t outcomes[5];   /* entries by Baocao__Outcome */
    uint64_t index;         /* entries checked (1-based position) */
    uint64_t prev_seq;      /* previous entry's seq, 0 before the first */
    uint8_t prev_hash[32];  /* previous entry's hash */
    bool filtered;          /* gaps are allowed (a filtered export) */
    char problem[256];      /* first problem found */
} verify_ctx_t;

/* Checks one entry against the chain; returns false and describes the
 * problem at the first mismatch. */
static bool check_entry(verify_ctx_t *v, uint64_t seq, int64_t received_at,
                        const char *peer, size_t peer_len, uint32_t outcome,
                        uint32_t reason, const uint8_t *req, size_t req_len,
                        const uint8_t *prev_hash, const uint8_t *hash)
{
    uint8_t want[32];
    char a[65], b[65];
    v->index++;
    uint8_t digest[32];
    hub_request_digest(req, req_len, digest);
    hub_log_hash(prev_hash, seq, received_at, peer, peer_len, outcome, reason,
                 digest, want);
    if (memcmp(want, hash, 32) != 0) {
        hex32(hash, a);
        hex32(want, b);
        snprintf(v->problem, sizeof v->problem,
                 "entry %llu (seq %llu): content does not match its hash "
                 "(altered): stored %.16s…, computed %.16s…",
                 (unsigned long long) v->index, (unsigned long long) seq, a,
                 b);
        return false;
    }
    if (v->prev_seq && seq <= v->prev_seq) {
        snprintf(v->problem, sizeof v->problem,
                 "entry %llu (seq %llu): comes after seq %llu (reordered)",
                 (unsigned long long) v->index, (unsigned long long) seq,
                 (unsigned long long) v->prev_seq);
        return false;
    }
    bool consecutive = v->prev_seq && seq == v->prev_seq + 1;
    if (v->prev_seq && !consecutive && !v->filtered) {
        snprintf(v->problem, sizeof v->problem,
                 "entry %llu (seq %llu): follows seq %llu: %llu entries "
                 "missing (removed)", (unsigned long long) v->index,
                 (unsigned long long) seq, (unsigned long long) v->prev_seq,
                 (unsigned long long) (seq - v->prev_seq - 1));
        return false;
    }
    if ((consecutive || (!v->prev_seq && v->index == 1))
        && memcmp(prev_hash, v->prev_hash, 32) != 0) {
        snprintf(v->problem, sizeof v->problem,
                 "entry %llu (seq %llu): does not chain to the entry before "
                 "it (removed, reordered or replaced)",
                 (unsigned long long) v->index, (unsigned long long) seq);
        return false;
    }
    v->prev_seq = seq;
    memcpy(v->prev_hash, hash, 32);
    v->outcomes[outcome < 5 ? outcome : 0]++;
    return true;
}

static void print_outcomes(const verify_ctx_t *v)
{
    printf("stored %llu, duplicate %llu, superseded %llu, rejected %llu\n",
           (unsigned long long) v->outcomes[BAOCAO__OUTCOME__OUTCOME_STORED],
           (unsigned long long) v->outcomes[BAOCAO__OUTCOME__OUTCOME_DUPLICATE],
           (unsigned long long) v->outcomes[BAOCAO__OUTCOME__OUTCOME_SUPERSEDED],
           (unsigned long long) v->outcomes[BAOCAO__OUTCOME__OUTCOME_REJECTED]);
}

static int verify_store_entry(void *arg, const hub_log_entry_t *e)
{
    verify_ctx_t *v = arg;
    return !check_entry(v, e->seq, e->received_at, e->peer, e->peer_len,
                        e->outcome, e->reason, e->request, e->request_len,
                        e->prev_hash, e->hash);
}

static int audit_verify(audit_cfg_t *cfg, const char *file)
{
    char err[512];
    verify_ctx_t v = {0};
    if (!file && !cfg->store) {
        fprintf(stderr, "baocao audit verify: give an export FILE or "
                "--store HUB_DIR\n");
        return EXIT_USAGE;
    }
    if (!file) {
        hub_store_t *store = hub_store_open_readonly(cfg->store, err,
                                                     sizeof err);
        if (!store) {
            fprintf(stderr, "baocao audit verify: %s\n", err);
            return EXIT_FAIL;
        }
        hub_reader_t *r = hub_store_reader(store);
        int rc = r ? hub_reader_log(r, 1, verify_store_entry, &v) : BC_ESTORE;
        hub_reader_destroy(&r);
        hub_store_close(&store);
        if (rc) {
            fprintf(stderr, "baocao audit verify: %s\n", bc_strerror(rc));
            return EXIT_FAIL;
        }
        if (*v.problem) {
            printf("BROKEN: %s\n", v.problem);
            return EXIT_FAIL;
        }
        printf("OK: %llu entries, chain intact\n",
               (unsigned long long) v.index);
        print_outcomes(&v);
        return EXIT_OK;
    }

    FILE *f = fopen(file, "rb");
    if (!f) {
        fprintf(stderr, "baocao audit verify: cannot read %s: %s\n", file,
                strerror(errno));
        return EXIT_USAGE;
    }
    uint8_t *buf = NULL;
    size_t len = 0;
    int status = EXIT_FAIL;
    Baocao__ExportHeader *h = NULL;
    if (read_delimited(f, &buf, &len) == 1)
        h = baocao__export_header__unpack(NULL, len, buf);
    bc_free(&buf);
    if (!h || strcmp(h->format, "baocao-audit") != 0) {
        printf("BROKEN: %s is not a baocao audit export (bad header)\n",
               file);
        goto out_close;
    }
    v.filtered = h->filter && *h->filter;
    if (h->chain_start.len == 32)
        memcpy(v.prev_hash, h->chain_start.data, 32);
    for (;;) {
        int got = read_delimited(f, &buf, &len);
        if (got == 0)
            break;
        Baocao__LogEntry *le = got == 1 ? baocao__log_entry__unpack(NULL, len,
                                                                    buf)
                                        : NULL;
        if (got == 1)
            free(buf);
        if (!le || le->prev_hash.len != 32 || le->hash.len != 32) {
            snprintf(v.problem, sizeof v.problem, "entry %llu (after seq "
                     "%llu): unreadable (truncated or altered)",
                     (unsigned long long) v.index + 1,
                     (unsigned long long) v.prev_seq);
            if (le)
                baocao__log_entry__free_unpacked(le, NULL);
            break;
        }
        bool ok = check_entry(&v, le->seq, le->received_at, le->peer,
                              strlen(le->peer), le->outcome, le->reason,
                              le->request.data, le->request.len,
                              le->prev_hash.data, le->hash.data);
        baocao__log_entry__free_unpacked(le, NULL);
        if (!ok)
            break;
        progress("verified", v.index, h->entries);
    }
    if (!*v.problem && v.index != h->entries)
        snprintf(v.problem, sizeof v.problem, "the header announces %llu "
                 "entries, the file holds %llu (entries removed at the end?)",
                 (unsigned long long) h->entries,
                 (unsigned long long) v.index);
    else if (!*v.problem && v.index && v.prev_seq != h->last_seq)
        snprintf(v.problem, sizeof v.problem, "the header's last seq is "
                 "%llu, the file ends at %llu",
                 (unsigned long long) h->last_seq,
                 (unsigned long long) v.prev_seq);
    if (*v.problem) {
        printf("BROKEN: %s\n", v.problem);
        goto out_close;
    }
    printf("OK: %llu entries (seq %llu..%llu), chain intact%s\n",
           (unsigned long long) v.index, (unsigned long long) h->first_seq,
           (unsigned long long) h->last_seq,
           v.filtered ? " (filtered export: entries checked one by one and "
                        "where consecutive)" : "");
    print_outcomes(&v);
    status = EXIT_OK;
out_close:
    if (h)
        baocao__export_header__free_unpacked(h, NULL);
    fclose(f);
    return status;
}

/* --- history ------------------------------------------------------------- */

typedef struct {
    hub_reader_t *r;        /* snapshot */
    uint32_t current;       /* current revision */
    unsigned n;             /* revisions printed */
} history_ctx_t;

static void on_revision(void *arg, uint32_t revision, uint64_t seq,
                        int64_t filed_at, int64_t received_at_us)
{
    history_ctx_t *h = arg;
    hub_log_entry_t e;
    char peer[96] = "?", filed[32], recv[32];
    if (hub_reader_log_entry(h->r, seq, &e) == BC_OK)
        snprintf(peer, sizeof peer, "%.*s", (int) e.peer_len, e.peer);
    time_t t1 = (time_t) filed_at, t2 = (time_t) (received_at_us / 1000000);
    struct tm tm;
    strftime(filed, sizeof filed, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t1, &tm));
    strftime(recv, sizeof recv, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t2, &tm));
    printf("%-4u %-8llu %-21s %-21s %-24s %s\n", revision,
           (unsigned long long) seq, filed, recv,
           *peer ? peer : "(plain)", revision == h->current ? "current" : "");
    h->n++;
}

static int audit_history(audit_cfg_t *cfg)
{
    char err[512];
    bc_period_t p;
    if (!cfg->store || !cfg->unit || !cfg->period) {
        fprintf(stderr, "baocao audit history: --store, --unit and --period "
                "are required\n");
        return EXIT_USAGE;
    }
    if (bc_period_parse(cfg->period, &p)) {
        fprintf(stderr, "baocao audit history: bad period '%s'\n",
                cfg->period);
        return EXIT_USAGE;
    }
    hub_store_t *store = hub_store_open_readonly(cfg->store, err, sizeof err);
    if (!store) {
        fprintf(stderr, "baocao audit history: %s\n", err);
        return EXIT_FAIL;
    }
    hub_reader_t *r = hub_store_reader(store);
    history_ctx_t h = {r, r ? hub_reader_current_revision(r, cfg->unit, p) : 0,
                       0};
    printf("%s %s\n%-4s %-8s %-21s %-21s %-24s %s\n", cfg->unit, cfg->period,
           "rev", "log seq", "filed", "received", "sent by", "");
    int rc = r ? hub_reader_revisions_code(r, cfg->unit, p, on_revision, &h)
               : BC_ESTORE;
    hub_reader_destroy(&r);
    hub_store_close(&store);
    if (rc == BC_ENOTFOUND || (!rc && !h.n)) {
        printf("(no report on record)\n");
        return EXIT_OK;
    }
    if (rc) {
        fprintf(stderr, "baocao audit history: %s\n", bc_strerror(rc));
        return EXIT_FAIL;
    }
    return EXIT_OK;
}

/* --- digest -------------------------------------------------------------- */

static int print_digest(const char *dir, const char *name)
{
    char err[512], hex[65];
    hub_store_t *store = hub_store_open_readonly(dir, err, sizeof err);
    if (!store) {
        fprintf(stderr, "baocao audit %s: %s\n", name, err);
        return EXIT_FAIL;
    }
    hub_reader_t *r = hub_store_reader(store);
    uint8_t d[32];
    uint64_t n = 0;
    int rc = r ? hub_reader_digest(r, d, &n) : BC_ESTORE;
    uint64_t seq = hub_store_last_seq(store);
    hub_reader_destroy(&r);
    hub_store_close(&store);
    if (rc) {
        fprintf(stderr, "baocao audit %s: %s\n", name, bc_strerror(rc));
        return EXIT_FAIL;
    }
    hex32(d, hex);
    printf("%s  %llu current reports  log at seq %llu\n", hex,
           (unsigned long long) n, (unsigned long long) seq);
    return EXIT_OK;
}

/* --- replay -------------------------------------------------------------- */

static uint32_t outcome_of(Baocao__AckStatus s)
{
    switch (s) {
    case BAOCAO__ACK_STATUS__ACK_STORED:     return BAOCAO__OUTCOME__OUTCOME_STORED;
    case BAOCAO__ACK_STATUS__ACK_DUPLICATE:  return BAOCAO__OUTCOME__OUTCOME_DUPLICATE;
    case BAOCAO__ACK_STATUS__ACK_SUPERSEDED: return BAOCAO__OUTCOME__OUTCOME_SUPERSEDED;
    default:                                 return BAOCAO__OUTCOME__OUTCOME_REJECTED;
    }
}

/* Rebuilds a store: every logged request goes through the same validation
 * and ingest as on the live hub, with its logged peer and receipt time, in
 * log order. The outcomes, and so the new log's chain, come out the same. */
static int replay_into(audit_cfg_t *cfg, FILE *f, uint64_t total)
{
    char err[512];
    int status = EXIT_FAIL;
    bc_registry_t *reg = bc_registry_load(cfg->registry, cfg->catalog, err,
                                          sizeof err);
    if (!reg) {
        fprintf(stderr, "baocao audit replay: %s\n", err);
        return EXIT_USAGE;
    }
    hub_store_t *store = hub_store_open(cfg->into, (size_t) cfg->map_size,
                                        reg, err, sizeof err);
    if (!store) {
        fprintf(stderr, "baocao audit replay: %s\n", err);
        bc_registry_destroy(&reg);
        return EXIT_FAIL;
    }
    if (hub_store_last_seq(store) != 0) {
        fprintf(stderr, "baocao audit replay: %s is not empty; replay into "
                "a new directory\n", cfg->into);
        goto out_close;
    }
    enum { BATCH = 4096 };
    hub_item_t *items = bc_calloc(BATCH, sizeof *items);
    Baocao__LogEntry **entries = bc_calloc(BATCH, sizeof *entries);
    Baocao__Request **reqs = bc_calloc(BATCH, sizeof *reqs);
    char (*peers)[64] = bc_calloc(BATCH, 64);
    uint64_t done = 0;
    bool eof = false;
    while (!eof) {
        size_t n = 0;
        while (n < BATCH) {
            uint8_t *buf;
            size_t len;
            int got = read_delimited(f, &buf, &len);
            if (got <= 0) {
                eof = true;
                if (got < 0)
                    fprintf(stderr, "baocao audit replay: truncated entry "
                            "after %llu; stopping there\n",
                            (unsigned long long) done);
                break;
            }
            Baocao__LogEntry *le = baocao__log_entry__unpack(NULL, len, buf);
            free(buf);
            if (!le) {
                fprintf(stderr, "baocao audit replay: unreadable entry after "
                        "%llu; run audit verify\n", (unsigned long long) done);
                eof = true;
                break;
            }
            hub_item_t *it = &items[n];
            memset(it, 0, sizeof *it);
            entries[n] = le;
            snprintf(peers[n], 64, "%s", le->peer);
            it->raw = le->request.data;
            it->raw_len = le->request.len;
            it->peer = peers[n];
            it->received_at = le->received_at;
            reqs[n] = baocao__request__unpack(NULL, le->request.len,
                                              le->request.data);
            if (!reqs[n] || reqs[n]->body_case != BAOCAO__REQUEST__BODY_SUBMIT
                || reqs[n]->version != BC_WIRE_VERSION) {
                it->reject = (Baocao__RejectReason) le->reason;
                if (it->reject == BAOCAO__REJECT_REASON__REASON_NONE)
                    it->reject = BAOCAO__REJECT_REASON__REASON_MALFORMED;
            } else {
                hub_limits_t lim = {100000, le->received_at / 1000000};
                hub_validate(reg, reqs[n]->submit, le->peer, &lim, it);
            }
            n++;
        }
        int rc = n ? hub_store_ingest(store, items, n, 0) : BC_OK;
        for (size_t i = 0; i < n; i++) {
            if (!rc && outcome_of(items[i].status) != entries[i]->outcome)
                fprintf(stderr, "warning: seq %llu is now %s, was %s\n",
                        (unsigned long long) entries[i]->seq,
                        bc_ack_status_name(items[i].status),
                        outcome_name(entries[i]->outcome));
            free(items[i].vals);
            if (reqs[i])
                baocao__request__free_unpacked(reqs[i], NULL);
            baocao__log_entry__free_unpacked(entries[i], NULL);
        }
        if (rc) {
            fprintf(stderr, "baocao audit replay: store write failed: %s\n",
                    bc_strerror(rc));
            goto out_free;
        }
        done += n;
        progress("replayed", done, total);
    }
    fprintf(stderr, "replayed %llu entries into %s\n",
            (unsigned long long) done, cfg->into);
    status = EXIT_OK;
out_free:
    free(items);
    free(entries);
    free(reqs);
    free(peers);
out_close:
    hub_store_close(&store);
    bc_registry_destroy(&reg);
    if (status == EXIT_OK)
        status = print_digest(cfg->into, "replay");
    return status;
}

/* Resends every logged submission to another hub, pipelined; counts the
 * outcomes it gets back. */
static int replay_to(audit_cfg_t *cfg, FILE *f, uint64_t total)
{
    if (!cfg->client.plain && !cfg->client.hub_key) {
        fprintf(stderr, "baocao audit replay: pass --hub-key hub.pub (and "
                "--cert), or --plain\n");
        return EXIT_USAGE;
    }
    zsock_t *sock = zsock_new(ZMQ_DEALER);
    char err[512];
    if (cfg->client.hub_key) {
        bc_security_t sec = {cfg->client.hub_key, cfg->client.cert};
        if (bc_keys_apply_client(sock, &sec, err, sizeof err)) {
            fprintf(stderr, "baocao audit replay: %s\n", err);
            zsock_destroy(&sock);
            return EXIT_USAGE;
        }
    }
    zsock_set_linger(sock, 0);
    zsock_set_sndhwm(sock, 0);
    zsock_set_rcvhwm(sock, 0);
    if (zsock_connect(sock, "%s", cfg->to) != 0) {
        fprintf(stderr, "baocao audit replay: cannot connect to %s\n",
                cfg->to);
        zsock_destroy(&sock);
        return EXIT_USAGE;
    }
    uint64_t sent = 0, answered = 0, by_status[6] = {0};
    bool eof = false;
    int64_t last_answer = zclock_mono();
    int status = EXIT_OK;
    while (!eof || answered < sent) {
        while (!eof && sent - answered < (uint64_t) cfg->window) {
            uint8_t *buf;
            size_t len;
            if (read_delimited(f, &buf, &len) != 1) {
                eof = true;
                break;
            }
            Baocao__LogEntry *le = baocao__log_entry__unpack(NULL, len, buf);
            free(buf);
            if (!le) {
                eof = true;
                break;
            }
            Baocao__Request *req = baocao__request__unpack(
                NULL, le->request.len, le->request.data);
            if (req && req->body_case == BAOCAO__REQUEST__BODY_SUBMIT) {
                /* New tag, same submission: the other hub dedups by id. */
                req->tag = ++sent;
                req->version = BC_WIRE_VERSION;
                size_t plen;
                uint8_t *packed = bc_wire_pack(&req->base, &plen);
                zframe_t *fr = zframe_new(packed, plen);
                free(packed);
                zframe_send(&fr, sock, 0);
            }
            if (req)
                baocao__request__free_unpacked(req, NULL);
            baocao__log_entry__free_unpacked(le, NULL);
        }
        if (answered >= sent)
            continue;
        zframe_t *in = NULL;
        zmq_pollitem_t item = {zsock_resolve(sock), 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, 1000) > 0)
            in = zframe_recv(sock);
        if (!in) {
            if (zclock_mono() - last_answer > cfg->client.timeout_ms) {
                fprintf(stderr, "\nbaocao audit replay: %s silent for %lld "
                        "ms; %llu of %llu answered\n", cfg->to,
                        cfg->client.timeout_ms, (unsigned long long) answered,
                        (unsigned long long) sent);
                status = EXIT_FAIL;
                break;
            }
            continue;
        }
        last_answer = zclock_mono();
        Baocao__Reply *r = baocao__reply__unpack(NULL, zframe_size(in),
                                                 zframe_data(in));
        zframe_destroy(&in);
        answered++;
        if (r && r->body_case == BAOCAO__REPLY__BODY_ACK
            && r->ack->status < 6)
            by_status[r->ack->status]++;
        if (r)
            baocao__reply__free_unpacked(r, NULL);
        progress("replayed", answered, total);
    }
    printf("sent %llu submissions: %llu stored, %llu duplicate, %llu "
           "superseded, %llu rejected, %llu retry later\n",
           (unsigned long long) sent, (unsigned long long) by_status[1],
           (unsigned long long) by_status[2], (unsigned long long) by_status[3],
           (unsigned long long) by_status[4], (unsigned long long) by_status[5]);
    zsock_destroy(&sock);
    return status;
}

static int audit_replay(audit_cfg_t *cfg, const char *file)
{
    if (!file || (!cfg->into == !cfg->to)) {
        fprintf(stderr, "baocao audit replay: FILE and exactly one of --into "
                "NEW_HUB_DIR or --to ENDPOINT\n");
        return EXIT_USAGE;
    }
    FILE *f = fopen(file, "rb");
    if (!f) {
        fprintf(stderr, "baocao audit replay: cannot read %s: %s\n", file,
                strerror(errno));
        return EXIT_USAGE;
    }
    uint8_t *buf = NULL;
    size_t len = 0;
    Baocao__ExportHeader *h = NULL;
    int status;
    if (read_delimited(f, &buf, &len) == 1)
        h = baocao__export_header__unpack(NULL, len, buf);
    bc_free(&buf);
    if (!h) {
        fprintf(stderr, "baocao audit replay: %s is not an audit export\n",
                file);
        fclose(f);
        return EXIT_USAGE;
    }
    uint64_t total = h->entries;
    baocao__export_header__free_unpacked(h, NULL);
    status = cfg->into ? replay_into(cfg, f, total) : replay_to(cfg, f, total);
    fclose(f);
    return status;
}

int cmd_audit(int argc, char **argv)
{
    audit_cfg_t cfg;
    char *pos[2];
    size_t npos;
    if (argc < 1 || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")) {
        printf("usage: baocao audit %s\n\noptions:\n", audit_synopsis);
        bc_config_usage(audit_options, NAUDIT, stdout);
        return argc < 1 ? EXIT_USAGE : EXIT_OK;
    }
    const char *verb = argv[0];
    int rc = cmd_parse("audit", audit_synopsis, audit_options, NAUDIT, &cfg,
                       argc - 1, argv + 1, pos, 2, &npos);
    if (rc) {
        bc_config_free(audit_options, NAUDIT, &cfg);
        return rc == 1 ? EXIT_OK : EXIT_USAGE;
    }
    /* `--to` means an endpoint for replay, a day for export. */
    if (!strcmp(verb, "export")) {
        rc = audit_export(&cfg);
    } else if (!strcmp(verb, "verify")) {
        rc = audit_verify(&cfg, npos ? pos[0] : NULL);
    } else if (!strcmp(verb, "history")) {
        rc = audit_history(&cfg);
    } else if (!strcmp(verb, "replay")) {
        rc = audit_replay(&cfg, npos ? pos[0] : NULL);
    } else if (!strcmp(verb, "digest")) {
        rc = cfg.store ? print_digest(cfg.store, "digest") : EXIT_USAGE;
        if (!cfg.store)
            fprintf(stderr, "baocao audit digest: --store HUB_DIR is "
                    "required\n");
    } else {
        fprintf(stderr, "baocao audit: unknown verb '%s' (export, verify, "
                "history, replay, digest)\n", verb);
        rc = EXIT_USAGE;
    }
    bc_config_free(audit_options, NAUDIT, &cfg);
    return rc;
}
