/* workforce_collection.c - the workforce collection (docs/WORKFORCE.md):
 * its entry in the registry. */

#include "common/collection.h"
#include "common/collections/workforce/workforce_node.h"
#include "common/collections/workforce/workforce_schema.h"

const iapt_collection_t iapt_collection_workforce = {
    .name = "WORKFORCE",
    .key = "workforce",
    .title = "NHS Talking Therapies workforce",
    .index = 2,
    .dataset_version = "1.0",

    /* The node half: tables, rules and records (node/schema.h). */
    .node = &iapt_workforce_extract_schema,

    /* The hub half (common/measure_schema.h): counters, W001-W041,
     * breakdowns, placement, derivation and programme view. */
    .hub = &iapt_workforce_measure_schema,

    /* Its section of the national report (common/report.h). */
    .report = &iapt_workforce_report_part,
};
