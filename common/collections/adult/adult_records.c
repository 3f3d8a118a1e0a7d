/* adult_records.c - the adult collection's records: one anonymised
 * Iapt__PathwayRecord (proto/adult.proto) per selected, valid referral,
 * with its appointments, scores, problems and employment (docs/EXTRACT.md,
 * node/extract.h for the pseudonyms), and the age band at referral. */
#include "common/collections/adult/adult_node.h"

#include "common/date.h"
#include "common/err.h"
#include "common/util.h"
#include "node/anonymise.h"

#include <stdlib.h>
#include <string.h>

/* ---- age ---- */

Iapt__AgeBand
iapt_age_band(int32_t birth_day, int32_t referral_day)
{
    int age = iapt_age_years(birth_day, referral_day);
    if (age < 0)
        return IAPT__AGE_BAND__AGE_UNKNOWN;
    if (age < 18)
        return IAPT__AGE_BAND__AGE_UNDER_18;
    if (age <= 25)
        return IAPT__AGE_BAND__AGE_18_25;
    if (age <= 35)
        return IAPT__AGE_BAND__AGE_26_35;
    if (age <= 45)
        return IAPT__AGE_BAND__AGE_36_45;
    if (age <= 55)
        return IAPT__AGE_BAND__AGE_46_55;
    if (age <= 64)
        return IAPT__AGE_BAND__AGE_56_64;
    if (age <= 74)
        return IAPT__AGE_BAND__AGE_65_74;
    return IAPT__AGE_BAND__AGE_75_PLUS;
}

/* qsort, which must not see a NULL base even for zero elements. */
static void
s_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    if (n > 1)
        qsort(base, n, size, cmp);
}

/* ---- building records ---- */

/* A row to order by (day, rank, line): rank puts IDS606 before IDS607. */
typedef struct s_key {
    int32_t day;
    int32_t rank;
    uint64_t line;
    uint32_t idx;
    int table;
} s_key_t;

static int
s_key_cmp(const void *a, const void *b)
{
    const s_key_t *p = a, *q = b;
    if (p->day != q->day)
        return p->day < q->day ? -1 : 1;
    if (p->rank != q->rank)
        return p->rank < q->rank ? -1 : 1;
    if (p->line != q->line)
        return p->line < q->line ? -1 : 1;
    return 0;
}

/* Per-record scratch space, reused from one record to the next. */
typedef struct s_scratch {
    s_key_t *appt_key, *score_key, *emp_key;
    size_t appt_key_cap, score_key_cap, emp_key_cap;
    Iapt__Appointment *appt;
    Iapt__Appointment **appt_p;
    size_t appt_cap;
    uint64_t *therapy;
    size_t therapy_cap;
    Iapt__Score *score;
    Iapt__Score **score_p;
    size_t score_cap;
    Iapt__ProblemDescriptor *problem;
    Iapt__ProblemDescriptor **problem_p;
    size_t problem_cap;
    Iapt__EmploymentRecord *emp;
    Iapt__EmploymentRecord **emp_p;
    size_t emp_cap;
} s_scratch_t;

/* Grow *p (elements of `size`) to hold at least `need`. */
static int
s_reserve(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 16;
    while (n < need)
        n *= 2;
    void *q = realloc(*p, n * size);
    if (!q)
        return IAPT_ENOMEM;
    *p = q;
    *cap = n;
    return 0;
}

/* Two arrays sharing one capacity: the messages and the pointers to them. */
static int
s_reserve2(void **msgs, void **ptrs, size_t *cap, size_t need, size_t size)
{
    size_t c = *cap;
    int rc = s_reserve(msgs, &c, need, size);
    if (rc == 0 && c != *cap) {
        void *q = realloc(*ptrs, c * sizeof(void *));
        if (!q)
            return IAPT_ENOMEM;
        *ptrs = q;
        *cap = c;
    }
    return rc;
}

static void
s_scratch_free(s_scratch_t *s)
{
    free(s->appt_key);
    free(s->score_key);
    free(s->emp_key);
    free(s->appt);
    free(s->appt_p);
    free(s->therapy);
    free(s->score);
    free(s->score_p);
    free(s->problem);
    free(s->problem_p);
    free(s->emp);
    free(s->emp_p);
}

