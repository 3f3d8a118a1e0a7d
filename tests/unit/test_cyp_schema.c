/* test_cyp_schema.c - the CYP measure schema: its consistency, its
 * catalogue against cyp_measures, every measure's formatted value from
 * hand-worked cells at England and below, the derivation hooks on
 * serialized records (and their refusals), the programme view on a small
 * geography. */

#include "common/collection.h"
#include "common/collections/cyp/cyp_measures.h"
#include "common/collections/cyp/cyp_schema.h"
#include "common/geography.h"
#include "common/measures.h"
#include "common/providers.h"
#include "common/stats.h"
#include "tests/unit/cyp_fixture.h"

static const iapt_measure_schema_t *const S = &iapt_cyp_measure_schema;

static void
test_schema_check(void)
{
    CHECK_EQ_INT(iapt_measure_schema_check(S), 0);
    const iapt_collection_t *c = iapt_collection_find("CYP");
    CHECK(c && c->hub == S && c->index == 1);
    CHECK_EQ_INT(S->placement, IAPT_PLACE_RECORD);
    CHECK_EQ_STR(S->config.key, "cyp-tools");
    CHECK_EQ_STR(S->config.default_file, "data/cyp-assessment-tools.csv");
    CHECK(S->round_half_away);
    CHECK_EQ_INT(S->view_months, 24);
    /* Breakdown keys, the reference's. */
    static const char *const keys[] = {"none", "age",    "gender", "ethnicity", "imd",
                                       "team", "reason", "source", "sector"};
    CHECK_EQ_INT(S->n_breakdowns, 9);
    for (int b = 0; b < 9; b++)
        CHECK_EQ_INT(iapt_schema_breakdown_find(S, keys[b]), b);
}

/* The engine's rules say what cyp_measures' catalogue says. */
static void
test_catalogue(void)
{
    size_t n;
    const iapt_cyp_measure_t *m = iapt_cyp_measures(&n);
    CHECK_EQ_INT(S->n_measures, n);
    CHECK_EQ_INT(n, 32);
    for (size_t i = 0; i < n && i < S->n_measures; i++) {
        const iapt_measure_rule_t *r = &S->measures[i];
        CHECK_EQ_STR(r->def.id, m[i].id);
        CHECK_EQ_STR(r->def.name, m[i].name);
        CHECK_EQ_INT(r->def.kind, m[i].kind);
        CHECK_EQ_INT(r->supp, -1);
        CHECK_EQ_INT(r->den_minus, -1);
        if (m[i].kind == IAPT_CYP_MEASURE_COUNT || m[i].kind == IAPT_CYP_MEASURE_PERCENT) {
            CHECK_EQ_INT(r->num, m[i].num);
            CHECK_EQ_INT(r->den, m[i].kind == IAPT_CYP_MEASURE_PERCENT ? m[i].den : -1);
        } else {
            CHECK_EQ_INT(r->dist, m[i].dist);
            CHECK_EQ_INT(S->dist_total[r->dist], m[i].den);
            CHECK_EQ_INT(r->scale, m[i].scale);
        }
        bool stock =
            !strcmp(r->def.id, "C012") || !strcmp(r->def.id, "C013") || !strcmp(r->def.id, "C014");
        CHECK_EQ_INT(r->stock, stock);
    }
    int c051 = iapt_schema_measure_find(S, "C051");
    CHECK(c051 >= 0 && S->measures[c051].def.kind == IAPT_MEASURE_MEAN_SIGNED &&
          S->measures[c051].scale == 600);
    int c022 = iapt_schema_measure_find(S, "C022");
    CHECK(c022 >= 0 && S->measures[c022].den == IAPT_CYP_C_C022_DEN);
}

/* Contributions by hand. */
static void
t_add(iapt_cell_t *cell, const int counters[][2], size_t n)
{
    iapt_contribution_t c;
    memset(&c, 0, sizeof c);
    c.place = "15N";
    for (size_t i = 0; i < n; i++)
        c.counter[counters[i][0]] = (uint64_t)counters[i][1];
    CHECK_EQ_INT(iapt_cell_add(cell, &c), 0);
}

