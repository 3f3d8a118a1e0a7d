/* merkle.c - RFC 6962 / RFC 9162 Merkle trees: builder, proofs, verification. */
#include "common/merkle.h"
#include "common/err.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define S_HASH IAPT_MERKLE_HASH_BYTES

/* ---- hashing ---------------------------------------------------------- */

void
iapt_merkle_leaf_hash(const uint8_t *leaf, size_t len, uint8_t out[S_HASH])
{
    static const uint8_t prefix = 0x00;
    crypto_hash_sha256_state st;

    /* Streaming, so a large leaf is never copied just to put a byte in front. */
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, &prefix, 1);
    if (len)
        crypto_hash_sha256_update(&st, leaf, len);
    crypto_hash_sha256_final(&st, out);
}

void
iapt_merkle_node_hash(const uint8_t left[S_HASH], const uint8_t right[S_HASH], uint8_t out[S_HASH])
{
    /* 65 bytes fit one copy; a single call beats three streaming updates. */
    uint8_t buf[1 + 2 * S_HASH];

    buf[0] = 0x01;
    memcpy(buf + 1, left, S_HASH);
    memcpy(buf + 1 + S_HASH, right, S_HASH);
    crypto_hash_sha256(out, buf, sizeof buf);
}

void
iapt_merkle_empty_root(uint8_t out[S_HASH])
{
    crypto_hash_sha256(out, (const uint8_t *)"", 0);
}

/* ---- streaming builder ------------------------------------------------ */

static unsigned
s_popcount(uint64_t x)
{
    return (unsigned)__builtin_popcountll(x);
}

void
iapt_merkle_builder_init(iapt_merkle_builder_t *b)
{
    memset(b, 0, sizeof *b);
}

uint64_t
iapt_merkle_builder_size(const iapt_merkle_builder_t *b)
{
    return b->count;
}

int
iapt_merkle_builder_push(iapt_merkle_builder_t *b, const uint8_t leaf_hash[S_HASH])
{
    uint8_t h[S_HASH];
    unsigned top;

    if (b->count == UINT64_MAX)
        return iapt_error_set(IAPT_ELIMIT, "Merkle tree full (2^64 - 1 leaves)");
    /* Each trailing 1 bit of the count is a finished subtree of the same
     * height as the one being carried up: merge them, like binary addition. */
    top = s_popcount(b->count);
    memcpy(h, leaf_hash, S_HASH);
    for (uint64_t c = b->count; c & 1; c >>= 1) {
        top--;
        iapt_merkle_node_hash(b->stack[top], h, h);
    }
    memcpy(b->stack[top], h, S_HASH);
    b->count++;
    return 0;
}

int
iapt_merkle_builder_push_leaf(iapt_merkle_builder_t *b, const uint8_t *leaf, size_t len)
{
    uint8_t h[S_HASH];

    iapt_merkle_leaf_hash(leaf, len, h);
    return iapt_merkle_builder_push(b, h);
}

void
iapt_merkle_builder_root(const iapt_merkle_builder_t *b, uint8_t root[S_HASH])
{
    unsigned top = s_popcount(b->count);
    uint8_t r[S_HASH];

    if (top == 0) {
        iapt_merkle_empty_root(root);
        return;
    }
    /* RFC 6962 splits at the largest power of two, so the right edge folds
     * into the left one from the smallest subtree up. */
    memcpy(r, b->stack[top - 1], S_HASH);
    for (unsigned i = top - 1; i-- > 0;)
        iapt_merkle_node_hash(b->stack[i], r, r);
    memcpy(root, r, S_HASH);
}

static void
s_put_be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

static uint64_t
s_get_be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

size_t
iapt_merkle_builder_state_encode(const iapt_merkle_builder_t *b, uint8_t out[IAPT_MERKLE_STATE_MAX])
{
    unsigned top = s_popcount(b->count);

    out[0] = IAPT_MERKLE_STATE_VERSION;
    s_put_be64(out + 1, b->count);
    memcpy(out + 9, b->stack, (size_t)top * S_HASH);
    return 9 + (size_t)top * S_HASH;
}

