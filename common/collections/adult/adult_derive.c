/* adult_derive.c - one anonymised pathway record -> every per-referral
 * field and flag of docs/MEASURES-NOTES.md, its cell contribution, and the
 * adult schema's derivation hooks. The record came over the network: every
 * guarantee adult.proto makes is checked, and a record that breaks one is
 * refused rather than counted on a guess. */

#include "common/collections/adult/adult_internal.h"
#include "common/err.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* Code lists of EXTRACT.md for the coded fields a record carries. */
static const char *const s_app_types[] = {"01", "02", "03", "04", "05", "06", "10"};
static const char *const s_attendances[] = {"2", "3", "4", "5", "6", "7"};
static const char *const s_mechanisms[] = {"01", "02", "04", "05", "09",
                                           "10", "11", "12", "13", "98"};
static const char *const s_end_codes[] = {"10", "11", "12", "13", "14", "16", "17",
                                          "46", "47", "48", "49", "50", "95", "96"};
static const char *const s_genders[] = {"1", "2", "3", "4", "X", "Z"};
static const char *const s_ethnic_codes[] = {"A", "B", "C", "D", "E", "F", "G", "H", "J",
                                             "K", "L", "M", "N", "P", "R", "S", "Z", "99"};
static const char *const s_employ_status[] = {"01", "02", "03", "04", "05", "06", "07", "08", "ZZ"};
static const char *const s_yes_no[] = {"Y", "N"};

#define N(a) (sizeof a / sizeof *a)

static bool
s_in(const char *code, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(code, list[i]) == 0)
            return true;
    return false;
}

/* An optional coded field: absent, "?" (present but invalid at the node) or
 * a listed code. */
static bool
s_coded_ok(const char *code, const char *const *list, size_t n)
{
    return !code || strcmp(code, "?") == 0 || s_in(code, list, n);
}

static bool
s_day_ok(int32_t day)
{
    return day >= -IAPT_RECORD_DAY_LIMIT && day <= IAPT_RECORD_DAY_LIMIT;
}

/* An event day: within the limits and not after the period end (the node
 * leaves later rows out). */
static bool
s_event_day_ok(int32_t day, int32_t end)
{
    return s_day_ok(day) && day <= end;
}

/* 3 to 5 of [A-Z0-9]. */
static bool
s_org_code_ok(const char *s)
{
    if (!s)
        return false;
    size_t n = strlen(s);
    if (n < 3 || n > 5)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
            return false;
    return true;
}

/* ICD-10 without dot: [A-Z][0-9]{2}[0-9A-Z]{0,2} (EXTRACT-NOTES). */
static bool
s_icd10_ok(const char *s)
{
    if (!s)
        return false;
    size_t n = strlen(s);
    if (n < 3 || n > 5 || s[0] < 'A' || s[0] > 'Z')
        return false;
    for (size_t i = 1; i < n; i++) {
        bool digit = s[i] >= '0' && s[i] <= '9';
        bool upper = s[i] >= 'A' && s[i] <= 'Z';
        if (i < 3 ? !digit : !(digit || upper))
            return false;
    }
    return true;
}

/* Position of a score in the order of MEASURES-NOTES: day, IDS606 before
 * IDS607, then file order. Comparing keys is the stable sort by (day,
 * source) the rules ask for, without moving anything. */
typedef struct {
    int32_t day;
    int32_t source;
    size_t index;
} s_score_key_t;

static int
s_key_cmp(const s_score_key_t *a, const s_score_key_t *b)
{
    if (a->day != b->day)
        return a->day < b->day ? -1 : 1;
    if (a->source != b->source)
        return a->source < b->source ? -1 : 1;
    return a->index < b->index ? -1 : a->index > b->index ? 1 : 0;
}

typedef struct {
    uint32_t count;
    s_score_key_t first_key, last_key;
    int32_t first, last;
} s_tool_scores_t;

static void
s_summarise(const iapt_tools_t *tools, const s_tool_scores_t *ts, int tool,
            iapt_score_summary_t *out)
{
    memset(out, 0, sizeof *out);
    out->tool = tool;
    out->count = ts[tool].count;
    if (out->count == 0)
        return;
    out->first_x100 = ts[tool].first;
    out->last_x100 = ts[tool].last;
    if (out->count >= 2) {
        int64_t change = (int64_t)out->first_x100 - out->last_x100;
        int64_t reliable = tools->tool[tool].reliable_x100;
        out->improved = change >= reliable;
        out->deteriorated = -change >= reliable;
    }
}

