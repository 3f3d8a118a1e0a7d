/* workforce_rules.c - the workforce collection's rules beyond the fields
 * (docs/WORKFORCE.md "The extract", docs/WORKFORCE-NOTES.md): WTE from 0.01
 * to 1.00, DurationMinutes from 1 to 600, PostEndDate before PostStartDate,
 * TrainingStartDate and SupervisorStaffId required of trainee roles, a
 * trainee's supervisor in post in the period, and which staff rows are
 * selected for the period. */
#include "common/collections/workforce/workforce_node.h"

#include "common/collections/workforce/workforce_measures.h"
#include "common/date.h"
#include "common/err.h"

#include <string.h>

/* A mandatory value out of its range: invalid, the row rejected. */
static int
s_out_of_range(iapt_xctx_t *x, int t, int f, iapt_xrow_t *row, const char *const *cell,
               const size_t *len, const char *detail)
{
    row->status[f] = IAPT_XS_INVALID;
    row->rejected = true;
    return iapt_xctx_finding(x, t, f, row, IAPT_XR_OUT_OF_RANGE, cell[f], len[f], true, "%s",
                             detail);
}

static bool
s_trainee_row(const iapt_xrow_t *row)
{
    return row->status[WFF_STAFF_ROLE] == IAPT_XS_VALID &&
           iapt_wf_role_trainee(iapt_wf_role_find(row->v[WFF_STAFF_ROLE].s));
}

static int
s_staff_rule(iapt_xctx_t *x, iapt_xrow_t *row, const char *const *cell, const size_t *len)
{
    int rc = 0;
    if (row->status[WFF_STAFF_WTE] == IAPT_XS_VALID &&
        (row->v[WFF_STAFF_WTE].n < 1 || row->v[WFF_STAFF_WTE].n > 100))
        rc = s_out_of_range(x, WF_STAFF, WFF_STAFF_WTE, row, cell, len,
                            "a whole-time equivalent runs from 0.01 to 1.00");
    /* The row is kept as written (WORKFORCE.md). */
    if (rc == 0 && row->status[WFF_STAFF_START] == IAPT_XS_VALID &&
        row->status[WFF_STAFF_END] == IAPT_XS_VALID &&
        row->v[WFF_STAFF_END].n < row->v[WFF_STAFF_START].n)
        rc = iapt_xctx_finding(x, WF_STAFF, WFF_STAFF_END, row, WFR_END_BEFORE_START,
                               cell[WFF_STAFF_END], len[WFF_STAFF_END], false,
                               "before PostStartDate; the row is used as written");
    if (rc == 0 && s_trainee_row(row)) {
        if (row->status[WFF_STAFF_TRAINING_START] == IAPT_XS_MISSING)
            rc = iapt_xctx_finding(x, WF_STAFF, WFF_STAFF_TRAINING_START, row, IAPT_XR_MISSING,
                                   NULL, 0, false, "required for a trainee role (%s)",
                                   row->v[WFF_STAFF_ROLE].s);
        if (rc == 0 && row->status[WFF_STAFF_SUPERVISOR] == IAPT_XS_MISSING)
            rc = iapt_xctx_finding(x, WF_STAFF, WFF_STAFF_SUPERVISOR, row, IAPT_XR_MISSING, NULL, 0,
                                   false,
                                   "required for a trainee role (%s): counted as a trainee "
                                   "without a supervisor",
                                   row->v[WFF_STAFF_ROLE].s);
    }
    return rc;
}

int
workforce_row_rule(iapt_xctx_t *x, int t, iapt_xrow_t *row, const char *const *cell,
                   const size_t *len)
{
    switch (t) {
    case WF_STAFF:
        return s_staff_rule(x, row, cell, len);
    case WF_SUPERVISION:
        if (row->status[WFF_SUP_MINUTES] == IAPT_XS_VALID &&
            (row->v[WFF_SUP_MINUTES].n < 1 || row->v[WFF_SUP_MINUTES].n > 600))
            return s_out_of_range(x, t, WFF_SUP_MINUTES, row, cell, len,
                                  "a session lasts from 1 to 600 whole minutes");
        return 0;
    case WF_VACANCY:
        if (row->status[WFF_VAC_WTE] == IAPT_XS_VALID &&
            (row->v[WFF_VAC_WTE].n < 1 || row->v[WFF_VAC_WTE].n > 100))
            return s_out_of_range(x, t, WFF_VAC_WTE, row, cell, len,
                                  "a whole-time equivalent runs from 0.01 to 1.00");
        return 0;
    default:
        return 0;
    }
}

bool
workforce_staff_selected(const iapt_xctx_t *x, const iapt_xrow_t *r)
{
    const iapt_period_t *p = iapt_xctx_period(x);
    if (r->ragged || r->status[WFF_STAFF_START] != IAPT_XS_VALID ||
        r->v[WFF_STAFF_START].n > p->end)
        return false;
    if (r->status[WFF_STAFF_END] != IAPT_XS_VALID)
        return true;
    int64_t end = r->v[WFF_STAFF_END].n;
    return end >= p->start || end < r->v[WFF_STAFF_START].n;
}

/* A trainee's supervisor must be a row the submission carries: one of a
 * person in post at some time in the period. */
int
workforce_resolved_rule(iapt_xctx_t *x, int t, const iapt_xrow_t *row)
{
    if (t != WF_STAFF || !s_trainee_row(row) || !workforce_staff_selected(x, row))
        return 0;
    uint32_t n;
    const iapt_xrow_t *staff = iapt_xctx_rows(x, WF_STAFF, &n);
    const iapt_xrow_t *sup = &staff[row->parent];
    if (workforce_staff_selected(x, sup))
        return 0;
    return iapt_xctx_finding(
        x, t, WFF_STAFF_SUPERVISOR, row, IAPT_XR_ORPHAN, row->v[WFF_STAFF_SUPERVISOR].s,
        strlen(row->v[WFF_STAFF_SUPERVISOR].s), false,
        "the row it names (%s line %llu) is of no one in post in the period: "
        "counted as a trainee without a supervisor",
        iapt_xctx_schema(x)->tables[WF_STAFF].file, (unsigned long long)sup->line);
}

bool
workforce_supervisor_usable(const iapt_xctx_t *x, const iapt_xrow_t *row)
{
    if (!s_trainee_row(row) || row->status[WFF_STAFF_SUPERVISOR] != IAPT_XS_VALID ||
        row->parent == IAPT_XNONE)
        return false;
    uint32_t n;
    const iapt_xrow_t *staff = iapt_xctx_rows(x, WF_STAFF, &n);
    return row->parent < n && !staff[row->parent].rejected &&
           workforce_staff_selected(x, &staff[row->parent]);
}
