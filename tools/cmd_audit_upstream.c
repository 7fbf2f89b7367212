/*
 * cmd_audit_upstream.c -- `baocao audit verify-upstream`: does what a
 * national hub holds from a province match the province's own log?
 *
 * A provincial hub forwards each accepted submission with an Origin (its
 * name, its log seq, that entry's chain hash: hub/hub_upstream.h), and the
 * national hub logs the exact Request bytes, so the origin is on the
 * national record. This command checks, for every national entry that
 * came from the province:
 *
 *   - the province's log is intact (its whole chain recomputes);
 *   - the province's entry at the same seq exists and has the same chain
 *     hash: a provincial log rewritten after forwarding, even with its
 *     chain recomputed from the altered entry on, is caught here;
 *   - it holds the same submission bytes, byte for byte (or registry
 *     version, or plan: whatever body was forwarded).
 *
 * National entries the national hub rejected are not checked: they hold
 * nothing (a hub using another province's name is refused there).
 *
 * It names the first mismatch. Both stores are opened read-only, so it may
 * run beside live hubs (on copies made with `baocao backup` elsewhere).
 * The national entry's `peer` is not compared: a province's entries carry
 * the province hub's identity there, the nodes' identities at home.
 */
#include "bc_error.h"
#include "bc_wire.h"
#include "cmd.h"
#include "hub_store.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    char *store;            /* the national hub's store */
    char *province_store;   /* the provincial hub's store */
    char *province;         /* the Origin.hub to check */
} vu_cfg_t;

#define VC(f) offsetof(vu_cfg_t, f)
static const bc_option_t vu_options[] = {
    {"store", BC_OPT_STRING, VC(store), 0, 0, NULL, "NATIONAL_DIR",
     "the national hub's store directory"},
    {"province-store", BC_OPT_STRING, VC(province_store), 0, 0, NULL,
     "PROVINCE_DIR", "the provincial hub's store directory"},
    {"province", BC_OPT_STRING, VC(province), 0, 0, NULL, "NAME",
     "the name the province forwards under (default: the one its store "
     "recorded with its cursor)"},
};
#define NVU (sizeof vu_options / sizeof vu_options[0])

static const char *vu_synopsis =
    "verify-upstream --store NATIONAL_DIR --province-store PROVINCE_DIR "
    "[--province NAME]";

typedef struct {
    const char *name;          /* the province checked */
    hub_reader_t *province;    /* snapshot of the province's log */
    uint64_t checked;          /* national entries from the province */
    uint64_t first, last;      /* provincial seqs seen, lowest and highest */
    uint64_t bad_national;     /* national seq of the first mismatch, 0 */
    char problem[256];         /* what it is */
} vu_ctx_t;

/* One national entry: from this province? then does it match? */
static int check_national(void *arg, const hub_log_entry_t *e)
{
    vu_ctx_t *v = arg;
    /* A rejected entry holds nothing; a hub that claimed this province's
     * name without its key was refused there (NOT_AUTHORIZED). */
    if (e->outcome == BAOCAO__OUTCOME__OUTCOME_REJECTED)
        return 0;
    Baocao__Request *req = baocao__request__unpack(NULL, e->request_len,
                                                   e->request);
    if (!req)
        return 0;   /* bytes that never made a request: not forwarded */
    int stop = 0;
    const Baocao__Origin *o = req->origin;
    if (!o || strcmp(o->hub, v->name) != 0)
        goto out_free;
    v->checked++;
    if (!v->first || o->seq < v->first)
        v->first = o->seq;
    if (o->seq > v->last)
        v->last = o->seq;
    hub_log_entry_t pe;
    /* The body forwarded, whatever its kind (a submission, a registry
     * version, a plan: hub_upstream.c), compared byte for byte. */
    uint32_t body = (uint32_t) req->body_case;
    const uint8_t *nsub, *psub;
    size_t nlen, plen;
    int rc = hub_reader_log_entry(v->province, o->seq, &pe);
    if (rc) {
        snprintf(v->problem, sizeof v->problem, "the province's log has no "
                 "entry %llu (%s)", (unsigned long long) o->seq,
                 bc_strerror(rc));
    } else if (o->hash.len != 32 || memcmp(o->hash.data, pe.hash, 32) != 0) {
        snprintf(v->problem, sizeof v->problem, "province entry %llu has "
                 "another chain hash than the one forwarded: the province's "
                 "log was rewritten after forwarding",
                 (unsigned long long) o->seq);
    } else if (bc_wire_find_field(e->request, e->request_len, body, &nsub,
                                  &nlen) != BC_OK
               || bc_wire_find_field(pe.request, pe.request_len, body, &psub,
                                     &plen) != BC_OK
               || nlen != plen || memcmp(nsub, psub, nlen) != 0) {
        snprintf(v->problem, sizeof v->problem, "province entry %llu holds "
                 "other %s bytes than the national hub received",
                 (unsigned long long) o->seq,
                 body == BAOCAO__REQUEST__BODY_SUBMIT ? "submission"
                 : body == BAOCAO__REQUEST__BODY_REGISTRY ? "registry version"
                                                           : "request");
    } else {
        goto out_free;
    }
    v->bad_national = e->seq;
    stop = 1;
out_free:
    baocao__request__free_unpacked(req, NULL);
    return stop;
}

