/* workforce_derive.c - one anonymised workforce record -> the per-staff
 * fields and flags of WORKFORCE.md, and the per-submission supervisor
 * accounting. Every guarantee of proto/workforce.proto is checked. */

#include "common/collections/workforce/workforce_derive.h"

#include "common/err.h"

#include <stdlib.h>
#include <string.h>

/* Weekday of a day number, Monday 0 .. Sunday 6 (1970-01-01 was a
 * Thursday). */
static int
s_weekday(int32_t days)
{
    int w = (int)((days + 3) % 7);
    return w < 0 ? w + 7 : w;
}

void
iapt_wf_full_weeks(const iapt_period_t *period, iapt_wf_weeks_t *out)
{
    int32_t first = (7 - s_weekday(period->start)) % 7; /* first Monday, relative */
    out->first_monday = first;
    out->count = period->length >= first + 7 ? (uint32_t)((period->length - first) / 7) : 0;
}

static bool
s_day_ok(int32_t day)
{
    return day >= -IAPT_WF_DAY_LIMIT && day <= IAPT_WF_DAY_LIMIT;
}

/* An optional coded field: absent, "?" or valid. */
static bool
s_coded_ok(const char *code, bool (*valid)(const char *))
{
    return !code || strcmp(code, "?") == 0 || valid(code);
}

static bool
s_yes_no(const char *code)
{
    return strcmp(code, "Y") == 0 || strcmp(code, "N") == 0;
}

static bool
s_id_ok(ProtobufCBinaryData id)
{
    return id.len == IAPT_WF_ID_LEN && id.data;
}

static int
s_check_staff(const Iapt__WfStaffRecord *rec, const iapt_period_t *period)
{
    if (!s_id_ok(rec->staff_id))
        return iapt_error_set(IAPT_EFORMAT, "staff_id: not %d bytes", IAPT_WF_ID_LEN);
    if (!rec->role || iapt_wf_role_find(rec->role) < 0)
        return iapt_error_set(IAPT_EFORMAT, "role: not a StaffRole code");
    if (!s_coded_ok(rec->band, iapt_wf_band_valid))
        return iapt_error_set(IAPT_EFORMAT, "band: not an AfCBand code");
    if (rec->wte_x100 < 1 || rec->wte_x100 > 100)
        return iapt_error_set(IAPT_EFORMAT, "wte_x100: not 1 to 100");
    if (!s_day_ok(rec->post_start_day))
        return iapt_error_set(IAPT_EFORMAT, "post_start_day: beyond 100 years");
    if (rec->has_post_end_day && !s_day_ok(rec->post_end_day))
        return iapt_error_set(IAPT_EFORMAT, "post_end_day: beyond 100 years");
    if (!s_coded_ok(rec->profession, iapt_wf_profession_valid))
        return iapt_error_set(IAPT_EFORMAT, "profession: not a Profession code");
    if (rec->has_training_start_day && !s_day_ok(rec->training_start_day))
        return iapt_error_set(IAPT_EFORMAT, "training_start_day: beyond 100 years");
    if (rec->has_training_completed_day && !s_day_ok(rec->training_completed_day))
        return iapt_error_set(IAPT_EFORMAT, "training_completed_day: beyond 100 years");
    if (!s_coded_ok(rec->accredited, s_yes_no))
        return iapt_error_set(IAPT_EFORMAT, "accredited: not Y, N or ?");
    if (rec->has_supervisor_id && !s_id_ok(rec->supervisor_id))
        return iapt_error_set(IAPT_EFORMAT, "supervisor_id: not %d bytes", IAPT_WF_ID_LEN);
    if (rec->n_sessions > IAPT_WF_SESSIONS_MAX)
        return iapt_error_set(IAPT_EFORMAT, "sessions: more than %d", IAPT_WF_SESSIONS_MAX);
    for (size_t i = 0; i < rec->n_sessions; i++) {
        const Iapt__WfSupervisionSession *s = rec->sessions[i];
        if (!s)
            return iapt_error_set(IAPT_EFORMAT, "sessions[%zu]: missing", i);
        if (s->day < 0 || s->day >= period->length)
            return iapt_error_set(IAPT_EFORMAT, "sessions[%zu].day: outside the period", i);
        if (i > 0 && rec->sessions[i - 1]->day > s->day)
            return iapt_error_set(IAPT_EFORMAT, "sessions[%zu].day: before the session above", i);
        if (s->minutes < 1 || s->minutes > 600)
            return iapt_error_set(IAPT_EFORMAT, "sessions[%zu].minutes: not 1 to 600", i);
        if (!s->type ||
            (strcmp(s->type, "I") != 0 && strcmp(s->type, "G") != 0 && strcmp(s->type, "C") != 0))
            return iapt_error_set(IAPT_EFORMAT, "sessions[%zu].type: not I, G or C", i);
    }
    return 0;
}

