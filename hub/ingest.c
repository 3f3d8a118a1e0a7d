/* ingest.c - open / chunk / close and acceptance of submissions. */
#include "common/providers.h"
#include "common/collection.h"
#include "hub/ingest.h"
#include "common/checkpoint.h"
#include "common/date.h"
#include "common/err.h"
#include "common/log.h"
#include "common/measures.h"
#include "common/merkle.h"
#include "common/sign.h"
#include "common/wire.h"
#include "hub/translog.h"
#include "proto/adult.pb-c.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define S_ACTIVE_MAX 1024

/* A transfer seen recently: only to enforce the per-provider concurrency
 * limit. The truth about transfers is in the store. */
typedef struct {
    uint8_t id[32];
    char org[IAPT_ORG_MAX];
    int64_t seen_ms;
} s_active_t;

struct iapt_ingest {
    iapt_store_t *st;
    const iapt_identity_t *hub;
    const char *name;
    iapt_ingest_tables_t tables;
    iapt_ingest_limits_t lim;
    s_active_t active[S_ACTIVE_MAX];
    int n_active;
};

void
iapt_ingest_limits_default(iapt_ingest_limits_t *lim)
{
    lim->max_message = 4u << 20;
    lim->max_manifest = 1u << 20;
    lim->max_record = 1u << 20;
    lim->max_records = 20000000;
    lim->max_transfers = 2;
    lim->window = 8;
    lim->transfer_idle_ms = 120000;
    lim->deadline_day = 20;
}

int
iapt_ingest_new(iapt_store_t *st, const iapt_identity_t *hub, const char *name,
                const iapt_ingest_tables_t *tables, const iapt_ingest_limits_t *limits,
                iapt_ingest_t **out)
{
    if (!hub->sign_secret)
        return iapt_error_set(IAPT_EUSAGE, "hub identity has no signing key");
    iapt_ingest_t *ing = calloc(1, sizeof *ing);
    if (!ing)
        return IAPT_ENOMEM;
    ing->st = st;
    ing->hub = hub;
    ing->name = name;
    ing->tables = *tables;
    ing->lim = *limits;
    *out = ing;
    return 0;
}

void
iapt_ingest_destroy(iapt_ingest_t **ing_p)
{
    free(*ing_p);
    *ing_p = NULL;
}

/* ---- replies ------------------------------------------------------------ */

int
iapt_ingest_refuse(iapt_buf_t *reply, const uint8_t *submission_id, Iapt__RefuseCode code,
                   int permanent, const char *fmt, ...)
{
    char reason[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);

    Iapt__Refuse r = IAPT__REFUSE__INIT;
    if (submission_id) {
        r.has_submission_id = 1;
        r.submission_id.data = (uint8_t *)submission_id;
        r.submission_id.len = IAPT_SUBMISSION_ID_BYTES;
    }
    r.code = code;
    r.reason = reason;
    r.has_permanent = 1;
    r.permanent = permanent;
    Iapt__Envelope env = IAPT__ENVELOPE__INIT;
    env.body_case = IAPT__ENVELOPE__BODY_REFUSE;
    env.refuse = &r;
    return iapt_wire_pack(&env, reply);
}

/* The registry index of a stored submission's collection (absent: 0, the
 * adult collection). */
static unsigned
s_coll(const Iapt__StoredSubmission *s)
{
    return s->has_collection ? s->collection : 0;
}

/* Its hub half; the adult one for an index no longer registered (refused
 * at open, so not reached for stored submissions). */
static const iapt_measure_schema_t *
s_schema(const Iapt__StoredSubmission *s)
{
    const iapt_collection_t *c = iapt_collection_at(s_coll(s));
    return c && c->hub ? c->hub : iapt_collection_default()->hub;
}

static int
s_reply_credit(iapt_buf_t *reply, const uint8_t *id, uint64_t next, uint32_t credit)
{
    Iapt__Credit c = IAPT__CREDIT__INIT;
    c.submission_id.data = (uint8_t *)id;
    c.submission_id.len = IAPT_SUBMISSION_ID_BYTES;
    c.next_index = next;
    c.credit = credit;
    Iapt__Envelope env = IAPT__ENVELOPE__INIT;
    env.body_case = IAPT__ENVELOPE__BODY_CREDIT;
    env.credit = &c;
    return iapt_wire_pack(&env, reply);
}

/* ---- store helpers -------------------------------------------------------- */

void
iapt_ingest_current_key(uint32_t period_key, const char *org, uint8_t key[20])
{
    memset(key, 0, 20);
    iapt_be32(key, period_key);
    memcpy(key + 4, org, strnlen(org, 15));
}

int
iapt_ingest_load(iapt_store_t *st, MDB_txn *txn, const uint8_t id[32], Iapt__StoredSubmission **out)
{
    MDB_val k = {32, (void *)id}, v;
    int rc = mdb_get(txn, st->sub, &k, &v);
    if (rc == MDB_NOTFOUND)
        return IAPT_ENOTFOUND;
    if (rc)
        return iapt_store_err(rc, "read submission");
    Iapt__StoredSubmission *s = iapt__stored_submission__unpack(NULL, v.mv_size, v.mv_data);
    if (!s)
        return iapt_error_set(IAPT_ELMDB, "stored submission does not decode");
    *out = s;
    return 0;
}

static int
s_save(iapt_store_t *st, MDB_txn *txn, const uint8_t id[32], const Iapt__StoredSubmission *s)
{
    size_t n = iapt__stored_submission__get_packed_size(s);
    MDB_val k = {32, (void *)id}, v = {n, NULL};
    int rc = mdb_put(txn, st->sub, &k, &v, MDB_RESERVE);
    if (rc)
        return iapt_store_err(rc, "write submission");
    iapt__stored_submission__pack(s, v.mv_data);
    return 0;
}

int
iapt_ingest_current(iapt_store_t *st, MDB_txn *txn, unsigned collection, const char *period,
                    const char *org, uint8_t id[32])
{
    iapt_period_t p;
    if (iapt_period_parse(period, &p) < 0)
        return IAPT_ENOTFOUND;
    uint8_t key[20];
    iapt_ingest_current_key(iapt_store_period_key(collection, &p), org, key);
    MDB_val k = {sizeof key, key}, v;
    int rc = mdb_get(txn, st->current, &k, &v);
    if (rc == MDB_NOTFOUND)
        return IAPT_ENOTFOUND;
    if (rc || v.mv_size != 32)
        return rc ? iapt_store_err(rc, "read current") : iapt_error_set(IAPT_ELMDB, "bad current");
    memcpy(id, v.mv_data, 32);
    return 0;
}

int
iapt_ingest_hold_check(uint64_t new_count, uint64_t current_count, bool forced)
{
    if (forced)
        return 0;
    /* Under half: 2n < c, without overflow for any count. */
    return new_count == 0 || new_count < current_count / 2 + current_count % 2;
}

int
iapt_ingest_pending(iapt_store_t *st, MDB_txn *txn, uint32_t period_key, const char *org,
                    uint8_t id[32])
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, st->sub_period, &c);
    if (rc)
        return iapt_store_err(rc, "cursor");
    uint8_t prefix[20];
    iapt_ingest_current_key(period_key, org, prefix);
    MDB_val k = {sizeof prefix, prefix}, v;
    int found = 0, r;
    rc = 0;
    /* Newest last: the held one, if any, is the last held of the prefix. */
    for (r = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); r == 0;
         r = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 28 || memcmp(k.mv_data, prefix, 20) != 0)
            break;
        if (v.mv_size != 32)
            continue;
        Iapt__StoredSubmission *s = NULL;
        if ((rc = iapt_ingest_load(st, txn, v.mv_data, &s)) < 0)
            break;
        if (s->state == IAPT__SUBMISSION_STATE__SUBMISSION_PENDING_REVIEW) {
            memcpy(id, v.mv_data, 32);
            found = 1;
        }
        iapt__stored_submission__free_unpacked(s, NULL);
    }
    mdb_cursor_close(c);
    if (rc < 0)
        return rc;
    if (r && r != MDB_NOTFOUND)
        return iapt_store_err(r, "read submissions");
    return found ? 0 : IAPT_ENOTFOUND;
}

