/*
 * collection.h - a collection: one data flow of the programme, as one
 * module behind one interface.
 *
 * The programme runs several collections (the adult NHS Talking Therapies
 * data set, the children and young people's programme, the workforce).
 * Each travels the same way: the node reads a monthly export of CSV
 * tables, validates and pseudonymises it into records, signs and delivers
 * it; the hub stores the records, aggregates them into cells and publishes
 * measures with disclosure control; the auditor recomputes them. The
 * engine that does all that knows no collection by name: everything that
 * differs between collections is in the collection's module, described
 * by one iapt_collection_t.
 *
 * A collection module is one folder, common/collections/<key>/, holding
 *   - its tables and fields as data, and the rules beyond the generic ones
 *     (the node half, `node`: struct iapt_extract_schema, node/schema.h);
 *   - its record schema (proto/<key>.proto, the leaves it signs);
 *   - its derivation of records into cell contributions, its counters,
 *     measure catalogue, breakdowns and programme view (the hub half,
 *     `hub`: struct iapt_measure_schema, common/measure_schema.h);
 *   - its section of the national report (`report`: struct
 *     iapt_report_part, common/report.h);
 * and is registered in the one table of common/collections/collections.c.
 * Adding a fourth collection means one new folder, one .proto and one line
 * in that table.
 *
 * Collections are static, immutable data: thread-safe; nothing to free.
 */
#ifndef IAPT_COLLECTION_H
#define IAPT_COLLECTION_H

#include <stddef.h>

struct iapt_extract_schema; /* node/schema.h: tables, rules, records */
struct iapt_measure_schema; /* common/measure_schema.h: cells, measures */
struct iapt_report_part;    /* common/report.h: its section of the report */

typedef struct iapt_collection {
    /* The manifest's `collection`, the --collection value (compared
     * without regard to case) and the name in every output: "IAPT" for
     * the adult collection. */
    const char *name;
    /* File-name stem and folder: "adult", "cyp", "workforce". */
    const char *key;
    /* For people: "Adult NHS Talking Therapies". */
    const char *title;
    /* Index in the registry, 0 for the adult collection. Stable: the hub
     * keys its storage by it (never renumber a collection). */
    unsigned index;
    /* The manifest's `dataset_version` for this collection ("2.1" for the
     * adult one): the node writes it, the hub refuses any other. */
    const char *dataset_version;
    const struct iapt_extract_schema *node; /* the node half */
    const struct iapt_measure_schema *hub;  /* the hub and auditor half */
    /* Its section of the national report (iapt-query report), or NULL. */
    const struct iapt_report_part *report;
} iapt_collection_t;

/* Every registered collection in index order; *n receives their number.
 * Static storage. */
const iapt_collection_t *const *iapt_collections(size_t *n /* out */);

/* The collection with this name or key (case-insensitive; "adult" and
 * "IAPT" both name the adult collection), or NULL. */
const iapt_collection_t *iapt_collection_find(const char *name);

/* The collection with registry index `index`, or NULL. */
const iapt_collection_t *iapt_collection_at(unsigned index);

/* The adult collection (index 0): the default wherever none is named. */
const iapt_collection_t *iapt_collection_default(void);

/* The registered collections' names, comma-separated ("IAPT, CYP"), for
 * messages. Static storage. */
const char *iapt_collection_names(void);

#endif
