/*
 * date.h - calendar dates as day numbers, and reporting periods.
 *
 * A day number is days since 1970-01-01 (proleptic Gregorian). Records carry
 * days relative to their period's first day (iapt_period_t.start).
 * No function here allocates; parse functions accept exactly the formats
 * named and refuse anything else (returning IAPT_EFORMAT).
 */
#ifndef IAPT_DATE_H
#define IAPT_DATE_H

#include <stddef.h>
#include <stdint.h>

/* Day number of y-m-d; the caller guarantees a real date. */
int32_t iapt_days_from_civil(int y, int m, int d);

/* Inverse of iapt_days_from_civil. */
void iapt_civil_from_days(int32_t days, int *y /* out */, int *m /* out */, int *d /* out */);

/* Number of days in month m (1-12) of year y. */
int iapt_days_in_month(int y, int m);

/* Parse exactly "YYYY-MM-DD" naming a real day (len bytes, no NUL needed).
 * 0 and *days set, or IAPT_EFORMAT. */
int iapt_date_parse(const char *text, size_t len, int32_t *days /* out */);

/* Parse "YYYY-MM-DDTHH:MM:SS" or with a space for T, or a plain date.
 * Only the day is kept. */
int iapt_timestamp_parse(const char *text, size_t len, int32_t *days /* out */);

/* Write "YYYY-MM-DD" and a NUL into out (at least 11 bytes). */
void iapt_date_format(int32_t days, char out[11]);

typedef struct iapt_period {
    int year;       /* e.g. 2025 */
    int month;      /* 1-12 */
    int32_t start;  /* day number of the first day */
    int32_t end;    /* day number of the last day */
    int32_t length; /* days in the month (end - start + 1) */
    char text[8];   /* "YYYY-MM" */
} iapt_period_t;

/* Parse "YYYY-MM" (years 1900-9999). 0 or IAPT_EFORMAT. */
int iapt_period_parse(const char *text, iapt_period_t *period /* out */);

/* The period y-m (m 1-12). */
void iapt_period_make(int y, int m, iapt_period_t *period /* out */);

/* The period `delta` months from `p` (negative goes back). */
void iapt_period_add(const iapt_period_t *p, int delta, iapt_period_t *out /* out */);

/* YYYYMM as an integer, e.g. 202509: sorts like the periods do. */
uint32_t iapt_period_key(const iapt_period_t *p);

/* Period from an iapt_period_key value; IAPT_EFORMAT if not one. */
int iapt_period_from_key(uint32_t key, iapt_period_t *p /* out */);

#endif
