/* Fuzz target: the workforce collection's extract pipeline (read, validate,
 * its rules, pseudonymise, serialize, report) from memory. The input is
 * split at form feeds (0x0C) into WF001Staff, WF002Supervision and
 * WF003Vacancy, in that order; a fixed valid header is always there.
 * Beyond not crashing: every record unpacks as one WfRecord (a staff
 * record with a 16-byte pseudonym, a supervisor pseudonym only when it
 * names another staff record of the extract, sessions in day order inside
 * the period), and every field's counts add up to its table's rows. */
#include "common/collections/workforce/workforce_node.h"
#include "common/err.h"
#include "common/sign.h"
#include "node/extract.h"
#include "proto/workforce.pb-c.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char s_header[] =
    "OrgIDProv,ReportingPeriodStartDate,ReportingPeriodEndDate,DateTimeDatSetCreate\n"
    "RAT,2024-05-01,2024-05-31,2024-06-03T09:00:00\n";
static const char *const s_tables[] = {"WF001Staff", "WF002Supervision", "WF003Vacancy"};
#define S_NTABLES (sizeof s_tables / sizeof *s_tables)

static void
s_check(const iapt_extract_t *ext)
{
    size_t n = ext->n_records, staff = 0;
    Iapt__WfRecord **r = calloc(n ? n : 1, sizeof *r);
    if (!r)
        abort();
    for (size_t i = 0; i < n; i++) {
        r[i] = iapt__wf_record__unpack(NULL, ext->record_len[i], ext->record[i]);
        if (!r[i] || r[i]->kind_case == IAPT__WF_RECORD__KIND__NOT_SET)
            abort();
        if (r[i]->kind_case != IAPT__WF_RECORD__KIND_STAFF)
            continue;
        const Iapt__WfStaffRecord *s = r[i]->staff;
        staff++;
        if (s->staff_id.len != 16 || s->wte_x100 < 1 || s->wte_x100 > 100)
            abort();
        for (size_t k = 0; k < s->n_sessions; k++)
            if (s->sessions[k]->day < 0 || s->sessions[k]->day > 30 ||
                (k > 0 && s->sessions[k]->day < s->sessions[k - 1]->day) ||
                s->sessions[k]->minutes < 1 || s->sessions[k]->minutes > 600)
                abort();
    }
    for (size_t i = 0; i < n; i++) {
        if (r[i]->kind_case != IAPT__WF_RECORD__KIND_STAFF || !r[i]->staff->has_supervisor_id)
            continue;
        int named = 0;
        for (size_t j = 0; j < n; j++)
            named |= r[j]->kind_case == IAPT__WF_RECORD__KIND_STAFF &&
                     r[i]->staff->supervisor_id.len == 16 &&
                     !memcmp(r[j]->staff->staff_id.data, r[i]->staff->supervisor_id.data, 16);
        if (!named)
            abort();
    }
    for (size_t i = 0; i < n; i++)
        iapt__wf_record__free_unpacked(r[i], NULL);
    free(r);
    const Iapt__QualitySummary *q = ext->quality;
    for (size_t t = 0; t < q->n_tables; t++)
        for (size_t f = 0; f < q->tables[t]->n_fields; f++) {
            const Iapt__FieldQuality *fq = q->tables[t]->fields[f];
            if (fq->valid + fq->invalid + fq->missing != q->tables[t]->rows)
                abort();
        }
    if (q->findings != ext->n_findings + ext->findings_not_listed || q->referrals_used != staff ||
        q->referrals_used > q->referrals_selected)
        abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t key_bytes[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    static iapt_pseudokey_t key = {key_bytes, {0}};
    static FILE *devnull;
    static int ready;
    if (!ready) {
        if (iapt_crypto_init() < 0)
            abort();
        devnull = fopen("/dev/null", "w");
        ready = 1;
    }

    iapt_extract_file_t files[S_NTABLES + 1];
    size_t n = 0, seg = 0, start = 0;
    files[n++] = (iapt_extract_file_t){"WF000Header", s_header, sizeof s_header - 1};
    for (size_t i = 0; i <= size && seg < S_NTABLES; i++) {
        if (i < size && data[i] != '\f')
            continue;
        files[n++] = (iapt_extract_file_t){s_tables[seg], (const char *)data + start, i - start};
        seg++;
        start = i + 1;
    }

    iapt_period_t period;
    iapt_period_make(2024, 5, &period);
    iapt_csv_limits_t lim = {1024, 64, 4000};
    iapt_extract_options_t opt = {
        .schema = &iapt_workforce_extract_schema,
        .period = &period,
        .org = "RAT",
        .key = &key,
        .today = period.end + 10,
        .limits = &lim,
        .max_rows = 20000,
    };
    iapt_extract_t *ext = NULL;
    int rc = iapt_extract_read_mem(&opt, files, n, &ext);
    if (rc == 0) {
        s_check(ext);
        if (devnull) {
            iapt_extract_report_text(ext, 20, devnull);
            iapt_extract_report_json(ext, devnull);
        }
    } else if (ext || rc == IAPT_EUSAGE) {
        abort();
    }
    iapt_extract_destroy(&ext);
    return 0;
}
