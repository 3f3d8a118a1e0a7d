/* audit.c - the auditor's checks (hub/audit.h): everything the hub answers
 * is untrusted, and is believed only as far as a signature by a key the
 * auditor holds, or a hash or proof the auditor recomputes, carries it.
 * Recompute is in audit_recompute.c, the state file in audit_state.c. */
#include "common/providers.h"
#include "common/collection.h"
#include "common/checkpoint.h"
#include "common/date.h"
#include "common/err.h"
#include "common/note.h"
#include "common/sign.h"
#include "common/wire.h"
#include "hub/audit_internal.h"
#include "hub/ingest.h"
#include "node/sender.h"
#include "proto/outbox.pb-c.h"
#include "proto/adult.pb-c.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- report lines ------------------------------------------------------------ */

void
au_check(au_ctx_t *c, bool ok, const char *fmt, ...)
{
    va_list ap;
    fputs(ok ? "ok   " : "FAIL ", c->out);
    va_start(ap, fmt);
    vfprintf(c->out, fmt, ap);
    va_end(ap);
    fputc('\n', c->out);
    if (ok)
        c->passed++;
    else
        c->failed++;
}

void
au_note(au_ctx_t *c, const char *fmt, ...)
{
    va_list ap;
    fputs("note ", c->out);
    va_start(ap, fmt);
    vfprintf(c->out, fmt, ap);
    va_end(ap);
    fputc('\n', c->out);
}

void
au_verbose(au_ctx_t *c, const char *fmt, ...)
{
    va_list ap;
    if (!c->a->cfg.verbose)
        return;
    fputs("# ", c->out);
    va_start(ap, fmt);
    vfprintf(c->out, fmt, ap);
    va_end(ap);
    fputc('\n', c->out);
    fflush(c->out);
}

void
au_list_add(au_list_t *l, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    if (l->n++ >= IAPT_AUDIT_LIST_MAX)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    /* Out of memory only shortens the listing; the count stays right. */
    (void)iapt_buf_printf(&l->buf, "     - %s\n", line);
}

void
au_list_flush(au_ctx_t *c, au_list_t *l)
{
    if (l->buf.len)
        fwrite(l->buf.data, 1, l->buf.len, c->out);
    if (l->n > IAPT_AUDIT_LIST_MAX)
        fprintf(c->out, "     - ... and %lu more\n", l->n - IAPT_AUDIT_LIST_MAX);
    au_list_free(l);
}

void
au_list_free(au_list_t *l)
{
    iapt_buf_free(&l->buf);
    l->n = 0;
}

static double
s_seconds(int64_t since_ms)
{
    return (double)(iapt_clock_ms() - since_ms) / 1000.0;
}

/* ---- life cycle ----------------------------------------------------------------- */

int
au_ctx_open(const struct iapt_audit *a, FILE *out, au_ctx_t *c)
{
    memset(c, 0, sizeof *c);
    c->a = a;
    c->out = out;
    if (!a->cfg.endpoint)
        return 0;
    return iapt_client_new(a->cfg.endpoint, a->cfg.self, a->cfg.hub_curve_public, a->cfg.timeout_ms,
                           &c->client);
}

void
au_ctx_close(au_ctx_t *c)
{
    iapt_client_destroy(&c->client);
}

int
iapt_audit_new(const iapt_audit_config_t *cfg, iapt_audit_t **out)
{
    int rc;
    if (!cfg->hub_sign_public || !cfg->hub_name || !*cfg->hub_name)
        return iapt_error_set(IAPT_EUSAGE, "the hub's public key and name are required");
    if (!iapt_note_name_valid(cfg->hub_name, strlen(cfg->hub_name)))
        return iapt_error_set(IAPT_EUSAGE, "'%s' cannot name a checkpoint key", cfg->hub_name);
    if (cfg->endpoint && (!cfg->self || !cfg->hub_curve_public))
        return iapt_error_set(IAPT_EUSAGE, "a connection needs the auditor's keys and the "
                                           "hub's CURVE key");
    iapt_audit_t *a = calloc(1, sizeof *a);
    if (!a)
        return IAPT_ENOMEM;
    a->cfg = *cfg;
    if (a->cfg.timeout_ms <= 0)
        a->cfg.timeout_ms = 30000;
    if (a->cfg.jobs <= 0)
        a->cfg.jobs = 2;
    a->schema = iapt_collection_default()->hub;
    if (cfg->collection) {
        const iapt_collection_t *col = iapt_collection_find(cfg->collection);
        if (!col || !col->hub) {
            free(a);
            return iapt_error_set(IAPT_EUSAGE, "no collection %s (known: %s)", cfg->collection,
                                  iapt_collection_names());
        }
        a->schema = col->hub;
        a->collection = col->index;
    }
    if (cfg->tools)
        a->tools = *cfg->tools;
    else
        iapt_tools_default(&a->tools);
    if ((rc = au_ctx_open(a, cfg->out ? cfg->out : stdout, &a->main)) < 0) {
        free(a);
        return rc;
    }
    *out = a;
    return 0;
}

void
iapt_audit_destroy(iapt_audit_t **a_p)
{
    iapt_audit_t *a = *a_p;
    if (!a)
        return;
    au_ctx_close(&a->main);
    free(a);
    *a_p = NULL;
}

void
iapt_audit_counts(const iapt_audit_t *a, unsigned *passed, unsigned *failed)
{
    *passed = a->main.passed;
    *failed = a->main.failed;
}

static int
s_need(const iapt_audit_t *a, bool registry)
{
    if (!a->main.client)
        return iapt_error_set(IAPT_EUSAGE, "this check needs a connection to the hub");
    if (registry && !a->cfg.reg)
        return iapt_error_set(IAPT_EUSAGE, "this check needs the auditor's registry (--registry)");
    return 0;
}

/* ---- asking the hub --------------------------------------------------------------- */

int
au_ask_manifest(au_ctx_t *c, const uint8_t id[32], Iapt__QueryResponse **resp, char *why,
                size_t why_len)
{
    Iapt__ManifestRequest mq = IAPT__MANIFEST_REQUEST__INIT;
    Iapt__QueryRequest q = IAPT__QUERY_REQUEST__INIT;
    mq.submission_id.data = (uint8_t *)id;
    mq.submission_id.len = 32;
    q.body_case = IAPT__QUERY_REQUEST__BODY_MANIFEST;
    q.manifest = &mq;
    return au_ask(c, &q, IAPT__QUERY_RESPONSE__BODY_MANIFEST, resp, why, why_len);
}

