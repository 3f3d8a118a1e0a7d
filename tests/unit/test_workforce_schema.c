/* test_workforce_schema.c - the workforce collection's hub half through the
 * generic engine: the schema's shape, its formatting against the
 * collection's own arithmetic (workforce_measures.h) on random cells, and
 * two providers' October 2025 submissions and an adult month worked by
 * hand through derivation, placement, roll-up, the adult join, the
 * breakdowns and the programme view.
 *
 * October 2025 starts on a Wednesday: its full weeks start on days 5, 12
 * and 19; every session below is on those Mondays. */

#include "common/collection.h"
#include "common/collections/workforce/workforce_measures.h"
#include "common/collections/workforce/workforce_schema.h"
#include "common/err.h"
#include "common/geography.h"
#include "common/measures.h"
#include "common/providers.h"
#include "common/stats.h"
#include "hub/query_span.h"
#include "proto/workforce.pb-c.h"
#include "tests/test.h"

#include <stdlib.h>

static const iapt_measure_schema_t *const S = &iapt_workforce_measure_schema;

/* ---------------------------------------------------------------------------
 * Shape
 * ------------------------------------------------------------------------ */

static void
test_shape(void)
{
    CHECK_EQ_INT(iapt_measure_schema_check(S), 0);
    const iapt_collection_t *col = iapt_collection_find("WORKFORCE");
    CHECK(col != NULL && col->hub == S && col->index == 2);
    CHECK_EQ_INT((int)S->n_counters, IAPT_WF_C_STORED);
    CHECK_EQ_INT(iapt_schema_counter_find(S, "posts_wte"), IAPT_WF_C_POSTS_WTE);
    CHECK_EQ_INT(iapt_schema_counter_find(S, "join_providers"), -1); /* not stored */
    CHECK(S->placement == IAPT_PLACE_PROVIDER_HOME);
    CHECK(!(S->group_types & IAPT_GROUP_BIT(IAPT_GROUP_SUBICB)));
    CHECK(S->group_types & IAPT_GROUP_BIT(IAPT_GROUP_ICB));
    CHECK_EQ_INT(iapt_schema_breakdown_find(S, "role"), 1);
    CHECK_EQ_INT(iapt_schema_breakdown_find(S, "band"), 2);
    CHECK_EQ_INT(iapt_schema_breakdown_find(S, "profession"), 3);
    CHECK_EQ_STR(S->breakdowns[1].title, "Staff role");
    CHECK_EQ_STR(S->breakdowns[2].levels[11], "Unknown");

    /* The catalogue is wf-core's, in its order, with its breakdown mask. */
    size_t n;
    const iapt_wf_rule_t *w = iapt_wf_rules(&n);
    CHECK_EQ_INT((int)S->n_measures, (int)n);
    for (size_t i = 0; i < n && i < S->n_measures; i++) {
        const iapt_measure_rule_t *r = &S->measures[i];
        CHECK_EQ_STR(r->def.id, w[i].id);
        CHECK_EQ_STR(r->def.name, w[i].name);
        bool staff = w[i].breakdowns != IAPT_WF_IN_BREAKDOWN(IAPT_WF_BREAKDOWN_NONE);
        CHECK(staff ? r->breakdowns == 0 : r->breakdowns == IAPT_BREAKDOWN_BIT(0));
        CHECK((r->join.collection != NULL) == (w[i].empty_unless >= 0));
    }
    const char *const *h = iapt_wf_headline(&n);
    CHECK_EQ_INT((int)S->n_headline, (int)n);
    for (size_t i = 0; i < n && i < S->n_headline; i++)
        CHECK_EQ_STR(S->headline[i], h[i]);
    /* Stocks: what stands at the period end. */
    static const char *const stocks[] = {"W001", "W002", "W003", "W004", "W005", "W010",
                                         "W011", "W030", "W031", "W032", "W033"};
    for (size_t i = 0; i < S->n_measures; i++) {
        bool want = false;
        for (size_t j = 0; j < sizeof stocks / sizeof *stocks; j++)
            want |= strcmp(stocks[j], S->measures[i].def.id) == 0;
        CHECK(S->measures[i].stock == want);
    }
    /* The join names counters the adult collection has. */
    const iapt_measure_schema_t *adult = iapt_collection_find("IAPT")->hub;
    CHECK(iapt_schema_counter_find(adult, "M082") >= 0);
    CHECK(iapt_schema_counter_find(adult, "M031") >= 0);
}

/* ---------------------------------------------------------------------------
 * The engine's formatting of the schema's rules = workforce_measures.h's
 * own (iapt_wf_value / iapt_wf_format), on random consistent cells
 * ------------------------------------------------------------------------ */

static uint64_t
s_rand(uint64_t *x, uint64_t lo, uint64_t hi)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return hi <= lo ? lo : lo + *x % (hi - lo + 1);
}