/* The first character of a Y/N/? field, or 0 when missing. */
static char
s_flag(const char *v)
{
    return v ? v[0] : 0;
}

static int
s_check_record(const Iapt__PathwayRecord *rec, int32_t end)
{
    if (rec->pathway_id.len != 16 || !rec->pathway_id.data)
        return iapt_error_set(IAPT_EFORMAT, "pathway_id: not 16 bytes");
    if (rec->person_id.len != 16 || !rec->person_id.data)
        return iapt_error_set(IAPT_EFORMAT, "person_id: not 16 bytes");
    if (!s_org_code_ok(rec->commissioner))
        return iapt_error_set(IAPT_EFORMAT, "commissioner: not 3 to 5 of [A-Z0-9]");
    if (!s_day_ok(rec->referral_day))
        return iapt_error_set(IAPT_EFORMAT, "referral_day: beyond 100 years");
    if (rec->referral_day > end)
        return iapt_error_set(IAPT_EFORMAT,
                              "referral_day: after the period end (not a referral of the period)");
    if (rec->has_discharge_day && (rec->discharge_day < 0 || rec->discharge_day > end))
        return iapt_error_set(IAPT_EFORMAT,
                              "discharge_day: outside the period (a later discharge is absent, "
                              "an earlier one is not a referral of the period)");
    if (!s_coded_ok(rec->end_code, s_end_codes, N(s_end_codes)))
        return iapt_error_set(IAPT_EFORMAT, "end_code: not a valid code");
    if (rec->referral_source && strcmp(rec->referral_source, "?") != 0 &&
        iapt_level_source(rec->referral_source) == IAPT_ADULT_BREAKDOWN_LEVELS_MAX - 1)
        return iapt_error_set(IAPT_EFORMAT, "referral_source: not a valid code");
    if (rec->has_age_band && ((int)rec->age_band < 0 || (int)rec->age_band > 8))
        return iapt_error_set(IAPT_EFORMAT, "age_band: not a known band");
    if (!s_coded_ok(rec->gender_identity, s_genders, N(s_genders)))
        return iapt_error_set(IAPT_EFORMAT, "gender_identity: not a valid code");
    if (!s_coded_ok(rec->ethnic_category, s_ethnic_codes, N(s_ethnic_codes)))
        return iapt_error_set(IAPT_EFORMAT, "ethnic_category: not a valid code");
    if (rec->has_imd_decile && (rec->imd_decile < 1 || rec->imd_decile > 10))
        return iapt_error_set(IAPT_EFORMAT, "imd_decile: not 1 to 10");
    if (rec->n_appointments > IAPT_RECORD_EVENTS_MAX || rec->n_scores > IAPT_RECORD_EVENTS_MAX ||
        rec->n_problems > IAPT_RECORD_EVENTS_MAX || rec->n_employment > IAPT_RECORD_EVENTS_MAX)
        return iapt_error_set(IAPT_EFORMAT, "%s: more than %d entries",
                              rec->n_appointments > IAPT_RECORD_EVENTS_MAX ? "appointments"
                              : rec->n_scores > IAPT_RECORD_EVENTS_MAX     ? "scores"
                              : rec->n_problems > IAPT_RECORD_EVENTS_MAX   ? "problems"
                                                                           : "employment",
                              IAPT_RECORD_EVENTS_MAX);

    for (size_t i = 0; i < rec->n_appointments; i++) {
        const Iapt__Appointment *a = rec->appointments[i];
        if (!a)
            return iapt_error_set(IAPT_EFORMAT, "appointments[%zu]: missing", i);
        if (!s_event_day_ok(a->day, end))
            return iapt_error_set(IAPT_EFORMAT,
                                  "appointments[%zu].day: after the period end or beyond 100 "
                                  "years",
                                  i);
        if (!a->app_type || !s_in(a->app_type, s_app_types, N(s_app_types)))
            return iapt_error_set(IAPT_EFORMAT, "appointments[%zu].app_type: not a valid code", i);
        if (!a->attendance || !s_in(a->attendance, s_attendances, N(s_attendances)))
            return iapt_error_set(IAPT_EFORMAT, "appointments[%zu].attendance: not a valid code",
                                  i);
        if (!s_coded_ok(a->mechanism, s_mechanisms, N(s_mechanisms)))
            return iapt_error_set(IAPT_EFORMAT, "appointments[%zu].mechanism: not a valid code", i);
        if (a->n_therapy > IAPT_RECORD_THERAPIES_MAX)
            return iapt_error_set(IAPT_EFORMAT, "appointments[%zu].therapy: more than %d", i,
                                  IAPT_RECORD_THERAPIES_MAX);
    }
    for (size_t i = 0; i < rec->n_scores; i++) {
        const Iapt__Score *s = rec->scores[i];
        if (!s)
            return iapt_error_set(IAPT_EFORMAT, "scores[%zu]: missing", i);
        if (!s_event_day_ok(s->day, end))
            return iapt_error_set(IAPT_EFORMAT,
                                  "scores[%zu].day: after the period end or beyond 100 years", i);
        if (s->source != IAPT__SCORE_SOURCE__SCORE_IDS606 &&
            s->source != IAPT__SCORE_SOURCE__SCORE_IDS607)
            return iapt_error_set(IAPT_EFORMAT, "scores[%zu].source: not IDS606 or IDS607", i);
    }
    for (size_t i = 0; i < rec->n_problems; i++) {
        const Iapt__ProblemDescriptor *p = rec->problems[i];
        if (!p)
            return iapt_error_set(IAPT_EFORMAT, "problems[%zu]: missing", i);
        if (!s_icd10_ok(p->code))
            return iapt_error_set(IAPT_EFORMAT, "problems[%zu].code: not an ICD-10 code", i);
        if (p->has_significance && p->significance != 1 && p->significance != 2)
            return iapt_error_set(IAPT_EFORMAT, "problems[%zu].significance: not 1 or 2", i);
        if (p->has_day && !s_event_day_ok(p->day, end))
            return iapt_error_set(IAPT_EFORMAT,
                                  "problems[%zu].day: after the period end or beyond 100 years", i);
    }
    for (size_t i = 0; i < rec->n_employment; i++) {
        const Iapt__EmploymentRecord *e = rec->employment[i];
        if (!e)
            return iapt_error_set(IAPT_EFORMAT, "employment[%zu]: missing", i);
        if (!s_event_day_ok(e->day, end))
            return iapt_error_set(
                IAPT_EFORMAT, "employment[%zu].day: after the period end or beyond 100 years", i);
        if (!s_coded_ok(e->status, s_employ_status, N(s_employ_status)))
            return iapt_error_set(IAPT_EFORMAT, "employment[%zu].status: not a valid code", i);
        if (!s_coded_ok(e->sick_pay, s_yes_no, N(s_yes_no)))
            return iapt_error_set(IAPT_EFORMAT, "employment[%zu].sick_pay: not Y, N or ?", i);
        if (!s_coded_ok(e->benefits, s_yes_no, N(s_yes_no)))
            return iapt_error_set(IAPT_EFORMAT, "employment[%zu].benefits: not Y, N or ?", i);
    }
    return 0;
}

