/*
 * bc_keys.c -- CURVE key files (czmq zcert) and client-side socket setup.
 *
 * Secret key files must not be readable by group or others: a leaked
 * facility key lets anyone submit as that facility, so we refuse to load
 * one with loose permissions rather than warn and carry on (ssh does the
 * same with private keys).
 *
 * Key files are read from exactly the path given (not through zcert_load,
 * which prefers "PATH_secret" when it exists), and the mode checked is the
 * mode of the file actually read.
 */
#include "bc_keys.h"
#include "bc_error.h"
#include "bc_mem.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int bc_keys_generate(const char *name, char *err, size_t errlen)
{
    int rc = BC_OK;
    char pub[4096], sec[4096];
    snprintf(pub, sizeof pub, "%s.pub", name);
    snprintf(sec, sizeof sec, "%s.secret", name);
    if (access(pub, F_OK) == 0 || access(sec, F_OK) == 0) {
        snprintf(err, errlen, "%s.pub or %s.secret exists already; "
                 "remove it first or choose another name", name, name);
        return BC_EEXIST;
    }
    zcert_t *cert = zcert_new();
    if (!cert) {
        snprintf(err, errlen, "cannot create a key pair");
        return BC_ECRYPTO;
    }
    /* Create the secret file 0600 before zcert writes into it, so that it is
     * never readable by others, not even for a moment. */
    mode_t old = umask(077);
    int wrc = zcert_save_secret(cert, sec);
    umask(old);
    if (wrc != 0 || chmod(sec, 0600) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", sec, strerror(errno));
        rc = BC_EIO;
        goto out_destroy;
    }
    if (zcert_save_public(cert, pub) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", pub, strerror(errno));
        rc = BC_EIO;
        goto out_destroy;
    }
out_destroy:
    zcert_destroy(&cert);
    return rc;
}

/* A key file, read from exactly `path`. czmq's zcert_load(P) reads
 * "P_secret" first when it exists, so it could load another file than the
 * one named (and our mode check looked at P while the key came from
 * P_secret). We open the file once, check the mode of that open file, and
 * parse its text ourselves with zconfig, the same ZPL parser zcert uses. */
typedef struct {
    uint8_t public_key[32];       /* always present */
    uint8_t secret_key[32];       /* all zero when the file has none */
    bool has_secret;              /* a non-zero secret key was read */
} key_file_t;

/* Largest key file read: zcert's are about 300 bytes. */
#define KEY_FILE_MAX 65536

static int z85_key(const char *txt, uint8_t out[32])
{
    return txt && strlen(txt) == 40 && zmq_z85_decode(out, txt) ? 0 : -1;
}

/* Reads `path`; with `secret` set, refuses a file that others may read,
 * has no secret key, or whose secret key does not match its public key. */
static int read_key_file(const char *path, bool secret, key_file_t *out,
                         char *err, size_t errlen)
{
    static const char zero[41] = "0000000000000000000000000000000000000000";
    int rc = BC_ECRYPTO;
    char *text = NULL;
    zconfig_t *root = NULL;
    struct stat st;
    memset(out, 0, sizeof *out);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return BC_EIO;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        goto out_close;
    }
    if (secret && (st.st_mode & 077)) {
        snprintf(err, errlen, "%s: secret key is readable by others "
                 "(mode %03o); run chmod 600 %s", path,
                 (unsigned) st.st_mode & 0777, path);
        goto out_close;
    }
    if (st.st_size > KEY_FILE_MAX) {
        snprintf(err, errlen, "%s: not a key file (too large)", path);
        goto out_close;
    }
    text = bc_malloc((size_t) st.st_size + 1);
    ssize_t got = read(fd, text, (size_t) st.st_size);
    if (got < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        rc = BC_EIO;
        goto out_close;
    }
    text[got] = '\0';
    root = zconfig_str_load(text);
    const char *pub = root ? zconfig_get(root, "curve/public-key", NULL)
                           : NULL;
    const char *sec = root ? zconfig_get(root, "curve/secret-key", NULL)
                           : NULL;
    if (z85_key(pub, out->public_key) != 0) {
        snprintf(err, errlen, "%s: not a key file (no valid public-key)",
                 path);
        goto out_close;
    }
    out->has_secret = sec && strcmp(sec, zero) != 0;
    if (out->has_secret && z85_key(sec, out->secret_key) != 0) {
        snprintf(err, errlen, "%s: malformed secret-key", path);
        goto out_close;
    }
    if (secret && !out->has_secret) {
        snprintf(err, errlen, "%s: holds no secret key (a .pub file?); "
                 "give the .secret file", path);
        goto out_close;
    }
    if (out->has_secret) {
        char derived[41];
        if (zmq_curve_public(derived, sec) != 0 || strcmp(derived, pub)) {
            snprintf(err, errlen, "%s: its public and secret keys do not "
                     "belong together", path);
            goto out_close;
        }
    }
    rc = BC_OK;
