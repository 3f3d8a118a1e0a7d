/* workforce_measures.c - the workforce roles, code lists, breakdowns,
 * counters, catalogue W001-W041 and the formatting of its values
 * (workforce_measures.h). */

#include "common/collections/workforce/workforce_measures.h"

#include "common/collections/workforce/workforce_derive.h"

#include <stdio.h>
#include <string.h>

#define N(a) (sizeof a / sizeof *a)

/* ---------------------------------------------------------------------------
 * Roles and code lists
 * ------------------------------------------------------------------------ */

static const char *const s_roles[IAPT_WF_ROLE_COUNT] = {
    "LIT", "LIQ", "HIT", "HIQ", "CNS", "CWT", "CWQ", "SUP", "ESA", "LEAD", "OTH",
};

/* Bands and professions, then the Unknown level. */
static const char *const s_bands[] = {"2",  "3",  "4",  "5",  "6", "7",
                                      "8a", "8b", "8c", "8d", "9", "Unknown"};
static const char *const s_professions[] = {"NUR", "CLP", "COP", "OT",  "SW",
                                            "CNS", "PSY", "GRD", "OTH", "Unknown"};

static int
s_index(const char *code, const char *const *list, size_t n)
{
    if (!code)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (strcmp(code, list[i]) == 0)
            return (int)i;
    return -1;
}

int
iapt_wf_role_find(const char *code)
{
    return s_index(code, s_roles, N(s_roles));
}

const char *
iapt_wf_role_code(int role)
{
    return role >= 0 && role < IAPT_WF_ROLE_COUNT ? s_roles[role] : NULL;
}

bool
iapt_wf_role_clinical(int role)
{
    return role >= IAPT_WF_ROLE_LIT && role <= IAPT_WF_ROLE_CWQ;
}

bool
iapt_wf_role_trainee(int role)
{
    return role == IAPT_WF_ROLE_LIT || role == IAPT_WF_ROLE_HIT || role == IAPT_WF_ROLE_CWT;
}

bool
iapt_wf_role_low_intensity(int role)
{
    return role == IAPT_WF_ROLE_LIT || role == IAPT_WF_ROLE_LIQ || role == IAPT_WF_ROLE_CWT ||
           role == IAPT_WF_ROLE_CWQ;
}

bool
iapt_wf_band_valid(const char *code)
{
    return s_index(code, s_bands, N(s_bands) - 1) >= 0;
}

bool
iapt_wf_profession_valid(const char *code)
{
    return s_index(code, s_professions, N(s_professions) - 1) >= 0;
}

int
iapt_wf_band_level(const char *code)
{
    int i = s_index(code, s_bands, N(s_bands) - 1);
    return i >= 0 ? i : (int)N(s_bands) - 1;
}

int
iapt_wf_profession_level(const char *code)
{
    int i = s_index(code, s_professions, N(s_professions) - 1);
    return i >= 0 ? i : (int)N(s_professions) - 1;
}

/* ---------------------------------------------------------------------------
 * Breakdowns
 * ------------------------------------------------------------------------ */

static const char *const s_none[] = {""};

const iapt_breakdown_def_t iapt_wf_breakdowns[IAPT_WF_BREAKDOWN_COUNT] = {
    {"none", "", N(s_none), s_none},
    {"role", "Staff role", N(s_roles), s_roles},
    {"band", "AfC band", N(s_bands), s_bands},
    {"profession", "Profession", N(s_professions), s_professions},
};

const iapt_wf_breakdown_def_t *
iapt_wf_breakdown_def(int id)
{
    return id >= 0 && id < IAPT_WF_BREAKDOWN_COUNT ? &iapt_wf_breakdowns[id] : NULL;
}

int
iapt_wf_breakdown_find(const char *key)
{
    for (int i = 0; key && i < IAPT_WF_BREAKDOWN_COUNT; i++)
        if (strcmp(key, iapt_wf_breakdowns[i].key) == 0)
            return i;
    return -1;
}

/* ---------------------------------------------------------------------------
 * Counters
 * ------------------------------------------------------------------------ */

