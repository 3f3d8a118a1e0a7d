/*
 * anonymise.h - what turns identifying values into the ones a pathway record
 * may carry: keyed pseudonyms, the age band at referral, and the IMD decile
 * of a postcode (shared/DESIGN.md "Anonymisation at the node").
 *
 * Pseudonyms are 16-byte keyed BLAKE2b (libsodium crypto_generichash) with
 * the national pseudonymisation key over a domain-separated, NUL-separated
 * encoding (see the functions). Callers must pass strings without NUL bytes
 * (CSV fields never hold one), so no two inputs encode alike. The same input
 * and key always give the same pseudonym, at every provider and in every
 * month; without the key it cannot be recomputed.
 */
#ifndef IAPT_NODE_ANONYMISE_H
#define IAPT_NODE_ANONYMISE_H

#include "common/keys.h"
#include "proto/adult.pb-c.h"

#include <stddef.h>
#include <stdint.h>

#define IAPT_PSEUDONYM_BYTES 16

/* H("iapt/pathway/v1" 0 org 0 service_request_id). 0 or IAPT_ECRYPTO. */
int iapt_pseudonym_pathway(const iapt_pseudokey_t *key, const char *org,
                           const char *service_request_id,
                           uint8_t out[IAPT_PSEUDONYM_BYTES] /* out */);

/* H("iapt/person/v1" 0 nhs_number): for a valid NHS number only.
 * 0 or IAPT_ECRYPTO. */
int iapt_pseudonym_person_nhs(const iapt_pseudokey_t *key, const char *nhs_number,
                              uint8_t out[IAPT_PSEUDONYM_BYTES] /* out */);

/* H("iapt/person-local/v1" 0 org 0 local_patient_id): when the NHS number is
 * missing or invalid. 0 or IAPT_ECRYPTO. */
int iapt_pseudonym_person_local(const iapt_pseudokey_t *key, const char *org,
                                const char *local_patient_id,
                                uint8_t out[IAPT_PSEUDONYM_BYTES] /* out */);

/* Age band from completed years between two day numbers (birthdays on
 * 29 February are reached on 1 March in other years); a referral before the
 * birth gives IAPT__AGE_BAND__AGE_UNKNOWN. */
Iapt__AgeBand iapt_age_band(int32_t birth_day, int32_t referral_day);

/* Completed years from birth_day to day (negative when day is before birth). */
int iapt_age_years(int32_t birth_day, int32_t day);

/* The postcode-prefix to IMD decile lookup (docs/FORMATS.md "Postcode to IMD
 * decile"). Owned by the caller; immutable once loaded. */
typedef struct iapt_imd iapt_imd_t;

/* Load a `postcode_prefix,imd_decile` CSV (header row, columns in any
 * order). Prefixes are normalised like postcodes (upper case, spaces
 * removed) and must then be 1-7 characters of [A-Z0-9]; deciles 1-10; a
 * prefix may appear once. IAPT_EFORMAT with "FILE:LINE: reason" in the
 * detail, IAPT_ENOTFOUND, IAPT_EIO, IAPT_ELIMIT, IAPT_ENOMEM. */
int iapt_imd_load(const char *path, iapt_imd_t **out /* out, owned */);

/* As iapt_imd_load from memory; `name` is used in error details. */
int iapt_imd_parse(const char *data, size_t len, const char *name,
                   iapt_imd_t **out /* out, owned */);

/* Decile (1-10) of the longest prefix of the normalised postcode (upper
 * case, no spaces, as iapt_postcode_normalise makes it), or 0 when none
 * matches. */
int iapt_imd_lookup(const iapt_imd_t *imd, const char *normalised_postcode);

void iapt_imd_destroy(iapt_imd_t **imd_p);

/* Upper-case `len` bytes of text and drop its spaces into out (8 bytes);
 * 0 when the result is a postcode ([A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}),
 * -1 otherwise (out is then unspecified). */
int iapt_postcode_normalise(const char *text, size_t len, char out[8] /* out */);

#endif
