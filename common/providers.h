/*
 * providers.h - the hub's provider file (`providers = FILE` in hub.conf and
 * the auditor's configuration): each provider's name and home sub-ICB, the
 * shape iapt-synth writes.
 *
 *   org_code,org_name,home_subicb
 *   RH9,Talking Therapies Plymouth and District,15N
 *
 * RFC 4180 CSV with a header naming at least the columns org_code and
 * home_subicb, and org_name (or `name`, as older synthetic sets write it);
 * other columns are ignored. org_code must be a valid organisation code
 * (common/keys.h), given once; home_subicb is 3 to 5 of [A-Z0-9], or empty
 * for a provider with no home sub-ICB (it then counts for England and
 * Provider only where a collection places by home, IAPT_PLACE_PROVIDER_HOME
 * of common/measure_schema.h). Anything else is refused with IAPT_EFORMAT
 * and "FILE:LINE: reason" in the detail, and nothing is loaded.
 *
 * The adult collection does not use it (it places referrals by their
 * commissioner and names providers from the registry); the CYP collection
 * uses it for coverage, the workforce collection for placement.
 *
 * Ownership: load returns an owned table; entries and their strings belong
 * to it. Threads: immutable after load; share freely.
 */
#ifndef IAPT_PROVIDERS_H
#define IAPT_PROVIDERS_H

#include <stddef.h>

typedef struct iapt_provider {
    const char *org_code;
    const char *org_name;    /* "" when the file gives none */
    const char *home_subicb; /* "" when none */
    unsigned long line;      /* where it was given */
} iapt_provider_t;

typedef struct iapt_providers iapt_providers_t;

/* Load a file. 0, IAPT_ENOTFOUND, IAPT_EIO, IAPT_EFORMAT, IAPT_ENOMEM. */
int iapt_providers_load(const char *path, iapt_providers_t **out /* out, owned */);

/* The same from memory; `name` is used in error details. */
int iapt_providers_parse(const char *data, size_t len, const char *name,
                         iapt_providers_t **out /* out, owned */);

void iapt_providers_destroy(iapt_providers_t **p);

/* The provider with this code, or NULL (NULL table: NULL). */
const iapt_provider_t *iapt_providers_find(const iapt_providers_t *p, const char *org_code);

/* Providers in org_code order. */
size_t iapt_providers_count(const iapt_providers_t *p);
const iapt_provider_t *iapt_providers_at(const iapt_providers_t *p, size_t i);

#endif
