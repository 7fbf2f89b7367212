/*
 * cmd_audit_verify.c -- `baocao audit verify`: recomputes the SHA-256 chain
 * of an export file or of a store and names the first entry that does not
 * fit.
 */
#include "bc_client.h"
#include "bc_error.h"
#include "bc_mem.h"
#include "bc_period.h"
#include "bc_registry.h"
#include "bc_wire.h"
#include "cmd_audit.h"
#include "hub_store.h"
#include "hub_validate.h"

#include <czmq.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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
        audit_hex32(hash, a);
        audit_hex32(want, b);
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

int audit_verify(audit_cfg_t *cfg, const char *file)
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
    if (audit_read_delimited(f, &buf, &len) == 1)
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
        int got = audit_read_delimited(f, &buf, &len);
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
        audit_progress("verified", v.index, h->entries);
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