/* One table's rows. */
typedef struct s_rows {
    const iapt_xrow_t *row;
    uint32_t n;
} s_rows_t;

typedef struct s_build {
    iapt_xctx_t *x;
    s_rows_t tab[AD_NTABLES];
    iapt_xgroup_t contacts;   /* IDS201 by referral */
    iapt_xgroup_t activities; /* IDS202 by contact */
    iapt_xgroup_t act_scores; /* IDS607 by activity */
    iapt_xgroup_t ref_scores; /* IDS606 by referral */
    iapt_xgroup_t problems;   /* IDS603 by referral */
    iapt_xgroup_t employment; /* IDS004 by patient */
    iapt_xgroup_t ltc;        /* IDS602 by patient */
    s_scratch_t s;
} s_build_t;

/* Appointments of referral ri dated by the period end, in (day, line) order;
 * fills s->appt_key and returns their number through *n. */
static int
s_appointments(s_build_t *b, uint32_t ri, size_t *n, size_t *n_therapy)
{
    const iapt_xctx_t *x = b->x;
    const s_rows_t *con = &b->tab[AD_CONTACT], *act = &b->tab[AD_ACTIVITY];
    s_scratch_t *s = &b->s;
    int rc;
    *n = *n_therapy = 0;
    uint32_t from = b->contacts.off[ri], to = b->contacts.off[ri + 1];
    if ((rc = s_reserve((void **)&s->appt_key, &s->appt_key_cap, to - from, sizeof *s->appt_key)) <
        0)
        return rc;
    for (uint32_t k = from; k < to; k++) {
        const iapt_xrow_t *c = &con->row[b->contacts.items[k]];
        if (c->v[AF_CON_DATE].n > iapt_xctx_period(x)->end)
            continue;
        s_key_t *key = &s->appt_key[(*n)++];
        key->day = (int32_t)c->v[AF_CON_DATE].n;
        key->rank = 0;
        key->line = c->line;
        key->idx = b->contacts.items[k];
        key->table = AD_CONTACT;
        for (uint32_t a = b->activities.off[key->idx]; a < b->activities.off[key->idx + 1]; a++)
            if (act->row[b->activities.items[a]].status[AF_ACT_CODE] == IAPT_XS_VALID)
                (*n_therapy)++;
    }
    s_sort(s->appt_key, *n, sizeof *s->appt_key, s_key_cmp);
    return 0;
}

