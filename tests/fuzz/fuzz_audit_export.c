/*
 * fuzz_audit_export.c -- libFuzzer target: arbitrary bytes as an audit
 * export file, read by every tool that reads one: `audit verify FILE`,
 * `audit replay FILE --into` a fresh store, then `audit history`, `audit
 * verify --store` and `audit head --store` on the store the replay built.
 * The seeds are real exports, so the fuzzer mutates the stored times
 * (received_at, filed_at inside the request), lengths and strings.
 *
 * What must hold: no crash, no sanitizer report, no leak; every run ends
 * with an exit status (0, 1 or 2). Tools read exports from elsewhere: a
 * `filed_at` of 10^17 once made `audit history` segfault (#25.4).
 */
#include "bc_log.h"
#include "cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char units[4096], catalog[4096];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void) argc;
    (void) argv;
    const char *src = getenv("BC_SOURCE_DIR");
    snprintf(units, sizeof units, "%s/data/units.csv", src ? src : ".");
    snprintf(catalog, sizeof catalog, "%s/data/indicators.csv",
             src ? src : ".");
    bc_log_init("fuzz", BC_LOG_OFF);
    /* The tools print their findings; the fuzzer only needs them to run. */
    if (!freopen("/dev/null", "w", stdout))
        abort();
    return 0;
}

static void run(int argc, const char *const *argv)
{
    int rc = cmd_audit(argc, (char **) argv);
    if (rc < 0 || rc > 2)
        abort();
}

static void rmtree_store(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/lock.mdb", dir);
    unlink(path);
    rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char file[64], store[64];
    snprintf(file, sizeof file, "/tmp/fuzz_audit_%d.bca", (int) getpid());
    snprintf(store, sizeof store, "/tmp/fuzz_audit_%d.store", (int) getpid());
    FILE *f = fopen(file, "wb");
    if (!f)
        abort();
    fwrite(data, 1, size, f);
    fclose(f);

    const char *verify[] = {"verify", file, NULL};
    run(2, verify);
    rmtree_store(store);
    const char *replay[] = {"replay", file, "--into", store, "--registry",
                            units, "--catalog", catalog, "--map-size", "16M",
                            NULL};
    run(10, replay);
    if (access(store, F_OK) == 0) {
        static const char *const periods[] = {"2023-12", "2023-11", "2023"};
        for (size_t i = 0; i < 3; i++) {
            const char *history[] = {"history", "--store", store, "--unit",
                                     "HP-HB-QT", "--period", periods[i],
                                     NULL};
            run(7, history);
        }
        const char *vstore[] = {"verify", "--store", store, NULL};
        run(3, vstore);
        const char *head[] = {"head", "--store", store, NULL};
        run(3, head);
    }
    rmtree_store(store);
    unlink(file);
    return 0;
}