int
au_ask(au_ctx_t *c, Iapt__QueryRequest *q, Iapt__QueryResponse__BodyCase want,
       Iapt__QueryResponse **resp, char *why, size_t why_len)
{
    int64_t t0 = iapt_clock_ms();
    int rc = iapt_client_call(c->client, q, resp);
    c->wait_ms += iapt_clock_ms() - t0;
    why[0] = 0;
    if (rc == IAPT_EREFUSED && *resp) {
        const Iapt__QueryResponse *r = *resp;
        const char *reason = r->reason ? r->reason : "no reason given";
        switch (r->error) {
        case IAPT__REFUSE_CODE__REFUSE_INVALID:
        case IAPT__REFUSE_CODE__REFUSE_PROTOCOL:
            snprintf(why, why_len, "the hub answered: %s", reason);
            return 1;
        default:
            return iapt_error_set(IAPT_EREFUSED, "the hub refused: %s", reason);
        }
    }
    if (rc < 0)
        return rc;
    if ((*resp)->body_case != want) {
        snprintf(why, why_len, "the hub answered with a message of another kind (%d, asked %d)",
                 (int)(*resp)->body_case, (int)want);
        return 1;
    }
    return 0;
}

void
au_free_resp(Iapt__QueryResponse **resp)
{
    if (*resp)
        iapt__query_response__free_unpacked(*resp, NULL);
    *resp = NULL;
}

int
au_proof_bytes(const Iapt__ProofResponse *pr, uint8_t proof[IAPT_MERKLE_PROOF_MAX_BYTES],
               size_t *len)
{
    if (pr->n_proof > IAPT_MERKLE_PROOF_MAX)
        return -1;
    for (size_t i = 0; i < pr->n_proof; i++) {
        if (pr->proof[i].len != IAPT_MERKLE_HASH_BYTES)
            return -1;
        memcpy(proof + 32 * i, pr->proof[i].data, 32);
    }
    *len = 32 * pr->n_proof;
    return 0;
}

/* ---- checkpoints and the state ------------------------------------------------------- */

void
au_cp_free(au_cp_t *cp)
{
    iapt_buf_free(&cp->note);
}

int
au_checkpoint(au_ctx_t *c, au_cp_t *cp)
{
    const iapt_audit_t *a = c->a;
    Iapt__CheckpointRequest cr = IAPT__CHECKPOINT_REQUEST__INIT;
    Iapt__QueryRequest q = IAPT__QUERY_REQUEST__INIT;
    Iapt__QueryResponse *resp = NULL;
    char why[512], origin[256], root_b64[48];
    const char *name = a->cfg.hub_name;
    uint32_t key_id = iapt_note_key_id(name, a->cfg.hub_sign_public);
    int rc;

    memset(cp, 0, sizeof *cp);
    q.body_case = IAPT__QUERY_REQUEST__BODY_CHECKPOINT;
    q.checkpoint = &cr;
    rc = au_ask(c, &q, IAPT__QUERY_RESPONSE__BODY_CHECKPOINT, &resp, why, sizeof why);
    if (rc == 1 && resp && resp->has_error && resp->error == IAPT__REFUSE_CODE__REFUSE_PROTOCOL) {
        /* The empty log has nothing signed; what it can be checked against
         * is the saved state (an empty log after a verified one is a
         * rollback). */
        iapt_merkle_empty_root(cp->root);
        au_note(c, "the hub's log is empty (%s)", resp->reason ? resp->reason : "");
        rc = 0;
        goto out;
    }
    if (rc == 1) {
        au_check(c, false, "checkpoint: %s", why);
        rc = IAPT_ECRYPTO;
        goto out;
    }
    if (rc < 0)
        goto out;
    const char *text = resp->checkpoint->checkpoint;
    rc = iapt_checkpoint_open((const uint8_t *)text, strlen(text), name, a->cfg.hub_sign_public,
                              &cp->size, cp->root, origin, sizeof origin);
    if (rc < 0) {
        au_check(c, false,
                 "checkpoint: not signed by the hub key %s+%08x that this auditor holds: %s", name,
                 key_id, iapt_error_detail());
        rc = IAPT_ECRYPTO;
        goto out;
    }
    if (strcmp(origin, name) != 0) {
        au_check(c, false, "checkpoint: for the log '%s', not '%s'", origin, name);
        rc = IAPT_ECRYPTO;
        goto out;
    }
    if (resp->checkpoint->tree_size != cp->size) {
        /* Only the signed size is used, but a hub that says two things
         * about one checkpoint is reported. */
        au_check(c, false, "checkpoint: signed for size %" PRIu64 " but the hub calls it %" PRIu64,
                 cp->size, resp->checkpoint->tree_size);
        rc = IAPT_ECRYPTO;
        goto out;
    }
    if ((rc = iapt_buf_append(&cp->note, text, strlen(text))) < 0)
        goto out;
    iapt_base64_encode(cp->root, 32, root_b64);
    au_check(c, true, "checkpoint: size %" PRIu64 ", root %s, signed by %s+%08x", cp->size,
             root_b64, name, key_id);
out:
    au_free_resp(&resp);
    return rc;
}

/* Ask for and check a consistency proof from (m, root_m) to cp.
 * 0 verified, 1 not (why says how), <0 error. */
static int
s_consistency(au_ctx_t *c, uint64_t m, const uint8_t root_m[32], const au_cp_t *cp, char *why,
              size_t why_len)
{
    Iapt__ConsistencyRequest cr = IAPT__CONSISTENCY_REQUEST__INIT;
    Iapt__QueryRequest q = IAPT__QUERY_REQUEST__INIT;
    Iapt__QueryResponse *resp = NULL;
    uint8_t proof[IAPT_MERKLE_PROOF_MAX_BYTES];
    size_t len = 0;
    int rc;

    if (m == cp->size) {
        if (memcmp(root_m, cp->root, 32) == 0)
            return 0;
        snprintf(why, why_len, "two different roots for the same size %" PRIu64, m);
        return 1;
    }
    cr.old_size = m;
    cr.new_size = cp->size;
    q.body_case = IAPT__QUERY_REQUEST__BODY_CONSISTENCY;
    q.consistency = &cr;
    if ((rc = au_ask(c, &q, IAPT__QUERY_RESPONSE__BODY_PROOF, &resp, why, why_len)) != 0)
        goto out;
    if (au_proof_bytes(resp->proof, proof, &len) < 0) {
        snprintf(why, why_len, "the hub's consistency proof is malformed");
        rc = 1;
        goto out;
    }
    if (iapt_merkle_verify_consistency(m, cp->size, root_m, cp->root, proof, len) != 0) {
        snprintf(why, why_len,
                 "the consistency proof from size %" PRIu64 " to %" PRIu64 " does not verify (%s)",
                 m, cp->size, iapt_error_detail());
        rc = 1;
    }
out:
    au_free_resp(&resp);
    return rc;
}

