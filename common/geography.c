/* geography.c - the geography file and the SHA targets table. */

#include "common/geography.h"
#include "common/csv.h"
#include "common/err.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Names longer than this are refused: they are labels, not documents. */
#define NAME_MAX_BYTES 256
/* Neither table has any business being larger than this. */
#define ROWS_MAX 10000

/* ------------------------------------------------------------------------
 * Reading a table: required columns by name, one callback per data row
 * ---------------------------------------------------------------------- */

typedef int (*s_row_fn)(void *arg, const char *const *field, const char *name, uint64_t line);

/* The columns of a table beyond its required ones (header order), given to
 * s_read_table's caller: names once, then each row's fields. */
#define EXTRA_MAX 16
typedef struct {
    size_t n;
    int col[EXTRA_MAX];
    const char *name[EXTRA_MAX]; /* the header row's, valid during the header callback */
    const char *field[EXTRA_MAX];
} s_extra_t;

static int
s_read_table(iapt_csv_t *csv, const char *const *columns, int n_columns, s_row_fn fn, void *arg,
             s_extra_t *extra, int (*header_fn)(void *arg, const s_extra_t *extra))
{
    const iapt_csv_row_t *row;
    int col[8];
    int rc = iapt_csv_next(csv, &row);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return iapt_error_set(IAPT_EFORMAT, "%s: empty (no header)", iapt_csv_name(csv));
    for (int i = 0; i < n_columns; i++)
        if ((col[i] = iapt_csv_column(row, columns[i])) < 0)
            return iapt_error_set(IAPT_EFORMAT, "%s:1: no column %s", iapt_csv_name(csv),
                                  columns[i]);
    size_t n_header = row->n;
    if (extra) {
        extra->n = 0;
        for (size_t j = 0; j < row->n; j++) {
            bool required = false;
            for (int i = 0; i < n_columns; i++)
                required |= col[i] == (int)j;
            if (required || row->len[j] == 0)
                continue;
            if (extra->n == EXTRA_MAX)
                return iapt_error_set(IAPT_ELIMIT, "%s:1: more than %d optional columns",
                                      iapt_csv_name(csv), EXTRA_MAX);
            extra->col[extra->n] = (int)j;
            extra->name[extra->n++] = row->field[j];
        }
        if (header_fn && (rc = header_fn(arg, extra)) < 0)
            return rc;
    }
    uint64_t rows = 0;
    while ((rc = iapt_csv_next(csv, &row)) == 1) {
        if (row->n == 1 && row->len[0] == 0)
            continue;
        if (row->n != n_header)
            return iapt_error_set(IAPT_EFORMAT, "%s:%llu: %zu fields, the header has %zu",
                                  iapt_csv_name(csv), (unsigned long long)row->line, row->n,
                                  n_header);
        if (++rows > ROWS_MAX)
            return iapt_error_set(IAPT_ELIMIT, "%s:%llu: more than %d rows", iapt_csv_name(csv),
                                  (unsigned long long)row->line, ROWS_MAX);
        const char *field[8];
        for (int i = 0; i < n_columns; i++)
            field[i] = row->field[col[i]];
        for (size_t i = 0; extra && i < extra->n; i++)
            extra->field[i] = row->field[extra->col[i]];
        if ((rc = fn(arg, field, iapt_csv_name(csv), row->line)) < 0)
            return rc;
    }
    return rc;
}

