/*
 * client.h - a connection to the hub's query endpoint (iapt-query,
 * iapt-audit): CURVE with the caller's keys, one request at a time, answers
 * matched by request id, bounded waits.
 *
 * Ownership: iapt_client_new returns an owned client (it owns its ZeroMQ
 * context); iapt_client_call returns an owned QueryResponse, freed with
 * iapt__query_response__free_unpacked(resp, NULL). Not thread-safe.
 *
 * Errors: IAPT_ETIMEOUT (no answer; the detail says "nothing is listening
 * at ..." when no connection could be made within 2 s, common/monitor.h),
 * IAPT_EREFUSED (the hub answered with an error: the detail has its reason
 * and *resp is set so the caller can read the code; or the hub refused the
 * handshake, or its key is not hub-public: then *resp is NULL and the
 * detail says which, with the fix), IAPT_EZMQ, IAPT_EFORMAT.
 */
#ifndef IAPT_CLIENT_H
#define IAPT_CLIENT_H

#include "common/keys.h"
#include "proto/wire.pb-c.h"

typedef struct iapt_client iapt_client_t;

int iapt_client_new(const char *endpoint, const iapt_identity_t *self, const char *hub_curve_public,
                    int timeout_ms, iapt_client_t **out /* out, owned */);

void iapt_client_destroy(iapt_client_t **c_p);

/* Send q (its request_id is set here) and wait for the answer. */
int iapt_client_call(iapt_client_t *c, Iapt__QueryRequest *q,
                     Iapt__QueryResponse **resp /* out, owned */);

#endif
