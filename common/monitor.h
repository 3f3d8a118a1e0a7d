/*
 * monitor.h - what became of a client's connection to the hub, from
 * libzmq's socket monitor (zmq_socket_monitor), so that a client can say
 * which of these it is, with the fix, instead of waiting for a reply that
 * never comes:
 *
 *   IAPT_CONN_UNREACHABLE   no TCP connection: nothing listening at the
 *                           endpoint (CONNECT_DELAYED / CONNECT_RETRIED and
 *                           never CONNECTED), or no connection in the time
 *                           allowed (a host that drops packets);
 *   IAPT_CONN_KEY_REFUSED   the hub's ZAP handler refused this key
 *                           (HANDSHAKE_FAILED_AUTH with a 4xx status):
 *                           not registered, revoked, or a role the endpoint
 *                           does not serve;
 *   IAPT_CONN_WRONG_HUB_KEY the TCP connection was made but the CURVE
 *                           handshake ended without success or refusal
 *                           (DISCONNECTED, HANDSHAKE_FAILED_PROTOCOL or
 *                           HANDSHAKE_FAILED_NO_DETAIL): a CURVE server
 *                           that cannot decrypt our HELLO drops the
 *                           connection silently, which is what a hub whose
 *                           key is not our hub-public does;
 *   IAPT_CONN_READY         HANDSHAKE_SUCCEEDED: the hub accepted this key.
 *
 * What each looks like was found with real sockets (tests/integration/
 * test_connect.sh shows each one told apart). libzmq 4.3: the ZAP status
 * code travels in the CURVE ERROR command; the ZAP status text does not.
 *
 * Use: create the monitor right after the socket, BEFORE zmq_connect (events
 * emitted before the monitor's reader is attached are lost), then call
 * iapt_monitor_update() whenever convenient (e.g. from a poll loop that also
 * watches iapt_monitor_socket()), or iapt_monitor_wait() to block until the
 * handshake is decided.
 *
 * Ownership: the monitor owns its PAIR socket (in the socket's context) and
 * must be destroyed before the monitored socket is closed. Threads: the
 * same thread as the monitored socket.
 */
#ifndef IAPT_MONITOR_H
#define IAPT_MONITOR_H

#include <stddef.h>

enum iapt_conn_state {
    IAPT_CONN_PENDING = 0,   /* nothing decided yet */
    IAPT_CONN_READY,         /* handshake succeeded */
    IAPT_CONN_UNREACHABLE,   /* no TCP connection */
    IAPT_CONN_KEY_REFUSED,   /* ZAP refused our key */
    IAPT_CONN_WRONG_HUB_KEY, /* connected, handshake failed without a refusal */
};

typedef struct iapt_monitor iapt_monitor_t;

/* Attach a monitor to `sock` (of context `ctx`), which is about to connect
 * to `endpoint` (kept for messages). 0 or IAPT_EZMQ / IAPT_ENOMEM. */
int iapt_monitor_new(void *ctx, void *sock, const char *endpoint,
                     iapt_monitor_t **out /* out, owned */);

/* Stop monitoring and close the monitor's socket; NULLs the pointer. */
void iapt_monitor_destroy(iapt_monitor_t **m_p);

/* The monitor's own socket, for zmq_poll (ZMQ_POLLIN when events wait). */
void *iapt_monitor_socket(iapt_monitor_t *m);

/* Read the events waiting, without blocking, and return the state. Once
 * READY, a later disconnect makes the state PENDING again (libzmq
 * reconnects by itself); a fault stays until the next success. */
enum iapt_conn_state iapt_monitor_update(iapt_monitor_t *m);

/* Wait up to timeout_ms for the handshake to be decided. A connection
 * refused at TCP level is reported as UNREACHABLE after `unreachable_ms`
 * without a connection (libzmq keeps retrying meanwhile, so a hub that
 * comes up within that time is found). Returns the state: PENDING only
 * when timeout_ms passed while connected without a decision, UNREACHABLE
 * when no connection was ever made. */
enum iapt_conn_state iapt_monitor_wait(iapt_monitor_t *m, int timeout_ms, int unreachable_ms);

/* Milliseconds since the monitor was created until the first TCP connection
 * failure, success or fault (for reports); -1 if none yet. */
long iapt_monitor_elapsed_ms(const iapt_monitor_t *m);

/* One line for people saying what `state` means and how to fix it, naming
 * the endpoint and, for a wrong hub key, `hub_public_path` (the setting's
 * file, may be NULL); `endpoint_setting` names where the endpoint is set
 * ("hub-endpoint in node.conf"). Written into buf (truncated). */
const char *iapt_monitor_explain(const iapt_monitor_t *m, enum iapt_conn_state state,
                                 const char *endpoint_setting, const char *hub_public_path,
                                 char *buf, size_t size);

/* The ZAP status code of the last refusal (e.g. 400), 0 if none. */
int iapt_monitor_zap_status(const iapt_monitor_t *m);

#endif
