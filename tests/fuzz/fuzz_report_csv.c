/*
 * fuzz_report_csv.c -- libFuzzer target: arbitrary bytes as a report file
 * (`baocao submit --file`): the CSV layer and the report rules on top.
 *
 * What must hold: no crash, no sanitizer report, no leak; a parsed report
 * has only non-empty indicator codes, each once.
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
