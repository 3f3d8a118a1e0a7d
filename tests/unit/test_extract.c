/* Unit tests of node/extract: every validation rule of docs/EXTRACT-NOTES.md
 * with the finding it gives, duplicates, the rejection cascade, the monthly
 * selection rule, ordering, age bands, IMD and the "?" marker. */
#include "tests/unit/extract_fixture.h"

#define FIND(ext, table, line, field, reason) fx_finding(ext, table, line, field, reason)

static void
test_minimal(void)
{
    fx_extract_t e = {.hdr = HDR, .mpi = MPI, .ref = REF};
    iapt_extract_t *ext = fx_read(&e);
    CHECK(ext != NULL);
    if (!ext)
        return;
    CHECK_EQ_INT(ext->n_records, 1);
    CHECK_EQ_INT(ext->n_findings, 0);
    CHECK_EQ_STR(ext->org, "RAT");
    CHECK_EQ_STR(ext->period, "2024-05");
    Iapt__PathwayRecord *r = fx_record(ext, "R1");
    CHECK(r != NULL);
    if (r) {
        CHECK_EQ_INT(r->person_id.len, 16);
        CHECK(r->has_person_id_basis);
        CHECK_EQ_INT(r->person_id_basis, IAPT__PERSON_ID_BASIS__PERSON_ID_NHS_NUMBER);
        CHECK_EQ_STR(r->commissioner, "00L");
        CHECK_EQ_INT(r->referral_day, fx_day(2024, 4, 10));
        CHECK(!r->has_discharge_day);
        CHECK(r->end_code == NULL);
        CHECK_EQ_STR(r->referral_source, "B1");
        CHECK(r->has_age_band);
        CHECK_EQ_INT(r->age_band, IAPT__AGE_BAND__AGE_36_45); /* 44 at referral */
        CHECK_EQ_STR(r->gender_identity, "2");
        CHECK_EQ_STR(r->ethnic_category, "A");
        CHECK(!r->has_imd_decile);
        CHECK(r->has_long_term_condition && !r->long_term_condition);
        CHECK_EQ_INT(r->n_appointments, 0);
        CHECK_EQ_INT(r->n_scores, 0);
    }
    fx_free_record(r);
    const Iapt__QualitySummary *q = ext->quality;
    CHECK_EQ_INT(q->referrals_in_extract, 1);
    CHECK_EQ_INT(q->referrals_selected, 1);
    CHECK_EQ_INT(q->referrals_used, 1);
    CHECK_EQ_INT(q->referrals_rejected, 0);
    CHECK_EQ_INT(q->n_tables, 10);
    iapt_extract_destroy(&ext);
    CHECK(ext == NULL);
    iapt_extract_destroy(&ext);
}

static void
test_reading_rules(void)
{
    /* Column order free, unknown columns ignored, BOM, CRLF, trimmed cells,
     * blank lines skipped, an optional column absent altogether. */
    fx_extract_t e = {
        .hdr = "\xEF\xBB\xBF"
               "ReportingPeriodEndDate,PrimSystemInUse,OrgIDProv,ReportingPeriodStartDate\r\n"
               "2024-05-31,IAPTus, RAT ,2024-05-01\r\n\r\n",
        .mpi = "Extra,PersonBirthDate,LocalPatientId,NHSNumber\n"
               "x,1990-01-01,P1,\t" NHS1 " \n"
               "\n"
               "  \n",
        .ref = REF_COLS "\"R1\",P1,\"00L\", 2024-05-02 ,,,\n",
    };
    iapt_extract_t *ext = fx_read(&e);
    CHECK(ext != NULL);
    if (!ext)
        return;
    CHECK_EQ_INT(ext->n_records, 1);
    CHECK_EQ_INT(fx_table(ext, "IDS001MPI")->rows, 1);
    const Iapt__FieldQuality *pc = fx_field(ext, "IDS001MPI", "Postcode");
    CHECK(pc && pc->missing == 1 && pc->valid == 0);
    CHECK_EQ_INT(fx_field(ext, "IDS001MPI", "NHSNumber")->valid, 1);
    /* The header had no DateTimeDatSetCreate: counted missing, no finding. */
    CHECK_EQ_INT(fx_field(ext, "IDS000Header", "DateTimeDatSetCreate")->missing, 1);
    CHECK_EQ_INT(ext->n_findings, 0);
    iapt_extract_destroy(&ext);
}

static void
test_ragged_row(void)
{
    fx_extract_t e = {.hdr = HDR,
                      .mpi = MPI,
                      .ref = REF_COLS "R1,P1,00L,2024-05-02,,\n"
                                      "R2,P1,00L,2024-05-02,,,,\n"
                                      "R3,P1,00L,2024-05-02,,,\n"};
    iapt_extract_t *ext = fx_read(&e);
    CHECK(ext != NULL);
    if (!ext)
        return;
    const iapt_finding_t *f = FIND(ext, "IDS101Referral", 2, "*", "ragged-row");
    CHECK(f && f->rejects);
    CHECK(FIND(ext, "IDS101Referral", 3, "*", "ragged-row") != NULL);
    CHECK_EQ_INT(ext->n_records, 1);
    CHECK_EQ_INT(fx_table(ext, "IDS101Referral")->rejected, 2);
    /* Every value of a ragged row counts as invalid. */
    CHECK_EQ_INT(fx_field(ext, "IDS101Referral", "ServiceRequestId")->invalid, 2);
    CHECK_EQ_INT(fx_field(ext, "IDS101Referral", "ServiceRequestId")->valid, 1);
    iapt_extract_destroy(&ext);
}

