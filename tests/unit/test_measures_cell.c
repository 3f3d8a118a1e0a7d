/* Unit tests of common/cell (aggregate cells, merge, encoding) and
 * common/agg (a submission's cells by commissioner, breakdown, level). */
#include "common/err.h"
#include "common/measures.h"
#include "common/collections/adult/adult_measures.h"
#include "common/collections/adult/adult_internal.h"
#include "common/util.h"
#include "tests/test.h"
#include "tests/unit/records_fixture.h"

/* Derived referrals covering most counters: a recovered finisher, a
 * not-at-caseness finisher, one treated once, one waiting with a long
 * wait, one entering treatment with a negative wait, and one with
 * appointments of every attendance code in the period. */
static size_t
s_sample(iapt_adult_derived_t *d)
{
    iapt_period_t p = t_september();
    iapt_tools_t tools = t_default_tools();
    size_t n = 0;
    t_rec_t *r;

    r = t_rec_new(-60);
    t_appt(r, -40, "02", "5");
    t_appt(r, -30, "02", "5");
    t_appt_th(r, 2, "02", "5", T_CBT, 0);
    t_score(r, T_PHQ, 1500, -50, 606);
    t_score(r, T_GAD, 1200, -50, 606);
    t_score(r, T_PHQ, 500, -20, 607);
    t_score(r, T_GAD, 400, -20, 607);
    t_employment(r, -50, "Y", "Y");
    t_employment(r, 1, "N", "N");
    r->rec.ethnic_category = "A";
    t_discharge(r, 5, "46");
    CHECK_EQ_INT(iapt_adult_derive(&r->rec, &p, &tools, &d[n++]), 0);
    t_rec_free(r);

    r = t_rec_new(-30);
    t_appt(r, -20, "02", "5");
    t_appt(r, -10, "02", "5");
    t_score(r, T_PHQ, 800, -25, 606);
    t_score(r, T_GAD, 600, -25, 606);
    r->rec.ethnic_category = "M";
    t_discharge(r, 0, "12");
    CHECK_EQ_INT(iapt_adult_derive(&r->rec, &p, &tools, &d[n++]), 0);
    t_rec_free(r);

    r = t_rec_new(1);
    t_appt(r, 3, "02", "5");
    t_discharge(r, 9, "47");
    r->rec.referral_source = "B1";
    CHECK_EQ_INT(iapt_adult_derive(&r->rec, &p, &tools, &d[n++]), 0);
    t_rec_free(r);

    r = t_rec_new(-200);
    r->rec.referral_source = "A1";
    CHECK_EQ_INT(iapt_adult_derive(&r->rec, &p, &tools, &d[n++]), 0);
    t_rec_free(r);

    r = t_rec_new(8);
    t_appt(r, 6, "03", "6");
    CHECK_EQ_INT(iapt_adult_derive(&r->rec, &p, &tools, &d[n++]), 0);
    t_rec_free(r);

    r = t_rec_new(-3);
    for (int a = 2; a <= 7; a++) {
        char *att = a == 2 ? "2" : a == 3 ? "3" : a == 4 ? "4" : a == 5 ? "5" : a == 6 ? "6" : "7";
        t_appt_th(r, a, "02", att, T_CFD, 0);
    }
    CHECK_EQ_INT(iapt_adult_derive(&r->rec, &p, &tools, &d[n++]), 0);
    t_rec_free(r);
    return n;
}

static void
s_measures_equal(const iapt_cell_t *a, const iapt_cell_t *b)
{
    size_t n;
    iapt_measure_defs(&n);
    for (size_t m = 0; m < n; m++) {
        iapt_measure_value_t va, vb;
        CHECK_EQ_INT(iapt_cell_measure(a, (int)m, &va), 0);
        CHECK_EQ_INT(iapt_cell_measure(b, (int)m, &vb), 0);
        CHECK_EQ_INT(va.num, vb.num);
        CHECK_EQ_INT(va.den, vb.den);
    }
}

