/*
 * bc_registry.c -- reporting units and indicators, loaded from CSV.
 *
 * Design: units and indicators live in two arrays in file order, so an idx
 * is stable for one load and walking the tree is plain array access. Codes
 * are looked up through a small open-addressing hash table (FNV-1a, linear
 * probing, at most half full) per array: the hub resolves a unit and dozens
 * of indicator codes for every report it receives, and a sorted array or a
 * generic container would be either slower or a dependency for 60 lines.
 *
 * Loading is all-or-nothing and validates everything the rest of the
 * system relies on, so that no later code has to: codes unique and made of
 * safe characters (they end up in LMDB keys and file names), keys unique
 * (the hub maps a key to one unit: a shared key would silently belong to
 * the last row only), parents that exist, no cycle and at most
 * BC_MAX_LEVELS levels (depth is computed here once), ratios whose parts
 * exist and are counts. Every error names the file and line.
 *
 * The digest is SHA-256 over a canonical serialisation of the parsed
 * content (not of the file bytes), so reordering columns, adding a comment
 * column or changing quoting does not change it, while any change that
 * matters (a renamed unit, a moved commune, a new indicator) does.
 */
#include "bc_registry.h"

#include "bc_csv.h"
#include "bc_error.h"
#include "bc_limits.h"
#include "bc_mem.h"

#include <assert.h>
#include <math.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CODE_MAX BC_CODE_MAX /* longest accepted code, in bytes */
#define Z85_KEY_LEN 40       /* a 32-byte CURVE key in Z85 */

/* One slot of a code index. */
typedef struct {
    const char *code;        /* the code (owned by the unit/indicator), or NULL */
    uint32_t hash;           /* FNV-1a of code, to skip most strcmp calls */
    uint32_t idx;            /* position in the array the code belongs to */
} slot_t;

/* Open-addressing hash table from code to array position. */
typedef struct {
    slot_t *slots;           /* cap slots, empty ones have code NULL */
    size_t cap;              /* a power of two, at least twice the entries */
} code_index_t;

struct bc_registry_t {
    bc_unit_t *units;        /* units in file order */
    size_t nunits;           /* length of units */
    bc_indicator_t *inds;    /* indicators in file order */
    size_t ninds;            /* length of inds */
    code_index_t unit_index; /* unit code -> idx */
    code_index_t ind_index;  /* indicator code -> idx */
    uint8_t digest[32];      /* SHA-256 of the canonical content */
};


/* ---- code index ------------------------------------------------------- */

static uint32_t fnv1a(const char *s, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char) s[i];
        h *= 16777619u;
    }
    return h;
}

static void index_init(code_index_t *ix, size_t n)
{
    size_t cap = 16;
    while (cap < n * 2)
        cap *= 2;
    ix->slots = bc_calloc(cap, sizeof *ix->slots);
    ix->cap = cap;
}

static void index_free(code_index_t *ix)
{
    free(ix->slots);
    ix->slots = NULL;
    ix->cap = 0;
}

/* Finds `code` (len bytes); returns its slot, or the empty slot where it
 * would go. The table is never full, so the probe ends. */
static slot_t *index_probe(const code_index_t *ix, const char *code,
                           size_t len, uint32_t h)
{
    size_t mask = ix->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        slot_t *s = &ix->slots[i];
        if (!s->code)
            return s;
        if (s->hash == h && strncmp(s->code, code, len) == 0 &&
            s->code[len] == '\0')
            return s;
    }
}

/* Inserts; returns the idx already holding the code, or -1 if it is new. */
static int64_t index_put(code_index_t *ix, const char *code, uint32_t idx)
{
    size_t len = strlen(code);
    uint32_t h = fnv1a(code, len);
    slot_t *s = index_probe(ix, code, len, h);

    if (s->code)
        return s->idx;
    s->code = code;
    s->hash = h;
    s->idx = idx;
    return -1;
}

static int64_t index_get(const code_index_t *ix, const char *code,
                         size_t len)
{
    slot_t *s;

    if (!ix->slots)
        return -1;
    s = index_probe(ix, code, len, fnv1a(code, len));
    return s->code ? (int64_t) s->idx : -1;
}

/* ---- field checks ----------------------------------------------------- */

