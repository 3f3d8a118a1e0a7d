/* Unit tests of common/geography (geography file, SHA targets), common/stats
 * (roll-up, publication rows, writers) and common/targets (the access and
 * 2015 targets view). The roll-up property test compares every measure at
 * every level with a direct computation over the records, written here
 * independently of common/cell.c. */
#include "common/err.h"
#include "common/geography.h"
#include "common/measures.h"
#include "common/collections/adult/adult_measures.h"
#include "common/stats.h"
#include "common/util.h"
#include "tests/test.h"
#include "tests/unit/records_fixture.h"

/* Two regions named like SHAs of the targets table, three ICBs, six
 * sub-ICBs. ZZ9 (used by records) is deliberately missing. */
static const char s_geo_text[] =
    "subicb_code,subicb_name,icb_code,icb_name,region_code,region_name\n"
    "00L,NHS North East ICB - 00L,QHM,NHS North East ICB,Y63,North East\n"
    "00N,NHS North East ICB - 00N,QHM,NHS North East ICB,Y63,North East\n"
    "01H,\"NHS Cumbria, North ICB - 01H\",QHN,\"NHS Cumbria, North ICB\",Y63,North East\n"
    "07L,NHS London East ICB - 07L,QMF,NHS London East ICB,Y56,London\n"
    "08C,NHS London East ICB - 08C,QMF,NHS London East ICB,Y56,London\n"
    "93C,NHS London East ICB - 93C,QMF,NHS London East ICB,Y56,London\n";

static iapt_geography_t *
s_geo(void)
{
    iapt_geography_t *geo = NULL;
    CHECK_EQ_INT(iapt_geography_parse(s_geo_text, sizeof s_geo_text - 1, "geo.csv", &geo), 0);
    return geo;
}

/* ---------------------------------------------------------------------------
 * Geography and targets tables
 * ------------------------------------------------------------------------ */

static void
test_geography(void)
{
    iapt_geography_t *geo = s_geo();
    CHECK_EQ_INT(iapt_geography_count(geo), 6);
    const iapt_geo_area_t *a = iapt_geography_find(geo, "01H");
    CHECK(a != NULL);
    if (a) {
        CHECK_EQ_STR(a->subicb_name, "NHS Cumbria, North ICB - 01H");
        CHECK_EQ_STR(a->icb_code, "QHN");
        CHECK_EQ_STR(a->region_code, "Y63");
        CHECK_EQ_STR(a->region_name, "North East");
    }
    CHECK(iapt_geography_find(geo, "ZZ9") == NULL);
    CHECK(iapt_geography_find(geo, NULL) == NULL);
    CHECK_EQ_STR(iapt_geography_at(geo, 0)->subicb_code, "00L"); /* sorted */
    CHECK_EQ_STR(iapt_geography_at(geo, 5)->subicb_code, "93C");
    CHECK(iapt_geography_at(geo, 6) == NULL);
    CHECK_EQ_STR(iapt_geography_region_by_name(geo, "London"), "Y56");
    CHECK(iapt_geography_region_by_name(geo, "Wessex") == NULL);
    iapt_geography_destroy(&geo);
    CHECK(geo == NULL);
    iapt_geography_destroy(&geo);

    /* From a file, columns in another order plus an extra one. */
    char path[600];
    snprintf(path, sizeof path, "%s/geo.csv", t_tmpdir());
    const char text[] = "region_code,region_name,icb_code,icb_name,subicb_code,subicb_name,note\n"
                        "Y63,North East,QHM,NE ICB,00L,NE - 00L,x\n"
                        "\n";
    CHECK_EQ_INT(iapt_file_write_atomic(path, text, sizeof text - 1, 0644), 0);
    CHECK_EQ_INT(iapt_geography_load(path, &geo), 0);
    CHECK_EQ_INT(iapt_geography_count(geo), 1);
    CHECK_EQ_STR(iapt_geography_find(geo, "00L")->icb_name, "NE ICB");
    iapt_geography_destroy(&geo);
    snprintf(path, sizeof path, "/nonexistent/geo.csv");
    CHECK_EQ_INT(iapt_geography_load(path, &geo), IAPT_ENOTFOUND);
}

