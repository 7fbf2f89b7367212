/*
 * cmd_audit_replay.c -- `baocao audit replay`: rebuilds a store from an
 * export alone (--into), or resends its submissions to another hub (--to).
 *
 * --to exits 1 when the other hub rejected any submission, or could not
 * store it, with a last line counting the rejections by reason: the rule
 * every program follows (README, "Exit codes").
 */
#include "bc_error.h"
#include "bc_keys.h"
#include "bc_mem.h"
#include "bc_registry.h"
#include "bc_wire.h"
#include "cmd_audit.h"
#include "hub_store.h"
#include "hub_federate.h"
#include "hub_history.h"
#include "hub_validate.h"

#include <czmq.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* --- replay -------------------------------------------------------------- */

static uint32_t outcome_of(Baocao__AckStatus s)
{
    switch (s) {
    case BAOCAO__ACK_STATUS__ACK_STORED:     return BAOCAO__OUTCOME__OUTCOME_STORED;
    case BAOCAO__ACK_STATUS__ACK_DUPLICATE:  return BAOCAO__OUTCOME__OUTCOME_DUPLICATE;
    case BAOCAO__ACK_STATUS__ACK_SUPERSEDED: return BAOCAO__OUTCOME__OUTCOME_SUPERSEDED;
    default:                                 return BAOCAO__OUTCOME__OUTCOME_REJECTED;
    }
}

/* The registry version a log entry carries, or NULL (caller frees the
 * Request through *req). */
static const Baocao__RegistryVersion *version_of(const Baocao__LogEntry *le,
                                                 Baocao__Request **req)
{
    *req = le ? baocao__request__unpack(NULL, le->request.len,
                                        le->request.data) : NULL;
    if (*req && (*req)->body_case == BAOCAO__REQUEST__BODY_REGISTRY &&
        le->peer && strcmp(le->peer, "hub") == 0)
        return (*req)->registry;
    return NULL;
}

/* A registry from a logged version; NULL with a message. */
static bc_registry_t *registry_of(const Baocao__LogEntry *le,
                                  const Baocao__RegistryVersion *rv,
                                  char *err, size_t errlen)
{
    char name[64];
    snprintf(name, sizeof name, "the registry logged at seq %llu",
             (unsigned long long) le->seq);
    return bc_registry_parse_full((const char *) rv->units.data,
                                  rv->units.len,
                                  (const char *) rv->catalog.data,
                                  rv->catalog.len,
                                  rv->categories.len
                                      ? (const char *) rv->categories.data
                                      : NULL,
                                  rv->categories.len, name, err, errlen);
}

/* What a replay found against the log. */
typedef struct {
    uint64_t diverged;             /* entries decided differently */
    uint64_t first;                /* the first of them, seq */
    char what[200];                /* how it differs */
} divergence_t;

