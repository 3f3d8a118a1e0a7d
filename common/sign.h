/*
 * sign.h - Ed25519 signatures with domain separation, and SHA-256.
 *
 * Every signature in iapt is Ed25519 (libsodium) over
 *     context || 0x00 || message
 * so a signature made for one purpose can never be replayed as another.
 * Contexts in use are the IAPT_CONTEXT_* strings below.
 *
 * Callers own every buffer. Functions do not allocate except
 * iapt_sign_detached / iapt_verify_detached for messages over 4 KiB (a
 * temporary copy of context || 0 || message, freed before return).
 * Thread-safe once iapt_crypto_init() has returned 0.
 */
#ifndef IAPT_SIGN_H
#define IAPT_SIGN_H

#include <stddef.h>
#include <stdint.h>

#define IAPT_SIG_BYTES 64
#define IAPT_SIGN_PK_BYTES 32
#define IAPT_SIGN_SK_BYTES 64
#define IAPT_SHA256_BYTES 32

#define IAPT_CONTEXT_MANIFEST "iapt/manifest/v1"
#define IAPT_CONTEXT_RECEIPT "iapt/receipt/v1"
#define IAPT_CONTEXT_REVIEW "iapt/review/v1"

/* Initialise libsodium; call once before anything else. 0 or IAPT_ECRYPTO. */
int iapt_crypto_init(void);

/* Sign `len` bytes of msg under `context` with the 64-byte secret key.
 * 0, IAPT_ENOMEM or IAPT_EUSAGE (context too long). */
int iapt_sign_detached(const char *context, const uint8_t *msg, size_t len,
                       const uint8_t sk[IAPT_SIGN_SK_BYTES], uint8_t sig[IAPT_SIG_BYTES] /* out */);

/* 0 when sig is a valid signature of msg under context by pk; IAPT_ECRYPTO
 * otherwise (or IAPT_ENOMEM). */
int iapt_verify_detached(const char *context, const uint8_t *msg, size_t len,
                         const uint8_t sig[IAPT_SIG_BYTES], const uint8_t pk[IAPT_SIGN_PK_BYTES])
    __attribute__((warn_unused_result));

/* SHA-256 of len bytes. */
void iapt_sha256(const uint8_t *data, size_t len, uint8_t out[IAPT_SHA256_BYTES] /* out */);

#endif
