/* cyp_report.c - the children and young people's collection's section of
 * the national report (common/report.h): access, measurable improvement
 * and first contact within four weeks by quarter for England and each
 * region, the latest quarter's headline figures, and the programme view
 * (coverage of the 0-19 population, access growth, the children's
 * wellbeing practitioner teams). Nothing when the collection has no data
 * in the report's quarters. */
#include "common/collections/cyp/cyp_schema.h"
#include "common/err.h"
#include "common/report.h"

#include <string.h>

static const char *const s_ids[] = {"C001", "C010", "C011", "C013", "C040", "C042", "C061", "C063"};

static const iapt_report_kpi_t s_kpis[] = {
    {.measure = "C011",
     .title = "Children and young people accessing services: a second attended contact in the "
              "quarter (C011, Count_SecondContact)",
     .y_label = "Referrals"},
    {.measure = "C042",
     .title = "Measurable improvement among outcome-eligible closures (C042, "
              "Percentage_MeasurableImprovement)",
     .y_label = "Percent",
     .percent = true},
    {.measure = "C063",
     .title = "First attended contact within 4 weeks of referral (C063, "
              "Percentage_FirstContactWithin4Weeks)",
     .y_label = "Percent",
     .percent = true},
};

static const char *const s_latest[][2] = {
    {"C001", "Referrals received (C001)"},
    {"C010", "First attended contact (C010)"},
    {"C011", "Second attended contact (C011)"},
    {"C013", "Waiting for a first contact at the end (C013)"},
    {"C040", "Outcome-eligible closures (C040)"},
    {"C042", "Measurable improvement (C042, %)"},
    {"C061", "Median wait for a first contact (C061, days)"},
    {"C063", "Within 4 weeks (C063, %)"},
};

static int
s_programme(iapt_report_t *r, const char *collection, iapt_buf_t *h)
{
    Iapt__QueryResponse *v = NULL;
    int rc =
        iapt_report_section(r, h, "cyp-programme", 2,
                            "Children and young people: the programme view, %s", r->period.text);
    rc = rc ? rc
            : iapt_buf_printf(h,
                              "<p class=\"note\">As "
                              "<code>iapt-query targets --collection CYP --period %s</code>: "
                              "coverage of the 0-19 population by the home areas of the "
                              "providers that submitted; access growth (second contacts over "
                              "the 12 months to the period against the 12 before, empty "
                              "until 24 months hold data); the referrals of the month to "
                              "children's wellbeing practitioner (CWP) teams, per provider, "
                              "suppressed as Provider-level figures.</p>\n",
                              r->period.text);
    rc = rc ? rc : iapt_report_view_or_note(r, collection, "cyp-programme-missing", h, &v);
    rc = rc || !v ? rc
                  : iapt_report_view_table(h, collection, v, "coverage", "table-cyp-coverage",
                                           "Coverage of the population aged 0-19");
    rc = rc || !v
             ? rc
             : iapt_report_view_table(h, collection, v, "access_growth", "table-cyp-access-growth",
                                      "Access growth: second contacts, 12 months against "
                                      "the 12 before");
    rc = rc || !v ? rc
                  : iapt_report_view_table(h, collection, v, "cwp_teams", "table-cyp-cwp",
                                           "Children's wellbeing practitioner teams (TeamType "
                                           "CWP): first and second contacts, measurable "
                                           "improvement");
    if (v)
        iapt__query_response__free_unpacked(v, NULL);
    return rc ? rc : iapt_buf_printf(h, "</section>\n");
}

static int
s_cyp_section(iapt_report_t *r, const char *collection, iapt_buf_t *h)
{
    iapt_report_series_t s;
    int rc = iapt_report_series_open(r, &s, collection, s_ids, sizeof s_ids / sizeof *s_ids);
    if (rc <= 0)
        return rc; /* no data in the report's quarters: no section */
    rc = iapt_report_section(r, h, "collection-CYP", 1,
                             "Children and young people's mental health services (CYP IAPT)");
    rc = rc ? rc
            : iapt_buf_printf(h, "<p class=\"note\">Referrals placed by their commissioner, "
                                 "financial quarters merged from the monthly cells as for the "
                                 "adult figures (open and waiting referrals are those at the "
                                 "end of the quarter's last month with data), with the same "
                                 "disclosure control.</p>\n");
    rc = rc ? rc : iapt_report_series_note(&s, h);
    rc = rc ? rc : iapt_report_kpi_charts(r, &s, s_kpis, sizeof s_kpis / sizeof *s_kpis, h);
    rc = rc ? rc
            : iapt_report_latest_table(r, &s, "table-cyp-latest",
                                       "Children and young people: headline figures", s_latest,
                                       sizeof s_latest / sizeof *s_latest, h);
    rc = rc ? rc : iapt_buf_printf(h, "</section>\n");
    rc = rc ? rc : s_programme(r, collection, h);
    iapt_report_series_free(r, &s);
    return rc;
}

const iapt_report_part_t iapt_cyp_report_part = {.write = s_cyp_section};
