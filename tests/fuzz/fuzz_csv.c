/* Fuzz target: the CSV reader (common/csv.h) over arbitrary bytes with small
 * limits. Beyond not crashing, every row must keep the reader's promises:
 * no more fields than the limit, no field longer than the limit, fields
 * NUL-terminated with no NUL inside, lines that never go backwards. */
#include "common/csv.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    iapt_csv_limits_t lim = {512, 32, 2000};
    iapt_csv_t *csv = NULL;
    const iapt_csv_row_t *row;
    uint64_t last_line = 0;
    int rc;

    if (iapt_csv_open_mem((const char *)data, size, "fuzz.csv", &lim, &csv) < 0)
        return 0;
    while ((rc = iapt_csv_next(csv, &row)) == 1) {
        if (row->n == 0 || row->n > lim.max_fields || row->line < last_line || row->line == 0)
            abort();
        last_line = row->line;
        for (size_t i = 0; i < row->n; i++)
            if (row->len[i] > lim.max_field || strlen(row->field[i]) != row->len[i])
                abort();
        (void)iapt_csv_column(row, "ServiceRequestId");
    }
    /* A failed reader stays failed. */
    if (rc < 0 && iapt_csv_next(csv, &row) >= 0)
        abort();
    iapt_csv_close(&csv);
    return 0;
}
