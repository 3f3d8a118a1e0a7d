/* iapt-query: read the national statistics and the hub's records of who
 * submitted what, over the hub's query endpoint. */
#include "common/collection.h"
#include "common/cli.h"
#include "common/client.h"
#include "common/config.h"
#include "common/ping.h"
#include "common/quality_json.h"
#include "common/csv.h"
#include "common/err.h"
#include "common/json.h"
#include "common/keys.h"
#include "common/log.h"
#include "common/sign.h"
#include "common/stats.h"
#include "common/util.h"
#include "common/wire.h"
#include "common/fyear.h"
#include "hub/report.h"
#include "proto/quality.pb-c.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define S_MAX_LIST 256

static void
s_usage(FILE *f)
{
    fprintf(f, "usage: iapt-query [--config FILE | --endpoint E --key FILE --hub-public FILE]\n"
               "                  COMMAND [options]\n"
               "\n"
               "commands:\n"
               "  measures --period YYYY-MM [--to YYYY-MM] [--measure ID]... [--group-type T]...\n"
               "  measures --quarter YYYY/YY-QN | --year YYYY/YY [the same options]\n"
               "           [--org CODE]... [--breakdown NAME] [--unsuppressed]\n"
               "           [--format table|wide|csv|json] [--out FILE]\n"
               "      the official measures; CSV in the publication layout. T: England, Region,\n"
               "      ICB, SubICB, Provider. NAME: age, gender, ethnicity, imd, problem, therapy,\n"
               "      source, ltc. Lists may also be comma-separated. --unsuppressed needs the\n"
               "      analyst role. 'wide' is one line per group with headline measures (or\n"
               "      those given with --measure). A quarter (2025/26-Q2: July-September 2025)\n"
               "      or a financial year (2025/26: April 2025-March 2026) merges its months.\n"
               "  targets --period YYYY-MM [--format table|csv|json] [--out FILE]\n"
               "      the collection's programme view: adult, access rate against prevalence\n"
               "      and the 2015 targets per region over the 12 months ending the period;\n"
               "      CYP, coverage, access growth and CWP teams (one row per value); in its\n"
               "      published (suppressed) form only\n"
               "  report --period YYYY-MM [--quarters N] --out FILE.html\n"
               "      the national report: one self-contained HTML page for the N financial\n"
               "      quarters (default 4) ending with the period's, a section for each\n"
               "      collection with data (adult: charts by quarter, targets, reporting rate,\n"
               "      equality, completeness; CYP; workforce); --collection does not apply\n"
               "  submissions --period YYYY-MM [--org CODE] [--format table|csv|json]\n"
               "      who submitted for the period, when, which submission is current, late or\n"
               "      missing (a provider key sees its own organisation only)\n"
               "  quality --period YYYY-MM --org CODE [--format table|json]\n"
               "      the data-quality summary of the current submission\n"
               "  checkpoint [--format table|json]   the transparency log's latest checkpoint\n"
               "  lock --period YYYY-MM | unlock --period YYYY-MM   (analyst role)\n"
               "  confirm --submission ID --reason TEXT [--period YYYY-MM]   (analyst role)\n"
               "  reject --submission ID --reason TEXT [--period YYYY-MM]    (analyst role)\n"
               "      decide on a submission the hub holds for review (it would have replaced\n"
               "      a counted month with 0 records or under half of them): confirm counts it\n"
               "      in place of the current one, reject leaves the current one counted. ID:\n"
               "      64 hex, or a unique prefix of it with --period. The reason is kept and\n"
               "      shown by 'submissions'; a closed period must be reopened to confirm.\n"
               "  ping   check the keys, the hub's key, the connection and this key's\n"
               "      registration; one line per check (exit 0 all pass, 1 the hub refused or\n"
               "      is unreachable, 2 configuration)\n"
               "\n"
               "--collection NAME (every command; default IAPT, the adult collection): the\n"
               "collection asked about, e.g. CYP; measures, breakdowns, submissions, quality,\n"
               "targets (its programme view) and lock are per collection.\n"
               "The configuration file holds: endpoint = tcp://..., key = FILE.secret,\n"
               "hub-public = hub.pub, timeout-ms = 30000.\n"
               "Exit status: 0 answered; 1 the hub refused (reason on stderr); 2 usage,\n"
               "connection or I/O error.\n"
               "iapt-query COMMAND --help shows one command; --version the version.\n");
}

typedef struct {
    const char *config, *endpoint, *key, *hub_public, *out, *format;
    const char *period, *to, *breakdown, *submission, *reason;
    const char *span; /* --quarter or --year */
    long quarters;
    const char *measures[S_MAX_LIST], *groups[S_MAX_LIST], *orgs[S_MAX_LIST];
    size_t n_measures, n_groups, n_orgs;
    int unsuppressed;
    long timeout_ms;
} s_opts_t;

/* Add a possibly comma-separated value to a list. The strings are split in
 * place in argv's memory. */
static int
s_add(const char **list, size_t *n, char *value)
{
    for (char *tok = strtok(value, ","); tok; tok = strtok(NULL, ",")) {
        if (*n == S_MAX_LIST)
            return -1;
        list[(*n)++] = tok;
    }
    return 0;
}

static int
s_fail(const char *what, int rc)
{
    fprintf(stderr, "iapt-query: %s: %s%s%s\n", what, iapt_strerror(rc),
            *iapt_error_detail() ? ": " : "", iapt_error_detail());
    return rc == IAPT_EREFUSED ? 1 : 2;
}

static int
s_write(const s_opts_t *o, const iapt_buf_t *b)
{
    if (o->out) {
        int rc = iapt_file_write_atomic(o->out, b->data, b->len, 0644);
        if (rc < 0)
            return s_fail(o->out, rc);
        fprintf(stderr, "wrote %s\n", o->out);
        return 0;
    }
    fwrite(b->data, 1, b->len, stdout);
    return 0;
}

