/* Fuzz target: the CYP collection's extract pipeline (read, validate against
 * its tool table, anonymise, serialize, report) from memory. The input is
 * split at form feeds (0x0C) into CYP101Referral, CYP201CareContact,
 * CYP607CodedScore and CYP001MPI, in that order; a fixed valid header and
 * tool table are always there, and a fixed MPI unless the input gives one.
 * Beyond not crashing: every record the node builds unpacks and is one the
 * hub half derives without refusing it (iapt_cyp_derive), records are sorted
 * by pathway_id, and every field's counts add up to its table's rows. */
#include "common/collections/cyp/cyp_derive.h"
#include "common/collections/cyp/cyp_node.h"
#include "common/collections/cyp/cyp_tools.h"
#include "common/err.h"
#include "common/sign.h"
#include "node/extract.h"
#include "proto/cyp.pb-c.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char s_header[] =
    "OrgIDProv,ReportingPeriodStartDate,ReportingPeriodEndDate,DateTimeDatSetCreate,OrgSector\n"
    "RAT,2024-05-01,2024-05-31,2024-06-03T09:00:00,VCS\n";
static const char s_mpi[] =
    "LocalPatientId,NHSNumber,PersonBirthDate,Postcode,GenderIdentity,EthnicCategory\n"
    "P1,9434765919,2010-03-15,NE1 1AD,2,A\n"
    "P2,,1990-01-01,,X,99\n";
static const char s_table[] = "code,name,kind,min,max,better,caseness,reliable_change\n"
                              "LOW,Lower is better,symptom,0,100,lower,20,5.5\n"
                              "HIGH,Higher is better,symptom,-5,40,higher,28,5\n"
                              "GOAL,Goal progress,goal,0,10,higher,,2.45\n";
static const char *const s_tables[] = {
    "CYP101Referral",
    "CYP201CareContact",
    "CYP607CodedScore",
    "CYP001MPI",
};
#define S_NTABLES (sizeof s_tables / sizeof *s_tables)

static void
s_check(const iapt_extract_t *ext, const iapt_period_t *period, const iapt_cyp_tools_t *tools)
{
    for (size_t i = 0; i < ext->n_records; i++) {
        Iapt__CypReferralRecord *r =
            iapt__cyp_referral_record__unpack(NULL, ext->record_len[i], ext->record[i]);
        iapt_cyp_derived_t d;
        if (!r || r->pathway_id.len != 16 || r->person_id.len != 16)
            abort();
        if (iapt_cyp_derive(r, period, tools, &d) != 0) {
            fprintf(stderr, "record %zu refused by the derivation: %s\n", i, iapt_error_detail());
            abort();
        }
        if (d.scores_ignored > (uint32_t)r->n_scores)
            abort();
        iapt__cyp_referral_record__free_unpacked(r, NULL);
        if (i > 0 && memcmp(ext->record[i - 1] + 2, ext->record[i] + 2, 16) >= 0)
            abort();
    }
    const Iapt__QualitySummary *q = ext->quality;
    for (size_t t = 0; t < q->n_tables; t++)
        for (size_t f = 0; f < q->tables[t]->n_fields; f++) {
            const Iapt__FieldQuality *fq = q->tables[t]->fields[f];
            if (fq->valid + fq->invalid + fq->missing != q->tables[t]->rows)
                abort();
        }
    if (q->findings != ext->n_findings + ext->findings_not_listed ||
        q->referrals_used != ext->n_records || q->referrals_used > q->referrals_selected)
        abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t key_bytes[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    static iapt_pseudokey_t key = {key_bytes, {0}};
    static iapt_cyp_tools_t tools;
    static FILE *devnull;
    static int ready;
    if (!ready) {
        if (iapt_crypto_init() < 0 ||
            iapt_cyp_tools_parse(s_table, sizeof s_table - 1, "tools", &tools) < 0)
            abort();
        devnull = fopen("/dev/null", "w");
        ready = 1;
    }

    iapt_extract_file_t files[S_NTABLES + 2];
    size_t n = 0, seg = 0, start = 0;
    int have_mpi = 0;
    files[n++] = (iapt_extract_file_t){"CYP000Header", s_header, sizeof s_header - 1};
    for (size_t i = 0; i <= size && seg < S_NTABLES; i++) {
        if (i < size && data[i] != '\f')
            continue;
        files[n++] = (iapt_extract_file_t){s_tables[seg], (const char *)data + start, i - start};
        have_mpi |= seg == S_NTABLES - 1;
        seg++;
        start = i + 1;
    }
    if (!have_mpi)
        files[n++] = (iapt_extract_file_t){"CYP001MPI", s_mpi, sizeof s_mpi - 1};

    iapt_period_t period;
    iapt_period_make(2024, 5, &period);
    iapt_csv_limits_t lim = {1024, 64, 4000};
    iapt_extract_options_t opt = {
        .schema = &iapt_cyp_extract_schema,
        .period = &period,
        .org = "RAT",
        .key = &key,
        .coll_tools = &tools,
        .today = period.end + 10,
        .limits = &lim,
        .max_rows = 20000,
    };
    iapt_extract_t *ext = NULL;
    int rc = iapt_extract_read_mem(&opt, files, n, &ext);
    if (rc == 0) {
        s_check(ext, &period, &tools);
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
