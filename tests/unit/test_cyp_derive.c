/* test_cyp_derive.c - hand-worked cases on either side of every threshold of
 * docs/CYP.md: caseness, reliable change (2.45 goals), face to face, one and
 * two attended contacts, equal-date scores, 28/29-day waits, 126/127 days,
 * ignored scores, goal movement over 1-3 goals, recovery, breakdown levels,
 * age bands; the record checks. Records and tool table: cyp_fixture.h. */

#include "common/collections/cyp/cyp_derive.h"
#include "common/collections/cyp/cyp_measures.h"
#include "common/date.h"
#include "common/err.h"

#include "tests/unit/cyp_fixture.h"

/* The series of (tool, goal number), or NULL. */
static const iapt_cyp_series_t *
t_series(const iapt_cyp_derived_t *d, int tool, unsigned goal)
{
    for (int i = 0; i < d->n_series; i++)
        if (d->series[i].tool == tool && d->series[i].goal_number == goal)
            return &d->series[i];
    return NULL;
}

/* One LOW series first -> last on a treated referral. */
static iapt_cyp_derived_t
t_low_pair(int32_t first, int32_t last)
{
    t_rec_t r;
    t_treated(&r);
    t_score(&r, "LOW", first, -1, 0);
    t_score(&r, "LOW", last, 15, 0);
    return t_derive(&r);
}

static iapt_cyp_derived_t
t_high_pair(int32_t first, int32_t last)
{
    t_rec_t r;
    t_treated(&r);
    t_score(&r, "HIGH", first, 1, 0);
    t_score(&r, "HIGH", last, 15, 0);
    return t_derive(&r);
}

static iapt_cyp_derived_t
t_goal_pair(int32_t first, int32_t last)
{
    t_rec_t r;
    t_treated(&r);
    t_score(&r, "GOAL", first, 1, 1);
    t_score(&r, "GOAL", last, 15, 1);
    return t_derive(&r);
}

/* --------------------------------------------------------------------- */

static void
test_caseness_better_lower(void)
{
    /* caseness 20: 20.00 at, 20.01 at (over), 19.99 not (under). */
    iapt_cyp_derived_t d = t_low_pair(2000, 1000);
    CHECK(t_series(&d, T_LOW, 0)->at_caseness);
    CHECK(d.outcome_eligible);
    d = t_low_pair(2001, 1000);
    CHECK(t_series(&d, T_LOW, 0)->at_caseness);
    d = t_low_pair(1999, 1000);
    CHECK(!t_series(&d, T_LOW, 0)->at_caseness);
    CHECK(!t_series(&d, T_LOW, 0)->eligible);
    CHECK(!d.outcome_eligible); /* its only paired series is not at caseness */
    CHECK(d.closed_paired);     /* but it is a paired series (C032) */
}

static void
test_caseness_better_higher(void)
{
    /* caseness 28: 28.00 at, 27.99 at (under is worse), 28.01 not. */
    iapt_cyp_derived_t d = t_high_pair(2800, 3500);
    CHECK(t_series(&d, T_HIGH, 0)->at_caseness);
    d = t_high_pair(2799, 3500);
    CHECK(t_series(&d, T_HIGH, 0)->at_caseness);
    d = t_high_pair(2801, 3500);
    CHECK(!t_series(&d, T_HIGH, 0)->at_caseness);
    CHECK(!d.outcome_eligible);
}

static void
test_reliable_change_lower(void)
{
    /* reliable 5.5: 30 -> 24.5 improves (exactly 5.5), 30 -> 24.51 does not. */
    iapt_cyp_derived_t d = t_low_pair(3000, 2450);
    CHECK(t_series(&d, T_LOW, 0)->improved);
    CHECK(d.measurable_improvement);
    d = t_low_pair(3000, 2451);
    CHECK(!t_series(&d, T_LOW, 0)->improved);
    CHECK(!d.measurable_improvement);
    CHECK(d.outcome_eligible);
    /* 25 -> 30.5 deteriorates, 25 -> 30.49 does not. */
    d = t_low_pair(2500, 3050);
    CHECK(t_series(&d, T_LOW, 0)->deteriorated);
    CHECK(d.deterioration);
    d = t_low_pair(2500, 3049);
    CHECK(!t_series(&d, T_LOW, 0)->deteriorated);
    CHECK(!d.deterioration);
}

