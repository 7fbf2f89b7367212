/*
 * bc_test.c -- integration test support (see bc_test.h).
 */
#include "bc_test.h"
#include "bc_csv.h"
#include "bc_mem.h"
#include "bc_wire.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

char *bc_tmpdir(const char *tag)
{
    const char *base = getenv("TMPDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/baocao-%s-XXXXXX", base ? base : "/tmp",
             tag);
    char *dir = mkdtemp(path);
    assert_non_null(dir);
    return bc_strdup(dir);
}

static int rm_one(const char *path, const struct stat *st, int flag,
                  struct FTW *ftw)
{
    (void) st;
    (void) flag;
    (void) ftw;
    return remove(path);
}

void bc_rmtree(const char *path)
{
    if (path && !getenv("BC_KEEP_TMP"))
        nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void bc_write_file(const char *path, const char *content)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(content, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

char *bc_read_text(const char *path)
{
    FILE *fp = fopen(path, "rb");
    size_t cap = 1 << 16, len = 0, n;
    char *buf = bc_malloc(cap);
    while (fp && (n = fread(buf + len, 1, cap - len - 1, fp)) > 0) {
        len += n;
        if (cap - len < 2)
            buf = bc_realloc(buf, cap *= 2);
    }
    if (fp)
        fclose(fp);
    buf[len] = '\0';
    return buf;
}

bool bc_file_contains(const char *path, const char *needle)
{
    char *text = bc_read_text(path);
    bool found = strstr(text, needle) != NULL;
    free(text);
    return found;
}

int bc_count_lines(const char *text, const char *w1, const char *w2)
{
    int n = 0;
    const char *line = text;
    while (line && *line) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t) (nl - line) : strlen(line);
        char *copy = bc_strndup(line, len);
        if (strstr(copy, w1) && (!w2 || strstr(copy, w2)))
            n++;
        free(copy);
        line = nl ? nl + 1 : NULL;
    }
    return n;
}

/* One rotating set of buffers for bc_path and bc_key_path, so that a
 * call can hold several of their paths at once, whichever made them. */
static char *path_buffer(void)
{
    static char bufs[8][4096];
    static int next;
    return bufs[next++ % 8];
}

const char *bc_path(const char *dir, const char *name)
{
    char *b = path_buffer();
    snprintf(b, 4096, "%s/%s", dir, name);
    return b;
}

const char *bc_key_path(const char *dir, const char *name, const char *ext)
{
    char *b = path_buffer();
    snprintf(b, 4096, "%s/%s.%s", dir, name, ext);
    return b;
}

void bc_keygen(const char *dir, const char *name, char *pub)
{
    char out[4096];
    snprintf(out, sizeof out, "%s/%s", dir, name);
    const char *argv[] = {"keygen", "--out", out, NULL};
    char *text = NULL;
    assert_int_equal(bc_run("baocao", argv, &text), 0);
    assert_int_equal(strlen(text), 41);          /* the key and a newline */
    if (pub) {
        memcpy(pub, text, 40);
        pub[40] = '\0';
    }
    free(text);
}

static const char *env_path(const char *var, const char *fallback,
                            const char *rel)
{
    const char *base = getenv(var);
    return bc_path(base ? base : fallback, rel);
}

const char *bc_source(const char *rel)
{
    return env_path("BC_SOURCE_DIR", ".", rel);
}

const char *bc_shared(const char *rel)
{
    return env_path("BC_SHARED_DIR", "../shared", rel);
}

const char *bc_bin(const char *prog)
{
    return env_path("BC_BIN_DIR", "build/bin", prog);
}

/* Starts BC_BIN_DIR/prog (under wrap, when not NULL); its stdout goes to
 * out_path (truncated) or, when append is set, stdout and stderr both go
 * to out_path (appended). */
