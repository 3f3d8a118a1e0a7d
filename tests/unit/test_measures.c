/* Unit tests of common/measures (catalogue, breakdowns, formatting) and
 * common/derive (one record -> its derived fields and flags).
 * The period is September 2025: day 0 .. E = 29. Every expected value is
 * worked out by hand in the comment beside it. */
#include "common/err.h"
#include "common/measures.h"
#include "common/collections/adult/adult_measures.h"
#include "common/util.h"
#include "tests/test.h"
#include "tests/unit/records_fixture.h"

static iapt_period_t t_period;
static iapt_tools_t t_tools;

static void
s_setup(void)
{
    t_period = t_september();
    t_tools = t_default_tools();
}

static int
s_derive(t_rec_t *r, iapt_adult_derived_t *d)
{
    s_setup();
    return iapt_adult_derive(&r->rec, &t_period, &t_tools, d);
}

/* Exact text of measure `id` over the given derived referrals. */
static const char *
s_value(const iapt_adult_derived_t *d, size_t n, const char *id, bool exact)
{
    static char text[IAPT_MEASURE_TEXT_MAX];
    iapt_cell_t *cell = iapt_cell_new(&iapt_adult_measure_schema);
    for (size_t i = 0; i < n; i++)
        CHECK_EQ_INT(iapt_adult_cell_add(cell, &d[i]), 0);
    iapt_measure_value_t v;
    CHECK_EQ_INT(iapt_cell_measure(cell, iapt_measure_find(id), &v), 0);
    iapt_measure_format(&v, exact, text);
    iapt_cell_destroy(&cell);
    return text;
}

#define EXACT(d, n, id) s_value(d, n, id, true)

/* ---------------------------------------------------------------------------
 * Catalogue
 * ------------------------------------------------------------------------ */

