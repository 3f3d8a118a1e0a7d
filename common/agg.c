/* agg.c - one submission's aggregation over a collection's schema: a cell
 * per (placement code, breakdown, level), kept in key order so the hub can
 * write them to LMDB in order. */

#include "common/err.h"
#include "common/measures.h"

#include <stdlib.h>
#include <string.h>

/* Cells of every (breakdown, level) of one placement code, breakdown-major. */
typedef struct {
    char code[8];
    iapt_cell_t *cell[]; /* the agg's n_slots */
} s_comm_t;

struct iapt_agg {
    s_comm_t **comm; /* sorted by code (byte order) */
    size_t n, cap;
    size_t last; /* index of the last commissioner used: records of one
                  * submission mostly share a few commissioners */
    const iapt_measure_schema_t *schema;
    int n_slots;
    int offset[IAPT_SCHEMA_BREAKDOWNS_MAX]; /* first slot of each breakdown */
};

iapt_agg_t *
iapt_agg_new(const iapt_measure_schema_t *schema)
{
    if (!schema || schema->n_breakdowns > IAPT_SCHEMA_BREAKDOWNS_MAX)
        return NULL;
    iapt_agg_t *agg = calloc(1, sizeof *agg);
    if (!agg)
        return NULL;
    agg->schema = schema;
    int off = 0;
    for (size_t b = 0; b < schema->n_breakdowns; b++) {
        agg->offset[b] = off;
        off += (int)schema->breakdowns[b].n_levels;
    }
    agg->n_slots = off;
    return agg;
}

void
iapt_agg_destroy(iapt_agg_t **agg_p)
{
    if (!agg_p || !*agg_p)
        return;
    iapt_agg_t *agg = *agg_p;
    for (size_t i = 0; i < agg->n; i++) {
        for (int s = 0; s < agg->n_slots; s++)
            iapt_cell_destroy(&agg->comm[i]->cell[s]);
        free(agg->comm[i]);
    }
    free(agg->comm);
    free(agg);
    *agg_p = NULL;
}

/* 3-5 of [A-Z0-9], or "" (unplaced) when `unplaced_ok`. */
static bool
s_code_ok(const char *s, bool unplaced_ok)
{
    size_t n = s ? strlen(s) : 0;
    if (s && n == 0 && unplaced_ok)
        return true;
    if (n < 3 || n > 5)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
            return false;
    return true;
}

/* The commissioner's entry, created when new; NULL when out of memory. */
static s_comm_t *
s_comm(iapt_agg_t *agg, const char *code)
{
    if (agg->n && strcmp(agg->comm[agg->last]->code, code) == 0)
        return agg->comm[agg->last];
    size_t lo = 0, hi = agg->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(agg->comm[mid]->code, code);
        if (c == 0) {
            agg->last = mid;
            return agg->comm[mid];
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (agg->n == agg->cap) {
        size_t cap = agg->cap ? agg->cap * 2 : 8;
        s_comm_t **p = realloc(agg->comm, cap * sizeof *p);
        if (!p)
            return NULL;
        agg->comm = p;
        agg->cap = cap;
    }
    s_comm_t *c = calloc(1, sizeof *c + (size_t)agg->n_slots * sizeof *c->cell);
    if (!c)
        return NULL;
    memcpy(c->code, code, strlen(code) + 1);
    memmove(agg->comm + lo + 1, agg->comm + lo, (agg->n - lo) * sizeof *agg->comm);
    agg->comm[lo] = c;
    agg->n++;
    agg->last = lo;
    return c;
}

int
iapt_agg_add(iapt_agg_t *agg, const iapt_contribution_t *contrib)
{
    const iapt_measure_schema_t *schema = agg->schema;
    if (!s_code_ok(contrib->place, schema->placement == IAPT_PLACE_PROVIDER_HOME))
        return iapt_error_set(IAPT_EUSAGE, "agg: commissioner is not 3 to 5 of [A-Z0-9]");
    for (size_t b = 0; b < schema->n_breakdowns; b++)
        if (contrib->level[b] >= schema->breakdowns[b].n_levels)
            return iapt_error_set(IAPT_EUSAGE, "agg: level %u out of range for breakdown %s",
                                  contrib->level[b], schema->breakdowns[b].key);
    s_comm_t *c = s_comm(agg, contrib->place);
    if (!c)
        return iapt_error_set(IAPT_ENOMEM, "agg: out of memory");
    size_t n_breakdowns = contrib->whole_only ? 1 : schema->n_breakdowns;
    for (size_t b = 0; b < n_breakdowns; b++) {
        iapt_cell_t **cell = &c->cell[agg->offset[b] + contrib->level[b]];
        if (!*cell && !(*cell = iapt_cell_new(schema)))
            return iapt_error_set(IAPT_ENOMEM, "agg: out of memory");
        int rc = iapt_cell_add(*cell, contrib);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int
iapt_agg_foreach(const iapt_agg_t *agg, iapt_agg_fn fn, void *arg)
{
    for (size_t i = 0; i < agg->n; i++) {
        const s_comm_t *c = agg->comm[i];
        for (int b = 0; b < (int)agg->schema->n_breakdowns; b++) {
            int n = (int)agg->schema->breakdowns[b].n_levels;
            for (int l = 0; l < n; l++) {
                const iapt_cell_t *cell = c->cell[agg->offset[b] + l];
                if (!cell || iapt_cell_empty(cell))
                    continue;
                int rc = fn(c->code, b, l, cell, arg);
                if (rc)
                    return rc;
            }
        }
    }
    return 0;
}

size_t
iapt_agg_cells(const iapt_agg_t *agg)
{
    size_t n = 0;
    for (size_t i = 0; i < agg->n; i++)
        for (int s = 0; s < agg->n_slots; s++)
            n += agg->comm[i]->cell[s] && !iapt_cell_empty(agg->comm[i]->cell[s]);
    return n;
}
