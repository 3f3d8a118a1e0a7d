/*
 * registry.h - the registry of organisations and their keys (docs/FORMATS.md).
 *
 * One row per key: org code, name, role, status (active / revoked, with the
 * revocation time), Ed25519 and CURVE public keys. At most one active row per
 * organisation; a revoked row keeps past signatures verifiable.
 *
 * A loaded registry is immutable and reference-counted, so the hub can swap
 * in a reloaded one while other threads still read the old:
 * iapt_registry_ref() takes a reference, iapt_registry_release() drops one
 * and frees on the last. Lookups on one registry are thread-safe.
 * Returned entry pointers live as long as the registry reference.
 */
#ifndef IAPT_REGISTRY_H
#define IAPT_REGISTRY_H

#include "common/keys.h"

#include <stddef.h>
#include <stdint.h>

typedef struct iapt_registry_entry {
    char org[IAPT_ORG_MAX];
    char name[128];
    char role[IAPT_ROLE_MAX];
    int active;         /* 1 active, 0 revoked */
    int64_t revoked_at; /* unix seconds; 0 when active */
    uint8_t sign_public[32];
    char curve_public[IAPT_Z85_KEY_LEN + 1];
} iapt_registry_entry_t;

typedef struct iapt_registry iapt_registry_t;

/* Load a registry CSV. IAPT_EFORMAT with file:line: reason for any bad row
 * (the whole file is refused: a registry is all or nothing). */
int iapt_registry_load(const char *path, iapt_registry_t **out /* out, one reference */);

/* Parse registry text; `name` is used in error details. */
int iapt_registry_parse(const char *text, size_t len, const char *name,
                        iapt_registry_t **out /* out, one reference */);

iapt_registry_t *iapt_registry_ref(iapt_registry_t *reg);

/* Drop a reference and NULL the pointer; frees on the last. Safe on NULL. */
void iapt_registry_release(iapt_registry_t **reg_p);

size_t iapt_registry_count(const iapt_registry_t *reg);
const iapt_registry_entry_t *iapt_registry_entry(const iapt_registry_t *reg, size_t i);

/* The row with this CURVE public key (Z85), active or not; NULL if none. */
const iapt_registry_entry_t *iapt_registry_by_curve(const iapt_registry_t *reg,
                                                    const char *curve_public);

/* The active row of org; NULL if none. */
const iapt_registry_entry_t *iapt_registry_active(const iapt_registry_t *reg, const char *org);

/* Any row of org (the active one first), for its name; NULL if none. */
const iapt_registry_entry_t *iapt_registry_org(const iapt_registry_t *reg, const char *org);

/* The row of org whose Ed25519 key verifies `sig` over manifest bytes and
 * was valid when the manifest was signed (active, or revoked after
 * signed_at). NULL when none: *why says whether the signature matched a
 * key revoked before signed_at ("revoked") or no key at all. */
const iapt_registry_entry_t *iapt_registry_manifest_signer(const iapt_registry_t *reg,
                                                           const char *org, const uint8_t *manifest,
                                                           size_t len, const uint8_t sig[64],
                                                           int64_t signed_at,
                                                           const char **why /* out */);

/* Parse "YYYY-MM-DDTHH:MM:SSZ" into unix seconds. 0 or IAPT_EFORMAT. */
int iapt_time_parse(const char *text, int64_t *out /* out */);

#endif
