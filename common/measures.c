/* measures.c - the generic measure engine: schema lookups and checks,
 * the exact formatting of measure values, and a submission's derivation
 * through the schema's hooks into an aggregation. */

#include "common/err.h"
#include "common/measures.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------
 * Schema lookups
 * ------------------------------------------------------------------------ */

int
iapt_schema_measure_find(const iapt_measure_schema_t *schema, const char *id)
{
    if (!schema || !id)
        return -1;
    for (size_t i = 0; i < schema->n_measures; i++)
        if (strcmp(schema->measures[i].def.id, id) == 0)
            return (int)i;
    return -1;
}

int
iapt_schema_breakdown_find(const iapt_measure_schema_t *schema, const char *key)
{
    if (!schema || !key)
        return -1;
    for (size_t i = 0; i < schema->n_breakdowns; i++)
        if (strcmp(schema->breakdowns[i].key, key) == 0)
            return (int)i;
    return -1;
}

const iapt_breakdown_def_t *
iapt_schema_breakdown(const iapt_measure_schema_t *schema, int id)
{
    if (!schema || id < 0 || (size_t)id >= schema->n_breakdowns)
        return NULL;
    return &schema->breakdowns[id];
}

int
iapt_schema_counter_find(const iapt_measure_schema_t *schema, const char *name)
{
    if (!schema || !name || !schema->counter_names)
        return -1;
    for (size_t i = 0; i < schema->n_counters; i++)
        if (schema->counter_names[i] && strcmp(schema->counter_names[i], name) == 0)
            return (int)i;
    return -1;
}

static bool
s_counter_ok(const iapt_measure_schema_t *s, int c, bool optional)
{
    return (optional && c == -1) || (c >= 0 && (size_t)c < s->n_counters);
}

int
iapt_measure_schema_check(const iapt_measure_schema_t *s)
{
    if (!s)
        return iapt_error_set(IAPT_EUSAGE, "schema: none");
    if (s->n_counters == 0 || s->n_counters > IAPT_SCHEMA_COUNTERS_MAX)
        return iapt_error_set(IAPT_EUSAGE, "schema: %zu counters (1 to %d)", s->n_counters,
                              IAPT_SCHEMA_COUNTERS_MAX);
    if (!s_counter_ok(s, s->appear, false))
        return iapt_error_set(IAPT_EUSAGE, "schema: appear counter %d out of range", s->appear);
    if (s->n_dists > IAPT_SCHEMA_DISTS_MAX || (s->n_dists && !s->dist_total))
        return iapt_error_set(IAPT_EUSAGE, "schema: %zu distributions", s->n_dists);
    for (size_t i = 0; i < s->n_dists; i++)
        if (!s_counter_ok(s, s->dist_total[i], false))
            return iapt_error_set(IAPT_EUSAGE, "schema: distribution %zu totals no counter", i);
    if (s->n_breakdowns == 0 || s->n_breakdowns > IAPT_SCHEMA_BREAKDOWNS_MAX || !s->breakdowns)
        return iapt_error_set(IAPT_EUSAGE, "schema: %zu breakdowns", s->n_breakdowns);
    if (strcmp(s->breakdowns[0].key, "none") != 0 || s->breakdowns[0].n_levels != 1)
        return iapt_error_set(IAPT_EUSAGE, "schema: breakdown 0 is not \"none\" with one level");
    for (size_t b = 0; b < s->n_breakdowns; b++)
        if (s->breakdowns[b].n_levels == 0 ||
            s->breakdowns[b].n_levels > IAPT_BREAKDOWN_LEVELS_MAX || !s->breakdowns[b].levels)
            return iapt_error_set(IAPT_EUSAGE, "schema: breakdown %s has %zu levels",
                                  s->breakdowns[b].key, s->breakdowns[b].n_levels);
    if (!s->measures && s->n_measures)
        return iapt_error_set(IAPT_EUSAGE, "schema: no catalogue");
    for (size_t i = 0; i < s->n_measures; i++) {
        const iapt_measure_rule_t *r = &s->measures[i];
        bool uses_dist = r->def.kind == IAPT_MEASURE_MEAN || r->def.kind == IAPT_MEASURE_MEDIAN ||
                         r->def.kind == IAPT_MEASURE_MEAN_SIGNED;
        bool uses_den = r->def.kind == IAPT_MEASURE_PERCENT || r->def.kind == IAPT_MEASURE_RATIO;
        bool ok =
            s_counter_ok(s, r->supp, true) && s_counter_ok(s, r->den_minus, true) && r->scale >= 0;
        if (uses_dist)
            ok = ok && r->dist >= 0 && (size_t)r->dist < s->n_dists;
        else if (!r->join.collection)
            ok = ok && s_counter_ok(s, r->num, false) &&
                 (!uses_den || s_counter_ok(s, r->den, false));
        else
            ok = ok && r->join.counter && (!uses_den || s_counter_ok(s, r->den, false));
        if (!ok)
            return iapt_error_set(IAPT_EUSAGE,
                                  "schema: measure %s refers to no counter or distribution",
                                  r->def.id ? r->def.id : "?");
        if (r->den_scale < 0 || r->den_scale > 1000000 ||
            (r->den_scale > 1 && r->def.kind != IAPT_MEASURE_RATIO))
            return iapt_error_set(IAPT_EUSAGE,
                                  "schema: measure %s has a denominator scale "
                                  "but is no ratio",
                                  r->def.id ? r->def.id : "?");
        if (r->breakdowns >> s->n_breakdowns)
            return iapt_error_set(IAPT_EUSAGE, "schema: measure %s names a breakdown past the %zu",
                                  r->def.id ? r->def.id : "?", s->n_breakdowns);
        if (r->join.collection && r->breakdowns != IAPT_BREAKDOWN_BIT(0))
            return iapt_error_set(IAPT_EUSAGE,
                                  "schema: join measure %s must be published "
                                  "without a breakdown only (breakdowns = bit 0)",
                                  r->def.id ? r->def.id : "?");
    }
    for (size_t i = 0; i < s->n_headline; i++)
        if (iapt_schema_measure_find(s, s->headline[i]) < 0)
            return iapt_error_set(IAPT_EUSAGE, "schema: headline measure %s not in the catalogue",
                                  s->headline[i]);
    if (!s->derive.open || !s->derive.record || !s->derive.free)
        return iapt_error_set(IAPT_EUSAGE, "schema: derivation hooks missing");
    return 0;
}