/* Count the full weeks with enough supervision: per week, twice the
 * minutes of I (and C for low-intensity roles) plus the G minutes, against
 * 120 (G at half length, exactly). Sessions outside every full week (in a
 * partial week at either end) count for nothing. */
static uint32_t
s_weeks_met(const Iapt__WfStaffRecord *rec, const iapt_wf_weeks_t *weeks, bool low_intensity)
{
    uint64_t twice[6] = {0}; /* a month has at most 4 full weeks; 6 bounds any period here */
    uint32_t n = weeks->count < 6 ? weeks->count : 6;
    for (size_t i = 0; i < rec->n_sessions; i++) {
        const Iapt__WfSupervisionSession *s = rec->sessions[i];
        int32_t off = s->day - weeks->first_monday;
        if (off < 0 || off / 7 >= (int32_t)n)
            continue;
        uint64_t m = s->minutes;
        switch (s->type[0]) {
        case 'I':
            twice[off / 7] += 2 * m;
            break;
        case 'C':
            if (low_intensity)
                twice[off / 7] += 2 * m;
            break;
        default: /* 'G' */
            twice[off / 7] += m;
            break;
        }
    }
    uint32_t met = 0;
    for (uint32_t w = 0; w < n; w++)
        if (twice[w] >= IAPT_WF_WEEK_TWICE_MINUTES)
            met++;
    return met;
}

int
iapt_wf_derive_staff(const Iapt__WfStaffRecord *rec, const iapt_period_t *period,
                     iapt_wf_derived_t *out)
{
    if (!rec || !period || !out)
        return iapt_error_set(IAPT_EFORMAT, "staff: missing");
    if (period->length < 1 || period->length > 31)
        return iapt_error_set(IAPT_EFORMAT, "period: not a calendar month");
    int rc = s_check_staff(rec, period);
    if (rc)
        return rc;

    memset(out, 0, sizeof *out);
    int32_t last = period->length - 1; /* the period end, relative */
    memcpy(out->staff_id, rec->staff_id.data, IAPT_WF_ID_LEN);
    out->role = iapt_wf_role_find(rec->role);
    out->wte_x100 = rec->wte_x100;
    out->clinical = iapt_wf_role_clinical(out->role);
    out->trainee = iapt_wf_role_trainee(out->role);
    out->low_intensity = iapt_wf_role_low_intensity(out->role);

    out->in_post_end =
        rec->post_start_day <= last && !(rec->has_post_end_day && rec->post_end_day < last);
    out->in_post_all = out->in_post_end && rec->post_start_day <= 0;
    out->starter = rec->post_start_day >= 0 && rec->post_start_day <= last;
    out->leaver = rec->has_post_end_day && rec->post_end_day >= 0 && rec->post_end_day <= last;
    out->training_completed = rec->has_training_completed_day && rec->training_completed_day >= 0 &&
                              rec->training_completed_day <= last;

    iapt_wf_weeks_t weeks;
    iapt_wf_full_weeks(period, &weeks);
    out->full_weeks = weeks.count;
    out->weeks_met = s_weeks_met(rec, &weeks, out->low_intensity);
    out->supervision_eligible =
        out->clinical && out->in_post_all && out->wte_x100 >= IAPT_WF_ELIGIBLE_WTE_X100;
    out->weekly_supervision_met = out->supervision_eligible && out->weeks_met == out->full_weeks;

    if (rec->has_supervisor_id) {
        out->has_supervisor = true;
        memcpy(out->supervisor_id, rec->supervisor_id.data, IAPT_WF_ID_LEN);
    }
    out->level[IAPT_WF_BREAKDOWN_NONE] = 0;
    out->level[IAPT_WF_BREAKDOWN_ROLE] = out->role;
    out->level[IAPT_WF_BREAKDOWN_BAND] = iapt_wf_band_level(rec->band);
    out->level[IAPT_WF_BREAKDOWN_PROFESSION] = iapt_wf_profession_level(rec->profession);
    return 0;
}

int
iapt_wf_derive_vacancy(const Iapt__WfVacancyRecord *rec, iapt_wf_vacancy_t *out)
{
    if (!rec || !out)
        return iapt_error_set(IAPT_EFORMAT, "vacancy: missing");
    if (!rec->role || iapt_wf_role_find(rec->role) < 0)
        return iapt_error_set(IAPT_EFORMAT, "vacancy.role: not a StaffRole code");
    if (!s_coded_ok(rec->band, iapt_wf_band_valid))
        return iapt_error_set(IAPT_EFORMAT, "vacancy.band: not an AfCBand code");
    if (rec->wte_x100 < 1 || rec->wte_x100 > 100)
        return iapt_error_set(IAPT_EFORMAT, "vacancy.wte_x100: not 1 to 100");
    memset(out, 0, sizeof *out);
    out->role = iapt_wf_role_find(rec->role);
    out->wte_x100 = rec->wte_x100;
    out->level[IAPT_WF_BREAKDOWN_ROLE] = out->role;
    out->level[IAPT_WF_BREAKDOWN_BAND] = iapt_wf_band_level(rec->band);
    out->level[IAPT_WF_BREAKDOWN_PROFESSION] = iapt_wf_profession_level(NULL);
    return 0;
}

