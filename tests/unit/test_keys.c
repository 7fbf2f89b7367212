/*
 * test_keys.c -- key files are read from exactly the path given: czmq's
 * zcert_load(P) prefers "P_secret", so a loose file beside a key could
 * replace it, and the mode check looked at the file that was not read.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bc_error.h"
#include "bc_keys.h"
#include "bc_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Generates dir/name.{pub,secret}; returns its public key in pub. */
static void keygen(const char *dir, const char *name, char pub[41])
{
    char base[4096], err[256];
    snprintf(base, sizeof base, "%s/%s", dir, name);
    assert_int_equal(bc_keys_generate(base, err, sizeof err), BC_OK);
    assert_int_equal(bc_keys_public(bc_path(dir, name), pub, err,
                                    sizeof err), BC_ECRYPTO);   /* no file */
    char path[4200];
    snprintf(path, sizeof path, "%s.pub", base);
    assert_int_equal(bc_keys_public(path, pub, err, sizeof err), BC_OK);
}

/* Copies src to dst with mode. */
static void copy_file(const char *src, const char *dst, mode_t mode)
{
    FILE *in = fopen(src, "rb"), *out = fopen(dst, "wb");
    assert_non_null(in);
    assert_non_null(out);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        assert_int_equal(fwrite(buf, 1, n, out), n);
    fclose(in);
    fclose(out);
    assert_int_equal(chmod(dst, mode), 0);
}

static void test_exact_path(void **state)
{
    (void) state;
    char *dir = bc_tmpdir("keys");
    char a[41], b[41], got[41], err[256], path[4096], side[4096];
    keygen(dir, "a", a);
    keygen(dir, "b", b);
    assert_string_not_equal(a, b);

    /* a.secret (0600) with a world-readable a.secret_secret holding b's
     * pair beside it: a's pair is loaded. */
    snprintf(path, sizeof path, "%s/a.secret", dir);
    snprintf(side, sizeof side, "%s/a.secret_secret", dir);
    copy_file(bc_path(dir, "b.secret"), side, 0644);
    zcert_t *cert = bc_keys_load_pair(path, err, sizeof err);
    if (!cert)
        fail_msg("%s", err);
    assert_string_equal(zcert_public_txt(cert), a);
    zcert_destroy(&cert);

    /* The mode checked is the file read: a loose c.secret is refused even
     * when a tidy c.secret_secret sits beside it. */
    snprintf(path, sizeof path, "%s/c.secret", dir);
    snprintf(side, sizeof side, "%s/c.secret_secret", dir);
    copy_file(bc_path(dir, "a.secret"), path, 0644);
    copy_file(bc_path(dir, "a.secret"), side, 0600);
    assert_null(bc_keys_load_pair(path, err, sizeof err));
    assert_non_null(strstr(err, "readable by others"));

    /* bc_keys_public reads X.pub, not X.pub_secret. */
    snprintf(path, sizeof path, "%s/a.pub", dir);
    snprintf(side, sizeof side, "%s/a.pub_secret", dir);
    copy_file(bc_path(dir, "b.secret"), side, 0600);
    assert_int_equal(bc_keys_public(path, got, err, sizeof err), BC_OK);
    assert_string_equal(got, a);

    /* A .pub given as a key pair is refused by its content, whatever its
     * name and mode. */
    snprintf(path, sizeof path, "%s/d.secret", dir);
    copy_file(bc_path(dir, "b.pub"), path, 0600);
    assert_null(bc_keys_load_pair(path, err, sizeof err));
    assert_non_null(strstr(err, "no secret key"));

    /* Not a key file at all; a pair whose halves do not match. */
    snprintf(path, sizeof path, "%s/e.secret", dir);
    bc_write_file(path, "hello\n");
    assert_int_equal(chmod(path, 0600), 0);
    assert_null(bc_keys_load_pair(path, err, sizeof err));
    assert_non_null(strstr(err, "not a key file"));
    assert_int_equal(bc_keys_public(path, got, err, sizeof err), BC_ECRYPTO);
    snprintf(path, sizeof path, "%s/f.secret", dir);
    char text[512];
    zcert_t *ca = bc_keys_load_pair(bc_path(dir, "a.secret"), err,
                                    sizeof err);
    zcert_t *cb = bc_keys_load_pair(bc_path(dir, "b.secret"), err,
                                    sizeof err);
    assert_non_null(ca);
    assert_non_null(cb);
    snprintf(text, sizeof text, "curve\n    public-key = \"%s\"\n"
             "    secret-key = \"%s\"\n", zcert_public_txt(ca),
             zcert_secret_txt(cb));
    zcert_destroy(&ca);
    zcert_destroy(&cb);
    bc_write_file(path, text);
    assert_int_equal(chmod(path, 0600), 0);
    assert_null(bc_keys_load_pair(path, err, sizeof err));
    assert_non_null(strstr(err, "do not belong together"));

    bc_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_path),
    };
    return cmocka_run_group_tests_name("unit.keys", tests, NULL, NULL);
}
