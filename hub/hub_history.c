/*
 * hub_history.c -- period-dependent ancestors (see hub_history.h).
 *
 * The walk is the registry's month lookup repeated up the tree: each unit
 * has a handful of rows at most, so a linear scan per level costs less
 * than any index, and the loader has already refused a month whose tree
 * has a cycle or is deeper than BC_MAX_LEVELS, so the walk ends.
 */
#include "hub_history.h"
#include "hub_env.h"
#include "hub_reports.h"
#include "hub_log.h"
#include "bc_csv.h"
#include "bc_error.h"
#include "bc_log.h"
#include "bc_mem.h"
#include "bc_wire.h"

#include <stdarg.h>
#include <time.h>
#include <stdio.h>
#include <string.h>

size_t hub_history_targets(const bc_registry_t *reg, const bc_unit_t *u,
                           bc_period_t period, const bc_unit_t **out,
                           size_t max)
{
    int32_t m = bc_registry_month(period);
    size_t n = 0;

    if (!bc_registry_span_at(u, m))
        return 0;
    if (u->nchildren && n < max)
        out[n++] = u;
    for (const bc_unit_t *p = bc_registry_parent_at(reg, u, m); p && n < max;
         p = bc_registry_parent_at(reg, p, m))
        out[n++] = p;
    return n;
}

Baocao__RejectReason hub_history_question(const bc_registry_t *reg, const bc_unit_t *u,
                         bc_period_t p, char *msg, size_t msglen)
{
    unsigned first, last;
    bc_period_months(p, &first, &last);
    int32_t from = bc_registry_month(p), to = from + (int32_t) (last - first);
    for (int32_t m = from; m <= to; m++)
        if (bc_registry_span_at(u, m))
            return BAOCAO__REJECT_REASON__REASON_NONE;
    char when[BC_PERIOD_STRLEN], end[16], v[200];
    bc_period_format(p, when);
    const bc_span_t *final = &u->spans[u->nspans - 1];
    if (final->to < from) {
        size_t n = (size_t) snprintf(msg, msglen, "%s ended %s", u->code,
                                     bc_registry_month_format(final->to, end,
                                                              sizeof end));
        for (uint32_t j = 0; j < final->nsucc && n < msglen; j++)
            n += (size_t) snprintf(msg + n, msglen - n, "%s%s",
                                   j ? ", " : "; replaced by ",
                                   bc_registry_unit(reg,
                                                    final->succ[j].unit)->code);
        if (n < msglen)
            snprintf(msg + n, msglen - n, "; no figures for %s", when);
        return BAOCAO__REJECT_REASON__REASON_UNIT_ENDED;
    }
    snprintf(msg, msglen, "%s was not valid in %s (%s)", u->code, when,
             bc_registry_validity(reg, u, v, sizeof v));
    return BAOCAO__REJECT_REASON__REASON_NOT_VALID_IN_PERIOD;
}

/* --- refusing a registry that rewrites the past ----------------------- */

/* State of one check walk. */
typedef struct {
    hub_store_t *s;                /* the store walked */
    uint32_t bad_sid;              /* offending unit's sid */
    uint32_t bad_period;           /* and period */
    bool bad;                      /* one was found */
} check_t;

static int check_one(void *arg, uint32_t unit_sid, uint32_t period,
                     const hub_report_info_t *info, const hub_val_t *vals,
                     size_t nvals)
{
    check_t *c = arg;
    const bc_unit_t *u = hub_env_unit(c->s, unit_sid);
    (void) info;
    (void) vals;
    (void) nvals;
    if (u && bc_registry_valid_in(u, period))
        return BC_OK;
    c->bad = true;
    c->bad_sid = unit_sid;
    c->bad_period = period;
    return BC_EINVAL;   /* the first is enough: stop the walk */
}

