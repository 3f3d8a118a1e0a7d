/*
 * extract_fixture.h - small extracts for the node/extract tests: a fixed
 * period (2024-05), organisation (RAT), key and "today", tables given as C
 * strings (read from memory, or written to a temporary directory), and
 * helpers to find findings and unpack records.
 */
#ifndef IAPT_TESTS_EXTRACT_FIXTURE_H
#define IAPT_TESTS_EXTRACT_FIXTURE_H

#include "common/date.h"
#include "common/err.h"
#include "common/keys.h"
#include "common/util.h"
#include "common/collections/adult/adult_node.h"
#include "node/anonymise.h"
#include "node/extract.h"
#include "proto/adult.pb-c.h"
#include "tests/test.h"

#include <sodium.h>

/* Valid NHS numbers (modulus 11) and one whose check digit is wrong. */
#define NHS1 "9434765919"
#define NHS2 "4010232137"
#define NHS3 "1234567881"
#define NHS_BAD_CHECK "9434765918"

#define HDR_COLS "OrgIDProv,ReportingPeriodStartDate,ReportingPeriodEndDate,DateTimeDatSetCreate\n"
#define HDR HDR_COLS "RAT,2024-05-01,2024-05-31,2024-06-03T09:00:00\n"
#define MPI_COLS "LocalPatientId,NHSNumber,PersonBirthDate,Postcode,GenderIdentity,EthnicCategory\n"
#define MPI MPI_COLS "P1," NHS1 ",1980-03-15,NE1 1AD,2,A\n"
#define REF_COLS                                                                                   \
    "ServiceRequestId,LocalPatientId,OrgIDComm,ReferralRequestReceivedDate,"                       \
    "SourceOfReferralIAPT,ServDischDate,EndCode\n"
#define REF REF_COLS "R1,P1,00L,2024-04-10,B1,,\n"
#define CON_COLS                                                                                   \
    "CareContactId,ServiceRequestId,CareContDate,AppType,AttendOrDNACode,ConsMechanism\n"
#define ACT_COLS "CareActId,CareContactId,CodeProcAndProcStatus\n"
#define PRB_COLS "ServiceRequestId,PresComp,PresCompCodSig,PresCompDate\n"
#define S06_COLS "ServiceRequestId,CodedAssToolType,PersScore,AssToolCompDate\n"
#define S07_COLS "CareActId,CodedAssToolType,PersScore\n"
#define EMP_COLS "LocalPatientId,EmployStatusRecDate,EmployStatus,SSPInd,BenefitRecInd\n"
#define LTC_COLS "LocalPatientId,LongTermCondition\n"

#define PHQ9 "720433000"
#define GAD7 "445455005"

/* Table text by table; NULL = absent. Indexes follow EXTRACT.md order. */
typedef struct fx_extract {
    const char *hdr, *mpi, *ref, *con, *act, *prb, *s06, *s07, *emp, *ltc;
} fx_extract_t;

static const char *const fx_table_names[] = {
    "IDS000Header",
    "IDS001MPI",
    "IDS101Referral",
    "IDS201CareContact",
    "IDS202CareActivity",
    "IDS603PresentingComplaints",
    "IDS606CodedScoreAssessmentRefer",
    "IDS607CodedScoreAssessmentAct",
    "IDS004EmpStatus",
    "IDS602LongTermCondition",
};

static inline iapt_pseudokey_t *
fx_key(uint8_t fill)
{
    static iapt_pseudokey_t keys[4];
    static uint8_t bytes[4][IAPT_PSEUDO_KEY_BYTES];
    int i = fill & 3;
    memset(bytes[i], fill, sizeof bytes[i]);
    keys[i].key = bytes[i];
    return &keys[i];
}

static inline iapt_period_t *
fx_period(const char *text)
{
    static iapt_period_t p[4];
    static int next;
    iapt_period_t *q = &p[next++ & 3];
    if (iapt_period_parse(text, q) < 0)
        abort();
    return q;
}

/* Options: period 2024-05, org RAT, key 0x11.., today 2024-06-10. */
static inline iapt_extract_options_t
fx_options(void)
{
    iapt_extract_options_t o;
    memset(&o, 0, sizeof o);
    o.period = fx_period("2024-05");
    o.org = "RAT";
    o.key = fx_key(0x11);
    o.today = iapt_days_from_civil(2024, 6, 10);
    return o;
}

/* Read from memory with the given options; returns the error code and sets
 * *out on success. */