out_close:
    /* The text and, on failure, the half-read pair hold secret bytes. */
    if (rc != BC_OK)
        sodium_memzero(out, sizeof *out);
    if (text)
        sodium_memzero(text, (size_t) st.st_size + 1);
    zconfig_destroy(&root);
    free(text);
    close(fd);
    return rc;
}

int bc_keys_public(const char *path, char out[41], char *err, size_t errlen)
{
    key_file_t k;
    int rc = read_key_file(path, false, &k, err, errlen);
    if (rc)
        return BC_ECRYPTO;
    zmq_z85_encode(out, k.public_key, 32);
    sodium_memzero(&k, sizeof k);
    return BC_OK;
}

zcert_t *bc_keys_load_pair(const char *path, char *err, size_t errlen)
{
    key_file_t k;
    if (read_key_file(path, true, &k, err, errlen) != BC_OK)
        return NULL;
    zcert_t *cert = zcert_new_from(k.public_key, k.secret_key);
    sodium_memzero(&k, sizeof k);
    if (!cert)
        snprintf(err, errlen, "%s: cannot build a key pair", path);
    return cert;
}

zsock_t *bc_keys_watch(zsock_t *sock)
{
    return bc_keys_watch_events(sock, 0);
}

zsock_t *bc_keys_watch_events(zsock_t *sock, int extra_events)
{
    static int seq;   /* makes monitor endpoints unique in the process */
    char ep[96];
    snprintf(ep, sizeof ep, "inproc://bc-keys-watch-%d-%p",
             __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED), (void *) sock);
    if (zmq_socket_monitor(zsock_resolve(sock), ep,
                           ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
                               | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                               | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL
                               | extra_events)
        != 0)
        return NULL;
    zsock_t *monitor = zsock_new(ZMQ_PAIR);
    if (monitor && zsock_connect(monitor, "%s", ep) != 0)
        zsock_destroy(&monitor);
    return monitor;
}

void bc_keys_unwatch(zsock_t *sock, zsock_t **monitor_p)
{
    if (sock && *monitor_p)
        zmq_socket_monitor(zsock_resolve(sock), NULL, 0);
    zsock_destroy(monitor_p);
}

bc_handshake_t bc_keys_watch_read(zsock_t *monitor)
{
    uint16_t event;
    uint32_t value;
    return bc_keys_watch_read_event(monitor, &event, &value);
}

bc_handshake_t bc_keys_watch_read_event(zsock_t *monitor, uint16_t *event,
                                        uint32_t *value)
{
    zmsg_t *m = zmsg_recv(monitor);
    zframe_t *f = m ? zmsg_first(m) : NULL;
    bc_handshake_t what = BC_HANDSHAKE_OTHER;
    *event = 0;
    *value = 0;
    if (f && zframe_size(f) >= 6) {
        /* libzmq's monitor frame: 16-bit event, then a 32-bit value. */
        memcpy(event, zframe_data(f), 2);
        memcpy(value, zframe_data(f) + 2, 4);
        what = *event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH ? BC_HANDSHAKE_REFUSED
                                                         : BC_HANDSHAKE_FAILED;
    }
    zmsg_destroy(&m);
    return what;
}

int bc_keys_apply_client(zsock_t *sock, const bc_security_t *sec, char *err,
                         size_t errlen)
{
    char hub[41];
    int rc = bc_keys_public(sec->hub_key, hub, err, errlen);
    if (rc)
        return rc;
    zcert_t *cert = sec->cert ? bc_keys_load_pair(sec->cert, err, errlen)
                              : zcert_new();
    if (!cert)
        return BC_ECRYPTO;
    zcert_apply(cert, sock);
    zsock_set_curve_serverkey(sock, hub);
    zcert_destroy(&cert);
    return BC_OK;
}

void bc_keys_fingerprint(const char *z85_public, char out[20])
{
    uint8_t h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const uint8_t *) z85_public, strlen(z85_public));
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (size_t i = 0; i < 8; i++) {
        if (i && i % 2 == 0)
            out[o++] = '-';
        out[o++] = hex[h[i] >> 4];
        out[o++] = hex[h[i] & 15];
    }
    out[o] = 0;
}
