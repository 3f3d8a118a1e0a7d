/* cell.c - aggregate cells of a collection's schema: its counters and
 * exact distributions, their merge, measure values and byte encoding.
 *
 * Encoding, version 1 (all integers LEB128 varints, minimal length):
 *   byte     1 (the version)
 *   varint   number of counters (the schema's n_counters)
 *   varint   each counter, in the schema's order
 *   then for each distribution (the schema's order):
 *   varint   number of entries n
 *   n times  value: the first zigzag-encoded, each next as (value - previous
 *            - 1), so values strictly increase by construction;
 *            count (>= 1)
 * Cells live in LMDB for years and may have been written by an older
 * version: anything not exactly this shape is refused, never guessed at. */

#include "common/err.h"
#include "common/measures.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    int32_t value;
    uint64_t count;
} s_entry_t;

/* A sparse value -> count map, entries sorted by value. */
typedef struct {
    s_entry_t *e;
    size_t n, cap;
} s_dist_t;

struct iapt_cell {
    const iapt_measure_schema_t *schema;
    size_t n_c, n_d;
    s_dist_t d[IAPT_SCHEMA_DISTS_MAX];
    uint64_t c[]; /* n_c */
};

iapt_cell_t *
iapt_cell_new(const iapt_measure_schema_t *schema)
{
    if (!schema || schema->n_counters > IAPT_SCHEMA_COUNTERS_MAX ||
        schema->n_dists > IAPT_SCHEMA_DISTS_MAX)
        return NULL;
    iapt_cell_t *cell = calloc(1, sizeof(iapt_cell_t) + schema->n_counters * sizeof(uint64_t));
    if (!cell)
        return NULL;
    cell->schema = schema;
    cell->n_c = schema->n_counters;
    cell->n_d = schema->n_dists;
    return cell;
}

const iapt_measure_schema_t *
iapt_cell_schema(const iapt_cell_t *cell)
{
    return cell->schema;
}

uint64_t
iapt_cell_counter(const iapt_cell_t *cell, int i)
{
    return i >= 0 && (size_t)i < cell->n_c ? cell->c[i] : 0;
}

void
iapt_cell_destroy(iapt_cell_t **cell_p)
{
    if (!cell_p || !*cell_p)
        return;
    for (size_t i = 0; i < (*cell_p)->n_d; i++)
        free((*cell_p)->d[i].e);
    free(*cell_p);
    *cell_p = NULL;
}

void
iapt_cell_reset(iapt_cell_t *cell)
{
    memset(cell->c, 0, cell->n_c * sizeof *cell->c);
    for (size_t i = 0; i < cell->n_d; i++)
        cell->d[i].n = 0;
}

bool
iapt_cell_empty(const iapt_cell_t *cell)
{
    return cell->c[cell->schema->appear] == 0;
}

uint64_t
iapt_cell_referrals(const iapt_cell_t *cell)
{
    return cell->c[cell->schema->appear];
}

/* Position of `value` in d, or where it would go. */
static size_t
s_find(const s_dist_t *d, int32_t value)
{
    size_t lo = 0, hi = d->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->e[mid].value < value)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int
s_reserve(s_dist_t *d, size_t need)
{
    if (need <= d->cap)
        return 0;
    size_t cap = d->cap ? d->cap : 16;
    while (cap < need)
        cap *= 2;
    s_entry_t *e = realloc(d->e, cap * sizeof *e);
    if (!e)
        return IAPT_ENOMEM;
    d->e = e;
    d->cap = cap;
    return 0;
}

/* Room for one more entry, so that the insert after it cannot fail. */
static int
s_reserve_one(s_dist_t *d)
{
    return s_reserve(d, d->n + 1);
}

static void
s_insert_one(s_dist_t *d, int32_t value)
{
    size_t i = s_find(d, value);
    if (i < d->n && d->e[i].value == value) {
        d->e[i].count++;
        return;
    }
    memmove(d->e + i + 1, d->e + i, (d->n - i) * sizeof *d->e);
    d->e[i].value = value;
    d->e[i].count = 1;
    d->n++;
}

