/* test_gate.c - the node's plausibility gate (node/gate.h): each check on
 * either side of its threshold, the identical-resubmission outcomes, the
 * forced-check strings and the diagnoses of likely causes. */
#include "tests/test.h"

#include "common/date.h"
#include "common/err.h"
#include "common/wire.h"
#include "node/gate.h"
#include "proto/outbox.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A hand-made extract result: every table present with `rows` rows, none
 * rejected, `records` records, the referrals as given. */
typedef struct {
    iapt_extract_t ext;
    Iapt__QualitySummary q;
    Iapt__TableQuality tq[16], *tqp[16];
    uint8_t *rec[1];
    size_t rec_len[1];
} s_fake_t;

static void
s_fake(s_fake_t *f, size_t records, uint64_t in_extract, uint64_t rejected)
{
    memset(f, 0, sizeof *f);
    iapt__quality_summary__init(&f->q);
    f->q.referrals_in_extract = in_extract;
    f->q.referrals_selected = in_extract;
    f->q.referrals_rejected = rejected;
    f->q.referrals_used = records;
    size_t n = 0;
    for (; iapt_extract_table_name(n); n++) {
        iapt__table_quality__init(&f->tq[n]);
        f->tq[n].table = (char *)iapt_extract_table_name(n);
        f->tq[n].rows = 10;
        f->tqp[n] = &f->tq[n];
        f->ext.tables_present |= 1u << n;
    }
    f->q.n_tables = n;
    f->q.tables = f->tqp;
    f->ext.quality = &f->q;
    f->ext.n_records = records;
    /* The gate only counts records; the root is computed separately. */
}

static size_t
s_table(const char *prefix)
{
    for (size_t t = 0; iapt_extract_table_name(t); t++)
        if (strncmp(iapt_extract_table_name(t), prefix, strlen(prefix)) == 0)
            return t;
    return 0;
}

static iapt_period_t s_period;

static iapt_gate_options_t
s_opts(void)
{
    iapt_period_parse("2025-09", &s_period);
    iapt_gate_options_t o = {
        .period = &s_period, .today = s_period.end + 10, .max_rejected_share = 0.20};
    return o;
}

/* True when the result has a finding with this check id. */
static bool
s_has(const iapt_gate_result_t *r, const char *check)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->finding[i].check, check) == 0)
            return true;
    return false;
}

static void
test_clean_month_passes(void)
{
    s_fake_t f;
    s_fake(&f, 100, 100, 0);
    iapt_gate_options_t o = s_opts();
    iapt_gate_result_t r;
    CHECK_EQ_INT(iapt_gate_run(&f.ext, &o, &r), 0);
    CHECK_EQ_INT((int)r.n, 0);
    CHECK_EQ_INT(r.same, IAPT_GATE_NEW);
    iapt_gate_result_free(&r);
}

static void
test_zero_records(void)
{
    s_fake_t f;
    s_fake(&f, 0, 50, 0);
    iapt_gate_options_t o = s_opts();
    iapt_gate_result_t r;
    CHECK_EQ_INT(iapt_gate_run(&f.ext, &o, &r), 0);
    CHECK(s_has(&r, "zero-records"));
    iapt_gate_result_free(&r);
    s_fake(&f, 1, 50, 0);
    CHECK_EQ_INT(iapt_gate_run(&f.ext, &o, &r), 0);
    CHECK(!s_has(&r, "zero-records"));
    iapt_gate_result_free(&r);
}

static void
test_rejected_share_threshold(void)
{
    s_fake_t f;
    iapt_gate_options_t o = s_opts();
    iapt_gate_result_t r;
    s_fake(&f, 80, 100, 20); /* exactly 20%: allowed */
    CHECK_EQ_INT(iapt_gate_run(&f.ext, &o, &r), 0);
    CHECK(!s_has(&r, "rejected-share"));
    iapt_gate_result_free(&r);
    s_fake(&f, 79, 100, 21); /* just above */
    CHECK_EQ_INT(iapt_gate_run(&f.ext, &o, &r), 0);
    CHECK(s_has(&r, "rejected-share"));
    CHECK(r.n == 1 && strstr(r.finding[0].message, "21 of 100") != NULL);
    iapt_gate_result_free(&r);
    s_fake(&f, 9999, 100000, 20001); /* 20.001% */
    CHECK_EQ_INT(iapt_gate_run(&f.ext, &o, &r), 0);
    CHECK(s_has(&r, "rejected-share"));
    iapt_gate_result_free(&r);
    o.max_rejected_share = 0.5; /* configurable */
    s_fake(&f, 79, 100, 21);
    CHECK_EQ_INT(iapt_gate_run(&f.ext, &o, &r), 0);
    CHECK(!s_has(&r, "rejected-share"));
    iapt_gate_result_free(&r);
}

