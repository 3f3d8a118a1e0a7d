/* cyp_tables.c - the CYP collection's tables and fields as data (docs/CYP.md
 * "The extract"), its reasons, its gate needs, its tool-table hooks and its
 * schema (node/schema.h). Code lists are cyp_codes'. */
#include "common/collections/cyp/cyp_codes.h"
#include "common/collections/cyp/cyp_node.h"
#include "common/collections/cyp/cyp_tools.h"

#include "common/err.h"

#include <stdlib.h>

#define M IAPT_XN_M
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

/* The code lists, as cyp_codes.c holds them (a static initialiser cannot
 * call iapt_cyp_codes; tests/unit/test_cyp_node.c checks the two are the
 * same, so they cannot drift apart). */
static const char *const s_sectors[] = {"NHS", "LA", "VCS", "YJ", NULL};
static const char *const s_genders[] = {"1", "2", "3", "4", "X", "Z", NULL};
static const char *const s_ethnic[] = {"A", "B", "C", "D", "E", "F", "G", "H",  "J", "K",
                                       "L", "M", "N", "P", "R", "S", "Z", "99", NULL};
static const char *const s_sources[] = {"01", "02", "03", "04", "05", "06", "07", "08", "99", NULL};
static const char *const s_teams[] = {"CWP", "MHST", "CAMHS", "OTH", NULL};
static const char *const s_reasons_ref[] = {"01", "02", "03", "04", "05", "06", "99", NULL};
static const char *const s_attend[] = {"2", "3", "4", "5", "6", "7", NULL};
static const char *const s_mechanism[] = {"01", "02", "11", "98", NULL};

/* NHSNumber and GoalNumber are R in CYP.md; their columns are read as O
 * (a missing column is empty cells, docs/CYP-NOTES.md), and a missing
 * NHSNumber is no finding in this collection. The rules of R values live
 * in cyp_rules.c. */
static const iapt_xtable_t s_tables[CY_NTABLES] = {
    [CY_HEADER] = {"CYP000Header",
                   "CYP000Header.csv",
                   true,
                   5,
                   {F("OrgIDProv", IAPT_XK_TEXT, M), F("ReportingPeriodStartDate", IAPT_XK_DATE, M),
                    F("ReportingPeriodEndDate", IAPT_XK_DATE, M),
                    F("DateTimeDatSetCreate", IAPT_XK_TIMESTAMP, O),
                    CODE("OrgSector", O, s_sectors)}},
    [CY_MPI] = {"CYP001MPI",
                "CYP001MPI.csv",
                true,
                6,
                {ID("LocalPatientId"), FI("NHSNumber", IAPT_XK_NHS, O),
                 FI("PersonBirthDate", IAPT_XK_DATE, M), FI("Postcode", IAPT_XK_POSTCODE, O),
                 CODE("GenderIdentity", O, s_genders), CODE("EthnicCategory", O, s_ethnic)}},
    [CY_REFERRAL] = {"CYP101Referral",
                     "CYP101Referral.csv",
                     true,
                     8,
                     {ID("ServiceRequestId"), REF("LocalPatientId", CY_MPI),
                      F("OrgIDComm", IAPT_XK_ORG, M),
                      F("ReferralRequestReceivedDate", IAPT_XK_DATE, M),
                      CODE("SourceOfReferral", O, s_sources), CODE("TeamType", O, s_teams),
                      CODE("PrimReasonReferral", O, s_reasons_ref),
                      F("ServDischDate", IAPT_XK_DATE, O)}},
    [CY_CONTACT] = {"CYP201CareContact",
                    "CYP201CareContact.csv",
                    false,
                    5,
                    {ID("CareContactId"), REF("ServiceRequestId", CY_REFERRAL),
                     F("CareContDate", IAPT_XK_DATE, M), CODE("AttendOrDNACode", M, s_attend),
                     CODE("ConsMechanism", O, s_mechanism)}},
    [CY_SCORE] = {"CYP607CodedScore",
                  "CYP607CodedScore.csv",
                  false,
                  5,
                  {REF("ServiceRequestId", CY_REFERRAL), F("AssToolCompDate", IAPT_XK_DATE, M),
                   F("CodedAssToolType", IAPT_XK_TEXT, M), F("PersScore", IAPT_XK_SCORE, M),
                   F("GoalNumber", IAPT_XK_TEXT, O)}},
};

#undef M
#undef O
#undef ID
#undef REF
#undef F
#undef FI
#undef CODE

/* In the order of the CR_* enum (cyp_node.h). */
const char *const cyp_reasons[] = {
    "after-discharge",
    "age-26-plus",
    "before-referral",
    "birth-after-referral",
    "discharge-before-referral",
    "not-applicable",
    NULL,
};

/* What the measures need: contacts (access, waits, DNAs, C031) and scores
 * (every outcome measure). */
static const iapt_gate_need_t s_gate_needs[] = {
    {"CYP201",
     {CY_CONTACT},
     1,
     NULL,
     "without care contacts no referral has a first or second contact, so access, waits and "
     "every outcome measure are empty",
     NULL},
    {"CYP607",
     {CY_SCORE},
     1,
     NULL,
     "no questionnaire scores or goal ratings, so no outcome can be measured. Export the score "
     "table and run check again; use --force only if no scores were recorded this month",
     NULL},
};

/* ---- the tool table (cyp_tools.h) ---- */

static int
s_tools_load(const char *path, void **out)
{
    iapt_cyp_tools_t *t = malloc(sizeof *t);
    int rc;
    if (!t)
        return iapt_error_set(IAPT_ENOMEM, "no memory for the tool table");
    if ((rc = iapt_cyp_tools_load(path, t)) < 0) {
        free(t);
        return rc;
    }
    *out = t;
    return 0;
}

static void
s_tools_free(void *t)
{
    free(t);
}

static const char *
s_tools_sha256(const void *t)
{
    return ((const iapt_cyp_tools_t *)t)->sha256_hex;
}

const iapt_extract_schema_t iapt_cyp_extract_schema = {
    .n_tables = CY_NTABLES,
    .tables = s_tables,
    .cascade = NULL, /* table order: every table refers to an earlier one */
    .header_table = CY_HEADER,
    .header_org = CF_HDR_ORG,
    .header_start = CF_HDR_START,
    .header_end = CF_HDR_END,
    .header_created = CF_HDR_CREATED,
    .record_table = CY_REFERRAL,
    .record_noun = "referral",
    .record_plural = "referrals",
    .reasons = cyp_reasons,
    .row_rule = cyp_row_rule,
    .resolved_rule = cyp_resolved_rule,
    .selected = cyp_referral_selected,
    .build_records = cyp_build_records,
    .gate_needs = s_gate_needs,
    .n_gate_needs = sizeof s_gate_needs / sizeof *s_gate_needs,
    .tools_key = "cyp-tools",
    .tools = {.default_file = "data/cyp-assessment-tools.csv",
              .load = s_tools_load,
              .free = s_tools_free,
              .sha256_hex = s_tools_sha256},
};
