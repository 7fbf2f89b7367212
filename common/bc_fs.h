/*
 * bc_fs.h -- the few file-system operations the programs share: making a
 * store's folder with its missing parents, copying a store, the size of a
 * folder's files, and replacing a small file all or nothing.
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

/* Replaces the file `path` by the `len` bytes at `data`, all or nothing:
 * they are written to PATH.tmp (mode `mode`), flushed to the disk, renamed
 * over `path`, and the folder is synced so that the rename outlives a
 * crash too. A reader sees the old file or the new one, never a part of
 * either; on failure PATH.tmp is removed and `path` is as it was.
 *
 * For the small files the programs leave for people and scripts (an
 * endpoint, a URL, a node's copy of the catalogue, a store error's note),
 * not for the stores themselves, which are LMDB's.
 *
 * BC_OK; BC_ENOSPC if the file system is full (ENOSPC, EDQUOT); BC_EIO
 * otherwise, with errno kept and a message in err naming the file. */
int bc_file_replace(const char *path, const void *data, size_t len,
                    mode_t mode, char *err, size_t errlen);

#endif
