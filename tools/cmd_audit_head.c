/*
 * cmd_audit_head.c -- `baocao audit head`: the live log's head (last seq
 * and its chain hash), from a running hub (--hub, through Ping/Pong) or
 * from its store (--store, read-only, beside a live hub); with --seq N,
 * the chain hash at entry N instead, for an export that ends there (the
 * live head moves on as submissions arrive).
 *
 * It prints the same "head: seq N hash HEX" line as `audit verify`, so an
 * auditor can compare an export's head with the hub's own: equal lines
 * mean the export's chain ends in the hub's log. Over --hub, the answer is
 * only as trustworthy as the link: use CURVE (--hub-key) to know that the
 * hub, not a man in the middle, answered.
 */
#include "bc_client.h"
#include "bc_error.h"
#include "cmd_audit.h"
#include "hub_head.h"
#include "hub_store.h"

#include <stdio.h>
#include <string.h>

/* Why there is no entry `at`. */
static void no_such_entry(uint64_t at, uint64_t last)
{
    fprintf(stderr, "baocao audit head: the log has no entry %llu (it ends "
            "at seq %llu)\n", (unsigned long long) at,
            (unsigned long long) last);
}

static int head_of_store(const char *dir, uint64_t at)
{
    char err[512], line[HUB_HEAD_TEXT];
    uint8_t hash[32];
    uint64_t seq = at;
    hub_store_t *store = hub_store_open_readonly(dir, err, sizeof err);
    if (!store) {
        fprintf(stderr, "baocao audit head: %s\n", err);
        return EXIT_FAIL;
    }
    hub_reader_t *r = hub_store_reader(store);
    int rc = !r ? BC_ESTORE
             : at ? hub_head_at(r, at, hash)
                  : hub_head_read(store, r, &seq, hash);
    uint64_t last = hub_store_last_seq(store);
    hub_reader_destroy(&r);
    hub_store_close(&store);
    if (rc == BC_ENOTFOUND) {
        no_such_entry(at, last);
        return EXIT_FAIL;
    }
    if (rc) {
        fprintf(stderr, "baocao audit head: %s\n", bc_strerror(rc));
        return EXIT_FAIL;
    }
    printf("%s\n", hub_head_format(seq, hash, line));
    return EXIT_OK;
}

static int head_of_hub(const client_opts_t *o, uint64_t at)
{
    char line[HUB_HEAD_TEXT];
    int status = EXIT_FAIL;
    bc_client_t *client = cmd_connect("audit head", o);
    if (!client)
        return EXIT_USAGE;
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    Baocao__Ping ping = BAOCAO__PING__INIT;
    Baocao__Reply *reply = NULL;
    ping.seq = at;
    req.body_case = BAOCAO__REQUEST__BODY_PING;
    req.ping = &ping;
    if (cmd_call("audit head", client, &req, &reply, o->timeout_ms))
        goto out_close;
    if (reply->body_case != BAOCAO__REPLY__BODY_PONG) {
        fprintf(stderr, "baocao audit head: unexpected answer from the "
                "hub\n");
        goto out_free;
    }
    if (reply->pong->head_hash.len != 32) {
        if (at && reply->pong->head_seq == 0)
            no_such_entry(at, reply->pong->hub_seq);
        else   /* a hub older than head_seq/head_hash answers without */
            fprintf(stderr, "baocao audit head: this hub does not report "
                    "its head (older version)\n");
        goto out_free;
    }
    if (at && reply->pong->head_seq != at) {
        fprintf(stderr, "baocao audit head: this hub ignores --seq (older "
                "version)\n");
        goto out_free;
    }
    printf("%s\n", hub_head_format(reply->pong->head_seq,
                                   reply->pong->head_hash.data, line));
    status = EXIT_OK;
out_free:
    baocao__reply__free_unpacked(reply, NULL);
out_close:
    bc_client_destroy(&client);
    return status;
}

int audit_head(audit_cfg_t *cfg)
{
    if (!cfg->store == !cfg->client.hub) {
        fprintf(stderr, "baocao audit head: give exactly one of --hub "
                "ENDPOINT or --store HUB_DIR\n");
        return EXIT_USAGE;
    }
    return cfg->store ? head_of_store(cfg->store, (uint64_t) cfg->seq)
                      : head_of_hub(&cfg->client, (uint64_t) cfg->seq);
}