static int verify_upstream(const vu_cfg_t *cfg)
{
    char err[512], name[257];
    int status = EXIT_FAIL;
    hub_store_t *national = NULL, *province = NULL;
    hub_reader_t *nr = NULL, *pr = NULL;
    vu_ctx_t v = {0};

    national = hub_store_open_readonly(cfg->store, err, sizeof err);
    if (!national) {
        fprintf(stderr, "baocao audit verify-upstream: %s\n", err);
        goto out_close;
    }
    province = hub_store_open_readonly(cfg->province_store, err, sizeof err);
    if (!province) {
        fprintf(stderr, "baocao audit verify-upstream: %s\n", err);
        goto out_close;
    }
    if (cfg->province) {
        snprintf(name, sizeof name, "%s", cfg->province);
    } else {
        uint64_t cursor;
        int rc = hub_store_upstream_get(province, &cursor, name, sizeof name);
        if (rc || !*name) {
            fprintf(stderr, "baocao audit verify-upstream: %s has never "
                    "forwarded its log (no cursor): pass --province NAME\n",
                    cfg->province_store);
            status = EXIT_USAGE;
            goto out_close;
        }
    }
    v.name = name;

    /* 1. The province's own chain. */
    pr = hub_store_reader(province);
    nr = hub_store_reader(national);
    if (!pr || !nr) {
        fprintf(stderr, "baocao audit verify-upstream: cannot read the "
                "stores\n");
        goto out_close;
    }
    hub_log_check_t chk;
    if (hub_log_verify(pr, &chk) != BC_OK) {
        fprintf(stderr, "baocao audit verify-upstream: cannot read the "
                "province's log\n");
        goto out_close;
    }
    if (chk.bad_seq) {
        printf("FAILED: the province's log (%s) is not intact: %s\n",
               cfg->province_store, chk.problem);
        goto out_close;
    }

    /* 2. Every national entry that came from it. */
    v.province = pr;
    int rc = hub_reader_log(nr, 1, check_national, &v);
    if (rc) {
        fprintf(stderr, "baocao audit verify-upstream: cannot read the "
                "national log: %s\n", bc_strerror(rc));
        goto out_close;
    }
    if (v.bad_national) {
        printf("FAILED at national entry %llu: %s\n",
               (unsigned long long) v.bad_national, v.problem);
        goto out_close;
    }
    printf("OK: %llu national entries from %s match its log (provincial seq "
           "%llu..%llu of %llu, chain intact)\n",
           (unsigned long long) v.checked, name,
           (unsigned long long) v.first, (unsigned long long) v.last,
           (unsigned long long) chk.head_seq);
    status = EXIT_OK;

out_close:
    hub_reader_destroy(&nr);
    hub_reader_destroy(&pr);
    hub_store_close(&province);
    hub_store_close(&national);
    return status;
}

int cmd_audit_verify_upstream(int argc, char **argv)
{
    vu_cfg_t cfg;
    size_t npos;
    int rc = cmd_parse("audit verify-upstream", vu_synopsis, vu_options, NVU,
                       &cfg, argc, argv, NULL, 0, &npos);
    if (rc) {
        bc_config_free(vu_options, NVU, &cfg);
        return rc == 1 ? EXIT_OK : EXIT_USAGE;
    }
    if (!cfg.store || !cfg.province_store) {
        fprintf(stderr, "baocao audit verify-upstream: --store NATIONAL_DIR "
                "and --province-store PROVINCE_DIR are required\n");
        rc = EXIT_USAGE;
    } else {
        rc = verify_upstream(&cfg);
    }
    bc_config_free(vu_options, NVU, &cfg);
    return rc;
}
