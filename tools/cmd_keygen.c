/*
 * cmd_keygen.c -- `baocao keygen --out NAME`: a CURVE key pair for a hub,
 * a node or an operator (NAME.pub to share, NAME.secret to keep).
 */
#include "bc_error.h"
#include "bc_keys.h"
#include "cmd.h"

#include <stdio.h>

typedef struct {
    char *out;              /* base name of the key files */
} keygen_cfg_t;

static const bc_option_t keygen_options[] = {
    {"out", BC_OPT_STRING, offsetof(keygen_cfg_t, out), 0, 0, NULL, "NAME",
     "writes NAME.pub (public, shareable) and NAME.secret (mode 0600)"},
};

int cmd_keygen(int argc, char **argv)
{
    keygen_cfg_t cfg;
    size_t npos;
    char err[512];
    int status = EXIT_USAGE;
    int rc = cmd_parse("keygen", "--out NAME", keygen_options, 1, &cfg, argc,
                       argv, NULL, 0, &npos);
    if (rc == 1)
        status = EXIT_OK;
    if (rc)
        goto out_free;
    if (!cfg.out) {
        fprintf(stderr, "baocao keygen: --out NAME is required\n");
        goto out_free;
    }
    if (bc_keys_generate(cfg.out, err, sizeof err)) {
        fprintf(stderr, "baocao keygen: %s\n", err);
        status = EXIT_FAIL;
        goto out_free;
    }
    char pub[41], path[4096];
    snprintf(path, sizeof path, "%s.pub", cfg.out);
    bc_keys_public(path, pub, err, sizeof err);
    printf("%s\n", pub);
    fprintf(stderr, "wrote %s.pub (share it) and %s.secret (keep it; mode "
            "0600)\n", cfg.out, cfg.out);
    status = EXIT_OK;
out_free:
    bc_config_free(keygen_options, 1, &cfg);
    return status;
}
