/* cyp_tools.c - the CYP assessment-tool table: loading with every refusal
 * of docs/CYP.md, lookup and the comparisons every rule uses. */

#include "common/collections/cyp/cyp_tools.h"
#include "common/csv.h"
#include "common/err.h"
#include "common/sign.h"
#include "common/util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const s_columns[8] = {"code", "name",   "kind",     "min",
                                         "max",  "better", "caseness", "reliable_change"};
enum { COL_CODE, COL_NAME, COL_KIND, COL_MIN, COL_MAX, COL_BETTER, COL_CASENESS, COL_RELIABLE };

/* Spaces and tabs around a field are not part of it. Edits in place. */
static char *
s_trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    return s;
}

/* -?[0-9]+(\.[0-9]{1,2})? -> hundredths. 0; -1 when not of that syntax;
 * -2 when of it but beyond +-IAPT_CYP_TOOL_VALUE_MAX. */
static int
s_x100(const char *s, int32_t *out)
{
    int neg = 0, digits = 0, fdigits = 0, big = 0;
    int64_t v = 0, frac = 0;
    if (*s == '-') {
        neg = 1;
        s++;
    }
    for (; *s >= '0' && *s <= '9'; s++, digits++)
        if (!big && (v = v * 10 + (*s - '0')) > IAPT_CYP_TOOL_VALUE_MAX / 100)
            big = 1;
    if (digits == 0)
        return -1;
    if (*s == '.') {
        for (s++; *s >= '0' && *s <= '9'; s++) {
            if (++fdigits > 2)
                return -1;
            frac = frac * 10 + (*s - '0');
        }
        if (fdigits == 0)
            return -1;
    }
    if (*s)
        return -1;
    if (big)
        return -2;
    if (fdigits == 1)
        frac *= 10;
    v = v * 100 + frac;
    if (v > IAPT_CYP_TOOL_VALUE_MAX)
        return -2;
    *out = (int32_t)(neg ? -v : v);
    return 0;
}

/* Printable ASCII without space or comma, 1..IAPT_CYP_TOOL_CODE_MAX bytes. */
static bool
s_code_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > IAPT_CYP_TOOL_CODE_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] <= ' ' || s[i] > '~' || s[i] == ',')
            return false;
    return true;
}

/* Where each of the eight columns is: col[i] = position of s_columns[i]
 * (the first column of that name). Columns are found by name; other columns
 * are ignored. 0, or IAPT_EFORMAT naming the first missing column. */
static int
s_header(const iapt_csv_row_t *row, const char *name, size_t col[8])
{
    for (size_t i = 0; i < 8; i++) {
        col[i] = SIZE_MAX;
        for (size_t j = 0; j < row->n && col[i] == SIZE_MAX; j++)
            if (strcmp(s_trim(row->field[j]), s_columns[i]) == 0)
                col[i] = j;
        if (col[i] == SIZE_MAX)
            return iapt_error_set(IAPT_EFORMAT,
                                  "%s:%llu: column %s missing (the header needs "
                                  "code,name,kind,min,max,better,caseness,reliable_change)",
                                  name, (unsigned long long)row->line, s_columns[i]);
    }
    return 0;
}

#define S_FAIL(...) iapt_error_set(IAPT_EFORMAT, __VA_ARGS__)

/* One data row, appended to tools. 0 or IAPT_EFORMAT / IAPT_ELIMIT naming
 * the line. */