static void
s_appointments(const Iapt__PathwayRecord *rec, iapt_adult_derived_t *d, uint32_t *therapy_tally)
{
    int32_t first = INT32_MAX, second = INT32_MAX, last = INT32_MIN, assess = INT32_MAX;

    for (size_t i = 0; i < rec->n_appointments; i++) {
        const Iapt__Appointment *a = rec->appointments[i];
        int att = a->attendance[0] - '0'; /* a valid code: one digit 2..7 */
        bool attended = att == 5 || att == 6;
        bool treat_type = strcmp(a->app_type, "02") == 0 || strcmp(a->app_type, "03") == 0 ||
                          strcmp(a->app_type, "05") == 0;
        bool assess_type = strcmp(a->app_type, "01") == 0 || strcmp(a->app_type, "03") == 0;
        bool in_period = a->day >= 0; /* and <= E: checked */

        d->care_contact_count++;
        if (in_period) {
            d->appts_in_period++;
            d->appts_by_attendance[att]++;
        }
        if (attended && assess_type && a->day < assess)
            assess = a->day;
        if (!(attended && treat_type))
            continue;

        d->treatment_count++;
        /* The two earliest treatment days with repeats: two on one day make
         * that day the second date too. */
        if (a->day < first) {
            second = first;
            first = a->day;
        } else if (a->day < second) {
            second = a->day;
        }
        if (a->day > last)
            last = a->day;

        uint32_t mask = 0;
        for (size_t t = 0; t < a->n_therapy; t++) {
            int k = iapt_therapy_index(a->therapy[t]);
            if (k >= 0)
                mask |= 1u << k;
        }
        /* An appointment counts once per therapy name. */
        for (int k = 0; k < IAPT_THERAPY_NAMES; k++)
            if (mask & (1u << k))
                therapy_tally[k]++;
        if (in_period && (mask & (1u << IAPT_THERAPY_CBT)))
            d->cbt_appts++;
        if (in_period && (mask & (1u << IAPT_THERAPY_CFD)))
            d->cfd_appts++;
    }
    d->assessment_first_day = assess == INT32_MAX ? IAPT_DAY_NONE : assess;
    d->therapy_first_day = first == INT32_MAX ? IAPT_DAY_NONE : first;
    d->therapy_second_day = second == INT32_MAX ? IAPT_DAY_NONE : second;
    d->therapy_last_day = last == INT32_MIN ? IAPT_DAY_NONE : last;
}

