/* Unit tests of common/csv: RFC 4180 reading and refusals. */
#include "common/csv.h"
#include "common/err.h"
#include "common/util.h"
#include "tests/test.h"

/* Read all rows of text; return the number of rows or the error code;
 * joins the fields of row `want_row` with '|' into out. */
static int
s_read(const char *text, size_t len, const iapt_csv_limits_t *lim, int want_row, char *out,
       size_t out_size)
{
    iapt_csv_t *c = NULL;
    const iapt_csv_row_t *row;
    int rc = iapt_csv_open_mem(text, len, "t.csv", lim, &c), n = 0;
    if (rc < 0)
        return rc;
    out[0] = 0;
    while ((rc = iapt_csv_next(c, &row)) == 1) {
        if (n == want_row) {
            for (size_t i = 0; i < row->n; i++) {
                strncat(out, row->field[i], out_size - strlen(out) - 2);
                if (i + 1 < row->n)
                    strncat(out, "|", out_size - strlen(out) - 1);
            }
        }
        n++;
    }
    iapt_csv_close(&c);
    return rc < 0 ? rc : n;
}

static void
test_basic(void)
{
    char out[256];
    const char t[] = "a,b,c\n1,2,3\n";
    CHECK_EQ_INT(s_read(t, sizeof t - 1, NULL, 1, out, sizeof out), 2);
    CHECK_EQ_STR(out, "1|2|3");
    const char crlf[] = "a,b\r\nx,\"y\"\r\n";
    CHECK_EQ_INT(s_read(crlf, sizeof crlf - 1, NULL, 1, out, sizeof out), 2);
    CHECK_EQ_STR(out, "x|y");
    const char nolf[] = "a,b\nx,y";
    CHECK_EQ_INT(s_read(nolf, sizeof nolf - 1, NULL, 1, out, sizeof out), 2);
    CHECK_EQ_STR(out, "x|y");
    const char bom[] = "\xEF\xBB\xBFh1,h2\n";
    CHECK_EQ_INT(s_read(bom, sizeof bom - 1, NULL, 0, out, sizeof out), 1);
    CHECK_EQ_STR(out, "h1|h2");
    const char empty[] = "a,,c\n,\n";
    CHECK_EQ_INT(s_read(empty, sizeof empty - 1, NULL, 0, out, sizeof out), 2);
    CHECK_EQ_STR(out, "a||c");
    CHECK_EQ_INT(s_read(empty, sizeof empty - 1, NULL, 1, out, sizeof out), 2);
    CHECK_EQ_STR(out, "|");
    CHECK_EQ_INT(s_read("", 0, NULL, 0, out, sizeof out), 0);
}

static void
test_quotes(void)
{
    char out[256];
    const char t[] = "\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\"\nnext,row,here\n";
    CHECK_EQ_INT(s_read(t, sizeof t - 1, NULL, 0, out, sizeof out), 2);
    CHECK_EQ_STR(out, "a,b|say \"hi\"|two\nlines");

    /* The line of the second row counts the embedded newline. */
    iapt_csv_t *c = NULL;
    const iapt_csv_row_t *row;
    CHECK_EQ_INT(iapt_csv_open_mem(t, sizeof t - 1, "t.csv", NULL, &c), 0);
    CHECK_EQ_INT(iapt_csv_next(c, &row), 1);
    CHECK_EQ_INT(row->line, 1);
    CHECK_EQ_INT(row->len[1], 8);
    CHECK_EQ_INT(iapt_csv_next(c, &row), 1);
    CHECK_EQ_INT(row->line, 3);
    CHECK_EQ_INT(iapt_csv_next(c, &row), 0);
    iapt_csv_close(&c);
}