static void
test_mpi_fields(void)
{
    char long_id[80];
    memset(long_id, 'L', 65);
    long_id[65] = 0;
    char mpi[1024];
    snprintf(mpi, sizeof mpi,
             MPI_COLS "P1,,1980-03-15,,,\n"                  /* 2: NHS missing */
                      "P2,12345,1980-03-15,,,\n"             /* 3: bad-number */
                      "P3," NHS_BAD_CHECK ",1980-03-15,,,\n" /* 4: nhs-check-digit */
                      "P4," NHS2 ",1980-02-30,,,\n"          /* 5: bad birth date */
                      ",,"
                      "1980-01-01,,,\n"                         /* 6: missing id */
                      "%s,,1980-01-01,,,\n"                     /* 7: too-long id */
                      "P7," NHS3 ",1980-01-01,NE1 1A,x,9\n"     /* 8: bad postcode, codes */
                      "P8,3001002000,1980-01-01,ne11ad,Z,99\n", /* 9: check value 10 */
             long_id);
    fx_extract_t e = {.hdr = HDR,
                      .mpi = mpi,
                      .ref = REF_COLS "R1,P1,00L,2024-05-02,,,\n"
                                      "R2,P2,00L,2024-05-02,,,\n"
                                      "R3,P3,00L,2024-05-02,,,\n"
                                      "R4,P4,00L,2024-05-02,,,\n"
                                      "R7,P7,00L,2024-05-02,,,\n"
                                      "R8,P8,00L,2024-05-02,,,\n"};
    iapt_extract_t *ext = fx_read(&e);
    CHECK(ext != NULL);
    if (!ext)
        return;
    const iapt_finding_t *f;
    CHECK((f = FIND(ext, "IDS001MPI", 2, "NHSNumber", "missing")) && !f->rejects);
    CHECK((f = FIND(ext, "IDS001MPI", 3, "NHSNumber", "bad-number")) && !f->rejects);
    CHECK((f = FIND(ext, "IDS001MPI", 4, "NHSNumber", "nhs-check-digit")) && !f->rejects);
    CHECK((f = FIND(ext, "IDS001MPI", 9, "NHSNumber", "nhs-check-digit")) && !f->rejects);
    CHECK((f = FIND(ext, "IDS001MPI", 5, "PersonBirthDate", "bad-date")) && f->rejects);
    CHECK((f = FIND(ext, "IDS001MPI", 6, "LocalPatientId", "missing")) && f->rejects);
    CHECK((f = FIND(ext, "IDS001MPI", 7, "LocalPatientId", "too-long")) && f->rejects);
    CHECK((f = FIND(ext, "IDS001MPI", 8, "Postcode", "bad-postcode")) && !f->rejects);
    CHECK((f = FIND(ext, "IDS001MPI", 8, "GenderIdentity", "unknown-code")) && !f->rejects);
    CHECK((f = FIND(ext, "IDS001MPI", 8, "EthnicCategory", "unknown-code")) && !f->rejects);
    /* The birth date rejected P4: its referral is an orphan. */
    CHECK((f = FIND(ext, "IDS101Referral", 5, "LocalPatientId", "orphan")) && f->rejects);
    CHECK_EQ_INT(ext->n_records, 5);

    Iapt__PathwayRecord *r = fx_record(ext, "R2");
    CHECK(r && r->person_id_basis == IAPT__PERSON_ID_BASIS__PERSON_ID_LOCAL);
    fx_free_record(r);
    r = fx_record(ext, "R3");
    CHECK(r && r->person_id_basis == IAPT__PERSON_ID_BASIS__PERSON_ID_LOCAL);
    fx_free_record(r);
    r = fx_record(ext, "R7");
    CHECK(r && r->person_id_basis == IAPT__PERSON_ID_BASIS__PERSON_ID_NHS_NUMBER);
    CHECK(r && r->gender_identity && strcmp(r->gender_identity, "?") == 0);
    CHECK(r && r->ethnic_category && strcmp(r->ethnic_category, "?") == 0);
    fx_free_record(r);
    r = fx_record(ext, "R8");
    CHECK(r && strcmp(r->gender_identity, "Z") == 0 && strcmp(r->ethnic_category, "99") == 0);
    fx_free_record(r);
    r = fx_record(ext, "R1");
    CHECK(r && r->gender_identity == NULL && r->ethnic_category == NULL);
    fx_free_record(r);

    const Iapt__FieldQuality *nhs = fx_field(ext, "IDS001MPI", "NHSNumber");
    CHECK(nhs && nhs->valid == 2 && nhs->invalid == 3 && nhs->missing == 3);
    const Iapt__FieldQuality *pc = fx_field(ext, "IDS001MPI", "Postcode");
    CHECK(pc && pc->valid == 1 && pc->invalid == 1 && pc->missing == 6);
    CHECK_EQ_INT(fx_table(ext, "IDS001MPI")->rejected, 3);
    iapt_extract_destroy(&ext);
}

static void
test_referral_fields(void)
{
    fx_extract_t e = {
        .hdr = HDR,
        .mpi = MPI,
        .ref = REF_COLS "R1,P1,00l,2024-05-02,,,\n"               /* 2: OrgIDComm lower case */
                        "R2,P1,00L0001,2024-05-02,,,\n"           /* 3: OrgIDComm too long */
                        "R3,P1,00L,2024-5-02,,,\n"                /* 4: bad received date */
                        "R4,P1,00L,2024-05-02,a1,,\n"             /* 5: source wrong case */
                        "R5,P1,00L,2024-05-02,B1,2024-05-32,46\n" /* 6: bad discharge date */
                        "R6,P1,00L,2024-05-02,B1,2024-05-20,1\n"  /* 7: EndCode 1 */
                        "R7,P1,00L,2024-05-02,B1,2024-05-20,\n"   /* 8: EndCode missing */
                        "R8,P1,00L,2024-05-02,B1,2024-06-02,\n"   /* 9: discharge after E */
                        "R9,P1,,2024-05-02,B1,,\n"                /* 10: OrgIDComm missing */
                        "R10,,00L,2024-05-02,B1,,\n"              /* 11: patient missing */
                        "R11,P1,00L,,B1,,\n",                     /* 12: received missing */
    };
    iapt_extract_t *ext = fx_read(&e);
    CHECK(ext != NULL);
    if (!ext)
        return;
    const iapt_finding_t *f;
    CHECK((f = FIND(ext, "IDS101Referral", 2, "OrgIDComm", "unknown-code")) && f->rejects);
    CHECK((f = FIND(ext, "IDS101Referral", 3, "OrgIDComm", "unknown-code")) && f->rejects);
    CHECK((f = FIND(ext, "IDS101Referral", 4, "ReferralRequestReceivedDate", "bad-date")) &&
          f->rejects);
    CHECK((f = FIND(ext, "IDS101Referral", 5, "SourceOfReferralIAPT", "unknown-code")) &&
          !f->rejects);
    CHECK((f = FIND(ext, "IDS101Referral", 6, "ServDischDate", "bad-date")) && !f->rejects);
    CHECK((f = FIND(ext, "IDS101Referral", 7, "EndCode", "unknown-code")) && !f->rejects);
    CHECK((f = FIND(ext, "IDS101Referral", 8, "EndCode", "missing")) && !f->rejects);
    CHECK(FIND(ext, "IDS101Referral", 9, "EndCode", "missing") == NULL);
    CHECK((f = FIND(ext, "IDS101Referral", 10, "OrgIDComm", "missing")) && f->rejects);
    CHECK((f = FIND(ext, "IDS101Referral", 11, "LocalPatientId", "missing")) && f->rejects);
    CHECK((f = FIND(ext, "IDS101Referral", 12, "ReferralRequestReceivedDate", "missing")) &&
          f->rejects);
    CHECK_EQ_INT(ext->n_records, 5);
    CHECK_EQ_INT(ext->quality->referrals_rejected, 6);
    CHECK_EQ_INT(ext->quality->referrals_in_extract, 11);

    Iapt__PathwayRecord *r = fx_record(ext, "R4");
    CHECK(r && r->referral_source && strcmp(r->referral_source, "?") == 0);
    fx_free_record(r);
    /* An invalid discharge date counts as missing: not discharged. */
    r = fx_record(ext, "R5");
    CHECK(r && !r->has_discharge_day && r->end_code == NULL);
    fx_free_record(r);
    r = fx_record(ext, "R6");
    CHECK(r && r->has_discharge_day && r->discharge_day == 19);
    CHECK(r && r->end_code && strcmp(r->end_code, "?") == 0);
    fx_free_record(r);
    r = fx_record(ext, "R7");
    CHECK(r && r->has_discharge_day && r->end_code == NULL);
    fx_free_record(r);
    iapt_extract_destroy(&ext);
}

