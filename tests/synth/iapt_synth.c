/*
 * iapt-synth - deterministic synthetic provider extracts for the demo, the
 * tests and the benchmarks (docs/FORMATS.md "Synthetic extracts").
 *
 *   iapt-synth --providers N --months K --seed S --out DIR [--start YYYY-MM]
 *              [--scale F] [--error-rate R] [--shared-patients P]
 *              [--collection IAPT|CYP|WORKFORCE] [--cyp-tools FILE]
 *
 * This file is the adult collection's generator and the command line; the
 * CYP and workforce generators are synth_cyp.c and synth_workforce.c, and
 * what they all share (streams, geography, providers, reference files) is
 * synth.h / synth_common.c. For the adult collection (the default):
 *
 * writes DIR/geography.csv, DIR/providers.csv, DIR/imd.csv and, for each
 * provider and month, DIR/<ORG>/<YYYY-MM>/IDS*.csv (docs/EXTRACT.md)
 * with DIR/<ORG>/<YYYY-MM>.errors.csv listing the errors injected into it.
 *
 * The model. A referral is named by (provider, month received, serial in that
 * month) and its whole life - patient, dates, appointments, scores, discharge -
 * is drawn from a random stream keyed by that name and the seed alone. The
 * extract for month M is what the provider's system exports a few days after
 * M ends: the referrals received in the 24 months up to M (no referral lives
 * longer) are replayed and those open in M are written with every event up to
 * the export day, plus a few the node's selection rule must drop. So one
 * month's extract is the same whatever --providers, --months or --start say,
 * in whatever order things are generated, and the open caseload is at steady
 * state from the first month written.
 *
 * Injected errors are placed only where they cannot cascade: on rows nothing
 * else refers to (an unattended appointment, a score, ...), or on fields whose
 * invalidity is a finding that does not reject the row. So the errors file is
 * meant to be exactly the findings a node reports for the extract, at the
 * physical lines it reports them (docs/EXTRACT-NOTES.md); a clean extract
 * (--error-rate 0) has none.
 */
#include "tests/synth/synth.h"

#include "common/cli.h"
#include "common/csv.h"
#include "common/date.h"
#include "common/err.h"
#include "common/util.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define S_HISTORY 24           /* months of referrals replayed before each extract month */
#define S_MAX_LIFE 680         /* days from referral to discharge at most: fits S_HISTORY */
#define S_SHARED_DELAY 8       /* months between a shared person's two referrals at most */
#define S_RETURN_MAX 18        /* months back a returning patient's first referral may be */
#define S_BASE_REFERRALS 600.0 /* new referrals a month of an average provider at scale 1 */
#define S_MAX_CONTACTS 64
#define S_FIELDS 8
#define S_FIELD 40

/* NHS numbers are drawn without collisions from a space of 5.4e8 valid ones:
 * 1000 provider slots x 48 months x 11250 serials (own patients below
 * S_NHS_SHARED, shared ones above it). Past roughly --scale 2.5 the largest
 * providers' serials wrap and a rare number repeats. */
#define S_NHS_MONTHS 48
#define S_NHS_SERIALS 11250
#define S_NHS_SHARED 8000

/* Commissioner codes that referrals sometimes carry but geography.csv lacks
 * (national commissioning, out-of-area arrangements). */
static const char *const s_unknown_comm[] = {"13Q", "X24"};

static const synth_code_t s_other_sources[] = {
    {"A2", 30}, {"A3", 10}, {"A4", 5}, {"B2", 15}, {"C1", 10}, {"C2", 5}, {"C3", 5},  {"D1", 10},
    {"D2", 5},  {"E1", 3},  {"E2", 3}, {"E3", 3},  {"E4", 3},  {"E5", 3}, {"E6", 3},  {"F1", 5},
    {"F2", 5},  {"F3", 5},  {"G1", 3}, {"G2", 3},  {"G3", 3},  {"G4", 3}, {"H1", 10}, {"H2", 5},
    {"I1", 3},  {"I2", 3},  {"M1", 3}, {"M2", 3},  {"M3", 3},  {"M4", 3}, {"M5", 3},  {"M6", 3},
    {"M7", 3},  {"M8", 3},  {"N1", 5}, {"N2", 3},  {"N4", 3},  {"P1", 5}, {"Q1", 5},
};

static const synth_code_t s_gender[] = {
    {"2", 6420}, {"1", 3300}, {"3", 90}, {"4", 30}, {"X", 70}, {"Z", 70}, {"", 20},
};

/* Ethnic category: the national mix of referrals, and London's. */
static const synth_code_t s_ethnic[] = {
    {"A", 7550}, {"B", 150}, {"C", 600}, {"D", 70},   {"E", 50},  {"F", 50},  {"G", 80},
    {"H", 350},  {"J", 200}, {"K", 80},  {"L", 170},  {"M", 130}, {"N", 150}, {"P", 70},
    {"R", 30},   {"S", 120}, {"Z", 400}, {"99", 450}, {"", 100},
};
static const synth_code_t s_ethnic_london[] = {
    {"A", 4100}, {"B", 250}, {"C", 1100}, {"D", 200},  {"E", 150}, {"F", 120}, {"G", 250},
    {"H", 650},  {"J", 350}, {"K", 350},  {"L", 400},  {"M", 500}, {"N", 550}, {"P", 250},
    {"R", 50},   {"S", 330}, {"Z", 450},  {"99", 500}, {"", 100},
};

static const synth_code_t s_employ[] = {
    {"01", 560}, {"02", 100}, {"03", 60}, {"04", 80}, {"05", 40},
    {"06", 30},  {"07", 10},  {"08", 70}, {"ZZ", 50},
};

/* Long-term conditions (SNOMED CT). */
static const synth_code_t s_ltc[] = {
    {"44054006", 14}, {"46635009", 2},  {"195967001", 14}, {"13645005", 6},  {"53741008", 5},
    {"38341003", 10}, {"82423001", 16}, {"10743008", 8},   {"52702003", 4},  {"24700007", 2},
    {"84757009", 3},  {"69896004", 3},  {"396275006", 6},  {"84114007", 2},  {"363346000", 4},
    {"709044004", 2}, {"230690007", 2}, {"49049000", 1},   {"414916001", 5},
};

/* Problem descriptors (ICD-10 without the dot) as primary. */
static const synth_code_t s_problems[] = {
    {"F32", 180}, {"F33", 60},  {"F411", 220}, {"F412", 190}, {"F410", 40},
    {"F400", 10}, {"F401", 30}, {"F402", 15},  {"F42", 40},   {"F431", 60},
    {"F452", 25}, {"F50", 5},   {"F419", 40},  {"F438", 30},  {"F341", 10},
};

/* Therapy types (MEASURES.md); "CBT" stands for the provider's CBT code. */
static const synth_code_t s_low_intensity[] = {
    {"748051000000105", 400},  {"748041000000107", 260}, {"748101000000105", 30},
    {"748091000000102", 40},   {"748061000000108", 30},  {"702545008", 80},
    {"1026111000000108", 160},
};
static const synth_code_t s_high_depression[] = {
    {"CBT", 500},      {"286711000000107", 220}, {"443730003", 80},       {"1129471000000105", 40},
    {"314034001", 40}, {"842901000000108", 20},  {"933221000000107", 30}, {"1026131000000100", 70},
};
static const synth_code_t s_high_anxiety[] = {
    {"CBT", 800},      {"1127281000000100", 50}, {"933221000000107", 30}, {"1026131000000100", 60},
    {"449030000", 20}, {"314034001", 20},        {"286711000000107", 20},
};
static const synth_code_t s_high_ptsd[] = {
    {"CBT", 600},
    {"449030000", 350},
    {"1026131000000100", 50},
};
#define S_EMPLOYMENT_SUPPORT "1098051000000103"
#define S_PHQ9 "720433000"
#define S_GAD7 "445455005"

/* Consultation mechanism by provider profile: phone, video or face to face heavy. */
static const char *const s_mech_codes[] = {"01", "02", "04", "05", "09",
                                           "10", "11", "12", "13", "98"};
static const unsigned s_mech_w[3][10] = {
    {200, 500, 10, 10, 10, 30, 220, 5, 5, 10},
    {200, 250, 10, 10, 10, 30, 480, 5, 5, 10},
    {500, 250, 10, 10, 10, 20, 180, 5, 5, 10},
};

/* New referrals by calendar month relative to the average (fewer in August
 * and December). */
static const double s_season[12] = {1.10, 1.05, 1.05, 0.96, 1.00, 1.00,
                                    0.98, 0.88, 1.02, 1.08, 1.05, 0.83};

/* Mean new referrals a month, before seasonality. */
static double
s_lambda(const synth_provider_t *p, double scale)
{
    return S_BASE_REFERRALS * p->size * scale;
}

/* ------------------------------------------------------------------------ */
/* People.                                                                   */

typedef struct s_person {
    uint64_t key;
    char pid[12]; /* LocalPatientId */
    char nhs[12];
    int32_t birth;
    const char *gender;
    const char *ethnic;
    int n_ltc;
    const char *ltc[2];
    const char *employ; /* employment status at first contact */
    bool ssp;           /* on statutory sick pay then */
    bool benefits;      /* on out-of-work benefits then */
} s_person_t;

/* A person: key names their stream; around is a day no later than any of
 * their referrals (so they are never born after one). */
static void
s_person_make(uint64_t seed, uint64_t key, uint64_t nhs_index, int32_t around, bool london,
              s_person_t *out)
{
    synth_rng_t r = synth_rng(synth_key(key, 1));
    out->key = key;
    synth_nhs_number(seed, nhs_index, out->nhs);
    static const unsigned band_w[] = {12, 175, 245, 205, 165, 115, 55, 25};
    static const int band_lo[] = {16, 18, 26, 36, 46, 56, 65, 75};
    static const int band_hi[] = {17, 25, 35, 45, 55, 64, 74, 90};
    int b = synth_weighted(&r, band_w, SYNTH_N(band_w));
    int age = synth_range(&r, band_lo[b], band_hi[b]);
    out->birth = around - (int32_t)floor(age * 365.2425) - (int32_t)synth_below(&r, 365) - 1;
    out->gender = synth_pick(&r, s_gender, SYNTH_N(s_gender));
    out->ethnic = london ? synth_pick(&r, s_ethnic_london, SYNTH_N(s_ethnic_london))
                         : synth_pick(&r, s_ethnic, SYNTH_N(s_ethnic));
    out->n_ltc = 0;
    if (synth_chance(&r, 0.30)) {
        out->ltc[out->n_ltc++] = synth_pick(&r, s_ltc, SYNTH_N(s_ltc));
        if (synth_chance(&r, 0.3)) {
            const char *second = synth_pick(&r, s_ltc, SYNTH_N(s_ltc));
            if (strcmp(second, out->ltc[0]))
                out->ltc[out->n_ltc++] = second;
        }
    }
    out->employ = synth_pick(&r, s_employ, SYNTH_N(s_employ));
    out->ssp = !strcmp(out->employ, "01") && synth_chance(&r, 0.13);
    out->benefits = (!strcmp(out->employ, "02") || !strcmp(out->employ, "04"))
                        ? synth_chance(&r, 0.6)
                        : synth_chance(&r, 0.03);
}

/* ------------------------------------------------------------------------ */
/* A referral's life: its plan (dates and appointments, enough to know when it */
/* is open) and its details (drawn only for referrals that are written).      */