int
au_log_checks(au_ctx_t *c, au_cp_t *cp)
{
    const iapt_audit_t *a = c->a;
    iapt_audit_state_t st;
    char why[512], when[21];
    int rc = au_checkpoint(c, cp);
    if (rc < 0)
        return rc;
    if (!a->cfg.state_path) {
        au_note(c, "no state file: nothing to compare this checkpoint with");
        return 0;
    }
    rc = iapt_audit_state_load(a->cfg.state_path, a->cfg.hub_name, a->cfg.hub_sign_public, &st);
    if (rc == IAPT_ENOTFOUND) {
        au_note(c, "no saved state in %s yet: this checkpoint is the first one trusted",
                a->cfg.state_path);
        return 0;
    }
    if (rc < 0) {
        char detail[512];
        iapt_strlcpy(detail, iapt_error_detail(), sizeof detail);
        return iapt_error_set(rc, "state file: %s", detail);
    }
    iapt_time_format(st.verified_at, when);
    if (st.size > cp->size) {
        au_check(c, false,
                 "rollback: the log now has %" PRIu64 " leaves, but %" PRIu64
                 " were verified at %s: the hub has dropped or rewound entries",
                 cp->size, st.size, when);
        rc = IAPT_ECRYPTO;
        goto out;
    }
    rc = s_consistency(c, st.size, st.root, cp, why, sizeof why);
    if (rc < 0)
        goto out;
    if (rc == 1) {
        au_check(c, false,
                 "fork: the log of size %" PRIu64 " does not extend the one of size %" PRIu64
                 " verified at %s: %s",
                 cp->size, st.size, when, why);
        rc = IAPT_ECRYPTO;
        goto out;
    }
    if (st.size == cp->size)
        au_check(c, true, "consistency: the log is the one verified at %s (size %" PRIu64 ")", when,
                 st.size);
    else
        au_check(c, true,
                 "consistency: size %" PRIu64 " (verified at %s) is a prefix of size %" PRIu64,
                 st.size, when, cp->size);
out:
    iapt_audit_state_free(&st);
    return rc;
}

int
au_state_advance(au_ctx_t *c, const au_cp_t *cp)
{
    const iapt_audit_t *a = c->a;
    if (!a->cfg.state_path || cp->note.len == 0)
        return 0;
    /* Another run sharing the file may have saved a larger checkpoint
     * meanwhile: the state never moves back. */
    iapt_audit_state_t now;
    int r = iapt_audit_state_load(a->cfg.state_path, a->cfg.hub_name, a->cfg.hub_sign_public, &now);
    uint64_t saved = now.size;
    iapt_audit_state_free(&now);
    if (r == 0 && saved > cp->size) {
        au_note(c, "state kept: %s already holds size %" PRIu64, a->cfg.state_path, saved);
        return 0;
    }
    iapt_audit_state_t st = {.size = cp->size, .verified_at = iapt_now()};
    memcpy(st.root, cp->root, 32);
    st.note = cp->note; /* borrowed: not freed here */
    int rc = iapt_audit_state_save(a->cfg.state_path, a->cfg.hub_name, &st);
    if (rc < 0)
        return rc;
    au_note(c, "state saved in %s: size %" PRIu64, a->cfg.state_path, cp->size);
    return 0;
}

/* ---- manifests ------------------------------------------------------------------------ */

void
au_sub_label(const au_sub_t *s, char *out, size_t size)
{
    char id[13];
    iapt_id_short(s->id, 32, id);
    if (!*s->org)
        snprintf(out, size, "submission %s", id);
    else
        snprintf(out, size, "%s %s sequence %" PRIu64 " (%s)", s->org, s->period, s->sequence, id);
}

/* Check a signed manifest against the auditor's registry, with the
 * revocation rule of registry.h at its creation time, and that the signer
 * is a provider. 0 with *sub filled (and *signer when not NULL); 1 with
 * `why` when it fails (sub filled as far as it could be). */
static int
s_manifest_check(const iapt_audit_t *a, const uint8_t *sm, size_t len, au_sub_t *sub,
                 const iapt_registry_entry_t **signer, char *why, size_t why_len)
{
    const uint8_t *mb, *sig;
    size_t ml;
    Iapt__Manifest *m = NULL;
    const char *w = NULL;
    const iapt_registry_entry_t *e;
    int rc = 1;

    memset(sub, 0, sizeof *sub);
    iapt_submission_id(sm, len, sub->id);
    if (iapt_manifest_split(sm, len, SIZE_MAX, &mb, &ml, &sig) < 0) {
        snprintf(why, why_len, "not a signed manifest");
        goto out;
    }
    /* The key to check with is named inside the signed bytes, so they are
     * decoded first; nothing they say is believed before the signature
     * verified with a key of that organisation in the auditor's registry. */
    if (iapt_manifest_decode_verified(mb, ml, &m) < 0) {
        snprintf(why, why_len, "manifest: %s", iapt_error_detail());
        goto out;
    }
    iapt_strlcpy(sub->org, m->org_code, sizeof sub->org);
    iapt_strlcpy(sub->period, m->period, sizeof sub->period);
    const iapt_collection_t *col = iapt_collection_find(m->collection); /* checked above */
    sub->collection = col ? col->index : 0;
    sub->sequence = m->sequence;
    sub->record_count = m->record_count;
    sub->created_at = m->created_at;
    sub->forced = m->has_forced && m->forced;
    memcpy(sub->records_root, m->records_root.data, 32);
    e = iapt_registry_manifest_signer(a->cfg.reg, m->org_code, mb, ml, sig, m->created_at, &w);
    if (!e) {
        char created[21], revoked[21] = "";
        iapt_time_format(m->created_at, created);
        /* Say which revocation, for the report: the row whose key made it. */
        for (size_t i = 0; i < iapt_registry_count(a->cfg.reg); i++) {
            const iapt_registry_entry_t *r = iapt_registry_entry(a->cfg.reg, i);
            if (strcmp(r->org, m->org_code) == 0 && !r->active &&
                iapt_verify_detached(IAPT_CONTEXT_MANIFEST, mb, ml, sig, r->sign_public) == 0)
                iapt_time_format(r->revoked_at, revoked);
        }
        if (*revoked)
            snprintf(why, why_len, "%s: %s's key was revoked at %s, the manifest was signed at %s",
                     w, m->org_code, revoked, created);
        else
            snprintf(why, why_len, "%s (%s, signed at %s)", w, m->org_code, created);
        goto out;
    }
    if (strcmp(e->role, "provider") != 0) {
        snprintf(why, why_len, "signed by %s's key, whose role is %s, not provider", e->org,
                 e->role);
        goto out;
    }
    if (signer)
        *signer = e;
    rc = 0;
out:
    if (m)
        iapt__manifest__free_unpacked(m, NULL);
    return rc;
}

/* ---- organisations seen in the log ------------------------------------------------------ */

/* The entry of org, inserted in order when new; NULL when out of memory.
 * A few hundred organisations, each inserted once. */
