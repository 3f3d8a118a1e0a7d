/* test_workforce_derive.c - the workforce collection's per-staff derivation,
 * supervisor accounting, counters, catalogue and formatting, on hand-worked
 * cases at every threshold of WORKFORCE.md. Calendars were read off a
 * calendar: 2025-09-01 is a Monday, 2025-10-01 a Wednesday, 2026-02-01 a
 * Sunday, 2027-02-01 a Monday, 2024-02-01 a Thursday. */

#include "common/collections/workforce/workforce_derive.h"
#include "common/collections/workforce/workforce_measures.h"
#include "common/err.h"
#include "tests/test.h"

/* ---------------------------------------------------------------------------
 * Fixtures
 * ------------------------------------------------------------------------ */

#define MAX_SESSIONS 40

typedef struct {
    Iapt__WfStaffRecord rec;
    Iapt__WfSupervisionSession sess[MAX_SESSIONS];
    Iapt__WfSupervisionSession *ptr[MAX_SESSIONS];
    uint8_t id[IAPT_WF_ID_LEN];
    uint8_t sup[IAPT_WF_ID_LEN];
    char type[MAX_SESSIONS][2];
} staff_t;

/* A member with id byte `who`, in post since well before the period, no
 * end, WTE 1.00, no sessions. */
static void
staff_init(staff_t *s, uint8_t who, const char *role)
{
    memset(s, 0, sizeof *s);
    Iapt__WfStaffRecord init = IAPT__WF_STAFF_RECORD__INIT;
    s->rec = init;
    memset(s->id, who, sizeof s->id);
    s->rec.staff_id.data = s->id;
    s->rec.staff_id.len = sizeof s->id;
    s->rec.role = (char *)role;
    s->rec.wte_x100 = 100;
    s->rec.post_start_day = -400;
    s->rec.sessions = s->ptr;
}

static void
staff_session(staff_t *s, int32_t day, uint32_t minutes, char type)
{
    size_t i = s->rec.n_sessions++;
    Iapt__WfSupervisionSession init = IAPT__WF_SUPERVISION_SESSION__INIT;
    s->sess[i] = init;
    s->sess[i].day = day;
    s->sess[i].minutes = minutes;
    s->type[i][0] = type;
    s->type[i][1] = 0;
    s->sess[i].type = s->type[i];
    s->ptr[i] = &s->sess[i];
}

/* One session of `minutes` of `type` on the Monday of every full week. */
static void
staff_weekly(staff_t *s, const iapt_period_t *p, uint32_t minutes, char type)
{
    iapt_wf_weeks_t w;
    iapt_wf_full_weeks(p, &w);
    for (uint32_t k = 0; k < w.count; k++)
        staff_session(s, w.first_monday + 7 * (int32_t)k, minutes, type);
}

static void
staff_supervisor(staff_t *s, uint8_t who)
{
    memset(s->sup, who, sizeof s->sup);
    s->rec.has_supervisor_id = 1;
    s->rec.supervisor_id.data = s->sup;
    s->rec.supervisor_id.len = sizeof s->sup;
}

static iapt_wf_derived_t
derive_ok(const staff_t *s, const iapt_period_t *p)
{
    iapt_wf_derived_t d;
    int rc = iapt_wf_derive_staff(&s->rec, p, &d);
    CHECK_EQ_INT(rc, 0);
    if (rc)
        memset(&d, 0, sizeof d);
    return d;
}

static iapt_period_t
period(int y, int m)
{
    iapt_period_t p;
    iapt_period_make(y, m, &p);
    return p;
}

/* ---------------------------------------------------------------------------
 * Weeks
 * ------------------------------------------------------------------------ */

static void
test_full_weeks(void)
{
    iapt_wf_weeks_t w;
    iapt_period_t p = period(2025, 9); /* Mon 1st: weeks 1-7 8-14 15-21 22-28; 29-30 partial */
    iapt_wf_full_weeks(&p, &w);
    CHECK_EQ_INT(w.first_monday, 0);
    CHECK_EQ_INT(w.count, 4);
    p = period(2025, 10); /* Wed 1st: weeks 6-12 13-19 20-26; 1-5 and 27-31 partial */
    iapt_wf_full_weeks(&p, &w);
    CHECK_EQ_INT(w.first_monday, 5);
    CHECK_EQ_INT(w.count, 3);
    p = period(2026, 2); /* Sun 1st: weeks 2-8 9-15 16-22; 23-28 partial */
    iapt_wf_full_weeks(&p, &w);
    CHECK_EQ_INT(w.first_monday, 1);
    CHECK_EQ_INT(w.count, 3);
    p = period(2027, 2); /* Mon 1st, 28 days: exactly four full weeks */
    iapt_wf_full_weeks(&p, &w);
    CHECK_EQ_INT(w.first_monday, 0);
    CHECK_EQ_INT(w.count, 4);
    p = period(2024, 2); /* Thu 1st, 29 days: weeks 5-11 12-18 19-25; 26-29 partial */
    iapt_wf_full_weeks(&p, &w);
    CHECK_EQ_INT(w.first_monday, 4);
    CHECK_EQ_INT(w.count, 3);
}

/* ---------------------------------------------------------------------------
 * Weekly supervision
 * ------------------------------------------------------------------------ */

static void
test_sixty_and_fifty_nine_minutes(void)
{
    iapt_period_t p = period(2025, 9);
    staff_t s;
    staff_init(&s, 1, "HIQ");
    staff_weekly(&s, &p, 60, 'I');
    iapt_wf_derived_t d = derive_ok(&s, &p);
    CHECK(d.supervision_eligible);
    CHECK(d.weekly_supervision_met);
    CHECK_EQ_INT(d.full_weeks, 4);
    CHECK_EQ_INT(d.weeks_met, 4);

    /* The third week has 59 minutes: not met, still eligible. */
    s.sess[2].minutes = 59;
    d = derive_ok(&s, &p);
    CHECK(d.supervision_eligible);
    CHECK(!d.weekly_supervision_met);
    CHECK_EQ_INT(d.weeks_met, 3);

    /* 59 + 1 minutes in two sessions of the same week add up to 60. */
    staff_t t;
    staff_init(&t, 2, "HIQ");
    staff_session(&t, 0, 60, 'I');
    staff_session(&t, 7, 60, 'I');
    staff_session(&t, 14, 59, 'I'); /* Mon 15th */
    staff_session(&t, 20, 1, 'I');  /* Sun 21st: the same week */
    staff_session(&t, 21, 60, 'I');
    d = derive_ok(&t, &p);
    CHECK(d.weekly_supervision_met);
    CHECK_EQ_INT(d.weeks_met, 4);
    t.sess[3].day = 21; /* the minute moves to the next week: week 3 has 59 */
    d = derive_ok(&t, &p);
    CHECK(!d.weekly_supervision_met);
    CHECK_EQ_INT(d.weeks_met, 3);
}