static void
test_contact_fields(void)
{
    fx_extract_t e = {
        .hdr = HDR,
        .mpi = MPI,
        .ref = REF,
        .con = CON_COLS "C1,R1,2024-05-03,2,5,01\n"   /* 2: AppType 2 is not 02 */
                        "C2,R1,2024-05-03,02,05,01\n" /* 3: 05 is not 5 */
                        "C3,R1,2024-05-03,02,5,1\n"   /* 4: mechanism 1: "?" */
                        "C4,R1,03/05/2024,02,5,\n"    /* 5: bad date */
                        "C5,R1,2024-05-04,10,7,98\n"  /* 6: fine */
                        "C6,R1,2024-05-04,,7,98\n"    /* 7: AppType missing */
                        "C7,R1,2024-05-04,01,,98\n",  /* 8: attendance missing */
    };
    iapt_extract_t *ext = fx_read(&e);
    CHECK(ext != NULL);
    if (!ext)
        return;
    const iapt_finding_t *f;
    CHECK((f = FIND(ext, "IDS201CareContact", 2, "AppType", "unknown-code")) && f->rejects);
    CHECK((f = FIND(ext, "IDS201CareContact", 3, "AttendOrDNACode", "unknown-code")) && f->rejects);
    CHECK((f = FIND(ext, "IDS201CareContact", 4, "ConsMechanism", "unknown-code")) && !f->rejects);
    CHECK((f = FIND(ext, "IDS201CareContact", 5, "CareContDate", "bad-date")) && f->rejects);
    CHECK(f && strcmp(f->value, "03/05/2024") == 0);
    CHECK((f = FIND(ext, "IDS201CareContact", 7, "AppType", "missing")) && f->rejects);
    CHECK((f = FIND(ext, "IDS201CareContact", 8, "AttendOrDNACode", "missing")) && f->rejects);
    Iapt__PathwayRecord *r = fx_record(ext, "R1");
    CHECK(r && r->n_appointments == 2);
    if (r && r->n_appointments == 2) {
        CHECK_EQ_INT(r->appointments[0]->day, 2);
        CHECK_EQ_STR(r->appointments[0]->app_type, "02");
        CHECK_EQ_STR(r->appointments[0]->attendance, "5");
        CHECK_EQ_STR(r->appointments[0]->mechanism, "?");
        CHECK_EQ_STR(r->appointments[1]->app_type, "10");
        CHECK_EQ_STR(r->appointments[1]->attendance, "7");
        CHECK_EQ_STR(r->appointments[1]->mechanism, "98");
    }
    fx_free_record(r);
    CHECK_EQ_INT(fx_table(ext, "IDS201CareContact")->rejected, 5);
    iapt_extract_destroy(&ext);
}

static void
test_activity_and_scores(void)
{
    fx_extract_t e = {
        .hdr = HDR,
        .mpi = MPI,
        .ref = REF,
        .con = CON_COLS "C1,R1,2024-05-03,02,5,01\n",
        .act = ACT_COLS "A1,C1,304891004\n"              /* 2: CBT */
                        "A2,C1,12345\n"                  /* 3: 5 digits: bad-number, kept */
                        "A3,C1,\n"                       /* 4: no code */
                        "A4,C1,1234567890123456789\n"    /* 5: 19 digits */
                        "A5,C1,1098051000000103\n",      /* 6: employment support */
        .s06 = S06_COLS "R1," PHQ9 ",12,2024-05-02\n"    /* 2 */
                        "R1," PHQ9 ",30,2024-05-02\n"    /* 3: out of range, kept */
                        "R1," GAD7 ",1.234,2024-05-02\n" /* 4: bad-number */
                        "R1,12345,"
                        "5,2024-05-02\n"                        /* 5: tool 5 digits */
                        "R1,999999,-3.5,2024-05-02\n"           /* 6: unknown tool, kept */
                        "R1," GAD7 ",7.5,2024-05-32\n"          /* 7: bad date */
                        "R1," GAD7 ",,2024-05-02\n"             /* 8: score missing */
                        "R1," GAD7 ",+5,2024-05-02\n"           /* 9: '+' not allowed */
                        "R1," GAD7 ",5.,2024-05-02\n"           /* 10: no decimals */
                        "R1," GAD7 ",99999999999,2024-05-02\n", /* 11: too big */
        .s07 = S07_COLS "A1," GAD7 ",21\n"                      /* 2 */
                        "A1," GAD7 ",21.01\n"                   /* 3: out of range */
                        "A9," GAD7 ",3\n"                       /* 4: orphan */
                        "A2," PHQ9 ",0.5\n", /* 5: activity with a bad code is valid */
    };
    iapt_extract_t *ext = fx_read(&e);
    CHECK(ext != NULL);
    if (!ext)
        return;
    const iapt_finding_t *f;
    CHECK((f = FIND(ext, "IDS202CareActivity", 3, "CodeProcAndProcStatus", "bad-number")) &&
          !f->rejects);
    CHECK(FIND(ext, "IDS202CareActivity", 5, "CodeProcAndProcStatus", "bad-number") != NULL);
    CHECK((f = FIND(ext, "IDS606CodedScoreAssessmentRefer", 3, "PersScore", "out-of-range")) &&
          !f->rejects);
    CHECK((f = FIND(ext, "IDS606CodedScoreAssessmentRefer", 4, "PersScore", "bad-number")) &&
          f->rejects);
    CHECK((f = FIND(ext, "IDS606CodedScoreAssessmentRefer", 5, "CodedAssToolType", "bad-number")) &&
          f->rejects);
    CHECK(FIND(ext, "IDS606CodedScoreAssessmentRefer", 6, "PersScore", "out-of-range") == NULL);
    CHECK((f = FIND(ext, "IDS606CodedScoreAssessmentRefer", 7, "AssToolCompDate", "bad-date")) &&
          f->rejects);
    CHECK((f = FIND(ext, "IDS606CodedScoreAssessmentRefer", 8, "PersScore", "missing")) &&
          f->rejects);
    CHECK(FIND(ext, "IDS606CodedScoreAssessmentRefer", 9, "PersScore", "bad-number") != NULL);
    CHECK(FIND(ext, "IDS606CodedScoreAssessmentRefer", 10, "PersScore", "bad-number") != NULL);
    CHECK(FIND(ext, "IDS606CodedScoreAssessmentRefer", 11, "PersScore", "bad-number") != NULL);
    CHECK(FIND(ext, "IDS607CodedScoreAssessmentAct", 3, "PersScore", "out-of-range") != NULL);
    CHECK((f = FIND(ext, "IDS607CodedScoreAssessmentAct", 4, "CareActId", "orphan")) && f->rejects);

    Iapt__PathwayRecord *r = fx_record(ext, "R1");
    CHECK(r && r->n_appointments == 1);
    if (r && r->n_appointments == 1) {
        Iapt__Appointment *a = r->appointments[0];
        CHECK_EQ_INT(a->n_therapy, 2);
        if (a->n_therapy == 2) {
            CHECK(a->therapy[0] == 304891004ULL);
            CHECK(a->therapy[1] == 1098051000000103ULL);
        }
    }
    /* IDS606 lines 2, 3, 6 on 2024-05-02; IDS607 lines 2, 3, 5 on 05-03. */
    CHECK(r && r->n_scores == 6);
    if (r && r->n_scores == 6) {
        CHECK(r->scores[0]->tool == 720433000ULL && r->scores[0]->value_x100 == 1200);
        CHECK(r->scores[1]->value_x100 == 3000);
        CHECK(r->scores[2]->tool == 999999ULL && r->scores[2]->value_x100 == -350);
        for (int i = 0; i < 3; i++) {
            CHECK_EQ_INT(r->scores[i]->source, IAPT__SCORE_SOURCE__SCORE_IDS606);
            CHECK_EQ_INT(r->scores[i]->day, 1);
            CHECK_EQ_INT(r->scores[i + 3]->source, IAPT__SCORE_SOURCE__SCORE_IDS607);
            CHECK_EQ_INT(r->scores[i + 3]->day, 2);
        }
        CHECK_EQ_INT(r->scores[3]->value_x100, 2100);
        CHECK_EQ_INT(r->scores[4]->value_x100, 2101);
        CHECK_EQ_INT(r->scores[5]->value_x100, 50);
    }
    fx_free_record(r);
    iapt_extract_destroy(&ext);
}

