/* bench_query - latency of the statistics query on a hub's stored month.
 *
 *   bench_query --config HUB.CONF --key ANALYST.secret --hub-public HUB.pub
 *               --period YYYY-MM [--calls N] [--breakdown NAME] [--collection NAME]
 *               [--inproc-only]
 *
 * Over the network: one client (common/client.h, CURVE on loopback) sends
 * a MeasuresRequest for every core measure at every group level (England,
 * Region, ICB, SubICB, Provider) N times, after one warm-up call; it prints
 * the median, quartiles and extremes of the round trip and the answer's
 * size. With --breakdown the same request is made with that breakdown; with
 * --collection it asks for that collection's measures (default the adult
 * collection).
 *
 * In process: the hub's store is opened a second time in this process (LMDB
 * allows it beside the running hub) and the very function that answers the
 * query endpoint, iapt_query_answer, is called N times: read the cells,
 * roll up, make and pack the rows, with no socket or encryption.
 *
 * This process keeps large buffers in its heap as iapt-hub does (a client
 * that stays up, like a dashboard); a one-shot iapt-query also pays for
 * faulting in fresh memory once per call.
 *
 * Output lines are "tag: key=value ..." for the runner to parse. */
#include "common/client.h"
#include "common/err.h"
#include "common/keys.h"
#include "common/log.h"
#include "common/sign.h"
#include "common/util.h"
#include "hub/hub.h"
#include "hub/query.h"

#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define S_MAX_CALLS 200

static double
s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int
s_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Sorts t; prints quantiles. */
static void
s_report(const char *tag, const char *extra, double *t, int n)
{
    qsort(t, (size_t)n, sizeof *t, s_cmp);
    double med = n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
    printf("%s: calls=%d %s median_ms=%.2f p25_ms=%.2f p75_ms=%.2f min_ms=%.2f max_ms=%.2f\n", tag,
           n, extra, med, t[n / 4], t[(3 * n) / 4 < n ? (3 * n) / 4 : n - 1], t[0], t[n - 1]);
}

/* The collection asked for (--collection), NULL for the adult one. */
static const char *s_collection;

static void
s_request(Iapt__QueryRequest *q, Iapt__MeasuresRequest *mr, const char *period,
          const char *breakdown)
{
    iapt__measures_request__init(mr);
    mr->period_from = (char *)period;
    mr->breakdown = (char *)breakdown;
    iapt__query_request__init(q);
    q->body_case = IAPT__QUERY_REQUEST__BODY_MEASURES;
    q->measures = mr;
    q->collection = (char *)s_collection;
}

static int
s_network(const iapt_hub_config_t *cfg, const iapt_identity_t *self, const char *hub_public,
          const char *period, const char *breakdown, int calls)
{
    iapt_identity_t *hub = NULL;
    iapt_client_t *c = NULL;
    double t[S_MAX_CALLS];
    int rc;
    size_t rows = 0, bytes = 0;

    if ((rc = iapt_identity_load_public(hub_public, &hub)) < 0 ||
        (rc = iapt_client_new(cfg->query_endpoint, self, hub->curve_public, 60000, &c)) < 0) {
        fprintf(stderr, "bench_query: %s\n", iapt_error_detail());
        iapt_identity_destroy(&hub);
        return 1;
    }
    for (int i = -1; i < calls; i++) {
        Iapt__QueryRequest q;
        Iapt__MeasuresRequest mr;
        Iapt__QueryResponse *resp = NULL;
        s_request(&q, &mr, period, breakdown);
        double t0 = s_now_ms();
        rc = iapt_client_call(c, &q, &resp);
        double ms = s_now_ms() - t0;
        if (rc < 0) {
            fprintf(stderr, "bench_query: measures: %s: %s\n", iapt_strerror(rc),
                    iapt_error_detail());
            if (resp)
                iapt__query_response__free_unpacked(resp, NULL);
            break;
        }
        if (i >= 0)
            t[i] = ms;
        rows = resp->body_case == IAPT__QUERY_RESPONSE__BODY_MEASURES ? resp->measures->n_rows : 0;
        bytes = iapt__query_response__get_packed_size(resp);
        iapt__query_response__free_unpacked(resp, NULL);
    }
    iapt_client_destroy(&c);
    iapt_identity_destroy(&hub);
    if (rc < 0)
        return 1;
    char extra[160];
    snprintf(extra, sizeof extra, "breakdown=%s rows=%zu answer_kb=%.1f",
             breakdown ? breakdown : "none", rows, (double)bytes / 1024);
    s_report("query-net", extra, t, calls);
    return 0;
}

