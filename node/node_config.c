/*
 * node_config.c -- the option table of a node's settings (node_config.h).
 *
 * Design: config as a table (bc_config.h): each setting is named,
 * bounded, defaulted and explained once, here, and the command line, the
 * config file and --help all come from it. It is apart from the delivery
 * loop (node_sender.c) because more than the loop reads it: `baocao
 * status` and `baocao submit` share it (cmd_options_sharing), so that one
 * config file serves the node and them, and baocao-node appends the
 * form's options (node_form.h) to it.
 */
#include "node_config.h"

#include <stddef.h>

#define NC(field) offsetof(node_config_t, field)
const bc_option_t node_options[] = {
    {"store", BC_OPT_STRING, NC(store), 0, 0, NULL, "DIR",
     "outbox directory (LMDB; created if missing)"},
    {"unit", BC_OPT_STRING, NC(unit), 0, 0, NULL, "CODE",
     "this facility's unit code"},
    {"on-behalf-of", BC_OPT_LIST, NC(on_behalf_of), 0, 0, NULL, "CODE",
     "another unit this node delivers for, beyond --unit and the units "
     "whose code extends it (repeat for each)"},
    {"hub", BC_OPT_STRING, NC(hub), 0, 0, NULL, "ENDPOINT",
     "the hub, e.g. tcp://hub.example:5555"},
    {"plain", BC_OPT_BOOL, NC(plain), 0, 0, NULL, NULL,
     "connect WITHOUT encryption (local demos and tests)"},
    {"hub-key", BC_OPT_STRING, NC(hub_key), 0, 0, NULL, "HUB.pub",
     "the hub's public key; turns CURVE on"},
    {"cert", BC_OPT_STRING, NC(cert), 0, 0, NULL, "NODE.secret",
     "this node's key pair (baocao keygen)"},
    {"window", BC_OPT_INT, NC(window), 1, 1024, "32", "N",
     "submissions in flight at most"},
    {"timeout", BC_OPT_INT, NC(timeout_ms), 100, 3600000, "10000", "MS",
     "silence since the oldest unanswered send that declares the link "
     "dead (at least; longer on a link whose measured round trips need "
     "it)"},
    {"backoff-min", BC_OPT_INT, NC(backoff_min_ms), 10, 3600000, "500", "MS",
     "first reconnect delay"},
    {"backoff-max", BC_OPT_INT, NC(backoff_max_ms), 10, 86400000, "60000",
     "MS", "longest reconnect delay"},
    {"heartbeat", BC_OPT_INT, NC(heartbeat_ms), 0, 3600000, "5000", "MS",
     "ZMQ heartbeat interval (0 = off)"},
    {"poll", BC_OPT_INT, NC(poll_ms), 10, 60000, "500", "MS",
     "how often to look for newly filed reports"},
    {"idle-disconnect", BC_OPT_INT, NC(idle_disconnect_ms), 0, 86400000,
     "60000", "MS",
     "close the link after this long with nothing to send or await, and "
     "open it again when a report is filed (0 = stay connected)"},
    {"drain", BC_OPT_BOOL, NC(drain), 0, 0, NULL, NULL,
     "exit once every report is delivered or rejected (status 0, or 1 "
     "when a rejection needs action)"},
    {"max-seconds", BC_OPT_INT, NC(max_seconds), 0, 31536000, "0", "S",
     "give up after this long (exit 3; 0 = run for ever)"},
    {"log-level", BC_OPT_STRING, NC(log_level), 0, 0, "info", "LEVEL",
     "debug, info, warn or error"},
};
const size_t node_noptions = sizeof node_options / sizeof node_options[0];