/* One referral with a first contact in the period after `wait` days. */
static void
t_wait(iapt_cell_t *cell, int32_t wait)
{
    iapt_contribution_t c;
    memset(&c, 0, sizeof c);
    c.place = "15N";
    c.counter[IAPT_CYP_C_C010] = 1;
    c.counter[IAPT_CYP_C_C062] = wait <= 28;
    c.has_value[IAPT_CYP_D_WAIT] = true;
    c.value[IAPT_CYP_D_WAIT] = wait;
    CHECK_EQ_INT(iapt_cell_add(cell, &c), 0);
}

/* One closed referral with a paired goal series moving by x600/600. */
static void
t_goal(iapt_cell_t *cell, int32_t x600, bool reliable)
{
    iapt_contribution_t c;
    memset(&c, 0, sizeof c);
    c.place = "15N";
    c.counter[IAPT_CYP_C_C050] = 1;
    c.counter[IAPT_CYP_C_C052] = reliable;
    c.has_value[IAPT_CYP_D_GOAL] = true;
    c.value[IAPT_CYP_D_GOAL] = x600;
    CHECK_EQ_INT(iapt_cell_add(cell, &c), 0);
}

typedef struct {
    const char *id, *england, *below;
} t_want_t;

static void
t_check(const iapt_cell_t *cell, const t_want_t *w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int m = iapt_schema_measure_find(S, w[i].id);
        CHECK(m >= 0);
        if (m < 0)
            continue;
        iapt_measure_value_t v;
        char e[IAPT_MEASURE_TEXT_MAX], b[IAPT_MEASURE_TEXT_MAX];
        CHECK_EQ_INT(iapt_cell_measure(cell, m, &v), 0);
        iapt_measure_format(&v, true, e);
        iapt_measure_format(&v, false, b);
        if (strcmp(e, w[i].england) || strcmp(b, w[i].below))
            fprintf(stderr, "    %s: England '%s' (want '%s'), below '%s' (want '%s')\n", w[i].id,
                    e, w[i].england, b, w[i].below);
        CHECK_EQ_STR(e, w[i].england);
        CHECK_EQ_STR(b, w[i].below);
    }
}

/* Cell A: every measure, worked by hand (counts to 5 below England, `*`
 * under 5; C022 suppressed by its DNA count; C051 rounds -0.25 away from
 * zero and is `*` below with 3 referrals; C061 a half). */
static void
test_measures_cell_a(void)
{
    iapt_cell_t *cell = iapt_cell_new(S);
    static const int base[][2] = {
        {IAPT_CYP_C_REFERRALS, 40}, {IAPT_CYP_C_C001, 23}, {IAPT_CYP_C_C002, 7},
        {IAPT_CYP_C_C003, 4},       {IAPT_CYP_C_C004, 12}, {IAPT_CYP_C_C011, 6},
        {IAPT_CYP_C_C012, 30},      {IAPT_CYP_C_C013, 12}, {IAPT_CYP_C_C014, 3},
        {IAPT_CYP_C_C020, 37},      {IAPT_CYP_C_C021, 4},  {IAPT_CYP_C_C022_DEN, 41},
        {IAPT_CYP_C_C030, 14},      {IAPT_CYP_C_C031, 11}, {IAPT_CYP_C_C032, 8},
        {IAPT_CYP_C_C040, 8},       {IAPT_CYP_C_C041, 5},  {IAPT_CYP_C_C043, 1},
        {IAPT_CYP_C_C045, 3},       {IAPT_CYP_C_C046, 6},
    };
    t_add(cell, base, sizeof base / sizeof *base);
    /* Waits: sorted -2 3 11 28 29 40, sum 109; 28 is within 4 weeks, 29 not. */
    static const int32_t waits[] = {3, 11, 28, 29, 40, -2};
    for (size_t i = 0; i < 6; i++)
        t_wait(cell, waits[i]);
    /* Goals: -1.25, -0.5, +1 point: mean -0.25. */
    t_goal(cell, -750, false);
    t_goal(cell, -300, false);
    t_goal(cell, 600, false);
    static const t_want_t want[] = {
        {"C001", "23", "25"},   {"C002", "7", "5"},       {"C003", "4", "*"},
        {"C004", "12", "10"},   {"C010", "6", "5"},       {"C011", "6", "5"},
        {"C012", "30", "30"},   {"C013", "12", "10"},     {"C014", "3", "*"},
        {"C020", "37", "35"},   {"C021", "4", "*"},       {"C022", "9.8", "*"},
        {"C030", "14", "15"},   {"C031", "11", "10"},     {"C032", "8", "10"},
        {"C033", "72.7", "73"}, {"C040", "8", "10"},      {"C041", "5", "5"},
        {"C042", "62.5", "63"}, {"C043", "1", "*"},       {"C044", "12.5", "*"},
        {"C045", "3", "*"},     {"C046", "6", "5"},       {"C047", "50.0", "*"},
        {"C050", "3", "*"},     {"C051", "-0.3", "*"},    {"C052", "0", "*"},
        {"C053", "0.0", "*"},   {"C060", "18.2", "18.2"}, {"C061", "19.5", "19.5"},
        {"C062", "4", "*"},     {"C063", "66.7", "*"},
    };
    CHECK_EQ_INT(sizeof want / sizeof *want, S->n_measures);
    t_check(cell, want, sizeof want / sizeof *want);
    iapt_cell_destroy(&cell);
}

