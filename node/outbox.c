/* outbox.c - the node's LMDB outbox. */
#include "node/outbox.h"
#include "common/cli.h"
#include "common/collection.h"
#include "common/err.h"
#include "common/log.h"
#include "common/merkle.h"
#include "common/wire.h"

#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct iapt_outbox {
    MDB_env *env;
    MDB_dbi meta, entry, rec;
    char org[IAPT_ORG_MAX];
};

static int
s_err(int rc, const char *what)
{
    if (rc == MDB_MAP_FULL)
        return iapt_error_set(IAPT_EFULL, "outbox %s: %s", what, mdb_strerror(rc));
    return iapt_error_set(IAPT_ELMDB, "outbox %s: %s", what, mdb_strerror(rc));
}

static void
s_be64(uint8_t out[8], uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        out[i] = (uint8_t)v;
}

static uint64_t
s_rd64(const uint8_t in[8])
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | in[i];
    return v;
}

int
iapt_outbox_open(const char *dir, const char *org, iapt_outbox_t **out)
{
    int rc;
    MDB_txn *txn = NULL;
    iapt_outbox_t *ob = calloc(1, sizeof *ob);
    if (!ob)
        return IAPT_ENOMEM;
    iapt_strlcpy(ob->org, org, sizeof ob->org);
    if ((rc = iapt_mkdir_p(dir, 0700)) < 0)
        goto out_fail;
    if ((rc = mdb_env_create(&ob->env)) != 0) {
        rc = s_err(rc, "create");
        goto out_fail;
    }
    mdb_env_set_maxdbs(ob->env, 8);
    /* Address space only: the file grows with what is written. */
    mdb_env_set_mapsize(ob->env, (size_t)64 << 30);
    if ((rc = mdb_env_open(ob->env, dir, MDB_NOTLS, 0600)) != 0) {
        rc = s_err(rc, dir);
        goto out_fail;
    }
    /* Reader slots left by a process that died inside a read transaction
     * would pin old pages for good. */
    int stale = 0;
    if (mdb_reader_check(ob->env, &stale) == 0 && stale > 0)
        iapt_log_warn("outbox %s: cleared %d stale reader slot(s)", dir, stale);
    if ((rc = mdb_txn_begin(ob->env, NULL, 0, &txn)) != 0 ||
        (rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &ob->meta)) != 0 ||
        (rc = mdb_dbi_open(txn, "entry", MDB_CREATE, &ob->entry)) != 0 ||
        (rc = mdb_dbi_open(txn, "rec", MDB_CREATE, &ob->rec)) != 0) {
        rc = s_err(rc, "open");
        goto out_fail;
    }
    MDB_val k = {3, "org"}, v;
    rc = mdb_get(txn, ob->meta, &k, &v);
    if (rc == MDB_NOTFOUND) {
        v.mv_size = strlen(org);
        v.mv_data = (void *)org;
        rc = mdb_put(txn, ob->meta, &k, &v, 0);
    } else if (rc == 0 && (v.mv_size != strlen(org) || memcmp(v.mv_data, org, v.mv_size) != 0)) {
        rc = iapt_error_set(IAPT_EUSAGE, "outbox %s belongs to %.*s, not %s", dir, (int)v.mv_size,
                            (char *)v.mv_data, org);
        goto out_fail;
    }
    if (rc || (rc = mdb_txn_commit(txn)) != 0) {
        txn = NULL;
        rc = s_err(rc, "open");
        goto out_fail;
    }
    *out = ob;
    return 0;

out_fail:
    if (txn)
        mdb_txn_abort(txn);
    iapt_outbox_close(&ob);
    return rc;
}

void
iapt_outbox_close(iapt_outbox_t **ob_p)
{
    iapt_outbox_t *ob = *ob_p;
    if (!ob)
        return;
    if (ob->env)
        mdb_env_close(ob->env);
    free(ob);
    *ob_p = NULL;
}

