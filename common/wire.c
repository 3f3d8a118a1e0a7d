/* wire.c - envelopes, CURVE socket set-up, signed manifests and receipts. */
#include "common/collection.h"
#include "common/wire.h"
#include "common/date.h"
#include "common/err.h"
#include "common/sign.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <zmq.h>

int
iapt_wire_pack(Iapt__Envelope *env, iapt_buf_t *out)
{
    env->version = IAPT_WIRE_VERSION;
    size_t n = iapt__envelope__get_packed_size(env);
    out->len = 0;
    if (iapt_buf_reserve(out, n) < 0)
        return IAPT_ENOMEM;
    out->len = iapt__envelope__pack(env, out->data);
    return 0;
}

int
iapt_wire_unpack(const uint8_t *data, size_t len, size_t max_len, Iapt__Envelope **out)
{
    if (len > max_len)
        return iapt_error_set(IAPT_ELIMIT, "message of %zu bytes over the limit of %zu", len,
                              max_len);
    Iapt__Envelope *env = iapt__envelope__unpack(NULL, len, data);
    if (!env)
        return iapt_error_set(IAPT_EFORMAT, "message is not a valid envelope");
    if (env->version != IAPT_WIRE_VERSION) {
        uint32_t v = env->version;
        iapt__envelope__free_unpacked(env, NULL);
        return iapt_error_set(IAPT_EVERSION,
                              "wire format version %u is not supported; this side speaks "
                              "version %d",
                              v, IAPT_WIRE_VERSION);
    }
    if (env->body_case == IAPT__ENVELOPE__BODY__NOT_SET) {
        iapt__envelope__free_unpacked(env, NULL);
        return iapt_error_set(IAPT_EFORMAT, "envelope without a body");
    }
    *out = env;
    return 0;
}

int
iapt_wire_send(void *sock, const void *rid, size_t rid_len, Iapt__Envelope *env, int flags)
{
    iapt_buf_t b = IAPT_BUF_INIT;
    int rc = iapt_wire_pack(env, &b);
    if (rc < 0)
        return rc;
    if (rid && zmq_send(sock, rid, rid_len, ZMQ_SNDMORE | flags) < 0) {
        rc = iapt_error_set(IAPT_EZMQ, "send: %s", zmq_strerror(errno));
        goto out_free;
    }
    if (zmq_send(sock, b.data, b.len, flags) < 0)
        rc = iapt_error_set(IAPT_EZMQ, "send: %s", zmq_strerror(errno));
out_free:
    iapt_buf_free(&b);
    return rc;
}

int
iapt_wire_curve_server(void *sock, const iapt_identity_t *self, const char *zap_domain)
{
    int one = 1;
    if (!self->curve_secret)
        return iapt_error_set(IAPT_EUSAGE, "server identity has no secret keys");
    if (zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one, sizeof one) < 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, self->curve_secret, IAPT_Z85_KEY_LEN) < 0 ||
        zmq_setsockopt(sock, ZMQ_ZAP_DOMAIN, zap_domain, strlen(zap_domain)) < 0 ||
        zmq_setsockopt(sock, ZMQ_ZAP_ENFORCE_DOMAIN, &one, sizeof one) < 0)
        return iapt_error_set(IAPT_EZMQ, "CURVE server set-up: %s", zmq_strerror(errno));
    return 0;
}

int
iapt_wire_curve_client(void *sock, const iapt_identity_t *self, const char *server_public)
{
    if (!self->curve_secret)
        return iapt_error_set(IAPT_EUSAGE, "client identity has no secret keys");
    if (zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, server_public, IAPT_Z85_KEY_LEN) < 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, self->curve_public, IAPT_Z85_KEY_LEN) < 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, self->curve_secret, IAPT_Z85_KEY_LEN) < 0)
        return iapt_error_set(IAPT_EZMQ, "CURVE client set-up: %s", zmq_strerror(errno));
    return 0;
}

