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

/* True when some measure of the schema is joined with another collection. */
static bool
s_has_joins(const iapt_measure_schema_t *schema)
{
    for (size_t m = 0; m < schema->n_measures; m++)
        if (schema->measures[m].join.collection)
            return true;
    return false;
}

/* One month of the span: its accumulator, and the other collections' it
 * joins (spans with join measures keep every month). */
typedef struct {
    iapt_stats_t *st;
    iapt_stats_t *joins[IAPT_STATS_JOINS_MAX];
} s_month_t;

static void
s_month_free(s_month_t *m)
{
    iapt_stats_destroy(&m->st);
    for (int j = 0; j < IAPT_STATS_JOINS_MAX; j++)
        iapt_stats_destroy(&m->joins[j]);
}

/* A join measure of the span: the months' joined values added. */
static int
s_join_sum(const s_month_t *months, int n, const iapt_stat_row_t *r, const char *code,
           iapt_measure_value_t *sum)
{
    bool any = false;
    memset(sum, 0, sizeof *sum);
    sum->empty = true;
    for (int i = 0; i < n; i++) {
        iapt_measure_value_t v;
        if (!months[i].st)
            continue;
        int rc = iapt_stats_join_value(months[i].st, r->group, code, r->measure, &v);
        if (rc < 0)
            return rc;
        if (!any) {
            *sum = v; /* kind and scales; empty when no month joins */
            any = !v.empty;
            continue;
        }
        if (v.empty)
            continue;
        sum->num += v.num;
        sum->den += v.den;
        if (sum->supp >= 0)
            sum->supp += v.supp;
    }
    return 0;
}

int
iapt_span_rows(const iapt_measure_schema_t *schema, const iapt_fspan_t *span,
               const iapt_geography_t *geo, int breakdown, const iapt_stats_query_t *query,
               iapt_span_load_fn load, iapt_span_join_fn join, void *load_arg,
               iapt_stat_rows_t **rows)
{
    iapt_stats_t *whole = iapt_stats_new(schema, &span->first, geo, breakdown);
    iapt_stats_t *last = NULL;
    iapt_stat_rows_t *tmp = NULL;
    iapt_cell_t *empty = iapt_cell_new(schema);
    bool joined = join && breakdown == 0 && s_has_joins(schema);
    s_month_t months[IAPT_FSPAN_MONTHS_MAX];
    memset(months, 0, sizeof months);
    int rc = whole && empty ? 0 : IAPT_ENOMEM;
    if (rc == 0 && span->months > IAPT_FSPAN_MONTHS_MAX)
        rc = iapt_error_set(IAPT_EUSAGE, "span: more than %d months", IAPT_FSPAN_MONTHS_MAX);
    /* Every month into the span's accumulator; the months one by one too,
     * keeping the latest with data for the stocks (and, with join
     * measures, every month with its joins). */
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
        if (joined) {
            months[i].st = one; /* owned there; last only points at it */
            rc = join(load_arg, &m, one, months[i].joins);
            last = one;
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
        const char *code = r.group == IAPT_GROUP_ENGLAND    ? NULL
                           : r.group == IAPT_GROUP_PROVIDER ? r.org_code2
                                                            : r.org_code1;
        bool exact = r.group == IAPT_GROUP_ENGLAND || query->unsuppressed;
        if (iapt_span_measure_is_stock(schema, r.measure)) {
            int level = s_level(schema, breakdown, r.breakdown_level);
            const iapt_cell_t *c =
                last && level >= 0 ? iapt_stats_cell(last, r.group, code, level) : NULL;
            iapt_measure_value_t v;
            if ((rc = iapt_cell_measure(c ? c : empty, r.measure, &v)) < 0)
                break;
            iapt_measure_format(&v, exact, value);
            r.value = value;
        } else if (joined && schema->measures[r.measure].join.collection) {
            iapt_measure_value_t v;
            if ((rc = s_join_sum(months, span->months, &r, code, &v)) < 0)
                break;
            iapt_measure_format(&v, exact, value);
            r.value = value;
        }
        rc = iapt_stat_rows_append(rows, schema, &r, breakdown != 0);
    }
    iapt_stat_rows_destroy(&tmp);
    iapt_stats_destroy(&whole);
    if (!joined)
        iapt_stats_destroy(&last);
    for (int i = 0; i < IAPT_FSPAN_MONTHS_MAX; i++)
        s_month_free(&months[i]);
    iapt_cell_destroy(&empty);
    return rc;
}