static au_org_t *
s_orgs_get(au_orgs_t *o, const char *org, unsigned collection)
{
    size_t lo = 0, hi = o->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int cmp = strcmp(o->v[mid].org, org);
        if (cmp == 0)
            cmp = o->v[mid].collection < collection ? -1 : o->v[mid].collection > collection;
        if (cmp == 0)
            return &o->v[mid];
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (o->n == o->cap) {
        size_t cap = o->cap ? 2 * o->cap : 64;
        au_org_t *v = realloc(o->v, cap * sizeof *v);
        if (!v)
            return NULL;
        o->v = v;
        o->cap = cap;
    }
    memmove(o->v + lo + 1, o->v + lo, (o->n - lo) * sizeof *o->v);
    memset(&o->v[lo], 0, sizeof o->v[lo]);
    iapt_strlcpy(o->v[lo].org, org, sizeof o->v[lo].org);
    o->v[lo].collection = collection;
    o->n++;
    return &o->v[lo];
}

void
au_orgs_free(au_orgs_t *o)
{
    free(o->v);
    memset(o, 0, sizeof *o);
}

/* ---- review decisions ------------------------------------------------------------------------ */

/* What the audit keeps of one verified review decision. */
typedef struct {
    uint8_t id[32], replaces[32];
    bool has_replaces, confirm, seen;
    char org[IAPT_ORG_MAX], period[8];
    uint64_t tree_size;
} s_dec_t;

/* Fetch the hub's review decisions (of `period`, or all), verify each with
 * the hub's key and name and keep those made within cp's tree; failures go
 * to `bad`. 0 (also with failures listed) or an error. */
static int
s_decisions_fetch(au_ctx_t *c, const au_cp_t *cp, const char *period, s_dec_t **out, size_t *n_out,
                  au_list_t *bad)
{
    Iapt__DecisionsRequest dr = IAPT__DECISIONS_REQUEST__INIT;
    Iapt__QueryRequest q = IAPT__QUERY_REQUEST__INIT;
    Iapt__QueryResponse *resp = NULL;
    char why[512];
    dr.period = (char *)period;
    q.body_case = IAPT__QUERY_REQUEST__BODY_DECISIONS;
    q.decisions = &dr;
    *out = NULL;
    *n_out = 0;
    int rc = au_ask(c, &q, IAPT__QUERY_RESPONSE__BODY_DECISIONS, &resp, why, sizeof why);
    if (rc < 0)
        return rc;
    if (rc == 1) {
        au_list_add(bad, "the hub gave no review decisions: %s", why);
        return 0;
    }
    const Iapt__DecisionsResponse *d = resp->decisions;
    s_dec_t *v = calloc(d->n_decisions ? d->n_decisions : 1, sizeof *v);
    if (!v) {
        au_free_resp(&resp);
        return IAPT_ENOMEM;
    }
    size_t n = 0;
    uint64_t last = 0;
    for (size_t i = 0; i < d->n_decisions; i++) {
        const Iapt__SignedReviewDecision *sd = d->decisions[i];
        iapt_buf_t b = IAPT_BUF_INIT;
        Iapt__ReviewDecision *rd = NULL;
        if (iapt_buf_reserve(&b, iapt__signed_review_decision__get_packed_size(sd)) < 0) {
            rc = IAPT_ENOMEM;
            break;
        }
        b.len = iapt__signed_review_decision__pack(sd, b.data);
        int r = iapt_review_open(b.data, b.len, c->a->cfg.hub_sign_public, &rd);
        iapt_buf_free(&b);
        if (r < 0) {
            au_list_add(bad, "review decision %zu: %s", i + 1, iapt_error_detail());
            continue;
        }
        char sid[13];
        iapt_id_short(rd->submission_id.data, 32, sid);
        if (strcmp(rd->hub_name, c->a->cfg.hub_name) != 0)
            au_list_add(bad, "review decision %zu (on %s): made by hub '%s', not '%s'", i + 1, sid,
                        rd->hub_name, c->a->cfg.hub_name);
        else if (rd->tree_size < last)
            au_list_add(bad,
                        "review decision %zu (on %s): at tree size %" PRIu64
                        ", before the one listed ahead of it (%" PRIu64 ")",
                        i + 1, sid, rd->tree_size, last);
        else if (period && strcmp(rd->period, period) != 0)
            au_list_add(bad, "review decision %zu (on %s): of period %s, asked for %s", i + 1, sid,
                        rd->period, period);
        else if (rd->tree_size <= cp->size) {
            s_dec_t *x = &v[n++];
            memcpy(x->id, rd->submission_id.data, 32);
            x->has_replaces = rd->has_replaces;
            if (rd->has_replaces)
                memcpy(x->replaces, rd->replaces.data, 32);
            x->confirm = rd->decision == IAPT__REVIEW_STATE__REVIEW_CONFIRMED;
            iapt_strlcpy(x->org, rd->org_code, sizeof x->org);
            iapt_strlcpy(x->period, rd->period, sizeof x->period);
            x->tree_size = rd->tree_size;
            last = rd->tree_size;
        }
        /* Decisions made after the verified checkpoint wait for the next run. */
        iapt__review_decision__free_unpacked(rd, NULL);
    }
    au_free_resp(&resp);
    if (rc < 0) {
        free(v);
        return rc;
    }
    *out = v;
    *n_out = n;
    return 0;
}

/* Apply decision x to the replay of its organisation (recompute): it must
 * be on the submission held at that point of the log. */
static int
s_decision_apply(au_orgs_t *orgs, s_dec_t *x, au_list_t *bad)
{
    /* A decision names the submission, not its collection: the entry of
     * the organisation holding it, else the adult one. */
    au_org_t *o = NULL;
    for (size_t i = 0; i < orgs->n && !o; i++)
        if (strcmp(orgs->v[i].org, x->org) == 0 && orgs->v[i].has_pending &&
            memcmp(orgs->v[i].pending.id, x->id, 32) == 0)
            o = &orgs->v[i];
    if (!o)
        o = s_orgs_get(orgs, x->org, 0);
    char sid[13];
    if (!o)
        return IAPT_ENOMEM;
    iapt_id_short(x->id, 32, sid);
    if (!o->has_pending || memcmp(o->pending.id, x->id, 32) != 0) {
        au_list_add(bad,
                    "review decision on %s (%s %s) at tree size %" PRIu64
                    ": that submission was not held for review there",
                    sid, x->org, x->period, x->tree_size);
        return 0;
    }
    if (x->confirm) {
        if (x->has_replaces != o->has_latest ||
            (o->has_latest && memcmp(x->replaces, o->latest.id, 32) != 0))
            au_list_add(bad,
                        "review decision on %s (%s %s): confirms it in place of another "
                        "submission than the one counted",
                        sid, x->org, x->period);
        o->has_latest = true;
        o->latest = o->pending;
        o->latest_valid = o->pending_valid;
    }
    o->has_pending = false;
    return 0;
}

/* ---- the leaves ------------------------------------------------------------------------------ */

