/* monitor.c - a client connection's fate from libzmq's socket monitor. */
#include "common/monitor.h"
#include "common/err.h"
#include "common/util.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define S_EVENTS                                                                                   \
    (ZMQ_EVENT_CONNECTED | ZMQ_EVENT_CONNECT_DELAYED | ZMQ_EVENT_CONNECT_RETRIED |                 \
     ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED |                                      \
     ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |                  \
     ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)

struct iapt_monitor {
    void *watched; /* the monitored socket (not owned) */
    void *pair;    /* our end of the monitor */
    char endpoint[256];
    enum iapt_conn_state state;
    int ever_connected; /* a TCP connection was made at least once */
    int connected;      /* a TCP connection is up, handshake not decided */
    int retried;        /* a TCP connection attempt failed and is retried */
    int zap_status;
    int64_t started_ms;
    int64_t decided_ms; /* -1 until something is known */
};

static atomic_uint s_counter;

int
iapt_monitor_new(void *ctx, void *sock, const char *endpoint, iapt_monitor_t **out)
{
    int rc;
    char addr[64];
    iapt_monitor_t *m = calloc(1, sizeof *m);
    if (!m)
        return IAPT_ENOMEM;
    m->watched = sock;
    m->decided_ms = -1;
    m->started_ms = iapt_clock_ms();
    iapt_strlcpy(m->endpoint, endpoint ? endpoint : "", sizeof m->endpoint);
    snprintf(addr, sizeof addr, "inproc://iapt-monitor-%p-%u", sock,
             atomic_fetch_add(&s_counter, 1));
    if (zmq_socket_monitor(sock, addr, S_EVENTS) < 0) {
        rc = iapt_error_set(IAPT_EZMQ, "socket monitor: %s", zmq_strerror(errno));
        goto out_fail;
    }
    int zero = 0;
    if (!(m->pair = zmq_socket(ctx, ZMQ_PAIR)) ||
        zmq_setsockopt(m->pair, ZMQ_LINGER, &zero, sizeof zero) < 0 ||
        zmq_connect(m->pair, addr) < 0) {
        rc = iapt_error_set(IAPT_EZMQ, "socket monitor reader: %s", zmq_strerror(errno));
        zmq_socket_monitor(sock, NULL, 0);
        goto out_fail;
    }
    *out = m;
    return 0;
out_fail:
    if (m->pair)
        zmq_close(m->pair);
    free(m);
    return rc;
}

void
iapt_monitor_destroy(iapt_monitor_t **m_p)
{
    iapt_monitor_t *m = *m_p;
    if (!m)
        return;
    zmq_socket_monitor(m->watched, NULL, 0);
    zmq_close(m->pair);
    free(m);
    *m_p = NULL;
}

void *
iapt_monitor_socket(iapt_monitor_t *m)
{
    return m->pair;
}

static void
s_decide(iapt_monitor_t *m, enum iapt_conn_state st)
{
    m->state = st;
    if (m->decided_ms < 0)
        m->decided_ms = iapt_clock_ms();
}

/* Apply one event to the state. */
static void
s_event(iapt_monitor_t *m, uint16_t event, uint32_t value)
{
    switch (event) {
    case ZMQ_EVENT_CONNECTED:
        m->ever_connected = m->connected = 1;
        m->retried = 0;
        if (m->state == IAPT_CONN_UNREACHABLE)
            m->state = IAPT_CONN_PENDING;
        break;
    case ZMQ_EVENT_CONNECT_RETRIED:
        /* After a disconnect libzmq retries too: only a socket that never
         * reached the hub is unreachable. */
        m->retried = 1;
        if (!m->ever_connected && m->state == IAPT_CONN_PENDING)
            s_decide(m, IAPT_CONN_UNREACHABLE);
        break;
    case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
        m->connected = 0;
        m->zap_status = 0;
        s_decide(m, IAPT_CONN_READY);
        break;
    case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
        m->connected = 0;
        m->zap_status = (int)value;
        s_decide(m, IAPT_CONN_KEY_REFUSED);
        break;
    case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
    case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
        m->connected = 0;
        s_decide(m, IAPT_CONN_WRONG_HUB_KEY);
        break;
    case ZMQ_EVENT_DISCONNECTED:
        if (m->connected) {
            /* Dropped during the handshake, with neither success nor a
             * refusal: the hub could not read our HELLO. */
            m->connected = 0;
            if (m->state == IAPT_CONN_PENDING)
                s_decide(m, IAPT_CONN_WRONG_HUB_KEY);
        } else if (m->state == IAPT_CONN_READY) {
            m->state = IAPT_CONN_PENDING; /* libzmq reconnects */
        }
        break;
    default:
        break;
    }
}