const char *const iapt_wf_counter_names[IAPT_WF_C_COUNT] = {
    [IAPT_WF_C_APPEAR] = "appear",
    [IAPT_WF_C_SUBMISSIONS] = "submissions",
    [IAPT_WF_C_STAFF_RECORDS] = "staff_records",
    [IAPT_WF_C_STAFF] = "staff",
    [IAPT_WF_C_STAFF_WTE] = "staff_wte",
    [IAPT_WF_C_CLINICAL] = "clinical",
    [IAPT_WF_C_CLINICAL_WTE] = "clinical_wte",
    [IAPT_WF_C_TRAINEES] = "trainees",
    [IAPT_WF_C_TRAINING_COMPLETED] = "training_completed",
    [IAPT_WF_C_STARTERS] = "starters",
    [IAPT_WF_C_LEAVERS] = "leavers",
    [IAPT_WF_C_VACANCIES] = "vacancies",
    [IAPT_WF_C_VACANT_WTE] = "vacant_wte",
    [IAPT_WF_C_ELIGIBLE] = "supervision_eligible",
    [IAPT_WF_C_SUPERVISION_MET] = "supervision_met",
    [IAPT_WF_C_SUPERVISORS] = "supervisors",
    [IAPT_WF_C_TRAINEES_SUPERVISED] = "trainees_supervised",
    [IAPT_WF_C_SUPERVISORS_OVER_5] = "supervisors_over_five",
    [IAPT_WF_C_TRAINEES_UNSUPERVISED] = "trainees_unsupervised",
    [IAPT_WF_C_POSTS_WTE] = "posts_wte",
    [IAPT_WF_C_JOIN_PROVIDERS] = "join_providers",
    [IAPT_WF_C_JOIN_APPOINTMENTS] = "join_appointments",
    [IAPT_WF_C_JOIN_ENTERED] = "join_entered_treatment",
    [IAPT_WF_C_JOIN_CLINICAL_WTE] = "join_clinical_wte",
    [IAPT_WF_C_JOIN_CLINICAL] = "join_clinical",
};

const char *
iapt_wf_counter_name(int c)
{
    return c >= 0 && c < IAPT_WF_C_COUNT ? iapt_wf_counter_names[c] : NULL;
}

/* -1 is written explicitly for the unbounded ones: a designated
 * initialiser would leave 0 (IAPT_WF_C_APPEAR) in a forgotten entry. */
const int iapt_wf_counter_bounds[IAPT_WF_C_COUNT] = {
    [IAPT_WF_C_APPEAR] = -1,
    [IAPT_WF_C_SUBMISSIONS] = IAPT_WF_C_APPEAR,
    [IAPT_WF_C_STAFF_RECORDS] = IAPT_WF_C_APPEAR,
    [IAPT_WF_C_STAFF] = IAPT_WF_C_STAFF_RECORDS,
    [IAPT_WF_C_STAFF_WTE] = -1,
    [IAPT_WF_C_CLINICAL] = IAPT_WF_C_STAFF,
    [IAPT_WF_C_CLINICAL_WTE] = IAPT_WF_C_STAFF_WTE,
    [IAPT_WF_C_TRAINEES] = IAPT_WF_C_CLINICAL,
    [IAPT_WF_C_TRAINING_COMPLETED] = IAPT_WF_C_STAFF_RECORDS,
    [IAPT_WF_C_STARTERS] = IAPT_WF_C_STAFF_RECORDS,
    [IAPT_WF_C_LEAVERS] = IAPT_WF_C_STAFF_RECORDS,
    [IAPT_WF_C_VACANCIES] = -1,
    [IAPT_WF_C_VACANT_WTE] = -1,
    [IAPT_WF_C_ELIGIBLE] = IAPT_WF_C_CLINICAL,
    [IAPT_WF_C_SUPERVISION_MET] = IAPT_WF_C_ELIGIBLE,
    [IAPT_WF_C_SUPERVISORS] = IAPT_WF_C_TRAINEES_SUPERVISED,
    [IAPT_WF_C_TRAINEES_SUPERVISED] = IAPT_WF_C_TRAINEES,
    [IAPT_WF_C_SUPERVISORS_OVER_5] = IAPT_WF_C_SUPERVISORS,
    [IAPT_WF_C_TRAINEES_UNSUPERVISED] = IAPT_WF_C_TRAINEES,
    [IAPT_WF_C_POSTS_WTE] = -1,
    [IAPT_WF_C_JOIN_PROVIDERS] = IAPT_WF_C_SUBMISSIONS,
    [IAPT_WF_C_JOIN_APPOINTMENTS] = -1,
    [IAPT_WF_C_JOIN_ENTERED] = -1,
    [IAPT_WF_C_JOIN_CLINICAL_WTE] = -1,
    [IAPT_WF_C_JOIN_CLINICAL] = -1,
};

