/* Unit tests of hub/query_span.c: quarterly and annual rows from monthly
 * cells, worked out by hand. The months (provider P1, commissioner 00L in
 * the North East):
 *   July 2025    3 referrals received on day 3: two with an attended
 *                treatment appointment on day 10 (wait 7), one waiting
 *                (no appointment, not discharged)
 *   August 2025  1 referral received on day 2, treated on day 22 (wait 20);
 *                4 waiting, received on day 1
 *   September    none (or, in the second test, 1 received on day 1, waiting)
 * Q2 2025/26 by hand: M001 3 + 5 = 8; M031 2 + 1 = 3; waits {7, 7, 20}:
 * median 7.0, mean 34 / 3 = 11.3; M038 (waiting at the period end) is the
 * last month with data: August's 4 (not 1 + 4 = 5); with September's data
 * it is September's 1. Below England: 8 -> 10, 4 -> *. */
#include "common/err.h"
#include "common/fyear.h"
#include "common/geography.h"
#include "common/collections/adult/adult_measures.h"
#include "common/measures.h"
#include "common/stats.h"
#include "hub/query_span.h"
#include "tests/test.h"
#include "tests/unit/records_fixture.h"

static const char s_geo_text[] =
    "subicb_code,subicb_name,icb_code,icb_name,region_code,region_name\n"
    "00L,NHS North East ICB - 00L,QHM,NHS North East ICB,Y63,North East\n";

typedef struct {
    int september; /* September's waiting referrals */
    int calls;
} s_world_t;

static void
s_add(iapt_cell_t *c, const iapt_period_t *p, int32_t referral, int32_t treat)
{
    iapt_tools_t tools = t_default_tools();
    t_rec_t *r = t_rec_new(referral);
    if (treat >= 0)
        t_appt(r, treat, "02", "5");
    iapt_adult_derived_t d;
    CHECK_EQ_INT(iapt_adult_derive(&r->rec, p, &tools, &d), 0);
    CHECK_EQ_INT(iapt_adult_cell_add(c, &d), 0);
    t_rec_free(r);
}

static int
s_load(void *arg, const iapt_period_t *m, int breakdown, iapt_stats_t *st)
{
    s_world_t *w = arg;
    w->calls++;
    CHECK_EQ_INT(breakdown, 0);
    iapt_cell_t *c = iapt_cell_new(&iapt_adult_measure_schema);
    if (m->year == 2025 && m->month == 7) {
        s_add(c, m, 3, 10);
        s_add(c, m, 3, 10);
        s_add(c, m, 3, -1);
    } else if (m->year == 2025 && m->month == 8) {
        s_add(c, m, 2, 22);
        for (int i = 0; i < 4; i++)
            s_add(c, m, 1, -1);
    } else if (m->year == 2025 && m->month == 9) {
        for (int i = 0; i < w->september; i++)
            s_add(c, m, 1, -1);
    }
    int rc = iapt_cell_empty(c) ? 0 : iapt_stats_add_cell(st, "P1", "Provider One", "00L", 0, c);
    iapt_cell_destroy(&c);
    return rc;
}

static const char *
s_val(const iapt_stat_rows_t *rows, const char *group, const char *id)
{
    for (size_t i = 0; i < iapt_stat_rows_count(rows); i++) {
        const iapt_stat_row_t *r = iapt_stat_rows_get(rows, i);
        if (!strcmp(r->group_type, group) && !strcmp(r->measure_id, id))
            return r->value;
    }
    return "(no row)";
}

static iapt_stat_rows_t *
s_rows(const char *span_text, int september, bool unsuppressed, int *calls)
{
    iapt_geography_t *geo = NULL;
    CHECK_EQ_INT(iapt_geography_parse(s_geo_text, sizeof s_geo_text - 1, "geo.csv", &geo), 0);
    iapt_fspan_t span;
    CHECK_EQ_INT(iapt_fspan_parse(span_text, &span), 0);
    s_world_t w = {september, 0};
    iapt_stats_query_t q = {0};
    q.unsuppressed = unsuppressed;
    iapt_stat_rows_t *rows = NULL;
    CHECK_EQ_INT(
        iapt_span_rows(&iapt_adult_measure_schema, &span, geo, 0, &q, s_load, NULL, &w, &rows), 0);
    *calls = w.calls;
    iapt_geography_destroy(&geo);
    return rows;
}

