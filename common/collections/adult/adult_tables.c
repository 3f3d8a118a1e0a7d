/* adult_tables.c - the adult collection's tables and fields as data
 * (docs/EXTRACT.md, docs/EXTRACT-NOTES.md "Field validity"), its reasons,
 * its gate needs and its schema (node/schema.h). */
#include "common/collections/adult/adult_node.h"

#include <stddef.h>

/* ---- code lists (EXTRACT-NOTES "Field validity") ---- */

static const char *const s_gender[] = {"1", "2", "3", "4", "X", "Z", NULL};
static const char *const s_ethnic[] = {"A", "B", "C", "D", "E", "F", "G", "H",  "J", "K",
                                       "L", "M", "N", "P", "R", "S", "Z", "99", NULL};
static const char *const s_source[] = {
    "A1", "A2", "A3", "A4", "B1", "B2", "C1", "C2", "C3", "D1", "D2", "E1", "E2", "E3",
    "E4", "E5", "E6", "F1", "F2", "F3", "G1", "G2", "G3", "G4", "H1", "H2", "I1", "I2",
    "M1", "M2", "M3", "M4", "M5", "M6", "M7", "M8", "N1", "N2", "N4", "P1", "Q1", NULL};
static const char *const s_end_code[] = {"10", "11", "12", "13", "14", "16", "17", "46",
                                         "47", "48", "49", "50", "95", "96", NULL};
static const char *const s_app_type[] = {"01", "02", "03", "04", "05", "06", "10", NULL};
static const char *const s_attend[] = {"2", "3", "4", "5", "6", "7", NULL};
static const char *const s_mechanism[] = {"01", "02", "04", "05", "09", "10",
                                          "11", "12", "13", "98", NULL};
static const char *const s_significance[] = {"1", "2", NULL};
static const char *const s_employ[] = {"01", "02", "03", "04", "05", "06", "07", "08", "ZZ", NULL};
static const char *const s_yes_no[] = {"Y", "N", NULL};

#define M IAPT_XN_M
#define R IAPT_XN_R
#define O IAPT_XN_O
#define ID(name)                                                                                   \
    {                                                                                              \
        name, IAPT_XK_ID, M, NULL, -1, true                                                        \
    }
#define REF(name, table)                                                                           \
    {                                                                                              \
        name, IAPT_XK_REF, M, NULL, table, true                                                    \
    }
#define F(name, kind, need)                                                                        \
    {                                                                                              \
        name, kind, need, NULL, -1, false                                                          \
    }
#define FI(name, kind, need)                                                                       \
    {                                                                                              \
        name, kind, need, NULL, -1, true                                                           \
    }
#define CODE(name, need, list)                                                                     \
    {                                                                                              \
        name, IAPT_XK_CODE, need, list, -1, false                                                  \
    }

