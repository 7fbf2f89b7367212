/*
 * web_server.h -- baocao-web's HTTP server: pages, their JSON and CSV.
 *
 * One libmicrohttpd daemon with one internal thread answers every request
 * in turn, so the hub link (web_hub_t, not thread-safe) needs no lock; a
 * page costs a few milliseconds of hub requests, which an operators' desk
 * of a province can afford to serialise.
 *
 * Routes (GET and HEAD; POST only to the two forms; anything else 405):
 *
 *   /login                  login page; POST name, password, next
 *   /logout                 POST csrf: ends the session
 *   /api/session            {"login", "name", "role", "csrf"} for the pages
 *   /enrol                  enrolment page; GET /api/enrolments, POST
 *                           /api/enroll (web_server_set_enrolment)
 *   /                       dashboard page      (?unit=&period=&indicator=)
 *   /completeness           completeness page   (?unit=&period=)
 *   /app.js, /style.css, /chart.min.js ...   embedded assets (web_assets.h)
 *   /api/dashboard          the dashboard's JSON (web_hub_dashboard)
 *   /api/completeness       the grid's JSON      (web_hub_completeness)
 *   /export/dashboard.csv   the indicator table as CSV
 *   /export/children.csv    the children's ranking as CSV
 *   /export/completeness.csv  the grid as CSV
 *   /export/dashboard.xlsx  the dashboard as an Excel workbook (web_xlsx)
 *   /export/completeness.xlsx  the grid as an Excel workbook
 *
 * With --operators every route but /login and its script and style needs
 * the session cookie (HttpOnly, SameSite=Strict): a page without one is
 * sent to /login (303), an /api or /export request gets 401. A posted
 * form must be application/x-www-form-urlencoded (else 415), at most
 * 4 KiB (413), from this server's own origin (403), and the logout form
 * must carry the session's CSRF token (403).
 *
 * Bad input never reaches the hub: an argument longer than 64 bytes or
 * with a byte outside [A-Za-z0-9_-] is 400, an unknown unit or indicator
 * 404, a URL over 1 KiB 414, headers over the connection's 16 KiB 431
 * (libmicrohttpd). A hub that does not answer is 502/504. The server goes
 * on serving after each of them.
 */
#ifndef WEB_SERVER_H
#define WEB_SERVER_H

#include "web_auth.h"
#include "web_hub.h"

#include <stddef.h>

typedef struct web_server_t web_server_t;

/* Starts serving on listen ("HOST:PORT"; HOST an IPv4 or bracketed IPv6
 * address or "localhost"; PORT 0 picks a free port) with its own thread,
 * answering from hub. With auth, every page but the login page needs a
 * logged-in operator; with auth NULL nobody logs in, and only a loopback
 * address is accepted. hub and auth are borrowed: they must outlive the
 * server. A non-loopback address (with auth) is logged as a warning.
 * Returns NULL with a message in err when the address is malformed, not
 * loopback without auth, or cannot be bound. */
web_server_t *web_server_new(web_hub_t *hub, web_auth_t *auth,
                             const char *listen, char *err, size_t errlen);

/* Turns on the enrolment page (/enrol, GET /api/enrolments, POST
 * /api/enroll: unit, fingerprint, csrf): the hub's pending keys are read
 * from `pending`, an approved key is written into `registry` (the hub's
 * file) exactly as `baocao registry approve-key` does (bc_enroll.h), and
 * hub_pid (when > 0) gets SIGHUP. Needs --operators: a desk without login
 * approves nothing. Strings are borrowed. */
void web_server_set_enrolment(web_server_t *self, const char *registry,
                              const char *pending, long hub_pid);

/* The port actually bound (useful after PORT 0). */
unsigned web_server_port(const web_server_t *self);

/* The host part as given, for printing the URL. */
const char *web_server_host(const web_server_t *self);

/* Stops the thread (requests in progress finish) and frees; accepts NULL;
 * clears *self_p. */
void web_server_destroy(web_server_t **self_p);

#endif
