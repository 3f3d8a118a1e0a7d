/* test_measure_engine.c - the generic measure engine (common/measure_schema.h,
 * common/measures.h, common/stats.h) driven by a toy collection defined
 * here, one the engine has never seen: two counters, a percentage, a
 * median, one breakdown, no SubICB level. Every expected figure below is
 * worked out by hand from the records listed in s_records. */

#include "common/err.h"
#include "common/geography.h"
#include "common/measures.h"
#include "common/stats.h"
#include "tests/test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------
 * The toy collection: a record is the text "PLACE,COLOUR,SEEN,DAYS"
 * ("00L,red,1,12"): a person placed in a sub-ICB, a colour (the
 * breakdown), whether they were seen and after how many days.
 * ------------------------------------------------------------------------ */

enum { TOY_PEOPLE = 0, TOY_SEEN = 1, TOY_COUNTERS = 2 };
enum { TOY_DAYS = 0, TOY_DISTS = 1 };

static const char *const s_counter_names[TOY_COUNTERS] = {"people", "seen"};
static const int s_bound[TOY_COUNTERS] = {-1, TOY_PEOPLE};
static const int s_dist_total[TOY_DISTS] = {TOY_SEEN};

static const iapt_measure_rule_t s_rules[] = {
    {{"T001", "Count_People", IAPT_MEASURE_COUNT}, TOY_PEOPLE, -1, -1, -1, -1, 0, {NULL, NULL}, false, 0, 0},
    {{"T002", "Count_Seen", IAPT_MEASURE_COUNT}, TOY_SEEN, -1, -1, -1, -1, 0, {NULL, NULL}, false, 0, 0},
    {{"T003", "Percentage_Seen", IAPT_MEASURE_PERCENT},
     TOY_SEEN,
     TOY_PEOPLE,
     -1,
     -1,
     -1,
     0,
     {NULL, NULL}, false, 0, 0},
    {{"T004", "Median_DaysToSeen", IAPT_MEASURE_MEDIAN}, -1, -1, -1, TOY_DAYS, -1, 0, {NULL, NULL}, false, 0, 0},
};

static const char *const s_none_levels[] = {""};
static const char *const s_colour_levels[] = {"Red", "Blue"};
static const iapt_breakdown_def_t s_breakdowns[] = {
    {"none", "", 1, s_none_levels},
    {"colour", "Colour", 2, s_colour_levels},
};

static const char *const s_headline[] = {"T001", "T003"};

typedef struct {
    int records, closes;
} s_toy_state_t;

static int s_opened, s_closed, s_freed;

static int
s_toy_open(const iapt_derive_context_t *ctx, void **state)
{
    if (!ctx || !ctx->period)
        return iapt_error_set(IAPT_EUSAGE, "toy: no period");
    s_opened++;
    *state = calloc(1, sizeof(s_toy_state_t));
    return *state ? 0 : IAPT_ENOMEM;
}

static int
s_toy_record(void *state, const uint8_t *bytes, size_t len, size_t index, iapt_emit_fn emit,
             void *arg)
{
    s_toy_state_t *s = state;
    char text[64], place[8], colour[8];
    int seen, days;
    (void)index;
    if (len >= sizeof text)
        return iapt_error_set(IAPT_EFORMAT, "record: too long");
    memcpy(text, bytes, len);
    text[len] = 0;
    if (sscanf(text, "%7[^,],%7[^,],%d,%d", place, colour, &seen, &days) != 4)
        return iapt_error_set(IAPT_EFORMAT, "record: not PLACE,COLOUR,SEEN,DAYS");
    iapt_contribution_t c;
    memset(&c, 0, sizeof c);
    c.place = place;
    if (!strcmp(colour, "red"))
        c.level[1] = 0;
    else if (!strcmp(colour, "blue"))
        c.level[1] = 1;
    else
        return iapt_error_set(IAPT_EFORMAT, "colour: not red or blue");
    if (seen != 0 && seen != 1)
        return iapt_error_set(IAPT_EFORMAT, "seen: not 0 or 1");
    c.counter[TOY_PEOPLE] = 1;
    c.counter[TOY_SEEN] = (uint64_t)seen;
    c.has_value[TOY_DAYS] = seen;
    c.value[TOY_DAYS] = days;
    s->records++;
    return emit(arg, &c);
}

static int
s_toy_close(void *state, iapt_emit_fn emit, void *arg)
{
    (void)emit;
    (void)arg;
    ((s_toy_state_t *)state)->closes++;
    s_closed++;
    return 0;
}

static void
s_toy_free(void *state)
{
    if (state)
        s_freed++;
    free(state);
}

static const iapt_measure_schema_t s_toy = {
    .n_counters = TOY_COUNTERS,
    .counter_names = s_counter_names,
    .appear = TOY_PEOPLE,
    .counter_bound = s_bound,
    .n_dists = TOY_DISTS,
    .dist_total = s_dist_total,
    .n_measures = sizeof s_rules / sizeof *s_rules,
    .measures = s_rules,
    .n_breakdowns = 2,
    .breakdowns = s_breakdowns,
    .group_types = IAPT_GROUP_ALL & ~IAPT_GROUP_BIT(IAPT_GROUP_SUBICB),
    .placement = IAPT_PLACE_RECORD,
    .derive = {s_toy_open, s_toy_record, s_toy_close, s_toy_free},
    .config = {NULL, NULL, NULL, NULL, NULL},
    .n_headline = 2,
    .headline = s_headline,
    .view = NULL,
    .view_title = NULL,
};

/* Two regions, one sub-ICB each. */
static const char s_geo_text[] =
    "subicb_code,subicb_name,icb_code,icb_name,region_code,region_name\n"
    "00L,North East ICB - 00L,QHM,North East ICB,Y63,North East\n"
    "07L,London East ICB - 07L,QMF,London East ICB,Y56,London\n";

