/* extract.c - reading an extract's files (from a directory or from memory),
 * the checks that refuse an extract as a whole, the read entry points, the
 * hooks' view of the engine (node/schema.h) and collecting the records.
 * Field rules live in validate.c, the report in quality.c; what a
 * collection adds lives in its module (common/collections/KEY/). */
#include "node/extract_internal.h"

#include "common/collection.h"
#include "common/err.h"
#include "common/util.h"

#include <protobuf-c/protobuf-c.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- arena ---- */

#define S_ARENA_BLOCK (64 * 1024)

struct xt_arena_block {
    xt_arena_block_t *next;
    max_align_t align[]; /* the block's bytes follow */
};

void *
xt_arena_alloc(xt_arena_t *a, size_t len)
{
    len = (len + 15) & ~(size_t)15;
    if (!a->head || a->size - a->used < len) {
        size_t size = len > S_ARENA_BLOCK ? len : S_ARENA_BLOCK;
        xt_arena_block_t *b = malloc(sizeof *b + size);
        if (!b)
            return NULL;
        b->next = a->head;
        a->head = b;
        a->used = 0;
        a->size = size;
    }
    void *p = (char *)a->head->align + a->used;
    a->used += len;
    return p;
}

char *
xt_arena_strdup(xt_arena_t *a, const char *s, size_t len)
{
    char *p = xt_arena_alloc(a, len + 1);
    if (!p)
        return NULL;
    memcpy(p, s, len);
    p[len] = 0;
    return p;
}

void
xt_arena_free(xt_arena_t *a)
{
    while (a->head) {
        xt_arena_block_t *next = a->head->next;
        free(a->head);
        a->head = next;
    }
    a->used = a->size = 0;
}

/* ---- reading one table ---- */