static void
test_geography_refusals(void)
{
    static const struct {
        const char *text, *detail;
    } bad[] = {
        {"", "empty"},
        {"subicb_code,subicb_name,icb_code,icb_name,region_code\n", "no column region_name"},
        {"subicb_code,subicb_name,icb_code,icb_name,region_code,region_name\n"
         "00L,A,QHM,B,Y63,C\n"
         "00L,A,QHM,B,Y63,C\n",
         "geo.csv:3: sub-ICB 00L listed twice (line 2)"},
        {"subicb_code,subicb_name,icb_code,icb_name,region_code,region_name\n"
         "00L,A,QHM,B,Y63\n",
         "geo.csv:2: 5 fields"},
        {"subicb_code,subicb_name,icb_code,icb_name,region_code,region_name\n"
         "00L,,QHM,B,Y63,C\n",
         "geo.csv:2: subicb_name is empty"},
        {"subicb_code,subicb_name,icb_code,icb_name,region_code,region_name\n"
         "00l,A,QHM,B,Y63,C\n",
         "geo.csv:2: subicb_code"},
        {"subicb_code,subicb_name,icb_code,icb_name,region_code,region_name\n"
         "00L,A,Q M,B,Y63,C\n",
         "geo.csv:2: icb_code"},
        {"subicb_code,subicb_name,icb_code,icb_name,region_code,region_name\n"
         "00L,A,QHM,B,Y63,C\n"
         "00N,A,QHM,B,Y56,D\n",
         "geo.csv:3: ICB QHM"},
        {"subicb_code,subicb_name,icb_code,icb_name,region_code,region_name\n"
         "00L,A,QHM,B,Y63,C\n"
         "00N,A,QHN,B,Y63,D\n",
         "geo.csv:3: region Y63"},
        {"subicb_code,subicb_name,icb_code,icb_name,region_code,region_name\n"
         "00L,A,QHM,B,Y63,C\n"
         "00N,A,QHN,B,Y64,C\n",
         "geo.csv:3: region Y64"},
        {"subicb_code,subicb_name,icb_code,icb_name,region_code,region_name\n"
         "00L,\"A,QHM,B,Y63,C\n",
         "geo.csv"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        iapt_geography_t *geo = NULL;
        int rc = iapt_geography_parse(bad[i].text, strlen(bad[i].text), "geo.csv", &geo);
        CHECK_EQ_INT(rc, IAPT_EFORMAT);
        CHECK(geo == NULL);
        if (!strstr(iapt_error_detail(), bad[i].detail))
            fprintf(stderr, "case %zu: detail '%s' lacks '%s'\n", i, iapt_error_detail(),
                    bad[i].detail);
        CHECK(strstr(iapt_error_detail(), bad[i].detail) != NULL);
    }
}

static const char *
s_reference_path(const char *file, char *out, size_t size)
{
    const char *root = getenv("IAPT_ROOT");
    snprintf(out, size, "%s/data/%s", root && *root ? root : ".", file);
    return out;
}

static void
test_sha_targets(void)
{
    char path[4096];
    iapt_sha_targets_t *t = NULL;
    int rc = iapt_sha_targets_load(s_reference_path("sha-2012-targets.csv", path, sizeof path), &t);
    CHECK_EQ_INT(rc, 0);
    if (rc < 0) {
        fprintf(stderr, "test_sha_targets: cannot load %s: %s\n", path, iapt_error_detail());
        return;
    }
    CHECK_EQ_INT(iapt_sha_targets_count(t), 10);
    const iapt_sha_target_t *ne = iapt_sha_targets_find(t, "North East");
    CHECK(ne != NULL);
    if (ne) {
        CHECK_EQ_INT(ne->prevalence, 330385);
        CHECK_EQ_INT(ne->entering_treatment, 48632);
        CHECK_EQ_INT(ne->completing_treatment, 32421);
        CHECK_EQ_INT(ne->recovering, 16211);
        CHECK_EQ_INT(ne->off_sick_pay_benefits, 1351);
    }
    CHECK(t && iapt_sha_targets_count(t) > 0);
    if (t && iapt_sha_targets_count(t) > 0)
        CHECK_EQ_STR(iapt_sha_targets_at(t, 0)->sha_name, "East of England");
    CHECK(iapt_sha_targets_find(t, "Wessex") == NULL);
    iapt_sha_targets_destroy(&t);
    iapt_sha_targets_destroy(&t);

    static const char *const bad[] = {
        "sha_name,prevalence\n",
        "sha_name,prevalence,entering_treatment_by_2015,completing_treatment_by_2015,"
        "recovering_by_2015,off_sick_pay_benefits_by_2015\nA,1,2,3,4,x\n",
        "sha_name,prevalence,entering_treatment_by_2015,completing_treatment_by_2015,"
        "recovering_by_2015,off_sick_pay_benefits_by_2015\nA,0,2,3,4,5\n",
        "sha_name,prevalence,entering_treatment_by_2015,completing_treatment_by_2015,"
        "recovering_by_2015,off_sick_pay_benefits_by_2015\nA,1,2,3,4,5\nA,1,2,3,4,5\n",
        "sha_name,prevalence,entering_treatment_by_2015,completing_treatment_by_2015,"
        "recovering_by_2015,off_sick_pay_benefits_by_2015\n,1,2,3,4,5\n",
        "sha_name,prevalence,entering_treatment_by_2015,completing_treatment_by_2015,"
        "recovering_by_2015,off_sick_pay_benefits_by_2015\nA,1,-2,3,4,5\n",
        "sha_name,prevalence,entering_treatment_by_2015,completing_treatment_by_2015,"
        "recovering_by_2015,off_sick_pay_benefits_by_2015\nA,1000000000000,2,3,4,5\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        CHECK_EQ_INT(iapt_sha_targets_parse(bad[i], strlen(bad[i]), "t.csv", &t), IAPT_EFORMAT);
        CHECK(t == NULL);
    }
}

/* ---------------------------------------------------------------------------
 * A direct computation of the measures over derived records, independent
 * of the cells: the rules of MEASURES-NOTES written out one by one.
 * ------------------------------------------------------------------------ */

typedef struct {
    iapt_adult_derived_t d;
    char provider[8];
    char commissioner[8];
} s_ref_t;

static bool
s_in_period(const iapt_adult_derived_t *d, int32_t day)
{
    return day != IAPT_DAY_NONE && day >= 0 && day <= d->period_end;
}

static int
s_int_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Median x 2 and the sum of v[0..n), sorting v. */
static void
s_median(int64_t *v, size_t n, int64_t *twice_median, int64_t *sum)
{
    qsort(v, n, sizeof *v, s_int_cmp);
    *sum = 0;
    for (size_t i = 0; i < n; i++)
        *sum += v[i];
    *twice_median = n ? v[(n - 1) / 2] + v[n / 2] : 0;
}

static void
s_direct(const iapt_adult_derived_t *const *set, size_t n, const char *id,
         iapt_measure_value_t *out)
{
    int64_t c = 0, num = 0, den = 0;
    int64_t *vals = calloc(n + 1, sizeof *vals);
    size_t nv = 0;
    int m = iapt_measure_find(id);
    size_t nd;
    out->kind = iapt_measure_defs(&nd)[m].kind;
    out->scale = 0;
    out->supp = -1; /* the adult catalogue suppresses by the value itself */
    out->den_scale = 0;
    out->empty = false;
    out->half_away = false; /* the adult collection rounds half up */
    static const char *const end_ids[] = {"M057", "M058", "M059", "M060", "M061",
                                          "M062", "M063", "M066", "M069", "M070"};
    static const int end_codes[] = {10, 11, 12, 13, 14, 17, 95, 46, 49, 96};
    static const char *const eth_ids[] = {"M206", "M207", "M208", "M209", "M210"};

    for (size_t i = 0; i < n; i++) {
        const iapt_adult_derived_t *d = set[i];
        bool ended = d->discharge_day != IAPT_DAY_NONE && d->discharge_day >= 0 &&
                     d->discharge_day <= d->period_end;
        bool fin = ended && d->treatment_count >= 2;
        bool entered = s_in_period(d, d->therapy_first_day);
        int64_t wait = (int64_t)d->therapy_first_day - d->referral_day; /* used when entered */
        if (!strcmp(id, "M001"))
            c += s_in_period(d, d->referral_day);
        else if (!strcmp(id, "M002"))
            c += s_in_period(d, d->referral_day) && d->self_referral;
        else if (!strcmp(id, "M003"))
            c += s_in_period(d, d->referral_day) && d->gp_referral;
        else if (!strcmp(id, "M023"))
            c += s_in_period(d, d->assessment_first_day);
        else if (!strcmp(id, "M031"))
            c += entered;
        else if (!strcmp(id, "M036"))
            c += entered && wait <= 42;
        else if (!strcmp(id, "M037"))
            c += entered && wait <= 126;
        else if (!strcmp(id, "M038"))
            c += d->therapy_first_day == IAPT_DAY_NONE && !d->discharged;
        else if (!strcmp(id, "M044"))
            c += d->therapy_first_day == IAPT_DAY_NONE && !d->discharged &&
                 d->period_end - d->referral_day > 126;
        else if (!strcmp(id, "M056"))
            c += ended;
        else if (!strcmp(id, "M073"))
            c += ended && d->care_contact_count == 0;
        else if (!strcmp(id, "M074"))
            c += ended && d->treatment_count == 0 && d->care_contact_count > 0;
        else if (!strcmp(id, "M075"))
            c += ended && d->treatment_count == 1;
        else if (!strcmp(id, "M076"))
            c += fin;
        else if (!strcmp(id, "M082"))
            c += d->appts_in_period;
        else if (!strcmp(id, "M083"))
            c += d->appts_by_attendance[2];
        else if (!strcmp(id, "M084"))
            c += d->appts_by_attendance[3];
        else if (!strcmp(id, "M085"))
            c += d->appts_by_attendance[4];
        else if (!strcmp(id, "M086"))
            c += d->appts_by_attendance[5];
        else if (!strcmp(id, "M087"))
            c += d->appts_by_attendance[6];
        else if (!strcmp(id, "M088"))
            c += d->appts_by_attendance[7];
        else if (!strcmp(id, "M110"))
            c += d->cbt_appts;
        else if (!strcmp(id, "M104"))
            c += d->cfd_appts;
        else if (!strcmp(id, "M179"))
            c += ended && d->not_caseness;
        else if (!strcmp(id, "M184"))
            c += s_in_period(d, d->therapy_second_day);
        else if (!strcmp(id, "M185"))
            c += ended && d->reliable_improvement;
        else if (!strcmp(id, "M187"))
            c += ended && d->no_change;
        else if (!strcmp(id, "M189"))
            c += ended && d->reliable_deterioration;
        else if (!strcmp(id, "M191"))
            c += ended && d->recovery;
        else if (!strcmp(id, "M193"))
            c += ended && d->recovery && d->reliable_improvement;
        else if (!strcmp(id, "M201"))
            c += fin && d->phq.count >= 2;
        else if (!strcmp(id, "M198"))
            c += fin && d->anxiety.count >= 2;
        else if (!strcmp(id, "M237"))
            c += fin && d->sick_pay_first == 'Y' && d->sick_pay_last == 'N';
        else if (!strcmp(id, "M048") || !strcmp(id, "M049")) {
            if (entered)
                vals[nv++] = wait;
        } else if (!strcmp(id, "M141") || !strcmp(id, "M142")) {
            if (fin)
                vals[nv++] = d->treatment_count;
        } else if (!strcmp(id, "M053")) {
            num += fin && wait <= 42;
            den += fin;
        } else if (!strcmp(id, "M055")) {
            num += fin && wait <= 126;
            den += fin;
        } else if (!strcmp(id, "M180")) {
            num += ended && d->not_caseness;
            den += fin;
        } else if (!strcmp(id, "M186")) {
            num += ended && d->reliable_improvement;
            den += fin;
        } else if (!strcmp(id, "M1010")) {
            num += ended && d->reliable_deterioration;
            den += fin;
        } else if (!strcmp(id, "M192") || !strcmp(id, "M195")) {
            num += ended && d->recovery && (!strcmp(id, "M192") || d->reliable_improvement);
            den += fin - (ended && d->not_caseness);
        } else {
            for (int k = 0; k < 10; k++)
                if (!strcmp(id, end_ids[k]))
                    c += ended && d->end_code == end_codes[k];
            for (int k = 0; k < 5; k++)
                if (!strcmp(id, eth_ids[k]) && (int)d->ethnic_group == k) {
                    num += ended && d->recovery && d->reliable_improvement;
                    den += fin - (ended && d->not_caseness);
                }
        }
    }
    switch (out->kind) {
    case IAPT_MEASURE_COUNT:
        out->num = c;
        out->den = 1;
        break;
    case IAPT_MEASURE_PERCENT:
        out->num = num;
        out->den = den;
        break;
    case IAPT_MEASURE_MEAN:
    case IAPT_MEASURE_MEDIAN: {
        int64_t twice, sum;
        s_median(vals, nv, &twice, &sum);
        out->num = out->kind == IAPT_MEASURE_MEAN ? sum : twice;
        out->den = (int64_t)nv;
        break;
    }
    default: /* the adult catalogue has no other kind */
        out->num = 0;
        out->den = 0;
        break;
    }
    free(vals);
}

/* ---------------------------------------------------------------------------
 * Deterministic pseudo-random records
 * ------------------------------------------------------------------------ */

typedef struct {
    uint64_t s;
} s_rng_t;

static uint32_t
s_next(s_rng_t *r)
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return (uint32_t)(r->s >> 11);
}

