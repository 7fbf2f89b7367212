/*
 * cmd_audit_export.c -- `baocao audit export`: the hub's store -> a
 * portable file: an ExportHeader, then LogEntry messages, each prefixed with
 * its length (varint), so any protobuf library reads it back. The store is
 * opened read-only: it may run beside a live hub.
 */
#include "bc_error.h"
#include "bc_mem.h"
#include "bc_wire.h"
#include "cmd_audit.h"
#include "hub_store.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* --- export -------------------------------------------------------------- */

/* Does a logged request belong to `unit`: its submission, or an approval
 * of it (issue #11)? Malformed bytes belong to none. */
static bool entry_unit_is(const hub_log_entry_t *e, const char *unit)
{
    Baocao__Request *req = baocao__request__unpack(NULL, e->request_len,
                                                   e->request);
    bool yes = req && ((req->body_case == BAOCAO__REQUEST__BODY_SUBMIT
                        && strcmp(req->submit->unit, unit) == 0)
                       || (req->body_case == BAOCAO__REQUEST__BODY_APPROVAL
                           && strcmp(req->approval->unit, unit) == 0));
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
    audit_progress("exported", ++x->seen, x->total);
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
    x->rc = audit_write_delimited(x->f, &le.base);
    free(peer);
    x->written++;
    return x->rc != BC_OK;
}

/* The header needs counts known only after the pass: write the entries to
 * a temporary file first, then header + entries to the destination. */
int audit_export(audit_cfg_t *cfg)
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
        if (audit_read_delimited(x.f, &buf, &len) != 1)
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
    if (audit_write_delimited(out, &h.base)) {
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