/* Trim spaces and tabs (EXTRACT-NOTES "Reading": before anything else). */
static const char *
s_trim(const char *s, size_t *n)
{
    size_t len = *n;
    while (len && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    *n = len;
    return s;
}

/* Map header columns to fields. Refuses a required (M or R) column that is
 * missing, and a known column named twice (which copy to trust?). */
static int
s_map_columns(xt_ctx_t *x, int t, const iapt_csv_row_t *hdr, const char *name)
{
    const xt_table_desc_t *td = &x->tables[t];
    xt_tab_t *tab = &x->tab[t];
    for (int f = 0; f < XT_MAX_FIELDS; f++)
        tab->col[f] = -1;
    for (size_t c = 0; c < hdr->n; c++) {
        size_t n = hdr->len[c];
        const char *h = s_trim(hdr->field[c], &n);
        for (int f = 0; f < td->nfields; f++) {
            if (strlen(td->field[f].name) != n || memcmp(td->field[f].name, h, n) != 0)
                continue;
            if (tab->col[f] >= 0)
                return iapt_error_set(IAPT_EREFUSED, "%s:%llu: column '%s' appears twice", name,
                                      (unsigned long long)hdr->line, td->field[f].name);
            tab->col[f] = (int)c;
        }
    }
    for (int f = 0; f < td->nfields; f++)
        if (tab->col[f] < 0 && td->field[f].need != IAPT_XN_O)
            return iapt_error_set(IAPT_EREFUSED, "%s:%llu: required column '%s' missing", name,
                                  (unsigned long long)hdr->line, td->field[f].name);
    return 0;
}

/* A blank line (one cell, empty once trimmed) is not a row. */
static bool
s_blank(const iapt_csv_row_t *row)
{
    size_t n = row->n == 1 ? row->len[0] : 1;
    if (row->n == 1)
        s_trim(row->field[0], &n);
    return n == 0;
}

static int
s_row_new(xt_ctx_t *x, xt_tab_t *tab, uint64_t line, uint32_t *idx)
{
    uint64_t limit = x->opt->max_rows ? x->opt->max_rows : IAPT_EXTRACT_MAX_ROWS_DEFAULT;
    if (limit >= XT_NONE)
        limit = XT_NONE - 1;
    if (x->rows_total >= limit)
        return IAPT_ELIMIT;
    if (tab->n == tab->cap) {
        uint32_t cap = tab->cap ? (tab->cap > XT_NONE / 4 ? XT_NONE - 1 : tab->cap * 2) : 256;
        xt_row_t *p = realloc(tab->row, (size_t)cap * sizeof *p);
        if (!p)
            return IAPT_ENOMEM;
        tab->row = p;
        tab->cap = cap;
    }
    xt_row_t *row = &tab->row[tab->n];
    memset(row, 0, sizeof *row);
    row->line = line;
    row->parent = XT_NONE;
    *idx = tab->n++;
    x->rows_total++;
    return 0;
}

/* Read every row of one table. `name` is how errors name the file. */
static int
s_read_table(xt_ctx_t *x, int t, iapt_csv_t *csv, const char *name)
{
    xt_tab_t *tab = &x->tab[t];
    const iapt_csv_row_t *row;
    const char *cell[XT_MAX_FIELDS];
    size_t len[XT_MAX_FIELDS];
    size_t ncols;
    int rc;

    /* The header is the first row that is not blank. */
    while ((rc = iapt_csv_next(csv, &row)) == 1 && s_blank(row))
        ;
    if (rc == 0) {
        /* No header at all: a required table cannot be empty, an optional
         * one is simply empty. */
        if (x->tables[t].required)
            return iapt_error_set(IAPT_EREFUSED, "%s: empty file, no header row", name);
        return 0;
    }
    if (rc < 0)
        goto out_csv;
    tab->present = true;
    if ((rc = s_map_columns(x, t, row, name)) < 0)
        return rc;
    ncols = row->n;

    while ((rc = iapt_csv_next(csv, &row)) == 1) {
        if (s_blank(row))
            continue;
        uint32_t idx;
        if ((rc = s_row_new(x, tab, row->line, &idx)) < 0) {
            if (rc == IAPT_ELIMIT)
                return iapt_error_set(IAPT_EREFUSED, "%s:%llu: more rows than the limit", name,
                                      (unsigned long long)row->line);
            return rc;
        }
        xt_row_t *r = &tab->row[idx];
        if (row->n != ncols) {
            /* Which cell is which field cannot be known: every value of the
             * row counts as invalid. */
            r->ragged = r->rejected = true;
            memset(r->status, IAPT_XS_INVALID, sizeof r->status);
            rc = xt_finding_add(x, t, -1, r, IAPT_XR_RAGGED_ROW, NULL, 0, true,
                                "%zu cells where the header has %zu", row->n, ncols);
            if (rc < 0)
                return rc;
            continue;
        }
        for (int f = 0; f < x->tables[t].nfields; f++) {
            if (tab->col[f] < 0) {
                cell[f] = NULL;
                len[f] = 0;
                continue;
            }
            len[f] = row->len[tab->col[f]];
            cell[f] = s_trim(row->field[tab->col[f]], &len[f]);
        }
        if ((rc = xt_validate_row(x, t, idx, cell, len)) < 0)
            return rc;
    }
    if (rc == 0)
        return 0;

out_csv:
    /* The reader's detail already says "FILE:LINE: reason". */
    if (rc == IAPT_EFORMAT || rc == IAPT_ELIMIT) {
        char detail[512];
        iapt_strlcpy(detail, iapt_error_detail(), sizeof detail);
        return iapt_error_set(IAPT_EREFUSED, "%s", detail);
    }
    return rc;
}

/* The header must be exactly one row naming this organisation and period. */
static int
s_check_header(xt_ctx_t *x)
{
    const iapt_extract_schema_t *sc = x->schema;
    const xt_table_desc_t *td = &x->tables[sc->header_table];
    const xt_tab_t *tab = &x->tab[sc->header_table];
    const char *file = td->file;
    const iapt_period_t *p = x->opt->period;
    const int fo = sc->header_org, fs = sc->header_start, fe = sc->header_end;
    char want[11], line[24];

    if (tab->n != 1)
        return iapt_error_set(IAPT_EREFUSED, "%s: %u data rows; a header is exactly one row", file,
                              tab->n);
    const xt_row_t *r = &tab->row[0];
    snprintf(line, sizeof line, "%llu", (unsigned long long)r->line);
    if (r->ragged)
        return iapt_error_set(IAPT_EREFUSED,
                              "%s:%s: the header row's cells do not match its columns", file, line);
    if (r->status[fo] != IAPT_XS_VALID || strcmp(r->v[fo].s, x->opt->org) != 0)
        return iapt_error_set(IAPT_EREFUSED, "%s:%s: %s is '%.32s', this node is '%s'", file, line,
                              td->field[fo].name, r->v[fo].s ? r->v[fo].s : "", x->opt->org);
    iapt_date_format(p->start, want);
    if (r->status[fs] != IAPT_XS_VALID || r->v[fs].n != p->start)
        return iapt_error_set(IAPT_EREFUSED, "%s:%s: %s is not %s, the first day of %s", file, line,
                              td->field[fs].name, want, p->text);
    iapt_date_format(p->end, want);
    if (r->status[fe] != IAPT_XS_VALID || r->v[fe].n != p->end)
        return iapt_error_set(IAPT_EREFUSED, "%s:%s: %s is not %s, the last day of %s", file, line,
                              td->field[fe].name, want, p->text);
    if (sc->header_created >= 0 && r->status[sc->header_created] == IAPT_XS_VALID)
        x->future_limit = (int32_t)r->v[sc->header_created].n;
    return 0;
}

/* Where a table's bytes come from: a directory or memory. */
typedef struct s_source {
    const char *dir;
    const iapt_extract_file_t *mem[XT_MAX_TABLES];
} s_source_t;

/* Open table t: 0 and *csv (NULL when the table is absent), or an error. */
static int
s_open(const s_source_t *src, const char *file, int t, const iapt_csv_limits_t *lim,
       iapt_csv_t **csv, char *name, size_t name_size)
{
    int rc;
    *csv = NULL;
    if (!src->dir) {
        iapt_strlcpy(name, file, name_size);
        if (!src->mem[t])
            return 0;
        return iapt_csv_open_mem(src->mem[t]->data, src->mem[t]->len, file, lim, csv);
    }
    if ((size_t)snprintf(name, name_size, "%s/%s", src->dir, file) >= name_size)
        return iapt_error_set(IAPT_EUSAGE, "extract directory path too long");
    rc = iapt_csv_open(name, lim, csv);
    if (rc == IAPT_ENOTFOUND) {
        *csv = NULL;
        return 0;
    }
    return rc;
}

static void
s_ctx_free(xt_ctx_t *x)
{
    for (int t = 0; t < XT_MAX_TABLES; t++) {
        free(x->tab[t].row);
        xt_idmap_free(&x->tab[t].ids);
    }
    xt_arena_free(&x->work);
    xt_arena_free(&x->keep);
    free(x->finding);
    iapt_imd_destroy(&x->imd);
    iapt_buf_free(&x->records);
    free(x->entry);
    sodium_memzero(x->hash_key, sizeof x->hash_key);
}

const iapt_extract_schema_t *
iapt_extract_schema_default(void)
{
    return iapt_collection_default()->node;
}

/* The schema's reasons and the engine's, and their alphabetical order. */
static int
s_reasons_init(xt_ctx_t *x)
{
    const char *const *own = x->schema->reasons;
    x->n_reasons = 0;
    for (int r = 0; r < IAPT_XR_COUNT; r++)
        x->reason_name[x->n_reasons++] = xt_reason_names[r];
    for (size_t i = 0; own && own[i]; i++) {
        if (x->n_reasons == XT_MAX_REASONS)
            return iapt_error_set(IAPT_EUSAGE, "the schema has more than %d reasons of its own",
                                  IAPT_SCHEMA_MAX_REASONS);
        for (int r = 0; r < x->n_reasons; r++)
            if (strcmp(x->reason_name[r], own[i]) == 0)
                return iapt_error_set(IAPT_EUSAGE, "the schema's reason '%s' is named twice",
                                      own[i]);
        x->reason_name[x->n_reasons++] = own[i];
    }
    for (int i = 0; i < x->n_reasons; i++)
        x->reason_order[i] = i;
    /* Insertion sort: a few dozen names. */
    for (int i = 1; i < x->n_reasons; i++)
        for (int j = i; j > 0 && strcmp(x->reason_name[x->reason_order[j - 1]],
                                        x->reason_name[x->reason_order[j]]) > 0;
             j--) {
            int tmp = x->reason_order[j];
            x->reason_order[j] = x->reason_order[j - 1];
            x->reason_order[j - 1] = tmp;
        }
    return 0;
}

/* The schema's header file is missing from dir: when another collection's
 * header file is there, say so and what to pass. */
static int
s_other_collection(const iapt_extract_options_t *opt, const iapt_extract_schema_t *self,
                   const char *dir, const char *missing)
{
    const iapt_collection_t *const *all = opt->collections;
    size_t n = opt->n_collections;
    char path[4096];
    if (!all)
        all = iapt_collections(&n);
    for (size_t i = 0; i < n; i++) {
        const iapt_extract_schema_t *o = all[i]->node;
        if (!o || o == self)
            continue;
        const char *file = o->tables[o->header_table].file;
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, file) >= sizeof path)
            continue;
        if (access(path, F_OK) == 0)
            return iapt_error_set(IAPT_EREFUSED,
                                  "%s: required file missing; this directory holds %s: it looks "
                                  "like a %s extract; use --collection %s",
                                  missing, file, all[i]->name, all[i]->name);
    }
    return iapt_error_set(IAPT_EREFUSED, "%s: required file missing", missing);
}