static void
test_reliable_change_higher(void)
{
    /* reliable 5: 20 -> 25 improves, 20 -> 24.99 does not; 27 -> 22
     * deteriorates, 27 -> 22.01 does not. */
    iapt_cyp_derived_t d = t_high_pair(2000, 2500);
    CHECK(t_series(&d, T_HIGH, 0)->improved);
    CHECK(!t_series(&d, T_HIGH, 0)->deteriorated);
    d = t_high_pair(2000, 2499);
    CHECK(!t_series(&d, T_HIGH, 0)->improved);
    d = t_high_pair(2700, 2200);
    CHECK(t_series(&d, T_HIGH, 0)->deteriorated);
    CHECK(d.deterioration);
    d = t_high_pair(2700, 2201);
    CHECK(!t_series(&d, T_HIGH, 0)->deteriorated);
}

static void
test_reliable_change_goal_245(void)
{
    /* 1.10 -> 3.55 is 2.45: reliable; 1.10 -> 3.54 is not. */
    iapt_cyp_derived_t d = t_goal_pair(110, 355);
    const iapt_cyp_series_t *g = t_series(&d, T_GOAL, 1);
    CHECK(g && g->improved && g->eligible);
    CHECK(d.outcome_eligible); /* a paired goal series is eligible */
    CHECK(d.measurable_improvement);
    CHECK(!d.recovery_eligible); /* no symptom series at caseness */
    CHECK(!d.recovered);
    CHECK(d.closed_paired_goals);
    CHECK(d.reliable_goal_improvement);
    CHECK_EQ_INT(d.goal_movement_x600, 245 * 6);
    d = t_goal_pair(110, 354);
    g = t_series(&d, T_GOAL, 1);
    CHECK(g && !g->improved);
    CHECK(!d.measurable_improvement);
    CHECK(!d.reliable_goal_improvement);
    CHECK_EQ_INT(d.goal_movement_x600, 244 * 6);
    /* Down by 2.45: deterioration; by 2.44: not. */
    d = t_goal_pair(500, 255);
    CHECK(d.deterioration);
    d = t_goal_pair(500, 256);
    CHECK(!d.deterioration);
}

static void
test_face_to_face(void)
{
    /* Closed, two attended contacts, a paired LOW at caseness. */
    t_rec_t r;
    t_init(&r, -40);
    t_close(&r, 20);
    t_contact(&r, 2, "5", "02");
    t_contact(&r, 9, "6", "11");
    t_contact(&r, 10, "3", "01"); /* face to face but not attended */
    t_score(&r, "LOW", 3000, 2, 0);
    t_score(&r, "LOW", 1000, 9, 0);
    iapt_cyp_derived_t d = t_derive(&r);
    CHECK(!d.face_to_face);
    CHECK(d.closed_two_contacts);
    CHECK(!d.outcome_eligible);
    CHECK(!d.measurable_improvement);
    /* One attended contact face to face is enough. */
    r.c[1].mechanism = "01";
    d = t_derive(&r);
    CHECK(d.face_to_face);
    CHECK(d.outcome_eligible);
    CHECK(d.measurable_improvement);
    CHECK(d.recovered);
    /* "?" (present, invalid) is not face to face. */
    r.c[1].mechanism = "?";
    d = t_derive(&r);
    CHECK(!d.face_to_face);
}

static void
test_one_and_two_attended_contacts(void)
{
    t_rec_t r;
    t_init(&r, -40);
    t_close(&r, 20);
    t_contact(&r, 2, "5", "01");
    t_contact(&r, 4, "2", "01"); /* cancelled by patient */
    t_contact(&r, 5, "4", "01"); /* cancelled by provider */
    t_contact(&r, 6, "7", "01"); /* late and not seen */
    t_contact(&r, 7, "3", "01"); /* did not attend */
    t_score(&r, "LOW", 3000, 2, 0);
    t_score(&r, "LOW", 1000, 7, 0);
    iapt_cyp_derived_t d = t_derive(&r);
    CHECK_EQ_INT(d.attended_contacts, 1);
    CHECK(d.closed_in_period);
    CHECK(!d.closed_two_contacts);
    CHECK(!d.closed_paired);
    CHECK(!d.outcome_eligible);
    CHECK(d.first_contact_in_period);
    CHECK(!d.second_contact_in_period);
    CHECK_EQ_INT(d.second_attended_day, IAPT_CYP_DAY_NONE);
    CHECK_EQ_INT(d.attended_in_period, 1);
    CHECK_EQ_INT(d.dnas_in_period, 1); /* code 3 only: 2, 4, 7 in neither */
    t_contact(&r, 8, "6", "02");       /* late but seen: attended */
    d = t_derive(&r);
    CHECK_EQ_INT(d.attended_contacts, 2);
    CHECK(d.closed_two_contacts);
    CHECK(d.closed_paired);
    CHECK(d.outcome_eligible);
    CHECK(d.second_contact_in_period);
    CHECK_EQ_INT(d.second_attended_day, 8);
    CHECK_EQ_INT(d.attended_in_period, 2);
}

