/* Unit tests of iapt_receipt_verify (node/sender.h), the check the node
 * makes before it marks a submission delivered and the auditor makes on a
 * receipt bundle: a small log in memory, a receipt and checkpoint signed with
 * fixed-seed keys, then every field tampered with, both as bytes changed
 * after signing (the signature must fail) and as a receipt the hub signed
 * with the wrong contents (the fields, checkpoint or proof must fail). */
#include "common/checkpoint.h"
#include "common/err.h"
#include "common/merkle.h"
#include "common/util.h"
#include "common/wire.h"
#include "node/sender.h"
#include "tests/test.h"

#include <sodium.h>

#define S_LEAVES 7
#define S_NAME "hub.iapt.example/log"

typedef struct {
    uint8_t hub_pk[32], hub_sk[64];
    uint8_t prov_pk[32], prov_sk[64];
    uint8_t other_pk[32], other_sk[64];
    iapt_buf_t leaf[S_LEAVES]; /* serialized SignedManifests */
    uint8_t hash[S_LEAVES][32];
    iapt_merkle_mem_t *mem;
} s_fix_t;

static void
s_seed_keys(uint8_t fill, uint8_t pk[32], uint8_t sk[64])
{
    uint8_t seed[32];
    memset(seed, fill, sizeof seed);
    crypto_sign_seed_keypair(pk, sk, seed);
}

static int
s_fix_init(s_fix_t *f)
{
    memset(f, 0, sizeof *f);
    s_seed_keys(0x11, f->hub_pk, f->hub_sk);
    s_seed_keys(0x22, f->prov_pk, f->prov_sk);
    s_seed_keys(0x33, f->other_pk, f->other_sk);
    for (int i = 0; i < S_LEAVES; i++) {
        uint8_t root[32], key_id[8];
        memset(root, 0x40 + i, sizeof root);
        memset(key_id, 0x07, sizeof key_id);
        Iapt__Manifest m = IAPT__MANIFEST__INIT;
        m.format_version = 1;
        m.collection = "IAPT";
        m.dataset_version = "2.1";
        m.org_code = i % 2 ? "P02" : "P01";
        m.period = "2025-09";
        m.sequence = (uint64_t)i + 1;
        m.created_at = 1759300000 + i;
        m.record_count = 100 + (uint64_t)i;
        m.records_root.data = root;
        m.records_root.len = 32;
        m.pseudo_key_id.data = key_id;
        m.pseudo_key_id.len = 8;
        m.node_version = "test";
        if (iapt_manifest_sign(&m, f->prov_sk, &f->leaf[i]) != 0)
            return -1;
        iapt_merkle_leaf_hash(f->leaf[i].data, f->leaf[i].len, f->hash[i]);
    }
    return iapt_merkle_mem_new(&f->hash[0][0], S_LEAVES, &f->mem);
}

static void
s_fix_free(s_fix_t *f)
{
    for (int i = 0; i < S_LEAVES; i++)
        iapt_buf_free(&f->leaf[i]);
    iapt_merkle_mem_destroy(&f->mem);
}

/* A checkpoint for the first `size` leaves, signed by sk under name, with
 * `root` instead of the true one when not NULL. */
static void
s_checkpoint(s_fix_t *f, uint64_t size, const uint8_t *root, const char *name, const uint8_t sk[64],
             iapt_buf_t *out)
{
    uint8_t r[32];
    iapt_merkle_source_t src = iapt_merkle_mem_source(f->mem);
    CHECK_EQ_INT(iapt_merkle_root(&src, size, r), 0);
    out->len = 0;
    CHECK_EQ_INT(iapt_checkpoint_sign(name, size, root ? root : r, name, sk, out), 0);
    CHECK_EQ_INT(iapt_buf_append(out, "", 1), 0); /* a C string for Receipt.checkpoint */
}

/* What a tamper may change: the receipt before it is signed. */
typedef void (*s_tamper_fn)(s_fix_t *f, Iapt__Receipt *r, iapt_buf_t *scratch);