/* Mark submission `id` superseded by `by`. */
static int
s_mark_superseded(iapt_store_t *st, MDB_txn *txn, const uint8_t id[32], const uint8_t by[32])
{
    Iapt__StoredSubmission *s = NULL;
    int rc = iapt_ingest_load(st, txn, id, &s);
    if (rc < 0)
        return rc;
    ProtobufCBinaryData keep = s->superseded_by;
    protobuf_c_boolean had = s->has_superseded_by;
    s->state = IAPT__SUBMISSION_STATE__SUBMISSION_SUPERSEDED;
    s->has_superseded_by = 1;
    s->superseded_by.data = (uint8_t *)by;
    s->superseded_by.len = 32;
    rc = s_save(st, txn, id, s);
    s->superseded_by = keep;
    s->has_superseded_by = had;
    iapt__stored_submission__free_unpacked(s, NULL);
    return rc;
}

static int
s_prov_seq(iapt_store_t *st, MDB_txn *txn, unsigned collection, const char *org, uint64_t *seq)
{
    uint8_t key[IAPT_STORE_PROV_SEQ_KEY_MAX];
    MDB_val k = {iapt_store_prov_seq_key(collection, org, key), key}, v;
    int rc = mdb_get(txn, st->prov_seq, &k, &v);
    *seq = 0;
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc || v.mv_size != 8)
        return rc ? iapt_store_err(rc, "read provider sequence")
                  : iapt_error_set(IAPT_ELMDB, "bad provider sequence");
    *seq = iapt_rd_be64(v.mv_data);
    return 0;
}

static int
s_period_locked(iapt_store_t *st, MDB_txn *txn, unsigned collection, const iapt_period_t *p,
                Iapt__PeriodLock **lock)
{
    uint8_t key[4];
    iapt_be32(key, iapt_store_period_key(collection, p));
    MDB_val k = {4, key}, v;
    int rc = mdb_get(txn, st->lock, &k, &v);
    *lock = NULL;
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return iapt_store_err(rc, "read lock");
    *lock = iapt__period_lock__unpack(NULL, v.mv_size, v.mv_data);
    return *lock ? 1 : iapt_error_set(IAPT_ELMDB, "bad lock record");
}

static int
s_next_internal_seq(iapt_store_t *st, MDB_txn *txn, uint64_t *seq)
{
    MDB_val k = {8, "next-seq"}, v;
    int rc = mdb_get(txn, st->meta, &k, &v);
    uint64_t next = 1;
    if (rc == 0 && v.mv_size == 8)
        next = iapt_rd_be64(v.mv_data);
    else if (rc != MDB_NOTFOUND)
        return iapt_store_err(rc, "read next-seq");
    uint8_t buf[8];
    iapt_be64(buf, next + 1);
    v.mv_size = 8;
    v.mv_data = buf;
    if ((rc = mdb_put(txn, st->meta, &k, &v, 0)) != 0)
        return iapt_store_err(rc, "write next-seq");
    *seq = next;
    return 0;
}

/* Delete every record of a transfer, and optionally its submission rows. */
static int
s_discard(iapt_store_t *st, MDB_txn *txn, const uint8_t id[32], uint64_t internal_seq, int forget)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, st->rec, &c);
    if (rc)
        return iapt_store_err(rc, "cursor");
    uint8_t prefix[16] = {0};
    iapt_be64(prefix, internal_seq);
    MDB_val k = {16, prefix}, v;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 16 || memcmp(k.mv_data, prefix, 8) != 0)
            break;
        if ((rc = mdb_cursor_del(c, 0)) != 0)
            break;
    }
    mdb_cursor_close(c);
    if (rc && rc != MDB_NOTFOUND)
        return iapt_store_err(rc, "discard records");
    if (forget) {
        Iapt__StoredSubmission *s = NULL;
        if ((rc = iapt_ingest_load(st, txn, id, &s)) == 0) {
            iapt_period_t p;
            uint8_t pkey[28];
            if (iapt_period_parse(s->period, &p) == 0) {
                iapt_ingest_current_key(iapt_store_period_key(s_coll(s), &p), s->org_code, pkey);
                memcpy(pkey + 20, prefix, 8);
                MDB_val pk = {sizeof pkey, pkey};
                rc = mdb_del(txn, st->sub_period, &pk, NULL);
            }
            iapt__stored_submission__free_unpacked(s, NULL);
            if (rc && rc != MDB_NOTFOUND)
                return iapt_store_err(rc, "discard submission");
        } else if (rc != IAPT_ENOTFOUND) {
            return rc;
        }
        MDB_val ik = {32, (void *)id}, sk = {8, prefix};
        if ((rc = mdb_del(txn, st->sub, &ik, NULL)) && rc != MDB_NOTFOUND)
            return iapt_store_err(rc, "discard submission");
        if ((rc = mdb_del(txn, st->sub_seq, &sk, NULL)) && rc != MDB_NOTFOUND)
            return iapt_store_err(rc, "discard submission");
    }
    return 0;
}

int
iapt_ingest_expire(iapt_store_t *st, MDB_txn *txn, int64_t older_than, size_t *expired)
{
    MDB_cursor *c;
    MDB_val k, v;
    uint8_t(*ids)[32] = NULL;
    uint64_t *seqs = NULL;
    size_t n = 0, cap = 0;
    int rc = mdb_cursor_open(txn, st->sub, &c), r;

    *expired = 0;
    if (rc)
        return iapt_store_err(rc, "cursor");
    /* Collect first: deleting while walking the same database would move
     * the cursor under us. */
    for (r = mdb_cursor_get(c, &k, &v, MDB_FIRST); r == 0;
         r = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        Iapt__StoredSubmission *s = iapt__stored_submission__unpack(NULL, v.mv_size, v.mv_data);
        if (!s || k.mv_size != 32)
            continue;
        int stale =
            s->state == IAPT__SUBMISSION_STATE__SUBMISSION_RECEIVING && s->opened_at < older_than;
        uint64_t seq = s->internal_seq;
        iapt__stored_submission__free_unpacked(s, NULL);
        if (!stale)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            void *a = realloc(ids, cap * sizeof *ids),
                 *b = a ? realloc(seqs, cap * sizeof *seqs) : NULL;
            if (a)
                ids = a;
            if (!a || !b) {
                rc = IAPT_ENOMEM;
                break;
            }
            seqs = b;
        }
        memcpy(ids[n], k.mv_data, 32);
        seqs[n++] = seq;
    }
    mdb_cursor_close(c);
    if (rc == 0 && r != MDB_NOTFOUND)
        rc = iapt_store_err(r, "read submissions");
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = s_discard(st, txn, ids[i], seqs[i], 1);
    if (rc == 0)
        *expired = n;
    free(ids);
    free(seqs);
    return rc;
}

/* ---- concurrency bookkeeping ------------------------------------------------ */

static void
s_touch(iapt_ingest_t *ing, const uint8_t id[32], const char *org)
{
    int64_t now = iapt_clock_ms();
    for (int i = 0; i < ing->n_active; i++)
        if (memcmp(ing->active[i].id, id, 32) == 0) {
            ing->active[i].seen_ms = now;
            return;
        }
    /* Reuse an expired slot, else append (drop the oldest when full). */
    int slot = -1;
    for (int i = 0; i < ing->n_active && slot < 0; i++)
        if (now - ing->active[i].seen_ms > ing->lim.transfer_idle_ms)
            slot = i;
    if (slot < 0)
        slot = ing->n_active < S_ACTIVE_MAX ? ing->n_active++ : 0;
    memcpy(ing->active[slot].id, id, 32);
    iapt_strlcpy(ing->active[slot].org, org, sizeof ing->active[slot].org);
    ing->active[slot].seen_ms = now;
}

static void
s_forget(iapt_ingest_t *ing, const uint8_t id[32])
{
    for (int i = 0; i < ing->n_active; i++)
        if (memcmp(ing->active[i].id, id, 32) == 0)
            ing->active[i] = ing->active[--ing->n_active];
}

