/*
 * synth_workforce.c - synthetic extracts of the workforce collection
 * (docs/FORMATS.md "Synthetic extracts"):
 *
 *   iapt-synth --collection WORKFORCE --providers N --months K --seed S --out DIR
 *              [--start YYYY-MM] [--scale F] [--error-rate R]
 *
 * writes DIR/geography.csv (with population_0_19), DIR/providers.csv
 * (org_code,org_name,home_subicb), DIR/imd.csv and, per provider and month,
 * DIR/<ORG>/<YYYY-MM>/WF000Header.csv, WF001Staff.csv, WF002Supervision.csv,
 * WF003Vacancy.csv with DIR/<ORG>/<YYYY-MM>.errors.csv.
 *
 * The model. A member of staff is named by (provider, month hired, serial)
 * and their working life - role, band, profession, hours, start and end in
 * post, training and its completion, weekly supervision - is drawn from a
 * stream keyed by that name and the seed alone. The extract of month M
 * replays the hires of the W_HISTORY months up to M and lists everyone in
 * post at any time in M, so StaffIds are stable from month to month,
 * starters and leavers come and go, and a trainee who passes the course in
 * one month is the qualified role the next. The services are the adult
 * generator's providers for the same --providers and --seed (synth.h), with
 * 20 to 80 staff each at --scale 1.
 *
 * Trainees (LIT, HIT, CWT) name a supervisor (SUP or HIQ in post), mostly
 * spread across them, at some services concentrated on one clinical lead
 * who then has more than five. Clinical staff are offered one supervision
 * session a week (individual, group or case management, 30-120 minutes),
 * some weeks missed.
 *
 * Injected errors go only where they cannot cascade: a row that must be
 * rejected is a member of staff nothing refers to (administrative and other
 * staff, employment advisers, service leads: no supervision, never a
 * supervisor), a supervision session or a vacancy; other errors are
 * findings that keep the row. So the errors file is meant to be the node's
 * findings for the extract at the physical lines it reports them; a clean
 * extract (--error-rate 0) has none.
 */
#include "tests/synth/synth.h"

#include "common/err.h"

#include <stdio.h>
#include <stdlib.h>

#define W_HISTORY 120    /* months of hires replayed: nobody stays longer */
#define W_TENURE 42.0    /* mean months in post */
#define W_MAX_STAFF 1024 /* in post in one month at one provider at most */
#define W_MAX_HIRES 64   /* hired in one month at one provider at most */

enum {
    W_TAG_SERVICE = SYNTH_TAG_WORKFORCE + 1,
    W_TAG_HIRES,
    W_TAG_STAFF,
    W_TAG_EXPORT,
    W_TAG_ERRORS,
    W_TAG_WEEK,
    W_TAG_VACANCY,
};

enum { T_HEADER, T_STAFF, T_SUP, T_VAC, T_COUNT };

static const char *const w_names[T_COUNT] = {
    "WF000Header.csv",
    "WF001Staff.csv",
    "WF002Supervision.csv",
    "WF003Vacancy.csv",
};

static const char *const w_cols[T_COUNT][SYNTH_FIELDS] = {
    {"OrgIDProv", "ReportingPeriodStartDate", "ReportingPeriodEndDate", "DateTimeDatSetCreate"},
    {"StaffId", "StaffRole", "AfCBand", "WTE", "PostStartDate", "PostEndDate", "Profession",
     "TrainingStartDate", "TrainingCompletedDate", "SupervisorStaffId", "Accredited"},
    {"SupervisionId", "StaffId", "SupervisorStaffId", "SessionDate", "DurationMinutes",
     "SupervisionType"},
    {"StaffRole", "AfCBand", "WTE"},
};

enum { R_LIT, R_LIQ, R_HIT, R_HIQ, R_CNS, R_CWT, R_CWQ, R_SUP, R_ESA, R_LEAD, R_OTH, R_COUNT };
static const char *const w_roles[R_COUNT] = {"LIT", "LIQ", "HIT", "HIQ",  "CNS", "CWT",
                                             "CWQ", "SUP", "ESA", "LEAD", "OTH"};