static void
test_group_one_twenty_and_one_eighteen(void)
{
    iapt_period_t p = period(2025, 9);
    staff_t s;
    staff_init(&s, 1, "HIQ");
    staff_weekly(&s, &p, 120, 'G');
    iapt_wf_derived_t d = derive_ok(&s, &p);
    CHECK(d.weekly_supervision_met); /* 120 group minutes count as 60 */

    s.sess[1].minutes = 118; /* 59 */
    d = derive_ok(&s, &p);
    CHECK(!d.weekly_supervision_met);
    CHECK_EQ_INT(d.weeks_met, 3);

    s.sess[1].minutes = 119; /* 59.5: exact halves, still short */
    d = derive_ok(&s, &p);
    CHECK(!d.weekly_supervision_met);

    /* 30 individual + 60 group = 30 + 30. */
    staff_t m;
    staff_init(&m, 2, "LIQ");
    iapt_wf_weeks_t w;
    iapt_wf_full_weeks(&p, &w);
    for (uint32_t k = 0; k < w.count; k++) {
        staff_session(&m, w.first_monday + 7 * (int32_t)k, 30, 'I');
        staff_session(&m, w.first_monday + 7 * (int32_t)k + 2, 60, 'G');
    }
    d = derive_ok(&m, &p);
    CHECK(d.weekly_supervision_met);
    m.sess[7].minutes = 59; /* last week: 30 + 29.5 */
    d = derive_ok(&m, &p);
    CHECK(!d.weekly_supervision_met);
}

static void
test_case_management_low_intensity_only(void)
{
    iapt_period_t p = period(2025, 9);
    const char *low[] = {"LIT", "LIQ", "CWT", "CWQ"};
    const char *high[] = {"HIT", "HIQ", "CNS"};
    for (size_t i = 0; i < 4; i++) {
        staff_t s;
        staff_init(&s, 1, low[i]);
        staff_weekly(&s, &p, 60, 'C');
        iapt_wf_derived_t d = derive_ok(&s, &p);
        CHECK(d.low_intensity);
        CHECK(d.supervision_eligible);
        CHECK(d.weekly_supervision_met);
    }
    for (size_t i = 0; i < 3; i++) {
        staff_t s;
        staff_init(&s, 1, high[i]);
        staff_weekly(&s, &p, 60, 'C');
        iapt_wf_derived_t d = derive_ok(&s, &p);
        CHECK(!d.low_intensity);
        CHECK(d.supervision_eligible);
        CHECK(!d.weekly_supervision_met);
        CHECK_EQ_INT(d.weeks_met, 0);
    }
    /* HIT: case management adds nothing, so 30 I + 60 C is short ... */
    staff_t s;
    staff_init(&s, 1, "HIT");
    iapt_wf_weeks_t w;
    iapt_wf_full_weeks(&p, &w);
    for (uint32_t k = 0; k < w.count; k++) {
        staff_session(&s, w.first_monday + 7 * (int32_t)k, 30, 'I');
        staff_session(&s, w.first_monday + 7 * (int32_t)k + 1, 60, 'C');
    }
    CHECK(!derive_ok(&s, &p).weekly_supervision_met);
    /* ... and enough for LIT. */
    s.rec.role = "LIT";
    CHECK(derive_ok(&s, &p).weekly_supervision_met);
}

static void
test_wte_half_and_forty_nine(void)
{
    iapt_period_t p = period(2025, 9);
    staff_t s;
    staff_init(&s, 1, "LIQ");
    staff_weekly(&s, &p, 60, 'I');
    s.rec.wte_x100 = 50;
    iapt_wf_derived_t d = derive_ok(&s, &p);
    CHECK(d.supervision_eligible);
    CHECK(d.weekly_supervision_met);
    s.rec.wte_x100 = 49;
    d = derive_ok(&s, &p);
    CHECK(!d.supervision_eligible);
    CHECK(!d.weekly_supervision_met); /* supervised, but not counted */
    CHECK_EQ_INT(d.weeks_met, 4);
    CHECK(d.in_post_end);
}

static void
test_non_clinical_not_eligible(void)
{
    iapt_period_t p = period(2025, 9);
    const char *roles[] = {"SUP", "ESA", "LEAD", "OTH"};
    for (size_t i = 0; i < 4; i++) {
        staff_t s;
        staff_init(&s, 1, roles[i]);
        staff_weekly(&s, &p, 90, 'I');
        iapt_wf_derived_t d = derive_ok(&s, &p);
        CHECK(!d.clinical);
        CHECK(!d.trainee);
        CHECK(!d.supervision_eligible);
        CHECK(!d.weekly_supervision_met);
    }
}

static void
test_week_crossing_period_edges(void)
{
    /* October 2025: days 0-4 (Wed 1st - Sun 5th) and 26-30 (Mon 27th -
     * Fri 31st) lie in weeks crossing the period start and end. */
    iapt_period_t p = period(2025, 10);
    staff_t s;
    staff_init(&s, 1, "HIQ");
    staff_session(&s, 0, 120, 'I');  /* partial week: not counted */
    staff_session(&s, 4, 120, 'I');  /* Sunday 5th: still the partial week */
    staff_session(&s, 5, 60, 'I');   /* Monday 6th: week 1 */
    staff_session(&s, 12, 60, 'I');  /* Monday 13th: week 2 */
    staff_session(&s, 25, 60, 'I');  /* Sunday 26th: week 3 */
    staff_session(&s, 26, 600, 'I'); /* Monday 27th: partial week: not counted */
    iapt_wf_derived_t d = derive_ok(&s, &p);
    CHECK_EQ_INT(d.full_weeks, 3);
    CHECK_EQ_INT(d.weeks_met, 3);
    CHECK(d.weekly_supervision_met); /* the partial weeks are not required */

    /* Week 3 supervised only in the partial week after it: not met. */
    staff_t t;
    staff_init(&t, 2, "HIQ");
    staff_session(&t, 5, 60, 'I');
    staff_session(&t, 12, 60, 'I');
    staff_session(&t, 26, 120, 'I');
    d = derive_ok(&t, &p);
    CHECK_EQ_INT(d.weeks_met, 2);
    CHECK(!d.weekly_supervision_met);

    /* Only partial-week sessions: none of the three weeks is met. */
    staff_t u;
    staff_init(&u, 3, "HIQ");
    staff_session(&u, 0, 300, 'I');
    staff_session(&u, 30, 300, 'I');
    d = derive_ok(&u, &p);
    CHECK_EQ_INT(d.weeks_met, 0);
    CHECK(!d.weekly_supervision_met);
}

