/*
 * bc_enroll.c -- pending keys and the registry's key column (rules in
 * bc_enroll.h).
 */
#include "bc_enroll.h"

#include "bc_csv.h"
#include "bc_error.h"
#include "bc_fs.h"
#include "bc_keys.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool bc_enroll_fingerprint(const char *in, char out[20])
{
    char hex[17];
    size_t n = 0;
    for (; *in; in++) {
        if (*in == '-' || *in == ' ')
            continue;
        if (!isxdigit((unsigned char) *in) || n == 16)
            return false;
        hex[n++] = (char) toupper((unsigned char) *in);
    }
    if (n != 16)
        return false;
    snprintf(out, 20, "%.4s-%.4s-%.4s-%.4s", hex, hex + 4, hex + 8,
             hex + 12);
    return true;
}

static void csv_out(FILE *f, const char *s, bool last)
{
    if (strpbrk(s, ",\"\n\r")) {
        fputc('"', f);
        for (; *s; s++) {
            if (*s == '"')
                fputc('"', f);
            fputc(*s, f);
        }
        fputc('"', f);
    } else {
        fputs(s, f);
    }
    fputc(last ? '\n' : ',', f);
}

int bc_enroll_write_key(const char *path, const char *unit, const char *key,
                        char *err, size_t errlen)
{
    bc_csv_t *csv = bc_csv_load(path, err, errlen);
    if (!csv)
        return BC_EPARSE;
    int rc = BC_ENOTFOUND;
    int cc = bc_csv_column(csv, "code"), ck = bc_csv_column(csv, "key");
    size_t ncols = bc_csv_columns(csv), rows = bc_csv_rows(csv), row = 0;
    for (; cc >= 0 && row < rows; row++)
        if (!strcmp(bc_csv_field(csv, row, cc), unit))
            break;
    if (cc < 0 || row == rows) {
        bc_set_error(err, errlen, "%s: no unit %s", path, unit);
        goto out_csv;
    }
    for (size_t r = 0; ck >= 0 && r < rows; r++)
        if (r != row && !strcmp(bc_csv_field(csv, r, ck), key)) {
            bc_set_error(err, errlen, "%s: unit %s already has this key",
                         path, bc_csv_field(csv, r, cc));
            rc = BC_EEXIST;
            goto out_csv;
        }
    /* The whole file in memory, then replaced in one step: a crash leaves
     * the old registry or the new one, never half of one. */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    rc = BC_EIO;
    if (!f) {
        bc_set_error(err, errlen, "out of memory");
        goto out_csv;
    }
    size_t out_cols = ck >= 0 ? ncols : ncols + 1;
    for (size_t c = 0; c < out_cols; c++)
        csv_out(f, c < ncols ? bc_csv_header(csv, c) : "key",
                c == out_cols - 1);
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < out_cols; c++) {
            bool is_key = (int) c == ck || c == ncols;
            const char *v = r == row && is_key ? key
                          : c < ncols ? bc_csv_field(csv, r, (int) c) : "";
            csv_out(f, v, c == out_cols - 1);
        }
    if (fclose(f)) {
        bc_set_error(err, errlen, "out of memory");
        free(buf);
        goto out_csv;
    }
    struct stat st;     /* the registry keeps its permissions */
    mode_t mode = stat(path, &st) == 0 ? st.st_mode & 07777 : 0644;
    rc = bc_file_replace(path, buf, len, mode, err, errlen);
    free(buf);
out_csv:
    bc_csv_destroy(&csv);
    return rc;
}


int bc_enroll_each(const char *pending, bc_enroll_fn fn, void *arg,
                   char *err, size_t errlen)
{
    FILE *f = fopen(pending, "r");
    if (!f) {
        bc_set_error(err, errlen, "%s: %s", pending, strerror(errno));
        return BC_EIO;
    }
    char line[256];
    while (fgets(line, sizeof line, f)) {
        /* key,first_seen,address */
        if (strlen(line) <= 40 || line[40] != ',')
            continue;
        line[40] = 0;
        line[strcspn(line + 41, "\r\n") + 41] = 0;
        char *comma = strchr(line + 41, ',');
        const char *address = comma ? comma + 1 : "";
        if (comma)
            *comma = 0;
        char fp[20];
        bc_keys_fingerprint(line, fp);
        fn(arg, line, fp, strtoll(line + 41, NULL, 10), address);
    }
    fclose(f);
    return BC_OK;
}

typedef struct {
    const char *want;     /* fingerprint sought */
    char *key;            /* the match */
    int matches;          /* distinct keys matching */
} find_t;

static void find_one(void *arg, const char *key, const char *fp,
                     int64_t first_seen, const char *address)
{
    find_t *f = arg;
    (void) first_seen;
    (void) address;
    if (!strcmp(fp, f->want) && strcmp(key, f->key)) {
        f->matches++;
        memcpy(f->key, key, 41);
    }
}

int bc_enroll_find(const char *pending, const char *fp, char key[41],
                   char *err, size_t errlen)
{
    char want[20];
    if (!bc_enroll_fingerprint(fp, want)) {
        bc_set_error(err, errlen, "a fingerprint is 16 hex digits, e.g. "
                     "3F2A-91BC-07DE-55A1");
        return BC_EINVAL;
    }
    key[0] = 0;
    find_t f = {want, key, 0};
    int rc = bc_enroll_each(pending, find_one, &f, err, errlen);
    if (rc)
        return rc;
    if (f.matches == 1)
        return BC_OK;
    bc_set_error(err, errlen, "%s: %s key with fingerprint %s; has the "
                 "node tried to connect?", pending,
                 f.matches ? "more than one" : "no", want);
    return f.matches ? BC_EEXIST : BC_ENOTFOUND;
}

bool bc_enroll_key_known(const char *path, const char *key)
{
    char err[256];
    bc_csv_t *csv = bc_csv_load(path, err, sizeof err);
    if (!csv)
        return false;
    bool known = false;
    int ck = bc_csv_column(csv, "key");
    for (size_t r = 0; ck >= 0 && r < bc_csv_rows(csv) && !known; r++)
        known = !strcmp(bc_csv_field(csv, r, ck), key);
    bc_csv_destroy(&csv);
    return known;
}
