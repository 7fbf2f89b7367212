/*
 * hub_digest.h -- one hash over every current figure of a store.
 *
 * The digest is what makes "this replay rebuilt the same store" one
 * comparison: SHA-256 over a line per current report, "unit period
 * revision code=value ...", in (unit code, period) order, with the figures
 * as received (by indicator code, in code order), then a line per approval
 * in force (issue #11: "approval unit period at seq by", sorted; none adds
 * nothing, so older digests stay valid). It uses no store ids and
 * no catalogue, so a store and its replay compare equal however their ids
 * were assigned. It writes nothing.
 */
#ifndef HUB_DIGEST_H
#define HUB_DIGEST_H

#include "hub_store.h"

#include <stdint.h>

/* The digest of every current report, and their number. Works on a
 * read-only store. BC_OK or BC_ESTORE. */
int hub_reader_digest(hub_reader_t *self, uint8_t out[32], uint64_t *reports);

#endif
