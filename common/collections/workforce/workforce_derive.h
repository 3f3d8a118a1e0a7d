/*
 * workforce_derive.h - one anonymised workforce record (proto/workforce.proto)
 * -> every per-staff field and flag the workforce measures need
 * (WORKFORCE.md "Derived, per staff member"), and the per-submission
 * supervisor accounting of W030-W033.
 *
 * Records came over the network: every guarantee workforce.proto makes is
 * checked, and a record that breaks one is refused (IAPT_EFORMAT, the error
 * detail naming the field, e.g. "sessions[3].minutes: not 1 to 600") rather
 * than counted on a guess.
 *
 * Days are relative to the period start (day 0 .. period->length - 1 lie
 * inside the period). Weekdays are computed from the period's real dates.
 *
 * Readings taken: docs/WORKFORCE-NOTES.md, "Readings the C implementation
 * takes".
 *
 * Ownership: iapt_wf_derived_t and iapt_wf_vacancy_t are plain values (no
 * pointers into the record). An iapt_wf_supervisors_t is owned by its
 * creator and freed with iapt_wf_supervisors_free.
 *
 * Threads: the derive functions are pure (only the thread-local error
 * detail is written). An iapt_wf_supervisors_t is not thread-safe.
 */
#ifndef IAPT_WORKFORCE_DERIVE_H
#define IAPT_WORKFORCE_DERIVE_H

#include "common/collections/workforce/workforce_measures.h"
#include "common/date.h"
#include "proto/workforce.pb-c.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Length of a staff pseudonym. */
#define IAPT_WF_ID_LEN 16
/* Records' days must lie within this many days of the period start. */
#define IAPT_WF_DAY_LIMIT 36525
/* At most this many supervision sessions on one staff record. */
#define IAPT_WF_SESSIONS_MAX 10000
/* At most this many staff records in one submission (supervisor accounting). */
#define IAPT_WF_STAFF_MAX 1000000
/* A full week's supervision is met when 2 x (I minutes + C minutes for
 * low-intensity roles) + G minutes >= this (60 minutes, G at half length). */
#define IAPT_WF_WEEK_TWICE_MINUTES 120
/* Supervision eligibility: WTE >= 0.50. */
#define IAPT_WF_ELIGIBLE_WTE_X100 50
/* A supervisor should take at most this many trainees (W032: more). */
#define IAPT_WF_TRAINEES_PER_SUPERVISOR 5

/* The full Monday-Sunday weeks lying wholly inside a period. */
typedef struct iapt_wf_weeks {
    int32_t first_monday; /* day (relative) of the first full week's Monday */
    uint32_t count;       /* number of full weeks (0: none) */
} iapt_wf_weeks_t;

void iapt_wf_full_weeks(const iapt_period_t *period, iapt_wf_weeks_t *out /* out */);

/* One staff member as the measures see them. */
typedef struct iapt_wf_derived {
    uint8_t staff_id[IAPT_WF_ID_LEN];
    int role;                /* enum iapt_wf_role */
    uint32_t wte_x100;       /* 1 .. 100 */
    bool in_post_end;        /* PostStartDate <= period end, no PostEndDate before it */
    bool in_post_all;        /* in_post_end and PostStartDate <= period start */
    bool starter;            /* PostStartDate in the period */
    bool leaver;             /* PostEndDate in the period */
    bool training_completed; /* TrainingCompletedDate in the period */
    bool clinical, trainee, low_intensity; /* of the role */
    bool supervision_eligible;             /* clinical, in post all period, WTE >= 0.50 */
    bool weekly_supervision_met;           /* eligible and every full week met */
    /* Every member, eligible or not: the period's full weeks and how many
     * of them had enough supervision. */
    uint32_t full_weeks;
    uint32_t weeks_met;
    bool has_supervisor; /* a valid SupervisorStaffId */
    uint8_t supervisor_id[IAPT_WF_ID_LEN];
    /* Level index in every breakdown (level[IAPT_WF_BREAKDOWN_NONE] = 0). */
    int level[IAPT_WF_BREAKDOWN_COUNT];
} iapt_wf_derived_t;

/* 0 and *out filled, or IAPT_EFORMAT (detail names the field). */
int iapt_wf_derive_staff(const Iapt__WfStaffRecord *rec, const iapt_period_t *period,
                         iapt_wf_derived_t *out /* out */);

/* One vacant post. */
typedef struct iapt_wf_vacancy {
    int role;
    uint32_t wte_x100;
    int level[IAPT_WF_BREAKDOWN_COUNT]; /* profession: Unknown */
} iapt_wf_vacancy_t;

/* 0 and *out filled, or IAPT_EFORMAT. */
int iapt_wf_derive_vacancy(const Iapt__WfVacancyRecord *rec, iapt_wf_vacancy_t *out /* out */);

/* A leaf: exactly one of the two. */
typedef struct iapt_wf_item {
    bool is_staff;
    iapt_wf_derived_t staff;   /* when is_staff */
    iapt_wf_vacancy_t vacancy; /* otherwise */
} iapt_wf_item_t;

/* Derive a WfRecord of either kind; IAPT_EFORMAT when neither is set or
 * the one set is malformed. */
int iapt_wf_derive(const Iapt__WfRecord *rec, const iapt_period_t *period,
                   iapt_wf_item_t *out /* out */);

/* ---------------------------------------------------------------------------
 * Per-submission supervisor accounting (W030-W033)
 * ------------------------------------------------------------------------ */

typedef struct iapt_wf_supervision_counts {
    uint64_t supervisors;           /* W030: distinct supervisors of trainees in post at the end */
    uint64_t trainees_supervised;   /* trainees in post at the end with a supervisor */
    uint64_t supervisors_over_five; /* W032: supervisors of more than five of them */
    uint64_t trainees_unsupervised; /* W033: trainees in post at the end without one */
} iapt_wf_supervision_counts_t;

typedef struct iapt_wf_supervisors iapt_wf_supervisors_t;

/* A new, empty accounting for one submission. 0 or IAPT_ENOMEM. */
int iapt_wf_supervisors_new(iapt_wf_supervisors_t **out /* out */);

/* Feed one derived staff member (every staff record of the submission, in
 * any order). 0, IAPT_ELIMIT (more than IAPT_WF_STAFF_MAX) or IAPT_ENOMEM. */
int iapt_wf_supervisors_add(iapt_wf_supervisors_t *s, const iapt_wf_derived_t *d);

/* The submission's counts. IAPT_EFORMAT when two staff records share a
 * pseudonym (StaffId is unique in the file) or a supervisor pseudonym names
 * no staff record of the submission (the node sends it only when it names
 * a valid row). May be called once. */
int iapt_wf_supervisors_finish(iapt_wf_supervisors_t *s,
                               iapt_wf_supervision_counts_t *out /* out */);

/* NULL is a no-op. */
void iapt_wf_supervisors_free(iapt_wf_supervisors_t *s);

#endif
