/*
 * json.h - the one JSON writer. Every --json / --format json output is built
 * as a jansson value (Debian's libjansson) and written by the library, which
 * does the quoting (quotes, backslashes, control characters) and checks the
 * UTF-8; these helpers add what iapt's outputs share:
 *
 *   - text that is not valid UTF-8 (names a provider chose, values quoted
 *     from an extract) is written with each bad byte replaced by U+FFFD,
 *     never dropped and never failing the output;
 *   - counts are JSON integers; a measure value is a number when its text
 *     is one ("12", "66.7"), the string "*" when suppressed, and null when
 *     there was nothing to divide by (docs/MEASURES-NOTES.md "JSON");
 *   - one layout: compact (no spaces), a newline after the value.
 *
 * Building: the constructors return a new reference or NULL when out of
 * memory; iapt_json_set / iapt_json_push take over the reference given
 * (even on failure, and NULL is a failure), so a whole object is built
 * with `ok &= iapt_json_set(...) == 0` and checked once.
 *
 * Threads: jansson values are not shared between threads here; each output
 * builds its own.
 */
#ifndef IAPT_JSON_H
#define IAPT_JSON_H

#include "common/util.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

/* Dump flags of every iapt JSON output. Reals keep up to 15 significant
 * digits: "66.7" is written 66.7, not 66.700000000000003. */
#define IAPT_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

/* A JSON string of `s` (NULL gives JSON null); invalid UTF-8 bytes become
 * U+FFFD. NULL only when out of memory. */
json_t *iapt_json_str(const char *s);

/* A count: an integer (values past INT64_MAX, which no count reaches, are
 * written as the nearest real). */
json_t *iapt_json_uint(uint64_t v);

/* A measure value from its publication text: "" -> null, "*" -> "*",
 * a decimal number ("-"? digits, optionally "." digits) -> a JSON number
 * (integer without a point), anything else -> the text as a string. */
json_t *iapt_json_measure(const char *text);

/* obj[key] = v, taking v's reference. 0, or -1 (v NULL, out of memory). */
int iapt_json_set(json_t *obj, const char *key, json_t *v);

/* Append v to the array arr, taking v's reference. 0 or -1. */
int iapt_json_push(json_t *arr, json_t *v);

/* Append the dump of v and a newline to out. 0 or IAPT_ENOMEM. */
int iapt_json_dump(const json_t *v, iapt_buf_t *out);

/* Write the dump of v and a newline to f, flushed. 0 or IAPT_EIO. */
int iapt_json_write(const json_t *v, FILE *f);

#endif