/* ---------------------------------------------------------------------------
 * Formatting
 * ------------------------------------------------------------------------ */

/* Values past this are not produced by cells (IAPT_CELL_COUNT_MAX x
 * IAPT_CELL_VALUE_MAX = 2^54); the bound keeps every product below in 64 bits. */
#define VALUE_BOUND ((int64_t)1 << 56)

/* floor(a / b) for b > 0. */
static int64_t
s_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

/* round(a / b) half up (towards +infinity at exactly half), b > 0. */
static int64_t
s_round_div(int64_t a, int64_t b)
{
    return s_floor_div(2 * a + b, 2 * b);
}

/* round(a / b), b > 0: half up, or half away from zero when `away`
 * (-0.25 -> -0.3). Integers: never a negative zero. */
static int64_t
s_round(int64_t a, int64_t b, bool away)
{
    if (away && a < 0)
        return -s_round_div(-a, b);
    return s_round_div(a, b);
}

/* Tenths as text: 667 -> "66.7", -5 -> "-0.5", 0 -> "0.0". */
static void
s_tenths(int64_t v10, char *out)
{
    int64_t a = v10 < 0 ? -v10 : v10;
    snprintf(out, IAPT_MEASURE_TEXT_MAX, "%s%lld.%lld", v10 < 0 ? "-" : "", (long long)(a / 10),
             (long long)(a % 10));
}

/* Hundredths as text: 1234 -> "12.34", -5 -> "-0.05". */
static void
s_hundredths(int64_t v100, char *out)
{
    int64_t a = v100 < 0 ? -v100 : v100;
    snprintf(out, IAPT_MEASURE_TEXT_MAX, "%s%lld.%02lld", v100 < 0 ? "-" : "", (long long)(a / 100),
             (long long)(a % 100));
}

