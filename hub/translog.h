/*
 * translog.h - the hub's append-only transparency log, kept in LMDB.
 *
 * Leaves are opaque byte strings (the hub appends signed manifests); the tree
 * over them is RFC 6962 / RFC 9162 (common/merkle.h). Two named databases in
 * the caller's environment hold it:
 *
 *     log_leaf   key: leaf index, uint64 big-endian (8 bytes)
 *                value: the leaf bytes
 *     log_node   key: level (1 byte) || index at that level, uint64 big-endian
 *                value: 32-byte hash of the perfect subtree over leaves
 *                       [index * 2^level, (index + 1) * 2^level)
 *
 * Every node of every perfect subtree is stored as soon as it is complete,
 * so an append writes 1 leaf and on average 2 (at most 64) nodes, each at the
 * end of its level's key range, and the root or any proof at any past tree
 * size reads O(log n) nodes. Nothing is ever rewritten or deleted.
 *
 * Transactions belong to the caller: the hub accepts a submission, stores
 * its records, updates aggregates and appends its log leaf in ONE write
 * transaction, so these functions only read and write inside the MDB_txn
 * they are given and never begin, commit or abort one. The log's size is
 * what that transaction sees.
 *
 * Environment: the two databases count towards mdb_env_set_maxdbs(); give
 * the environment at least IAPT_TRANSLOG_MAXDBS more than its other named
 * databases.
 *
 * Errors: IAPT_ELMDB (detail holds mdb_strerror), IAPT_EFULL (MDB_MAP_FULL:
 * grow the map and retry, or refuse), IAPT_ELIMIT (MDB_TXN_FULL, or a log of
 * 2^64 - 1 leaves), IAPT_ENOTFOUND (a leaf or tree size beyond the log),
 * IAPT_EUSAGE (arguments that make no sense, as in common/merkle.h),
 * IAPT_EFORMAT (the store is damaged: a node missing or of the wrong length,
 * a key of the wrong length; it is refused, never trusted or crashed on).
 *
 * Threads: a handle is immutable after iapt_translog_open and may be shared;
 * transactions follow LMDB's rules (a write transaction stays on the thread
 * that began it; read transactions need MDB_NOTLS to move).
 */
#ifndef IAPT_TRANSLOG_H
#define IAPT_TRANSLOG_H

#include "common/merkle.h"

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

/* Named databases the log uses (see mdb_env_set_maxdbs). */
#define IAPT_TRANSLOG_MAXDBS 2

typedef struct iapt_translog iapt_translog_t;

/* Open (creating them in a write transaction) the log's databases, and
 * return a handle owned by the caller (free with iapt_translog_close).
 * LMDB closes database handles opened in a transaction that aborts, so open
 * the log in a transaction that commits (once, at start-up, is enough); the
 * handle then serves every later transaction of the environment.
 * In a read-only transaction the databases must exist already.
 * 0, IAPT_ENOTFOUND (read-only and the log was never created), IAPT_ELMDB
 * (including too few maxdbs) or IAPT_ENOMEM. */
int iapt_translog_open(MDB_txn *txn, iapt_translog_t **out /* out, owned */);

/* Free *log and set it to NULL; safe on NULL and twice. The LMDB database
 * handles stay open in the environment, as LMDB recommends. */
void iapt_translog_close(iapt_translog_t **log);

/* Number of leaves, as txn sees it. 0, IAPT_ELMDB or IAPT_EFORMAT. */
int iapt_translog_size(MDB_txn *txn, const iapt_translog_t *log, uint64_t *size /* out */);

/* Append leaf[0..len) (len may be 0) in write transaction txn; *index (may
 * be NULL) receives its leaf index, which is the log size before the call.
 * On any failure the transaction may hold part of the append, and LMDB
 * refuses further writes in it after most errors: abort it.
 * 0, IAPT_EFULL, IAPT_ELIMIT, IAPT_ELMDB or IAPT_EFORMAT. */
int iapt_translog_append(MDB_txn *txn, const iapt_translog_t *log, const uint8_t *leaf, size_t len,
                         uint64_t *index /* out, may be NULL */);

/* Point *data at the bytes of leaf `index` and set *len. The bytes are
 * LMDB's: valid until the next write in txn or its end, whichever comes
 * first; never write through the pointer.
 * 0, IAPT_ENOTFOUND or IAPT_ELMDB. */
int iapt_translog_leaf(MDB_txn *txn, const iapt_translog_t *log, uint64_t index,
                       const uint8_t **data /* out */, size_t *len /* out */);

/* Root of the tree of the first `size` leaves, for any size up to the
 * current one (the empty root for 0).
 * 0, IAPT_ENOTFOUND (size beyond the log), IAPT_EFORMAT or IAPT_ELMDB. */
int iapt_translog_root(MDB_txn *txn, const iapt_translog_t *log, uint64_t size,
                       uint8_t root[IAPT_MERKLE_HASH_BYTES] /* out */);

/* Inclusion proof of leaf `index` in the tree of the first `size` leaves,
 * into proof (IAPT_MERKLE_PROOF_MAX_BYTES) with its length in *proof_len;
 * check it with iapt_merkle_verify_inclusion.
 * 0, IAPT_ENOTFOUND (size beyond the log), IAPT_EUSAGE (index >= size),
 * IAPT_EFORMAT or IAPT_ELMDB. */
int iapt_translog_inclusion(MDB_txn *txn, const iapt_translog_t *log, uint64_t index, uint64_t size,
                            uint8_t *proof /* out */, size_t *proof_len /* out */);

/* Consistency proof between the trees of the first m and the first n leaves,
 * any 0 <= m <= n up to the current size, output as above; check it with
 * iapt_merkle_verify_consistency.
 * 0, IAPT_ENOTFOUND (n beyond the log), IAPT_EUSAGE (m > n), IAPT_EFORMAT or
 * IAPT_ELMDB. */
int iapt_translog_consistency(MDB_txn *txn, const iapt_translog_t *log, uint64_t m, uint64_t n,
                              uint8_t *proof /* out */, size_t *proof_len /* out */);

#endif
