/* adult_rules.c - the adult collection's rules beyond the fields
 * (docs/EXTRACT-NOTES.md): EndCode required once discharged, scores out of
 * their tool's range, the dates that compare rows, and which referrals are
 * selected for the period. */
#include "common/collections/adult/adult_node.h"

#include "common/date.h"
#include "common/err.h"

#include <stdlib.h>

int
adult_row_rule(iapt_xctx_t *x, int t, iapt_xrow_t *row, const char *const *cell, const size_t *len)
{
    const iapt_period_t *p = iapt_xctx_period(x);
    int rc = 0;

    /* EndCode is required when the referral was discharged by the period end. */
    if (t == AD_REFERRAL && row->status[AF_REF_DISCH] == IAPT_XS_VALID &&
        row->v[AF_REF_DISCH].n <= p->end && row->status[AF_REF_END] == IAPT_XS_MISSING)
        rc = iapt_xctx_finding(x, t, AF_REF_END, row, IAPT_XR_MISSING, NULL, 0, false,
                               "required when discharged by the end of the period");

    /* A score outside its tool's range is kept (the hub drops it) but reported. */
    if ((t == AD_SCORE_REF || t == AD_SCORE_ACT) && rc == 0) {
        const iapt_tools_t *tools = iapt_xctx_tools(x);
        int ft = t == AD_SCORE_REF ? AF_S06_TOOL : AF_S07_TOOL;
        int fs = t == AD_SCORE_REF ? AF_S06_SCORE : AF_S07_SCORE;
        if (row->status[ft] == IAPT_XS_VALID && row->status[fs] == IAPT_XS_VALID) {
            int ti = iapt_tools_find(tools, (uint64_t)row->v[ft].n);
            if (ti >= 0 && !iapt_tool_in_range(&tools->tool[ti], (int32_t)row->v[fs].n)) {
                const iapt_tool_t *tool = &tools->tool[ti];
                rc = iapt_xctx_finding(x, t, fs, row, IAPT_XR_OUT_OF_RANGE, cell[fs], len[fs],
                                       false, "%s scores run from %d.%02d to %d.%02d; not used",
                                       tool->name, tool->min_x100 / 100, abs(tool->min_x100 % 100),
                                       tool->max_x100 / 100, abs(tool->max_x100 % 100));
            }
        }
    }
    return rc;
}

/* Date findings of a row that is used: impossible but non-mandatory dates. */
int
adult_resolved_rule(iapt_xctx_t *x, int t, const iapt_xrow_t *row)
{
    const iapt_extract_schema_t *sc = iapt_xctx_schema(x);
    uint32_t n;
    const iapt_xrow_t *mpi = iapt_xctx_rows(x, AD_MPI, &n);
    const iapt_xrow_t *ref = iapt_xctx_rows(x, AD_REFERRAL, &n);
    const iapt_xrow_t *referral = NULL;
    int rc = 0, f = -1;
    char date[11];

    switch (t) {
    case AD_REFERRAL: {
        const iapt_xrow_t *patient = &mpi[row->parent];
        int32_t received = (int32_t)row->v[AF_REF_RECEIVED].n;
        if (patient->v[AF_MPI_BIRTH].n > received)
            rc = iapt_xctx_finding(x, t, AF_REF_RECEIVED, row, AR_BIRTH_AFTER_REFERRAL, NULL, 0,
                                   false, "the patient (%s line %llu) was born after it",
                                   sc->tables[AD_MPI].file, (unsigned long long)patient->line);
        if (rc == 0 && row->status[AF_REF_DISCH] == IAPT_XS_VALID &&
            row->v[AF_REF_DISCH].n < received) {
            iapt_date_format((int32_t)row->v[AF_REF_DISCH].n, date);
            rc = iapt_xctx_finding(x, t, AF_REF_DISCH, row, AR_DISCHARGE_BEFORE_REFERRAL, date, 10,
                                   false, "before ReferralRequestReceivedDate");
        }
        return rc;
    }
    case AD_CONTACT:
        referral = &ref[row->parent];
        f = AF_CON_DATE;
        break;
    case AD_SCORE_REF:
        referral = &ref[row->parent];
        f = AF_S06_DATE;
        break;
    case AD_PROBLEM:
        referral = &ref[row->parent];
        f = AF_PRB_DATE;
        if (row->status[f] != IAPT_XS_VALID)
            return 0;
        break;
    default:
        return 0;
    }
    int32_t day = (int32_t)row->v[f].n;
    iapt_date_format(day, date);
    if (day < referral->v[AF_REF_RECEIVED].n)
        rc = iapt_xctx_finding(x, t, f, row, AR_BEFORE_REFERRAL, date, 10, false,
                               "before the referral's ReferralRequestReceivedDate (%s line %llu)",
                               sc->tables[AD_REFERRAL].file, (unsigned long long)referral->line);
    if (rc == 0 && t == AD_CONTACT && referral->status[AF_REF_DISCH] == IAPT_XS_VALID &&
        day > referral->v[AF_REF_DISCH].n)
        rc = iapt_xctx_finding(x, t, f, row, AR_AFTER_DISCHARGE, date, 10, false,
                               "after the referral's ServDischDate (%s line %llu)",
                               sc->tables[AD_REFERRAL].file, (unsigned long long)referral->line);
    return rc;
}

bool
adult_referral_selected(const iapt_xctx_t *x, const iapt_xrow_t *r)
{
    const iapt_period_t *p = iapt_xctx_period(x);
    if (r->ragged || r->status[AF_REF_RECEIVED] != IAPT_XS_VALID ||
        r->v[AF_REF_RECEIVED].n > p->end)
        return false;
    return r->status[AF_REF_DISCH] != IAPT_XS_VALID || r->v[AF_REF_DISCH].n >= p->start;
}
