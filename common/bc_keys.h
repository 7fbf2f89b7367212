/*
 * bc_keys.h -- CurveZMQ key pairs on disk, and the security settings shared
 * by every program.
 *
 * `baocao keygen --out NAME` writes NAME.pub (the public key, shareable)
 * and NAME.secret (public and secret key, mode 0600), in czmq's zcert
 * format (a small ZPL text file), so any czmq tool can read them.
 */
#ifndef BC_KEYS_H
#define BC_KEYS_H

#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct {
    const char *hub_key;   /* the hub's NAME.pub, or NULL for a plain link */
    const char *cert;      /* our own NAME.secret (key pair), or NULL */
} bc_security_t;

/* Writes NAME.pub and NAME.secret (0600). Returns BC_OK, BC_EEXIST (will
 * not overwrite a key) or BC_EIO. */
int bc_keys_generate(const char *name, char *err, size_t errlen);

/* Reads exactly `path` (a .pub or .secret file; never "PATH_secret" as
 * zcert_load would) and writes the Z85 public key (40 chars + NUL) into
 * out. Returns BC_OK or BC_ECRYPTO with a message (unreadable, not a key
 * file, a secret key that does not match the public one). */
int bc_keys_public(const char *path, char out[41], char *err, size_t errlen);

/* A key's fingerprint for people to read out over the phone: the first 8
 * bytes of SHA-256 over the 40-character Z85 public key, as 16 upper-case
 * hex digits in four groups ("3F2A-91BC-07DE-55A1"; 20 chars + NUL).
 * Enrolment (`baocao enroll`, `baocao registry approve-key`) matches a
 * key by it. */
void bc_keys_fingerprint(const char *z85_public, char out[20]);

/* Loads a key pair from exactly the .secret file `path`. Returns NULL with
 * a message in err if the file is missing, unreadable, not a regular file,
 * readable by others than its owner (the mode of the file actually read),
 * holds no secret key (a .pub file, recognised by its content), or holds a
 * secret key that does not match its public key. */
zcert_t *bc_keys_load_pair(const char *path, char *err, size_t errlen);

/* Applies client-side CURVE to a socket: our key pair (a fresh ephemeral one
 * when sec->cert is NULL) and the hub's public key. Returns BC_OK or
 * BC_ECRYPTO. */
int bc_keys_apply_client(zsock_t *sock, const bc_security_t *sec, char *err,
                         size_t errlen);

/* Handshake failures, which libzmq otherwise hides (a refused client
 * reconnects for ever while its sends appear to succeed): attaches a
 * monitor to sock and returns the PAIR socket its events arrive on, or NULL
 * if the monitor could not be set up. Detach with bc_keys_unwatch before
 * destroying sock. */
zsock_t *bc_keys_watch(zsock_t *sock);
/* The same, for these ZMQ_EVENT_* events besides the handshake failures
 * (the node also watches ZMQ_EVENT_DISCONNECTED). Read them with
 * bc_keys_watch_read_event, and look at *event first: any event other
 * than AUTH reads as BC_HANDSHAKE_FAILED. */
zsock_t *bc_keys_watch_events(zsock_t *sock, int extra_events);
void bc_keys_unwatch(zsock_t *sock, zsock_t **monitor_p);

typedef enum {
    BC_HANDSHAKE_OTHER = 0,    /* not a handshake failure */
    BC_HANDSHAKE_REFUSED = 1,  /* the hub's ZAP handler refused our key */
    BC_HANDSHAKE_FAILED = 2    /* CURVE failed: a wrong hub key, most likely */
} bc_handshake_t;

/* Reads one event from a watch socket. */
bc_handshake_t bc_keys_watch_read(zsock_t *monitor);

/* The same, with what libzmq said: *event the ZMQ_EVENT_HANDSHAKE_FAILED_*
 * value, *value its errno (NO_DETAIL: the socket error that ended the
 * handshake, e.g. ECONNRESET for a cut) or protocol code (PROTOCOL, AUTH).
 * Both are 0 when the event could not be read. The node uses them to tell
 * a link cut during the handshake from a wrong key. */
bc_handshake_t bc_keys_watch_read_event(zsock_t *monitor, uint16_t *event,
                                        uint32_t *value);

#endif
