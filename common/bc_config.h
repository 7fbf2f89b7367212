/*
 * bc_config.h -- configuration as a table: each option has a name, a type,
 * bounds, a default and a line of help.
 *
 * A program describes its options once (an array of bc_option_t pointing at
 * fields of its own config struct) and gets, from that one table: defaults,
 * `--name value` command-line parsing, an INI-style config file
 * (`name = value`, `#` comments; parsed by libinih), range checks with
 * readable errors, and the --help text. Command-line flags win over the file.
 * Model: redis' static_configs[] in config.c.
 */
#ifndef BC_CONFIG_H
#define BC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef enum {
    BC_OPT_STRING = 0,  /* char * (owned, bc_strdup'ed) */
    BC_OPT_INT    = 1,  /* long long, within [min, max] */
    BC_OPT_BOOL   = 2,  /* bool; a flag on the command line takes no value */
    BC_OPT_LIST   = 3,  /* char ** NULL-terminated; each use appends */
    BC_OPT_IGNORE = 4   /* another program's option: skipped in a config
                           file (so programs can share one file), refused
                           as a flag, absent from --help; no field */
} bc_option_type_t;

typedef struct {
    const char *name;        /* "store" for --store and `store = ...` */
    bc_option_type_t type;   /* how to parse the value */
    size_t offset;           /* offsetof(config struct, field) */
    long long min, max;      /* bounds for BC_OPT_INT */
    const char *def;         /* default as text, or NULL for none */
    const char *metavar;     /* "DIR", "ENDPOINT", ... for --help */
    const char *help;        /* one line */
} bc_option_t;

/* Parses a count as every BC_OPT_INT option does: decimal digits, then
 * optionally one suffix k, M or G (x 1024, x 1024^2, x 1024^3). No sign,
 * no space, nothing after the suffix. Returns BC_OK with *out set,
 * BC_EINVAL (not such a number: empty, a sign, a word) or BC_ERANGE (it,
 * or it times its suffix, exceeds LLONG_MAX). Bounds are the caller's. */
int bc_config_parse_int(const char *text, long long *out);

/* Sets every option to its default. */
void bc_config_defaults(const bc_option_t *opts, size_t n, void *cfg);

/* Sets one option from text. Returns BC_OK, BC_ENOTFOUND (no such option)
 * or BC_EINVAL/BC_ERANGE with a message in err. */
int bc_config_set(const bc_option_t *opts, size_t n, void *cfg,
                  const char *name, const char *value, char *err,
                  size_t errlen);

/* Loads an INI-style file. Returns BC_OK, BC_EIO (cannot open) or the
 * first error of bc_config_set, with "file:line: ..." in err: the line and
 * the message are both those of the first wrong line. Options of type
 * BC_OPT_IGNORE are accepted and skipped. */
int bc_config_load(const bc_option_t *opts, size_t n, void *cfg,
                   const char *path, char *err, size_t errlen);

/* Parses argv[first..argc) as --name value / --name=value / --flag.
 * A "--config FILE" anywhere is loaded first, so flags override it.
 * Positional (non --) arguments are collected into positional[] (up to
 * maxpos; their count in *npos). Returns BC_OK, 1 when --help was asked
 * for, or an error with a message in err. */
int bc_config_args(const bc_option_t *opts, size_t n, void *cfg, int argc,
                   char **argv, int first, char **positional, size_t maxpos,
                   size_t *npos, char *err, size_t errlen);

/* Prints the options, their defaults and help. */
void bc_config_usage(const bc_option_t *opts, size_t n, FILE *out);

/* The start of a daemon's main(): defaults, argv (from argv[1]), --help
 * (prints `usage` to stdout), then the logging level named by the string
 * option at level_offset, and bc_log_init(component). Returns 0 to go on,
 * 1 when --help was served (exit 0), -1 after printing why the options are
 * wrong (exit 2). */
int bc_config_daemon(const char *prog, const char *component,
                     const bc_option_t *opts, size_t n, void *cfg,
                     size_t level_offset, int argc, char **argv,
                     void (*usage)(FILE *out));

/* Frees owned strings and lists. */
void bc_config_free(const bc_option_t *opts, size_t n, void *cfg);

#endif
