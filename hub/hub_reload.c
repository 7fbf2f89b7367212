/*
 * hub_reload.c -- the registry, catalogue and rules changing under a
 * running hub: the files again on SIGHUP, and a registry version a
 * provincial hub forwards (hub_federate.h). One of the server's files;
 * see hub_server_int.h for how they divide the work.
 *
 * Both swap the registry the next submissions are decided under, so both
 * run only between batches (a batch holds units of the registry it was
 * validated against): the loop waits for the batches before a SIGHUP
 * reload, and a forwarded version commits them first. Both reopen the
 * store, so the log forwarder, whose thread reads it, is stopped first
 * and started again on the new one, and the query cache is cleared; and
 * both reload the keys of the registry in force. A refused file or
 * version leaves everything as it was.
 *
 * The two loads start-up shares with them are here too, so that the
 * server's start-up and its changes read the rules file and start the
 * log forwarder one way: hub_server_load_rules, hub_server_start_upstream.
 */
#include "hub_server_int.h"
#include "bc_csv.h"
#include "hub_federate.h"
#include "hub_history.h"

/* --- what start-up loads too ------------------------------------------- */

/* The text is read once and parsed from those bytes (hub_server_int.h). */
int hub_server_load_rules(const hub_server_t *self, const bc_registry_t *reg,
                          bc_rules_t **rules, char **text, char *err,
                          size_t errlen)
{
    char *data = NULL;
    size_t len = 0;
    int e = bc_read_file(self->cfg.rules, &data, &len);
    if (e) {
        snprintf(err, errlen, "%s: %s", self->cfg.rules, strerror(e));
        return BC_EIO;
    }
    bc_rules_t *r = bc_rules_parse(data, len, self->cfg.rules, reg, err,
                                   errlen);
    if (!r) {
        bc_free(&data);
        return BC_EINVAL;
    }
    *rules = r;
    /* NUL-terminated for the reply's string (bc_read_file's buffer is not;
     * the parser has refused any NUL byte inside). */
    *text = bc_strndup(data, len);
    bc_free(&data);
    return BC_OK;
}

int hub_server_start_upstream(hub_server_t *self, char *err, size_t errlen)
{
    const hub_config_t *cfg = &self->cfg;
    const char *name = cfg->upstream_name;
    for (size_t i = 0; !name && i < bc_registry_nunits(self->reg); i++) {
        const bc_unit_t *u = bc_registry_unit(self->reg, (uint32_t) i);
        if (u->parent < 0)
            name = u->code;
    }
    hub_upstream_config_t up = {
        cfg->upstream, cfg->upstream_key, cfg->upstream_cert,
        cfg->upstream_plain, name, (int) cfg->upstream_window,
        (int) cfg->upstream_timeout, 500, (int) cfg->upstream_backoff_max,
        (uint64_t) cfg->upstream_resend_from};
    if (cfg->upstream_plain)
        BC_WARN("forwarding to %s WITHOUT CURVE: use --upstream-key and "
                "--upstream-cert outside a local demo", cfg->upstream);
    self->upstream = hub_upstream_new(self->store, &up, err, errlen);
    return self->upstream ? BC_OK : BC_EINVAL;
}

/* --- changes ----------------------------------------------------------- */

