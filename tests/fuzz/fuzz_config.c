/*
 * fuzz_config.c -- libFuzzer target: arbitrary bytes as a config file
 * (`--config FILE`), loaded through the hub's real option table, and as a
 * single count through bc_config_parse_int.
 *
 * What must hold: no crash, no sanitizer report (a suffix overflow was
 * UBSan's, #25.6), no leak; a refusal says why; after a successful load
 * every number lies within its option's bounds, and a parsed count is
 * never negative.
 */
#include "bc_config.h"
#include "bc_error.h"
#include "hub_server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The count parser, on the bytes up to the first NUL or newline. */
    char text[64];
    size_t n = 0;
    while (n < size && n < sizeof text - 1 && data[n] && data[n] != '\n')
        n++;
    memcpy(text, data, n);
    text[n] = '\0';
    long long v;
    if (bc_config_parse_int(text, &v) == BC_OK && v < 0)
        abort();

    /* The whole input as a config file (inih reads from a path). */
    char path[64];
    snprintf(path, sizeof path, "/tmp/fuzz_config_%d.conf", (int) getpid());
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    fwrite(data, 1, size, f);
    fclose(f);
    hub_config_t cfg;
    char err[512] = "";
    bc_config_defaults(hub_options, hub_noptions, &cfg);
    int rc = bc_config_load(hub_options, hub_noptions, &cfg, path, err,
                            sizeof err);
    if (rc == BC_OK) {
        for (size_t i = 0; i < hub_noptions; i++) {
            const bc_option_t *o = &hub_options[i];
            if (o->type != BC_OPT_INT)
                continue;
            long long x = *(const long long *) ((const char *) &cfg
                                                + o->offset);
            if (x < o->min || x > o->max)
                abort();
        }
    } else if (!err[0]) {
        abort();   /* a refusal must say why */
    }
    bc_config_free(hub_options, hub_noptions, &cfg);
    unlink(path);
    return 0;
}