static void
test_formats_agree(void)
{
    uint64_t x = 88172645463325252ULL;
    int compared = 0;
    for (int round = 0; round < 20000; round++) {
        uint64_t c[IAPT_WF_C_COUNT] = {0};
        int big = round % 3 == 0 ? 60 : 9;
        c[IAPT_WF_C_STAFF] = s_rand(&x, 0, (uint64_t)big);
        c[IAPT_WF_C_STAFF_RECORDS] = c[IAPT_WF_C_STAFF] + s_rand(&x, 0, 3);
        c[IAPT_WF_C_SUBMISSIONS] = s_rand(&x, 1, 3);
        c[IAPT_WF_C_APPEAR] = c[IAPT_WF_C_STAFF_RECORDS] + c[IAPT_WF_C_SUBMISSIONS];
        c[IAPT_WF_C_CLINICAL] = s_rand(&x, 0, c[IAPT_WF_C_STAFF]);
        c[IAPT_WF_C_CLINICAL_WTE] = s_rand(&x, c[IAPT_WF_C_CLINICAL], 100 * c[IAPT_WF_C_CLINICAL]);
        c[IAPT_WF_C_STAFF_WTE] =
            c[IAPT_WF_C_CLINICAL_WTE] + s_rand(&x, c[IAPT_WF_C_STAFF] - c[IAPT_WF_C_CLINICAL],
                                               100 * (c[IAPT_WF_C_STAFF] - c[IAPT_WF_C_CLINICAL]));
        c[IAPT_WF_C_TRAINEES] = s_rand(&x, 0, c[IAPT_WF_C_CLINICAL]);
        c[IAPT_WF_C_TRAINING_COMPLETED] = s_rand(&x, 0, c[IAPT_WF_C_STAFF_RECORDS]);
        c[IAPT_WF_C_STARTERS] = s_rand(&x, 0, c[IAPT_WF_C_STAFF_RECORDS]);
        c[IAPT_WF_C_LEAVERS] = s_rand(&x, 0, c[IAPT_WF_C_STAFF_RECORDS]);
        c[IAPT_WF_C_VACANCIES] = s_rand(&x, 0, (uint64_t)big / 3);
        c[IAPT_WF_C_VACANT_WTE] = s_rand(&x, c[IAPT_WF_C_VACANCIES], 100 * c[IAPT_WF_C_VACANCIES]);
        c[IAPT_WF_C_POSTS_WTE] = c[IAPT_WF_C_STAFF_WTE] + c[IAPT_WF_C_VACANT_WTE];
        c[IAPT_WF_C_ELIGIBLE] = s_rand(&x, 0, c[IAPT_WF_C_CLINICAL]);
        c[IAPT_WF_C_SUPERVISION_MET] = s_rand(&x, 0, c[IAPT_WF_C_ELIGIBLE]);
        c[IAPT_WF_C_TRAINEES_SUPERVISED] = s_rand(&x, 0, c[IAPT_WF_C_TRAINEES]);
        c[IAPT_WF_C_SUPERVISORS] =
            s_rand(&x, c[IAPT_WF_C_TRAINEES_SUPERVISED] ? 1 : 0, c[IAPT_WF_C_TRAINEES_SUPERVISED]);
        c[IAPT_WF_C_SUPERVISORS_OVER_5] = s_rand(&x, 0, c[IAPT_WF_C_SUPERVISORS] / 6);
        c[IAPT_WF_C_TRAINEES_UNSUPERVISED] =
            c[IAPT_WF_C_TRAINEES] - c[IAPT_WF_C_TRAINEES_SUPERVISED];

        iapt_contribution_t k;
        memset(&k, 0, sizeof k);
        k.place = "";
        memcpy(k.counter, c, IAPT_WF_C_STORED * sizeof *c);
        iapt_cell_t *cell = iapt_cell_new(S);
        CHECK_EQ_INT(iapt_cell_add(cell, &k), 0);
        /* Through the stored encoding, with its bounds checked. */
        iapt_buf_t b = IAPT_BUF_INIT;
        iapt_cell_t *copy = iapt_cell_new(S);
        CHECK_EQ_INT(iapt_cell_encode(cell, &b), 0);
        CHECK_EQ_INT(iapt_cell_decode(copy, b.data, b.len), 0);
        for (size_t m = 0; m < S->n_measures; m++) {
            if (S->measures[m].join.collection)
                continue; /* joins: test_by_hand */
            const iapt_wf_rule_t *w = iapt_wf_rule_find(S->measures[m].def.id);
            for (int exact = 0; exact < 2; exact++) {
                iapt_measure_value_t v;
                char ours[IAPT_MEASURE_TEXT_MAX], theirs[IAPT_WF_TEXT_MAX];
                CHECK_EQ_INT(iapt_cell_measure(copy, (int)m, &v), 0);
                iapt_measure_format(&v, exact, ours);
                iapt_wf_value_t wv;
                iapt_wf_value(w, c, &wv);
                iapt_wf_format(&wv, exact, theirs);
                if (strcmp(ours, theirs) != 0)
                    fprintf(stderr, "round %d %s exact %d: engine '%s', workforce '%s'\n", round,
                            w->id, exact, ours, theirs);
                CHECK_EQ_STR(ours, theirs);
                compared++;
            }
        }
        iapt_buf_free(&b);
        iapt_cell_destroy(&copy);
        iapt_cell_destroy(&cell);
    }
    CHECK(compared == 20000 * 17 * 2);
}

