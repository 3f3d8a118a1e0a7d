/* query_stats.c - measures and the targets view, rolled up at query time
 * from the stored per-(period, provider, commissioner) cells: one pass over
 * the period's cells of the requested breakdown, merged into every group
 * level (common/stats.h), so medians stay exact at every level. */
#include "common/collection.h"
#include "common/err.h"
#include "common/measures.h"
#include "common/stats.h"
#include "hub/query.h"
#include "hub/query_span.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_MAX_PERIODS 60
#define S_CELL_KEY 31 /* period 4, breakdown 1, provider 16, commissioner 8, level 2 */

typedef struct {
    iapt_stat_rows_t *rows;
    iapt_target_rows_t *targets;
    iapt_stats_t *months[IAPT_VIEW_MONTHS_MAX];
    Iapt__MeasureRow *mrows;
    Iapt__MeasureRow **mptrs;
    Iapt__TargetRow *trows;
    Iapt__TargetRow **tptrs;
    Iapt__MeasuresResponse mresp;
    Iapt__TargetsResponse tresp;
    char why[256]; /* a refusal's reason built for this request */
} s_scratch_t;

void
iapt_query_scratch_free(void **p)
{
    s_scratch_t *s = *p;
    if (!s)
        return;
    iapt_stat_rows_destroy(&s->rows);
    iapt_target_rows_destroy(&s->targets);
    for (int i = 0; i < IAPT_VIEW_MONTHS_MAX; i++)
        iapt_stats_destroy(&s->months[i]);
    free(s->mrows);
    free(s->mptrs);
    free(s->trows);
    free(s->tptrs);
    free(s);
    *p = NULL;
}

/* Feed every stored cell of (period, breakdown) into st. */
static int
s_load_cells(iapt_hub_t *hub, MDB_txn *txn, const iapt_registry_t *reg, unsigned coll,
             const iapt_period_t *p, int breakdown, iapt_stats_t *st)
{
    MDB_cursor *c;
    iapt_cell_t *cell = iapt_cell_new(iapt_stats_schema(st));
    int rc = mdb_cursor_open(txn, hub->st->cell, &c);
    if (rc || !cell) {
        iapt_cell_destroy(&cell);
        return rc ? iapt_store_err(rc, "cursor") : IAPT_ENOMEM;
    }
    uint8_t prefix[5];
    iapt_be32(prefix, iapt_store_period_key(coll, p));
    prefix[4] = (uint8_t)breakdown;
    MDB_val k = {5, prefix}, v;
    int r;
    rc = 0;
    char provider[17] = "", name_of[17] = "";
    const char *name = "";
    for (r = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); r == 0 && rc == 0;
         r = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        const uint8_t *key = k.mv_data;
        if (k.mv_size != S_CELL_KEY || memcmp(key, prefix, 5) != 0)
            break;
        char commissioner[9] = {0};
        memcpy(provider, key + 5, 16);
        provider[16] = 0;
        memcpy(commissioner, key + 21, 8);
        int level = key[29] << 8 | key[30];
        if (strcmp(provider, name_of) != 0) {
            const iapt_registry_entry_t *e = iapt_registry_org(reg, provider);
            name = e ? e->name : "";
            memcpy(name_of, provider, sizeof name_of);
        }
        if ((rc = iapt_cell_decode(cell, v.mv_data, v.mv_size)) < 0) {
            rc = iapt_error_set(IAPT_ELMDB, "stored cell of %s in %s does not decode: %s", provider,
                                p->text, iapt_error_detail());
            break;
        }
        rc = iapt_stats_add_cell(st, provider, name, commissioner, level, cell);
    }
    mdb_cursor_close(c);
    iapt_cell_destroy(&cell);
    if (rc == 0 && r && r != MDB_NOTFOUND)
        rc = iapt_store_err(r, "read cells");
    return rc;
}

/* For a schema with join measures: the other collections' accumulators of
 * period p (breakdown 0), loaded and given to st; joins[] owns them. */