/* Append a protobuf varint. */
static int
s_put_varint(iapt_buf_t *b, uint64_t v)
{
    uint8_t tmp[10];
    size_t n = 0;
    do {
        tmp[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v);
    return iapt_buf_append(b, tmp, n);
}

/* Sign `inner` under `context` and write the (bytes = 1, signature = 2)
 * wrapper that SignedManifest and SignedReceipt share into out. */
static int
s_sign_wrap(const char *context, const uint8_t *inner, size_t len, const uint8_t sk[64],
            iapt_buf_t *out)
{
    uint8_t sig[IAPT_SIG_BYTES];
    int rc = iapt_sign_detached(context, inner, len, sk, sig);
    out->len = 0;
    if (rc < 0 || (rc = iapt_buf_append(out, "\x0a", 1)) < 0 || (rc = s_put_varint(out, len)) < 0 ||
        (rc = iapt_buf_append(out, inner, len)) < 0 ||
        (rc = iapt_buf_append(out, "\x12\x40", 2)) < 0 ||
        (rc = iapt_buf_append(out, sig, sizeof sig)) < 0)
        return rc;
    return 0;
}

int
iapt_manifest_sign(const Iapt__Manifest *m, const uint8_t sk[64], iapt_buf_t *out)
{
    iapt_buf_t mb = IAPT_BUF_INIT;
    int rc = iapt_buf_reserve(&mb, iapt__manifest__get_packed_size(m));
    if (rc == 0) {
        mb.len = iapt__manifest__pack(m, mb.data);
        rc = s_sign_wrap(IAPT_CONTEXT_MANIFEST, mb.data, mb.len, sk, out);
    }
    iapt_buf_free(&mb);
    return rc;
}

/* Read a varint at *p (bounded by end). */
static int
s_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    uint64_t x = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (*p >= end)
            return -1;
        uint8_t b = *(*p)++;
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = x;
            return 0;
        }
    }
    return -1;
}

/* Find the two length-delimited fields 1 and 2 of a (bytes, signature)
 * wrapper without a general decoder: the only parsing before verification. */
static int
s_split_wrapper(const uint8_t *data, size_t len, const uint8_t **f1, size_t *f1_len,
                const uint8_t **f2, size_t *f2_len)
{
    const uint8_t *p = data, *end = data + len;
    *f1 = *f2 = NULL;
    while (p < end) {
        uint64_t key, n;
        if (s_varint(&p, end, &key) < 0 || (key & 7) != 2 || s_varint(&p, end, &n) < 0 ||
            n > (uint64_t)(end - p))
            return -1;
        if (key >> 3 == 1 && !*f1) {
            *f1 = p;
            *f1_len = (size_t)n;
        } else if (key >> 3 == 2 && !*f2) {
            *f2 = p;
            *f2_len = (size_t)n;
        } else {
            return -1; /* unknown or repeated field: not a wrapper we made */
        }
        p += n;
    }
    return *f1 && *f2 ? 0 : -1;
}

int
iapt_manifest_split(const uint8_t *signed_, size_t len, size_t max_len, const uint8_t **manifest,
                    size_t *manifest_len, const uint8_t **sig)
{
    const uint8_t *s;
    size_t slen;
    if (len > max_len)
        return iapt_error_set(IAPT_ELIMIT, "signed manifest of %zu bytes over the limit %zu", len,
                              max_len);
    if (s_split_wrapper(signed_, len, manifest, manifest_len, &s, &slen) < 0 ||
        slen != IAPT_SIG_BYTES)
        return iapt_error_set(IAPT_EFORMAT, "not a signed manifest (manifest bytes, 64-byte "
                                            "signature)");
    *sig = s;
    return 0;
}

/* 64 lower-case hex digits. */
static bool
s_hex64(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
            return false;
    return n == 64;
}

