/* adult_targets.c - the adult collection's programme view: access rate and
 * progress against the 2015 targets per region (MEASURES-NOTES "Access and
 * 2015 targets view"), from the monthly accumulators of common/stats.c; and
 * the view rows object every programme view returns (common/stats.h). */

#include "common/err.h"
#include "common/collections/adult/adult_internal.h"
#include "common/stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Sums over the view's months for one region (or England). */
typedef struct {
    uint64_t entering, finished, recovered, not_caseness, off;
} s_sums_t;

/* Exact fractions stay far below 2^63 for cell counts (< 2^36 a month,
 * twelve months) and table numbers (< 10^12); this guards the rest. */
#define FRACTION_BOUND ((uint64_t)1 << 58)

/* round(a / b) half up; b > 0. */
static uint64_t
s_round(uint64_t a, uint64_t b)
{
    return (2 * a + b) / (2 * b);
}

/* A whole number a / b, or rounded to 5 below England; `*` when the count
 * behind it is under 5 below England. */
static void
s_fmt_count(uint64_t a, uint64_t b, uint64_t raw, bool exact, char *out, size_t size)
{
    if (!exact && raw < 5)
        snprintf(out, size, "*");
    else if (b == 0 || a > FRACTION_BOUND || b > FRACTION_BOUND)
        out[0] = 0;
    else if (exact)
        snprintf(out, size, "%llu", (unsigned long long)s_round(a, b));
    else
        snprintf(out, size, "%llu", (unsigned long long)(s_round(a, 5 * b) * 5));
}

/* A percentage already scaled by 100 (a / b), one decimal exact, whole
 * below England; `*` when num or den is under 5 below England. */
static void
s_fmt_pct(uint64_t a, uint64_t b, uint64_t num, uint64_t den, bool exact, char *out, size_t size)
{
    if (!exact && (num < 5 || den < 5))
        snprintf(out, size, "*");
    else if (b == 0 || a > FRACTION_BOUND / 10 || b > FRACTION_BOUND)
        out[0] = 0;
    else if (exact) {
        uint64_t t = s_round(10 * a, b);
        snprintf(out, size, "%llu.%llu", (unsigned long long)(t / 10),
                 (unsigned long long)(t % 10));
    } else {
        snprintf(out, size, "%llu", (unsigned long long)s_round(a, b));
    }
}

/* The five lines of one region (or England). */
static int
s_region_lines(iapt_target_rows_t *t, const char *region, const s_sums_t *s,
               const iapt_sha_target_t *target, bool exact)
{
    uint64_t months = (uint64_t)iapt_target_rows_months(t);
    char v[32], g[32], p[32];
    int rc;

    /* Entering treatment per year = entering x 12 / months. */
    s_fmt_count(s->entering * 12, months, s->entering, exact, v, sizeof v);
    snprintf(g, sizeof g, "%llu", (unsigned long long)target->entering_treatment);
    s_fmt_pct(s->entering * 12 * 100, months * target->entering_treatment, s->entering, 5, exact, p,
              sizeof p);
    if ((rc = iapt_target_rows_add(t, region, "Entering treatment per year", v, g, p)) < 0)
        return rc;

    /* Access rate = annualised entering / prevalence x 100, goal 15%. */
    s_fmt_pct(s->entering * 12 * 100, months * target->prevalence, s->entering, 5, exact, v,
              sizeof v);
    s_fmt_pct(s->entering * 12 * 100 * 100, months * target->prevalence * 15, s->entering, 5, exact,
              p, sizeof p);
    if ((rc = iapt_target_rows_add(t, region, "Access rate (%)", v, "15", p)) < 0)
        return rc;

    /* Completion = finished / entering x 100, goal 66%. */
    s_fmt_pct(s->finished * 100, s->entering, s->finished, s->entering, exact, v, sizeof v);
    s_fmt_pct(s->finished * 100 * 100, s->entering * 66, s->finished, s->entering, exact, p,
              sizeof p);
    if ((rc = iapt_target_rows_add(t, region, "Completion rate (%)", v, "66", p)) < 0)
        return rc;

    /* Recovery = recovered / (finished - not at caseness) x 100, goal 50%. */
    uint64_t den = s->finished > s->not_caseness ? s->finished - s->not_caseness : 0;
    s_fmt_pct(s->recovered * 100, den, s->recovered, den, exact, v, sizeof v);
    s_fmt_pct(s->recovered * 100 * 100, den * 50, s->recovered, den, exact, p, sizeof p);
    if ((rc = iapt_target_rows_add(t, region, "Recovery rate (%)", v, "50", p)) < 0)
        return rc;

    /* Off sick pay or benefits per year. */
    s_fmt_count(s->off * 12, months, s->off, exact, v, sizeof v);
    snprintf(g, sizeof g, "%llu", (unsigned long long)target->off_sick_pay_benefits);
    s_fmt_pct(s->off * 12 * 100, months * target->off_sick_pay_benefits, s->off, 5, exact, p,
              sizeof p);
    return iapt_target_rows_add(t, region, "Off sick pay or benefits per year", v, g, p);
}

