/*
 * stats.h - roll-up of aggregate cells to every geography level and the
 * publication rows (docs/MEASURES-NOTES.md "Groups", "Numbers and
 * disclosure control", "Breakdowns"), with CSV, JSON and text writers; and
 * the access and 2015 targets view per region.
 *
 * One accumulator (iapt_stats_t) covers ONE period and ONE breakdown. The
 * hub creates it, passes every stored provider-level cell of the period
 * for that breakdown (the latest submission of each provider only), then
 * asks for rows. A time series is one accumulator per period, their rows
 * appended to one iapt_stat_rows_t:
 *
 *     iapt_stat_rows_t *rows = NULL;
 *     for each period P:
 *         iapt_stats_t *st = iapt_stats_new(&P, geo, breakdown);
 *         for each stored cell of P: iapt_stats_add_cell(st, ...);
 *         iapt_stats_rows(st, &query, &rows);      (appends)
 *         iapt_stats_destroy(&st);
 *     iapt_stat_rows_csv(rows, &buf);
 *     iapt_stat_rows_destroy(&rows);
 *
 * Threads: an accumulator and a rows object are not thread-safe; distinct
 * ones may be used from distinct threads. Geography is only read.
 */
#ifndef IAPT_STATS_H
#define IAPT_STATS_H

#include "common/date.h"
#include "common/geography.h"
#include "common/measures.h"
#include "common/util.h"

#include <stdbool.h>
#include <stddef.h>

/* GROUP_TYPE: enum iapt_group_type (common/measure_schema.h). */

/* "England", "Region", "ICB", "SubICB", "Provider"; NULL out of range. */
const char *iapt_group_type_name(int type);

/* Type with this exact name, or -1. */
int iapt_group_type_find(const char *name);

typedef struct iapt_stats iapt_stats_t;

/*
 * A new accumulator of a collection's `schema` (which must outlive it) for
 * `period` and the schema's breakdown id `breakdown`.
 *   geography  maps commissioners to sub-ICB, ICB and region; NULL means
 *              none is known (England and Provider only). Must outlive the
 *              accumulator.
 * NULL (with the error detail set) for a bad breakdown id or out of memory.
 */
iapt_stats_t *iapt_stats_new(const iapt_measure_schema_t *schema, const iapt_period_t *period,
                             const iapt_geography_t *geography, int breakdown);

void iapt_stats_destroy(iapt_stats_t **st_p);

/*
 * Count one provider-level cell: merged into England, the provider, and,
 * when the geography lists `commissioner`, its sub-ICB, ICB and region (a
 * commissioner it does not list counts for England and the provider only).
 *   provider_code  the submitting provider (ORG_CODE2 of Provider rows);
 *   provider_name  its registry name; the first name given for a code is
 *                  kept;
 *   level          the cell's level in the accumulator's breakdown (0
 *                  without a breakdown);
 *   cell           read only; the caller keeps it.
 * 0, IAPT_EUSAGE (empty provider code, level out of range), IAPT_ENOMEM or
 * IAPT_ELIMIT; after a failure the accumulator may hold part of the cell:
 * destroy it.
 */
int iapt_stats_add_cell(iapt_stats_t *st, const char *provider_code, const char *provider_name,
                        const char *commissioner, int level, const iapt_cell_t *cell);

/* The summed cell of one group and level, or NULL when nothing was added
 * there. `code` is the ORG code ("all" or NULL for England). Valid until
 * the next iapt_stats_add_cell or iapt_stats_destroy. */
const iapt_cell_t *iapt_stats_cell(const iapt_stats_t *st, int group_type, const char *code,
                                   int level);

/* Most other collections' accumulators one accumulator joins. */
#define IAPT_STATS_JOINS_MAX 4

/*
 * Give `st` the accumulator of the collection named `collection` (its
 * registry name, as join rules name it; static storage) for the same period (breakdown
 * 0, fed with that collection's provider cells) for its join measures
 * (common/measure_schema.h iapt_measure_join_t): for each group, the other
 * collection's named counter and st's own `den` counter, both summed over
 * the group's providers with cells in both accumulators (a provider with an
 * accepted submission of both collections for the period). `other` must
 * outlive st's rows calls. Without it a join measure is empty. 0 or
 * IAPT_EUSAGE (another period, a breakdown accumulator, too many).
 */
int iapt_stats_add_join(iapt_stats_t *st, const char *collection, const iapt_stats_t *other);

/*
 * The value of join measure `measure` (index in the schema's measures) for
 * one group (code as iapt_stats_cell; breakdown 0 only), before formatting:
 * what the rows would print, so that a span can add its months' values
 * (hub/query_span.h). A group not in st, or without a provider in both
 * collections, gives an empty value. 0, or IAPT_EUSAGE (not a join measure,
 * a breakdown accumulator).
 */