/* Cell B: C051 with five referrals and a negative sum is shown below
 * England (count only); C060 of -0.25 rounds to -0.3; four waits are `*`
 * below; C022 with nothing to divide by is empty at England. */
static void
test_measures_cell_b(void)
{
    iapt_cell_t *cell = iapt_cell_new(S);
    static const int base[][2] = {{IAPT_CYP_C_REFERRALS, 10}, {IAPT_CYP_C_C030, 5}};
    t_add(cell, base, 2);
    static const int32_t waits[] = {-1, 0, 0, 0};
    for (size_t i = 0; i < 4; i++)
        t_wait(cell, waits[i]);
    t_goal(cell, -600, false);
    t_goal(cell, -600, false);
    t_goal(cell, -600, false);
    t_goal(cell, -1200, false);
    t_goal(cell, 1500, true); /* 2.5 points >= 2.45 */
    static const t_want_t want[] = {
        {"C022", "", "*"},      {"C050", "5", "5"},    {"C051", "-0.5", "-0.5"}, {"C052", "1", "*"},
        {"C053", "20.0", "*"},  {"C060", "-0.3", "*"}, {"C061", "0.0", "*"},     {"C062", "4", "*"},
        {"C063", "100.0", "*"}, {"C033", "", "*"},
    };
    t_check(cell, want, sizeof want / sizeof *want);
    iapt_cell_destroy(&cell);
}

/* ---------------------------------------------------------------------------
 * Derivation hooks
 * ------------------------------------------------------------------------ */

typedef struct {
    int n;
    iapt_contribution_t last;
    char place[8]; /* the record's string lives only during the call */
} t_sink_t;

static int
t_emit(void *arg, const iapt_contribution_t *c)
{
    t_sink_t *s = arg;
    s->n++;
    s->last = *c;
    snprintf(s->place, sizeof s->place, "%s", c->place);
    s->last.place = s->place;
    return 0;
}

static size_t
t_pack(const t_rec_t *r, uint8_t *buf, size_t size)
{
    size_t n = iapt__cyp_referral_record__get_packed_size(&r->rec);
    CHECK(n <= size);
    if (n > size)
        return 0;
    return iapt__cyp_referral_record__pack(&r->rec, buf);
}