int
au_scan_leaves(au_ctx_t *c, const au_cp_t *cp, const char *period, au_orgs_t *orgs)
{
    Iapt__LeavesRequest lr = IAPT__LEAVES_REQUEST__INIT;
    Iapt__QueryRequest q = IAPT__QUERY_REQUEST__INIT;
    Iapt__QueryResponse *resp = NULL;
    iapt_merkle_builder_t b;
    au_list_t bad = {IAPT_BUF_INIT, 0};
    char why[512], label[128];
    uint64_t next = 0, bytes = 0;
    bool short_answer = false;
    int64_t t0 = iapt_clock_ms();
    unsigned failed_before = c->failed;
    int rc = 0;

    s_dec_t *decs = NULL;
    size_t n_decs = 0, next_dec = 0;
    au_list_t bad_dec = {IAPT_BUF_INIT, 0};

    if ((rc = s_decisions_fetch(c, cp, period, &decs, &n_decs, &bad_dec)) < 0)
        goto out;
    iapt_merkle_builder_init(&b);
    q.body_case = IAPT__QUERY_REQUEST__BODY_LEAVES;
    q.leaves = &lr;
    while (next < cp->size) {
        uint64_t left = cp->size - next;
        lr.start = next;
        lr.count = left < IAPT_AUDIT_LEAVES_PAGE ? (uint32_t)left : IAPT_AUDIT_LEAVES_PAGE;
        rc = au_ask(c, &q, IAPT__QUERY_RESPONSE__BODY_LEAVES, &resp, why, sizeof why);
        if (rc < 0)
            goto out;
        if (rc == 1 || resp->leaves->start != next || resp->leaves->n_leaves == 0) {
            if (rc == 0)
                snprintf(why, sizeof why,
                         "asked for leaves from %" PRIu64 ", got %zu from %" PRIu64, next,
                         resp->leaves->n_leaves, resp->leaves->start);
            au_check(c, false,
                     "leaves: the hub gave %" PRIu64 " of the checkpoint's %" PRIu64 " leaves: %s",
                     next, cp->size, why);
            short_answer = true;
            break;
        }
        const Iapt__LeavesResponse *l = resp->leaves;
        size_t n = l->n_leaves;
        if (n > left)
            n = (size_t)left; /* leaves past the checkpoint are not part of this check */
        for (size_t i = 0; i < n; i++) {
            const ProtobufCBinaryData *leaf = &l->leaves[i];
            au_sub_t sub;
            /* Decisions made when the log had this many leaves come first. */
            for (; period && next_dec < n_decs && decs[next_dec].tree_size <= next + i; next_dec++)
                if ((rc = s_decision_apply(orgs, &decs[next_dec], &bad_dec)) < 0)
                    goto out;
            iapt_merkle_builder_push_leaf(&b, leaf->data, leaf->len);
            bytes += leaf->len;
            int bad_leaf =
                s_manifest_check(c->a, leaf->data, leaf->len, &sub, NULL, why, sizeof why);
            sub.log_index = next + i;
            for (size_t k = 0; k < n_decs; k++)
                if (!decs[k].seen && next + i < decs[k].tree_size &&
                    memcmp(decs[k].id, sub.id, 32) == 0)
                    decs[k].seen = true;
            au_sub_label(&sub, label, sizeof label);
            if (bad_leaf) {
                au_list_add(&bad, "leaf %" PRIu64 " (%s): %s", next + i, label, why);
                if (!*sub.org)
                    continue;
            }
            au_org_t *o = s_orgs_get(orgs, sub.org, sub.collection);
            if (!o) {
                rc = IAPT_ENOMEM;
                goto out;
            }
            /* The hub takes a provider's submissions only in rising
             * sequence order: a repeat is a replay it accepted. */
            if (sub.sequence <= o->last_seq) {
                au_list_add(&bad,
                            "leaf %" PRIu64 " (%s): sequence %" PRIu64 " is not above %" PRIu64
                            ", already in the log for %s: a stale or replayed submission was "
                            "accepted",
                            next + i, label, sub.sequence, o->last_seq, sub.org);
                bad_leaf = 1;
            } else {
                o->last_seq = sub.sequence;
            }
            /* Latest wins (the log is in acceptance order), unless it would
             * replace the counted one with nothing or under half of it and
             * was not forced: then it is held, and any held before it can
             * no longer be counted. */
            if (period && strcmp(sub.period, period) == 0) {
                if (o->has_latest &&
                    iapt_ingest_hold_check(sub.record_count, o->latest.record_count, sub.forced)) {
                    o->has_pending = true;
                    o->pending_valid = !bad_leaf;
                    o->pending = sub;
                } else {
                    o->has_latest = true;
                    o->latest_valid = !bad_leaf;
                    o->latest = sub;
                    o->has_pending = false;
                }
            }
        }
        next += n;
        au_free_resp(&resp);
    }
    for (; period && !short_answer && next_dec < n_decs; next_dec++)
        if ((rc = s_decision_apply(orgs, &decs[next_dec], &bad_dec)) < 0)
            goto out;
    for (size_t k = 0; k < n_decs && !short_answer; k++)
        if (!decs[k].seen) {
            char sid[13];
            iapt_id_short(decs[k].id, 32, sid);
            au_list_add(&bad_dec,
                        "review decision on %s (%s %s) at tree size %" PRIu64
                        ": no such submission in the log before it",
                        sid, decs[k].org, decs[k].period, decs[k].tree_size);
        }
    if (bad_dec.n) {
        au_check(c, false, "review decisions: %lu fail", bad_dec.n);
        au_list_flush(c, &bad_dec);
    } else if (n_decs) {
        au_check(
            c, true, "review decisions: %zu verify (signed by the hub, each on a submission %s)",
            n_decs, period ? "held for review at that point of the log" : "in the log before it");
    }
    if (!short_answer) {
        uint8_t root[32];
        char got[48], want[48];
        iapt_merkle_builder_root(&b, root);
        iapt_base64_encode(root, 32, got);
        iapt_base64_encode(cp->root, 32, want);
        if (memcmp(root, cp->root, 32) == 0)
            au_check(c, true, "leaves: %" PRIu64 " fetched; their tree has the checkpoint's root",
                     next);
        else
            au_check(c, false,
                     "leaves: the %" PRIu64 " leaves the hub gave hash to root %s, but the "
                     "checkpoint signs %s",
                     next, got, want);
    }
    if (bad.n) {
        au_check(c, false, "manifests: %lu of %" PRIu64 " leaves fail against the registry", bad.n,
                 next);
        au_list_flush(c, &bad);
    } else {
        au_check(c, true,
                 "manifests: all %" PRIu64 " verify against the registry (%zu organisations); "
                 "sequence numbers rise",
                 next, orgs->n);
    }
    double secs = s_seconds(t0);
    au_verbose(c, "leaves: %" PRIu64 " (%.1f MB) in %.3f s, %.0f leaves/s", next,
               (double)bytes / 1e6, secs, secs > 0 ? (double)next / secs : 0.0);
    rc = 0;
out:
    au_free_resp(&resp);
    au_list_free(&bad);
    au_list_free(&bad_dec);
    free(decs);
    if (rc == 0 && c->failed != failed_before)
        rc = IAPT_ECRYPTO;
    return rc;
}

/* ---- records ------------------------------------------------------------------------------------
 */