/* Uniform in [lo, hi]. */
static int
s_between(s_rng_t *r, int lo, int hi)
{
    return lo + (int)(s_next(r) % (uint32_t)(hi - lo + 1));
}

static const char *
s_pick(s_rng_t *r, const char *const *list, size_t n)
{
    return list[s_next(r) % n];
}

/* A random record of September 2025 that keeps adult.proto's promises:
 * referral <= E, discharge within the period or none, events <= E. */
static t_rec_t *
s_random_record(s_rng_t *g)
{
    static const char *const app_types[] = {"01", "02", "03", "04", "05", "06", "10", "02", "02"};
    static const char *const attend[] = {"2", "3", "4", "5", "6", "7", "5", "5", "6"};
    static const char *const ends[] = {"10", "11", "12", "13", "14", "16", "17", "46",
                                       "47", "48", "49", "50", "95", "96", "?"};
    static const char *const sources[] = {"A1", "B1", "B2", "C1", "M8", "Q1", "?", NULL};
    static const char *const genders[] = {"1", "2", "3", "4", "X", "Z", "?", NULL};
    static const char *const ethnic[] = {"A", "B", "D", "H",  "K", "M", "P",
                                         "R", "S", "Z", "99", "?", NULL};
    static const char *const problems[] = {"F32",  "F331", "F411", "F412", "F410", "F400",
                                           "F401", "F42",  "F431", "F452", "F50",  "G47"};
    static const char *const flags[] = {"Y", "N", "?", NULL};
    static const uint64_t therapies[] = {T_CBT,      T_CBT2,       T_CFD,    T_EMDR,
                                         T_GSH_BOOK, 443730003ULL, 123456ULL};
    static const uint64_t tools[] = {T_PHQ, T_PHQ, T_GAD, T_GAD, 999999ULL};

    /* A quarter of the days sit on the boundaries the rules care about:
     * the period's ends, 126 days before E, waits of 42/43 and 126/127. */
    static const int edge_refs[] = {-98, -97, -96, -1, 0, 28, 29, -116, -117, -33, -32};
    static const int edge_waits[] = {42, 43, 126, 127, 0, -1};
    t_rec_t *r = t_rec_new(s_next(g) % 4 ? s_between(g, -300, 29) : edge_refs[s_next(g) % 11]);
    int32_t ref = r->rec.referral_day;
    if (s_next(g) % 2)
        t_discharge(r, s_between(g, 0, 29), s_pick(g, ends, 15));
    r->rec.referral_source = (char *)s_pick(g, sources, 8);
    r->rec.gender_identity = (char *)s_pick(g, genders, 8);
    r->rec.ethnic_category = (char *)s_pick(g, ethnic, 13);
    if (s_next(g) % 4) {
        r->rec.has_age_band = 1;
        r->rec.age_band = (Iapt__AgeBand)s_between(g, 0, 8);
    }
    if (s_next(g) % 3) {
        r->rec.has_imd_decile = 1;
        r->rec.imd_decile = (uint32_t)s_between(g, 1, 10);
    }
    if (s_next(g) % 2) {
        r->rec.has_long_term_condition = 1;
        r->rec.long_term_condition = s_next(g) % 2;
    }
    int lo = ref - 10 < -320 ? -320 : ref - 10;
    int n_appts = s_between(g, 0, 12);
    for (int i = 0; i < n_appts; i++) {
        int day = s_between(g, lo, 29);
        int edge = ref + edge_waits[s_next(g) % 6];
        if (s_next(g) % 4 == 0 && edge <= 29)
            day = edge;
        t_appt_th(r, day, s_pick(g, app_types, 9), s_pick(g, attend, 9),
                  s_next(g) % 3 ? therapies[s_next(g) % 7] : 0,
                  s_next(g) % 5 ? 0 : therapies[s_next(g) % 7]);
    }
    int n_scores = s_between(g, 0, 8);
    for (int i = 0; i < n_scores; i++)
        t_score(r, tools[s_next(g) % 5], s_between(g, -2, 29) * 100 + (s_next(g) % 4 ? 0 : 50),
                s_between(g, lo, 29), s_next(g) % 2 ? 606 : 607);
    int n_prob = s_between(g, 0, 3);
    for (int i = 0; i < n_prob; i++)
        t_problem(r, s_pick(g, problems, 12), (unsigned)s_between(g, 0, 2), (int)(s_next(g) % 2),
                  s_between(g, lo, 29));
    int n_emp = s_between(g, 0, 3);
    for (int i = 0; i < n_emp; i++)
        t_employment(r, s_between(g, lo, 29), s_pick(g, flags, 4), s_pick(g, flags, 4));
    return r;
}

/* ---------------------------------------------------------------------------
 * Roll-up: cells merged per provider and geography level equal the direct
 * computation over the records, at every level of every breakdown.
 * ------------------------------------------------------------------------ */

static const char *const s_providers[] = {"RAA", "RAB", "RAC", "8J766", "RAE"};
static const char *const s_commissioners[] = {"00L", "00N", "01H", "07L", "08C", "93C", "ZZ9"};

typedef struct {
    iapt_stats_t *st;
    const char *provider;
    int breakdown;
} s_feed_t;

