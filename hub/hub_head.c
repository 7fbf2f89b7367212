/*
 * hub_head.c -- the log's head from a read snapshot.
 *
 * The store's own counter (hub_store_last_seq) runs ahead of what is
 * committed while a batch is being written, and a read snapshot may be
 * older still; the head must be an entry the snapshot holds, with its
 * hash. So we start at the counter, which is never behind the snapshot
 * taken before it was read, and step down to the last entry the snapshot
 * has: at most one batch of steps, each a B-tree lookup.
 */
#include "hub_head.h"
#include "hub_log.h"

#include "bc_error.h"

#include <stdio.h>
#include <string.h>

int hub_head_read(hub_store_t *store, hub_reader_t *r, uint64_t *seq,
                  uint8_t hash[32])
{
    uint64_t s = hub_store_last_seq(store);
    memset(hash, 0, 32);
    *seq = 0;
    for (; s > 0; s--) {
        hub_log_entry_t e;
        int rc = hub_reader_log_entry(r, s, &e);
        if (rc == BC_ENOTFOUND)
            continue;
        if (rc)
            return BC_ESTORE;
        *seq = s;
        memcpy(hash, e.hash, 32);
        return BC_OK;
    }
    return BC_OK;
}

int hub_head_at(hub_reader_t *r, uint64_t seq, uint8_t hash[32])
{
    hub_log_entry_t e;
    if (seq == 0)
        return BC_ENOTFOUND;
    int rc = hub_reader_log_entry(r, seq, &e);
    if (rc)
        return rc == BC_ENOTFOUND ? BC_ENOTFOUND : BC_ESTORE;
    memcpy(hash, e.hash, 32);
    return BC_OK;
}

char *hub_head_format(uint64_t seq, const uint8_t hash[32], char *out)
{
    static const char d[] = "0123456789abcdef";
    char hex[65];
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = d[hash[i] >> 4];
        hex[2 * i + 1] = d[hash[i] & 15];
    }
    hex[64] = '\0';
    snprintf(out, HUB_HEAD_TEXT, "head: seq %llu hash %s",
             (unsigned long long) seq, hex);
    return out;
}
