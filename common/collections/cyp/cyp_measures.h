/*
 * cyp_measures.h - what a CYP cell counts, how one derived referral adds to
 * it, the measure catalogue C001-C063 as data, the programme view's CWP-team
 * measures and the CYP breakdowns (docs/CYP.md "Measures", "Programme view";
 * readings in docs/CYP-NOTES.md).
 *
 * A cell of the CYP collection is IAPT_CYP_C_COUNT unsigned counters plus
 * IAPT_CYP_D_COUNT exact distributions (value -> count maps, for the means
 * and the median), the shape of common/measure_schema.h: counter names,
 * the counter each never exceeds, the counter each distribution totals.
 * Everything is additive: the cell of a union of referrals is the sum of
 * the cells, so England, regions, ICBs, sub-ICBs and providers are sums of
 * the same cells. Every measure is an exact fraction; no floating point.
 *
 * The counter and distribution enums are an encoding order: never reorder
 * or remove one; append only (a stored cell holds them in this order).
 *
 * How the hub half uses it, per record of an accepted submission:
 *   iapt_cyp_derive(rec, period, tools, &d)     refuse the record on error;
 *   iapt_cyp_contribute(&d, counter, has_value, value)
 *                                               one contribution, placed by
 *     rec->commissioner (Region, ICB, SubICB) and the submitting provider,
 *     at level d.level[b] of every breakdown b (iapt_cyp_breakdown_def);
 *   then per cell and measure: the kind's rule on m->num, m->den and
 *   distribution m->dist (iapt_cyp_measure_value computes it given the
 *   distributions' sums). The CWP-team view reads iapt_cyp_cwp_measures on
 *   the provider's cells.
 *
 * Static, immutable tables: thread-safe, nothing to free. iapt_cyp_contribute
 * writes only to the caller's arrays.
 */
#ifndef IAPT_CYP_MEASURES_H
#define IAPT_CYP_MEASURES_H

#include "common/collections/cyp/cyp_derive.h"
#include "common/measure_schema.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The counters of a CYP cell, in encoding order. Every one counts
 * referrals except the three contact counters (C020, C021, C022_DEN). */
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
    IAPT_CYP_C_C020,          /* contacts dated in the period, code 5 or 6 */
    IAPT_CYP_C_C021,          /* contacts dated in the period, code 3 */
    IAPT_CYP_C_C022_DEN,      /* C020 + C021: contacts in the period, code 3, 5 or 6 */
    IAPT_CYP_C_C030,          /* closed in the period */
    IAPT_CYP_C_C031,          /* of C030, >= 2 attended contacts */
    IAPT_CYP_C_C032,          /* of C031, a paired series */
    IAPT_CYP_C_C040,          /* outcome-eligible */
    IAPT_CYP_C_C041,          /* measurable improvement */
    IAPT_CYP_C_C043,          /* deterioration */
    IAPT_CYP_C_C045,          /* recovered */
    IAPT_CYP_C_C046,          /* recovery-eligible */
    IAPT_CYP_C_C050,          /* closed in the period with a paired goal series */
    IAPT_CYP_C_C052,          /* of C050, goal movement >= the goal tool's reliable change */
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
    IAPT_CYP_D_WAIT = 0, /* wait of C010 referrals, days (C060 mean, C061 median);
                          * totals C010 */
    IAPT_CYP_D_GOAL = 1, /* goal movement of C050 referrals, 1/600 point (C051 signed
                          * mean); totals C050 */
    IAPT_CYP_D_COUNT = 2,
};

/* Names of the counters ("referrals", "C001", ..., "C022_den",
 * "cwp_referrals", "cwp_C010", ...), IAPT_CYP_C_COUNT of them. Static. */
const char *const *iapt_cyp_counter_names(void);

/* For every counter, the counter it never exceeds in any cell (C002 of
 * C001, C013 of C012, C020 of C022_DEN, ...), -1 for none (REFERRALS,
 * C022_DEN). IAPT_CYP_C_COUNT entries. Static. */
const int *iapt_cyp_counter_bounds(void);

/* For every distribution, the counter its total equals. IAPT_CYP_D_COUNT
 * entries. Static. */
const int *iapt_cyp_dist_totals(void);

/* The same three tables as arrays, for the collection's measure schema
 * (common/collections/cyp/cyp_schema.c), which needs their addresses at
 * compile time. */