static int
s_manifest_check(const Iapt__Manifest *m)
{
    iapt_period_t p;
    if (m->format_version != IAPT_MANIFEST_VERSION)
        return iapt_error_set(IAPT_EVERSION,
                              "manifest format version %u is not supported; the supported "
                              "version is %d",
                              m->format_version, IAPT_MANIFEST_VERSION);
    const iapt_collection_t *col = iapt_collection_find(m->collection);
    if (!col || strcmp(col->name, m->collection) != 0)
        return iapt_error_set(IAPT_EFORMAT, "collection '%s' is not one this hub knows (%s)",
                              m->collection, iapt_collection_names());
    /* The data set version is the named collection's. */
    const char *dsv = col->dataset_version ? col->dataset_version : IAPT_DATASET_VERSION;
    if (strcmp(m->dataset_version, dsv) != 0)
        return iapt_error_set(IAPT_EFORMAT, "data set version '%s', expected '%s' for %s",
                              m->dataset_version, dsv, m->collection);
    if (m->tools_sha256 && !s_hex64(m->tools_sha256))
        return iapt_error_set(IAPT_EFORMAT, "tools_sha256 is not 64 lower-case hex digits");
    if (!iapt_org_code_valid(m->org_code))
        return iapt_error_set(IAPT_EFORMAT, "org code '%s' is not valid", m->org_code);
    if (iapt_period_parse(m->period, &p) < 0)
        return iapt_error_set(IAPT_EFORMAT, "period '%s' is not YYYY-MM", m->period);
    if (m->records_root.len != IAPT_RECORDS_ROOT_BYTES)
        return iapt_error_set(IAPT_EFORMAT, "records root of %zu bytes", m->records_root.len);
    if (m->pseudo_key_id.len != IAPT_PSEUDO_KEY_ID_BYTES)
        return iapt_error_set(IAPT_EFORMAT, "pseudonymisation key id of %zu bytes",
                              m->pseudo_key_id.len);
    if (m->has_previous_submission && m->previous_submission.len != IAPT_SUBMISSION_ID_BYTES)
        return iapt_error_set(IAPT_EFORMAT, "previous submission id of %zu bytes",
                              m->previous_submission.len);
    if (m->sequence == 0)
        return iapt_error_set(IAPT_EFORMAT, "sequence numbers start at 1");
    return 0;
}

int
iapt_manifest_decode_verified(const uint8_t *manifest, size_t len, Iapt__Manifest **out)
{
    Iapt__Manifest *m = iapt__manifest__unpack(NULL, len, manifest);
    if (!m)
        return iapt_error_set(IAPT_EFORMAT, "manifest does not decode");
    int rc = s_manifest_check(m);
    if (rc < 0) {
        iapt__manifest__free_unpacked(m, NULL);
        return rc;
    }
    *out = m;
    return 0;
}

int
iapt_manifest_open(const uint8_t *signed_, size_t len, size_t max_len, const uint8_t pk[32],
                   Iapt__Manifest **out)
{
    const uint8_t *mbytes, *sig;
    size_t mlen;
    int rc = iapt_manifest_split(signed_, len, max_len, &mbytes, &mlen, &sig);
    if (rc < 0)
        return rc;
    if (iapt_verify_detached(IAPT_CONTEXT_MANIFEST, mbytes, mlen, sig, pk) != 0)
        return iapt_error_set(IAPT_ECRYPTO, "manifest signature does not verify");
    return iapt_manifest_decode_verified(mbytes, mlen, out);
}

void
iapt_submission_id(const uint8_t *signed_, size_t len, uint8_t id[32])
{
    iapt_sha256(signed_, len, id);
}

int
iapt_receipt_sign(const Iapt__Receipt *r, const uint8_t sk[64], iapt_buf_t *out)
{
    iapt_buf_t rb = IAPT_BUF_INIT;
    int rc = iapt_buf_reserve(&rb, iapt__receipt__get_packed_size(r));
    if (rc == 0) {
        rb.len = iapt__receipt__pack(r, rb.data);
        rc = s_sign_wrap(IAPT_CONTEXT_RECEIPT, rb.data, rb.len, sk, out);
    }
    iapt_buf_free(&rb);
    return rc;
}

