/* Fuzz target: a pathway record from arbitrary bytes through derivation and
 * aggregation (records come over the network: signed, but untrusted). An
 * accepted record must aggregate, and its cell must survive an encode /
 * decode round trip unchanged. */
#include "common/measures.h"
#include "common/collections/adult/adult_measures.h"
#include "common/tools.h"
#include "common/util.h"
#include "proto/adult.pb-c.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char table[] =
        "tool,snomed_code,min,max,caseness,reliable_change,role,descriptors\n"
        "PHQ-9,720433000,0,27,10,6,depression,\n"
        "GAD-7,445455005,0,21,8,4,anxiety,\n"
        "SPIN,1111111,0,68,19,10,adsm,F401;F40\n";
    iapt_tools_t tools;
    iapt_period_t period;
    if (iapt_tools_parse(table, sizeof table - 1, "tools", &tools) < 0)
        abort();
    iapt_period_make(2025, 2, &period); /* 28 days */
    Iapt__PathwayRecord *rec = iapt__pathway_record__unpack(NULL, size, data);
    if (!rec)
        return 0;
    iapt_adult_derived_t d;
    if (iapt_adult_derive(rec, &period, &tools, &d) == 0) {
        iapt_cell_t *cell = iapt_cell_new(&iapt_adult_measure_schema),
                    *back = iapt_cell_new(&iapt_adult_measure_schema);
        iapt_agg_t *agg = iapt_agg_new(&iapt_adult_measure_schema);
        iapt_buf_t buf = IAPT_BUF_INIT;
        if (!cell || !back || !agg)
            abort();
        if (iapt_adult_cell_add(cell, &d) != 0 ||
            iapt_adult_agg_add(agg, rec->commissioner, &d) != 0)
            abort(); /* an accepted record always aggregates */
        if (iapt_cell_encode(cell, &buf) != 0 || iapt_cell_decode(back, buf.data, buf.len) != 0 ||
            !iapt_cell_equal(cell, back))
            abort();
        iapt_buf_free(&buf);
        iapt_agg_destroy(&agg);
        iapt_cell_destroy(&back);
        iapt_cell_destroy(&cell);
    }
    iapt__pathway_record__free_unpacked(rec, NULL);
    return 0;
}
