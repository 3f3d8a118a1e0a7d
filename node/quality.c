/* quality.c - the data-quality summary (proto/quality.proto, EXTRACT-NOTES
 * "Counting"), the findings in report order, and the reports for people
 * (text) and programs (JSON). */
#include "node/extract_internal.h"

#include "common/err.h"
#include "common/json.h"
#include "common/quality_json.h"

#include <stdlib.h>
#include <string.h>

/* Report order: file, then line, then the field's place in its table. */
static int
s_cmp_line(const void *a, const void *b)
{
    const xt_finding_t *p = a, *q = b;
    if (p->table != q->table)
        return p->table < q->table ? -1 : 1;
    if (p->f.line != q->f.line)
        return p->f.line < q->f.line ? -1 : 1;
    if (p->field != q->field)
        return p->field < q->field ? -1 : 1;
    return p->seq < q->seq ? -1 : p->seq > q->seq;
}

static int
s_tables(const xt_ctx_t *x, Iapt__QualitySummary *q)
{
    q->tables = calloc((size_t)x->ntables, sizeof *q->tables);
    if (!q->tables)
        return IAPT_ENOMEM;
    for (int t = 0; t < x->ntables; t++) {
        const xt_table_desc_t *td = &x->tables[t];
        const xt_tab_t *tab = &x->tab[t];
        Iapt__TableQuality *tq = malloc(sizeof *tq);
        if (!tq)
            return IAPT_ENOMEM;
        iapt__table_quality__init(tq);
        q->tables[q->n_tables++] = tq;
        if (!(tq->table = strdup(td->name)) ||
            !(tq->fields = calloc((size_t)td->nfields, sizeof *tq->fields)))
            return IAPT_ENOMEM;
        tq->rows = tab->n;
        for (int f = 0; f < td->nfields; f++) {
            Iapt__FieldQuality *fq = malloc(sizeof *fq);
            if (!fq)
                return IAPT_ENOMEM;
            iapt__field_quality__init(fq);
            tq->fields[tq->n_fields++] = fq;
            if (!(fq->field = strdup(td->field[f].name)))
                return IAPT_ENOMEM;
        }
        for (uint32_t i = 0; i < tab->n; i++) {
            const xt_row_t *r = &tab->row[i];
            tq->rejected += r->rejected;
            for (int f = 0; f < td->nfields; f++) {
                Iapt__FieldQuality *fq = tq->fields[f];
                fq->valid += r->status[f] == IAPT_XS_VALID;
                fq->invalid += r->status[f] == IAPT_XS_INVALID;
                fq->missing += r->status[f] == IAPT_XS_MISSING;
            }
        }
    }
    return 0;
}

/* Reason counts in table order, then field order ("*" first), then reason
 * (alphabetical, the engine's and the collection's together). */
static int
s_reasons(const xt_ctx_t *x, Iapt__QualitySummary *q)
{
    size_t nr = 0;
    for (int t = 0; t < x->ntables; t++)
        for (int f = 0; f <= XT_MAX_FIELDS; f++)
            for (int r = 0; r < x->n_reasons; r++)
                nr += x->reason_count[t][f][r] != 0;
    if (nr && !(q->reasons = calloc(nr, sizeof *q->reasons)))
        return IAPT_ENOMEM;
    for (int t = 0; t < x->ntables; t++)
        for (int f = 0; f <= XT_MAX_FIELDS; f++)
            for (int k = 0; k < x->n_reasons; k++) {
                int r = x->reason_order[k];
                if (!x->reason_count[t][f][r])
                    continue;
                Iapt__ReasonCount *rc = malloc(sizeof *rc);
                if (!rc)
                    return IAPT_ENOMEM;
                iapt__reason_count__init(rc);
                q->reasons[q->n_reasons++] = rc;
                rc->count = x->reason_count[t][f][r];
                if (!(rc->table = strdup(x->tables[t].name)) ||
                    !(rc->field = strdup(f ? x->tables[t].field[f - 1].name : "*")) ||
                    !(rc->reason = strdup(x->reason_name[r])))
                    return IAPT_ENOMEM;
            }
    return 0;
}

