/* report.c - the national report (hub/report.h): asks the hub for the
 * quarterly measures, the targets view, the month's submissions and the
 * checkpoint, and writes the page; the adult collection's section. */
#include "hub/report.h"
#include "common/chart.h"
#include "common/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------
 * Asking the hub
 * ------------------------------------------------------------------------ */

static int
s_ask(iapt_client_t *c, Iapt__QueryRequest *q, Iapt__QueryResponse__BodyCase want, const char *what,
      Iapt__QueryResponse **resp)
{
    *resp = NULL;
    int rc = iapt_client_call(c, q, resp);
    if (rc == 0 && (*resp)->has_error) {
        rc = iapt_error_set(IAPT_EREFUSED, "%s: the hub refused: %s", what,
                            (*resp)->reason ? (*resp)->reason : "(no reason)");
    } else if (rc == 0 && (*resp)->body_case != want)
        rc = iapt_error_set(IAPT_EFORMAT, "%s: the hub answered with another kind of answer", what);
    if (rc < 0 && *resp) {
        iapt__query_response__free_unpacked(*resp, NULL);
        *resp = NULL;
    }
    return rc;
}

/* Measures of one span for England and the regions (breakdown may be NULL). */
static int
s_ask_measures(iapt_report_t *r, const char *span, const char *breakdown, const char *const *ids,
               size_t n_ids, Iapt__QueryResponse **resp)
{
    static const char *const groups[] = {"England", "Region"};
    Iapt__MeasuresRequest mr = IAPT__MEASURES_REQUEST__INIT;
    mr.period_from = (char *)span;
    mr.n_measure_ids = n_ids;
    mr.measure_ids = (char **)ids;
    mr.n_group_types = 2;
    mr.group_types = (char **)groups;
    mr.breakdown = (char *)breakdown;
    Iapt__QueryRequest q = IAPT__QUERY_REQUEST__INIT;
    q.body_case = IAPT__QUERY_REQUEST__BODY_MEASURES;
    q.measures = &mr;
    return s_ask(r->client, &q, IAPT__QUERY_RESPONSE__BODY_MEASURES, "measures", resp);
}

/* The value text of (group, code, level, measure) in a measures answer, or
 * NULL when the group is not there (no counted referral). */
static const char *
s_value(const Iapt__QueryResponse *resp, const char *group, const char *code, const char *level,
        const char *measure)
{
    for (size_t i = 0; i < resp->measures->n_rows; i++) {
        const Iapt__MeasureRow *m = resp->measures->rows[i];
        if (strcmp(m->group_type, group) == 0 && strcmp(m->measure_id, measure) == 0 &&
            (!code || strcmp(m->org_code1, code) == 0) &&
            (!level || (m->breakdown_level && strcmp(m->breakdown_level, level) == 0)))
            return m->value;
    }
    return NULL;
}

/* ---------------------------------------------------------------------------
 * Writing figures
 * ------------------------------------------------------------------------ */

/* A table cell holding a measure's CSV text, marked with where it is from.
 * A group missing from the answer is written as an empty cell marked
 * data-absent (the CSV has no row for it). */
static int
s_cell(iapt_buf_t *h, const char *span, const char *group, const char *code, const char *level,
       const char *measure, const char *value)
{
    int rc = iapt_buf_printf(h, "<td data-span=\"%s\" data-group=\"%s\" data-org=\"", span, group);
    rc = rc ? rc : iapt_html_text(h, code ? code : "all");
    rc = rc ? rc : iapt_buf_printf(h, "\" data-level=\"");
    rc = rc ? rc : iapt_html_text(h, level ? level : "");
    rc = rc ? rc
            : iapt_buf_printf(h, "\" data-measure=\"%s\"%s>", measure, value ? "" : " data-absent");
    rc = rc ? rc : iapt_html_text(h, value ? value : "");
    return rc ? rc : iapt_buf_printf(h, "</td>");
}