/* True when transfer `id` is counted as active (seen within the idle time). */
static int
s_is_active(const iapt_ingest_t *ing, const uint8_t id[32])
{
    int64_t now = iapt_clock_ms();
    for (int i = 0; i < ing->n_active; i++)
        if (memcmp(ing->active[i].id, id, 32) == 0)
            return now - ing->active[i].seen_ms <= ing->lim.transfer_idle_ms;
    return 0;
}

/* Transfers of `org` active within the idle time that the store, as `txn`
 * sees it, holds open. The table is touched inside transactions that may
 * yet abort (a batch retried on a larger map): an entry whose Open was
 * rolled back, or whose transfer has ended, is not a transfer. Returns the
 * count or a negative store error. */
static int
s_active_count(const iapt_ingest_t *ing, MDB_txn *txn, const char *org)
{
    int64_t now = iapt_clock_ms();
    int n = 0;
    for (int i = 0; i < ing->n_active; i++) {
        const s_active_t *a = &ing->active[i];
        if (strcmp(a->org, org) != 0 || now - a->seen_ms > ing->lim.transfer_idle_ms)
            continue;
        Iapt__StoredSubmission *s = NULL;
        int rc = iapt_ingest_load(ing->st, txn, a->id, &s);
        if (rc == IAPT_ENOTFOUND)
            continue;
        if (rc < 0)
            return rc;
        n += s->state == IAPT__SUBMISSION_STATE__SUBMISSION_RECEIVING;
        iapt__stored_submission__free_unpacked(s, NULL);
    }
    return n;
}

/* ---- Open ---------------------------------------------------------------------- */

static int
s_accept(iapt_ingest_t *ing, iapt_buf_t *reply, const uint8_t id[32], uint64_t next)
{
    Iapt__Accept a = IAPT__ACCEPT__INIT;
    a.submission_id.data = (uint8_t *)id;
    a.submission_id.len = 32;
    a.next_index = next;
    a.credit = ing->lim.window;
    a.max_chunk_bytes = (uint32_t)ing->lim.max_message;
    Iapt__Envelope env = IAPT__ENVELOPE__INIT;
    env.body_case = IAPT__ENVELOPE__BODY_ACCEPT;
    env.accept = &a;
    return iapt_wire_pack(&env, reply);
}

static int
s_already_have(iapt_buf_t *reply, const uint8_t id[32], const Iapt__StoredSubmission *s)
{
    Iapt__SignedReceipt *sr =
        iapt__signed_receipt__unpack(NULL, s->signed_receipt.len, s->signed_receipt.data);
    if (!sr)
        return iapt_error_set(IAPT_ELMDB, "stored receipt does not decode");
    Iapt__AlreadyHave ah = IAPT__ALREADY_HAVE__INIT;
    ah.submission_id.data = (uint8_t *)id;
    ah.submission_id.len = 32;
    ah.receipt = sr;
    Iapt__Envelope env = IAPT__ENVELOPE__INIT;
    env.body_case = IAPT__ENVELOPE__BODY_ALREADY_HAVE;
    env.already_have = &ah;
    int rc = iapt_wire_pack(&env, reply);
    iapt__signed_receipt__free_unpacked(sr, NULL);
    return rc;
}

static int
s_open(iapt_ingest_t *ing, MDB_txn *txn, const iapt_registry_entry_t *peer, const Iapt__Open *o,
       iapt_buf_t *reply)
{
    int rc;
    Iapt__Manifest *m = NULL;
    Iapt__StoredSubmission *s = NULL;
    Iapt__PeriodLock *lock = NULL;
    uint8_t id[32];
    const uint8_t *sb = o->signed_manifest.data;
    size_t slen = o->signed_manifest.len;

    /* Verify before parse: the signature over the exact bytes received, with
     * the key of the registry row this connection authenticated as. */
    rc = iapt_manifest_open(sb, slen, ing->lim.max_manifest, peer->sign_public, &m);
    if (rc == IAPT_ECRYPTO)
        return iapt_ingest_refuse(reply, NULL, IAPT__REFUSE_CODE__REFUSE_BAD_SIGNATURE, 1,
                                  "manifest signature does not verify with %s's registered key",
                                  peer->org);
    if (rc == IAPT_ELIMIT)
        return iapt_ingest_refuse(reply, NULL, IAPT__REFUSE_CODE__REFUSE_TOO_LARGE, 1, "%s",
                                  iapt_error_detail());
    if (rc == IAPT_EVERSION)
        return iapt_ingest_refuse(reply, NULL, IAPT__REFUSE_CODE__REFUSE_VERSION, 1,
                                  "%s: upgrade iapt-node", iapt_error_detail());
    if (rc < 0)
        return iapt_ingest_refuse(reply, NULL, IAPT__REFUSE_CODE__REFUSE_MALFORMED, 1, "%s",
                                  iapt_error_detail());
    iapt_submission_id(sb, slen, id);

    /* A submission already held is answered from the store: exactly once. */
    rc = iapt_ingest_load(ing->st, txn, id, &s);
    if (rc == 0) {
        if (strcmp(s->org_code, peer->org) != 0)
            rc = iapt_ingest_refuse(reply, id, IAPT__REFUSE_CODE__REFUSE_WRONG_ORG, 1,
                                    "submission belongs to another organisation");
        else if (s->state == IAPT__SUBMISSION_STATE__SUBMISSION_RECEIVING) {
            /* A resumed transfer is a transfer: unless it is one of those
             * already counted (the same node reconnecting), it must fit
             * under max-transfers like a new one. */
            if (!s_is_active(ing, id)) {
                if ((rc = s_active_count(ing, txn, peer->org)) < 0)
                    goto out_free;
                if (rc >= ing->lim.max_transfers) {
                    rc = iapt_ingest_refuse(reply, id, IAPT__REFUSE_CODE__REFUSE_BUSY, 0,
                                            "%d transfers from %s are already open; resume "
                                            "this one when one finishes",
                                            ing->lim.max_transfers, peer->org);
                    goto out_free;
                }
            }
            s_touch(ing, id, peer->org);
            rc = s_accept(ing, reply, id, s->next_index);
        } else
            rc = s_already_have(reply, id, s);
        goto out_free;
    }
    if (rc != IAPT_ENOTFOUND)
        goto out_free;

    /* The manifest's collection is a registered one (iapt_manifest_open);
     * the hub takes it only when it has the collection's hub half. */
    const iapt_collection_t *col = iapt_collection_find(m->collection);
    if (!col || !col->hub) {
        rc = iapt_ingest_refuse(reply, id, IAPT__REFUSE_CODE__REFUSE_MALFORMED, 1,
                                "collection '%s' is not one this hub takes (%s)", m->collection,
                                iapt_collection_names());
        goto out_free;
    }
    unsigned coll = col->index;
    if (col->hub->config.load &&
        (coll >= IAPT_INGEST_COLLECTIONS_MAX || !ing->tables.config[coll])) {
        rc = iapt_ingest_refuse(reply, id, IAPT__REFUSE_CODE__REFUSE_INTERNAL, 0,
                                "this hub has no %s table loaded ('%s' in hub.conf): it cannot "
                                "take %s submissions until one is",
                                col->name, col->hub->config.key, col->name);
        goto out_free;
    }
    if (strcmp(m->org_code, peer->org) != 0) {
        rc = iapt_ingest_refuse(reply, id, IAPT__REFUSE_CODE__REFUSE_WRONG_ORG, 1,
                                "manifest is for organisation %s but this connection is %s",
                                m->org_code, peer->org);
        goto out_free;
    }
    iapt_period_t p;
    iapt_period_parse(m->period, &p); /* syntax checked by iapt_manifest_open */
    int32_t today = (int32_t)(iapt_now() / 86400);
    if (p.start > today) {
        rc = iapt_ingest_refuse(reply, id, IAPT__REFUSE_CODE__REFUSE_INVALID, 1,
                                "period %s has not started yet", m->period);
        goto out_free;
    }
    if (m->record_count > ing->lim.max_records) {
        rc = iapt_ingest_refuse(reply, id, IAPT__REFUSE_CODE__REFUSE_TOO_LARGE, 1,
                                "%llu records; the limit is %llu per submission",
                                (unsigned long long)m->record_count,
                                (unsigned long long)ing->lim.max_records);
        goto out_free;
    }
    if ((rc = s_period_locked(ing->st, txn, coll, &p, &lock)) < 0)
        goto out_free;
    if (rc == 1) {
        char when[21];
        iapt_time_format(lock->at, when);
        rc = iapt_ingest_refuse(reply, id, IAPT__REFUSE_CODE__REFUSE_PERIOD_LOCKED, 1,
                                "period %s was closed at %s by %s; contact the central team "
                                "to reopen it",
                                m->period, when, lock->by);
        goto out_free;
    }
    uint64_t last;
    if ((rc = s_prov_seq(ing->st, txn, coll, m->org_code, &last)) < 0)
        goto out_free;
    if (m->sequence <= last) {
        rc = iapt_ingest_refuse(reply, id, IAPT__REFUSE_CODE__REFUSE_STALE, 1,
                                "sequence number %llu is not above %llu, the latest accepted "
                                "from %s",
                                (unsigned long long)m->sequence, (unsigned long long)last,
                                m->org_code);
        goto out_free;
    }
    if ((rc = s_active_count(ing, txn, m->org_code)) < 0)
        goto out_free;
    if (rc >= ing->lim.max_transfers) {
        rc = iapt_ingest_refuse(reply, id, IAPT__REFUSE_CODE__REFUSE_BUSY, 0,
                                "%d transfers from %s are already open; try again when one "
                                "finishes",
                                ing->lim.max_transfers, m->org_code);
        goto out_free;
    }

    Iapt__StoredSubmission ns = IAPT__STORED_SUBMISSION__INIT;
    iapt_merkle_builder_t stream;
    uint8_t state[IAPT_MERKLE_STATE_MAX];
    iapt_merkle_builder_init(&stream);
    size_t state_len = iapt_merkle_builder_state_encode(&stream, state);
    ns.state = IAPT__SUBMISSION_STATE__SUBMISSION_RECEIVING;
    if ((rc = s_next_internal_seq(ing->st, txn, &ns.internal_seq)) < 0)
        goto out_free;
    ns.signed_manifest.data = (uint8_t *)sb;
    ns.signed_manifest.len = slen;
    ns.org_code = m->org_code;
    ns.period = m->period;
    ns.sequence = m->sequence;
    if (coll) { /* adult submissions keep their bytes (store.proto) */
        ns.has_collection = 1;
        ns.collection = coll;
    }
    ns.record_count = m->record_count;
    ns.next_index = 0;
    ns.merkle_state.data = state;
    ns.merkle_state.len = state_len;
    ns.opened_at = iapt_now();
    rc = s_save(ing->st, txn, id, &ns);
    if (rc < 0)
        goto out_free;
    uint8_t seqkey[8];
    iapt_be64(seqkey, ns.internal_seq);
    MDB_val k = {8, seqkey}, v = {32, id};
    if ((rc = mdb_put(txn, ing->st->sub_seq, &k, &v, 0)) != 0) {
        rc = iapt_store_err(rc, "write sub_seq");
        goto out_free;
    }
    uint8_t pkey[28];
    iapt_ingest_current_key(iapt_store_period_key(coll, &p), m->org_code, pkey);
    memcpy(pkey + 20, seqkey, 8);
    MDB_val pk = {sizeof pkey, pkey};
    if ((rc = mdb_put(txn, ing->st->sub_period, &pk, &v, 0)) != 0) {
        rc = iapt_store_err(rc, "write sub_period");
        goto out_free;
    }
    s_touch(ing, id, m->org_code);
    char sid[13];
    iapt_id_short(id, 32, sid);
    iapt_log_info("%s opened submission %s for %s (sequence %llu, %llu records)", m->org_code, sid,
                  m->period, (unsigned long long)m->sequence, (unsigned long long)m->record_count);
    rc = s_accept(ing, reply, id, 0);

out_free:
    if (lock)
        iapt__period_lock__free_unpacked(lock, NULL);
    if (s)
        iapt__stored_submission__free_unpacked(s, NULL);
    if (m)
        iapt__manifest__free_unpacked(m, NULL);
    return rc;
}

