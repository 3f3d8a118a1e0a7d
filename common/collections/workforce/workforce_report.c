/* workforce_report.c - the workforce collection's section of the national
 * report (common/report.h): whole-time equivalents by role over the
 * quarters, trainees, weekly supervision and adult appointments per
 * clinical WTE (capacity against demand) by quarter for England and each
 * region, the latest quarter's headline figures, and the programme view:
 * staff trained since the first month against the national goal of 6,000,
 * and supervision capacity month by month. Nothing when the collection has
 * no data in the report's quarters. Workforce figures are stocks at the end
 * of a quarter's last month with data (docs/WORKFORCE-NOTES.md). */
#include "common/chart.h"
#include "common/collections/workforce/workforce_schema.h"
#include "common/err.h"
#include "common/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const s_ids[] = {"W001", "W002", "W004", "W005", "W010", "W011", "W020",
                                    "W022", "W030", "W032", "W033", "W040", "W041"};

static const iapt_report_kpi_t s_kpis[] = {
    {.measure = "W005",
     .title = "Trainees in post at the end of the quarter (W005, Count_TraineesInPost)",
     .y_label = "Staff"},
    {.measure = "W022",
     .title = "Eligible staff supervised every full week (W022, "
              "Percentage_WeeklySupervisionMet)",
     .y_label = "Percent",
     .percent = true},
    {.measure = "W040",
     .title = "Capacity against demand: adult appointments per clinical WTE a month (W040, "
              "Ratio_AppointmentsPerClinicalWTE)",
     .y_label = "Appointments",
     .note = "Over the providers that sent both their workforce and their adult month, month "
             "by month; a quarter adds its months' appointments and clinical WTE."},
};

static const char *const s_latest[][2] = {
    {"W001", "Staff in post (W001)"},
    {"W002", "WTE in post (W002)"},
    {"W004", "Clinical WTE (W004)"},
    {"W005", "Trainees (W005)"},
    {"W011", "Vacancy rate (W011, %)"},
    {"W022", "Weekly supervision met (W022, %)"},
    {"W030", "Supervisors (W030)"},
    {"W032", "Supervising more than five (W032)"},
    {"W033", "Trainees without a supervisor (W033)"},
    {"W041", "Entering treatment per clinical WTE a month (W041)"},
};

/* A figure of the programme view (region/measure/value/target/progress). */
static int
s_view_cell(iapt_buf_t *h, const Iapt__TargetRow *t, const char *col, const char *text)
{
    int rc = iapt_buf_printf(h, "<td data-collection=\"WORKFORCE\" data-region=\"");
    rc = rc ? rc : iapt_html_text(h, t->region);
    rc = rc ? rc : iapt_buf_printf(h, "\" data-pmeasure=\"");
    rc = rc ? rc : iapt_html_text(h, t->measure);
    rc = rc ? rc : iapt_buf_printf(h, "\" data-col=\"%s\">", col);
    rc = rc ? rc : iapt_html_text(h, text);
    return rc ? rc : iapt_buf_printf(h, "</td>");
}

/* The line of (region, "M <what>") in the view, what compared up to its
 * length (e.g. "trained since"), or NULL. */
static const Iapt__TargetRow *
s_line(const Iapt__TargetsResponse *t, const char *region, const char *month, const char *what,
       bool exact)
{
    size_t n = strlen(what);
    for (size_t i = 0; i < t->n_rows; i++) {
        const Iapt__TargetRow *x = t->rows[i];
        if (strcmp(x->region, region) != 0 || strncmp(x->measure, month, 7) != 0 ||
            x->measure[7] != ' ')
            continue;
        if (exact ? strcmp(x->measure + 8, what) == 0 : strncmp(x->measure + 8, what, n) == 0)
            return x;
    }
    return NULL;
}

#define S_MONTHS_MAX (3 * IAPT_REPORT_QUARTERS_MAX)

/* Trained since the first month against the goal, England, by month; then
 * the table of England's lines and the regions' supervision capacity. */
