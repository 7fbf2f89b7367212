/*
 * bc_version.c -- the version every program reports (see bc_version.h).
 */
#include "bc_version.h"
#include "bc_wire.h"

#include <stdio.h>
#include <string.h>

#ifndef BC_VERSION
#define BC_VERSION "unknown"
#endif

const char *bc_version(void)
{
    return BC_VERSION;
}

bool bc_version_asked(const char *prog, int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--version") != 0)
        return false;
    printf("%s %s (wire contract %d)\n", prog, BC_VERSION, BC_WIRE_VERSION);
    return true;
}
