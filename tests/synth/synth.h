/*
 * synth.h - what the generators of iapt-synth share: keyed random streams,
 * the synthetic geography (regions, ICBs, sub-ICBs, postcode districts and
 * their deprivation), the providers (codes, names, the sub-ICBs they
 * serve), NHS numbers, and the reference files (geography.csv,
 * providers.csv, imd.csv).
 *
 * Every generator (the adult one in iapt_synth.c, synth_cyp.c,
 * synth_workforce.c) draws its providers and geography from these, so the
 * same --providers and --seed name the same providers, with the same codes,
 * names and home sub-ICBs, in every collection: one provider can submit
 * all of them.
 *
 * Streams are named by what they belong to (synth_key), never by the order
 * things are generated in, so a month's extract is the same whatever else
 * is generated.
 *
 * Errors: functions returning int give 0 or a negative IAPT_E* code with
 * the detail in iapt_error_detail(). Ownership: nothing returned is owned
 * by the caller unless said. Threads: none; no global state.
 */
#ifndef IAPT_SYNTH_H
#define IAPT_SYNTH_H

#include "common/date.h"
#include "common/util.h"

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define SYNTH_MAX_PROVIDERS 1000
#define SYNTH_MAX_MONTHS 120
#define SYNTH_MAX_SUBICB 128
#define SYNTH_MAX_DISTRICTS 2048
#define SYNTH_NREGIONS 10
#define SYNTH_NICBS 42
#define SYNTH_LONDON 2 /* index of London in synth_regions */
/* Valid NHS numbers synth_nhs_number draws from without collisions. */
#define SYNTH_NHS_SPACE 540000000ULL

/* Stream tags. The adult generator's (1-11) are fixed: changing one
 * changes its output. Each other generator keys its streams below its own
 * tag, so no two generators share a stream. */
enum synth_tag {
    SYNTH_TAG_REFDATA = 1,
    SYNTH_TAG_PROVIDER,
    SYNTH_TAG_PROVIDER_NAME,
    SYNTH_TAG_COUNT,
    SYNTH_TAG_OWN,
    SYNTH_TAG_PERSON,
    SYNTH_TAG_SHARED_COUNT,
    SYNTH_TAG_SHARED,
    SYNTH_TAG_EXPORT,
    SYNTH_TAG_ERRORS,
    SYNTH_TAG_NHS,
    SYNTH_TAG_CYP = 0x43590000,       /* synth_cyp.c */
    SYNTH_TAG_WORKFORCE = 0x57460000, /* synth_workforce.c */
};

/* ------------------------------------------------------------------------ */
/* Random streams: splitmix64, keyed by what a stream belongs to.            */

typedef struct synth_rng {
    uint64_t s;
} synth_rng_t;

static inline uint64_t
synth_mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* The key of a sub-stream: a parent key and one more coordinate. Streams are
 * named by what they belong to, never by the order things are generated in. */
static inline uint64_t
synth_key(uint64_t parent, uint64_t coord)
{
    return synth_mix(parent ^ synth_mix(coord + 0x9e3779b97f4a7c15ULL));
}

static inline uint64_t
synth_key3(uint64_t parent, uint64_t a, uint64_t b)
{
    return synth_key(synth_key(parent, a), b);
}

static inline synth_rng_t
synth_rng(uint64_t key)
{
    synth_rng_t r = {key};
    return r;
}

static inline uint64_t
synth_next(synth_rng_t *r)
{
    r->s += 0x9e3779b97f4a7c15ULL;
    return synth_mix(r->s);
}

/* Uniform in [0, 1). */
static inline double
synth_unif(synth_rng_t *r)
{
    return (double)(synth_next(r) >> 11) * 0x1.0p-53;
}