static void
test_problems(void)
{
    fx_extract_t e = {
        .hdr = HDR,
        .mpi = MPI,
        .ref = REF,
        .prb = PRB_COLS "R1,F411,1,2024-05-02\n" /* 2 */
                        "R1,f32,2,2024-05-02\n"  /* 3: lower case: rejected */
                        "R1,F32,3,\n"            /* 4: significance 3: absent */
                        "R1,F431,,2024-13-01\n"  /* 5: bad date: no day, kept */
                        "R1,F42,2,2024-06-01\n"  /* 6: after period end: left out */
                        "R1,F4,1,2024-05-02\n"   /* 7: too short */
                        "R1,F41234,1,\n"         /* 8: too long */
                        "R1,,1,\n",              /* 9: missing */
    };
    iapt_extract_t *ext = fx_read(&e);
    CHECK(ext != NULL);
    if (!ext)
        return;
    const char *t = "IDS603PresentingComplaints";
    const iapt_finding_t *f;
    CHECK((f = FIND(ext, t, 3, "PresComp", "unknown-code")) && f->rejects);
    CHECK((f = FIND(ext, t, 4, "PresCompCodSig", "unknown-code")) && !f->rejects);
    CHECK((f = FIND(ext, t, 5, "PresCompDate", "bad-date")) && !f->rejects);
    CHECK(FIND(ext, t, 7, "PresComp", "unknown-code") != NULL);
    CHECK(FIND(ext, t, 8, "PresComp", "unknown-code") != NULL);
    CHECK(FIND(ext, t, 9, "PresComp", "missing") != NULL);
    Iapt__PathwayRecord *r = fx_record(ext, "R1");
    CHECK(r && r->n_problems == 3);
    if (r && r->n_problems == 3) {
        CHECK_EQ_STR(r->problems[0]->code, "F411");
        CHECK(r->problems[0]->has_significance && r->problems[0]->significance == 1);
        CHECK(r->problems[0]->has_day && r->problems[0]->day == 1);
        CHECK_EQ_STR(r->problems[1]->code, "F32");
        CHECK(!r->problems[1]->has_significance && !r->problems[1]->has_day);
        CHECK_EQ_STR(r->problems[2]->code, "F431");
        CHECK(!r->problems[2]->has_significance && !r->problems[2]->has_day);
    }
    fx_free_record(r);
    iapt_extract_destroy(&ext);
}

static void
test_employment_and_ltc(void)
{
    fx_extract_t e = {
        .hdr = HDR,
        .mpi = MPI_COLS "P1," NHS1 ",1980-03-15,,,\n"
                        "P2," NHS2 ",1980-03-15,,,\n",
        .ref = REF_COLS "R1,P1,00L,2024-04-10,,,\n"
                        "R2,P2,00L,2024-04-10,,,\n"
                        "R3,P1,00L,2024-05-10,,,\n",
        .emp = EMP_COLS "P1,2024-05-10,01,N,N\n"  /* 2 */
                        "P1,2024-04-01,04,Y,\n"   /* 3: earlier day, listed first */
                        "P1,2024-05-10,1,y,X\n"   /* 4: same day as line 2: after it */
                        "P1,2024-06-01,01,N,N\n"  /* 5: after the period: left out */
                        "P1,,01,N,N\n"            /* 6: date missing: rejected */
                        "P9,2024-05-01,01,N,N\n", /* 7: orphan */
        .ltc = LTC_COLS "P1,diabetes\n"
                        "P2,\n", /* missing: rejected, P2 has none */
    };
    iapt_extract_t *ext = fx_read(&e);
    CHECK(ext != NULL);
    if (!ext)
        return;
    const iapt_finding_t *f;
    CHECK((f = FIND(ext, "IDS004EmpStatus", 4, "EmployStatus", "unknown-code")) && !f->rejects);
    CHECK(FIND(ext, "IDS004EmpStatus", 4, "SSPInd", "unknown-code") != NULL);
    CHECK(FIND(ext, "IDS004EmpStatus", 4, "BenefitRecInd", "unknown-code") != NULL);
    CHECK((f = FIND(ext, "IDS004EmpStatus", 6, "EmployStatusRecDate", "missing")) && f->rejects);
    CHECK((f = FIND(ext, "IDS004EmpStatus", 7, "LocalPatientId", "orphan")) && f->rejects);
    CHECK((f = FIND(ext, "IDS602LongTermCondition", 3, "LongTermCondition", "missing")) &&
          f->rejects);
    const char *ids[] = {"R1", "R3"};
    for (int k = 0; k < 2; k++) {
        Iapt__PathwayRecord *r = fx_record(ext, ids[k]);
        CHECK(r && r->n_employment == 3);
        if (r && r->n_employment == 3) {
            CHECK_EQ_INT(r->employment[0]->day, fx_day(2024, 4, 1));
            CHECK_EQ_STR(r->employment[0]->status, "04");
            CHECK_EQ_STR(r->employment[0]->sick_pay, "Y");
            CHECK(r->employment[0]->benefits == NULL);
            CHECK_EQ_STR(r->employment[1]->status, "01");
            CHECK_EQ_STR(r->employment[1]->sick_pay, "N");
            CHECK_EQ_STR(r->employment[2]->status, "?");
            CHECK_EQ_STR(r->employment[2]->sick_pay, "?");
            CHECK_EQ_STR(r->employment[2]->benefits, "?");
        }
        CHECK(r && r->has_long_term_condition && r->long_term_condition);
        fx_free_record(r);
    }
    Iapt__PathwayRecord *r = fx_record(ext, "R2");
    CHECK(r && r->n_employment == 0 && r->has_long_term_condition && !r->long_term_condition);
    fx_free_record(r);
    iapt_extract_destroy(&ext);
}

static void
test_duplicates(void)
{
    fx_extract_t e = {
        .hdr = HDR,
        .mpi = MPI_COLS "P1," NHS1 ",1980-03-15,,,\n" /* 2 */
                        "P2," NHS2 ",1980-03-15,,,\n" /* 3 */
                        "P1," NHS3 ",1981-03-15,,,\n" /* 4: duplicate of line 2 */
                        "P1,,1981-03-15,,,\n",        /* 5: third copy */
        .ref = REF_COLS "R1,P1,00L,2024-05-02,,,\n"   /* 2: orphan (P1 rejected) */
                        "R2,P2,00L,2024-05-02,,,\n"   /* 3 */
                        "R2,P2,00L,2024-05-03,,,\n"   /* 4: duplicate */
                        "R3,P2,00L,2024-05-03,,,\n",  /* 5 */
        .con = CON_COLS "C1,R3,2024-05-03,02,5,\n"    /* 2 */
                        "C1,R3,2024-05-04,02,5,\n"    /* 3: duplicate */
                        "C2,R3,2024-05-04,02,5,\n",   /* 4 */
        .act = ACT_COLS "A1,C2,304891004\n"
                        "A1,C2,228557008\n"
                        "A2,C2,228557008\n",
    };
    iapt_extract_t *ext = fx_read(&e);
    CHECK(ext != NULL);
    if (!ext)
        return;
    const iapt_finding_t *f;
    for (int line = 2; line <= 5; line += (line == 2 ? 2 : 1)) {
        CHECK((f = FIND(ext, "IDS001MPI", (uint64_t)line, "LocalPatientId", "duplicate-id")) &&
              f->rejects);
    }
    CHECK(FIND(ext, "IDS001MPI", 3, "LocalPatientId", "duplicate-id") == NULL);
    CHECK((f = FIND(ext, "IDS101Referral", 2, "LocalPatientId", "orphan")) && f->rejects);
    CHECK(f && strstr(f->detail, "rejected") != NULL);
    CHECK(FIND(ext, "IDS101Referral", 3, "ServiceRequestId", "duplicate-id") != NULL);
    CHECK(FIND(ext, "IDS101Referral", 4, "ServiceRequestId", "duplicate-id") != NULL);
    CHECK(FIND(ext, "IDS201CareContact", 2, "CareContactId", "duplicate-id") != NULL);
    CHECK(FIND(ext, "IDS201CareContact", 3, "CareContactId", "duplicate-id") != NULL);
    CHECK(FIND(ext, "IDS202CareActivity", 2, "CareActId", "duplicate-id") != NULL);
    CHECK(FIND(ext, "IDS202CareActivity", 3, "CareActId", "duplicate-id") != NULL);
    CHECK_EQ_INT(ext->n_records, 1);
    Iapt__PathwayRecord *r = fx_record(ext, "R3");
    CHECK(r && r->n_appointments == 1);
    if (r && r->n_appointments == 1) {
        CHECK_EQ_INT(r->appointments[0]->n_therapy, 1);
        CHECK(r->appointments[0]->therapy[0] == 228557008ULL);
    }
    fx_free_record(r);
    CHECK_EQ_INT(fx_table(ext, "IDS001MPI")->rejected, 3);
    CHECK_EQ_INT(fx_field(ext, "IDS001MPI", "LocalPatientId")->invalid, 3);
    iapt_extract_destroy(&ext);
}

