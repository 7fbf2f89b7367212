/*
 * test_flaky.c -- the weak-link proxy engine, in process: a small echo
 * server on 127.0.0.1:0 runs in one thread, the proxy in another, and the
 * test thread is the client.
 *
 * Timing assertions are lower bounds only (a held byte can never arrive
 * early; a loaded machine can always make it arrive late), so the test
 * cannot fail because CI is slow. Upper bounds are generous timeouts that
 * only catch hangs. The whole file runs in about five seconds.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "flaky_proxy.h"

#include "bc_log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ECHO_MAX 256            /* concurrent echo connections */
#define ECHO_BUF 16384          /* bytes an echo connection holds */
#define HANG_MS 10000           /* "it hangs" for the helpers below */

/* ---------------------------------------------------------------------
 * Helpers
 */
static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000,
                          .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Test data that does not depend on rand(). */
static void fill_random(unsigned char *buf, size_t n, uint64_t seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        buf[i] = (unsigned char) (seed >> 56);
    }
}

static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t) port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(connect(fd, (struct sockaddr *) &sa, sizeof sa), 0);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* Sends out[n] and receives n bytes into in[] at the same time (so that
 * neither side can block the other), within timeout_ms. Returns the bytes
 * received. */
static size_t exchange(int fd, const unsigned char *out, size_t n,
                       unsigned char *in, int timeout_ms)
{
    size_t sent = 0, got = 0;
    int64_t end = now_ms() + timeout_ms;
    while (got < n && now_ms() < end) {
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        if (sent < n)
            pf.events |= POLLOUT;
        if (poll(&pf, 1, 50) <= 0)
            continue;
        if ((pf.revents & POLLOUT) && sent < n) {
            ssize_t w = send(fd, out + sent, n - sent,
                             MSG_DONTWAIT | MSG_NOSIGNAL);
            if (w > 0)
                sent += (size_t) w;
        }
        if (pf.revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t r = recv(fd, in + got, n - got, MSG_DONTWAIT);
            if (r == 0 || (r < 0 && errno != EAGAIN))
                break;
            if (r > 0)
                got += (size_t) r;
        }
    }
    return got;
}

/* Waits up to timeout_ms for the peer to close fd. Returns 0 for a clean
 * end of stream, the errno for an abortive one (ECONNRESET), -1 if still
 * open. Data received meanwhile is discarded. */
static int wait_closed(int fd, int timeout_ms)
{
    int64_t end = now_ms() + timeout_ms;
    unsigned char buf[4096];
    while (now_ms() < end) {
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        if (poll(&pf, 1, 50) <= 0)
            continue;
        ssize_t r = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (r == 0)
            return 0;
        if (r < 0 && errno != EAGAIN && errno != EINTR)
            return errno;
    }
    return -1;
}

/* ---------------------------------------------------------------------
 * Echo server: one thread, poll(), echoes every byte back, closes after
 * flushing once the client has closed its side.
 */
typedef struct {
    int fd;                     /* the connection, -1 if the slot is free */
    bool eof;                   /* the client sent FIN */
    size_t len;                 /* bytes in buf */
    size_t off;                 /* bytes of buf already echoed */
    unsigned char buf[ECHO_BUF]; /* data read, to be echoed */
} echo_conn_t;

typedef struct {
    int listen_fd;              /* on 127.0.0.1:port */
    int port;                   /* chosen by the kernel */
    atomic_int stop;            /* asks the thread to return */
    pthread_t thread;           /* runs echo_main */
    echo_conn_t *conns;         /* ECHO_MAX slots */
} echo_t;

