/* extract.c - reading an extract's files (from a directory or from memory),
 * the checks that refuse an extract as a whole, and the read entry points.
 * Field rules live in validate.c, records in anonymise.c, the report in
 * quality.c. */
#include "node/extract_internal.h"

#include "common/err.h"
#include "common/util.h"

#include <protobuf-c/protobuf-c.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
s_map_columns(xt_ctx_t *x, enum xt_table t, const iapt_csv_row_t *hdr, const char *name)
{
    const xt_table_desc_t *td = &xt_tables[t];
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
        if (tab->col[f] < 0 && td->field[f].need != XN_O)
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
s_read_table(xt_ctx_t *x, enum xt_table t, iapt_csv_t *csv, const char *name)
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
        if (xt_tables[t].required)
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
            memset(r->status, XS_INVALID, sizeof r->status);
            rc = xt_finding_add(x, t, -1, r, XR_RAGGED_ROW, NULL, 0, true,
                                "%zu cells where the header has %zu", row->n, ncols);
            if (rc < 0)
                return rc;
            continue;
        }
        for (int f = 0; f < xt_tables[t].nfields; f++) {
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
    const xt_tab_t *tab = &x->tab[XT_HEADER];
    const char *file = xt_tables[XT_HEADER].file;
    const iapt_period_t *p = x->opt->period;
    char want[11], line[24];

    if (tab->n != 1)
        return iapt_error_set(IAPT_EREFUSED, "%s: %u data rows; a header is exactly one row", file,
                              tab->n);
    const xt_row_t *r = &tab->row[0];
    snprintf(line, sizeof line, "%llu", (unsigned long long)r->line);
    if (r->ragged)
        return iapt_error_set(IAPT_EREFUSED,
                              "%s:%s: the header row's cells do not match its columns", file, line);
    if (r->status[XF_HDR_ORG] != XS_VALID || strcmp(r->v[XF_HDR_ORG].s, x->opt->org) != 0)
        return iapt_error_set(IAPT_EREFUSED, "%s:%s: OrgIDProv is '%.32s', this node is '%s'", file,
                              line, r->v[XF_HDR_ORG].s ? r->v[XF_HDR_ORG].s : "", x->opt->org);
    iapt_date_format(p->start, want);
    if (r->status[XF_HDR_START] != XS_VALID || r->v[XF_HDR_START].n != p->start)
        return iapt_error_set(IAPT_EREFUSED,
                              "%s:%s: ReportingPeriodStartDate is not %s, the first day of %s",
                              file, line, want, p->text);
    iapt_date_format(p->end, want);
    if (r->status[XF_HDR_END] != XS_VALID || r->v[XF_HDR_END].n != p->end)
        return iapt_error_set(IAPT_EREFUSED,
                              "%s:%s: ReportingPeriodEndDate is not %s, the last day of %s", file,
                              line, want, p->text);
    if (r->status[XF_HDR_CREATED] == XS_VALID)
        x->future_limit = (int32_t)r->v[XF_HDR_CREATED].n;
    return 0;
}

/* Where a table's bytes come from: a directory or memory. */
typedef struct s_source {
    const char *dir;
    const iapt_extract_file_t *mem[XT_NTABLES];
} s_source_t;

/* Open table t: 0 and *csv (NULL when the table is absent), or an error. */
static int
s_open(const s_source_t *src, enum xt_table t, const iapt_csv_limits_t *lim, iapt_csv_t **csv,
       char *name, size_t name_size)
{
    const char *file = xt_tables[t].file;
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
    for (int t = 0; t < XT_NTABLES; t++) {
        free(x->tab[t].row);
        xt_idmap_free(&x->tab[t].ids);
    }
    xt_arena_free(&x->work);
    xt_arena_free(&x->keep);
    free(x->finding);
    iapt_imd_destroy(&x->imd);
    sodium_memzero(x->hash_key, sizeof x->hash_key);
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
    if (opt->limits)
        lim = *opt->limits;
    x.opt = opt;
    x.future_limit = opt->today;
    x.max_findings = opt->max_findings ? opt->max_findings : IAPT_EXTRACT_MAX_FINDINGS_DEFAULT;
    if (opt->tools)
        x.tools = *opt->tools;
    else
        iapt_tools_default(&x.tools);
    randombytes_buf(x.hash_key, sizeof x.hash_key);
    /* The lookup is configuration: a bad one is reported before the data. */
    if (!opt->imd && opt->imd_path && (rc = iapt_imd_load(opt->imd_path, &x.imd)) < 0)
        goto out_free;
    x.imd_used = opt->imd ? opt->imd : x.imd;

    for (int t = 0; t < XT_NTABLES; t++) {
        iapt_csv_t *csv;
        if ((rc = s_open(src, (enum xt_table)t, &lim, &csv, name, sizeof name)) < 0)
            goto out_free;
        if (!csv) {
            if (xt_tables[t].required) {
                rc = iapt_error_set(IAPT_EREFUSED, "%s: required file missing", name);
                goto out_free;
            }
            continue;
        }
        rc = s_read_table(&x, (enum xt_table)t, csv, name);
        iapt_csv_close(&csv);
        if (rc < 0)
            goto out_free;
        if (t == XT_HEADER && (rc = s_check_header(&x)) < 0)
            goto out_free;
    }
    if ((rc = xt_validate_resolve(&x)) < 0)
        goto out_free;

    if (!(ext = calloc(1, sizeof *ext)) || !(ext->mem = calloc(1, sizeof *ext->mem))) {
        rc = IAPT_ENOMEM;
        goto out_free;
    }
    iapt_strlcpy(ext->org, x.org, sizeof ext->org);
    iapt_strlcpy(ext->period, opt->period->text, sizeof ext->period);
    for (int t = 0; t < XT_NTABLES; t++)
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
    memset(&src, 0, sizeof src);
    for (size_t i = 0; i < n_files; i++) {
        int t = files[i].table ? xt_table_find(files[i].table) : -1;
        if (t < 0)
            return iapt_error_set(IAPT_EUSAGE, "'%s' is not a table of the extract",
                                  files[i].table ? files[i].table : "(null)");
        if (src.mem[t])
            return iapt_error_set(IAPT_EUSAGE, "table %s given twice", files[i].table);
        src.mem[t] = &files[i];
    }
    return s_read(opt, &src, out);
}

const char *
iapt_extract_file_name(size_t i)
{
    return i < XT_NTABLES ? xt_tables[i].file : NULL;
}

const char *
iapt_extract_table_name(size_t i)
{
    return i < XT_NTABLES ? xt_tables[i].name : NULL;
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
