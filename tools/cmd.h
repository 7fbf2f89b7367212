/*
 * cmd.h -- the `baocao` tool's subcommands. Each takes the arguments after
 * its name and returns the process exit status:
 *
 *   0  success
 *   1  refused or failed (hub unreachable, rejected, verify failed, a
 *      correction that would drop figures)
 *   2  bad usage or configuration (unknown option, missing argument,
 *      unreadable file, no --hub-key nor --plain)
 *   3  time ran out (the daemons' --max-seconds)
 *
 * The same rule holds for baocao-hub, baocao-node and baocao-flaky.
 */
#ifndef CMD_H
#define CMD_H

#include "baocao.pb-c.h"
#include "bc_client.h"
#include "bc_config.h"
#include "bc_registry.h"

#include <cjson/cJSON.h>

#define EXIT_OK 0
#define EXIT_FAIL 1
#define EXIT_USAGE 2
#define EXIT_TIMEOUT 3

int cmd_submit(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_completeness(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_enroll(int argc, char **argv);      /* cmd_enroll.c */
int cmd_registry(int argc, char **argv);    /* cmd_enroll.c */
int cmd_audit(int argc, char **argv);
/* `baocao audit verify-upstream` (cmd_audit_upstream.c), reached through
 * cmd_audit's dispatch. */
int cmd_audit_verify_upstream(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_stats(int argc, char **argv);
/* `baocao ping`: one Ping round trip; 0 answered, 1 not, 2 bad options. */
int cmd_ping(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_validate(int argc, char **argv);
/* `baocao approve` / `unapprove` (cmd_approve.c, issue #11). */
int cmd_approve(int argc, char **argv);
int cmd_unapprove(int argc, char **argv);


/* Options every hub client shares; embed at the start of a command's
 * config struct and list CLIENT_OPTIONS(struct) in its option table. */
typedef struct {
    char *hub;              /* hub endpoint */
    char *hub_key;          /* hub's .pub: turns CURVE on */
    char *cert;             /* our .secret key pair */
    bool plain;             /* plain link, explicitly */
    long long timeout_ms;   /* how long to wait for the hub */
} client_opts_t;

#define CLIENT_OPTIONS(type)                                                  \
    {"hub", BC_OPT_STRING, offsetof(type, client.hub), 0, 0, NULL,            \
     "ENDPOINT", "the hub, e.g. tcp://127.0.0.1:5555"},                       \
    {"hub-key", BC_OPT_STRING, offsetof(type, client.hub_key), 0, 0, NULL,    \
     "HUB.pub", "the hub's public key (CURVE)"},                              \
    {"cert", BC_OPT_STRING, offsetof(type, client.cert), 0, 0, NULL,          \
     "NAME.secret", "our key pair (an operator's or a facility's)"},          \
    {"plain", BC_OPT_BOOL, offsetof(type, client.plain), 0, 0, NULL, NULL,    \
     "connect WITHOUT encryption (local demos and tests)"},                   \
    {"timeout", BC_OPT_INT, offsetof(type, client.timeout_ms), 10, 3600000,   \
     "10000", "MS", "how long to wait for the hub's answer"}

/* Parses a command's options; on --help prints usage (synopsis first) and
 * returns 1; on error prints it and returns -1. */
int cmd_parse(const char *name, const char *synopsis, const bc_option_t *opts,
              size_t n, void *cfg, int argc, char **argv, char **positional,
              size_t maxpos, size_t *npos);

/* A command's option table followed by every option of `other` (another
 * program's table, e.g. the node daemon's) that the command does not have,
 * as BC_OPT_IGNORE: so `--config node.conf` reads the daemon's file and
 * skips its daemon-only keys. Returns a new table (free it) of *nout
 * entries. */
bc_option_t *cmd_options_sharing(const bc_option_t *own, size_t n,
                                 const bc_option_t *other, size_t nother,
                                 size_t *nout);

/* Connects per the shared options; prints why and returns NULL if it
 * cannot. Connecting is lazy (ZeroMQ), so every failure here is one of the
 * options (no --hub, neither --hub-key nor --plain, an unusable key file,
 * a malformed endpoint): the caller exits EXIT_USAGE. */
bc_client_t *cmd_connect(const char *name, const client_opts_t *o);

/* Sends a request; on failure prints a readable message (timeout, refused
 * key, hub error reply) and returns non-zero. On success *reply holds the
 * hub's answer, which is not an Error. */
int cmd_call(const char *name, bc_client_t *client, Baocao__Request *req,
             Baocao__Reply **reply, long long timeout_ms);

/* Output format from --format: "table", "csv", "json". */
typedef enum { FMT_TABLE, FMT_CSV, FMT_JSON } out_format_t;
int cmd_format(const char *name, const char *text, out_format_t *out);

/* An approval as one line, "HP-HB 2023-01 by operator:x at TIME[: note]"
 * (TIME in Vietnam's time when local, else UTC), and as a JSON object
 * (null for NULL): cmd_approve.c, for query and completeness too. */
void cmd_approval_text(const Baocao__Approval *a, char *buf, size_t len,
                       bool local);
cJSON *cmd_approval_json(const Baocao__Approval *a);

/* A time (Unix s) as tables show it, in Vietnam's time when local, else
 * UTC as CSV and JSON give it (bc_period.h); `none` for 0 ("never", "-"). */
void cmd_time(int64_t t, char *buf, size_t len, bool local,
              const char *none);

/* CSV fields are written with bc_csv_write_field (bc_csv.h). */

#endif
