/* cyp_measures.c - the CYP counters, one referral's contribution, the
 * catalogue C001-C063, the CWP-team measures and the CYP breakdowns. */

#include "common/collections/cyp/cyp_measures.h"
#include "common/err.h"

#include <string.h>

const char *const iapt_cyp_counter_name_table[IAPT_CYP_C_COUNT] = {
    [IAPT_CYP_C_REFERRALS] = "referrals",
    [IAPT_CYP_C_C001] = "C001",
    [IAPT_CYP_C_C002] = "C002",
    [IAPT_CYP_C_C003] = "C003",
    [IAPT_CYP_C_C004] = "C004",
    [IAPT_CYP_C_C010] = "C010",
    [IAPT_CYP_C_C011] = "C011",
    [IAPT_CYP_C_C012] = "C012",
    [IAPT_CYP_C_C013] = "C013",
    [IAPT_CYP_C_C014] = "C014",
    [IAPT_CYP_C_C020] = "C020",
    [IAPT_CYP_C_C021] = "C021",
    [IAPT_CYP_C_C022_DEN] = "C022_den",
    [IAPT_CYP_C_C030] = "C030",
    [IAPT_CYP_C_C031] = "C031",
    [IAPT_CYP_C_C032] = "C032",
    [IAPT_CYP_C_C040] = "C040",
    [IAPT_CYP_C_C041] = "C041",
    [IAPT_CYP_C_C043] = "C043",
    [IAPT_CYP_C_C045] = "C045",
    [IAPT_CYP_C_C046] = "C046",
    [IAPT_CYP_C_C050] = "C050",
    [IAPT_CYP_C_C052] = "C052",
    [IAPT_CYP_C_C062] = "C062",
    [IAPT_CYP_C_CWP_REFERRALS] = "cwp_referrals",
    [IAPT_CYP_C_CWP_C010] = "cwp_C010",
    [IAPT_CYP_C_CWP_C011] = "cwp_C011",
    [IAPT_CYP_C_CWP_C040] = "cwp_C040",
    [IAPT_CYP_C_CWP_C041] = "cwp_C041",
};

/* The nesting of docs/CYP.md's definitions ("of C001", "of C013", ...). */
const int iapt_cyp_counter_bound_table[IAPT_CYP_C_COUNT] = {
    [IAPT_CYP_C_REFERRALS] = -1,
    [IAPT_CYP_C_C001] = IAPT_CYP_C_REFERRALS,
    [IAPT_CYP_C_C002] = IAPT_CYP_C_C001,
    [IAPT_CYP_C_C003] = IAPT_CYP_C_C001,
    [IAPT_CYP_C_C004] = IAPT_CYP_C_C001,
    [IAPT_CYP_C_C010] = IAPT_CYP_C_REFERRALS,
    [IAPT_CYP_C_C011] = IAPT_CYP_C_REFERRALS, /* the first may be before the period */
    [IAPT_CYP_C_C012] = IAPT_CYP_C_REFERRALS,
    [IAPT_CYP_C_C013] = IAPT_CYP_C_C012,
    [IAPT_CYP_C_C014] = IAPT_CYP_C_C013,
    [IAPT_CYP_C_C020] = IAPT_CYP_C_C022_DEN,
    [IAPT_CYP_C_C021] = IAPT_CYP_C_C022_DEN,
    [IAPT_CYP_C_C022_DEN] = -1, /* contacts: no bound by referrals */
    [IAPT_CYP_C_C030] = IAPT_CYP_C_REFERRALS,
    [IAPT_CYP_C_C031] = IAPT_CYP_C_C030,
    [IAPT_CYP_C_C032] = IAPT_CYP_C_C031,
    [IAPT_CYP_C_C040] = IAPT_CYP_C_C031,
    [IAPT_CYP_C_C041] = IAPT_CYP_C_C040,
    [IAPT_CYP_C_C043] = IAPT_CYP_C_C040,
    [IAPT_CYP_C_C045] = IAPT_CYP_C_C046,
    [IAPT_CYP_C_C046] = IAPT_CYP_C_C040,
    [IAPT_CYP_C_C050] = IAPT_CYP_C_C030,
    [IAPT_CYP_C_C052] = IAPT_CYP_C_C050,
    [IAPT_CYP_C_C062] = IAPT_CYP_C_C010,
    [IAPT_CYP_C_CWP_REFERRALS] = IAPT_CYP_C_REFERRALS,
    [IAPT_CYP_C_CWP_C010] = IAPT_CYP_C_CWP_REFERRALS,
    [IAPT_CYP_C_CWP_C011] = IAPT_CYP_C_CWP_REFERRALS,
    [IAPT_CYP_C_CWP_C040] = IAPT_CYP_C_CWP_REFERRALS,
    [IAPT_CYP_C_CWP_C041] = IAPT_CYP_C_CWP_C040,
};