int
xt_quality_build(xt_ctx_t *x, iapt_extract_t *ext)
{
    Iapt__QualitySummary *q = malloc(sizeof *q);
    const xt_tab_t *ref = &x->tab[x->schema->record_table];
    int rc;
    if (!q)
        return IAPT_ENOMEM;
    iapt__quality_summary__init(q);
    /* Owned by ext from here, so a failure below frees what was built. */
    ext->quality = q;
    q->referrals_in_extract = ref->n;
    for (uint32_t i = 0; i < ref->n; i++) {
        q->referrals_selected += xt_selected(x, &ref->row[i]);
        q->referrals_rejected += ref->row[i].rejected;
    }
    q->referrals_used = ext->n_records;
    q->findings = x->findings_total;
    if ((rc = s_tables(x, q)) < 0 || (rc = s_reasons(x, q)) < 0)
        return rc;

    if (x->n_findings > 1)
        qsort(x->finding, x->n_findings, sizeof *x->finding, s_cmp_line);
    if (!(ext->findings = calloc(x->n_findings + 1, sizeof *ext->findings)))
        return IAPT_ENOMEM;
    for (size_t i = 0; i < x->n_findings; i++)
        ext->findings[i] = x->finding[i].f;
    ext->n_findings = x->n_findings;
    ext->findings_not_listed = x->findings_total - x->n_findings;
    return 0;
}

/* ---- reports ---- */

/* The schema whose report is being written, for s_file_of (which the
 * quality JSON calls with a table name only). */
static _Thread_local const iapt_extract_schema_t *s_report_schema;

static const char *
s_file_of(const char *table)
{
    const iapt_extract_schema_t *sc =
        s_report_schema ? s_report_schema : iapt_extract_schema_default();
    int t = iapt_schema_table_find(sc, table);
    return t >= 0 ? sc->tables[t].file : table;
}

int
iapt_extract_report_text(const iapt_extract_t *ext, size_t max_findings, FILE *out)
{
    const Iapt__QualitySummary *q = ext->quality;
    s_report_schema = ext->schema;
    fprintf(out, "Extract of %s for %s\n", ext->org, ext->period);
    /* The record table's rows in the schema's words ("referrals", "staff"). */
    char in_extract[64];
    snprintf(in_extract, sizeof in_extract, "%s in extract",
             ext->schema && ext->schema->record_plural ? ext->schema->record_plural : "referrals");
    fprintf(out, "  %-21s %10llu\n", in_extract, (unsigned long long)q->referrals_in_extract);
    fprintf(out, "  selected              %10llu  (open at some time in the period)\n",
            (unsigned long long)q->referrals_selected);
    fprintf(out, "  used                  %10llu  (valid and selected: sent as records)\n",
            (unsigned long long)q->referrals_used);
    fprintf(out, "  rejected              %10llu\n", (unsigned long long)q->referrals_rejected);
    fprintf(out, "  findings              %10llu\n\n", (unsigned long long)q->findings);

    fprintf(out, "%-38s %10s %10s %10s\n", "file / field", "valid", "invalid", "missing");
    for (size_t t = 0; t < q->n_tables; t++) {
        const Iapt__TableQuality *tq = q->tables[t];
        fprintf(out, "%s (%llu rows, %llu rejected)\n", s_file_of(tq->table),
                (unsigned long long)tq->rows, (unsigned long long)tq->rejected);
        /* An empty table's fields would be rows of zeros. */
        for (size_t f = 0; tq->rows && f < tq->n_fields; f++) {
            const Iapt__FieldQuality *fq = tq->fields[f];
            fprintf(out, "  %-36s %10llu %10llu %10llu\n", fq->field, (unsigned long long)fq->valid,
                    (unsigned long long)fq->invalid, (unsigned long long)fq->missing);
        }
    }
    if (q->n_reasons) {
        fprintf(out, "\nFindings by reason\n");
        for (size_t i = 0; i < q->n_reasons; i++) {
            const Iapt__ReasonCount *rc = q->reasons[i];
            fprintf(out, "  %-38s %-28s %-26s %8llu\n", s_file_of(rc->table), rc->field, rc->reason,
                    (unsigned long long)rc->count);
        }
    }
    if (ext->n_findings) {
        size_t shown = ext->n_findings < max_findings ? ext->n_findings : max_findings;
        fprintf(out, "\nFindings (%llu, in file and line order)\n",
                (unsigned long long)q->findings);
        for (size_t i = 0; i < shown; i++) {
            const iapt_finding_t *f = &ext->findings[i];
            fprintf(out, "  %s:%llu: %s: %s", f->file, (unsigned long long)f->line, f->field,
                    f->reason);
            if (*f->value)
                fprintf(out, " \"%s\"", f->value);
            if (f->rejects)
                fprintf(out, " (row rejected)");
            if (*f->detail)
                fprintf(out, ": %s", f->detail);
            fputc('\n', out);
        }
        if (shown < ext->n_findings || ext->findings_not_listed)
            fprintf(out, "  ... and %llu more\n",
                    (unsigned long long)(ext->n_findings - shown + ext->findings_not_listed));
    }
    fflush(out);
    return ferror(out) ? iapt_error_set(IAPT_EIO, "writing the report failed") : 0;
}

