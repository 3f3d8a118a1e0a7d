/*
 * report.h - the parts of the national report (docs/FORMATS.md "The
 * national report"): what a collection's section is given, and the pieces
 * every section is written with.
 *
 * The report is one self-contained HTML file (inline CSS, charts as SVG
 * data: URIs, no script, nothing fetched at view time) drawn from the hub's
 * exact figures through the query endpoint: the same answers `iapt-query
 * measures / targets / submissions / checkpoint` export as CSV. The page
 * (hub/report.c) names the checkpoint and the quarters, then asks each
 * registered collection for its section (iapt_collection_t.report, written
 * in the collection's folder as <key>_report.c). A section with no data in
 * the report's quarters writes nothing.
 *
 * Every figure printed is the text of a CSV value in a <td> marked with
 * data-* attributes naming where it comes from, so a checker can compare
 * the page with the CSV exports figure by figure:
 *   - measures: data-collection (absent for IAPT), data-span, data-group,
 *     data-org (`all` for England), data-level, data-measure; data-absent
 *     when the CSV has no row for the group (written empty);
 *   - programme views laid out one row per value (TargetRow.view set):
 *     data-collection, data-view, data-group, data-org, data-pmeasure;
 *   - programme views laid out region/measure/value/target/progress:
 *     data-collection, data-region, data-pmeasure and data-col (`value`,
 *     `target`, `progress`); the adult targets view: data-target (row by
 *     row); the reporting rate: data-month and data-count.
 *
 * Ownership: HTML is appended to the caller's buffer; answers are owned by
 * the caller (iapt__query_response__free_unpacked) and series by their
 * iapt_report_series_t (iapt_report_series_free). Errors: 0, IAPT_ENOMEM,
 * or what the hub connection gives (IAPT_EREFUSED with the hub's reason in
 * the detail, IAPT_ETIMEOUT, ...). Threads: one report at a time per
 * process (charts use PLplot, common/chart.h).
 */
#ifndef IAPT_REPORT_H
#define IAPT_REPORT_H

#include "common/client.h"
#include "common/fyear.h"
#include "common/util.h"

#include <stdbool.h>

#define IAPT_REPORT_QUARTERS_MAX 40
/* Entries of the contents list (sections beyond it are left out of it). */
#define IAPT_REPORT_TOC_MAX 32
/* Regions one chart draws (England takes one more series). */
#define IAPT_REPORT_REGIONS_MAX 11

/* What a section gets: the connection and the report's spans. */
typedef struct iapt_report {
    iapt_client_t *client;
    iapt_period_t period; /* the last month */
    int n_quarters;       /* oldest first */
    iapt_fspan_t quarters[IAPT_REPORT_QUARTERS_MAX];
    int months_with_data[IAPT_REPORT_QUARTERS_MAX]; /* months some provider submitted */
    char label[IAPT_REPORT_QUARTERS_MAX][32];       /* "Q2 2025/26", "Q3 2025/26 (2 of 3 months)" */
    int n_charts; /* charts written so far (their ids: chart-1, ...) */
    /* The contents list: every section opened with iapt_report_section,
     * in page order (level 1: a collection, 2: a part of it). */
    int n_toc;
    struct {
        char id[48];
        char title[160];
        int level;
    } toc[IAPT_REPORT_TOC_MAX];
} iapt_report_t;

/* A collection's contribution: write appends its <section> elements (none
 * when the collection has no data in the report's quarters). */
typedef struct iapt_report_part {
    int (*write)(iapt_report_t *r, const char *collection, iapt_buf_t *html);
} iapt_report_part_t;

/* ---- asking the hub ---------------------------------------------------- */

/* Send q for collection (NULL: the hub's default, IAPT) and check that the
 * answer is of kind want; a refusal is IAPT_EREFUSED naming `what`. */
int iapt_report_ask(iapt_report_t *r, Iapt__QueryRequest *q, const char *collection,
                    Iapt__QueryResponse__BodyCase want, const char *what,
                    Iapt__QueryResponse **resp /* out, owned */);

/* Measures of one span ("2025/26-Q2") for England and the regions
 * (breakdown may be NULL). */
int iapt_report_ask_measures(iapt_report_t *r, const char *collection, const char *span,
                             const char *breakdown, const char *const *ids, size_t n_ids,
                             Iapt__QueryResponse **resp /* out, owned */);

/* The submissions listing of one month ("YYYY-MM") of a collection. */
int iapt_report_ask_submissions(iapt_report_t *r, const char *collection, const char *month,
                                Iapt__QueryResponse **resp /* out, owned */);

/* The value text of (group, code, level, measure) in a measures answer, or
 * NULL when the group is not there. code and level NULL: any. */
const char *iapt_report_value(const Iapt__QueryResponse *resp, const char *group, const char *code,
                              const char *level, const char *measure);

/* A figure as a number for drawing: false for "*" (suppressed) or "". */
bool iapt_report_number(const char *v, double *out);

/* ---- writing figures --------------------------------------------------- */

/* A <td> holding a measure's CSV text, marked as above. */
int iapt_report_cell(iapt_buf_t *h, const char *collection, const char *span, const char *group,
                     const char *code, const char *level, const char *measure, const char *value);
/* Open a section: <section id="id"><h2>title</h2> (title printf-style,
 * escaped), listed in the page's contents at level 1 (a collection) or 2
 * (a part of one). The caller closes it with </section>. */
