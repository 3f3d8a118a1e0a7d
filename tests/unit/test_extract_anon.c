/* Unit tests of the anonymisation at the node: no identifier or calendar
 * date of the input appears in the bytes that leave it (records and the
 * quality summary), in any of the usual text or binary forms; pseudonyms
 * are stable across providers and months, change with the key, and follow
 * the documented encoding. */
#include "tests/unit/extract_fixture.h"

#include "proto/quality.pb-c.h"

/* Ids long and distinctive enough that a chance match is impossible. */
static const char s_mpi[] = MPI_COLS "LPI-5582101," NHS1 ",1979-11-23,NE1 1AD,1,A\n"
                                     "LPI-5582102," NHS2 ",1992-02-29,SW1A 2AA,2,H\n"
                                     "LPI-5582103,,2001-07-04,EC1A 1BB,,\n"
                                     "LPI-5582104," NHS_BAD_CHECK ",1950-12-31,M1 1AE,X,99\n";
static const char s_ref[] = REF_COLS "SRQ-88810001,LPI-5582101,00L,2024-03-14,A1,2024-05-17,46\n"
                                     "SRQ-88810002,LPI-5582102,00L,2024-05-02,B1,,\n"
                                     "SRQ-88810003,LPI-5582103,01A,2024-04-22,,2024-06-12,12\n"
                                     "SRQ-88810004,LPI-5582104,00L,2024-05-29,Q1,,\n";
static const char s_con[] = CON_COLS "CCID-730001,SRQ-88810001,2024-03-28,01,5,01\n"
                                     "CCID-730002,SRQ-88810001,2024-04-11,02,5,02\n"
                                     "CCID-730003,SRQ-88810001,2024-05-09,02,6,11\n"
                                     "CCID-730004,SRQ-88810002,2024-05-21,03,3,\n"
                                     "CCID-730005,SRQ-88810003,2024-05-06,02,5,01\n"
                                     "CCID-730006,SRQ-88810003,2024-06-03,02,5,01\n";
static const char s_act[] = ACT_COLS "CAID-910001,CCID-730002,304891004\n"
                                     "CAID-910002,CCID-730003,304891004\n"
                                     "CAID-910003,CCID-730005,286711000000107\n"
                                     "CAID-910004,CCID-730004,\n";
static const char s_s06[] = S06_COLS "SRQ-88810001," PHQ9 ",19,2024-03-20\n"
                                     "SRQ-88810001," GAD7 ",15,2024-03-20\n"
                                     "SRQ-88810002," PHQ9 ",12.5,2024-05-13\n";
static const char s_s07[] = S07_COLS "CAID-910001," PHQ9 ",14\n"
                                     "CAID-910002," PHQ9 ",8\n"
                                     "CAID-910003," GAD7 ",9\n";
static const char s_prb[] = PRB_COLS "SRQ-88810001,F411,1,2024-03-15\n"
                                     "SRQ-88810003,F32,1,2024-04-23\n"
                                     "SRQ-88810004,F431,,\n";
static const char s_emp[] = EMP_COLS "LPI-5582101,2024-03-14,01,Y,N\n"
                                     "LPI-5582101,2024-05-16,01,N,N\n"
                                     "LPI-5582103,2024-04-30,03,,\n";
static const char s_ltc[] = LTC_COLS "LPI-5582102,asthma\n";

static fx_extract_t
s_extract(void)
{
    return (fx_extract_t){.hdr = HDR,
                          .mpi = s_mpi,
                          .ref = s_ref,
                          .con = s_con,
                          .act = s_act,
                          .prb = s_prb,
                          .s06 = s_s06,
                          .s07 = s_s07,
                          .emp = s_emp,
                          .ltc = s_ltc};
}

static const uint8_t *
s_memmem(const uint8_t *hay, size_t n, const void *needle, size_t m)
{
    return m && n >= m ? memmem(hay, n, needle, m) : NULL;
}

