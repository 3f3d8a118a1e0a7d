/*
 * wire.h - envelopes on ZeroMQ sockets, signed manifests and receipts.
 *
 * Every ZeroMQ message is one serialized Iapt__Envelope (proto/wire.proto);
 * on a ROUTER it is preceded by the peer's routing-id frame.
 *
 * Signed objects follow DESIGN.md principle 1, verify before you parse:
 * iapt_manifest_open / iapt_receipt_open check the Ed25519 signature over
 * the exact received bytes before the inner message is decoded. Only the
 * two-field wrapper (bytes, signature) is decoded first, to find those bytes.
 *
 * Ownership: unpack/open functions return protobuf-c messages owned by the
 * caller, freed with the matching iapt__*__free_unpacked(msg, NULL).
 * Sockets are the caller's; nothing here is thread-safe beyond what libzmq
 * gives (one thread per socket).
 */
#ifndef IAPT_WIRE_H
#define IAPT_WIRE_H

#include "common/keys.h"
#include "common/util.h"
#include "proto/wire.pb-c.h"

#include <stddef.h>
#include <stdint.h>

#define IAPT_WIRE_VERSION 1
#define IAPT_MANIFEST_VERSION 1
#define IAPT_COLLECTION "IAPT"
#define IAPT_DATASET_VERSION "2.1"
#define IAPT_SUBMISSION_ID_BYTES 32
#define IAPT_RECORDS_ROOT_BYTES 32

/* ZAP domains of the hub's two endpoints. */
#define IAPT_ZAP_DOMAIN_SUBMIT "iapt-submit"
#define IAPT_ZAP_DOMAIN_QUERY "iapt-query"

#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#define ZMQ_ZAP_ENFORCE_DOMAIN 93 /* draft option name; libzmq >= 4.3 honours it */
#endif

/* Serialize env (its version is set to IAPT_WIRE_VERSION) into out
 * (replacing its contents). 0 or IAPT_ENOMEM. */
int iapt_wire_pack(Iapt__Envelope *env, iapt_buf_t *out);

/* Decode an envelope of at most max_len bytes. IAPT_ELIMIT when larger,
 * IAPT_EVERSION when of another version, IAPT_EFORMAT when undecodable or
 * without a body. */
int iapt_wire_unpack(const uint8_t *data, size_t len, size_t max_len,
                     Iapt__Envelope **out /* out, owned */);

/* Send env, preceded by a routing-id frame when rid != NULL (ROUTER).
 * Non-blocking when `flags` has ZMQ_DONTWAIT. 0, IAPT_EZMQ (detail has
 * zmq_strerror; EAGAIN / EHOSTUNREACH mean the peer is gone or slow). */
int iapt_wire_send(void *sock, const void *rid, size_t rid_len, Iapt__Envelope *env, int flags);

/* Configure a CURVE server socket: our keys, ZAP domain, enforcement. */
int iapt_wire_curve_server(void *sock, const iapt_identity_t *self, const char *zap_domain);

/* Configure a CURVE client socket talking to server_public (Z85). */
int iapt_wire_curve_client(void *sock, const iapt_identity_t *self, const char *server_public);

/* Sign a manifest: pack it, sign under IAPT_CONTEXT_MANIFEST, write the
 * serialized SignedManifest into out. */
int iapt_manifest_sign(const Iapt__Manifest *m, const uint8_t sk[64], iapt_buf_t *out);

/* Split a SignedManifest (at most max_len bytes) into its manifest bytes and
 * signature without decoding the manifest. The pointers point into `signed_`
 * and live as long as it does. IAPT_EFORMAT / IAPT_ELIMIT. */
int iapt_manifest_split(const uint8_t *signed_, size_t len, size_t max_len,
                        const uint8_t **manifest /* out */, size_t *manifest_len /* out */,
                        const uint8_t **sig /* out */);

/* Verify the signature with pk, then decode the manifest and check its
 * fixed fields (format version, collection, root and key-id sizes, period
 * syntax, org code syntax). IAPT_ECRYPTO (signature), IAPT_EVERSION
 * (format version), IAPT_EFORMAT, IAPT_ELIMIT. */
int iapt_manifest_open(const uint8_t *signed_, size_t len, size_t max_len, const uint8_t pk[32],
                       Iapt__Manifest **out /* out, owned */);

/* Decode a manifest WITHOUT verifying: only for bytes whose signature was
 * already verified (e.g. read back from the hub's own store). */
int iapt_manifest_decode_verified(const uint8_t *manifest, size_t len,
                                  Iapt__Manifest **out /* out, owned */);

/* Submission id: SHA-256 of the SignedManifest bytes. */
void iapt_submission_id(const uint8_t *signed_, size_t len, uint8_t id[32] /* out */);

/* Sign a receipt into a SignedReceipt (packed into out). */
int iapt_receipt_sign(const Iapt__Receipt *r, const uint8_t sk[64], iapt_buf_t *out);

/* Verify a SignedReceipt message's signature with the hub's pk, then
 * decode the receipt. IAPT_ECRYPTO / IAPT_EFORMAT. */
int iapt_receipt_open(const Iapt__SignedReceipt *sr, const uint8_t pk[32],
                      Iapt__Receipt **out /* out, owned */);

/* The same from serialized SignedReceipt bytes. */
int iapt_receipt_open_bytes(const uint8_t *data, size_t len, const uint8_t pk[32],
                            Iapt__Receipt **out /* out, owned */);

/* Sign a review decision into a SignedReviewDecision (packed into out),
 * under IAPT_CONTEXT_REVIEW. */
int iapt_review_sign(const Iapt__ReviewDecision *d, const uint8_t sk[64], iapt_buf_t *out);

/* Decode serialized SignedReviewDecision bytes, verify the signature with
 * the hub's pk, then decode the decision and check its sizes and its
 * decision (confirmed or rejected). IAPT_EFORMAT / IAPT_ECRYPTO. */
int iapt_review_open(const uint8_t *data, size_t len, const uint8_t pk[32],
                     Iapt__ReviewDecision **out /* out, owned */);

/* Short lower-case hex prefix of an id for people ("3fa9c2d1e0b4"), 13 bytes. */
void iapt_id_short(const uint8_t *id, size_t len, char out[13]);

#endif
