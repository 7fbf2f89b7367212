/*
 * node_form.c -- the station's form as baocao-node starts it (design in
 * node_form.h): its options, its address checked, and the child that
 * runs baocao-node-form (node_form_server.c), so that the delivery
 * daemon itself never loads an HTTP server or its TLS library.
 */
#include "node_form.h"

#include "bc_error.h"
#include "bc_log.h"
#include "node_form_catalog.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define FC(field) offsetof(node_form_config_t, field)
const bc_option_t node_form_options[] = {
    {"form", BC_OPT_STRING, FC(listen), 0, 0, NULL, "127.0.0.1:PORT",
     "also serve the station's form on this loopback address (port 0: any)"},
    {"catalog", BC_OPT_STRING, FC(catalog), 0, 0, NULL, "INDICATORS.csv",
     "the node's copy of the catalogue, which the form is made from"},
    {"form-url-file", BC_OPT_STRING, FC(url_file), 0, 0, NULL, "FILE",
     "write the form's URL into FILE once listening"},
};
const size_t node_form_noptions = sizeof node_form_options
                                  / sizeof node_form_options[0];

void node_form_options_into(bc_option_t *out, size_t base)
{
    for (size_t i = 0; i < node_form_noptions; i++) {
        out[i] = node_form_options[i];
        out[i].offset += base;
    }
}

int node_form_listen_address(const char *listen, struct sockaddr_in *sa,
                             char *err, size_t errlen)
{
    const char *colon = strrchr(listen, ':');
    char host[64];
    if (!colon || (size_t) (colon - listen) >= sizeof host)
        goto out_bad;
    memcpy(host, listen, (size_t) (colon - listen));
    host[colon - listen] = 0;
    char *end;
    long port = strtol(colon + 1, &end, 10);
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    if (*end || port < 0 || port > 65535
        || inet_pton(AF_INET, strcmp(host, "localhost") ? host : "127.0.0.1",
                     &sa->sin_addr) != 1)
        goto out_bad;
    sa->sin_port = htons((uint16_t) port);
    if ((ntohl(sa->sin_addr.s_addr) >> 24) != 127) {
        bc_set_error(err, errlen, "--form %s: the station's form has no "
                     "login, so it listens on loopback only (127.x.x.x)",
                     listen);
        return BC_EINVAL;
    }
    return BC_OK;
out_bad:
    bc_set_error(err, errlen, "--form '%s': expected 127.0.0.1:PORT",
                 listen);
    return BC_EINVAL;
}


/* baocao-node-form beside this program (both are installed in the same
 * folder, and built into the same one), into out. */
static void form_program(char *out, size_t size)
{
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = '\0';
    char *slash = strrchr(self, '/');
    if (slash)
        *slash = '\0';
    snprintf(out, size, "%s/baocao-node-form", slash ? self : ".");
}

int node_form_start(const node_form_config_t *cfg, const char *store,
                    const char *unit, const char *hub,
                    const bc_security_t *sec, pid_t *pid, char *err,
                    size_t errlen)
{
    *pid = 0;
    if (!cfg->listen)
        return BC_OK;
    struct sockaddr_in sa;
    int rc = node_form_listen_address(cfg->listen, &sa, err, errlen);
    if (rc)
        return rc;
    if (!store || !unit) {
        bc_set_error(err, errlen, "--form needs --store and --unit");
        return BC_EINVAL;
    }
    /* A catalogue that cannot be read is the node's start-up error, as
     * any other bad option, not a child's log line: it is read here once
     * to be checked, and again by the form. */
    if (cfg->catalog) {
        node_form_catalog_t cat = {0};
        rc = node_form_catalog_load(&cat, cfg->catalog, err, errlen);
        node_form_catalog_free(&cat);
        if (rc)
            return rc;
    }
    char prog[4200];
    form_program(prog, sizeof prog);
    const char *argv[24];
    size_t n = 0;
    argv[n++] = prog;
    argv[n++] = "--form";
    argv[n++] = cfg->listen;
    argv[n++] = "--store";
    argv[n++] = store;
    argv[n++] = "--unit";
    argv[n++] = unit;
    argv[n++] = "--log-level";
    argv[n++] = bc_log_level_name(bc_log_level);
    if (cfg->catalog) {
        argv[n++] = "--catalog";
        argv[n++] = cfg->catalog;
    }
    if (cfg->url_file) {
        argv[n++] = "--form-url-file";
        argv[n++] = cfg->url_file;
    }
    if (hub) {
        argv[n++] = "--hub";
        argv[n++] = hub;
    }
    if (!sec || !sec->hub_key) {
        argv[n++] = "--plain";
    } else {
        argv[n++] = "--hub-key";
        argv[n++] = sec->hub_key;
        if (sec->cert) {
            argv[n++] = "--cert";
            argv[n++] = sec->cert;
        }
    }
    argv[n] = NULL;
    pid_t child = fork();
    if (child == 0) {
        /* The form dies with the node. If its program cannot be run,
         * the exit status goes back to main(), which ends this process
         * (the library never exits). */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        execv(prog, (char *const *) argv);
        BC_ERROR("form: cannot run %s: %s (is the baocao-node package "
                 "whole?)", prog, strerror(errno));
        *pid = 127;
        return NODE_FORM_CHILD;
    }
    if (child < 0) {
        bc_set_error(err, errlen, "--form: fork failed");
        return BC_EIO;
    }
    *pid = child;
    return BC_OK;
}

void node_form_stop(pid_t pid)
{
    if (pid <= 0)
        return;
    kill(pid, SIGTERM);
    int st;
    waitpid(pid, &st, 0);
}
