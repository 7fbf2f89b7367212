/*
 * hub_env.c -- the store's environment: creating and opening the LMDB
 * environment and its named databases, the meta table, and the stable store
 * ids of units and indicators.
 *
 * Store ids (sids) are small integers that stand for codes in every key and
 * record. They are assigned once, the first time a code is seen, and never
 * reused, so that editing the registry (reordering, renaming a unit's
 * parent) leaves every stored record valid. unit_ids and ind_ids map code to
 * sid; the registry's `sid` fields and the tables below map back.
 */
#include "hub_env.h"
#include "bc_error.h"
#include "bc_mem.h"

#include <errno.h>
#include <string.h>

static const char *const db_names[HUB_DB_COUNT] = {
    "meta", "unit_ids", "ind_ids", "subs", "revs", "cur", "agg",
    "plan", "plan_eff", "log", "carry", "units", "approvals"};

int hub_env_err(int mrc)
{
    if (mrc == MDB_MAP_FULL)
        return BC_EFULL;
    if (mrc == ENOSPC)
        return BC_ENOSPC;   /* the disk, not the map: different advice */
    /* A failed write or sync (EIO) and an environment LMDB marked fatal
     * (MDB_PANIC) are the disk failing: the caller must not go on as if
     * healthy (the server exits, see hub_server.c). */
    if (mrc == EIO || mrc == MDB_PANIC)
        return BC_EFATAL;
    return mrc == 0 ? BC_OK : BC_ESTORE;
}

int hub_env_open(hub_store_t *s, const char *dir, size_t map_size,
                 unsigned flags, MDB_txn **txn)
{
    bool rdonly = flags & MDB_RDONLY;
    int mrc = mdb_env_create(&s->env);
    if (mrc) {
        s->env = NULL;
        return mrc;
    }
    mdb_env_set_maxdbs(s->env, HUB_DB_COUNT);
    if (map_size)
        mdb_env_set_mapsize(s->env, map_size);
    /* MDB_NOTLS: readers are tied to transactions, not threads, so the
     * server may hold a read snapshot while it writes. Default sync flags:
     * a commit is durable when mdb_txn_commit returns. */
    if ((mrc = mdb_env_open(s->env, dir, flags | MDB_NOTLS, 0640)))
        goto out_close;
    if (!rdonly) {
        int dead;
        mdb_reader_check(s->env, &dead);   /* readers of dead processes */
    }
    if ((mrc = mdb_txn_begin(s->env, NULL, rdonly ? MDB_RDONLY : 0, txn)))
        goto out_close;
    for (int i = 0; i < HUB_DB_COUNT; i++) {
        mrc = mdb_dbi_open(*txn, db_names[i], rdonly ? 0 : MDB_CREATE,
                           &s->dbi[i]);
        /* A store written before `units` existed, opened read-only by the
         * audit tools (which never read it): no such database yet. The
         * hub creates and fills it at its next open (hub_store.c). The
         * same for `approvals` (issue #11): none then, which
         * hub_approvals.c reads as no approval in force. */
        if (mrc == MDB_NOTFOUND && rdonly
            && (i == HUB_DB_UNITS || i == HUB_DB_APPROVALS)) {
            s->dbi[i] = 0;
            mrc = 0;
        }
        if (mrc) {
            mdb_txn_abort(*txn);
            *txn = NULL;
            goto out_close;
        }
    }
    return 0;

out_close:
    mdb_env_close(s->env);
    s->env = NULL;
    return mrc;
}

int hub_env_meta_get(hub_store_t *s, MDB_txn *txn, const char *name,
                     MDB_val *out)
{
    MDB_val k = {strlen(name), (void *) name};
    return mdb_get(txn, s->dbi[HUB_DB_META], &k, out);
}

int hub_env_meta_put(hub_store_t *s, MDB_txn *txn, const char *name,
                     const void *data, size_t len)
{
    MDB_val k = {strlen(name), (void *) name}, v = {len, (void *) data};
    return mdb_put(txn, s->dbi[HUB_DB_META], &k, &v, 0);
}

/* Looks up or assigns a store id for a code in db (unit_ids or ind_ids);
 * `counter` names the meta entry holding the next free id. */
static int assign_sid(hub_store_t *s, MDB_txn *txn, int db, const char *code,
                      const char *counter, uint32_t *sid)
{
    MDB_val k = {strlen(code), (void *) code}, v;
    int mrc = mdb_get(txn, s->dbi[db], &k, &v);
    if (mrc == 0) {
        memcpy(sid, v.mv_data, 4);
        return BC_OK;
    }
    if (mrc != MDB_NOTFOUND)
        return hub_env_err(mrc);
    MDB_val cv;
    uint32_t next = 1;
    mrc = hub_env_meta_get(s, txn, counter, &cv);
    if (mrc == 0)
        memcpy(&next, cv.mv_data, 4);
    *sid = next++;
    v = (MDB_val){4, sid};
    if ((mrc = hub_env_meta_put(s, txn, counter, &next, 4))
        || (mrc = mdb_put(txn, s->dbi[db], &k, &v, 0)))
        return hub_env_err(mrc);
    return BC_OK;
}

