/* cyp_derive.c - one anonymised CYP referral record -> every per-referral
 * field and flag of docs/CYP.md (readings in docs/CYP-NOTES.md). Every
 * guarantee of proto/cyp.proto is checked first. */

#include "common/collections/cyp/cyp_derive.h"
#include "common/collections/cyp/cyp_codes.h"
#include "common/err.h"

#include <string.h>

/* An optional coded field: absent, "?" (present but invalid at the node) or
 * a listed code. */
static bool
s_coded_ok(const char *code, int which)
{
    return !code || strcmp(code, "?") == 0 || iapt_cyp_code_index(which, code) >= 0;
}

/* Level of an optional coded field: the code's position, or the list's
 * length (Unknown) for a missing or invalid value. */
static uint8_t
s_level(const char *code, int which)
{
    int i = iapt_cyp_code_index(which, code);
    return (uint8_t)(i < 0 ? (int)iapt_cyp_codes(which)->n : i);
}

static bool
s_day_ok(int32_t day)
{
    return day >= -IAPT_CYP_DAY_LIMIT && day <= IAPT_CYP_DAY_LIMIT;
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

/* A tool code as the table allows it: 1..16 of printable ASCII, no space
 * or comma. */
static bool
s_tool_code_ok(const char *s)
{
    if (!s)
        return false;
    size_t n = strlen(s);
    if (n == 0 || n > IAPT_CYP_TOOL_CODE_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] <= ' ' || s[i] > '~' || s[i] == ',')
            return false;
    return true;
}

#define S_FAIL(...) iapt_error_set(IAPT_EFORMAT, __VA_ARGS__)

static int
s_check_record(const Iapt__CypReferralRecord *rec, int32_t end)
{
    if (rec->pathway_id.len != 16 || !rec->pathway_id.data)
        return S_FAIL("pathway_id: not 16 bytes");
    if (rec->person_id.len != 16 || !rec->person_id.data)
        return S_FAIL("person_id: not 16 bytes");
    if (rec->has_person_id_basis &&
        rec->person_id_basis != IAPT__CYP_PERSON_ID_BASIS__CYP_PERSON_ID_NHS_NUMBER &&
        rec->person_id_basis != IAPT__CYP_PERSON_ID_BASIS__CYP_PERSON_ID_LOCAL)
        return S_FAIL("person_id_basis: not a known basis");
    if (!s_org_code_ok(rec->commissioner))
        return S_FAIL("commissioner: not 3 to 5 of [A-Z0-9]");
    if (!s_day_ok(rec->referral_day))
        return S_FAIL("referral_day: beyond 100 years");
    if (rec->referral_day > end)
        return S_FAIL("referral_day: after the period end (not a referral of the period)");
    if (rec->has_closure_day && (rec->closure_day < 0 || rec->closure_day > end))
        return S_FAIL("closure_day: outside the period (a later closure is absent, an earlier "
                      "one is not a referral of the period)");
    if (rec->has_age_band && ((int)rec->age_band < IAPT__CYP_AGE_BAND__CYP_AGE_UNKNOWN ||
                              (int)rec->age_band > IAPT__CYP_AGE_BAND__CYP_AGE_26_PLUS))
        return S_FAIL("age_band: not a known band");
    if (!s_coded_ok(rec->gender_identity, IAPT_CYP_CODES_GENDER))
        return S_FAIL("gender_identity: not a valid code");
    if (!s_coded_ok(rec->ethnic_category, IAPT_CYP_CODES_ETHNIC))
        return S_FAIL("ethnic_category: not a valid code");
    if (rec->has_imd_decile && (rec->imd_decile < 1 || rec->imd_decile > 10))
        return S_FAIL("imd_decile: not 1 to 10");
    if (!s_coded_ok(rec->referral_source, IAPT_CYP_CODES_SOURCE))
        return S_FAIL("referral_source: not a valid code");
    if (!s_coded_ok(rec->team_type, IAPT_CYP_CODES_TEAM))
        return S_FAIL("team_type: not a valid code");
    if (!s_coded_ok(rec->primary_reason, IAPT_CYP_CODES_REASON))
        return S_FAIL("primary_reason: not a valid code");
    if (!s_coded_ok(rec->provider_sector, IAPT_CYP_CODES_SECTOR))
        return S_FAIL("provider_sector: not a valid code");
    if (rec->n_contacts > IAPT_CYP_EVENTS_MAX)
        return S_FAIL("contacts: more than %d entries", IAPT_CYP_EVENTS_MAX);
    if (rec->n_scores > IAPT_CYP_EVENTS_MAX)
        return S_FAIL("scores: more than %d entries", IAPT_CYP_EVENTS_MAX);

    for (size_t i = 0; i < rec->n_contacts; i++) {
        const Iapt__CypContact *c = rec->contacts[i];
        if (!c)
            return S_FAIL("contacts[%zu]: missing", i);
        if (!s_day_ok(c->day) || c->day > end)
            return S_FAIL("contacts[%zu].day: after the period end or beyond 100 years", i);
        if (iapt_cyp_code_index(IAPT_CYP_CODES_ATTENDANCE, c->attendance) < 0)
            return S_FAIL("contacts[%zu].attendance: not a valid code", i);
        if (!s_coded_ok(c->mechanism, IAPT_CYP_CODES_MECHANISM))
            return S_FAIL("contacts[%zu].mechanism: not a valid code", i);
    }
    for (size_t i = 0; i < rec->n_scores; i++) {
        const Iapt__CypScore *s = rec->scores[i];
        if (!s)
            return S_FAIL("scores[%zu]: missing", i);
        if (!s_tool_code_ok(s->tool))
            return S_FAIL("scores[%zu].tool: empty, longer than %d bytes or not printable ASCII", i,
                          IAPT_CYP_TOOL_CODE_MAX);
        if (!s_day_ok(s->day) || s->day > end)
            return S_FAIL("scores[%zu].day: after the period end or beyond 100 years", i);
        if (s->has_goal_number && (s->goal_number < 1 || s->goal_number > IAPT_CYP_GOALS))
            return S_FAIL("scores[%zu].goal_number: not 1, 2 or 3", i);
    }
    return 0;
}