/* The receipt of leaf `index` in the tree of `size` leaves, signed with sk,
 * after `tamper` (may be NULL) changed it. */
static void
s_receipt(s_fix_t *f, uint64_t index, uint64_t size, s_tamper_fn tamper, const uint8_t sk[64],
          iapt_buf_t *out)
{
    const uint8_t *mb, *sig;
    size_t ml, plen = 0;
    Iapt__Manifest *m = NULL;
    uint8_t id[32], proof[IAPT_MERKLE_PROOF_MAX_BYTES];
    ProtobufCBinaryData pv[IAPT_MERKLE_PROOF_MAX + 1];
    iapt_buf_t cp = IAPT_BUF_INIT, scratch = IAPT_BUF_INIT;
    iapt_merkle_source_t src = iapt_merkle_mem_source(f->mem);

    CHECK_EQ_INT(
        iapt_manifest_split(f->leaf[index].data, f->leaf[index].len, SIZE_MAX, &mb, &ml, &sig), 0);
    CHECK_EQ_INT(iapt_manifest_decode_verified(mb, ml, &m), 0);
    iapt_submission_id(f->leaf[index].data, f->leaf[index].len, id);
    CHECK_EQ_INT(iapt_merkle_inclusion_proof(&src, index, size, proof, &plen), 0);
    s_checkpoint(f, size, NULL, S_NAME, f->hub_sk, &cp);

    Iapt__Receipt r = IAPT__RECEIPT__INIT;
    r.submission_id.data = id;
    r.submission_id.len = 32;
    r.org_code = m->org_code;
    r.period = m->period;
    r.sequence = m->sequence;
    r.record_count = m->record_count;
    r.records_root = m->records_root;
    r.accepted_at = 1759400000;
    r.log_index = index;
    r.tree_size = size;
    for (size_t i = 0; i < plen / 32; i++) {
        pv[i].data = proof + 32 * i;
        pv[i].len = 32;
    }
    r.n_inclusion_proof = plen / 32;
    r.inclusion_proof = pv;
    r.checkpoint = (char *)cp.data;
    r.hub_name = S_NAME;
    if (tamper)
        tamper(f, &r, &scratch);
    out->len = 0;
    CHECK_EQ_INT(iapt_receipt_sign(&r, sk, out), 0);
    iapt_buf_free(&scratch);
    iapt_buf_free(&cp);
    iapt__manifest__free_unpacked(m, NULL);
}

static int
s_verify(s_fix_t *f, uint64_t index, const iapt_buf_t *receipt, const char *name,
         uint64_t *log_index)
{
    return iapt_receipt_verify(f->leaf[index].data, f->leaf[index].len, receipt->data, receipt->len,
                               f->hub_pk, name, log_index);
}

/* ---- the good receipt ------------------------------------------------------- */

static void
test_receipt_verifies(void)
{
    s_fix_t f;
    iapt_buf_t r = IAPT_BUF_INIT;
    CHECK_EQ_INT(s_fix_init(&f), 0);
    /* Every leaf, in every tree that holds it. */
    for (uint64_t size = 1; size <= S_LEAVES; size++)
        for (uint64_t i = 0; i < size; i++) {
            uint64_t index = 99;
            s_receipt(&f, i, size, NULL, f.hub_sk, &r);
            CHECK_EQ_INT(s_verify(&f, i, &r, S_NAME, &index), 0);
            CHECK_EQ_INT(index, i);
            /* Without a name, the receipt's own is used for the checkpoint. */
            CHECK_EQ_INT(s_verify(&f, i, &r, NULL, NULL), 0);
        }
    iapt_buf_free(&r);
    s_fix_free(&f);
}

/* ---- bytes changed after signing ----------------------------------------------- */