void
iapt_measure_format(const iapt_measure_value_t *v, bool exact, char out[IAPT_MEASURE_TEXT_MAX])
{
    int64_t num = v->num, den = v->den;
    int64_t scale = v->scale > 1 ? v->scale : 1;
    int64_t den_scale = v->den_scale > 1 ? v->den_scale : 1;
    /* MEAN_SIGNED always rounds half away from zero; other kinds when the
     * collection asks (measure_schema.h round_half_away). */
    bool away = v->half_away || v->kind == IAPT_MEASURE_MEAN_SIGNED;
    out[0] = 0;
    if (v->empty)
        return;
    if (num > VALUE_BOUND || num < -VALUE_BOUND || den > VALUE_BOUND || den < -VALUE_BOUND ||
        scale > 1000000 || den_scale > 1000000 || num > VALUE_BOUND / den_scale ||
        num < -VALUE_BOUND / den_scale)
        return;
    if (!exact && v->supp >= 0 && v->supp < 5) {
        strcpy(out, "*");
        return;
    }
    switch (v->kind) {
    case IAPT_MEASURE_COUNT:
        if (exact)
            snprintf(out, IAPT_MEASURE_TEXT_MAX, "%lld", (long long)num);
        else if (num < 5)
            strcpy(out, "*");
        else
            snprintf(out, IAPT_MEASURE_TEXT_MAX, "%lld", (long long)(s_round(num, 5, away) * 5));
        return;
    case IAPT_MEASURE_PERCENT:
        /* Suppression is checked before the empty-denominator rule. */
        if (!exact && (num < 5 || den < 5))
            strcpy(out, "*");
        else if (den <= 0)
            return;
        else if (exact)
            s_tenths(s_round(1000 * num, den, away), out);
        else
            snprintf(out, IAPT_MEASURE_TEXT_MAX, "%lld", (long long)s_round(100 * num, den, away));
        return;
    case IAPT_MEASURE_MEAN:
        if (!exact && (den < 5 || num < 5 * scale))
            strcpy(out, "*");
        else if (den <= 0)
            return;
        else
            s_tenths(s_round(10 * num, den * scale, away), out);
        return;
    case IAPT_MEASURE_MEDIAN:
        if (!exact && den < 5)
            strcpy(out, "*");
        else if (den <= 0)
            return;
        else if (scale == 1)
            s_tenths(5 * num, out); /* num is twice the median: exact in halves */
        else
            s_tenths(s_round(10 * num, 2 * scale, away), out);
        return;
    case IAPT_MEASURE_RATIO:
        /* A denominator in fixed units (den_scale) is no headcount: supp
         * (checked above) stands for it. */
        if (!exact && (num < 5 || (den_scale == 1 && den < 5)))
            strcpy(out, "*");
        else if (den <= 0)
            return;
        else
            s_tenths(s_round(10 * num * den_scale, den * scale, away), out);
        return;
    case IAPT_MEASURE_SUM_FIXED:
        if (exact)
            s_hundredths(s_round(100 * num, scale, away), out);
        else
            s_tenths(s_round(10 * num, scale, away), out);
        return;
    case IAPT_MEASURE_MEAN_SIGNED:
        if (!exact && den < 5)
            strcpy(out, "*");
        else if (den <= 0)
            return;
        else
            s_tenths(s_round(10 * num, den * scale, away), out);
        return;
    }
}

/* ---------------------------------------------------------------------------
 * A submission's derivation
 * ------------------------------------------------------------------------ */

struct iapt_derivation {
    const iapt_measure_schema_t *schema;
    void *state;
    iapt_agg_t *agg;
    char home[8];
};

static int
s_emit(void *arg, const iapt_contribution_t *c)
{
    iapt_derivation_t *d = arg;
    if (!d->agg)
        return 0;
    if (d->schema->placement == IAPT_PLACE_PROVIDER_HOME) {
        iapt_contribution_t placed = *c;
        placed.place = d->home;
        return iapt_agg_add(d->agg, &placed);
    }
    return iapt_agg_add(d->agg, c);
}

int
iapt_derivation_open(const iapt_measure_schema_t *schema, const iapt_derive_context_t *ctx,
                     const char *home, iapt_agg_t *agg, iapt_derivation_t **out)
{
    *out = NULL;
    if (!schema || !schema->derive.open || !schema->derive.record)
        return iapt_error_set(IAPT_EUSAGE, "derive: the collection has no derivation");
    iapt_derivation_t *d = calloc(1, sizeof *d);
    if (!d)
        return iapt_error_set(IAPT_ENOMEM, "derive: out of memory");
    d->schema = schema;
    d->agg = agg;
    if (home && strlen(home) < sizeof d->home)
        strcpy(d->home, home);
    int rc = schema->derive.open(ctx, &d->state);
    if (rc < 0) {
        free(d);
        return rc;
    }
    *out = d;
    return 0;
}

int
iapt_derivation_record(iapt_derivation_t *d, const uint8_t *bytes, size_t len, size_t index)
{
    return d->schema->derive.record(d->state, bytes, len, index, s_emit, d);
}

int
iapt_derivation_close(iapt_derivation_t *d)
{
    return d->schema->derive.close ? d->schema->derive.close(d->state, s_emit, d) : 0;
}

void
iapt_derivation_destroy(iapt_derivation_t **d_p)
{
    if (!d_p || !*d_p)
        return;
    if ((*d_p)->schema->derive.free)
        (*d_p)->schema->derive.free((*d_p)->state);
    free(*d_p);
    *d_p = NULL;
}
