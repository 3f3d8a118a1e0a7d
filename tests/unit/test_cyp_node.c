/* test_cyp_node.c - the CYP collection's node half (common/collections/cyp/
 * cyp_tables.c, cyp_rules.c, cyp_records.c) through the generic extract
 * engine: one small extract worked by hand, every finding it must give (file,
 * line, field, reason), the referrals selected, the records it builds (read
 * back field by field and derived by iapt_cyp_derive), the code lists against
 * cyp_codes, the tool table through the schema's hooks, and the manifest's
 * data set version per collection. The tool table is the tests' own
 * (tests/unit/cyp_fixture.h's LOW, HIGH and GOAL), not the shipped one. */
#include "common/collection.h"
#include "common/collections/cyp/cyp_codes.h"
#include "common/collections/cyp/cyp_derive.h"
#include "common/collections/cyp/cyp_node.h"
#include "common/collections/cyp/cyp_tools.h"
#include "common/date.h"
#include "common/err.h"
#include "common/keys.h"
#include "common/sign.h"
#include "common/util.h"
#include "common/wire.h"
#include "node/anonymise.h"
#include "node/extract.h"
#include "node/schema.h"
#include "proto/cyp.pb-c.h"
#include "tests/test.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static const char s_table[] = "code,name,kind,min,max,better,caseness,reliable_change\n"
                              "LOW,Lower is better,symptom,0,100,lower,20,5.5\n"
                              "HIGH,Higher is better,symptom,0,40,higher,28,5\n"
                              "GOAL,Goal progress,goal,0,10,higher,,2.45\n";

/* Period 2024-05 (day 0 = 2024-05-01, E = 30), made 2024-06-03. */
static const char s_hdr[] =
    "OrgIDProv,ReportingPeriodStartDate,ReportingPeriodEndDate,DateTimeDatSetCreate,OrgSector\n"
    "RAT,2024-05-01,2024-05-31,2024-06-03T09:00:00,VCS\n";
/* 2: no NHS number (no finding); 3: NHS check digit wrong, 34 at R2;
 * 4: born after R3; 5: 28 at R4, which is not selected. */
static const char s_mpi[] =
    "LocalPatientId,NHSNumber,PersonBirthDate,Postcode,GenderIdentity,EthnicCategory\n"
    "P1,,2012-03-15,NE1 1AD,2,A\n"
    "P2,9434765918,1990-01-01,,1,\n"
    "P3,9434765919,2024-05-10,,,\n"
    "P4,4010232137,1995-06-01,,,\n";
/* 2 R1 open; 3 R2 26+, closed in the period; 4 R3 birth after it, closed
 * before it (in the period); 5 R4 closed before the period (not selected);
 * 6 R5 received after the period (not selected); 7 R6 bad source and team,
 * closed after the period end (no closure yet). */
static const char s_ref[] = "ServiceRequestId,LocalPatientId,OrgIDComm,ReferralRequestReceivedDate,"
                            "SourceOfReferral,TeamType,PrimReasonReferral,ServDischDate\n"
                            "R1,P1,00L,2024-04-10,04,CWP,01,\n"
                            "R2,P2,00L,2024-05-02,02,MHST,99,2024-05-20\n"
                            "R3,P3,00L,2024-05-03,,,,2024-05-01\n"
                            "R4,P4,00L,2024-01-01,01,CAMHS,03,2024-04-30\n"
                            "R5,P1,00L,2024-06-02,01,OTH,02,\n"
                            "R6,P1,00L,2024-04-01,1,X,,2024-06-02\n";
/* 4 after the period end (left out); 5 before R2's referral; 6 after R2's
 * closure; 7 a mechanism not in the list. */
static const char s_con[] = "CareContactId,ServiceRequestId,CareContDate,AttendOrDNACode,"
                            "ConsMechanism\n"
                            "C1,R1,2024-04-20,5,01\n"
                            "C2,R1,2024-05-06,3,02\n"
                            "C3,R1,2024-06-01,5,01\n"
                            "C4,R2,2024-05-01,6,11\n"
                            "C5,R2,2024-05-25,5,01\n"
                            "C6,R6,2024-05-10,5,7\n";