static void
test_every_byte_flipped_is_refused(void)
{
    s_fix_t f;
    iapt_buf_t r = IAPT_BUF_INIT;
    CHECK_EQ_INT(s_fix_init(&f), 0);
    s_receipt(&f, 3, S_LEAVES, NULL, f.hub_sk, &r);
    CHECK_EQ_INT(s_verify(&f, 3, &r, S_NAME, NULL), 0);
    int accepted = 0;
    for (size_t i = 0; i < r.len; i++) {
        for (int bit = 0; bit < 8; bit += 7) {
            r.data[i] ^= (uint8_t)(1u << bit);
            int rc = s_verify(&f, 3, &r, S_NAME, NULL);
            if (rc == 0) {
                fprintf(stderr, "byte %zu bit %d flipped: accepted\n", i, bit);
                accepted++;
            }
            CHECK(rc == IAPT_ECRYPTO || rc == IAPT_EFORMAT);
            r.data[i] ^= (uint8_t)(1u << bit);
        }
    }
    CHECK_EQ_INT(accepted, 0);
    CHECK_EQ_INT(s_verify(&f, 3, &r, S_NAME, NULL), 0);
    iapt_buf_free(&r);
    s_fix_free(&f);
}

static void
test_bad_signature_is_refused(void)
{
    s_fix_t f;
    iapt_buf_t r = IAPT_BUF_INIT;
    CHECK_EQ_INT(s_fix_init(&f), 0);
    s_receipt(&f, 2, 5, NULL, f.hub_sk, &r);
    /* The signature is the last 64 bytes of the SignedReceipt. */
    r.data[r.len - 10] ^= 0x01;
    CHECK_EQ_INT(s_verify(&f, 2, &r, S_NAME, NULL), IAPT_ECRYPTO);
    r.data[r.len - 10] ^= 0x01;
    /* Signed by someone else's key. */
    s_receipt(&f, 2, 5, NULL, f.other_sk, &r);
    CHECK_EQ_INT(s_verify(&f, 2, &r, S_NAME, NULL), IAPT_ECRYPTO);
    /* Truncated, empty, garbage. */
    s_receipt(&f, 2, 5, NULL, f.hub_sk, &r);
    for (size_t cut = 0; cut < r.len; cut += 7) {
        iapt_buf_t t = {r.data, cut, cut};
        CHECK(s_verify(&f, 2, &t, S_NAME, NULL) < 0);
    }
    uint8_t junk[200];
    memset(junk, 0xa5, sizeof junk);
    iapt_buf_t g = {junk, sizeof junk, sizeof junk};
    CHECK(s_verify(&f, 2, &g, S_NAME, NULL) < 0);
    iapt_buf_free(&r);
    s_fix_free(&f);
}

/* ---- a receipt the hub signed with the wrong contents ----------------------------- */

static uint8_t s_zero[32];