int hub_history_check(hub_store_t *s, MDB_txn *txn, char *err,
                      size_t errlen)
{
    check_t c = {s, 0, 0, false};
    int rc = hub_reports_each(s, txn, NULL, check_one, &c);
    if (rc == BC_OK || !c.bad)
        return rc;

    /* Name the report and the registry row that refuse it. */
    const bc_unit_t *u = hub_env_unit(s, c.bad_sid);
    char period[BC_PERIOD_STRLEN], v[160];
    bc_period_format(c.bad_period, period);
    if (u) {
        const bc_span_t *last = &u->spans[u->nspans - 1];
        snprintf(err, errlen, "a stored report of %s for %s would fall "
                 "outside %s's validity (units file line %zu: %s): the "
                 "registry may not rewrite the past; give the row a "
                 "validity that covers %s", u->code, period, u->code,
                 last->line, bc_registry_validity(hub_store_registry(s), u,
                                                  v, sizeof v), period);
        return BC_EINVAL;
    }
    hub_reader_t r = {.store = s, .txn = txn, .arena = NULL};
    char **codes = NULL;
    uint32_t n = 0;
    if (hub_env_unit_codes(&r, &codes, &n) != BC_OK)
        n = 0;
    snprintf(err, errlen, "a stored report of %s for %s would be dropped: "
             "the units file has no row for %s; keep its rows and end them "
             "with valid_to (and replaced_by)",
             c.bad_sid < n && codes[c.bad_sid] ? codes[c.bad_sid] : "?",
             period,
             c.bad_sid < n && codes[c.bad_sid] ? codes[c.bad_sid] : "it");
    hub_env_codes_free(codes, n);
    return BC_EINVAL;
}

int hub_history_reload(hub_store_t **store, bc_registry_t **reg,
                       const char *dir, size_t map_size,
                       const char *units_path, const char *catalog_path,
                       const char *categories_path, char *err,
                       size_t errlen)
{
    bc_registry_t *fresh = bc_registry_load_full(units_path, catalog_path,
                                                 categories_path, err,
                                                 errlen);
    if (!fresh)
        return BC_EINVAL;
    return hub_history_reload_with(store, reg, fresh, dir, map_size, err,
                                   errlen);
}

int hub_history_reload_with(hub_store_t **store, bc_registry_t **reg,
                            bc_registry_t *fresh, const char *dir,
                            size_t map_size, char *err, size_t errlen)
{
    char why[512];
    /* The store keeps pointers into its registry: close it, reopen it on
     * the new one (checked and rebuilt in one transaction), and fall back
     * to the old one if that is refused. Nothing is written until the
     * check passed, so the fallback finds the store as it was. */
    hub_store_close(store);
    *store = hub_store_open(dir, map_size, fresh, err, errlen);
    if (*store) {
        bc_registry_destroy(reg);
        *reg = fresh;
        return BC_OK;
    }
    bc_registry_destroy(&fresh);
    *store = hub_store_open(dir, map_size, *reg, why, sizeof why);
    if (!*store) {
        BC_ERROR("cannot reopen the store with the registry it had: %s", why);
        return BC_EFATAL;
    }
    return BC_EINVAL;
}

/* --- comparisons across a change of the map ------------------------------ */

#define MAX_HOPS 8   /* predecessors of predecessors: deeper is not looked at */

static void mark(hub_basis_t *b, Baocao__Comparison basis, const char *fmt,
                 ...) __attribute__((format(printf, 3, 4)));

static void mark(hub_basis_t *b, Baocao__Comparison basis, const char *fmt,
                 ...)
{
    va_list ap;
    if (basis <= b->basis)
        return;   /* the worst basis wins, with its note */
    b->basis = basis;
    va_start(ap, fmt);
    vsnprintf(b->note, sizeof b->note, fmt, ap);
    va_end(ap);
}

/* Adds w * f into out: flows and ratio parts summed, stocks too (a unit
 * and the units merged into it are different units in a month). */
static void add_scaled(hub_figures_t *out, const hub_figures_t *f, double w)
{
    for (size_t i = 0; i < out->n; i++) {
        if (!f->count[i])
            continue;
        /* Rounded to the nearest whole count (figures are counts >= 0). */
        out->value[i] += w == 1.0 ? f->value[i]
                                  : (int64_t) (w * (double) f->value[i]
                                               + 0.5);
        out->count[i] += f->count[i];
    }
    out->reporters += f->reporters;
}

static int fetch(hub_reader_t *r, const bc_registry_t *reg,
                 const bc_unit_t *u, bc_period_t p, hub_figures_t *out,
                 hub_basis_t *basis, int hops);

/* The units u replaced, for a period before u existed: each one's figures
 * weighted by its share of u. */
