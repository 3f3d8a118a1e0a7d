/* anonymise.c - pseudonyms, age bands, the IMD lookup, and building one
 * anonymised pathway record per selected, valid referral (adult.proto). */
#include "node/anonymise.h"
#include "node/extract_internal.h"

#include "common/csv.h"
#include "common/date.h"
#include "common/err.h"
#include "common/util.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* ---- pseudonyms ---- */

/* Keyed BLAKE2b-128 of the parts joined by NUL bytes (none of them can hold
 * a NUL, so the encoding is unambiguous). */
static int
s_pseudonym(const iapt_pseudokey_t *key, const char *const *parts, int n,
            uint8_t out[IAPT_PSEUDONYM_BYTES])
{
    crypto_generichash_state st;
    static const uint8_t nul = 0;
    if (!key || !key->key ||
        crypto_generichash_init(&st, key->key, IAPT_PSEUDO_KEY_BYTES, IAPT_PSEUDONYM_BYTES) != 0)
        return iapt_error_set(IAPT_ECRYPTO, "pseudonymisation key unusable");
    for (int i = 0; i < n; i++) {
        if (i > 0)
            crypto_generichash_update(&st, &nul, 1);
        crypto_generichash_update(&st, (const uint8_t *)parts[i], strlen(parts[i]));
    }
    crypto_generichash_final(&st, out, IAPT_PSEUDONYM_BYTES);
    sodium_memzero(&st, sizeof st);
    return 0;
}

int
iapt_pseudonym_pathway(const iapt_pseudokey_t *key, const char *org, const char *service_request_id,
                       uint8_t out[IAPT_PSEUDONYM_BYTES])
{
    const char *parts[] = {"iapt/pathway/v1", org, service_request_id};
    return s_pseudonym(key, parts, 3, out);
}

int
iapt_pseudonym_person_nhs(const iapt_pseudokey_t *key, const char *nhs_number,
                          uint8_t out[IAPT_PSEUDONYM_BYTES])
{
    const char *parts[] = {"iapt/person/v1", nhs_number};
    return s_pseudonym(key, parts, 2, out);
}

int
iapt_pseudonym_person_local(const iapt_pseudokey_t *key, const char *org,
                            const char *local_patient_id, uint8_t out[IAPT_PSEUDONYM_BYTES])
{
    const char *parts[] = {"iapt/person-local/v1", org, local_patient_id};
    return s_pseudonym(key, parts, 3, out);
}

/* ---- age ---- */

int
iapt_age_years(int32_t birth_day, int32_t day)
{
    int by, bm, bd, y, m, d;
    iapt_civil_from_days(birth_day, &by, &bm, &bd);
    iapt_civil_from_days(day, &y, &m, &d);
    return y - by - (m < bm || (m == bm && d < bd));
}

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

/* ---- IMD lookup ---- */

typedef struct s_imd_entry {
    char prefix[8];
    uint8_t decile;
    uint64_t line;
} s_imd_entry_t;

struct iapt_imd {
    size_t n;
    s_imd_entry_t *e; /* sorted by prefix */
};

static int
s_imd_cmp(const void *a, const void *b)
{
    return strcmp(((const s_imd_entry_t *)a)->prefix, ((const s_imd_entry_t *)b)->prefix);
}

