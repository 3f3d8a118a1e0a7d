/* tools.c - the assessment-tool reference table. */

#include "common/tools.h"
#include "common/csv.h"
#include "common/err.h"
#include "common/util.h"

#include <stdlib.h>
#include <string.h>

static void
s_set(iapt_tool_t *t, const char *name, uint64_t code, int min, int max, int caseness, int reliable,
      enum iapt_tool_role role)
{
    memset(t, 0, sizeof *t);
    iapt_strlcpy(t->name, name, sizeof t->name);
    t->code = code;
    t->min_x100 = min * 100;
    t->max_x100 = max * 100;
    t->caseness_x100 = caseness * 100;
    t->reliable_x100 = reliable * 100;
    t->role = role;
}

void
iapt_tools_default(iapt_tools_t *tools)
{
    memset(tools, 0, sizeof *tools);
    s_set(&tools->tool[0], "PHQ-9", 720433000ULL, 0, 27, 10, 6, IAPT_TOOL_DEPRESSION);
    s_set(&tools->tool[1], "GAD-7", 445455005ULL, 0, 21, 8, 4, IAPT_TOOL_ANXIETY);
    tools->n = 2;
    tools->depression = 0;
    tools->anxiety = 1;
}

/* "12", "12.5", "12.25" -> 1200, 1250, 1225. */
static int
s_x100(const char *s, int32_t *out)
{
    int neg = 0;
    long v = 0;
    int frac = 0, fdigits = 0, digits = 0;
    if (*s == '-') {
        neg = 1;
        s++;
    }
    for (; *s >= '0' && *s <= '9'; s++, digits++)
        if ((v = v * 10 + (*s - '0')) > 1000000)
            return -1;
    if (*s == '.') {
        for (s++; *s >= '0' && *s <= '9'; s++)
            if (++fdigits > 2)
                return -1;
            else
                frac = frac * 10 + (*s - '0');
        if (fdigits == 0)
            return -1;
    }
    if (*s || digits == 0)
        return -1;
    if (fdigits == 1)
        frac *= 10;
    *out = (int32_t)((v * 100 + frac) * (neg ? -1 : 1));
    return 0;
}

static const char *const s_columns[8] = {"tool",     "snomed_code",     "min",  "max",
                                         "caseness", "reliable_change", "role", "descriptors"};

/* The header row must be the eight column names in order. */
static int
s_header_ok(const iapt_csv_row_t *row)
{
    if (row->n != 8)
        return 0;
    for (size_t i = 0; i < 8; i++)
        if (strcmp(row->field[i], s_columns[i]) != 0)
            return 0;
    return 1;
}

static int s_parse_row(const iapt_csv_row_t *row, const char *name, iapt_tools_t *tools);

int
iapt_tools_parse(const char *text, size_t len, const char *name, iapt_tools_t *tools)
{
    /* The table is small: tight limits keep a wrong file from costing much. */
    const iapt_csv_limits_t limits = {.max_field = 256, .max_fields = 16, .max_rows = 10000};
    iapt_csv_t *csv = NULL;
    const iapt_csv_row_t *row;
    int rc;

    memset(tools, 0, sizeof *tools);
    tools->depression = tools->anxiety = -1;
    if (len == 0)
        return iapt_error_set(IAPT_EFORMAT, "%s: empty", name);
    rc = iapt_csv_open_mem(text, len, name, &limits, &csv);
    if (rc < 0)
        return rc;
    rc = iapt_csv_next(csv, &row);
    if (rc == 0) {
        rc = iapt_error_set(IAPT_EFORMAT, "%s: empty", name);
        goto done;
    }
    if (rc < 0)
        goto done;
    if (!s_header_ok(row)) {
        rc = iapt_error_set(IAPT_EFORMAT,
                            "%s:1: header must be "
                            "'tool,snomed_code,min,max,caseness,reliable_change,role,descriptors'",
                            name);
        goto done;
    }
    while ((rc = iapt_csv_next(csv, &row)) > 0) {
        /* Blank lines and lines starting with '#' are comments. */
        if (row->n == 1 && row->len[0] == 0)
            continue;
        if (row->field[0][0] == '#')
            continue;
        if ((rc = s_parse_row(row, name, tools)) < 0)
            goto done;
    }
    if (rc < 0)
        goto done;
    if (tools->depression < 0 || tools->anxiety < 0)
        rc = iapt_error_set(IAPT_EFORMAT, "%s: needs one depression and one anxiety tool", name);
done:
    iapt_csv_close(&csv);
    return rc < 0 ? rc : 0;
}

/* One data row of the table, appended to tools. 0 or IAPT_EFORMAT /
 * IAPT_ELIMIT naming the line. */
