/* zap.c - the ZAP handler: only keys in the registry get a CURVE session.
 *
 * libzmq asks this handler (RFC 27, inproc://zeromq.zap.01) about every
 * handshake on a socket with a ZAP domain; with ZMQ_ZAP_ENFORCE_DOMAIN set,
 * a handshake fails when no handler answers, so no key is ever let in by
 * default. The user id returned, "ORG/role/<curve key>", travels with every
 * message of the connection. */
#include "common/err.h"
#include "common/log.h"
#include "common/wire.h"
#include "hub/hub.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <zmq.h>

#define S_ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define S_FRAMES 7

static void
s_reply(void *sock, const char *req_id, size_t req_len, const char *code, const char *text,
        const char *user)
{
    zmq_send(sock, "1.0", 3, ZMQ_SNDMORE);
    zmq_send(sock, req_id, req_len, ZMQ_SNDMORE);
    zmq_send(sock, code, strlen(code), ZMQ_SNDMORE);
    zmq_send(sock, text, strlen(text), ZMQ_SNDMORE);
    zmq_send(sock, user, strlen(user), ZMQ_SNDMORE);
    zmq_send(sock, "", 0, 0);
}

/* Read one request (all its frames); 0 with the frames, -1 when malformed
 * (the rest of the message is drained). */
static int
s_recv(void *sock, zmq_msg_t frames[S_FRAMES], int *n)
{
    int more = 1;
    *n = 0;
    while (more) {
        zmq_msg_t tmp;
        zmq_msg_init(&tmp);
        if (zmq_msg_recv(&tmp, sock, 0) < 0) {
            zmq_msg_close(&tmp);
            return -1;
        }
        more = zmq_msg_more(&tmp);
        if (*n < S_FRAMES)
            frames[(*n)++] = tmp;
        else
            zmq_msg_close(&tmp);
    }
    return 0;
}

static void
s_handle(iapt_hub_t *hub, void *sock)
{
    zmq_msg_t f[S_FRAMES];
    int n;
    if (s_recv(sock, f, &n) < 0)
        return;
    char req_id[256] = "";
    size_t req_len = 0;
    if (n >= 2) {
        req_len = zmq_msg_size(&f[1]) < sizeof req_id ? zmq_msg_size(&f[1]) : sizeof req_id;
        memcpy(req_id, zmq_msg_data(&f[1]), req_len);
    }
    char domain[64] = "", mech[16] = "", address[64] = "";
#define S_COPY(dst, i)                                                                             \
    do {                                                                                           \
        size_t l = zmq_msg_size(&f[i]) < sizeof dst - 1 ? zmq_msg_size(&f[i]) : sizeof dst - 1;    \
        memcpy(dst, zmq_msg_data(&f[i]), l);                                                       \
        dst[l] = 0;                                                                                \
    } while (0)
    if (n == S_FRAMES) {
        S_COPY(domain, 2);
        S_COPY(address, 3);
        S_COPY(mech, 5);
    }
#undef S_COPY
    if (n != S_FRAMES || zmq_msg_size(&f[0]) != 3 || memcmp(zmq_msg_data(&f[0]), "1.0", 3) != 0 ||
        strcmp(mech, "CURVE") != 0 || zmq_msg_size(&f[6]) != 32) {
        s_reply(sock, req_id, req_len, "400", "CURVE required", "");
        goto out;
    }
    int submit = strcmp(domain, IAPT_ZAP_DOMAIN_SUBMIT) == 0;
    if (!submit && strcmp(domain, IAPT_ZAP_DOMAIN_QUERY) != 0) {
        s_reply(sock, req_id, req_len, "400", "unknown domain", "");
        goto out;
    }
    char z85[IAPT_Z85_KEY_LEN + 1];
    zmq_z85_encode(z85, zmq_msg_data(&f[6]), 32);
    iapt_registry_t *reg = iapt_hub_registry(hub);
    const iapt_registry_entry_t *e = iapt_registry_by_curve(reg, z85);
    if (!e) {
        iapt_log_warn("refused a connection from %s: key %.8s... is not registered", address, z85);
        s_reply(sock, req_id, req_len, "400", "key not registered", "");
    } else if (!e->active) {
        iapt_log_warn("refused a connection from %s: key of %s was revoked", address, e->org);
        s_reply(sock, req_id, req_len, "400", "key revoked", "");
    } else if (submit && strcmp(e->role, "provider") != 0) {
        iapt_log_warn("refused a %s key of %s on the submit endpoint", e->role, e->org);
        s_reply(sock, req_id, req_len, "400", "role may not submit", "");
    } else {
        char user[IAPT_ORG_MAX + IAPT_ROLE_MAX + IAPT_Z85_KEY_LEN + 4];
        snprintf(user, sizeof user, "%s/%s/%s", e->org, e->role, z85);
        iapt_log_debug("admitted %s (%s) from %s on %s", e->org, e->role, address, domain);
        s_reply(sock, req_id, req_len, "200", "OK", user);
    }
    iapt_registry_release(&reg);
out:
    for (int i = 0; i < n; i++)
        zmq_msg_close(&f[i]);
}

static void *
s_thread(void *arg)
{
    iapt_hub_t *hub = arg;
    void *sock = hub->zap;
    while (!atomic_load(&hub->stop)) {
        zmq_pollitem_t item = {sock, 0, ZMQ_POLLIN, 0};
        int r = zmq_poll(&item, 1, 200);
        if (r < 0)
            break;
        if (r > 0)
            s_handle(hub, sock);
    }
    zmq_close(sock);
    return NULL;
}

int
iapt_zap_start(iapt_hub_t *hub)
{
    hub->zap = zmq_socket(hub->zctx, ZMQ_REP);
    if (!hub->zap)
        return iapt_error_set(IAPT_EZMQ, "ZAP socket: %s", zmq_strerror(errno));
    int zero = 0;
    zmq_setsockopt(hub->zap, ZMQ_LINGER, &zero, sizeof zero);
    if (zmq_bind(hub->zap, S_ZAP_ENDPOINT) < 0) {
        zmq_close(hub->zap);
        return iapt_error_set(IAPT_EZMQ, "ZAP bind: %s", zmq_strerror(errno));
    }
    if (pthread_create(&hub->zap_thread, NULL, s_thread, hub) != 0) {
        zmq_close(hub->zap);
        return iapt_error_set(IAPT_EIO, "cannot start the ZAP thread");
    }
    hub->zap_started = 1;
    return 0;
}

void
iapt_zap_join(iapt_hub_t *hub)
{
    if (hub->zap_started)
        pthread_join(hub->zap_thread, NULL);
    hub->zap_started = 0;
}
