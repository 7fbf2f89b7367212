/*
 * bc_version.h -- what `--version` prints, the same way in every program:
 * the program, the package version (CMake's project version) and the wire
 * contract version it speaks.
 */
#ifndef BC_VERSION_H
#define BC_VERSION_H

#include <stdbool.h>

/* The package version, e.g. "0.1.0". */
const char *bc_version(void);

/* If argv[1] is --version, prints "PROG VERSION (wire contract N)" on
 * stdout and returns true: main then exits 0. Other arguments are left
 * to the program's own parser. */
bool bc_version_asked(const char *prog, int argc, char **argv);

#endif
