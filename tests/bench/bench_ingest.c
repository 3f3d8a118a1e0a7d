/* bench_ingest - the baselines the hub's ingest is measured against, over
 * the very records nodes prepared: every record of every submission in the
 * given outboxes (iapt-node submit --no-send) is loaded into memory, then
 *
 *   bench_ingest raw REPS DIR OUTBOX...
 *       appends them to a fresh LMDB environment in DIR (default
 *       durability: a synchronous commit per transaction) in transactions of
 *       10 000 records, keys (submission u64 BE, index u64 BE) in order with
 *       MDB_APPEND: the least any store of these records can do. Run REPS
 *       times, each into a new environment; one line per run and the median.
 *
 *   bench_ingest steps PERIOD DIR OUTBOX...
 *       the cost of each step of the hub's ingest on them, one after the
 *       other on one core: decrypting chunk messages of 1 MiB as CurveZMQ
 *       does (XSalsa20-Poly1305), decoding the chunk envelopes, hashing every
 *       record into a streaming Merkle tree, the LMDB append (as raw, once),
 *       and at acceptance decoding every record again (with an arena, as the
 *       hub does), deriving its flags and aggregating it (one aggregate per
 *       submission, as the hub keeps per (period, provider)); then encoding
 *       the cells. Their sum is the most one core could ingest. Each step
 *       is run three times and its fastest pass reported.
 *
 * Output lines are "tag: key=value ..." for the runner to parse. */
#include "common/date.h"
#include "common/err.h"
#include "common/measures.h"
#include "common/collections/adult/adult_measures.h"
#include "common/merkle.h"
#include "common/tools.h"
#include "common/util.h"
#include "common/wire.h"
#include "proto/adult.pb-c.h"

#include <errno.h>
#include <lmdb.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define S_TXN_RECORDS 10000
#define S_MAX_REPS 15
#define S_CHUNK_BYTES (1u << 20) /* a node's default chunk */
#define S_ARENA_BYTES (256u << 10)

typedef struct {
    uint8_t *data; /* all record bytes, back to back */
    size_t len, cap;
    size_t *off; /* record i is data[off[i] .. off[i+1]) */
    size_t n, n_cap;
    size_t *sub_first; /* first record of each submission, and n at the end */
    size_t n_subs;
} s_records_t;

static double
s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
s_be64(uint8_t out[8], uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        out[i] = (uint8_t)v;
}

static int
s_push(s_records_t *r, const void *p, size_t len)
{
    if (r->len + len > r->cap) {
        size_t cap = r->cap ? r->cap : 1 << 20;
        while (cap < r->len + len)
            cap *= 2;
        uint8_t *d = realloc(r->data, cap);
        if (!d)
            return -1;
        r->data = d;
        r->cap = cap;
    }
    if (r->n + 2 > r->n_cap) {
        size_t cap = r->n_cap ? r->n_cap * 2 : 65536;
        size_t *o = realloc(r->off, cap * sizeof *o);
        if (!o)
            return -1;
        r->off = o;
        r->n_cap = cap;
    }
    memcpy(r->data + r->len, p, len);
    r->off[r->n++] = r->len;
    r->len += len;
    r->off[r->n] = r->len;
    return 0;
}

/* Every record of an outbox (all its submissions, in key order). */
static int
s_load_outbox(const char *dir, s_records_t *r)
{
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    MDB_cursor *c = NULL;
    MDB_dbi dbi;
    MDB_val k, v;
    uint64_t last_seq = UINT64_MAX;
    int rc;

    if ((rc = mdb_env_create(&env)) != 0 || (rc = mdb_env_set_maxdbs(env, 8)) != 0 ||
        (rc = mdb_env_set_mapsize(env, (size_t)64 << 30)) != 0 ||
        (rc = mdb_env_open(env, dir, MDB_RDONLY | MDB_NOTLS, 0600)) != 0 ||
        (rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn)) != 0 ||
        (rc = mdb_dbi_open(txn, "rec", 0, &dbi)) != 0 || (rc = mdb_cursor_open(txn, dbi, &c)) != 0)
        goto out;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        uint64_t seq = 0;
        for (int i = 0; i < 8 && k.mv_size == 16; i++)
            seq = seq << 8 | ((const uint8_t *)k.mv_data)[i];
        if (seq != last_seq) {
            size_t *sf = realloc(r->sub_first, (r->n_subs + 2) * sizeof *sf);
            if (!sf) {
                rc = ENOMEM;
                goto out;
            }
            r->sub_first = sf;
            r->sub_first[r->n_subs++] = r->n;
            last_seq = seq;
        }
        if (s_push(r, v.mv_data, v.mv_size) < 0) {
            rc = ENOMEM;
            goto out;
        }
    }
    if (rc == MDB_NOTFOUND)
        rc = 0;
