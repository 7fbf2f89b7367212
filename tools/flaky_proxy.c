/*
 * flaky_proxy.c -- the weak-link proxy engine (see flaky_proxy.h for what
 * it simulates and why).
 *
 * Shape: one thread, one poll() per iteration over the wake pipe, the
 * listening socket and two sockets per connection. Each connection has two
 * lanes, lane[0] client->target and lane[1] target->client; lane i reads
 * fd[i] and writes fd[1 - i]. Bytes read are queued in chunks stamped with
 * the monotonic time at which they may leave (now + latency + jitter, never
 * earlier than the bytes before them). Every iteration:
 *
 *   1. service: enter/leave black holes, cut connections whose lifetime is
 *      over, write what is released and allowed by the token bucket, pass
 *      FINs on once their own delay is over;
 *   2. build the poll set: POLLIN only while a lane is under max_pending
 *      (that is the backpressure: the kernel buffers fill and the sender's
 *      TCP window closes), POLLOUT only after a write hit EAGAIN;
 *   3. poll until the earliest timer (a release, a token refill, a cut, a
 *      black hole edge) or an event;
 *   4. accept, finish upstream connects, read into the lanes, service again.
 *
 * A socket with nothing to wait for is left out of the poll set (fd -1)
 * rather than polled with no events, because poll() reports POLLHUP and
 * POLLERR regardless and a closed peer would make us spin; its error is
 * found by the next read or write instead.
 *
 * Connections are only freed in sweep(), at the end of an iteration, so
 * that the poll set indices stay valid while events are handled.
 *
 * What the link does to the bytes (the delay lines, the token buckets, the
 * black-hole schedule, the random streams) is its model, in flaky_link.c;
 * this file moves the bytes between sockets and keeps the poll loop.
 */
#include "flaky_proxy.h"
#include "flaky_link.h"

#include "bc_log.h"
#include "bc_mem.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define SIDE_CLIENT 0           /* fd[] index of the accepted socket */
#define SIDE_SERVER 1           /* fd[] index of the upstream socket */

#define READ_MAX 16384          /* bytes per recv() */
#define ACCEPT_BATCH 64         /* accepts per iteration, to stay fair */
#define ACCEPT_PAUSE_US 100000  /* after EMFILE, wait before accepting */
#define LISTEN_BACKLOG 512     /* room for bursts of 200+ connects */

typedef struct {
    uint64_t id;                /* accept order, from 1, for the logs */
    int fd[2];                  /* [SIDE_CLIENT], [SIDE_SERVER]; -1 = none */
    bool connecting;            /* upstream connect() still in progress */
    bool has_cut;               /* a cut is scheduled at cut_us */
    uint64_t cut_us;            /* when to cut it */
    flaky_lane_t lane[2];       /* [0] client->target, [1] target->client */
    bool dead;                  /* closed; freed by the next sweep() */
} conn_t;

struct flaky_proxy {
    flaky_config_t cfg;         /* copy of the configuration */
    char *target_host;          /* our copy of cfg.target_host */
    struct sockaddr_storage target_addr; /* resolved target */
    socklen_t target_len;       /* its length */
    int listen_fd;              /* listening socket on 127.0.0.1 */
    int port;                   /* the port it is bound to */
    int wake[2];                /* self-pipe: stop() writes, poll() wakes */
    atomic_int stop;            /* set by flaky_proxy_stop() */
    atomic_int forced;          /* set by flaky_proxy_blackhole() */
    bool forced_on;             /* inside a forced black hole now */
    bool stopped;               /* run() has returned FLAKY_STOPPED */
    conn_t **conns;             /* live (and just-dead) connections */
    size_t nconns;              /* entries used in conns */
    struct pollfd *pfds;        /* poll set: wake, listen, 2 per conn */
    flaky_link_t link;          /* latency, jitter, rate: every lane's */
    flaky_rng_t cut_rng;        /* lifetimes, one per accepted connection */
    flaky_outage_t outage;      /* black holes; outage.in: inside one now */
    uint64_t deadline_us;       /* max_seconds as a time, or FLAKY_NEVER */
    uint64_t accept_pause_us;   /* do not accept before (after EMFILE) */
    uint64_t next_id;           /* id of the next accepted connection */
    /* Counters (see flaky_stats_t), atomic because tests read them from
     * another thread while run() goes on. */
    _Atomic uint64_t bytes_up;          /* client -> target bytes written */
    _Atomic uint64_t bytes_down;        /* target -> client bytes written */
    _Atomic uint64_t accepted;          /* connections accepted */
    _Atomic uint64_t cuts;              /* connections cut on purpose */
    _Atomic uint64_t blackholes;        /* black holes entered */
    _Atomic uint64_t upstream_failures; /* target refused or reset */
    _Atomic uint64_t active;            /* connections open now */
};

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