/* Feeds one provider's cells of one breakdown through an encode / decode
 * round trip, as the hub does through LMDB. */
static int
s_feed(const char *commissioner, int breakdown, int level, const iapt_cell_t *cell, void *arg)
{
    s_feed_t *f = arg;
    if (breakdown != f->breakdown)
        return 0;
    iapt_buf_t buf = IAPT_BUF_INIT;
    iapt_cell_t *copy = iapt_cell_new(&iapt_adult_measure_schema);
    CHECK_EQ_INT(iapt_cell_encode(cell, &buf), 0);
    CHECK_EQ_INT(iapt_cell_decode(copy, buf.data, buf.len), 0);
    char name[32];
    snprintf(name, sizeof name, "Provider %s", f->provider);
    CHECK_EQ_INT(iapt_stats_add_cell(f->st, f->provider, name, commissioner, level, copy), 0);
    iapt_cell_destroy(&copy);
    iapt_buf_free(&buf);
    return 0;
}

/* Does record `r` belong to the group of row `row` (any level)? */
static bool
s_member(const s_ref_t *r, const iapt_stat_row_t *row, const iapt_geography_t *geo)
{
    const iapt_geo_area_t *a = iapt_geography_find(geo, r->commissioner);
    switch (row->group) {
    case IAPT_GROUP_ENGLAND:
        return true;
    case IAPT_GROUP_REGION:
        return a && strcmp(a->region_code, row->org_code1) == 0;
    case IAPT_GROUP_ICB:
        return a && strcmp(a->icb_code, row->org_code1) == 0;
    case IAPT_GROUP_SUBICB:
        return a && strcmp(a->subicb_code, row->org_code1) == 0;
    default:
        return strcmp(r->provider, row->org_code2) == 0;
    }
}

static void
test_rollup_equals_direct(void)
{
    enum { N = 3000 };
    iapt_period_t p = t_september();
    iapt_tools_t tools = t_default_tools();
    iapt_geography_t *geo = s_geo();
    s_ref_t *recs = calloc(N, sizeof *recs);
    iapt_agg_t *agg[5];
    s_rng_t g = {0x2545F4914F6CDD1DULL};

    for (int k = 0; k < 5; k++)
        agg[k] = iapt_agg_new(&iapt_adult_measure_schema);
    for (int i = 0; i < N; i++) {
        t_rec_t *r = s_random_record(&g);
        int prov = (int)(s_next(&g) % 5);
        /* Each provider serves three commissioners (one of them missing
         * from the geography for the last provider). */
        const char *comm = s_commissioners[(prov + s_next(&g) % 3) % 7];
        if (prov == 4 && s_next(&g) % 2)
            comm = "ZZ9";
        strcpy(r->commissioner, comm);
        CHECK_EQ_INT(iapt_adult_derive(&r->rec, &p, &tools, &recs[i].d), 0);
        strcpy(recs[i].provider, s_providers[prov]);
        strcpy(recs[i].commissioner, comm);
        CHECK_EQ_INT(iapt_adult_agg_add(agg[prov], comm, &recs[i].d), 0);
        t_rec_free(r);
    }

    size_t n_measures;
    const iapt_measure_def_t *defs = iapt_measure_defs(&n_measures);
    const iapt_adult_derived_t **set = calloc(N, sizeof *set);
    size_t compared = 0, mismatches = 0;
    for (int b = 0; b < IAPT_BREAKDOWN_COUNT; b++) {
        iapt_stats_t *st = iapt_stats_new(&iapt_adult_measure_schema, &p, geo, b);
        for (int k = 0; k < 5; k++) {
            s_feed_t f = {st, s_providers[k], b};
            CHECK_EQ_INT(iapt_agg_foreach(agg[k], s_feed, &f), 0);
        }
        for (int suppressed = 0; suppressed < 2; suppressed++) {
            iapt_stats_query_t q = {0};
            q.unsuppressed = !suppressed;
            iapt_stat_rows_t *rows = NULL;
            CHECK_EQ_INT(iapt_stats_rows(st, &q, &rows), 0);
            size_t n_rows = iapt_stat_rows_count(rows);
            /* Walk the rows group by group: each run of n_measures rows is
             * one (group, level); compare each with the direct figure. */
            size_t expected_groups = 0;
            for (size_t i = 0; i < n_rows; i += n_measures) {
                const iapt_stat_row_t *row = iapt_stat_rows_get(rows, i);
                const iapt_breakdown_def_t *bd = iapt_breakdown_def(b);
                size_t n = 0;
                for (int k = 0; k < N; k++)
                    if (s_member(&recs[k], row, geo) &&
                        (b == 0 ||
                         strcmp(bd->levels[recs[k].d.level[b]], row->breakdown_level) == 0))
                        set[n++] = &recs[k].d;
                CHECK(n > 0); /* a group appears only with a referral */
                bool exact = !suppressed || row->group == IAPT_GROUP_ENGLAND;
                for (size_t m = 0; m < n_measures; m++) {
                    const iapt_stat_row_t *rm = iapt_stat_rows_get(rows, i + m);
                    iapt_measure_value_t v;
                    char want[IAPT_MEASURE_TEXT_MAX];
                    CHECK_EQ_STR(rm->measure_id, defs[m].id);
                    CHECK_EQ_STR(rm->org_code1, row->org_code1);
                    CHECK_EQ_STR(rm->org_code2, row->org_code2);
                    s_direct(set, n, defs[m].id, &v);
                    iapt_measure_format(&v, exact, want);
                    compared++;
                    if (strcmp(want, rm->value) != 0) {
                        if (mismatches++ < 10)
                            fprintf(stderr, "%s %s %s %s %s: rows '%s', direct '%s'\n",
                                    rm->group_type, rm->org_code1, rm->org_code2,
                                    rm->breakdown_level, rm->measure_id, rm->value, want);
                    }
                }
                expected_groups++;
                /* Rows are in publication order: group type, code, level. */
                if (i >= n_measures) {
                    const iapt_stat_row_t *prev = iapt_stat_rows_get(rows, i - n_measures);
                    const char *pc =
                        prev->group == IAPT_GROUP_PROVIDER ? prev->org_code2 : prev->org_code1;
                    const char *cc =
                        row->group == IAPT_GROUP_PROVIDER ? row->org_code2 : row->org_code1;
                    int order =
                        prev->group != row->group ? prev->group - row->group : strcmp(pc, cc);
                    CHECK(order <= 0);
                }
            }
            CHECK_EQ_INT(n_rows % n_measures, 0);
            /* Every (group, level) with a referral is there: count them
             * directly. */
            size_t groups = 0;
            const iapt_breakdown_def_t *bd = iapt_breakdown_def(b);
            const char *gcodes[IAPT_GROUP_TYPES][16];
            size_t ng[IAPT_GROUP_TYPES] = {1, 0, 0, 0, 0};
            gcodes[0][0] = "all";
            for (size_t a = 0; a < iapt_geography_count(geo); a++) {
                const iapt_geo_area_t *ar = iapt_geography_at(geo, a);
                const char *c3[3] = {ar->region_code, ar->icb_code, ar->subicb_code};
                for (int t = 0; t < 3; t++) {
                    bool seen = false;
                    for (size_t j = 0; j < ng[t + 1]; j++)
                        seen |= strcmp(gcodes[t + 1][j], c3[t]) == 0;
                    if (!seen)
                        gcodes[t + 1][ng[t + 1]++] = c3[t];
                }
            }
            for (int k = 0; k < 5; k++)
                gcodes[4][ng[4]++] = s_providers[k];
            for (int t = 0; t < IAPT_GROUP_TYPES; t++)
                for (size_t j = 0; j < ng[t]; j++)
                    for (size_t l = 0; l < bd->n_levels; l++) {
                        iapt_stat_row_t fake = {0};
                        fake.group = t;
                        fake.org_code1 = t == IAPT_GROUP_PROVIDER ? "all" : gcodes[t][j];
                        fake.org_code2 = t == IAPT_GROUP_PROVIDER ? gcodes[t][j] : "all";
                        bool any = false;
                        for (int k = 0; k < N && !any; k++)
                            any = s_member(&recs[k], &fake, geo) && recs[k].d.level[b] == l;
                        groups += any;
                    }
            CHECK_EQ_INT(expected_groups, groups);
            iapt_stat_rows_destroy(&rows);
        }
        iapt_stats_destroy(&st);
    }
    CHECK_EQ_INT(mismatches, 0);
    CHECK(compared > 100000);
    for (int k = 0; k < 5; k++)
        iapt_agg_destroy(&agg[k]);
    free(set);
    free(recs);
    iapt_geography_destroy(&geo);
}

