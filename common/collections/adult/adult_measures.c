/* adult_measures.c - the adult collection's catalogue of core measures,
 * its breakdowns and their levels, and its measure schema. */

#include "common/collections/adult/adult_internal.h"
#include "common/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The catalogue: kind, id, official name, then how it is computed
 * (numerator counter, denominator counter, counter subtracted from the
 * denominator, distribution; -1 where unused).
 * Order: MEASURES-NOTES "Order of measures"; names: the official TSV. */
#define MEASURE_LIST(X)                                                                            \
    X(COUNT, "M001", "Count_ReferralsReceived", IAPT_C_M001, -1, -1, -1)                           \
    X(COUNT, "M002", "Count_SelfReferrals", IAPT_C_M002, -1, -1, -1)                               \
    X(COUNT, "M003", "Count_GPReferrals", IAPT_C_M003, -1, -1, -1)                                 \
    X(COUNT, "M023", "Count_FirstAssessment", IAPT_C_M023, -1, -1, -1)                             \
    X(COUNT, "M031", "Count_AccessingServices", IAPT_C_M031, -1, -1, -1)                           \
    X(COUNT, "M036", "Count_AccessingServices6Weeks", IAPT_C_M036, -1, -1, -1)                     \
    X(COUNT, "M037", "Count_AccessingServices18Weeks", IAPT_C_M037, -1, -1, -1)                    \
    X(COUNT, "M038", "Count_WaitingForTreatment", IAPT_C_M038, -1, -1, -1)                         \
    X(COUNT, "M044", "Count_WaitingForTreatmentOver18weeks", IAPT_C_M044, -1, -1, -1)              \
    X(COUNT, "M056", "Count_EndedReferrals", IAPT_C_M056, -1, -1, -1)                              \
    X(COUNT, "M057", "Count_EndedNotSuitable", IAPT_C_M057, -1, -1, -1)                            \
    X(COUNT, "M058", "Count_EndedSignposted", IAPT_C_M058, -1, -1, -1)                             \
    X(COUNT, "M059", "Count_EndedMutualAgreement", IAPT_C_M059, -1, -1, -1)                        \
    X(COUNT, "M060", "Count_EndedReferredElsewhere", IAPT_C_M060, -1, -1, -1)                      \
    X(COUNT, "M061", "Count_EndedDeclined", IAPT_C_M061, -1, -1, -1)                               \
    X(COUNT, "M062", "Count_EndedDeceasedAssessedOnly", IAPT_C_M062, -1, -1, -1)                   \
    X(COUNT, "M063", "Count_EndedUnknownAssessedOnly", IAPT_C_M063, -1, -1, -1)                    \
    X(COUNT, "M066", "Count_EndedCompleted", IAPT_C_M066, -1, -1, -1)                              \
    X(COUNT, "M069", "Count_EndedDeceasedTreated", IAPT_C_M069, -1, -1, -1)                        \
    X(COUNT, "M070", "Count_EndedUnknownTreated", IAPT_C_M070, -1, -1, -1)                         \
    X(COUNT, "M073", "Count_EndedNotSeen", IAPT_C_M073, -1, -1, -1)                                \
    X(COUNT, "M074", "Count_EndedSeenNotTreated", IAPT_C_M074, -1, -1, -1)                         \
    X(COUNT, "M075", "Count_EndedTreatedOnce", IAPT_C_M075, -1, -1, -1)                            \
    X(COUNT, "M076", "Count_FinishedCourseTreatment", IAPT_C_M076, -1, -1, -1)                     \
    X(COUNT, "M082", "Count_Appointments", IAPT_C_M082, -1, -1, -1)                                \
    X(COUNT, "M083", "Count_ApptsCancelledPatient", IAPT_C_M083, -1, -1, -1)                       \
    X(COUNT, "M084", "Count_ApptsDNA", IAPT_C_M084, -1, -1, -1)                                    \
    X(COUNT, "M085", "Count_ApptsCancelledProvider", IAPT_C_M085, -1, -1, -1)                      \
    X(COUNT, "M086", "Count_ApptsAttended", IAPT_C_M086, -1, -1, -1)                               \
    X(COUNT, "M087", "Count_ApptsAttendedLate", IAPT_C_M087, -1, -1, -1)                           \
    X(COUNT, "M088", "Count_ApptsLateNotSeen", IAPT_C_M088, -1, -1, -1)                            \
    X(COUNT, "M110", "Count_CBTAppts", IAPT_C_M110, -1, -1, -1)                                    \
    X(COUNT, "M104", "Count_CounselDepAppts", IAPT_C_M104, -1, -1, -1)                             \
    X(COUNT, "M179", "Count_NotAtCaseness", IAPT_C_M179, -1, -1, -1)                               \
    X(COUNT, "M184", "Count_SecondTreatment", IAPT_C_M184, -1, -1, -1)                             \
    X(COUNT, "M185", "Count_ReliableImprovement", IAPT_C_M185, -1, -1, -1)                         \
    X(COUNT, "M187", "Count_NoReliableChange", IAPT_C_M187, -1, -1, -1)                            \
    X(COUNT, "M189", "Count_ReliableDeterioration", IAPT_C_M189, -1, -1, -1)                       \
    X(COUNT, "M191", "Count_Recovery", IAPT_C_M191, -1, -1, -1)                                    \
    X(COUNT, "M193", "Count_ReliableRecovery", IAPT_C_M193, -1, -1, -1)                            \
    X(COUNT, "M201", "Count_PairedPHQ", IAPT_C_M201, -1, -1, -1)                                   \
    X(COUNT, "M198", "Count_PairedADSMOrGAD", IAPT_C_M198, -1, -1, -1)                             \
    X(COUNT, "M237", "Count_OffSickPay", IAPT_C_M237, -1, -1, -1)                                  \
    X(MEAN, "M048", "Mean_WaitAccessingServices", -1, -1, -1, IAPT_D_WAIT)                         \
    X(MEDIAN, "M049", "Median_WaitAccessingServices", -1, -1, -1, IAPT_D_WAIT)                     \
    X(PERCENT, "M053", "Percentage_AccessingServices6WeeksFinishedCourseTreatment",                \
      IAPT_C_FINISHED_6W, IAPT_C_M076, -1, -1)                                                     \
    X(PERCENT, "M055", "Percentage_AccessingServices18WeeksFinishedCourseTreatment",               \
      IAPT_C_FINISHED_18W, IAPT_C_M076, -1, -1)                                                    \
    X(MEAN, "M141", "Mean_ApptsFinishedCourseTreatment", -1, -1, -1, IAPT_D_TREATMENTS)            \
    X(MEDIAN, "M142", "Median_ApptsFinishedCourseTreatment", -1, -1, -1, IAPT_D_TREATMENTS)        \
    X(PERCENT, "M180", "Percentage_NotAtCaseness", IAPT_C_M179, IAPT_C_M076, -1, -1)               \
    X(PERCENT, "M186", "Percentage_ReliableImprovement", IAPT_C_M185, IAPT_C_M076, -1, -1)         \
    X(PERCENT, "M1010", "Percentage_ReliableDeterioration", IAPT_C_M189, IAPT_C_M076, -1, -1)      \
    X(PERCENT, "M192", "Percentage_Recovery", IAPT_C_M191, IAPT_C_M076, IAPT_C_M179, -1)           \
    X(PERCENT, "M195", "Percentage_ReliableRecovery", IAPT_C_M193, IAPT_C_M076, IAPT_C_M179, -1)   \
    X(PERCENT, "M206", "Percentage_ReliableRecovery_EthnicGroupWhite",                             \
      IAPT_C_ETH_RELIABLE_RECOVERY + IAPT_ETHNIC_WHITE, IAPT_C_ETH_FINISHED + IAPT_ETHNIC_WHITE,   \
      IAPT_C_ETH_NOT_CASENESS + IAPT_ETHNIC_WHITE, -1)                                             \
    X(PERCENT, "M207", "Percentage_ReliableRecovery_EthnicGroupAsianOrAsianBritish",               \
      IAPT_C_ETH_RELIABLE_RECOVERY + IAPT_ETHNIC_ASIAN, IAPT_C_ETH_FINISHED + IAPT_ETHNIC_ASIAN,   \
      IAPT_C_ETH_NOT_CASENESS + IAPT_ETHNIC_ASIAN, -1)                                             \
    X(PERCENT, "M208", "Percentage_ReliableRecovery_EthnicGroupBlackOrBlackBritish",               \
      IAPT_C_ETH_RELIABLE_RECOVERY + IAPT_ETHNIC_BLACK, IAPT_C_ETH_FINISHED + IAPT_ETHNIC_BLACK,   \
      IAPT_C_ETH_NOT_CASENESS + IAPT_ETHNIC_BLACK, -1)                                             \
    X(PERCENT, "M209", "Percentage_ReliableRecovery_EthnicGroupMixed",                             \
      IAPT_C_ETH_RELIABLE_RECOVERY + IAPT_ETHNIC_MIXED, IAPT_C_ETH_FINISHED + IAPT_ETHNIC_MIXED,   \
      IAPT_C_ETH_NOT_CASENESS + IAPT_ETHNIC_MIXED, -1)                                             \
    X(PERCENT, "M210", "Percentage_ReliableRecovery_EthnicGroupOther",                             \
      IAPT_C_ETH_RELIABLE_RECOVERY + IAPT_ETHNIC_OTHER, IAPT_C_ETH_FINISHED + IAPT_ETHNIC_OTHER,   \
      IAPT_C_ETH_NOT_CASENESS + IAPT_ETHNIC_OTHER, -1)