/* The whole report as one JSON value (common/json.h). NULL when out of
 * memory. */
static json_t *
s_report_json(const iapt_extract_t *ext)
{
    json_t *root = json_object(), *list = json_array();
    s_report_schema = ext->schema;
    int bad =
        !root || !list || iapt_json_set(root, "org", iapt_json_str(ext->org)) ||
        iapt_json_set(root, "period", iapt_json_str(ext->period)) ||
        iapt_json_set(root, "records", iapt_json_uint(ext->n_records)) ||
        iapt_quality_json_add(root, ext->quality, s_file_of) ||
        iapt_json_set(root, "findings_not_listed", iapt_json_uint(ext->findings_not_listed)) ||
        iapt_json_set(root, "finding_list", json_incref(list));
    for (size_t i = 0; !bad && i < ext->n_findings; i++) {
        const iapt_finding_t *f = &ext->findings[i];
        json_t *jf = json_object();
        bad = !jf || iapt_json_set(jf, "file", iapt_json_str(f->file)) ||
              iapt_json_set(jf, "table", iapt_json_str(f->table)) ||
              iapt_json_set(jf, "line", iapt_json_uint(f->line)) ||
              iapt_json_set(jf, "field", iapt_json_str(f->field)) ||
              iapt_json_set(jf, "reason", iapt_json_str(f->reason)) ||
              iapt_json_set(jf, "value", iapt_json_str(f->value)) ||
              iapt_json_set(jf, "rejects", json_boolean(f->rejects)) ||
              iapt_json_set(jf, "detail", iapt_json_str(f->detail));
        bad = iapt_json_push(list, jf) || bad;
    }
    json_decref(list);
    if (bad) {
        json_decref(root);
        return NULL;
    }
    return root;
}

json_t *
iapt_extract_report_json_new(const iapt_extract_t *ext)
{
    return s_report_json(ext);
}

json_t *
iapt_extract_report_refused_json_new(const char *reason)
{
    json_t *root = json_object();
    if (!root || iapt_json_set(root, "submittable", json_false()) ||
        iapt_json_set(root, "error", iapt_json_str(reason))) {
        json_decref(root);
        return NULL;
    }
    return root;
}

static int
s_write_report(json_t *root, FILE *out)
{
    int rc = root ? iapt_json_write(root, out)
                  : iapt_error_set(IAPT_ENOMEM, "the JSON report: out of memory");
    json_decref(root);
    return rc;
}

int
iapt_extract_report_json(const iapt_extract_t *ext, FILE *out)
{
    return s_write_report(iapt_extract_report_json_new(ext), out);
}

int
iapt_extract_report_refused_json(const char *reason, FILE *out)
{
    return s_write_report(iapt_extract_report_refused_json_new(reason), out);
}