/* Provider P1 and P2's submissions. By hand:
 *   England     people 13, seen 10 (days 3 5 7 9 10 11 13 20 30 40):
 *               76.9 %, median (10 + 11) / 2 = 10.5
 *   North East  people 6, seen 4: 5, *, *, *
 *   London      people 7, seen 6 (3 5 7 9 11 13): 5, 5, 86 %, median 8.0
 *   P1          people 8, seen 6 (5 7 10 20 30 40): 10, 5, 75 %, 15.0
 *   P2          people 5, seen 4: 5, *, *, *
 *   Red (England)   people 9, seen 7 (3 5 9 10 13 20 30): 77.8 %, 10.0
 *   Blue (England)  people 4, seen 3 (7 11 40): 75.0 %, 11.0 */
static const char *const s_p1[] = {"00L,red,1,10",  "00L,red,1,20", "00L,blue,0,0", "00L,red,1,30",
                                   "00L,blue,1,40", "00L,red,0,0",  "07L,red,1,5",  "07L,blue,1,7"};
static const char *const s_p2[] = {"07L,red,1,3", "07L,red,1,9", "07L,red,0,0", "07L,blue,1,11",
                                   "07L,red,1,13"};

static iapt_agg_t *
s_derive(const iapt_measure_schema_t *schema, const char *const *recs, size_t n, const char *home)
{
    iapt_period_t p;
    iapt_period_make(2025, 9, &p);
    iapt_derive_context_t ctx = {.period = &p, .provider = "P1"};
    iapt_agg_t *agg = iapt_agg_new(schema);
    iapt_derivation_t *d = NULL;
    CHECK(agg != NULL);
    CHECK_EQ_INT(iapt_derivation_open(schema, &ctx, home, agg, &d), 0);
    for (size_t i = 0; d && i < n; i++)
        CHECK_EQ_INT(iapt_derivation_record(d, (const uint8_t *)recs[i], strlen(recs[i]), i), 0);
    if (d)
        CHECK_EQ_INT(iapt_derivation_close(d), 0);
    iapt_derivation_destroy(&d);
    CHECK(d == NULL);
    return agg;
}

typedef struct {
    iapt_stats_t *st[2];
    const char *provider;
    int cells;
} s_fold_t;

static int
s_fold(const char *place, int breakdown, int level, const iapt_cell_t *cell, void *arg)
{
    s_fold_t *f = arg;
    f->cells++;
    /* Through the byte encoding, as the hub stores it. */
    iapt_buf_t b = IAPT_BUF_INIT;
    iapt_cell_t *copy = iapt_cell_new(&s_toy);
    CHECK_EQ_INT(iapt_cell_encode(cell, &b), 0);
    CHECK_EQ_INT(iapt_cell_decode(copy, b.data, b.len), 0);
    CHECK(iapt_cell_equal(cell, copy));
    int rc = iapt_stats_add_cell(f->st[breakdown], f->provider, f->provider, place, level, copy);
    iapt_cell_destroy(&copy);
    iapt_buf_free(&b);
    return rc;
}

/* The value text of (group type, org code, level label, measure id) in rows,
 * or NULL when no such row. */
static const char *
s_value(const iapt_stat_rows_t *rows, const char *type, const char *code, const char *level,
        const char *id)
{
    for (size_t i = 0; i < iapt_stat_rows_count(rows); i++) {
        const iapt_stat_row_t *r = iapt_stat_rows_get(rows, i);
        const char *c = !strcmp(r->group_type, "Provider") ? r->org_code2 : r->org_code1;
        if (!strcmp(r->group_type, type) && !strcmp(c, code) &&
            !strcmp(r->breakdown_level, level) && !strcmp(r->measure_id, id))
            return r->value;
    }
    return NULL;
}

#define VALUE(type, code, level, id, want)                                                         \
    do {                                                                                           \
        const char *v_ = s_value(rows, type, code, level, id);                                     \
        CHECK(v_ != NULL);                                                                         \
        if (v_)                                                                                    \
            CHECK_EQ_STR(v_, want);                                                                \
    } while (0)

static void
test_schema_check(void)
{
    CHECK_EQ_INT(iapt_measure_schema_check(&s_toy), 0);
    CHECK_EQ_INT(iapt_schema_measure_find(&s_toy, "T004"), 3);
    CHECK_EQ_INT(iapt_schema_measure_find(&s_toy, "M001"), -1);
    CHECK_EQ_INT(iapt_schema_breakdown_find(&s_toy, "colour"), 1);
    CHECK_EQ_INT(iapt_schema_breakdown_find(&s_toy, "age"), -1);
    CHECK_EQ_INT(iapt_schema_counter_find(&s_toy, "seen"), TOY_SEEN);

    iapt_measure_schema_t bad = s_toy;
    bad.appear = TOY_COUNTERS;
    CHECK_EQ_INT(iapt_measure_schema_check(&bad), IAPT_EUSAGE);
    bad = s_toy;
    iapt_measure_rule_t rules[4];
    memcpy(rules, s_rules, sizeof rules);
    rules[3].dist = 1; /* no such distribution */
    bad.measures = rules;
    CHECK_EQ_INT(iapt_measure_schema_check(&bad), IAPT_EUSAGE);
    CHECK(strstr(iapt_error_detail(), "T004") != NULL);
    bad = s_toy;
    bad.breakdowns = s_breakdowns + 1; /* breakdown 0 must be "none" */
    bad.n_breakdowns = 1;
    CHECK_EQ_INT(iapt_measure_schema_check(&bad), IAPT_EUSAGE);
}

