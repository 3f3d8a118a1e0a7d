/* note.c - C2SP signed notes with Ed25519, and Go-style verifier keys. */
#include "common/note.h"
#include "common/err.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* "— ": U+2014 EM DASH in UTF-8, then a space. */
static const char s_sig_prefix[] = "\xe2\x80\x94 ";
#define S_SIG_PREFIX_LEN 4

/* Ed25519 signature line payload: key id then signature. */
#define S_SIG_RAW (4 + crypto_sign_BYTES)

/* Decode one UTF-8 sequence at p (n bytes left) the way Go's utf8.DecodeRune
 * does: shortest form only, no surrogates, nothing above U+10FFFF. Return its
 * length and set *cp, or 0 when invalid. */
static size_t
s_utf8_next(const uint8_t *p, size_t n, uint32_t *cp)
{
    uint32_t c;
    size_t len;

    if (p[0] < 0x80) {
        *cp = p[0];
        return 1;
    }
    if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        len = 2;
        c = p[0] & 0x1f;
    } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        len = 3;
        c = p[0] & 0x0f;
    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        len = 4;
        c = p[0] & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        c = c << 6 | (p[i] & 0x3f);
    }
    if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)) ||
        (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return len;
}

/* Go's unicode.IsSpace: ASCII white space, NEL, NBSP and category Z. */
static bool
s_is_space(uint32_t c)
{
    switch (c) {
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case ' ':
    case 0x85:
    case 0xa0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202f:
    case 0x205f:
    case 0x3000:
        return true;
    default:
        return c >= 0x2000 && c <= 0x200a;
    }
}

/* Valid UTF-8 with no control character but newline (the note-wide rule). */
static bool
s_text_valid(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint32_t c;
        size_t k = s_utf8_next(p + i, n - i, &c);
        if (k == 0 || (c < 0x20 && c != '\n'))
            return false;
        i += k;
    }
    return true;
}

bool
iapt_note_name_valid(const char *name, size_t len)
{
    const uint8_t *p = (const uint8_t *)name;

    if (!name || len == 0)
        return false;
    for (size_t i = 0; i < len;) {
        uint32_t c;
        size_t k = s_utf8_next(p + i, len - i, &c);
        if (k == 0 || c < 0x20 || c == '+' || s_is_space(c))
            return false;
        i += k;
    }
    return true;
}

uint32_t
iapt_note_key_id(const char *name, const uint8_t pk[32])
{
    static const uint8_t sep[2] = {'\n', IAPT_NOTE_ALG_ED25519};
    crypto_hash_sha256_state st;
    uint8_t h[crypto_hash_sha256_BYTES];

    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const uint8_t *)name, strlen(name));
    crypto_hash_sha256_update(&st, sep, sizeof sep);
    crypto_hash_sha256_update(&st, pk, 32);
    crypto_hash_sha256_final(&st, h);
    return (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
}

static void
s_put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

int
iapt_note_sign(const uint8_t *text, size_t len, const char *key_name, const uint8_t sk[64],
               iapt_buf_t *out)
{
    uint8_t raw[S_SIG_RAW];
    char b64[sodium_base64_ENCODED_LEN(S_SIG_RAW, sodium_base64_VARIANT_ORIGINAL)];
    size_t name_len, start = out->len, total;
    int rc;

    if (!key_name || !iapt_note_name_valid(key_name, strlen(key_name)))
        return iapt_error_set(IAPT_EUSAGE, "note key name is empty or has a space or '+'");
    if (len == 0 || text[len - 1] != '\n')
        return iapt_error_set(IAPT_EUSAGE, "note text must end with a newline");
    name_len = strlen(key_name);
    if (len > IAPT_NOTE_MAX || name_len > IAPT_NOTE_MAX)
        return iapt_error_set(IAPT_ELIMIT, "signed note over %d bytes", IAPT_NOTE_MAX);
    total = len + 1 + S_SIG_PREFIX_LEN + name_len + 1 + (sizeof b64 - 1) + 1;
    if (total > IAPT_NOTE_MAX)
        return iapt_error_set(IAPT_ELIMIT, "signed note over %d bytes", IAPT_NOTE_MAX);
    if (!s_text_valid(text, len))
        return iapt_error_set(IAPT_EUSAGE, "note text is not UTF-8 without control characters");

    s_put_be32(raw, iapt_note_key_id(key_name, sk + 32));
    crypto_sign_detached(raw + 4, NULL, text, len, sk);
    sodium_bin2base64(b64, sizeof b64, raw, sizeof raw, sodium_base64_VARIANT_ORIGINAL);

    rc = iapt_buf_reserve(out, total);
    if (rc != 0)
        goto out_restore;
    if ((rc = iapt_buf_append(out, text, len)) != 0 || (rc = iapt_buf_append(out, "\n", 1)) != 0 ||
        (rc = iapt_buf_append(out, s_sig_prefix, S_SIG_PREFIX_LEN)) != 0 ||
        (rc = iapt_buf_append(out, key_name, name_len)) != 0 ||
        (rc = iapt_buf_append(out, " ", 1)) != 0 ||
        (rc = iapt_buf_append(out, b64, strlen(b64))) != 0 ||
        (rc = iapt_buf_append(out, "\n", 1)) != 0)
        goto out_restore;
    return 0;

out_restore:
    out->len = start;
    return rc;
}

