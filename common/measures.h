/*
 * measures.h - the generic measure engine over a collection's schema
 * (common/measure_schema.h; docs/MEASURES-NOTES.md is the rule book):
 *
 *   values      the exact value of one catalogue measure in one cell and
 *               its formatting with disclosure control;
 *   cell        an aggregate of contributions: the schema's counters plus
 *               exact distributions, so that merging cells then computing
 *               equals computing over the union; a compact versioned byte
 *               encoding for storage;
 *   agg         one submission's cells keyed by (placement code,
 *               breakdown, level), visited in key order.
 *
 * The engine knows no collection by name: the adult collection's half is
 * common/collections/adult/adult_measures.h.
 *
 * Sources: common/measures.c (values, formatting, schema lookups),
 * common/cell.c, common/agg.c.
 *
 * No floating point anywhere: every figure is an exact fraction of
 * integers, formatted with integer rounding (half up).
 *
 * Threads: schemas are immutable. A cell or an agg is not thread-safe; use
 * one per thread or lock around it. Distinct objects may be used from
 * distinct threads.
 */
#ifndef IAPT_MEASURES_H
#define IAPT_MEASURES_H

#include "common/date.h"
#include "common/measure_schema.h"
#include "common/util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------------------
 * Measure values (exact) and their formatting
 * ------------------------------------------------------------------------ */

/* The raw value of one measure in one cell:
 *   COUNT, SUM_FIXED     num = the count (sum), den = 1
 *   PERCENT, RATIO       num / den
 *   MEAN, MEAN_SIGNED    num = sum, den = count
 *   MEDIAN               num = 2 x median (exact: a whole or a half), den = count
 * den == 0 means there is nothing to divide by (the value is empty).
 * scale: the rule's fixed units (0 or 1 whole); supp: the value of the
 * rule's suppression counter, -1 when it names none. */
typedef struct iapt_measure_value {
    enum iapt_measure_kind kind;
    int64_t num;
    int64_t den;
    int64_t scale;
    int64_t supp;
    int64_t den_scale; /* RATIO: den in 1/den_scale units (0 or 1: whole) */
    bool empty;        /* "" at every level (a join with no provider in both) */
    /* Round half away from zero (-0.25 -> -0.3) rather than half up: the
     * schema's round_half_away, and always for MEAN_SIGNED. */
    bool half_away;
} iapt_measure_value_t;

/* Longest text iapt_measure_format writes, NUL included. */
#define IAPT_MEASURE_TEXT_MAX 32

/*
 * Format a value as measure_schema.h's kinds say (MEASURES-NOTES "Numbers
 * and disclosure control").
 *   exact  true for England, and for every level when unsuppressed output
 *          is asked for; false below England (suppression and rounding).
 * Empty string when there is nothing to divide by (and not suppressed).
 */
void iapt_measure_format(const iapt_measure_value_t *v, bool exact,
                         char out[IAPT_MEASURE_TEXT_MAX] /* out */);

/* ---------------------------------------------------------------------------
 * Aggregate cells
 * ------------------------------------------------------------------------ */

typedef struct iapt_cell iapt_cell_t;

/* Version byte of the encoding iapt_cell_encode writes. */
#define IAPT_CELL_FORMAT_VERSION 1
/* Any count a cell holds stays below this (decode refuses more, merge
 * refuses to go past it): keeps every sum exact in 64 bits. */
#define IAPT_CELL_COUNT_MAX ((uint64_t)1 << 36)
/* Values kept in distributions lie within +- this. */
#define IAPT_CELL_VALUE_MAX (1 << 18)

/* A new empty cell of `schema` (which must outlive it), or NULL when out
 * of memory. Owned by the caller. */
iapt_cell_t *iapt_cell_new(const iapt_measure_schema_t *schema);

/* Free a cell and set *cell_p to NULL; safe on NULL and twice. */
void iapt_cell_destroy(iapt_cell_t **cell_p);

/* The schema the cell was made for. */
const iapt_measure_schema_t *iapt_cell_schema(const iapt_cell_t *cell);

/* Empty the cell (keeps its memory for reuse). */
void iapt_cell_reset(iapt_cell_t *cell);

/* Add one contribution (its counters and distribution values). 0,
 * IAPT_ENOMEM, or IAPT_ELIMIT (a count or value over the cell limits; the
 * cell is then unchanged). */
int iapt_cell_add(iapt_cell_t *cell, const iapt_contribution_t *c);