#define AS_RULE(k, id, name, num, den, minus, dist)                                                \
    {{id, name, IAPT_MEASURE_##k}, num, den, minus, dist, -1, 0, {NULL, NULL},                   \
     (num) == IAPT_C_M038 || (num) == IAPT_C_M044, 0, 0},
#define AS_DEF(k, id, name, num, den, minus, dist) {id, name, IAPT_MEASURE_##k},

static const iapt_measure_rule_t s_rules[] = {MEASURE_LIST(AS_RULE)};
static const iapt_measure_def_t s_defs[] = {MEASURE_LIST(AS_DEF)};
#define N_RULES (sizeof s_rules / sizeof *s_rules)

const iapt_measure_def_t *
iapt_measure_defs(size_t *n)
{
    *n = N_RULES;
    return s_defs;
}

int
iapt_measure_find(const char *id)
{
    if (!id)
        return -1;
    for (size_t i = 0; i < N_RULES; i++)
        if (strcmp(s_rules[i].def.id, id) == 0)
            return (int)i;
    return -1;
}

/* ---------------------------------------------------------------------------
 * Breakdowns
 * ------------------------------------------------------------------------ */

static const char *const s_none_levels[] = {""};
static const char *const s_age_levels[] = {"Under 18", "18-25", "26-35", "36-45",  "46-55",
                                           "56-64",    "65-74", "75+",   "Unknown"};
static const char *const s_gender_levels[] = {"Male",      "Female",     "Non-binary", "Other",
                                              "Not known", "Not stated", "Unknown"};
static const char *const s_ethnicity_levels[] = {"White", "Mixed",      "Asian",     "Black",
                                                 "Other", "Not stated", "Not known", "Unknown"};
static const char *const s_imd_levels[] = {"1", "2", "3", "4",  "5",      "6",
                                           "7", "8", "9", "10", "Unknown"};
static const char *const s_problem_levels[] = {"Depression",
                                               "Generalised anxiety disorder",
                                               "Mixed anxiety and depressive disorder",
                                               "Panic disorder",
                                               "Agoraphobia",
                                               "Social phobia",
                                               "Specific phobias",
                                               "Obsessive compulsive disorder",
                                               "Post-traumatic stress disorder",
                                               "Health anxiety",
                                               "Eating disorders",
                                               "Other",
                                               "Unknown"};
static const char *const s_therapy_levels[] = {"Guided self-help (book)",
                                               "Non-guided self-help (book)",
                                               "Guided self-help (computer)",
                                               "Non-guided self-help (computer)",
                                               "Structured physical activity",
                                               "Psychoeducational peer support",
                                               "Other low intensity",
                                               "Applied relaxation",
                                               "Couples therapy for depression",
                                               "Collaborative care",
                                               "Counselling for depression",
                                               "Brief psychodynamic psychotherapy",
                                               "EMDR",
                                               "Mindfulness",
                                               "Other high intensity",
                                               "Cognitive behaviour therapy",
                                               "Interpersonal psychotherapy",
                                               "Employment support",
                                               "None"};
/* EXTRACT.md's SourceOfReferralIAPT list, sorted by code. */
static const char *const s_source_levels[] = {
    "A1", "A2", "A3", "A4", "B1", "B2", "C1", "C2", "C3", "D1", "D2", "E1", "E2", "E3",
    "E4", "E5", "E6", "F1", "F2", "F3", "G1", "G2", "G3", "G4", "H1", "H2", "I1", "I2",
    "M1", "M2", "M3", "M4", "M5", "M6", "M7", "M8", "N1", "N2", "N4", "P1", "Q1", "Unknown"};
static const char *const s_ltc_levels[] = {"Yes", "No"};

#define LEVELS(a) (sizeof a / sizeof *a), a
static const iapt_breakdown_def_t s_breakdowns[IAPT_BREAKDOWN_COUNT] = {
    {"none", "", LEVELS(s_none_levels)},
    {"age", "Age band at referral", LEVELS(s_age_levels)},
    {"gender", "Gender identity", LEVELS(s_gender_levels)},
    {"ethnicity", "Ethnic group", LEVELS(s_ethnicity_levels)},
    {"imd", "IMD decile", LEVELS(s_imd_levels)},
    {"problem", "Primary problem descriptor", LEVELS(s_problem_levels)},
    {"therapy", "Main therapy type", LEVELS(s_therapy_levels)},
    {"source", "Referral source", LEVELS(s_source_levels)},
    {"ltc", "Long-term condition", LEVELS(s_ltc_levels)},
};

_Static_assert(sizeof s_source_levels / sizeof *s_source_levels == IAPT_ADULT_BREAKDOWN_LEVELS_MAX,
               "the source breakdown has the most levels");
_Static_assert(sizeof s_therapy_levels / sizeof *s_therapy_levels == IAPT_THERAPY_NAMES + 1,
               "therapy names and None");

const iapt_breakdown_def_t *
iapt_breakdown_def(int id)
{
    if (id < 0 || id >= IAPT_BREAKDOWN_COUNT)
        return NULL;
    return &s_breakdowns[id];
}

int
iapt_breakdown_find(const char *key)
{
    if (!key)
        return -1;
    for (int i = 0; i < IAPT_BREAKDOWN_COUNT; i++)
        if (strcmp(s_breakdowns[i].key, key) == 0)
            return i;
    return -1;
}

/* Index of `code` in `list` (n entries), or `missing` when absent. */
static int
s_index(const char *code, const char *const *list, int n, int missing)
{
    if (!code)
        return missing;
    for (int i = 0; i < n; i++)
        if (strcmp(code, list[i]) == 0)
            return i;
    return missing;
}

int
iapt_level_gender(const char *code)
{
    static const char *const codes[] = {"1", "2", "3", "4", "X", "Z"};
    return s_index(code, codes, 6, 6);
}

int
iapt_level_ethnicity(const char *code)
{
    /* Level order: White, Mixed, Asian, Black, Other, Not stated, Not known. */
    static const struct {
        const char *code;
        int level;
    } map[] = {{"A", 0}, {"B", 0}, {"C", 0}, {"D", 1}, {"E", 1}, {"F", 1},
               {"G", 1}, {"H", 2}, {"J", 2}, {"K", 2}, {"L", 2}, {"M", 3},
               {"N", 3}, {"P", 3}, {"R", 4}, {"S", 4}, {"Z", 5}, {"99", 6}};
    if (code)
        for (size_t i = 0; i < sizeof map / sizeof *map; i++)
            if (strcmp(code, map[i].code) == 0)
                return map[i].level;
    return 7;
}

int
iapt_level_problem(const char *primary_code)
{
    static const struct {
        const char *prefix;
        int level;
    } map[] = {{"F32", 0},  {"F33", 0},  {"F411", 1}, {"F412", 2}, {"F410", 3}, {"F400", 4},
               {"F401", 5}, {"F402", 6}, {"F42", 7},  {"F431", 8}, {"F452", 9}, {"F50", 10}};
    if (!primary_code || !*primary_code)
        return 12;
    int best = 11;
    size_t best_len = 0;
    for (size_t i = 0; i < sizeof map / sizeof *map; i++) {
        size_t n = strlen(map[i].prefix);
        if (n > best_len && strncmp(primary_code, map[i].prefix, n) == 0) {
            best = map[i].level;
            best_len = n;
        }
    }
    return best;
}

int
iapt_level_source(const char *code)
{
    int n = (int)(sizeof s_source_levels / sizeof *s_source_levels) - 1;
    return s_index(code, s_source_levels, n, n);
}

int
iapt_therapy_index(uint64_t code)
{
    /* MEASURES.md "Therapy types", indexed like s_therapy_levels. */
    static const struct {
        uint64_t code;
        int index;
    } map[] = {
        {748051000000105ULL, 0},   {748101000000105ULL, 1},  {748041000000107ULL, 2},
        {748091000000102ULL, 3},   {748061000000108ULL, 4},  {702545008ULL, 5},
        {1026111000000108ULL, 6},  {1127281000000100ULL, 7}, {1129471000000105ULL, 8},
        {842901000000108ULL, 9},   {286711000000107ULL, 10}, {314034001ULL, 11},
        {449030000ULL, 12},        {933221000000107ULL, 13}, {1026131000000100ULL, 14},
        {304891004ULL, 15},        {228557008ULL, 15},       {443730003ULL, 16},
        {1098051000000103ULL, 17},
    };
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
        if (map[i].code == code)
            return map[i].index;
    return -1;
}

/* ---------------------------------------------------------------------------
 * The schema
 * ------------------------------------------------------------------------ */

/* The bound of every counter (filled once: appointments by M082, the rest
 * by the referrals). */
static int s_bound[IAPT_C_COUNT];

static void __attribute__((constructor)) s_bound_init(void)
{
    for (int i = 0; i < IAPT_C_COUNT; i++) {
        bool appt = (i >= IAPT_C_M082 && i <= IAPT_C_M088) || i == IAPT_C_M110 || i == IAPT_C_M104;
        s_bound[i] = appt ? IAPT_C_M082 : IAPT_C_REFERRALS;
    }
}

/* Names of the counters: a measure's own counter is named by the measure
 * (another collection's join names "M082", "M031"); the rest by what they
 * count. */
static const char *const s_counter_names[IAPT_C_COUNT] = {
    [IAPT_C_REFERRALS] = "referrals",
    [IAPT_C_M001] = "M001",
    [IAPT_C_M002] = "M002",
    [IAPT_C_M003] = "M003",
    [IAPT_C_M023] = "M023",
    [IAPT_C_M031] = "M031",
    [IAPT_C_M036] = "M036",
    [IAPT_C_M037] = "M037",
    [IAPT_C_M038] = "M038",
    [IAPT_C_M044] = "M044",
    [IAPT_C_M056] = "M056",
    [IAPT_C_M057] = "M057",
    [IAPT_C_M058] = "M058",
    [IAPT_C_M059] = "M059",
    [IAPT_C_M060] = "M060",
    [IAPT_C_M061] = "M061",
    [IAPT_C_M062] = "M062",
    [IAPT_C_M063] = "M063",
    [IAPT_C_M066] = "M066",
    [IAPT_C_M069] = "M069",
    [IAPT_C_M070] = "M070",
    [IAPT_C_M073] = "M073",
    [IAPT_C_M074] = "M074",
    [IAPT_C_M075] = "M075",
    [IAPT_C_M076] = "M076",
    [IAPT_C_M082] = "M082",
    [IAPT_C_M083] = "M083",
    [IAPT_C_M084] = "M084",
    [IAPT_C_M085] = "M085",
    [IAPT_C_M086] = "M086",
    [IAPT_C_M087] = "M087",
    [IAPT_C_M088] = "M088",
    [IAPT_C_M110] = "M110",
    [IAPT_C_M104] = "M104",
    [IAPT_C_M179] = "M179",
    [IAPT_C_M184] = "M184",
    [IAPT_C_M185] = "M185",
    [IAPT_C_M187] = "M187",
    [IAPT_C_M189] = "M189",
    [IAPT_C_M191] = "M191",
    [IAPT_C_M193] = "M193",
    [IAPT_C_M201] = "M201",
    [IAPT_C_M198] = "M198",
    [IAPT_C_M237] = "M237",
    [IAPT_C_FINISHED_6W] = "finished_6w",
    [IAPT_C_FINISHED_18W] = "finished_18w",
    [IAPT_C_OFF_SSP_OR_BENEFITS] = "off_ssp_or_benefits",
    [IAPT_C_ETH_FINISHED + 0] = "eth_finished_0",
    [IAPT_C_ETH_FINISHED + 1] = "eth_finished_1",
    [IAPT_C_ETH_FINISHED + 2] = "eth_finished_2",
    [IAPT_C_ETH_FINISHED + 3] = "eth_finished_3",
    [IAPT_C_ETH_FINISHED + 4] = "eth_finished_4",
    [IAPT_C_ETH_NOT_CASENESS + 0] = "eth_not_caseness_0",
    [IAPT_C_ETH_NOT_CASENESS + 1] = "eth_not_caseness_1",
    [IAPT_C_ETH_NOT_CASENESS + 2] = "eth_not_caseness_2",
    [IAPT_C_ETH_NOT_CASENESS + 3] = "eth_not_caseness_3",
    [IAPT_C_ETH_NOT_CASENESS + 4] = "eth_not_caseness_4",
    [IAPT_C_ETH_RELIABLE_RECOVERY + 0] = "eth_reliable_recovery_0",
    [IAPT_C_ETH_RELIABLE_RECOVERY + 1] = "eth_reliable_recovery_1",
    [IAPT_C_ETH_RELIABLE_RECOVERY + 2] = "eth_reliable_recovery_2",
    [IAPT_C_ETH_RELIABLE_RECOVERY + 3] = "eth_reliable_recovery_3",
    [IAPT_C_ETH_RELIABLE_RECOVERY + 4] = "eth_reliable_recovery_4",
};

/* The counter each distribution's total must equal. */
static const int s_dist_total[IAPT_D_COUNT] = {IAPT_C_M031, IAPT_C_M076};

static const char *const s_headline[] = {"M001", "M031", "M076", "M192", "M186", "M053", "M055"};

static int
s_tools_load(const char *path, void **out)
{
    iapt_tools_t *t = malloc(sizeof *t);
    if (!t)
        return iapt_error_set(IAPT_ENOMEM, "tools: out of memory");
    int rc = 0;
    if (path && *path)
        rc = iapt_tools_load(path, t);
    else
        iapt_tools_default(t);
    if (rc < 0) {
        free(t);
        return rc;
    }
    *out = t;
    return 0;
}

static void
s_tools_free(void *config)
{
    free(config);
}

const iapt_measure_schema_t iapt_adult_measure_schema = {
    .n_counters = IAPT_C_COUNT,
    .counter_names = s_counter_names,
    .appear = IAPT_C_REFERRALS,
    .counter_bound = s_bound,
    .n_dists = IAPT_D_COUNT,
    .dist_total = s_dist_total,
    .n_measures = N_RULES,
    .measures = s_rules,
    .n_breakdowns = IAPT_BREAKDOWN_COUNT,
    .breakdowns = s_breakdowns,
    .group_types = IAPT_GROUP_ALL,
    .placement = IAPT_PLACE_RECORD,
    .derive = {.open = iapt_adult_derive_open,
               .record = iapt_adult_derive_record,
               .close = NULL,
               .free = iapt_adult_derive_free},
    .config = {.key = "tools",
               .default_file = NULL,
               .load = s_tools_load,
               .free = s_tools_free,
               .sha256 = NULL},
    .n_headline = sizeof s_headline / sizeof *s_headline,
    .headline = s_headline,
    .view_months = 12,
    .view_needs_targets = true,
    .view = iapt_adult_targets_view,
    .view_title = "targets",
};