/* ---------------------------------------------------------------------------
 * Rows, ORG columns, filters, writers
 * ------------------------------------------------------------------------ */

/* n referrals received in the period (day 3), each in its own derived
 * record, into a cell. */
static iapt_cell_t *
s_referrals_cell(int n, int finishers_recovered)
{
    iapt_period_t p = t_september();
    iapt_tools_t tools = t_default_tools();
    iapt_cell_t *c = iapt_cell_new(&iapt_adult_measure_schema);
    for (int i = 0; i < n; i++) {
        t_rec_t *r = t_rec_new(3);
        if (i < finishers_recovered) {
            t_appt(r, 4, "02", "5");
            t_appt(r, 5, "02", "5");
            t_score(r, T_PHQ, 1500, 3, 606);
            t_score(r, T_GAD, 1200, 3, 606);
            t_score(r, T_PHQ, 500, 5, 607);
            t_score(r, T_GAD, 400, 5, 607);
            t_discharge(r, 6, "46");
        }
        iapt_adult_derived_t d;
        CHECK_EQ_INT(iapt_adult_derive(&r->rec, &p, &tools, &d), 0);
        CHECK_EQ_INT(iapt_adult_cell_add(c, &d), 0);
        t_rec_free(r);
    }
    return c;
}

static const iapt_stat_row_t *
s_find_row(const iapt_stat_rows_t *rows, const char *group, const char *code, const char *id)
{
    for (size_t i = 0; i < iapt_stat_rows_count(rows); i++) {
        const iapt_stat_row_t *r = iapt_stat_rows_get(rows, i);
        const char *c = r->group == IAPT_GROUP_PROVIDER ? r->org_code2 : r->org_code1;
        if (!strcmp(r->group_type, group) && !strcmp(c, code) && !strcmp(r->measure_id, id))
            return r;
    }
    return NULL;
}

static const char *
s_val(const iapt_stat_rows_t *rows, const char *group, const char *code, const char *id)
{
    const iapt_stat_row_t *r = s_find_row(rows, group, code, id);
    return r ? r->value : "(no row)";
}