static void
test_cascade(void)
{
    fx_extract_t e = {
        .hdr = HDR,
        .mpi = MPI_COLS "P1," NHS1 ",1980-13-15,,,\n" /* rejected: bad birth date */
                        "P2," NHS2 ",1980-03-15,,,\n",
        .ref = REF_COLS "R1,P1,00L,2024-05-02,,,\n"
                        "R2,P2,00L,2024-05-02,,,\n"
                        "R3,P2,00L,2024-05-02,ZZ,,\n",
        .con = CON_COLS "C1,R1,2024-05-03,02,5,\n"
                        "C2,R2,2024-05-03,02,5,\n"
                        "C3,R9,2024-05-03,02,5,\n",
        .act = ACT_COLS "A1,C1,304891004\nA2,C2,304891004\nA3,C3,304891004\n",
        .s07 = S07_COLS "A1," PHQ9 ",5\nA2," PHQ9 ",6\nA3," PHQ9 ",7\n",
        .s06 = S06_COLS "R1," PHQ9 ",5,2024-05-02\nR2," PHQ9 ",6,2024-05-02\n",
        .prb = PRB_COLS "R1,F32,1,\nR2,F32,1,\n",
        .emp = EMP_COLS "P1,2024-05-02,01,,\nP2,2024-05-02,01,,\n",
        .ltc = LTC_COLS "P1,x\nP2,x\n",
    };
    iapt_extract_t *ext = fx_read(&e);
    CHECK(ext != NULL);
    if (!ext)
        return;
    CHECK(FIND(ext, "IDS101Referral", 2, "LocalPatientId", "orphan") != NULL);
    CHECK(FIND(ext, "IDS201CareContact", 2, "ServiceRequestId", "orphan") != NULL);
    const iapt_finding_t *f = FIND(ext, "IDS201CareContact", 4, "ServiceRequestId", "orphan");
    CHECK(f && strstr(f->detail, "no row") != NULL);
    CHECK(FIND(ext, "IDS202CareActivity", 2, "CareContactId", "orphan") != NULL);
    CHECK(FIND(ext, "IDS202CareActivity", 4, "CareContactId", "orphan") != NULL);
    CHECK(FIND(ext, "IDS607CodedScoreAssessmentAct", 2, "CareActId", "orphan") != NULL);
    CHECK(FIND(ext, "IDS607CodedScoreAssessmentAct", 4, "CareActId", "orphan") != NULL);
    CHECK(FIND(ext, "IDS606CodedScoreAssessmentRefer", 2, "ServiceRequestId", "orphan") != NULL);
    CHECK(FIND(ext, "IDS603PresentingComplaints", 2, "ServiceRequestId", "orphan") != NULL);
    CHECK(FIND(ext, "IDS004EmpStatus", 2, "LocalPatientId", "orphan") != NULL);
    CHECK(FIND(ext, "IDS602LongTermCondition", 2, "LocalPatientId", "orphan") != NULL);
    for (int t = 2; t < 10; t++) {
        const Iapt__TableQuality *tq = ext->quality->tables[t];
        CHECK(tq->rejected >= 1);
    }
    CHECK_EQ_INT(fx_table(ext, "IDS201CareContact")->rejected, 2);
    CHECK_EQ_INT(ext->n_records, 2);
    Iapt__PathwayRecord *r = fx_record(ext, "R2");
    CHECK(r && r->n_appointments == 1 && r->n_scores == 2 && r->n_problems == 1 &&
          r->n_employment == 1 && r->long_term_condition);
    fx_free_record(r);
    /* A referral with an invalid optional value is not rejected. */
    r = fx_record(ext, "R3");
    CHECK(r && strcmp(r->referral_source, "?") == 0);
    fx_free_record(r);
    iapt_extract_destroy(&ext);
}

static void
test_date_findings(void)
{
    fx_extract_t e = {
        .hdr = HDR, /* created 2024-06-03 */
        .mpi = MPI_COLS "P1," NHS1 ",1980-03-15,,,\n"
                        "P2," NHS2 ",2024-05-20,,,\n",          /* born after referral */
        .ref = REF_COLS "R1,P1,00L,2024-05-10,,2024-05-05,46\n" /* 2: discharge before */
                        "R2,P2,00L,2024-05-10,,,\n"             /* 3: birth after */
                        "R3,P1,00L,2024-05-10,,2024-05-20,46\n" /* 4 */
                        "R4,P1,00L,2024-06-04,,,\n",            /* 5: future */
        .con = CON_COLS "C1,R3,2024-05-09,01,5,\n"              /* 2: before referral */
                        "C2,R3,2024-05-21,02,5,\n"              /* 3: after discharge */
                        "C3,R3,2024-05-20,02,5,\n"              /* 4: on discharge day */
                        "C4,R3,2024-05-10,02,5,\n",             /* 5: on referral day */
        .s06 = S06_COLS "R3," PHQ9 ",5,2024-05-01\n",           /* before referral */
        .prb = PRB_COLS "R3,F32,1,2024-05-09\n",                /* before referral */
    };
    iapt_extract_t *ext = fx_read(&e);
    CHECK(ext != NULL);
    if (!ext)
        return;
    const iapt_finding_t *f;
    CHECK((f = FIND(ext, "IDS101Referral", 2, "ServDischDate", "discharge-before-referral")) &&
          !f->rejects);
    CHECK((f = FIND(ext, "IDS101Referral", 3, "ReferralRequestReceivedDate",
                    "birth-after-referral")) &&
          !f->rejects);
    CHECK((f = FIND(ext, "IDS101Referral", 5, "ReferralRequestReceivedDate", "future-date")) &&
          !f->rejects);
    CHECK((f = FIND(ext, "IDS201CareContact", 2, "CareContDate", "before-referral")) &&
          !f->rejects);
    CHECK((f = FIND(ext, "IDS201CareContact", 3, "CareContDate", "after-discharge")) &&
          !f->rejects);
    CHECK(FIND(ext, "IDS201CareContact", 4, "CareContDate", "after-discharge") == NULL);
    CHECK(FIND(ext, "IDS201CareContact", 5, "CareContDate", "before-referral") == NULL);
    CHECK(FIND(ext, "IDS606CodedScoreAssessmentRefer", 2, "AssToolCompDate", "before-referral") !=
          NULL);
    CHECK(FIND(ext, "IDS603PresentingComplaints", 2, "PresCompDate", "before-referral") != NULL);
    /* Impossible dates are findings; the rows are used as written. */
    Iapt__PathwayRecord *r = fx_record(ext, "R3");
    CHECK(r && r->n_appointments == 4 && r->n_scores == 1 && r->n_problems == 1);
    fx_free_record(r);
    r = fx_record(ext, "R1");
    CHECK(r && r->has_discharge_day && r->discharge_day == 4);
    fx_free_record(r);
    r = fx_record(ext, "R2");
    CHECK(r && r->age_band == IAPT__AGE_BAND__AGE_UNKNOWN);
    fx_free_record(r);
    iapt_extract_destroy(&ext);

    /* Without DateTimeDatSetCreate, "today" (2024-06-10) is the limit. */
    fx_extract_t e2 = {
        .hdr = HDR_COLS "RAT,2024-05-01,2024-05-31,\n",
        .mpi = MPI_COLS "P1," NHS1 ",1980-03-15,,,\n",
        .ref = REF_COLS "R1,P1,00L,2024-06-10,,,\n"
                        "R2,P1,00L,2024-06-11,,,\n",
    };
    ext = fx_read(&e2);
    CHECK(ext != NULL);
    CHECK(FIND(ext, "IDS101Referral", 2, "ReferralRequestReceivedDate", "future-date") == NULL);
    CHECK(FIND(ext, "IDS101Referral", 3, "ReferralRequestReceivedDate", "future-date") != NULL);
    iapt_extract_destroy(&ext);

    /* A bad DateTimeDatSetCreate is a finding and counts as missing. */
    fx_extract_t e3 = {
        .hdr = HDR_COLS "RAT,2024-05-01,2024-05-31,2024-06-01T25:00:00\n",
        .mpi = MPI_COLS "P1," NHS1 ",1980-03-15,,,\n",
        .ref = REF_COLS "R1,P1,00L,2024-06-10,,,\n",
    };
    ext = fx_read(&e3);
    CHECK(ext != NULL);
    CHECK(FIND(ext, "IDS000Header", 2, "DateTimeDatSetCreate", "bad-date") != NULL);
    CHECK(FIND(ext, "IDS101Referral", 2, "ReferralRequestReceivedDate", "future-date") == NULL);
    iapt_extract_destroy(&ext);
}