/* Send q and take an answer of kind `want`: 0 with *resp (the caller frees
 * it), else the exit status, after saying why on stderr. */
/* The collection asked about (--collection; the adult one by default). */
static const iapt_collection_t *s_col;
/* --collection was given: every request names it (a hub that does not
 * know the field would otherwise answer for the adult one silently). */
static bool s_col_given;

static int
s_call(iapt_client_t *c, Iapt__QueryRequest *q, Iapt__QueryResponse__BodyCase want,
       const char *what, Iapt__QueryResponse **resp)
{
    if (s_col_given)
        q->collection = (char *)s_col->name;
    int rc = iapt_client_call(c, q, resp);
    if (rc == 0 && (*resp)->body_case != want)
        rc = iapt_error_set(IAPT_EFORMAT, "the hub answered with another kind of answer");
    if (rc == 0)
        return 0;
    if (*resp)
        iapt__query_response__free_unpacked(*resp, NULL);
    *resp = NULL;
    return s_fail(what, rc);
}

static int
s_measures(iapt_client_t *c, const s_opts_t *o)
{
    Iapt__MeasuresRequest mr = IAPT__MEASURES_REQUEST__INIT;
    mr.period_from = (char *)(o->span ? o->span : o->period);
    mr.period_to = (char *)o->to;
    mr.n_measure_ids = o->n_measures;
    mr.measure_ids = (char **)o->measures;
    mr.n_group_types = o->n_groups;
    mr.group_types = (char **)o->groups;
    mr.n_org_codes = o->n_orgs;
    mr.org_codes = (char **)o->orgs;
    mr.breakdown = (char *)o->breakdown;
    mr.has_unsuppressed = o->unsuppressed;
    mr.unsuppressed = o->unsuppressed;
    Iapt__QueryRequest q = IAPT__QUERY_REQUEST__INIT;
    q.body_case = IAPT__QUERY_REQUEST__BODY_MEASURES;
    q.measures = &mr;
    Iapt__QueryResponse *resp = NULL;
    int rc = 0, status = s_call(c, &q, IAPT__QUERY_RESPONSE__BODY_MEASURES, "measures", &resp);
    if (status)
        goto out;
    iapt_stat_rows_t *rows = NULL;
    int with_breakdown = o->breakdown && *o->breakdown && strcmp(o->breakdown, "none") != 0;
    for (size_t i = 0; i < resp->measures->n_rows && rc == 0; i++) {
        const Iapt__MeasureRow *m = resp->measures->rows[i];
        iapt_stat_row_t r = {m->period_start,
                             m->period_end,
                             0,
                             m->group_type,
                             m->org_code1,
                             m->org_name1,
                             m->org_code2,
                             m->org_name2,
                             m->breakdown,
                             m->breakdown_level,
                             m->measure_id,
                             m->measure_name,
                             m->value,
                             0};
        rc = iapt_stat_rows_append(&rows, s_col->hub, &r, with_breakdown);
    }
    iapt_buf_t b = IAPT_BUF_INIT;
    const char *fmt = o->format ? o->format : "table";
    if (rc == 0) {
        if (strcmp(fmt, "csv") == 0)
            rc = iapt_stat_rows_csv(rows, &b);
        else if (strcmp(fmt, "json") == 0)
            rc = iapt_stat_rows_json(rows, &b);
        else if (strcmp(fmt, "wide") == 0) {
            size_t n;
            const char *const *ids = iapt_stats_headline_measures(s_col->hub, &n);
            if (o->n_measures) {
                ids = o->measures;
                n = o->n_measures;
            }
            rc = iapt_stat_rows_table_wide(rows, ids, n, &b);
        } else
            rc = iapt_stat_rows_table(rows, &b);
    }
    if (rc < 0)
        status = s_fail("measures", rc);
    else
        status = s_write(o, &b);
    if (!o->out && strcmp(fmt, "csv") != 0 && strcmp(fmt, "json") != 0)
        printf("(%s)\n", resp->measures->suppressed
                             ? "below England: counts under 5 shown as *, others rounded to 5"
                             : "unsuppressed");
    iapt_buf_free(&b);
    iapt_stat_rows_destroy(&rows);
out:
    if (resp)
        iapt__query_response__free_unpacked(resp, NULL);
    return status;
}

static int
s_report(iapt_client_t *c, const s_opts_t *o)
{
    iapt_report_opts_t ro = {o->period, o->quarters ? (int)o->quarters : 4};
    iapt_buf_t b = IAPT_BUF_INIT;
    int rc = iapt_report_build(c, &ro, &b), status;
    if (rc < 0)
        status = s_fail("report", rc);
    else
        status = s_write(o, &b);
    iapt_buf_free(&b);
    return status;
}