static void
test_tables_needed(void)
{
    s_fake_t f;
    iapt_gate_options_t o = s_opts();
    iapt_gate_result_t r;
    s_fake(&f, 100, 100, 0);
    f.ext.tables_present &= ~(1u << s_table("IDS201"));
    f.tq[s_table("IDS201")].rows = 0;
    CHECK_EQ_INT(iapt_gate_run(&f.ext, &o, &r), 0);
    CHECK(s_has(&r, "table-missing:IDS201"));
    CHECK(r.n && strstr(r.finding[0].message, "IDS201CareContact.csv is missing") != NULL);
    iapt_gate_result_free(&r);

    s_fake(&f, 100, 100, 0);
    f.tq[s_table("IDS202")].rejected = 10; /* every row */
    CHECK_EQ_INT(iapt_gate_run(&f.ext, &o, &r), 0);
    CHECK(s_has(&r, "table-rejected:IDS202"));
    iapt_gate_result_free(&r);
    f.tq[s_table("IDS202")].rejected = 9; /* one row left */
    CHECK_EQ_INT(iapt_gate_run(&f.ext, &o, &r), 0);
    CHECK_EQ_INT((int)r.n, 0);
    iapt_gate_result_free(&r);

    /* Scores: either table is enough; both gone refuses. */
    s_fake(&f, 100, 100, 0);
    f.tq[s_table("IDS606")].rows = 0;
    f.ext.tables_present &= ~(1u << s_table("IDS606"));
    CHECK_EQ_INT(iapt_gate_run(&f.ext, &o, &r), 0);
    CHECK_EQ_INT((int)r.n, 0);
    iapt_gate_result_free(&r);
    f.tq[s_table("IDS607")].rejected = 10;
    CHECK_EQ_INT(iapt_gate_run(&f.ext, &o, &r), 0);
    CHECK(s_has(&r, "table-rejected:IDS606+IDS607"));
    iapt_gate_result_free(&r);
    f.tq[s_table("IDS607")].rows = 0;
    f.tq[s_table("IDS607")].rejected = 0;
    CHECK_EQ_INT(iapt_gate_run(&f.ext, &o, &r), 0);
    CHECK(s_has(&r, "table-missing:IDS606+IDS607"));
    iapt_gate_result_free(&r);
}

static iapt_gate_past_t
s_past(uint64_t seq, const char *period, int state, uint64_t count, uint8_t root_byte)
{
    iapt_gate_past_t p;
    memset(&p, 0, sizeof p);
    p.sequence = seq;
    iapt_strlcpy(p.period, period, sizeof p.period);
    iapt_strlcpy(p.collection, IAPT_COLLECTION, sizeof p.collection);
    p.state = state;
    p.record_count = count;
    memset(p.records_root, root_byte, 32);
    memset(p.id, (int)seq, 32);
    return p;
}

static void
test_record_drop_half(void)
{
    s_fake_t f;
    iapt_gate_options_t o = s_opts();
    iapt_gate_result_t r;
    iapt_gate_past_t past[3] = {
        s_past(1, "2025-07", IAPT__OUTBOX_STATE__OUTBOX_DELIVERED, 1000, 1),
        s_past(2, "2025-08", IAPT__OUTBOX_STATE__OUTBOX_DELIVERED, 200, 2),
        /* pending ones are not compared against */
        s_past(3, "2025-08", IAPT__OUTBOX_STATE__OUTBOX_PENDING, 5000, 3),
    };
    iapt_gate_history_t h = {past, 3};
    o.history = &h;
    s_fake(&f, 100, 100, 0); /* exactly half of 200: allowed */
    CHECK_EQ_INT(iapt_gate_run(&f.ext, &o, &r), 0);
    CHECK(!s_has(&r, "record-drop"));
    CHECK(r.compared == &past[1]);
    iapt_gate_result_free(&r);
    s_fake(&f, 99, 99, 0); /* just under half */
    CHECK_EQ_INT(iapt_gate_run(&f.ext, &o, &r), 0);
    CHECK(s_has(&r, "record-drop"));
    CHECK(r.n == 1 && strstr(r.finding[0].message, "submission 2 (2025-08") != NULL);
    iapt_gate_result_free(&r);
    /* Another collection is not compared against. */
    iapt_strlcpy(past[1].collection, "OTHER", sizeof past[1].collection);
    CHECK_EQ_INT(iapt_gate_run(&f.ext, &o, &r), 0);
    CHECK(s_has(&r, "record-drop")); /* now against 2025-07's 1000 */
    CHECK(r.compared == &past[0]);
    iapt_gate_result_free(&r);
}