int
iapt_receipt_open(const Iapt__SignedReceipt *sr, const uint8_t pk[32], Iapt__Receipt **out)
{
    if (sr->signature.len != IAPT_SIG_BYTES)
        return iapt_error_set(IAPT_EFORMAT, "receipt signature of %zu bytes", sr->signature.len);
    if (iapt_verify_detached(IAPT_CONTEXT_RECEIPT, sr->receipt.data, sr->receipt.len,
                             sr->signature.data, pk) != 0)
        return iapt_error_set(IAPT_ECRYPTO, "receipt signature does not verify with the hub key");
    Iapt__Receipt *r = iapt__receipt__unpack(NULL, sr->receipt.len, sr->receipt.data);
    if (!r)
        return iapt_error_set(IAPT_EFORMAT, "receipt does not decode");
    if (r->submission_id.len != IAPT_SUBMISSION_ID_BYTES ||
        r->records_root.len != IAPT_RECORDS_ROOT_BYTES) {
        iapt__receipt__free_unpacked(r, NULL);
        return iapt_error_set(IAPT_EFORMAT, "receipt ids of the wrong size");
    }
    for (size_t i = 0; i < r->n_inclusion_proof; i++)
        if (r->inclusion_proof[i].len != 32) {
            iapt__receipt__free_unpacked(r, NULL);
            return iapt_error_set(IAPT_EFORMAT, "inclusion proof hash of the wrong size");
        }
    *out = r;
    return 0;
}

int
iapt_receipt_open_bytes(const uint8_t *data, size_t len, const uint8_t pk[32], Iapt__Receipt **out)
{
    const uint8_t *rb, *sig;
    size_t rlen, slen;
    if (s_split_wrapper(data, len, &rb, &rlen, &sig, &slen) < 0)
        return iapt_error_set(IAPT_EFORMAT, "not a signed receipt");
    Iapt__SignedReceipt sr = IAPT__SIGNED_RECEIPT__INIT;
    sr.receipt.data = (uint8_t *)rb;
    sr.receipt.len = rlen;
    sr.signature.data = (uint8_t *)sig;
    sr.signature.len = slen;
    return iapt_receipt_open(&sr, pk, out);
}

void
iapt_id_short(const uint8_t *id, size_t len, char out[13])
{
    char hex[2 * 32 + 1];
    if (len > 32)
        len = 32;
    if (len > 6)
        len = 6;
    iapt_hex_encode(id, len, hex);
    memcpy(out, hex, 2 * len + 1);
}

int
iapt_review_sign(const Iapt__ReviewDecision *d, const uint8_t sk[64], iapt_buf_t *out)
{
    iapt_buf_t db = IAPT_BUF_INIT;
    int rc = iapt_buf_reserve(&db, iapt__review_decision__get_packed_size(d));
    if (rc == 0) {
        db.len = iapt__review_decision__pack(d, db.data);
        rc = s_sign_wrap(IAPT_CONTEXT_REVIEW, db.data, db.len, sk, out);
    }
    iapt_buf_free(&db);
    return rc;
}

int
iapt_review_open(const uint8_t *data, size_t len, const uint8_t pk[32], Iapt__ReviewDecision **out)
{
    *out = NULL;
    Iapt__SignedReviewDecision *sd = iapt__signed_review_decision__unpack(NULL, len, data);
    if (!sd)
        return iapt_error_set(IAPT_EFORMAT, "review decision does not decode");
    int rc = 0;
    if (sd->signature.len != IAPT_SIG_BYTES)
        rc = iapt_error_set(IAPT_EFORMAT, "review decision signature of %zu bytes",
                            sd->signature.len);
    else if (iapt_verify_detached(IAPT_CONTEXT_REVIEW, sd->decision.data, sd->decision.len,
                                  sd->signature.data, pk) != 0)
        rc = iapt_error_set(IAPT_ECRYPTO,
                            "review decision signature does not verify with the hub key");
    Iapt__ReviewDecision *d =
        rc == 0 ? iapt__review_decision__unpack(NULL, sd->decision.len, sd->decision.data) : NULL;
    if (rc == 0 && !d)
        rc = iapt_error_set(IAPT_EFORMAT, "review decision does not decode");
    if (rc == 0 && (d->submission_id.len != IAPT_SUBMISSION_ID_BYTES ||
                    (d->has_replaces && d->replaces.len != IAPT_SUBMISSION_ID_BYTES) ||
                    (d->decision != IAPT__REVIEW_STATE__REVIEW_CONFIRMED &&
                     d->decision != IAPT__REVIEW_STATE__REVIEW_REJECTED)))
        rc = iapt_error_set(IAPT_EFORMAT, "review decision with bad ids or decision");
    iapt__signed_review_decision__free_unpacked(sd, NULL);
    if (rc < 0) {
        if (d)
            iapt__review_decision__free_unpacked(d, NULL);
        return rc;
    }
    *out = d;
    return 0;
}