enum { CAT_NOCONTACT, CAT_ASSESSED, CAT_ONCE, CAT_FINISHED };
enum { PH_ASSESS, PH_LI, PH_HI, PH_OTHER };
enum { INT_NONE, INT_LI, INT_HI, INT_STEP };

typedef struct s_contact {
    int32_t date;
    uint8_t app; /* AppType 1 2 3 4 5 6 10 */
    uint8_t att; /* AttendOrDNACode 2..7 */
    uint8_t phase;
} s_contact_t;

typedef struct s_plan {
    int32_t ref;   /* ReferralRequestReceivedDate */
    int32_t disch; /* ServDischDate: written once it has happened */
    uint8_t cat;
    uint8_t intensity;
    const char *end_code;
    const char *source;
    int n;
    s_contact_t c[S_MAX_CONTACTS];
} s_plan_t;

static bool
s_attended(const s_contact_t *c)
{
    return c->att == 5 || c->att == 6;
}

static void
s_add(s_plan_t *pl, int32_t date, int app, int att, int phase)
{
    if (pl->n >= S_MAX_CONTACTS)
        return;
    s_contact_t *c = &pl->c[pl->n++];
    c->date = date;
    c->app = (uint8_t)app;
    c->att = (uint8_t)att;
    c->phase = (uint8_t)phase;
}

static int
s_attend_code(synth_rng_t *r)
{
    return synth_chance(r, 0.018) ? 6 : 5;
}

/* A missed appointment: did not attend, cancelled by patient or provider,
 * late and not seen. */
static int
s_missed_code(synth_rng_t *r)
{
    static const unsigned w[] = {58, 23, 15, 4};
    static const int code[] = {3, 2, 4, 7};
    return code[synth_weighted(r, w, 4)];
}

/* A working day strictly between lo and hi, or -1 when there is none. */
static int32_t
s_between(synth_rng_t *r, int32_t lo, int32_t hi)
{
    if (hi - lo < 2)
        return -1;
    int32_t d = lo + 1 + (int32_t)synth_below(r, (uint32_t)(hi - lo - 1));
    d = synth_workday(r, d);
    return d < hi ? d : -1;
}

/* Days from referral to first treatment: about 90% within six weeks (the
 * provider's p6), most of the rest within 18 weeks, a long tail. */
static int
s_treat_wait(synth_rng_t *r, const synth_provider_t *p)
{
    double u = synth_unif(r), v = synth_unif(r);
    if (u < p->p6) {
        double t = synth_chance(r, 0.6) ? 1.0 - sqrt(1.0 - v) : v;
        return 2 + (int)(38.0 * t);
    }
    if (synth_chance(r, 0.8))
        return 43 + (int)(83.0 * (1.0 - sqrt(1.0 - v)));
    return 127 + (int)(220.0 * v * v);
}

static int
s_lag(synth_rng_t *r, double mean)
{
    int d = (int)(-log(1.0 - synth_unif(r)) * mean);
    return d > 90 ? 90 : d;
}

static int
s_session_gap(synth_rng_t *r, int phase)
{
    double u = synth_unif(r);
    int g;
    if (phase == PH_LI)
        g = u < 0.55 ? 7 : u < 0.9 ? 14 : synth_range(r, 10, 21);
    else
        g = u < 0.8 ? 7 : u < 0.95 ? 14 : synth_range(r, 3, 6);
    return g + synth_range(r, -1, 1);
}

static int
s_sessions(synth_rng_t *r, int phase)
{
    if (phase == PH_LI)
        return synth_chance(r, 0.15) ? synth_range(r, 2, 3)
                                     : synth_clampi(3 + synth_poisson(r, 3.3), 2, 12);
    return synth_chance(r, 0.12) ? synth_range(r, 2, 5)
                                 : synth_clampi(6 + synth_poisson(r, 7.5), 2, 24);
}

static void
s_sort_contacts(s_plan_t *pl)
{
    for (int i = 1; i < pl->n; i++) {
        s_contact_t c = pl->c[i];
        int j = i - 1;
        while (j >= 0 && pl->c[j].date > c.date) {
            pl->c[j + 1] = pl->c[j];
            j--;
        }
        pl->c[j + 1] = c;
    }
}

static const synth_code_t s_end_nocontact[] = {
    {"50", 40}, {"10", 12}, {"11", 18}, {"13", 10}, {"14", 15}, {"95", 5},
};
static const synth_code_t s_end_assessed[] = {
    {"10", 100}, {"11", 220}, {"12", 200}, {"13", 200},
    {"14", 180}, {"16", 40},  {"95", 58},  {"17", 2},
};
static const synth_code_t s_end_unseen[] = {{"50", 55}, {"16", 30}, {"95", 15}};
static const synth_code_t s_end_once[] = {{"47", 50}, {"48", 8}, {"46", 22}, {"96", 20}};
static const synth_code_t s_end_finished[] = {
    {"46", 640}, {"47", 230}, {"48", 50}, {"96", 75}, {"49", 5},
};

/* The treated part of a pathway: assessment, sessions, ending. */
static void
s_plan_treated(synth_rng_t *r, const synth_provider_t *p, s_plan_t *pl)
{
    int32_t ref = pl->ref;
    int w1 = s_treat_wait(r, p);
    int32_t t1 = synth_workday(r, ref + w1);
    bool combined = w1 < 5 || synth_chance(r, 0.18);
    int32_t a = t1;
    if (!combined) {
        a = synth_workday(r, ref + 1 + (int32_t)synth_below(r, (uint32_t)(w1 * 2 / 3)));
        if (a >= t1)
            combined = true;
    }
    int32_t first = combined ? t1 : a;
    if (synth_chance(r, p->miss * 0.7)) {
        int32_t d = s_between(r, ref, first);
        if (d > 0)
            s_add(pl, d, 1, s_missed_code(r), PH_ASSESS);
    }
    if (!combined) {
        s_add(pl, a, 1, s_attend_code(r), PH_ASSESS);
        if (synth_chance(r, p->miss * 0.5)) {
            int32_t d = s_between(r, a, t1);
            if (d > 0)
                s_add(pl, d, 2, s_missed_code(r), PH_LI);
        }
    }

    int n_li = 0, n_hi = 0;
    if (pl->cat == CAT_ONCE) {
        pl->intensity = synth_chance(r, 0.6) ? INT_LI : INT_HI;
        if (pl->intensity == INT_LI)
            n_li = 1;
        else
            n_hi = 1;
    } else {
        double u = synth_unif(r);
        pl->intensity = u < 0.55 ? INT_LI : u < 0.85 ? INT_HI : INT_STEP;
        if (pl->intensity == INT_LI)
            n_li = s_sessions(r, PH_LI);
        else if (pl->intensity == INT_HI)
            n_hi = s_sessions(r, PH_HI);
        else {
            n_li = 2 + synth_poisson(r, 1.5);
            n_hi = synth_clampi(5 + synth_poisson(r, 6.0), 2, 20);
        }
    }
    const char *end = synth_pick(r, s_end_finished, SYNTH_N(s_end_finished));
    if (pl->cat == CAT_ONCE)
        end = synth_pick(r, s_end_once, SYNTH_N(s_end_once));
    bool dropout = !strcmp(end, "47") || !strcmp(end, "48");
    int total = n_li + n_hi;
    if (dropout && total > 2) { /* they stop part way */
        total = 2 + (int)synth_below(r, (uint32_t)(total - 1));
        if (n_li > total)
            n_li = total;
        n_hi = total - n_li;
    }

    int32_t d = t1, last = t1;
    for (int i = 0; i < total && pl->n < S_MAX_CONTACTS - 8; i++) {
        int phase = i < n_li ? PH_LI : PH_HI;
        if (i > 0) {
            int gap = (i == n_li) ? synth_range(r, 14, 42) : s_session_gap(r, phase);
            if (i == 1) { /* the "hidden wait" for the second session */
                double h = synth_unif(r);
                gap += h < 0.45 ? 0 : h < 0.88 ? synth_range(r, 7, 56) : synth_range(r, 56, 140);
            }
            int32_t next = synth_workday(r, d + (gap < 1 ? 1 : gap));
            if (synth_chance(r, p->miss)) {
                int32_t m = s_between(r, d, next);
                if (m > 0) {
                    s_add(pl, m, 2, s_missed_code(r), phase);
                    next = synth_workday(r, next + 7); /* rebooked */
                }
            }
            d = next;
        }
        int app = 2;
        if (i == 0 && combined)
            app = 3;
        else if (i == total - 1 && total > 2 && synth_chance(r, 0.1))
            app = 5;
        s_add(pl, d, app, s_attend_code(r), phase);
        last = d;
    }
    /* Employment support alongside treatment, for a few. */
    if (total >= 2 && synth_chance(r, 0.03)) {
        int k = synth_range(r, 1, 3);
        for (int i = 0; i < k; i++) {
            int32_t e =
                synth_workday(r, t1 + 1 + (int32_t)synth_below(r, (uint32_t)(last - t1 + 1)));
            if (e > t1 && e < last)
                s_add(pl, e, 10, s_attend_code(r), PH_OTHER);
        }
    }
    int32_t tail = last;
    if (dropout) {
        int k = synth_chance(r, 0.7) ? synth_range(r, 1, 2) : 0;
        for (int i = 0; i < k; i++) {
            tail = synth_workday(r, tail + synth_range(r, 6, 14));
            s_add(pl, tail, 2, synth_chance(r, 0.8) ? 3 : 2, n_hi ? PH_HI : PH_LI);
        }
        pl->disch = tail + synth_range(r, 14, 42);
    } else {
        if (!strcmp(end, "46") && total >= 2 && synth_chance(r, 0.06)) {
            tail = synth_workday(r, tail + synth_range(r, 28, 56));
            s_add(pl, tail, 6, s_attend_code(r), PH_OTHER);
        }
        pl->disch = tail + s_lag(r, p->lag);
    }
    pl->end_code = end;
}

