/*
 * synth_cyp.c - synthetic extracts of the children and young people's
 * collection (CYP IAPT; docs/FORMATS.md "Synthetic extracts"):
 *
 *   iapt-synth --collection CYP --providers N --months K --seed S --out DIR
 *              [--start YYYY-MM] [--scale F] [--error-rate R] [--cyp-tools FILE]
 *
 * writes DIR/geography.csv (with population_0_19), DIR/providers.csv
 * (org_code,org_name,home_subicb), DIR/imd.csv and, per provider and month,
 * DIR/<ORG>/<YYYY-MM>/CYP000Header.csv, CYP001MPI.csv, CYP101Referral.csv,
 * CYP201CareContact.csv, CYP607CodedScore.csv with DIR/<ORG>/<YYYY-MM>.errors.csv.
 *
 * The model is the adult generator's: a referral is named by (provider,
 * month received, serial) and its whole life - child, team, dates,
 * appointments, session-by-session scores and goals, closure - is drawn
 * from a stream keyed by that name and the seed alone. The extract of month
 * M replays the referrals received in the C_HISTORY months up to it and
 * writes those open in M with every event up to the export day (a few days
 * after M ends), so a referral continues from month to month with its
 * history and a month's extract does not depend on what else is generated.
 * The providers are those of the adult generator for the same --providers
 * and --seed (synth.h).
 *
 * Scores follow the tool table read at run time (--cyp-tools): every
 * symptom tool and the goal tool of the table may be used, with starting
 * scores on either side of the tool's caseness and changes measured against
 * its reliable change, so most improve, some deteriorate, the rest do not
 * change reliably. Nothing here knows a tool by its code.
 *
 * Injected errors are placed only where they cannot cascade (rows nothing
 * refers to, or fields whose invalidity is a finding that keeps the row),
 * and only on rows the node selects for the period, so the errors file is
 * meant to be the node's findings for the extract at the physical lines it
 * reports them. The one finding clean data has is the age band `26+`
 * (CYP.md: outside the programme's range), which is data, not an injected
 * error, and is not in the errors file.
 */
#include "tests/synth/synth.h"

#include "common/csv.h"
#include "common/err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#define C_HISTORY 18      /* months of referrals replayed before each extract month */
#define C_MAX_LIFE 530    /* days from referral to closure at most: fits C_HISTORY */
#define C_BASE 118.0      /* new referrals a month of an average provider at scale 1 */
#define C_MAX_CONTACTS 48 /* appointments of a referral at most */
#define C_MAX_SERIES 5    /* symptom tools (2) and goals (3) of a referral */
#define C_MAX_TOOLS 32
#define C_NHS_MONTHS 48
#define C_NHS_SERIALS 11250

enum {
    C_TAG_PROVIDER = SYNTH_TAG_CYP + 1,
    C_TAG_COUNT,
    C_TAG_REFERRAL,
    C_TAG_EXPORT,
    C_TAG_ERRORS,
    C_TAG_NHS,
};

enum { T_HEADER, T_MPI, T_REF, T_CONTACT, T_SCORE, T_COUNT };

static const char *const c_names[T_COUNT] = {
    "CYP000Header.csv",      "CYP001MPI.csv",        "CYP101Referral.csv",
    "CYP201CareContact.csv", "CYP607CodedScore.csv",
};

static const char *const c_cols[T_COUNT][SYNTH_FIELDS] = {
    {"OrgIDProv", "ReportingPeriodStartDate", "ReportingPeriodEndDate", "DateTimeDatSetCreate",
     "OrgSector"},
    {"LocalPatientId", "NHSNumber", "PersonBirthDate", "Postcode", "GenderIdentity",
     "EthnicCategory"},
    {"ServiceRequestId", "LocalPatientId", "OrgIDComm", "ReferralRequestReceivedDate",
     "SourceOfReferral", "TeamType", "PrimReasonReferral", "ServDischDate"},
    {"CareContactId", "ServiceRequestId", "CareContDate", "AttendOrDNACode", "ConsMechanism"},
    {"ServiceRequestId", "AssToolCompDate", "CodedAssToolType", "PersScore", "GoalNumber"},
};

/* ------------------------------------------------------------------------ */
/* The tool table (CYP.md "Assessment tools"), values in hundredths.         */

typedef struct c_tool {
    char code[SYNTH_FIELD];
    bool goal;
    bool lower; /* better = lower */
    long min, max, caseness, rc;
} c_tool_t;

typedef struct c_tools {
    int n;
    c_tool_t t[C_MAX_TOOLS];
    int n_symptom;
    int symptom[C_MAX_TOOLS];
    int goal; /* index of the goal tool, -1 when none */
} c_tools_t;

/* "12", "-3", "2.45", "0.5" as hundredths; false when not such a number. */
static bool
s_hundredths(const char *s, long *out)
{
    bool neg = *s == '-';
    if (neg)
        s++;
    if (*s < '0' || *s > '9')
        return false;
    long v = 0;
    while (*s >= '0' && *s <= '9') {
        if (v > 100000000L)
            return false;
        v = v * 10 + (*s++ - '0');
    }
    v *= 100;
    if (*s == '.') {
        s++;
        if (*s < '0' || *s > '9')
            return false;
        v += 10 * (*s++ - '0');
        if (*s >= '0' && *s <= '9')
            v += *s++ - '0';
    }
    if (*s)
        return false;
    *out = neg ? -v : v;
    return true;
}