static int
s_targets(iapt_client_t *c, const s_opts_t *o)
{
    Iapt__TargetsRequest tr = IAPT__TARGETS_REQUEST__INIT;
    tr.period = (char *)o->period;
    Iapt__QueryRequest q = IAPT__QUERY_REQUEST__INIT;
    q.body_case = IAPT__QUERY_REQUEST__BODY_TARGETS;
    q.targets = &tr;
    Iapt__QueryResponse *resp = NULL;
    iapt_buf_t b = IAPT_BUF_INIT;
    json_t *root = NULL, *rows = NULL;
    int status = s_call(c, &q, IAPT__QUERY_RESPONSE__BODY_TARGETS, "targets", &resp);
    if (status)
        goto out;
    const Iapt__TargetsResponse *t = resp->targets;
    const char *fmt = o->format ? o->format : "table";
    int rc = 0;
    if (strcmp(fmt, "json") == 0) {
        /* Values, targets and progress as numbers ("*" and null as for
         * measures: docs/MEASURES-NOTES.md "JSON"). */
        int bad = !(root = json_object()) || !(rows = json_array());
        bad = bad || iapt_json_set(root, "period", iapt_json_str(o->period)) ||
              iapt_json_set(root, "months_available", iapt_json_uint(t->months_available));
        for (size_t i = 0; !bad && i < t->n_rows; i++) {
            const Iapt__TargetRow *r = t->rows[i];
            json_t *row = json_object();
            bool per_value = r->view && *r->view;
            bad = !row ||
                  (per_value && (iapt_json_set(row, "view", iapt_json_str(r->view)) ||
                                 iapt_json_set(row, "group_type", iapt_json_str(r->group_type)) ||
                                 iapt_json_set(row, "org_code", iapt_json_str(r->org_code)) ||
                                 iapt_json_set(row, "org_name", iapt_json_str(r->region)))) ||
                  (!per_value && iapt_json_set(row, "region", iapt_json_str(r->region))) ||
                  iapt_json_set(row, "measure", iapt_json_str(r->measure)) ||
                  iapt_json_set(row, "value", iapt_json_measure(r->value)) ||
                  iapt_json_set(row, "target", iapt_json_measure(r->target)) ||
                  iapt_json_set(row, "progress_percent", iapt_json_measure(r->progress)) ||
                  iapt_json_push(rows, json_incref(row));
            json_decref(row);
        }
        bad = bad || iapt_json_set(root, "rows", json_incref(rows));
        rc = bad ? iapt_error_set(IAPT_ENOMEM, "json: out of memory") : iapt_json_dump(root, &b);
    } else if (strcmp(fmt, "csv") == 0 && t->n_rows && t->rows[0]->view && *t->rows[0]->view) {
        /* One row per value (docs/FORMATS.md "CYP programme view"). */
        iapt_period_t p;
        char start[11] = "", end[11] = "";
        if (iapt_period_parse(o->period, &p) == 0) {
            iapt_date_format(p.start, start);
            iapt_date_format(p.end, end);
        }
        iapt_buf_printf(&b, "REPORTING_PERIOD_START,REPORTING_PERIOD_END,VIEW,GROUP_TYPE,ORG_CODE,"
                            "ORG_NAME,MEASURE,VALUE_SUPPRESSED\n");
        for (size_t i = 0; rc == 0 && i < t->n_rows; i++) {
            const Iapt__TargetRow *r = t->rows[i];
            const char *f[8] = {start,  end,       r->view ? r->view : "",
                                r->group_type ? r->group_type : "",
                                r->org_code ? r->org_code : "",
                                r->region, r->measure, r->value};
            for (int j = 0; rc == 0 && j < 8; j++)
                if ((rc = iapt_csv_write_field(&b, f[j])) == 0)
                    rc = iapt_buf_append(&b, j < 7 ? "," : "\n", 1);
        }
    } else if (strcmp(fmt, "csv") == 0) {
        iapt_buf_printf(&b, "region,measure,value,target,progress_percent\n");
        for (size_t i = 0; rc == 0 && i < t->n_rows; i++) {
            const Iapt__TargetRow *r = t->rows[i];
            const char *f[5] = {r->region, r->measure, r->value, r->target, r->progress};
            for (int j = 0; rc == 0 && j < 5; j++)
                if ((rc = iapt_csv_write_field(&b, f[j])) == 0)
                    rc = iapt_buf_append(&b, j < 4 ? "," : "\n", 1);
        }
    } else {
        if (s_col == iapt_collection_default())
            iapt_buf_printf(&b, "Access and 2015 targets, 12 months to %s (%u months with data)\n",
                            o->period, t->months_available);
        else
            iapt_buf_printf(&b, "%s programme view to %s (%u of its months with data)\n",
                            s_col->name, o->period, t->months_available);
        if (t->n_rows && t->rows[0]->view && *t->rows[0]->view)
            iapt_buf_printf(&b, "%-22s %-34s %12s\n", "AREA OR PROVIDER", "MEASURE", "VALUE");
        else
            iapt_buf_printf(&b, "%-22s %-34s %12s %12s %9s\n", "REGION", "MEASURE", "VALUE",
                            "TARGET", "PROGRESS");
        for (size_t i = 0; i < t->n_rows; i++) {
            const Iapt__TargetRow *r = t->rows[i];
            if (r->view && *r->view) {
                char what[160];
                snprintf(what, sizeof what, "%s %s", r->view, r->measure);
                iapt_buf_printf(&b, "%-22s %-34s %12s\n",
                                strcmp(r->group_type ? r->group_type : "", "Provider") == 0
                                    ? r->org_code
                                    : r->region,
                                what, r->value);
                continue;
            }
            iapt_buf_printf(&b, "%-22s %-34s %12s %12s %8s%s\n", r->region, r->measure, r->value,
                            r->target, r->progress, *r->progress ? "%" : "");
        }
    }
    status = rc < 0 ? s_fail("targets", rc) : s_write(o, &b);
out:
    json_decref(rows);
    json_decref(root);
    iapt_buf_free(&b);
    if (resp)
        iapt__query_response__free_unpacked(resp, NULL);
    return status;
}

/* The review state of a listed submission in words, "" when never held. */
static const char *
s_review_word(const Iapt__SubmissionInfo *si)
{
    if (!si->has_review)
        return "";
    switch (si->review) {
    case IAPT__REVIEW_STATE__REVIEW_PENDING:
        return "pending review";
    case IAPT__REVIEW_STATE__REVIEW_CONFIRMED:
        return "confirmed";
    case IAPT__REVIEW_STATE__REVIEW_REJECTED:
        return "rejected";
    case IAPT__REVIEW_STATE__REVIEW_SUPERSEDED:
        return "superseded while held";
    default:
        return "";
    }
}

