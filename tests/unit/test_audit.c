/* Unit tests of the auditor's parts that need no hub (hub/audit.h): the
 * state file (round trip, and every way it can be altered or belong to
 * another log), the comparison of publication rows (each kind of
 * difference, both orders), and verify-receipt with the registry's
 * revocation rule. Against a real hub: tests/integration/test_audit.sh. */
#include "common/checkpoint.h"
#include "common/err.h"
#include "common/merkle.h"
#include "common/registry.h"
#include "common/util.h"
#include "common/wire.h"
#include "hub/audit.h"
#include "proto/outbox.pb-c.h"
#include "tests/test.h"

#include <sodium.h>

#define S_NAME "hub.iapt.example/log"

static void
s_keys(uint8_t fill, uint8_t pk[32], uint8_t sk[64])
{
    uint8_t seed[32];
    memset(seed, fill, sizeof seed);
    crypto_sign_seed_keypair(pk, sk, seed);
}

/* ---- the state file ----------------------------------------------------------- */

static void
s_state_make(const uint8_t sk[64], uint64_t size, iapt_audit_state_t *st)
{
    memset(st, 0, sizeof *st);
    st->size = size;
    memset(st->root, 0x3c, 32);
    st->verified_at = 1759400000;
    CHECK_EQ_INT(iapt_checkpoint_sign(S_NAME, size, st->root, S_NAME, sk, &st->note), 0);
}

static void
test_state_round_trip(void)
{
    uint8_t pk[32], sk[64], other_pk[32], other_sk[64];
    iapt_audit_state_t st, back;
    char path[600];
    s_keys(1, pk, sk);
    s_keys(2, other_pk, other_sk);
    snprintf(path, sizeof path, "%s/state", t_tmpdir());

    CHECK_EQ_INT(iapt_audit_state_load(path, S_NAME, pk, &back), IAPT_ENOTFOUND);
    iapt_audit_state_free(&back);
    s_state_make(sk, 42, &st);
    CHECK_EQ_INT(iapt_audit_state_save(path, S_NAME, &st), 0);
    CHECK_EQ_INT(iapt_audit_state_load(path, S_NAME, pk, &back), 0);
    CHECK_EQ_INT(back.size, 42);
    CHECK_EQ_MEM(back.root, st.root, 32);
    CHECK_EQ_INT(back.verified_at, st.verified_at);
    CHECK_EQ_INT(back.note.len, st.note.len);
    CHECK_EQ_MEM(back.note.data, st.note.data, st.note.len);
    iapt_audit_state_free(&back);

    /* Another hub's key, another log's name. */
    CHECK_EQ_INT(iapt_audit_state_load(path, S_NAME, other_pk, &back), IAPT_ECRYPTO);
    iapt_audit_state_free(&back);
    CHECK_EQ_INT(iapt_audit_state_load(path, "other.example/log", pk, &back), IAPT_EFORMAT);
    iapt_audit_state_free(&back);
    /* Saved again: replaced whole. */
    iapt_audit_state_free(&st);
    s_state_make(sk, 43, &st);
    CHECK_EQ_INT(iapt_audit_state_save(path, S_NAME, &st), 0);
    CHECK_EQ_INT(iapt_audit_state_load(path, S_NAME, pk, &back), 0);
    CHECK_EQ_INT(back.size, 43);
    iapt_audit_state_free(&back);
    iapt_audit_state_free(&st);
}

static int
s_parse(const char *text, const uint8_t pk[32])
{
    iapt_audit_state_t st;
    int rc = iapt_audit_state_parse((const uint8_t *)text, strlen(text), "t", S_NAME, pk, &st);
    iapt_audit_state_free(&st);
    return rc;
}

static void
s_replace(char *text, const char *from, const char *to)
{
    char *p = strstr(text, from);
    CHECK(p != NULL);
    if (!p)
        return;
    size_t fl = strlen(from), tl = strlen(to);
    memmove(p + tl, p + fl, strlen(p + fl) + 1);
    memcpy(p, to, tl);
}

