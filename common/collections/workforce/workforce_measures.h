/*
 * workforce_measures.h - the workforce collection's statistics as data:
 * its roles and code lists, the counters a workforce cell holds, how a
 * derived staff member, a vacancy and a submission's supervisor accounting
 * add to them, the catalogue W001-W041 (docs/WORKFORCE.md order) with the
 * counters each measure is computed from, the breakdowns (role, band,
 * profession) and the formatting and disclosure control of each kind.
 *
 * Readings taken are listed in docs/WORKFORCE-NOTES.md ("Readings the C
 * implementation takes").
 *
 * Sources: common/collections/workforce/workforce_measures.c.
 *
 * No floating point: WTE is carried in hundredths, every figure is an
 * exact fraction of integers, formatted with integer rounding (half up).
 *
 * Threads: every table is immutable static data; the functions touch only
 * their arguments. Nothing to free.
 */
#ifndef IAPT_WORKFORCE_MEASURES_H
#define IAPT_WORKFORCE_MEASURES_H

#include "common/measure_schema.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------------------
 * Roles and code lists
 * ------------------------------------------------------------------------ */

/* StaffRole codes, in WORKFORCE.md order (also the role breakdown's level
 * order). */
enum iapt_wf_role {
    IAPT_WF_ROLE_LIT = 0, /* PWP trainee */
    IAPT_WF_ROLE_LIQ,     /* PWP qualified */
    IAPT_WF_ROLE_HIT,     /* high intensity trainee */
    IAPT_WF_ROLE_HIQ,     /* high intensity qualified */
    IAPT_WF_ROLE_CNS,     /* counsellor or other qualified therapist */
    IAPT_WF_ROLE_CWT,     /* children's wellbeing practitioner trainee */
    IAPT_WF_ROLE_CWQ,     /* CWP qualified */
    IAPT_WF_ROLE_SUP,     /* clinical supervisor or lead */
    IAPT_WF_ROLE_ESA,     /* employment support adviser */
    IAPT_WF_ROLE_LEAD,    /* service lead */
    IAPT_WF_ROLE_OTH,     /* administrative and other */
    IAPT_WF_ROLE_COUNT,
};

/* The role with this code ("LIT" ...; exact, case-sensitive), or -1. */
int iapt_wf_role_find(const char *code);
/* The code of role `role`, or NULL when out of range. Static storage. */
const char *iapt_wf_role_code(int role);
/* Clinical: LIT LIQ HIT HIQ CNS CWT CWQ. */
bool iapt_wf_role_clinical(int role);
/* Trainee: LIT HIT CWT. */
bool iapt_wf_role_trainee(int role);
/* Low intensity (case management counts as individual supervision):
 * LIT LIQ CWT CWQ. */
bool iapt_wf_role_low_intensity(int role);

/* AfCBand codes "2".."7", "8a" "8b" "8c" "8d", "9": true when `code` is
 * one (exact). */
bool iapt_wf_band_valid(const char *code);
/* Profession codes NUR CLP COP OT SW CNS PSY GRD OTH. */
bool iapt_wf_profession_valid(const char *code);

/* ---------------------------------------------------------------------------
 * Breakdowns
 * ------------------------------------------------------------------------ */

enum iapt_wf_breakdown {
    IAPT_WF_BREAKDOWN_NONE = 0,       /* the whole group: one level "" */
    IAPT_WF_BREAKDOWN_ROLE = 1,       /* StaffRole: the 11 codes (always valid) */
    IAPT_WF_BREAKDOWN_BAND = 2,       /* AfCBand: 11 bands, then Unknown */
    IAPT_WF_BREAKDOWN_PROFESSION = 3, /* Profession: 9 codes, then Unknown */
};
#define IAPT_WF_BREAKDOWN_COUNT 4
/* Most levels any workforce breakdown has (band: 11 and Unknown). */
#define IAPT_WF_BREAKDOWN_LEVELS_MAX 12

/* The engine's breakdown (common/measure_schema.h): key "role", "band",
 * "profession" ("none" for 0); title the BREAKDOWN column ("Staff role"
 * ...; "" for none); levels the labels in output order. */
typedef iapt_breakdown_def_t iapt_wf_breakdown_def_t;

/* The four breakdowns in id order (the hub schema's breakdowns). */
extern const iapt_breakdown_def_t iapt_wf_breakdowns[IAPT_WF_BREAKDOWN_COUNT];

/* Definition of breakdown `id` (0 .. IAPT_WF_BREAKDOWN_COUNT-1), else NULL. */
const iapt_wf_breakdown_def_t *iapt_wf_breakdown_def(int id);
/* Id of the breakdown with this key, or -1. */
int iapt_wf_breakdown_find(const char *key);

/* Level index of an optional band / profession value: the code's position,
 * or the last level (Unknown) for NULL (missing), "?" (invalid at the
 * node) or any other text. */
