/* test_workforce_records.c - validated workforce rows into serialized
 * leaves: what leaves the site (no StaffId, no SupervisorStaffId, no date;
 * a planted one is found by the same search), day numbers and their
 * clamping, sessions filtered to the period and sorted, supervisor
 * pseudonyms equal to their staff record ids, and the leaves accepted by
 * the hub half. September 2025 throughout. */

#include "common/collections/workforce/workforce_anonymise.h"
#include "common/collections/workforce/workforce_derive.h"
#include "common/collections/workforce/workforce_records.h"
#include "common/collections/workforce/workforce_submission.h"
#include "common/err.h"
#include "proto/workforce.pb-c.h"
#include "tests/test.h"

static int32_t
day(int y, int m, int d)
{
    return iapt_days_from_civil(y, m, d);
}

/* Does `needle` (n bytes) occur in the buffer? */
static bool
found(const iapt_buf_t *b, const void *needle, size_t n)
{
    return memmem(b->data, b->len, needle, n) != NULL;
}

typedef struct {
    iapt_buf_t buf;
    size_t off[16], len[16];
    uint8_t id[16][16];
    size_t n;
} leaves_t;

static int
emit_count(void *arg, const iapt_wf_contribution_t *c)
{
    uint64_t *sum = arg;
    for (int i = 0; i < IAPT_WF_C_COUNT; i++)
        sum[i] += c->counter[i];
    return 0;
}

