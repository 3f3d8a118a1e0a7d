/* Unit tests of hub/translog: the Merkle log in real LMDB files - roots and
 * proofs at every size against the in-memory computation, transactions that
 * abort, reopening, a full map, and damaged stores. */
#include "common/err.h"
#include "common/merkle.h"
#include "common/util.h"
#include "hub/translog.h"
#include "tests/test.h"

#include <lmdb.h>
#include <sys/stat.h>

#define H IAPT_MERKLE_HASH_BYTES
#define N 1000

typedef struct {
    char dir[512];
    MDB_env *env;
    iapt_translog_t *log;
} s_db_t;

static int
s_env_open(s_db_t *db, size_t map_size)
{
    int rc = mdb_env_create(&db->env);
    if (rc == 0)
        rc = mdb_env_set_maxdbs(db->env, IAPT_TRANSLOG_MAXDBS);
    if (rc == 0)
        rc = mdb_env_set_mapsize(db->env, map_size);
    /* Tests need no durability across power loss; NOSYNC keeps them quick. */
    if (rc == 0)
        rc = mdb_env_open(db->env, db->dir, MDB_NOSYNC, 0600);
    if (rc != 0)
        fprintf(stderr, "mdb: %s\n", mdb_strerror(rc));
    return rc;
}

/* A fresh environment in a temporary directory, with the log opened in a
 * committed transaction. */
static int
s_db_new(s_db_t *db, size_t map_size)
{
    MDB_txn *txn;
    memset(db, 0, sizeof *db);
    iapt_strlcpy(db->dir, t_tmpdir(), sizeof db->dir);
    if (s_env_open(db, map_size) != 0)
        return -1;
    if (mdb_txn_begin(db->env, NULL, 0, &txn) != 0)
        return -1;
    if (iapt_translog_open(txn, &db->log) != 0) {
        mdb_txn_abort(txn);
        return -1;
    }
    return mdb_txn_commit(txn) == 0 ? 0 : -1;
}

static void
s_db_close(s_db_t *db)
{
    iapt_translog_close(&db->log);
    if (db->env)
        mdb_env_close(db->env);
    db->env = NULL;
}

