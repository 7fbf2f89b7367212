/*
 * baocao_web.c -- main() of baocao-web, the operators' desk: options, the
 * hub link, the HTTP server, then wait for SIGINT/SIGTERM.
 *
 * The signals are blocked before the server starts its thread, so that
 * only this thread receives them (sigwait) and a stop is always clean.
 */
#include "bc_config.h"
#include "bc_error.h"
#include "bc_fs.h"
#include "bc_log.h"
#include "bc_version.h"
#include "web_auth.h"
#include "web_hub.h"
#include "web_server.h"

#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#ifndef BC_WEB_DATA_DIR
#define BC_WEB_DATA_DIR "data"
#endif

typedef struct {
    char *hub;              /* hub endpoint */
    char *hub_key;          /* hub's .pub: turns CURVE on */
    char *cert;             /* our operator key pair */
    bool plain;             /* plain link, explicitly */
    long long timeout_ms;   /* per request to the hub */
    char *listen;           /* HOST:PORT */
    char *registry;         /* units CSV */
    char *catalog;          /* indicators CSV */
    char *url_file;         /* write the URL here once listening */
    char *operators;        /* operators file: login required */
    char *set_password;     /* set this operator's password and exit */
    char *pending;          /* the hub's STORE/pending-keys: enrolment */
    long long hub_pid;      /* the hub, told to reload keys on approval */
    char *log_level;        /* debug, info, warn, error */
} web_config_t;

static const bc_option_t web_options[] = {
    {"hub", BC_OPT_STRING, offsetof(web_config_t, hub), 0, 0, NULL,
     "ENDPOINT", "the hub, e.g. tcp://127.0.0.1:5555"},
    {"hub-key", BC_OPT_STRING, offsetof(web_config_t, hub_key), 0, 0, NULL,
     "HUB.pub", "the hub's public key (CURVE)"},
    {"cert", BC_OPT_STRING, offsetof(web_config_t, cert), 0, 0, NULL,
     "OP.secret", "the operator's key pair the desk asks the hub with"},
    {"plain", BC_OPT_BOOL, offsetof(web_config_t, plain), 0, 0, NULL, NULL,
     "connect to the hub WITHOUT encryption (local demos and tests)"},
    {"timeout", BC_OPT_INT, offsetof(web_config_t, timeout_ms), 10, 600000,
     "5000", "MS", "how long to wait for each answer of the hub"},
    {"listen", BC_OPT_STRING, offsetof(web_config_t, listen), 0, 0,
     "127.0.0.1:8080", "HOST:PORT",
     "where to serve the pages (loopback unless told otherwise; port 0: "
     "any free port)"},
    {"registry", BC_OPT_STRING, offsetof(web_config_t, registry), 0, 0,
     BC_WEB_DATA_DIR "/units.csv", "UNITS.csv",
     "the hub's registry: children of a unit, phone numbers"},
    {"catalog", BC_OPT_STRING, offsetof(web_config_t, catalog), 0, 0,
     BC_WEB_DATA_DIR "/indicators.csv", "INDICATORS.csv",
     "the hub's catalogue: programme of each indicator"},
    {"url-file", BC_OPT_STRING, offsetof(web_config_t, url_file), 0, 0, NULL,
     "FILE", "write the pages' URL into FILE once listening"},
    {"operators", BC_OPT_STRING, offsetof(web_config_t, operators), 0, 0,
     NULL, "FILE", "operators who may log in (name:role:crypto_pwhash); "
     "without it nobody logs in and only loopback is served"},
    {"set-password", BC_OPT_STRING, offsetof(web_config_t, set_password), 0,
     0, NULL, "NAME", "set NAME's password in --operators FILE (read from "
     "standard input) and exit"},
    {"pending", BC_OPT_STRING, offsetof(web_config_t, pending), 0, 0, NULL,
     "FILE", "the hub's pending keys (STORE/pending-keys): approve "
     "enrolled stations on the page /enrol (needs --operators)"},
    {"hub-pid", BC_OPT_INT, offsetof(web_config_t, hub_pid), 0, 4194304,
     "0", "PID", "the hub's process, sent SIGHUP after an approval"},
    {"log-level", BC_OPT_STRING, offsetof(web_config_t, log_level), 0, 0,
     "info", "LEVEL", "debug, info, warn or error"},
};
#define NWEB (sizeof web_options / sizeof web_options[0])