static void
test_rows_to_leaves(void)
{
    iapt_pseudokey_t *key = NULL;
    CHECK_EQ_INT(iapt_pseudokey_generate(&key), 0);
    if (!key)
        return;
    iapt_period_t p;
    iapt_period_make(2025, 9, &p);

    /* The trainee's sessions, unsorted, two outside the period: 31 August
     * and 1 October are left out. */
    iapt_wf_session_in_t sess[] = {
        {day(2025, 9, 22), 60, 'I'},  {day(2025, 8, 31), 300, 'I'}, {day(2025, 9, 1), 60, 'I'},
        {day(2025, 9, 15), 120, 'G'}, {day(2025, 10, 1), 300, 'I'}, {day(2025, 9, 8), 60, 'C'},
    };
    iapt_wf_staff_in_t staff[] = {
        {.staff_id = "STF-000123",
         .role = "LIT",
         .band = "4",
         .wte_x100 = 100,
         .post_start = day(2024, 11, 4),
         .profession = "GRD",
         .has_training_start = true,
         .training_start = day(2025, 1, 6),
         .has_training_completed = true,
         .training_completed = day(2025, 9, 19),
         .accredited = "N",
         .supervisor_id = "SUPV-77",
         .sessions = sess,
         .n_sessions = sizeof sess / sizeof *sess},
        {.staff_id = "SUPV-77",
         .role = "SUP",
         .band = "8a",
         .wte_x100 = 80,
         .post_start = day(1900, 1, 1), /* more than 100 years before: clamped */
         .has_post_end = true,
         .post_end = day(2199, 12, 31), /* far ahead: clamped */
         .profession = "?"},
    };
    leaves_t L;
    memset(&L, 0, sizeof L);
    for (size_t i = 0; i < 2; i++) {
        L.off[L.n] = L.buf.len;
        CHECK_EQ_INT(iapt_wf_build_staff(key, "RXA", &p, &staff[i], &L.buf, L.id[L.n]), 0);
        L.len[L.n] = L.buf.len - L.off[L.n];
        L.n++;
    }
    L.off[L.n] = L.buf.len;
    CHECK_EQ_INT(iapt_wf_build_vacancy(key, "RXA", 1, "HIT", "6", 100, &L.buf, L.id[L.n]), 0);
    L.len[L.n] = L.buf.len - L.off[L.n];
    L.n++;

    /* Nothing identifying in any byte sent: ids, and every date as text
     * and as its absolute day number (4 bytes, either order). */
    const char *ids[] = {"STF-000123", "SUPV-77", "000123", "SUPV"};
    for (size_t i = 0; i < 4; i++)
        CHECK(!found(&L.buf, ids[i], strlen(ids[i])));
    const char *dates[] = {"2024-11-04", "2025-01-06", "2025-09-19", "1900-01-01",
                           "2199-12-31", "2025-09-22", "20241104"};
    for (size_t i = 0; i < 7; i++)
        CHECK(!found(&L.buf, dates[i], strlen(dates[i])));
    int32_t abs_days[] = {day(2024, 11, 4), day(2025, 1, 6), day(2025, 9, 19), day(2025, 9, 22)};
    for (size_t i = 0; i < 4; i++) {
        uint8_t le[4], be[4];
        for (int k = 0; k < 4; k++) {
            le[k] = (uint8_t)((uint32_t)abs_days[i] >> (8 * k));
            be[3 - k] = le[k];
        }
        CHECK(!found(&L.buf, le, 4));
        CHECK(!found(&L.buf, be, 4));
    }
    /* The search finds a planted id. */
    iapt_buf_t planted = IAPT_BUF_INIT;
    CHECK_EQ_INT(iapt_buf_append(&planted, L.buf.data, L.buf.len), 0);
    CHECK_EQ_INT(iapt_buf_append(&planted, "SUPV-77", 7), 0);
    CHECK(found(&planted, "SUPV-77", 7));
    iapt_buf_free(&planted);

    /* What the leaves say. */
    Iapt__WfRecord *r = iapt__wf_record__unpack(NULL, L.len[0], L.buf.data + L.off[0]);
    CHECK(r != NULL && r->kind_case == IAPT__WF_RECORD__KIND_STAFF);
    if (r && r->kind_case == IAPT__WF_RECORD__KIND_STAFF) {
        const Iapt__WfStaffRecord *s = r->staff;
        CHECK_EQ_MEM(s->staff_id.data, L.id[0], 16);
        CHECK_EQ_INT(s->post_start_day, day(2024, 11, 4) - day(2025, 9, 1));
        CHECK_EQ_INT(s->training_completed_day, 18);
        CHECK_EQ_INT(s->training_start_day, day(2025, 1, 6) - day(2025, 9, 1));
        CHECK(!s->has_post_end_day);
        CHECK(s->has_supervisor_id);
        CHECK_EQ_MEM(s->supervisor_id.data, L.id[1], 16); /* the supervisor's own record id */
        CHECK_EQ_INT(s->n_sessions, 4);                   /* two outside the period left out */
        int32_t want_day[] = {0, 7, 14, 21};
        uint32_t want_min[] = {60, 60, 120, 60};
        const char *want_type = "ICGI";
        for (size_t i = 0; i < 4 && i < s->n_sessions; i++) {
            CHECK_EQ_INT(s->sessions[i]->day, want_day[i]);
            CHECK_EQ_INT(s->sessions[i]->minutes, want_min[i]);
            CHECK(s->sessions[i]->type[0] == want_type[i]);
        }
        iapt_wf_derived_t d;
        CHECK_EQ_INT(iapt_wf_derive_staff(s, &p, &d), 0);
        CHECK(d.weekly_supervision_met); /* LIT: C counts; G 120 = 60 */
        CHECK(d.training_completed);
        iapt__wf_record__free_unpacked(r, NULL);
    }
    r = iapt__wf_record__unpack(NULL, L.len[1], L.buf.data + L.off[1]);
    CHECK(r != NULL && r->kind_case == IAPT__WF_RECORD__KIND_STAFF);
    if (r && r->kind_case == IAPT__WF_RECORD__KIND_STAFF) {
        CHECK_EQ_INT(r->staff->post_start_day, -IAPT_WF_DAY_LIMIT);
        CHECK_EQ_INT(r->staff->post_end_day, IAPT_WF_DAY_LIMIT);
        CHECK_EQ_STR(r->staff->profession, "?");
        CHECK(!r->staff->has_supervisor_id);
        iapt__wf_record__free_unpacked(r, NULL);
    }

    /* The hub half accepts them all: one trainee in post with a supervisor
     * in the submission. */
    iapt_wf_submission_t *sub = NULL;
    uint64_t sum[IAPT_WF_C_COUNT] = {0};
    CHECK_EQ_INT(iapt_wf_submission_open(&p, &sub), 0);
    for (size_t i = 0; i < L.n; i++)
        CHECK_EQ_INT(
            iapt_wf_submission_record(sub, L.buf.data + L.off[i], L.len[i], i, emit_count, sum), 0);
    CHECK_EQ_INT(iapt_wf_submission_close(sub, emit_count, sum), 0);
    iapt_wf_submission_free(sub);
    CHECK_EQ_INT(sum[IAPT_WF_C_STAFF], 2);
    CHECK_EQ_INT(sum[IAPT_WF_C_STAFF_WTE], 180);
    CHECK_EQ_INT(sum[IAPT_WF_C_SUPERVISORS], 1);
    CHECK_EQ_INT(sum[IAPT_WF_C_TRAINEES_SUPERVISED], 1);
    CHECK_EQ_INT(sum[IAPT_WF_C_VACANT_WTE], 100);
    CHECK_EQ_INT(sum[IAPT_WF_C_SUPERVISION_MET], 1);

    /* Stable month to month: next month's leaf has the same staff id. */
    iapt_period_t oct;
    iapt_period_make(2025, 10, &oct);
    iapt_buf_t next = IAPT_BUF_INIT;
    uint8_t id2[16];
    CHECK_EQ_INT(iapt_wf_build_staff(key, "RXA", &oct, &staff[0], &next, id2), 0);
    CHECK_EQ_MEM(id2, L.id[0], 16);
    iapt_buf_free(&next);

    /* Vacancy ids: one per row, stable, distinct from every staff id. */
    iapt_buf_t vb = IAPT_BUF_INIT;
    uint8_t v1[16], v1b[16], v2[16];
    CHECK_EQ_INT(iapt_wf_build_vacancy(key, "RXA", 1, "HIT", "6", 100, &vb, v1), 0);
    CHECK_EQ_INT(iapt_wf_build_vacancy(key, "RXA", 1, "LIQ", NULL, 50, &vb, v1b), 0);
    CHECK_EQ_INT(iapt_wf_build_vacancy(key, "RXA", 2, "HIT", "6", 100, &vb, v2), 0);
    CHECK_EQ_MEM(v1, L.id[2], 16);
    CHECK_EQ_MEM(v1, v1b, 16);
    CHECK(memcmp(v1, v2, 16) != 0);
    CHECK(memcmp(v1, L.id[0], 16) != 0 && memcmp(v1, L.id[1], 16) != 0);
    iapt_buf_free(&vb);

    iapt_buf_free(&L.buf);
    iapt_pseudokey_destroy(&key);
}