static int
s_parse_row(const iapt_csv_row_t *row, size_t n_header, const size_t col[8], const char *name,
            iapt_cyp_tools_t *tools)
{
    unsigned long long line = (unsigned long long)row->line;
    if (row->n != n_header)
        return S_FAIL("%s:%llu: %zu fields, the header has %zu", name, line, row->n, n_header);
    if (tools->n == IAPT_CYP_TOOLS_MAX)
        return iapt_error_set(IAPT_ELIMIT, "%s:%llu: more than %d tools", name, line,
                              IAPT_CYP_TOOLS_MAX);
    char *f[8];
    for (size_t i = 0; i < 8; i++)
        f[i] = s_trim(row->field[col[i]]);

    iapt_cyp_tool_t *t = &tools->tool[tools->n];
    memset(t, 0, sizeof *t);
    if (!s_code_ok(f[COL_CODE]))
        return S_FAIL("%s:%llu: code: empty, longer than %d bytes, or not printable ASCII "
                      "without space or comma",
                      name, line, IAPT_CYP_TOOL_CODE_MAX);
    memcpy(t->code, f[COL_CODE], strlen(f[COL_CODE]) + 1);
    if (!*f[COL_NAME] || !iapt_strlcpy(t->name, f[COL_NAME], sizeof t->name))
        return S_FAIL("%s:%llu: name: empty or longer than %d bytes", name, line,
                      IAPT_CYP_TOOL_NAME_MAX);
    if (strcmp(f[COL_KIND], "symptom") == 0)
        t->kind = IAPT_CYP_TOOL_SYMPTOM;
    else if (strcmp(f[COL_KIND], "goal") == 0)
        t->kind = IAPT_CYP_TOOL_GOAL;
    else
        return S_FAIL("%s:%llu: kind: must be symptom or goal", name, line);
    if (strcmp(f[COL_BETTER], "lower") == 0)
        t->better = IAPT_CYP_BETTER_LOWER;
    else if (strcmp(f[COL_BETTER], "higher") == 0)
        t->better = IAPT_CYP_BETTER_HIGHER;
    else
        return S_FAIL("%s:%llu: better: must be lower or higher", name, line);
    if (s_x100(f[COL_MIN], &t->min_x100) < 0)
        return S_FAIL(
            "%s:%llu: min: not a number (-?digits, two decimals at most, size at most 1000000)",
            name, line);
    if (s_x100(f[COL_MAX], &t->max_x100) < 0)
        return S_FAIL(
            "%s:%llu: max: not a number (-?digits, two decimals at most, size at most 1000000)",
            name, line);
    if (t->min_x100 > t->max_x100)
        return S_FAIL("%s:%llu: min is greater than max", name, line);
    if (s_x100(f[COL_RELIABLE], &t->reliable_x100) < 0)
        return S_FAIL("%s:%llu: reliable_change: not a number (-?digits, two decimals at most, "
                      "size at most 1000000)",
                      name, line);
    if (t->reliable_x100 <= 0)
        return S_FAIL("%s:%llu: reliable_change: must be greater than 0", name, line);
    if (*f[COL_CASENESS]) {
        if (s_x100(f[COL_CASENESS], &t->caseness_x100) < 0)
            return S_FAIL("%s:%llu: caseness: not a number (-?digits, two decimals at most, size "
                          "at most 1000000)",
                          name, line);
        t->has_caseness = true;
    }
    if (t->kind == IAPT_CYP_TOOL_SYMPTOM && !t->has_caseness)
        return S_FAIL("%s:%llu: a symptom tool needs a caseness", name, line);
    if (t->kind == IAPT_CYP_TOOL_GOAL) {
        if (t->has_caseness)
            return S_FAIL("%s:%llu: a goal tool has no caseness", name, line);
        if (t->better != IAPT_CYP_BETTER_HIGHER)
            return S_FAIL("%s:%llu: a goal tool must be better=higher", name, line);
        if (tools->goal >= 0)
            return S_FAIL("%s:%llu: a second goal tool (the first is %s)", name, line,
                          tools->tool[tools->goal].code);
    }
    for (int i = 0; i < tools->n; i++)
        if (strcmp(tools->tool[i].code, t->code) == 0)
            return S_FAIL("%s:%llu: code %s listed twice", name, line, t->code);
    if (t->kind == IAPT_CYP_TOOL_GOAL)
        tools->goal = tools->n;
    tools->n++;
    return 0;
}

int
iapt_cyp_tools_parse(const char *text, size_t len, const char *name, iapt_cyp_tools_t *tools)
{
    /* The table is small: tight limits keep a wrong file from costing much. */
    const iapt_csv_limits_t limits = {.max_field = 256, .max_fields = 64, .max_rows = 10000};
    iapt_csv_t *csv = NULL;
    const iapt_csv_row_t *row;
    int rc;

    if (!text || !name || !tools)
        return iapt_error_set(IAPT_EUSAGE, "iapt_cyp_tools_parse: NULL argument");
    memset(tools, 0, sizeof *tools);
    tools->goal = -1;
    if (len == 0)
        return S_FAIL("%s: empty", name);
    rc = iapt_csv_open_mem(text, len, name, &limits, &csv);
    if (rc < 0)
        return rc;
    rc = iapt_csv_next(csv, &row);
    if (rc == 0)
        rc = S_FAIL("%s: empty", name);
    if (rc < 0)
        goto done;
    size_t col[8], n_header = row->n;
    if ((rc = s_header(row, name, col)) < 0)
        goto done;
    while ((rc = iapt_csv_next(csv, &row)) > 0) {
        bool blank = true;
        for (size_t i = 0; i < row->n && blank; i++)
            blank = s_trim(row->field[i])[0] == '\0';
        if (blank)
            continue; /* a blank line, or a row of empty fields */
        if (s_trim(row->field[0])[0] == '#')
            continue; /* comment */
        if ((rc = s_parse_row(row, n_header, col, name, tools)) < 0)
            goto done;
    }
    if (rc < 0)
        goto done;
    if (tools->n == 0) {
        rc = S_FAIL("%s: no tools", name);
        goto done;
    }
    uint8_t hash[IAPT_SHA256_BYTES];
    iapt_sha256((const uint8_t *)text, len, hash);
    iapt_hex_encode(hash, sizeof hash, tools->sha256_hex);
    rc = 0;
done:
    iapt_csv_close(&csv);
    return rc < 0 ? rc : 0;
}

