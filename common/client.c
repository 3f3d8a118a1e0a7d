/* client.c - request / answer over the hub's query endpoint. */
#include "common/client.h"
#include "common/err.h"
#include "common/monitor.h"
#include "common/util.h"
#include "common/wire.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

struct iapt_client {
    void *ctx;
    void *sock;
    iapt_monitor_t *mon;
    int timeout_ms;
    uint64_t next_id;
};

/* A hub that never accepted a TCP connection is reported after this long
 * (libzmq keeps retrying meanwhile, so a hub starting up is found). */
#define S_UNREACHABLE_MS 2000

int
iapt_client_new(const char *endpoint, const iapt_identity_t *self, const char *hub_curve_public,
                int timeout_ms, iapt_client_t **out)
{
    int rc;
    iapt_client_t *c = calloc(1, sizeof *c);
    if (!c)
        return IAPT_ENOMEM;
    c->timeout_ms = timeout_ms > 0 ? timeout_ms : 30000;
    c->next_id = 1;
    if (!(c->ctx = zmq_ctx_new()) || !(c->sock = zmq_socket(c->ctx, ZMQ_DEALER))) {
        rc = iapt_error_set(IAPT_EZMQ, "socket: %s", zmq_strerror(errno));
        goto out_fail;
    }
    int zero = 0;
    int64_t maxmsg = (int64_t)512 << 20;
    zmq_setsockopt(c->sock, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(c->sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    if ((rc = iapt_wire_curve_client(c->sock, self, hub_curve_public)) < 0 ||
        (rc = iapt_monitor_new(c->ctx, c->sock, endpoint, &c->mon)) < 0)
        goto out_fail;
    if (zmq_connect(c->sock, endpoint) < 0) {
        rc = iapt_error_set(IAPT_EZMQ, "connect %s: %s", endpoint, zmq_strerror(errno));
        goto out_fail;
    }
    *out = c;
    return 0;
out_fail:
    iapt_client_destroy(&c);
    return rc;
}

void
iapt_client_destroy(iapt_client_t **c_p)
{
    iapt_client_t *c = *c_p;
    if (!c)
        return;
    iapt_monitor_destroy(&c->mon);
    if (c->sock)
        zmq_close(c->sock);
    if (c->ctx)
        zmq_ctx_term(c->ctx);
    free(c);
    *c_p = NULL;
}

int
iapt_client_call(iapt_client_t *c, Iapt__QueryRequest *q, Iapt__QueryResponse **resp)
{
    int rc;
    *resp = NULL;
    q->request_id = c->next_id++;
    Iapt__Envelope env = IAPT__ENVELOPE__INIT;
    env.body_case = IAPT__ENVELOPE__BODY_QUERY;
    env.query = q;
    if ((rc = iapt_wire_send(c->sock, NULL, 0, &env, 0)) < 0)
        return rc;
    int64_t deadline = iapt_clock_ms() + c->timeout_ms;
    for (;;) {
        /* The monitor tells a hub that is not there, or that refuses the
         * handshake, long before a reply would time out. */
        char why[512];
        enum iapt_conn_state st = iapt_monitor_update(c->mon);
        if (st == IAPT_CONN_KEY_REFUSED || st == IAPT_CONN_WRONG_HUB_KEY)
            return iapt_error_set(
                IAPT_EREFUSED, "%s",
                iapt_monitor_explain(c->mon, st, "endpoint", "hub-public", why, sizeof why));
        int64_t now = iapt_clock_ms();
        if (st == IAPT_CONN_UNREACHABLE &&
            (now - (deadline - c->timeout_ms) >= S_UNREACHABLE_MS || now >= deadline))
            return iapt_error_set(
                IAPT_ETIMEOUT, "%s",
                iapt_monitor_explain(c->mon, st,
                                     "the endpoint (--endpoint or endpoint in the configuration)",
                                     NULL, why, sizeof why));
        if (now >= deadline)
            return iapt_error_set(IAPT_ETIMEOUT,
                                  "no answer from the hub in %d ms (it accepted the connection "
                                  "but did not answer: is it overloaded?)",
                                  c->timeout_ms);
        zmq_pollitem_t items[2] = {{c->sock, 0, ZMQ_POLLIN, 0},
                                   {iapt_monitor_socket(c->mon), 0, ZMQ_POLLIN, 0}};
        int64_t wait = deadline - now;
        if (st == IAPT_CONN_UNREACHABLE && wait > 100)
            wait = 100;
        int r = zmq_poll(items, 2, (long)wait);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return iapt_error_set(IAPT_EZMQ, "poll: %s", zmq_strerror(errno));
        if (!(items[0].revents & ZMQ_POLLIN))
            continue;
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, c->sock, 0) < 0) {
            zmq_msg_close(&m);
            return iapt_error_set(IAPT_EZMQ, "recv: %s", zmq_strerror(errno));
        }
        Iapt__Envelope *in = NULL;
        rc = iapt_wire_unpack(zmq_msg_data(&m), zmq_msg_size(&m), SIZE_MAX, &in);
        zmq_msg_close(&m);
        if (rc < 0)
            return rc;
        if (in->body_case != IAPT__ENVELOPE__BODY_ANSWER) {
            iapt__envelope__free_unpacked(in, NULL);
            return iapt_error_set(IAPT_EFORMAT, "the hub answered with a non-answer message");
        }
        Iapt__QueryResponse *a = in->answer;
        if (a->request_id != q->request_id && a->request_id != 0) {
            iapt__envelope__free_unpacked(in, NULL); /* a late answer to an earlier call */
            continue;
        }
        /* Detach the answer from its envelope so the caller frees only it. */
        in->answer = NULL;
        in->body_case = IAPT__ENVELOPE__BODY__NOT_SET;
        iapt__envelope__free_unpacked(in, NULL);
        *resp = a;
        if (a->has_error)
            return iapt_error_set(IAPT_EREFUSED, "%s", a->reason ? a->reason : "refused");
        return 0;
    }
}