static void
test_quarter_by_hand(void)
{
    int calls;
    iapt_stat_rows_t *rows = s_rows("2025/26-Q2", 0, false, &calls);
    CHECK_EQ_INT(calls, 6); /* each month into the span and on its own */
    CHECK(rows != NULL);
    if (!rows)
        return;
    const iapt_stat_row_t *first = iapt_stat_rows_get(rows, 0);
    CHECK_EQ_STR(first->period_start, "2025-07-01");
    CHECK_EQ_STR(first->period_end, "2025-09-30");
    CHECK_EQ_STR(s_val(rows, "England", "M001"), "8");
    CHECK_EQ_STR(s_val(rows, "England", "M031"), "3");
    CHECK_EQ_STR(s_val(rows, "England", "M049"), "7.0");
    CHECK_EQ_STR(s_val(rows, "England", "M048"), "11.3");
    CHECK_EQ_STR(s_val(rows, "England", "M036"), "3"); /* waits <= 42 */
    CHECK_EQ_STR(s_val(rows, "England", "M038"), "4"); /* August's, not 5 */
    CHECK_EQ_STR(s_val(rows, "Region", "M001"), "10");
    CHECK_EQ_STR(s_val(rows, "Region", "M038"), "*");
    CHECK_EQ_STR(s_val(rows, "Provider", "M031"), "*");
    /* every group type appears, each with every measure */
    size_t n_defs;
    iapt_measure_defs(&n_defs);
    CHECK_EQ_INT(iapt_stat_rows_count(rows), 5 * n_defs);
    iapt_stat_rows_destroy(&rows);

    rows = s_rows("2025/26-Q2", 0, true, &calls);
    CHECK_EQ_STR(s_val(rows, "Region", "M001"), "8");
    CHECK_EQ_STR(s_val(rows, "Region", "M038"), "4");
    CHECK_EQ_STR(s_val(rows, "Provider", "M049"), "7.0");
    iapt_stat_rows_destroy(&rows);
}

static void
test_stock_from_last_month(void)
{
    int calls;
    iapt_stat_rows_t *rows = s_rows("2025/26-Q2", 1, true, &calls);
    CHECK_EQ_STR(s_val(rows, "England", "M001"),
                 "9"); /* September's waiting one was received then */
    CHECK_EQ_STR(s_val(rows, "England", "M038"), "1");
    iapt_stat_rows_destroy(&rows);
}

static void
test_year_and_empty(void)
{
    int calls;
    iapt_stat_rows_t *rows = s_rows("2025/26", 0, true, &calls);
    CHECK_EQ_INT(calls, 24);
    const iapt_stat_row_t *first = rows ? iapt_stat_rows_get(rows, 0) : NULL;
    CHECK(first != NULL);
    if (first) {
        CHECK_EQ_STR(first->period_start, "2025-04-01");
        CHECK_EQ_STR(first->period_end, "2026-03-31");
    }
    CHECK_EQ_STR(s_val(rows, "England", "M001"), "8");
    CHECK_EQ_STR(s_val(rows, "England", "M038"), "4");
    iapt_stat_rows_destroy(&rows);
    /* A quarter without data: no rows at all. */
    rows = s_rows("2025/26-Q1", 0, true, &calls);
    CHECK(rows == NULL || iapt_stat_rows_count(rows) == 0);
    iapt_stat_rows_destroy(&rows);
}

static void
test_stock_measures(void)
{
    size_t n;
    const iapt_measure_def_t *defs = iapt_measure_defs(&n);
    int stocks = 0;
    for (size_t i = 0; i < n; i++)
        if (iapt_span_measure_is_stock(&iapt_adult_measure_schema, (int)i)) {
            stocks++;
            CHECK(!strcmp(defs[i].id, "M038") || !strcmp(defs[i].id, "M044"));
        }
    CHECK_EQ_INT(stocks, 2);
    CHECK(!iapt_span_measure_is_stock(&iapt_adult_measure_schema, -1));
    CHECK(!iapt_span_measure_is_stock(&iapt_adult_measure_schema, (int)n));
}

TEST_MAIN(test_quarter_by_hand, test_stock_from_last_month, test_year_and_empty,
          test_stock_measures)
