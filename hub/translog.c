/* translog.c - the append-only Merkle log over LMDB: leaves and every
 * perfect subtree hash, written inside the caller's transaction. */
#include "hub/translog.h"
#include "common/err.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define S_LEAF_DB "log_leaf"
#define S_NODE_DB "log_node"
#define S_HASH IAPT_MERKLE_HASH_BYTES

struct iapt_translog {
    MDB_dbi leaf;
    MDB_dbi node;
};

/* Map an LMDB failure to an iapt code, keeping LMDB's words as the detail. */
static int
s_lmdb(int rc, const char *what)
{
    switch (rc) {
    case MDB_MAP_FULL:
        return iapt_error_set(IAPT_EFULL, "transparency log: %s: %s", what, mdb_strerror(rc));
    case MDB_TXN_FULL:
        return iapt_error_set(IAPT_ELIMIT, "transparency log: %s: %s", what, mdb_strerror(rc));
    default:
        return iapt_error_set(IAPT_ELMDB, "transparency log: %s: %s", what, mdb_strerror(rc));
    }
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

static int
s_open_db(MDB_txn *txn, const char *name, MDB_dbi *dbi)
{
    int rc = mdb_dbi_open(txn, name, MDB_CREATE, dbi);

    /* A read-only transaction cannot create; it can still open. */
    if (rc == EACCES)
        rc = mdb_dbi_open(txn, name, 0, dbi);
    if (rc == MDB_NOTFOUND)
        return iapt_error_set(IAPT_ENOTFOUND,
                              "transparency log: database %s does not exist yet (open the log "
                              "once in a write transaction)",
                              name);
    if (rc == MDB_DBS_FULL)
        return iapt_error_set(IAPT_ELMDB,
                              "transparency log: no room for database %s: the environment "
                              "needs %d more maxdbs",
                              name, IAPT_TRANSLOG_MAXDBS);
    if (rc != 0)
        return s_lmdb(rc, name);
    return 0;
}

int
iapt_translog_open(MDB_txn *txn, iapt_translog_t **out)
{
    iapt_translog_t *log;
    int rc;

    *out = NULL;
    log = calloc(1, sizeof *log);
    if (!log)
        return IAPT_ENOMEM;
    rc = s_open_db(txn, S_LEAF_DB, &log->leaf);
    if (rc != 0)
        goto out_free_log;
    rc = s_open_db(txn, S_NODE_DB, &log->node);
    if (rc != 0)
        goto out_free_log;
    *out = log;
    return 0;

out_free_log:
    free(log);
    return rc;
}

void
iapt_translog_close(iapt_translog_t **log)
{
    if (!log || !*log)
        return;
    free(*log);
    *log = NULL;
}

int
iapt_translog_size(MDB_txn *txn, const iapt_translog_t *log, uint64_t *size)
{
    MDB_cursor *cur;
    MDB_val k, v;
    int rc;

    *size = 0;
    rc = mdb_cursor_open(txn, log->leaf, &cur);
    if (rc != 0)
        return s_lmdb(rc, "cursor on " S_LEAF_DB);
    /* Leaves are keyed by big-endian index, so the last key is the size - 1. */
    rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
    if (rc == MDB_NOTFOUND) {
        rc = 0;
        goto out_close_cursor;
    }
    if (rc != 0) {
        rc = s_lmdb(rc, "last leaf");
        goto out_close_cursor;
    }
    if (k.mv_size != 8 || s_get_be64(k.mv_data) == UINT64_MAX) {
        rc = iapt_error_set(IAPT_EFORMAT, "transparency log: damaged: a %s key of %zu bytes",
                            S_LEAF_DB, k.mv_size);
        goto out_close_cursor;
    }
    *size = s_get_be64(k.mv_data) + 1;

out_close_cursor:
    mdb_cursor_close(cur);
    return rc;
}

static void
s_node_key(uint8_t key[9], unsigned level, uint64_t index)
{
    key[0] = (uint8_t)level;
    s_put_be64(key + 1, index);
}

static int
s_node_get(MDB_txn *txn, const iapt_translog_t *log, unsigned level, uint64_t index,
           uint8_t out[S_HASH])
{
    uint8_t key[9];
    MDB_val k = {sizeof key, key}, v;
    int rc;

    s_node_key(key, level, index);
    rc = mdb_get(txn, log->node, &k, &v);
    if (rc == MDB_NOTFOUND)
        return iapt_error_set(IAPT_EFORMAT,
                              "transparency log: damaged: node at level %u index %llu missing",
                              level, (unsigned long long)index);
    if (rc != 0)
        return s_lmdb(rc, "reading a node");
    if (v.mv_size != S_HASH)
        return iapt_error_set(IAPT_EFORMAT,
                              "transparency log: damaged: node at level %u index %llu has %zu "
                              "bytes",
                              level, (unsigned long long)index, v.mv_size);
    memcpy(out, v.mv_data, S_HASH);
    return 0;
}

static int
s_node_put(MDB_txn *txn, const iapt_translog_t *log, unsigned level, uint64_t index,
           const uint8_t hash[S_HASH])
{
    uint8_t key[9];
    MDB_val k = {sizeof key, key}, v = {S_HASH, (void *)hash};
    int rc;

    s_node_key(key, level, index);
    /* A node is written once, when its subtree completes; finding one there
     * already means the nodes and the leaves disagree. */
    rc = mdb_put(txn, log->node, &k, &v, MDB_NOOVERWRITE);
    if (rc == MDB_KEYEXIST)
        return iapt_error_set(IAPT_EFORMAT,
                              "transparency log: damaged: node at level %u index %llu exists "
                              "beyond the last leaf",
                              level, (unsigned long long)index);
    if (rc != 0)
        return s_lmdb(rc, "writing a node");
    return 0;
}

int
iapt_translog_append(MDB_txn *txn, const iapt_translog_t *log, const uint8_t *leaf, size_t len,
                     uint64_t *index)
{
    uint8_t key[8], h[S_HASH], left[S_HASH];
    MDB_val k = {sizeof key, key}, v = {len, (void *)leaf};
    uint64_t n, i;
    unsigned level;
    int rc;

    rc = iapt_translog_size(txn, log, &n);
    if (rc != 0)
        return rc;
    if (n == UINT64_MAX)
        return iapt_error_set(IAPT_ELIMIT, "transparency log is full");
    s_put_be64(key, n);
    rc = mdb_put(txn, log->leaf, &k, &v, MDB_APPEND);
    if (rc != 0)
        return s_lmdb(rc, "writing a leaf");

    iapt_merkle_leaf_hash(leaf, len, h);
    rc = s_node_put(txn, log, 0, n, h);
    if (rc != 0)
        return rc;
    /* The new leaf completes one subtree per trailing 1 bit of its index:
     * each takes its left sibling, already stored, and goes one level up. */
    for (i = n, level = 0; i & 1; i >>= 1, level++) {
        rc = s_node_get(txn, log, level, i - 1, left);
        if (rc != 0)
            return rc;
        iapt_merkle_node_hash(left, h, h);
        rc = s_node_put(txn, log, level + 1, i >> 1, h);
        if (rc != 0)
            return rc;
    }
    if (index)
        *index = n;
    return 0;
}

int
iapt_translog_leaf(MDB_txn *txn, const iapt_translog_t *log, uint64_t index, const uint8_t **data,
                   size_t *len)
{
    uint8_t key[8];
    MDB_val k = {sizeof key, key}, v;
    int rc;

    *data = NULL;
    *len = 0;
    s_put_be64(key, index);
    rc = mdb_get(txn, log->leaf, &k, &v);
    if (rc == MDB_NOTFOUND)
        return iapt_error_set(IAPT_ENOTFOUND, "transparency log has no leaf %llu",
                              (unsigned long long)index);
    if (rc != 0)
        return s_lmdb(rc, "reading a leaf");
    *data = v.mv_data;
    *len = v.mv_size;
    return 0;
}

/* ---- the log as a node source ---------------------------------------- */

typedef struct {
    MDB_txn *txn;
    const iapt_translog_t *log;
} s_source_t;

static int
s_source_get(void *arg, unsigned level, uint64_t index, uint8_t out[S_HASH])
{
    const s_source_t *s = arg;
    return s_node_get(s->txn, s->log, level, index, out);
}

/* Refuse a tree size the log has not reached (in this transaction). */
static int
s_check_size(MDB_txn *txn, const iapt_translog_t *log, uint64_t size)
{
    uint64_t have;
    int rc = iapt_translog_size(txn, log, &have);

    if (rc != 0)
        return rc;
    if (size > have)
        return iapt_error_set(IAPT_ENOTFOUND, "transparency log has %llu leaves, not %llu",
                              (unsigned long long)have, (unsigned long long)size);
    return 0;
}

int
iapt_translog_root(MDB_txn *txn, const iapt_translog_t *log, uint64_t size, uint8_t root[S_HASH])
{
    s_source_t s = {txn, log};
    iapt_merkle_source_t src = {s_source_get, &s};
    int rc = s_check_size(txn, log, size);

    if (rc != 0)
        return rc;
    return iapt_merkle_root(&src, size, root);
}

int
iapt_translog_inclusion(MDB_txn *txn, const iapt_translog_t *log, uint64_t index, uint64_t size,
                        uint8_t *proof, size_t *proof_len)
{
    s_source_t s = {txn, log};
    iapt_merkle_source_t src = {s_source_get, &s};
    int rc;

    *proof_len = 0;
    rc = s_check_size(txn, log, size);
    if (rc != 0)
        return rc;
    return iapt_merkle_inclusion_proof(&src, index, size, proof, proof_len);
}

int
iapt_translog_consistency(MDB_txn *txn, const iapt_translog_t *log, uint64_t m, uint64_t n,
                          uint8_t *proof, size_t *proof_len)
{
    s_source_t s = {txn, log};
    iapt_merkle_source_t src = {s_source_get, &s};
    int rc;

    *proof_len = 0;
    rc = s_check_size(txn, log, n);
    if (rc != 0)
        return rc;
    return iapt_merkle_consistency_proof(&src, m, n, proof, proof_len);
}
