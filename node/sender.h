/*
 * sender.h - delivers the outbox to the hub over CurveZMQ.
 *
 * For each pending entry, in sequence order: Open, then chunks of records
 * while the hub grants credit, Close, and the signed receipt. The entry is
 * marked delivered only after the receipt verifies: the hub's signature,
 * the receipt's fields against our manifest, the checkpoint's signature and
 * the inclusion proof of our signed manifest in the checkpoint's tree.
 *
 * Resumption: when the hub is silent for reply_timeout_ms the connection is
 * dropped and a fresh one sends Open again; the hub answers with the first
 * record it lacks, so a restart of either side resumes the transfer. A
 * permanent refusal marks the entry refused (with the hub's reason); a
 * temporary one (busy, internal, root mismatch) is retried with backoff
 * until the deadline.
 *
 * Not thread-safe; one sender per outbox.
 */
#ifndef IAPT_NODE_SENDER_H
#define IAPT_NODE_SENDER_H

#include "common/keys.h"
#include "node/outbox.h"

typedef struct iapt_sender_config {
    const char *endpoint;           /* hub submit endpoint */
    const char *hub_curve_public;   /* Z85 */
    const uint8_t *hub_sign_public; /* 32 bytes */
    const char *hub_name;           /* checkpoint key name; NULL: take the receipt's */
    const char *hub_public_path;    /* for messages; NULL: "hub-public" */
    int reply_timeout_ms;           /* silence before resending Open (default 10000) */
    int deadline_ms;                /* give up after (0: 10 minutes) */
    const char *capture_path;       /* append every message sent (tests); NULL */
    int pace_ms;                    /* pause between chunks (tests); 0 */
    size_t max_chunk_bytes;         /* our own chunk limit; 0: the hub's */
    int quiet;                      /* no progress lines on stdout */
} iapt_sender_config_t;

typedef struct iapt_sender_report {
    int delivered; /* receipts verified in this run */
    int refused;   /* refused for good in this run */
    int pending;   /* still pending at the end */
} iapt_sender_report_t;

/* Deliver every pending entry. 0 when none is left pending; IAPT_ETIMEOUT
 * when the deadline passed first (the detail says "nothing is listening at
 * ..." when the hub was never reached); IAPT_EREFUSED when the hub refused
 * this key in the handshake or its key is not hub-public (the entries stay
 * pending; the detail says which, with the fix; common/monitor.h); other
 * codes for local failures. */
int iapt_sender_run(iapt_outbox_t *ob, const iapt_identity_t *self, const iapt_sender_config_t *cfg,
                    iapt_sender_report_t *report /* out */);

/* Verify a signed receipt for a signed manifest (both serialized) against
 * the hub's key: signature, fields, checkpoint and inclusion. 0,
 * IAPT_ECRYPTO or IAPT_EFORMAT with the reason; *log_index set on success. */
int iapt_receipt_verify(const uint8_t *signed_manifest, size_t manifest_len,
                        const uint8_t *signed_receipt, size_t receipt_len,
                        const uint8_t hub_sign_public[32], const char *hub_name,
                        uint64_t *log_index /* out */);

/* iapt-node ping (node/node_ping.c): check the configuration, keys, the
 * hub's key and registration without submitting (common/ping.h). Returns
 * the exit status. */
int iapt_node_ping_main(int argc, char **argv);

#endif
