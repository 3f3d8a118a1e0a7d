/*
 * util.h - small helpers: growable byte buffers, whole-file I/O, hex and
 * base64 text, safe string copies.
 *
 * Ownership: an iapt_buf_t owns its data; iapt_buf_free releases it and leaves
 * an empty buffer. iapt_file_read returns malloc'd memory the caller frees.
 */
#ifndef IAPT_UTIL_H
#define IAPT_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct iapt_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
} iapt_buf_t;

#define IAPT_BUF_INIT                                                                              \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

/* Make room for `extra` more bytes. 0 or IAPT_ENOMEM. */
int iapt_buf_reserve(iapt_buf_t *b, size_t extra);

/* Append bytes. 0 or IAPT_ENOMEM. */
int iapt_buf_append(iapt_buf_t *b, const void *data, size_t len);

/* Append printf-formatted text (no NUL counted in len, but one is kept
 * after the data). 0 or IAPT_ENOMEM. */
int iapt_buf_printf(iapt_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void iapt_buf_free(iapt_buf_t *b);

/* Read a whole file of at most max_len bytes into malloc'd memory (one extra
 * NUL byte is added, not counted). IAPT_ENOTFOUND, IAPT_EIO or IAPT_ELIMIT. */
int iapt_file_read(const char *path, size_t max_len, uint8_t **data /* out, owned */,
                   size_t *len /* out */);

/* Write a file atomically: a temporary file in the same directory, fsync,
 * rename, fsync of the directory. `mode` as for open(2). */
int iapt_file_write_atomic(const char *path, const void *data, size_t len, unsigned mode);

/* mkdir -p with the given mode for new directories. */
int iapt_mkdir_p(const char *path, unsigned mode);

/* Lower-case hex of `len` bytes into out (2*len+1 bytes incl. NUL), by
 * libsodium's sodium_bin2hex (constant time). */
void iapt_hex_encode(const uint8_t *data, size_t len, char *out);

/* Decode exactly out_len bytes of hex (upper or lower case; nothing else
 * allowed) by sodium_hex2bin. 0 or IAPT_EFORMAT. */
int iapt_hex_decode(const char *text, uint8_t *out, size_t out_len);

/* Standard base64 with padding (RFC 4648 section 4), NUL-terminated.
 * out must hold iapt_base64_len(len) bytes. */
size_t iapt_base64_len(size_t len);
void iapt_base64_encode(const uint8_t *data, size_t len, char *out);

/* Decode standard padded base64 of `text_len` chars into at most out_max
 * bytes. 0 and *out_len set, or IAPT_EFORMAT. */
int iapt_base64_decode(const char *text, size_t text_len, uint8_t *out, size_t out_max,
                       size_t *out_len /* out */);

/* Copy a NUL-terminated string into dst of size dst_size; false (and dst
 * holds a truncated copy) when it did not fit. */
bool iapt_strlcpy(char *dst, const char *src, size_t dst_size);

/* Current wall-clock time, unix seconds. $IAPT_NOW overrides it (tests). */
int64_t iapt_now(void);

/* Monotonic milliseconds. */
int64_t iapt_clock_ms(void);

/* Format unix seconds as "YYYY-MM-DDTHH:MM:SSZ" (21 bytes incl. NUL). */
void iapt_time_format(int64_t t, char out[21]);

#endif