/* dst += src (cells of one schema). 0, IAPT_EUSAGE (other schema),
 * IAPT_ENOMEM or IAPT_ELIMIT; dst unchanged on failure. */
int iapt_cell_merge(iapt_cell_t *dst, const iapt_cell_t *src);

/* True when the cell's `appear` counter is zero. */
bool iapt_cell_empty(const iapt_cell_t *cell);

/* The `appear` counter (referrals of the adult collection). */
uint64_t iapt_cell_referrals(const iapt_cell_t *cell);

/* Counter `i` of the schema, 0 out of range. */
uint64_t iapt_cell_counter(const iapt_cell_t *cell, int i);

/* Append the cell's canonical encoding to out (same contents, same bytes).
 * 0 or IAPT_ENOMEM. */
int iapt_cell_encode(const iapt_cell_t *cell, iapt_buf_t *out);

/* Replace the cell's contents with the decoding of bytes[0..len).
 * IAPT_EFORMAT on anything but a canonical encoding of a consistent cell
 * of the cell's schema: unknown version, a counter number not the
 * schema's, truncation, trailing bytes, overlong varints, counts or sizes
 * beyond the limits, unordered distributions, distribution totals that
 * disagree with their counters. Memory stays proportional to len. The
 * cell is empty after a failure. */
int iapt_cell_decode(iapt_cell_t *cell, const uint8_t *bytes, size_t len);

/* True when two cells hold the same figures. */
bool iapt_cell_equal(const iapt_cell_t *a, const iapt_cell_t *b);

/* The raw value of measure `measure` (index in the schema's catalogue).
 * 0, or IAPT_EUSAGE for an unknown index. A join measure's value here is
 * empty (`empty` set): joins are computed by the roll-up. */
int iapt_cell_measure(const iapt_cell_t *cell, int measure, iapt_measure_value_t *out /* out */);

/* ---------------------------------------------------------------------------
 * A submission's aggregation
 * ------------------------------------------------------------------------ */

typedef struct iapt_agg iapt_agg_t;

/* A new empty aggregation of `schema`, or NULL when out of memory. */
iapt_agg_t *iapt_agg_new(const iapt_measure_schema_t *schema);

void iapt_agg_destroy(iapt_agg_t **agg_p);

/* Add a contribution to the cell of its place (c->place: 3-5 of [A-Z0-9];
 * "" (unplaced) only for IAPT_PLACE_PROVIDER_HOME schemas), breakdown 0 and
 * (unless c->whole_only) its level in every breakdown. 0,
 * IAPT_EUSAGE (bad place or a level out of range), IAPT_ENOMEM or
 * IAPT_ELIMIT; on failure the agg may hold the contribution in some of its
 * cells: discard it. */
int iapt_agg_add(iapt_agg_t *agg, const iapt_contribution_t *c);

/* Visitor: `place` and `cell` are valid during the call only.
 * A non-zero return stops the walk and is returned by iapt_agg_foreach. */
typedef int (*iapt_agg_fn)(const char *place, int breakdown, int level, const iapt_cell_t *cell,
                           void *arg);

/* Visit every non-empty cell in (place (byte order), breakdown, level)
 * order. Returns 0 or the visitor's first non-zero result. */
int iapt_agg_foreach(const iapt_agg_t *agg, iapt_agg_fn fn, void *arg);

/* Number of non-empty cells. */
size_t iapt_agg_cells(const iapt_agg_t *agg);

/* ---------------------------------------------------------------------------
 * A submission's derivation through the schema's hooks
 * ------------------------------------------------------------------------ */

/* Open the schema's derivation for `ctx`, call `record` for each record and
 * `close` at the end: the contributions go to `agg` (placed by the
 * schema's placement rule; IAPT_PLACE_PROVIDER_HOME uses `home`, the
 * provider's home sub-ICB or "" when unknown). */
typedef struct iapt_derivation iapt_derivation_t;

int iapt_derivation_open(const iapt_measure_schema_t *schema, const iapt_derive_context_t *ctx,
                         const char *home, iapt_agg_t *agg, iapt_derivation_t **out /* out */);
/* One record; the hook's result (IAPT_EFORMAT naming the field ...). */
int iapt_derivation_record(iapt_derivation_t *d, const uint8_t *bytes, size_t len, size_t index);
/* The close hook. */
int iapt_derivation_close(iapt_derivation_t *d);
/* Free (safe on NULL). */
void iapt_derivation_destroy(iapt_derivation_t **d_p);

#endif
