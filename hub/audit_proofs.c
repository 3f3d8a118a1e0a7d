/* audit_proofs.c - what the auditor verified, printed as data in the C2SP
 * text formats (hub/audit.h "Proofs as data"): the signed checkpoint
 * verbatim (c2sp.org/tlog-checkpoint, c2sp.org/signed-note), a
 * submission's inclusion proof (c2sp.org/tlog-proof@v1) and a consistency
 * proof between two checkpoints (the body of c2sp.org/tlog-witness
 * add-checkpoint). Hashes are standard padded base64 (RFC 4648 section 4),
 * one per line, in RFC 6962 order. */
#include "common/checkpoint.h"
#include "common/err.h"
#include "common/merkle.h"
#include "common/note.h"
#include "common/wire.h"
#include "hub/audit_internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static int
s_need_hub(const iapt_audit_t *a)
{
    if (!a->main.client)
        return iapt_error_set(IAPT_EUSAGE, "this command needs a connection to the hub");
    return 0;
}

/* The checkpoint the hub signed at exactly `size`, verified (key, name,
 * origin, size) into cp. 0, IAPT_ECRYPTO (reported) or an error. */
static int
s_checkpoint_at(au_ctx_t *c, uint64_t size, au_cp_t *cp)
{
    const iapt_audit_t *a = c->a;
    Iapt__CheckpointRequest cr = IAPT__CHECKPOINT_REQUEST__INIT;
    Iapt__QueryRequest q = IAPT__QUERY_REQUEST__INIT;
    Iapt__QueryResponse *resp = NULL;
    char why[512], origin[256], root_b64[48];
    const char *name = a->cfg.hub_name;
    uint64_t signed_size = 0;
    int rc;

    memset(cp, 0, sizeof *cp);
    cr.has_tree_size = 1;
    cr.tree_size = size;
    q.body_case = IAPT__QUERY_REQUEST__BODY_CHECKPOINT;
    q.checkpoint = &cr;
    rc = au_ask(c, &q, IAPT__QUERY_RESPONSE__BODY_CHECKPOINT, &resp, why, sizeof why);
    if (rc == 1) {
        au_check(c, false, "checkpoint at size %" PRIu64 ": %s", size, why);
        rc = IAPT_ECRYPTO;
        goto out;
    }
    if (rc < 0)
        goto out;
    const char *text = resp->checkpoint->checkpoint;
    if (iapt_checkpoint_open((const uint8_t *)text, strlen(text), name, a->cfg.hub_sign_public,
                             &signed_size, cp->root, origin, sizeof origin) < 0) {
        au_check(c, false, "checkpoint at size %" PRIu64 ": not signed by the hub key %s+%08x: %s",
                 size, name, iapt_note_key_id(name, a->cfg.hub_sign_public), iapt_error_detail());
        rc = IAPT_ECRYPTO;
        goto out;
    }
    if (strcmp(origin, name) != 0 || signed_size != size) {
        au_check(c, false,
                 "checkpoint at size %" PRIu64
                 ": the hub gave the one of log '%s' at size %" PRIu64,
                 size, origin, signed_size);
        rc = IAPT_ECRYPTO;
        goto out;
    }
    cp->size = size;
    if ((rc = iapt_buf_append(&cp->note, text, strlen(text))) < 0)
        goto out;
    iapt_base64_encode(cp->root, 32, root_b64);
    au_check(c, true, "checkpoint at size %" PRIu64 ": root %s, signed by %s+%08x", size, root_b64,
             name, iapt_note_key_id(name, a->cfg.hub_sign_public));
out:
    au_free_resp(&resp);
    return rc;
}

/* The consistency proof from (m, root_m) to (n, root_n), asked of the hub
 * and verified (RFC 9162 2.1.4.2) into proof / *len (empty when m is 0 or
 * m = n). 0, IAPT_ECRYPTO (reported) or an error. */
static int
s_consistency(au_ctx_t *c, uint64_t m, const uint8_t root_m[32], uint64_t n,
              const uint8_t root_n[32], uint8_t proof[IAPT_MERKLE_PROOF_MAX_BYTES], size_t *len)
{
    Iapt__ConsistencyRequest cr = IAPT__CONSISTENCY_REQUEST__INIT;
    Iapt__QueryRequest q = IAPT__QUERY_REQUEST__INIT;
    Iapt__QueryResponse *resp = NULL;
    char why[512];
    int rc = 0;

    *len = 0;
    if (m != 0 && m != n) {
        cr.old_size = m;
        cr.new_size = n;
        q.body_case = IAPT__QUERY_REQUEST__BODY_CONSISTENCY;
        q.consistency = &cr;
        if ((rc = au_ask(c, &q, IAPT__QUERY_RESPONSE__BODY_PROOF, &resp, why, sizeof why)) < 0)
            goto out;
        if (rc == 0 && au_proof_bytes(resp->proof, proof, len) < 0) {
            snprintf(why, sizeof why, "the hub's proof is malformed");
            rc = 1;
        }
    }
    if (rc == 0 && iapt_merkle_verify_consistency(m, n, root_m, root_n, proof, *len) != 0) {
        snprintf(why, sizeof why, "the proof does not verify (%s)", iapt_error_detail());
        rc = 1;
    }
    if (rc == 1) {
        au_check(c, false, "consistency from size %" PRIu64 " to %" PRIu64 ": %s", m, n, why);
        rc = IAPT_ECRYPTO;
    } else {
        au_check(c, true,
                 "consistency: size %" PRIu64 " is a prefix of size %" PRIu64 " (%zu hashes)", m, n,
                 *len / 32);
    }
out:
    au_free_resp(&resp);
    return rc;
}