static const iapt_xtable_t s_tables[AD_NTABLES] = {
    [AD_HEADER] = {"IDS000Header",
                   "IDS000Header.csv",
                   true,
                   5,
                   {F("OrgIDProv", IAPT_XK_TEXT, M), F("ReportingPeriodStartDate", IAPT_XK_DATE, M),
                    F("ReportingPeriodEndDate", IAPT_XK_DATE, M),
                    F("DateTimeDatSetCreate", IAPT_XK_TIMESTAMP, O),
                    F("PrimSystemInUse", IAPT_XK_TEXT, O)}},
    [AD_MPI] = {"IDS001MPI",
                "IDS001MPI.csv",
                true,
                6,
                {ID("LocalPatientId"), FI("NHSNumber", IAPT_XK_NHS, R),
                 FI("PersonBirthDate", IAPT_XK_DATE, M), FI("Postcode", IAPT_XK_POSTCODE, O),
                 CODE("GenderIdentity", O, s_gender), CODE("EthnicCategory", O, s_ethnic)}},
    [AD_REFERRAL] = {"IDS101Referral",
                     "IDS101Referral.csv",
                     true,
                     7,
                     {ID("ServiceRequestId"), REF("LocalPatientId", AD_MPI),
                      F("OrgIDComm", IAPT_XK_ORG, M),
                      F("ReferralRequestReceivedDate", IAPT_XK_DATE, M),
                      CODE("SourceOfReferralIAPT", O, s_source),
                      F("ServDischDate", IAPT_XK_DATE, O), CODE("EndCode", R, s_end_code)}},
    [AD_CONTACT] = {"IDS201CareContact",
                    "IDS201CareContact.csv",
                    false,
                    6,
                    {ID("CareContactId"), REF("ServiceRequestId", AD_REFERRAL),
                     F("CareContDate", IAPT_XK_DATE, M), CODE("AppType", M, s_app_type),
                     CODE("AttendOrDNACode", M, s_attend), CODE("ConsMechanism", O, s_mechanism)}},
    [AD_ACTIVITY] = {"IDS202CareActivity",
                     "IDS202CareActivity.csv",
                     false,
                     3,
                     {ID("CareActId"), REF("CareContactId", AD_CONTACT),
                      F("CodeProcAndProcStatus", IAPT_XK_SNOMED, O)}},
    [AD_PROBLEM] = {"IDS603PresentingComplaints",
                    "IDS603PresentingComplaints.csv",
                    false,
                    4,
                    {REF("ServiceRequestId", AD_REFERRAL), F("PresComp", IAPT_XK_ICD, M),
                     CODE("PresCompCodSig", O, s_significance),
                     F("PresCompDate", IAPT_XK_DATE, O)}},
    [AD_SCORE_REF] = {"IDS606CodedScoreAssessmentRefer",
                      "IDS606CodedScoreAssessmentRefer.csv",
                      false,
                      4,
                      {REF("ServiceRequestId", AD_REFERRAL),
                       F("CodedAssToolType", IAPT_XK_SNOMED, M), F("PersScore", IAPT_XK_SCORE, M),
                       F("AssToolCompDate", IAPT_XK_DATE, M)}},
    [AD_SCORE_ACT] = {"IDS607CodedScoreAssessmentAct",
                      "IDS607CodedScoreAssessmentAct.csv",
                      false,
                      3,
                      {REF("CareActId", AD_ACTIVITY), F("CodedAssToolType", IAPT_XK_SNOMED, M),
                       F("PersScore", IAPT_XK_SCORE, M)}},
    [AD_EMPLOY] = {"IDS004EmpStatus",
                   "IDS004EmpStatus.csv",
                   false,
                   5,
                   {REF("LocalPatientId", AD_MPI), F("EmployStatusRecDate", IAPT_XK_DATE, M),
                    CODE("EmployStatus", O, s_employ), CODE("SSPInd", O, s_yes_no),
                    CODE("BenefitRecInd", O, s_yes_no)}},
    [AD_LTC] = {"IDS602LongTermCondition",
                "IDS602LongTermCondition.csv",
                false,
                2,
                {REF("LocalPatientId", AD_MPI), F("LongTermCondition", IAPT_XK_TEXT, M)}},
};

#undef M
#undef R
#undef O
#undef ID
#undef REF
#undef F
#undef FI
#undef CODE

const char *const adult_reasons[] = {
    "after-discharge", "before-referral", "birth-after-referral", "discharge-before-referral", NULL,
};

/* What the measures need (EXTRACT-NOTES "Plausibility gate"). */
static const iapt_gate_need_t s_gate_needs[] = {
    {"IDS201",
     {AD_CONTACT},
     1,
     NULL,
     "without care contacts no referral has an appointment, so every score taken in one "
     "(IDS607) is an orphan and no one is counted as treated",
     NULL},
    {"IDS202",
     {AD_ACTIVITY},
     1,
     NULL,
     "without care activities every score taken in an appointment (IDS607) is rejected as an "
     "orphan",
     NULL},
    {"IDS606+IDS607",
     {AD_SCORE_REF, AD_SCORE_ACT},
     2,
     "score",
     "no questionnaire scores, so no recovery or improvement can be measured. Export the score "
     "tables and run check again; use --force only if no scores were recorded this month",
     "so no recovery or improvement can be measured. See the findings for those files (orphans "
     "mean their contacts, activities or referrals were rejected or missing)"},
};

const iapt_extract_schema_t iapt_adult_extract_schema = {
    .n_tables = AD_NTABLES,
    .tables = s_tables,
    .cascade = NULL, /* table order: every table refers to an earlier one */
    .header_table = AD_HEADER,
    .header_org = AF_HDR_ORG,
    .header_start = AF_HDR_START,
    .header_end = AF_HDR_END,
    .header_created = AF_HDR_CREATED,
    .record_table = AD_REFERRAL,
    .record_noun = "referral",
    .record_plural = "referrals",
    .reasons = adult_reasons,
    .row_rule = adult_row_rule,
    .resolved_rule = adult_resolved_rule,
    .selected = adult_referral_selected,
    .build_records = adult_build_records,
    .gate_needs = s_gate_needs,
    .n_gate_needs = sizeof s_gate_needs / sizeof *s_gate_needs,
    .tools_key = "tools",
};