/* ---------------------------------------------------------------------------
 * By hand
 * ------------------------------------------------------------------------ */

typedef struct {
    uint8_t bytes[1024];
    size_t len;
} leaf_t;

typedef struct {
    uint8_t who;
    const char *role, *band, *profession;
    uint32_t wte;
    int32_t start;
    int32_t completed; /* training completed on this day, -1: not */
    uint8_t supervisor;
    uint32_t minutes; /* an I session on each full week's Monday, 0: none */
} spec_t;

static void
pack_staff(const spec_t *sp, leaf_t *out)
{
    uint8_t id[16], sup[16];
    memset(id, sp->who, 16);
    memset(sup, sp->supervisor, 16);
    Iapt__WfSupervisionSession sess[3], *ptr[3];
    for (int i = 0; i < 3; i++) {
        Iapt__WfSupervisionSession init = IAPT__WF_SUPERVISION_SESSION__INIT;
        sess[i] = init;
        sess[i].day = 5 + 7 * i;
        sess[i].minutes = sp->minutes;
        sess[i].type = (char *)"I";
        ptr[i] = &sess[i];
    }
    Iapt__WfStaffRecord s = IAPT__WF_STAFF_RECORD__INIT;
    s.staff_id.data = id;
    s.staff_id.len = 16;
    s.role = (char *)sp->role;
    s.band = (char *)sp->band;
    s.profession = (char *)sp->profession;
    s.wte_x100 = sp->wte;
    s.post_start_day = sp->start;
    if (sp->completed >= 0) {
        s.has_training_completed_day = 1;
        s.training_completed_day = sp->completed;
    }
    if (sp->supervisor) {
        s.has_supervisor_id = 1;
        s.supervisor_id.data = sup;
        s.supervisor_id.len = 16;
    }
    if (sp->minutes) {
        s.n_sessions = 3;
        s.sessions = ptr;
    }
    Iapt__WfRecord r = IAPT__WF_RECORD__INIT;
    r.kind_case = IAPT__WF_RECORD__KIND_STAFF;
    r.staff = &s;
    out->len = iapt__wf_record__get_packed_size(&r);
    CHECK(out->len <= sizeof out->bytes);
    iapt__wf_record__pack(&r, out->bytes);
}

static void
pack_vacancy(const char *role, const char *band, uint32_t wte, leaf_t *out)
{
    Iapt__WfVacancyRecord v = IAPT__WF_VACANCY_RECORD__INIT;
    v.role = (char *)role;
    v.band = (char *)band;
    v.wte_x100 = wte;
    Iapt__WfRecord r = IAPT__WF_RECORD__INIT;
    r.kind_case = IAPT__WF_RECORD__KIND_VACANCY;
    r.vacancy = &v;
    out->len = iapt__wf_record__get_packed_size(&r);
    iapt__wf_record__pack(&r, out->bytes);
}

/* P1 (home 00L, North East):
 *   1 LIT band 4 GRD 1.00, supervised by 5, 60 min a week: eligible, met
 *   2 LIT band 4 0.50, supervised by 5, 59 min a week: eligible, not met
 *   3 HIQ band 7 CLP 0.80, no sessions: eligible, not met
 *   4 LIQ band 5 CLP 0.49, 60 a week, trained on day 3: not eligible (WTE)
 *   5 SUP band 8a CLP 1.00: not clinical
 *   6 HIT band 6 PSY 1.00, starts on day 10, no supervisor: a starter, a
 *     trainee without supervisor, not eligible (not in post all period)
 *   vacancies LIQ 1.00, HIQ 0.50
 * W001 6, W002 4.79, W003 5, W004 3.79, W005 3, W006 1, W007 1, W008 0,
 * W010 1.50, W011 150/629 = 23.8 %, W020 3, W021 1, W022 33.3, W030 1,
 * W031 2.0, W032 0, W033 1.
 * P2 (not in the providers file: England and Provider only): LIQ band 5
 * NUR 1.00 and CNS 1.00, both in post all period, no sessions: W001 2,
 * W002 2.00, W003 2, W004 2.00, W020 2, W021 0.
 * Adult: P1 M082 40, M031 7; P3 (no workforce month) M082 100, M031 20. */
