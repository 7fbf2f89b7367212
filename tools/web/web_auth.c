/*
 * web_auth.c -- operators' passwords (libsodium crypto_pwhash, Argon2id)
 * and in-memory sessions for baocao-web. File format and rules in
 * web_auth.h.
 *
 * The server answers requests from one thread, so the session table needs
 * no lock. A login costs one Argon2id verification (interactive limits,
 * ~0.1 s and 64 MiB): that also slows a password-guessing client to a few
 * attempts a second, for all of them together.
 */
#include "web_auth.h"

#include "bc_csv.h"
#include "bc_error.h"
#include "bc_log.h"
#include "bc_mem.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    char name[WEB_NAME_MAX + 1];         /* login name */
    char role[16];                       /* "admin" */
    char hash[crypto_pwhash_STRBYTES];   /* crypto_pwhash_str output */
} operator_t;

struct web_auth_t {
    operator_t *ops;                     /* the operators file */
    size_t nops;                         /* its length */
    char dummy[crypto_pwhash_STRBYTES];  /* verified against for unknown
                                            names, to take the same time */
    web_session_t sessions[WEB_SESSIONS_MAX];   /* last_seen 0 = free */
};

static bool valid_name(const char *s, size_t len)
{
    if (len == 0 || len > WEB_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '.' || c == '_'
              || c == '-'))
            return false;
    }
    return true;
}

/* Parses the file's text into ops (appending). Lines are name:role:hash. */
static int parse(const char *path, char *text, operator_t **ops, size_t *n,
                 char *err, size_t errlen)
{
    size_t lineno = 0;
    for (char *line = text, *next; line && *line; line = next) {
        lineno++;
        next = strchr(line, '\n');
        if (next)
            *next++ = 0;
        line[strcspn(line, "\r")] = 0;
        if (!*line || *line == '#')
            continue;
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2) {
            bc_set_error(err, errlen, "%s:%zu: expected name:role:hash",
                         path, lineno);
            return BC_EPARSE;
        }
        *c1 = *c2 = 0;
        const char *hash = c2 + 1;
        if (!valid_name(line, strlen(line)) || strcmp(c1 + 1, "admin")
            || strlen(hash) >= crypto_pwhash_STRBYTES
            || strncmp(hash, "$argon2", 7)) {
            bc_set_error(err, errlen, "%s:%zu: bad name, role (only "
                         "'admin') or password hash", path, lineno);
            return BC_EPARSE;
        }
        for (size_t i = 0; i < *n; i++)
            if (!strcmp((*ops)[i].name, line)) {
                bc_set_error(err, errlen, "%s:%zu: operator '%s' twice",
                             path, lineno, line);
                return BC_EPARSE;
            }
        *ops = bc_realloc(*ops, (*n + 1) * sizeof **ops);
        operator_t *o = &(*ops)[(*n)++];
        memset(o, 0, sizeof *o);
        snprintf(o->name, sizeof o->name, "%s", line);
        snprintf(o->role, sizeof o->role, "%s", c1 + 1);
        snprintf(o->hash, sizeof o->hash, "%s", hash);
    }
    return BC_OK;
}

static int load(const char *path, operator_t **ops, size_t *n, bool missing_ok,
                char *err, size_t errlen)
{
    char *text = NULL;
    size_t len;
    int rc = bc_read_file(path, &text, &len);
    if (rc) {
        if (missing_ok && rc == ENOENT)
            return BC_OK;
        bc_set_error(err, errlen, "%s: %s", path, strerror(rc));
        return BC_EIO;
    }
    text = bc_realloc(text, len + 1);     /* parse wants a C string */
    text[len] = 0;
    rc = parse(path, text, ops, n, err, errlen);
    free(text);
    return rc;
}

web_auth_t *web_auth_new(const char *path, char *err, size_t errlen)
{
    if (sodium_init() < 0) {
        bc_set_error(err, errlen, "libsodium could not start");
        return NULL;
    }
    web_auth_t *self = bc_calloc(1, sizeof *self);
    if (load(path, &self->ops, &self->nops, false, err, errlen))
        goto out_fail;
    if (!self->nops) {
        bc_set_error(err, errlen, "%s: no operator (add one with "
                     "baocao-web --operators %s --set-password NAME)", path,
                     path);
        goto out_fail;
    }
    unsigned char junk[16];
    randombytes_buf(junk, sizeof junk);
    if (crypto_pwhash_str(self->dummy, (const char *) junk, sizeof junk,
                          crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE)) {
        bc_set_error(err, errlen, "crypto_pwhash: out of memory");
        goto out_fail;
    }
    return self;
out_fail:
    web_auth_destroy(&self);
    return NULL;
}

void web_auth_destroy(web_auth_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    web_auth_t *self = *self_p;
    sodium_memzero(self->sessions, sizeof self->sessions);
    free(self->ops);
    free(self);
    *self_p = NULL;
}

static void new_token(char out[WEB_TOKEN_LEN + 1])
{
    unsigned char raw[WEB_TOKEN_LEN / 2];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(out, WEB_TOKEN_LEN + 1, raw, sizeof raw);
}

