/*
 * merkle.h - RFC 6962 / RFC 9162 Merkle hash trees over SHA-256.
 *
 *     leaf hash = SHA-256(0x00 || leaf bytes)
 *     node hash = SHA-256(0x01 || left || right)
 *     root of the empty tree = SHA-256("")
 *
 * Three parts:
 *
 *   - A streaming builder (iapt_merkle_builder_t) that takes leaf hashes one
 *     by one and can give the root of everything pushed so far at any point.
 *     Its whole state is the leaf count and one hash per set bit of it (at most
 *     64), and it serializes to at most IAPT_MERKLE_STATE_MAX bytes, so a
 *     receiver can store it beside a half-finished transfer and resume after a
 *     crash without reading the leaves again.
 *
 *   - Proof generation over a node source (iapt_merkle_source_t): a callback
 *     that returns the hash of any perfect subtree. Roots and proofs for any
 *     tree size n read O(log n) nodes. iapt_merkle_mem_t is a source over an
 *     array of leaf hashes in memory; hub/translog.h is one over LMDB.
 *
 *   - Proof verification, following RFC 9162 sections 2.1.3.2 (inclusion) and
 *     2.1.4.2 (consistency) step by step.
 *
 * Proofs travel as the concatenation of their 32-byte hashes in RFC order
 * (the hash nearest the leaf first), at most IAPT_MERKLE_PROOF_MAX hashes.
 *
 * Errors: IAPT_EUSAGE for arguments that make no sense for the tree asked
 * about (leaf index not below the tree size, m > n ...), IAPT_EFORMAT for
 * malformed bytes (a proof whose length is not what its index and sizes
 * call for, a bad builder state), IAPT_ECRYPTO for a well-formed proof that
 * does not verify, and whatever a node source returns, passed on unchanged.
 *
 * Threads: every function is reentrant; a builder or an iapt_merkle_mem_t
 * must not be used by two threads at once without a lock. Nothing here keeps
 * global state. Hashing is libsodium's: call iapt_crypto_init() once first.
 */
#ifndef IAPT_MERKLE_H
#define IAPT_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#define IAPT_MERKLE_HASH_BYTES 32

/* Longest proof for any tree of fewer than 2^64 leaves, in hashes: an
 * inclusion proof has at most 64, a consistency proof at most 65. */
#define IAPT_MERKLE_PROOF_MAX 65
#define IAPT_MERKLE_PROOF_MAX_BYTES (IAPT_MERKLE_PROOF_MAX * IAPT_MERKLE_HASH_BYTES)

/* Serialized builder state: version byte, count (uint64 big-endian), then
 * one hash per set bit of the count, the largest subtree first. */
#define IAPT_MERKLE_STATE_VERSION 1
#define IAPT_MERKLE_STATE_MAX (1 + 8 + 64 * IAPT_MERKLE_HASH_BYTES)

/* ---- hashing ---------------------------------------------------------- */

/* out = SHA-256(0x00 || leaf[0..len)). leaf may be NULL when len is 0. */
void iapt_merkle_leaf_hash(const uint8_t *leaf, size_t len,
                           uint8_t out[IAPT_MERKLE_HASH_BYTES] /* out */);

/* out = SHA-256(0x01 || left || right). out may alias left or right. */
void iapt_merkle_node_hash(const uint8_t left[IAPT_MERKLE_HASH_BYTES],
                           const uint8_t right[IAPT_MERKLE_HASH_BYTES],
                           uint8_t out[IAPT_MERKLE_HASH_BYTES] /* out */);

/* out = SHA-256("") (e3b0c442...b855), the root of the empty tree. */
void iapt_merkle_empty_root(uint8_t out[IAPT_MERKLE_HASH_BYTES] /* out */);

/* ---- streaming builder ------------------------------------------------ */

/* Plain data so it can live on the stack or inside another struct; use it
 * only through the functions below. stack[0..popcount(count)) holds the roots
 * of the perfect subtrees that make up the leaves pushed so far, the largest
 * (leftmost) first. */
typedef struct iapt_merkle_builder {
    uint64_t count;
    uint8_t stack[64][IAPT_MERKLE_HASH_BYTES];
} iapt_merkle_builder_t;

/* Start an empty tree. */
void iapt_merkle_builder_init(iapt_merkle_builder_t *b);

/* Number of leaves pushed so far. */
uint64_t iapt_merkle_builder_size(const iapt_merkle_builder_t *b);

/* Add one leaf, given by its leaf hash (see iapt_merkle_leaf_hash). Amortised
 * one node hash per leaf. 0, or IAPT_ELIMIT when 2^64 - 1 leaves are there
 * already (b unchanged). */
int iapt_merkle_builder_push(iapt_merkle_builder_t *b,
                             const uint8_t leaf_hash[IAPT_MERKLE_HASH_BYTES]);

/* Hash leaf[0..len) as a leaf and push it. 0 or IAPT_ELIMIT, as above. */
int iapt_merkle_builder_push_leaf(iapt_merkle_builder_t *b, const uint8_t *leaf, size_t len);

/* Root of the leaves pushed so far (the empty root when none); b is not
 * changed and pushing may go on. */
void iapt_merkle_builder_root(const iapt_merkle_builder_t *b,
                              uint8_t root[IAPT_MERKLE_HASH_BYTES] /* out */);

/* Serialize b into out (IAPT_MERKLE_STATE_MAX bytes are always enough) and
 * return the number of bytes written: 9 + 32 * popcount(count). */