int
iapt_wf_counter_bound(int c)
{
    return c >= 0 && c < IAPT_WF_C_COUNT ? iapt_wf_counter_bounds[c] : -1;
}

void
iapt_wf_add_staff(uint64_t c[IAPT_WF_C_COUNT], const iapt_wf_derived_t *d)
{
    c[IAPT_WF_C_APPEAR]++;
    c[IAPT_WF_C_STAFF_RECORDS]++;
    if (d->in_post_end) {
        c[IAPT_WF_C_STAFF]++;
        c[IAPT_WF_C_STAFF_WTE] += d->wte_x100;
        c[IAPT_WF_C_POSTS_WTE] += d->wte_x100;
        if (d->clinical) {
            c[IAPT_WF_C_CLINICAL]++;
            c[IAPT_WF_C_CLINICAL_WTE] += d->wte_x100;
        }
        if (d->trainee)
            c[IAPT_WF_C_TRAINEES]++;
    }
    c[IAPT_WF_C_TRAINING_COMPLETED] += d->training_completed;
    c[IAPT_WF_C_STARTERS] += d->starter;
    c[IAPT_WF_C_LEAVERS] += d->leaver;
    c[IAPT_WF_C_ELIGIBLE] += d->supervision_eligible;
    c[IAPT_WF_C_SUPERVISION_MET] += d->weekly_supervision_met;
}

void
iapt_wf_add_vacancy(uint64_t c[IAPT_WF_C_COUNT], const iapt_wf_vacancy_t *v)
{
    c[IAPT_WF_C_VACANCIES]++;
    c[IAPT_WF_C_VACANT_WTE] += v->wte_x100;
    c[IAPT_WF_C_POSTS_WTE] += v->wte_x100;
}

void
iapt_wf_add_submission(uint64_t c[IAPT_WF_C_COUNT])
{
    c[IAPT_WF_C_APPEAR]++;
    c[IAPT_WF_C_SUBMISSIONS]++;
}

void
iapt_wf_add_supervision(uint64_t c[IAPT_WF_C_COUNT], const iapt_wf_supervision_counts_t *s)
{
    c[IAPT_WF_C_SUPERVISORS] += s->supervisors;
    c[IAPT_WF_C_TRAINEES_SUPERVISED] += s->trainees_supervised;
    c[IAPT_WF_C_SUPERVISORS_OVER_5] += s->supervisors_over_five;
    c[IAPT_WF_C_TRAINEES_UNSUPERVISED] += s->trainees_unsupervised;
}

void
iapt_wf_add_join(uint64_t c[IAPT_WF_C_COUNT], uint64_t adult_m082, uint64_t adult_m031,
                 const uint64_t own[IAPT_WF_C_COUNT])
{
    c[IAPT_WF_C_JOIN_PROVIDERS]++;
    c[IAPT_WF_C_JOIN_APPOINTMENTS] += adult_m082;
    c[IAPT_WF_C_JOIN_ENTERED] += adult_m031;
    c[IAPT_WF_C_JOIN_CLINICAL_WTE] += own[IAPT_WF_C_CLINICAL_WTE];
    c[IAPT_WF_C_JOIN_CLINICAL] += own[IAPT_WF_C_CLINICAL];
}

/* ---------------------------------------------------------------------------
 * Catalogue
 * ------------------------------------------------------------------------ */

#define STAFF_SPLITS                                                                               \
    (IAPT_WF_IN_BREAKDOWN(IAPT_WF_BREAKDOWN_NONE) | IAPT_WF_IN_BREAKDOWN(IAPT_WF_BREAKDOWN_ROLE) | \
     IAPT_WF_IN_BREAKDOWN(IAPT_WF_BREAKDOWN_BAND) |                                                \
     IAPT_WF_IN_BREAKDOWN(IAPT_WF_BREAKDOWN_PROFESSION))