/* Hash one record, then decode, derive and count it through the
 * collection's hooks (which also find a pathway given twice); findings go
 * to `bad`. 0 or an error (out of memory, cell limits). */
static int
s_one_record(const ProtobufCBinaryData *data, uint64_t index, iapt_merkle_builder_t *b,
             iapt_derivation_t *dv, au_list_t *bad)
{
    iapt_merkle_builder_push_leaf(b, data->data, data->len);
    int rc = iapt_derivation_record(dv, data->data, data->len, (size_t)index);
    if (rc == IAPT_EFORMAT) {
        au_list_add(bad, "record %" PRIu64 ": %s", index, iapt_error_detail());
        rc = 0;
    }
    return rc < 0 ? rc : 0;
}

int
au_check_records(au_ctx_t *c, const au_sub_t *sub, iapt_agg_t *agg, au_timing_t *t)
{
    Iapt__RecordsRequest rr = IAPT__RECORDS_REQUEST__INIT;
    Iapt__QueryRequest q = IAPT__QUERY_REQUEST__INIT;
    Iapt__QueryResponse *resp = NULL;
    iapt_merkle_builder_t b;
    iapt_period_t period;
    iapt_derivation_t *dv = NULL;
    au_list_t bad = {IAPT_BUF_INIT, 0};
    char label[128], why[512];
    uint64_t next = 0, hub_total = 0;
    bool have_total = false, gave_up = false;
    int64_t w0 = c->wait_ms;
    int rc = 0, failed = 0;

    iapt_merkle_builder_init(&b);
    au_sub_label(sub, label, sizeof label);
    if (iapt_period_parse(sub->period, &period) < 0) /* checked with the manifest */
        return iapt_error_set(IAPT_EFORMAT, "period %s", sub->period);
    const iapt_provider_t *home = iapt_providers_find(c->a->cfg.providers, sub->org);
    /* The submission's own collection (a join recomputes another one's
     * submissions too); its table: the adult tools, the recomputed
     * collection's configured table, else none. */
    const iapt_collection_t *col = iapt_collection_at(sub->collection);
    const iapt_measure_schema_t *schema = col && col->hub ? col->hub : c->a->schema;
    const void *config = schema == iapt_collection_default()->hub ? (const void *)&c->a->tools
                         : schema == c->a->schema                 ? c->a->cfg.collection_config
                                                                  : NULL;
    iapt_derive_context_t dctx = {.period = &period,
                                  .provider = sub->org,
                                  .config = config,
                                  .providers = c->a->cfg.providers};
    if ((rc = iapt_derivation_open(schema, &dctx, home ? home->home_subicb : "", agg, &dv)) < 0)
        return rc;
    rr.submission_id.data = (uint8_t *)sub->id;
    rr.submission_id.len = 32;
    q.body_case = IAPT__QUERY_REQUEST__BODY_RECORDS;
    q.records = &rr;
    while (next < sub->record_count) {
        rr.start = next;
        rr.count = IAPT_AUDIT_RECORDS_PAGE;
        rc = au_ask(c, &q, IAPT__QUERY_RESPONSE__BODY_RECORDS, &resp, why, sizeof why);
        if (rc < 0)
            goto out;
        if (rc == 0 && resp->records->start != next)
            snprintf(why, sizeof why, "asked for records from %" PRIu64 ", got them from %" PRIu64,
                     next, resp->records->start);
        if (rc == 1 || resp->records->start != next) {
            au_check(c, false, "records of %s: after %" PRIu64 " of %" PRIu64 ": %s", label, next,
                     sub->record_count, why);
            failed = 1;
            gave_up = true;
            break;
        }
        const Iapt__RecordsResponse *r = resp->records;
        if (!have_total) {
            have_total = true;
            hub_total = r->total;
        }
        if (r->n_records == 0)
            break;
        size_t n = r->n_records;
        if (n > sub->record_count - next)
            n = (size_t)(sub->record_count - next); /* extra ones show in the hub's total */
        for (size_t i = 0; i < n; i++) {
            t->bytes += r->records[i].len;
            if ((rc = s_one_record(&r->records[i], next + i, &b, dv, &bad)) < 0)
                goto out;
        }
        next += n;
        au_free_resp(&resp);
    }
    t->records += next;
    if (have_total && hub_total != sub->record_count) {
        au_check(c, false,
                 "records of %s: the hub counts %" PRIu64 " records, the provider signed for "
                 "%" PRIu64,
                 label, hub_total, sub->record_count);
        failed = 1;
    }
    if (!gave_up) {
        uint8_t root[32];
        char got[48], want[48];
        iapt_merkle_builder_root(&b, root);
        iapt_base64_encode(root, 32, got);
        iapt_base64_encode(sub->records_root, 32, want);
        if (next < sub->record_count) {
            au_check(c, false,
                     "records of %s: the hub gave %" PRIu64 " of the %" PRIu64 " records signed",
                     label, next, sub->record_count);
            failed = 1;
        } else if (memcmp(root, sub->records_root, 32) != 0) {
            au_check(c, false,
                     "records of %s: records root mismatch: the %" PRIu64 " records the hub "
                     "holds hash to %s, the provider signed %s: stored records were altered",
                     label, next, got, want);
            failed = 1;
        } else {
            au_check(c, true, "records of %s: %" PRIu64 " records hash to the signed root", label,
                     next);
        }
    }
    if (bad.n) {
        au_check(c, false, "records of %s: %lu the hub should have refused", label, bad.n);
        au_list_flush(c, &bad);
        failed = 1;
    } else if (next) {
        au_check(c, true, "records of %s: every record decodes and derives, no pathway twice",
                 label);
    }
out:
    t->wait_ms += c->wait_ms - w0;
    au_free_resp(&resp);
    if (rc == 0 && !gave_up && (rc = iapt_derivation_close(dv)) == IAPT_EFORMAT) {
        au_check(c, false, "records of %s: %s", label, iapt_error_detail());
        failed = 1;
        rc = 0;
    }
    iapt_derivation_destroy(&dv);
    au_list_free(&bad);
    if (rc == 0 && failed)
        rc = IAPT_ECRYPTO;
    return rc;
}

/* ---- verify-log ---------------------------------------------------------------------------------
 */

int
iapt_audit_verify_log(iapt_audit_t *a, bool full)
{
    au_ctx_t *c = &a->main;
    au_cp_t cp;
    au_orgs_t orgs = {0};
    int rc = s_need(a, full);
    if (rc < 0)
        return rc;
    rc = au_log_checks(c, &cp);
    if (rc == 0 && full)
        rc = au_scan_leaves(c, &cp, NULL, &orgs);
    if (rc == 0 && c->failed)
        rc = IAPT_ECRYPTO;
    if (rc == 0)
        rc = au_state_advance(c, &cp);
    else if (rc == IAPT_ECRYPTO && a->cfg.state_path)
        au_note(c, "state not saved: the log did not verify");
    au_orgs_free(&orgs);
    au_cp_free(&cp);
    return rc;
}