static void
test_contacts_in_and_before_period(void)
{
    /* Open; attended on days -5 and 3, a DNA on day -2 and one on day 0. */
    t_rec_t r;
    t_init(&r, -60);
    t_contact(&r, 3, "5", NULL);
    t_contact(&r, -5, "5", NULL);
    t_contact(&r, -2, "3", NULL);
    t_contact(&r, 0, "3", NULL);
    iapt_cyp_derived_t d = t_derive(&r);
    CHECK_EQ_INT(d.first_attended_day, -5);
    CHECK_EQ_INT(d.second_attended_day, 3);
    CHECK(!d.first_contact_in_period);
    CHECK(d.second_contact_in_period);
    CHECK_EQ_INT(d.attended_contacts, 2);
    CHECK_EQ_INT(d.attended_in_period, 1);
    CHECK_EQ_INT(d.dnas_in_period, 1);
    CHECK(d.open_end);
    CHECK(!d.waiting_first_contact_end);
    CHECK(!d.received_in_period);
    /* Two attended on one day: that day is the second too. */
    t_init(&r, -60);
    t_contact(&r, 4, "5", NULL);
    t_contact(&r, 4, "6", NULL);
    d = t_derive(&r);
    CHECK_EQ_INT(d.first_attended_day, 4);
    CHECK_EQ_INT(d.second_attended_day, 4);
    CHECK(d.first_contact_in_period && d.second_contact_in_period);
}

static void
test_equal_date_scores_in_file_order(void)
{
    /* Three LOW scores on day 5: file order 7 (30), 2 (25) and 9 (10), in
     * that record order. First = file order 2, last = file order 9. */
    t_rec_t r;
    t_treated(&r);
    t_score_at(&r, "LOW", 3000, 5, 0, 7);
    t_score_at(&r, "LOW", 2500, 5, 0, 2);
    t_score_at(&r, "LOW", 1000, 5, 0, 9);
    iapt_cyp_derived_t d = t_derive(&r);
    const iapt_cyp_series_t *s = t_series(&d, T_LOW, 0);
    CHECK(s != NULL);
    if (!s)
        return;
    CHECK_EQ_INT(s->count, 3);
    CHECK_EQ_INT(s->first_x100, 2500);
    CHECK_EQ_INT(s->last_x100, 1000);
    CHECK(s->paired); /* scores of one day pair */
    CHECK(s->improved);
    /* An earlier day beats file order. */
    t_score_at(&r, "LOW", 4000, 4, 0, 99);
    d = t_derive(&r);
    s = t_series(&d, T_LOW, 0);
    CHECK_EQ_INT(s->first_x100, 4000);
}

static void
test_wait_28_and_29_days(void)
{
    t_rec_t r;
    t_init(&r, -10);
    t_contact(&r, 18, "5", NULL);
    iapt_cyp_derived_t d = t_derive(&r);
    CHECK(d.has_wait);
    CHECK_EQ_INT(d.wait, 28);
    CHECK(d.first_contact_in_period);
    CHECK(d.wait_within_4_weeks);
    r.c[0].day = 19;
    d = t_derive(&r);
    CHECK_EQ_INT(d.wait, 29);
    CHECK(!d.wait_within_4_weeks);
    /* A first contact before the referral: a negative wait, used as written. */
    t_init(&r, 5);
    t_contact(&r, 2, "6", NULL);
    d = t_derive(&r);
    CHECK_EQ_INT(d.wait, -3);
    CHECK(d.wait_within_4_weeks);
    /* A first contact before the period: not in C010, not within 4 weeks. */
    t_init(&r, -40);
    t_contact(&r, -30, "5", NULL);
    d = t_derive(&r);
    CHECK(d.has_wait);
    CHECK(!d.first_contact_in_period);
    CHECK(!d.wait_within_4_weeks);
}