static void
t_submission_id(s_fix_t *f, Iapt__Receipt *r, iapt_buf_t *s)
{
    (void)s;
    iapt_submission_id(f->leaf[0].data, f->leaf[0].len, r->submission_id.data);
}
static void
t_org(s_fix_t *f, Iapt__Receipt *r, iapt_buf_t *s)
{
    (void)f, (void)s;
    r->org_code = strcmp(r->org_code, "P01") == 0 ? "P02" : "P01";
}
static void
t_period(s_fix_t *f, Iapt__Receipt *r, iapt_buf_t *s)
{
    (void)f, (void)s;
    r->period = "2025-08";
}
static void
t_sequence(s_fix_t *f, Iapt__Receipt *r, iapt_buf_t *s)
{
    (void)f, (void)s;
    r->sequence++;
}
static void
t_record_count(s_fix_t *f, Iapt__Receipt *r, iapt_buf_t *s)
{
    (void)f, (void)s;
    r->record_count--;
}
static void
t_records_root(s_fix_t *f, Iapt__Receipt *r, iapt_buf_t *s)
{
    (void)f, (void)s;
    r->records_root.data = s_zero;
}
static void
t_log_index_up(s_fix_t *f, Iapt__Receipt *r, iapt_buf_t *s)
{
    (void)f, (void)s;
    r->log_index++;
}
static void
t_log_index_down(s_fix_t *f, Iapt__Receipt *r, iapt_buf_t *s)
{
    (void)f, (void)s;
    r->log_index--;
}
static void
t_log_index_past(s_fix_t *f, Iapt__Receipt *r, iapt_buf_t *s)
{
    (void)f, (void)s;
    r->log_index = r->tree_size;
}
static void
t_tree_size(s_fix_t *f, Iapt__Receipt *r, iapt_buf_t *s)
{
    (void)f, (void)s;
    r->tree_size--;
}
static void
t_proof_hash(s_fix_t *f, Iapt__Receipt *r, iapt_buf_t *s)
{
    (void)f, (void)s;
    r->inclusion_proof[0].data[5] ^= 0x40;
}
static void
t_proof_short(s_fix_t *f, Iapt__Receipt *r, iapt_buf_t *s)
{
    (void)f, (void)s;
    r->n_inclusion_proof--;
}
static void
t_proof_long(s_fix_t *f, Iapt__Receipt *r, iapt_buf_t *s)
{
    (void)f, (void)s;
    r->inclusion_proof[r->n_inclusion_proof].data = s_zero;
    r->inclusion_proof[r->n_inclusion_proof].len = 32;
    r->n_inclusion_proof++;
}
static void
t_proof_swapped(s_fix_t *f, Iapt__Receipt *r, iapt_buf_t *s)
{
    (void)f, (void)s;
    ProtobufCBinaryData t = r->inclusion_proof[0];
    r->inclusion_proof[0] = r->inclusion_proof[1];
    r->inclusion_proof[1] = t;
}
static void
t_proof_hash_size(s_fix_t *f, Iapt__Receipt *r, iapt_buf_t *s)
{
    (void)f, (void)s;
    r->inclusion_proof[0].len = 31;
}
static void
t_checkpoint_root(s_fix_t *f, Iapt__Receipt *r, iapt_buf_t *s)
{
    uint8_t root[32];
    memset(root, 0x5a, sizeof root);
    s_checkpoint(f, r->tree_size, root, S_NAME, f->hub_sk, s);
    r->checkpoint = (char *)s->data;
}
static void
t_checkpoint_size(s_fix_t *f, Iapt__Receipt *r, iapt_buf_t *s)
{
    /* A genuine checkpoint, of another size than the receipt's. */
    s_checkpoint(f, r->tree_size - 1, NULL, S_NAME, f->hub_sk, s);
    r->checkpoint = (char *)s->data;
}
static void
t_checkpoint_other_key(s_fix_t *f, Iapt__Receipt *r, iapt_buf_t *s)
{
    s_checkpoint(f, r->tree_size, NULL, S_NAME, f->other_sk, s);
    r->checkpoint = (char *)s->data;
}
static void
t_checkpoint_other_name(s_fix_t *f, Iapt__Receipt *r, iapt_buf_t *s)
{
    s_checkpoint(f, r->tree_size, NULL, "other.example/log", f->hub_sk, s);
    r->checkpoint = (char *)s->data;
}
static void
t_checkpoint_garbage(s_fix_t *f, Iapt__Receipt *r, iapt_buf_t *s)
{
    (void)f, (void)s;
    r->checkpoint = "not a checkpoint\n";
}
static void
t_checkpoint_byte(s_fix_t *f, Iapt__Receipt *r, iapt_buf_t *s)
{
    s_checkpoint(f, r->tree_size, NULL, S_NAME, f->hub_sk, s);
    s->data[3] ^= 0x01; /* the origin line, under the signature */
    r->checkpoint = (char *)s->data;
}

typedef struct {
    const char *name;
    s_tamper_fn fn;
} s_case_t;