int iapt_stats_join_value(const iapt_stats_t *st, int group_type, const char *code, int measure,
                          iapt_measure_value_t *v /* out */);

const iapt_period_t *iapt_stats_period(const iapt_stats_t *st);
int iapt_stats_breakdown(const iapt_stats_t *st);
const iapt_measure_schema_t *iapt_stats_schema(const iapt_stats_t *st);
const iapt_geography_t *iapt_stats_geography(const iapt_stats_t *st);

/* Which rows to produce. Zeroed = every group, every core measure,
 * suppressed. */
typedef struct iapt_stats_query {
    unsigned group_types;           /* IAPT_GROUP_BIT()s; 0 = all */
    const char *const *org_codes;   /* keep rows whose ORG_CODE1 or ORG_CODE2 */
    size_t n_org_codes;             /*   is one of these; 0 = all */
    const char *const *measure_ids; /* keep these measures (catalogue order */
    size_t n_measure_ids;           /*   in the output); 0 = all */
    bool unsuppressed;              /* every level written like England (analysts only:
                                     * the caller checks the role) */
} iapt_stats_query_t;

/* One publication row. Strings belong to the rows object: valid until it
 * is destroyed. Without a breakdown, breakdown and breakdown_level are "". */
typedef struct iapt_stat_row {
    const char *period_start; /* REPORTING_PERIOD_START, "2025-09-01" */
    const char *period_end;   /* REPORTING_PERIOD_END, "2025-09-30" */
    int group;                /* enum iapt_group_type */
    const char *group_type;   /* GROUP_TYPE */
    const char *org_code1, *org_name1, *org_code2, *org_name2;
    const char *breakdown;       /* BREAKDOWN (title) */
    const char *breakdown_level; /* BREAKDOWN_LEVEL */
    const char *measure_id;      /* MEASURE_ID */
    const char *measure_name;    /* MEASURE_NAME */
    const char *value;           /* MEASURE_VALUE_SUPPRESSED */
    int measure;                 /* index in the schema's catalogue */
} iapt_stat_row_t;

typedef struct iapt_stat_rows iapt_stat_rows_t;

/*
 * Append the rows of `st` to *rows (a new object when *rows is NULL), in
 * publication order: England, Region, ICB, SubICB, Provider; within a type
 * by ORG code (byte order); within a group by breakdown level; then
 * measures in catalogue order. A group (level) appears when its schema's
 * `appear` counter is not zero, and then with every selected measure
 * published in the accumulator's breakdown (iapt_measure_rule_t.breakdowns).
 * 0, IAPT_EUSAGE (an unknown measure id in the query, named in the
 * detail) or IAPT_ENOMEM; on failure *rows holds the rows it had before.
 */
int iapt_stats_rows(const iapt_stats_t *st, const iapt_stats_query_t *query,
                    iapt_stat_rows_t **rows /* in/out, owned */);

/* Append a copy of `row` (every string copied; group and measure looked up
 * from group_type and measure_id) to *rows, a new object when NULL: how a
 * client rebuilds rows it received, to use the writers below. The rows'
 * breakdown flag is set when `breakdown` is true. 0, IAPT_EUSAGE (unknown
 * group type or measure) or IAPT_ENOMEM. */
int iapt_stat_rows_append(iapt_stat_rows_t **rows, const iapt_measure_schema_t *schema,
                          const iapt_stat_row_t *row, bool breakdown);

void iapt_stat_rows_destroy(iapt_stat_rows_t **rows_p);
size_t iapt_stat_rows_count(const iapt_stat_rows_t *rows);
const iapt_stat_row_t *iapt_stat_rows_get(const iapt_stat_rows_t *rows, size_t i);
/* True when some row came from a breakdown accumulator: the writers then
 * add the BREAKDOWN and BREAKDOWN_LEVEL columns. */
bool iapt_stat_rows_have_breakdown(const iapt_stat_rows_t *rows);

/* Writers append to `out`; 0 or IAPT_ENOMEM. rows may be NULL (no rows). */

/* Publication CSV: header REPORTING_PERIOD_START,...,MEASURE_VALUE_SUPPRESSED
 * (with BREAKDOWN,BREAKDOWN_LEVEL after ORG_NAME2 when rows have a
 * breakdown), LF line ends, RFC 4180 quoting. */
int iapt_stat_rows_csv(const iapt_stat_rows_t *rows, iapt_buf_t *out);

/* JSON (common/json.h, one object per line): an array of objects whose
 * keys are the CSV header in lower case (reporting_period_start, ...,
 * measure_value_suppressed); the value is a JSON number ("12" -> 12,
 * "66.7" -> 66.7), the string "*" when suppressed, or null where the CSV
 * is empty (nothing to divide by); every other field is a string. */
int iapt_stat_rows_json(const iapt_stat_rows_t *rows, iapt_buf_t *out);

/* Aligned text for people: one line per row (period, group type, ORG code
 * and name of the group, breakdown level, measure id and name, value). */
