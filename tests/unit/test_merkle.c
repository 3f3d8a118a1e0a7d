/* Unit tests of common/merkle: hashing, the streaming builder and its saved
 * state, proofs over node sources, and verification, against published
 * vectors and against a direct transcription of the RFC's recursive
 * definitions. */
#include "common/err.h"
#include "common/merkle.h"
#include "common/util.h"
#include "tests/test.h"

#include <sodium.h>

#define H IAPT_MERKLE_HASH_BYTES

static void
s_hex(const char *hex, uint8_t *out)
{
    if (iapt_hex_decode(hex, out, strlen(hex) / 2) != 0) {
        fprintf(stderr, "bad hex in test: %s\n", hex);
        exit(2);
    }
}

static void
s_b64(const char *b64, uint8_t *out, size_t max, size_t *len)
{
    if (iapt_base64_decode(b64, strlen(b64), out, max, len) != 0) {
        fprintf(stderr, "bad base64 in test: %.40s\n", b64);
        exit(2);
    }
}

/* ---- the RFC 6962 reference vectors -----------------------------------
 * From github.com/transparency-dev/merkle: testonly/constants.go
 * (LeafInputs, NodeHashes, RootHashes, CompactTrees) and
 * proof/verify_test.go (inclusionProofs, consistencyProofs; there the leaf
 * numbers are 1-based, here they are converted to 0-based indexes). */

static const char *const v_leaves[8] = {
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
};

