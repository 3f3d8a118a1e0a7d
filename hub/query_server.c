/* query_server.c - the query endpoint: a ROUTER in its own thread, answering
 * from LMDB read transactions, so queries never wait for submissions. */
#include "common/collection.h"
#include "common/checkpoint.h"
#include "common/date.h"
#include "common/err.h"
#include "common/log.h"
#include "common/merkle.h"
#include "common/wire.h"
#include "hub/query.h"
#include "hub/translog.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define S_MAX_REQUEST (1u << 20)
#define S_QUEUED 16 /* requests libzmq may queue per connection */
#define S_MAX_ANSWER_BYTES (32u << 20)
#define S_MAX_LEAVES 10000
#define S_MAX_RECORDS 100000

/* Every allocation of one answer, freed together after packing. */
typedef struct {
    void **p;
    size_t n, cap;
} s_arena_t;

static void *
s_alloc(s_arena_t *a, size_t size)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 64;
        void **p = realloc(a->p, cap * sizeof *p);
        if (!p)
            return NULL;
        a->p = p;
        a->cap = cap;
    }
    void *m = calloc(1, size ? size : 1);
    if (m)
        a->p[a->n++] = m;
    return m;
}
/* Room for one more entry in a pointer array kept in the arena: *list_p (a
 * T ** variable) holds n of *cap entries; when full it is replaced by a copy
 * twice as large. 0, or IAPT_ENOMEM (the array is unchanged). */
static int
s_room(s_arena_t *a, void *list_p, size_t n, size_t *cap)
{
    if (n < *cap)
        return 0;
    void **old, **bigger = s_alloc(a, 2 * *cap * sizeof *bigger);
    if (!bigger)
        return IAPT_ENOMEM;
    memcpy(&old, list_p, sizeof old);
    memcpy(bigger, old, *cap * sizeof *bigger);
    memcpy(list_p, &bigger, sizeof bigger);
    *cap *= 2;
    return 0;
}

