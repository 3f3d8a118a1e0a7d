/* sign.c - domain-separated Ed25519 and SHA-256 over libsodium. */
#include "common/sign.h"
#include "common/err.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define S_CONTEXT_MAX 64
#define S_STACK_MAX 4096

int
iapt_crypto_init(void)
{
    return sodium_init() < 0 ? IAPT_ECRYPTO : 0;
}

/* Build context || 0x00 || msg in `stack` when it fits, else on the heap. */
static uint8_t *
s_framed(const char *context, const uint8_t *msg, size_t len, uint8_t *stack, size_t *framed_len)
{
    size_t clen = strlen(context);
    if (clen > S_CONTEXT_MAX || len > SIZE_MAX - clen - 1)
        return NULL;
    size_t total = clen + 1 + len;
    uint8_t *p = total <= S_STACK_MAX ? stack : malloc(total);
    if (!p)
        return NULL;
    memcpy(p, context, clen);
    p[clen] = 0;
    if (len)
        memcpy(p + clen + 1, msg, len);
    *framed_len = total;
    return p;
}

int
iapt_sign_detached(const char *context, const uint8_t *msg, size_t len,
                   const uint8_t sk[IAPT_SIGN_SK_BYTES], uint8_t sig[IAPT_SIG_BYTES])
{
    uint8_t stack[S_STACK_MAX];
    size_t flen;
    uint8_t *framed = s_framed(context, msg, len, stack, &flen);
    if (!framed)
        return strlen(context) > S_CONTEXT_MAX ? IAPT_EUSAGE : IAPT_ENOMEM;
    crypto_sign_detached(sig, NULL, framed, flen, sk);
    if (framed != stack)
        free(framed);
    return 0;
}

int
iapt_verify_detached(const char *context, const uint8_t *msg, size_t len,
                     const uint8_t sig[IAPT_SIG_BYTES], const uint8_t pk[IAPT_SIGN_PK_BYTES])
{
    uint8_t stack[S_STACK_MAX];
    size_t flen;
    uint8_t *framed = s_framed(context, msg, len, stack, &flen);
    if (!framed)
        return IAPT_ENOMEM;
    int ok = crypto_sign_verify_detached(sig, framed, flen, pk);
    if (framed != stack)
        free(framed);
    return ok == 0 ? 0 : IAPT_ECRYPTO;
}

void
iapt_sha256(const uint8_t *data, size_t len, uint8_t out[IAPT_SHA256_BYTES])
{
    crypto_hash_sha256(out, data, len);
}