static int
s_read(const iapt_extract_options_t *opt, const s_source_t *src, iapt_extract_t **out)
{
    xt_ctx_t x;
    iapt_extract_t *ext = NULL;
    iapt_csv_limits_t lim = {0, 0, IAPT_EXTRACT_MAX_FILE_ROWS_DEFAULT};
    char name[4096];
    int rc = 0;

    memset(&x, 0, sizeof x);
    if (!opt || !opt->period || !opt->org || !opt->key || !opt->key->key || !out)
        return iapt_error_set(IAPT_EUSAGE, "extract options need a period, org and key");
    if (!iapt_strlcpy(x.org, opt->org, sizeof x.org))
        return iapt_error_set(IAPT_EUSAGE, "organisation code too long: %s", opt->org);
    x.schema = opt->schema ? opt->schema : iapt_extract_schema_default();
    if ((rc = iapt_extract_schema_check(x.schema)) < 0)
        return rc;
    x.tables = x.schema->tables;
    x.ntables = x.schema->n_tables;
    if ((rc = s_reasons_init(&x)) < 0)
        return rc;
    if (opt->limits)
        lim = *opt->limits;
    x.opt = opt;
    x.future_limit = opt->today;
    x.max_findings = opt->max_findings ? opt->max_findings : IAPT_EXTRACT_MAX_FINDINGS_DEFAULT;
    if (opt->tools)
        x.tools = *opt->tools;
    else
        iapt_tools_default(&x.tools);
    if (x.schema->tools.load && !opt->coll_tools)
        return iapt_error_set(IAPT_EUSAGE,
                              "this collection's extract is read with its own tool table; none "
                              "was loaded");
    randombytes_buf(x.hash_key, sizeof x.hash_key);
    /* The lookup is configuration: a bad one is reported before the data. */
    if (!opt->imd && opt->imd_path && (rc = iapt_imd_load(opt->imd_path, &x.imd)) < 0)
        goto out_free;
    x.imd_used = opt->imd ? opt->imd : x.imd;

    for (int t = 0; t < x.ntables; t++) {
        iapt_csv_t *csv;
        if ((rc = s_open(src, x.tables[t].file, t, &lim, &csv, name, sizeof name)) < 0)
            goto out_free;
        if (!csv) {
            if (x.tables[t].required) {
                if (src->dir && t == x.schema->header_table)
                    rc = s_other_collection(opt, x.schema, src->dir, name);
                else
                    rc = iapt_error_set(IAPT_EREFUSED, "%s: required file missing", name);
                goto out_free;
            }
            continue;
        }
        rc = s_read_table(&x, t, csv, name);
        iapt_csv_close(&csv);
        if (rc < 0)
            goto out_free;
        if (t == x.schema->header_table && (rc = s_check_header(&x)) < 0)
            goto out_free;
    }
    if ((rc = xt_validate_resolve(&x)) < 0)
        goto out_free;

    if (!(ext = calloc(1, sizeof *ext)) || !(ext->mem = calloc(1, sizeof *ext->mem))) {
        rc = IAPT_ENOMEM;
        goto out_free;
    }
    ext->schema = x.schema;
    iapt_strlcpy(ext->org, x.org, sizeof ext->org);
    iapt_strlcpy(ext->period, opt->period->text, sizeof ext->period);
    for (int t = 0; t < x.ntables; t++)
        if (x.tab[t].present)
            ext->tables_present |= 1u << t;
    if ((rc = xt_records_build(&x, ext)) < 0 || (rc = xt_quality_build(&x, ext)) < 0)
        goto out_free;
    /* Finding strings now belong to the extract. */
    ext->mem->keep = x.keep;
    memset(&x.keep, 0, sizeof x.keep);
    *out = ext;
    ext = NULL;

out_free:
    iapt_extract_destroy(&ext);
    s_ctx_free(&x);
    return rc;
}