static int
s_th(iapt_buf_t *h, const char *cls, const char *text)
{
    int rc = iapt_buf_printf(h, "<th%s%s%s scope=\"col\">", cls ? " class=\"" : "", cls ? cls : "",
                             cls ? "\"" : "");
    rc = rc ? rc : iapt_html_text(h, text);
    return rc ? rc : iapt_buf_printf(h, "</th>");
}

/* A figure as a number for drawing: false for "*" (suppressed) or "". */
static bool
s_number(const char *v, double *out)
{
    if (!v || !*v || strcmp(v, "*") == 0)
        return false;
    char *end;
    *out = strtod(v, &end);
    return *end == 0;
}

/* ---------------------------------------------------------------------------
 * The adult collection: KPI charts by quarter
 * ------------------------------------------------------------------------ */

#define S_REGIONS_MAX (IAPT_CHART_SERIES_MAX - 1)

typedef struct {
    Iapt__QueryResponse *q[IAPT_REPORT_QUARTERS_MAX]; /* per quarter */
    size_t n_regions;
    const char *region_code[S_REGIONS_MAX];
    const char *region_name[S_REGIONS_MAX];
    size_t n_dropped; /* regions beyond S_REGIONS_MAX (answer rows) */
} s_kpi_t;

static const char *const s_kpi_ids[] = {"M031", "M076", "M192", "M237", "M201", "M198"};

typedef struct {
    const char *measure, *title, *y_label;
    bool percent;
    int goal; /* 0 none, 1 constant, 2 66% of England's M031 */
    double goal_value;
    const char *goal_label;
} s_kpi_def_t;

static const s_kpi_def_t s_kpis[] = {
    {"M031", "People entering treatment (M031, Count_AccessingServices)", "Referrals", false, 0, 0,
     NULL},
    {"M076", "People completing a course of treatment (M076, Count_FinishedCourseTreatment)",
     "Referrals", false, 2, 0, "Goal: 66% of entering"},
    {"M192", "Recovery rate (M192, Percentage_Recovery)", "Percent", true, 1, 50, "Goal: 50%"},
    {"M237", "People moving off sick pay (M237, Count_OffSickPay)", "Referrals", false, 0, 0, NULL},
};