/* Ask the hub for a period's submissions (one org's when org is given).
 * 0 with *resp set (the caller frees it), else the exit status. */
static int
s_ask_submissions(iapt_client_t *c, const char *period, const char *org, Iapt__QueryResponse **resp)
{
    Iapt__SubmissionsRequest sr = IAPT__SUBMISSIONS_REQUEST__INIT;
    sr.period = (char *)period;
    sr.org_code = (char *)org;
    Iapt__QueryRequest q = IAPT__QUERY_REQUEST__INIT;
    q.body_case = IAPT__QUERY_REQUEST__BODY_SUBMISSIONS;
    q.submissions = &sr;
    return s_call(c, &q, IAPT__QUERY_RESPONSE__BODY_SUBMISSIONS, "submissions", resp);
}

static int
s_submissions(iapt_client_t *c, const s_opts_t *o)
{
    Iapt__QueryResponse *resp = NULL;
    int status = s_ask_submissions(c, o->period, o->n_orgs ? o->orgs[0] : NULL, &resp);
    if (status)
        goto out;
    const Iapt__SubmissionsResponse *s = resp->submissions;
    const char *fmt = o->format ? o->format : "table";
    iapt_buf_t b = IAPT_BUF_INIT;
    if (strcmp(fmt, "table") == 0)
        iapt_buf_printf(&b, "%s: %u of %u providers have submitted\n", o->period, s->received,
                        s->expected);
    if (strcmp(fmt, "csv") == 0)
        iapt_buf_printf(&b, "org_code,org_name,period,received,current,late,sequence,"
                            "accepted_at,records,log_index,submission_id,review,held_because,"
                            "decided_by,decided_at,decision_reason\n");
    json_t *root = NULL, *list = NULL;
    int bad = 0;
    if (strcmp(fmt, "json") == 0) {
        bad = !(root = json_object()) || !(list = json_array()) ||
              iapt_json_set(root, "period", iapt_json_str(o->period)) ||
              iapt_json_set(root, "expected", iapt_json_uint(s->expected)) ||
              iapt_json_set(root, "received", iapt_json_uint(s->received)) ||
              iapt_json_set(root, "submissions", json_incref(list));
    } else if (strcmp(fmt, "table") == 0)
        iapt_buf_printf(&b, "%-8s %-32s %-9s %-8s %-5s %4s %-20s %9s %6s %s\n", "ORG", "NAME",
                        "RECEIVED", "CURRENT", "LATE", "SEQ", "ACCEPTED", "RECORDS", "LOG",
                        "SUBMISSION");
    for (size_t i = 0; i < s->n_submissions; i++) {
        const Iapt__SubmissionInfo *si = s->submissions[i];
        char when[21] = "", id[65] = "";
        if (si->has_accepted_at)
            iapt_time_format(si->accepted_at, when);
        if (si->has_submission_id && si->submission_id.len == 32)
            iapt_hex_encode(si->submission_id.data, 32, id);
        const char *rec = si->received ? "true" : "false";
        const char *cur = si->has_current && si->current ? "true" : "false";
        const char *late = si->has_late && si->late ? "true" : "false";
        if (strcmp(fmt, "csv") == 0) {
            iapt_csv_write_field(&b, si->org_code);
            iapt_buf_append(&b, ",", 1);
            iapt_csv_write_field(&b, si->org_name);
            iapt_buf_printf(&b, ",%s,%s,%s,%s,", si->period, rec, cur, late);
            if (si->has_sequence)
                iapt_buf_printf(&b, "%llu", (unsigned long long)si->sequence);
            iapt_buf_printf(&b, ",%s,", when);
            if (si->has_record_count)
                iapt_buf_printf(&b, "%llu", (unsigned long long)si->record_count);
            iapt_buf_printf(&b, ",");
            if (si->has_log_index)
                iapt_buf_printf(&b, "%llu", (unsigned long long)si->log_index);
            iapt_buf_printf(&b, ",%s,%s,", id, s_review_word(si));
            iapt_csv_write_field(&b, si->held_because ? si->held_because : "");
            iapt_buf_printf(&b, ",%s,", si->decided_by ? si->decided_by : "");
            if (si->has_decided_at) {
                char dw[21];
                iapt_time_format(si->decided_at, dw);
                iapt_buf_printf(&b, "%s", dw);
            }
            iapt_buf_append(&b, ",", 1);
            iapt_csv_write_field(&b, si->decision_reason ? si->decision_reason : "");
            iapt_buf_append(&b, "\n", 1);
        } else if (strcmp(fmt, "json") == 0) {
            json_t *e = json_object();
            bad = bad || !e || iapt_json_set(e, "org_code", iapt_json_str(si->org_code)) ||
                  iapt_json_set(e, "org_name", iapt_json_str(si->org_name)) ||
                  iapt_json_set(e, "received", json_boolean(si->received)) ||
                  iapt_json_set(e, "current", json_boolean(si->has_current && si->current)) ||
                  iapt_json_set(e, "late", json_boolean(si->has_late && si->late));
            if (si->received)
                bad = bad || iapt_json_set(e, "sequence", iapt_json_uint(si->sequence)) ||
                      iapt_json_set(e, "accepted_at", iapt_json_str(when)) ||
                      iapt_json_set(e, "records", iapt_json_uint(si->record_count)) ||
                      iapt_json_set(e, "log_index", iapt_json_uint(si->log_index)) ||
                      iapt_json_set(e, "submission_id", iapt_json_str(id));
            if (si->has_review)
                bad = bad || iapt_json_set(e, "review", iapt_json_str(s_review_word(si))) ||
                      iapt_json_set(e, "held_because",
                                    iapt_json_str(si->held_because ? si->held_because : ""));
            if (si->decided_by) {
                char dw[21] = "";
                if (si->has_decided_at)
                    iapt_time_format(si->decided_at, dw);
                bad = bad || iapt_json_set(e, "decided_by", iapt_json_str(si->decided_by)) ||
                      iapt_json_set(e, "decided_at", iapt_json_str(dw)) ||
                      iapt_json_set(e, "decision_reason",
                                    iapt_json_str(si->decision_reason ? si->decision_reason : ""));
            }
            bad = bad || iapt_json_push(list, json_incref(e));
            json_decref(e);
        } else {
            char seq[24] = "", recs[24] = "", logi[24] = "";
            if (si->received) {
                snprintf(seq, sizeof seq, "%llu", (unsigned long long)si->sequence);
                snprintf(recs, sizeof recs, "%llu", (unsigned long long)si->record_count);
                snprintf(logi, sizeof logi, "%llu", (unsigned long long)si->log_index);
            }
            id[12] = 0;
            iapt_buf_printf(
                &b, "%-8s %-32.32s %-9s %-8s %-5s %4s %-20s %9s %6s %s\n", si->org_code,
                si->org_name, si->received ? "yes" : "MISSING",
                si->received
                    ? (si->current                                                          ? "yes"
                       : si->has_review && si->review == IAPT__REVIEW_STATE__REVIEW_PENDING ? "HELD"
                       : si->has_rejected && si->rejected ? "rejected"
                                                          : "replaced")
                    : "",
                si->received ? (si->late ? "late" : "") : "", seq, when, recs, logi, id);
            if (si->has_review) {
                iapt_buf_printf(&b, "         review: %s", s_review_word(si));
                if (si->held_because)
                    iapt_buf_printf(&b, " (held: %s)", si->held_because);
                iapt_buf_append(&b, "\n", 1);
            }
            if (si->decided_by) {
                char dw[21] = "";
                if (si->has_decided_at)
                    iapt_time_format(si->decided_at, dw);
                iapt_buf_printf(&b, "         decided by %s at %s: %s\n", si->decided_by, dw,
                                si->decision_reason ? si->decision_reason : "");
            }
        }
    }
    if (root && !bad)
        bad = iapt_json_dump(root, &b) != 0;
    json_decref(list);
    json_decref(root);
    if (bad)
        status = s_fail("submissions", iapt_error_set(IAPT_ENOMEM, "json: out of memory"));
    else
        status = s_write(o, &b);
    iapt_buf_free(&b);
out:
    if (resp)
        iapt__query_response__free_unpacked(resp, NULL);
    return status;
}