/* The sid -> registry tables, from the registry's sid fields. */
static void build_sid_tables(hub_store_t *s)
{
    size_t nu = bc_registry_nunits(s->reg), ni = bc_registry_nindicators(s->reg);
    bc_free(&s->sid_idx);
    bc_free(&s->usid_idx);
    s->nsid = 1;
    for (size_t i = 0; i < ni; i++)
        if (bc_registry_indicator(s->reg, (uint32_t) i)->sid + 1 > s->nsid)
            s->nsid = bc_registry_indicator(s->reg, (uint32_t) i)->sid + 1;
    s->sid_idx = bc_malloc(s->nsid * sizeof(int32_t));
    for (uint32_t i = 0; i < s->nsid; i++)
        s->sid_idx[i] = -1;
    for (size_t i = 0; i < ni; i++)
        s->sid_idx[bc_registry_indicator(s->reg, (uint32_t) i)->sid] =
            (int32_t) i;
    s->nusid = 1;
    for (size_t i = 0; i < nu; i++)
        if (bc_registry_unit(s->reg, (uint32_t) i)->sid + 1 > s->nusid)
            s->nusid = bc_registry_unit(s->reg, (uint32_t) i)->sid + 1;
    s->usid_idx = bc_calloc(s->nusid, sizeof(uint32_t));
    for (size_t i = 0; i < nu; i++)
        s->usid_idx[bc_registry_unit(s->reg, (uint32_t) i)->sid] =
            (uint32_t) i + 1;
}

int hub_env_assign_sids(hub_store_t *s, MDB_txn *txn)
{
    int rc;
    for (size_t i = 0; i < bc_registry_nunits(s->reg); i++) {
        bc_unit_t *u = bc_registry_unit(s->reg, (uint32_t) i);
        if ((rc = assign_sid(s, txn, HUB_DB_UNIT_IDS, u->code, "next_unit",
                             &u->sid)))
            return rc;
    }
    for (size_t i = 0; i < bc_registry_nindicators(s->reg); i++) {
        bc_indicator_t *ind = bc_registry_indicator(s->reg, (uint32_t) i);
        if ((rc = assign_sid(s, txn, HUB_DB_IND_IDS, ind->code, "next_ind",
                             &ind->sid)))
            return rc;
    }
    build_sid_tables(s);
    return BC_OK;
}

const bc_unit_t *hub_env_unit(const hub_store_t *s, uint32_t sid)
{
    if (sid >= s->nusid || !s->usid_idx[sid])
        return NULL;
    return bc_registry_unit(s->reg, s->usid_idx[sid] - 1);
}

int32_t hub_env_indicator(const hub_store_t *s, uint32_t sid)
{
    return sid < s->nsid ? s->sid_idx[sid] : -1;
}

bool hub_env_is_stock(const hub_store_t *s, uint32_t sid)
{
    int32_t idx = hub_env_indicator(s, sid);
    return idx >= 0
           && bc_registry_indicator(s->reg, (uint32_t) idx)->kind
                  == BC_KIND_STOCK;
}

int hub_env_unit_sid(hub_reader_t *r, const char *code, uint32_t *sid)
{
    MDB_val k = {strlen(code), (void *) code}, v;
    int mrc = mdb_get(r->txn, r->store->dbi[HUB_DB_UNIT_IDS], &k, &v);
    if (mrc == MDB_NOTFOUND)
        return BC_ENOTFOUND;
    if (mrc)
        return hub_env_err(mrc);
    memcpy(sid, v.mv_data, 4);
    return BC_OK;
}

int hub_env_unit_codes(hub_reader_t *r, char ***codes, uint32_t *n)
{
    MDB_cursor *cur;
    MDB_val k, v;
    char **t = NULL;
    uint32_t len = 0;
    int mrc = mdb_cursor_open(r->txn, r->store->dbi[HUB_DB_UNIT_IDS], &cur);
    if (mrc)
        return hub_env_err(mrc);
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        uint32_t sid;
        memcpy(&sid, v.mv_data, 4);
        if (sid >= len) {
            uint32_t grown = sid + 64;
            t = bc_realloc(t, grown * sizeof *t);
            memset(t + len, 0, (grown - len) * sizeof *t);
            len = grown;
        }
        t[sid] = bc_strndup(k.mv_data, k.mv_size);
    }
    mdb_cursor_close(cur);
    *codes = t;
    *n = len;
    return BC_OK;
}

void hub_env_codes_free(char **codes, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        free(codes[i]);
    free(codes);
}

/* A gap of more than this many store ids is jumped, not stepped. */
#define HUB_WALK_STEP 8

int hub_env_walk(MDB_txn *txn, MDB_dbi dbi, uint32_t period,
                 const uint32_t *unit_sids, size_t n, hub_walk_fn fn,
                 void *arg)
{
    if (!n)
        return BC_OK;
    MDB_cursor *cur;
    int mrc = mdb_cursor_open(txn, dbi, &cur);
    if (mrc)
        return hub_env_err(mrc);
    uint8_t kb[8];
    MDB_val k = hub_key_up(kb, unit_sids[0], period), v;
    size_t i = 0;
    mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    while (mrc == 0 && i < n && hub_key_period(&k) == period) {
        uint32_t sid = hub_key_unit(&k);
        while (i < n && unit_sids[i] < sid)   /* no record for these */
            i++;
        if (i == n)
            break;
        if (unit_sids[i] == sid)
            fn(arg, i++, &v);
        if (i == n)
            break;
        if (unit_sids[i] - sid > HUB_WALK_STEP) {
            k = hub_key_up(kb, unit_sids[i], period);
            mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
        } else {
            mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
        }
    }
    mdb_cursor_close(cur);
    return mrc == 0 || mrc == MDB_NOTFOUND ? BC_OK : hub_env_err(mrc);
}
