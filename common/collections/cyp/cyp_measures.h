/*
 * cyp_measures.h - what a CYP cell counts, how one derived referral adds to
 * it, the measure catalogue C001-C063 as data, the programme view's CWP-team
 * measures and the CYP breakdowns (docs/CYP.md "Measures", "Programme view";
 * readings in docs/CYP-NOTES.md).
 *
 * A cell of the CYP collection is an array of IAPT_CYP_C_COUNT signed 64-bit
 * counters plus IAPT_CYP_D_COUNT exact distributions (multisets of whole
 * numbers, for the medians). Everything is additive: the cell of a union of
 * referrals is the sum of the cells, so England, regions, ICBs, sub-ICBs and
 * providers are sums of the same cells. Every measure is an exact fraction
 * of counters (or a median of a distribution); no floating point.
 *
 * The counter and distribution enums are an encoding order: never reorder
 * or remove one; append only (a stored cell holds them in this order).
 *
 * How the hub half uses it, per record of an accepted submission:
 *   iapt_cyp_derive(rec, period, tools, &d)        refuse the record on error;
 *   iapt_cyp_contribute(&d, counters, &dist)       into the cell of every group
 *                                                  and breakdown level the
 *                                                  referral belongs to:
 *     geography by rec->commissioner (Region, ICB, SubICB) and the submitting
 *     provider; breakdown b at level d.level[b] (iapt_cyp_breakdown_def);
 *   then per cell and measure iapt_cyp_measure_value (or the median of
 *   distribution m->dist for a MEDIAN), formatted and suppressed by m->kind
 *   and m->suppress. The CWP-team view reads iapt_cyp_cwp_measures on the
 *   provider's cell.
 *
 * Static, immutable tables: thread-safe, nothing to free. iapt_cyp_contribute
 * writes only to the caller's arrays.
 */
#ifndef IAPT_CYP_MEASURES_H
#define IAPT_CYP_MEASURES_H

#include "common/collections/cyp/cyp_derive.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The counters of a CYP cell, in encoding order. */
enum iapt_cyp_counter {
    IAPT_CYP_C_REFERRALS = 0, /* every counted referral: does the group appear? */
    IAPT_CYP_C_C001,          /* received in the period */
    IAPT_CYP_C_C002,          /* of C001, source 01 self */
    IAPT_CYP_C_C003,          /* of C001, source 02 parent or carer */
    IAPT_CYP_C_C004,          /* of C001, source 04 school or college */
    IAPT_CYP_C_C010,          /* first attended contact in the period */
    IAPT_CYP_C_C011,          /* second attended contact in the period */
    IAPT_CYP_C_C012,          /* not closed at the period end */
    IAPT_CYP_C_C013,          /* of C012, no attended contact */
    IAPT_CYP_C_C014,          /* of C013, period end - referral > 126 days */
    IAPT_CYP_C_C020,          /* attended contacts dated in the period (contacts) */
    IAPT_CYP_C_C021,          /* code 3 contacts dated in the period (contacts) */
    IAPT_CYP_C_C030,          /* closed in the period */
    IAPT_CYP_C_C031,          /* of C030, >= 2 attended contacts */
    IAPT_CYP_C_C032,          /* of C031, a paired series */
    IAPT_CYP_C_C040,          /* outcome-eligible */
    IAPT_CYP_C_C041,          /* measurable improvement */
    IAPT_CYP_C_C043,          /* deterioration */
    IAPT_CYP_C_C045,          /* recovered */
    IAPT_CYP_C_C046,          /* recovery-eligible */
    IAPT_CYP_C_C050,          /* closed in the period with a paired goal series */
    IAPT_CYP_C_C051_SUM,      /* signed sum over C050 of goal movement, 1/600 point */
    IAPT_CYP_C_C052,          /* of C050, goal movement >= the goal tool's reliable change */
    IAPT_CYP_C_C060_SUM,      /* signed sum over C010 of the wait, days */
    IAPT_CYP_C_C062,          /* of C010, wait <= 28 */
    /* Programme view: referrals of TeamType CWP. */
    IAPT_CYP_C_CWP_REFERRALS, /* counted referrals of CWP teams */
    IAPT_CYP_C_CWP_C010,
    IAPT_CYP_C_CWP_C011,
    IAPT_CYP_C_CWP_C040,
    IAPT_CYP_C_CWP_C041,
    IAPT_CYP_C_COUNT,
};

/* The distributions of a CYP cell, in encoding order. */
enum iapt_cyp_dist {
    IAPT_CYP_D_WAIT = 0, /* wait of C010 referrals, days (C061; C060 is from counters) */
    IAPT_CYP_D_COUNT = 1,
};

