/* bench_measures - throughput of the statistics library on a national
 * month: 650k records derived and aggregated by 250 providers (the hub's
 * ingest path), then every core measure at every group level from the
 * stored provider cells (the hub's query path).
 *
 *     build/tests/bench_measures [records]
 *
 * Prints one line per figure. Synthetic records are realistic in shape
 * (about 8 appointments, 6 scores, problem descriptors and employment
 * records), generated with a fixed seed. */
#include "common/err.h"
#include "common/geography.h"
#include "common/measures.h"
#include "common/collections/adult/adult_measures.h"
#include "common/stats.h"
#include "common/util.h"
#include "tests/unit/records_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PROVIDERS 250
#define POOL 4096
#define REGIONS 7
#define ICBS 42
#define SUBICBS 106

static uint64_t s_rng = 0x853C49E6748FEA9BULL;

static uint32_t
s_next(void)
{
    s_rng ^= s_rng << 13;
    s_rng ^= s_rng >> 7;
    s_rng ^= s_rng << 17;
    return (uint32_t)(s_rng >> 11);
}

static int
s_between(int lo, int hi)
{
    return lo + (int)(s_next() % (uint32_t)(hi - lo + 1));
}

static double
s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One packed record like a provider's: open at some time in September
 * 2025, a course of appointments, PHQ-9 and GAD-7 along it. */
static int
s_make_record(uint8_t **out, size_t *len)
{
    static const char *const att[] = {"5", "5", "5", "5", "6", "3", "2", "4"};
    static const char *const eth[] = {"A", "B", "H", "M", "D", "R", "Z", "99"};
    static const char *const gen[] = {"1", "2", "2", "3", "X"};
    static const char *const src[] = {"A1", "B1", "B1", "B2", "C1"};
    static const char *const prob[] = {"F32", "F411", "F412", "F431", "F42", "F401"};
    static const uint64_t ther[] = {T_CBT, T_CFD, T_GSH_BOOK, T_EMDR, 443730003ULL};
    t_rec_t *r = t_rec_new(s_between(-250, 29));
    int32_t ref = r->rec.referral_day;
    r->rec.ethnic_category = (char *)eth[s_next() % 8];
    r->rec.gender_identity = (char *)gen[s_next() % 5];
    r->rec.referral_source = (char *)src[s_next() % 5];
    r->rec.has_age_band = 1;
    r->rec.age_band = (Iapt__AgeBand)s_between(1, 8);
    r->rec.has_imd_decile = 1;
    r->rec.imd_decile = (uint32_t)s_between(1, 10);
    int n = s_between(0, 16);
    int day = ref + s_between(5, 60);
    t_appt(r, ref + 3 > 29 ? 29 : ref + 3, "01", "5");
    t_score(r, T_PHQ, s_between(5, 27) * 100, ref + 3 > 29 ? 29 : ref + 3, 606);
    t_score(r, T_GAD, s_between(3, 21) * 100, ref + 3 > 29 ? 29 : ref + 3, 606);
    uint64_t th = ther[s_next() % 5];
    for (int i = 0; i < n && day <= 29; i++, day += s_between(5, 10)) {
        t_appt_th(r, day, "02", att[s_next() % 8], th, 0);
        if (s_next() % 2) {
            t_score(r, T_PHQ, s_between(0, 27) * 100, day, 607);
            t_score(r, T_GAD, s_between(0, 21) * 100, day, 607);
        }
    }
    t_problem(r, prob[s_next() % 6], 1, 1, ref > 0 ? ref : 0);
    t_employment(r, ref, s_next() % 4 ? "N" : "Y", "N");
    if (s_next() % 2)
        t_employment(r, ref + 1 > 29 ? 29 : ref + 1, "N", "N");
    if (s_next() % 3 == 0)
        t_discharge(r, s_between(ref > 0 ? ref : 0, 29), "46");
    *len = iapt__pathway_record__get_packed_size(&r->rec);
    *out = malloc(*len);
    if (!*out)
        return -1;
    iapt__pathway_record__pack(&r->rec, *out);
    t_rec_free(r);
    return 0;
}

typedef struct {
    uint8_t *data;
    size_t len;
    char commissioner[8];
    int provider, breakdown, level;
} s_stored_t;

typedef struct {
    s_stored_t *cells;
    size_t n, cap;
    int provider; /* whose agg is being stored */
    iapt_buf_t buf;
    double encode_s;
} s_store_t;

