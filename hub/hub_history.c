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
#include "bc_error.h"
#include "bc_log.h"

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
    hub_reader_t r = {s, txn, NULL};
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
                       char *err, size_t errlen)
{
    char why[512];
    bc_registry_t *fresh = bc_registry_load(units_path, catalog_path, err,
                                            errlen);
    if (!fresh)
        return BC_EINVAL;
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