/* Last occurrence of "\n\n" in p[0..n), or NULL. */
static const uint8_t *
s_last_blank(const uint8_t *p, size_t n)
{
    for (size_t i = n; i >= 2; i--)
        if (p[i - 1] == '\n' && p[i - 2] == '\n')
            return p + i - 2;
    return NULL;
}

int
iapt_note_open(const uint8_t *msg, size_t len, const char *key_name, const uint8_t pk[32],
               size_t *text_len)
{
    const uint8_t *split, *line, *end;
    uint8_t *scratch = NULL;
    size_t name_len, tlen, scratch_size, nsig = 0;
    uint32_t want_id;
    bool verified = false;
    int rc;

    *text_len = 0;
    if (!key_name || !iapt_note_name_valid(key_name, strlen(key_name)))
        return iapt_error_set(IAPT_EUSAGE, "note key name is empty or has a space or '+'");
    if (len > IAPT_NOTE_MAX)
        return iapt_error_set(IAPT_ELIMIT, "note of %zu bytes, over %d", len, IAPT_NOTE_MAX);
    if (!msg || !s_text_valid(msg, len))
        return iapt_error_set(IAPT_EFORMAT, "note is not UTF-8 without control characters");
    /* The text ends at the last blank line; the signature block, after it,
     * must be whole lines. */
    split = s_last_blank(msg, len);
    if (!split)
        return iapt_error_set(IAPT_EFORMAT, "note has no blank line before its signatures");
    tlen = (size_t)(split - msg) + 1;
    line = split + 2;
    end = msg + len;
    if (line == end || end[-1] != '\n')
        return iapt_error_set(IAPT_EFORMAT, "note signatures missing or not ending in newline");

    /* Big enough for any signature in this note, decoded. */
    scratch_size = (size_t)(end - line) / 4 * 3 + 3;
    scratch = malloc(scratch_size);
    if (!scratch)
        return IAPT_ENOMEM;
    name_len = strlen(key_name);
    want_id = iapt_note_key_id(key_name, pk);

    while (line < end) {
        const uint8_t *nl = memchr(line, '\n', (size_t)(end - line));
        const uint8_t *name, *sp, *b64;
        size_t raw_len;

        if (++nsig > IAPT_NOTE_MAX_SIGS) {
            rc = iapt_error_set(IAPT_ELIMIT, "note has over %d signatures", IAPT_NOTE_MAX_SIGS);
            goto out_free_scratch;
        }
        if ((size_t)(nl - line) < S_SIG_PREFIX_LEN ||
            memcmp(line, s_sig_prefix, S_SIG_PREFIX_LEN) != 0) {
            rc = iapt_error_set(IAPT_EFORMAT,
                                "note signature line %zu does not start with "
                                "an em dash and a space",
                                nsig);
            goto out_free_scratch;
        }
        name = line + S_SIG_PREFIX_LEN;
        sp = memchr(name, ' ', (size_t)(nl - name));
        if (!sp || !iapt_note_name_valid((const char *)name, (size_t)(sp - name))) {
            rc = iapt_error_set(IAPT_EFORMAT, "note signature line %zu: bad key name", nsig);
            goto out_free_scratch;
        }
        b64 = sp + 1;
        if (b64 == nl ||
            iapt_base64_decode((const char *)b64, (size_t)(nl - b64), scratch, scratch_size,
                               &raw_len) != 0 ||
            raw_len < 5) {
            rc = iapt_error_set(IAPT_EFORMAT, "note signature line %zu: bad base64", nsig);
            goto out_free_scratch;
        }
        if ((size_t)(sp - name) == name_len && memcmp(name, key_name, name_len) == 0 &&
            ((uint32_t)scratch[0] << 24 | (uint32_t)scratch[1] << 16 | (uint32_t)scratch[2] << 8 |
             scratch[3]) == want_id) {
            if (raw_len != S_SIG_RAW ||
                crypto_sign_verify_detached(scratch + 4, msg, tlen, pk) != 0) {
                rc = iapt_error_set(IAPT_ECRYPTO, "note: signature by %s+%08x does not verify",
                                    key_name, (unsigned)want_id);
                goto out_free_scratch;
            }
            verified = true;
        }
        line = nl + 1;
    }
    if (!verified) {
        rc = iapt_error_set(IAPT_ECRYPTO, "note is not signed by %s+%08x", key_name,
                            (unsigned)want_id);
        goto out_free_scratch;
    }
    *text_len = tlen;
    rc = 0;

out_free_scratch:
    free(scratch);
    return rc;
}