/* Lines (row index = line - 2): 2, 3, 4 and 14 usable; 5 goal without a
 * number; 6 goal number 4; 7 goal number on a symptom tool; 8 unknown tool;
 * 9 out of range; 10 not a number (rejected); 11 after the period end;
 * 12 before R2's referral (usable, outside every series); 13 goal number
 * "01". */
static const char s_sco[] =
    "ServiceRequestId,AssToolCompDate,CodedAssToolType,PersScore,GoalNumber\n"
    "R1,2024-04-20,LOW,30,\n"
    "R1,2024-05-06,LOW,24.5,\n"
    "R1,2024-05-06,GOAL,3,1\n"
    "R1,2024-05-06,GOAL,5,\n"
    "R1,2024-05-06,GOAL,5,4\n"
    "R1,2024-05-06,LOW,20,2\n"
    "R1,2024-05-06,XYZ,5,\n"
    "R1,2024-05-06,HIGH,41,\n"
    "R1,2024-05-06,HIGH,1e1,\n"
    "R1,2024-06-01,LOW,10,\n"
    "R2,2024-04-30,HIGH,20,\n"
    "R1,2024-05-07,GOAL, 2.5 , 01\n"
    "R1,2024-05-07,GOAL,10.00,3\n";

static iapt_cyp_tools_t s_tools;
static iapt_period_t s_period;
static uint8_t s_key_bytes[IAPT_PSEUDO_KEY_BYTES];
static iapt_pseudokey_t s_key;

static iapt_extract_options_t
s_options(void)
{
    iapt_extract_options_t o;
    memset(&o, 0, sizeof o);
    if (s_tools.n == 0 && iapt_cyp_tools_parse(s_table, sizeof s_table - 1, "t", &s_tools) < 0)
        abort();
    iapt_period_parse("2024-05", &s_period);
    memset(s_key_bytes, 0x11, sizeof s_key_bytes);
    s_key.key = s_key_bytes;
    o.schema = &iapt_cyp_extract_schema;
    o.period = &s_period;
    o.org = "RAT";
    o.key = &s_key;
    o.coll_tools = &s_tools;
    o.today = iapt_days_from_civil(2024, 6, 10);
    return o;
}

static int
s_read(iapt_extract_options_t *o, iapt_extract_t **ext)
{
    iapt_extract_file_t files[] = {
        {"CYP000Header", s_hdr, strlen(s_hdr)},     {"CYP001MPI", s_mpi, strlen(s_mpi)},
        {"CYP101Referral", s_ref, strlen(s_ref)},   {"CYP201CareContact", s_con, strlen(s_con)},
        {"CYP607CodedScore", s_sco, strlen(s_sco)},
    };
    *ext = NULL;
    return iapt_extract_read_mem(o, files, sizeof files / sizeof *files, ext);
}

static const iapt_finding_t *
s_find(const iapt_extract_t *ext, const char *file, uint64_t line, const char *field,
       const char *reason)
{
    for (size_t i = 0; i < ext->n_findings; i++) {
        const iapt_finding_t *f = &ext->findings[i];
        if (!strcmp(f->file, file) && f->line == line && !strcmp(f->field, field) &&
            !strcmp(f->reason, reason))
            return f;
    }
    return NULL;
}