static bool
s_trainee(int role)
{
    return role == R_LIT || role == R_HIT || role == R_CWT;
}

static bool
s_clinical(int role)
{
    return role <= R_CWQ;
}

static bool
s_low_intensity(int role)
{
    return role == R_LIT || role == R_LIQ || role == R_CWT || role == R_CWQ;
}

/* The qualified role a trainee becomes. */
static int
s_qualified(int role)
{
    return role == R_LIT ? R_LIQ : role == R_HIT ? R_HIQ : role == R_CWT ? R_CWQ : role;
}

/* ------------------------------------------------------------------------ */
/* Services and staff.                                                       */

typedef struct w_service {
    const synth_provider_t *p;
    double headcount; /* staff in post at steady state */
    unsigned hire_w[R_COUNT];
    double miss;     /* chance a week's supervision is missed */
    double group;    /* share of sessions in groups */
    bool lead_heavy; /* trainees mostly with one supervisor */
    double vacancy;  /* vacant WTE per staff member */
} w_service_t;

static void
s_service_make(const synth_opts_t *o, const synth_provider_t *p, w_service_t *s)
{
    synth_rng_t r = synth_rng(synth_key3(o->seed, W_TAG_SERVICE, (uint64_t)p->idx));
    memset(s, 0, sizeof *s);
    s->p = p;
    double h = synth_clampd(18.0 + 38.0 * p->size, 26.0, 76.0);
    s->headcount = synth_clampd(h * o->scale, 2.0, 4000.0);
    static const unsigned base[R_COUNT] = {170, 120, 90, 150, 70, 0, 0, 45, 40, 12, 90};
    for (int i = 0; i < R_COUNT; i++)
        s->hire_w[i] = base[i];
    if (synth_chance(&r, 0.35)) { /* also trains children's wellbeing practitioners */
        s->hire_w[R_CWT] = (unsigned)synth_range(&r, 30, 70);
        s->hire_w[R_CWQ] = (unsigned)synth_range(&r, 5, 20);
    }
    s->miss = synth_clampd(0.06 + 0.04 * synth_normal(&r), 0.01, 0.25);
    s->group = synth_clampd(0.25 + 0.1 * synth_normal(&r), 0.05, 0.5);
    s->lead_heavy = synth_chance(&r, 0.3);
    s->vacancy = synth_clampd(0.08 + 0.04 * synth_normal(&r), 0.0, 0.25);
}

typedef struct w_staff {
    uint64_t key;
    char id[SYNTH_FIELD];
    int hired_role; /* the role at hire; a trainee becomes s_qualified() */
    const char *band, *qband, *profession;
    char wte[8];                     /* "0.60" */
    int32_t start, end;              /* end: last day in post, INT32_MAX when staying */
    int32_t train_start, train_done; /* -1 when none */
    bool accredited;
    int slot; /* index in the month's in-post list */
} w_staff_t;

static const char *
s_band(synth_rng_t *r, int role)
{
    static const char *const b2[] = {"2", "3", "4"};
    switch (role) {
    case R_LIT:
    case R_CWT:
        return "4";
    case R_LIQ:
    case R_CWQ:
        return synth_chance(r, 0.85) ? "5" : "6";
    case R_HIT:
        return synth_chance(r, 0.5) ? "6" : "7";
    case R_HIQ:
        return synth_chance(r, 0.7) ? "7" : synth_chance(r, 0.8) ? "8a" : "8b";
    case R_CNS:
        return synth_chance(r, 0.6) ? "6" : "7";
    case R_SUP:
        return synth_chance(r, 0.6) ? "8a" : synth_chance(r, 0.85) ? "8b" : "8c";
    case R_ESA:
        return synth_chance(r, 0.7) ? "5" : "6";
    case R_LEAD:
        return synth_chance(r, 0.8) ? "8b" : "8c";
    default:
        return b2[synth_below(r, 3)];
    }
}