const int iapt_cyp_dist_total_table[IAPT_CYP_D_COUNT] = {
    [IAPT_CYP_D_WAIT] = IAPT_CYP_C_C010,
    [IAPT_CYP_D_GOAL] = IAPT_CYP_C_C050,
};

const char *const *
iapt_cyp_counter_names(void)
{
    return iapt_cyp_counter_name_table;
}

const int *
iapt_cyp_counter_bounds(void)
{
    return iapt_cyp_counter_bound_table;
}

const int *
iapt_cyp_dist_totals(void)
{
    return iapt_cyp_dist_total_table;
}

void
iapt_cyp_contribute(const iapt_cyp_derived_t *d, uint64_t c[IAPT_CYP_C_COUNT],
                    bool has_value[IAPT_CYP_D_COUNT], int32_t value[IAPT_CYP_D_COUNT])
{
    for (int k = 0; k < IAPT_CYP_D_COUNT; k++) {
        has_value[k] = false;
        value[k] = 0;
    }
    c[IAPT_CYP_C_REFERRALS]++;
    c[IAPT_CYP_C_C001] += d->received_in_period;
    c[IAPT_CYP_C_C002] += d->self_referral;
    c[IAPT_CYP_C_C003] += d->parent_referral;
    c[IAPT_CYP_C_C004] += d->school_referral;
    c[IAPT_CYP_C_C010] += d->first_contact_in_period;
    c[IAPT_CYP_C_C011] += d->second_contact_in_period;
    c[IAPT_CYP_C_C012] += d->open_end;
    c[IAPT_CYP_C_C013] += d->waiting_first_contact_end;
    c[IAPT_CYP_C_C014] += d->waiting_over_18_weeks_end;
    c[IAPT_CYP_C_C020] += d->attended_in_period;
    c[IAPT_CYP_C_C021] += d->dnas_in_period;
    c[IAPT_CYP_C_C022_DEN] += (uint64_t)d->attended_in_period + d->dnas_in_period;
    c[IAPT_CYP_C_C030] += d->closed_in_period;
    c[IAPT_CYP_C_C031] += d->closed_two_contacts;
    c[IAPT_CYP_C_C032] += d->closed_paired;
    c[IAPT_CYP_C_C040] += d->outcome_eligible;
    c[IAPT_CYP_C_C041] += d->measurable_improvement;
    c[IAPT_CYP_C_C043] += d->deterioration;
    c[IAPT_CYP_C_C045] += d->recovered;
    c[IAPT_CYP_C_C046] += d->recovery_eligible;
    if (d->closed_paired_goals) {
        c[IAPT_CYP_C_C050]++;
        c[IAPT_CYP_C_C052] += d->reliable_goal_improvement;
        has_value[IAPT_CYP_D_GOAL] = true;
        /* Within +-1.2e9: table values lie within +-1e8 hundredths. */
        value[IAPT_CYP_D_GOAL] = (int32_t)d->goal_movement_x600;
    }
    if (d->first_contact_in_period) {
        c[IAPT_CYP_C_C062] += d->wait_within_4_weeks;
        has_value[IAPT_CYP_D_WAIT] = true;
        value[IAPT_CYP_D_WAIT] = d->wait;
    }
    if (d->cwp_team) {
        c[IAPT_CYP_C_CWP_REFERRALS]++;
        c[IAPT_CYP_C_CWP_C010] += d->first_contact_in_period;
        c[IAPT_CYP_C_CWP_C011] += d->second_contact_in_period;
        c[IAPT_CYP_C_CWP_C040] += d->outcome_eligible;
        c[IAPT_CYP_C_CWP_C041] += d->measurable_improvement;
    }
}

/* ---------------------------------------------------------------------------
 * Catalogue
 * ------------------------------------------------------------------------ */

#define COUNT(id, name, c, note)                                                                   \
    {                                                                                              \
        id, name, IAPT_CYP_MEASURE_COUNT, IAPT_CYP_C_##c, -1, -1, 1, note                          \
    }
#define PERCENT(id, name, n, d, note)                                                              \
    {                                                                                              \
        id, name, IAPT_CYP_MEASURE_PERCENT, IAPT_CYP_C_##n, IAPT_CYP_C_##d, -1, 1, note            \
    }