int iapt_stat_rows_table(const iapt_stat_rows_t *rows, iapt_buf_t *out);

/* Compact aligned text: one line per group (and level, and period), the
 * chosen measures as columns headed by their ids; a measure the rows lack
 * for a group is blank. */
int iapt_stat_rows_table_wide(const iapt_stat_rows_t *rows, const char *const *measure_ids,
                              size_t n_measure_ids, iapt_buf_t *out);

/* The headline measures of the compact table (iapt_stat_rows_table_wide)
 * when the caller has no choice of its own: M001 M031 M076 M192 M186 M053
 * M055 (referrals, entering treatment, finishing, recovery, reliable
 * improvement, finishers seen within 6 and 18 weeks). Static storage. */
const char *const *iapt_stats_headline_measures(const iapt_measure_schema_t *schema,
                                                size_t *n /* out */);

/* ------------------------------------------------------------------------
 * Access and 2015 targets view (MEASURES-NOTES, per region)
 * ---------------------------------------------------------------------- */

/* One line of the view. Strings belong to the view object. */
typedef struct iapt_target_row {
    const char *region;   /* region name (the SHA name), or "England" */
    const char *measure;  /* what is measured, see iapt_targets_view */
    const char *value;    /* the figure ("*" suppressed, "" nothing to divide by) */
    const char *target;   /* the 2015 goal for it */
    const char *progress; /* value as a percentage of the target */
    /* Views laid out one row per value (CYP): the view's part ("coverage"),
     * GROUP_TYPE ("England", "Region", "Provider") and ORG_CODE ("all" for
     * England); region is then ORG_NAME. "" in the adult targets view. */
    const char *view;
    const char *group_type;
    const char *org_code;
} iapt_target_row_t;

typedef struct iapt_target_rows iapt_target_rows_t;

/*
 * The view for period `period` from the accumulators of the months up to
 * it (breakdown 0, one per month, any order): those of the 12 months
 * ending `period` that hold at least one referral are the view's months;
 * others are ignored. For every row of `targets` in file order whose name
 * is a region name of the accumulators' geography, then England (targets
 * summed), five lines:
 *   "Entering treatment per year"   sum M031 x 12 / months
 *                                   vs entering_treatment_by_2015
 *   "Access rate (%)"               annualised entering / prevalence x 100
 *                                   vs 15
 *   "Completion rate (%)"           sum M076 / sum M031 x 100 vs 66
 *   "Recovery rate (%)"             sum M191 / sum (M076 - M179) x 100 vs 50
 *   "Off sick pay or benefits per year"  finishers with SSP Y then N or
 *                                   benefits Y then N, x 12 / months
 *                                   vs off_sick_pay_benefits_by_2015
 * Disclosure control as for the publication (unless `unsuppressed`): a
 * region figure is `*` when the count behind it (or a rate's numerator or
 * denominator) is under 5; annual counts are rounded to 5 there and
 * percentages whole; England is exact (one decimal). Progress is value /
 * target x 100 from exact fractions.
 * 0, IAPT_EUSAGE (two accumulators of one month, a breakdown accumulator),
 * IAPT_ENOMEM, IAPT_ELIMIT.
 */
int iapt_targets_view(const iapt_period_t *period, const iapt_stats_t *const *months,
                      size_t n_months, const iapt_sha_targets_t *targets, bool unsuppressed,
                      iapt_target_rows_t **out /* out, owned */);

/* A programme view's rows (common/view.c), for a collection's view hook
 * (common/measure_schema.h iapt_view_fn) to fill: the window of months
 * ("YYYY-MM" first and last) and how many had data; NULL when out of
 * memory. */
iapt_target_rows_t *iapt_target_rows_new(const char *first, const char *last, int months);
/* Append a line (every string copied). 0, IAPT_EUSAGE or IAPT_ENOMEM. */
int iapt_target_rows_add(iapt_target_rows_t *rows, const char *region, const char *measure,
                         const char *value, const char *target, const char *progress);
/* Append a line of a view laid out one row per value: view part, group type,
 * org code and name, measure, value (target and progress empty). */
int iapt_target_rows_add_value(iapt_target_rows_t *rows, const char *view, const char *group_type,
                               const char *org_code, const char *org_name, const char *measure,
                               const char *value);

void iapt_target_rows_destroy(iapt_target_rows_t **rows_p);
size_t iapt_target_rows_count(const iapt_target_rows_t *rows);
const iapt_target_row_t *iapt_target_rows_get(const iapt_target_rows_t *rows, size_t i);
/* Number of months with data the view used. */
int iapt_target_rows_months(const iapt_target_rows_t *rows);

/* Aligned text: a title line naming the 12 months and the months with
 * data, then region, measure, value, target, progress. */
int iapt_target_rows_text(const iapt_target_rows_t *rows, iapt_buf_t *out);

#endif
