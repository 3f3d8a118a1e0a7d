/* fyear.c - financial-year quarters and years (common/fyear.h). */
#include "common/fyear.h"
#include "common/err.h"

#include <stdio.h>
#include <string.h>

static int
s_digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

void
iapt_fspan_make(int fy, int quarter, iapt_fspan_t *out)
{
    memset(out, 0, sizeof *out);
    out->fy = fy;
    out->quarter = quarter;
    out->months = quarter ? 3 : 12;
    iapt_period_t april;
    iapt_period_make(fy, 4, &april);
    iapt_period_add(&april, quarter ? (quarter - 1) * 3 : 0, &out->first);
    iapt_period_add(&out->first, out->months - 1, &out->last);
    int yy = (fy + 1) % 100;
    if (quarter) {
        snprintf(out->text, sizeof out->text, "%04d/%02d-Q%d", fy, yy, quarter);
        snprintf(out->label, sizeof out->label, "Q%d %04d/%02d", quarter, fy, yy);
    } else {
        snprintf(out->text, sizeof out->text, "%04d/%02d", fy, yy);
        snprintf(out->label, sizeof out->label, "%04d/%02d", fy, yy);
    }
}

int
iapt_fspan_parse(const char *s, iapt_fspan_t *out)
{
    size_t len = strnlen(s, 11);
    int fy, yy, q = 0;
    if ((len != 7 && len != 10) || s[4] != '/' || s_digits(s, 4, &fy) < 0 ||
        s_digits(s + 5, 2, &yy) < 0 || fy < 1900 || fy > 9998 || yy != (fy + 1) % 100)
        return IAPT_EFORMAT;
    if (len == 10 && (s[7] != '-' || s[8] != 'Q' || s_digits(s + 9, 1, &q) < 0 || q < 1 || q > 4))
        return IAPT_EFORMAT;
    iapt_fspan_make(fy, q, out);
    return 0;
}

void
iapt_fspan_quarter_of(const iapt_period_t *p, iapt_fspan_t *out)
{
    int fy = p->month >= 4 ? p->year : p->year - 1;
    int q = ((p->month + 8) % 12) / 3 + 1; /* April -> 1 ... March -> 4 */
    iapt_fspan_make(fy, q, out);
}

void
iapt_fspan_year_of(const iapt_period_t *p, iapt_fspan_t *out)
{
    iapt_fspan_make(p->month >= 4 ? p->year : p->year - 1, 0, out);
}

void
iapt_fspan_add(const iapt_fspan_t *s, int delta, iapt_fspan_t *out)
{
    if (s->quarter == 0) {
        iapt_fspan_make(s->fy + delta, 0, out);
        return;
    }
    int idx = s->fy * 4 + (s->quarter - 1) + delta;
    iapt_fspan_make(idx / 4, idx % 4 + 1, out);
}

void
iapt_fspan_month(const iapt_fspan_t *s, int i, iapt_period_t *out)
{
    iapt_period_add(&s->first, i, out);
}

bool
iapt_fspan_contains(const iapt_fspan_t *s, const iapt_period_t *p)
{
    uint32_t k = iapt_period_key(p);
    return k >= iapt_period_key(&s->first) && k <= iapt_period_key(&s->last);
}
