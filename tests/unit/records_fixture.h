/*
 * records_fixture.h - building pathway records directly as protobuf-c
 * structs for the measure tests, without a node or an extract.
 *
 *     t_rec_t *r = t_rec_new(-60);                  referral 60 days before the period
 *     t_appt(r, -40, "02", "5");                    attended treatment
 *     t_score(r, T_PHQ, 1500, -50, 606);            PHQ-9 15 from IDS606
 *     t_discharge(r, 5, "46");
 *     iapt_adult_derive(&r->rec, &t_period, &t_tools, &d);
 *     t_rec_free(r);
 *
 * The period is September 2025 (30 days: day 0 .. E = 29).
 */
#ifndef IAPT_TEST_RECORDS_FIXTURE_H
#define IAPT_TEST_RECORDS_FIXTURE_H

#include "common/date.h"
#include "common/measures.h"
#include "common/collections/adult/adult_measures.h"
#include "common/tools.h"
#include "proto/adult.pb-c.h"

#include <stdlib.h>
#include <string.h>

#define T_PHQ 720433000ULL
#define T_GAD 445455005ULL
#define T_CBT 304891004ULL
#define T_CBT2 228557008ULL
#define T_CFD 286711000000107ULL
#define T_EMDR 449030000ULL
#define T_GSH_BOOK 748051000000105ULL
#define T_MAX 256

typedef struct {
    Iapt__PathwayRecord rec;
    Iapt__Appointment appt[T_MAX];
    Iapt__Appointment *appt_p[T_MAX];
    uint64_t therapy[T_MAX][4];
    Iapt__Score score[T_MAX];
    Iapt__Score *score_p[T_MAX];
    Iapt__ProblemDescriptor prob[T_MAX];
    Iapt__ProblemDescriptor *prob_p[T_MAX];
    Iapt__EmploymentRecord emp[T_MAX];
    Iapt__EmploymentRecord *emp_p[T_MAX];
    uint8_t pathway[16], person[16];
    char commissioner[8];
} t_rec_t;

static inline t_rec_t *
t_rec_new(int32_t referral_day)
{
    t_rec_t *r = calloc(1, sizeof *r);
    if (!r)
        abort();
    Iapt__PathwayRecord init = IAPT__PATHWAY_RECORD__INIT;
    r->rec = init;
    memset(r->pathway, 0xA1, 16);
    memset(r->person, 0xB2, 16);
    r->rec.pathway_id.data = r->pathway;
    r->rec.pathway_id.len = 16;
    r->rec.person_id.data = r->person;
    r->rec.person_id.len = 16;
    strcpy(r->commissioner, "00L");
    r->rec.commissioner = r->commissioner;
    r->rec.referral_day = referral_day;
    r->rec.appointments = r->appt_p;
    r->rec.scores = r->score_p;
    r->rec.problems = r->prob_p;
    r->rec.employment = r->emp_p;
    return r;
}

static inline void
t_rec_free(t_rec_t *r)
{
    free(r);
}

static inline void
t_discharge(t_rec_t *r, int32_t day, const char *end_code)
{
    r->rec.has_discharge_day = 1;
    r->rec.discharge_day = day;
    r->rec.end_code = (char *)end_code;
}

/* An appointment with up to four therapies (0 ends the list). */
static inline Iapt__Appointment *
t_appt_th(t_rec_t *r, int32_t day, const char *type, const char *attend, uint64_t t1, uint64_t t2)
{
    size_t i = r->rec.n_appointments++;
    Iapt__Appointment init = IAPT__APPOINTMENT__INIT;
    Iapt__Appointment *a = &r->appt[i];
    *a = init;
    a->day = day;
    a->app_type = (char *)type;
    a->attendance = (char *)attend;
    a->therapy = r->therapy[i];
    if (t1)
        r->therapy[i][a->n_therapy++] = t1;
    if (t2)
        r->therapy[i][a->n_therapy++] = t2;
    r->appt_p[i] = a;
    return a;
}

static inline Iapt__Appointment *
t_appt(t_rec_t *r, int32_t day, const char *type, const char *attend)
{
    return t_appt_th(r, day, type, attend, 0, 0);
}

static inline void
t_score(t_rec_t *r, uint64_t tool, int32_t value_x100, int32_t day, int source)
{
    size_t i = r->rec.n_scores++;
    Iapt__Score init = IAPT__SCORE__INIT;
    r->score[i] = init;
    r->score[i].tool = tool;
    r->score[i].value_x100 = value_x100;
    r->score[i].day = day;
    r->score[i].source = (Iapt__ScoreSource)source;
    r->score_p[i] = &r->score[i];
}

/* sig 0: no significance; has_day 0: undated. */
static inline void
t_problem(t_rec_t *r, const char *code, unsigned sig, int has_day, int32_t day)
{
    size_t i = r->rec.n_problems++;
    Iapt__ProblemDescriptor init = IAPT__PROBLEM_DESCRIPTOR__INIT;
    r->prob[i] = init;
    r->prob[i].code = (char *)code;
    r->prob[i].has_significance = sig != 0;
    r->prob[i].significance = sig;
    r->prob[i].has_day = has_day != 0;
    r->prob[i].day = day;
    r->prob_p[i] = &r->prob[i];
}

static inline void
t_employment(t_rec_t *r, int32_t day, const char *sick_pay, const char *benefits)
{
    size_t i = r->rec.n_employment++;
    Iapt__EmploymentRecord init = IAPT__EMPLOYMENT_RECORD__INIT;
    r->emp[i] = init;
    r->emp[i].day = day;
    r->emp[i].sick_pay = (char *)sick_pay;
    r->emp[i].benefits = (char *)benefits;
    r->emp_p[i] = &r->emp[i];
}

/* September 2025 and the shipped tool table. */
static inline iapt_period_t
t_september(void)
{
    iapt_period_t p;
    iapt_period_make(2025, 9, &p);
    return p;
}

static inline iapt_tools_t
t_default_tools(void)
{
    iapt_tools_t t;
    iapt_tools_default(&t);
    return t;
}

#endif
