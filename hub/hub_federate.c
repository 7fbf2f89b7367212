/*
 * hub_federate.c -- composing the national registry from provinces'
 * subtrees (design in hub_federate.h).
 *
 * The composition works on CSV rows, not on a parsed registry: the result
 * must be a units file (it is what the registry version on the national
 * log carries, and what `audit replay` parses again), and rows keep their
 * history columns as the province wrote them. The national file is parsed
 * once as a registry only to know which of its rows lie under a province.
 */
#include "hub_federate.h"
#include "hub_env.h"
#include "hub_history.h"
#include "hub_log.h"
#include "bc_csv.h"
#include "bc_error.h"
#include "bc_log.h"
#include "bc_mem.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define META_PREFIX "subtree:"

void hub_subtrees_free(hub_subtrees_t *st)
{
    for (size_t i = 0; i < st->n; i++) {
        free(st->v[i].code);
        free(st->v[i].units);
    }
    free(st->v);
    st->v = NULL;
    st->n = 0;
}

/* --- the subtrees kept in the store -------------------------------------- */

static int read_txn(hub_store_t *s, MDB_txn *txn, hub_subtrees_t *out)
{
    MDB_cursor *cur;
    MDB_val k = {sizeof META_PREFIX - 1, (void *) META_PREFIX}, v;
    int mrc = mdb_cursor_open(txn, s->dbi[HUB_DB_META], &cur);
    if (mrc)
        return hub_env_err(mrc);
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); mrc == 0;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size <= sizeof META_PREFIX - 1
            || memcmp(k.mv_data, META_PREFIX, sizeof META_PREFIX - 1) != 0)
            break;
        if (v.mv_size < 8)
            continue;
        out->v = bc_realloc(out->v, (out->n + 1) * sizeof *out->v);
        hub_subtree_t *t = &out->v[out->n++];
        size_t clen = k.mv_size - (sizeof META_PREFIX - 1);
        t->code = bc_malloc(clen + 1);
        memcpy(t->code, (const char *) k.mv_data + sizeof META_PREFIX - 1,
               clen);
        t->code[clen] = '\0';
        t->seq = hub_get_be64(v.mv_data);
        t->len = v.mv_size - 8;
        t->units = bc_malloc(t->len + 1);
        memcpy(t->units, (const char *) v.mv_data + 8, t->len);
        t->units[t->len] = '\0';
    }
    mdb_cursor_close(cur);
    return mrc == 0 || mrc == MDB_NOTFOUND ? BC_OK : hub_env_err(mrc);
}

int hub_federate_read(hub_store_t *s, hub_subtrees_t *out)
{
    MDB_txn *txn;
    out->v = NULL;
    out->n = 0;
    int mrc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn);
    if (mrc)
        return hub_env_err(mrc);
    int rc = read_txn(s, txn, out);
    mdb_txn_abort(txn);
    if (rc)
        hub_subtrees_free(out);
    return rc;
}

int hub_federate_read_dir(const char *dir, hub_subtrees_t *out, char *err,
                          size_t errlen)
{
    char path[4096];
    struct stat st;
    out->v = NULL;
    out->n = 0;
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    if (stat(path, &st) != 0)
        return BC_OK;   /* no store yet: no subtrees */
    hub_store_t *s = hub_store_open_readonly(dir, err, errlen);
    if (!s)
        return BC_ESTORE;
    int rc = hub_federate_read(s, out);
    hub_store_close(&s);
    if (rc)
        snprintf(err, errlen, "cannot read the provinces' subtrees in %s: "
                 "%s", dir, bc_strerror(rc));
    return rc;
}

/* --- composing ----------------------------------------------------------- */

/* The columns of a composed file, in order. */
static const char *const COLS[] = {
    "code", "parent_code", "level", "name", "reports", "on_behalf",
    "relay", "key", "valid_from", "valid_to", "replaced_by"};
#define NCOLS (sizeof COLS / sizeof COLS[0])

typedef struct {
    char *buf;
    size_t len, cap;
} text_t;

static void put(text_t *t, const char *s, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        t->cap = (t->len + n + 1) * 2;
        t->buf = bc_realloc(t->buf, t->cap);
    }
    memcpy(t->buf + t->len, s, n);
    t->len += n;
    t->buf[t->len] = '\0';
}