static int
s_kpi_chart(iapt_report_t *r, s_kpi_t *k, const s_kpi_def_t *d, iapt_buf_t *h)
{
    size_t nx = (size_t)r->n_quarters, ns = 1 + k->n_regions;
    double *y = calloc(nx * (ns + 1), sizeof *y);
    bool *pr = calloc(nx * ns, sizeof *pr);
    const char *xl[IAPT_REPORT_QUARTERS_MAX];
    iapt_chart_series_t se[IAPT_CHART_SERIES_MAX];
    iapt_buf_t svg = IAPT_BUF_INIT;
    if (!y || !pr) {
        free(y);
        free(pr);
        return IAPT_ENOMEM;
    }
    double *goal = y + nx * ns;
    for (size_t i = 0; i < nx; i++) {
        xl[i] = r->label[i];
        double e;
        goal[i] = s_number(s_value(k->q[i], "England", NULL, NULL, "M031"), &e) ? e * 0.66 : 0;
    }
    for (size_t s = 0; s < ns; s++) {
        se[s].label = s == 0 ? "England" : k->region_name[s - 1];
        se[s].y = y + s * nx;
        se[s].present = pr + s * nx;
        for (size_t i = 0; i < nx; i++)
            pr[s * nx + i] = s_number(s_value(k->q[i], s ? "Region" : "England",
                                              s ? k->region_code[s - 1] : NULL, NULL, d->measure),
                                      &y[s * nx + i]);
    }
    iapt_chart_t c = {.title = d->title,
                      .x_label = "Financial quarter",
                      .y_label = d->y_label,
                      .n_x = nx,
                      .x_labels = xl,
                      .n_series = ns,
                      .series = se,
                      .has_goal = d->goal != 0,
                      .goal_label = d->goal_label,
                      .goal_y = d->goal == 2 ? goal : NULL,
                      .goal = d->goal_value,
                      .percent = d->percent};
    int rc = iapt_chart_svg(&c, &svg);
    if (rc == 0)
        rc = iapt_html_chart(h, ++r->n_charts, d->title, &svg);
    /* The data table under the chart: the CSV texts. */
    rc = rc ? rc
            : iapt_buf_printf(h, "<table class=\"data\" id=\"table-%d\">\n<caption>", r->n_charts);
    rc = rc ? rc : iapt_html_text(h, d->title);
    rc = rc ? rc : iapt_buf_printf(h, ": figures</caption>\n<tr>");
    rc = rc ? rc : s_th(h, "row", "Group");
    for (size_t i = 0; i < nx && rc == 0; i++)
        rc = s_th(h, NULL, xl[i]);
    rc = rc ? rc : iapt_buf_printf(h, "</tr>\n");
    for (size_t s = 0; s < ns && rc == 0; s++) {
        rc = iapt_buf_printf(h, "<tr><th class=\"row\" scope=\"row\">");
        rc = rc ? rc : iapt_html_text(h, se[s].label);
        rc = rc ? rc : iapt_buf_printf(h, "</th>");
        for (size_t i = 0; i < nx && rc == 0; i++) {
            const char *code = s ? k->region_code[s - 1] : NULL;
            const char *g = s ? "Region" : "England";
            rc = s_cell(h, r->quarters[i].text, g, code, NULL, d->measure,
                        s_value(k->q[i], g, code, NULL, d->measure));
        }
        rc = rc ? rc : iapt_buf_printf(h, "</tr>\n");
    }
    rc = rc ? rc : iapt_buf_printf(h, "</table>\n");
    if (rc == 0 && d->goal == 2)
        rc = iapt_buf_printf(h, "<p class=\"note\">The goal line is 66%% of the people entering "
                                "treatment in England in the quarter (M031 above, England row, "
                                "times 0.66).</p>\n");
    iapt_buf_free(&svg);
    free(y);
    free(pr);
    return rc;
}

static int
s_adult_kpis(iapt_report_t *r, s_kpi_t *k, iapt_buf_t *h)
{
    int rc = 0;
    for (int i = 0; i < r->n_quarters && rc == 0; i++)
        rc = s_ask_measures(r, r->quarters[i].text, NULL, s_kpi_ids,
                            sizeof s_kpi_ids / sizeof *s_kpi_ids, &k->q[i]);
    /* The regions: every one any quarter has, by code. */
    for (int i = 0; i < r->n_quarters && rc == 0; i++)
        for (size_t j = 0; j < k->q[i]->measures->n_rows; j++) {
            const Iapt__MeasureRow *m = k->q[i]->measures->rows[j];
            if (strcmp(m->group_type, "Region") != 0)
                continue;
            size_t at = 0;
            while (at < k->n_regions && strcmp(k->region_code[at], m->org_code1) < 0)
                at++;
            if (at < k->n_regions && strcmp(k->region_code[at], m->org_code1) == 0)
                continue;
            if (k->n_regions == S_REGIONS_MAX) {
                k->n_dropped++; /* documented: at most S_REGIONS_MAX regions */
                continue;
            }
            memmove(&k->region_code[at + 1], &k->region_code[at],
                    (k->n_regions - at) * sizeof *k->region_code);
            memmove(&k->region_name[at + 1], &k->region_name[at],
                    (k->n_regions - at) * sizeof *k->region_name);
            k->region_code[at] = m->org_code1;
            k->region_name[at] = m->org_name1;
            k->n_regions++;
        }
    rc = rc ? rc
            : iapt_buf_printf(h, "<section id=\"kpis\">\n<h2>Key performance indicators by "
                                 "quarter</h2>\n<p class=\"note\">England and each region, "
                                 "financial quarters (Q1 April-June ... Q4 January-March), "
                                 "from the monthly cells merged: counts sum the months, rates "
                                 "come from the summed counts. Below England, counts are "
                                 "rounded to 5 and shown as * under 5, percentages are whole "
                                 "and * when their numerator or denominator is under 5, as "
                                 "in the CSV; a * leaves a gap in its line.</p>\n");
    if (rc == 0 && k->n_dropped)
        rc = iapt_buf_printf(h,
                             "<p class=\"note\">Only the first %d regions by code are "
                             "shown; the CSV export has the others.</p>\n",
                             S_REGIONS_MAX);
    for (size_t i = 0; i < sizeof s_kpis / sizeof *s_kpis && rc == 0; i++)
        rc = s_kpi_chart(r, k, &s_kpis[i], h);
    return rc ? rc : iapt_buf_printf(h, "</section>\n");
}

