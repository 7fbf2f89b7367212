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
#include "hub_validate.h"

#include <czmq.h>
#include <errno.h>
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

/* Rebuilds a store: every logged request goes through the same validation
 * and ingest as on the live hub, with its logged peer and receipt time, in
 * log order. The outcomes, and so the new log's chain, come out the same. */
static int replay_into(audit_cfg_t *cfg, FILE *f, uint64_t total)
{
    char err[512];
    int status = EXIT_FAIL;
    bc_registry_t *reg = bc_registry_load(cfg->registry, cfg->catalog, err,
                                          sizeof err);
    if (!reg) {
        fprintf(stderr, "baocao audit replay: %s\n", err);
        return EXIT_USAGE;
    }
    hub_store_t *store = hub_store_open(cfg->into, (size_t) cfg->map_size,
                                        reg, err, sizeof err);
    if (!store) {
        fprintf(stderr, "baocao audit replay: %s\n", err);
        bc_registry_destroy(&reg);
        return EXIT_FAIL;
    }
    if (hub_store_last_seq(store) != 0) {
        fprintf(stderr, "baocao audit replay: %s is not empty; replay into "
                "a new directory\n", cfg->into);
        goto out_close;
    }
    enum { BATCH = 4096 };
    hub_item_t *items = bc_calloc(BATCH, sizeof *items);
    Baocao__LogEntry **entries = bc_calloc(BATCH, sizeof *entries);
    Baocao__Request **reqs = bc_calloc(BATCH, sizeof *reqs);
    uint64_t done = 0, diverged = 0, first_diverged = 0;
    char first_what[160] = "";
    bool eof = false;
    while (!eof) {
        size_t n = 0;
        while (n < BATCH) {
            uint8_t *buf;
            size_t len;
            int got = audit_read_delimited(f, &buf, &len);
            if (got <= 0) {
                eof = true;
                if (got < 0)
                    fprintf(stderr, "baocao audit replay: truncated entry "
                            "after %llu; stopping there\n",
                            (unsigned long long) done);
                break;
            }
            Baocao__LogEntry *le = baocao__log_entry__unpack(NULL, len, buf);
            free(buf);
            if (!le) {
                fprintf(stderr, "baocao audit replay: unreadable entry after "
                        "%llu; run audit verify\n", (unsigned long long) done);
                eof = true;
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
            reqs[n] = baocao__request__unpack(NULL, le->request.len,
                                              le->request.data);
            if (!reqs[n] || reqs[n]->body_case != BAOCAO__REQUEST__BODY_SUBMIT
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
                if (diverged++ == 0) {
                    first_diverged = entries[i]->seq;
                    snprintf(first_what, sizeof first_what, "now %s (%s), "
                             "was %s", bc_ack_status_name(items[i].status),
                             items[i].message[0] ? items[i].message
                                                 : bc_reason_name(
                                                       items[i].reason),
                             audit_outcome_name(entries[i]->outcome));
                }
                fprintf(stderr, "warning: seq %llu is now %s, was %s\n",
                        (unsigned long long) entries[i]->seq,
                        bc_ack_status_name(items[i].status),
                        audit_outcome_name(entries[i]->outcome));
            }
            free(items[i].vals);
            if (reqs[i])
                baocao__request__free_unpacked(reqs[i], NULL);
            baocao__log_entry__free_unpacked(entries[i], NULL);
        }
        if (rc) {
            fprintf(stderr, "baocao audit replay: store write failed: %s\n",
                    bc_strerror(rc));
            goto out_free;
        }
        done += n;
        audit_progress("replayed", done, total);
    }
    fprintf(stderr, "replayed %llu entries into %s\n",
            (unsigned long long) done, cfg->into);
    if (diverged) {
        fprintf(stderr, "baocao audit replay: the replay diverges from the "
                "log: %llu entries decided differently, the first at seq "
                "%llu: %s (is --registry/--catalog the hub's?)\n",
                (unsigned long long) diverged,
                (unsigned long long) first_diverged, first_what);
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
