/* test_cyp_measures.c - the CYP counters of a hand-worked month, the exact
 * values of the catalogue's measures from them, the catalogue as docs/CYP.md
 * lists it, the CWP-team measures and the breakdown definitions. Records
 * and tool table: cyp_fixture.h. */

#include "common/collections/cyp/cyp_codes.h"
#include "common/collections/cyp/cyp_measures.h"
#include "tests/unit/cyp_fixture.h"

/* A cell as the tests keep it: counters and each distribution's sum. */
typedef struct {
    uint64_t c[IAPT_CYP_C_COUNT];
    int64_t sum[IAPT_CYP_D_COUNT];
    uint64_t n[IAPT_CYP_D_COUNT];
    bool has[IAPT_CYP_D_COUNT]; /* of the last referral added */
    int32_t value[IAPT_CYP_D_COUNT];
} t_cell_t;

static void
t_add(t_cell_t *cell, const iapt_cyp_derived_t *d)
{
    iapt_cyp_contribute(d, cell->c, cell->has, cell->value);
    for (int k = 0; k < IAPT_CYP_D_COUNT; k++)
        if (cell->has[k]) {
            cell->sum[k] += cell->value[k];
            cell->n[k]++;
        }
    /* The nesting holds in every cell. */
    const int *bound = iapt_cyp_counter_bounds();
    for (int i = 0; i < IAPT_CYP_C_COUNT; i++)
        if (bound[i] >= 0 && cell->c[i] > cell->c[bound[i]]) {
            fprintf(stderr, "    counter %s over its bound %s\n", iapt_cyp_counter_names()[i],
                    iapt_cyp_counter_names()[bound[i]]);
            CHECK(0);
        }
    for (int k = 0; k < IAPT_CYP_D_COUNT; k++)
        CHECK_EQ_INT(cell->n[k], cell->c[iapt_cyp_dist_totals()[k]]);
}