static char *
s_strdup(s_arena_t *a, const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = s_alloc(a, n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static void
s_arena_free(s_arena_t *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->p[i]);
    free(a->p);
    a->p = NULL;
    a->n = a->cap = 0;
}

static int
s_role(const iapt_registry_entry_t *peer, const char *a, const char *b)
{
    return strcmp(peer->role, a) == 0 || (b && strcmp(peer->role, b) == 0);
}

static void
s_error(Iapt__QueryResponse *resp, Iapt__RefuseCode code, const char *reason, s_arena_t *a)
{
    resp->has_error = 1;
    resp->error = code;
    resp->reason = s_strdup(a, reason);
}

/* ---- the log ---------------------------------------------------------------- */

/* The latest checkpoint, or with req->tree_size the one signed at that
 * size (the hub keeps every checkpoint it signed). */
static int
s_checkpoint(iapt_hub_t *hub, MDB_txn *txn, const Iapt__CheckpointRequest *req,
             Iapt__QueryResponse *resp, s_arena_t *a)
{
    MDB_cursor *c;
    MDB_val k, v;
    uint8_t key[8];
    int rc = mdb_cursor_open(txn, hub->st->checkpoint, &c);
    if (rc)
        return iapt_store_err(rc, "cursor");
    if (req && req->has_tree_size) {
        iapt_be64(key, req->tree_size);
        k.mv_size = 8;
        k.mv_data = key;
        rc = mdb_cursor_get(c, &k, &v, MDB_SET_KEY);
        if (rc == MDB_NOTFOUND) {
            mdb_cursor_close(c);
            s_error(resp, IAPT__REFUSE_CODE__REFUSE_INVALID,
                    "no checkpoint was signed at that tree size", a);
            return 0;
        }
    } else {
        rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
    }
    if (rc == MDB_NOTFOUND) {
        mdb_cursor_close(c);
        s_error(resp, IAPT__REFUSE_CODE__REFUSE_PROTOCOL, "the log is empty", a);
        return 0;
    }
    if (rc || k.mv_size != 8) {
        mdb_cursor_close(c);
        return rc ? iapt_store_err(rc, "read checkpoint") : iapt_error_set(IAPT_ELMDB, "bad key");
    }
    Iapt__CheckpointResponse *cp = s_alloc(a, sizeof *cp);
    char *text = s_alloc(a, v.mv_size + 1);
    if (!cp || !text) {
        mdb_cursor_close(c);
        return IAPT_ENOMEM;
    }
    iapt__checkpoint_response__init(cp);
    memcpy(text, v.mv_data, v.mv_size);
    cp->checkpoint = text;
    cp->tree_size = iapt_rd_be64(k.mv_data);
    mdb_cursor_close(c);
    resp->body_case = IAPT__QUERY_RESPONSE__BODY_CHECKPOINT;
    resp->checkpoint = cp;
    return 0;
}

static int
s_proof_out(Iapt__QueryResponse *resp, const uint8_t *proof, size_t proof_len, s_arena_t *a,
            Iapt__ProofResponse **out)
{
    size_t n = proof_len / 32;
    Iapt__ProofResponse *pr = s_alloc(a, sizeof *pr);
    ProtobufCBinaryData *items = s_alloc(a, (n ? n : 1) * sizeof *items);
    uint8_t *copy = s_alloc(a, (n ? n : 1) * 32);
    if (!pr || !items || !copy)
        return IAPT_ENOMEM;
    iapt__proof_response__init(pr);
    for (size_t i = 0; i < n; i++) {
        memcpy(copy + 32 * i, proof + 32 * i, 32);
        items[i].data = copy + 32 * i;
        items[i].len = 32;
    }
    pr->n_proof = n;
    pr->proof = items;
    resp->body_case = IAPT__QUERY_RESPONSE__BODY_PROOF;
    resp->proof = pr;
    *out = pr;
    return 0;
}

static int
s_log_size(MDB_txn *txn, const iapt_translog_t *log, uint64_t *size)
{
    return iapt_translog_size(txn, log, size);
}

/* The accepted (current or superseded) submission `id` names: 0 with *s
 * loaded, 1 when the answer is already a refusal (bad id, none such), or a
 * store error. */
static int
s_load_accepted(iapt_hub_t *hub, MDB_txn *txn, const ProtobufCBinaryData *id,
                Iapt__QueryResponse *resp, s_arena_t *a, Iapt__StoredSubmission **s)
{
    *s = NULL;
    if (id->len != 32) {
        s_error(resp, IAPT__REFUSE_CODE__REFUSE_INVALID, "submission id must be 32 bytes", a);
        return 1;
    }
    int rc = iapt_ingest_load(hub->st, txn, id->data, s);
    if (rc == IAPT_ENOTFOUND || (rc == 0 && !(*s)->has_log_index)) {
        if (*s)
            iapt__stored_submission__free_unpacked(*s, NULL);
        *s = NULL;
        s_error(resp, IAPT__REFUSE_CODE__REFUSE_INVALID, "no accepted submission with that id", a);
        return 1;
    }
    return rc;
}

static int
s_consistency(MDB_txn *txn, const iapt_translog_t *log, const Iapt__ConsistencyRequest *req,
              Iapt__QueryResponse *resp, s_arena_t *a)
{
    uint64_t size;
    int rc = s_log_size(txn, log, &size);
    if (rc < 0)
        return rc;
    if (req->old_size > req->new_size || req->new_size > size || req->old_size == 0) {
        s_error(resp, IAPT__REFUSE_CODE__REFUSE_INVALID,
                "sizes must satisfy 0 < old <= new <= the log's size", a);
        return 0;
    }
    uint8_t proof[IAPT_MERKLE_PROOF_MAX_BYTES];
    size_t n = 0;
    if ((rc = iapt_translog_consistency(txn, log, req->old_size, req->new_size, proof, &n)) < 0)
        return rc;
    Iapt__ProofResponse *pr;
    if ((rc = s_proof_out(resp, proof, n, a, &pr)) < 0)
        return rc;
    pr->has_tree_size = 1;
    pr->tree_size = req->new_size;
    return 0;
}

static int
s_inclusion(iapt_hub_t *hub, MDB_txn *txn, const iapt_translog_t *log,
            const Iapt__InclusionRequest *req, Iapt__QueryResponse *resp, s_arena_t *a)
{
    uint64_t size, index;
    int rc = s_log_size(txn, log, &size);
    if (rc < 0)
        return rc;
    if (req->has_leaf_index) {
        index = req->leaf_index;
    } else if (req->has_submission_id && req->submission_id.len == 32) {
        Iapt__StoredSubmission *s = NULL;
        if ((rc = s_load_accepted(hub, txn, &req->submission_id, resp, a, &s)) != 0)
            return rc < 0 ? rc : 0;
        index = s->log_index;
        iapt__stored_submission__free_unpacked(s, NULL);
    } else {
        s_error(resp, IAPT__REFUSE_CODE__REFUSE_INVALID, "give leaf_index or submission_id", a);
        return 0;
    }
    if (req->tree_size > size || index >= req->tree_size) {
        s_error(resp, IAPT__REFUSE_CODE__REFUSE_INVALID,
                "need leaf index < tree size <= the log's size", a);
        return 0;
    }
    uint8_t proof[IAPT_MERKLE_PROOF_MAX_BYTES];
    size_t n = 0;
    if ((rc = iapt_translog_inclusion(txn, log, index, req->tree_size, proof, &n)) < 0)
        return rc;
    Iapt__ProofResponse *pr;
    if ((rc = s_proof_out(resp, proof, n, a, &pr)) < 0)
        return rc;
    pr->has_leaf_index = 1;
    pr->leaf_index = index;
    pr->has_tree_size = 1;
    pr->tree_size = req->tree_size;
    return 0;
}

static int
s_leaves(iapt_hub_t *hub, MDB_txn *txn, const iapt_translog_t *log, const Iapt__LeavesRequest *req,
         Iapt__QueryResponse *resp, s_arena_t *a)
{
    uint64_t size;
    int rc = s_log_size(txn, log, &size);
    if (rc < 0)
        return rc;
    /* Clamp the start first: start + count may not fit in 64 bits. */
    uint64_t start = req->start < size ? req->start : size;
    uint64_t want = req->count < S_MAX_LEAVES ? req->count : S_MAX_LEAVES;
    uint64_t end = size - start < want ? size : start + want;
    size_t n = (size_t)(end - start);
    Iapt__LeavesResponse *lr = s_alloc(a, sizeof *lr);
    ProtobufCBinaryData *leaves = s_alloc(a, (n ? n : 1) * sizeof *leaves);
    int64_t *at = s_alloc(a, (n ? n : 1) * sizeof *at);
    if (!lr || !leaves || !at)
        return IAPT_ENOMEM;
    iapt__leaves_response__init(lr);
    size_t bytes = 0, i;
    for (i = 0; i < n && bytes < S_MAX_ANSWER_BYTES; i++) {
        const uint8_t *data;
        size_t len;
        if ((rc = iapt_translog_leaf(txn, log, start + i, &data, &len)) < 0)
            return rc;
        leaves[i].data = (uint8_t *)data; /* valid until the read txn ends, after packing */
        leaves[i].len = len;
        bytes += len;
        uint8_t id[32];
        iapt_submission_id(data, len, id);
        Iapt__StoredSubmission *s = NULL;
        at[i] = 0;
        if (iapt_ingest_load(hub->st, txn, id, &s) == 0) {
            at[i] = s->has_accepted_at ? s->accepted_at : 0;
            iapt__stored_submission__free_unpacked(s, NULL);
        }
    }
    lr->start = start;
    lr->n_leaves = i;
    lr->leaves = leaves;
    lr->n_accepted_at = i;
    lr->accepted_at = at;
    resp->body_case = IAPT__QUERY_RESPONSE__BODY_LEAVES;
    resp->leaves = lr;
    return 0;
}

/* ---- submissions -------------------------------------------------------------- */

static int
s_manifest(iapt_hub_t *hub, MDB_txn *txn, const iapt_registry_entry_t *peer,
           const Iapt__ManifestRequest *req, Iapt__QueryResponse *resp, s_arena_t *a)
{
    Iapt__StoredSubmission *s = NULL;
    int rc = s_load_accepted(hub, txn, &req->submission_id, resp, a, &s);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    if (s_role(peer, "provider", NULL) && strcmp(peer->org, s->org_code) != 0) {
        iapt__stored_submission__free_unpacked(s, NULL);
        s_error(resp, IAPT__REFUSE_CODE__REFUSE_ROLE,
                "a provider may read only its own organisation's submissions", a);
        return 0;
    }
    Iapt__ManifestResponse *mr = s_alloc(a, sizeof *mr);
    uint8_t *sm = s_alloc(a, s->signed_manifest.len);
    if (!mr || !sm) {
        iapt__stored_submission__free_unpacked(s, NULL);
        return IAPT_ENOMEM;
    }
    iapt__manifest_response__init(mr);
    memcpy(sm, s->signed_manifest.data, s->signed_manifest.len);
    mr->signed_manifest.data = sm;
    mr->signed_manifest.len = s->signed_manifest.len;
    mr->log_index = s->log_index;
    mr->accepted_at = s->accepted_at;
    if (s->has_signed_receipt) {
        /* Unpacked into its own allocation, freed with the arena below. */
        Iapt__SignedReceipt *sr = s_alloc(a, sizeof *sr);
        uint8_t *rb = s_alloc(a, s->signed_receipt.len);
        Iapt__SignedReceipt *tmp =
            iapt__signed_receipt__unpack(NULL, s->signed_receipt.len, s->signed_receipt.data);
        if (sr && rb && tmp) {
            iapt__signed_receipt__init(sr);
            uint8_t *r = s_alloc(a, tmp->receipt.len), *g = s_alloc(a, tmp->signature.len);
            if (r && g) {
                memcpy(r, tmp->receipt.data, tmp->receipt.len);
                memcpy(g, tmp->signature.data, tmp->signature.len);
                sr->receipt.data = r;
                sr->receipt.len = tmp->receipt.len;
                sr->signature.data = g;
                sr->signature.len = tmp->signature.len;
                mr->receipt = sr;
            }
        }
        if (tmp)
            iapt__signed_receipt__free_unpacked(tmp, NULL);
    }
    iapt__stored_submission__free_unpacked(s, NULL);
    resp->body_case = IAPT__QUERY_RESPONSE__BODY_MANIFEST;
    resp->manifest = mr;
    return 0;
}

static int
s_records(iapt_hub_t *hub, MDB_txn *txn, const Iapt__RecordsRequest *req, Iapt__QueryResponse *resp,
          s_arena_t *a)
{
    Iapt__StoredSubmission *s = NULL;
    int rc = s_load_accepted(hub, txn, &req->submission_id, resp, a, &s);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    uint64_t total = s->record_count, seq = s->internal_seq;
    iapt__stored_submission__free_unpacked(s, NULL);
    uint32_t want = req->count < S_MAX_RECORDS ? req->count : S_MAX_RECORDS;
    Iapt__RecordsResponse *rr = s_alloc(a, sizeof *rr);
    ProtobufCBinaryData *recs = s_alloc(a, (want ? want : 1) * sizeof *recs);
    if (!rr || !recs)
        return IAPT_ENOMEM;
    iapt__records_response__init(rr);
    MDB_cursor *c;
    if ((rc = mdb_cursor_open(txn, hub->st->rec, &c)) != 0)
        return iapt_store_err(rc, "cursor");
    uint8_t key[16];
    iapt_be64(key, seq);
    iapt_be64(key + 8, req->start);
    MDB_val k = {16, key}, v;
    size_t n = 0, bytes = 0;
    int r;
    for (r = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
         r == 0 && n < want && bytes < S_MAX_ANSWER_BYTES;
         r = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 16 || iapt_rd_be64(k.mv_data) != seq)
            break;
        recs[n].data = v.mv_data; /* valid until the read txn ends, after packing */
        recs[n].len = v.mv_size;
        bytes += v.mv_size;
        n++;
    }
    mdb_cursor_close(c);
    if (r && r != MDB_NOTFOUND)
        return iapt_store_err(r, "read records");
    rr->start = req->start;
    rr->n_records = n;
    rr->records = recs;
    rr->total = total;
    resp->body_case = IAPT__QUERY_RESPONSE__BODY_RECORDS;
    resp->records = rr;
    return 0;
}