static void
test_waiting_126_and_127_days(void)
{
    /* E - referral = 126: not over 18 weeks; 127: over. */
    t_rec_t r;
    t_init(&r, E - 126);
    iapt_cyp_derived_t d = t_derive(&r);
    CHECK(d.open_end);
    CHECK(d.waiting_first_contact_end);
    CHECK(!d.waiting_over_18_weeks_end);
    t_init(&r, E - 127);
    d = t_derive(&r);
    CHECK(d.waiting_first_contact_end);
    CHECK(d.waiting_over_18_weeks_end);
    /* A DNA is not a contact that ends the wait. */
    t_contact(&r, 3, "3", NULL);
    d = t_derive(&r);
    CHECK(d.waiting_over_18_weeks_end);
    /* An attended contact does. */
    t_contact(&r, 4, "5", NULL);
    d = t_derive(&r);
    CHECK(!d.waiting_first_contact_end);
    CHECK(!d.waiting_over_18_weeks_end);
    /* A closed referral is not open. */
    t_init(&r, E - 127);
    t_close(&r, E);
    d = t_derive(&r);
    CHECK(!d.open_end);
    CHECK(!d.waiting_first_contact_end);
    CHECK(!d.waiting_over_18_weeks_end);
    CHECK(d.closed_in_period);
}

static void
test_ignored_scores(void)
{
    t_rec_t r;
    t_treated(&r);                    /* referral day -40, closed day 20 */
    t_score(&r, "LOW", 3000, 2, 1);   /* a symptom score with a goal number */
    t_score(&r, "GOAL", 300, 2, 0);   /* a goal rating without one */
    t_score(&r, "NOPE", 3000, 2, 0);  /* an unknown tool */
    t_score(&r, "low", 3000, 2, 0);   /* codes are exact */
    t_score(&r, "LOW", 10001, 2, 0);  /* out of range */
    t_score(&r, "HIGH", -1, 2, 0);    /* out of range */
    t_score(&r, "LOW", 3000, -41, 0); /* before the referral */
    t_score(&r, "LOW", 3000, 21, 0);  /* after the closure */
    t_score(&r, "LOW", 3000, 5, 0);   /* the one valid score */
    iapt_cyp_derived_t d = t_derive(&r);
    CHECK_EQ_INT(d.scores_ignored, 8);
    CHECK_EQ_INT(d.n_series, 1);
    CHECK(t_series(&d, T_LOW, 0) && t_series(&d, T_LOW, 0)->count == 1);
    CHECK(!d.closed_paired);
    CHECK(!d.outcome_eligible);
    /* The window's two ends are inside it. */
    t_score(&r, "LOW", 2000, -40, 0);
    t_score(&r, "LOW", 1000, 20, 0);
    d = t_derive(&r);
    CHECK_EQ_INT(t_series(&d, T_LOW, 0)->count, 3);
    CHECK_EQ_INT(t_series(&d, T_LOW, 0)->first_x100, 2000);
    CHECK_EQ_INT(t_series(&d, T_LOW, 0)->last_x100, 1000);
    /* Open: the window ends at the period end. */
    t_init(&r, 0);
    t_score(&r, "HIGH", 1000, 0, 0);
    t_score(&r, "HIGH", 1000, E, 0);
    d = t_derive(&r);
    CHECK_EQ_INT(d.scores_ignored, 0);
    CHECK_EQ_INT(t_series(&d, T_HIGH, 0)->count, 2);
}

