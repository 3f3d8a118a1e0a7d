/* cyp_codes.c - the code lists of the CYP collection's coded fields. */

#include "common/collections/cyp/cyp_codes.h"

#include <string.h>

static const char *const s_sectors[] = {"NHS", "LA", "VCS", "YJ", NULL};
static const char *const s_genders[] = {"1", "2", "3", "4", "X", "Z", NULL};
static const char *const s_ethnic[] = {"A", "B", "C", "D", "E", "F", "G", "H",  "J", "K",
                                       "L", "M", "N", "P", "R", "S", "Z", "99", NULL};
static const char *const s_sources[] = {"01", "02", "03", "04", "05", "06", "07", "08", "99", NULL};
static const char *const s_teams[] = {"CWP", "MHST", "CAMHS", "OTH", NULL};
static const char *const s_reasons[] = {"01", "02", "03", "04", "05", "06", "99", NULL};
static const char *const s_attendances[] = {"2", "3", "4", "5", "6", "7", NULL};
static const char *const s_mechanisms[] = {"01", "02", "11", "98", NULL};

/* n excludes the terminating NULL. */
#define LIST(a) (sizeof a / sizeof *a - 1), a
static const iapt_cyp_code_list_t s_lists[IAPT_CYP_CODES_COUNT] = {
    {"CYP000Header", "OrgSector", LIST(s_sectors)},
    {"CYP001MPI", "GenderIdentity", LIST(s_genders)},
    {"CYP001MPI", "EthnicCategory", LIST(s_ethnic)},
    {"CYP101Referral", "SourceOfReferral", LIST(s_sources)},
    {"CYP101Referral", "TeamType", LIST(s_teams)},
    {"CYP101Referral", "PrimReasonReferral", LIST(s_reasons)},
    {"CYP201CareContact", "AttendOrDNACode", LIST(s_attendances)},
    {"CYP201CareContact", "ConsMechanism", LIST(s_mechanisms)},
};

const iapt_cyp_code_list_t *
iapt_cyp_codes(int which)
{
    if (which < 0 || which >= IAPT_CYP_CODES_COUNT)
        return NULL;
    return &s_lists[which];
}

int
iapt_cyp_code_index(int which, const char *code)
{
    const iapt_cyp_code_list_t *l = iapt_cyp_codes(which);
    if (!l || !code)
        return -1;
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(code, l->codes[i]) == 0)
            return (int)i;
    return -1;
}