const web_session_t *web_auth_login(web_auth_t *self, const char *name,
                                    const char *password)
{
    if (!name || !password || strlen(password) > WEB_PASSWORD_MAX)
        return NULL;
    const operator_t *op = NULL;
    for (size_t i = 0; i < self->nops; i++)
        if (!strcmp(self->ops[i].name, name))
            op = &self->ops[i];
    /* An unknown name costs one verification too. */
    int bad = crypto_pwhash_str_verify(op ? op->hash : self->dummy, password,
                                       strlen(password));
    if (bad || !op)
        return NULL;
    time_t now = time(NULL);
    web_session_t *slot = NULL;
    for (size_t i = 0; i < WEB_SESSIONS_MAX; i++) {
        web_session_t *s = &self->sessions[i];
        if (s->last_seen && now - s->last_seen > WEB_SESSION_IDLE_S)
            memset(s, 0, sizeof *s);      /* expired: reuse */
        if (!s->last_seen && !slot)
            slot = s;
    }
    if (!slot) {
        BC_WARN("login of %s refused: %d sessions open", name,
                WEB_SESSIONS_MAX);
        return NULL;
    }
    new_token(slot->token);
    new_token(slot->csrf);
    snprintf(slot->name, sizeof slot->name, "%s", op->name);
    snprintf(slot->role, sizeof slot->role, "%s", op->role);
    slot->last_seen = now;
    return slot;
}

static web_session_t *find(web_auth_t *self, const char *token)
{
    if (!token || strlen(token) != WEB_TOKEN_LEN)
        return NULL;
    time_t now = time(NULL);
    for (size_t i = 0; i < WEB_SESSIONS_MAX; i++) {
        web_session_t *s = &self->sessions[i];
        if (s->last_seen && !sodium_memcmp(s->token, token, WEB_TOKEN_LEN)) {
            if (now - s->last_seen > WEB_SESSION_IDLE_S) {
                memset(s, 0, sizeof *s);
                return NULL;
            }
            return s;
        }
    }
    return NULL;
}

const web_session_t *web_auth_session(web_auth_t *self, const char *token)
{
    web_session_t *s = find(self, token);
    if (s)
        s->last_seen = time(NULL);
    return s;
}

bool web_auth_csrf_ok(const web_session_t *session, const char *csrf)
{
    return session && csrf && strlen(csrf) == WEB_TOKEN_LEN
           && !sodium_memcmp(session->csrf, csrf, WEB_TOKEN_LEN);
}

void web_auth_logout(web_auth_t *self, const char *token)
{
    web_session_t *s = find(self, token);
    if (s)
        sodium_memzero(s, sizeof *s);
}

int web_auth_set_password(const char *path, const char *name,
                          const char *password, char *err, size_t errlen)
{
    operator_t *ops = NULL;
    size_t n = 0;
    int rc = BC_EINVAL;
    FILE *f = NULL;
    char tmp[4096];
    if (sodium_init() < 0) {
        bc_set_error(err, errlen, "libsodium could not start");
        return BC_EIO;
    }
    if (!name || !valid_name(name, strlen(name))) {
        bc_set_error(err, errlen, "a name is 1 to %d letters, digits, '.', "
                     "'_' or '-'", WEB_NAME_MAX);
        return BC_EINVAL;
    }
    if (!password || !*password || strlen(password) > WEB_PASSWORD_MAX) {
        bc_set_error(err, errlen, "the password must be 1 to %d bytes",
                     WEB_PASSWORD_MAX);
        return BC_EINVAL;
    }
    if ((rc = load(path, &ops, &n, true, err, errlen)))
        goto out_free;
    operator_t *op = NULL;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(ops[i].name, name))
            op = &ops[i];
    if (!op) {
        ops = bc_realloc(ops, (n + 1) * sizeof *ops);
        op = &ops[n++];
        memset(op, 0, sizeof *op);
        snprintf(op->name, sizeof op->name, "%s", name);
        snprintf(op->role, sizeof op->role, "admin");
    }
    if (crypto_pwhash_str(op->hash, password, strlen(password),
                          crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE)) {
        bc_set_error(err, errlen, "crypto_pwhash: out of memory");
        rc = BC_EIO;
        goto out_free;
    }
    /* Write the whole file beside the old one, then swap: a crash leaves
     * the old file or the new one, never half of one. */
    rc = BC_EIO;
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || !(f = fdopen(fd, "w"))) {
        bc_set_error(err, errlen, "%s: %s", tmp, strerror(errno));
        if (fd >= 0)
            close(fd);
        goto out_free;
    }
    fprintf(f, "# baocao-web operators: name:role:hash (crypto_pwhash_str)."
               "\n# Edit with baocao-web --operators FILE --set-password "
               "NAME.\n");
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s:%s:%s\n", ops[i].name, ops[i].role, ops[i].hash);
    if (fflush(f) || fsync(fileno(f))) {
        bc_set_error(err, errlen, "%s: %s", tmp, strerror(errno));
        goto out_close;
    }
    if (fclose(f)) {
        f = NULL;
        bc_set_error(err, errlen, "%s: %s", tmp, strerror(errno));
        goto out_unlink;
    }
    f = NULL;
    if (rename(tmp, path)) {
        bc_set_error(err, errlen, "rename %s: %s", path, strerror(errno));
        goto out_unlink;
    }
    rc = BC_OK;
    goto out_free;
out_close:
    fclose(f);
out_unlink:
    unlink(tmp);
out_free:
    if (ops)
        sodium_memzero(ops, n * sizeof *ops);
    free(ops);
    return rc;
}