/* The plan of one referral received in month mi. */
static void
s_plan_make(uint64_t key, const synth_provider_t *p, int mi, s_plan_t *pl)
{
    synth_rng_t r = synth_rng(synth_key(key, 2));
    iapt_period_t m;
    synth_month_of(mi, &m);
    pl->n = 0;
    pl->intensity = INT_NONE;
    /* Referral day: fewer at weekends (online self-referral never stops). */
    for (;;) {
        pl->ref = m.start + (int32_t)synth_below(&r, (uint32_t)m.length);
        int wd = synth_weekday(pl->ref);
        if (wd < 5 || synth_chance(&r, wd == 5 ? 0.45 : 0.35))
            break;
    }
    double u = synth_unif(&r);
    if (u < p->self_share)
        pl->source = "B1";
    else if (u < p->self_share + p->gp_share)
        pl->source = "A1";
    else if (synth_chance(&r, 0.04))
        pl->source = "";
    else
        pl->source = synth_pick(&r, s_other_sources, SYNTH_N(s_other_sources));

    double no_contact = 0.14 + p->untreated / 2, assessed = 0.33 + p->untreated / 2;
    u = synth_unif(&r);
    pl->cat = u < no_contact                     ? CAT_NOCONTACT
              : u < no_contact + assessed        ? CAT_ASSESSED
              : u < no_contact + assessed + 0.08 ? CAT_ONCE
                                                 : CAT_FINISHED;
    int32_t ref = pl->ref;
    if (pl->cat == CAT_NOCONTACT) {
        /* Most close within weeks; a few linger on the waiting list. */
        if (synth_chance(&r, 0.03))
            pl->disch = ref + synth_range(&r, 150, 560);
        else
            pl->disch = ref + 2 + s_lag(&r, 35.0);
        pl->disch = synth_workday(&r, pl->disch);
        pl->end_code = synth_pick(&r, s_end_nocontact, SYNTH_N(s_end_nocontact));
    } else if (pl->cat == CAT_ASSESSED) {
        int wa = 1 + s_treat_wait(&r, p) * 3 / 5;
        int32_t a = synth_workday(&r, ref + wa);
        if (synth_chance(&r, 0.12)) { /* never came */
            s_add(pl, a, 1, synth_chance(&r, 0.8) ? 3 : 2, PH_ASSESS);
            int32_t last = a;
            if (synth_chance(&r, 0.35)) {
                last = synth_workday(&r, a + synth_range(&r, 7, 21));
                s_add(pl, last, 1, 3, PH_ASSESS);
            }
            pl->disch = last + synth_range(&r, 7, 35);
            pl->end_code = synth_pick(&r, s_end_unseen, SYNTH_N(s_end_unseen));
        } else {
            if (synth_chance(&r, p->miss * 0.7)) {
                int32_t d = s_between(&r, ref, a);
                if (d > 0)
                    s_add(pl, d, 1, s_missed_code(&r), PH_ASSESS);
            }
            s_add(pl, a, 1, s_attend_code(&r), PH_ASSESS);
            int32_t last = a;
            if (synth_chance(&r, 0.25)) {
                /* Put on the waiting list for treatment, then lost from it. */
                last = synth_workday(&r, a + synth_range(&r, 21, 150));
                if (synth_chance(&r, 0.5))
                    s_add(pl, last, 4, synth_chance(&r, 0.8) ? s_attend_code(&r) : 3, PH_OTHER);
                static const synth_code_t lost[] = {{"14", 50}, {"12", 20}, {"13", 20}, {"95", 10}};
                pl->end_code = synth_pick(&r, lost, SYNTH_N(lost));
            } else {
                if (synth_chance(&r, 0.12)) {
                    last = synth_workday(&r, a + synth_range(&r, 7, 28));
                    s_add(pl, last, 4, synth_chance(&r, 0.9) ? s_attend_code(&r) : 3, PH_OTHER);
                }
                pl->end_code = synth_pick(&r, s_end_assessed, SYNTH_N(s_end_assessed));
            }
            pl->disch = last + s_lag(&r, p->lag);
        }
    } else {
        s_plan_treated(&r, p, pl);
    }
    s_sort_contacts(pl);
    /* No referral outlives the replayed history. */
    if (pl->disch - ref > S_MAX_LIFE) {
        while (pl->n > 0 && pl->c[pl->n - 1].date > ref + S_MAX_LIFE - 20)
            pl->n--;
        pl->disch = ref + S_MAX_LIFE;
    }
    if (pl->n > 0 && pl->disch < pl->c[pl->n - 1].date)
        pl->disch = pl->c[pl->n - 1].date;
}

/* The written details of a referral. */
typedef struct s_detail {
    char comm[6];
    int n_pd;
    const char *pd[2];
    const char *pd_sig[2];
    int32_t pd_date;                 /* -1: not recorded */
    const char *act[S_MAX_CONTACTS]; /* therapy code of the contact's activity */
    const char *mech[S_MAX_CONTACTS];
    int16_t phq[S_MAX_CONTACTS]; /* -1: not recorded */
    int16_t gad[S_MAX_CONTACTS];
    int n_606;
    struct {
        int32_t date;
        const char *tool;
        char value[8];
    } s606[2];
    int n_emp;
    struct {
        int32_t date;
        const char *status, *ssp, *ben;
    } emp[2];
} s_detail_t;

static bool
s_is_depression(const char *pd)
{
    return !strncmp(pd, "F32", 3) || !strncmp(pd, "F33", 3) || !strncmp(pd, "F34", 3);
}

/* First and last scores of a course. For those at caseness who finish:
 * about 5.5% reliably deteriorate, about 71% reliably improve (most of them
 * recover), the rest show no reliable change. */
static void
s_outcome(synth_rng_t *r, const synth_provider_t *p, const char *pd, bool finished, int *phq0,
          int *gad0, int *phq1, int *gad1)
{
    bool dep = s_is_depression(pd);
    bool caseness = synth_chance(r, 0.90);
    if (caseness) {
        int tries = 0;
        do {
            double s = synth_normal(r);
            *phq0 = synth_clampi(
                (int)lround(15.5 + 4.8 * s + 2.2 * synth_normal(r) + (dep ? 2 : -1)), 0, 27);
            *gad0 = synth_clampi(
                (int)lround(13.0 + 3.8 * s + 2.0 * synth_normal(r) + (dep ? -1 : 1)), 0, 21);
        } while (*phq0 < 10 && *gad0 < 8 && ++tries < 8);
        if (*phq0 < 10 && *gad0 < 8)
            *phq0 = synth_range(r, 10, 16);
    } else {
        *phq0 = synth_range(r, 1, 9);
        *gad0 = synth_range(r, 1, 7);
    }
    *phq1 = *phq0;
    *gad1 = *gad0;
    if (!finished) {
        *phq1 = synth_clampi(*phq0 + synth_range(r, -3, 1), 0, 27);
        *gad1 = synth_clampi(*gad0 + synth_range(r, -2, 1), 0, 21);
        return;
    }
    double u = synth_unif(r);
    double p_det = caseness ? 0.055 : 0.10, p_ri = caseness ? 0.71 + p->recov / 2 : 0.30;
    if (u < p_det) {
        if (*phq0 <= 21) {
            *phq1 = *phq0 + synth_range(r, 6, *phq0 + 10 > 27 ? 27 - *phq0 : 10);
            *gad1 = synth_clampi(*gad0 + synth_range(r, -2, 3), 0, 21);
            return;
        }
        if (*gad0 <= 17) {
            *gad1 = *gad0 + synth_range(r, 4, *gad0 + 7 > 21 ? 21 - *gad0 : 7);
            *phq1 = synth_clampi(*phq0 + synth_range(r, -3, 2), 0, 27);
            return;
        }
    } else if (u < p_det + p_ri) {
        bool recover = caseness && synth_chance(r, synth_clampd(0.675 + p->recov, 0.4, 0.95));
        for (int tries = 0; tries < 24; tries++) {
            int a, b;
            if (recover) {
                a = (int)synth_below(r, 10) * (int)synth_below(r, 10) / 9; /* mostly low */
                b = (int)synth_below(r, 8) * (int)synth_below(r, 8) / 7;
            } else {
                a = synth_clampi(*phq0 - synth_range(r, 3, 14), 0, 27);
                b = synth_clampi(*gad0 - synth_range(r, 1, 9), 0, 21);
            }
            bool improved = *phq0 - a >= 6 || *gad0 - b >= 4;
            bool worse = a - *phq0 >= 6 || b - *gad0 >= 4;
            bool recovered = a < 10 && b < 8;
            if (improved && !worse && recovered == recover) {
                *phq1 = a;
                *gad1 = b;
                return;
            }
        }
        if (*phq0 >= 6 || *gad0 >= 4) {
            *phq1 = *phq0 >= 6 ? *phq0 - 6 : *phq0;
            *gad1 = *phq0 >= 6 ? *gad0 : *gad0 - 4;
            return;
        }
    }
    *phq1 = synth_clampi(*phq0 + synth_range(r, -5, 3), 0, 27);
    *gad1 = synth_clampi(*gad0 + synth_range(r, -3, 2), 0, 21);
}

static const char *
s_therapy(synth_rng_t *r, const synth_provider_t *p, int phase, const char *pd)
{
    const char *c;
    if (phase == PH_LI)
        return synth_pick(r, s_low_intensity, SYNTH_N(s_low_intensity));
    if (!strcmp(pd, "F431"))
        c = synth_pick(r, s_high_ptsd, SYNTH_N(s_high_ptsd));
    else if (s_is_depression(pd) || !strcmp(pd, "F412"))
        c = synth_pick(r, s_high_depression, SYNTH_N(s_high_depression));
    else
        c = synth_pick(r, s_high_anxiety, SYNTH_N(s_high_anxiety));
    return strcmp(c, "CBT") ? c : p->cbt;
}