/* One field, quoted when it holds a comma, a quote or a line break. */
static void put_field(text_t *t, const char *f)
{
    if (!f)
        f = "";
    if (!strpbrk(f, ",\"\r\n")) {
        put(t, f, strlen(f));
        return;
    }
    put(t, "\"", 1);
    for (const char *p = f; *p; p++)
        put(t, p, 1 + (*p == '"'));   /* a quote is doubled */
    put(t, "\"", 1);
}

/* Row r of csv, with `drop_keys` leaving relay and key empty. */
static void put_row(text_t *t, const bc_csv_t *csv, size_t r, bool drop_keys)
{
    for (size_t c = 0; c < NCOLS; c++) {
        if (c)
            put(t, ",", 1);
        if (drop_keys && (c == 6 || c == 7))
            continue;
        int col = bc_csv_column(csv, COLS[c]);
        put_field(t, col >= 0 ? bc_csv_field(csv, r, col) : "");
    }
    put(t, "\n", 1);
}

/* True if u lies strictly under p in some month of its history. */
static bool ever_under(const bc_registry_t *reg, const bc_unit_t *u,
                       const bc_unit_t *p)
{
    if (u == p)
        return false;
    if (bc_registry_is_within(reg, u, p))
        return true;
    for (uint32_t i = 0; i < u->nspans; i++)
        if (bc_registry_is_within_at(reg, u, p, u->spans[i].from)
            || bc_registry_is_within_at(reg, u, p, u->spans[i].to))
            return true;
    return false;
}

static int compose(const char *units, size_t ulen, const char *name,
                   const char *cat, size_t clen, const char *cats,
                   size_t klen, const hub_subtrees_t *st, text_t *out,
                   char *err, size_t errlen)
{
    int rc = BC_EINVAL;
    bc_csv_t *nat = NULL, *sub = NULL;
    bc_registry_t *reg = bc_registry_parse_full(units, ulen, cat, clen, cats,
                                                klen, name, err, errlen);
    if (!reg)
        return BC_EINVAL;
    if (!(nat = bc_csv_parse(units, ulen, name, err, errlen)))
        goto out;
    int c_code = bc_csv_column(nat, "code");
    put(out, "", 0);
    for (size_t c = 0; c < NCOLS; c++) {
        put(out, c ? "," : "", c ? 1 : 0);
        put(out, COLS[c], strlen(COLS[c]));
    }
    put(out, "\n", 1);
    for (size_t r = 0; r < bc_csv_rows(nat); r++) {
        const bc_unit_t *u = bc_registry_find_unit(
            reg, bc_csv_field(nat, r, c_code));
        bool under = false;
        for (size_t i = 0; u && i < st->n && !under; i++) {
            const bc_unit_t *p = bc_registry_find_unit(reg, st->v[i].code);
            under = p && ever_under(reg, u, p);
        }
        if (!under)
            put_row(out, nat, r, false);
    }
    for (size_t i = 0; i < st->n; i++) {
        char sname[BC_CODE_MAX + 64];
        snprintf(sname, sizeof sname, "the subtree %s forwarded",
                 st->v[i].code);
        if (!(sub = bc_csv_parse(st->v[i].units, st->v[i].len, sname, err,
                                 errlen)))
            goto out;
        int s_code = bc_csv_column(sub, "code");
        for (size_t r = 0; s_code >= 0 && r < bc_csv_rows(sub); r++)
            if (strcmp(bc_csv_field(sub, r, s_code), st->v[i].code) != 0)
                put_row(out, sub, r, true);
        bc_csv_destroy(&sub);
    }
    rc = BC_OK;
out:
    bc_csv_destroy(&nat);
    bc_registry_destroy(&reg);
    return rc;
}