static const spec_t s_p1[] = {
    {1, "LIT", "4", "GRD", 100, -300, -1, 5, 60},  {2, "LIT", "4", NULL, 50, -300, -1, 5, 59},
    {3, "HIQ", "7", "CLP", 80, -300, -1, 0, 0},    {4, "LIQ", "5", "CLP", 49, -300, 3, 0, 60},
    {5, "SUP", "8a", "CLP", 100, -2000, -1, 0, 0}, {6, "HIT", "6", "PSY", 100, 10, -1, 0, 0},
};
static const spec_t s_p2[] = {
    {1, "LIQ", "5", "NUR", 100, -300, -1, 0, 0},
    {2, "CNS", NULL, NULL, 100, -300, -1, 0, 0},
};

static const char s_geo_text[] =
    "subicb_code,subicb_name,icb_code,icb_name,region_code,region_name\n"
    "00L,North East ICB - 00L,QHM,North East ICB,Y63,North East\n"
    "07L,London East ICB - 07L,QMF,London East ICB,Y56,London\n";
static const char s_providers_text[] = "org_code,org_name,home_subicb\n"
                                       "P1,Provider One,00L\n"
                                       "P3,Provider Three,07L\n";

/* The fixture's geography and providers files, parsed. */
static void
s_fixture_files(iapt_geography_t **geo, iapt_providers_t **providers)
{
    CHECK_EQ_INT(iapt_geography_parse(s_geo_text, sizeof s_geo_text - 1, "geo.csv", geo), 0);
    CHECK_EQ_INT(iapt_providers_parse(s_providers_text, sizeof s_providers_text - 1,
                                      "providers.csv", providers),
                 0);
}

typedef struct {
    iapt_stats_t *st[IAPT_WF_BREAKDOWN_COUNT];
    const char *provider;
} s_fold_t;

static int
s_fold(const char *place, int breakdown, int level, const iapt_cell_t *cell, void *arg)
{
    s_fold_t *f = arg;
    if (!f->st[breakdown])
        return 0;
    iapt_buf_t b = IAPT_BUF_INIT;
    iapt_cell_t *copy = iapt_cell_new(S);
    CHECK_EQ_INT(iapt_cell_encode(cell, &b), 0);
    CHECK_EQ_INT(iapt_cell_decode(copy, b.data, b.len), 0);
    int rc = iapt_stats_add_cell(f->st[breakdown], f->provider, f->provider, place, level, copy);
    iapt_cell_destroy(&copy);
    iapt_buf_free(&b);
    return rc;
}

/* One provider's submission of `month` through the engine into the
 * accumulators, placed by its home in the providers file. */
static void
s_submit(iapt_stats_t *st[IAPT_WF_BREAKDOWN_COUNT], const iapt_providers_t *providers,
         const char *org, int month, const spec_t *spec, size_t n, bool vacancies)
{
    iapt_period_t p;
    iapt_period_make(2025, month, &p);
    leaf_t leaves[16];
    size_t nl = 0;
    for (size_t i = 0; i < n; i++)
        pack_staff(&spec[i], &leaves[nl++]);
    if (vacancies) {
        pack_vacancy("LIQ", "5", 100, &leaves[nl++]);
        pack_vacancy("HIQ", "7", 50, &leaves[nl++]);
    }
    const iapt_provider_t *home = iapt_providers_find(providers, org);
    iapt_derive_context_t ctx = {.period = &p, .provider = org, .providers = providers};
    iapt_agg_t *agg = iapt_agg_new(S);
    iapt_derivation_t *d = NULL;
    CHECK_EQ_INT(iapt_derivation_open(S, &ctx, home ? home->home_subicb : "", agg, &d), 0);
    for (size_t i = 0; d && i < nl; i++)
        CHECK_EQ_INT(iapt_derivation_record(d, leaves[i].bytes, leaves[i].len, i), 0);
    if (d)
        CHECK_EQ_INT(iapt_derivation_close(d), 0);
    iapt_derivation_destroy(&d);
    s_fold_t f;
    memcpy(f.st, st, sizeof f.st);
    f.provider = org;
    CHECK_EQ_INT(iapt_agg_foreach(agg, s_fold, &f), 0);
    iapt_agg_destroy(&agg);
}

static const char *
s_value(const iapt_stat_rows_t *rows, const char *type, const char *code, const char *level,
        const char *id)
{
    for (size_t i = 0; i < iapt_stat_rows_count(rows); i++) {
        const iapt_stat_row_t *r = iapt_stat_rows_get(rows, i);
        const char *c = r->group == IAPT_GROUP_PROVIDER ? r->org_code2 : r->org_code1;
        if (strcmp(r->group_type, type) == 0 && strcmp(c, code) == 0 &&
            strcmp(r->breakdown_level, level) == 0 && strcmp(r->measure_id, id) == 0)
            return r->value;
    }
    return NULL;
}