static int
s_imd_read(iapt_csv_t *csv, const char *name, iapt_imd_t *imd)
{
    const iapt_csv_row_t *row;
    int rc, cp = -1, cd = -1;
    size_t cap = 0, ncols = 0;

    while ((rc = iapt_csv_next(csv, &row)) == 1) {
        if (row->n == 1 && row->len[0] == 0)
            continue; /* blank line */
        if (cp < 0 && ncols == 0) {
            cp = iapt_csv_column(row, "postcode_prefix");
            cd = iapt_csv_column(row, "imd_decile");
            if (cp < 0 || cd < 0)
                return iapt_error_set(IAPT_EFORMAT,
                                      "%s:%llu: header must name postcode_prefix and imd_decile",
                                      name, (unsigned long long)row->line);
            ncols = row->n;
            continue;
        }
        if (row->n != ncols)
            return iapt_error_set(IAPT_EFORMAT, "%s:%llu: %zu cells where the header has %zu", name,
                                  (unsigned long long)row->line, row->n, ncols);
        if (imd->n == cap) {
            cap = cap ? cap * 2 : 1024;
            s_imd_entry_t *p = realloc(imd->e, cap * sizeof *p);
            if (!p)
                return IAPT_ENOMEM;
            imd->e = p;
        }
        s_imd_entry_t *e = &imd->e[imd->n];
        const char *pre = row->field[cp], *dec = row->field[cd];
        size_t n = 0;
        for (; *pre; pre++) {
            char c = *pre;
            if (c == ' ' || c == '\t')
                continue;
            if (c >= 'a' && c <= 'z')
                c = (char)(c - 'a' + 'A');
            if (n == 7 || !((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
                return iapt_error_set(IAPT_EFORMAT,
                                      "%s:%llu: postcode_prefix must be 1-7 letters or digits",
                                      name, (unsigned long long)row->line);
            e->prefix[n++] = c;
        }
        e->prefix[n] = 0;
        while (*dec == ' ' || *dec == '\t')
            dec++;
        char *end;
        long d = strtol(dec, &end, 10);
        while (*end == ' ' || *end == '\t')
            end++;
        if (n == 0 || end == dec || *end || d < 1 || d > 10)
            return iapt_error_set(IAPT_EFORMAT,
                                  "%s:%llu: needs a postcode_prefix and an imd_decile from 1 to 10",
                                  name, (unsigned long long)row->line);
        e->decile = (uint8_t)d;
        e->line = row->line;
        imd->n++;
    }
    if (rc < 0)
        return rc;
    if (cp < 0)
        return iapt_error_set(IAPT_EFORMAT, "%s: empty, no header row", name);
    if (imd->n > 1)
        qsort(imd->e, imd->n, sizeof *imd->e, s_imd_cmp);
    for (size_t i = 1; i < imd->n; i++)
        if (strcmp(imd->e[i].prefix, imd->e[i - 1].prefix) == 0)
            return iapt_error_set(IAPT_EFORMAT, "%s:%llu: prefix %s listed twice (line %llu)", name,
                                  (unsigned long long)imd->e[i].line, imd->e[i].prefix,
                                  (unsigned long long)imd->e[i - 1].line);
    return 0;
}

static int
s_imd_open(iapt_csv_t *csv, const char *name, iapt_imd_t **out)
{
    iapt_imd_t *imd = calloc(1, sizeof *imd);
    int rc = imd ? s_imd_read(csv, name, imd) : IAPT_ENOMEM;
    iapt_csv_close(&csv);
    if (rc < 0) {
        iapt_imd_destroy(&imd);
        return rc;
    }
    *out = imd;
    return 0;
}

int
iapt_imd_load(const char *path, iapt_imd_t **out)
{
    iapt_csv_t *csv;
    int rc = iapt_csv_open(path, NULL, &csv);
    if (rc < 0)
        return rc;
    return s_imd_open(csv, path, out);
}

int
iapt_imd_parse(const char *data, size_t len, const char *name, iapt_imd_t **out)
{
    iapt_csv_t *csv;
    int rc = iapt_csv_open_mem(data, len, name, NULL, &csv);
    if (rc < 0)
        return rc;
    return s_imd_open(csv, name, out);
}

int
iapt_imd_lookup(const iapt_imd_t *imd, const char *postcode)
{
    s_imd_entry_t key;
    size_t n = strlen(postcode);
    if (!imd || n == 0 || n > 7)
        return 0;
    memcpy(key.prefix, postcode, n + 1);
    for (; n > 0; n--) {
        key.prefix[n] = 0;
        const s_imd_entry_t *e =
            imd->n ? bsearch(&key, imd->e, imd->n, sizeof *imd->e, s_imd_cmp) : NULL;
        if (e)
            return e->decile;
    }
    return 0;
}

void
iapt_imd_destroy(iapt_imd_t **imd_p)
{
    iapt_imd_t *imd = *imd_p;
    if (!imd)
        return;
    free(imd->e);
    free(imd);
    *imd_p = NULL;
}

/* qsort, which must not see a NULL base even for zero elements. */
static void
s_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    if (n > 1)
        qsort(base, n, size, cmp);
}

/* ---- grouping rows under their parents ---- */

/* Children of each parent row, in file order: items[off[p] .. off[p+1]). */
typedef struct s_group {
    uint32_t *off;
    uint32_t *items;
} s_group_t;

static int
s_group_build(const xt_ctx_t *x, enum xt_table child, enum xt_table parent, s_group_t *g)
{
    const xt_tab_t *c = &x->tab[child];
    uint32_t np = x->tab[parent].n;
    g->off = calloc((size_t)np + 2, sizeof *g->off);
    g->items = malloc(((size_t)c->n + 1) * sizeof *g->items);
    if (!g->off || !g->items)
        return IAPT_ENOMEM;
    for (uint32_t i = 0; i < c->n; i++)
        if (!c->row[i].rejected)
            g->off[c->row[i].parent + 2]++;
    for (uint32_t p = 0; p < np; p++)
        g->off[p + 2] += g->off[p + 1];
    /* off[p + 1] is now the next free slot of parent p. */
    for (uint32_t i = 0; i < c->n; i++)
        if (!c->row[i].rejected)
            g->items[g->off[c->row[i].parent + 1]++] = i;
    return 0;
}

static void
s_group_free(s_group_t *g)
{
    free(g->off);
    free(g->items);
    g->off = g->items = NULL;
}

/* ---- building records ---- */

/* A row to order by (day, rank, line): rank puts IDS606 before IDS607. */
typedef struct s_key {
    int32_t day;
    int32_t rank;
    uint64_t line;
    uint32_t idx;
    enum xt_table table;
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

typedef struct s_build {
    xt_ctx_t *x;
    s_group_t contacts;   /* IDS201 by referral */
    s_group_t activities; /* IDS202 by contact */
    s_group_t act_scores; /* IDS607 by activity */
    s_group_t ref_scores; /* IDS606 by referral */
    s_group_t problems;   /* IDS603 by referral */
    s_group_t employment; /* IDS004 by patient */
    s_group_t ltc;        /* IDS602 by patient */
    s_scratch_t s;
} s_build_t;

/* Appointments of referral ri dated by the period end, in (day, line) order;
 * fills s->appt_key and returns their number through *n. */
static int
s_appointments(s_build_t *b, uint32_t ri, size_t *n, size_t *n_therapy)
{
    const xt_ctx_t *x = b->x;
    const xt_tab_t *con = &x->tab[XT_CONTACT], *act = &x->tab[XT_ACTIVITY];
    s_scratch_t *s = &b->s;
    int rc;
    *n = *n_therapy = 0;
    uint32_t from = b->contacts.off[ri], to = b->contacts.off[ri + 1];
    if ((rc = s_reserve((void **)&s->appt_key, &s->appt_key_cap, to - from, sizeof *s->appt_key)) <
        0)
        return rc;
    for (uint32_t k = from; k < to; k++) {
        const xt_row_t *c = &con->row[b->contacts.items[k]];
        if (c->v[XF_CON_DATE].n > x->opt->period->end)
            continue;
        s_key_t *key = &s->appt_key[(*n)++];
        key->day = (int32_t)c->v[XF_CON_DATE].n;
        key->rank = 0;
        key->line = c->line;
        key->idx = b->contacts.items[k];
        key->table = XT_CONTACT;
        for (uint32_t a = b->activities.off[key->idx]; a < b->activities.off[key->idx + 1]; a++)
            if (act->row[b->activities.items[a]].status[XF_ACT_CODE] == XS_VALID)
                (*n_therapy)++;
    }
    s_sort(s->appt_key, *n, sizeof *s->appt_key, s_key_cmp);
    return 0;
}

static int
s_build_one(s_build_t *b, uint32_t ri, iapt_buf_t *out, uint8_t pathway_id[16])
{
    const xt_ctx_t *x = b->x;
    const iapt_period_t *p = x->opt->period;
    const xt_tab_t *ref = &x->tab[XT_REFERRAL], *mpi = &x->tab[XT_MPI];
    const xt_tab_t *con = &x->tab[XT_CONTACT], *act = &x->tab[XT_ACTIVITY];
    const xt_tab_t *s06 = &x->tab[XT_SCORE_REF], *s07 = &x->tab[XT_SCORE_ACT];
    const xt_tab_t *prb = &x->tab[XT_PROBLEM], *emp = &x->tab[XT_EMPLOY];
    const xt_row_t *r = &ref->row[ri], *pt = &mpi->row[r->parent];
    s_scratch_t *s = &b->s;
    Iapt__PathwayRecord rec = IAPT__PATHWAY_RECORD__INIT;
    uint8_t person_id[IAPT_PSEUDONYM_BYTES];
    size_t n_appt, n_therapy, n_scores = 0, n_problems = 0, n_emp = 0;
    int rc;

    if ((rc = iapt_pseudonym_pathway(x->opt->key, x->org, r->v[XF_REF_ID].s, pathway_id)) < 0)
        return rc;
    if (pt->status[XF_MPI_NHS] == XS_VALID) {
        rc = iapt_pseudonym_person_nhs(x->opt->key, pt->v[XF_MPI_NHS].s, person_id);
        rec.person_id_basis = IAPT__PERSON_ID_BASIS__PERSON_ID_NHS_NUMBER;
    } else {
        rc = iapt_pseudonym_person_local(x->opt->key, x->org, pt->v[XF_MPI_ID].s, person_id);
        rec.person_id_basis = IAPT__PERSON_ID_BASIS__PERSON_ID_LOCAL;
    }
    if (rc < 0)
        return rc;
    rec.pathway_id.data = pathway_id;
    rec.pathway_id.len = IAPT_PSEUDONYM_BYTES;
    rec.person_id.data = person_id;
    rec.person_id.len = IAPT_PSEUDONYM_BYTES;
    rec.has_person_id_basis = 1;
    rec.commissioner = (char *)r->v[XF_REF_COMM].s;
    rec.referral_day = (int32_t)(r->v[XF_REF_RECEIVED].n - p->start);
    /* A discharge after the period end is no discharge yet: EndCode goes with it. */
    if (r->status[XF_REF_DISCH] == XS_VALID && r->v[XF_REF_DISCH].n <= p->end) {
        rec.has_discharge_day = 1;
        rec.discharge_day = (int32_t)(r->v[XF_REF_DISCH].n - p->start);
        rec.end_code = (char *)r->v[XF_REF_END].s;
    }
    rec.referral_source = (char *)r->v[XF_REF_SOURCE].s;
    rec.has_age_band = 1;
    rec.age_band = iapt_age_band((int32_t)pt->v[XF_MPI_BIRTH].n, (int32_t)r->v[XF_REF_RECEIVED].n);
    rec.gender_identity = (char *)pt->v[XF_MPI_GENDER].s;
    rec.ethnic_category = (char *)pt->v[XF_MPI_ETHNIC].s;
    if (x->imd_used && pt->v[XF_MPI_POSTCODE].s) {
        int d = iapt_imd_lookup(x->imd_used, pt->v[XF_MPI_POSTCODE].s);
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
        const xt_row_t *c = &con->row[s->appt_key[i].idx];
        Iapt__Appointment *a = &s->appt[i];
        iapt__appointment__init(a);
        a->day = (int32_t)(c->v[XF_CON_DATE].n - p->start);
        a->app_type = (char *)c->v[XF_CON_APPTYPE].s;
        a->attendance = (char *)c->v[XF_CON_ATTEND].s;
        a->mechanism = (char *)c->v[XF_CON_MECH].s;
        a->therapy = s->therapy + t;
        uint32_t ci = s->appt_key[i].idx;
        for (uint32_t k = b->activities.off[ci]; k < b->activities.off[ci + 1]; k++) {
            uint32_t ai = b->activities.items[k];
            if (act->row[ai].status[XF_ACT_CODE] == XS_VALID)
                s->therapy[t++] = (uint64_t)act->row[ai].v[XF_ACT_CODE].n;
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
        const xt_row_t *sr = &s06->row[b->ref_scores.items[k]];
        if (sr->v[XF_S06_DATE].n > p->end)
            continue;
        s_key_t *key = &s->score_key[n_scores++];
        *key = (s_key_t){(int32_t)sr->v[XF_S06_DATE].n, 606, sr->line, b->ref_scores.items[k],
                         XT_SCORE_REF};
    }
    for (size_t i = 0; i < n_appt; i++) {
        uint32_t ci = s->appt_key[i].idx;
        for (uint32_t k = b->activities.off[ci]; k < b->activities.off[ci + 1]; k++) {
            uint32_t ai = b->activities.items[k];
            for (uint32_t j = b->act_scores.off[ai]; j < b->act_scores.off[ai + 1]; j++) {
                uint32_t si = b->act_scores.items[j];
                s_key_t *key = &s->score_key[n_scores++];
                *key = (s_key_t){s->appt_key[i].day, 607, s07->row[si].line, si, XT_SCORE_ACT};
            }
        }
    }
    s_sort(s->score_key, n_scores, sizeof *s->score_key, s_key_cmp);
    if ((rc = s_reserve2((void **)&s->score, (void **)&s->score_p, &s->score_cap, n_scores,
                         sizeof *s->score)) < 0)
        return rc;
    for (size_t i = 0; i < n_scores; i++) {
        const s_key_t *key = &s->score_key[i];
        bool from606 = key->table == XT_SCORE_REF;
        const xt_row_t *sr = from606 ? &s06->row[key->idx] : &s07->row[key->idx];
        Iapt__Score *sc = &s->score[i];
        iapt__score__init(sc);
        sc->tool = (uint64_t)sr->v[from606 ? XF_S06_TOOL : XF_S07_TOOL].n;
        sc->value_x100 = (int32_t)sr->v[from606 ? XF_S06_SCORE : XF_S07_SCORE].n;
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
        const xt_row_t *pr = &prb->row[b->problems.items[k]];
        bool dated = pr->status[XF_PRB_DATE] == XS_VALID;
        if (dated && pr->v[XF_PRB_DATE].n > p->end)
            continue;
        Iapt__ProblemDescriptor *d = &s->problem[n_problems];
        iapt__problem_descriptor__init(d);
        d->code = (char *)pr->v[XF_PRB_CODE].s;
        if (pr->status[XF_PRB_SIG] == XS_VALID) {
            d->has_significance = 1;
            d->significance = (uint32_t)(pr->v[XF_PRB_SIG].s[0] - '0');
        }
        if (dated) {
            d->has_day = 1;
            d->day = (int32_t)(pr->v[XF_PRB_DATE].n - p->start);
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
        const xt_row_t *er = &emp->row[b->employment.items[k]];
        if (er->v[XF_EMP_DATE].n > p->end)
            continue;
        s->emp_key[n_emp++] = (s_key_t){(int32_t)er->v[XF_EMP_DATE].n, 0, er->line,
                                        b->employment.items[k], XT_EMPLOY};
    }
    s_sort(s->emp_key, n_emp, sizeof *s->emp_key, s_key_cmp);
    for (size_t i = 0; i < n_emp; i++) {
        const xt_row_t *er = &emp->row[s->emp_key[i].idx];
        Iapt__EmploymentRecord *e = &s->emp[i];
        iapt__employment_record__init(e);
        e->day = s->emp_key[i].day - p->start;
        e->status = (char *)er->v[XF_EMP_STATUS].s;
        e->sick_pay = (char *)er->v[XF_EMP_SSP].s;
        e->benefits = (char *)er->v[XF_EMP_BEN].s;
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

typedef struct s_entry {
    uint8_t id[IAPT_PSEUDONYM_BYTES];
    size_t off, len;
} s_entry_t;

static int
s_entry_cmp(const void *a, const void *b)
{
    return memcmp(((const s_entry_t *)a)->id, ((const s_entry_t *)b)->id, IAPT_PSEUDONYM_BYTES);
}

int
xt_records_build(xt_ctx_t *x, iapt_extract_t *ext)
{
    s_build_t b;
    iapt_buf_t buf = IAPT_BUF_INIT;
    s_entry_t *entry = NULL;
    size_t n = 0;
    const xt_tab_t *ref = &x->tab[XT_REFERRAL];
    int rc;

    memset(&b, 0, sizeof b);
    b.x = x;
    if ((rc = s_group_build(x, XT_CONTACT, XT_REFERRAL, &b.contacts)) < 0 ||
        (rc = s_group_build(x, XT_ACTIVITY, XT_CONTACT, &b.activities)) < 0 ||
        (rc = s_group_build(x, XT_SCORE_ACT, XT_ACTIVITY, &b.act_scores)) < 0 ||
        (rc = s_group_build(x, XT_SCORE_REF, XT_REFERRAL, &b.ref_scores)) < 0 ||
        (rc = s_group_build(x, XT_PROBLEM, XT_REFERRAL, &b.problems)) < 0 ||
        (rc = s_group_build(x, XT_EMPLOY, XT_MPI, &b.employment)) < 0 ||
        (rc = s_group_build(x, XT_LTC, XT_MPI, &b.ltc)) < 0)
        goto out_free;
    if (!(entry = malloc(((size_t)ref->n + 1) * sizeof *entry))) {
        rc = IAPT_ENOMEM;
        goto out_free;
    }
    for (uint32_t i = 0; i < ref->n; i++) {
        const xt_row_t *r = &ref->row[i];
        if (r->rejected || !xt_referral_selected(x, r))
            continue;
        entry[n].off = buf.len;
        if ((rc = s_build_one(&b, i, &buf, entry[n].id)) < 0)
            goto out_free;
        entry[n].len = buf.len - entry[n].off;
        n++;
    }
    /* Sorted by pathway_id: the same extract always gives the same bytes in
     * the same order, so its Merkle root can be recomputed. */
    s_sort(entry, n, sizeof *entry, s_entry_cmp);
    ext->record = calloc(n + 1, sizeof *ext->record);
    ext->record_len = calloc(n + 1, sizeof *ext->record_len);
    if (!ext->record || !ext->record_len) {
        rc = IAPT_ENOMEM;
        goto out_free;
    }
    /* The records stay where they were packed; only the pointers are sorted. */
    ext->mem->records = buf.data;
    buf = (iapt_buf_t)IAPT_BUF_INIT;
    for (size_t i = 0; i < n; i++) {
        ext->record[i] = ext->mem->records + entry[i].off;
        ext->record_len[i] = entry[i].len;
    }
    ext->n_records = n;

out_free:
    s_group_free(&b.contacts);
    s_group_free(&b.activities);
    s_group_free(&b.act_scores);
    s_group_free(&b.ref_scores);
    s_group_free(&b.problems);
    s_group_free(&b.employment);
    s_group_free(&b.ltc);
    s_scratch_free(&b.s);
    free(entry);
    iapt_buf_free(&buf);
    return rc;
}
