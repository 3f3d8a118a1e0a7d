/*
 * ping.h - a connection check without submitting or querying anything
 * (iapt-node ping, iapt-query ping, iapt-audit ping).
 *
 * Checks, in order, printing one line per check ("ok   what: detail" or
 * "FAIL what: the problem: the fix"):
 *   key         the secret key file loads (present, parses, mode 0600, its
 *               halves match) and is of the expected organisation and role;
 *   hub-public  the hub's public key file loads and is a hub's;
 *   connection  a TCP connection to the endpoint (common/monitor.h);
 *   registered  the CURVE handshake: the hub knows this key (ZAP accepted
 *               it) and has the key in hub-public;
 *   round trip  a Ping answered by a Pong: how the hub sees this key (org,
 *               role, name), the hub's name and version, the time taken;
 *               a configured hub name must match the hub's.
 * The checks stop at the first failure.
 *
 * Returns the exit status: 0 all passed, 1 the hub is unreachable or refused
 * (the key, the hub's key, a name mismatch), 2 a local configuration error
 * (a key file). Threads: any; it has its own ZeroMQ context.
 */
#ifndef IAPT_PING_H
#define IAPT_PING_H

#include <stdio.h>

typedef struct iapt_ping_target {
    const char *endpoint;
    const char *endpoint_setting; /* its configuration key, for messages */
    const char *key_path;         /* our secret key file */
    const char *hub_public_path;
    const char *expect_org;      /* NULL: any */
    const char *expect_role;     /* NULL: any */
    const char *expect_hub_name; /* NULL: not checked */
    const char *client_version;  /* sent in the Ping */
    int timeout_ms;              /* per step; 0: 5000 */
} iapt_ping_target_t;

int iapt_ping_run(const iapt_ping_target_t *t, FILE *out);

#endif