/* A receipt iapt_receipt_verify accepted was checked under our log's key
 * name; it must also speak of our log: its own hub name and its
 * checkpoint's origin. 0, or 1 with why. */
static int
s_receipt_names_log(const iapt_audit_t *a, const Iapt__Receipt *r, char *why, size_t why_len)
{
    uint64_t size;
    uint8_t root[32];
    char origin[256];
    if (strcmp(r->hub_name, a->cfg.hub_name) != 0) {
        snprintf(why, why_len, "the receipt names the log '%s', not '%s'", r->hub_name,
                 a->cfg.hub_name);
        return 1;
    }
    if (iapt_checkpoint_open((const uint8_t *)r->checkpoint, strlen(r->checkpoint), a->cfg.hub_name,
                             a->cfg.hub_sign_public, &size, root, origin, sizeof origin) < 0 ||
        strcmp(origin, a->cfg.hub_name) != 0) {
        snprintf(why, why_len, "the receipt's checkpoint is for the log '%s', not '%s'", origin,
                 a->cfg.hub_name);
        return 1;
    }
    return 0;
}

/* ---- verify-submission
 * ----------------------------------------------------------------------------- */

/* Check the hub's stored receipt for the submission: the hub's signature,
 * its fields, its checkpoint and inclusion (what the provider was given),
 * and that the log it speaks of is a prefix of the verified one. */
static int
s_check_receipt(au_ctx_t *c, const Iapt__ManifestResponse *mr, const au_cp_t *cp, const char *label)
{
    const iapt_audit_t *a = c->a;
    iapt_buf_t b = IAPT_BUF_INIT;
    Iapt__Receipt *r = NULL;
    uint64_t index = 0, size;
    uint8_t root[32];
    char why[512];
    int rc;

    if (!mr->receipt) {
        au_check(c, false, "receipt of %s: the hub keeps no receipt for it", label);
        return IAPT_ECRYPTO;
    }
    if ((rc = iapt_buf_reserve(&b, iapt__signed_receipt__get_packed_size(mr->receipt))) < 0)
        return rc;
    b.len = iapt__signed_receipt__pack(mr->receipt, b.data);
    rc = iapt_receipt_verify(mr->signed_manifest.data, mr->signed_manifest.len, b.data, b.len,
                             a->cfg.hub_sign_public, a->cfg.hub_name, &index);
    if (rc == 0 && index != mr->log_index)
        rc = iapt_error_set(IAPT_ECRYPTO,
                            "the receipt names leaf %" PRIu64 ", the hub says %" PRIu64, index,
                            mr->log_index);
    if (rc < 0) {
        au_check(c, false, "receipt of %s: %s", label, iapt_error_detail());
        rc = IAPT_ECRYPTO;
        goto out;
    }
    /* Verified above; opened again for its checkpoint. */
    if (iapt_receipt_open_bytes(b.data, b.len, a->cfg.hub_sign_public, &r) < 0 ||
        iapt_checkpoint_open((const uint8_t *)r->checkpoint, strlen(r->checkpoint), a->cfg.hub_name,
                             a->cfg.hub_sign_public, &size, root, NULL, 0) < 0) {
        au_check(c, false, "receipt of %s: %s", label, iapt_error_detail());
        rc = IAPT_ECRYPTO;
        goto out;
    }
    if (s_receipt_names_log(a, r, why, sizeof why)) {
        au_check(c, false, "receipt of %s: %s", label, why);
        rc = IAPT_ECRYPTO;
        goto out;
    }
    if (size > cp->size) {
        au_check(c, false,
                 "receipt of %s: its checkpoint (size %" PRIu64 ") is past the verified one "
                 "(%" PRIu64 ")",
                 label, size, cp->size);
        rc = IAPT_ECRYPTO;
        goto out;
    }
    rc = s_consistency(c, size, root, cp, why, sizeof why);
    if (rc == 1) {
        au_check(c, false,
                 "receipt of %s: the log the provider was shown (size %" PRIu64
                 ") is not a prefix of the verified one: %s",
                 label, size, why);
        rc = IAPT_ECRYPTO;
    } else if (rc == 0) {
        au_check(c, true,
                 "receipt of %s: signed by the hub, leaf %" PRIu64 " of its checkpoint of size "
                 "%" PRIu64 ", a prefix of the verified log",
                 label, index, size);
    }
out:
    if (r)
        iapt__receipt__free_unpacked(r, NULL);
    iapt_buf_free(&b);
    return rc;
}

/* Inclusion of the signed manifest as leaf `index` of cp's tree. */
static int
s_check_inclusion(au_ctx_t *c, const uint8_t *sm, size_t len, uint64_t index, const au_cp_t *cp,
                  const char *label)
{
    Iapt__InclusionRequest ir = IAPT__INCLUSION_REQUEST__INIT;
    Iapt__QueryRequest q = IAPT__QUERY_REQUEST__INIT;
    Iapt__QueryResponse *resp = NULL;
    uint8_t leaf[32], proof[IAPT_MERKLE_PROOF_MAX_BYTES];
    size_t plen = 0;
    char why[512];
    int rc;

    if (index >= cp->size) {
        au_check(c, false,
                 "inclusion of %s: the hub puts it at leaf %" PRIu64 ", past the checkpoint's "
                 "%" PRIu64 " leaves",
                 label, index, cp->size);
        return IAPT_ECRYPTO;
    }
    ir.has_leaf_index = 1;
    ir.leaf_index = index;
    ir.tree_size = cp->size;
    q.body_case = IAPT__QUERY_REQUEST__BODY_INCLUSION;
    q.inclusion = &ir;
    rc = au_ask(c, &q, IAPT__QUERY_RESPONSE__BODY_PROOF, &resp, why, sizeof why);
    if (rc < 0)
        goto out;
    if (rc == 0 && au_proof_bytes(resp->proof, proof, &plen) < 0) {
        snprintf(why, sizeof why, "malformed proof");
        rc = 1;
    }
    iapt_merkle_leaf_hash(sm, len, leaf);
    if (rc == 0 &&
        iapt_merkle_verify_inclusion(index, cp->size, leaf, proof, plen, cp->root) != 0) {
        snprintf(why, sizeof why, "the proof does not verify (%s)", iapt_error_detail());
        rc = 1;
    }
    if (rc == 1) {
        au_check(c, false, "inclusion of %s as leaf %" PRIu64 " of the verified checkpoint: %s",
                 label, index, why);
        rc = IAPT_ECRYPTO;
    } else {
        au_check(c, true,
                 "inclusion: %s is leaf %" PRIu64 " of the verified checkpoint (size %" PRIu64 ")",
                 label, index, cp->size);
    }
out:
    au_free_resp(&resp);
    return rc;
}