/* Uniform in [0, n). */
static inline uint32_t
synth_below(synth_rng_t *r, uint32_t n)
{
    return (uint32_t)(((synth_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* Uniform in [lo, hi]; lo when hi < lo. */
static inline int
synth_range(synth_rng_t *r, int lo, int hi)
{
    if (hi <= lo)
        return lo;
    return lo + (int)synth_below(r, (uint32_t)(hi - lo + 1));
}

static inline bool
synth_chance(synth_rng_t *r, double p)
{
    return synth_unif(r) < p;
}

static inline double
synth_normal(synth_rng_t *r)
{
    double u1 = 1.0 - synth_unif(r), u2 = synth_unif(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

static inline int
synth_poisson(synth_rng_t *r, double lambda)
{
    if (lambda <= 0)
        return 0;
    if (lambda > 40) {
        double v = floor(lambda + sqrt(lambda) * synth_normal(r) + 0.5);
        return v < 0 ? 0 : (int)v;
    }
    double limit = exp(-lambda), prod = synth_unif(r);
    int n = 0;
    while (prod > limit) {
        prod *= synth_unif(r);
        n++;
    }
    return n;
}

/* Index drawn with integer weights w[0..n-1]. */
static inline int
synth_weighted(synth_rng_t *r, const unsigned *w, int n)
{
    unsigned total = 0;
    for (int i = 0; i < n; i++)
        total += w[i];
    unsigned u = synth_below(r, total);
    for (int i = 0; i < n; i++) {
        if (u < w[i])
            return i;
        u -= w[i];
    }
    return n - 1;
}

typedef struct synth_code {
    const char *code;
    unsigned w;
} synth_code_t;

#define SYNTH_N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static inline const char *
synth_pick(synth_rng_t *r, const synth_code_t *t, int n)
{
    unsigned total = 0;
    for (int i = 0; i < n; i++)
        total += t[i].w;
    unsigned u = synth_below(r, total);
    for (int i = 0; i < n; i++) {
        if (u < t[i].w)
            return t[i].code;
        u -= t[i].w;
    }
    return t[n - 1].code;
}

static inline double
synth_clampd(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static inline int
synth_clampi(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* ------------------------------------------------------------------------ */
/* Reference data: regions and ICBs (synth_common.c).                        */

typedef struct synth_region {
    const char *name;
    unsigned prevalence;
    const char *areas; /* postcode areas, space separated */
    const char *towns; /* for provider names, '|' separated */
    double imd;        /* typical IMD decile of the region */
} synth_region_t;

typedef struct synth_icb {
    const char *place;
    const char *code;
    int region;
    int n_sub;
} synth_icb_t;

extern const synth_region_t synth_regions[SYNTH_NREGIONS];
extern const synth_icb_t synth_icbs[SYNTH_NICBS];

/* ------------------------------------------------------------------------ */
/* Dates and small formatting helpers.                                       */

/* 0 = Monday .. 6 = Sunday (1970-01-01 was a Thursday). */
static inline int
synth_weekday(int32_t d)
{
    return (int)(((d % 7) + 7 + 3) % 7);
}

static inline void
synth_month_of(int mi, iapt_period_t *p)
{
    iapt_period_make(mi / 12, mi % 12 + 1, p);
}

static inline int
synth_month_index(const iapt_period_t *p)
{
    return p->year * 12 + p->month - 1;
}

/* Move a weekend day to the Monday after, as clinics mostly do. */
static inline int32_t
synth_workday(synth_rng_t *r, int32_t d)
{
    int wd = synth_weekday(d);
    if (wd >= 5 && !synth_chance(r, 0.04))
        d += 7 - wd;
    return d;
}

static inline void
synth_copy(char *dst, size_t size, const char *src)
{
    iapt_strlcpy(dst, src, size);
}

/* ------------------------------------------------------------------------ */
/* Geography and postcode deprivation (the same for every seed).             */

typedef struct synth_district {
    char out[16]; /* outward code, e.g. "LS6" */
    uint8_t decile;
} synth_district_t;

typedef struct synth_subicb {
    char code[4];
    int icb;
    int first_district;
    int n_districts;
} synth_subicb_t;

typedef struct synth_geo {
    int n_sub;
    synth_subicb_t sub[SYNTH_MAX_SUBICB];
    int icb_first[SYNTH_NICBS]; /* first sub-ICB of each ICB (they are consecutive) */
    int n_dist;
    synth_district_t dist[SYNTH_MAX_DISTRICTS];
} synth_geo_t;

/* The fixed geography (the same for every seed). */
void synth_geo_build(synth_geo_t *g);

/* The k-th word of a `sep` separated list into out (when out is not NULL);
 * returns the number of words. */
int synth_word(const char *list, char sep, int k, char *out, size_t size);

/* ------------------------------------------------------------------------ */
/* Providers.                                                                */

typedef struct synth_provider {
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
} synth_provider_t;

/* What provider `idx` is like, from the seed and its index alone. */
void synth_provider_traits(uint64_t seed, int idx, const synth_geo_t *g, synth_provider_t *p);

/* Code and name of all[idx], unique among all[0..idx-1] (call in index
 * order after synth_provider_traits). */
void synth_provider_names(uint64_t seed, synth_provider_t *all, int idx);

/* The home sub-ICB of a provider: the one it serves most (sub[0]). */
static inline int
synth_provider_home(const synth_provider_t *p)
{
    return p->sub[0];
}

/* The NHS number (ten digits, valid modulus-11 check digit) with
 * collision-free index i < SYNTH_NHS_SPACE under `seed`. */
void synth_nhs_number(uint64_t seed, uint64_t i, char out[12]);

/* Providers 0..n-1 (traits and names) into *out (owned: free()).
 * IAPT_ENOMEM. */
int synth_providers_make(uint64_t seed, int n, const synth_geo_t *g, synth_provider_t **out);

/* ------------------------------------------------------------------------ */
/* Files.                                                                    */

/* A directory holds one collection's world. For the CYP and WORKFORCE
 * generators: IAPT_EUSAGE (nothing written) when `out` already holds
 * another collection's world (DIR/COLLECTION names another, or
 * DIR/providers.csv is the adult generator's); otherwise writes
 * DIR/COLLECTION with `name`. IAPT_EIO. */
int synth_claim_out(const char *out, const char *name);

/* Write `len` bytes to a new file at `path`. IAPT_EIO. */
int synth_write_file(const char *path, const void *data, size_t len);

/* DIR/geography.csv, DIR/providers.csv and DIR/imd.csv for providers
 * prov[0..n-1]. With `programme` false they are the adult generator's
 * files (geography without populations, providers as org_code,name); with
 * it true geography.csv gains `population_0_19` and providers.csv is the
 * hub's provider file, org_code,org_name,home_subicb. IAPT_EIO. */
int synth_write_reference(const char *out, const synth_geo_t *g, const synth_provider_t *prov,
                          int n, bool programme);

/* ------------------------------------------------------------------------ */
/* One extract being written: its tables as CSV text, the injected errors.   */
/* (used by synth_cyp.c and synth_workforce.c)                               */

#define SYNTH_FIELDS 12 /* columns of a table at most */
#define SYNTH_FIELD 40  /* bytes of a field, with its NUL */
#define SYNTH_TABLES 8

typedef struct synth_row {
    int n;
    char f[SYNTH_FIELDS][SYNTH_FIELD];
} synth_row_t;

typedef struct synth_table {
    const char *name;               /* file name, e.g. "CYP101Referral.csv" */
    const char *cols[SYNTH_FIELDS]; /* column names, NULL after the last */
    iapt_buf_t buf;
    uint64_t rows; /* data rows so far: the next is on physical line rows + 2 */
    unsigned owed; /* injected errors due and not yet placed */
    bool dup_ok;   /* a clean row whose id a later row may reuse is known */
    uint64_t dup_line;
    char dup_id[SYNTH_FIELD];
} synth_table_t;

typedef struct synth_err {
    int table;
    uint64_t line;
    const char *field;
    const char *reason;
} synth_err_t;

typedef struct synth_extract {
    int n_tables;
    synth_table_t t[SYNTH_TABLES];
    double error_rate;
    synth_rng_t err_rng; /* decides where errors go and what they are */
    synth_err_t *errs;
    size_t n_errs, cap_errs;
    int rc; /* first failure (IAPT_ENOMEM), sticky */
} synth_extract_t;

/* Start an extract of n tables: names[i] and cols[i] (static strings, cols
 * NULL-terminated); the header line of each is written. IAPT_ENOMEM. */
int synth_extract_init(synth_extract_t *e, int n, const char *const *names,
                       const char *const (*cols)[SYNTH_FIELDS], double error_rate,
                       uint64_t err_key);

/* A row of table t with every column empty. */
void synth_row_init(const synth_extract_t *e, int t, synth_row_t *row);
void synth_row_set(synth_row_t *row, int i, const char *v);
void synth_row_date(synth_row_t *row, int i, int32_t day);

/* The physical line the next row of table t will be written on. */
uint64_t synth_next_line(const synth_extract_t *e, int t);

/* Append a row to table t; each row makes an error owed with chance
 * error_rate (placed by a later eligible row). */
void synth_emit(synth_extract_t *e, int t, const synth_row_t *row);

/* Whether an error is owed in table t and this row may take one; the
 * caller that places one calls synth_placed. */
bool synth_due(const synth_extract_t *e, int t, bool eligible);
void synth_placed(synth_extract_t *e, int t);

/* Record an injected error on table t, line, column col. */
void synth_record(synth_extract_t *e, int t, uint64_t line, int col, const char *reason);

/* Remember the next row's id as one a later row may duplicate. */
void synth_dup_candidate(synth_extract_t *e, int t, const char *id);

/* An impossible or wrongly written date near `day` into out. */
void synth_bad_date(synth_rng_t *r, int32_t day, char out[SYNTH_FIELD]);

/* Write DIR/ORG/PERIOD/<table>.csv for every table and
 * DIR/ORG/PERIOD.errors.csv (file,line,field,reason sorted by file order,
 * line, field). IAPT_EIO. */
int synth_extract_write(synth_extract_t *e, const char *out, const char *org, const char *period);

void synth_extract_free(synth_extract_t *e);

/* ------------------------------------------------------------------------ */
/* The generators and their options.                                         */

typedef enum synth_collection {
    SYNTH_ADULT,     /* "IAPT": iapt_synth.c */
    SYNTH_CYP,       /* "CYP": synth_cyp.c */
    SYNTH_WORKFORCE, /* "WORKFORCE": synth_workforce.c */
} synth_collection_t;

typedef struct synth_opts {
    uint64_t seed;
    int providers;
    int months;
    iapt_period_t start;
    double scale;
    double error_rate;
    double shared; /* adult only */
    const char *out;
    synth_collection_t collection;
    const char *cyp_tools; /* CYP only: the assessment tool table */
} synth_opts_t;

/* Write the CYP world of `o` (reference files and every provider's months)
 * and print the one-line summary on stderr. 0, IAPT_EUSAGE (the tool table
 * unreadable or malformed, detail names it), IAPT_EIO, IAPT_ENOMEM. */
int synth_cyp_run(const synth_opts_t *o);

/* The same for the workforce collection. */
int synth_workforce_run(const synth_opts_t *o);

#endif
