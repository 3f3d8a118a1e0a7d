/* stats.c - roll-up of provider cells to England, regions, ICBs, sub-ICBs
 * and providers, and the publication rows with their writers. */

#include "common/stats.h"
#include "common/json.h"
#include "common/csv.h"
#include "common/err.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const s_group_names[IAPT_GROUP_TYPES] = {"England", "Region", "ICB", "SubICB",
                                                            "Provider"};

const char *
iapt_group_type_name(int type)
{
    return type >= 0 && type < IAPT_GROUP_TYPES ? s_group_names[type] : NULL;
}

int
iapt_group_type_find(const char *name)
{
    for (int i = 0; name && i < IAPT_GROUP_TYPES; i++)
        if (strcmp(name, s_group_names[i]) == 0)
            return i;
    return -1;
}

/* ---------------------------------------------------------------------------
 * Accumulator
 * ------------------------------------------------------------------------ */

typedef struct {
    char *code, *name;
    iapt_cell_t **cell; /* one per level, NULL until something lands there */
    char **prov;        /* providers with a cell here (sorted; joins) */
    size_t n_prov, cap_prov;
} s_group_t;

typedef struct {
    s_group_t *g; /* sorted by code (byte order) */
    size_t n, cap;
} s_group_list_t;

struct iapt_stats {
    const iapt_measure_schema_t *schema;
    iapt_period_t period;
    const iapt_geography_t *geo;
    int breakdown;
    size_t n_levels;
    s_group_list_t list[IAPT_GROUP_TYPES];
    const iapt_stats_t *join[IAPT_STATS_JOINS_MAX]; /* other collections' accumulators */
    const char *join_name[IAPT_STATS_JOINS_MAX];    /* ... and their collections' names */
    size_t n_join;
};

static void
s_group_free(s_group_t *g, size_t n_levels)
{
    free(g->code);
    free(g->name);
    for (size_t i = 0; i < g->n_prov; i++)
        free(g->prov[i]);
    free(g->prov);
    if (g->cell)
        for (size_t l = 0; l < n_levels; l++)
            iapt_cell_destroy(&g->cell[l]);
    free(g->cell);
}

void
iapt_stats_destroy(iapt_stats_t **st_p)
{
    if (!st_p || !*st_p)
        return;
    iapt_stats_t *st = *st_p;
    for (int t = 0; t < IAPT_GROUP_TYPES; t++) {
        for (size_t i = 0; i < st->list[t].n; i++)
            s_group_free(&st->list[t].g[i], st->n_levels);
        free(st->list[t].g);
    }
    free(st);
    *st_p = NULL;
}