static void
test_rollup_every_level(void)
{
    iapt_geography_t *geo = NULL;
    CHECK_EQ_INT(iapt_geography_parse(s_geo_text, sizeof s_geo_text - 1, "geo.csv", &geo), 0);
    iapt_period_t p;
    iapt_period_make(2025, 9, &p);
    s_opened = s_closed = s_freed = 0;
    iapt_agg_t *a1 = s_derive(&s_toy, s_p1, 8, "");
    iapt_agg_t *a2 = s_derive(&s_toy, s_p2, 5, "");
    CHECK_EQ_INT(s_opened, 2);
    CHECK_EQ_INT(s_closed, 2);
    CHECK_EQ_INT(s_freed, 2);
    /* P1: 00L whole, red, blue; 07L whole, red, blue. P2: 07L the same. */
    CHECK_EQ_INT(iapt_agg_cells(a1), 6);
    CHECK_EQ_INT(iapt_agg_cells(a2), 3);

    s_fold_t f = {
        {iapt_stats_new(&s_toy, &p, geo, 0), iapt_stats_new(&s_toy, &p, geo, 1)}, "P1", 0};
    CHECK(f.st[0] && f.st[1]);
    CHECK(iapt_stats_new(&s_toy, &p, geo, 2) == NULL); /* the toy has two breakdowns */
    CHECK_EQ_INT(iapt_agg_foreach(a1, s_fold, &f), 0);
    f.provider = "P2";
    CHECK_EQ_INT(iapt_agg_foreach(a2, s_fold, &f), 0);
    CHECK_EQ_INT(f.cells, 9);

    iapt_stat_rows_t *rows = NULL;
    CHECK_EQ_INT(iapt_stats_rows(f.st[0], NULL, &rows), 0);
    /* England, 2 regions, 2 ICBs, no SubICB, 2 providers; 4 measures. */
    CHECK_EQ_INT(iapt_stat_rows_count(rows), 7 * 4);
    VALUE("England", "all", "", "T001", "13");
    VALUE("England", "all", "", "T002", "10");
    VALUE("England", "all", "", "T003", "76.9");
    VALUE("England", "all", "", "T004", "10.5");
    VALUE("Region", "Y63", "", "T001", "5");
    VALUE("Region", "Y63", "", "T002", "*");
    VALUE("Region", "Y63", "", "T003", "*");
    VALUE("Region", "Y63", "", "T004", "*");
    VALUE("Region", "Y56", "", "T001", "5");
    VALUE("Region", "Y56", "", "T002", "5");
    VALUE("Region", "Y56", "", "T003", "86");
    VALUE("Region", "Y56", "", "T004", "8.0");
    VALUE("ICB", "QMF", "", "T003", "86");
    VALUE("ICB", "QHM", "", "T001", "5");
    CHECK(s_value(rows, "SubICB", "07L", "", "T001") == NULL); /* not a level of the toy */
    VALUE("Provider", "P1", "", "T001", "10");
    VALUE("Provider", "P1", "", "T002", "5");
    VALUE("Provider", "P1", "", "T003", "75");
    VALUE("Provider", "P1", "", "T004", "15.0");
    VALUE("Provider", "P2", "", "T001", "5");
    VALUE("Provider", "P2", "", "T003", "*");

    /* The publication CSV layout, rows in order (England first). */
    iapt_buf_t csv = IAPT_BUF_INIT;
    CHECK_EQ_INT(iapt_stat_rows_csv(rows, &csv), 0);
    const char *want_head =
        "REPORTING_PERIOD_START,REPORTING_PERIOD_END,GROUP_TYPE,ORG_CODE1,ORG_NAME1,ORG_CODE2,"
        "ORG_NAME2,MEASURE_ID,MEASURE_NAME,MEASURE_VALUE_SUPPRESSED\n"
        "2025-09-01,2025-09-30,England,all,all SubICBs,all,all Providers,T001,Count_People,13\n"
        "2025-09-01,2025-09-30,England,all,all SubICBs,all,all Providers,T002,Count_Seen,10\n"
        "2025-09-01,2025-09-30,England,all,all SubICBs,all,all Providers,T003,Percentage_Seen,"
        "76.9\n";
    CHECK(csv.len > strlen(want_head) && memcmp(csv.data, want_head, strlen(want_head)) == 0);
    CHECK(strstr((char *)csv.data, "2025-09-01,2025-09-30,Region,Y56,London,all,all Providers,T004,"
                                   "Median_DaysToSeen,8.0\n") != NULL);
    iapt_buf_free(&csv);

    /* Unsuppressed: every level like England. */
    iapt_stat_rows_t *raw = NULL;
    iapt_stats_query_t q = {0};
    q.unsuppressed = true;
    CHECK_EQ_INT(iapt_stats_rows(f.st[0], &q, &raw), 0);
    {
        iapt_stat_rows_t *keep = rows;
        rows = raw;
        VALUE("Region", "Y63", "", "T002", "4");
        VALUE("Region", "Y63", "", "T003", "66.7");
        VALUE("Provider", "P2", "", "T004", "10.0"); /* 3 9 11 13 */
        rows = keep;
    }
    iapt_stat_rows_destroy(&raw);

    /* A measure of another collection is refused by name. */
    iapt_stat_rows_t *none = NULL;
    const char *ids[] = {"M001"};
    q = (iapt_stats_query_t){0};
    q.measure_ids = ids;
    q.n_measure_ids = 1;
    CHECK_EQ_INT(iapt_stats_rows(f.st[0], &q, &none), IAPT_EUSAGE);
    CHECK(none == NULL);
    iapt_stat_rows_destroy(&rows);

    /* The breakdown. */
    CHECK_EQ_INT(iapt_stats_rows(f.st[1], NULL, &rows), 0);
    CHECK(iapt_stat_rows_have_breakdown(rows));
    VALUE("England", "all", "Red", "T001", "9");
    VALUE("England", "all", "Red", "T003", "77.8");
    VALUE("England", "all", "Red", "T004", "10.0");
    VALUE("England", "all", "Blue", "T001", "4");
    VALUE("England", "all", "Blue", "T003", "75.0");
    VALUE("England", "all", "Blue", "T004", "11.0");
    CHECK(iapt_stat_rows_count(rows) > 0 &&
          !strcmp(iapt_stat_rows_get(rows, 0)->breakdown, "Colour"));
    iapt_stat_rows_destroy(&rows);

    /* The compact table's default columns are the schema's headline. */
    size_t nh = 0;
    const char *const *h = iapt_stats_headline_measures(&s_toy, &nh);
    CHECK_EQ_INT(nh, 2);
    CHECK_EQ_STR(h[1], "T003");

    iapt_stats_destroy(&f.st[0]);
    iapt_stats_destroy(&f.st[1]);
    iapt_agg_destroy(&a1);
    iapt_agg_destroy(&a2);
    iapt_geography_destroy(&geo);
}

