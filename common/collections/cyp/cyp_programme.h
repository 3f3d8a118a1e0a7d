/*
 * cyp_programme.h - the arithmetic of the CYP programme view (docs/CYP.md
 * "Programme view"), on figures the hub has gathered: coverage of the 0-19
 * population and access growth. (The CWP-team figures are measures on the
 * CWP counters: cyp_measures.h, iapt_cyp_cwp_measures.)
 *
 * Pure functions on the caller's arrays: no allocation, thread-safe. Values
 * are exact fractions or integers; "empty" is a false return.
 */
#ifndef IAPT_CYP_PROGRAMME_H
#define IAPT_CYP_PROGRAMME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One sub-ICB of an area (a region, or England) for coverage. */
typedef struct iapt_cyp_area_subicb {
    int64_t population_0_19; /* the geography file's population_0_19 (>= 0);
                              * 0 for an empty or non-integer cell */
    bool covered;            /* the home sub-ICB of a provider with an accepted
                              * CYP submission for the period */
} iapt_cyp_area_subicb_t;

/*
 * Coverage of an area: covered population / population, over its n
 * sub-ICBs. True with *num / *den set (den may be 0: nothing to divide by,
 * the value is empty). False (empty) when the geography file has no
 * population_0_19 column (has_column false), or when a population is
 * negative or the total would pass 2^62.
 */
bool iapt_cyp_coverage(bool has_column, const iapt_cyp_area_subicb_t *subicbs, size_t n,
                       int64_t *num /* out */, int64_t *den /* out */);

/* Months in the access-growth comparison: 12 to the period, 12 before. */
#define IAPT_CYP_GROWTH_MONTHS 24

/*
 * Access growth of an area: (sum of C011 over the 12 months to the period)
 * minus (the same sum 12 months earlier). c011[0] is the month 23 months
 * before the period, c011[23] the period itself; accepted[i] says that
 * month had at least one accepted CYP submission. True with *growth, *recent
 * (the later sum) and *earlier set; false (empty) unless all 24 months have
 * one, or when a count is negative.
 */
bool iapt_cyp_access_growth(const int64_t c011[IAPT_CYP_GROWTH_MONTHS],
                            const bool accepted[IAPT_CYP_GROWTH_MONTHS], int64_t *growth /* out */,
                            int64_t *recent /* out */, int64_t *earlier /* out */);

#endif