#define VALUE(type, code, level, id, want)                                                         \
    do {                                                                                           \
        const char *got_ = s_value(rows, type, code, level, id);                                   \
        if (!got_ || strcmp(got_, want) != 0)                                                      \
            fprintf(stderr, "%s %s %s %s: '%s', want '%s'\n", type, code, level, id,               \
                    got_ ? got_ : "(no row)", want);                                               \
        CHECK(got_ != NULL && strcmp(got_, want) == 0);                                            \
    } while (0)

static void
s_adult_cell(iapt_stats_t *adult, const char *org, const char *place, uint64_t m082, uint64_t m031)
{
    const iapt_measure_schema_t *as = iapt_stats_schema(adult);
    iapt_contribution_t k;
    memset(&k, 0, sizeof k);
    k.place = place;
    k.counter[as->appear] = 50;
    k.counter[iapt_schema_counter_find(as, "M082")] = m082;
    k.counter[iapt_schema_counter_find(as, "M031")] = m031;
    iapt_cell_t *cell = iapt_cell_new(as);
    CHECK_EQ_INT(iapt_cell_add(cell, &k), 0);
    CHECK_EQ_INT(iapt_stats_add_cell(adult, org, org, place, 0, cell), 0);
    iapt_cell_destroy(&cell);
}