/* Codes go into store keys, file names and command lines: letters, digits
 * and - _ . only, so none of them needs quoting anywhere. */
static bool code_ok(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > CODE_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
            return false;
    }
    return true;
}

static bool z85_ok(const char *s)
{
    static const char alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz"
                                   "ABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
    if (strlen(s) != Z85_KEY_LEN)
        return false;
    for (const char *p = s; *p; p++)
        if (!strchr(alphabet, *p))
            return false;
    return true;
}

/* "yes"/"no" (any case), or "" for the default. -1 if neither. */
static int parse_yes_no(const char *s, bool dflt, bool *out)
{
    if (s[0] == '\0')
        *out = dflt;
    else if (strcasecmp(s, "yes") == 0)
        *out = true;
    else if (strcasecmp(s, "no") == 0)
        *out = false;
    else
        return -1;
    return 0;
}

/* ---- units ------------------------------------------------------------ */

static int load_units(bc_registry_t *reg, const char *path, char *err,
                      size_t errlen)
{
    bc_csv_t *csv = NULL;
    uint8_t *state = NULL;
    uint32_t *chain = NULL;
    code_index_t key_index = {NULL, 0};
    int c_code, c_parent, c_level, c_name, c_reports, c_behalf, c_relay, c_key;
    int rc = -1;

    csv = bc_csv_load(path, err, errlen);
    if (!csv)
        goto out;

    /* Step 1: the columns. */
    c_code = bc_csv_column(csv, "code");
    c_parent = bc_csv_column(csv, "parent_code");
    c_level = bc_csv_column(csv, "level");
    c_name = bc_csv_column(csv, "name");
    c_reports = bc_csv_column(csv, "reports");
    c_behalf = bc_csv_column(csv, "on_behalf");
    c_relay = bc_csv_column(csv, "relay");
    c_key = bc_csv_column(csv, "key");
    if (c_code < 0 || c_parent < 0 || c_level < 0 || c_name < 0) {
        bc_set_error(err, errlen, "%s:1: the header needs the columns code, "
                "parent_code, level and name", path);
        goto out;
    }
    if (bc_csv_rows(csv) == 0) {
        bc_set_error(err, errlen, "%s: no units", path);
        goto out;
    }
    if (bc_csv_rows(csv) > UINT32_MAX / 2) {
        bc_set_error(err, errlen, "%s: too many units", path);
        goto out;
    }

    /* Step 2: one unit per row; parents are resolved once all codes are
     * known, since a file may list a child before its parent. */
    reg->nunits = bc_csv_rows(csv);
    reg->units = bc_calloc(reg->nunits, sizeof *reg->units);
    index_init(&reg->unit_index, reg->nunits);
    index_init(&key_index, reg->nunits);
    for (size_t r = 0; r < reg->nunits; r++) {
        bc_unit_t *u = &reg->units[r];
        size_t line = bc_csv_line(csv, r);
        const char *code = bc_csv_field(csv, r, c_code);
        const char *key = bc_csv_field(csv, r, c_key);
        bool root = bc_csv_field(csv, r, c_parent)[0] == '\0';
        int64_t dup;

        u->idx = (uint32_t) r;
        u->parent = -1;
        u->code = bc_strdup(code);
        u->name = bc_strdup(bc_csv_field(csv, r, c_name));
        u->level = bc_strdup(bc_csv_field(csv, r, c_level));
        if (!code_ok(code)) {
            bc_set_error(err, errlen, "%s:%zu: bad unit code '%s' (1 to %d of "
                    "A-Z a-z 0-9 - _ .)", path, line, code, CODE_MAX);
            goto out;
        }
        if (u->name[0] == '\0' || u->level[0] == '\0') {
            bc_set_error(err, errlen, "%s:%zu: unit %s has no %s", path, line,
                    code, u->name[0] == '\0' ? "name" : "level");
            goto out;
        }
        if (parse_yes_no(bc_csv_field(csv, r, c_reports), !root,
                         &u->reports) < 0 ||
            parse_yes_no(bc_csv_field(csv, r, c_behalf), false,
                         &u->on_behalf) < 0 ||
            parse_yes_no(bc_csv_field(csv, r, c_relay), false,
                         &u->relay) < 0) {
            bc_set_error(err, errlen, "%s:%zu: reports, on_behalf and relay "
                    "must be yes, no or empty", path, line);
            goto out;
        }
        if (key[0] != '\0') {
            if (!z85_ok(key)) {
                bc_set_error(err, errlen, "%s:%zu: key of %s is not a %d-"
                        "character Z85 public key", path, line, code,
                        Z85_KEY_LEN);
                goto out;
            }
            u->key = bc_strdup(key);
            dup = index_put(&key_index, u->key, u->idx);
            if (dup >= 0) {
                bc_set_error(err, errlen, "%s:%zu: unit %s has the same key "
                        "as unit %s on line %zu (each node needs its own "
                        "key pair)", path, line, code,
                        reg->units[dup].code, bc_csv_line(csv, (size_t) dup));
                goto out;
            }
        }
        dup = index_put(&reg->unit_index, u->code, u->idx);
        if (dup >= 0) {
            bc_set_error(err, errlen, "%s:%zu: duplicate unit code %s (first "
                    "on line %zu)", path, line, code,
                    bc_csv_line(csv, (size_t) dup));
            goto out;
        }
    }

    /* Step 3: parents. */
    for (size_t r = 0; r < reg->nunits; r++) {
        const char *pc = bc_csv_field(csv, r, c_parent);
        int64_t p;
        if (pc[0] == '\0')
            continue;
        p = index_get(&reg->unit_index, pc, strlen(pc));
        if (p < 0) {
            bc_set_error(err, errlen, "%s:%zu: unit %s has an unknown parent %s",
                    path, bc_csv_line(csv, r), reg->units[r].code, pc);
            goto out;
        }
        reg->units[r].parent = (int32_t) p;
        reg->units[p].nchildren++;
    }

    /* Step 4: depths, detecting cycles. Each unit is visited once: walk up
     * until a unit whose depth is known (or a root), then assign depths on
     * the way back down. Meeting a unit of the current walk is a cycle. */
    state = bc_calloc(reg->nunits, 1);      /* 0 new, 1 on walk, 2 done */
    chain = bc_malloc(reg->nunits * sizeof *chain);
    for (size_t r = 0; r < reg->nunits; r++) {
        size_t n = 0;
        int64_t cur = (int64_t) r;
        uint32_t depth;

        while (cur >= 0 && state[cur] == 0) {
            state[cur] = 1;
            chain[n++] = (uint32_t) cur;
            cur = reg->units[cur].parent;
        }
        if (cur >= 0 && state[cur] == 1) {
            bc_set_error(err, errlen, "%s:%zu: unit %s is its own ancestor (a "
                    "cycle through parent_code)", path,
                    bc_csv_line(csv, (size_t) cur), reg->units[cur].code);
            goto out;
        }
        depth = cur >= 0 ? reg->units[cur].depth + 1 : 0;
        while (n > 0) {
            uint32_t i = chain[--n];
            if (depth >= BC_MAX_LEVELS) {
                bc_set_error(err, errlen, "%s:%zu: unit %s is %u levels "
                        "deep; the hierarchy may have at most %d levels",
                        path, bc_csv_line(csv, i), reg->units[i].code,
                        depth + 1, BC_MAX_LEVELS);
                goto out;
            }
            reg->units[i].depth = depth++;
            state[i] = 2;
        }
    }

    /* Step 5: children lists, in file order. */
    for (size_t r = 0; r < reg->nunits; r++) {
        bc_unit_t *u = &reg->units[r];
        if (u->nchildren)
            u->children = bc_malloc(u->nchildren * sizeof *u->children);
        u->nchildren = 0;
    }
    for (size_t r = 0; r < reg->nunits; r++) {
        int32_t p = reg->units[r].parent;
        if (p >= 0) {
            bc_unit_t *pu = &reg->units[p];
            pu->children[pu->nchildren++] = (uint32_t) r;
        }
    }
    rc = 0;

out:
    index_free(&key_index);
    free(chain);
    free(state);
    bc_csv_destroy(&csv);
    return rc;
}