static void
test_selection(void)
{
    fx_extract_t e = {
        .hdr = HDR,
        .mpi = MPI,
        .ref = REF_COLS "R1,P1,00L,2024-05-31,,,\n"              /* received on the last day */
                        "R2,P1,00L,2024-06-01,,,\n"              /* received after the end */
                        "R3,P1,00L,2024-03-01,,2024-05-01,46\n"  /* discharged on the first day */
                        "R4,P1,00L,2024-03-01,,2024-04-30,46\n"  /* discharged the day before */
                        "R5,P1,00L,2024-03-01,,2024-06-01,46\n"  /* discharged after the end */
                        "R6,P1,00L,2024-03-01,,2024-05-31,96\n", /* on the last day */
        .con = CON_COLS "C1,R5,2024-05-31,02,5,\n"
                        "C2,R5,2024-06-01,02,5,\n", /* after the end: dropped */
        .act = ACT_COLS "A1,C1,304891004\nA2,C2,304891004\n",
        .s07 = S07_COLS "A1," PHQ9 ",10\nA2," PHQ9 ",11\n", /* A2 via C2: dropped */
        .s06 = S06_COLS "R5," PHQ9 ",9,2024-05-31\nR5," PHQ9 ",8,2024-06-01\n",
        .prb = PRB_COLS "R5,F32,1,2024-06-01\n",
    };
    iapt_extract_t *ext = fx_read(&e);
    CHECK(ext != NULL);
    if (!ext)
        return;
    CHECK_EQ_INT(ext->quality->referrals_in_extract, 6);
    CHECK_EQ_INT(ext->quality->referrals_selected, 4);
    CHECK_EQ_INT(ext->quality->referrals_used, 4);
    CHECK_EQ_INT(ext->n_records, 4);
    Iapt__PathwayRecord *r;
    CHECK((r = fx_record(ext, "R1")) && r->referral_day == 30);
    fx_free_record(r);
    CHECK((r = fx_record(ext, "R2")) == NULL);
    fx_free_record(r);
    CHECK((r = fx_record(ext, "R4")) == NULL);
    fx_free_record(r);
    r = fx_record(ext, "R3");
    CHECK(r && r->has_discharge_day && r->discharge_day == 0 && strcmp(r->end_code, "46") == 0);
    fx_free_record(r);
    r = fx_record(ext, "R5");
    CHECK(r && !r->has_discharge_day && r->end_code == NULL);
    CHECK(r && r->n_appointments == 1 && r->n_scores == 2 && r->n_problems == 0);
    if (r && r->n_scores == 2) {
        CHECK_EQ_INT(r->scores[0]->value_x100, 900);
        CHECK_EQ_INT(r->scores[1]->value_x100, 1000);
        CHECK_EQ_INT(r->scores[1]->day, 30);
    }
    fx_free_record(r);
    r = fx_record(ext, "R6");
    CHECK(r && r->has_discharge_day && r->discharge_day == 30 && strcmp(r->end_code, "96") == 0);
    fx_free_record(r);
    /* Rows after the period end are not findings. */
    CHECK_EQ_INT(ext->n_findings, 0);
    iapt_extract_destroy(&ext);
}

static void
test_ordering(void)
{
    fx_extract_t e = {
        .hdr = HDR,
        .mpi = MPI,
        .ref = REF,
        .con = CON_COLS "C1,R1,2024-05-20,02,5,\n"  /* 2 */
                        "C2,R1,2024-05-10,02,3,\n"  /* 3 */
                        "C3,R1,2024-05-20,03,6,\n"  /* 4: same day as C1, later line */
                        "C4,R1,2024-05-01,01,2,\n", /* 5 */
        .act = ACT_COLS "A1,C3,304891004\n"
                        "A2,C1,286711000000107\n"
                        "A3,C3,228557008\n",
        .s07 = S07_COLS "A3," PHQ9 ",1\n"             /* 2: C3 day 19 */
                        "A2," PHQ9 ",2\n"             /* 3: C1 day 19 */
                        "A1," PHQ9 ",3\n",            /* 4: C3 day 19 */
        .s06 = S06_COLS "R1," PHQ9 ",4,2024-05-20\n"  /* 2: same day: IDS606 first */
                        "R1," PHQ9 ",5,2024-05-01\n", /* 3 */
    };
    iapt_extract_t *ext = fx_read(&e);
    CHECK(ext != NULL);
    if (!ext)
        return;
    Iapt__PathwayRecord *r = fx_record(ext, "R1");
    CHECK(r && r->n_appointments == 4);
    if (r && r->n_appointments == 4) {
        CHECK_EQ_INT(r->appointments[0]->day, 0);
        CHECK_EQ_INT(r->appointments[1]->day, 9);
        CHECK_EQ_INT(r->appointments[2]->day, 19);
        CHECK_EQ_STR(r->appointments[2]->app_type, "02");
        CHECK_EQ_STR(r->appointments[3]->app_type, "03");
        CHECK_EQ_INT(r->appointments[3]->n_therapy, 2);
        CHECK(r->appointments[3]->therapy[0] == 304891004ULL);
        CHECK(r->appointments[3]->therapy[1] == 228557008ULL);
    }
    /* (day, IDS606 before IDS607, line): 5@0 (606), 4@19 (606), then the
     * IDS607 rows of day 19 by line: 1, 2, 3. */
    CHECK(r && r->n_scores == 5);
    if (r && r->n_scores == 5) {
        int want[] = {500, 400, 100, 200, 300};
        for (int i = 0; i < 5; i++)
            CHECK_EQ_INT(r->scores[i]->value_x100, want[i]);
    }
    fx_free_record(r);
    iapt_extract_destroy(&ext);
}

