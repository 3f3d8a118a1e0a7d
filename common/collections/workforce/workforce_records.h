/*
 * workforce_records.h - build the anonymised, serialized workforce leaves
 * (proto/workforce.proto WfRecord) from a provider's validated WF001,
 * WF002 and WF003 rows: the node half's record building, independent of
 * how the extract engine keeps its rows (the node schema's build_records
 * hook fills these plain structs from its rows).
 *
 * What leaves the site: StaffId and SupervisorStaffId only as staff
 * pseudonyms (workforce_anonymise.h); dates only as day numbers from the
 * period start, clamped to +-IAPT_WF_DAY_LIMIT (every derived flag only
 * compares a day with the period's first and last day, so clamping changes
 * none); sessions only those dated inside the period, sorted by day;
 * coded values as the row has them (a valid code, "?" for invalid, absent
 * when missing). Nothing else of the rows is copied (no SupervisionId, no
 * session supervisor, no creation time).
 *
 * Errors: IAPT_EUSAGE (an input that breaks what the validated rows
 * guarantee: a role that is not a code, WTE out of range, a session type
 * or length out of range), IAPT_ECRYPTO (unusable key), IAPT_ENOMEM. The
 * error detail names the field.
 *
 * Ownership: inputs are borrowed for the call; the output buffer is the
 * caller's (appended to). Threads: pure functions.
 */
#ifndef IAPT_WORKFORCE_RECORDS_H
#define IAPT_WORKFORCE_RECORDS_H

#include "common/date.h"
#include "common/keys.h"
#include "common/util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One valid WF002 row of the member. Days are absolute day numbers
 * (common/date.h). */
typedef struct iapt_wf_session_in {
    int32_t day;      /* SessionDate */
    uint32_t minutes; /* DurationMinutes, 1 .. 600 */
    char type;        /* 'I', 'G' or 'C' */
} iapt_wf_session_in_t;

/* One WF001 row that is not rejected. Optional values: NULL / has_* false
 * when missing; coded values "?" when invalid. */
typedef struct iapt_wf_staff_in {
    const char *staff_id; /* StaffId as written (pseudonymised here) */
    const char *role;     /* StaffRole, a valid code */
    const char *band;     /* AfCBand */
    uint32_t wte_x100;    /* 1 .. 100 */
    int32_t post_start;   /* PostStartDate (absolute day) */
    bool has_post_end;
    int32_t post_end;
    const char *profession;
    bool has_training_start;
    int32_t training_start;
    bool has_training_completed;
    int32_t training_completed;
    const char *accredited; /* "Y", "N", "?" or NULL */
    /* SupervisorStaffId as written, only when it names a valid WF001 row of
     * the extract; NULL otherwise. */
    const char *supervisor_id;
    const iapt_wf_session_in_t *sessions; /* any order; those outside the period are left out */
    size_t n_sessions;
} iapt_wf_staff_in_t;

/* Append one serialized WfRecord (staff) to *out; id receives its record
 * id (the staff pseudonym). */
int iapt_wf_build_staff(const iapt_pseudokey_t *key, const char *org, const iapt_period_t *period,
                        const iapt_wf_staff_in_t *in, iapt_buf_t *out /* appended */,
                        uint8_t id[16] /* out */);

/* Append one serialized WfRecord (vacancy); `row` is its row number in
 * WF003 (1-based), from which its record id is made: keyed BLAKE2b-128 of
 * "iapt/vacancy/v1" 0 org 0 row (decimal). */
int iapt_wf_build_vacancy(const iapt_pseudokey_t *key, const char *org, uint64_t row,
                          const char *role, const char *band, uint32_t wte_x100,
                          iapt_buf_t *out /* appended */, uint8_t id[16] /* out */);

#endif