static void
test_by_hand(void)
{
    iapt_geography_t *geo = NULL;
    iapt_providers_t *providers = NULL;
    s_fixture_files(&geo, &providers);
    iapt_period_t oct;
    iapt_period_make(2025, 10, &oct);
    iapt_stats_t *st[IAPT_WF_BREAKDOWN_COUNT];
    for (int b = 0; b < IAPT_WF_BREAKDOWN_COUNT; b++)
        st[b] = iapt_stats_new(S, &oct, geo, b);
    s_submit(st, providers, "P1", 10, s_p1, 6, true);
    s_submit(st, providers, "P2", 10, s_p2, 2, false);

    /* Without the adult accumulator W040/W041 are empty everywhere. */
    iapt_stat_rows_t *rows = NULL;
    CHECK_EQ_INT(iapt_stats_rows(st[0], NULL, &rows), 0);
    VALUE("England", "all", "", "W040", "");
    VALUE("Provider", "P1", "", "W040", "");
    iapt_stat_rows_destroy(&rows);

    const iapt_measure_schema_t *as = iapt_collection_find("IAPT")->hub;
    iapt_stats_t *adult = iapt_stats_new(as, &oct, geo, 0);
    s_adult_cell(adult, "P1", "00L", 30, 5);
    s_adult_cell(adult, "P1", "07L", 10, 2); /* another commissioner: still P1's */
    s_adult_cell(adult, "P3", "07L", 100, 20);
    CHECK_EQ_INT(iapt_stats_add_join(st[0], "IAPT", adult), 0);
    CHECK_EQ_INT(iapt_stats_rows(st[0], NULL, &rows), 0);

    VALUE("England", "all", "", "W001", "8");
    VALUE("England", "all", "", "W002", "6.79");
    VALUE("England", "all", "", "W003", "7");
    VALUE("England", "all", "", "W004", "5.79");
    VALUE("England", "all", "", "W005", "3");
    VALUE("England", "all", "", "W006", "1");
    VALUE("England", "all", "", "W007", "1");
    VALUE("England", "all", "", "W008", "0");
    VALUE("England", "all", "", "W010", "1.50");
    VALUE("England", "all", "", "W011", "18.1"); /* 150 / 829 */
    VALUE("England", "all", "", "W020", "5");
    VALUE("England", "all", "", "W021", "1");
    VALUE("England", "all", "", "W022", "20.0");
    VALUE("England", "all", "", "W030", "1");
    VALUE("England", "all", "", "W031", "2.0");
    VALUE("England", "all", "", "W032", "0");
    VALUE("England", "all", "", "W033", "1");
    /* Joined: P1 only (P2 has no adult month, P3 no workforce month):
     * 40 / 3.79 = 10.55, 7 / 3.79 = 1.85. */
    VALUE("England", "all", "", "W040", "10.6");
    VALUE("England", "all", "", "W041", "1.8");

    VALUE("Region", "Y63", "", "W001", "5"); /* 6 rounded to 5 */
    VALUE("Region", "Y63", "", "W002", "4.8");
    VALUE("Region", "Y63", "", "W004", "3.8");
    VALUE("Region", "Y63", "", "W005", "*");
    VALUE("Region", "Y63", "", "W010", "*"); /* two vacant posts */
    VALUE("Region", "Y63", "", "W011", "*");
    VALUE("Region", "Y63", "", "W022", "*");
    VALUE("Region", "Y63", "", "W031", "*");
    VALUE("Region", "Y63", "", "W040", "10.6"); /* 40 and joined W003 5 */
    VALUE("Region", "Y63", "", "W041", "1.8");
    VALUE("ICB", "QHM", "", "W040", "10.6");
    VALUE("Provider", "P1", "", "W001", "5");
    VALUE("Provider", "P2", "", "W001", "*");
    VALUE("Provider", "P2", "", "W002", "*");
    VALUE("Provider", "P2", "", "W040", ""); /* no adult month: empty, not `*` */
    VALUE("Provider", "P2", "", "W041", "");
    CHECK(s_value(rows, "Region", "Y56", "", "W001") == NULL); /* P3: no workforce month */
    CHECK(s_value(rows, "Provider", "P3", "", "W001") == NULL);
    for (size_t i = 0; i < iapt_stat_rows_count(rows); i++)
        CHECK(iapt_stat_rows_get(rows, i)->group != IAPT_GROUP_SUBICB);
    /* 4 groups (England, Y63, QHM, P1) + P2: 5 x 19 rows. */
    CHECK_EQ_INT((int)iapt_stat_rows_count(rows), 5 * 19);
    iapt_stat_rows_destroy(&rows);

    /* Unsuppressed: every level like England. */
    iapt_stats_query_t q = {0};
    q.unsuppressed = true;
    CHECK_EQ_INT(iapt_stats_rows(st[0], &q, &rows), 0);
    VALUE("Provider", "P1", "", "W011", "23.8"); /* 150 / 629 */
    VALUE("Provider", "P1", "", "W022", "33.3");
    VALUE("Provider", "P2", "", "W002", "2.00");
    iapt_stat_rows_destroy(&rows);

    /* A joined provider under five clinical staff: `*` below England. */
    iapt_stats_t *small[IAPT_WF_BREAKDOWN_COUNT] = {iapt_stats_new(S, &oct, geo, 0)};
    s_submit(small, providers, "P1", 10, s_p1 + 3, 3, false); /* LIQ, SUP, HIT: 2 clinical */
    CHECK_EQ_INT(iapt_stats_add_join(small[0], "IAPT", adult), 0);
    CHECK_EQ_INT(iapt_stats_rows(small[0], NULL, &rows), 0);
    VALUE("England", "all", "", "W040", "26.8"); /* 40 / 1.49 */
    VALUE("Provider", "P1", "", "W040", "*");
    iapt_stat_rows_destroy(&rows);
    iapt_stats_destroy(&small[0]);

    /* Role breakdown: staff measures only, the staff's levels only. */
    CHECK_EQ_INT(iapt_stats_rows(st[1], NULL, &rows), 0);
    VALUE("England", "all", "LIT", "W001", "2");
    VALUE("England", "all", "LIT", "W002", "1.50");
    VALUE("England", "all", "LIQ", "W002", "1.49");
    VALUE("England", "all", "HIT", "W007", "1");
    VALUE("England", "all", "CNS", "W001", "1");
    VALUE("Provider", "P1", "LIT", "W001", "*");
    CHECK(s_value(rows, "England", "all", "LIT", "W010") == NULL);
    CHECK(s_value(rows, "England", "all", "LIT", "W040") == NULL);
    CHECK(s_value(rows, "England", "all", "ESA", "W001") == NULL);
    /* England: LIT LIQ HIQ HIT CNS SUP = 6 levels x 8 measures; Y63 and QHM:
     * P1's 5 roles; P1 the same; P2 LIQ CNS. */
    CHECK_EQ_INT((int)iapt_stat_rows_count(rows), (6 + 5 + 5 + 5 + 2) * 8);
    iapt_stat_rows_destroy(&rows);
    /* Vacancies stay out of every level. */
    const iapt_cell_t *liq = iapt_stats_cell(st[1], IAPT_GROUP_ENGLAND, NULL, IAPT_WF_ROLE_LIQ);
    CHECK(liq != NULL && iapt_cell_counter(liq, IAPT_WF_C_VACANCIES) == 0 &&
          iapt_cell_counter(liq, IAPT_WF_C_SUPERVISORS) == 0);
    CHECK_EQ_INT((int)iapt_cell_counter(iapt_stats_cell(st[0], IAPT_GROUP_ENGLAND, NULL, 0),
                                        IAPT_WF_C_VACANCIES),
                 2);

    CHECK_EQ_INT(iapt_stats_rows(st[2], NULL, &rows), 0);
    VALUE("England", "all", "4", "W001", "2");
    VALUE("England", "all", "Unknown", "W001", "1"); /* P2's CNS */
    iapt_stat_rows_destroy(&rows);
    CHECK_EQ_INT(iapt_stats_rows(st[3], NULL, &rows), 0);
    VALUE("England", "all", "CLP", "W001", "3");
    VALUE("England", "all", "Unknown", "W001", "2"); /* P1 2 and P2 CNS: none given */
    iapt_stat_rows_destroy(&rows);

    iapt_stats_destroy(&adult);
    for (int b = 0; b < IAPT_WF_BREAKDOWN_COUNT; b++)
        iapt_stats_destroy(&st[b]);
    iapt_providers_destroy(&providers);
    iapt_geography_destroy(&geo);
}