int
iapt_merkle_builder_state_decode(iapt_merkle_builder_t *b, const uint8_t *data, size_t len)
{
    uint64_t count;
    unsigned top;

    iapt_merkle_builder_init(b);
    if (!data || len < 9)
        return iapt_error_set(IAPT_EFORMAT, "Merkle state: %zu bytes, need at least 9", len);
    if (data[0] != IAPT_MERKLE_STATE_VERSION)
        return iapt_error_set(IAPT_EFORMAT, "Merkle state: unknown version %u", data[0]);
    count = s_get_be64(data + 1);
    top = s_popcount(count);
    if (len != 9 + (size_t)top * S_HASH)
        return iapt_error_set(IAPT_EFORMAT, "Merkle state: %zu bytes, a count of %llu needs %zu",
                              len, (unsigned long long)count, 9 + (size_t)top * S_HASH);
    memcpy(b->stack, data + 9, (size_t)top * S_HASH);
    b->count = count;
    return 0;
}

/* ---- proof generation ------------------------------------------------- */

/* Largest power of two strictly below n (n >= 2), as its exponent. */
static unsigned
s_split_level(uint64_t n)
{
    return 63u - (unsigned)__builtin_clzll(n - 1);
}

/* MTH of leaves [start, start + size), size >= 1, where start is a multiple
 * of a power of two not below size - true of every range the RFC recursion
 * visits. Such a range is a run of perfect subtrees, one per set bit of size,
 * largest first; at most 64 reads. */
static int
s_range_hash(const iapt_merkle_source_t *src, uint64_t start, uint64_t size, uint8_t out[S_HASH])
{
    uint8_t parts[64][S_HASH];
    unsigned n = 0;
    uint64_t off = start;
    int rc;

    if (size == 0) {
        iapt_merkle_empty_root(out);
        return 0;
    }
    for (unsigned level = 64; level-- > 0;) {
        if (!(size >> level & 1))
            continue;
        rc = src->get(src->arg, level, off >> level, parts[n]);
        if (rc != 0)
            return rc;
        n++;
        off += (uint64_t)1 << level;
    }
    for (unsigned i = n - 1; i-- > 0;)
        iapt_merkle_node_hash(parts[i], parts[i + 1], parts[i]);
    memcpy(out, parts[0], S_HASH);
    return 0;
}

int
iapt_merkle_root(const iapt_merkle_source_t *src, uint64_t n, uint8_t root[S_HASH])
{
    if (n == 0) {
        iapt_merkle_empty_root(root);
        return 0;
    }
    return s_range_hash(src, 0, n, root);
}

/* The walks below go from the root down, so they find the proof's hashes in
 * the reverse of RFC order; this writes them out the right way round. */
static void
s_emit_reversed(uint8_t (*tmp)[S_HASH], size_t n, uint8_t *proof, size_t *proof_len)
{
    for (size_t i = 0; i < n; i++)
        memcpy(proof + i * S_HASH, tmp[n - 1 - i], S_HASH);
    *proof_len = n * S_HASH;
}

int
iapt_merkle_inclusion_proof(const iapt_merkle_source_t *src, uint64_t m, uint64_t n, uint8_t *proof,
                            size_t *proof_len)
{
    uint8_t tmp[IAPT_MERKLE_PROOF_MAX][S_HASH];
    size_t cnt = 0;
    uint64_t off = 0, size = n, idx = m;
    int rc;

    *proof_len = 0;
    if (m >= n)
        return iapt_error_set(IAPT_EUSAGE, "inclusion proof: leaf %llu not in a tree of %llu",
                              (unsigned long long)m, (unsigned long long)n);
    /* PATH(m, D[n]) of RFC 9162 2.1.3.1, unrolled: at each split the proof
     * takes the hash of the half that does not hold leaf m. */
    while (size > 1) {
        unsigned lk = s_split_level(size);
        uint64_t k = (uint64_t)1 << lk;
        if (idx < k) {
            rc = s_range_hash(src, off + k, size - k, tmp[cnt]);
            size = k;
        } else {
            rc = src->get(src->arg, lk, off >> lk, tmp[cnt]);
            off += k;
            idx -= k;
            size -= k;
        }
        if (rc != 0)
            return rc;
        cnt++;
    }
    s_emit_reversed(tmp, cnt, proof, proof_len);
    return 0;
}