static int
s_info(s_arena_t *a, const iapt_registry_t *reg, const Iapt__StoredSubmission *s, const uint8_t *id,
       int current, Iapt__SubmissionInfo **out)
{
    Iapt__SubmissionInfo *si = s_alloc(a, sizeof *si);
    if (!si)
        return IAPT_ENOMEM;
    iapt__submission_info__init(si);
    const iapt_registry_entry_t *e = iapt_registry_org(reg, s->org_code);
    si->org_code = s_strdup(a, s->org_code);
    si->org_name = s_strdup(a, e ? e->name : "");
    si->period = s_strdup(a, s->period);
    uint8_t *idc = s_alloc(a, 32);
    if (!si->org_code || !si->org_name || !si->period || !idc)
        return IAPT_ENOMEM;
    memcpy(idc, id, 32);
    si->has_submission_id = 1;
    si->submission_id.data = idc;
    si->submission_id.len = 32;
    si->has_sequence = 1;
    si->sequence = s->sequence;
    si->has_accepted_at = s->has_accepted_at;
    si->accepted_at = s->accepted_at;
    si->has_record_count = 1;
    si->record_count = s->record_count;
    si->has_log_index = s->has_log_index;
    si->log_index = s->log_index;
    si->has_current = 1;
    si->current = current;
    si->has_late = 1;
    si->late = s->has_late && s->late;
    si->has_received = 1;
    si->received = 1;
    if (s->has_held && s->held) {
        si->has_review = 1;
        switch (s->state) {
        case IAPT__SUBMISSION_STATE__SUBMISSION_PENDING_REVIEW:
            si->review = IAPT__REVIEW_STATE__REVIEW_PENDING;
            break;
        case IAPT__SUBMISSION_STATE__SUBMISSION_REJECTED:
            si->review = IAPT__REVIEW_STATE__REVIEW_REJECTED;
            break;
        default:
            si->review = s->has_confirmed && s->confirmed ? IAPT__REVIEW_STATE__REVIEW_CONFIRMED
                                                          : IAPT__REVIEW_STATE__REVIEW_SUPERSEDED;
            break;
        }
        if (s->held_because && !(si->held_because = s_strdup(a, s->held_because)))
            return IAPT_ENOMEM;
    }
    si->has_rejected = 1;
    si->rejected = s->state == IAPT__SUBMISSION_STATE__SUBMISSION_REJECTED;
    if (s->decided_by) {
        si->decided_by = s_strdup(a, s->decided_by);
        si->decision_reason = s_strdup(a, s->decision_reason ? s->decision_reason : "");
        si->has_decided_at = s->has_decided_at;
        si->decided_at = s->decided_at;
        if (!si->decided_by || !si->decision_reason)
            return IAPT_ENOMEM;
    }
    *out = si;
    return 0;
}