/* SIGHUP: the files again, tried on a probe before the store is touched. */
void hub_reload_registry(hub_server_t *self)
{
    char err[1024];
    /* The store is reopened and the rules may change without a commit. */
    hub_cache_clear(self->cache);
    BC_INFO("SIGHUP: reloading %s and %s", self->cfg.registry,
            self->cfg.catalog);
    if (self->auth || self->cfg.rules) {
        /* The files are tried first, on a probe, so that a problem
         * refuses them before the store is touched: the keys (a key
         * problem), then the rules, which name indicators by their place
         * in the catalogue and so must fit the new one. */
        bc_registry_t *probe = bc_registry_load_full(self->cfg.registry,
                                                     self->cfg.catalog,
                                                     self->cfg.categories,
                                                     err, sizeof err);
        int prc = probe ? BC_OK : BC_EINVAL;
        if (prc == BC_OK && self->auth)
            prc = hub_auth_reload_units(self->auth, probe, err, sizeof err);
        if (prc == BC_OK && self->cfg.rules) {
            bc_rules_t *pr = NULL;
            char *pt = NULL;
            prc = hub_server_load_rules(self, probe, &pr, &pt, err, sizeof err);
            bc_rules_destroy(&pr);
            bc_free(&pt);
        }
        bc_registry_destroy(&probe);
        if (prc) {
            BC_ERROR("registry reload refused, keeping the one loaded: %s",
                     err);
            return;
        }
    }
    /* The store is reopened: the log forwarder's thread reads it, so it
     * stops first (writing its cursor) and starts again on the new one. */
    bool forwarding = self->upstream != NULL;
    hub_upstream_destroy(&self->upstream);
    hub_subtrees_t st;
    char *text = NULL;
    size_t text_len = 0;
    int rc = hub_federate_read(self->store, &st);
    bc_registry_t *fresh = NULL;
    if (rc)
        snprintf(err, sizeof err, "cannot read the provinces' subtrees: %s",
                 bc_strerror(rc));
    else if (!(fresh = hub_federate_load(self->cfg.registry,
                                         self->cfg.catalog,
                                         self->cfg.categories, &st, &text,
                                         &text_len, err, sizeof err)))
        rc = BC_EINVAL;
    hub_subtrees_free(&st);
    if (fresh)
        rc = hub_history_reload_with(&self->store, &self->reg, fresh,
                                     self->cfg.store,
                                     (size_t) self->cfg.map_size, err,
                                     sizeof err);
    if (rc == BC_EFATAL) {
        free(text);
        self->store_failed = true;
        return;
    }
    char e3[512];
    if (forwarding && hub_server_start_upstream(self, e3, sizeof e3))
        BC_ERROR("cannot restart the log forwarder: %s", e3);
    if (self->auth) {
        /* The keys of the registry in force (the old one if refused). */
        char e2[512];
        if (hub_auth_reload_units(self->auth, self->reg, e2, sizeof e2))
            BC_ERROR("reloading the keys: %s", e2);
    }
    if (rc) {
        free(text);
        BC_ERROR("registry reload refused, keeping the one loaded: %s", err);
        return;
    }
    if (hub_history_log_text(self->store, self->reg, text, text_len,
                             self->cfg.catalog, self->cfg.categories, err,
                             sizeof err))
        BC_ERROR("%s", err);
    if (self->cfg.rules) {
        bc_rules_t *nr = NULL;
        char *nt = NULL;
        if (hub_server_load_rules(self, self->reg, &nr, &nt, err, sizeof err) == BC_OK) {
            bc_rules_destroy(&self->rules);
            bc_free(&self->rules_text);
            self->rules = nr;
            self->rules_text = nt;
        } else {
            /* Checked above; only a file changed in between gets here.
             * The old rules would name the old catalogue's places: none
             * is safer than wrong ones, and the log says why. */
            BC_ERROR("rules not reloaded, none in force until the next "
                     "SIGHUP: %s", err);
            bc_rules_destroy(&self->rules);
            bc_free(&self->rules_text);
        }
        BC_INFO("rules reloaded: %zu rules from %s",
                bc_rules_count(self->rules), self->cfg.rules);
    }
    free(text);
    BC_INFO("registry reloaded: %zu units, %zu indicators",
            bc_registry_nunits(self->reg), bc_registry_ncatalogue(self->reg));
}

/* A province's registry version: the batches committed first. */
void hub_reload_federated(hub_server_t *self, zframe_t *route,
                          zframe_t *payload, const char *peer, uint64_t tag)
{
    if (self->writing)
        hub_batch_collect(self);
    if (self->batches[self->filling].n) {
        hub_batch_dispatch(self);
        hub_batch_collect(self);
    }
    hub_federate_result_t res;
    memset(&res, 0, sizeof res);
    Baocao__Request *req = baocao__request__unpack(NULL,
                                                   zframe_size(payload),
                                                   zframe_data(payload));
    if (self->store_failed || !req) {
        res.status = BAOCAO__ACK_STATUS__ACK_RETRY_LATER;
        res.reason = BAOCAO__REJECT_REASON__REASON_INTERNAL;
        snprintf(res.message, sizeof res.message, "%s", STORE_FAILED_MSG);
    } else {
        /* The forwarder of this hub (if it forwards too) reads the store
         * that is reopened: stopped first, as on SIGHUP. */
        bool forwarding = self->upstream != NULL;
        hub_upstream_destroy(&self->upstream);
        hub_federate_cfg_t fc = {self->cfg.store, (size_t) self->cfg.map_size,
                                 self->cfg.registry, self->cfg.catalog,
                                 self->cfg.categories};
        hub_cache_clear(self->cache);   /* the store is reopened */
        hub_federate_accept(&self->store, &self->reg, &fc, req,
                            zframe_data(payload), zframe_size(payload), peer,
                            &res);
        if (res.fatal || !self->store)
            hub_server_check_store(self, BC_EFATAL,
                                   "taking a province's registry");
        char e2[512];
        if (self->store && forwarding && hub_server_start_upstream(self, e2, sizeof e2))
            BC_ERROR("cannot restart the log forwarder: %s", e2);
        if (res.changed && self->auth
            && hub_auth_reload_units(self->auth, self->reg, e2, sizeof e2))
            BC_ERROR("reloading the keys: %s", e2);
    }
    if (req)
        baocao__request__free_unpacked(req, NULL);
    if (res.status == BAOCAO__ACK_STATUS__ACK_REJECTED)
        hub_server_count_reject(self, res.reason, peer, res.message);
    Baocao__Reply reply = BAOCAO__REPLY__INIT;
    Baocao__Ack ack = BAOCAO__ACK__INIT;
    ack.status = res.status;
    ack.reason = res.reason;
    ack.message = res.message;
    ack.hub_seq = res.status == BAOCAO__ACK_STATUS__ACK_STORED ? res.seq : 0;
    reply.tag = tag;
    reply.body_case = BAOCAO__REPLY__BODY_ACK;
    reply.ack = &ack;
    hub_server_reply(self, route, &reply);
    self->acked++;
    hub_stats_ack(&self->stats, res.status);
}
