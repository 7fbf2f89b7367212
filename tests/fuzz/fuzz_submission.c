/*
 * fuzz_submission.c -- libFuzzer target: arbitrary bytes as a Request, the
 * way the hub reads them off the socket, then the hub's validation of any
 * submission inside, against the shipped registry and catalogue.
 *
 * What must hold: no crash, no sanitizer report, no leak, and a verdict for
 * every input (valid, or a typed reason with a message). The limits of
 * issue #18 too: a valid submission has every count in 0..10^12 and its
 * filed_at in the window; a request whose text passed the hub's check
 * gets a message that is clean text itself. The corpus holds counts at
 * and past the maximum (INT64_MAX, 10^12 + 1) for the fuzzer to mutate.
 * The wire scanner a provincial hub uses to forward its log
 * (bc_wire_find_field) reads the same bytes: it must never read past them,
 * and the submission it cuts out of a Request that decodes to one must
 * decode on its own.
 */
#include "bc_error.h"
#include "bc_limits.h"
#include "bc_period.h"
#include "bc_registry.h"
#include "bc_wire.h"
#include "hub_validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bc_registry_t *reg;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void) argc;
    (void) argv;
    const char *src = getenv("BC_SOURCE_DIR");
    char units[4096], cat[4096], err[512];
    snprintf(units, sizeof units, "%s/data/units.csv", src ? src : ".");
    snprintf(cat, sizeof cat, "%s/data/indicators.csv", src ? src : ".");
    reg = bc_registry_load(units, cat, err, sizeof err);
    if (!reg) {
        fprintf(stderr, "fuzz_submission: %s (set BC_SOURCE_DIR)\n", err);
        abort();
    }
    /* Store ids are normally assigned by the store; any distinct ones do. */
    for (size_t i = 0; i < bc_registry_nindicators(reg); i++)
        bc_registry_indicator(reg, (uint32_t) i)->sid = (uint32_t) i + 1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *sub = NULL;
    size_t sub_len = 0;
    int scanned = bc_wire_find_field(data, size, 10, &sub, &sub_len);
    if (scanned == BC_OK && (sub < data || sub + sub_len > data + size))
        abort();   /* the field lies inside the input */
    Baocao__Request *req = baocao__request__unpack(NULL, size, data);
    if (!req)
        return 0;
    if (scanned == BC_OK && req->body_case == BAOCAO__REQUEST__BODY_SUBMIT) {
        Baocao__Submission *alone = baocao__submission__unpack(NULL, sub_len,
                                                               sub);
        if (!alone)
            abort();   /* what the forwarder sends is what was accepted */
        baocao__submission__free_unpacked(alone, NULL);
    }
    char terr[160];
    bool text_ok = bc_wire_check_text(&req->base, terr, sizeof terr) == 0;
    if (!text_ok && (!terr[0] || !bc_text_valid(terr, strlen(terr))))
        abort();   /* the refusal names the field in clean text */
    if (text_ok && req->body_case == BAOCAO__REQUEST__BODY_SUBMIT) {
        static const char *peers[] = {"", "unit:HP-HB", "unit:HP-HB-QT",
                                      "operator:alice"};
        hub_limits_t lim = {.max_values = 1000, .now = 1735689600};
        hub_item_t item;
        memset(&item, 0, sizeof item);
        Baocao__RejectReason r = hub_validate(reg, req->submit,
                                              peers[size % 4], &lim, &item);
        if (r != BAOCAO__REJECT_REASON__REASON_NONE && !item.message[0])
            abort();   /* every rejection must say why */
        if (!bc_text_valid(item.message, strlen(item.message)))
            abort();   /* a reply never carries invalid bytes */
        if (r == BAOCAO__REJECT_REASON__REASON_NONE) {
            for (size_t i = 1; i < item.nvals; i++)
                if (item.vals[i - 1].sid >= item.vals[i].sid)
                    abort();   /* valid figures are sorted and unique */
            for (size_t i = 0; i < item.nvals; i++)
                if (item.vals[i].value < 0 || item.vals[i].value > BC_COUNT_MAX)
                    abort();   /* no count past the maximum gets in */
            if (item.filed_at < bc_period_start(item.period)
                || item.filed_at > lim.now + BC_FILED_AHEAD_MAX)
                abort();   /* nor a filing time outside the window */
        }
        free(item.vals);
    }
    baocao__request__free_unpacked(req, NULL);
    return 0;
}