static void
test_state_altered_is_refused(void)
{
    uint8_t pk[32], sk[64];
    iapt_audit_state_t st;
    char path[600], good[4096], t[4096];
    uint8_t *data;
    size_t len;
    s_keys(1, pk, sk);
    snprintf(path, sizeof path, "%s/state", t_tmpdir());
    s_state_make(sk, 7, &st);
    CHECK_EQ_INT(iapt_audit_state_save(path, S_NAME, &st), 0);
    CHECK_EQ_INT(iapt_file_read(path, sizeof good - 1, &data, &len), 0);
    memcpy(good, data, len);
    good[len] = 0;
    free(data);
    CHECK_EQ_INT(s_parse(good, pk), 0);

    /* Each line, and the note under them. */
    static const char *const edits[][2] = {
        {"iapt-audit-state 1", "iapt-audit-state 2"},
        {"size 7\n", "size 8\n"},
        {"size 7\n", "size 07\n"},
        {"size 7\n", ""},
        {"root PDw8", "root PDw9"},
        {"verified-at 20", "verified-at x0"},
        {"origin " S_NAME, "origin other"},
        {"\n7\n", "\n8\n"},            /* the note's size: its signature fails */
        {"\n\n\xe2\x80\x94", "\n\n-"}, /* the signature line */
    };
    for (size_t i = 0; i < sizeof edits / sizeof *edits; i++) {
        memcpy(t, good, sizeof t);
        s_replace(t, edits[i][0], edits[i][1]);
        int rc = s_parse(t, pk);
        if (rc == 0)
            fprintf(stderr, "edit %zu accepted\n", i);
        CHECK(rc == IAPT_EFORMAT || rc == IAPT_ECRYPTO);
    }
    /* Truncated anywhere, or a byte added. */
    for (size_t cut = 0; cut < len; cut++) {
        memcpy(t, good, sizeof t);
        t[cut] = 0;
        CHECK(s_parse(t, pk) < 0);
    }
    memcpy(t, good, sizeof t);
    strcat(t, "x");
    CHECK(s_parse(t, pk) < 0);
    iapt_audit_state_free(&st);
}

/* ---- row comparison ------------------------------------------------------------- */

typedef struct {
    int n[4];
    char fields[256];
} s_seen_t;

static void
s_count(const iapt_audit_diff_t *d, void *arg)
{
    s_seen_t *s = arg;
    s->n[d->kind]++;
    if (d->field) {
        strcat(s->fields, d->field);
        strcat(s->fields, " ");
    }
}

static iapt_stat_row_t
s_row(const char *group, const char *code1, const char *code2, const char *level,
      const char *measure, const char *value)
{
    iapt_stat_row_t r = {"2025-09-01", "2025-09-30", 0,     group,   code1,  "Name 1", code2,
                         "Name 2",     "Age",        level, measure, "Name", value,    0};
    return r;
}

static void
test_rows_compare(void)
{
    iapt_stat_row_t ours[6], theirs[8];
    s_seen_t seen;
    ours[0] = s_row("England", "all", "all", "18-25", "M001", "120");
    ours[1] = s_row("England", "all", "all", "18-25", "M002", "55.5");
    ours[2] = s_row("ICB", "QHM", "all", "18-25", "M001", "40");
    ours[3] = s_row("Provider", "all", "P01", "18-25", "M001", "*");
    ours[4] = s_row("Provider", "all", "P02", "18-25", "M001", "15");
    ours[5] = s_row("Region", "Y63", "all", "18-25", "M001", "");
    memcpy(theirs, ours, sizeof ours);

    /* Equal, in the same order and shuffled. */
    memset(&seen, 0, sizeof seen);
    CHECK_EQ_INT(iapt_audit_rows_compare(ours, 6, theirs, 6, s_count, &seen), 0);
    iapt_stat_row_t t = theirs[0];
    theirs[0] = theirs[5];
    theirs[5] = t;
    CHECK_EQ_INT(iapt_audit_rows_compare(ours, 6, theirs, 6, s_count, &seen), 0);
    memcpy(theirs, ours, sizeof ours);

    /* A value, a name, both: one difference per field. */
    theirs[2].value = "45";
    theirs[4].org_name2 = "Another name";
    memset(&seen, 0, sizeof seen);
    CHECK_EQ_INT(iapt_audit_rows_compare(ours, 6, theirs, 6, s_count, &seen), 2);
    CHECK_EQ_INT(seen.n[IAPT_AUDIT_DIFF_VALUE], 2);
    CHECK_EQ_STR(seen.fields, "MEASURE_VALUE ORG_NAME2 ");
    memcpy(theirs, ours, sizeof ours);

    /* The hub lacks a row, has one more, repeats one. */
    theirs[3] = s_row("SubICB", "00L", "all", "18-25", "M001", "5");
    theirs[6] = theirs[0];
    memset(&seen, 0, sizeof seen);
    CHECK_EQ_INT(iapt_audit_rows_compare(ours, 6, theirs, 7, s_count, &seen), 3);
    CHECK_EQ_INT(seen.n[IAPT_AUDIT_DIFF_MISSING], 1);
    CHECK_EQ_INT(seen.n[IAPT_AUDIT_DIFF_EXTRA], 1);
    CHECK_EQ_INT(seen.n[IAPT_AUDIT_DIFF_REPEATED], 1);
    memcpy(theirs, ours, sizeof ours);

    /* A repeat of a row that differs: reported as both. */
    theirs[6] = theirs[1];
    theirs[6].value = "1";
    memset(&seen, 0, sizeof seen);
    CHECK_EQ_INT(iapt_audit_rows_compare(ours, 6, theirs, 7, s_count, &seen), 1);
    CHECK_EQ_INT(seen.n[IAPT_AUDIT_DIFF_REPEATED], 1);

    /* The level and the measure are part of the key; NULL is "". */
    memcpy(theirs, ours, sizeof ours);
    theirs[0].breakdown_level = "26-35";
    theirs[1].measure_id = "M003";
    memset(&seen, 0, sizeof seen);
    CHECK_EQ_INT(iapt_audit_rows_compare(ours, 6, theirs, 6, s_count, &seen), 4);
    CHECK_EQ_INT(seen.n[IAPT_AUDIT_DIFF_MISSING], 2);
    CHECK_EQ_INT(seen.n[IAPT_AUDIT_DIFF_EXTRA], 2);
    memcpy(theirs, ours, sizeof ours);
    theirs[5].value = NULL;
    CHECK_EQ_INT(iapt_audit_rows_compare(ours, 6, theirs, 6, s_count, &seen), 0);

    /* Nothing on either side, or on one. */
    CHECK_EQ_INT(iapt_audit_rows_compare(NULL, 0, NULL, 0, s_count, &seen), 0);
    memset(&seen, 0, sizeof seen);
    CHECK_EQ_INT(iapt_audit_rows_compare(ours, 6, NULL, 0, s_count, &seen), 6);
    CHECK_EQ_INT(seen.n[IAPT_AUDIT_DIFF_MISSING], 6);
    memset(&seen, 0, sizeof seen);
    CHECK_EQ_INT(iapt_audit_rows_compare(NULL, 0, theirs, 6, s_count, &seen), 6);
    CHECK_EQ_INT(seen.n[IAPT_AUDIT_DIFF_EXTRA], 6);
}

