/* workforce_records.c - validated workforce rows -> serialized WfRecord
 * leaves (workforce_records.h). */

#include "common/collections/workforce/workforce_records.h"

#include "common/collections/workforce/workforce_anonymise.h"
#include "common/collections/workforce/workforce_derive.h"
#include "common/collections/workforce/workforce_measures.h"
#include "common/err.h"
#include "proto/workforce.pb-c.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A day relative to the period start, clamped to the record limits. */
static int32_t
s_day(const iapt_period_t *p, int32_t day)
{
    int64_t d = (int64_t)day - p->start;
    if (d < -IAPT_WF_DAY_LIMIT)
        return -IAPT_WF_DAY_LIMIT;
    if (d > IAPT_WF_DAY_LIMIT)
        return IAPT_WF_DAY_LIMIT;
    return (int32_t)d;
}

static int
s_pack(const Iapt__WfRecord *r, iapt_buf_t *out)
{
    size_t n = iapt__wf_record__get_packed_size(r);
    int rc = iapt_buf_reserve(out, n);
    if (rc)
        return rc;
    iapt__wf_record__pack(r, out->data + out->len);
    out->len += n;
    return 0;
}

/* Sessions by day, then as given (stable: the index breaks ties). */
typedef struct {
    int32_t day;
    size_t index;
} s_order_t;