/* Position of `code` in the list, or where it would go; *found set. */
static size_t
s_group_pos(const s_group_list_t *list, const char *code, bool *found)
{
    size_t lo = 0, hi = list->n;
    *found = false;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(list->g[mid].code, code);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The group, created when new (pointer valid until the next insert into
 * the same list); NULL when out of memory. */
static s_group_t *
s_group_get(iapt_stats_t *st, int type, const char *code, const char *name)
{
    s_group_list_t *list = &st->list[type];
    bool found;
    size_t pos = s_group_pos(list, code, &found);
    if (found)
        return &list->g[pos];
    if (list->n == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 16;
        s_group_t *g = realloc(list->g, cap * sizeof *g);
        if (!g)
            return NULL;
        list->g = g;
        list->cap = cap;
    }
    s_group_t g = {strdup(code),
                   strdup(name ? name : ""),
                   calloc(st->n_levels, sizeof(iapt_cell_t *)),
                   NULL,
                   0,
                   0};
    if (!g.code || !g.name || !g.cell) {
        s_group_free(&g, st->n_levels);
        return NULL;
    }
    memmove(list->g + pos + 1, list->g + pos, (list->n - pos) * sizeof *list->g);
    list->g[pos] = g;
    list->n++;
    return &list->g[pos];
}

iapt_stats_t *
iapt_stats_new(const iapt_measure_schema_t *schema, const iapt_period_t *period,
               const iapt_geography_t *geography, int breakdown)
{
    const iapt_breakdown_def_t *bd = iapt_schema_breakdown(schema, breakdown);
    if (!period || !bd) {
        iapt_error_set(IAPT_EUSAGE, "stats: no period or no breakdown %d", breakdown);
        return NULL;
    }
    iapt_stats_t *st = calloc(1, sizeof *st);
    if (!st) {
        iapt_error_set(IAPT_ENOMEM, "stats: out of memory");
        return NULL;
    }
    st->schema = schema;
    st->period = *period;
    st->geo = geography;
    st->breakdown = breakdown;
    st->n_levels = bd->n_levels;
    if (!s_group_get(st, IAPT_GROUP_ENGLAND, "all", "England")) {
        iapt_stats_destroy(&st);
        iapt_error_set(IAPT_ENOMEM, "stats: out of memory");
    }
    return st;
}

const iapt_period_t *
iapt_stats_period(const iapt_stats_t *st)
{
    return &st->period;
}

int
iapt_stats_breakdown(const iapt_stats_t *st)
{
    return st->breakdown;
}

const iapt_geography_t *
iapt_stats_geography(const iapt_stats_t *st)
{
    return st->geo;
}

/* Note that `provider` has a cell in group g (kept sorted, once). */
static int
s_group_provider(s_group_t *g, const char *provider)
{
    size_t lo = 0, hi = g->n_prov;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(g->prov[mid], provider);
        if (c == 0)
            return 0;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (g->n_prov == g->cap_prov) {
        size_t cap = g->cap_prov ? 2 * g->cap_prov : 8;
        char **p = realloc(g->prov, cap * sizeof *p);
        if (!p)
            return IAPT_ENOMEM;
        g->prov = p;
        g->cap_prov = cap;
    }
    char *copy = strdup(provider);
    if (!copy)
        return IAPT_ENOMEM;
    memmove(g->prov + lo + 1, g->prov + lo, (g->n_prov - lo) * sizeof *g->prov);
    g->prov[lo] = copy;
    g->n_prov++;
    return 0;
}

static int
s_merge_into(iapt_stats_t *st, int type, const char *code, const char *name, int level,
             const iapt_cell_t *cell, const char *provider)
{
    s_group_t *g = s_group_get(st, type, code, name);
    if (!g || s_group_provider(g, provider) < 0)
        return iapt_error_set(IAPT_ENOMEM, "stats: out of memory");
    if (!g->cell[level] && !(g->cell[level] = iapt_cell_new(st->schema)))
        return iapt_error_set(IAPT_ENOMEM, "stats: out of memory");
    return iapt_cell_merge(g->cell[level], cell);
}

int
iapt_stats_add_cell(iapt_stats_t *st, const char *provider_code, const char *provider_name,
                    const char *commissioner, int level, const iapt_cell_t *cell)
{
    if (!provider_code || !*provider_code || !cell)
        return iapt_error_set(IAPT_EUSAGE, "stats: a cell without provider code");
    if (level < 0 || (size_t)level >= st->n_levels)
        return iapt_error_set(IAPT_EUSAGE, "stats: level %d out of range for breakdown %s", level,
                              st->schema->breakdowns[st->breakdown].key);
    if (iapt_cell_empty(cell))
        return 0;
    const char *p = provider_code;
    int rc = s_merge_into(st, IAPT_GROUP_ENGLAND, "all", "England", level, cell, p);
    if (rc == 0)
        rc = s_merge_into(st, IAPT_GROUP_PROVIDER, provider_code, provider_name, level, cell, p);
    const iapt_geo_area_t *a = iapt_geography_find(st->geo, commissioner);
    if (rc == 0 && a)
        rc = s_merge_into(st, IAPT_GROUP_REGION, a->region_code, a->region_name, level, cell, p);
    if (rc == 0 && a)
        rc = s_merge_into(st, IAPT_GROUP_ICB, a->icb_code, a->icb_name, level, cell, p);
    if (rc == 0 && a)
        rc = s_merge_into(st, IAPT_GROUP_SUBICB, a->subicb_code, a->subicb_name, level, cell, p);
    return rc;
}

const iapt_cell_t *
iapt_stats_cell(const iapt_stats_t *st, int group_type, const char *code, int level)
{
    if (group_type < 0 || group_type >= IAPT_GROUP_TYPES || level < 0 ||
        (size_t)level >= st->n_levels)
        return NULL;
    if (group_type == IAPT_GROUP_ENGLAND || !code)
        code = group_type == IAPT_GROUP_ENGLAND ? "all" : NULL;
    if (!code)
        return NULL;
    bool found;
    size_t pos = s_group_pos(&st->list[group_type], code, &found);
    return found ? st->list[group_type].g[pos].cell[level] : NULL;
}

/* ---------------------------------------------------------------------------
 * Rows
 * ------------------------------------------------------------------------ */

/* Strings of the rows live in blocks freed together. */
typedef struct s_block {
    struct s_block *next;
    size_t used, cap;
    char data[];
} s_block_t;

struct iapt_stat_rows {
    iapt_stat_row_t *row;
    size_t n, cap;
    s_block_t *blocks;
    bool breakdown;
};

#define BLOCK_SIZE (64 * 1024)

static const char *
s_strdup(s_block_t **blocks, const char *s)
{
    size_t len = strlen(s) + 1;
    s_block_t *b = *blocks;
    if (!b || b->cap - b->used < len) {
        size_t cap = len > BLOCK_SIZE ? len : BLOCK_SIZE;
        b = malloc(sizeof *b + cap);
        if (!b)
            return NULL;
        b->next = *blocks;
        b->used = 0;
        b->cap = cap;
        *blocks = b;
    }
    char *p = b->data + b->used;
    memcpy(p, s, len);
    b->used += len;
    return p;
}

static void
s_blocks_free(s_block_t *b)
{
    while (b) {
        s_block_t *next = b->next;
        free(b);
        b = next;
    }
}

void
iapt_stat_rows_destroy(iapt_stat_rows_t **rows_p)
{
    if (!rows_p || !*rows_p)
        return;
    free((*rows_p)->row);
    s_blocks_free((*rows_p)->blocks);
    free(*rows_p);
    *rows_p = NULL;
}

size_t
iapt_stat_rows_count(const iapt_stat_rows_t *rows)
{
    return rows ? rows->n : 0;
}

const iapt_stat_row_t *
iapt_stat_rows_get(const iapt_stat_rows_t *rows, size_t i)
{
    return rows && i < rows->n ? &rows->row[i] : NULL;
}

bool
iapt_stat_rows_have_breakdown(const iapt_stat_rows_t *rows)
{
    return rows && rows->breakdown;
}

static iapt_stat_row_t *
s_row_new(iapt_stat_rows_t *rows)
{
    if (rows->n == rows->cap) {
        size_t cap = rows->cap ? rows->cap * 2 : 256;
        iapt_stat_row_t *r = realloc(rows->row, cap * sizeof *r);
        if (!r)
            return NULL;
        rows->row = r;
        rows->cap = cap;
    }
    return &rows->row[rows->n++];
}

int
iapt_stat_rows_append(iapt_stat_rows_t **rows_p, const iapt_measure_schema_t *schema,
                      const iapt_stat_row_t *row, bool breakdown)
{
    int group = iapt_group_type_find(row->group_type);
    int measure = iapt_schema_measure_find(schema, row->measure_id);
    if (group < 0 || measure < 0)
        return iapt_error_set(IAPT_EUSAGE, "row with group type '%s', measure '%s'",
                              row->group_type, row->measure_id);
    if (!*rows_p && !(*rows_p = calloc(1, sizeof **rows_p)))
        return IAPT_ENOMEM;
    iapt_stat_rows_t *rows = *rows_p;
    iapt_stat_row_t *r = s_row_new(rows);
    if (!r)
        return IAPT_ENOMEM;
    const char *src[] = {row->period_start,    row->period_end, row->group_type,   row->org_code1,
                         row->org_name1,       row->org_code2,  row->org_name2,    row->breakdown,
                         row->breakdown_level, row->measure_id, row->measure_name, row->value};
    const char *dst[12];
    for (int i = 0; i < 12; i++)
        if (!(dst[i] = s_strdup(&rows->blocks, src[i] ? src[i] : ""))) {
            rows->n--;
            return IAPT_ENOMEM;
        }
    r->period_start = dst[0];
    r->period_end = dst[1];
    r->group_type = dst[2];
    r->org_code1 = dst[3];
    r->org_name1 = dst[4];
    r->org_code2 = dst[5];
    r->org_name2 = dst[6];
    r->breakdown = dst[7];
    r->breakdown_level = dst[8];
    r->measure_id = dst[9];
    r->measure_name = dst[10];
    r->value = dst[11];
    r->group = group;
    r->measure = measure;
    if (breakdown)
        rows->breakdown = true;
    return 0;
}

static bool
s_org_selected(const iapt_stats_query_t *q, const char *code1, const char *code2)
{
    if (q->n_org_codes == 0)
        return true;
    for (size_t i = 0; i < q->n_org_codes; i++)
        if (q->org_codes[i] &&
            (strcmp(q->org_codes[i], code1) == 0 || strcmp(q->org_codes[i], code2) == 0))
            return true;
    return false;
}

/* The rows of one group: every level with a counted referral. */
int
iapt_stats_add_join(iapt_stats_t *st, const char *collection, const iapt_stats_t *other)
{
    if (!collection || !other || other == st || other->breakdown != 0 ||
        st->n_join == IAPT_STATS_JOINS_MAX ||
        iapt_period_key(&other->period) != iapt_period_key(&st->period))
        return iapt_error_set(IAPT_EUSAGE, "stats join: not another collection's accumulator "
                                           "of the same period without a breakdown");
    st->join_name[st->n_join] = collection;
    st->join[st->n_join++] = other;
    return 0;
}

/* The provider-level cell (level 0) of `code` in st, or NULL. */
static const iapt_cell_t *
s_provider_cell(const iapt_stats_t *st, const char *code)
{
    bool found;
    size_t pos = s_group_pos(&st->list[IAPT_GROUP_PROVIDER], code, &found);
    return found ? st->list[IAPT_GROUP_PROVIDER].g[pos].cell[0] : NULL;
}

/* A join measure of group g (measure_schema.h iapt_measure_join_t): the
 * other collection's counter over this collection's den, both summed over
 * the group's providers that have cells in both; the rule's supp summed
 * over the same providers. Empty at every level below breakdown 0, without
 * the other collection's accumulator, when it has no such counter, or when
 * no provider of the group is in both. */
static void
s_join_value(const iapt_stats_t *st, const s_group_t *g, size_t level, const iapt_measure_rule_t *r,
             iapt_measure_value_t *v)
{
    v->num = 0;
    v->den = 0;
    v->supp = r->supp >= 0 ? 0 : -1;
    v->empty = true; /* until a provider in both is found */
    const iapt_stats_t *other = NULL;
    for (size_t i = 0; i < st->n_join && !other; i++)
        if (strcasecmp(st->join_name[i], r->join.collection) == 0)
            other = st->join[i];
    int oc = other ? iapt_schema_counter_find(other->schema, r->join.counter) : -1;
    if (level != 0 || st->breakdown != 0 || oc < 0)
        return;
    for (size_t i = 0; i < g->n_prov; i++) {
        const iapt_cell_t *mine = s_provider_cell(st, g->prov[i]);
        const iapt_cell_t *theirs = s_provider_cell(other, g->prov[i]);
        if (!mine || !theirs || iapt_cell_empty(mine) || iapt_cell_empty(theirs))
            continue;
        v->empty = false;
        v->num += (int64_t)iapt_cell_counter(theirs, oc);
        v->den += r->den >= 0 ? (int64_t)iapt_cell_counter(mine, r->den) : 1;
        if (r->supp >= 0)
            v->supp += (int64_t)iapt_cell_counter(mine, r->supp);
    }
}

int
iapt_stats_join_value(const iapt_stats_t *st, int group_type, const char *code, int measure,
                      iapt_measure_value_t *v)
{
    if (measure < 0 || (size_t)measure >= st->schema->n_measures ||
        !st->schema->measures[measure].join.collection || st->breakdown != 0 || group_type < 0 ||
        group_type >= IAPT_GROUP_TYPES)
        return iapt_error_set(IAPT_EUSAGE, "stats join value: not a join measure of breakdown 0");
    if (group_type == IAPT_GROUP_ENGLAND || !code)
        code = group_type == IAPT_GROUP_ENGLAND ? "all" : NULL;
    bool found = false;
    size_t pos = code ? s_group_pos(&st->list[group_type], code, &found) : 0;
    memset(v, 0, sizeof *v);
    v->empty = true; /* a group not here (its format is "" whatever the kind) */
    if (!found || !st->list[group_type].g[pos].cell[0])
        return 0;
    /* The value's kind and scales as the group's cell gives them; then the
     * join's numerator, denominator and headcount. */
    const iapt_measure_rule_t *r = &st->schema->measures[measure];
    iapt_cell_measure(st->list[group_type].g[pos].cell[0], measure, v);
    s_join_value(st, &st->list[group_type].g[pos], 0, r, v);
    return 0;
}

static int
s_group_rows(const iapt_stats_t *st, int type, const s_group_t *g, const bool *selected, bool exact,
             const char *start, const char *end, iapt_stat_rows_t *rows)
{
    size_t n_measures = st->schema->n_measures;
    const iapt_measure_rule_t *defs = st->schema->measures;
    const iapt_breakdown_def_t *bd = &st->schema->breakdowns[st->breakdown];
    const char *code1 = "all", *name1 = "all SubICBs", *code2 = "all", *name2 = "all Providers";
    const char *code = NULL, *name = NULL;

    for (size_t l = 0; l < st->n_levels; l++) {
        const iapt_cell_t *cell = g->cell[l];
        if (!cell || iapt_cell_empty(cell))
            continue;
        if (!code && type != IAPT_GROUP_ENGLAND) {
            /* Copied once per group, on its first level with rows. */
            if (!(code = s_strdup(&rows->blocks, g->code)) ||
                !(name = s_strdup(&rows->blocks, g->name)))
                return iapt_error_set(IAPT_ENOMEM, "stats rows: out of memory");
            if (type == IAPT_GROUP_PROVIDER) {
                code2 = code;
                name2 = name;
            } else {
                code1 = code;
                name1 = name;
            }
        }
        for (size_t m = 0; m < n_measures; m++) {
            if (!selected[m] ||
                (defs[m].breakdowns && !(defs[m].breakdowns & IAPT_BREAKDOWN_BIT(st->breakdown))))
                continue;
            iapt_measure_value_t v;
            char text[IAPT_MEASURE_TEXT_MAX];
            iapt_cell_measure(cell, (int)m, &v);
            if (defs[m].join.collection)
                s_join_value(st, g, l, &defs[m], &v);
            iapt_measure_format(&v, exact, text);
            iapt_stat_row_t *r = s_row_new(rows);
            if (!r)
                return iapt_error_set(IAPT_ENOMEM, "stats rows: out of memory");
            r->period_start = start;
            r->period_end = end;
            r->group = type;
            r->group_type = s_group_names[type];
            r->org_code1 = code1;
            r->org_name1 = name1;
            r->org_code2 = code2;
            r->org_name2 = name2;
            r->breakdown = bd->title;
            r->breakdown_level = st->breakdown ? bd->levels[l] : "";
            r->measure_id = defs[m].def.id;
            r->measure_name = defs[m].def.name;
            r->measure = (int)m;
            if (!(r->value = s_strdup(&rows->blocks, text))) {
                rows->n--;
                return iapt_error_set(IAPT_ENOMEM, "stats rows: out of memory");
            }
        }
    }
    return 0;
}

int
iapt_stats_rows(const iapt_stats_t *st, const iapt_stats_query_t *query, iapt_stat_rows_t **rows_p)
{
    static const iapt_stats_query_t all = {0};
    const iapt_stats_query_t *q = query ? query : &all;
    size_t n_measures = st->schema->n_measures;
    bool selected[512];
    int rc = 0;

    if (n_measures > sizeof selected / sizeof *selected)
        return iapt_error_set(IAPT_EUSAGE, "stats rows: catalogue larger than expected");
    if ((q->n_org_codes && !q->org_codes) || (q->n_measure_ids && !q->measure_ids))
        return iapt_error_set(IAPT_EUSAGE, "stats rows: a filter count without its list");
    for (size_t m = 0; m < n_measures; m++)
        selected[m] = q->n_measure_ids == 0;
    for (size_t i = 0; i < q->n_measure_ids; i++) {
        int m = iapt_schema_measure_find(st->schema, q->measure_ids[i]);
        if (m < 0)
            return iapt_error_set(IAPT_EUSAGE, "no core measure %s",
                                  q->measure_ids[i] ? q->measure_ids[i] : "(null)");
        selected[m] = true;
    }

    bool created = !*rows_p;
    if (created && !(*rows_p = calloc(1, sizeof **rows_p)))
        return iapt_error_set(IAPT_ENOMEM, "stats rows: out of memory");
    iapt_stat_rows_t *rows = *rows_p;
    size_t n_before = rows->n;
    bool breakdown_before = rows->breakdown;

    char start_text[11], end_text[11];
    iapt_date_format(st->period.start, start_text);
    iapt_date_format(st->period.end, end_text);
    const char *start = s_strdup(&rows->blocks, start_text);
    const char *end = s_strdup(&rows->blocks, end_text);
    if (!start || !end) {
        rc = iapt_error_set(IAPT_ENOMEM, "stats rows: out of memory");
        goto out_undo;
    }
    unsigned types = (q->group_types ? q->group_types : IAPT_GROUP_ALL) & st->schema->group_types;
    for (int t = 0; t < IAPT_GROUP_TYPES; t++) {
        if (!(types & IAPT_GROUP_BIT(t)))
            continue;
        bool exact = t == IAPT_GROUP_ENGLAND || q->unsuppressed;
        for (size_t i = 0; i < st->list[t].n; i++) {
            const s_group_t *g = &st->list[t].g[i];
            const char *c1 = t == IAPT_GROUP_PROVIDER || t == IAPT_GROUP_ENGLAND ? "all" : g->code;
            const char *c2 = t == IAPT_GROUP_PROVIDER ? g->code : "all";
            if (!s_org_selected(q, c1, c2))
                continue;
            if ((rc = s_group_rows(st, t, g, selected, exact, start, end, rows)) < 0)
                goto out_undo;
        }
    }
    if (st->breakdown && rows->n > n_before)
        rows->breakdown = true;
    return 0;

out_undo:
    rows->n = n_before;
    rows->breakdown = breakdown_before;
    if (created)
        iapt_stat_rows_destroy(rows_p);
    return rc;
}

const char *const *
iapt_stats_headline_measures(const iapt_measure_schema_t *schema, size_t *n)
{
    *n = schema->n_headline;
    return schema->headline;
}

const iapt_measure_schema_t *
iapt_stats_schema(const iapt_stats_t *st)
{
    return st->schema;
}

/* ---------------------------------------------------------------------------
 * Writers
 * ------------------------------------------------------------------------ */

/* The fields of a row in CSV column order; breakdown columns included when
 * `with_breakdown`. Returns the number of fields. */
static size_t
s_row_fields(const iapt_stat_row_t *r, bool with_breakdown, const char **f)
{
    size_t n = 0;
    f[n++] = r->period_start;
    f[n++] = r->period_end;
    f[n++] = r->group_type;
    f[n++] = r->org_code1;
    f[n++] = r->org_name1;
    f[n++] = r->org_code2;
    f[n++] = r->org_name2;
    if (with_breakdown) {
        f[n++] = r->breakdown;
        f[n++] = r->breakdown_level;
    }
    f[n++] = r->measure_id;
    f[n++] = r->measure_name;
    f[n++] = r->value;
    return n;
}

static const char *const s_header[] = {"REPORTING_PERIOD_START",
                                       "REPORTING_PERIOD_END",
                                       "GROUP_TYPE",
                                       "ORG_CODE1",
                                       "ORG_NAME1",
                                       "ORG_CODE2",
                                       "ORG_NAME2",
                                       "BREAKDOWN",
                                       "BREAKDOWN_LEVEL",
                                       "MEASURE_ID",
                                       "MEASURE_NAME",
                                       "MEASURE_VALUE_SUPPRESSED"};
static const char *const s_json_keys[] = {"reporting_period_start",
                                          "reporting_period_end",
                                          "group_type",
                                          "org_code1",
                                          "org_name1",
                                          "org_code2",
                                          "org_name2",
                                          "breakdown",
                                          "breakdown_level",
                                          "measure_id",
                                          "measure_name",
                                          "measure_value_suppressed"};

/* Header names (or JSON keys) in column order. */
static size_t
s_columns(const char *const *names, bool with_breakdown, const char **f)
{
    size_t n = 0;
    for (size_t i = 0; i < 12; i++)
        if (with_breakdown || (i != 7 && i != 8))
            f[n++] = names[i];
    return n;
}

int
iapt_stat_rows_csv(const iapt_stat_rows_t *rows, iapt_buf_t *out)
{
    bool bd = iapt_stat_rows_have_breakdown(rows);
    const char *f[12];
    size_t n = s_columns(s_header, bd, f);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = iapt_buf_append(out, f[i], strlen(f[i]));
        if (rc == 0)
            rc = iapt_buf_append(out, i + 1 < n ? "," : "\n", 1);
    }
    for (size_t r = 0; rc == 0 && r < iapt_stat_rows_count(rows); r++) {
        n = s_row_fields(&rows->row[r], bd, f);
        for (size_t i = 0; rc == 0 && i < n; i++) {
            rc = iapt_csv_write_field(out, f[i]);
            if (rc == 0)
                rc = iapt_buf_append(out, i + 1 < n ? "," : "\n", 1);
        }
    }
    return rc ? iapt_error_set(IAPT_ENOMEM, "csv: out of memory") : 0;
}

