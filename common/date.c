/* date.c - calendar arithmetic (H. Hinnant's days_from_civil) and periods. */
#include "common/date.h"
#include "common/err.h"

int32_t
iapt_days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int32_t)(era * 146097 + (int)doe - 719468);
}

void
iapt_civil_from_days(int32_t z, int *y, int *m, int *d)
{
    z += 719468;
    const int32_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int yy = (int)yoe + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yy + (*m <= 2);
}

static int
s_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int
iapt_days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12)
        return 0;
    return days[m - 1] + (m == 2 && s_leap(y));
}

static int
s_digits(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int
iapt_date_parse(const char *s, size_t len, int32_t *days)
{
    int y, m, d;
    if (len != 10 || s[4] != '-' || s[7] != '-' || s_digits(s, 4, &y) < 0 ||
        s_digits(s + 5, 2, &m) < 0 || s_digits(s + 8, 2, &d) < 0)
        return IAPT_EFORMAT;
    if (y < 1800 || m < 1 || m > 12 || d < 1 || d > iapt_days_in_month(y, m))
        return IAPT_EFORMAT;
    *days = iapt_days_from_civil(y, m, d);
    return 0;
}

int
iapt_timestamp_parse(const char *s, size_t len, int32_t *days)
{
    if (len == 10)
        return iapt_date_parse(s, len, days);
    int hh, mm, ss;
    if (len != 19 || (s[10] != 'T' && s[10] != ' ') || s[13] != ':' || s[16] != ':' ||
        s_digits(s + 11, 2, &hh) < 0 || s_digits(s + 14, 2, &mm) < 0 ||
        s_digits(s + 17, 2, &ss) < 0 || hh > 23 || mm > 59 || ss > 60)
        return IAPT_EFORMAT;
    return iapt_date_parse(s, 10, days);
}

/* Write n decimal digits of v (v >= 0). */
static void
s_put_digits(char *out, int v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        out[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

void
iapt_date_format(int32_t days, char out[11])
{
    int y, m, d;
    iapt_civil_from_days(days, &y, &m, &d);
    s_put_digits(out, ((y % 10000) + 10000) % 10000, 4);
    out[4] = '-';
    s_put_digits(out + 5, m, 2);
    out[7] = '-';
    s_put_digits(out + 8, d, 2);
    out[10] = 0;
}

void
iapt_period_make(int y, int m, iapt_period_t *p)
{
    p->year = y;
    p->month = m;
    p->start = iapt_days_from_civil(y, m, 1);
    p->length = iapt_days_in_month(y, m);
    p->end = p->start + p->length - 1;
    s_put_digits(p->text, ((y % 10000) + 10000) % 10000, 4);
    p->text[4] = '-';
    s_put_digits(p->text + 5, m, 2);
    p->text[7] = 0;
}

int
iapt_period_parse(const char *s, iapt_period_t *p)
{
    int y, m;
    size_t len = 0;
    while (len < 8 && s[len])
        len++;
    if (len != 7 || s[4] != '-' || s_digits(s, 4, &y) < 0 || s_digits(s + 5, 2, &m) < 0 ||
        y < 1900 || m < 1 || m > 12)
        return IAPT_EFORMAT;
    iapt_period_make(y, m, p);
    return 0;
}

void
iapt_period_add(const iapt_period_t *p, int delta, iapt_period_t *out)
{
    int idx = p->year * 12 + (p->month - 1) + delta;
    iapt_period_make(idx / 12, idx % 12 + 1, out);
}

uint32_t
iapt_period_key(const iapt_period_t *p)
{
    return (uint32_t)(p->year * 100 + p->month);
}

int
iapt_period_from_key(uint32_t key, iapt_period_t *p)
{
    int y = (int)(key / 100), m = (int)(key % 100);
    if (y < 1900 || y > 9999 || m < 1 || m > 12)
        return IAPT_EFORMAT;
    iapt_period_make(y, m, p);
    return 0;
}
