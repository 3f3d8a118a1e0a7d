/* Fuzz target: iapt_cell_decode over arbitrary bytes (cells come from LMDB
 * and may have been written by another version). Beyond "no crash, no
 * leak", an accepted input must be canonical: encoding the decoded cell
 * gives back exactly the input, and every measure formats. */
#include "common/measures.h"
#include "common/collections/adult/adult_measures.h"
#include "common/util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    iapt_cell_t *cell = iapt_cell_new(&iapt_adult_measure_schema);
    if (!cell)
        return 0;
    if (iapt_cell_decode(cell, data, size) == 0) {
        iapt_buf_t buf = IAPT_BUF_INIT;
        if (iapt_cell_encode(cell, &buf) == 0 && (buf.len != size || memcmp(buf.data, data, size)))
            abort(); /* decode accepted a non-canonical encoding */
        iapt_buf_free(&buf);
        size_t n;
        iapt_measure_defs(&n);
        for (size_t m = 0; m < n; m++) {
            iapt_measure_value_t v;
            char text[IAPT_MEASURE_TEXT_MAX];
            iapt_cell_measure(cell, (int)m, &v);
            iapt_measure_format(&v, true, text);
            iapt_measure_format(&v, false, text);
        }
        iapt_cell_t *twice = iapt_cell_new(&iapt_adult_measure_schema);
        if (twice && iapt_cell_merge(twice, cell) == 0 && iapt_cell_merge(twice, cell) == 0)
            iapt_cell_referrals(twice);
        iapt_cell_destroy(&twice);
    }
    iapt_cell_destroy(&cell);
    return 0;
}
