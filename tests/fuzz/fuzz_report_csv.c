/*
 * fuzz_report_csv.c -- libFuzzer target: arbitrary bytes as a report file
 * (`baocao submit --file`): the CSV layer and the report rules on top.
 *
 * What must hold: no crash, no sanitizer report, no leak; a parsed report
 * has only non-empty indicator codes, each once, and no control byte in
 * any code (a NUL once cut "5\0junk" to 5). The corpus holds files with
 * NUL, ESC and DEL bytes for the fuzzer to mutate.
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
        bc_report_destroy(&report);
    } else if (!err[0]) {
        abort();   /* a refusal must say why */
    }
    return 0;
}
