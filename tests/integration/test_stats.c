/*
 * test_stats.c -- the hub's counters after a known stream, as `baocao
 * stats` shows them and as Prometheus reads them from --metrics.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bc_test.h"
#include "bc_wire.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct {
    char *dir;          /* temporary folder */
    bc_hub_t hub;       /* the hub under test */
    int metrics_port;   /* where it serves /metrics */
} fixture_t;

/* A loopback port nobody holds right now. */
static int some_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *) &a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *) &a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    f->dir = bc_tmpdir("stats");
    bc_hub_init(&f->hub);
    f->metrics_port = some_port();
    char listen[64];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", f->metrics_port);
    const char *extra[] = {"--metrics", listen, NULL};
    bc_hub_start(&f->hub, f->dir, NULL, extra);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    bc_hub_stop(&f->hub);
    bc_rmtree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

/* 5 stored, 2 duplicates, 2 unknown indicators, 1 negative count. */
static void known_stream(const char *ep)
{
    const char *wards[5] = {"HP-HB-QT", "HP-HB-HV", "HP-HB-SD", "HP-HB-TC",
                            "HP-HB-TL"};
    uint8_t first[16];
    for (int i = 0; i < 5; i++) {
        uint8_t id[16];
        bc_id_new(id);
        if (i == 0)
            memcpy(first, id, 16);
        assert_int_equal(bc_submit(ep, id, wards[i], "2023-12", 1, 1704067200,
                                   "sxh_cases=2"),
                         BAOCAO__ACK_STATUS__ACK_STORED);
    }
    for (int i = 0; i < 2; i++)
        assert_int_equal(bc_submit(ep, first, wards[0], "2023-12", 1,
                                   1704067200, "sxh_cases=2"),
                         BAOCAO__ACK_STATUS__ACK_DUPLICATE);
    for (int i = 0; i < 2; i++)
        assert_int_equal(bc_submit(ep, NULL, wards[1], "2023-11", 1,
                                   1704067200, "no_such_code=1"),
                         BAOCAO__ACK_STATUS__ACK_REJECTED);
    assert_int_equal(bc_submit(ep, NULL, wards[2], "2023-11", 1, 1704067200,
                               "sxh_cases=-1"),
                     BAOCAO__ACK_STATUS__ACK_REJECTED);
}

static double num(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    assert_non_null(v);
    assert_true(cJSON_IsNumber(v));
    return v->valuedouble;
}

static void test_stats_counts_a_known_stream(void **state)
{
    fixture_t *f = *state;
    known_stream(f->hub.endpoint);
    const char *argv[] = {"stats", "--hub", f->hub.endpoint, "--plain",
                          "--format", "json", NULL};
    char *out = NULL;
    assert_int_equal(bc_run("baocao", argv, &out), 0);
    cJSON *o = cJSON_Parse(out);
    assert_non_null(o);
    assert_int_equal(num(o, "stored"), 5);
    assert_int_equal(num(o, "duplicates"), 2);
    assert_int_equal(num(o, "rejected"), 3);
    /* 10 decided submissions after the registry version the hub logs
     * first (issue 12). */
    assert_int_equal(num(o, "hub_seq"), 11);
    const cJSON *rej = cJSON_GetObjectItemCaseSensitive(o, "rejections");
    assert_int_equal(num(rej, "unknown_indicator"), 2);
    assert_int_equal(num(rej, "negative"), 1);
    assert_true(num(o, "commits") >= 1);
    assert_true(num(o, "commit_p99_ms") > 0);
    assert_true(num(o, "peers") >= 1);   /* this very query's link */
    assert_true(num(o, "store_bytes") > 0);
    assert_true(num(o, "map_bytes") >= num(o, "store_bytes"));
    cJSON_Delete(o);
    free(out);
    /* The table names the same numbers. */
    const char *targv[] = {"stats", "--hub", f->hub.endpoint, "--plain",
                           NULL};
    assert_int_equal(bc_run("baocao", targv, &out), 0);
    assert_non_null(strstr(out, "unknown_indicator"));
    free(out);
}

/* One HTTP request to the metrics port; returns the whole answer. */
static char *http_get(int port, const char *request)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t) port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *) &a, sizeof a), 0);
    assert_int_equal(write(fd, request, strlen(request)),
                     (ssize_t) strlen(request));
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    ssize_t n;
    while ((n = read(fd, buf + len, cap - len - 1)) > 0)
        len += (size_t) n;   /* the server closes after its answer */
    close(fd);
    buf[len] = '\0';
    return buf;
}

static void test_metrics_for_prometheus(void **state)
{
    fixture_t *f = *state;
    known_stream(f->hub.endpoint);
    char *r = http_get(f->metrics_port,
                       "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_non_null(strstr(r, "HTTP/1.1 200 OK"));
    assert_non_null(strstr(r, "baocao_acks_total{status=\"stored\"} 5\n"));
    assert_non_null(strstr(r, "baocao_acks_total{status=\"duplicate\"} 2\n"));
    assert_non_null(
        strstr(r, "baocao_rejections_total{reason=\"unknown_indicator\"} 2\n"));
    assert_non_null(
        strstr(r, "baocao_rejections_total{reason=\"negative\"} 1\n"));
    assert_non_null(strstr(r, "# TYPE baocao_commit_seconds summary"));
    free(r);
    r = http_get(f->metrics_port, "GET /other HTTP/1.1\r\n\r\n");
    assert_non_null(strstr(r, "404"));
    free(r);
    r = http_get(f->metrics_port, "BREW /metrics HTCPCP/1.0\r\n\r\n");
    assert_non_null(strstr(r, "400"));
    free(r);
    /* The hub still serves after all that. */
    int64_t v;
    assert_true(bc_query_value(f->hub.endpoint, "HP-HB", "2023-12",
                               "sxh_cases", &v));
    assert_int_equal(v, 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_stats_counts_a_known_stream,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_metrics_for_prometheus, setup,
                                        teardown),
    };
    return cmocka_run_group_tests_name("integration.stats", tests, NULL,
                                       NULL);
}
