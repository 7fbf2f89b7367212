/*
 * fuzz_report_csv.c -- libFuzzer target: arbitrary bytes as a report file
 * (`baocao submit --file`): the CSV layer and the report rules on top.
 *
 * What must hold: no crash, no sanitizer report, no leak; a parsed report
 * has only non-empty indicator codes, each once, and no control byte in
 * any code (a NUL once cut "5\0junk" to 5); a breakdown's combinations
 * (issue 17) go to the wire as indicator and options that make their
 * code again. The corpus holds files with NUL, ESC and DEL bytes and
 * breakdowns for the fuzzer to mutate.
 */
#include "bc_report.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    bc_report_t *report = NULL;
    if (bc_report_parse((const char *) data, size, "fuzz", &report, err,
                        sizeof err) == 0) {
        for (size_t i = 0; i < report->nvalues; i++) {
            if (!report->values[i].indicator[0])
                abort();
            for (const char *p = report->values[i].indicator; *p; p++)
                if (((unsigned char) *p < 0x20 && *p != '\t' && *p != '\r'
                     && *p != '\n') || *p == 0x7f)
                    abort();
            for (size_t j = 0; j < i; j++)
                if (!strcmp(report->values[i].indicator,
                            report->values[j].indicator))
                    abort();
        }
        /* Issue 17: every combination reaches the wire as its indicator
         * and options, and those give its code back. */
        size_t n = report->nvalues ? report->nvalues : 1;
        Baocao__Value *vals = calloc(n, sizeof *vals);
        Baocao__Value **ptrs = calloc(n, sizeof *ptrs);
        void *wire = bc_report_to_wire(report, vals, ptrs);
        for (size_t i = 0; i < report->nvalues; i++) {
            const char *cats[BC_REPORT_MAX_CATEGORIES];
            const char *opts[BC_REPORT_MAX_CATEGORIES];
            if (!vals[i].indicator[0]
                || vals[i].n_options > BC_REPORT_MAX_CATEGORIES)
                abort();
            for (size_t k = 0; k < vals[i].n_options; k++) {
                cats[k] = vals[i].options[k]->category;
                opts[k] = vals[i].options[k]->option;
                if (!cats[k][0] || !opts[k][0])
                    abort();
            }
            char *code = bc_report_combination(vals[i].indicator,
                                               vals[i].n_options, cats, opts);
            if (strcmp(code, report->values[i].indicator))
                abort();
            free(code);
        }
        bc_report_wire_free(wire);
        free(vals);
        free(ptrs);
        bc_report_destroy(&report);
    } else if (!err[0]) {
        abort();   /* a refusal must say why */
    }
    return 0;
}
