/*
 * adult_measures.h - the adult NHS Talking Therapies collection's hub half
 * (docs/MEASURES.md, docs/MEASURES-NOTES.md is the rule book):
 *
 *   schema      iapt_adult_measure_schema, the collection's
 *               struct iapt_measure_schema (common/measure_schema.h):
 *               counters, catalogue, breakdowns, derivation hooks, the
 *               targets view;
 *   breakdowns  the equality and service splits (age, gender, ...) and
 *               their levels, in output order;
 *   derive      one anonymised pathway record -> iapt_adult_derived_t,
 *               every per-referral field and flag the measures need, and
 *               its cell contribution.
 *
 * Sources: adult_measures.c (catalogue, breakdowns, level maps, schema),
 * adult_derive.c, adult_targets.c; the report section adult_report.c.
 *
 * Threads: tables are immutable; derivation does not allocate and is
 * thread-safe.
 */
#ifndef IAPT_ADULT_MEASURES_H
#define IAPT_ADULT_MEASURES_H

#include "common/date.h"
#include "common/measures.h"
#include "common/tools.h"
#include "proto/adult.pb-c.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The adult collection's hub half. */
extern const iapt_measure_schema_t iapt_adult_measure_schema;

/* Its section of the national report (adult_report.c, common/report.h). */
struct iapt_report_part;
extern const struct iapt_report_part iapt_adult_report_part;

/* ---------------------------------------------------------------------------
 * Breakdowns
 * ------------------------------------------------------------------------ */

enum iapt_breakdown {
    IAPT_BREAKDOWN_NONE = 0, /* the whole group: one level */
    IAPT_BREAKDOWN_AGE = 1,
    IAPT_BREAKDOWN_GENDER = 2,
    IAPT_BREAKDOWN_ETHNICITY = 3,
    IAPT_BREAKDOWN_IMD = 4,
    IAPT_BREAKDOWN_PROBLEM = 5,
    IAPT_BREAKDOWN_THERAPY = 6,
    IAPT_BREAKDOWN_SOURCE = 7,
    IAPT_BREAKDOWN_LTC = 8,
};
#define IAPT_BREAKDOWN_COUNT 9
/* Most levels any adult breakdown has (referral source: 41 codes and Unknown). */
#define IAPT_ADULT_BREAKDOWN_LEVELS_MAX 42

/* ---------------------------------------------------------------------------
 * Per-referral derivation
 * ------------------------------------------------------------------------ */

/* A day that is not there (no discharge, no treatment appointment ...). */
#define IAPT_DAY_NONE INT32_MIN
/* Records' days must lie within this many days of the period start. */
#define IAPT_RECORD_DAY_LIMIT 36525
/* At most this many entries in any repeated field of a record, and this
 * many therapies in one appointment. */
#define IAPT_RECORD_EVENTS_MAX 100000
#define IAPT_RECORD_THERAPIES_MAX 1000

/* Ethnic groups of M206-M210, IAPT_ETHNIC_NONE when the category is in none. */
enum iapt_ethnic_group {
    IAPT_ETHNIC_WHITE = 0, /* A B C */
    IAPT_ETHNIC_ASIAN = 1, /* H J K L */
    IAPT_ETHNIC_BLACK = 2, /* M N P */
    IAPT_ETHNIC_MIXED = 3, /* D E F G */
    IAPT_ETHNIC_OTHER = 4, /* R S */
    IAPT_ETHNIC_NONE = 5,
};

/* Score summary of one tool over the counting scores of a referral. */
typedef struct iapt_score_summary {
    int tool;           /* index in the tool table, -1 when none */
    uint32_t count;     /* counting scores of that tool */
    int32_t first_x100; /* meaningful when count >= 1 */
    int32_t last_x100;
    bool improved;     /* paired and first - last >= reliable change */
    bool deteriorated; /* paired and last - first >= reliable change */
} iapt_score_summary_t;

/* Every derived field of one referral. Days are relative to the period
 * start (day 0); IAPT_DAY_NONE when absent. A plain value: copy freely. */
