/*
 * test_fs.c -- bc_file_replace, the one way the programs replace a small
 * file: the new bytes whole, or the old file as it was and no temporary
 * left beside it, with an error that names the file; a full file system
 * is told apart (BC_ENOSPC) from any other failure (BC_EIO).
 *
 * The full file system is a small tmpfs mounted for the test, which needs
 * root (CI runs as root); otherwise that case is skipped with a message.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bc_error.h"
#include "bc_fs.h"
#include "bc_mem.h"
#include "bc_test.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

/* The whole of a file, NUL-terminated (NULL if it cannot be read). */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = bc_calloc(1, 1 << 16);
    size_t n = fread(buf, 1, (1 << 16) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static void test_replaces_whole(void **state)
{
    (void) state;
    char *dir = bc_tmpdir("fs");
    char path[4096], tmp[4200], err[256] = "";
    snprintf(path, sizeof path, "%s/endpoint", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);

    /* A new file, with the mode asked (whatever the umask). */
    mode_t old_mask = umask(0);
    assert_int_equal(bc_file_replace(path, "one\n", 4, 0640, err,
                                     sizeof err), BC_OK);
    umask(old_mask);
    char *got = slurp(path);
    assert_string_equal(got, "one\n");
    free(got);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640);

    /* Replaced by longer, then shorter contents: never a mix. */
    assert_int_equal(bc_file_replace(path, "tcp://127.0.0.1:5555\n", 21,
                                     0644, err, sizeof err), BC_OK);
    got = slurp(path);
    assert_string_equal(got, "tcp://127.0.0.1:5555\n");
    free(got);
    assert_int_equal(bc_file_replace(path, "2\n", 2, 0644, err, sizeof err),
                     BC_OK);
    got = slurp(path);
    assert_string_equal(got, "2\n");
    free(got);

    /* Nothing at all is a valid content too. */
    assert_int_equal(bc_file_replace(path, "", 0, 0644, err, sizeof err),
                     BC_OK);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 0);
    assert_false(exists(tmp));
    bc_rmtree(dir);
    free(dir);
}

static void test_failure_keeps_the_old_file(void **state)
{
    (void) state;
    char *dir = bc_tmpdir("fs");
    char path[4096], tmp[4200], err[4400] = "";
    snprintf(path, sizeof path, "%s/catalog.csv", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    bc_write_file(path, "code,name,kind\n");

    /* The temporary cannot be made (a folder stands in its place). */
    assert_int_equal(mkdir(tmp, 0755), 0);
    assert_int_equal(bc_file_replace(path, "new\n", 4, 0644, err,
                                     sizeof err), BC_EIO);
    if (!strstr(err, tmp))
        fail_msg("the error should name %s: '%s'", tmp, err);
    char *got = slurp(path);
    assert_string_equal(got, "code,name,kind\n");
    free(got);
    assert_int_equal(rmdir(tmp), 0);

    /* The rename cannot be made (the target is a folder with something
     * in it): the temporary is removed, the error names the target. */
    char target[4200], inside[4300];
    snprintf(target, sizeof target, "%s/busy", dir);
    snprintf(inside, sizeof inside, "%s/x", target);
    assert_int_equal(mkdir(target, 0755), 0);
    bc_write_file(inside, "x");
    assert_int_equal(bc_file_replace(target, "new\n", 4, 0644, err,
                                     sizeof err), BC_EIO);
    if (!strstr(err, target) || strstr(err, ".tmp"))
        fail_msg("the error should name %s: '%s'", target, err);
    char ttmp[4300];
    snprintf(ttmp, sizeof ttmp, "%s.tmp", target);
    assert_false(exists(ttmp));
    got = slurp(inside);
    assert_string_equal(got, "x");
    free(got);

    /* No such folder. */
    char lost[4200];
    snprintf(lost, sizeof lost, "%s/no/such/file", dir);
    assert_int_equal(bc_file_replace(lost, "a", 1, 0644, err, sizeof err),
                     BC_EIO);
    assert_int_equal(errno, ENOENT);
    bc_rmtree(dir);
    free(dir);
}

static void test_full_file_system(void **state)
{
    (void) state;
    char *dir = bc_tmpdir("fs");
    char mnt[4096], path[4200], tmp[4300], filler[4200], err[4400] = "";
    snprintf(mnt, sizeof mnt, "%s/small", dir);
    assert_int_equal(mkdir(mnt, 0755), 0);
    if (mount("tmpfs", mnt, "tmpfs", 0, "size=64k") != 0) {
        fprintf(stderr, "SKIPPED: mounting a small tmpfs needs root (%s)\n",
                strerror(errno));
        bc_rmtree(dir);
        free(dir);
        skip();
    }
    snprintf(path, sizeof path, "%s/store-error", mnt);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    snprintf(filler, sizeof filler, "%s/filler", mnt);
    assert_int_equal(bc_file_replace(path, "old\n", 4, 0644, err,
                                     sizeof err), BC_OK);
    /* Fill what is left, then ask for more than a page. */
    int fd = open(filler, O_WRONLY | O_CREAT, 0644);
    assert_true(fd >= 0);
    char block[4096];
    memset(block, 'f', sizeof block);
    while (write(fd, block, sizeof block) > 0)
        ;
    close(fd);
    static char big[16384];
    memset(big, 'n', sizeof big);
    assert_int_equal(bc_file_replace(path, big, sizeof big, 0644, err,
                                     sizeof err), BC_ENOSPC);
    if (!strstr(err, "No space left"))
        fail_msg("the error should say the disk is full: '%s'", err);
    char *got = slurp(path);
    assert_string_equal(got, "old\n");
    free(got);
    assert_false(exists(tmp));
    if (umount2(mnt, MNT_DETACH) != 0)
        fprintf(stderr, "cannot unmount %s: %s\n", mnt, strerror(errno));
    bc_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replaces_whole),
        cmocka_unit_test(test_failure_keeps_the_old_file),
        cmocka_unit_test(test_full_file_system),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