static int
s_order_cmp(const void *a, const void *b)
{
    const s_order_t *x = a, *y = b;
    if (x->day != y->day)
        return x->day < y->day ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

int
iapt_wf_build_staff(const iapt_pseudokey_t *key, const char *org, const iapt_period_t *period,
                    const iapt_wf_staff_in_t *in, iapt_buf_t *out, uint8_t id[16])
{
    if (!in || !in->staff_id || !in->role || iapt_wf_role_find(in->role) < 0)
        return iapt_error_set(IAPT_EUSAGE, "StaffRole: not a valid code");
    if (in->wte_x100 < 1 || in->wte_x100 > 100)
        return iapt_error_set(IAPT_EUSAGE, "WTE: not 0.01 to 1.00");
    if (in->n_sessions > IAPT_WF_SESSIONS_MAX)
        return iapt_error_set(IAPT_EUSAGE, "WF002: more than %d sessions for one member",
                              IAPT_WF_SESSIONS_MAX);
    for (size_t i = 0; i < in->n_sessions; i++) {
        const iapt_wf_session_in_t *s = &in->sessions[i];
        if (s->minutes < 1 || s->minutes > 600)
            return iapt_error_set(IAPT_EUSAGE, "DurationMinutes: not 1 to 600");
        if (s->type != 'I' && s->type != 'G' && s->type != 'C')
            return iapt_error_set(IAPT_EUSAGE, "SupervisionType: not I, G or C");
    }

    uint8_t sup[IAPT_WF_PSEUDONYM_BYTES];
    int rc = iapt_wf_pseudonym_staff(key, org, in->staff_id, id);
    if (!rc && in->supervisor_id)
        rc = iapt_wf_pseudonym_staff(key, org, in->supervisor_id, sup);
    if (rc)
        return rc;

    /* The sessions inside the period, in day order. */
    s_order_t *order = calloc(in->n_sessions ? in->n_sessions : 1, sizeof *order);
    Iapt__WfSupervisionSession *sess = calloc(in->n_sessions ? in->n_sessions : 1, sizeof *sess);
    Iapt__WfSupervisionSession **ptr = calloc(in->n_sessions ? in->n_sessions : 1, sizeof *ptr);
    char(*types)[2] = calloc(in->n_sessions ? in->n_sessions : 1, sizeof *types);
    if (!order || !sess || !ptr || !types) {
        free(order);
        free(sess);
        free(ptr);
        free(types);
        return iapt_error_set(IAPT_ENOMEM, "workforce record");
    }
    size_t n = 0;
    for (size_t i = 0; i < in->n_sessions; i++)
        if (in->sessions[i].day >= period->start && in->sessions[i].day <= period->end)
            order[n++] = (s_order_t){in->sessions[i].day, i};
    qsort(order, n, sizeof *order, s_order_cmp);
    for (size_t k = 0; k < n; k++) {
        const iapt_wf_session_in_t *s = &in->sessions[order[k].index];
        Iapt__WfSupervisionSession init = IAPT__WF_SUPERVISION_SESSION__INIT;
        sess[k] = init;
        sess[k].day = s->day - period->start;
        sess[k].minutes = s->minutes;
        types[k][0] = s->type;
        sess[k].type = types[k];
        ptr[k] = &sess[k];
    }

    Iapt__WfStaffRecord st = IAPT__WF_STAFF_RECORD__INIT;
    st.staff_id.data = id;
    st.staff_id.len = IAPT_WF_PSEUDONYM_BYTES;
    st.role = (char *)in->role;
    st.band = (char *)in->band;
    st.wte_x100 = in->wte_x100;
    st.post_start_day = s_day(period, in->post_start);
    st.has_post_end_day = in->has_post_end;
    st.post_end_day = in->has_post_end ? s_day(period, in->post_end) : 0;
    st.profession = (char *)in->profession;
    st.has_training_start_day = in->has_training_start;
    st.training_start_day = in->has_training_start ? s_day(period, in->training_start) : 0;
    st.has_training_completed_day = in->has_training_completed;
    st.training_completed_day =
        in->has_training_completed ? s_day(period, in->training_completed) : 0;
    st.accredited = (char *)in->accredited;
    if (in->supervisor_id) {
        st.has_supervisor_id = 1;
        st.supervisor_id.data = sup;
        st.supervisor_id.len = IAPT_WF_PSEUDONYM_BYTES;
    }
    st.n_sessions = n;
    st.sessions = ptr;
    Iapt__WfRecord r = IAPT__WF_RECORD__INIT;
    r.kind_case = IAPT__WF_RECORD__KIND_STAFF;
    r.staff = &st;
    rc = s_pack(&r, out);
    free(order);
    free(sess);
    free(ptr);
    free(types);
    sodium_memzero(sup, sizeof sup);
    return rc;
}

int
iapt_wf_build_vacancy(const iapt_pseudokey_t *key, const char *org, uint64_t row, const char *role,
                      const char *band, uint32_t wte_x100, iapt_buf_t *out, uint8_t id[16])
{
    if (!role || iapt_wf_role_find(role) < 0)
        return iapt_error_set(IAPT_EUSAGE, "StaffRole: not a valid code");
    if (wte_x100 < 1 || wte_x100 > 100)
        return iapt_error_set(IAPT_EUSAGE, "WTE: not 0.01 to 1.00");
    if (!org)
        return iapt_error_set(IAPT_EUSAGE, "vacancy: no organisation");
    if (!key || !key->key)
        return iapt_error_set(IAPT_ECRYPTO, "pseudonymisation key unusable");
    char enc[128];
    int len =
        snprintf(enc, sizeof enc, "iapt/vacancy/v1%c%s%c%llu", 0, org, 0, (unsigned long long)row);
    if (len < 0 || (size_t)len >= sizeof enc)
        return iapt_error_set(IAPT_EUSAGE, "vacancy: organisation code too long");
    if (crypto_generichash(id, 16, (const uint8_t *)enc, (size_t)len, key->key,
                           IAPT_PSEUDO_KEY_BYTES) != 0)
        return iapt_error_set(IAPT_ECRYPTO, "pseudonymisation key unusable");
    Iapt__WfVacancyRecord v = IAPT__WF_VACANCY_RECORD__INIT;
    v.role = (char *)role;
    v.band = (char *)band;
    v.wte_x100 = wte_x100;
    Iapt__WfRecord r = IAPT__WF_RECORD__INIT;
    r.kind_case = IAPT__WF_RECORD__KIND_VACANCY;
    r.vacancy = &v;
    return s_pack(&r, out);
}