enum iapt_conn_state
iapt_monitor_update(iapt_monitor_t *m)
{
    for (;;) {
        zmq_msg_t head, addr;
        zmq_msg_init(&head);
        if (zmq_msg_recv(&head, m->pair, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&head);
            break;
        }
        uint16_t event = 0;
        uint32_t value = 0;
        if (zmq_msg_size(&head) >= 6) {
            memcpy(&event, zmq_msg_data(&head), 2);
            memcpy(&value, (const uint8_t *)zmq_msg_data(&head) + 2, 4);
        }
        int more = zmq_msg_more(&head);
        zmq_msg_close(&head);
        while (more) { /* the endpoint frame */
            zmq_msg_init(&addr);
            if (zmq_msg_recv(&addr, m->pair, 0) < 0) {
                zmq_msg_close(&addr);
                break;
            }
            more = zmq_msg_more(&addr);
            zmq_msg_close(&addr);
        }
        s_event(m, event, value);
    }
    return m->state;
}

enum iapt_conn_state
iapt_monitor_wait(iapt_monitor_t *m, int timeout_ms, int unreachable_ms)
{
    int64_t deadline = iapt_clock_ms() + timeout_ms;
    for (;;) {
        enum iapt_conn_state st = iapt_monitor_update(m);
        int64_t now = iapt_clock_ms();
        if (st == IAPT_CONN_READY || st == IAPT_CONN_KEY_REFUSED || st == IAPT_CONN_WRONG_HUB_KEY)
            return st;
        if (st == IAPT_CONN_UNREACHABLE && now - m->started_ms >= unreachable_ms)
            return st;
        if (now >= deadline) {
            if (!m->ever_connected) {
                s_decide(m, IAPT_CONN_UNREACHABLE);
                return IAPT_CONN_UNREACHABLE;
            }
            return IAPT_CONN_PENDING;
        }
        int64_t wait = deadline - now;
        if (wait > 50)
            wait = 50;
        zmq_pollitem_t item = {m->pair, 0, ZMQ_POLLIN, 0};
        zmq_poll(&item, 1, (long)wait);
    }
}

long
iapt_monitor_elapsed_ms(const iapt_monitor_t *m)
{
    return m->decided_ms < 0 ? -1 : (long)(m->decided_ms - m->started_ms);
}

int
iapt_monitor_zap_status(const iapt_monitor_t *m)
{
    return m->zap_status;
}

const char *
iapt_monitor_explain(const iapt_monitor_t *m, enum iapt_conn_state state,
                     const char *endpoint_setting, const char *hub_public_path, char *buf,
                     size_t size)
{
    const char *setting = endpoint_setting ? endpoint_setting : "the hub's endpoint";
    switch (state) {
    case IAPT_CONN_READY:
        snprintf(buf, size, "connected to %s: the hub accepted this key", m->endpoint);
        break;
    case IAPT_CONN_UNREACHABLE:
        snprintf(buf, size, "nothing is listening at %s: check %s and that the hub is running",
                 m->endpoint, setting);
        break;
    case IAPT_CONN_KEY_REFUSED:
        snprintf(buf, size,
                 "the hub at %s refused the handshake (ZAP status %d): this key is not "
                 "registered or was revoked: send the registry line (iapt-keygen prints it) to "
                 "the central team",
                 m->endpoint, m->zap_status);
        break;
    case IAPT_CONN_WRONG_HUB_KEY:
        snprintf(buf, size,
                 "the hub at %s does not have the key in %s (the handshake failed): get the "
                 "hub's current public key from the central team",
                 m->endpoint, hub_public_path ? hub_public_path : "hub-public");
        break;
    default:
        snprintf(buf, size, "connected to %s but the handshake was not decided in time",
                 m->endpoint);
        break;
    }
    return buf;
}