static void
test_bad_records(void)
{
    iapt_period_t p;
    iapt_period_make(2025, 9, &p);
    iapt_derive_context_t ctx = {.period = &p, .provider = "P1"};
    iapt_agg_t *agg = iapt_agg_new(&s_toy);
    iapt_derivation_t *d = NULL;
    CHECK_EQ_INT(iapt_derivation_open(&s_toy, &ctx, "", agg, &d), 0);
    const char *bad[] = {"00L,green,1,3", "00L,red,2,3", "nonsense"};
    const char *field[] = {"colour", "seen", "record"};
    for (int i = 0; i < 3; i++) {
        CHECK_EQ_INT(iapt_derivation_record(d, (const uint8_t *)bad[i], strlen(bad[i]), 0),
                     IAPT_EFORMAT);
        CHECK(strstr(iapt_error_detail(), field[i]) != NULL);
    }
    CHECK_EQ_INT(iapt_agg_cells(agg), 0); /* nothing counted */
    /* A place that is not a sub-ICB code is refused by the engine. */
    const char *lower = "00l,red,1,3";
    CHECK_EQ_INT(iapt_derivation_record(d, (const uint8_t *)lower, strlen(lower), 0), IAPT_EUSAGE);
    iapt_derivation_destroy(&d);
    iapt_agg_destroy(&agg);
}

static void
test_cell_encoding(void)
{
    iapt_cell_t *a = iapt_cell_new(&s_toy), *b = iapt_cell_new(&s_toy);
    iapt_contribution_t c;
    memset(&c, 0, sizeof c);
    c.counter[TOY_PEOPLE] = 1;
    c.counter[TOY_SEEN] = 1;
    c.has_value[TOY_DAYS] = true;
    c.value[TOY_DAYS] = -2;
    CHECK_EQ_INT(iapt_cell_add(a, &c), 0);
    c.value[TOY_DAYS] = 5;
    CHECK_EQ_INT(iapt_cell_add(a, &c), 0);
    CHECK_EQ_INT(iapt_cell_add(a, &c), 0);
    /* By hand: version 1; 2 counters: 3, 3; one distribution of 2
     * entries: zigzag(-2) = 3 count 1, then 5 - (-2) - 1 = 6 count 2. */
    const uint8_t want[] = {1, 2, 3, 3, 2, 3, 1, 6, 2};
    iapt_buf_t buf = IAPT_BUF_INIT;
    CHECK_EQ_INT(iapt_cell_encode(a, &buf), 0);
    CHECK_EQ_INT(buf.len, sizeof want);
    CHECK(buf.len == sizeof want && memcmp(buf.data, want, sizeof want) == 0);
    CHECK_EQ_INT(iapt_cell_decode(b, buf.data, buf.len), 0);
    CHECK(iapt_cell_equal(a, b));
    iapt_measure_value_t v;
    CHECK_EQ_INT(iapt_cell_measure(b, 3, &v), 0);
    CHECK_EQ_INT(v.num, 10); /* twice the median 5 */
    CHECK_EQ_INT(v.den, 3);
    CHECK_EQ_INT(iapt_cell_measure(b, 4, &v), IAPT_EUSAGE);

    /* Inconsistent cells are refused: seen over people (the bound), a
     * distribution that does not total its counter, a counter number not
     * the schema's. */
    const uint8_t over[] = {1, 2, 3, 4, 2, 3, 1, 6, 3};
    const uint8_t total[] = {1, 2, 3, 3, 2, 3, 1, 6, 1};
    const uint8_t three[] = {1, 3, 3, 3, 0, 2, 3, 1, 6, 2};
    CHECK_EQ_INT(iapt_cell_decode(b, over, sizeof over), IAPT_EFORMAT);
    CHECK_EQ_INT(iapt_cell_decode(b, total, sizeof total), IAPT_EFORMAT);
    CHECK_EQ_INT(iapt_cell_decode(b, three, sizeof three), IAPT_EFORMAT);
    CHECK(iapt_cell_empty(b));

    /* Cells of two schemas do not merge. */
    iapt_measure_schema_t other = s_toy;
    iapt_cell_t *o = iapt_cell_new(&other);
    CHECK_EQ_INT(iapt_cell_merge(o, a), IAPT_EUSAGE);
    iapt_cell_destroy(&o);
    iapt_buf_free(&buf);
    iapt_cell_destroy(&a);
    iapt_cell_destroy(&b);
}

