/* cyp_programme.c - coverage and access growth of the CYP programme view. */

#include "common/collections/cyp/cyp_programme.h"

#define S_TOTAL_MAX ((int64_t)1 << 62)

bool
iapt_cyp_coverage(bool has_column, const iapt_cyp_area_subicb_t *subicbs, size_t n, int64_t *num,
                  int64_t *den)
{
    int64_t covered = 0, total = 0;
    if (!has_column || (n > 0 && !subicbs))
        return false;
    for (size_t i = 0; i < n; i++) {
        const iapt_cyp_area_subicb_t *s = &subicbs[i];
        if (s->population_0_19 < 0 || s->population_0_19 > S_TOTAL_MAX - total)
            return false;
        total += s->population_0_19;
        if (s->covered)
            covered += s->population_0_19;
    }
    *num = covered;
    *den = total;
    return true;
}

bool
iapt_cyp_access_growth(const int64_t c011[IAPT_CYP_GROWTH_MONTHS],
                       const bool accepted[IAPT_CYP_GROWTH_MONTHS], int64_t *growth,
                       int64_t *recent, int64_t *earlier)
{
    int64_t sum[2] = {0, 0};
    for (int i = 0; i < IAPT_CYP_GROWTH_MONTHS; i++) {
        if (!accepted[i] || c011[i] < 0 || c011[i] > S_TOTAL_MAX / IAPT_CYP_GROWTH_MONTHS)
            return false;
        sum[i >= IAPT_CYP_GROWTH_MONTHS / 2] += c011[i];
    }
    *earlier = sum[0];
    *recent = sum[1];
    *growth = sum[1] - sum[0];
    return true;
}