static void
s_contacts(const Iapt__CypReferralRecord *rec, iapt_cyp_derived_t *d)
{
    int32_t first = INT32_MAX, second = INT32_MAX;
    for (size_t i = 0; i < rec->n_contacts; i++) {
        const Iapt__CypContact *c = rec->contacts[i];
        int att = c->attendance[0] - '0'; /* a valid code: one digit 2..7 */
        bool attended = att == 5 || att == 6;
        bool in_period = c->day >= 0; /* and <= E: checked */
        if (in_period && attended)
            d->attended_in_period++;
        if (in_period && att == 3)
            d->dnas_in_period++;
        if (!attended)
            continue;
        d->attended_contacts++;
        if (c->mechanism && strcmp(c->mechanism, "01") == 0)
            d->face_to_face = true;
        /* Two attended contacts on one day make that day the second too. */
        if (c->day < first) {
            second = first;
            first = c->day;
        } else if (c->day < second) {
            second = c->day;
        }
    }
    d->first_attended_day = first == INT32_MAX ? IAPT_CYP_DAY_NONE : first;
    d->second_attended_day = second == INT32_MAX ? IAPT_CYP_DAY_NONE : second;
    d->first_contact_in_period = first != INT32_MAX && first >= 0;
    d->second_contact_in_period = second != INT32_MAX && second >= 0;
    d->has_wait = first != INT32_MAX;
    d->wait = d->has_wait ? first - d->referral_day : 0;
    d->wait_within_4_weeks = d->first_contact_in_period && d->wait <= 28;
}

/* Position of a score: day, then file order, then place in the record. */
typedef struct {
    int32_t day;
    uint32_t file_order;
    size_t index;
} s_key_t;

static int
s_key_cmp(const s_key_t *a, const s_key_t *b)
{
    if (a->day != b->day)
        return a->day < b->day ? -1 : 1;
    if (a->file_order != b->file_order)
        return a->file_order < b->file_order ? -1 : 1;
    return a->index < b->index ? -1 : a->index > b->index ? 1 : 0;
}

typedef struct {
    uint32_t count;
    s_key_t first_key, last_key;
    int32_t first, last;
} s_acc_t;