/* Breakdown 0 cells of an agg into `arg`, an accumulator, for provider P1. */
static int
s_fold_home(const char *place, int breakdown, int level, const iapt_cell_t *cell, void *arg)
{
    return breakdown ? 0 : iapt_stats_add_cell(arg, "P1", "P1", place, level, cell);
}

static void
test_placement_by_provider_home(void)
{
    iapt_geography_t *geo = NULL;
    CHECK_EQ_INT(iapt_geography_parse(s_geo_text, sizeof s_geo_text - 1, "geo.csv", &geo), 0);
    iapt_period_t p;
    iapt_period_make(2025, 9, &p);
    iapt_measure_schema_t home = s_toy;
    home.placement = IAPT_PLACE_PROVIDER_HOME;
    /* P1's records name 00L and 07L; placed by its home 07L they all
     * count for London. Unplaced (not in the providers file): England and
     * Provider only. */
    iapt_agg_t *placed = s_derive(&home, s_p1, 8, "07L");
    iapt_agg_t *unplaced = s_derive(&home, s_p1, 8, "");
    CHECK_EQ_INT(iapt_agg_cells(placed), 3);
    iapt_stats_t *st = iapt_stats_new(&home, &p, geo, 0);
    iapt_stat_rows_t *rows = NULL;
    CHECK_EQ_INT(iapt_agg_foreach(placed, s_fold_home, st), 0);
    CHECK_EQ_INT(iapt_stats_rows(st, NULL, &rows), 0);
    VALUE("Region", "Y56", "", "T001", "10"); /* 8 people */
    CHECK(s_value(rows, "Region", "Y63", "", "T001") == NULL);
    iapt_stat_rows_destroy(&rows);
    iapt_stats_destroy(&st);

    st = iapt_stats_new(&home, &p, geo, 0);
    CHECK_EQ_INT(iapt_agg_foreach(unplaced, s_fold_home, st), 0);
    CHECK_EQ_INT(iapt_stats_rows(st, NULL, &rows), 0);
    CHECK_EQ_INT(iapt_stat_rows_count(rows), 2 * 4); /* England and P1 */
    VALUE("England", "all", "", "T001", "8");
    VALUE("Provider", "P1", "", "T001", "10");
    iapt_stat_rows_destroy(&rows);
    iapt_stats_destroy(&st);
    iapt_agg_destroy(&placed);
    iapt_agg_destroy(&unplaced);
    iapt_geography_destroy(&geo);
}

/* ---------------------------------------------------------------------------
 * A second toy collection, "STAFF" (a record "PLACE,WTE_X100"), with a
 * whole-time-equivalent sum in hundredths and a measure joined to the
 * first toy's counter "seen": seen per staff member, over the providers
 * with cells in both.
 * ------------------------------------------------------------------------ */

enum { ST_HEAD = 0, ST_WTE = 1, ST_COUNTERS = 2 };
static const char *const s_st_names[ST_COUNTERS] = {"headcount", "wte_x100"};
static const iapt_measure_rule_t s_st_rules[] = {
    {{"J001", "Ratio_SeenPerStaff", IAPT_MEASURE_RATIO},
     -1,
     ST_HEAD,
     -1,
     -1,
     -1,
     0,
     {"TOY", "seen"}, false, IAPT_BREAKDOWN_BIT(0), 0},
    {{"J002", "Sum_WTE", IAPT_MEASURE_SUM_FIXED}, ST_WTE, -1, -1, -1, ST_HEAD, 100, {NULL, NULL}, false, 0, 0},
};

static int
s_st_record(void *state, const uint8_t *bytes, size_t len, size_t index, iapt_emit_fn emit,
            void *arg)
{
    char text[32], place[8];
    int wte;
    (void)state;
    (void)index;
    if (len >= sizeof text)
        return iapt_error_set(IAPT_EFORMAT, "record: too long");
    memcpy(text, bytes, len);
    text[len] = 0;
    if (sscanf(text, "%7[^,],%d", place, &wte) != 2 || wte < 0)
        return iapt_error_set(IAPT_EFORMAT, "record: not PLACE,WTE_X100");
    iapt_contribution_t c;
    memset(&c, 0, sizeof c);
    c.place = place;
    c.counter[ST_HEAD] = 1;
    c.counter[ST_WTE] = (uint64_t)wte;
    return emit(arg, &c);
}

static const iapt_measure_schema_t s_staff = {
    .n_counters = ST_COUNTERS,
    .counter_names = s_st_names,
    .appear = ST_HEAD,
    .n_measures = 2,
    .measures = s_st_rules,
    .n_breakdowns = 1,
    .breakdowns = s_breakdowns,
    .group_types = IAPT_GROUP_ALL,
    .placement = IAPT_PLACE_RECORD,
    .derive = {s_toy_open, s_st_record, NULL, s_toy_free},
};

/* Breakdown 0 cells of an agg into an accumulator for the provider named
 * by the fold. */
typedef struct {
    iapt_stats_t *st;
    const char *provider;
} s_fold0_t;

static int
s_fold0(const char *place, int breakdown, int level, const iapt_cell_t *cell, void *arg)
{
    s_fold0_t *f = arg;
    return breakdown ? 0 : iapt_stats_add_cell(f->st, f->provider, f->provider, place, level, cell);
}