static pid_t start(const char *const *wrap, const char *prog,
                   const char *const *argv, const char *out_path,
                   bool append)
{
    char exe[4096];
    snprintf(exe, sizeof exe, "%s", bc_bin(prog));
    size_t n = 0, w = 0;
    while (argv && argv[n])
        n++;
    while (wrap && wrap[w])
        w++;
    char **args = bc_calloc(w + n + 2, sizeof *args);
    for (size_t i = 0; i < w; i++)
        args[i] = (char *) wrap[i];
    args[w] = exe;
    for (size_t i = 0; i < n; i++)
        args[w + i + 1] = (char *) argv[i];
    const char *path = w ? wrap[0] : exe;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (w) {
            setpgid(0, 0);
            /* LeakSanitizer cannot run under a tracer (it aborts at exit
             * in the sanitizer build); ASan's other checks still do. */
            const char *asan = getenv("ASAN_OPTIONS");
            char opts[1024];
            snprintf(opts, sizeof opts, "%s%sdetect_leaks=0",
                     asan ? asan : "", asan && *asan ? ":" : "");
            setenv("ASAN_OPTIONS", opts, 1);
        }
        int fd = open(out_path, O_WRONLY | O_CREAT
                                    | (append ? O_APPEND : O_TRUNC), 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            if (append)
                dup2(fd, 2);
            close(fd);
        }
        execv(path, args);
        _exit(127);
    }
    free(args);
    return pid;
}

bc_proc_t bc_spawn(const char *prog, const char *const *argv,
                   const char *log_path)
{
    pid_t pid = start(NULL, prog, argv, log_path ? log_path : "/dev/null",
                      true);
    return (bc_proc_t){pid, 0, false};
}

bc_proc_t bc_spawn_wrapped(const char *const *wrap, const char *prog,
                           const char *const *argv, const char *log_path)
{
    pid_t pid = start(wrap, prog, argv, log_path ? log_path : "/dev/null",
                      true);
    if (wrap && wrap[0])
        setpgid(pid, pid);   /* also here: no race with the first signal */
    return (bc_proc_t){pid, 0, wrap && wrap[0]};
}

int bc_wait(bc_proc_t *p, int timeout_ms)
{
    if (!p->pid)
        return WIFEXITED(p->status) ? WEXITSTATUS(p->status)
                                    : 128 + WTERMSIG(p->status);
    for (int waited = 0; waited <= timeout_ms; waited += 10) {
        pid_t r = waitpid(p->pid, &p->status, WNOHANG);
        if (r == p->pid) {
            p->pid = 0;
            return WIFEXITED(p->status) ? WEXITSTATUS(p->status)
                                        : 128 + WTERMSIG(p->status);
        }
        usleep(10000);
    }
    return -1;
}

int bc_stop(bc_proc_t *p, int sig, int timeout_ms)
{
    pid_t target = p->group ? -p->pid : p->pid;
    if (p->pid)
        kill(target, sig);
    int rc = bc_wait(p, timeout_ms);
    if (rc < 0 && p->pid) {
        kill(target, SIGKILL);
        bc_wait(p, 5000);
    }
    return rc;
}

static int run_capture(const char *prog, const char *const *argv,
                       char **out, bool with_stderr)
{
    char tmpl[] = "/tmp/baocao-run-XXXXXX";
    int fd = mkstemp(tmpl);
    assert_true(fd >= 0);
    close(fd);
    /* stdout to the capture file, stderr to the test's stderr (or to the
     * capture file too). */
    pid_t pid = start(NULL, prog, argv, tmpl, with_stderr);
    bc_proc_t p = {pid, 0, false};
    int rc = bc_wait(&p, 60000);
    if (rc < 0)
        rc = bc_stop(&p, SIGKILL, 5000);
    if (out) {
        FILE *f = fopen(tmpl, "r");
        assert_non_null(f);
        fseek(f, 0, SEEK_END);
        long len = ftell(f);
        fseek(f, 0, SEEK_SET);
        *out = bc_malloc((size_t) len + 1);
        size_t got = fread(*out, 1, (size_t) len, f);
        (*out)[got] = '\0';
        fclose(f);
    }
    unlink(tmpl);
    return rc;
}

int bc_run(const char *prog, const char *const *argv, char **out)
{
    return run_capture(prog, argv, out, false);
}

int bc_run_all(const char *prog, const char *const *argv, char **out)
{
    return run_capture(prog, argv, out, true);
}

/* A free loopback port below the kernel's ephemeral range (32768+): a
 * port in that range can be taken by a client's own outgoing connection
 * while the hub is down (a TCP self-connect), and the hub could not bind
 * it again. Random, so that tests running in parallel rarely collide, and
 * checked by binding it. */