static void
s_scores(const Iapt__CypReferralRecord *rec, const iapt_cyp_tools_t *tools, iapt_cyp_derived_t *d)
{
    /* Accumulators: symptom tools at their table index, goal numbers 1..3
     * after the table. */
    s_acc_t acc[IAPT_CYP_SERIES_MAX];
    memset(acc, 0, sizeof acc);
    int32_t window_end = d->closure_day != IAPT_CYP_DAY_NONE ? d->closure_day : d->period_end;

    for (size_t i = 0; i < rec->n_scores; i++) {
        const Iapt__CypScore *s = rec->scores[i];
        int t = iapt_cyp_tools_find(tools, s->tool);
        if (t < 0 || !iapt_cyp_tool_in_range(&tools->tool[t], s->value_x100) ||
            (tools->tool[t].kind == IAPT_CYP_TOOL_GOAL) != (bool)s->has_goal_number ||
            s->day < d->referral_day || s->day > window_end) {
            d->scores_ignored++;
            continue;
        }
        int slot = s->has_goal_number ? IAPT_CYP_TOOLS_MAX + (int)s->goal_number - 1 : t;
        s_key_t key = {s->day, s->file_order, i};
        s_acc_t *a = &acc[slot];
        if (a->count == 0 || s_key_cmp(&key, &a->first_key) < 0) {
            a->first_key = key;
            a->first = s->value_x100;
        }
        if (a->count == 0 || s_key_cmp(&key, &a->last_key) > 0) {
            a->last_key = key;
            a->last = s->value_x100;
        }
        a->count++;
    }

    for (int slot = 0; slot < IAPT_CYP_SERIES_MAX; slot++) {
        if (acc[slot].count == 0)
            continue;
        bool goal = slot >= IAPT_CYP_TOOLS_MAX;
        int t = goal ? tools->goal : slot; /* a goal score implies a goal tool */
        const iapt_cyp_tool_t *tool = &tools->tool[t];
        iapt_cyp_series_t *x = &d->series[d->n_series++];
        x->tool = t;
        x->goal_number = goal ? (uint8_t)(slot - IAPT_CYP_TOOLS_MAX + 1) : 0;
        x->count = acc[slot].count;
        x->first_x100 = acc[slot].first;
        x->last_x100 = acc[slot].last;
        x->paired = x->count >= 2;
        x->at_caseness = !goal && iapt_cyp_tool_at_caseness(tool, x->first_x100);
        x->last_at_caseness = !goal && iapt_cyp_tool_at_caseness(tool, x->last_x100);
        if (x->paired) {
            int64_t gain = iapt_cyp_tool_gain(tool, x->first_x100, x->last_x100);
            x->improved = gain >= tool->reliable_x100;
            x->deteriorated = -gain >= tool->reliable_x100;
        }
        x->eligible = x->paired && (goal || x->at_caseness);
        if (goal && x->paired) {
            d->paired_goal_series++;
            d->goal_change_sum_x100 += (int64_t)x->last_x100 - x->first_x100;
        }
    }
}

static void
s_outcomes(const iapt_cyp_tools_t *tools, iapt_cyp_derived_t *d)
{
    bool any_paired = false, any_eligible = false, any_improved = false, any_deteriorated = false;
    bool any_caseness_pair = false, all_caseness_pairs_recover = true;
    for (int i = 0; i < d->n_series; i++) {
        const iapt_cyp_series_t *x = &d->series[i];
        any_paired |= x->paired;
        if (!x->eligible)
            continue;
        any_eligible = true;
        any_improved |= x->improved;
        any_deteriorated |= x->deteriorated;
        if (x->goal_number == 0) { /* paired, at caseness */
            any_caseness_pair = true;
            if (x->last_at_caseness)
                all_caseness_pairs_recover = false;
        }
    }
    bool closed = d->closed_in_period;
    d->closed_two_contacts = closed && d->attended_contacts >= 2;
    d->closed_paired = d->closed_two_contacts && any_paired;
    d->outcome_eligible = d->closed_two_contacts && d->face_to_face && any_eligible;
    d->measurable_improvement = d->outcome_eligible && any_improved && !any_deteriorated;
    d->deterioration = d->outcome_eligible && any_deteriorated;
    d->recovery_eligible = d->outcome_eligible && any_caseness_pair;
    d->recovered = d->recovery_eligible && all_caseness_pairs_recover && !any_deteriorated;

    if (d->paired_goal_series > 0) {
        /* 600 / k is whole for k = 1, 2, 3: the mean is exact in 1/600. */
        d->goal_movement_x600 =
            d->goal_change_sum_x100 * (IAPT_CYP_GOAL_UNIT / 100) / (int64_t)d->paired_goal_series;
    }
    d->closed_paired_goals = closed && d->paired_goal_series > 0;
    d->reliable_goal_improvement =
        d->closed_paired_goals && tools->goal >= 0 &&
        d->goal_movement_x600 >=
            (int64_t)tools->tool[tools->goal].reliable_x100 * (IAPT_CYP_GOAL_UNIT / 100);
}

