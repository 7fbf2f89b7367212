/*
 * bc_registry_digest.h -- the registry's content digest, for the loader
 * (bc_registry.c), which computes it once per load. Everyone else reads
 * it with bc_registry_digest (bc_registry.h).
 */
#ifndef BC_REGISTRY_DIGEST_H
#define BC_REGISTRY_DIGEST_H

#include "bc_registry.h"

#include <stdint.h>

/* Writes to out the SHA-256 of a canonical serialisation of reg's units
 * (with their history, where there is some) and catalogue indicators
 * (with their breakdowns, where there are some). reg must be fully
 * loaded (parents, successors and categories resolved) and sodium_init
 * must have succeeded. Cannot fail. */
void bc_registry_digest_compute(const bc_registry_t *reg, uint8_t out[32]);

#endif
