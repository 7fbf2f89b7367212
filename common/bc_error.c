/*
 * bc_error.c -- names for the project's error codes (see bc_error.h).
 */
#include "bc_error.h"

#include <lmdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void bc_set_error(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (!err || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

const char *bc_strerror(int err)
{
    switch (err) {
    case BC_OK:        return "BC_OK: success";
    case BC_EINVAL:    return "BC_EINVAL: invalid argument or malformed input";
    case BC_EPARSE:    return "BC_EPARSE: could not parse input";
    case BC_ENOTFOUND: return "BC_ENOTFOUND: not found";
    case BC_EEXIST:    return "BC_EEXIST: already exists";
    case BC_EFULL:     return "BC_EFULL: store is full (grow the map size)";
    case BC_ESTORE:    return "BC_ESTORE: store (LMDB) failure";
    case BC_ENET:      return "BC_ENET: network (ZeroMQ) failure";
    case BC_ETIMEOUT:  return "BC_ETIMEOUT: no answer in time";
    case BC_EVERSION:  return "BC_EVERSION: unsupported version";
    case BC_EPERIOD:   return "BC_EPERIOD: malformed period";
    case BC_ERANGE:    return "BC_ERANGE: value out of range";
    case BC_EIO:       return "BC_EIO: file I/O failed";
    case BC_EREJECTED: return "BC_EREJECTED: rejected by the hub";
    case BC_ECRYPTO:   return "BC_ECRYPTO: key or encryption failure";
    case BC_EFATAL:    return "BC_EFATAL: the store's disk failed (I/O error); "
                              "check the disk and dmesg";
    case BC_ENOSPC:    return "BC_ENOSPC: the disk holding the store is full";
    default: break;
    }
    /* LMDB's own codes sit between MDB_KEYEXIST and MDB_LAST_ERRCODE. */
    if (err <= MDB_KEYEXIST && err >= MDB_LAST_ERRCODE)
        return mdb_strerror(err);
    if (err < 0 && err > -4096)
        return strerror(-err);
    return "unknown error";
}