/* Counters of a small hand-worked month. */
static void
test_contribute(void)
{
    t_cell_t cell;
    memset(&cell, 0, sizeof cell);
    const uint64_t *c = cell.c;
    t_rec_t r;

    /* A: CWP, self-referral received day 0, seen day 10 (wait 10) and day
     * 12 face to face, closed day 20, GOAL 1.10 -> 3.55 (+2.45). */
    t_init(&r, 0);
    r.rec.referral_source = "01";
    r.rec.team_type = "CWP";
    t_contact(&r, 10, "5", "01");
    t_contact(&r, 12, "6", "02");
    t_contact(&r, 14, "3", NULL);
    t_close(&r, 20);
    t_score(&r, "GOAL", 110, 10, 1);
    t_score(&r, "GOAL", 355, 12, 1);
    iapt_cyp_derived_t d = t_derive(&r);
    t_add(&cell, &d);
    CHECK(cell.has[IAPT_CYP_D_WAIT]);
    CHECK_EQ_INT(cell.value[IAPT_CYP_D_WAIT], 10);
    CHECK(cell.has[IAPT_CYP_D_GOAL]);
    CHECK_EQ_INT(cell.value[IAPT_CYP_D_GOAL], 1470);

    /* B: open, referred day -200 (E - ref = 229), never seen; a DNA. */
    t_init(&r, -200);
    t_contact(&r, 5, "3", NULL);
    d = t_derive(&r);
    t_add(&cell, &d);
    CHECK(!cell.has[IAPT_CYP_D_WAIT]);
    CHECK(!cell.has[IAPT_CYP_D_GOAL]);

    /* C: CWP, school referral on day 1, seen day 30 - 1 = 29 (wait 28),
     * closed day 29 with goals 6 -> 3 (-3); one attended contact. */
    t_init(&r, 1);
    r.rec.referral_source = "04";
    r.rec.team_type = "CWP";
    t_contact(&r, 29, "5", "01");
    t_close(&r, 29);
    t_score(&r, "GOAL", 600, 1, 1);
    t_score(&r, "GOAL", 300, 29, 1);
    d = t_derive(&r);
    t_add(&cell, &d);
    CHECK_EQ_INT(cell.value[IAPT_CYP_D_WAIT], 28);
    CHECK_EQ_INT(cell.value[IAPT_CYP_D_GOAL], -1800);

    CHECK_EQ_INT(c[IAPT_CYP_C_REFERRALS], 3);
    CHECK_EQ_INT(c[IAPT_CYP_C_C001], 2);
    CHECK_EQ_INT(c[IAPT_CYP_C_C002], 1);
    CHECK_EQ_INT(c[IAPT_CYP_C_C003], 0);
    CHECK_EQ_INT(c[IAPT_CYP_C_C004], 1);
    CHECK_EQ_INT(c[IAPT_CYP_C_C010], 2);
    CHECK_EQ_INT(c[IAPT_CYP_C_C011], 1);
    CHECK_EQ_INT(c[IAPT_CYP_C_C012], 1);
    CHECK_EQ_INT(c[IAPT_CYP_C_C013], 1);
    CHECK_EQ_INT(c[IAPT_CYP_C_C014], 1);
    CHECK_EQ_INT(c[IAPT_CYP_C_C020], 3);
    CHECK_EQ_INT(c[IAPT_CYP_C_C021], 2);
    CHECK_EQ_INT(c[IAPT_CYP_C_C030], 2);
    CHECK_EQ_INT(c[IAPT_CYP_C_C031], 1);
    CHECK_EQ_INT(c[IAPT_CYP_C_C032], 1);
    CHECK_EQ_INT(c[IAPT_CYP_C_C040], 1);
    CHECK_EQ_INT(c[IAPT_CYP_C_C041], 1);
    CHECK_EQ_INT(c[IAPT_CYP_C_C043], 0);
    CHECK_EQ_INT(c[IAPT_CYP_C_C045], 0);
    CHECK_EQ_INT(c[IAPT_CYP_C_C046], 0);
    CHECK_EQ_INT(c[IAPT_CYP_C_C050], 2);
    CHECK_EQ_INT(cell.sum[IAPT_CYP_D_GOAL], 1470 - 1800);
    CHECK_EQ_INT(cell.n[IAPT_CYP_D_GOAL], c[IAPT_CYP_C_C050]);
    CHECK_EQ_INT(c[IAPT_CYP_C_C052], 1);
    CHECK_EQ_INT(cell.sum[IAPT_CYP_D_WAIT], 38);
    CHECK_EQ_INT(cell.n[IAPT_CYP_D_WAIT], c[IAPT_CYP_C_C010]);
    CHECK_EQ_INT(c[IAPT_CYP_C_C022_DEN], 5);
    CHECK_EQ_INT(c[IAPT_CYP_C_C062], 2);
    CHECK_EQ_INT(c[IAPT_CYP_C_CWP_REFERRALS], 2);
    CHECK_EQ_INT(c[IAPT_CYP_C_CWP_C010], 2);
    CHECK_EQ_INT(c[IAPT_CYP_C_CWP_C011], 1);
    CHECK_EQ_INT(c[IAPT_CYP_C_CWP_C040], 1);
    CHECK_EQ_INT(c[IAPT_CYP_C_CWP_C041], 1);

    /* Values: C022 = 2 / (3 + 2); C051 = -330/600 / 2 = -0.275 point;
     * C060 = 38 / 2 = 19 days; C063 = 2 / 2. */
    int64_t num, den;
    CHECK_EQ_INT(iapt_cyp_measure_value(iapt_cyp_measure_find("C022"), c, cell.sum, &num, &den), 0);
    CHECK(num == 2 && den == 5);
    CHECK_EQ_INT(iapt_cyp_measure_value(iapt_cyp_measure_find("C051"), c, cell.sum, &num, &den), 0);
    CHECK(num == -330 && den == 1200);
    CHECK_EQ_INT(iapt_cyp_measure_value(iapt_cyp_measure_find("C060"), c, cell.sum, &num, &den), 0);
    CHECK(num == 38 && den == 2);
    CHECK_EQ_INT(iapt_cyp_measure_value(iapt_cyp_measure_find("C063"), c, cell.sum, &num, &den), 0);
    CHECK(num == 2 && den == 2);
    CHECK_EQ_INT(iapt_cyp_measure_value(iapt_cyp_measure_find("C014"), c, cell.sum, &num, &den), 0);
    CHECK(num == 1 && den == 1);
    CHECK_EQ_INT(iapt_cyp_measure_value(iapt_cyp_measure_find("C047"), c, cell.sum, &num, &den), 0);
    CHECK(num == 0 && den == 0); /* nothing to divide by: empty */
    CHECK_EQ_INT(iapt_cyp_measure_value(iapt_cyp_measure_find("C061"), c, cell.sum, &num, &den),
                 IAPT_EUSAGE);
    size_t ncwp;
    const iapt_cyp_measure_t *cwp = iapt_cyp_cwp_measures(&ncwp);
    CHECK_EQ_INT(ncwp, 3);
    CHECK_EQ_INT(iapt_cyp_measure_value(&cwp[2], c, cell.sum, &num, &den), 0);
    CHECK(num == 1 && den == 1);
}

