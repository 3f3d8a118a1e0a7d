/* audit_recompute.c - one period's publication rebuilt from the log and
 * compared with the hub's (hub/audit.h, recompute).
 *
 * Speed: a national month is about 250 submissions, 600k records and, with
 * every breakdown, over two million published rows. Records are fetched and
 * checked by `jobs` workers, each on its own connection, so the hub reads
 * one submission while the others are hashed and derived; published rows
 * are asked for in ranges of the catalogue's measures by a fetcher thread,
 * so the hub builds the next range while this side compares the last. */
#include "common/collection.h"
#include "common/date.h"
#include "common/err.h"
#include "common/stats.h"
#include "hub/audit_internal.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ---- records, by a pool of workers -------------------------------------------- */

typedef struct {
    const au_sub_t *sub;
    char *report; /* the worker's report lines, printed in submission order */
    size_t report_len;
    unsigned passed, failed;
    int rc;
} s_task_t;

typedef struct {
    const iapt_audit_t *a;
    s_task_t *tasks;
    size_t n;
    pthread_mutex_t lock; /* everything below */
    size_t next;
    int error; /* the first error: the workers stop taking tasks */
    char detail[512];
    iapt_stats_t *st[IAPT_SCHEMA_BREAKDOWNS_MAX];
    const iapt_measure_schema_t *schema; /* of the tasks' collection */
    au_timing_t timing;
} s_pool_t;

typedef struct {
    s_pool_t *pool;
    const char *org, *name;
} s_fold_t;

/* One cell of a submission's aggregation into the accumulator of its
 * breakdown, as the hub stores them per (period, breakdown, provider,
 * commissioner, level) and rolls them up at query time
 * (hub/query_stats.c). Called with the pool's lock held. */
static int
s_fold_cell(const char *commissioner, int breakdown, int level, const iapt_cell_t *cell, void *arg)
{
    s_fold_t *f = arg;
    if (breakdown < 0 || breakdown >= IAPT_SCHEMA_BREAKDOWNS_MAX || !f->pool->st[breakdown])
        return 0;
    return iapt_stats_add_cell(f->pool->st[breakdown], f->org, f->name, commissioner, level, cell);
}

static int
s_run_task(s_pool_t *pool, au_ctx_t *c, s_task_t *task)
{
    const iapt_audit_t *a = pool->a;
    au_timing_t t = {0};
    iapt_agg_t *agg = iapt_agg_new(pool->schema);
    FILE *f = open_memstream(&task->report, &task->report_len);
    int rc = 0;
    if (!agg || !f) {
        rc = IAPT_ENOMEM;
        goto out;
    }
    c->out = f;
    c->passed = c->failed = 0;
    rc = au_check_records(c, task->sub, agg, &t);
    task->passed = c->passed;
    task->failed = c->failed;
    if (rc < 0 && rc != IAPT_ECRYPTO)
        goto out;
    /* Records that did not check are still counted as the hub counted
     * them: the failure is reported, and the figures compared as they are. */
    const iapt_registry_entry_t *e = iapt_registry_org(a->cfg.reg, task->sub->org);
    s_fold_t fold = {pool, task->sub->org, e ? e->name : ""};
    pthread_mutex_lock(&pool->lock);
    int r = iapt_agg_foreach(agg, s_fold_cell, &fold);
    pool->timing.records += t.records;
    pool->timing.bytes += t.bytes;
    pool->timing.wait_ms += t.wait_ms;
    pthread_mutex_unlock(&pool->lock);
    if (r != 0)
        rc = r < 0 ? r : IAPT_ENOMEM;
out:
    if (f)
        fclose(f);
    c->out = NULL;
    iapt_agg_destroy(&agg);
    return rc;
}

