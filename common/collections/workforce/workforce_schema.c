/* workforce_schema.c - the workforce collection's hub half
 * (common/measure_schema.h): its stored counters, the catalogue W001-W041
 * as engine rules, the role / band / profession breakdowns, placement by
 * the provider's home sub-ICB, the derivation hooks over
 * workforce_submission.h and the programme view (trained workforce against
 * the 6,000 goal, supervision capacity month by month).
 *
 * Readings: docs/WORKFORCE-NOTES.md "Readings the C implementation takes".
 * Threads: the schema is immutable; a derivation state is one thread's. */

#include "common/collections/workforce/workforce_schema.h"

#include "common/collections/workforce/workforce_measures.h"
#include "common/collections/workforce/workforce_submission.h"
#include "common/err.h"
#include "common/geography.h"
#include "common/stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N(a) (sizeof a / sizeof *a)

/* ---------------------------------------------------------------------------
 * Catalogue
 * ------------------------------------------------------------------------ */

/* W001-W008 are published without a breakdown and in each of role, band,
 * profession; every other measure without a breakdown only. */
#define STAFF_SPLITS 0u
#define WHOLE IAPT_BREAKDOWN_BIT(IAPT_WF_BREAKDOWN_NONE)

#define RULE(id, name, kind, num, den, supp, scale, stock, splits)                                 \
    {                                                                                              \
        {id, name, kind}, num, den, -1, -1, supp, scale, {NULL, NULL}, stock, splits, 0            \
    }

/* Adult counters the W040/W041 numerators join (iapt_adult_measure_schema
 * counter_names: a measure's own counter carries the measure's id). */
#define JOIN(id, name, adult_counter)                                                              \
    {                                                                                              \
        {id, name, IAPT_MEASURE_RATIO}, -1, IAPT_WF_C_CLINICAL_WTE, -1, -1, IAPT_WF_C_CLINICAL, 0, \
            {"IAPT", adult_counter}, false, WHOLE, 100                                             \
    }

static const iapt_measure_rule_t s_rules[] = {
    RULE("W001", "Count_StaffInPost", IAPT_MEASURE_COUNT, IAPT_WF_C_STAFF, -1, -1, 0, true,
         STAFF_SPLITS),
    RULE("W002", "WTE_StaffInPost", IAPT_MEASURE_SUM_FIXED, IAPT_WF_C_STAFF_WTE, -1,
         IAPT_WF_C_STAFF, 100, true, STAFF_SPLITS),
    RULE("W003", "Count_ClinicalInPost", IAPT_MEASURE_COUNT, IAPT_WF_C_CLINICAL, -1, -1, 0, true,
         STAFF_SPLITS),
    RULE("W004", "WTE_ClinicalInPost", IAPT_MEASURE_SUM_FIXED, IAPT_WF_C_CLINICAL_WTE, -1,
         IAPT_WF_C_CLINICAL, 100, true, STAFF_SPLITS),
    RULE("W005", "Count_TraineesInPost", IAPT_MEASURE_COUNT, IAPT_WF_C_TRAINEES, -1, -1, 0, true,
         STAFF_SPLITS),
    RULE("W006", "Count_TrainingCompleted", IAPT_MEASURE_COUNT, IAPT_WF_C_TRAINING_COMPLETED, -1,
         -1, 0, false, STAFF_SPLITS),
    RULE("W007", "Count_Starters", IAPT_MEASURE_COUNT, IAPT_WF_C_STARTERS, -1, -1, 0, false,
         STAFF_SPLITS),
    RULE("W008", "Count_Leavers", IAPT_MEASURE_COUNT, IAPT_WF_C_LEAVERS, -1, -1, 0, false,
         STAFF_SPLITS),
    RULE("W010", "WTE_Vacant", IAPT_MEASURE_SUM_FIXED, IAPT_WF_C_VACANT_WTE, -1,
         IAPT_WF_C_VACANCIES, 100, true, WHOLE),
    /* Headcounts: vacant posts, and vacant posts + W001; the second is never
     * under 5 when the first is not, so supp = vacant posts decides both.
     * The WTE percentage's own "under 5" checks (in hundredths) follow
     * from it: every post is at least 0.01 WTE. */
    RULE("W011", "Percentage_VacancyRate", IAPT_MEASURE_PERCENT, IAPT_WF_C_VACANT_WTE,
         IAPT_WF_C_POSTS_WTE, IAPT_WF_C_VACANCIES, 0, true, WHOLE),
    RULE("W020", "Count_SupervisionEligible", IAPT_MEASURE_COUNT, IAPT_WF_C_ELIGIBLE, -1, -1, 0,
         false, WHOLE),
    RULE("W021", "Count_WeeklySupervisionMet", IAPT_MEASURE_COUNT, IAPT_WF_C_SUPERVISION_MET, -1,
         -1, 0, false, WHOLE),
    RULE("W022", "Percentage_WeeklySupervisionMet", IAPT_MEASURE_PERCENT, IAPT_WF_C_SUPERVISION_MET,
         IAPT_WF_C_ELIGIBLE, -1, 0, false, WHOLE),
    RULE("W030", "Count_Supervisors", IAPT_MEASURE_COUNT, IAPT_WF_C_SUPERVISORS, -1, -1, 0, true,
         WHOLE),
    /* A mean over two counters: the engine's RATIO (both are headcounts). */
    RULE("W031", "Mean_TraineesPerSupervisor", IAPT_MEASURE_RATIO, IAPT_WF_C_TRAINEES_SUPERVISED,
         IAPT_WF_C_SUPERVISORS, -1, 0, true, WHOLE),
    RULE("W032", "Count_SupervisorsOverFive", IAPT_MEASURE_COUNT, IAPT_WF_C_SUPERVISORS_OVER_5, -1,
         -1, 0, true, WHOLE),
    RULE("W033", "Count_TraineesWithoutSupervisor", IAPT_MEASURE_COUNT,
         IAPT_WF_C_TRAINEES_UNSUPERVISED, -1, -1, 0, true, WHOLE),
    JOIN("W040", "Ratio_AppointmentsPerClinicalWTE", "M082"),
    JOIN("W041", "Ratio_EnteredTreatmentPerClinicalWTE", "M031"),
};

