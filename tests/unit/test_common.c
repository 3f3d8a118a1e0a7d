/* Unit tests of common/: dates, periods, config files, keys, signatures,
 * the assessment-tool table. */
#include "common/config.h"
#include "common/date.h"
#include "common/err.h"
#include "common/keys.h"
#include "common/sign.h"
#include "common/tools.h"
#include "common/util.h"
#include "tests/test.h"

#include <sodium.h>
#include <sys/stat.h>

static void
test_days(void)
{
    CHECK_EQ_INT(iapt_days_from_civil(1970, 1, 1), 0);
    CHECK_EQ_INT(iapt_days_from_civil(2000, 3, 1), 11017);
    CHECK_EQ_INT(iapt_days_from_civil(1969, 12, 31), -1);
    for (int32_t d = -1000; d < 40000; d += 7) {
        int y, m, dd;
        iapt_civil_from_days(d, &y, &m, &dd);
        CHECK_EQ_INT(iapt_days_from_civil(y, m, dd), d);
    }
}

static void
test_date_parse(void)
{
    int32_t d;
    CHECK_EQ_INT(iapt_date_parse("2024-02-29", 10, &d), 0);
    CHECK_EQ_INT(d, iapt_days_from_civil(2024, 2, 29));
    CHECK_EQ_INT(iapt_date_parse("2023-02-29", 10, &d), IAPT_EFORMAT);
    CHECK_EQ_INT(iapt_date_parse("2024-02-30", 10, &d), IAPT_EFORMAT);
    CHECK_EQ_INT(iapt_date_parse("2024-13-01", 10, &d), IAPT_EFORMAT);
    CHECK_EQ_INT(iapt_date_parse("2024-1-01", 9, &d), IAPT_EFORMAT);
    CHECK_EQ_INT(iapt_date_parse("01/02/2024", 10, &d), IAPT_EFORMAT);
    CHECK_EQ_INT(iapt_date_parse("2024-00-10", 10, &d), IAPT_EFORMAT);
    CHECK_EQ_INT(iapt_timestamp_parse("2024-03-01T10:20:30", 19, &d), 0);
    CHECK_EQ_INT(d, iapt_days_from_civil(2024, 3, 1));
    CHECK_EQ_INT(iapt_timestamp_parse("2024-03-01 10:20:30", 19, &d), 0);
    CHECK_EQ_INT(iapt_timestamp_parse("2024-03-01X10:20:30", 19, &d), IAPT_EFORMAT);
    char out[11];
    iapt_date_format(iapt_days_from_civil(2025, 9, 30), out);
    CHECK_EQ_STR(out, "2025-09-30");
}

static void
test_period(void)
{
    iapt_period_t p, q;
    CHECK_EQ_INT(iapt_period_parse("2024-02", &p), 0);
    CHECK_EQ_INT(p.length, 29);
    CHECK_EQ_INT(p.end - p.start, 28);
    CHECK_EQ_STR(p.text, "2024-02");
    CHECK_EQ_INT(iapt_period_key(&p), 202402);
    iapt_period_add(&p, -2, &q);
    CHECK_EQ_STR(q.text, "2023-12");
    iapt_period_add(&p, 11, &q);
    CHECK_EQ_STR(q.text, "2025-01");
    CHECK_EQ_INT(iapt_period_parse("2024-2", &p), IAPT_EFORMAT);
    CHECK_EQ_INT(iapt_period_parse("2024-13", &p), IAPT_EFORMAT);
    CHECK_EQ_INT(iapt_period_parse("2024-02-01", &p), IAPT_EFORMAT);
    CHECK_EQ_INT(iapt_period_from_key(202513, &p), IAPT_EFORMAT);
}