#define WHOLE IAPT_WF_IN_BREAKDOWN(IAPT_WF_BREAKDOWN_NONE)

#define COUNT(id, name, c, splits)                                                                 \
    {                                                                                              \
        id, name, IAPT_WF_COUNT, c, -1, -1, c, -1, -1, splits, -1                                  \
    }
#define WTE(id, name, c, head, splits)                                                             \
    {                                                                                              \
        id, name, IAPT_WF_WTE, c, -1, -1, head, -1, -1, splits, -1                                 \
    }

static const iapt_wf_rule_t s_rules[] = {
    COUNT("W001", "Count_StaffInPost", IAPT_WF_C_STAFF, STAFF_SPLITS),
    WTE("W002", "WTE_StaffInPost", IAPT_WF_C_STAFF_WTE, IAPT_WF_C_STAFF, STAFF_SPLITS),
    COUNT("W003", "Count_ClinicalInPost", IAPT_WF_C_CLINICAL, STAFF_SPLITS),
    WTE("W004", "WTE_ClinicalInPost", IAPT_WF_C_CLINICAL_WTE, IAPT_WF_C_CLINICAL, STAFF_SPLITS),
    COUNT("W005", "Count_TraineesInPost", IAPT_WF_C_TRAINEES, STAFF_SPLITS),
    COUNT("W006", "Count_TrainingCompleted", IAPT_WF_C_TRAINING_COMPLETED, STAFF_SPLITS),
    COUNT("W007", "Count_Starters", IAPT_WF_C_STARTERS, STAFF_SPLITS),
    COUNT("W008", "Count_Leavers", IAPT_WF_C_LEAVERS, STAFF_SPLITS),
    WTE("W010", "WTE_Vacant", IAPT_WF_C_VACANT_WTE, IAPT_WF_C_VACANCIES, WHOLE),
    {"W011", "Percentage_VacancyRate", IAPT_WF_PERCENT, IAPT_WF_C_VACANT_WTE, IAPT_WF_C_VACANT_WTE,
     IAPT_WF_C_STAFF_WTE, IAPT_WF_C_VACANCIES, IAPT_WF_C_VACANCIES, IAPT_WF_C_STAFF, WHOLE, -1},
    COUNT("W020", "Count_SupervisionEligible", IAPT_WF_C_ELIGIBLE, WHOLE),
    COUNT("W021", "Count_WeeklySupervisionMet", IAPT_WF_C_SUPERVISION_MET, WHOLE),
    {"W022", "Percentage_WeeklySupervisionMet", IAPT_WF_PERCENT, IAPT_WF_C_SUPERVISION_MET,
     IAPT_WF_C_ELIGIBLE, -1, IAPT_WF_C_SUPERVISION_MET, IAPT_WF_C_ELIGIBLE, -1, WHOLE, -1},
    COUNT("W030", "Count_Supervisors", IAPT_WF_C_SUPERVISORS, WHOLE),
    {"W031", "Mean_TraineesPerSupervisor", IAPT_WF_MEAN, IAPT_WF_C_TRAINEES_SUPERVISED,
     IAPT_WF_C_SUPERVISORS, -1, IAPT_WF_C_TRAINEES_SUPERVISED, IAPT_WF_C_SUPERVISORS, -1, WHOLE,
     -1},
    COUNT("W032", "Count_SupervisorsOverFive", IAPT_WF_C_SUPERVISORS_OVER_5, WHOLE),
    COUNT("W033", "Count_TraineesWithoutSupervisor", IAPT_WF_C_TRAINEES_UNSUPERVISED, WHOLE),
    {"W040", "Ratio_AppointmentsPerClinicalWTE", IAPT_WF_RATIO, IAPT_WF_C_JOIN_APPOINTMENTS,
     IAPT_WF_C_JOIN_CLINICAL_WTE, -1, IAPT_WF_C_JOIN_APPOINTMENTS, IAPT_WF_C_JOIN_CLINICAL, -1,
     WHOLE, IAPT_WF_C_JOIN_PROVIDERS},
    {"W041", "Ratio_EnteredTreatmentPerClinicalWTE", IAPT_WF_RATIO, IAPT_WF_C_JOIN_ENTERED,
     IAPT_WF_C_JOIN_CLINICAL_WTE, -1, IAPT_WF_C_JOIN_ENTERED, IAPT_WF_C_JOIN_CLINICAL, -1, WHOLE,
     IAPT_WF_C_JOIN_PROVIDERS},
};

