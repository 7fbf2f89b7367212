/*
 * cmd_audit_verify.c -- `baocao audit verify`: recomputes the SHA-256 chain
 * of an export file or of a store, names the first entry that does not
 * fit, and prints the head of what it checked.
 *
 * What it may claim depends on what the entries themselves show, never on
 * what the file's header says about them: the header is written by
 * whoever wrote the file. (A verifier that allowed gaps because the
 * header's `filter` field was set passed an export from which an entry had
 * been deleted.)
 *
 *   - Every entry must match its own hash, computed over its content and
 *     the chain hash before it (its prev_hash), and seqs must increase.
 *   - Consecutive entries must chain: each prev_hash is the hash before.
 *     The first entry of the log (seq 1) rests on 32 zero bytes.
 *   - A gap (seq jumps) is allowed only in an export that says it is
 *     filtered; even then the result is PARTIAL, not "chain intact": the
 *     entries around a gap cannot be chained, and nothing in the file can
 *     show that no entry that belonged in it was left out. The gaps are
 *     listed.
 *   - The head (last seq and hash) is printed in the same form as
 *     `baocao audit head`: the chain from the export's first entry to its
 *     head is proven only once that head matches the hub's (see
 *     proto/README.md "What audit verify proves").
 */
#include "bc_error.h"
#include "bc_wire.h"
#include "bc_mem.h"
#include "cmd_audit.h"
#include "hub_head.h"
#include "hub_store.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Gaps listed in full; beyond, only counted. */
#define GAPS_LISTED 16

typedef struct {
    uint64_t outcomes[5];   /* entries by Baocao__Outcome */
    uint64_t versions;      /* registry versions the hub logged itself */
    uint64_t approvals[5];  /* approve/unapprove entries, by outcome */
    uint64_t plans;         /* plans stored (log entries, issue 14) */
    uint64_t index;         /* entries checked (1-based position) */
    uint64_t first_seq;     /* first entry's seq, 0 before it */
    uint64_t prev_seq;      /* previous entry's seq, 0 before the first */
    uint8_t prev_hash[32];  /* previous entry's hash (the head so far) */
    bool gaps_allowed;      /* the export says it is filtered */
    uint64_t ngaps;         /* runs of missing seqs */
    uint64_t missing;       /* seqs missing in all */
    char gaps[GAPS_LISTED * 44]; /* "2, 5-9, ..." (the first few) */
    char problem[256];      /* first problem found */
} verify_ctx_t;

static void note_gap(verify_ctx_t *v, uint64_t from, uint64_t to)
{
    v->ngaps++;
    v->missing += to - from + 1;
    if (v->ngaps > GAPS_LISTED)
        return;
    size_t used = strlen(v->gaps);
    if (from == to)
        snprintf(v->gaps + used, sizeof v->gaps - used, "%s%llu",
                 used ? ", " : "", (unsigned long long) from);
    else
        snprintf(v->gaps + used, sizeof v->gaps - used, "%s%llu-%llu",
                 used ? ", " : "", (unsigned long long) from,
                 (unsigned long long) to);
}

/* Checks one entry against the chain; returns false and describes the
 * problem at the first mismatch. */