static void
test_rows_groups_and_suppression(void)
{
    iapt_period_t p = t_september();
    iapt_geography_t *geo = s_geo();
    iapt_stats_t *st = iapt_stats_new(&iapt_adult_measure_schema, &p, geo, 0);
    /* RAA: 7 referrals for 00L, 13 (5 recovered finishers) for 07L;
     * RAB: 3 for 00N and 2 for ZZ9 (not in the geography). */
    iapt_cell_t *c7 = s_referrals_cell(7, 0), *c13 = s_referrals_cell(13, 5);
    iapt_cell_t *c3 = s_referrals_cell(3, 0), *c2 = s_referrals_cell(2, 0);
    CHECK_EQ_INT(iapt_stats_add_cell(st, "RAA", "Trust A", "00L", 0, c7), 0);
    CHECK_EQ_INT(iapt_stats_add_cell(st, "RAA", "Trust A (renamed)", "07L", 0, c13), 0);
    CHECK_EQ_INT(iapt_stats_add_cell(st, "RAB", "Trust, \"B\"", "00N", 0, c3), 0);
    CHECK_EQ_INT(iapt_stats_add_cell(st, "RAB", "Trust, \"B\"", "ZZ9", 0, c2), 0);
    CHECK_EQ_INT(iapt_stats_add_cell(st, "RAB", "x", "00N", 1, c2), IAPT_EUSAGE);
    CHECK_EQ_INT(iapt_stats_add_cell(st, "", "x", "00N", 0, c2), IAPT_EUSAGE);

    iapt_stat_rows_t *rows = NULL;
    iapt_stats_query_t q = {0};
    CHECK_EQ_INT(iapt_stats_rows(st, &q, &rows), 0);
    /* Groups: England; regions Y56 (13), Y63 (7 + 3 = 10); ICBs QHM (10),
     * QMF (13); sub-ICBs 00L (7), 00N (3), 07L (13); providers RAA (20),
     * RAB (5). 10 groups x 59 measures. */
    CHECK_EQ_INT(iapt_stat_rows_count(rows), 10 * 59);
    /* England is exact and counts ZZ9: 7 + 13 + 3 + 2 = 25. */
    CHECK_EQ_STR(s_val(rows, "England", "all", "M001"), "25");
    /* Below England, rounded to 5 (10 -> 10, 13 -> 15, 7 -> 5), under 5
     * suppressed (00N: 3). ZZ9 counts for RAB (3 + 2 = 5) only. */
    CHECK_EQ_STR(s_val(rows, "Region", "Y63", "M001"), "10");
    CHECK_EQ_STR(s_val(rows, "Region", "Y56", "M001"), "15");
    CHECK_EQ_STR(s_val(rows, "ICB", "QHM", "M001"), "10");
    CHECK_EQ_STR(s_val(rows, "SubICB", "00L", "M001"), "5");
    CHECK_EQ_STR(s_val(rows, "SubICB", "00N", "M001"), "*");
    CHECK_EQ_STR(s_val(rows, "Provider", "RAB", "M001"), "5");
    CHECK_EQ_STR(s_val(rows, "Provider", "RAA", "M001"), "20");
    CHECK_EQ_STR(s_val(rows, "SubICB", "ZZ9", "M001"), "(no row)");
    /* Zero counts appear, suppressed below England, 0 at England. */
    CHECK_EQ_STR(s_val(rows, "England", "all", "M038"), "20");
    CHECK_EQ_STR(s_val(rows, "England", "all", "M084"), "0");
    CHECK_EQ_STR(s_val(rows, "Region", "Y56", "M084"), "*");
    /* Recovery at Y56: 5 / (5 - 0) = 100; England 100.0; Y63 has no
     * finishers: * below England (0 < 5); an empty M048 at England. */
    CHECK_EQ_STR(s_val(rows, "Region", "Y56", "M192"), "100");
    CHECK_EQ_STR(s_val(rows, "England", "all", "M192"), "100.0");
    CHECK_EQ_STR(s_val(rows, "Region", "Y63", "M192"), "*");
    CHECK_EQ_STR(s_val(rows, "England", "all", "M141"), "2.0");
    CHECK_EQ_STR(s_val(rows, "Region", "Y56", "M141"), "2.0");  /* count 5, sum 10 */
    CHECK_EQ_STR(s_val(rows, "England", "all", "M048"), "1.0"); /* waits 1 (day 4 - day 3) */
    /* Y56's mean wait: count 5, sum 5 x 1 = 5: neither under 5. */
    CHECK_EQ_STR(s_val(rows, "Region", "Y56", "M048"), "1.0");

    /* ORG columns. */
    const iapt_stat_row_t *r = s_find_row(rows, "England", "all", "M001");
    CHECK_EQ_STR(r->org_code1, "all");
    CHECK_EQ_STR(r->org_name1, "all SubICBs");
    CHECK_EQ_STR(r->org_code2, "all");
    CHECK_EQ_STR(r->org_name2, "all Providers");
    CHECK_EQ_STR(r->period_start, "2025-09-01");
    CHECK_EQ_STR(r->period_end, "2025-09-30");
    CHECK_EQ_STR(r->measure_name, "Count_ReferralsReceived");
    r = s_find_row(rows, "ICB", "QHM", "M001");
    CHECK_EQ_STR(r->org_name1, "NHS North East ICB");
    CHECK_EQ_STR(r->org_code2, "all");
    CHECK_EQ_STR(r->org_name2, "all Providers");
    r = s_find_row(rows, "Provider", "RAA", "M001");
    CHECK_EQ_STR(r->org_code1, "all");
    CHECK_EQ_STR(r->org_name1, "all SubICBs");
    CHECK_EQ_STR(r->org_name2, "Trust A"); /* the first name given is kept */
    /* Order: England first, then regions Y56 < Y63, ... providers last. */
    CHECK_EQ_STR(iapt_stat_rows_get(rows, 0)->group_type, "England");
    CHECK_EQ_STR(iapt_stat_rows_get(rows, 59)->org_code1, "Y56");
    CHECK_EQ_STR(iapt_stat_rows_get(rows, 118)->org_code1, "Y63");
    CHECK_EQ_STR(iapt_stat_rows_get(rows, 9 * 59)->org_code2, "RAB");
    iapt_stat_rows_destroy(&rows);

    /* Unsuppressed: every level exact. */
    q.unsuppressed = true;
    CHECK_EQ_INT(iapt_stats_rows(st, &q, &rows), 0);
    CHECK_EQ_STR(s_val(rows, "SubICB", "00N", "M001"), "3");
    CHECK_EQ_STR(s_val(rows, "Region", "Y56", "M001"), "13");
    CHECK_EQ_STR(s_val(rows, "Region", "Y56", "M192"), "100.0");
    CHECK_EQ_STR(s_val(rows, "Region", "Y63", "M192"), "");
    iapt_stat_rows_destroy(&rows);

    /* Filters: group types, ORG codes (code 1 or 2), measures. */
    const char *orgs[] = {"RAB", "Y63"};
    const char *ids[] = {"M192", "M001"};
    iapt_stats_query_t f = {0};
    f.group_types = IAPT_GROUP_BIT(IAPT_GROUP_REGION) | IAPT_GROUP_BIT(IAPT_GROUP_PROVIDER);
    f.org_codes = orgs;
    f.n_org_codes = 2;
    f.measure_ids = ids;
    f.n_measure_ids = 2;
    CHECK_EQ_INT(iapt_stats_rows(st, &f, &rows), 0);
    CHECK_EQ_INT(iapt_stat_rows_count(rows), 4); /* Y63 and RAB, M001 then M192 */
    CHECK_EQ_STR(iapt_stat_rows_get(rows, 0)->org_code1, "Y63");
    CHECK_EQ_STR(iapt_stat_rows_get(rows, 0)->measure_id, "M001");
    CHECK_EQ_STR(iapt_stat_rows_get(rows, 1)->measure_id, "M192");
    CHECK_EQ_STR(iapt_stat_rows_get(rows, 3)->org_code2, "RAB");

    /* CSV: the publication layout, quoting the provider's name. */
    iapt_buf_t buf = IAPT_BUF_INIT;
    CHECK_EQ_INT(iapt_stat_rows_csv(rows, &buf), 0);
    CHECK_EQ_STR((char *)buf.data,
                 "REPORTING_PERIOD_START,REPORTING_PERIOD_END,GROUP_TYPE,ORG_CODE1,ORG_NAME1,"
                 "ORG_CODE2,ORG_NAME2,MEASURE_ID,MEASURE_NAME,MEASURE_VALUE_SUPPRESSED\n"
                 "2025-09-01,2025-09-30,Region,Y63,North East,all,all Providers,M001,"
                 "Count_ReferralsReceived,10\n"
                 "2025-09-01,2025-09-30,Region,Y63,North East,all,all Providers,M192,"
                 "Percentage_Recovery,*\n"
                 "2025-09-01,2025-09-30,Provider,all,all SubICBs,RAB,\"Trust, \"\"B\"\"\",M001,"
                 "Count_ReferralsReceived,5\n"
                 "2025-09-01,2025-09-30,Provider,all,all SubICBs,RAB,\"Trust, \"\"B\"\"\",M192,"
                 "Percentage_Recovery,*\n");
    /* JSON: the same as objects, keys in lower case, one per line; the
     * value a number, or "*" when suppressed (common/json.h). */
    buf.len = 0;
    CHECK_EQ_INT(iapt_stat_rows_json(rows, &buf), 0);
    CHECK(strstr((char *)buf.data,
                 "\n{\"reporting_period_start\":\"2025-09-01\",\"reporting_period_end\":"
                 "\"2025-09-30\",\"group_type\":\"Provider\",\"org_code1\":\"all\","
                 "\"org_name1\":\"all SubICBs\",\"org_code2\":\"RAB\",\"org_name2\":"
                 "\"Trust, \\\"B\\\"\",\"measure_id\":\"M001\",\"measure_name\":"
                 "\"Count_ReferralsReceived\",\"measure_value_suppressed\":5},\n") != NULL);
    CHECK(strstr((char *)buf.data, "\"measure_value_suppressed\":10}") != NULL);
    CHECK(strstr((char *)buf.data, "\"measure_value_suppressed\":\"*\"}") != NULL);
    CHECK(buf.data[0] == '[' && buf.data[buf.len - 2] == ']');
    /* Table: aligned columns, values right-aligned. */
    buf.len = 0;
    CHECK_EQ_INT(iapt_stat_rows_table(rows, &buf), 0);
    CHECK(strstr((char *)buf.data, "PERIOD   GROUP     CODE  NAME") == (char *)buf.data);
    CHECK(strstr((char *)buf.data, "2025-09  Region    Y63   North East") != NULL);
    iapt_stat_rows_destroy(&rows);

    /* Unknown measure: refused, rows untouched. */
    const char *unknown[] = {"M001", "M999"};
    f.measure_ids = unknown;
    CHECK_EQ_INT(iapt_stats_rows(st, &f, &rows), IAPT_EUSAGE);
    CHECK(strstr(iapt_error_detail(), "M999") != NULL);
    CHECK(rows == NULL);

    /* Wide table: England and regions with chosen measures. */
    iapt_stats_query_t w = {0};
    w.group_types = IAPT_GROUP_BIT(IAPT_GROUP_ENGLAND) | IAPT_GROUP_BIT(IAPT_GROUP_REGION);
    CHECK_EQ_INT(iapt_stats_rows(st, &w, &rows), 0);
    size_t n_cols;
    const char *const *cols = iapt_stats_headline_measures(&iapt_adult_measure_schema, &n_cols);
    CHECK_EQ_INT(n_cols, 7);
    buf.len = 0;
    CHECK_EQ_INT(iapt_stat_rows_table_wide(rows, cols, n_cols, &buf), 0);
    CHECK_EQ_STR((char *)buf.data,
                 "GROUP    CODE  NAME        M001  M031  M076   M192   M186   M053   M055\n"
                 "England        England       25     5     5  100.0  100.0  100.0  100.0\n"
                 "Region   Y56   London        15     5     5    100    100    100    100\n"
                 "Region   Y63   North East    10     *     *      *      *      *      *\n");
    iapt_buf_free(&buf);
    iapt_stat_rows_destroy(&rows);

    /* The cell accessor. */
    CHECK(iapt_stats_cell(st, IAPT_GROUP_ENGLAND, NULL, 0) != NULL);
    CHECK_EQ_INT(iapt_cell_referrals(iapt_stats_cell(st, IAPT_GROUP_SUBICB, "00L", 0)), 7);
    CHECK(iapt_stats_cell(st, IAPT_GROUP_SUBICB, "ZZ9", 0) == NULL);
    CHECK(iapt_stats_cell(st, IAPT_GROUP_SUBICB, "00L", 1) == NULL);

    iapt_cell_destroy(&c7);
    iapt_cell_destroy(&c13);
    iapt_cell_destroy(&c3);
    iapt_cell_destroy(&c2);
    iapt_stats_destroy(&st);
    iapt_stats_destroy(&st);
    iapt_geography_destroy(&geo);
    CHECK(iapt_stats_new(&iapt_adult_measure_schema, &p, NULL, IAPT_BREAKDOWN_COUNT) == NULL);
    CHECK(iapt_group_type_find("SubICB") == IAPT_GROUP_SUBICB);
    CHECK(iapt_group_type_find("subicb") == -1);
    CHECK_EQ_STR(iapt_group_type_name(IAPT_GROUP_PROVIDER), "Provider");
}