static int free_port(void)
{
    static unsigned seed;
    if (!seed)
        seed = (unsigned) getpid() ^ (unsigned) time(NULL);
    for (int tries = 0; tries < 1000; tries++) {
        int port = 20000 + (int) (rand_r(&seed) % 12000);
        struct sockaddr_in addr = {0};
        addr.sin_family = AF_INET;
        addr.sin_port = htons((uint16_t) port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        int ok = bind(fd, (struct sockaddr *) &addr, sizeof addr) == 0;
        close(fd);
        if (ok)
            return port;
    }
    fail_msg("no free port");
    return -1;
}

/* The port-holding listeners that bc_hub_pause opened. A descriptor is
 * closed only if it is found here, so a hub struct that was never
 * initialised can never make us close somebody else's descriptor. */
enum { HELD_MAX = 64 };
static int held_fds[HELD_MAX];
static size_t held_count;

static void held_add(int fd)
{
    assert_true(held_count < HELD_MAX);
    held_fds[held_count++] = fd;
}

/* Closes fd if bc_hub_pause opened it; returns -1 for the caller to store. */
static int held_release(int fd)
{
    for (size_t i = 0; fd >= 0 && i < held_count; i++) {
        if (held_fds[i] == fd) {
            close(fd);
            held_fds[i] = held_fds[--held_count];
            break;
        }
    }
    return -1;
}

void bc_hub_init(bc_hub_t *hub)
{
    *hub = (bc_hub_t) BC_HUB_INIT;
}

void bc_hub_start(bc_hub_t *hub, const char *dir, const char *bind,
                  const char *const *extra)
{
    char chosen[64];
    if (!bind) {
        snprintf(chosen, sizeof chosen, "tcp://127.0.0.1:%d", free_port());
        bind = chosen;
    }
    char epfile[600];
    snprintf(hub->store, sizeof hub->store, "%s/hub", dir);
    snprintf(hub->log, sizeof hub->log, "%s/hub.log", dir);
    snprintf(epfile, sizeof epfile, "%s/hub.endpoint", dir);
    unlink(epfile);
    bool curve = false;
    for (size_t i = 0; extra && extra[i]; i++)
        if (strcmp(extra[i], "--curve-secret") == 0)
            curve = true;
    const char *args[64] = {
        "--store", hub->store, "--registry", bc_source("data/units.csv"),
        "--catalog", bc_source("data/indicators.csv"), "--bind", bind,
        "--endpoint-file", epfile, "--log-level", "debug"};
    size_t n = 12;
    if (!curve)
        args[n++] = "--plain";   /* plain unless the test asks for CURVE */
    for (size_t i = 0; extra && extra[i] && n < 63; i++)
        args[n++] = extra[i];
    args[n] = NULL;
    hub->hold_fd = held_release(hub->hold_fd);
    /* bc_source returns rotating buffers: copy before the next calls. */
    char reg[4096], cat[4096];
    snprintf(reg, sizeof reg, "%s", args[3]);
    snprintf(cat, sizeof cat, "%s", args[5]);
    args[3] = reg;
    args[5] = cat;
    hub->proc = bc_spawn_wrapped(hub->wrap, "baocao-hub", args, hub->log);
    for (int i = 0; i < 3000; i++) {
        FILE *f = fopen(epfile, "r");
        if (f) {
            char line[128] = "";
            if (fgets(line, sizeof line, f))
                line[strcspn(line, "\n")] = '\0';
            fclose(f);
            if (*line) {
                snprintf(hub->endpoint, sizeof hub->endpoint, "%s", line);
                return;
            }
        }
        if (bc_wait(&hub->proc, 0) >= 0)
            break;   /* it exited: fail below with its log */
        usleep(10000);
    }
    fprintf(stderr, "hub did not start; see %s\n", hub->log);
    fail();
}

int bc_hub_stop(bc_hub_t *hub)
{
    int rc = bc_stop(&hub->proc, SIGTERM, 10000);
    hub->hold_fd = held_release(hub->hold_fd);
    return rc;
}

int bc_hub_pause(bc_hub_t *hub, int sig)
{
    int rc = bc_stop(&hub->proc, sig, 10000);
    const char *colon = strrchr(hub->endpoint, ':');
    assert_non_null(colon);
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t) atoi(colon + 1));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    /* CLOEXEC: programs started later must not inherit the port. */
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    for (int i = 0; i < 100; i++) {
        if (bind(fd, (struct sockaddr *) &addr, sizeof addr) == 0)
            break;
        usleep(20000);
    }
    assert_int_equal(listen(fd, 1), 0);
    hub->hold_fd = held_release(hub->hold_fd);
    held_add(fd);
    hub->hold_fd = fd;
    return rc;
}