static void count(_Atomic uint64_t *c, uint64_t n)
{
    atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static void uncount(_Atomic uint64_t *c)
{
    atomic_fetch_sub_explicit(c, 1, memory_order_relaxed);
}

static void set_nodelay(int fd)
{
    /* Nagle would add delays of its own on top of the ones we simulate. */
    int one = 1;
    (void) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

int flaky_write_port_file(const char *path, int port)
{
    if (!path || port < 1 || port > 65535)
        return FLAKY_EINVAL;
    int rc = FLAKY_OK;
    char tmp[4096];
    int n = snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long) getpid());
    if (n < 0 || (size_t) n >= sizeof tmp)
        return FLAKY_EINVAL;
    char text[16];
    int len = snprintf(text, sizeof text, "%d\n", port);

    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        rc = -errno;
        BC_WARN("port file: open %s: %s", tmp, strerror(errno));
        return rc;
    }
    ssize_t w = write(fd, text, (size_t) len);
    if (w != len) {
        rc = w < 0 ? -errno : -EIO;
        BC_WARN("port file: write %s: %s", tmp, flaky_strerror(rc));
        goto out_close_unlink;
    }
    /* Flushed before the rename, so that the name never points at an
     * empty file after a crash. */
    if (fsync(fd) != 0) {
        rc = -errno;
        BC_WARN("port file: fsync %s: %s", tmp, strerror(errno));
        goto out_close_unlink;
    }
    if (close(fd) != 0) {
        fd = -1;
        rc = -errno;
        BC_WARN("port file: close %s: %s", tmp, strerror(errno));
        goto out_unlink;
    }
    fd = -1;
    if (rename(tmp, path) != 0) {
        rc = -errno;
        BC_WARN("port file: rename %s to %s: %s", tmp, path, strerror(errno));
        goto out_unlink;
    }
    return FLAKY_OK;

out_close_unlink:
    close(fd);
out_unlink:
    unlink(tmp);
    return rc;
}

/* ---------------------------------------------------------------------
 * Lanes: their bytes between the sockets (the model is flaky_link.c)
 */
/* Writes what is due on lane i of c. Returns 0 or a negated errno (the
 * destination failed: the caller resets the connection). */
static int lane_pump(flaky_proxy_t *p, conn_t *c, int i, uint64_t now)
{
    flaky_lane_t *l = &c->lane[i];
    int out = c->fd[1 - i];
    const unsigned char *data;
    size_t want;
    l->want_out = false;
    if (l->eof_out)
        return 0;
    while (flaky_lane_due(&p->link, l, now, &data, &want)) {
        ssize_t n = send(out, data, want, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                l->want_out = true;
                return 0;
            }
            return -errno;
        }
        flaky_lane_sent(&p->link, l, (size_t) n);
        count(i == SIDE_CLIENT ? &p->bytes_up : &p->bytes_down, (uint64_t) n);
    }
    if (flaky_lane_eof_due(l, now)) {
        /* The source closed its side; tell the destination, no earlier
         * than its bytes would have arrived. */
        if (shutdown(out, SHUT_WR) != 0 && errno != ENOTCONN)
            return -errno;
        l->eof_out = true;
    }
    return 0;
}