int
iapt_cyp_tools_load(const char *path, iapt_cyp_tools_t *tools)
{
    uint8_t *data;
    size_t len;
    if (!path || !tools)
        return iapt_error_set(IAPT_EUSAGE, "iapt_cyp_tools_load: NULL argument");
    int rc = iapt_file_read(path, 1 << 20, &data, &len);
    if (rc < 0)
        return rc;
    rc = iapt_cyp_tools_parse((const char *)data, len, path, tools);
    free(data);
    return rc;
}

int
iapt_cyp_tools_find(const iapt_cyp_tools_t *tools, const char *code)
{
    if (!code)
        return -1;
    for (int i = 0; i < tools->n; i++)
        if (strcmp(tools->tool[i].code, code) == 0)
            return i;
    return -1;
}

bool
iapt_cyp_tool_in_range(const iapt_cyp_tool_t *tool, int32_t value_x100)
{
    return value_x100 >= tool->min_x100 && value_x100 <= tool->max_x100;
}

bool
iapt_cyp_tool_at_caseness(const iapt_cyp_tool_t *tool, int32_t value_x100)
{
    if (tool->kind != IAPT_CYP_TOOL_SYMPTOM || !tool->has_caseness)
        return false;
    return tool->better == IAPT_CYP_BETTER_LOWER ? value_x100 >= tool->caseness_x100
                                                 : value_x100 <= tool->caseness_x100;
}

int64_t
iapt_cyp_tool_gain(const iapt_cyp_tool_t *tool, int32_t first_x100, int32_t last_x100)
{
    int64_t change = (int64_t)last_x100 - first_x100;
    return tool->better == IAPT_CYP_BETTER_HIGHER ? change : -change;
}

/* A trimmed copy of text (NULL is empty) in buf; false when it does not
 * fit. */
static bool
s_trimmed(const char *text, char *buf, size_t size)
{
    if (!text)
        text = "";
    while (*text == ' ' || *text == '\t')
        text++;
    size_t n = strlen(text);
    while (n > 0 && (text[n - 1] == ' ' || text[n - 1] == '\t'))
        n--;
    if (n >= size)
        return false;
    memcpy(buf, text, n);
    buf[n] = '\0';
    return true;
}

enum iapt_cyp_score_verdict
iapt_cyp_tools_check_score(const iapt_cyp_tools_t *tools, const char *code, const char *score,
                           const char *goal, iapt_cyp_score_row_t *out)
{
    char c[IAPT_CYP_TOOL_CODE_MAX + 1], v[64], g[8];
    out->tool = -1;
    out->value_x100 = 0;
    out->goal_number = 0;

    if (!s_trimmed(score, v, sizeof v))
        return IAPT_CYP_SCORE_BAD_VALUE;
    int rc = s_x100(v, &out->value_x100);
    if (rc == -1)
        return IAPT_CYP_SCORE_BAD_VALUE;
    /* A code longer than any the table can hold is in no table. */
    int t = s_trimmed(code, c, sizeof c) ? iapt_cyp_tools_find(tools, c) : -1;
    if (t < 0)
        return IAPT_CYP_SCORE_UNKNOWN_TOOL;
    out->tool = t;
    if (rc == -2)
        return IAPT_CYP_SCORE_OUT_OF_RANGE;
    const iapt_cyp_tool_t *tool = &tools->tool[t];
    if (!iapt_cyp_tool_in_range(tool, out->value_x100))
        return IAPT_CYP_SCORE_OUT_OF_RANGE;
    bool has_goal = s_trimmed(goal, g, sizeof g) ? g[0] != '\0' : true;
    if (tool->kind == IAPT_CYP_TOOL_SYMPTOM)
        return has_goal ? IAPT_CYP_SCORE_GOAL_ON_SYMPTOM : IAPT_CYP_SCORE_OK;
    if (!has_goal || g[1] != '\0' || g[0] < '1' || g[0] > '3')
        return IAPT_CYP_SCORE_GOAL_MISSING;
    out->goal_number = (unsigned)(g[0] - '0');
    return IAPT_CYP_SCORE_OK;
}

const char *
iapt_cyp_score_verdict_text(enum iapt_cyp_score_verdict verdict)
{
    switch (verdict) {
    case IAPT_CYP_SCORE_OK:
        return "valid";
    case IAPT_CYP_SCORE_BAD_VALUE:
        return "not a score (-?digits with two decimals at most)";
    case IAPT_CYP_SCORE_UNKNOWN_TOOL:
        return "tool code not in the tool table (score ignored)";
    case IAPT_CYP_SCORE_OUT_OF_RANGE:
        return "score outside the tool's range (score ignored)";
    case IAPT_CYP_SCORE_GOAL_MISSING:
        return "goal-based score without a goal number 1, 2 or 3 (score ignored)";
    case IAPT_CYP_SCORE_GOAL_ON_SYMPTOM:
        return "goal number on a symptom score (score ignored)";
    }
    return "unknown verdict";
}