int
iapt_extract_read(const iapt_extract_options_t *opt, iapt_extract_t **out)
{
    s_source_t src;
    memset(&src, 0, sizeof src);
    if (!opt || !opt->dir)
        return iapt_error_set(IAPT_EUSAGE, "no extract directory given");
    src.dir = opt->dir;
    return s_read(opt, &src, out);
}

int
iapt_extract_read_mem(const iapt_extract_options_t *opt, const iapt_extract_file_t *files,
                      size_t n_files, iapt_extract_t **out)
{
    s_source_t src;
    const iapt_extract_schema_t *sc =
        opt && opt->schema ? opt->schema : iapt_extract_schema_default();
    memset(&src, 0, sizeof src);
    for (size_t i = 0; i < n_files; i++) {
        int t = files[i].table ? iapt_schema_table_find(sc, files[i].table) : -1;
        if (t < 0 || t >= XT_MAX_TABLES)
            return iapt_error_set(IAPT_EUSAGE, "'%s' is not a table of the extract",
                                  files[i].table ? files[i].table : "(null)");
        if (src.mem[t])
            return iapt_error_set(IAPT_EUSAGE, "table %s given twice", files[i].table);
        src.mem[t] = &files[i];
    }
    return s_read(opt, &src, out);
}

const char *
iapt_schema_file_name(const iapt_extract_schema_t *sc, size_t i)
{
    if (!sc)
        sc = iapt_extract_schema_default();
    return i < (size_t)sc->n_tables ? sc->tables[i].file : NULL;
}

