/*
 * measure_schema.h - the hub half of a collection (common/collection.h):
 * everything the generic engine (cells, aggregation, roll-up, disclosure
 * control, output layouts, ingest, query, audit) needs to know of one
 * collection, as data plus a few hooks.
 *
 *   counters       the whole numbers a cell holds (encoding order), which
 *                  one says "this group appears", and names for them;
 *   distributions  exact value -> count maps for medians and means, each
 *                  totalling one counter;
 *   catalogue      the measures in output order: id, official name, kind,
 *                  the counters and distribution each is computed from,
 *                  the counter that decides its suppression, a fixed-unit
 *                  scale;
 *   breakdowns     the equality and service splits and their levels
 *                  (breakdown 0 is always the whole group, one level "");
 *   group levels   which of England, Region, ICB, SubICB, Provider the
 *                  collection publishes;
 *   placement      where a cell sits in the geography: by the sub-ICB code
 *                  a record carries, or by the provider's home sub-ICB
 *                  from the hub's providers file;
 *   derivation     per submission: open -> record (each serialized record,
 *                  untrusted) -> close -> free, emitting contributions
 *                  {placement code, breakdown levels, counter increments,
 *                  distribution values} that the engine adds to cells;
 *   configuration  the table the collection loads (config key, default
 *                  file, loader, SHA-256 for outputs);
 *   views          an optional programme view and an optional
 *                  cross-collection join for measures whose numerator comes
 *                  from another collection.
 *
 * A collection defines one `const struct iapt_measure_schema` and points
 * its registry entry's `.hub` at it. The engine never names a collection:
 * the adult collection's schema is iapt_adult_measure_schema
 * (common/collections/adult/), and a test may define its own.
 *
 * Rules the engine applies the same way to every collection:
 *   - a cell's encoding is version 1 of common/cell.c with the schema's
 *     n_counters counters then its n_dists distributions; the schema's
 *     counter order is therefore part of the stored format: append only;
 *   - measure values are exact fractions, formatted with integer rounding
 *     half up (docs/MEASURES-NOTES.md "Numbers and disclosure control"),
 *     or half away from zero for MEAN_SIGNED and for every measure of a
 *     schema with round_half_away (-0.25 -> -0.3); integer arithmetic never
 *     writes -0.0;
 *   - a group (and breakdown level) appears when its `appear` counter is
 *     not zero, and then with every selected measure.
 *
 * Ownership: schemas are static, immutable data. Derivation state belongs
 * to the engine between open and free. Threads: a schema is read only and
 * may be shared; one derivation state is used by one thread.
 */
#ifndef IAPT_MEASURE_SCHEMA_H
#define IAPT_MEASURE_SCHEMA_H

#include "common/date.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct iapt_geography;
struct iapt_providers;
struct iapt_stats;
struct iapt_target_rows;
struct iapt_buf;

/* Bounds every schema keeps (the engine sizes fixed arrays by them). */
#define IAPT_SCHEMA_COUNTERS_MAX 256
#define IAPT_SCHEMA_DISTS_MAX 8
#define IAPT_SCHEMA_BREAKDOWNS_MAX 16
/* Most levels any breakdown of any collection has. */
#define IAPT_BREAKDOWN_LEVELS_MAX 64

/* GROUP_TYPE, in output order. */
enum iapt_group_type {
    IAPT_GROUP_ENGLAND = 0,
    IAPT_GROUP_REGION = 1,
    IAPT_GROUP_ICB = 2,
    IAPT_GROUP_SUBICB = 3,
    IAPT_GROUP_PROVIDER = 4,
};
#define IAPT_GROUP_TYPES 5
#define IAPT_GROUP_BIT(t) (1u << (t))
#define IAPT_GROUP_ALL 0x1fu

/* ---------------------------------------------------------------------------
 * Catalogue
 * ------------------------------------------------------------------------ */