static int
s_put_entry(iapt_outbox_t *ob, MDB_txn *txn, const Iapt__OutboxEntry *e)
{
    uint8_t key[8];
    s_be64(key, e->sequence);
    MDB_val k = {8, key}, v = {iapt__outbox_entry__get_packed_size(e), NULL};
    int rc = mdb_put(txn, ob->entry, &k, &v, MDB_RESERVE);
    if (rc)
        return s_err(rc, "write entry");
    iapt__outbox_entry__pack(e, v.mv_data);
    return 0;
}

int
iapt_outbox_prepare(iapt_outbox_t *ob, const iapt_identity_t *signer,
                    const iapt_submission_input_t *in, uint64_t *sequence, uint8_t id[32])
{
    int rc;
    MDB_txn *txn = NULL;
    iapt_buf_t signed_ = IAPT_BUF_INIT;
    iapt_merkle_builder_t stream;
    uint8_t root[32], prev[32];
    int has_prev = 0;

    if (strcmp(signer->org, ob->org) != 0)
        return iapt_error_set(IAPT_EUSAGE, "signing key is %s's, the outbox is %s's", signer->org,
                              ob->org);
    if (in->records_root) {
        memcpy(root, in->records_root, sizeof root);
    } else {
        iapt_merkle_builder_init(&stream);
        for (size_t i = 0; i < in->n_records; i++)
            if ((rc = iapt_merkle_builder_push_leaf(&stream, in->record[i], in->record_len[i])) < 0)
                return rc;
        iapt_merkle_builder_root(&stream, root);
    }

    if ((rc = mdb_txn_begin(ob->env, NULL, 0, &txn)) != 0)
        return s_err(rc, "begin");
    uint64_t seq = 1;
    MDB_val k = {8, "next-seq"}, v;
    if ((rc = mdb_get(txn, ob->meta, &k, &v)) == 0 && v.mv_size == 8)
        seq = s_rd64(v.mv_data);
    MDB_val lk = {7, "last-id"}, lv;
    if (mdb_get(txn, ob->meta, &lk, &lv) == 0 && lv.mv_size == 32) {
        memcpy(prev, lv.mv_data, 32);
        has_prev = 1;
    }

    Iapt__Manifest m = IAPT__MANIFEST__INIT;
    m.format_version = IAPT_MANIFEST_VERSION;
    m.collection = (char *)(in->collection ? in->collection : IAPT_COLLECTION);
    const iapt_collection_t *coll = iapt_collection_find(m.collection);
    m.dataset_version =
        (char *)(coll && coll->dataset_version ? coll->dataset_version : IAPT_DATASET_VERSION);
    m.tools_sha256 = (char *)in->tools_sha256;
    m.org_code = ob->org;
    m.period = (char *)in->period;
    m.sequence = seq;
    m.created_at = iapt_now();
    m.record_count = in->n_records;
    m.records_root.data = root;
    m.records_root.len = 32;
    m.pseudo_key_id.data = (uint8_t *)in->pseudo_key_id;
    m.pseudo_key_id.len = IAPT_PSEUDO_KEY_ID_BYTES;
    char version[64];
    snprintf(version, sizeof version, "iapt-node %s", iapt_version());
    m.node_version = version;
    if (has_prev) {
        m.has_previous_submission = 1;
        m.previous_submission.data = prev;
        m.previous_submission.len = 32;
    }
    m.quality = (Iapt__QualitySummary *)in->quality;
    if (in->forced) {
        m.has_forced = 1;
        m.forced = 1;
        m.n_forced_checks = in->n_forced_checks;
        m.forced_checks = (char **)in->forced_checks;
    }
    if ((rc = iapt_manifest_sign(&m, signer->sign_secret, &signed_)) < 0)
        goto out_abort;
    iapt_submission_id(signed_.data, signed_.len, id);

    for (size_t i = 0; i < in->n_records; i++) {
        uint8_t key[16];
        s_be64(key, seq);
        s_be64(key + 8, i);
        MDB_val rk = {16, key}, rv = {in->record_len[i], (void *)in->record[i]};
        if ((rc = mdb_put(txn, ob->rec, &rk, &rv, MDB_APPEND)) == MDB_KEYEXIST)
            rc = mdb_put(txn, ob->rec, &rk, &rv, 0);
        if (rc) {
            rc = s_err(rc, "write record");
            goto out_abort;
        }
    }
    Iapt__OutboxEntry e = IAPT__OUTBOX_ENTRY__INIT;
    e.state = IAPT__OUTBOX_STATE__OUTBOX_PENDING;
    e.sequence = seq;
    e.signed_manifest.data = signed_.data;
    e.signed_manifest.len = signed_.len;
    e.submission_id.data = id;
    e.submission_id.len = 32;
    e.period = (char *)in->period;
    e.record_count = in->n_records;
    e.created_at = m.created_at;
    if ((rc = s_put_entry(ob, txn, &e)) < 0)
        goto out_abort;
    uint8_t next[8];
    s_be64(next, seq + 1);
    v.mv_size = 8;
    v.mv_data = next;
    lv.mv_size = 32;
    lv.mv_data = id;
    if ((rc = mdb_put(txn, ob->meta, &k, &v, 0)) != 0 ||
        (rc = mdb_put(txn, ob->meta, &lk, &lv, 0)) != 0) {
        rc = s_err(rc, "write meta");
        goto out_abort;
    }
    rc = mdb_txn_commit(txn);
    txn = NULL;
    if (rc) {
        rc = s_err(rc, "commit");
        goto out_abort;
    }
    *sequence = seq;
    iapt_buf_free(&signed_);
    return 0;

out_abort:
    if (txn)
        mdb_txn_abort(txn);
    iapt_buf_free(&signed_);
    return rc;
}

