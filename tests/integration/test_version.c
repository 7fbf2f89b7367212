/*
 * test_version.c -- every shipped program answers --version the same way,
 * with exit 0 and nothing else done.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bc_test.h"
#include "bc_wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_every_program_has_version(void **state)
{
    (void) state;
    const char *progs[] = {"baocao", "baocao-hub", "baocao-node",
                           "baocao-flaky", "baocao-web"};
    char want[128];
    for (size_t i = 0; i < sizeof progs / sizeof progs[0]; i++) {
        const char *argv[] = {"--version", NULL};
        char *out = NULL;
        assert_int_equal(bc_run(progs[i], argv, &out), 0);
        snprintf(want, sizeof want, "%s %s (wire contract %d)\n", progs[i],
                 BC_VERSION, BC_WIRE_VERSION);
        assert_string_equal(out, want);
        free(out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_program_has_version),
    };
    return cmocka_run_group_tests_name("integration.version", tests, NULL,
                                       NULL);
}
