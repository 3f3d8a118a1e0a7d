/*
 * query_span.h - quarterly and annual measures (financial-year spans,
 * common/fyear.h) from the stored monthly provider cells, in the
 * publication layout (docs/MEASURES-NOTES.md "Quarters and years").
 *
 * A span's row merges the monthly cells of every month of the span (the
 * latest accepted submission of each provider and month, as the monthly
 * rows use), so counts of per-month events sum exactly, rates come from
 * summed numerators and denominators and medians from the merged exact
 * distributions: nothing is averaged from rounded monthly values. The two
 * stock measures (M038, M044: waiting at the period end) are taken from the
 * span's last month that holds data. Join measures (the workforce's
 * W040/W041, joined per provider and month with the adult collection) add
 * their months' joined numerators, denominators and suppression headcounts:
 * each month joins the providers with both submissions of that month.
 * REPORTING_PERIOD_START / END are the span's first and last days.
 *
 * Ownership: rows are appended to *rows (created when NULL), owned by the
 * caller. Errors: the loader's, IAPT_ENOMEM, IAPT_ELIMIT, IAPT_EUSAGE (an
 * unknown measure in the query). Threads: as common/stats.h (one call per
 * thread; the loader is called from the calling thread only).
 */
#ifndef IAPT_HUB_QUERY_SPAN_H
#define IAPT_HUB_QUERY_SPAN_H

#include "common/fyear.h"
#include "common/stats.h"

/* Feed every stored provider cell of (month, breakdown) into st; 0 or a
 * negative error code. */
typedef int (*iapt_span_load_fn)(void *arg, const iapt_period_t *month, int breakdown,
                                 iapt_stats_t *st);

/* Give st (one month's accumulator, breakdown 0) the other collections'
 * accumulators its join measures need (iapt_stats_add_join); they are put
 * in joins[], which the caller destroys after st. 0 or a negative error. */
typedef int (*iapt_span_join_fn)(void *arg, const iapt_period_t *month, iapt_stats_t *st,
                                 iapt_stats_t *joins[IAPT_STATS_JOINS_MAX]);

/* True for a measure (index in schema->measures) that is a stock at the
 * period end rather than a count of events in it (the rule's `stock`). */
bool iapt_span_measure_is_stock(const iapt_measure_schema_t *schema, int measure);

/* The rows of `span` for the collection of `schema`. join may be NULL (join
 * measures are then empty); load and join get load_arg. */
int iapt_span_rows(const iapt_measure_schema_t *schema, const iapt_fspan_t *span,
                   const iapt_geography_t *geo, int breakdown, const iapt_stats_query_t *query,
                   iapt_span_load_fn load, iapt_span_join_fn join, void *load_arg,
                   iapt_stat_rows_t **rows /* in/out, owned */);

#endif
