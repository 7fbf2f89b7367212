/*
 * hub_head.h -- the head of the hub's submission log: the sequence number
 * and chain hash of its last entry.
 *
 * The head is what an auditor compares. Each entry's hash covers the one
 * before it, so a head (seq, hash) obtained from the live hub, over a
 * channel the auditor trusts, vouches for every entry up to seq: an export
 * whose entries chain from seq 1 (or from a trusted earlier head) up to a
 * matching head holds exactly the hub's log. `baocao audit verify` prints
 * the head of what it checked; `baocao audit head` prints the live one
 * (from the store, or from a running hub through Ping/Pong).
 */
#ifndef HUB_HEAD_H
#define HUB_HEAD_H

#include "hub_store.h"

#include <stdint.h>

/* The head as of reader r's snapshot of store: *seq (0 for an empty log)
 * and hash (32 zero bytes for an empty log). Returns BC_OK or BC_ESTORE. */
int hub_head_read(hub_store_t *store, hub_reader_t *r, uint64_t *seq,
                  uint8_t hash[32]);

/* The chain hash of entry `seq` in r's snapshot: the head the log had when
 * that entry was its last, to compare with an export that ends there.
 * Returns BC_OK, BC_ENOTFOUND (no such entry, or seq 0) or BC_ESTORE. */
int hub_head_at(hub_reader_t *r, uint64_t seq, uint8_t hash[32]);

/* Formats a head as the one line both tools print, so that the two can be
 * compared by eye or with diff: "head: seq N hash HEX64". out must hold
 * HUB_HEAD_TEXT bytes. Returns out. */
#define HUB_HEAD_TEXT 112
char *hub_head_format(uint64_t seq, const uint8_t hash[32], char *out);

#endif
