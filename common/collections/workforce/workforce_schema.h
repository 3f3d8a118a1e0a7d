/*
 * workforce_schema.h - the workforce collection's hub half: the
 * iapt_measure_schema (common/measure_schema.h) the registry entry's `.hub`
 * points at, and its programme view.
 *
 *   counters      IAPT_WF_C_APPEAR .. IAPT_WF_C_POSTS_WTE of
 *                 workforce_measures.h (IAPT_WF_C_STORED of them: the
 *                 stored cell format, append only);
 *   catalogue     W001-W041 in docs/WORKFORCE.md order: counts, WTE sums
 *                 (SUM_FIXED in hundredths, suppressed by their headcount),
 *                 percentages, W031 as a RATIO, W040/W041 RATIOs joined to
 *                 the adult collection's "M082" / "M031" counters over the
 *                 joined providers' W004 (hundredths: den_scale 100),
 *                 suppressed by their W003; stocks flagged for quarters;
 *   breakdowns    none, role, band, profession; W001-W008 in every one,
 *                 the rest without a breakdown only;
 *   levels        England, Region, ICB, Provider (no SubICB), placed by
 *                 the provider's home sub-ICB (providers.csv);
 *   derivation    workforce_submission.h (close emits the submission and
 *                 its supervisor counts, for the whole group only);
 *   view          "programme": per month from the first with an accepted
 *                 submission, nationally and per region, training
 *                 completions in the month and since the first month (the
 *                 national one against the 6,000 goal), supervisors and
 *                 supervisors over five trainees; reads up to
 *                 IAPT_VIEW_MONTHS_MAX months and no targets table.
 *
 * Readings: docs/WORKFORCE-NOTES.md "Readings the C implementation takes".
 * Threads: immutable static data; the view touches only its arguments.
 */
#ifndef IAPT_WORKFORCE_SCHEMA_H
#define IAPT_WORKFORCE_SCHEMA_H

#include "common/measure_schema.h"

extern const iapt_measure_schema_t iapt_workforce_measure_schema;

/* Its section of the national report (workforce_report.c, common/report.h). */
struct iapt_report_part;
extern const struct iapt_report_part iapt_workforce_report_part;

/* The programme view (iapt_view_fn). Rows: for each month from the first
 * with data to the period, England then each region with data (by code),
 * four lines: "YYYY-MM trained in the month", "YYYY-MM trained since
 * FIRST" (England: target 6000 and progress, one decimal), "YYYY-MM
 * supervisors", "YYYY-MM supervisors over five trainees". Regions' counts
 * are suppressed like counts below England unless in->unsuppressed.
 * 0, IAPT_EUSAGE (a breakdown accumulator, a month given twice) or
 * IAPT_ENOMEM. */
int iapt_workforce_view(const iapt_view_input_t *in, struct iapt_target_rows **out /* out */);

#endif
