/* checkpoint.c - C2SP tlog-checkpoint bodies inside Ed25519 signed notes. */
#include "common/checkpoint.h"
#include "common/err.h"
#include "common/note.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* base64 of 32 bytes: 44 characters, one '=' of padding. */
#define S_ROOT_B64 44

int
iapt_checkpoint_sign(const char *origin, uint64_t size,
                     const uint8_t root[IAPT_CHECKPOINT_ROOT_BYTES], const char *key_name,
                     const uint8_t sk[64], iapt_buf_t *out)
{
    iapt_buf_t body = IAPT_BUF_INIT;
    char b64[S_ROOT_B64 + 1];
    int rc;

    if (!origin || !*origin || strchr(origin, '\n'))
        return iapt_error_set(IAPT_EUSAGE, "checkpoint origin must be one non-empty line");
    iapt_base64_encode(root, IAPT_CHECKPOINT_ROOT_BYTES, b64);
    rc = iapt_buf_printf(&body, "%s\n%" PRIu64 "\n%s\n", origin, size, b64);
    if (rc != 0)
        goto out_free_body;
    /* The note layer refuses control characters and bad UTF-8 in the body,
     * which covers the origin. */
    rc = iapt_note_sign(body.data, body.len, key_name, sk, out);

out_free_body:
    iapt_buf_free(&body);
    return rc;
}

/* Parse the canonical decimal p[0..n): "0", or no leading zero; fits 64 bits. */
static int
s_parse_size(const uint8_t *p, size_t n, uint64_t *out)
{
    uint64_t v = 0;

    if (n == 0 || (n > 1 && p[0] == '0'))
        return IAPT_EFORMAT;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return IAPT_EFORMAT;
        unsigned d = (unsigned)(p[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return IAPT_EFORMAT;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

static int
s_parse_body(const uint8_t *t, size_t len, uint64_t *size, uint8_t root[IAPT_CHECKPOINT_ROOT_BYTES],
             const uint8_t **origin, size_t *origin_len)
{
    const uint8_t *end = t + len, *line = t;
    char canon[S_ROOT_B64 + 1];
    size_t root_len;

    unsigned i;

    /* iapt_note_open guarantees the text ends with a newline, so every line
     * found below is whole. */
    for (i = 0; line < end; i++) {
        const uint8_t *nl = memchr(line, '\n', (size_t)(end - line));
        size_t n = (size_t)(nl - line);

        if (n == 0)
            return iapt_error_set(IAPT_EFORMAT, "checkpoint line %u is empty", i + 1);
        if (i == 0) {
            *origin = line;
            *origin_len = n;
        } else if (i == 1) {
            if (s_parse_size(line, n, size) != 0)
                return iapt_error_set(IAPT_EFORMAT, "checkpoint tree size is not canonical "
                                                    "decimal");
        } else if (i == 2) {
            /* Exactly 32 bytes, and written the one way base64 allows, so a
             * checkpoint has a single text form. */
            if (n != S_ROOT_B64 ||
                iapt_base64_decode((const char *)line, n, root, IAPT_CHECKPOINT_ROOT_BYTES,
                                   &root_len) != 0 ||
                root_len != IAPT_CHECKPOINT_ROOT_BYTES)
                return iapt_error_set(IAPT_EFORMAT, "checkpoint root is not base64 of 32 bytes");
            iapt_base64_encode(root, IAPT_CHECKPOINT_ROOT_BYTES, canon);
            if (memcmp(canon, line, S_ROOT_B64) != 0)
                return iapt_error_set(IAPT_EFORMAT, "checkpoint root is not canonical base64");
        }
        /* Lines after the third are extensions: opaque, only non-empty. */
        line = nl + 1;
    }
    if (i < 3)
        return iapt_error_set(IAPT_EFORMAT, "checkpoint has %u lines, fewer than three", i);
    return 0;
}

int
iapt_checkpoint_open(const uint8_t *text, size_t len, const char *key_name, const uint8_t pk[32],
                     uint64_t *size, uint8_t root[IAPT_CHECKPOINT_ROOT_BYTES], char *origin,
                     size_t origin_size)
{
    const uint8_t *o = NULL;
    size_t tlen, olen = 0;
    int rc;

    *size = 0;
    memset(root, 0, IAPT_CHECKPOINT_ROOT_BYTES);
    if (origin && origin_size)
        origin[0] = '\0';
    /* Verify before parsing: the body is not looked at unless it is signed. */
    rc = iapt_note_open(text, len, key_name, pk, &tlen);
    if (rc != 0)
        return rc;
    rc = s_parse_body(text, tlen, size, root, &o, &olen);
    if (rc != 0)
        goto out_wipe;
    if (origin) {
        if (olen >= origin_size) {
            rc = iapt_error_set(IAPT_ELIMIT, "checkpoint origin of %zu bytes does not fit", olen);
            goto out_wipe;
        }
        memcpy(origin, o, olen);
        origin[olen] = '\0';
    }
    return 0;

out_wipe:
    *size = 0;
    memset(root, 0, IAPT_CHECKPOINT_ROOT_BYTES);
    if (origin && origin_size)
        origin[0] = '\0';
    return rc;
}