int
iapt_stat_rows_json(const iapt_stat_rows_t *rows, iapt_buf_t *out)
{
    bool bd = iapt_stat_rows_have_breakdown(rows);
    const char *keys[12], *f[12];
    size_t n = s_columns(s_json_keys, bd, keys);
    size_t count = iapt_stat_rows_count(rows);
    size_t len0 = out->len;
    /* One object per line, dumped by jansson; the object is reused, each
     * row replacing the values of the same keys. */
    json_t *o = json_object();
    int rc = o ? iapt_buf_append(out, count ? "[\n" : "[", count ? 2 : 1) : -1;
    for (size_t r = 0; rc == 0 && r < count; r++) {
        s_row_fields(&rows->row[r], bd, f);
        for (size_t i = 0; rc == 0 && i < n; i++)
            rc = iapt_json_set(o, keys[i],
                               i + 1 == n ? iapt_json_measure(f[i]) : iapt_json_str(f[i]));
        if (rc == 0 && r)
            rc = iapt_buf_append(out, ",\n", 2);
        /* The dump's newline is replaced by the separator. */
        if (rc == 0 && (rc = iapt_json_dump(o, out)) == 0)
            out->len--;
    }
    json_decref(o);
    if (rc == 0)
        rc = iapt_buf_append(out, count ? "\n]\n" : "]\n", count ? 3 : 2);
    if (rc) {
        out->len = len0;
        return iapt_error_set(IAPT_ENOMEM, "json: out of memory");
    }
    return 0;
}