static void
test_tampered_fields_are_refused(void)
{
    static const s_case_t cases[] = {
        {"submission_id", t_submission_id},
        {"org_code", t_org},
        {"period", t_period},
        {"sequence", t_sequence},
        {"record_count", t_record_count},
        {"records_root", t_records_root},
        {"log_index + 1", t_log_index_up},
        {"log_index - 1", t_log_index_down},
        {"log_index = tree_size", t_log_index_past},
        {"tree_size - 1", t_tree_size},
        {"a proof hash", t_proof_hash},
        {"a proof hash dropped", t_proof_short},
        {"a proof hash added", t_proof_long},
        {"proof hashes swapped", t_proof_swapped},
        {"a proof hash of 31 bytes", t_proof_hash_size},
        {"checkpoint of another root", t_checkpoint_root},
        {"checkpoint of another size", t_checkpoint_size},
        {"checkpoint by another key", t_checkpoint_other_key},
        {"checkpoint under another name", t_checkpoint_other_name},
        {"checkpoint not one", t_checkpoint_garbage},
        {"checkpoint text changed", t_checkpoint_byte},
    };
    s_fix_t f;
    iapt_buf_t r = IAPT_BUF_INIT;
    CHECK_EQ_INT(s_fix_init(&f), 0);
    /* Leaf 4 of 7: its proof has three hashes, on both sides. */
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        s_receipt(&f, 4, S_LEAVES, cases[i].fn, f.hub_sk, &r);
        uint64_t index = 77;
        int rc = s_verify(&f, 4, &r, S_NAME, &index);
        if (rc == 0)
            fprintf(stderr, "tampered %s: accepted\n", cases[i].name);
        CHECK(rc == IAPT_ECRYPTO || rc == IAPT_EFORMAT);
        CHECK_EQ_INT(index, 77); /* not set on failure */
    }
    iapt_buf_free(&r);
    s_fix_free(&f);
}

/* The receipt's hub name is what the checkpoint is checked under when the
 * caller gives none; with a name given, it must be that one. */
static void
test_hub_name(void)
{
    s_fix_t f;
    iapt_buf_t r = IAPT_BUF_INIT;
    CHECK_EQ_INT(s_fix_init(&f), 0);
    s_receipt(&f, 1, 3, NULL, f.hub_sk, &r);
    CHECK_EQ_INT(s_verify(&f, 1, &r, "other.example/log", NULL), IAPT_ECRYPTO);
    CHECK_EQ_INT(s_verify(&f, 1, &r, S_NAME, NULL), 0);
    iapt_buf_free(&r);
    s_fix_free(&f);
}

/* A genuine receipt does not vouch for another manifest, nor for the same
 * manifest with its signature changed. */
static void
test_receipt_for_another_manifest(void)
{
    s_fix_t f;
    iapt_buf_t r = IAPT_BUF_INIT;
    CHECK_EQ_INT(s_fix_init(&f), 0);
    s_receipt(&f, 5, S_LEAVES, NULL, f.hub_sk, &r);
    for (int other = 0; other < S_LEAVES; other++)
        if (other != 5)
            CHECK(iapt_receipt_verify(f.leaf[other].data, f.leaf[other].len, r.data, r.len,
                                      f.hub_pk, S_NAME, NULL) < 0);
    f.leaf[5].data[f.leaf[5].len - 1] ^= 0x01;
    CHECK(s_verify(&f, 5, &r, S_NAME, NULL) < 0);
    f.leaf[5].data[f.leaf[5].len - 1] ^= 0x01;
    CHECK_EQ_INT(s_verify(&f, 5, &r, S_NAME, NULL), 0);
    /* The hub's key must be the one given. */
    CHECK_EQ_INT(
        iapt_receipt_verify(f.leaf[5].data, f.leaf[5].len, r.data, r.len, f.other_pk, S_NAME, NULL),
        IAPT_ECRYPTO);
    iapt_buf_free(&r);
    s_fix_free(&f);
}

TEST_MAIN(test_receipt_verifies, test_every_byte_flipped_is_refused, test_bad_signature_is_refused,
          test_tampered_fields_are_refused, test_hub_name, test_receipt_for_another_manifest)