const char *
iapt_schema_table_name(const iapt_extract_schema_t *sc, size_t i)
{
    if (!sc)
        sc = iapt_extract_schema_default();
    return i < (size_t)sc->n_tables ? sc->tables[i].name : NULL;
}

const char *
iapt_extract_file_name(size_t i)
{
    return iapt_schema_file_name(NULL, i);
}

const char *
iapt_extract_table_name(size_t i)
{
    return iapt_schema_table_name(NULL, i);
}

int
iapt_extract_tools_load(const iapt_extract_schema_t *sc, const char *path,
                        iapt_extract_tools_t *out)
{
    int rc;
    memset(out, 0, sizeof *out);
    if (!sc)
        sc = iapt_extract_schema_default();
    out->schema = sc;
    iapt_tools_default(&out->adult);
    if (!sc->tools.load)
        return path ? iapt_tools_load(path, &out->adult) : 0;
    if (!path && !(path = sc->tools.default_file))
        return iapt_error_set(IAPT_EUSAGE, "no tool table configured (%s)",
                              sc->tools_key ? sc->tools_key : "tools");
    if ((rc = sc->tools.load(path, &out->own)) < 0) {
        out->own = NULL;
        return rc;
    }
    if (sc->tools.sha256_hex)
        iapt_strlcpy(out->sha256_hex, sc->tools.sha256_hex(out->own), sizeof out->sha256_hex);
    return 0;
}

void
iapt_extract_tools_free(iapt_extract_tools_t *t)
{
    if (t && t->own && t->schema && t->schema->tools.free)
        t->schema->tools.free(t->own);
    if (t)
        t->own = NULL;
}

int
iapt_schema_table_find(const iapt_extract_schema_t *sc, const char *name)
{
    for (int t = 0; t < sc->n_tables; t++)
        if (strcmp(sc->tables[t].name, name) == 0)
            return t;
    return -1;
}