static const char *
s_view_value(const iapt_target_rows_t *t, const char *region, const char *measure, int field)
{
    for (size_t i = 0; i < iapt_target_rows_count(t); i++) {
        const iapt_target_row_t *r = iapt_target_rows_get(t, i);
        if (strcmp(r->region, region) == 0 && strcmp(r->measure, measure) == 0)
            return field == 0 ? r->value : field == 1 ? r->target : r->progress;
    }
    return "(no row)";
}

static void
test_programme_view(void)
{
    iapt_geography_t *geo = NULL;
    iapt_providers_t *providers = NULL;
    s_fixture_files(&geo, &providers);
    /* August: nothing; September: P1 (staff 4 trained on day 3); October:
     * P1 again and P2. */
    iapt_stats_t *m[3][IAPT_WF_BREAKDOWN_COUNT] = {{NULL}};
    for (int i = 0; i < 3; i++) {
        iapt_period_t p;
        iapt_period_make(2025, 8 + i, &p);
        m[i][0] = iapt_stats_new(S, &p, geo, 0);
    }
    s_submit(m[1], providers, "P1", 9, s_p1, 6, true);
    s_submit(m[2], providers, "P1", 10, s_p1, 6, true);
    s_submit(m[2], providers, "P2", 10, s_p2, 2, false);
    const iapt_stats_t *months[3] = {m[2][0], m[0][0], m[1][0]}; /* any order */
    iapt_period_t oct;
    iapt_period_make(2025, 10, &oct);
    iapt_view_input_t in = {.period = &oct, .months = months, .n_months = 3, .geography = geo};
    iapt_target_rows_t *t = NULL;
    CHECK_EQ_INT(S->view(&in, &t), 0);
    CHECK(t != NULL);
    /* Two months (from September) x (England, North East) x 4 lines. */
    CHECK_EQ_INT((int)iapt_target_rows_count(t), 16);
    CHECK_EQ_INT(iapt_target_rows_months(t), 2);
    CHECK_EQ_STR(iapt_target_rows_get(t, 0)->region, "England");
    CHECK_EQ_STR(iapt_target_rows_get(t, 0)->measure, "2025-09 trained in the month");
    CHECK_EQ_STR(s_view_value(t, "England", "2025-09 trained in the month", 0), "1");
    CHECK_EQ_STR(s_view_value(t, "England", "2025-10 trained since 2025-09", 0), "2");
    CHECK_EQ_STR(s_view_value(t, "England", "2025-10 trained since 2025-09", 1), "6000");
    CHECK_EQ_STR(s_view_value(t, "England", "2025-10 trained since 2025-09", 2), "0.0");
    CHECK_EQ_STR(s_view_value(t, "England", "2025-10 supervisors", 0), "1");
    CHECK_EQ_STR(s_view_value(t, "England", "2025-10 supervisors over five trainees", 0), "0");
    CHECK_EQ_STR(s_view_value(t, "North East", "2025-10 trained since 2025-09", 0), "*");
    CHECK_EQ_STR(s_view_value(t, "North East", "2025-10 trained since 2025-09", 1), "");
    CHECK_EQ_STR(s_view_value(t, "London", "2025-10 supervisors", 0), "(no row)");
    iapt_target_rows_destroy(&t);
    in.unsuppressed = true;
    CHECK_EQ_INT(S->view(&in, &t), 0);
    CHECK_EQ_STR(s_view_value(t, "North East", "2025-10 trained since 2025-09", 0), "2");
    iapt_target_rows_destroy(&t);
    /* A month given twice is refused. */
    const iapt_stats_t *twice[2] = {m[1][0], m[1][0]};
    in.months = twice;
    in.n_months = 2;
    CHECK_EQ_INT(S->view(&in, &t), IAPT_EUSAGE);
    CHECK(t == NULL);
    for (int i = 0; i < 3; i++)
        iapt_stats_destroy(&m[i][0]);
    iapt_providers_destroy(&providers);
    iapt_geography_destroy(&geo);
}

