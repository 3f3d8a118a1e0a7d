/*
 * iapt-synth - deterministic synthetic provider extracts for the demo, the
 * tests and the benchmarks (docs/FORMATS.md "Synthetic extracts").
 *
 *   iapt-synth --providers N --months K --seed S --out DIR [--start YYYY-MM]
 *              [--scale F] [--error-rate R] [--shared-patients P]
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

#define S_MAX_PROVIDERS 1000
#define S_MAX_MONTHS 120
#define S_HISTORY 24           /* months of referrals replayed before each extract month */
#define S_MAX_LIFE 680         /* days from referral to discharge at most: fits S_HISTORY */
#define S_SHARED_DELAY 8       /* months between a shared person's two referrals at most */
#define S_RETURN_MAX 18        /* months back a returning patient's first referral may be */
#define S_BASE_REFERRALS 600.0 /* new referrals a month of an average provider at scale 1 */
#define S_MAX_CONTACTS 64
#define S_FIELDS 8
#define S_FIELD 40
#define S_MAX_SUBICB 128
#define S_MAX_DISTRICTS 2048

/* NHS numbers are drawn without collisions from a space of 5.4e8 valid ones:
 * 1000 provider slots x 48 months x 11250 serials (own patients below
 * S_NHS_SHARED, shared ones above it). Past roughly --scale 2.5 the largest
 * providers' serials wrap and a rare number repeats. */
#define S_NHS_MONTHS 48
#define S_NHS_SERIALS 11250
#define S_NHS_SHARED 8000
#define S_NHS_SPACE 540000000ULL

enum s_tag {
    TAG_REFDATA = 1,
    TAG_PROVIDER,
    TAG_PROVIDER_NAME,
    TAG_COUNT,
    TAG_OWN,
    TAG_PERSON,
    TAG_SHARED_COUNT,
    TAG_SHARED,
    TAG_EXPORT,
    TAG_ERRORS,
    TAG_NHS,
};

/* ------------------------------------------------------------------------ */
/* Random streams: splitmix64, keyed by what a stream belongs to.            */

typedef struct s_rng {
    uint64_t s;
} s_rng_t;

static uint64_t
s_mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* The key of a sub-stream: a parent key and one more coordinate. Streams are
 * named by what they belong to, never by the order things are generated in. */
static uint64_t
s_key(uint64_t parent, uint64_t coord)
{
    return s_mix(parent ^ s_mix(coord + 0x9e3779b97f4a7c15ULL));
}

static uint64_t
s_key3(uint64_t parent, uint64_t a, uint64_t b)
{
    return s_key(s_key(parent, a), b);
}

static s_rng_t
s_rng(uint64_t key)
{
    s_rng_t r = {key};
    return r;
}

static uint64_t
s_next(s_rng_t *r)
{
    r->s += 0x9e3779b97f4a7c15ULL;
    return s_mix(r->s);
}

/* Uniform in [0, 1). */
static double
s_unif(s_rng_t *r)
{
    return (double)(s_next(r) >> 11) * 0x1.0p-53;
}