static void
test_goal_movement_mean(void)
{
    /* Goals 1: 1 -> 4 (+3), 2: 5 -> 4 (-1), 3: 2 -> 2.5 (+0.5): mean 2.5/3
     * = 0.8333 point = 500/600. Not reliable (2.45 = 1470/600). */
    t_rec_t r;
    t_treated(&r);
    t_score(&r, "GOAL", 100, 1, 1);
    t_score(&r, "GOAL", 500, 1, 2);
    t_score(&r, "GOAL", 200, 1, 3);
    t_score(&r, "GOAL", 400, 15, 1);
    t_score(&r, "GOAL", 400, 15, 2);
    t_score(&r, "GOAL", 250, 15, 3);
    iapt_cyp_derived_t d = t_derive(&r);
    CHECK_EQ_INT(d.paired_goal_series, 3);
    CHECK_EQ_INT(d.goal_change_sum_x100, 250);
    CHECK_EQ_INT(d.goal_movement_x600, 500);
    CHECK(d.closed_paired_goals);
    CHECK(!d.reliable_goal_improvement);
    /* Goal 1 alone improved by 3 >= 2.45 (reliable); no series deteriorated
     * (goal 2 fell by 1 < 2.45): a measurable improvement. */
    CHECK(d.measurable_improvement);
    CHECK(!d.deterioration);

    /* Two goals +2.45 and +2.44: mean 2.445 = 1467/600 < 1470/600. */
    t_treated(&r);
    t_score(&r, "GOAL", 110, 1, 1);
    t_score(&r, "GOAL", 355, 15, 1);
    t_score(&r, "GOAL", 200, 1, 2);
    t_score(&r, "GOAL", 444, 15, 2);
    d = t_derive(&r);
    CHECK_EQ_INT(d.goal_movement_x600, 1467);
    CHECK(!d.reliable_goal_improvement);
    r.s[3].value_x100 = 445; /* +2.45 twice: exactly reliable */
    d = t_derive(&r);
    CHECK_EQ_INT(d.goal_movement_x600, 1470);
    CHECK(d.reliable_goal_improvement);

    /* One goal 6 -> 3: -3 points = -1800/600; an unpaired goal 2 does not
     * count in the mean. */
    t_treated(&r);
    t_score(&r, "GOAL", 600, 1, 1);
    t_score(&r, "GOAL", 300, 15, 1);
    t_score(&r, "GOAL", 900, 3, 2);
    d = t_derive(&r);
    CHECK_EQ_INT(d.paired_goal_series, 1);
    CHECK_EQ_INT(d.goal_movement_x600, -1800);
    CHECK(d.deterioration);
    CHECK(!d.reliable_goal_improvement);

    /* Paired goals on a referral not closed: no C050. */
    t_init(&r, -5);
    t_score(&r, "GOAL", 100, 1, 1);
    t_score(&r, "GOAL", 900, 2, 1);
    d = t_derive(&r);
    CHECK_EQ_INT(d.paired_goal_series, 1);
    CHECK(!d.closed_paired_goals);
    CHECK(!d.reliable_goal_improvement);
    /* C050 needs no contacts (of C030 only). */
    t_close(&r, 3);
    d = t_derive(&r);
    CHECK(d.closed_paired_goals);
    CHECK(d.reliable_goal_improvement);
    CHECK(!d.outcome_eligible);
}

static void
test_recovered(void)
{
    /* LOW 30 -> 15 and HIGH 20 -> 29: both at caseness, both end not at
     * caseness (15 < 20, 29 > 28): recovered. */
    t_rec_t r;
    t_treated(&r);
    t_score(&r, "LOW", 3000, 1, 0);
    t_score(&r, "LOW", 1500, 15, 0);
    t_score(&r, "HIGH", 2000, 1, 0);
    t_score(&r, "HIGH", 2900, 15, 0);
    iapt_cyp_derived_t d = t_derive(&r);
    CHECK(d.recovery_eligible);
    CHECK(d.recovered);
    CHECK(d.measurable_improvement);
    /* LOW ends exactly at caseness (20): still a case, not recovered. */
    r.s[1].value_x100 = 2000;
    d = t_derive(&r);
    CHECK(d.recovery_eligible);
    CHECK(!d.recovered);
    CHECK(d.measurable_improvement); /* LOW fell 10 >= 5.5 */
    /* LOW 19.99 but HIGH ends exactly at 28: not recovered either. */
    r.s[1].value_x100 = 1999;
    r.s[3].value_x100 = 2800;
    d = t_derive(&r);
    CHECK(!d.recovered);
    r.s[3].value_x100 = 2801;
    d = t_derive(&r);
    CHECK(d.recovered);
    /* A paired goal series that reliably deteriorated blocks recovery. */
    t_score(&r, "GOAL", 800, 1, 2);
    t_score(&r, "GOAL", 555, 15, 2);
    d = t_derive(&r);
    CHECK(!d.recovered);
    CHECK(d.deterioration);
    CHECK(!d.measurable_improvement);
    /* A deteriorating series not at caseness is no eligible series: it
     * changes no flag. */
    t_treated(&r);
    t_score(&r, "LOW", 3000, 1, 0);
    t_score(&r, "LOW", 1500, 15, 0);
    t_score(&r, "HIGH", 3500, 1, 0);  /* 35 > 28: not at caseness */
    t_score(&r, "HIGH", 2900, 15, 0); /* fell 6 >= 5: deteriorated */
    d = t_derive(&r);
    CHECK(t_series(&d, T_HIGH, 0)->deteriorated);
    CHECK(!t_series(&d, T_HIGH, 0)->eligible);
    CHECK(d.recovered);
    CHECK(!d.deterioration);
    CHECK(d.measurable_improvement);
    /* An unpaired series at caseness is not in the recovery test. */
    t_treated(&r);
    t_score(&r, "LOW", 3000, 1, 0);
    t_score(&r, "LOW", 1500, 15, 0);
    t_score(&r, "HIGH", 1000, 1, 0);
    d = t_derive(&r);
    CHECK(d.recovered);
    /* Not outcome-eligible (open): no flag at all. */
    r.rec.has_closure_day = 0;
    d = t_derive(&r);
    CHECK(!d.outcome_eligible && !d.recovery_eligible && !d.recovered && !d.measurable_improvement);
}

