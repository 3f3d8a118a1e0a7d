/*
 * report.h - the national report (`iapt-query report`): one self-contained
 * HTML file drawn from the hub's exact figures through the query endpoint
 * (docs/FORMATS.md "The national report"). The page names the checkpoint
 * the figures are drawn from and the financial quarters it covers; each
 * registered collection writes its own section (iapt_collection_t.report,
 * the pieces in common/report.h), so the page knows no collection by name.
 *
 * Ownership: the HTML is appended to the caller's buffer. Errors: 0,
 * IAPT_EUSAGE (period or quarters out of range), or what the hub
 * connection gives (IAPT_EREFUSED with the hub's reason in the detail,
 * IAPT_ETIMEOUT, ...). Threads: one report at a time per process (charts
 * use PLplot, common/chart.h).
 */
#ifndef IAPT_HUB_REPORT_H
#define IAPT_HUB_REPORT_H

#include "common/client.h"
#include "common/report.h" /* IAPT_REPORT_QUARTERS_MAX */
#include "common/util.h"

typedef struct iapt_report_opts {
    const char *period; /* "YYYY-MM": the last month the report covers */
    int quarters;       /* financial quarters ending with the period's (1-40) */
} iapt_report_opts_t;

/* Build the whole report. */
int iapt_report_build(iapt_client_t *client, const iapt_report_opts_t *opts, iapt_buf_t *html);

#endif