bc_registry_t *hub_federate_load(const char *units_path,
                                 const char *catalog_path,
                                 const char *categories_path,
                                 const hub_subtrees_t *st, char **text,
                                 size_t *text_len, char *err, size_t errlen)
{
    char *units = NULL, *cat = NULL, *cats = NULL;
    size_t ulen = 0, clen = 0, klen = 0;
    bc_registry_t *reg = NULL;
    text_t t = {NULL, 0, 0};
    int e;
    *text = NULL;
    *text_len = 0;
    if ((e = bc_read_file(units_path, &units, &ulen))
        || (e = bc_read_file(catalog_path, &cat, &clen))
        || (categories_path
            && (e = bc_read_file(categories_path, &cats, &klen)))) {
        snprintf(err, errlen, "cannot read %s: %s",
                 !units ? units_path : !cat ? catalog_path : categories_path,
                 strerror(e));
        goto out;
    }
    if (!st->n) {
        /* No province forwarded anything: the file, byte for byte. */
        t.buf = units;
        t.len = ulen;
        units = NULL;
    } else if (compose(units, ulen, units_path, cat, clen, cats, klen, st,
                       &t, err, errlen)) {
        goto out;
    }
    char name[4200];
    snprintf(name, sizeof name, "%s%s", units_path,
             st->n ? " with the provinces' subtrees" : "");
    reg = bc_registry_parse_full(t.buf ? t.buf : "", t.len, cat, clen, cats,
                                 klen, name, err, errlen);
    if (reg) {
        *text = t.buf;
        *text_len = t.len;
        t.buf = NULL;
    }
out:
    free(t.buf);
    free(units);
    free(cat);
    free(cats);
    return reg;
}

/* --- taking a forwarded version ------------------------------------------ */

#define REFUSE(why, ...)                                                      \
    do {                                                                      \
        out->status = BAOCAO__ACK_STATUS__ACK_REJECTED;                       \
        out->reason = BAOCAO__REJECT_REASON__REASON_##why;                    \
        snprintf(out->message, sizeof out->message, __VA_ARGS__);             \
        goto out_refused;                                                     \
    } while (0)

/* Step 1: the version's tree is the relay's subtree, and takes no unit of
 * the national registry from elsewhere. */
static bool authorised(const bc_registry_t *nat, const bc_unit_t *relay,
                       const bc_registry_t *fwd, char *msg, size_t msglen)
{
    const bc_unit_t *root = bc_registry_find_unit(fwd, relay->code);
    if (!root) {
        snprintf(msg, msglen, "the registry version has no unit %s: this "
                 "hub's key is %s's, and forwards its subtree only",
                 relay->code, relay->code);
        return false;
    }
    for (size_t i = 0; i < bc_registry_nunits(fwd); i++) {
        const bc_unit_t *u = bc_registry_unit(fwd, (uint32_t) i);
        if (u == root)
            continue;
        for (uint32_t j = 0; j < u->nspans; j++)
            if (!bc_registry_is_within_at(fwd, u, root, u->spans[j].from)) {
                snprintf(msg, msglen, "unit %s of the registry version is "
                         "not under %s (units file line %zu): this hub "
                         "forwards %s's subtree only", u->code, relay->code,
                         u->spans[j].line, relay->code);
                return false;
            }
        const bc_unit_t *n = bc_registry_find_unit(nat, u->code);
        if (n && !ever_under(nat, n, relay)) {
            snprintf(msg, msglen, "unit %s of the registry version is a "
                     "unit of the national registry outside %s (under %s "
                     "there)", u->code, relay->code,
                     n->parent >= 0 ? bc_registry_unit(nat, (uint32_t)
                                                       n->parent)->code
                                    : "no parent: a root");
            return false;
        }
    }
    return true;
}

/* Logs the forwarded entry with its outcome, and on STORED the subtree,
 * in one transaction. BC_OK or a store error. */
static int log_entry(hub_store_t *s, const uint8_t *raw, size_t raw_len,
                     const char *peer, uint32_t outcome,
                     Baocao__RejectReason reason, const char *code,
                     uint64_t oseq, const Baocao__RegistryVersion *rv,
                     uint64_t *seq)
{
    MDB_txn *txn;
    hub_log_tail_t tail;
    hub_item_t it;
    int rc, mrc = mdb_txn_begin(s->env, NULL, 0, &txn);
    if (mrc)
        return hub_env_err(mrc);
    hub_log_tail_save(s, &tail);
    memset(&it, 0, sizeof it);
    it.raw = raw;
    it.raw_len = raw_len;
    it.peer = peer;
    it.reason = reason;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    rc = hub_log_append(s, txn, &it, (int64_t) ts.tv_sec * 1000000
                                         + ts.tv_nsec / 1000, outcome);
    if (rc == BC_OK && outcome == BAOCAO__OUTCOME__OUTCOME_STORED) {
        char key[sizeof META_PREFIX + BC_CODE_MAX];
        snprintf(key, sizeof key, META_PREFIX "%s", code);
        uint8_t *val = bc_malloc(8 + rv->units.len);
        hub_put_be64(val, oseq);
        if (rv->units.len)
            memcpy(val + 8, rv->units.data, rv->units.len);
        rc = hub_env_err(hub_env_meta_put(s, txn, key, val,
                                          8 + rv->units.len));
        free(val);
    }
    if ((rc = hub_log_finish(s, txn, &tail, rc)))
        return rc;
    *seq = it.seq;
    return BC_OK;
}