static void
test_month_starting_on_monday(void)
{
    /* September 2025: the first Monday is day 0 and counts; Monday 29th
     * (day 28) starts a week crossing the period end. */
    iapt_period_t p = period(2025, 9);
    staff_t s;
    staff_init(&s, 1, "LIQ");
    staff_session(&s, 0, 60, 'I');   /* Mon 1st */
    staff_session(&s, 13, 60, 'I');  /* Sun 14th: week 2 */
    staff_session(&s, 14, 60, 'I');  /* Mon 15th: week 3 */
    staff_session(&s, 27, 60, 'I');  /* Sun 28th: week 4 */
    staff_session(&s, 28, 600, 'I'); /* Mon 29th: not a full week */
    iapt_wf_derived_t d = derive_ok(&s, &p);
    CHECK_EQ_INT(d.full_weeks, 4);
    CHECK_EQ_INT(d.weeks_met, 4);
    CHECK(d.weekly_supervision_met);
    s.sess[3].day = 28; /* week 4's session moves to the partial week */
    s.sess[3].minutes = 60;
    d = derive_ok(&s, &p);
    CHECK_EQ_INT(d.weeks_met, 3);
    CHECK(!d.weekly_supervision_met);
}

static void
test_february(void)
{
    /* February 2027: four full weeks cover the whole month. */
    iapt_period_t p = period(2027, 2);
    staff_t s;
    staff_init(&s, 1, "HIT");
    staff_session(&s, 6, 60, 'I');   /* Sun 7th */
    staff_session(&s, 7, 60, 'I');   /* Mon 8th */
    staff_session(&s, 20, 60, 'I');  /* Sun 21st */
    staff_session(&s, 27, 120, 'G'); /* Sun 28th, the last day */
    iapt_wf_derived_t d = derive_ok(&s, &p);
    CHECK_EQ_INT(d.full_weeks, 4);
    CHECK_EQ_INT(d.weeks_met, 4);
    CHECK(d.weekly_supervision_met);

    /* February 2026 (Sunday 1st): weeks 2-8, 9-15, 16-22; day 0 and days
     * 22-27 are partial. */
    p = period(2026, 2);
    staff_t t;
    staff_init(&t, 2, "HIT");
    staff_session(&t, 0, 600, 'I'); /* Sun 1st: not counted */
    staff_session(&t, 1, 60, 'I');  /* Mon 2nd */
    staff_session(&t, 8, 60, 'I');  /* Mon 9th */
    staff_session(&t, 21, 60, 'I'); /* Sun 22nd */
    d = derive_ok(&t, &p);
    CHECK_EQ_INT(d.full_weeks, 3);
    CHECK(d.weekly_supervision_met);
    t.sess[3].day = 22; /* Mon 23rd: the partial week */
    d = derive_ok(&t, &p);
    CHECK(!d.weekly_supervision_met);

    /* February 2024, leap year: day 28 is the 29th and is in the period. */
    p = period(2024, 2);
    staff_t u;
    staff_init(&u, 3, "LIQ");
    staff_session(&u, 28, 60, 'I');
    d = derive_ok(&u, &p);
    CHECK_EQ_INT(d.full_weeks, 3);
    u.sess[0].day = 29;
    iapt_wf_derived_t e;
    CHECK_EQ_INT(iapt_wf_derive_staff(&u.rec, &p, &e), IAPT_EFORMAT);
}

/* ---------------------------------------------------------------------------
 * In post, starters, leavers, training
 * ------------------------------------------------------------------------ */

static void
test_start_first_and_second_day(void)
{
    iapt_period_t p = period(2025, 9);
    staff_t s;
    staff_init(&s, 1, "LIQ");
    staff_weekly(&s, &p, 60, 'I');
    s.rec.post_start_day = 0; /* 1 September */
    iapt_wf_derived_t d = derive_ok(&s, &p);
    CHECK(d.starter);
    CHECK(d.in_post_end);
    CHECK(d.in_post_all);
    CHECK(d.supervision_eligible);
    CHECK(d.weekly_supervision_met);

    s.rec.post_start_day = 1; /* 2 September */
    d = derive_ok(&s, &p);
    CHECK(d.starter);
    CHECK(d.in_post_end);
    CHECK(!d.in_post_all);
    CHECK(!d.supervision_eligible);
    CHECK(!d.weekly_supervision_met);

    s.rec.post_start_day = -1; /* 31 August: not a starter */
    d = derive_ok(&s, &p);
    CHECK(!d.starter);
    CHECK(d.in_post_all);

    s.rec.post_start_day = 29; /* the last day */
    d = derive_ok(&s, &p);
    CHECK(d.starter);
    CHECK(d.in_post_end);

    s.rec.post_start_day = 30; /* 1 October: not yet in post */
    d = derive_ok(&s, &p);
    CHECK(!d.starter);
    CHECK(!d.in_post_end);
    CHECK(!d.in_post_all);
}

