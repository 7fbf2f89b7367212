/*
 * bc_config.c -- table-driven options: defaults, flags, INI files, --help.
 *
 * The file format is parsed by libinih (a well-kept, tiny INI parser); this
 * module only maps names to typed fields and checks bounds, so that flags
 * and files share one set of rules and one set of error messages.
 */
#include "bc_config.h"
#include "bc_error.h"
#include "bc_log.h"
#include "bc_mem.h"

#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const bc_option_t *find(const bc_option_t *opts, size_t n,
                               const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(opts[i].name, name) == 0)
            return &opts[i];
    return NULL;
}

static void list_append(char ***list_p, const char *value)
{
    size_t len = 0;
    if (*list_p)
        while ((*list_p)[len])
            len++;
    *list_p = bc_realloc(*list_p, (len + 2) * sizeof(char *));
    (*list_p)[len] = bc_strdup(value);
    (*list_p)[len + 1] = NULL;
}

static void list_free(char ***list_p)
{
    if (*list_p)
        for (char **p = *list_p; *p; p++)
            free(*p);
    bc_free(list_p);
}

/* The one routine that turns text into a count. Digits only: a sign is
 * refused rather than parsed, since no option is negative and strtoll
 * would accept "-1" (and then "-18014398509481983k" overflowed in the
 * suffix multiplication, undefined behaviour that Release turned into a
 * negative bound). Every step is checked against LLONG_MAX. */
int bc_config_parse_int(const char *text, long long *out)
{
    if (!text || !*text)
        return BC_EINVAL;
    long long v = 0;
    const char *p = text;
    for (; *p >= '0' && *p <= '9'; p++) {
        int d = *p - '0';
        if (v > (LLONG_MAX - d) / 10)
            return BC_ERANGE;
        v = v * 10 + d;
    }
    if (p == text)
        return BC_EINVAL;           /* no digit first: a sign, a word */
    if (*p) {
        /* Size suffixes: map sizes are given in GiB. */
        int shift;
        switch (*p) {
        case 'k': case 'K': shift = 10; break;
        case 'm': case 'M': shift = 20; break;
        case 'g': case 'G': shift = 30; break;
        default: return BC_EINVAL;
        }
        if (p[1])
            return BC_EINVAL;
        if (v > (LLONG_MAX >> shift))
            return BC_ERANGE;
        v <<= shift;
    }
    *out = v;
    return BC_OK;
}

static int set_option(const bc_option_t *o, void *cfg, const char *value,
                      char *err, size_t errlen)
{
    char *field = (char *) cfg + o->offset;
    switch (o->type) {
    case BC_OPT_IGNORE:
        return BC_OK;   /* another program's option: nothing to set */
    case BC_OPT_STRING: {
        char **s = (char **) field;
        free(*s);
        *s = value ? bc_strdup(value) : NULL;
        return BC_OK;
    }
    case BC_OPT_LIST:
        if (value)
            list_append((char ***) field, value);
        return BC_OK;
    case BC_OPT_BOOL: {
        bool *b = (bool *) field;
        if (!value || !strcasecmp(value, "yes") || !strcasecmp(value, "true")
            || !strcmp(value, "1") || !strcasecmp(value, "on"))
            *b = true;
        else if (!strcasecmp(value, "no") || !strcasecmp(value, "false")
                 || !strcmp(value, "0") || !strcasecmp(value, "off"))
            *b = false;
        else {
            snprintf(err, errlen, "%s: expected yes or no, got '%s'", o->name,
                     value);
            return BC_EINVAL;
        }
        return BC_OK;
    }
    case BC_OPT_INT: {
        long long v;
        int rc = bc_config_parse_int(value, &v);
        if (rc == BC_ERANGE) {
            snprintf(err, errlen, "%s: '%s' is too large (at most %lld)",
                     o->name, value, o->max);
            return BC_ERANGE;
        }
        if (rc) {
            snprintf(err, errlen, "%s: '%s' is not a number (digits, then "
                     "optionally k, M or G; no sign)", o->name,
                     value ? value : "");
            return BC_EINVAL;
        }
        if (v < o->min || v > o->max) {
            snprintf(err, errlen, "%s: %lld is out of range [%lld, %lld]",
                     o->name, v, o->min, o->max);
            return BC_ERANGE;
        }
        *(long long *) field = v;
        return BC_OK;
    }
    }
    return BC_EINVAL;
}