static int
s_get(iapt_outbox_t *ob, MDB_txn *txn, uint64_t sequence, Iapt__OutboxEntry **out)
{
    uint8_t key[8];
    s_be64(key, sequence);
    MDB_val k = {8, key}, v;
    int rc = mdb_get(txn, ob->entry, &k, &v);
    if (rc == MDB_NOTFOUND)
        return iapt_error_set(IAPT_ENOTFOUND, "no outbox entry %llu", (unsigned long long)sequence);
    if (rc)
        return s_err(rc, "read entry");
    *out = iapt__outbox_entry__unpack(NULL, v.mv_size, v.mv_data);
    return *out ? 0
                : iapt_error_set(IAPT_ELMDB, "outbox entry %llu does not decode",
                                 (unsigned long long)sequence);
}

int
iapt_outbox_get(iapt_outbox_t *ob, uint64_t sequence, Iapt__OutboxEntry **out)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(ob->env, NULL, MDB_RDONLY, &txn);
    if (rc)
        return s_err(rc, "begin");
    rc = s_get(ob, txn, sequence, out);
    mdb_txn_abort(txn);
    return rc;
}

int
iapt_outbox_list(iapt_outbox_t *ob, int state, uint64_t **seqs, size_t *n)
{
    MDB_txn *txn;
    MDB_cursor *c;
    MDB_val k, v;
    size_t cap = 16;
    int rc = mdb_txn_begin(ob->env, NULL, MDB_RDONLY, &txn);
    if (rc)
        return s_err(rc, "begin");
    if ((rc = mdb_cursor_open(txn, ob->entry, &c)) != 0) {
        mdb_txn_abort(txn);
        return s_err(rc, "cursor");
    }
    *n = 0;
    *seqs = malloc(cap * sizeof **seqs);
    if (!*seqs) {
        rc = IAPT_ENOMEM;
        goto out;
    }
    int r;
    for (r = mdb_cursor_get(c, &k, &v, MDB_FIRST); r == 0;
         r = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        Iapt__OutboxEntry *e = iapt__outbox_entry__unpack(NULL, v.mv_size, v.mv_data);
        if (!e) {
            rc = iapt_error_set(IAPT_ELMDB, "outbox entry does not decode");
            break;
        }
        int keep = state < 0 || (int)e->state == state;
        uint64_t seq = e->sequence;
        iapt__outbox_entry__free_unpacked(e, NULL);
        if (!keep)
            continue;
        if (*n == cap) {
            uint64_t *bigger = realloc(*seqs, 2 * cap * sizeof *bigger);
            if (!bigger) {
                rc = IAPT_ENOMEM;
                break;
            }
            *seqs = bigger;
            cap *= 2;
        }
        (*seqs)[(*n)++] = seq;
    }
    if (rc == 0 && r != MDB_NOTFOUND)
        rc = s_err(r, "list");
out:
    mdb_cursor_close(c);
    mdb_txn_abort(txn);
    if (rc < 0) {
        free(*seqs);
        *seqs = NULL;
    }
    return rc;
}