static const char *
s_profession(synth_rng_t *r, int role)
{
    static const synth_code_t li[] = {{"GRD", 80}, {"PSY", 5}, {"OTH", 10}, {"", 5}};
    static const synth_code_t hi[] = {{"NUR", 20}, {"CLP", 10}, {"COP", 8},  {"OT", 8}, {"SW", 8},
                                      {"PSY", 10}, {"CNS", 6},  {"OTH", 25}, {"", 5}};
    static const synth_code_t sup[] = {{"CLP", 40}, {"COP", 20}, {"NUR", 20}, {"PSY", 15}, {"", 5}};
    if (s_low_intensity(role))
        return synth_pick(r, li, SYNTH_N(li));
    if (role == R_HIT || role == R_HIQ)
        return synth_pick(r, hi, SYNTH_N(hi));
    if (role == R_CNS)
        return synth_chance(r, 0.85) ? "CNS" : "PSY";
    if (role == R_SUP || role == R_LEAD)
        return synth_pick(r, sup, SYNTH_N(sup));
    return synth_chance(r, 0.7) ? "" : "OTH";
}

static int
s_hires(const synth_opts_t *o, const w_service_t *s, int mi)
{
    synth_rng_t r =
        synth_rng(synth_key3(synth_key(o->seed, W_TAG_HIRES), (uint64_t)s->p->idx, (uint64_t)mi));
    /* Trainees leaving during the course and the longest stays cut at
     * W_HISTORY make the mean stay about 0.9 of W_TENURE. */
    int n = synth_poisson(&r, s->headcount / (0.9 * W_TENURE));
    return n > W_MAX_HIRES ? W_MAX_HIRES : n;
}

/* Staff member j hired in month mi. */
static void
s_staff_make(const synth_opts_t *o, const w_service_t *s, int mi, int j, w_staff_t *st)
{
    uint64_t key = synth_key3(synth_key3(o->seed, W_TAG_STAFF, (uint64_t)s->p->idx), (uint64_t)mi,
                              (uint64_t)j);
    synth_rng_t r = synth_rng(key);
    memset(st, 0, sizeof *st);
    st->key = key;
    snprintf(st->id, sizeof st->id, "ST7%03d%02d", mi % 1000, j % 100);
    st->hired_role = synth_weighted(&r, s->hire_w, R_COUNT);
    st->band = s_band(&r, st->hired_role);
    st->qband = s_band(&r, s_qualified(st->hired_role));
    st->profession = s_profession(&r, st->hired_role);
    if (synth_chance(&r, 0.03))
        st->band = st->qband = "";
    if (synth_chance(&r, 0.62)) {
        synth_copy(st->wte, sizeof st->wte, "1.00");
    } else {
        static const int common[] = {20, 40, 50, 53, 60, 70, 80, 90};
        int h = synth_chance(&r, 0.75) ? common[synth_below(&r, 8)] : synth_range(&r, 20, 99);
        snprintf(st->wte, sizeof st->wte, "0.%02d", h);
    }
    iapt_period_t m;
    synth_month_of(mi, &m);
    st->start = synth_chance(&r, 0.3)
                    ? m.start
                    : synth_workday(&r, m.start + (int32_t)synth_below(&r, (uint32_t)m.length));
    if (st->start > m.end)
        st->start = m.end;
    double months = -log(1.0 - synth_unif(&r)) * W_TENURE;
    st->train_start = st->train_done = -1;
    if (s_trainee(st->hired_role)) {
        /* The course starts with the post or within days, in the month of hire
         * (so every month that lists the trainee can give its start). */
        st->train_start = st->start + (synth_chance(&r, 0.7) ? 0 : synth_range(&r, 1, 14));
        if (st->train_start > m.end)
            st->train_start = m.end > st->start ? m.end : st->start;
        int course =
            st->hired_role == R_HIT ? synth_range(&r, 365, 700) : synth_range(&r, 330, 400);
        if (synth_chance(&r, 0.1)) {
            months = synth_range(&r, 2, 10); /* left during the course */
        } else {
            st->train_done = st->train_start + course;
            if (months * 30.4 < course + 60)
                months = (course + 60 + synth_range(&r, 0, 900)) / 30.4;
        }
    }
    if (months >= W_HISTORY - 1)
        st->end = INT32_MAX;
    else
        st->end = st->start + (int32_t)(months * 30.4375) + 1;
    st->accredited =
        synth_chance(&r, st->hired_role == R_HIQ || st->hired_role == R_HIT ? 0.6 : 0.1);
}

