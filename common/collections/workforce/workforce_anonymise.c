/* workforce_anonymise.c - staff pseudonyms and WTE values for the
 * workforce record builder (workforce_anonymise.h). */

#include "common/collections/workforce/workforce_anonymise.h"

#include "common/err.h"

#include <sodium.h>
#include <string.h>

int
iapt_wf_pseudonym_staff(const iapt_pseudokey_t *key, const char *org, const char *staff_id,
                        uint8_t out[IAPT_WF_PSEUDONYM_BYTES])
{
    static const char domain[] = "iapt/staff/v1";
    static const uint8_t nul = 0;
    if (!org || !staff_id || !out)
        return iapt_error_set(IAPT_EUSAGE, "staff pseudonym: missing argument");
    crypto_generichash_state st;
    if (!key || !key->key ||
        crypto_generichash_init(&st, key->key, IAPT_PSEUDO_KEY_BYTES, IAPT_WF_PSEUDONYM_BYTES) != 0)
        return iapt_error_set(IAPT_ECRYPTO, "pseudonymisation key unusable");
    crypto_generichash_update(&st, (const uint8_t *)domain, sizeof domain - 1);
    crypto_generichash_update(&st, &nul, 1);
    crypto_generichash_update(&st, (const uint8_t *)org, strlen(org));
    crypto_generichash_update(&st, &nul, 1);
    crypto_generichash_update(&st, (const uint8_t *)staff_id, strlen(staff_id));
    crypto_generichash_final(&st, out, IAPT_WF_PSEUDONYM_BYTES);
    sodium_memzero(&st, sizeof st);
    return 0;
}

int
iapt_wf_wte_parse(const char *text, size_t len, uint32_t *x100)
{
    if (!text || len == 0)
        return iapt_error_set(IAPT_EFORMAT, "WTE: empty");
    size_t i = 0;
    uint32_t whole = 0;
    while (i < len && text[i] >= '0' && text[i] <= '9') {
        if (whole > 100)
            return iapt_error_set(IAPT_EFORMAT, "WTE: above 1.00");
        whole = whole * 10 + (uint32_t)(text[i] - '0');
        i++;
    }
    if (i == 0)
        return iapt_error_set(IAPT_EFORMAT, "WTE: not a decimal number");
    uint32_t frac = 0;
    if (i < len && text[i] == '.') {
        i++;
        size_t digits = 0;
        while (i < len && text[i] >= '0' && text[i] <= '9') {
            if (++digits > 2)
                return iapt_error_set(IAPT_EFORMAT, "WTE: more than two decimals");
            frac = frac * 10 + (uint32_t)(text[i] - '0');
            i++;
        }
        if (digits == 0)
            return iapt_error_set(IAPT_EFORMAT, "WTE: no digit after the point");
        if (digits == 1)
            frac *= 10;
    }
    if (i != len)
        return iapt_error_set(IAPT_EFORMAT, "WTE: not a decimal number");
    if (whole > 1)
        return iapt_error_set(IAPT_EFORMAT, "WTE: above 1.00");
    uint32_t v = whole * 100 + frac;
    if (v > 100)
        return iapt_error_set(IAPT_EFORMAT, "WTE: above 1.00");
    if (v < 1)
        return iapt_error_set(IAPT_EFORMAT, "WTE: below 0.01");
    *x100 = v;
    return 0;
}