/* Index of the primary problem descriptor, or -1 (MEASURES-NOTES "Primary
 * problem descriptor"). Every row is dated on or before E (checked). */
static int
s_primary_problem(const Iapt__PathwayRecord *rec)
{
    bool any_primary = false;
    for (size_t i = 0; i < rec->n_problems; i++)
        if (rec->problems[i]->has_significance && rec->problems[i]->significance == 1)
            any_primary = true;
    int best = -1;
    for (size_t i = 0; i < rec->n_problems; i++) {
        const Iapt__ProblemDescriptor *p = rec->problems[i];
        if (any_primary && !(p->has_significance && p->significance == 1))
            continue;
        if (best < 0) {
            best = (int)i;
            continue;
        }
        const Iapt__ProblemDescriptor *b = rec->problems[best];
        /* Undated rows rank before dated ones; ties keep the earlier row. */
        if (p->has_day && (!b->has_day || p->day > b->day))
            best = (int)i;
    }
    return best;
}

static void
s_scores(const Iapt__PathwayRecord *rec, const iapt_tools_t *tools, iapt_adult_derived_t *d)
{
    s_tool_scores_t ts[IAPT_TOOLS_MAX];
    memset(ts, 0, sizeof ts);
    int32_t window_end = d->discharged ? d->discharge_day : d->period_end;

    for (size_t i = 0; i < rec->n_scores; i++) {
        const Iapt__Score *s = rec->scores[i];
        int t = iapt_tools_find(tools, s->tool);
        if (t < 0 || !iapt_tool_in_range(&tools->tool[t], s->value_x100))
            continue;
        if (s->day < d->referral_day || s->day > window_end)
            continue;
        s_score_key_t key = {s->day, (int32_t)s->source, i};
        s_tool_scores_t *x = &ts[t];
        if (x->count == 0 || s_key_cmp(&key, &x->first_key) < 0) {
            x->first_key = key;
            x->first = s->value_x100;
        }
        if (x->count == 0 || s_key_cmp(&key, &x->last_key) > 0) {
            x->last_key = key;
            x->last = s->value_x100;
        }
        x->count++;
    }

    int anx = tools->anxiety;
    if (d->primary_problem[0]) {
        int adsm = iapt_tools_adsm_for(tools, d->primary_problem);
        if (adsm >= 0 && ts[adsm].count >= 2) {
            anx = adsm;
            d->adsm_used = true;
        }
    }
    s_summarise(tools, ts, tools->depression, &d->phq);
    s_summarise(tools, ts, anx, &d->anxiety);

    const iapt_tool_t *pt = &tools->tool[tools->depression], *at = &tools->tool[anx];
    const iapt_score_summary_t *p = &d->phq, *a = &d->anxiety;
    bool both_first = p->count >= 1 && a->count >= 1;
    bool both_paired = p->count >= 2 && a->count >= 2;

    d->at_caseness = (p->count >= 1 && p->first_x100 >= pt->caseness_x100) ||
                     (a->count >= 1 && a->first_x100 >= at->caseness_x100);
    d->not_caseness = d->finished && both_first && p->first_x100 < pt->caseness_x100 &&
                      a->first_x100 < at->caseness_x100;
    if (d->finished && both_paired) {
        bool improved = p->improved || a->improved;
        bool deteriorated = p->deteriorated || a->deteriorated;
        d->reliable_improvement = improved && !deteriorated;
        d->reliable_deterioration = deteriorated && !improved;
        d->no_change = !d->reliable_improvement && !d->reliable_deterioration;
        d->recovery =
            d->at_caseness && p->last_x100 < pt->caseness_x100 && a->last_x100 < at->caseness_x100;
        d->reliable_recovery = d->recovery && d->reliable_improvement;
    }
    d->paired_phq = d->finished && p->count >= 2;
    d->paired_anxiety = d->finished && a->count >= 2;
}

