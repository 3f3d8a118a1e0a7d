/* keys.c - identities and the pseudonymisation key, and their files. */
#include "common/keys.h"
#include "common/config.h"
#include "common/err.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

int
iapt_org_code_valid(const char *org)
{
    size_t n = strlen(org);
    if (n < 2 || n >= IAPT_ORG_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((org[i] >= 'A' && org[i] <= 'Z') || (org[i] >= '0' && org[i] <= '9')))
            return 0;
    return 1;
}

int
iapt_role_valid(const char *role)
{
    static const char *const roles[] = {"provider", "analyst", "auditor", "hub"};
    for (size_t i = 0; i < sizeof roles / sizeof *roles; i++)
        if (strcmp(role, roles[i]) == 0)
            return 1;
    return 0;
}

static iapt_identity_t *
s_identity_new(int with_secret)
{
    iapt_identity_t *id = calloc(1, sizeof *id);
    if (!id)
        return NULL;
    if (with_secret) {
        id->sign_secret = sodium_malloc(crypto_sign_SECRETKEYBYTES);
        id->curve_secret = sodium_malloc(IAPT_Z85_KEY_LEN + 1);
        if (!id->sign_secret || !id->curve_secret) {
            iapt_identity_destroy(&id);
            return NULL;
        }
    }
    return id;
}

int
iapt_identity_generate(const char *org, const char *role, iapt_identity_t **out)
{
    if (!iapt_org_code_valid(org))
        return iapt_error_set(IAPT_EUSAGE, "'%s' is not an organisation code", org);
    if (!iapt_role_valid(role))
        return iapt_error_set(IAPT_EUSAGE, "'%s' is not a role", role);
    iapt_identity_t *id = s_identity_new(1);
    if (!id)
        return IAPT_ENOMEM;
    iapt_strlcpy(id->org, org, sizeof id->org);
    iapt_strlcpy(id->role, role, sizeof id->role);
    crypto_sign_keypair(id->sign_public, id->sign_secret);
    if (zmq_curve_keypair(id->curve_public, id->curve_secret) != 0) {
        iapt_identity_destroy(&id);
        return iapt_error_set(IAPT_EZMQ, "zmq_curve_keypair: %s (libzmq without CURVE?)",
                              zmq_strerror(errno));
    }
    *out = id;
    return 0;
}

static int
s_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

int
iapt_identity_save(const iapt_identity_t *id, const char *secret_path, const char *public_path)
{
    if (!id->sign_secret)
        return iapt_error_set(IAPT_EUSAGE, "identity has no secret keys");
    if (s_exists(secret_path) || s_exists(public_path))
        return iapt_error_set(IAPT_EEXISTS, "%s or %s exists; not overwritten", secret_path,
                              public_path);
    char spub[64], ssec[128];
    iapt_base64_encode(id->sign_public, 32, spub);
    iapt_base64_encode(id->sign_secret, crypto_sign_SECRETKEYBYTES, ssec);

    iapt_buf_t b = IAPT_BUF_INIT;
    int rc = iapt_buf_printf(&b,
                             "# iapt secret keys of %s (%s). Keep private: mode 0600.\n"
                             "org = %s\nrole = %s\nsign-secret = %s\ncurve-secret = %s\n"
                             "sign-public = %s\ncurve-public = %s\n",
                             id->org, id->role, id->org, id->role, ssec, id->curve_secret, spub,
                             id->curve_public);
    sodium_memzero(ssec, sizeof ssec);
    if (rc == 0)
        rc = iapt_file_write_atomic(secret_path, b.data, b.len, 0600);
    if (b.data)
        sodium_memzero(b.data, b.len);
    b.len = 0;
    if (rc == 0)
        rc = iapt_buf_printf(&b,
                             "# iapt public keys of %s (%s)\n"
                             "org = %s\nrole = %s\nsign-public = %s\ncurve-public = %s\n",
                             id->org, id->role, id->org, id->role, spub, id->curve_public);
    if (rc == 0)
        rc = iapt_file_write_atomic(public_path, b.data, b.len, 0644);
    iapt_buf_free(&b);
    return rc;
}