static int
s_parse_row(const iapt_csv_row_t *row, const char *name, iapt_tools_t *tools)
{
    unsigned long long lineno = (unsigned long long)row->line;
    char *const *field = row->field;
    if (row->n != 8)
        return iapt_error_set(IAPT_EFORMAT, "%s:%llu: expected 8 fields, found %zu", name, lineno,
                              row->n);
    if (tools->n == IAPT_TOOLS_MAX)
        return iapt_error_set(IAPT_ELIMIT, "%s:%llu: more than %d tools", name, lineno,
                              IAPT_TOOLS_MAX);
    iapt_tool_t *t = &tools->tool[tools->n];
    memset(t, 0, sizeof *t);
    if (!*field[0] || !iapt_strlcpy(t->name, field[0], sizeof t->name))
        return iapt_error_set(IAPT_EFORMAT, "%s:%llu: bad tool name", name, lineno);
    char *end;
    t->code = strtoull(field[1], &end, 10);
    if (!*field[1] || *end || t->code == 0)
        return iapt_error_set(IAPT_EFORMAT, "%s:%llu: snomed_code is not a number", name, lineno);
    if (s_x100(field[2], &t->min_x100) < 0 || s_x100(field[3], &t->max_x100) < 0 ||
        s_x100(field[4], &t->caseness_x100) < 0 || s_x100(field[5], &t->reliable_x100) < 0 ||
        t->min_x100 > t->max_x100 || t->reliable_x100 <= 0)
        return iapt_error_set(IAPT_EFORMAT,
                              "%s:%llu: min, max, caseness, reliable_change must be numbers "
                              "(two decimals at most), min <= max, reliable_change > 0",
                              name, lineno);
    if (strcmp(field[6], "depression") == 0)
        t->role = IAPT_TOOL_DEPRESSION;
    else if (strcmp(field[6], "anxiety") == 0)
        t->role = IAPT_TOOL_ANXIETY;
    else if (strcmp(field[6], "adsm") == 0)
        t->role = IAPT_TOOL_ADSM;
    else
        return iapt_error_set(IAPT_EFORMAT, "%s:%llu: role must be depression, anxiety or adsm",
                              name, lineno);
    if (t->role == IAPT_TOOL_ADSM) {
        char list[256], *save = NULL;
        iapt_strlcpy(list, field[7], sizeof list);
        for (char *d = strtok_r(list, ";", &save); d; d = strtok_r(NULL, ";", &save)) {
            if (t->n_descriptors == IAPT_TOOL_DESCRIPTORS_MAX ||
                !iapt_strlcpy(t->descriptors[t->n_descriptors], d, sizeof t->descriptors[0]))
                return iapt_error_set(IAPT_EFORMAT, "%s:%llu: too many or too long descriptors",
                                      name, lineno);
            t->n_descriptors++;
        }
        if (t->n_descriptors == 0)
            return iapt_error_set(IAPT_EFORMAT, "%s:%llu: an adsm needs descriptors", name, lineno);
    } else if (*field[7]) {
        return iapt_error_set(IAPT_EFORMAT, "%s:%llu: descriptors apply to adsm rows only", name,
                              lineno);
    }
    for (int i = 0; i < tools->n; i++)
        if (tools->tool[i].code == t->code)
            return iapt_error_set(IAPT_EFORMAT, "%s:%llu: code %llu listed twice", name, lineno,
                                  (unsigned long long)t->code);
    if (t->role == IAPT_TOOL_DEPRESSION) {
        if (tools->depression >= 0)
            return iapt_error_set(IAPT_EFORMAT, "%s:%llu: second depression tool", name, lineno);
        tools->depression = tools->n;
    }
    if (t->role == IAPT_TOOL_ANXIETY) {
        if (tools->anxiety >= 0)
            return iapt_error_set(IAPT_EFORMAT, "%s:%llu: second anxiety tool", name, lineno);
        tools->anxiety = tools->n;
    }
    tools->n++;
    return 0;
}

int
iapt_tools_load(const char *path, iapt_tools_t *tools)
{
    uint8_t *data;
    size_t len;
    int rc = iapt_file_read(path, 1 << 20, &data, &len);
    if (rc < 0)
        return rc;
    rc = iapt_tools_parse((const char *)data, len, path, tools);
    free(data);
    return rc;
}

int
iapt_tools_find(const iapt_tools_t *tools, uint64_t code)
{
    for (int i = 0; i < tools->n; i++)
        if (tools->tool[i].code == code)
            return i;
    return -1;
}

int
iapt_tool_in_range(const iapt_tool_t *tool, int32_t value_x100)
{
    return value_x100 >= tool->min_x100 && value_x100 <= tool->max_x100;
}

int
iapt_tools_adsm_for(const iapt_tools_t *tools, const char *problem_code)
{
    int best = -1;
    size_t best_len = 0;
    for (int i = 0; i < tools->n; i++) {
        const iapt_tool_t *t = &tools->tool[i];
        if (t->role != IAPT_TOOL_ADSM)
            continue;
        for (int j = 0; j < t->n_descriptors; j++) {
            size_t n = strlen(t->descriptors[j]);
            if (n > best_len && strncmp(problem_code, t->descriptors[j], n) == 0) {
                best = i;
                best_len = n;
            }
        }
    }
    return best;
}
