/* query_span.c - quarterly and annual rows from merged monthly cells
 * (hub/query_span.h). */
#include "hub/query_span.h"
#include "common/err.h"

#include <string.h>

bool
iapt_span_measure_is_stock(const iapt_measure_schema_t *schema, int measure)
{
    if (!schema || measure < 0 || (size_t)measure >= schema->n_measures)
        return false;
    return schema->measures[measure].stock;
}

/* Level index of a row's BREAKDOWN_LEVEL text in breakdown bd. */
static int
s_level(const iapt_measure_schema_t *schema, int bd, const char *text)
{
    const iapt_breakdown_def_t *def = iapt_schema_breakdown(schema, bd);
    if (!def || bd == 0)
        return 0;
    for (size_t i = 0; i < def->n_levels; i++)
        if (strcmp(def->levels[i], text) == 0)
            return (int)i;
    return -1;
}

/* True when some referral was counted for England that month. */
static bool
s_has_data(const iapt_measure_schema_t *schema, const iapt_stats_t *st, int breakdown)
{
    const iapt_breakdown_def_t *def = iapt_schema_breakdown(schema, breakdown);
    for (size_t l = 0; def && l < def->n_levels; l++)
        if (iapt_stats_cell(st, IAPT_GROUP_ENGLAND, NULL, (int)l))
            return true;
    return false;
}

int
iapt_span_rows(const iapt_measure_schema_t *schema, const iapt_fspan_t *span,
               const iapt_geography_t *geo, int breakdown,
               const iapt_stats_query_t *query, iapt_span_load_fn load, void *load_arg,
               iapt_stat_rows_t **rows)
{
    iapt_stats_t *whole = iapt_stats_new(schema, &span->first, geo, breakdown);
    iapt_stats_t *last = NULL;
    iapt_stat_rows_t *tmp = NULL;
    iapt_cell_t *empty = iapt_cell_new(schema);
    int rc = whole && empty ? 0 : IAPT_ENOMEM;
    /* Every month into the span's accumulator; the months one by one too,
     * keeping the latest with data for the stocks. */
    for (int i = 0; i < span->months && rc == 0; i++) {
        iapt_period_t m;
        iapt_fspan_month(span, i, &m);
        iapt_stats_t *one = iapt_stats_new(schema, &m, geo, breakdown);
        if (!one) {
            rc = IAPT_ENOMEM;
            break;
        }
        if ((rc = load(load_arg, &m, breakdown, whole)) == 0)
            rc = load(load_arg, &m, breakdown, one);
        if (rc < 0 || !s_has_data(schema, one, breakdown)) {
            iapt_stats_destroy(&one); /* no data that month */
            continue;
        }
        iapt_stats_destroy(&last);
        last = one;
    }
    if (rc == 0)
        rc = iapt_stats_rows(whole, query, &tmp);
    char start[11], end[11];
    iapt_date_format(span->first.start, start);
    iapt_date_format(span->last.end, end);
    size_t n = tmp ? iapt_stat_rows_count(tmp) : 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        iapt_stat_row_t r = *iapt_stat_rows_get(tmp, i);
        char value[IAPT_MEASURE_TEXT_MAX];
        r.period_start = start;
        r.period_end = end;
        if (iapt_span_measure_is_stock(schema, r.measure)) {
            const char *code = r.group == IAPT_GROUP_ENGLAND    ? NULL
                               : r.group == IAPT_GROUP_PROVIDER ? r.org_code2
                                                                : r.org_code1;
            int level = s_level(schema, breakdown, r.breakdown_level);
            const iapt_cell_t *c =
                last && level >= 0 ? iapt_stats_cell(last, r.group, code, level) : NULL;
            iapt_measure_value_t v;
            if ((rc = iapt_cell_measure(c ? c : empty, r.measure, &v)) < 0)
                break;
            iapt_measure_format(&v, r.group == IAPT_GROUP_ENGLAND || query->unsuppressed, value);
            r.value = value;
        }
        rc = iapt_stat_rows_append(rows, schema, &r, breakdown != 0);
    }
    iapt_stat_rows_destroy(&tmp);
    iapt_stats_destroy(&whole);
    iapt_stats_destroy(&last);
    iapt_cell_destroy(&empty);
    return rc;
}