static size_t
s_varint(uint64_t v, uint8_t *out)
{
    size_t n = 0;
    do {
        out[n] = (uint8_t)(v & 0x7F);
        v >>= 7;
        if (v)
            out[n] |= 0x80;
        n++;
    } while (v);
    return n;
}

static int s_leaks;

static void
s_absent(const uint8_t *hay, size_t n, const void *needle, size_t m, const char *what)
{
    if (s_memmem(hay, n, needle, m)) {
        fprintf(stderr, "found %s in the output\n", what);
        s_leaks++;
    }
}

/* Every date-like token (YYYY-MM-DD) in the input text. */
static size_t
s_dates(const char *text, int32_t *days, size_t max, size_t n)
{
    size_t len = strlen(text);
    for (const char *p = text; p + 10 <= text + len && n < max; p++) {
        int32_t d;
        if (iapt_date_parse(p, 10, &d) == 0 && (p == text || p[-1] == ',' || p[-1] == '\n')) {
            size_t k;
            for (k = 0; k < n && days[k] != d; k++)
                ;
            if (k == n)
                days[n++] = d;
        }
    }
    return n;
}

static void
test_anonymisation_proof(void)
{
    fx_extract_t e = s_extract();
    const char imd_text[] = "postcode_prefix,imd_decile\nNE1,3\nSW1A,7\n";
    char imd_path[700];
    snprintf(imd_path, sizeof imd_path, "%s/imd.csv", t_tmpdir());
    CHECK_EQ_INT(iapt_file_write_atomic(imd_path, imd_text, sizeof imd_text - 1, 0600), 0);
    iapt_extract_options_t o = fx_options();
    o.imd_path = imd_path;
    iapt_extract_t *ext = NULL;
    CHECK_EQ_INT(fx_read_opt(&e, &o, &ext), 0);
    unlink(imd_path);
    *strrchr(imd_path, '/') = 0;
    rmdir(imd_path);
    if (!ext)
        return;
    CHECK_EQ_INT(ext->n_records, 4);

    /* Everything that leaves the node: the records and the quality summary.
     * `blank` is the same bytes with the 16-byte pseudonyms zeroed: those are
     * keyed-hash output, random-looking bytes in which a short binary
     * pattern (a 3-byte varint) can occur by chance; they carry no input. */
    iapt_buf_t all = IAPT_BUF_INIT, blank = IAPT_BUF_INIT;
    for (size_t i = 0; i < ext->n_records; i++) {
        iapt_buf_append(&all, ext->record[i], ext->record_len[i]);
        Iapt__PathwayRecord *r =
            iapt__pathway_record__unpack(NULL, ext->record_len[i], ext->record[i]);
        CHECK(r != NULL);
        if (!r)
            continue;
        CHECK(r->has_imd_decile || r->person_id_basis == IAPT__PERSON_ID_BASIS__PERSON_ID_LOCAL);
        memset(r->pathway_id.data, 0, r->pathway_id.len);
        memset(r->person_id.data, 0, r->person_id.len);
        size_t sz = iapt__pathway_record__get_packed_size(r);
        iapt_buf_reserve(&blank, sz);
        blank.len += iapt__pathway_record__pack(r, blank.data + blank.len);
        iapt__pathway_record__free_unpacked(r, NULL);
    }
    size_t qs = iapt__quality_summary__get_packed_size(ext->quality);
    iapt_buf_reserve(&all, qs);
    all.len += iapt__quality_summary__pack(ext->quality, all.data + all.len);
    iapt_buf_reserve(&blank, qs);
    blank.len += iapt__quality_summary__pack(ext->quality, blank.data + blank.len);

    s_leaks = 0;
    const char *ids[] = {
        NHS1,           NHS2,          NHS_BAD_CHECK,  "LPI-5582101",  "LPI-5582102",
        "LPI-5582103",  "LPI-5582104", "SRQ-88810001", "SRQ-88810002", "SRQ-88810003",
        "SRQ-88810004", "CCID-730001", "CCID-730002",  "CCID-730003",  "CCID-730004",
        "CCID-730005",  "CCID-730006", "CAID-910001",  "CAID-910002",  "CAID-910003",
        "CAID-910004",  "NE1 1AD",     "NE11AD",       "SW1A 2AA",     "SW1A2AA",
        "EC1A 1BB",     "EC1A1BB",     "M1 1AE",       "M11AE",        "asthma"};
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) {
        s_absent(all.data, all.len, ids[i], strlen(ids[i]), ids[i]);
        /* The numeric part of an id as text too (e.g. 5582101). */
        const char *dash = strchr(ids[i], '-');
        if (dash)
            s_absent(all.data, all.len, dash + 1, strlen(dash + 1), dash + 1);
    }
    /* NHS numbers as binary integers. */
    const char *nhs[] = {NHS1, NHS2, NHS_BAD_CHECK};
    for (int i = 0; i < 3; i++) {
        uint64_t v = strtoull(nhs[i], NULL, 10);
        uint8_t le[8], be[8], vi[10];
        for (int k = 0; k < 8; k++) {
            le[k] = (uint8_t)(v >> (8 * k));
            be[7 - k] = le[k];
        }
        s_absent(all.data, all.len, le, 5, "NHS number (LE)");
        s_absent(all.data, all.len, be + 3, 5, "NHS number (BE)");
        s_absent(all.data, all.len, vi, s_varint(v, vi), "NHS number (varint)");
    }

    /* Every calendar date of the input, birth dates included. */
    int32_t days[256];
    size_t nd = 0;
    const char *const *text = &e.hdr;
    for (int t = 0; t < 10; t++)
        if (text[t])
            nd = s_dates(text[t], days, 256, nd);
    CHECK(nd >= 24);
    for (size_t i = 0; i < nd; i++) {
        int y, m, d;
        char iso[11], compact[16], uk[16], what[64];
        iapt_civil_from_days(days[i], &y, &m, &d);
        iapt_date_format(days[i], iso);
        snprintf(compact, sizeof compact, "%04d%02d%02d", y % 10000, m % 100, d % 100);
        snprintf(uk, sizeof uk, "%02d/%02d/%04d", d % 100, m % 100, y % 10000);
        s_absent(all.data, all.len, iso, 10, iso);
        s_absent(all.data, all.len, compact, 8, compact);
        s_absent(all.data, all.len, uk, 10, uk);
        uint32_t values[2] = {(uint32_t)days[i], (uint32_t)(y * 10000 + m * 100 + d)};
        for (int k = 0; k < 2; k++) {
            uint32_t v = values[k];
            uint8_t le[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
            uint8_t be[4] = {le[3], le[2], le[1], le[0]};
            uint8_t vi[10], zz[10];
            size_t nv = s_varint(v, vi), nz = s_varint((uint64_t)v << 1, zz);
            snprintf(what, sizeof what, "%s as %s", iso, k ? "YYYYMMDD" : "day number");
            s_absent(all.data, all.len, le, 4, what);
            s_absent(all.data, all.len, be, 4, what);
            s_absent(blank.data, blank.len, vi, nv, what);
            s_absent(blank.data, blank.len, zz, nz, what);
        }
    }
    CHECK_EQ_INT(s_leaks, 0);
    iapt_buf_free(&all);
    iapt_buf_free(&blank);
    iapt_extract_destroy(&ext);
}