/* ---- indicators ------------------------------------------------------- */

static int parse_kind(const char *s, bc_kind_t *out)
{
    if (strcmp(s, "flow") == 0)
        *out = BC_KIND_FLOW;
    else if (strcmp(s, "stock") == 0)
        *out = BC_KIND_STOCK;
    else if (strcmp(s, "ratio") == 0)
        *out = BC_KIND_RATIO;
    else
        return -1;
    return 0;
}

static int load_indicators(bc_registry_t *reg, const char *path, char *err,
                           size_t errlen)
{
    bc_csv_t *csv = NULL;
    int c_code, c_name, c_kind, c_num, c_den, c_scale, c_prog;
    int rc = -1;

    csv = bc_csv_load(path, err, errlen);
    if (!csv)
        goto out;

    /* Step 1: the columns. */
    c_code = bc_csv_column(csv, "code");
    c_name = bc_csv_column(csv, "name");
    c_kind = bc_csv_column(csv, "kind");
    c_num = bc_csv_column(csv, "numerator");
    c_den = bc_csv_column(csv, "denominator");
    c_scale = bc_csv_column(csv, "scale");
    c_prog = bc_csv_column(csv, "programme");
    if (c_code < 0 || c_name < 0 || c_kind < 0 || c_num < 0 || c_den < 0 ||
        c_scale < 0) {
        bc_set_error(err, errlen, "%s:1: the header needs the columns code, "
                "name, kind, numerator, denominator and scale", path);
        goto out;
    }
    if (bc_csv_rows(csv) == 0) {
        bc_set_error(err, errlen, "%s: no indicators", path);
        goto out;
    }
    if (bc_csv_rows(csv) > UINT32_MAX / 2) {
        bc_set_error(err, errlen, "%s: too many indicators", path);
        goto out;
    }

    /* Step 2: one indicator per row. */
    reg->ninds = bc_csv_rows(csv);
    reg->inds = bc_calloc(reg->ninds, sizeof *reg->inds);
    index_init(&reg->ind_index, reg->ninds);
    for (size_t r = 0; r < reg->ninds; r++) {
        bc_indicator_t *ind = &reg->inds[r];
        size_t line = bc_csv_line(csv, r);
        const char *code = bc_csv_field(csv, r, c_code);
        const char *kind = bc_csv_field(csv, r, c_kind);
        int64_t dup;

        ind->idx = (uint32_t) r;
        ind->numerator = ind->denominator = -1;
        ind->code = bc_strdup(code);
        ind->name = bc_strdup(bc_csv_field(csv, r, c_name));
        ind->programme = bc_strdup(bc_csv_field(csv, r, c_prog));
        if (!code_ok(code)) {
            bc_set_error(err, errlen, "%s:%zu: bad indicator code '%s' (1 to %d "
                    "of A-Z a-z 0-9 - _ .)", path, line, code, CODE_MAX);
            goto out;
        }
        if (ind->name[0] == '\0') {
            bc_set_error(err, errlen, "%s:%zu: indicator %s has no name", path,
                    line, code);
            goto out;
        }
        if (parse_kind(kind, &ind->kind) < 0) {
            bc_set_error(err, errlen, "%s:%zu: indicator %s has an unknown kind "
                    "'%s' (flow, stock or ratio)", path, line, code, kind);
            goto out;
        }
        dup = index_put(&reg->ind_index, ind->code, ind->idx);
        if (dup >= 0) {
            bc_set_error(err, errlen, "%s:%zu: duplicate indicator code %s "
                    "(first on line %zu)", path, line, code,
                    bc_csv_line(csv, (size_t) dup));
            goto out;
        }
    }

    /* Step 3: ratio parts, now that every code is known. A part must be a
     * count: a ratio of ratios has no meaningful sum to aggregate. */
    for (size_t r = 0; r < reg->ninds; r++) {
        bc_indicator_t *ind = &reg->inds[r];
        size_t line = bc_csv_line(csv, r);
        const char *num = bc_csv_field(csv, r, c_num);
        const char *den = bc_csv_field(csv, r, c_den);
        const char *scale = bc_csv_field(csv, r, c_scale);
        int64_t n, d;
        char *end;

        if (ind->kind != BC_KIND_RATIO) {
            if (num[0] || den[0] || scale[0]) {
                bc_set_error(err, errlen, "%s:%zu: %s is not a ratio: leave "
                        "numerator, denominator and scale empty", path,
                        line, ind->code);
                goto out;
            }
            continue;
        }
        n = index_get(&reg->ind_index, num, strlen(num));
        d = index_get(&reg->ind_index, den, strlen(den));
        if (n < 0 || d < 0) {
            bc_set_error(err, errlen, "%s:%zu: ratio %s has an unknown %s '%s'",
                    path, line, ind->code,
                    n < 0 ? "numerator" : "denominator", n < 0 ? num : den);
            goto out;
        }
        if (reg->inds[n].kind == BC_KIND_RATIO ||
            reg->inds[d].kind == BC_KIND_RATIO) {
            bc_set_error(err, errlen, "%s:%zu: ratio %s is built on another "
                    "ratio; its parts must be flow or stock counts", path,
                    line, ind->code);
            goto out;
        }
        ind->numerator = (int32_t) n;
        ind->denominator = (int32_t) d;
        ind->scale = strtod(scale, &end);
        /* Bounded so that any rate of checked totals stays finite and
         * exact enough in a double (bc_limits.h). */
        if (scale[0] == '\0' || *end != '\0' || !isfinite(ind->scale) ||
            ind->scale <= 0 || ind->scale > BC_RATIO_SCALE_MAX) {
            bc_set_error(err, errlen, "%s:%zu: ratio %s needs a positive scale "
                    "up to 1000000 (100, 1000, ...), not '%s'", path, line,
                    ind->code, scale);
            goto out;
        }
    }
    rc = 0;

out:
    bc_csv_destroy(&csv);
    return rc;
}