/* Display width of UTF-8 text: code points (continuation bytes do not
 * count). */
static size_t
s_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xc0) != 0x80;
    return w;
}

/* Text padded to `width` columns; right-aligned when `right`. */
static int
s_cell(iapt_buf_t *out, const char *s, size_t width, bool right, bool last)
{
    size_t w = s_width(s), pad = width > w ? width - w : 0;
    int rc = 0;
    if (right)
        rc = iapt_buf_printf(out, "%*s", (int)pad, "");
    if (rc == 0)
        rc = iapt_buf_append(out, s, strlen(s));
    if (rc == 0 && !right && !last)
        rc = iapt_buf_printf(out, "%*s", (int)pad, "");
    if (rc == 0)
        rc = iapt_buf_append(out, last ? "\n" : "  ", last ? 1 : 2);
    return rc;
}

/* The group's own code and name for people (England has no code). */
static void
s_org(const iapt_stat_row_t *r, const char **code, const char **name)
{
    if (r->group == IAPT_GROUP_ENGLAND) {
        *code = "";
        *name = "England";
    } else if (r->group == IAPT_GROUP_PROVIDER) {
        *code = r->org_code2;
        *name = r->org_name2;
    } else {
        *code = r->org_code1;
        *name = r->org_name1;
    }
}