out:
    if (rc)
        fprintf(stderr, "bench_ingest: %s: %s\n", dir, mdb_strerror(rc));
    if (c)
        mdb_cursor_close(c);
    if (txn)
        mdb_txn_abort(txn);
    if (env)
        mdb_env_close(env);
    if (r->sub_first)
        r->sub_first[r->n_subs] = r->n;
    return rc ? -1 : 0;
}

static void
s_rm_env(const char *dir)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/lock.mdb", dir);
    unlink(path);
    rmdir(dir);
}

/* One raw append of everything into a fresh environment; seconds or < 0. */
static double
s_raw_once(const char *dir, const s_records_t *r, size_t *file_bytes)
{
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    MDB_dbi dbi;
    int rc;
    double t0, t1 = 0;

    s_rm_env(dir);
    if (iapt_mkdir_p(dir, 0700) < 0)
        return -1;
    t0 = s_now();
    if ((rc = mdb_env_create(&env)) != 0 || (rc = mdb_env_set_maxdbs(env, 4)) != 0 ||
        (rc = mdb_env_set_mapsize(env, (size_t)16 << 30)) != 0 ||
        (rc = mdb_env_open(env, dir, 0, 0600)) != 0)
        goto out;
    if ((rc = mdb_txn_begin(env, NULL, 0, &txn)) != 0 ||
        (rc = mdb_dbi_open(txn, "rec", MDB_CREATE, &dbi)) != 0 || (rc = mdb_txn_commit(txn)) != 0) {
        txn = NULL;
        goto out;
    }
    txn = NULL;
    for (size_t s = 0; s < r->n_subs && rc == 0; s++) {
        for (size_t i = r->sub_first[s]; i < r->sub_first[s + 1]; i++) {
            if (!txn && (rc = mdb_txn_begin(env, NULL, 0, &txn)) != 0)
                break;
            uint8_t key[16];
            s_be64(key, s + 1);
            s_be64(key + 8, i - r->sub_first[s]);
            MDB_val k = {16, key}, v = {r->off[i + 1] - r->off[i], r->data + r->off[i]};
            if ((rc = mdb_put(txn, dbi, &k, &v, MDB_APPEND)) != 0)
                break;
            if ((i + 1) % S_TXN_RECORDS == 0) {
                rc = mdb_txn_commit(txn);
                txn = NULL;
            }
        }
    }
    if (rc == 0 && txn) {
        rc = mdb_txn_commit(txn);
        txn = NULL;
    }
    t1 = s_now();
    MDB_envinfo info;
    MDB_stat st;
    if (rc == 0 && mdb_env_info(env, &info) == 0 && mdb_env_stat(env, &st) == 0)
        *file_bytes = (info.me_last_pgno + 1) * (size_t)st.ms_psize;
out:
    if (rc)
        fprintf(stderr, "bench_ingest: raw append: %s\n", mdb_strerror(rc));
    if (txn)
        mdb_txn_abort(txn);
    if (env)
        mdb_env_close(env);
    s_rm_env(dir);
    return rc ? -1 : t1 - t0;
}

static int
s_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int
s_raw(int reps, const char *dir, const s_records_t *r)
{
    double t[S_MAX_REPS];
    size_t file_bytes = 0;
    for (int i = 0; i < reps; i++) {
        if ((t[i] = s_raw_once(dir, r, &file_bytes)) < 0)
            return 1;
        printf("raw-run: run=%d s=%.4f records_per_s=%.0f\n", i + 1, t[i], (double)r->n / t[i]);
    }
    qsort(t, (size_t)reps, sizeof *t, s_cmp_double);
    double med = reps % 2 ? t[reps / 2] : (t[reps / 2 - 1] + t[reps / 2]) / 2;
    printf("raw: records=%zu bytes=%zu submissions=%zu txn_records=%d reps=%d median_s=%.4f "
           "best_s=%.4f records_per_s=%.0f mb_per_s=%.2f file_mb=%.1f\n",
           r->n, r->len, r->n_subs, S_TXN_RECORDS, reps, med, t[0], (double)r->n / med,
           (double)r->len / 1e6 / med, (double)file_bytes / 1e6);
    return 0;
}