static void
s_sum_cell(s_sums_t *s, const iapt_cell_t *cell)
{
    if (!cell)
        return;
    static const char *const ids[4] = {"M031", "M076", "M191", "M179"};
    uint64_t *dst[4] = {&s->entering, &s->finished, &s->recovered, &s->not_caseness};
    for (int i = 0; i < 4; i++) {
        iapt_measure_value_t v;
        iapt_cell_measure(cell, iapt_measure_find(ids[i]), &v);
        *dst[i] += (uint64_t)v.num;
    }
    s->off += iapt_adult_off_sick_pay_or_benefits(cell);
}

int
iapt_targets_view(const iapt_period_t *period, const iapt_stats_t *const *months, size_t n_months,
                  const iapt_sha_targets_t *targets, bool unsuppressed, iapt_target_rows_t **out)
{
    iapt_period_t first;
    const iapt_stats_t *used[12];
    int n_used = 0, rc = 0;

    *out = NULL;
    if (!period || !targets || (n_months && !months))
        return iapt_error_set(IAPT_EUSAGE, "targets view: missing argument");
    iapt_period_add(period, -11, &first);
    uint32_t lo = iapt_period_key(&first), hi = iapt_period_key(period);
    for (size_t i = 0; i < n_months; i++) {
        const iapt_stats_t *st = months[i];
        if (!st)
            continue;
        if (iapt_stats_breakdown(st) != IAPT_BREAKDOWN_NONE)
            return iapt_error_set(IAPT_EUSAGE, "targets view: a breakdown accumulator");
        uint32_t key = iapt_period_key(iapt_stats_period(st));
        for (size_t j = 0; j < i; j++)
            if (months[j] && iapt_period_key(iapt_stats_period(months[j])) == key)
                return iapt_error_set(IAPT_EUSAGE, "targets view: %s given twice",
                                      iapt_stats_period(st)->text);
        const iapt_cell_t *england = iapt_stats_cell(st, IAPT_GROUP_ENGLAND, NULL, 0);
        if (key < lo || key > hi || !england || iapt_cell_empty(england))
            continue;
        used[n_used++] = st;
    }

    iapt_target_rows_t *t = iapt_target_rows_new(first.text, period->text, n_used);
    if (!t)
        return iapt_error_set(IAPT_ENOMEM, "targets: out of memory");

    iapt_sha_target_t england_target = {"England", 0, 0, 0, 0, 0};
    for (size_t r = 0; r < iapt_sha_targets_count(targets); r++) {
        const iapt_sha_target_t *target = iapt_sha_targets_at(targets, r);
        england_target.prevalence += target->prevalence;
        england_target.entering_treatment += target->entering_treatment;
        england_target.completing_treatment += target->completing_treatment;
        england_target.recovering += target->recovering;
        england_target.off_sick_pay_benefits += target->off_sick_pay_benefits;

        s_sums_t sums = {0, 0, 0, 0, 0};
        bool known = false;
        for (int m = 0; m < n_used; m++) {
            const char *code =
                iapt_geography_region_by_name(iapt_stats_geography(used[m]), target->sha_name);
            if (code) {
                known = true;
                s_sum_cell(&sums, iapt_stats_cell(used[m], IAPT_GROUP_REGION, code, 0));
            }
        }
        if (!known && n_used > 0)
            continue;
        if ((rc = s_region_lines(t, target->sha_name, &sums, target, unsuppressed)) < 0)
            goto out_fail;
    }
    s_sums_t all = {0, 0, 0, 0, 0};
    for (int m = 0; m < n_used; m++)
        s_sum_cell(&all, iapt_stats_cell(used[m], IAPT_GROUP_ENGLAND, NULL, 0));
    if (iapt_sha_targets_count(targets) &&
        (rc = s_region_lines(t, "England", &all, &england_target, true)) < 0)
        goto out_fail;
    *out = t;
    return 0;

out_fail:
    iapt_target_rows_destroy(&t);
    return rc;
}

int
iapt_adult_targets_view(const iapt_view_input_t *in, iapt_target_rows_t **out)
{
    if (!in)
        return iapt_error_set(IAPT_EUSAGE, "targets view: no input");
    return iapt_targets_view(in->period, in->months, in->n_months, in->targets, in->unsuppressed,
                             out);
}
