/* adult_report.c - the adult collection's section of the national report
 * (common/report.h): the four KPI charts by quarter with their goals, the
 * prevalence and 2015 targets table, the reporting rate, equality and
 * paired-score completeness (docs/FORMATS.md "The national report"). */
#include "common/collections/adult/adult_measures.h"
#include "common/err.h"
#include "common/report.h"

#include <stdio.h>
#include <string.h>

static const char *const s_kpi_ids[] = {"M031", "M076", "M192", "M237", "M201", "M198"};

static const iapt_report_kpi_t s_kpis[] = {
    {.measure = "M031",
     .title = "People entering treatment (M031, Count_AccessingServices)",
     .y_label = "Referrals"},
    {.measure = "M076",
     .title = "People completing a course of treatment (M076, Count_FinishedCourseTreatment)",
     .y_label = "Referrals",
     .goal = IAPT_REPORT_GOAL_OF_MEASURE,
     .goal_measure = "M031",
     .goal_factor = 0.66,
     .goal_label = "Goal: 66% of entering",
     .note = "The goal line is 66% of the people entering treatment in England in the "
             "quarter (M031 above, England row, times 0.66)."},
    {.measure = "M192",
     .title = "Recovery rate (M192, Percentage_Recovery)",
     .y_label = "Percent",
     .percent = true,
     .goal = IAPT_REPORT_GOAL_CONSTANT,
     .goal_value = 50,
     .goal_label = "Goal: 50%"},
    {.measure = "M237",
     .title = "People moving off sick pay (M237, Count_OffSickPay)",
     .y_label = "Referrals"},
};

static int
s_adult_kpis(iapt_report_t *r, const iapt_report_series_t *s, iapt_buf_t *h)
{
    int rc = iapt_report_section(r, h, "kpis", 2, "Key performance indicators by quarter");
    rc = rc ? rc
            : iapt_buf_printf(h, "<p class=\"note\">England and each region, "
                                 "financial quarters (Q1 April-June ... Q4 January-March), "
                                 "from the monthly cells merged: counts sum the months, rates "
                                 "come from the summed counts. Below England, counts are "
                                 "rounded to 5 and shown as * under 5, percentages are whole "
                                 "and * when their numerator or denominator is under 5, as "
                                 "in the CSV; a * leaves a gap in its line.</p>\n");
    rc = rc ? rc : iapt_report_series_note(s, h);
    rc = rc ? rc : iapt_report_kpi_charts(r, s, s_kpis, sizeof s_kpis / sizeof *s_kpis, h);
    return rc ? rc : iapt_buf_printf(h, "</section>\n");
}

static int
s_adult_targets(iapt_report_t *r, iapt_buf_t *h)
{
    Iapt__QueryResponse *a = NULL;
    int rc = iapt_report_section(r, h, "targets", 2, "Prevalence and the 2015 targets by region");
    /* A hub without a targets table: the section says so. */
    rc = rc ? rc : iapt_report_view_or_note(r, NULL, "targets-missing", h, &a);
    if (rc || !a)
        return rc ? rc : iapt_buf_printf(h, "</section>\n");
    rc = rc ? rc
            : iapt_buf_printf(h,
                              "<p class=\"note\">The 12 months to "
                              "%s (%u with data), as <code>iapt-query targets</code>.</p>\n"
                              "<table class=\"data\" id=\"table-targets\">\n<tr>",
                              r->period.text, a->targets->months_available);
    static const char *const heads[] = {"Region", "Measure", "Value", "Target", "Progress"};
    for (size_t i = 0; i < 5 && rc == 0; i++)
        rc = iapt_report_th(h, i < 2 ? "row" : NULL, heads[i]);
    rc = rc ? rc : iapt_buf_printf(h, "</tr>\n");
    for (size_t i = 0; rc == 0 && i < a->targets->n_rows; i++) {
        const Iapt__TargetRow *t = a->targets->rows[i];
        const char *f[] = {t->region, t->measure, t->value, t->target, t->progress};
        static const char *const keys[] = {"region", "measure", "value", "target", "progress"};
        rc = iapt_buf_printf(h, "<tr data-target-row=\"%zu\">", i);
        for (size_t j = 0; j < 5 && rc == 0; j++) {
            rc = iapt_buf_printf(h, "<td%s data-target=\"%s\">", j < 2 ? " class=\"row\"" : "",
                                 keys[j]);
            rc = rc ? rc : iapt_html_text(h, f[j]);
            rc = rc ? rc : iapt_buf_printf(h, "</td>");
        }
        rc = rc ? rc : iapt_buf_printf(h, "</tr>\n");
    }
    rc = rc ? rc : iapt_buf_printf(h, "</table>\n</section>\n");
    if (a)
        iapt__query_response__free_unpacked(a, NULL);
    return rc;
}