typedef struct {
    iapt_buf_t buf;
    size_t cells, bytes;
} s_enc_t;

static int
s_encode_cell(const char *commissioner, int breakdown, int level, const iapt_cell_t *cell,
              void *arg)
{
    (void)commissioner;
    (void)breakdown;
    (void)level;
    s_enc_t *e = arg;
    e->buf.len = 0;
    if (iapt_cell_encode(cell, &e->buf) < 0)
        return -1;
    e->cells++;
    e->bytes += e->buf.len;
    return 0;
}

/* The hub's decoding arena (hub/ingest.c). */
typedef struct {
    uint8_t *base;
    size_t cap, used;
} s_arena_t;

static void *
s_arena_alloc(void *data, size_t size)
{
    s_arena_t *a = data;
    size_t n = (size + 15) & ~(size_t)15;
    if (n >= size && a->base && a->cap - a->used >= n) {
        void *p = a->base + a->used;
        a->used += n;
        return p;
    }
    return malloc(size);
}

static void
s_arena_free(void *data, void *p)
{
    s_arena_t *a = data;
    uint8_t *q = p;
    if (!a->base || q < a->base || q >= a->base + a->cap)
        free(p);
}

/* The records packed into chunk envelopes of at most 1 MiB, as a node does,
 * then sealed as CurveZMQ seals a message (crypto_box with a precomputed
 * key). */
typedef struct {
    iapt_buf_t *env; /* packed envelopes */
    uint8_t **box;   /* crypto_box_easy_afternm of each */
    size_t n;
} s_chunks_t;

static int
s_make_chunks(const s_records_t *r, const uint8_t key[crypto_box_BEFORENMBYTES], s_chunks_t *c)
{
    static const uint8_t nonce[crypto_box_NONCEBYTES];
    uint8_t id[32] = {0};
    ProtobufCBinaryData *recs = malloc(r->n * sizeof *recs);
    size_t cap = 0;
    if (!recs)
        return -1;
    memset(c, 0, sizeof *c);
    for (size_t s = 0; s < r->n_subs; s++) {
        size_t i = r->sub_first[s];
        while (i < r->sub_first[s + 1]) {
            size_t first = i, bytes = 64;
            for (; i < r->sub_first[s + 1]; i++) {
                size_t len = r->off[i + 1] - r->off[i];
                if (i > first && bytes + len + 11 > S_CHUNK_BYTES - 256)
                    break;
                recs[i].data = r->data + r->off[i];
                recs[i].len = len;
                bytes += len + 11;
            }
            if (c->n == cap) {
                cap = cap ? cap * 2 : 256;
                iapt_buf_t *e = realloc(c->env, cap * sizeof *e);
                uint8_t **b = e ? realloc(c->box, cap * sizeof *b) : NULL;
                if (e)
                    c->env = e;
                if (!b) {
                    free(recs);
                    return -1;
                }
                c->box = b;
            }
            Iapt__Chunk ch = IAPT__CHUNK__INIT;
            ch.submission_id.data = id;
            ch.submission_id.len = 32;
            ch.first_index = first - r->sub_first[s];
            ch.n_records = i - first;
            ch.records = recs + first;
            Iapt__Envelope env = IAPT__ENVELOPE__INIT;
            env.body_case = IAPT__ENVELOPE__BODY_CHUNK;
            env.chunk = &ch;
            iapt_buf_t *b = &c->env[c->n];
            *b = (iapt_buf_t)IAPT_BUF_INIT;
            if (iapt_wire_pack(&env, b) < 0 ||
                !(c->box[c->n] = malloc(b->len + crypto_box_MACBYTES))) {
                free(recs);
                return -1;
            }
            crypto_box_easy_afternm(c->box[c->n], b->data, b->len, nonce, key);
            c->n++;
        }
    }
    free(recs);
    return 0;
}