/* ---- digest ----------------------------------------------------------- */

static void hash_u32(crypto_hash_sha256_state *st, uint32_t v)
{
    uint8_t b[4] = { (uint8_t) (v >> 24), (uint8_t) (v >> 16),
                     (uint8_t) (v >> 8), (uint8_t) v };
    crypto_hash_sha256_update(st, b, sizeof b);
}

/* Length-prefixed, so that ("ab","c") and ("a","bc") differ. */
static void hash_str(crypto_hash_sha256_state *st, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    hash_u32(st, (uint32_t) n);
    if (n)
        crypto_hash_sha256_update(st, (const unsigned char *) s, n);
}

static void compute_digest(bc_registry_t *reg)
{
    crypto_hash_sha256_state st;
    char scale[40];

    crypto_hash_sha256_init(&st);
    hash_str(&st, "baocao-registry-v1");
    hash_u32(&st, (uint32_t) reg->nunits);
    for (size_t i = 0; i < reg->nunits; i++) {
        const bc_unit_t *u = &reg->units[i];
        hash_str(&st, u->code);
        hash_str(&st, u->parent >= 0 ? reg->units[u->parent].code : "");
        hash_str(&st, u->level);
        hash_str(&st, u->name);
        hash_u32(&st, (uint32_t) u->relay << 2 | (uint32_t) u->reports << 1
                          | (uint32_t) u->on_behalf);
        hash_str(&st, u->key);
    }
    hash_u32(&st, (uint32_t) reg->ninds);
    for (size_t i = 0; i < reg->ninds; i++) {
        const bc_indicator_t *ind = &reg->inds[i];
        hash_str(&st, ind->code);
        hash_str(&st, ind->name);
        hash_str(&st, ind->programme);
        hash_u32(&st, (uint32_t) ind->kind);
        hash_str(&st, ind->numerator >= 0 ? reg->inds[ind->numerator].code
                                          : "");
        hash_str(&st, ind->denominator >= 0
                          ? reg->inds[ind->denominator].code : "");
        /* %.17g round-trips a double, so equal scales hash equally. */
        snprintf(scale, sizeof scale, "%.17g", ind->scale);
        hash_str(&st, scale);
    }
    crypto_hash_sha256_final(&st, reg->digest);
}

