/*
 * bc_registry_digest.c -- the registry's digest: SHA-256 over a canonical
 * serialisation of the parsed content, not of the file bytes.
 *
 * Design: reordering columns, adding a comment column or changing quoting
 * does not change the digest, while any change that matters (a renamed
 * unit, a moved commune, a new indicator) does. The hub's store records
 * the digest of the registry it was built with (and rebuilds when it
 * changes) and its registry history names versions by it, so these bytes
 * are a contract:
 * every field is hashed in a fixed order, integers big-endian, strings
 * length-prefixed, doubles as %.17g text; history and breakdowns are
 * hashed only where there are some, so that a file without them keeps
 * the digest it always had. The serialisation lives apart from the
 * loader (bc_registry.c) so that it reads as one contract, and it reads
 * the registry only through bc_registry.h.
 */
#include "bc_registry_digest.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

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

/* The code of unit p, or "" for no unit (p < 0, a root). */
static const char *unit_code(const bc_registry_t *reg, int32_t p)
{
    return p >= 0 ? bc_registry_unit(reg, (uint32_t) p)->code : "";
}

/* The code of indicator i, or "" for none (i < 0, not a ratio). */
static const char *ind_code(const bc_registry_t *reg, int32_t i)
{
    return i >= 0 ? bc_registry_indicator(reg, (uint32_t) i)->code : "";
}

void bc_registry_digest_compute(const bc_registry_t *reg,
                                uint8_t out[32])
{
    crypto_hash_sha256_state st;
    char scale[40];

    crypto_hash_sha256_init(&st);
    hash_str(&st, "baocao-registry-v1");
    hash_u32(&st, (uint32_t) bc_registry_nunits(reg));
    for (size_t i = 0; i < bc_registry_nunits(reg); i++) {
        const bc_unit_t *u = bc_registry_unit(reg, (uint32_t) i);
        hash_str(&st, u->code);
        hash_str(&st, unit_code(reg, u->parent));
        hash_str(&st, u->level);
        hash_str(&st, u->name);
        hash_u32(&st, (uint32_t) u->relay << 2 | (uint32_t) u->reports << 1
                          | (uint32_t) u->on_behalf);
        hash_str(&st, u->key);
        /* History only where there is some, so that a file without it
         * keeps the digest it always had (and no store rebuilds). */
        if (u->nspans > 1 || u->spans[0].from != BC_MONTH_OPEN_FROM ||
            u->spans[0].to != BC_MONTH_OPEN_TO || u->spans[0].nsucc) {
            hash_str(&st, "history");
            hash_u32(&st, u->nspans);
            for (uint32_t k = 0; k < u->nspans; k++) {
                const bc_span_t *sp = &u->spans[k];
                char share[40];
                hash_u32(&st, (uint32_t) sp->from);
                hash_u32(&st, (uint32_t) sp->to);
                hash_str(&st, unit_code(reg, sp->parent));
                hash_str(&st, sp->name);
                hash_str(&st, sp->level);
                hash_u32(&st, sp->nsucc);
                for (uint32_t j = 0; j < sp->nsucc; j++) {
                    hash_str(&st,
                             bc_registry_unit(reg, sp->succ[j].unit)->code);
                    snprintf(share, sizeof share, "%.17g",
                             sp->succ[j].has_share ? sp->succ[j].share : -1.0);
                    hash_str(&st, share);
                }
            }
        }
    }
    hash_u32(&st, (uint32_t) bc_registry_ncatalogue(reg));
    for (size_t i = 0; i < bc_registry_ncatalogue(reg); i++) {
        const bc_indicator_t *ind =
            bc_registry_indicator(reg, (uint32_t) i);
        hash_str(&st, ind->code);
        hash_str(&st, ind->name);
        hash_str(&st, ind->programme);
        hash_u32(&st, (uint32_t) ind->kind);
        hash_str(&st, ind_code(reg, ind->numerator));
        hash_str(&st, ind_code(reg, ind->denominator));
        /* %.17g round-trips a double, so equal scales hash equally. */
        snprintf(scale, sizeof scale, "%.17g", ind->scale);
        hash_str(&st, scale);
        /* Breakdowns only where there are some: a catalogue without them
         * keeps its digest (and no store rebuilds). */
        if (ind->ncats) {
            hash_str(&st, "categories");
            hash_u32(&st, ind->ncats);
            for (uint32_t k = 0; k < ind->ncats; k++) {
                const bc_category_t *c =
                    bc_registry_category(reg, ind->cats[k]);
                hash_str(&st, c->code);
                hash_u32(&st, c->nopts);
                for (uint32_t o = 0; o < c->nopts; o++)
                    hash_str(&st, c->opts[o]);
            }
        }
    }
    crypto_hash_sha256_final(&st, out);
}