/* Providers submitting on time, per month of the report. */
static int
s_adult_reporting(iapt_report_t *r, iapt_buf_t *h)
{
    int rc = iapt_report_section(r, h, "reporting", 2, "Reporting rate");
    rc = rc ? rc
            : iapt_buf_printf(
                  h,
                  "<p class=\"note\">Per month: "
                  "providers expected (active in the registry), those with a current submission, "
                  "and "
                  "those whose current submission was accepted on time (before the hub's deadline "
                  "for the month; <code>iapt-query submissions</code> shows the others as "
                  "late).</p>\n"
                  "<table class=\"data\" id=\"table-reporting\">\n<tr>");
    static const char *const heads[] = {"Month", "Expected", "Submitted", "On time", "On time (%)"};
    for (size_t i = 0; i < 5 && rc == 0; i++)
        rc = iapt_report_th(h, i ? NULL : "row", heads[i]);
    rc = rc ? rc : iapt_buf_printf(h, "</tr>\n");
    iapt_period_t first = r->quarters[0].first;
    int n = (int)(iapt_period_key(&r->period) / 100 * 12 + iapt_period_key(&r->period) % 100) -
            (int)(iapt_period_key(&first) / 100 * 12 + iapt_period_key(&first) % 100) + 1;
    for (int i = 0; i < n && rc == 0; i++) {
        iapt_period_t m;
        iapt_period_add(&first, i, &m);
        Iapt__QueryResponse *a = NULL;
        if ((rc = iapt_report_ask_submissions(r, NULL, m.text, &a)) < 0)
            break;
        unsigned on_time = 0;
        for (size_t j = 0; j < a->submissions->n_submissions; j++) {
            const Iapt__SubmissionInfo *si = a->submissions->submissions[j];
            on_time += si->has_current && si->current && !(si->has_late && si->late);
        }
        unsigned exp = a->submissions->expected;
        /* whole percent, half up, exact */
        char pct[16] = "";
        if (exp)
            snprintf(pct, sizeof pct, "%u", (200u * on_time + exp) / (2u * exp));
        rc = iapt_buf_printf(h,
                             "<tr><th class=\"row\" scope=\"row\">%s</th>"
                             "<td data-month=\"%s\" data-count=\"expected\">%u</td>"
                             "<td data-month=\"%s\" data-count=\"received\">%u</td>"
                             "<td data-month=\"%s\" data-count=\"on_time\">%u</td>"
                             "<td>%s</td></tr>\n",
                             m.text, m.text, exp, m.text, a->submissions->received, m.text, on_time,
                             pct);
        iapt__query_response__free_unpacked(a, NULL);
    }
    return rc ? rc : iapt_buf_printf(h, "</table>\n</section>\n");
}

static int
s_adult_section(iapt_report_t *r, const char *collection, iapt_buf_t *h)
{
    (void)collection; /* the hub's default: its cells are marked without one */
    iapt_report_series_t s;
    int rc = iapt_report_series_fetch(r, &s, NULL, s_kpi_ids, sizeof s_kpi_ids / sizeof *s_kpi_ids);
    static const char *const paired[][2] = {{"M076", "Finished a course (M076)"},
                                            {"M201", "Paired PHQ-9 (M201)"},
                                            {"M198", "Paired anxiety measure (M198)"}};
    rc =
        rc ? rc : iapt_report_section(r, h, "collection-IAPT", 1, "Adult talking therapies (IAPT)");
    rc = rc ? rc : iapt_buf_printf(h, "</section>\n");
    rc = rc ? rc : s_adult_kpis(r, &s, h);
    rc = rc ? rc : s_adult_targets(r, h);
    rc = rc ? rc : s_adult_reporting(r, h);
    rc = rc ? rc : iapt_report_section(r, h, "equality", 2, "Equality");
    rc = rc ? rc
            : iapt_report_breakdown_table(r, &s, "ethnicity", "M192",
                                          "Recovery rate (M192) by ethnic group", h);
    rc = rc ? rc
            : iapt_report_breakdown_table(r, &s, "age", "M031",
                                          "Entering treatment (M031) by age band", h);
    rc = rc ? rc : iapt_buf_printf(h, "</section>\n");
    rc = rc ? rc : iapt_report_section(r, h, "completeness", 2, "Data completeness: paired scores");
    rc = rc ? rc
            : iapt_report_latest_table(r, &s, "table-paired",
                                       "Finishers and those with paired scores", paired, 3, h);
    rc = rc ? rc : iapt_buf_printf(h, "</section>\n");
    iapt_report_series_free(r, &s);
    return rc;
}

const iapt_report_part_t iapt_adult_report_part = {.write = s_adult_section};