static const char *const s_headline[] = {"W001", "W002", "W004", "W005", "W011",
                                         "W022", "W030", "W032", "W040"};

/* ---------------------------------------------------------------------------
 * Derivation: workforce_submission.h's contributions -> the engine's
 * ------------------------------------------------------------------------ */

typedef struct {
    iapt_emit_fn emit;
    void *arg;
} s_emit_t;

static int
s_convert(void *arg, const iapt_wf_contribution_t *w)
{
    const s_emit_t *e = arg;
    iapt_contribution_t c;
    memset(&c, 0, sizeof c);
    c.place = ""; /* IAPT_PLACE_PROVIDER_HOME: the engine places it */
    c.whole_only = w->whole_only;
    for (int b = 0; b < IAPT_WF_BREAKDOWN_COUNT; b++) {
        if (w->level[b] < 0 || (size_t)w->level[b] >= iapt_wf_breakdowns[b].n_levels)
            return iapt_error_set(IAPT_EFORMAT, "workforce: level %d out of range for %s",
                                  w->level[b], iapt_wf_breakdowns[b].key);
        c.level[b] = (uint8_t)w->level[b];
    }
    memcpy(c.counter, w->counter, IAPT_WF_C_STORED * sizeof *c.counter);
    return e->emit(e->arg, &c);
}

static int
s_open(const iapt_derive_context_t *ctx, void **state)
{
    *state = NULL;
    if (!ctx || !ctx->period)
        return iapt_error_set(IAPT_EUSAGE, "workforce: no period");
    iapt_wf_submission_t *s = NULL;
    int rc = iapt_wf_submission_open(ctx->period, &s);
    if (rc < 0)
        return rc;
    *state = s;
    return 0;
}

static int
s_record(void *state, const uint8_t *bytes, size_t len, size_t index, iapt_emit_fn emit, void *arg)
{
    s_emit_t e = {emit, arg};
    int rc = iapt_wf_submission_record(state, bytes, len, index, s_convert, &e);
    if (rc == IAPT_EFORMAT) {
        /* The engine names the record itself ("record N: ..."): the detail
         * keeps the field and reason only. */
        char prefix[32], rest[512];
        int n = snprintf(prefix, sizeof prefix, "record %zu: ", index);
        const char *detail = iapt_error_detail();
        if (n > 0 && strncmp(detail, prefix, (size_t)n) == 0) {
            snprintf(rest, sizeof rest, "%s", detail + n);
            iapt_error_set(rc, "%s", rest);
        }
    }
    return rc;
}

static int
s_close(void *state, iapt_emit_fn emit, void *arg)
{
    s_emit_t e = {emit, arg};
    return iapt_wf_submission_close(state, s_convert, &e);
}