/* The catalogue is docs/CYP.md's table, in its order. */
static void
test_catalogue(void)
{
    static const char *const ids[] = {
        "C001", "C002", "C003", "C004", "C010", "C011", "C012", "C013", "C014", "C020", "C021",
        "C022", "C030", "C031", "C032", "C033", "C040", "C041", "C042", "C043", "C044", "C045",
        "C046", "C047", "C050", "C051", "C052", "C053", "C060", "C061", "C062", "C063"};
    size_t n;
    const iapt_cyp_measure_t *m = iapt_cyp_measures(&n);
    CHECK_EQ_INT(n, sizeof ids / sizeof *ids);
    for (size_t i = 0; i < n && i < sizeof ids / sizeof *ids; i++) {
        CHECK_EQ_STR(m[i].id, ids[i]);
        CHECK(m[i].name && *m[i].name && m[i].note && *m[i].note);
        /* The name says the kind. */
        const char *prefix = m[i].kind == IAPT_CYP_MEASURE_COUNT     ? "Count_"
                             : m[i].kind == IAPT_CYP_MEASURE_PERCENT ? "Percentage_"
                             : m[i].kind == IAPT_CYP_MEASURE_MEDIAN  ? "Median_"
                                                                     : "Mean_";
        CHECK(strncmp(m[i].name, prefix, strlen(prefix)) == 0);
    }
    CHECK_EQ_STR(iapt_cyp_measure_find("C001")->name, "Count_ReferralsReceived");
    CHECK_EQ_STR(iapt_cyp_measure_find("C051")->name, "Mean_GoalMovement");
    CHECK_EQ_INT(iapt_cyp_measure_find("C051")->kind, IAPT_CYP_MEASURE_MEAN_SIGNED);
    CHECK_EQ_INT(iapt_cyp_measure_find("C051")->dist, IAPT_CYP_D_GOAL);
    CHECK_EQ_INT(iapt_cyp_measure_find("C051")->scale, 600);
    CHECK_EQ_INT(iapt_cyp_measure_find("C060")->kind, IAPT_CYP_MEASURE_MEAN);
    CHECK_EQ_INT(iapt_cyp_measure_find("C061")->dist, IAPT_CYP_D_WAIT);
    CHECK_EQ_INT(iapt_cyp_measure_find("C022")->den, IAPT_CYP_C_C022_DEN);
    /* Every entry points at counters and distributions that exist, and a
     * mean or median counts what its distribution totals. */
    const int *totals = iapt_cyp_dist_totals();
    for (size_t i = 0; i < n; i++) {
        CHECK(m[i].num >= -1 && m[i].num < IAPT_CYP_C_COUNT);
        CHECK(m[i].den >= -1 && m[i].den < IAPT_CYP_C_COUNT);
        CHECK(m[i].scale >= 1);
        if (m[i].kind == IAPT_CYP_MEASURE_COUNT || m[i].kind == IAPT_CYP_MEASURE_PERCENT)
            CHECK(m[i].num >= 0 && m[i].dist == -1);
        if (m[i].kind == IAPT_CYP_MEASURE_PERCENT)
            CHECK(m[i].den >= 0);
        if (m[i].dist >= 0)
            CHECK(m[i].dist < IAPT_CYP_D_COUNT && totals[m[i].dist] == m[i].den);
    }
    CHECK(iapt_cyp_measure_find("C099") == NULL);
    CHECK(iapt_cyp_measure_find(NULL) == NULL);
}