static void
test_received_and_sources(void)
{
    t_rec_t r;
    t_init(&r, 0);
    r.rec.referral_source = "01";
    iapt_cyp_derived_t d = t_derive(&r);
    CHECK(d.received_in_period && d.self_referral && !d.parent_referral && !d.school_referral);
    r.rec.referral_source = "02";
    d = t_derive(&r);
    CHECK(d.parent_referral);
    r.rec.referral_source = "04";
    d = t_derive(&r);
    CHECK(d.school_referral);
    t_init(&r, -1); /* received the day before the period */
    r.rec.referral_source = "04";
    d = t_derive(&r);
    CHECK(!d.received_in_period && !d.school_referral);
}

static void
test_levels(void)
{
    t_rec_t r;
    t_init(&r, 0);
    iapt_cyp_derived_t d = t_derive(&r);
    /* Everything missing: Unknown (the last level) everywhere. */
    for (int b = 1; b < IAPT_CYP_BD_COUNT; b++) {
        const iapt_cyp_breakdown_def_t *def = iapt_cyp_breakdown_def(b);
        CHECK_EQ_STR(def->levels[d.level[b]], "Unknown");
    }
    CHECK_EQ_INT(d.level[IAPT_CYP_BD_NONE], 0);
    r.rec.has_age_band = 1;
    r.rec.age_band = IAPT__CYP_AGE_BAND__CYP_AGE_26_PLUS;
    r.rec.gender_identity = "2";
    r.rec.ethnic_category = "M";
    r.rec.has_imd_decile = 1;
    r.rec.imd_decile = 10;
    r.rec.team_type = "CWP";
    r.rec.primary_reason = "03";
    r.rec.referral_source = "99";
    r.rec.provider_sector = "VCS";
    d = t_derive(&r);
#define LABEL(b) iapt_cyp_breakdown_def(b)->levels[d.level[b]]
    CHECK_EQ_STR(LABEL(IAPT_CYP_BD_AGE), "26+");
    CHECK_EQ_STR(LABEL(IAPT_CYP_BD_GENDER), "Female");
    CHECK_EQ_STR(LABEL(IAPT_CYP_BD_ETHNICITY), "Black");
    CHECK_EQ_STR(LABEL(IAPT_CYP_BD_IMD), "10");
    CHECK_EQ_STR(LABEL(IAPT_CYP_BD_TEAM), "CWP");
    CHECK_EQ_STR(LABEL(IAPT_CYP_BD_REASON), "Self-harm");
    CHECK_EQ_STR(LABEL(IAPT_CYP_BD_SOURCE), "Other");
    CHECK_EQ_STR(LABEL(IAPT_CYP_BD_SECTOR), "Voluntary and community sector");
    CHECK(d.cwp_team);
    r.rec.age_band = IAPT__CYP_AGE_BAND__CYP_AGE_0_4;
    r.rec.gender_identity = "?";
    r.rec.ethnic_category = "99";
    r.rec.team_type = "OTH";
    r.rec.provider_sector = "?";
    d = t_derive(&r);
    CHECK_EQ_STR(LABEL(IAPT_CYP_BD_AGE), "0-4");
    CHECK_EQ_STR(LABEL(IAPT_CYP_BD_GENDER), "Unknown");
    CHECK_EQ_STR(LABEL(IAPT_CYP_BD_ETHNICITY), "Not known");
    CHECK_EQ_STR(LABEL(IAPT_CYP_BD_TEAM), "Other");
    CHECK_EQ_STR(LABEL(IAPT_CYP_BD_SECTOR), "Unknown");
    CHECK(!d.cwp_team);
    r.rec.age_band = IAPT__CYP_AGE_BAND__CYP_AGE_UNKNOWN;
    d = t_derive(&r);
    CHECK_EQ_STR(LABEL(IAPT_CYP_BD_AGE), "Unknown");
#undef LABEL
}