static void
test_cell_basics(void)
{
    iapt_cell_t *c = iapt_cell_new(&iapt_adult_measure_schema);
    CHECK(c && iapt_cell_empty(c));
    CHECK_EQ_INT(iapt_cell_referrals(c), 0);
    iapt_adult_derived_t d[8];
    size_t n = s_sample(d);
    for (size_t i = 0; i < n; i++)
        CHECK_EQ_INT(iapt_adult_cell_add(c, &d[i]), 0);
    CHECK(!iapt_cell_empty(c));
    CHECK_EQ_INT(iapt_cell_referrals(c), 6);
    /* Hand counts over the sample (records 1-6 in s_sample's order):
     * M001 2 (records 3, 5: referred days 1 and 8); M002 1 (3 is B1);
     * M003 0 (the A1 referral is from day -200); M023 1 (5: the 03 on day
     * 6); M031 3 (first treatments in the period: 3 day 3, 5 day 6, 6 day
     * 5; 1's first is day -40); M038 1 (4); M044 1 (4: 29 + 200 > 126);
     * M056 3 (1, 2, 3); M076 2 (1, 2); M075 1 (3); M179 1 (2: PHQ 8, GAD
     * 6); M191 1 (1); M237 1 (1: Y then N); M082 9 (1 day 2, 3 day 3, 5
     * day 6, 6 days 2..7); M086 3 (1, 3, 6 day 5); M087 2 (5, 6 day 6);
     * M104 2 (6: attended days 5, 6); M110 1 (1 day 2); M184 1 (6 day 6).
     * M206 White (1): 1 / (1 - 0) = 100.0; M208 Black (2): 0 / (1 - 1):
     * empty. */
    static const struct {
        const char *id, *value;
    } want[] = {{"M001", "2"}, {"M002", "1"}, {"M003", "0"}, {"M031", "3"}, {"M038", "1"},
                {"M044", "1"}, {"M056", "3"}, {"M076", "2"}, {"M075", "1"}, {"M179", "1"},
                {"M191", "1"}, {"M237", "1"}, {"M082", "9"}, {"M086", "3"}, {"M087", "2"},
                {"M104", "2"}, {"M110", "1"}, {"M184", "1"}, {"M023", "1"}, {"M206", "100.0"},
                {"M208", ""}};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        iapt_measure_value_t v;
        char text[IAPT_MEASURE_TEXT_MAX];
        CHECK_EQ_INT(iapt_cell_measure(c, iapt_measure_find(want[i].id), &v), 0);
        iapt_measure_format(&v, true, text);
        if (strcmp(text, want[i].value) != 0)
            fprintf(stderr, "%s = %s, want %s\n", want[i].id, text, want[i].value);
        CHECK_EQ_STR(text, want[i].value);
    }
    iapt_measure_value_t v;
    CHECK_EQ_INT(iapt_cell_measure(c, -1, &v), IAPT_EUSAGE);
    CHECK_EQ_INT(iapt_cell_measure(c, 59, &v), IAPT_EUSAGE);
    iapt_cell_reset(c);
    CHECK(iapt_cell_empty(c));
    iapt_cell_t *e = iapt_cell_new(&iapt_adult_measure_schema);
    CHECK(iapt_cell_equal(c, e));
    iapt_cell_destroy(&e);
    iapt_cell_destroy(&c);
    CHECK(c == NULL);
    iapt_cell_destroy(&c); /* twice is safe */
}

static void
test_cell_merge(void)
{
    iapt_adult_derived_t d[8];
    size_t n = s_sample(d);
    iapt_cell_t *all = iapt_cell_new(&iapt_adult_measure_schema),
                *a = iapt_cell_new(&iapt_adult_measure_schema),
                *b = iapt_cell_new(&iapt_adult_measure_schema);
    for (size_t i = 0; i < n; i++) {
        CHECK_EQ_INT(iapt_adult_cell_add(all, &d[i]), 0);
        CHECK_EQ_INT(iapt_adult_cell_add(i % 2 ? a : b, &d[i]), 0);
    }
    CHECK(!iapt_cell_equal(a, all));
    CHECK_EQ_INT(iapt_cell_merge(a, b), 0);
    CHECK(iapt_cell_equal(a, all));
    s_measures_equal(a, all);
    /* Merging an empty cell changes nothing; into an empty cell copies. */
    iapt_cell_t *e = iapt_cell_new(&iapt_adult_measure_schema);
    CHECK_EQ_INT(iapt_cell_merge(a, e), 0);
    CHECK(iapt_cell_equal(a, all));
    CHECK_EQ_INT(iapt_cell_merge(e, all), 0);
    CHECK(iapt_cell_equal(e, all));
    iapt_cell_destroy(&e);
    iapt_cell_destroy(&a);
    iapt_cell_destroy(&b);
    iapt_cell_destroy(&all);
}

