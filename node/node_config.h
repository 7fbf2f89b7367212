/*
 * node_config.h -- a node's settings (node_config_t) and their option
 * table, for the delivery loop (node_sender.h), baocao-node's main and
 * the tools that read a node's config file.
 */
#ifndef NODE_CONFIG_H
#define NODE_CONFIG_H

#include "bc_config.h"

#include <stdbool.h>

typedef struct {
    char *store;               /* outbox directory */
    char *unit;                /* this node's unit code (required) */
    char **on_behalf_of;       /* other units whose reports this node may
                                  deliver (a district centre filing for
                                  its wards); NULL-terminated or NULL */
    char *hub;                 /* hub endpoint */
    bool plain;                /* no CURVE (explicit) */
    char *hub_key;             /* hub's .pub file */
    char *cert;                /* our .secret key pair */
    long long window;          /* submissions in flight at most */
    long long timeout_ms;      /* silence that declares the link dead */
    long long backoff_min_ms;  /* first reconnect delay */
    long long backoff_max_ms;  /* longest reconnect delay */
    long long heartbeat_ms;    /* ZMQ heartbeat interval (0 = off) */
    long long poll_ms;         /* how often to look for new reports */
    long long idle_disconnect_ms; /* close the link after this long with
                                     nothing to send (0 = never) */
    bool drain;                /* exit once nothing is left to deliver */
    long long max_seconds;     /* give up after this long (0 = never) */
    char *log_level;           /* debug, info, warn, error */
} node_config_t;

/* The table of node_config_t's options (bc_config.h): their names,
 * bounds, defaults and help, for baocao-node's command line and config
 * file, and for the tools that read a node's settings from the same file
 * (`baocao status`, `baocao submit`). node_noptions entries. */
extern const bc_option_t node_options[];
extern const size_t node_noptions;

#endif