/* ---- Chunk --------------------------------------------------------------------------- */

static int
s_put_record(iapt_store_t *st, MDB_txn *txn, uint64_t internal_seq, uint64_t index,
             const ProtobufCBinaryData *rec)
{
    uint8_t key[16];
    iapt_be64(key, internal_seq);
    iapt_be64(key + 8, index);
    MDB_val k = {16, key}, v = {rec->len, rec->data};
    /* Usually the newest transfer: then the key is past every other and
     * MDB_APPEND skips the search; else an ordinary put. */
    int rc = mdb_put(txn, st->rec, &k, &v, MDB_APPEND);
    if (rc == MDB_KEYEXIST)
        rc = mdb_put(txn, st->rec, &k, &v, 0);
    return rc ? iapt_store_err(rc, "write record") : 0;
}

/* The submission a Chunk or Close names, if it is the peer's: 0 with *s
 * loaded, 1 when a refusal was written to reply instead (*s NULL), or a
 * store error. `what` names the message in the refusal. */
static int
s_load_own(iapt_ingest_t *ing, MDB_txn *txn, const iapt_registry_entry_t *peer,
           const ProtobufCBinaryData *sid, const char *what, iapt_buf_t *reply,
           Iapt__StoredSubmission **s)
{
    *s = NULL;
    if (sid->len != 32) {
        int rc = iapt_ingest_refuse(reply, NULL, IAPT__REFUSE_CODE__REFUSE_MALFORMED, 1,
                                    "%s with a submission id of %zu bytes", what, sid->len);
        return rc < 0 ? rc : 1;
    }
    int rc = iapt_ingest_load(ing->st, txn, sid->data, s);
    if (rc == IAPT_ENOTFOUND) {
        rc = iapt_ingest_refuse(reply, sid->data, IAPT__REFUSE_CODE__REFUSE_PROTOCOL, 0,
                                "unknown submission: send Open first");
        return rc < 0 ? rc : 1;
    }
    if (rc < 0)
        return rc;
    if (strcmp((*s)->org_code, peer->org) != 0) {
        iapt__stored_submission__free_unpacked(*s, NULL);
        *s = NULL;
        rc = iapt_ingest_refuse(reply, sid->data, IAPT__REFUSE_CODE__REFUSE_WRONG_ORG, 1,
                                "submission belongs to another organisation");
        return rc < 0 ? rc : 1;
    }
    return 0;
}