/* Proof hashes, one standard base64 line each. */
static int
s_hash_lines(iapt_buf_t *out, const uint8_t *proof, size_t len)
{
    char b64[48];
    int rc = 0;
    for (size_t i = 0; rc == 0 && i + 32 <= len; i += 32) {
        iapt_base64_encode(proof + i, 32, b64);
        rc = iapt_buf_printf(out, "%s\n", b64);
    }
    return rc;
}

/* The latest checkpoint through the usual log checks (signature, state);
 * the empty log has no signed checkpoint to print. */
static int
s_latest(au_ctx_t *c, au_cp_t *latest)
{
    int rc = au_log_checks(c, latest);
    if (rc < 0)
        return rc;
    if (latest->note.len == 0) {
        au_check(c, false, "checkpoint: the log is empty, the hub has signed nothing yet");
        return IAPT_ECRYPTO;
    }
    return 0;
}

/* The end of every command: the state advances only when all verified. */
static int
s_finish(au_ctx_t *c, const au_cp_t *latest, int rc)
{
    if (rc == 0 && c->failed)
        rc = IAPT_ECRYPTO;
    if (rc == 0)
        rc = au_state_advance(c, latest);
    if (rc == IAPT_ECRYPTO && c->a->cfg.state_path)
        au_note(c, "state not saved: not everything verified");
    return rc;
}

int
iapt_audit_checkpoint_text(iapt_audit_t *a, const uint64_t *size, iapt_buf_t *out)
{
    au_ctx_t *c = &a->main;
    au_cp_t latest = {0}, at = {0};
    uint8_t proof[IAPT_MERKLE_PROOF_MAX_BYTES];
    size_t plen;
    int rc = s_need_hub(a);
    if (rc < 0)
        return rc;
    if ((rc = s_latest(c, &latest)) < 0)
        goto out;
    const au_cp_t *show = &latest;
    if (size && *size != latest.size) {
        if (*size == 0 || *size > latest.size) {
            rc = iapt_error_set(IAPT_EUSAGE,
                                "--size must be 1 to the log's size (%" PRIu64 "), not %" PRIu64,
                                latest.size, *size);
            goto out;
        }
        /* An older checkpoint is only worth printing if the verified log
         * extends it. */
        if ((rc = s_checkpoint_at(c, *size, &at)) < 0 ||
            (rc = s_consistency(c, at.size, at.root, latest.size, latest.root, proof, &plen)) < 0)
            goto out;
        show = &at;
    }
    if (!c->failed)
        rc = iapt_buf_append(out, show->note.data, show->note.len);
out:
    rc = s_finish(c, &latest, rc);
    au_cp_free(&at);
    au_cp_free(&latest);
    return rc;
}