/* Paired scores among finishers, the latest quarter. */
static int
s_adult_completeness(iapt_report_t *r, s_kpi_t *k, iapt_buf_t *h)
{
    const iapt_fspan_t *q = &r->quarters[r->n_quarters - 1];
    const Iapt__QueryResponse *a = k->q[r->n_quarters - 1];
    int rc = iapt_buf_printf(h,
                             "<section id=\"completeness\">\n<h2>Data completeness: paired "
                             "scores, %s</h2>\n<table class=\"data\" id=\"table-paired\">\n"
                             "<caption>Finishers and those with paired scores</caption>\n<tr>",
                             r->label[r->n_quarters - 1]);
    static const char *const cols[][2] = {{"M076", "Finished a course (M076)"},
                                          {"M201", "Paired PHQ-9 (M201)"},
                                          {"M198", "Paired anxiety measure (M198)"}};
    rc = rc ? rc : s_th(h, "row", "Group");
    for (size_t c = 0; c < 3 && rc == 0; c++)
        rc = s_th(h, NULL, cols[c][1]);
    rc = rc ? rc : iapt_buf_printf(h, "</tr>\n");
    for (size_t s = 0; s <= k->n_regions && rc == 0; s++) {
        const char *g = s ? "Region" : "England", *code = s ? k->region_code[s - 1] : NULL;
        rc = iapt_buf_printf(h, "<tr><th class=\"row\" scope=\"row\">");
        rc = rc ? rc : iapt_html_text(h, s ? k->region_name[s - 1] : "England");
        rc = rc ? rc : iapt_buf_printf(h, "</th>");
        for (size_t c = 0; c < 3 && rc == 0; c++)
            rc = s_cell(h, q->text, g, code, NULL, cols[c][0],
                        s_value(a, g, code, NULL, cols[c][0]));
        rc = rc ? rc : iapt_buf_printf(h, "</tr>\n");
    }
    return rc ? rc : iapt_buf_printf(h, "</table>\n</section>\n");
}

/* One measure by the levels of a breakdown, England and regions, the
 * latest quarter. */
