/*
 * bc_fs.h -- the few file-system operations the programs share: making a
 * store's folder with its missing parents, copying a store, and the size
 * of a folder's files.
 */
#ifndef BC_FS_H
#define BC_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Creates `dir` and any missing parent folders (mode `mode`, as mkdir -p).
 * *made_parents, when not NULL, tells whether parents had to be made, so
 * that the caller can log it. Returns 0, or -1 with errno set and a message
 * in err naming the folder that could not be made. */
int bc_mkdir_p(const char *dir, mode_t mode, bool *made_parents, char *err,
               size_t errlen);

/* True if `dir` holds an LMDB environment (a data.mdb file). */
bool bc_has_store(const char *dir);

/* Writes a compacted, consistent copy of an open LMDB environment into
 * `dir`: created with its parents if missing, refused if it already holds
 * a store. The copy runs inside one read transaction, so the environment's
 * writer goes on meanwhile. BC_OK, or BC_EIO / BC_EEXIST / BC_EFULL /
 * BC_ESTORE with a message in err. */
struct MDB_env;
int bc_store_copy(struct MDB_env *env, const char *dir, char *err,
                  size_t errlen);

/* The total size in bytes of the regular files directly in `dir`, or -1. */
int64_t bc_dir_bytes(const char *dir);

#endif