/* The quality summary as JSON: counts as integers. NULL when out of
 * memory. */
static json_t *
s_quality_json(const char *org, const char *period, const Iapt__QualitySummary *qs)
{
    json_t *root = json_object();
    if (!root || iapt_json_set(root, "org_code", iapt_json_str(org)) ||
        iapt_json_set(root, "period", iapt_json_str(period)) ||
        iapt_quality_json_add(root, qs, NULL)) {
        json_decref(root);
        return NULL;
    }
    return root;
}

static int
s_quality(iapt_client_t *c, const s_opts_t *o)
{
    if (o->n_orgs != 1) {
        fprintf(stderr, "iapt-query: quality needs --org CODE\n");
        return 2;
    }
    Iapt__QualityRequest qr = IAPT__QUALITY_REQUEST__INIT;
    qr.period = (char *)o->period;
    qr.org_code = (char *)o->orgs[0];
    Iapt__QueryRequest q = IAPT__QUERY_REQUEST__INIT;
    q.body_case = IAPT__QUERY_REQUEST__BODY_QUALITY;
    q.quality = &qr;
    Iapt__QueryResponse *resp = NULL;
    int status = s_call(c, &q, IAPT__QUERY_RESPONSE__BODY_QUALITY, "quality", &resp);
    if (status)
        goto out;
    const Iapt__QualitySummary *qs = resp->quality->quality;
    int json = o->format && strcmp(o->format, "json") == 0;
    iapt_buf_t b = IAPT_BUF_INIT;
    int rc = 0;
    if (json) {
        /* The names in the summary are the node's: jansson quotes them. */
        json_t *root = s_quality_json(o->orgs[0], o->period, qs);
        rc = root ? iapt_json_dump(root, &b) : iapt_error_set(IAPT_ENOMEM, "json: out of memory");
        json_decref(root);
    } else {
        iapt_buf_printf(
            &b,
            "Data quality of %s for %s (as the node reported it, signed)\n"
            "  referrals in extract %llu, open in the period %llu, used %llu, "
            "rejected %llu; findings %llu\n\n",
            o->orgs[0], o->period, (unsigned long long)qs->referrals_in_extract,
            (unsigned long long)qs->referrals_selected, (unsigned long long)qs->referrals_used,
            (unsigned long long)qs->referrals_rejected, (unsigned long long)qs->findings);
        iapt_buf_printf(&b, "  %-34s %9s %9s\n", "TABLE", "ROWS", "REJECTED");
        for (size_t i = 0; i < qs->n_tables; i++)
            iapt_buf_printf(&b, "  %-34s %9llu %9llu\n", qs->tables[i]->table,
                            (unsigned long long)qs->tables[i]->rows,
                            (unsigned long long)qs->tables[i]->rejected);
        if (qs->n_reasons)
            iapt_buf_printf(&b, "\n  %-34s %-28s %-26s %7s\n", "TABLE", "FIELD", "REASON", "COUNT");
        for (size_t i = 0; i < qs->n_reasons; i++)
            iapt_buf_printf(&b, "  %-34s %-28s %-26s %7llu\n", qs->reasons[i]->table,
                            qs->reasons[i]->field, qs->reasons[i]->reason,
                            (unsigned long long)qs->reasons[i]->count);
    }
    status = rc < 0 ? s_fail("quality", rc) : s_write(o, &b);
    iapt_buf_free(&b);
out:
    if (resp)
        iapt__query_response__free_unpacked(resp, NULL);
    return status;
}

