/*
 * test_bench_data.c -- every synthetic report the benchmarks send passes
 * the hub's validation, whatever its month.
 *
 * Why a test for a benchmark's data: bench_ingest counts only accepted
 * reports, so a refused one used to hold its node's window slot for ever.
 * The reports once carried a fixed filed_at (2023-11-14), which the
 * filed_at window (BAD_FILED_AT: not before the period began) refuses from
 * 2023-12 on: the 240,000-report run stalled at report 110,000, silently.
 * This checks the first and last facility of each of bench_ingest's 24
 * months (from 2023), of bench_audit's 100 (from 2015) and of
 * bench_ingest --reports 1000000 (100 months to 2024-12) against the
 * bench's own registry and a real store (for the ids), the way the hub
 * validates them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bc_limits.h"
#include "bc_mem.h"
#include "bc_registry.h"
#include "bc_test.h"
#include "bench_encode.h"
#include "hub_validate.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

/* Every month of the first and last facility: of a province starting in
 * January of first_year (lay NULL), or of a run laid out by bench_layout
 * (bench_ingest beyond 240,000 reports). */
static void check_months_of(const bc_registry_t *reg, unsigned first_year,
                            unsigned months, const bench_layout_t *lay)
{
    hub_limits_t lim = {BC_MAX_VALUES_DEFAULT, (int64_t) time(NULL), NULL};
    for (unsigned m = 0; m < months; m++) {
        const unsigned facs[] = {0, BENCH_FACILITIES - 1};
        for (size_t f = 0; f < 2; f++) {
            long long r = (long long) m * BENCH_FACILITIES + facs[f];
            size_t len = 0;
            uint8_t *raw = lay ? bench_encode_layout(r, BENCH_INDICATORS, lay,
                                                     0, &len)
                               : bench_encode(r, BENCH_INDICATORS, first_year,
                                              &len);
            assert_non_null(raw);
            Baocao__Request *req = baocao__request__unpack(NULL, len, raw);
            assert_non_null(req);
            assert_int_equal(req->body_case, BAOCAO__REQUEST__BODY_SUBMIT);
            hub_item_t it;
            memset(&it, 0, sizeof it);
            Baocao__RejectReason why =
                hub_validate(reg, req->submit, "", &lim, &it);
            if (why != BAOCAO__REJECT_REASON__REASON_NONE)
                fail_msg("report %lld (%s %s) refused: %s", r,
                         req->submit->unit, req->submit->period, it.message);
            /* On time: filed after its month closed. */
            assert_true(req->submit->filed_at >= bc_period_end(it.period));
            free(it.vals);
            baocao__request__free_unpacked(req, NULL);
            free(raw);
        }
    }
}

static void check_months(const bc_registry_t *reg, unsigned first_year,
                         unsigned months)
{
    check_months_of(reg, first_year, months, NULL);
}

static void test_every_month_valid(void **state)
{
    (void) state;
    char *dir = bc_tmpdir("bench_data");
    char err[512] = "";
    bench_write_registry(dir, BENCH_INDICATORS);
    char units[600], cat[600];
    snprintf(units, sizeof units, "%s", bc_path(dir, "units.csv"));
    snprintf(cat, sizeof cat, "%s", bc_path(dir, "indicators.csv"));
    bc_registry_t *reg = bc_registry_load(units, cat, err, sizeof err);
    if (!reg)
        fail_msg("%s", err);
    /* The store gives units and indicators their ids (sid), as at the
     * hub's start; validation sorts figures by them. */
    char store[600];
    snprintf(store, sizeof store, "%s", bc_path(dir, "store"));
    assert_int_equal(mkdir(store, 0700), 0);
    hub_store_t *st = hub_store_open(store, 64u << 20, reg, err, sizeof err);
    if (!st)
        fail_msg("%s", err);
    check_months(reg, 2023, BENCH_MONTHS);   /* bench_ingest */
    check_months(reg, 2015, 100);            /* bench_audit: 1,000,000 */
    /* bench_ingest --reports 1000000: 2016-09..2024-12, the queries'
     * 2023-01 at month 84 (issue 21, goal 6). */
    bench_layout_t lay = bench_layout(1000000);
    assert_int_equal(lay.months, 100);
    assert_int_equal(lay.first_year, 2016);
    assert_int_equal(lay.skip + lay.months - 1, lay.qoff + 23);
    assert_int_equal(lay.qmonths, BENCH_MONTHS);
    check_months_of(reg, lay.first_year, lay.months, &lay);
    lay = bench_layout(240000);   /* the province as it was */
    assert_true(lay.first_year == 2023 && lay.skip == 0 && lay.qoff == 0
                && lay.months == 24);
    hub_store_close(&st);
    bc_registry_destroy(&reg);
    bc_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_month_valid),
    };
    return cmocka_run_group_tests_name("unit.bench_data", tests, NULL, NULL);
}