static int
s_tools_load(const char *path, c_tools_t *tt)
{
    static const char *const want[8] = {"code", "name",   "kind",     "min",
                                        "max",  "better", "caseness", "reliable_change"};
    iapt_csv_t *csv = NULL;
    int rc = iapt_csv_open(path, NULL, &csv);
    if (rc < 0)
        return iapt_error_set(IAPT_EUSAGE, "--cyp-tools %s: cannot read the tool table", path);
    memset(tt, 0, sizeof *tt);
    tt->goal = -1;
    int col[8];
    const iapt_csv_row_t *row;
    rc = iapt_csv_next(csv, &row);
    if (rc <= 0) {
        rc = iapt_error_set(IAPT_EUSAGE, "--cyp-tools %s: empty file", path);
        goto out;
    }
    for (int i = 0; i < 8; i++)
        if ((col[i] = iapt_csv_column(row, want[i])) < 0) {
            rc = iapt_error_set(IAPT_EUSAGE, "--cyp-tools %s: no column '%s'", path, want[i]);
            goto out;
        }
    while ((rc = iapt_csv_next(csv, &row)) > 0) {
        if (row->n == 1 && !row->field[0][0])
            continue;
        if (tt->n == C_MAX_TOOLS) {
            rc = iapt_error_set(IAPT_EUSAGE, "--cyp-tools %s:%llu: more than %d tools", path,
                                (unsigned long long)row->line, C_MAX_TOOLS);
            goto out;
        }
        const char *f[8];
        for (int i = 0; i < 8; i++)
            f[i] = (size_t)col[i] < row->n ? row->field[col[i]] : "";
        c_tool_t *t = &tt->t[tt->n];
        bool ok = f[0][0] && strlen(f[0]) < sizeof t->code;
        ok = ok && (!strcmp(f[2], "goal") || !strcmp(f[2], "symptom"));
        ok = ok && (!strcmp(f[5], "lower") || !strcmp(f[5], "higher"));
        ok = ok && s_hundredths(f[3], &t->min) && s_hundredths(f[4], &t->max) && t->min < t->max;
        ok = ok && s_hundredths(f[7], &t->rc) && t->rc > 0;
        t->goal = !strcmp(f[2], "goal");
        t->lower = !strcmp(f[5], "lower");
        if (ok && !t->goal)
            ok = s_hundredths(f[6], &t->caseness) && t->caseness > t->min && t->caseness < t->max;
        if (ok && t->goal)
            ok = !t->lower && tt->goal < 0;
        if (!ok) {
            rc = iapt_error_set(IAPT_EUSAGE, "--cyp-tools %s:%llu: not a valid tool row", path,
                                (unsigned long long)row->line);
            goto out;
        }
        synth_copy(t->code, sizeof t->code, f[0]);
        if (t->goal)
            tt->goal = tt->n;
        else
            tt->symptom[tt->n_symptom++] = tt->n;
        tt->n++;
    }
    if (rc < 0) {
        rc = iapt_error_set(IAPT_EUSAGE, "--cyp-tools %s: %s", path, iapt_error_detail());
        goto out;
    }
    rc = 0;
    if (tt->n_symptom == 0)
        rc = iapt_error_set(IAPT_EUSAGE, "--cyp-tools %s: no symptom tool", path);
out:
    iapt_csv_close(&csv);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Providers as CYP services.                                                */

enum { TEAM_CWP, TEAM_MHST, TEAM_CAMHS, TEAM_OTH, TEAM_COUNT };
static const char *const c_team_codes[TEAM_COUNT] = {"CWP", "MHST", "CAMHS", "OTH"};

typedef struct c_service {
    const synth_provider_t *p;
    const char *sector; /* OrgSector: "NHS" "LA" "VCS" "YJ", "" unrecorded */
    unsigned team_w[TEAM_COUNT];
    double wait;     /* median days to the first attended contact (CAMHS longer) */
    double dna;      /* chance an appointment is not attended (code 3) */
    double cancel;   /* chance it is cancelled (2 or 4) */
    double f2f;      /* share of attended contacts face to face */
    double score_q;  /* chance a session's measures are recorded */
    double goals;    /* share of referrals with goals */
    double measured; /* share of referrals with any outcome measure at all */
    double nhs_missing;
} c_service_t;

static void
s_service_make(uint64_t seed, const synth_provider_t *p, c_service_t *s)
{
    synth_rng_t r = synth_rng(synth_key3(seed, C_TAG_PROVIDER, (uint64_t)p->idx));
    memset(s, 0, sizeof *s);
    s->p = p;
    /* The sector follows the kind of organisation the code is. */
    char c = p->code[0];
    double u = synth_unif(&r);
    if (c == 'R')
        s->sector = u < 0.86 ? "NHS" : "LA";
    else if (c >= '0' && c <= '9')
        s->sector = u < 0.45 ? "LA" : u < 0.88 ? "VCS" : "YJ";
    else
        s->sector = u < 0.9 ? "VCS" : "YJ";
    if (synth_chance(&r, 0.03))
        s->sector = "";
    bool vcs = !strcmp(s->sector, "VCS"), yj = !strcmp(s->sector, "YJ");
    s->team_w[TEAM_CWP] = (unsigned)synth_range(&r, 10, 30) + (vcs ? 20u : 0u);
    s->team_w[TEAM_MHST] = (unsigned)synth_range(&r, 15, 35);
    s->team_w[TEAM_CAMHS] =
        vcs || yj ? (unsigned)synth_range(&r, 0, 10) : (unsigned)synth_range(&r, 35, 60);
    s->team_w[TEAM_OTH] = (unsigned)synth_range(&r, 5, 15) + (yj ? 40u : 0u);
    s->wait = synth_clampd(30.0 + 12.0 * synth_normal(&r), 10.0, 70.0);
    s->dna = synth_clampd(0.10 + 0.03 * synth_normal(&r), 0.03, 0.2);
    s->cancel = synth_clampd(0.09 + 0.02 * synth_normal(&r), 0.03, 0.15);
    s->f2f = synth_clampd(0.72 + 0.08 * synth_normal(&r), 0.45, 0.92);
    s->score_q = synth_clampd(0.78 + 0.1 * synth_normal(&r), 0.45, 0.97);
    s->goals = synth_clampd(0.68 + 0.1 * synth_normal(&r), 0.35, 0.92);
    s->measured = synth_clampd(0.8 + 0.1 * synth_normal(&r), 0.5, 0.98);
    s->nhs_missing = vcs  ? synth_clampd(0.6 + 0.15 * synth_normal(&r), 0.2, 0.95)
                     : yj ? 0.3
                          : 0.015;
}

/* New referrals by calendar month relative to the average: school terms
 * bring more, August and December fewer. */
static const double c_season[12] = {1.08, 1.05, 1.10, 0.95, 1.08, 1.00,
                                    0.90, 0.62, 1.05, 1.15, 1.12, 0.90};

static int
s_count(const synth_opts_t *o, const c_service_t *s, int mi)
{
    synth_rng_t r =
        synth_rng(synth_key3(synth_key(o->seed, C_TAG_COUNT), (uint64_t)s->p->idx, (uint64_t)mi));
    return synth_poisson(&r, C_BASE * s->p->size * o->scale * c_season[mi % 12]);
}

/* ------------------------------------------------------------------------ */
/* A referral's life.                                                        */

typedef struct c_contact {
    int32_t date;
    uint8_t att;  /* AttendOrDNACode */
    uint8_t mech; /* index into c_mech */
} c_contact_t;

static const char *const c_mech[] = {"01", "02", "11", "98", ""};

typedef struct c_score {
    int32_t date;
    int8_t series; /* index into the referral's series */
    long value;    /* hundredths */
} c_score_t;

typedef struct c_series {
    int tool;  /* index into the tool table */
    int goal;  /* GoalNumber 1-3, 0 for a symptom tool */
    long from; /* first and last value, hundredths */
    long to;
} c_series_t;

typedef struct c_referral {
    uint64_t key;
    int32_t ref, disch; /* disch: the closure day (written once it has happened) */
    int32_t birth;
    int team;
    const char *source, *reason, *gender, *ethnic;
    int n;
    c_contact_t c[C_MAX_CONTACTS];
    int n_series;
    c_series_t s[C_MAX_SERIES];
    int n_scores;
    c_score_t sc[C_MAX_CONTACTS * C_MAX_SERIES + C_MAX_SERIES];
} c_referral_t;

static const synth_code_t c_sources[] = {
    {"01", 70}, {"02", 300}, {"03", 240}, {"04", 190}, {"05", 50},
    {"06", 20}, {"07", 70},  {"08", 30},  {"99", 25},  {"", 5},
};
static const synth_code_t c_reasons[] = {
    {"01", 340}, {"02", 190}, {"03", 100}, {"04", 120},
    {"05", 50},  {"06", 90},  {"99", 90},  {"", 20},
};
static const synth_code_t c_gender[] = {
    {"2", 5000}, {"1", 4650}, {"3", 120}, {"4", 60}, {"X", 70}, {"Z", 60}, {"", 40},
};
static const synth_code_t c_ethnic[] = {
    {"A", 6900}, {"B", 150}, {"C", 650}, {"D", 150},  {"E", 100}, {"F", 120}, {"G", 150},
    {"H", 450},  {"J", 300}, {"K", 150}, {"L", 200},  {"M", 200}, {"N", 250}, {"P", 150},
    {"R", 30},   {"S", 150}, {"Z", 400}, {"99", 400}, {"", 100},
};

/* Age in completed years at referral: mostly 5-17, some 0-4 and 18-25, a
 * few 26 and over. */
static int
s_age(synth_rng_t *r)
{
    static const unsigned w[] = {45, 280, 395, 170, 104, 6};
    static const int lo[] = {2, 5, 11, 16, 18, 26}, hi[] = {4, 10, 15, 17, 25, 29};
    int b = synth_weighted(r, w, SYNTH_N(w));
    return synth_range(r, lo[b], hi[b]);
}

/* A birth day giving exactly `age` completed years on day `ref`. */
static int32_t
s_birth(synth_rng_t *r, int32_t ref, int age)
{
    int y, m, d;
    iapt_civil_from_days(ref, &y, &m, &d);
    int32_t latest = iapt_days_from_civil(y - age, m, d > 28 && m == 2 ? 28 : d);
    int32_t earliest = iapt_days_from_civil(y - age - 1, m, d > 28 && m == 2 ? 28 : d) + 1;
    return earliest + (int32_t)synth_below(r, (uint32_t)(latest - earliest + 1));
}

static int
s_attend(synth_rng_t *r, const c_service_t *s)
{
    double u = synth_unif(r);
    if (u < s->dna)
        return 3;
    if (u < s->dna + s->cancel)
        return synth_chance(r, 0.55) ? 2 : 4;
    if (u < s->dna + s->cancel + 0.01)
        return 7;
    return synth_chance(r, 0.03) ? 6 : 5;
}

static void
s_add(c_referral_t *rf, int32_t date, int att, int mech)
{
    if (rf->n < C_MAX_CONTACTS) {
        rf->c[rf->n].date = date;
        rf->c[rf->n].att = (uint8_t)att;
        rf->c[rf->n].mech = (uint8_t)mech;
        rf->n++;
    }
}

static int
s_mech(synth_rng_t *r, const c_service_t *s)
{
    if (synth_chance(r, 0.01))
        return 4;
    if (synth_chance(r, s->f2f))
        return 0;
    double u = synth_unif(r);
    return u < 0.5 ? 1 : u < 0.92 ? 2 : 3;
}

/* A value between lo and hi (hundredths), integers for tools whose range
 * and threshold are whole numbers, halves now and then for goals. */
static long
s_value(synth_rng_t *r, const c_tool_t *t, double v)
{
    long h = (long)floor(v + 0.5);
    bool whole = t->min % 100 == 0 && t->max % 100 == 0;
    if (whole && !(t->goal && synth_chance(r, 0.15)))
        h = (long)floor(v / 100.0 + 0.5) * 100;
    else
        h = (long)floor(v / 50.0 + 0.5) * 50;
    return h < t->min ? t->min : h > t->max ? t->max : h;
}

/* First and last values of one series: most improve reliably, some
 * deteriorate, the rest move less than the reliable change. */
static void
s_trajectory(synth_rng_t *r, const c_tool_t *t, c_series_t *se)
{
    double span = (double)(t->max - t->min), from;
    if (t->goal) {
        from = (double)t->min + span * synth_unif(r) * 0.45;
    } else {
        bool at_case = synth_chance(r, 0.76);
        double c = (double)t->caseness;
        double worst = t->lower ? (double)t->max : (double)t->min;
        double best = t->lower ? (double)t->min : (double)t->max;
        double u = synth_unif(r);
        from = at_case ? c + (worst - c) * u * 0.7 : c + (best - c) * (0.1 + 0.7 * u);
    }
    double dir = t->goal || !t->lower ? 1.0 : -1.0; /* the better direction */
    double rc = (double)t->rc, u = synth_unif(r), move;
    if (u < 0.07)
        move = -(rc * (1.0 + synth_unif(r)));
    else if (u < 0.07 + 0.5)
        move = rc * (1.0 + 1.3 * synth_unif(r));
    else
        move = rc * (synth_unif(r) * 1.6 - 0.7) * 0.6;
    se->from = s_value(r, t, from);
    se->to = s_value(r, t, from + dir * move);
}

static void
s_sort_contacts(c_referral_t *rf)
{
    for (int i = 1; i < rf->n; i++) {
        c_contact_t c = rf->c[i];
        int j = i - 1;
        while (j >= 0 && rf->c[j].date > c.date) {
            rf->c[j + 1] = rf->c[j];
            j--;
        }
        rf->c[j + 1] = c;
    }
}

/* The whole life of referral j received in month mi. */
static void
s_referral_make(const synth_opts_t *o, const c_service_t *s, const c_tools_t *tt, int mi, int j,
                c_referral_t *rf)
{
    uint64_t key = synth_key3(synth_key3(o->seed, C_TAG_REFERRAL, (uint64_t)s->p->idx),
                              (uint64_t)mi, (uint64_t)j);
    synth_rng_t r = synth_rng(key);
    iapt_period_t m;
    synth_month_of(mi, &m);
    memset(rf, 0, sizeof *rf);
    rf->key = key;
    for (;;) {
        rf->ref = m.start + (int32_t)synth_below(&r, (uint32_t)m.length);
        int wd = synth_weekday(rf->ref);
        if (wd < 5 || synth_chance(&r, 0.25))
            break;
    }
    rf->team = synth_weighted(&r, s->team_w, TEAM_COUNT);
    rf->source = synth_pick(&r, c_sources, SYNTH_N(c_sources));
    if (rf->team == TEAM_MHST && synth_chance(&r, 0.45))
        rf->source = "04"; /* teams in schools are referred by schools */
    rf->reason = synth_pick(&r, c_reasons, SYNTH_N(c_reasons));
    rf->birth = s_birth(&r, rf->ref, s_age(&r));
    rf->gender = synth_pick(&r, c_gender, SYNTH_N(c_gender));
    rf->ethnic = synth_pick(&r, c_ethnic, SYNTH_N(c_ethnic));

    /* Closed without being seen: signposted, or never came. */
    if (synth_chance(&r, 0.13)) {
        int32_t last = rf->ref;
        if (synth_chance(&r, 0.4)) {
            last = synth_workday(&r, rf->ref + synth_range(&r, 7, 50));
            s_add(rf, last, synth_chance(&r, 0.75) ? 3 : 2, s_mech(&r, s));
        }
        rf->disch = last + synth_range(&r, 5, 60);
        return;
    }
    double scale = rf->team == TEAM_CAMHS ? 1.5 : rf->team == TEAM_OTH ? 1.0 : 0.6;
    double wait = s->wait * scale * exp(0.6 * synth_normal(&r));
    if (synth_chance(&r, 0.06))
        wait += synth_range(&r, 90, 260); /* the long tail of the waiting list */
    int32_t first = synth_workday(&r, rf->ref + 1 + (int32_t)synth_clampd(wait, 1, 400));
    if (synth_chance(&r, s->dna * 1.5)) {
        int32_t d = rf->ref + 1 + (int32_t)synth_below(&r, (uint32_t)(first - rf->ref));
        d = synth_workday(&r, d);
        if (d > rf->ref && d < first)
            s_add(rf, d, 3, s_mech(&r, s));
    }
    int sessions;
    if (synth_chance(&r, 0.09))
        sessions = 1;
    else if (rf->team == TEAM_CWP || rf->team == TEAM_MHST)
        sessions = synth_range(&r, 3, 10);
    else if (rf->team == TEAM_CAMHS)
        sessions = 2 + synth_poisson(&r, 7.0);
    else
        sessions = synth_range(&r, 2, 8);
    bool dropout = sessions > 2 && synth_chance(&r, 0.12);
    if (dropout)
        sessions = synth_range(&r, 2, sessions - 1);
    int32_t d = first, last = first;
    int attended = 0;
    int gap = rf->team == TEAM_CAMHS && synth_chance(&r, 0.4) ? 14 : 7;
    while (attended < sessions && rf->n < C_MAX_CONTACTS - 2) {
        int att = attended == 0 ? (synth_chance(&r, 0.03) ? 6 : 5) : s_attend(&r, s);
        s_add(rf, d, att, s_mech(&r, s));
        last = d;
        if (att == 5 || att == 6)
            attended++;
        d = synth_workday(&r, d + gap + synth_range(&r, -1, 2));
        if (d - rf->ref > C_MAX_LIFE - 70)
            break;
    }
    if (dropout && synth_chance(&r, 0.6)) {
        last = synth_workday(&r, last + gap);
        s_add(rf, last, 3, s_mech(&r, s));
    }
    rf->disch = last + synth_range(&r, 3, 45);
    if (rf->disch - rf->ref > C_MAX_LIFE)
        rf->disch = rf->ref + C_MAX_LIFE;
    s_sort_contacts(rf);

    /* Measures: a symptom questionnaire (two now and then) and, for most,
     * one to three goals, rated at the first session and then session by
     * session, moving from their first value towards their last. */
    bool measured = synth_chance(&r, s->measured);
    int n_sym = !measured || synth_chance(&r, 0.16) ? 0 : synth_chance(&r, 0.22) ? 2 : 1;
    if (n_sym > tt->n_symptom)
        n_sym = tt->n_symptom;
    for (int k = 0; k < n_sym; k++) {
        int tool = tt->symptom[synth_below(&r, (uint32_t)tt->n_symptom)];
        if (k == 1 && tool == rf->s[0].tool)
            break;
        rf->s[rf->n_series].tool = tool;
        rf->s[rf->n_series].goal = 0;
        s_trajectory(&r, &tt->t[tool], &rf->s[rf->n_series]);
        rf->n_series++;
    }
    if (tt->goal >= 0 && measured && synth_chance(&r, s->goals)) {
        static const unsigned gw[] = {30, 45, 25};
        int n_goals = 1 + synth_weighted(&r, gw, 3);
        for (int g = 1; g <= n_goals; g++) {
            rf->s[rf->n_series].tool = tt->goal;
            rf->s[rf->n_series].goal = g;
            s_trajectory(&r, &tt->t[tt->goal], &rf->s[rf->n_series]);
            rf->n_series++;
        }
    }
    int pts[C_MAX_CONTACTS], n_pts = 0;
    for (int i = 0; i < rf->n; i++)
        if (rf->c[i].att == 5 || rf->c[i].att == 6)
            pts[n_pts++] = i;
    for (int k = 0; k < n_pts; k++) {
        bool rated = k == 0 ? synth_chance(&r, 0.93) : synth_chance(&r, s->score_q);
        if (!rated)
            continue;
        double f = n_pts > 1 ? pow((double)k / (n_pts - 1), 0.8) : 0.0;
        for (int q = 0; q < rf->n_series; q++) {
            const c_series_t *se = &rf->s[q];
            const c_tool_t *t = &tt->t[se->tool];
            double v = (double)se->from + (double)(se->to - se->from) * f;
            if (k > 0 && k < n_pts - 1)
                v += (double)t->rc * 0.25 * synth_normal(&r);
            c_score_t *sc = &rf->sc[rf->n_scores++];
            sc->date = rf->c[pts[k]].date;
            sc->series = (int8_t)q;
            sc->value = k == 0 ? se->from : k == n_pts - 1 ? se->to : s_value(&r, t, v);
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Writing an extract, with injected errors.                                 */

typedef struct c_ctx {
    const synth_opts_t *o;
    const synth_geo_t *g;
    const c_tools_t *tt;
    const c_service_t *s;
    int mi;
    int32_t S, E, C; /* period start and end, export day */
    synth_extract_t ex;
    uint64_t referrals;
} c_ctx_t;

static void
s_format_value(long h, char out[SYNTH_FIELD])
{
    long a = h < 0 ? -h : h;
    if (a % 100 == 0)
        snprintf(out, SYNTH_FIELD, "%s%ld", h < 0 ? "-" : "", a / 100);
    else if (a % 10 == 0)
        snprintf(out, SYNTH_FIELD, "%s%ld.%ld", h < 0 ? "-" : "", a / 100, a % 100 / 10);
    else
        snprintf(out, SYNTH_FIELD, "%s%ld.%02ld", h < 0 ? "-" : "", a / 100, a % 100);
}

/* An id that cannot exist: the referral ids of this generator are "SR5..."
 * (patients "5..."); `at` is where the '5' is, made a '3'. */
static void
s_orphan(char *id, size_t at)
{
    if (strlen(id) > at)
        id[at] = '3';
}

static const char *
s_one_of(synth_rng_t *r, const char *const *v, int n)
{
    return v[synth_below(r, (uint32_t)n)];
}

/* A postcode in one of the provider's sub-ICBs, mostly written "LS6 3AB". */
static void
s_postcode(const c_ctx_t *x, synth_rng_t *r, char out[SYNTH_FIELD])
{
    static const char unit[] = "ABDEFGHJLNPQRSTUWXYZ";
    const synth_provider_t *p = x->s->p;
    if (synth_chance(r, 0.025)) {
        out[0] = 0;
        return;
    }
    const synth_subicb_t *sub = &x->g->sub[p->sub[synth_weighted(r, p->sub_w, p->n_sub)]];
    const char *outward =
        x->g->dist[sub->first_district + (int)synth_below(r, (uint32_t)sub->n_districts)].out;
    int sector = (int)synth_below(r, 10);
    char a = unit[synth_below(r, sizeof unit - 1)], b = unit[synth_below(r, sizeof unit - 1)];
    snprintf(out, SYNTH_FIELD, synth_chance(r, 0.95) ? "%s %d%c%c" : "%s%d%c%c", outward, sector, a,
             b);
}

static void
s_inject_mpi(c_ctx_t *x, synth_row_t *row)
{
    static const char *const genders[] = {"0", "5", "M", "F"};
    static const char *const ethnics[] = {"W", "1", "9", "ZZ", "O"};
    synth_extract_t *e = &x->ex;
    uint64_t line = synth_next_line(e, T_MPI);
    uint32_t k = synth_below(&e->err_rng, 10);
    if (k < 5 && row->f[1][0]) {
        char *d = &row->f[1][9];
        *d = (char)('0' + (*d - '0' + 1 + (int)synth_below(&e->err_rng, 9)) % 10);
        synth_record(e, T_MPI, line, 1, "nhs-check-digit");
    } else if (k < 8) {
        synth_copy(row->f[4], SYNTH_FIELD, s_one_of(&e->err_rng, genders, SYNTH_N(genders)));
        synth_record(e, T_MPI, line, 4, "unknown-code");
    } else {
        synth_copy(row->f[5], SYNTH_FIELD, s_one_of(&e->err_rng, ethnics, SYNTH_N(ethnics)));
        synth_record(e, T_MPI, line, 5, "unknown-code");
    }
    synth_placed(e, T_MPI);
}

/* leaf: no contact or score row names the referral. */
static void
s_inject_ref(c_ctx_t *x, synth_row_t *row, bool leaf, int32_t disch_written)
{
    static const char *const sources[] = {"4", "10", "SCH", "00"};
    static const char *const teams[] = {"cwp", "CAMH", "MHT", "T1"};
    static const char *const reasons[] = {"1", "07", "00", "ANX"};
    synth_extract_t *e = &x->ex;
    synth_table_t *t = &e->t[T_REF];
    uint64_t line = synth_next_line(e, T_REF);
    uint32_t k = synth_below(&e->err_rng, 10);
    if (k == 0 && leaf && t->dup_ok) {
        synth_copy(row->f[0], SYNTH_FIELD, t->dup_id);
        synth_record(e, T_REF, t->dup_line, 0, "duplicate-id");
        synth_record(e, T_REF, line, 0, "duplicate-id");
        t->dup_ok = false;
    } else if (k == 1 && disch_written >= 0) {
        synth_bad_date(&e->err_rng, disch_written, row->f[7]);
        synth_record(e, T_REF, line, 7, "bad-date");
    } else if (k < 5) {
        synth_copy(row->f[4], SYNTH_FIELD, s_one_of(&e->err_rng, sources, SYNTH_N(sources)));
        synth_record(e, T_REF, line, 4, "unknown-code");
    } else if (k < 8) {
        synth_copy(row->f[5], SYNTH_FIELD, s_one_of(&e->err_rng, teams, SYNTH_N(teams)));
        synth_record(e, T_REF, line, 5, "unknown-code");
    } else {
        synth_copy(row->f[6], SYNTH_FIELD, s_one_of(&e->err_rng, reasons, SYNTH_N(reasons)));
        synth_record(e, T_REF, line, 6, "unknown-code");
    }
    synth_placed(e, T_REF);
}

static void
s_inject_contact(c_ctx_t *x, synth_row_t *row, int32_t date)
{
    static const char *const atts[] = {"1", "8", "A", "05"};
    static const char *const mechs[] = {"03", "1", "F2F", "12"};
    synth_extract_t *e = &x->ex;
    synth_table_t *t = &e->t[T_CONTACT];
    uint64_t line = synth_next_line(e, T_CONTACT);
    uint32_t k = synth_below(&e->err_rng, 9);
    if (k == 0 && t->dup_ok) {
        synth_copy(row->f[0], SYNTH_FIELD, t->dup_id);
        synth_record(e, T_CONTACT, t->dup_line, 0, "duplicate-id");
        synth_record(e, T_CONTACT, line, 0, "duplicate-id");
        t->dup_ok = false;
    } else if (k < 3) {
        synth_bad_date(&e->err_rng, date, row->f[2]);
        synth_record(e, T_CONTACT, line, 2, "bad-date");
    } else if (k < 5) {
        synth_copy(row->f[3], SYNTH_FIELD, s_one_of(&e->err_rng, atts, SYNTH_N(atts)));
        synth_record(e, T_CONTACT, line, 3, "unknown-code");
    } else if (k < 7) {
        synth_copy(row->f[4], SYNTH_FIELD, s_one_of(&e->err_rng, mechs, SYNTH_N(mechs)));
        synth_record(e, T_CONTACT, line, 4, "unknown-code");
    } else {
        s_orphan(row->f[1], 2);
        synth_record(e, T_CONTACT, line, 1, "orphan");
    }
    synth_placed(e, T_CONTACT);
}

static void
s_inject_score(c_ctx_t *x, synth_row_t *row, const c_tool_t *t, int32_t date)
{
    static const char *const tools[] = {"RCADS", "PHQ9", "GBO2", "XYZ"};
    static const char *const numbers[] = {"abc", "n/a", "1O", "12.345", "1e1", "--3"};
    static const char *const goals[] = {"4", "0", "1.0", "G1"};
    synth_extract_t *e = &x->ex;
    uint64_t line = synth_next_line(e, T_SCORE);
    uint32_t k = synth_below(&e->err_rng, 14);
    char v[SYNTH_FIELD];
    if (k < 3) {
        long off = 100 * (long)synth_range(&e->err_rng, 1, 10);
        s_format_value(synth_chance(&e->err_rng, 0.7) ? t->max + off : t->min - off, v);
        synth_row_set(row, 3, v);
        synth_record(e, T_SCORE, line, 3, "out-of-range");
    } else if (k < 4) {
        synth_row_set(row, 3, s_one_of(&e->err_rng, numbers, SYNTH_N(numbers)));
        synth_record(e, T_SCORE, line, 3, "bad-number");
    } else if (k < 6) {
        synth_row_set(row, 2, s_one_of(&e->err_rng, tools, SYNTH_N(tools)));
        row->f[4][0] = 0; /* an unknown tool has no kind to hold a goal number */
        synth_record(e, T_SCORE, line, 2, "unknown-code");
    } else if (k < 8 && t->goal) {
        row->f[4][0] = 0;
        synth_record(e, T_SCORE, line, 4, "missing");
    } else if (k < 9 && t->goal) {
        synth_row_set(row, 4, s_one_of(&e->err_rng, goals, SYNTH_N(goals)));
        synth_record(e, T_SCORE, line, 4, "unknown-code");
    } else if (k < 9) {
        snprintf(v, sizeof v, "%d", synth_range(&e->err_rng, 1, 3));
        synth_row_set(row, 4, v);
        synth_record(e, T_SCORE, line, 4, "not-applicable");
    } else if (k < 12) {
        s_orphan(row->f[0], 2);
        synth_record(e, T_SCORE, line, 0, "orphan");
    } else {
        synth_bad_date(&e->err_rng, date, row->f[1]);
        synth_record(e, T_SCORE, line, 1, "bad-date");
    }
    synth_placed(e, T_SCORE);
}

static void
s_write_referral(c_ctx_t *x, int mi, int j)
{
    c_referral_t *rf = malloc(sizeof *rf);
    if (!rf) {
        x->ex.rc = IAPT_ENOMEM;
        return;
    }
    s_referral_make(x->o, x->s, x->tt, mi, j, rf);
    synth_extract_t *e = &x->ex;
    /* In the export: received by the export day, not closed before the
     * period. Selected by the node: also received by the period end. */
    if (rf->ref > x->C || rf->disch < x->S) {
        free(rf);
        return;
    }
    bool sel = rf->ref <= x->E;
    bool closed = rf->disch <= x->C;
    char uid[16], srid[SYNTH_FIELD], pid[SYNTH_FIELD], id[SYNTH_FIELD], v[SYNTH_FIELD];
    snprintf(uid, sizeof uid, "%03d%05d", mi % 1000, j % 100000);
    snprintf(pid, sizeof pid, "5%s", uid);
    snprintf(srid, sizeof srid, "SR5%s", uid);
    synth_rng_t r = synth_rng(synth_key(rf->key, 77));

    synth_row_t row;
    synth_row_init(e, T_MPI, &row);
    synth_row_set(&row, 0, pid);
    if (!synth_chance(&r, x->s->nhs_missing)) {
        uint64_t idx = ((uint64_t)x->s->p->idx * C_NHS_MONTHS + (uint64_t)(mi % C_NHS_MONTHS)) *
                           C_NHS_SERIALS +
                       (uint64_t)(j % C_NHS_SERIALS);
        synth_nhs_number(synth_key(x->o->seed, C_TAG_NHS), idx, row.f[1]);
    }
    synth_row_date(&row, 2, rf->birth);
    s_postcode(x, &r, row.f[3]);
    synth_row_set(&row, 4, rf->gender);
    synth_row_set(&row, 5, rf->ethnic);
    if (synth_due(e, T_MPI, sel))
        s_inject_mpi(x, &row);
    synth_emit(e, T_MPI, &row);

    int n_rows = 0; /* contact and score rows naming the referral */
    for (int i = 0; i < rf->n; i++)
        n_rows += rf->c[i].date <= x->C;
    for (int i = 0; i < rf->n_scores; i++)
        n_rows += rf->sc[i].date <= x->C;
    const synth_subicb_t *home = &x->g->sub[x->s->p->sub[0]];
    {
        synth_rng_t hr = synth_rng(synth_key(rf->key, 78));
        home = &x->g->sub[x->s->p->sub[synth_weighted(&hr, x->s->p->sub_w, x->s->p->n_sub)]];
    }
    synth_row_init(e, T_REF, &row);
    synth_row_set(&row, 0, srid);
    synth_row_set(&row, 1, pid);
    synth_row_set(&row, 2, home->code);
    synth_row_date(&row, 3, rf->ref);
    synth_row_set(&row, 4, rf->source);
    synth_row_set(&row, 5, c_team_codes[rf->team]);
    synth_row_set(&row, 6, rf->reason);
    if (closed)
        synth_row_date(&row, 7, rf->disch);
    bool leaf = n_rows == 0;
    if (synth_due(e, T_REF, sel))
        s_inject_ref(x, &row, leaf, closed && rf->disch <= x->E ? rf->disch : -1);
    else if (sel && leaf)
        synth_dup_candidate(e, T_REF, srid);
    synth_emit(e, T_REF, &row);
    x->referrals++;

    for (int i = 0; i < rf->n; i++) {
        const c_contact_t *c = &rf->c[i];
        if (c->date > x->C)
            break;
        bool ok = sel && c->date <= x->E;
        snprintf(id, sizeof id, "CC5%s%02d", uid, i);
        synth_row_init(e, T_CONTACT, &row);
        synth_row_set(&row, 0, id);
        synth_row_set(&row, 1, srid);
        synth_row_date(&row, 2, c->date);
        snprintf(v, sizeof v, "%d", c->att);
        synth_row_set(&row, 3, v);
        synth_row_set(&row, 4, c_mech[c->mech]);
        if (synth_due(e, T_CONTACT, ok))
            s_inject_contact(x, &row, c->date);
        else if (ok)
            synth_dup_candidate(e, T_CONTACT, id);
        synth_emit(e, T_CONTACT, &row);
    }
    for (int i = 0; i < rf->n_scores; i++) {
        const c_score_t *sc = &rf->sc[i];
        if (sc->date > x->C)
            break;
        const c_series_t *se = &rf->s[sc->series];
        const c_tool_t *t = &x->tt->t[se->tool];
        synth_row_init(e, T_SCORE, &row);
        synth_row_set(&row, 0, srid);
        synth_row_date(&row, 1, sc->date);
        synth_row_set(&row, 2, t->code);
        s_format_value(sc->value, v);
        synth_row_set(&row, 3, v);
        if (se->goal) {
            snprintf(v, sizeof v, "%d", se->goal);
            synth_row_set(&row, 4, v);
        }
        if (synth_due(e, T_SCORE, sel && sc->date <= x->E))
            s_inject_score(x, &row, t, sc->date);
        synth_emit(e, T_SCORE, &row);
    }
    free(rf);
}

static int
s_extract(const synth_opts_t *o, const synth_geo_t *g, const c_tools_t *tt, const c_service_t *s,
          int mi, uint64_t *referrals, uint64_t *errors)
{
    c_ctx_t x;
    memset(&x, 0, sizeof x);
    x.o = o;
    x.g = g;
    x.tt = tt;
    x.s = s;
    x.mi = mi;
    iapt_period_t per;
    synth_month_of(mi, &per);
    x.S = per.start;
    x.E = per.end;
    synth_rng_t r =
        synth_rng(synth_key3(synth_key(o->seed, C_TAG_EXPORT), (uint64_t)s->p->idx, (uint64_t)mi));
    x.C = x.E + synth_range(&r, 2, 6);
    int rc = synth_extract_init(
        &x.ex, T_COUNT, c_names, c_cols, o->error_rate,
        synth_key3(synth_key(o->seed, C_TAG_ERRORS), (uint64_t)s->p->idx, (uint64_t)mi));
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
    synth_row_set(&row, 4, s->sector);
    synth_emit(&x.ex, T_HEADER, &row); /* never an error: a bad header refuses the extract */
    x.ex.t[T_HEADER].owed = 0;

    for (int m = mi - C_HISTORY; m <= mi + 1 && !x.ex.rc; m++) {
        int n = s_count(o, s, m);
        for (int j = 0; j < n && !x.ex.rc; j++)
            s_write_referral(&x, m, j);
    }
    rc = synth_extract_write(&x.ex, o->out, s->p->code, per.text);
    *referrals += x.referrals;
    *errors += x.ex.n_errs;
out:
    synth_extract_free(&x.ex);
    return rc;
}

int
synth_cyp_run(const synth_opts_t *o)
{
    static c_tools_t tt;
    static synth_geo_t geo;
    int rc = s_tools_load(o->cyp_tools, &tt);
    if (rc)
        return rc;
    int64_t t0 = iapt_clock_ms();
    synth_geo_build(&geo);
    synth_provider_t *prov = NULL;
    c_service_t *svc = NULL;
    rc = synth_providers_make(o->seed, o->providers, &geo, &prov);
    if (!rc && !(svc = calloc((size_t)o->providers, sizeof *svc)))
        rc = iapt_error_set(IAPT_ENOMEM, "no memory for %d services", o->providers);
    if (!rc)
        rc = synth_claim_out(o->out, "CYP");
    if (!rc)
        rc = synth_write_reference(o->out, &geo, prov, o->providers, true);
    uint64_t referrals = 0, errors = 0;
    int first = synth_month_index(&o->start);
    for (int i = 0; i < o->providers && !rc; i++) {
        s_service_make(o->seed, &prov[i], &svc[i]);
        for (int k = 0; k < o->months && !rc; k++)
            rc = s_extract(o, &geo, &tt, &svc[i], first + k, &referrals, &errors);
    }
    free(svc);
    free(prov);
    if (rc)
        return rc;
    fprintf(stderr,
            "iapt-synth: CYP: %d provider%s, %d month%s from %s, %llu referrals written, %llu "
            "errors injected, %.1f s\n",
            o->providers, o->providers == 1 ? "" : "s", o->months, o->months == 1 ? "" : "s",
            o->start.text, (unsigned long long)referrals, (unsigned long long)errors,
            (double)(iapt_clock_ms() - t0) / 1000.0);
    return 0;
}
