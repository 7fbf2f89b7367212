/*
 * test_csv.c -- CSV on top of libcsv: quoting, embedded commas and
 * newlines, BOM, blank lines, trimming, and errors that name the line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bc_csv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bc_csv_t *parse(const char *text, char *err, size_t errlen)
{
    return bc_csv_parse(text, strlen(text), "t.csv", err, errlen);
}

static void test_basic(void **state)
{
    char err[256] = "";
    bc_csv_t *csv = parse("code,name,level\nHP,Hải Phòng,province\n"
                          "HP-HB,Hồng Bàng\n", err, sizeof err);

    (void) state;
    assert_non_null(csv);
    assert_int_equal(bc_csv_columns(csv), 3);
    assert_int_equal(bc_csv_rows(csv), 2);
    assert_int_equal(bc_csv_column(csv, "name"), 1);
    assert_int_equal(bc_csv_column(csv, "nope"), -1);
    assert_int_equal(bc_csv_column(csv, "NAME"), 1);   /* case is ignored */
    assert_string_equal(bc_csv_header(csv, 2), "level");
    assert_null(bc_csv_header(csv, 3));
    assert_string_equal(bc_csv_field(csv, 0, 1), "Hải Phòng");
    assert_string_equal(bc_csv_field(csv, 1, 0), "HP-HB");
    /* A short row reads as "" in its missing fields, and so do absent
     * columns and rows. */
    assert_string_equal(bc_csv_field(csv, 1, 2), "");
    assert_string_equal(bc_csv_field(csv, 0, -1), "");
    assert_string_equal(bc_csv_field(csv, 5, 0), "");
    assert_int_equal(bc_csv_line(csv, 0), 2);
    assert_int_equal(bc_csv_line(csv, 1), 3);
    bc_csv_destroy(&csv);
    assert_null(csv);
    bc_csv_destroy(&csv);    /* NULL is accepted */
    bc_csv_destroy(NULL);
}

static void test_quoting(void **state)
{
    char err[256] = "";
    /* Line 2: embedded comma; line 3: doubled quotes; lines 4-6: a field
     * with two embedded newlines; line 7: the row after it. */
    const char *text =
        "indicator,name\n"
        "sdd_u5,\"Trẻ dưới 5 tuổi được cân, đo\"\n"
        "q,\"He said \"\"hi\"\"\"\n"
        "multi,\"first line\n"
        "second line\n"
        "third\"\n"
        "after,plain\n";
    bc_csv_t *csv = parse(text, err, sizeof err);

    (void) state;
    assert_non_null(csv);
    assert_int_equal(bc_csv_rows(csv), 4);
    assert_string_equal(bc_csv_field(csv, 0, 1), "Trẻ dưới 5 tuổi được cân, đo");
    assert_string_equal(bc_csv_field(csv, 1, 1), "He said \"hi\"");
    assert_string_equal(bc_csv_field(csv, 2, 1),
                        "first line\nsecond line\nthird");
    assert_int_equal(bc_csv_line(csv, 0), 2);
    assert_int_equal(bc_csv_line(csv, 1), 3);
    assert_int_equal(bc_csv_line(csv, 2), 4);
    assert_int_equal(bc_csv_line(csv, 3), 7);
    assert_string_equal(bc_csv_field(csv, 3, 0), "after");
    bc_csv_destroy(&csv);
}

static void test_bom_blank_lines_trim_crlf(void **state)
{
    char err[256] = "";
    const char *text =
        "\xEF\xBB\xBF" "code , value\r\n"
        "\r\n"
        "  a  ,  1 \r\n"
        "   \r\n"
        ",,\r\n"
        "b,\" 2 \"\r\n"
        "\n\n\n";
    bc_csv_t *csv = parse(text, err, sizeof err);

    (void) state;
    assert_non_null(csv);
    /* The BOM is not part of the first column's name. */
    assert_int_equal(bc_csv_column(csv, "code"), 0);
    assert_int_equal(bc_csv_column(csv, "value"), 1);
    /* Blank, whitespace-only and all-empty rows are skipped; trailing blank
     * lines add nothing. */
    assert_int_equal(bc_csv_rows(csv), 2);
    assert_string_equal(bc_csv_field(csv, 0, 0), "a");
    assert_string_equal(bc_csv_field(csv, 0, 1), "1");
    /* Spaces inside quotes are data. */
    assert_string_equal(bc_csv_field(csv, 1, 1), " 2 ");
    assert_int_equal(bc_csv_line(csv, 0), 3);
    assert_int_equal(bc_csv_line(csv, 1), 6);
    bc_csv_destroy(&csv);
}