int
iapt_cell_add(iapt_cell_t *cell, const iapt_contribution_t *c)
{
    for (size_t i = 0; i < cell->n_c; i++)
        if (c->counter[i] >= IAPT_CELL_COUNT_MAX ||
            cell->c[i] + c->counter[i] >= IAPT_CELL_COUNT_MAX)
            return iapt_error_set(IAPT_ELIMIT, "cell: more than 2^36 referrals or appointments");
    for (size_t i = 0; i < cell->n_d; i++)
        if (c->has_value[i] &&
            (c->value[i] > IAPT_CELL_VALUE_MAX || c->value[i] < -IAPT_CELL_VALUE_MAX))
            return iapt_error_set(IAPT_ELIMIT, "cell: a wait or appointment count beyond 2^18");
    /* Make room first: past this point nothing fails, so a failed add
     * leaves the cell as it was. */
    for (size_t i = 0; i < cell->n_d; i++)
        if (c->has_value[i] && s_reserve_one(&cell->d[i]) < 0)
            return iapt_error_set(IAPT_ENOMEM, "cell: out of memory");
    for (size_t i = 0; i < cell->n_c; i++)
        cell->c[i] += c->counter[i];
    for (size_t i = 0; i < cell->n_d; i++)
        if (c->has_value[i])
            s_insert_one(&cell->d[i], c->value[i]);
    return 0;
}

/* Merge two sorted maps into a new array (*out, *out_n). */
static int
s_merge_dist(const s_dist_t *a, const s_dist_t *b, s_entry_t **out, size_t *out_n)
{
    size_t n = a->n + b->n, i = 0, j = 0, k = 0;
    s_entry_t *e = malloc(n * sizeof *e); /* n >= 1: the caller skips empty sources */
    if (!e)
        return IAPT_ENOMEM;
    while (i < a->n || j < b->n) {
        if (j == b->n || (i < a->n && a->e[i].value < b->e[j].value)) {
            e[k++] = a->e[i++];
        } else if (i == a->n || b->e[j].value < a->e[i].value) {
            e[k++] = b->e[j++];
        } else {
            e[k] = a->e[i++];
            e[k++].count += b->e[j++].count;
        }
    }
    *out = e;
    *out_n = k;
    return 0;
}

int
iapt_cell_merge(iapt_cell_t *dst, const iapt_cell_t *src)
{
    s_entry_t *merged[IAPT_SCHEMA_DISTS_MAX] = {NULL};
    size_t merged_n[IAPT_SCHEMA_DISTS_MAX] = {0}, merged_cap[IAPT_SCHEMA_DISTS_MAX] = {0};
    int rc = 0;

    if (dst->schema != src->schema)
        return iapt_error_set(IAPT_EUSAGE, "cell merge: cells of two collections");
    for (size_t i = 0; i < dst->n_c; i++)
        if (dst->c[i] + src->c[i] >= IAPT_CELL_COUNT_MAX) {
            rc = iapt_error_set(IAPT_ELIMIT, "cell merge: a count reaches 2^36");
            goto out_free;
        }
    for (size_t i = 0; i < dst->n_d; i++) {
        if (src->d[i].n == 0)
            continue;
        merged_cap[i] = dst->d[i].n + src->d[i].n;
        if (s_merge_dist(&dst->d[i], &src->d[i], &merged[i], &merged_n[i]) < 0) {
            rc = iapt_error_set(IAPT_ENOMEM, "cell merge: out of memory");
            goto out_free;
        }
    }
    /* Nothing can fail from here. */
    for (size_t i = 0; i < dst->n_c; i++)
        dst->c[i] += src->c[i];
    for (size_t i = 0; i < dst->n_d; i++) {
        if (!merged[i])
            continue;
        free(dst->d[i].e);
        dst->d[i].e = merged[i];
        dst->d[i].n = merged_n[i];
        dst->d[i].cap = merged_cap[i];
        merged[i] = NULL;
    }
out_free:
    for (size_t i = 0; i < IAPT_SCHEMA_DISTS_MAX; i++)
        free(merged[i]);
    return rc;
}

bool
iapt_cell_equal(const iapt_cell_t *a, const iapt_cell_t *b)
{
    if (a->schema != b->schema || memcmp(a->c, b->c, a->n_c * sizeof *a->c) != 0)
        return false;
    for (size_t i = 0; i < a->n_d; i++) {
        if (a->d[i].n != b->d[i].n)
            return false;
        for (size_t k = 0; k < a->d[i].n; k++)
            if (a->d[i].e[k].value != b->d[i].e[k].value ||
                a->d[i].e[k].count != b->d[i].e[k].count)
                return false;
    }
    return true;
}

/* ---------------------------------------------------------------------------
 * Measure values
 * ------------------------------------------------------------------------ */

/* Value of the k-th (0-based) element of the multiset; k < total. */
static int32_t
s_kth(const s_dist_t *d, uint64_t k)
{
    for (size_t i = 0; i < d->n; i++) {
        if (k < d->e[i].count)
            return d->e[i].value;
        k -= d->e[i].count;
    }
    return 0; /* not reached for k < total */
}

