/* ping.c - check configuration, keys, the hub's key and registration. */
#include "common/ping.h"
#include "common/err.h"
#include "common/keys.h"
#include "common/monitor.h"
#include "common/util.h"
#include "common/wire.h"

#include <errno.h>
#include <string.h>
#include <zmq.h>

/* A hub that never accepted a TCP connection is reported after this long. */
#define S_UNREACHABLE_MS 1500

static void
s_line(FILE *out, int ok, const char *what, const char *fmt, const char *detail)
{
    fprintf(out, "%s %s: ", ok ? "ok  " : "FAIL", what);
    fprintf(out, fmt, detail);
    fputc('\n', out);
}

/* Send a Ping on sock and wait for the answer: 0 with *pong (owned
 * envelope), 1 answered without a Pong (reason in why), -1 no answer. */
static int
s_round_trip(void *sock, const char *version, int timeout_ms, Iapt__Envelope **pong, char *why,
             size_t why_len)
{
    Iapt__Ping p = IAPT__PING__INIT;
    p.client_version = (char *)version;
    Iapt__Envelope env = IAPT__ENVELOPE__INIT;
    env.body_case = IAPT__ENVELOPE__BODY_PING;
    env.ping = &p;
    *pong = NULL;
    if (iapt_wire_send(sock, NULL, 0, &env, ZMQ_DONTWAIT) < 0) {
        snprintf(why, why_len, "%s", iapt_error_detail());
        return -1;
    }
    zmq_pollitem_t item = {sock, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&item, 1, timeout_ms) <= 0) {
        snprintf(why, why_len, "no answer in %d ms", timeout_ms);
        return -1;
    }
    zmq_msg_t m;
    zmq_msg_init(&m);
    if (zmq_msg_recv(&m, sock, 0) < 0) {
        zmq_msg_close(&m);
        snprintf(why, why_len, "recv: %s", zmq_strerror(errno));
        return -1;
    }
    Iapt__Envelope *in = NULL;
    int rc = iapt_wire_unpack(zmq_msg_data(&m), zmq_msg_size(&m), 1u << 20, &in);
    zmq_msg_close(&m);
    if (rc < 0) {
        snprintf(why, why_len, "the answer does not decode: %s", iapt_error_detail());
        return 1;
    }
    if (in->body_case == IAPT__ENVELOPE__BODY_PONG) {
        *pong = in;
        return 0;
    }
    if (in->body_case == IAPT__ENVELOPE__BODY_REFUSE)
        snprintf(why, why_len, "%s", in->refuse->reason);
    else if (in->body_case == IAPT__ENVELOPE__BODY_ANSWER && in->answer->reason)
        snprintf(why, why_len, "%s", in->answer->reason);
    else
        snprintf(why, why_len, "answered with message type %d", (int)in->body_case);
    iapt__envelope__free_unpacked(in, NULL);
    return 1;
}

