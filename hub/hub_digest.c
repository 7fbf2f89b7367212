/*
 * hub_digest.c -- the digest of current figures (see hub_digest.h).
 *
 * Reports are collected from `cur` (hub_reports), sorted by unit code and
 * period, and each one's figures are read back from its logged request
 * (hub_log): what the facility sent, not the store's packed copy.
 */
#include "hub_digest.h"
#include "hub_env.h"
#include "hub_log.h"
#include "hub_reports.h"
#include "bc_error.h"
#include "bc_mem.h"
#include "bc_report.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *unit;          /* unit code */
    uint32_t period;           /* period */
    uint32_t revision;         /* current revision */
    uint64_t seq;              /* its log entry */
} digest_row_t;

static int cmp_row(const void *a, const void *b)
{
    const digest_row_t *x = a, *y = b;
    int c = strcmp(x->unit, y->unit);
    return c ? c : (x->period > y->period) - (x->period < y->period);
}

typedef struct {
    const char *code;          /* indicator code */
    int64_t value;             /* figure */
} digest_val_t;

/* A combination's figure (issue 17) by "code[cat=opt,...]", categories in
 * code order, so that the order the options were sent in does not
 * matter: the code bc_report_combination makes (bc_report.h), the one a
 * CSV row with category columns reads as. Only for a value with options;
 * malloc'ed. */
static char *value_key(const Baocao__Value *v)
{
    const char **cats = bc_malloc(v->n_options * sizeof *cats);
    const char **opts = bc_malloc(v->n_options * sizeof *opts);
    for (size_t k = 0; k < v->n_options; k++) {
        cats[k] = v->options[k]->category;
        opts[k] = v->options[k]->option;
    }
    char *key = bc_report_combination(v->indicator, v->n_options, cats,
                                      opts);
    free(cats);
    free(opts);
    return key;
}

static int cmp_val(const void *a, const void *b)
{
    return strcmp(((const digest_val_t *) a)->code,
                  ((const digest_val_t *) b)->code);
}

/* Rows being collected from cur. */
typedef struct {
    char **codes;              /* unit code by sid */
    uint32_t ncodes;           /* length of codes */
    digest_row_t *rows;        /* collected rows */
    size_t n, cap;             /* used and allocated rows */
} collect_t;

static int collect_row(void *arg, uint32_t unit_sid, uint32_t period,
                       const hub_report_info_t *info, const hub_val_t *vals,
                       size_t nvals)
{
    (void) vals;
    (void) nvals;
    collect_t *c = arg;
    if (c->n == c->cap)
        c->rows = bc_realloc(c->rows, (c->cap *= 2) * sizeof *c->rows);
    const char *code = unit_sid < c->ncodes && c->codes[unit_sid]
                           ? c->codes[unit_sid] : "?";
    c->rows[c->n++] = (digest_row_t){code, period, info->revision, info->seq};
    return BC_OK;
}

/* Approvals in force, for the lines after the reports. */
typedef struct {
    char **codes;              /* unit code by sid */
    uint32_t ncodes;           /* length of codes */
    char **lines;              /* one malloc'ed line per approval */
    size_t n, cap;             /* used and allocated lines */
} approvals_t;

static int collect_approval(void *arg, const hub_approval_t *a)
{
    approvals_t *c = arg;
    if (c->n == c->cap)
        c->lines = bc_realloc(c->lines, (c->cap = c->cap ? c->cap * 2 : 16)
                                            * sizeof *c->lines);
    const char *code = a->unit_sid < c->ncodes && c->codes[a->unit_sid]
                           ? c->codes[a->unit_sid] : "?";
    char line[BC_PEER_MAX + 160];
    snprintf(line, sizeof line, "approval %s %u %lld %llu %s\n", code,
             a->period, (long long) a->at_us, (unsigned long long) a->seq,
             a->by);
    c->lines[c->n++] = bc_strdup(line);
    return BC_OK;
}

static int cmp_line(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The approvals' lines, "approval unit period at seq by", sorted (so by
 * unit code, then period): none at all adds nothing, so the digest of a
 * store without approvals is what it was before they existed. */
static int digest_approvals(hub_reader_t *self, char **codes, uint32_t ncodes,
                            crypto_hash_sha256_state *st)
{
    approvals_t c = {codes, ncodes, NULL, 0, 0};
    int rc = hub_approvals_each(self->store, self->txn, collect_approval, &c);
    if (rc == BC_OK && c.n) {
        qsort(c.lines, c.n, sizeof *c.lines, cmp_line);
        for (size_t i = 0; i < c.n; i++)
            crypto_hash_sha256_update(st, (const uint8_t *) c.lines[i],
                                      strlen(c.lines[i]));
    }
    for (size_t i = 0; i < c.n; i++)
        free(c.lines[i]);
    free(c.lines);
    return rc;
}

int hub_reader_digest(hub_reader_t *self, uint8_t out[32], uint64_t *reports)
{
    collect_t c = {NULL, 0, NULL, 0, 1024};
    int rc = hub_env_unit_codes(self, &c.codes, &c.ncodes);
    if (rc)
        return rc;
    c.rows = bc_malloc(c.cap * sizeof *c.rows);
    if ((rc = hub_reports_each(self->store, self->txn, NULL, collect_row, &c)))
        goto out_free;
    qsort(c.rows, c.n, sizeof *c.rows, cmp_row);
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    for (size_t i = 0; i < c.n; i++) {
        const digest_row_t *row = &c.rows[i];
        /* Figures as received, by indicator code: independent of store
         * ids and of the catalogue the store was opened with. */
        bc_arena_reset(self->arena);
        const Baocao__Submission *sub =
            hub_log_submission(self->store, self->txn, row->seq, self->arena);
        size_t nv = sub ? sub->n_values : 0;
        digest_val_t *vals = bc_malloc((nv ? nv : 1) * sizeof *vals);
        char **keys = bc_calloc(nv ? nv : 1, sizeof *keys);
        for (size_t j = 0; j < nv; j++) {
            vals[j].code = sub->values[j]->indicator;
            if (sub->values[j]->n_options)
                vals[j].code = keys[j] = value_key(sub->values[j]);
            vals[j].value = sub->values[j]->count;
        }
        qsort(vals, nv, sizeof *vals, cmp_val);
        /* A line per report: "unit period revision code=value ...\n". */
        char line[640];
        int len = snprintf(line, sizeof line, "%s %u %u", row->unit,
                           row->period, row->revision);
        crypto_hash_sha256_update(&st, (uint8_t *) line, (size_t) len);
        for (size_t j = 0; j < nv; j++) {
            len = snprintf(line, sizeof line, " %s=%lld", vals[j].code,
                           (long long) vals[j].value);
            crypto_hash_sha256_update(&st, (uint8_t *) line, (size_t) len);
        }
        crypto_hash_sha256_update(&st, (const uint8_t *) "\n", 1);
        for (size_t j = 0; j < nv; j++)
            free(keys[j]);
        free(keys);
        free(vals);
    }
    if ((rc = digest_approvals(self, c.codes, c.ncodes, &st)))
        goto out_free;
    crypto_hash_sha256_final(&st, out);
    *reports = c.n;
out_free:
    free(c.rows);
    hub_env_codes_free(c.codes, c.ncodes);
    return rc;
}
