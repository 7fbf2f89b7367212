/*
 * test_lock.c -- one daemon per folder: the second lock on a folder is
 * refused with the holder's name and pid, the lock goes with its holder,
 * and missing parent folders are made.
 *
 * flock conflicts between two opens of the file even within one process,
 * so one test process can play both daemons. (The cross-process cases, a
 * second hub and a SIGKILLed one, are in integration.mistakes.)
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bc_error.h"
#include "bc_lock.h"
#include "bc_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_second_lock_refused(void **state)
{
    (void) state;
    char *dir = bc_tmpdir("lock");
    char store[4096], err[256], want[4200];
    snprintf(store, sizeof store, "%s/a/b/store", dir);   /* parents made */
    bc_lock_t *first = NULL, *second = NULL;
    assert_int_equal(bc_lock_new(store, "baocao-hub", &first, err,
                                 sizeof err), BC_OK);
    assert_non_null(first);

    assert_int_equal(bc_lock_new(store, "baocao-hub", &second, err,
                                 sizeof err), BC_EEXIST);
    assert_null(second);
    snprintf(want, sizeof want, "%s is in use by baocao-hub pid %ld", store,
             (long) getpid());
    if (!strstr(err, want))
        fail_msg("expected '%s' in '%s'", want, err);

    /* Released with its holder: the next one takes it. */
    bc_lock_destroy(&first);
    assert_null(first);
    bc_lock_destroy(&first);   /* NULL is fine */
    assert_int_equal(bc_lock_new(store, "baocao-node", &second, err,
                                 sizeof err), BC_OK);
    bc_lock_destroy(&second);
    bc_rmtree(dir);
    free(dir);
}

static void test_unusable_folder(void **state)
{
    (void) state;
    char *dir = bc_tmpdir("lock");
    char file[4096], store[4200], err[4400];
    snprintf(file, sizeof file, "%s/plain-file", dir);
    bc_write_file(file, "x");
    snprintf(store, sizeof store, "%s/store", file);   /* under a file */
    bc_lock_t *l = NULL;
    assert_int_equal(bc_lock_new(store, "baocao-hub", &l, err, sizeof err),
                     BC_EIO);
    assert_null(l);
    assert_non_null(strstr(err, file));
    bc_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_second_lock_refused),
        cmocka_unit_test(test_unusable_folder),
    };
    return cmocka_run_group_tests_name("unit.lock", tests, NULL, NULL);
}
