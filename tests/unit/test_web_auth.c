/*
 * test_web_auth.c -- the desk's operators file and sessions (web_auth):
 * a password set is stored hashed and checks; a wrong password, an
 * unknown name and a forged token open nothing; a malformed file is
 * refused with its line; logout ends the session; CSRF tokens compare
 * exactly.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bc_csv.h"
#include "bc_error.h"
#include "bc_test.h"
#include "web_auth.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void test_password_and_sessions(void **state)
{
    (void) state;
    char *dir = bc_tmpdir("web-auth");
    char path[1024], err[512];
    snprintf(path, sizeof path, "%s", bc_path(dir, "operators"));

    /* Bad names and passwords change nothing. */
    assert_int_equal(web_auth_set_password(path, "bad name", "pw", err,
                                           sizeof err), BC_EINVAL);
    assert_int_equal(web_auth_set_password(path, "lan", "", err, sizeof err),
                     BC_EINVAL);
    struct stat st;
    assert_int_not_equal(stat(path, &st), 0);

    assert_int_equal(web_auth_set_password(path, "lan", "mật khẩu 1", err,
                                           sizeof err), BC_OK);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    char *text = NULL;
    size_t len;
    assert_int_equal(bc_read_file(path, &text, &len), 0);
    text = realloc(text, len + 1);
    text[len] = 0;
    assert_non_null(strstr(text, "lan:admin:$argon2id$"));
    assert_null(strstr(text, "mật khẩu"));      /* never the password */
    free(text);

    web_auth_t *auth = web_auth_new(path, err, sizeof err);
    assert_non_null(auth);
    assert_null(web_auth_login(auth, "lan", "wrong"));
    assert_null(web_auth_login(auth, "nobody", "mật khẩu 1"));
    const web_session_t *s = web_auth_login(auth, "lan", "mật khẩu 1");
    assert_non_null(s);
    assert_string_equal(s->name, "lan");
    assert_string_equal(s->role, "admin");
    assert_int_equal(strlen(s->token), WEB_TOKEN_LEN);
    assert_string_not_equal(s->token, s->csrf);
    char token[WEB_TOKEN_LEN + 1], csrf[WEB_TOKEN_LEN + 1];
    strcpy(token, s->token);
    strcpy(csrf, s->csrf);

    assert_ptr_equal(web_auth_session(auth, token), s);
    assert_null(web_auth_session(auth, NULL));
    char forged[WEB_TOKEN_LEN + 1];
    memset(forged, '0', WEB_TOKEN_LEN);
    forged[WEB_TOKEN_LEN] = 0;
    assert_null(web_auth_session(auth, forged));
    assert_null(web_auth_session(auth, "short"));
    assert_true(web_auth_csrf_ok(s, csrf));
    csrf[3] ^= 1;
    assert_false(web_auth_csrf_ok(s, csrf));
    assert_false(web_auth_csrf_ok(s, "x"));
    assert_false(web_auth_csrf_ok(NULL, s->csrf));

    web_auth_logout(auth, token);
    assert_null(web_auth_session(auth, token));
    web_auth_destroy(&auth);
    assert_null(auth);
    web_auth_destroy(&auth);                    /* accepts NULL */
    bc_rmtree(dir);
    free(dir);
}

static void test_malformed_files(void **state)
{
    (void) state;
    char *dir = bc_tmpdir("web-auth-bad");
    char err[512];
    const char *bad[] = {
        "lan\n",                                   /* no role, no hash */
        "lan:root:$argon2id$v=19$x\n",             /* unknown role */
        "lan:admin:plaintext\n",                   /* not a hash */
        "bad name:admin:$argon2id$v=19$x\n",       /* bad name */
        "lan:admin:$argon2id$a\nlan:admin:$argon2id$b\n",   /* twice */
        "# only a comment\n",                      /* nobody */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *p = bc_path(dir, "ops");
        bc_write_file(p, bad[i]);
        err[0] = 0;
        web_auth_t *auth = web_auth_new(p, err, sizeof err);
        assert_null(auth);
        assert_non_null(strstr(err, "ops"));       /* names the file */
    }
    assert_null(web_auth_new(bc_path(dir, "missing"), err, sizeof err));
    /* set-password keeps the other operators and refuses a broken file. */
    const char *p = bc_path(dir, "ops2");
    bc_write_file(p, "lan:admin\n");
    assert_int_equal(web_auth_set_password(p, "mai", "pw", err, sizeof err),
                     BC_EPARSE);
    bc_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_password_and_sessions),
        cmocka_unit_test(test_malformed_files),
    };
    return cmocka_run_group_tests_name("unit.web_auth", tests, NULL, NULL);
}