/* The same data as another provider or in another month. */
static iapt_extract_t *
s_read_as(const char *org, const char *period, const iapt_pseudokey_t *key, const char *mpi,
          const char *ref)
{
    char hdr[256];
    iapt_period_t p;
    char start[11], end[11];
    if (iapt_period_parse(period, &p) < 0)
        return NULL;
    iapt_date_format(p.start, start);
    iapt_date_format(p.end, end);
    snprintf(hdr, sizeof hdr, HDR_COLS "%s,%s,%s,\n", org, start, end);
    fx_extract_t e = {.hdr = hdr, .mpi = mpi, .ref = ref};
    iapt_extract_options_t o = fx_options();
    o.org = org;
    o.period = fx_period(period);
    o.key = key;
    o.today = p.end + 10;
    iapt_extract_t *ext = NULL;
    if (fx_read_opt(&e, &o, &ext) < 0)
        fprintf(stderr, "s_read_as: %s\n", iapt_error_detail());
    return ext;
}

static void
test_pseudonym_stability(void)
{
    const char *mpi_a = MPI_COLS "A-1," NHS1 ",1980-01-01,,,\nA-2,,1981-01-01,,,\n"
                                 "A-3," NHS_BAD_CHECK ",1982-01-01,,,\n";
    const char *mpi_b = MPI_COLS "B-77," NHS1 ",1980-01-01,,,\nA-2,,1981-01-01,,,\n";
    const char *ref_a = REF_COLS "R1,A-1,00L,2024-04-01,,,\nR2,A-2,00L,2024-04-01,,,\n"
                                 "R3,A-3,00L,2024-04-01,,,\n";
    const char *ref_b = REF_COLS "R1,B-77,00L,2024-04-01,,,\nR2,A-2,00L,2024-04-01,,,\n";
    iapt_pseudokey_t *k1 = fx_key(0x11), *k2 = fx_key(0x22);

    iapt_extract_t *rat = s_read_as("RAT", "2024-05", k1, mpi_a, ref_a);
    iapt_extract_t *rat_june = s_read_as("RAT", "2024-06", k1, mpi_a, ref_a);
    iapt_extract_t *other = s_read_as("8J766", "2024-05", k1, mpi_b, ref_b);
    iapt_extract_t *rekeyed = s_read_as("RAT", "2024-05", k1 == k2 ? k1 : k2, mpi_a, ref_a);
    iapt_extract_t *again = s_read_as("RAT", "2024-05", k1, mpi_a, ref_a);
    CHECK(rat && rat_june && other && rekeyed && again);
    if (!rat || !rat_june || !other || !rekeyed || !again)
        goto out;

    Iapt__PathwayRecord *a1 = fx_record_org(rat, "RAT", k1, "R1");
    Iapt__PathwayRecord *j1 = fx_record_org(rat_june, "RAT", k1, "R1");
    Iapt__PathwayRecord *b1 = fx_record_org(other, "8J766", k1, "R1");
    Iapt__PathwayRecord *k1r = fx_record_org(rekeyed, "RAT", k2, "R1");
    Iapt__PathwayRecord *a2 = fx_record_org(rat, "RAT", k1, "R2");
    Iapt__PathwayRecord *g2 = fx_record_org(again, "RAT", k1, "R2");
    Iapt__PathwayRecord *b2 = fx_record_org(other, "8J766", k1, "R2");
    Iapt__PathwayRecord *a3 = fx_record_org(rat, "RAT", k1, "R3");
    CHECK(a1 && j1 && b1 && k1r && a2 && g2 && b2 && a3);
    if (a1 && j1 && b1 && k1r && a2 && g2 && b2 && a3) {
        /* Same NHS number: same person at another provider and month. */
        CHECK_EQ_MEM(a1->person_id.data, b1->person_id.data, 16);
        CHECK_EQ_MEM(a1->person_id.data, j1->person_id.data, 16);
        CHECK_EQ_MEM(a1->pathway_id.data, j1->pathway_id.data, 16);
        /* Same ServiceRequestId at another provider: another pathway. */
        CHECK(memcmp(a1->pathway_id.data, b1->pathway_id.data, 16) != 0);
        /* Another key: other pseudonyms. */
        CHECK(memcmp(a1->person_id.data, k1r->person_id.data, 16) != 0);
        CHECK(memcmp(a1->pathway_id.data, k1r->pathway_id.data, 16) != 0);
        /* No NHS number: a local pseudonym, stable, and provider-specific. */
        CHECK_EQ_INT(a2->person_id_basis, IAPT__PERSON_ID_BASIS__PERSON_ID_LOCAL);
        CHECK_EQ_MEM(a2->person_id.data, g2->person_id.data, 16);
        CHECK(memcmp(a2->person_id.data, b2->person_id.data, 16) != 0);
        CHECK_EQ_INT(a3->person_id_basis, IAPT__PERSON_ID_BASIS__PERSON_ID_LOCAL);
        CHECK(memcmp(a3->person_id.data, a1->person_id.data, 16) != 0);

        /* The documented encodings, computed independently. */
        uint8_t want[16];
        static const char person[] = "iapt/person/v1\0" NHS1;
        crypto_generichash(want, 16, (const uint8_t *)person, sizeof person - 1, k1->key, 32);
        CHECK_EQ_MEM(a1->person_id.data, want, 16);
        static const char pathway[] = "iapt/pathway/v1\0RAT\0R1";
        crypto_generichash(want, 16, (const uint8_t *)pathway, sizeof pathway - 1, k1->key, 32);
        CHECK_EQ_MEM(a1->pathway_id.data, want, 16);
        static const char local[] = "iapt/person-local/v1\0RAT\0A-2";
        crypto_generichash(want, 16, (const uint8_t *)local, sizeof local - 1, k1->key, 32);
        CHECK_EQ_MEM(a2->person_id.data, want, 16);
    }
    fx_free_record(a1);
    fx_free_record(j1);
    fx_free_record(b1);
    fx_free_record(k1r);
    fx_free_record(a2);
    fx_free_record(g2);
    fx_free_record(b2);
    fx_free_record(a3);

    /* NUL separation keeps ("RAT", "1X") and ("RAT1", "X") apart. */
    uint8_t p1[16], p2[16];
    CHECK_EQ_INT(iapt_pseudonym_pathway(k1, "RAT", "1X", p1), 0);
    CHECK_EQ_INT(iapt_pseudonym_pathway(k1, "RAT1", "X", p2), 0);
    CHECK(memcmp(p1, p2, 16) != 0);
    CHECK_EQ_INT(iapt_pseudonym_person_local(k1, "RAT", "1X", p2), 0);
    CHECK(memcmp(p1, p2, 16) != 0);
out:
    iapt_extract_destroy(&rat);
    iapt_extract_destroy(&rat_june);
    iapt_extract_destroy(&other);
    iapt_extract_destroy(&rekeyed);
    iapt_extract_destroy(&again);
}

static void
test_deterministic_bytes(void)
{
    fx_extract_t e = s_extract();
    iapt_extract_t *a = fx_read(&e), *b = fx_read(&e);
    CHECK(a && b);
    if (!a || !b)
        goto out;
    CHECK_EQ_INT(a->n_records, b->n_records);
    for (size_t i = 0; i < a->n_records && i < b->n_records; i++) {
        CHECK_EQ_INT(a->record_len[i], b->record_len[i]);
        CHECK_EQ_MEM(a->record[i], b->record[i], a->record_len[i]);
        /* Sorted by pathway_id, which packs first: bytes 2..17. */
        CHECK(a->record[i][0] == 0x0A && a->record[i][1] == 16);
        if (i > 0)
            CHECK(memcmp(a->record[i - 1] + 2, a->record[i] + 2, 16) < 0);
    }
    size_t qa = iapt__quality_summary__get_packed_size(a->quality);
    size_t qb = iapt__quality_summary__get_packed_size(b->quality);
    CHECK_EQ_INT(qa, qb);
out:
    iapt_extract_destroy(&a);
    iapt_extract_destroy(&b);
}

TEST_MAIN(test_anonymisation_proof, test_pseudonym_stability, test_deterministic_bytes)