/* Reads once from fd[i] into lane i. Returns 0 or a negated errno. */
static int lane_read(flaky_proxy_t *p, conn_t *c, int i, uint64_t now)
{
    flaky_lane_t *l = &c->lane[i];
    unsigned char buf[READ_MAX];
    ssize_t n = recv(c->fd[i], buf, sizeof buf, 0);
    if (n > 0) {
        flaky_lane_push(&p->link, l, buf, (size_t) n, now);
        return 0;
    }
    if (n == 0) {
        flaky_lane_eof(&p->link, l, now);
        return 0;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
        return 0;
    return -errno;
}

/* ---------------------------------------------------------------------
 * Connections
 */

/* Closes both sockets: with reset, SO_LINGER 0 makes close() send an RST
 * and drop unsent data, which is what a dying radio link looks like to an
 * application (an error, not a clean end of stream). */
static void conn_close(flaky_proxy_t *p, conn_t *c, bool reset)
{
    if (c->dead)
        return;
    for (int s = 0; s < 2; s++) {
        if (c->fd[s] < 0)
            continue;
        if (reset) {
            struct linger lg = {.l_onoff = 1, .l_linger = 0};
            (void) setsockopt(c->fd[s], SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        }
        close(c->fd[s]);
        c->fd[s] = -1;
    }
    flaky_lane_clear(&c->lane[0]);
    flaky_lane_clear(&c->lane[1]);
    c->dead = true;
    uncount(&p->active);
}

static void conn_fail(flaky_proxy_t *p, conn_t *c, const char *what, int err)
{
    BC_DEBUG("conn %llu: %s: %s; resetting", (unsigned long long) c->id,
             what, flaky_strerror(err));
    conn_close(p, c, true);
}

/* Starts the non-blocking connect to the target. Returns 0 or a negated
 * errno. */
static int upstream_start(flaky_proxy_t *p, conn_t *c)
{
    int fd = socket(p->target_addr.ss_family,
                    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    set_nodelay(fd);
    c->connecting = false;
    if (connect(fd, (struct sockaddr *) &p->target_addr, p->target_len) != 0) {
        if (errno != EINPROGRESS) {
            int err = -errno;
            close(fd);
            return err;
        }
        c->connecting = true;
    }
    c->fd[SIDE_SERVER] = fd;
    return 0;
}

static void upstream_failed(flaky_proxy_t *p, conn_t *c, int err)
{
    count(&p->upstream_failures, 1);
    BC_WARN("conn %llu: connecting to %s:%d: %s", (unsigned long long) c->id,
            p->target_host, p->cfg.target_port, flaky_strerror(err));
    conn_close(p, c, true);
}

/* Timers and writes for one connection. */
static void conn_service(flaky_proxy_t *p, conn_t *c, uint64_t now)
{
    if (c->dead)
        return;
    if (c->has_cut && now >= c->cut_us) {
        count(&p->cuts, 1);
        BC_DEBUG("conn %llu: cut (%zu + %zu bytes pending dropped)",
                 (unsigned long long) c->id, c->lane[0].pending,
                 c->lane[1].pending);
        conn_close(p, c, true);
        return;
    }
    if (p->outage.in)
        return;
    if (c->fd[SIDE_SERVER] < 0) {
        /* Accepted during a black hole: connect now that it is over. */
        int err = upstream_start(p, c);
        if (err) {
            upstream_failed(p, c, err);
            return;
        }
    }
    if (c->connecting)
        return;
    for (int i = 0; i < 2; i++) {
        int err = lane_pump(p, c, i, now);
        if (err) {
            conn_fail(p, c, "write", err);
            return;
        }
    }
    if (c->lane[0].eof_out && c->lane[1].eof_out) {
        BC_DEBUG("conn %llu: closed by both ends", (unsigned long long) c->id);
        conn_close(p, c, false);
    }
}

/* Events from one poll for one connection. */
static void conn_events(flaky_proxy_t *p, conn_t *c, const struct pollfd *pf,
                        uint64_t now)
{
    if (c->dead)
        return;
    if (c->connecting) {
        if (!(pf[SIDE_SERVER].revents & (POLLOUT | POLLERR | POLLHUP)))
            return;
        int soerr = 0;
        socklen_t len = sizeof soerr;
        if (getsockopt(c->fd[SIDE_SERVER], SOL_SOCKET, SO_ERROR, &soerr,
                       &len) != 0)
            soerr = errno;
        if (soerr) {
            upstream_failed(p, c, -soerr);
            return;
        }
        c->connecting = false;
        BC_DEBUG("conn %llu: connected upstream", (unsigned long long) c->id);
        return;
    }
    for (int s = 0; s < 2; s++) {
        short rev = pf[s].revents;
        if (pf[s].fd < 0 || !rev)
            continue;
        if (rev & POLLERR) {
            int soerr = 0;
            socklen_t len = sizeof soerr;
            (void) getsockopt(c->fd[s], SOL_SOCKET, SO_ERROR, &soerr, &len);
            conn_fail(p, c, s == SIDE_CLIENT ? "client socket"
                                             : "target socket",
                      soerr ? -soerr : -EIO);
            if (s == SIDE_SERVER)
                count(&p->upstream_failures, 1);
            return;
        }
        if ((rev & (POLLIN | POLLHUP)) && (pf[s].events & POLLIN)) {
            int err = lane_read(p, c, s, now);
            if (err) {
                conn_fail(p, c, "read", err);
                if (s == SIDE_SERVER)
                    count(&p->upstream_failures, 1);
                return;
            }
        }
        if (rev & POLLOUT)
            c->lane[1 - s].want_out = false; /* lane 1-s writes fd[s] */
    }
}

/* What to poll fd[s] of c for. */
static short conn_events_wanted(const flaky_proxy_t *p, const conn_t *c, int s)
{
    if (c->dead || p->outage.in || c->fd[s] < 0 || c->fd[SIDE_SERVER] < 0)
        return 0;
    if (c->connecting)
        return s == SIDE_SERVER ? POLLOUT : 0;
    short ev = 0;
    const flaky_lane_t *in = &c->lane[s];      /* lane s reads fd[s] */
    const flaky_lane_t *out = &c->lane[1 - s]; /* lane 1-s writes fd[s] */
    if (!in->eof_in && in->pending < p->cfg.max_pending)
        ev |= POLLIN;
    if (out->want_out)
        ev |= POLLOUT;
    return ev;
}

static void accept_new(flaky_proxy_t *p, uint64_t now)
{
    for (int k = 0; k < ACCEPT_BATCH && p->nconns < p->cfg.max_conns; k++) {
        int fd = accept4(p->listen_fd, NULL, NULL,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            /* Out of descriptors or memory: the listening socket stays
             * readable, so back off instead of spinning on it. */
            BC_WARN("accept: %s; pausing accepts for %d ms", strerror(errno),
                    ACCEPT_PAUSE_US / 1000);
            p->accept_pause_us = now + ACCEPT_PAUSE_US;
            return;
        }
        set_nodelay(fd);
        conn_t *c = bc_calloc(1, sizeof *c);
        c->id = ++p->next_id;
        c->fd[SIDE_CLIENT] = fd;
        c->fd[SIDE_SERVER] = -1;
        /* Drawn for every connection, in accept order, so that the Nth
         * one gets the Nth lifetime of flaky_cut_schedule(). */
        if (p->cfg.cut_mean_ms) {
            c->has_cut = true;
            c->cut_us = now + 1000u * flaky_rng_exp_ms(&p->cut_rng,
                                                        p->cfg.cut_mean_ms);
        }
        flaky_lane_init(&p->link, &c->lane[0], now);
        flaky_lane_init(&p->link, &c->lane[1], now);
        p->conns[p->nconns++] = c;
        count(&p->accepted, 1);
        count(&p->active, 1);
        BC_DEBUG("conn %llu: accepted%s", (unsigned long long) c->id,
                 p->outage.in ? " (held: black hole)" : "");
        if (!p->outage.in) {
            int err = upstream_start(p, c);
            if (err)
                upstream_failed(p, c, err);
        }
    }
}

/* Frees dead connections, keeping the order of the live ones. */
static void sweep(flaky_proxy_t *p)
{
    size_t j = 0;
    for (size_t i = 0; i < p->nconns; i++) {
        if (p->conns[i]->dead)
            free(p->conns[i]);
        else
            p->conns[j++] = p->conns[i];
    }
    p->nconns = j;
}

/* Enters and leaves black holes according to the clock. */
static void blackhole_update(flaky_proxy_t *p, uint64_t now)
{
    /* A black hole asked for by flaky_proxy_blackhole() overrides the
     * schedule while it lasts. */
    bool want = atomic_load(&p->forced) != 0;
    if (want && !p->forced_on) {
        p->forced_on = true;
        if (!p->outage.in)
            count(&p->blackholes, 1);
        p->outage.in = true;
        BC_INFO("black hole (asked for): nothing passes until it is lifted");
    } else if (!want && p->forced_on) {
        p->forced_on = false;
        p->outage.in = false;
        BC_INFO("black hole lifted: held data flows again");
    }
    if (p->forced_on)
        return;
    unsigned entered = flaky_outage_update(&p->outage, now);
    if (entered)
        count(&p->blackholes, entered);
}

static void service_all(flaky_proxy_t *p)
{
    uint64_t now = now_us();
    blackhole_update(p, now);
    for (size_t i = 0; i < p->nconns; i++)
        conn_service(p, p->conns[i], now);
}

/* One iteration; poll() blocks no later than `until`. Returns 0 or a
 * negated errno from poll(). */
static int iterate(flaky_proxy_t *p, uint64_t until)
{
    /* 1. timers and due writes */
    service_all(p);
    sweep(p);

    /* 2. the poll set, and the earliest time-driven wake-up */
    uint64_t now = now_us();
    uint64_t wake = until < p->deadline_us ? until : p->deadline_us;
    struct pollfd *pf = p->pfds;
    pf[0] = (struct pollfd){.fd = p->wake[0], .events = POLLIN};
    pf[1] = (struct pollfd){.fd = -1, .events = POLLIN};
    if (p->nconns < p->cfg.max_conns) {
        if (now >= p->accept_pause_us)
            pf[1].fd = p->listen_fd;
        else if (p->accept_pause_us < wake)
            wake = p->accept_pause_us;
    }
    /* While a black hole is forced the schedule stands still (its edge
     * may lie in the past: waking for it would spin); lifting the force
     * writes the wake pipe. */
    uint64_t edge = p->forced_on ? FLAKY_NEVER : flaky_outage_edge(&p->outage);
    if (edge < wake)
        wake = edge;
    size_t npolled = p->nconns;
    for (size_t i = 0; i < npolled; i++) {
        conn_t *c = p->conns[i];
        for (int s = 0; s < 2; s++) {
            short ev = conn_events_wanted(p, c, s);
            pf[2 + 2 * i + (size_t) s] =
                (struct pollfd){.fd = ev ? c->fd[s] : -1, .events = ev};
        }
        if (c->has_cut && c->cut_us < wake)
            wake = c->cut_us;
        if (!p->outage.in && !c->connecting) {
            for (int l = 0; l < 2; l++) {
                uint64_t t = flaky_lane_wake(&p->link, &c->lane[l], now);
                if (t < wake)
                    wake = t;
            }
        }
    }

    /* 3. wait; rounding up so that we never wake just before a timer */
    int timeout = -1;
    if (wake != FLAKY_NEVER) {
        uint64_t ms = wake > now ? (wake - now + 999) / 1000 : 0;
        timeout = ms > INT_MAX ? INT_MAX : (int) ms;
    }
    int n = poll(pf, 2 + 2 * npolled, timeout);
    if (n < 0) {
        if (errno == EINTR)
            return 0;
        int err = -errno;
        BC_WARN("poll: %s", strerror(errno));
        return err;
    }

    /* 4. events, then write what they made due */
    now = now_us();
    if (pf[0].revents & POLLIN) {
        char drain[64];
        while (read(p->wake[0], drain, sizeof drain) > 0) {
        }
    }
    blackhole_update(p, now);
    for (size_t i = 0; i < npolled; i++)
        conn_events(p, p->conns[i], &pf[2 + 2 * i], now);
    if (pf[1].fd >= 0 && (pf[1].revents & POLLIN))
        accept_new(p, now);
    service_all(p);
    sweep(p);
    return 0;
}

/* ---------------------------------------------------------------------
 * Public life cycle
 */
static int resolve_target(flaky_proxy_t *p)
{
    char port[16];
    snprintf(port, sizeof port, "%d", p->cfg.target_port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    int gai = getaddrinfo(p->target_host, port, &hints, &res);
    if (gai != 0 || !res) {
        BC_ERROR("cannot resolve target %s:%s: %s", p->target_host, port,
                 gai ? gai_strerror(gai) : "no address");
        return FLAKY_ERESOLVE;
    }
    memcpy(&p->target_addr, res->ai_addr, res->ai_addrlen);
    p->target_len = res->ai_addrlen;
    freeaddrinfo(res);
    return FLAKY_OK;
}

static int listen_on(flaky_proxy_t *p)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        int err = -errno;
        BC_ERROR("socket: %s", strerror(errno));
        return err;
    }
    int err = 0;
    int one = 1;
    /* Tests restart proxies on the same port; TIME_WAIT must not stop
     * them. */
    (void) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t) p->cfg.listen_port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(fd, (struct sockaddr *) &sa, sizeof sa) != 0) {
        err = -errno;
        BC_ERROR("bind 127.0.0.1:%d: %s", p->cfg.listen_port, strerror(errno));
        goto out_close;
    }
    if (listen(fd, LISTEN_BACKLOG) != 0) {
        err = -errno;
        BC_ERROR("listen: %s", strerror(errno));
        goto out_close;
    }
    socklen_t len = sizeof sa;
    if (getsockname(fd, (struct sockaddr *) &sa, &len) != 0) {
        err = -errno;
        BC_ERROR("getsockname: %s", strerror(errno));
        goto out_close;
    }
    p->listen_fd = fd;
    p->port = ntohs(sa.sin_port);
    return 0;

out_close:
    close(fd);
    errno = -err;
    return err;
}

