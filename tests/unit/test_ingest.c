/* Unit tests of hub/ingest: the submission protocol's core, driven one
 * envelope at a time against a real LMDB store in a temporary directory,
 * with fresh identities, a registry parsed from text built here, real
 * pathway records and manifests signed as a node signs them.
 *
 * What is proved: exactly once (Open again answers with the original
 * receipt bytes), resume and duplicate chunks store each record once,
 * protocol errors and bad input are refused with the right code and change
 * nothing, the latest submission for (provider, period) is the only one
 * counted, locks and limits hold, acceptance is atomic with the caller's
 * transaction, the log grows by one leaf per acceptance with checkpoints
 * that verify, and a full map is survived by growing and retrying the
 * batch.
 *
 * Expected values are worked out by hand in the comments; the Merkle root
 * of records and of the log is recomputed here from RFC 6962, not with the
 * library's builder. Time is fixed with $IAPT_NOW. */
#include "common/checkpoint.h"
#include "common/date.h"
#include "common/err.h"
#include "common/keys.h"
#include "common/log.h"
#include "common/measures.h"
#include "common/collections/adult/adult_measures.h"
#include "common/merkle.h"
#include "common/registry.h"
#include "common/sign.h"
#include "common/wire.h"
#include "hub/hub.h"
#include "hub/ingest.h"
#include "hub/query.h"
#include "hub/store.h"
#include "hub/translog.h"
#include "node/sender.h"
#include "tests/test.h"
#include "tests/unit/records_fixture.h"

#include <lmdb.h>
#include <stdint.h>
#include <time.h>

#define HUB_NAME "iapt-hub.test/log"
#define PERIOD "2025-09"

/* ---- the world: store, identities, registry, ingest ------------------------------- */

typedef struct {
    char dir[512];
    iapt_store_t *st;
    iapt_identity_t *hub, *p1, *p2, *p3, *an;
    iapt_registry_t *reg;
    const iapt_registry_entry_t *e1, *e2, *e3, *ean; /* P01, P02, P03 (revoked), ANALYST */
    iapt_ingest_t *ing;
    iapt_ingest_limits_t lim;
    iapt_tools_t tools;
    iapt_ingest_tables_t tables;
} fx_t;

static fx_t F;

/* Unix seconds of y-m-d hh:mm:ss UTC. */
static int64_t
s_when(int y, int m, int d, int hh, int mm, int ss)
{
    return (int64_t)iapt_days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60 + ss;
}

static void
s_set_now(int64_t t)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", (long long)t);
    setenv("IAPT_NOW", buf, 1);
}

static void
s_reg_row(iapt_buf_t *b, const iapt_identity_t *id, const char *name, const char *role,
          const char *status, const char *revoked_at)
{
    char b64[64];
    iapt_base64_encode(id->sign_public, 32, b64);
    iapt_buf_printf(b, "%s,%s,%s,%s,%s,%s,%s\n", id->org, name, role, status, revoked_at, b64,
                    id->curve_public);
}

/* Identities, registry and limits; the store opens with fx_start so a test
 * may change F.lim first. Time: 10 October 2025, noon (September 2025 is
 * open and not yet late). */
static void
fx_init(void)
{
    memset(&F, 0, sizeof F);
    iapt_log_set_level(IAPT_LOG_ERROR);
    s_set_now(s_when(2025, 10, 10, 12, 0, 0));
    CHECK(iapt_identity_generate("HUB", "hub", &F.hub) == 0);
    CHECK(iapt_identity_generate("P01", "provider", &F.p1) == 0);
    CHECK(iapt_identity_generate("P02", "provider", &F.p2) == 0);
    CHECK(iapt_identity_generate("P03", "provider", &F.p3) == 0);
    CHECK(iapt_identity_generate("ANALYST", "analyst", &F.an) == 0);
    iapt_buf_t text = IAPT_BUF_INIT;
    iapt_buf_printf(&text, "org_code,name,role,status,revoked_at,sign_public,curve_public\n");
    s_reg_row(&text, F.p1, "Provider One", "provider", "active", "");
    s_reg_row(&text, F.p2, "Provider Two", "provider", "active", "");
    s_reg_row(&text, F.p3, "Provider Three", "provider", "revoked", "2025-01-01T00:00:00Z");
    s_reg_row(&text, F.an, "Analysts", "analyst", "active", "");
    CHECK(iapt_registry_parse((const char *)text.data, text.len, "registry.csv", &F.reg) == 0);
    iapt_buf_free(&text);
    if (F.reg) {
        F.e1 = iapt_registry_by_curve(F.reg, F.p1->curve_public);
        F.e2 = iapt_registry_by_curve(F.reg, F.p2->curve_public);
        F.e3 = iapt_registry_by_curve(F.reg, F.p3->curve_public);
        F.ean = iapt_registry_by_curve(F.reg, F.an->curve_public);
    }
    CHECK(F.e1 && F.e2 && F.e3 && F.ean);
    CHECK(F.e3 && !F.e3->active);
    iapt_ingest_limits_default(&F.lim);
    iapt_tools_default(&F.tools);
    memset(&F.tables, 0, sizeof F.tables);
    F.tables.config[0] = &F.tools;
    iapt_strlcpy(F.dir, t_tmpdir(), sizeof F.dir);
}

static int
fx_start(size_t map_size, size_t map_max)
{
    int rc = iapt_store_open(F.dir, map_size, map_max, &F.st);
    CHECK(rc == 0);
    if (rc == 0)
        rc = iapt_ingest_new(F.st, F.hub, HUB_NAME, &F.tables, &F.lim, &F.ing);
    CHECK(rc == 0);
    return rc;
}

