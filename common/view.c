/* view.c - the rows a programme view returns (common/stats.h
 * iapt_target_rows_t): region, measure, value, target, progress, with the
 * window of months they cover, and their text layout. */

#include "common/err.h"
#include "common/stats.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct iapt_target_rows {
    iapt_target_row_t *row;
    size_t n, cap;
    int months;
    char first[8], last[8]; /* the 12-month window, "YYYY-MM" */
};

void
iapt_target_rows_destroy(iapt_target_rows_t **rows_p)
{
    if (!rows_p || !*rows_p)
        return;
    iapt_target_rows_t *t = *rows_p;
    for (size_t i = 0; i < t->n; i++) {
        free((char *)t->row[i].region);
        free((char *)t->row[i].measure);
        free((char *)t->row[i].value);
        free((char *)t->row[i].target);
        free((char *)t->row[i].progress);
        free((char *)t->row[i].view);
        free((char *)t->row[i].group_type);
        free((char *)t->row[i].org_code);
    }
    free(t->row);
    free(t);
    *rows_p = NULL;
}

size_t
iapt_target_rows_count(const iapt_target_rows_t *rows)
{
    return rows ? rows->n : 0;
}

const iapt_target_row_t *
iapt_target_rows_get(const iapt_target_rows_t *rows, size_t i)
{
    return rows && i < rows->n ? &rows->row[i] : NULL;
}

int
iapt_target_rows_months(const iapt_target_rows_t *rows)
{
    return rows ? rows->months : 0;
}

iapt_target_rows_t *
iapt_target_rows_new(const char *first, const char *last, int months)
{
    iapt_target_rows_t *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->months = months;
    snprintf(t->first, sizeof t->first, "%s", first ? first : "");
    snprintf(t->last, sizeof t->last, "%s", last ? last : "");
    return t;
}

static int
s_add(iapt_target_rows_t *t, const char *const f[8])
{
    for (int i = 0; i < 8; i++)
        if (!f[i])
            return iapt_error_set(IAPT_EUSAGE, "view rows: missing field");
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        iapt_target_row_t *r = realloc(t->row, cap * sizeof *r);
        if (!r)
            return iapt_error_set(IAPT_ENOMEM, "view rows: out of memory");
        t->row = r;
        t->cap = cap;
    }
    char *c[8];
    bool ok = true;
    for (int i = 0; i < 8; i++)
        ok &= (c[i] = strdup(f[i])) != NULL;
    if (!ok) {
        for (int i = 0; i < 8; i++)
            free(c[i]);
        return iapt_error_set(IAPT_ENOMEM, "view rows: out of memory");
    }
    iapt_target_row_t r = {c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]};
    t->row[t->n++] = r;
    return 0;
}

int
iapt_target_rows_add(iapt_target_rows_t *t, const char *region, const char *measure,
                     const char *value, const char *target, const char *progress)
{
    if (!t)
        return iapt_error_set(IAPT_EUSAGE, "view rows: missing field");
    const char *f[8] = {region, measure, value, target, progress, "", "", ""};
    return s_add(t, f);
}

int
iapt_target_rows_add_value(iapt_target_rows_t *t, const char *view, const char *group_type,
                           const char *org_code, const char *org_name, const char *measure,
                           const char *value)
{
    if (!t)
        return iapt_error_set(IAPT_EUSAGE, "view rows: missing field");
    const char *f[8] = {org_name, measure, value, "", "", view, group_type, org_code};
    return s_add(t, f);
}

int
iapt_target_rows_text(const iapt_target_rows_t *rows, iapt_buf_t *out)
{
    static const char *const head[5] = {"REGION", "MEASURE", "VALUE", "TARGET", "PROGRESS (%)"};
    size_t width[5];
    int rc = 0;
    for (int c = 0; c < 5; c++)
        width[c] = strlen(head[c]);
    for (size_t i = 0; i < iapt_target_rows_count(rows); i++) {
        const iapt_target_row_t *r = &rows->row[i];
        const char *f[5] = {r->region, r->measure, r->value, r->target, r->progress};
        for (int c = 0; c < 5; c++)
            if (strlen(f[c]) > width[c])
                width[c] = strlen(f[c]);
    }
    if (rows)
        rc = iapt_buf_printf(out, "12 months %s to %s, %d with data (counts annualised)\n",
                             rows->first, rows->last, rows->months);
    for (size_t i = 0; rc == 0 && i <= iapt_target_rows_count(rows); i++) {
        const char *f[5];
        if (i == 0) {
            memcpy(f, head, sizeof f);
        } else {
            const iapt_target_row_t *r = &rows->row[i - 1];
            f[0] = r->region;
            f[1] = r->measure;
            f[2] = r->value;
            f[3] = r->target;
            f[4] = r->progress;
        }
        rc = iapt_buf_printf(out, "%-*s  %-*s  %*s  %*s  %*s\n", (int)width[0], f[0], (int)width[1],
                             f[1], (int)width[2], f[2], (int)width[3], f[3], (int)width[4], f[4]);
    }
    return rc ? iapt_error_set(IAPT_ENOMEM, "targets text: out of memory") : 0;
}