static void
test_leave_last_day_and_day_before(void)
{
    iapt_period_t p = period(2025, 9);
    staff_t s;
    staff_init(&s, 1, "LIQ");
    staff_weekly(&s, &p, 60, 'I');
    s.rec.has_post_end_day = 1;
    s.rec.post_end_day = 29; /* 30 September, the last day: still in post at the end */
    iapt_wf_derived_t d = derive_ok(&s, &p);
    CHECK(d.leaver);
    CHECK(d.in_post_end);
    CHECK(d.in_post_all);
    CHECK(d.supervision_eligible);
    CHECK(d.weekly_supervision_met);

    s.rec.post_end_day = 28; /* 29 September: gone before the end */
    d = derive_ok(&s, &p);
    CHECK(d.leaver);
    CHECK(!d.in_post_end);
    CHECK(!d.in_post_all);
    CHECK(!d.supervision_eligible);

    s.rec.post_end_day = 30; /* 1 October: not a leaver of September */
    d = derive_ok(&s, &p);
    CHECK(!d.leaver);
    CHECK(d.in_post_end);

    s.rec.post_end_day = 0; /* left on the first day */
    d = derive_ok(&s, &p);
    CHECK(d.leaver);
    CHECK(!d.in_post_end);

    /* An end before the start (a finding at the node, kept as written):
     * the definitions apply as they stand. */
    s.rec.post_start_day = 10;
    s.rec.post_end_day = 5;
    d = derive_ok(&s, &p);
    CHECK(d.starter);
    CHECK(d.leaver);
    CHECK(!d.in_post_end);
}

static void
test_training_completed(void)
{
    iapt_period_t p = period(2025, 9);
    staff_t s;
    staff_init(&s, 1, "LIT");
    s.rec.has_training_start_day = 1;
    s.rec.training_start_day = -300;
    CHECK(!derive_ok(&s, &p).training_completed);
    s.rec.has_training_completed_day = 1;
    s.rec.training_completed_day = 0;
    CHECK(derive_ok(&s, &p).training_completed);
    s.rec.training_completed_day = 29;
    CHECK(derive_ok(&s, &p).training_completed);
    s.rec.training_completed_day = -1;
    CHECK(!derive_ok(&s, &p).training_completed);
    s.rec.training_completed_day = 30;
    CHECK(!derive_ok(&s, &p).training_completed);
}

/* ---------------------------------------------------------------------------
 * Supervisors
 * ------------------------------------------------------------------------ */

/* Feed every record; return finish's result. */
static int
account(staff_t *staff, size_t n, const iapt_period_t *p, iapt_wf_supervision_counts_t *out)
{
    iapt_wf_supervisors_t *s = NULL;
    CHECK_EQ_INT(iapt_wf_supervisors_new(&s), 0);
    for (size_t i = 0; i < n; i++) {
        iapt_wf_derived_t d = derive_ok(&staff[i], p);
        CHECK_EQ_INT(iapt_wf_supervisors_add(s, &d), 0);
    }
    int rc = iapt_wf_supervisors_finish(s, out);
    iapt_wf_supervisors_free(s);
    return rc;
}

static void
test_five_and_six_trainees(void)
{
    iapt_period_t p = period(2025, 9);
    staff_t staff[20];
    size_t n = 0;
    staff_init(&staff[n++], 100, "SUP"); /* A */
    staff_init(&staff[n++], 101, "HIQ"); /* B */
    for (uint8_t i = 0; i < 5; i++) {    /* five trainees of A */
        staff_init(&staff[n], (uint8_t)(1 + i), i % 2 ? "LIT" : "HIT");
        staff_supervisor(&staff[n++], 100);
    }
    for (uint8_t i = 0; i < 6; i++) { /* six trainees of B */
        staff_init(&staff[n], (uint8_t)(10 + i), i % 2 ? "CWT" : "LIT");
        staff_supervisor(&staff[n++], 101);
    }
    iapt_wf_supervision_counts_t c;
    CHECK_EQ_INT(account(staff, n, &p, &c), 0);
    CHECK_EQ_INT(c.supervisors, 2);
    CHECK_EQ_INT(c.trainees_supervised, 11);
    CHECK_EQ_INT(c.supervisors_over_five, 1); /* B only: five is allowed */
    CHECK_EQ_INT(c.trainees_unsupervised, 0);

    /* B's sixth trainee left on the 29th: B is back to five. */
    staff[n - 1].rec.has_post_end_day = 1;
    staff[n - 1].rec.post_end_day = 28;
    CHECK_EQ_INT(account(staff, n, &p, &c), 0);
    CHECK_EQ_INT(c.supervisors, 2);
    CHECK_EQ_INT(c.trainees_supervised, 10);
    CHECK_EQ_INT(c.supervisors_over_five, 0);

    /* A qualified member naming a supervisor is not a trainee. */
    staff_init(&staff[n], 50, "LIQ");
    staff_supervisor(&staff[n++], 101);
    CHECK_EQ_INT(account(staff, n, &p, &c), 0);
    CHECK_EQ_INT(c.trainees_supervised, 10);
    CHECK_EQ_INT(c.supervisors_over_five, 0);

    /* Its mean: 10 trainees over 2 supervisors. */
    uint64_t cells[IAPT_WF_C_COUNT] = {0};
    iapt_wf_add_supervision(cells, &c);
    iapt_wf_value_t v;
    iapt_wf_value(iapt_wf_rule_find("W031"), cells, &v);
    char out[IAPT_WF_TEXT_MAX];
    iapt_wf_format(&v, true, out);
    CHECK_EQ_STR(out, "5.0");
    iapt_wf_format(&v, false, out);
    CHECK_EQ_STR(out, "*"); /* two supervisors: under 5 */
}

static void
test_trainee_without_valid_supervisor(void)
{
    iapt_period_t p = period(2025, 9);
    staff_t staff[4];
    staff_init(&staff[0], 100, "SUP");
    staff_init(&staff[1], 1, "LIT"); /* no supervisor (missing or invalid at the node) */
    staff_init(&staff[2], 2, "HIT");
    staff_supervisor(&staff[2], 100);
    staff_init(&staff[3], 3, "CWT"); /* no supervisor, but not in post at the end */
    staff[3].rec.has_post_end_day = 1;
    staff[3].rec.post_end_day = 10;
    iapt_wf_supervision_counts_t c;
    CHECK_EQ_INT(account(staff, 4, &p, &c), 0);
    CHECK_EQ_INT(c.supervisors, 1);
    CHECK_EQ_INT(c.trainees_supervised, 1);
    CHECK_EQ_INT(c.trainees_unsupervised, 1);
    CHECK_EQ_INT(c.supervisors_over_five, 0);

    /* A supervisor pseudonym that names no staff record breaks the
     * record schema's promise: refused. */
    staff_supervisor(&staff[1], 77);
    CHECK_EQ_INT(account(staff, 4, &p, &c), IAPT_EFORMAT);
    CHECK(strstr(iapt_error_detail(), "supervisor_id") != NULL);

    /* Two records with one pseudonym: refused. */
    staff_init(&staff[1], 2, "LIQ");
    CHECK_EQ_INT(account(staff, 4, &p, &c), IAPT_EFORMAT);
    CHECK(strstr(iapt_error_detail(), "staff_id") != NULL);
}

