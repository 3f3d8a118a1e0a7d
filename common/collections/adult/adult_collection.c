/* adult_collection.c - the adult NHS Talking Therapies collection
 * (docs/EXTRACT.md, docs/MEASURES.md): its entry in the registry. */

#include "common/collection.h"
#include "common/collections/adult/adult_node.h"
#include "common/collections/adult/adult_measures.h"

const iapt_collection_t iapt_collection_adult = {
    .name = "IAPT",
    .key = "adult",
    .title = "Adult NHS Talking Therapies",
    .index = 0,
    .dataset_version = "2.1", /* IAPT_DATASET_VERSION */

    /* The node half: tables, rules and records (node/schema.h). */
    .node = &iapt_adult_extract_schema,

    /* The hub half: cells, measures and breakdowns (common/measure_schema.h). */
    .hub = &iapt_adult_measure_schema,

    /* Its section of the national report (common/report.h). */
    .report = &iapt_adult_report_part,
};