static void
s_free(void *state)
{
    iapt_wf_submission_free(state);
}

/* ---------------------------------------------------------------------------
 * Programme view
 * ------------------------------------------------------------------------ */

/* A count as published: exact at England (or unsuppressed), else `*` under
 * 5 and rounded to 5. */
static void
s_count(uint64_t n, bool exact, char out[32])
{
    if (exact)
        snprintf(out, 32, "%llu", (unsigned long long)n);
    else if (n < 5)
        snprintf(out, 32, "*");
    else
        snprintf(out, 32, "%llu", (unsigned long long)((2 * n + 5) / 10 * 5));
}

/* 100 x n / goal, one decimal, half up. */
static void
s_percent(uint64_t n, uint64_t goal, char out[32])
{
    uint64_t t = (2000 * n + goal) / (2 * goal);
    snprintf(out, 32, "%llu.%llu", (unsigned long long)(t / 10), (unsigned long long)(t % 10));
}

typedef struct {
    const char *code, *name;
} s_region_t;

static int
s_region_cmp(const void *a, const void *b)
{
    return strcmp(((const s_region_t *)a)->code, ((const s_region_t *)b)->code);
}

static uint64_t
s_counter(const iapt_stats_t *st, int type, const char *code, int c)
{
    const iapt_cell_t *cell = st ? iapt_stats_cell(st, type, code, 0) : NULL;
    return cell ? iapt_cell_counter(cell, c) : 0;
}

/* One group's four lines of one month. */
static int
s_group_lines(iapt_target_rows_t *t, const char *month, const char *first, const char *who,
              const iapt_stats_t *st, int type, const char *code, uint64_t *cumulative, bool exact)
{
    char v[32], g[32], p[32], m[96];
    uint64_t trained = s_counter(st, type, code, IAPT_WF_C_TRAINING_COMPLETED);
    *cumulative += trained;
    int rc;
    snprintf(m, sizeof m, "%s trained in the month", month);
    s_count(trained, exact, v);
    if ((rc = iapt_target_rows_add(t, who, m, v, "", "")) < 0)
        return rc;
    snprintf(m, sizeof m, "%s trained since %s", month, first);
    s_count(*cumulative, exact, v);
    g[0] = p[0] = 0;
    if (type == IAPT_GROUP_ENGLAND) { /* the goal is national */
        snprintf(g, sizeof g, "%d", IAPT_WF_TRAINED_GOAL);
        s_percent(*cumulative, IAPT_WF_TRAINED_GOAL, p);
    }
    if ((rc = iapt_target_rows_add(t, who, m, v, g, p)) < 0)
        return rc;
    snprintf(m, sizeof m, "%s supervisors", month);
    s_count(s_counter(st, type, code, IAPT_WF_C_SUPERVISORS), exact, v);
    if ((rc = iapt_target_rows_add(t, who, m, v, "", "")) < 0)
        return rc;
    snprintf(m, sizeof m, "%s supervisors over five trainees", month);
    s_count(s_counter(st, type, code, IAPT_WF_C_SUPERVISORS_OVER_5), exact, v);
    return iapt_target_rows_add(t, who, m, v, "", "");
}