static void
s_employment(const Iapt__PathwayRecord *rec, iapt_adult_derived_t *d)
{
    const Iapt__EmploymentRecord *first = NULL, *last = NULL;
    for (size_t i = 0; i < rec->n_employment; i++) {
        const Iapt__EmploymentRecord *e = rec->employment[i];
        if (d->discharged && e->day > d->discharge_day)
            continue;
        /* By date, ties by file order: the first keeps the earliest row of
         * its day, the last the latest row of its day. */
        if (!first || e->day < first->day)
            first = e;
        if (!last || e->day >= last->day)
            last = e;
    }
    if (first) {
        d->sick_pay_first = s_flag(first->sick_pay);
        d->benefits_first = s_flag(first->benefits);
        d->sick_pay_last = s_flag(last->sick_pay);
        d->benefits_last = s_flag(last->benefits);
    }
    d->off_sick_pay = d->finished && d->sick_pay_first == 'Y' && d->sick_pay_last == 'N';
    d->off_benefits = d->finished && d->benefits_first == 'Y' && d->benefits_last == 'N';
}

static enum iapt_ethnic_group
s_ethnic_group(const char *code)
{
    /* Level order of the ethnicity breakdown -> the M206-M210 groups. */
    static const enum iapt_ethnic_group by_level[] = {IAPT_ETHNIC_WHITE, IAPT_ETHNIC_MIXED,
                                                      IAPT_ETHNIC_ASIAN, IAPT_ETHNIC_BLACK,
                                                      IAPT_ETHNIC_OTHER};
    int level = iapt_level_ethnicity(code);
    return level < 5 ? by_level[level] : IAPT_ETHNIC_NONE;
}

static void
s_levels(const Iapt__PathwayRecord *rec, const uint32_t *therapy_tally, iapt_adult_derived_t *d)
{
    d->level[IAPT_BREAKDOWN_NONE] = 0;
    d->level[IAPT_BREAKDOWN_AGE] =
        rec->has_age_band && rec->age_band >= 1 && rec->age_band <= 8 ? rec->age_band - 1 : 8;
    d->level[IAPT_BREAKDOWN_GENDER] = (uint8_t)iapt_level_gender(rec->gender_identity);
    d->level[IAPT_BREAKDOWN_ETHNICITY] = (uint8_t)iapt_level_ethnicity(rec->ethnic_category);
    d->level[IAPT_BREAKDOWN_IMD] = rec->has_imd_decile ? (uint8_t)(rec->imd_decile - 1) : 10;
    d->level[IAPT_BREAKDOWN_PROBLEM] = (uint8_t)iapt_level_problem(d->primary_problem);
    /* Most appointments; a tie goes to the name first in the list. */
    int best = IAPT_THERAPY_NAMES; /* None */
    for (int k = 0; k < IAPT_THERAPY_NAMES; k++)
        if (therapy_tally[k] > 0 &&
            (best == IAPT_THERAPY_NAMES || therapy_tally[k] > therapy_tally[best]))
            best = k;
    d->level[IAPT_BREAKDOWN_THERAPY] = (uint8_t)best;
    d->level[IAPT_BREAKDOWN_SOURCE] = (uint8_t)iapt_level_source(rec->referral_source);
    d->level[IAPT_BREAKDOWN_LTC] = rec->has_long_term_condition && rec->long_term_condition ? 0 : 1;
}