static void usage(FILE *out)
{
    fprintf(out,
            "usage: baocao-web --hub ENDPOINT --listen 127.0.0.1:8080\n"
            "                  [--hub-key HUB.pub --cert OP.secret | "
            "--plain] [--operators FILE] [options]\n"
            "       baocao-web --operators FILE --set-password NAME   "
            "(password on stdin)\n\n"
            "The operators' desk: dashboard and completeness pages in a "
            "browser, with CSV\nexport, answered by the hub over the "
            "ordinary protocol.\n\noptions:\n");
    bc_config_usage(web_options, NWEB, out);
    fprintf(out, "\nexit status: 0 on a clean stop (SIGINT, SIGTERM), 1 when "
                 "it cannot listen,\n2 on bad usage.\n");
}

/* --set-password: one line from standard input, without its newline. */
static int set_password(const web_config_t *cfg)
{
    char line[WEB_PASSWORD_MAX + 2], err[512];
    if (!cfg->operators) {
        BC_ERROR("--set-password needs --operators FILE");
        return 2;
    }
    if (!fgets(line, sizeof line, stdin)) {
        BC_ERROR("--set-password: no password on standard input");
        return 2;
    }
    line[strcspn(line, "\r\n")] = 0;
    int rc = web_auth_set_password(cfg->operators, cfg->set_password, line,
                                   err, sizeof err);
    sodium_memzero(line, sizeof line);
    if (rc) {
        BC_ERROR("%s", err);
        return rc == BC_EIO ? 1 : 2;
    }
    printf("password of %s set in %s\n", cfg->set_password, cfg->operators);
    return 0;
}

static int write_url(const char *path, const char *url)
{
    char line[1024], err[512];
    int n = snprintf(line, sizeof line, "%s\n", url);
    if (n < 0 || (size_t) n >= sizeof line)
        return BC_EINVAL;
    int rc = bc_file_replace(path, line, (size_t) n, 0644, err, sizeof err);
    if (rc)
        BC_ERROR("%s", err);
    return rc;
}

int main(int argc, char **argv)
{
    if (bc_version_asked("baocao-web", argc, argv))
        return 0;
    web_config_t cfg;
    char err[512] = "";
    int status = 2;
    web_hub_t *hub = NULL;
    web_auth_t *auth = NULL;
    web_server_t *server = NULL;
    int rc = bc_config_daemon("baocao-web", "web", web_options, NWEB, &cfg,
                              offsetof(web_config_t, log_level), argc, argv,
                              usage);
    if (rc) {
        status = rc > 0 ? 0 : 2;
        goto out_free;
    }
    if (cfg.set_password) {
        status = set_password(&cfg);
        goto out_free;
    }
    if (!cfg.hub) {
        BC_ERROR("--hub ENDPOINT is required");
        goto out_free;
    }
    if (!cfg.plain && !cfg.hub_key) {
        BC_ERROR("pass the hub's public key (--hub-key hub.pub, with --cert "
                 "OP.secret), or --plain for a hub running without "
                 "encryption");
        goto out_free;
    }
    if (cfg.operators && !(auth = web_auth_new(cfg.operators, err,
                                               sizeof err))) {
        BC_ERROR("%s", err);
        goto out_free;
    }
    if (!auth)
        BC_WARN("no --operators: nobody logs in; anyone who can reach %s "
                "reads the figures", cfg.listen);
    bc_security_t sec = {cfg.plain ? NULL : cfg.hub_key, cfg.cert};
    if (!(hub = web_hub_new(cfg.hub, &sec, cfg.registry, cfg.catalog,
                            (int) cfg.timeout_ms, err, sizeof err))) {
        BC_ERROR("%s", err);
        goto out_auth;
    }

    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    status = 1;
    if (!(server = web_server_new(hub, auth, cfg.listen, err,
                                  sizeof err))) {
        BC_ERROR("%s", err);
        goto out_hub;
    }
    web_server_set_enrolment(server, cfg.registry, cfg.pending,
                             (long) cfg.hub_pid);
    char url[256];
    const char *host = web_server_host(server);
    snprintf(url, sizeof url, strchr(host, ':') ? "http://[%s]:%u/"
                                                : "http://%s:%u/",
             host, web_server_port(server));
    BC_INFO("serving %s (hub %s)", url, cfg.hub);
    if (cfg.url_file && write_url(cfg.url_file, url)) {
        BC_ERROR("cannot write --url-file %s", cfg.url_file);
        goto out_server;
    }
    int sig = 0;
    sigwait(&stop, &sig);
    BC_INFO("stopping on signal %d", sig);
    status = 0;
out_server:
    web_server_destroy(&server);
out_hub:
    web_hub_destroy(&hub);
out_auth:
    web_auth_destroy(&auth);
out_free:
    bc_config_free(web_options, NWEB, &cfg);
    return status;
}