static int
s_store(const char *commissioner, int breakdown, int level, const iapt_cell_t *cell, void *arg)
{
    s_store_t *st = arg;
    if (st->n == st->cap) {
        st->cap = st->cap ? st->cap * 2 : 1024;
        st->cells = realloc(st->cells, st->cap * sizeof *st->cells);
    }
    s_stored_t *s = &st->cells[st->n++];
    /* One buffer reused, as a writer into LMDB would; the copy is the
     * stored value. */
    st->buf.len = 0;
    double t0 = s_now();
    if (iapt_cell_encode(cell, &st->buf) < 0)
        return -1;
    st->encode_s += s_now() - t0;
    s->data = malloc(st->buf.len);
    memcpy(s->data, st->buf.data, st->buf.len);
    s->len = st->buf.len;
    snprintf(s->commissioner, sizeof s->commissioner, "%s", commissioner);
    s->provider = st->provider;
    s->breakdown = breakdown;
    s->level = level;
    return 0;
}

/* A synthetic geography: 106 sub-ICBs in 42 ICBs in 7 regions. */
static iapt_geography_t *
s_geography(void)
{
    iapt_buf_t b = IAPT_BUF_INIT;
    iapt_buf_printf(&b, "subicb_code,subicb_name,icb_code,icb_name,region_code,region_name\n");
    for (int i = 0; i < SUBICBS; i++) {
        int icb = i % ICBS, region = icb % REGIONS;
        iapt_buf_printf(&b, "S%02d,Sub-ICB %d,Q%02d,ICB %d,Y%d,Region %d\n", i, i, icb, icb, region,
                        region);
    }
    iapt_geography_t *geo = NULL;
    if (iapt_geography_parse((const char *)b.data, b.len, "bench-geo", &geo) < 0)
        fprintf(stderr, "geography: %s\n", iapt_error_detail());
    iapt_buf_free(&b);
    return geo;
}

/* The query path: decode the stored cells of one breakdown, roll up, make
 * every row. Returns milliseconds; *rows_out the number of rows. */
static double
s_query(const s_store_t *store, const iapt_geography_t *geo, int breakdown, size_t *rows_out,
        size_t *csv_bytes, double *csv_ms, size_t *json_bytes, double *json_ms)
{
    iapt_period_t p = t_september();
    double t0 = s_now();
    iapt_stats_t *st = iapt_stats_new(&iapt_adult_measure_schema, &p, geo, breakdown);
    iapt_cell_t *cell = iapt_cell_new(&iapt_adult_measure_schema);
    for (size_t i = 0; i < store->n; i++) {
        const s_stored_t *s = &store->cells[i];
        if (s->breakdown != breakdown)
            continue;
        char prov[8];
        snprintf(prov, sizeof prov, "R%03d", s->provider);
        if (iapt_cell_decode(cell, s->data, s->len) < 0 ||
            iapt_stats_add_cell(st, prov, "Provider", s->commissioner, s->level, cell) < 0)
            fprintf(stderr, "query: %s\n", iapt_error_detail());
    }
    iapt_stat_rows_t *rows = NULL;
    iapt_stats_rows(st, NULL, &rows);
    double t1 = s_now();
    iapt_buf_t csv = IAPT_BUF_INIT;
    iapt_stat_rows_csv(rows, &csv);
    *csv_ms = (s_now() - t1) * 1000;
    *csv_bytes = csv.len;
    iapt_buf_t json = IAPT_BUF_INIT;
    double t2 = s_now();
    iapt_stat_rows_json(rows, &json);
    *json_ms = (s_now() - t2) * 1000;
    *json_bytes = json.len;
    *rows_out = iapt_stat_rows_count(rows);
    iapt_buf_free(&csv);
    iapt_buf_free(&json);
    iapt_stat_rows_destroy(&rows);
    iapt_cell_destroy(&cell);
    iapt_stats_destroy(&st);
    return (t1 - t0) * 1000;
}