static int
s_submissions(iapt_hub_t *hub, MDB_txn *txn, const iapt_registry_t *reg,
              const iapt_registry_entry_t *peer, unsigned coll, const Iapt__SubmissionsRequest *req,
              Iapt__QueryResponse *resp, s_arena_t *a)
{
    iapt_period_t p;
    if (iapt_period_parse(req->period, &p) < 0) {
        s_error(resp, IAPT__REFUSE_CODE__REFUSE_INVALID, "period must be YYYY-MM", a);
        return 0;
    }
    const char *only = req->org_code;
    if (s_role(peer, "provider", NULL)) {
        if (only && strcmp(only, peer->org) != 0) {
            s_error(resp, IAPT__REFUSE_CODE__REFUSE_ROLE,
                    "a provider may read only its own organisation's submissions", a);
            return 0;
        }
        only = peer->org;
    }
    size_t cap = 64, n = 0;
    Iapt__SubmissionInfo **list = s_alloc(a, cap * sizeof *list);
    if (!list)
        return IAPT_ENOMEM;
    uint32_t received = 0, expected = 0;
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, hub->st->sub_period, &c);
    if (rc)
        return iapt_store_err(rc, "cursor");
    uint8_t prefix[4];
    iapt_be32(prefix, iapt_store_period_key(coll, &p));
    MDB_val k = {4, prefix}, v;
    int r;
    for (r = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); r == 0;
         r = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 28 || memcmp(k.mv_data, prefix, 4) != 0)
            break;
        if (v.mv_size != 32)
            continue;
        char org[17] = {0};
        memcpy(org, (uint8_t *)k.mv_data + 4, 16);
        if (only && strcmp(org, only) != 0)
            continue;
        Iapt__StoredSubmission *s = NULL;
        if ((rc = iapt_ingest_load(hub->st, txn, v.mv_data, &s)) < 0)
            break;
        if (s->state != IAPT__SUBMISSION_STATE__SUBMISSION_RECEIVING) {
            if (s_room(a, &list, n, &cap) < 0) {
                iapt__stored_submission__free_unpacked(s, NULL);
                rc = IAPT_ENOMEM;
                break;
            }
            int current = s->state == IAPT__SUBMISSION_STATE__SUBMISSION_ACCEPTED;
            rc = s_info(a, reg, s, v.mv_data, current, &list[n]);
            if (rc == 0)
                n++;
        }
        iapt__stored_submission__free_unpacked(s, NULL);
        if (rc < 0)
            break;
    }
    mdb_cursor_close(c);
    if (rc < 0)
        return rc;
    if (r && r != MDB_NOTFOUND)
        return iapt_store_err(r, "read submissions");

    /* Expected: every active provider; those without a current submission
     * are listed as not received (a reporting-rate report). */
    for (size_t i = 0; i < iapt_registry_count(reg); i++) {
        const iapt_registry_entry_t *e = iapt_registry_entry(reg, i);
        if (!e->active || strcmp(e->role, "provider") != 0 || (only && strcmp(e->org, only) != 0))
            continue;
        expected++;
        int have = 0;
        for (size_t j = 0; j < n; j++)
            if (list[j]->current && strcmp(list[j]->org_code, e->org) == 0)
                have = 1;
        if (have) {
            received++;
            continue;
        }
        if (s_room(a, &list, n, &cap) < 0)
            return IAPT_ENOMEM;
        Iapt__SubmissionInfo *si = s_alloc(a, sizeof *si);
        if (!si)
            return IAPT_ENOMEM;
        iapt__submission_info__init(si);
        si->org_code = s_strdup(a, e->org);
        si->org_name = s_strdup(a, e->name);
        si->period = s_strdup(a, p.text);
        si->has_received = 1;
        si->received = 0;
        if (!si->org_code || !si->org_name || !si->period)
            return IAPT_ENOMEM;
        list[n++] = si;
    }
    Iapt__SubmissionsResponse *sr = s_alloc(a, sizeof *sr);
    if (!sr)
        return IAPT_ENOMEM;
    iapt__submissions_response__init(sr);
    sr->n_submissions = n;
    sr->submissions = list;
    sr->expected = expected;
    sr->received = received;
    resp->body_case = IAPT__QUERY_RESPONSE__BODY_SUBMISSIONS;
    resp->submissions = sr;
    return 0;
}

static int
s_quality(iapt_hub_t *hub, MDB_txn *txn, const iapt_registry_entry_t *peer, unsigned coll,
          const Iapt__QualityRequest *req, Iapt__QueryResponse *resp, s_arena_t *a,
          Iapt__Manifest **keep)
{
    if (s_role(peer, "provider", NULL) && strcmp(peer->org, req->org_code) != 0) {
        s_error(resp, IAPT__REFUSE_CODE__REFUSE_ROLE,
                "a provider may read only its own organisation's data-quality report", a);
        return 0;
    }
    uint8_t id[32];
    int rc = iapt_ingest_current(hub->st, txn, coll, req->period, req->org_code, id);
    if (rc == IAPT_ENOTFOUND) {
        s_error(resp, IAPT__REFUSE_CODE__REFUSE_INVALID, "no accepted submission for that period",
                a);
        return 0;
    }
    if (rc < 0)
        return rc;
    Iapt__StoredSubmission *s = NULL;
    if ((rc = iapt_ingest_load(hub->st, txn, id, &s)) < 0)
        return rc;
    const uint8_t *mb, *sig;
    size_t ml;
    Iapt__Manifest *m = NULL;
    rc = iapt_manifest_split(s->signed_manifest.data, s->signed_manifest.len, SIZE_MAX, &mb, &ml,
                             &sig);
    if (rc == 0)
        rc = iapt_manifest_decode_verified(mb, ml, &m);
    iapt__stored_submission__free_unpacked(s, NULL);
    if (rc < 0)
        return iapt_error_set(IAPT_ELMDB, "stored manifest does not decode");
    if (!m->quality) {
        iapt__manifest__free_unpacked(m, NULL);
        s_error(resp, IAPT__REFUSE_CODE__REFUSE_INVALID, "that submission carries no report", a);
        return 0;
    }
    Iapt__QualityResponse *qr = s_alloc(a, sizeof *qr);
    uint8_t *idc = s_alloc(a, 32);
    if (!qr || !idc) {
        iapt__manifest__free_unpacked(m, NULL);
        return IAPT_ENOMEM;
    }
    iapt__quality_response__init(qr);
    memcpy(idc, id, 32);
    qr->submission_id.data = idc;
    qr->submission_id.len = 32;
    qr->quality = m->quality; /* freed with m after packing */
    *keep = m;
    resp->body_case = IAPT__QUERY_RESPONSE__BODY_QUALITY;
    resp->quality = qr;
    return 0;
}

