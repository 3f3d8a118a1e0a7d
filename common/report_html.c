/* report_html.c - the HTML pieces of the national report (common/report.h):
 * escaping, the page frame with its inline style sheet, charts as data:
 * URIs (the SVG base64-encoded by libsodium). */
#include "common/err.h"
#include "common/report.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

int
iapt_html_text(iapt_buf_t *b, const char *t)
{
    int rc = 0;
    for (; *t && rc == 0; t++) {
        switch (*t) {
        case '&':
            rc = iapt_buf_printf(b, "&amp;");
            break;
        case '<':
            rc = iapt_buf_printf(b, "&lt;");
            break;
        case '>':
            rc = iapt_buf_printf(b, "&gt;");
            break;
        case '"':
            rc = iapt_buf_printf(b, "&quot;");
            break;
        default:
            rc = iapt_buf_append(b, t, 1);
        }
    }
    return rc;
}

int
iapt_html_head(iapt_buf_t *b, const char *title)
{
    int rc = iapt_buf_printf(
        b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
           "<title>");
    rc = rc ? rc : iapt_html_text(b, title);
    rc = rc ? rc
            : iapt_buf_printf(
                  b, "</title>\n<style>\n"
                     "body{font-family:sans-serif;margin:2em auto;max-width:72em;color:#111;"
                     "line-height:1.4}\n"
                     "h1{font-size:1.6em}h2{font-size:1.3em;border-bottom:2px solid #333;"
                     "margin-top:2em}h3{font-size:1.1em}\n"
                     "table{border-collapse:collapse;margin:0.5em 0 1.5em}\n"
                     "th,td{border:1px solid #888;padding:0.2em 0.5em;text-align:right}\n"
                     "th{background:#eee}th.row,td.row{text-align:left}\n"
                     "figure{margin:1em 0}figure img{width:100%%;max-width:64em;height:auto;"
                     "border:1px solid #ccc}\n"
                     "figcaption{font-weight:bold}.note{font-size:0.9em;color:#333}\n"
                     "code{font-size:0.95em}\n"
                     "@media print{h2{page-break-before:auto}figure{page-break-inside:avoid}}\n"
                     "</style>\n</head>\n<body>\n");
    return rc;
}

int
iapt_html_tail(iapt_buf_t *b)
{
    return iapt_buf_printf(b, "</body>\n</html>\n");
}

int
iapt_html_chart(iapt_buf_t *b, int n, const char *title, const iapt_buf_t *svg)
{
    size_t cap = sodium_base64_encoded_len(svg->len, sodium_base64_VARIANT_ORIGINAL);
    char *b64 = malloc(cap);
    if (!b64)
        return IAPT_ENOMEM;
    sodium_bin2base64(b64, cap, svg->data, svg->len, sodium_base64_VARIANT_ORIGINAL);
    int rc = iapt_buf_printf(b, "<figure id=\"figure-%d\">\n<figcaption>", n);
    rc = rc ? rc : iapt_html_text(b, title);
    rc = rc ? rc
            : iapt_buf_printf(b, "</figcaption>\n<img id=\"chart-%d\" class=\"chart\" alt=\"", n);
    rc = rc ? rc : iapt_html_text(b, title);
    rc = rc ? rc
            : iapt_buf_printf(b,
                              " (the figures are in the table below)\" "
                              "src=\"data:image/svg+xml;base64,%s\">\n</figure>\n",
                              b64);
    free(b64);
    return rc;
}