void bc_config_defaults(const bc_option_t *opts, size_t n, void *cfg)
{
    /* The message of a default that fails its own check is dropped, but
     * the Release build's format-truncation check wants room for it. */
    char err[256];
    for (size_t i = 0; i < n; i++) {
        const bc_option_t *o = &opts[i];
        char *field = (char *) cfg + o->offset;
        if (o->type == BC_OPT_IGNORE)
            continue;   /* no field behind it */
        if (o->type == BC_OPT_STRING)
            *(char **) field = NULL;
        else if (o->type == BC_OPT_LIST)
            *(char ***) field = NULL;
        else if (o->type == BC_OPT_BOOL)
            *(bool *) field = false;
        else
            *(long long *) field = 0;
        if (o->def)
            set_option(o, cfg, o->def, err, sizeof err);
    }
}

int bc_config_set(const bc_option_t *opts, size_t n, void *cfg,
                  const char *name, const char *value, char *err,
                  size_t errlen)
{
    const bc_option_t *o = find(opts, n, name);
    if (!o) {
        snprintf(err, errlen, "unknown option '%s' (see --help)", name);
        return BC_ENOTFOUND;
    }
    return set_option(o, cfg, value, err, errlen);
}

typedef struct {
    const bc_option_t *opts;   /* the table */
    size_t n;                  /* its length */
    void *cfg;                 /* the struct being filled */
    char *err;                 /* where to write the first error */
    size_t errlen;             /* its size */
    int rc;                    /* first error code, BC_OK if none */
} ini_ctx_t;

static int on_ini(void *user, const char *section, const char *name,
                  const char *value)
{
    ini_ctx_t *ctx = user;
    char msg[256];
    (void) section;   /* sections are allowed for readability, not meaning */
    int rc = bc_config_set(ctx->opts, ctx->n, ctx->cfg, name, value, msg,
                           sizeof msg);
    /* libinih goes on after a bad line and reports the FIRST bad line's
     * number; keep the first message too, or the words would name the
     * last wrong option beside the first wrong line. */
    if (rc != BC_OK && ctx->rc == BC_OK) {
        ctx->rc = rc;
        snprintf(ctx->err, ctx->errlen, "%s", msg);
    }
    return rc == BC_OK;
}

int bc_config_load(const bc_option_t *opts, size_t n, void *cfg,
                   const char *path, char *err, size_t errlen)
{
    char inner[256] = "";
    ini_ctx_t ctx = {opts, n, cfg, inner, sizeof inner, BC_OK};
    int line = ini_parse(path, on_ini, &ctx);
    if (line < 0) {
        snprintf(err, errlen, "%s: cannot open config file", path);
        return BC_EIO;
    }
    if (line > 0) {
        snprintf(err, errlen, "%s:%d: %s", path, line,
                 *inner ? inner : "syntax error");
        return ctx.rc != BC_OK ? ctx.rc : BC_EPARSE;
    }
    return BC_OK;
}