int
main(int argc, char **argv)
{
    size_t n_records = argc > 1 ? strtoul(argv[1], NULL, 10) : 650000;
    iapt_period_t p = t_september();
    iapt_tools_t tools = t_default_tools();
    static uint8_t *packed[POOL];
    static size_t packed_len[POOL];
    static Iapt__PathwayRecord *unpacked[POOL];
    size_t bytes = 0;

    for (int i = 0; i < POOL; i++) {
        if (s_make_record(&packed[i], &packed_len[i]) < 0)
            return 1;
        bytes += packed_len[i];
        unpacked[i] = iapt__pathway_record__unpack(NULL, packed_len[i], packed[i]);
        if (!unpacked[i])
            return 1;
    }
    printf("records: %zu (a pool of %d distinct, %.0f bytes each on average)\n", n_records, POOL,
           (double)bytes / POOL);

    /* Ingest: each provider's submission is derived and aggregated into
     * its own agg (commissioners: three per provider). */
    iapt_agg_t *agg[PROVIDERS];
    for (int k = 0; k < PROVIDERS; k++)
        agg[k] = iapt_agg_new(&iapt_adult_measure_schema);
    iapt_adult_derived_t d;
    size_t refused = 0;
    double t0 = s_now();
    for (size_t i = 0; i < n_records; i++)
        if (iapt_adult_derive(unpacked[i % POOL], &p, &tools, &d) < 0)
            refused++;
    double t1 = s_now();
    printf("derive alone:                %8.0f records/s  (%.2f s)\n",
           (double)n_records / (t1 - t0), t1 - t0);
    t0 = s_now();
    for (size_t i = 0; i < n_records; i++) {
        int k = (int)(i * PROVIDERS / n_records);
        char comm[8];
        snprintf(comm, sizeof comm, "S%02d", (k * 3 + (int)(i % 3)) % SUBICBS);
        if (iapt_adult_derive(unpacked[i % POOL], &p, &tools, &d) < 0 ||
            iapt_adult_agg_add(agg[k], comm, &d) < 0)
            refused++;
    }
    t1 = s_now();
    printf("derive + aggregate:          %8.0f records/s  (%.2f s, %zu refused)\n",
           (double)n_records / (t1 - t0), t1 - t0, refused);

    iapt_agg_t *agg2 = iapt_agg_new(&iapt_adult_measure_schema);
    t0 = s_now();
    for (size_t i = 0; i < n_records; i++) {
        Iapt__PathwayRecord *rec =
            iapt__pathway_record__unpack(NULL, packed_len[i % POOL], packed[i % POOL]);
        if (!rec || iapt_adult_derive(rec, &p, &tools, &d) < 0 ||
            iapt_adult_agg_add(agg2, "S01", &d) < 0)
            refused++;
        iapt__pathway_record__free_unpacked(rec, NULL);
    }
    t1 = s_now();
    printf("unpack + derive + aggregate: %8.0f records/s  (%.2f s)\n",
           (double)n_records / (t1 - t0), t1 - t0);
    iapt_agg_destroy(&agg2);

    /* Storing: every non-empty cell of every provider encoded. */
    s_store_t store = {NULL, 0, 0, 0, IAPT_BUF_INIT, 0};
    for (int k = 0; k < PROVIDERS; k++) {
        store.provider = k;
        iapt_agg_foreach(agg[k], s_store, &store);
    }
    iapt_buf_free(&store.buf);
    size_t cell_bytes = 0, whole = 0;
    for (size_t i = 0; i < store.n; i++) {
        cell_bytes += store.cells[i].len;
        whole += store.cells[i].breakdown == 0;
    }
    printf("encode cells:                %8zu cells (%zu whole-commissioner), %.1f KiB, %.1f ms\n",
           store.n, whole, (double)cell_bytes / 1024, store.encode_s * 1000);

    /* Query: every core measure at every group level. */
    iapt_geography_t *geo = s_geography();
    for (int b = 0; b < IAPT_BREAKDOWN_COUNT; b++) {
        size_t rows = 0, csv = 0, json = 0;
        double best = 1e9, best_csv = 1e9, best_json = 1e9, csv_ms, json_ms;
        for (int rep = 0; rep < 5; rep++) {
            double ms = s_query(&store, geo, b, &rows, &csv, &csv_ms, &json, &json_ms);
            if (ms < best)
                best = ms;
            if (csv_ms < best_csv)
                best_csv = csv_ms;
            if (json_ms < best_json)
                best_json = json_ms;
        }
        printf("query %-10s %7zu rows: %6.2f ms decode + roll-up + rows, then %6.2f ms for "
               "%.1f MiB of CSV, %6.2f ms for %.1f MiB of JSON (%.1fx the CSV's time; best of "
               "5)\n",
               iapt_breakdown_def(b)->key, rows, best, best_csv, (double)csv / (1 << 20), best_json,
               (double)json / (1 << 20), best_csv > 0 ? best_json / best_csv : 0.0);
    }

    for (size_t i = 0; i < store.n; i++)
        free(store.cells[i].data);
    free(store.cells);
    for (int k = 0; k < PROVIDERS; k++)
        iapt_agg_destroy(&agg[k]);
    for (int i = 0; i < POOL; i++) {
        iapt__pathway_record__free_unpacked(unpacked[i], NULL);
        free(packed[i]);
    }
    iapt_geography_destroy(&geo);
    return 0;
}