/* Role and band in the month ending E: the qualified role from the month
 * after the course was passed. */
static int
s_role_in(const w_staff_t *st, int32_t S)
{
    if (st->train_done >= 0 && st->train_done < S)
        return s_qualified(st->hired_role);
    return st->hired_role;
}

/* ------------------------------------------------------------------------ */
/* Writing an extract.                                                       */

typedef struct w_ctx {
    const synth_opts_t *o;
    const w_service_t *s;
    int mi;
    int32_t S, E, C;
    synth_extract_t ex;
    w_staff_t *staff;
    int n_staff;
    int *role;       /* role of staff[i] in the month */
    int *supervisor; /* index of a trainee's supervisor, -1 none */
    bool *leaf;      /* nothing refers to staff[i] */
    uint64_t people;
} w_ctx_t;

static const char *
s_one_of(synth_rng_t *r, const char *const *v, int n)
{
    return v[synth_below(r, (uint32_t)n)];
}

/* A trainee's supervisor: among those in post all month able to supervise
 * (SUP, HIQ), the one whose weighted hash with the trainee is highest, so
 * the choice holds while both stay; at lead-heavy services the first
 * clinical supervisor takes most. */
static int
s_pick_supervisor(const w_ctx_t *x, int i)
{
    int best = -1, lead = -1;
    double best_v = -1;
    for (int k = 0; k < x->n_staff; k++) {
        int role = x->role[k];
        if (k == i || (role != R_SUP && role != R_HIQ))
            continue;
        if (x->staff[k].start > x->S || x->staff[k].end < x->E)
            continue;
        if (role == R_SUP && lead < 0)
            lead = k;
        synth_rng_t r = synth_rng(synth_key(x->staff[i].key, x->staff[k].key));
        double v = synth_unif(&r) * (role == R_SUP ? 3.0 : 1.0);
        if (v > best_v) {
            best_v = v;
            best = k;
        }
    }
    /* Nobody able to supervise in post all month: anyone qualified listed. */
    for (int k = 0; k < x->n_staff && best < 0; k++)
        if (k != i && (x->role[k] == R_SUP || x->role[k] == R_HIQ))
            best = k;
    for (int k = 0; k < x->n_staff && best < 0; k++)
        if (k != i && s_clinical(x->role[k]) && !s_trainee(x->role[k]))
            best = k;
    if (x->s->lead_heavy && lead >= 0) {
        synth_rng_t r = synth_rng(synth_key(x->staff[i].key, 0x1ead));
        if (synth_chance(&r, 0.75))
            return lead;
    }
    return best;
}

static void
s_inject_leaf_staff(w_ctx_t *x, synth_row_t *row, int32_t start)
{
    static const char *const wtes[] = {"1.5", "0", "0.333", "abc", "1.01", "0.00"};
    static const char *const roles[] = {"PWP", "lit", "HI", "ADM", "SUPV"};
    synth_extract_t *e = &x->ex;
    synth_table_t *t = &e->t[T_STAFF];
    uint64_t line = synth_next_line(e, T_STAFF);
    uint32_t k = synth_below(&e->err_rng, 10);
    if (k == 0 && t->dup_ok) {
        synth_copy(row->f[0], SYNTH_FIELD, t->dup_id);
        synth_record(e, T_STAFF, t->dup_line, 0, "duplicate-id");
        synth_record(e, T_STAFF, line, 0, "duplicate-id");
        t->dup_ok = false;
    } else if (k < 4) {
        const char *w = s_one_of(&e->err_rng, wtes, SYNTH_N(wtes));
        synth_row_set(row, 3, w);
        bool number = strcmp(w, "abc") && strcmp(w, "0.333");
        synth_record(e, T_STAFF, line, 3, number ? "out-of-range" : "bad-number");
    } else if (k < 6) {
        synth_row_set(row, 1, s_one_of(&e->err_rng, roles, SYNTH_N(roles)));
        synth_record(e, T_STAFF, line, 1, "unknown-code");
    } else if (k < 8) {
        synth_row_date(row, 5, start - synth_range(&e->err_rng, 1, 200));
        synth_record(e, T_STAFF, line, 5, "end-before-start");
    } else {
        synth_bad_date(&e->err_rng, start, row->f[4]);
        synth_record(e, T_STAFF, line, 4, "bad-date");
    }
    synth_placed(e, T_STAFF);
}

