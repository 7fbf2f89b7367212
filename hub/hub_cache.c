/*
 * hub_cache.c -- the reply cache of the read requests: a chained hash
 * table (SipHash with a key drawn at start, so that a peer cannot choose
 * colliding requests) over a least-recently-used list, within a byte
 * budget. See hub_cache.h for what is cached and when it is emptied.
 *
 * One thread uses it (the hub's loop), so there is no lock. The key and
 * the reply of an entry live in one allocation after the entry itself.
 */
#include "hub_cache.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define NBUCKETS 4096            /* a few thousand replies fit the budget */

typedef struct entry_t {
    struct entry_t *chain;       /* next in the bucket */
    struct entry_t *newer, *older; /* the LRU list */
    uint64_t hash;               /* of the key */
    size_t keylen, vallen;       /* bytes of key, of reply */
    uint8_t data[];              /* key, then reply */
} entry_t;

struct hub_cache_t {
    size_t budget;               /* bytes allowed */
    size_t used;                 /* bytes held (entries and their data) */
    uint64_t gen;                /* generation of every entry held */
    entry_t *buckets[NBUCKETS];
    entry_t *newest, *oldest;    /* the LRU list's ends */
    unsigned char sipkey[crypto_shorthash_KEYBYTES];
    uint8_t *key;                /* the key last built */
    size_t keylen, keycap;
    uint64_t keyhash;
    uint8_t *out;                /* a retagged reply */
    size_t outcap;
    uint64_t hits, misses;
};

hub_cache_t *hub_cache_new(size_t budget)
{
    hub_cache_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->budget = budget;
    randombytes_buf(self->sipkey, sizeof self->sipkey);
    return self;
}

void hub_cache_clear(hub_cache_t *self)
{
    for (entry_t *e = self->newest, *next; e; e = next) {
        next = e->older;
        free(e);
    }
    memset(self->buckets, 0, sizeof self->buckets);
    self->newest = self->oldest = NULL;
    self->used = 0;
}

void hub_cache_destroy(hub_cache_t **self_p)
{
    hub_cache_t *self = *self_p;
    if (!self)
        return;
    hub_cache_clear(self);
    free(self->key);
    free(self->out);
    free(self);
    *self_p = NULL;
}

/* Room for `n` bytes in a scratch buffer. */
static bool reserve(uint8_t **buf, size_t *cap, size_t n)
{
    if (n <= *cap)
        return true;
    size_t c = *cap ? *cap : 256;
    while (c < n)
        c *= 2;
    uint8_t *nb = realloc(*buf, c);
    if (!nb)
        return false;
    *buf = nb;
    *cap = c;
    return true;
}

/* A varint at p (end at e): its value in *v, the byte after it, or NULL. */
static const uint8_t *varint(const uint8_t *p, const uint8_t *e, uint64_t *v)
{
    uint64_t x = 0;
    for (unsigned shift = 0; p < e && shift < 64; shift += 7) {
        uint8_t b = *p++;
        x |= (uint64_t) (b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = x;
            return p;
        }
    }
    return NULL;
}

/* The end of the top-level field starting at p, its number in *field,
 * or NULL when it is not well formed. */
static const uint8_t *field_end(const uint8_t *p, const uint8_t *e,
                                uint64_t *field)
{
    uint64_t k, v;
    if (!(p = varint(p, e, &k)))
        return NULL;
    *field = k >> 3;
    switch (k & 7) {
    case 0:
        return varint(p, e, &v);
    case 1:
        return (size_t) (e - p) >= 8 ? p + 8 : NULL;
    case 2:
        if (!(p = varint(p, e, &v)) || v > (uint64_t) (e - p))
            return NULL;
        return p + v;
    case 5:
        return (size_t) (e - p) >= 4 ? p + 4 : NULL;
    default:
        return NULL;
    }
}

int hub_cache_key(hub_cache_t *self, const char *peer, const uint8_t *req,
                  size_t len)
{
    size_t plen = strlen(peer) + 1;   /* its NUL ends the identity */
    self->keylen = 0;
    if (!reserve(&self->key, &self->keycap, plen + len))
        return -1;
    memcpy(self->key, peer, plen);
    size_t n = plen;
    const uint8_t *p = req, *e = req + len;
    while (p < e) {
        uint64_t field;
        const uint8_t *q = field_end(p, e, &field);
        if (!q)
            return -1;
        if (field != 2) {             /* the tag: the asker's, not the key's */
            memcpy(self->key + n, p, (size_t) (q - p));
            n += (size_t) (q - p);
        }
        p = q;
    }
    self->keylen = n;
    crypto_shorthash((unsigned char *) &self->keyhash, self->key, n,
                     self->sipkey);
    return 0;
}