int
iapt_wf_derive(const Iapt__WfRecord *rec, const iapt_period_t *period, iapt_wf_item_t *out)
{
    if (!rec || !out)
        return iapt_error_set(IAPT_EFORMAT, "record: missing");
    memset(out, 0, sizeof *out);
    switch (rec->kind_case) {
    case IAPT__WF_RECORD__KIND_STAFF:
        out->is_staff = true;
        return iapt_wf_derive_staff(rec->staff, period, &out->staff);
    case IAPT__WF_RECORD__KIND_VACANCY:
        return iapt_wf_derive_vacancy(rec->vacancy, &out->vacancy);
    default:
        return iapt_error_set(IAPT_EFORMAT, "record: neither staff nor vacancy");
    }
}

/* ---------------------------------------------------------------------------
 * Supervisor accounting
 * ------------------------------------------------------------------------ */

typedef struct {
    uint8_t b[IAPT_WF_ID_LEN];
} s_id_t;

struct iapt_wf_supervisors {
    s_id_t *staff; /* every staff pseudonym fed */
    size_t n_staff, cap_staff;
    s_id_t *sup; /* the supervisor of every trainee in post at the end, one entry each */
    size_t n_sup, cap_sup;
    uint64_t unsupervised;
    bool finished;
};

int
iapt_wf_supervisors_new(iapt_wf_supervisors_t **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? 0 : iapt_error_set(IAPT_ENOMEM, "supervisor accounting");
}

static int
s_push(s_id_t **a, size_t *n, size_t *cap, const uint8_t *id)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 64;
        s_id_t *p = realloc(*a, c * sizeof *p);
        if (!p)
            return iapt_error_set(IAPT_ENOMEM, "supervisor accounting");
        *a = p;
        *cap = c;
    }
    memcpy((*a)[(*n)++].b, id, IAPT_WF_ID_LEN);
    return 0;
}

int
iapt_wf_supervisors_add(iapt_wf_supervisors_t *s, const iapt_wf_derived_t *d)
{
    if (s->finished)
        return iapt_error_set(IAPT_ESTATE, "supervisor accounting already finished");
    if (s->n_staff >= IAPT_WF_STAFF_MAX)
        return iapt_error_set(IAPT_ELIMIT, "more than %d staff records", IAPT_WF_STAFF_MAX);
    int rc = s_push(&s->staff, &s->n_staff, &s->cap_staff, d->staff_id);
    if (rc)
        return rc;
    if (!d->trainee || !d->in_post_end)
        return 0;
    if (!d->has_supervisor) {
        s->unsupervised++;
        return 0;
    }
    return s_push(&s->sup, &s->n_sup, &s->cap_sup, d->supervisor_id);
}

static int
s_id_cmp(const void *a, const void *b)
{
    return memcmp(a, b, IAPT_WF_ID_LEN);
}

int
iapt_wf_supervisors_finish(iapt_wf_supervisors_t *s, iapt_wf_supervision_counts_t *out)
{
    if (s->finished)
        return iapt_error_set(IAPT_ESTATE, "supervisor accounting already finished");
    s->finished = true;
    memset(out, 0, sizeof *out);
    if (s->n_staff)
        qsort(s->staff, s->n_staff, sizeof *s->staff, s_id_cmp);
    for (size_t i = 1; i < s->n_staff; i++)
        if (s_id_cmp(&s->staff[i - 1], &s->staff[i]) == 0)
            return iapt_error_set(IAPT_EFORMAT, "staff_id: two staff records share a pseudonym");
    if (s->n_sup)
        qsort(s->sup, s->n_sup, sizeof *s->sup, s_id_cmp);
    for (size_t i = 0; i < s->n_sup;) {
        size_t j = i + 1;
        while (j < s->n_sup && s_id_cmp(&s->sup[i], &s->sup[j]) == 0)
            j++;
        if (!bsearch(&s->sup[i], s->staff, s->n_staff, sizeof *s->staff, s_id_cmp))
            return iapt_error_set(IAPT_EFORMAT,
                                  "supervisor_id: names no staff record of the submission");
        out->supervisors++;
        if (j - i > IAPT_WF_TRAINEES_PER_SUPERVISOR)
            out->supervisors_over_five++;
        i = j;
    }
    out->trainees_supervised = s->n_sup;
    out->trainees_unsupervised = s->unsupervised;
    return 0;
}

void
iapt_wf_supervisors_free(iapt_wf_supervisors_t *s)
{
    if (!s)
        return;
    free(s->staff);
    free(s->sup);
    free(s);
}