int
iapt_merkle_consistency_proof(const iapt_merkle_source_t *src, uint64_t m, uint64_t n,
                              uint8_t *proof, size_t *proof_len)
{
    uint8_t tmp[IAPT_MERKLE_PROOF_MAX][S_HASH];
    size_t cnt = 0;
    uint64_t off = 0, size = n, mm = m;
    int whole = 1; /* the b flag of SUBPROOF: still on the tree's left edge */
    int rc;

    *proof_len = 0;
    if (m > n)
        return iapt_error_set(IAPT_EUSAGE, "consistency proof: size %llu after size %llu",
                              (unsigned long long)n, (unsigned long long)m);
    if (m == 0 || m == n)
        return 0;
    /* SUBPROOF(m, D[n], true) of RFC 9162 2.1.4.1, unrolled. */
    while (mm != size) {
        unsigned lk = s_split_level(size);
        uint64_t k = (uint64_t)1 << lk;
        if (mm <= k) {
            rc = s_range_hash(src, off + k, size - k, tmp[cnt]);
            size = k;
        } else {
            rc = src->get(src->arg, lk, off >> lk, tmp[cnt]);
            off += k;
            mm -= k;
            size -= k;
            whole = 0;
        }
        if (rc != 0)
            return rc;
        cnt++;
    }
    /* A verifier can rebuild the old root from the left edge alone only when
     * the walk never left it; otherwise it needs MTH(D[m]) of this subtree. */
    if (!whole) {
        rc = s_range_hash(src, off, size, tmp[cnt]);
        if (rc != 0)
            return rc;
        cnt++;
    }
    s_emit_reversed(tmp, cnt, proof, proof_len);
    return 0;
}

/* ---- verification ----------------------------------------------------- */