static int
s_registry(const iapt_registry_t *reg, Iapt__QueryResponse *resp, s_arena_t *a)
{
    size_t n = iapt_registry_count(reg);
    Iapt__RegistryResponse *rr = s_alloc(a, sizeof *rr);
    Iapt__RegistryEntry **list = s_alloc(a, (n ? n : 1) * sizeof *list);
    if (!rr || !list)
        return IAPT_ENOMEM;
    iapt__registry_response__init(rr);
    for (size_t i = 0; i < n; i++) {
        const iapt_registry_entry_t *e = iapt_registry_entry(reg, i);
        Iapt__RegistryEntry *re = s_alloc(a, sizeof *re);
        uint8_t *pk = s_alloc(a, 32);
        if (!re || !pk)
            return IAPT_ENOMEM;
        iapt__registry_entry__init(re);
        re->org_code = s_strdup(a, e->org);
        re->name = s_strdup(a, e->name);
        re->role = s_strdup(a, e->role);
        re->status = s_strdup(a, e->active ? "active" : "revoked");
        re->curve_public = s_strdup(a, e->curve_public);
        if (!re->org_code || !re->name || !re->role || !re->status || !re->curve_public)
            return IAPT_ENOMEM;
        memcpy(pk, e->sign_public, 32);
        re->sign_public.data = pk;
        re->sign_public.len = 32;
        re->has_revoked_at = !e->active;
        re->revoked_at = e->revoked_at;
        list[i] = re;
    }
    rr->n_entries = n;
    rr->entries = list;
    resp->body_case = IAPT__QUERY_RESPONSE__BODY_REGISTRY;
    resp->registry = rr;
    return 0;
}

/* The only write on this endpoint: serialised by LMDB's writer lock, and
 * holding the resize lock shared like any reader. */
static int
s_lock(iapt_hub_t *hub, const iapt_registry_entry_t *peer, unsigned coll,
       const Iapt__LockRequest *req, Iapt__QueryResponse *resp, s_arena_t *a)
{
    iapt_period_t p;
    if (iapt_period_parse(req->period, &p) < 0) {
        s_error(resp, IAPT__REFUSE_CODE__REFUSE_INVALID, "period must be YYYY-MM", a);
        return 0;
    }
    int unlock = req->has_unlock && req->unlock;
    uint8_t key[4];
    iapt_be32(key, iapt_store_period_key(coll, &p));
    Iapt__PeriodLock lk = IAPT__PERIOD_LOCK__INIT;
    lk.at = iapt_now();
    lk.by = (char *)peer->org;
    uint8_t buf[256];
    MDB_val k = {4, key}, v = {iapt__period_lock__pack(&lk, buf), buf};
    MDB_txn *txn;
    pthread_rwlock_rdlock(&hub->st->resize_lock);
    int rc = mdb_txn_begin(hub->st->env, NULL, 0, &txn);
    if (rc == 0) {
        rc =
            unlock ? mdb_del(txn, hub->st->lock, &k, NULL) : mdb_put(txn, hub->st->lock, &k, &v, 0);
        if (rc == MDB_NOTFOUND)
            rc = 0;
        rc = rc ? (mdb_txn_abort(txn), rc) : mdb_txn_commit(txn);
    }
    pthread_rwlock_unlock(&hub->st->resize_lock);
    if (rc)
        return iapt_store_err(rc, "lock period");
    iapt_log_info("period %s %s by %s", p.text, unlock ? "reopened" : "locked", peer->org);
    Iapt__LockResponse *lr = s_alloc(a, sizeof *lr);
    if (!lr)
        return IAPT_ENOMEM;
    iapt__lock_response__init(lr);
    lr->period = s_strdup(a, p.text);
    lr->locked = !unlock;
    lr->at = lk.at;
    lr->by = s_strdup(a, peer->org);
    if (!lr->period || !lr->by)
        return IAPT_ENOMEM;
    resp->body_case = IAPT__QUERY_RESPONSE__BODY_LOCK;
    resp->lock = lr;
    return 0;
}

/* ---- review ------------------------------------------------------------------ */

/* Confirm or reject a held submission: a write, like s_lock, retried once
 * on a larger map when the cells of a confirm do not fit. */
static int
s_review(iapt_hub_t *hub, const iapt_registry_entry_t *peer, const Iapt__ReviewRequest *req,
         Iapt__QueryResponse *resp, s_arena_t *a)
{
    if (req->submission_id.len != 32) {
        s_error(resp, IAPT__REFUSE_CODE__REFUSE_INVALID, "submission id must be 32 bytes", a);
        return 0;
    }
    char why[512] = "";
    iapt_buf_t sd = IAPT_BUF_INIT;
    int rc = 0;
    for (int attempt = 0; attempt < 2; attempt++) {
        MDB_txn *txn = NULL;
        pthread_rwlock_rdlock(&hub->st->resize_lock);
        rc = mdb_txn_begin(hub->st->env, NULL, 0, &txn);
        if (rc) {
            pthread_rwlock_unlock(&hub->st->resize_lock);
            iapt_buf_free(&sd);
            return iapt_store_err(rc, "review");
        }
        rc = iapt_ingest_decide(hub->st, txn, hub->id, hub->cfg.name, &hub->tables,
                                req->submission_id.data, req->confirm, peer->org, req->reason, &sd,
                                why, sizeof why);
        if (rc == 0)
            rc = iapt_store_commit(hub->st, &txn);
        else
            iapt_store_abort(&txn);
        pthread_rwlock_unlock(&hub->st->resize_lock);
        if (rc != IAPT_EFULL || attempt == 1)
            break;
        if ((rc = iapt_store_grow(hub->st)) < 0)
            break;
    }
    if (rc < 0) {
        iapt_buf_free(&sd);
        return rc;
    }
    if (rc == 1) {
        iapt_buf_free(&sd);
        s_error(resp, IAPT__REFUSE_CODE__REFUSE_INVALID, why, a);
        return 0;
    }
    Iapt__ReviewResponse *rr = s_alloc(a, sizeof *rr);
    Iapt__SignedReviewDecision *d = s_alloc(a, sizeof *d);
    Iapt__SignedReviewDecision *tmp = iapt__signed_review_decision__unpack(NULL, sd.len, sd.data);
    uint8_t *db = tmp ? s_alloc(a, tmp->decision.len + 1) : NULL;
    uint8_t *sg = tmp ? s_alloc(a, tmp->signature.len + 1) : NULL;
    iapt_buf_free(&sd);
    if (!rr || !d || !tmp || !db || !sg) {
        if (tmp)
            iapt__signed_review_decision__free_unpacked(tmp, NULL);
        return IAPT_ENOMEM;
    }
    iapt__review_response__init(rr);
    iapt__signed_review_decision__init(d);
    memcpy(db, tmp->decision.data, tmp->decision.len);
    memcpy(sg, tmp->signature.data, tmp->signature.len);
    d->decision.data = db;
    d->decision.len = tmp->decision.len;
    d->signature.data = sg;
    d->signature.len = tmp->signature.len;
    iapt__signed_review_decision__free_unpacked(tmp, NULL);
    rr->decision = d;
    resp->body_case = IAPT__QUERY_RESPONSE__BODY_REVIEW;
    resp->review = rr;
    return 0;
}

