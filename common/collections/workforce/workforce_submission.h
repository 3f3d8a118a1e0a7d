/*
 * workforce_submission.h - one workforce submission's serialized records
 * -> the contributions they make to cells: the shape of the engine's
 * derivation hooks (open -> record ... -> close -> free), for the
 * workforce collection, with nothing of the engine in it.
 *
 * Each record is one leaf of the submission (a serialized WfRecord,
 * untrusted bytes): decoded, every promise of proto/workforce.proto
 * checked, derived (workforce_derive.h) and emitted as one contribution:
 *   - a staff member: its counter increments (iapt_wf_add_staff) at its
 *     level in every breakdown (role, band, profession);
 *   - a vacancy: its increments for the whole group only (vacancies are
 *     not split by breakdown: docs/WORKFORCE-NOTES.md).
 * At close, one more contribution for the whole group only: the
 * submission itself (so its group appears even without staff) and the
 * supervisor accounting of the whole submission (W030-W033).
 *
 * Leaves may come in any order (the node sorts them by record id).
 *
 * Errors: IAPT_EFORMAT with the detail "record N: FIELD: reason" (N the
 * leaf's index), IAPT_ENOMEM, IAPT_ELIMIT, IAPT_ESTATE (used after close),
 * or the emit function's own negative code, returned at once.
 *
 * Ownership: the state belongs to its opener until
 * iapt_wf_submission_free. Contributions passed to emit are valid only
 * during the call. Threads: one state, one thread.
 */
#ifndef IAPT_WORKFORCE_SUBMISSION_H
#define IAPT_WORKFORCE_SUBMISSION_H

#include "common/collections/workforce/workforce_measures.h"
#include "common/date.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct iapt_wf_contribution {
    /* true: add to the whole group's cell (breakdown NONE) only; false:
     * also to level[b] of every breakdown b. */
    bool whole_only;
    int level[IAPT_WF_BREAKDOWN_COUNT]; /* level[IAPT_WF_BREAKDOWN_NONE] = 0 */
    uint64_t counter[IAPT_WF_C_COUNT];  /* increments */
} iapt_wf_contribution_t;

/* 0, or a negative IAPT_E* code the submission returns at once. */
typedef int (*iapt_wf_emit_fn)(void *arg, const iapt_wf_contribution_t *c);

typedef struct iapt_wf_submission iapt_wf_submission_t;

/* A new state for a submission of `period` (copied). 0, IAPT_EUSAGE (not
 * a calendar month) or IAPT_ENOMEM. */
int iapt_wf_submission_open(const iapt_period_t *period, iapt_wf_submission_t **out /* out */);

/* One serialized WfRecord, `index` its position (for messages). */
int iapt_wf_submission_record(iapt_wf_submission_t *s, const uint8_t *bytes, size_t len,
                              size_t index, iapt_wf_emit_fn emit, void *arg);

/* After the last record: emits the supervisor accounting. Once only. */
int iapt_wf_submission_close(iapt_wf_submission_t *s, iapt_wf_emit_fn emit, void *arg);

/* NULL is a no-op. */
void iapt_wf_submission_free(iapt_wf_submission_t *s);

#endif
