/* tools.c - the assessment-tool reference table. */

#include "common/tools.h"
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

int
iapt_tools_parse(const char *text, size_t len, const char *name, iapt_tools_t *tools)
{
    static const char header[] =
        "tool,snomed_code,min,max,caseness,reliable_change,role,descriptors";
    char line[512];
    int lineno = 0;
    size_t pos = 0;

    memset(tools, 0, sizeof *tools);
    tools->depression = tools->anxiety = -1;
    while (pos < len) {
        size_t start = pos;
        while (pos < len && text[pos] != '\n')
            pos++;
        size_t n = pos - start;
        pos++;
        lineno++;
        if (n && text[start + n - 1] == '\r')
            n--;
        if (n >= sizeof line)
            return iapt_error_set(IAPT_EFORMAT, "%s:%d: line too long", name, lineno);
        memcpy(line, text + start, n);
        line[n] = 0;
        if (lineno == 1) {
            if (strcmp(line, header) != 0)
                return iapt_error_set(IAPT_EFORMAT, "%s:1: header must be '%s'", name, header);
            continue;
        }
        if (n == 0 || line[0] == '#')
            continue;
        char *field[8];
        int nf = 0;
        char *p = line;
        for (;;) {
            if (nf == 8)
                return iapt_error_set(IAPT_EFORMAT, "%s:%d: more than 8 fields", name, lineno);
            field[nf++] = p;
            char *c = strchr(p, ',');
            if (!c)
                break;
            *c = 0;
            p = c + 1;
        }
        if (nf != 8)
            return iapt_error_set(IAPT_EFORMAT, "%s:%d: expected 8 fields, found %d", name, lineno,
                                  nf);
        if (tools->n == IAPT_TOOLS_MAX)
            return iapt_error_set(IAPT_ELIMIT, "%s:%d: more than %d tools", name, lineno,
                                  IAPT_TOOLS_MAX);
        iapt_tool_t *t = &tools->tool[tools->n];
        memset(t, 0, sizeof *t);
        if (!*field[0] || !iapt_strlcpy(t->name, field[0], sizeof t->name))
            return iapt_error_set(IAPT_EFORMAT, "%s:%d: bad tool name", name, lineno);
        char *end;
        t->code = strtoull(field[1], &end, 10);
        if (!*field[1] || *end || t->code == 0)
            return iapt_error_set(IAPT_EFORMAT, "%s:%d: snomed_code is not a number", name, lineno);
        if (s_x100(field[2], &t->min_x100) < 0 || s_x100(field[3], &t->max_x100) < 0 ||
            s_x100(field[4], &t->caseness_x100) < 0 || s_x100(field[5], &t->reliable_x100) < 0 ||
            t->min_x100 > t->max_x100 || t->reliable_x100 <= 0)
            return iapt_error_set(IAPT_EFORMAT,
                                  "%s:%d: min, max, caseness, reliable_change must be numbers "
                                  "(two decimals at most), min <= max, reliable_change > 0",
                                  name, lineno);
        if (strcmp(field[6], "depression") == 0)
            t->role = IAPT_TOOL_DEPRESSION;
        else if (strcmp(field[6], "anxiety") == 0)
            t->role = IAPT_TOOL_ANXIETY;
        else if (strcmp(field[6], "adsm") == 0)
            t->role = IAPT_TOOL_ADSM;
        else
            return iapt_error_set(IAPT_EFORMAT, "%s:%d: role must be depression, anxiety or adsm",
                                  name, lineno);
        if (t->role == IAPT_TOOL_ADSM) {
            for (char *d = strtok(field[7], ";"); d; d = strtok(NULL, ";")) {
                if (t->n_descriptors == IAPT_TOOL_DESCRIPTORS_MAX ||
                    !iapt_strlcpy(t->descriptors[t->n_descriptors], d, sizeof t->descriptors[0]))
                    return iapt_error_set(IAPT_EFORMAT, "%s:%d: too many or too long descriptors",
                                          name, lineno);
                t->n_descriptors++;
            }
            if (t->n_descriptors == 0)
                return iapt_error_set(IAPT_EFORMAT, "%s:%d: an adsm needs descriptors", name,
                                      lineno);
        } else if (*field[7]) {
            return iapt_error_set(IAPT_EFORMAT, "%s:%d: descriptors apply to adsm rows only", name,
                                  lineno);
        }
        for (int i = 0; i < tools->n; i++)
            if (tools->tool[i].code == t->code)
                return iapt_error_set(IAPT_EFORMAT, "%s:%d: code %llu listed twice", name, lineno,
                                      (unsigned long long)t->code);
        if (t->role == IAPT_TOOL_DEPRESSION) {
            if (tools->depression >= 0)
                return iapt_error_set(IAPT_EFORMAT, "%s:%d: second depression tool", name, lineno);
            tools->depression = tools->n;
        }
        if (t->role == IAPT_TOOL_ANXIETY) {
            if (tools->anxiety >= 0)
                return iapt_error_set(IAPT_EFORMAT, "%s:%d: second anxiety tool", name, lineno);
            tools->anxiety = tools->n;
        }
        tools->n++;
    }
    if (lineno == 0)
        return iapt_error_set(IAPT_EFORMAT, "%s: empty", name);
    if (tools->depression < 0 || tools->anxiety < 0)
        return iapt_error_set(IAPT_EFORMAT, "%s: needs one depression and one anxiety tool", name);
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