/* Every signed decision, in the order made; with a period, only its own. */
static int
s_decisions(iapt_hub_t *hub, MDB_txn *txn, const Iapt__DecisionsRequest *req,
            Iapt__QueryResponse *resp, s_arena_t *a)
{
    iapt_period_t p;
    if (req->period && iapt_period_parse(req->period, &p) < 0) {
        s_error(resp, IAPT__REFUSE_CODE__REFUSE_INVALID, "period must be YYYY-MM", a);
        return 0;
    }
    size_t cap = 16, n = 0;
    Iapt__SignedReviewDecision **list = s_alloc(a, cap * sizeof *list);
    if (!list)
        return IAPT_ENOMEM;
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, hub->st->review, &c), r;
    if (rc)
        return iapt_store_err(rc, "cursor");
    MDB_val k, v;
    rc = 0;
    for (r = mdb_cursor_get(c, &k, &v, MDB_FIRST); r == 0 && rc == 0;
         r = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        Iapt__SignedReviewDecision *sd =
            iapt__signed_review_decision__unpack(NULL, v.mv_size, v.mv_data);
        if (!sd) {
            rc = iapt_error_set(IAPT_ELMDB, "stored review decision does not decode");
            break;
        }
        int keep = 1;
        if (req->period) {
            Iapt__ReviewDecision *d =
                iapt__review_decision__unpack(NULL, sd->decision.len, sd->decision.data);
            keep = d && strcmp(d->period, p.text) == 0;
            if (d)
                iapt__review_decision__free_unpacked(d, NULL);
        }
        if (keep) {
            if (s_room(a, &list, n, &cap) < 0) {
                iapt__signed_review_decision__free_unpacked(sd, NULL);
                rc = IAPT_ENOMEM;
                break;
            }
            Iapt__SignedReviewDecision *o = s_alloc(a, sizeof *o);
            uint8_t *db = s_alloc(a, sd->decision.len + 1), *sg = s_alloc(a, sd->signature.len + 1);
            if (!o || !db || !sg) {
                iapt__signed_review_decision__free_unpacked(sd, NULL);
                rc = IAPT_ENOMEM;
                break;
            }
            iapt__signed_review_decision__init(o);
            memcpy(db, sd->decision.data, sd->decision.len);
            memcpy(sg, sd->signature.data, sd->signature.len);
            o->decision.data = db;
            o->decision.len = sd->decision.len;
            o->signature.data = sg;
            o->signature.len = sd->signature.len;
            list[n++] = o;
        }
        iapt__signed_review_decision__free_unpacked(sd, NULL);
    }
    mdb_cursor_close(c);
    if (rc < 0)
        return rc;
    if (r && r != MDB_NOTFOUND)
        return iapt_store_err(r, "read review");
    Iapt__DecisionsResponse *dr = s_alloc(a, sizeof *dr);
    if (!dr)
        return IAPT_ENOMEM;
    iapt__decisions_response__init(dr);
    dr->n_decisions = n;
    dr->decisions = list;
    resp->body_case = IAPT__QUERY_RESPONSE__BODY_DECISIONS;
    resp->decisions = dr;
    return 0;
}

/* The provider's latest accepted sequence and its current submission per
 * period (iapt-node resync). */
static int
s_provider_state(iapt_hub_t *hub, MDB_txn *txn, const iapt_registry_t *reg,
                 const iapt_registry_entry_t *peer, unsigned coll,
                 const Iapt__ProviderStateRequest *req, Iapt__QueryResponse *resp, s_arena_t *a)
{
    const char *org = req->org_code ? req->org_code : peer->org;
    if (s_role(peer, "provider", NULL) && strcmp(org, peer->org) != 0) {
        s_error(resp, IAPT__REFUSE_CODE__REFUSE_ROLE,
                "a provider may read only its own organisation's state", a);
        return 0;
    }
    if (strlen(org) == 0 || strlen(org) > 15) {
        s_error(resp, IAPT__REFUSE_CODE__REFUSE_INVALID, "org_code must be 1 to 15 characters", a);
        return 0;
    }
    Iapt__ProviderStateResponse *ps = s_alloc(a, sizeof *ps);
    if (!ps)
        return IAPT_ENOMEM;
    iapt__provider_state_response__init(ps);
    if (!(ps->org_code = s_strdup(a, org)))
        return IAPT_ENOMEM;
    uint8_t pkey[IAPT_STORE_PROV_SEQ_KEY_MAX];
    MDB_val k = {iapt_store_prov_seq_key(coll, org, pkey), pkey}, v;
    int rc = mdb_get(txn, hub->st->prov_seq, &k, &v);
    if (rc == 0 && v.mv_size == 8)
        ps->last_sequence = iapt_rd_be64(v.mv_data);
    else if (rc != MDB_NOTFOUND)
        return rc ? iapt_store_err(rc, "read provider sequence")
                  : iapt_error_set(IAPT_ELMDB, "bad provider sequence");

    size_t cap = 16, n = 0;
    Iapt__SubmissionInfo **list = s_alloc(a, cap * sizeof *list);
    if (!list)
        return IAPT_ENOMEM;
    MDB_cursor *c;
    if ((rc = mdb_cursor_open(txn, hub->st->current, &c)) != 0)
        return iapt_store_err(rc, "cursor");
    int r;
    rc = 0;
    /* current: period key (4, the collection in its top byte) || org (16,
     * NUL padded) -> id. */
    for (r = mdb_cursor_get(c, &k, &v, MDB_FIRST); r == 0;
         r = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        char korg[17] = {0};
        if (k.mv_size != 20 || v.mv_size != 32)
            continue;
        memcpy(korg, (uint8_t *)k.mv_data + 4, 16);
        if (strcmp(korg, org) != 0 || iapt_store_key_collection(iapt_rd_be32(k.mv_data)) != coll)
            continue; /* another organisation's, or another collection's */
        Iapt__StoredSubmission *s = NULL;
        if ((rc = iapt_ingest_load(hub->st, txn, v.mv_data, &s)) < 0)
            break;
        if (s_room(a, &list, n, &cap) < 0) {
            iapt__stored_submission__free_unpacked(s, NULL);
            rc = IAPT_ENOMEM;
            break;
        }
        rc = s_info(a, reg, s, v.mv_data, 1, &list[n]);
        iapt__stored_submission__free_unpacked(s, NULL);
        if (rc < 0)
            break;
        n++;
    }
    mdb_cursor_close(c);
    if (rc < 0)
        return rc;
    if (r && r != MDB_NOTFOUND)
        return iapt_store_err(r, "read current submissions");
    ps->n_current = n;
    ps->current = list;
    resp->body_case = IAPT__QUERY_RESPONSE__BODY_PROVIDER_STATE;
    resp->provider_state = ps;
    return 0;
}