int
iapt_audit_inclusion_text(iapt_audit_t *a, const uint8_t id[32], iapt_buf_t *out)
{
    au_ctx_t *c = &a->main;
    Iapt__InclusionRequest ir = IAPT__INCLUSION_REQUEST__INIT;
    Iapt__QueryRequest q = IAPT__QUERY_REQUEST__INIT;
    Iapt__QueryResponse *mresp = NULL, *presp = NULL;
    au_cp_t latest = {0};
    uint8_t sid[32], leaf[32], proof[IAPT_MERKLE_PROOF_MAX_BYTES];
    size_t plen = 0;
    char why[512], hex[65];
    char *extra = NULL;
    int rc = s_need_hub(a);
    if (rc < 0)
        return rc;

    iapt_hex_encode(id, 32, hex);
    /* The manifest first, then the checkpoint: a submission accepted in
     * between is then inside the checkpoint. */
    int got = au_ask_manifest(c, id, &mresp, why, sizeof why);
    if (got < 0) {
        rc = got;
        goto out;
    }
    if ((rc = s_latest(c, &latest)) < 0)
        goto out;
    if (got == 1) {
        au_check(c, false, "submission %s: %s", hex, why);
        rc = IAPT_ECRYPTO;
        goto out;
    }
    const Iapt__ManifestResponse *mr = mresp->manifest;
    iapt_submission_id(mr->signed_manifest.data, mr->signed_manifest.len, sid);
    if (memcmp(sid, id, 32) != 0) {
        au_check(c, false, "submission %s: the hub gave a manifest with another id", hex);
        rc = IAPT_ECRYPTO;
        goto out;
    }
    if (mr->log_index >= latest.size) {
        au_check(c, false,
                 "inclusion of submission %s: the hub puts it at leaf %" PRIu64
                 ", past the checkpoint's %" PRIu64 " leaves",
                 hex, mr->log_index, latest.size);
        rc = IAPT_ECRYPTO;
        goto out;
    }
    ir.has_leaf_index = 1;
    ir.leaf_index = mr->log_index;
    ir.tree_size = latest.size;
    q.body_case = IAPT__QUERY_REQUEST__BODY_INCLUSION;
    q.inclusion = &ir;
    if ((rc = au_ask(c, &q, IAPT__QUERY_RESPONSE__BODY_PROOF, &presp, why, sizeof why)) < 0)
        goto out;
    if (rc == 0 && au_proof_bytes(presp->proof, proof, &plen) < 0) {
        snprintf(why, sizeof why, "the hub's proof is malformed");
        rc = 1;
    }
    iapt_merkle_leaf_hash(mr->signed_manifest.data, mr->signed_manifest.len, leaf);
    if (rc == 0 && iapt_merkle_verify_inclusion(mr->log_index, latest.size, leaf, proof, plen,
                                                latest.root) != 0) {
        snprintf(why, sizeof why, "the proof does not verify (%s)", iapt_error_detail());
        rc = 1;
    }
    if (rc == 1) {
        au_check(c, false, "inclusion of submission %s as leaf %" PRIu64 ": %s", hex, mr->log_index,
                 why);
        rc = IAPT_ECRYPTO;
        goto out;
    }
    au_check(c, true,
             "inclusion: submission %s is leaf %" PRIu64 " of the checkpoint of size %" PRIu64
             " (%zu hashes)",
             hex, mr->log_index, latest.size, plen / 32);

    /* c2sp.org/tlog-proof@v1, the leaf itself as the extra data. */
    size_t elen = iapt_base64_len(mr->signed_manifest.len);
    if (!(extra = malloc(elen))) {
        rc = iapt_error_set(IAPT_ENOMEM, "proof: out of memory");
        goto out;
    }
    iapt_base64_encode(mr->signed_manifest.data, mr->signed_manifest.len, extra);
    if ((rc = iapt_buf_printf(out, "c2sp.org/tlog-proof@v1\nextra %s\nindex %" PRIu64 "\n", extra,
                              mr->log_index)) < 0 ||
        (rc = s_hash_lines(out, proof, plen)) < 0 || (rc = iapt_buf_append(out, "\n", 1)) < 0 ||
        (rc = iapt_buf_append(out, latest.note.data, latest.note.len)) < 0)
        goto out;
out:
    rc = s_finish(c, &latest, rc);
    free(extra);
    au_free_resp(&mresp);
    au_free_resp(&presp);
    au_cp_free(&latest);
    return rc;
}

int
iapt_audit_consistency_text(iapt_audit_t *a, uint64_t from, const uint64_t *to, iapt_buf_t *out)
{
    au_ctx_t *c = &a->main;
    au_cp_t latest = {0}, new_cp = {0}, old_cp = {0};
    uint8_t proof[IAPT_MERKLE_PROOF_MAX_BYTES], extend[IAPT_MERKLE_PROOF_MAX_BYTES];
    uint8_t old_root[32];
    size_t plen = 0, elen = 0;
    int rc = s_need_hub(a);
    if (rc < 0)
        return rc;
    if ((rc = s_latest(c, &latest)) < 0)
        goto out;
    uint64_t n = to ? *to : latest.size;
    if (n == 0 || n > latest.size || from > n) {
        rc = iapt_error_set(
            IAPT_EUSAGE, "need --from <= --to <= the log's size (%" PRIu64 "), and --to at least 1",
            latest.size);
        goto out;
    }
    const au_cp_t *new_ = &latest;
    if (n != latest.size) {
        /* The checkpoint printed must be one of the verified log. */
        if ((rc = s_checkpoint_at(c, n, &new_cp)) < 0 ||
            (rc = s_consistency(c, n, new_cp.root, latest.size, latest.root, extend, &elen)) < 0)
            goto out;
        new_ = &new_cp;
    }
    if (from == 0) {
        iapt_merkle_empty_root(old_root);
    } else if (from == n) {
        memcpy(old_root, new_->root, 32);
    } else {
        if ((rc = s_checkpoint_at(c, from, &old_cp)) < 0)
            goto out;
        memcpy(old_root, old_cp.root, 32);
    }
    if ((rc = s_consistency(c, from, old_root, n, new_->root, proof, &plen)) < 0)
        goto out;
    /* The add-checkpoint body of c2sp.org/tlog-witness. */
    if ((rc = iapt_buf_printf(out, "old %" PRIu64 "\n", from)) < 0 ||
        (rc = s_hash_lines(out, proof, plen)) < 0 || (rc = iapt_buf_append(out, "\n", 1)) < 0 ||
        (rc = iapt_buf_append(out, new_->note.data, new_->note.len)) < 0)
        goto out;
out:
    rc = s_finish(c, &latest, rc);
    au_cp_free(&old_cp);
    au_cp_free(&new_cp);
    au_cp_free(&latest);
    return rc;
}