static void
test_join_and_fixed_sums(void)
{
    iapt_geography_t *geo = NULL;
    CHECK_EQ_INT(iapt_geography_parse(s_geo_text, sizeof s_geo_text - 1, "geo.csv", &geo), 0);
    CHECK_EQ_INT(iapt_measure_schema_check(&s_staff), 0);
    iapt_period_t p;
    iapt_period_make(2025, 9, &p);
    /* The first toy as before: P1 seen 6, P2 seen 4. */
    iapt_stats_t *toy = iapt_stats_new(&s_toy, &p, geo, 0);
    iapt_agg_t *a1 = s_derive(&s_toy, s_p1, 8, ""), *a2 = s_derive(&s_toy, s_p2, 5, "");
    s_fold0_t f = {toy, "P1"};
    CHECK_EQ_INT(iapt_agg_foreach(a1, s_fold0, &f), 0);
    f.provider = "P2";
    CHECK_EQ_INT(iapt_agg_foreach(a2, s_fold0, &f), 0);
    /* Staff: P1 five people in 07L (WTE 1.00 0.80 0.50 1.00 0.20 = 3.50),
     * P3 four (4.00), no toy submission from P3, no staff one from P2. By
     * hand: J001 England = P1 only: 6 / 5 = 1.2; London the same; P1 1.2;
     * P3 and P2 nothing to divide by. J002 England 7.50; London 7.5
     * (headcount 9); P1 3.5; P3 * (headcount 4). */
    const char *s1[] = {"07L,100", "07L,80", "07L,50", "07L,100", "07L,20"};
    const char *s3[] = {"07L,100", "07L,100", "07L,100", "07L,100"};
    iapt_agg_t *b1 = s_derive(&s_staff, s1, 5, ""), *b3 = s_derive(&s_staff, s3, 4, "");
    iapt_stats_t *staff = iapt_stats_new(&s_staff, &p, geo, 0);
    f.st = staff;
    f.provider = "P1";
    CHECK_EQ_INT(iapt_agg_foreach(b1, s_fold0, &f), 0);
    f.provider = "P3";
    CHECK_EQ_INT(iapt_agg_foreach(b3, s_fold0, &f), 0);

    /* Without the other collection's accumulator the join is empty. */
    iapt_stat_rows_t *rows = NULL;
    CHECK_EQ_INT(iapt_stats_rows(staff, NULL, &rows), 0);
    VALUE("England", "all", "", "J001", "");
    iapt_stat_rows_destroy(&rows);

    CHECK_EQ_INT(iapt_stats_add_join(staff, "TOY", staff), IAPT_EUSAGE);
    CHECK_EQ_INT(iapt_stats_add_join(staff, "TOY", toy), 0);
    CHECK_EQ_INT(iapt_stats_rows(staff, NULL, &rows), 0);
    VALUE("England", "all", "", "J001", "1.2");
    VALUE("Region", "Y56", "", "J001", "1.2");
    VALUE("Provider", "P1", "", "J001", "1.2");
    /* P3 has no toy submission: no provider in both, empty at every level
     * (the empty rule wins over suppression). */
    VALUE("Provider", "P3", "", "J001", "");
    CHECK(s_value(rows, "Provider", "P2", "", "J001") == NULL); /* no staff cells */
    VALUE("England", "all", "", "J002", "7.50");
    VALUE("Region", "Y56", "", "J002", "7.5");
    VALUE("Provider", "P1", "", "J002", "3.5");
    VALUE("Provider", "P3", "", "J002", "*");
    iapt_stat_rows_destroy(&rows);

    iapt_stats_destroy(&toy);
    iapt_stats_destroy(&staff);
    iapt_agg_destroy(&a1);
    iapt_agg_destroy(&a2);
    iapt_agg_destroy(&b1);
    iapt_agg_destroy(&b3);
    iapt_geography_destroy(&geo);
}


/* Cells of a POSTS agg into the accumulators of their breakdown. */
static int
s_fold_posts(const char *place, int breakdown, int level, const iapt_cell_t *cell, void *arg)
{
    s_fold_t *f = arg;
    return iapt_stats_add_cell(f->st[breakdown], f->provider, f->provider, place, level, cell);
}

/* ---------------------------------------------------------------------------
 * A third toy, "POSTS" (a record "PLACE,COLOUR,WTE_X100" for a person, or
 * "PLACE,vacant,WTE_X100" for a vacant post): contributions for the whole
 * group only (vacancies split by no breakdown), a measure published without
 * a breakdown only, and a join whose denominator is a WTE in hundredths
 * (den_scale 100) suppressed by the joined providers' headcount.
 * ------------------------------------------------------------------------ */

enum { PO_HEAD = 0, PO_WTE = 1, PO_VACANT = 2, PO_COUNTERS = 3 };
static const char *const s_po_names[PO_COUNTERS] = {"head", "wte_x100", "vacant"};
static const iapt_measure_rule_t s_po_rules[] = {
    {{"K001", "Count_Head", IAPT_MEASURE_COUNT}, PO_HEAD, -1, -1, -1, -1, 0, {NULL, NULL}, false,
     0, 0},
    {{"K002", "Count_Vacant", IAPT_MEASURE_COUNT}, PO_VACANT, -1, -1, -1, -1, 0, {NULL, NULL},
     false, IAPT_BREAKDOWN_BIT(0), 0},
    {{"K003", "Ratio_SeenPerWTE", IAPT_MEASURE_RATIO}, -1, PO_WTE, -1, -1, PO_HEAD, 0,
     {"TOY", "seen"}, false, IAPT_BREAKDOWN_BIT(0), 100},
};

static int
s_po_record(void *state, const uint8_t *bytes, size_t len, size_t index, iapt_emit_fn emit,
            void *arg)
{
    char text[32], place[8], colour[8];
    int wte;
    (void)state;
    (void)index;
    if (len >= sizeof text)
        return iapt_error_set(IAPT_EFORMAT, "record: too long");
    memcpy(text, bytes, len);
    text[len] = 0;
    if (sscanf(text, "%7[^,],%7[^,],%d", place, colour, &wte) != 3 || wte < 0)
        return iapt_error_set(IAPT_EFORMAT, "record: not PLACE,COLOUR,WTE_X100");
    iapt_contribution_t c;
    memset(&c, 0, sizeof c);
    c.place = place;
    if (!strcmp(colour, "vacant")) {
        c.whole_only = true;
        c.level[1] = 1; /* ignored: the whole group only */
        c.counter[PO_VACANT] = 1;
        c.counter[PO_HEAD] = 0;
    } else {
        c.level[1] = !strcmp(colour, "blue");
        c.counter[PO_HEAD] = 1;
        c.counter[PO_WTE] = (uint64_t)wte;
    }
    return emit(arg, &c);
}