static void lru_unlink(hub_cache_t *self, entry_t *e)
{
    if (e->newer)
        e->newer->older = e->older;
    else
        self->newest = e->older;
    if (e->older)
        e->older->newer = e->newer;
    else
        self->oldest = e->newer;
    e->newer = e->older = NULL;
}

static void lru_push(hub_cache_t *self, entry_t *e)
{
    e->newer = NULL;
    e->older = self->newest;
    if (self->newest)
        self->newest->newer = e;
    else
        self->oldest = e;
    self->newest = e;
}

static size_t entry_cost(const entry_t *e)
{
    return sizeof *e + e->keylen + e->vallen;
}

static void evict(hub_cache_t *self, entry_t *e)
{
    entry_t **pp = &self->buckets[e->hash & (NBUCKETS - 1)];
    while (*pp != e)
        pp = &(*pp)->chain;
    *pp = e->chain;
    lru_unlink(self, e);
    self->used -= entry_cost(e);
    free(e);
}

/* A new generation empties the cache: its entries answer an older store. */
static void use_gen(hub_cache_t *self, uint64_t gen)
{
    if (gen != self->gen) {
        hub_cache_clear(self);
        self->gen = gen;
    }
}

static entry_t *find(hub_cache_t *self)
{
    for (entry_t *e = self->buckets[self->keyhash & (NBUCKETS - 1)]; e;
         e = e->chain)
        if (e->hash == self->keyhash && e->keylen == self->keylen
            && memcmp(e->data, self->key, self->keylen) == 0)
            return e;
    return NULL;
}

const uint8_t *hub_cache_get(hub_cache_t *self, uint64_t gen, uint64_t tag,
                             size_t *len)
{
    use_gen(self, gen);
    entry_t *e = self->keylen ? find(self) : NULL;
    if (!e) {
        self->misses++;
        return NULL;
    }
    const uint8_t *out = hub_cache_retag(self, e->data + e->keylen,
                                         e->vallen, tag, len);
    if (!out) {
        self->misses++;
        return NULL;
    }
    lru_unlink(self, e);
    lru_push(self, e);
    self->hits++;
    return out;
}

int hub_cache_put(hub_cache_t *self, uint64_t gen, const uint8_t *reply,
                  size_t len)
{
    use_gen(self, gen);
    if (!self->keylen)
        return 0;
    size_t cost = sizeof(entry_t) + self->keylen + len;
    if (cost > self->budget)
        return 0;                     /* would evict everything: not kept */
    entry_t *old = find(self);
    if (old)
        evict(self, old);
    entry_t *e = malloc(cost);
    if (!e)
        return -1;
    e->hash = self->keyhash;
    e->keylen = self->keylen;
    e->vallen = len;
    memcpy(e->data, self->key, self->keylen);
    memcpy(e->data + self->keylen, reply, len);
    while (self->oldest && self->used + cost > self->budget)
        evict(self, self->oldest);
    entry_t **bucket = &self->buckets[e->hash & (NBUCKETS - 1)];
    e->chain = *bucket;
    *bucket = e;
    lru_push(self, e);
    self->used += cost;
    return 0;
}

const uint8_t *hub_cache_retag(hub_cache_t *self, const uint8_t *reply,
                               size_t len, uint64_t tag, size_t *out_len)
{
    /* The canonical place of the tag (field 2): after the fields numbered
     * below it (the version). */
    const uint8_t *p = reply, *e = reply + len;
    while (p < e) {
        uint64_t field;
        const uint8_t *q = field_end(p, e, &field);
        if (!q || field >= 2)
            break;
        p = q;
    }
    size_t head = (size_t) (p - reply);
    if (!reserve(&self->out, &self->outcap, len + 11))
        return NULL;
    memcpy(self->out, reply, head);
    size_t n = head;
    if (tag) {
        self->out[n++] = 0x10;        /* field 2, varint */
        while (tag >= 0x80) {
            self->out[n++] = (uint8_t) (tag | 0x80);
            tag >>= 7;
        }
        self->out[n++] = (uint8_t) tag;
    }
    memcpy(self->out + n, p, len - head);
    *out_len = n + len - head;
    return self->out;
}

uint64_t hub_cache_hits(const hub_cache_t *self)
{
    return self->hits;
}

uint64_t hub_cache_misses(const hub_cache_t *self)
{
    return self->misses;
}

size_t hub_cache_bytes(const hub_cache_t *self)
{
    return self->used;
}