/* Errors on any row that keep it: codes of optional fields, a trainee's
 * supervisor, a bad completion date. */
static void
s_inject_staff(w_ctx_t *x, synth_row_t *row, int role, int32_t done)
{
    static const char *const bands[] = {"8e", "10", "1", "B7", "8A"};
    static const char *const profs[] = {"DR", "PHY", "nurse", "CBT"};
    static const char *const acc[] = {"y", "Yes", "1", "n"};
    synth_extract_t *e = &x->ex;
    uint64_t line = synth_next_line(e, T_STAFF);
    uint32_t k = synth_below(&e->err_rng, 10);
    if (s_trainee(role) && row->f[9][0] && k < 4) {
        if (k < 2) {
            synth_copy(row->f[9], SYNTH_FIELD, row->f[0]);
            row->f[9][2] = '4'; /* no StaffId starts "ST4" */
            synth_record(e, T_STAFF, line, 9, "orphan");
        } else {
            row->f[9][0] = 0;
            synth_record(e, T_STAFF, line, 9, "missing");
        }
    } else if (done >= 0 && k < 5) {
        synth_bad_date(&e->err_rng, done, row->f[8]);
        synth_record(e, T_STAFF, line, 8, "bad-date");
    } else if (k < 7) {
        synth_row_set(row, 2, s_one_of(&e->err_rng, bands, SYNTH_N(bands)));
        synth_record(e, T_STAFF, line, 2, "unknown-code");
    } else if (k < 9) {
        synth_row_set(row, 6, s_one_of(&e->err_rng, profs, SYNTH_N(profs)));
        synth_record(e, T_STAFF, line, 6, "unknown-code");
    } else {
        synth_row_set(row, 10, s_one_of(&e->err_rng, acc, SYNTH_N(acc)));
        synth_record(e, T_STAFF, line, 10, "unknown-code");
    }
    synth_placed(e, T_STAFF);
}

static void
s_inject_session(w_ctx_t *x, synth_row_t *row, int32_t date)
{
    static const char *const mins[] = {"0", "601", "720", "-30"};
    static const char *const nums[] = {"abc", "45.5", "1h", "60m"};
    static const char *const types[] = {"X", "i", "GRP", "CM"};
    synth_extract_t *e = &x->ex;
    synth_table_t *t = &e->t[T_SUP];
    uint64_t line = synth_next_line(e, T_SUP);
    uint32_t k = synth_below(&e->err_rng, 11);
    if (k == 0 && t->dup_ok) {
        synth_copy(row->f[0], SYNTH_FIELD, t->dup_id);
        synth_record(e, T_SUP, t->dup_line, 0, "duplicate-id");
        synth_record(e, T_SUP, line, 0, "duplicate-id");
        t->dup_ok = false;
    } else if (k < 4) {
        row->f[1][2] = '4';
        synth_record(e, T_SUP, line, 1, "orphan");
    } else if (k < 6) {
        synth_bad_date(&e->err_rng, date, row->f[3]);
        synth_record(e, T_SUP, line, 3, "bad-date");
    } else if (k < 7) {
        synth_row_set(row, 4, s_one_of(&e->err_rng, mins, SYNTH_N(mins)));
        synth_record(e, T_SUP, line, 4, "out-of-range");
    } else if (k < 8) {
        synth_row_set(row, 4, s_one_of(&e->err_rng, nums, SYNTH_N(nums)));
        synth_record(e, T_SUP, line, 4, "bad-number");
    } else {
        synth_row_set(row, 5, s_one_of(&e->err_rng, types, SYNTH_N(types)));
        synth_record(e, T_SUP, line, 5, "unknown-code");
    }
    synth_placed(e, T_SUP);
}

