/*
 * test_table.c -- display widths of Vietnamese text (NFC and NFD) and
 * column alignment measured in terminal cells, not bytes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bc_table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HB_NFC "H\xE1\xBB\x93ng B\xC3\xA0ng"            /* Hồng Bàng */
#define HB_NFD "Ho\xCC\x82\xCC\x80ng Ba\xCC\x80ng"      /* o + U+0302 + U+0300 */

static void test_width(void **state)
{
    (void) state;
    assert_int_equal(strlen(HB_NFC), 12);
    assert_int_equal(bc_display_width(HB_NFC), 9);
    assert_int_equal(strlen(HB_NFD), 15);
    assert_int_equal(bc_display_width(HB_NFD), 9);
    assert_int_equal(bc_display_width("Hồng Bàng"), 9);
    assert_int_equal(bc_display_width("Phường Hoàng Văn Thụ"), 20);
    assert_int_equal(bc_display_width(""), 0);
    assert_int_equal(bc_display_width(NULL), 0);
    assert_int_equal(bc_display_width("abc"), 3);
    /* East Asian wide characters take two cells. */
    assert_int_equal(bc_display_width("\xE4\xB8\xAD\xE6\x96\x87"), 4);
    /* A byte that is not UTF-8 counts one cell and does not derail the
     * rest. */
    assert_int_equal(bc_display_width("a\xFF" "b"), 3);
    assert_int_equal(bc_display_width("\xE1\xBB" "x"), 3);
}

/* Display column where `needle` starts in `line`, or -1. */
static long column_of(const char *line, const char *needle)
{
    const char *p = strstr(line, needle);
    char prefix[512];

    if (!p || (size_t) (p - line) >= sizeof prefix)
        return -1;
    memcpy(prefix, line, (size_t) (p - line));
    prefix[p - line] = '\0';
    return (long) bc_display_width(prefix);
}

static void test_aligned_print(void **state)
{
    const char *headers[] = { "Mã", "Tên đơn vị", "Số trẻ" };
    const char *rows[][3] = {
        { "HP-HB-QT", "Phường Quán Toan", "776" },
        { "HP-HB", HB_NFD, "7492" },
        { "HP-HB-HVT", "Phường Hoàng Văn Thụ", "530" },
        { "X", HB_NFC, NULL },
    };
    bc_table_t *t = bc_table_new(3, headers);
    FILE *f = tmpfile();
    char lines[8][512];
    size_t n = 0;
    long col2 = -1, end = -1;

    (void) state;
    assert_non_null(t);
    assert_non_null(f);
    bc_table_align(t, 2, BC_ALIGN_RIGHT);
    for (size_t i = 0; i < 4; i++)
        bc_table_add(t, rows[i]);
    bc_table_print(t, f);
    rewind(f);
    while (n < 8 && fgets(lines[n], sizeof lines[n], f)) {
        lines[n][strcspn(lines[n], "\n")] = '\0';
        n++;
    }
    fclose(f);
    assert_int_equal(n, 6);       /* header, rule, four rows */

    /* The second column starts at the same cell on every line: after the
     * widest code, "HP-HB-HVT" (9 cells), and two spaces. */
    assert_int_equal(column_of(lines[0], "Tên đơn vị"), 11);
    for (size_t i = 0; i < 4; i++) {
        col2 = column_of(lines[i + 2], i == 1 ? HB_NFD
                                     : i == 3 ? HB_NFC : rows[i][1]);
        assert_int_equal(col2, 11);
    }
    /* The right-aligned last column ends at the same cell on every line,
     * the rule included: 9 + 2 + 20 + 2 + 6 ("Số trẻ"). */
    for (size_t i = 0; i < 5; i++) {
        end = (long) bc_display_width(lines[i]);
        assert_int_equal(end, 39);
    }
    assert_string_equal(lines[1], "---------  --------------------  ------");
    assert_non_null(strstr(lines[2], "  776"));
    /* The NULL cell prints as spaces up to the column. */
    assert_int_equal(bc_display_width(lines[5]), 39);

    bc_table_destroy(&t);
    assert_null(t);
    bc_table_destroy(&t);
}

static void test_left_last_column_no_trailing_spaces(void **state)
{
    const char *headers[] = { "a", "bbbbbb" };
    const char *row[] = { "x", "y" };
    bc_table_t *t = bc_table_new(2, headers);
    char buf[256];
    FILE *f = tmpfile();
    size_t len;

    (void) state;
    bc_table_add(t, row);
    bc_table_print(t, f);
    rewind(f);
    len = fread(buf, 1, sizeof buf - 1, f);
    buf[len] = '\0';
    fclose(f);
    assert_string_equal(buf, "a  bbbbbb\n-  ------\nx  y\n");
    bc_table_destroy(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_width),
        cmocka_unit_test(test_aligned_print),
        cmocka_unit_test(test_left_last_column_no_trailing_spaces),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