static void *echo_main(void *arg)
{
    echo_t *e = arg;
    struct pollfd pf[ECHO_MAX + 1];
    while (!atomic_load(&e->stop)) {
        pf[0] = (struct pollfd){.fd = e->listen_fd, .events = POLLIN};
        for (int i = 0; i < ECHO_MAX; i++) {
            echo_conn_t *c = &e->conns[i];
            pf[i + 1] = (struct pollfd){.fd = c->fd,
                                        .events = c->len ? POLLOUT : POLLIN};
        }
        if (poll(pf, ECHO_MAX + 1, 20) <= 0)
            continue;
        if (pf[0].revents & POLLIN) {
            int fd = accept4(e->listen_fd, NULL, NULL, SOCK_NONBLOCK);
            for (int i = 0; fd >= 0 && i < ECHO_MAX; i++) {
                if (e->conns[i].fd < 0) {
                    e->conns[i].fd = fd;
                    e->conns[i].eof = false;
                    e->conns[i].len = e->conns[i].off = 0;
                    fd = -1;
                }
            }
            if (fd >= 0)
                close(fd); /* full */
        }
        for (int i = 0; i < ECHO_MAX; i++) {
            echo_conn_t *c = &e->conns[i];
            if (c->fd < 0 || !pf[i + 1].revents)
                continue;
            bool drop = false;
            if (c->len) {
                ssize_t w = send(c->fd, c->buf + c->off, c->len - c->off,
                                 MSG_NOSIGNAL);
                if (w > 0) {
                    c->off += (size_t) w;
                    if (c->off == c->len)
                        c->len = c->off = 0;
                } else if (w < 0 && errno != EAGAIN) {
                    drop = true;
                }
            } else {
                ssize_t r = recv(c->fd, c->buf, sizeof c->buf, 0);
                if (r > 0)
                    c->len = (size_t) r;
                else if (r == 0)
                    c->eof = true;
                else if (errno != EAGAIN)
                    drop = true;
            }
            if (drop || (c->eof && c->len == 0)) {
                close(c->fd);
                c->fd = -1;
            }
        }
    }
    return NULL;
}

static void echo_start(echo_t *e)
{
    e->conns = calloc(ECHO_MAX, sizeof *e->conns);
    assert_non_null(e->conns);
    for (int i = 0; i < ECHO_MAX; i++)
        e->conns[i].fd = -1;
    e->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    assert_true(e->listen_fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(e->listen_fd, (struct sockaddr *) &sa, sizeof sa), 0);
    assert_int_equal(listen(e->listen_fd, 512), 0);
    socklen_t len = sizeof sa;
    assert_int_equal(
        getsockname(e->listen_fd, (struct sockaddr *) &sa, &len), 0);
    e->port = ntohs(sa.sin_port);
    atomic_init(&e->stop, 0);
    assert_int_equal(pthread_create(&e->thread, NULL, echo_main, e), 0);
}

static void echo_stop(echo_t *e)
{
    atomic_store(&e->stop, 1);
    pthread_join(e->thread, NULL);
    for (int i = 0; i < ECHO_MAX; i++)
        if (e->conns[i].fd >= 0)
            close(e->conns[i].fd);
    close(e->listen_fd);
    free(e->conns);
}

/* ---------------------------------------------------------------------
 * Fixture: an echo server (setup) and a proxy in front of it (started by
 * each test with its own configuration; stopped in teardown).
 */
typedef struct {
    echo_t echo;                /* the target */
    flaky_proxy_t *proxy;       /* the proxy under test, NULL until started */
    pthread_t thread;           /* runs the proxy */
    int run_rc;                 /* what flaky_proxy_run returned */
} fixture_t;

static void *proxy_main(void *arg)
{
    fixture_t *f = arg;
    f->run_rc = flaky_proxy_run(f->proxy, -1);
    return NULL;
}

static void config_for(const fixture_t *f, flaky_config_t *cfg)
{
    flaky_config_init(cfg);
    cfg->target_host = "127.0.0.1";
    cfg->target_port = f->echo.port;
    cfg->seed = 7;
}

/* Starts the proxy; returns its port. */
static int proxy_start(fixture_t *f, const flaky_config_t *cfg)
{
    f->proxy = flaky_proxy_new(cfg);
    assert_non_null(f->proxy);
    int port = flaky_proxy_port(f->proxy);
    assert_true(port > 0);
    assert_int_equal(pthread_create(&f->thread, NULL, proxy_main, f), 0);
    return port;
}