/* "2025-09" from "2025-09-01". */
static void
s_month(const char *start, char out[8])
{
    memcpy(out, start, 7);
    out[7] = 0;
}

int
iapt_stat_rows_table(const iapt_stat_rows_t *rows, iapt_buf_t *out)
{
    enum { PERIOD, GROUP, CODE, NAME, LEVEL, ID, MNAME, VALUE, NCOL };
    static const char *const head[NCOL] = {"PERIOD", "GROUP",   "CODE",         "NAME",
                                           "LEVEL",  "MEASURE", "MEASURE_NAME", "VALUE"};
    bool bd = iapt_stat_rows_have_breakdown(rows);
    size_t count = iapt_stat_rows_count(rows), width[NCOL];
    for (int c = 0; c < NCOL; c++)
        width[c] = s_width(head[c]);
    for (int pass = 0; pass < 2; pass++) {
        int rc = 0;
        for (size_t r = 0; r <= count; r++) {
            const char *f[NCOL];
            char month[8];
            if (r == 0) {
                memcpy(f, head, sizeof f);
            } else {
                const iapt_stat_row_t *row = &rows->row[r - 1];
                s_month(row->period_start, month);
                f[PERIOD] = month;
                f[GROUP] = row->group_type;
                s_org(row, &f[CODE], &f[NAME]);
                f[LEVEL] = row->breakdown_level;
                f[ID] = row->measure_id;
                f[MNAME] = row->measure_name;
                f[VALUE] = row->value;
            }
            for (int c = 0; c < NCOL; c++) {
                if (c == LEVEL && !bd)
                    continue;
                if (pass == 0) {
                    size_t w = s_width(f[c]);
                    if (w > width[c])
                        width[c] = w;
                } else if (rc == 0) {
                    rc = s_cell(out, f[c], width[c], c == VALUE, c == VALUE);
                }
            }
        }
        if (rc)
            return iapt_error_set(IAPT_ENOMEM, "table: out of memory");
    }
    return 0;
}