int
iapt_adult_derive(const Iapt__PathwayRecord *rec, const iapt_period_t *period,
                  const iapt_tools_t *tools, iapt_adult_derived_t *out)
{
    if (!rec || !period || !tools || !out)
        return iapt_error_set(IAPT_EUSAGE, "iapt_adult_derive: NULL argument");
    if (period->length < 1 || period->length > 31)
        return iapt_error_set(IAPT_EUSAGE, "iapt_adult_derive: not a reporting period");
    if (tools->n < 1 || tools->n > IAPT_TOOLS_MAX || tools->depression < 0 ||
        tools->depression >= tools->n || tools->anxiety < 0 || tools->anxiety >= tools->n)
        return iapt_error_set(IAPT_EUSAGE, "iapt_adult_derive: tool table without PHQ-9 and GAD-7");

    int32_t end = period->length - 1;
    int rc = s_check_record(rec, end);
    if (rc < 0)
        return rc;

    iapt_adult_derived_t *d = out;
    memset(d, 0, sizeof *d);
    d->period_end = end;
    d->referral_day = rec->referral_day;
    d->discharged = rec->has_discharge_day; /* 0 <= day <= E: checked */
    d->discharge_day = d->discharged ? rec->discharge_day : IAPT_DAY_NONE;
    d->discharged_in_period = d->discharged;
    d->end_code = -1;
    if (d->discharged && rec->end_code && strcmp(rec->end_code, "?") != 0)
        d->end_code = (rec->end_code[0] - '0') * 10 + (rec->end_code[1] - '0');
    d->referred_in_period = rec->referral_day >= 0;
    d->self_referral = rec->referral_source && strcmp(rec->referral_source, "B1") == 0;
    d->gp_referral = rec->referral_source && strcmp(rec->referral_source, "A1") == 0;

    uint32_t therapy_tally[IAPT_THERAPY_NAMES] = {0};
    s_appointments(rec, d, therapy_tally);
    d->has_wait = d->therapy_first_day != IAPT_DAY_NONE;
    d->wait = d->has_wait ? d->therapy_first_day - d->referral_day : 0;
    d->finished = d->discharged && d->treatment_count >= 2;

    int pp = s_primary_problem(rec);
    if (pp >= 0)
        memcpy(d->primary_problem, rec->problems[pp]->code, strlen(rec->problems[pp]->code) + 1);
    s_scores(rec, tools, d);
    s_employment(rec, d);
    d->ethnic_group = s_ethnic_group(rec->ethnic_category);
    s_levels(rec, therapy_tally, d);
    return 0;
}

/* ---------------------------------------------------------------------------
 * Cell contribution
 * ------------------------------------------------------------------------ */