/* ---------------------------------------------------------------------------
 * Untrusted records
 * ------------------------------------------------------------------------ */

/* The record is refused and the detail starts with `field`. */
static void
refused(const staff_t *s, const iapt_period_t *p, const char *field, int line)
{
    iapt_wf_derived_t d;
    iapt_error_clear();
    int rc = iapt_wf_derive_staff(&s->rec, p, &d);
    if (rc != IAPT_EFORMAT || strncmp(iapt_error_detail(), field, strlen(field)) != 0) {
        fprintf(stderr, "line %d: rc %d, detail \"%s\", expected %s\n", line, rc,
                iapt_error_detail(), field);
        t_failed_checks++;
    }
}

static void
test_bad_records_refused(void)
{
    iapt_period_t p = period(2025, 9);
    staff_t s;
#define BAD(setup, field)                                                                          \
    do {                                                                                           \
        staff_init(&s, 1, "LIT");                                                                  \
        staff_session(&s, 3, 60, 'I');                                                             \
        setup;                                                                                     \
        refused(&s, &p, field, __LINE__);                                                          \
    } while (0)
    BAD(s.rec.staff_id.len = 15, "staff_id");
    BAD(s.rec.staff_id.data = NULL, "staff_id");
    BAD(s.rec.role = "lit", "role");
    BAD(s.rec.role = NULL, "role");
    BAD(s.rec.band = "10", "band");
    BAD(s.rec.band = "8A", "band");
    BAD(s.rec.wte_x100 = 0, "wte_x100");
    BAD(s.rec.wte_x100 = 101, "wte_x100");
    BAD(s.rec.post_start_day = -40000, "post_start_day");
    BAD((s.rec.has_post_end_day = 1, s.rec.post_end_day = 40000), "post_end_day");
    BAD(s.rec.profession = "DOC", "profession");
    BAD((s.rec.has_training_start_day = 1, s.rec.training_start_day = 36526), "training_start_day");
    BAD((s.rec.has_training_completed_day = 1, s.rec.training_completed_day = -36526),
        "training_completed_day");
    BAD(s.rec.accredited = "y", "accredited");
    BAD((staff_supervisor(&s, 9), s.rec.supervisor_id.len = 17), "supervisor_id");
    BAD(s.sess[0].day = -1, "sessions[0].day");
    BAD(s.sess[0].day = 30, "sessions[0].day");
    BAD(s.sess[0].minutes = 0, "sessions[0].minutes");
    BAD(s.sess[0].minutes = 601, "sessions[0].minutes");
    BAD(s.sess[0].type = "X", "sessions[0].type");
    BAD(s.sess[0].type = "IG", "sessions[0].type");
    BAD(s.sess[0].type = NULL, "sessions[0].type");
    BAD(s.ptr[0] = NULL, "sessions[0]");
    BAD(staff_session(&s, 2, 60, 'I'), "sessions[1].day");
#undef BAD
    /* The edges that are allowed. */
    staff_init(&s, 1, "LIT");
    s.rec.band = "8d";
    s.rec.profession = "?";
    s.rec.accredited = "N";
    s.rec.wte_x100 = 1;
    staff_session(&s, 0, 1, 'C');
    staff_session(&s, 0, 600, 'G');
    staff_session(&s, 29, 600, 'I');
    iapt_wf_derived_t d = derive_ok(&s, &p);
    CHECK_EQ_INT(d.level[IAPT_WF_BREAKDOWN_BAND], 9);
    CHECK_EQ_INT(d.level[IAPT_WF_BREAKDOWN_PROFESSION], 9); /* Unknown */
    CHECK_EQ_INT(d.level[IAPT_WF_BREAKDOWN_ROLE], IAPT_WF_ROLE_LIT);
}

static void
test_records_and_vacancies(void)
{
    iapt_period_t p = period(2025, 9);
    /* A WfRecord survives packing and unpacking, and derives. */
    staff_t s;
    staff_init(&s, 7, "HIQ");
    s.rec.band = "7";
    s.rec.profession = "CLP";
    staff_weekly(&s, &p, 60, 'I');
    Iapt__WfRecord r = IAPT__WF_RECORD__INIT;
    r.kind_case = IAPT__WF_RECORD__KIND_STAFF;
    r.staff = &s.rec;
    uint8_t buf[1024];
    size_t len = iapt__wf_record__get_packed_size(&r);
    CHECK(len < sizeof buf);
    iapt__wf_record__pack(&r, buf);
    Iapt__WfRecord *back = iapt__wf_record__unpack(NULL, len, buf);
    CHECK(back != NULL);
    iapt_wf_item_t item;
    if (back) {
        CHECK_EQ_INT(iapt_wf_derive(back, &p, &item), 0);
        CHECK(item.is_staff);
        CHECK(item.staff.weekly_supervision_met);
        CHECK_EQ_INT(item.staff.level[IAPT_WF_BREAKDOWN_BAND], 5);
        CHECK_EQ_INT(item.staff.level[IAPT_WF_BREAKDOWN_PROFESSION], 1);
        CHECK_EQ_MEM(item.staff.staff_id, s.id, IAPT_WF_ID_LEN);
        iapt__wf_record__free_unpacked(back, NULL);
    }

    Iapt__WfVacancyRecord v = IAPT__WF_VACANCY_RECORD__INIT;
    v.role = "HIT";
    v.wte_x100 = 60;
    r.kind_case = IAPT__WF_RECORD__KIND_VACANCY;
    r.vacancy = &v;
    CHECK_EQ_INT(iapt_wf_derive(&r, &p, &item), 0);
    CHECK(!item.is_staff);
    CHECK_EQ_INT(item.vacancy.role, IAPT_WF_ROLE_HIT);
    CHECK_EQ_INT(item.vacancy.wte_x100, 60);
    CHECK_EQ_INT(item.vacancy.level[IAPT_WF_BREAKDOWN_BAND], 11); /* Unknown */
    v.band = "?";
    CHECK_EQ_INT(iapt_wf_derive(&r, &p, &item), 0);
    v.band = "1";
    CHECK_EQ_INT(iapt_wf_derive(&r, &p, &item), IAPT_EFORMAT);
    v.band = NULL;
    v.wte_x100 = 0;
    CHECK_EQ_INT(iapt_wf_derive(&r, &p, &item), IAPT_EFORMAT);
    CHECK(strstr(iapt_error_detail(), "wte_x100") != NULL);
    v.wte_x100 = 10;
    v.role = "XXX";
    CHECK_EQ_INT(iapt_wf_derive(&r, &p, &item), IAPT_EFORMAT);

    r.kind_case = IAPT__WF_RECORD__KIND__NOT_SET;
    CHECK_EQ_INT(iapt_wf_derive(&r, &p, &item), IAPT_EFORMAT);
}