static void
test_rows_breakdown_and_time_series(void)
{
    iapt_geography_t *geo = s_geo();
    iapt_tools_t tools = t_default_tools();
    iapt_stat_rows_t *rows = NULL;
    /* Two months, gender breakdown: August with 6 women (level 1) at
     * 00L; September with 6 women and 5 men (level 0) at 07L. */
    for (int month = 8; month <= 9; month++) {
        iapt_period_t p;
        iapt_period_make(2025, month, &p);
        iapt_agg_t *agg = iapt_agg_new(&iapt_adult_measure_schema);
        for (int i = 0; i < (month == 8 ? 6 : 11); i++) {
            t_rec_t *r = t_rec_new(2);
            r->rec.gender_identity = i < 6 ? "2" : "1";
            iapt_adult_derived_t d;
            CHECK_EQ_INT(iapt_adult_derive(&r->rec, &p, &tools, &d), 0);
            CHECK_EQ_INT(iapt_adult_agg_add(agg, month == 8 ? "00L" : "07L", &d), 0);
            t_rec_free(r);
        }
        iapt_stats_t *st =
            iapt_stats_new(&iapt_adult_measure_schema, &p, geo, IAPT_BREAKDOWN_GENDER);
        s_feed_t f = {st, "RAA", IAPT_BREAKDOWN_GENDER};
        CHECK_EQ_INT(iapt_agg_foreach(agg, s_feed, &f), 0);
        const char *ids[] = {"M001"};
        iapt_stats_query_t q = {0};
        q.group_types = IAPT_GROUP_BIT(IAPT_GROUP_ENGLAND) | IAPT_GROUP_BIT(IAPT_GROUP_SUBICB);
        q.measure_ids = ids;
        q.n_measure_ids = 1;
        CHECK_EQ_INT(iapt_stats_rows(st, &q, &rows), 0);
        iapt_stats_destroy(&st); /* rows stay valid */
        iapt_agg_destroy(&agg);
    }
    CHECK(iapt_stat_rows_have_breakdown(rows));
    iapt_buf_t buf = IAPT_BUF_INIT;
    CHECK_EQ_INT(iapt_stat_rows_csv(rows, &buf), 0);
    /* Levels with no referral are left out; Male before Female (level
     * order). */
    CHECK_EQ_STR((char *)buf.data,
                 "REPORTING_PERIOD_START,REPORTING_PERIOD_END,GROUP_TYPE,ORG_CODE1,ORG_NAME1,"
                 "ORG_CODE2,ORG_NAME2,BREAKDOWN,BREAKDOWN_LEVEL,MEASURE_ID,MEASURE_NAME,"
                 "MEASURE_VALUE_SUPPRESSED\n"
                 "2025-08-01,2025-08-31,England,all,all SubICBs,all,all Providers,Gender identity,"
                 "Female,M001,Count_ReferralsReceived,6\n"
                 "2025-08-01,2025-08-31,SubICB,00L,NHS North East ICB - 00L,all,all Providers,"
                 "Gender identity,Female,M001,Count_ReferralsReceived,5\n"
                 "2025-09-01,2025-09-30,England,all,all SubICBs,all,all Providers,Gender identity,"
                 "Male,M001,Count_ReferralsReceived,5\n"
                 "2025-09-01,2025-09-30,England,all,all SubICBs,all,all Providers,Gender identity,"
                 "Female,M001,Count_ReferralsReceived,6\n"
                 "2025-09-01,2025-09-30,SubICB,07L,NHS London East ICB - 07L,all,all Providers,"
                 "Gender identity,Male,M001,Count_ReferralsReceived,5\n"
                 "2025-09-01,2025-09-30,SubICB,07L,NHS London East ICB - 07L,all,all Providers,"
                 "Gender identity,Female,M001,Count_ReferralsReceived,5\n");
    buf.len = 0;
    const char *cols[] = {"M001"};
    CHECK_EQ_INT(iapt_stat_rows_table_wide(rows, cols, 1, &buf), 0);
    CHECK_EQ_STR((char *)buf.data,
                 "PERIOD   GROUP    CODE  NAME                       LEVEL   M001\n"
                 "2025-08  England        England                    Female     6\n"
                 "2025-08  SubICB   00L   NHS North East ICB - 00L   Female     5\n"
                 "2025-09  England        England                    Male       5\n"
                 "2025-09  England        England                    Female     6\n"
                 "2025-09  SubICB   07L   NHS London East ICB - 07L  Male       5\n"
                 "2025-09  SubICB   07L   NHS London East ICB - 07L  Female     5\n");
    iapt_buf_free(&buf);
    iapt_stat_rows_destroy(&rows);
    iapt_geography_destroy(&geo);
}

/* ---------------------------------------------------------------------------
 * Access and 2015 targets view
 * ------------------------------------------------------------------------ */

/* One month of one region: 10 referrals entering treatment (first
 * treatment day 1), 4 of them finishers (second treatment day 2,
 * discharged day 3): 2 recovered, 1 not at caseness, 1 at caseness not
 * recovered; the first recovered one moves off sick pay. */
static void
s_month_records(iapt_agg_t *agg, const iapt_period_t *p, const char *comm)
{
    iapt_tools_t tools = t_default_tools();
    for (int i = 0; i < 10; i++) {
        t_rec_t *r = t_rec_new(-20);
        t_appt(r, 1, "02", "5");
        if (i < 4) {
            static const int sc[4][4] = {
                {15, 5, 12, 4}, {15, 5, 12, 4}, {8, 3, 6, 2}, {15, 12, 12, 10}};
            t_appt(r, 2, "02", "5");
            t_score(r, T_PHQ, sc[i][0] * 100, -10, 606);
            t_score(r, T_GAD, sc[i][2] * 100, -10, 606);
            t_score(r, T_PHQ, sc[i][1] * 100, 2, 607);
            t_score(r, T_GAD, sc[i][3] * 100, 2, 607);
            t_discharge(r, 3, "46");
            if (i == 0) {
                t_employment(r, -10, "Y", NULL);
                t_employment(r, 2, "N", NULL);
            }
        }
        iapt_adult_derived_t d;
        CHECK_EQ_INT(iapt_adult_derive(&r->rec, p, &tools, &d), 0);
        CHECK_EQ_INT(iapt_adult_agg_add(agg, comm, &d), 0);
        t_rec_free(r);
    }
}

