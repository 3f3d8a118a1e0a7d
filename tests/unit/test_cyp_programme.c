/* test_cyp_programme.c - coverage and access growth of the CYP programme
 * view, worked by hand. */

#include "common/collections/cyp/cyp_programme.h"
#include "tests/test.h"

static void
test_coverage(void)
{
    /* 1000 + 3000 covered of 1000 + 2000 + 3000 + 4000: 4000 / 10000. */
    iapt_cyp_area_subicb_t s[4] = {{1000, true}, {2000, false}, {3000, true}, {4000, false}};
    int64_t num = -1, den = -1;
    CHECK(iapt_cyp_coverage(true, s, 4, &num, &den));
    CHECK_EQ_INT(num, 4000);
    CHECK_EQ_INT(den, 10000);
    /* Every sub-ICB covered: all of it. */
    for (int i = 0; i < 4; i++)
        s[i].covered = true;
    CHECK(iapt_cyp_coverage(true, s, 4, &num, &den));
    CHECK_EQ_INT(num, 10000);
    /* A population of 0 everywhere, or no sub-ICB: nothing to divide by. */
    iapt_cyp_area_subicb_t z[2] = {{0, true}, {0, false}};
    CHECK(iapt_cyp_coverage(true, z, 2, &num, &den));
    CHECK_EQ_INT(den, 0);
    CHECK(iapt_cyp_coverage(true, NULL, 0, &num, &den));
    CHECK_EQ_INT(den, 0);
    /* Without a population column: empty. */
    CHECK(!iapt_cyp_coverage(false, s, 4, &num, &den));
    s[2].population_0_19 = -1;
    CHECK(!iapt_cyp_coverage(true, s, 4, &num, &den));
}

static void
test_access_growth(void)
{
    /* Months 0..11 have 10 each (120), months 12..23 have 10 + i (18.. 33):
     * sum over i = 12..23 of (10 + i) = 120 + 210 = 330; growth 210. */
    int64_t c011[IAPT_CYP_GROWTH_MONTHS];
    bool accepted[IAPT_CYP_GROWTH_MONTHS];
    for (int i = 0; i < IAPT_CYP_GROWTH_MONTHS; i++) {
        c011[i] = i < 12 ? 10 : 10 + i;
        accepted[i] = true;
    }
    int64_t growth = 0, recent = 0, earlier = 0;
    CHECK(iapt_cyp_access_growth(c011, accepted, &growth, &recent, &earlier));
    CHECK_EQ_INT(earlier, 120);
    CHECK_EQ_INT(recent, 330);
    CHECK_EQ_INT(growth, 210);
    /* Fewer: a negative growth. */
    c011[23] = 0;
    c011[0] = 500;
    CHECK(iapt_cyp_access_growth(c011, accepted, &growth, &recent, &earlier));
    CHECK_EQ_INT(earlier, 610);
    CHECK_EQ_INT(recent, 297);
    CHECK_EQ_INT(growth, -313);
    /* A month without an accepted submission, first or last: empty. */
    accepted[0] = false;
    CHECK(!iapt_cyp_access_growth(c011, accepted, &growth, &recent, &earlier));
    accepted[0] = true;
    accepted[23] = false;
    CHECK(!iapt_cyp_access_growth(c011, accepted, &growth, &recent, &earlier));
    accepted[23] = true;
    c011[5] = -1;
    CHECK(!iapt_cyp_access_growth(c011, accepted, &growth, &recent, &earlier));
}

TEST_MAIN(test_coverage, test_access_growth)