int iapt_wf_band_level(const char *code);
int iapt_wf_profession_level(const char *code);

/* ---------------------------------------------------------------------------
 * Counters
 * ------------------------------------------------------------------------ */

/* The counters of a workforce cell (one provider's group, or a sum of
 * them: every counter adds across providers). Encoding order: append
 * only, never reorder or remove one. WTE counters are in hundredths. */
enum iapt_wf_counter {
    IAPT_WF_C_APPEAR = 0,            /* staff records + submissions: does the group
                                      * (or breakdown level) appear? */
    IAPT_WF_C_SUBMISSIONS,           /* accepted workforce submissions (whole group) */
    IAPT_WF_C_STAFF_RECORDS,         /* staff records, whatever their dates */
    IAPT_WF_C_STAFF,                 /* W001: in post at the period end */
    IAPT_WF_C_STAFF_WTE,             /* W002 */
    IAPT_WF_C_CLINICAL,              /* W003 */
    IAPT_WF_C_CLINICAL_WTE,          /* W004 */
    IAPT_WF_C_TRAINEES,              /* W005 */
    IAPT_WF_C_TRAINING_COMPLETED,    /* W006 */
    IAPT_WF_C_STARTERS,              /* W007 */
    IAPT_WF_C_LEAVERS,               /* W008 */
    IAPT_WF_C_VACANCIES,             /* WF003 rows: the headcount of W010 */
    IAPT_WF_C_VACANT_WTE,            /* W010 */
    IAPT_WF_C_ELIGIBLE,              /* W020 */
    IAPT_WF_C_SUPERVISION_MET,       /* W021 */
    IAPT_WF_C_SUPERVISORS,           /* W030 (summed over submissions) */
    IAPT_WF_C_TRAINEES_SUPERVISED,   /* W031 numerator */
    IAPT_WF_C_SUPERVISORS_OVER_5,    /* W032 */
    IAPT_WF_C_TRAINEES_UNSUPERVISED, /* W033 */
    IAPT_WF_C_POSTS_WTE,             /* W002 + W010: W011's denominator */
    /* The counters above are the hub's stored cell (IAPT_WF_C_STORED of
     * them). The JOIN_* ones below are NOT stored: the hub's engine joins
     * W040/W041 at roll-up from the adult collection's provider cells
     * (common/stats.c); iapt_wf_add_join is the same arithmetic over one
     * counter array, kept for tests that check the engine against it. */
    IAPT_WF_C_JOIN_PROVIDERS,    /* providers joined */
    IAPT_WF_C_JOIN_APPOINTMENTS, /* adult M082 of those providers */
    IAPT_WF_C_JOIN_ENTERED,      /* adult M031 of those providers */
    IAPT_WF_C_JOIN_CLINICAL_WTE, /* W004 of those providers */
    IAPT_WF_C_JOIN_CLINICAL,     /* W003 of those providers (suppression) */
    IAPT_WF_C_COUNT,
};
/* Counters a hub cell of the workforce collection holds (the stored format). */
#define IAPT_WF_C_STORED IAPT_WF_C_JOIN_PROVIDERS

/* Names of the counters (iapt_wf_counter_name), the hub schema's. */
extern const char *const iapt_wf_counter_names[IAPT_WF_C_COUNT];
/* Bounds of the counters (iapt_wf_counter_bound), the hub schema's. */
extern const int iapt_wf_counter_bounds[IAPT_WF_C_COUNT];

/* Name of counter `c` ("staff", "staff_wte" ...) for dumps and tests, or
 * NULL out of range. */
const char *iapt_wf_counter_name(int c);

/* The counter that counter `c` can never exceed in any cell (clinical <=
 * staff, met <= eligible, ...), or -1 for none (WTE sums, joined
 * counters). A decoder may refuse a cell that breaks one. */
int iapt_wf_counter_bound(int c);

struct iapt_wf_derived;
struct iapt_wf_vacancy;
struct iapt_wf_supervision_counts;

/* Add one derived staff member to the counters of a cell (the whole group
 * or one breakdown level: the same function for both; it counts one staff
 * record, which makes the cell appear). */
void iapt_wf_add_staff(uint64_t c[IAPT_WF_C_COUNT], const struct iapt_wf_derived *d);
/* Add one vacant post (to the whole group only: vacancies are not split). */
void iapt_wf_add_vacancy(uint64_t c[IAPT_WF_C_COUNT], const struct iapt_wf_vacancy *v);
/* Count one accepted submission (whole group only): its group appears even
 * with no staff record. */
void iapt_wf_add_submission(uint64_t c[IAPT_WF_C_COUNT]);
/* Add a submission's supervisor accounting (to its whole group only:
 * supervisors are counted per submission, not per breakdown level). */
