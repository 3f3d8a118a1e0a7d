/* util.c - buffers, file I/O, text encodings. */
#include "common/util.h"
#include "common/err.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int
iapt_buf_reserve(iapt_buf_t *b, size_t extra)
{
    if (extra > SIZE_MAX / 2 - b->len)
        return IAPT_ENOMEM;
    size_t need = b->len + extra + 1; /* room for a trailing NUL */
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    uint8_t *p = realloc(b->data, cap);
    if (!p)
        return IAPT_ENOMEM;
    b->data = p;
    b->cap = cap;
    return 0;
}

int
iapt_buf_append(iapt_buf_t *b, const void *data, size_t len)
{
    if (iapt_buf_reserve(b, len) < 0)
        return IAPT_ENOMEM;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = 0;
    return 0;
}

int
iapt_buf_printf(iapt_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || iapt_buf_reserve(b, (size_t)n) < 0)
        return IAPT_ENOMEM;
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

void
iapt_buf_free(iapt_buf_t *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

int
iapt_file_read(const char *path, size_t max_len, uint8_t **data, size_t *len)
{
    int rc = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return iapt_error_set(errno == ENOENT ? IAPT_ENOTFOUND : IAPT_EIO, "%s: %s", path,
                              strerror(errno));
    struct stat st;
    if (fstat(fd, &st) < 0) {
        rc = iapt_error_set(IAPT_EIO, "%s: %s", path, strerror(errno));
        goto out_close;
    }
    if ((uint64_t)st.st_size > max_len) {
        rc = iapt_error_set(IAPT_ELIMIT, "%s: %lld bytes, limit %zu", path, (long long)st.st_size,
                            max_len);
        goto out_close;
    }
    size_t size = (size_t)st.st_size;
    uint8_t *p = malloc(size + 1);
    if (!p) {
        rc = IAPT_ENOMEM;
        goto out_close;
    }
    size_t got = 0;
    while (got < size) {
        ssize_t r = read(fd, p + got, size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            free(p);
            rc = iapt_error_set(IAPT_EIO, "%s: short read", path);
            goto out_close;
        }
        got += (size_t)r;
    }
    p[size] = 0;
    *data = p;
    *len = size;
out_close:
    close(fd);
    return rc;
}

int
iapt_file_write_atomic(const char *path, const void *data, size_t len, unsigned mode)
{
    int rc = 0;
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid()) >= sizeof tmp)
        return iapt_error_set(IAPT_EUSAGE, "path too long: %s", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return iapt_error_set(IAPT_EIO, "%s: %s", tmp, strerror(errno));
    /* open() applies the umask; make the mode exact (secrets need 0600). */
    if (fchmod(fd, mode) < 0) {
        rc = iapt_error_set(IAPT_EIO, "%s: %s", tmp, strerror(errno));
        goto out_close;
    }
    const uint8_t *p = data;
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, p + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            rc = iapt_error_set(IAPT_EIO, "%s: %s", tmp, strerror(errno));
            goto out_close;
        }
        off += (size_t)w;
    }
    if (fsync(fd) < 0) {
        rc = iapt_error_set(IAPT_EIO, "%s: fsync: %s", tmp, strerror(errno));
        goto out_close;
    }
out_close:
    close(fd);
    if (rc == 0 && rename(tmp, path) < 0)
        rc = iapt_error_set(IAPT_EIO, "%s: %s", path, strerror(errno));
    if (rc < 0) {
        unlink(tmp);
        return rc;
    }
    char dir[4096];
    iapt_strlcpy(dir, path, sizeof dir);
    int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    return 0;
}

int
iapt_mkdir_p(const char *path, unsigned mode)
{
    char buf[4096];
    if (!iapt_strlcpy(buf, path, sizeof buf))
        return iapt_error_set(IAPT_EUSAGE, "path too long: %s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(buf, mode) < 0 && errno != EEXIST)
            return iapt_error_set(IAPT_EIO, "mkdir %s: %s", buf, strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, mode) < 0 && errno != EEXIST)
        return iapt_error_set(IAPT_EIO, "mkdir %s: %s", buf, strerror(errno));
    return 0;
}

void
iapt_hex_encode(const uint8_t *data, size_t len, char *out)
{
    sodium_bin2hex(out, 2 * len + 1, data, len);
}

int
iapt_hex_decode(const char *text, uint8_t *out, size_t out_len)
{
    size_t len = strlen(text), bin_len = 0;
    const char *end = NULL;
    if (len != 2 * out_len)
        return IAPT_EFORMAT;
    if (sodium_hex2bin(out, out_len, text, len, NULL, &bin_len, &end) != 0 || bin_len != out_len ||
        end != text + len)
        return IAPT_EFORMAT;
    return 0;
}

size_t
iapt_base64_len(size_t len)
{
    return sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
}

void
iapt_base64_encode(const uint8_t *data, size_t len, char *out)
{
    sodium_bin2base64(out, iapt_base64_len(len), data, len, sodium_base64_VARIANT_ORIGINAL);
}

int
iapt_base64_decode(const char *text, size_t text_len, uint8_t *out, size_t out_max, size_t *out_len)
{
    const char *end = NULL;
    if (sodium_base642bin(out, out_max, text, text_len, NULL, out_len, &end,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        end != text + text_len)
        return IAPT_EFORMAT;
    return 0;
}

bool
iapt_strlcpy(char *dst, const char *src, size_t dst_size)
{
    size_t n = strlen(src);
    if (dst_size == 0)
        return false;
    if (n >= dst_size) {
        memcpy(dst, src, dst_size - 1);
        dst[dst_size - 1] = 0;
        return false;
    }
    memcpy(dst, src, n + 1);
    return true;
}

int64_t
iapt_now(void)
{
    const char *fake = getenv("IAPT_NOW");
    if (fake && *fake)
        return strtoll(fake, NULL, 10);
    return (int64_t)time(NULL);
}

int64_t
iapt_clock_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
iapt_time_format(int64_t t, char out[21])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