static int
s_inproc(const iapt_hub_config_t *cfg, const char *org, const char *period, const char *breakdown,
         int calls)
{
    iapt_hub_t *hub = NULL;
    double t[S_MAX_CALLS];
    int rc;
    size_t bytes = 0;

    if ((rc = iapt_hub_open(cfg, &hub)) < 0) {
        fprintf(stderr, "bench_query: opening the hub store: %s\n", iapt_error_detail());
        return 1;
    }
    iapt_registry_t *reg = iapt_hub_registry(hub);
    const iapt_registry_entry_t *peer = iapt_registry_active(reg, org);
    if (!peer) {
        fprintf(stderr, "bench_query: %s is not in the hub's registry\n", org);
        rc = -1;
    }
    for (int i = -1; i < calls && rc == 0; i++) {
        Iapt__QueryRequest q;
        Iapt__MeasuresRequest mr;
        iapt_buf_t reply = IAPT_BUF_INIT;
        s_request(&q, &mr, period, breakdown);
        q.request_id = (uint64_t)(i + 2);
        double t0 = s_now_ms();
        rc = iapt_query_answer(hub, reg, peer, &q, &reply);
        double ms = s_now_ms() - t0;
        if (rc < 0)
            fprintf(stderr, "bench_query: in process: %s\n", iapt_error_detail());
        else if (i >= 0)
            t[i] = ms;
        bytes = reply.len;
        iapt_buf_free(&reply);
    }
    iapt_registry_release(&reg);
    iapt_hub_close(&hub);
    if (rc < 0)
        return 1;
    char extra[160];
    snprintf(extra, sizeof extra, "breakdown=%s answer_kb=%.1f", breakdown ? breakdown : "none",
             (double)bytes / 1024);
    s_report("query-inproc", extra, t, calls);
    return 0;
}

int
main(int argc, char **argv)
{
    static const struct option longs[] = {
        {"config", required_argument, NULL, 'c'},
        {"key", required_argument, NULL, 'k'},
        {"hub-public", required_argument, NULL, 'p'},
        {"period", required_argument, NULL, 'P'},
        {"calls", required_argument, NULL, 'n'},
        {"breakdown", required_argument, NULL, 'b'},
        {"inproc-only", no_argument, NULL, 'i'},
        {"collection", required_argument, NULL, 'C'},
        {NULL, 0, NULL, 0},
    };
    const char *config = NULL, *key = NULL, *hub_public = NULL, *period = NULL;
    const char *breakdown = NULL;
    int calls = 20, inproc_only = 0, ch, rc = 0;

    while ((ch = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        switch (ch) {
        case 'c':
            config = optarg;
            break;
        case 'k':
            key = optarg;
            break;
        case 'p':
            hub_public = optarg;
            break;
        case 'P':
            period = optarg;
            break;
        case 'n':
            calls = atoi(optarg);
            break;
        case 'b':
            breakdown = optarg;
            break;
        case 'i':
            inproc_only = 1;
            break;
        case 'C':
            s_collection = optarg;
            break;
        default:
            return 2;
        }
    }
    if (!config || !key || !hub_public || !period || calls < 1 || calls > S_MAX_CALLS) {
        fprintf(stderr,
                "usage: bench_query --config HUB.CONF --key FILE.secret --hub-public "
                "HUB.pub --period YYYY-MM [--calls 1-%d] [--breakdown NAME] "
                "[--collection NAME] [--inproc-only]\n",
                S_MAX_CALLS);
        return 2;
    }
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 128 << 20);
    iapt_log_init("bench_query");
    iapt_log_set_level(IAPT_LOG_WARN);
    if (iapt_crypto_init() < 0)
        return 2;
    iapt_hub_config_t cfg;
    iapt_identity_t *self = NULL;
    if ((rc = iapt_hub_config_load(config, &cfg)) < 0 ||
        (rc = iapt_identity_load(key, &self)) < 0) {
        fprintf(stderr, "bench_query: %s\n", iapt_error_detail());
        return 2;
    }
    /* The hub's own log level setting must not make this chatty. */
    iapt_log_set_level(IAPT_LOG_WARN);
    rc = 0;
    if (!inproc_only)
        rc = s_network(&cfg, self, hub_public, period, breakdown, calls);
    if (rc == 0)
        rc = s_inproc(&cfg, self->org, period, breakdown, calls);
    iapt_identity_destroy(&self);
    return rc;
}