/* ---- public ----------------------------------------------------------- */

bc_registry_t *bc_registry_load(const char *units_path,
                                const char *catalog_path, char *err,
                                size_t errlen)
{
    bc_registry_t *reg;

    if (!units_path || !catalog_path) {
        bc_set_error(err, errlen, "no units or catalogue file given");
        return NULL;
    }
    /* sodium_init is idempotent and thread-safe; SHA-256 needs it only for
     * CPU feature detection, but it must not be skipped. */
    if (sodium_init() < 0) {
        bc_set_error(err, errlen, "libsodium failed to initialise");
        return NULL;
    }
    reg = bc_calloc(1, sizeof *reg);
    if (load_units(reg, units_path, err, errlen) != 0)
        goto out_destroy;
    if (load_indicators(reg, catalog_path, err, errlen) != 0)
        goto out_destroy;
    compute_digest(reg);
    return reg;

out_destroy:
    bc_registry_destroy(&reg);
    return NULL;
}

void bc_registry_destroy(bc_registry_t **self_p)
{
    bc_registry_t *self;

    if (!self_p || !*self_p)
        return;
    self = *self_p;
    for (size_t i = 0; i < self->nunits; i++) {
        bc_unit_t *u = &self->units[i];
        free(u->code);
        free(u->name);
        free(u->level);
        free(u->children);
        free(u->key);
    }
    free(self->units);
    for (size_t i = 0; i < self->ninds; i++) {
        bc_indicator_t *ind = &self->inds[i];
        free(ind->code);
        free(ind->name);
        free(ind->programme);
    }
    free(self->inds);
    index_free(&self->unit_index);
    index_free(&self->ind_index);
    free(self);
    *self_p = NULL;
}