static int
s_programme(iapt_report_t *r, const char *collection, iapt_buf_t *h)
{
    Iapt__QueryResponse *v = NULL;
    int rc = iapt_report_section(r, h, "workforce-programme", 2,
                                 "Workforce: trained staff against the goal, and supervision "
                                 "capacity");
    rc = rc ? rc
            : iapt_buf_printf(h,
                              "<p class=\"note\">As <code>iapt-query targets --collection "
                              "WORKFORCE --period %s</code>: staff completing training each "
                              "month (W006), their running total since the first month with "
                              "workforce data against the national goal of 6,000, and the "
                              "supervisors (W030) of whom those with more than five trainees "
                              "(W032). Region figures are published like counts (* under 5, "
                              "others rounded to 5).</p>\n",
                              r->period.text);
    rc = rc ? rc : iapt_report_view_or_note(r, collection, "workforce-programme-missing", h, &v);
    if (rc || !v)
        return rc ? rc : iapt_buf_printf(h, "</section>\n");
    const Iapt__TargetsResponse *t = v->targets;
    /* The report's months, oldest first. */
    static char months[S_MONTHS_MAX][8];
    const char *xl[S_MONTHS_MAX];
    double y[S_MONTHS_MAX];
    bool pr[S_MONTHS_MAX];
    size_t nm = 0;
    iapt_period_t m = r->quarters[0].first;
    while (iapt_period_key(&m) <= iapt_period_key(&r->period) && nm < S_MONTHS_MAX) {
        snprintf(months[nm], sizeof months[nm], "%s", m.text);
        xl[nm] = months[nm];
        const Iapt__TargetRow *x = s_line(t, "England", m.text, "trained since", false);
        pr[nm] = x && iapt_report_number(x->value, &y[nm]);
        nm++;
        iapt_period_t next;
        iapt_period_add(&m, 1, &next);
        m = next;
    }
    static const char *const title =
        "Staff trained since the first month of workforce data, England, against the goal of "
        "6,000";
    iapt_chart_series_t se = {.label = "England", .y = y, .present = pr};
    iapt_chart_t c = {.title = title,
                      .x_label = "Month",
                      .y_label = "Staff trained",
                      .n_x = nm,
                      .x_labels = xl,
                      .n_series = 1,
                      .series = &se,
                      .has_goal = true,
                      .goal_label = "Goal: 6,000",
                      .goal = 6000};
    iapt_buf_t svg = IAPT_BUF_INIT;
    rc = iapt_chart_svg(&c, &svg);
    rc = rc ? rc : iapt_html_chart(h, ++r->n_charts, title, &svg);
    iapt_buf_free(&svg);
    rc = rc ? rc
            : iapt_buf_printf(h,
                              "<table class=\"data\" id=\"table-%d\">\n<caption>England, "
                              "month by month: figures</caption>\n<tr>",
                              r->n_charts);
    static const char *const heads[] = {
        "Month",           "Trained in the month", "Trained since",     "Goal",
        "Of the goal (%)", "Supervisors",          "Over five trainees"};
    for (size_t i = 0; i < sizeof heads / sizeof *heads && rc == 0; i++)
        rc = iapt_report_th(h, i ? NULL : "row", heads[i]);
    rc = rc ? rc : iapt_buf_printf(h, "</tr>\n");
    for (size_t i = 0; i < nm && rc == 0; i++) {
        const Iapt__TargetRow *in = s_line(t, "England", months[i], "trained in the month", true);
        const Iapt__TargetRow *since = s_line(t, "England", months[i], "trained since", false);
        const Iapt__TargetRow *sup = s_line(t, "England", months[i], "supervisors", true);
        const Iapt__TargetRow *over =
            s_line(t, "England", months[i], "supervisors over five trainees", true);
        if (!in && !since && !sup && !over)
            continue; /* before the first month with workforce data */
        rc = iapt_buf_printf(h, "<tr><th class=\"row\" scope=\"row\">%s</th>", months[i]);
        const Iapt__TargetRow *cells[] = {in, since, since, since, sup, over};
        static const char *const cols[] = {"value",    "value", "target",
                                           "progress", "value", "value"};
        for (size_t j = 0; j < 6 && rc == 0; j++) {
            const Iapt__TargetRow *x = cells[j];
            if (!x) {
                rc = iapt_buf_printf(h, "<td></td>");
                continue;
            }
            const char *text = strcmp(cols[j], "target") == 0     ? x->target
                               : strcmp(cols[j], "progress") == 0 ? x->progress
                                                                  : x->value;
            rc = s_view_cell(h, x, cols[j], text);
        }
        rc = rc ? rc : iapt_buf_printf(h, "</tr>\n");
    }
    rc = rc ? rc : iapt_buf_printf(h, "</table>\n");
    /* Supervision capacity per region, the last month. */
    rc = rc ? rc
            : iapt_buf_printf(h,
                              "<table class=\"data\" id=\"table-workforce-supervisors\">\n"
                              "<caption>Supervision capacity by region, %s</caption>\n<tr>",
                              r->period.text);
    rc = rc ? rc : iapt_report_th(h, "row", "Region");
    rc = rc ? rc : iapt_report_th(h, NULL, "Supervisors");
    rc = rc ? rc : iapt_report_th(h, NULL, "Over five trainees");
    rc = rc ? rc : iapt_buf_printf(h, "</tr>\n");
    for (size_t i = 0; i < t->n_rows && rc == 0; i++) {
        const Iapt__TargetRow *x = t->rows[i];
        if (strcmp(x->region, "England") == 0 || strncmp(x->measure, r->period.text, 7) != 0 ||
            strcmp(x->measure + 7, " supervisors") != 0)
            continue;
        const Iapt__TargetRow *over =
            s_line(t, x->region, r->period.text, "supervisors over five trainees", true);
        rc = iapt_buf_printf(h, "<tr><th class=\"row\" scope=\"row\">");
        rc = rc ? rc : iapt_html_text(h, x->region);
        rc = rc ? rc : iapt_buf_printf(h, "</th>");
        rc = rc ? rc : s_view_cell(h, x, "value", x->value);
        rc = rc     ? rc
             : over ? s_view_cell(h, over, "value", over->value)
                    : iapt_buf_printf(h, "<td></td>");
        rc = rc ? rc : iapt_buf_printf(h, "</tr>\n");
    }
    rc = rc ? rc : iapt_buf_printf(h, "</table>\n</section>\n");
    iapt__query_response__free_unpacked(v, NULL);
    return rc;
}