/* Refuse a secret file anyone but its owner can read. */
static int
s_check_private(const char *path)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return iapt_error_set(errno == ENOENT ? IAPT_ENOTFOUND : IAPT_EIO, "%s: %s", path,
                              strerror(errno));
    if (st.st_mode & (S_IRWXG | S_IRWXO))
        return iapt_error_set(IAPT_EPERM,
                              "%s is accessible by group or others (mode %03o); "
                              "refusing to use it: chmod 600 it",
                              path, (unsigned)(st.st_mode & 0777));
    return 0;
}

static int
s_get_b64(const iapt_config_t *cfg, const char *path, const char *key, uint8_t *out, size_t want)
{
    const char *v = iapt_config_get(cfg, key);
    size_t got;
    if (!v)
        return iapt_error_set(IAPT_EFORMAT, "%s: no '%s'", path, key);
    if (iapt_base64_decode(v, strlen(v), out, want, &got) < 0 || got != want)
        return iapt_error_set(IAPT_EFORMAT, "%s: '%s' is not %zu bytes of base64", path, key, want);
    return 0;
}

static int
s_get_z85(const iapt_config_t *cfg, const char *path, const char *key, char *out)
{
    const char *v = iapt_config_get(cfg, key);
    uint8_t raw[32];
    if (!v)
        return iapt_error_set(IAPT_EFORMAT, "%s: no '%s'", path, key);
    if (strlen(v) != IAPT_Z85_KEY_LEN || !zmq_z85_decode(raw, v))
        return iapt_error_set(IAPT_EFORMAT, "%s: '%s' is not a Z85 CURVE key", path, key);
    memcpy(out, v, IAPT_Z85_KEY_LEN + 1);
    return 0;
}

static int
s_load(const char *path, int with_secret, iapt_identity_t **out)
{
    int rc;
    iapt_config_t *cfg = NULL;
    iapt_identity_t *id = NULL;

    if (with_secret && (rc = s_check_private(path)) < 0)
        return rc;
    if ((rc = iapt_config_load(path, &cfg)) < 0)
        return rc;
    if (!(id = s_identity_new(with_secret))) {
        rc = IAPT_ENOMEM;
        goto out_free;
    }
    const char *org = iapt_config_get(cfg, "org"), *role = iapt_config_get(cfg, "role");
    if (!org || !iapt_org_code_valid(org) || !role || !iapt_role_valid(role)) {
        rc = iapt_error_set(IAPT_EFORMAT, "%s: missing or bad 'org' / 'role'", path);
        goto out_free;
    }
    iapt_strlcpy(id->org, org, sizeof id->org);
    iapt_strlcpy(id->role, role, sizeof id->role);
    if ((rc = s_get_b64(cfg, path, "sign-public", id->sign_public, 32)) < 0 ||
        (rc = s_get_z85(cfg, path, "curve-public", id->curve_public)) < 0)
        goto out_free;
    if (with_secret) {
        if ((rc = s_get_b64(cfg, path, "sign-secret", id->sign_secret,
                            crypto_sign_SECRETKEYBYTES)) < 0 ||
            (rc = s_get_z85(cfg, path, "curve-secret", id->curve_secret)) < 0)
            goto out_free;
        /* The halves must belong together: a mismatch means a damaged file. */
        uint8_t pk[32];
        char curve_pk[IAPT_Z85_KEY_LEN + 1];
        crypto_sign_ed25519_sk_to_pk(pk, id->sign_secret);
        if (zmq_curve_public(curve_pk, id->curve_secret) != 0 ||
            memcmp(pk, id->sign_public, 32) != 0 || strcmp(curve_pk, id->curve_public) != 0) {
            rc = iapt_error_set(IAPT_EFORMAT, "%s: public keys do not match the secret keys", path);
            goto out_free;
        }
    }
    *out = id;
    id = NULL;
out_free:
    iapt_identity_destroy(&id);
    iapt_config_destroy(&cfg);
    return rc;
}

int
iapt_identity_load(const char *path, iapt_identity_t **out)
{
    return s_load(path, 1, out);
}