static int
s_load_joins(iapt_hub_t *hub, MDB_txn *txn, const iapt_registry_t *reg,
             const iapt_measure_schema_t *schema, const iapt_period_t *p, iapt_stats_t *st,
             iapt_stats_t *joins[IAPT_STATS_JOINS_MAX])
{
    size_t n = 0;
    for (size_t m = 0; m < schema->n_measures; m++) {
        const char *name = schema->measures[m].join.collection;
        const iapt_collection_t *other = name ? iapt_collection_find(name) : NULL;
        if (!other || !other->hub || other->hub == schema)
            continue;
        bool have = false;
        for (size_t j = 0; j < n; j++)
            have |= iapt_stats_schema(joins[j]) == other->hub;
        if (have || n == IAPT_STATS_JOINS_MAX)
            continue;
        if (!(joins[n] = iapt_stats_new(other->hub, p, hub->geo, 0)))
            return IAPT_ENOMEM;
        int rc = s_load_cells(hub, txn, reg, other->index, p, 0, joins[n]);
        if (rc == 0)
            rc = iapt_stats_add_join(st, other->name, joins[n]);
        n++;
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* The span loader (hub/query_span.h) over s_load_cells. */
typedef struct {
    iapt_hub_t *hub;
    MDB_txn *txn;
    const iapt_registry_t *reg;
    unsigned collection; /* registry index */
} s_span_ctx_t;

static int
s_span_load(void *arg, const iapt_period_t *month, int breakdown, iapt_stats_t *st)
{
    s_span_ctx_t *x = arg;
    return s_load_cells(x->hub, x->txn, x->reg, x->collection, month, breakdown, st);
}

static int
s_span_join(void *arg, const iapt_period_t *month, iapt_stats_t *st,
            iapt_stats_t *joins[IAPT_STATS_JOINS_MAX])
{
    s_span_ctx_t *x = arg;
    return s_load_joins(x->hub, x->txn, x->reg, iapt_stats_schema(st), month, st, joins);
}

static void
s_refuse(Iapt__QueryResponse *resp, Iapt__RefuseCode code, const char *why)
{
    resp->has_error = 1;
    resp->error = code;
    resp->reason = (char *)why;
}

int
iapt_query_measures(iapt_hub_t *hub, MDB_txn *txn, const iapt_registry_t *reg,
                    const iapt_registry_entry_t *peer, const iapt_collection_t *col,
                    const Iapt__MeasuresRequest *req, Iapt__QueryResponse *resp, void **scratch)
{
    const iapt_measure_schema_t *schema = col->hub;
    (void)peer; /* roles were checked by the caller */
    iapt_period_t from, to;
    /* A financial quarter or year ("2025/26-Q2", "2025/26") in period_from:
     * one span of merged months (hub/query_span.h). */
    iapt_fspan_t span;
    int is_span = req->period_from && iapt_fspan_parse(req->period_from, &span) == 0;
    if (is_span && req->period_to && *req->period_to) {
        s_refuse(resp, IAPT__REFUSE_CODE__REFUSE_INVALID,
                 "a quarter or a year takes no end period");
        return 0;
    }
    if (is_span) {
        from = span.first;
        to = span.first;
    } else if (iapt_period_parse(req->period_from, &from) < 0 ||
               iapt_period_parse(req->period_to ? req->period_to : req->period_from, &to) < 0) {
        s_refuse(resp, IAPT__REFUSE_CODE__REFUSE_INVALID,
                 "periods must be YYYY-MM (or a quarter 2025/26-Q2, a year 2025/26)");
        return 0;
    }
    int nper = (to.year * 12 + to.month) - (from.year * 12 + from.month) + 1;
    if (nper < 1 || nper > S_MAX_PERIODS) {
        s_refuse(resp, IAPT__REFUSE_CODE__REFUSE_INVALID,
                 "the range must run forward and span at most 60 months");
        return 0;
    }
    int breakdown = 0;
    if (req->breakdown && *req->breakdown && strcmp(req->breakdown, "none") != 0) {
        if ((breakdown = iapt_schema_breakdown_find(schema, req->breakdown)) <= 0) {
            /* The collection's own breakdown keys, in the reason (which
             * lives in the request's scratch until the answer is sent). */
            s_scratch_t *s = calloc(1, sizeof *s);
            if (!s)
                return IAPT_ENOMEM;
            *scratch = s;
            size_t used = (size_t)snprintf(s->why, sizeof s->why, "unknown breakdown (");
            for (size_t b = 1; b < schema->n_breakdowns && used < sizeof s->why; b++)
                used += (size_t)snprintf(s->why + used, sizeof s->why - used, "%s%s",
                                         b > 1 ? ", " : "", schema->breakdowns[b].key);
            if (used < sizeof s->why)
                snprintf(s->why + used, sizeof s->why - used, ")");
            s_refuse(resp, IAPT__REFUSE_CODE__REFUSE_INVALID, s->why);
            return 0;
        }
    }
    iapt_stats_query_t q = {0};
    for (size_t i = 0; i < req->n_group_types; i++) {
        int t = iapt_group_type_find(req->group_types[i]);
        if (t < 0) {
            s_refuse(resp, IAPT__REFUSE_CODE__REFUSE_INVALID,
                     "group types are England, Region, ICB, SubICB, Provider");
            return 0;
        }
        q.group_types |= IAPT_GROUP_BIT(t);
    }
    for (size_t i = 0; i < req->n_measure_ids; i++)
        if (iapt_schema_measure_find(schema, req->measure_ids[i]) < 0) {
            s_refuse(resp, IAPT__REFUSE_CODE__REFUSE_INVALID, "unknown measure id");
            return 0;
        }
    q.org_codes = (const char *const *)req->org_codes;
    q.n_org_codes = req->n_org_codes;
    q.measure_ids = (const char *const *)req->measure_ids;
    q.n_measure_ids = req->n_measure_ids;
    q.unsuppressed = req->has_unsuppressed && req->unsuppressed;

    s_scratch_t *s = calloc(1, sizeof *s);
    if (!s)
        return IAPT_ENOMEM;
    *scratch = s;
    int rc = 0;
    if (is_span) {
        s_span_ctx_t ctx = {hub, txn, reg, col->index};
        rc = iapt_span_rows(schema, &span, hub->geo, breakdown, &q, s_span_load, s_span_join, &ctx,
                            &s->rows);
        nper = 0;
    }
    for (int i = 0; i < nper && rc == 0; i++) {
        iapt_period_t p;
        iapt_period_add(&from, i, &p);
        iapt_stats_t *st = iapt_stats_new(schema, &p, hub->geo, breakdown);
        if (!st)
            return IAPT_ENOMEM;
        rc = s_load_cells(hub, txn, reg, col->index, &p, breakdown, st);
        iapt_stats_t *joins[IAPT_STATS_JOINS_MAX] = {NULL};
        if (rc == 0 && breakdown == 0)
            rc = s_load_joins(hub, txn, reg, schema, &p, st, joins);
        if (rc == 0)
            rc = iapt_stats_rows(st, &q, &s->rows);
        iapt_stats_destroy(&st);
        for (int j = 0; j < IAPT_STATS_JOINS_MAX; j++)
            iapt_stats_destroy(&joins[j]);
    }
    if (rc < 0)
        return rc;
    size_t n = s->rows ? iapt_stat_rows_count(s->rows) : 0;
    s->mrows = calloc(n ? n : 1, sizeof *s->mrows);
    s->mptrs = calloc(n ? n : 1, sizeof *s->mptrs);
    if (!s->mrows || !s->mptrs)
        return IAPT_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const iapt_stat_row_t *r = iapt_stat_rows_get(s->rows, i);
        Iapt__MeasureRow *m = &s->mrows[i];
        iapt__measure_row__init(m);
        m->period_start = (char *)r->period_start;
        m->period_end = (char *)r->period_end;
        m->group_type = (char *)r->group_type;
        m->org_code1 = (char *)r->org_code1;
        m->org_name1 = (char *)r->org_name1;
        m->org_code2 = (char *)r->org_code2;
        m->org_name2 = (char *)r->org_name2;
        if (breakdown) {
            m->breakdown = (char *)r->breakdown;
            m->breakdown_level = (char *)r->breakdown_level;
        }
        m->measure_id = (char *)r->measure_id;
        m->measure_name = (char *)r->measure_name;
        m->value = (char *)r->value;
        s->mptrs[i] = m;
    }
    iapt__measures_response__init(&s->mresp);
    s->mresp.n_rows = n;
    s->mresp.rows = s->mptrs;
    s->mresp.suppressed = !q.unsuppressed;
    resp->body_case = IAPT__QUERY_RESPONSE__BODY_MEASURES;
    resp->measures = &s->mresp;
    return 0;
}

int
iapt_query_targets(iapt_hub_t *hub, MDB_txn *txn, const iapt_registry_t *reg,
                   const iapt_collection_t *col, const Iapt__TargetsRequest *req,
                   Iapt__QueryResponse *resp, void **scratch)
{
    const iapt_measure_schema_t *schema = col->hub;
    if (!schema->view) {
        s_refuse(resp, IAPT__REFUSE_CODE__REFUSE_INVALID, "the collection has no programme view");
        return 0;
    }
    iapt_period_t end;
    if (iapt_period_parse(req->period, &end) < 0) {
        s_refuse(resp, IAPT__REFUSE_CODE__REFUSE_INVALID, "period must be YYYY-MM");
        return 0;
    }
    if ((schema->view_needs_targets && !hub->targets) || !hub->geo) {
        s_refuse(resp, IAPT__REFUSE_CODE__REFUSE_INVALID,
                 schema->view_needs_targets
                     ? "this hub has no targets table or geography configured"
                     : "this hub has no geography configured");
        return 0;
    }
    s_scratch_t *s = calloc(1, sizeof *s);
    if (!s)
        return IAPT_ENOMEM;
    *scratch = s;
    int rc = 0;
    int n_months = schema->view_months ? (int)schema->view_months : 12;
    if (n_months > IAPT_VIEW_MONTHS_MAX)
        n_months = IAPT_VIEW_MONTHS_MAX;
    for (int i = 0; i < n_months && rc == 0; i++) {
        iapt_period_t p;
        iapt_period_add(&end, i - (n_months - 1), &p);
        if (!(s->months[i] = iapt_stats_new(schema, &p, hub->geo, 0)))
            return IAPT_ENOMEM;
        rc = s_load_cells(hub, txn, reg, col->index, &p, 0, s->months[i]);
    }
    if (rc < 0)
        return rc;
    iapt_view_input_t in = {.period = &end,
                            .months = (const struct iapt_stats *const *)s->months,
                            .n_months = (size_t)n_months,
                            .geography = hub->geo,
                            .providers = hub->providers,
                            .targets = hub->targets};
    if ((rc = schema->view(&in, &s->targets)) < 0)
        return rc;
    size_t n = iapt_target_rows_count(s->targets);
    s->trows = calloc(n ? n : 1, sizeof *s->trows);
    s->tptrs = calloc(n ? n : 1, sizeof *s->tptrs);
    if (!s->trows || !s->tptrs)
        return IAPT_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const iapt_target_row_t *r = iapt_target_rows_get(s->targets, i);
        Iapt__TargetRow *t = &s->trows[i];
        iapt__target_row__init(t);
        t->region = (char *)r->region;
        t->measure = (char *)r->measure;
        t->value = (char *)r->value;
        t->target = (char *)r->target;
        t->progress = (char *)r->progress;
        if (r->view && *r->view) {
            t->view = (char *)r->view;
            t->group_type = (char *)r->group_type;
            t->org_code = (char *)r->org_code;
        }
        s->tptrs[i] = t;
    }
    iapt__targets_response__init(&s->tresp);
    s->tresp.n_rows = n;
    s->tresp.rows = s->tptrs;
    s->tresp.months_available = (uint32_t)iapt_target_rows_months(s->targets);
    resp->body_case = IAPT__QUERY_RESPONSE__BODY_TARGETS;
    resp->targets = &s->tresp;
    return 0;
}
