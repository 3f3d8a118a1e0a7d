/* report.c - the pieces every section of the national report is written
 * with (common/report.h): asking the hub, marked figure cells, quarterly
 * charts with their data tables, tables by breakdown level. */
#include "common/report.h"
#include "common/chart.h"
#include "common/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------
 * Asking the hub
 * ------------------------------------------------------------------------ */

int
iapt_report_ask(iapt_report_t *r, Iapt__QueryRequest *q, const char *collection,
                Iapt__QueryResponse__BodyCase want, const char *what, Iapt__QueryResponse **resp)
{
    *resp = NULL;
    q->collection = (char *)collection;
    int rc = iapt_client_call(r->client, q, resp);
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

static int
s_ask_measures(iapt_report_t *r, const char *collection, const char *span, const char *breakdown,
               const char *const *ids, size_t n_ids, size_t n_groups, Iapt__QueryResponse **resp)
{
    static const char *const groups[] = {"England", "Region"};
    Iapt__MeasuresRequest mr = IAPT__MEASURES_REQUEST__INIT;
    mr.period_from = (char *)span;
    mr.n_measure_ids = n_ids;
    mr.measure_ids = (char **)ids;
    mr.n_group_types = n_groups;
    mr.group_types = (char **)groups;
    mr.breakdown = (char *)breakdown;
    Iapt__QueryRequest q = IAPT__QUERY_REQUEST__INIT;
    q.body_case = IAPT__QUERY_REQUEST__BODY_MEASURES;
    q.measures = &mr;
    return iapt_report_ask(r, &q, collection, IAPT__QUERY_RESPONSE__BODY_MEASURES, "measures",
                           resp);
}

int
iapt_report_ask_measures(iapt_report_t *r, const char *collection, const char *span,
                         const char *breakdown, const char *const *ids, size_t n_ids,
                         Iapt__QueryResponse **resp)
{
    return s_ask_measures(r, collection, span, breakdown, ids, n_ids, 2, resp);
}

int
iapt_report_ask_submissions(iapt_report_t *r, const char *collection, const char *month,
                            Iapt__QueryResponse **resp)
{
    Iapt__SubmissionsRequest sr = IAPT__SUBMISSIONS_REQUEST__INIT;
    sr.period = (char *)month;
    Iapt__QueryRequest q = IAPT__QUERY_REQUEST__INIT;
    q.body_case = IAPT__QUERY_REQUEST__BODY_SUBMISSIONS;
    q.submissions = &sr;
    return iapt_report_ask(r, &q, collection, IAPT__QUERY_RESPONSE__BODY_SUBMISSIONS, "submissions",
                           resp);
}

const char *
iapt_report_value(const Iapt__QueryResponse *resp, const char *group, const char *code,
                  const char *level, const char *measure)
{
    if (!resp)
        return NULL;
    for (size_t i = 0; i < resp->measures->n_rows; i++) {
        const Iapt__MeasureRow *m = resp->measures->rows[i];
        if (strcmp(m->group_type, group) == 0 && strcmp(m->measure_id, measure) == 0 &&
            (!code || strcmp(m->org_code1, code) == 0) &&
            (!level || (m->breakdown_level && strcmp(m->breakdown_level, level) == 0)))
            return m->value;
    }
    return NULL;
}

bool
iapt_report_number(const char *v, double *out)
{
    if (!v || !*v || strcmp(v, "*") == 0)
        return false;
    char *end;
    *out = strtod(v, &end);
    return *end == 0;
}

/* ---------------------------------------------------------------------------
 * Writing figures
 * ------------------------------------------------------------------------ */

int
iapt_report_cell(iapt_buf_t *h, const char *collection, const char *span, const char *group,
                 const char *code, const char *level, const char *measure, const char *value)
{
    int rc = iapt_buf_printf(h, "<td");
    if (collection && rc == 0) {
        rc = iapt_buf_printf(h, " data-collection=\"");
        rc = rc ? rc : iapt_html_text(h, collection);
        rc = rc ? rc : iapt_buf_printf(h, "\"");
    }
    rc = rc ? rc
            : iapt_buf_printf(h, " data-span=\"%s\" data-group=\"%s\" data-org=\"", span, group);
    rc = rc ? rc : iapt_html_text(h, code ? code : "all");
    rc = rc ? rc : iapt_buf_printf(h, "\" data-level=\"");
    rc = rc ? rc : iapt_html_text(h, level ? level : "");
    rc = rc ? rc
            : iapt_buf_printf(h, "\" data-measure=\"%s\"%s>", measure, value ? "" : " data-absent");
    rc = rc ? rc : iapt_html_text(h, value ? value : "");
    return rc ? rc : iapt_buf_printf(h, "</td>");
}

int
iapt_report_section(iapt_report_t *r, iapt_buf_t *h, const char *id, int level, const char *fmt,
                    ...)
{
    char title[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(title, sizeof title, fmt, ap);
    va_end(ap);
    if (r->n_toc < IAPT_REPORT_TOC_MAX) {
        snprintf(r->toc[r->n_toc].id, sizeof r->toc[r->n_toc].id, "%s", id);
        snprintf(r->toc[r->n_toc].title, sizeof r->toc[r->n_toc].title, "%s", title);
        r->toc[r->n_toc].level = level;
        r->n_toc++;
    }
    int rc = iapt_buf_printf(h, "<section id=\"%s\">\n<h2>", id);
    rc = rc ? rc : iapt_html_text(h, title);
    return rc ? rc : iapt_buf_printf(h, "</h2>\n");
}

int
iapt_report_th(iapt_buf_t *h, const char *cls, const char *text)
{
    int rc = iapt_buf_printf(h, "<th%s%s%s scope=\"col\">", cls ? " class=\"" : "", cls ? cls : "",
                             cls ? "\"" : "");
    rc = rc ? rc : iapt_html_text(h, text);
    return rc ? rc : iapt_buf_printf(h, "</th>");
}

/* A row header: <tr><th class="row" scope="row">text</th>. */
static int
s_row_head(iapt_buf_t *h, const char *text)
{
    int rc = iapt_buf_printf(h, "<tr><th class=\"row\" scope=\"row\">");
    rc = rc ? rc : iapt_html_text(h, text);
    return rc ? rc : iapt_buf_printf(h, "</th>");
}

/* The head of a data table under chart N: caption and the quarters. */
static int
s_chart_table_head(iapt_report_t *r, const char *title, const char *first, iapt_buf_t *h)
{
    int rc = iapt_buf_printf(h, "<table class=\"data\" id=\"table-%d\">\n<caption>", r->n_charts);
    rc = rc ? rc : iapt_html_text(h, title);
    rc = rc ? rc : iapt_buf_printf(h, ": figures</caption>\n<tr>");
    rc = rc ? rc : iapt_report_th(h, "row", first);
    for (int i = 0; i < r->n_quarters && rc == 0; i++)
        rc = iapt_report_th(h, NULL, r->label[i]);
    return rc ? rc : iapt_buf_printf(h, "</tr>\n");
}

/* ---------------------------------------------------------------------------
 * Quarterly series
 * ------------------------------------------------------------------------ */

int
iapt_report_series_fetch(iapt_report_t *r, iapt_report_series_t *s, const char *collection,
                         const char *const *ids, size_t n_ids)
{
    memset(s, 0, sizeof *s);
    s->collection = collection;
    int rc = 0;
    for (int i = 0; i < r->n_quarters && rc == 0; i++)
        rc = iapt_report_ask_measures(r, collection, r->quarters[i].text, NULL, ids, n_ids,
                                      &s->q[i]);
    /* The regions: every one any quarter has, by code. */
    for (int i = 0; i < r->n_quarters && rc == 0; i++)
        for (size_t j = 0; j < s->q[i]->measures->n_rows; j++) {
            const Iapt__MeasureRow *m = s->q[i]->measures->rows[j];
            if (strcmp(m->group_type, "Region") != 0)
                continue;
            size_t at = 0;
            while (at < s->n_regions && strcmp(s->region_code[at], m->org_code1) < 0)
                at++;
            if (at < s->n_regions && strcmp(s->region_code[at], m->org_code1) == 0)
                continue;
            if (s->n_regions == IAPT_REPORT_REGIONS_MAX) {
                s->n_dropped++; /* documented: at most IAPT_REPORT_REGIONS_MAX */
                continue;
            }
            memmove(&s->region_code[at + 1], &s->region_code[at],
                    (s->n_regions - at) * sizeof *s->region_code);
            memmove(&s->region_name[at + 1], &s->region_name[at],
                    (s->n_regions - at) * sizeof *s->region_name);
            s->region_code[at] = m->org_code1;
            s->region_name[at] = m->org_name1;
            s->n_regions++;
        }
    return rc;
}

void
iapt_report_series_free(iapt_report_t *r, iapt_report_series_t *s)
{
    for (int i = 0; i < r->n_quarters; i++)
        if (s->q[i]) {
            iapt__query_response__free_unpacked(s->q[i], NULL);
            s->q[i] = NULL;
        }
}

bool
iapt_report_series_has_data(const iapt_report_t *r, const iapt_report_series_t *s)
{
    for (int i = 0; i < r->n_quarters; i++)
        for (size_t j = 0; s->q[i] && j < s->q[i]->measures->n_rows; j++)
            if (strcmp(s->q[i]->measures->rows[j]->group_type, "England") == 0)
                return true;
    return false;
}

int
iapt_report_series_open(iapt_report_t *r, iapt_report_series_t *s, const char *collection,
                        const char *const *ids, size_t n_ids)
{
    int rc = iapt_report_series_fetch(r, s, collection, ids, n_ids);
    if (rc == 0 && iapt_report_series_has_data(r, s))
        return 1;
    iapt_report_series_free(r, s);
    return rc;
}

int
iapt_report_series_note(const iapt_report_series_t *s, iapt_buf_t *h)
{
    if (!s->n_dropped)
        return 0;
    return iapt_buf_printf(h,
                           "<p class=\"note\">Only the first %d regions by code are shown; "
                           "the CSV export has the others.</p>\n",
                           IAPT_REPORT_REGIONS_MAX);
}

/* Draw a chart over the quarters and write its figure. y and present hold
 * n_series rows of n_quarters. */
static int
s_draw(iapt_report_t *r, const char *title, const char *y_label, bool percent, size_t ns,
       const char *const *labels, double *y, bool *pr, const iapt_report_kpi_t *goal,
       const double *goal_y, iapt_buf_t *h)
{
    size_t nx = (size_t)r->n_quarters;
    const char *xl[IAPT_REPORT_QUARTERS_MAX];
    iapt_chart_series_t se[IAPT_CHART_SERIES_MAX];
    if (ns > IAPT_CHART_SERIES_MAX)
        ns = IAPT_CHART_SERIES_MAX;
    for (size_t i = 0; i < nx; i++)
        xl[i] = r->label[i];
    for (size_t s = 0; s < ns; s++) {
        se[s].label = labels[s];
        se[s].y = y + s * nx;
        se[s].present = pr + s * nx;
    }
    iapt_chart_t c = {.title = title,
                      .x_label = "Financial quarter",
                      .y_label = y_label,
                      .n_x = nx,
                      .x_labels = xl,
                      .n_series = ns,
                      .series = se,
                      .percent = percent};
    if (goal && goal->goal != IAPT_REPORT_GOAL_NONE) {
        c.has_goal = true;
        c.goal_label = goal->goal_label;
        c.goal_y = goal->goal == IAPT_REPORT_GOAL_OF_MEASURE ? goal_y : NULL;
        c.goal = goal->goal_value;
    }
    iapt_buf_t svg = IAPT_BUF_INIT;
    int rc = iapt_chart_svg(&c, &svg);
    if (rc == 0)
        rc = iapt_html_chart(h, ++r->n_charts, title, &svg);
    iapt_buf_free(&svg);
    return rc;
}

int
iapt_report_kpi_chart(iapt_report_t *r, const iapt_report_series_t *s, const iapt_report_kpi_t *d,
                      iapt_buf_t *h)
{
    size_t nx = (size_t)r->n_quarters, ns = 1 + s->n_regions;
    double *y = calloc(nx * (ns + 1), sizeof *y);
    bool *pr = calloc(nx * ns, sizeof *pr);
    const char *labels[IAPT_CHART_SERIES_MAX] = {0};
    if (!y || !pr) {
        free(y);
        free(pr);
        return IAPT_ENOMEM;
    }
    double *goal = y + nx * ns;
    for (size_t i = 0; i < nx; i++) {
        double e;
        goal[i] =
            d->goal == IAPT_REPORT_GOAL_OF_MEASURE &&
                    iapt_report_number(
                        iapt_report_value(s->q[i], "England", NULL, NULL, d->goal_measure), &e)
                ? e * d->goal_factor
                : 0;
    }
    for (size_t g = 0; g < ns; g++) {
        labels[g] = g == 0 ? "England" : s->region_name[g - 1];
        for (size_t i = 0; i < nx; i++)
            pr[g * nx + i] = iapt_report_number(iapt_report_value(s->q[i], g ? "Region" : "England",
                                                                  g ? s->region_code[g - 1] : NULL,
                                                                  NULL, d->measure),
                                                &y[g * nx + i]);
    }
    int rc = s_draw(r, d->title, d->y_label, d->percent, ns, labels, y, pr, d, goal, h);
    /* The data table under the chart: the CSV texts. */
    rc = rc ? rc : s_chart_table_head(r, d->title, "Group", h);
    for (size_t g = 0; g < ns && rc == 0; g++) {
        const char *code = g ? s->region_code[g - 1] : NULL;
        const char *gt = g ? "Region" : "England";
        rc = s_row_head(h, labels[g]);
        for (size_t i = 0; i < nx && rc == 0; i++)
            rc = iapt_report_cell(h, s->collection, r->quarters[i].text, gt, code, NULL, d->measure,
                                  iapt_report_value(s->q[i], gt, code, NULL, d->measure));
        rc = rc ? rc : iapt_buf_printf(h, "</tr>\n");
    }
    rc = rc ? rc : iapt_buf_printf(h, "</table>\n");
    if (rc == 0 && d->note) {
        rc = iapt_buf_printf(h, "<p class=\"note\">");
        rc = rc ? rc : iapt_html_text(h, d->note);
        rc = rc ? rc : iapt_buf_printf(h, "</p>\n");
    }
    free(y);
    free(pr);
    return rc;
}

int
iapt_report_kpi_charts(iapt_report_t *r, const iapt_report_series_t *s,
                       const iapt_report_kpi_t *kpis, size_t n, iapt_buf_t *h)
{
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = iapt_report_kpi_chart(r, s, &kpis[i], h);
    return rc;
}

int
iapt_report_level_chart(iapt_report_t *r, const char *collection, const char *breakdown,
                        const char *measure, const char *title, const char *y_label, iapt_buf_t *h)
{
    size_t nx = (size_t)r->n_quarters, nl = 0;
    Iapt__QueryResponse *q[IAPT_REPORT_QUARTERS_MAX] = {0};
    const char *levels[IAPT_CHART_SERIES_MAX];
    size_t n_dropped = 0;
    const char *ids[] = {measure};
    int rc = 0;
    for (size_t i = 0; i < nx && rc == 0; i++)
        rc = s_ask_measures(r, collection, r->quarters[i].text, breakdown, ids, 1, 1, &q[i]);
    /* The levels in the order the hub gives them, first seen first. */
    for (size_t i = 0; i < nx && rc == 0; i++)
        for (size_t j = 0; j < q[i]->measures->n_rows; j++) {
            const char *lv = q[i]->measures->rows[j]->breakdown_level;
            size_t k = 0;
            if (!lv)
                continue;
            while (k < nl && strcmp(levels[k], lv) != 0)
                k++;
            if (k < nl)
                continue;
            if (nl == IAPT_CHART_SERIES_MAX) {
                n_dropped++;
                continue;
            }
            levels[nl++] = lv;
        }
    double *y = rc ? NULL : calloc(nx * (nl ? nl : 1), sizeof *y);
    bool *pr = rc ? NULL : calloc(nx * (nl ? nl : 1), sizeof *pr);
    if (rc == 0 && (!y || !pr))
        rc = IAPT_ENOMEM;
    for (size_t l = 0; l < nl && rc == 0; l++)
        for (size_t i = 0; i < nx; i++)
            pr[l * nx + i] = iapt_report_number(
                iapt_report_value(q[i], "England", NULL, levels[l], measure), &y[l * nx + i]);
    if (rc == 0 && nl)
        rc = s_draw(r, title, y_label, false, nl, levels, y, pr, NULL, NULL, h);
    rc = rc ? rc : s_chart_table_head(r, title, "Level (England)", h);
    for (size_t l = 0; l < nl && rc == 0; l++) {
        rc = s_row_head(h, levels[l]);
        for (size_t i = 0; i < nx && rc == 0; i++)
            rc = iapt_report_cell(h, collection, r->quarters[i].text, "England", NULL, levels[l],
                                  measure,
                                  iapt_report_value(q[i], "England", NULL, levels[l], measure));
        rc = rc ? rc : iapt_buf_printf(h, "</tr>\n");
    }
    rc = rc ? rc : iapt_buf_printf(h, "</table>\n");
    if (rc == 0 && n_dropped)
        rc = iapt_buf_printf(h,
                             "<p class=\"note\">Only the first %d levels are drawn; the CSV "
                             "export has the others.</p>\n",
                             IAPT_CHART_SERIES_MAX);
    free(y);
    free(pr);
    for (size_t i = 0; i < nx; i++)
        if (q[i])
            iapt__query_response__free_unpacked(q[i], NULL);
    return rc;
}

/* ---------------------------------------------------------------------------
 * Tables of the latest quarter
 * ------------------------------------------------------------------------ */

int
iapt_report_breakdown_table(iapt_report_t *r, const iapt_report_series_t *s, const char *breakdown,
                            const char *measure, const char *title, iapt_buf_t *h)
{
    const iapt_fspan_t *q = &r->quarters[r->n_quarters - 1];
    Iapt__QueryResponse *a = NULL;
    const char *ids[] = {measure};
    int rc = iapt_report_ask_measures(r, s->collection, q->text, breakdown, ids, 1, &a);
    rc = rc ? rc : iapt_buf_printf(h, "<h3>");
    rc = rc ? rc : iapt_html_text(h, title);
    rc = rc ? rc
            : iapt_buf_printf(h, ", %s</h3>\n<table class=\"data\" id=\"table-%s%s%s\">\n<tr>",
                              r->label[r->n_quarters - 1], s->collection ? s->collection : "",
                              s->collection ? "-" : "", breakdown);
    rc = rc ? rc : iapt_report_th(h, "row", "Level");
    rc = rc ? rc : iapt_report_th(h, NULL, "England");
    for (size_t g = 0; g < s->n_regions && rc == 0; g++)
        rc = iapt_report_th(h, NULL, s->region_name[g]);
    rc = rc ? rc : iapt_buf_printf(h, "</tr>\n");
    /* The levels in the order the answer gives them (England's rows). */
    for (size_t i = 0; rc == 0 && i < a->measures->n_rows; i++) {
        const Iapt__MeasureRow *m = a->measures->rows[i];
        if (strcmp(m->group_type, "England") != 0)
            continue;
        rc = s_row_head(h, m->breakdown_level);
        rc = rc ? rc
                : iapt_report_cell(h, s->collection, q->text, "England", NULL, m->breakdown_level,
                                   measure, m->value);
        for (size_t g = 0; g < s->n_regions && rc == 0; g++)
            rc = iapt_report_cell(
                h, s->collection, q->text, "Region", s->region_code[g], m->breakdown_level, measure,
                iapt_report_value(a, "Region", s->region_code[g], m->breakdown_level, measure));
        rc = rc ? rc : iapt_buf_printf(h, "</tr>\n");
    }
    rc = rc ? rc : iapt_buf_printf(h, "</table>\n");
    if (a)
        iapt__query_response__free_unpacked(a, NULL);
    return rc;
}

int
iapt_report_latest_table(iapt_report_t *r, const iapt_report_series_t *s, const char *id,
                         const char *caption, const char *const (*cols)[2], size_t n_cols,
                         iapt_buf_t *h)
{
    const iapt_fspan_t *q = &r->quarters[r->n_quarters - 1];
    const Iapt__QueryResponse *a = s->q[r->n_quarters - 1];
    int rc = iapt_buf_printf(h, "<table class=\"data\" id=\"%s\">\n<caption>", id);
    rc = rc ? rc : iapt_html_text(h, caption);
    rc = rc ? rc : iapt_buf_printf(h, ", %s</caption>\n<tr>", r->label[r->n_quarters - 1]);
    rc = rc ? rc : iapt_report_th(h, "row", "Group");
    for (size_t c = 0; c < n_cols && rc == 0; c++)
        rc = iapt_report_th(h, NULL, cols[c][1]);
    rc = rc ? rc : iapt_buf_printf(h, "</tr>\n");
    for (size_t g = 0; g <= s->n_regions && rc == 0; g++) {
        const char *gt = g ? "Region" : "England", *code = g ? s->region_code[g - 1] : NULL;
        rc = s_row_head(h, g ? s->region_name[g - 1] : "England");
        for (size_t c = 0; c < n_cols && rc == 0; c++)
            rc = iapt_report_cell(h, s->collection, q->text, gt, code, NULL, cols[c][0],
                                  iapt_report_value(a, gt, code, NULL, cols[c][0]));
        rc = rc ? rc : iapt_buf_printf(h, "</tr>\n");
    }
    return rc ? rc : iapt_buf_printf(h, "</table>\n");
}

_Static_assert(IAPT_REPORT_REGIONS_MAX + 1 <= IAPT_CHART_SERIES_MAX,
               "England and every region drawn must fit one chart");

/* ---------------------------------------------------------------------------
 * Programme views
 * ------------------------------------------------------------------------ */

int
iapt_report_ask_view(iapt_report_t *r, const char *collection, Iapt__QueryResponse **resp)
{
    Iapt__TargetsRequest tr = IAPT__TARGETS_REQUEST__INIT;
    tr.period = r->period.text;
    Iapt__QueryRequest q = IAPT__QUERY_REQUEST__INIT;
    q.body_case = IAPT__QUERY_REQUEST__BODY_TARGETS;
    q.targets = &tr;
    return iapt_report_ask(r, &q, collection, IAPT__QUERY_RESPONSE__BODY_TARGETS, "programme view",
                           resp);
}

int
iapt_report_view_or_note(iapt_report_t *r, const char *collection, const char *note_id,
                         iapt_buf_t *h, Iapt__QueryResponse **resp)
{
    int rc = iapt_report_ask_view(r, collection, resp);
    if (rc != IAPT_EREFUSED)
        return rc;
    /* e.g. a hub without the table or file the view needs: say so. */
    rc = iapt_buf_printf(h, "<p class=\"note\" id=\"%s\">Not available: ", note_id);
    rc = rc ? rc : iapt_html_text(h, iapt_error_detail());
    return rc ? rc : iapt_buf_printf(h, ".</p>\n");
}

static bool
s_same(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

int
iapt_report_view_table(iapt_buf_t *h, const char *collection, const Iapt__QueryResponse *v,
                       const char *part, const char *id, const char *caption)
{
    const Iapt__TargetsResponse *t = v->targets;
    /* The measures of the part, first seen first. */
    const char *cols[32];
    size_t nc = 0, n_rows = 0;
    for (size_t i = 0; i < t->n_rows; i++) {
        const Iapt__TargetRow *x = t->rows[i];
        if (!s_same(x->view, part))
            continue;
        n_rows++;
        size_t k = 0;
        while (k < nc && strcmp(cols[k], x->measure) != 0)
            k++;
        if (k == nc && nc < sizeof cols / sizeof *cols)
            cols[nc++] = x->measure;
    }
    if (!n_rows)
        return 0;
    int rc = iapt_buf_printf(h, "<table class=\"data\" id=\"%s\">\n<caption>", id);
    rc = rc ? rc : iapt_html_text(h, caption);
    rc = rc ? rc : iapt_buf_printf(h, "</caption>\n<tr>");
    rc = rc ? rc : iapt_report_th(h, "row", "Group");
    for (size_t c = 0; c < nc && rc == 0; c++)
        rc = iapt_report_th(h, NULL, cols[c]);
    rc = rc ? rc : iapt_buf_printf(h, "</tr>\n");
    /* A row per group, where the group first appears. */
    for (size_t i = 0; i < t->n_rows && rc == 0; i++) {
        const Iapt__TargetRow *x = t->rows[i];
        if (!s_same(x->view, part))
            continue;
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = s_same(t->rows[j]->view, part) &&
                   s_same(t->rows[j]->group_type, x->group_type) &&
                   s_same(t->rows[j]->org_code, x->org_code);
        if (seen)
            continue;
        rc = iapt_buf_printf(h, "<tr><th class=\"row\" scope=\"row\">");
        rc = rc ? rc : iapt_html_text(h, x->region && *x->region ? x->region : x->org_code);
        rc = rc ? rc : iapt_buf_printf(h, "</th>");
        for (size_t c = 0; c < nc && rc == 0; c++) {
            const Iapt__TargetRow *y = NULL;
            for (size_t j = i; j < t->n_rows && !y; j++)
                if (s_same(t->rows[j]->view, part) &&
                    s_same(t->rows[j]->group_type, x->group_type) &&
                    s_same(t->rows[j]->org_code, x->org_code) &&
                    strcmp(t->rows[j]->measure, cols[c]) == 0)
                    y = t->rows[j];
            rc = iapt_buf_printf(h, "<td data-collection=\"");
            rc = rc ? rc : iapt_html_text(h, collection ? collection : "IAPT");
            rc = rc ? rc : iapt_buf_printf(h, "\" data-view=\"");
            rc = rc ? rc : iapt_html_text(h, part);
            rc = rc ? rc : iapt_buf_printf(h, "\" data-group=\"");
            rc = rc ? rc : iapt_html_text(h, x->group_type ? x->group_type : "");
            rc = rc ? rc : iapt_buf_printf(h, "\" data-org=\"");
            rc = rc ? rc : iapt_html_text(h, x->org_code ? x->org_code : "");
            rc = rc ? rc : iapt_buf_printf(h, "\" data-pmeasure=\"");
            rc = rc ? rc : iapt_html_text(h, cols[c]);
            rc = rc ? rc : iapt_buf_printf(h, "\"%s>", y ? "" : " data-absent");
            rc = rc ? rc : iapt_html_text(h, y ? y->value : "");
            rc = rc ? rc : iapt_buf_printf(h, "</td>");
        }
        rc = rc ? rc : iapt_buf_printf(h, "</tr>\n");
    }
    return rc ? rc : iapt_buf_printf(h, "</table>\n");
}