static void
test_derive_hooks(void)
{
    t_rec_t r;
    t_treated(&r);
    t_score(&r, "LOW", 3000, 3, 0);
    t_score(&r, "LOW", 1000, 15, 0);
    r.rec.team_type = "CWP";
    uint8_t buf[4096];
    size_t len = t_pack(&r, buf, sizeof buf);

    iapt_derive_context_t ctx = {t_period(), "RXX", &s_tools, NULL};
    void *state = NULL;
    t_sink_t sink = {0};
    CHECK_EQ_INT(S->derive.open(&ctx, &state), 0);
    CHECK_EQ_INT(S->derive.record(state, buf, len, 0, t_emit, &sink), 0);
    CHECK_EQ_INT(sink.n, 1);
    CHECK_EQ_STR(sink.last.place, "15N");
    /* The contribution is iapt_cyp_contribute's for the derived referral. */
    iapt_cyp_derived_t d = t_derive(&r);
    uint64_t counter[IAPT_CYP_C_COUNT] = {0};
    bool has[IAPT_CYP_D_COUNT];
    int32_t value[IAPT_CYP_D_COUNT];
    iapt_cyp_contribute(&d, counter, has, value);
    for (int i = 0; i < IAPT_CYP_C_COUNT; i++)
        CHECK_EQ_INT(sink.last.counter[i], counter[i]);
    for (int b = 0; b < IAPT_CYP_BD_COUNT; b++)
        CHECK_EQ_INT(sink.last.level[b], d.level[b]);
    CHECK_EQ_INT(sink.last.counter[IAPT_CYP_C_C041], 1);
    CHECK_EQ_INT(sink.last.counter[IAPT_CYP_C_CWP_C041], 1);

    /* The same referral id again: refused, naming the field. */
    CHECK_EQ_INT(S->derive.record(state, buf, len, 1, t_emit, &sink), IAPT_EFORMAT);
    CHECK(strstr(iapt_error_detail(), "pathway_id") != NULL);
    CHECK_EQ_INT(sink.n, 1);
    /* Bytes that are no record. */
    static const uint8_t junk[] = {0xff, 0xff, 0xff, 0x01};
    CHECK_EQ_INT(S->derive.record(state, junk, sizeof junk, 2, t_emit, &sink), IAPT_EFORMAT);
    /* A record breaking cyp.proto: the field is named. */
    t_rec_t bad;
    t_treated(&bad);
    bad.pathway[0] = 0x01;
    bad.rec.commissioner = "x";
    len = t_pack(&bad, buf, sizeof buf);
    CHECK_EQ_INT(S->derive.record(state, buf, len, 3, t_emit, &sink), IAPT_EFORMAT);
    CHECK(strstr(iapt_error_detail(), "commissioner") != NULL);
    CHECK_EQ_INT(sink.n, 1);
    S->derive.free(state);

    /* No tool table: a usage error, not a crash. */
    iapt_derive_context_t none = {t_period(), "RXX", NULL, NULL};
    state = NULL;
    CHECK_EQ_INT(S->derive.open(&none, &state), IAPT_EUSAGE);
    CHECK(state == NULL);
}

static void
test_tools_config(void)
{
    void *cfg = NULL;
    CHECK_EQ_INT(S->config.load("tests/unit/no-such-tools.csv", &cfg), IAPT_ENOTFOUND);
    CHECK_EQ_INT(S->config.load(NULL, &cfg), 0); /* the shipped table */
    if (cfg) {
        uint8_t h[32], zero[32] = {0};
        S->config.sha256(cfg, h);
        CHECK(memcmp(h, zero, 32) != 0);
        S->config.free(cfg);
    }
}

/* ---------------------------------------------------------------------------
 * Programme view
 * ------------------------------------------------------------------------ */

static const char s_geo[] =
    "subicb_code,subicb_name,icb_code,icb_name,region_code,region_name,population_0_19\n"
    "AAA,Sub A,I1,ICB 1,R1,North,1000\n"
    "BBB,Sub B,I1,ICB 1,R1,North,3000\n"
    "CCC,Sub C,I2,ICB 2,R2,South,2\n";
static const char s_prov[] = "org_code,org_name,home_subicb\n"
                             "P1,Provider one,AAA\n"
                             "P2,Provider two,CCC\n"
                             "P3,Provider three,BBB\n";

/* A provider cell of `referrals` referrals placed at `place`, with `c011`
 * second contacts and `cwp` of them (all counters) in CWP teams. */