int
iapt_cell_measure(const iapt_cell_t *cell, int measure, iapt_measure_value_t *out)
{
    const iapt_measure_schema_t *schema = cell->schema;
    if (measure < 0 || (size_t)measure >= schema->n_measures)
        return iapt_error_set(IAPT_EUSAGE, "no measure with index %d", measure);
    const iapt_measure_rule_t *r = &schema->measures[measure];
    out->kind = r->def.kind;
    out->scale = r->scale;
    out->supp = r->supp >= 0 ? (int64_t)cell->c[r->supp] : -1;
    out->den_scale = r->den_scale;
    out->empty = false;
    out->half_away = schema->round_half_away;
    if (r->join.collection) { /* computed by the roll-up */
        out->num = 0;
        out->den = 0;
        out->empty = true;
        return 0;
    }
    switch (r->def.kind) {
    case IAPT_MEASURE_COUNT:
    case IAPT_MEASURE_SUM_FIXED:
        out->num = (int64_t)cell->c[r->num];
        out->den = 1;
        break;
    case IAPT_MEASURE_RATIO:
        out->num = (int64_t)cell->c[r->num];
        out->den = (int64_t)cell->c[r->den];
        break;
    case IAPT_MEASURE_PERCENT:
        out->num = (int64_t)cell->c[r->num];
        out->den =
            (int64_t)cell->c[r->den] - (r->den_minus >= 0 ? (int64_t)cell->c[r->den_minus] : 0);
        break;
    case IAPT_MEASURE_MEAN:
    case IAPT_MEASURE_MEAN_SIGNED:
    case IAPT_MEASURE_MEDIAN: {
        const s_dist_t *d = &cell->d[r->dist];
        uint64_t total = 0;
        int64_t sum = 0;
        for (size_t i = 0; i < d->n; i++) {
            total += d->e[i].count;
            sum += (int64_t)d->e[i].value * (int64_t)d->e[i].count;
        }
        out->den = (int64_t)total;
        if (r->def.kind != IAPT_MEASURE_MEDIAN)
            out->num = sum;
        else
            out->num = total ? (int64_t)s_kth(d, (total - 1) / 2) + s_kth(d, total / 2) : 0;
        break;
    }
    }
    return 0;
}

/* ---------------------------------------------------------------------------
 * Encoding
 * ------------------------------------------------------------------------ */

/* Write v at p (room for 10 bytes); returns the bytes written. */
static size_t
s_put_varint(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    do {
        p[n] = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v)
            p[n] |= 0x80;
        n++;
    } while (v);
    return n;
}

