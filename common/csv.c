/* csv.c - streaming RFC 4180 reader with limits and UTF-8 validation. */
#include "common/csv.h"
#include "common/err.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_READ_CHUNK (64 * 1024)

struct iapt_csv {
    char name[512];
    int fd;             /* -1 for memory input */
    const uint8_t *mem; /* memory input, or NULL */
    size_t mem_len;
    uint8_t *buf;    /* file read buffer */
    size_t pos, end; /* unread bytes are buf[pos..end) or mem[pos..mem_len) */
    int eof;
    int failed;
    int started;   /* BOM check done */
    uint64_t line; /* current physical line */
    uint64_t rows;
    iapt_csv_limits_t lim;

    char *data; /* field bytes of the current row, NUL-separated */
    size_t data_len, data_cap;
    size_t *offs; /* start of each field in data */
    char **fields;
    size_t *lens;
    size_t nfields, fields_cap;
    iapt_csv_row_t row;

    /* UTF-8 validation state across bytes */
    int utf8_need; /* continuation bytes still expected */
    uint32_t utf8_cp;
    int utf8_len;
};

static void
s_defaults(iapt_csv_limits_t *lim, const iapt_csv_limits_t *given)
{
    lim->max_field = given && given->max_field ? given->max_field : 64 * 1024;
    lim->max_fields = given && given->max_fields ? given->max_fields : 256;
    lim->max_rows = given && given->max_rows ? given->max_rows : 50000000ULL;
}

static int
s_new(const char *name, const iapt_csv_limits_t *limits, iapt_csv_t **out)
{
    iapt_csv_t *c = calloc(1, sizeof *c);
    if (!c)
        return IAPT_ENOMEM;
    iapt_strlcpy(c->name, name, sizeof c->name);
    c->fd = -1;
    c->line = 1;
    s_defaults(&c->lim, limits);
    *out = c;
    return 0;
}

int
iapt_csv_open(const char *path, const iapt_csv_limits_t *limits, iapt_csv_t **out)
{
    iapt_csv_t *c;
    int rc = s_new(path, limits, &c);
    if (rc < 0)
        return rc;
    c->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (c->fd < 0) {
        rc = iapt_error_set(errno == ENOENT ? IAPT_ENOTFOUND : IAPT_EIO, "%s: %s", path,
                            strerror(errno));
        free(c);
        return rc;
    }
    c->buf = malloc(S_READ_CHUNK);
    if (!c->buf) {
        iapt_csv_close(&c);
        return IAPT_ENOMEM;
    }
    *out = c;
    return 0;
}

int
iapt_csv_open_mem(const char *data, size_t len, const char *name, const iapt_csv_limits_t *limits,
                  iapt_csv_t **out)
{
    iapt_csv_t *c;
    int rc = s_new(name, limits, &c);
    if (rc < 0)
        return rc;
    c->mem = (const uint8_t *)data;
    c->mem_len = len;
    c->end = len;
    c->eof = 1;
    *out = c;
    return 0;
}

const char *
iapt_csv_name(const iapt_csv_t *c)
{
    return c->name;
}

/* Next byte, or -1 at end of input, or -2 on a read error. */
static int
s_getc(iapt_csv_t *c)
{
    if (c->mem) {
        if (c->pos >= c->mem_len)
            return -1;
        return c->mem[c->pos++];
    }
    if (c->pos == c->end) {
        if (c->eof)
            return -1;
        ssize_t r;
        do
            r = read(c->fd, c->buf, S_READ_CHUNK);
        while (r < 0 && errno == EINTR);
        if (r < 0)
            return -2;
        if (r == 0) {
            c->eof = 1;
            return -1;
        }
        c->pos = 0;
        c->end = (size_t)r;
    }
    return c->buf[c->pos++];
}

/* Peek at the next byte without consuming it (same returns as s_getc). */
static int
s_peek(iapt_csv_t *c)
{
    int ch = s_getc(c);
    if (ch >= 0)
        c->pos--;
    return ch;
}

static int
s_fail(iapt_csv_t *c, int code, uint64_t line, const char *reason)
{
    c->failed = 1;
    return iapt_error_set(code, "%s:%llu: %s", c->name, (unsigned long long)line, reason);
}