/*
 * How a measure is computed from a cell and how it is written. Below, num
 * and den are the raw value's fields (iapt_measure_value_t); "exact" is
 * England (or unsuppressed output), "below" every other level; "supp" is
 * the rule's suppression counter when it names one.
 *   COUNT        num = counter. Exact: integer. Below: `*` under 5, else
 *                rounded to 5.
 *   PERCENT      100 x num / (den - den_minus). Exact: one decimal. Below:
 *                `*` when num or den is under 5, else whole.
 *   MEAN         distribution sum / count. One decimal. Below: `*` when
 *                count or sum is under 5.
 *   MEDIAN       of a distribution (exact in halves). One decimal. Below:
 *                `*` when count is under 5.
 *   RATIO        num / den, one decimal everywhere. Below: `*` when num or
 *                den is under 5.
 *   SUM_FIXED    a sum kept in 1/scale units in counter num (a WTE in
 *                hundredths): two decimals exact, one decimal below; `*`
 *                below when supp (its headcount) is under 5.
 *   MEAN_SIGNED  distribution sum / count, the sum may be negative (a mean
 *                change): one decimal; `*` below when count is under 5
 *                (the sum decides nothing).
 * Every kind honours `scale` (values kept in 1/scale units: CYP goal
 * movement in 1/600 points) and, when `supp` names a counter, is `*` below
 * England when that counter is under 5 (in addition to its own rule).
 * A value with nothing to divide by is the empty string (after the
 * suppression checks).
 */
enum iapt_measure_kind {
    IAPT_MEASURE_COUNT = 0,
    IAPT_MEASURE_PERCENT = 1,
    IAPT_MEASURE_MEAN = 2,
    IAPT_MEASURE_MEDIAN = 3,
    IAPT_MEASURE_RATIO = 4,
    IAPT_MEASURE_SUM_FIXED = 5,
    IAPT_MEASURE_MEAN_SIGNED = 6,
};

typedef struct iapt_measure_def {
    const char *id;   /* "M001", "C051" */
    const char *name; /* official measure name */
    enum iapt_measure_kind kind;
} iapt_measure_def_t;

/* A measure whose numerator is another collection's counter (workforce
 * W040/W041: CYP contacts per practitioner WTE). The engine sums, for each
 * group, the other collection's provider-level counter `counter` and this
 * collection's own `den` counter over the providers that have an accepted
 * submission of BOTH collections for the period; the rule's kind then
 * formats num / den as usual. The other collection is found by name in the
 * registry and its counter by name (iapt_measure_schema.counter_names).
 * The rule's supp counter, when it names one, is summed over the same
 * providers (the joined providers' headcount decides suppression). A
 * group with no provider in both (and an engine without the other
 * collection's cells) has an empty value at every level: the empty rule
 * wins over suppression. Joins are published without a breakdown only. */
typedef struct iapt_measure_join {
    const char *collection; /* registry name, "CYP"; NULL: no join */
    const char *counter;    /* name of the numerator counter there */
} iapt_measure_join_t;

typedef struct iapt_measure_rule {
    iapt_measure_def_t def;
    int num;       /* COUNT, PERCENT, RATIO, SUM_FIXED: counter; -1 unused */
    int den;       /* PERCENT, RATIO: counter; -1 unused */
    int den_minus; /* PERCENT: counter subtracted from den, or -1 */
    int dist;      /* MEAN, MEDIAN, MEAN_SIGNED: distribution, or -1 */
    int supp;      /* counter under 5 of which suppresses below England, or -1 */
    int64_t scale; /* values in 1/scale units; 0 or 1: whole units */
    iapt_measure_join_t join;
    /* A stock at the period end (waiting, open, in post) rather than a count
     * of events in the period: a quarter or a year takes the value of its
     * last month with data, never the sum of its months (hub/query_span.h). */
    bool stock;
    /* The breakdowns the measure is published in: IAPT_BREAKDOWN_BIT(b)s
     * (breakdown 0, the whole group, included or not like any other);
     * 0 = every breakdown. Rows of a breakdown leave the others out. */
    unsigned breakdowns;
    /* RATIO: the den counter holds 1/den_scale units (a WTE in hundredths:
     * 100), so the value is num x den_scale / den (appointments per WTE).
     * Such a denominator is no headcount: it decides no suppression, the
     * rule's supp (the headcount behind it) does. 0 or 1: whole units. */
    int64_t den_scale;
} iapt_measure_rule_t;

/* Bit of iapt_measure_rule_t.breakdowns for breakdown b. */
#define IAPT_BREAKDOWN_BIT(b) (1u << (b))