static void
s_detail_make(uint64_t key, const synth_provider_t *p, const synth_geo_t *g, const s_person_t *per,
              const s_plan_t *pl, s_detail_t *dt)
{
    synth_rng_t r = synth_rng(synth_key(key, 3));
    memset(dt, 0, sizeof *dt);
    /* Commissioner: where the person lives, rarely one outside the geography. */
    synth_rng_t home = synth_rng(synth_key(per->key, 0x100 + (uint64_t)p->idx));
    int sub = p->sub[synth_weighted(&home, p->sub_w, p->n_sub)];
    if (synth_chance(&r, 0.003))
        synth_copy(dt->comm, sizeof dt->comm, s_unknown_comm[synth_below(&r, 2)]);
    else
        synth_copy(dt->comm, sizeof dt->comm, g->sub[sub].code);

    int first_seen = -1, last_treat = -1;
    for (int i = 0; i < pl->n; i++) {
        if (!s_attended(&pl->c[i]))
            continue;
        if (first_seen < 0)
            first_seen = i;
        if (pl->c[i].phase == PH_LI || pl->c[i].phase == PH_HI)
            last_treat = i;
    }

    /* Problem descriptors, from the first time the person is seen. */
    const char *pd = synth_pick(&r, s_problems, SYNTH_N(s_problems));
    if (pl->cat != CAT_NOCONTACT || synth_chance(&r, 0.4)) {
        dt->pd[0] = pd;
        dt->pd_sig[0] = synth_chance(&r, 0.97) ? "1" : "";
        dt->n_pd = 1;
        if (synth_chance(&r, pl->cat == CAT_NOCONTACT ? 0.1 : 0.25)) {
            const char *second = synth_pick(&r, s_problems, SYNTH_N(s_problems));
            if (strcmp(second, pd)) {
                dt->pd[1] = second;
                dt->pd_sig[1] = synth_chance(&r, 0.9) ? "2" : "";
                dt->n_pd = 2;
            }
        }
        dt->pd_date = first_seen >= 0 ? pl->c[first_seen].date : pl->ref;
        if (synth_chance(&r, 0.02))
            dt->pd_date = -1;
    }

    const char *li = s_therapy(&r, p, PH_LI, pd), *hi = s_therapy(&r, p, PH_HI, pd);
    for (int i = 0; i < pl->n; i++) {
        const s_contact_t *c = &pl->c[i];
        dt->phq[i] = dt->gad[i] = -1;
        dt->act[i] = "";
        dt->mech[i] =
            synth_chance(&r, 0.02) ? "" : s_mech_codes[synth_weighted(&r, s_mech_w[p->mech], 10)];
        if (c->app == 10)
            dt->act[i] = S_EMPLOYMENT_SUPPORT;
        else if (c->phase == PH_LI)
            dt->act[i] = synth_chance(&r, 0.05) ? s_therapy(&r, p, PH_LI, pd) : li;
        else if (c->phase == PH_HI)
            dt->act[i] = synth_chance(&r, 0.04) ? s_therapy(&r, p, PH_HI, pd) : hi;
    }

    /* Scores: questionnaires from an online self-referral (IDS606), then at
     * each attended assessment and treatment appointment (IDS607), moving
     * from the first scores towards the course's last. */
    int phq0, gad0, phq1, gad1;
    s_outcome(&r, p, pd, pl->cat == CAT_FINISHED, &phq0, &gad0, &phq1, &gad1);
    bool with_606 = synth_chance(&r, !strcmp(pl->source, "B1") ? 0.45 : 0.15);
    int pts[S_MAX_CONTACTS], n_pts = 0;
    for (int i = 0; i < pl->n; i++) {
        const s_contact_t *c = &pl->c[i];
        if (s_attended(c) && c->phase != PH_OTHER)
            pts[n_pts++] = i;
    }
    int total = n_pts + (with_606 ? 1 : 0);
    if (with_606) {
        bool half = synth_chance(&r, 0.01);
        dt->s606[0].date = pl->ref;
        dt->s606[0].tool = S_PHQ9;
        snprintf(dt->s606[0].value, sizeof dt->s606[0].value, "%d%s", phq0,
                 half && phq0 < 27        ? ".5"
                 : synth_chance(&r, 0.01) ? ".0"
                                          : "");
        dt->n_606 = 1;
        if (synth_chance(&r, 0.9)) {
            dt->s606[1].date = pl->ref;
            dt->s606[1].tool = S_GAD7;
            snprintf(dt->s606[1].value, sizeof dt->s606[1].value, "%d", gad0);
            dt->n_606 = 2;
        }
    }
    for (int k = 0; k < n_pts; k++) {
        int t = k + (with_606 ? 1 : 0);
        double f = total > 1 ? pow((double)t / (total - 1), 0.8) : 0.0;
        int noise = (t > 0 && t < total - 1) ? synth_range(&r, -1, 1) : 0;
        int a = synth_clampi((int)lround(phq0 + (phq1 - phq0) * f) + noise, 0, 27);
        int b = synth_clampi((int)lround(gad0 + (gad1 - gad0) * f) + noise, 0, 21);
        double u = synth_unif(&r);
        int i = pts[k];
        if (u < p->score_q) {
            dt->phq[i] = (int16_t)a;
            dt->gad[i] = (int16_t)b;
        } else if (u < p->score_q + (1 - p->score_q) * 0.3) {
            if (synth_chance(&r, 0.6))
                dt->phq[i] = (int16_t)a;
            else
                dt->gad[i] = (int16_t)b;
        }
    }

    /* Employment: when first seen (or at referral), and at the end of a course. */
    int32_t d1 = first_seen >= 0 ? pl->c[first_seen].date : pl->ref;
    if (first_seen >= 0 || synth_chance(&r, 0.5)) {
        dt->emp[0].date = d1;
        dt->emp[0].status = per->employ;
        dt->emp[0].ssp = synth_chance(&r, 0.15) ? "" : per->ssp ? "Y" : "N";
        dt->emp[0].ben = synth_chance(&r, 0.15) ? "" : per->benefits ? "Y" : "N";
        dt->n_emp = 1;
        bool again = last_treat >= 0 && pl->c[last_treat].date > d1 &&
                     synth_chance(&r, pl->cat == CAT_FINISHED ? 0.75 : 0.3);
        if (again) {
            const char *st = per->employ;
            if ((!strcmp(st, "04") || !strcmp(st, "02")) && synth_chance(&r, 0.12))
                st = "01";
            bool ssp =
                per->ssp ? !synth_chance(&r, 0.5) : (!strcmp(st, "01") && synth_chance(&r, 0.02));
            bool ben = per->benefits ? !synth_chance(&r, 0.12) : false;
            dt->emp[1].date = pl->c[last_treat].date;
            dt->emp[1].status = st;
            dt->emp[1].ssp = synth_chance(&r, 0.1) ? "" : ssp ? "Y" : "N";
            dt->emp[1].ben = synth_chance(&r, 0.1) ? "" : ben ? "Y" : "N";
            dt->n_emp = 2;
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Extract tables, rows and injected errors.                                 */

enum { F_HEADER, F_MPI, F_REF, F_CONTACT, F_ACT, F_PC, F_S606, F_S607, F_EMP, F_LTC, F_COUNT };

static const char *const s_file_name[F_COUNT] = {
    "IDS000Header.csv",
    "IDS001MPI.csv",
    "IDS101Referral.csv",
    "IDS201CareContact.csv",
    "IDS202CareActivity.csv",
    "IDS603PresentingComplaints.csv",
    "IDS606CodedScoreAssessmentRefer.csv",
    "IDS607CodedScoreAssessmentAct.csv",
    "IDS004EmpStatus.csv",
    "IDS602LongTermCondition.csv",
};

static const char *const s_file_cols[F_COUNT][S_FIELDS] = {
    {"OrgIDProv", "ReportingPeriodStartDate", "ReportingPeriodEndDate", "DateTimeDatSetCreate",
     "PrimSystemInUse"},
    {"LocalPatientId", "NHSNumber", "PersonBirthDate", "Postcode", "GenderIdentity",
     "EthnicCategory"},
    {"ServiceRequestId", "LocalPatientId", "OrgIDComm", "ReferralRequestReceivedDate",
     "SourceOfReferralIAPT", "ServDischDate", "EndCode"},
    {"CareContactId", "ServiceRequestId", "CareContDate", "AppType", "AttendOrDNACode",
     "ConsMechanism"},
    {"CareActId", "CareContactId", "CodeProcAndProcStatus"},
    {"ServiceRequestId", "PresComp", "PresCompCodSig", "PresCompDate"},
    {"ServiceRequestId", "CodedAssToolType", "PersScore", "AssToolCompDate"},
    {"CareActId", "CodedAssToolType", "PersScore"},
    {"LocalPatientId", "EmployStatusRecDate", "EmployStatus", "SSPInd", "BenefitRecInd"},
    {"LocalPatientId", "LongTermCondition"},
};

typedef struct s_row {
    int n;
    char f[S_FIELDS][S_FIELD];
} s_row_t;

typedef struct s_table {
    iapt_buf_t buf;
    uint64_t rows; /* data rows so far: the next is on physical line rows + 2 */
    unsigned owed; /* injected errors due and not yet placed */
    bool dup_ok;   /* a clean leaf row whose id may be reused is known */
    uint64_t dup_line;
    char dup_id[S_FIELD];
} s_table_t;

typedef struct s_err {
    int file;
    uint64_t line;
    const char *field;
    const char *reason;
} s_err_t;

typedef struct s_ctx {
    uint64_t seed;
    int providers;
    int months;
    iapt_period_t start;
    double scale;
    double error_rate;
    double shared;
    const char *out;
    synth_geo_t geo;
    synth_provider_t *prov;
} s_ctx_t;

typedef struct s_extract {
    const s_ctx_t *x;
    const synth_provider_t *p;
    int mi;          /* month index of the period */
    int32_t S, E, C; /* period start and end, export day */
    s_table_t t[F_COUNT];
    synth_rng_t err_rng;
    s_err_t *errs;
    size_t n_errs, cap_errs;
    uint64_t *seen; /* person keys with an MPI row (open addressing) */
    size_t seen_n, seen_cap;
    uint64_t referrals;
    int rc; /* first allocation failure */
} s_extract_t;

static void
s_set(s_row_t *row, int i, const char *v)
{
    synth_copy(row->f[i], S_FIELD, v);
    if (i >= row->n)
        row->n = i + 1;
}

static void
s_set_date(s_row_t *row, int i, int32_t day)
{
    char d[11];
    iapt_date_format(day, d);
    s_set(row, i, d);
}

static void
s_row_init(s_row_t *row, int file)
{
    row->n = 0;
    for (int i = 0; i < S_FIELDS && s_file_cols[file][i]; i++) {
        row->f[i][0] = 0;
        row->n = i + 1;
    }
}

static void
s_record(s_extract_t *e, int file, uint64_t line, int col, const char *reason)
{
    if (e->n_errs == e->cap_errs) {
        size_t cap = e->cap_errs ? e->cap_errs * 2 : 64;
        s_err_t *n = realloc(e->errs, cap * sizeof *n);
        if (!n) {
            e->rc = IAPT_ENOMEM;
            return;
        }
        e->errs = n;
        e->cap_errs = cap;
    }
    s_err_t *er = &e->errs[e->n_errs++];
    er->file = file;
    er->line = line;
    er->field = s_file_cols[file][col];
    er->reason = reason;
}

static uint64_t
s_next_line(const s_extract_t *e, int file)
{
    return e->t[file].rows + 2;
}

static void
s_emit(s_extract_t *e, int file, const s_row_t *row)
{
    s_table_t *t = &e->t[file];
    if (iapt_buf_reserve(&t->buf, (size_t)row->n * (S_FIELD + 1) + 1) < 0) {
        e->rc = IAPT_ENOMEM;
        return;
    }
    char *w = (char *)t->buf.data + t->buf.len;
    for (int i = 0; i < row->n; i++) {
        if (i)
            *w++ = ',';
        size_t n = strlen(row->f[i]);
        memcpy(w, row->f[i], n);
        w += n;
    }
    *w++ = '\n';
    t->buf.len = (size_t)(w - (char *)t->buf.data);
    t->rows++;
    if (e->x->error_rate > 0 && synth_unif(&e->err_rng) < e->x->error_rate)
        t->owed++;
}

/* Whether an error is owed in `file` and this row may take one. */
static bool
s_due(const s_extract_t *e, int file, bool eligible)
{
    return eligible && e->t[file].owed > 0;
}

/* Remember a clean leaf row so a later one can reuse its id. */
static void
s_dup_candidate(s_extract_t *e, int file, const char *id)
{
    s_table_t *t = &e->t[file];
    t->dup_ok = true;
    t->dup_line = s_next_line(e, file);
    synth_copy(t->dup_id, sizeof t->dup_id, id);
}

/* Choosing among the kinds of error a row can take. */
typedef struct s_menu {
    int n;
    int kind[16];
    unsigned w[16];
} s_menu_t;

static void
s_menu_add(s_menu_t *m, int kind, unsigned w)
{
    if (m->n < 16) {
        m->kind[m->n] = kind;
        m->w[m->n++] = w;
    }
}

static int
s_menu_pick(s_extract_t *e, const s_menu_t *m)
{
    return m->n ? m->kind[synth_weighted(&e->err_rng, m->w, m->n)] : -1;
}

static const char *
s_one_of(s_extract_t *e, const char *const *v, int n)
{
    return v[synth_below(&e->err_rng, (uint32_t)n)];
}

/* An impossible or wrongly written date near `day`. */
static void
s_bad_date(s_extract_t *e, int32_t day, char *out)
{
    int y, m, d;
    iapt_civil_from_days(day, &y, &m, &d);
    switch (synth_below(&e->err_rng, 4)) {
    case 0:
        snprintf(out, S_FIELD, "%04d-%02d-%02d", y, m, iapt_days_in_month(y, m) + 1);
        break;
    case 1:
        snprintf(out, S_FIELD, "%02d/%02d/%04d", d, m, y);
        break;
    case 2:
        snprintf(out, S_FIELD, "%04d-13-%02d", y, d);
        break;
    default:
        snprintf(out, S_FIELD, "%04d%02d%02d", y, m, d);
        break;
    }
}

/* A score that is not a number by the rules. */
static const char *const s_bad_numbers[] = {"abc", "n/a", "1O", "12.345", "1e1", "--3"};

/* An id that cannot exist: ids of this generator never start "3" after their
 * two-letter prefix (LocalPatientIds start "1", "2" or "4"). */
static void
s_orphan_id(const char *id, size_t prefix, char *out)
{
    synth_copy(out, S_FIELD, id);
    if (strlen(out) > prefix)
        out[prefix] = '3';
}

enum {
    K_MISSING_A,
    K_MISSING_B,
    K_MISSING_C,
    K_BAD_DATE,
    K_BAD_DATE_B,
    K_CODE_A,
    K_CODE_B,
    K_CODE_C,
    K_NHS,
    K_DUP,
    K_ORPHAN,
    K_DBR,
    K_RANGE,
    K_NUMBER,
};

/* The score field of a row holding PHQ-9 or GAD-7 (values as written). */
static void
s_score_error(s_extract_t *e, s_row_t *row, int file, int kind)
{
    uint64_t line = s_next_line(e, file);
    if (kind == K_RANGE) {
        bool phq = !strcmp(row->f[1], S_PHQ9);
        snprintf(row->f[2], S_FIELD, "%d",
                 phq ? synth_range(&e->err_rng, 28, 35) : synth_range(&e->err_rng, 22, 30));
        s_record(e, file, line, 2, "out-of-range");
    } else if (kind == K_NUMBER) {
        synth_copy(row->f[2], S_FIELD, s_one_of(e, s_bad_numbers, SYNTH_N(s_bad_numbers)));
        s_record(e, file, line, 2, "bad-number");
    } else {
        row->f[2][0] = 0;
        s_record(e, file, line, 2, "missing");
    }
}

static void
s_inject_mpi(s_extract_t *e, s_row_t *row)
{
    static const char *const genders[] = {"0", "5", "M", "F"};
    static const char *const ethnics[] = {"W", "1", "9", "ZZ", "O"};
    uint64_t line = s_next_line(e, F_MPI);
    uint32_t k = synth_below(&e->err_rng, 10);
    if (k < 4) {
        char *d = &row->f[1][9];
        *d = (char)('0' + (*d - '0' + 1 + (int)synth_below(&e->err_rng, 9)) % 10);
        s_record(e, F_MPI, line, 1, "nhs-check-digit");
    } else if (k < 6) {
        row->f[1][0] = 0;
        s_record(e, F_MPI, line, 1, "missing");
    } else if (k < 8) {
        synth_copy(row->f[4], S_FIELD, s_one_of(e, genders, SYNTH_N(genders)));
        s_record(e, F_MPI, line, 4, "unknown-code");
    } else {
        synth_copy(row->f[5], S_FIELD, s_one_of(e, ethnics, SYNTH_N(ethnics)));
        s_record(e, F_MPI, line, 5, "unknown-code");
    }
    e->t[F_MPI].owed--;
}

typedef struct s_ref_info {
    bool leaf;       /* no contact, IDS603 or IDS606 row refers to it */
    bool discharged; /* ServDischDate written, on or before the period end */
    bool dbr_ok;     /* no contacts, received and discharged in the period */
    int32_t ref, disch;
} s_ref_info_t;

static void
s_inject_ref(s_extract_t *e, s_row_t *row, const s_ref_info_t *in)
{
    static const char *const sources[] = {"B3", "Z1", "1", "A5", "b1"};
    static const char *const ends[] = {"15", "45", "97", "1", "99"};
    s_table_t *t = &e->t[F_REF];
    uint64_t line = s_next_line(e, F_REF);
    /* Most rows can only take a bad referral source; let most of those pass
     * so that the error owed lands where the other kinds fit. */
    if (!in->leaf && !in->discharged && !in->dbr_ok && !synth_chance(&e->err_rng, 0.25))
        return;
    s_menu_t m = {0};
    s_menu_add(&m, K_CODE_A, 2);
    if (in->leaf) {
        s_menu_add(&m, K_MISSING_A, 1);
        s_menu_add(&m, K_MISSING_B, 1);
        s_menu_add(&m, K_BAD_DATE, 2);
        if (t->dup_ok)
            s_menu_add(&m, K_DUP, 3);
    }
    if (in->discharged) {
        s_menu_add(&m, K_CODE_B, 3);
        s_menu_add(&m, K_MISSING_C, 2);
        s_menu_add(&m, K_BAD_DATE_B, 1);
    }
    if (in->dbr_ok)
        s_menu_add(&m, K_DBR, 12);
    switch (s_menu_pick(e, &m)) {
    case K_CODE_A:
        synth_copy(row->f[4], S_FIELD, s_one_of(e, sources, SYNTH_N(sources)));
        s_record(e, F_REF, line, 4, "unknown-code");
        break;
    case K_MISSING_A:
        row->f[3][0] = 0;
        s_record(e, F_REF, line, 3, "missing");
        break;
    case K_MISSING_B:
        row->f[2][0] = 0;
        s_record(e, F_REF, line, 2, "missing");
        break;
    case K_BAD_DATE:
        s_bad_date(e, in->ref, row->f[3]);
        s_record(e, F_REF, line, 3, "bad-date");
        break;
    case K_DUP:
        synth_copy(row->f[0], S_FIELD, t->dup_id);
        s_record(e, F_REF, t->dup_line, 0, "duplicate-id");
        s_record(e, F_REF, line, 0, "duplicate-id");
        t->dup_ok = false;
        break;
    case K_CODE_B:
        synth_copy(row->f[6], S_FIELD, s_one_of(e, ends, SYNTH_N(ends)));
        s_record(e, F_REF, line, 6, "unknown-code");
        break;
    case K_MISSING_C:
        row->f[6][0] = 0;
        s_record(e, F_REF, line, 6, "missing");
        break;
    case K_BAD_DATE_B:
        s_bad_date(e, in->disch, row->f[5]);
        s_record(e, F_REF, line, 5, "bad-date");
        break;
    case K_DBR: {
        /* Still on or after the period start, so the referral stays selected. */
        int back = synth_range(&e->err_rng, 1, in->ref - e->S < 10 ? in->ref - e->S : 10);
        s_set_date(row, 5, in->ref - back);
        s_record(e, F_REF, line, 5, "discharge-before-referral");
        break;
    }
    default:
        return;
    }
    t->owed--;
}

static void
s_inject_contact(s_extract_t *e, s_row_t *row, bool leaf, int32_t date)
{
    static const char *const mechs[] = {"03", "3", "14", "99", "1"};
    static const char *const apps[] = {"5", "2", "07", "11", "1"};
    static const char *const atts[] = {"02", "1", "8", "05", "0"};
    s_table_t *t = &e->t[F_CONTACT];
    uint64_t line = s_next_line(e, F_CONTACT);
    /* Attended contacts can only take a bad mechanism: let most pass (as
     * for referrals above). */
    if (!leaf && !synth_chance(&e->err_rng, 0.25))
        return;
    s_menu_t m = {0};
    s_menu_add(&m, K_CODE_C, 2);
    if (leaf) {
        s_menu_add(&m, K_MISSING_A, 1);
        s_menu_add(&m, K_MISSING_B, 1);
        s_menu_add(&m, K_MISSING_C, 1);
        s_menu_add(&m, K_BAD_DATE, 2);
        s_menu_add(&m, K_CODE_A, 2);
        s_menu_add(&m, K_CODE_B, 2);
        s_menu_add(&m, K_ORPHAN, 3);
        if (t->dup_ok)
            s_menu_add(&m, K_DUP, 3);
    }
    switch (s_menu_pick(e, &m)) {
    case K_CODE_C:
        synth_copy(row->f[5], S_FIELD, s_one_of(e, mechs, SYNTH_N(mechs)));
        s_record(e, F_CONTACT, line, 5, "unknown-code");
        break;
    case K_MISSING_A:
        row->f[2][0] = 0;
        s_record(e, F_CONTACT, line, 2, "missing");
        break;
    case K_MISSING_B:
        row->f[3][0] = 0;
        s_record(e, F_CONTACT, line, 3, "missing");
        break;
    case K_MISSING_C:
        row->f[4][0] = 0;
        s_record(e, F_CONTACT, line, 4, "missing");
        break;
    case K_BAD_DATE:
        s_bad_date(e, date, row->f[2]);
        s_record(e, F_CONTACT, line, 2, "bad-date");
        break;
    case K_CODE_A:
        synth_copy(row->f[3], S_FIELD, s_one_of(e, apps, SYNTH_N(apps)));
        s_record(e, F_CONTACT, line, 3, "unknown-code");
        break;
    case K_CODE_B:
        synth_copy(row->f[4], S_FIELD, s_one_of(e, atts, SYNTH_N(atts)));
        s_record(e, F_CONTACT, line, 4, "unknown-code");
        break;
    case K_ORPHAN:
        s_orphan_id(row->f[1], 2, row->f[1]);
        s_record(e, F_CONTACT, line, 1, "orphan");
        break;
    case K_DUP:
        synth_copy(row->f[0], S_FIELD, t->dup_id);
        s_record(e, F_CONTACT, t->dup_line, 0, "duplicate-id");
        s_record(e, F_CONTACT, line, 0, "duplicate-id");
        t->dup_ok = false;
        break;
    default:
        return;
    }
    t->owed--;
}

/* Only activities without scores take errors: the rest have IDS607 rows. */
static void
s_inject_act(s_extract_t *e, s_row_t *row)
{
    s_table_t *t = &e->t[F_ACT];
    uint64_t line = s_next_line(e, F_ACT);
    s_menu_t m = {0};
    s_menu_add(&m, K_MISSING_A, 1);
    s_menu_add(&m, K_ORPHAN, 2);
    if (t->dup_ok)
        s_menu_add(&m, K_DUP, 3);
    switch (s_menu_pick(e, &m)) {
    case K_MISSING_A:
        row->f[0][0] = 0;
        s_record(e, F_ACT, line, 0, "missing");
        break;
    case K_ORPHAN:
        s_orphan_id(row->f[1], 2, row->f[1]);
        s_record(e, F_ACT, line, 1, "orphan");
        break;
    case K_DUP:
        synth_copy(row->f[0], S_FIELD, t->dup_id);
        s_record(e, F_ACT, t->dup_line, 0, "duplicate-id");
        s_record(e, F_ACT, line, 0, "duplicate-id");
        t->dup_ok = false;
        break;
    default:
        return;
    }
    t->owed--;
}

static void
s_inject_pc(s_extract_t *e, s_row_t *row, int32_t date)
{
    static const char *const sigs[] = {"3", "0", "P", "01"};
    uint64_t line = s_next_line(e, F_PC);
    s_menu_t m = {0};
    s_menu_add(&m, K_MISSING_A, 2);
    s_menu_add(&m, K_CODE_A, 2);
    s_menu_add(&m, K_ORPHAN, 2);
    if (row->f[3][0])
        s_menu_add(&m, K_BAD_DATE, 2);
    switch (s_menu_pick(e, &m)) {
    case K_MISSING_A:
        row->f[1][0] = 0;
        s_record(e, F_PC, line, 1, "missing");
        break;
    case K_CODE_A:
        synth_copy(row->f[2], S_FIELD, s_one_of(e, sigs, SYNTH_N(sigs)));
        s_record(e, F_PC, line, 2, "unknown-code");
        break;
    case K_ORPHAN:
        s_orphan_id(row->f[0], 2, row->f[0]);
        s_record(e, F_PC, line, 0, "orphan");
        break;
    case K_BAD_DATE:
        s_bad_date(e, date, row->f[3]);
        s_record(e, F_PC, line, 3, "bad-date");
        break;
    default:
        return;
    }
    e->t[F_PC].owed--;
}

static void
s_inject_606(s_extract_t *e, s_row_t *row, int32_t date)
{
    uint64_t line = s_next_line(e, F_S606);
    s_menu_t m = {0};
    s_menu_add(&m, K_RANGE, 3);
    s_menu_add(&m, K_NUMBER, 2);
    s_menu_add(&m, K_MISSING_A, 1);
    s_menu_add(&m, K_MISSING_B, 1);
    s_menu_add(&m, K_BAD_DATE, 2);
    s_menu_add(&m, K_ORPHAN, 1);
    int kind = s_menu_pick(e, &m);
    switch (kind) {
    case K_RANGE:
    case K_NUMBER:
    case K_MISSING_A:
        s_score_error(e, row, F_S606, kind);
        break;
    case K_MISSING_B:
        row->f[3][0] = 0;
        s_record(e, F_S606, line, 3, "missing");
        break;
    case K_BAD_DATE:
        s_bad_date(e, date, row->f[3]);
        s_record(e, F_S606, line, 3, "bad-date");
        break;
    default:
        s_orphan_id(row->f[0], 2, row->f[0]);
        s_record(e, F_S606, line, 0, "orphan");
        break;
    }
    e->t[F_S606].owed--;
}

static void
s_inject_607(s_extract_t *e, s_row_t *row)
{
    s_menu_t m = {0};
    s_menu_add(&m, K_RANGE, 4);
    s_menu_add(&m, K_NUMBER, 3);
    s_menu_add(&m, K_MISSING_A, 1);
    s_menu_add(&m, K_ORPHAN, 2);
    int kind = s_menu_pick(e, &m);
    if (kind == K_ORPHAN) {
        s_orphan_id(row->f[0], 2, row->f[0]);
        s_record(e, F_S607, s_next_line(e, F_S607), 0, "orphan");
    } else {
        s_score_error(e, row, F_S607, kind);
    }
    e->t[F_S607].owed--;
}

static void
s_inject_emp(s_extract_t *e, s_row_t *row, int32_t date)
{
    static const char *const statuses[] = {"1", "10", "99", "ZX"};
    static const char *const flags[] = {"y", "Yes", "1", "n"};
    uint64_t line = s_next_line(e, F_EMP);
    s_menu_t m = {0};
    s_menu_add(&m, K_MISSING_A, 1);
    s_menu_add(&m, K_BAD_DATE, 2);
    s_menu_add(&m, K_CODE_A, 2);
    s_menu_add(&m, K_CODE_B, 1);
    s_menu_add(&m, K_CODE_C, 1);
    s_menu_add(&m, K_ORPHAN, 1);
    switch (s_menu_pick(e, &m)) {
    case K_MISSING_A:
        row->f[1][0] = 0;
        s_record(e, F_EMP, line, 1, "missing");
        break;
    case K_BAD_DATE:
        s_bad_date(e, date, row->f[1]);
        s_record(e, F_EMP, line, 1, "bad-date");
        break;
    case K_CODE_A:
        synth_copy(row->f[2], S_FIELD, s_one_of(e, statuses, SYNTH_N(statuses)));
        s_record(e, F_EMP, line, 2, "unknown-code");
        break;
    case K_CODE_B:
        synth_copy(row->f[3], S_FIELD, s_one_of(e, flags, SYNTH_N(flags)));
        s_record(e, F_EMP, line, 3, "unknown-code");
        break;
    case K_CODE_C:
        synth_copy(row->f[4], S_FIELD, s_one_of(e, flags, SYNTH_N(flags)));
        s_record(e, F_EMP, line, 4, "unknown-code");
        break;
    default:
        s_orphan_id(row->f[0], 0, row->f[0]);
        s_record(e, F_EMP, line, 0, "orphan");
        break;
    }
    e->t[F_EMP].owed--;
}

static void
s_inject_ltc(s_extract_t *e, s_row_t *row)
{
    uint64_t line = s_next_line(e, F_LTC);
    if (synth_chance(&e->err_rng, 0.5)) {
        row->f[1][0] = 0;
        s_record(e, F_LTC, line, 1, "missing");
    } else {
        s_orphan_id(row->f[0], 0, row->f[0]);
        s_record(e, F_LTC, line, 0, "orphan");
    }
    e->t[F_LTC].owed--;
}

/* ------------------------------------------------------------------------ */
/* Writing one referral (and its patient) into an extract.                   */

/* Whether the person already has an MPI row in this extract; records them. */
static bool
s_seen(s_extract_t *e, uint64_t key)
{
    key |= 1; /* 0 marks an empty slot */
    if (e->seen_n * 2 >= e->seen_cap) {
        size_t cap = e->seen_cap ? e->seen_cap * 2 : 4096;
        uint64_t *n = calloc(cap, sizeof *n);
        if (!n) {
            e->rc = IAPT_ENOMEM;
            return true;
        }
        for (size_t i = 0; i < e->seen_cap; i++) {
            if (!e->seen[i])
                continue;
            size_t j = (size_t)(synth_mix(e->seen[i]) & (cap - 1));
            while (n[j])
                j = (j + 1) & (cap - 1);
            n[j] = e->seen[i];
        }
        free(e->seen);
        e->seen = n;
        e->seen_cap = cap;
    }
    size_t j = (size_t)(synth_mix(key) & (e->seen_cap - 1));
    while (e->seen[j]) {
        if (e->seen[j] == key)
            return true;
        j = (j + 1) & (e->seen_cap - 1);
    }
    e->seen[j] = key;
    e->seen_n++;
    return false;
}

/* A postcode in one of the districts of the person's home sub-ICB, written
 * the way people and systems write them (mostly "LS6 3AB"). */
static void
s_postcode(const synth_geo_t *g, uint64_t person_key, const synth_provider_t *p, char *out)
{
    static const char unit[] = "ABDEFGHJLNPQRSTUWXYZ";
    synth_rng_t r = synth_rng(synth_key(person_key, 0x100 + (uint64_t)p->idx));
    int sub = p->sub[synth_weighted(&r, p->sub_w, p->n_sub)]; /* same draw as the commissioner */
    synth_rng_t q = synth_rng(synth_key(person_key, 0x200 + (uint64_t)p->idx));
    double u = synth_unif(&q);
    if (u < 0.03) {
        out[0] = 0;
        return;
    }
    const char *outward = "ZE1"; /* out of area: no deprivation decile */
    if (u >= 0.035) {
        const synth_subicb_t *s = &g->sub[sub];
        outward = g->dist[s->first_district + (int)synth_below(&q, (uint32_t)s->n_districts)].out;
    }
    int sector = (int)synth_below(&q, 10);
    char a = unit[synth_below(&q, sizeof unit - 1)], b = unit[synth_below(&q, sizeof unit - 1)];
    double style = synth_unif(&q);
    if (style < 0.94)
        snprintf(out, S_FIELD, "%s %d%c%c", outward, sector, a, b);
    else if (style < 0.98)
        snprintf(out, S_FIELD, "%s%d%c%c", outward, sector, a, b);
    else {
        snprintf(out, S_FIELD, "%s %d%c%c", outward, sector, a, b);
        for (char *c = out; *c; c++)
            if (*c >= 'A' && *c <= 'Z')
                *c = (char)(*c - 'A' + 'a');
    }
}

/* One referral as the extract sees it. */
typedef struct s_unit {
    uint64_t key;    /* the referral's stream */
    uint64_t person; /* the person's stream */
    uint64_t nhs_index;
    int32_t around; /* no later than any referral of the person */
    bool london;    /* the person's ethnicity follows London's mix */
    int mi;         /* month received */
    char uid[12];   /* digits naming the referral */
    char pid[12];   /* LocalPatientId */
} s_unit_t;

static void
s_write_patient(s_extract_t *e, const s_unit_t *u, const s_person_t *per, bool eligible)
{
    const s_ctx_t *x = e->x;
    s_row_t row;
    s_row_init(&row, F_MPI);
    s_set(&row, 0, u->pid);
    s_set(&row, 1, per->nhs);
    s_set_date(&row, 2, per->birth);
    s_postcode(&x->geo, per->key, e->p, row.f[3]);
    s_set(&row, 4, per->gender);
    s_set(&row, 5, per->ethnic);
    if (s_due(e, F_MPI, eligible))
        s_inject_mpi(e, &row);
    s_emit(e, F_MPI, &row);
    for (int i = 0; i < per->n_ltc; i++) {
        s_row_init(&row, F_LTC);
        s_set(&row, 0, u->pid);
        s_set(&row, 1, per->ltc[i]);
        if (s_due(e, F_LTC, eligible))
            s_inject_ltc(e, &row);
        s_emit(e, F_LTC, &row);
    }
}

static void
s_visit(s_extract_t *e, const s_unit_t *u)
{
    const s_ctx_t *x = e->x;
    const synth_provider_t *p = e->p;
    s_plan_t pl;
    s_plan_make(u->key, p, u->mi, &pl);
    if (pl.ref > e->C)
        return; /* not received yet when the export ran */
    bool open = pl.ref <= e->E && pl.disch >= e->S;
    if (!open) {
        /* A few the export should not have held: received after the period,
         * or closed shortly before it. The node's selection drops them. */
        synth_rng_t r = synth_rng(synth_key(u->key, 0x1000 + (uint64_t)e->mi));
        bool extra =
            pl.ref > e->E ? synth_chance(&r, 0.3) : pl.disch >= e->S - 60 && synth_chance(&r, 0.02);
        if (!extra)
            return;
    }
    s_person_t per;
    s_person_make(x->seed, u->person, u->nhs_index, u->around, u->london, &per);
    synth_copy(per.pid, sizeof per.pid, u->pid);
    s_detail_t dt;
    s_detail_make(u->key, p, &x->geo, &per, &pl, &dt);
    if (!s_seen(e, per.key))
        s_write_patient(e, u, &per, open);

    char srid[S_FIELD], ccid[S_FIELD], caid[S_FIELD];
    snprintf(srid, sizeof srid, "SR%s", u->uid);
    bool discharged = pl.disch <= e->C;
    int n_contacts = 0, n_pc = 0, n_606 = 0;
    for (int i = 0; i < pl.n; i++)
        n_contacts += pl.c[i].date <= e->C;
    for (int i = 0; i < dt.n_pd; i++)
        n_pc += dt.pd_date <= e->C;
    for (int i = 0; i < dt.n_606; i++)
        n_606 += dt.s606[i].date <= e->C;

    /* IDS101 */
    s_row_t row;
    s_row_init(&row, F_REF);
    s_set(&row, 0, srid);
    s_set(&row, 1, u->pid);
    s_set(&row, 2, dt.comm);
    s_set_date(&row, 3, pl.ref);
    s_set(&row, 4, pl.source);
    if (discharged) {
        s_set_date(&row, 5, pl.disch);
        s_set(&row, 6, pl.end_code);
    }
    s_ref_info_t info = {
        .leaf = n_contacts == 0 && n_pc == 0 && n_606 == 0,
        .discharged = discharged && pl.disch <= e->E,
        .dbr_ok = n_contacts == 0 && pl.ref > e->S && pl.disch <= e->E,
        .ref = pl.ref,
        .disch = pl.disch,
    };
    bool inject = s_due(e, F_REF, open);
    if (inject)
        s_inject_ref(e, &row, &info);
    else if (open && info.leaf)
        s_dup_candidate(e, F_REF, srid);
    s_emit(e, F_REF, &row);
    e->referrals++;

    /* IDS201, IDS202, IDS607 */
    for (int i = 0; i < pl.n; i++) {
        const s_contact_t *c = &pl.c[i];
        if (c->date > e->C)
            break;
        bool ok = open && c->date <= e->E;
        bool att = s_attended(c);
        snprintf(ccid, sizeof ccid, "CC%s%02d", u->uid, i);
        s_row_init(&row, F_CONTACT);
        s_set(&row, 0, ccid);
        s_set(&row, 1, srid);
        s_set_date(&row, 2, c->date);
        snprintf(row.f[3], S_FIELD, "%02d", c->app);
        snprintf(row.f[4], S_FIELD, "%d", c->att);
        s_set(&row, 5, dt.mech[i]);
        if (s_due(e, F_CONTACT, ok))
            s_inject_contact(e, &row, !att, c->date);
        else if (ok && !att)
            s_dup_candidate(e, F_CONTACT, ccid);
        s_emit(e, F_CONTACT, &row);
        if (!att)
            continue; /* nothing happened: no activity */
        snprintf(caid, sizeof caid, "CA%s%02d1", u->uid, i);
        bool scored = dt.phq[i] >= 0 || dt.gad[i] >= 0;
        s_row_init(&row, F_ACT);
        s_set(&row, 0, caid);
        s_set(&row, 1, ccid);
        s_set(&row, 2, dt.act[i]);
        if (s_due(e, F_ACT, ok && !scored))
            s_inject_act(e, &row);
        else if (ok && !scored)
            s_dup_candidate(e, F_ACT, caid);
        s_emit(e, F_ACT, &row);
        for (int k = 0; k < 2; k++) {
            int v = k ? dt.gad[i] : dt.phq[i];
            if (v < 0)
                continue;
            s_row_init(&row, F_S607);
            s_set(&row, 0, caid);
            s_set(&row, 1, k ? S_GAD7 : S_PHQ9);
            snprintf(row.f[2], S_FIELD, "%d", v);
            if (s_due(e, F_S607, ok))
                s_inject_607(e, &row);
            s_emit(e, F_S607, &row);
        }
    }

    /* IDS603 */
    for (int i = 0; i < dt.n_pd; i++) {
        if (dt.pd_date > e->C)
            break;
        s_row_init(&row, F_PC);
        s_set(&row, 0, srid);
        s_set(&row, 1, dt.pd[i]);
        s_set(&row, 2, dt.pd_sig[i]);
        if (dt.pd_date >= 0)
            s_set_date(&row, 3, dt.pd_date);
        if (s_due(e, F_PC, open && dt.pd_date <= e->E))
            s_inject_pc(e, &row, dt.pd_date >= 0 ? dt.pd_date : pl.ref);
        s_emit(e, F_PC, &row);
    }
    /* IDS606 */
    for (int i = 0; i < dt.n_606; i++) {
        if (dt.s606[i].date > e->C)
            break;
        s_row_init(&row, F_S606);
        s_set(&row, 0, srid);
        s_set(&row, 1, dt.s606[i].tool);
        s_set(&row, 2, dt.s606[i].value);
        s_set_date(&row, 3, dt.s606[i].date);
        if (s_due(e, F_S606, open && dt.s606[i].date <= e->E))
            s_inject_606(e, &row, dt.s606[i].date);
        s_emit(e, F_S606, &row);
    }
    /* IDS004 */
    for (int i = 0; i < dt.n_emp; i++) {
        if (dt.emp[i].date > e->C)
            break;
        s_row_init(&row, F_EMP);
        s_set(&row, 0, u->pid);
        s_set_date(&row, 1, dt.emp[i].date);
        s_set(&row, 2, dt.emp[i].status);
        s_set(&row, 3, dt.emp[i].ssp);
        s_set(&row, 4, dt.emp[i].ben);
        if (s_due(e, F_EMP, open && dt.emp[i].date <= e->E))
            s_inject_emp(e, &row, dt.emp[i].date);
        s_emit(e, F_EMP, &row);
    }
}

/* ------------------------------------------------------------------------ */
/* Where referrals come from: the provider's own stream of new referrals and */
/* the stream of people it shares with its partner provider.                 */

static int
s_own_count(const s_ctx_t *x, const synth_provider_t *p, int mi)
{
    synth_rng_t r =
        synth_rng(synth_key3(synth_key(x->seed, SYNTH_TAG_COUNT), (uint64_t)p->idx, (uint64_t)mi));
    double lambda = s_lambda(p, x->scale) * (1.0 - x->shared) * s_season[mi % 12];
    return synth_poisson(&r, lambda);
}

/* Providers 2q and 2q+1 share patients. Both sides compute the same stream
 * from the pair's traits alone, whether or not the partner is generated. */
static int
s_shared_count(const s_ctx_t *x, int pair, double lambda_pair, int mi)
{
    synth_rng_t r = synth_rng(
        synth_key3(synth_key(x->seed, SYNTH_TAG_SHARED_COUNT), (uint64_t)pair, (uint64_t)mi));
    return synth_poisson(&r, lambda_pair * s_season[mi % 12]);
}

static uint64_t
s_nhs_index(int slot, int mi, int serial)
{
    return ((uint64_t)slot * S_NHS_MONTHS + (uint64_t)(mi % S_NHS_MONTHS)) * S_NHS_SERIALS +
           (uint64_t)(serial % S_NHS_SERIALS);
}

static void
s_visit_own(s_extract_t *e, int mi, int j)
{
    const s_ctx_t *x = e->x;
    const synth_provider_t *p = e->p;
    s_unit_t u;
    u.key =
        synth_key3(synth_key3(x->seed, SYNTH_TAG_OWN, (uint64_t)p->idx), (uint64_t)mi, (uint64_t)j);
    u.mi = mi;
    snprintf(u.uid, sizeof u.uid, "1%03d%05d", mi % 1000, j % 100000);
    /* About one referral in ten is a patient coming back: the person of a
     * referral some months earlier. */
    int pmi = mi, pj = j;
    synth_rng_t r = synth_rng(synth_key(u.key, 7));
    if (synth_chance(&r, 0.10)) {
        int back = synth_range(&r, 3, S_RETURN_MAX);
        int n = s_own_count(x, p, mi - back);
        if (n > 0) {
            pmi = mi - back;
            pj = (int)synth_below(&r, (uint32_t)n);
        }
    }
    u.person = synth_key3(synth_key3(x->seed, SYNTH_TAG_PERSON, (uint64_t)p->idx), (uint64_t)pmi,
                          (uint64_t)pj);
    u.nhs_index = s_nhs_index(p->idx, pmi, pj < S_NHS_SHARED ? pj : pj % S_NHS_SHARED);
    iapt_period_t pm;
    synth_month_of(pmi, &pm);
    u.around = pm.start;
    u.london = p->region == SYNTH_LONDON;
    snprintf(u.pid, sizeof u.pid, "1%03d%05d", pmi % 1000, pj % 100000);
    s_visit(e, &u);
}

/* A person of the pair's shared stream. Both partners must draw the same
 * person, so where they live (for the ethnic mix) is the even partner's. */
static void
s_visit_shared(s_extract_t *e, int pair, bool london, int pmi, int s, int lo, int hi)
{
    const s_ctx_t *x = e->x;
    const synth_provider_t *p = e->p;
    uint64_t sk = synth_key3(synth_key(x->seed, SYNTH_TAG_SHARED), (uint64_t)pair,
                             synth_key((uint64_t)pmi, (uint64_t)s));
    synth_rng_t r = synth_rng(synth_key(sk, 1));
    bool a_first = synth_chance(&r, 0.5);
    int delay = synth_chance(&r, 0.3) ? 0 : synth_range(&r, 1, S_SHARED_DELAY);
    bool first = ((p->idx & 1) == 0) == a_first;
    int mi = first ? pmi : pmi + delay;
    if (mi < lo || mi > hi)
        return;
    s_unit_t u;
    u.key = synth_key(sk, 100 + (uint64_t)(p->idx & 1));
    u.person = sk;
    u.mi = mi;
    u.nhs_index = s_nhs_index(pair * 2, pmi, S_NHS_SHARED + s % (S_NHS_SERIALS - S_NHS_SHARED));
    iapt_period_t pm;
    synth_month_of(pmi, &pm);
    u.around = pm.start;
    u.london = london;
    snprintf(u.uid, sizeof u.uid, "2%03d%05d", pmi % 1000, s % 100000);
    /* Each service numbers its patients its own way: the two partners give
     * the same person different LocalPatientIds. */
    memcpy(u.pid, u.uid, sizeof u.pid);
    if (p->idx & 1)
        u.pid[0] = '4';
    s_visit(e, &u);
}

/* ------------------------------------------------------------------------ */
/* Files.                                                                    */

static int
s_cmp_err(const void *a, const void *b)
{
    const s_err_t *x = a, *y = b;
    if (x->file != y->file)
        return x->file < y->file ? -1 : 1;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    return strcmp(x->field, y->field);
}

static void
s_extract_free(s_extract_t *e)
{
    for (int i = 0; i < F_COUNT; i++)
        iapt_buf_free(&e->t[i].buf);
    free(e->errs);
    free(e->seen);
}

/* One provider's extract for month index mi. */
static int
s_extract_write(const s_ctx_t *x, const synth_provider_t *p, int mi, uint64_t *referrals,
                uint64_t *errors)
{
    s_extract_t e;
    memset(&e, 0, sizeof e);
    e.x = x;
    e.p = p;
    e.mi = mi;
    iapt_period_t per;
    synth_month_of(mi, &per);
    e.S = per.start;
    e.E = per.end;
    synth_rng_t r =
        synth_rng(synth_key3(synth_key(x->seed, SYNTH_TAG_EXPORT), (uint64_t)p->idx, (uint64_t)mi));
    e.C = e.E + synth_range(&r, 2, 6);
    e.err_rng =
        synth_rng(synth_key3(synth_key(x->seed, SYNTH_TAG_ERRORS), (uint64_t)p->idx, (uint64_t)mi));

    int rc = 0;
    for (int f = 0; f < F_COUNT && !rc; f++) {
        for (int i = 0; i < S_FIELDS && s_file_cols[f][i] && !rc; i++)
            rc = iapt_buf_printf(&e.t[f].buf, "%s%s", i ? "," : "", s_file_cols[f][i]);
        if (!rc)
            rc = iapt_buf_append(&e.t[f].buf, "\n", 1);
    }
    if (rc)
        goto out;

    s_row_t row;
    s_row_init(&row, F_HEADER);
    s_set(&row, 0, p->code);
    s_set_date(&row, 1, e.S);
    s_set_date(&row, 2, e.E);
    char ts[S_FIELD], day[11];
    iapt_date_format(e.C, day);
    snprintf(ts, sizeof ts, "%sT%02d:%02d:%02d", day, synth_range(&r, 1, 5), synth_range(&r, 0, 59),
             synth_range(&r, 0, 59));
    s_set(&row, 3, ts);
    s_set(&row, 4, p->system);
    /* The header never takes an error: a bad one refuses the whole extract. */
    s_emit(&e, F_HEADER, &row);

    int lo = mi - S_HISTORY, hi = mi + 1;
    for (int m = lo; m <= hi && !e.rc; m++) {
        int n = s_own_count(x, p, m);
        for (int j = 0; j < n && !e.rc; j++)
            s_visit_own(&e, m, j);
    }
    if (x->shared > 0) {
        synth_provider_t partner;
        synth_provider_traits(x->seed, p->idx ^ 1, &x->geo, &partner);
        double lambda_pair = x->shared * (s_lambda(p, x->scale) + s_lambda(&partner, x->scale)) / 2;
        int pair = p->idx / 2;
        bool london = ((p->idx & 1) ? partner.region : p->region) == SYNTH_LONDON;
        for (int m = lo - S_SHARED_DELAY; m <= hi && !e.rc; m++) {
            int n = s_shared_count(x, pair, lambda_pair, m);
            for (int s = 0; s < n && !e.rc; s++)
                s_visit_shared(&e, pair, london, m, s, lo, hi);
        }
    }
    if (e.rc) {
        rc = e.rc;
        goto out;
    }

    char path[4096];
    snprintf(path, sizeof path, "%s/%s/%s", x->out, p->code, per.text);
    if ((rc = iapt_mkdir_p(path, 0755)) < 0)
        goto out;
    for (int f = 0; f < F_COUNT && !rc; f++) {
        snprintf(path, sizeof path, "%s/%s/%s/%s", x->out, p->code, per.text, s_file_name[f]);
        rc = synth_write_file(path, e.t[f].buf.data, e.t[f].buf.len);
    }
    if (rc)
        goto out;

    if (e.n_errs)
        qsort(e.errs, e.n_errs, sizeof *e.errs, s_cmp_err);
    iapt_buf_t eb = IAPT_BUF_INIT;
    rc = iapt_buf_printf(&eb, "file,line,field,reason\n");
    for (size_t i = 0; i < e.n_errs && !rc; i++)
        rc = iapt_buf_printf(&eb, "%s,%llu,%s,%s\n", s_file_name[e.errs[i].file],
                             (unsigned long long)e.errs[i].line, e.errs[i].field, e.errs[i].reason);
    if (!rc) {
        snprintf(path, sizeof path, "%s/%s/%s.errors.csv", x->out, p->code, per.text);
        rc = synth_write_file(path, eb.data, eb.len);
    }
    iapt_buf_free(&eb);
    *referrals += e.referrals;
    *errors += e.n_errs;
out:
    s_extract_free(&e);
    return rc;
}

/* The adult collection's extracts: the reference files, then every
 * provider's months. */
static int
s_adult_run(const synth_opts_t *o)
{
    static s_ctx_t x;
    x.seed = o->seed;
    x.providers = o->providers;
    x.months = o->months;
    x.start = o->start;
    x.scale = o->scale;
    x.error_rate = o->error_rate;
    x.shared = o->shared;
    x.out = o->out;
    int64_t t0 = iapt_clock_ms();
    synth_geo_build(&x.geo);
    int rc = synth_providers_make(x.seed, x.providers, &x.geo, &x.prov);
    if (!rc)
        rc = synth_write_reference(x.out, &x.geo, x.prov, x.providers, false);
    uint64_t referrals = 0, errors = 0;
    int first = synth_month_index(&x.start);
    for (int i = 0; i < x.providers && !rc; i++)
        for (int k = 0; k < x.months && !rc; k++)
            rc = s_extract_write(&x, &x.prov[i], first + k, &referrals, &errors);
    free(x.prov);
    x.prov = NULL;
    if (rc < 0)
        return rc;
    fprintf(stderr,
            "iapt-synth: %d provider%s, %d month%s from %s, %llu referrals written, %llu errors "
            "injected, %.1f s\n",
            x.providers, x.providers == 1 ? "" : "s", x.months, x.months == 1 ? "" : "s",
            x.start.text, (unsigned long long)referrals, (unsigned long long)errors,
            (double)(iapt_clock_ms() - t0) / 1000.0);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Command line.                                                             */

static void
s_usage(FILE *f)
{
    fprintf(f,
            "usage: iapt-synth --providers N --months K --seed S --out DIR [options]\n"
            "\n"
            "Writes deterministic synthetic provider extracts (docs/FORMATS.md):\n"
            "  DIR/geography.csv, DIR/providers.csv, DIR/imd.csv,\n"
            "  DIR/<ORG>/<YYYY-MM>/<tables>.csv and DIR/<ORG>/<YYYY-MM>.errors.csv\n"
            "  (tables IDS*.csv for IAPT, CYP*.csv for CYP, WF*.csv for WORKFORCE)\n"
            "\n"
            "  --providers N         providers, 1-%d\n"
            "  --months K            consecutive months, 1-%d\n"
            "  --seed S              seed, an unsigned integer\n"
            "  --out DIR             output directory (created if missing)\n"
            "  --collection NAME     IAPT (the adult collection, the default), CYP or\n"
            "                        WORKFORCE; the same --providers and --seed give the\n"
            "                        same providers in every collection\n"
            "  --start YYYY-MM       first month (default 2025-04)\n"
            "  --scale F             volume multiplier (referrals, staff), 0.001-10\n"
            "                        (default 1.0)\n"
            "  --error-rate R        share of rows given an injected error, 0-0.5\n"
            "                        (default 0.003; 0 = clean)\n"
            "  --shared-patients P   IAPT only: share of patients also seen at a partner\n"
            "                        provider, 0-0.5 (default 0.01)\n"
            "  --cyp-tools FILE      CYP only: the assessment tool table\n"
            "                        (default data/cyp-assessment-tools.csv)\n"
            "  --help, -h            this text; --version the version\n",
            SYNTH_MAX_PROVIDERS, SYNTH_MAX_MONTHS);
}

static int
s_parse_int(const char *opt, const char *v, long lo, long hi, int *out)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (!*v || *end || errno || n < lo || n > hi) {
        fprintf(stderr, "iapt-synth: %s: expected an integer from %ld to %ld, got '%s'\n", opt, lo,
                hi, v);
        return IAPT_EUSAGE;
    }
    *out = (int)n;
    return 0;
}

static int
s_parse_double(const char *opt, const char *v, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (!*v || *end || errno || !(d >= lo && d <= hi)) {
        fprintf(stderr, "iapt-synth: %s: expected a number from %g to %g, got '%s'\n", opt, lo, hi,
                v);
        return IAPT_EUSAGE;
    }
    *out = d;
    return 0;
}

/* The collection named by --collection (its name or key, any case). */
static int
s_parse_collection(const char *v, synth_collection_t *out)
{
    static const struct {
        const char *name;
        synth_collection_t c;
    } names[] = {
        {"IAPT", SYNTH_ADULT},          {"adult", SYNTH_ADULT},  {"CYP", SYNTH_CYP},
        {"WORKFORCE", SYNTH_WORKFORCE}, {"WF", SYNTH_WORKFORCE},
    };
    for (int i = 0; i < SYNTH_N(names); i++)
        if (!strcasecmp(v, names[i].name)) {
            *out = names[i].c;
            return 0;
        }
    fprintf(stderr, "iapt-synth: --collection: expected IAPT, CYP or WORKFORCE, got '%s'\n", v);
    return IAPT_EUSAGE;
}

static int
s_parse_args(int argc, char **argv, synth_opts_t *x, bool *help)
{
    bool have_n = false, have_k = false, have_seed = false, have_shared = false;
    iapt_period_parse("2025-04", &x->start);
    x->scale = 1.0;
    x->error_rate = 0.003;
    x->shared = 0.01;
    x->collection = SYNTH_ADULT;
    x->cyp_tools = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        char name[32];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            *help = true;
            return 0;
        }
        const char *eq = strchr(a, '=');
        if (strncmp(a, "--", 2) != 0) {
            fprintf(stderr, "iapt-synth: unexpected argument '%s' (try --help)\n", a);
            return IAPT_EUSAGE;
        }
        size_t len = eq ? (size_t)(eq - a) : strlen(a);
        if (len >= sizeof name) {
            fprintf(stderr, "iapt-synth: unknown option '%s' (try --help)\n", a);
            return IAPT_EUSAGE;
        }
        memcpy(name, a, len);
        name[len] = 0;
        if (eq)
            v = eq + 1;
        else if (i + 1 < argc)
            v = argv[++i];
        else {
            fprintf(stderr, "iapt-synth: %s needs a value (try --help)\n", name);
            return IAPT_EUSAGE;
        }
        int rc = 0;
        if (!strcmp(name, "--providers")) {
            rc = s_parse_int(name, v, 1, SYNTH_MAX_PROVIDERS, &x->providers);
            have_n = true;
        } else if (!strcmp(name, "--months")) {
            rc = s_parse_int(name, v, 1, SYNTH_MAX_MONTHS, &x->months);
            have_k = true;
        } else if (!strcmp(name, "--seed")) {
            char *end;
            errno = 0;
            unsigned long long s = strtoull(v, &end, 10);
            if (!*v || *end || errno || *v == '-') {
                fprintf(stderr, "iapt-synth: --seed: expected an unsigned integer, got '%s'\n", v);
                return IAPT_EUSAGE;
            }
            x->seed = (uint64_t)s;
            have_seed = true;
        } else if (!strcmp(name, "--out")) {
            if (!*v) {
                fprintf(stderr, "iapt-synth: --out: empty directory name\n");
                return IAPT_EUSAGE;
            }
            x->out = v;
        } else if (!strcmp(name, "--start")) {
            if (iapt_period_parse(v, &x->start) < 0 || x->start.year < 1990 ||
                x->start.year > 2200) {
                fprintf(stderr, "iapt-synth: --start: expected YYYY-MM (1990-2200), got '%s'\n", v);
                return IAPT_EUSAGE;
            }
        } else if (!strcmp(name, "--scale")) {
            rc = s_parse_double(name, v, 0.001, 10.0, &x->scale);
        } else if (!strcmp(name, "--error-rate")) {
            rc = s_parse_double(name, v, 0.0, 0.5, &x->error_rate);
        } else if (!strcmp(name, "--shared-patients")) {
            rc = s_parse_double(name, v, 0.0, 0.5, &x->shared);
            have_shared = true;
        } else if (!strcmp(name, "--collection")) {
            rc = s_parse_collection(v, &x->collection);
        } else if (!strcmp(name, "--cyp-tools")) {
            if (!*v) {
                fprintf(stderr, "iapt-synth: --cyp-tools: empty file name\n");
                return IAPT_EUSAGE;
            }
            x->cyp_tools = v;
        } else {
            fprintf(stderr, "iapt-synth: unknown option '%s' (try --help)\n", name);
            return IAPT_EUSAGE;
        }
        if (rc)
            return rc;
    }
    const char *missing = !have_n      ? "--providers"
                          : !have_k    ? "--months"
                          : !have_seed ? "--seed"
                          : !x->out    ? "--out"
                                       : NULL;
    if (missing) {
        fprintf(stderr, "iapt-synth: %s is required (try --help)\n", missing);
        return IAPT_EUSAGE;
    }
    if (have_shared && x->collection != SYNTH_ADULT) {
        fprintf(stderr, "iapt-synth: --shared-patients applies to the IAPT collection only\n");
        return IAPT_EUSAGE;
    }
    if (x->cyp_tools && x->collection != SYNTH_CYP) {
        fprintf(stderr, "iapt-synth: --cyp-tools applies to the CYP collection only\n");
        return IAPT_EUSAGE;
    }
    if (x->collection == SYNTH_CYP && !x->cyp_tools)
        x->cyp_tools = "data/cyp-assessment-tools.csv";
    return 0;
}

int
main(int argc, char **argv)
{
    static synth_opts_t o;
    bool help = false;
    iapt_cli_init();
    if (argc == 2 && iapt_cli_is_version(argv[1])) {
        iapt_cli_print_version("iapt-synth");
        return 0;
    }
    if (s_parse_args(argc, argv, &o, &help) < 0)
        return 2;
    if (help) {
        s_usage(stdout);
        return 0;
    }
    int rc;
    switch (o.collection) {
    case SYNTH_CYP:
        rc = synth_cyp_run(&o);
        break;
    case SYNTH_WORKFORCE:
        rc = synth_workforce_run(&o);
        break;
    default:
        rc = s_adult_run(&o);
        break;
    }
    if (rc < 0) {
        fprintf(stderr, "iapt-synth: %s: %s\n", iapt_strerror(rc), iapt_error_detail());
        return rc == IAPT_EUSAGE ? 2 : 1;
    }
    return 0;
}
