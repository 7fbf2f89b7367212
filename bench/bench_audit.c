/*
 * bench_audit.c -- how long the audit tools take on a large log, and what
 * the log costs per submission.
 *
 * Builds a hub store of N submissions (default 1,000,000: the 10,000
 * facilities of bench_data.h, 100 months each, 10 figures a report) through
 * the hub's own validation and ingest, in durable batches of 10,000, then
 * times the shipped `baocao audit` commands on it: export, verify (the
 * file), replay into a fresh store, and digest of both (which must match).
 *
 * Output: "audit <name> <value>" lines.
 */
#include "bc_error.h"
#include "bc_mem.h"
#include "bc_registry.h"
#include "bc_wire.h"
#include "bench_encode.h"
#include "hub_store.h"
#include "hub_validate.h"
#include "bench_proc.h"
#include "bench_time.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FIGURES 10
#define BATCH 10000

/* Runs a shell command, returns seconds taken (exits on failure). */
static double timed(const char *what, const char *cmd, char *out,
                    size_t outlen)
{
    double t0 = bench_now_s();
    FILE *p = popen(cmd, "r");
    size_t n = 0;
    if (p) {
        if (out)
            n = fread(out, 1, outlen - 1, p);
        else {
            char sink[4096];
            while (fread(sink, 1, sizeof sink, p) > 0)
                ;
        }
    }
    int rc = p ? pclose(p) : -1;
    if (out)
        out[n] = '\0';
    if (rc != 0) {
        fprintf(stderr, "bench_audit: %s failed: %s\n", what, cmd);
        exit(1);
    }
    return bench_now_s() - t0;
}

static long long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long) st.st_blocks * 512 : -1;
}

int main(int argc, char **argv)
{
    long long n = 1000000;
    const char *bin = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--submissions") && i + 1 < argc)
            n = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--bin") && i + 1 < argc)
            bin = argv[++i];
        else {
            fprintf(stderr, "usage: bench_audit [--submissions N] [--bin "
                    "BUILD/bin]\n");
            return 2;
        }
    }
    char self[4096];
    if (!bin) {
        bench_self_dir(self, sizeof self);
        bin = self;
    }
    char tmpl[] = "/tmp/baocao-bench-audit-XXXXXX";
    char *dir = mkdtemp(tmpl);
    char units[4096], cat[4096], store[4096], err[512];
    bench_write_registry(dir, FIGURES);
    snprintf(units, sizeof units, "%s/units.csv", dir);
    snprintf(cat, sizeof cat, "%s/indicators.csv", dir);
    snprintf(store, sizeof store, "%s/hub", dir);
    bc_registry_t *reg = bc_registry_load(units, cat, err, sizeof err);
    hub_store_t *s = reg ? hub_store_open(store, 64ULL << 30, reg, err,
                                          sizeof err)
                         : NULL;
    if (!s) {
        fprintf(stderr, "bench_audit: %s\n", err);
        return 1;
    }

    /* The log, filled through validation and ingest like the hub does. */
    fprintf(stderr, "bench_audit: storing %lld submissions...\n", n);
    hub_item_t *items = bc_calloc(BATCH, sizeof *items);
    uint8_t **raw = bc_calloc(BATCH, sizeof *raw);
    Baocao__Request **reqs = bc_calloc(BATCH, sizeof *reqs);
    double t0 = bench_now_s();
    for (long long base = 0; base < n; base += BATCH) {
        size_t m = (size_t) (n - base < BATCH ? n - base : BATCH);
        for (size_t j = 0; j < m; j++) {
            long long r = base + (long long) j;
            size_t len;
            raw[j] = bench_encode(r, FIGURES, 2015, &len);
            reqs[j] = baocao__request__unpack(NULL, len, raw[j]);
            memset(&items[j], 0, sizeof items[j]);
            items[j].raw = raw[j];
            items[j].raw_len = len;
            items[j].peer = "";
            hub_limits_t lim = {1000, 1800000000, NULL};
            hub_validate(reg, reqs[j]->submit, "", &lim, &items[j]);
        }
        int rc = hub_store_ingest(s, items, m,
                                  (int64_t) time(NULL) * 1000000);
        for (size_t j = 0; j < m; j++) {
            free(items[j].vals);
            free(raw[j]);
            baocao__request__free_unpacked(reqs[j], NULL);
        }
        if (rc) {
            fprintf(stderr, "bench_audit: ingest failed: %s\n",
                    bc_strerror(rc));
            return 1;
        }
    }
    double fill = bench_now_s() - t0;
    hub_store_close(&s);
    bc_registry_destroy(&reg);

    char cmd[32768], file[4096], fresh[4096], out[4096];
    snprintf(file, sizeof file, "%s/log.bca", dir);
    snprintf(fresh, sizeof fresh, "%s/replayed", dir);
    printf("audit submissions %lld\n", n);
    printf("audit fill_s %.1f\n", fill);
    snprintf(cmd, sizeof cmd, "%s/baocao audit export --store %s --out %s "
             "2>&1", bin, store, file);
    printf("audit export_s %.1f\n", timed("export", cmd, NULL, 0));
    snprintf(cmd, sizeof cmd, "%s/baocao audit verify %s", bin, file);
    printf("audit verify_s %.1f\n", timed("verify", cmd, out, sizeof out));
    snprintf(cmd, sizeof cmd, "%s/baocao audit replay %s --into %s "
             "--registry %s --catalog %s 2>/dev/null", bin, file, fresh,
             units, cat);
    char replayed[4096];
    printf("audit replay_s %.1f\n",
           timed("replay", cmd, replayed, sizeof replayed));
    snprintf(cmd, sizeof cmd, "%s/baocao audit digest --store %s", bin, store);
    char live[4096];
    printf("audit digest_s %.1f\n", timed("digest", cmd, live, sizeof live));
    bool same = strncmp(live, replayed, 64) == 0;
    printf("audit replay_digest_matches %s\n", same ? "yes" : "NO");
    printf("audit export_bytes_per_submission %.0f\n",
           (double) file_size(file) / (double) n);
    snprintf(cmd, sizeof cmd, "%s/data.mdb", store);
    printf("audit store_bytes_per_submission %.0f\n",
           (double) file_size(cmd) / (double) n);
    if (!same)
        fprintf(stderr, "live:     %s\nreplayed: %s\n(kept %s)\n", live,
                replayed, dir);
    snprintf(cmd, sizeof cmd, same ? "rm -rf '%s'" : "true '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_audit: could not remove %s\n", dir);
    return same ? 0 : 1;
}