static bool
s_code_ok(const char *s, size_t min, size_t max)
{
    size_t n = strlen(s);
    if (n < min || n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
            return false;
    return true;
}

static bool
s_name_ok(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n <= NAME_MAX_BYTES;
}

/* ------------------------------------------------------------------------
 * Geography
 * ---------------------------------------------------------------------- */

typedef struct {
    iapt_geo_area_t area; /* first: an area pointer is its s_area_t */
    uint64_t line;
    char *extra[EXTRA_MAX]; /* the optional columns' fields */
} s_area_t;

struct iapt_geography {
    s_area_t *a; /* sorted by sub-ICB code once loaded */
    size_t n, cap;
    size_t n_extra;
    char *extra_name[EXTRA_MAX]; /* optional columns, header order */
    s_extra_t reading;           /* while reading */
};

static void
s_area_free(s_area_t *a)
{
    free((char *)a->area.subicb_code);
    free((char *)a->area.subicb_name);
    free((char *)a->area.icb_code);
    free((char *)a->area.icb_name);
    free((char *)a->area.region_code);
    free((char *)a->area.region_name);
    for (size_t i = 0; i < EXTRA_MAX; i++)
        free(a->extra[i]);
}

void
iapt_geography_destroy(iapt_geography_t **geo_p)
{
    if (!geo_p || !*geo_p)
        return;
    for (size_t i = 0; i < (*geo_p)->n; i++)
        s_area_free(&(*geo_p)->a[i]);
    for (size_t i = 0; i < (*geo_p)->n_extra; i++)
        free((*geo_p)->extra_name[i]);
    free((*geo_p)->a);
    free(*geo_p);
    *geo_p = NULL;
}

static int
s_geo_row(void *arg, const char *const *f, const char *name, uint64_t line)
{
    iapt_geography_t *geo = arg;
    static const char *const what[] = {"subicb_code", "subicb_name", "icb_code",
                                       "icb_name",    "region_code", "region_name"};
    for (int i = 0; i < 6; i++)
        if (!f[i][0])
            return iapt_error_set(IAPT_EFORMAT, "%s:%llu: %s is empty", name,
                                  (unsigned long long)line, what[i]);
    if (!s_code_ok(f[0], 3, 5))
        return iapt_error_set(IAPT_EFORMAT, "%s:%llu: subicb_code '%s' is not 3 to 5 of [A-Z0-9]",
                              name, (unsigned long long)line, f[0]);
    if (!s_code_ok(f[2], 1, 16) || !s_code_ok(f[4], 1, 16))
        return iapt_error_set(IAPT_EFORMAT,
                              "%s:%llu: icb_code and region_code must be 1 to 16 of [A-Z0-9]", name,
                              (unsigned long long)line);
    if (!s_name_ok(f[1]) || !s_name_ok(f[3]) || !s_name_ok(f[5]))
        return iapt_error_set(IAPT_EFORMAT, "%s:%llu: a name longer than %d bytes", name,
                              (unsigned long long)line, NAME_MAX_BYTES);
    /* Roll-up needs one ICB per sub-ICB, one region per ICB and one name
     * per code; the targets view finds regions by name. */
    for (size_t i = 0; i < geo->n; i++) {
        const iapt_geo_area_t *o = &geo->a[i].area;
        unsigned long long first = (unsigned long long)geo->a[i].line;
        if (strcmp(o->subicb_code, f[0]) == 0)
            return iapt_error_set(IAPT_EFORMAT, "%s:%llu: sub-ICB %s listed twice (line %llu)",
                                  name, (unsigned long long)line, f[0], first);
        if (strcmp(o->icb_code, f[2]) == 0 &&
            (strcmp(o->icb_name, f[3]) != 0 || strcmp(o->region_code, f[4]) != 0))
            return iapt_error_set(IAPT_EFORMAT,
                                  "%s:%llu: ICB %s has another name or region at line %llu", name,
                                  (unsigned long long)line, f[2], first);
        if ((strcmp(o->region_code, f[4]) == 0) != (strcmp(o->region_name, f[5]) == 0))
            return iapt_error_set(IAPT_EFORMAT,
                                  "%s:%llu: region %s / '%s' disagrees with line %llu (one name "
                                  "per region code, one code per region name)",
                                  name, (unsigned long long)line, f[4], f[5], first);
    }
    if (geo->n == geo->cap) {
        size_t cap = geo->cap ? geo->cap * 2 : 64;
        s_area_t *a = realloc(geo->a, cap * sizeof *a);
        if (!a)
            return iapt_error_set(IAPT_ENOMEM, "geography: out of memory");
        geo->a = a;
        geo->cap = cap;
    }
    s_area_t *a = &geo->a[geo->n];
    memset(a, 0, sizeof *a);
    a->line = line;
    const char **dst[6] = {&a->area.subicb_code, &a->area.subicb_name, &a->area.icb_code,
                           &a->area.icb_name,    &a->area.region_code, &a->area.region_name};
    for (int i = 0; i < 6; i++)
        if (!(*dst[i] = strdup(f[i]))) {
            s_area_free(a);
            return iapt_error_set(IAPT_ENOMEM, "geography: out of memory");
        }
    for (size_t i = 0; i < geo->n_extra; i++)
        if (!(a->extra[i] = strdup(geo->reading.field[i]))) {
            s_area_free(a);
            return iapt_error_set(IAPT_ENOMEM, "geography: out of memory");
        }
    geo->n++;
    return 0;
}

static int
s_area_cmp(const void *x, const void *y)
{
    return strcmp(((const s_area_t *)x)->area.subicb_code, ((const s_area_t *)y)->area.subicb_code);
}

static int
s_geo_header(void *arg, const s_extra_t *extra)
{
    iapt_geography_t *geo = arg;
    for (size_t i = 0; i < extra->n; i++) {
        for (size_t j = 0; j < i; j++)
            if (strcmp(extra->name[i], extra->name[j]) == 0)
                return iapt_error_set(IAPT_EFORMAT, "geography:1: column %s given twice",
                                      extra->name[i]);
        if (!(geo->extra_name[i] = strdup(extra->name[i])))
            return iapt_error_set(IAPT_ENOMEM, "geography: out of memory");
        geo->n_extra = i + 1;
    }
    return 0;
}

static int
s_geo_read(iapt_csv_t *csv, iapt_geography_t **out)
{
    static const char *const columns[] = {"subicb_code", "subicb_name", "icb_code",
                                          "icb_name",    "region_code", "region_name"};
    iapt_geography_t *geo = calloc(1, sizeof *geo);
    if (!geo)
        return iapt_error_set(IAPT_ENOMEM, "geography: out of memory");
    int rc = s_read_table(csv, columns, 6, s_geo_row, geo, &geo->reading, s_geo_header);
    if (rc < 0) {
        iapt_geography_destroy(&geo);
        return rc;
    }
    if (geo->n)
        qsort(geo->a, geo->n, sizeof *geo->a, s_area_cmp);
    *out = geo;
    return 0;
}

int
iapt_geography_load(const char *path, iapt_geography_t **out)
{
    iapt_csv_t *csv = NULL;
    int rc = iapt_csv_open(path, NULL, &csv);
    if (rc < 0)
        return rc;
    rc = s_geo_read(csv, out);
    iapt_csv_close(&csv);
    return rc;
}

int
iapt_geography_parse(const char *data, size_t len, const char *name, iapt_geography_t **out)
{
    iapt_csv_t *csv = NULL;
    int rc = iapt_csv_open_mem(data, len, name, NULL, &csv);
    if (rc < 0)
        return rc;
    rc = s_geo_read(csv, out);
    iapt_csv_close(&csv);
    return rc;
}

const iapt_geo_area_t *
iapt_geography_find(const iapt_geography_t *geo, const char *subicb_code)
{
    if (!geo || !subicb_code)
        return NULL;
    size_t lo = 0, hi = geo->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(geo->a[mid].area.subicb_code, subicb_code);
        if (c == 0)
            return &geo->a[mid].area;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

size_t
iapt_geography_count(const iapt_geography_t *geo)
{
    return geo ? geo->n : 0;
}

const iapt_geo_area_t *
iapt_geography_at(const iapt_geography_t *geo, size_t i)
{
    return geo && i < geo->n ? &geo->a[i].area : NULL;
}

bool
iapt_geography_has_column(const iapt_geography_t *geo, const char *column)
{
    for (size_t i = 0; geo && column && i < geo->n_extra; i++)
        if (strcmp(geo->extra_name[i], column) == 0)
            return true;
    return false;
}

const char *
iapt_geography_field(const iapt_geography_t *geo, const iapt_geo_area_t *area, const char *column)
{
    if (!geo || !area || !column || geo->n == 0)
        return NULL;
    const s_area_t *a = (const s_area_t *)area;
    if (a < geo->a || a >= geo->a + geo->n)
        return NULL;
    for (size_t i = 0; i < geo->n_extra; i++)
        if (strcmp(geo->extra_name[i], column) == 0)
            return a->extra[i];
    return NULL;
}

int
iapt_geography_number(const iapt_geography_t *geo, const iapt_geo_area_t *area, const char *column,
                      int64_t *out)
{
    const char *s = iapt_geography_field(geo, area, column);
    *out = 0;
    if (!s)
        return -1;
    size_t n = strlen(s);
    if (n == 0 || n > 18)
        return 0;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 1;
}

const char *
iapt_geography_region_by_name(const iapt_geography_t *geo, const char *region_name)
{
    if (!geo || !region_name)
        return NULL;
    for (size_t i = 0; i < geo->n; i++)
        if (strcmp(geo->a[i].area.region_name, region_name) == 0)
            return geo->a[i].area.region_code;
    return NULL;
}

/* ------------------------------------------------------------------------
 * SHA targets
 * ---------------------------------------------------------------------- */

struct iapt_sha_targets {
    iapt_sha_target_t *row;
    size_t n, cap;
};

void
iapt_sha_targets_destroy(iapt_sha_targets_t **t_p)
{
    if (!t_p || !*t_p)
        return;
    for (size_t i = 0; i < (*t_p)->n; i++)
        free((char *)(*t_p)->row[i].sha_name);
    free((*t_p)->row);
    free(*t_p);
    *t_p = NULL;
}

/* A positive whole number below 10^12. */
static bool
s_count(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    size_t n = 0;
    for (; s[n]; n++) {
        if (s[n] < '0' || s[n] > '9' || n >= 12)
            return false;
        v = v * 10 + (uint64_t)(s[n] - '0');
    }
    *out = v;
    return n > 0 && v > 0;
}

static int
s_target_row(void *arg, const char *const *f, const char *name, uint64_t line)
{
    iapt_sha_targets_t *t = arg;
    iapt_sha_target_t r;
    memset(&r, 0, sizeof r);
    if (!s_name_ok(f[0]))
        return iapt_error_set(IAPT_EFORMAT, "%s:%llu: sha_name empty or too long", name,
                              (unsigned long long)line);
    uint64_t *num[5] = {&r.prevalence, &r.entering_treatment, &r.completing_treatment,
                        &r.recovering, &r.off_sick_pay_benefits};
    for (int i = 0; i < 5; i++)
        if (!s_count(f[1 + i], num[i]))
            return iapt_error_set(IAPT_EFORMAT,
                                  "%s:%llu: '%s' is not a positive whole number below 10^12", name,
                                  (unsigned long long)line, f[1 + i]);
    if (iapt_sha_targets_find(t, f[0]))
        return iapt_error_set(IAPT_EFORMAT, "%s:%llu: %s listed twice", name,
                              (unsigned long long)line, f[0]);
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        iapt_sha_target_t *p = realloc(t->row, cap * sizeof *p);
        if (!p)
            return iapt_error_set(IAPT_ENOMEM, "targets: out of memory");
        t->row = p;
        t->cap = cap;
    }
    if (!(r.sha_name = strdup(f[0])))
        return iapt_error_set(IAPT_ENOMEM, "targets: out of memory");
    t->row[t->n++] = r;
    return 0;
}

static int
s_targets_read(iapt_csv_t *csv, iapt_sha_targets_t **out)
{
    static const char *const columns[] = {"sha_name",
                                          "prevalence",
                                          "entering_treatment_by_2015",
                                          "completing_treatment_by_2015",
                                          "recovering_by_2015",
                                          "off_sick_pay_benefits_by_2015"};
    iapt_sha_targets_t *t = calloc(1, sizeof *t);
    if (!t)
        return iapt_error_set(IAPT_ENOMEM, "targets: out of memory");
    int rc = s_read_table(csv, columns, 6, s_target_row, t, NULL, NULL);
    if (rc < 0) {
        iapt_sha_targets_destroy(&t);
        return rc;
    }
    *out = t;
    return 0;
}

int
iapt_sha_targets_load(const char *path, iapt_sha_targets_t **out)
{
    iapt_csv_t *csv = NULL;
    int rc = iapt_csv_open(path, NULL, &csv);
    if (rc < 0)
        return rc;
    rc = s_targets_read(csv, out);
    iapt_csv_close(&csv);
    return rc;
}

int
iapt_sha_targets_parse(const char *data, size_t len, const char *name, iapt_sha_targets_t **out)
{
    iapt_csv_t *csv = NULL;
    int rc = iapt_csv_open_mem(data, len, name, NULL, &csv);
    if (rc < 0)
        return rc;
    rc = s_targets_read(csv, out);
    iapt_csv_close(&csv);
    return rc;
}

size_t
iapt_sha_targets_count(const iapt_sha_targets_t *t)
{
    return t ? t->n : 0;
}

const iapt_sha_target_t *
iapt_sha_targets_at(const iapt_sha_targets_t *t, size_t i)
{
    return t && i < t->n ? &t->row[i] : NULL;
}

const iapt_sha_target_t *
iapt_sha_targets_find(const iapt_sha_targets_t *t, const char *sha_name)
{
    if (!t || !sha_name)
        return NULL;
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->row[i].sha_name, sha_name) == 0)
            return &t->row[i];
    return NULL;
}
