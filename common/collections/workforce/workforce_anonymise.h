/*
 * workforce_anonymise.h - the workforce collection's pseudonyms and values
 * as the node's record builder needs them (WORKFORCE.md
 * "Pseudonymisation"): staff pseudonyms, WTE in hundredths, and the
 * guarantee that an identifier never leaves the site.
 *
 * A staff pseudonym is the 16-byte keyed BLAKE2b (libsodium
 * crypto_generichash) with the national pseudonymisation key of
 *     "iapt/staff/v1" 0x00 OrgIDProv 0x00 StaffId
 * (domain-separated from the adult collection's pseudonyms, NUL-separated:
 * callers pass strings without NUL bytes, which the CSV reader guarantees).
 * The same provider and StaffId give the same pseudonym every month, so a
 * person is counted once across months; SupervisorStaffId is pseudonymised
 * the same way, so a supervisor's pseudonym equals their own staff_id.
 *
 * Threads: pure functions (only the thread-local error detail is written).
 */
#ifndef IAPT_WORKFORCE_ANONYMISE_H
#define IAPT_WORKFORCE_ANONYMISE_H

#include "common/keys.h"

#include <stddef.h>
#include <stdint.h>

#define IAPT_WF_PSEUDONYM_BYTES 16

/* H("iapt/staff/v1" 0 org 0 staff_id). 0, IAPT_EUSAGE (a NULL argument) or
 * IAPT_ECRYPTO (unusable key). */
int iapt_wf_pseudonym_staff(const iapt_pseudokey_t *key, const char *org, const char *staff_id,
                            uint8_t out[IAPT_WF_PSEUDONYM_BYTES] /* out */);

/* Parse a WTE as WORKFORCE.md writes it: a decimal of 0.01 to 1.00 with at
 * most two decimals ("1", "0.5", "0.50", ".5" is refused: a digit must
 * come first). len bytes, no NUL needed. 0 and *x100 in 1..100, or
 * IAPT_EFORMAT (not a decimal, more than two decimals, or out of range:
 * the detail says which). */
int iapt_wf_wte_parse(const char *text, size_t len, uint32_t *x100 /* out */);

#endif
