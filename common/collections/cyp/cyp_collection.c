/* cyp_collection.c - the children and young people's collection (CYP IAPT,
 * docs/CYP.md): its entry in the registry. */

#include "common/collection.h"
#include "common/collections/cyp/cyp_node.h"
#include "common/collections/cyp/cyp_schema.h"

const iapt_collection_t iapt_collection_cyp = {
    .name = "CYP",
    .key = "cyp",
    .title = "Children and young people's IAPT",
    .index = 1,
    .dataset_version = "1.0",

    /* The node half: tables, rules and records (node/schema.h). */
    .node = &iapt_cyp_extract_schema,

    /* The hub half: cells, measures, breakdowns, programme view
     * (common/measure_schema.h). */
    .hub = &iapt_cyp_measure_schema,

    /* Its section of the national report (common/report.h). */
    .report = &iapt_cyp_report_part,
};