static int
s_chunk(iapt_ingest_t *ing, MDB_txn *txn, const iapt_registry_entry_t *peer, const Iapt__Chunk *c,
        iapt_buf_t *reply)
{
    int rc;
    Iapt__StoredSubmission *s = NULL;
    uint8_t state[IAPT_MERKLE_STATE_MAX];
    const uint8_t *id = c->submission_id.data;

    if ((rc = s_load_own(ing, txn, peer, &c->submission_id, "chunk", reply, &s)) != 0)
        return rc < 0 ? rc : 0;
    if (s->state != IAPT__SUBMISSION_STATE__SUBMISSION_RECEIVING) {
        rc = iapt_ingest_refuse(reply, id, IAPT__REFUSE_CODE__REFUSE_PROTOCOL, 0,
                                "submission is already closed: send Open for its receipt");
        goto out_free;
    }
    if (c->first_index > s->next_index) {
        rc = iapt_ingest_refuse(reply, id, IAPT__REFUSE_CODE__REFUSE_PROTOCOL, 0,
                                "chunk starts at record %llu; expected %llu",
                                (unsigned long long)c->first_index,
                                (unsigned long long)s->next_index);
        goto out_free;
    }
    if (c->n_records > s->record_count - c->first_index) {
        rc = iapt_ingest_refuse(reply, id, IAPT__REFUSE_CODE__REFUSE_TOO_LARGE, 1,
                                "chunk goes past the %llu records of the manifest",
                                (unsigned long long)s->record_count);
        goto out_free;
    }
    /* A resent chunk overlaps what is held: skip the records we have. */
    size_t skip = (size_t)(s->next_index - c->first_index);
    if (skip >= c->n_records) {
        s_touch(ing, id, s->org_code);
        rc = s_reply_credit(reply, id, s->next_index, 1);
        goto out_free;
    }
    iapt_merkle_builder_t stream;
    if (iapt_merkle_builder_state_decode(&stream, s->merkle_state.data, s->merkle_state.len) < 0) {
        rc = iapt_error_set(IAPT_ELMDB, "stored Merkle state does not decode");
        goto out_free;
    }
    /* Every record is checked before any is written: a refused chunk
     * leaves nothing behind (the caller commits the refusal). */
    for (size_t i = skip; i < c->n_records; i++) {
        const ProtobufCBinaryData *r = &c->records[i];
        if (r->len == 0) {
            rc = iapt_ingest_refuse(reply, id, IAPT__REFUSE_CODE__REFUSE_MALFORMED, 1,
                                    "record %llu is empty",
                                    (unsigned long long)(c->first_index + i));
            goto out_free;
        }
        if (r->len > ing->lim.max_record) {
            rc = iapt_ingest_refuse(reply, id, IAPT__REFUSE_CODE__REFUSE_TOO_LARGE, 1,
                                    "record %llu has %zu bytes (limit %zu)",
                                    (unsigned long long)(c->first_index + i), r->len,
                                    ing->lim.max_record);
            goto out_free;
        }
    }
    for (size_t i = skip; i < c->n_records; i++) {
        const ProtobufCBinaryData *r = &c->records[i];
        if ((rc = s_put_record(ing->st, txn, s->internal_seq, c->first_index + i, r)) < 0)
            goto out_free;
        if ((rc = iapt_merkle_builder_push_leaf(&stream, r->data, r->len)) < 0)
            goto out_free;
    }
    size_t state_len = iapt_merkle_builder_state_encode(&stream, state);
    s->next_index = c->first_index + c->n_records;
    /* Save with the new state, then give the message back its own buffer
     * for free_unpacked. */
    ProtobufCBinaryData own = s->merkle_state;
    s->merkle_state.data = state;
    s->merkle_state.len = state_len;
    rc = s_save(ing->st, txn, id, s);
    s->merkle_state = own;
    if (rc < 0)
        goto out_free;
    s_touch(ing, id, s->org_code);
    rc = s_reply_credit(reply, id, s->next_index, 1);

out_free:
    if (s)
        iapt__stored_submission__free_unpacked(s, NULL);
    return rc;
}

/* ---- Close and acceptance ---------------------------------------------------------------- */

typedef struct {
    iapt_store_t *st;
    MDB_txn *txn;
    uint32_t period_key;
    const char *org;
    iapt_buf_t buf;
    int rc;
} s_cellw_t;

static int
s_write_cell(const char *commissioner, int dim, int level, const iapt_cell_t *cell, void *arg)
{
    s_cellw_t *w = arg;
    uint8_t key[4 + 1 + 16 + 8 + 2] = {0};
    iapt_be32(key, w->period_key);
    key[4] = (uint8_t)dim;
    memcpy(key + 5, w->org, strnlen(w->org, 15));
    memcpy(key + 21, commissioner, strnlen(commissioner, 8));
    key[29] = (uint8_t)(level >> 8);
    key[30] = (uint8_t)level;
    w->buf.len = 0;
    if ((w->rc = iapt_cell_encode(cell, &w->buf)) < 0)
        return w->rc;
    MDB_val k = {sizeof key, key}, v = {w->buf.len, w->buf.data};
    int rc = mdb_put(w->txn, w->st->cell, &k, &v, 0);
    if (rc)
        return w->rc = iapt_store_err(rc, "write cell");
    return 0;
}

/* Remove the cells of (period, org) for every breakdown. */
static int
s_delete_cells(iapt_store_t *st, MDB_txn *txn, uint32_t period_key, const char *org)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, st->cell, &c);
    if (rc)
        return iapt_store_err(rc, "cursor");
    for (int dim = 0; dim < 256 && rc == 0; dim++) {
        uint8_t prefix[21] = {0};
        iapt_be32(prefix, period_key);
        prefix[4] = (uint8_t)dim;
        memcpy(prefix + 5, org, strnlen(org, 15));
        MDB_val k = {sizeof prefix, prefix}, v;
        int r;
        for (r = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); r == 0;
             r = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
            if (k.mv_size < sizeof prefix || memcmp(k.mv_data, prefix, sizeof prefix) != 0)
                break;
            if ((r = mdb_cursor_del(c, 0)) != 0)
                break;
        }
        if (r && r != MDB_NOTFOUND)
            rc = r;
    }
    mdb_cursor_close(c);
    return rc ? iapt_store_err(rc, "delete cells") : 0;
}

/* Seconds on `clock`: CLOCK_MONOTONIC for elapsed time, the thread's CPU
 * clock for the work done whatever else runs on the machine. */
static double
s_secs(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define S_CPU CLOCK_THREAD_CPUTIME_ID

/* Decode, derive and aggregate every record through the collection's
 * hooks. Returns 0, a negative store error, or 1 with `why` filled when a
 * record is malformed. */
static int
s_aggregate(iapt_store_t *st, const iapt_ingest_tables_t *tables, MDB_txn *txn,
            const Iapt__StoredSubmission *s, const iapt_period_t *p, iapt_agg_t *agg, char *why,
            size_t why_len)
{
    const iapt_measure_schema_t *schema = s_schema(s);
    MDB_cursor *c;
    iapt_derivation_t *dv = NULL;
    unsigned coll = s_coll(s);
    const iapt_provider_t *home = iapt_providers_find(tables->providers, s->org_code);
    iapt_derive_context_t ctx = {.period = p,
                                 .provider = s->org_code,
                                 .config = coll < IAPT_INGEST_COLLECTIONS_MAX ? tables->config[coll]
                                                                              : NULL,
                                 .providers = tables->providers};
    int rc = iapt_derivation_open(schema, &ctx, home ? home->home_subicb : "", agg, &dv);
    if (rc < 0)
        return rc;
    if ((rc = mdb_cursor_open(txn, st->rec, &c)) != 0) {
        iapt_derivation_destroy(&dv);
        return iapt_store_err(rc, "cursor");
    }
    uint8_t prefix[16] = {0};
    iapt_be64(prefix, s->internal_seq);
    MDB_val k = {16, prefix}, v;
    uint64_t n = 0;
    int r;
    rc = 0;
    for (r = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); r == 0 && rc == 0;
         r = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 16 || memcmp(k.mv_data, prefix, 8) != 0)
            break;
        int dr = iapt_derivation_record(dv, v.mv_data, v.mv_size, (size_t)n);
        if (dr == IAPT_EFORMAT) {
            snprintf(why, why_len, "record %llu: %s", (unsigned long long)n, iapt_error_detail());
            rc = 1;
        } else if (dr < 0) {
            rc = dr;
        }
        n++;
    }
    mdb_cursor_close(c);
    if (rc == 0 && (!r || r == MDB_NOTFOUND)) {
        int dr = iapt_derivation_close(dv);
        if (dr == IAPT_EFORMAT) {
            snprintf(why, why_len, "%s", iapt_error_detail());
            rc = 1;
        } else if (dr < 0) {
            rc = dr;
        }
    }
    iapt_derivation_destroy(&dv);
    if (r && r != MDB_NOTFOUND && rc == 0)
        return iapt_store_err(r, "read records");
    if (rc == 0 && n != s->record_count) {
        snprintf(why, why_len, "store holds %llu of %llu records", (unsigned long long)n,
                 (unsigned long long)s->record_count);
        return iapt_error_set(IAPT_ELMDB, "%s", why);
    }
    return rc;
}

/* Sign and store a checkpoint for the log's new size, after checking the
 * tree is consistent with the previous checkpoint. */