/* Rows i and j belong to one line of the wide table. */
static bool
s_same_line(const iapt_stat_row_t *a, const iapt_stat_row_t *b)
{
    return a->group == b->group && strcmp(a->period_start, b->period_start) == 0 &&
           strcmp(a->org_code1, b->org_code1) == 0 && strcmp(a->org_code2, b->org_code2) == 0 &&
           strcmp(a->breakdown_level, b->breakdown_level) == 0;
}

int
iapt_stat_rows_table_wide(const iapt_stat_rows_t *rows, const char *const *measure_ids,
                          size_t n_ids, iapt_buf_t *out)
{
    enum { PERIOD, GROUP, CODE, NAME, LEVEL, FIXED };
    static const char *const head[FIXED] = {"PERIOD", "GROUP", "CODE", "NAME", "LEVEL"};
    size_t count = iapt_stat_rows_count(rows), ncol = FIXED + n_ids;
    bool bd = iapt_stat_rows_have_breakdown(rows), periods = false;
    size_t *width = calloc(ncol, sizeof *width);
    const char **f = calloc(ncol, sizeof *f);
    int rc = 0;

    if (!width || !f) {
        rc = iapt_error_set(IAPT_ENOMEM, "table: out of memory");
        goto out_free;
    }
    for (size_t r = 1; r < count; r++)
        if (strcmp(rows->row[r].period_start, rows->row[0].period_start) != 0)
            periods = true;
    for (size_t c = 0; c < ncol; c++)
        width[c] = s_width(c < FIXED ? head[c] : measure_ids[c - FIXED]);
    for (int pass = 0; pass < 2 && rc == 0; pass++) {
        size_t r = 0;
        bool header = true;
        while (rc == 0 && (header || r < count)) {
            char month[8];
            if (header) {
                for (size_t c = 0; c < ncol; c++)
                    f[c] = c < FIXED ? head[c] : measure_ids[c - FIXED];
            } else {
                /* One line: the run of rows of one group, level and period. */
                const iapt_stat_row_t *first = &rows->row[r];
                s_month(first->period_start, month);
                f[PERIOD] = month;
                f[GROUP] = first->group_type;
                s_org(first, &f[CODE], &f[NAME]);
                f[LEVEL] = first->breakdown_level;
                for (size_t c = FIXED; c < ncol; c++)
                    f[c] = "";
                for (; r < count && s_same_line(first, &rows->row[r]); r++)
                    for (size_t c = FIXED; c < ncol; c++)
                        if (strcmp(rows->row[r].measure_id, measure_ids[c - FIXED]) == 0)
                            f[c] = rows->row[r].value;
            }
            size_t last = ncol - 1;
            if (n_ids == 0)
                last = bd ? LEVEL : NAME;
            for (size_t c = 0; c <= last && rc == 0; c++) {
                if ((c == PERIOD && !periods) || (c == LEVEL && !bd))
                    continue;
                if (pass == 0) {
                    size_t w = s_width(f[c]);
                    if (w > width[c])
                        width[c] = w;
                } else {
                    rc = s_cell(out, f[c], width[c], c >= FIXED, c == last);
                }
            }
            header = false;
        }
    }
    if (rc)
        rc = iapt_error_set(IAPT_ENOMEM, "table: out of memory");
out_free:
    free(width);
    free(f);
    return rc;
}