static void
test_refusals(void)
{
    char out[256];
    const char unterminated[] = "a,b\n1,\"open\n2,3\n";
    CHECK_EQ_INT(s_read(unterminated, sizeof unterminated - 1, NULL, 0, out, sizeof out),
                 IAPT_EFORMAT);
    CHECK(strstr(iapt_error_detail(), "t.csv:2: unterminated") != NULL);
    const char after[] = "\"a\"b,c\n";
    CHECK_EQ_INT(s_read(after, sizeof after - 1, NULL, 0, out, sizeof out), IAPT_EFORMAT);
    const char inner[] = "a\"b,c\n";
    CHECK_EQ_INT(s_read(inner, sizeof inner - 1, NULL, 0, out, sizeof out), IAPT_EFORMAT);
    const char nul[] = "a,b\nc,d\0e\n";
    CHECK_EQ_INT(s_read(nul, sizeof nul - 1, NULL, 0, out, sizeof out), IAPT_EFORMAT);
    CHECK(strstr(iapt_error_detail(), "t.csv:2: NUL") != NULL);
    const char bad_utf8[] = "a,b\n\xC3\x28,x\n";
    CHECK_EQ_INT(s_read(bad_utf8, sizeof bad_utf8 - 1, NULL, 0, out, sizeof out), IAPT_EFORMAT);
    CHECK(strstr(iapt_error_detail(), "t.csv:2: invalid UTF-8") != NULL);
    const char overlong[] = "\xC0\xAF\n";
    CHECK_EQ_INT(s_read(overlong, sizeof overlong - 1, NULL, 0, out, sizeof out), IAPT_EFORMAT);
    const char surrogate[] = "\xED\xA0\x80\n";
    CHECK_EQ_INT(s_read(surrogate, sizeof surrogate - 1, NULL, 0, out, sizeof out), IAPT_EFORMAT);
    const char truncated[] = "ok,\xE2\x82";
    CHECK_EQ_INT(s_read(truncated, sizeof truncated - 1, NULL, 0, out, sizeof out), IAPT_EFORMAT);
    const char good_utf8[] = "caf\xC3\xA9,\xE2\x82\xAC,\xF0\x9F\x98\x80\n";
    CHECK_EQ_INT(s_read(good_utf8, sizeof good_utf8 - 1, NULL, 0, out, sizeof out), 1);
    const char bare_cr[] = "a\rb\n";
    CHECK_EQ_INT(s_read(bare_cr, sizeof bare_cr - 1, NULL, 0, out, sizeof out), IAPT_EFORMAT);
}

static void
test_limits(void)
{
    char out[256];
    iapt_csv_limits_t lim = {.max_field = 4, .max_fields = 3, .max_rows = 2};
    const char ok[] = "abcd,ab,a\n1,2,3\n";
    CHECK_EQ_INT(s_read(ok, sizeof ok - 1, &lim, 0, out, sizeof out), 2);
    const char long_field[] = "abcde\n";
    CHECK_EQ_INT(s_read(long_field, sizeof long_field - 1, &lim, 0, out, sizeof out), IAPT_ELIMIT);
    const char many[] = "a,b,c,d\n";
    CHECK_EQ_INT(s_read(many, sizeof many - 1, &lim, 0, out, sizeof out), IAPT_ELIMIT);
    const char rows[] = "a\nb\nc\n";
    CHECK_EQ_INT(s_read(rows, sizeof rows - 1, &lim, 0, out, sizeof out), IAPT_ELIMIT);
    CHECK(strstr(iapt_error_detail(), "t.csv:3") != NULL);
}

static void
test_write_field(void)
{
    iapt_buf_t b = IAPT_BUF_INIT;
    CHECK_EQ_INT(iapt_csv_write_field(&b, "plain"), 0);
    CHECK_EQ_INT(iapt_csv_write_field(&b, ",x"), 0);
    CHECK_EQ_INT(iapt_csv_write_field(&b, "a\"b"), 0);
    CHECK_EQ_STR((char *)b.data, "plain\",x\"\"a\"\"b\"");
    iapt_buf_free(&b);
}

static void
test_file(void)
{
    char path[600];
    snprintf(path, sizeof path, "%s/x.csv", t_tmpdir());
    /* A file larger than the 64 KiB read chunk, rows across chunk edges. */
    iapt_buf_t b = IAPT_BUF_INIT;
    iapt_buf_printf(&b, "id,name\n");
    for (int i = 0; i < 20000; i++)
        iapt_buf_printf(&b, "%d,\"n,%d\"\n", i, i);
    CHECK_EQ_INT(iapt_file_write_atomic(path, b.data, b.len, 0600), 0);
    iapt_buf_free(&b);
    iapt_csv_t *c = NULL;
    const iapt_csv_row_t *row;
    CHECK_EQ_INT(iapt_csv_open(path, NULL, &c), 0);
    int n = 0, ok = 1;
    CHECK_EQ_INT(iapt_csv_next(c, &row), 1);
    CHECK_EQ_INT(iapt_csv_column(row, "name"), 1);
    CHECK_EQ_INT(iapt_csv_column(row, "nope"), -1);
    while (iapt_csv_next(c, &row) == 1) {
        char want[32];
        snprintf(want, sizeof want, "n,%d", n);
        if (row->n != 2 || strcmp(row->field[1], want) != 0 || row->line != (uint64_t)n + 2)
            ok = 0;
        n++;
    }
    CHECK(ok);
    CHECK_EQ_INT(n, 20000);
    iapt_csv_close(&c);
    unlink(path);
    CHECK_EQ_INT(iapt_csv_open(path, NULL, &c), IAPT_ENOTFOUND);
}

TEST_MAIN(test_basic, test_quotes, test_refusals, test_limits, test_write_field, test_file)