static void
t_month_add(iapt_stats_t *st, const char *org, const char *place, int referrals, int c011, int cwp)
{
    iapt_cell_t *cell = iapt_cell_new(S);
    iapt_contribution_t c;
    memset(&c, 0, sizeof c);
    c.place = place;
    c.counter[IAPT_CYP_C_REFERRALS] = (uint64_t)referrals;
    c.counter[IAPT_CYP_C_C011] = (uint64_t)c011;
    c.counter[IAPT_CYP_C_CWP_REFERRALS] = (uint64_t)cwp;
    c.counter[IAPT_CYP_C_CWP_C010] = (uint64_t)cwp;
    c.counter[IAPT_CYP_C_CWP_C011] = (uint64_t)cwp;
    c.counter[IAPT_CYP_C_CWP_C040] = (uint64_t)cwp;
    c.counter[IAPT_CYP_C_CWP_C041] = (uint64_t)(cwp / 2);
    CHECK_EQ_INT(iapt_cell_add(cell, &c), 0);
    CHECK_EQ_INT(iapt_stats_add_cell(st, org, org, place, 0, cell), 0);
    iapt_cell_destroy(&cell);
}

static const char *
t_row(const iapt_target_rows_t *t, const char *region, const char *measure)
{
    for (size_t i = 0; i < iapt_target_rows_count(t); i++) {
        const iapt_target_row_t *r = iapt_target_rows_get(t, i);
        char what[96];
        snprintf(what, sizeof what, "%s %s", r->view, r->measure);
        const char *who = strcmp(r->group_type, "Provider") ? r->region : r->org_code;
        if (!strcmp(who, region) && !strcmp(what, measure))
            return r->value;
    }
    return NULL;
}

static void
test_programme_view(void)
{
    iapt_geography_t *geo = NULL;
    iapt_providers_t *prov = NULL;
    CHECK_EQ_INT(iapt_geography_parse(s_geo, sizeof s_geo - 1, "geo", &geo), 0);
    CHECK_EQ_INT(iapt_providers_parse(s_prov, sizeof s_prov - 1, "prov", &prov), 0);
    CHECK(iapt_geography_has_column(geo, "population_0_19"));
    iapt_period_t end;
    iapt_period_make(2025, 9, &end);
    iapt_stats_t *months[24];
    for (int i = 0; i < 24; i++) {
        iapt_period_t p;
        iapt_period_add(&end, i - 23, &p);
        months[i] = iapt_stats_new(S, &p, geo, 0);
        /* Earlier 12 months: 10 second contacts a month in the North
         * (AAA); later 12: 12 a month, and 1 in the South (CCC). */
        t_month_add(months[i], "P1", "AAA", 20, i < 12 ? 10 : 12, i == 23 ? 10 : 0);
        if (i >= 12)
            t_month_add(months[i], "P2", "CCC", 3, 1, 0);
    }
    iapt_view_input_t in = {.period = &end,
                            .months = (const struct iapt_stats *const *)months,
                            .n_months = 24,
                            .geography = geo,
                            .providers = prov};
    iapt_target_rows_t *t = NULL;
    CHECK_EQ_INT(iapt_cyp_programme_view(&in, &t), 0);
    /* Coverage: P1 covers AAA (1000), P2 covers CCC (2); P3 sent nothing. */
    CHECK_EQ_STR(t_row(t, "England", "coverage Population_0_19"), "4002");
    CHECK_EQ_STR(t_row(t, "England", "coverage Population_0_19_Covered"), "1002");
    CHECK_EQ_STR(t_row(t, "England", "coverage Percentage_Coverage"), "25.0");
    CHECK_EQ_STR(t_row(t, "North", "coverage Population_0_19"), "4000");
    CHECK_EQ_STR(t_row(t, "North", "coverage Population_0_19_Covered"), "1000");
    CHECK_EQ_STR(t_row(t, "North", "coverage Percentage_Coverage"), "25");
    CHECK_EQ_STR(t_row(t, "South", "coverage Population_0_19"), "*");
    CHECK_EQ_STR(t_row(t, "South", "coverage Percentage_Coverage"), "*");
    /* Access growth: England 12 x 13 = 156 against 12 x 10 = 120: +36;
     * North 144 against 120: 24 rounds to 25 below England; South 12
     * against 0: `*`. */
    CHECK_EQ_STR(t_row(t, "England", "access_growth Count_SecondContact12Months"), "156");
    CHECK_EQ_STR(t_row(t, "England", "access_growth Count_SecondContactPrevious12Months"), "120");
    CHECK_EQ_STR(t_row(t, "England", "access_growth Count_AccessGrowth"), "36");
    CHECK_EQ_STR(t_row(t, "North", "access_growth Count_SecondContact12Months"), "145");
    CHECK_EQ_STR(t_row(t, "North", "access_growth Count_AccessGrowth"), "25");
    CHECK_EQ_STR(t_row(t, "South", "access_growth Count_AccessGrowth"), "*");
    /* CWP teams: P1 only (10 CWP referrals, 5 of 10 improved: 50%). */
    CHECK_EQ_STR(t_row(t, "P1", "cwp_teams C010"), "10");
    CHECK_EQ_STR(t_row(t, "P1", "cwp_teams C042"), "50");
    CHECK(t_row(t, "P2", "cwp_teams C010") == NULL);
    iapt_target_rows_destroy(&t);

    /* One of the 24 months without data: access growth empty. */
    iapt_stats_t *gap = months[5];
    months[5] = NULL;
    CHECK_EQ_INT(iapt_cyp_programme_view(&in, &t), 0);
    CHECK_EQ_STR(t_row(t, "England", "access_growth Count_AccessGrowth"), "");
    CHECK_EQ_STR(t_row(t, "England", "coverage Percentage_Coverage"), "25.0");
    iapt_target_rows_destroy(&t);
    months[5] = gap;

    /* Without the population column coverage is empty. */
    static const char plain[] =
        "subicb_code,subicb_name,icb_code,icb_name,region_code,region_name\n"
        "AAA,Sub A,I1,ICB 1,R1,North\n";
    iapt_geography_t *geo2 = NULL;
    CHECK_EQ_INT(iapt_geography_parse(plain, sizeof plain - 1, "geo2", &geo2), 0);
    CHECK(!iapt_geography_has_column(geo2, "population_0_19"));
    in.geography = geo2;
    CHECK_EQ_INT(iapt_cyp_programme_view(&in, &t), 0);
    CHECK_EQ_STR(t_row(t, "England", "coverage Percentage_Coverage"), "");
    CHECK_EQ_STR(t_row(t, "North", "coverage Population_0_19"), "");
    iapt_target_rows_destroy(&t);
    iapt_geography_destroy(&geo2);

    for (int i = 0; i < 24; i++)
        iapt_stats_destroy(&months[i]);
    iapt_providers_destroy(&prov);
    iapt_geography_destroy(&geo);
}