static void
s_inject_vacancy(w_ctx_t *x, synth_row_t *row)
{
    static const char *const roles[] = {"PWP", "lit", "HI", "ADM"};
    static const char *const wtes[] = {"1.5", "0", "2.00"};
    synth_extract_t *e = &x->ex;
    uint64_t line = synth_next_line(e, T_VAC);
    uint32_t k = synth_below(&e->err_rng, 4);
    if (k < 2) {
        synth_row_set(row, 0, s_one_of(&e->err_rng, roles, SYNTH_N(roles)));
        synth_record(e, T_VAC, line, 0, "unknown-code");
    } else {
        synth_row_set(row, 2, s_one_of(&e->err_rng, wtes, SYNTH_N(wtes)));
        synth_record(e, T_VAC, line, 2, "out-of-range");
    }
    synth_placed(e, T_VAC);
}

static void
s_write_staff(w_ctx_t *x)
{
    synth_extract_t *e = &x->ex;
    synth_row_t row;
    for (int i = 0; i < x->n_staff && !e->rc; i++) {
        const w_staff_t *st = &x->staff[i];
        int role = x->role[i];
        bool trainee = s_trainee(role);
        synth_row_init(e, T_STAFF, &row);
        synth_row_set(&row, 0, st->id);
        synth_row_set(&row, 1, w_roles[role]);
        synth_row_set(&row, 2, role == st->hired_role ? st->band : st->qband);
        synth_row_set(&row, 3, st->wte);
        synth_row_date(&row, 4, st->start);
        if (st->end <= x->C)
            synth_row_date(&row, 5, st->end);
        synth_row_set(&row, 6, st->profession);
        if (st->train_start >= 0 && st->train_start <= x->C)
            synth_row_date(&row, 7, st->train_start);
        int32_t done = st->train_done >= 0 && st->train_done <= x->E ? st->train_done : -1;
        if (done >= 0)
            synth_row_date(&row, 8, done);
        if (trainee && x->supervisor[i] >= 0)
            synth_row_set(&row, 9, x->staff[x->supervisor[i]].id);
        else if (trainee) /* nobody to name (a tiny service): a finding of the data */
            synth_record(e, T_STAFF, synth_next_line(e, T_STAFF), 9, "missing");
        if (s_clinical(role))
            synth_row_set(&row, 10, st->accredited ? "Y" : "N");
        if (synth_due(e, T_STAFF, true)) {
            if (x->leaf[i])
                s_inject_leaf_staff(x, &row, st->start);
            else
                s_inject_staff(x, &row, role, done);
        } else if (x->leaf[i]) {
            synth_dup_candidate(e, T_STAFF, st->id);
        }
        synth_emit(e, T_STAFF, &row);
    }
}

/* Weekly supervision of the clinical staff: a session most weeks (Monday
 * to Sunday weeks touching the period; sessions on working days in post). */
