/*
 * hub_cache.h -- the reply cache of the read requests (Query, SliceQuery,
 * CompletenessQuery; issue #21, goal 2).
 *
 * A web page asks the same questions again and again between two
 * commits; the answer is a function of the request, of who asks (their
 * scope) and of the store's state. The cache keeps the packed replies,
 * keyed by the requester's identity and the request's bytes without its
 * tag, for one generation: the id of the snapshot a read begun then
 * sees (hub_store_txnid; read before the answer's own read begins, so an
 * answer is never older than its generation).
 * Every write to the store (a batch of reports, a plan, an approval, a
 * federated log, a registry version) commits a transaction, so a
 * lookup with a newer id empties the cache first; a registry reload
 * (SIGHUP), which reopens the store and may change the rules without a
 * commit, empties it explicitly (hub_cache_clear).
 *
 * Memory is bounded by a byte budget (keys, replies and bookkeeping
 * counted); the least recently used entry goes first. A reply is stored
 * with tag 0 and the asker's tag is written into a copy on the way out,
 * where the canonical encoding puts it (after the version, before the
 * body), so a cached answer is byte for byte the one a fresh one would be.
 */
#ifndef HUB_CACHE_H
#define HUB_CACHE_H

#include <stddef.h>
#include <stdint.h>

typedef struct hub_cache_t hub_cache_t;

/* A cache of at most `budget` bytes; 0 gives a cache that holds nothing
 * (every lookup misses). NULL on allocation failure. */
hub_cache_t *hub_cache_new(size_t budget);
void hub_cache_destroy(hub_cache_t **self_p);

/* Builds the key of a request in the cache's scratch: `peer` (the
 * authenticated identity, "" in plain mode), then the request's top-level
 * fields but its tag (field 2). Returns 0, or -1 when `req` is not a
 * well-formed message (then nothing is cached). */
int hub_cache_key(hub_cache_t *self, const char *peer, const uint8_t *req,
                  size_t len);

/* Looks up the key last built, in generation `gen` (the cache is emptied
 * when gen differs from the one it holds). On a hit returns the reply's
 * bytes with `tag` written in (valid until the next call) and its length
 * in *len; NULL on a miss. */
const uint8_t *hub_cache_get(hub_cache_t *self, uint64_t gen, uint64_t tag,
                             size_t *len);

/* Stores `reply` (packed with tag 0, `len` bytes) under the key last
 * built, in generation `gen`; takes a copy. Entries are evicted to stay
 * within the budget; a reply larger than the budget is not kept. Returns
 * 0, or -1 when out of memory (nothing changes). */
int hub_cache_put(hub_cache_t *self, uint64_t gen, const uint8_t *reply,
                  size_t len);

/* Writes `reply` (packed with tag 0) with `tag` into the cache's scratch:
 * what a fresh reply of that tag would be. NULL when out of memory. */
const uint8_t *hub_cache_retag(hub_cache_t *self, const uint8_t *reply,
                               size_t len, uint64_t tag, size_t *out_len);

/* Empties the cache (a registry reload). */
void hub_cache_clear(hub_cache_t *self);

/* Counters, for the logs and the tests. */
uint64_t hub_cache_hits(const hub_cache_t *self);
uint64_t hub_cache_misses(const hub_cache_t *self);
size_t hub_cache_bytes(const hub_cache_t *self);

#endif