static void
test_findings(void)
{
    iapt_extract_options_t o = s_options();
    iapt_extract_t *ext;
    CHECK_EQ_INT(s_read(&o, &ext), 0);
    if (!ext)
        return;
    static const struct {
        const char *file;
        uint64_t line;
        const char *field, *reason;
        bool rejects;
    } want[] = {
        {"CYP001MPI.csv", 3, "NHSNumber", "nhs-check-digit", false},
        {"CYP101Referral.csv", 3, "ReferralRequestReceivedDate", "age-26-plus", false},
        {"CYP101Referral.csv", 4, "ReferralRequestReceivedDate", "birth-after-referral", false},
        {"CYP101Referral.csv", 4, "ServDischDate", "discharge-before-referral", false},
        {"CYP101Referral.csv", 7, "SourceOfReferral", "unknown-code", false},
        {"CYP101Referral.csv", 7, "TeamType", "unknown-code", false},
        {"CYP201CareContact.csv", 5, "CareContDate", "before-referral", false},
        {"CYP201CareContact.csv", 6, "CareContDate", "after-discharge", false},
        {"CYP201CareContact.csv", 7, "ConsMechanism", "unknown-code", false},
        {"CYP607CodedScore.csv", 5, "GoalNumber", "missing", false},
        {"CYP607CodedScore.csv", 6, "GoalNumber", "unknown-code", false},
        {"CYP607CodedScore.csv", 7, "GoalNumber", "not-applicable", false},
        {"CYP607CodedScore.csv", 8, "CodedAssToolType", "unknown-code", false},
        {"CYP607CodedScore.csv", 9, "PersScore", "out-of-range", false},
        {"CYP607CodedScore.csv", 10, "PersScore", "bad-number", true},
        {"CYP607CodedScore.csv", 12, "AssToolCompDate", "before-referral", false},
        {"CYP607CodedScore.csv", 13, "GoalNumber", "unknown-code", false},
    };
    size_t n = sizeof want / sizeof *want;
    for (size_t i = 0; i < n; i++) {
        const iapt_finding_t *f =
            s_find(ext, want[i].file, want[i].line, want[i].field, want[i].reason);
        if (!f)
            fprintf(stderr, "missing finding %s:%llu %s %s\n", want[i].file,
                    (unsigned long long)want[i].line, want[i].field, want[i].reason);
        CHECK(f && f->rejects == want[i].rejects);
    }
    /* Nothing else: no finding for the missing NHS number (MPI line 2), for
     * the 28-year-old of the unselected R4, or for rows after the period. */
    CHECK_EQ_INT(ext->n_findings, n);
    for (size_t i = 0; i < ext->n_findings; i++)
        if (!s_find(ext, ext->findings[i].file, ext->findings[i].line, ext->findings[i].field,
                    ext->findings[i].reason))
            CHECK(0);
    const iapt_finding_t *f = s_find(ext, "CYP607CodedScore.csv", 9, "PersScore", "out-of-range");
    CHECK(f && !strcmp(f->value, "41") &&
          !strcmp(f->detail, "HIGH scores run from 0 to 40; score ignored"));
    f = s_find(ext, "CYP101Referral.csv", 3, "ReferralRequestReceivedDate", "age-26-plus");
    CHECK(f && strstr(f->detail, "CYP001MPI.csv line 3") && strstr(f->detail, " 34 "));
    f = s_find(ext, "CYP607CodedScore.csv", 13, "GoalNumber", "unknown-code");
    CHECK(f && !strcmp(f->value, "01"));
    /* The quality summary: the record table's rows. */
    CHECK_EQ_INT(ext->quality->referrals_in_extract, 6);
    CHECK_EQ_INT(ext->quality->referrals_selected, 4);
    CHECK_EQ_INT(ext->quality->referrals_used, 4);
    CHECK_EQ_INT(ext->quality->referrals_rejected, 0);
    iapt_extract_destroy(&ext);
}

/* The record whose referral_day is `day`. */
static Iapt__CypReferralRecord *
s_record(const iapt_extract_t *ext, int32_t day)
{
    for (size_t i = 0; i < ext->n_records; i++) {
        Iapt__CypReferralRecord *r =
            iapt__cyp_referral_record__unpack(NULL, ext->record_len[i], ext->record[i]);
        if (r && r->referral_day == day)
            return r;
        if (r)
            iapt__cyp_referral_record__free_unpacked(r, NULL);
    }
    return NULL;
}

