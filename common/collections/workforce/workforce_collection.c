/* workforce_collection.c - the workforce collection (docs/WORKFORCE.md):
 * its entry in the registry. */

#include "common/collection.h"
#include "common/collections/workforce/workforce_node.h"

const iapt_collection_t iapt_collection_workforce = {
    .name = "WORKFORCE",
    .key = "workforce",
    .title = "NHS Talking Therapies workforce",
    .index = 2,

    /* The node half: tables, rules and records (node/schema.h). */
    .node = &iapt_workforce_extract_schema,

    /* The hub half (common/measure_schema.h): not yet written; a hub
     * refuses this collection's submissions until it is. */
    .hub = NULL,
};