int
iapt_ping_run(const iapt_ping_target_t *t, FILE *out)
{
    int status = 2;
    iapt_identity_t *self = NULL, *hub = NULL;
    void *ctx = NULL, *sock = NULL;
    iapt_monitor_t *mon = NULL;
    Iapt__Envelope *pong = NULL;
    char line[768];
    int timeout = t->timeout_ms > 0 ? t->timeout_ms : 5000;

    /* Local checks: a failure is a configuration error (2). */
    int rc = iapt_identity_load(t->key_path, &self);
    if (rc < 0) {
        snprintf(line, sizeof line, "%s: %s%s%s", t->key_path, iapt_strerror(rc),
                 *iapt_error_detail() ? ": " : "", iapt_error_detail());
        s_line(out, 0, "key", "%s (make keys with iapt-keygen; the secret file must be mode 0600)",
               line);
        goto out;
    }
    if ((t->expect_org && strcmp(self->org, t->expect_org) != 0) ||
        (t->expect_role && strcmp(self->role, t->expect_role) != 0)) {
        snprintf(line, sizeof line,
                 "%s holds the key of %s (%s), but this configuration is for %s%s%s", t->key_path,
                 self->org, self->role, t->expect_org ? t->expect_org : "any org",
                 t->expect_role ? ", role " : "", t->expect_role ? t->expect_role : "");
        s_line(out, 0, "key", "%s: point the configuration at the right key file", line);
        goto out;
    }
    snprintf(line, sizeof line, "%s (%s, %s)", t->key_path, self->org, self->role);
    s_line(out, 1, "key", "%s", line);
    rc = iapt_identity_load_public(t->hub_public_path, &hub);
    if (rc < 0 || strcmp(hub->role, "hub") != 0) {
        if (rc < 0)
            snprintf(line, sizeof line, "%s: %s%s%s", t->hub_public_path, iapt_strerror(rc),
                     *iapt_error_detail() ? ": " : "", iapt_error_detail());
        else
            snprintf(line, sizeof line, "%s is the key of %s (%s), not a hub's", t->hub_public_path,
                     hub->org, hub->role);
        s_line(out, 0, "hub-public", "%s: get the hub's public key file from the central team",
               line);
        goto out;
    }
    snprintf(line, sizeof line, "%s (%s)", t->hub_public_path, hub->org);
    s_line(out, 1, "hub-public", "%s", line);

    /* The network: a failure is the hub's answer (1). */
    int zero = 0;
    if (!(ctx = zmq_ctx_new()) || !(sock = zmq_socket(ctx, ZMQ_DEALER))) {
        s_line(out, 0, "connection", "%s", zmq_strerror(errno));
        goto out;
    }
    zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(sock, ZMQ_HANDSHAKE_IVL, &timeout, sizeof timeout);
    if (iapt_wire_curve_client(sock, self, hub->curve_public) < 0 ||
        iapt_monitor_new(ctx, sock, t->endpoint, &mon) < 0) {
        s_line(out, 0, "connection", "%s", iapt_error_detail());
        goto out;
    }
    if (zmq_connect(sock, t->endpoint) < 0) {
        snprintf(line, sizeof line, "%s = %s: %s", t->endpoint_setting, t->endpoint,
                 zmq_strerror(errno));
        s_line(out, 0, "connection", "%s: write it as tcp://HOST:PORT", line);
        goto out;
    }
    status = 1;
    int64_t t0 = iapt_clock_ms();
    enum iapt_conn_state st = iapt_monitor_wait(mon, timeout, S_UNREACHABLE_MS);
    if (st == IAPT_CONN_UNREACHABLE) {
        s_line(out, 0, "connection", "%s",
               iapt_monitor_explain(mon, st, t->endpoint_setting, t->hub_public_path, line,
                                    sizeof line));
        goto out;
    }
    snprintf(line, sizeof line, "%s", t->endpoint);
    s_line(out, 1, "connection", "%s", line);
    if (st != IAPT_CONN_READY) {
        s_line(out, 0, "registered", "%s",
               iapt_monitor_explain(mon, st, t->endpoint_setting, t->hub_public_path, line,
                                    sizeof line));
        goto out;
    }
    s_line(out, 1, "registered", "%s", "the hub accepted this key and holds the key in hub-public");
    char why[512];
    int r = s_round_trip(sock, t->client_version, timeout, &pong, why, sizeof why);
    long ms = (long)(iapt_clock_ms() - t0);
    if (r < 0) {
        /* Accepted, then silence or a drop: revoked between handshake and
         * message, or a hub too busy to answer. */
        enum iapt_conn_state now = iapt_monitor_update(mon);
        if (now == IAPT_CONN_KEY_REFUSED)
            iapt_monitor_explain(mon, now, t->endpoint_setting, t->hub_public_path, why,
                                 sizeof why);
        s_line(out, 0, "round trip", "%s", why);
        goto out;
    }
    if (r > 0) {
        snprintf(line, sizeof line,
                 "the hub answered but not to a ping (%s): it may be an older "
                 "version",
                 why);
        s_line(out, 0, "round trip", "%s", line);
        goto out;
    }
    const Iapt__Pong *p = pong->pong;
    snprintf(line, sizeof line,
             "%ld ms: the hub '%s' (%s) knows this key as %s (%s, %s) on its %s endpoint", ms,
             p->hub_name, p->hub_version, p->org_code, p->role, p->org_name, p->endpoint);
    s_line(out, 1, "round trip", "%s", line);
    if (t->expect_hub_name && strcmp(t->expect_hub_name, p->hub_name) != 0) {
        snprintf(line, sizeof line, "the hub calls itself '%s' but hub-name is '%s'", p->hub_name,
                 t->expect_hub_name);
        s_line(out, 0, "hub-name", "%s: receipts would not verify; set hub-name to the hub's name",
               line);
        goto out;
    }
    if (t->expect_org && strcmp(p->org_code, t->expect_org) != 0) {
        snprintf(line, sizeof line, "the hub's registry has this key as %s, not %s", p->org_code,
                 t->expect_org);
        s_line(out, 0, "registry", "%s: ask the central team to correct the registry row", line);
        goto out;
    }
    status = 0;
out:
    if (pong)
        iapt__envelope__free_unpacked(pong, NULL);
    iapt_monitor_destroy(&mon);
    if (sock)
        zmq_close(sock);
    if (ctx)
        zmq_ctx_term(ctx);
    iapt_identity_destroy(&self);
    iapt_identity_destroy(&hub);
    return status;
}