int
iapt_note_vkey_format(const char *name, const uint8_t pk[32], char *out, size_t out_size)
{
    uint8_t key[33];
    size_t name_len;

    if (out_size)
        out[0] = '\0';
    if (!name || !iapt_note_name_valid(name, strlen(name)))
        return iapt_error_set(IAPT_EUSAGE, "key name is empty or has a space or '+'");
    name_len = strlen(name);
    if (out_size < IAPT_NOTE_VKEY_LEN(name_len))
        return iapt_error_set(IAPT_ELIMIT, "vkey buffer of %zu bytes too small", out_size);
    key[0] = IAPT_NOTE_ALG_ED25519;
    memcpy(key + 1, pk, 32);
    memcpy(out, name, name_len);
    snprintf(out + name_len, out_size - name_len, "+%08x+", (unsigned)iapt_note_key_id(name, pk));
    iapt_base64_encode(key, sizeof key, out + name_len + 10);
    return 0;
}

int
iapt_note_vkey_parse(const char *vkey, size_t len, char *name, size_t name_size, uint8_t pk[32])
{
    const char *plus1, *plus2, *end;
    uint8_t id_bytes[4], key[34];
    size_t name_len, key_len;
    uint32_t id;
    int rc;

    if (name_size)
        name[0] = '\0';
    memset(pk, 0, 32);
    plus1 = vkey ? memchr(vkey, '+', len) : NULL;
    end = plus1 ? vkey + len : NULL;
    if (!plus1) {
        rc = iapt_error_set(IAPT_EFORMAT, "vkey: no '+' after the name");
        goto out_wipe;
    }
    name_len = (size_t)(plus1 - vkey);
    if (!iapt_note_name_valid(vkey, name_len)) {
        rc = iapt_error_set(IAPT_EFORMAT, "vkey: bad key name");
        goto out_wipe;
    }
    if (end - plus1 < 10 || plus1[9] != '+') {
        rc = iapt_error_set(IAPT_EFORMAT, "vkey: key id is not 8 hex digits");
        goto out_wipe;
    }
    plus2 = plus1 + 9;
    {
        char hex[9];
        memcpy(hex, plus1 + 1, 8);
        hex[8] = '\0';
        if (iapt_hex_decode(hex, id_bytes, 4) != 0) {
            rc = iapt_error_set(IAPT_EFORMAT, "vkey: key id is not 8 hex digits");
            goto out_wipe;
        }
    }
    if (iapt_base64_decode(plus2 + 1, (size_t)(end - plus2 - 1), key, sizeof key, &key_len) != 0 ||
        key_len != 33) {
        rc = iapt_error_set(IAPT_EFORMAT, "vkey: key is not base64 of 33 bytes");
        goto out_wipe;
    }
    if (key[0] != IAPT_NOTE_ALG_ED25519) {
        rc = iapt_error_set(IAPT_EFORMAT, "vkey: algorithm %u is not Ed25519", key[0]);
        goto out_wipe;
    }
    if (name_len >= name_size) {
        rc = iapt_error_set(IAPT_ELIMIT, "vkey: name of %zu bytes does not fit", name_len);
        goto out_wipe;
    }
    memcpy(name, vkey, name_len);
    name[name_len] = '\0';
    id = (uint32_t)id_bytes[0] << 24 | (uint32_t)id_bytes[1] << 16 | (uint32_t)id_bytes[2] << 8 |
         id_bytes[3];
    if (id != iapt_note_key_id(name, key + 1)) {
        rc = iapt_error_set(IAPT_EFORMAT, "vkey: key id does not match name and key");
        goto out_wipe;
    }
    memcpy(pk, key + 1, 32);
    return 0;

out_wipe:
    if (name_size)
        name[0] = '\0';
    return rc;
}