static int from_predecessors(hub_reader_t *r, const bc_registry_t *reg,
                             const bc_unit_t *u, bc_period_t p,
                             hub_figures_t *out, hub_basis_t *basis, int hops)
{
    hub_figures_t f;
    int rc = BC_OK;
    hub_figures_init(&f, out->n);
    hub_figures_clear(out);
    /* The registry lists each unit's predecessors (bc_unit_t.preds). */
    for (uint32_t q = 0; q < u->npreds && !rc; q++) {
        const bc_unit_t *pu = bc_registry_unit(reg, u->preds[q]);
        const bc_span_t *last = &pu->spans[pu->nspans - 1];
        for (uint32_t j = 0; j < last->nsucc && !rc; j++) {
            const bc_successor_t *sc = &last->succ[j];
            if (sc->unit != u->idx)
                continue;
            double w = 1.0;
            if (sc->has_share) {
                w = sc->share;
                if (w < 1.0)
                    mark(basis, BAOCAO__COMPARISON__COMPARISON_ESTIMATED,
                         "estimated: a share of %s's figures (split into %s "
                         "and others)", pu->code, u->code);
            } else if (last->nsucc > 1) {
                mark(basis, BAOCAO__COMPARISON__COMPARISON_NOT_COMPARABLE,
                     "not comparable: %s was split (into %s and others) "
                     "without shares", pu->code, u->code);
                continue;
            }
            if ((rc = fetch(r, reg, pu, p, &f, basis, hops + 1)) == BC_OK)
                add_scaled(out, &f, w);
        }
    }
    hub_figures_free(&f);
    return rc;
}

static int fetch(hub_reader_t *r, const bc_registry_t *reg,
                 const bc_unit_t *u, bc_period_t p, hub_figures_t *out,
                 hub_basis_t *basis, int hops)
{
    unsigned first, last;
    bc_period_months(p, &first, &last);
    int32_t from = bc_registry_month(p), to = from + (int32_t) (last - first);
    bool all = true, none = true;
    for (int32_t m = from; m <= to; m++) {
        bool v = bc_registry_span_at(u, m) != NULL;
        all &= v;
        none &= !v;
    }
    /* The usual case: the unit existed all along (or we looked far
     * enough back). */
    if (all || hops >= MAX_HOPS)
        return hub_reader_period(r, u, p, out);
    /* Before it existed: the units it replaced. After its end nothing
     * replaces it here (its successors answer for themselves). */
    if (none)
        return to < u->spans[0].from
                   ? from_predecessors(r, reg, u, p, out, basis, hops)
                   : hub_reader_period(r, u, p, out);

    /* Straddling its start: month by month, flows and parts added up, a
     * stock from the last month that has one. */
    hub_figures_t f;
    hub_figures_init(&f, out->n);
    hub_figures_clear(out);
    int rc = BC_OK;
    unsigned year = bc_period_year(p);
    for (unsigned m = first; m <= last && !rc; m++) {
        rc = fetch(r, reg, u, bc_period_make(year, BC_PT_MONTH, m), &f,
                   basis, hops);
        for (size_t i = 0; i < out->n && !rc; i++) {
            if (!f.count[i])
                continue;
            if (bc_registry_indicator(reg, (uint32_t) i)->kind
                == BC_KIND_STOCK) {
                out->value[i] = f.value[i];
                out->count[i] = f.count[i];
            } else {
                out->value[i] += f.value[i];
                if (f.count[i] > out->count[i])
                    out->count[i] = f.count[i];
            }
        }
        if (f.reporters > out->reporters)
            out->reporters = f.reporters;
    }
    hub_figures_free(&f);
    return rc;
}

int hub_history_period(hub_reader_t *r, const bc_registry_t *reg,
                       const bc_unit_t *u, bc_period_t p, hub_figures_t *out,
                       hub_basis_t *basis)
{
    int rc = fetch(r, reg, u, p, out, basis, 0);
    if (rc == BC_OK &&
        basis->basis == BAOCAO__COMPARISON__COMPARISON_NOT_COMPARABLE)
        hub_figures_clear(out);   /* never guessed */
    return rc;
}

/* --- registry versions in the log -------------------------------------- */