size_t bc_registry_nunits(const bc_registry_t *self)
{
    return self->nunits;
}

size_t bc_registry_nindicators(const bc_registry_t *self)
{
    return self->ninds;
}

bc_unit_t *bc_registry_unit(const bc_registry_t *self, uint32_t idx)
{
    assert(idx < self->nunits);
    return &self->units[idx];
}

bc_indicator_t *bc_registry_indicator(const bc_registry_t *self,
                                      uint32_t idx)
{
    assert(idx < self->ninds);
    return &self->inds[idx];
}

bc_unit_t *bc_registry_find_unit(const bc_registry_t *self, const char *code)
{
    int64_t i;

    if (!self || !code)
        return NULL;
    i = index_get(&self->unit_index, code, strlen(code));
    return i < 0 ? NULL : &self->units[i];
}

bc_indicator_t *bc_registry_find_indicator(const bc_registry_t *self,
                                           const char *code)
{
    int64_t i;

    if (!self || !code)
        return NULL;
    i = index_get(&self->ind_index, code, strlen(code));
    return i < 0 ? NULL : &self->inds[i];
}

bool bc_registry_is_within(const bc_registry_t *self, const bc_unit_t *unit,
                           const bc_unit_t *ancestor)
{
    if (!self || !unit || !ancestor)
        return false;
    /* Depth tells how far up to go: no need to walk past the ancestor's. */
    while (unit->depth > ancestor->depth)
        unit = &self->units[unit->parent];
    return unit == ancestor;
}

size_t bc_registry_expected(const bc_registry_t *self, const bc_unit_t *root,
                            const char *level, uint32_t *out, size_t max)
{
    uint32_t *stack;
    size_t top = 0, found = 0, written = 0;
    bool leaves = !level || level[0] == '\0';

    if (!self || !root)
        return 0;

    /* Depth-first, pre-order, children in file order, with an explicit
     * stack: the tree may be deep and is data, so no recursion. Each unit
     * is pushed at most once, so nunits slots suffice. */
    stack = bc_malloc(self->nunits * sizeof *stack);
    stack[top++] = root->idx;
    while (top > 0) {
        const bc_unit_t *u = &self->units[stack[--top]];
        bool match = leaves ? u->nchildren == 0
                            : strcmp(u->level, level) == 0;

        if (match && u->reports) {
            found++;
            if (out && written < max)
                out[written++] = u->idx;
        }
        for (uint32_t c = u->nchildren; c > 0; c--)
            stack[top++] = u->children[c - 1];
    }
    free(stack);
    /* max 0 asks for the count; otherwise report what was written. */
    return max == 0 ? found : written;
}

void bc_registry_digest(const bc_registry_t *self, uint8_t out[32])
{
    memcpy(out, self->digest, 32);
}