static void *
s_worker(void *arg)
{
    s_pool_t *pool = arg;
    au_ctx_t c;
    int rc = au_ctx_open(pool->a, NULL, &c);
    for (;;) {
        pthread_mutex_lock(&pool->lock);
        if (rc < 0 && !pool->error) {
            pool->error = rc;
            iapt_strlcpy(pool->detail, iapt_error_detail(), sizeof pool->detail);
        }
        if (pool->error || pool->next == pool->n) {
            pthread_mutex_unlock(&pool->lock);
            break;
        }
        s_task_t *task = &pool->tasks[pool->next++];
        pthread_mutex_unlock(&pool->lock);
        task->rc = rc = s_run_task(pool, &c, task);
        if (rc == IAPT_ECRYPTO)
            rc = 0;
        if (rc < 0) {
            /* The detail is this thread's: keep it with the task. */
            free(task->report);
            task->report = strdup(iapt_error_detail());
            task->report_len = task->report ? strlen(task->report) : 0;
        }
    }
    au_ctx_close(&c);
    return NULL;
}

/* Check every task's records on a.jobs connections and fold them into
 * pool->st; print the reports in task order. 0 or the first error. */
static int
s_pool_run(au_ctx_t *c, s_pool_t *pool)
{
    int jobs = c->a->cfg.jobs, started = 0, rc = 0;
    pthread_t th[16];
    if (jobs > 16)
        jobs = 16;
    if ((size_t)jobs > pool->n)
        jobs = (int)pool->n;
    for (int i = 0; i < jobs; i++) {
        if (pthread_create(&th[i], NULL, s_worker, pool) != 0)
            break;
        started++;
    }
    if (started == 0 && pool->n)
        s_worker(pool); /* no thread to be had: do it here */
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    for (size_t i = 0; i < pool->n; i++) {
        s_task_t *t = &pool->tasks[i];
        if (t->rc < 0 && t->rc != IAPT_ECRYPTO) {
            if (!rc)
                rc = iapt_error_set(t->rc, "%s", t->report ? t->report : "");
            continue;
        }
        if (t->report_len)
            fwrite(t->report, 1, t->report_len, c->out);
        c->passed += t->passed;
        c->failed += t->failed;
    }
    if (!rc && pool->error)
        rc = iapt_error_set(pool->error, "%s", pool->detail);
    return rc;
}

/* ---- published rows, by a fetcher thread ---------------------------------------------------- */

/* One question to the hub: a breakdown's rows for a range of the
 * catalogue's measures, or for all of them (the whole publication of that
 * breakdown, so a row of any kind the hub adds is seen). */
typedef struct {
    int breakdown;
    size_t from, count; /* measure indexes; count 0: no filter */
    bool last;          /* the breakdown's last chunk */
    Iapt__QueryResponse *resp;
    int rc; /* 0, 1 (a failed answer: why), <0 */
    char why[256];
    char detail[512];
} s_chunk_t;

typedef struct {
    const iapt_audit_t *a;
    const iapt_period_t *p;
    const char *const *ids; /* every catalogue measure id */
    s_chunk_t *chunks;
    size_t n;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    size_t fetched, used; /* the fetcher stays at most S_AHEAD chunks ahead */
    bool quit;
    int64_t wait_ms;
} s_fetch_t;

#define S_AHEAD 2