static void test_no_final_newline_and_empty(void **state)
{
    char err[256] = "";
    bc_csv_t *csv = parse("a,b\n1,2", err, sizeof err);

    (void) state;
    assert_non_null(csv);
    assert_int_equal(bc_csv_rows(csv), 1);
    assert_string_equal(bc_csv_field(csv, 0, 1), "2");
    bc_csv_destroy(&csv);

    csv = parse("", err, sizeof err);
    assert_non_null(csv);
    assert_int_equal(bc_csv_columns(csv), 0);
    assert_int_equal(bc_csv_rows(csv), 0);
    bc_csv_destroy(&csv);
}

static void test_unterminated_quote(void **state)
{
    char err[256] = "";
    bc_csv_t *csv = parse("code,name\nHP,Hải Phòng\nHG,\"Hậu Giang\n"
                          "HG-CT,Châu Thành\n", err, sizeof err);

    (void) state;
    assert_null(csv);
    /* The quote opened on line 3. */
    assert_non_null(strstr(err, "t.csv:3: unterminated quote"));
}

static void test_malformed_quote(void **state)
{
    char err[256] = "";
    bc_csv_t *csv = parse("code,name\nHP,ok\nHG,Hậu \"Giang\"\n", err,
                          sizeof err);

    (void) state;
    assert_null(csv);
    assert_non_null(strstr(err, "t.csv:3:"));

    csv = parse("code,name\n\"HP\"x,ok\n", err, sizeof err);
    assert_null(csv);
    assert_non_null(strstr(err, "t.csv:2:"));
}

static void test_too_many_fields(void **state)
{
    char err[256] = "";
    bc_csv_t *csv;

    (void) state;
    /* An unquoted comma in a name shifts the row: refused with its line. */
    csv = parse("code,name,level\nHP,Thành phố, Hải Phòng,province\n", err,
                sizeof err);
    assert_null(csv);
    assert_non_null(strstr(err, "t.csv:2:"));
    /* Trailing empty fields are harmless. */
    csv = parse("code,name\nHP,x,,\n", err, sizeof err);
    assert_non_null(csv);
    assert_int_equal(bc_csv_rows(csv), 1);
    bc_csv_destroy(&csv);
}

/* What bc_csv_write_field writes, bc_csv_parse reads back as it was:
 * commas, quotes and line breaks inside a field included. */
static void test_write_field_round_trip(void **state)
{
    (void) state;
    const char *fields[] = {"plain", "a,b", "say \"hi\"", "two\nlines",
                            "", "Xã Đại Bản"};
    const size_t n = sizeof fields / sizeof fields[0];
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    assert_non_null(out);
    for (size_t i = 0; i < n; i++)   /* a header row, then the same row */
        bc_csv_write_field(out, i ? fields[i] : "h0", i == n - 1);
    for (size_t i = 0; i < n; i++)
        bc_csv_write_field(out, fields[i], i == n - 1);
    assert_int_equal(fclose(out), 0);
    assert_non_null(strstr(buf, "\"say \"\"hi\"\"\""));
    char err[256];
    bc_csv_t *csv = bc_csv_parse(buf, len, "written", err, sizeof err);
    assert_non_null(csv);
    assert_int_equal(bc_csv_rows(csv), 1);
    assert_int_equal(bc_csv_columns(csv), n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(bc_csv_field(csv, 0, (int) i), fields[i]);
    bc_csv_destroy(&csv);
    free(buf);
}

static void test_load_file(void **state)
{
    char path[] = "/tmp/bc_test_csv_XXXXXX";
    char err[256] = "";
    const char *text = "a,b\n\"x\ny\",2\n";
    int fd = mkstemp(path);
    bc_csv_t *csv;

    (void) state;
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
    close(fd);
    csv = bc_csv_load(path, err, sizeof err);
    assert_non_null(csv);
    assert_string_equal(bc_csv_field(csv, 0, 0), "x\ny");
    bc_csv_destroy(&csv);
    unlink(path);

    csv = bc_csv_load("/nonexistent/bc.csv", err, sizeof err);
    assert_null(csv);
    assert_non_null(strstr(err, "/nonexistent/bc.csv"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_quoting),
        cmocka_unit_test(test_bom_blank_lines_trim_crlf),
        cmocka_unit_test(test_no_final_newline_and_empty),
        cmocka_unit_test(test_unterminated_quote),
        cmocka_unit_test(test_malformed_quote),
        cmocka_unit_test(test_too_many_fields),
        cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_write_field_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