static uint64_t
s_zigzag(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t
s_unzigzag(uint64_t v)
{
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

int
iapt_cell_encode(const iapt_cell_t *cell, iapt_buf_t *out)
{
    /* Worst case: 10 bytes per varint. Reserving once keeps the writes
     * below from failing half way. */
    size_t need = 1 + 10 * (cell->n_c + 1);
    for (size_t i = 0; i < cell->n_d; i++)
        need += 10 + 20 * cell->d[i].n;
    if (iapt_buf_reserve(out, need) < 0)
        return iapt_error_set(IAPT_ENOMEM, "cell encode: out of memory");
    uint8_t *start = out->data + out->len, *p = start;
    *p++ = IAPT_CELL_FORMAT_VERSION;
    p += s_put_varint(p, cell->n_c);
    for (size_t i = 0; i < cell->n_c; i++)
        p += s_put_varint(p, cell->c[i]);
    for (size_t i = 0; i < cell->n_d; i++) {
        const s_dist_t *d = &cell->d[i];
        p += s_put_varint(p, d->n);
        for (size_t k = 0; k < d->n; k++) {
            if (k == 0)
                p += s_put_varint(p, s_zigzag(d->e[k].value));
            else
                p += s_put_varint(p, (uint64_t)((int64_t)d->e[k].value - d->e[k - 1].value - 1));
            p += s_put_varint(p, d->e[k].count);
        }
    }
    out->len += (size_t)(p - start);
    out->data[out->len] = 0; /* iapt_buf keeps a NUL after the data */
    return 0;
}

typedef struct {
    const uint8_t *p, *end;
} s_reader_t;

/* A minimal-length varint of at most 64 bits. */
static int
s_get_varint(s_reader_t *r, uint64_t *v)
{
    uint64_t x = 0;
    for (int shift = 0, n = 0;; shift += 7, n++) {
        if (r->p == r->end)
            return iapt_error_set(IAPT_EFORMAT, "cell: truncated");
        uint8_t b = *r->p++;
        if (n == 9 && b > 1)
            return iapt_error_set(IAPT_EFORMAT, "cell: varint over 64 bits");
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            if (b == 0 && n > 0)
                return iapt_error_set(IAPT_EFORMAT, "cell: overlong varint");
            *v = x;
            return 0;
        }
    }
}

static int
s_decode(iapt_cell_t *cell, const uint8_t *bytes, size_t len)
{
    s_reader_t r = {bytes, bytes + len};
    uint64_t v;
    int rc;

    if (len == 0)
        return iapt_error_set(IAPT_EFORMAT, "cell: empty");
    if (bytes[0] != IAPT_CELL_FORMAT_VERSION)
        return iapt_error_set(IAPT_EFORMAT, "cell: unknown format version %u", bytes[0]);
    r.p++;
    if ((rc = s_get_varint(&r, &v)) < 0)
        return rc;
    if (v != cell->n_c)
        return iapt_error_set(IAPT_EFORMAT, "cell: %llu counters, version 1 has %zu",
                              (unsigned long long)v, cell->n_c);
    for (size_t i = 0; i < cell->n_c; i++) {
        if ((rc = s_get_varint(&r, &v)) < 0)
            return rc;
        if (v >= IAPT_CELL_COUNT_MAX)
            return iapt_error_set(IAPT_EFORMAT, "cell: counter %zu beyond 2^36", i);
        cell->c[i] = v;
    }
    /* Every counter is bounded by its total (adult: referral counters by
     * the referrals, appointment counters by the appointments): a cell
     * that says otherwise is corrupt. */
    const int *bound = cell->schema->counter_bound;
    for (size_t i = 0; bound && i < cell->n_c; i++)
        if (bound[i] >= 0 && cell->c[i] > cell->c[bound[i]])
            return iapt_error_set(IAPT_EFORMAT, "cell: counter %zu exceeds its total", i);
    for (size_t i = 0; i < cell->n_d; i++) {
        s_dist_t *d = &cell->d[i];
        if ((rc = s_get_varint(&r, &v)) < 0)
            return rc;
        /* Each entry takes at least two bytes: this bounds the allocation
         * by the input's length. */
        if (v > (uint64_t)(r.end - r.p) / 2)
            return iapt_error_set(IAPT_EFORMAT, "cell: distribution larger than its bytes");
        if (s_reserve(d, (size_t)v) < 0)
            return iapt_error_set(IAPT_ENOMEM, "cell decode: out of memory");
        size_t n = (size_t)v;
        int64_t prev = 0;
        uint64_t total = 0;
        for (size_t k = 0; k < n; k++) {
            int64_t value;
            if ((rc = s_get_varint(&r, &v)) < 0)
                return rc;
            if (k == 0) {
                value = s_unzigzag(v);
            } else {
                if (v > 2 * (uint64_t)IAPT_CELL_VALUE_MAX)
                    return iapt_error_set(IAPT_EFORMAT, "cell: value beyond 2^18");
                value = prev + (int64_t)v + 1;
            }
            if (value > IAPT_CELL_VALUE_MAX || value < -IAPT_CELL_VALUE_MAX)
                return iapt_error_set(IAPT_EFORMAT, "cell: value beyond 2^18");
            if ((rc = s_get_varint(&r, &v)) < 0)
                return rc;
            if (v == 0 || v >= IAPT_CELL_COUNT_MAX)
                return iapt_error_set(IAPT_EFORMAT, "cell: entry count 0 or beyond 2^36");
            total += v;
            if (total >= IAPT_CELL_COUNT_MAX)
                return iapt_error_set(IAPT_EFORMAT, "cell: distribution beyond 2^36");
            d->e[k].value = (int32_t)value;
            d->e[k].count = v;
            d->n = k + 1;
            prev = value;
        }
        if (total != cell->c[cell->schema->dist_total[i]])
            return iapt_error_set(IAPT_EFORMAT, "cell: distribution %zu disagrees with its count",
                                  i);
    }
    if (r.p != r.end)
        return iapt_error_set(IAPT_EFORMAT, "cell: %zu trailing bytes", (size_t)(r.end - r.p));
    return 0;
}

int
iapt_cell_decode(iapt_cell_t *cell, const uint8_t *bytes, size_t len)
{
    iapt_cell_reset(cell);
    if (!bytes && len)
        return iapt_error_set(IAPT_EUSAGE, "cell decode: NULL bytes");
    int rc = s_decode(cell, bytes, len);
    if (rc < 0)
        iapt_cell_reset(cell);
    return rc;
}
