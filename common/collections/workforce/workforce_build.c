/* workforce_build.c - the workforce schema's build_records hook: every
 * selected WF001 row that is not rejected becomes one staff WfRecord with
 * its valid WF002 sessions, every WF003 row that is not rejected one
 * vacancy WfRecord (workforce_records.h pseudonymises and serializes). */
#include "common/collections/workforce/workforce_node.h"

#include "common/collections/workforce/workforce_derive.h"
#include "common/collections/workforce/workforce_records.h"
#include "common/err.h"
#include "common/util.h"

#include <stdlib.h>
#include <string.h>

/* An optional coded value: the code, "?" when invalid (the engine keeps
 * "?"), NULL when missing. */
static const char *
s_code(const iapt_xrow_t *r, int f)
{
    return r->status[f] == IAPT_XS_MISSING ? NULL : r->v[f].s;
}

static bool
s_day(const iapt_xrow_t *r, int f, int32_t *day)
{
    if (r->status[f] != IAPT_XS_VALID)
        return false;
    *day = (int32_t)r->v[f].n;
    return true;
}

static int
s_add(iapt_xctx_t *x, iapt_buf_t *buf, const uint8_t id[16])
{
    int rc = iapt_xctx_record_add(x, id, buf->data, buf->len);
    buf->len = 0;
    return rc;
}

int
workforce_build_records(iapt_xctx_t *x)
{
    const iapt_period_t *p = iapt_xctx_period(x);
    const iapt_pseudokey_t *key = iapt_xctx_key(x);
    const char *org = iapt_xctx_org(x);
    uint32_t n_staff, n_sess, n_vac;
    const iapt_xrow_t *staff = iapt_xctx_rows(x, WF_STAFF, &n_staff);
    const iapt_xrow_t *sess = iapt_xctx_rows(x, WF_SUPERVISION, &n_sess);
    const iapt_xrow_t *vac = iapt_xctx_rows(x, WF_VACANCY, &n_vac);
    iapt_xgroup_t by_staff;
    iapt_buf_t buf = {0};
    iapt_wf_session_in_t *in_sess = NULL;
    size_t cap = 0;
    uint8_t id[16];
    int rc = iapt_xgroup_build(x, WF_SUPERVISION, WF_STAFF, &by_staff);
    if (rc < 0)
        return rc;

    for (uint32_t i = 0; i < n_staff && rc == 0; i++) {
        const iapt_xrow_t *r = &staff[i];
        if (r->rejected || !workforce_staff_selected(x, r))
            continue;
        iapt_wf_staff_in_t in;
        memset(&in, 0, sizeof in);
        in.staff_id = r->v[WFF_STAFF_ID].s;
        in.role = r->v[WFF_STAFF_ROLE].s;
        in.band = s_code(r, WFF_STAFF_BAND);
        in.wte_x100 = (uint32_t)r->v[WFF_STAFF_WTE].n;
        in.post_start = (int32_t)r->v[WFF_STAFF_START].n;
        in.has_post_end = s_day(r, WFF_STAFF_END, &in.post_end);
        in.profession = s_code(r, WFF_STAFF_PROFESSION);
        in.has_training_start = s_day(r, WFF_STAFF_TRAINING_START, &in.training_start);
        in.has_training_completed = s_day(r, WFF_STAFF_TRAINING_DONE, &in.training_completed);
        in.accredited = s_code(r, WFF_STAFF_ACCREDITED);
        if (workforce_supervisor_usable(x, r))
            in.supervisor_id = r->v[WFF_STAFF_SUPERVISOR].s;

        /* The member's sessions (the builder keeps those in the period). */
        uint32_t from = by_staff.off[i], to = by_staff.off[i + 1];
        if (to - from > IAPT_WF_SESSIONS_MAX) {
            rc = iapt_error_set(IAPT_EREFUSED,
                                "%s line %llu: more than %d supervision sessions for one staff "
                                "member",
                                iapt_xctx_schema(x)->tables[WF_STAFF].file,
                                (unsigned long long)r->line, IAPT_WF_SESSIONS_MAX);
            break;
        }
        if (to - from > cap) {
            size_t ncap = to - from;
            iapt_wf_session_in_t *q = realloc(in_sess, ncap * sizeof *q);
            if (!q) {
                rc = iapt_error_set(IAPT_ENOMEM, "workforce sessions");
                break;
            }
            in_sess = q;
            cap = ncap;
        }
        size_t k = 0;
        for (uint32_t j = from; j < to; j++) {
            const iapt_xrow_t *s = &sess[by_staff.items[j]];
            in_sess[k].day = (int32_t)s->v[WFF_SUP_DATE].n;
            in_sess[k].minutes = (uint32_t)s->v[WFF_SUP_MINUTES].n;
            in_sess[k].type = s->v[WFF_SUP_TYPE].s[0];
            k++;
        }
        in.sessions = in_sess;
        in.n_sessions = k;
        if ((rc = iapt_wf_build_staff(key, org, p, &in, &buf, id)) == 0)
            rc = s_add(x, &buf, id);
    }

    /* Vacancies: named by their row number in WF003 (1-based). */
    for (uint32_t i = 0; i < n_vac && rc == 0; i++) {
        const iapt_xrow_t *r = &vac[i];
        if (r->rejected || r->ragged)
            continue;
        if ((rc = iapt_wf_build_vacancy(key, org, (uint64_t)i + 1, r->v[WFF_VAC_ROLE].s,
                                        s_code(r, WFF_VAC_BAND), (uint32_t)r->v[WFF_VAC_WTE].n,
                                        &buf, id)) == 0)
            rc = s_add(x, &buf, id);
    }
    iapt_xgroup_free(&by_staff);
    free(in_sess);
    iapt_buf_free(&buf);
    return rc;
}
