/*
 * bc_keys.c -- CURVE key files (czmq zcert) and client-side socket setup.
 *
 * Secret key files must not be readable by group or others: a leaked
 * facility key lets anyone submit as that facility, so we refuse to load
 * one with loose permissions rather than warn and carry on (ssh does the
 * same with private keys).
 */
#include "bc_keys.h"
#include "bc_error.h"
#include "bc_mem.h"

#include <errno.h>
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

int bc_keys_public(const char *path, char out[41], char *err, size_t errlen)
{
    zcert_t *cert = zcert_load(path);
    if (!cert) {
        snprintf(err, errlen, "%s: cannot read key file", path);
        return BC_ECRYPTO;
    }
    snprintf(out, 41, "%s", zcert_public_txt(cert));
    zcert_destroy(&cert);
    return BC_OK;
}

zcert_t *bc_keys_load_pair(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    if (st.st_mode & 077) {
        snprintf(err, errlen, "%s: secret key is readable by others "
                 "(mode %03o); run chmod 600 %s", path,
                 (unsigned) st.st_mode & 0777, path);
        return NULL;
    }
    zcert_t *cert = zcert_load(path);
    if (!cert) {
        snprintf(err, errlen, "%s: not a key file", path);
        return NULL;
    }
    static const char zero[41] = "0000000000000000000000000000000000000000";
    if (strcmp(zcert_secret_txt(cert), zero) == 0) {
        snprintf(err, errlen, "%s: holds no secret key (a .pub file?)", path);
        zcert_destroy(&cert);
        return NULL;
    }
    return cert;
}

zsock_t *bc_keys_watch(zsock_t *sock)
{
    static int seq;   /* makes monitor endpoints unique in the process */
    char ep[96];
    snprintf(ep, sizeof ep, "inproc://bc-keys-watch-%d-%p",
             __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED), (void *) sock);
    if (zmq_socket_monitor(zsock_resolve(sock), ep,
                           ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
                               | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                               | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)
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
    zmsg_t *m = zmsg_recv(monitor);
    zframe_t *f = m ? zmsg_first(m) : NULL;
    bc_handshake_t what = BC_HANDSHAKE_OTHER;
    if (f && zframe_size(f) >= 6) {
        uint16_t event;
        memcpy(&event, zframe_data(f), 2);
        what = event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH ? BC_HANDSHAKE_REFUSED
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