static const iapt_measure_schema_t s_posts = {
    .n_counters = PO_COUNTERS,
    .counter_names = s_po_names,
    .appear = PO_HEAD,
    .n_measures = 3,
    .measures = s_po_rules,
    .n_breakdowns = 2,
    .breakdowns = s_breakdowns,
    .group_types = IAPT_GROUP_ALL,
    .placement = IAPT_PLACE_RECORD,
    .derive = {s_toy_open, s_po_record, NULL, s_toy_free},
};

static void
test_whole_only_masks_and_fixed_joins(void)
{
    iapt_geography_t *geo = NULL;
    CHECK_EQ_INT(iapt_geography_parse(s_geo_text, sizeof s_geo_text - 1, "geo.csv", &geo), 0);
    CHECK_EQ_INT(iapt_measure_schema_check(&s_posts), 0);
    iapt_period_t p;
    iapt_period_make(2025, 9, &p);
    /* The first toy: P1 seen 6, P2 seen 4 (breakdown 0 cells). */
    iapt_stats_t *toy = iapt_stats_new(&s_toy, &p, geo, 0);
    iapt_agg_t *a1 = s_derive(&s_toy, s_p1, 8, ""), *a2 = s_derive(&s_toy, s_p2, 5, "");
    s_fold0_t f = {toy, "P1"};
    CHECK_EQ_INT(iapt_agg_foreach(a1, s_fold0, &f), 0);
    f.provider = "P2";
    CHECK_EQ_INT(iapt_agg_foreach(a2, s_fold0, &f), 0);

    /* POSTS, all in 07L (London): P1 five people (red 1.00 0.50 0.25,
     * blue 0.50 0.25: WTE 2.50) and two vacant posts; P2 four people (red,
     * 0.25 each: 1.00); P3 six people (red 1.00 each), no toy submission.
     * By hand: K003 England = (6 + 4) / (2.50 + 1.00) = 2.857 -> 2.9;
     * London the same (joined headcount 9, P3 left out); P1 6 / 2.5 = 2.4;
     * P2 `*` (joined headcount 4, though 4 / 1.00 = 4.0); P3 empty (not
     * joined). K002: England 2, only without a breakdown; the colour levels
     * hold no vacancy. */
    const char *r1[] = {"07L,red,100", "07L,red,50",    "07L,red,25",   "07L,blue,50",
                        "07L,blue,25", "07L,vacant,80", "07L,vacant,100"};
    const char *r2[] = {"07L,red,25", "07L,red,25", "07L,red,25", "07L,red,25"};
    const char *r3[] = {"07L,red,100", "07L,red,100", "07L,red,100",
                        "07L,red,100", "07L,red,100", "07L,red,100"};
    iapt_agg_t *b1 = s_derive(&s_posts, r1, 7, ""), *b2 = s_derive(&s_posts, r2, 4, ""),
               *b3 = s_derive(&s_posts, r3, 6, "");
    iapt_stats_t *st[2] = {iapt_stats_new(&s_posts, &p, geo, 0),
                           iapt_stats_new(&s_posts, &p, geo, 1)};
    s_fold_t g = {{st[0], st[1]}, "P1", 0};
    CHECK_EQ_INT(iapt_agg_foreach(b1, s_fold_posts, &g), 0);
    g.provider = "P2";
    CHECK_EQ_INT(iapt_agg_foreach(b2, s_fold_posts, &g), 0);
    g.provider = "P3";
    CHECK_EQ_INT(iapt_agg_foreach(b3, s_fold_posts, &g), 0);
    CHECK_EQ_INT(iapt_stats_add_join(st[0], "TOY", toy), 0);

    iapt_stat_rows_t *rows = NULL;
    CHECK_EQ_INT(iapt_stats_rows(st[0], NULL, &rows), 0);
    VALUE("England", "all", "", "K001", "15");
    VALUE("England", "all", "", "K002", "2");
    VALUE("England", "all", "", "K003", "2.9");
    VALUE("Region", "Y56", "", "K003", "2.9");
    VALUE("Provider", "P1", "", "K003", "2.4");
    VALUE("Provider", "P2", "", "K003", "*");
    VALUE("Provider", "P3", "", "K003", "");
    iapt_stat_rows_destroy(&rows);

    CHECK_EQ_INT(iapt_stats_rows(st[1], NULL, &rows), 0);
    VALUE("England", "all", "Red", "K001", "13");
    VALUE("England", "all", "Blue", "K001", "2");
    CHECK(s_value(rows, "England", "all", "Red", "K002") == NULL);
    CHECK(s_value(rows, "England", "all", "Blue", "K003") == NULL);
    /* Rows: K001 only, for every group level. */
    for (size_t i = 0; i < iapt_stat_rows_count(rows); i++)
        CHECK_EQ_STR(iapt_stat_rows_get(rows, i)->measure_id, "K001");
    iapt_stat_rows_destroy(&rows);
    const iapt_cell_t *blue = iapt_stats_cell(st[1], IAPT_GROUP_ENGLAND, NULL, 1);
    CHECK(blue != NULL && iapt_cell_counter(blue, PO_VACANT) == 0 &&
          iapt_cell_counter(blue, PO_HEAD) == 2);
    CHECK_EQ_INT((int)iapt_cell_counter(iapt_stats_cell(st[0], IAPT_GROUP_ENGLAND, NULL, 0),
                                        PO_VACANT),
                 2);

    /* The schema check refuses a join published in a breakdown and a
     * denominator scale on anything but a ratio. */
    iapt_measure_rule_t bad[3];
    memcpy(bad, s_po_rules, sizeof bad);
    iapt_measure_schema_t bent = s_posts;
    bent.measures = bad;
    bad[2].breakdowns = 0;
    CHECK_EQ_INT(iapt_measure_schema_check(&bent), IAPT_EUSAGE);
    bad[2].breakdowns = IAPT_BREAKDOWN_BIT(0);
    bad[0].den_scale = 100;
    CHECK_EQ_INT(iapt_measure_schema_check(&bent), IAPT_EUSAGE);
    bad[0].den_scale = 0;
    bad[1].breakdowns = IAPT_BREAKDOWN_BIT(2); /* no breakdown 2 */
    CHECK_EQ_INT(iapt_measure_schema_check(&bent), IAPT_EUSAGE);

    for (int b = 0; b < 2; b++)
        iapt_stats_destroy(&st[b]);
    iapt_stats_destroy(&toy);
    iapt_agg_destroy(&a1);
    iapt_agg_destroy(&a2);
    iapt_agg_destroy(&b1);
    iapt_agg_destroy(&b2);
    iapt_agg_destroy(&b3);
    iapt_geography_destroy(&geo);
}