static void
test_records(void)
{
    iapt_extract_options_t o = s_options();
    iapt_extract_t *ext;
    uint8_t id[16];
    CHECK_EQ_INT(s_read(&o, &ext), 0);
    if (!ext)
        return;
    CHECK_EQ_INT(ext->n_records, 4); /* R1, R2, R3, R6 */
    /* Every record is one the hub half derives without refusing it. */
    for (size_t i = 0; i < ext->n_records; i++) {
        Iapt__CypReferralRecord *r =
            iapt__cyp_referral_record__unpack(NULL, ext->record_len[i], ext->record[i]);
        iapt_cyp_derived_t d;
        CHECK(r != NULL);
        if (!r)
            continue;
        int rc = iapt_cyp_derive(r, &s_period, &s_tools, &d);
        if (rc)
            fprintf(stderr, "derive: %s\n", iapt_error_detail());
        CHECK_EQ_INT(rc, 0);
        iapt__cyp_referral_record__free_unpacked(r, NULL);
    }

    /* R1: received 2024-04-10 (day -21), open, 12 at referral. */
    Iapt__CypReferralRecord *r = s_record(ext, -21);
    CHECK(r != NULL);
    if (r) {
        CHECK(!r->has_closure_day);
        CHECK_EQ_INT(r->age_band, IAPT__CYP_AGE_BAND__CYP_AGE_11_15);
        CHECK_EQ_INT(r->person_id_basis, IAPT__CYP_PERSON_ID_BASIS__CYP_PERSON_ID_LOCAL);
        CHECK_EQ_STR(r->commissioner, "00L");
        CHECK_EQ_STR(r->referral_source, "04");
        CHECK_EQ_STR(r->team_type, "CWP");
        CHECK_EQ_STR(r->primary_reason, "01");
        CHECK_EQ_STR(r->provider_sector, "VCS");
        CHECK_EQ_STR(r->gender_identity, "2");
        CHECK_EQ_STR(r->ethnic_category, "A");
        CHECK(!r->has_imd_decile); /* no lookup given */
        CHECK_EQ_INT(iapt_pseudonym_pathway(&s_key, "RAT", "R1", id), 0);
        CHECK(r->pathway_id.len == 16 && !memcmp(r->pathway_id.data, id, 16));
        CHECK_EQ_INT(iapt_pseudonym_person_local(&s_key, "RAT", "P1", id), 0);
        CHECK(r->person_id.len == 16 && !memcmp(r->person_id.data, id, 16));
        /* C1 and C2; C3 is after the period end. */
        CHECK_EQ_INT(r->n_contacts, 2);
        if (r->n_contacts == 2) {
            CHECK_EQ_INT(r->contacts[0]->day, -11);
            CHECK_EQ_STR(r->contacts[0]->attendance, "5");
            CHECK_EQ_STR(r->contacts[0]->mechanism, "01");
            CHECK_EQ_INT(r->contacts[1]->day, 5);
            CHECK_EQ_STR(r->contacts[1]->attendance, "3");
        }
        /* Lines 2, 3, 4 and 14 (rows 0, 1, 2, 12). */
        static const struct {
            const char *tool;
            int32_t value, day;
            unsigned goal, order;
        } sc[] = {{"LOW", 3000, -11, 0, 0},
                  {"LOW", 2450, 5, 0, 1},
                  {"GOAL", 300, 5, 1, 2},
                  {"GOAL", 1000, 6, 3, 12}};
        CHECK_EQ_INT(r->n_scores, 4);
        for (size_t i = 0; i < r->n_scores && i < 4; i++) {
            CHECK_EQ_STR(r->scores[i]->tool, sc[i].tool);
            CHECK_EQ_INT(r->scores[i]->value_x100, sc[i].value);
            CHECK_EQ_INT(r->scores[i]->day, sc[i].day);
            CHECK_EQ_INT(r->scores[i]->has_goal_number, sc[i].goal != 0);
            CHECK_EQ_INT(r->scores[i]->goal_number, sc[i].goal);
            CHECK_EQ_INT(r->scores[i]->file_order, sc[i].order);
        }
        iapt__cyp_referral_record__free_unpacked(r, NULL);
    }
    /* R2: day 1, closed day 19, 26+, invalid NHS number: local basis. */
    r = s_record(ext, 1);
    CHECK(r != NULL);
    if (r) {
        CHECK(r->has_closure_day && r->closure_day == 19);
        CHECK_EQ_INT(r->age_band, IAPT__CYP_AGE_BAND__CYP_AGE_26_PLUS);
        CHECK_EQ_INT(r->person_id_basis, IAPT__CYP_PERSON_ID_BASIS__CYP_PERSON_ID_LOCAL);
        CHECK_EQ_INT(r->n_contacts, 2);
        CHECK_EQ_INT(r->n_scores, 1);
        if (r->n_scores == 1)
            CHECK(r->scores[0]->day == -1 && r->scores[0]->file_order == 10 &&
                  !r->scores[0]->has_goal_number);
        iapt__cyp_referral_record__free_unpacked(r, NULL);
    }
    /* R3: day 2, closed day 0 (before it, as written), born after it. */
    r = s_record(ext, 2);
    CHECK(r != NULL);
    if (r) {
        CHECK(r->has_closure_day && r->closure_day == 0);
        CHECK_EQ_INT(r->age_band, IAPT__CYP_AGE_BAND__CYP_AGE_UNKNOWN);
        CHECK_EQ_INT(r->person_id_basis, IAPT__CYP_PERSON_ID_BASIS__CYP_PERSON_ID_NHS_NUMBER);
        CHECK_EQ_INT(iapt_pseudonym_person_nhs(&s_key, "9434765919", id), 0);
        CHECK(r->person_id.len == 16 && !memcmp(r->person_id.data, id, 16));
        CHECK(r->referral_source == NULL && r->team_type == NULL);
        CHECK_EQ_INT(r->n_contacts, 0);
        iapt__cyp_referral_record__free_unpacked(r, NULL);
    }
    /* R6: day -30, its closure after the period end is none yet; invalid
     * codes travel as "?". */
    r = s_record(ext, -30);
    CHECK(r != NULL);
    if (r) {
        CHECK(!r->has_closure_day);
        CHECK_EQ_STR(r->referral_source, "?");
        CHECK_EQ_STR(r->team_type, "?");
        CHECK(r->primary_reason == NULL);
        CHECK(r->n_contacts == 1 && !strcmp(r->contacts[0]->mechanism, "?"));
        iapt__cyp_referral_record__free_unpacked(r, NULL);
    }
    CHECK(s_record(ext, -121) == NULL); /* R4: closed before the period */
    CHECK(s_record(ext, 32) == NULL);   /* R5: received after it */
    iapt_extract_destroy(&ext);
}

