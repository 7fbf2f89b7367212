/*
 * test_config.c -- table-driven options: defaults, flags, files, bounds.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bc_config.h"
#include "bc_error.h"
#include "bc_test.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    char *store;          /* a string */
    long long size;       /* an int with bounds and suffixes */
    bool plain;           /* a flag */
    char **keys;          /* a list */
} cfg_t;

static const bc_option_t opts[] = {
    {"store", BC_OPT_STRING, offsetof(cfg_t, store), 0, 0, "/var/x", "DIR",
     "where"},
    {"size", BC_OPT_INT, offsetof(cfg_t, size), 1024, 1LL << 40, "1M", "N",
     "how big"},
    {"plain", BC_OPT_BOOL, offsetof(cfg_t, plain), 0, 0, NULL, NULL, "flag"},
    {"key", BC_OPT_LIST, offsetof(cfg_t, keys), 0, 0, NULL, "K", "keys"},
};
#define N (sizeof opts / sizeof opts[0])

static void test_defaults_and_flags(void **state)
{
    (void) state;
    cfg_t c;
    char err[256], *pos[2];
    size_t npos;
    bc_config_defaults(opts, N, &c);
    assert_string_equal(c.store, "/var/x");
    assert_int_equal(c.size, 1 << 20);
    assert_false(c.plain);
    char *argv[] = {"--store", "/tmp/s", "--size=2G", "--plain", "--key",
                    "a", "--key", "b", "file.txt", NULL};
    assert_int_equal(bc_config_args(opts, N, &c, 9, argv, 0, pos, 2, &npos,
                                    err, sizeof err), BC_OK);
    assert_string_equal(c.store, "/tmp/s");
    assert_int_equal(c.size, 2LL << 30);
    assert_true(c.plain);
    assert_string_equal(c.keys[0], "a");
    assert_string_equal(c.keys[1], "b");
    assert_null(c.keys[2]);
    assert_int_equal(npos, 1);
    assert_string_equal(pos[0], "file.txt");
    bc_config_free(opts, N, &c);
}

static void test_errors_are_readable(void **state)
{
    (void) state;
    cfg_t c;
    char err[256], *pos[1];
    size_t npos;
    bc_config_defaults(opts, N, &c);
    char *bad_num[] = {"--size", "lots", NULL};
    assert_int_equal(bc_config_args(opts, N, &c, 2, bad_num, 0, pos, 0, &npos,
                                    err, sizeof err), BC_EINVAL);
    assert_non_null(strstr(err, "not a number"));
    char *small[] = {"--size", "10", NULL};
    assert_int_equal(bc_config_args(opts, N, &c, 2, small, 0, pos, 0, &npos,
                                    err, sizeof err), BC_ERANGE);
    assert_non_null(strstr(err, "out of range"));
    char *unknown[] = {"--colour", "red", NULL};
    assert_int_equal(bc_config_args(opts, N, &c, 2, unknown, 0, pos, 0,
                                    &npos, err, sizeof err), BC_ENOTFOUND);
    assert_non_null(strstr(err, "--colour"));
    char *missing[] = {"--store", NULL};
    assert_int_equal(bc_config_args(opts, N, &c, 1, missing, 0, pos, 0,
                                    &npos, err, sizeof err), BC_EINVAL);
    char *help[] = {"--help", NULL};
    assert_int_equal(bc_config_args(opts, N, &c, 1, help, 0, pos, 0, &npos,
                                    err, sizeof err), 1);
    bc_config_free(opts, N, &c);
}

/* Counts go through one checked routine: no sign, no overflow, not even
 * through a suffix. "-18014398509481983k" once overflowed in the suffix
 * multiplication and came out as 1024, inside the bounds. */
