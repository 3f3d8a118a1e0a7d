/* providers.c - the hub's provider file (common/providers.h). */

#include "common/providers.h"
#include "common/csv.h"
#include "common/err.h"
#include "common/keys.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct iapt_providers {
    iapt_provider_t *p; /* sorted by org_code once read */
    size_t n, cap;
};

void
iapt_providers_destroy(iapt_providers_t **pp)
{
    if (!pp || !*pp)
        return;
    iapt_providers_t *t = *pp;
    for (size_t i = 0; i < t->n; i++) {
        free((char *)t->p[i].org_code);
        free((char *)t->p[i].org_name);
        free((char *)t->p[i].home_subicb);
    }
    free(t->p);
    free(t);
    *pp = NULL;
}

static bool
s_subicb_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0)
        return true;
    if (n < 3 || n > 5)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
            return false;
    return true;
}

static int
s_cmp(const void *a, const void *b)
{
    return strcmp(((const iapt_provider_t *)a)->org_code, ((const iapt_provider_t *)b)->org_code);
}

static int
s_read(iapt_csv_t *csv, iapt_providers_t **out)
{
    const char *name = iapt_csv_name(csv);
    const iapt_csv_row_t *row;
    int rc = iapt_csv_next(csv, &row);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return iapt_error_set(IAPT_EFORMAT, "%s:1: empty file, expected a header", name);
    int c_org = iapt_csv_column(row, "org_code"), c_home = iapt_csv_column(row, "home_subicb");
    int c_name = iapt_csv_column(row, "org_name");
    if (c_name < 0)
        c_name = iapt_csv_column(row, "name");
    if (c_org < 0)
        return iapt_error_set(IAPT_EFORMAT, "%s:%llu: no column org_code", name,
                              (unsigned long long)row->line);
    if (c_home < 0)
        return iapt_error_set(IAPT_EFORMAT, "%s:%llu: no column home_subicb", name,
                              (unsigned long long)row->line);
    iapt_providers_t *t = calloc(1, sizeof *t);
    if (!t)
        return iapt_error_set(IAPT_ENOMEM, "providers: out of memory");
    while ((rc = iapt_csv_next(csv, &row)) == 1) {
        unsigned long long line = (unsigned long long)row->line;
        if (row->n == 1 && row->len[0] == 0)
            continue; /* an empty line */
        size_t need = (size_t)(c_org > c_home ? c_org : c_home);
        if (c_name > (int)need)
            need = (size_t)c_name;
        if (row->n <= need) {
            rc = iapt_error_set(IAPT_EFORMAT, "%s:%llu: %zu fields, the header has more", name,
                                line, row->n);
            break;
        }
        const char *org = row->field[c_org], *home = row->field[c_home];
        const char *oname = c_name >= 0 ? row->field[c_name] : "";
        if (!iapt_org_code_valid(org)) {
            rc = iapt_error_set(IAPT_EFORMAT, "%s:%llu: org_code '%s' is not an organisation code",
                                name, line, org);
            break;
        }
        if (!s_subicb_ok(home)) {
            rc = iapt_error_set(IAPT_EFORMAT,
                                "%s:%llu: home_subicb '%s' is not 3 to 5 of [A-Z0-9] (or empty)",
                                name, line, home);
            break;
        }
        if (t->n == t->cap) {
            size_t cap = t->cap ? t->cap * 2 : 64;
            iapt_provider_t *p = realloc(t->p, cap * sizeof *p);
            if (!p) {
                rc = iapt_error_set(IAPT_ENOMEM, "providers: out of memory");
                break;
            }
            t->p = p;
            t->cap = cap;
        }
        iapt_provider_t *p = &t->p[t->n];
        p->org_code = strdup(org);
        p->org_name = strdup(oname);
        p->home_subicb = strdup(home);
        p->line = (unsigned long)line;
        t->n++;
        if (!p->org_code || !p->org_name || !p->home_subicb) {
            rc = iapt_error_set(IAPT_ENOMEM, "providers: out of memory");
            break;
        }
    }
    if (rc == 0 && t->n) {
        qsort(t->p, t->n, sizeof *t->p, s_cmp);
        for (size_t i = 1; i < t->n; i++)
            if (strcmp(t->p[i - 1].org_code, t->p[i].org_code) == 0) {
                unsigned long a = t->p[i - 1].line, b = t->p[i].line;
                rc = iapt_error_set(IAPT_EFORMAT,
                                    "%s:%lu: org_code %s given again (first at line %lu)", name,
                                    a > b ? a : b, t->p[i].org_code, a < b ? a : b);
                break;
            }
    }
    if (rc < 0) {
        iapt_providers_destroy(&t);
        return rc;
    }
    *out = t;
    return 0;
}

int
iapt_providers_load(const char *path, iapt_providers_t **out)
{
    iapt_csv_t *csv = NULL;
    *out = NULL;
    int rc = iapt_csv_open(path, NULL, &csv);
    if (rc < 0)
        return rc;
    rc = s_read(csv, out);
    iapt_csv_close(&csv);
    return rc;
}

int
iapt_providers_parse(const char *data, size_t len, const char *name, iapt_providers_t **out)
{
    iapt_csv_t *csv = NULL;
    *out = NULL;
    int rc = iapt_csv_open_mem(data, len, name, NULL, &csv);
    if (rc < 0)
        return rc;
    rc = s_read(csv, out);
    iapt_csv_close(&csv);
    return rc;
}

const iapt_provider_t *
iapt_providers_find(const iapt_providers_t *t, const char *org_code)
{
    if (!t || !org_code)
        return NULL;
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(t->p[mid].org_code, org_code);
        if (c == 0)
            return &t->p[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

size_t
iapt_providers_count(const iapt_providers_t *t)
{
    return t ? t->n : 0;
}

const iapt_provider_t *
iapt_providers_at(const iapt_providers_t *t, size_t i)
{
    return t && i < t->n ? &t->p[i] : NULL;
}