static void
test_age_bands(void)
{
    struct {
        const char *birth;
        Iapt__AgeBand band;
    } cases[] = {
        {"2006-05-11", IAPT__AGE_BAND__AGE_UNDER_18}, /* 17 the day before 18 */
        {"2006-05-10", IAPT__AGE_BAND__AGE_18_25},    /* 18 on the day */
        {"1998-05-10", IAPT__AGE_BAND__AGE_26_35},    /* 26 */
        {"1998-05-11", IAPT__AGE_BAND__AGE_18_25},    /* 25 */
        {"1988-05-11", IAPT__AGE_BAND__AGE_26_35},    /* 35 */
        {"1988-05-10", IAPT__AGE_BAND__AGE_36_45},    /* 36 */
        {"1978-05-10", IAPT__AGE_BAND__AGE_46_55},    /* 46 */
        {"1968-05-11", IAPT__AGE_BAND__AGE_46_55},    /* 55 */
        {"1968-05-10", IAPT__AGE_BAND__AGE_56_64},    /* 56 */
        {"1959-05-11", IAPT__AGE_BAND__AGE_56_64},    /* 64 */
        {"1959-05-10", IAPT__AGE_BAND__AGE_65_74},    /* 65 */
        {"1949-05-11", IAPT__AGE_BAND__AGE_65_74},    /* 74 */
        {"1949-05-10", IAPT__AGE_BAND__AGE_75_PLUS},  /* 75 */
        {"2024-05-10", IAPT__AGE_BAND__AGE_UNDER_18}, /* born that day */
        {"2024-05-11", IAPT__AGE_BAND__AGE_UNKNOWN},  /* born after */
    };
    int32_t ref = iapt_days_from_civil(2024, 5, 10);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int32_t b;
        CHECK_EQ_INT(iapt_date_parse(cases[i].birth, 10, &b), 0);
        if (iapt_age_band(b, ref) != cases[i].band)
            fprintf(stderr, "birth %s\n", cases[i].birth);
        CHECK_EQ_INT(iapt_age_band(b, ref), cases[i].band);
    }
    /* 29 February birthdays are reached on 1 March in other years. */
    int32_t leap = iapt_days_from_civil(2000, 2, 29);
    CHECK_EQ_INT(iapt_age_years(leap, iapt_days_from_civil(2018, 2, 28)), 17);
    CHECK_EQ_INT(iapt_age_years(leap, iapt_days_from_civil(2018, 3, 1)), 18);
    CHECK_EQ_INT(iapt_age_years(leap, iapt_days_from_civil(2024, 2, 29)), 24);

    /* Through a record: age at the referral date. */
    fx_extract_t e = {
        .hdr = HDR,
        .mpi = MPI_COLS "P1," NHS1 ",2006-05-11,,,\n",
        .ref = REF_COLS "R1,P1,00L,2024-05-10,,,\nR2,P1,00L,2024-05-11,,,\n",
    };
    iapt_extract_t *ext = fx_read(&e);
    Iapt__PathwayRecord *r = fx_record(ext, "R1");
    CHECK(r && r->age_band == IAPT__AGE_BAND__AGE_UNDER_18);
    fx_free_record(r);
    r = fx_record(ext, "R2");
    CHECK(r && r->age_band == IAPT__AGE_BAND__AGE_18_25);
    fx_free_record(r);
    iapt_extract_destroy(&ext);
}

static void
test_imd(void)
{
    const char imd_text[] = "imd_decile,postcode_prefix\n"
                            "3,NE1\n"
                            "2,ne1 1a\n"
                            "9,NE11AD\n"
                            "\n"
                            "5,SW1A\n";
    iapt_imd_t *imd = NULL;
    CHECK_EQ_INT(iapt_imd_parse(imd_text, sizeof imd_text - 1, "imd.csv", &imd), 0);
    CHECK_EQ_INT(iapt_imd_lookup(imd, "NE11AD"), 9);
    CHECK_EQ_INT(iapt_imd_lookup(imd, "NE11AB"), 2);
    CHECK_EQ_INT(iapt_imd_lookup(imd, "NE12AB"), 3);
    CHECK_EQ_INT(iapt_imd_lookup(imd, "NE99AB"), 0);
    CHECK_EQ_INT(iapt_imd_lookup(imd, "SW1A1AA"), 5);
    CHECK_EQ_INT(iapt_imd_lookup(imd, "N11AA"), 0);
    iapt_imd_destroy(&imd);
    CHECK(imd == NULL);

    const char *bad[] = {
        "postcode_prefix\nNE1\n",               /* no decile column */
        "postcode_prefix,imd_decile\nNE1,11\n", /* decile out of range */
        "postcode_prefix,imd_decile\nNE1,x\n",
        "postcode_prefix,imd_decile\n,3\n",
        "postcode_prefix,imd_decile\nNE1-,3\n",
        "postcode_prefix,imd_decile\nNE11ADXX,3\n",
        "postcode_prefix,imd_decile\nNE1,3\nne1,4\n", /* twice */
        "postcode_prefix,imd_decile\nNE1,3,4\n",
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int rc = iapt_imd_parse(bad[i], strlen(bad[i]), "imd.csv", &imd);
        if (rc != IAPT_EFORMAT)
            fprintf(stderr, "case %zu: %d\n", i, rc);
        CHECK_EQ_INT(rc, IAPT_EFORMAT);
        CHECK(strstr(iapt_error_detail(), "imd.csv") != NULL);
    }

    /* Through the extract: normalised postcode, longest prefix, no match,
     * invalid postcode. */
    char dir_imd[700];
    snprintf(dir_imd, sizeof dir_imd, "%s/imd.csv", t_tmpdir());
    CHECK_EQ_INT(iapt_file_write_atomic(dir_imd, imd_text, sizeof imd_text - 1, 0600), 0);
    fx_extract_t e = {
        .hdr = HDR,
        .mpi = MPI_COLS "P1," NHS1 ",1980-01-01,ne1  1ad,,\n"
                        "P2," NHS2 ",1980-01-01,NE1 2AB,,\n"
                        "P3," NHS3 ",1980-01-01,EC1A 1BB,,\n"
                        "P4,,1980-01-01,NE1,,\n",
        .ref = REF_COLS "R1,P1,00L,2024-05-02,,,\nR2,P2,00L,2024-05-02,,,\n"
                        "R3,P3,00L,2024-05-02,,,\nR4,P4,00L,2024-05-02,,,\n",
    };
    iapt_extract_options_t o = fx_options();
    o.imd_path = dir_imd;
    iapt_extract_t *ext = NULL;
    CHECK_EQ_INT(fx_read_opt(&e, &o, &ext), 0);
    Iapt__PathwayRecord *r = fx_record(ext, "R1");
    CHECK(r && r->has_imd_decile && r->imd_decile == 9);
    fx_free_record(r);
    r = fx_record(ext, "R2");
    CHECK(r && r->has_imd_decile && r->imd_decile == 3);
    fx_free_record(r);
    r = fx_record(ext, "R3");
    CHECK(r && !r->has_imd_decile);
    fx_free_record(r);
    r = fx_record(ext, "R4");
    CHECK(r && !r->has_imd_decile);
    fx_free_record(r);
    CHECK(FIND(ext, "IDS001MPI", 5, "Postcode", "bad-postcode") != NULL);
    iapt_extract_destroy(&ext);

    /* A lookup loaded once serves any number of reads. */
    iapt_imd_t *loaded = NULL;
    CHECK_EQ_INT(iapt_imd_load(dir_imd, &loaded), 0);
    o.imd_path = "/nonexistent/imd.csv";
    o.imd = loaded;
    CHECK_EQ_INT(fx_read_opt(&e, &o, &ext), 0);
    r = fx_record(ext, "R1");
    CHECK(r && r->has_imd_decile && r->imd_decile == 9);
    fx_free_record(r);
    iapt_extract_destroy(&ext);
    iapt_imd_destroy(&loaded);
    o.imd = NULL;
    o.imd_path = dir_imd;

    /* A bad lookup file stops the read before the data. */
    CHECK_EQ_INT(iapt_file_write_atomic(dir_imd, "x\n", 2, 0600), 0);
    CHECK_EQ_INT(fx_read_opt(&e, &o, &ext), IAPT_EFORMAT);
    o.imd_path = "/nonexistent/imd.csv";
    CHECK_EQ_INT(fx_read_opt(&e, &o, &ext), IAPT_ENOTFOUND);
    unlink(dir_imd);
    char *slash = strrchr(dir_imd, '/');
    *slash = 0;
    rmdir(dir_imd);
}

