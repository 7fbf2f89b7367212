/*
 * fuzz_audit_tools.h -- shared by the two audit-export fuzz targets: runs
 * every tool that reads an export on one file, and on the store that
 * `audit replay --into` rebuilds from it.
 *
 * Header-only (static functions): each fuzz target is one program, and the
 * targets share nothing else.
 */
#ifndef FUZZ_AUDIT_TOOLS_H
#define FUZZ_AUDIT_TOOLS_H

#include "bc_log.h"
#include "cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char fuzz_units[4096], fuzz_catalog[4096];

/* The shipped registry; stdout to /dev/null (the tools print findings, the
 * fuzzer only needs them to run); logs off. */
static void fuzz_audit_init(void)
{
    const char *src = getenv("BC_SOURCE_DIR");
    snprintf(fuzz_units, sizeof fuzz_units, "%s/data/units.csv",
             src ? src : ".");
    snprintf(fuzz_catalog, sizeof fuzz_catalog, "%s/data/indicators.csv",
             src ? src : ".");
    bc_log_init("fuzz", BC_LOG_OFF);
    if (!freopen("/dev/null", "w", stdout))
        abort();
}

/* One tool run: it must end with an exit status of 0, 1 or 2. */
static void fuzz_audit_run(int argc, const char *const *argv)
{
    int rc = cmd_audit(argc, (char **) argv);
    if (rc < 0 || rc > 2)
        abort();
}

static void fuzz_audit_rmstore(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/lock.mdb", dir);
    unlink(path);
    rmdir(dir);
}

/* verify FILE; replay FILE --into a fresh store; then history, verify
 * --store and head --store on that store. */
static void fuzz_audit_tools(const char *file)
{
    char store[64];
    snprintf(store, sizeof store, "/tmp/fuzz_audit_%d.store", (int) getpid());
    const char *verify[] = {"verify", file, NULL};
    fuzz_audit_run(2, verify);
    fuzz_audit_rmstore(store);
    const char *replay[] = {"replay", file, "--into", store, "--registry",
                            fuzz_units, "--catalog", fuzz_catalog,
                            "--map-size", "16M", NULL};
    fuzz_audit_run(10, replay);
    if (access(store, F_OK) == 0) {
        static const char *const periods[] = {"2023-12", "2023-11", "2023"};
        for (size_t i = 0; i < 3; i++) {
            const char *history[] = {"history", "--store", store, "--unit",
                                     "HP-HB-QT", "--period", periods[i],
                                     NULL};
            fuzz_audit_run(7, history);
        }
        const char *vstore[] = {"verify", "--store", store, NULL};
        fuzz_audit_run(3, vstore);
        const char *head[] = {"head", "--store", store, NULL};
        fuzz_audit_run(3, head);
        const char *head1[] = {"head", "--store", store, "--seq", "1", NULL};
        fuzz_audit_run(5, head1);
    }
    fuzz_audit_rmstore(store);
}

#endif