/* ---------------------------------------------------------------------------
 * Counters, catalogue, formatting
 * ------------------------------------------------------------------------ */

static void
format_rule(const char *id, const uint64_t *c, bool exact, char out[IAPT_WF_TEXT_MAX])
{
    const iapt_wf_rule_t *r = iapt_wf_rule_find(id);
    CHECK(r != NULL);
    out[0] = 0;
    if (!r)
        return;
    iapt_wf_value_t v;
    iapt_wf_value(r, c, &v);
    iapt_wf_format(&v, exact, out);
}

#define CHECK_FMT(id, c, exact, want)                                                              \
    do {                                                                                           \
        char t_out[IAPT_WF_TEXT_MAX];                                                              \
        format_rule(id, c, exact, t_out);                                                          \
        CHECK_EQ_STR(t_out, want);                                                                 \
    } while (0)

static void
test_counters_of_a_small_service(void)
{
    /* September 2025. Worked by hand:
     *   1 HIQ  1.00 in post all period, supervised 60 I weekly: eligible, met
     *   2 LIQ  0.49 in post all period, supervised: clinical, not eligible
     *   3 LIT  0.80 started day 3, supervisor 6, completes training day 20
     *   4 HIT  0.60 left day 28 (29 Sept): a leaver, not in post at the end
     *   5 OTH  0.50 in post: not clinical
     *   6 SUP  1.00 in post: not clinical
     * In post at end: 1 2 3 5 6 -> W001 5, W002 1.00+0.49+0.80+0.50+1.00 = 3.79
     * Clinical in post: 1 2 3 -> W003 3, W004 2.29; trainees in post: 3 -> W005 1
     * W006 1 (3), W007 1 (3), W008 1 (4); eligible: 1 and 4? 4 left: no -> 1
     * W021 1. Vacancies: HIT 1.00, LIQ 0.21 -> W010 1.21,
     * W011 = 121 / (121 + 379) = 24.2 %. */
    iapt_period_t p = period(2025, 9);
    staff_t s[6];
    staff_init(&s[0], 1, "HIQ");
    staff_weekly(&s[0], &p, 60, 'I');
    staff_init(&s[1], 2, "LIQ");
    s[1].rec.wte_x100 = 49;
    staff_weekly(&s[1], &p, 60, 'I');
    staff_init(&s[2], 3, "LIT");
    s[2].rec.wte_x100 = 80;
    s[2].rec.post_start_day = 3;
    s[2].rec.has_training_completed_day = 1;
    s[2].rec.training_completed_day = 20;
    staff_supervisor(&s[2], 6);
    staff_init(&s[3], 4, "HIT");
    s[3].rec.wte_x100 = 60;
    s[3].rec.has_post_end_day = 1;
    s[3].rec.post_end_day = 28;
    staff_init(&s[4], 5, "OTH");
    s[4].rec.wte_x100 = 50;
    staff_init(&s[5], 6, "SUP");

    uint64_t c[IAPT_WF_C_COUNT] = {0};
    uint64_t role_lit[IAPT_WF_C_COUNT] = {0};
    iapt_wf_supervisors_t *acc = NULL;
    CHECK_EQ_INT(iapt_wf_supervisors_new(&acc), 0);
    for (int i = 0; i < 6; i++) {
        iapt_wf_derived_t d = derive_ok(&s[i], &p);
        iapt_wf_add_staff(c, &d);
        if (d.level[IAPT_WF_BREAKDOWN_ROLE] == IAPT_WF_ROLE_LIT)
            iapt_wf_add_staff(role_lit, &d);
        CHECK_EQ_INT(iapt_wf_supervisors_add(acc, &d), 0);
    }
    iapt_wf_supervision_counts_t sc;
    CHECK_EQ_INT(iapt_wf_supervisors_finish(acc, &sc), 0);
    iapt_wf_supervisors_free(acc);
    iapt_wf_add_supervision(c, &sc);
    iapt_wf_vacancy_t v1 = {.role = IAPT_WF_ROLE_HIT, .wte_x100 = 100};
    iapt_wf_vacancy_t v2 = {.role = IAPT_WF_ROLE_LIQ, .wte_x100 = 21};
    iapt_wf_add_vacancy(c, &v1);
    iapt_wf_add_vacancy(c, &v2);

    CHECK_FMT("W001", c, true, "5");
    CHECK_FMT("W002", c, true, "3.79");
    CHECK_FMT("W003", c, true, "3");
    CHECK_FMT("W004", c, true, "2.29");
    CHECK_FMT("W005", c, true, "1");
    CHECK_FMT("W006", c, true, "1");
    CHECK_FMT("W007", c, true, "1");
    CHECK_FMT("W008", c, true, "1");
    CHECK_FMT("W010", c, true, "1.21");
    CHECK_FMT("W011", c, true, "24.2");
    CHECK_FMT("W020", c, true, "1");
    CHECK_FMT("W021", c, true, "1");
    CHECK_FMT("W022", c, true, "100.0");
    CHECK_FMT("W030", c, true, "1");
    CHECK_FMT("W031", c, true, "1.0");
    CHECK_FMT("W032", c, true, "0");
    CHECK_FMT("W033", c, true, "0");
    CHECK_FMT("W040", c, true, ""); /* no provider joined: empty */
    CHECK_FMT("W041", c, true, "");

    /* Below England: W001 5 -> 5; W002 headcount 5 -> 3.79 to one decimal
     * 3.8; W004 headcount 3 -> *; W010 headcount 2 -> *; W011 * (2 vacancies). */
    CHECK_FMT("W001", c, false, "5");
    CHECK_FMT("W002", c, false, "3.8");
    CHECK_FMT("W003", c, false, "*");
    CHECK_FMT("W004", c, false, "*");
    CHECK_FMT("W010", c, false, "*");
    CHECK_FMT("W011", c, false, "*");
    CHECK_FMT("W040", c, false, ""); /* no provider joined: empty at every level */

    /* The LIT level of the role breakdown: member 3 only. */
    CHECK_FMT("W001", role_lit, true, "1");
    CHECK_FMT("W002", role_lit, true, "0.80");
    CHECK_FMT("W006", role_lit, true, "1");
    CHECK_FMT("W007", role_lit, true, "1");
    CHECK_FMT("W008", role_lit, true, "0");

    /* The join: this provider also submitted the adult month with M082
     * 1234 appointments and M031 87 entering treatment: per clinical WTE
     * 1234 / 2.29 = 538.86... -> 538.9, 87 / 2.29 = 37.99... -> 38.0. */
    iapt_wf_add_join(c, 1234, 87, c);
    CHECK_FMT("W040", c, true, "538.9");
    CHECK_FMT("W041", c, true, "38.0");
    CHECK_FMT("W040", c, false, "*"); /* 3 clinical staff: under 5 */
    CHECK_EQ_INT(c[IAPT_WF_C_JOIN_PROVIDERS], 1);

    /* A joined provider without clinical WTE: nothing to divide by at
     * England, suppressed below. */
    uint64_t none[IAPT_WF_C_COUNT] = {0}, g[IAPT_WF_C_COUNT] = {0};
    iapt_wf_add_join(g, 40, 7, none);
    CHECK_FMT("W040", g, true, "");
    CHECK_FMT("W040", g, false, "*");
}