static iapt_stats_t *
s_month_stats(int y, int m, const iapt_geography_t *geo, bool with_data)
{
    iapt_period_t p;
    iapt_period_make(y, m, &p);
    iapt_agg_t *agg = iapt_agg_new(&iapt_adult_measure_schema);
    if (with_data) {
        s_month_records(agg, &p, "00L"); /* North East */
        s_month_records(agg, &p, "ZZ9"); /* England only */
    }
    iapt_stats_t *st = iapt_stats_new(&iapt_adult_measure_schema, &p, geo, 0);
    s_feed_t f = {st, "RAA", 0};
    CHECK_EQ_INT(iapt_agg_foreach(agg, s_feed, &f), 0);
    iapt_agg_destroy(&agg);
    return st;
}

static const char *
s_target_val(const iapt_target_rows_t *t, const char *region, const char *measure, int col)
{
    for (size_t i = 0; i < iapt_target_rows_count(t); i++) {
        const iapt_target_row_t *r = iapt_target_rows_get(t, i);
        if (!strcmp(r->region, region) && !strncmp(r->measure, measure, strlen(measure)))
            return col == 0 ? r->value : col == 1 ? r->target : r->progress;
    }
    return "(no row)";
}

static void
test_targets_view(void)
{
    char path[4096];
    iapt_sha_targets_t *targets = NULL;
    int rc = iapt_sha_targets_load(s_reference_path("sha-2012-targets.csv", path, sizeof path),
                                   &targets);
    CHECK_EQ_INT(rc, 0);
    if (rc < 0) {
        fprintf(stderr, "test_targets_view: cannot load %s: %s\n", path, iapt_error_detail());
        return;
    }
    iapt_geography_t *geo = s_geo();
    /* July, August, September 2025 with data; June 2025 empty; September
     * 2024 outside the 12 months ending September 2025. */
    iapt_stats_t *m[5] = {s_month_stats(2025, 7, geo, true), s_month_stats(2025, 8, geo, true),
                          s_month_stats(2025, 9, geo, true), s_month_stats(2025, 6, geo, false),
                          s_month_stats(2024, 9, geo, true)};
    iapt_period_t p;
    iapt_period_make(2025, 9, &p);
    iapt_target_rows_t *t = NULL;
    CHECK_EQ_INT(iapt_targets_view(&p, (const iapt_stats_t *const *)m, 5, targets, true, &t), 0);
    CHECK_EQ_INT(iapt_target_rows_months(t), 3);
    /* Regions of the geography that are in the table: North East and
     * London (in table order: London before North East), then England:
     * 3 x 5 lines. */
    CHECK_EQ_INT(iapt_target_rows_count(t), 15);
    CHECK_EQ_STR(iapt_target_rows_get(t, 0)->region, "London");
    CHECK_EQ_STR(iapt_target_rows_get(t, 5)->region, "North East");
    CHECK_EQ_STR(iapt_target_rows_get(t, 10)->region, "England");
    /* North East, unsuppressed: entering 3 x 10 = 30 over 3 months ->
     * 30 x 12 / 3 = 120 a year vs 48632: 120 / 48632 = 0.2467% -> 0.2.
     * Access: 120 / 330385 x 100 = 0.0363% -> 0.0; vs 15: 0.242% -> 0.2.
     * Completion: finished 12 / 30 = 40.0% vs 66: 60.6. Recovery: 6 /
     * (12 - 3) = 66.7% vs 50: 133.3. Off sick pay: 3 -> 12 a year vs 1351:
     * 0.888% -> 0.9. */
    CHECK_EQ_STR(s_target_val(t, "North East", "Entering", 0), "120");
    CHECK_EQ_STR(s_target_val(t, "North East", "Entering", 1), "48632");
    CHECK_EQ_STR(s_target_val(t, "North East", "Entering", 2), "0.2");
    CHECK_EQ_STR(s_target_val(t, "North East", "Access", 0), "0.0");
    CHECK_EQ_STR(s_target_val(t, "North East", "Access", 1), "15");
    CHECK_EQ_STR(s_target_val(t, "North East", "Access", 2), "0.2");
    CHECK_EQ_STR(s_target_val(t, "North East", "Completion", 0), "40.0");
    CHECK_EQ_STR(s_target_val(t, "North East", "Completion", 2), "60.6");
    CHECK_EQ_STR(s_target_val(t, "North East", "Recovery", 0), "66.7");
    CHECK_EQ_STR(s_target_val(t, "North East", "Recovery", 2), "133.3");
    CHECK_EQ_STR(s_target_val(t, "North East", "Off sick", 0), "12");
    CHECK_EQ_STR(s_target_val(t, "North East", "Off sick", 1), "1351");
    CHECK_EQ_STR(s_target_val(t, "North East", "Off sick", 2), "0.9");
    /* London has no data: zero entering, empty rates. */
    CHECK_EQ_STR(s_target_val(t, "London", "Entering", 0), "0");
    CHECK_EQ_STR(s_target_val(t, "London", "Completion", 0), "");
    /* England counts ZZ9 too: 240 a year; targets summed over the ten
     * SHAs: entering 900000 -> 240 / 900000 = 0.0267% -> 0.0. */
    CHECK_EQ_STR(s_target_val(t, "England", "Entering", 0), "240");
    CHECK_EQ_STR(s_target_val(t, "England", "Entering", 1), "900000");
    CHECK_EQ_STR(s_target_val(t, "England", "Entering", 2), "0.0");
    CHECK_EQ_STR(s_target_val(t, "England", "Recovery", 0), "66.7");
    iapt_buf_t buf = IAPT_BUF_INIT;
    CHECK_EQ_INT(iapt_target_rows_text(t, &buf), 0);
    CHECK(strstr((char *)buf.data, "12 months 2024-10 to 2025-09, 3 with data") != NULL);
    CHECK(strstr((char *)buf.data, "North East  Recovery rate (%)") != NULL);
    iapt_buf_free(&buf);
    iapt_target_rows_destroy(&t);

    /* Suppressed: North East counts rounded to 5, rates whole, off sick
     * pay (3 < 5) suppressed with its progress; England exact. */
    CHECK_EQ_INT(iapt_targets_view(&p, (const iapt_stats_t *const *)m, 5, targets, false, &t), 0);
    CHECK_EQ_STR(s_target_val(t, "North East", "Entering", 0), "120");
    CHECK_EQ_STR(s_target_val(t, "North East", "Entering", 2), "0");
    CHECK_EQ_STR(s_target_val(t, "North East", "Completion", 0), "40");
    CHECK_EQ_STR(s_target_val(t, "North East", "Recovery", 0), "67");
    CHECK_EQ_STR(s_target_val(t, "North East", "Recovery", 2), "133");
    CHECK_EQ_STR(s_target_val(t, "North East", "Off sick", 0), "*");
    CHECK_EQ_STR(s_target_val(t, "North East", "Off sick", 2), "*");
    CHECK_EQ_STR(s_target_val(t, "London", "Entering", 0), "*");
    CHECK_EQ_STR(s_target_val(t, "England", "Off sick", 0), "24");
    iapt_target_rows_destroy(&t);

    /* The same month twice is refused. */
    iapt_stats_t *dup[2] = {m[0], m[0]};
    CHECK_EQ_INT(iapt_targets_view(&p, (const iapt_stats_t *const *)dup, 2, targets, false, &t),
                 IAPT_EUSAGE);
    CHECK(t == NULL);
    for (int i = 0; i < 5; i++)
        iapt_stats_destroy(&m[i]);
    iapt_geography_destroy(&geo);
    iapt_sha_targets_destroy(&targets);
}

TEST_MAIN(test_geography, test_geography_refusals, test_sha_targets, test_rollup_equals_direct,
          test_rows_groups_and_suppression, test_rows_breakdown_and_time_series, test_targets_view)