static void
test_config(void)
{
    const char text[] = "# comment\n\nname = value with spaces  \r\nport=5555\n";
    iapt_config_t *cfg = NULL;
    CHECK_EQ_INT(iapt_config_parse(text, sizeof text - 1, "t", &cfg), 0);
    if (!cfg)
        return;
    CHECK_EQ_STR(iapt_config_get(cfg, "name"), "value with spaces");
    long port = 0;
    CHECK_EQ_INT(iapt_config_get_long(cfg, "port", 1, 1, 65535, &port), 0);
    CHECK_EQ_INT(port, 5555);
    CHECK_EQ_INT(iapt_config_get_long(cfg, "name", 1, 1, 65535, &port), IAPT_EUSAGE);
    CHECK(iapt_config_get(cfg, "missing") == NULL);
    const char *const allowed[] = {"name", NULL};
    CHECK_EQ_INT(iapt_config_check(cfg, allowed), IAPT_EUSAGE);
    CHECK(strstr(iapt_error_detail(), "port") != NULL);
    iapt_config_destroy(&cfg);
    iapt_config_destroy(&cfg); /* safe twice */

    const char dup[] = "a = 1\na = 2\n";
    CHECK_EQ_INT(iapt_config_parse(dup, sizeof dup - 1, "dup", &cfg), IAPT_EFORMAT);
    CHECK(strstr(iapt_error_detail(), "dup:2") != NULL);
    const char noeq[] = "just words\n";
    CHECK_EQ_INT(iapt_config_parse(noeq, sizeof noeq - 1, "x", &cfg), IAPT_EFORMAT);
}

