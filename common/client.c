/* client.c - request / answer over the hub's query endpoint. */
#include "common/client.h"
#include "common/err.h"
#include "common/wire.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

struct iapt_client {
    void *ctx;
    void *sock;
    int timeout_ms;
    uint64_t next_id;
};

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
    if ((rc = iapt_wire_curve_client(c->sock, self, hub_curve_public)) < 0)
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
    for (;;) {
        zmq_pollitem_t item = {c->sock, 0, ZMQ_POLLIN, 0};
        int r = zmq_poll(&item, 1, c->timeout_ms);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return iapt_error_set(IAPT_ETIMEOUT,
                                  "no answer from the hub in %d ms (is it running, and is this "
                                  "key registered?)",
                                  c->timeout_ms);
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
