/* test_json.c - the one JSON writer (common/json.h) and the outputs built
 * with it: quoting, control characters, non-ASCII and invalid UTF-8 text,
 * numbers as numbers, and the publication rows' JSON read back by a JSON
 * parser against the CSV. */
#include "common/collections/adult/adult_measures.h"
#include "common/err.h"
#include "common/json.h"
#include "common/stats.h"
#include "tests/test.h"

#include <jansson.h>

/* The dump of v (without its newline), or "" on failure; v is released. */
static char t_text[4096];
static const char *
s_dump(json_t *v)
{
    iapt_buf_t b = IAPT_BUF_INIT;
    t_text[0] = 0;
    if (v && iapt_json_dump(v, &b) == 0 && b.len > 0 && b.len < sizeof t_text) {
        memcpy(t_text, b.data, b.len - 1);
        t_text[b.len - 1] = 0;
    }
    iapt_buf_free(&b);
    json_decref(v);
    return t_text;
}

static void
test_strings(void)
{
    CHECK_EQ_STR(s_dump(iapt_json_str("plain")), "\"plain\"");
    CHECK_EQ_STR(s_dump(iapt_json_str("a \"quoted\" back\\slash")),
                 "\"a \\\"quoted\\\" back\\\\slash\"");
    CHECK_EQ_STR(s_dump(iapt_json_str("tab\there\nline\r\x01\x1f")),
                 "\"tab\\there\\nline\\r\\u0001\\u001F\"");
    /* Non-ASCII stays UTF-8 as written; "/" is not escaped. */
    CHECK_EQ_STR(s_dump(iapt_json_str("Hôpital Saint-Étienne / Ysbyty")),
                 "\"Hôpital Saint-Étienne / Ysbyty\"");
    CHECK_EQ_STR(s_dump(iapt_json_str("\xf0\x9f\x98\x80")), "\"\xf0\x9f\x98\x80\"");
    /* Windows-1252 bytes, a lone continuation byte, an overlong encoding
     * and a surrogate: each bad byte becomes U+FFFD, the rest is kept. */
    CHECK_EQ_STR(s_dump(iapt_json_str("caf\xe9 ok")), "\"caf\xef\xbf\xbd ok\"");
    CHECK_EQ_STR(s_dump(iapt_json_str("\x80x")), "\"\xef\xbf\xbdx\"");
    CHECK_EQ_STR(s_dump(iapt_json_str("\xc0\xaf")), "\"\xef\xbf\xbd\xef\xbf\xbd\"");
    CHECK_EQ_STR(s_dump(iapt_json_str("\xed\xa0\x80")), "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
    CHECK_EQ_STR(s_dump(iapt_json_str("end\xe2\x82")), "\"end\xef\xbf\xbd\xef\xbf\xbd\"");
    CHECK_EQ_STR(s_dump(iapt_json_str("")), "\"\"");
    CHECK_EQ_STR(s_dump(iapt_json_str(NULL)), "null");
}

static void
test_numbers(void)
{
    CHECK_EQ_STR(s_dump(iapt_json_uint(0)), "0");
    CHECK_EQ_STR(s_dump(iapt_json_uint(18446744073709551ULL)), "18446744073709551");
    CHECK_EQ_STR(s_dump(iapt_json_uint((uint64_t)INT64_MAX)), "9223372036854775807");
    /* Measure values: counts, one-decimal rates, suppression, empty. */
    CHECK_EQ_STR(s_dump(iapt_json_measure("10")), "10");
    CHECK_EQ_STR(s_dump(iapt_json_measure("0")), "0");
    CHECK_EQ_STR(s_dump(iapt_json_measure("66.7")), "66.7");
    CHECK_EQ_STR(s_dump(iapt_json_measure("12.0")), "12.0");
    CHECK_EQ_STR(s_dump(iapt_json_measure("0.1")), "0.1");
    CHECK_EQ_STR(s_dump(iapt_json_measure("100.0")), "100.0");
    CHECK_EQ_STR(s_dump(iapt_json_measure("-3")), "-3");
    CHECK_EQ_STR(s_dump(iapt_json_measure("123456789.5")), "123456789.5");
    CHECK_EQ_STR(s_dump(iapt_json_measure("*")), "\"*\"");
    CHECK_EQ_STR(s_dump(iapt_json_measure("")), "null");
    /* Anything else stays text, never a wrong number. */
    CHECK_EQ_STR(s_dump(iapt_json_measure("12.")), "\"12.\"");
    CHECK_EQ_STR(s_dump(iapt_json_measure("1e5")), "\"1e5\"");
    CHECK_EQ_STR(s_dump(iapt_json_measure("12%")), "\"12%\"");
    CHECK_EQ_STR(s_dump(iapt_json_measure("1234567890123456")), "\"1234567890123456\"");
}

static void
test_objects(void)
{
    json_t *o = json_object();
    CHECK_EQ_INT(iapt_json_set(o, "b", iapt_json_uint(2)), 0);
    CHECK_EQ_INT(iapt_json_set(o, "a", iapt_json_str("x\"y")), 0);
    CHECK_EQ_INT(iapt_json_set(o, "c", json_true()), 0);
    /* A NULL value (a failed constructor) is a failure, not a crash. */
    CHECK_EQ_INT(iapt_json_set(o, "d", NULL), -1);
    json_t *a = json_array();
    CHECK_EQ_INT(iapt_json_push(a, iapt_json_measure("5")), 0);
    CHECK_EQ_INT(iapt_json_push(a, NULL), -1);
    CHECK_EQ_INT(iapt_json_set(o, "list", a), 0);
    /* Keys in the order they were set, compact. */
    CHECK_EQ_STR(s_dump(o), "{\"b\":2,\"a\":\"x\\\"y\",\"c\":true,\"list\":[5]}");

    /* A value longer than the first try's room: dumped whole, appended
     * after what the buffer held, NUL kept after it. */
    char big[5001];
    memset(big, 'x', 5000);
    big[5000] = 0;
    big[4000] = '"';
    iapt_buf_t b = IAPT_BUF_INIT;
    CHECK_EQ_INT(iapt_buf_append(&b, "head:", 5), 0);
    json_t *bv = iapt_json_str(big);
    CHECK_EQ_INT(iapt_json_dump(bv, &b), 0);
    json_decref(bv);
    CHECK_EQ_INT(b.len, 5 + 1 + 5001 + 1 + 1);
    CHECK(b.len > 5 && memcmp(b.data, "head:\"xx", 8) == 0);
    CHECK(b.len > 4010 && memcmp(b.data + 5 + 1 + 4000, "\\\"", 2) == 0);
    CHECK(b.len > 2 && b.data[b.len - 1] == '\n' && b.data[b.len - 2] == '"' && b.data[b.len] == 0);
    iapt_buf_free(&b);

    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    json_t *v = json_array();
    CHECK(f && v);
    CHECK_EQ_INT(iapt_json_write(v, f), 0);
    fclose(f);
    CHECK_EQ_STR(text, "[]\n");
    free(text);
    json_decref(v);
}

/* A row as a client rebuilds it (iapt_stat_rows_append). */
static void
s_row(iapt_stat_rows_t **rows, const char *type, const char *code, const char *name, const char *id,
      const char *value)
{
    int prov = strcmp(type, "Provider") == 0;
    iapt_stat_row_t r = {"2025-09-01",
                         "2025-09-30",
                         0,
                         type,
                         prov ? "all" : code,
                         prov ? "all SubICBs" : name,
                         prov ? code : "all",
                         prov ? name : "all Providers",
                         "",
                         "",
                         id,
                         id[1] == '0' ? "Count_ReferralsReceived" : "Percentage_Recovery",
                         value,
                         0};
    CHECK_EQ_INT(iapt_stat_rows_append(rows, &iapt_adult_measure_schema, &r, false), 0);
}

/* The rows' JSON parsed by jansson: an array of objects, in the CSV's order,
 * with values as numbers, "*" or null. */
static void
test_stat_rows(void)
{
    iapt_stat_rows_t *rows = NULL;
    iapt_buf_t b = IAPT_BUF_INIT;

    /* No rows: an empty array. */
    CHECK_EQ_INT(iapt_stat_rows_json(rows, &b), 0);
    CHECK_EQ_INT(b.len, 3);
    CHECK_EQ_MEM(b.data, "[]\n", 3);
    b.len = 0;

    s_row(&rows, "England", "all", "England", "M001", "1234");
    s_row(&rows, "England", "all", "England", "M192", "66.7");
    s_row(&rows, "Provider", "RAB", "Trust \"B\"\tWales\n\xc3\xa9", "M001", "*");
    s_row(&rows, "Provider", "RAB", "Trust \"B\"\tWales\n\xc3\xa9", "M192", "");
    CHECK_EQ_INT(iapt_stat_rows_json(rows, &b), 0);
    json_error_t err;
    json_t *v = json_loadb((const char *)b.data, b.len, 0, &err);
    CHECK(v != NULL);
    if (!v) {
        fprintf(stderr, "not JSON: %s at %d\n", err.text, err.position);
        goto out;
    }
    CHECK(json_is_array(v));
    CHECK_EQ_INT(json_array_size(v), 4);
    json_t *r0 = json_array_get(v, 0), *r1 = json_array_get(v, 1);
    json_t *r2 = json_array_get(v, 2), *r3 = json_array_get(v, 3);
    CHECK(json_is_integer(json_object_get(r0, "measure_value_suppressed")));
    CHECK_EQ_INT(json_integer_value(json_object_get(r0, "measure_value_suppressed")), 1234);
    CHECK(json_is_real(json_object_get(r1, "measure_value_suppressed")));
    CHECK(json_real_value(json_object_get(r1, "measure_value_suppressed")) == 66.7);
    CHECK_EQ_STR(json_string_value(json_object_get(r2, "measure_value_suppressed")), "*");
    CHECK(json_is_null(json_object_get(r3, "measure_value_suppressed")));
    CHECK_EQ_STR(json_string_value(json_object_get(r2, "org_name2")),
                 "Trust \"B\"\tWales\n\xc3\xa9");
    CHECK_EQ_STR(json_string_value(json_object_get(r2, "org_code2")), "RAB");
    CHECK_EQ_INT(json_object_size(r0), 10); /* no breakdown columns */
    /* Every other field is a string, as in the CSV. */
    const char *key;
    json_t *val;
    json_object_foreach(r3, key, val)
    {
        if (strcmp(key, "measure_value_suppressed") != 0)
            CHECK(json_is_string(val));
    }
    /* One object per line. */
    size_t lines = 0;
    for (size_t i = 0; i < b.len; i++)
        lines += b.data[i] == '\n';
    CHECK_EQ_INT(lines, 6);
    json_decref(v);
out:
    iapt_buf_free(&b);
    iapt_stat_rows_destroy(&rows);
}

TEST_MAIN(test_strings, test_numbers, test_objects, test_stat_rows)