static void *
s_fetcher(void *arg)
{
    s_fetch_t *f = arg;
    au_ctx_t c;
    int open_rc = au_ctx_open(f->a, NULL, &c);
    for (size_t i = 0; i < f->n; i++) {
        s_chunk_t *ch = &f->chunks[i];
        pthread_mutex_lock(&f->lock);
        while (!f->quit && f->fetched - f->used >= S_AHEAD)
            pthread_cond_wait(&f->cond, &f->lock);
        bool quit = f->quit;
        pthread_mutex_unlock(&f->lock);
        if (quit)
            break;
        if (open_rc < 0) {
            ch->rc = open_rc;
            iapt_strlcpy(ch->detail, iapt_error_detail(), sizeof ch->detail);
        } else {
            Iapt__MeasuresRequest mr = IAPT__MEASURES_REQUEST__INIT;
            Iapt__QueryRequest q = IAPT__QUERY_REQUEST__INIT;
            mr.period_from = (char *)f->p->text;
            mr.breakdown =
                ch->breakdown ? (char *)c.a->schema->breakdowns[ch->breakdown].key : NULL;
            mr.n_measure_ids = ch->count;
            mr.measure_ids = ch->count ? (char **)(f->ids + ch->from) : NULL;
            q.body_case = IAPT__QUERY_REQUEST__BODY_MEASURES;
            q.measures = &mr;
            q.collection = (char *)iapt_collection_at(c.a->collection)->name;
            ch->rc = au_ask(&c, &q, IAPT__QUERY_RESPONSE__BODY_MEASURES, &ch->resp, ch->why,
                            sizeof ch->why);
            if (ch->rc < 0)
                iapt_strlcpy(ch->detail, iapt_error_detail(), sizeof ch->detail);
        }
        pthread_mutex_lock(&f->lock);
        f->fetched = i + 1;
        f->wait_ms = c.wait_ms;
        pthread_cond_broadcast(&f->cond);
        pthread_mutex_unlock(&f->lock);
    }
    pthread_mutex_lock(&f->lock);
    f->quit = true; /* nothing more will come */
    pthread_cond_broadcast(&f->cond);
    pthread_mutex_unlock(&f->lock);
    au_ctx_close(&c);
    return NULL;
}

/* Wait for chunk i; NULL when the fetcher stopped before it. */
static s_chunk_t *
s_chunk_wait(s_fetch_t *f, size_t i)
{
    pthread_mutex_lock(&f->lock);
    while (f->fetched <= i && !f->quit)
        pthread_cond_wait(&f->cond, &f->lock);
    s_chunk_t *ch = f->fetched > i ? &f->chunks[i] : NULL;
    pthread_mutex_unlock(&f->lock);
    return ch;
}

static void
s_chunk_done(s_fetch_t *f, size_t i)
{
    au_free_resp(&f->chunks[i].resp);
    pthread_mutex_lock(&f->lock);
    f->used = i + 1;
    pthread_cond_broadcast(&f->cond);
    pthread_mutex_unlock(&f->lock);
}

static const char *
s_str(const char *s)
{
    return s ? s : "";
}

static void
s_row_label(const iapt_stat_row_t *r, char *out, size_t size)
{
    const char *c1 = s_str(r->org_code1), *c2 = s_str(r->org_code2);
    const char *org = strcmp(c1, "all") != 0 ? c1 : strcmp(c2, "all") != 0 ? c2 : "England";
    const char *lvl = s_str(r->breakdown_level);
    snprintf(out, size, "%.7s %s %s%s%s%s %s %s", s_str(r->period_start), s_str(r->group_type), org,
             *lvl ? " [" : "", lvl, *lvl ? "]" : "", s_str(r->measure_id), s_str(r->measure_name));
}

static const char *
s_field(const iapt_stat_row_t *r, const char *field)
{
    const char *v = "";
    if (strcmp(field, "MEASURE_VALUE") == 0)
        v = r->value;
    else if (strcmp(field, "ORG_NAME1") == 0)
        v = r->org_name1;
    else if (strcmp(field, "ORG_NAME2") == 0)
        v = r->org_name2;
    else if (strcmp(field, "REPORTING_PERIOD_END") == 0)
        v = r->period_end;
    else if (strcmp(field, "BREAKDOWN") == 0)
        v = r->breakdown;
    else if (strcmp(field, "MEASURE_NAME") == 0)
        v = r->measure_name;
    return s_str(v);
}