static int
s_checkpoint(iapt_ingest_t *ing, MDB_txn *txn, const iapt_translog_t *log, uint64_t size,
             const uint8_t root[32], iapt_buf_t *note)
{
    int rc;
    MDB_cursor *c;
    if ((rc = mdb_cursor_open(txn, ing->st->checkpoint, &c)) != 0)
        return iapt_store_err(rc, "cursor");
    MDB_val k, v;
    rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
    if (rc == 0 && k.mv_size == 8) {
        uint64_t old_size;
        uint8_t old_root[32];
        char origin[256];
        rc = iapt_checkpoint_open(v.mv_data, v.mv_size, ing->name, ing->hub->sign_public, &old_size,
                                  old_root, origin, sizeof origin);
        if (rc == 0) {
            uint8_t proof[IAPT_MERKLE_PROOF_MAX_BYTES];
            size_t n = 0;
            rc = iapt_translog_consistency(txn, log, old_size, size, proof, &n);
            if (rc == 0)
                rc = iapt_merkle_verify_consistency(old_size, size, old_root, root, proof, n);
        }
        if (rc < 0) {
            mdb_cursor_close(c);
            return iapt_error_set(IAPT_ELMDB,
                                  "refusing to sign checkpoint %llu: not consistent with the "
                                  "last signed checkpoint (%s)",
                                  (unsigned long long)size, iapt_error_detail());
        }
    } else if (rc != MDB_NOTFOUND) {
        mdb_cursor_close(c);
        return iapt_store_err(rc, "read checkpoint");
    }
    mdb_cursor_close(c);
    note->len = 0;
    if ((rc = iapt_checkpoint_sign(ing->name, size, root, ing->name, ing->hub->sign_secret, note)) <
        0)
        return rc;
    uint8_t key[8];
    iapt_be64(key, size);
    k.mv_size = 8;
    k.mv_data = key;
    v.mv_size = note->len;
    v.mv_data = note->data;
    if ((rc = mdb_put(txn, ing->st->checkpoint, &k, &v, 0)) != 0)
        return iapt_store_err(rc, "write checkpoint");
    return 0;
}