int iapt_report_section(iapt_report_t *r, iapt_buf_t *h, const char *id, int level,
                        const char *title_fmt, ...) __attribute__((format(printf, 5, 6)));
/* A <th scope="col">, class cls (may be NULL). */
int iapt_report_th(iapt_buf_t *h, const char *cls, const char *text);

/* ---- quarterly series: England and each region ------------------------- */

typedef struct iapt_report_series {
    const char *collection;
    Iapt__QueryResponse *q[IAPT_REPORT_QUARTERS_MAX]; /* per quarter */
    size_t n_regions;                                 /* by code */
    const char *region_code[IAPT_REPORT_REGIONS_MAX];
    const char *region_name[IAPT_REPORT_REGIONS_MAX];
    size_t n_dropped; /* regions beyond IAPT_REPORT_REGIONS_MAX */
} iapt_report_series_t;

/* Ask every quarter of the report for the measures ids (England and
 * regions, no breakdown); the regions are every one any quarter has. */
int iapt_report_series_fetch(iapt_report_t *r, iapt_report_series_t *s, const char *collection,
                             const char *const *ids, size_t n_ids);
void iapt_report_series_free(iapt_report_t *r, iapt_report_series_t *s);
/* A section's start: fetch as above; 1 when the collection has data (the
 * series is the caller's to free), 0 when it has none (nothing is held),
 * or an error. */
int iapt_report_series_open(iapt_report_t *r, iapt_report_series_t *s, const char *collection,
                            const char *const *ids, size_t n_ids);
/* True when some quarter has an England row (the collection has data). */
bool iapt_report_series_has_data(const iapt_report_t *r, const iapt_report_series_t *s);
/* "<p class=note>" saying regions were left out, when some were. */
int iapt_report_series_note(const iapt_report_series_t *s, iapt_buf_t *h);

/* One chart of a measure by quarter, a line per group, and its data table. */
typedef struct iapt_report_kpi {
    const char *measure, *title, *y_label;
    bool percent;
    /* The goal line: none, a constant (goal_value), or goal_factor times
     * England's goal_measure of each quarter. */
    enum { IAPT_REPORT_GOAL_NONE, IAPT_REPORT_GOAL_CONSTANT, IAPT_REPORT_GOAL_OF_MEASURE } goal;
    double goal_value;
    const char *goal_measure;
    double goal_factor;
    const char *goal_label;
    const char *note; /* a paragraph under the table, or NULL */
} iapt_report_kpi_t;

int iapt_report_kpi_chart(iapt_report_t *r, const iapt_report_series_t *s,
                          const iapt_report_kpi_t *kpi, iapt_buf_t *h);
/* The same for n charts in turn. */
int iapt_report_kpi_charts(iapt_report_t *r, const iapt_report_series_t *s,
                           const iapt_report_kpi_t *kpis, size_t n, iapt_buf_t *h);

/* One measure by quarter for England, a line per level of a breakdown
 * (at most IAPT_CHART_SERIES_MAX levels, in the order the hub gives them),
 * and its data table. */
int iapt_report_level_chart(iapt_report_t *r, const char *collection, const char *breakdown,
                            const char *measure, const char *title, const char *y_label,
                            iapt_buf_t *h);

/* A table of one measure by the levels of a breakdown, England and the
 * series' regions, the latest quarter (an <h3> title, then the table). */
int iapt_report_breakdown_table(iapt_report_t *r, const iapt_report_series_t *s,
                                const char *breakdown, const char *measure, const char *title,
                                iapt_buf_t *h);

/* A table of the latest quarter: a row per group (England, the series'
 * regions), a column per measure (ids with their headings). */
int iapt_report_latest_table(iapt_report_t *r, const iapt_report_series_t *s, const char *id,
                             const char *caption, const char *const (*cols)[2], size_t n_cols,
                             iapt_buf_t *h);

/* ---- programme views --------------------------------------------------- */

/* The collection's programme view for the report's last month
 * (`iapt-query targets --collection C --period P`); IAPT_EREFUSED when the
 * hub cannot give it (the detail says why). */
int iapt_report_ask_view(iapt_report_t *r, const char *collection,
                         Iapt__QueryResponse **resp /* out, owned */);
/* The same, but a refusal is written as a note (id note_id) saying the
 * view is not available and why, and *resp is left NULL (returns 0). */
int iapt_report_view_or_note(iapt_report_t *r, const char *collection, const char *note_id,
                             iapt_buf_t *h, Iapt__QueryResponse **resp /* out, owned */);

/* The rows of one part (`view`) of a view laid out one row per value, as a
 * table: a row per group (in the answer's order), a column per measure.
 * Writes nothing when the part has no row. */
int iapt_report_view_table(iapt_buf_t *h, const char *collection, const Iapt__QueryResponse *view,
                           const char *part, const char *id, const char *caption);

/* ---- HTML (common/report_html.c). All append; 0 or IAPT_ENOMEM ---------- */

int iapt_html_text(iapt_buf_t *b, const char *text);  /* escaped */
int iapt_html_head(iapt_buf_t *b, const char *title); /* doctype .. <body> */
int iapt_html_tail(iapt_buf_t *b);
/* <figure> with the SVG as an <img> data: URI (id "chart-N", alt text the
 * title) and a caption. */
int iapt_html_chart(iapt_buf_t *b, int n, const char *title, const iapt_buf_t *svg);

#endif
