/* bench_merkle - throughput of the Merkle builder, the LMDB log and proofs.
 *
 *     build/tests/bench_merkle [seconds per phase, default 1]
 *
 * Phases, each run for about the given time:
 *   builder      hash and push 150-byte leaves (a typical record)
 *   translog     append 150-byte leaves in transactions of 10 000, each
 *                committed (with fsync), as the hub does per submission
 *   inclusion    make and verify inclusion proofs of random leaves against
 *                the full log in one read transaction
 *   consistency  the same for consistency proofs between random sizes
 * Each prints one line "<phase>: <rate> <unit>/s". */
#include "common/err.h"
#include "common/merkle.h"
#include "common/sign.h"
#include "common/util.h"
#include "hub/translog.h"

#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_LEAF_LEN 150
#define S_BATCH 10000

static uint64_t s_rng = 0x9e3779b97f4a7c15ull;

static uint64_t
s_rand(void)
{
    /* xorshift64*: reproducible, and no libc state. */
    s_rng ^= s_rng >> 12;
    s_rng ^= s_rng << 25;
    s_rng ^= s_rng >> 27;
    return s_rng * 2685821657736338717ull;
}

static double
s_rate(uint64_t count, int64_t ms)
{
    return ms > 0 ? (double)count * 1000.0 / (double)ms : 0.0;
}

static void
s_bench_builder(int64_t budget_ms)
{
    uint8_t leaf[S_LEAF_LEN], root[IAPT_MERKLE_HASH_BYTES];
    iapt_merkle_builder_t b;
    uint64_t n = 0;
    int64_t start = iapt_clock_ms(), now = start;

    memset(leaf, 0x42, sizeof leaf);
    iapt_merkle_builder_init(&b);
    while (now - start < budget_ms) {
        for (int i = 0; i < 65536; i++) {
            memcpy(leaf, &n, sizeof n);
            iapt_merkle_builder_push_leaf(&b, leaf, sizeof leaf);
            n++;
        }
        now = iapt_clock_ms();
    }
    iapt_merkle_builder_root(&b, root);
    printf("builder: %.0f leaves/s (%llu leaves of %d bytes)\n", s_rate(n, now - start),
           (unsigned long long)n, S_LEAF_LEN);
}

static int
s_bench_log(const char *dir, int64_t budget_ms)
{
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    iapt_translog_t *log = NULL;
    uint8_t leaf[S_LEAF_LEN], root[IAPT_MERKLE_HASH_BYTES], proof[IAPT_MERKLE_PROOF_MAX_BYTES];
    uint8_t lh[IAPT_MERKLE_HASH_BYTES], root2[IAPT_MERKLE_HASH_BYTES];
    uint64_t n = 0, done;
    int64_t start, now;
    size_t len;
    int rc;

    if ((rc = mdb_env_create(&env)) != 0 ||
        (rc = mdb_env_set_maxdbs(env, IAPT_TRANSLOG_MAXDBS)) != 0 ||
        (rc = mdb_env_set_mapsize(env, (size_t)4 << 30)) != 0 ||
        (rc = mdb_env_open(env, dir, 0, 0600)) != 0) {
        fprintf(stderr, "bench_merkle: lmdb: %s\n", mdb_strerror(rc));
        goto out_close_env;
    }
    if ((rc = mdb_txn_begin(env, NULL, 0, &txn)) != 0 ||
        (rc = iapt_translog_open(txn, &log)) != 0 || (rc = mdb_txn_commit(txn)) != 0) {
        fprintf(stderr, "bench_merkle: opening the log failed (%d)\n", rc);
        goto out_close_log;
    }

    memset(leaf, 0x17, sizeof leaf);
    start = now = iapt_clock_ms();
    while (now - start < budget_ms) {
        if ((rc = mdb_txn_begin(env, NULL, 0, &txn)) != 0)
            goto out_close_log;
        for (int i = 0; i < S_BATCH; i++) {
            memcpy(leaf, &n, sizeof n);
            rc = iapt_translog_append(txn, log, leaf, sizeof leaf, NULL);
            if (rc != 0) {
                fprintf(stderr, "bench_merkle: append: %s: %s\n", iapt_strerror(rc),
                        iapt_error_detail());
                mdb_txn_abort(txn);
                goto out_close_log;
            }
            n++;
        }
        if ((rc = mdb_txn_commit(txn)) != 0)
            goto out_close_log;
        now = iapt_clock_ms();
    }
    printf("translog append: %.0f leaves/s (%llu leaves, transactions of %d)\n",
           s_rate(n, now - start), (unsigned long long)n, S_BATCH);

    if ((rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn)) != 0)
        goto out_close_log;
    if ((rc = iapt_translog_root(txn, log, n, root)) != 0)
        goto out_abort;
    done = 0;
    start = now = iapt_clock_ms();
    while (now - start < budget_ms) {
        for (int i = 0; i < 1024; i++) {
            uint64_t idx = s_rand() % n;
            memcpy(leaf, &idx, sizeof idx);
            iapt_merkle_leaf_hash(leaf, sizeof leaf, lh);
            if ((rc = iapt_translog_inclusion(txn, log, idx, n, proof, &len)) != 0 ||
                (rc = iapt_merkle_verify_inclusion(idx, n, lh, proof, len, root)) != 0)
                goto out_abort;
            done++;
        }
        now = iapt_clock_ms();
    }
    printf("inclusion: %.0f proofs/s made and verified (tree of %llu)\n", s_rate(done, now - start),
           (unsigned long long)n);

    done = 0;
    start = now = iapt_clock_ms();
    while (now - start < budget_ms) {
        for (int i = 0; i < 256; i++) {
            uint64_t m = 1 + s_rand() % n;
            if ((rc = iapt_translog_root(txn, log, m, root2)) != 0 ||
                (rc = iapt_translog_consistency(txn, log, m, n, proof, &len)) != 0 ||
                (rc = iapt_merkle_verify_consistency(m, n, root2, root, proof, len)) != 0)
                goto out_abort;
            done++;
        }
        now = iapt_clock_ms();
    }
    printf("consistency: %.0f proofs/s made and verified, with the old root\n",
           s_rate(done, now - start));
    rc = 0;

out_abort:
    if (rc != 0)
        fprintf(stderr, "bench_merkle: %s: %s\n", iapt_strerror(rc), iapt_error_detail());
    mdb_txn_abort(txn);
out_close_log:
    iapt_translog_close(&log);
out_close_env:
    if (env)
        mdb_env_close(env);
    return rc == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
    char dir[512], path[600];
    const char *base = getenv("TMPDIR");
    double seconds = argc > 1 ? atof(argv[1]) : 1.0;
    int64_t budget_ms;
    int rc;

    if (seconds <= 0 || seconds > 60) {
        fprintf(stderr, "usage: bench_merkle [seconds per phase, 0-60]\n");
        return 2;
    }
    budget_ms = (int64_t)(seconds * 1000);
    if (iapt_crypto_init() != 0)
        return 2;
    snprintf(dir, sizeof dir, "%s/iapt-bench-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 2;
    }
    s_bench_builder(budget_ms);
    rc = s_bench_log(dir, budget_ms);
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/lock.mdb", dir);
    unlink(path);
    rmdir(dir);
    return rc;
}