Baocao__Reply *bc_send(const char *endpoint, Baocao__Request *req)
{
    char err[256];
    bc_client_t *c = bc_client_new(endpoint, NULL, err, sizeof err);
    assert_non_null(c);
    Baocao__Reply *reply = NULL;
    int rc = bc_client_call(c, req, &reply, 20000);
    bc_client_destroy(&c);
    assert_int_equal(rc, 0);
    return reply;
}

Baocao__Reply *bc_query(const char *endpoint, const char *unit,
                        const char *period)
{
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    Baocao__Query q = BAOCAO__QUERY__INIT;
    q.unit = (char *) unit;
    q.period = (char *) period;
    req.body_case = BAOCAO__REQUEST__BODY_QUERY;
    req.query = &q;
    return bc_send(endpoint, &req);
}

const Baocao__Figure *bc_figure(const Baocao__Reply *r, const char *code)
{
    if (!r || r->body_case != BAOCAO__REPLY__BODY_QUERY)
        return NULL;
    for (size_t i = 0; i < r->query->n_figures; i++)
        if (!strcmp(r->query->figures[i]->indicator, code))
            return r->query->figures[i];
    return NULL;
}

bool bc_query_value(const char *endpoint, const char *unit,
                    const char *period, const char *indicator, int64_t *value)
{
    Baocao__Reply *r = bc_query(endpoint, unit, period);
    const Baocao__Figure *f = bc_figure(r, indicator);
    bool present = f && f->value && f->value->present;
    *value = present ? f->value->value : 0;
    baocao__reply__free_unpacked(r, NULL);
    return present;
}

void bc_hongbang_reports(const char *dir, const char *codes[9])
{
    static const char *ward_codes[9] = {
        "HP-HB-QT", "HP-HB-HV", "HP-HB-SD", "HP-HB-TC", "HP-HB-TL",
        "HP-HB-HL", "HP-HB-HVT", "HP-HB-PBC", "HP-HB-MK"};
    char err[256];
    bc_csv_t *csv = bc_csv_load(
        bc_shared("fixtures/hong-bang-2023-nutrition.csv"), err, sizeof err);
    assert_non_null(csv);
    assert_int_equal(bc_csv_rows(csv), 9);
    int c5 = bc_csv_column(csv, "children_under5");
    int c2 = bc_csv_column(csv, "children_under2");
    int cm = bc_csv_column(csv, "malnourished");
    int cu = bc_csv_column(csv, "underweight_children");
    for (size_t i = 0; i < 9; i++) {
        char body[512];
        snprintf(body, sizeof body,
                 "indicator,value\nsdd_u5,%s\nsdd_u2,%s\n"
                 "sdd_malnourished,%s\nsdd_underweight,%s\n",
                 bc_csv_field(csv, i, c5), bc_csv_field(csv, i, c2),
                 bc_csv_field(csv, i, cm), bc_csv_field(csv, i, cu));
        char name[64];
        snprintf(name, sizeof name, "%s.csv", ward_codes[i]);
        bc_write_file(bc_path(dir, name), body);
        codes[i] = ward_codes[i];
    }
    bc_csv_destroy(&csv);
}

bool bc_eventually(bool (*cond)(void *), void *arg, int timeout_ms)
{
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        if (cond(arg))
            return true;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long ms = (now.tv_sec - start.tv_sec) * 1000
                  + (now.tv_nsec - start.tv_nsec) / 1000000;
        if (ms > timeout_ms)
            return cond(arg);
        usleep(50000);
    }
}

