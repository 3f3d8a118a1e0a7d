/* agg.c - one submission's aggregation: a cell per (commissioner,
 * breakdown, level), kept in key order so the hub can write them to LMDB
 * in order. */

#include "common/err.h"
#include "common/measures.h"
#include "common/measures_internal.h"

#include <stdlib.h>
#include <string.h>

/* Cells of every (breakdown, level) of one commissioner, breakdown-major. */
#define SLOTS_MAX (IAPT_BREAKDOWN_COUNT * IAPT_BREAKDOWN_LEVELS_MAX)

typedef struct {
    char code[8];
    iapt_cell_t *cell[SLOTS_MAX];
} s_comm_t;

struct iapt_agg {
    s_comm_t **comm; /* sorted by code (byte order) */
    size_t n, cap;
    size_t last;                      /* index of the last commissioner used: records of one
                                       * submission mostly share a few commissioners */
    int offset[IAPT_BREAKDOWN_COUNT]; /* first slot of each breakdown */
};

iapt_agg_t *
iapt_agg_new(void)
{
    iapt_agg_t *agg = calloc(1, sizeof *agg);
    if (!agg)
        return NULL;
    int off = 0;
    for (int b = 0; b < IAPT_BREAKDOWN_COUNT; b++) {
        agg->offset[b] = off;
        off += (int)iapt_breakdown_def(b)->n_levels;
    }
    return agg;
}

void
iapt_agg_destroy(iapt_agg_t **agg_p)
{
    if (!agg_p || !*agg_p)
        return;
    iapt_agg_t *agg = *agg_p;
    for (size_t i = 0; i < agg->n; i++) {
        for (int s = 0; s < SLOTS_MAX; s++)
            iapt_cell_destroy(&agg->comm[i]->cell[s]);
        free(agg->comm[i]);
    }
    free(agg->comm);
    free(agg);
    *agg_p = NULL;
}

static bool
s_code_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
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
    s_comm_t *c = calloc(1, sizeof *c);
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
iapt_agg_add(iapt_agg_t *agg, const char *commissioner, const iapt_derived_t *d)
{
    if (!s_code_ok(commissioner))
        return iapt_error_set(IAPT_EUSAGE, "agg: commissioner is not 3 to 5 of [A-Z0-9]");
    for (int b = 0; b < IAPT_BREAKDOWN_COUNT; b++)
        if (d->level[b] >= iapt_breakdown_def(b)->n_levels)
            return iapt_error_set(IAPT_EUSAGE, "agg: level %u out of range for breakdown %s",
                                  d->level[b], iapt_breakdown_def(b)->key);
    s_comm_t *c = s_comm(agg, commissioner);
    if (!c)
        return iapt_error_set(IAPT_ENOMEM, "agg: out of memory");
    for (int b = 0; b < IAPT_BREAKDOWN_COUNT; b++) {
        iapt_cell_t **cell = &c->cell[agg->offset[b] + d->level[b]];
        if (!*cell && !(*cell = iapt_cell_new()))
            return iapt_error_set(IAPT_ENOMEM, "agg: out of memory");
        int rc = iapt_cell_add(*cell, d);
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
        for (int b = 0; b < IAPT_BREAKDOWN_COUNT; b++) {
            int n = (int)iapt_breakdown_def(b)->n_levels;
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
        for (int s = 0; s < SLOTS_MAX; s++)
            n += agg->comm[i]->cell[s] && !iapt_cell_empty(agg->comm[i]->cell[s]);
    return n;
}