int
iapt_extract_schema_check(const iapt_extract_schema_t *sc)
{
    if (!sc || !sc->tables || sc->n_tables < 1 || sc->n_tables > XT_MAX_TABLES)
        return iapt_error_set(IAPT_EUSAGE, "schema: 1 to %d tables", XT_MAX_TABLES);
    if (!sc->build_records)
        return iapt_error_set(IAPT_EUSAGE, "schema: no record builder");
    if (sc->record_table < 0 || sc->record_table >= sc->n_tables || sc->header_table < 0 ||
        sc->header_table >= sc->n_tables)
        return iapt_error_set(IAPT_EUSAGE, "schema: header or record table out of range");
    const xt_table_desc_t *h = &sc->tables[sc->header_table];
    int hf[] = {sc->header_org, sc->header_start, sc->header_end};
    for (int i = 0; i < 3; i++)
        if (hf[i] < 0 || hf[i] >= h->nfields)
            return iapt_error_set(IAPT_EUSAGE, "schema: header field out of range");
    if (h->field[sc->header_org].kind != IAPT_XK_TEXT &&
        h->field[sc->header_org].kind != IAPT_XK_ORG)
        return iapt_error_set(IAPT_EUSAGE, "schema: the header's org field must be text");
    if (h->field[sc->header_start].kind != IAPT_XK_DATE ||
        h->field[sc->header_end].kind != IAPT_XK_DATE)
        return iapt_error_set(IAPT_EUSAGE, "schema: the header's period fields must be dates");
    if (sc->header_created >= h->nfields)
        return iapt_error_set(IAPT_EUSAGE, "schema: header field out of range");
    if (!sc->tables[sc->header_table].required)
        return iapt_error_set(IAPT_EUSAGE, "schema: the header table must be required");
    bool seen[XT_MAX_TABLES] = {false};
    int n = sc->cascade ? sc->n_cascade : sc->n_tables;
    for (int i = 0; i < n; i++) {
        int t = sc->cascade ? sc->cascade[i] : i;
        if (t < 0 || t >= sc->n_tables || seen[t])
            return iapt_error_set(IAPT_EUSAGE, "schema: cascade entry %d is not a new table", i);
        seen[t] = true;
    }
    for (int t = 0; t < sc->n_tables; t++) {
        const xt_table_desc_t *td = &sc->tables[t];
        int nref = 0, nid = 0;
        if (td->nfields < 1 || td->nfields > XT_MAX_FIELDS || !td->name || !td->file)
            return iapt_error_set(IAPT_EUSAGE,
                                  "schema: table %d needs a name, a file and 1 to %d "
                                  "fields",
                                  t, XT_MAX_FIELDS);
        for (int f = 0; f < td->nfields; f++) {
            const xt_field_t *fd = &td->field[f];
            nid += fd->kind == IAPT_XK_ID;
            if (fd->kind == IAPT_XK_CODE && !fd->codes)
                return iapt_error_set(IAPT_EUSAGE, "schema: %s.%s has no code list", td->name,
                                      fd->name);
            if (fd->kind != IAPT_XK_REF)
                continue;
            nref++;
            if (fd->ref < 0 || fd->ref >= sc->n_tables || !seen[t] || !seen[fd->ref] ||
                (fd->ref == t && fd->need == IAPT_XN_M))
                return iapt_error_set(IAPT_EUSAGE,
                                      "schema: %s.%s refers to no other table (only an optional "
                                      "reference may name its own table)",
                                      td->name, fd->name);
            /* The table referred to is resolved first. */
            for (int i = 0; fd->ref != t && i < n; i++) {
                int c = sc->cascade ? sc->cascade[i] : i;
                if (c == t)
                    return iapt_error_set(IAPT_EUSAGE, "schema: %s comes before %s in the cascade",
                                          td->name, sc->tables[fd->ref].name);
                if (c == fd->ref)
                    break;
            }
            int pid = 0;
            for (int g = 0; g < sc->tables[fd->ref].nfields; g++)
                pid += sc->tables[fd->ref].field[g].kind == IAPT_XK_ID;
            if (pid != 1)
                return iapt_error_set(IAPT_EUSAGE, "schema: %s, referred to, has no id field",
                                      sc->tables[fd->ref].name);
        }
        if (nref > 1 || nid > 1)
            return iapt_error_set(IAPT_EUSAGE, "schema: %s has more than one id or reference",
                                  td->name);
    }
    return 0;
}

/* ---- the hooks' view (node/schema.h) ---- */

const iapt_xrow_t *
iapt_xctx_rows(const iapt_xctx_t *x, int t, uint32_t *n)
{
    *n = x->tab[t].n;
    return x->tab[t].row;
}

const iapt_period_t *
iapt_xctx_period(const iapt_xctx_t *x)
{
    return x->opt->period;
}

const char *
iapt_xctx_org(const iapt_xctx_t *x)
{
    return x->org;
}

const iapt_pseudokey_t *
iapt_xctx_key(const iapt_xctx_t *x)
{
    return x->opt->key;
}

const iapt_tools_t *
iapt_xctx_tools(const iapt_xctx_t *x)
{
    return &x->tools;
}

