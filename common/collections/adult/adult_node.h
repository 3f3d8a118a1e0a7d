/*
 * adult_node.h - the adult collection's node half (docs/EXTRACT.md,
 * docs/EXTRACT-NOTES.md): the positions of its tables and fields in its
 * schema (node/schema.h), its rules, and its records (one
 * Iapt__PathwayRecord per referral open in the period). Shared by the
 * files of this folder, and by tests that need a position or the age band.
 *
 *   adult_tables.c   the tables, code lists, gate needs: iapt_adult_extract_schema
 *   adult_rules.c    the rules beyond the fields (EndCode, out-of-range,
 *                    dates across rows) and the selection rule
 *   adult_records.c  building the anonymised records, the age band
 *
 * Static data and pure functions: thread-safe.
 */
#ifndef IAPT_COLLECTIONS_ADULT_NODE_H
#define IAPT_COLLECTIONS_ADULT_NODE_H

#include "node/schema.h"
#include "proto/adult.pb-c.h"

#include <stdbool.h>
#include <stdint.h>

/* Tables in EXTRACT.md order, which is also the report's order. */
enum ad_table {
    AD_HEADER,
    AD_MPI,
    AD_REFERRAL,
    AD_CONTACT,
    AD_ACTIVITY,
    AD_PROBLEM,
    AD_SCORE_REF,
    AD_SCORE_ACT,
    AD_EMPLOY,
    AD_LTC,
    AD_NTABLES
};

/* Field positions within each table's description (and row arrays). */
enum { AF_HDR_ORG, AF_HDR_START, AF_HDR_END, AF_HDR_CREATED, AF_HDR_SYSTEM };
enum { AF_MPI_ID, AF_MPI_NHS, AF_MPI_BIRTH, AF_MPI_POSTCODE, AF_MPI_GENDER, AF_MPI_ETHNIC };
enum {
    AF_REF_ID,
    AF_REF_PATIENT,
    AF_REF_COMM,
    AF_REF_RECEIVED,
    AF_REF_SOURCE,
    AF_REF_DISCH,
    AF_REF_END
};
enum { AF_CON_ID, AF_CON_REF, AF_CON_DATE, AF_CON_APPTYPE, AF_CON_ATTEND, AF_CON_MECH };
enum { AF_ACT_ID, AF_ACT_CONTACT, AF_ACT_CODE };
enum { AF_PRB_REF, AF_PRB_CODE, AF_PRB_SIG, AF_PRB_DATE };
enum { AF_S06_REF, AF_S06_TOOL, AF_S06_SCORE, AF_S06_DATE };
enum { AF_S07_ACT, AF_S07_TOOL, AF_S07_SCORE };
enum { AF_EMP_PATIENT, AF_EMP_DATE, AF_EMP_STATUS, AF_EMP_SSP, AF_EMP_BEN };
enum { AF_LTC_PATIENT, AF_LTC_CODE };

/* The adult collection's own reasons: IAPT_XR_COUNT + AR_* (the names are
 * adult_reasons[]). */
enum {
    AR_AFTER_DISCHARGE = IAPT_XR_COUNT,
    AR_BEFORE_REFERRAL,
    AR_BIRTH_AFTER_REFERRAL,
    AR_DISCHARGE_BEFORE_REFERRAL
};
extern const char *const adult_reasons[];

/* The schema (common/collections/adult/adult_collection.c's `.node`). */
extern const iapt_extract_schema_t iapt_adult_extract_schema;

/* adult_rules.c: the schema's hooks. */
int adult_row_rule(iapt_xctx_t *x, int t, iapt_xrow_t *row, const char *const *cell,
                   const size_t *len);
int adult_resolved_rule(iapt_xctx_t *x, int t, const iapt_xrow_t *row);
/* A referral open at some time in the period: received <= end and (no
 * valid discharge or discharge >= start). */
bool adult_referral_selected(const iapt_xctx_t *x, const iapt_xrow_t *r);

/* adult_records.c: one record per selected, valid referral. */
int adult_build_records(iapt_xctx_t *x);

/* Age band from completed years between two day numbers (birthdays on
 * 29 February are reached on 1 March in other years); a referral before the
 * birth gives IAPT__AGE_BAND__AGE_UNKNOWN. */
Iapt__AgeBand iapt_age_band(int32_t birth_day, int32_t referral_day);

#endif