int
iapt_query_answer(iapt_hub_t *hub, const iapt_registry_t *reg, const iapt_registry_entry_t *peer,
                  const Iapt__QueryRequest *q, iapt_buf_t *reply)
{
    int rc = 0;
    s_arena_t a = {0};
    MDB_txn *txn = NULL;
    const iapt_translog_t *log = hub->st->log;
    Iapt__Manifest *keep = NULL;
    void *scratch = NULL;
    Iapt__QueryResponse resp = IAPT__QUERY_RESPONSE__INIT;
    resp.request_id = q->request_id;
    const char *denied = NULL;

    switch (q->body_case) {
    case IAPT__QUERY_REQUEST__BODY_TARGETS:
    case IAPT__QUERY_REQUEST__BODY_LEAVES:
    case IAPT__QUERY_REQUEST__BODY_REGISTRY:
        if (!s_role(peer, "analyst", "auditor"))
            denied = "this request is for the analyst and auditor roles";
        break;
    case IAPT__QUERY_REQUEST__BODY_RECORDS:
        if (!s_role(peer, "auditor", NULL))
            denied = "record bytes are for the auditor role only";
        break;
    case IAPT__QUERY_REQUEST__BODY_LOCK:
        if (!s_role(peer, "analyst", NULL))
            denied = "only the analyst role may close or reopen a period";
        break;
    case IAPT__QUERY_REQUEST__BODY_REVIEW:
        if (!s_role(peer, "analyst", NULL))
            denied = "only the analyst role may confirm or reject a submission held for review";
        break;
    case IAPT__QUERY_REQUEST__BODY_DECISIONS:
        if (!s_role(peer, "analyst", "auditor"))
            denied = "review decisions are for the analyst and auditor roles";
        break;
    case IAPT__QUERY_REQUEST__BODY_MEASURES:
        if (q->measures->has_unsuppressed && q->measures->unsuppressed &&
            !s_role(peer, "analyst", NULL))
            denied = "only the analyst role may read unsuppressed values";
        break;
    default:
        break;
    }
    if (denied) {
        s_error(&resp, IAPT__REFUSE_CODE__REFUSE_ROLE, denied, &a);
        goto out_pack;
    }
    const iapt_collection_t *col = iapt_collection_find(q->collection ? q->collection : "IAPT");
    if (!col || !col->hub) {
        char why[256];
        snprintf(why, sizeof why, "unknown collection '%s' (this hub has %s)", q->collection,
                 iapt_collection_names());
        s_error(&resp, IAPT__REFUSE_CODE__REFUSE_INVALID, why, &a);
        goto out_pack;
    }
    if (q->body_case == IAPT__QUERY_REQUEST__BODY_LOCK) {
        rc = s_lock(hub, peer, col->index, q->lock, &resp, &a);
        goto out_pack;
    }
    if (q->body_case == IAPT__QUERY_REQUEST__BODY_REVIEW) {
        rc = s_review(hub, peer, q->review, &resp, &a);
        if (rc < 0)
            goto out;
        goto out_pack;
    }
    if ((rc = iapt_store_read_begin(hub->st, &txn)) < 0)
        goto out;
    switch (q->body_case) {
    case IAPT__QUERY_REQUEST__BODY_MEASURES:
        rc = iapt_query_measures(hub, txn, reg, peer, col, q->measures, &resp, &scratch);
        break;
    case IAPT__QUERY_REQUEST__BODY_TARGETS:
        rc = iapt_query_targets(hub, txn, reg, col, q->targets, &resp, &scratch);
        break;
    case IAPT__QUERY_REQUEST__BODY_SUBMISSIONS:
        rc = s_submissions(hub, txn, reg, peer, col->index, q->submissions, &resp, &a);
        break;
    case IAPT__QUERY_REQUEST__BODY_QUALITY:
        rc = s_quality(hub, txn, peer, col->index, q->quality, &resp, &a, &keep);
        break;
    case IAPT__QUERY_REQUEST__BODY_CHECKPOINT:
        rc = s_checkpoint(hub, txn, q->checkpoint, &resp, &a);
        break;
    case IAPT__QUERY_REQUEST__BODY_CONSISTENCY:
        rc = s_consistency(txn, log, q->consistency, &resp, &a);
        break;
    case IAPT__QUERY_REQUEST__BODY_INCLUSION:
        rc = s_inclusion(hub, txn, log, q->inclusion, &resp, &a);
        break;
    case IAPT__QUERY_REQUEST__BODY_LEAVES:
        rc = s_leaves(hub, txn, log, q->leaves, &resp, &a);
        break;
    case IAPT__QUERY_REQUEST__BODY_MANIFEST:
        rc = s_manifest(hub, txn, peer, q->manifest, &resp, &a);
        break;
    case IAPT__QUERY_REQUEST__BODY_RECORDS:
        rc = s_records(hub, txn, q->records, &resp, &a);
        break;
    case IAPT__QUERY_REQUEST__BODY_REGISTRY:
        rc = s_registry(reg, &resp, &a);
        break;
    case IAPT__QUERY_REQUEST__BODY_DECISIONS:
        rc = s_decisions(hub, txn, q->decisions, &resp, &a);
        break;
    case IAPT__QUERY_REQUEST__BODY_PROVIDER_STATE:
        rc = s_provider_state(hub, txn, reg, peer, col->index, q->provider_state, &resp, &a);
        break;
    default:
        s_error(&resp, IAPT__REFUSE_CODE__REFUSE_UNKNOWN_TYPE, "unknown request", &a);
        break;
    }
    if (rc < 0)
        goto out;
out_pack:
    if (rc == 0) {
        Iapt__Envelope env = IAPT__ENVELOPE__INIT;
        env.body_case = IAPT__ENVELOPE__BODY_ANSWER;
        env.answer = &resp;
        rc = iapt_wire_pack(&env, reply);
    }
out:
    iapt_store_read_end(hub->st, &txn);
    iapt_query_scratch_free(&scratch);
    if (keep)
        iapt__manifest__free_unpacked(keep, NULL);
    s_arena_free(&a);
    return rc;
}