static flaky_stats_t stats(fixture_t *f)
{
    flaky_stats_t s;
    flaky_proxy_stats(f->proxy, &s);
    return s;
}

/* Counters are bumped by the proxy thread just after the I/O the client
 * sees, so poll them a little. */
static bool eventually(fixture_t *f, size_t field, uint64_t at_least)
{
    for (int64_t end = now_ms() + 2000; now_ms() < end; sleep_ms(10)) {
        flaky_stats_t s = stats(f);
        if (*(uint64_t *) (void *) ((char *) &s + field) >= at_least)
            return true;
    }
    return false;
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    echo_start(&f->echo);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    if (f->proxy) {
        flaky_proxy_stop(f->proxy);
        pthread_join(f->thread, NULL);
        assert_int_equal(f->run_rc, FLAKY_STOPPED);
        flaky_proxy_destroy(&f->proxy);
        assert_null(f->proxy);
    }
    echo_stop(&f->echo);
    free(f);
    return 0;
}

/* ---------------------------------------------------------------------
 * Tests
 */

/* (1) 100 KB of random bytes come back intact, through latency and a
 * jitter larger than it (which must not reorder anything), and a FIN
 * travels both ways. */
static void test_intact(void **state)
{
    fixture_t *f = *state;
    flaky_config_t cfg;
    config_for(f, &cfg);
    cfg.latency_ms = 5;
    cfg.jitter_ms = 20;
    int port = proxy_start(f, &cfg);

    enum { N = 100 * 1024 };
    unsigned char *out = malloc(N), *in = malloc(N);
    fill_random(out, N, 1);
    int fd = connect_to(port);
    assert_int_equal(exchange(fd, out, N, in, HANG_MS), N);
    assert_memory_equal(in, out, N);

    shutdown(fd, SHUT_WR); /* the echo server closes after its flush */
    assert_int_equal(wait_closed(fd, HANG_MS), 0);
    close(fd);

    assert_true(eventually(f, offsetof(flaky_stats_t, bytes_down), N));
    flaky_stats_t s = stats(f);
    assert_int_equal(s.bytes_up, N);
    assert_int_equal(s.bytes_down, N);
    assert_int_equal(s.accepted, 1);
    assert_int_equal(s.cuts, 0);
    free(out);
    free(in);
}

/* (2) 100 ms each way: a one-byte round trip takes at least 200 ms. */
static void test_latency(void **state)
{
    fixture_t *f = *state;
    flaky_config_t cfg;
    config_for(f, &cfg);
    cfg.latency_ms = 100;
    int port = proxy_start(f, &cfg);

    int fd = connect_to(port);
    unsigned char out = 'x', in = 0;
    int64_t t0 = now_ms();
    assert_int_equal(exchange(fd, &out, 1, &in, HANG_MS), 1);
    int64_t rtt = now_ms() - t0;
    assert_int_equal(in, 'x');
    assert_true(rtt >= 200);
    close(fd);
}

/* (3) 16 KiB at 64 kbit/s (8000 bytes/s) need at least ~2 s one way; the
 * bucket's initial burst is small, so 1.8 s is a safe lower bound. */
static void test_rate(void **state)
{
    fixture_t *f = *state;
    flaky_config_t cfg;
    config_for(f, &cfg);
    cfg.rate_bps = 64000;
    int port = proxy_start(f, &cfg);

    enum { N = 16 * 1024 };
    unsigned char *out = malloc(N), *in = malloc(N);
    fill_random(out, N, 3);
    int fd = connect_to(port);
    int64_t t0 = now_ms();
    assert_int_equal(exchange(fd, out, N, in, HANG_MS), N);
    int64_t took = now_ms() - t0;
    assert_memory_equal(in, out, N);
    assert_true(took >= 1800);
    close(fd);
    free(out);
    free(in);
}

/* (4) With a 200 ms mean lifetime the proxy resets the connection, no
 * earlier than the lifetime the seed predicts for the first connection. */