static void
s_db_destroy(s_db_t *db)
{
    char path[600];
    s_db_close(db);
    snprintf(path, sizeof path, "%s/data.mdb", db->dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/lock.mdb", db->dir);
    unlink(path);
    rmdir(db->dir);
}

/* Leaf i: a few bytes that differ in content and length, some empty. */
static size_t
s_leaf(uint32_t i, uint8_t *buf)
{
    size_t len = (size_t)(i * 7 % 23);
    for (size_t k = 0; k < len; k++)
        buf[k] = (uint8_t)(i + k * 31);
    return len;
}

static void
test_roots_and_proofs(void)
{
    s_db_t db;
    MDB_txn *txn = NULL;
    static uint8_t leaf_hashes[N][H], roots[N + 1][H];
    uint8_t buf[64], root[H], proof[IAPT_MERKLE_PROOF_MAX_BYTES];
    uint8_t mproof[IAPT_MERKLE_PROOF_MAX_BYTES];
    size_t len, mlen;
    iapt_merkle_builder_t b;
    iapt_merkle_mem_t *mem = NULL;
    uint64_t size, idx;
    int bad = 0;

    if (s_db_new(&db, 64u << 20) != 0) {
        CHECK(0);
        return;
    }
    iapt_merkle_builder_init(&b);
    iapt_merkle_builder_root(&b, roots[0]);
    /* Transactions of 1, 2, 3, ... leaves, so appends straddle commits at
     * every kind of position in the tree. */
    uint32_t i = 0;
    for (uint32_t batch = 1; i < N; batch++) {
        CHECK_EQ_INT(mdb_txn_begin(db.env, NULL, 0, &txn), 0);
        for (uint32_t k = 0; k < batch && i < N; k++, i++) {
            len = s_leaf(i, buf);
            bad += iapt_translog_append(txn, db.log, buf, len, &idx) != 0;
            bad += idx != i;
            iapt_merkle_leaf_hash(buf, len, leaf_hashes[i]);
            iapt_merkle_builder_push(&b, leaf_hashes[i]);
            iapt_merkle_builder_root(&b, roots[i + 1]);
            /* The root is right inside the writing transaction too. */
            bad += iapt_translog_root(txn, db.log, i + 1, root) != 0;
            bad += memcmp(root, roots[i + 1], H) != 0;
        }
        CHECK_EQ_INT(mdb_txn_commit(txn), 0);
    }
    CHECK_EQ_INT(bad, 0);

    CHECK_EQ_INT(mdb_txn_begin(db.env, NULL, MDB_RDONLY, &txn), 0);
    CHECK_EQ_INT(iapt_translog_size(txn, db.log, &size), 0);
    CHECK_EQ_INT(size, N);
    CHECK_EQ_INT(iapt_merkle_mem_new(&leaf_hashes[0][0], N, &mem), 0);
    iapt_merkle_source_t src = iapt_merkle_mem_source(mem);

    for (uint64_t n = 0; n <= N; n++) {
        /* Every historical root. */
        bad += iapt_translog_root(txn, db.log, n, root) != 0;
        bad += memcmp(root, roots[n], H) != 0;
        if (n == 0)
            continue;
        /* Inclusion: every leaf of the trees up to 128 leaves, of some
         * larger ones and of the full one; a spread of leaves for the rest. */
        uint64_t step = (n <= 128 || n >= N - 2 || n % 97 == 0) ? 1 : 1 + n / 7;
        for (uint64_t m = 0; m < n; m += step) {
            bad += iapt_translog_inclusion(txn, db.log, m, n, proof, &len) != 0;
            bad += iapt_merkle_verify_inclusion(m, n, leaf_hashes[m], proof, len, roots[n]) != 0;
            bad += iapt_merkle_inclusion_proof(&src, m, n, mproof, &mlen) != 0;
            bad += len != mlen || memcmp(proof, mproof, len) != 0;
        }
        /* Consistency from a spread of older sizes, including 0 and n. */
        for (uint64_t m = 0; m <= n; m += 1 + n / 11) {
            bad += iapt_translog_consistency(txn, db.log, m, n, proof, &len) != 0;
            bad += iapt_merkle_verify_consistency(m, n, roots[m], roots[n], proof, len) != 0;
            bad += iapt_merkle_consistency_proof(&src, m, n, mproof, &mlen) != 0;
            bad += len != mlen || memcmp(proof, mproof, len) != 0;
        }
        bad += iapt_translog_consistency(txn, db.log, n, n, proof, &len) != 0 || len != 0;
    }
    CHECK_EQ_INT(bad, 0);

    /* Leaves read back as written. */
    for (uint32_t k = 0; k < N; k += 37) {
        const uint8_t *data;
        size_t dlen;
        len = s_leaf(k, buf);
        CHECK_EQ_INT(iapt_translog_leaf(txn, db.log, k, &data, &dlen), 0);
        CHECK_EQ_INT(dlen, len);
        CHECK(dlen == len && (len == 0 || memcmp(data, buf, len) == 0));
    }

    /* Beyond the log, or nonsense. */
    const uint8_t *data;
    size_t dlen;
    CHECK_EQ_INT(iapt_translog_leaf(txn, db.log, N, &data, &dlen), IAPT_ENOTFOUND);
    CHECK(data == NULL && dlen == 0);
    CHECK_EQ_INT(iapt_translog_root(txn, db.log, N + 1, root), IAPT_ENOTFOUND);
    CHECK_EQ_INT(iapt_translog_inclusion(txn, db.log, 0, N + 1, proof, &len), IAPT_ENOTFOUND);
    CHECK_EQ_INT(iapt_translog_inclusion(txn, db.log, 5, 5, proof, &len), IAPT_EUSAGE);
    CHECK_EQ_INT(iapt_translog_consistency(txn, db.log, 1, N + 1, proof, &len), IAPT_ENOTFOUND);
    CHECK_EQ_INT(iapt_translog_consistency(txn, db.log, 6, 5, proof, &len), IAPT_EUSAGE);
    /* A read-only transaction cannot append. */
    CHECK(iapt_translog_append(txn, db.log, buf, 1, NULL) != 0);
    mdb_txn_abort(txn);

    iapt_merkle_mem_destroy(&mem);
    s_db_destroy(&db);
}

static void
test_abort_and_reopen(void)
{
    s_db_t db;
    MDB_txn *txn;
    uint8_t root_before[H], root[H], buf[64];
    uint64_t size, idx;
    iapt_merkle_builder_t b;

    if (s_db_new(&db, 16u << 20) != 0) {
        CHECK(0);
        return;
    }
    iapt_merkle_builder_init(&b);
    CHECK_EQ_INT(mdb_txn_begin(db.env, NULL, 0, &txn), 0);
    for (uint32_t i = 0; i < 100; i++) {
        size_t len = s_leaf(i, buf);
        CHECK_EQ_INT(iapt_translog_append(txn, db.log, buf, len, NULL), 0);
        iapt_merkle_builder_push_leaf(&b, buf, len);
    }
    CHECK_EQ_INT(mdb_txn_commit(txn), 0);

    /* An aborted append leaves no trace. */
    CHECK_EQ_INT(mdb_txn_begin(db.env, NULL, 0, &txn), 0);
    CHECK_EQ_INT(iapt_translog_root(txn, db.log, 100, root_before), 0);
    for (int i = 0; i < 29; i++)
        CHECK_EQ_INT(iapt_translog_append(txn, db.log, (const uint8_t *)"gone", 4, &idx), 0);
    CHECK_EQ_INT(idx, 128);
    CHECK_EQ_INT(iapt_translog_size(txn, db.log, &size), 0);
    CHECK_EQ_INT(size, 129);
    mdb_txn_abort(txn);
    CHECK_EQ_INT(mdb_txn_begin(db.env, NULL, MDB_RDONLY, &txn), 0);
    CHECK_EQ_INT(iapt_translog_size(txn, db.log, &size), 0);
    CHECK_EQ_INT(size, 100);
    CHECK_EQ_INT(iapt_translog_root(txn, db.log, 100, root), 0);
    CHECK_EQ_MEM(root, root_before, H);
    CHECK_EQ_INT(iapt_translog_root(txn, db.log, 101, root), IAPT_ENOTFOUND);
    mdb_txn_abort(txn);

    /* Close everything; reopen the files; the log is as it was and grows
     * on from there. */
    s_db_close(&db);
    CHECK_EQ_INT(s_env_open(&db, 16u << 20), 0);
    CHECK_EQ_INT(mdb_txn_begin(db.env, NULL, MDB_RDONLY, &txn), 0);
    CHECK_EQ_INT(iapt_translog_open(txn, &db.log), 0); /* exists: read-only is fine */
    CHECK_EQ_INT(iapt_translog_size(txn, db.log, &size), 0);
    CHECK_EQ_INT(size, 100);
    CHECK_EQ_INT(iapt_translog_root(txn, db.log, 100, root), 0);
    CHECK_EQ_MEM(root, root_before, H);
    mdb_txn_commit(txn);
    CHECK_EQ_INT(mdb_txn_begin(db.env, NULL, 0, &txn), 0);
    for (uint32_t i = 100; i < 300; i++) {
        size_t len = s_leaf(i, buf);
        CHECK_EQ_INT(iapt_translog_append(txn, db.log, buf, len, &idx), 0);
        CHECK_EQ_INT(idx, i);
        iapt_merkle_builder_push_leaf(&b, buf, len);
    }
    CHECK_EQ_INT(mdb_txn_commit(txn), 0);
    CHECK_EQ_INT(mdb_txn_begin(db.env, NULL, MDB_RDONLY, &txn), 0);
    CHECK_EQ_INT(iapt_translog_root(txn, db.log, 300, root), 0);
    iapt_merkle_builder_root(&b, root_before);
    CHECK_EQ_MEM(root, root_before, H);
    mdb_txn_abort(txn);
    s_db_destroy(&db);
}

static void
test_open_rules(void)
{
    s_db_t db;
    MDB_txn *txn;
    iapt_translog_t *log = NULL;

    memset(&db, 0, sizeof db);
    iapt_strlcpy(db.dir, t_tmpdir(), sizeof db.dir);
    CHECK_EQ_INT(s_env_open(&db, 1u << 20), 0);
    /* Never created, and a read-only transaction cannot create it. */
    CHECK_EQ_INT(mdb_txn_begin(db.env, NULL, MDB_RDONLY, &txn), 0);
    CHECK_EQ_INT(iapt_translog_open(txn, &log), IAPT_ENOTFOUND);
    CHECK(log == NULL);
    mdb_txn_abort(txn);
    s_db_destroy(&db);

    /* An environment without room for the log's databases. */
    memset(&db, 0, sizeof db);
    iapt_strlcpy(db.dir, t_tmpdir(), sizeof db.dir);
    CHECK_EQ_INT(mdb_env_create(&db.env), 0);
    CHECK_EQ_INT(mdb_env_set_maxdbs(db.env, 1), 0);
    CHECK_EQ_INT(mdb_env_open(db.env, db.dir, MDB_NOSYNC, 0600), 0);
    CHECK_EQ_INT(mdb_txn_begin(db.env, NULL, 0, &txn), 0);
    CHECK_EQ_INT(iapt_translog_open(txn, &log), IAPT_ELMDB);
    CHECK(strstr(iapt_error_detail(), "maxdbs") != NULL);
    mdb_txn_abort(txn);
    s_db_destroy(&db);
}

static void
test_map_full(void)
{
    s_db_t db;
    MDB_txn *txn;
    uint8_t big[4096], root[H], root_before[H];
    uint64_t size = 0;
    int rc = 0, appended = 0;

    /* A small map fills up: the append fails with IAPT_EFULL, the caller
     * aborts, and the log is intact. */
    if (s_db_new(&db, 256u << 10) != 0) {
        CHECK(0);
        return;
    }
    memset(big, 0x5a, sizeof big);
    for (int round = 0; round < 1000 && rc == 0; round++) {
        CHECK_EQ_INT(mdb_txn_begin(db.env, NULL, 0, &txn), 0);
        for (int k = 0; k < 4 && rc == 0; k++)
            rc = iapt_translog_append(txn, db.log, big, sizeof big, NULL);
        if (rc == 0) {
            rc = mdb_txn_commit(txn);
            if (rc == 0)
                appended += 4;
        } else {
            mdb_txn_abort(txn);
        }
    }
    CHECK_EQ_INT(rc, IAPT_EFULL);
    CHECK(appended > 0);
    CHECK_EQ_INT(mdb_txn_begin(db.env, NULL, MDB_RDONLY, &txn), 0);
    CHECK_EQ_INT(iapt_translog_size(txn, db.log, &size), 0);
    CHECK_EQ_INT(size, appended);
    CHECK_EQ_INT(iapt_translog_root(txn, db.log, size, root), 0);
    mdb_txn_abort(txn);
    /* Grow the map and carry on. */
    CHECK_EQ_INT(mdb_env_set_mapsize(db.env, 4u << 20), 0);
    CHECK_EQ_INT(mdb_txn_begin(db.env, NULL, 0, &txn), 0);
    CHECK_EQ_INT(iapt_translog_append(txn, db.log, big, sizeof big, NULL), 0);
    CHECK_EQ_INT(mdb_txn_commit(txn), 0);
    CHECK_EQ_INT(mdb_txn_begin(db.env, NULL, MDB_RDONLY, &txn), 0);
    CHECK_EQ_INT(iapt_translog_root(txn, db.log, size, root_before), 0);
    CHECK_EQ_MEM(root, root_before, H);
    mdb_txn_abort(txn);
    s_db_destroy(&db);
}

/* Damage the store underneath the log and check it is refused, not
 * trusted and not crashed on. */
static void
test_damaged(void)
{
    s_db_t db;
    MDB_txn *txn;
    MDB_dbi node, leaf;
    uint8_t key[9], root[H], proof[IAPT_MERKLE_PROOF_MAX_BYTES];
    MDB_val k = {sizeof key, key}, v;
    size_t len;
    uint64_t size;

    if (s_db_new(&db, 16u << 20) != 0) {
        CHECK(0);
        return;
    }
    CHECK_EQ_INT(mdb_txn_begin(db.env, NULL, 0, &txn), 0);
    for (int i = 0; i < 13; i++)
        CHECK_EQ_INT(iapt_translog_append(txn, db.log, (const uint8_t *)"x", 1, NULL), 0);
    CHECK_EQ_INT(mdb_dbi_open(txn, "log_node", 0, &node), 0);
    CHECK_EQ_INT(mdb_dbi_open(txn, "log_leaf", 0, &leaf), 0);
    CHECK_EQ_INT(mdb_txn_commit(txn), 0);

    /* Node (level 2, index 1) - leaves 4..7 - missing. */
    CHECK_EQ_INT(mdb_txn_begin(db.env, NULL, 0, &txn), 0);
    key[0] = 2;
    memset(key + 1, 0, 8);
    key[8] = 1;
    CHECK_EQ_INT(mdb_del(txn, node, &k, NULL), 0);
    /* Roots never read it (they use (3, 0) instead); proofs through it fail. */
    CHECK_EQ_INT(iapt_translog_root(txn, db.log, 13, root), 0);
    CHECK_EQ_INT(iapt_translog_inclusion(txn, db.log, 1, 8, proof, &len), IAPT_EFORMAT);
    CHECK_EQ_INT(iapt_translog_consistency(txn, db.log, 4, 8, proof, &len), IAPT_EFORMAT);
    CHECK_EQ_INT(len, 0);
    mdb_txn_abort(txn);

    /* A node of the wrong length. */
    CHECK_EQ_INT(mdb_txn_begin(db.env, NULL, 0, &txn), 0);
    key[0] = 0;
    key[8] = 12;
    v.mv_size = 31;
    v.mv_data = root;
    CHECK_EQ_INT(mdb_put(txn, node, &k, &v, 0), 0);
    CHECK_EQ_INT(iapt_translog_root(txn, db.log, 13, root), IAPT_EFORMAT);
    /* And appending needs (0, 12) as the left sibling of leaf 13. */
    CHECK_EQ_INT(iapt_translog_append(txn, db.log, (const uint8_t *)"y", 1, NULL), IAPT_EFORMAT);
    mdb_txn_abort(txn);

    /* A left sibling missing when appending. */
    CHECK_EQ_INT(mdb_txn_begin(db.env, NULL, 0, &txn), 0);
    CHECK_EQ_INT(mdb_del(txn, node, &k, NULL), 0);
    CHECK_EQ_INT(iapt_translog_append(txn, db.log, (const uint8_t *)"y", 1, NULL), IAPT_EFORMAT);
    mdb_txn_abort(txn);

    /* A node already where the next append would write: leaves and nodes
     * disagree. */
    CHECK_EQ_INT(mdb_txn_begin(db.env, NULL, 0, &txn), 0);
    key[0] = 0;
    key[8] = 13;
    v.mv_size = H;
    CHECK_EQ_INT(mdb_put(txn, node, &k, &v, 0), 0);
    CHECK_EQ_INT(iapt_translog_append(txn, db.log, (const uint8_t *)"y", 1, NULL), IAPT_EFORMAT);
    mdb_txn_abort(txn);

    /* A leaf key that is not 8 bytes. */
    CHECK_EQ_INT(mdb_txn_begin(db.env, NULL, 0, &txn), 0);
    k.mv_size = 4;
    memset(key, 0xff, 4);
    v.mv_size = 1;
    CHECK_EQ_INT(mdb_put(txn, leaf, &k, &v, 0), 0);
    CHECK_EQ_INT(iapt_translog_size(txn, db.log, &size), IAPT_EFORMAT);
    CHECK_EQ_INT(iapt_translog_root(txn, db.log, 1, root), IAPT_EFORMAT);
    CHECK_EQ_INT(iapt_translog_append(txn, db.log, (const uint8_t *)"y", 1, NULL), IAPT_EFORMAT);
    mdb_txn_abort(txn);

    /* Undamaged after all the aborts. */
    CHECK_EQ_INT(mdb_txn_begin(db.env, NULL, MDB_RDONLY, &txn), 0);
    CHECK_EQ_INT(iapt_translog_size(txn, db.log, &size), 0);
    CHECK_EQ_INT(size, 13);
    CHECK_EQ_INT(iapt_translog_inclusion(txn, db.log, 12, 13, proof, &len), 0);
    mdb_txn_abort(txn);
    s_db_destroy(&db);
}

TEST_MAIN(test_roots_and_proofs, test_abort_and_reopen, test_open_rules, test_map_full,
          test_damaged)