static void
test_postcodes(void)
{
    char out[8];
    const char *good[] = {"NE1 1AD", "ne11ad",  "SW1A 1AA", "EC1A1BB", "M1 1AE",
                          "B33 8TH", "CR2 6XH", "DN55 1PT", " W1A 0AX"};
    const char *bad[] = {"NE1",      "1NE 1AD",   "NE1 1A", "ABC1 1AA", "NE1 1ADX",
                         "NE-1 1AD", "SW1AB 1AA", "N 1AA",  ""};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        CHECK_EQ_INT(iapt_postcode_normalise(good[i], strlen(good[i]), out), 0);
    CHECK_EQ_INT(iapt_postcode_normalise("sw1a 1aa", 8, out), 0);
    CHECK_EQ_STR(out, "SW1A1AA");
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        if (iapt_postcode_normalise(bad[i], strlen(bad[i]), out) != -1)
            fprintf(stderr, "accepted %s\n", bad[i]);
        CHECK_EQ_INT(iapt_postcode_normalise(bad[i], strlen(bad[i]), out), -1);
    }
}

static void
test_counting(void)
{
    fx_extract_t e = {
        .hdr = HDR,
        .mpi = MPI_COLS "P1," NHS1 ",1980-03-15,,1,\n"
                        "P2,,1980-03-15,,7,\n",
        .ref = REF_COLS "R1,P1,00L,2024-05-02,B1,,\n"
                        "R2,P1,00L,2024-03-02,B1,2024-04-01,46\n" /* not selected */
                        "R3,P9,00L,2024-05-02,B1,,\n"             /* orphan: selected */
                        "R4,P2,00L,,B1,,\n",                      /* no date: not selected */
    };
    iapt_extract_t *ext = fx_read(&e);
    CHECK(ext != NULL);
    if (!ext)
        return;
    const Iapt__QualitySummary *q = ext->quality;
    CHECK_EQ_INT(q->referrals_in_extract, 4);
    CHECK_EQ_INT(q->referrals_selected, 2);
    CHECK_EQ_INT(q->referrals_used, 1);
    CHECK_EQ_INT(q->referrals_rejected, 2);
    CHECK_EQ_INT(q->findings, ext->n_findings);
    CHECK_EQ_INT(q->findings, 4);
    const Iapt__FieldQuality *g = fx_field(ext, "IDS001MPI", "GenderIdentity");
    CHECK(g && g->valid == 1 && g->invalid == 1 && g->missing == 0);
    const Iapt__FieldQuality *p = fx_field(ext, "IDS101Referral", "LocalPatientId");
    CHECK(p && p->valid == 3 && p->invalid == 1 && p->missing == 0);
    const Iapt__FieldQuality *d = fx_field(ext, "IDS101Referral", "ServDischDate");
    CHECK(d && d->valid == 1 && d->missing == 3);
    /* Every field: valid + invalid + missing = rows. */
    for (size_t t = 0; t < q->n_tables; t++)
        for (size_t f = 0; f < q->tables[t]->n_fields; f++) {
            const Iapt__FieldQuality *fq = q->tables[t]->fields[f];
            CHECK_EQ_INT(fq->valid + fq->invalid + fq->missing, q->tables[t]->rows);
        }
    /* Reasons: (table, field, reason) counts, in table order. */
    CHECK_EQ_INT(q->n_reasons, 4);
    if (q->n_reasons == 4) {
        CHECK_EQ_STR(q->reasons[0]->field, "NHSNumber");
        CHECK_EQ_STR(q->reasons[0]->reason, "missing");
        CHECK_EQ_STR(q->reasons[1]->field, "GenderIdentity");
        CHECK_EQ_STR(q->reasons[2]->table, "IDS101Referral");
        CHECK_EQ_STR(q->reasons[2]->field, "LocalPatientId");
        CHECK_EQ_STR(q->reasons[2]->reason, "orphan");
        CHECK_EQ_STR(q->reasons[3]->field, "ReferralRequestReceivedDate");
        for (size_t i = 0; i < 4; i++)
            CHECK_EQ_INT(q->reasons[i]->count, 1);
    }
    /* Findings in file and line order. */
    for (size_t i = 1; i < ext->n_findings; i++) {
        const iapt_finding_t *a = &ext->findings[i - 1], *b = &ext->findings[i];
        CHECK(strcmp(a->table, b->table) != 0 || a->line <= b->line);
    }
    CHECK_EQ_STR(ext->findings[0].table, "IDS001MPI");
    CHECK_EQ_STR(ext->findings[0].file, "IDS001MPI.csv");
    CHECK_EQ_STR(ext->findings[3].file, "IDS101Referral.csv");
    CHECK_EQ_INT(ext->findings_not_listed, 0);
    CHECK_EQ_STR(ext->findings[3].table, "IDS101Referral");
    iapt_extract_destroy(&ext);
}

static void
test_masking(void)
{
    char ids[600];
    snprintf(ids, sizeof ids,
             MPI_COLS "P1,94347659,1980-03-15,NE1 1A,,\n" /* bad NHS, bad postcode */
                      "PATIENT0000042,,1980-02-30,,,\n"); /* bad birth date */
    fx_extract_t e = {
        .hdr = HDR,
        .mpi = ids,
        .ref = REF_COLS "REFERRAL-0001,PATIENT0000042,00L,2024-05-02,Q9,,\n",
    };
    iapt_extract_t *ext = fx_read(&e);
    CHECK(ext != NULL);
    if (!ext)
        return;
    const iapt_finding_t *f;
    CHECK((f = FIND(ext, "IDS001MPI", 2, "NHSNumber", "bad-number")) &&
          strcmp(f->value, "94*") == 0);
    CHECK((f = FIND(ext, "IDS001MPI", 2, "Postcode", "bad-postcode")) &&
          strcmp(f->value, "NE*") == 0);
    CHECK((f = FIND(ext, "IDS001MPI", 3, "PersonBirthDate", "bad-date")) &&
          strcmp(f->value, "19*") == 0);
    CHECK((f = FIND(ext, "IDS101Referral", 2, "LocalPatientId", "orphan")) &&
          strcmp(f->value, "PA*") == 0);
    /* Codes are not identifying: shown as written. */
    CHECK((f = FIND(ext, "IDS101Referral", 2, "SourceOfReferralIAPT", "unknown-code")) &&
          strcmp(f->value, "Q9") == 0);
    for (size_t i = 0; i < ext->n_findings; i++) {
        CHECK(strstr(ext->findings[i].value, "PATIENT0000042") == NULL);
        CHECK(strstr(ext->findings[i].detail, "PATIENT") == NULL);
    }
    iapt_extract_destroy(&ext);
}

TEST_MAIN(test_minimal, test_reading_rules, test_ragged_row, test_mpi_fields, test_referral_fields,
          test_contact_fields, test_activity_and_scores, test_problems, test_employment_and_ltc,
          test_duplicates, test_cascade, test_date_findings, test_selection, test_ordering,
          test_age_bands, test_imd, test_postcodes, test_counting, test_masking)
