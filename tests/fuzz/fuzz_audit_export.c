/*
 * fuzz_audit_export.c -- libFuzzer target: arbitrary bytes as an audit
 * export file, read by every tool that reads one (see fuzz_audit_tools.h):
 * `audit verify FILE`, `audit replay FILE --into` a fresh store, then
 * `audit history`, `audit verify --store` and `audit head --store` on the
 * store the replay built. The seeds are real exports, so the fuzzer
 * mutates their stored times, lengths and strings. (Mutated bytes rarely
 * keep a valid chain: fuzz_audit_chain builds valid chains from fuzzed
 * fields, so that verify's checks past the hashes are reached too.)
 *
 * What must hold: no crash, no sanitizer report, no leak; every run ends
 * with an exit status (0, 1 or 2). Tools read exports from elsewhere: a
 * `filed_at` of 10^17 once made `audit history` segfault (#25.4).
 */
#include "fuzz_audit_tools.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void) argc;
    (void) argv;
    fuzz_audit_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char file[64];
    snprintf(file, sizeof file, "/tmp/fuzz_audit_%d.bca", (int) getpid());
    FILE *f = fopen(file, "wb");
    if (!f)
        abort();
    fwrite(data, 1, size, f);
    fclose(f);
    fuzz_audit_tools(file);
    unlink(file);
    return 0;
}