int
iapt_identity_load_public(const char *path, iapt_identity_t **out)
{
    return s_load(path, 0, out);
}

void
iapt_identity_destroy(iapt_identity_t **id_p)
{
    iapt_identity_t *id = *id_p;
    if (!id)
        return;
    sodium_free(id->sign_secret);
    sodium_free(id->curve_secret);
    free(id);
    *id_p = NULL;
}

static void
s_pseudo_id(const uint8_t *key, uint8_t id[IAPT_PSEUDO_KEY_ID_BYTES])
{
    static const char label[] = "iapt/pseudo-key-id/v1";
    crypto_generichash(id, IAPT_PSEUDO_KEY_ID_BYTES, (const uint8_t *)label, sizeof label - 1, key,
                       IAPT_PSEUDO_KEY_BYTES);
}

static iapt_pseudokey_t *
s_pseudo_new(void)
{
    iapt_pseudokey_t *k = calloc(1, sizeof *k);
    if (!k)
        return NULL;
    k->key = sodium_malloc(IAPT_PSEUDO_KEY_BYTES);
    if (!k->key) {
        free(k);
        return NULL;
    }
    return k;
}

int
iapt_pseudokey_generate(iapt_pseudokey_t **out)
{
    iapt_pseudokey_t *k = s_pseudo_new();
    if (!k)
        return IAPT_ENOMEM;
    randombytes_buf(k->key, IAPT_PSEUDO_KEY_BYTES);
    s_pseudo_id(k->key, k->id);
    *out = k;
    return 0;
}

int
iapt_pseudokey_save(const iapt_pseudokey_t *k, const char *path)
{
    if (s_exists(path))
        return iapt_error_set(IAPT_EEXISTS, "%s exists; not overwritten", path);
    char hex[2 * IAPT_PSEUDO_KEY_ID_BYTES + 1], b64[64];
    iapt_hex_encode(k->id, sizeof k->id, hex);
    iapt_base64_encode(k->key, IAPT_PSEUDO_KEY_BYTES, b64);
    iapt_buf_t b = IAPT_BUF_INIT;
    int rc = iapt_buf_printf(&b,
                             "# iapt national pseudonymisation key. Nodes only, never the hub.\n"
                             "pseudo-key-id = %s\npseudo-key = %s\n",
                             hex, b64);
    sodium_memzero(b64, sizeof b64);
    if (rc == 0)
        rc = iapt_file_write_atomic(path, b.data, b.len, 0600);
    if (b.data)
        sodium_memzero(b.data, b.len);
    iapt_buf_free(&b);
    return rc;
}

int
iapt_pseudokey_load(const char *path, iapt_pseudokey_t **out)
{
    int rc;
    iapt_config_t *cfg = NULL;
    iapt_pseudokey_t *k = NULL;
    uint8_t id[IAPT_PSEUDO_KEY_ID_BYTES];

    if ((rc = s_check_private(path)) < 0)
        return rc;
    if ((rc = iapt_config_load(path, &cfg)) < 0)
        return rc;
    if (!(k = s_pseudo_new())) {
        rc = IAPT_ENOMEM;
        goto out_free;
    }
    if ((rc = s_get_b64(cfg, path, "pseudo-key", k->key, IAPT_PSEUDO_KEY_BYTES)) < 0)
        goto out_free;
    const char *hex = iapt_config_get(cfg, "pseudo-key-id");
    s_pseudo_id(k->key, k->id);
    if (!hex || iapt_hex_decode(hex, id, sizeof id) < 0 || memcmp(id, k->id, sizeof id) != 0) {
        rc = iapt_error_set(IAPT_EFORMAT, "%s: pseudo-key-id missing or not this key's id", path);
        goto out_free;
    }
    *out = k;
    k = NULL;
out_free:
    iapt_pseudokey_destroy(&k);
    iapt_config_destroy(&cfg);
    return rc;
}

void
iapt_pseudokey_destroy(iapt_pseudokey_t **k_p)
{
    iapt_pseudokey_t *k = *k_p;
    if (!k)
        return;
    sodium_free(k->key);
    free(k);
    *k_p = NULL;
}