static int
s_build_one(s_build_t *b, uint32_t ri, iapt_buf_t *out, uint8_t pathway_id[16])
{
    const iapt_xctx_t *x = b->x;
    const iapt_period_t *p = iapt_xctx_period(x);
    const s_rows_t *ref = &b->tab[AD_REFERRAL], *mpi = &b->tab[AD_MPI];
    const s_rows_t *con = &b->tab[AD_CONTACT], *act = &b->tab[AD_ACTIVITY];
    const s_rows_t *s06 = &b->tab[AD_SCORE_REF], *s07 = &b->tab[AD_SCORE_ACT];
    const s_rows_t *prb = &b->tab[AD_PROBLEM], *emp = &b->tab[AD_EMPLOY];
    const iapt_xrow_t *r = &ref->row[ri], *pt = &mpi->row[r->parent];
    s_scratch_t *s = &b->s;
    Iapt__PathwayRecord rec = IAPT__PATHWAY_RECORD__INIT;
    uint8_t person_id[IAPT_PSEUDONYM_BYTES];
    size_t n_appt, n_therapy, n_scores = 0, n_problems = 0, n_emp = 0;
    int rc;

    if ((rc = iapt_pseudonym_pathway(iapt_xctx_key(x), iapt_xctx_org(x), r->v[AF_REF_ID].s,
                                     pathway_id)) < 0)
        return rc;
    if (pt->status[AF_MPI_NHS] == IAPT_XS_VALID) {
        rc = iapt_pseudonym_person_nhs(iapt_xctx_key(x), pt->v[AF_MPI_NHS].s, person_id);
        rec.person_id_basis = IAPT__PERSON_ID_BASIS__PERSON_ID_NHS_NUMBER;
    } else {
        rc = iapt_pseudonym_person_local(iapt_xctx_key(x), iapt_xctx_org(x), pt->v[AF_MPI_ID].s,
                                         person_id);
        rec.person_id_basis = IAPT__PERSON_ID_BASIS__PERSON_ID_LOCAL;
    }
    if (rc < 0)
        return rc;
    rec.pathway_id.data = pathway_id;
    rec.pathway_id.len = IAPT_PSEUDONYM_BYTES;
    rec.person_id.data = person_id;
    rec.person_id.len = IAPT_PSEUDONYM_BYTES;
    rec.has_person_id_basis = 1;
    rec.commissioner = (char *)r->v[AF_REF_COMM].s;
    rec.referral_day = (int32_t)(r->v[AF_REF_RECEIVED].n - p->start);
    /* A discharge after the period end is no discharge yet: EndCode goes with it. */
    if (r->status[AF_REF_DISCH] == IAPT_XS_VALID && r->v[AF_REF_DISCH].n <= p->end) {
        rec.has_discharge_day = 1;
        rec.discharge_day = (int32_t)(r->v[AF_REF_DISCH].n - p->start);
        rec.end_code = (char *)r->v[AF_REF_END].s;
    }
    rec.referral_source = (char *)r->v[AF_REF_SOURCE].s;
    rec.has_age_band = 1;
    rec.age_band = iapt_age_band((int32_t)pt->v[AF_MPI_BIRTH].n, (int32_t)r->v[AF_REF_RECEIVED].n);
    rec.gender_identity = (char *)pt->v[AF_MPI_GENDER].s;
    rec.ethnic_category = (char *)pt->v[AF_MPI_ETHNIC].s;
    if (iapt_xctx_imd(x) && pt->v[AF_MPI_POSTCODE].s) {
        int d = iapt_imd_lookup(iapt_xctx_imd(x), pt->v[AF_MPI_POSTCODE].s);
        if (d > 0) {
            rec.has_imd_decile = 1;
            rec.imd_decile = (uint32_t)d;
        }
    }
    rec.has_long_term_condition = 1;
    rec.long_term_condition = b->ltc.off[r->parent + 1] > b->ltc.off[r->parent];

    /* Appointments, with the therapies of their activities. */
    if ((rc = s_appointments(b, ri, &n_appt, &n_therapy)) < 0 ||
        (rc = s_reserve2((void **)&s->appt, (void **)&s->appt_p, &s->appt_cap, n_appt,
                         sizeof *s->appt)) < 0 ||
        (rc = s_reserve((void **)&s->therapy, &s->therapy_cap, n_therapy, sizeof *s->therapy)) < 0)
        return rc;
    size_t t = 0, score_cap_need = b->ref_scores.off[ri + 1] - b->ref_scores.off[ri];
    for (size_t i = 0; i < n_appt; i++) {
        const iapt_xrow_t *c = &con->row[s->appt_key[i].idx];
        Iapt__Appointment *a = &s->appt[i];
        iapt__appointment__init(a);
        a->day = (int32_t)(c->v[AF_CON_DATE].n - p->start);
        a->app_type = (char *)c->v[AF_CON_APPTYPE].s;
        a->attendance = (char *)c->v[AF_CON_ATTEND].s;
        a->mechanism = (char *)c->v[AF_CON_MECH].s;
        a->therapy = s->therapy + t;
        uint32_t ci = s->appt_key[i].idx;
        for (uint32_t k = b->activities.off[ci]; k < b->activities.off[ci + 1]; k++) {
            uint32_t ai = b->activities.items[k];
            if (act->row[ai].status[AF_ACT_CODE] == IAPT_XS_VALID)
                s->therapy[t++] = (uint64_t)act->row[ai].v[AF_ACT_CODE].n;
            score_cap_need += b->act_scores.off[ai + 1] - b->act_scores.off[ai];
        }
        a->n_therapy = (size_t)(s->therapy + t - a->therapy);
        s->appt_p[i] = a;
    }
    rec.n_appointments = n_appt;
    rec.appointments = s->appt_p;

    /* Scores: IDS606 by their own date, IDS607 by their appointment's. */
    if ((rc = s_reserve((void **)&s->score_key, &s->score_key_cap, score_cap_need,
                        sizeof *s->score_key)) < 0)
        return rc;
    for (uint32_t k = b->ref_scores.off[ri]; k < b->ref_scores.off[ri + 1]; k++) {
        const iapt_xrow_t *sr = &s06->row[b->ref_scores.items[k]];
        if (sr->v[AF_S06_DATE].n > p->end)
            continue;
        s_key_t *key = &s->score_key[n_scores++];
        *key = (s_key_t){(int32_t)sr->v[AF_S06_DATE].n, 606, sr->line, b->ref_scores.items[k],
                         AD_SCORE_REF};
    }
    for (size_t i = 0; i < n_appt; i++) {
        uint32_t ci = s->appt_key[i].idx;
        for (uint32_t k = b->activities.off[ci]; k < b->activities.off[ci + 1]; k++) {
            uint32_t ai = b->activities.items[k];
            for (uint32_t j = b->act_scores.off[ai]; j < b->act_scores.off[ai + 1]; j++) {
                uint32_t si = b->act_scores.items[j];
                s_key_t *key = &s->score_key[n_scores++];
                *key = (s_key_t){s->appt_key[i].day, 607, s07->row[si].line, si, AD_SCORE_ACT};
            }
        }
    }
    s_sort(s->score_key, n_scores, sizeof *s->score_key, s_key_cmp);
    if ((rc = s_reserve2((void **)&s->score, (void **)&s->score_p, &s->score_cap, n_scores,
                         sizeof *s->score)) < 0)
        return rc;
    for (size_t i = 0; i < n_scores; i++) {
        const s_key_t *key = &s->score_key[i];
        bool from606 = key->table == AD_SCORE_REF;
        const iapt_xrow_t *sr = from606 ? &s06->row[key->idx] : &s07->row[key->idx];
        Iapt__Score *sc = &s->score[i];
        iapt__score__init(sc);
        sc->tool = (uint64_t)sr->v[from606 ? AF_S06_TOOL : AF_S07_TOOL].n;
        sc->value_x100 = (int32_t)sr->v[from606 ? AF_S06_SCORE : AF_S07_SCORE].n;
        sc->day = key->day - p->start;
        sc->source = from606 ? IAPT__SCORE_SOURCE__SCORE_IDS606 : IAPT__SCORE_SOURCE__SCORE_IDS607;
        s->score_p[i] = sc;
    }
    rec.n_scores = n_scores;
    rec.scores = s->score_p;

    /* Problem descriptors: by PresCompDate, undated ones always. */
    uint32_t pf = b->problems.off[ri], pto = b->problems.off[ri + 1];
    if ((rc = s_reserve2((void **)&s->problem, (void **)&s->problem_p, &s->problem_cap, pto - pf,
                         sizeof *s->problem)) < 0)
        return rc;
    for (uint32_t k = pf; k < pto; k++) {
        const iapt_xrow_t *pr = &prb->row[b->problems.items[k]];
        bool dated = pr->status[AF_PRB_DATE] == IAPT_XS_VALID;
        if (dated && pr->v[AF_PRB_DATE].n > p->end)
            continue;
        Iapt__ProblemDescriptor *d = &s->problem[n_problems];
        iapt__problem_descriptor__init(d);
        d->code = (char *)pr->v[AF_PRB_CODE].s;
        if (pr->status[AF_PRB_SIG] == IAPT_XS_VALID) {
            d->has_significance = 1;
            d->significance = (uint32_t)(pr->v[AF_PRB_SIG].s[0] - '0');
        }
        if (dated) {
            d->has_day = 1;
            d->day = (int32_t)(pr->v[AF_PRB_DATE].n - p->start);
        }
        s->problem_p[n_problems++] = d;
    }
    rec.n_problems = n_problems;
    rec.problems = s->problem_p;

    /* Employment records of the patient, whichever referral they came with. */
    uint32_t ef = b->employment.off[r->parent], eto = b->employment.off[r->parent + 1];
    if ((rc = s_reserve((void **)&s->emp_key, &s->emp_key_cap, eto - ef, sizeof *s->emp_key)) < 0 ||
        (rc = s_reserve2((void **)&s->emp, (void **)&s->emp_p, &s->emp_cap, eto - ef,
                         sizeof *s->emp)) < 0)
        return rc;
    for (uint32_t k = ef; k < eto; k++) {
        const iapt_xrow_t *er = &emp->row[b->employment.items[k]];
        if (er->v[AF_EMP_DATE].n > p->end)
            continue;
        s->emp_key[n_emp++] = (s_key_t){(int32_t)er->v[AF_EMP_DATE].n, 0, er->line,
                                        b->employment.items[k], AD_EMPLOY};
    }
    s_sort(s->emp_key, n_emp, sizeof *s->emp_key, s_key_cmp);
    for (size_t i = 0; i < n_emp; i++) {
        const iapt_xrow_t *er = &emp->row[s->emp_key[i].idx];
        Iapt__EmploymentRecord *e = &s->emp[i];
        iapt__employment_record__init(e);
        e->day = s->emp_key[i].day - p->start;
        e->status = (char *)er->v[AF_EMP_STATUS].s;
        e->sick_pay = (char *)er->v[AF_EMP_SSP].s;
        e->benefits = (char *)er->v[AF_EMP_BEN].s;
        s->emp_p[i] = e;
    }
    rec.n_employment = n_emp;
    rec.employment = s->emp_p;

    size_t size = iapt__pathway_record__get_packed_size(&rec);
    if ((rc = iapt_buf_reserve(out, size)) < 0)
        return rc;
    out->len += iapt__pathway_record__pack(&rec, out->data + out->len);
    return 0;
}