int
iapt_outbox_chunk(iapt_outbox_t *ob, uint64_t sequence, const uint8_t id[32], uint64_t start,
                  size_t max_bytes, iapt_buf_t *out, size_t *count)
{
    MDB_txn *txn;
    MDB_cursor *c;
    int rc = mdb_txn_begin(ob->env, NULL, MDB_RDONLY, &txn);
    if (rc)
        return s_err(rc, "begin");
    if ((rc = mdb_cursor_open(txn, ob->rec, &c)) != 0) {
        mdb_txn_abort(txn);
        return s_err(rc, "cursor");
    }
    size_t cap = 256, n = 0, bytes = 64;
    ProtobufCBinaryData *recs = malloc(cap * sizeof *recs);
    uint8_t key[16];
    s_be64(key, sequence);
    s_be64(key + 8, start);
    MDB_val k = {16, key}, v;
    int r;
    rc = recs ? 0 : IAPT_ENOMEM;
    for (r = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0 && r == 0;
         r = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 16 || s_rd64(k.mv_data) != sequence)
            break;
        /* Envelope overhead per record: tag and length, at most 11 bytes. */
        if (n > 0 && bytes + v.mv_size + 11 > max_bytes)
            break;
        if (n == cap) {
            ProtobufCBinaryData *bigger = realloc(recs, 2 * cap * sizeof *bigger);
            if (!bigger) {
                rc = IAPT_ENOMEM;
                break;
            }
            recs = bigger;
            cap *= 2;
        }
        recs[n].data = v.mv_data;
        recs[n].len = v.mv_size;
        bytes += v.mv_size + 11;
        n++;
    }
    if (rc == 0 && r && r != MDB_NOTFOUND)
        rc = s_err(r, "read records");
    if (rc == 0) {
        Iapt__Chunk ch = IAPT__CHUNK__INIT;
        ch.submission_id.data = (uint8_t *)id;
        ch.submission_id.len = 32;
        ch.first_index = start;
        ch.n_records = n;
        ch.records = recs;
        Iapt__Envelope env = IAPT__ENVELOPE__INIT;
        env.body_case = IAPT__ENVELOPE__BODY_CHUNK;
        env.chunk = &ch;
        rc = iapt_wire_pack(&env, out);
        *count = n;
    }
    free(recs);
    mdb_cursor_close(c);
    mdb_txn_abort(txn);
    return rc;
}

/* Read-modify-write of one entry. */
static int
s_update(iapt_outbox_t *ob, uint64_t sequence, void (*fn)(Iapt__OutboxEntry *e, const void *arg),
         const void *arg)
{
    MDB_txn *txn;
    Iapt__OutboxEntry *e = NULL;
    int rc = mdb_txn_begin(ob->env, NULL, 0, &txn);
    if (rc)
        return s_err(rc, "begin");
    if ((rc = s_get(ob, txn, sequence, &e)) < 0) {
        mdb_txn_abort(txn);
        return rc;
    }
    /* fn may point fields at caller memory; pack before freeing. */
    Iapt__OutboxEntry copy = *e;
    fn(&copy, arg);
    rc = s_put_entry(ob, txn, &copy);
    iapt__outbox_entry__free_unpacked(e, NULL);
    if (rc < 0) {
        mdb_txn_abort(txn);
        return rc;
    }
    rc = mdb_txn_commit(txn);
    return rc ? s_err(rc, "commit") : 0;
}

