/* json.c - the one JSON writer: helpers over jansson (common/json.h). */
#include "common/json.h"
#include "common/err.h"

#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlongs, no
 * surrogates, at most U+10FFFF), or 0 when the bytes there are not one. */
static size_t
s_utf8_len(const unsigned char *s)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        return (s[1] & 0xc0) == 0x80 ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        unsigned char lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
        return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 ? 3 : 0;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        unsigned char lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
        return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 && (s[3] & 0xc0) == 0x80 ? 4 : 0;
    }
    return 0;
}

json_t *
iapt_json_str(const char *s)
{
    if (!s)
        return json_null();
    json_t *v = json_string(s);
    if (v)
        return v;
    /* Not valid UTF-8 (or out of memory): replace each bad byte. */
    size_t n = strlen(s);
    if (n > (SIZE_MAX - 1) / 3)
        return NULL;
    char *fixed = malloc(3 * n + 1);
    if (!fixed)
        return NULL;
    size_t o = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t len = s_utf8_len(p);
        if (len) {
            memcpy(fixed + o, p, len);
            o += len;
            p += len;
        } else {
            memcpy(fixed + o, "\xef\xbf\xbd", 3);
            o += 3;
            p++;
        }
    }
    fixed[o] = 0;
    v = json_stringn(fixed, o);
    free(fixed);
    return v;
}

json_t *
iapt_json_uint(uint64_t v)
{
    if (v > (uint64_t)INT64_MAX)
        return json_real((double)v);
    return json_integer((json_int_t)v);
}

json_t *
iapt_json_measure(const char *text)
{
    if (!text || !*text)
        return json_null();
    const char *p = text + (*text == '-');
    size_t digits = strspn(p, "0123456789");
    if (digits == 0 || digits > 15)
        return iapt_json_str(text);
    if (p[digits] == 0) {
        char *end;
        long long v = strtoll(text, &end, 10);
        return json_integer((json_int_t)v);
    }
    if (p[digits] == '.') {
        size_t frac = strspn(p + digits + 1, "0123456789");
        if (frac > 0 && digits + frac <= 15 && p[digits + 1 + frac] == 0)
            return json_real(strtod(text, NULL));
    }
    return iapt_json_str(text);
}

int
iapt_json_set(json_t *obj, const char *key, json_t *v)
{
    return v ? json_object_set_new(obj, key, v) : -1;
}

int
iapt_json_push(json_t *arr, json_t *v)
{
    return v ? json_array_append_new(arr, v) : -1;
}

int
iapt_json_dump(const json_t *v, iapt_buf_t *out)
{
    /* json_dumpb writes straight into the buffer's spare room; when that is
     * too small it says how much is needed, and the dump is made again. */
    size_t flags = IAPT_JSON_FLAGS | JSON_ENCODE_ANY, room = 512, need = 0;
    for (int attempt = 0; v && attempt < 2; attempt++) {
        if (iapt_buf_reserve(out, room + 1) < 0)
            break;
        need = json_dumpb(v, (char *)out->data + out->len, room, flags);
        if (need == 0)
            break; /* jansson could not encode it (out of memory) */
        if (need <= room) {
            out->len += need;
            out->data[out->len++] = '\n';
            out->data[out->len] = 0; /* as iapt_buf_append keeps it */
            return 0;
        }
        room = need;
    }
    return iapt_error_set(IAPT_ENOMEM, "json: out of memory");
}

int
iapt_json_write(const json_t *v, FILE *f)
{
    iapt_buf_t b = IAPT_BUF_INIT;
    int rc = iapt_json_dump(v, &b);
    if (rc == 0 && (fwrite(b.data, 1, b.len, f) != b.len || fflush(f) != 0))
        rc = iapt_error_set(IAPT_EIO, "writing JSON failed");
    iapt_buf_free(&b);
    return rc;
}