/* Optional geography columns: text kept, numbers read, bad numbers 0. */
static void
test_geography_columns(void)
{
    static const char g[] = "subicb_code,subicb_name,icb_code,icb_name,region_code,region_name,"
                            "population_0_19,note\n"
                            "AAA,A,I1,I,R1,N,12,x\n"
                            "BBB,B,I1,I,R1,N,,y\n"
                            "CCC,C,I1,I,R1,N,1.5,z\n";
    iapt_geography_t *geo = NULL;
    CHECK_EQ_INT(iapt_geography_parse(g, sizeof g - 1, "g", &geo), 0);
    int64_t v;
    CHECK_EQ_INT(iapt_geography_number(geo, iapt_geography_find(geo, "AAA"), "population_0_19", &v),
                 1);
    CHECK_EQ_INT(v, 12);
    CHECK_EQ_INT(iapt_geography_number(geo, iapt_geography_find(geo, "BBB"), "population_0_19", &v),
                 0);
    CHECK_EQ_INT(iapt_geography_number(geo, iapt_geography_find(geo, "CCC"), "population_0_19", &v),
                 0);
    CHECK_EQ_INT(v, 0);
    CHECK_EQ_INT(iapt_geography_number(geo, iapt_geography_find(geo, "AAA"), "absent", &v), -1);
    CHECK_EQ_STR(iapt_geography_field(geo, iapt_geography_find(geo, "CCC"), "note"), "z");
    iapt_geography_destroy(&geo);
    static const char twice[] = "subicb_code,subicb_name,icb_code,icb_name,region_code,region_name,"
                                "p,p\n"
                                "AAA,A,I1,I,R1,N,1,2\n";
    CHECK_EQ_INT(iapt_geography_parse(twice, sizeof twice - 1, "g", &geo), IAPT_EFORMAT);
    CHECK(geo == NULL);
}

TEST_MAIN(test_schema_check, test_catalogue, test_measures_cell_a, test_measures_cell_b,
          test_derive_hooks, test_tools_config, test_programme_view, test_geography_columns)
