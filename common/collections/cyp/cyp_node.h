/*
 * cyp_node.h - the CYP collection's node half (docs/CYP.md,
 * docs/CYP-NOTES.md "Readings the C implementation takes"): the positions of
 * its tables and fields in its schema (node/schema.h), its own reasons, its
 * rules, and its records (one Iapt__CypReferralRecord, proto/cyp.proto, per
 * referral open in the period). Shared by the files of this folder and by
 * tests that need a position.
 *
 *   cyp_tables.c   the tables, code lists (cyp_codes), gate needs, the tool
 *                  table hooks: iapt_cyp_extract_schema
 *   cyp_rules.c    the rules beyond the fields (scores against the tool
 *                  table, GoalNumber, dates across rows, the 26+ age band)
 *                  and the selection rule
 *   cyp_records.c  building the anonymised records
 *
 * The hooks read the collection's tool table (iapt_cyp_tools_t,
 * cyp_tools.h) through iapt_xctx_coll_tools: the engine refuses to read a
 * CYP extract without one. Static data and pure functions: thread-safe.
 */
#ifndef IAPT_COLLECTIONS_CYP_NODE_H
#define IAPT_COLLECTIONS_CYP_NODE_H

#include "node/schema.h"

#include <stdbool.h>

/* Tables in CYP.md order, which is also the report's order. */
enum cyp_table { CY_HEADER, CY_MPI, CY_REFERRAL, CY_CONTACT, CY_SCORE, CY_NTABLES };

/* Field positions within each table's description (and row arrays). */
enum { CF_HDR_ORG, CF_HDR_START, CF_HDR_END, CF_HDR_CREATED, CF_HDR_SECTOR };
enum { CF_MPI_ID, CF_MPI_NHS, CF_MPI_BIRTH, CF_MPI_POSTCODE, CF_MPI_GENDER, CF_MPI_ETHNIC };
enum {
    CF_REF_ID,
    CF_REF_PATIENT,
    CF_REF_COMM,
    CF_REF_RECEIVED,
    CF_REF_SOURCE,
    CF_REF_TEAM,
    CF_REF_REASON,
    CF_REF_CLOSED
};
enum { CF_CON_ID, CF_CON_REF, CF_CON_DATE, CF_CON_ATTEND, CF_CON_MECH };
enum { CF_SCO_REF, CF_SCO_DATE, CF_SCO_TOOL, CF_SCO_SCORE, CF_SCO_GOAL };

/* The collection's own reasons: IAPT_XR_COUNT + CR_* (names: cyp_reasons[]). */
enum {
    CR_AFTER_DISCHARGE = IAPT_XR_COUNT, /* a contact after ServDischDate */
    CR_AGE_26_PLUS,                     /* 26 or over at referral: outside the programme */
    CR_BEFORE_REFERRAL,                 /* a contact or score before the referral */
    CR_BIRTH_AFTER_REFERRAL,            /* age band unknown */
    CR_DISCHARGE_BEFORE_REFERRAL,       /* ServDischDate before the referral */
    CR_NOT_APPLICABLE,                  /* a GoalNumber on a symptom tool's score */
};
extern const char *const cyp_reasons[];

/* The schema (common/collections/cyp/cyp_collection.c's `.node`). */
extern const iapt_extract_schema_t iapt_cyp_extract_schema;

/* cyp_rules.c: the schema's hooks. */
int cyp_row_rule(iapt_xctx_t *x, int t, iapt_xrow_t *row, const char *const *cell,
                 const size_t *len);
int cyp_resolved_rule(iapt_xctx_t *x, int t, const iapt_xrow_t *row);
/* A referral open at some time in the period: received <= end and (no
 * valid closure or closure >= start). */
bool cyp_referral_selected(const iapt_xctx_t *x, const iapt_xrow_t *r);
/* Whether a CYP607 row that is not rejected is a usable score: its tool in
 * the table, its value in range and a goal number exactly when the tool is
 * the goal tool (what cyp_row_rule found). */
bool cyp_score_usable(const iapt_xctx_t *x, const iapt_xrow_t *row);

/* cyp_records.c: one record per selected, valid referral. */
int cyp_build_records(iapt_xctx_t *x);

#endif