static void
test_inputs_refused(void)
{
    iapt_pseudokey_t *key = NULL;
    CHECK_EQ_INT(iapt_pseudokey_generate(&key), 0);
    if (!key)
        return;
    iapt_period_t p;
    iapt_period_make(2025, 9, &p);
    iapt_buf_t b = IAPT_BUF_INIT;
    uint8_t id[16];
    iapt_wf_session_in_t bad_type = {day(2025, 9, 2), 60, 'X'};
    iapt_wf_session_in_t bad_min = {day(2025, 9, 2), 601, 'I'};
    iapt_wf_staff_in_t s = {
        .staff_id = "A1", .role = "LIQ", .wte_x100 = 50, .post_start = day(2020, 1, 1)};
    CHECK_EQ_INT(iapt_wf_build_staff(key, "RXA", &p, &s, &b, id), 0);
    size_t good_len = b.len;
    s.role = "liq";
    CHECK_EQ_INT(iapt_wf_build_staff(key, "RXA", &p, &s, &b, id), IAPT_EUSAGE);
    s.role = "LIQ";
    s.wte_x100 = 101;
    CHECK_EQ_INT(iapt_wf_build_staff(key, "RXA", &p, &s, &b, id), IAPT_EUSAGE);
    s.wte_x100 = 50;
    s.sessions = &bad_type;
    s.n_sessions = 1;
    CHECK_EQ_INT(iapt_wf_build_staff(key, "RXA", &p, &s, &b, id), IAPT_EUSAGE);
    s.sessions = &bad_min;
    CHECK_EQ_INT(iapt_wf_build_staff(key, "RXA", &p, &s, &b, id), IAPT_EUSAGE);
    CHECK_EQ_INT(b.len, good_len); /* nothing appended by a refusal */
    s.n_sessions = 0;
    CHECK_EQ_INT(iapt_wf_build_staff(NULL, "RXA", &p, &s, &b, id), IAPT_ECRYPTO);
    CHECK_EQ_INT(iapt_wf_build_vacancy(key, "RXA", 1, "XX", NULL, 50, &b, id), IAPT_EUSAGE);
    CHECK_EQ_INT(iapt_wf_build_vacancy(key, "RXA", 1, "HIT", NULL, 0, &b, id), IAPT_EUSAGE);
    CHECK_EQ_INT(iapt_wf_build_vacancy(NULL, "RXA", 1, "HIT", NULL, 10, &b, id), IAPT_ECRYPTO);
    CHECK_EQ_INT(b.len, good_len);
    iapt_buf_free(&b);
    iapt_pseudokey_destroy(&key);
}

TEST_MAIN(test_rows_to_leaves, test_inputs_refused)
