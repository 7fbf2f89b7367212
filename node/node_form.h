/*
 * node_form.h -- the station's form: `baocao-node --form 127.0.0.1:8081`
 * serves, on loopback, a page where staff file the month's report in a
 * browser instead of writing CSV, and see what was filed and where it is.
 *
 * The form is generated (by its script) from the node's copy of the
 * catalogue, grouped by programme; computed indicators (rates) have no
 * field. The copy is --catalog when given, else STORE/catalog.csv, which
 * the form writes the first time the hub answers a CatalogQuery: until
 * then the page says it waits for the catalogue, and the child asks the
 * hub every 3 seconds. Filing goes into the same durable outbox as `baocao
 * submit`, through the same parser (bc_report) and the same outbox call, so
 * it works while the link is down and the node daemon delivers it as any
 * other report. Before anything is filed the server checks every field:
 * a number (bc_report's rule), whole, not negative, a known indicator
 * that is not a rate, and a period that has started; the errors come back
 * by field, in Vietnamese, and nothing is filed while there is one.
 *
 * It is a program of its own, baocao-node-form (node_form_server.c),
 * which baocao-node runs in a child forked before the node opens its
 * outbox or any ZeroMQ socket: LMDB forbids opening one environment twice
 * in a process, and a second process is exactly what `baocao submit`
 * already is. The child dies with its parent (PR_SET_PDEATHSIG). Being
 * another program, not a fork of the daemon, keeps libmicrohttpd and the
 * GnuTLS it links out of the delivery daemon: 2.7 MiB of its resident
 * memory, and a TLS stack it never uses (BENCHMARKS.md, "The node's
 * memory"). The form can also be run alone, as `baocao-node-form --form
 * ... --store ... --unit ...`, beside a running node.
 *
 * A disaggregated indicator (issue 17) is a grid: /api/form gives it its
 * categories and the field of each cell, the combination's code
 * (`sxh_cases[age=0-4,sex=nu]`, as bc_report codes a CSV row with
 * category columns), from the node's copy of the hub's catalogue (the
 * only place the node holds categories: without a copy, totals alone).
 * Each posted cell is read as that CSV row by bc_report, and the report
 * goes through node_check like any other, so a breakdown the hub would
 * refuse (a cell not a count, a grid half filled, cells that do not sum
 * to the total typed beside them) is refused here, next to the cell or
 * the grid's total.
 *
 * Routes: / (the form), /form.js, /style.css, GET /api/form (unit,
 * catalogue, suggested period, grids), GET /api/reports (what was filed,
 * its delivery state and the hub's reason in Vietnamese), POST /api/file
 * (form-encoded: period, one field per indicator code, the total, and one
 * per grid cell). No login (the
 * station's own machine), so it listens on loopback only, and a POST must
 * come from the page itself: same Origin and an X-Baocao-Form header, which
 * no other site's page can send without the browser asking first.
 */
#ifndef NODE_FORM_H
#define NODE_FORM_H

#include "bc_config.h"
#include "bc_keys.h"

#include <netinet/in.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct {
    char *listen;      /* --form HOST:PORT (loopback), NULL: no form */
    char *catalog;     /* --catalog INDICATORS.csv */
    char *url_file;    /* --form-url-file: write the URL once listening */
} node_form_config_t;

/* The form's options, for a daemon's option table: offsets are within
 * node_form_config_t; node_form_options_into() shifts them. */
extern const bc_option_t node_form_options[];
extern const size_t node_form_noptions;

/* Copies the form's options into out[] with their offsets moved by `base`
 * (where a node_form_config_t sits inside the caller's config struct). */
void node_form_options_into(bc_option_t *out, size_t base);

/* Reads --form's "127.x.x.x:PORT" (or "localhost:PORT") into sa.
 * Returns BC_OK, or BC_EINVAL with a message in err: not that shape, or
 * not loopback (the form has no login). */
int node_form_listen_address(const char *listen, struct sockaddr_in *sa,
                             char *err, size_t errlen);

/* node_form_start's answer in the child process when baocao-node-form
 * could not be run. */
#define NODE_FORM_CHILD 1

/* Starts the form: a child process running baocao-node-form (found
 * beside this program) on the outbox in store for unit; hub and sec (as
 * the node connects) are where a missing catalogue is asked for. In the
 * parent returns BC_OK with *pid set (0 when cfg->listen is NULL: no
 * form), or BC_EINVAL (not a loopback address, no store or unit, a
 * catalogue without its columns) / BC_EIO (the catalogue cannot be read,
 * fork failed) with a message in err. In the child it returns only when
 * the program could not be run: NODE_FORM_CHILD, with *pid holding the
 * exit status the child must end with (127); the caller's main() returns
 * it at once. */
int node_form_start(const node_form_config_t *cfg, const char *store,
                    const char *unit, const char *hub,
                    const bc_security_t *sec, pid_t *pid, char *err,
                    size_t errlen);

/* Stops the child (SIGTERM, then waits). Accepts 0. */
void node_form_stop(pid_t pid);

#endif