static inline int
fx_read_opt(const fx_extract_t *e, const iapt_extract_options_t *opt, iapt_extract_t **out)
{
    iapt_extract_file_t files[10];
    const char *const *text = &e->hdr;
    size_t n = 0;
    for (int t = 0; t < 10; t++)
        if (text[t])
            files[n++] = (iapt_extract_file_t){fx_table_names[t], text[t], strlen(text[t])};
    *out = NULL;
    return iapt_extract_read_mem(opt, files, n, out);
}

static inline iapt_extract_t *
fx_read(const fx_extract_t *e)
{
    iapt_extract_options_t o = fx_options();
    iapt_extract_t *ext = NULL;
    int rc = fx_read_opt(e, &o, &ext);
    if (rc < 0)
        fprintf(stderr, "fx_read: %s: %s\n", iapt_strerror(rc), iapt_error_detail());
    return ext;
}

/* Write the tables into a fresh temporary directory; returns its path
 * (static storage). */
static inline const char *
fx_write_dir(const fx_extract_t *e)
{
    const char *dir = t_tmpdir();
    const char *const *text = &e->hdr;
    for (int t = 0; t < 10; t++) {
        if (!text[t])
            continue;
        char path[700];
        snprintf(path, sizeof path, "%s/%s.csv", dir, fx_table_names[t]);
        if (iapt_file_write_atomic(path, text[t], strlen(text[t]), 0600) < 0)
            abort();
    }
    return dir;
}

/* Remove a directory made by fx_write_dir and its files. */
static inline void
fx_rm_dir(const char *dir)
{
    char path[700];
    for (int t = 0; t < 10; t++) {
        snprintf(path, sizeof path, "%s/%s.csv", dir, fx_table_names[t]);
        unlink(path);
    }
    rmdir(dir);
}

/* The finding (table, line, field, reason), or NULL. */
static inline const iapt_finding_t *
fx_finding(const iapt_extract_t *ext, const char *table, uint64_t line, const char *field,
           const char *reason)
{
    for (size_t i = 0; ext && i < ext->n_findings; i++) {
        const iapt_finding_t *f = &ext->findings[i];
        if (strcmp(f->table, table) == 0 && f->line == line && strcmp(f->field, field) == 0 &&
            strcmp(f->reason, reason) == 0)
            return f;
    }
    return NULL;
}

static inline const Iapt__TableQuality *
fx_table(const iapt_extract_t *ext, const char *table)
{
    for (size_t i = 0; i < ext->quality->n_tables; i++)
        if (strcmp(ext->quality->tables[i]->table, table) == 0)
            return ext->quality->tables[i];
    return NULL;
}

static inline const Iapt__FieldQuality *
fx_field(const iapt_extract_t *ext, const char *table, const char *field)
{
    const Iapt__TableQuality *t = fx_table(ext, table);
    for (size_t i = 0; t && i < t->n_fields; i++)
        if (strcmp(t->fields[i]->field, field) == 0)
            return t->fields[i];
    return NULL;
}

/* The record of ServiceRequestId `id` (org RAT, key 0x11), unpacked; the
 * caller frees it with iapt__pathway_record__free_unpacked. NULL when none. */
static inline Iapt__PathwayRecord *
fx_record_org(const iapt_extract_t *ext, const char *org, const iapt_pseudokey_t *key,
              const char *id)
{
    uint8_t pid[IAPT_PSEUDONYM_BYTES];
    if (!ext || iapt_pseudonym_pathway(key, org, id, pid) < 0)
        return NULL;
    for (size_t i = 0; i < ext->n_records; i++) {
        Iapt__PathwayRecord *r =
            iapt__pathway_record__unpack(NULL, ext->record_len[i], ext->record[i]);
        if (r && r->pathway_id.len == sizeof pid &&
            memcmp(r->pathway_id.data, pid, sizeof pid) == 0)
            return r;
        if (r)
            iapt__pathway_record__free_unpacked(r, NULL);
    }
    return NULL;
}

static inline Iapt__PathwayRecord *
fx_record(const iapt_extract_t *ext, const char *id)
{
    return fx_record_org(ext, "RAT", fx_key(0x11), id);
}

static inline void
fx_free_record(Iapt__PathwayRecord *r)
{
    if (r)
        iapt__pathway_record__free_unpacked(r, NULL);
}

/* Day number relative to 2024-05-01. */
static inline int32_t
fx_day(int y, int m, int d)
{
    return iapt_days_from_civil(y, m, d) - iapt_days_from_civil(2024, 5, 1);
}

#endif