static int
s_adult_breakdown(iapt_report_t *r, s_kpi_t *k, const char *breakdown, const char *measure,
                  const char *title, iapt_buf_t *h)
{
    const iapt_fspan_t *q = &r->quarters[r->n_quarters - 1];
    Iapt__QueryResponse *a = NULL;
    const char *ids[] = {measure};
    int rc = s_ask_measures(r, q->text, breakdown, ids, 1, &a);
    rc = rc ? rc : iapt_buf_printf(h, "<h3>");
    rc = rc ? rc : iapt_html_text(h, title);
    rc = rc ? rc
            : iapt_buf_printf(h, ", %s</h3>\n<table class=\"data\" id=\"table-%s\">\n<tr>",
                              r->label[r->n_quarters - 1], breakdown);
    rc = rc ? rc : s_th(h, "row", "Level");
    rc = rc ? rc : s_th(h, NULL, "England");
    for (size_t s = 0; s < k->n_regions && rc == 0; s++)
        rc = s_th(h, NULL, k->region_name[s]);
    rc = rc ? rc : iapt_buf_printf(h, "</tr>\n");
    /* The levels in the order the answer gives them (England's rows). */
    for (size_t i = 0; rc == 0 && i < a->measures->n_rows; i++) {
        const Iapt__MeasureRow *m = a->measures->rows[i];
        if (strcmp(m->group_type, "England") != 0)
            continue;
        rc = iapt_buf_printf(h, "<tr><th class=\"row\" scope=\"row\">");
        rc = rc ? rc : iapt_html_text(h, m->breakdown_level);
        rc = rc ? rc : iapt_buf_printf(h, "</th>");
        rc = rc ? rc : s_cell(h, q->text, "England", NULL, m->breakdown_level, measure, m->value);
        for (size_t s = 0; s < k->n_regions && rc == 0; s++)
            rc = s_cell(h, q->text, "Region", k->region_code[s], m->breakdown_level, measure,
                        s_value(a, "Region", k->region_code[s], m->breakdown_level, measure));
        rc = rc ? rc : iapt_buf_printf(h, "</tr>\n");
    }
    rc = rc ? rc : iapt_buf_printf(h, "</table>\n");
    if (a)
        iapt__query_response__free_unpacked(a, NULL);
    return rc;
}