const iapt_wf_rule_t *
iapt_wf_rules(size_t *n)
{
    if (n)
        *n = N(s_rules);
    return s_rules;
}

const iapt_wf_rule_t *
iapt_wf_rule_find(const char *id)
{
    for (size_t i = 0; id && i < N(s_rules); i++)
        if (strcmp(id, s_rules[i].id) == 0)
            return &s_rules[i];
    return NULL;
}

static const char *const s_headline[] = {"W001", "W002", "W004", "W005", "W011",
                                         "W022", "W030", "W032", "W040"};

const char *const *
iapt_wf_headline(size_t *n)
{
    if (n)
        *n = N(s_headline);
    return s_headline;
}

void
iapt_wf_value(const iapt_wf_rule_t *r, const uint64_t c[IAPT_WF_C_COUNT], iapt_wf_value_t *v)
{
    memset(v, 0, sizeof *v);
    v->kind = r->kind;
    v->empty = r->empty_unless >= 0 && c[r->empty_unless] == 0;
    v->num = c[r->num];
    v->den = r->den < 0 ? 1 : c[r->den] + (r->den_plus < 0 ? 0 : c[r->den_plus]);
    v->num_head = c[r->num_head];
    v->den_head =
        r->den_head < 0 ? 0 : c[r->den_head] + (r->den_head_plus < 0 ? 0 : c[r->den_head_plus]);
}

/* ---------------------------------------------------------------------------
 * Formatting
 * ------------------------------------------------------------------------ */

/* Bound on every figure formatted, so products below cannot overflow. */
#define VALUE_BOUND ((uint64_t)1 << 50)

/* round(num / den), half up, den > 0. */
static uint64_t
s_round_div(uint64_t num, uint64_t den)
{
    return (2 * num + den) / (2 * den);
}

/* x / 10^decimals written with that many decimals. */
static void
s_fixed(uint64_t x, int decimals, char out[IAPT_WF_TEXT_MAX])
{
    if (decimals == 0)
        snprintf(out, IAPT_WF_TEXT_MAX, "%llu", (unsigned long long)x);
    else if (decimals == 1)
        snprintf(out, IAPT_WF_TEXT_MAX, "%llu.%01llu", (unsigned long long)(x / 10),
                 (unsigned long long)(x % 10));
    else
        snprintf(out, IAPT_WF_TEXT_MAX, "%llu.%02llu", (unsigned long long)(x / 100),
                 (unsigned long long)(x % 100));
}

void
iapt_wf_format(const iapt_wf_value_t *v, bool exact, char out[IAPT_WF_TEXT_MAX])
{
    out[0] = 0;
    if (v->empty)
        return;
    if (v->num > VALUE_BOUND || v->den > VALUE_BOUND || v->num_head > VALUE_BOUND ||
        v->den_head > VALUE_BOUND)
        return;
    switch (v->kind) {
    case IAPT_WF_COUNT:
        if (exact)
            s_fixed(v->num, 0, out);
        else if (v->num < 5)
            strcpy(out, "*");
        else
            s_fixed(s_round_div(v->num, 5) * 5, 0, out);
        return;
    case IAPT_WF_WTE:
        if (exact)
            s_fixed(v->num, 2, out);
        else if (v->num_head < 5)
            strcpy(out, "*");
        else
            s_fixed(s_round_div(v->num, 10), 1, out);
        return;
    case IAPT_WF_PERCENT:
        if (!exact && (v->num_head < 5 || v->den_head < 5))
            strcpy(out, "*");
        else if (v->den == 0)
            return;
        else if (exact)
            s_fixed(s_round_div(1000 * v->num, v->den), 1, out);
        else
            s_fixed(s_round_div(100 * v->num, v->den), 0, out);
        return;
    case IAPT_WF_MEAN:
    case IAPT_WF_RATIO:
        if (!exact && (v->num_head < 5 || v->den_head < 5))
            strcpy(out, "*");
        else if (v->den == 0)
            return;
        else
            s_fixed(s_round_div((v->kind == IAPT_WF_RATIO ? 1000 : 10) * v->num, v->den), 1, out);
        return;
    }
}