/* ---- verify-receipt, offline ------------------------------------------------------ */

typedef struct {
    uint8_t hub_pk[32], hub_sk[64], prov_pk[32], prov_sk[64];
    iapt_buf_t bundle;
    int64_t created_at;
} s_receipt_fix_t;

/* A log of one leaf: P01's manifest, its receipt, in a bundle. The
 * receipt names the log `hub_name`; its checkpoint has origin `origin`. */
static void
s_bundle(s_receipt_fix_t *f, const char *hub_name, const char *origin)
{
    uint8_t root[32], key_id[8], id[32], leaf[32];
    iapt_buf_t sm = IAPT_BUF_INIT, cp = IAPT_BUF_INIT, sr = IAPT_BUF_INIT;
    memset(f, 0, sizeof *f);
    s_keys(0x11, f->hub_pk, f->hub_sk);
    s_keys(0x22, f->prov_pk, f->prov_sk);
    f->created_at = 1759300000;
    memset(root, 0x44, 32);
    memset(key_id, 7, 8);
    Iapt__Manifest m = IAPT__MANIFEST__INIT;
    m.format_version = 1;
    m.collection = "IAPT";
    m.dataset_version = "2.1";
    m.org_code = "P01";
    m.period = "2025-09";
    m.sequence = 1;
    m.created_at = f->created_at;
    m.record_count = 10;
    m.records_root.data = root;
    m.records_root.len = 32;
    m.pseudo_key_id.data = key_id;
    m.pseudo_key_id.len = 8;
    m.node_version = "test";
    CHECK_EQ_INT(iapt_manifest_sign(&m, f->prov_sk, &sm), 0);
    iapt_submission_id(sm.data, sm.len, id);
    iapt_merkle_leaf_hash(sm.data, sm.len, leaf);
    CHECK_EQ_INT(iapt_checkpoint_sign(origin, 1, leaf, S_NAME, f->hub_sk, &cp), 0);
    CHECK_EQ_INT(iapt_buf_append(&cp, "", 1), 0);
    Iapt__Receipt r = IAPT__RECEIPT__INIT;
    r.submission_id.data = id;
    r.submission_id.len = 32;
    r.org_code = "P01";
    r.period = "2025-09";
    r.sequence = 1;
    r.record_count = 10;
    r.records_root = m.records_root;
    r.accepted_at = f->created_at + 60;
    r.log_index = 0;
    r.tree_size = 1;
    r.checkpoint = (char *)cp.data;
    r.hub_name = (char *)hub_name;
    CHECK_EQ_INT(iapt_receipt_sign(&r, f->hub_sk, &sr), 0);
    Iapt__ReceiptBundle rb = IAPT__RECEIPT_BUNDLE__INIT;
    rb.signed_manifest.data = sm.data;
    rb.signed_manifest.len = sm.len;
    rb.signed_receipt.data = sr.data;
    rb.signed_receipt.len = sr.len;
    CHECK_EQ_INT(iapt_buf_reserve(&f->bundle, iapt__receipt_bundle__get_packed_size(&rb)), 0);
    f->bundle.len = iapt__receipt_bundle__pack(&rb, f->bundle.data);
    iapt_buf_free(&sm);
    iapt_buf_free(&cp);
    iapt_buf_free(&sr);
}

