/*
 * bc_lock.h -- one daemon per folder: an exclusive lock on a store.
 *
 * The hub's store and a node's outbox are each meant for one daemon. LMDB
 * lets any number of processes open an environment, so nothing stopped a
 * second `baocao-hub --store DIR` from starting beside the first, and the
 * two then broke each other's writes. A daemon now takes this lock before
 * it opens its store and holds it until it exits.
 *
 * The lock is flock(2) on DIR/daemon.lock: the kernel drops it when the
 * process dies, SIGKILL included, so a crash never leaves a stale lock to
 * clean by hand. The file holds "PROGRAM PID" of the holder, for the
 * message the next one prints. Tools that only read or file (`baocao
 * status`, `baocao submit`) do not take it: LMDB already serialises them
 * with the daemon.
 */
#ifndef BC_LOCK_H
#define BC_LOCK_H

#include <stddef.h>

typedef struct bc_lock_t bc_lock_t;

/* The lock file's name inside the folder. */
#define BC_LOCK_FILE "daemon.lock"

/* Creates dir if missing, with its parents (0750, bc_mkdir_p), and takes the exclusive lock on
 * dir/daemon.lock for `program` (e.g. "baocao-hub"), without waiting.
 * Returns BC_OK with *out set; BC_EEXIST when another process holds it
 * ("DIR is in use by baocao-hub pid N" in err); BC_EIO when the folder or
 * file cannot be created or locked (errno's words in err). Failing to
 * write "PROGRAM PID" into the file (a full disk) is only logged: the lock
 * is held all the same. */
int bc_lock_new(const char *dir, const char *program, bc_lock_t **out,
                char *err, size_t errlen);

/* Releases the lock (closing the file) and frees it; accepts NULL and
 * clears the caller's pointer. The file stays: removing it would race with
 * a daemon that opened it a moment before. */
void bc_lock_destroy(bc_lock_t **self_p);

#endif