/* ---- the thread ------------------------------------------------------------------- */

/* Answer a request that could not be served with the code and reason. */
static void
s_send_error(void *sock, zmq_msg_t *rid, uint64_t request_id, Iapt__RefuseCode code,
             const char *why, iapt_buf_t *reply)
{
    Iapt__QueryResponse resp = IAPT__QUERY_RESPONSE__INIT;
    resp.request_id = request_id;
    resp.has_error = 1;
    resp.error = code;
    resp.reason = (char *)why;
    Iapt__Envelope out = IAPT__ENVELOPE__INIT;
    out.body_case = IAPT__ENVELOPE__BODY_ANSWER;
    out.answer = &resp;
    if (iapt_wire_pack(&out, reply) == 0 &&
        (zmq_send(sock, zmq_msg_data(rid), zmq_msg_size(rid), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
         zmq_send(sock, reply->data, reply->len, ZMQ_DONTWAIT) < 0))
        iapt_log_debug("answer not sent (peer gone): %s", zmq_strerror(errno));
}

static void
s_serve_one(iapt_hub_t *hub, void *sock, zmq_msg_t *rid, zmq_msg_t *body)
{
    iapt_buf_t reply = IAPT_BUF_INIT;
    iapt_registry_t *reg = iapt_hub_registry(hub);
    const iapt_registry_entry_t *peer = iapt_hub_peer(reg, zmq_msg_gets(body, "User-Id"));
    Iapt__Envelope *env = NULL;
    uint64_t request_id = 0;
    const char *why = NULL;
    Iapt__RefuseCode code = IAPT__REFUSE_CODE__REFUSE_MALFORMED;
    int rc;

    if (!peer || !peer->active) {
        why = "this key is not (or no longer) registered";
        code = IAPT__REFUSE_CODE__REFUSE_NOT_REGISTERED;
    } else if ((rc = iapt_wire_unpack(zmq_msg_data(body), zmq_msg_size(body), S_MAX_REQUEST,
                                      &env)) < 0) {
        why = iapt_error_detail();
        code = rc == IAPT_ELIMIT     ? IAPT__REFUSE_CODE__REFUSE_TOO_LARGE
               : rc == IAPT_EVERSION ? IAPT__REFUSE_CODE__REFUSE_VERSION
                                     : IAPT__REFUSE_CODE__REFUSE_MALFORMED;
    } else if (env->body_case == IAPT__ENVELOPE__BODY_PING) {
        /* A connection check: how the hub sees this key; nothing read. */
        if (iapt_hub_pong(hub, peer, "query", &reply) < 0) {
            why = "the hub could not answer; try again later";
            code = IAPT__REFUSE_CODE__REFUSE_INTERNAL;
        }
    } else if (env->body_case != IAPT__ENVELOPE__BODY_QUERY) {
        why = "only queries are served on this endpoint";
        code = IAPT__REFUSE_CODE__REFUSE_UNKNOWN_TYPE;
    } else if ((rc = iapt_query_answer(hub, reg, peer, env->query, &reply)) < 0) {
        iapt_log_error("query from %s failed: %s", peer->org, iapt_error_detail());
        why = "the hub could not answer; try again later";
        code = IAPT__REFUSE_CODE__REFUSE_INTERNAL;
        request_id = env->query->request_id;
    }
    if (why)
        s_send_error(sock, rid, request_id, code, why, &reply);
    else if (reply.len && (zmq_send(sock, zmq_msg_data(rid), zmq_msg_size(rid),
                                    ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
                           zmq_send(sock, reply.data, reply.len, ZMQ_DONTWAIT) < 0))
        iapt_log_debug("answer not sent (peer gone): %s", zmq_strerror(errno));
    if (env)
        iapt__envelope__free_unpacked(env, NULL);
    iapt_registry_release(&reg);
    iapt_buf_free(&reply);
}

static void *
s_thread(void *arg)
{
    iapt_hub_t *hub = arg;
    void *sock = zmq_socket(hub->zctx, ZMQ_ROUTER);
    /* Requests are answered one at a time and a client waits for each
     * answer: libzmq need queue only a few per connection (at most
     * S_QUEUED x 2 MB), not its default of 1000. */
    int one = 1, zero = 0, hwm = S_QUEUED;
    int64_t maxmsg = 2 * S_MAX_REQUEST;
    if (!sock)
        return NULL;
    zmq_setsockopt(sock, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(sock, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
    zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    if (iapt_wire_curve_server(sock, hub->id, IAPT_ZAP_DOMAIN_QUERY) < 0 ||
        zmq_bind(sock, hub->cfg.query_endpoint) < 0) {
        iapt_log_error("query endpoint %s: %s", hub->cfg.query_endpoint, zmq_strerror(errno));
        atomic_store(&hub->stop, 1);
        zmq_close(sock);
        return NULL;
    }
    while (!atomic_load(&hub->stop)) {
        zmq_pollitem_t item = {sock, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, 200) <= 0)
            continue;
        zmq_msg_t rid, body;
        zmq_msg_init(&rid);
        zmq_msg_init(&body);
        if (zmq_msg_recv(&rid, sock, ZMQ_DONTWAIT) >= 0 && zmq_msg_more(&rid) &&
            zmq_msg_recv(&body, sock, 0) >= 0) {
            if (!zmq_msg_more(&body)) {
                s_serve_one(hub, sock, &rid, &body);
            } else {
                while (zmq_msg_more(&body)) /* drain frames that are not ours */
                    if (zmq_msg_recv(&body, sock, 0) < 0)
                        break;
                iapt_buf_t reply = IAPT_BUF_INIT;
                s_send_error(sock, &rid, 0, IAPT__REFUSE_CODE__REFUSE_MALFORMED,
                             "expected exactly one frame per message", &reply);
                iapt_buf_free(&reply);
            }
        }
        zmq_msg_close(&rid);
        zmq_msg_close(&body);
    }
    zmq_close(sock);
    return NULL;
}

int
iapt_query_start(iapt_hub_t *hub)
{
    if (pthread_create(&hub->query_thread, NULL, s_thread, hub) != 0)
        return iapt_error_set(IAPT_EIO, "cannot start the query thread");
    hub->query_started = 1;
    return 0;
}

void
iapt_query_join(iapt_hub_t *hub)
{
    if (hub->query_started)
        pthread_join(hub->query_thread, NULL);
    hub->query_started = 0;
}