static void
test_format_new_kinds(void)
{
    /* By hand, MEASURES-NOTES rounding (half up) and measure_schema.h. */
    struct {
        enum iapt_measure_kind kind;
        int64_t num, den, scale, supp;
        bool exact;
        const char *want;
    } cases[] = {
        {IAPT_MEASURE_RATIO, 7, 2, 0, -1, true, "3.5"},
        {IAPT_MEASURE_RATIO, 7, 2, 0, -1, false, "*"}, /* den under 5 */
        {IAPT_MEASURE_RATIO, 20, 6, 0, -1, false, "3.3"},
        {IAPT_MEASURE_RATIO, 5, 0, 0, -1, true, ""},
        {IAPT_MEASURE_SUM_FIXED, 1234, 1, 100, 7, true, "12.34"},
        {IAPT_MEASURE_SUM_FIXED, 1235, 1, 100, 7, false, "12.4"}, /* 12.35 half up */
        {IAPT_MEASURE_SUM_FIXED, 1235, 1, 100, 4, false, "*"},
        {IAPT_MEASURE_SUM_FIXED, 1235, 1, 100, 4, true, "12.35"},
        {IAPT_MEASURE_MEAN_SIGNED, -7, 5, 0, -1, false, "-1.4"},
        {IAPT_MEASURE_MEAN_SIGNED, -7, 4, 0, -1, false, "*"},
        {IAPT_MEASURE_MEAN_SIGNED, -3, 4, 0, -1, true, "-0.8"},    /* -0.75 half away from zero */
        {IAPT_MEASURE_MEAN_SIGNED, 3, 4, 0, -1, true, "0.8"},      /* 0.75 */
        {IAPT_MEASURE_MEAN_SIGNED, -1, 40, 0, -1, true, "0.0"},    /* -0.025: never -0.0 */
        {IAPT_MEASURE_MEAN_SIGNED, 900, 5, 600, -1, false, "0.3"}, /* 1.5 / 5 points */
        {IAPT_MEASURE_MEAN, 4, 6, 0, -1, false, "*"},              /* sum under 5 */
        {IAPT_MEASURE_MEDIAN, 3, 5, 600, -1, true, "0.0"},         /* 1.5 / 600 */
        {IAPT_MEASURE_COUNT, 12, 1, 0, 3, false, "*"},             /* supp counter under 5 */
        {IAPT_MEASURE_COUNT, 12, 1, 0, 3, true, "12"},
    };
    /* A ratio over a denominator in hundredths: 40 / 3.79 = 10.55; such a
     * denominator decides no suppression (supp does); an empty value is ""
     * at every level. */
    iapt_measure_value_t w = {IAPT_MEASURE_RATIO, 40, 379, 0, 5, 100, false, false};
    char text[IAPT_MEASURE_TEXT_MAX];
    iapt_measure_format(&w, false, text);
    CHECK_EQ_STR(text, "10.6");
    w.den = 3; /* 0.03 WTE */
    iapt_measure_format(&w, false, text);
    CHECK_EQ_STR(text, "1333.3");
    w.supp = 4;
    iapt_measure_format(&w, false, text);
    CHECK_EQ_STR(text, "*");
    w.empty = true;
    iapt_measure_format(&w, false, text);
    CHECK_EQ_STR(text, "");
    iapt_measure_format(&w, true, text);
    CHECK_EQ_STR(text, "");
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        iapt_measure_value_t v = {cases[i].kind, cases[i].num, cases[i].den, cases[i].scale,
                                  cases[i].supp, 0, false, false};
        char out[IAPT_MEASURE_TEXT_MAX];
        iapt_measure_format(&v, cases[i].exact, out);
        if (strcmp(out, cases[i].want) != 0)
            fprintf(stderr, "case %zu: '%s', want '%s'\n", i, out, cases[i].want);
        CHECK_EQ_STR(out, cases[i].want);
    }
}

TEST_MAIN(test_schema_check, test_rollup_every_level, test_bad_records, test_cell_encoding,
          test_placement_by_provider_home, test_join_and_fixed_sums,
          test_whole_only_masks_and_fixed_joins, test_format_new_kinds)