size_t iapt_merkle_builder_state_encode(const iapt_merkle_builder_t *b,
                                        uint8_t out[IAPT_MERKLE_STATE_MAX] /* out */);

/* Restore a builder from bytes made by iapt_merkle_builder_state_encode.
 * 0, or IAPT_EFORMAT (unknown version, length not matching the count); on
 * failure b is left as an empty tree. */
int iapt_merkle_builder_state_decode(iapt_merkle_builder_t *b /* out */, const uint8_t *data,
                                     size_t len);

/* ---- node sources and proof generation -------------------------------- */

/* Write into out the hash of the perfect subtree at `level` whose leaves are
 * [index * 2^level, (index + 1) * 2^level); level 0 gives leaf hashes. Return
 * 0 or a negative iapt error code, which the caller passes on. The functions
 * below only ask for subtrees that lie wholly inside the tree size they were
 * given. */
typedef int (*iapt_merkle_get_fn)(void *arg, unsigned level, uint64_t index,
                                  uint8_t out[IAPT_MERKLE_HASH_BYTES]);

typedef struct iapt_merkle_source {
    iapt_merkle_get_fn get;
    void *arg; /* passed to get as is */
} iapt_merkle_source_t;

/* Root of the tree made of the first n leaves of src (the empty root for
 * n = 0), in at most 64 reads. 0 or the source's error. */
int iapt_merkle_root(const iapt_merkle_source_t *src, uint64_t n,
                     uint8_t root[IAPT_MERKLE_HASH_BYTES] /* out */);

/* Inclusion proof of leaf m in the tree of the first n leaves (RFC 9162
 * 2.1.3.1), written to proof (room for IAPT_MERKLE_PROOF_MAX_BYTES) with its
 * length in bytes in *proof_len. 0, IAPT_EUSAGE (m >= n), or the source's
 * error. */
int iapt_merkle_inclusion_proof(const iapt_merkle_source_t *src, uint64_t m, uint64_t n,
                                uint8_t *proof /* out */, size_t *proof_len /* out */);

/* Consistency proof between the trees of the first m and the first n leaves
 * (RFC 9162 2.1.4.1), output as for inclusion. Empty when m = n or m = 0.
 * 0, IAPT_EUSAGE (m > n), or the source's error. */
int iapt_merkle_consistency_proof(const iapt_merkle_source_t *src, uint64_t m, uint64_t n,
                                  uint8_t *proof /* out */, size_t *proof_len /* out */);

/* ---- verification ----------------------------------------------------- */

/* Check that leaf_hash is leaf `index` of the tree of `size` leaves with the
 * given root (RFC 9162 2.1.3.2). proof is proof_len bytes as made by
 * iapt_merkle_inclusion_proof.
 * 0 when it verifies; IAPT_EFORMAT when index >= size, proof_len is not a
 * multiple of 32, or the number of hashes is not the one (index, size) calls
 * for; IAPT_ECRYPTO when the recomputed root differs. */
int iapt_merkle_verify_inclusion(uint64_t index, uint64_t size,
                                 const uint8_t leaf_hash[IAPT_MERKLE_HASH_BYTES],
                                 const uint8_t *proof, size_t proof_len,
                                 const uint8_t root[IAPT_MERKLE_HASH_BYTES])
    __attribute__((warn_unused_result));

/* Check that the tree of size m with root1 is a prefix of the tree of size n
 * with root2 (RFC 9162 2.1.4.2).
 * m = n: the proof must be empty and the roots equal. m = 0: the proof must
 * be empty and root1 the empty root. Otherwise the RFC algorithm.
 * 0 when it verifies; IAPT_EFORMAT when m > n, proof_len is not a multiple of
 * 32, or the number of hashes is wrong for (m, n); IAPT_ECRYPTO when a root
 * does not match. */
int iapt_merkle_verify_consistency(uint64_t m, uint64_t n,
                                   const uint8_t root1[IAPT_MERKLE_HASH_BYTES],
                                   const uint8_t root2[IAPT_MERKLE_HASH_BYTES],
                                   const uint8_t *proof, size_t proof_len)
    __attribute__((warn_unused_result));

/* ---- in-memory node source -------------------------------------------- */

/* Every perfect subtree hash of a fixed array of leaf hashes, computed once
 * (fewer than 2n hashes in one allocation, 64 bytes per leaf), so each read
 * is O(1). */
typedef struct iapt_merkle_mem iapt_merkle_mem_t;

/* Build from n leaf hashes (32 * n bytes, copied; may be NULL when n is 0).
 * *out is owned by the caller: free with iapt_merkle_mem_destroy.
 * 0, IAPT_ENOMEM, or IAPT_ELIMIT (n too large for memory). */
int iapt_merkle_mem_new(const uint8_t *leaf_hashes, uint64_t n,
                        iapt_merkle_mem_t **out /* out, owned */);

/* Free *m and set it to NULL; safe on NULL and twice. */
void iapt_merkle_mem_destroy(iapt_merkle_mem_t **m);

/* Number of leaves. */
uint64_t iapt_merkle_mem_size(const iapt_merkle_mem_t *m);

/* A source reading m (valid while m lives). Its get returns IAPT_ENOTFOUND
 * for a subtree that is not wholly inside the n leaves. */
iapt_merkle_source_t iapt_merkle_mem_source(const iapt_merkle_mem_t *m);

#endif
