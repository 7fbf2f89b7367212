/*
 * bc_test.h -- support for the integration tests: temporary folders, the
 * real programs started as processes (from BC_BIN_DIR), a hub on a free
 * loopback port, and a direct query client.
 *
 * Nothing here stands in for ZeroMQ or LMDB: the processes are the shipped
 * binaries, talking over loopback TCP to stores in temporary folders.
 */
#ifndef BC_TEST_H
#define BC_TEST_H

#include "bc_client.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* A temporary folder under $TMPDIR (or /tmp); removed by bc_rmtree. */
char *bc_tmpdir(const char *tag);
void bc_rmtree(const char *path);

/* Writes a whole file; asserts on failure. */
void bc_write_file(const char *path, const char *content);

/* True if the file at path contains needle (read whole; false if it cannot
 * be read). For log assertions. */
bool bc_file_contains(const char *path, const char *needle);

/* A whole file as a NUL-terminated string (the caller frees it); "" when
 * it cannot be read (a log not written yet), so that it can be searched
 * all the same. */
char *bc_read_text(const char *path);

/* How many lines of text hold w1 and, unless it is NULL, w2. For log
 * assertions ("one ERROR naming the key, not one a retry"). */
int bc_count_lines(const char *text, const char *w1, const char *w2);

/* "path/name" in a static rotating buffer (a few at a time). */
const char *bc_path(const char *dir, const char *name);

/* "dir/name.ext", from the same buffers: a key made by bc_keygen
 * (ext "pub" or "secret"). */
const char *bc_key_path(const char *dir, const char *name, const char *ext);

/* Makes the key pair dir/name.pub and dir/name.secret with the real
 * `baocao keygen`, and writes its public key (40 Z85 characters and a
 * NUL) into pub unless pub is NULL. Fails the test when keygen does or
 * prints anything but the key. */
void bc_keygen(const char *dir, const char *name, char *pub);

/* The shipped data and programs. */
const char *bc_source(const char *rel);   /* BC_SOURCE_DIR/rel */
const char *bc_shared(const char *rel);   /* BC_SHARED_DIR/rel */
const char *bc_bin(const char *prog);     /* BC_BIN_DIR/prog */

/* A started program. */
typedef struct {
    pid_t pid;            /* process id, 0 once reaped */
    int status;           /* wait status once reaped */
    bool group;           /* leads its own process group (a wrapper and
                             what it runs): signals go to the group */
} bc_proc_t;

/* Starts BC_BIN_DIR/prog with argv (NULL-terminated, without argv[0]);
 * stdout and stderr go to log_path (appended) or /dev/null. */
bc_proc_t bc_spawn(const char *prog, const char *const *argv,
                   const char *log_path);

/* Like bc_spawn, but runs BC_BIN_DIR/prog under a wrapper: wrap is a
 * NULL-terminated argv whose wrap[0] is an absolute path (e.g.
 * {"/usr/bin/strace", "-f", "-e", "inject=...", NULL}); the program and
 * its argv follow it. The wrapper must exit with the program's status.
 * The two form their own process group, which bc_stop signals whole (a
 * tracer that dies does not take its tracee with it). Leak detection is
 * off in a wrapped program: LeakSanitizer cannot run under ptrace. */
bc_proc_t bc_spawn_wrapped(const char *const *wrap, const char *prog,
                           const char *const *argv, const char *log_path);

/* Sends sig and waits up to timeout_ms; returns the exit status (or 128 +
 * signal), -1 on timeout. */
int bc_stop(bc_proc_t *p, int sig, int timeout_ms);

/* Waits up to timeout_ms for the process to exit by itself. */
int bc_wait(bc_proc_t *p, int timeout_ms);

/* Runs BC_BIN_DIR/prog to completion (60 s at most) capturing stdout into a
 * malloc'ed string (*out, may be NULL) and returns its exit status. */
int bc_run(const char *prog, const char *const *argv, char **out);

/* The same, capturing stdout and stderr together (for the messages a
 * program prints to staff). */
int bc_run_all(const char *prog, const char *const *argv, char **out);

/* A hub in plain mode on a free port, with the shipped registry and
 * catalogue, store in dir/hub. extra: more arguments (may be NULL).
 *
 * Every bc_hub_t starts life through bc_hub_init (or BC_HUB_INIT): a hub
 * struct left to the stack's garbage once made bc_hub_start close a
 * descriptor that belonged to libzmq, and libzmq aborted at exit. */