static void
test_breakdowns(void)
{
    static const char *const keys[] = {"none", "age",    "gender", "ethnicity", "imd",
                                       "team", "reason", "source", "sector"};
    static const size_t levels[] = {1, 7, 7, 8, 11, 5, 8, 10, 5};
    for (int b = 0; b < IAPT_CYP_BD_COUNT; b++) {
        const iapt_cyp_breakdown_def_t *def = iapt_cyp_breakdown_def(b);
        CHECK_EQ_STR(def->key, keys[b]);
        CHECK_EQ_INT(def->n_levels, levels[b]);
        CHECK(def->n_levels <= IAPT_CYP_BD_LEVELS_MAX);
        CHECK_EQ_INT(iapt_cyp_breakdown_find(keys[b]), b);
        if (b > 0)
            CHECK_EQ_STR(def->levels[def->n_levels - 1], "Unknown");
    }
    /* A coded field's breakdown has a level per code and Unknown. */
    static const struct {
        int breakdown, codes;
    } coded[] = {{IAPT_CYP_BD_GENDER, IAPT_CYP_CODES_GENDER},
                 {IAPT_CYP_BD_TEAM, IAPT_CYP_CODES_TEAM},
                 {IAPT_CYP_BD_REASON, IAPT_CYP_CODES_REASON},
                 {IAPT_CYP_BD_SOURCE, IAPT_CYP_CODES_SOURCE},
                 {IAPT_CYP_BD_SECTOR, IAPT_CYP_CODES_SECTOR}};
    for (size_t i = 0; i < sizeof coded / sizeof *coded; i++)
        CHECK_EQ_INT(iapt_cyp_breakdown_def(coded[i].breakdown)->n_levels,
                     iapt_cyp_codes(coded[i].codes)->n + 1);
    CHECK(iapt_cyp_breakdown_def(IAPT_CYP_BD_COUNT) == NULL);
    CHECK(iapt_cyp_breakdown_def(-1) == NULL);
    CHECK_EQ_INT(iapt_cyp_breakdown_find("therapy"), -1);
}

/* Outcome percentages of five closed referrals, each with two attended
 * contacts (one face to face):
 *   R1 LOW 30 -> 10   at caseness, improved, ends below: MI, recovered
 *   R2 LOW 25 -> 31   at caseness, deteriorated (6 >= 5.5)
 *   R3 LOW 25 -> 24   at caseness, no reliable change, still a case
 *   R4 LOW 15 -> 14   paired, not at caseness: C032 but not outcome-eligible
 *   R5 no scores      C031 only
 * C030 = C031 = 5, C032 = 4, C040 = 3, C041 = 1, C043 = 1, C045 = 1,
 * C046 = 3; C033 = 4/5, C042 = C044 = C047 = 1/3. */
static void
test_outcome_percentages(void)
{
    static const int32_t pairs[4][2] = {{3000, 1000}, {2500, 3100}, {2500, 2400}, {1500, 1400}};
    t_cell_t cell;
    memset(&cell, 0, sizeof cell);
    const uint64_t *c = cell.c;
    t_rec_t r;
    for (int i = 0; i < 5; i++) {
        t_treated(&r);
        if (i < 4) {
            t_score(&r, "LOW", pairs[i][0], 2, 0);
            t_score(&r, "LOW", pairs[i][1], 9, 0);
        }
        iapt_cyp_derived_t d = t_derive(&r);
        t_add(&cell, &d);
    }
    CHECK_EQ_INT(c[IAPT_CYP_C_C030], 5);
    CHECK_EQ_INT(c[IAPT_CYP_C_C031], 5);
    CHECK_EQ_INT(c[IAPT_CYP_C_C032], 4);
    CHECK_EQ_INT(c[IAPT_CYP_C_C040], 3);
    CHECK_EQ_INT(c[IAPT_CYP_C_C041], 1);
    CHECK_EQ_INT(c[IAPT_CYP_C_C043], 1);
    CHECK_EQ_INT(c[IAPT_CYP_C_C045], 1);
    CHECK_EQ_INT(c[IAPT_CYP_C_C046], 3);
    CHECK_EQ_INT(c[IAPT_CYP_C_C050], 0);
    static const struct {
        const char *id;
        int64_t num, den;
    } want[] = {{"C030", 5, 1}, {"C033", 4, 5}, {"C042", 1, 3}, {"C044", 1, 3},
                {"C047", 1, 3}, {"C051", 0, 0}, {"C053", 0, 0}, {"C012", 0, 1}};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        int64_t num = -1, den = -1;
        CHECK_EQ_INT(
            iapt_cyp_measure_value(iapt_cyp_measure_find(want[i].id), c, cell.sum, &num, &den), 0);
        if (num != want[i].num || den != want[i].den) {
            fprintf(stderr, "    %s: %lld/%lld, want %lld/%lld\n", want[i].id, (long long)num,
                    (long long)den, (long long)want[i].num, (long long)want[i].den);
            CHECK(0);
        }
    }
}

