/* cyp_rules.c - the CYP collection's rules beyond the fields (docs/CYP.md,
 * docs/CYP-NOTES.md "Readings the C implementation takes"): scores against
 * the tool table and their GoalNumber, days too far from the period for a
 * record, the dates that compare rows, the 26+ age band, and which
 * referrals are selected for the period. */
#include "common/collections/cyp/cyp_derive.h"
#include "common/collections/cyp/cyp_node.h"
#include "common/collections/cyp/cyp_tools.h"

#include "common/date.h"
#include "common/err.h"
#include "node/anonymise.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The cell as a NUL-terminated string in buf (cut to size - 1 bytes: every
 * use below judges a longer text invalid anyway). */
static const char *
s_cell(const char *cell, size_t len, char *buf, size_t size)
{
    if (!cell)
        return NULL;
    if (len >= size)
        len = size - 1;
    memcpy(buf, cell, len);
    buf[len] = 0;
    return buf;
}

/* "12.5", "-3", "0.05" from hundredths. */
static void
s_x100(int32_t v, char out[16])
{
    int64_t a = v < 0 ? -(int64_t)v : v;
    if (a % 100)
        snprintf(out, 16, "%s%lld.%02lld", v < 0 ? "-" : "", (long long)(a / 100),
                 (long long)(a % 100));
    else
        snprintf(out, 16, "%s%lld", v < 0 ? "-" : "", (long long)(a / 100));
}

/* A score row against the tool table: at most one finding, the first of
 * tool, range, goal number (iapt_cyp_tools_check_score's order), which marks
 * the field concerned invalid so that the builder leaves the score out. */
static int
s_score_rule(iapt_xctx_t *x, iapt_xrow_t *row, const char *const *cell, const size_t *len)
{
    const iapt_cyp_tools_t *tools = iapt_xctx_coll_tools(x);
    char code[64], score[64], goal[8], lo[16], hi[16];
    iapt_cyp_score_row_t judged;
    int f = -1, reason = 0;

    /* A missing tool or a value that is not a number is the engine's
     * finding (the row is rejected): nothing more to judge. */
    if (row->status[CF_SCO_TOOL] != IAPT_XS_VALID || row->status[CF_SCO_SCORE] != IAPT_XS_VALID)
        return 0;
    enum iapt_cyp_score_verdict v = iapt_cyp_tools_check_score(
        tools, s_cell(cell[CF_SCO_TOOL], len[CF_SCO_TOOL], code, sizeof code),
        s_cell(cell[CF_SCO_SCORE], len[CF_SCO_SCORE], score, sizeof score),
        s_cell(cell[CF_SCO_GOAL], len[CF_SCO_GOAL], goal, sizeof goal), &judged);
    switch (v) {
    case IAPT_CYP_SCORE_OK:
    case IAPT_CYP_SCORE_BAD_VALUE: /* the engine's bad-number already */
        return 0;
    case IAPT_CYP_SCORE_UNKNOWN_TOOL:
        row->status[CF_SCO_TOOL] = IAPT_XS_INVALID;
        return iapt_xctx_finding(x, CY_SCORE, CF_SCO_TOOL, row, IAPT_XR_UNKNOWN_CODE,
                                 cell[CF_SCO_TOOL], len[CF_SCO_TOOL], false, "%s",
                                 iapt_cyp_score_verdict_text(v));
    case IAPT_CYP_SCORE_OUT_OF_RANGE: {
        const iapt_cyp_tool_t *t = &tools->tool[judged.tool];
        row->status[CF_SCO_SCORE] = IAPT_XS_INVALID;
        s_x100(t->min_x100, lo);
        s_x100(t->max_x100, hi);
        return iapt_xctx_finding(x, CY_SCORE, CF_SCO_SCORE, row, IAPT_XR_OUT_OF_RANGE,
                                 cell[CF_SCO_SCORE], len[CF_SCO_SCORE], false,
                                 "%s scores run from %s to %s; score ignored", t->code, lo, hi);
    }
    case IAPT_CYP_SCORE_GOAL_MISSING:
        f = CF_SCO_GOAL;
        if (row->status[f] == IAPT_XS_MISSING) {
            reason = IAPT_XR_MISSING;
        } else {
            reason = IAPT_XR_UNKNOWN_CODE;
            row->status[f] = IAPT_XS_INVALID;
        }
        break;
    case IAPT_CYP_SCORE_GOAL_ON_SYMPTOM:
        f = CF_SCO_GOAL;
        reason = CR_NOT_APPLICABLE;
        row->status[f] = IAPT_XS_INVALID;
        break;
    }
    return iapt_xctx_finding(x, CY_SCORE, f, row, reason, cell[f], cell[f] ? len[f] : 0, false,
                             "%s", iapt_cyp_score_verdict_text(v));
}

int
cyp_row_rule(iapt_xctx_t *x, int t, iapt_xrow_t *row, const char *const *cell, const size_t *len)
{
    const iapt_period_t *p = iapt_xctx_period(x);
    int f = t == CY_REFERRAL  ? CF_REF_RECEIVED
            : t == CY_CONTACT ? CF_CON_DATE
            : t == CY_SCORE   ? CF_SCO_DATE
                              : -1;
    int rc = 0;

    /* A record holds days within IAPT_CYP_DAY_LIMIT of the period start
     * (cyp.proto; the hub refuses a record beyond it): a date further back
     * than that is no date of this programme, and rejects its row. (Dates
     * after the period end are left out of the record or make the referral
     * unselected; those after the export are the engine's future-date.) */
    if (f >= 0 && row->status[f] == IAPT_XS_VALID && row->v[f].n < p->start - IAPT_CYP_DAY_LIMIT) {
        row->rejected = true;
        rc = iapt_xctx_finding(x, t, f, row, IAPT_XR_OUT_OF_RANGE, cell[f], len[f], true,
                               "more than %d days before the period", IAPT_CYP_DAY_LIMIT);
    }
    if (rc == 0 && t == CY_SCORE)
        rc = s_score_rule(x, row, cell, len);
    return rc;
}