static void
s_free_chunks(s_chunks_t *c)
{
    for (size_t i = 0; i < c->n; i++) {
        iapt_buf_free(&c->env[i]);
        free(c->box[i]);
    }
    free(c->env);
    free(c->box);
}

typedef struct {
    double curve, env, merkle, lmdb, decode, all, encode;
} s_times_t;

/* One pass of every step; adds failures to *bad. */
static int
s_steps_once(const s_records_t *r, const s_chunks_t *ch, const uint8_t *key,
             const iapt_period_t *period, const iapt_tools_t *tools, const char *dir, s_times_t *t,
             size_t *bad, s_enc_t *enc)
{
    static const uint8_t nonce[crypto_box_NONCEBYTES];
    iapt_adult_derived_t d;
    size_t file_bytes = 0;
    double t0;

    /* CurveZMQ: every message opened on arrival. */
    uint8_t *plain = malloc(S_CHUNK_BYTES * 2);
    if (!plain)
        return -1;
    t0 = s_now();
    for (size_t i = 0; i < ch->n; i++)
        if (ch->env[i].len > S_CHUNK_BYTES * 2 ||
            crypto_box_open_easy_afternm(plain, ch->box[i], ch->env[i].len + crypto_box_MACBYTES,
                                         nonce, key) != 0)
            (*bad)++;
    t->curve = s_now() - t0;
    free(plain);

    /* The envelope: protobuf-c copies every record out of the message. */
    t0 = s_now();
    for (size_t i = 0; i < ch->n; i++) {
        Iapt__Envelope *env = NULL;
        if (iapt_wire_unpack(ch->env[i].data, ch->env[i].len, 4u << 20, &env) < 0)
            (*bad)++;
        else
            iapt__envelope__free_unpacked(env, NULL);
    }
    t->env = s_now() - t0;

    /* The streaming Merkle tree of each submission. */
    uint8_t root[IAPT_MERKLE_HASH_BYTES];
    t0 = s_now();
    for (size_t s = 0; s < r->n_subs; s++) {
        iapt_merkle_builder_t b;
        iapt_merkle_builder_init(&b);
        for (size_t i = r->sub_first[s]; i < r->sub_first[s + 1]; i++)
            if (iapt_merkle_builder_push_leaf(&b, r->data + r->off[i], r->off[i + 1] - r->off[i]) <
                0)
                (*bad)++;
        iapt_merkle_builder_root(&b, root);
    }
    t->merkle = s_now() - t0;

    if ((t->lmdb = s_raw_once(dir, r, &file_bytes)) < 0)
        return -1;

    /* Acceptance: decode; decode + derive + aggregate. */
    s_arena_t arena = {malloc(S_ARENA_BYTES), S_ARENA_BYTES, 0};
    ProtobufCAllocator alloc = {s_arena_alloc, s_arena_free, &arena};
    t0 = s_now();
    for (size_t i = 0; i < r->n; i++) {
        arena.used = 0;
        Iapt__PathwayRecord *rec =
            iapt__pathway_record__unpack(&alloc, r->off[i + 1] - r->off[i], r->data + r->off[i]);
        *bad += !rec;
        iapt__pathway_record__free_unpacked(rec, &alloc);
    }
    t->decode = s_now() - t0;

    iapt_agg_t **agg = calloc(r->n_subs, sizeof *agg);
    if (!agg) {
        free(arena.base);
        return -1;
    }
    t0 = s_now();
    for (size_t s = 0; s < r->n_subs; s++) {
        agg[s] = iapt_agg_new(&iapt_adult_measure_schema);
        for (size_t i = r->sub_first[s]; i < r->sub_first[s + 1]; i++) {
            arena.used = 0;
            Iapt__PathwayRecord *rec = iapt__pathway_record__unpack(
                &alloc, r->off[i + 1] - r->off[i], r->data + r->off[i]);
            if (!rec || iapt_adult_derive(rec, period, tools, &d) < 0 ||
                iapt_adult_agg_add(agg[s], rec->commissioner, &d) < 0)
                (*bad)++;
            iapt__pathway_record__free_unpacked(rec, &alloc);
        }
    }
    t->all = s_now() - t0;
    free(arena.base);

    enc->cells = enc->bytes = 0;
    t0 = s_now();
    for (size_t s = 0; s < r->n_subs; s++)
        iapt_agg_foreach(agg[s], s_encode_cell, enc);
    t->encode = s_now() - t0;
    for (size_t s = 0; s < r->n_subs; s++)
        iapt_agg_destroy(&agg[s]);
    free(agg);
    return 0;
}