/* The node's code lists are cyp_codes' exactly. */
static void
test_code_lists(void)
{
    static const struct {
        int table, field, which;
    } map[] = {
        {CY_HEADER, CF_HDR_SECTOR, IAPT_CYP_CODES_SECTOR},
        {CY_MPI, CF_MPI_GENDER, IAPT_CYP_CODES_GENDER},
        {CY_MPI, CF_MPI_ETHNIC, IAPT_CYP_CODES_ETHNIC},
        {CY_REFERRAL, CF_REF_SOURCE, IAPT_CYP_CODES_SOURCE},
        {CY_REFERRAL, CF_REF_TEAM, IAPT_CYP_CODES_TEAM},
        {CY_REFERRAL, CF_REF_REASON, IAPT_CYP_CODES_REASON},
        {CY_CONTACT, CF_CON_ATTEND, IAPT_CYP_CODES_ATTENDANCE},
        {CY_CONTACT, CF_CON_MECH, IAPT_CYP_CODES_MECHANISM},
    };
    const iapt_extract_schema_t *sc = &iapt_cyp_extract_schema;
    CHECK_EQ_INT(iapt_extract_schema_check(sc), 0);
    for (size_t i = 0; i < sizeof map / sizeof *map; i++) {
        const iapt_xfield_t *f = &sc->tables[map[i].table].field[map[i].field];
        const iapt_cyp_code_list_t *l = iapt_cyp_codes(map[i].which);
        CHECK_EQ_STR(sc->tables[map[i].table].name, l->table);
        CHECK_EQ_STR(f->name, l->field);
        size_t k = 0;
        for (; f->codes[k]; k++)
            CHECK(k < l->n && !strcmp(f->codes[k], l->codes[k]));
        CHECK_EQ_INT(k, l->n);
    }
    /* The registry entry. */
    const iapt_collection_t *c = iapt_collection_find("cyp");
    CHECK(c && !strcmp(c->name, "CYP") && c->index == 1 && c->node == sc && c->hub != NULL);
    CHECK(c && !strcmp(c->dataset_version, "1.0"));
    CHECK(iapt_collection_at(1) == c);
    CHECK_EQ_STR(iapt_collection_default()->dataset_version, IAPT_DATASET_VERSION);
}

/* Without its tool table the engine refuses to read a CYP extract; the
 * schema's hooks load one, hash its bytes and refuse a bad one naming the
 * line. */