static void
test_period_not_ended(void)
{
    s_fake_t f;
    iapt_gate_options_t o = s_opts();
    iapt_gate_result_t r;
    s_fake(&f, 100, 100, 0);
    o.today = s_period.end + 1; /* the period ended yesterday */
    CHECK_EQ_INT(iapt_gate_run(&f.ext, &o, &r), 0);
    CHECK(!s_has(&r, "period-not-ended"));
    iapt_gate_result_free(&r);
    o.today = s_period.end; /* its last day is today */
    CHECK_EQ_INT(iapt_gate_run(&f.ext, &o, &r), 0);
    CHECK(s_has(&r, "period-not-ended"));
    iapt_gate_result_free(&r);
}

static void
test_identical_resubmission(void)
{
    s_fake_t f;
    iapt_gate_options_t o = s_opts();
    iapt_gate_result_t r;
    uint8_t root[32];
    memset(root, 7, 32);
    iapt_gate_past_t past[2] = {
        s_past(1, "2025-09", IAPT__OUTBOX_STATE__OUTBOX_DELIVERED, 100, 7),
        s_past(2, "2025-09", IAPT__OUTBOX_STATE__OUTBOX_DELIVERED, 100, 8),
    };
    iapt_gate_history_t h = {past, 1};
    o.history = &h;
    o.records_root = root;
    s_fake(&f, 100, 100, 0);
    CHECK_EQ_INT(iapt_gate_run(&f.ext, &o, &r), 0);
    CHECK_EQ_INT(r.same, IAPT_GATE_SAME_DELIVERED);
    CHECK(r.same_as == &past[0]);
    iapt_gate_result_free(&r);
    /* The last delivered one differs (a correction): going back is new. */
    h.n = 2;
    CHECK_EQ_INT(iapt_gate_run(&f.ext, &o, &r), 0);
    CHECK_EQ_INT(r.same, IAPT_GATE_NEW);
    iapt_gate_result_free(&r);
    /* An identical one still pending: deliver that one. */
    past[1] = s_past(2, "2025-09", IAPT__OUTBOX_STATE__OUTBOX_PENDING, 100, 7);
    CHECK_EQ_INT(iapt_gate_run(&f.ext, &o, &r), 0);
    CHECK_EQ_INT(r.same, IAPT_GATE_SAME_PENDING);
    CHECK(r.same_as == &past[1]);
    iapt_gate_result_free(&r);
    /* Another period is never identical. */
    iapt_period_parse("2025-08", &s_period);
    CHECK_EQ_INT(iapt_gate_run(&f.ext, &o, &r), 0);
    CHECK_EQ_INT(r.same, IAPT_GATE_NEW);
    iapt_gate_result_free(&r);
}

static void
test_forced_checks_and_share_parse(void)
{
    s_fake_t f;
    iapt_gate_options_t o = s_opts();
    iapt_gate_result_t r;
    char **s = NULL;
    s_fake(&f, 0, 10, 10);
    o.today = s_period.end;
    CHECK_EQ_INT(iapt_gate_run(&f.ext, &o, &r), 0);
    CHECK_EQ_INT((int)r.n, 3);
    CHECK_EQ_INT(iapt_gate_forced_checks(&r, &s), 0);
    CHECK(s && strncmp(s[0], "zero-records: ", 14) == 0);
    CHECK(s && strncmp(s[2], "period-not-ended: ", 18) == 0);
    iapt_gate_strings_free(s, r.n);
    iapt_gate_result_free(&r);
    double v = -1;
    CHECK_EQ_INT(iapt_gate_share_parse("0.25", &v), 0);
    CHECK(v == 0.25);
    CHECK_EQ_INT(iapt_gate_share_parse("1", &v), 0);
    CHECK_EQ_INT(iapt_gate_share_parse("1.5", &v), IAPT_EUSAGE);
    CHECK_EQ_INT(iapt_gate_share_parse("-0.1", &v), IAPT_EUSAGE);
    CHECK_EQ_INT(iapt_gate_share_parse("abc", &v), IAPT_EUSAGE);
    CHECK_EQ_INT(iapt_gate_share_parse("", &v), IAPT_EUSAGE);
    o.max_rejected_share = 2;
    CHECK_EQ_INT(iapt_gate_run(&f.ext, &o, &r), IAPT_EUSAGE);
}

