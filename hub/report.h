/*
 * report.h - the national report: one self-contained HTML file (inline CSS,
 * charts as SVG data: URIs, no script, nothing fetched at view time) drawn
 * from the hub's exact figures through the query endpoint, the same answers
 * `iapt-query measures / targets / submissions / checkpoint` export as CSV
 * (docs/FORMATS.md "The national report").
 *
 * Every figure printed is the text of a CSV value, marked with data-*
 * attributes naming where it comes from (span, group, org, measure,
 * breakdown level; or target region and measure; or month and count), so
 * a checker can compare the page with the CSV exports figure by figure.
 *
 * Sections come from collections: s_sections[] in hub/report.c lists, per
 * registered collection name, the function that writes its section (adult
 * "IAPT" today; CYP and WORKFORCE add theirs there when they have data).
 *
 * Ownership: the HTML is appended to the caller's buffer. Errors: 0, a
 * negative code (the detail says which request failed), or a positive
 * refusal count when the hub refused a request (reason in the detail).
 * Threads: one report at a time per process (charts use PLplot, see
 * common/chart.h).
 */
#ifndef IAPT_HUB_REPORT_H
#define IAPT_HUB_REPORT_H

#include "common/client.h"
#include "common/fyear.h"
#include "common/util.h"

#define IAPT_REPORT_QUARTERS_MAX 40

typedef struct iapt_report_opts {
    const char *period; /* "YYYY-MM": the last month the report covers */
    int quarters;       /* financial quarters ending with the period's (1-40) */
} iapt_report_opts_t;

/* What a section gets: the connection and the report's spans. */
typedef struct iapt_report {
    iapt_client_t *client;
    iapt_period_t period; /* the last month */
    int n_quarters;       /* oldest first */
    iapt_fspan_t quarters[IAPT_REPORT_QUARTERS_MAX];
    int months_with_data[IAPT_REPORT_QUARTERS_MAX]; /* months some provider submitted */
    char label[IAPT_REPORT_QUARTERS_MAX][32];       /* "Q2 2025/26", "Q3 2025/26 (2 of 3 months)" */
    int n_charts; /* charts written so far (their ids: chart-1, ...) */
} iapt_report_t;

/* One collection's contribution. write appends its <section> elements. */
typedef struct iapt_report_section {
    const char *collection; /* registry name: "IAPT", "CYP", "WORKFORCE" */
    int (*write)(iapt_report_t *r, iapt_buf_t *html);
} iapt_report_section_t;

/* Build the whole report. */
int iapt_report_build(iapt_client_t *client, const iapt_report_opts_t *opts, iapt_buf_t *html);

/* HTML helpers (hub/report_html.c). All append; 0 or IAPT_ENOMEM. */
int iapt_html_text(iapt_buf_t *b, const char *text);  /* escaped */
int iapt_html_head(iapt_buf_t *b, const char *title); /* doctype .. <body> */
int iapt_html_tail(iapt_buf_t *b);
/* <figure> with the SVG as an <img> data: URI (id "chart-N", alt text the
 * title) and a caption. */
int iapt_html_chart(iapt_buf_t *b, int n, const char *title, const iapt_buf_t *svg);

#endif