/* What one referral adds to each distribution: at most one value each. */
typedef struct iapt_cyp_dist_values {
    bool has[IAPT_CYP_D_COUNT];
    int32_t value[IAPT_CYP_D_COUNT];
} iapt_cyp_dist_values_t;

/* Add one derived referral: counters[i] += its contribution (the caller
 * keeps them within its cell's limits), and *dist (overwritten) receives its
 * distribution values. */
void iapt_cyp_contribute(const iapt_cyp_derived_t *d, int64_t counters[IAPT_CYP_C_COUNT],
                         iapt_cyp_dist_values_t *dist /* out */);

/* ---------------------------------------------------------------------------
 * Catalogue
 * ------------------------------------------------------------------------ */

/* The same values as common/measures.h's enum iapt_measure_kind. */
enum iapt_cyp_measure_kind {
    IAPT_CYP_MEASURE_COUNT = 0,   /* counter num */
    IAPT_CYP_MEASURE_PERCENT = 1, /* 100 x num / (den + den_plus) */
    IAPT_CYP_MEASURE_MEAN = 2,    /* counter num (a sum) / (counter den x scale) */
    IAPT_CYP_MEASURE_MEDIAN = 3,  /* median of distribution dist (over counter den) */
};

/* Disclosure control below England (MEASURES.md, docs/CYP.md). */
enum iapt_cyp_suppress {
    /* COUNT: under 5. PERCENT: numerator or denominator under 5. MEAN: its
     * count or its sum under 5. MEDIAN: its count under 5. */
    IAPT_CYP_SUPPRESS_STANDARD = 0,
    /* MEAN whose sum may be zero or negative (C051): `*` only when its
     * count is under 5; the sum is not a suppression test. */
    IAPT_CYP_SUPPRESS_COUNT_ONLY = 1,
};

typedef struct iapt_cyp_measure {
    const char *id;   /* "C001" */
    const char *name; /* "Count_ReferralsReceived" */
    enum iapt_cyp_measure_kind kind;
    int num;       /* counter: the count, the numerator or the sum; -1 for MEDIAN */
    int den;       /* counter: PERCENT denominator; MEAN and MEDIAN count; -1 for COUNT */
    int den_plus;  /* PERCENT: counter added to den (C022: C020 + C021), or -1 */
    int dist;      /* MEDIAN: distribution; -1 otherwise */
    int64_t scale; /* MEAN: units per point of the sum (600 for C051, 1 for C060); 1 otherwise */
    enum iapt_cyp_suppress suppress;
    const char *note; /* the rule in words, for docs and reviewers */
} iapt_cyp_measure_t;

/* The measures C001-C063 in docs/CYP.md order; *n receives their number.
 * Static storage. */
const iapt_cyp_measure_t *iapt_cyp_measures(size_t *n /* out */);

/* The catalogue entry with this id, or NULL. */
const iapt_cyp_measure_t *iapt_cyp_measure_find(const char *id);

/* The programme view's CWP-team measures (C010, C011, C042 of the TeamType
 * CWP referrals of a provider), on the CWP counters. Static storage. */
const iapt_cyp_measure_t *iapt_cyp_cwp_measures(size_t *n /* out */);

/*
 * The exact value of a COUNT, PERCENT or MEAN measure from a cell's
 * counters: value = *num / *den (PERCENT: 100 x *num / *den; MEAN: the sum
 * over count x scale, in points); *den == 0 when there is nothing to divide
 * by (the value is empty); COUNT has *den = 1. IAPT_EUSAGE for a MEDIAN (its
 * value comes from the cell's distribution) or a malformed entry.
 */
int iapt_cyp_measure_value(const iapt_cyp_measure_t *m, const int64_t counters[IAPT_CYP_C_COUNT],
                           int64_t *num /* out */, int64_t *den /* out */);

/* ---------------------------------------------------------------------------
 * Breakdowns
 * ------------------------------------------------------------------------ */

typedef struct iapt_cyp_breakdown_def {
    const char *key;   /* "age"; "none" for IAPT_CYP_BD_NONE */
    const char *title; /* the BREAKDOWN column, "" for none */
    size_t n_levels;
    const char *const *levels; /* BREAKDOWN_LEVEL labels in output order, last "Unknown" */
} iapt_cyp_breakdown_def_t;

/* Most levels any CYP breakdown has (IMD decile: 10 and Unknown). */
#define IAPT_CYP_BD_LEVELS_MAX 11

/* Breakdown `id` (enum iapt_cyp_breakdown), NULL otherwise. Static. */
const iapt_cyp_breakdown_def_t *iapt_cyp_breakdown_def(int id);

/* Id of the breakdown with this key, or -1. */
int iapt_cyp_breakdown_find(const char *key);

#endif