static int
s_checkpoint(iapt_client_t *c, const s_opts_t *o)
{
    Iapt__CheckpointRequest cr = IAPT__CHECKPOINT_REQUEST__INIT;
    Iapt__QueryRequest q = IAPT__QUERY_REQUEST__INIT;
    q.body_case = IAPT__QUERY_REQUEST__BODY_CHECKPOINT;
    q.checkpoint = &cr;
    Iapt__QueryResponse *resp = NULL;
    int status = s_call(c, &q, IAPT__QUERY_RESPONSE__BODY_CHECKPOINT, "checkpoint", &resp);
    if (status)
        goto out;
    if (o->format && strcmp(o->format, "json") == 0) {
        json_t *root = json_object();
        int bad = !root ||
                  iapt_json_set(root, "tree_size", iapt_json_uint(resp->checkpoint->tree_size)) ||
                  iapt_json_set(root, "checkpoint", iapt_json_str(resp->checkpoint->checkpoint)) ||
                  iapt_json_write(root, stdout) != 0;
        json_decref(root);
        if (bad)
            status = s_fail("checkpoint", IAPT_ENOMEM);
    } else {
        fputs(resp->checkpoint->checkpoint, stdout);
    }
out:
    if (resp)
        iapt__query_response__free_unpacked(resp, NULL);
    return status;
}

static int
s_lock(iapt_client_t *c, const s_opts_t *o, int unlock)
{
    Iapt__LockRequest lr = IAPT__LOCK_REQUEST__INIT;
    lr.period = (char *)o->period;
    lr.has_unlock = 1;
    lr.unlock = unlock;
    Iapt__QueryRequest q = IAPT__QUERY_REQUEST__INIT;
    q.body_case = IAPT__QUERY_REQUEST__BODY_LOCK;
    q.lock = &lr;
    Iapt__QueryResponse *resp = NULL;
    int status = s_call(c, &q, IAPT__QUERY_RESPONSE__BODY_LOCK, unlock ? "unlock" : "lock", &resp);
    if (status == 0) {
        char when[21];
        iapt_time_format(resp->lock->at, when);
        printf("period %s %s at %s by %s\n", resp->lock->period,
               resp->lock->locked ? "closed" : "reopened", when, resp->lock->by);
    }
    if (resp)
        iapt__query_response__free_unpacked(resp, NULL);
    return status;
}

/* The full id a --submission value names: 64 hex as it is, else a unique
 * prefix among the period's submissions. 0, or the exit status after
 * saying why. */
static int
s_resolve_id(iapt_client_t *c, const s_opts_t *o, uint8_t id[32])
{
    const char *x = o->submission;
    size_t n = strlen(x);
    for (size_t i = 0; i < n; i++)
        if (!strchr("0123456789abcdefABCDEF", x[i])) {
            fprintf(stderr, "iapt-query: --submission is hex (the id or a prefix of it)\n");
            return 2;
        }
    if (n == 64)
        return iapt_hex_decode(x, id, 32) == 0 ? 0 : 2;
    if (n < 4 || n > 64 || !o->period) {
        fprintf(stderr, "iapt-query: --submission needs the 64 hex of the id, or a prefix of at "
                        "least 4 with --period YYYY-MM\n");
        return 2;
    }
    Iapt__QueryResponse *resp = NULL;
    int status = s_ask_submissions(c, o->period, NULL, &resp);
    if (status)
        return status;
    int found = 0;
    for (size_t i = 0; i < resp->submissions->n_submissions; i++) {
        const Iapt__SubmissionInfo *si = resp->submissions->submissions[i];
        char hex[65];
        if (!si->has_submission_id || si->submission_id.len != 32)
            continue;
        iapt_hex_encode(si->submission_id.data, 32, hex);
        if (strncasecmp(hex, x, n) == 0) {
            if (found++ == 0)
                memcpy(id, si->submission_id.data, 32);
        }
    }
    iapt__query_response__free_unpacked(resp, NULL);
    if (found == 1)
        return 0;
    fprintf(stderr, "iapt-query: %s %s among the submissions of %s\n", x,
            found ? "is ambiguous" : "matches nothing", o->period);
    return found ? 2 : 1;
}

static int
s_review(iapt_client_t *c, const s_opts_t *o, int confirm)
{
    const char *what = confirm ? "confirm" : "reject";
    if (!o->submission || !o->reason) {
        fprintf(stderr, "iapt-query: %s needs --submission ID and --reason TEXT\n", what);
        return 2;
    }
    const char *r = o->reason;
    while (*r == ' ' || *r == '\t')
        r++;
    if (!*r) {
        fprintf(stderr, "iapt-query: %s: the reason must not be empty (it is kept and shown)\n",
                what);
        return 2;
    }
    uint8_t id[32];
    int status = s_resolve_id(c, o, id);
    if (status)
        return status;
    Iapt__ReviewRequest rr = IAPT__REVIEW_REQUEST__INIT;
    rr.submission_id.data = id;
    rr.submission_id.len = 32;
    rr.confirm = confirm;
    rr.reason = (char *)o->reason;
    Iapt__QueryRequest q = IAPT__QUERY_REQUEST__INIT;
    q.body_case = IAPT__QUERY_REQUEST__BODY_REVIEW;
    q.review = &rr;
    Iapt__QueryResponse *resp = NULL;
    if ((status = s_call(c, &q, IAPT__QUERY_RESPONSE__BODY_REVIEW, what, &resp)) != 0)
        return status;
    const Iapt__SignedReviewDecision *sd = resp->review->decision;
    Iapt__ReviewDecision *d =
        iapt__review_decision__unpack(NULL, sd->decision.len, sd->decision.data);
    if (d) {
        char when[21], sid[13];
        iapt_time_format(d->at, when);
        iapt_id_short(d->submission_id.data, d->submission_id.len, sid);
        printf("submission %s (%s %s) %s at %s by %s: %s\n", sid, d->org_code, d->period,
               confirm ? "confirmed: it is now counted" : "rejected: it will not be counted", when,
               d->by, d->reason);
        if (d->has_replaces) {
            iapt_id_short(d->replaces.data, d->replaces.len, sid);
            printf("it replaces submission %s in the statistics\n", sid);
        }
        iapt__review_decision__free_unpacked(d, NULL);
    }
    iapt__query_response__free_unpacked(resp, NULL);
    return 0;
}

