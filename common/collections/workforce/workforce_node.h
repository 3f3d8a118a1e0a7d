/*
 * workforce_node.h - the workforce collection's node half (docs/WORKFORCE.md
 * "The extract", docs/WORKFORCE-NOTES.md "Readings the C implementation
 * takes"): the positions of its tables and fields in its schema
 * (node/schema.h), its own reason, its rules and its record building.
 * Shared by the files of this folder and by tests that need a position.
 *
 *   workforce_tables.c  the tables WF000-WF003, code lists, gate needs:
 *                       iapt_workforce_extract_schema
 *   workforce_rules.c   the rules beyond the fields (WTE and minutes in
 *                       range, PostEndDate before PostStartDate, what
 *                       trainee roles require, a supervisor in the period)
 *                       and the selection rule
 *   workforce_build.c   the schema's build_records hook: the engine's rows
 *                       into workforce_records.h's inputs, one WfRecord per
 *                       selected staff member and one per vacancy
 *
 * Static data and pure functions: thread-safe.
 */
#ifndef IAPT_COLLECTIONS_WORKFORCE_NODE_H
#define IAPT_COLLECTIONS_WORKFORCE_NODE_H

#include "node/schema.h"

#include <stdbool.h>

/* The code lists of the extract (NULL-terminated, WORKFORCE.md order). */
extern const char *const workforce_roles[];
extern const char *const workforce_bands[];
extern const char *const workforce_professions[];
extern const char *const workforce_session_types[];

/* Tables in WORKFORCE.md order, which is also the report's order. */
enum wf_table { WF_HEADER, WF_STAFF, WF_SUPERVISION, WF_VACANCY, WF_NTABLES };

/* Field positions within each table's description (and row arrays). */
enum { WFF_HDR_ORG, WFF_HDR_START, WFF_HDR_END, WFF_HDR_CREATED };
enum {
    WFF_STAFF_ID,
    WFF_STAFF_ROLE,
    WFF_STAFF_BAND,
    WFF_STAFF_WTE,
    WFF_STAFF_START,
    WFF_STAFF_END,
    WFF_STAFF_PROFESSION,
    WFF_STAFF_TRAINING_START,
    WFF_STAFF_TRAINING_DONE,
    WFF_STAFF_SUPERVISOR,
    WFF_STAFF_ACCREDITED
};
enum { WFF_SUP_ID, WFF_SUP_STAFF, WFF_SUP_SUPERVISOR, WFF_SUP_DATE, WFF_SUP_MINUTES, WFF_SUP_TYPE };
enum { WFF_VAC_ROLE, WFF_VAC_BAND, WFF_VAC_WTE };

/* The collection's own reasons: IAPT_XR_COUNT + WFR_* (names in
 * workforce_reasons[]). */
enum { WFR_END_BEFORE_START = IAPT_XR_COUNT };
extern const char *const workforce_reasons[];

/* The schema (workforce_collection.c's `.node`). */
extern const iapt_extract_schema_t iapt_workforce_extract_schema;

/* workforce_rules.c: the schema's hooks. */
int workforce_row_rule(iapt_xctx_t *x, int t, iapt_xrow_t *row, const char *const *cell,
                       const size_t *len);
int workforce_resolved_rule(iapt_xctx_t *x, int t, const iapt_xrow_t *row);
/* A WF001 row (rejected or not) of a person in post at some time in the
 * period: PostStartDate valid and <= the period end, and PostEndDate
 * missing, invalid, on or after the period start, or before PostStartDate
 * (that row is kept as written: its end date is known to be wrong). */
bool workforce_staff_selected(const iapt_xctx_t *x, const iapt_xrow_t *r);
/* Whether a trainee row's supervisor is carried in its record: a trainee
 * role, SupervisorStaffId naming a row that is not rejected and is selected
 * (so the submission carries that person's own record). */
bool workforce_supervisor_usable(const iapt_xctx_t *x, const iapt_xrow_t *row);

/* workforce_build.c: the records. */
int workforce_build_records(iapt_xctx_t *x);

#endif