static void
test_age_band(void)
{
    int32_t born = iapt_days_from_civil(2010, 3, 15);
#define AT(y, m, dd) iapt_cyp_age_band(born, iapt_days_from_civil(y, m, dd))
    CHECK_EQ_INT(AT(2010, 3, 15), IAPT__CYP_AGE_BAND__CYP_AGE_0_4); /* day of birth: 0 */
    CHECK_EQ_INT(AT(2015, 3, 14), IAPT__CYP_AGE_BAND__CYP_AGE_0_4);
    CHECK_EQ_INT(AT(2015, 3, 15), IAPT__CYP_AGE_BAND__CYP_AGE_5_10);
    CHECK_EQ_INT(AT(2021, 3, 14), IAPT__CYP_AGE_BAND__CYP_AGE_5_10);
    CHECK_EQ_INT(AT(2021, 3, 15), IAPT__CYP_AGE_BAND__CYP_AGE_11_15);
    CHECK_EQ_INT(AT(2026, 3, 14), IAPT__CYP_AGE_BAND__CYP_AGE_11_15);
    CHECK_EQ_INT(AT(2026, 3, 15), IAPT__CYP_AGE_BAND__CYP_AGE_16_17);
    CHECK_EQ_INT(AT(2028, 3, 14), IAPT__CYP_AGE_BAND__CYP_AGE_16_17);
    CHECK_EQ_INT(AT(2028, 3, 15), IAPT__CYP_AGE_BAND__CYP_AGE_18_25);
    CHECK_EQ_INT(AT(2036, 3, 14), IAPT__CYP_AGE_BAND__CYP_AGE_18_25);
    CHECK_EQ_INT(AT(2036, 3, 15), IAPT__CYP_AGE_BAND__CYP_AGE_26_PLUS);
    CHECK_EQ_INT(AT(2010, 3, 14), IAPT__CYP_AGE_BAND__CYP_AGE_UNKNOWN);
#undef AT
    /* Born 29 February 2012: 5 on 1 March 2017, not on 28 February. */
    int32_t leap = iapt_days_from_civil(2012, 2, 29);
    CHECK_EQ_INT(iapt_cyp_age_band(leap, iapt_days_from_civil(2017, 2, 28)),
                 IAPT__CYP_AGE_BAND__CYP_AGE_0_4);
    CHECK_EQ_INT(iapt_cyp_age_band(leap, iapt_days_from_civil(2017, 3, 1)),
                 IAPT__CYP_AGE_BAND__CYP_AGE_5_10);
}

/* Refused with IAPT_EFORMAT naming `field`. */
static void
t_refused(const t_rec_t *r, const char *field)
{
    iapt_cyp_derived_t d;
    int rc = iapt_cyp_derive(&r->rec, t_period(), &s_tools, &d);
    CHECK_EQ_INT(rc, IAPT_EFORMAT);
    if (strncmp(iapt_error_detail(), field, strlen(field)) != 0) {
        fprintf(stderr, "    detail \"%s\" does not name %s\n", iapt_error_detail(), field);
        CHECK(0);
    }
}