static bool
s_diag_has(const iapt_gate_diagnoses_t *d, const char *code)
{
    for (size_t i = 0; i < d->n; i++)
        if (strcmp(d->d[i].code, code) == 0)
            return true;
    return false;
}

static void
test_diagnoses_bytes(void)
{
    iapt_gate_diagnoses_t d = {0};
    const char zip[] = "PK\x03\x04\x14\x00\x00\x00";
    CHECK_EQ_INT(iapt_gate_diagnose_bytes("a.csv", zip, sizeof zip - 1, &d), 0);
    CHECK(s_diag_has(&d, "zip"));
    iapt_gate_diagnoses_free(&d);

    const char cp1252[] = "A,B\n1,Ren\xe9\n";
    CHECK_EQ_INT(iapt_gate_diagnose_bytes("a.csv", cp1252, sizeof cp1252 - 1, &d), 0);
    CHECK(s_diag_has(&d, "not-utf8"));
    CHECK(d.n && strstr(d.d[0].message, "line 2") != NULL);
    iapt_gate_diagnoses_free(&d);
    const char utf8[] = "A,B\n1,Ren\xc3\xa9\n";
    CHECK_EQ_INT(iapt_gate_diagnose_bytes("a.csv", utf8, sizeof utf8 - 1, &d), 0);
    CHECK_EQ_INT((int)d.n, 0);
    iapt_gate_diagnoses_free(&d);

    const char semi[] = "A;B;C\n1;2;3\n";
    CHECK_EQ_INT(iapt_gate_diagnose_bytes("a.csv", semi, sizeof semi - 1, &d), 0);
    CHECK(s_diag_has(&d, "semicolon"));
    iapt_gate_diagnoses_free(&d);

    const char ddmm[] = "Id,Date\n1,25/09/2025\n2,03/09/2025\n3,2025-09-01\n";
    CHECK_EQ_INT(iapt_gate_diagnose_bytes("a.csv", ddmm, sizeof ddmm - 1, &d), 0);
    CHECK(s_diag_has(&d, "dd-mm-yyyy"));
    iapt_gate_diagnoses_free(&d);
    /* One stray value among ISO dates is a row finding, not a cause. */
    const char stray[] = "Id,Date\n1,25/09/2025\n2,2025-09-02\n3,2025-09-01\n";
    CHECK_EQ_INT(iapt_gate_diagnose_bytes("a.csv", stray, sizeof stray - 1, &d), 0);
    CHECK_EQ_INT((int)d.n, 0);
    iapt_gate_diagnoses_free(&d);
}

static void
test_diagnose_wrong_case(void)
{
    const char *dir = t_tmpdir();
    char path[1024];
    snprintf(path, sizeof path, "%s/ids201carecontact.csv", dir);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs("CareContactId\n", f);
        fclose(f);
    }
    iapt_gate_diagnoses_t d = {0};
    CHECK_EQ_INT(iapt_gate_diagnose(dir, NULL, &d), 0);
    CHECK(s_diag_has(&d, "wrong-case"));
    CHECK(d.n && strstr(d.d[0].message, "rename it to IDS201CareContact.csv") != NULL);
    iapt_gate_diagnoses_free(&d);
    /* A directory that cannot be read gives no diagnoses. */
    CHECK_EQ_INT(iapt_gate_diagnose("/nonexistent/dir", NULL, &d), 0);
    CHECK_EQ_INT((int)d.n, 0);
}

TEST_MAIN(test_clean_month_passes, test_zero_records, test_rejected_share_threshold,
          test_tables_needed, test_record_drop_half, test_period_not_ended,
          test_identical_resubmission, test_forced_checks_and_share_parse, test_diagnoses_bytes,
          test_diagnose_wrong_case)
