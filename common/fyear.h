/*
 * fyear.h - financial-year spans: quarters (Q1 April-June, Q2 July-
 * September, Q3 October-December, Q4 January-March) and whole financial
 * years (April to March), the periods the national report and the
 * quarterly and annual measures speak of.
 *
 *   text   "2025/26-Q2" (a quarter) or "2025/26" (a year): what the command
 *          line and the query protocol carry;
 *   label  "Q2 2025/26" or "2025/26": what people read (charts, tables).
 *
 * A span is a plain value (copy freely); nothing here allocates; every
 * function is thread-safe. Parse functions accept exactly the forms named
 * and return IAPT_EFORMAT for anything else.
 */
#ifndef IAPT_FYEAR_H
#define IAPT_FYEAR_H

#include "common/date.h"

#include <stdbool.h>

/* The most months a span has (a financial year). */
#define IAPT_FSPAN_MONTHS_MAX 12

typedef struct iapt_fspan {
    int fy;              /* first calendar year of the financial year: 2025 for 2025/26 */
    int quarter;         /* 1-4, or 0 for the whole year */
    int months;          /* 3 or 12 */
    iapt_period_t first; /* the first month */
    iapt_period_t last;  /* the last month */
    char text[12];       /* "2025/26-Q2" or "2025/26" */
    char label[12];      /* "Q2 2025/26" or "2025/26" */
} iapt_fspan_t;

/* Parse "YYYY/YY-QN" (a quarter) or "YYYY/YY" (a year), YY being the last
 * two digits of YYYY + 1, N 1-4, YYYY 1900-9998. 0 or IAPT_EFORMAT. */
int iapt_fspan_parse(const char *text, iapt_fspan_t *out /* out */);

/* The quarter (quarter != 0) of financial year fy, or the whole year
 * (quarter == 0). The caller passes fy 1900-9998 and quarter 0-4. */
void iapt_fspan_make(int fy, int quarter, iapt_fspan_t *out /* out */);

/* The quarter holding month p; the financial year holding month p. */
void iapt_fspan_quarter_of(const iapt_period_t *p, iapt_fspan_t *out /* out */);
void iapt_fspan_year_of(const iapt_period_t *p, iapt_fspan_t *out /* out */);

/* The span `delta` quarters (for a quarter) or years (for a year) from s. */
void iapt_fspan_add(const iapt_fspan_t *s, int delta, iapt_fspan_t *out /* out */);

/* Month i (0 .. months-1) of the span. */
void iapt_fspan_month(const iapt_fspan_t *s, int i, iapt_period_t *out /* out */);

/* True when month p lies in the span. */
bool iapt_fspan_contains(const iapt_fspan_t *s, const iapt_period_t *p);

#endif