static void
fx_done(void)
{
    char path[600];
    iapt_ingest_destroy(&F.ing);
    iapt_store_close(&F.st);
    snprintf(path, sizeof path, "%s/data.mdb", F.dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/lock.mdb", F.dir);
    unlink(path);
    rmdir(F.dir);
    iapt_registry_release(&F.reg);
    iapt_identity_destroy(&F.hub);
    iapt_identity_destroy(&F.p1);
    iapt_identity_destroy(&F.p2);
    iapt_identity_destroy(&F.p3);
    iapt_identity_destroy(&F.an);
}

/* ---- records ----------------------------------------------------------------------- */

/* Record kinds, September 2025 (day 0 = 1 September, E = day 29):
 *   REC_NEW     referred on day 3, self referral (B1), nothing else.
 *               M001 1 (referred in period), M002 1, M038 1 (no treatment,
 *               not discharged), M056 0.
 *   REC_FINISH  referred on day -60 (before the period), treatment
 *               appointments (type 02, attended code 5) on days -40 and 10,
 *               discharged on day 20 with end code 46.
 *               M001 0, M056 1 (discharged in period), M066 1 (code 46),
 *               M076 1 (finished: two treatment appointments), M184 1
 *               (second treatment on day 10), M082 1 (one appointment in
 *               the period).
 *   REC_BIG     REC_NEW with 12 assessment appointments (type 01, code 5)
 *               on days 4..15: bulk for the full-map test.
 *   REC_LATE    referred on day 40: after the period end; derivation
 *               refuses it ("referral_day: after the period end").
 * The pathway id holds the index and the kind, so ids differ within a
 * submission unless a test repeats an index on purpose. */
enum { REC_NEW = 1, REC_FINISH = 2, REC_BIG = 3, REC_LATE = 4 };

static void
s_rec(int kind, uint32_t idx, iapt_buf_t *out)
{
    t_rec_t *r = t_rec_new(kind == REC_FINISH ? -60 : kind == REC_LATE ? 40 : 3);
    memset(r->pathway, 0, 16);
    r->pathway[0] = (uint8_t)(idx >> 24);
    r->pathway[1] = (uint8_t)(idx >> 16);
    r->pathway[2] = (uint8_t)(idx >> 8);
    r->pathway[3] = (uint8_t)idx;
    r->pathway[8] = (uint8_t)kind;
    memcpy(r->person, r->pathway, 16);
    r->person[15] = 0x55;
    if (kind == REC_NEW || kind == REC_BIG || kind == REC_LATE)
        r->rec.referral_source = "B1";
    if (kind == REC_FINISH) {
        t_appt(r, -40, "02", "5");
        t_appt(r, 10, "02", "5");
        t_discharge(r, 20, "46");
    }
    if (kind == REC_BIG)
        for (int d = 4; d < 16; d++)
            t_appt(r, d, "01", "5");
    size_t n = iapt__pathway_record__get_packed_size(&r->rec);
    out->len = 0;
    if (iapt_buf_reserve(out, n) == 0)
        out->len = iapt__pathway_record__pack(&r->rec, out->data);
    t_rec_free(r);
}

/* RFC 6962 section 2.1, written out: MTH({}) = SHA-256(), MTH({d}) =
 * SHA-256(0x00 || d), MTH(D[n]) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))
 * with k the largest power of two below n. */
static void
s_mth(const iapt_buf_t *leaves, size_t n, uint8_t out[32])
{
    iapt_buf_t b = IAPT_BUF_INIT;
    if (n == 0) {
        iapt_sha256((const uint8_t *)"", 0, out);
        return;
    }
    if (n == 1) {
        iapt_buf_append(&b, "\x00", 1);
        iapt_buf_append(&b, leaves[0].data, leaves[0].len);
    } else {
        size_t k = 1;
        while (k * 2 < n)
            k *= 2;
        uint8_t l[32], r[32];
        s_mth(leaves, k, l);
        s_mth(leaves + k, n - k, r);
        iapt_buf_append(&b, "\x01", 1);
        iapt_buf_append(&b, l, 32);
        iapt_buf_append(&b, r, 32);
    }
    iapt_sha256(b.data, b.len, out);
    iapt_buf_free(&b);
}

/* ---- submissions ------------------------------------------------------------------- */

typedef struct {
    size_t n;
    iapt_buf_t *rec;
    iapt_buf_t sm; /* serialized SignedManifest */
    uint8_t id[32];
    uint8_t root[32];
} sub_t;

static void
sub_init(sub_t *s, size_t n)
{
    memset(s, 0, sizeof *s);
    s->n = n;
    s->rec = calloc(n ? n : 1, sizeof *s->rec);
    if (!s->rec)
        abort();
}

static void
sub_free(sub_t *s)
{
    for (size_t i = 0; i < s->n; i++)
        iapt_buf_free(&s->rec[i]);
    free(s->rec);
    iapt_buf_free(&s->sm);
    memset(s, 0, sizeof *s);
}

/* Set while signing a manifest as the node's `submit --force` does. */
static int sub_forced;

/* Sign a manifest for the records held, as the node does. */
static void
sub_sign(sub_t *s, const iapt_identity_t *signer, const char *org, const char *period, uint64_t seq)
{
    static uint8_t key_id[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    s_mth(s->rec, s->n, s->root);
    Iapt__Manifest m = IAPT__MANIFEST__INIT;
    m.format_version = IAPT_MANIFEST_VERSION;
    m.collection = IAPT_COLLECTION;
    m.dataset_version = IAPT_DATASET_VERSION;
    m.org_code = (char *)org;
    m.period = (char *)period;
    m.sequence = seq;
    m.created_at = iapt_now();
    m.record_count = s->n;
    m.records_root.data = s->root;
    m.records_root.len = 32;
    m.pseudo_key_id.data = key_id;
    m.pseudo_key_id.len = 8;
    m.node_version = "test_ingest";
    m.has_forced = sub_forced;
    m.forced = sub_forced;
    CHECK(iapt_manifest_sign(&m, signer->sign_secret, &s->sm) == 0);
    iapt_submission_id(s->sm.data, s->sm.len, s->id);
}

/* A submission of the given record kinds (record i has index i). */
static void
sub_make(sub_t *s, const iapt_identity_t *signer, const char *org, const char *period, uint64_t seq,
         const int *kinds, size_t n)
{
    sub_init(s, n);
    for (size_t i = 0; i < n; i++)
        s_rec(kinds[i], (uint32_t)i, &s->rec[i]);
    sub_sign(s, signer, org, period, seq);
}

/* ---- envelopes --------------------------------------------------------------------- */

/* Handle `msg` inside `txn` as the submit endpoint does: the envelope is
 * packed and decoded again first, so ingest sees what a socket delivers.
 * Returns the decoded reply (NULL when ingest returned an error, in *rc). */
static Iapt__Envelope *
s_call_in(MDB_txn *txn, const iapt_registry_entry_t *peer, Iapt__Envelope *msg, int *rc_out)
{
    iapt_buf_t wire = IAPT_BUF_INIT, reply = IAPT_BUF_INIT;
    Iapt__Envelope *in = NULL, *out = NULL;
    int rc = iapt_wire_pack(msg, &wire);
    if (rc == 0)
        rc = iapt_wire_unpack(wire.data, wire.len, F.lim.max_message, &in);
    if (rc == 0)
        rc = iapt_ingest_handle(F.ing, txn, peer, in, &reply);
    if (rc == 0 && iapt_wire_unpack(reply.data, reply.len, SIZE_MAX, &out) != 0)
        rc = IAPT_EFORMAT;
    if (in)
        iapt__envelope__free_unpacked(in, NULL);
    iapt_buf_free(&wire);
    iapt_buf_free(&reply);
    if (rc_out)
        *rc_out = rc;
    return out;
}

/* One envelope in its own committed write transaction. */
static Iapt__Envelope *
s_call(const iapt_registry_entry_t *peer, Iapt__Envelope *msg)
{
    MDB_txn *txn = NULL;
    int rc = iapt_store_write_begin(F.st, &txn);
    CHECK(rc == 0);
    if (rc)
        return NULL;
    Iapt__Envelope *r = s_call_in(txn, peer, msg, &rc);
    if (rc == 0) {
        CHECK(iapt_store_commit(F.st, &txn) == 0);
    } else {
        fprintf(stderr, "ingest failed: %s: %s\n", iapt_strerror(rc), iapt_error_detail());
        CHECK(rc == 0);
        iapt_store_abort(&txn);
    }
    return r;
}

static void
s_free(Iapt__Envelope **e)
{
    if (*e)
        iapt__envelope__free_unpacked(*e, NULL);
    *e = NULL;
}

static void
s_env_open(Iapt__Envelope *env, Iapt__Open *o, const sub_t *s)
{
    Iapt__Envelope e = IAPT__ENVELOPE__INIT;
    Iapt__Open oi = IAPT__OPEN__INIT;
    *env = e;
    *o = oi;
    o->signed_manifest.data = s->sm.data;
    o->signed_manifest.len = s->sm.len;
    env->body_case = IAPT__ENVELOPE__BODY_OPEN;
    env->open = o;
}

static Iapt__Envelope *
s_open(const iapt_registry_entry_t *peer, const sub_t *s)
{
    Iapt__Envelope env;
    Iapt__Open o;
    s_env_open(&env, &o, s);
    return s_call(peer, &env);
}

/* A Chunk of records[0..n) starting at first_index. */
typedef struct {
    Iapt__Envelope env;
    Iapt__Chunk c;
    ProtobufCBinaryData recs[4096];
} s_chunk_msg_t;

static void
s_env_chunk(s_chunk_msg_t *m, const uint8_t id[32], uint64_t first, const iapt_buf_t *recs,
            size_t n)
{
    Iapt__Envelope e = IAPT__ENVELOPE__INIT;
    Iapt__Chunk c = IAPT__CHUNK__INIT;
    m->env = e;
    m->c = c;
    if (n > sizeof m->recs / sizeof *m->recs)
        abort();
    for (size_t i = 0; i < n; i++) {
        m->recs[i].data = recs[i].data;
        m->recs[i].len = recs[i].len;
    }
    m->c.submission_id.data = (uint8_t *)id;
    m->c.submission_id.len = 32;
    m->c.first_index = first;
    m->c.n_records = n;
    m->c.records = m->recs;
    m->env.body_case = IAPT__ENVELOPE__BODY_CHUNK;
    m->env.chunk = &m->c;
}

static Iapt__Envelope *
s_chunk_recs(const iapt_registry_entry_t *peer, const uint8_t id[32], uint64_t first,
             const iapt_buf_t *recs, size_t n)
{
    s_chunk_msg_t *m = malloc(sizeof *m);
    if (!m)
        abort();
    s_env_chunk(m, id, first, recs, n);
    Iapt__Envelope *r = s_call(peer, &m->env);
    free(m);
    return r;
}

/* Records [first, first + n) of the submission. */
static Iapt__Envelope *
s_chunk(const iapt_registry_entry_t *peer, const sub_t *s, uint64_t first, size_t n)
{
    return s_chunk_recs(peer, s->id, first, s->rec + first, n);
}

static void
s_env_close(Iapt__Envelope *env, Iapt__Close *cl, const uint8_t id[32])
{
    Iapt__Envelope e = IAPT__ENVELOPE__INIT;
    Iapt__Close ci = IAPT__CLOSE__INIT;
    *env = e;
    *cl = ci;
    cl->submission_id.data = (uint8_t *)id;
    cl->submission_id.len = 32;
    env->body_case = IAPT__ENVELOPE__BODY_CLOSE;
    env->close = cl;
}

static Iapt__Envelope *
s_close(const iapt_registry_entry_t *peer, const uint8_t id[32])
{
    Iapt__Envelope env;
    Iapt__Close cl;
    s_env_close(&env, &cl, id);
    return s_call(peer, &env);
}

/* ---- replies ----------------------------------------------------------------------- */

static const char *
s_body(const Iapt__Envelope *r)
{
    if (!r)
        return "(none)";
    switch (r->body_case) {
    case IAPT__ENVELOPE__BODY_ACCEPT:
        return "accept";
    case IAPT__ENVELOPE__BODY_ALREADY_HAVE:
        return "already_have";
    case IAPT__ENVELOPE__BODY_REFUSE:
        return "refuse";
    case IAPT__ENVELOPE__BODY_CREDIT:
        return "credit";
    case IAPT__ENVELOPE__BODY_RECEIPT:
        return "receipt";
    default:
        return "other";
    }
}

/* A refusal with this code and a non-empty reason. */
static int
s_is_refuse(const Iapt__Envelope *r, Iapt__RefuseCode code, int line)
{
    if (r && r->body_case == IAPT__ENVELOPE__BODY_REFUSE && r->refuse->code == code &&
        r->refuse->reason && *r->refuse->reason)
        return 1;
    fprintf(stderr, "line %d: expected refusal %d, got %s", line, (int)code, s_body(r));
    if (r && r->body_case == IAPT__ENVELOPE__BODY_REFUSE)
        fprintf(stderr, " %d: %s", (int)r->refuse->code, r->refuse->reason);
    fprintf(stderr, "\n");
    return 0;
}
#define IS_REFUSE(r, code) s_is_refuse((r), IAPT__REFUSE_CODE__##code, __LINE__)

static int
s_is(const Iapt__Envelope *r, Iapt__Envelope__BodyCase want, int line)
{
    if (r && r->body_case == want)
        return 1;
    fprintf(stderr, "line %d: expected body %d, got %s", line, (int)want, s_body(r));
    if (r && r->body_case == IAPT__ENVELOPE__BODY_REFUSE)
        fprintf(stderr, " %d: %s", (int)r->refuse->code, r->refuse->reason);
    fprintf(stderr, "\n");
    return 0;
}
#define IS(r, body) s_is((r), IAPT__ENVELOPE__BODY_##body, __LINE__)

static int
s_reason_has(const Iapt__Envelope *r, const char *text)
{
    return r && r->body_case == IAPT__ENVELOPE__BODY_REFUSE && strstr(r->refuse->reason, text);
}

/* The serialized SignedReceipt of a Receipt or AlreadyHave reply. */
static void
s_receipt_bytes(const Iapt__Envelope *r, iapt_buf_t *out)
{
    const Iapt__SignedReceipt *sr = NULL;
    out->len = 0;
    if (r && r->body_case == IAPT__ENVELOPE__BODY_RECEIPT)
        sr = r->receipt;
    else if (r && r->body_case == IAPT__ENVELOPE__BODY_ALREADY_HAVE)
        sr = r->already_have->receipt;
    if (!sr)
        return;
    if (iapt_buf_reserve(out, iapt__signed_receipt__get_packed_size(sr)) == 0)
        out->len = iapt__signed_receipt__pack(sr, out->data);
}

/* Send a whole submission: Open (expect Accept at 0), chunks of `per`
 * records (each credited up to its end), Close; returns the Close reply. */
static Iapt__Envelope *
s_send_all(const iapt_registry_entry_t *peer, const sub_t *s, size_t per)
{
    Iapt__Envelope *r = s_open(peer, s);
    CHECK(IS(r, ACCEPT));
    CHECK(r && r->body_case == IAPT__ENVELOPE__BODY_ACCEPT && r->accept->next_index == 0);
    s_free(&r);
    for (size_t i = 0; i < s->n; i += per) {
        size_t n = s->n - i < per ? s->n - i : per;
        r = s_chunk(peer, s, i, n);
        CHECK(IS(r, CREDIT));
        CHECK(r && r->body_case == IAPT__ENVELOPE__BODY_CREDIT && r->credit->next_index == i + n);
        s_free(&r);
    }
    return s_close(peer, s->id);
}

/* ---- the store, read back ---------------------------------------------------------- */

/* State of a stored submission, or -1 when the store holds none. */
static int
s_state(const uint8_t id[32])
{
    MDB_txn *txn = NULL;
    Iapt__StoredSubmission *s = NULL;
    int state = -1;
    if (iapt_store_read_begin(F.st, &txn) != 0)
        return -2;
    if (iapt_ingest_load(F.st, txn, id, &s) == 0) {
        state = (int)s->state;
        iapt__stored_submission__free_unpacked(s, NULL);
    }
    iapt_store_read_end(F.st, &txn);
    return state;
}

/* The stored submission (caller frees), or NULL. */
static Iapt__StoredSubmission *
s_load(const uint8_t id[32])
{
    MDB_txn *txn = NULL;
    Iapt__StoredSubmission *s = NULL;
    if (iapt_store_read_begin(F.st, &txn) != 0)
        return NULL;
    if (iapt_ingest_load(F.st, txn, id, &s) != 0)
        s = NULL;
    iapt_store_read_end(F.st, &txn);
    return s;
}

/* Records held under an internal sequence number; every record in the
 * store when seq is UINT64_MAX. */
static size_t
s_records(uint64_t seq)
{
    MDB_txn *txn = NULL;
    MDB_cursor *c = NULL;
    MDB_val k, v;
    size_t n = 0;
    if (iapt_store_read_begin(F.st, &txn) != 0)
        return (size_t)-1;
    if (mdb_cursor_open(txn, F.st->rec, &c) == 0) {
        for (int r = mdb_cursor_get(c, &k, &v, MDB_FIRST); r == 0;
             r = mdb_cursor_get(c, &k, &v, MDB_NEXT))
            if (seq == UINT64_MAX || (k.mv_size == 16 && iapt_rd_be64(k.mv_data) == seq))
                n++;
        mdb_cursor_close(c);
    }
    iapt_store_read_end(F.st, &txn);
    return n;
}

/* Record `index` of internal sequence `seq` equals `want`. */
static int
s_record_is(uint64_t seq, uint64_t index, const iapt_buf_t *want)
{
    MDB_txn *txn = NULL;
    uint8_t key[16];
    iapt_be64(key, seq);
    iapt_be64(key + 8, index);
    MDB_val k = {16, key}, v;
    int ok = 0;
    if (iapt_store_read_begin(F.st, &txn) != 0)
        return 0;
    if (mdb_get(txn, F.st->rec, &k, &v) == 0)
        ok = v.mv_size == want->len && memcmp(v.mv_data, want->data, want->len) == 0;
    iapt_store_read_end(F.st, &txn);
    return ok;
}

static uint64_t
s_log_size(void)
{
    MDB_txn *txn = NULL;
    uint64_t n = UINT64_MAX;
    if (iapt_store_read_begin(F.st, &txn) != 0)
        return n;
    if (iapt_translog_size(txn, F.st->log, &n) != 0)
        n = UINT64_MAX;
    iapt_store_read_end(F.st, &txn);
    return n;
}

/* 1 and id set when (period, org) has a current submission, else 0. */
static int
s_current(const char *period, const char *org, uint8_t id[32])
{
    MDB_txn *txn = NULL;
    if (iapt_store_read_begin(F.st, &txn) != 0)
        return -1;
    int rc = iapt_ingest_current(F.st, txn, 0, period, org, id);
    iapt_store_read_end(F.st, &txn);
    return rc == 0;
}

/* Over the stored cells of (period, org) in breakdown `dim`: the number of
 * cells, the referrals they hold and the summed raw count of measure `mid`
 * (a count measure). Cell keys as hub/store.h documents them. */
static int
s_cells(const char *period, const char *org, int dim, uint64_t *refs, int64_t *count,
        const char *mid)
{
    iapt_period_t p;
    MDB_txn *txn = NULL;
    MDB_cursor *c = NULL;
    uint8_t prefix[21] = {0};
    int n = 0, m = iapt_measure_find(mid);
    *refs = 0;
    *count = 0;
    if (iapt_period_parse(period, &p) != 0 || m < 0)
        return -1;
    iapt_be32(prefix, iapt_period_key(&p));
    prefix[4] = (uint8_t)dim;
    memcpy(prefix + 5, org, strlen(org));
    iapt_cell_t *cell = iapt_cell_new(&iapt_adult_measure_schema);
    if (!cell || iapt_store_read_begin(F.st, &txn) != 0) {
        iapt_cell_destroy(&cell);
        return -1;
    }
    MDB_val k = {sizeof prefix, prefix}, v;
    if (mdb_cursor_open(txn, F.st->cell, &c) == 0) {
        for (int r = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); r == 0;
             r = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
            if (k.mv_size != 31 || memcmp(k.mv_data, prefix, sizeof prefix) != 0)
                break;
            iapt_measure_value_t val;
            if (iapt_cell_decode(cell, v.mv_data, v.mv_size) != 0 ||
                iapt_cell_measure(cell, m, &val) != 0) {
                n = -1;
                break;
            }
            *refs += iapt_cell_referrals(cell);
            *count += val.num;
            n++;
        }
        mdb_cursor_close(c);
    }
    iapt_store_read_end(F.st, &txn);
    iapt_cell_destroy(&cell);
    return n;
}

/* Cells stored for (period, org) in every breakdown together. */
static int
s_cells_all(const char *period, const char *org)
{
    int total = 0;
    for (int dim = 0; dim < IAPT_BREAKDOWN_COUNT; dim++) {
        uint64_t refs;
        int64_t cnt;
        int n = s_cells(period, org, dim, &refs, &cnt, "M001");
        if (n < 0)
            return -1;
        total += n;
    }
    return total;
}

static void
s_put_lock(const char *period, int lock)
{
    iapt_period_t p;
    CHECK(iapt_period_parse(period, &p) == 0);
    uint8_t key[4], buf[128];
    iapt_be32(key, iapt_period_key(&p));
    Iapt__PeriodLock lk = IAPT__PERIOD_LOCK__INIT;
    lk.at = iapt_now();
    lk.by = "ANALYST";
    MDB_val k = {4, key}, v = {iapt__period_lock__pack(&lk, buf), buf};
    MDB_txn *txn = NULL;
    CHECK(iapt_store_write_begin(F.st, &txn) == 0);
    int rc = lock ? mdb_put(txn, F.st->lock, &k, &v, 0) : mdb_del(txn, F.st->lock, &k, NULL);
    CHECK(rc == 0);
    CHECK(iapt_store_commit(F.st, &txn) == 0);
}

/* The value of `measure` for the group (group type, org code; "all" for
 * England) in the measures answer the query endpoint gives an analyst,
 * unsuppressed. "" when no such row. */
static void
s_measure_value(const char *period, const char *group, const char *code, const char *measure,
                char *out, size_t out_size)
{
    iapt_hub_t hub;
    memset(&hub, 0, sizeof hub);
    hub.st = F.st;
    char *groups[1] = {(char *)group}, *ids[1] = {(char *)measure};
    Iapt__MeasuresRequest mr = IAPT__MEASURES_REQUEST__INIT;
    mr.period_from = (char *)period;
    mr.n_group_types = 1;
    mr.group_types = groups;
    mr.n_measure_ids = 1;
    mr.measure_ids = ids;
    mr.has_unsuppressed = 1;
    mr.unsuppressed = 1;
    Iapt__QueryRequest q = IAPT__QUERY_REQUEST__INIT;
    q.request_id = 7;
    q.body_case = IAPT__QUERY_REQUEST__BODY_MEASURES;
    q.measures = &mr;
    iapt_buf_t reply = IAPT_BUF_INIT;
    Iapt__Envelope *env = NULL;
    out[0] = 0;
    CHECK(iapt_query_answer(&hub, F.reg, F.ean, &q, &reply) == 0);
    CHECK(iapt_wire_unpack(reply.data, reply.len, SIZE_MAX, &env) == 0);
    if (env && env->body_case == IAPT__ENVELOPE__BODY_ANSWER &&
        env->answer->body_case == IAPT__QUERY_RESPONSE__BODY_MEASURES) {
        const Iapt__MeasuresResponse *m = env->answer->measures;
        for (size_t i = 0; i < m->n_rows; i++) {
            const Iapt__MeasureRow *row = m->rows[i];
            const char *c = strcmp(group, "Provider") == 0 ? row->org_code2 : row->org_code1;
            if (strcmp(row->group_type, group) == 0 && strcmp(c, code) == 0 &&
                strcmp(row->measure_id, measure) == 0)
                iapt_strlcpy(out, row->value, out_size);
        }
    }
    s_free(&env);
    iapt_buf_free(&reply);
}

/* ---- tests ----------------------------------------------------------------------------- */

/* Open -> chunks -> Close: a receipt the node's own check accepts, the
 * submission ACCEPTED and current, its records and cells stored; then the
 * same Open again is answered from the store with the same receipt bytes,
 * as is a Close again, while a Chunk after acceptance is a protocol error.
 * Records: NEW, FINISH, NEW -> M001 = 2, M056 = 1 (see the record kinds). */
static void
test_accept_and_already_have(void)
{
    fx_init();
    if (fx_start(16u << 20, 64u << 20) != 0)
        goto out;
    sub_t s;
    int kinds[] = {REC_NEW, REC_FINISH, REC_NEW};
    sub_make(&s, F.p1, "P01", PERIOD, 1, kinds, 3);
    Iapt__Envelope *r = s_send_all(F.e1, &s, 2);
    CHECK(IS(r, RECEIPT));
    iapt_buf_t rb = IAPT_BUF_INIT, rb2 = IAPT_BUF_INIT;
    s_receipt_bytes(r, &rb);
    s_free(&r);
    uint64_t index = 99;
    CHECK(iapt_receipt_verify(s.sm.data, s.sm.len, rb.data, rb.len, F.hub->sign_public, HUB_NAME,
                              &index) == 0);
    CHECK_EQ_INT(index, 0);
    Iapt__Receipt *rc = NULL;
    CHECK(iapt_receipt_open_bytes(rb.data, rb.len, F.hub->sign_public, &rc) == 0);
    if (rc) {
        CHECK_EQ_STR(rc->org_code, "P01");
        CHECK_EQ_STR(rc->period, PERIOD);
        CHECK_EQ_INT(rc->sequence, 1);
        CHECK_EQ_INT(rc->record_count, 3);
        CHECK_EQ_INT(rc->tree_size, 1);
        CHECK(!rc->has_supersedes);
        CHECK_EQ_MEM(rc->submission_id.data, s.id, 32);
        CHECK_EQ_MEM(rc->records_root.data, s.root, 32);
        CHECK_EQ_STR(rc->hub_name, HUB_NAME);
        iapt__receipt__free_unpacked(rc, NULL);
    }
    /* A receipt signed by any other key is not the hub's. */
    CHECK(iapt_receipt_verify(s.sm.data, s.sm.len, rb.data, rb.len, F.p1->sign_public, HUB_NAME,
                              NULL) != 0);

    CHECK_EQ_INT(s_state(s.id), IAPT__SUBMISSION_STATE__SUBMISSION_ACCEPTED);
    uint8_t cur[32];
    CHECK(s_current(PERIOD, "P01", cur) == 1);
    CHECK_EQ_MEM(cur, s.id, 32);
    Iapt__StoredSubmission *st = s_load(s.id);
    CHECK(st != NULL);
    if (st) {
        CHECK_EQ_INT(s_records(st->internal_seq), 3);
        for (size_t i = 0; i < 3; i++)
            CHECK(s_record_is(st->internal_seq, i, &s.rec[i]));
        CHECK(st->has_late && !st->late);
        CHECK(st->has_log_index && st->log_index == 0);
        CHECK(st->has_signed_receipt && st->signed_receipt.len == rb.len &&
              memcmp(st->signed_receipt.data, rb.data, rb.len) == 0);
        iapt__stored_submission__free_unpacked(st, NULL);
    }
    uint64_t refs;
    int64_t m001, m056;
    CHECK_EQ_INT(s_cells(PERIOD, "P01", 0, &refs, &m001, "M001"), 1); /* one commissioner */
    CHECK_EQ_INT(refs, 3);
    CHECK_EQ_INT(m001, 2);
    s_cells(PERIOD, "P01", 0, &refs, &m056, "M056");
    CHECK_EQ_INT(m056, 1);
    CHECK_EQ_INT(s_log_size(), 1);

    /* Exactly once: Open again is answered with the original receipt. */
    r = s_open(F.e1, &s);
    CHECK(IS(r, ALREADY_HAVE));
    s_receipt_bytes(r, &rb2);
    CHECK(rb2.len == rb.len && rb.len > 0 && memcmp(rb.data, rb2.data, rb.len) == 0);
    CHECK(r && r->body_case == IAPT__ENVELOPE__BODY_ALREADY_HAVE &&
          r->already_have->submission_id.len == 32 &&
          memcmp(r->already_have->submission_id.data, s.id, 32) == 0);
    s_free(&r);
    /* So is a Close again. */
    r = s_close(F.e1, s.id);
    CHECK(IS(r, ALREADY_HAVE));
    s_receipt_bytes(r, &rb2);
    CHECK(rb2.len == rb.len && memcmp(rb.data, rb2.data, rb.len) == 0);
    s_free(&r);
    /* A chunk for a closed submission changes nothing. */
    r = s_chunk(F.e1, &s, 0, 1);
    CHECK(IS_REFUSE(r, REFUSE_PROTOCOL));
    s_free(&r);
    CHECK_EQ_INT(s_log_size(), 1);
    CHECK_EQ_INT(s_records(UINT64_MAX), 3);
    s_cells(PERIOD, "P01", 0, &refs, &m001, "M001");
    CHECK_EQ_INT(refs, 3);

    iapt_buf_free(&rb);
    iapt_buf_free(&rb2);
    sub_free(&s);
out:
    fx_done();
}

/* Resume: Open again mid-transfer answers Accept with next_index = the
 * records held; an overlapping chunk stores only its new records and a
 * wholly repeated one stores none (no double write: the store holds each
 * index once with the original bytes, and the root still matches). */
static void
test_resume_and_duplicate_chunks(void)
{
    fx_init();
    if (fx_start(16u << 20, 64u << 20) != 0)
        goto out;
    sub_t s;
    int kinds[] = {REC_NEW, REC_FINISH, REC_NEW, REC_FINISH, REC_NEW, REC_NEW};
    sub_make(&s, F.p1, "P01", PERIOD, 1, kinds, 6);
    Iapt__Envelope *r = s_open(F.e1, &s);
    CHECK(IS(r, ACCEPT));
    if (r && r->body_case == IAPT__ENVELOPE__BODY_ACCEPT) {
        CHECK_EQ_INT(r->accept->next_index, 0);
        CHECK_EQ_INT(r->accept->credit, F.lim.window);
        CHECK_EQ_MEM(r->accept->submission_id.data, s.id, 32);
    }
    s_free(&r);
    r = s_chunk(F.e1, &s, 0, 2); /* records 0, 1 */
    CHECK(IS(r, CREDIT));
    s_free(&r);

    /* The node restarts: Open again resumes at 2. */
    r = s_open(F.e1, &s);
    CHECK(IS(r, ACCEPT));
    CHECK(r && r->body_case == IAPT__ENVELOPE__BODY_ACCEPT && r->accept->next_index == 2);
    s_free(&r);

    /* Overlap: records 1..3 when 0..1 are held -> 2 and 3 stored, next 4. */
    r = s_chunk(F.e1, &s, 1, 3);
    CHECK(IS(r, CREDIT));
    CHECK(r && r->body_case == IAPT__ENVELOPE__BODY_CREDIT && r->credit->next_index == 4);
    s_free(&r);
    /* Wholly repeated: records 0..1 again -> nothing stored, next stays 4. */
    r = s_chunk(F.e1, &s, 0, 2);
    CHECK(IS(r, CREDIT));
    CHECK(r && r->body_case == IAPT__ENVELOPE__BODY_CREDIT && r->credit->next_index == 4);
    s_free(&r);
    Iapt__StoredSubmission *st = s_load(s.id);
    CHECK(st != NULL);
    uint64_t seq = st ? st->internal_seq : 0;
    if (st) {
        CHECK_EQ_INT(st->next_index, 4);
        CHECK_EQ_INT(st->state, IAPT__SUBMISSION_STATE__SUBMISSION_RECEIVING);
        iapt__stored_submission__free_unpacked(st, NULL);
    }
    CHECK_EQ_INT(s_records(seq), 4);
    for (size_t i = 0; i < 4; i++)
        CHECK(s_record_is(seq, i, &s.rec[i]));

    /* An overlapping chunk whose repeated part differs is not written over
     * what is held: the held bytes stay (the root check at Close then
     * decides on what was stored). */
    iapt_buf_t alt[3] = {IAPT_BUF_INIT, IAPT_BUF_INIT, IAPT_BUF_INIT};
    s_rec(REC_FINISH, 77, &alt[0]); /* stands where record 3 is held */
    iapt_buf_append(&alt[1], s.rec[4].data, s.rec[4].len);
    iapt_buf_append(&alt[2], s.rec[5].data, s.rec[5].len);
    r = s_chunk_recs(F.e1, s.id, 3, alt, 3);
    CHECK(IS(r, CREDIT));
    CHECK(r && r->body_case == IAPT__ENVELOPE__BODY_CREDIT && r->credit->next_index == 6);
    s_free(&r);
    CHECK(s_record_is(seq, 3, &s.rec[3]));
    CHECK_EQ_INT(s_records(seq), 6);
    for (int i = 0; i < 3; i++)
        iapt_buf_free(&alt[i]);

    r = s_close(F.e1, s.id);
    CHECK(IS(r, RECEIPT));
    s_free(&r);
    CHECK_EQ_INT(s_state(s.id), IAPT__SUBMISSION_STATE__SUBMISSION_ACCEPTED);
    /* Six records counted once each: NEW x4 -> M001 = 4; FINISH x2 -> M056 = 2. */
    uint64_t refs;
    int64_t m001, m056;
    s_cells(PERIOD, "P01", 0, &refs, &m001, "M001");
    s_cells(PERIOD, "P01", 0, &refs, &m056, "M056");
    CHECK_EQ_INT(refs, 6);
    CHECK_EQ_INT(m001, 4);
    CHECK_EQ_INT(m056, 2);
    sub_free(&s);
out:
    fx_done();
}

/* Out of order and out of bounds: a chunk past next_index is a protocol
 * error, Close before every record is one, a chunk beyond record_count is
 * too large; none of them stores a record or moves next_index. Chunks and
 * Closes for unknown submissions are protocol errors too. */
static void
test_protocol_errors(void)
{
    fx_init();
    if (fx_start(16u << 20, 64u << 20) != 0)
        goto out;
    sub_t s;
    int kinds[] = {REC_NEW, REC_NEW, REC_NEW, REC_NEW};
    sub_make(&s, F.p1, "P01", PERIOD, 1, kinds, 4);
    Iapt__Envelope *r = s_open(F.e1, &s);
    CHECK(IS(r, ACCEPT));
    s_free(&r);
    r = s_chunk(F.e1, &s, 0, 1);
    CHECK(IS(r, CREDIT));
    s_free(&r);

    /* next_index is 1: a chunk starting at 2 leaves a gap. */
    r = s_chunk(F.e1, &s, 2, 1);
    CHECK(IS_REFUSE(r, REFUSE_PROTOCOL));
    CHECK(s_reason_has(r, "expected 1"));
    CHECK(r && r->body_case == IAPT__ENVELOPE__BODY_REFUSE && !r->refuse->permanent);
    s_free(&r);
    /* Close after 1 of 4. */
    r = s_close(F.e1, s.id);
    CHECK(IS_REFUSE(r, REFUSE_PROTOCOL));
    CHECK(s_reason_has(r, "1 of 4"));
    s_free(&r);
    /* From 1, five records would end at 6 > 4. */
    iapt_buf_t extra[5] = {IAPT_BUF_INIT, IAPT_BUF_INIT, IAPT_BUF_INIT, IAPT_BUF_INIT,
                           IAPT_BUF_INIT};
    for (int i = 0; i < 3; i++)
        iapt_buf_append(&extra[i], s.rec[1 + i].data, s.rec[1 + i].len);
    s_rec(REC_NEW, 50, &extra[3]);
    s_rec(REC_NEW, 51, &extra[4]);
    r = s_chunk_recs(F.e1, s.id, 1, extra, 5);
    CHECK(IS_REFUSE(r, REFUSE_TOO_LARGE));
    s_free(&r);
    for (int i = 0; i < 5; i++)
        iapt_buf_free(&extra[i]);

    Iapt__StoredSubmission *st = s_load(s.id);
    CHECK(st != NULL);
    if (st) {
        CHECK_EQ_INT(st->next_index, 1);
        CHECK_EQ_INT(s_records(st->internal_seq), 1);
        iapt__stored_submission__free_unpacked(st, NULL);
    }

    /* Unknown submission ids. */
    uint8_t nobody[32];
    memset(nobody, 0x42, sizeof nobody);
    r = s_chunk_recs(F.e1, nobody, 0, s.rec, 1);
    CHECK(IS_REFUSE(r, REFUSE_PROTOCOL));
    s_free(&r);
    r = s_close(F.e1, nobody);
    CHECK(IS_REFUSE(r, REFUSE_PROTOCOL));
    s_free(&r);

    /* The transfer is intact: the rest, then Close, is accepted. */
    r = s_chunk(F.e1, &s, 1, 3);
    CHECK(IS(r, CREDIT));
    s_free(&r);
    r = s_close(F.e1, s.id);
    CHECK(IS(r, RECEIPT));
    s_free(&r);
    CHECK_EQ_INT(s_records(UINT64_MAX), 4);
    sub_free(&s);
out:
    fx_done();
}

/* A record altered in transit: Close is refused with ROOT_MISMATCH and
 * the hub forgets the transfer (no submission row, none of its records,
 * nothing current, nothing in the log). The same signed manifest sent
 * again with the right records is accepted. */
static void
test_root_mismatch_discards(void)
{
    fx_init();
    if (fx_start(16u << 20, 64u << 20) != 0)
        goto out;
    sub_t s;
    int kinds[] = {REC_NEW, REC_FINISH, REC_NEW};
    sub_make(&s, F.p1, "P01", PERIOD, 1, kinds, 3);
    Iapt__Envelope *r = s_open(F.e1, &s);
    CHECK(IS(r, ACCEPT));
    s_free(&r);
    iapt_buf_t bad[3] = {IAPT_BUF_INIT, IAPT_BUF_INIT, IAPT_BUF_INIT};
    for (int i = 0; i < 3; i++)
        iapt_buf_append(&bad[i], s.rec[i].data, s.rec[i].len);
    bad[1].data[bad[1].len - 1] ^= 1; /* one bit of record 1 */
    r = s_chunk_recs(F.e1, s.id, 0, bad, 3);
    CHECK(IS(r, CREDIT));
    s_free(&r);
    for (int i = 0; i < 3; i++)
        iapt_buf_free(&bad[i]);
    CHECK_EQ_INT(s_records(UINT64_MAX), 3);
    r = s_close(F.e1, s.id);
    CHECK(IS_REFUSE(r, REFUSE_ROOT_MISMATCH));
    s_free(&r);
    CHECK_EQ_INT(s_state(s.id), -1);
    CHECK_EQ_INT(s_records(UINT64_MAX), 0);
    uint8_t cur[32];
    CHECK(s_current(PERIOD, "P01", cur) == 0);
    CHECK_EQ_INT(s_cells_all(PERIOD, "P01"), 0);
    CHECK_EQ_INT(s_log_size(), 0);

    /* Again, correctly: a fresh transfer from record 0, accepted. */
    r = s_send_all(F.e1, &s, 3);
    CHECK(IS(r, RECEIPT));
    iapt_buf_t rb = IAPT_BUF_INIT;
    s_receipt_bytes(r, &rb);
    CHECK(iapt_receipt_verify(s.sm.data, s.sm.len, rb.data, rb.len, F.hub->sign_public, HUB_NAME,
                              NULL) == 0);
    iapt_buf_free(&rb);
    s_free(&r);
    CHECK_EQ_INT(s_records(UINT64_MAX), 3);
    CHECK_EQ_INT(s_log_size(), 1);
    sub_free(&s);
out:
    fx_done();
}

/* A record that does not decode, one derivation refuses, and a repeated
 * pathway id: each is MALFORMED at Close, the reason names the record's
 * index, and nothing is counted (no cells, no current, no log leaf, no
 * records left). */
static void
test_malformed_records(void)
{
    fx_init();
    if (fx_start(16u << 20, 64u << 20) != 0)
        goto out;
    for (int variant = 0; variant < 3; variant++) {
        sub_t s;
        sub_init(&s, 3);
        s_rec(REC_NEW, 0, &s.rec[0]);
        s_rec(REC_FINISH, 2, &s.rec[2]);
        const char *want = NULL;
        if (variant == 0) {
            /* Field 1, length-delimited, 5 bytes announced, 1 present. */
            iapt_buf_append(&s.rec[1], "\x0a\x05\x01", 3);
            want = "record 1: does not decode";
        } else if (variant == 1) {
            s_rec(REC_LATE, 1, &s.rec[1]);
            want = "record 1: referral_day";
        } else {
            s_rec(REC_NEW, 0, &s.rec[1]); /* record 0's pathway id again */
            want = "record 1: repeats a pathway id";
        }
        sub_sign(&s, F.p1, "P01", PERIOD, 1);
        Iapt__Envelope *r = s_send_all(F.e1, &s, 3);
        CHECK(IS_REFUSE(r, REFUSE_MALFORMED));
        if (!s_reason_has(r, want)) {
            fprintf(stderr, "variant %d: reason lacks \"%s\"\n", variant, want);
            CHECK(0);
        }
        CHECK(r && r->body_case == IAPT__ENVELOPE__BODY_REFUSE && r->refuse->permanent);
        s_free(&r);
        CHECK_EQ_INT(s_state(s.id), -1);
        CHECK_EQ_INT(s_records(UINT64_MAX), 0);
        uint8_t cur[32];
        CHECK(s_current(PERIOD, "P01", cur) == 0);
        CHECK_EQ_INT(s_cells_all(PERIOD, "P01"), 0);
        CHECK_EQ_INT(s_log_size(), 0);
        sub_free(&s);
    }
    /* The provider's sequence was not used up: 1 is still acceptable. */
    sub_t ok;
    int kinds[] = {REC_NEW};
    sub_make(&ok, F.p1, "P01", PERIOD, 1, kinds, 1);
    Iapt__Envelope *r = s_send_all(F.e1, &ok, 1);
    CHECK(IS(r, RECEIPT));
    s_free(&r);
    sub_free(&ok);
out:
    fx_done();
}

/* Manifests that must not open a transfer: another organisation's code,
 * a signature by another key or with a flipped bit, a sequence not above
 * the latest accepted, a period that has not started; keys that may not
 * submit at all: an analyst's, a revoked provider's. No refusal stores a
 * thing. Another organisation cannot push chunks into or close a transfer
 * that is not its own. */
static void
test_refused_opens(void)
{
    fx_init();
    if (fx_start(16u << 20, 64u << 20) != 0)
        goto out;
    int one[] = {REC_NEW};
    sub_t s;
    Iapt__Envelope *r;

    /* P01's key signs a manifest naming P02. */
    sub_make(&s, F.p1, "P02", PERIOD, 1, one, 1);
    r = s_open(F.e1, &s);
    CHECK(IS_REFUSE(r, REFUSE_WRONG_ORG));
    s_free(&r);
    sub_free(&s);

    /* P02's key signs a manifest naming P01, sent on P01's connection. */
    sub_make(&s, F.p2, "P01", PERIOD, 1, one, 1);
    r = s_open(F.e1, &s);
    CHECK(IS_REFUSE(r, REFUSE_BAD_SIGNATURE));
    s_free(&r);
    sub_free(&s);

    /* A flipped bit in the signature (its last byte). */
    sub_make(&s, F.p1, "P01", PERIOD, 1, one, 1);
    s.sm.data[s.sm.len - 1] ^= 0x80;
    r = s_open(F.e1, &s);
    CHECK(IS_REFUSE(r, REFUSE_BAD_SIGNATURE));
    s_free(&r);
    sub_free(&s);

    /* Not a signed manifest at all. */
    sub_make(&s, F.p1, "P01", PERIOD, 1, one, 1);
    s.sm.len = 5;
    r = s_open(F.e1, &s);
    CHECK(IS_REFUSE(r, REFUSE_MALFORMED));
    s_free(&r);
    sub_free(&s);

    /* Now is 10 October 2025: November has not started. */
    sub_make(&s, F.p1, "P01", "2025-11", 1, one, 1);
    r = s_open(F.e1, &s);
    CHECK(IS_REFUSE(r, REFUSE_INVALID));
    s_free(&r);
    sub_free(&s);

    /* An analyst's key, a revoked provider's key. */
    sub_make(&s, F.p3, "P03", PERIOD, 1, one, 1);
    r = s_open(F.e3, &s);
    CHECK(IS_REFUSE(r, REFUSE_REVOKED));
    s_free(&r);
    r = s_open(F.ean, &s);
    CHECK(IS_REFUSE(r, REFUSE_ROLE));
    s_free(&r);
    sub_free(&s);

    CHECK_EQ_INT(s_records(UINT64_MAX), 0);
    CHECK_EQ_INT(s_log_size(), 0);

    /* Stale: 5 accepted, then 5 (other content) and 4 refused. */
    sub_make(&s, F.p1, "P01", PERIOD, 5, one, 1);
    r = s_send_all(F.e1, &s, 1);
    CHECK(IS(r, RECEIPT));
    s_free(&r);
    sub_free(&s);
    int two[] = {REC_NEW, REC_NEW};
    for (uint64_t seq = 5; seq >= 4; seq--) {
        sub_make(&s, F.p1, "P01", PERIOD, seq, two, 2);
        r = s_open(F.e1, &s);
        CHECK(IS_REFUSE(r, REFUSE_STALE));
        CHECK(s_reason_has(r, "not above 5"));
        s_free(&r);
        CHECK_EQ_INT(s_state(s.id), -1);
        sub_free(&s);
    }
    /* Sequence numbers are the provider's, across periods: August with 5 is stale too. */
    sub_make(&s, F.p1, "P01", "2025-08", 5, one, 1);
    r = s_open(F.e1, &s);
    CHECK(IS_REFUSE(r, REFUSE_STALE));
    s_free(&r);
    sub_free(&s);
    /* Another provider keeps its own numbering. */
    sub_make(&s, F.p2, "P02", PERIOD, 1, one, 1);
    r = s_send_all(F.e2, &s, 1);
    CHECK(IS(r, RECEIPT));
    s_free(&r);
    sub_free(&s);

    /* P02 cannot push into or close P01's open transfer. */
    sub_make(&s, F.p1, "P01", PERIOD, 6, two, 2);
    r = s_open(F.e1, &s);
    CHECK(IS(r, ACCEPT));
    s_free(&r);
    r = s_chunk(F.e2, &s, 0, 2);
    CHECK(IS_REFUSE(r, REFUSE_WRONG_ORG));
    s_free(&r);
    r = s_close(F.e2, s.id);
    CHECK(IS_REFUSE(r, REFUSE_WRONG_ORG));
    s_free(&r);
    /* P02 presenting P01's signed manifest fails P02's key. */
    r = s_open(F.e2, &s);
    CHECK(IS_REFUSE(r, REFUSE_BAD_SIGNATURE));
    s_free(&r);
    Iapt__StoredSubmission *st = s_load(s.id);
    CHECK(st && st->next_index == 0 && st->state == IAPT__SUBMISSION_STATE__SUBMISSION_RECEIVING);
    if (st)
        iapt__stored_submission__free_unpacked(st, NULL);
    r = s_chunk(F.e1, &s, 0, 2);
    CHECK(IS(r, CREDIT));
    s_free(&r);
    r = s_close(F.e1, s.id);
    CHECK(IS(r, RECEIPT));
    s_free(&r);
    sub_free(&s);
    CHECK_EQ_INT(s_log_size(), 3);
out:
    fx_done();
}

/* Latest submission wins. P01 sends September as sequence 1 (NEW, FINISH,
 * NEW: M001 2, M056 1, 3 referrals) and P02 sends September (NEW: M001 1).
 * England: M001 2 + 1 = 3, M056 1. Then P01 sends September again as
 * sequence 2 (FINISH only: M001 0, M056 1, 1 referral): the first becomes
 * SUPERSEDED (superseded_by the second), `current` names the second, the
 * receipt says what it supersedes, P01's cells in every breakdown hold 1
 * referral, and England: M001 0 + 1 = 1, M056 1 + 0 = 1 (3 and 2 if the
 * old one still counted). An August submission (sequence 3) leaves September
 * alone. */
static void
test_supersede(void)
{
    fx_init();
    if (fx_start(16u << 20, 64u << 20) != 0)
        goto out;
    sub_t a, b, c, d;
    int ka[] = {REC_NEW, REC_FINISH, REC_NEW}, kb[] = {REC_NEW}, kc[] = {REC_FINISH};
    sub_make(&a, F.p1, "P01", PERIOD, 1, ka, 3);
    sub_make(&b, F.p2, "P02", PERIOD, 1, kb, 1);
    /* One record where three were counted would be held for review
     * (test_review_*); forced, as the node's --force signs it, it is not. */
    sub_forced = 1;
    sub_make(&c, F.p1, "P01", PERIOD, 2, kc, 1);
    sub_forced = 0;
    sub_make(&d, F.p1, "P01", "2025-08", 3, kb, 1);
    Iapt__Envelope *r = s_send_all(F.e1, &a, 3);
    CHECK(IS(r, RECEIPT));
    s_free(&r);
    r = s_send_all(F.e2, &b, 1);
    CHECK(IS(r, RECEIPT));
    s_free(&r);
    char v[32];
    s_measure_value(PERIOD, "England", "all", "M001", v, sizeof v);
    CHECK_EQ_STR(v, "3");
    s_measure_value(PERIOD, "England", "all", "M056", v, sizeof v);
    CHECK_EQ_STR(v, "1");
    s_measure_value(PERIOD, "Provider", "P01", "M001", v, sizeof v);
    CHECK_EQ_STR(v, "2");

    r = s_send_all(F.e1, &c, 1);
    CHECK(IS(r, RECEIPT));
    iapt_buf_t rb = IAPT_BUF_INIT;
    s_receipt_bytes(r, &rb);
    s_free(&r);
    Iapt__Receipt *rc = NULL;
    CHECK(iapt_receipt_open_bytes(rb.data, rb.len, F.hub->sign_public, &rc) == 0);
    CHECK(rc && rc->has_supersedes && rc->supersedes.len == 32 &&
          memcmp(rc->supersedes.data, a.id, 32) == 0);
    if (rc)
        iapt__receipt__free_unpacked(rc, NULL);
    iapt_buf_free(&rb);

    Iapt__StoredSubmission *old = s_load(a.id);
    CHECK(old && old->state == IAPT__SUBMISSION_STATE__SUBMISSION_SUPERSEDED);
    CHECK(old && old->has_superseded_by && old->superseded_by.len == 32 &&
          memcmp(old->superseded_by.data, c.id, 32) == 0);
    /* Kept for audit: its records and its receipt stay. */
    if (old) {
        CHECK_EQ_INT(s_records(old->internal_seq), 3);
        CHECK(old->has_signed_receipt);
        iapt__stored_submission__free_unpacked(old, NULL);
    }
    CHECK_EQ_INT(s_state(c.id), IAPT__SUBMISSION_STATE__SUBMISSION_ACCEPTED);
    uint8_t cur[32];
    CHECK(s_current(PERIOD, "P01", cur) == 1);
    CHECK_EQ_MEM(cur, c.id, 32);
    for (int dim = 0; dim < IAPT_BREAKDOWN_COUNT; dim++) {
        uint64_t refs;
        int64_t m001;
        CHECK(s_cells(PERIOD, "P01", dim, &refs, &m001, "M001") >= 1);
        if (refs != 1 || m001 != 0)
            fprintf(stderr, "breakdown %d: %llu referrals, M001 %lld\n", dim,
                    (unsigned long long)refs, (long long)m001);
        CHECK_EQ_INT(refs, 1);
        CHECK_EQ_INT(m001, 0);
    }
    s_measure_value(PERIOD, "England", "all", "M001", v, sizeof v);
    CHECK_EQ_STR(v, "1");
    s_measure_value(PERIOD, "England", "all", "M056", v, sizeof v);
    CHECK_EQ_STR(v, "1");
    s_measure_value(PERIOD, "Provider", "P01", "M001", v, sizeof v);
    CHECK_EQ_STR(v, "0");
    s_measure_value(PERIOD, "Provider", "P02", "M001", v, sizeof v);
    CHECK_EQ_STR(v, "1");

    /* August for P01 (sequence 3) does not touch September. */
    r = s_send_all(F.e1, &d, 1);
    CHECK(IS(r, RECEIPT));
    CHECK(r && r->body_case == IAPT__ENVELOPE__BODY_RECEIPT);
    s_free(&r);
    CHECK(s_current(PERIOD, "P01", cur) == 1);
    CHECK_EQ_MEM(cur, c.id, 32);
    CHECK(s_current("2025-08", "P01", cur) == 1);
    CHECK_EQ_MEM(cur, d.id, 32);
    s_measure_value(PERIOD, "England", "all", "M001", v, sizeof v);
    CHECK_EQ_STR(v, "1");
    s_measure_value("2025-08", "England", "all", "M001", v, sizeof v);
    CHECK_EQ_STR(v, "1");
    CHECK_EQ_INT(s_log_size(), 4);
    sub_free(&a);
    sub_free(&b);
    sub_free(&c);
    sub_free(&d);
out:
    fx_done();
}

/* Two transfers for one period, open together: sequence 2 (FINISH) closes
 * first and is accepted; sequence 1 (NEW, NEW) closes after it and is
 * STALE, discarded: only sequence 2 counts (M001 0, M056 1, 1 referral). */
static void
test_higher_sequence_closes_first(void)
{
    fx_init();
    if (fx_start(16u << 20, 64u << 20) != 0)
        goto out;
    sub_t a, b;
    int ka[] = {REC_NEW, REC_NEW}, kb[] = {REC_FINISH};
    sub_make(&a, F.p1, "P01", PERIOD, 1, ka, 2);
    sub_make(&b, F.p1, "P01", PERIOD, 2, kb, 1);
    Iapt__Envelope *r = s_open(F.e1, &a);
    CHECK(IS(r, ACCEPT));
    s_free(&r);
    r = s_chunk(F.e1, &a, 0, 2);
    CHECK(IS(r, CREDIT));
    s_free(&r);
    r = s_send_all(F.e1, &b, 1);
    CHECK(IS(r, RECEIPT));
    s_free(&r);
    r = s_close(F.e1, a.id);
    CHECK(IS_REFUSE(r, REFUSE_STALE));
    s_free(&r);
    CHECK_EQ_INT(s_state(a.id), -1);
    uint8_t cur[32];
    CHECK(s_current(PERIOD, "P01", cur) == 1);
    CHECK_EQ_MEM(cur, b.id, 32);
    uint64_t refs;
    int64_t m001, m056;
    s_cells(PERIOD, "P01", 0, &refs, &m001, "M001");
    s_cells(PERIOD, "P01", 0, &refs, &m056, "M056");
    CHECK_EQ_INT(refs, 1);
    CHECK_EQ_INT(m001, 0);
    CHECK_EQ_INT(m056, 1);
    CHECK_EQ_INT(s_log_size(), 1);
    CHECK_EQ_INT(s_records(UINT64_MAX), 1);
    sub_free(&a);
    sub_free(&b);
out:
    fx_done();
}

/* A locked period refuses Open with a reason the provider can act on; a
 * lock set while a transfer runs refuses its Close and discards it;
 * unlocking reopens the period. */
static void
test_period_lock(void)
{
    fx_init();
    if (fx_start(16u << 20, 64u << 20) != 0)
        goto out;
    sub_t s;
    int kinds[] = {REC_NEW, REC_FINISH};
    sub_make(&s, F.p1, "P01", PERIOD, 1, kinds, 2);
    s_put_lock(PERIOD, 1);
    Iapt__Envelope *r = s_open(F.e1, &s);
    CHECK(IS_REFUSE(r, REFUSE_PERIOD_LOCKED));
    CHECK(s_reason_has(r, PERIOD));
    CHECK(s_reason_has(r, "ANALYST"));
    CHECK(r && r->body_case == IAPT__ENVELOPE__BODY_REFUSE && r->refuse->permanent);
    s_free(&r);
    CHECK_EQ_INT(s_state(s.id), -1);
    /* Another period is open. */
    sub_t aug;
    int one[] = {REC_NEW};
    sub_make(&aug, F.p2, "P02", "2025-08", 1, one, 1);
    r = s_send_all(F.e2, &aug, 1);
    CHECK(IS(r, RECEIPT));
    s_free(&r);

    s_put_lock(PERIOD, 0);
    r = s_open(F.e1, &s);
    CHECK(IS(r, ACCEPT));
    s_free(&r);
    r = s_chunk(F.e1, &s, 0, 2);
    CHECK(IS(r, CREDIT));
    s_free(&r);
    s_put_lock(PERIOD, 1); /* closed while the records were on their way */
    r = s_close(F.e1, s.id);
    CHECK(IS_REFUSE(r, REFUSE_PERIOD_LOCKED));
    s_free(&r);
    CHECK_EQ_INT(s_state(s.id), -1);
    CHECK_EQ_INT(s_records(UINT64_MAX), 1); /* August's one record only */
    uint8_t cur[32];
    CHECK(s_current(PERIOD, "P01", cur) == 0);
    CHECK_EQ_INT(s_cells_all(PERIOD, "P01"), 0);
    CHECK_EQ_INT(s_log_size(), 1);

    s_put_lock(PERIOD, 0);
    r = s_send_all(F.e1, &s, 2);
    CHECK(IS(r, RECEIPT));
    s_free(&r);
    CHECK(s_current(PERIOD, "P01", cur) == 1);
    sub_free(&s);
    sub_free(&aug);
out:
    fx_done();
}

/* At most max_transfers (2) open transfers per provider: a third Open is
 * BUSY (temporary), other providers are not affected, a transfer resuming
 * is not a new one, and a slot frees when a transfer is accepted. */
static void
test_concurrency_limit(void)
{
    fx_init();
    if (fx_start(16u << 20, 64u << 20) != 0)
        goto out;
    int one[] = {REC_NEW};
    sub_t a, b, c, x;
    sub_make(&a, F.p1, "P01", "2025-07", 1, one, 1);
    sub_make(&b, F.p1, "P01", "2025-08", 2, one, 1);
    sub_make(&c, F.p1, "P01", "2025-09", 3, one, 1);
    sub_make(&x, F.p2, "P02", "2025-09", 1, one, 1);
    Iapt__Envelope *r = s_open(F.e1, &a);
    CHECK(IS(r, ACCEPT));
    s_free(&r);
    r = s_open(F.e1, &b);
    CHECK(IS(r, ACCEPT));
    s_free(&r);
    r = s_open(F.e1, &c);
    CHECK(IS_REFUSE(r, REFUSE_BUSY));
    CHECK(r && r->body_case == IAPT__ENVELOPE__BODY_REFUSE && !r->refuse->permanent);
    s_free(&r);
    CHECK_EQ_INT(s_state(c.id), -1);
    r = s_open(F.e2, &x);
    CHECK(IS(r, ACCEPT));
    s_free(&r);
    r = s_open(F.e1, &a); /* resuming */
    CHECK(IS(r, ACCEPT));
    s_free(&r);
    r = s_chunk(F.e1, &a, 0, 1);
    CHECK(IS(r, CREDIT));
    s_free(&r);
    r = s_close(F.e1, a.id);
    CHECK(IS(r, RECEIPT));
    s_free(&r);
    r = s_open(F.e1, &c);
    CHECK(IS(r, ACCEPT));
    s_free(&r);
    sub_free(&a);
    sub_free(&b);
    sub_free(&c);
    sub_free(&x);
out:
    fx_done();
}

/* A transfer silent for transfer_idle_ms stops counting against the limit. */
static void
test_concurrency_idle(void)
{
    fx_init();
    F.lim.max_transfers = 1;
    F.lim.transfer_idle_ms = 100;
    if (fx_start(16u << 20, 64u << 20) != 0)
        goto out;
    int one[] = {REC_NEW};
    sub_t a, b;
    sub_make(&a, F.p1, "P01", "2025-07", 1, one, 1);
    sub_make(&b, F.p1, "P01", "2025-08", 2, one, 1);
    Iapt__Envelope *r = s_open(F.e1, &a);
    CHECK(IS(r, ACCEPT));
    s_free(&r);
    r = s_open(F.e1, &b);
    CHECK(IS_REFUSE(r, REFUSE_BUSY));
    s_free(&r);
    struct timespec ts = {0, 250 * 1000000L};
    nanosleep(&ts, NULL);
    r = s_open(F.e1, &b);
    CHECK(IS(r, ACCEPT));
    s_free(&r);
    sub_free(&a);
    sub_free(&b);
out:
    fx_done();
}

/* A resumed transfer is a transfer: once idle it no longer holds a slot, so
 * resuming it (after a hub restart, or a node back after a pause) must fit
 * under max_transfers like a new Open; while it is active, its own node
 * reconnecting is not counted twice. */
static void
test_concurrency_resume(void)
{
    fx_init();
    F.lim.max_transfers = 1;
    F.lim.transfer_idle_ms = 100;
    if (fx_start(16u << 20, 64u << 20) != 0)
        goto out;
    int one[] = {REC_NEW};
    sub_t a, b;
    sub_make(&a, F.p1, "P01", "2025-07", 1, one, 1);
    sub_make(&b, F.p1, "P01", "2025-08", 2, one, 1);
    Iapt__Envelope *r = s_open(F.e1, &a);
    CHECK(IS(r, ACCEPT));
    s_free(&r);
    struct timespec ts = {0, 250 * 1000000L};
    nanosleep(&ts, NULL);
    r = s_open(F.e1, &b); /* a is idle: b takes the slot */
    CHECK(IS(r, ACCEPT));
    s_free(&r);
    r = s_open(F.e1, &b); /* b's node reconnecting: still its own slot */
    CHECK(IS(r, ACCEPT));
    s_free(&r);
    r = s_open(F.e1, &a); /* resuming a would make two */
    CHECK(IS_REFUSE(r, REFUSE_BUSY));
    CHECK(r && r->body_case == IAPT__ENVELOPE__BODY_REFUSE && !r->refuse->permanent);
    s_free(&r);
    CHECK_EQ_INT(s_state(a.id), IAPT__SUBMISSION_STATE__SUBMISSION_RECEIVING); /* still held */
    sub_free(&a);
    sub_free(&b);
out:
    fx_done();
}

/* An Open whose write transaction was aborted (the batch it came in failed,
 * e.g. on a full map) opened nothing: sent again, it must be accepted, not
 * refused as busy on account of itself. With max_transfers 1 the limit
 * still holds against a second, real transfer. */
static void
test_aborted_open_holds_no_slot(void)
{
    fx_init();
    F.lim.max_transfers = 1;
    if (fx_start(16u << 20, 64u << 20) != 0)
        goto out;
    int one[] = {REC_NEW};
    sub_t a, b;
    sub_make(&a, F.p1, "P01", PERIOD, 1, one, 1);
    sub_make(&b, F.p1, "P01", "2025-08", 2, one, 1);
    MDB_txn *txn = NULL;
    CHECK(iapt_store_write_begin(F.st, &txn) == 0);
    Iapt__Envelope env;
    Iapt__Open o;
    s_env_open(&env, &o, &a);
    int rc;
    Iapt__Envelope *r = s_call_in(txn, F.e1, &env, &rc);
    CHECK(rc == 0);
    CHECK(IS(r, ACCEPT));
    s_free(&r);
    iapt_store_abort(&txn);
    CHECK_EQ_INT(s_state(a.id), -1);

    r = s_open(F.e1, &a);
    CHECK(IS(r, ACCEPT));
    s_free(&r);
    r = s_open(F.e1, &b);
    CHECK(IS_REFUSE(r, REFUSE_BUSY));
    s_free(&r);
    sub_free(&a);
    sub_free(&b);
out:
    fx_done();
}

/* Acceptance is one transaction: Close inside a transaction the caller then
 * aborts leaves the submission RECEIVING, nothing current, no cells, no log
 * leaf, no checkpoint; the Close sent again is accepted, with log index 0. */
static void
test_atomic_acceptance(void)
{
    fx_init();
    if (fx_start(16u << 20, 64u << 20) != 0)
        goto out;
    sub_t s;
    int kinds[] = {REC_NEW, REC_FINISH};
    sub_make(&s, F.p1, "P01", PERIOD, 1, kinds, 2);
    Iapt__Envelope *r = s_open(F.e1, &s);
    CHECK(IS(r, ACCEPT));
    s_free(&r);
    r = s_chunk(F.e1, &s, 0, 2);
    CHECK(IS(r, CREDIT));
    s_free(&r);

    MDB_txn *txn = NULL;
    CHECK(iapt_store_write_begin(F.st, &txn) == 0);
    Iapt__Envelope env;
    Iapt__Close cl;
    s_env_close(&env, &cl, s.id);
    int rc;
    r = s_call_in(txn, F.e1, &env, &rc);
    CHECK(rc == 0);
    CHECK(IS(r, RECEIPT));
    s_free(&r);
    iapt_store_abort(&txn);

    CHECK_EQ_INT(s_state(s.id), IAPT__SUBMISSION_STATE__SUBMISSION_RECEIVING);
    uint8_t cur[32];
    CHECK(s_current(PERIOD, "P01", cur) == 0);
    CHECK_EQ_INT(s_cells_all(PERIOD, "P01"), 0);
    CHECK_EQ_INT(s_log_size(), 0);
    {
        MDB_txn *rt = NULL;
        MDB_cursor *c = NULL;
        MDB_val k, v;
        CHECK(iapt_store_read_begin(F.st, &rt) == 0);
        CHECK(mdb_cursor_open(rt, F.st->checkpoint, &c) == 0);
        CHECK(mdb_cursor_get(c, &k, &v, MDB_FIRST) == MDB_NOTFOUND);
        mdb_cursor_close(c);
        iapt_store_read_end(F.st, &rt);
    }

    r = s_close(F.e1, s.id);
    CHECK(IS(r, RECEIPT));
    iapt_buf_t rb = IAPT_BUF_INIT;
    s_receipt_bytes(r, &rb);
    uint64_t index = 99;
    CHECK(iapt_receipt_verify(s.sm.data, s.sm.len, rb.data, rb.len, F.hub->sign_public, HUB_NAME,
                              &index) == 0);
    CHECK_EQ_INT(index, 0);
    iapt_buf_free(&rb);
    s_free(&r);
    CHECK_EQ_INT(s_state(s.id), IAPT__SUBMISSION_STATE__SUBMISSION_ACCEPTED);
    CHECK_EQ_INT(s_log_size(), 1);
    sub_free(&s);
out:
    fx_done();
}

/* The log: one leaf per acceptance and none for anything else; leaf i is
 * the i-th accepted signed manifest, byte for byte; the root recomputed
 * here over those bytes is the root of the stored checkpoint for every
 * size, each checkpoint verifies with the hub's key under its name, and
 * consecutive checkpoints are consistent. */
static void
test_log_and_checkpoints(void)
{
    fx_init();
    if (fx_start(16u << 20, 64u << 20) != 0)
        goto out;
    int one[] = {REC_NEW}, two[] = {REC_FINISH, REC_NEW};
    sub_t s[4];
    sub_make(&s[0], F.p1, "P01", PERIOD, 1, one, 1);
    sub_make(&s[1], F.p2, "P02", PERIOD, 1, two, 2);
    sub_make(&s[2], F.p1, "P01", PERIOD, 2, two, 2);
    sub_make(&s[3], F.p2, "P02", "2025-08", 2, one, 1);
    iapt_buf_t leaves[4];
    memset(leaves, 0, sizeof leaves);
    uint8_t roots[5][32];
    for (int i = 0; i < 4; i++) {
        Iapt__Envelope *r = s_send_all(i % 2 ? F.e2 : F.e1, &s[i], 2);
        CHECK(IS(r, RECEIPT));
        s_free(&r);
        /* Things that must not add a leaf: the same Open again, a stale one. */
        r = s_open(i % 2 ? F.e2 : F.e1, &s[i]);
        CHECK(IS(r, ALREADY_HAVE));
        s_free(&r);
        CHECK_EQ_INT(s_log_size(), i + 1);
        iapt_buf_append(&leaves[i], s[i].sm.data, s[i].sm.len);
        s_mth(leaves, (size_t)i + 1, roots[i + 1]);
    }
    MDB_txn *txn = NULL;
    CHECK(iapt_store_read_begin(F.st, &txn) == 0);
    for (uint64_t i = 0; i < 4; i++) {
        const uint8_t *data;
        size_t len;
        CHECK(iapt_translog_leaf(txn, F.st->log, i, &data, &len) == 0 && len == leaves[i].len &&
              memcmp(data, leaves[i].data, len) == 0);
    }
    for (uint64_t size = 1; size <= 4; size++) {
        uint8_t key[8], root[32], stored_root[32];
        iapt_be64(key, size);
        MDB_val k = {8, key}, v;
        CHECK(iapt_translog_root(txn, F.st->log, size, stored_root) == 0);
        CHECK_EQ_MEM(stored_root, roots[size], 32);
        int got = mdb_get(txn, F.st->checkpoint, &k, &v);
        CHECK(got == 0);
        if (got)
            continue;
        uint64_t n = 0;
        char origin[128];
        CHECK(iapt_checkpoint_open(v.mv_data, v.mv_size, HUB_NAME, F.hub->sign_public, &n, root,
                                   origin, sizeof origin) == 0);
        CHECK_EQ_INT(n, size);
        CHECK_EQ_MEM(root, roots[size], 32);
        CHECK_EQ_STR(origin, HUB_NAME);
        /* Not a provider's signature. */
        CHECK(iapt_checkpoint_open(v.mv_data, v.mv_size, HUB_NAME, F.p1->sign_public, &n, root,
                                   NULL, 0) != 0);
        if (size > 1) {
            uint8_t proof[IAPT_MERKLE_PROOF_MAX_BYTES];
            size_t plen = 0;
            CHECK(iapt_translog_consistency(txn, F.st->log, size - 1, size, proof, &plen) == 0);
            CHECK(iapt_merkle_verify_consistency(size - 1, size, roots[size - 1], roots[size],
                                                 proof, plen) == 0);
        }
    }
    iapt_store_read_end(F.st, &txn);
    for (int i = 0; i < 4; i++) {
        iapt_buf_free(&leaves[i]);
        sub_free(&s[i]);
    }
out:
    fx_done();
}

/* Late: due by the end of day `deadline_day` (20) of the following month.
 * September 2025 is on time until 2025-10-20T23:59:59Z and late from
 * 2025-10-21T00:00:00Z. */
static void
test_late_flag(void)
{
    fx_init();
    if (fx_start(16u << 20, 64u << 20) != 0)
        goto out;
    int one[] = {REC_NEW};
    sub_t a, b;
    sub_make(&a, F.p1, "P01", PERIOD, 1, one, 1);
    sub_make(&b, F.p2, "P02", PERIOD, 1, one, 1);
    s_set_now(s_when(2025, 10, 20, 23, 59, 59));
    Iapt__Envelope *r = s_send_all(F.e1, &a, 1);
    CHECK(IS(r, RECEIPT));
    s_free(&r);
    s_set_now(s_when(2025, 10, 21, 0, 0, 0));
    r = s_send_all(F.e2, &b, 1);
    CHECK(IS(r, RECEIPT));
    s_free(&r);
    Iapt__StoredSubmission *sa = s_load(a.id), *sb = s_load(b.id);
    CHECK(sa && sa->has_late && !sa->late);
    CHECK(sb && sb->has_late && sb->late);
    CHECK(sb && sb->accepted_at == s_when(2025, 10, 21, 0, 0, 0));
    if (sa)
        iapt__stored_submission__free_unpacked(sa, NULL);
    if (sb)
        iapt__stored_submission__free_unpacked(sb, NULL);
    sub_free(&a);
    sub_free(&b);
out:
    fx_done();
}

/* Limits: a manifest announcing more than max_records is TOO_LARGE at
 * Open; a chunk holding a record over max_record (TOO_LARGE) or an empty one (MALFORMED) is
 * refused and stores none of its records, not even those before the bad
 * one, nor moves next_index; a submission of no records at all (a month
 * without open referrals) is accepted, with the empty tree's root, and
 * stores no cells. */
static void
test_record_limits(void)
{
    fx_init();
    F.lim.max_records = 3;
    F.lim.max_record = 100; /* REC_NEW is under (47 bytes), REC_BIG over (179) */
    if (fx_start(16u << 20, 64u << 20) != 0)
        goto out;
    int four[] = {REC_NEW, REC_NEW, REC_NEW, REC_NEW};
    sub_t s;
    sub_make(&s, F.p1, "P01", PERIOD, 1, four, 4);
    Iapt__Envelope *r = s_open(F.e1, &s);
    CHECK(IS_REFUSE(r, REFUSE_TOO_LARGE));
    s_free(&r);
    CHECK_EQ_INT(s_state(s.id), -1);
    sub_free(&s);

    int three[] = {REC_NEW, REC_NEW, REC_BIG};
    sub_make(&s, F.p1, "P01", PERIOD, 1, three, 3);
    CHECK(s.rec[0].len <= 100 && s.rec[1].len <= 100 && s.rec[2].len > 100);
    r = s_open(F.e1, &s);
    CHECK(IS(r, ACCEPT));
    s_free(&r);
    r = s_chunk(F.e1, &s, 0, 3);
    CHECK(IS_REFUSE(r, REFUSE_TOO_LARGE));
    CHECK(s_reason_has(r, "record 2"));
    s_free(&r);
    Iapt__StoredSubmission *st = s_load(s.id);
    CHECK(st != NULL);
    if (st) {
        CHECK_EQ_INT(st->next_index, 0);
        CHECK_EQ_INT(s_records(st->internal_seq), 0);
        iapt__stored_submission__free_unpacked(st, NULL);
    }
    /* An empty record in the middle of a chunk: the same. */
    iapt_buf_t recs[3] = {IAPT_BUF_INIT, IAPT_BUF_INIT, IAPT_BUF_INIT};
    iapt_buf_append(&recs[0], s.rec[0].data, s.rec[0].len);
    iapt_buf_append(&recs[2], s.rec[1].data, s.rec[1].len);
    r = s_chunk_recs(F.e1, s.id, 0, recs, 3);
    CHECK(s_is_refuse(r, IAPT__REFUSE_CODE__REFUSE_MALFORMED, __LINE__));
    CHECK(r && r->refuse && strstr(r->refuse->reason, "record 1 is empty"));
    s_free(&r);
    CHECK_EQ_INT(s_records(UINT64_MAX), 0);
    for (int i = 0; i < 3; i++)
        iapt_buf_free(&recs[i]);
    sub_free(&s);

    sub_init(&s, 0);
    sub_sign(&s, F.p2, "P02", PERIOD, 1);
    r = s_open(F.e2, &s);
    CHECK(IS(r, ACCEPT));
    s_free(&r);
    r = s_close(F.e2, s.id);
    CHECK(IS(r, RECEIPT));
    iapt_buf_t rb = IAPT_BUF_INIT;
    s_receipt_bytes(r, &rb);
    CHECK(iapt_receipt_verify(s.sm.data, s.sm.len, rb.data, rb.len, F.hub->sign_public, HUB_NAME,
                              NULL) == 0);
    iapt_buf_free(&rb);
    s_free(&r);
    CHECK_EQ_INT(s_state(s.id), IAPT__SUBMISSION_STATE__SUBMISSION_ACCEPTED);
    CHECK_EQ_INT(s_cells_all(PERIOD, "P02"), 0);
    CHECK_EQ_INT(s_log_size(), 1);
    sub_free(&s);
out:
    fx_done();
}

/* A map too small for the batch: as hub/submit_server.c does, the batch
 * (Open, three chunks, Close, each in a child transaction of one write
 * transaction) fails with IAPT_EFULL, is aborted, the map grows and the
 * whole batch is handled again, until it fits. Then the submission is
 * accepted whole: every record once, a receipt that verifies, one leaf.
 * max_transfers is 1, so a retried Open must not count against itself. */
#define BIG_N 3000
static void
test_map_full_grow_retry(void)
{
    fx_init();
    F.lim.max_transfers = 1;
    if (fx_start(256u << 10, 64u << 20) != 0)
        goto out;
    size_t map0 = F.st->map_size;
    sub_t s;
    sub_init(&s, BIG_N);
    for (uint32_t i = 0; i < BIG_N; i++)
        s_rec(REC_BIG, i, &s.rec[i]);
    sub_sign(&s, F.p1, "P01", PERIOD, 1);
    size_t bytes = 0;
    for (size_t i = 0; i < BIG_N; i++)
        bytes += s.rec[i].len;
    CHECK(bytes > map0); /* the records alone overflow the first map */

    enum { NMSG = 5 };
    Iapt__Envelope open_env, close_env;
    Iapt__Open o;
    Iapt__Close cl;
    s_chunk_msg_t *chunks = malloc(3 * sizeof *chunks);
    if (!chunks)
        abort();
    s_env_open(&open_env, &o, &s);
    for (int i = 0; i < 3; i++)
        s_env_chunk(&chunks[i], s.id, (uint64_t)i * 1000, s.rec + i * 1000, 1000);
    s_env_close(&close_env, &cl, s.id);
    Iapt__Envelope *msgs[NMSG] = {&open_env, &chunks[0].env, &chunks[1].env, &chunks[2].env,
                                  &close_env};
    Iapt__Envelope *replies[NMSG] = {NULL};
    int rc = 0, attempts = 0, grown = 0;
    for (;; attempts++) {
        for (int i = 0; i < NMSG; i++)
            s_free(&replies[i]);
        MDB_txn *txn = NULL;
        rc = iapt_store_write_begin(F.st, &txn);
        for (int i = 0; i < NMSG && rc == 0; i++) {
            MDB_txn *child = NULL;
            int mrc = mdb_txn_begin(F.st->env, txn, 0, &child);
            if (mrc) {
                rc = iapt_store_err(mrc, "child");
                break;
            }
            replies[i] = s_call_in(child, F.e1, msgs[i], &rc);
            if (rc == 0) {
                mrc = mdb_txn_commit(child);
                rc = mrc ? iapt_store_err(mrc, "child commit") : 0;
            } else {
                mdb_txn_abort(child);
            }
        }
        if (rc == 0)
            rc = iapt_store_commit(F.st, &txn);
        else
            iapt_store_abort(&txn);
        if (rc == IAPT_EFULL && attempts < 10) {
            CHECK(s_state(s.id) == -1); /* nothing of the failed batch stayed */
            CHECK(iapt_store_grow(F.st) == 0);
            grown++;
            continue;
        }
        break;
    }
    CHECK_EQ_INT(rc, 0);
    CHECK(grown >= 1);
    CHECK(F.st->map_size > map0);
    CHECK(IS(replies[0], ACCEPT));
    for (int i = 1; i <= 3; i++)
        CHECK(IS(replies[i], CREDIT));
    CHECK(IS(replies[4], RECEIPT));
    iapt_buf_t rb = IAPT_BUF_INIT;
    s_receipt_bytes(replies[4], &rb);
    CHECK(iapt_receipt_verify(s.sm.data, s.sm.len, rb.data, rb.len, F.hub->sign_public, HUB_NAME,
                              NULL) == 0);
    iapt_buf_free(&rb);
    CHECK_EQ_INT(s_state(s.id), IAPT__SUBMISSION_STATE__SUBMISSION_ACCEPTED);
    CHECK_EQ_INT(s_records(UINT64_MAX), BIG_N);
    CHECK_EQ_INT(s_log_size(), 1);
    uint64_t refs;
    int64_t m001;
    s_cells(PERIOD, "P01", 0, &refs, &m001, "M001");
    CHECK_EQ_INT(refs, BIG_N);
    CHECK_EQ_INT(m001, BIG_N);
    for (int i = 0; i < NMSG; i++)
        s_free(&replies[i]);
    free(chunks);
    sub_free(&s);

    /* At its maximum the map refuses to grow: IAPT_EFULL, cleanly. */
    F.st->map_max = F.st->map_size;
    CHECK(iapt_store_grow(F.st) == IAPT_EFULL);
out:
    fx_done();
}

/* ---- review of suspicious supersessions ------------------------------------------------- */

/* The hold rule on either side of the threshold, and for counts where 2n
 * would overflow. */
static void
test_review_hold_rule(void)
{
    CHECK_EQ_INT(iapt_ingest_hold_check(0, 10, false), 1);
    CHECK_EQ_INT(iapt_ingest_hold_check(0, 0, false), 1);
    CHECK_EQ_INT(iapt_ingest_hold_check(4, 10, false), 1);
    CHECK_EQ_INT(iapt_ingest_hold_check(5, 10, false), 0); /* exactly half */
    CHECK_EQ_INT(iapt_ingest_hold_check(6, 10, false), 0);
    CHECK_EQ_INT(iapt_ingest_hold_check(5, 11, false), 1); /* 10 < 11 */
    CHECK_EQ_INT(iapt_ingest_hold_check(6, 11, false), 0);
    CHECK_EQ_INT(iapt_ingest_hold_check(1, 3, false), 1);
    CHECK_EQ_INT(iapt_ingest_hold_check(2, 3, false), 0);
    CHECK_EQ_INT(iapt_ingest_hold_check(1, 2, false), 0);
    CHECK_EQ_INT(iapt_ingest_hold_check(20, 10, false), 0);
    CHECK_EQ_INT(iapt_ingest_hold_check(UINT64_MAX / 2, UINT64_MAX, false), 1);
    CHECK_EQ_INT(iapt_ingest_hold_check(UINT64_MAX / 2 + 1, UINT64_MAX, false), 0);
    CHECK_EQ_INT(iapt_ingest_hold_check(0, 10, true), 0);
    CHECK_EQ_INT(iapt_ingest_hold_check(4, 10, true), 0);
}

/* The receipt of the Close reply, decoded (caller frees), or NULL. */
static Iapt__Receipt *
s_receipt_of(const Iapt__Envelope *r)
{
    iapt_buf_t rb = IAPT_BUF_INIT;
    Iapt__Receipt *rc = NULL;
    s_receipt_bytes(r, &rb);
    if (iapt_receipt_open_bytes(rb.data, rb.len, F.hub->sign_public, &rc) != 0)
        rc = NULL;
    iapt_buf_free(&rb);
    return rc;
}

/* The referrals of P01's September cells, no breakdown. */
static uint64_t
s_p01_refs(void)
{
    uint64_t refs;
    int64_t m001;
    s_cells(PERIOD, "P01", 0, &refs, &m001, "M001");
    return refs;
}

/* A decision as the query endpoint makes it: 0, 1 refused (why), <0. */
static int
s_decide(const uint8_t id[32], bool confirm, const char *reason, iapt_buf_t *sd, char *why)
{
    MDB_txn *txn = NULL;
    int rc = iapt_store_write_begin(F.st, &txn);
    if (rc == 0)
        rc = iapt_ingest_decide(F.st, txn, F.hub, HUB_NAME, &F.tables, id, confirm, "ANALYST",
                                reason, sd, why, 512);
    if (rc == 0)
        rc = iapt_store_commit(F.st, &txn);
    else
        iapt_store_abort(&txn);
    return rc;
}

/* P01: a (4 records) counted; b (1: under half) held: receipt pending, not
 * current, cells unchanged, but logged; c (2: exactly half) counted, b
 * superseded while held; d (0) held and rejected (reason kept, decision
 * signed); e (0) held, confirm refused while the period is locked, then
 * confirmed: current, cells rebuilt from its records in the same
 * transaction, c superseded; f (0, forced) counted at once. */
static void
test_review_hold_and_decide(void)
{
    fx_init();
    if (fx_start(16u << 20, 64u << 20) != 0)
        goto out;
    sub_t a, b, c, d, e, f;
    int k4[] = {REC_NEW, REC_NEW, REC_NEW, REC_NEW}, k1[] = {REC_NEW}, k2[] = {REC_NEW, REC_NEW};
    char why[512];
    iapt_buf_t sd = IAPT_BUF_INIT;
    uint8_t cur[32];
    sub_make(&a, F.p1, "P01", PERIOD, 1, k4, 4);
    sub_make(&b, F.p1, "P01", PERIOD, 2, k1, 1);
    sub_make(&c, F.p1, "P01", PERIOD, 3, k2, 2);
    sub_make(&d, F.p1, "P01", PERIOD, 4, NULL, 0);
    sub_make(&e, F.p1, "P01", PERIOD, 5, NULL, 0);
    sub_forced = 1;
    sub_make(&f, F.p1, "P01", PERIOD, 6, NULL, 0);
    sub_forced = 0;

    Iapt__Envelope *r = s_send_all(F.e1, &a, 4);
    CHECK(IS(r, RECEIPT));
    s_free(&r);
    CHECK_EQ_INT(s_p01_refs(), 4);

    /* b: under half of a */
    r = s_send_all(F.e1, &b, 1);
    CHECK(IS(r, RECEIPT));
    Iapt__Receipt *rc = s_receipt_of(r);
    s_free(&r);
    CHECK(rc && rc->has_review && rc->review == IAPT__REVIEW_STATE__REVIEW_PENDING);
    CHECK(rc && !rc->has_supersedes);
    CHECK(rc && rc->has_held_against && rc->held_against.len == 32 &&
          memcmp(rc->held_against.data, a.id, 32) == 0);
    CHECK(rc && rc->held_because && strstr(rc->held_because, "1 records where the counted"));
    if (rc)
        iapt__receipt__free_unpacked(rc, NULL);
    CHECK_EQ_INT(s_state(b.id), IAPT__SUBMISSION_STATE__SUBMISSION_PENDING_REVIEW);
    CHECK_EQ_INT(s_state(a.id), IAPT__SUBMISSION_STATE__SUBMISSION_ACCEPTED);
    CHECK(s_current(PERIOD, "P01", cur) == 1);
    CHECK_EQ_MEM(cur, a.id, 32);
    CHECK_EQ_INT(s_p01_refs(), 4);
    CHECK_EQ_INT(s_log_size(), 2);

    /* c: exactly half of a: counted; the held b can no longer become current */
    r = s_send_all(F.e1, &c, 2);
    CHECK(IS(r, RECEIPT));
    rc = s_receipt_of(r);
    s_free(&r);
    CHECK(rc && !rc->has_review && rc->has_supersedes &&
          memcmp(rc->supersedes.data, a.id, 32) == 0);
    if (rc)
        iapt__receipt__free_unpacked(rc, NULL);
    CHECK_EQ_INT(s_state(c.id), IAPT__SUBMISSION_STATE__SUBMISSION_ACCEPTED);
    CHECK_EQ_INT(s_state(b.id), IAPT__SUBMISSION_STATE__SUBMISSION_SUPERSEDED);
    CHECK_EQ_INT(s_state(a.id), IAPT__SUBMISSION_STATE__SUBMISSION_SUPERSEDED);
    CHECK_EQ_INT(s_p01_refs(), 2);
    CHECK(s_decide(b.id, true, "late", &sd, why) == 1);
    CHECK(strstr(why, "not pending review") && strstr(why, "superseded by a newer submission"));

    /* d: 0 records: held, then rejected */
    r = s_send_all(F.e1, &d, 1);
    CHECK(IS(r, RECEIPT));
    s_free(&r);
    CHECK_EQ_INT(s_state(d.id), IAPT__SUBMISSION_STATE__SUBMISSION_PENDING_REVIEW);
    CHECK(s_decide(d.id, false, "  ", &sd, why) == 1);
    CHECK(strstr(why, "reason is required"));
    CHECK(s_decide(d.id, false, "an empty extract from the wrong system", &sd, why) == 0);
    CHECK_EQ_INT(s_state(d.id), IAPT__SUBMISSION_STATE__SUBMISSION_REJECTED);
    Iapt__ReviewDecision *dec = NULL;
    CHECK(iapt_review_open(sd.data, sd.len, F.hub->sign_public, &dec) == 0);
    CHECK(dec && dec->decision == IAPT__REVIEW_STATE__REVIEW_REJECTED &&
          memcmp(dec->submission_id.data, d.id, 32) == 0 && strcmp(dec->by, "ANALYST") == 0 &&
          dec->tree_size == 4 && !dec->has_replaces);
    if (dec)
        iapt__review_decision__free_unpacked(dec, NULL);
    CHECK(iapt_review_open(sd.data, sd.len, F.p1->sign_public, &dec) == IAPT_ECRYPTO);
    Iapt__StoredSubmission *st = s_load(d.id);
    CHECK(st && st->decided_by && strcmp(st->decided_by, "ANALYST") == 0 && st->decision_reason &&
          strcmp(st->decision_reason, "an empty extract from the wrong system") == 0 &&
          st->has_signed_decision);
    if (st)
        iapt__stored_submission__free_unpacked(st, NULL);
    CHECK(s_decide(d.id, true, "changed my mind", &sd, why) == 1);
    CHECK(strstr(why, "already rejected"));
    CHECK(s_current(PERIOD, "P01", cur) == 1);
    CHECK_EQ_MEM(cur, c.id, 32);
    CHECK_EQ_INT(s_p01_refs(), 2);

    /* e: 0 records, held; a locked period blocks the confirm, not reject */
    r = s_send_all(F.e1, &e, 1);
    CHECK(IS(r, RECEIPT));
    s_free(&r);
    CHECK_EQ_INT(s_state(e.id), IAPT__SUBMISSION_STATE__SUBMISSION_PENDING_REVIEW);
    s_put_lock(PERIOD, 1);
    CHECK(s_decide(e.id, true, "the service closed", &sd, why) == 1);
    CHECK(strstr(why, "was closed") && strstr(why, "unlock"));
    CHECK_EQ_INT(s_state(e.id), IAPT__SUBMISSION_STATE__SUBMISSION_PENDING_REVIEW);
    s_put_lock(PERIOD, 0);
    CHECK(s_decide(e.id, true, "the service closed", &sd, why) == 0);
    CHECK_EQ_INT(s_state(e.id), IAPT__SUBMISSION_STATE__SUBMISSION_ACCEPTED);
    CHECK_EQ_INT(s_state(c.id), IAPT__SUBMISSION_STATE__SUBMISSION_SUPERSEDED);
    CHECK(s_current(PERIOD, "P01", cur) == 1);
    CHECK_EQ_MEM(cur, e.id, 32);
    CHECK_EQ_INT(s_cells_all(PERIOD, "P01"), 0);
    dec = NULL;
    CHECK(iapt_review_open(sd.data, sd.len, F.hub->sign_public, &dec) == 0);
    CHECK(dec && dec->decision == IAPT__REVIEW_STATE__REVIEW_CONFIRMED && dec->has_replaces &&
          memcmp(dec->replaces.data, c.id, 32) == 0 && dec->tree_size == 5);
    if (dec)
        iapt__review_decision__free_unpacked(dec, NULL);

    /* f: forced, 0 records: not held */
    r = s_send_all(F.e1, &f, 1);
    CHECK(IS(r, RECEIPT));
    rc = s_receipt_of(r);
    s_free(&r);
    CHECK(rc && !rc->has_review && rc->has_supersedes);
    if (rc)
        iapt__receipt__free_unpacked(rc, NULL);
    CHECK_EQ_INT(s_state(f.id), IAPT__SUBMISSION_STATE__SUBMISSION_ACCEPTED);
    CHECK_EQ_INT(s_log_size(), 6);

    iapt_buf_free(&sd);
    sub_free(&a);
    sub_free(&b);
    sub_free(&c);
    sub_free(&d);
    sub_free(&e);
    sub_free(&f);
out:
    fx_done();
}

/* Write the store's schema record (u32 BE) directly. */
static void
s_put_schema(uint32_t v)
{
    uint8_t b[4];
    iapt_be32(b, v);
    MDB_val k = {6, "schema"}, val = {4, b};
    MDB_txn *txn = NULL;
    CHECK(iapt_store_write_begin(F.st, &txn) == 0);
    CHECK(mdb_put(txn, F.st->meta, &k, &val, 0) == 0);
    CHECK(iapt_store_commit(F.st, &txn) == 0);
}

static uint32_t
s_get_schema(void)
{
    MDB_val k = {6, "schema"}, val;
    MDB_txn *txn = NULL;
    uint32_t v = 0;
    if (iapt_store_read_begin(F.st, &txn) != 0)
        return 0;
    if (mdb_get(txn, F.st->meta, &k, &val) == 0 && val.mv_size == 4)
        v = iapt_rd_be32(val.mv_data);
    iapt_store_read_end(F.st, &txn);
    return v;
}

/* A store of schema 1 (before review) is upgraded to 2 at open, with its
 * submissions; one of a later schema is refused. */
static void
test_review_schema_upgrade(void)
{
    fx_init();
    if (fx_start(16u << 20, 64u << 20) != 0)
        goto out;
    CHECK_EQ_INT(s_get_schema(), IAPT_STORE_SCHEMA);
    CHECK_EQ_INT(IAPT_STORE_SCHEMA, 2);
    sub_t a;
    int k1[] = {REC_NEW};
    sub_make(&a, F.p1, "P01", PERIOD, 1, k1, 1);
    Iapt__Envelope *r = s_send_all(F.e1, &a, 1);
    CHECK(IS(r, RECEIPT));
    s_free(&r);
    s_put_schema(1);
    iapt_ingest_destroy(&F.ing);
    iapt_store_close(&F.st);
    CHECK(iapt_store_open(F.dir, 16u << 20, 64u << 20, &F.st) == 0);
    CHECK_EQ_INT(s_get_schema(), 2);
    CHECK_EQ_INT(s_state(a.id), IAPT__SUBMISSION_STATE__SUBMISSION_ACCEPTED);
    s_put_schema(3);
    iapt_store_close(&F.st);
    CHECK(iapt_store_open(F.dir, 16u << 20, 64u << 20, &F.st) == IAPT_ESTATE);
    CHECK(strstr(iapt_error_detail(), "schema version 3"));
    CHECK(F.st == NULL);
    sub_free(&a);
out:
    fx_done();
}

TEST_MAIN(test_accept_and_already_have, test_resume_and_duplicate_chunks, test_protocol_errors,
          test_root_mismatch_discards, test_malformed_records, test_refused_opens, test_supersede,
          test_higher_sequence_closes_first, test_period_lock, test_concurrency_limit,
          test_concurrency_idle, test_aborted_open_holds_no_slot, test_atomic_acceptance,
          test_log_and_checkpoints, test_late_flag, test_record_limits, test_map_full_grow_retry,
          test_review_hold_rule, test_review_hold_and_decide, test_review_schema_upgrade,
          test_concurrency_resume)
