/*
 * bc_code_index.c -- an open-addressing hash table from code to array
 * position (FNV-1a, linear probing, at most half full).
 *
 * Design: the hub resolves a unit and dozens of indicator codes for every
 * report it receives, so the registry looks codes up through this rather
 * than a sorted array (a bisection of strcmp calls per code) or a generic
 * container (a dependency for 60 lines). The table is sized once for the
 * entries it will hold, at least twice as many slots, so a probe always
 * meets an empty slot and ends; each slot keeps the code's hash so that
 * most mismatches cost no strcmp. It lives apart from bc_registry.c
 * because it knows nothing of units or indicators: the registry keeps
 * three of them (unit codes, indicator codes and, while loading, keys).
 */
#include "bc_code_index.h"

#include "bc_mem.h"

#include <stdlib.h>
#include <string.h>

/* One slot of the table. */
typedef struct {
    const char *code;        /* the code (owned by the caller), or NULL */
    uint32_t hash;           /* FNV-1a of code, to skip most strcmp calls */
    uint32_t idx;            /* position in the array the code belongs to */
} slot_t;

struct bc_code_index_t {
    slot_t *slots;           /* cap slots, empty ones have code NULL */
    size_t cap;              /* a power of two, at least twice the entries */
};

static uint32_t fnv1a(const char *s, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char) s[i];
        h *= 16777619u;
    }
    return h;
}

/* Finds `code` (len bytes); returns its slot, or the empty slot where it
 * would go. The table is never full, so the probe ends. */
static slot_t *probe(const bc_code_index_t *self, const char *code,
                     size_t len, uint32_t h)
{
    size_t mask = self->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        slot_t *s = &self->slots[i];
        if (!s->code)
            return s;
        if (s->hash == h && strncmp(s->code, code, len) == 0 &&
            s->code[len] == '\0')
            return s;
    }
}

bc_code_index_t *bc_code_index_new(size_t n)
{
    bc_code_index_t *self = bc_calloc(1, sizeof *self);
    size_t cap = 16;

    while (cap < n * 2)
        cap *= 2;
    self->slots = bc_calloc(cap, sizeof *self->slots);
    self->cap = cap;
    return self;
}

void bc_code_index_destroy(bc_code_index_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->slots);
    free(*self_p);
    *self_p = NULL;
}

int64_t bc_code_index_put(bc_code_index_t *self, const char *code,
                          uint32_t idx)
{
    size_t len = strlen(code);
    uint32_t h = fnv1a(code, len);
    slot_t *s = probe(self, code, len, h);

    if (s->code)
        return s->idx;
    s->code = code;
    s->hash = h;
    s->idx = idx;
    return -1;
}

int64_t bc_code_index_get(const bc_code_index_t *self, const char *code,
                          size_t len)
{
    slot_t *s;

    if (!self)
        return -1;
    s = probe(self, code, len, fnv1a(code, len));
    return s->code ? (int64_t) s->idx : -1;
}