static void
test_catalogue_matches_official_tsv(void)
{
    static const char *const order[] = {
        "M001", "M002",  "M003", "M023", "M031", "M036", "M037", "M038", "M044", "M056",
        "M057", "M058",  "M059", "M060", "M061", "M062", "M063", "M066", "M069", "M070",
        "M073", "M074",  "M075", "M076", "M082", "M083", "M084", "M085", "M086", "M087",
        "M088", "M110",  "M104", "M179", "M184", "M185", "M187", "M189", "M191", "M193",
        "M201", "M198",  "M237", "M048", "M049", "M053", "M055", "M141", "M142", "M180",
        "M186", "M1010", "M192", "M195", "M206", "M207", "M208", "M209", "M210"};
    size_t n;
    const iapt_measure_def_t *defs = iapt_measure_defs(&n);
    CHECK_EQ_INT(n, sizeof order / sizeof *order);
    for (size_t i = 0; i < n && i < sizeof order / sizeof *order; i++) {
        CHECK_EQ_STR(defs[i].id, order[i]);
        CHECK_EQ_INT(iapt_measure_find(order[i]), i);
    }
    CHECK_EQ_INT(iapt_measure_find("M999"), -1);
    CHECK_EQ_INT(iapt_measure_find(NULL), -1);

    char path[4096];
    const char *root = getenv("IAPT_ROOT");
    snprintf(path, sizeof path, "%s/data/talking-therapies-monthly-measures.tsv",
             root && *root ? root : ".");
    uint8_t *data;
    size_t len;
    int rc = iapt_file_read(path, 16 << 20, &data, &len);
    CHECK_EQ_INT(rc, 0);
    if (rc < 0) {
        fprintf(stderr, "cannot read the official measure metadata %s: %s\n", path,
                iapt_error_detail());
        return;
    }
    size_t found = 0;
    char *save = NULL;
    for (char *line = strtok_r((char *)data, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        char *tab1 = strchr(line, '\t');
        if (!tab1)
            continue;
        *tab1 = 0;
        int m = iapt_measure_find(line);
        if (m < 0)
            continue;
        /* measure_id, measure_type, frequency, measure_name, ... */
        char *name = tab1 + 1;
        for (int k = 0; k < 2 && name; k++)
            name = strchr(name, '\t') ? strchr(name, '\t') + 1 : NULL;
        CHECK(name != NULL);
        if (!name)
            continue;
        char *end = strchr(name, '\t');
        if (end)
            *end = 0;
        CHECK_EQ_STR(defs[m].name, name);
        found++;
    }
    CHECK_EQ_INT(found, n); /* every catalogue id is in the official file once */
    free(data);
}

static void
test_catalogue_kinds(void)
{
    size_t n;
    const iapt_measure_def_t *defs = iapt_measure_defs(&n);
    /* Names say their kind: Count_, Percentage_, Mean_, Median_. */
    for (size_t i = 0; i < n; i++) {
        const char *prefix = defs[i].kind == IAPT_MEASURE_COUNT     ? "Count_"
                             : defs[i].kind == IAPT_MEASURE_PERCENT ? "Percentage_"
                             : defs[i].kind == IAPT_MEASURE_MEAN    ? "Mean_"
                                                                    : "Median_";
        CHECK(strncmp(defs[i].name, prefix, strlen(prefix)) == 0);
    }
}

static void
test_breakdown_defs(void)
{
    static const struct {
        const char *key, *title;
        size_t n_levels;
        const char *first, *last;
    } want[IAPT_BREAKDOWN_COUNT] = {
        {"none", "", 1, "", ""},
        {"age", "Age band at referral", 9, "Under 18", "Unknown"},
        {"gender", "Gender identity", 7, "Male", "Unknown"},
        {"ethnicity", "Ethnic group", 8, "White", "Unknown"},
        {"imd", "IMD decile", 11, "1", "Unknown"},
        {"problem", "Primary problem descriptor", 13, "Depression", "Unknown"},
        {"therapy", "Main therapy type", 19, "Guided self-help (book)", "None"},
        {"source", "Referral source", 42, "A1", "Unknown"},
        {"ltc", "Long-term condition", 2, "Yes", "No"},
    };
    for (int b = 0; b < IAPT_BREAKDOWN_COUNT; b++) {
        const iapt_breakdown_def_t *d = iapt_breakdown_def(b);
        CHECK_EQ_STR(d->key, want[b].key);
        CHECK_EQ_STR(d->title, want[b].title);
        CHECK_EQ_INT(d->n_levels, want[b].n_levels);
        CHECK_EQ_STR(d->levels[0], want[b].first);
        CHECK_EQ_STR(d->levels[d->n_levels - 1], want[b].last);
        CHECK_EQ_INT(iapt_breakdown_find(want[b].key), b);
    }
    CHECK(iapt_breakdown_def(-1) == NULL);
    CHECK(iapt_breakdown_def(IAPT_BREAKDOWN_COUNT) == NULL);
    CHECK_EQ_INT(iapt_breakdown_find("colour"), -1);
    /* Spot checks of level order. */
    CHECK_EQ_STR(iapt_breakdown_def(IAPT_BREAKDOWN_AGE)->levels[7], "75+");
    CHECK_EQ_STR(iapt_breakdown_def(IAPT_BREAKDOWN_ETHNICITY)->levels[1], "Mixed");
    CHECK_EQ_STR(iapt_breakdown_def(IAPT_BREAKDOWN_ETHNICITY)->levels[6], "Not known");
    CHECK_EQ_STR(iapt_breakdown_def(IAPT_BREAKDOWN_PROBLEM)->levels[8],
                 "Post-traumatic stress disorder");
    CHECK_EQ_STR(iapt_breakdown_def(IAPT_BREAKDOWN_THERAPY)->levels[15],
                 "Cognitive behaviour therapy");
    CHECK_EQ_STR(iapt_breakdown_def(IAPT_BREAKDOWN_SOURCE)->levels[38], "N4");
}

/* ---------------------------------------------------------------------------
 * Formatting and disclosure control
 * ------------------------------------------------------------------------ */

static const char *
s_fmt(enum iapt_measure_kind kind, int64_t num, int64_t den, bool exact)
{
    static char out[IAPT_MEASURE_TEXT_MAX];
    iapt_measure_value_t v = {kind, num, den, 0, -1, 0, false, false};
    iapt_measure_format(&v, exact, out);
    return out;
}

static void
test_format_counts(void)
{
    /* Below England: under 5 (zero included) is *, else round(count/5)*5
     * half up: 5 -> 5, 7 -> 1.4*5 -> 5, 8 -> 1.6 -> 10, 12 -> 2.4 -> 10,
     * 13 -> 2.6 -> 15, 12.5 is never a count; 17.5 is: 17 -> 3.4 -> 15,
     * 18 -> 3.6 -> 20. */
    CHECK_EQ_STR(s_fmt(IAPT_MEASURE_COUNT, 0, 1, false), "*");
    CHECK_EQ_STR(s_fmt(IAPT_MEASURE_COUNT, 4, 1, false), "*");
    CHECK_EQ_STR(s_fmt(IAPT_MEASURE_COUNT, 5, 1, false), "5");
    CHECK_EQ_STR(s_fmt(IAPT_MEASURE_COUNT, 7, 1, false), "5");
    CHECK_EQ_STR(s_fmt(IAPT_MEASURE_COUNT, 8, 1, false), "10");
    CHECK_EQ_STR(s_fmt(IAPT_MEASURE_COUNT, 12, 1, false), "10");
    CHECK_EQ_STR(s_fmt(IAPT_MEASURE_COUNT, 13, 1, false), "15");
    CHECK_EQ_STR(s_fmt(IAPT_MEASURE_COUNT, 154572, 1, false), "154570");
    /* England / unsuppressed: as is, zero included. */
    CHECK_EQ_STR(s_fmt(IAPT_MEASURE_COUNT, 0, 1, true), "0");
    CHECK_EQ_STR(s_fmt(IAPT_MEASURE_COUNT, 4, 1, true), "4");
    CHECK_EQ_STR(s_fmt(IAPT_MEASURE_COUNT, 154572, 1, true), "154572");
}

static void
test_format_percentages(void)
{
    /* England: one decimal, half up: 2/3 = 66.666 -> 66.7; 1/16 = 6.25
     * -> 6.3; 1/8 = 12.5 -> 12.5; 0/7 -> 0.0; 1/1 -> 100.0. */
    CHECK_EQ_STR(s_fmt(IAPT_MEASURE_PERCENT, 2, 3, true), "66.7");
    CHECK_EQ_STR(s_fmt(IAPT_MEASURE_PERCENT, 1, 16, true), "6.3");
    CHECK_EQ_STR(s_fmt(IAPT_MEASURE_PERCENT, 1, 8, true), "12.5");
    CHECK_EQ_STR(s_fmt(IAPT_MEASURE_PERCENT, 0, 7, true), "0.0");
    CHECK_EQ_STR(s_fmt(IAPT_MEASURE_PERCENT, 1, 1, true), "100.0");
    /* Empty denominator: empty at England; below England 0 < 5 gives *. */
    CHECK_EQ_STR(s_fmt(IAPT_MEASURE_PERCENT, 0, 0, true), "");
    CHECK_EQ_STR(s_fmt(IAPT_MEASURE_PERCENT, 0, 0, false), "*");
    /* Below England: * when numerator or denominator under 5. */
    CHECK_EQ_STR(s_fmt(IAPT_MEASURE_PERCENT, 4, 100, false), "*"); /* numerator 4 */
    CHECK_EQ_STR(s_fmt(IAPT_MEASURE_PERCENT, 0, 100, false), "*"); /* numerator 0 */
    CHECK_EQ_STR(s_fmt(IAPT_MEASURE_PERCENT, 5, 4, false), "*");   /* denominator 4 */
    /* Otherwise whole numbers, half up: 10/15 = 66.67 -> 67; 5/40 = 12.5
     * -> 13; 5/5 -> 100; 5/11 = 45.45 -> 45. */
    CHECK_EQ_STR(s_fmt(IAPT_MEASURE_PERCENT, 10, 15, false), "67");
    CHECK_EQ_STR(s_fmt(IAPT_MEASURE_PERCENT, 5, 40, false), "13");
    CHECK_EQ_STR(s_fmt(IAPT_MEASURE_PERCENT, 5, 5, false), "100");
    CHECK_EQ_STR(s_fmt(IAPT_MEASURE_PERCENT, 5, 11, false), "45");
    /* A negative denominator (an inconsistent cell) is "nothing to divide by". */
    CHECK_EQ_STR(s_fmt(IAPT_MEASURE_PERCENT, 0, -1, true), "");
}

static void
test_format_means_and_medians(void)
{
    /* Mean = sum / count, one decimal, half up towards +infinity:
     * 19/4 = 4.75 -> 4.8; -1/4 = -0.25 -> -2.5 tenths -> -2 -> -0.2;
     * -3/20 = -0.15 -> -1.5 tenths -> -1 -> -0.1; -1/20 = -0.05 -> -0.5
     * tenths -> 0 -> 0.0 (never -0.0); 5/20 = 0.25 -> 2.5 tenths -> 3 -> 0.3;
     * -7/2 = -3.5 -> -35 tenths -> -3.5. */
    CHECK_EQ_STR(s_fmt(IAPT_MEASURE_MEAN, 19, 4, true), "4.8");
    CHECK_EQ_STR(s_fmt(IAPT_MEASURE_MEAN, -1, 4, true), "-0.2");
    CHECK_EQ_STR(s_fmt(IAPT_MEASURE_MEAN, -3, 20, true), "-0.1");
    CHECK_EQ_STR(s_fmt(IAPT_MEASURE_MEAN, -1, 20, true), "0.0");
    CHECK_EQ_STR(s_fmt(IAPT_MEASURE_MEAN, 5, 20, true), "0.3");
    CHECK_EQ_STR(s_fmt(IAPT_MEASURE_MEAN, -7, 2, true), "-3.5");
    CHECK_EQ_STR(s_fmt(IAPT_MEASURE_MEAN, 0, 0, true), "");
    /* Below England: * when the count or the sum is under 5. */
    CHECK_EQ_STR(s_fmt(IAPT_MEASURE_MEAN, 100, 4, false), "*");
    CHECK_EQ_STR(s_fmt(IAPT_MEASURE_MEAN, 4, 10, false), "*");
    CHECK_EQ_STR(s_fmt(IAPT_MEASURE_MEAN, -30, 10, false), "*");
    CHECK_EQ_STR(s_fmt(IAPT_MEASURE_MEAN, 0, 0, false), "*");
    CHECK_EQ_STR(s_fmt(IAPT_MEASURE_MEAN, 50, 10, false), "5.0");
    CHECK_EQ_STR(s_fmt(IAPT_MEASURE_MEAN, 51, 10, false), "5.1");
    /* Median: num is twice the median: 7 -> 3.5, 6 -> 3.0, -1 -> -0.5. */
    CHECK_EQ_STR(s_fmt(IAPT_MEASURE_MEDIAN, 7, 4, true), "3.5");
    CHECK_EQ_STR(s_fmt(IAPT_MEASURE_MEDIAN, 6, 3, true), "3.0");
    CHECK_EQ_STR(s_fmt(IAPT_MEASURE_MEDIAN, -1, 2, true), "-0.5");
    CHECK_EQ_STR(s_fmt(IAPT_MEASURE_MEDIAN, 0, 0, true), "");
    CHECK_EQ_STR(s_fmt(IAPT_MEASURE_MEDIAN, 7, 4, false), "*");
    CHECK_EQ_STR(s_fmt(IAPT_MEASURE_MEDIAN, 7, 5, false), "3.5");
    CHECK_EQ_STR(s_fmt(IAPT_MEASURE_MEDIAN, 0, 5, false), "0.0");
}

/* ---------------------------------------------------------------------------
 * Derivation: outcomes
 * ------------------------------------------------------------------------ */

/* A finisher: referral day -60, treatments (02, attended) on the given
 * days, discharge day 5 with EndCode 46, first scores on day -50 (IDS606)
 * and last scores on day -20 (IDS607); a value < 0 means no score. */
static t_rec_t *
s_finisher(int phq_first, int phq_last, int gad_first, int gad_last)
{
    t_rec_t *r = t_rec_new(-60);
    t_appt(r, -55, "01", "5");
    t_appt(r, -40, "02", "5");
    t_appt(r, -30, "02", "6");
    t_appt(r, -20, "02", "5");
    t_appt(r, -10, "02", "3"); /* did not attend: not a treatment */
    if (phq_first >= 0)
        t_score(r, T_PHQ, phq_first * 100, -50, 606);
    if (gad_first >= 0)
        t_score(r, T_GAD, gad_first * 100, -50, 606);
    if (phq_last >= 0)
        t_score(r, T_PHQ, phq_last * 100, -20, 607);
    if (gad_last >= 0)
        t_score(r, T_GAD, gad_last * 100, -20, 607);
    t_discharge(r, 5, "46");
    return r;
}

static void
test_recovered(void)
{
    /* PHQ-9 15 -> 5 (down 10 >= 6: improved), GAD-7 12 -> 4 (down 8 >= 4).
     * At caseness (15 >= 10); both last below cut-off (5 < 10, 4 < 8):
     * recovered, reliably improved, reliably recovered. */
    t_rec_t *r = s_finisher(15, 5, 12, 4);
    iapt_adult_derived_t d;
    CHECK_EQ_INT(s_derive(r, &d), 0);
    CHECK_EQ_INT(d.care_contact_count, 5); /* assessment + 4 */
    CHECK_EQ_INT(d.treatment_count, 3);    /* the DNA is not one */
    CHECK_EQ_INT(d.assessment_first_day, -55);
    CHECK_EQ_INT(d.therapy_first_day, -40);
    CHECK_EQ_INT(d.therapy_second_day, -30);
    CHECK_EQ_INT(d.therapy_last_day, -20);
    CHECK(d.has_wait);
    CHECK_EQ_INT(d.wait, 20); /* -40 - -60 */
    CHECK(d.discharged && d.discharged_in_period && d.finished);
    CHECK_EQ_INT(d.end_code, 46);
    CHECK_EQ_INT(d.phq.count, 2);
    CHECK_EQ_INT(d.phq.first_x100, 1500);
    CHECK_EQ_INT(d.phq.last_x100, 500);
    CHECK_EQ_INT(d.anxiety.tool, t_tools.anxiety);
    CHECK(!d.adsm_used);
    CHECK(d.phq.improved && d.anxiety.improved);
    CHECK(d.at_caseness && !d.not_caseness);
    CHECK(d.reliable_improvement && !d.reliable_deterioration && !d.no_change);
    CHECK(d.recovery && d.reliable_recovery);
    CHECK(d.paired_phq && d.paired_anxiety);
    CHECK(!d.referred_in_period); /* referred day -60 */
    /* Cell: M056 = M066 = M076 = M185 = M191 = M193 = M201 = M198 = 1;
     * M192 = 1 / (1 - 0) = 100.0; M141 = 3 / 1 = 3.0; M053 = 1/1 (wait
     * 20 <= 42) = 100.0; M031 = 0 (first treatment before the period). */
    CHECK_EQ_STR(EXACT(&d, 1, "M056"), "1");
    CHECK_EQ_STR(EXACT(&d, 1, "M066"), "1");
    CHECK_EQ_STR(EXACT(&d, 1, "M076"), "1");
    CHECK_EQ_STR(EXACT(&d, 1, "M185"), "1");
    CHECK_EQ_STR(EXACT(&d, 1, "M191"), "1");
    CHECK_EQ_STR(EXACT(&d, 1, "M193"), "1");
    CHECK_EQ_STR(EXACT(&d, 1, "M201"), "1");
    CHECK_EQ_STR(EXACT(&d, 1, "M198"), "1");
    CHECK_EQ_STR(EXACT(&d, 1, "M179"), "0");
    CHECK_EQ_STR(EXACT(&d, 1, "M192"), "100.0");
    CHECK_EQ_STR(EXACT(&d, 1, "M195"), "100.0");
    CHECK_EQ_STR(EXACT(&d, 1, "M141"), "3.0");
    CHECK_EQ_STR(EXACT(&d, 1, "M142"), "3.0");
    CHECK_EQ_STR(EXACT(&d, 1, "M053"), "100.0");
    CHECK_EQ_STR(EXACT(&d, 1, "M031"), "0");
    CHECK_EQ_STR(EXACT(&d, 1, "M048"), ""); /* nobody entered treatment in the period */
    CHECK_EQ_STR(EXACT(&d, 1, "M001"), "0");
    t_rec_free(r);
}

static void
test_not_at_caseness(void)
{
    /* PHQ-9 8 -> 3, GAD-7 6 -> 2: first scores below 10 and 8: not at
     * caseness; finished with both firsts: NotCaseness. GAD down 4 >= 4:
     * reliable improvement. Not recovered (needs caseness).
     * M179 = 1, M180 = 1/1 = 100.0, M192 = 0 / (1 - 1): empty. */
    t_rec_t *r = s_finisher(8, 3, 6, 2);
    iapt_adult_derived_t d;
    CHECK_EQ_INT(s_derive(r, &d), 0);
    CHECK(!d.at_caseness && d.not_caseness);
    CHECK(d.reliable_improvement && !d.recovery && !d.reliable_recovery);
    CHECK_EQ_STR(EXACT(&d, 1, "M179"), "1");
    CHECK_EQ_STR(EXACT(&d, 1, "M180"), "100.0");
    CHECK_EQ_STR(EXACT(&d, 1, "M192"), "");
    CHECK_EQ_STR(EXACT(&d, 1, "M195"), "");
    t_rec_free(r);

    /* PHQ-9 exactly 10 is at caseness: 10 >= 10. */
    r = s_finisher(10, 3, 6, 2);
    CHECK_EQ_INT(s_derive(r, &d), 0);
    CHECK(d.at_caseness && !d.not_caseness && d.recovery);
    t_rec_free(r);
    /* GAD-7 exactly 8 is at caseness, 7 is not. */
    r = s_finisher(9, 3, 8, 2);
    CHECK_EQ_INT(s_derive(r, &d), 0);
    CHECK(d.at_caseness);
    t_rec_free(r);
    r = s_finisher(9, 3, 7, 2);
    CHECK_EQ_INT(s_derive(r, &d), 0);
    CHECK(!d.at_caseness && d.not_caseness);
    t_rec_free(r);
}

static void
test_reliable_change(void)
{
    iapt_adult_derived_t d[4];
    /* PHQ-9 12 -> 18 (up 6 = reliable change: deteriorated), GAD 10 -> 10:
     * reliable deterioration, no improvement, not recovered (18 >= 10). */
    t_rec_t *r = s_finisher(12, 18, 10, 10);
    CHECK_EQ_INT(s_derive(r, &d[0]), 0);
    CHECK(d[0].reliable_deterioration && !d[0].reliable_improvement && !d[0].no_change);
    CHECK(!d[0].recovery);
    t_rec_free(r);
    /* One up one down: PHQ-9 20 -> 14 (improved by 6), GAD-7 5 -> 9 (up
     * 4: deteriorated): neither flag, so no change. Not recovered (14). */
    r = s_finisher(20, 14, 5, 9);
    CHECK_EQ_INT(s_derive(r, &d[1]), 0);
    CHECK(d[1].phq.improved && d[1].anxiety.deteriorated);
    CHECK(!d[1].reliable_improvement && !d[1].reliable_deterioration && d[1].no_change);
    t_rec_free(r);
    /* Small changes: PHQ-9 15 -> 10 (5 < 6), GAD-7 10 -> 7 (3 < 4): no
     * change; recovered? PHQ last 10 is not < 10: no. */
    r = s_finisher(15, 10, 10, 7);
    CHECK_EQ_INT(s_derive(r, &d[2]), 0);
    CHECK(d[2].no_change && !d[2].recovery);
    t_rec_free(r);
    /* Recovered without reliable improvement: PHQ-9 11 -> 9 (2), GAD-7
     * 8 -> 7 (1): at caseness, both last below: recovery, not reliable
     * recovery; no change. */
    r = s_finisher(11, 9, 8, 7);
    CHECK_EQ_INT(s_derive(r, &d[3]), 0);
    CHECK(d[3].recovery && !d[3].reliable_recovery && d[3].no_change);
    t_rec_free(r);
    /* Over the four: M076 4, M189 1, M187 3, M185 0, M191 1, M193 0;
     * M1010 = 1/4 = 25.0, M186 = 0/4 = 0.0, M192 = 1/(4-0) = 25.0,
     * M195 = 0.0. */
    CHECK_EQ_STR(EXACT(d, 4, "M189"), "1");
    CHECK_EQ_STR(EXACT(d, 4, "M187"), "3");
    CHECK_EQ_STR(EXACT(d, 4, "M185"), "0");
    CHECK_EQ_STR(EXACT(d, 4, "M1010"), "25.0");
    CHECK_EQ_STR(EXACT(d, 4, "M186"), "0.0");
    CHECK_EQ_STR(EXACT(d, 4, "M192"), "25.0");
    CHECK_EQ_STR(EXACT(d, 4, "M195"), "0.0");
}

static void
test_missing_scores(void)
{
    iapt_adult_derived_t d[2];
    /* Finisher with one PHQ-9 (15) and no GAD-7: at caseness (15 >= 10),
     * nothing paired: no outcome flag, not NotCaseness (GAD first
     * missing). */
    t_rec_t *r = s_finisher(15, -1, -1, -1);
    CHECK_EQ_INT(s_derive(r, &d[0]), 0);
    CHECK(d[0].finished && d[0].at_caseness && !d[0].not_caseness);
    CHECK(!d[0].reliable_improvement && !d[0].reliable_deterioration && !d[0].no_change);
    CHECK(!d[0].recovery && !d[0].paired_phq && !d[0].paired_anxiety);
    CHECK_EQ_INT(d[0].anxiety.count, 0);
    t_rec_free(r);
    /* Finisher without any score: not at caseness, not NotCaseness. */
    r = s_finisher(-1, -1, -1, -1);
    CHECK_EQ_INT(s_derive(r, &d[1]), 0);
    CHECK(d[1].finished && !d[1].at_caseness && !d[1].not_caseness && !d[1].recovery);
    t_rec_free(r);
    /* Both stay in the recovery denominator: M076 2 - M179 0 = 2, M191 0:
     * M192 = 0/2 = 0.0; M201 = M198 = 0. */
    CHECK_EQ_STR(EXACT(d, 2, "M076"), "2");
    CHECK_EQ_STR(EXACT(d, 2, "M192"), "0.0");
    CHECK_EQ_STR(EXACT(d, 2, "M201"), "0");
    CHECK_EQ_STR(EXACT(d, 2, "M198"), "0");
}

static void
test_one_treatment_only(void)
{
    /* Referral day 2, one attended treatment day 5, discharged day 10 with
     * EndCode 47: treated once, not finished. M001 1, M031 1 (wait 3:
     * M036, M037 1), M056 1, M075 1, M076 0, M184 0; EndCode 47 is in
     * none of M057-M070. */
    t_rec_t *r = t_rec_new(2);
    t_appt(r, 5, "02", "5");
    t_discharge(r, 10, "47");
    iapt_adult_derived_t d;
    CHECK_EQ_INT(s_derive(r, &d), 0);
    CHECK(!d.finished);
    CHECK_EQ_INT(d.treatment_count, 1);
    CHECK_EQ_INT(d.therapy_second_day, IAPT_DAY_NONE);
    CHECK_EQ_STR(EXACT(&d, 1, "M001"), "1");
    CHECK_EQ_STR(EXACT(&d, 1, "M031"), "1");
    CHECK_EQ_STR(EXACT(&d, 1, "M036"), "1");
    CHECK_EQ_STR(EXACT(&d, 1, "M037"), "1");
    CHECK_EQ_STR(EXACT(&d, 1, "M056"), "1");
    CHECK_EQ_STR(EXACT(&d, 1, "M075"), "1");
    CHECK_EQ_STR(EXACT(&d, 1, "M076"), "0");
    CHECK_EQ_STR(EXACT(&d, 1, "M074"), "0");
    CHECK_EQ_STR(EXACT(&d, 1, "M073"), "0");
    CHECK_EQ_STR(EXACT(&d, 1, "M184"), "0");
    CHECK_EQ_STR(EXACT(&d, 1, "M048"), "3.0");
    const char *end_measures[] = {"M057", "M058", "M059", "M060", "M061",
                                  "M062", "M063", "M066", "M069", "M070"};
    for (size_t i = 0; i < 10; i++)
        CHECK_EQ_STR(EXACT(&d, 1, end_measures[i]), "0");
    t_rec_free(r);
}

static void
test_ended_without_treatment(void)
{
    iapt_adult_derived_t d[3];
    /* Ended with no appointment at all: M073. EndCode 10 -> M057. */
    t_rec_t *r = t_rec_new(-5);
    t_discharge(r, 3, "10");
    CHECK_EQ_INT(s_derive(r, &d[0]), 0);
    t_rec_free(r);
    /* Ended with only a DNA appointment: care contacts 1, treatments 0:
     * M074 (seen not treated, whatever the attendance). EndCode 95 -> M063. */
    r = t_rec_new(-5);
    t_appt(r, 1, "01", "3");
    t_discharge(r, 3, "95");
    CHECK_EQ_INT(s_derive(r, &d[1]), 0);
    t_rec_free(r);
    /* EndCode "?" (present, invalid): ended, no end-code measure. */
    r = t_rec_new(-5);
    t_appt(r, 1, "01", "5");
    t_discharge(r, 3, "?");
    CHECK_EQ_INT(s_derive(r, &d[2]), 0);
    CHECK_EQ_INT(d[2].end_code, -1);
    t_rec_free(r);
    CHECK_EQ_STR(EXACT(d, 3, "M056"), "3");
    CHECK_EQ_STR(EXACT(d, 3, "M073"), "1");
    CHECK_EQ_STR(EXACT(d, 3, "M074"), "2");
    CHECK_EQ_STR(EXACT(d, 3, "M057"), "1");
    CHECK_EQ_STR(EXACT(d, 3, "M063"), "1");
    CHECK_EQ_STR(EXACT(d, 3, "M023"), "1"); /* the attended assessment on day 1 */
}

static void
test_wait_boundaries(void)
{
    /* First treatment on day 10, referrals 42, 43, 126, 127 days before:
     * M031 4; M036 (<= 42) 1; M037 (<= 126) 3; mean (42+43+126+127)/4 =
     * 338/4 = 84.5; median of 42 43 126 127 = (43+126)/2 = 84.5. */
    static const int waits[4] = {42, 43, 126, 127};
    iapt_adult_derived_t d[4], f[4];
    for (int i = 0; i < 4; i++) {
        t_rec_t *r = t_rec_new(10 - waits[i]);
        t_appt(r, 10, "02", "5");
        CHECK_EQ_INT(s_derive(r, &d[i]), 0);
        CHECK_EQ_INT(d[i].wait, waits[i]);
        /* The same as finishers: second treatment day 12, discharge day 20. */
        t_appt(r, 12, "05", "6");
        t_discharge(r, 20, "46");
        CHECK_EQ_INT(s_derive(r, &f[i]), 0);
        CHECK(f[i].finished);
        t_rec_free(r);
    }
    CHECK_EQ_STR(EXACT(d, 4, "M031"), "4");
    CHECK_EQ_STR(EXACT(d, 4, "M036"), "1");
    CHECK_EQ_STR(EXACT(d, 4, "M037"), "3");
    CHECK_EQ_STR(EXACT(d, 4, "M048"), "84.5");
    CHECK_EQ_STR(EXACT(d, 4, "M049"), "84.5");
    /* Finishers: M053 = 1/4 = 25.0, M055 = 3/4 = 75.0; below England both
     * numerator 1 and denominator 4 are under 5: *. M184 = 4 (second
     * treatment day 12). */
    CHECK_EQ_STR(EXACT(f, 4, "M053"), "25.0");
    CHECK_EQ_STR(EXACT(f, 4, "M055"), "75.0");
    CHECK_EQ_STR(s_value(f, 4, "M053", false), "*");
    CHECK_EQ_STR(EXACT(f, 4, "M184"), "4");

    /* Waiting at period end (E = 29) with no treatment: referral day -97:
     * 29 - -97 = 126, not over 126; day -98: 127 > 126: M044. Both M038. */
    iapt_adult_derived_t w[2];
    t_rec_t *r = t_rec_new(-97);
    CHECK_EQ_INT(s_derive(r, &w[0]), 0);
    t_rec_free(r);
    r = t_rec_new(-98);
    CHECK_EQ_INT(s_derive(r, &w[1]), 0);
    t_rec_free(r);
    CHECK_EQ_STR(EXACT(&w[0], 1, "M044"), "0");
    CHECK_EQ_STR(EXACT(&w[1], 1, "M044"), "1");
    CHECK_EQ_STR(EXACT(w, 2, "M038"), "2");
}

static void
test_waiting_and_discharge(void)
{
    iapt_adult_derived_t d;
    /* Open, no appointment: waiting (M038). */
    t_rec_t *r = t_rec_new(-10);
    CHECK_EQ_INT(s_derive(r, &d), 0);
    CHECK(!d.discharged);
    CHECK_EQ_INT(d.discharge_day, IAPT_DAY_NONE);
    CHECK_EQ_STR(EXACT(&d, 1, "M038"), "1");
    /* An attended assessment and a DNA treatment: still waiting. */
    t_appt(r, -5, "01", "5");
    t_appt(r, -3, "02", "3");
    CHECK_EQ_INT(s_derive(r, &d), 0);
    CHECK_EQ_STR(EXACT(&d, 1, "M038"), "1");
    /* An attended treatment: no longer waiting; not ended (M056 0). */
    t_appt(r, 2, "03", "6");
    CHECK_EQ_INT(s_derive(r, &d), 0);
    CHECK_EQ_STR(EXACT(&d, 1, "M038"), "0");
    CHECK_EQ_STR(EXACT(&d, 1, "M056"), "0");
    /* 03 is assessment and treatment: the first assessment is day -5 still. */
    CHECK_EQ_INT(d.assessment_first_day, -5);
    CHECK_EQ_INT(d.therapy_first_day, 2);
    t_rec_free(r);
    /* Discharged with no treatment: not waiting. */
    r = t_rec_new(-10);
    t_discharge(r, 0, "12");
    CHECK_EQ_INT(s_derive(r, &d), 0);
    CHECK_EQ_STR(EXACT(&d, 1, "M038"), "0");
    CHECK_EQ_STR(EXACT(&d, 1, "M059"), "1");
    t_rec_free(r);
}

static void
test_medians_and_means(void)
{
    /* Finishers with 2, 3 and 10 treatment appointments: median (odd) 3 ->
     * 3.0; mean 15/3 = 5.0. Adding one with 4: 2 3 4 10: median (3+4)/2 =
     * 3.5; mean 19/4 = 4.75 -> 4.8. */
    static const int counts[4] = {2, 3, 10, 4};
    iapt_adult_derived_t d[4];
    for (int i = 0; i < 4; i++) {
        t_rec_t *r = t_rec_new(-100);
        for (int k = 0; k < counts[i]; k++)
            t_appt(r, -90 + k, "02", "5");
        t_discharge(r, 1, "46");
        CHECK_EQ_INT(s_derive(r, &d[i]), 0);
        t_rec_free(r);
    }
    CHECK_EQ_STR(EXACT(d, 3, "M142"), "3.0");
    CHECK_EQ_STR(EXACT(d, 3, "M141"), "5.0");
    CHECK_EQ_STR(EXACT(d, 4, "M142"), "3.5");
    CHECK_EQ_STR(EXACT(d, 4, "M141"), "4.8");

    /* Negative waits (first treatment before the referral, used as
     * written): waits -1, 0, 0, 0 (first treatment day 5): mean -1/4 =
     * -0.25 -> -0.2 (half up); median of -1 0 0 0 = (0+0)/2 = 0.0; of -1
     * and 0 alone: -0.5. */
    static const int refs[4] = {6, 5, 5, 5};
    iapt_adult_derived_t w[4];
    for (int i = 0; i < 4; i++) {
        t_rec_t *r = t_rec_new(refs[i]);
        t_appt(r, 5, "02", "5");
        CHECK_EQ_INT(s_derive(r, &w[i]), 0);
        t_rec_free(r);
    }
    CHECK_EQ_INT(w[0].wait, -1);
    CHECK_EQ_STR(EXACT(w, 4, "M048"), "-0.2");
    CHECK_EQ_STR(EXACT(w, 4, "M049"), "0.0");
    CHECK_EQ_STR(EXACT(w, 2, "M049"), "-0.5");
    CHECK_EQ_STR(EXACT(w, 2, "M048"), "-0.5");
}

/* ---------------------------------------------------------------------------
 * Derivation: scores
 * ------------------------------------------------------------------------ */

static void
test_score_window(void)
{
    /* Referral day -20, discharge day 10: PHQ-9 on day -21 (20, before
     * the referral: out), day -20 (15: first), day 10 (5: last, the
     * discharge day counts), day 11 (27: after the discharge: out). */
    t_rec_t *r = t_rec_new(-20);
    t_score(r, T_PHQ, 2000, -21, 606);
    t_score(r, T_PHQ, 1500, -20, 606);
    t_score(r, T_PHQ, 500, 10, 606);
    t_score(r, T_PHQ, 2700, 11, 606);
    t_discharge(r, 10, "46");
    iapt_adult_derived_t d;
    CHECK_EQ_INT(s_derive(r, &d), 0);
    CHECK_EQ_INT(d.phq.count, 2);
    CHECK_EQ_INT(d.phq.first_x100, 1500);
    CHECK_EQ_INT(d.phq.last_x100, 500);
    t_rec_free(r);

    /* Not discharged: the window runs to E = 29 (all scores are <= E). */
    r = t_rec_new(-20);
    t_score(r, T_PHQ, 1500, -20, 606);
    t_score(r, T_PHQ, 700, 29, 607);
    CHECK_EQ_INT(s_derive(r, &d), 0);
    CHECK_EQ_INT(d.phq.count, 2);
    CHECK_EQ_INT(d.phq.last_x100, 700);
    t_rec_free(r);
}

static void
test_score_order_and_filters(void)
{
    /* Same day -10: an IDS607 listed first (20) and an IDS606 (12): the
     * IDS606 comes first in the order, so First = 12, Last = 20. Then out
     * of range (PHQ-9 28, GAD-7 -1) and an unknown tool are ignored; a
     * decimal (GAD-7 7.50) counts. */
    t_rec_t *r = t_rec_new(-30);
    t_score(r, T_PHQ, 2000, -10, 607);
    t_score(r, T_PHQ, 1200, -10, 606);
    t_score(r, T_PHQ, 2800, -5, 606);
    t_score(r, T_GAD, -100, -5, 606);
    t_score(r, 999999ULL, 500, -5, 606);
    t_score(r, T_GAD, 750, -4, 607);
    iapt_adult_derived_t d;
    CHECK_EQ_INT(s_derive(r, &d), 0);
    CHECK_EQ_INT(d.phq.count, 2);
    CHECK_EQ_INT(d.phq.first_x100, 1200);
    CHECK_EQ_INT(d.phq.last_x100, 2000);
    CHECK_EQ_INT(d.anxiety.count, 1);
    CHECK_EQ_INT(d.anxiety.first_x100, 750);
    CHECK_EQ_INT(d.anxiety.last_x100, 750); /* one score is both first and last */
    t_rec_free(r);

    /* Two IDS606 the same day: file order decides (first 9, last 11);
     * listed out of day order, the day still decides: day -12 (13) is
     * first although listed last. */
    r = t_rec_new(-30);
    t_score(r, T_PHQ, 900, -10, 606);
    t_score(r, T_PHQ, 1100, -10, 606);
    CHECK_EQ_INT(s_derive(r, &d), 0);
    CHECK_EQ_INT(d.phq.first_x100, 900);
    CHECK_EQ_INT(d.phq.last_x100, 1100);
    t_score(r, T_PHQ, 1300, -12, 607);
    CHECK_EQ_INT(s_derive(r, &d), 0);
    CHECK_EQ_INT(d.phq.first_x100, 1300);
    CHECK_EQ_INT(d.phq.last_x100, 1100);
    t_rec_free(r);
}

static void
test_adsm_selection(void)
{
    /* A table with an ADSM for social phobia (descriptor F401), range
     * 0..68, caseness 19, reliable change 10. */
    static const char table[] =
        "tool,snomed_code,min,max,caseness,reliable_change,role,descriptors\n"
        "PHQ-9,720433000,0,27,10,6,depression,\n"
        "GAD-7,445455005,0,21,8,4,anxiety,\n"
        "SPIN,1111111,0,68,19,10,adsm,F401\n";
    iapt_tools_t tools;
    CHECK_EQ_INT(iapt_tools_parse(table, sizeof table - 1, "tools.csv", &tools), 0);
    iapt_period_t p = t_september();
    iapt_adult_derived_t d;

    /* Primary problem F401, SPIN 30 -> 15 paired, GAD-7 5 -> 5, PHQ-9
     * 8 -> 7. Anxiety measure = SPIN: first 30 >= 19 at caseness; last
     * 15 < 19 and PHQ 7 < 10: recovered; SPIN down 15 >= 10: improved. */
    t_rec_t *r = s_finisher(8, 7, 5, 5);
    t_problem(r, "F401", 1, 1, -50);
    t_score(r, 1111111ULL, 3000, -50, 606);
    t_score(r, 1111111ULL, 1500, -20, 607);
    CHECK_EQ_INT(iapt_adult_derive(&r->rec, &p, &tools, &d), 0);
    CHECK(d.adsm_used);
    CHECK_EQ_INT(d.anxiety.tool, 2);
    CHECK(d.at_caseness && d.recovery && d.reliable_improvement && d.reliable_recovery);
    CHECK_EQ_STR(d.primary_problem, "F401");
    t_rec_free(r);

    /* Only one SPIN score: not paired, so GAD-7 stays the anxiety measure:
     * PHQ 8 < 10 and GAD 5 < 8: not at caseness, NotCaseness. */
    r = s_finisher(8, 7, 5, 5);
    t_problem(r, "F401", 1, 1, -50);
    t_score(r, 1111111ULL, 3000, -50, 606);
    CHECK_EQ_INT(iapt_adult_derive(&r->rec, &p, &tools, &d), 0);
    CHECK(!d.adsm_used);
    CHECK_EQ_INT(d.anxiety.tool, tools.anxiety);
    CHECK(!d.at_caseness && d.not_caseness);
    t_rec_free(r);

    /* Paired SPIN but the primary problem is F32 (depression): GAD-7. */
    r = s_finisher(8, 7, 5, 5);
    t_problem(r, "F32", 1, 1, -50);
    t_problem(r, "F401", 2, 1, -40);
    t_score(r, 1111111ULL, 3000, -50, 606);
    t_score(r, 1111111ULL, 1500, -20, 607);
    CHECK_EQ_INT(iapt_adult_derive(&r->rec, &p, &tools, &d), 0);
    CHECK(!d.adsm_used);
    CHECK_EQ_STR(d.primary_problem, "F32");
    t_rec_free(r);

    /* M198 counts finishers whose anxiety measure is paired: with an ADSM
     * paired and no GAD-7 at all it still counts. */
    r = s_finisher(8, 7, -1, -1);
    t_problem(r, "F4010", 1, 0, 0); /* prefix F401 matches */
    t_score(r, 1111111ULL, 3000, -50, 606);
    t_score(r, 1111111ULL, 1500, -20, 607);
    CHECK_EQ_INT(iapt_adult_derive(&r->rec, &p, &tools, &d), 0);
    CHECK(d.adsm_used && d.paired_anxiety);
    t_rec_free(r);
}

static void
test_primary_problem(void)
{
    iapt_adult_derived_t d;
    /* Significance 1 rows compete alone: the dated F411 (day -5) beats the
     * undated F32; the later F42 without significance does not compete. */
    t_rec_t *r = t_rec_new(-30);
    t_problem(r, "F32", 1, 0, 0);
    t_problem(r, "F411", 1, 1, -5);
    t_problem(r, "F42", 2, 1, 0);
    CHECK_EQ_INT(s_derive(r, &d), 0);
    CHECK_EQ_STR(d.primary_problem, "F411");
    CHECK_EQ_INT(d.level[IAPT_BREAKDOWN_PROBLEM], 1);
    t_rec_free(r);
    /* No significance 1: the latest date wins (F431 day 3); ties keep the
     * earlier line. */
    r = t_rec_new(-30);
    t_problem(r, "F32", 2, 1, -10);
    t_problem(r, "F431", 0, 1, 3);
    t_problem(r, "F42", 0, 1, 3);
    t_problem(r, "F50", 0, 0, 0);
    CHECK_EQ_INT(s_derive(r, &d), 0);
    CHECK_EQ_STR(d.primary_problem, "F431");
    CHECK_EQ_INT(d.level[IAPT_BREAKDOWN_PROBLEM], 8);
    t_rec_free(r);
    /* Undated only: the first line. */
    r = t_rec_new(-30);
    t_problem(r, "F402", 0, 0, 0);
    t_problem(r, "F50", 0, 0, 0);
    CHECK_EQ_INT(s_derive(r, &d), 0);
    CHECK_EQ_STR(d.primary_problem, "F402");
    t_rec_free(r);
    /* None: "" and Unknown. */
    r = t_rec_new(-30);
    CHECK_EQ_INT(s_derive(r, &d), 0);
    CHECK_EQ_STR(d.primary_problem, "");
    CHECK_EQ_INT(d.level[IAPT_BREAKDOWN_PROBLEM], 12);
    t_rec_free(r);
}

/* ---------------------------------------------------------------------------
 * Derivation: employment, appointments, breakdown levels
 * ------------------------------------------------------------------------ */

static void
test_sick_pay(void)
{
    iapt_adult_derived_t d;
    /* Finisher discharged day 5: SSP Y on day -50, N on day -10: moved off
     * sick pay (M237). A Y on day 6 (after the discharge, before E) is
     * ignored. */
    t_rec_t *r = s_finisher(15, 5, 12, 4);
    t_employment(r, -50, "Y", "N");
    t_employment(r, -10, "N", NULL);
    t_employment(r, 6, "Y", "Y");
    CHECK_EQ_INT(s_derive(r, &d), 0);
    CHECK_EQ_INT(d.sick_pay_first, 'Y');
    CHECK_EQ_INT(d.sick_pay_last, 'N');
    CHECK_EQ_INT(d.benefits_first, 'N');
    CHECK_EQ_INT(d.benefits_last, 0); /* missing on the last record */
    CHECK(d.off_sick_pay && !d.off_benefits);
    CHECK_EQ_STR(EXACT(&d, 1, "M237"), "1");
    t_rec_free(r);

    /* Same day -10: N then Y in file order: the last is Y: not off. */
    r = s_finisher(15, 5, 12, 4);
    t_employment(r, -50, "Y", NULL);
    t_employment(r, -10, "N", NULL);
    t_employment(r, -10, "Y", NULL);
    CHECK_EQ_INT(s_derive(r, &d), 0);
    CHECK_EQ_INT(d.sick_pay_last, 'Y');
    CHECK(!d.off_sick_pay);
    t_rec_free(r);

    /* "?" (invalid at the node) is neither Y nor N. */
    r = s_finisher(15, 5, 12, 4);
    t_employment(r, -50, "?", "Y");
    t_employment(r, -10, "N", "N");
    CHECK_EQ_INT(s_derive(r, &d), 0);
    CHECK(!d.off_sick_pay && d.off_benefits);
    t_rec_free(r);

    /* Not a finisher (one treatment): never M237. */
    r = t_rec_new(-30);
    t_appt(r, -20, "02", "5");
    t_discharge(r, 5, "47");
    t_employment(r, -50, "Y", NULL);
    t_employment(r, -10, "N", NULL);
    CHECK_EQ_INT(s_derive(r, &d), 0);
    CHECK(!d.off_sick_pay);
    CHECK_EQ_STR(EXACT(&d, 1, "M237"), "0");
    t_rec_free(r);
}

static void
test_appointment_counts(void)
{
    /* Referral day -5, open. In the period (days 0..7):
     *   day 0 02/5 CBT          treatment, CBT
     *   day 1 02/6 CBT2+CfD     treatment, CBT, CfD
     *   day 2 03/5 CfD          treatment (and assessment), CfD
     *   day 3 01/5 CBT          assessment only: not in M110
     *   day 4 02/3 CBT          DNA: not a treatment
     *   day 5 04/2, day 6 02/4, day 7 02/7
     * and day -1 02/5 CBT before the period (treatment, not counted in
     * the period tallies).
     * M082 = 8; M083 (2) 1, M084 (3) 1, M085 (4) 1, M086 (5) 3 (days 0,
     * 2, 3), M087 (6) 1, M088 (7) 1; M110 = 2 (days 0, 1); M104 = 2 (days
     * 1, 2). Treatments: days -1, 0, 1, 2 = 4; contacts 9. */
    t_rec_t *r = t_rec_new(-5);
    t_appt_th(r, -1, "02", "5", T_CBT, 0);
    t_appt_th(r, 0, "02", "5", T_CBT, 0);
    t_appt_th(r, 1, "02", "6", T_CBT2, T_CFD);
    t_appt_th(r, 2, "03", "5", T_CFD, 0);
    t_appt_th(r, 3, "01", "5", T_CBT, 0);
    t_appt_th(r, 4, "02", "3", T_CBT, 0);
    t_appt(r, 5, "04", "2");
    t_appt(r, 6, "02", "4");
    t_appt(r, 7, "02", "7");
    iapt_adult_derived_t d;
    CHECK_EQ_INT(s_derive(r, &d), 0);
    CHECK_EQ_INT(d.care_contact_count, 9);
    CHECK_EQ_INT(d.treatment_count, 4);
    CHECK_EQ_INT(d.therapy_first_day, -1);
    CHECK_EQ_INT(d.therapy_second_day, 0);
    CHECK_EQ_INT(d.therapy_last_day, 2);
    CHECK_EQ_STR(EXACT(&d, 1, "M082"), "8");
    CHECK_EQ_STR(EXACT(&d, 1, "M083"), "1");
    CHECK_EQ_STR(EXACT(&d, 1, "M084"), "1");
    CHECK_EQ_STR(EXACT(&d, 1, "M085"), "1");
    CHECK_EQ_STR(EXACT(&d, 1, "M086"), "3");
    CHECK_EQ_STR(EXACT(&d, 1, "M087"), "1");
    CHECK_EQ_STR(EXACT(&d, 1, "M088"), "1");
    CHECK_EQ_STR(EXACT(&d, 1, "M110"), "2");
    CHECK_EQ_STR(EXACT(&d, 1, "M104"), "2");
    CHECK_EQ_STR(EXACT(&d, 1, "M184"), "1"); /* second treatment day 0 */
    CHECK_EQ_STR(EXACT(&d, 1, "M031"), "0"); /* first treatment day -1 */
    /* Main therapy: CBT in 3 treatment appointments (days -1, 0, 1), CfD
     * in 2: CBT. */
    CHECK_EQ_INT(d.level[IAPT_BREAKDOWN_THERAPY], 15);
    t_rec_free(r);

    /* Two on one day: the second treatment date is that day. */
    r = t_rec_new(-5);
    t_appt(r, 3, "02", "5");
    t_appt(r, 3, "05", "5");
    CHECK_EQ_INT(s_derive(r, &d), 0);
    CHECK_EQ_INT(d.therapy_first_day, 3);
    CHECK_EQ_INT(d.therapy_second_day, 3);
    t_rec_free(r);
}

static void
test_breakdown_levels(void)
{
    iapt_adult_derived_t d;
    t_rec_t *r = t_rec_new(-5);
    /* Nothing known: Unknown / None / No everywhere. */
    CHECK_EQ_INT(s_derive(r, &d), 0);
    CHECK_EQ_INT(d.level[IAPT_BREAKDOWN_NONE], 0);
    CHECK_EQ_INT(d.level[IAPT_BREAKDOWN_AGE], 8);
    CHECK_EQ_INT(d.level[IAPT_BREAKDOWN_GENDER], 6);
    CHECK_EQ_INT(d.level[IAPT_BREAKDOWN_ETHNICITY], 7);
    CHECK_EQ_INT(d.level[IAPT_BREAKDOWN_IMD], 10);
    CHECK_EQ_INT(d.level[IAPT_BREAKDOWN_PROBLEM], 12);
    CHECK_EQ_INT(d.level[IAPT_BREAKDOWN_THERAPY], 18);
    CHECK_EQ_INT(d.level[IAPT_BREAKDOWN_SOURCE], 41);
    CHECK_EQ_INT(d.level[IAPT_BREAKDOWN_LTC], 1);
    CHECK_EQ_INT(d.ethnic_group, IAPT_ETHNIC_NONE);

    r->rec.has_age_band = 1;
    r->rec.age_band = IAPT__AGE_BAND__AGE_26_35; /* 26-35: level 2 */
    r->rec.gender_identity = "2";                /* Female: 1 */
    r->rec.ethnic_category = "H";                /* Asian: level 2, group Asian */
    r->rec.has_imd_decile = 1;
    r->rec.imd_decile = 10;        /* "10": level 9 */
    r->rec.referral_source = "B1"; /* level 4 */
    r->rec.has_long_term_condition = 1;
    r->rec.long_term_condition = 1; /* Yes: 0 */
    t_problem(r, "F4110", 1, 0, 0); /* longest prefix F411: GAD, 1 */
    /* Therapy tie: EMDR in 2 treatment appointments, CBT in 2 (one
     * appointment with both CBT codes counts once), a DNA with CBT does
     * not count: tie, EMDR (12) is before CBT (15) in the list. */
    t_appt_th(r, -3, "02", "5", T_EMDR, 0);
    t_appt_th(r, -2, "02", "5", T_EMDR, 0);
    t_appt_th(r, -1, "02", "5", T_CBT, T_CBT2);
    t_appt_th(r, 0, "02", "5", T_CBT, 0);
    t_appt_th(r, 1, "02", "3", T_CBT, 0);
    CHECK_EQ_INT(s_derive(r, &d), 0);
    CHECK_EQ_INT(d.level[IAPT_BREAKDOWN_AGE], 2);
    CHECK_EQ_INT(d.level[IAPT_BREAKDOWN_GENDER], 1);
    CHECK_EQ_INT(d.level[IAPT_BREAKDOWN_ETHNICITY], 2);
    CHECK_EQ_INT(d.ethnic_group, IAPT_ETHNIC_ASIAN);
    CHECK_EQ_INT(d.level[IAPT_BREAKDOWN_IMD], 9);
    CHECK_EQ_INT(d.level[IAPT_BREAKDOWN_SOURCE], 4);
    CHECK_EQ_INT(d.level[IAPT_BREAKDOWN_LTC], 0);
    CHECK_EQ_INT(d.level[IAPT_BREAKDOWN_PROBLEM], 1);
    CHECK_EQ_INT(d.level[IAPT_BREAKDOWN_THERAPY], 12);
    CHECK(d.self_referral && !d.gp_referral);

    /* One more CBT appointment breaks the tie for CBT; a guided self-help
     * appointment (index 0) with one appointment does not win. */
    t_appt_th(r, 2, "05", "6", T_CBT, T_GSH_BOOK);
    CHECK_EQ_INT(s_derive(r, &d), 0);
    CHECK_EQ_INT(d.level[IAPT_BREAKDOWN_THERAPY], 15);

    /* "?" codes are Unknown; X / Z / 99 have their own levels. */
    r->rec.gender_identity = "X";
    r->rec.ethnic_category = "99";
    r->rec.referral_source = "?";
    r->rec.has_age_band = 1;
    r->rec.age_band = IAPT__AGE_BAND__AGE_UNKNOWN;
    CHECK_EQ_INT(s_derive(r, &d), 0);
    CHECK_EQ_INT(d.level[IAPT_BREAKDOWN_GENDER], 4);
    CHECK_EQ_INT(d.level[IAPT_BREAKDOWN_ETHNICITY], 6);
    CHECK_EQ_INT(d.level[IAPT_BREAKDOWN_SOURCE], 41);
    CHECK_EQ_INT(d.level[IAPT_BREAKDOWN_AGE], 8);
    r->rec.gender_identity = "?";
    r->rec.ethnic_category = "Z";
    r->rec.referral_source = "Q1";
    r->rec.age_band = IAPT__AGE_BAND__AGE_UNDER_18;
    CHECK_EQ_INT(s_derive(r, &d), 0);
    CHECK_EQ_INT(d.level[IAPT_BREAKDOWN_GENDER], 6);
    CHECK_EQ_INT(d.level[IAPT_BREAKDOWN_ETHNICITY], 5);
    CHECK_EQ_INT(d.level[IAPT_BREAKDOWN_SOURCE], 40);
    CHECK_EQ_INT(d.level[IAPT_BREAKDOWN_AGE], 0);
    t_rec_free(r);

    /* Problem prefixes: F33x is Depression, F43 Other, F452 Health anxiety. */
    static const struct {
        const char *code;
        int level;
    } probs[] = {{"F331", 0}, {"F43", 11}, {"F452", 9}, {"F50", 10},
                 {"F400", 4}, {"F412", 2}, {"Z99", 11}, {"F41", 11}};
    for (size_t i = 0; i < sizeof probs / sizeof *probs; i++) {
        r = t_rec_new(-5);
        t_problem(r, probs[i].code, 0, 0, 0);
        CHECK_EQ_INT(s_derive(r, &d), 0);
        CHECK_EQ_INT(d.level[IAPT_BREAKDOWN_PROBLEM], probs[i].level);
        t_rec_free(r);
    }
    /* Ethnic groups of M206-M210 by category. */
    static const struct {
        const char *code;
        int group;
    } eth[] = {{"A", IAPT_ETHNIC_WHITE}, {"C", IAPT_ETHNIC_WHITE}, {"D", IAPT_ETHNIC_MIXED},
               {"L", IAPT_ETHNIC_ASIAN}, {"P", IAPT_ETHNIC_BLACK}, {"S", IAPT_ETHNIC_OTHER},
               {"Z", IAPT_ETHNIC_NONE}};
    for (size_t i = 0; i < sizeof eth / sizeof *eth; i++) {
        r = t_rec_new(-5);
        r->rec.ethnic_category = (char *)eth[i].code;
        CHECK_EQ_INT(s_derive(r, &d), 0);
        CHECK_EQ_INT(d.ethnic_group, eth[i].group);
        t_rec_free(r);
    }
}

static void
test_ethnic_reliable_recovery(void)
{
    /* White finishers: two reliably recovered, one not at caseness, one
     * no change: M206 = 2 / (4 - 1) = 66.7. Asian: one recovered: M207 =
     * 1/1 = 100.0. Others: empty. */
    iapt_adult_derived_t d[5];
    static const int s[5][4] = {
        {15, 5, 12, 4}, {15, 5, 12, 4}, {8, 3, 6, 2}, {15, 10, 10, 7}, {15, 5, 12, 4}};
    static const char *const cat[5] = {"A", "B", "C", "A", "K"};
    for (int i = 0; i < 5; i++) {
        t_rec_t *r = s_finisher(s[i][0], s[i][1], s[i][2], s[i][3]);
        r->rec.ethnic_category = (char *)cat[i];
        CHECK_EQ_INT(s_derive(r, &d[i]), 0);
        t_rec_free(r);
    }
    CHECK_EQ_STR(EXACT(d, 5, "M206"), "66.7");
    CHECK_EQ_STR(EXACT(d, 5, "M207"), "100.0");
    CHECK_EQ_STR(EXACT(d, 5, "M208"), "");
    CHECK_EQ_STR(EXACT(d, 5, "M209"), "");
    CHECK_EQ_STR(EXACT(d, 5, "M210"), "");
    /* All five: M195 = 3 / (5 - 1) = 75.0. */
    CHECK_EQ_STR(EXACT(d, 5, "M195"), "75.0");
}

/* ---------------------------------------------------------------------------
 * Refusals
 * ------------------------------------------------------------------------ */

static void
test_refusals(void)
{
    iapt_adult_derived_t d;
    uint8_t short_id[15] = {0};
#define REFUSE(setup, field)                                                                       \
    do {                                                                                           \
        t_rec_t *r = t_rec_new(-5);                                                                \
        setup;                                                                                     \
        CHECK_EQ_INT(s_derive(r, &d), IAPT_EFORMAT);                                               \
        CHECK(strstr(iapt_error_detail(), field) != NULL);                                         \
        t_rec_free(r);                                                                             \
    } while (0)

    REFUSE(r->rec.pathway_id.data = short_id; r->rec.pathway_id.len = 15, "pathway_id");
    REFUSE(r->rec.person_id.len = 0, "person_id");
    REFUSE(r->rec.commissioner = "", "commissioner");
    REFUSE(r->rec.commissioner = "00l", "commissioner");
    REFUSE(r->rec.commissioner = "AB", "commissioner");
    REFUSE(r->rec.commissioner = "ABCDEF", "commissioner");
    REFUSE(r->rec.commissioner = NULL, "commissioner");
    REFUSE(r->rec.referral_day = 30, "referral_day");     /* after E = 29 */
    REFUSE(r->rec.referral_day = -40000, "referral_day"); /* beyond 100 years */
    REFUSE(t_discharge(r, -1, "46"), "discharge_day");    /* before the period */
    REFUSE(t_discharge(r, 30, "46"), "discharge_day");    /* after E */
    REFUSE(t_discharge(r, 3, "15"), "end_code");
    REFUSE(r->rec.referral_source = "A5", "referral_source");
    REFUSE(r->rec.gender_identity = "5", "gender_identity");
    REFUSE(r->rec.ethnic_category = "I", "ethnic_category");
    REFUSE(r->rec.has_imd_decile = 1; r->rec.imd_decile = 11, "imd_decile");
    REFUSE(r->rec.has_imd_decile = 1; r->rec.imd_decile = 0, "imd_decile");
    REFUSE(r->rec.has_age_band = 1; r->rec.age_band = (Iapt__AgeBand)9, "age_band");
    REFUSE(t_appt(r, 1, "2", "5"), "appointments[0].app_type");
    REFUSE(t_appt(r, 1, "02", "05"), "appointments[0].attendance");
    REFUSE(t_appt(r, 1, "02", NULL), "appointments[0].attendance");
    REFUSE(t_appt(r, 1, "02", "5"); t_appt(r, 30, "02", "5"), "appointments[1].day");
    REFUSE(t_appt(r, 1, "02", "5")->mechanism = "03", "appointments[0].mechanism");
    REFUSE(t_score(r, T_PHQ, 500, 30, 606), "scores[0].day");
    REFUSE(t_score(r, T_PHQ, 500, 1, 0), "scores[0].source");
    REFUSE(t_problem(r, "f32", 1, 0, 0), "problems[0].code");
    REFUSE(t_problem(r, "F3", 1, 0, 0), "problems[0].code");
    REFUSE(t_problem(r, "F32ABC", 1, 0, 0), "problems[0].code");
    REFUSE(t_problem(r, "F32", 3, 0, 0), "problems[0].significance");
    REFUSE(t_problem(r, "F32", 1, 1, 31), "problems[0].day");
    REFUSE(t_employment(r, 1, "y", NULL), "employment[0].sick_pay");
    REFUSE(t_employment(r, 1, NULL, "yes"), "employment[0].benefits");
    REFUSE(t_employment(r, 40000, "Y", NULL), "employment[0].day");
    REFUSE(r->rec.n_scores = IAPT_RECORD_EVENTS_MAX + 1, "scores");
#undef REFUSE

    /* A missing appointment pointer is refused, not followed. */
    t_rec_t *r = t_rec_new(-5);
    t_appt(r, 1, "02", "5");
    r->appt_p[0] = NULL;
    CHECK_EQ_INT(s_derive(r, &d), IAPT_EFORMAT);
    t_rec_free(r);

    /* Accepted as written: events before the referral or after the
     * discharge; "?" in every optional coded field; a discharge before the
     * referral. */
    r = t_rec_new(-5);
    t_appt(r, -9, "02", "5");
    t_appt(r, 4, "02", "5")->mechanism = "?";
    t_discharge(r, 2, "?");
    r->rec.referral_source = "?";
    r->rec.gender_identity = "?";
    r->rec.ethnic_category = "?";
    t_employment(r, 1, "?", "?");
    CHECK_EQ_INT(s_derive(r, &d), 0);
    CHECK(d.finished); /* discharged with two treatments (days -9 and 4) */
    t_rec_free(r);
    r = t_rec_new(5);
    t_discharge(r, 2, "46"); /* before the referral: a finding at the node, used here */
    CHECK_EQ_INT(s_derive(r, &d), 0);
    t_rec_free(r);

    /* Bad arguments. */
    r = t_rec_new(-5);
    iapt_tools_t broken = t_default_tools();
    broken.anxiety = 7;
    iapt_period_t p = t_september();
    CHECK_EQ_INT(iapt_adult_derive(&r->rec, &p, &broken, &d), IAPT_EUSAGE);
    CHECK_EQ_INT(iapt_adult_derive(NULL, &p, &broken, &d), IAPT_EUSAGE);
    t_rec_free(r);
}

TEST_MAIN(test_catalogue_matches_official_tsv, test_catalogue_kinds, test_breakdown_defs,
          test_format_counts, test_format_percentages, test_format_means_and_medians,
          test_recovered, test_not_at_caseness, test_reliable_change, test_missing_scores,
          test_one_treatment_only, test_ended_without_treatment, test_wait_boundaries,
          test_waiting_and_discharge, test_medians_and_means, test_score_window,
          test_score_order_and_filters, test_adsm_selection, test_primary_problem, test_sick_pay,
          test_appointment_counts, test_breakdown_levels, test_ethnic_reliable_recovery,
          test_refusals)