#define S_MIN(a, b) ((b) < (a) ? (b) : (a))

/* Every step S_STEP_REPS times; the fastest pass of each counts (on a
 * shared machine the slower ones measure the neighbours). */
#define S_STEP_REPS 3

static int
s_steps(const char *period_text, const char *dir, const s_records_t *r)
{
    uint8_t pk[crypto_box_PUBLICKEYBYTES], sk[crypto_box_SECRETKEYBYTES];
    uint8_t key[crypto_box_BEFORENMBYTES];
    iapt_period_t period;
    iapt_tools_t tools;
    s_chunks_t ch;
    s_enc_t enc = {IAPT_BUF_INIT, 0, 0};
    s_times_t best = {0}, t = {0};
    size_t bad = 0;
    int rc = 0;

    if (iapt_period_parse(period_text, &period) < 0) {
        fprintf(stderr, "bench_ingest: bad period %s\n", period_text);
        return 2;
    }
    iapt_tools_default(&tools);
    crypto_box_keypair(pk, sk);
    if (crypto_box_beforenm(key, pk, sk) != 0 || s_make_chunks(r, key, &ch) < 0) {
        fprintf(stderr, "bench_ingest: making chunks failed\n");
        return 1;
    }
    for (int rep = 0; rep < S_STEP_REPS && rc == 0; rep++) {
        rc = s_steps_once(r, &ch, key, &period, &tools, dir, &t, &bad, &enc);
        if (rep == 0)
            best = t;
        best.curve = S_MIN(best.curve, t.curve);
        best.env = S_MIN(best.env, t.env);
        best.merkle = S_MIN(best.merkle, t.merkle);
        best.lmdb = S_MIN(best.lmdb, t.lmdb);
        best.decode = S_MIN(best.decode, t.decode);
        best.all = S_MIN(best.all, t.all);
        best.encode = S_MIN(best.encode, t.encode);
    }
    iapt_buf_free(&enc.buf);
    s_free_chunks(&ch);
    if (rc < 0) {
        fprintf(stderr, "bench_ingest: steps failed\n");
        return 1;
    }

    double derive = best.all - best.decode;
    double total = best.curve + best.env + best.merkle + best.lmdb + best.all;
    printf("steps: records=%zu bytes=%zu submissions=%zu chunks=%zu reps=%d refused=%zu "
           "curve_s=%.4f envelope_s=%.4f merkle_s=%.4f lmdb_s=%.4f decode_s=%.4f derive_s=%.4f "
           "total_s=%.4f cells=%zu cell_kb=%.1f encode_s=%.4f\n",
           r->n, r->len, r->n_subs, ch.n, S_STEP_REPS, bad, best.curve, best.env, best.merkle,
           best.lmdb, best.decode, derive, total, enc.cells, (double)enc.bytes / 1024, best.encode);
    return bad ? 1 : 0;
}

int
main(int argc, char **argv)
{
    s_records_t r = {0};
    int raw = argc > 1 && strcmp(argv[1], "raw") == 0;
    int steps = argc > 1 && strcmp(argv[1], "steps") == 0;

    if (argc < 5 || (!raw && !steps)) {
        fprintf(stderr, "usage: bench_ingest raw REPS DIR OUTBOX...\n"
                        "       bench_ingest steps PERIOD DIR OUTBOX...\n");
        return 2;
    }
    int reps = raw ? atoi(argv[2]) : 0;
    if (raw && (reps < 1 || reps > S_MAX_REPS)) {
        fprintf(stderr, "bench_ingest: REPS is 1-%d\n", S_MAX_REPS);
        return 2;
    }
    if (sodium_init() < 0)
        return 2;
    for (int i = 4; i < argc; i++)
        if (s_load_outbox(argv[i], &r) < 0)
            return 1;
    if (r.n == 0) {
        fprintf(stderr, "bench_ingest: no records in the outboxes\n");
        return 1;
    }
    int rc = raw ? s_raw(reps, argv[3], &r) : s_steps(argv[2], argv[3], &r);
    free(r.data);
    free(r.off);
    free(r.sub_first);
    return rc;
}