static void
test_bad_records(void)
{
    iapt_period_t oct;
    iapt_period_make(2025, 10, &oct);
    iapt_derive_context_t ctx = {.period = &oct, .provider = "P1"};
    iapt_agg_t *agg = iapt_agg_new(S);
    iapt_derivation_t *d = NULL;
    CHECK_EQ_INT(iapt_derivation_open(S, &ctx, "00L", agg, &d), 0);
    static const uint8_t junk[] = {0xff, 0xff, 0xff};
    CHECK_EQ_INT(iapt_derivation_record(d, junk, sizeof junk, 0), IAPT_EFORMAT);
    leaf_t l;
    spec_t bad = {1, "LIT", "4", NULL, 0, -300, -1, 0, 0}; /* WTE 0 */
    pack_staff(&bad, &l);
    CHECK_EQ_INT(iapt_derivation_record(d, l.bytes, l.len, 1), IAPT_EFORMAT);
    CHECK_EQ_STR(iapt_error_detail(), "wte_x100: not 1 to 100"); /* the engine names the record */
    iapt_derivation_destroy(&d);
    iapt_agg_destroy(&agg);
}

/* W040/W041 of a quarter, by hand (Q3 2025/26):
 *   October   P1's workforce month (W004 3.79, W003 5) and its adult month
 *             (30 + 10 appointments under two commissioners, 5 + 2 entering)
 *   November  P2's workforce month (W004 2.00, W003 2; no home: England and
 *             Provider only) and its adult month (20 appointments, 4 entering)
 *   December  P1's workforce month alone (no adult month: not joined)
 * England W040 = (40 + 20) / (3.79 + 2.00) = 10.36 -> 10.4 and W041 =
 * (7 + 4) / 5.79 = 1.90 -> 1.9 (December's WTE is not in them); Y63 and P1:
 * 40 / 3.79 = 10.55 -> 10.6; P2 `*` (joined clinical headcount 2). W004 is
 * a stock: December's 3.79. */
typedef struct {
    const iapt_providers_t *providers;
    const iapt_geography_t *geo;
} s_span_world_t;

static int
s_span_load(void *arg, const iapt_period_t *m, int breakdown, iapt_stats_t *st)
{
    s_span_world_t *w = arg;
    iapt_stats_t *sts[IAPT_WF_BREAKDOWN_COUNT] = {NULL};
    sts[breakdown] = st;
    if (m->month == 10 || m->month == 12)
        s_submit(sts, w->providers, "P1", m->month, s_p1, 6, false);
    else if (m->month == 11)
        s_submit(sts, w->providers, "P2", m->month, s_p2, 2, false);
    return 0;
}

static int
s_span_join(void *arg, const iapt_period_t *m, iapt_stats_t *st,
            iapt_stats_t *joins[IAPT_STATS_JOINS_MAX])
{
    s_span_world_t *w = arg;
    joins[0] = iapt_stats_new(iapt_collection_find("IAPT")->hub, m, w->geo, 0);
    if (m->month == 10) {
        s_adult_cell(joins[0], "P1", "00L", 30, 5);
        s_adult_cell(joins[0], "P1", "07L", 10, 2);
    } else if (m->month == 11)
        s_adult_cell(joins[0], "P2", "07L", 20, 4);
    return iapt_stats_add_join(st, "IAPT", joins[0]);
}

static void
test_span_join_by_hand(void)
{
    iapt_geography_t *geo = NULL;
    iapt_providers_t *providers = NULL;
    s_fixture_files(&geo, &providers);
    iapt_fspan_t q3;
    CHECK_EQ_INT(iapt_fspan_parse("2025/26-Q3", &q3), 0);
    s_span_world_t w = {providers, geo};
    iapt_stats_query_t q = {0};
    iapt_stat_rows_t *rows = NULL;
    CHECK_EQ_INT(iapt_span_rows(S, &q3, geo, 0, &q, s_span_load, s_span_join, &w, &rows), 0);
    VALUE("England", "all", "", "W040", "10.4");
    VALUE("England", "all", "", "W041", "1.9");
    VALUE("England", "all", "", "W004", "3.79"); /* December's */
    VALUE("Region", "Y63", "", "W040", "10.6");
    VALUE("Provider", "P1", "", "W040", "10.6");
    VALUE("Provider", "P2", "", "W040", "*");
    iapt_stat_rows_destroy(&rows);
    /* Without the join loader W040/W041 are empty. */
    CHECK_EQ_INT(iapt_span_rows(S, &q3, geo, 0, &q, s_span_load, NULL, &w, &rows), 0);
    VALUE("England", "all", "", "W040", "");
    iapt_stat_rows_destroy(&rows);
    iapt_providers_destroy(&providers);
    iapt_geography_destroy(&geo);
}

TEST_MAIN(test_shape, test_formats_agree, test_by_hand, test_programme_view, test_bad_records,
          test_span_join_by_hand)