bool
cyp_score_usable(const iapt_xctx_t *x, const iapt_xrow_t *row)
{
    const iapt_cyp_tools_t *tools = iapt_xctx_coll_tools(x);
    if (row->rejected || row->status[CF_SCO_TOOL] != IAPT_XS_VALID ||
        row->status[CF_SCO_SCORE] != IAPT_XS_VALID || row->status[CF_SCO_GOAL] == IAPT_XS_INVALID)
        return false;
    int ti = iapt_cyp_tools_find(tools, row->v[CF_SCO_TOOL].s);
    if (ti < 0)
        return false;
    /* A goal tool's row needs its goal number (s_score_rule judged it);
     * a symptom row with one was marked invalid. */
    return tools->tool[ti].kind != IAPT_CYP_TOOL_GOAL || row->status[CF_SCO_GOAL] == IAPT_XS_VALID;
}

bool
cyp_referral_selected(const iapt_xctx_t *x, const iapt_xrow_t *r)
{
    const iapt_period_t *p = iapt_xctx_period(x);
    if (r->ragged || r->status[CF_REF_RECEIVED] != IAPT_XS_VALID ||
        r->v[CF_REF_RECEIVED].n > p->end)
        return false;
    return r->status[CF_REF_CLOSED] != IAPT_XS_VALID || r->v[CF_REF_CLOSED].n >= p->start;
}

/* The referral's own date findings: birth after it, 26 or over at it (for
 * a referral of the month only: the age band is the record's), a closure
 * before it. */
static int
s_referral_dates(iapt_xctx_t *x, const iapt_xrow_t *row)
{
    const iapt_extract_schema_t *sc = iapt_xctx_schema(x);
    uint32_t n;
    const iapt_xrow_t *patient = &iapt_xctx_rows(x, CY_MPI, &n)[row->parent];
    int32_t received = (int32_t)row->v[CF_REF_RECEIVED].n;
    int32_t birth = (int32_t)patient->v[CF_MPI_BIRTH].n;
    char date[11];
    int rc = 0;
    if (birth > received) {
        rc = iapt_xctx_finding(x, CY_REFERRAL, CF_REF_RECEIVED, row, CR_BIRTH_AFTER_REFERRAL, NULL,
                               0, false, "the person (%s line %llu) was born after it: age unknown",
                               sc->tables[CY_MPI].file, (unsigned long long)patient->line);
    } else if (cyp_referral_selected(x, row) &&
               iapt_cyp_age_band(birth, received) == IAPT__CYP_AGE_BAND__CYP_AGE_26_PLUS) {
        rc = iapt_xctx_finding(x, CY_REFERRAL, CF_REF_RECEIVED, row, CR_AGE_26_PLUS, NULL, 0, false,
                               "the person (%s line %llu) was %d on this day: outside the "
                               "programme's 0-25, counted in the 26+ age band",
                               sc->tables[CY_MPI].file, (unsigned long long)patient->line,
                               iapt_age_years(birth, received));
    }
    if (rc == 0 && row->status[CF_REF_CLOSED] == IAPT_XS_VALID &&
        row->v[CF_REF_CLOSED].n < received) {
        iapt_date_format((int32_t)row->v[CF_REF_CLOSED].n, date);
        rc = iapt_xctx_finding(x, CY_REFERRAL, CF_REF_CLOSED, row, CR_DISCHARGE_BEFORE_REFERRAL,
                               date, 10, false, "before ReferralRequestReceivedDate");
    }
    return rc;
}

/* Date findings of a row that is used: impossible but non-mandatory dates,
 * used as written (a contact before the referral makes a negative wait). */
int
cyp_resolved_rule(iapt_xctx_t *x, int t, const iapt_xrow_t *row)
{
    const iapt_extract_schema_t *sc = iapt_xctx_schema(x);
    uint32_t n;
    const iapt_xrow_t *referral;
    int f, rc = 0;
    char date[11];

    switch (t) {
    case CY_REFERRAL:
        return s_referral_dates(x, row);
    case CY_CONTACT:
        f = CF_CON_DATE;
        break;
    case CY_SCORE:
        f = CF_SCO_DATE;
        break;
    default:
        return 0;
    }
    referral = &iapt_xctx_rows(x, CY_REFERRAL, &n)[row->parent];
    int32_t day = (int32_t)row->v[f].n;
    iapt_date_format(day, date);
    if (day < referral->v[CF_REF_RECEIVED].n)
        rc = iapt_xctx_finding(x, t, f, row, CR_BEFORE_REFERRAL, date, 10, false,
                               t == CY_CONTACT
                                   ? "before the referral's ReferralRequestReceivedDate (%s line "
                                     "%llu); used as written"
                                   : "before the referral's ReferralRequestReceivedDate (%s line "
                                     "%llu); outside every series",
                               sc->tables[CY_REFERRAL].file, (unsigned long long)referral->line);
    if (rc == 0 && t == CY_CONTACT && referral->status[CF_REF_CLOSED] == IAPT_XS_VALID &&
        day > referral->v[CF_REF_CLOSED].n)
        rc = iapt_xctx_finding(x, t, f, row, CR_AFTER_DISCHARGE, date, 10, false,
                               "after the referral's ServDischDate (%s line %llu); used as written",
                               sc->tables[CY_REFERRAL].file, (unsigned long long)referral->line);
    return rc;
}