int
iapt_workforce_view(const iapt_view_input_t *in, iapt_target_rows_t **out)
{
    *out = NULL;
    if (!in || !in->period || (in->n_months && !in->months))
        return iapt_error_set(IAPT_EUSAGE, "workforce view: no input");
    if (in->n_months > IAPT_VIEW_MONTHS_MAX)
        return iapt_error_set(IAPT_EUSAGE, "workforce view: more than %d months",
                              IAPT_VIEW_MONTHS_MAX);
    /* The months up to the period, in order; st[i] NULL when none given. */
    const iapt_stats_t *st[IAPT_VIEW_MONTHS_MAX] = {NULL};
    size_t n = in->n_months ? in->n_months : 1;
    iapt_period_t window;
    iapt_period_add(in->period, -(int)(n - 1), &window);
    uint32_t lo = iapt_period_key(&window), hi = iapt_period_key(in->period);
    for (size_t i = 0; i < in->n_months; i++) {
        const iapt_stats_t *s = in->months[i];
        if (!s)
            continue;
        if (iapt_stats_breakdown(s) != 0)
            return iapt_error_set(IAPT_EUSAGE, "workforce view: a breakdown accumulator");
        const iapt_period_t *p = iapt_stats_period(s);
        uint32_t key = iapt_period_key(p);
        if (key < lo || key > hi)
            continue;
        int at = (p->year - window.year) * 12 + (p->month - window.month);
        if (at < 0 || (size_t)at >= n)
            continue;
        if (st[at])
            return iapt_error_set(IAPT_EUSAGE, "workforce view: %s given twice", p->text);
        st[at] = s;
    }
    /* From the first month with an accepted submission. */
    size_t first = n;
    for (size_t i = 0; i < n && first == n; i++)
        if (s_counter(st[i], IAPT_GROUP_ENGLAND, NULL, IAPT_WF_C_SUBMISSIONS) > 0)
            first = i;
    int months = 0;
    for (size_t i = first; i < n; i++)
        months += s_counter(st[i], IAPT_GROUP_ENGLAND, NULL, IAPT_WF_C_SUBMISSIONS) > 0;
    iapt_period_t first_p;
    iapt_period_add(&window, (int)(first < n ? first : n - 1), &first_p);
    iapt_target_rows_t *t = iapt_target_rows_new(first_p.text, in->period->text, months);
    if (!t)
        return iapt_error_set(IAPT_ENOMEM, "workforce view: out of memory");
    if (first == n) {
        *out = t;
        return 0;
    }

    /* Regions of the geography with data in any of those months, by code. */
    size_t n_geo = iapt_geography_count(in->geography);
    s_region_t *regions = calloc(n_geo ? n_geo : 1, sizeof *regions);
    uint64_t *cumulative = calloc(n_geo + 1, sizeof *cumulative);
    size_t n_regions = 0;
    int rc = 0;
    if (!regions || !cumulative) {
        rc = iapt_error_set(IAPT_ENOMEM, "workforce view: out of memory");
        goto out;
    }
    for (size_t i = 0; i < n_geo; i++) {
        const iapt_geo_area_t *a = iapt_geography_at(in->geography, i);
        bool seen = false, data = false;
        for (size_t r = 0; r < n_regions && !seen; r++)
            seen = strcmp(regions[r].code, a->region_code) == 0;
        for (size_t m = first; m < n && !seen && !data; m++)
            data = st[m] && iapt_stats_cell(st[m], IAPT_GROUP_REGION, a->region_code, 0);
        if (!seen && data)
            regions[n_regions++] = (s_region_t){a->region_code, a->region_name};
    }
    qsort(regions, n_regions, sizeof *regions, s_region_cmp);

    for (size_t m = first; m < n && rc == 0; m++) {
        iapt_period_t p;
        iapt_period_add(&window, (int)m, &p);
        rc = s_group_lines(t, p.text, first_p.text, "England", st[m], IAPT_GROUP_ENGLAND, NULL,
                           &cumulative[n_regions], true);
        for (size_t r = 0; r < n_regions && rc == 0; r++)
            rc = s_group_lines(t, p.text, first_p.text, regions[r].name, st[m], IAPT_GROUP_REGION,
                               regions[r].code, &cumulative[r], in->unsuppressed);
    }
out:
    free(regions);
    free(cumulative);
    if (rc < 0)
        iapt_target_rows_destroy(&t);
    else
        *out = t;
    return rc;
}

/* ---------------------------------------------------------------------------
 * The schema
 * ------------------------------------------------------------------------ */

const iapt_measure_schema_t iapt_workforce_measure_schema = {
    .n_counters = IAPT_WF_C_STORED,
    .counter_names = iapt_wf_counter_names,
    .appear = IAPT_WF_C_APPEAR,
    .counter_bound = iapt_wf_counter_bounds,
    .n_dists = 0,
    .dist_total = NULL,
    .n_measures = N(s_rules),
    .measures = s_rules,
    .n_breakdowns = IAPT_WF_BREAKDOWN_COUNT,
    .breakdowns = iapt_wf_breakdowns,
    .group_types = IAPT_GROUP_BIT(IAPT_GROUP_ENGLAND) | IAPT_GROUP_BIT(IAPT_GROUP_REGION) |
                   IAPT_GROUP_BIT(IAPT_GROUP_ICB) | IAPT_GROUP_BIT(IAPT_GROUP_PROVIDER),
    .placement = IAPT_PLACE_PROVIDER_HOME,
    .derive = {.open = s_open, .record = s_record, .close = s_close, .free = s_free},
    .config = {NULL, NULL, NULL, NULL, NULL},
    .n_headline = N(s_headline),
    .headline = s_headline,
    .view = iapt_workforce_view,
    .view_title = "programme",
    .view_months = IAPT_VIEW_MONTHS_MAX,
};
