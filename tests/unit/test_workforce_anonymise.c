/* test_workforce_anonymise.c - staff pseudonyms (keyed, stable, domain
 * separated) and the WTE parser at its edges. */

#include "common/collections/workforce/workforce_anonymise.h"
#include "common/err.h"
#include "node/anonymise.h"
#include "tests/test.h"

#include <sodium.h>

static iapt_pseudokey_t *
key_new(void)
{
    iapt_pseudokey_t *k = NULL;
    CHECK_EQ_INT(iapt_pseudokey_generate(&k), 0);
    return k;
}

static void
test_staff_pseudonym(void)
{
    iapt_pseudokey_t *k = key_new(), *other = key_new();
    if (!k || !other)
        return;
    uint8_t a[16], b[16], c[16], d[16], e[16];
    CHECK_EQ_INT(iapt_wf_pseudonym_staff(k, "RX1", "S0001", a), 0);
    CHECK_EQ_INT(iapt_wf_pseudonym_staff(k, "RX1", "S0001", b), 0);
    CHECK_EQ_MEM(a, b, 16); /* stable: next month gives the same */

    /* Worked independently: one keyed BLAKE2b-128 over the whole
     * encoding at once. */
    static const char enc[] = "iapt/staff/v1\0RX1\0S0001";
    uint8_t want[16];
    CHECK_EQ_INT(crypto_generichash(want, 16, (const uint8_t *)enc, sizeof enc - 1, k->key, 32), 0);
    CHECK_EQ_MEM(a, want, 16);

    CHECK_EQ_INT(iapt_wf_pseudonym_staff(k, "RX2", "S0001", c), 0);
    CHECK(memcmp(a, c, 16) != 0); /* another provider's S0001 is another person */
    CHECK_EQ_INT(iapt_wf_pseudonym_staff(k, "RX1", "S0002", d), 0);
    CHECK(memcmp(a, d, 16) != 0);
    CHECK_EQ_INT(iapt_wf_pseudonym_staff(other, "RX1", "S0001", e), 0);
    CHECK(memcmp(a, e, 16) != 0); /* keyed */
    /* "RX1" + "S0001" must not collide with "RX1S" + "0001". */
    CHECK_EQ_INT(iapt_wf_pseudonym_staff(k, "RX1S", "0001", e), 0);
    CHECK(memcmp(a, e, 16) != 0);
    /* Domain separation from the adult collection's pathway pseudonym. */
    CHECK_EQ_INT(iapt_pseudonym_pathway(k, "RX1", "S0001", e), 0);
    CHECK(memcmp(a, e, 16) != 0);

    CHECK_EQ_INT(iapt_wf_pseudonym_staff(k, NULL, "S0001", e), IAPT_EUSAGE);
    CHECK_EQ_INT(iapt_wf_pseudonym_staff(NULL, "RX1", "S0001", e), IAPT_ECRYPTO);
    iapt_pseudokey_destroy(&k);
    iapt_pseudokey_destroy(&other);
}

static int
wte(const char *s, uint32_t *v)
{
    *v = 0;
    return iapt_wf_wte_parse(s, strlen(s), v);
}

static void
test_wte_parse(void)
{
    static const struct {
        const char *text;
        uint32_t x100;
    } good[] = {{"1", 100},   {"1.0", 100}, {"1.00", 100}, {"0.01", 1},  {"0.5", 50},
                {"0.50", 50}, {"0.49", 49}, {"0.1", 10},   {"00.75", 75}};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        uint32_t v;
        CHECK_EQ_INT(wte(good[i].text, &v), 0);
        CHECK_EQ_INT(v, good[i].x100);
    }
    static const char *const bad[] = {
        "",     "0",    "0.00", "1.01", "2",    "0.001", "0.500", ".5",  "0.",
        "-0.5", "+0.5", "0,5",  "0.5 ", " 0.5", "1e-1",  "abc",   "100", "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        uint32_t v;
        int rc = wte(bad[i], &v);
        if (rc != IAPT_EFORMAT) {
            fprintf(stderr, "WTE \"%s\" accepted as %u\n", bad[i], v);
            t_failed_checks++;
        }
    }
    uint32_t v;
    CHECK_EQ_INT(wte("0.001", &v), IAPT_EFORMAT);
    CHECK(strstr(iapt_error_detail(), "two decimals") != NULL);
    CHECK_EQ_INT(wte("1.01", &v), IAPT_EFORMAT);
    CHECK(strstr(iapt_error_detail(), "above 1.00") != NULL);
    CHECK_EQ_INT(wte("0.00", &v), IAPT_EFORMAT);
    CHECK(strstr(iapt_error_detail(), "below 0.01") != NULL);
    /* Only len bytes are read: "0.5" of "0.55". */
    CHECK_EQ_INT(iapt_wf_wte_parse("0.55", 3, &v), 0);
    CHECK_EQ_INT(v, 50);
}

TEST_MAIN(test_staff_pseudonym, test_wte_parse)