flaky_proxy_t *flaky_proxy_new(const flaky_config_t *cfg)
{
    char why[160];
    if (flaky_config_check(cfg, why, sizeof why) != FLAKY_OK) {
        BC_ERROR("invalid configuration: %s", why);
        errno = EINVAL;
        return NULL;
    }
    flaky_proxy_t *p = bc_calloc(1, sizeof *p);
    p->cfg = *cfg;
    p->target_host = bc_strdup(cfg->target_host);
    p->cfg.target_host = p->target_host;
    p->listen_fd = -1;
    p->wake[0] = p->wake[1] = -1;
    atomic_init(&p->stop, 0);
    atomic_init(&p->forced, 0);

    if (resolve_target(p) != FLAKY_OK)
        goto out_free;
    if (pipe2(p->wake, O_NONBLOCK | O_CLOEXEC) != 0) {
        BC_ERROR("pipe2: %s", strerror(errno));
        goto out_free;
    }
    if (listen_on(p) != 0)
        goto out_close_pipe;

    p->conns = bc_calloc(cfg->max_conns, sizeof *p->conns);
    p->pfds = bc_calloc(2 + 2 * (size_t) cfg->max_conns, sizeof *p->pfds);
    flaky_link_init(&p->link, cfg);
    flaky_rng_seed(&p->cut_rng, cfg->seed, FLAKY_STREAM_CUT);

    uint64_t now = now_us();
    p->deadline_us = cfg->max_seconds ? now + cfg->max_seconds * 1000000ull
                                      : FLAKY_NEVER;
    flaky_outage_init(&p->outage, cfg, now);
    BC_INFO("listening on 127.0.0.1:%d, forwarding to %s:%d (latency %u+%u ms, "
            "rate %llu bit/s, cut mean %u ms, black hole %u ms every ~%u ms, "
            "seed %llu)",
            p->port, p->target_host, cfg->target_port, cfg->latency_ms,
            cfg->jitter_ms, (unsigned long long) cfg->rate_bps,
            cfg->cut_mean_ms, cfg->blackhole_ms, cfg->blackhole_mean_ms,
            (unsigned long long) cfg->seed);
    return p;

out_close_pipe:
    close(p->wake[0]);
    close(p->wake[1]);
out_free: {
        int saved = errno;
        free(p->target_host);
        free(p);
        errno = saved;
    }
    return NULL;
}