static void
s_diff_line(const iapt_audit_diff_t *d, void *arg)
{
    au_list_t *l = arg;
    char label[512];
    switch (d->kind) {
    case IAPT_AUDIT_DIFF_VALUE:
        s_row_label(d->ours, label, sizeof label);
        if (strcmp(d->field, "MEASURE_VALUE") == 0)
            au_list_add(l, "%s: hub '%s', recomputed '%s'", label, s_field(d->theirs, d->field),
                        s_field(d->ours, d->field));
        else
            au_list_add(l, "%s: %s: hub '%s', recomputed '%s'", label, d->field,
                        s_field(d->theirs, d->field), s_field(d->ours, d->field));
        break;
    case IAPT_AUDIT_DIFF_MISSING:
        s_row_label(d->ours, label, sizeof label);
        au_list_add(l, "%s: missing from the hub's rows (recomputed '%s')", label,
                    s_field(d->ours, "MEASURE_VALUE"));
        break;
    case IAPT_AUDIT_DIFF_EXTRA:
        s_row_label(d->theirs, label, sizeof label);
        au_list_add(l, "%s: the hub publishes '%s', not recomputed from the log", label,
                    s_field(d->theirs, "MEASURE_VALUE"));
        break;
    case IAPT_AUDIT_DIFF_REPEATED:
        s_row_label(d->theirs, label, sizeof label);
        au_list_add(l, "%s: the hub gives this row more than once", label);
        break;
    }
}

/* Totals of one breakdown over its chunks. */
typedef struct {
    size_t ours, theirs;
    long diffs;
    au_list_t list;
    bool unsuppressed;
} s_bd_t;

