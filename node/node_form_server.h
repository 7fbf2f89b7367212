/*
 * node_form_server.h -- the station's form itself: the web server that
 * baocao-node-form runs (design, routes and checks in node_form.h, which
 * is also how baocao-node starts it).
 */
#ifndef NODE_FORM_SERVER_H
#define NODE_FORM_SERVER_H

#include "bc_keys.h"
#include "node_form.h"

/* Serves the form on cfg->listen for unit, filing into the outbox in
 * store, until SIGTERM or SIGINT; hub and sec are where a missing
 * catalogue is asked for (hub NULL: never). Returns the exit status: 0
 * once stopped, 1 when it could not open the outbox, listen or write
 * --form-url-file, 2 on bad options (no store or unit, not a loopback
 * address, a catalogue that cannot be read); each is logged. */
int node_form_serve(const node_form_config_t *cfg, const char *store,
                    const char *unit, const char *hub,
                    const bc_security_t *sec);

#endif