/* The code lists are docs/CYP.md's. */
static void
test_code_lists(void)
{
    static const char *const want[IAPT_CYP_CODES_COUNT] = {"NHS LA VCS YJ",
                                                           "1 2 3 4 X Z",
                                                           "A B C D E F G H J K L M N P R S Z 99",
                                                           "01 02 03 04 05 06 07 08 99",
                                                           "CWP MHST CAMHS OTH",
                                                           "01 02 03 04 05 06 99",
                                                           "2 3 4 5 6 7",
                                                           "01 02 11 98"};
    for (int w = 0; w < IAPT_CYP_CODES_COUNT; w++) {
        const iapt_cyp_code_list_t *l = iapt_cyp_codes(w);
        char joined[256] = "";
        for (size_t i = 0; i < l->n; i++) {
            strcat(joined, i ? " " : "");
            strcat(joined, l->codes[i]);
            CHECK_EQ_INT(iapt_cyp_code_index(w, l->codes[i]), (int)i);
        }
        CHECK_EQ_STR(joined, want[w]);
        CHECK(l->codes[l->n] == NULL);
        CHECK_EQ_INT(iapt_cyp_code_index(w, "?"), -1);
        CHECK_EQ_INT(iapt_cyp_code_index(w, NULL), -1);
    }
    CHECK_EQ_INT(iapt_cyp_code_index(IAPT_CYP_CODES_TEAM, "cwp"), -1);
    CHECK(iapt_cyp_codes(IAPT_CYP_CODES_COUNT) == NULL);
    CHECK(iapt_cyp_codes(-1) == NULL);
    CHECK_EQ_STR(iapt_cyp_codes(IAPT_CYP_CODES_MECHANISM)->field, "ConsMechanism");
    CHECK_EQ_STR(iapt_cyp_codes(IAPT_CYP_CODES_MECHANISM)->table, "CYP201CareContact");
}

/* Counter names are unique, bounds name counters, never themselves. */
static void
test_counter_tables(void)
{
    const char *const *names = iapt_cyp_counter_names();
    const int *bound = iapt_cyp_counter_bounds();
    for (int i = 0; i < IAPT_CYP_C_COUNT; i++) {
        CHECK(names[i] && *names[i]);
        for (int j = 0; j < i; j++)
            CHECK(strcmp(names[i], names[j]) != 0);
        CHECK(bound[i] >= -1 && bound[i] < IAPT_CYP_C_COUNT && bound[i] != i);
    }
    CHECK_EQ_STR(names[IAPT_CYP_C_REFERRALS], "referrals");
    CHECK_EQ_STR(names[IAPT_CYP_C_C020], "C020");
    CHECK_EQ_STR(names[IAPT_CYP_C_C022_DEN], "C022_den");
    CHECK_EQ_INT(bound[IAPT_CYP_C_C014], IAPT_CYP_C_C013);
    CHECK_EQ_INT(bound[IAPT_CYP_C_REFERRALS], -1);
    CHECK_EQ_INT(iapt_cyp_dist_totals()[IAPT_CYP_D_WAIT], IAPT_CYP_C_C010);
    CHECK_EQ_INT(iapt_cyp_dist_totals()[IAPT_CYP_D_GOAL], IAPT_CYP_C_C050);
}

TEST_MAIN(test_contribute, test_outcome_percentages, test_catalogue, test_breakdowns,
          test_code_lists, test_counter_tables)