static const iapt_cyp_measure_t s_measures[] = {
    COUNT("C001", "Count_ReferralsReceived", C001, "referrals received in the period"),
    COUNT("C002", "Count_SelfReferrals", C002, "of C001, SourceOfReferral 01"),
    COUNT("C003", "Count_ParentCarerReferrals", C003, "of C001, SourceOfReferral 02"),
    COUNT("C004", "Count_SchoolReferrals", C004, "of C001, SourceOfReferral 04"),
    COUNT("C010", "Count_FirstContact", C010, "first attended contact in the period"),
    COUNT("C011", "Count_SecondContact", C011, "second attended contact in the period"),
    COUNT("C012", "Count_OpenReferralsEnd", C012, "not closed at the period end"),
    COUNT("C013", "Count_WaitingFirstContactEnd", C013, "of C012, no attended contact"),
    COUNT("C014", "Count_WaitingOver18WeeksEnd", C014,
          "of C013, period end minus referral date over 126 days"),
    COUNT("C020", "Count_AttendedContacts", C020, "contacts in the period, code 5 or 6"),
    COUNT("C021", "Count_DNAContacts", C021, "contacts in the period, code 3"),
    PERCENT("C022", "Percentage_DNA", C021, C022_DEN,
            "C021 / (C020 + C021); `*` below England when C021 or C020 + C021 is under 5"),
    COUNT("C030", "Count_Closed", C030, "closed in the period"),
    COUNT("C031", "Count_ClosedTwoContacts", C031, "of C030, at least two attended contacts"),
    COUNT("C032", "Count_ClosedPaired", C032, "of C031, a paired series (symptom or goal)"),
    PERCENT("C033", "Percentage_ClosedPaired", C032, C031, "C032 / C031"),
    COUNT("C040", "Count_OutcomeEligible", C040, "outcome-eligible"),
    COUNT("C041", "Count_MeasurableImprovement", C041, "measurable improvement"),
    PERCENT("C042", "Percentage_MeasurableImprovement", C041, C040, "C041 / C040"),
    COUNT("C043", "Count_Deterioration", C043, "deterioration"),
    PERCENT("C044", "Percentage_Deterioration", C043, C040, "C043 / C040"),
    COUNT("C045", "Count_Recovered", C045, "recovered"),
    COUNT("C046", "Count_RecoveryEligible", C046,
          "outcome-eligible with a paired symptom series at caseness"),
    PERCENT("C047", "Percentage_Recovered", C045, C046, "C045 / C046"),
    COUNT("C050", "Count_ClosedPairedGoals", C050, "of C030, a paired goal series"),
    {"C051", "Mean_GoalMovement", IAPT_CYP_MEASURE_MEAN_SIGNED, -1, IAPT_CYP_C_C050,
     IAPT_CYP_D_GOAL, IAPT_CYP_GOAL_UNIT,
     "mean over C050 of each referral's goal movement (mean over its paired goal series of "
     "Last - First), kept in 1/600 point; the sum is signed: `*` below England only when "
     "C050 is under 5; rounded half away from zero, never -0.0"},
    COUNT("C052", "Count_ReliableGoalImprovement", C052,
          "of C050, goal movement >= the goal tool's reliable change"),
    PERCENT("C053", "Percentage_ReliableGoalImprovement", C052, C050, "C052 / C050"),
    {"C060", "Mean_WaitFirstContact", IAPT_CYP_MEASURE_MEAN, -1, IAPT_CYP_C_C010, IAPT_CYP_D_WAIT,
     1, "mean wait (days, first attended contact minus referral) over C010"},
    {"C061", "Median_WaitFirstContact", IAPT_CYP_MEASURE_MEDIAN, -1, IAPT_CYP_C_C010,
     IAPT_CYP_D_WAIT, 1, "median wait over C010 (exact)"},
    COUNT("C062", "Count_FirstContactWithin4Weeks", C062, "of C010, wait <= 28 days"),
    PERCENT("C063", "Percentage_FirstContactWithin4Weeks", C062, C010, "C062 / C010"),
};

static const iapt_cyp_measure_t s_cwp_measures[] = {
    COUNT("C010", "Count_FirstContact", CWP_C010, "C010 of the provider's TeamType CWP referrals"),
    COUNT("C011", "Count_SecondContact", CWP_C011, "C011 of the provider's TeamType CWP referrals"),
    PERCENT("C042", "Percentage_MeasurableImprovement", CWP_C041, CWP_C040,
            "C042 of the provider's TeamType CWP referrals"),
};

const iapt_cyp_measure_t *
iapt_cyp_measures(size_t *n)
{
    if (n)
        *n = sizeof s_measures / sizeof *s_measures;
    return s_measures;
}

const iapt_cyp_measure_t *
iapt_cyp_measure_find(const char *id)
{
    if (!id)
        return NULL;
    for (size_t i = 0; i < sizeof s_measures / sizeof *s_measures; i++)
        if (strcmp(s_measures[i].id, id) == 0)
            return &s_measures[i];
    return NULL;
}

const iapt_cyp_measure_t *
iapt_cyp_cwp_measures(size_t *n)
{
    if (n)
        *n = sizeof s_cwp_measures / sizeof *s_cwp_measures;
    return s_cwp_measures;
}

static bool
s_counter_ok(int c)
{
    return c >= 0 && c < IAPT_CYP_C_COUNT;
}