int hub_history_log_version(hub_store_t *s, const uint8_t *raw, size_t len,
                            const uint8_t digest[32], int64_t received_at,
                            uint64_t *seq)
{
    MDB_txn *txn;
    MDB_val v;
    hub_log_tail_t tail;
    int rc;

    *seq = 0;
    int mrc = mdb_txn_begin(s->env, NULL, 0, &txn);
    if (mrc)
        return hub_env_err(mrc);
    if (hub_env_meta_get(s, txn, "logged_registry", &v) == 0 &&
        v.mv_size == 32 && memcmp(v.mv_data, digest, 32) == 0) {
        mdb_txn_abort(txn);
        return BC_OK;   /* this version is the last one logged */
    }
    hub_log_tail_save(s, &tail);
    hub_item_t it;
    memset(&it, 0, sizeof it);
    it.raw = raw;
    it.raw_len = len;
    it.peer = "hub";
    it.received_at = received_at;
    it.reason = BAOCAO__REJECT_REASON__REASON_NONE;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now = (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
    rc = hub_log_append(s, txn, &it, now, BAOCAO__OUTCOME__OUTCOME_STORED);
    if (rc == BC_OK)
        rc = hub_env_err(hub_env_meta_put(s, txn, "logged_registry", digest,
                                          32));
    if ((rc = hub_log_finish(s, txn, &tail, rc)))
        return rc;
    *seq = it.seq;
    return BC_OK;
}

/* The Request bytes of a RegistryVersion from the files' bytes. */
static void version_bytes(const char *units, size_t ulen, const char *cat,
                          size_t clen, const char *cats, size_t klen,
                          const uint8_t digest[32], uint8_t **raw,
                          size_t *len)
{
    Baocao__RegistryVersion rv = BAOCAO__REGISTRY_VERSION__INIT;
    rv.units.data = (uint8_t *) units;
    rv.units.len = ulen;
    rv.catalog.data = (uint8_t *) cat;
    rv.catalog.len = clen;
    rv.categories.data = (uint8_t *) cats;   /* issue 17; none: empty */
    rv.categories.len = klen;
    rv.digest.data = (uint8_t *) digest;
    rv.digest.len = 32;
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    req.version = BC_WIRE_VERSION;
    req.body_case = BAOCAO__REQUEST__BODY_REGISTRY;
    req.registry = &rv;
    *len = baocao__request__get_packed_size(&req);
    *raw = bc_malloc(*len ? *len : 1);
    baocao__request__pack(&req, *raw);
}

int hub_history_version_request(const char *units_path,
                                const char *catalog_path,
                                const char *categories_path,
                                const uint8_t digest[32], uint8_t **raw,
                                size_t *len, char *err, size_t errlen)
{
    char *units = NULL, *cat = NULL, *cats = NULL;
    size_t ulen = 0, clen = 0, klen = 0;
    int e;
    if ((e = bc_read_file(units_path, &units, &ulen)) ||
        (e = bc_read_file(catalog_path, &cat, &clen)) ||
        (categories_path && (e = bc_read_file(categories_path, &cats,
                                              &klen)))) {
        snprintf(err, errlen, "cannot read %s: %s",
                 !units ? units_path : !cat ? catalog_path : categories_path,
                 strerror(e));
        free(units);
        free(cat);
        free(cats);
        return BC_EIO;
    }
    version_bytes(units, ulen, cat, clen, cats, klen, digest, raw, len);
    free(units);
    free(cat);
    free(cats);
    return BC_OK;
}

int hub_history_log_text(hub_store_t *s, const bc_registry_t *reg,
                         const char *units, size_t ulen,
                         const char *catalog_path,
                         const char *categories_path, char *err,
                         size_t errlen)
{
    uint8_t digest[32], *raw = NULL;
    size_t len = 0, clen = 0, klen = 0;
    uint64_t seq = 0;
    char *cat = NULL, *cats = NULL;
    int e = bc_read_file(catalog_path, &cat, &clen);
    if (!e && categories_path)
        e = bc_read_file(categories_path, &cats, &klen);
    if (e) {
        snprintf(err, errlen, "cannot read %s: %s",
                 !cat ? catalog_path : categories_path, strerror(e));
        free(cat);
        return BC_EIO;
    }
    bc_registry_digest(reg, digest);
    version_bytes(units, ulen, cat, clen, cats, klen, digest, &raw, &len);
    free(cat);
    free(cats);
    int rc = hub_history_log_version(s, raw, len, digest, 0, &seq);
    free(raw);
    if (rc) {
        snprintf(err, errlen, "cannot log the registry version: %s",
                 bc_strerror(rc));
        return rc;
    }
    if (seq)
        BC_INFO("registry version logged at seq %llu (the composed units "
                "file, %s)", (unsigned long long) seq, catalog_path);
    return BC_OK;
}

int hub_history_log_files(hub_store_t *s, const bc_registry_t *reg,
                          const char *units_path, const char *catalog_path,
                          const char *categories_path, char *err,
                          size_t errlen)
{
    uint8_t digest[32], *raw = NULL;
    size_t len = 0;
    uint64_t seq = 0;
    bc_registry_digest(reg, digest);
    int rc = hub_history_version_request(units_path, catalog_path,
                                         categories_path, digest, &raw, &len,
                                         err, errlen);
    if (rc)
        return rc;
    rc = hub_history_log_version(s, raw, len, digest, 0, &seq);
    free(raw);
    if (rc) {
        snprintf(err, errlen, "cannot log the registry version: %s",
                 bc_strerror(rc));
        return rc;
    }
    if (seq)
        BC_INFO("registry version logged at seq %llu (%s, %s)",
                (unsigned long long) seq, units_path, catalog_path);
    return BC_OK;
}
