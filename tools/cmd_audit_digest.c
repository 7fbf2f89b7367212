/*
 * cmd_audit_digest.c -- `baocao audit digest`: one line that sums up every
 * current figure of a store, so that a store and its replay can be compared.
 */
#include "bc_error.h"
#include "cmd_audit.h"
#include "hub_store.h"

#include <stdio.h>

/* --- digest -------------------------------------------------------------- */

int audit_print_digest(const char *dir, const char *name)
{
    char err[512], hex[65];
    hub_store_t *store = hub_store_open_readonly(dir, err, sizeof err);
    if (!store) {
        fprintf(stderr, "baocao audit %s: %s\n", name, err);
        return EXIT_FAIL;
    }
    hub_reader_t *r = hub_store_reader(store);
    uint8_t d[32];
    uint64_t n = 0;
    int rc = r ? hub_reader_digest(r, d, &n) : BC_ESTORE;
    uint64_t seq = hub_store_last_seq(store);
    hub_reader_destroy(&r);
    hub_store_close(&store);
    if (rc) {
        fprintf(stderr, "baocao audit %s: %s\n", name, bc_strerror(rc));
        return EXIT_FAIL;
    }
    audit_hex32(d, hex);
    printf("%s  %llu current report%s  log at seq %llu\n", hex,
           (unsigned long long) n, n == 1 ? "" : "s", (unsigned long long) seq);
    return EXIT_OK;
}