int
iapt_cyp_measure_value(const iapt_cyp_measure_t *m, const uint64_t counter[IAPT_CYP_C_COUNT],
                       const int64_t dist_sum[IAPT_CYP_D_COUNT], int64_t *num, int64_t *den)
{
    if (!m || !counter || !dist_sum || !num || !den)
        return iapt_error_set(IAPT_EUSAGE, "iapt_cyp_measure_value: NULL argument");
    switch (m->kind) {
    case IAPT_CYP_MEASURE_COUNT:
        if (!s_counter_ok(m->num))
            break;
        *num = (int64_t)counter[m->num];
        *den = 1;
        return 0;
    case IAPT_CYP_MEASURE_PERCENT:
        if (!s_counter_ok(m->num) || !s_counter_ok(m->den))
            break;
        *num = (int64_t)counter[m->num];
        *den = (int64_t)counter[m->den];
        return 0;
    case IAPT_CYP_MEASURE_MEAN:
    case IAPT_CYP_MEASURE_MEAN_SIGNED:
        if (!s_counter_ok(m->den) || m->dist < 0 || m->dist >= IAPT_CYP_D_COUNT || m->scale < 1)
            break;
        *num = dist_sum[m->dist];
        *den = (int64_t)counter[m->den] * m->scale;
        return 0;
    case IAPT_CYP_MEASURE_MEDIAN:
        break;
    }
    return iapt_error_set(IAPT_EUSAGE, "iapt_cyp_measure_value: %s is a median or malformed",
                          m->id ? m->id : "?");
}

/* ---------------------------------------------------------------------------
 * Breakdowns
 * ------------------------------------------------------------------------ */

/* Level lists follow the code lists of cyp_codes.c (a code's position is
 * its level; the last level, Unknown, is missing or invalid). */
static const char *const s_none_levels[] = {""};
static const char *const s_age_levels[] = {"0-4",   "5-10", "11-15",  "16-17",
                                           "18-25", "26+",  "Unknown"};
static const char *const s_gender_levels[] = {"Male",      "Female",     "Non-binary", "Other",
                                              "Not known", "Not stated", "Unknown"};
static const char *const s_ethnicity_levels[] = {"White", "Mixed",      "Asian",     "Black",
                                                 "Other", "Not stated", "Not known", "Unknown"};
static const char *const s_imd_levels[] = {"1", "2", "3", "4",  "5",      "6",
                                           "7", "8", "9", "10", "Unknown"};
static const char *const s_team_levels[] = {"CWP", "MHST", "CAMHS", "Other", "Unknown"};
static const char *const s_reason_levels[] = {"Anxiety",
                                              "Low mood or depression",
                                              "Self-harm",
                                              "Behavioural difficulties",
                                              "Eating difficulties",
                                              "Neurodevelopmental",
                                              "Other",
                                              "Unknown"};
static const char *const s_source_levels[] = {"Self",
                                              "Parent or carer",
                                              "GP",
                                              "School or college",
                                              "Social care",
                                              "Youth justice",
                                              "Other health service",
                                              "Voluntary sector",
                                              "Other",
                                              "Unknown"};
static const char *const s_sector_levels[] = {
    "NHS", "Local authority", "Voluntary and community sector", "Youth justice", "Unknown"};

#define LEVELS(a) (sizeof a / sizeof *a), a
const iapt_breakdown_def_t iapt_cyp_breakdown_table[IAPT_CYP_BD_COUNT] = {
    {"none", "", LEVELS(s_none_levels)},
    {"age", "Age band at referral", LEVELS(s_age_levels)},
    {"gender", "Gender identity", LEVELS(s_gender_levels)},
    {"ethnicity", "Ethnic group", LEVELS(s_ethnicity_levels)},
    {"imd", "IMD decile", LEVELS(s_imd_levels)},
    {"team", "Team type", LEVELS(s_team_levels)},
    {"reason", "Primary reason for referral", LEVELS(s_reason_levels)},
    {"source", "Referral source", LEVELS(s_source_levels)},
    {"sector", "Provider sector", LEVELS(s_sector_levels)},
};

_Static_assert(sizeof s_imd_levels / sizeof *s_imd_levels == IAPT_CYP_BD_LEVELS_MAX,
               "the IMD breakdown has the most levels");

const iapt_cyp_breakdown_def_t *
iapt_cyp_breakdown_def(int id)
{
    if (id < 0 || id >= IAPT_CYP_BD_COUNT)
        return NULL;
    return &iapt_cyp_breakdown_table[id];
}

int
iapt_cyp_breakdown_find(const char *key)
{
    if (!key)
        return -1;
    for (int i = 0; i < IAPT_CYP_BD_COUNT; i++)
        if (strcmp(iapt_cyp_breakdown_table[i].key, key) == 0)
            return i;
    return -1;
}
