/*
 * csv.h - a streaming RFC 4180 CSV reader for untrusted files.
 *
 * Accepts: UTF-8 (optional BOM), ',' separators, '"' quoting with '""'
 * escapes, LF or CRLF line ends, a last line without a line end.
 * Refuses, with IAPT_EFORMAT and "NAME:LINE: reason" in the error detail:
 * an unterminated quote, a quote inside an unquoted field or text after a
 * closing quote, NUL bytes, invalid UTF-8, and anything over the limits
 * (IAPT_ELIMIT): field length, fields per row, number of rows.
 * Memory stays bounded by the limits whatever the input claims.
 *
 * Ownership: iapt_csv_open* return an owned reader; the row returned by
 * iapt_csv_next and its strings belong to the reader and stay valid until
 * the next iapt_csv_next or iapt_csv_close. Fields are NUL-terminated (a
 * field never contains NUL). Not thread-safe; one reader per thread.
 */
#ifndef IAPT_CSV_H
#define IAPT_CSV_H

#include <stddef.h>
#include <stdint.h>

typedef struct iapt_csv_limits {
    size_t max_field;  /* bytes in one field (default 64 KiB) */
    size_t max_fields; /* fields in one row (default 256) */
    uint64_t max_rows; /* rows including the header (default 50 million) */
} iapt_csv_limits_t;

typedef struct iapt_csv_row {
    size_t n;      /* number of fields */
    char **field;  /* field[i] is NUL-terminated */
    size_t *len;   /* len[i] bytes in field[i] */
    uint64_t line; /* physical line (1-based) where the row starts */
} iapt_csv_row_t;

typedef struct iapt_csv iapt_csv_t;

/* Open a file; `limits` NULL for the defaults. IAPT_ENOTFOUND, IAPT_EIO. */
int iapt_csv_open(const char *path, const iapt_csv_limits_t *limits,
                  iapt_csv_t **out /* out, owned */);

/* Read from memory (not copied: data must outlive the reader); `name` is
 * used in error details. */
int iapt_csv_open_mem(const char *data, size_t len, const char *name,
                      const iapt_csv_limits_t *limits, iapt_csv_t **out /* out, owned */);

/* Next row: 1 and *row set, 0 at the end, or a negative error (the reader
 * is then unusable). An empty line is a row of one empty field. */
int iapt_csv_next(iapt_csv_t *csv, const iapt_csv_row_t **row /* out */);

/* Name given at open (the path for files). */
const char *iapt_csv_name(const iapt_csv_t *csv);

void iapt_csv_close(iapt_csv_t **csv_p);

/* Index of `name` in a header row, or -1. */
int iapt_csv_column(const iapt_csv_row_t *header, const char *name);

/* Write one field to `out`, quoted when it holds ',', '"', CR or LF. */
struct iapt_buf;
int iapt_csv_write_field(struct iapt_buf *out, const char *field);

#endif