static int
s_close(iapt_ingest_t *ing, MDB_txn *txn, const iapt_registry_entry_t *peer, const Iapt__Close *cl,
        iapt_buf_t *reply)
{
    int rc;
    Iapt__StoredSubmission *s = NULL, *old = NULL;
    Iapt__Manifest *m = NULL;
    Iapt__PeriodLock *lock = NULL;
    iapt_agg_t *agg = NULL;
    const iapt_translog_t *log = ing->st->log;
    iapt_buf_t note = IAPT_BUF_INIT, receipt = IAPT_BUF_INIT;
    s_cellw_t w = {0};
    const uint8_t *id = cl->submission_id.data;
    char why[512];
    double t_start = s_secs(CLOCK_MONOTONIC), c_start = s_secs(S_CPU), t_agg, t_cells, t_log;

    if ((rc = s_load_own(ing, txn, peer, &cl->submission_id, "close", reply, &s)) != 0)
        return rc < 0 ? rc : 0;
    if (s->state != IAPT__SUBMISSION_STATE__SUBMISSION_RECEIVING) {
        rc = s_already_have(reply, id, s);
        goto out_free;
    }
    if (s->next_index != s->record_count) {
        rc = iapt_ingest_refuse(
            reply, id, IAPT__REFUSE_CODE__REFUSE_PROTOCOL, 0, "close after %llu of %llu records",
            (unsigned long long)s->next_index, (unsigned long long)s->record_count);
        goto out_free;
    }
    const uint8_t *mbytes, *sig;
    size_t mlen;
    if ((rc = iapt_manifest_split(s->signed_manifest.data, s->signed_manifest.len, SIZE_MAX,
                                  &mbytes, &mlen, &sig)) < 0 ||
        (rc = iapt_manifest_decode_verified(mbytes, mlen, &m)) < 0) {
        rc = iapt_error_set(IAPT_ELMDB, "stored manifest does not decode");
        goto out_free;
    }

    /* The records must be exactly the ones the provider signed for. */
    iapt_merkle_builder_t stream;
    uint8_t root[32];
    if (iapt_merkle_builder_state_decode(&stream, s->merkle_state.data, s->merkle_state.len) < 0) {
        rc = iapt_error_set(IAPT_ELMDB, "stored Merkle state does not decode");
        goto out_free;
    }
    iapt_merkle_builder_root(&stream, root);
    if (memcmp(root, m->records_root.data, 32) != 0) {
        if ((rc = s_discard(ing->st, txn, id, s->internal_seq, 1)) < 0)
            goto out_free;
        s_forget(ing, id);
        iapt_log_warn("%s: records of %s do not match the signed root; discarded", peer->org,
                      m->period);
        rc = iapt_ingest_refuse(reply, id, IAPT__REFUSE_CODE__REFUSE_ROOT_MISMATCH, 0,
                                "the records received do not hash to the manifest's Merkle "
                                "root (altered in transit?); send the submission again");
        goto out_free;
    }

    /* Conditions may have changed since Open. */
    iapt_period_t p;
    iapt_period_parse(m->period, &p);
    uint64_t last;
    unsigned coll = s_coll(s);
    if ((rc = s_period_locked(ing->st, txn, coll, &p, &lock)) < 0 ||
        (rc == 0 && (rc = s_prov_seq(ing->st, txn, coll, m->org_code, &last)) < 0))
        goto out_free;
    if (lock || m->sequence <= last) {
        if ((rc = s_discard(ing->st, txn, id, s->internal_seq, 1)) < 0)
            goto out_free;
        s_forget(ing, id);
        rc = lock ? iapt_ingest_refuse(reply, id, IAPT__REFUSE_CODE__REFUSE_PERIOD_LOCKED, 1,
                                       "period %s was closed while this submission was sent; "
                                       "contact the central team to reopen it",
                                       m->period)
                  : iapt_ingest_refuse(reply, id, IAPT__REFUSE_CODE__REFUSE_STALE, 1,
                                       "a submission with a higher sequence number (%llu) was "
                                       "accepted meanwhile",
                                       (unsigned long long)last);
        goto out_free;
    }

    if (!(agg = iapt_agg_new(s_schema(s)))) {
        rc = IAPT_ENOMEM;
        goto out_free;
    }
    t_agg = s_secs(S_CPU);
    rc = s_aggregate(ing->st, &ing->tables, txn, s, &p, agg, why, sizeof why);
    t_agg = s_secs(S_CPU) - t_agg;
    if (rc < 0)
        goto out_free;
    if (rc == 1) {
        if ((rc = s_discard(ing->st, txn, id, s->internal_seq, 1)) < 0)
            goto out_free;
        s_forget(ing, id);
        rc = iapt_ingest_refuse(reply, id, IAPT__REFUSE_CODE__REFUSE_MALFORMED, 1, "%s", why);
        goto out_free;
    }

    /* Latest submission wins: the previous one's cells go, it stays for
     * audit. Unless it would replace a counted month with nothing or with
     * under half of it, and the provider did not force it: then it is
     * held for review (stored, logged, receipted, not counted). */
    uint8_t prev_id[32], pend_id[32];
    int has_prev = 0, has_pend = 0, hold = 0;
    char held_because[256] = "";
    rc = iapt_ingest_current(ing->st, txn, coll, m->period, m->org_code, prev_id);
    if (rc == 0) {
        has_prev = 1;
        if ((rc = iapt_ingest_load(ing->st, txn, prev_id, &old)) < 0)
            goto out_free;
        hold =
            iapt_ingest_hold_check(m->record_count, old->record_count, m->has_forced && m->forced);
        if (hold)
            snprintf(held_because, sizeof held_because,
                     "%llu records where the counted submission (sequence %llu) has %llu",
                     (unsigned long long)m->record_count, (unsigned long long)old->sequence,
                     (unsigned long long)old->record_count);
    } else if (rc != IAPT_ENOTFOUND) {
        goto out_free;
    }
    uint32_t pkey = iapt_store_period_key(coll, &p);
    rc = iapt_ingest_pending(ing->st, txn, pkey, m->org_code, pend_id);
    if (rc == 0)
        has_pend = 1;
    else if (rc != IAPT_ENOTFOUND)
        goto out_free;
    /* A held submission can no longer become current once a newer one of
     * its (org, period) is accepted, held or not. */
    if (has_pend && (rc = s_mark_superseded(ing->st, txn, pend_id, id)) < 0)
        goto out_free;
    if (has_prev && !hold && (rc = s_mark_superseded(ing->st, txn, prev_id, id)) < 0)
        goto out_free;
    rc = 0;
    t_cells = s_secs(S_CPU);
    if (!hold) {
        if ((rc = s_delete_cells(ing->st, txn, pkey, m->org_code)) < 0)
            goto out_free;
        w.st = ing->st;
        w.txn = txn;
        w.period_key = pkey;
        w.org = m->org_code;
        if ((rc = iapt_agg_foreach(agg, s_write_cell, &w)) < 0 || (rc = w.rc) < 0)
            goto out_free;
    }
    t_log = s_secs(S_CPU);
    t_cells = t_log - t_cells;

    /* The log: append the signed manifest, sign a checkpoint, prove inclusion. */
    uint64_t index, size;
    uint8_t tree_root[32];
    uint8_t proof[IAPT_MERKLE_PROOF_MAX_BYTES];
    size_t proof_len = 0;
    if ((rc = iapt_translog_append(txn, log, s->signed_manifest.data, s->signed_manifest.len,
                                   &index)) < 0)
        goto out_free;
    size = index + 1;
    if ((rc = iapt_translog_root(txn, log, size, tree_root)) < 0 ||
        (rc = s_checkpoint(ing, txn, log, size, tree_root, &note)) < 0 ||
        (rc = iapt_translog_inclusion(txn, log, index, size, proof, &proof_len)) < 0)
        goto out_free;
    size_t nproof = proof_len / 32;

    int64_t now = iapt_now();
    iapt_period_t next;
    iapt_period_add(&p, 1, &next);
    int late = now >= ((int64_t)next.start + ing->lim.deadline_day) * 86400;

    Iapt__Receipt r = IAPT__RECEIPT__INIT;
    ProtobufCBinaryData pv[64];
    r.submission_id.data = (uint8_t *)id;
    r.submission_id.len = 32;
    r.org_code = m->org_code;
    r.period = m->period;
    r.sequence = m->sequence;
    r.record_count = m->record_count;
    r.records_root = m->records_root;
    r.accepted_at = now;
    r.log_index = index;
    r.tree_size = size;
    for (size_t i = 0; i < nproof; i++) {
        pv[i].data = proof + 32 * i;
        pv[i].len = 32;
    }
    r.n_inclusion_proof = nproof;
    r.inclusion_proof = pv;
    note.data[note.len] = 0;
    r.checkpoint = (char *)note.data;
    if (has_prev && !hold) {
        r.has_supersedes = 1;
        r.supersedes.data = prev_id;
        r.supersedes.len = 32;
    }
    if (hold) {
        r.has_review = 1;
        r.review = IAPT__REVIEW_STATE__REVIEW_PENDING;
        r.held_because = held_because;
        r.has_held_against = 1;
        r.held_against.data = prev_id;
        r.held_against.len = 32;
    }
    r.quality = m->quality;
    r.hub_name = (char *)ing->name;
    if ((rc = iapt_receipt_sign(&r, ing->hub->sign_secret, &receipt)) < 0)
        goto out_free;

    s->state = hold ? IAPT__SUBMISSION_STATE__SUBMISSION_PENDING_REVIEW
                    : IAPT__SUBMISSION_STATE__SUBMISSION_ACCEPTED;
    s->has_held = hold;
    s->held = hold;
    s->held_because = hold ? held_because : NULL; /* not owned: reset below */
    s->has_accepted_at = 1;
    s->accepted_at = now;
    s->has_log_index = 1;
    s->log_index = index;
    s->has_late = 1;
    s->late = late;
    uint8_t *keep_receipt = s->signed_receipt.data;
    size_t keep_len = s->signed_receipt.len;
    s->has_signed_receipt = 1;
    s->signed_receipt.data = receipt.data;
    s->signed_receipt.len = receipt.len;
    rc = s_save(ing->st, txn, id, s);
    s->signed_receipt.data = keep_receipt;
    s->signed_receipt.len = keep_len;
    s->held_because = NULL;
    if (rc < 0)
        goto out_free;

    uint8_t ckey[20], seq[8];
    iapt_ingest_current_key(pkey, m->org_code, ckey);
    iapt_be64(seq, m->sequence);
    MDB_val k = {sizeof ckey, ckey}, v = {32, (void *)id};
    uint8_t okey[IAPT_STORE_PROV_SEQ_KEY_MAX];
    MDB_val ok = {iapt_store_prov_seq_key(coll, m->org_code, okey), okey}, ov = {8, seq};
    if ((!hold && (rc = mdb_put(txn, ing->st->current, &k, &v, 0)) != 0) ||
        (rc = mdb_put(txn, ing->st->prov_seq, &ok, &ov, 0)) != 0) {
        rc = iapt_store_err(rc, "write current");
        goto out_free;
    }
    s_forget(ing, id);
    t_log = s_secs(S_CPU) - t_log;

    /* For capacity planning: how long acceptance took, and the CPU time of
     * it and of its phases (reading back, decoding, deriving and
     * aggregating the records; replacing the cells; the log, checkpoint
     * and receipt). The commit follows with its batch. */
    char sid[13];
    iapt_id_short(id, 32, sid);
    iapt_log_info("%s submission %s for %s accepted: %llu records, log index %llu%s%s%s%s"
                  " (acceptance %.1f ms, CPU %.1f ms: aggregate %.1f, %zu cells %.1f, log and "
                  "receipt %.1f)",
                  m->org_code, sid, m->period, (unsigned long long)m->record_count,
                  (unsigned long long)index,
                  hold       ? ", PENDING REVIEW: "
                  : has_prev ? ", supersedes the previous one"
                             : "",
                  held_because, has_pend ? ", the one held before it is superseded" : "",
                  late ? ", late" : "", (s_secs(CLOCK_MONOTONIC) - t_start) * 1e3,
                  (s_secs(S_CPU) - c_start) * 1e3, t_agg * 1e3, iapt_agg_cells(agg), t_cells * 1e3,
                  t_log * 1e3);

    Iapt__SignedReceipt *sr = iapt__signed_receipt__unpack(NULL, receipt.len, receipt.data);
    if (!sr) {
        rc = IAPT_ENOMEM;
        goto out_free;
    }
    Iapt__Envelope env = IAPT__ENVELOPE__INIT;
    env.body_case = IAPT__ENVELOPE__BODY_RECEIPT;
    env.receipt = sr;
    rc = iapt_wire_pack(&env, reply);
    iapt__signed_receipt__free_unpacked(sr, NULL);

out_free:
    iapt_buf_free(&w.buf);
    iapt_buf_free(&note);
    iapt_buf_free(&receipt);
    iapt_agg_destroy(&agg);
    if (lock)
        iapt__period_lock__free_unpacked(lock, NULL);
    if (m)
        iapt__manifest__free_unpacked(m, NULL);
    if (old)
        iapt__stored_submission__free_unpacked(old, NULL);
    if (s)
        iapt__stored_submission__free_unpacked(s, NULL);
    return rc;
}

int
iapt_ingest_handle(iapt_ingest_t *ing, MDB_txn *txn, const iapt_registry_entry_t *peer,
                   const Iapt__Envelope *msg, iapt_buf_t *reply)
{
    if (strcmp(peer->role, "provider") != 0)
        return iapt_ingest_refuse(reply, NULL, IAPT__REFUSE_CODE__REFUSE_ROLE, 1,
                                  "only providers submit; this key's role is %s", peer->role);
    if (!peer->active)
        return iapt_ingest_refuse(reply, NULL, IAPT__REFUSE_CODE__REFUSE_REVOKED, 1,
                                  "the key of %s was revoked", peer->org);
    switch (msg->body_case) {
    case IAPT__ENVELOPE__BODY_OPEN:
        return s_open(ing, txn, peer, msg->open, reply);
    case IAPT__ENVELOPE__BODY_CHUNK:
        return s_chunk(ing, txn, peer, msg->chunk, reply);
    case IAPT__ENVELOPE__BODY_CLOSE:
        return s_close(ing, txn, peer, msg->close, reply);
    default:
        return iapt_ingest_refuse(reply, NULL, IAPT__REFUSE_CODE__REFUSE_UNKNOWN_TYPE, 1,
                                  "message type %d is not served on the submit endpoint",
                                  (int)msg->body_case);
    }
}

/* ---- review ---------------------------------------------------------------------------------- */

