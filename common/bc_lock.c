/*
 * bc_lock.c -- the exclusive daemon lock on a folder (see bc_lock.h).
 *
 * flock rather than fcntl locks: an fcntl lock is dropped when the process
 * closes ANY descriptor of the file (LMDB and our own code open files
 * freely), and it does not conflict within one process; flock belongs to
 * the open file description and conflicts with every other open of the
 * file, which is what "one daemon per folder" needs. The descriptor is
 * close-on-exec so that a program the daemon starts never inherits it.
 */
#include "bc_lock.h"
#include "bc_error.h"
#include "bc_fs.h"
#include "bc_log.h"
#include "bc_mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

struct bc_lock_t {
    int fd;                   /* the locked file, open while we hold it */
};

/* Reads "PROGRAM PID" from the holder's file into who (best effort). */
static void read_holder(int fd, char *who, size_t len)
{
    char buf[128];
    ssize_t got = pread(fd, buf, sizeof buf - 1, 0);
    buf[got > 0 ? got : 0] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    char prog[64];
    long pid;
    if (sscanf(buf, "%63s %ld", prog, &pid) == 2)
        snprintf(who, len, "%s pid %ld", prog, pid);
    else
        snprintf(who, len, "another process");
}

int bc_lock_new(const char *dir, const char *program, bc_lock_t **out,
                char *err, size_t errlen)
{
    char path[4096];
    int rc = BC_EIO;
    bool made_parents = false;
    *out = NULL;
    /* The lock comes before the store, so the folder is made here, the
     * same way the store would make it. */
    if (bc_mkdir_p(dir, 0750, &made_parents, err, errlen) != 0)
        return BC_EIO;
    if (made_parents)
        BC_INFO("created the missing parent folders of %s", dir);
    snprintf(path, sizeof path, "%s/%s", dir, BC_LOCK_FILE);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        bc_set_error(err, errlen, "cannot open the lock file %s: %s", path,
                     strerror(errno));
        return BC_EIO;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK) {
            char who[96];
            read_holder(fd, who, sizeof who);
            bc_set_error(err, errlen, "%s is in use by %s: stop it first, "
                         "or give this one another folder", dir, who);
            rc = BC_EEXIST;
        } else {
            bc_set_error(err, errlen, "cannot lock %s: %s", path,
                         strerror(errno));
        }
        goto out_close;
    }
    /* Ours now: say who holds it, for the next one's message. Only words
     * for a message: on a full disk the daemon still starts (it has to,
     * to deliver what waits), and the next one reads "another process". */
    char line[128];
    int n = snprintf(line, sizeof line, "%s %ld\n", program, (long) getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, line, (size_t) n, 0) != n)
        BC_WARN("cannot write who holds %s (%s); the lock is held anyway",
                path, strerror(errno));
    bc_lock_t *self = bc_calloc(1, sizeof *self);
    self->fd = fd;
    *out = self;
    return BC_OK;

out_close:
    close(fd);
    return rc;
}

void bc_lock_destroy(bc_lock_t **self_p)
{
    bc_lock_t *self = *self_p;
    if (!self)
        return;
    close(self->fd);   /* closing the last descriptor releases the flock */
    free(self);
    *self_p = NULL;
}