void iapt_wf_add_supervision(uint64_t c[IAPT_WF_C_COUNT],
                             const struct iapt_wf_supervision_counts *s);
/* The join hook's arithmetic: a provider with both submissions, its
 * adult M082 and M031, and its workforce cell `own` (for W003, W004). */
void iapt_wf_add_join(uint64_t c[IAPT_WF_C_COUNT], uint64_t adult_m082, uint64_t adult_m031,
                      const uint64_t own[IAPT_WF_C_COUNT]);

/* ---------------------------------------------------------------------------
 * Catalogue
 * ------------------------------------------------------------------------ */

enum iapt_wf_kind {
    IAPT_WF_COUNT = 0,   /* a headcount or count */
    IAPT_WF_WTE = 1,     /* a sum of WTE (hundredths) */
    IAPT_WF_PERCENT = 2, /* 100 x numerator / denominator */
    IAPT_WF_MEAN = 3,    /* numerator / denominator */
    IAPT_WF_RATIO = 4,   /* numerator per WTE: 100 x numerator / denominator(hundredths) */
};

/* Bits of iapt_wf_rule_t.breakdowns. */
#define IAPT_WF_IN_BREAKDOWN(b) (1u << (b))

/* One catalogue measure and how it is computed. A counter field is -1
 * when unused. */
typedef struct iapt_wf_rule {
    const char *id;   /* "W001" */
    const char *name; /* "Count_StaffInPost" */
    enum iapt_wf_kind kind;
    int num;      /* the value's numerator (COUNT, WTE: the value) */
    int den;      /* PERCENT MEAN RATIO: the denominator */
    int den_plus; /* added to den (W011: W010 + W002), or -1 */
    /* Headcounts deciding disclosure below England: a COUNT is its own;
     * a WTE is `*` when num_head is under 5; PERCENT, MEAN and RATIO are
     * `*` when num_head or den_head (+ den_head_plus) is under 5. */
    int num_head;
    int den_head;
    int den_head_plus;
    /* Bit b set (IAPT_WF_IN_BREAKDOWN(b)): published in breakdown b. Every
     * measure is in IAPT_WF_BREAKDOWN_NONE. */
    unsigned breakdowns;
    /* The value is empty at every level, suppression or not, while this
     * counter is 0 (W040, W041: no provider with both submissions), or -1. */
    int empty_unless;
} iapt_wf_rule_t;

/* The catalogue W001-W041 in output order; *n receives their number.
 * Static storage. */
const iapt_wf_rule_t *iapt_wf_rules(size_t *n /* out */);
/* The rule with this id ("W022"), or NULL. */
const iapt_wf_rule_t *iapt_wf_rule_find(const char *id);

/* The headline measures of the compact table when the user names none
 * (W001 W002 W004 W005 W011 W022 W030 W032 W040); *n receives their
 * number. Static storage. */
const char *const *iapt_wf_headline(size_t *n /* out */);

/* Programme view: the programme's goal of additional trained therapists,
 * against which W006 summed from the first period with data is shown
 * (WORKFORCE.md "Programme view"); the supervision capacity series is
 * W030 and W032 month by month. */
#define IAPT_WF_TRAINED_GOAL 6000

/* The exact value of a rule over cell counters:
 *   COUNT, WTE  num = value (WTE in hundredths), den = 1
 *   PERCENT     value = 100 x num / den
 *   MEAN        value = num / den
 *   RATIO       value = 100 x num / den (den in hundredths of WTE)
 * den == 0: nothing to divide by (the value is empty). num_head and
 * den_head are the headcounts that decide disclosure. */
typedef struct iapt_wf_value {
    enum iapt_wf_kind kind;
    bool empty; /* the rule's empty_unless counter is 0: "" everywhere */
    uint64_t num, den;
    uint64_t num_head, den_head;
} iapt_wf_value_t;

void iapt_wf_value(const iapt_wf_rule_t *rule, const uint64_t c[IAPT_WF_C_COUNT],
                   iapt_wf_value_t *out /* out */);

/* Longest text iapt_wf_format writes, NUL included. */
#define IAPT_WF_TEXT_MAX 32

/*
 * Format a value. exact: England (and any level when unsuppressed output
 * is asked for): counts whole, WTE two decimals, percentages, means and
 * ratios one decimal. Not exact (below England): a count under 5 is `*`,
 * else rounded to 5; a WTE is `*` when its headcount is under 5, else one
 * decimal; percentages (whole), means and ratios (one decimal) are `*`
 * when a headcount is under 5. Suppression is decided before the
 * empty-denominator rule; an empty denominator otherwise gives "".
 * A value marked empty is "" at every level. Rounding is half up, on exact
 * fractions. Values beyond 2^50 give "".
 */
void iapt_wf_format(const iapt_wf_value_t *v, bool exact, char out[IAPT_WF_TEXT_MAX] /* out */);

#endif