/* Uniform in [0, n). */
static uint32_t
s_below(s_rng_t *r, uint32_t n)
{
    return (uint32_t)(((s_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* Uniform in [lo, hi]; lo when hi < lo. */
static int
s_range(s_rng_t *r, int lo, int hi)
{
    if (hi <= lo)
        return lo;
    return lo + (int)s_below(r, (uint32_t)(hi - lo + 1));
}

static bool
s_chance(s_rng_t *r, double p)
{
    return s_unif(r) < p;
}

static double
s_normal(s_rng_t *r)
{
    double u1 = 1.0 - s_unif(r), u2 = s_unif(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

static int
s_poisson(s_rng_t *r, double lambda)
{
    if (lambda <= 0)
        return 0;
    if (lambda > 40) {
        double v = floor(lambda + sqrt(lambda) * s_normal(r) + 0.5);
        return v < 0 ? 0 : (int)v;
    }
    double limit = exp(-lambda), prod = s_unif(r);
    int n = 0;
    while (prod > limit) {
        prod *= s_unif(r);
        n++;
    }
    return n;
}

/* Index drawn with integer weights w[0..n-1]. */
static int
s_weighted(s_rng_t *r, const unsigned *w, int n)
{
    unsigned total = 0;
    for (int i = 0; i < n; i++)
        total += w[i];
    unsigned u = s_below(r, total);
    for (int i = 0; i < n; i++) {
        if (u < w[i])
            return i;
        u -= w[i];
    }
    return n - 1;
}

typedef struct s_code {
    const char *code;
    unsigned w;
} s_code_t;

#define S_N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const char *
s_pick(s_rng_t *r, const s_code_t *t, int n)
{
    unsigned total = 0;
    for (int i = 0; i < n; i++)
        total += t[i].w;
    unsigned u = s_below(r, total);
    for (int i = 0; i < n; i++) {
        if (u < t[i].w)
            return t[i].code;
        u -= t[i].w;
    }
    return t[n - 1].code;
}

static double
s_clampd(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static int
s_clampi(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* ------------------------------------------------------------------------ */
/* Reference data.                                                           */

/* The ten Strategic Health Authorities of data/sha-2012-targets.csv
 * serve as regions (names must match sha_name exactly); prevalence weights
 * how many providers each gets. */
static const struct {
    const char *name;
    unsigned prevalence;
    const char *areas; /* postcode areas, space separated */
    const char *towns; /* for provider names, '|' separated */
    double imd;        /* typical IMD decile of the region */
} s_regions[] = {
    {"East of England", 684797, "CB PE NR IP CO CM SS LU MK SG AL",
     "Cambridge|Peterborough|Norwich|Ipswich|Colchester|Chelmsford|Southend|Luton|Bedford|"
     "Watford|Stevenage|Harlow|Great Yarmouth|King's Lynn|Bury St Edmunds",
     6.0},
    {"East Midlands", 431814, "NG DE LE LN NN",
     "Nottingham|Derby|Leicester|Lincoln|Northampton|Mansfield|Chesterfield|Kettering|Boston|"
     "Loughborough|Grantham|Corby",
     5.0},
    {"London", 1018112, "E N NW SE SW W EC WC EN HA UB TW KT CR BR DA IG RM",
     "Camden|Islington|Hackney|Tower Hamlets|Newham|Redbridge|Barking and Dagenham|Havering|"
     "Ealing|Brent|Hounslow|Hillingdon|Harrow|Lambeth|Southwark|Lewisham|Greenwich|Bromley|"
     "Croydon|Merton|Wandsworth|Kingston|Richmond|Sutton|Enfield|Barnet|Haringey|"
     "Waltham Forest|Westminster|Kensington and Chelsea",
     4.8},
    {"North East", 330385, "NE SR DH TS DL",
     "Newcastle|Gateshead|Sunderland|Durham|Middlesbrough|Darlington|Hartlepool|Stockton|"
     "North Tyneside|South Tyneside|Northumberland|Carlisle",
     3.6},
    {"North West", 1004581, "M L WA CH PR BL OL SK WN BB LA CA FY CW",
     "Manchester|Salford|Stockport|Bolton|Wigan|Oldham|Rochdale|Bury|Trafford|Tameside|"
     "Liverpool|Wirral|Sefton|St Helens|Warrington|Halton|Chester|Crewe|Preston|Blackpool|"
     "Blackburn|Burnley|Lancaster|Barrow",
     4.0},
    {"South Central", 411454, "OX RG SO PO SL HP GU",
     "Oxford|Reading|Slough|Southampton|Portsmouth|Winchester|Basingstoke|Aylesbury|"
     "High Wycombe|Isle of Wight|Newbury|Banbury|Farnborough",
     7.0},
    {"South East Coast", 430321, "ME CT TN BN RH",
     "Maidstone|Canterbury|Medway|Dartford|Ashford|Brighton|Hastings|Eastbourne|Crawley|"
     "Worthing|Guildford|Redhill|Epsom",
     6.3},
    {"South West", 613546, "BS BA SN EX PL TQ TR TA DT BH GL",
     "Bristol|Bath|Swindon|Salisbury|Exeter|Plymouth|Torbay|Truro|Taunton|Yeovil|Dorchester|"
     "Bournemouth|Poole|Gloucester|Cheltenham",
     6.2},
    {"West Midlands", 568463, "B WS WV DY CV ST WR HR TF SY",
     "Birmingham|Solihull|Wolverhampton|Walsall|Dudley|Sandwell|Coventry|Warwick|Worcester|"
     "Hereford|Shrewsbury|Telford|Stoke-on-Trent|Stafford|Nuneaton",
     4.5},
    {"Yorkshire and Humber", 620772, "LS BD HD HX WF S DN HU YO HG",
     "Leeds|Bradford|Wakefield|Kirklees|Calderdale|Sheffield|Rotherham|Doncaster|Barnsley|Hull|"
     "York|Scarborough|Harrogate|Grimsby|Scunthorpe",
     4.2},
};
#define S_NREGIONS S_N(s_regions)
#define S_LONDON 2

/* The 42 ICBs, placed in the SHA they lie in, with how many sub-ICBs each
 * has here (106 in all). Several names hold a comma, as the real ones do. */
static const struct {
    const char *place;
    const char *code;
    int region;
    int n_sub;
} s_icbs[] = {
    {"North East and North Cumbria", "QHM", 3, 5},
    {"Cheshire and Merseyside", "QYG", 4, 6},
    {"Greater Manchester", "QOP", 4, 6},
    {"Lancashire and South Cumbria", "QE1", 4, 4},
    {"Humber and North Yorkshire", "QOQ", 9, 4},
    {"South Yorkshire", "QF7", 9, 4},
    {"West Yorkshire", "QWO", 9, 5},
    {"Derby and Derbyshire", "QJ2", 1, 1},
    {"Leicester, Leicestershire and Rutland", "QK1", 1, 3},
    {"Lincolnshire", "QJM", 1, 1},
    {"Northamptonshire", "QPM", 1, 1},
    {"Nottingham and Nottinghamshire", "QT1", 1, 2},
    {"Birmingham and Solihull", "QHL", 8, 1},
    {"Black Country", "QUA", 8, 3},
    {"Coventry and Warwickshire", "QWU", 8, 2},
    {"Herefordshire and Worcestershire", "QGH", 8, 1},
    {"Shropshire, Telford and Wrekin", "QOC", 8, 1},
    {"Staffordshire and Stoke-on-Trent", "QNC", 8, 2},
    {"Bedfordshire, Luton and Milton Keynes", "QHG", 0, 3},
    {"Cambridgeshire and Peterborough", "QUE", 0, 1},
    {"Hertfordshire and West Essex", "QM7", 0, 3},
    {"Mid and South Essex", "QH8", 0, 3},
    {"Norfolk and Waveney", "QMM", 0, 1},
    {"Suffolk and North East Essex", "QJG", 0, 2},
    {"North Central London", "QMJ", 2, 3},
    {"North East London", "QMF", 2, 4},
    {"North West London", "QRV", 2, 4},
    {"South East London", "QKK", 2, 3},
    {"South West London", "QWE", 2, 3},
    {"Kent and Medway", "QKS", 6, 1},
    {"Sussex", "QNX", 6, 3},
    {"Surrey Heartlands", "QXU", 6, 2},
    {"Frimley", "QNQ", 5, 2},
    {"Hampshire and Isle of Wight", "QRL", 5, 4},
    {"Buckinghamshire, Oxfordshire and Berkshire West", "QU9", 5, 3},
    {"Bath and North East Somerset, Swindon and Wiltshire", "QOX", 7, 3},
    {"Bristol, North Somerset and South Gloucestershire", "QUY", 7, 1},
    {"Cornwall and the Isles of Scilly", "QT6", 7, 1},
    {"Devon", "QJK", 7, 1},
    {"Dorset", "QVV", 7, 1},
    {"Gloucestershire", "QR1", 7, 1},
    {"Somerset", "QSL", 7, 1},
};
#define S_NICBS S_N(s_icbs)

/* Commissioner codes that referrals sometimes carry but geography.csv lacks
 * (national commissioning, out-of-area arrangements). */
static const char *const s_unknown_comm[] = {"13Q", "X24"};

static const s_code_t s_other_sources[] = {
    {"A2", 30}, {"A3", 10}, {"A4", 5}, {"B2", 15}, {"C1", 10}, {"C2", 5}, {"C3", 5},  {"D1", 10},
    {"D2", 5},  {"E1", 3},  {"E2", 3}, {"E3", 3},  {"E4", 3},  {"E5", 3}, {"E6", 3},  {"F1", 5},
    {"F2", 5},  {"F3", 5},  {"G1", 3}, {"G2", 3},  {"G3", 3},  {"G4", 3}, {"H1", 10}, {"H2", 5},
    {"I1", 3},  {"I2", 3},  {"M1", 3}, {"M2", 3},  {"M3", 3},  {"M4", 3}, {"M5", 3},  {"M6", 3},
    {"M7", 3},  {"M8", 3},  {"N1", 5}, {"N2", 3},  {"N4", 3},  {"P1", 5}, {"Q1", 5},
};

static const s_code_t s_gender[] = {
    {"2", 6420}, {"1", 3300}, {"3", 90}, {"4", 30}, {"X", 70}, {"Z", 70}, {"", 20},
};

/* Ethnic category: the national mix of referrals, and London's. */
static const s_code_t s_ethnic[] = {
    {"A", 7550}, {"B", 150}, {"C", 600}, {"D", 70},   {"E", 50},  {"F", 50},  {"G", 80},
    {"H", 350},  {"J", 200}, {"K", 80},  {"L", 170},  {"M", 130}, {"N", 150}, {"P", 70},
    {"R", 30},   {"S", 120}, {"Z", 400}, {"99", 450}, {"", 100},
};
static const s_code_t s_ethnic_london[] = {
    {"A", 4100}, {"B", 250}, {"C", 1100}, {"D", 200},  {"E", 150}, {"F", 120}, {"G", 250},
    {"H", 650},  {"J", 350}, {"K", 350},  {"L", 400},  {"M", 500}, {"N", 550}, {"P", 250},
    {"R", 50},   {"S", 330}, {"Z", 450},  {"99", 500}, {"", 100},
};

static const s_code_t s_employ[] = {
    {"01", 560}, {"02", 100}, {"03", 60}, {"04", 80}, {"05", 40},
    {"06", 30},  {"07", 10},  {"08", 70}, {"ZZ", 50},
};

/* Long-term conditions (SNOMED CT). */
static const s_code_t s_ltc[] = {
    {"44054006", 14}, {"46635009", 2},  {"195967001", 14}, {"13645005", 6},  {"53741008", 5},
    {"38341003", 10}, {"82423001", 16}, {"10743008", 8},   {"52702003", 4},  {"24700007", 2},
    {"84757009", 3},  {"69896004", 3},  {"396275006", 6},  {"84114007", 2},  {"363346000", 4},
    {"709044004", 2}, {"230690007", 2}, {"49049000", 1},   {"414916001", 5},
};

/* Problem descriptors (ICD-10 without the dot) as primary. */
static const s_code_t s_problems[] = {
    {"F32", 180}, {"F33", 60},  {"F411", 220}, {"F412", 190}, {"F410", 40},
    {"F400", 10}, {"F401", 30}, {"F402", 15},  {"F42", 40},   {"F431", 60},
    {"F452", 25}, {"F50", 5},   {"F419", 40},  {"F438", 30},  {"F341", 10},
};

/* Therapy types (MEASURES.md); "CBT" stands for the provider's CBT code. */
static const s_code_t s_low_intensity[] = {
    {"748051000000105", 400},  {"748041000000107", 260}, {"748101000000105", 30},
    {"748091000000102", 40},   {"748061000000108", 30},  {"702545008", 80},
    {"1026111000000108", 160},
};
static const s_code_t s_high_depression[] = {
    {"CBT", 500},      {"286711000000107", 220}, {"443730003", 80},       {"1129471000000105", 40},
    {"314034001", 40}, {"842901000000108", 20},  {"933221000000107", 30}, {"1026131000000100", 70},
};
static const s_code_t s_high_anxiety[] = {
    {"CBT", 800},      {"1127281000000100", 50}, {"933221000000107", 30}, {"1026131000000100", 60},
    {"449030000", 20}, {"314034001", 20},        {"286711000000107", 20},
};
static const s_code_t s_high_ptsd[] = {
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

static const s_code_t s_systems[] = {
    {"IAPTus", 55}, {"PC-MIS", 22}, {"SystmOne", 13}, {"Rio", 6}, {"EMIS Web", 4},
};

static const char *const s_name_forms[] = {
    "%s Talking Therapies",
    "NHS Talking Therapies %s",
    "Talking Therapies %s and District",
    "%s Wellbeing Service",
    "%s Psychological Therapies Service",
    "Let's Talk %s",
    "%s Healthy Minds",
    "Talking Therapies, %s",
    "%s Mind Matters",
    "Steps to Wellbeing %s",
    "%s Lifeworks, Talking Therapies",
};

/* New referrals by calendar month relative to the average (fewer in August
 * and December). */
static const double s_season[12] = {1.10, 1.05, 1.05, 0.96, 1.00, 1.00,
                                    0.98, 0.88, 1.02, 1.08, 1.05, 0.83};

/* ------------------------------------------------------------------------ */
/* Dates and small formatting helpers.                                       */

/* 0 = Monday .. 6 = Sunday (1970-01-01 was a Thursday). */
static int
s_weekday(int32_t d)
{
    return (int)(((d % 7) + 7 + 3) % 7);
}

static void
s_month_of(int mi, iapt_period_t *p)
{
    iapt_period_make(mi / 12, mi % 12 + 1, p);
}

static int
s_month_index(const iapt_period_t *p)
{
    return p->year * 12 + p->month - 1;
}

/* Move a weekend day to the Monday after, as clinics mostly do. */
static int32_t
s_workday(s_rng_t *r, int32_t d)
{
    int wd = s_weekday(d);
    if (wd >= 5 && !s_chance(r, 0.04))
        d += 7 - wd;
    return d;
}

static void
s_copy(char *dst, size_t size, const char *src)
{
    iapt_strlcpy(dst, src, size);
}

/* ------------------------------------------------------------------------ */
/* Geography and postcode deprivation (the same for every seed).             */

typedef struct s_district {
    char out[16]; /* outward code, e.g. "LS6" */
    uint8_t decile;
} s_district_t;

typedef struct s_subicb {
    char code[4];
    int icb;
    int first_district;
    int n_districts;
} s_subicb_t;

typedef struct s_geo {
    int n_sub;
    s_subicb_t sub[S_MAX_SUBICB];
    int icb_first[S_NICBS]; /* first sub-ICB of each ICB (they are consecutive) */
    int n_dist;
    s_district_t dist[S_MAX_DISTRICTS];
} s_geo_t;

/* The k-th word of a space or '|' separated list into out; the number of words. */
static int
s_word(const char *list, char sep, int k, char *out, size_t size)
{
    int i = 0;
    const char *p = list;
    while (*p) {
        const char *q = strchr(p, sep);
        size_t n = q ? (size_t)(q - p) : strlen(p);
        if (i == k && out) {
            if (n >= size)
                n = size - 1;
            memcpy(out, p, n);
            out[n] = 0;
        }
        i++;
        if (!q)
            break;
        p = q + 1;
    }
    return i;
}

static void
s_geo_build(s_geo_t *g)
{
    static const char letters[] = "ACDEFGHJKLMNPQRTVWX"; /* 19: codes below stay unique */
    s_rng_t r = s_rng(s_key(0x1a9751a9ULL, TAG_REFDATA));
    memset(g, 0, sizeof *g);
    for (int i = 0; i < S_NICBS; i++) {
        g->icb_first[i] = g->n_sub;
        for (int k = 0; k < s_icbs[i].n_sub; k++) {
            s_subicb_t *s = &g->sub[g->n_sub];
            int n = g->n_sub++;
            s->code[0] = (char)('0' + (n * 37 + 11) % 100 / 10);
            s->code[1] = (char)('0' + (n * 37 + 11) % 10);
            s->code[2] = letters[n % 19];
            s->icb = i;
        }
    }
    /* Postcode districts: each region's areas are dealt out to its sub-ICBs,
     * a block of consecutive district numbers each. */
    for (int reg = 0; reg < S_NREGIONS; reg++) {
        int n_areas = s_word(s_regions[reg].areas, ' ', 0, NULL, 0), k = 0;
        for (int i = 0; i < g->n_sub; i++) {
            s_subicb_t *s = &g->sub[i];
            if (s_icbs[s->icb].region != reg)
                continue;
            char area[4];
            s_word(s_regions[reg].areas, ' ', k % n_areas, area, sizeof area);
            int block = k / n_areas, n = 8 + (int)s_below(&r, 5);
            k++;
            s->first_district = g->n_dist;
            for (int t = 0; t < n; t++) {
                s_district_t *d = &g->dist[g->n_dist++];
                if (!strcmp(area, "EC") || !strcmp(area, "WC"))
                    snprintf(d->out, sizeof d->out, "%s%d%c", area, 1 + t / 6, "AMNRVY"[t % 6]);
                else
                    snprintf(d->out, sizeof d->out, "%s%d", area, block * 13 + 1 + t);
                double dec = s_regions[reg].imd + 2.4 * s_normal(&r);
                d->decile = (uint8_t)s_clampi((int)floor(dec + 0.5), 1, 10);
            }
            s->n_districts = n;
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Providers.                                                                */

typedef struct s_provider {
    int idx;
    char code[6];
    char name[96];
    int region;
    int n_sub;
    int sub[4]; /* sub-ICB indexes served */
    unsigned sub_w[4];
    double size;       /* relative size, mean about 1 */
    double self_share; /* self-referrals (B1) */
    double gp_share;   /* GP referrals (A1) */
    double p6;         /* treatment starts within six weeks */
    double miss;       /* chance an appointment gap holds a missed appointment */
    double recov;      /* shift of the chance to recover */
    double untreated;  /* shift of the share ending without treatment */
    double score_q;    /* chance an appointment's questionnaires are recorded */
    double lag;        /* mean days from last contact to discharge */
    const char *cbt;   /* the CBT code its system records */
    const char *system;
    int mech; /* consultation mechanism profile */
} s_provider_t;

/* What a provider is like, from the seed and its index alone: its partner for
 * shared patients computes the same answer without the other providers. */
static void
s_provider_traits(uint64_t seed, int idx, const s_geo_t *g, s_provider_t *p)
{
    s_rng_t r = s_rng(s_key3(seed, TAG_PROVIDER, (uint64_t)idx));
    memset(p, 0, sizeof *p);
    p->idx = idx;
    unsigned wreg[S_NREGIONS];
    for (int i = 0; i < S_NREGIONS; i++)
        wreg[i] = s_regions[i].prevalence / 1000;
    p->region = s_weighted(&r, wreg, S_NREGIONS);
    unsigned wicb[S_NICBS];
    for (int i = 0; i < S_NICBS; i++)
        wicb[i] = s_icbs[i].region == p->region ? (unsigned)s_icbs[i].n_sub : 0;
    int icb = s_weighted(&r, wicb, S_NICBS);
    static const unsigned wn[4] = {40, 30, 20, 10};
    int want = 1 + s_weighted(&r, wn, 4);
    p->sub[p->n_sub] = g->icb_first[icb] + (int)s_below(&r, (uint32_t)s_icbs[icb].n_sub);
    p->sub_w[p->n_sub++] = (unsigned)s_range(&r, 50, 80);
    for (int tries = 0; p->n_sub < want && tries < 40; tries++) {
        int cand;
        if (s_chance(&r, 0.85)) {
            cand = g->icb_first[icb] + (int)s_below(&r, (uint32_t)s_icbs[icb].n_sub);
        } else {
            cand = (int)s_below(&r, (uint32_t)g->n_sub);
            if (s_icbs[g->sub[cand].icb].region != p->region)
                continue;
        }
        bool dup = false;
        for (int i = 0; i < p->n_sub; i++)
            dup |= p->sub[i] == cand;
        if (dup)
            continue;
        p->sub[p->n_sub] = cand;
        p->sub_w[p->n_sub++] = (unsigned)s_range(&r, 10, 40);
    }
    /* Sizes: log-normal with mean 1, so a few large services and some small. */
    p->size = s_clampd(exp(0.55 * s_normal(&r) - 0.15), 0.12, 4.0);
    /* Services covering more sub-ICBs are bigger; the divisor keeps the mean
     * at 1 (measured over 1000 providers). */
    p->size *= 1.0 + 0.2 * (p->n_sub - 1);
    p->size /= 1.166;
    p->self_share = s_clampd(0.66 + 0.06 * s_normal(&r), 0.45, 0.85);
    p->gp_share = (1.0 - p->self_share) * s_clampd(0.68 + 0.08 * s_normal(&r), 0.4, 0.9);
    p->p6 = s_clampd(0.91 + 0.045 * s_normal(&r), 0.65, 0.995);
    p->miss = s_clampd(0.17 + 0.04 * s_normal(&r), 0.06, 0.3);
    p->recov = s_clampd(0.05 * s_normal(&r), -0.15, 0.15);
    p->untreated = s_clampd(0.03 * s_normal(&r), -0.08, 0.08);
    p->score_q = s_clampd(0.955 + 0.02 * s_normal(&r), 0.85, 0.995);
    p->lag = s_clampd(19.0 + 7.0 * s_normal(&r), 4.0, 40.0);
    p->cbt = s_chance(&r, 0.2) ? "228557008" : "304891004";
    p->system = s_pick(&r, s_systems, S_N(s_systems));
    p->mech = (int)s_below(&r, 3);
}

/* Codes and names: unique, so each depends on the providers before it (never
 * on how many come after). */
static void
s_provider_names(uint64_t seed, s_provider_t *all, int idx)
{
    static const char alnum[] = "ABCDEFGHJKLMNPQRTVWXY0123456789";
    static const char upper[] = "ABCDEFGHJKLMNPQRTVWXY";
    s_provider_t *p = &all[idx];
    s_rng_t r = s_rng(s_key3(seed, TAG_PROVIDER_NAME, (uint64_t)idx));
    for (;;) {
        char c[6];
        if (s_chance(&r, 0.65)) { /* NHS trust style: RAT */
            c[0] = 'R';
            c[1] = upper[s_below(&r, sizeof upper - 1)];
            c[2] = alnum[s_below(&r, sizeof alnum - 1)];
            c[3] = 0;
        } else if (s_chance(&r, 0.6)) { /* independent sector site: 8J766 */
            c[0] = (char)('1' + s_below(&r, 9));
            c[1] = upper[s_below(&r, sizeof upper - 1)];
            for (int i = 2; i < 5; i++)
                c[i] = (char)('0' + s_below(&r, 10));
            c[5] = 0;
        } else { /* voluntary sector: NQL05 */
            c[0] = "NAD"[s_below(&r, 3)];
            c[1] = upper[s_below(&r, sizeof upper - 1)];
            c[2] = upper[s_below(&r, sizeof upper - 1)];
            c[3] = (char)('0' + s_below(&r, 10));
            c[4] = (char)('0' + s_below(&r, 10));
            c[5] = 0;
        }
        bool dup = false;
        for (int i = 0; i < idx && !dup; i++)
            dup = !strcmp(all[i].code, c);
        if (!dup) {
            s_copy(p->code, sizeof p->code, c);
            break;
        }
    }
    const char *towns = s_regions[p->region].towns;
    int n_towns = s_word(towns, '|', 0, NULL, 0);
    for (int tries = 0;; tries++) {
        char town[40], name[96];
        s_word(towns, '|', (int)s_below(&r, (uint32_t)n_towns), town, sizeof town);
        const char *form = s_name_forms[s_below(&r, S_N(s_name_forms))];
        if (tries >= 60) {
            snprintf(name, sizeof name, "%s Talking Therapies (%s)", town, p->code);
        } else {
            /* The forms are fixed text with one %s: splice the town in. */
            const char *at = strstr(form, "%s");
            snprintf(name, sizeof name, "%.*s%s%s", (int)(at - form), form, town, at + 2);
        }
        bool dup = false;
        for (int i = 0; i < idx && !dup; i++)
            dup = !strcmp(all[i].name, name);
        if (!dup) {
            s_copy(p->name, sizeof p->name, name);
            break;
        }
    }
}

/* Mean new referrals a month, before seasonality. */
static double
s_lambda(const s_provider_t *p, double scale)
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

/* The NHS number with collision-free index i < S_NHS_SPACE: a seeded affine
 * permutation, then 6e7 eight-digit stems (4..9 first) x the nine ninth
 * digits that leave a valid modulus-11 check digit. */
static void
s_nhs_number(uint64_t seed, uint64_t i, char out[12])
{
    uint64_t b = s_key(seed, TAG_NHS) % S_NHS_SPACE;
    uint64_t v = (282475249ULL * (i % S_NHS_SPACE) + b) % S_NHS_SPACE;
    uint64_t stem = 40000000ULL + v / 9;
    int k = (int)(v % 9);
    char d[11];
    for (int j = 7; j >= 0; j--) {
        d[j] = (char)('0' + stem % 10);
        stem /= 10;
    }
    int sum8 = 0;
    for (int j = 0; j < 8; j++)
        sum8 += (d[j] - '0') * (10 - j);
    for (int d9 = 0, seen = 0; d9 < 10; d9++) {
        int sum = sum8 + 2 * d9, check = 11 - sum % 11;
        if (check == 10)
            continue;
        if (seen++ == k) {
            d[8] = (char)('0' + d9);
            d[9] = (char)('0' + (check == 11 ? 0 : check));
            break;
        }
    }
    d[10] = 0;
    memcpy(out, d, 11);
}

/* A person: key names their stream; around is a day no later than any of
 * their referrals (so they are never born after one). */
static void
s_person_make(uint64_t seed, uint64_t key, uint64_t nhs_index, int32_t around, bool london,
              s_person_t *out)
{
    s_rng_t r = s_rng(s_key(key, 1));
    out->key = key;
    s_nhs_number(seed, nhs_index, out->nhs);
    static const unsigned band_w[] = {12, 175, 245, 205, 165, 115, 55, 25};
    static const int band_lo[] = {16, 18, 26, 36, 46, 56, 65, 75};
    static const int band_hi[] = {17, 25, 35, 45, 55, 64, 74, 90};
    int b = s_weighted(&r, band_w, S_N(band_w));
    int age = s_range(&r, band_lo[b], band_hi[b]);
    out->birth = around - (int32_t)floor(age * 365.2425) - (int32_t)s_below(&r, 365) - 1;
    out->gender = s_pick(&r, s_gender, S_N(s_gender));
    out->ethnic = london ? s_pick(&r, s_ethnic_london, S_N(s_ethnic_london))
                         : s_pick(&r, s_ethnic, S_N(s_ethnic));
    out->n_ltc = 0;
    if (s_chance(&r, 0.30)) {
        out->ltc[out->n_ltc++] = s_pick(&r, s_ltc, S_N(s_ltc));
        if (s_chance(&r, 0.3)) {
            const char *second = s_pick(&r, s_ltc, S_N(s_ltc));
            if (strcmp(second, out->ltc[0]))
                out->ltc[out->n_ltc++] = second;
        }
    }
    out->employ = s_pick(&r, s_employ, S_N(s_employ));
    out->ssp = !strcmp(out->employ, "01") && s_chance(&r, 0.13);
    out->benefits = (!strcmp(out->employ, "02") || !strcmp(out->employ, "04")) ? s_chance(&r, 0.6)
                                                                               : s_chance(&r, 0.03);
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
s_attend_code(s_rng_t *r)
{
    return s_chance(r, 0.018) ? 6 : 5;
}

/* A missed appointment: did not attend, cancelled by patient or provider,
 * late and not seen. */
static int
s_missed_code(s_rng_t *r)
{
    static const unsigned w[] = {58, 23, 15, 4};
    static const int code[] = {3, 2, 4, 7};
    return code[s_weighted(r, w, 4)];
}

/* A working day strictly between lo and hi, or -1 when there is none. */
static int32_t
s_between(s_rng_t *r, int32_t lo, int32_t hi)
{
    if (hi - lo < 2)
        return -1;
    int32_t d = lo + 1 + (int32_t)s_below(r, (uint32_t)(hi - lo - 1));
    d = s_workday(r, d);
    return d < hi ? d : -1;
}

/* Days from referral to first treatment: about 90% within six weeks (the
 * provider's p6), most of the rest within 18 weeks, a long tail. */
static int
s_treat_wait(s_rng_t *r, const s_provider_t *p)
{
    double u = s_unif(r), v = s_unif(r);
    if (u < p->p6) {
        double t = s_chance(r, 0.6) ? 1.0 - sqrt(1.0 - v) : v;
        return 2 + (int)(38.0 * t);
    }
    if (s_chance(r, 0.8))
        return 43 + (int)(83.0 * (1.0 - sqrt(1.0 - v)));
    return 127 + (int)(220.0 * v * v);
}

static int
s_lag(s_rng_t *r, double mean)
{
    int d = (int)(-log(1.0 - s_unif(r)) * mean);
    return d > 90 ? 90 : d;
}

static int
s_session_gap(s_rng_t *r, int phase)
{
    double u = s_unif(r);
    int g;
    if (phase == PH_LI)
        g = u < 0.55 ? 7 : u < 0.9 ? 14 : s_range(r, 10, 21);
    else
        g = u < 0.8 ? 7 : u < 0.95 ? 14 : s_range(r, 3, 6);
    return g + s_range(r, -1, 1);
}

static int
s_sessions(s_rng_t *r, int phase)
{
    if (phase == PH_LI)
        return s_chance(r, 0.15) ? s_range(r, 2, 3) : s_clampi(3 + s_poisson(r, 3.3), 2, 12);
    return s_chance(r, 0.12) ? s_range(r, 2, 5) : s_clampi(6 + s_poisson(r, 7.5), 2, 24);
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

static const s_code_t s_end_nocontact[] = {
    {"50", 40}, {"10", 12}, {"11", 18}, {"13", 10}, {"14", 15}, {"95", 5},
};
static const s_code_t s_end_assessed[] = {
    {"10", 100}, {"11", 220}, {"12", 200}, {"13", 200},
    {"14", 180}, {"16", 40},  {"95", 58},  {"17", 2},
};
static const s_code_t s_end_unseen[] = {{"50", 55}, {"16", 30}, {"95", 15}};
static const s_code_t s_end_once[] = {{"47", 50}, {"48", 8}, {"46", 22}, {"96", 20}};
static const s_code_t s_end_finished[] = {
    {"46", 640}, {"47", 230}, {"48", 50}, {"96", 75}, {"49", 5},
};

/* The treated part of a pathway: assessment, sessions, ending. */
static void
s_plan_treated(s_rng_t *r, const s_provider_t *p, s_plan_t *pl)
{
    int32_t ref = pl->ref;
    int w1 = s_treat_wait(r, p);
    int32_t t1 = s_workday(r, ref + w1);
    bool combined = w1 < 5 || s_chance(r, 0.18);
    int32_t a = t1;
    if (!combined) {
        a = s_workday(r, ref + 1 + (int32_t)s_below(r, (uint32_t)(w1 * 2 / 3)));
        if (a >= t1)
            combined = true;
    }
    int32_t first = combined ? t1 : a;
    if (s_chance(r, p->miss * 0.7)) {
        int32_t d = s_between(r, ref, first);
        if (d > 0)
            s_add(pl, d, 1, s_missed_code(r), PH_ASSESS);
    }
    if (!combined) {
        s_add(pl, a, 1, s_attend_code(r), PH_ASSESS);
        if (s_chance(r, p->miss * 0.5)) {
            int32_t d = s_between(r, a, t1);
            if (d > 0)
                s_add(pl, d, 2, s_missed_code(r), PH_LI);
        }
    }

    int n_li = 0, n_hi = 0;
    if (pl->cat == CAT_ONCE) {
        pl->intensity = s_chance(r, 0.6) ? INT_LI : INT_HI;
        if (pl->intensity == INT_LI)
            n_li = 1;
        else
            n_hi = 1;
    } else {
        double u = s_unif(r);
        pl->intensity = u < 0.55 ? INT_LI : u < 0.85 ? INT_HI : INT_STEP;
        if (pl->intensity == INT_LI)
            n_li = s_sessions(r, PH_LI);
        else if (pl->intensity == INT_HI)
            n_hi = s_sessions(r, PH_HI);
        else {
            n_li = 2 + s_poisson(r, 1.5);
            n_hi = s_clampi(5 + s_poisson(r, 6.0), 2, 20);
        }
    }
    const char *end = s_pick(r, s_end_finished, S_N(s_end_finished));
    if (pl->cat == CAT_ONCE)
        end = s_pick(r, s_end_once, S_N(s_end_once));
    bool dropout = !strcmp(end, "47") || !strcmp(end, "48");
    int total = n_li + n_hi;
    if (dropout && total > 2) { /* they stop part way */
        total = 2 + (int)s_below(r, (uint32_t)(total - 1));
        if (n_li > total)
            n_li = total;
        n_hi = total - n_li;
    }

    int32_t d = t1, last = t1;
    for (int i = 0; i < total && pl->n < S_MAX_CONTACTS - 8; i++) {
        int phase = i < n_li ? PH_LI : PH_HI;
        if (i > 0) {
            int gap = (i == n_li) ? s_range(r, 14, 42) : s_session_gap(r, phase);
            if (i == 1) { /* the "hidden wait" for the second session */
                double h = s_unif(r);
                gap += h < 0.45 ? 0 : h < 0.88 ? s_range(r, 7, 56) : s_range(r, 56, 140);
            }
            int32_t next = s_workday(r, d + (gap < 1 ? 1 : gap));
            if (s_chance(r, p->miss)) {
                int32_t m = s_between(r, d, next);
                if (m > 0) {
                    s_add(pl, m, 2, s_missed_code(r), phase);
                    next = s_workday(r, next + 7); /* rebooked */
                }
            }
            d = next;
        }
        int app = 2;
        if (i == 0 && combined)
            app = 3;
        else if (i == total - 1 && total > 2 && s_chance(r, 0.1))
            app = 5;
        s_add(pl, d, app, s_attend_code(r), phase);
        last = d;
    }
    /* Employment support alongside treatment, for a few. */
    if (total >= 2 && s_chance(r, 0.03)) {
        int k = s_range(r, 1, 3);
        for (int i = 0; i < k; i++) {
            int32_t e = s_workday(r, t1 + 1 + (int32_t)s_below(r, (uint32_t)(last - t1 + 1)));
            if (e > t1 && e < last)
                s_add(pl, e, 10, s_attend_code(r), PH_OTHER);
        }
    }
    int32_t tail = last;
    if (dropout) {
        int k = s_chance(r, 0.7) ? s_range(r, 1, 2) : 0;
        for (int i = 0; i < k; i++) {
            tail = s_workday(r, tail + s_range(r, 6, 14));
            s_add(pl, tail, 2, s_chance(r, 0.8) ? 3 : 2, n_hi ? PH_HI : PH_LI);
        }
        pl->disch = tail + s_range(r, 14, 42);
    } else {
        if (!strcmp(end, "46") && total >= 2 && s_chance(r, 0.06)) {
            tail = s_workday(r, tail + s_range(r, 28, 56));
            s_add(pl, tail, 6, s_attend_code(r), PH_OTHER);
        }
        pl->disch = tail + s_lag(r, p->lag);
    }
    pl->end_code = end;
}

/* The plan of one referral received in month mi. */
static void
s_plan_make(uint64_t key, const s_provider_t *p, int mi, s_plan_t *pl)
{
    s_rng_t r = s_rng(s_key(key, 2));
    iapt_period_t m;
    s_month_of(mi, &m);
    pl->n = 0;
    pl->intensity = INT_NONE;
    /* Referral day: fewer at weekends (online self-referral never stops). */
    for (;;) {
        pl->ref = m.start + (int32_t)s_below(&r, (uint32_t)m.length);
        int wd = s_weekday(pl->ref);
        if (wd < 5 || s_chance(&r, wd == 5 ? 0.45 : 0.35))
            break;
    }
    double u = s_unif(&r);
    if (u < p->self_share)
        pl->source = "B1";
    else if (u < p->self_share + p->gp_share)
        pl->source = "A1";
    else if (s_chance(&r, 0.04))
        pl->source = "";
    else
        pl->source = s_pick(&r, s_other_sources, S_N(s_other_sources));

    double no_contact = 0.14 + p->untreated / 2, assessed = 0.33 + p->untreated / 2;
    u = s_unif(&r);
    pl->cat = u < no_contact                     ? CAT_NOCONTACT
              : u < no_contact + assessed        ? CAT_ASSESSED
              : u < no_contact + assessed + 0.08 ? CAT_ONCE
                                                 : CAT_FINISHED;
    int32_t ref = pl->ref;
    if (pl->cat == CAT_NOCONTACT) {
        /* Most close within weeks; a few linger on the waiting list. */
        if (s_chance(&r, 0.03))
            pl->disch = ref + s_range(&r, 150, 560);
        else
            pl->disch = ref + 2 + s_lag(&r, 35.0);
        pl->disch = s_workday(&r, pl->disch);
        pl->end_code = s_pick(&r, s_end_nocontact, S_N(s_end_nocontact));
    } else if (pl->cat == CAT_ASSESSED) {
        int wa = 1 + s_treat_wait(&r, p) * 3 / 5;
        int32_t a = s_workday(&r, ref + wa);
        if (s_chance(&r, 0.12)) { /* never came */
            s_add(pl, a, 1, s_chance(&r, 0.8) ? 3 : 2, PH_ASSESS);
            int32_t last = a;
            if (s_chance(&r, 0.35)) {
                last = s_workday(&r, a + s_range(&r, 7, 21));
                s_add(pl, last, 1, 3, PH_ASSESS);
            }
            pl->disch = last + s_range(&r, 7, 35);
            pl->end_code = s_pick(&r, s_end_unseen, S_N(s_end_unseen));
        } else {
            if (s_chance(&r, p->miss * 0.7)) {
                int32_t d = s_between(&r, ref, a);
                if (d > 0)
                    s_add(pl, d, 1, s_missed_code(&r), PH_ASSESS);
            }
            s_add(pl, a, 1, s_attend_code(&r), PH_ASSESS);
            int32_t last = a;
            if (s_chance(&r, 0.25)) {
                /* Put on the waiting list for treatment, then lost from it. */
                last = s_workday(&r, a + s_range(&r, 21, 150));
                if (s_chance(&r, 0.5))
                    s_add(pl, last, 4, s_chance(&r, 0.8) ? s_attend_code(&r) : 3, PH_OTHER);
                static const s_code_t lost[] = {{"14", 50}, {"12", 20}, {"13", 20}, {"95", 10}};
                pl->end_code = s_pick(&r, lost, S_N(lost));
            } else {
                if (s_chance(&r, 0.12)) {
                    last = s_workday(&r, a + s_range(&r, 7, 28));
                    s_add(pl, last, 4, s_chance(&r, 0.9) ? s_attend_code(&r) : 3, PH_OTHER);
                }
                pl->end_code = s_pick(&r, s_end_assessed, S_N(s_end_assessed));
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
s_outcome(s_rng_t *r, const s_provider_t *p, const char *pd, bool finished, int *phq0, int *gad0,
          int *phq1, int *gad1)
{
    bool dep = s_is_depression(pd);
    bool caseness = s_chance(r, 0.90);
    if (caseness) {
        int tries = 0;
        do {
            double s = s_normal(r);
            *phq0 =
                s_clampi((int)lround(15.5 + 4.8 * s + 2.2 * s_normal(r) + (dep ? 2 : -1)), 0, 27);
            *gad0 =
                s_clampi((int)lround(13.0 + 3.8 * s + 2.0 * s_normal(r) + (dep ? -1 : 1)), 0, 21);
        } while (*phq0 < 10 && *gad0 < 8 && ++tries < 8);
        if (*phq0 < 10 && *gad0 < 8)
            *phq0 = s_range(r, 10, 16);
    } else {
        *phq0 = s_range(r, 1, 9);
        *gad0 = s_range(r, 1, 7);
    }
    *phq1 = *phq0;
    *gad1 = *gad0;
    if (!finished) {
        *phq1 = s_clampi(*phq0 + s_range(r, -3, 1), 0, 27);
        *gad1 = s_clampi(*gad0 + s_range(r, -2, 1), 0, 21);
        return;
    }
    double u = s_unif(r);
    double p_det = caseness ? 0.055 : 0.10, p_ri = caseness ? 0.71 + p->recov / 2 : 0.30;
    if (u < p_det) {
        if (*phq0 <= 21) {
            *phq1 = *phq0 + s_range(r, 6, *phq0 + 10 > 27 ? 27 - *phq0 : 10);
            *gad1 = s_clampi(*gad0 + s_range(r, -2, 3), 0, 21);
            return;
        }
        if (*gad0 <= 17) {
            *gad1 = *gad0 + s_range(r, 4, *gad0 + 7 > 21 ? 21 - *gad0 : 7);
            *phq1 = s_clampi(*phq0 + s_range(r, -3, 2), 0, 27);
            return;
        }
    } else if (u < p_det + p_ri) {
        bool recover = caseness && s_chance(r, s_clampd(0.675 + p->recov, 0.4, 0.95));
        for (int tries = 0; tries < 24; tries++) {
            int a, b;
            if (recover) {
                a = (int)s_below(r, 10) * (int)s_below(r, 10) / 9; /* mostly low */
                b = (int)s_below(r, 8) * (int)s_below(r, 8) / 7;
            } else {
                a = s_clampi(*phq0 - s_range(r, 3, 14), 0, 27);
                b = s_clampi(*gad0 - s_range(r, 1, 9), 0, 21);
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
    *phq1 = s_clampi(*phq0 + s_range(r, -5, 3), 0, 27);
    *gad1 = s_clampi(*gad0 + s_range(r, -3, 2), 0, 21);
}

static const char *
s_therapy(s_rng_t *r, const s_provider_t *p, int phase, const char *pd)
{
    const char *c;
    if (phase == PH_LI)
        return s_pick(r, s_low_intensity, S_N(s_low_intensity));
    if (!strcmp(pd, "F431"))
        c = s_pick(r, s_high_ptsd, S_N(s_high_ptsd));
    else if (s_is_depression(pd) || !strcmp(pd, "F412"))
        c = s_pick(r, s_high_depression, S_N(s_high_depression));
    else
        c = s_pick(r, s_high_anxiety, S_N(s_high_anxiety));
    return strcmp(c, "CBT") ? c : p->cbt;
}

static void
s_detail_make(uint64_t key, const s_provider_t *p, const s_geo_t *g, const s_person_t *per,
              const s_plan_t *pl, s_detail_t *dt)
{
    s_rng_t r = s_rng(s_key(key, 3));
    memset(dt, 0, sizeof *dt);
    /* Commissioner: where the person lives, rarely one outside the geography. */
    s_rng_t home = s_rng(s_key(per->key, 0x100 + (uint64_t)p->idx));
    int sub = p->sub[s_weighted(&home, p->sub_w, p->n_sub)];
    if (s_chance(&r, 0.003))
        s_copy(dt->comm, sizeof dt->comm, s_unknown_comm[s_below(&r, 2)]);
    else
        s_copy(dt->comm, sizeof dt->comm, g->sub[sub].code);

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
    const char *pd = s_pick(&r, s_problems, S_N(s_problems));
    if (pl->cat != CAT_NOCONTACT || s_chance(&r, 0.4)) {
        dt->pd[0] = pd;
        dt->pd_sig[0] = s_chance(&r, 0.97) ? "1" : "";
        dt->n_pd = 1;
        if (s_chance(&r, pl->cat == CAT_NOCONTACT ? 0.1 : 0.25)) {
            const char *second = s_pick(&r, s_problems, S_N(s_problems));
            if (strcmp(second, pd)) {
                dt->pd[1] = second;
                dt->pd_sig[1] = s_chance(&r, 0.9) ? "2" : "";
                dt->n_pd = 2;
            }
        }
        dt->pd_date = first_seen >= 0 ? pl->c[first_seen].date : pl->ref;
        if (s_chance(&r, 0.02))
            dt->pd_date = -1;
    }

    const char *li = s_therapy(&r, p, PH_LI, pd), *hi = s_therapy(&r, p, PH_HI, pd);
    for (int i = 0; i < pl->n; i++) {
        const s_contact_t *c = &pl->c[i];
        dt->phq[i] = dt->gad[i] = -1;
        dt->act[i] = "";
        dt->mech[i] = s_chance(&r, 0.02) ? "" : s_mech_codes[s_weighted(&r, s_mech_w[p->mech], 10)];
        if (c->app == 10)
            dt->act[i] = S_EMPLOYMENT_SUPPORT;
        else if (c->phase == PH_LI)
            dt->act[i] = s_chance(&r, 0.05) ? s_therapy(&r, p, PH_LI, pd) : li;
        else if (c->phase == PH_HI)
            dt->act[i] = s_chance(&r, 0.04) ? s_therapy(&r, p, PH_HI, pd) : hi;
    }

    /* Scores: questionnaires from an online self-referral (IDS606), then at
     * each attended assessment and treatment appointment (IDS607), moving
     * from the first scores towards the course's last. */
    int phq0, gad0, phq1, gad1;
    s_outcome(&r, p, pd, pl->cat == CAT_FINISHED, &phq0, &gad0, &phq1, &gad1);
    bool with_606 = s_chance(&r, !strcmp(pl->source, "B1") ? 0.45 : 0.15);
    int pts[S_MAX_CONTACTS], n_pts = 0;
    for (int i = 0; i < pl->n; i++) {
        const s_contact_t *c = &pl->c[i];
        if (s_attended(c) && c->phase != PH_OTHER)
            pts[n_pts++] = i;
    }
    int total = n_pts + (with_606 ? 1 : 0);
    if (with_606) {
        bool half = s_chance(&r, 0.01);
        dt->s606[0].date = pl->ref;
        dt->s606[0].tool = S_PHQ9;
        snprintf(dt->s606[0].value, sizeof dt->s606[0].value, "%d%s", phq0,
                 half && phq0 < 27    ? ".5"
                 : s_chance(&r, 0.01) ? ".0"
                                      : "");
        dt->n_606 = 1;
        if (s_chance(&r, 0.9)) {
            dt->s606[1].date = pl->ref;
            dt->s606[1].tool = S_GAD7;
            snprintf(dt->s606[1].value, sizeof dt->s606[1].value, "%d", gad0);
            dt->n_606 = 2;
        }
    }
    for (int k = 0; k < n_pts; k++) {
        int t = k + (with_606 ? 1 : 0);
        double f = total > 1 ? pow((double)t / (total - 1), 0.8) : 0.0;
        int noise = (t > 0 && t < total - 1) ? s_range(&r, -1, 1) : 0;
        int a = s_clampi((int)lround(phq0 + (phq1 - phq0) * f) + noise, 0, 27);
        int b = s_clampi((int)lround(gad0 + (gad1 - gad0) * f) + noise, 0, 21);
        double u = s_unif(&r);
        int i = pts[k];
        if (u < p->score_q) {
            dt->phq[i] = (int16_t)a;
            dt->gad[i] = (int16_t)b;
        } else if (u < p->score_q + (1 - p->score_q) * 0.3) {
            if (s_chance(&r, 0.6))
                dt->phq[i] = (int16_t)a;
            else
                dt->gad[i] = (int16_t)b;
        }
    }

    /* Employment: when first seen (or at referral), and at the end of a course. */
    int32_t d1 = first_seen >= 0 ? pl->c[first_seen].date : pl->ref;
    if (first_seen >= 0 || s_chance(&r, 0.5)) {
        dt->emp[0].date = d1;
        dt->emp[0].status = per->employ;
        dt->emp[0].ssp = s_chance(&r, 0.15) ? "" : per->ssp ? "Y" : "N";
        dt->emp[0].ben = s_chance(&r, 0.15) ? "" : per->benefits ? "Y" : "N";
        dt->n_emp = 1;
        bool again = last_treat >= 0 && pl->c[last_treat].date > d1 &&
                     s_chance(&r, pl->cat == CAT_FINISHED ? 0.75 : 0.3);
        if (again) {
            const char *st = per->employ;
            if ((!strcmp(st, "04") || !strcmp(st, "02")) && s_chance(&r, 0.12))
                st = "01";
            bool ssp = per->ssp ? !s_chance(&r, 0.5) : (!strcmp(st, "01") && s_chance(&r, 0.02));
            bool ben = per->benefits ? !s_chance(&r, 0.12) : false;
            dt->emp[1].date = pl->c[last_treat].date;
            dt->emp[1].status = st;
            dt->emp[1].ssp = s_chance(&r, 0.1) ? "" : ssp ? "Y" : "N";
            dt->emp[1].ben = s_chance(&r, 0.1) ? "" : ben ? "Y" : "N";
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
    s_geo_t geo;
    s_provider_t *prov;
} s_ctx_t;

typedef struct s_extract {
    const s_ctx_t *x;
    const s_provider_t *p;
    int mi;          /* month index of the period */
    int32_t S, E, C; /* period start and end, export day */
    s_table_t t[F_COUNT];
    s_rng_t err_rng;
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
    s_copy(row->f[i], S_FIELD, v);
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
    if (e->x->error_rate > 0 && s_unif(&e->err_rng) < e->x->error_rate)
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
    s_copy(t->dup_id, sizeof t->dup_id, id);
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
    return m->n ? m->kind[s_weighted(&e->err_rng, m->w, m->n)] : -1;
}

static const char *
s_one_of(s_extract_t *e, const char *const *v, int n)
{
    return v[s_below(&e->err_rng, (uint32_t)n)];
}

/* An impossible or wrongly written date near `day`. */
static void
s_bad_date(s_extract_t *e, int32_t day, char *out)
{
    int y, m, d;
    iapt_civil_from_days(day, &y, &m, &d);
    switch (s_below(&e->err_rng, 4)) {
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
    s_copy(out, S_FIELD, id);
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
                 phq ? s_range(&e->err_rng, 28, 35) : s_range(&e->err_rng, 22, 30));
        s_record(e, file, line, 2, "out-of-range");
    } else if (kind == K_NUMBER) {
        s_copy(row->f[2], S_FIELD, s_one_of(e, s_bad_numbers, S_N(s_bad_numbers)));
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
    uint32_t k = s_below(&e->err_rng, 10);
    if (k < 4) {
        char *d = &row->f[1][9];
        *d = (char)('0' + (*d - '0' + 1 + (int)s_below(&e->err_rng, 9)) % 10);
        s_record(e, F_MPI, line, 1, "nhs-check-digit");
    } else if (k < 6) {
        row->f[1][0] = 0;
        s_record(e, F_MPI, line, 1, "missing");
    } else if (k < 8) {
        s_copy(row->f[4], S_FIELD, s_one_of(e, genders, S_N(genders)));
        s_record(e, F_MPI, line, 4, "unknown-code");
    } else {
        s_copy(row->f[5], S_FIELD, s_one_of(e, ethnics, S_N(ethnics)));
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
    if (!in->leaf && !in->discharged && !in->dbr_ok && !s_chance(&e->err_rng, 0.25))
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
        s_copy(row->f[4], S_FIELD, s_one_of(e, sources, S_N(sources)));
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
        s_copy(row->f[0], S_FIELD, t->dup_id);
        s_record(e, F_REF, t->dup_line, 0, "duplicate-id");
        s_record(e, F_REF, line, 0, "duplicate-id");
        t->dup_ok = false;
        break;
    case K_CODE_B:
        s_copy(row->f[6], S_FIELD, s_one_of(e, ends, S_N(ends)));
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
        int back = s_range(&e->err_rng, 1, in->ref - e->S < 10 ? in->ref - e->S : 10);
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
    if (!leaf && !s_chance(&e->err_rng, 0.25))
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
        s_copy(row->f[5], S_FIELD, s_one_of(e, mechs, S_N(mechs)));
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
        s_copy(row->f[3], S_FIELD, s_one_of(e, apps, S_N(apps)));
        s_record(e, F_CONTACT, line, 3, "unknown-code");
        break;
    case K_CODE_B:
        s_copy(row->f[4], S_FIELD, s_one_of(e, atts, S_N(atts)));
        s_record(e, F_CONTACT, line, 4, "unknown-code");
        break;
    case K_ORPHAN:
        s_orphan_id(row->f[1], 2, row->f[1]);
        s_record(e, F_CONTACT, line, 1, "orphan");
        break;
    case K_DUP:
        s_copy(row->f[0], S_FIELD, t->dup_id);
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
        s_copy(row->f[0], S_FIELD, t->dup_id);
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
        s_copy(row->f[2], S_FIELD, s_one_of(e, sigs, S_N(sigs)));
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
        s_copy(row->f[2], S_FIELD, s_one_of(e, statuses, S_N(statuses)));
        s_record(e, F_EMP, line, 2, "unknown-code");
        break;
    case K_CODE_B:
        s_copy(row->f[3], S_FIELD, s_one_of(e, flags, S_N(flags)));
        s_record(e, F_EMP, line, 3, "unknown-code");
        break;
    case K_CODE_C:
        s_copy(row->f[4], S_FIELD, s_one_of(e, flags, S_N(flags)));
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
    if (s_chance(&e->err_rng, 0.5)) {
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
            size_t j = (size_t)(s_mix(e->seen[i]) & (cap - 1));
            while (n[j])
                j = (j + 1) & (cap - 1);
            n[j] = e->seen[i];
        }
        free(e->seen);
        e->seen = n;
        e->seen_cap = cap;
    }
    size_t j = (size_t)(s_mix(key) & (e->seen_cap - 1));
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
s_postcode(const s_geo_t *g, uint64_t person_key, const s_provider_t *p, char *out)
{
    static const char unit[] = "ABDEFGHJLNPQRSTUWXYZ";
    s_rng_t r = s_rng(s_key(person_key, 0x100 + (uint64_t)p->idx));
    int sub = p->sub[s_weighted(&r, p->sub_w, p->n_sub)]; /* same draw as the commissioner */
    s_rng_t q = s_rng(s_key(person_key, 0x200 + (uint64_t)p->idx));
    double u = s_unif(&q);
    if (u < 0.03) {
        out[0] = 0;
        return;
    }
    const char *outward = "ZE1"; /* out of area: no deprivation decile */
    if (u >= 0.035) {
        const s_subicb_t *s = &g->sub[sub];
        outward = g->dist[s->first_district + (int)s_below(&q, (uint32_t)s->n_districts)].out;
    }
    int sector = (int)s_below(&q, 10);
    char a = unit[s_below(&q, sizeof unit - 1)], b = unit[s_below(&q, sizeof unit - 1)];
    double style = s_unif(&q);
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
    const s_provider_t *p = e->p;
    s_plan_t pl;
    s_plan_make(u->key, p, u->mi, &pl);
    if (pl.ref > e->C)
        return; /* not received yet when the export ran */
    bool open = pl.ref <= e->E && pl.disch >= e->S;
    if (!open) {
        /* A few the export should not have held: received after the period,
         * or closed shortly before it. The node's selection drops them. */
        s_rng_t r = s_rng(s_key(u->key, 0x1000 + (uint64_t)e->mi));
        bool extra =
            pl.ref > e->E ? s_chance(&r, 0.3) : pl.disch >= e->S - 60 && s_chance(&r, 0.02);
        if (!extra)
            return;
    }
    s_person_t per;
    s_person_make(x->seed, u->person, u->nhs_index, u->around, u->london, &per);
    s_copy(per.pid, sizeof per.pid, u->pid);
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
s_own_count(const s_ctx_t *x, const s_provider_t *p, int mi)
{
    s_rng_t r = s_rng(s_key3(s_key(x->seed, TAG_COUNT), (uint64_t)p->idx, (uint64_t)mi));
    double lambda = s_lambda(p, x->scale) * (1.0 - x->shared) * s_season[mi % 12];
    return s_poisson(&r, lambda);
}

/* Providers 2q and 2q+1 share patients. Both sides compute the same stream
 * from the pair's traits alone, whether or not the partner is generated. */
static int
s_shared_count(const s_ctx_t *x, int pair, double lambda_pair, int mi)
{
    s_rng_t r = s_rng(s_key3(s_key(x->seed, TAG_SHARED_COUNT), (uint64_t)pair, (uint64_t)mi));
    return s_poisson(&r, lambda_pair * s_season[mi % 12]);
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
    const s_provider_t *p = e->p;
    s_unit_t u;
    u.key = s_key3(s_key3(x->seed, TAG_OWN, (uint64_t)p->idx), (uint64_t)mi, (uint64_t)j);
    u.mi = mi;
    snprintf(u.uid, sizeof u.uid, "1%03d%05d", mi % 1000, j % 100000);
    /* About one referral in ten is a patient coming back: the person of a
     * referral some months earlier. */
    int pmi = mi, pj = j;
    s_rng_t r = s_rng(s_key(u.key, 7));
    if (s_chance(&r, 0.10)) {
        int back = s_range(&r, 3, S_RETURN_MAX);
        int n = s_own_count(x, p, mi - back);
        if (n > 0) {
            pmi = mi - back;
            pj = (int)s_below(&r, (uint32_t)n);
        }
    }
    u.person = s_key3(s_key3(x->seed, TAG_PERSON, (uint64_t)p->idx), (uint64_t)pmi, (uint64_t)pj);
    u.nhs_index = s_nhs_index(p->idx, pmi, pj < S_NHS_SHARED ? pj : pj % S_NHS_SHARED);
    iapt_period_t pm;
    s_month_of(pmi, &pm);
    u.around = pm.start;
    u.london = p->region == S_LONDON;
    snprintf(u.pid, sizeof u.pid, "1%03d%05d", pmi % 1000, pj % 100000);
    s_visit(e, &u);
}

/* A person of the pair's shared stream. Both partners must draw the same
 * person, so where they live (for the ethnic mix) is the even partner's. */
static void
s_visit_shared(s_extract_t *e, int pair, bool london, int pmi, int s, int lo, int hi)
{
    const s_ctx_t *x = e->x;
    const s_provider_t *p = e->p;
    uint64_t sk =
        s_key3(s_key(x->seed, TAG_SHARED), (uint64_t)pair, s_key((uint64_t)pmi, (uint64_t)s));
    s_rng_t r = s_rng(s_key(sk, 1));
    bool a_first = s_chance(&r, 0.5);
    int delay = s_chance(&r, 0.3) ? 0 : s_range(&r, 1, S_SHARED_DELAY);
    bool first = ((p->idx & 1) == 0) == a_first;
    int mi = first ? pmi : pmi + delay;
    if (mi < lo || mi > hi)
        return;
    s_unit_t u;
    u.key = s_key(sk, 100 + (uint64_t)(p->idx & 1));
    u.person = sk;
    u.mi = mi;
    u.nhs_index = s_nhs_index(pair * 2, pmi, S_NHS_SHARED + s % (S_NHS_SERIALS - S_NHS_SHARED));
    iapt_period_t pm;
    s_month_of(pmi, &pm);
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
s_write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return iapt_error_set(IAPT_EIO, "cannot create %s", path);
    size_t n = len ? fwrite(data, 1, len, f) : 0;
    int bad = n != len;
    bad |= fclose(f) != 0;
    if (bad)
        return iapt_error_set(IAPT_EIO, "cannot write %s", path);
    return 0;
}

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
s_extract_write(const s_ctx_t *x, const s_provider_t *p, int mi, uint64_t *referrals,
                uint64_t *errors)
{
    s_extract_t e;
    memset(&e, 0, sizeof e);
    e.x = x;
    e.p = p;
    e.mi = mi;
    iapt_period_t per;
    s_month_of(mi, &per);
    e.S = per.start;
    e.E = per.end;
    s_rng_t r = s_rng(s_key3(s_key(x->seed, TAG_EXPORT), (uint64_t)p->idx, (uint64_t)mi));
    e.C = e.E + s_range(&r, 2, 6);
    e.err_rng = s_rng(s_key3(s_key(x->seed, TAG_ERRORS), (uint64_t)p->idx, (uint64_t)mi));

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
    snprintf(ts, sizeof ts, "%sT%02d:%02d:%02d", day, s_range(&r, 1, 5), s_range(&r, 0, 59),
             s_range(&r, 0, 59));
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
        s_provider_t partner;
        s_provider_traits(x->seed, p->idx ^ 1, &x->geo, &partner);
        double lambda_pair = x->shared * (s_lambda(p, x->scale) + s_lambda(&partner, x->scale)) / 2;
        int pair = p->idx / 2;
        bool london = ((p->idx & 1) ? partner.region : p->region) == S_LONDON;
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
        rc = s_write_file(path, e.t[f].buf.data, e.t[f].buf.len);
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
        rc = s_write_file(path, eb.data, eb.len);
    }
    iapt_buf_free(&eb);
    *referrals += e.referrals;
    *errors += e.n_errs;
out:
    s_extract_free(&e);
    return rc;
}

static int
s_write_reference(const s_ctx_t *x)
{
    const s_geo_t *g = &x->geo;
    char path[4096];
    iapt_buf_t b = IAPT_BUF_INIT;
    int rc = iapt_mkdir_p(x->out, 0755);
    if (rc)
        return rc;

    rc = iapt_buf_printf(&b, "subicb_code,subicb_name,icb_code,icb_name,region_code,region_name\n");
    for (int i = 0; i < g->n_sub && !rc; i++) {
        const s_subicb_t *s = &g->sub[i];
        int reg = s_icbs[s->icb].region;
        char sub_name[160], icb_name[128], reg_code[16];
        snprintf(icb_name, sizeof icb_name, "NHS %s ICB", s_icbs[s->icb].place);
        snprintf(sub_name, sizeof sub_name, "%s - %s", icb_name, s->code);
        snprintf(reg_code, sizeof reg_code, "Y%02d", reg + 1);
        const char *f[6] = {s->code,  sub_name, s_icbs[s->icb].code,
                            icb_name, reg_code, s_regions[reg].name};
        for (int k = 0; k < 6 && !rc; k++) {
            if (k)
                rc = iapt_buf_append(&b, ",", 1);
            if (!rc)
                rc = iapt_csv_write_field(&b, f[k]);
        }
        if (!rc)
            rc = iapt_buf_append(&b, "\n", 1);
    }
    snprintf(path, sizeof path, "%s/geography.csv", x->out);
    if (!rc)
        rc = s_write_file(path, b.data, b.len);

    b.len = 0;
    if (!rc)
        rc = iapt_buf_printf(&b, "org_code,name\n");
    for (int i = 0; i < x->providers && !rc; i++) {
        rc = iapt_csv_write_field(&b, x->prov[i].code);
        if (!rc)
            rc = iapt_buf_append(&b, ",", 1);
        if (!rc)
            rc = iapt_csv_write_field(&b, x->prov[i].name);
        if (!rc)
            rc = iapt_buf_append(&b, "\n", 1);
    }
    snprintf(path, sizeof path, "%s/providers.csv", x->out);
    if (!rc)
        rc = s_write_file(path, b.data, b.len);

    /* Deprivation by district, and for some districts by sector (district
     * plus the inward code's digit) differing from it, so the longest prefix
     * has to win. Without spaces "NE1" + sector "1" reads as district "NE11":
     * such a sector is left out rather than written twice. */
    b.len = 0;
    if (!rc)
        rc = iapt_buf_printf(&b, "postcode_prefix,imd_decile\n");
    s_rng_t r = s_rng(s_key(0x1a9751a9ULL, TAG_REFDATA + 100));
    for (int i = 0; i < g->n_dist && !rc; i++) {
        const s_district_t *d = &g->dist[i];
        rc = iapt_buf_printf(&b, "%s,%d\n", d->out, d->decile);
        if (rc || !s_chance(&r, 0.4))
            continue;
        int n = s_range(&r, 2, 4);
        unsigned used = 0;
        for (int k = 0; k < n && !rc; k++) {
            int digit = (int)s_below(&r, 10);
            int dec = s_clampi(d->decile + (s_chance(&r, 0.5) ? -1 : 1) * s_range(&r, 1, 3), 1, 10);
            char pre[24];
            snprintf(pre, sizeof pre, "%s%d", d->out, digit);
            bool clash = (used >> digit) & 1;
            for (int j = 0; j < g->n_dist && !clash; j++)
                clash = !strcmp(g->dist[j].out, pre);
            if (clash)
                continue;
            used |= 1u << digit;
            rc = iapt_buf_printf(&b, "%s,%d\n", pre, dec);
        }
    }
    snprintf(path, sizeof path, "%s/imd.csv", x->out);
    if (!rc)
        rc = s_write_file(path, b.data, b.len);
    iapt_buf_free(&b);
    return rc;
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
            "  DIR/<ORG>/<YYYY-MM>/IDS*.csv and DIR/<ORG>/<YYYY-MM>.errors.csv\n"
            "\n"
            "  --providers N         providers, 1-%d\n"
            "  --months K            consecutive months, 1-%d\n"
            "  --seed S              seed, an unsigned integer\n"
            "  --out DIR             output directory (created if missing)\n"
            "  --start YYYY-MM       first month (default 2025-04)\n"
            "  --scale F             referral volume multiplier, 0.001-10 (default 1.0)\n"
            "  --error-rate R        share of rows given an injected error, 0-0.5\n"
            "                        (default 0.003; 0 = clean)\n"
            "  --shared-patients P   share of patients also seen at a partner provider,\n"
            "                        0-0.5 (default 0.01)\n"
            "  --help, -h            this text; --version the version\n",
            S_MAX_PROVIDERS, S_MAX_MONTHS);
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

static int
s_parse_args(int argc, char **argv, s_ctx_t *x, bool *help)
{
    bool have_n = false, have_k = false, have_seed = false;
    iapt_period_parse("2025-04", &x->start);
    x->scale = 1.0;
    x->error_rate = 0.003;
    x->shared = 0.01;
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
            rc = s_parse_int(name, v, 1, S_MAX_PROVIDERS, &x->providers);
            have_n = true;
        } else if (!strcmp(name, "--months")) {
            rc = s_parse_int(name, v, 1, S_MAX_MONTHS, &x->months);
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
    return 0;
}

int
main(int argc, char **argv)
{
    static s_ctx_t x;
    bool help = false;
    iapt_cli_init();
    if (argc == 2 && iapt_cli_is_version(argv[1])) {
        iapt_cli_print_version("iapt-synth");
        return 0;
    }
    if (s_parse_args(argc, argv, &x, &help) < 0)
        return 2;
    if (help) {
        s_usage(stdout);
        return 0;
    }
    int64_t t0 = iapt_clock_ms();
    s_geo_build(&x.geo);
    x.prov = calloc((size_t)x.providers, sizeof *x.prov);
    if (!x.prov) {
        fprintf(stderr, "iapt-synth: %s\n", iapt_strerror(IAPT_ENOMEM));
        return 1;
    }
    for (int i = 0; i < x.providers; i++) {
        s_provider_traits(x.seed, i, &x.geo, &x.prov[i]);
        s_provider_names(x.seed, x.prov, i);
    }
    int rc = s_write_reference(&x);
    uint64_t referrals = 0, errors = 0;
    int first = s_month_index(&x.start);
    for (int i = 0; i < x.providers && !rc; i++)
        for (int k = 0; k < x.months && !rc; k++)
            rc = s_extract_write(&x, &x.prov[i], first + k, &referrals, &errors);
    free(x.prov);
    if (rc < 0) {
        fprintf(stderr, "iapt-synth: %s: %s\n", iapt_strerror(rc), iapt_error_detail());
        return 1;
    }
    fprintf(stderr,
            "iapt-synth: %d provider%s, %d month%s from %s, %llu referrals written, %llu errors "
            "injected, %.1f s\n",
            x.providers, x.providers == 1 ? "" : "s", x.months, x.months == 1 ? "" : "s",
            x.start.text, (unsigned long long)referrals, (unsigned long long)errors,
            (double)(iapt_clock_ms() - t0) / 1000.0);
    return 0;
}
