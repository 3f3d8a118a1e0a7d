/* quality_json.c - see quality_json.h. */
#include "common/quality_json.h"

#include "common/err.h"

/* One table's counts, NULL when out of memory. */
static json_t *
s_table(const Iapt__TableQuality *tq, iapt_quality_file_fn file_of)
{
    json_t *jt = json_object(), *fields = json_array();
    int bad = !jt || !fields || iapt_json_set(jt, "table", iapt_json_str(tq->table));
    if (!bad && file_of)
        bad = iapt_json_set(jt, "file", iapt_json_str(file_of(tq->table)));
    bad = bad || iapt_json_set(jt, "rows", iapt_json_uint(tq->rows)) ||
          iapt_json_set(jt, "rejected", iapt_json_uint(tq->rejected)) ||
          iapt_json_set(jt, "fields", json_incref(fields));
    for (size_t f = 0; !bad && f < tq->n_fields; f++) {
        const Iapt__FieldQuality *fq = tq->fields[f];
        json_t *jf = json_object();
        bad = !jf || iapt_json_set(jf, "field", iapt_json_str(fq->field)) ||
              iapt_json_set(jf, "valid", iapt_json_uint(fq->valid)) ||
              iapt_json_set(jf, "invalid", iapt_json_uint(fq->invalid)) ||
              iapt_json_set(jf, "missing", iapt_json_uint(fq->missing));
        bad = iapt_json_push(fields, jf) || bad;
    }
    json_decref(fields);
    if (bad) {
        json_decref(jt);
        return NULL;
    }
    return jt;
}

int
iapt_quality_json_add(json_t *obj, const Iapt__QualitySummary *q, iapt_quality_file_fn file_of)
{
    json_t *tables = json_array(), *reasons = json_array();
    int bad = !tables || !reasons ||
              iapt_json_set(obj, "referrals_in_extract", iapt_json_uint(q->referrals_in_extract)) ||
              iapt_json_set(obj, "referrals_selected", iapt_json_uint(q->referrals_selected)) ||
              iapt_json_set(obj, "referrals_used", iapt_json_uint(q->referrals_used)) ||
              iapt_json_set(obj, "referrals_rejected", iapt_json_uint(q->referrals_rejected)) ||
              iapt_json_set(obj, "findings", iapt_json_uint(q->findings)) ||
              iapt_json_set(obj, "tables", json_incref(tables)) ||
              iapt_json_set(obj, "reasons", json_incref(reasons));
    for (size_t t = 0; !bad && t < q->n_tables; t++)
        bad = iapt_json_push(tables, s_table(q->tables[t], file_of));
    for (size_t i = 0; !bad && i < q->n_reasons; i++) {
        const Iapt__ReasonCount *r = q->reasons[i];
        json_t *jr = json_object();
        bad = !jr || iapt_json_set(jr, "table", iapt_json_str(r->table)) ||
              iapt_json_set(jr, "field", iapt_json_str(r->field)) ||
              iapt_json_set(jr, "reason", iapt_json_str(r->reason)) ||
              iapt_json_set(jr, "count", iapt_json_uint(r->count));
        bad = iapt_json_push(reasons, jr) || bad;
    }
    json_decref(tables);
    json_decref(reasons);
    return bad ? iapt_error_set(IAPT_ENOMEM, "json: out of memory") : 0;
}
