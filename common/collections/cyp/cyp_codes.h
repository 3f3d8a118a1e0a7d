/*
 * cyp_codes.h - the code lists of the CYP collection's coded fields
 * (docs/CYP.md "The extract"), in one place for the node's validation, the
 * record checks of the derivation and the breakdown levels.
 *
 * A code's position in its list is its breakdown level where the field has
 * a breakdown (team type, primary reason, referral source, provider sector,
 * gender identity); the level after the last code is Unknown. Codes are
 * compared exactly (the node trims them first).
 *
 * Static, immutable data: thread-safe, nothing to free.
 */
#ifndef IAPT_CYP_CODES_H
#define IAPT_CYP_CODES_H

#include <stddef.h>

enum iapt_cyp_coded {
    IAPT_CYP_CODES_SECTOR = 0,     /* CYP000Header.OrgSector: NHS LA VCS YJ */
    IAPT_CYP_CODES_GENDER = 1,     /* CYP001MPI.GenderIdentity: 1 2 3 4 X Z */
    IAPT_CYP_CODES_ETHNIC = 2,     /* CYP001MPI.EthnicCategory: A .. S, Z, 99 */
    IAPT_CYP_CODES_SOURCE = 3,     /* CYP101Referral.SourceOfReferral: 01 .. 08, 99 */
    IAPT_CYP_CODES_TEAM = 4,       /* CYP101Referral.TeamType: CWP MHST CAMHS OTH */
    IAPT_CYP_CODES_REASON = 5,     /* CYP101Referral.PrimReasonReferral: 01 .. 06, 99 */
    IAPT_CYP_CODES_ATTENDANCE = 6, /* CYP201CareContact.AttendOrDNACode: 2 .. 7 */
    IAPT_CYP_CODES_MECHANISM = 7,  /* CYP201CareContact.ConsMechanism: 01 02 11 98 */
};
#define IAPT_CYP_CODES_COUNT 8

typedef struct iapt_cyp_code_list {
    const char *table;        /* "CYP101Referral" */
    const char *field;        /* "TeamType" */
    size_t n;                 /* codes in the list */
    const char *const *codes; /* codes[0 .. n), and codes[n] is NULL (for
                               * tables that want a NULL-terminated list) */
} iapt_cyp_code_list_t;

/* The list of `which`, or NULL for a value outside the enum. */
const iapt_cyp_code_list_t *iapt_cyp_codes(int which);

/* Position of `code` in the list of `which`, or -1 (NULL, "?" and any
 * unlisted text are -1). */
int iapt_cyp_code_index(int which, const char *code);

#endif