static void test_cut(void **state)
{
    fixture_t *f = *state;
    flaky_config_t cfg;
    config_for(f, &cfg);
    cfg.cut_mean_ms = 200;
    cfg.seed = 2; /* first lifetime 227 ms: time for one round trip */
    uint64_t lifetime;
    assert_int_equal(
        flaky_cut_schedule(cfg.seed, cfg.cut_mean_ms, &lifetime, 1), FLAKY_OK);
    int port = proxy_start(f, &cfg);

    int64_t t0 = now_ms();
    int fd = connect_to(port);
    unsigned char out = 'x', in = 0;
    /* The link works until it is cut; on a very slow machine the cut may
     * come first, and then it must not have come early. */
    if (exchange(fd, &out, 1, &in, HANG_MS) == 1) {
        int how = wait_closed(fd, HANG_MS);
        assert_int_not_equal(how, -1);     /* closed within 10 s */
        assert_int_equal(how, ECONNRESET); /* abruptly, not a clean FIN */
    }
    assert_true(now_ms() - t0 >= (int64_t) lifetime);
    close(fd);
    assert_true(eventually(f, offsetof(flaky_stats_t, cuts), 1));
    assert_int_equal(stats(f).accepted, 1);
}

/* (5) The same seed gives the same lifetimes; another seed others; and the
 * draws have the mean asked for. Deterministic, so not flaky. */
static void test_seed(void **state)
{
    (void) state;
    enum { N = 2000 };
    uint64_t *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b),
             *c = malloc(N * sizeof *c);
    assert_int_equal(flaky_cut_schedule(42, 200, a, N), FLAKY_OK);
    assert_int_equal(flaky_cut_schedule(42, 200, b, N), FLAKY_OK);
    assert_int_equal(flaky_cut_schedule(43, 200, c, N), FLAKY_OK);
    assert_memory_equal(a, b, N * sizeof *a);
    assert_memory_not_equal(a, c, N * sizeof *a);
    uint64_t sum = 0;
    for (int i = 0; i < N; i++)
        sum += a[i];
    assert_in_range(sum / N, 170, 230);
    assert_int_equal(flaky_cut_schedule(42, 0, a, 1), FLAKY_EINVAL);
    assert_int_equal(flaky_cut_schedule(42, 200, NULL, 1), FLAKY_EINVAL);
    free(a);
    free(b);
    free(c);
}

/* Data sent into a black hole is held, then delivered intact. */
static void test_blackhole(void **state)
{
    fixture_t *f = *state;
    flaky_config_t cfg;
    config_for(f, &cfg);
    cfg.blackhole_mean_ms = 50;
    cfg.blackhole_ms = 150;
    int port = proxy_start(f, &cfg);

    enum { N = 100 * 1024 };
    unsigned char *out = malloc(N), *in = malloc(N);
    fill_random(out, N, 5);
    assert_true(eventually(f, offsetof(flaky_stats_t, blackholes), 1));
    int fd = connect_to(port);
    assert_int_equal(exchange(fd, out, N, in, HANG_MS), N);
    assert_memory_equal(in, out, N);
    close(fd);
    assert_int_equal(stats(f).cuts, 0);
    free(out);
    free(in);
}

/* 200 connections at once, each with its own message; then all close
 * cleanly and the proxy lets go of them. */
static void test_many(void **state)
{
    fixture_t *f = *state;
    flaky_config_t cfg;
    config_for(f, &cfg);
    cfg.latency_ms = 20;
    int port = proxy_start(f, &cfg);

    enum { CONNS = 200, LEN = 64 };
    int fds[CONNS];
    unsigned char out[LEN], in[LEN];
    for (int i = 0; i < CONNS; i++)
        fds[i] = connect_to(port);
    for (int i = 0; i < CONNS; i++) {
        fill_random(out, LEN, (uint64_t) i + 100);
        assert_int_equal(send(fds[i], out, LEN, MSG_NOSIGNAL), LEN);
    }
    assert_true(eventually(f, offsetof(flaky_stats_t, active), CONNS));
    for (int i = 0; i < CONNS; i++) {
        fill_random(out, LEN, (uint64_t) i + 100);
        size_t got = 0;
        int64_t end = now_ms() + HANG_MS;
        while (got < LEN && now_ms() < end) {
            struct pollfd pf = {.fd = fds[i], .events = POLLIN};
            if (poll(&pf, 1, 50) > 0) {
                ssize_t r = recv(fds[i], in + got, LEN - got, 0);
                assert_true(r > 0);
                got += (size_t) r;
            }
        }
        assert_int_equal(got, LEN);
        assert_memory_equal(in, out, LEN);
    }
    for (int i = 0; i < CONNS; i++)
        close(fds[i]);
    for (int64_t end = now_ms() + HANG_MS; now_ms() < end && stats(f).active;)
        sleep_ms(10);
    flaky_stats_t s = stats(f);
    assert_int_equal(s.active, 0);
    assert_int_equal(s.accepted, CONNS);
    assert_int_equal(s.bytes_up, CONNS * LEN);
}

