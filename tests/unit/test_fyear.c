/* Unit tests of common/fyear.c: financial-year quarters and years, worked
 * out by hand from the calendar (Q1 April-June ... Q4 January-March). */
#include "common/date.h"
#include "common/err.h"
#include "common/fyear.h"
#include "tests/test.h"

static void
test_parse_quarter(void)
{
    iapt_fspan_t s;
    CHECK_EQ_INT(iapt_fspan_parse("2025/26-Q2", &s), 0);
    CHECK_EQ_INT(s.fy, 2025);
    CHECK_EQ_INT(s.quarter, 2);
    CHECK_EQ_INT(s.months, 3);
    CHECK_EQ_STR(s.first.text, "2025-07");
    CHECK_EQ_STR(s.last.text, "2025-09");
    CHECK_EQ_STR(s.text, "2025/26-Q2");
    CHECK_EQ_STR(s.label, "Q2 2025/26");
    char d[11];
    iapt_date_format(s.first.start, d);
    CHECK_EQ_STR(d, "2025-07-01");
    iapt_date_format(s.last.end, d);
    CHECK_EQ_STR(d, "2025-09-30");
    /* Q4 runs January-March of the next calendar year. */
    CHECK_EQ_INT(iapt_fspan_parse("2008/09-Q4", &s), 0);
    CHECK_EQ_STR(s.first.text, "2009-01");
    CHECK_EQ_STR(s.last.text, "2009-03");
    CHECK_EQ_STR(s.label, "Q4 2008/09");
    /* The century turns: 1999/00. */
    CHECK_EQ_INT(iapt_fspan_parse("1999/00-Q3", &s), 0);
    CHECK_EQ_STR(s.first.text, "1999-10");
    CHECK_EQ_STR(s.last.text, "1999-12");
}

static void
test_parse_year(void)
{
    iapt_fspan_t s;
    CHECK_EQ_INT(iapt_fspan_parse("2025/26", &s), 0);
    CHECK_EQ_INT(s.quarter, 0);
    CHECK_EQ_INT(s.months, 12);
    CHECK_EQ_STR(s.first.text, "2025-04");
    CHECK_EQ_STR(s.last.text, "2026-03");
    CHECK_EQ_STR(s.label, "2025/26");
    char d[11];
    iapt_date_format(s.last.end, d);
    CHECK_EQ_STR(d, "2026-03-31");
}

static void
test_parse_refuses(void)
{
    static const char *const bad[] = {
        "",          "2025",       "2025/27",    "2025/26-Q5",  "2025/26-Q0",
        "2025/26Q2", "2025/26-q2", "2025-26-Q2", "2025/26-Q2 ", "1899/00",
        "2025/2",    "2025/26-Q",  "2025-09",    "20x5/26"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        iapt_fspan_t s;
        CHECK_EQ_INT(iapt_fspan_parse(bad[i], &s), IAPT_EFORMAT);
    }
}

static void
test_quarter_of(void)
{
    /* month -> quarter text, by hand */
    static const struct {
        const char *month, *quarter, *year;
    } t[] = {
        {"2025-04", "2025/26-Q1", "2025/26"}, {"2025-06", "2025/26-Q1", "2025/26"},
        {"2025-07", "2025/26-Q2", "2025/26"}, {"2025-09", "2025/26-Q2", "2025/26"},
        {"2025-10", "2025/26-Q3", "2025/26"}, {"2025-12", "2025/26-Q3", "2025/26"},
        {"2026-01", "2025/26-Q4", "2025/26"}, {"2026-03", "2025/26-Q4", "2025/26"},
        {"2008-10", "2008/09-Q3", "2008/09"}, {"2009-03", "2008/09-Q4", "2008/09"},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        iapt_period_t p;
        iapt_fspan_t q, y;
        CHECK_EQ_INT(iapt_period_parse(t[i].month, &p), 0);
        iapt_fspan_quarter_of(&p, &q);
        iapt_fspan_year_of(&p, &y);
        CHECK_EQ_STR(q.text, t[i].quarter);
        CHECK_EQ_STR(y.text, t[i].year);
        CHECK(iapt_fspan_contains(&q, &p));
        CHECK(iapt_fspan_contains(&y, &p));
    }
}

static void
test_add_and_months(void)
{
    iapt_fspan_t s, o;
    CHECK_EQ_INT(iapt_fspan_parse("2025/26-Q1", &s), 0);
    iapt_fspan_add(&s, -1, &o);
    CHECK_EQ_STR(o.text, "2024/25-Q4");
    iapt_fspan_add(&s, 3, &o);
    CHECK_EQ_STR(o.text, "2025/26-Q4");
    iapt_fspan_add(&s, 4, &o);
    CHECK_EQ_STR(o.text, "2026/27-Q1");
    iapt_fspan_add(&s, -7, &o);
    CHECK_EQ_STR(o.text, "2023/24-Q2");
    iapt_period_t m;
    iapt_fspan_month(&o, 2, &m);
    CHECK_EQ_STR(m.text, "2023-09");
    CHECK_EQ_INT(iapt_fspan_parse("2025/26", &s), 0);
    iapt_fspan_add(&s, -17, &o);
    CHECK_EQ_STR(o.text, "2008/09");
    iapt_fspan_month(&s, 11, &m);
    CHECK_EQ_STR(m.text, "2026-03");
    iapt_period_t outside;
    iapt_period_make(2026, 4, &outside);
    CHECK(!iapt_fspan_contains(&s, &outside));
    iapt_period_make(2025, 3, &outside);
    CHECK(!iapt_fspan_contains(&s, &outside));
}

TEST_MAIN(test_parse_quarter, test_parse_year, test_parse_refuses, test_quarter_of,
          test_add_and_months)