/* ---------------------------------------------------------------------------
 * Breakdowns
 * ------------------------------------------------------------------------ */

typedef struct iapt_breakdown_def {
    const char *key;           /* "age"; "none" for breakdown 0 */
    const char *title;         /* the BREAKDOWN column; "" for none */
    size_t n_levels;           /* <= IAPT_BREAKDOWN_LEVELS_MAX */
    const char *const *levels; /* BREAKDOWN_LEVEL labels in output order */
} iapt_breakdown_def_t;

/* ---------------------------------------------------------------------------
 * Derivation: records -> contributions
 * ------------------------------------------------------------------------ */

/* Where the engine places a collection's cells in the geography. */
enum iapt_placement {
    /* By the contribution's `place`, a sub-ICB code the record carries
     * (adult, CYP: the commissioner). */
    IAPT_PLACE_RECORD = 0,
    /* By the submitting provider's home sub-ICB in the providers file
     * (workforce): the engine fills `place` at ingest; a provider missing
     * from the file gets the empty code and counts for England and
     * Provider only. */
    IAPT_PLACE_PROVIDER_HOME = 1,
};

/* What one referral (staff member, ...) adds to its cells. The engine adds
 * it to the cell of breakdown 0 and, unless whole_only, of level[b] in
 * every breakdown b. */
typedef struct iapt_contribution {
    const char *place; /* 3-5 of [A-Z0-9]; ignored for IAPT_PLACE_PROVIDER_HOME
                        * (the engine places those, "" when unplaced) */
    uint8_t level[IAPT_SCHEMA_BREAKDOWNS_MAX];  /* level[0] = 0 */
    uint64_t counter[IAPT_SCHEMA_COUNTERS_MAX]; /* increments, n_counters used */
    bool has_value[IAPT_SCHEMA_DISTS_MAX];      /* one value per distribution */
    int32_t value[IAPT_SCHEMA_DISTS_MAX];
    /* true: added to the cell of breakdown 0 only, never to a breakdown
     * level (a vacant post, a submission's own counts: figures that belong
     * to the whole group and no level of any breakdown). */
    bool whole_only;
} iapt_contribution_t;

/* Called by the hooks for every contribution. 0, or a negative IAPT_E*
 * that the hook must return at once. */
typedef int (*iapt_emit_fn)(void *arg, const iapt_contribution_t *c);

/* What a derivation knows of the submission it derives. */
typedef struct iapt_derive_context {
    const iapt_period_t *period;            /* the manifest's reporting period */
    const char *provider;                   /* submitting provider's ORG code */
    const void *config;                     /* the collection's loaded table (see
                                             * iapt_schema_config), NULL when it has none */
    const struct iapt_providers *providers; /* the hub's providers file, may be NULL */
} iapt_derive_context_t;

typedef struct iapt_derive_hooks {
    /* New state for one submission. 0, IAPT_ENOMEM or IAPT_EUSAGE. The
     * context outlives the state. */
    int (*open)(const iapt_derive_context_t *ctx, void **state /* out */);
    /* One serialized record (untrusted bytes: decoded and every promise
     * of the collection's .proto checked), `index` its position in the
     * submission. Emits zero or more contributions. 0, IAPT_EFORMAT with
     * the detail naming the field ("appointments[3].attendance: not a
     * valid code"), IAPT_ENOMEM, or an emit failure. */
    int (*record)(void *state, const uint8_t *bytes, size_t len, size_t index, iapt_emit_fn emit,
                  void *arg);
    /* After the last record: may emit contributions that need the whole
     * submission (workforce: distinct supervisors). NULL: nothing. */
    int (*close)(void *state, iapt_emit_fn emit, void *arg);
    /* Free the state; safe on NULL. */
    void (*free)(void *state);
} iapt_derive_hooks_t;

/* ---------------------------------------------------------------------------
 * Configuration: the collection's table
 * ------------------------------------------------------------------------ */

typedef struct iapt_schema_config {
    const char *key;          /* hub.conf / auditor key: "tools", "cyp-tools"; NULL: none */
    const char *default_file; /* e.g. "data/cyp-assessment-tools.csv"; NULL: built in */
    /* Load from a file (path NULL: the built-in default). IAPT_EIO or
     * IAPT_EFORMAT naming file, line and reason; *out owned by caller. */
    int (*load)(const char *path, void **out /* out */);
    void (*free)(void *config);
    /* SHA-256 of the table's canonical text, written in outputs. */
    void (*sha256)(const void *config, uint8_t out[32]);
} iapt_schema_config_t;