static void
test_tool_table(void)
{
    iapt_extract_options_t o = s_options();
    iapt_extract_t *ext;
    o.coll_tools = NULL;
    CHECK_EQ_INT(s_read(&o, &ext), IAPT_EUSAGE);
    CHECK(ext == NULL);

    const char *dir = t_tmpdir();
    char path[600], bad[600], hex[65];
    uint8_t h[32];
    snprintf(path, sizeof path, "%s/tools.csv", dir);
    snprintf(bad, sizeof bad, "%s/bad.csv", dir);
    FILE *fp = fopen(path, "w");
    if (fp) {
        fputs(s_table, fp);
        fclose(fp);
    }
    fp = fopen(bad, "w");
    if (fp) {
        fputs(s_table, fp);
        fputs("GOAL2,Second goal,goal,0,10,higher,,2\n", fp); /* line 5: a second goal row */
        fclose(fp);
    }
    iapt_extract_tools_t t;
    CHECK_EQ_INT(iapt_extract_tools_load(&iapt_cyp_extract_schema, path, &t), 0);
    CHECK(t.own != NULL);
    iapt_sha256((const uint8_t *)s_table, sizeof s_table - 1, h);
    iapt_hex_encode(h, 32, hex);
    CHECK_EQ_STR(t.sha256_hex, hex);
    if (t.own)
        CHECK_EQ_INT(((const iapt_cyp_tools_t *)t.own)->n, 3);
    iapt_extract_tools_free(&t);
    CHECK(t.own == NULL);

    CHECK_EQ_INT(iapt_extract_tools_load(&iapt_cyp_extract_schema, bad, &t), IAPT_EFORMAT);
    CHECK(strstr(iapt_error_detail(), ":5:") != NULL);
    CHECK(t.own == NULL);
    iapt_extract_tools_free(&t);

    /* The adult format: built in without a file, no hash carried. */
    CHECK_EQ_INT(iapt_extract_tools_load(NULL, NULL, &t), 0);
    CHECK(t.own == NULL && t.sha256_hex[0] == 0 && t.adult.n >= 2);
    iapt_extract_tools_free(&t);
}

/* A manifest names a registered collection by its name, and its data set
 * version is that collection's (the adult "2.1", CYP "1.0"); a tools_sha256
 * must be 64 lower-case hex digits. */
static void
test_manifest_dataset_version(void)
{
    uint8_t pk[32], sk[64], root[32] = {0}, kid[IAPT_PSEUDO_KEY_ID_BYTES] = {0};
    crypto_sign_keypair(pk, sk);
    Iapt__Manifest m = IAPT__MANIFEST__INIT;
    m.format_version = IAPT_MANIFEST_VERSION;
    m.collection = "IAPT";
    m.dataset_version = "2.1";
    m.org_code = "RAT";
    m.period = "2024-05";
    m.sequence = 1;
    m.records_root.data = root;
    m.records_root.len = 32;
    m.pseudo_key_id.data = kid;
    m.pseudo_key_id.len = sizeof kid;
    m.node_version = "test";
    static const struct {
        const char *coll, *dsv, *sha;
        int rc;
    } cases[] = {
        {"IAPT", "2.1", NULL, 0},
        {"IAPT", "1.0", NULL, IAPT_EFORMAT},
        {"CYP", "1.0", "36c277714e58577849cfdcb58c2a0e7583c69e9f1b33ec116e255fa4900b95c0", 0},
        {"CYP", "2.1", NULL, IAPT_EFORMAT},
        {"cyp", "1.0", NULL, IAPT_EFORMAT}, /* the name exactly, not the folder key */
        {"CYP", "1.0", "36C277714E58577849CFDCB58C2A0E7583C69E9F1B33EC116E255FA4900B95C0",
         IAPT_EFORMAT},
        {"CYP", "1.0", "abc", IAPT_EFORMAT},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        iapt_buf_t b = IAPT_BUF_INIT;
        Iapt__Manifest *out = NULL;
        m.collection = (char *)cases[i].coll;
        m.dataset_version = (char *)cases[i].dsv;
        m.tools_sha256 = (char *)cases[i].sha;
        CHECK_EQ_INT(iapt_manifest_sign(&m, sk, &b), 0);
        int rc = iapt_manifest_open(b.data, b.len, 1 << 20, pk, &out);
        CHECK_EQ_INT(rc, cases[i].rc);
        if (i == 1)
            CHECK(strstr(iapt_error_detail(), "expected '2.1' for IAPT") != NULL);
        if (out)
            iapt__manifest__free_unpacked(out, NULL);
        iapt_buf_free(&b);
    }
}

TEST_MAIN(test_findings, test_records, test_code_lists, test_tool_table,
          test_manifest_dataset_version)