typedef struct {
    const uint8_t *receipt;
    size_t len;
    uint64_t log_index;
} s_delivered_t;

static void
s_set_delivered(Iapt__OutboxEntry *e, const void *arg)
{
    const s_delivered_t *d = arg;
    e->state = IAPT__OUTBOX_STATE__OUTBOX_DELIVERED;
    e->has_signed_receipt = 1;
    e->signed_receipt.data = (uint8_t *)d->receipt;
    e->signed_receipt.len = d->len;
    e->has_delivered_at = 1;
    e->delivered_at = iapt_now();
    e->has_log_index = 1;
    e->log_index = d->log_index;
    e->refusal = NULL;
    e->has_refuse_code = 0;
}

int
iapt_outbox_delivered(iapt_outbox_t *ob, uint64_t sequence, const uint8_t *signed_receipt,
                      size_t len, uint64_t log_index)
{
    s_delivered_t d = {signed_receipt, len, log_index};
    return s_update(ob, sequence, s_set_delivered, &d);
}

typedef struct {
    int code;
    const char *reason;
} s_refused_t;

static void
s_set_refused(Iapt__OutboxEntry *e, const void *arg)
{
    const s_refused_t *r = arg;
    e->state = IAPT__OUTBOX_STATE__OUTBOX_REFUSED;
    e->refusal = (char *)r->reason;
    e->has_refuse_code = 1;
    e->refuse_code = r->code;
}

int
iapt_outbox_refused(iapt_outbox_t *ob, uint64_t sequence, int code, const char *reason)
{
    s_refused_t r = {code, reason};
    return s_update(ob, sequence, s_set_refused, &r);
}

static void
s_count_attempt(Iapt__OutboxEntry *e, const void *arg)
{
    (void)arg;
    e->has_attempts = 1;
    e->attempts++;
}

int
iapt_outbox_attempt(iapt_outbox_t *ob, uint64_t sequence)
{
    return s_update(ob, sequence, s_count_attempt, NULL);
}

int
iapt_outbox_resync(iapt_outbox_t *ob, uint64_t hub_last, uint64_t *before, uint64_t *after)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(ob->env, NULL, 0, &txn);
    if (rc)
        return s_err(rc, "begin");
    uint64_t next = 1;
    MDB_val k = {8, "next-seq"}, v;
    if ((rc = mdb_get(txn, ob->meta, &k, &v)) == 0 && v.mv_size == 8)
        next = s_rd64(v.mv_data);
    else if (rc && rc != MDB_NOTFOUND)
        goto out_abort;
    *before = *after = next;
    if (next > hub_last) {
        mdb_txn_abort(txn);
        return 0;
    }
    if (hub_last == UINT64_MAX) {
        mdb_txn_abort(txn);
        return iapt_error_set(IAPT_EUSAGE, "sequence %llu leaves no next number",
                              (unsigned long long)hub_last);
    }
    uint8_t buf[8];
    s_be64(buf, hub_last + 1);
    v.mv_size = 8;
    v.mv_data = buf;
    if ((rc = mdb_put(txn, ob->meta, &k, &v, 0)) != 0)
        goto out_abort;
    rc = mdb_txn_commit(txn);
    if (rc)
        return s_err(rc, "commit");
    *after = hub_last + 1;
    iapt_log_info("outbox: next sequence set to %llu (was %llu)", (unsigned long long)*after,
                  (unsigned long long)next);
    return 0;

out_abort:
    mdb_txn_abort(txn);
    return s_err(rc, "resync");
}