void
iapt_adult_contribution(const iapt_adult_derived_t *d, const char *commissioner,
                        iapt_contribution_t *out)
{
    memset(out, 0, sizeof *out);
    out->place = commissioner;
    memcpy(out->level, d->level, sizeof d->level);
    uint64_t *c = out->counter;
    bool entered = d->therapy_first_day != IAPT_DAY_NONE && d->therapy_first_day >= 0 &&
                   d->therapy_first_day <= d->period_end;
    bool ended = d->discharged_in_period;
    bool finished = ended && d->finished;

    c[IAPT_C_REFERRALS] = 1;
    c[IAPT_C_M001] = d->referred_in_period;
    c[IAPT_C_M002] = d->referred_in_period && d->self_referral;
    c[IAPT_C_M003] = d->referred_in_period && d->gp_referral;
    c[IAPT_C_M023] = d->assessment_first_day != IAPT_DAY_NONE && d->assessment_first_day >= 0 &&
                     d->assessment_first_day <= d->period_end;
    if (entered) {
        c[IAPT_C_M031] = 1;
        c[IAPT_C_M036] = d->wait <= 42;
        c[IAPT_C_M037] = d->wait <= 126;
        out->has_value[IAPT_D_WAIT] = true;
        out->value[IAPT_D_WAIT] = d->wait;
    }
    bool waiting = d->treatment_count == 0 && !d->discharged;
    c[IAPT_C_M038] = waiting;
    c[IAPT_C_M044] = waiting && (int64_t)d->period_end - d->referral_day > 126;
    if (ended) {
        static const struct {
            int code, counter;
        } by_end[] = {{10, IAPT_C_M057}, {11, IAPT_C_M058}, {12, IAPT_C_M059}, {13, IAPT_C_M060},
                      {14, IAPT_C_M061}, {17, IAPT_C_M062}, {95, IAPT_C_M063}, {46, IAPT_C_M066},
                      {49, IAPT_C_M069}, {96, IAPT_C_M070}};
        c[IAPT_C_M056] = 1;
        for (size_t i = 0; i < sizeof by_end / sizeof *by_end; i++)
            if (d->end_code == by_end[i].code)
                c[by_end[i].counter] = 1;
        c[IAPT_C_M073] = d->care_contact_count == 0;
        c[IAPT_C_M074] = d->treatment_count == 0 && d->care_contact_count > 0;
        c[IAPT_C_M075] = d->treatment_count == 1;
        c[IAPT_C_M179] = d->not_caseness;
        c[IAPT_C_M185] = d->reliable_improvement;
        c[IAPT_C_M187] = d->no_change;
        c[IAPT_C_M189] = d->reliable_deterioration;
        c[IAPT_C_M191] = d->recovery;
        c[IAPT_C_M193] = d->reliable_recovery;
    }
    if (finished) {
        c[IAPT_C_M076] = 1;
        c[IAPT_C_M201] = d->paired_phq;
        c[IAPT_C_M198] = d->paired_anxiety;
        c[IAPT_C_M237] = d->off_sick_pay;
        c[IAPT_C_FINISHED_6W] = d->has_wait && d->wait <= 42;
        c[IAPT_C_FINISHED_18W] = d->has_wait && d->wait <= 126;
        c[IAPT_C_OFF_SSP_OR_BENEFITS] = d->off_sick_pay || d->off_benefits;
        out->has_value[IAPT_D_TREATMENTS] = true;
        /* A count beyond the cell's value limit is refused by the cell. */
        out->value[IAPT_D_TREATMENTS] =
            d->treatment_count > (uint32_t)INT32_MAX ? INT32_MAX : (int32_t)d->treatment_count;
    }
    if (ended && d->ethnic_group < IAPT_ETHNIC_NONE) {
        c[IAPT_C_ETH_FINISHED + d->ethnic_group] = finished;
        c[IAPT_C_ETH_NOT_CASENESS + d->ethnic_group] = d->not_caseness;
        c[IAPT_C_ETH_RELIABLE_RECOVERY + d->ethnic_group] = d->reliable_recovery;
    }
    c[IAPT_C_M184] = d->therapy_second_day != IAPT_DAY_NONE && d->therapy_second_day >= 0 &&
                     d->therapy_second_day <= d->period_end;

    c[IAPT_C_M082] = d->appts_in_period;
    for (int a = IAPT_ATTEND_MIN; a <= IAPT_ATTEND_MAX; a++)
        c[IAPT_C_M083 + a - IAPT_ATTEND_MIN] = d->appts_by_attendance[a];
    c[IAPT_C_M110] = d->cbt_appts;
    c[IAPT_C_M104] = d->cfd_appts;
}

int
iapt_adult_cell_add(iapt_cell_t *cell, const iapt_adult_derived_t *d)
{
    iapt_contribution_t c;
    iapt_adult_contribution(d, "", &c);
    return iapt_cell_add(cell, &c);
}

int
iapt_adult_agg_add(iapt_agg_t *agg, const char *commissioner, const iapt_adult_derived_t *d)
{
    iapt_contribution_t c;
    iapt_adult_contribution(d, commissioner, &c);
    return iapt_agg_add(agg, &c);
}

uint64_t
iapt_adult_off_sick_pay_or_benefits(const iapt_cell_t *cell)
{
    return iapt_cell_counter(cell, IAPT_C_OFF_SSP_OR_BENEFITS);
}

/* ---------------------------------------------------------------------------
 * Derivation hooks (iapt_adult_measure_schema.derive)
 * ------------------------------------------------------------------------ */

/* Decoding allocates a few dozen small objects per record; a bump arena
 * reset per record takes them from one block instead of malloc and free.
 * What does not fit goes to malloc and is freed by free_unpacked. */
#define S_ARENA_BYTES (256u << 10)

/* Pathway ids seen in the submission: open addressing over 16-byte ids,
 * placed by keyed SipHash with a random key (the auditor derives records
 * the hub sent it: chosen ids must not make probing quadratic). */
typedef struct {
    uint8_t (*slot)[16];
    bool *used;
    size_t cap, n;
    uint8_t key[crypto_shorthash_KEYBYTES];
} s_idset_t;

static size_t
s_idset_hash(const s_idset_t *set, const uint8_t id[16])
{
    uint8_t h[crypto_shorthash_BYTES];
    uint64_t v;
    crypto_shorthash(h, id, 16, set->key);
    memcpy(&v, h, sizeof v);
    return (size_t)v;
}