void flaky_proxy_destroy(flaky_proxy_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    flaky_proxy_t *p = *self_p;
    for (size_t i = 0; i < p->nconns; i++) {
        conn_close(p, p->conns[i], false);
        free(p->conns[i]);
    }
    if (p->listen_fd >= 0)
        close(p->listen_fd);
    close(p->wake[0]);
    close(p->wake[1]);
    free(p->conns);
    free(p->pfds);
    free(p->target_host);
    free(p);
    *self_p = NULL;
}

int flaky_proxy_port(const flaky_proxy_t *self)
{
    return self ? self->port : -1;
}

void flaky_proxy_stop(flaky_proxy_t *self)
{
    if (!self)
        return;
    int saved = errno; /* we may run inside a signal handler */
    atomic_store(&self->stop, 1);
    /* Full pipe: a wake-up is already pending, which is all we need. */
    ssize_t r = write(self->wake[1], "x", 1);
    (void) r;
    errno = saved;
}

void flaky_proxy_blackhole(flaky_proxy_t *self, int on)
{
    if (!self)
        return;
    atomic_store(&self->forced, on ? 1 : 0);
    ssize_t r = write(self->wake[1], "x", 1);
    (void) r;
}

void flaky_proxy_stats(const flaky_proxy_t *self, flaky_stats_t *out)
{
    memset(out, 0, sizeof *out);
    if (!self)
        return;
    const flaky_proxy_t *p = self;
    out->bytes_up = atomic_load_explicit(&p->bytes_up, memory_order_relaxed);
    out->bytes_down =
        atomic_load_explicit(&p->bytes_down, memory_order_relaxed);
    out->accepted = atomic_load_explicit(&p->accepted, memory_order_relaxed);
    out->cuts = atomic_load_explicit(&p->cuts, memory_order_relaxed);
    out->blackholes =
        atomic_load_explicit(&p->blackholes, memory_order_relaxed);
    out->upstream_failures =
        atomic_load_explicit(&p->upstream_failures, memory_order_relaxed);
    out->active = atomic_load_explicit(&p->active, memory_order_relaxed);
}

/* True once the proxy must stop (request or max_seconds); logs why once. */
static bool must_stop(flaky_proxy_t *p)
{
    if (p->stopped)
        return true;
    if (atomic_load(&p->stop)) {
        BC_INFO("stopping on request");
        p->stopped = true;
    } else if (now_us() >= p->deadline_us) {
        BC_INFO("stopping: max_seconds (%u) reached", p->cfg.max_seconds);
        p->stopped = true;
    }
    return p->stopped;
}

int flaky_proxy_run(flaky_proxy_t *self, int timeout_ms)
{
    if (!self)
        return FLAKY_EINVAL;
    uint64_t until = timeout_ms < 0 ? FLAKY_NEVER
                                    : now_us() + (uint64_t) timeout_ms * 1000u;
    while (!must_stop(self)) {
        int err = iterate(self, until);
        if (err)
            return err;
        if (timeout_ms == 0 || now_us() >= until)
            return must_stop(self) ? FLAKY_STOPPED : FLAKY_OK;
    }
    return FLAKY_STOPPED;
}