static int
s_adult_targets(iapt_report_t *r, iapt_buf_t *h)
{
    Iapt__TargetsRequest tr = IAPT__TARGETS_REQUEST__INIT;
    tr.period = r->period.text;
    Iapt__QueryRequest q = IAPT__QUERY_REQUEST__INIT;
    q.body_case = IAPT__QUERY_REQUEST__BODY_TARGETS;
    q.targets = &tr;
    Iapt__QueryResponse *a = NULL;
    int rc = s_ask(r->client, &q, IAPT__QUERY_RESPONSE__BODY_TARGETS, "targets", &a);
    if (rc == IAPT_EREFUSED) {
        /* e.g. a hub without a targets table: the section says so. */
        rc = iapt_buf_printf(h, "<section id=\"targets\">\n<h2>Prevalence and the 2015 targets "
                                "by region</h2>\n<p class=\"note\" id=\"targets-missing\">Not "
                                "available: ");
        rc = rc ? rc : iapt_html_text(h, iapt_error_detail());
        return rc ? rc : iapt_buf_printf(h, ".</p>\n</section>\n");
    }
    rc = rc ? rc
            : iapt_buf_printf(h,
                              "<section id=\"targets\">\n<h2>Prevalence and the 2015 "
                              "targets by region</h2>\n<p class=\"note\">The 12 months to "
                              "%s (%u with data), as <code>iapt-query targets</code>.</p>\n"
                              "<table class=\"data\" id=\"table-targets\">\n<tr>",
                              r->period.text, a->targets->months_available);
    static const char *const heads[] = {"Region", "Measure", "Value", "Target", "Progress"};
    for (size_t i = 0; i < 5 && rc == 0; i++)
        rc = s_th(h, i < 2 ? "row" : NULL, heads[i]);
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
    int rc = iapt_buf_printf(
        h, "<section id=\"reporting\">\n<h2>Reporting rate</h2>\n<p class=\"note\">Per month: "
           "providers expected (active in the registry), those with a current submission, and "
           "those whose current submission was accepted on time (before the hub's deadline "
           "for the month; <code>iapt-query submissions</code> shows the others as late).</p>\n"
           "<table class=\"data\" id=\"table-reporting\">\n<tr>");
    static const char *const heads[] = {"Month", "Expected", "Submitted", "On time", "On time (%)"};
    for (size_t i = 0; i < 5 && rc == 0; i++)
        rc = s_th(h, i ? NULL : "row", heads[i]);
    rc = rc ? rc : iapt_buf_printf(h, "</tr>\n");
    iapt_period_t first = r->quarters[0].first;
    int n = (int)(iapt_period_key(&r->period) / 100 * 12 + iapt_period_key(&r->period) % 100) -
            (int)(iapt_period_key(&first) / 100 * 12 + iapt_period_key(&first) % 100) + 1;
    for (int i = 0; i < n && rc == 0; i++) {
        iapt_period_t m;
        iapt_period_add(&first, i, &m);
        Iapt__SubmissionsRequest sr = IAPT__SUBMISSIONS_REQUEST__INIT;
        sr.period = m.text;
        Iapt__QueryRequest q = IAPT__QUERY_REQUEST__INIT;
        q.body_case = IAPT__QUERY_REQUEST__BODY_SUBMISSIONS;
        q.submissions = &sr;
        Iapt__QueryResponse *a = NULL;
        if ((rc = s_ask(r->client, &q, IAPT__QUERY_RESPONSE__BODY_SUBMISSIONS, "submissions", &a)) <
            0)
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
s_adult_section(iapt_report_t *r, iapt_buf_t *h)
{
    s_kpi_t k;
    memset(&k, 0, sizeof k);
    int rc = iapt_buf_printf(h, "<section id=\"collection-IAPT\">\n<h2>Adult talking therapies "
                                "(IAPT)</h2>\n</section>\n");
    rc = rc ? rc : s_adult_kpis(r, &k, h);
    rc = rc ? rc : s_adult_targets(r, h);
    rc = rc ? rc : s_adult_reporting(r, h);
    rc = rc ? rc : iapt_buf_printf(h, "<section id=\"equality\">\n<h2>Equality</h2>\n");
    rc = rc ? rc
            : s_adult_breakdown(r, &k, "ethnicity", "M192", "Recovery rate (M192) by ethnic group",
                                h);
    rc = rc ? rc
            : s_adult_breakdown(r, &k, "age", "M031", "Entering treatment (M031) by age band", h);
    rc = rc ? rc : iapt_buf_printf(h, "</section>\n");
    rc = rc ? rc : s_adult_completeness(r, &k, h);
    for (int i = 0; i < r->n_quarters; i++)
        if (k.q[i])
            iapt__query_response__free_unpacked(k.q[i], NULL);
    return rc;
}

/* Each collection's section, in report order. The CYP and workforce
 * collections add their lines here ({"CYP", s_cyp_section}, {"WORKFORCE",
 * s_workforce_section}) when their hub halves have data. */
static const iapt_report_section_t s_sections[] = {
    {"IAPT", s_adult_section},
};

/* ---------------------------------------------------------------------------
 * The page
 * ------------------------------------------------------------------------ */

int
iapt_report_build(iapt_client_t *client, const iapt_report_opts_t *o, iapt_buf_t *h)
{
    iapt_report_t r;
    memset(&r, 0, sizeof r);
    r.client = client;
    if (!o->period || iapt_period_parse(o->period, &r.period) < 0)
        return iapt_error_set(IAPT_EUSAGE, "report: --period must be YYYY-MM");
    if (o->quarters < 1 || o->quarters > IAPT_REPORT_QUARTERS_MAX)
        return iapt_error_set(IAPT_EUSAGE, "report: --quarters must be 1 to %d",
                              IAPT_REPORT_QUARTERS_MAX);
    r.n_quarters = o->quarters;
    iapt_fspan_t last;
    iapt_fspan_quarter_of(&r.period, &last);
    for (int i = 0; i < r.n_quarters; i++)
        iapt_fspan_add(&last, i - (r.n_quarters - 1), &r.quarters[i]);

    /* Which months of each quarter hold data (a provider submitted): a
     * quarter with fewer than three is labelled as partial. Months after
     * the report's period do not count. */
    for (int i = 0; i < r.n_quarters; i++) {
        for (int j = 0; j < 3; j++) {
            iapt_period_t m;
            iapt_fspan_month(&r.quarters[i], j, &m);
            if (iapt_period_key(&m) > iapt_period_key(&r.period))
                break;
            Iapt__SubmissionsRequest sr = IAPT__SUBMISSIONS_REQUEST__INIT;
            sr.period = m.text;
            Iapt__QueryRequest sq = IAPT__QUERY_REQUEST__INIT;
            sq.body_case = IAPT__QUERY_REQUEST__BODY_SUBMISSIONS;
            sq.submissions = &sr;
            Iapt__QueryResponse *a = NULL;
            int src = s_ask(client, &sq, IAPT__QUERY_RESPONSE__BODY_SUBMISSIONS, "submissions", &a);
            if (src < 0)
                return src;
            r.months_with_data[i] += a->submissions->received > 0;
            iapt__query_response__free_unpacked(a, NULL);
        }
        char lab[sizeof r.label[i]];
        if (r.months_with_data[i] == 3)
            snprintf(lab, sizeof lab, "%s", r.quarters[i].label);
        else
            snprintf(lab, sizeof lab, "%s (%d of 3 months)", r.quarters[i].label,
                     r.months_with_data[i]);
        memcpy(r.label[i], lab, sizeof lab);
    }

    /* The checkpoint the figures are drawn from: asked first, so every
     * record counted below is inside the tree it names. */
    Iapt__CheckpointRequest cr = IAPT__CHECKPOINT_REQUEST__INIT;
    Iapt__QueryRequest q = IAPT__QUERY_REQUEST__INIT;
    q.body_case = IAPT__QUERY_REQUEST__BODY_CHECKPOINT;
    q.checkpoint = &cr;
    Iapt__QueryResponse *cp = NULL;
    int rc = s_ask(client, &q, IAPT__QUERY_RESPONSE__BODY_CHECKPOINT, "checkpoint", &cp);
    if (rc < 0)
        return rc;
    /* The checkpoint's text: origin, size, root (base64), blank, signatures. */
    char origin[256] = "", root[128] = "";
    const char *t = cp->checkpoint->checkpoint;
    const char *nl = strchr(t, '\n');
    if (nl && (size_t)(nl - t) < sizeof origin) {
        memcpy(origin, t, (size_t)(nl - t));
        const char *nl2 = strchr(nl + 1, '\n');
        const char *nl3 = nl2 ? strchr(nl2 + 1, '\n') : NULL;
        if (nl3 && (size_t)(nl3 - nl2 - 1) < sizeof root)
            memcpy(root, nl2 + 1, (size_t)(nl3 - nl2 - 1));
    }
    char title[96];
    snprintf(title, sizeof title, "NHS Talking Therapies: national report, %s to %s",
             r.quarters[0].label, r.quarters[r.n_quarters - 1].label);
    rc = iapt_html_head(h, title);
    rc = rc ? rc : iapt_buf_printf(h, "<h1>");
    rc = rc ? rc : iapt_html_text(h, title);
    rc = rc ? rc
            : iapt_buf_printf(h,
                              "</h1>\n<p>Months up to %s. Drawn from the transparency log "
                              "checkpoint of <span id=\"checkpoint-origin\">",
                              r.period.text);
    rc = rc ? rc : iapt_html_text(h, origin);
    rc = rc ? rc
            : iapt_buf_printf(h,
                              "</span> at tree size <span id=\"checkpoint-size\">%llu</span>, "
                              "root <code id=\"checkpoint-root\">",
                              (unsigned long long)cp->checkpoint->tree_size);
    rc = rc ? rc : iapt_html_text(h, root);
    rc = rc ? rc
            : iapt_buf_printf(h, "</code>: an auditor can recompute every figure from the signed "
                                 "records with <code>iapt-audit</code>. Every figure is one "
                                 "<code>iapt-query measures --quarter Q --format csv</code>, "
                                 "<code>targets</code> or <code>submissions</code> export too, "
                                 "with the same disclosure control.</p>\n");
    iapt__query_response__free_unpacked(cp, NULL);
    for (size_t i = 0; i < sizeof s_sections / sizeof *s_sections && rc == 0; i++)
        rc = s_sections[i].write(&r, h);
    return rc ? rc : iapt_html_tail(h);
}