/* Feed one byte to the UTF-8 validator: 0 ok, -1 invalid. */
static int
s_utf8(iapt_csv_t *c, int ch)
{
    if (c->utf8_need == 0) {
        if (ch < 0x80)
            return 0;
        if (ch >= 0xC2 && ch <= 0xDF) {
            c->utf8_need = 1;
            c->utf8_cp = (uint32_t)(ch & 0x1F);
        } else if (ch >= 0xE0 && ch <= 0xEF) {
            c->utf8_need = 2;
            c->utf8_cp = (uint32_t)(ch & 0x0F);
        } else if (ch >= 0xF0 && ch <= 0xF4) {
            c->utf8_need = 3;
            c->utf8_cp = (uint32_t)(ch & 0x07);
        } else {
            return -1;
        }
        c->utf8_len = c->utf8_need + 1;
        return 0;
    }
    if ((ch & 0xC0) != 0x80)
        return -1;
    c->utf8_cp = c->utf8_cp << 6 | (uint32_t)(ch & 0x3F);
    if (--c->utf8_need == 0) {
        uint32_t cp = c->utf8_cp;
        /* Overlong forms, surrogates and values past U+10FFFF are invalid. */
        if ((c->utf8_len == 3 && cp < 0x800) || (c->utf8_len == 4 && cp < 0x10000) ||
            (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
            return -1;
    }
    return 0;
}

static int
s_push(iapt_csv_t *c, int ch, uint64_t line)
{
    size_t field_len = c->data_len - c->offs[c->nfields - 1];
    if (field_len >= c->lim.max_field)
        return s_fail(c, IAPT_ELIMIT, line, "field longer than the limit");
    if (c->data_len + 1 >= c->data_cap) {
        size_t cap = c->data_cap ? c->data_cap * 2 : 1024;
        char *p = realloc(c->data, cap);
        if (!p)
            return s_fail(c, IAPT_ENOMEM, line, "out of memory");
        c->data = p;
        c->data_cap = cap;
    }
    c->data[c->data_len++] = (char)ch;
    return 0;
}

/* End the current field with a NUL (not counted against the field limit). */
static int
s_terminate(iapt_csv_t *c, uint64_t line)
{
    if (c->data_len + 1 >= c->data_cap) {
        size_t cap = c->data_cap ? c->data_cap * 2 : 1024;
        char *p = realloc(c->data, cap);
        if (!p)
            return s_fail(c, IAPT_ENOMEM, line, "out of memory");
        c->data = p;
        c->data_cap = cap;
    }
    c->data[c->data_len++] = 0;
    return 0;
}

/* Start a new field (terminating the previous one). */
static int
s_new_field(iapt_csv_t *c, uint64_t line)
{
    if (c->nfields > 0) {
        int rc = s_terminate(c, line);
        if (rc < 0)
            return rc;
    }
    if (c->nfields == c->lim.max_fields)
        return s_fail(c, IAPT_ELIMIT, line, "more fields in a row than the limit");
    if (c->nfields == c->fields_cap) {
        size_t cap = c->fields_cap ? c->fields_cap * 2 : 16;
        size_t *o = realloc(c->offs, cap * sizeof *o);
        if (!o)
            return s_fail(c, IAPT_ENOMEM, line, "out of memory");
        c->offs = o;
        char **f = realloc(c->fields, cap * sizeof *f);
        if (!f)
            return s_fail(c, IAPT_ENOMEM, line, "out of memory");
        c->fields = f;
        size_t *l = realloc(c->lens, cap * sizeof *l);
        if (!l)
            return s_fail(c, IAPT_ENOMEM, line, "out of memory");
        c->lens = l;
        c->fields_cap = cap;
    }
    c->offs[c->nfields++] = c->data_len;
    return 0;
}

static int
s_byte_ok(iapt_csv_t *c, int ch, uint64_t line)
{
    if (ch == 0)
        return s_fail(c, IAPT_EFORMAT, line, "NUL byte");
    if (s_utf8(c, ch) < 0)
        return s_fail(c, IAPT_EFORMAT, line, "invalid UTF-8");
    return 0;
}

int
iapt_csv_next(iapt_csv_t *c, const iapt_csv_row_t **row)
{
    if (c->failed)
        return iapt_error_set(IAPT_ESTATE, "%s: reader failed earlier", c->name);
    if (!c->started) {
        c->started = 1;
        /* Skip a UTF-8 byte order mark. */
        if (s_peek(c) == 0xEF) {
            int a = s_getc(c), b = s_getc(c), d = s_getc(c);
            if (!(a == 0xEF && b == 0xBB && d == 0xBF))
                return s_fail(c, IAPT_EFORMAT, 1, "invalid UTF-8");
        }
    }
    int ch = s_getc(c);
    if (ch == -2)
        return s_fail(c, IAPT_EIO, c->line, "read error");
    if (ch == -1)
        return 0;
    if (c->rows == c->lim.max_rows)
        return s_fail(c, IAPT_ELIMIT, c->line, "more rows than the limit");

    uint64_t start_line = c->line;
    c->data_len = 0;
    c->nfields = 0;
    int rc = s_new_field(c, start_line);
    if (rc < 0)
        return rc;

    enum { FIELD_START, UNQUOTED, QUOTED, QUOTE_IN_QUOTED } st = FIELD_START;
    uint64_t quote_line = start_line;
    for (;; ch = s_getc(c)) {
        if (ch == -2)
            return s_fail(c, IAPT_EIO, c->line, "read error");
        if (ch == -1) {
            if (st == QUOTED)
                return s_fail(c, IAPT_EFORMAT, quote_line, "unterminated quoted field");
            break;
        }
        if ((rc = s_byte_ok(c, ch, c->line)) < 0)
            return rc;
        if (st == QUOTED) {
            if (ch == '"') {
                st = QUOTE_IN_QUOTED;
                continue;
            }
            if (ch == '\n')
                c->line++;
            if ((rc = s_push(c, ch, c->line)) < 0)
                return rc;
            continue;
        }
        if (st == QUOTE_IN_QUOTED) {
            if (ch == '"') { /* "" is one quote */
                st = QUOTED;
                if ((rc = s_push(c, '"', c->line)) < 0)
                    return rc;
                continue;
            }
            if (ch != ',' && ch != '\n' && ch != '\r')
                return s_fail(c, IAPT_EFORMAT, c->line, "text after a closing quote");
            st = UNQUOTED; /* handle the separator below */
        }
        if (ch == ',') {
            if ((rc = s_new_field(c, c->line)) < 0)
                return rc;
            st = FIELD_START;
            continue;
        }
        if (ch == '\r') {
            int nx = s_peek(c);
            if (nx == '\n')
                continue; /* CRLF: the LF ends the row */
            return s_fail(c, IAPT_EFORMAT, c->line, "carriage return without line feed");
        }
        if (ch == '\n') {
            c->line++;
            break;
        }
        if (ch == '"') {
            if (st != FIELD_START)
                return s_fail(c, IAPT_EFORMAT, c->line, "quote inside an unquoted field");
            st = QUOTED;
            quote_line = c->line;
            continue;
        }
        st = UNQUOTED;
        if ((rc = s_push(c, ch, c->line)) < 0)
            return rc;
    }
    if (c->utf8_need)
        return s_fail(c, IAPT_EFORMAT, start_line, "invalid UTF-8");
    if ((rc = s_terminate(c, c->line)) < 0)
        return rc;
    for (size_t i = 0; i < c->nfields; i++) {
        c->fields[i] = c->data + c->offs[i];
        size_t next = i + 1 < c->nfields ? c->offs[i + 1] - 1 : c->data_len - 1;
        c->lens[i] = next - c->offs[i];
        c->fields[i][c->lens[i]] = 0;
    }
    c->rows++;
    c->row.n = c->nfields;
    c->row.field = c->fields;
    c->row.len = c->lens;
    c->row.line = start_line;
    *row = &c->row;
    return 1;
}

void
iapt_csv_close(iapt_csv_t **csv_p)
{
    iapt_csv_t *c = *csv_p;
    if (!c)
        return;
    if (c->fd >= 0)
        close(c->fd);
    free(c->buf);
    free(c->data);
    free(c->offs);
    free(c->fields);
    free(c->lens);
    free(c);
    *csv_p = NULL;
}

int
iapt_csv_column(const iapt_csv_row_t *header, const char *name)
{
    for (size_t i = 0; i < header->n; i++)
        if (strcmp(header->field[i], name) == 0)
            return (int)i;
    return -1;
}

int
iapt_csv_write_field(iapt_buf_t *out, const char *field)
{
    if (!strpbrk(field, ",\"\r\n"))
        return iapt_buf_append(out, field, strlen(field));
    int rc = iapt_buf_append(out, "\"", 1);
    for (const char *p = field; rc == 0 && *p; p++)
        rc = *p == '"' ? iapt_buf_append(out, "\"\"", 2) : iapt_buf_append(out, p, 1);
    return rc ? rc : iapt_buf_append(out, "\"", 1);
}