const void *
iapt_xctx_coll_tools(const iapt_xctx_t *x)
{
    return x->opt->coll_tools;
}

const struct iapt_imd *
iapt_xctx_imd(const iapt_xctx_t *x)
{
    return x->imd_used;
}

const iapt_extract_schema_t *
iapt_xctx_schema(const iapt_xctx_t *x)
{
    return x->schema;
}

int
iapt_xgroup_build(const iapt_xctx_t *x, int child, int parent, iapt_xgroup_t *g)
{
    const xt_tab_t *c = &x->tab[child];
    uint32_t np = x->tab[parent].n;
    g->off = calloc((size_t)np + 2, sizeof *g->off);
    g->items = malloc(((size_t)c->n + 1) * sizeof *g->items);
    if (!g->off || !g->items)
        return IAPT_ENOMEM;
    for (uint32_t i = 0; i < c->n; i++)
        if (!c->row[i].rejected)
            g->off[c->row[i].parent + 2]++;
    for (uint32_t p = 0; p < np; p++)
        g->off[p + 2] += g->off[p + 1];
    /* off[p + 1] is now the next free slot of parent p. */
    for (uint32_t i = 0; i < c->n; i++)
        if (!c->row[i].rejected)
            g->items[g->off[c->row[i].parent + 1]++] = i;
    return 0;
}

void
iapt_xgroup_free(iapt_xgroup_t *g)
{
    free(g->off);
    free(g->items);
    g->off = g->items = NULL;
}

int
iapt_xctx_record_add(iapt_xctx_t *x, const uint8_t id[16], const uint8_t *data, size_t len)
{
    int rc;
    if (x->n_entries == x->cap_entries) {
        size_t cap = x->cap_entries ? x->cap_entries * 2 : 1024;
        xt_record_entry_t *p = realloc(x->entry, cap * sizeof *p);
        if (!p)
            return IAPT_ENOMEM;
        x->entry = p;
        x->cap_entries = cap;
    }
    if ((rc = iapt_buf_reserve(&x->records, len)) < 0)
        return rc;
    xt_record_entry_t *e = &x->entry[x->n_entries++];
    memcpy(e->id, id, sizeof e->id);
    e->off = x->records.len;
    e->len = len;
    if (len)
        memcpy(x->records.data + x->records.len, data, len);
    x->records.len += len;
    return 0;
}

bool
xt_selected(const xt_ctx_t *x, const xt_row_t *r)
{
    if (r->ragged)
        return false;
    return x->schema->selected ? x->schema->selected(x, r) : true;
}

static int
s_entry_cmp(const void *a, const void *b)
{
    return memcmp(((const xt_record_entry_t *)a)->id, ((const xt_record_entry_t *)b)->id, 16);
}

int
xt_records_build(xt_ctx_t *x, iapt_extract_t *ext)
{
    int rc;
    size_t n;
    if ((rc = x->schema->build_records(x)) < 0)
        return rc;
    n = x->n_entries;
    /* Sorted by id: the same extract always gives the same bytes in the
     * same order, so its Merkle root can be recomputed. */
    if (n > 1)
        qsort(x->entry, n, sizeof *x->entry, s_entry_cmp);
    ext->record = calloc(n + 1, sizeof *ext->record);
    ext->record_len = calloc(n + 1, sizeof *ext->record_len);
    if (!ext->record || !ext->record_len)
        return IAPT_ENOMEM;
    /* The records stay where they were packed; only the pointers are sorted. */
    ext->mem->records = x->records.data;
    x->records = (iapt_buf_t)IAPT_BUF_INIT;
    for (size_t i = 0; i < n; i++) {
        ext->record[i] = ext->mem->records + x->entry[i].off;
        ext->record_len[i] = x->entry[i].len;
    }
    ext->n_records = n;
    return 0;
}

void
iapt_extract_destroy(iapt_extract_t **ext_p)
{
    iapt_extract_t *ext = ext_p ? *ext_p : NULL;
    if (!ext)
        return;
    if (ext->quality)
        iapt__quality_summary__free_unpacked(ext->quality, NULL);
    free(ext->record);
    free(ext->record_len);
    free(ext->findings);
    if (ext->mem) {
        xt_arena_free(&ext->mem->keep);
        free(ext->mem->records);
        free(ext->mem);
    }
    free(ext);
    *ext_p = NULL;
}