int bc_config_args(const bc_option_t *opts, size_t n, void *cfg, int argc,
                   char **argv, int first, char **positional, size_t maxpos,
                   size_t *npos, char *err, size_t errlen)
{
    int rc;
    *npos = 0;
    /* The config file first, so that any flag overrides it. */
    for (int i = first; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            if ((rc = bc_config_load(opts, n, cfg, argv[i + 1], err, errlen)))
                return rc;
        } else if (strncmp(argv[i], "--config=", 9) == 0) {
            if ((rc = bc_config_load(opts, n, cfg, argv[i] + 9, err, errlen)))
                return rc;
        }
    }
    for (int i = first; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)
            return 1;
        if (strncmp(arg, "--", 2) != 0) {
            if (*npos >= maxpos) {
                snprintf(err, errlen, "unexpected argument '%s'", arg);
                return BC_EINVAL;
            }
            positional[(*npos)++] = argv[i];
            continue;
        }
        char name[64];
        const char *value = NULL;
        const char *eq = strchr(arg + 2, '=');
        size_t len = eq ? (size_t) (eq - arg - 2) : strlen(arg + 2);
        if (len >= sizeof name) {
            snprintf(err, errlen, "unknown option '%s' (see --help)", arg);
            return BC_ENOTFOUND;
        }
        memcpy(name, arg + 2, len);
        name[len] = '\0';
        if (strcmp(name, "config") == 0) {
            if (!eq)
                i++;
            continue;
        }
        const bc_option_t *o = find(opts, n, name);
        if (!o || o->type == BC_OPT_IGNORE) {
            /* An ignored option is fine in a shared config file, but on
             * the command line it was meant for this program: say so. */
            snprintf(err, errlen, "unknown option '%s'%s (see --help)", arg,
                     o ? " (another program's option, accepted only in a "
                         "config file)" : "");
            return BC_ENOTFOUND;
        }
        if (eq)
            value = eq + 1;
        else if (o->type != BC_OPT_BOOL) {
            if (i + 1 >= argc) {
                snprintf(err, errlen, "option --%s needs a value", name);
                return BC_EINVAL;
            }
            value = argv[++i];
        }
        if ((rc = set_option(o, cfg, value, err, errlen)))
            return rc;
    }
    return BC_OK;
}

void bc_config_usage(const bc_option_t *opts, size_t n, FILE *out)
{
    for (size_t i = 0; i < n; i++) {
        const bc_option_t *o = &opts[i];
        char left[64];
        if (o->type == BC_OPT_IGNORE)
            continue;
        if (o->type == BC_OPT_BOOL)
            snprintf(left, sizeof left, "--%s", o->name);
        else
            snprintf(left, sizeof left, "--%s %s", o->name,
                     o->metavar ? o->metavar : "VALUE");
        fprintf(out, "  %-28s %s", left, o->help);
        if (o->def && o->type != BC_OPT_BOOL)
            fprintf(out, " (default: %s)", o->def);
        fputc('\n', out);
    }
    fprintf(out, "  %-28s %s\n", "--config FILE",
             "read options from FILE (name = value); flags override it");
}

int bc_config_daemon(const char *prog, const char *component,
                     const bc_option_t *opts, size_t n, void *cfg,
                     size_t level_offset, int argc, char **argv,
                     void (*usage)(FILE *out))
{
    char err[512] = "";
    char *positional[1];
    size_t npos;
    bc_config_defaults(opts, n, cfg);
    int rc = bc_config_args(opts, n, cfg, argc, argv, 1, positional, 0, &npos,
                            err, sizeof err);
    if (rc == 1) {
        usage(stdout);
        return 1;
    }
    if (rc) {
        fprintf(stderr, "%s: %s\n", prog, err);
        return -1;
    }
    const char *name = *(char **) ((char *) cfg + level_offset);
    bc_log_level_t level = BC_LOG_INFO;
    if (name && bc_log_parse_level(name, &level)) {
        fprintf(stderr, "%s: --log-level: '%s' is not debug, info, warn or "
                "error\n", prog, name);
        return -1;
    }
    bc_log_init(component, level);
    return 0;
}

void bc_config_free(const bc_option_t *opts, size_t n, void *cfg)
{
    for (size_t i = 0; i < n; i++) {
        char *field = (char *) cfg + opts[i].offset;
        if (opts[i].type == BC_OPT_STRING)
            bc_free((char **) field);
        else if (opts[i].type == BC_OPT_LIST)
            list_free((char ***) field);
    }
}