static int
s_workforce_section(iapt_report_t *r, const char *collection, iapt_buf_t *h)
{
    iapt_report_series_t s;
    int rc = iapt_report_series_open(r, &s, collection, s_ids, sizeof s_ids / sizeof *s_ids);
    if (rc <= 0)
        return rc; /* no data in the report's quarters: no section */
    rc = iapt_report_section(r, h, "collection-WORKFORCE", 1, "The workforce");
    rc = rc ? rc
            : iapt_buf_printf(h, "<p class=\"note\">Staff placed by their provider's home "
                                 "area (the hub's providers file). Staff in post, WTE, "
                                 "trainees, vacancies and supervisors are those at the end of "
                                 "the quarter's last month with data; supervision met is "
                                 "summed over the quarter's months. WTE has two decimals; "
                                 "below England counts are rounded to 5 and * under 5, as in "
                                 "the CSV.</p>\n");
    rc = rc ? rc : iapt_report_series_note(&s, h);
    rc = rc ? rc
            : iapt_report_level_chart(r, collection, "role", "W002",
                                      "Whole-time equivalent staff in post by role, England "
                                      "(W002, WTE_StaffInPost)",
                                      "WTE", h);
    rc = rc ? rc : iapt_report_kpi_charts(r, &s, s_kpis, sizeof s_kpis / sizeof *s_kpis, h);
    rc = rc ? rc
            : iapt_report_latest_table(r, &s, "table-workforce-latest",
                                       "The workforce: headline figures", s_latest,
                                       sizeof s_latest / sizeof *s_latest, h);
    rc = rc ? rc : iapt_buf_printf(h, "</section>\n");
    rc = rc ? rc : s_programme(r, collection, h);
    iapt_report_series_free(r, &s);
    return rc;
}

const iapt_report_part_t iapt_workforce_report_part = {.write = s_workforce_section};