int
main(int argc, char **argv)
{
    static const struct option longs[] = {
        {"config", required_argument, NULL, 'c'},
        {"endpoint", required_argument, NULL, 'e'},
        {"key", required_argument, NULL, 'k'},
        {"hub-public", required_argument, NULL, 'H'},
        {"period", required_argument, NULL, 'p'},
        {"to", required_argument, NULL, 't'},
        {"measure", required_argument, NULL, 'm'},
        {"group-type", required_argument, NULL, 'g'},
        {"org", required_argument, NULL, 'o'},
        {"breakdown", required_argument, NULL, 'b'},
        {"unsuppressed", no_argument, NULL, 'u'},
        {"format", required_argument, NULL, 'f'},
        {"out", required_argument, NULL, 'O'},
        {"timeout-ms", required_argument, NULL, 'T'},
        {"help", no_argument, NULL, 'h'},
        {"submission", required_argument, NULL, 'S'},
        {"reason", required_argument, NULL, 'R'},
        {"collection", required_argument, NULL, 'C'},
        {"quarter", required_argument, NULL, 'Q'},
        {"year", required_argument, NULL, 'Y'},
        {"quarters", required_argument, NULL, 'N'},
        {NULL, 0, NULL, 0},
    };
    s_opts_t o;
    memset(&o, 0, sizeof o);
    o.timeout_ms = 30000;
    int ch, help = 0;
    iapt_cli_init();
    iapt_log_init("iapt-query");
    if (argc == 2 && iapt_cli_is_version(argv[1])) {
        iapt_cli_print_version("iapt-query");
        return 0;
    }
    s_col = iapt_collection_default();
    /* Options may come before or after the command. */
    while ((ch = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        int bad = 0;
        switch (ch) {
        case 'c':
            o.config = optarg;
            break;
        case 'e':
            o.endpoint = optarg;
            break;
        case 'k':
            o.key = optarg;
            break;
        case 'H':
            o.hub_public = optarg;
            break;
        case 'p':
            o.period = optarg;
            break;
        case 't':
            o.to = optarg;
            break;
        case 'm':
            bad = s_add(o.measures, &o.n_measures, optarg);
            break;
        case 'g':
            bad = s_add(o.groups, &o.n_groups, optarg);
            break;
        case 'o':
            bad = s_add(o.orgs, &o.n_orgs, optarg);
            break;
        case 'b':
            o.breakdown = optarg;
            break;
        case 'u':
            o.unsuppressed = 1;
            break;
        case 'f':
            o.format = optarg;
            break;
        case 'O':
            o.out = optarg;
            break;
        case 'T':
            if (iapt_cli_long("iapt-query", "--timeout-ms", optarg, "milliseconds", 100, 3600000,
                              &o.timeout_ms) < 0)
                return 2;
            break;
        case 'S':
            o.submission = optarg;
            break;
        case 'R':
            o.reason = optarg;
            break;
        case 'C':
            s_col = iapt_collection_find(optarg);
            if (!s_col || !s_col->hub) {
                fprintf(stderr, "iapt-query: unknown collection '%s' (%s)\n", optarg,
                        iapt_collection_names());
                return 2;
            }
            s_col_given = true;
            break;
        case 'Q':
        case 'Y': {
            iapt_fspan_t sp;
            if (o.span || iapt_fspan_parse(optarg, &sp) < 0 || (ch == 'Q') != (sp.quarter != 0)) {
                fprintf(stderr, "iapt-query: %s",
                        o.span      ? "give one --quarter or --year\n"
                        : ch == 'Q' ? "--quarter is YYYY/YY-QN, e.g. 2025/26-Q2\n"
                                    : "--year is YYYY/YY, e.g. 2025/26\n");
                return 2;
            }
            o.span = optarg;
            break;
        }
        case 'N':
            if (iapt_cli_long("iapt-query", "--quarters", optarg, "quarters", 1,
                              IAPT_REPORT_QUARTERS_MAX, &o.quarters) < 0)
                return 2;
            break;
        case 'h':
            help = 1;
            break;
        default:
            s_usage(stderr);
            return 2;
        }
        if (bad) {
            fprintf(stderr, "iapt-query: too many values\n");
            return 2;
        }
    }
    if (help) {
        /* COMMAND --help: that command's lines of the usage. */
        if (optind == argc - 1 &&
            iapt_cli_usage_command(s_usage, "iapt-query", argv[optind], stdout) == 0)
            return 0;
        s_usage(stdout);
        return 0;
    }
    if (optind != argc - 1) {
        s_usage(stderr);
        return 2;
    }
    const char *cmd = argv[optind];
    static const char *const commands[] = {"measures", "targets",    "submissions",
                                           "quality",  "checkpoint", "lock",
                                           "unlock",   "report",     NULL};
    int known = 0;
    for (const char *const *k = commands; *k; k++)
        known |= strcmp(*k, cmd) == 0;
    if (!known && iapt_cli_usage_command(s_usage, "iapt-query", cmd, NULL) < 0) {
        fprintf(stderr, "iapt-query: unknown command '%s'\n", cmd);
        s_usage(stderr);
        return 2;
    }
    if (o.unsuppressed && strcmp(cmd, "measures") != 0) {
        /* The programme view, the report and the listings exist only in their
         * published form: say so rather than answer the suppressed one. */
        fprintf(stderr, "iapt-query: --unsuppressed is for measures; %s is published "
                        "suppressed only\n",
                cmd);
        return 2;
    }
    if (s_col_given && strcmp(cmd, "report") == 0) {
        /* The report has a section for every collection with data. */
        fprintf(stderr, "iapt-query: --collection does not apply to report: it covers every "
                        "collection with data\n");
        return 2;
    }
    static const char *const formats[] = {"table", "wide", "csv", "json", NULL};
    if (o.format) {
        int ok = 0;
        for (const char *const *f = formats; *f; f++)
            ok |= strcmp(*f, o.format) == 0;
        if (!ok) {
            fprintf(stderr, "iapt-query: --format is table, wide, csv or json\n");
            return 2;
        }
    }
    if (iapt_crypto_init() < 0)
        return 2;

    int rc, status = 2;
    iapt_config_t *cfg = NULL;
    iapt_identity_t *self = NULL, *hub = NULL;
    iapt_client_t *client = NULL;
    char keypath[1024], hubpath[1024];
    if (o.config) {
        static const char *const keys[] = {"endpoint", "key", "hub-public", "timeout-ms", NULL};
        long t;
        if ((rc = iapt_config_load(o.config, &cfg)) < 0 ||
            (rc = iapt_config_check(cfg, keys)) < 0 ||
            (rc = iapt_config_get_long(cfg, "timeout-ms", o.timeout_ms, 100, 3600000, &t)) < 0) {
            status = s_fail(o.config, rc);
            goto out;
        }
        o.timeout_ms = t;
        if (!o.endpoint)
            o.endpoint = iapt_config_get(cfg, "endpoint");
        if (!o.key && iapt_config_path(cfg, "key", keypath, sizeof keypath) == 0)
            o.key = keypath;
        if (!o.hub_public && iapt_config_path(cfg, "hub-public", hubpath, sizeof hubpath) == 0)
            o.hub_public = hubpath;
    }
    if (!o.endpoint || !o.key || !o.hub_public) {
        fprintf(stderr, "iapt-query: need --endpoint, --key and --hub-public (or --config)\n");
        goto out;
    }
    if (strcmp(cmd, "ping") == 0) {
        if (o.config)
            printf("ok   configuration: %s (endpoint %s)\n", o.config, o.endpoint);
        iapt_ping_target_t t = {0};
        t.endpoint = o.endpoint;
        t.endpoint_setting = "the endpoint (--endpoint or endpoint in the configuration)";
        t.key_path = o.key;
        t.hub_public_path = o.hub_public;
        t.client_version = "iapt-query";
        t.timeout_ms = o.timeout_ms < 5000 ? (int)o.timeout_ms : 4000;
        status = iapt_ping_run(&t, stdout);
        goto out;
    }
    int is_review = strcmp(cmd, "confirm") == 0 || strcmp(cmd, "reject") == 0;
    if (is_review && (!o.submission || !o.reason)) {
        fprintf(stderr, "iapt-query: %s needs --submission ID and --reason TEXT\n", cmd);
        goto out;
    }
    int needs_period = strcmp(cmd, "checkpoint") != 0 && !is_review;
    if (o.span && strcmp(cmd, "measures") != 0) {
        fprintf(stderr, "iapt-query: --quarter and --year are for measures\n");
        goto out;
    }
    if (o.span && (o.period || o.to)) {
        fprintf(stderr, "iapt-query: measures takes --period (and --to) or --quarter or --year\n");
        goto out;
    }
    if (strcmp(cmd, "measures") == 0 && o.span)
        needs_period = 0;
    if (needs_period && !o.period) {
        fprintf(stderr, "iapt-query: %s needs --period YYYY-MM\n", cmd);
        goto out;
    }
    if ((rc = iapt_identity_load(o.key, &self)) < 0) {
        status = s_fail(o.key, rc);
        goto out;
    }
    if ((rc = iapt_identity_load_public(o.hub_public, &hub)) < 0) {
        status = s_fail(o.hub_public, rc);
        goto out;
    }
    if ((rc = iapt_client_new(o.endpoint, self, hub->curve_public, (int)o.timeout_ms, &client)) <
        0) {
        status = s_fail("connect", rc);
        goto out;
    }
    if (strcmp(cmd, "measures") == 0)
        status = s_measures(client, &o);
    else if (strcmp(cmd, "targets") == 0)
        status = s_targets(client, &o);
    else if (strcmp(cmd, "report") == 0)
        status = s_report(client, &o);
    else if (strcmp(cmd, "submissions") == 0)
        status = s_submissions(client, &o);
    else if (strcmp(cmd, "quality") == 0)
        status = s_quality(client, &o);
    else if (strcmp(cmd, "checkpoint") == 0)
        status = s_checkpoint(client, &o);
    else if (strcmp(cmd, "lock") == 0 || strcmp(cmd, "unlock") == 0)
        status = s_lock(client, &o, strcmp(cmd, "unlock") == 0);
    else if (is_review)
        status = s_review(client, &o, strcmp(cmd, "confirm") == 0);
    else {
        fprintf(stderr, "iapt-query: unknown command '%s'\n", cmd);
        s_usage(stderr);
    }
out:
    iapt_client_destroy(&client);
    iapt_identity_destroy(&self);
    iapt_identity_destroy(&hub);
    iapt_config_destroy(&cfg);
    return status;
}