static void
s_levels(const Iapt__CypReferralRecord *rec, iapt_cyp_derived_t *d)
{
    /* Ethnic categories -> White, Mixed, Asian, Black, Other, Not stated,
     * Not known (the adult levels); Unknown for missing or invalid. */
    static const struct {
        const char *code;
        uint8_t level;
    } ethnic[] = {{"A", 0}, {"B", 0}, {"C", 0}, {"D", 1}, {"E", 1}, {"F", 1},
                  {"G", 1}, {"H", 2}, {"J", 2}, {"K", 2}, {"L", 2}, {"M", 3},
                  {"N", 3}, {"P", 3}, {"R", 4}, {"S", 4}, {"Z", 5}, {"99", 6}};
    d->level[IAPT_CYP_BD_NONE] = 0;
    /* Bands 1..6 -> levels 0..5; unknown (0 or absent) -> 6. */
    d->level[IAPT_CYP_BD_AGE] =
        rec->has_age_band && rec->age_band >= IAPT__CYP_AGE_BAND__CYP_AGE_0_4
            ? (uint8_t)(rec->age_band - 1)
            : 6;
    d->level[IAPT_CYP_BD_GENDER] = s_level(rec->gender_identity, IAPT_CYP_CODES_GENDER);
    d->level[IAPT_CYP_BD_ETHNICITY] = 7;
    if (rec->ethnic_category)
        for (size_t i = 0; i < sizeof ethnic / sizeof *ethnic; i++)
            if (strcmp(rec->ethnic_category, ethnic[i].code) == 0)
                d->level[IAPT_CYP_BD_ETHNICITY] = ethnic[i].level;
    d->level[IAPT_CYP_BD_IMD] = rec->has_imd_decile ? (uint8_t)(rec->imd_decile - 1) : 10;
    d->level[IAPT_CYP_BD_TEAM] = s_level(rec->team_type, IAPT_CYP_CODES_TEAM);
    d->level[IAPT_CYP_BD_REASON] = s_level(rec->primary_reason, IAPT_CYP_CODES_REASON);
    d->level[IAPT_CYP_BD_SOURCE] = s_level(rec->referral_source, IAPT_CYP_CODES_SOURCE);
    d->level[IAPT_CYP_BD_SECTOR] = s_level(rec->provider_sector, IAPT_CYP_CODES_SECTOR);
}

int
iapt_cyp_derive(const Iapt__CypReferralRecord *rec, const iapt_period_t *period,
                const iapt_cyp_tools_t *tools, iapt_cyp_derived_t *out)
{
    if (!rec || !period || !tools || !out)
        return iapt_error_set(IAPT_EUSAGE, "iapt_cyp_derive: NULL argument");
    if (period->length < 1 || period->length > 31)
        return iapt_error_set(IAPT_EUSAGE, "iapt_cyp_derive: not a reporting period");
    if (tools->n < 1 || tools->n > IAPT_CYP_TOOLS_MAX || tools->goal < -1 ||
        tools->goal >= tools->n ||
        (tools->goal >= 0 && tools->tool[tools->goal].kind != IAPT_CYP_TOOL_GOAL))
        return iapt_error_set(IAPT_EUSAGE, "iapt_cyp_derive: not a loaded tool table");

    int32_t end = period->length - 1;
    int rc = s_check_record(rec, end);
    if (rc < 0)
        return rc;

    iapt_cyp_derived_t *d = out;
    memset(d, 0, sizeof *d);
    d->period_end = end;
    d->referral_day = rec->referral_day;
    d->closure_day = rec->has_closure_day ? rec->closure_day : IAPT_CYP_DAY_NONE; /* 0..E */
    d->closed_in_period = rec->has_closure_day;
    d->open_end = !rec->has_closure_day;
    d->received_in_period = rec->referral_day >= 0;
    const char *src = rec->referral_source;
    d->self_referral = d->received_in_period && src && strcmp(src, "01") == 0;
    d->parent_referral = d->received_in_period && src && strcmp(src, "02") == 0;
    d->school_referral = d->received_in_period && src && strcmp(src, "04") == 0;
    d->cwp_team = rec->team_type && strcmp(rec->team_type, "CWP") == 0;

    s_contacts(rec, d);
    d->waiting_first_contact_end = d->open_end && d->attended_contacts == 0;
    d->waiting_over_18_weeks_end =
        d->waiting_first_contact_end && (int64_t)end - d->referral_day > 126;

    s_scores(rec, tools, d);
    s_outcomes(tools, d);
    s_levels(rec, d);
    return 0;
}

Iapt__CypAgeBand
iapt_cyp_age_band(int32_t birth_day, int32_t referral_day)
{
    int by, bm, bd, y, m, dd;
    if (birth_day > referral_day)
        return IAPT__CYP_AGE_BAND__CYP_AGE_UNKNOWN;
    iapt_civil_from_days(birth_day, &by, &bm, &bd);
    iapt_civil_from_days(referral_day, &y, &m, &dd);
    int age = y - by - (m < bm || (m == bm && dd < bd));
    if (age <= 4)
        return IAPT__CYP_AGE_BAND__CYP_AGE_0_4;
    if (age <= 10)
        return IAPT__CYP_AGE_BAND__CYP_AGE_5_10;
    if (age <= 15)
        return IAPT__CYP_AGE_BAND__CYP_AGE_11_15;
    if (age <= 17)
        return IAPT__CYP_AGE_BAND__CYP_AGE_16_17;
    if (age <= 25)
        return IAPT__CYP_AGE_BAND__CYP_AGE_18_25;
    return IAPT__CYP_AGE_BAND__CYP_AGE_26_PLUS;
}