static void
test_format_rounding(void)
{
    iapt_wf_value_t v = {.kind = IAPT_WF_COUNT, .num = 12, .den = 1};
    char out[IAPT_WF_TEXT_MAX];
    iapt_wf_format(&v, false, out);
    CHECK_EQ_STR(out, "10"); /* 2.4 fives */
    v.num = 13;
    iapt_wf_format(&v, false, out);
    CHECK_EQ_STR(out, "15"); /* 2.6 */
    v.num = 7;               /* 1.4 */
    iapt_wf_format(&v, false, out);
    CHECK_EQ_STR(out, "5");
    v.num = 4;
    iapt_wf_format(&v, false, out);
    CHECK_EQ_STR(out, "*");
    iapt_wf_format(&v, true, out);
    CHECK_EQ_STR(out, "4");
    v.num = 0;
    iapt_wf_format(&v, false, out);
    CHECK_EQ_STR(out, "*");

    /* WTE 123.45 with 5 heads: England 123.45, below 123.5 (half up);
     * 123.44 -> 123.4; 0.05 -> 0.1; 4 heads -> *. */
    v = (iapt_wf_value_t){.kind = IAPT_WF_WTE, .num = 12345, .den = 1, .num_head = 5};
    iapt_wf_format(&v, true, out);
    CHECK_EQ_STR(out, "123.45");
    iapt_wf_format(&v, false, out);
    CHECK_EQ_STR(out, "123.5");
    v.num = 12344;
    iapt_wf_format(&v, false, out);
    CHECK_EQ_STR(out, "123.4");
    v.num = 5;
    iapt_wf_format(&v, false, out);
    CHECK_EQ_STR(out, "0.1");
    iapt_wf_format(&v, true, out);
    CHECK_EQ_STR(out, "0.05");
    v.num_head = 4;
    iapt_wf_format(&v, false, out);
    CHECK_EQ_STR(out, "*");

    /* Percentages: 2 / 3 = 66.666..: England 66.7, below 67; 1 / 8 =
     * 12.5: below 13 (half up), but a numerator headcount under 5 is *. */
    v = (iapt_wf_value_t){
        .kind = IAPT_WF_PERCENT, .num = 10, .den = 15, .num_head = 10, .den_head = 15};
    iapt_wf_format(&v, true, out);
    CHECK_EQ_STR(out, "66.7");
    iapt_wf_format(&v, false, out);
    CHECK_EQ_STR(out, "67");
    v = (iapt_wf_value_t){
        .kind = IAPT_WF_PERCENT, .num = 5, .den = 40, .num_head = 5, .den_head = 40};
    iapt_wf_format(&v, false, out);
    CHECK_EQ_STR(out, "13");
    v.num_head = 4;
    iapt_wf_format(&v, false, out);
    CHECK_EQ_STR(out, "*");
    v = (iapt_wf_value_t){.kind = IAPT_WF_PERCENT, .num = 0, .den = 0};
    iapt_wf_format(&v, true, out);
    CHECK_EQ_STR(out, "");

    /* Ratio per WTE: 100 appointments over 0.30 WTE = 333.33.. -> 333.3;
     * over 0.08 WTE = 1250.0. */
    v = (iapt_wf_value_t){
        .kind = IAPT_WF_RATIO, .num = 100, .den = 30, .num_head = 100, .den_head = 5};
    iapt_wf_format(&v, false, out);
    CHECK_EQ_STR(out, "333.3");
    v.den = 8;
    iapt_wf_format(&v, true, out);
    CHECK_EQ_STR(out, "1250.0");

    /* Mean: 11 / 2 = 5.5; 2 / 3 = 0.666.. -> 0.7. */
    v = (iapt_wf_value_t){.kind = IAPT_WF_MEAN, .num = 11, .den = 2};
    iapt_wf_format(&v, true, out);
    CHECK_EQ_STR(out, "5.5");
    v = (iapt_wf_value_t){.kind = IAPT_WF_MEAN, .num = 2, .den = 3};
    iapt_wf_format(&v, true, out);
    CHECK_EQ_STR(out, "0.7");
}

