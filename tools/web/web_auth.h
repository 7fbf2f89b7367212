/*
 * web_auth.h -- who may use the operators' desk: operators with a name and
 * a password, and the sessions of those who logged in.
 *
 * Operators file (--operators FILE), one operator a line, '#' comments:
 *
 *   name:role:hash
 *
 *   name   1..32 bytes of [A-Za-z0-9._-]
 *   role   "admin" (the only role until the hub has scopes)
 *   hash   libsodium crypto_pwhash_str() output (Argon2id, its own salt
 *          and cost parameters), never the password itself
 *
 * `baocao-web --operators FILE --set-password NAME` writes a line (the
 * password read from standard input); the file is rewritten whole into a
 * temporary file, fsync'ed, renamed, mode 0600.
 *
 * Sessions live in memory only (a restart logs everyone out): a random
 * 256-bit token for the cookie, a second random token against cross-site
 * request forgery, an idle timeout. Comparisons of secrets are constant
 * time (sodium_memcmp).
 */
#ifndef WEB_AUTH_H
#define WEB_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define WEB_TOKEN_LEN 64           /* hex characters of a token */
#define WEB_NAME_MAX 32            /* bytes of an operator's name */
#define WEB_PASSWORD_MAX 256       /* bytes of a password */
#define WEB_SESSIONS_MAX 256       /* live sessions at once */
#define WEB_SESSION_IDLE_S (8 * 3600)   /* a working day */

typedef struct {
    char token[WEB_TOKEN_LEN + 1];   /* cookie value */
    char csrf[WEB_TOKEN_LEN + 1];    /* carried by every changing form */
    char name[WEB_NAME_MAX + 1];     /* operator */
    char role[16];                   /* "admin" */
    time_t last_seen;                /* for the idle timeout; 0 = free */
} web_session_t;

typedef struct web_auth_t web_auth_t;

/* Loads the operators file. Returns NULL with "file:line: why" in err for
 * an unreadable file, a malformed line, an unknown role or a duplicate
 * name. */
web_auth_t *web_auth_new(const char *path, char *err, size_t errlen);

/* Frees everything (sessions are wiped); accepts NULL; clears *self_p. */
void web_auth_destroy(web_auth_t **self_p);

/* Checks name and password (crypto_pwhash_str_verify: deliberately slow)
 * and opens a session. Returns the session, or NULL when the name is
 * unknown or the password wrong (the same answer and about the same time
 * for both, so that names cannot be probed) or when the session table is
 * full. */
const web_session_t *web_auth_login(web_auth_t *self, const char *name,
                                    const char *password);

/* The live session of a cookie token, its idle clock restarted; NULL when
 * the token is NULL, unknown or expired. */
const web_session_t *web_auth_session(web_auth_t *self, const char *token);

/* True when csrf is the session's CSRF token (constant time). */
bool web_auth_csrf_ok(const web_session_t *session, const char *csrf);

/* Ends the session of token (nothing when there is none). */
void web_auth_logout(web_auth_t *self, const char *token);

/* Sets NAME's password (adding NAME as an admin when new) in the
 * operators file at path, creating the file if needed. Returns BC_OK,
 * BC_EINVAL (bad name, empty or too long password), BC_EPARSE (the
 * existing file is malformed) or BC_EIO, with a message in err. */
int web_auth_set_password(const char *path, const char *name,
                          const char *password, char *err, size_t errlen);

#endif