static bool check_entry(verify_ctx_t *v, uint64_t seq, int64_t received_at,
                        const char *peer, size_t peer_len, uint32_t outcome,
                        uint32_t reason, const uint8_t *req, size_t req_len,
                        const uint8_t *prev_hash, const uint8_t *hash)
{
    static const uint8_t zero[32];
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
    if (seq == 0 || (v->prev_seq && seq <= v->prev_seq)) {
        snprintf(v->problem, sizeof v->problem,
                 "entry %llu (seq %llu): comes after seq %llu (reordered)",
                 (unsigned long long) v->index, (unsigned long long) seq,
                 (unsigned long long) v->prev_seq);
        return false;
    }
    if (seq == 1 && memcmp(prev_hash, zero, 32) != 0) {
        snprintf(v->problem, sizeof v->problem,
                 "entry %llu (seq 1): the log's first entry must rest on 32 "
                 "zero bytes (replaced)", (unsigned long long) v->index);
        return false;
    }
    bool consecutive = v->prev_seq && seq == v->prev_seq + 1;
    if (v->prev_seq && !consecutive) {
        if (!v->gaps_allowed) {
            snprintf(v->problem, sizeof v->problem,
                     "entry %llu (seq %llu): follows seq %llu: %llu entries "
                     "missing (removed)", (unsigned long long) v->index,
                     (unsigned long long) seq,
                     (unsigned long long) v->prev_seq,
                     (unsigned long long) (seq - v->prev_seq - 1));
            return false;
        }
        note_gap(v, v->prev_seq + 1, seq - 1);
    }
    /* The first entry rests on the hash the export states before it (the
     * header's chain_start; zeros in a store); a consecutive one on the
     * entry before it. */
    if ((consecutive || !v->prev_seq)
        && memcmp(prev_hash, v->prev_hash, 32) != 0) {
        snprintf(v->problem, sizeof v->problem,
                 "entry %llu (seq %llu): does not chain to the %s before it "
                 "(removed, reordered or replaced)",
                 (unsigned long long) v->index, (unsigned long long) seq,
                 v->prev_seq ? "entry" : "chain hash the header states");
        return false;
    }
    if (!v->first_seq)
        v->first_seq = seq;
    v->prev_seq = seq;
    memcpy(v->prev_hash, hash, 32);
    /* The hub's own entries (registry versions, issue 12) are not
     * submissions: counted apart, so "stored" still counts reports. */
    const uint8_t *body;
    size_t body_len;
    if ((peer_len == 3 && memcmp(peer, "hub", 3) == 0)
        || (outcome == BAOCAO__OUTCOME__OUTCOME_STORED
            && bc_wire_find_field(req, req_len, BAOCAO__REQUEST__BODY_REGISTRY,
                                  &body, &body_len) == BC_OK))
        v->versions++;   /* a province's, forwarded (issue 14) too */
    /* Approvals (issue #11, Request body 51) likewise: not reports. */
    else if (bc_wire_find_field(req, req_len, 51, &body, &body_len) == BC_OK)
        v->approvals[outcome < 5 ? outcome : 0]++;
    else if (outcome == BAOCAO__OUTCOME__OUTCOME_STORED
             && bc_wire_find_field(req, req_len, BAOCAO__REQUEST__BODY_PLAN,
                                   &body, &body_len) == BC_OK)
        v->plans++;      /* plans are log entries (issue 14), not reports */
    else
        v->outcomes[outcome < 5 ? outcome : 0]++;
    return true;
}

static void print_outcomes(const verify_ctx_t *v)
{
    printf("stored %llu, duplicate %llu, superseded %llu, rejected %llu",
           (unsigned long long) v->outcomes[BAOCAO__OUTCOME__OUTCOME_STORED],
           (unsigned long long) v->outcomes[BAOCAO__OUTCOME__OUTCOME_DUPLICATE],
           (unsigned long long) v->outcomes[BAOCAO__OUTCOME__OUTCOME_SUPERSEDED],
           (unsigned long long) v->outcomes[BAOCAO__OUTCOME__OUTCOME_REJECTED]);
    if (v->versions)
        printf(", registry versions %llu", (unsigned long long) v->versions);
    uint64_t na = 0;
    for (int i = 0; i < 5; i++)
        na += v->approvals[i];
    if (na)
        printf(", approvals %llu (%llu decided, %llu already so, %llu "
               "refused)", (unsigned long long) na,
               (unsigned long long) v->approvals[BAOCAO__OUTCOME__OUTCOME_STORED],
               (unsigned long long) v->approvals[BAOCAO__OUTCOME__OUTCOME_DUPLICATE],
               (unsigned long long) v->approvals[BAOCAO__OUTCOME__OUTCOME_REJECTED]);
    if (v->plans)
        printf(", plans %llu", (unsigned long long) v->plans);
    printf("\n");
}