typedef struct iapt_adult_derived {
    int32_t period_end;        /* E = period length - 1 */
    int32_t referral_day;      /* ReferralRequestReceivedDate */
    int32_t discharge_day;     /* ServDischDate <= E, or IAPT_DAY_NONE */
    int end_code;              /* EndCode as a number when a valid code and
                                * discharged, else -1 */
    bool referred_in_period;   /* M001 */
    bool self_referral;        /* SourceOfReferralIAPT = B1 */
    bool gp_referral;          /* SourceOfReferralIAPT = A1 */
    bool discharged;           /* a discharge date <= E */
    bool discharged_in_period; /* M056: S <= discharge <= E */

    uint32_t care_contact_count;  /* every appointment (CareContact_Count) */
    uint32_t treatment_count;     /* TreatmentCareContact_Count */
    int32_t assessment_first_day; /* Assessment_FirstDate */
    int32_t therapy_first_day;    /* TherapySession_FirstDate */
    int32_t therapy_second_day;   /* TherapySession_SecondDate */
    int32_t therapy_last_day;     /* TherapySession_LastDate */
    bool has_wait;                /* a first treatment exists */
    int32_t wait;                 /* first treatment - referral, days */
    bool finished;                /* CompletedTreatment_Flag */

    /* Appointments dated in the period (M082 .. M088, M110, M104). */
    uint32_t appts_in_period;
    uint32_t appts_by_attendance[8]; /* index = AttendOrDNACode 2..7 */
    uint32_t cbt_appts;              /* treatment appointments with CBT */
    uint32_t cfd_appts;              /* ... with counselling for depression */

    /* Scores and the flags built on them. */
    char primary_problem[8];      /* primary descriptor's code, "" when none */
    iapt_score_summary_t phq;     /* the depression tool (PHQ-9) */
    iapt_score_summary_t anxiety; /* the anxiety measure (an ADSM or GAD-7) */
    bool adsm_used;               /* the anxiety measure is an ADSM */
    bool at_caseness;
    bool not_caseness;           /* NotCaseness_Flag */
    bool reliable_improvement;   /* ReliableImprovement_Flag */
    bool reliable_deterioration; /* ReliableDeterioration_Flag */
    bool no_change;              /* NoChange_Flag */
    bool recovery;               /* Recovery_Flag */
    bool reliable_recovery;      /* Recovery_Flag and ReliableImprovement_Flag */
    bool paired_phq;             /* M201: finished and PHQ-9 paired */
    bool paired_anxiety;         /* M198: finished and anxiety measure paired */

    /* Employment records on or before the discharge date (all when not
     * discharged): first and last, as written: 'Y', 'N', '?' (invalid),
     * or 0 (no record, or the field missing). */
    char sick_pay_first, sick_pay_last;
    char benefits_first, benefits_last;
    bool off_sick_pay; /* M237: finished, sick pay Y then N */
    bool off_benefits; /* finished, benefits Y then N */

    enum iapt_ethnic_group ethnic_group;
    /* Level index of the referral in every breakdown (level[0] = 0). */
    uint8_t level[IAPT_BREAKDOWN_COUNT];
} iapt_adult_derived_t;

/*
 * Derive every field of one record for `period`.
 *   rec     a decoded record (untrusted: every guarantee of adult.proto is
 *           checked);
 *   period  the reporting period the record was submitted for;
 *   tools   the assessment-tool table;
 *   out     filled on success; unspecified on failure.
 * Returns 0, or IAPT_EFORMAT with the offending field named in the detail
 * (e.g. "appointments[3].attendance: not a valid code") for a record that
 * breaks adult.proto: ids not 16 bytes; commissioner not 3-5 of [A-Z0-9];
 * a coded field neither a listed code nor "?"; app_type / attendance not a
 * valid code; a referral after the period end or a discharge outside the
 * period (the record was not selected); any event after the period end;
 * days beyond IAPT_RECORD_DAY_LIMIT; more than IAPT_RECORD_EVENTS_MAX
 * entries; an unknown score source.
 * Used as written (findings at the node, not refusals): events before the
 * referral or after the discharge, a discharge before the referral. An
 * end_code without a discharge is ignored. The order of the record's lists
 * is not relied on: scores count in the order of MEASURES-NOTES (day,
 * IDS606 before IDS607, then position in the record), employment records
 * by day then position.
 * Does not allocate; thread-safe.
 */
int iapt_adult_derive(const Iapt__PathwayRecord *rec, const iapt_period_t *period,
                      const iapt_tools_t *tools, iapt_adult_derived_t *out /* out */);

/* The cell contribution of a derived referral of `commissioner` (which
 * must outlive *out): counters, distribution values and breakdown levels. */
void iapt_adult_contribution(const iapt_adult_derived_t *d, const char *commissioner,
                             iapt_contribution_t *out /* out */);

/* Shorthands: the referral's contribution added to a cell, to an agg. */
int iapt_adult_cell_add(iapt_cell_t *cell, const iapt_adult_derived_t *d);
int iapt_adult_agg_add(iapt_agg_t *agg, const char *commissioner, const iapt_adult_derived_t *d);

/* Finishers with sick pay Y then N, or benefits Y then N (the targets view). */
uint64_t iapt_adult_off_sick_pay_or_benefits(const iapt_cell_t *cell);

/* The adult catalogue's definitions in output order (the schema's
 * measures); *n receives their number. */
const iapt_measure_def_t *iapt_measure_defs(size_t *n /* out */);
/* Index of the adult measure with this id, or -1. */
int iapt_measure_find(const char *id);
/* Adult breakdown `id`, or NULL. */
const iapt_breakdown_def_t *iapt_breakdown_def(int id);
/* Id of the adult breakdown with this key, or -1. */
int iapt_breakdown_find(const char *key);

#endif