static void
test_catalogue_and_breakdowns(void)
{
    static const char *const ids[] = {"W001", "W002", "W003", "W004", "W005", "W006", "W007",
                                      "W008", "W010", "W011", "W020", "W021", "W022", "W030",
                                      "W031", "W032", "W033", "W040", "W041"};
    static const char *const names[] = {"Count_StaffInPost",
                                        "WTE_StaffInPost",
                                        "Count_ClinicalInPost",
                                        "WTE_ClinicalInPost",
                                        "Count_TraineesInPost",
                                        "Count_TrainingCompleted",
                                        "Count_Starters",
                                        "Count_Leavers",
                                        "WTE_Vacant",
                                        "Percentage_VacancyRate",
                                        "Count_SupervisionEligible",
                                        "Count_WeeklySupervisionMet",
                                        "Percentage_WeeklySupervisionMet",
                                        "Count_Supervisors",
                                        "Mean_TraineesPerSupervisor",
                                        "Count_SupervisorsOverFive",
                                        "Count_TraineesWithoutSupervisor",
                                        "Ratio_AppointmentsPerClinicalWTE",
                                        "Ratio_EnteredTreatmentPerClinicalWTE"};
    size_t n = 0;
    const iapt_wf_rule_t *r = iapt_wf_rules(&n);
    CHECK_EQ_INT(n, 19);
    for (size_t i = 0; i < n && i < 19; i++) {
        CHECK_EQ_STR(r[i].id, ids[i]);
        CHECK_EQ_STR(r[i].name, names[i]);
        CHECK(r[i].breakdowns & IAPT_WF_IN_BREAKDOWN(IAPT_WF_BREAKDOWN_NONE));
        bool staff_measure = i < 8;
        for (int b = 1; b < IAPT_WF_BREAKDOWN_COUNT; b++)
            CHECK(!!(r[i].breakdowns & IAPT_WF_IN_BREAKDOWN(b)) == staff_measure);
        /* The name's prefix says the kind. */
        enum iapt_wf_kind k = strncmp(names[i], "Count_", 6) == 0         ? IAPT_WF_COUNT
                              : strncmp(names[i], "WTE_", 4) == 0         ? IAPT_WF_WTE
                              : strncmp(names[i], "Percentage_", 11) == 0 ? IAPT_WF_PERCENT
                              : strncmp(names[i], "Mean_", 5) == 0        ? IAPT_WF_MEAN
                                                                          : IAPT_WF_RATIO;
        CHECK_EQ_INT(r[i].kind, k);
        CHECK(r[i].num >= 0 && r[i].num < IAPT_WF_C_COUNT);
        CHECK(r[i].num_head >= 0 && r[i].num_head < IAPT_WF_C_COUNT);
    }
    CHECK(iapt_wf_rule_find("W009") == NULL);
    size_t nh = 0;
    const char *const *head = iapt_wf_headline(&nh);
    CHECK(nh > 0);
    for (size_t i = 0; i < nh; i++)
        CHECK(iapt_wf_rule_find(head[i]) != NULL);

    const iapt_wf_breakdown_def_t *b = iapt_wf_breakdown_def(IAPT_WF_BREAKDOWN_ROLE);
    CHECK_EQ_INT(b->n_levels, 11);
    CHECK_EQ_STR(b->levels[0], "LIT");
    CHECK_EQ_STR(b->levels[10], "OTH");
    b = iapt_wf_breakdown_def(IAPT_WF_BREAKDOWN_BAND);
    CHECK_EQ_INT(b->n_levels, 12);
    CHECK_EQ_STR(b->levels[6], "8a");
    CHECK_EQ_STR(b->title, "AfC band");
    CHECK_EQ_STR(b->levels[11], "Unknown");
    b = iapt_wf_breakdown_def(IAPT_WF_BREAKDOWN_PROFESSION);
    CHECK_EQ_INT(b->n_levels, 10);
    CHECK_EQ_STR(b->levels[9], "Unknown");
    CHECK(iapt_wf_breakdown_def(IAPT_WF_BREAKDOWN_COUNT) == NULL);
    CHECK_EQ_INT(iapt_wf_breakdown_find("profession"), IAPT_WF_BREAKDOWN_PROFESSION);
    CHECK_EQ_INT(iapt_wf_breakdown_find("age"), -1);
    CHECK_EQ_INT(iapt_wf_band_level(NULL), 11);
    CHECK_EQ_INT(iapt_wf_band_level("?"), 11);
    CHECK_EQ_INT(iapt_wf_band_level("2"), 0);
    CHECK_EQ_INT(iapt_wf_band_level("9"), 10);
    CHECK_EQ_INT(iapt_wf_profession_level("OTH"), 8);
    CHECK_EQ_INT(iapt_wf_profession_level("Unknown"), 9); /* not a code */
    CHECK(!iapt_wf_band_valid("Unknown"));

    /* Role groups of WORKFORCE.md. */
    const char *clinical = "LIT LIQ HIT HIQ CNS CWT CWQ", *trainee = "LIT HIT CWT",
               *low = "LIT LIQ CWT CWQ";
    for (int role = 0; role < IAPT_WF_ROLE_COUNT; role++) {
        const char *code = iapt_wf_role_code(role);
        CHECK_EQ_INT(iapt_wf_role_find(code), role);
        char pad[8];
        snprintf(pad, sizeof pad, "%s", code);
        bool in_c = false, in_t = false, in_l = false;
        for (const char *q = clinical; (q = strstr(q, pad)) != NULL; q++)
            in_c = true;
        for (const char *q = trainee; (q = strstr(q, pad)) != NULL; q++)
            in_t = true;
        for (const char *q = low; (q = strstr(q, pad)) != NULL; q++)
            in_l = true;
        CHECK_EQ_INT(iapt_wf_role_clinical(role), in_c);
        CHECK_EQ_INT(iapt_wf_role_trainee(role), in_t);
        CHECK_EQ_INT(iapt_wf_role_low_intensity(role), in_l);
    }
    CHECK(iapt_wf_role_code(IAPT_WF_ROLE_COUNT) == NULL);
    for (int c = 0; c < IAPT_WF_C_COUNT; c++)
        CHECK(iapt_wf_counter_name(c) != NULL);
}

TEST_MAIN(test_full_weeks, test_sixty_and_fifty_nine_minutes,
          test_group_one_twenty_and_one_eighteen, test_case_management_low_intensity_only,
          test_wte_half_and_forty_nine, test_non_clinical_not_eligible,
          test_week_crossing_period_edges, test_month_starting_on_monday, test_february,
          test_start_first_and_second_day, test_leave_last_day_and_day_before,
          test_training_completed, test_five_and_six_trainees,
          test_trainee_without_valid_supervisor, test_bad_records_refused,
          test_records_and_vacancies, test_counters_of_a_small_service, test_format_rounding,
          test_catalogue_and_breakdowns)
