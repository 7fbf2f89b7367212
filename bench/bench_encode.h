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

#include <string.h>

/* Encodes report r as a Request (tag r + 1) with `figures` values:
 * facility r % 10,000 for month r / 10,000 counted from January of
 * first_year. Its id is deterministic and time-ordered like baocao-node's
 * (see bc_id_new): the same in every run, sorting in filing order. It is
 * filed two days after its month closed, on time, as a facility would: the
 * hub refuses a filed_at before the period began (BAD_FILED_AT), and a
 * fixed time once made every report after it refused, which stalled the
 * bench at report 110,000 (tests/unit/test_bench_data.c). Returns a
 * bc_malloc'ed buffer and its length. */
static inline uint8_t *bench_encode(long long r, unsigned figures,
                                    unsigned first_year, size_t *len)
{
    unsigned fac = (unsigned) (r % BENCH_FACILITIES);
    unsigned month = (unsigned) (r / BENCH_FACILITIES);
    char unit[32], period[16], codes[BENCH_INDICATORS][16];
    Baocao__Value vals[BENCH_INDICATORS];
    Baocao__Value *ptrs[BENCH_INDICATORS];
    uint8_t id[16];
    if (figures > BENCH_INDICATORS)
        figures = BENCH_INDICATORS;
    bench_facility_code(fac, unit, sizeof unit);
    snprintf(period, sizeof period, "%04u-%02u", first_year + month / 12,
             month % 12 + 1);
    for (unsigned i = 0; i < figures; i++) {
        baocao__value__init(&vals[i]);
        snprintf(codes[i], sizeof codes[i], "ind%03u", i);
        vals[i].indicator = codes[i];
        vals[i].v_case = BAOCAO__VALUE__V_COUNT;
        vals[i].count = bench_value(fac, month, i);
        ptrs[i] = &vals[i];
    }
    memset(id, 0, sizeof id);
    for (int i = 7; i >= 0; i--)
        id[7 - i] = (uint8_t) ((uint64_t) r >> (8 * i));
    id[15] = 0xbc;
    Baocao__Submission sub = BAOCAO__SUBMISSION__INIT;
    sub.id.data = id;
    sub.id.len = 16;
    sub.unit = unit;
    sub.period = period;
    sub.revision = 1;
    bc_period_t p;
    if (bc_period_parse(period, &p) != 0)
        return NULL;
    sub.filed_at = bc_period_end(p) + 2 * 86400;
    sub.n_values = figures;
    sub.values = ptrs;
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    req.version = BC_WIRE_VERSION;
    req.tag = (uint64_t) r + 1;
    req.body_case = BAOCAO__REQUEST__BODY_SUBMIT;
    req.submit = &sub;
    return bc_wire_pack(&req.base, len);
}

#endif
