/*
 * cmd_audit.h -- what the `baocao audit` subcommands share: their options,
 * the length-delimited file format of exports, and small printing helpers.
 *
 * One file per subcommand (cmd_audit_export.c, cmd_audit_verify.c,
 * cmd_audit_history.c, cmd_audit_replay.c, cmd_audit_digest.c,
 * cmd_audit_head.c; cmd_audit_upstream.c has options of its own); the
 * dispatcher and the option table live in cmd_audit.c, the helpers below
 * in cmd_audit_file.c. The subcommands
 * share one option table because they share one command line (`baocao
 * audit VERB --store ...`), so each verb only reads the fields it needs.
 */
#ifndef CMD_AUDIT_H
#define CMD_AUDIT_H

#include "cmd.h"

#include <protobuf-c/protobuf-c.h>
#include <stdint.h>
#include <stdio.h>

typedef struct {
    client_opts_t client;   /* for replay --to */
    char *store;            /* hub store directory */
    char *out;              /* export file */
    char *unit;             /* filter / history unit */
    char *period;           /* history period */
    char *from;             /* export: from date YYYY-MM-DD */
    char *into;             /* replay: new store directory */
    char *to;               /* replay: hub endpoint */
    char *registry;         /* replay --into: units file */
    char *catalog;          /* replay --into: catalogue file */
    long long map_size;     /* replay --into: map size */
    long long window;       /* replay --to: requests in flight */
    long long seq;          /* head: this entry instead of the last */
    bool figures;           /* history: every filing with its figures */
} audit_cfg_t;

/* The subcommands: each returns the process exit status (cmd.h). */
int audit_export(audit_cfg_t *cfg);
int audit_verify(audit_cfg_t *cfg, const char *file);
int audit_history(audit_cfg_t *cfg);
int audit_replay(audit_cfg_t *cfg, const char *file);
int audit_head(audit_cfg_t *cfg);

/* Prints a store's digest line ("<sha256>  N current reports  log at seq
 * S"); `name` is the verb named in error messages. Returns an exit status. */
int audit_print_digest(const char *dir, const char *name);

/* The name of a Baocao__Outcome ("stored", ...; "?" if unknown). */
const char *audit_outcome_name(uint32_t outcome);

/* 32 bytes as 64 lowercase hex digits and a NUL. */
void audit_hex32(const uint8_t *h, char out[65]);

/* "what done / total (p %)" on stderr, at most 5 times a second, and only
 * when stderr is a terminal. */
void audit_progress(const char *what, uint64_t done, uint64_t total);

/* Writes a message prefixed with its length (varint), as protobuf's
 * writeDelimitedTo does. Returns BC_OK or BC_EIO. */
int audit_write_delimited(FILE *f, const ProtobufCMessage *m);

/* Reads one record; returns 1 with *buf (malloc'ed) and *len, 0 at a clean
 * end of file, -1 on a truncated or absurd record (over 64 MiB). */
int audit_read_delimited(FILE *f, uint8_t **buf, size_t *len);

#endif