void hub_federate_accept(hub_store_t **store, bc_registry_t **reg,
                         const hub_federate_cfg_t *cfg,
                         const Baocao__Request *req, const uint8_t *raw,
                         size_t raw_len, const char *peer,
                         hub_federate_result_t *out)
{
    const Baocao__RegistryVersion *rv = req->registry;
    hub_subtrees_t st = {NULL, 0};
    bc_registry_t *fwd = NULL, *fresh = NULL;
    char *text = NULL, err[400];
    size_t text_len = 0;
    uint64_t oseq = req->origin ? req->origin->seq : 0;
    int rc;
    memset(out, 0, sizeof *out);

    fwd = bc_registry_parse_full((const char *) rv->units.data, rv->units.len,
                                 (const char *) rv->catalog.data,
                                 rv->catalog.len,
                                 rv->categories.len
                                     ? (const char *) rv->categories.data
                                     : NULL,
                                 rv->categories.len,
                                 "the forwarded registry version", err,
                                 sizeof err);
    /* Who sends it: a relay's key, or (plain mode) the version's root. */
    const bc_unit_t *relay = NULL;
    if (peer && *peer) {
        if (strncmp(peer, "unit:", 5) == 0)
            relay = bc_registry_find_unit(*reg, peer + 5);
    } else if (fwd) {
        for (size_t i = 0; i < bc_registry_nunits(fwd) && !relay; i++) {
            const bc_unit_t *u = bc_registry_unit(fwd, (uint32_t) i);
            if (u->parent < 0)
                relay = bc_registry_find_unit(*reg, u->code);
        }
    }
    if (!relay || !relay->relay)
        REFUSE(NOT_AUTHORIZED, "only a provincial hub (a relay unit's key) "
               "may forward a registry version");
    if (!fwd)
        REFUSE(BAD_REQUEST, "registry version of %s refused: %.300s",
               relay->code, err);
    if (!authorised(*reg, relay, fwd, err, sizeof err))
        REFUSE(NOT_AUTHORIZED, "registry version of %s refused: %.300s",
               relay->code, err);

    if ((rc = hub_federate_read(*store, &st))) {
        out->status = BAOCAO__ACK_STATUS__ACK_RETRY_LATER;
        out->reason = BAOCAO__REJECT_REASON__REASON_INTERNAL;
        snprintf(out->message, sizeof out->message, "cannot read the "
                 "subtrees: %s", bc_strerror(rc));
        goto out;
    }
    size_t at = 0;
    while (at < st.n && strcmp(st.v[at].code, relay->code) < 0)
        at++;
    if (at < st.n && strcmp(st.v[at].code, relay->code) == 0) {
        if (oseq && oseq <= st.v[at].seq) {
            /* A resend (the province's cursor lagged its answers). */
            out->status = BAOCAO__ACK_STATUS__ACK_DUPLICATE;
            snprintf(out->message, sizeof out->message, "registry version "
                     "of %s at its seq %llu already taken", relay->code,
                     (unsigned long long) oseq);
            goto out;
        }
        free(st.v[at].units);
    } else {
        st.v = bc_realloc(st.v, (st.n + 1) * sizeof *st.v);
        memmove(&st.v[at + 1], &st.v[at], (st.n - at) * sizeof *st.v);
        st.n++;
        st.v[at].code = bc_strdup(relay->code);
    }
    st.v[at].seq = oseq;
    st.v[at].len = rv->units.len;
    st.v[at].units = bc_malloc(rv->units.len + 1);
    if (rv->units.len)
        memcpy(st.v[at].units, rv->units.data, rv->units.len);
    st.v[at].units[rv->units.len] = '\0';

    fresh = hub_federate_load(cfg->units_path, cfg->catalog_path,
                              cfg->categories_path, &st,
                              &text, &text_len, err, sizeof err);
    if (!fresh)
        REFUSE(BAD_REQUEST, "registry version of %s refused: the national "
               "registry with it does not load: %.250s", relay->code, err);
    char code[BC_CODE_MAX + 1];
    snprintf(code, sizeof code, "%s", relay->code);   /* *reg may go */
    rc = hub_history_reload_with(store, reg, fresh, cfg->dir, cfg->map_size,
                                 err, sizeof err);
    fresh = NULL;
    if (rc == BC_EFATAL) {
        out->fatal = true;
        out->status = BAOCAO__ACK_STATUS__ACK_RETRY_LATER;
        out->reason = BAOCAO__REJECT_REASON__REASON_INTERNAL;
        snprintf(out->message, sizeof out->message, "the national hub's "
                 "store failed; resend later");
        goto out;
    }
    if (rc)
        REFUSE(NOT_VALID_IN_PERIOD, "registry version of %s refused: %.300s",
               code, err);
    out->changed = true;
    rc = log_entry(*store, raw, raw_len, peer ? peer : "",
                   BAOCAO__OUTCOME__OUTCOME_STORED,
                   BAOCAO__REJECT_REASON__REASON_NONE, code, oseq, rv,
                   &out->seq);
    if (rc == BC_OK)
        rc = hub_history_log_text(*store, *reg, text, text_len,
                                  cfg->catalog_path, cfg->categories_path,
                                  err, sizeof err);
    if (rc) {
        /* The registry is in force but not on the log yet: the province
         * resends (its cursor did not pass it), and the next start logs
         * the composed version anyway. */
        out->status = BAOCAO__ACK_STATUS__ACK_RETRY_LATER;
        out->reason = BAOCAO__REJECT_REASON__REASON_INTERNAL;
        out->fatal = rc == BC_EFATAL;
        snprintf(out->message, sizeof out->message, "cannot log the "
                 "registry version: %s", bc_strerror(rc));
        goto out;
    }
    out->status = BAOCAO__ACK_STATUS__ACK_STORED;
    BC_INFO("registry version of %s (its seq %llu) taken at seq %llu: %zu "
            "units in the national registry", code,
            (unsigned long long) oseq, (unsigned long long) out->seq,
            bc_registry_nunits(*reg));
    goto out;

out_refused:
    /* On the national record, as a refused submission is. */
    if (log_entry(*store, raw, raw_len, peer ? peer : "",
                  BAOCAO__OUTCOME__OUTCOME_REJECTED, out->reason, "", 0, rv,
                  &out->seq) != BC_OK)
        out->seq = 0;
    BC_WARN("%s", out->message);
out:
    bc_registry_destroy(&fwd);
    bc_registry_destroy(&fresh);
    hub_subtrees_free(&st);
    free(text);
}

int hub_federate_keep(hub_store_t *s, const char *peer,
                      const Baocao__Request *req)
{
    if (!peer || strncmp(peer, "unit:", 5) != 0 || !req->registry
        || strlen(peer + 5) > BC_CODE_MAX)
        return BC_EINVAL;
    const Baocao__RegistryVersion *rv = req->registry;
    char key[sizeof META_PREFIX + BC_CODE_MAX];
    snprintf(key, sizeof key, META_PREFIX "%s", peer + 5);
    uint8_t *val = bc_malloc(8 + rv->units.len);
    hub_put_be64(val, req->origin ? req->origin->seq : 0);
    if (rv->units.len)
        memcpy(val + 8, rv->units.data, rv->units.len);
    MDB_txn *txn;
    int mrc = mdb_txn_begin(s->env, NULL, 0, &txn);
    if (!mrc && (mrc = hub_env_meta_put(s, txn, key, val, 8 + rv->units.len)))
        mdb_txn_abort(txn);
    else if (!mrc)
        mrc = mdb_txn_commit(txn);
    free(val);
    return hub_env_err(mrc);
}