static void
s_write_supervision(w_ctx_t *x)
{
    synth_extract_t *e = &x->ex;
    synth_row_t row;
    char v[SYNTH_FIELD];
    int32_t monday = x->S - synth_weekday(x->S);
    for (int i = 0; i < x->n_staff && !e->rc; i++) {
        const w_staff_t *st = &x->staff[i];
        int role = x->role[i];
        if (!s_clinical(role))
            continue;
        for (int32_t w = monday; w <= x->E && !e->rc; w += 7) {
            synth_rng_t r = synth_rng(synth_key(st->key, synth_key(W_TAG_WEEK, (uint64_t)w)));
            int n = synth_chance(&r, x->s->miss) ? 0 : synth_chance(&r, 0.12) ? 2 : 1;
            for (int k = 0; k < n; k++) {
                int32_t d = w + (int32_t)synth_below(&r, 5);
                if (d < x->S || d > x->E || d < st->start || d > st->end)
                    continue;
                const char *type;
                int minutes;
                double u = synth_unif(&r);
                if (u < x->s->group) {
                    type = "G";
                    minutes = synth_chance(&r, 0.7) ? 120 : synth_range(&r, 6, 11) * 10;
                } else if (u < x->s->group + (s_low_intensity(role) ? 0.35 : 0.03)) {
                    type = "C";
                    minutes = synth_chance(&r, 0.7) ? 60 : synth_range(&r, 3, 9) * 10;
                } else {
                    type = "I";
                    double w_u = synth_unif(&r);
                    minutes = w_u < 0.7 ? 60 : w_u < 0.9 ? 90 : synth_range(&r, 3, 5) * 10;
                }
                char sid[SYNTH_FIELD];
                snprintf(sid, sizeof sid, "SV%s%d%d", st->id + 2, (int)((w - monday) / 7), k);
                synth_row_init(e, T_SUP, &row);
                synth_row_set(&row, 0, sid);
                synth_row_set(&row, 1, st->id);
                int sup = s_trainee(role) ? x->supervisor[i] : -1;
                if (sup < 0 && !synth_chance(&r, 0.15)) {
                    for (int t = 0; t < 8 && sup < 0; t++) {
                        int c = (int)synth_below(&r, (uint32_t)x->n_staff);
                        if (c != i && (x->role[c] == R_SUP || x->role[c] == R_HIQ))
                            sup = c;
                    }
                }
                if (sup >= 0)
                    synth_row_set(&row, 2, x->staff[sup].id);
                synth_row_date(&row, 3, d);
                snprintf(v, sizeof v, "%d", minutes);
                synth_row_set(&row, 4, v);
                synth_row_set(&row, 5, type);
                if (synth_due(e, T_SUP, true))
                    s_inject_session(x, &row, d);
                else
                    synth_dup_candidate(e, T_SUP, sid);
                synth_emit(e, T_SUP, &row);
            }
        }
    }
}

static void
s_write_vacancies(w_ctx_t *x)
{
    synth_extract_t *e = &x->ex;
    synth_rng_t r = synth_rng(
        synth_key3(synth_key(x->o->seed, W_TAG_VACANCY), (uint64_t)x->s->p->idx, (uint64_t)x->mi));
    int n = synth_poisson(&r, x->s->headcount * x->s->vacancy);
    synth_row_t row;
    for (int i = 0; i < n && !e->rc; i++) {
        int role = synth_weighted(&r, x->s->hire_w, R_COUNT);
        synth_row_init(e, T_VAC, &row);
        synth_row_set(&row, 0, w_roles[role]);
        if (!synth_chance(&r, 0.1))
            synth_row_set(&row, 1, s_band(&r, role));
        synth_row_set(&row, 2,
                      synth_chance(&r, 0.8)   ? "1.00"
                      : synth_chance(&r, 0.5) ? "0.50"
                                              : "0.60");
        if (synth_due(e, T_VAC, true))
            s_inject_vacancy(x, &row);
        synth_emit(e, T_VAC, &row);
    }
}

