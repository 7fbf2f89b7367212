/*
 * bc_error.h -- the project's error codes.
 *
 * Every function that can fail returns an int: 0 (BC_OK) on success, or one
 * of the negative codes below. The codes live in a reserved range, like
 * LMDB's, so that they never collide with errno values, which some functions
 * return negated (-errno) when the failure came from the system.
 * bc_strerror() names any of them.
 */
#ifndef BC_ERROR_H
#define BC_ERROR_H

#include <stddef.h>

#define BC_OK            0
#define BC_ERR_FIRST     (-32000)
#define BC_EINVAL        (-32000) /* bad argument or malformed input */
#define BC_EPARSE        (-31999) /* a file or field could not be parsed */
#define BC_ENOTFOUND     (-31998) /* no such unit, indicator, record */
#define BC_EEXIST        (-31997) /* already present */
#define BC_EFULL         (-31996) /* the LMDB map is full */
#define BC_ESTORE        (-31995) /* any other LMDB failure */
#define BC_ENET          (-31994) /* ZeroMQ failure */
#define BC_ETIMEOUT      (-31993) /* no answer in time */
#define BC_EVERSION      (-31992) /* unsupported contract or store version */
#define BC_EPERIOD       (-31991) /* malformed period */
#define BC_ERANGE        (-31990) /* a number out of its allowed range */
#define BC_EIO           (-31989) /* file I/O failed (errno kept) */
#define BC_EREJECTED     (-31988) /* the hub rejected the request */
#define BC_ECRYPTO       (-31987) /* key file or CURVE failure */
#define BC_EFATAL        (-31986) /* the store's disk failed (EIO, MDB_PANIC):
                                     the environment is unusable until the
                                     process opens it again */
#define BC_ENOSPC        (-31985) /* the filesystem holding the store is full
                                     (not the LMDB map) */
#define BC_ERR_LAST      (-31985)

/* Exit status of a daemon (baocao-hub, baocao-node) that stopped because
 * its store met BC_EFATAL: EX_IOERR of <sysexits.h>. Its supervisor
 * restarts it, and the restart reopens the store at its last good commit
 * (see README, "When a disk fails"). */
#define BC_EXIT_STORE_FAILED 74

/* Names an error code: one of ours, a negated errno, or an LMDB code.
 * Never returns NULL; the string is static. */
const char *bc_strerror(int err);

/* Formats a message into a caller's error buffer; does nothing when err is
 * NULL or errlen is 0 (callers that do not want the words). */
void bc_set_error(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
