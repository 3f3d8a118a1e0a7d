/* workforce_submission.c - a workforce submission's records into cell
 * contributions (workforce_submission.h). */

#include "common/collections/workforce/workforce_submission.h"

#include "common/collections/workforce/workforce_derive.h"
#include "common/err.h"
#include "proto/workforce.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct iapt_wf_submission {
    iapt_period_t period;
    iapt_wf_supervisors_t *supervisors;
    bool closed;
};

int
iapt_wf_submission_open(const iapt_period_t *period, iapt_wf_submission_t **out)
{
    *out = NULL;
    if (!period || period->length < 28 || period->length > 31)
        return iapt_error_set(IAPT_EUSAGE, "workforce submission: not a calendar month");
    iapt_wf_submission_t *s = calloc(1, sizeof *s);
    if (!s)
        return iapt_error_set(IAPT_ENOMEM, "workforce submission");
    s->period = *period;
    int rc = iapt_wf_supervisors_new(&s->supervisors);
    if (rc) {
        free(s);
        return rc;
    }
    *out = s;
    return 0;
}

/* Prefix the current error detail with the record's index. */
static int
s_fail(int rc, size_t index)
{
    char detail[512];
    snprintf(detail, sizeof detail, "%s", iapt_error_detail());
    return iapt_error_set(rc, "record %zu: %s", index, detail);
}

int
iapt_wf_submission_record(iapt_wf_submission_t *s, const uint8_t *bytes, size_t len, size_t index,
                          iapt_wf_emit_fn emit, void *arg)
{
    if (s->closed)
        return iapt_error_set(IAPT_ESTATE, "workforce submission already closed");
    Iapt__WfRecord *rec = iapt__wf_record__unpack(NULL, len, bytes);
    if (!rec)
        return iapt_error_set(IAPT_EFORMAT, "record %zu: not a WfRecord", index);
    iapt_wf_item_t item;
    int rc = iapt_wf_derive(rec, &s->period, &item);
    iapt__wf_record__free_unpacked(rec, NULL);
    if (rc)
        return s_fail(rc, index);

    iapt_wf_contribution_t c;
    memset(&c, 0, sizeof c);
    if (item.is_staff) {
        rc = iapt_wf_supervisors_add(s->supervisors, &item.staff);
        if (rc)
            return s_fail(rc, index);
        iapt_wf_add_staff(c.counter, &item.staff);
        memcpy(c.level, item.staff.level, sizeof c.level);
    } else {
        iapt_wf_add_vacancy(c.counter, &item.vacancy);
        c.whole_only = true;
    }
    return emit(arg, &c);
}

int
iapt_wf_submission_close(iapt_wf_submission_t *s, iapt_wf_emit_fn emit, void *arg)
{
    if (s->closed)
        return iapt_error_set(IAPT_ESTATE, "workforce submission already closed");
    s->closed = true;
    iapt_wf_supervision_counts_t counts;
    int rc = iapt_wf_supervisors_finish(s->supervisors, &counts);
    if (rc)
        return rc;
    iapt_wf_contribution_t c;
    memset(&c, 0, sizeof c);
    c.whole_only = true;
    iapt_wf_add_submission(c.counter);
    iapt_wf_add_supervision(c.counter, &counts);
    return emit(arg, &c);
}

void
iapt_wf_submission_free(iapt_wf_submission_t *s)
{
    if (!s)
        return;
    iapt_wf_supervisors_free(s->supervisors);
    free(s);
}