static const char *
s_state_words(const Iapt__StoredSubmission *s)
{
    switch (s->state) {
    case IAPT__SUBMISSION_STATE__SUBMISSION_RECEIVING:
        return "still being received";
    case IAPT__SUBMISSION_STATE__SUBMISSION_ACCEPTED:
        return s->has_confirmed && s->confirmed ? "current (already confirmed)" : "current";
    case IAPT__SUBMISSION_STATE__SUBMISSION_SUPERSEDED:
        if (s->has_held && s->held && !s->has_signed_decision)
            return "superseded by a newer submission while it was held";
        return "superseded";
    case IAPT__SUBMISSION_STATE__SUBMISSION_REJECTED:
        return "already rejected";
    default:
        return "in an unknown state";
    }
}

/* Append a signed decision to the review database (next number). */
static int
s_review_append(iapt_store_t *st, MDB_txn *txn, const iapt_buf_t *sd)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, st->review, &c);
    if (rc)
        return iapt_store_err(rc, "cursor");
    MDB_val k, v;
    uint64_t next = 1;
    rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
    mdb_cursor_close(c);
    if (rc == 0 && k.mv_size == 8)
        next = iapt_rd_be64(k.mv_data) + 1;
    else if (rc && rc != MDB_NOTFOUND)
        return iapt_store_err(rc, "read review");
    uint8_t key[8];
    iapt_be64(key, next);
    k.mv_size = 8;
    k.mv_data = key;
    v.mv_size = sd->len;
    v.mv_data = sd->data;
    if ((rc = mdb_put(txn, st->review, &k, &v, MDB_APPEND)) != 0)
        return iapt_store_err(rc, "write review");
    return 0;
}

int
iapt_ingest_decide(iapt_store_t *st, MDB_txn *txn, const iapt_identity_t *hub, const char *name,
                   const iapt_ingest_tables_t *tables, const uint8_t id[32], bool confirm,
                   const char *by, const char *reason, iapt_buf_t *out, char *why, size_t why_len)
{
    int rc;
    Iapt__StoredSubmission *s = NULL, *old = NULL;
    Iapt__PeriodLock *lock = NULL;
    iapt_agg_t *agg = NULL;
    s_cellw_t w = {0};
    char sid[13];
    iapt_id_short(id, 32, sid);

    const char *r = reason ? reason : "";
    while (*r == ' ' || *r == '\t' || *r == '\n' || *r == '\r')
        r++;
    if (!*r) {
        snprintf(why, why_len, "a reason is required (it is kept and shown with the decision)");
        return 1;
    }
    if (!hub->sign_secret)
        return iapt_error_set(IAPT_EUSAGE, "hub identity has no signing key");
    rc = iapt_ingest_load(st, txn, id, &s);
    if (rc == IAPT_ENOTFOUND) {
        snprintf(why, why_len, "no submission %s", sid);
        return 1;
    }
    if (rc < 0)
        return rc;
    if (s->state != IAPT__SUBMISSION_STATE__SUBMISSION_PENDING_REVIEW) {
        snprintf(why, why_len,
                 "submission %s (%s %s sequence %llu) is not pending review: it is %s", sid,
                 s->org_code, s->period, (unsigned long long)s->sequence, s_state_words(s));
        rc = 1;
        goto out_free;
    }
    iapt_period_t p;
    if (iapt_period_parse(s->period, &p) < 0) {
        rc = iapt_error_set(IAPT_ELMDB, "stored period %s does not parse", s->period);
        goto out_free;
    }
    unsigned coll = s_coll(s);
    uint32_t pkey = iapt_store_period_key(coll, &p);
    if (confirm) {
        if ((rc = s_period_locked(st, txn, coll, &p, &lock)) < 0)
            goto out_free;
        if (rc == 1) {
            char when[21];
            iapt_time_format(lock->at, when);
            snprintf(why, why_len,
                     "period %s was closed at %s by %s: a confirm would change its published "
                     "figures; reopen it first (iapt-query unlock --period %s)",
                     s->period, when, lock->by, s->period);
            rc = 1;
            goto out_free;
        }
    }
    uint64_t size;
    if ((rc = iapt_translog_size(txn, st->log, &size)) < 0)
        goto out_free;
    int64_t now = iapt_now();

    uint8_t prev_id[32];
    int has_prev = 0;
    if (confirm) {
        rc = iapt_ingest_current(st, txn, coll, s->period, s->org_code, prev_id);
        if (rc == 0)
            has_prev = 1;
        else if (rc != IAPT_ENOTFOUND)
            goto out_free;
        if (!(agg = iapt_agg_new(s_schema(s)))) {
            rc = IAPT_ENOMEM;
            goto out_free;
        }
        char bad[512];
        if ((rc = s_aggregate(st, tables, txn, s, &p, agg, bad, sizeof bad)) != 0) {
            if (rc == 1)
                rc = iapt_error_set(IAPT_ELMDB, "held submission %s no longer aggregates: %s", sid,
                                    bad);
            goto out_free;
        }
        if (has_prev && (rc = s_mark_superseded(st, txn, prev_id, id)) < 0)
            goto out_free;
        if ((rc = s_delete_cells(st, txn, pkey, s->org_code)) < 0)
            goto out_free;
        w.st = st;
        w.txn = txn;
        w.period_key = pkey;
        w.org = s->org_code;
        if ((rc = iapt_agg_foreach(agg, s_write_cell, &w)) < 0 || (rc = w.rc) < 0)
            goto out_free;
        uint8_t ckey[20];
        iapt_ingest_current_key(pkey, s->org_code, ckey);
        MDB_val k = {sizeof ckey, ckey}, v = {32, (void *)id};
        if ((rc = mdb_put(txn, st->current, &k, &v, 0)) != 0) {
            rc = iapt_store_err(rc, "write current");
            goto out_free;
        }
    }

    Iapt__ReviewDecision d = IAPT__REVIEW_DECISION__INIT;
    d.submission_id.data = (uint8_t *)id;
    d.submission_id.len = 32;
    d.decision =
        confirm ? IAPT__REVIEW_STATE__REVIEW_CONFIRMED : IAPT__REVIEW_STATE__REVIEW_REJECTED;
    d.org_code = s->org_code;
    d.period = s->period;
    d.by = (char *)by;
    d.at = now;
    d.reason = (char *)reason;
    d.tree_size = size;
    d.hub_name = (char *)name;
    if (has_prev) {
        d.has_replaces = 1;
        d.replaces.data = prev_id;
        d.replaces.len = 32;
    }
    out->len = 0;
    if ((rc = iapt_review_sign(&d, hub->sign_secret, out)) < 0 ||
        (rc = s_review_append(st, txn, out)) < 0)
        goto out_free;

    s->state = confirm ? IAPT__SUBMISSION_STATE__SUBMISSION_ACCEPTED
                       : IAPT__SUBMISSION_STATE__SUBMISSION_REJECTED;
    s->has_signed_decision = 1;
    s->signed_decision.data = out->data;
    s->signed_decision.len = out->len;
    s->has_confirmed = 1;
    s->confirmed = confirm;
    s->decided_by = (char *)by;
    s->has_decided_at = 1;
    s->decided_at = now;
    s->decision_reason = (char *)reason;
    rc = s_save(st, txn, id, s);
    /* Borrowed above; the message frees only what it unpacked. */
    s->has_signed_decision = 0;
    s->signed_decision.data = NULL;
    s->signed_decision.len = 0;
    s->decided_by = NULL;
    s->decision_reason = NULL;
    if (rc < 0)
        goto out_free;
    iapt_log_info("%s submission %s for %s %s by %s (reason: %s)%s", s->org_code, sid, s->period,
                  confirm ? "CONFIRMED: now counted" : "REJECTED: not counted", by, reason,
                  has_prev ? "; the one counted before is superseded" : "");

out_free:
    iapt_buf_free(&w.buf);
    iapt_agg_destroy(&agg);
    if (lock)
        iapt__period_lock__free_unpacked(lock, NULL);
    if (old)
        iapt__stored_submission__free_unpacked(old, NULL);
    if (s)
        iapt__stored_submission__free_unpacked(s, NULL);
    return rc;
}