extern const char *const iapt_cyp_counter_name_table[IAPT_CYP_C_COUNT];
extern const int iapt_cyp_counter_bound_table[IAPT_CYP_C_COUNT];
extern const int iapt_cyp_dist_total_table[IAPT_CYP_D_COUNT];

/* Add one derived referral: counter[i] += its increment (the caller keeps
 * them within its cell's limits); has_value[k] / value[k] (overwritten)
 * receive its value in distribution k, when it has one. */
void iapt_cyp_contribute(const iapt_cyp_derived_t *d, uint64_t counter[IAPT_CYP_C_COUNT],
                         bool has_value[IAPT_CYP_D_COUNT], int32_t value[IAPT_CYP_D_COUNT]);

/* ---------------------------------------------------------------------------
 * Catalogue
 * ------------------------------------------------------------------------ */

/* The same names and values as common/measure_schema.h's enum
 * iapt_measure_kind, with the disclosure control each implies below
 * England (MEASURES.md, docs/CYP.md). */
enum iapt_cyp_measure_kind {
    IAPT_CYP_MEASURE_COUNT = 0,       /* counter num; `*` under 5, else to 5 */
    IAPT_CYP_MEASURE_PERCENT = 1,     /* 100 x num / den; `*` when num or den under 5
                                       * (C022: den is C020 + C021, CYP's rule) */
    IAPT_CYP_MEASURE_MEAN = 2,        /* sum / count of distribution dist (count: den);
                                       * `*` when count or sum under 5 */
    IAPT_CYP_MEASURE_MEDIAN = 3,      /* median of distribution dist (count: den);
                                       * `*` when count under 5 */
    IAPT_CYP_MEASURE_MEAN_SIGNED = 6, /* a mean whose sum may be zero or negative
                                       * (C051): `*` only when count under 5 */
};

typedef struct iapt_cyp_measure {
    const char *id;   /* "C001" */
    const char *name; /* "Count_ReferralsReceived" */
    enum iapt_cyp_measure_kind kind;
    int num;          /* COUNT, PERCENT: counter; -1 otherwise */
    int den;          /* PERCENT: denominator counter; MEAN, MEDIAN: the count's counter;
                       * -1 for COUNT */
    int dist;         /* MEAN, MEAN_SIGNED, MEDIAN: distribution; -1 otherwise */
    int64_t scale;    /* values of dist in 1/scale units (600 for C051); 1 otherwise */
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
 * The exact value of a COUNT, PERCENT, MEAN or MEAN_SIGNED measure:
 * value = *num / *den (PERCENT: 100 x *num / *den; MEAN: the distribution's
 * sum over count x scale, in points), from a cell's counters and the sums
 * of its distributions (dist_sum[k] = sum of value x count over
 * distribution k). *den == 0 when there is nothing to divide by (the value
 * is empty); COUNT has *den = 1. IAPT_EUSAGE for a MEDIAN (its value is
 * the distribution's median) or a malformed entry.
 */
int iapt_cyp_measure_value(const iapt_cyp_measure_t *m, const uint64_t counter[IAPT_CYP_C_COUNT],
                           const int64_t dist_sum[IAPT_CYP_D_COUNT], int64_t *num /* out */,
                           int64_t *den /* out */);

/* ---------------------------------------------------------------------------
 * Breakdowns
 * ------------------------------------------------------------------------ */

/* A CYP breakdown is the engine's iapt_breakdown_def_t (key, BREAKDOWN
 * title, levels in output order, the last "Unknown"). */
typedef iapt_breakdown_def_t iapt_cyp_breakdown_def_t;

/* Most levels any CYP breakdown has (IMD decile: 10 and Unknown). */
#define IAPT_CYP_BD_LEVELS_MAX 11

/* Every breakdown, IAPT_CYP_BD_COUNT of them, in enum iapt_cyp_breakdown
 * order (the schema's breakdowns). */
extern const iapt_breakdown_def_t iapt_cyp_breakdown_table[IAPT_CYP_BD_COUNT];

/* Breakdown `id` (enum iapt_cyp_breakdown), NULL otherwise. Static. */
const iapt_cyp_breakdown_def_t *iapt_cyp_breakdown_def(int id);

/* Id of the breakdown with this key, or -1. */
int iapt_cyp_breakdown_find(const char *key);

#endif