Baocao__AckStatus bc_submit(const char *endpoint, const uint8_t *id,
                            const char *unit, const char *period,
                            uint32_t revision, int64_t filed_at,
                            const char *values)
{
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    Baocao__Submission sub = BAOCAO__SUBMISSION__INIT;
    Baocao__Value vals[128];
    Baocao__Value *ptrs[128];
    char *copy = bc_strdup(values), *save = NULL;
    size_t n = 0;
    for (char *tok = strtok_r(copy, ",", &save); tok && n < 128;
         tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        assert_non_null(eq);
        *eq = '\0';
        baocao__value__init(&vals[n]);
        vals[n].indicator = tok;
        vals[n].v_case = BAOCAO__VALUE__V_COUNT;
        vals[n].count = strtoll(eq + 1, NULL, 10);
        ptrs[n] = &vals[n];
        n++;
    }
    uint8_t fresh[16];
    bc_id_new(fresh);
    sub.id.data = (uint8_t *) (id ? id : fresh);
    sub.id.len = 16;
    sub.unit = (char *) unit;
    sub.period = (char *) period;
    sub.revision = revision;
    sub.filed_at = filed_at;
    sub.n_values = n;
    sub.values = ptrs;
    req.body_case = BAOCAO__REQUEST__BODY_SUBMIT;
    req.submit = &sub;
    Baocao__Reply *r = bc_send(endpoint, &req);
    free(copy);
    assert_int_equal(r->body_case, BAOCAO__REPLY__BODY_ACK);
    Baocao__AckStatus status = r->ack->status;
    baocao__reply__free_unpacked(r, NULL);
    return status;
}

int bc_fixture_setup(void **state)
{
    /* "test_figures" -> "figures": the folder says whose it is. */
    const char *tag = program_invocation_short_name;
    if (!strncmp(tag, "test_", 5))
        tag += 5;
    bc_fixture_t *f = bc_calloc(1, sizeof *f);
    f->dir = bc_tmpdir(tag);
    bc_hub_init(&f->hub);
    bc_hub_start(&f->hub, f->dir, NULL, NULL);
    *state = f;
    return 0;
}

int bc_fixture_teardown(void **state)
{
    bc_fixture_t *f = *state;
    assert_int_equal(bc_hub_stop(&f->hub), 0);
    bc_rmtree(f->dir);
    free(f->dir);
    free(f);
    *state = NULL;
    return 0;
}

void bc_curve_hub_start(bc_hub_t *hub, const char *dir, const char *units_csv,
                        const char *operators_csv, const char *admin)
{
    char units[4096], ops[4096], secret[4096], admin_pub[4096];
    snprintf(units, sizeof units, "%s/units.csv", dir);
    snprintf(ops, sizeof ops, "%s/operators.csv", dir);
    snprintf(secret, sizeof secret, "%s/hub.secret", dir);
    snprintf(admin_pub, sizeof admin_pub, "%s/%s.pub", dir, admin);
    bc_write_file(units, units_csv);
    bc_write_file(ops, operators_csv);
    const char *extra[] = {"--registry", units, "--curve-secret", secret,
                           "--operator-key", admin_pub, "--operators", ops,
                           NULL};
    bc_hub_start(hub, dir, NULL, extra);
}

int bc_url_file_port(const char *path)
{
    FILE *in = fopen(path, "r");
    if (!in)
        return 0;
    char line[256] = "";
    bool ok = fgets(line, sizeof line, in) != NULL;
    fclose(in);
    const char *colon = ok ? strrchr(line, ':') : NULL;
    return colon ? atoi(colon + 1) : 0;
}

int bc_form_request(int port, const char *method, const char *path,
                    const char *body, struct cJSON **doc)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t) port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *) &sa, sizeof sa), 0);
    size_t blen = body ? strlen(body) : 0;
    char *req = bc_malloc(blen + 1024);
    int n = snprintf(req, blen + 1024,
                     "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                     "X-Baocao-Form: 1\r\nConnection: close\r\n"
                     "Content-Type: application/x-www-form-urlencoded\r\n"
                     "Content-Length: %zu\r\n\r\n%s", method, path, port,
                     blen, body ? body : "");
    assert_int_equal(write(fd, req, (size_t) n), n);
    free(req);
    /* The server closes after its answer; a form's page is well under
     * this, and a longer answer fails to parse, so the test says so. */
    size_t cap = 1 << 18, got = 0;
    char *resp = bc_calloc(1, cap);
    ssize_t r;
    while ((r = read(fd, resp + got, cap - 1 - got)) > 0)
        got += (size_t) r;
    close(fd);
    int status = 0;
    sscanf(resp, "HTTP/1.%*d %d", &status);
    const char *b = strstr(resp, "\r\n\r\n");
    *doc = b ? cJSON_Parse(b + 4) : NULL;
    if (!*doc)
        fail_msg("not JSON: %s", resp);
    free(resp);
    return status;
}
