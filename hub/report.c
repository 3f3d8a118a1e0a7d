/* report.c - the national report's page (hub/report.h): the quarters,
 * which months hold data, the checkpoint the figures are drawn from, then
 * every registered collection's section (common/report.h). */
#include "hub/report.h"
#include "common/collection.h"
#include "common/err.h"
#include "common/report.h"

#include <stdio.h>
#include <string.h>

int
iapt_report_build(iapt_client_t *client, const iapt_report_opts_t *o, iapt_buf_t *h)
{
    iapt_report_t r;
    memset(&r, 0, sizeof r);
    r.client = client;
    if (!o->period || iapt_period_parse(o->period, &r.period) < 0)
        return iapt_error_set(IAPT_EUSAGE, "report: --period must be YYYY-MM");
    if (o->quarters < 1 || o->quarters > IAPT_REPORT_QUARTERS_MAX)
        return iapt_error_set(IAPT_EUSAGE, "report: --quarters must be 1 to %d",
                              IAPT_REPORT_QUARTERS_MAX);
    r.n_quarters = o->quarters;
    iapt_fspan_t last;
    iapt_fspan_quarter_of(&r.period, &last);
    for (int i = 0; i < r.n_quarters; i++)
        iapt_fspan_add(&last, i - (r.n_quarters - 1), &r.quarters[i]);

    /* Which months of each quarter hold data (a provider submitted to
     * some collection): a quarter with fewer than three is labelled as
     * partial. Months after the report's period do not count. */
    size_t n;
    const iapt_collection_t *const *all = iapt_collections(&n);
    for (int i = 0; i < r.n_quarters; i++) {
        for (int j = 0; j < 3; j++) {
            iapt_period_t m;
            iapt_fspan_month(&r.quarters[i], j, &m);
            if (iapt_period_key(&m) > iapt_period_key(&r.period))
                break;
            bool any = false;
            for (size_t c = 0; c < n && !any; c++) {
                Iapt__QueryResponse *a = NULL;
                int src = iapt_report_ask_submissions(&r, all[c]->name, m.text, &a);
                if (src < 0)
                    return src;
                any = a->submissions->received > 0;
                iapt__query_response__free_unpacked(a, NULL);
            }
            r.months_with_data[i] += any;
        }
        char lab[sizeof r.label[i]];
        if (r.months_with_data[i] == 3)
            snprintf(lab, sizeof lab, "%s", r.quarters[i].label);
        else
            snprintf(lab, sizeof lab, "%s (%d of 3 months)", r.quarters[i].label,
                     r.months_with_data[i]);
        memcpy(r.label[i], lab, sizeof lab);
    }

    /* The checkpoint the figures are drawn from: asked first, so every
     * record counted below is inside the tree it names. */
    Iapt__CheckpointRequest cr = IAPT__CHECKPOINT_REQUEST__INIT;
    Iapt__QueryRequest q = IAPT__QUERY_REQUEST__INIT;
    q.body_case = IAPT__QUERY_REQUEST__BODY_CHECKPOINT;
    q.checkpoint = &cr;
    Iapt__QueryResponse *cp = NULL;
    int rc =
        iapt_report_ask(&r, &q, NULL, IAPT__QUERY_RESPONSE__BODY_CHECKPOINT, "checkpoint", &cp);
    if (rc < 0)
        return rc;
    /* The checkpoint's text: origin, size, root (base64), blank, signatures. */
    char origin[256] = "", root[128] = "";
    const char *t = cp->checkpoint->checkpoint;
    const char *nl = strchr(t, '\n');
    if (nl && (size_t)(nl - t) < sizeof origin) {
        memcpy(origin, t, (size_t)(nl - t));
        const char *nl2 = strchr(nl + 1, '\n');
        const char *nl3 = nl2 ? strchr(nl2 + 1, '\n') : NULL;
        if (nl3 && (size_t)(nl3 - nl2 - 1) < sizeof root)
            memcpy(root, nl2 + 1, (size_t)(nl3 - nl2 - 1));
    }
    char title[96];
    snprintf(title, sizeof title, "NHS Talking Therapies: national report, %s to %s",
             r.quarters[0].label, r.quarters[r.n_quarters - 1].label);
    rc = iapt_html_head(h, title);
    rc = rc ? rc : iapt_buf_printf(h, "<h1>");
    rc = rc ? rc : iapt_html_text(h, title);
    rc = rc ? rc
            : iapt_buf_printf(h,
                              "</h1>\n<p>Months up to %s. Drawn from the transparency log "
                              "checkpoint of <span id=\"checkpoint-origin\">",
                              r.period.text);
    rc = rc ? rc : iapt_html_text(h, origin);
    rc = rc ? rc
            : iapt_buf_printf(h,
                              "</span> at tree size <span id=\"checkpoint-size\">%llu</span>, "
                              "root <code id=\"checkpoint-root\">",
                              (unsigned long long)cp->checkpoint->tree_size);
    rc = rc ? rc : iapt_html_text(h, root);
    rc = rc ? rc
            : iapt_buf_printf(h, "</code>: an auditor can recompute every figure from the signed "
                                 "records with <code>iapt-audit</code>. Every figure is one "
                                 "<code>iapt-query measures --quarter Q --format csv</code>, "
                                 "<code>targets</code> or <code>submissions</code> export too, "
                                 "with the same disclosure control.</p>\n");
    iapt__query_response__free_unpacked(cp, NULL);
    /* Each registered collection's section, in registry order, into the
     * body; then the contents list of what they wrote, and the body. */
    iapt_buf_t body = IAPT_BUF_INIT;
    for (size_t i = 0; i < n && rc == 0; i++)
        if (all[i]->report)
            /* The default collection's figures are marked without one. */
            rc = all[i]->report->write(
                &r, all[i] == iapt_collection_default() ? NULL : all[i]->name, &body);
    rc = rc ? rc : iapt_buf_printf(h, "<nav id=\"contents\">\n<h2>Contents</h2>\n<ul>\n");
    for (int i = 0; i < r.n_toc && rc == 0; i++) {
        /* a part inside the list of its collection */
        bool sub = r.toc[i].level > 1;
        bool next_sub = i + 1 < r.n_toc && r.toc[i + 1].level > 1;
        rc = iapt_buf_printf(h, "<li><a href=\"#%s\">", r.toc[i].id);
        rc = rc ? rc : iapt_html_text(h, r.toc[i].title);
        rc = rc ? rc : iapt_buf_printf(h, "</a>");
        if (rc == 0 && !sub && next_sub)
            rc = iapt_buf_printf(h, "\n<ul>\n");
        else if (rc == 0 && sub && !next_sub)
            rc = iapt_buf_printf(h, "</li>\n</ul></li>\n");
        else if (rc == 0)
            rc = iapt_buf_printf(h, "</li>\n");
    }
    rc = rc ? rc : iapt_buf_printf(h, "</ul>\n</nav>\n");
    rc = rc ? rc : iapt_buf_append(h, body.data, body.len);
    iapt_buf_free(&body);
    return rc ? rc : iapt_html_tail(h);
}