int
adult_build_records(iapt_xctx_t *x)
{
    s_build_t b;
    iapt_buf_t buf = IAPT_BUF_INIT;
    uint8_t id[IAPT_PSEUDONYM_BYTES];
    int rc;

    memset(&b, 0, sizeof b);
    b.x = x;
    for (int t = 0; t < AD_NTABLES; t++)
        b.tab[t].row = iapt_xctx_rows(x, t, &b.tab[t].n);
    if ((rc = iapt_xgroup_build(x, AD_CONTACT, AD_REFERRAL, &b.contacts)) < 0 ||
        (rc = iapt_xgroup_build(x, AD_ACTIVITY, AD_CONTACT, &b.activities)) < 0 ||
        (rc = iapt_xgroup_build(x, AD_SCORE_ACT, AD_ACTIVITY, &b.act_scores)) < 0 ||
        (rc = iapt_xgroup_build(x, AD_SCORE_REF, AD_REFERRAL, &b.ref_scores)) < 0 ||
        (rc = iapt_xgroup_build(x, AD_PROBLEM, AD_REFERRAL, &b.problems)) < 0 ||
        (rc = iapt_xgroup_build(x, AD_EMPLOY, AD_MPI, &b.employment)) < 0 ||
        (rc = iapt_xgroup_build(x, AD_LTC, AD_MPI, &b.ltc)) < 0)
        goto out_free;
    const s_rows_t *ref = &b.tab[AD_REFERRAL];
    for (uint32_t i = 0; i < ref->n; i++) {
        const iapt_xrow_t *r = &ref->row[i];
        if (r->rejected || !adult_referral_selected(x, r))
            continue;
        buf.len = 0;
        if ((rc = s_build_one(&b, i, &buf, id)) < 0 ||
            (rc = iapt_xctx_record_add(x, id, buf.data, buf.len)) < 0)
            goto out_free;
    }

out_free:
    iapt_xgroup_free(&b.contacts);
    iapt_xgroup_free(&b.activities);
    iapt_xgroup_free(&b.act_scores);
    iapt_xgroup_free(&b.ref_scores);
    iapt_xgroup_free(&b.problems);
    iapt_xgroup_free(&b.employment);
    iapt_xgroup_free(&b.ltc);
    s_scratch_free(&b.s);
    iapt_buf_free(&buf);
    return rc;
}
