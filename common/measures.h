/*
 * measures.h - the national statistics at the level of one referral and of
 * one set of referrals (docs/MEASURES-NOTES.md is the rule book).
 *
 *   catalogue   the core measures, in output order, with their official
 *               ids and names (data/...-measures.tsv);
 *   breakdowns  the equality and service splits (age, gender, ...) and
 *               their levels, in output order;
 *   derive      one anonymised pathway record -> iapt_derived_t, every
 *               per-referral field and flag the measures need;
 *   cell        an aggregate of derived referrals: every count the measures
 *               need plus exact distributions for the medians, so that
 *               merging cells then computing equals computing over the union;
 *               a compact versioned byte encoding for storage;
 *   agg         one submission's cells keyed by (commissioner, breakdown,
 *               level), visited in key order.
 *
 * Sources: common/measures.c (catalogue, breakdowns, values and their
 * formatting), common/derive.c, common/cell.c, common/agg.c.
 *
 * No floating point anywhere: every figure is an exact fraction of
 * integers, formatted with integer rounding (half up).
 *
 * Threads: the catalogue and breakdown tables are immutable. A cell or an
 * agg is not thread-safe; use one per thread or lock around it. Distinct
 * objects may be used from distinct threads.
 */
#ifndef IAPT_MEASURES_H
#define IAPT_MEASURES_H

#include "common/date.h"
#include "common/tools.h"
#include "common/util.h"
#include "proto/adult.pb-c.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------------------
 * Catalogue
 * ------------------------------------------------------------------------ */

enum iapt_measure_kind {
    IAPT_MEASURE_COUNT = 0,   /* a number of referrals or appointments */
    IAPT_MEASURE_PERCENT = 1, /* 100 x numerator / denominator */
    IAPT_MEASURE_MEAN = 2,    /* sum / count */
    IAPT_MEASURE_MEDIAN = 3,  /* median of a multiset of whole numbers */
};

typedef struct iapt_measure_def {
    const char *id;   /* "M001" */
    const char *name; /* official measure_name, "Count_ReferralsReceived" */
    enum iapt_measure_kind kind;
} iapt_measure_def_t;

/* The core measures in output order (MEASURES-NOTES "Order of measures");
 * *n receives their number. Static storage. */
const iapt_measure_def_t *iapt_measure_defs(size_t *n /* out */);

/* Index in iapt_measure_defs() of the measure with this id, or -1. */
int iapt_measure_find(const char *id);

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
/* Most levels any breakdown has (referral source: 41 codes and Unknown). */
#define IAPT_BREAKDOWN_LEVELS_MAX 42

typedef struct iapt_breakdown_def {
    const char *key;   /* "age"; "none" for IAPT_BREAKDOWN_NONE */
    const char *title; /* "Age band at referral" (the BREAKDOWN column); "" for none */
    size_t n_levels;
    const char *const *levels; /* labels in output order (BREAKDOWN_LEVEL); "" for none */
} iapt_breakdown_def_t;

/* Definition of breakdown `id` (0 .. IAPT_BREAKDOWN_COUNT-1), NULL otherwise.
 * Static storage. */
const iapt_breakdown_def_t *iapt_breakdown_def(int id);

/* Id of the breakdown with this key ("age", "gender", "ethnicity", "imd",
 * "problem", "therapy", "source", "ltc"; "none" is 0), or -1. */
int iapt_breakdown_find(const char *key);

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
typedef struct iapt_derived {
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
} iapt_derived_t;

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
int iapt_derive(const Iapt__PathwayRecord *rec, const iapt_period_t *period,
                const iapt_tools_t *tools, iapt_derived_t *out /* out */);

/* ---------------------------------------------------------------------------
 * Measure values (exact) and their formatting
 * ------------------------------------------------------------------------ */

/* The raw value of one measure in one cell:
 *   COUNT    num = the count, den = 1
 *   PERCENT  num / den (value = 100 x num / den)
 *   MEAN     num = sum, den = count
 *   MEDIAN   num = 2 x median (exact: a whole or a half), den = count
 * den == 0 means there is nothing to divide by (the value is empty). */
typedef struct iapt_measure_value {
    enum iapt_measure_kind kind;
    int64_t num;
    int64_t den;
} iapt_measure_value_t;

/* Longest text iapt_measure_format writes, NUL included. */
#define IAPT_MEASURE_TEXT_MAX 32

/*
 * Format a value as MEASURES-NOTES "Numbers and disclosure control" says.
 *   exact  true for England, and for every level when unsuppressed output
 *          is asked for: counts as integers, the rest to one decimal place;
 *          false below England: `*` under 5, counts rounded to 5,
 *          percentages whole, means and medians one decimal.
 * Empty string when there is nothing to divide by (and not suppressed).
 */