static void
test_sign(void)
{
    uint8_t pk[32], sk[64], sig[64];
    crypto_sign_keypair(pk, sk);
    const uint8_t msg[] = "hello";
    CHECK_EQ_INT(iapt_sign_detached(IAPT_CONTEXT_MANIFEST, msg, 5, sk, sig), 0);
    CHECK_EQ_INT(iapt_verify_detached(IAPT_CONTEXT_MANIFEST, msg, 5, sig, pk), 0);
    /* Another context does not verify: no cross-protocol replay. */
    CHECK_EQ_INT(iapt_verify_detached(IAPT_CONTEXT_RECEIPT, msg, 5, sig, pk), IAPT_ECRYPTO);
    uint8_t bad[5];
    memcpy(bad, msg, 5);
    bad[0] ^= 1;
    CHECK_EQ_INT(iapt_verify_detached(IAPT_CONTEXT_MANIFEST, bad, 5, sig, pk), IAPT_ECRYPTO);
    /* The signed bytes are exactly context || 0x00 || message. */
    uint8_t framed[64];
    size_t cl = strlen(IAPT_CONTEXT_MANIFEST);
    memcpy(framed, IAPT_CONTEXT_MANIFEST, cl);
    framed[cl] = 0;
    memcpy(framed + cl + 1, msg, 5);
    CHECK_EQ_INT(crypto_sign_verify_detached(sig, framed, cl + 6, pk), 0);
    /* Large messages take the heap path. */
    size_t big = 100000;
    uint8_t *m = calloc(1, big);
    CHECK_EQ_INT(iapt_sign_detached(IAPT_CONTEXT_RECEIPT, m, big, sk, sig), 0);
    CHECK_EQ_INT(iapt_verify_detached(IAPT_CONTEXT_RECEIPT, m, big, sig, pk), 0);
    m[big - 1] = 1;
    CHECK_EQ_INT(iapt_verify_detached(IAPT_CONTEXT_RECEIPT, m, big, sig, pk), IAPT_ECRYPTO);
    free(m);
    /* SHA-256("abc") */
    uint8_t h[32];
    char hex[65];
    iapt_sha256((const uint8_t *)"abc", 3, h);
    iapt_hex_encode(h, 32, hex);
    CHECK_EQ_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void
test_identity_files(void)
{
    char dir[512], sec[600], pub[600];
    iapt_strlcpy(dir, t_tmpdir(), sizeof dir);
    snprintf(sec, sizeof sec, "%s/RAT.secret", dir);
    snprintf(pub, sizeof pub, "%s/RAT.pub", dir);

    iapt_identity_t *id = NULL, *back = NULL, *pubid = NULL;
    CHECK_EQ_INT(iapt_identity_generate("RAT", "provider", &id), 0);
    CHECK_EQ_INT(iapt_identity_generate("rat", "provider", &back), IAPT_EUSAGE);
    CHECK_EQ_INT(iapt_identity_generate("RAT", "king", &back), IAPT_EUSAGE);
    CHECK_EQ_INT(iapt_identity_save(id, sec, pub), 0);
    CHECK_EQ_INT(iapt_identity_save(id, sec, pub), IAPT_EEXISTS);
    struct stat st;
    CHECK(stat(sec, &st) == 0 && (st.st_mode & 0777) == 0600);
    CHECK_EQ_INT(iapt_identity_load(sec, &back), 0);
    if (back) {
        CHECK_EQ_STR(back->org, "RAT");
        CHECK_EQ_STR(back->role, "provider");
        CHECK_EQ_MEM(back->sign_secret, id->sign_secret, 64);
        CHECK_EQ_STR(back->curve_secret, id->curve_secret);
        CHECK_EQ_STR(back->curve_public, id->curve_public);
    }
    CHECK_EQ_INT(iapt_identity_load_public(pub, &pubid), 0);
    if (pubid) {
        CHECK(pubid->sign_secret == NULL);
        CHECK_EQ_MEM(pubid->sign_public, id->sign_public, 32);
    }
    /* A world-readable secret is refused. */
    chmod(sec, 0644);
    iapt_identity_t *x = NULL;
    CHECK_EQ_INT(iapt_identity_load(sec, &x), IAPT_EPERM);
    CHECK(strstr(iapt_error_detail(), "chmod 600") != NULL);
    chmod(sec, 0640);
    CHECK_EQ_INT(iapt_identity_load(sec, &x), IAPT_EPERM);
    CHECK(x == NULL);
    /* Public file used as a secret: missing secret fields. */
    chmod(pub, 0600);
    CHECK_EQ_INT(iapt_identity_load(pub, &x), IAPT_EFORMAT);

    iapt_identity_destroy(&id);
    iapt_identity_destroy(&id);
    iapt_identity_destroy(&back);
    iapt_identity_destroy(&pubid);
    unlink(sec);
    unlink(pub);
    rmdir(dir);
}

static void
test_identity_mismatch(void)
{
    /* A secret file whose public half belongs to another key is refused. */
    char dir[512], sec[600], pub[600], sec2[600], pub2[600];
    iapt_strlcpy(dir, t_tmpdir(), sizeof dir);
    snprintf(sec, sizeof sec, "%s/A.secret", dir);
    snprintf(pub, sizeof pub, "%s/A.pub", dir);
    snprintf(sec2, sizeof sec2, "%s/B.secret", dir);
    snprintf(pub2, sizeof pub2, "%s/B.pub", dir);
    iapt_identity_t *a = NULL, *b = NULL, *x = NULL;
    CHECK_EQ_INT(iapt_identity_generate("AA1", "provider", &a), 0);
    CHECK_EQ_INT(iapt_identity_generate("AA1", "provider", &b), 0);
    memcpy(a->sign_public, b->sign_public, 32);
    CHECK_EQ_INT(iapt_identity_save(a, sec, pub), 0);
    CHECK_EQ_INT(iapt_identity_load(sec, &x), IAPT_EFORMAT);
    CHECK(strstr(iapt_error_detail(), "do not match") != NULL);
    iapt_identity_destroy(&a);
    iapt_identity_destroy(&b);
    unlink(sec);
    unlink(pub);
    rmdir(dir);
}

static void
test_pseudokey(void)
{
    char dir[512], path[600];
    iapt_strlcpy(dir, t_tmpdir(), sizeof dir);
    snprintf(path, sizeof path, "%s/pseudo.key", dir);
    iapt_pseudokey_t *k = NULL, *back = NULL;
    CHECK_EQ_INT(iapt_pseudokey_generate(&k), 0);
    CHECK_EQ_INT(iapt_pseudokey_save(k, path), 0);
    CHECK_EQ_INT(iapt_pseudokey_load(path, &back), 0);
    if (back && k) {
        CHECK_EQ_MEM(back->key, k->key, 32);
        CHECK_EQ_MEM(back->id, k->id, 8);
    }
    chmod(path, 0604);
    iapt_pseudokey_destroy(&back);
    CHECK_EQ_INT(iapt_pseudokey_load(path, &back), IAPT_EPERM);
    iapt_pseudokey_destroy(&k);
    unlink(path);
    rmdir(dir);
}

static void
test_tools(void)
{
    iapt_tools_t t;
    iapt_tools_default(&t);
    CHECK_EQ_INT(t.n, 2);
    CHECK_EQ_INT(iapt_tools_find(&t, 720433000ULL), t.depression);
    CHECK_EQ_INT(iapt_tools_find(&t, 445455005ULL), t.anxiety);
    CHECK_EQ_INT(iapt_tools_find(&t, 1ULL), -1);
    CHECK(iapt_tool_in_range(&t.tool[0], 2700));
    CHECK(!iapt_tool_in_range(&t.tool[0], 2701));
    CHECK(!iapt_tool_in_range(&t.tool[1], -1));

    const char table[] = "tool,snomed_code,min,max,caseness,reliable_change,role,descriptors\n"
                         "PHQ-9,720433000,0,27,10,6,depression,\n"
                         "GAD-7,445455005,0,21,8,4,anxiety,\n"
                         "SPIN,99990001,0,68,19,10,adsm,F401\n"
                         "PDSS,99990002,0,28,8,5,adsm,F410;F41\n"
                         "PCL-5,99990003,0,80,32.5,10.25,adsm,F431\n";
    CHECK_EQ_INT(iapt_tools_parse(table, sizeof table - 1, "tools.csv", &t), 0);
    CHECK_EQ_INT(t.n, 5);
    CHECK_EQ_INT(t.tool[4].caseness_x100, 3250);
    CHECK_EQ_INT(t.tool[4].reliable_x100, 1025);
    CHECK_EQ_INT(iapt_tools_adsm_for(&t, "F401"), 2);
    CHECK_EQ_INT(iapt_tools_adsm_for(&t, "F4010"), 2);
    CHECK_EQ_INT(iapt_tools_adsm_for(&t, "F410"), 3);
    CHECK_EQ_INT(iapt_tools_adsm_for(&t, "F411"), 3); /* shorter prefix F41 */
    CHECK_EQ_INT(iapt_tools_adsm_for(&t, "F32"), -1);

    const char bad_role[] = "tool,snomed_code,min,max,caseness,reliable_change,role,descriptors\n"
                            "PHQ-9,720433000,0,27,10,6,sadness,\n";
    CHECK_EQ_INT(iapt_tools_parse(bad_role, sizeof bad_role - 1, "x.csv", &t), IAPT_EFORMAT);
    CHECK(strstr(iapt_error_detail(), "x.csv:2") != NULL);
    const char no_anx[] = "tool,snomed_code,min,max,caseness,reliable_change,role,descriptors\n"
                          "PHQ-9,720433000,0,27,10,6,depression,\n";
    CHECK_EQ_INT(iapt_tools_parse(no_anx, sizeof no_anx - 1, "x.csv", &t), IAPT_EFORMAT);
    const char three_dec[] = "tool,snomed_code,min,max,caseness,reliable_change,role,descriptors\n"
                             "PHQ-9,720433000,0,27,10.125,6,depression,\n";
    CHECK_EQ_INT(iapt_tools_parse(three_dec, sizeof three_dec - 1, "x.csv", &t), IAPT_EFORMAT);

    char path[1024];
    snprintf(path, sizeof path, "%s/data/assessment-tools.csv",
             getenv("IAPT_ROOT") ? getenv("IAPT_ROOT") : ".");
    CHECK_EQ_INT(iapt_tools_load(path, &t), 0);
    CHECK_EQ_INT(t.n, 2);
}

/* The table is read with the shared CSV reader: quoted fields (a comma in
 * a tool's name), CRLF line ends, a BOM, comments, and errors that name the
 * line the reader saw. */
static void
test_tools_csv(void)
{
    iapt_tools_t t;
    const char quoted[] = "\xef\xbb\xbftool,snomed_code,min,max,caseness,reliable_change,role,"
                          "descriptors\r\n"
                          "# a comment, with commas\r\n"
                          "\r\n"
                          "\"PHQ-9, adult\",720433000,0,27,10,6,depression,\r\n"
                          "GAD-7,\"445455005\",0,21,8,4,anxiety,\"\"\r\n"
                          "\"SPIN \"\"social\"\"\",99990001,0,68,19,10,adsm,\"F401;F400\"\r\n";
    CHECK_EQ_INT(iapt_tools_parse(quoted, sizeof quoted - 1, "q.csv", &t), 0);
    CHECK_EQ_INT(t.n, 3);
    CHECK_EQ_STR(t.tool[0].name, "PHQ-9, adult");
    CHECK_EQ_INT(t.tool[0].code, 720433000ULL);
    CHECK_EQ_INT(t.tool[0].max_x100, 2700);
    CHECK_EQ_INT(t.tool[1].code, 445455005ULL);
    CHECK_EQ_INT(t.tool[1].caseness_x100, 800);
    CHECK_EQ_STR(t.tool[2].name, "SPIN \"social\"");
    CHECK_EQ_INT(t.tool[2].n_descriptors, 2);
    CHECK_EQ_STR(t.tool[2].descriptors[1], "F400");
    CHECK_EQ_INT(iapt_tools_adsm_for(&t, "F4001"), 2);

    /* Splitting on ',' would have seen 9 fields here; the reader sees 8. */
    const char comma_desc[] = "tool,snomed_code,min,max,caseness,reliable_change,role,descriptors\n"
                              "PHQ-9,720433000,0,27,10,6,depression,\n"
                              "GAD-7,445455005,0,21,8,4,anxiety,\n"
                              "\"A, B\",99990001,0,68,19,10,adsm,F401\n";
    CHECK_EQ_INT(iapt_tools_parse(comma_desc, sizeof comma_desc - 1, "c.csv", &t), 0);
    CHECK_EQ_STR(t.tool[2].name, "A, B");

    const char unterminated[] =
        "tool,snomed_code,min,max,caseness,reliable_change,role,descriptors\n"
        "PHQ-9,720433000,0,27,10,6,depression,\n"
        "\"GAD-7,445455005,0,21,8,4,anxiety,\n";
    CHECK_EQ_INT(iapt_tools_parse(unterminated, sizeof unterminated - 1, "u.csv", &t),
                 IAPT_EFORMAT);
    CHECK(strstr(iapt_error_detail(), "u.csv:3") != NULL);

    const char nine[] = "tool,snomed_code,min,max,caseness,reliable_change,role,descriptors\n"
                        "PHQ-9,720433000,0,27,10,6,depression,,extra\n";
    CHECK_EQ_INT(iapt_tools_parse(nine, sizeof nine - 1, "n.csv", &t), IAPT_EFORMAT);
    CHECK(strstr(iapt_error_detail(), "n.csv:2: expected 8 fields, found 9") != NULL);

    const char bad_header[] = "tool,code,min,max,caseness,reliable_change,role,descriptors\n";
    CHECK_EQ_INT(iapt_tools_parse(bad_header, sizeof bad_header - 1, "h.csv", &t), IAPT_EFORMAT);
    CHECK(strstr(iapt_error_detail(), "h.csv:1: header") != NULL);
    CHECK_EQ_INT(iapt_tools_parse("", 0, "e.csv", &t), IAPT_EFORMAT);
}

static void
test_base64_hex(void)
{
    uint8_t in[5] = {0, 1, 2, 0xfe, 0xff}, out[8];
    char b64[16], hex[11];
    size_t n;
    iapt_base64_encode(in, 5, b64);
    CHECK_EQ_STR(b64, "AAEC/v8=");
    CHECK_EQ_INT(iapt_base64_decode(b64, strlen(b64), out, sizeof out, &n), 0);
    CHECK_EQ_INT(n, 5);
    CHECK_EQ_MEM(out, in, 5);
    CHECK_EQ_INT(iapt_base64_decode("AAEC/v8", 7, out, sizeof out, &n), IAPT_EFORMAT);
    iapt_hex_encode(in, 5, hex);
    CHECK_EQ_STR(hex, "000102feff");
    CHECK_EQ_INT(iapt_hex_decode("000102FEFF", out, 5), 0);
    CHECK_EQ_MEM(out, in, 5);
    CHECK_EQ_INT(iapt_hex_decode("0001", out, 5), IAPT_EFORMAT);
    CHECK_EQ_INT(iapt_hex_decode("zz", out, 1), IAPT_EFORMAT);
    CHECK_EQ_INT(iapt_hex_decode("0g", out, 1), IAPT_EFORMAT);
    CHECK_EQ_INT(iapt_hex_decode("00 1", out, 2), IAPT_EFORMAT);
    CHECK_EQ_INT(iapt_hex_decode("000102feff00", out, 5), IAPT_EFORMAT);
    uint8_t all[256];
    char all_hex[513];
    for (int i = 0; i < 256; i++)
        all[i] = (uint8_t)i;
    iapt_hex_encode(all, sizeof all, all_hex);
    CHECK_EQ_INT(strlen(all_hex), 512);
    CHECK(strncmp(all_hex + 2 * 0xab, "ab", 2) == 0);
    uint8_t back[256];
    CHECK_EQ_INT(iapt_hex_decode(all_hex, back, sizeof back), 0);
    CHECK_EQ_MEM(back, all, sizeof all);
}

TEST_MAIN(test_days, test_date_parse, test_period, test_config, test_sign, test_identity_files,
          test_identity_mismatch, test_pseudokey, test_tools, test_tools_csv, test_base64_hex)