static void
s_timing(au_ctx_t *c, const au_timing_t *t, int64_t t0)
{
    double secs = s_seconds(t0);
    au_verbose(c,
               "records: %" PRIu64 " (%.1f MB) fetched, hashed, decoded and derived in %.3f s "
               "(%.3f s waiting for the hub), %.0f records/s",
               t->records, (double)t->bytes / 1e6, secs, (double)t->wait_ms / 1000.0,
               secs > 0 ? (double)t->records / secs : 0.0);
}

int
iapt_audit_verify_submission(iapt_audit_t *a, const uint8_t id[32])
{
    au_ctx_t *c = &a->main;
    Iapt__QueryResponse *resp = NULL;
    const iapt_registry_entry_t *signer = NULL;
    au_cp_t cp = {0};
    au_sub_t sub;
    au_timing_t t = {0};
    char why[512], label[128], hex[65], created[21];
    int rc = s_need(a, true);
    if (rc < 0)
        return rc;

    iapt_hex_encode(id, 32, hex);
    /* The manifest first, then the checkpoint: a submission accepted in
     * between is then inside the checkpoint. */
    int got = au_ask_manifest(c, id, &resp, why, sizeof why);
    if (got < 0) {
        rc = got;
        goto out;
    }
    if ((rc = au_log_checks(c, &cp)) < 0 && rc != IAPT_ECRYPTO)
        goto out;
    if (got == 1) {
        au_check(c, false, "submission %s: %s", hex, why);
        rc = IAPT_ECRYPTO;
        goto out;
    }
    const Iapt__ManifestResponse *mr = resp->manifest;
    uint8_t sid[32];
    iapt_submission_id(mr->signed_manifest.data, mr->signed_manifest.len, sid);
    if (memcmp(sid, id, 32) != 0) {
        char other[65];
        iapt_hex_encode(sid, 32, other);
        au_check(c, false, "submission %s: the hub gave a manifest whose id is %s", hex, other);
        rc = IAPT_ECRYPTO;
        goto out;
    }
    if (s_manifest_check(a, mr->signed_manifest.data, mr->signed_manifest.len, &sub, &signer, why,
                         sizeof why)) {
        au_sub_label(&sub, label, sizeof label);
        au_check(c, false, "manifest of %s: %s", label, why);
        rc = IAPT_ECRYPTO;
        goto out;
    }
    sub.log_index = mr->log_index;
    au_sub_label(&sub, label, sizeof label);
    iapt_time_format(sub.created_at, created);
    if (signer->active) {
        au_check(c, true, "manifest of %s: %" PRIu64 " records, signed at %s by %s's active key",
                 label, sub.record_count, created, sub.org);
    } else {
        char revoked[21];
        iapt_time_format(signer->revoked_at, revoked);
        au_check(c, true,
                 "manifest of %s: %" PRIu64 " records, signed at %s by %s's key, before its "
                 "revocation at %s",
                 label, sub.record_count, created, sub.org, revoked);
    }
    /* Without a verified checkpoint there is nothing to prove inclusion
     * in; the records are still checked against the provider's signature. */
    if (rc == 0 && cp.note.len) {
        int r = s_check_inclusion(c, mr->signed_manifest.data, mr->signed_manifest.len,
                                  mr->log_index, &cp, label);
        if (r < 0 && r != IAPT_ECRYPTO) {
            rc = r;
            goto out;
        }
        r = s_check_receipt(c, mr, &cp, label);
        if (r < 0 && r != IAPT_ECRYPTO) {
            rc = r;
            goto out;
        }
    } else if (rc == 0) {
        au_check(c, false, "inclusion of %s: the log is empty", label);
    }
    int64_t t0 = iapt_clock_ms();
    int r = au_check_records(c, &sub, NULL, &t);
    if (r < 0 && r != IAPT_ECRYPTO) {
        rc = r;
        goto out;
    }
    s_timing(c, &t, t0);
    rc = c->failed ? IAPT_ECRYPTO : au_state_advance(c, &cp);
out:
    if (rc == IAPT_ECRYPTO && a->cfg.state_path)
        au_note(c, "state not saved: not everything verified");
    au_free_resp(&resp);
    au_cp_free(&cp);
    return rc;
}

/* ---- verify-receipt
 * ------------------------------------------------------------------------------------- */

int
iapt_audit_verify_receipt(iapt_audit_t *a, const uint8_t *data, size_t len)
{
    au_ctx_t *c = &a->main;
    Iapt__ReceiptBundle *rb = iapt__receipt_bundle__unpack(NULL, len, data);
    Iapt__Receipt *r = NULL;
    uint64_t index = 0;
    char label[128], when[21], why[512], id[13];
    int rc = 0;

    if (!rb) {
        au_check(c, false, "receipt bundle: does not decode");
        return IAPT_ECRYPTO;
    }
    const ProtobufCBinaryData *sm = &rb->signed_manifest, *sr = &rb->signed_receipt;
    if (iapt_receipt_verify(sm->data, sm->len, sr->data, sr->len, a->cfg.hub_sign_public,
                            a->cfg.hub_name, &index) < 0 ||
        iapt_receipt_open_bytes(sr->data, sr->len, a->cfg.hub_sign_public, &r) < 0) {
        au_check(c, false, "receipt: %s", iapt_error_detail());
        rc = IAPT_ECRYPTO;
        goto out;
    }
    if (s_receipt_names_log(a, r, why, sizeof why)) {
        au_check(c, false, "receipt: %s", why);
        rc = IAPT_ECRYPTO;
        goto out;
    }
    iapt_id_short(r->submission_id.data, 32, id);
    snprintf(label, sizeof label, "%s %s sequence %" PRIu64 " (%s)", r->org_code, r->period,
             r->sequence, id);
    iapt_time_format(r->accepted_at, when);
    au_check(c, true,
             "receipt of %s: signed by %s+%08x, %" PRIu64 " records accepted at %s; leaf %" PRIu64
             " of the checkpoint of size %" PRIu64 ", inclusion proof verifies",
             label, a->cfg.hub_name, iapt_note_key_id(a->cfg.hub_name, a->cfg.hub_sign_public),
             r->record_count, when, index, r->tree_size);
    if (r->has_review && r->review == IAPT__REVIEW_STATE__REVIEW_PENDING)
        au_note(c,
                "the receipt says the hub held %s for review (%s): logged, not counted unless "
                "an analyst confirmed it (recompute follows the hub's signed decisions)",
                label, r->held_because ? r->held_because : "no reason given");
    if (a->cfg.reg) {
        au_sub_t sub;
        if (s_manifest_check(a, sm->data, sm->len, &sub, NULL, why, sizeof why))
            au_check(c, false, "manifest of %s: %s", label, why);
        else
            au_check(c, true, "manifest of %s: signed by the provider's registered key", label);
    } else {
        au_note(c, "no registry given: the provider's signature on the manifest was not "
                   "checked against one");
    }
    rc = c->failed ? IAPT_ECRYPTO : 0;
out:
    if (r)
        iapt__receipt__free_unpacked(r, NULL);
    iapt__receipt_bundle__free_unpacked(rb, NULL);
    return rc;
}