static void
test_cell_limits(void)
{
    iapt_adult_derived_t d[8];
    s_sample(d);
    iapt_cell_t *c = iapt_cell_new(&iapt_adult_measure_schema),
                *before = iapt_cell_new(&iapt_adult_measure_schema);
    CHECK_EQ_INT(iapt_adult_cell_add(c, &d[0]), 0);
    CHECK_EQ_INT(iapt_adult_cell_add(before, &d[0]), 0);
    /* A wait past 2^18 entering treatment in the period is refused and
     * leaves the cell as it was. */
    iapt_adult_derived_t x = d[4];
    x.wait = IAPT_CELL_VALUE_MAX + 1;
    CHECK_EQ_INT(iapt_adult_cell_add(c, &x), IAPT_ELIMIT);
    CHECK(iapt_cell_equal(c, before));
    iapt_cell_destroy(&c);
    iapt_cell_destroy(&before);
}

static void
test_cell_encoding(void)
{
    iapt_adult_derived_t d[8];
    size_t n = s_sample(d);
    iapt_cell_t *c = iapt_cell_new(&iapt_adult_measure_schema),
                *back = iapt_cell_new(&iapt_adult_measure_schema);
    iapt_buf_t buf = IAPT_BUF_INIT, again = IAPT_BUF_INIT;

    /* Empty cell: version 1, the counter count (62), 62 zero counters and
     * two empty distributions: 1 + 1 + 62 + 2 = 66 bytes. */
    CHECK_EQ_INT(IAPT_C_COUNT, 62);
    CHECK_EQ_INT(iapt_cell_encode(c, &buf), 0);
    CHECK_EQ_INT(buf.len, 66);
    CHECK_EQ_INT(buf.data[0], 1);
    CHECK_EQ_INT(buf.data[1], 62);
    CHECK_EQ_INT(iapt_cell_decode(back, buf.data, buf.len), 0);
    CHECK(iapt_cell_equal(c, back));

    for (size_t i = 0; i < n; i++)
        CHECK_EQ_INT(iapt_adult_cell_add(c, &d[i]), 0);
    buf.len = 0;
    CHECK_EQ_INT(iapt_cell_encode(c, &buf), 0);
    CHECK_EQ_INT(iapt_cell_decode(back, buf.data, buf.len), 0);
    CHECK(iapt_cell_equal(c, back));
    s_measures_equal(c, back);
    /* Canonical: the decoded cell encodes to the same bytes. */
    CHECK_EQ_INT(iapt_cell_encode(back, &again), 0);
    CHECK_EQ_INT(again.len, buf.len);
    CHECK(again.len == buf.len && memcmp(again.data, buf.data, buf.len) == 0);

    /* Every strict prefix is refused (truncation), and leaves the cell
     * empty; so is one trailing byte. */
    for (size_t len = 0; len < buf.len; len++) {
        CHECK_EQ_INT(iapt_cell_decode(back, buf.data, len), IAPT_EFORMAT);
        CHECK(iapt_cell_empty(back));
    }
    uint8_t *longer = malloc(buf.len + 1);
    memcpy(longer, buf.data, buf.len);
    longer[buf.len] = 0;
    CHECK_EQ_INT(iapt_cell_decode(back, longer, buf.len + 1), IAPT_EFORMAT);
    free(longer);

    /* Unknown version. */
    uint8_t *mod = malloc(buf.len + 2);
    memcpy(mod, buf.data, buf.len);
    mod[0] = 2;
    CHECK_EQ_INT(iapt_cell_decode(back, mod, buf.len), IAPT_EFORMAT);
    CHECK(strstr(iapt_error_detail(), "version") != NULL);
    mod[0] = 0;
    CHECK_EQ_INT(iapt_cell_decode(back, mod, buf.len), IAPT_EFORMAT);
    /* Another counter count. */
    memcpy(mod, buf.data, buf.len);
    mod[1] = 61;
    CHECK_EQ_INT(iapt_cell_decode(back, mod, buf.len), IAPT_EFORMAT);
    iapt_cell_destroy(&c);

    /* Hand-made encodings of an empty cell with one change each. */
    uint8_t e[80];
    size_t elen = 0;
    e[elen++] = 1;
    e[elen++] = 62;
    for (int i = 0; i < 62; i++)
        e[elen++] = 0;
    e[elen++] = 0; /* no waits */
    e[elen++] = 0; /* no treatment counts */
    CHECK_EQ_INT(iapt_cell_decode(back, e, elen), 0);
    /* Overlong varint: 0 written as 0x80 0x00. */
    uint8_t o[82];
    memcpy(o, e, 2);
    o[2] = 0x80;
    o[3] = 0x00;
    memcpy(o + 4, e + 3, elen - 3);
    CHECK_EQ_INT(iapt_cell_decode(back, o, elen + 1), IAPT_EFORMAT);
    CHECK(strstr(iapt_error_detail(), "overlong") != NULL);
    /* A counter over the referral total (M001 = 1 with 0 referrals). */
    e[3] = 1;
    CHECK_EQ_INT(iapt_cell_decode(back, e, elen), IAPT_EFORMAT);
    e[3] = 0;
    /* One referral, M031 1, but no wait in the distribution. */
    e[2] = 1;
    e[2 + IAPT_C_M031] = 1;
    CHECK_EQ_INT(iapt_cell_decode(back, e, elen), IAPT_EFORMAT);
    CHECK(strstr(iapt_error_detail(), "disagrees") != NULL);
    /* ... with its wait (zigzag 20 = 40, count 1): accepted; mean 20.0. */
    uint8_t w[82];
    memcpy(w, e, elen - 2);
    size_t wl = elen - 2;
    w[wl++] = 1;  /* one entry */
    w[wl++] = 40; /* value 20 */
    w[wl++] = 1;  /* count 1 */
    w[wl++] = 0;  /* no treatment counts */
    CHECK_EQ_INT(iapt_cell_decode(back, w, wl), 0);
    iapt_measure_value_t v;
    iapt_cell_measure(back, iapt_measure_find("M048"), &v);
    CHECK_EQ_INT(v.num, 20);
    CHECK_EQ_INT(v.den, 1);
    /* An entry with count 0 is refused. */
    w[wl - 2] = 0;
    CHECK_EQ_INT(iapt_cell_decode(back, w, wl), IAPT_EFORMAT);
    e[2] = 0;
    e[2 + IAPT_C_M031] = 0;
    /* A distribution claiming 2^40 entries is refused before allocating. */
    uint8_t big[90];
    memcpy(big, e, elen - 2);
    size_t bl = elen - 2;
    const uint8_t huge[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x20}; /* 2^40 */
    memcpy(big + bl, huge, sizeof huge);
    bl += sizeof huge;
    big[bl++] = 0;
    CHECK_EQ_INT(iapt_cell_decode(back, big, bl), IAPT_EFORMAT);
    /* A varint of 11 bytes, and one over 64 bits. */
    uint8_t v11[12] = {1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    CHECK_EQ_INT(iapt_cell_decode(back, v11, sizeof v11), IAPT_EFORMAT);
    uint8_t v10[11] = {1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
    CHECK_EQ_INT(iapt_cell_decode(back, v10, sizeof v10), IAPT_EFORMAT);
    /* A counter of 2^36. */
    uint8_t lim[90];
    memcpy(lim, e, 2);
    const uint8_t two36[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x02};
    memcpy(lim + 2, two36, sizeof two36);
    memcpy(lim + 2 + sizeof two36, e + 3, elen - 3);
    CHECK_EQ_INT(iapt_cell_decode(back, lim, elen - 1 + sizeof two36), IAPT_EFORMAT);
    lim[2 + sizeof two36 - 1] = 0x01; /* 2^35 referrals and nothing else: fine */
    CHECK_EQ_INT(iapt_cell_decode(back, lim, elen - 1 + sizeof two36), 0);
    CHECK_EQ_INT(iapt_cell_referrals(back), (uint64_t)1 << 35);
    CHECK_EQ_INT(iapt_cell_decode(back, NULL, 0), IAPT_EFORMAT);

    /* Garbage never crashes: a deterministic generator's bytes, and the
     * valid encoding with one byte changed. */
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    uint8_t g[200];
    for (int round = 0; round < 20000; round++) {
        size_t gl = round % 200;
        for (size_t i = 0; i < gl; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            g[i] = (uint8_t)x;
        }
        if (round % 2 && gl > 0)
            g[0] = 1;
        int rc = iapt_cell_decode(back, g, gl);
        CHECK(rc == 0 || rc == IAPT_EFORMAT);
    }
    for (size_t i = 0; i < buf.len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            memcpy(mod, buf.data, buf.len);
            mod[i] ^= (uint8_t)(1 << bit);
            int rc = iapt_cell_decode(back, mod, buf.len);
            CHECK(rc == 0 || rc == IAPT_EFORMAT);
        }
    }
    free(mod);
    iapt_buf_free(&buf);
    iapt_buf_free(&again);
    iapt_cell_destroy(&back);
}

typedef struct {
    char comm[8];
    int breakdown, level;
} s_visit_t;

typedef struct {
    s_visit_t v[2000];
    size_t n;
    iapt_cell_t *sum[IAPT_BREAKDOWN_COUNT];
    int stop_after;
} s_walk_t;

static int
s_visit(const char *commissioner, int breakdown, int level, const iapt_cell_t *cell, void *arg)
{
    s_walk_t *w = arg;
    if (w->n < 2000) {
        snprintf(w->v[w->n].comm, sizeof w->v[w->n].comm, "%s", commissioner);
        w->v[w->n].breakdown = breakdown;
        w->v[w->n].level = level;
    }
    w->n++;
    if (strcmp(commissioner, "A00") == 0)
        CHECK_EQ_INT(iapt_cell_merge(w->sum[breakdown], cell), 0);
    if (w->stop_after && (int)w->n == w->stop_after)
        return 42;
    return 0;
}

static void
test_agg(void)
{
    iapt_adult_derived_t d[8];
    size_t n = s_sample(d);
    iapt_agg_t *agg = iapt_agg_new(&iapt_adult_measure_schema);
    static const char *const comms[3] = {"B00", "A00", "00L"};
    for (size_t i = 0; i < 3 * n; i++)
        CHECK_EQ_INT(iapt_adult_agg_add(agg, comms[i % 3], &d[i % n]), 0);

    s_walk_t *w = calloc(1, sizeof *w);
    for (int b = 0; b < IAPT_BREAKDOWN_COUNT; b++)
        w->sum[b] = iapt_cell_new(&iapt_adult_measure_schema);
    CHECK_EQ_INT(iapt_agg_foreach(agg, s_visit, w), 0);
    CHECK_EQ_INT(w->n, iapt_agg_cells(agg));
    /* Key order: commissioner bytes ("00L" < "A00" < "B00"), breakdown,
     * level; each commissioner starts with its breakdown 0 cell. */
    for (size_t i = 1; i < w->n && i < 2000; i++) {
        int c = strcmp(w->v[i - 1].comm, w->v[i].comm);
        CHECK(c < 0 || (c == 0 && (w->v[i - 1].breakdown < w->v[i].breakdown ||
                                   (w->v[i - 1].breakdown == w->v[i].breakdown &&
                                    w->v[i - 1].level < w->v[i].level))));
    }
    CHECK_EQ_STR(w->v[0].comm, "00L");
    CHECK_EQ_INT(w->v[0].breakdown, 0);
    /* Every breakdown splits the whole: its levels' cells of A00 sum to
     * A00's breakdown 0 cell. */
    for (int b = 1; b < IAPT_BREAKDOWN_COUNT; b++)
        CHECK(iapt_cell_equal(w->sum[b], w->sum[0]));
    /* A00 got records i = 1, 4, 7, 10, 13, 16 of the 18 adds. */
    CHECK_EQ_INT(iapt_cell_referrals(w->sum[0]), 6);
    for (int b = 0; b < IAPT_BREAKDOWN_COUNT; b++)
        iapt_cell_destroy(&w->sum[b]);
    /* A visitor's non-zero result stops the walk and is returned. */
    memset(w, 0, sizeof *w);
    for (int b = 0; b < IAPT_BREAKDOWN_COUNT; b++)
        w->sum[b] = iapt_cell_new(&iapt_adult_measure_schema);
    w->stop_after = 3;
    CHECK_EQ_INT(iapt_agg_foreach(agg, s_visit, w), 42);
    CHECK_EQ_INT(w->n, 3);
    for (int b = 0; b < IAPT_BREAKDOWN_COUNT; b++)
        iapt_cell_destroy(&w->sum[b]);
    free(w);

    /* Refusals. */
    CHECK_EQ_INT(iapt_adult_agg_add(agg, "00l", &d[0]), IAPT_EUSAGE);
    CHECK_EQ_INT(iapt_adult_agg_add(agg, "", &d[0]), IAPT_EUSAGE);
    CHECK_EQ_INT(iapt_adult_agg_add(agg, NULL, &d[0]), IAPT_EUSAGE);
    iapt_adult_derived_t bad = d[0];
    bad.level[IAPT_BREAKDOWN_LTC] = 2;
    CHECK_EQ_INT(iapt_adult_agg_add(agg, "00L", &bad), IAPT_EUSAGE);
    iapt_agg_destroy(&agg);
    CHECK(agg == NULL);
    iapt_agg_destroy(&agg);
}

TEST_MAIN(test_cell_basics, test_cell_merge, test_cell_limits, test_cell_encoding, test_agg)
