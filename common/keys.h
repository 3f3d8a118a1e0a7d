/*
 * keys.h - identities (an organisation's Ed25519 signing pair and CURVE pair)
 * and the national pseudonymisation key, and their files.
 *
 * Files are "key = value" text (config.h):
 *   NAME.secret  (mode 0600)        NAME.pub
 *     org = RAT                       org = RAT
 *     role = provider                 role = provider
 *     sign-secret = <base64 64B>      sign-public = <base64 32B>
 *     curve-secret = <Z85 40 chars>   curve-public = <Z85 40 chars>
 *     sign-public, curve-public (as in NAME.pub)
 *   pseudonymisation key (mode 0600):
 *     pseudo-key-id = <16 hex>        pseudo-key = <base64 32B>
 *
 * A secret file readable by group or others is refused (IAPT_EPERM), as is
 * one whose public half does not match its secret half.
 *
 * Ownership: the generate and load functions return owned objects; secrets live in
 * sodium_malloc memory (guarded, locked) and are wiped by *_destroy, which is
 * safe to call twice and sets the caller's pointer to NULL.
 */
#ifndef IAPT_KEYS_H
#define IAPT_KEYS_H

#include <stdint.h>

#define IAPT_ORG_MAX 16 /* organisation code incl. NUL */
#define IAPT_ROLE_MAX 16
#define IAPT_Z85_KEY_LEN 40 /* CURVE key as Z85 text, without NUL */
#define IAPT_PSEUDO_KEY_BYTES 32
#define IAPT_PSEUDO_KEY_ID_BYTES 8

typedef struct iapt_identity {
    char org[IAPT_ORG_MAX];
    char role[IAPT_ROLE_MAX]; /* provider, analyst, auditor, hub */
    uint8_t sign_public[32];
    char curve_public[IAPT_Z85_KEY_LEN + 1];
    uint8_t *sign_secret; /* 64 bytes; NULL for a public identity */
    char *curve_secret;   /* Z85 + NUL; NULL for a public identity */
} iapt_identity_t;

/* True when `org` is 2-15 characters of [A-Z0-9] (ODS codes, role names). */
int iapt_org_code_valid(const char *org);

/* True for provider, analyst, auditor, hub. */
int iapt_role_valid(const char *role);

/* A fresh identity with both key pairs. */
int iapt_identity_generate(const char *org, const char *role,
                           iapt_identity_t **out /* out, owned */);

/* Write secret (0600) and public (0644) files; refuses to overwrite. */
int iapt_identity_save(const iapt_identity_t *id, const char *secret_path, const char *public_path);

/* Load a secret file (refuses group/world-readable files). */
int iapt_identity_load(const char *path, iapt_identity_t **out /* out, owned */);

/* Load a public file (secret fields stay NULL). */
int iapt_identity_load_public(const char *path, iapt_identity_t **out /* out, owned */);

void iapt_identity_destroy(iapt_identity_t **id_p);

typedef struct iapt_pseudokey {
    uint8_t *key;                         /* 32 bytes, sodium_malloc */
    uint8_t id[IAPT_PSEUDO_KEY_ID_BYTES]; /* derived from the key */
} iapt_pseudokey_t;

int iapt_pseudokey_generate(iapt_pseudokey_t **out /* out, owned */);

/* Write the key file (0600); refuses to overwrite. */
int iapt_pseudokey_save(const iapt_pseudokey_t *k, const char *path);

/* Load (refuses group/world-readable files and a key id that does not match). */
int iapt_pseudokey_load(const char *path, iapt_pseudokey_t **out /* out, owned */);

void iapt_pseudokey_destroy(iapt_pseudokey_t **k_p);

#endif