static int
s_extract(const synth_opts_t *o, const w_service_t *s, int mi, uint64_t *people, uint64_t *errors)
{
    w_ctx_t x;
    memset(&x, 0, sizeof x);
    x.o = o;
    x.s = s;
    x.mi = mi;
    iapt_period_t per;
    synth_month_of(mi, &per);
    x.S = per.start;
    x.E = per.end;
    synth_rng_t r =
        synth_rng(synth_key3(synth_key(o->seed, W_TAG_EXPORT), (uint64_t)s->p->idx, (uint64_t)mi));
    x.C = x.E + synth_range(&r, 2, 6);
    int rc = synth_extract_init(
        &x.ex, T_COUNT, w_names, w_cols, o->error_rate,
        synth_key3(synth_key(o->seed, W_TAG_ERRORS), (uint64_t)s->p->idx, (uint64_t)mi));
    x.staff = calloc(W_MAX_STAFF, sizeof *x.staff);
    x.role = calloc(W_MAX_STAFF, sizeof *x.role);
    x.supervisor = calloc(W_MAX_STAFF, sizeof *x.supervisor);
    x.leaf = calloc(W_MAX_STAFF, sizeof *x.leaf);
    if (!rc && (!x.staff || !x.role || !x.supervisor || !x.leaf))
        rc = iapt_error_set(IAPT_ENOMEM, "no memory for a workforce extract");
    if (rc)
        goto out;

    synth_row_t row;
    synth_row_init(&x.ex, T_HEADER, &row);
    synth_row_set(&row, 0, s->p->code);
    synth_row_date(&row, 1, x.S);
    synth_row_date(&row, 2, x.E);
    char ts[SYNTH_FIELD], day[11];
    iapt_date_format(x.C, day);
    snprintf(ts, sizeof ts, "%sT%02d:%02d:%02d", day, synth_range(&r, 1, 5), synth_range(&r, 0, 59),
             synth_range(&r, 0, 59));
    synth_row_set(&row, 3, ts);
    synth_emit(&x.ex, T_HEADER, &row); /* never an error: a bad header refuses the extract */
    x.ex.t[T_HEADER].owed = 0;

    /* Everyone in post at any time in the period. */
    for (int m = mi - W_HISTORY + 1; m <= mi; m++) {
        int n = s_hires(o, s, m);
        for (int j = 0; j < n && !rc; j++) {
            if (x.n_staff == W_MAX_STAFF) {
                rc = iapt_error_set(IAPT_EUSAGE, "%s: more than %d staff in a month; lower --scale",
                                    s->p->code, W_MAX_STAFF);
                break;
            }
            w_staff_t *st = &x.staff[x.n_staff];
            s_staff_make(o, s, m, j, st);
            if (st->start <= x.E && st->end >= x.S)
                x.n_staff++;
        }
    }
    if (rc)
        goto out;
    for (int i = 0; i < x.n_staff; i++)
        x.role[i] = s_role_in(&x.staff[i], x.S);
    for (int i = 0; i < x.n_staff; i++) {
        x.supervisor[i] = s_trainee(x.role[i]) ? s_pick_supervisor(&x, i) : -1;
        x.leaf[i] = !s_clinical(x.role[i]) && x.role[i] != R_SUP;
    }
    s_write_staff(&x);
    s_write_supervision(&x);
    s_write_vacancies(&x);
    rc = synth_extract_write(&x.ex, o->out, s->p->code, per.text);
    *people += (uint64_t)x.n_staff;
    *errors += x.ex.n_errs;
out:
    free(x.staff);
    free(x.role);
    free(x.supervisor);
    free(x.leaf);
    synth_extract_free(&x.ex);
    return rc;
}

int
synth_workforce_run(const synth_opts_t *o)
{
    static synth_geo_t geo;
    int64_t t0 = iapt_clock_ms();
    synth_geo_build(&geo);
    synth_provider_t *prov = NULL;
    w_service_t *svc = NULL;
    int rc = synth_providers_make(o->seed, o->providers, &geo, &prov);
    if (!rc && !(svc = calloc((size_t)o->providers, sizeof *svc)))
        rc = iapt_error_set(IAPT_ENOMEM, "no memory for %d services", o->providers);
    if (!rc)
        rc = synth_claim_out(o->out, "WORKFORCE");
    if (!rc)
        rc = synth_write_reference(o->out, &geo, prov, o->providers, true);
    uint64_t people = 0, errors = 0;
    int first = synth_month_index(&o->start);
    for (int i = 0; i < o->providers && !rc; i++) {
        s_service_make(o, &prov[i], &svc[i]);
        for (int k = 0; k < o->months && !rc; k++)
            rc = s_extract(o, &svc[i], first + k, &people, &errors);
    }
    free(svc);
    free(prov);
    if (rc)
        return rc;
    fprintf(stderr,
            "iapt-synth: WORKFORCE: %d provider%s, %d month%s from %s, %llu staff rows written, "
            "%llu errors injected, %.1f s\n",
            o->providers, o->providers == 1 ? "" : "s", o->months, o->months == 1 ? "" : "s",
            o->start.text, (unsigned long long)people, (unsigned long long)errors,
            (double)(iapt_clock_ms() - t0) / 1000.0);
    return 0;
}