/* RootHashes(): roots of the trees of 0..8 leaves. */
static const char *const v_roots[9] = {
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

/* NodeHashes(): every perfect subtree of the 8-leaf tree, by level. */
static const char *const v_nodes[4][8] = {
    {
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    },
    {
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    },
    {
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    },
    {"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"},
};

typedef struct {
    uint64_t a, b; /* leaf index and size, or size1 and size2 */
    int n;
    const char *proof[3];
} v_proof_t;

static const v_proof_t v_inclusion[] = {
    {0, 1, 0, {NULL}},
    {0,
     8,
     3,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {5,
     8,
     3,
     {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {2, 3, 1, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
    {1,
     5,
     3,
     {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
};

static const v_proof_t v_consistency[] = {
    {1, 1, 0, {NULL}},
    {1,
     8,
     3,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {6,
     8,
     3,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {2,
     5,
     2,
     {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
    {6,
     7,
     3,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
};

/* Leaf hashes of the 8 vector leaves. */
static void
s_vector_leaf_hashes(uint8_t out[8][H])
{
    for (int i = 0; i < 8; i++) {
        uint8_t buf[16];
        size_t len = strlen(v_leaves[i]) / 2;
        s_hex(v_leaves[i], buf);
        iapt_merkle_leaf_hash(buf, len, out[i]);
    }
}

static void
s_proof_bytes(const v_proof_t *v, uint8_t *out, size_t *len)
{
    for (int i = 0; i < v->n; i++)
        s_hex(v->proof[i], out + i * H);
    *len = (size_t)v->n * H;
}

static void
test_hashes(void)
{
    uint8_t h[H], want[H];

    /* From transparency-dev/merkle rfc6962/rfc6962_test.go. */
    iapt_merkle_empty_root(h);
    s_hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", want);
    CHECK_EQ_MEM(h, want, H);
    iapt_merkle_leaf_hash(NULL, 0, h);
    s_hex("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d", want);
    CHECK_EQ_MEM(h, want, H);
    iapt_merkle_leaf_hash((const uint8_t *)"L123456", 7, h);
    s_hex("395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56", want);
    CHECK_EQ_MEM(h, want, H);

    /* Node hash is SHA-256(0x01 || l || r) and order matters. */
    uint8_t l[H], r[H], buf[65], n1[H], n2[H];
    memset(l, 0xaa, H);
    memset(r, 0x55, H);
    buf[0] = 1;
    memcpy(buf + 1, l, H);
    memcpy(buf + 1 + H, r, H);
    crypto_hash_sha256(want, buf, sizeof buf);
    iapt_merkle_node_hash(l, r, n1);
    CHECK_EQ_MEM(n1, want, H);
    iapt_merkle_node_hash(r, l, n2);
    CHECK(memcmp(n1, n2, H) != 0);
    /* Output may alias an input. */
    memcpy(n2, l, H);
    iapt_merkle_node_hash(n2, r, n2);
    CHECK_EQ_MEM(n2, want, H);
}

static void
test_vector_roots(void)
{
    uint8_t lh[8][H], want[H], got[H];
    iapt_merkle_builder_t b;
    iapt_merkle_mem_t *mem = NULL;

    s_vector_leaf_hashes(lh);
    iapt_merkle_builder_init(&b);
    CHECK_EQ_INT(iapt_merkle_mem_new(&lh[0][0], 8, &mem), 0);
    if (!mem)
        return;
    iapt_merkle_source_t src = iapt_merkle_mem_source(mem);
    for (int n = 0; n <= 8; n++) {
        s_hex(v_roots[n], want);
        iapt_merkle_builder_root(&b, got);
        CHECK_EQ_MEM(got, want, H);
        CHECK_EQ_INT(iapt_merkle_root(&src, (uint64_t)n, got), 0);
        CHECK_EQ_MEM(got, want, H);
        if (n < 8)
            CHECK_EQ_INT(iapt_merkle_builder_push(&b, lh[n]), 0);
    }
    CHECK_EQ_INT(iapt_merkle_builder_size(&b), 8);
    /* Every stored subtree matches NodeHashes(). */
    for (unsigned level = 0; level < 4; level++) {
        for (uint64_t i = 0; i < (8u >> level); i++) {
            s_hex(v_nodes[level][i], want);
            CHECK_EQ_INT(src.get(src.arg, level, i, got), 0);
            CHECK_EQ_MEM(got, want, H);
        }
    }
    CHECK_EQ_INT(src.get(src.arg, 3, 1, got), IAPT_ENOTFOUND);
    CHECK_EQ_INT(src.get(src.arg, 4, 0, got), IAPT_ENOTFOUND);
    CHECK_EQ_INT(src.get(src.arg, 64, 0, got), IAPT_ENOTFOUND);
    iapt_merkle_mem_destroy(&mem);
    iapt_merkle_mem_destroy(&mem);

    /* CompactTrees(): the builder's stack after n leaves is exactly the
     * compact range the reference gives, as level/index pairs. */
    static const struct {
        int n;
        int nodes[3][2];
    } compact[] = {
        {1, {{0, 0}}},         {2, {{1, 0}}},         {3, {{1, 0}, {0, 2}}},         {4, {{2, 0}}},
        {5, {{2, 0}, {0, 4}}}, {6, {{2, 0}, {1, 2}}}, {7, {{2, 0}, {1, 2}, {0, 6}}}, {8, {{3, 0}}},
    };
    for (size_t c = 0; c < sizeof compact / sizeof *compact; c++) {
        iapt_merkle_builder_init(&b);
        for (int i = 0; i < compact[c].n; i++)
            CHECK_EQ_INT(iapt_merkle_builder_push(&b, lh[i]), 0);
        int depth = __builtin_popcount((unsigned)compact[c].n);
        for (int k = 0; k < depth; k++) {
            s_hex(v_nodes[compact[c].nodes[k][0]][compact[c].nodes[k][1]], want);
            CHECK_EQ_MEM(b.stack[k], want, H);
        }
    }
}

/* The corruptions transparency-dev/merkle proof/verify_test.go tries on
 * each good inclusion proof; none may verify. */
static void
s_inclusion_probes(uint64_t idx, uint64_t size, const uint8_t *proof, size_t len,
                   const uint8_t root[H], const uint8_t leaf[H])
{
    uint8_t bad[IAPT_MERKLE_PROOF_MAX_BYTES + 2 * H], other[H], some[H];

    s_hex("abacaba000000000000000000000000000000000000000000060061e00123456", some);
    iapt_merkle_empty_root(other);
    CHECK_EQ_INT(iapt_merkle_verify_inclusion(idx, size, leaf, proof, len, root), 0);
    if (idx > 0)
        CHECK(iapt_merkle_verify_inclusion(idx - 1, size, leaf, proof, len, root) != 0);
    CHECK(iapt_merkle_verify_inclusion(idx + 1, size, leaf, proof, len, root) != 0);
    CHECK(iapt_merkle_verify_inclusion(idx ^ 2, size, leaf, proof, len, root) != 0);
    CHECK(iapt_merkle_verify_inclusion(idx, size * 2, leaf, proof, len, root) != 0);
    CHECK(iapt_merkle_verify_inclusion(idx, size / 2, leaf, proof, len, root) != 0);
    CHECK_EQ_INT(iapt_merkle_verify_inclusion(idx, size, some, proof, len, root), IAPT_ECRYPTO);
    CHECK_EQ_INT(iapt_merkle_verify_inclusion(idx, size, leaf, proof, len, other), IAPT_ECRYPTO);
    CHECK_EQ_INT(iapt_merkle_verify_inclusion(idx, size, leaf, proof, len, some), IAPT_ECRYPTO);
    /* Trailing and preceding garbage, partial hashes. */
    memcpy(bad, proof, len);
    memcpy(bad + len, root, H);
    CHECK(iapt_merkle_verify_inclusion(idx, size, leaf, bad, len + H, root) != 0);
    CHECK_EQ_INT(iapt_merkle_verify_inclusion(idx, size, leaf, bad, len + 1, root), IAPT_EFORMAT);
    memcpy(bad, root, H);
    memcpy(bad + H, proof, len);
    CHECK(iapt_merkle_verify_inclusion(idx, size, leaf, bad, len + H, root) != 0);
    /* One bit flipped in each element. */
    for (size_t i = 0; i < len / H; i++) {
        memcpy(bad, proof, len);
        bad[i * H] ^= 8;
        CHECK_EQ_INT(iapt_merkle_verify_inclusion(idx, size, leaf, bad, len, root), IAPT_ECRYPTO);
    }
    if (len >= H)
        CHECK(iapt_merkle_verify_inclusion(idx, size, leaf, proof, len - H, root) != 0);
    if (len > H) {
        memcpy(bad, proof, H);
        memcpy(bad + H, some, H);
        memcpy(bad + 2 * H, proof + H, len - H);
        CHECK(iapt_merkle_verify_inclusion(idx, size, leaf, bad, len + H, root) != 0);
    }
}

static void
s_consistency_probes(uint64_t m, uint64_t n, const uint8_t *proof, size_t len,
                     const uint8_t root1[H], const uint8_t root2[H])
{
    uint8_t bad[IAPT_MERKLE_PROOF_MAX_BYTES + 2 * H], wrong[H];

    memset(wrong, 0x77, H);
    CHECK_EQ_INT(iapt_merkle_verify_consistency(m, n, root1, root2, proof, len), 0);
    if (len == 0)
        return;
    CHECK(iapt_merkle_verify_consistency(m - 1, n, root1, root2, proof, len) != 0);
    CHECK(iapt_merkle_verify_consistency(m + 1, n, root1, root2, proof, len) != 0);
    CHECK(iapt_merkle_verify_consistency(m ^ 2, n, root1, root2, proof, len) != 0);
    CHECK(iapt_merkle_verify_consistency(m, n * 2, root1, root2, proof, len) != 0);
    CHECK(iapt_merkle_verify_consistency(m, n / 2, root1, root2, proof, len) != 0);
    CHECK(iapt_merkle_verify_consistency(m, n, wrong, root2, proof, len) != 0);
    CHECK(iapt_merkle_verify_consistency(m, n, root1, wrong, proof, len) != 0);
    CHECK(iapt_merkle_verify_consistency(m, n, root2, root1, proof, len) != 0);
    CHECK_EQ_INT(iapt_merkle_verify_consistency(m, n, root1, root2, proof, 0), IAPT_EFORMAT);
    const uint8_t *extra[3] = {root1, root2, proof};
    for (int e = 0; e < 3; e++) {
        memcpy(bad, proof, len);
        memcpy(bad + len, extra[e], H);
        CHECK(iapt_merkle_verify_consistency(m, n, root1, root2, bad, len + H) != 0);
        memcpy(bad, extra[e], H);
        memcpy(bad + H, proof, len);
        CHECK(iapt_merkle_verify_consistency(m, n, root1, root2, bad, len + H) != 0);
    }
    CHECK_EQ_INT(iapt_merkle_verify_consistency(m, n, root1, root2, proof, len - 1), IAPT_EFORMAT);
    CHECK(iapt_merkle_verify_consistency(m, n, root1, root2, proof, len - H) != 0);
    for (size_t i = 0; i < len / H; i++) {
        memcpy(bad, proof, len);
        bad[i * H] ^= 16;
        CHECK(iapt_merkle_verify_consistency(m, n, root1, root2, bad, len) != 0);
    }
}

static void
test_vector_inclusion(void)
{
    uint8_t lh[8][H], want[IAPT_MERKLE_PROOF_MAX_BYTES], got[IAPT_MERKLE_PROOF_MAX_BYTES];
    uint8_t root[H];
    size_t want_len, got_len;
    iapt_merkle_mem_t *mem = NULL;

    s_vector_leaf_hashes(lh);
    CHECK_EQ_INT(iapt_merkle_mem_new(&lh[0][0], 8, &mem), 0);
    if (!mem)
        return;
    iapt_merkle_source_t src = iapt_merkle_mem_source(mem);
    for (size_t v = 0; v < sizeof v_inclusion / sizeof *v_inclusion; v++) {
        const v_proof_t *p = &v_inclusion[v];
        s_proof_bytes(p, want, &want_len);
        s_hex(v_roots[p->b], root);
        CHECK_EQ_INT(iapt_merkle_inclusion_proof(&src, p->a, p->b, got, &got_len), 0);
        CHECK_EQ_INT(got_len, want_len);
        CHECK_EQ_MEM(got, want, want_len);
        s_inclusion_probes(p->a, p->b, want, want_len, root, lh[p->a]);
    }
    /* From TestVerifyInclusion: nothing verifies against an empty tree or
     * an index outside the tree. */
    uint8_t some[H], empty[H];
    s_hex("abacaba000000000000000000000000000000000000000000060061e00123456", some);
    iapt_merkle_empty_root(empty);
    static const uint64_t probes[4][2] = {{0, 0}, {0, 1}, {1, 0}, {2, 1}};
    for (int i = 0; i < 4; i++)
        CHECK(iapt_merkle_verify_inclusion(probes[i][0], probes[i][1], some, NULL, 0, empty) != 0);
    CHECK_EQ_INT(iapt_merkle_verify_inclusion(0, 0, some, NULL, 0, some), IAPT_EFORMAT);
    CHECK_EQ_INT(iapt_merkle_verify_inclusion(2, 1, some, NULL, 0, some), IAPT_EFORMAT);
    /* Size 1: the root is the leaf hash and the proof is empty. */
    CHECK_EQ_INT(iapt_merkle_verify_inclusion(0, 1, some, NULL, 0, some), 0);
    /* Generation refuses leaves outside the tree. */
    CHECK_EQ_INT(iapt_merkle_inclusion_proof(&src, 8, 8, got, &got_len), IAPT_EUSAGE);
    CHECK_EQ_INT(iapt_merkle_inclusion_proof(&src, 0, 0, got, &got_len), IAPT_EUSAGE);
    /* A source that lacks a node makes generation fail, not guess. */
    CHECK_EQ_INT(iapt_merkle_inclusion_proof(&src, 0, 9, got, &got_len), IAPT_ENOTFOUND);
    iapt_merkle_mem_destroy(&mem);
}

static void
test_vector_consistency(void)
{
    uint8_t lh[8][H], want[IAPT_MERKLE_PROOF_MAX_BYTES], got[IAPT_MERKLE_PROOF_MAX_BYTES];
    uint8_t r1[H], r2[H];
    size_t want_len, got_len;
    iapt_merkle_mem_t *mem = NULL;

    s_vector_leaf_hashes(lh);
    CHECK_EQ_INT(iapt_merkle_mem_new(&lh[0][0], 8, &mem), 0);
    if (!mem)
        return;
    iapt_merkle_source_t src = iapt_merkle_mem_source(mem);
    for (size_t v = 0; v < sizeof v_consistency / sizeof *v_consistency; v++) {
        const v_proof_t *p = &v_consistency[v];
        s_proof_bytes(p, want, &want_len);
        s_hex(v_roots[p->a], r1);
        s_hex(v_roots[p->b], r2);
        CHECK_EQ_INT(iapt_merkle_consistency_proof(&src, p->a, p->b, got, &got_len), 0);
        CHECK_EQ_INT(got_len, want_len);
        CHECK_EQ_MEM(got, want, want_len);
        s_consistency_probes(p->a, p->b, want, want_len, r1, r2);
    }

    /* The edge cases of TestVerifyConsistency. */
    uint8_t a[H], b[H], empty[H];
    memset(a, 1, H);
    memset(b, 2, H);
    iapt_merkle_empty_root(empty);
    CHECK(iapt_merkle_verify_consistency(0, 0, a, b, NULL, 0) != 0);
    CHECK(iapt_merkle_verify_consistency(1, 1, a, b, NULL, 0) != 0);
    CHECK_EQ_INT(iapt_merkle_verify_consistency(1, 1, b, b, NULL, 0), 0);
    CHECK_EQ_INT(iapt_merkle_verify_consistency(0, 0, empty, empty, NULL, 0), 0);
    CHECK_EQ_INT(iapt_merkle_verify_consistency(0, 1, empty, b, NULL, 0), 0);
    /* Stricter than the reference: a size-0 tree has only one root. */
    CHECK_EQ_INT(iapt_merkle_verify_consistency(0, 1, a, b, NULL, 0), IAPT_ECRYPTO);
    CHECK_EQ_INT(iapt_merkle_verify_consistency(1, 0, a, b, NULL, 0), IAPT_EFORMAT);
    CHECK_EQ_INT(iapt_merkle_verify_consistency(2, 1, a, b, NULL, 0), IAPT_EFORMAT);
    CHECK_EQ_INT(iapt_merkle_verify_consistency(1, 2, a, b, NULL, 0), IAPT_EFORMAT);
    CHECK(iapt_merkle_verify_consistency(0, 0, empty, b, NULL, 0) != 0);
    CHECK(iapt_merkle_verify_consistency(1, 1, empty, b, NULL, 0) != 0);
    CHECK_EQ_INT(iapt_merkle_verify_consistency(0, 0, empty, empty, empty, H), IAPT_EFORMAT);
    CHECK_EQ_INT(iapt_merkle_verify_consistency(0, 1, empty, empty, empty, H), IAPT_EFORMAT);
    CHECK_EQ_INT(iapt_merkle_verify_consistency(1, 1, empty, empty, empty, H), IAPT_EFORMAT);

    CHECK_EQ_INT(iapt_merkle_consistency_proof(&src, 5, 4, got, &got_len), IAPT_EUSAGE);
    CHECK_EQ_INT(iapt_merkle_consistency_proof(&src, 0, 8, got, &got_len), 0);
    CHECK_EQ_INT(got_len, 0);
    CHECK_EQ_INT(iapt_merkle_consistency_proof(&src, 8, 8, got, &got_len), 0);
    CHECK_EQ_INT(got_len, 0);
    iapt_merkle_mem_destroy(&mem);
}

/* ---- proof shapes -------------------------------------------------------
 * transparency-dev/merkle proof/proof_test.go (TestInclusion,
 * TestConsistency) lists, for trees up to 95 leaves, which stored nodes make
 * up each proof, with "rehash" ranges [begin, end) that a reader folds into
 * one hash (acc = ids[begin]; acc = H(ids[i], acc) for the rest). A source
 * whose "hash" of node (level, index) just spells out the pair lets the
 * generated proofs be compared against those lists. */

static int
s_symbolic_get(void *arg, unsigned level, uint64_t index, uint8_t out[H])
{
    (void)arg;
    memset(out, 0, H);
    out[0] = (uint8_t)level;
    for (int i = 0; i < 8; i++)
        out[1 + i] = (uint8_t)(index >> (56 - 8 * i));
    out[31] = 0xee; /* never a real hash of something small */
    return 0;
}

typedef struct {
    uint64_t a, b;
    int begin, end; /* rehash range, begin == end when none */
    int n;
    int ids[9][2];
} v_shape_t;

static const v_shape_t v_inclusion_shapes[] = {
    {0, 1, 0, 0, 0, {{0}}},
    {0, 2, 0, 0, 1, {{0, 1}}},
    {1, 2, 0, 0, 1, {{0, 0}}},
    {1, 3, 0, 0, 2, {{0, 0}, {0, 2}}},
    {0, 7, 2, 4, 4, {{0, 1}, {1, 1}, {0, 6}, {1, 2}}},
    {1, 7, 2, 4, 4, {{0, 0}, {1, 1}, {0, 6}, {1, 2}}},
    {2, 7, 2, 4, 4, {{0, 3}, {1, 0}, {0, 6}, {1, 2}}},
    {3, 7, 2, 4, 4, {{0, 2}, {1, 0}, {0, 6}, {1, 2}}},
    {4, 7, 0, 0, 3, {{0, 5}, {0, 6}, {2, 0}}},
    {5, 7, 0, 0, 3, {{0, 4}, {0, 6}, {2, 0}}},
    {6, 7, 0, 0, 2, {{1, 2}, {2, 0}}},
    {2, 4, 0, 0, 2, {{0, 3}, {1, 0}}},
    {3, 5, 0, 0, 3, {{0, 2}, {1, 0}, {0, 4}}},
    {3, 6, 0, 0, 3, {{0, 2}, {1, 0}, {1, 2}}},
    {4, 6, 0, 0, 2, {{0, 5}, {2, 0}}},
    {10, 15, 2, 4, 5, {{0, 11}, {1, 4}, {0, 14}, {1, 6}, {3, 0}}},
    {24, 31, 2, 4, 6, {{0, 25}, {1, 13}, {0, 30}, {1, 14}, {3, 2}, {4, 0}}},
    {81, 95, 3, 6, 8, {{0, 80}, {1, 41}, {2, 21}, {0, 94}, {1, 46}, {2, 22}, {4, 4}, {6, 0}}},
};

static const v_shape_t v_consistency_shapes[] = {
    {1, 2, 0, 0, 1, {{0, 1}}},
    {1, 4, 0, 0, 2, {{0, 1}, {1, 1}}},
    {1, 6, 0, 0, 3, {{0, 1}, {1, 1}, {1, 2}}},
    {2, 3, 0, 0, 1, {{0, 2}}},
    {2, 8, 0, 0, 2, {{1, 1}, {2, 1}}},
    {3, 7, 3, 5, 5, {{0, 2}, {0, 3}, {1, 0}, {0, 6}, {1, 2}}},
    {4, 7, 0, 2, 2, {{0, 6}, {1, 2}}},
    {5, 7, 0, 0, 4, {{0, 4}, {0, 5}, {0, 6}, {2, 0}}},
    {6, 7, 0, 0, 3, {{1, 2}, {0, 6}, {2, 0}}},
    {7, 8, 0, 0, 4, {{0, 6}, {0, 7}, {1, 2}, {2, 0}}},
    {1, 1, 0, 0, 0, {{0}}},
    {5, 5, 0, 0, 0, {{0}}},
    {8, 8, 0, 0, 0, {{0}}},
    {2, 4, 0, 0, 1, {{1, 1}}},
    {3, 5, 0, 0, 4, {{0, 2}, {0, 3}, {1, 0}, {0, 4}}},
    {3, 6, 0, 0, 4, {{0, 2}, {0, 3}, {1, 0}, {1, 2}}},
    {4, 6, 0, 0, 1, {{1, 2}}},
    {1, 7, 2, 4, 4, {{0, 1}, {1, 1}, {0, 6}, {1, 2}}},
    {10, 15, 2, 4, 5, {{1, 4}, {1, 5}, {0, 14}, {1, 6}, {3, 0}}},
    {24, 31, 1, 4, 5, {{3, 2}, {0, 30}, {1, 14}, {2, 6}, {4, 0}}},
    {81,
     95,
     4,
     7,
     9,
     {{0, 80}, {0, 81}, {1, 41}, {2, 21}, {0, 94}, {1, 46}, {2, 22}, {4, 4}, {6, 0}}},
};

/* Expected proof bytes for a shape. */
static size_t
s_shape_bytes(const v_shape_t *s, uint8_t *out)
{
    size_t k = 0;
    for (int i = 0; i < s->n;) {
        uint8_t acc[H];
        s_symbolic_get(NULL, (unsigned)s->ids[i][0], (uint64_t)s->ids[i][1], acc);
        if (s->begin != s->end && i == s->begin) {
            for (int j = s->begin + 1; j < s->end; j++) {
                uint8_t node[H];
                s_symbolic_get(NULL, (unsigned)s->ids[j][0], (uint64_t)s->ids[j][1], node);
                iapt_merkle_node_hash(node, acc, acc);
            }
            i = s->end;
        } else {
            i++;
        }
        memcpy(out + k * H, acc, H);
        k++;
    }
    return k * H;
}

static void
test_proof_shapes(void)
{
    iapt_merkle_source_t src = {s_symbolic_get, NULL};
    uint8_t want[IAPT_MERKLE_PROOF_MAX_BYTES], got[IAPT_MERKLE_PROOF_MAX_BYTES];
    size_t want_len, got_len;

    for (size_t i = 0; i < sizeof v_inclusion_shapes / sizeof *v_inclusion_shapes; i++) {
        const v_shape_t *s = &v_inclusion_shapes[i];
        want_len = s_shape_bytes(s, want);
        CHECK_EQ_INT(iapt_merkle_inclusion_proof(&src, s->a, s->b, got, &got_len), 0);
        CHECK_EQ_INT(got_len, want_len);
        if (got_len == want_len && memcmp(got, want, want_len) != 0) {
            fprintf(stderr, "inclusion %llu in %llu differs\n", (unsigned long long)s->a,
                    (unsigned long long)s->b);
            CHECK(0);
        }
    }
    for (size_t i = 0; i < sizeof v_consistency_shapes / sizeof *v_consistency_shapes; i++) {
        const v_shape_t *s = &v_consistency_shapes[i];
        want_len = s_shape_bytes(s, want);
        CHECK_EQ_INT(iapt_merkle_consistency_proof(&src, s->a, s->b, got, &got_len), 0);
        CHECK_EQ_INT(got_len, want_len);
        if (got_len == want_len && memcmp(got, want, want_len) != 0) {
            fprintf(stderr, "consistency %llu to %llu differs\n", (unsigned long long)s->a,
                    (unsigned long long)s->b);
            CHECK(0);
        }
    }
}

/* ---- a real Certificate Transparency log -------------------------------
 * Responses of the Google Argon 2020 log, as kept in golang.org/x/mod
 * sumdb/tlog/testdata/argon2020/ (sth.json, entries.json, proof.json,
 * consistency.json; the old root is in sumdb/tlog/ct_test.go): the inclusion
 * of entry 10000 and the consistency of size 3654490 with the tree of
 * 961984013 entries. */

static const char ct_root[] = "dwlueapdd7LaOEnX2W2Wp9v2XE+KzejHRQGHwEx0oaM=";
static const char ct_old_root[] = "AuIZ5V6sDUj1vn3Y1K85oOaQ7y+FJJKtyRTl1edIKBQ=";
static const char ct_leaf[] =
    "AAAAAAFelPhqUwAAAAViMIIFXjCCBEagAwIBAgIRAOodHzZdqWIFzYyl/SovhCMwDQYJKoZIhvcNAQELBQAwgZAxCzAJ"
    "BgNVBAYTAkdCMRswGQYDVQQIExJHcmVhdGVyIE1hbmNoZXN0ZXIxEDAOBgNVBAcTB1NhbGZvcmQxGjAYBgNVBAoTEUNP"
    "TU9ETyBDQSBMaW1pdGVkMTYwNAYDVQQDEy1DT01PRE8gUlNBIERvbWFpbiBWYWxpZGF0aW9uIFNlY3VyZSBTZXJ2ZXIg"
    "Q0EwHhcNMTcwMjE1MDAwMDAwWhcNMjAwNDE2MjM1OTU5WjBfMSEwHwYDVQQLExhEb21haW4gQ29udHJvbCBWYWxpZGF0"
    "ZWQxHTAbBgNVBAsTFFBvc2l0aXZlU1NMIFdpbGRjYXJkMRswGQYDVQQDDBIqLmxhbmRsb3Jkcy5jb20uYXUwggEiMA0G"
    "CSqGSIb3DQEBAQUAA4IBDwAwggEKAoIBAQCtPBKKHj4zdrGlCjgTHzb5gx9JCs97DwvBz60f14gDufF2haWbOxyJ0a3o"
    "pAMsZnOr8HkARVCwxdqG/PTfACcb0QM7FOlzvxGqxataTYiChwvkkif8F9GlJw69HuHgzhusPf1Ytfk3ps1PRC14Mkyr"
    "S4kwPrk/Le4XdkqRpRw62wG4V6IkbzsNMEOl1H8EgUbfyapdOcVxHjIzvBVy56fBRKG05Fr5wNq3Acak5kYZdNsLhhml"
    "rqAfAjiombW3hb3V5blJdRC0BDdYHv2+zKey6LqJ1FDoXo6IzbzPpC+aifZy47YX+/N1U64Qn5xlDg7mOP8JXfkNJHbU"
    "1TJZHif5AgMBAAGjggHhMIIB3TAfBgNVHSMEGDAWgBSQr2o6lFoL2JDqElZz30O0Oija5zAdBgNVHQ4EFgQUNQSLjkoz"
    "01I+iuuoC5lgEp0anhcwDgYDVR0PAQH/BAQDAgWgMAwGA1UdEwEB/wQCMAAwHQYDVR0lBBYwFAYIKwYBBQUHAwEGCCsG"
    "AQUFBwMCME8GA1UdIARIMEYwOgYLKwYBBAGyMQECAgcwKzApBggrBgEFBQcCARYdaHR0cHM6Ly9zZWN1cmUuY29tb2Rv"
    "LmNvbS9DUFMwCAYGZ4EMAQIBMFQGA1UdHwRNMEswSaBHoEWGQ2h0dHA6Ly9jcmwuY29tb2RvY2EuY29tL0NPTU9ET1JT"
    "QURvbWFpblZhbGlkYXRpb25TZWN1cmVTZXJ2ZXJDQS5jcmwwgYUGCCsGAQUFBwEBBHkwdzBPBggrBgEFBQcwAoZDaHR0"
    "cDovL2NydC5jb21vZG9jYS5jb20vQ09NT0RPUlNBRG9tYWluVmFsaWRhdGlvblNlY3VyZVNlcnZlckNBLmNydDAkBggr"
    "BgEFBQcwAYYYaHR0cDovL29jc3AuY29tb2RvY2EuY29tMC8GA1UdEQQoMCaCEioubGFuZGxvcmRzLmNvbS5hdYIQbGFu"
    "ZGxvcmRzLmNvbS5hdTANBgkqhkiG9w0BAQsFAAOCAQEACyHqxUzrexToY7tOv4+kyGPP2D27P1tQpyzeAl1bPObiMhNK"
    "2b9vvBLDWAaqm8c0YL1h+DBdLoWzf3xFsIkTCVCjWJTNSNlcYtgRk6or1s7jWsfXzWqsnPjPPmTIOCw7EfH7Yme3oxPs"
    "3UUsmShAgPwNohAtL9GqlqMiKM6v1WU3NHt01jEoNP23LRa6KeNK6AH6WHJykzL223IlhgXjHTeuQj6lR+TNrQXJuhwT"
    "XYe+20rrpPQxc1Pn7AqnvfWgmicRQ7gdIcr4V6+ecTvLfNOaJ0ZYe5G5giuAAdTm7F57pk04f4gyZNYKrj88mvbkoriN"
    "8b6jcWExtrYO6bm2TwAA";
static const char *const ct_audit_path[] = {
    "T46AmJsuOM/gFiGlUp+IJJebp+1Z5qratFNW7U0JyOQ=", "9Jj1Feodn42uRYEfffkV4HF/EIPFQ5Zo9IwkxbQ2uhk=",
    "D53/1oCNebF4J59HHgioovKZxrmrKcVuCVhy3Izg8Ck=", "wSFDgGSrsXRPA+1c8WHoAFCsWeUv8NDyP/Q/SgsyVyY=",
    "516/RcwsgdwdzHn18v1dJHqBkgFUbNhmCIWOGjsMJaE=", "naTFY2ajLFgrgs5XUl+zJYZnnlJksLGsA1VYwpLfqbY=",
    "mKBRJo6qao+0Kdh/rhGkZUbHUAxMhrtrclrTpIbNjIg=", "Co4ueOFE7lpifLio94irxxsv1wFMMaK3tPu2ZQkHlro=",
    "yRgy800K6JMYCC05sWfqF2kvCg2riT/pVM+nEa6V5+0=", "n2O38XJZC8/Wpbwi9HhgVizlUyeUHVZvYyQB1607MRc=",
    "go3tAjuNfNSCj87y2Rg1xOroDknGN1eaf3cgvzObf7Q=", "8D0Mj3/J7ySSnFb0afIHYXv6rlOhECnsebY6XKi1IR8=",
    "6rcez46ZU8M5vPiWVMAUfJfAOV0pPP/mch/lYzZhj/M=", "2rtIeXrPvSdUyHc5maIgSAVB2BzaKaupWxSAiVayDE4=",
    "nniW/IMFQPN5xw8UsHFn7CRStYbm1gLu7NNa6kkRqJQ=", "mRPPi7sQS22MduIEyvcNzCNFqIt6kLwYPkNKrVtIcu8=",
    "JvTivzESNS9wHI8aph5a7uieVmtS/p9PciMZ5D6GyOo=", "UTyQd+Ym0wY4zG+qK806bBORwi1CSVvFQ/KknnqoZj8=",
    "hXODrqN+ff+U6zPqRQ+ZQKs6im1fPcxIerDSfNwflhE=", "II6GE+WY/DrpZzfHztLwkR46o37zVkNLCyPYlf68zA0=",
    "d609kWWcNBllbA8Jb/ad4XAVVGnScLRmtP8FYyr+Dck=", "rikBsP0G0gioXRpBFED2CzQdSLrGPvRd0bEcbEZw1rI=",
    "GXIElfmnRuWfbA4z7ubV/UwlpSRUbUeec7oL5HDDnh0=", "pR0SH/NYP6s9+8azWwaeUXA4Ze/3WCIgMfh5YW6wvcE=",
    "f3GuAKYVrF8RBg3s15jvA/YvV9oAliWtzP/imwPhQVA=", "WHn8zDxlVgkV+lSlmzaOdfSBrTHoRr5nT3d76q0KKWE=",
    "f2uV2ZxVgULzLPKuZcowRY3ZY7fRlX59iDBjV1R8kNQ=", "NzQVjJsvQwbi7WStMr9oFkh9VbHfK7LB6o7WwAqwNTs=",
    "C0LttBeYHZHgL+032JIcJC3CTBIyza/hsbmJUgJfmDI=", "nixU5CWTFVDlF4BGdcU6kA7WSYurEpe9jRWc+F/7sOc=",
};
static const char *const ct_consistency[] = {
    "80Sfbj6UQEdVSZCSIgh9NMPj3vCBzcc1A48B2crJSWg=", "FZcrgAHUk6nNPviJZq8kEK6jCG1d18pJOFE45ZDc1TQ=",
    "Q67reWXmPBo1UfmwBap4Xi9PMPfFdUSSw3WGlRZdG7k=", "eJ7CyhR4PxzBxDIsWgrVYW1eFUb9ndgf46tFmiqVrxA=",
    "QrDwp062Grm5WY8KdrhFsBuuNjGzRox2Jb8PmVL5OYw=", "XM4YMjMEdLH/XJam/ZWyaP14k3cmsOtnPsOWQ54lW1s=",
    "SGiBh+jOTGccXU48ZzgQ88lRcBmtB4wz4oSDndv2QTg=", "WAS6txqNLYKGL1GdBdpqmV42TTfn6cJsuDsqLXuTCNI=",
    "QFmRS0rirUA7ZN3lxFjDncV+E1OCrn3NUB4RCp+5fzc=", "Hdbp7It2XBNZmNDBpCN/KPd7vfVqxgzwOosqVIaEA9E=",
    "mxvHL0ZiblBdD7j7pIa1jlfB0gSqfJ6oX0UGo7L0VsU=", "q5hjyvoW6TL/PThgcitpDcSTrnKX2p1+aqscqH2euRA=",
    "jTOWDqt3IHj2NVFeezyBz2ofpru+ztEywqKUAfFclKI=", "GIRn0w3HqJdvU9j1WVD//eR6lk2AaTVjyzjsJNP8U88=",
    "x52GJvxG81fnQBrgOTbll1A5tz95/LXK0Ag1NhB0r1I=", "6/0OqrcTgc3o5dD5PymmoC96lB9yLPFuTHVvLy8fSGk=",
    "Gf+iKLfcXO5l4JEFmsZvSdG5q1uEeWPfYLrds6pmjz0=", "DGuaco+McyM3AfRSF6qX7RwSetwe2ieYJmxw5e9rVx0=",
    "2tQJ9V32hnYp+fdpP6TcjmgJmLeNVOMKM0Ml1kk4cNU=", "3PapK+IkyJr8I9yAErAmzuZezzLMzsg+PfeRCgNW8NQ=",
    "s6xiYeejb+wtqHA+URJZ2I/SCPyIW8coP6aB00FJbMY=", "z9lSpmdTcr5M5ZzKlc4EPh3SrSypKFdk6JUF/UccaZU=",
    "GXIElfmnRuWfbA4z7ubV/UwlpSRUbUeec7oL5HDDnh0=", "pR0SH/NYP6s9+8azWwaeUXA4Ze/3WCIgMfh5YW6wvcE=",
    "f3GuAKYVrF8RBg3s15jvA/YvV9oAliWtzP/imwPhQVA=", "WHn8zDxlVgkV+lSlmzaOdfSBrTHoRr5nT3d76q0KKWE=",
    "f2uV2ZxVgULzLPKuZcowRY3ZY7fRlX59iDBjV1R8kNQ=", "NzQVjJsvQwbi7WStMr9oFkh9VbHfK7LB6o7WwAqwNTs=",
    "C0LttBeYHZHgL+032JIcJC3CTBIyza/hsbmJUgJfmDI=", "nixU5CWTFVDlF4BGdcU6kA7WSYurEpe9jRWc+F/7sOc=",
};

static void
test_ct_log(void)
{
    uint8_t root[H], old_root[H], leaf[2048], lh[H];
    uint8_t path[30 * H], cons[30 * H];
    size_t len, leaf_len;
    const uint64_t size = 961984013, old_size = 3654490;

    s_b64(ct_root, root, H, &len);
    CHECK_EQ_INT(len, H);
    s_b64(ct_old_root, old_root, H, &len);
    s_b64(ct_leaf, leaf, sizeof leaf, &leaf_len);
    for (int i = 0; i < 30; i++) {
        s_b64(ct_audit_path[i], path + i * H, H, &len);
        s_b64(ct_consistency[i], cons + i * H, H, &len);
    }
    iapt_merkle_leaf_hash(leaf, leaf_len, lh);
    CHECK_EQ_INT(iapt_merkle_verify_inclusion(10000, size, lh, path, sizeof path, root), 0);
    CHECK_EQ_INT(iapt_merkle_verify_consistency(old_size, size, old_root, root, cons, sizeof cons),
                 0);
    /* Off by one anywhere and it fails. */
    CHECK(iapt_merkle_verify_inclusion(10001, size, lh, path, sizeof path, root) != 0);
    CHECK(iapt_merkle_verify_inclusion(10000, size * 2, lh, path, sizeof path, root) != 0);
    CHECK(iapt_merkle_verify_inclusion(10000, size / 2, lh, path, sizeof path, root) != 0);
    CHECK(iapt_merkle_verify_consistency(old_size + 1, size, old_root, root, cons, sizeof cons) !=
          0);
    leaf[100] ^= 1;
    iapt_merkle_leaf_hash(leaf, leaf_len, lh);
    CHECK_EQ_INT(iapt_merkle_verify_inclusion(10000, size, lh, path, sizeof path, root),
                 IAPT_ECRYPTO);
}

/* ---- against the RFC's recursive definitions ---------------------------
 * A direct transcription of RFC 9162 2.1.1 (MTH), 2.1.3.1 (PATH) and
 * 2.1.4.1 (PROOF/SUBPROOF) over an array of leaf hashes: slow and obviously
 * right, to compare the unrolled walks with on every small tree. */

static void
s_ref_mth(const uint8_t (*d)[H], uint64_t n, uint8_t out[H])
{
    if (n == 0) {
        iapt_merkle_empty_root(out);
        return;
    }
    if (n == 1) {
        memcpy(out, d[0], H);
        return;
    }
    uint64_t k = 1;
    while (k * 2 < n)
        k *= 2;
    uint8_t l[H], r[H];
    s_ref_mth(d, k, l);
    s_ref_mth(d + k, n - k, r);
    iapt_merkle_node_hash(l, r, out);
}

static void
s_ref_path(const uint8_t (*d)[H], uint64_t m, uint64_t n, uint8_t *out, size_t *len)
{
    if (n <= 1)
        return;
    uint64_t k = 1;
    while (k * 2 < n)
        k *= 2;
    if (m < k) {
        s_ref_path(d, m, k, out, len);
        s_ref_mth(d + k, n - k, out + *len);
    } else {
        s_ref_path(d + k, m - k, n - k, out, len);
        s_ref_mth(d, k, out + *len);
    }
    *len += H;
}

static void
s_ref_subproof(const uint8_t (*d)[H], uint64_t m, uint64_t n, int b, uint8_t *out, size_t *len)
{
    if (m == n) {
        if (!b) {
            s_ref_mth(d, m, out + *len);
            *len += H;
        }
        return;
    }
    uint64_t k = 1;
    while (k * 2 < n)
        k *= 2;
    if (m <= k) {
        s_ref_subproof(d, m, k, b, out, len);
        s_ref_mth(d + k, n - k, out + *len);
    } else {
        s_ref_subproof(d + k, m - k, n - k, 0, out, len);
        s_ref_mth(d, k, out + *len);
    }
    *len += H;
}

static void
test_against_rfc_recursion(void)
{
    enum { N = 70 };
    static uint8_t d[N][H];
    uint8_t got[IAPT_MERKLE_PROOF_MAX_BYTES], want[IAPT_MERKLE_PROOF_MAX_BYTES];
    uint8_t root[N + 1][H], r[H];
    size_t got_len, want_len;
    iapt_merkle_mem_t *mem = NULL;
    iapt_merkle_builder_t b;
    int bad = 0;

    for (int i = 0; i < N; i++) {
        uint8_t leaf[4] = {(uint8_t)i, (uint8_t)(i * 7), 0x42, (uint8_t)(i >> 8)};
        iapt_merkle_leaf_hash(leaf, (size_t)(i % 5), d[i]);
    }
    CHECK_EQ_INT(iapt_merkle_mem_new(&d[0][0], N, &mem), 0);
    if (!mem)
        return;
    iapt_merkle_source_t src = iapt_merkle_mem_source(mem);
    iapt_merkle_builder_init(&b);
    for (uint64_t n = 0; n <= N; n++) {
        s_ref_mth(d, n, root[n]);
        iapt_merkle_builder_root(&b, r);
        bad += memcmp(r, root[n], H) != 0;
        CHECK_EQ_INT(iapt_merkle_root(&src, n, r), 0);
        bad += memcmp(r, root[n], H) != 0;
        if (n < N)
            CHECK_EQ_INT(iapt_merkle_builder_push(&b, d[n]), 0);
    }
    for (uint64_t n = 1; n <= N; n++) {
        for (uint64_t m = 0; m < n; m++) {
            want_len = 0;
            s_ref_path(d, m, n, want, &want_len);
            CHECK_EQ_INT(iapt_merkle_inclusion_proof(&src, m, n, got, &got_len), 0);
            bad += got_len != want_len || memcmp(got, want, want_len) != 0;
            bad += iapt_merkle_verify_inclusion(m, n, d[m], got, got_len, root[n]) != 0;
            /* Right leaf, wrong place. */
            if (n > 1)
                bad +=
                    iapt_merkle_verify_inclusion((m + 1) % n, n, d[m], got, got_len, root[n]) == 0;
        }
        for (uint64_t m = 1; m <= n; m++) {
            want_len = 0;
            if (m < n)
                s_ref_subproof(d, m, n, 1, want, &want_len);
            CHECK_EQ_INT(iapt_merkle_consistency_proof(&src, m, n, got, &got_len), 0);
            bad += got_len != want_len || memcmp(got, want, want_len) != 0;
            bad += iapt_merkle_verify_consistency(m, n, root[m], root[n], got, got_len) != 0;
            /* The proof is for (m, n) and no other pair of roots. */
            if (m > 1 && m < n)
                bad +=
                    iapt_merkle_verify_consistency(m, n, root[m - 1], root[n], got, got_len) == 0;
            if (m < n && n < N)
                bad +=
                    iapt_merkle_verify_consistency(m, n, root[m], root[n + 1], got, got_len) == 0;
        }
    }
    CHECK_EQ_INT(bad, 0);
    iapt_merkle_mem_destroy(&mem);
}

/* ---- the builder's saved state ---------------------------------------- */

static void
test_builder_state(void)
{
    iapt_merkle_builder_t a, b;
    uint8_t st[IAPT_MERKLE_STATE_MAX], ra[H], rb[H];
    size_t len;
    int bad = 0;

    iapt_merkle_builder_init(&a);
    /* Empty: 9 bytes, decodes back to an empty tree. */
    len = iapt_merkle_builder_state_encode(&a, st);
    CHECK_EQ_INT(len, 9);
    CHECK_EQ_INT(st[0], IAPT_MERKLE_STATE_VERSION);
    CHECK_EQ_INT(iapt_merkle_builder_state_decode(&b, st, len), 0);
    CHECK_EQ_INT(iapt_merkle_builder_size(&b), 0);

    /* Save and resume at every size: the resumed builder goes on exactly as
     * the one that never stopped. */
    for (uint32_t i = 0; i < 600; i++) {
        uint8_t leaf[4] = {(uint8_t)i, (uint8_t)(i >> 8), 1, 2};
        CHECK_EQ_INT(iapt_merkle_builder_push_leaf(&a, leaf, sizeof leaf), 0);
        len = iapt_merkle_builder_state_encode(&a, st);
        bad += len != 9 + (size_t)__builtin_popcount(i + 1) * H;
        bad += iapt_merkle_builder_state_decode(&b, st, len) != 0;
        bad += iapt_merkle_builder_size(&b) != i + 1;
        iapt_merkle_builder_root(&a, ra);
        iapt_merkle_builder_root(&b, rb);
        bad += memcmp(ra, rb, H) != 0;
        /* b only lives for one step; a keeps growing. */
        leaf[2] = 9;
        iapt_merkle_builder_t c = a;
        bad += iapt_merkle_builder_push_leaf(&b, leaf, 4) != 0;
        bad += iapt_merkle_builder_push_leaf(&c, leaf, 4) != 0;
        iapt_merkle_builder_root(&b, rb);
        iapt_merkle_builder_root(&c, ra);
        bad += memcmp(ra, rb, H) != 0;
    }
    CHECK_EQ_INT(bad, 0);

    /* 600 = 0b1001011000: four subtrees. */
    len = iapt_merkle_builder_state_encode(&a, st);
    CHECK_EQ_INT(len, 9 + 4 * H);
    CHECK_EQ_INT(iapt_merkle_builder_state_decode(&b, st, len - 1), IAPT_EFORMAT);
    CHECK_EQ_INT(iapt_merkle_builder_size(&b), 0); /* left empty on failure */
    uint8_t longer[IAPT_MERKLE_STATE_MAX + 1];
    memcpy(longer, st, len);
    longer[len] = 0;
    CHECK_EQ_INT(iapt_merkle_builder_state_decode(&b, longer, len + 1), IAPT_EFORMAT);
    CHECK_EQ_INT(iapt_merkle_builder_state_decode(&b, st, 8), IAPT_EFORMAT);
    CHECK_EQ_INT(iapt_merkle_builder_state_decode(&b, st, 0), IAPT_EFORMAT);
    CHECK_EQ_INT(iapt_merkle_builder_state_decode(&b, NULL, 0), IAPT_EFORMAT);
    st[0] = 2;
    CHECK_EQ_INT(iapt_merkle_builder_state_decode(&b, st, len), IAPT_EFORMAT);
    st[0] = IAPT_MERKLE_STATE_VERSION;
    st[8] ^= 1; /* count 601: five subtrees, so the length is wrong */
    CHECK_EQ_INT(iapt_merkle_builder_state_decode(&b, st, len), IAPT_EFORMAT);
    st[8] ^= 1;
    CHECK_EQ_INT(iapt_merkle_builder_state_decode(&b, st, len), 0);

    /* The largest count: 64 subtrees, the largest encoding, and then full. */
    memset(st, 0xff, sizeof st);
    st[0] = IAPT_MERKLE_STATE_VERSION;
    CHECK_EQ_INT(iapt_merkle_builder_state_decode(&b, st, IAPT_MERKLE_STATE_MAX), 0);
    CHECK(iapt_merkle_builder_size(&b) == UINT64_MAX);
    CHECK_EQ_INT(iapt_merkle_builder_push(&b, ra), IAPT_ELIMIT);
    iapt_merkle_builder_root(&b, rb); /* 63 node hashes, no crash */
    CHECK_EQ_INT(iapt_merkle_builder_state_encode(&b, st), IAPT_MERKLE_STATE_MAX);
}

static void
test_mem_source(void)
{
    iapt_merkle_mem_t *mem = NULL;
    uint8_t r[H], e[H], one[H];

    CHECK_EQ_INT(iapt_merkle_mem_new(NULL, 0, &mem), 0);
    if (mem) {
        CHECK_EQ_INT(iapt_merkle_mem_size(mem), 0);
        iapt_merkle_source_t src = iapt_merkle_mem_source(mem);
        CHECK_EQ_INT(iapt_merkle_root(&src, 0, r), 0);
        iapt_merkle_empty_root(e);
        CHECK_EQ_MEM(r, e, H);
        CHECK_EQ_INT(iapt_merkle_root(&src, 1, r), IAPT_ENOTFOUND);
    }
    iapt_merkle_mem_destroy(&mem);
    memset(one, 3, H);
    CHECK_EQ_INT(iapt_merkle_mem_new(one, 1, &mem), 0);
    if (mem) {
        iapt_merkle_source_t src = iapt_merkle_mem_source(mem);
        CHECK_EQ_INT(iapt_merkle_root(&src, 1, r), 0);
        CHECK_EQ_MEM(r, one, H);
    }
    iapt_merkle_mem_destroy(&mem);
    CHECK_EQ_INT(iapt_merkle_mem_new(one, UINT64_MAX / 2, &mem), IAPT_ELIMIT);
    CHECK(mem == NULL);
}

TEST_MAIN(test_hashes, test_vector_roots, test_vector_inclusion, test_vector_consistency,
          test_proof_shapes, test_ct_log, test_against_rfc_recursion, test_builder_state,
          test_mem_source)
