/*
 * bc_fs.c -- folder creation and sizes, store copies, and small files
 * replaced all or nothing (see bc_fs.h).
 */
#include "bc_fs.h"
#include "bc_error.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <lmdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int bc_mkdir_p(const char *dir, mode_t mode, bool *made_parents, char *err,
               size_t errlen)
{
    char path[4096];
    if (made_parents)
        *made_parents = false;
    if (snprintf(path, sizeof path, "%s", dir) >= (int) sizeof path) {
        errno = ENAMETOOLONG;
        snprintf(err, errlen, "folder name too long: %.64s...", dir);
        return -1;
    }
    /* Each parent in turn, then the folder itself. */
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        struct stat st;
        if (stat(path, &st) != 0) {
            if (mkdir(path, 0755) != 0 && errno != EEXIST) {
                snprintf(err, errlen, "cannot create folder %s: %s", path,
                         strerror(errno));
                return -1;
            }
            if (made_parents)
                *made_parents = true;
        }
        *p = '/';
    }
    if (mkdir(path, mode) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create store directory %s: %s", path,
                 strerror(errno));
        return -1;
    }
    return 0;
}

bool bc_has_store(const char *dir)
{
    char path[4096];
    struct stat st;
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int bc_store_copy(MDB_env *env, const char *dir, char *err, size_t errlen)
{
    if (bc_mkdir_p(dir, 0750, NULL, err, errlen) != 0)
        return BC_EIO;
    if (bc_has_store(dir)) {
        snprintf(err, errlen, "%s already holds a store; copy into a new "
                 "folder", dir);
        return BC_EEXIST;
    }
    /* Compacting leaves out free pages, and renumbers none that matter. */
    int mrc = mdb_env_copy2(env, dir, MDB_CP_COMPACT);
    if (mrc) {
        snprintf(err, errlen, "cannot copy the store into %s: %s", dir,
                 mdb_strerror(mrc));
        return mrc == ENOSPC ? BC_EFULL : BC_ESTORE;
    }
    return BC_OK;
}

int64_t bc_dir_bytes(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int64_t total = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
            total += (int64_t) st.st_size;
    }
    closedir(d);
    return total;
}

/* The folder holding `path`, synced: a rename is durable only once the
 * folder's entry is. Best effort, as mosquitto and Kafka do it: some file
 * systems refuse fsync on a folder, and the file itself is already safe. */
static void sync_parent(const char *path)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    int fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void) fsync(fd);
        close(fd);
    }
}

int bc_file_replace(const char *path, const void *data, size_t len,
                    mode_t mode, char *err, size_t errlen)
{
    char tmp[4200];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int) sizeof tmp) {
        errno = ENAMETOOLONG;
        bc_set_error(err, errlen, "file name too long: %.64s...", path);
        return BC_EIO;
    }
    const char *failed = tmp;  /* the name the error is about */
    int saved = 0;             /* errno of the step that failed */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) {
        saved = errno;
        goto out_fail;
    }
    const char *p = data;
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, p + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            break;
        off += (size_t) w;
    }
    if (off < len || fsync(fd) != 0) {
        saved = errno;
        close(fd);
        goto out_unlink;
    }
    if (close(fd) != 0) {
        saved = errno;
        goto out_unlink;
    }
    if (rename(tmp, path) != 0) {
        saved = errno;
        failed = path;
        goto out_unlink;
    }
    sync_parent(path);
    return BC_OK;

out_unlink:
    unlink(tmp);
out_fail:
    errno = saved;
    bc_set_error(err, errlen, "cannot write %s: %s", failed,
                 strerror(saved));
    return saved == ENOSPC || saved == EDQUOT ? BC_ENOSPC : BC_EIO;
}