void iapt_measure_format(const iapt_measure_value_t *v, bool exact,
                         char out[IAPT_MEASURE_TEXT_MAX] /* out */);

/* ---------------------------------------------------------------------------
 * Aggregate cells
 * ------------------------------------------------------------------------ */

typedef struct iapt_cell iapt_cell_t;

/* Version byte of the encoding iapt_cell_encode writes. */
#define IAPT_CELL_FORMAT_VERSION 1
/* Any count a cell holds stays below this (decode refuses more, merge
 * refuses to go past it): keeps every sum exact in 64 bits. */
#define IAPT_CELL_COUNT_MAX ((uint64_t)1 << 36)
/* Values kept in distributions (waits, appointment counts) lie within
 * +- this. */
#define IAPT_CELL_VALUE_MAX (1 << 18)

/* A new empty cell, or NULL when out of memory. Owned by the caller. */
iapt_cell_t *iapt_cell_new(void);

/* Free a cell and set *cell_p to NULL; safe on NULL and twice. */
void iapt_cell_destroy(iapt_cell_t **cell_p);

/* Empty the cell (keeps its memory for reuse). */
void iapt_cell_reset(iapt_cell_t *cell);

/* Add one derived referral. 0, IAPT_ENOMEM, or IAPT_ELIMIT (a count or
 * value over the cell limits; the cell is then unchanged). */
int iapt_cell_add(iapt_cell_t *cell, const iapt_derived_t *d);

/* dst += src. 0, IAPT_ENOMEM or IAPT_ELIMIT; dst unchanged on failure. */
int iapt_cell_merge(iapt_cell_t *dst, const iapt_cell_t *src);

/* True when the cell holds no referral. */
bool iapt_cell_empty(const iapt_cell_t *cell);

/* Number of referrals in the cell. */
uint64_t iapt_cell_referrals(const iapt_cell_t *cell);

/* Append the cell's canonical encoding to out (same contents, same bytes).
 * 0 or IAPT_ENOMEM. */
int iapt_cell_encode(const iapt_cell_t *cell, iapt_buf_t *out);

/* Replace the cell's contents with the decoding of bytes[0..len).
 * IAPT_EFORMAT on anything but a canonical encoding of a consistent cell:
 * unknown version, truncation, trailing bytes, overlong varints, counts or
 * sizes beyond the limits, unordered distributions, distribution totals
 * that disagree with their counts. Memory stays proportional to len. The
 * cell is empty after a failure. */
int iapt_cell_decode(iapt_cell_t *cell, const uint8_t *bytes, size_t len);

/* True when two cells hold the same figures. */
bool iapt_cell_equal(const iapt_cell_t *a, const iapt_cell_t *b);

/* The raw value of measure `measure` (index in iapt_measure_defs()).
 * 0, or IAPT_EUSAGE for an unknown index. */
int iapt_cell_measure(const iapt_cell_t *cell, int measure, iapt_measure_value_t *out /* out */);

/* Finishers with sick pay Y then N, or benefits Y then N (the targets view). */
uint64_t iapt_cell_off_sick_pay_or_benefits(const iapt_cell_t *cell);

/* ---------------------------------------------------------------------------
 * A submission's aggregation
 * ------------------------------------------------------------------------ */

typedef struct iapt_agg iapt_agg_t;

/* A new empty aggregation, or NULL when out of memory. */
iapt_agg_t *iapt_agg_new(void);

void iapt_agg_destroy(iapt_agg_t **agg_p);

/* Add a derived referral of `commissioner` (the record's, 3-5 of [A-Z0-9])
 * to the commissioner's whole cell (breakdown 0) and to the cell of its
 * level in every breakdown. 0, IAPT_EUSAGE (bad commissioner or a level out
 * of range), IAPT_ENOMEM or IAPT_ELIMIT; on failure the agg may hold the
 * referral in some of its cells: discard it. */
int iapt_agg_add(iapt_agg_t *agg, const char *commissioner, const iapt_derived_t *d);

/* Visitor: `commissioner` and `cell` are valid during the call only.
 * A non-zero return stops the walk and is returned by iapt_agg_foreach. */
typedef int (*iapt_agg_fn)(const char *commissioner, int breakdown, int level,
                           const iapt_cell_t *cell, void *arg);

/* Visit every non-empty cell in (commissioner (byte order), breakdown,
 * level) order. Returns 0 or the visitor's first non-zero result. */
int iapt_agg_foreach(const iapt_agg_t *agg, iapt_agg_fn fn, void *arg);

/* Number of non-empty cells. */
size_t iapt_agg_cells(const iapt_agg_t *agg);

#endif