static void diverge(divergence_t *d, uint64_t seq, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void diverge(divergence_t *d, uint64_t seq, const char *fmt, ...)
{
    va_list ap;
    if (d->diverged++ == 0) {
        d->first = seq;
        va_start(ap, fmt);
        vsnprintf(d->what, sizeof d->what, fmt, ap);
        va_end(ap);
    }
}

/* Replays one logged registry version: the store is reopened on it
 * (checked and rebuilt as the hub did on reload) and the same entry is
 * logged again, so the chain comes out the same. BC_OK, or an error with
 * a message in err (the replay stops). */
static int replay_version(audit_cfg_t *cfg, hub_store_t **store,
                          bc_registry_t **reg, const Baocao__LogEntry *le,
                          const Baocao__RegistryVersion *rv, divergence_t *d,
                          char *err, size_t errlen)
{
    uint8_t digest[32];
    uint64_t seq = 0;
    bc_registry_t *next = registry_of(le, rv, err, errlen);
    if (!next)
        return BC_EINVAL;
    bc_registry_digest(next, digest);
    if (rv->digest.len != 32 || memcmp(rv->digest.data, digest, 32) != 0)
        diverge(d, le->seq, "the registry logged there has another digest "
                "than its files give");
    hub_store_close(store);
    *store = hub_store_open(cfg->into, (size_t) cfg->map_size, next, err,
                            errlen);
    if (!*store) {
        bc_registry_destroy(&next);
        return BC_ESTORE;
    }
    bc_registry_destroy(reg);
    *reg = next;
    int rc = hub_history_log_version(*store, le->request.data,
                                     le->request.len, digest,
                                     le->received_at, &seq);
    if (rc) {
        snprintf(err, errlen, "cannot log the registry version: %s",
                 bc_strerror(rc));
        return rc;
    }
    if (seq != le->seq)
        diverge(d, le->seq, "the registry version was %s", seq
                ? "logged at another position" : "not logged (the same as "
                "the one before)");
    return BC_OK;
}

/* Rebuilds a store: every logged request goes through the same validation
 * and ingest as on the live hub, with its logged peer and receipt time, in
 * log order. The outcomes, and so the new log's chain, come out the same.
 * The registry is the one the log carries (issue 12: the hub logs each
 * version it loads), so an export alone rebuilds the store; --registry and
 * --catalog serve only for entries before the first logged version (an
 * export from an older hub). */
static int replay_into(audit_cfg_t *cfg, FILE *f, uint64_t total)
{
    char err[1024];
    int status = EXIT_FAIL;
    divergence_t d = {0, 0, ""};
    Baocao__LogEntry *ahead = NULL;
    Baocao__Request *req0 = NULL;
    bc_registry_t *reg = NULL;
    bool truncated = false;

    /* The first entry, read ahead: a logged registry version says which
     * registry the rest was decided under. */
    uint8_t *buf0;
    size_t len0;
    int got0 = audit_read_delimited(f, &buf0, &len0);
    if (got0 > 0) {
        ahead = baocao__log_entry__unpack(NULL, len0, buf0);
        free(buf0);
        if (!ahead) {
            fprintf(stderr, "baocao audit replay: unreadable first entry; "
                    "run audit verify\n");
            got0 = 0;
        }
    } else if (got0 < 0) {
        truncated = true;
    }
    const Baocao__RegistryVersion *rv0 = version_of(ahead, &req0);
    reg = rv0 ? registry_of(ahead, rv0, err, sizeof err)
              : bc_registry_load(cfg->registry, cfg->catalog, err,
                                 sizeof err);
    if (req0)
        baocao__request__free_unpacked(req0, NULL);
    if (!reg) {
        fprintf(stderr, "baocao audit replay: %s\n", err);
        if (ahead)
            baocao__log_entry__free_unpacked(ahead, NULL);
        return EXIT_USAGE;
    }
    hub_store_t *store = hub_store_open(cfg->into, (size_t) cfg->map_size,
                                        reg, err, sizeof err);
    if (!store) {
        fprintf(stderr, "baocao audit replay: %s\n", err);
        bc_registry_destroy(&reg);
        if (ahead)
            baocao__log_entry__free_unpacked(ahead, NULL);
        return EXIT_FAIL;
    }
    if (hub_store_last_seq(store) != 0) {
        fprintf(stderr, "baocao audit replay: %s is not empty; replay into "
                "a new directory\n", cfg->into);
        if (ahead)
            baocao__log_entry__free_unpacked(ahead, NULL);
        goto out_close;
    }
    enum { BATCH = 4096 };
    hub_item_t *items = bc_calloc(BATCH, sizeof *items);
    Baocao__LogEntry **entries = bc_calloc(BATCH, sizeof *entries);
    Baocao__Request **reqs = bc_calloc(BATCH, sizeof *reqs);
    uint64_t done = 0;
    bool eof = got0 <= 0;
    Baocao__LogEntry *version = NULL;   /* a registry version to apply */
    while (!eof || version) {
        size_t n = 0;
        while (n < BATCH && !eof && !version) {
            Baocao__LogEntry *le = ahead;
            ahead = NULL;
            if (!le && !truncated) {
                uint8_t *buf;
                size_t len;
                int got = audit_read_delimited(f, &buf, &len);
                if (got <= 0) {
                    eof = true;
                    if (got < 0)
                        fprintf(stderr, "baocao audit replay: truncated "
                                "entry after %llu; stopping there\n",
                                (unsigned long long) done);
                    break;
                }
                le = baocao__log_entry__unpack(NULL, len, buf);
                free(buf);
                if (!le) {
                    fprintf(stderr, "baocao audit replay: unreadable entry "
                            "after %llu; run audit verify\n",
                            (unsigned long long) done);
                    eof = true;
                    break;
                }
            } else if (!le) {
                eof = true;
                break;
            }
            Baocao__Request *rq;
            if (version_of(le, &rq)) {
                /* Decide what came before under the registry of then. */
                baocao__request__free_unpacked(rq, NULL);
                version = le;
                break;
            }
            hub_item_t *it = &items[n];
            memset(it, 0, sizeof *it);
            entries[n] = le;
            it->raw = le->request.data;
            it->raw_len = le->request.len;
            /* The logged identity, whole: it lives as long as le. */
            it->peer = le->peer;
            it->received_at = le->received_at;
            reqs[n] = rq;
            const bc_unit_t *au;
            bc_period_t ap;
            if (reqs[n] && reqs[n]->body_case == BAOCAO__REQUEST__BODY_REGISTRY
                && reqs[n]->origin
                && le->outcome == BAOCAO__OUTCOME__OUTCOME_STORED) {
                /* A province's version the national hub took: its effect
                 * is the composed version logged next (hub_federate.h). */
                it->record = true;
            } else if (rq && rq->body_case == BAOCAO__REQUEST__BODY_APPROVAL
                && rq->version == BC_WIRE_VERSION
                && hub_approval_prepare(reg, rq->approval, &au, &ap,
                                        it->message, sizeof it->message)
                       == BAOCAO__REJECT_REASON__REASON_NONE) {
                /* An approve or unapprove (issue #11): decided again in
                 * order, so the same locks come out. Who could approve
                 * was checked when it was logged (only authorised ones
                 * are). */
                it->approval = rq->approval;
                it->unit = au;
                it->period = ap;
            } else if (reqs[n] && reqs[n]->body_case == BAOCAO__REQUEST__BODY_PLAN
                       && reqs[n]->version == BC_WIRE_VERSION
                       && le->outcome != BAOCAO__OUTCOME__OUTCOME_REJECTED) {
                /* A plan (issue 14: plans are log entries). Who set it was
                 * judged by the hub's scopes, which the log does not
                 * carry: a plan it refused stays refused (below). */
                hub_plan_validate(reg, reqs[n]->plan, it);
            } else if (!reqs[n]
                       || reqs[n]->body_case != BAOCAO__REQUEST__BODY_SUBMIT
                       || reqs[n]->version != BC_WIRE_VERSION) {
                it->reject = (Baocao__RejectReason) le->reason;
                if (it->reject == BAOCAO__REJECT_REASON__REASON_NONE)
                    it->reject = BAOCAO__REJECT_REASON__REASON_MALFORMED;
            } else {
                hub_limits_t lim = {100000, le->received_at / 1000000, NULL};
                hub_validate(reg, reqs[n]->submit, le->peer, &lim, it);
                /* The hub's rules file is not in the log: a report it
                 * refused by a rule stays refused. */
                if (it->reject == BAOCAO__REJECT_REASON__REASON_NONE
                    && le->reason == BAOCAO__REJECT_REASON__REASON_VALIDATION) {
                    bc_free(&it->vals);
                    it->nvals = 0;
                    it->reject = BAOCAO__REJECT_REASON__REASON_VALIDATION;
                    snprintf(it->message, sizeof it->message,
                             "refused by a validation rule (as logged)");
                }
            }
            n++;
        }
        int rc = n ? hub_store_ingest(store, items, n, 0) : BC_OK;
        for (size_t i = 0; i < n; i++) {
            /* A replay that decides differently from the log did not
             * rebuild the store the log describes: counted, the first
             * named, and the replay fails (it used to warn and exit 0). */
            if (!rc && outcome_of(items[i].status) != entries[i]->outcome) {
                diverge(&d, entries[i]->seq, "now %s (%s), was %s",
                        bc_ack_status_name(items[i].status),
                        items[i].message[0] ? items[i].message
                                            : bc_reason_name(items[i].reason),
                        audit_outcome_name(entries[i]->outcome));
                fprintf(stderr, "warning: seq %llu is now %s, was %s\n",
                        (unsigned long long) entries[i]->seq,
                        bc_ack_status_name(items[i].status),
                        audit_outcome_name(entries[i]->outcome));
            }
            /* A province's subtree the national hub took: kept as the
             * hub kept it, so a hub on this store composes the same. */
            if (!rc && items[i].record
                && hub_federate_keep(store, entries[i]->peer, reqs[i])
                       != BC_OK)
                fprintf(stderr, "warning: seq %llu: cannot keep the "
                        "province's subtree\n",
                        (unsigned long long) entries[i]->seq);
            free(items[i].vals);
            if (reqs[i])
                baocao__request__free_unpacked(reqs[i], NULL);
            baocao__log_entry__free_unpacked(entries[i], NULL);
        }
        if (rc) {
            fprintf(stderr, "baocao audit replay: store write failed: %s\n",
                    bc_strerror(rc));
            if (version)
                baocao__log_entry__free_unpacked(version, NULL);
            goto out_free;
        }
        done += n;
        if (version) {
            Baocao__Request *rq;
            const Baocao__RegistryVersion *rv = version_of(version, &rq);
            rc = replay_version(cfg, &store, &reg, version, rv, &d, err,
                                sizeof err);
            baocao__request__free_unpacked(rq, NULL);
            baocao__log_entry__free_unpacked(version, NULL);
            version = NULL;
            if (rc) {
                fprintf(stderr, "baocao audit replay: %s\n", err);
                goto out_free;
            }
            done++;
        }
        audit_progress("replayed", done, total);
    }
    fprintf(stderr, "replayed %llu entries into %s\n",
            (unsigned long long) done, cfg->into);
    if (d.diverged) {
        fprintf(stderr, "baocao audit replay: the replay diverges from the "
                "log: %llu entries decided differently, the first at seq "
                "%llu: %s (is --registry/--catalog the hub's?)\n",
                (unsigned long long) d.diverged,
                (unsigned long long) d.first, d.what);
        goto out_free;
    }
    status = EXIT_OK;
out_free:
    free(items);
    free(entries);
    free(reqs);
out_close:
    hub_store_close(&store);
    bc_registry_destroy(&reg);
    if (status == EXIT_OK)
        status = audit_print_digest(cfg->into, "replay");
    return status;
}

/* Resends every logged submission to another hub, pipelined; counts the
 * outcomes it gets back. */
static int replay_to(audit_cfg_t *cfg, FILE *f, uint64_t total)
{
    if (!cfg->client.plain && !cfg->client.hub_key) {
        fprintf(stderr, "baocao audit replay: pass --hub-key hub.pub (and "
                "--cert), or --plain\n");
        return EXIT_USAGE;
    }
    zsock_t *sock = zsock_new(ZMQ_DEALER);
    char err[512];
    if (cfg->client.hub_key) {
        bc_security_t sec = {cfg->client.hub_key, cfg->client.cert};
        if (bc_keys_apply_client(sock, &sec, err, sizeof err)) {
            fprintf(stderr, "baocao audit replay: %s\n", err);
            zsock_destroy(&sock);
            return EXIT_USAGE;
        }
    }
    zsock_set_linger(sock, 0);
    zsock_set_sndhwm(sock, 0);
    zsock_set_rcvhwm(sock, 0);
    if (zsock_connect(sock, "%s", cfg->to) != 0) {
        fprintf(stderr, "baocao audit replay: cannot connect to %s\n",
                cfg->to);
        zsock_destroy(&sock);
        return EXIT_USAGE;
    }
    uint64_t sent = 0, answered = 0, by_status[6] = {0};
    uint64_t by_reason[32] = {0};   /* rejections by Baocao__RejectReason */
    bool eof = false;
    int64_t last_answer = zclock_mono();
    int status = EXIT_OK;
    while (!eof || answered < sent) {
        while (!eof && sent - answered < (uint64_t) cfg->window) {
            uint8_t *buf;
            size_t len;
            if (audit_read_delimited(f, &buf, &len) != 1) {
                eof = true;
                break;
            }
            Baocao__LogEntry *le = baocao__log_entry__unpack(NULL, len, buf);
            free(buf);
            if (!le) {
                eof = true;
                break;
            }
            Baocao__Request *req = baocao__request__unpack(
                NULL, le->request.len, le->request.data);
            if (req && req->body_case == BAOCAO__REQUEST__BODY_SUBMIT) {
                /* New tag, same submission: the other hub dedups by id. */
                req->tag = ++sent;
                req->version = BC_WIRE_VERSION;
                size_t plen;
                uint8_t *packed = bc_wire_pack(&req->base, &plen);
                zframe_t *fr = zframe_new(packed, plen);
                free(packed);
                zframe_send(&fr, sock, 0);
            }
            if (req)
                baocao__request__free_unpacked(req, NULL);
            baocao__log_entry__free_unpacked(le, NULL);
        }
        if (answered >= sent)
            continue;
        zframe_t *in = NULL;
        zmq_pollitem_t item = {zsock_resolve(sock), 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, 1000) > 0)
            in = zframe_recv(sock);
        if (!in) {
            if (zclock_mono() - last_answer > cfg->client.timeout_ms) {
                fprintf(stderr, "\nbaocao audit replay: %s silent for %lld "
                        "ms; %llu of %llu answered\n", cfg->to,
                        cfg->client.timeout_ms, (unsigned long long) answered,
                        (unsigned long long) sent);
                status = EXIT_FAIL;
                break;
            }
            continue;
        }
        last_answer = zclock_mono();
        Baocao__Reply *r = baocao__reply__unpack(NULL, zframe_size(in),
                                                 zframe_data(in));
        zframe_destroy(&in);
        answered++;
        if (r && r->body_case == BAOCAO__REPLY__BODY_ACK
            && r->ack->status < 6) {
            by_status[r->ack->status]++;
            if (r->ack->status == BAOCAO__ACK_STATUS__ACK_REJECTED)
                by_reason[(unsigned) r->ack->reason < 32 ? r->ack->reason
                                                         : 0]++;
        }
        if (r)
            baocao__reply__free_unpacked(r, NULL);
        audit_progress("replayed", answered, total);
    }
    printf("sent %llu submissions: %llu stored, %llu duplicate, %llu "
           "superseded, %llu rejected, %llu retry later\n",
           (unsigned long long) sent, (unsigned long long) by_status[1],
           (unsigned long long) by_status[2], (unsigned long long) by_status[3],
           (unsigned long long) by_status[4], (unsigned long long) by_status[5]);
    /* One rule for every program: any rejection is exit 1, and the last
     * line says how many and why. "Retry later" stored nothing either. */
    if (by_status[4]) {
        printf("%llu rejected:", (unsigned long long) by_status[4]);
        for (unsigned i = 0, first = 1; i < 32; i++)
            if (by_reason[i]) {
                printf("%s %s %llu", first ? "" : ",",
                       bc_reason_name((Baocao__RejectReason) i),
                       (unsigned long long) by_reason[i]);
                first = 0;
            }
        printf(" (see the hub's log for each one)\n");
        status = EXIT_FAIL;
    }
    if (by_status[5]) {
        printf("%llu not stored (retry later): the hub could not store "
               "them; replay again\n", (unsigned long long) by_status[5]);
        status = EXIT_FAIL;
    }
    zsock_destroy(&sock);
    return status;
}

int audit_replay(audit_cfg_t *cfg, const char *file)
{
    if (!file || (!cfg->into == !cfg->to)) {
        fprintf(stderr, "baocao audit replay: FILE and exactly one of --into "
                "NEW_HUB_DIR or --to ENDPOINT\n");
        return EXIT_USAGE;
    }
    FILE *f = fopen(file, "rb");
    if (!f) {
        fprintf(stderr, "baocao audit replay: cannot read %s: %s\n", file,
                strerror(errno));
        return EXIT_USAGE;
    }
    uint8_t *buf = NULL;
    size_t len = 0;
    Baocao__ExportHeader *h = NULL;
    int status;
    if (audit_read_delimited(f, &buf, &len) == 1)
        h = baocao__export_header__unpack(NULL, len, buf);
    bc_free(&buf);
    if (!h) {
        fprintf(stderr, "baocao audit replay: %s is not an audit export\n",
                file);
        fclose(f);
        return EXIT_USAGE;
    }
    uint64_t total = h->entries;
    baocao__export_header__free_unpacked(h, NULL);
    status = cfg->into ? replay_into(cfg, f, total) : replay_to(cfg, f, total);
    fclose(f);
    return status;
}