static void test_numbers_are_checked(void **state)
{
    (void) state;
    cfg_t c;
    char err[256];
    bc_config_defaults(opts, N, &c);
    static const char *refused[] = {
        "-18014398509481983k", "-1", "-0", "+2048", " 2048", "2048 ", "2k2",
        "2kk", "2T", "k", "", "0x800", "9223372036854775808",
        "9007199254740992k", "8796093022208M", "8589934592G",
        "99999999999999999999999999",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        err[0] = '\0';
        int rc = bc_config_set(opts, N, &c, "size", refused[i], err,
                               sizeof err);
        if (rc == BC_OK)
            fail_msg("'%s' was accepted as %lld", refused[i], c.size);
        assert_true(rc == BC_EINVAL || rc == BC_ERANGE);
        assert_non_null(strstr(err, "size"));
        assert_int_equal(c.size, 1 << 20);   /* unchanged */
    }
    /* The largest values that fit still parse, and bounds apply after. */
    long long v;
    assert_int_equal(bc_config_parse_int("9223372036854775807", &v), BC_OK);
    assert_true(v == 9223372036854775807LL);
    assert_int_equal(bc_config_parse_int("9007199254740991k", &v), BC_OK);
    assert_true(v == 9007199254740991LL * 1024);
    assert_int_equal(bc_config_parse_int("8589934591G", &v), BC_OK);
    assert_int_equal(bc_config_parse_int("-1", &v), BC_EINVAL);
    assert_int_equal(bc_config_parse_int("9223372036854775808", &v),
                     BC_ERANGE);
    assert_int_equal(bc_config_set(opts, N, &c, "size", "2k", err,
                                   sizeof err), BC_OK);
    assert_int_equal(c.size, 2048);
    assert_int_equal(bc_config_set(opts, N, &c, "size", "2G", err,
                                   sizeof err), BC_OK);
    assert_int_equal(c.size, 2LL << 30);
    assert_int_equal(bc_config_set(opts, N, &c, "size", "2048G", err,
                                   sizeof err), BC_ERANGE);
    assert_non_null(strstr(err, "out of range"));
    bc_config_free(opts, N, &c);
}

static void test_file_then_flags(void **state)
{
    (void) state;
    char *dir = bc_tmpdir("config");
    char path[4096], err[256], *pos[1];
    size_t npos;
    snprintf(path, sizeof path, "%s/x.conf", dir);
    bc_write_file(path, "# comment\nstore = /from/file\nsize = 4M\n"
                        "plain = yes\n");
    cfg_t c;
    bc_config_defaults(opts, N, &c);
    char *argv[] = {"--size", "8M", "--config", path, NULL};
    assert_int_equal(bc_config_args(opts, N, &c, 4, argv, 0, pos, 0, &npos,
                                    err, sizeof err), BC_OK);
    assert_string_equal(c.store, "/from/file");
    assert_int_equal(c.size, 8 << 20);   /* the flag wins over the file */
    assert_true(c.plain);
    bc_config_free(opts, N, &c);
    bc_write_file(path, "store = /a\nsize = huge\n");
    bc_config_defaults(opts, N, &c);
    assert_int_equal(bc_config_load(opts, N, &c, path, err, sizeof err),
                     BC_EINVAL);
    assert_non_null(strstr(err, ":2:"));   /* names the line */
    bc_config_free(opts, N, &c);
    /* Several wrong lines: the first one's number AND its name. */
    bc_write_file(path, "a = 1\nb = 2\nc = 3\n");
    bc_config_defaults(opts, N, &c);
    assert_int_equal(bc_config_load(opts, N, &c, path, err, sizeof err),
                     BC_ENOTFOUND);
    assert_non_null(strstr(err, ":1: unknown option 'a'"));
    bc_config_free(opts, N, &c);
    bc_rmtree(dir);
    free(dir);
}

/* Another program's options: skipped in a file, refused as flags. */
static void test_ignored_options(void **state)
{
    (void) state;
    static const bc_option_t mixed[] = {
        {"store", BC_OPT_STRING, offsetof(cfg_t, store), 0, 0, NULL, "DIR",
         "where"},
        {"hub", BC_OPT_IGNORE, 0, 0, 0, NULL, NULL, "the daemon's"},
    };
    char *dir = bc_tmpdir("config");
    char path[4096], err[256], *pos[1];
    size_t npos;
    snprintf(path, sizeof path, "%s/node.conf", dir);
    bc_write_file(path, "store = /s\nhub = tcp://x:1\n");
    cfg_t c;
    bc_config_defaults(mixed, 2, &c);
    char *argv[] = {"--config", path, NULL};
    assert_int_equal(bc_config_args(mixed, 2, &c, 2, argv, 0, pos, 0, &npos,
                                    err, sizeof err), BC_OK);
    assert_string_equal(c.store, "/s");
    char *flag[] = {"--hub", "tcp://x:1", NULL};
    assert_int_equal(bc_config_args(mixed, 2, &c, 2, flag, 0, pos, 0, &npos,
                                    err, sizeof err), BC_ENOTFOUND);
    assert_non_null(strstr(err, "--hub"));
    bc_config_free(mixed, 2, &c);
    bc_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_and_flags),
        cmocka_unit_test(test_errors_are_readable),
        cmocka_unit_test(test_numbers_are_checked),
        cmocka_unit_test(test_file_then_flags),
        cmocka_unit_test(test_ignored_options),
    };
    return cmocka_run_group_tests_name("unit.config", tests, NULL, NULL);
}