/* Our rows for the chunk against the hub's answer to it. */
static int
s_compare_chunk(const s_chunk_t *ch, const iapt_stats_t *st, const char *const *ids, s_bd_t *bd)
{
    iapt_stats_query_t q = {0};
    iapt_stat_rows_t *rows = NULL;
    iapt_stat_row_t *ours = NULL, *theirs = NULL;
    const Iapt__MeasuresResponse *m = ch->resp->measures;
    int rc;

    q.measure_ids = ch->count ? ids + ch->from : NULL;
    q.n_measure_ids = ch->count;
    if ((rc = iapt_stats_rows(st, &q, &rows)) < 0)
        goto out;
    size_t n = rows ? iapt_stat_rows_count(rows) : 0;
    ours = malloc((n ? n : 1) * sizeof *ours);
    theirs = malloc((m->n_rows ? m->n_rows : 1) * sizeof *theirs);
    if (!ours || !theirs) {
        rc = IAPT_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        ours[i] = *iapt_stat_rows_get(rows, i);
    for (size_t i = 0; i < m->n_rows; i++) {
        const Iapt__MeasureRow *h = m->rows[i];
        iapt_stat_row_t r = {h->period_start,
                             h->period_end,
                             0,
                             h->group_type,
                             h->org_code1,
                             h->org_name1,
                             h->org_code2,
                             h->org_name2,
                             h->breakdown,
                             h->breakdown_level,
                             h->measure_id,
                             h->measure_name,
                             h->value,
                             0};
        theirs[i] = r;
    }
    long d = iapt_audit_rows_compare(ours, n, theirs, m->n_rows, s_diff_line, &bd->list);
    if (d < 0) {
        rc = (int)d;
        goto out;
    }
    bd->ours += n;
    bd->theirs += m->n_rows;
    bd->diffs += d;
    bd->unsuppressed |= !m->suppressed;
out:
    free(ours);
    free(theirs);
    iapt_stat_rows_destroy(&rows);
    return rc;
}

/* Plan the questions: per breakdown, enough ranges of measures that no
 * answer is much over IAPT_AUDIT_ROWS_PER_ASK rows, judged by our own rows
 * (every group level has a row for every measure). */
static int
s_plan(iapt_stats_t *const st[IAPT_SCHEMA_BREAKDOWNS_MAX], const char *const *ids, size_t n_ids,
       s_chunk_t **out, size_t *n_out)
{
    size_t n = 0, cap = 0;
    s_chunk_t *v = NULL;
    for (int b = 0; b < IAPT_SCHEMA_BREAKDOWNS_MAX; b++) {
        if (!st[b])
            continue;
        iapt_stats_query_t one = {0};
        iapt_stat_rows_t *rows = NULL;
        one.measure_ids = ids;
        one.n_measure_ids = 1;
        int rc = iapt_stats_rows(st[b], &one, &rows);
        size_t levels = rows ? iapt_stat_rows_count(rows) : 0;
        iapt_stat_rows_destroy(&rows);
        if (rc < 0) {
            free(v);
            return rc;
        }
        size_t k = (levels * n_ids + IAPT_AUDIT_ROWS_PER_ASK - 1) / IAPT_AUDIT_ROWS_PER_ASK;
        if (k < 1)
            k = 1;
        if (k > n_ids)
            k = n_ids;
        if (n + k > cap) {
            size_t c2 = (n + k) * 2;
            s_chunk_t *w = realloc(v, c2 * sizeof *w);
            if (!w) {
                free(v);
                return IAPT_ENOMEM;
            }
            v = w;
            cap = c2;
        }
        for (size_t i = 0; i < k; i++) {
            s_chunk_t *ch = &v[n++];
            memset(ch, 0, sizeof *ch);
            ch->breakdown = b;
            ch->from = k == 1 ? 0 : i * n_ids / k;
            ch->count = k == 1 ? 0 : (i + 1) * n_ids / k - ch->from;
            ch->last = i == k - 1;
        }
    }
    *out = v;
    *n_out = n;
    return 0;
}

/* Compare every planned chunk, one line per breakdown. */
static int
s_compare_all(au_ctx_t *c, const iapt_period_t *p,
              iapt_stats_t *const st[IAPT_SCHEMA_BREAKDOWNS_MAX], unsigned long *n_diffs)
{
    size_t n_defs;
    const iapt_measure_rule_t *defs = c->a->schema->measures;
    n_defs = c->a->schema->n_measures;
    const char **ids = calloc(n_defs ? n_defs : 1, sizeof *ids);
    s_fetch_t f = {0};
    s_bd_t bd = {0};
    pthread_t th;
    int64_t t0 = iapt_clock_ms(), tb = t0;
    int rc = 0;

    if (!ids)
        return IAPT_ENOMEM;
    for (size_t i = 0; i < n_defs; i++)
        ids[i] = defs[i].def.id;
    if ((rc = s_plan(st, ids, n_defs, &f.chunks, &f.n)) < 0)
        goto out;
    f.a = c->a;
    f.p = p;
    f.ids = ids;
    pthread_mutex_init(&f.lock, NULL);
    pthread_cond_init(&f.cond, NULL);
    if (pthread_create(&th, NULL, s_fetcher, &f) != 0) {
        rc = iapt_error_set(IAPT_ENOMEM, "cannot start a thread");
        goto out_sync;
    }
    for (size_t i = 0; i < f.n && rc == 0; i++) {
        s_chunk_t *ch = s_chunk_wait(&f, i);
        int b = f.chunks[i].breakdown;
        const char *what = b ? c->a->schema->breakdowns[b].key : "no breakdown";
        if (!ch) {
            rc = iapt_error_set(IAPT_EIO, "the fetcher stopped");
            break;
        }
        if (ch->rc < 0) {
            rc = iapt_error_set(ch->rc, "%s", ch->detail);
            break;
        }
        if (ch->rc == 1) {
            au_check(c, false, "measures %s (%s): %s", p->text, what, ch->why);
            bd.diffs++; /* the breakdown cannot be said to match */
        } else if ((rc = s_compare_chunk(ch, st[b], ids, &bd)) < 0) {
            break;
        }
        s_chunk_done(&f, i);
        if (!ch->last)
            continue;
        if (bd.unsuppressed) {
            au_check(c, false, "measures %s (%s): the hub gave unsuppressed figures to the auditor",
                     p->text, what);
        }
        if (bd.diffs == 0) {
            au_check(c, true, "measures %s (%s): all %zu published rows equal the recomputed ones",
                     p->text, what, bd.ours);
        } else if (bd.list.n) {
            au_check(c, false,
                     "measures %s (%s): %ld differences between the hub's %zu rows and the %zu "
                     "recomputed",
                     p->text, what, bd.diffs, bd.theirs, bd.ours);
            au_list_flush(c, &bd.list);
        }
        *n_diffs += (unsigned long)bd.diffs;
        au_verbose(c, "measures (%s): %zu rows compared in %.3f s", what, bd.ours,
                   (double)(iapt_clock_ms() - tb) / 1000.0);
        au_list_free(&bd.list);
        memset(&bd, 0, sizeof bd);
        tb = iapt_clock_ms();
    }
    pthread_mutex_lock(&f.lock);
    f.quit = true;
    pthread_cond_broadcast(&f.cond);
    pthread_mutex_unlock(&f.lock);
    pthread_join(th, NULL);
    au_verbose(c, "measures: %zu questions in %.3f s (%.3f s waiting for the hub's answers)", f.n,
               (double)(iapt_clock_ms() - t0) / 1000.0, (double)f.wait_ms / 1000.0);
out_sync:
    pthread_cond_destroy(&f.cond);
    pthread_mutex_destroy(&f.lock);
out:
    for (size_t i = 0; i < f.n; i++)
        au_free_resp(&f.chunks[i].resp);
    au_list_free(&bd.list);
    free(f.chunks);
    free(ids);
    return rc;
}

/* ---- recompute ---------------------------------------------------------------------------------
 */

int
iapt_audit_recompute(iapt_audit_t *a, const char *period_text, int breakdown)
{
    au_ctx_t *c = &a->main;
    iapt_period_t p;
    au_cp_t cp = {0};
    au_orgs_t orgs = {0};
    s_pool_t pool = {0};
    s_pool_t joins[IAPT_STATS_JOINS_MAX];
    size_t n_joins = 0;
    unsigned long n_diffs = 0;
    int64_t t0;
    int rc;

    if (!c->client || !a->cfg.reg)
        return iapt_error_set(IAPT_EUSAGE, "recompute needs a connection and the registry");
    if (iapt_period_parse(period_text, &p) < 0)
        return iapt_error_set(IAPT_EUSAGE, "period '%s' is not YYYY-MM", period_text);
    if (breakdown >= (int)a->schema->n_breakdowns)
        return iapt_error_set(IAPT_EUSAGE, "no breakdown %d", breakdown);
    memset(joins, 0, sizeof joins);
    pthread_mutex_init(&pool.lock, NULL);

    /* Leaves of a log that is not the verified one prove nothing. */
    if ((rc = au_log_checks(c, &cp)) < 0)
        goto out;
    if ((rc = au_scan_leaves(c, &cp, p.text, &orgs)) < 0 && rc != IAPT_ECRYPTO)
        goto out;
    for (int b = 0; b < (int)a->schema->n_breakdowns; b++) {
        if (b != 0 && breakdown >= 0 && b != breakdown)
            continue;
        if (!(pool.st[b] = iapt_stats_new(a->schema, &p, a->cfg.geo, b))) {
            rc = IAPT_ENOMEM;
            goto out;
        }
    }

    pool.a = a;
    pool.schema = a->schema;
    if (!(pool.tasks = calloc(orgs.n ? orgs.n : 1, sizeof *pool.tasks))) {
        rc = IAPT_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < orgs.n; i++) {
        const au_org_t *o = &orgs.v[i];
        char label[128];
        if (!o->has_latest || o->collection != a->collection)
            continue; /* another collection's submissions are not this one's cells */
        if (!o->latest_valid) {
            au_sub_label(&o->latest, label, sizeof label);
            au_note(c,
                    "%s is the latest of %s for %s but its manifest failed (above); its "
                    "records are counted as the hub counted them",
                    label, o->org, p.text);
        }
        pool.tasks[pool.n++].sub = &o->latest;
    }
    t0 = iapt_clock_ms();
    if ((rc = s_pool_run(c, &pool)) < 0)
        goto out;
    double secs = (double)(iapt_clock_ms() - t0) / 1000.0;
    au_note(c, "%s: the counted submissions of %zu providers recomputed", p.text, pool.n);
    au_verbose(c,
               "records: %" PRIu64 " (%.1f MB) fetched, hashed, decoded, derived and aggregated "
               "in %.3f s on %d connections (%.3f s waiting for the hub), %.0f records/s",
               pool.timing.records, (double)pool.timing.bytes / 1e6, secs,
               pool.n < (size_t)a->cfg.jobs ? (int)pool.n : a->cfg.jobs,
               (double)pool.timing.wait_ms / 1000.0,
               secs > 0 ? (double)pool.timing.records / secs : 0.0);

    /* Join measures (W040 ...): the other collections' submissions of the
     * period recomputed too, into their own accumulators (breakdown 0),
     * as the hub joins them (hub/query_stats.c). */
    for (size_t m = 0; m < a->schema->n_measures && pool.st[0]; m++) {
        const char *name = a->schema->measures[m].join.collection;
        const iapt_collection_t *other = name ? iapt_collection_find(name) : NULL;
        if (!other || !other->hub || other->hub == a->schema)
            continue;
        bool have = false;
        for (size_t j = 0; j < n_joins; j++)
            have |= joins[j].schema == other->hub;
        if (have || n_joins == IAPT_STATS_JOINS_MAX)
            continue;
        s_pool_t *jp = &joins[n_joins++];
        pthread_mutex_init(&jp->lock, NULL);
        jp->a = a;
        jp->schema = other->hub;
        if (!(jp->st[0] = iapt_stats_new(other->hub, &p, a->cfg.geo, 0)) ||
            !(jp->tasks = calloc(orgs.n ? orgs.n : 1, sizeof *jp->tasks))) {
            rc = IAPT_ENOMEM;
            goto out;
        }
        for (size_t i = 0; i < orgs.n; i++)
            if (orgs.v[i].has_latest && orgs.v[i].collection == other->index)
                jp->tasks[jp->n++].sub = &orgs.v[i].latest;
        if ((rc = s_pool_run(c, jp)) < 0)
            goto out;
        au_note(c, "%s: the %s submissions of %zu providers recomputed for the joined measures",
                p.text, other->name, jp->n);
        if ((rc = iapt_stats_add_join(pool.st[0], other->name, jp->st[0])) < 0)
            goto out;
    }

    if ((rc = s_compare_all(c, &p, pool.st, &n_diffs)) < 0)
        goto out;
    if (n_diffs) {
        /* Figures of a log that grew meanwhile may differ for that reason
         * alone: then the comparison proves nothing either way. */
        au_cp_t now;
        unsigned before = c->failed;
        int r = au_checkpoint(c, &now);
        uint64_t size = now.size;
        au_cp_free(&now);
        if (r < 0 && r != IAPT_ECRYPTO) {
            rc = r;
            goto out;
        }
        if (r == 0 && c->failed == before && size != cp.size) {
            rc = iapt_error_set(IAPT_ESTATE,
                                "the log grew from %" PRIu64 " to %" PRIu64
                                " leaves during the comparison: run again",
                                cp.size, size);
            goto out;
        }
    }
    rc = c->failed ? IAPT_ECRYPTO : au_state_advance(c, &cp);
out:
    if (rc == IAPT_ECRYPTO && a->cfg.state_path)
        au_note(c, "state not saved: not everything verified");
    for (size_t i = 0; i < pool.n; i++)
        free(pool.tasks[i].report);
    free(pool.tasks);
    for (int b = 0; b < IAPT_SCHEMA_BREAKDOWNS_MAX; b++)
        iapt_stats_destroy(&pool.st[b]);
    pthread_mutex_destroy(&pool.lock);
    for (size_t j = 0; j < n_joins; j++) {
        for (size_t i = 0; i < joins[j].n; i++)
            free(joins[j].tasks[i].report);
        free(joins[j].tasks);
        iapt_stats_destroy(&joins[j].st[0]);
        pthread_mutex_destroy(&joins[j].lock);
    }
    au_orgs_free(&orgs);
    au_cp_free(&cp);
    return rc;
}

/* ---- row comparison
 * ------------------------------------------------------------------------------------ */

static int
s_row_key_cmp(const iapt_stat_row_t *x, const iapt_stat_row_t *y)
{
    int c;
    if ((c = strcmp(s_str(x->period_start), s_str(y->period_start))) != 0 ||
        (c = strcmp(s_str(x->group_type), s_str(y->group_type))) != 0 ||
        (c = strcmp(s_str(x->org_code1), s_str(y->org_code1))) != 0 ||
        (c = strcmp(s_str(x->org_code2), s_str(y->org_code2))) != 0 ||
        (c = strcmp(s_str(x->breakdown_level), s_str(y->breakdown_level))) != 0)
        return c;
    return strcmp(s_str(x->measure_id), s_str(y->measure_id));
}

static int
s_row_ptr_cmp(const void *x, const void *y)
{
    const iapt_stat_row_t *const *a = x, *const *b = y;
    int c = s_row_key_cmp(*a, *b);
    /* Equal keys keep their input order, so a repeat is reported stably. */
    return c ? c : (*a < *b ? -1 : *a > *b);
}

static const iapt_stat_row_t **
s_sorted(const iapt_stat_row_t *rows, size_t n)
{
    const iapt_stat_row_t **v = malloc((n ? n : 1) * sizeof *v);
    if (!v)
        return NULL;
    for (size_t i = 0; i < n; i++)
        v[i] = &rows[i];
    qsort(v, n, sizeof *v, s_row_ptr_cmp);
    return v;
}

static const char *const s_fields[] = {"MEASURE_VALUE",        "ORG_NAME1", "ORG_NAME2",
                                       "REPORTING_PERIOD_END", "BREAKDOWN", "MEASURE_NAME"};

static long
s_compare_matched(const iapt_stat_row_t *o, const iapt_stat_row_t *t, iapt_audit_diff_fn fn,
                  void *arg)
{
    long n = 0;
    for (size_t f = 0; f < sizeof s_fields / sizeof *s_fields; f++) {
        if (strcmp(s_field(o, s_fields[f]), s_field(t, s_fields[f])) == 0)
            continue;
        iapt_audit_diff_t d = {IAPT_AUDIT_DIFF_VALUE, s_fields[f], o, t};
        fn(&d, arg);
        n++;
    }
    return n;
}

long
iapt_audit_rows_compare(const iapt_stat_row_t *ours, size_t n_ours, const iapt_stat_row_t *theirs,
                        size_t n_theirs, iapt_audit_diff_fn fn, void *arg)
{
    long n = 0;
    size_t i = 0, j = 0;

    /* Both sides come in the same publication order when all is well: then
     * row i is row i and nothing needs sorting. Our rows have distinct keys
     * (common/stats.h makes them), so aligned hub rows repeat none. */
    bool aligned = n_ours == n_theirs;
    for (size_t k = 0; aligned && k < n_ours; k++)
        aligned = s_row_key_cmp(&ours[k], &theirs[k]) == 0;
    if (aligned) {
        for (size_t k = 0; k < n_ours; k++)
            n += s_compare_matched(&ours[k], &theirs[k], fn, arg);
        return n;
    }

    const iapt_stat_row_t **o = s_sorted(ours, n_ours), **t = s_sorted(theirs, n_theirs);
    if (!o || !t) {
        free(o);
        free(t);
        return IAPT_ENOMEM;
    }
    while (i < n_ours || j < n_theirs) {
        iapt_audit_diff_t d = {IAPT_AUDIT_DIFF_VALUE, NULL, NULL, NULL};
        int c = i == n_ours ? 1 : j == n_theirs ? -1 : s_row_key_cmp(o[i], t[j]);
        if (c >= 0 && j > 0 && j < n_theirs && s_row_key_cmp(t[j - 1], t[j]) == 0) {
            d.kind = IAPT_AUDIT_DIFF_REPEATED;
            d.theirs = t[j++];
            fn(&d, arg);
            n++;
        } else if (c < 0) {
            d.kind = IAPT_AUDIT_DIFF_MISSING;
            d.ours = o[i++];
            fn(&d, arg);
            n++;
        } else if (c > 0) {
            d.kind = IAPT_AUDIT_DIFF_EXTRA;
            d.theirs = t[j++];
            fn(&d, arg);
            n++;
        } else {
            n += s_compare_matched(o[i++], t[j++], fn, arg);
        }
    }
    free(o);
    free(t);
    return n;
}