/* ---------------------------------------------------------------------------
 * Programme view
 * ------------------------------------------------------------------------ */

/* Most months a programme view may read (five years). */
#define IAPT_VIEW_MONTHS_MAX 60

/* What a programme view reads: the accumulators (breakdown 0) of the
 * months up to `period` (the schema's view_months of them), in any order;
 * an entry may be NULL or hold no cells. */
typedef struct iapt_view_input {
    const iapt_period_t *period;
    const struct iapt_stats *const *months;
    size_t n_months;
    const struct iapt_geography *geography;
    const struct iapt_providers *providers; /* may be NULL */
    const void *targets;                    /* the collection's targets table, may be NULL */
    bool unsuppressed;
} iapt_view_input_t;

/* Lines of region / measure / value / target / progress (common/stats.h
 * iapt_target_rows_t). 0, IAPT_EUSAGE, IAPT_ENOMEM or IAPT_ELIMIT. */
typedef int (*iapt_view_fn)(const iapt_view_input_t *in, struct iapt_target_rows **out /* out */);

/* ---------------------------------------------------------------------------
 * The schema
 * ------------------------------------------------------------------------ */

typedef struct iapt_measure_schema {
    size_t n_counters;                /* <= IAPT_SCHEMA_COUNTERS_MAX */
    const char *const *counter_names; /* n_counters names (joins, diagnostics); may be NULL */
    int appear;                       /* the counter that makes a group appear */
    /* n_counters entries: the counter each never exceeds (adult: every
     * appointment counter is bounded by the appointments, every other by
     * the referrals), -1 for none; decoding refuses a cell that breaks
     * one. NULL: no bounds. */
    const int *counter_bound;

    size_t n_dists;        /* <= IAPT_SCHEMA_DISTS_MAX */
    const int *dist_total; /* n_dists: the counter each distribution's total equals */

    size_t n_measures;
    const iapt_measure_rule_t *measures; /* output order */

    size_t n_breakdowns;                    /* <= IAPT_SCHEMA_BREAKDOWNS_MAX, >= 1 */
    const iapt_breakdown_def_t *breakdowns; /* [0] is "none" */

    unsigned group_types; /* IAPT_GROUP_BIT()s published (workforce: no SubICB) */
    enum iapt_placement placement;

    iapt_derive_hooks_t derive;
    iapt_schema_config_t config;

    /* Headline measure ids of the compact table when the user names none. */
    size_t n_headline;
    const char *const *headline;

    /* Round every value half away from zero (CYP) rather than half up
     * (adult: its published figures). Values differ only when negative. */
    bool round_half_away;

    /* Months the programme view reads (the period and those before it):
     * 0 means 12. At most IAPT_VIEW_MONTHS_MAX. */
    unsigned view_months;
    /* The view needs the hub's targets table (adult); without it the hub
     * refuses the query. */
    bool view_needs_targets;

    iapt_view_fn view;      /* programme view, or NULL */
    const char *view_title; /* "targets" for the adult collection, NULL without a view */
} iapt_measure_schema_t;

/* Index of the measure with this id in schema->measures, or -1. */
int iapt_schema_measure_find(const iapt_measure_schema_t *schema, const char *id);

/* Index of the breakdown with this key ("none" is 0), or -1. */
int iapt_schema_breakdown_find(const iapt_measure_schema_t *schema, const char *key);

/* Breakdown `id`, or NULL out of range. */
const iapt_breakdown_def_t *iapt_schema_breakdown(const iapt_measure_schema_t *schema, int id);

/* Index of the counter with this name, or -1. */
int iapt_schema_counter_find(const iapt_measure_schema_t *schema, const char *name);

/* Check a schema's own consistency (bounds, indexes in range, breakdown 0
 * "none" with one level, every distribution's total a counter). 0 or
 * IAPT_EUSAGE naming what is wrong. The engine checks each registered
 * schema once; a test checks its toy schema. */
int iapt_measure_schema_check(const iapt_measure_schema_t *schema);

#endif