int
iapt_merkle_verify_inclusion(uint64_t index, uint64_t size, const uint8_t leaf_hash[S_HASH],
                             const uint8_t *proof, size_t proof_len, const uint8_t root[S_HASH])
{
    uint8_t r[S_HASH];
    uint64_t fn, sn;
    size_t count;

    if (proof_len % S_HASH != 0)
        return iapt_error_set(IAPT_EFORMAT, "inclusion proof: %zu bytes, not whole hashes",
                              proof_len);
    count = proof_len / S_HASH;
    /* RFC 9162 2.1.3.2, steps 1 to 5. */
    if (index >= size)
        return iapt_error_set(IAPT_EFORMAT, "inclusion proof: leaf %llu not in a tree of %llu",
                              (unsigned long long)index, (unsigned long long)size);
    fn = index;
    sn = size - 1;
    memcpy(r, leaf_hash, S_HASH);
    for (size_t i = 0; i < count; i++) {
        const uint8_t *p = proof + i * S_HASH;
        if (sn == 0)
            return iapt_error_set(IAPT_EFORMAT, "inclusion proof: %zu hashes, too many", count);
        if ((fn & 1) || fn == sn) {
            iapt_merkle_node_hash(p, r, r);
            while (!(fn & 1) && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else {
            iapt_merkle_node_hash(r, p, r);
        }
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0)
        return iapt_error_set(IAPT_EFORMAT, "inclusion proof: %zu hashes, too few", count);
    if (memcmp(r, root, S_HASH) != 0)
        return iapt_error_set(IAPT_ECRYPTO, "inclusion proof: root does not match");
    return 0;
}

int
iapt_merkle_verify_consistency(uint64_t m, uint64_t n, const uint8_t root1[S_HASH],
                               const uint8_t root2[S_HASH], const uint8_t *proof, size_t proof_len)
{
    uint8_t fr[S_HASH], sr[S_HASH], empty[S_HASH];
    uint64_t fn, sn;
    size_t count, first;

    if (proof_len % S_HASH != 0)
        return iapt_error_set(IAPT_EFORMAT, "consistency proof: %zu bytes, not whole hashes",
                              proof_len);
    count = proof_len / S_HASH;
    if (m > n)
        return iapt_error_set(IAPT_EFORMAT, "consistency proof: size %llu after size %llu",
                              (unsigned long long)n, (unsigned long long)m);
    if (m == n || m == 0) {
        if (count != 0)
            return iapt_error_set(IAPT_EFORMAT, "consistency proof: must be empty for %llu to %llu",
                                  (unsigned long long)m, (unsigned long long)n);
        iapt_merkle_empty_root(empty);
        if (m == 0 && memcmp(root1, empty, S_HASH) != 0)
            return iapt_error_set(IAPT_ECRYPTO, "consistency proof: not the empty tree's root");
        if (m == n && memcmp(root1, root2, S_HASH) != 0)
            return iapt_error_set(IAPT_ECRYPTO, "consistency proof: roots differ");
        return 0;
    }
    /* RFC 9162 2.1.4.2. Step 1. */
    if (count == 0)
        return iapt_error_set(IAPT_EFORMAT, "consistency proof: empty");
    /* Step 2: when m is a power of two the old root is itself a node of the
     * new tree, and the proof leaves it out; it stands in as element 0. */
    first = 0;
    fn = m - 1;
    sn = n - 1;
    if ((m & (m - 1)) == 0) {
        memcpy(fr, root1, S_HASH);
    } else {
        memcpy(fr, proof, S_HASH);
        first = 1;
    }
    /* Step 3 done above; step 4. */
    while (fn & 1) {
        fn >>= 1;
        sn >>= 1;
    }
    /* Step 5. */
    memcpy(sr, fr, S_HASH);
    /* Step 6. */
    for (size_t i = first; i < count; i++) {
        const uint8_t *c = proof + i * S_HASH;
        if (sn == 0)
            return iapt_error_set(IAPT_EFORMAT, "consistency proof: %zu hashes, too many", count);
        if ((fn & 1) || fn == sn) {
            iapt_merkle_node_hash(c, fr, fr);
            iapt_merkle_node_hash(c, sr, sr);
            while (!(fn & 1) && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else {
            iapt_merkle_node_hash(sr, c, sr);
        }
        fn >>= 1;
        sn >>= 1;
    }
    /* Step 7. */
    if (sn != 0)
        return iapt_error_set(IAPT_EFORMAT, "consistency proof: %zu hashes, too few", count);
    if (memcmp(fr, root1, S_HASH) != 0 || memcmp(sr, root2, S_HASH) != 0)
        return iapt_error_set(IAPT_ECRYPTO, "consistency proof: roots do not match");
    return 0;
}

/* ---- in-memory node source -------------------------------------------- */

struct iapt_merkle_mem {
    uint64_t n;
    uint64_t level_off[65]; /* first node of each level in nodes[] */
    uint8_t (*nodes)[S_HASH];
};

int
iapt_merkle_mem_new(const uint8_t *leaf_hashes, uint64_t n, iapt_merkle_mem_t **out)
{
    iapt_merkle_mem_t *m;
    uint64_t total = 0;

    *out = NULL;
    /* Fewer than 2n nodes in all; refuse what could not be addressed. */
    if (n > SIZE_MAX / (2 * S_HASH))
        return iapt_error_set(IAPT_ELIMIT, "Merkle tree of %llu leaves too large for memory",
                              (unsigned long long)n);
    m = calloc(1, sizeof *m);
    if (!m)
        return IAPT_ENOMEM;
    m->n = n;
    for (unsigned level = 0; level < 65; level++) {
        m->level_off[level] = total;
        if (level < 64)
            total += n >> level;
    }
    if (total) {
        m->nodes = malloc((size_t)total * S_HASH);
        if (!m->nodes) {
            free(m);
            return IAPT_ENOMEM;
        }
        memcpy(m->nodes, leaf_hashes, (size_t)n * S_HASH);
    }
    for (unsigned level = 1; level < 64 && (n >> level); level++) {
        uint8_t(*below)[S_HASH] = m->nodes + m->level_off[level - 1];
        uint8_t(*here)[S_HASH] = m->nodes + m->level_off[level];
        for (uint64_t i = 0; i < n >> level; i++)
            iapt_merkle_node_hash(below[2 * i], below[2 * i + 1], here[i]);
    }
    *out = m;
    return 0;
}

void
iapt_merkle_mem_destroy(iapt_merkle_mem_t **mp)
{
    if (!mp || !*mp)
        return;
    free((*mp)->nodes);
    free(*mp);
    *mp = NULL;
}

uint64_t
iapt_merkle_mem_size(const iapt_merkle_mem_t *m)
{
    return m->n;
}

static int
s_mem_get(void *arg, unsigned level, uint64_t index, uint8_t out[S_HASH])
{
    const iapt_merkle_mem_t *m = arg;

    if (level >= 64 || index >= m->n >> level)
        return iapt_error_set(IAPT_ENOTFOUND, "no subtree at level %u index %llu in %llu leaves",
                              level, (unsigned long long)index, (unsigned long long)m->n);
    memcpy(out, m->nodes[m->level_off[level] + index], S_HASH);
    return 0;
}

iapt_merkle_source_t
iapt_merkle_mem_source(const iapt_merkle_mem_t *m)
{
    iapt_merkle_source_t s = {s_mem_get, (void *)m};
    return s;
}