/* Run verify-receipt with a registry whose P01 row has `status`; the
 * report goes to *report (freed by the caller). */
static int
s_verify_receipt(s_receipt_fix_t *f, const char *status_and_time, const uint8_t *data, size_t len,
                 char **report)
{
    char pk64[48], text[512];
    iapt_registry_t *reg = NULL;
    iapt_audit_t *a = NULL;
    size_t rlen;
    FILE *out = open_memstream(report, &rlen);
    iapt_base64_encode(f->prov_pk, 32, pk64);
    snprintf(text, sizeof text,
             "org_code,name,role,status,revoked_at,sign_public,curve_public\n"
             "P01,Provider 1,provider,%s,%s,0000000000000000000000000000000000000000\n",
             status_and_time, pk64);
    CHECK_EQ_INT(iapt_registry_parse(text, strlen(text), "reg", &reg), 0);
    iapt_audit_config_t cfg = {0};
    cfg.hub_sign_public = f->hub_pk;
    cfg.hub_name = S_NAME;
    cfg.reg = status_and_time ? reg : NULL;
    cfg.out = out;
    CHECK_EQ_INT(iapt_audit_new(&cfg, &a), 0);
    int rc = iapt_audit_verify_receipt(a, data, len);
    iapt_audit_destroy(&a);
    iapt_registry_release(&reg);
    fclose(out);
    return rc;
}

static void
test_verify_receipt(void)
{
    s_receipt_fix_t f;
    char *report = NULL;
    s_bundle(&f, S_NAME, S_NAME);

    CHECK_EQ_INT(s_verify_receipt(&f, "active,", f.bundle.data, f.bundle.len, &report), 0);
    CHECK(strstr(report, "ok   receipt of P01 2025-09 sequence 1") != NULL);
    CHECK(strstr(report, "ok   manifest of P01") != NULL);
    free(report);

    /* Revoked after it was signed: still valid; before: not. */
    CHECK_EQ_INT(
        s_verify_receipt(&f, "revoked,2025-10-01T06:26:41Z", f.bundle.data, f.bundle.len, &report),
        0);
    free(report);
    CHECK_EQ_INT(
        s_verify_receipt(&f, "revoked,2025-10-01T06:26:40Z", f.bundle.data, f.bundle.len, &report),
        IAPT_ECRYPTO);
    CHECK(strstr(report, "FAIL manifest of P01") != NULL);
    CHECK(strstr(report, "after its revocation") != NULL);
    free(report);

    /* Any byte of the bundle changed: refused, never accepted. */
    int accepted = 0;
    for (size_t i = 0; i < f.bundle.len; i++) {
        f.bundle.data[i] ^= 0x20;
        int rc = s_verify_receipt(&f, "active,", f.bundle.data, f.bundle.len, &report);
        accepted += rc == 0;
        CHECK(rc == IAPT_ECRYPTO);
        free(report);
        f.bundle.data[i] ^= 0x20;
    }
    CHECK_EQ_INT(accepted, 0);
    iapt_buf_free(&f.bundle);

    /* Signed by the hub's key under its name, but about another log. */
    s_bundle(&f, "other.example/log", S_NAME);
    CHECK_EQ_INT(s_verify_receipt(&f, "active,", f.bundle.data, f.bundle.len, &report),
                 IAPT_ECRYPTO);
    CHECK(strstr(report, "FAIL receipt: the receipt names the log 'other.example/log'") != NULL);
    free(report);
    iapt_buf_free(&f.bundle);
    s_bundle(&f, S_NAME, "other.example/log");
    CHECK_EQ_INT(s_verify_receipt(&f, "active,", f.bundle.data, f.bundle.len, &report),
                 IAPT_ECRYPTO);
    CHECK(strstr(report, "checkpoint is for the log 'other.example/log'") != NULL);
    free(report);
    iapt_buf_free(&f.bundle);
}

TEST_MAIN(test_state_round_trip, test_state_altered_is_refused, test_rows_compare,
          test_verify_receipt)
