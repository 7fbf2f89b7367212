/*
 * bc_enroll.h -- approving an enrolled node's key: the pending keys the
 * hub recorded (STORE/pending-keys, hub_auth.h), matched by the
 * fingerprint staff read out, written into the registry's `key` column.
 * Shared by `baocao registry approve-key` and the desk's approval page,
 * so that both apply exactly the same rules.
 */
#ifndef BC_ENROLL_H
#define BC_ENROLL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "3f2a 91bc-07de55A1" -> "3F2A-91BC-07DE-55A1" (bc_keys_fingerprint's
 * form). Returns false when it is not 16 hex digits (dashes and spaces
 * aside). */
bool bc_enroll_fingerprint(const char *in, char out[20]);

/* Called for each pending key: its Z85 text, fingerprint, when the hub
 * first saw it (Unix s) and from where. */
typedef void (*bc_enroll_fn)(void *arg, const char *key, const char *fp,
                             int64_t first_seen, const char *address);

/* Reads the pending file. Returns BC_OK or BC_EIO (errno's words in
 * err). */
int bc_enroll_each(const char *pending, bc_enroll_fn fn, void *arg,
                   char *err, size_t errlen);

/* The one pending key whose fingerprint is fp (normalised). Returns
 * BC_OK with key (40 chars + NUL), BC_ENOTFOUND (none) or BC_EEXIST (two
 * or more: refused, a fingerprint must name one key), or BC_EIO. */
int bc_enroll_find(const char *pending, const char *fp, char key[41],
                   char *err, size_t errlen);

/* Rewrites the registry at path with key in unit's row (adding a `key`
 * column when there is none): every other cell kept, CSV quoting
 * restored, replaced whole (bc_file_replace), its permissions kept.
 * Returns BC_OK, BC_ENOTFOUND (no such unit), BC_EEXIST (another unit has
 * this key), BC_EPARSE, BC_EIO or BC_ENOSPC, with a message. */
int bc_enroll_write_key(const char *path, const char *unit, const char *key,
                        char *err, size_t errlen);

/* True when some unit of the registry at path has key. */
bool bc_enroll_key_known(const char *path, const char *key);

#endif
