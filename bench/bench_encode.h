/*
 * bench_encode.h -- the synthetic reports of bench_data.h as the wire
 * carries them, shared by the hub benchmarks (the PostgreSQL peer, which
 * has no protobuf, only needs bench_data.h).
 */
#ifndef BENCH_ENCODE_H
#define BENCH_ENCODE_H

#include "baocao.pb-c.h"
#include "bc_period.h"
#include "bc_wire.h"
#include "bench_data.h"

#include <stdbool.h>
#include <string.h>

/* The options of combination k (0..7) of a broken-down indicator
 * (bench_write_breakdowns: sex x age). */
static const char *const BENCH_SEX[2] = {"nam", "nu"};
static const char *const BENCH_AGE[4] = {"0-4", "5-14", "15-49", "50+"};

/* Encodes report r as a Request (tag r + 1) with `figures` values:
 * facility r % 10,000 for month r / 10,000 counted from January of
 * first_year. Every `every`-th indicator (ind000, ind005, ... for 5; 0:
 * none) is sent as its 8 combinations of sex x age instead of its total,
 * parts of bench_value that sum to it (the hub derives the total). Its id
 * is deterministic and time-ordered like baocao-node's (see bc_id_new):
 * the same in every run, sorting in filing order. It is filed two days
 * after its month closed, on time, as a facility would: the hub refuses a
 * filed_at before the period began (BAD_FILED_AT), and a fixed time once
 * made every report after it refused, which stalled the bench at report
 * 110,000 (tests/unit/test_bench_data.c). Returns a bc_malloc'ed buffer
 * and its length. */
static inline uint8_t *bench_encode_unit(long long r, const char *unit,
                                         unsigned fac, unsigned month,
                                         unsigned figures,
                                         unsigned first_year, unsigned every,
                                         size_t *len);

static inline uint8_t *bench_encode_breakdowns(long long r, unsigned figures,
                                               unsigned first_year,
                                               unsigned every, size_t *len)
{
    char unit[32];
    unsigned fac = (unsigned) (r % BENCH_FACILITIES);
    bench_facility_code(fac, unit, sizeof unit);
    return bench_encode_unit(r, unit, fac, (unsigned) (r / BENCH_FACILITIES),
                             figures, first_year, every, len);
}

/* The same for any unit (bench_map's successors of merged facilities):
 * report r (its tag and id) of `unit` for month `month` counted from
 * January of first_year, with the values bench_value(fac, month, i). */
static inline uint8_t *bench_encode_unit(long long r, const char *unit,
                                         unsigned fac, unsigned month,
                                         unsigned figures,
                                         unsigned first_year, unsigned every,
                                         size_t *len)
{
    enum { MAXV = BENCH_INDICATORS * 8 };
    char period[16], codes[BENCH_INDICATORS][16];
    static Baocao__Value vals[MAXV];
    static Baocao__Value *ptrs[MAXV];
    static Baocao__Option opts[MAXV][2];
    static Baocao__Option *optp[MAXV][2];
    uint8_t id[16];
    size_t nv = 0;
    if (figures > BENCH_INDICATORS)
        figures = BENCH_INDICATORS;
    snprintf(period, sizeof period, "%04u-%02u", first_year + month / 12,
             month % 12 + 1);
    for (unsigned i = 0; i < figures; i++) {
        int64_t v = bench_value(fac, month, i);
        bool split = every && i % every == 0;
        snprintf(codes[i], sizeof codes[i], "ind%03u", i);
        for (unsigned k = 0; k < (split ? 8u : 1u); k++, nv++) {
            baocao__value__init(&vals[nv]);
            vals[nv].indicator = codes[i];
            vals[nv].v_case = BAOCAO__VALUE__V_COUNT;
            vals[nv].count = split ? (k ? v / 8 : v - 7 * (v / 8)) : v;
            if (split) {
                baocao__option__init(&opts[nv][0]);
                baocao__option__init(&opts[nv][1]);
                opts[nv][0].category = "sex";
                opts[nv][0].option = (char *) BENCH_SEX[k / 4];
                opts[nv][1].category = "age";
                opts[nv][1].option = (char *) BENCH_AGE[k % 4];
                optp[nv][0] = &opts[nv][0];
                optp[nv][1] = &opts[nv][1];
                vals[nv].n_options = 2;
                vals[nv].options = optp[nv];
            }
            ptrs[nv] = &vals[nv];
        }
    }
    memset(id, 0, sizeof id);
    for (int i = 7; i >= 0; i--)
        id[7 - i] = (uint8_t) ((uint64_t) r >> (8 * i));
    id[15] = 0xbc;
    Baocao__Submission sub = BAOCAO__SUBMISSION__INIT;
    sub.id.data = id;
    sub.id.len = 16;
    sub.unit = (char *) unit;
    sub.period = period;
    sub.revision = 1;
    bc_period_t p;
    if (bc_period_parse(period, &p) != 0)
        return NULL;
    sub.filed_at = bc_period_end(p) + 2 * 86400;
    sub.n_values = nv;
    sub.values = ptrs;
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    req.version = BC_WIRE_VERSION;
    req.tag = (uint64_t) r + 1;
    req.body_case = BAOCAO__REQUEST__BODY_SUBMIT;
    req.submit = &sub;
    return bc_wire_pack(&req.base, len);
}

/* Report r of a run laid out by bench_layout (bench_data.h): facility
 * r % 10,000 for month l->skip + r / 10,000 counted from January of
 * l->first_year, its values bench_value(facility, that month, i). */
static inline uint8_t *bench_encode_layout(long long r, unsigned figures,
                                           const bench_layout_t *l,
                                           unsigned every, size_t *len)
{
    char unit[32];
    unsigned fac = (unsigned) (r % BENCH_FACILITIES);
    bench_facility_code(fac, unit, sizeof unit);
    return bench_encode_unit(r, unit, fac,
                             l->skip + (unsigned) (r / BENCH_FACILITIES),
                             figures, l->first_year, every, len);
}

static inline uint8_t *bench_encode(long long r, unsigned figures,
                                    unsigned first_year, size_t *len)
{
    return bench_encode_breakdowns(r, figures, first_year, 0, len);
}

#endif