/* The engine without a thread: bad configurations are refused, run(0) is
 * one iteration, stop() is seen, max_seconds stops it by itself, and the
 * port file is written whole. */
static void test_api(void **state)
{
    fixture_t *f = *state;
    flaky_config_t cfg;
    char why[128];
    config_for(f, &cfg);
    cfg.blackhole_ms = 10; /* without a mean */
    assert_int_equal(flaky_config_check(&cfg, why, sizeof why), FLAKY_EINVAL);
    assert_non_null(strstr(why, "black hole"));
    bc_log_level_t level = bc_log_level;
    bc_log_level = BC_LOG_OFF; /* the refusal below is logged; expected */
    assert_null(flaky_proxy_new(&cfg));
    bc_log_level = level;
    config_for(f, &cfg);
    cfg.target_port = 0;
    assert_int_equal(flaky_config_check(&cfg, NULL, 0), FLAKY_EINVAL);
    assert_int_equal(flaky_proxy_run(NULL, 0), FLAKY_EINVAL);
    flaky_proxy_destroy(NULL);

    config_for(f, &cfg);
    flaky_proxy_t *p = flaky_proxy_new(&cfg);
    assert_non_null(p);
    assert_int_equal(flaky_proxy_run(p, 0), FLAKY_OK);
    assert_int_equal(flaky_proxy_run(p, 30), FLAKY_OK);
    flaky_proxy_stop(p);
    assert_int_equal(flaky_proxy_run(p, -1), FLAKY_STOPPED);
    assert_int_equal(flaky_proxy_run(p, 0), FLAKY_STOPPED);

    /* The port file, replaced atomically. */
    char path[64];
    snprintf(path, sizeof path, "/tmp/test_flaky.%ld.port", (long) getpid());
    assert_int_equal(flaky_write_port_file(path, 1), FLAKY_OK);
    assert_int_equal(flaky_write_port_file(path, flaky_proxy_port(p)),
                     FLAKY_OK);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    int read_port = 0;
    assert_int_equal(fscanf(fp, "%d", &read_port), 1);
    fclose(fp);
    unlink(path);
    assert_int_equal(read_port, flaky_proxy_port(p));
    assert_int_equal(flaky_write_port_file(path, 0), FLAKY_EINVAL);
    assert_true(flaky_write_port_file("/nonexistent-dir/x", 5) < 0);
    flaky_proxy_destroy(&p);
    assert_null(p);

    config_for(f, &cfg);
    cfg.max_seconds = 1;
    p = flaky_proxy_new(&cfg);
    assert_non_null(p);
    int64_t t0 = now_ms();
    assert_int_equal(flaky_proxy_run(p, -1), FLAKY_STOPPED);
    assert_true(now_ms() - t0 >= 900);
    flaky_proxy_destroy(&p);
}

int main(void)
{
    bc_log_init("test_flaky", BC_LOG_ERROR);
    /* 200 connections through a proxy to an echo server, all in this
     * process: 800 descriptors, close to a common soft limit of 1024. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_intact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_latency, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cut, setup, teardown),
        cmocka_unit_test(test_seed),
        cmocka_unit_test_setup_teardown(test_blackhole, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many, setup, teardown),
        cmocka_unit_test_setup_teardown(test_api, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