/* The head line, or why there is none. */
static void print_head(const verify_ctx_t *v)
{
    char line[HUB_HEAD_TEXT];
    if (!v->index)
        printf("head: none (no entries)\n");
    else
        printf("%s\n", hub_head_format(v->prev_seq, v->prev_hash, line));
}

static int verify_store_entry(void *arg, const hub_log_entry_t *e)
{
    verify_ctx_t *v = arg;
    return !check_entry(v, e->seq, e->received_at, e->peer, e->peer_len,
                        e->outcome, e->reason, e->request, e->request_len,
                        e->prev_hash, e->hash);
}

static int verify_store(const char *dir)
{
    char err[512];
    verify_ctx_t v = {0};
    hub_store_t *store = hub_store_open_readonly(dir, err, sizeof err);
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
    printf("OK: %llu entries, chain intact from the start of the log\n",
           (unsigned long long) v.index);
    print_head(&v);
    print_outcomes(&v);
    return EXIT_OK;
}

int audit_verify(audit_cfg_t *cfg, const char *file)
{
    verify_ctx_t v = {0};
    if (!file && !cfg->store) {
        fprintf(stderr, "baocao audit verify: give an export FILE or "
                "--store HUB_DIR\n");
        return EXIT_USAGE;
    }
    if (!file)
        return verify_store(cfg->store);

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
    if (h->chain_start.len != 32) {
        printf("BROKEN: %s: the header's chain_start is not 32 bytes\n",
               file);
        goto out_close;
    }
    /* The header's filter only makes gaps admissible: it never turns them
     * into a proof (see the top of this file). */
    v.gaps_allowed = h->filter && *h->filter;
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
    else if (!*v.problem && v.index
             && (v.prev_seq != h->last_seq || v.first_seq != h->first_seq))
        snprintf(v.problem, sizeof v.problem, "the header says seq "
                 "%llu..%llu, the file holds %llu..%llu",
                 (unsigned long long) h->first_seq,
                 (unsigned long long) h->last_seq,
                 (unsigned long long) v.first_seq,
                 (unsigned long long) v.prev_seq);
    if (*v.problem) {
        printf("BROKEN: %s\n", v.problem);
        goto out_close;
    }
    if (!v.index) {
        printf("OK: 0 entries (nothing to chain)\n");
    } else if (!v.gaps_allowed) {
        printf("OK: %llu entries (seq %llu..%llu), chain intact from %s\n",
               (unsigned long long) v.index,
               (unsigned long long) v.first_seq,
               (unsigned long long) v.prev_seq,
               v.first_seq <= 1 ? "the start of the log"
                                : "the chain hash the export states before "
                                  "its first entry");
    } else {
        /* A filtered export. Every word here matters to an auditor: say
         * what was checked, and what cannot be. */
        printf("PARTIAL: %llu entries (seq %llu..%llu) in %llu chained "
               "run%s, each matching its hash over its content and the "
               "chain hash before it; NOT proven complete\n",
               (unsigned long long) v.index,
               (unsigned long long) v.first_seq,
               (unsigned long long) v.prev_seq,
               (unsigned long long) v.ngaps + 1, v.ngaps ? "s" : "");
        if (v.ngaps)
            printf("gaps: %llu entries left out in %llu gaps (seq %s%s)\n",
                   (unsigned long long) v.missing,
                   (unsigned long long) v.ngaps, v.gaps,
                   v.ngaps > GAPS_LISTED ? ", …" : "");
        else
            printf("gaps: none between seq %llu and %llu\n",
                   (unsigned long long) v.first_seq,
                   (unsigned long long) v.prev_seq);
        printf("filtered export (its header says \"%s\"): nothing in it "
               "can show that no entry that belonged in it was left out\n",
               h->filter);
    }
    print_head(&v);
    print_outcomes(&v);
    status = EXIT_OK;
out_close:
    if (h)
        baocao__export_header__free_unpacked(h, NULL);
    fclose(f);
    return status;
}
