/*
 * bc_client.h -- a synchronous request/reply client for the CLI tools and
 * the tests: one DEALER socket to the hub, one Request out, wait for the
 * Reply with the same tag.
 *
 * The node does not use this: it pipelines many submissions at once (see
 * node/node_sender.h). A tool's call is idempotent (queries) or carries its
 * own idempotency key (submissions), so a caller may retry after a timeout.
 */
#ifndef BC_CLIENT_H
#define BC_CLIENT_H

#include "bc_arena.h"
#include "bc_keys.h"
#include "bc_wire.h"

typedef struct bc_client_t bc_client_t;

/* Connects to endpoint (e.g. "tcp://127.0.0.1:5555"). With sec NULL or
 * sec->hub_key NULL the link is plain; otherwise CURVE with the hub's
 * public key and the caller's key pair. Returns NULL with a message in err
 * when the endpoint or a key file is bad (connecting itself is lazy). */
bc_client_t *bc_client_new(const char *endpoint, const bc_security_t *sec,
                           char *err, size_t errlen);

void bc_client_destroy(bc_client_t **self_p);

/* Sends req (its version and tag are filled in) and waits up to
 * timeout_ms for the Reply, which the caller frees with
 * baocao__reply__free_unpacked(reply, NULL). Returns BC_OK, BC_ETIMEOUT,
 * BC_ECRYPTO (the hub refused our key at the handshake), BC_ENET or
 * BC_EPARSE (the hub's answer did not decode). */
int bc_client_call(bc_client_t *self, Baocao__Request *req,
                   Baocao__Reply **reply, int timeout_ms);

/* As bc_client_call, but the Reply is decoded into `arena` (bc_arena.h,
 * through protobuf-c's ProtobufCAllocator): one bump of a pointer per
 * field instead of a malloc, and nothing to free field by field. The
 * reply lives until the caller resets or destroys the arena, so several
 * may be held at once; it must never be passed to
 * baocao__reply__free_unpacked. A reply skipped for its tag (the answer
 * to an earlier call that timed out) is taken back out of the arena at
 * once. A 100-figure reply costs the client about 40 % fewer
 * instructions this way (BENCHMARKS.md, issue 21, "The client's decode
 * and the hub's reply").
 * Same return codes as bc_client_call; *reply is NULL unless BC_OK. */
int bc_client_call_arena(bc_client_t *self, Baocao__Request *req,
                         bc_arena_t *arena, Baocao__Reply **reply,
                         int timeout_ms);

/* The last handshake failure seen, in words that name the option to fix
 * (a refused key without a key pair given says to pass --cert; a failed
 * handshake without a hub key says the hub wants --hub-key), or NULL. */
const char *bc_client_auth_error(const bc_client_t *self);

#endif