typedef struct {
    bc_proc_t proc;       /* the hub process */
    char endpoint[128];   /* where it listens */
    char store[512];      /* its store directory */
    char log[512];        /* its log file */
    int hold_fd;          /* listener keeping the port while it is down,
                             -1 when none */
    const char *const *wrap;  /* run the hub under this wrapper (see
                                 bc_spawn_wrapped), NULL: directly */
} bc_hub_t;

#define BC_HUB_INIT {.proc = {0, 0}, .endpoint = "", .store = "", \
                     .log = "", .hold_fd = -1, .wrap = NULL}

/* Sets *hub to "not started, holding nothing". */
void bc_hub_init(bc_hub_t *hub);

/* Starts a hub into an initialised *hub. When hub->hold_fd holds the port
 * (after bc_hub_pause), it is released just before the hub binds. */

void bc_hub_start(bc_hub_t *hub, const char *dir, const char *bind,
                  const char *const *extra);
int bc_hub_stop(bc_hub_t *hub);

/* Stops the hub (SIGTERM, or SIGKILL) and keeps its port bound by a
 * listener that never answers, so that no other test's hub can take the
 * port before this one restarts on it (tests run in parallel). The next
 * bc_hub_start on the same endpoint releases it. Returns the exit status. */
int bc_hub_pause(bc_hub_t *hub, int sig);

/* The fixture most integration tests share, as cmocka's setup and
 * teardown: a temporary folder named after the test program, and a hub
 * started in it on the shipped registry and catalogue. The test's state is
 * then a bc_fixture_t. The teardown fails the test unless the hub stopped
 * cleanly (exit 0: no leak, nothing left unwritten), then removes the
 * folder. A test whose hub needs other flags writes its own setup. */
typedef struct {
    char *dir;       /* temporary folder */
    bc_hub_t hub;    /* the hub under test */
} bc_fixture_t;

int bc_fixture_setup(void **state);
int bc_fixture_teardown(void **state);

/* The port of a program's URL file (baocao-node --form-url-file: one
 * line, "http://127.0.0.1:PORT/"), 0 while it is not written yet. */
int bc_url_file_port(const char *path);

/* One request to the station's form (baocao-node --form) on
 * 127.0.0.1:port, as its page sends it: METHOD path, the form's own
 * header (X-Baocao-Form), and body (urlencoded; NULL: none). Returns the
 * HTTP status and the answer's body parsed as JSON in *doc (the caller
 * frees it with cJSON_Delete); fails the test when the server cannot be
 * reached or does not answer JSON. */
struct cJSON;
int bc_form_request(int port, const char *method, const char *path,
                    const char *body, struct cJSON **doc);

/* A CURVE hub for the tests of operators and scopes, started into an
 * initialised *hub: its key pair is dir/hub.{pub,secret} (made earlier by
 * bc_keygen), its registry dir/units.csv holds units_csv, its operators
 * file dir/operators.csv holds operators_csv, and dir/ADMIN.pub is its
 * --operator-key (an admin of the root). */
void bc_curve_hub_start(bc_hub_t *hub, const char *dir, const char *units_csv,
                        const char *operators_csv, const char *admin);

/* Queries one figure directly (plain link). Returns true and the value if
 * the hub has data for it; asserts when the hub does not answer. */
bool bc_query_value(const char *endpoint, const char *unit,
                    const char *period, const char *indicator,
                    int64_t *value);

/* Full query reply (caller frees with baocao__reply__free_unpacked). */
Baocao__Reply *bc_query(const char *endpoint, const char *unit,
                        const char *period);

/* Finds a figure in a query reply, or NULL. */
const Baocao__Figure *bc_figure(const Baocao__Reply *r, const char *code);

/* Sends one submission directly (bypassing a node) and returns the ack
 * reply; caller frees. */
Baocao__Reply *bc_send(const char *endpoint, Baocao__Request *req);

/* Sends a submission built from "code=value,code=value" with a new id
 * (or `id` when not NULL) and returns the ack status (asserting that the
 * reply is an Ack). */
Baocao__AckStatus bc_submit(const char *endpoint, const uint8_t *id,
                            const char *unit, const char *period,
                            uint32_t revision, int64_t filed_at,
                            const char *values);

/* Writes the nine ward reports of the Hồng Bàng nutrition fixture into
 * dir/<unit>.csv and fills codes[9] (static strings). */
void bc_hongbang_reports(const char *dir, const char *codes[9]);

/* Polls until cond(arg) is true or timeout_ms passes; returns cond's last
 * answer. */
bool bc_eventually(bool (*cond)(void *), void *arg, int timeout_ms);

#endif