typedef struct {
    iapt_period_t period;
    const iapt_tools_t *tools;
    iapt_tools_t default_tools;
    uint8_t *arena;
    size_t arena_used;
    ProtobufCAllocator alloc;
    s_idset_t ids;
} s_state_t;

static void *
s_arena_alloc(void *data, size_t size)
{
    s_state_t *s = data;
    size_t n = (size + 15) & ~(size_t)15;
    if (n >= size && s->arena && S_ARENA_BYTES - s->arena_used >= n) {
        void *p = s->arena + s->arena_used;
        s->arena_used += n;
        return p;
    }
    return malloc(size);
}

static void
s_arena_free(void *data, void *p)
{
    s_state_t *s = data;
    uint8_t *q = p;
    if (!s->arena || q < s->arena || q >= s->arena + S_ARENA_BYTES)
        free(p);
}

/* 1 added, 0 already there, IAPT_ENOMEM. */
static int
s_idset_add(s_idset_t *set, const uint8_t id[16])
{
    if ((set->n + 1) * 2 > set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 1024;
        uint8_t(*slot)[16] = malloc(cap * 16);
        bool *used = calloc(cap, 1);
        if (!slot || !used) {
            free(slot);
            free(used);
            return iapt_error_set(IAPT_ENOMEM, "derive: out of memory");
        }
        for (size_t i = 0; i < set->cap; i++) {
            if (!set->used[i])
                continue;
            size_t j = s_idset_hash(set, set->slot[i]) & (cap - 1);
            while (used[j])
                j = (j + 1) & (cap - 1);
            memcpy(slot[j], set->slot[i], 16);
            used[j] = true;
        }
        free(set->slot);
        free(set->used);
        set->slot = slot;
        set->used = used;
        set->cap = cap;
    }
    size_t j = s_idset_hash(set, id) & (set->cap - 1);
    while (set->used[j]) {
        if (memcmp(set->slot[j], id, 16) == 0)
            return 0;
        j = (j + 1) & (set->cap - 1);
    }
    memcpy(set->slot[j], id, 16);
    set->used[j] = true;
    set->n++;
    return 1;
}

void
iapt_adult_derive_free(void *state)
{
    s_state_t *s = state;
    if (!s)
        return;
    free(s->arena);
    free(s->ids.slot);
    free(s->ids.used);
    free(s);
}

int
iapt_adult_derive_open(const iapt_derive_context_t *ctx, void **state)
{
    if (!ctx || !ctx->period || !state)
        return iapt_error_set(IAPT_EUSAGE, "adult derive: no period");
    if (sodium_init() < 0) /* idempotent; the id set's key is random */
        return iapt_error_set(IAPT_ECRYPTO, "adult derive: libsodium does not initialise");
    s_state_t *s = calloc(1, sizeof *s);
    if (!s)
        return iapt_error_set(IAPT_ENOMEM, "adult derive: out of memory");
    s->period = *ctx->period;
    if (ctx->config) {
        s->tools = ctx->config;
    } else {
        iapt_tools_default(&s->default_tools);
        s->tools = &s->default_tools;
    }
    s->arena = malloc(S_ARENA_BYTES); /* NULL is fine: malloc per object */
    randombytes_buf(s->ids.key, sizeof s->ids.key);
    s->alloc = (ProtobufCAllocator){s_arena_alloc, s_arena_free, s};
    *state = s;
    return 0;
}

int
iapt_adult_derive_record(void *state, const uint8_t *bytes, size_t len, size_t index,
                         iapt_emit_fn emit, void *arg)
{
    s_state_t *s = state;
    (void)index;
    s->arena_used = 0;
    Iapt__PathwayRecord *rec = iapt__pathway_record__unpack(&s->alloc, len, bytes);
    if (!rec)
        return iapt_error_set(IAPT_EFORMAT, "does not decode as a pathway record");
    iapt_adult_derived_t d;
    int rc = iapt_adult_derive(rec, &s->period, s->tools, &d);
    if (rc == 0) {
        int added = s_idset_add(&s->ids, rec->pathway_id.data);
        if (added == 0)
            rc = iapt_error_set(IAPT_EFORMAT, "repeats a pathway id");
        else if (added < 0)
            rc = added;
    }
    if (rc == 0) {
        iapt_contribution_t c;
        iapt_adult_contribution(&d, rec->commissioner, &c);
        rc = emit(arg, &c);
    }
    iapt__pathway_record__free_unpacked(rec, &s->alloc);
    return rc;
}