static void
test_record_checks(void)
{
    t_rec_t r;
    t_init(&r, 0);
    r.rec.pathway_id.len = 15;
    t_refused(&r, "pathway_id");
    t_init(&r, 0);
    r.rec.person_id.data = NULL;
    t_refused(&r, "person_id");
    t_init(&r, 0);
    r.rec.has_person_id_basis = 1;
    r.rec.person_id_basis = 7;
    t_refused(&r, "person_id_basis");
    t_init(&r, 0);
    r.rec.commissioner = "15n";
    t_refused(&r, "commissioner");
    r.rec.commissioner = NULL;
    t_refused(&r, "commissioner");
    t_init(&r, E + 1);
    t_refused(&r, "referral_day");
    t_init(&r, -IAPT_CYP_DAY_LIMIT - 1);
    t_refused(&r, "referral_day");
    t_init(&r, -10);
    t_close(&r, -1);
    t_refused(&r, "closure_day");
    t_close(&r, E + 1);
    t_refused(&r, "closure_day");
    t_init(&r, 0);
    r.rec.has_age_band = 1;
    r.rec.age_band = 7;
    t_refused(&r, "age_band");
    t_init(&r, 0);
    r.rec.gender_identity = "9";
    t_refused(&r, "gender_identity");
    t_init(&r, 0);
    r.rec.ethnic_category = "Q";
    t_refused(&r, "ethnic_category");
    t_init(&r, 0);
    r.rec.has_imd_decile = 1;
    r.rec.imd_decile = 0;
    t_refused(&r, "imd_decile");
    r.rec.imd_decile = 11;
    t_refused(&r, "imd_decile");
    t_init(&r, 0);
    r.rec.referral_source = "10";
    t_refused(&r, "referral_source");
    t_init(&r, 0);
    r.rec.team_type = "cwp";
    t_refused(&r, "team_type");
    t_init(&r, 0);
    r.rec.primary_reason = "07";
    t_refused(&r, "primary_reason");
    t_init(&r, 0);
    r.rec.provider_sector = "NHS ";
    t_refused(&r, "provider_sector");
    t_init(&r, 0);
    t_contact(&r, 1, "5", NULL);
    t_contact(&r, E + 1, "5", NULL);
    t_refused(&r, "contacts[1].day");
    t_init(&r, 0);
    t_contact(&r, 1, "1", NULL);
    t_refused(&r, "contacts[0].attendance");
    r.c[0].attendance = NULL;
    t_refused(&r, "contacts[0].attendance");
    t_init(&r, 0);
    t_contact(&r, 1, "5", "03");
    t_refused(&r, "contacts[0].mechanism");
    t_init(&r, 0);
    t_score(&r, "LOW", 100, E + 1, 0);
    t_refused(&r, "scores[0].day");
    t_init(&r, 0);
    t_score(&r, "", 100, 1, 0);
    t_refused(&r, "scores[0].tool");
    r.s[0].tool = "A B";
    t_refused(&r, "scores[0].tool");
    r.s[0].tool = NULL;
    t_refused(&r, "scores[0].tool");
    t_init(&r, 0);
    t_score(&r, "GOAL", 100, 1, 4);
    t_refused(&r, "scores[0].goal_number");
    t_init(&r, 0);
    r.rec.n_contacts = 1;
    r.cp[0] = NULL;
    t_refused(&r, "contacts[0]");

    /* Accepted as written: "?" codes, a closure before the referral. */
    t_init(&r, 5);
    r.rec.gender_identity = "?";
    r.rec.team_type = "?";
    t_close(&r, 2);
    t_contact(&r, 1, "5", "?");
    iapt_cyp_derived_t d;
    CHECK_EQ_INT(iapt_cyp_derive(&r.rec, t_period(), &s_tools, &d), 0);
    CHECK(d.closed_in_period);

    /* Usage errors. */
    CHECK_EQ_INT(iapt_cyp_derive(NULL, t_period(), &s_tools, &d), IAPT_EUSAGE);
    CHECK_EQ_INT(iapt_cyp_derive(&r.rec, NULL, &s_tools, &d), IAPT_EUSAGE);
    iapt_period_t bad = *t_period();
    bad.length = 32;
    CHECK_EQ_INT(iapt_cyp_derive(&r.rec, &bad, &s_tools, &d), IAPT_EUSAGE);
    iapt_cyp_tools_t empty;
    memset(&empty, 0, sizeof empty);
    CHECK_EQ_INT(iapt_cyp_derive(&r.rec, t_period(), &empty, &d), IAPT_EUSAGE);
}

/* The record travels as bytes: packed and unpacked it derives the same. */
static void
test_wire_round_trip(void)
{
    t_rec_t r;
    t_treated(&r);
    r.rec.team_type = "MHST";
    t_score(&r, "LOW", 3000, 1, 0);
    t_score(&r, "LOW", 1500, 15, 0);
    t_score(&r, "GOAL", 110, 1, 2);
    t_score(&r, "GOAL", 355, 15, 2);
    size_t len = iapt__cyp_referral_record__get_packed_size(&r.rec);
    uint8_t buf[1024];
    CHECK(len <= sizeof buf);
    if (len > sizeof buf)
        return;
    iapt__cyp_referral_record__pack(&r.rec, buf);
    Iapt__CypReferralRecord *back = iapt__cyp_referral_record__unpack(NULL, len, buf);
    CHECK(back != NULL);
    if (!back)
        return;
    iapt_cyp_derived_t a = t_derive(&r), b;
    CHECK_EQ_INT(iapt_cyp_derive(back, t_period(), &s_tools, &b), 0);
    CHECK(memcmp(&a, &b, sizeof a) == 0);
    CHECK(b.recovered && b.reliable_goal_improvement);
    iapt__cyp_referral_record__free_unpacked(back, NULL);
}

TEST_MAIN(test_caseness_better_lower, test_caseness_better_higher, test_reliable_change_lower,
          test_reliable_change_higher, test_reliable_change_goal_245, test_face_to_face,
          test_one_and_two_attended_contacts, test_contacts_in_and_before_period,
          test_equal_date_scores_in_file_order, test_wait_28_and_29_days,
          test_waiting_126_and_127_days, test_ignored_scores, test_goal_movement_mean,
          test_recovered, test_received_and_sources, test_levels, test_age_band, test_record_checks,
          test_wire_round_trip)
