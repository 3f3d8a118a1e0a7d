/* workforce_tables.c - the workforce collection's tables and fields as data
 * (docs/WORKFORCE.md "The extract"), its reason, its gate needs and its
 * schema (node/schema.h). */
#include "common/collections/workforce/workforce_node.h"

#include <stddef.h>

/* ---- code lists (WORKFORCE.md) ---- */

const char *const workforce_roles[] = {"LIT", "LIQ", "HIT", "HIQ",  "CNS", "CWT",
                                       "CWQ", "SUP", "ESA", "LEAD", "OTH", NULL};
const char *const workforce_bands[] = {"2",  "3",  "4",  "5",  "6", "7",
                                       "8a", "8b", "8c", "8d", "9", NULL};
const char *const workforce_professions[] = {"NUR", "CLP", "COP", "OT",  "SW",
                                             "CNS", "PSY", "GRD", "OTH", NULL};
const char *const workforce_session_types[] = {"I", "G", "C", NULL};
static const char *const s_yes_no[] = {"Y", "N", NULL};

#define M IAPT_XN_M
#define R IAPT_XN_R
#define O IAPT_XN_O
/* Staff and session ids, references to staff and every date of a person
 * are identifying: findings show them masked. */
#define ID(name)                                                                                   \
    {                                                                                              \
        name, IAPT_XK_ID, M, NULL, -1, true                                                        \
    }
#define REF(name, need, table)                                                                     \
    {                                                                                              \
        name, IAPT_XK_REF, need, NULL, table, true                                                 \
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

static const iapt_xtable_t s_tables[WF_NTABLES] = {
    [WF_HEADER] = {"WF000Header",
                   "WF000Header.csv",
                   true,
                   4,
                   {F("OrgIDProv", IAPT_XK_TEXT, M), F("ReportingPeriodStartDate", IAPT_XK_DATE, M),
                    F("ReportingPeriodEndDate", IAPT_XK_DATE, M),
                    F("DateTimeDatSetCreate", IAPT_XK_TIMESTAMP, O)}},
    /* WTE is read as a decimal with at most two decimals (kept x 100);
     * its range is workforce_rules.c's. SupervisorStaffId refers to this
     * same table: an orphan is a finding and counts as missing. */
    [WF_STAFF] = {"WF001Staff",
                  "WF001Staff.csv",
                  true,
                  11,
                  {ID("StaffId"), CODE("StaffRole", M, workforce_roles),
                   CODE("AfCBand", O, workforce_bands), F("WTE", IAPT_XK_SCORE, M),
                   FI("PostStartDate", IAPT_XK_DATE, M), FI("PostEndDate", IAPT_XK_DATE, O),
                   CODE("Profession", O, workforce_professions),
                   FI("TrainingStartDate", IAPT_XK_DATE, R),
                   FI("TrainingCompletedDate", IAPT_XK_DATE, O),
                   REF("SupervisorStaffId", R, WF_STAFF), CODE("Accredited", O, s_yes_no)}},
    /* The session's SupervisorStaffId is kept as text (unchecked: who gave
     * a session plays no part in any measure) and never leaves the site. */
    [WF_SUPERVISION] = {"WF002Supervision",
                        "WF002Supervision.csv",
                        false,
                        6,
                        {ID("SupervisionId"), REF("StaffId", M, WF_STAFF),
                         FI("SupervisorStaffId", IAPT_XK_TEXT, O),
                         FI("SessionDate", IAPT_XK_DATE, M),
                         F("DurationMinutes", IAPT_XK_INTEGER, M),
                         CODE("SupervisionType", M, workforce_session_types)}},
    [WF_VACANCY] = {"WF003Vacancy",
                    "WF003Vacancy.csv",
                    false,
                    3,
                    {CODE("StaffRole", M, workforce_roles), CODE("AfCBand", O, workforce_bands),
                     F("WTE", IAPT_XK_SCORE, M)}},
};

#undef M
#undef R
#undef O
#undef ID
#undef REF
#undef F
#undef FI
#undef CODE

const char *const workforce_reasons[] = {"end-before-start", NULL};

/* What the measures need (docs/WORKFORCE-NOTES.md "The gate"). */
static const iapt_gate_need_t s_gate_needs[] = {
    {"WF001",
     {WF_STAFF},
     1,
     NULL,
     "without staff rows no workforce measure can be counted, and the month would replace the "
     "last one with an empty workforce",
     NULL},
    {"WF002",
     {WF_SUPERVISION},
     1,
     NULL,
     "without supervision sessions no one meets the weekly supervision rule (W021 would be 0)",
     NULL},
};

const iapt_extract_schema_t iapt_workforce_extract_schema = {
    .n_tables = WF_NTABLES,
    .tables = s_tables,
    .cascade = NULL, /* table order: WF001 refers to itself, WF002 to WF001 */
    .header_table = WF_HEADER,
    .header_org = WFF_HDR_ORG,
    .header_start = WFF_HDR_START,
    .header_end = WFF_HDR_END,
    .header_created = WFF_HDR_CREATED,
    .record_table = WF_STAFF,
    .record_noun = "staff member",
    .record_plural = "staff members",
    .reasons = workforce_reasons,
    .row_rule = workforce_row_rule,
    .resolved_rule = workforce_resolved_rule,
    .selected = workforce_staff_selected,
    .build_records = workforce_build_records,
    .gate_needs = s_gate_needs,
    .n_gate_needs = sizeof s_gate_needs / sizeof *s_gate_needs,
    .tools_key = NULL,
};
