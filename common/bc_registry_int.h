/*
 * bc_registry_int.h -- inside the registry: its struct and what its three
 * files share. Not for use outside bc_registry*.c: everyone else goes
 * through bc_registry.h.
 *
 *   bc_registry.c             loading in order, the lookups, destroy
 *   bc_registry_units.c       the units file: rows, attributes, the tree
 *   bc_registry_indicators.c  the catalogue: indicators, ratios, and the
 *                             combination slots of breakdowns
 */
#ifndef BC_REGISTRY_INT_H
#define BC_REGISTRY_INT_H

#include "bc_registry.h"

#include "bc_code_index.h"
#include "bc_csv.h"
#include "bc_limits.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CODE_MAX BC_CODE_MAX /* longest accepted code, in bytes */

struct bc_registry_t {
    bc_unit_t *units;        /* units in file order */
    size_t nunits;           /* length of units */
    bc_indicator_t *inds;    /* indicators in file order */
    size_t ninds;            /* length of inds */
    bc_code_index_t *unit_index; /* unit code -> idx */
    bc_code_index_t *ind_index;  /* indicator code -> idx */
    size_t ncatalogue;       /* indicators of the file; combinations after */
    bc_category_t *cats;     /* categories in file order */
    size_t ncats;            /* length of cats */
    uint8_t digest[32];      /* SHA-256 of the canonical content */
    int32_t latest;          /* latest month any row starts: today's tree */
    bool history;            /* some unit has a bounded or second row */
};

/* Codes go into store keys, file names and command lines: letters, digits
 * and - _ . only, so none of them needs quoting anywhere. */
bool bc_registry_code_ok(const char *s);

/* From the file at `path`, or from data (len bytes) named `path` when data
 * is not NULL. */
bc_csv_t *bc_registry_open_csv(const char *path, const char *data,
                               size_t len, char *err, size_t errlen);

/* Reads the units file into reg (units, their index and tree, history):
 * 0, or -1 with a message naming the file and line. */
int bc_registry_load_units(bc_registry_t *reg, const char *path,
                           const char *data, size_t len, char *err,
                           size_t errlen);

/* Reads the catalogue into reg (indicators, then the combination slots of
 * those broken down by reg's categories): 0, or -1 with a message naming
 * the file and line. */
int bc_registry_load_indicators(bc_registry_t *reg, const char *path,
                                const char *data, size_t len, char *err,
                                size_t errlen);

#endif
