/*
 * bc_adx.h -- the ADX format of bc_dhis2.h, for bc_dhis2.c's dispatch
 * (bc_dhis2_parse, bc_dhis2_write with BC_DHIS2_ADX), which is what other
 * code calls. The document's shape and how a disaggregation is written
 * are described with BC_DHIS2_ADX in bc_dhis2.h.
 */
#ifndef BC_ADX_H
#define BC_ADX_H

#include "bc_dhis2.h"

#include <stddef.h>
#include <stdio.h>

/* Appends to set one value per <dataValue> of every <group> of the ADX
 * document data (len bytes, named `name` in messages): the group's
 * orgUnit and period, the dataValue's dataElement and value, its other
 * attributes as the combination "a=1,b=2" (sorted by name), the group's
 * first attribute option dimension as aoc, and the element's line as
 * where. Values are text, not judged. BC_OK; BC_EPARSE with err set if
 * the document is too large, not well-formed XML (libxml2's line and
 * message) or its root is not <adx>; nothing is appended then. */
int bc_adx_parse(const char *data, size_t len, const char *name,
                 bc_dhis2_set_t *set, char *err, size_t errlen);

/* Writes set as one ADX document to out: exported now (UTC), a <group>
 * per run of values with the same orgUnit and period (in set order), a
 * <dataValue> per value with its combination as attributes (none for
 * the default). BC_OK; BC_EINVAL if a value's period is not a DHIS2
 * period (nothing written); BC_EIO if writing fails. */
int bc_adx_write(FILE *out, const bc_dhis2_set_t *set);

#endif
