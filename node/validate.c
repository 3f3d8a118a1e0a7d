/* validate.c - the validity of every field, duplicate ids, references and
 * the rejection cascade, and the findings that compare dates across rows,
 * exactly as docs/EXTRACT-NOTES.md lists them. */
#include "node/extract_internal.h"

#include "common/date.h"
#include "common/err.h"
#include "common/util.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The marker a record carries in place of an invalid coded value. */
static const char s_invalid_code[] = "?";

/* ---- findings ---- */

const char *const xt_reason_names[IAPT_XR_COUNT] = {
    [IAPT_XR_BAD_DATE] = "bad-date",
    [IAPT_XR_BAD_NUMBER] = "bad-number",
    [IAPT_XR_BAD_POSTCODE] = "bad-postcode",
    [IAPT_XR_DUPLICATE_ID] = "duplicate-id",
    [IAPT_XR_FUTURE_DATE] = "future-date",
    [IAPT_XR_MISSING] = "missing",
    [IAPT_XR_NHS_CHECK_DIGIT] = "nhs-check-digit",
    [IAPT_XR_ORPHAN] = "orphan",
    [IAPT_XR_OUT_OF_RANGE] = "out-of-range",
    [IAPT_XR_RAGGED_ROW] = "ragged-row",
    [IAPT_XR_TOO_LONG] = "too-long",
    [IAPT_XR_UNKNOWN_CODE] = "unknown-code",
};

/* Length of the first `chars` UTF-8 characters of s (n bytes, valid UTF-8). */
static size_t
s_utf8_prefix(const char *s, size_t n, size_t chars)
{
    size_t i = 0;
    while (i < n && chars > 0) {
        i++;
        while (i < n && ((unsigned char)s[i] & 0xC0) == 0x80)
            i++;
        chars--;
    }
    return i;
}

/* The value as a finding shows it: identifying values keep their first two
 * characters (none when that would show most of a short value), others are
 * cut at XT_VALUE_MAX bytes; control characters become '?' so a report
 * cannot drive a terminal. */
static char *
s_finding_value(xt_arena_t *a, const char *v, size_t n, bool identifying)
{
    char buf[XT_VALUE_MAX + 8];
    size_t keep, out = 0;
    if (identifying) {
        size_t chars = 0;
        for (size_t i = 0; i < n; i++)
            chars += ((unsigned char)v[i] & 0xC0) != 0x80;
        keep = s_utf8_prefix(v, n, chars >= 6 ? 2 : 0);
    } else {
        keep = n <= XT_VALUE_MAX ? n : XT_VALUE_MAX;
        /* Back off to a character boundary. */
        while (keep < n && keep > 0 && ((unsigned char)v[keep] & 0xC0) == 0x80)
            keep--;
    }
    for (size_t i = 0; i < keep; i++) {
        unsigned char c = (unsigned char)v[i];
        buf[out++] = (c < 0x20 || c == 0x7F) ? '?' : (char)c;
    }
    if (identifying)
        buf[out++] = '*';
    else if (keep < n)
        for (int i = 0; i < 3; i++)
            buf[out++] = '.';
    return xt_arena_strdup(a, buf, out);
}

static int s_finding_vadd(xt_ctx_t *x, int t, int f, const xt_row_t *r, int reason,
                          const char *value, size_t len, bool rejects, const char *detail,
                          va_list ap) __attribute__((format(printf, 9, 0)));

static int
s_finding_vadd(xt_ctx_t *x, int t, int f, const xt_row_t *r, int reason, const char *value,
               size_t len, bool rejects, const char *detail, va_list ap)
{
    if (t < 0 || t >= x->ntables || f < -1 || f >= x->tables[t].nfields || reason < 0 ||
        reason >= x->n_reasons)
        return iapt_error_set(IAPT_EUSAGE, "a finding names no table, field or reason");
    x->findings_total++;
    x->reason_count[t][f + 1][reason]++;
    /* Past the limit a finding is counted, not listed: memory stays bounded
     * however many values a hostile file gets wrong. */
    if (x->n_findings >= x->max_findings)
        return 0;
    if (x->n_findings == x->cap_findings) {
        size_t cap = x->cap_findings ? x->cap_findings * 2 : 256;
        xt_finding_t *p = realloc(x->finding, cap * sizeof *p);
        if (!p)
            return IAPT_ENOMEM;
        x->finding = p;
        x->cap_findings = cap;
    }
    const xt_table_desc_t *td = &x->tables[t];
    xt_finding_t *fd = &x->finding[x->n_findings];
    memset(fd, 0, sizeof *fd);
    fd->f.file = td->file;
    fd->f.table = td->name;
    fd->f.field = f >= 0 ? td->field[f].name : "*";
    fd->f.line = r ? r->line : 0;
    fd->f.reason = x->reason_name[reason];
    fd->f.rejects = rejects;
    fd->f.value =
        value ? s_finding_value(&x->keep, value, len, f >= 0 && td->field[f].identifying) : "";
    fd->f.detail = "";
    if (detail) {
        char buf[256];
        int n = vsnprintf(buf, sizeof buf, detail, ap);
        if (n > 0)
            fd->f.detail =
                xt_arena_strdup(&x->keep, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
    }
    if (!fd->f.value || !fd->f.detail)
        return IAPT_ENOMEM;
    fd->table = (uint8_t)t;
    fd->field = (int8_t)f;
    fd->seq = x->n_findings++;
    return 0;
}

int
xt_finding_add(xt_ctx_t *x, int t, int f, const xt_row_t *r, int reason, const char *value,
               size_t len, bool rejects, const char *detail, ...)
{
    va_list ap;
    va_start(ap, detail);
    int rc = s_finding_vadd(x, t, f, r, reason, value, len, rejects, detail, ap);
    va_end(ap);
    return rc;
}

int
iapt_xctx_finding(iapt_xctx_t *x, int t, int f, const iapt_xrow_t *r, int reason, const char *value,
                  size_t len, bool rejects, const char *detail, ...)
{
    va_list ap;
    va_start(ap, detail);
    int rc = s_finding_vadd(x, t, f, r, reason, value, len, rejects, detail, ap);
    va_end(ap);
    return rc;
}

/* ---- field syntax ---- */

static bool
s_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return n > 0;
}

static bool
s_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}

static bool
s_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* The list entry equal to v (n bytes, not NUL-terminated), or NULL. The
 * first-character test keeps this cheap: it runs for every coded value. */
static const char *
s_code_find(const char *const *list, const char *v, size_t n)
{
    for (; *list; list++) {
        const char *c = *list;
        if (c[0] == v[0] && strncmp(c, v, n) == 0 && c[n] == 0)
            return c;
    }
    return NULL;
}

/* NHS number: 0 valid, 1 not 10 digits, 2 check digit wrong. */
static int
s_nhs_check(const char *s, size_t n)
{
    if (n != 10 || !s_digits(s, n))
        return 1;
    int sum = 0;
    for (int i = 0; i < 9; i++)
        sum += (s[i] - '0') * (10 - i);
    int check = 11 - sum % 11;
    if (check == 11)
        check = 0;
    if (check == 10 || check != s[9] - '0')
        return 2;
    return 0;
}

int
iapt_postcode_normalise(const char *text, size_t len, char out[8])
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (c == ' ')
            continue;
        if (n == 7)
            return -1;
        out[n++] = (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
    }
    out[n] = 0;
    /* The inward code is always digit, letter, letter; the outward code
     * [A-Z]{1,2}[0-9][A-Z0-9]? is what remains. */
    if (n < 5 || !s_digit(out[n - 3]) || !s_upper(out[n - 2]) || !s_upper(out[n - 1]))
        return -1;
    size_t outward = n - 3, i = 0;
    while (i < outward && i < 2 && s_upper(out[i]))
        i++;
    if (i == 0 || i >= outward || !s_digit(out[i]))
        return -1;
    i++;
    if (i < outward && (s_upper(out[i]) || s_digit(out[i])))
        i++;
    return i == outward ? 0 : -1;
}

static bool
s_org_valid(const char *s, size_t n)
{
    if (n < 3 || n > 5)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!s_upper(s[i]) && !s_digit(s[i]))
            return false;
    return true;
}

static bool
s_icd_valid(const char *s, size_t n)
{
    if (n < 3 || n > 5 || !s_upper(s[0]) || !s_digit(s[1]) || !s_digit(s[2]))
        return false;
    for (size_t i = 3; i < n; i++)
        if (!s_upper(s[i]) && !s_digit(s[i]))
            return false;
    return true;
}

static bool
s_snomed_parse(const char *s, size_t n, int64_t *out)
{
    if (n < 6 || n > 18 || !s_digits(s, n))
        return false;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    *out = v;
    return true;
}

/* PersScore: -?[0-9]+(\.[0-9]{1,2})?, as value x 100. A value whose x 100
 * does not fit a sint32 cannot be carried by a record: it is a bad number. */
static bool
s_score_parse(const char *s, size_t n, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    int64_t whole = 0, frac = 0;
    if (i < n && s[i] == '-') {
        neg = true;
        i++;
    }
    size_t start = i;
    while (i < n && s_digit(s[i])) {
        whole = whole * 10 + (s[i] - '0');
        if (whole > INT32_MAX / 100)
            return false;
        i++;
    }
    if (i == start)
        return false;
    if (i < n && s[i] == '.') {
        i++;
        size_t fs = i;
        while (i < n && s_digit(s[i]) && i - fs < 2)
            frac = frac * 10 + (s[i++] - '0');
        if (i == fs)
            return false;
        if (i - fs == 1)
            frac *= 10;
    }
    if (i != n)
        return false;
    int64_t v = whole * 100 + frac;
    if (v > INT32_MAX)
        return false;
    *out = neg ? -v : v;
    return true;
}

/* -?[0-9]+ fitting an int32. */
static bool
s_integer_parse(const char *s, size_t n, int64_t *out)
{
    size_t i = s[0] == '-';
    int64_t v = 0;
    if (i == n)
        return false;
    for (; i < n; i++) {
        if (!s_digit(s[i]))
            return false;
        v = v * 10 + (s[i] - '0');
        if (v > (int64_t)INT32_MAX + 1)
            return false;
    }
    if (s[0] == '-')
        v = -v;
    if (v > INT32_MAX || v < INT32_MIN)
        return false;
    *out = v;
    return true;
}

/* ---- id maps ---- */

static uint32_t
s_hash(const xt_ctx_t *x, const char *s)
{
    uint8_t h[crypto_shorthash_BYTES];
    uint32_t v;
    crypto_shorthash(h, (const uint8_t *)s, strlen(s), x->hash_key);
    memcpy(&v, h, sizeof v);
    return v;
}

static int
s_idmap_grow(xt_idmap_t *m)
{
    size_t cap = m->cap ? m->cap * 2 : 1024;
    xt_slot_t *slot = calloc(cap, sizeof *slot);
    if (!slot)
        return IAPT_ENOMEM;
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->slot[i].row)
            continue;
        size_t h = m->slot[i].hash & (cap - 1);
        while (slot[h].row)
            h = (h + 1) & (cap - 1);
        slot[h] = m->slot[i];
    }
    free(m->slot);
    m->slot = slot;
    m->cap = cap;
    return 0;
}

/* The slot holding `id` (hash hv), or the empty slot where it would go. */
static size_t
s_idmap_probe(const xt_idmap_t *m, const xt_tab_t *tab, int field, const char *id, uint32_t hv)
{
    size_t h = hv & (m->cap - 1);
    for (; m->slot[h].row; h = (h + 1) & (m->cap - 1))
        if (m->slot[h].hash == hv && strcmp(tab->row[m->slot[h].row - 1].v[field].s, id) == 0)
            break;
    return h;
}

/* Row index of the first row of table `tab` whose id (field) is `id`, or
 * XT_NONE. */
static uint32_t
s_idmap_find(const xt_ctx_t *x, const xt_tab_t *tab, int field, const char *id)
{
    const xt_idmap_t *m = &tab->ids;
    if (!m->cap)
        return XT_NONE;
    size_t h = s_idmap_probe(m, tab, field, id, s_hash(x, id));
    return m->slot[h].row ? m->slot[h].row - 1 : XT_NONE;
}

/* Insert row idx; *first is set to the earlier row with the same id, or
 * XT_NONE when the id is new. */
static int
s_idmap_insert(xt_ctx_t *x, xt_tab_t *tab, int field, uint32_t idx, uint32_t *first)
{
    xt_idmap_t *m = &tab->ids;
    int rc;
    if ((m->n + 1) * 2 > m->cap && (rc = s_idmap_grow(m)) < 0)
        return rc;
    const char *id = tab->row[idx].v[field].s;
    uint32_t hv = s_hash(x, id);
    size_t h = s_idmap_probe(m, tab, field, id, hv);
    if (m->slot[h].row) {
        *first = m->slot[h].row - 1;
        return 0;
    }
    m->slot[h].row = idx + 1;
    m->slot[h].hash = hv;
    m->n++;
    *first = XT_NONE;
    return 0;
}

void
xt_idmap_free(xt_idmap_t *m)
{
    free(m->slot);
    memset(m, 0, sizeof *m);
}

/* ---- one row ---- */

/* An invalid value: a finding, and a rejection when the field is mandatory. */
static int
s_invalid(xt_ctx_t *x, int t, int f, xt_row_t *row, int reason, const char *v, size_t n)
{
    bool mandatory = x->tables[t].field[f].need == IAPT_XN_M;
    row->status[f] = IAPT_XS_INVALID;
    if (mandatory)
        row->rejected = true;
    return xt_finding_add(x, t, f, row, reason, v, n, mandatory, NULL);
}

static int
s_duplicate(xt_ctx_t *x, int t, int f, uint32_t idx, uint32_t first)
{
    xt_tab_t *tab = &x->tab[t];
    xt_row_t *row = &tab->row[idx], *orig = &tab->row[first];
    const char *id = row->v[f].s;
    int rc;
    if (!orig->duplicate) {
        orig->duplicate = orig->rejected = true;
        orig->status[f] = IAPT_XS_INVALID;
        rc = xt_finding_add(x, t, f, orig, IAPT_XR_DUPLICATE_ID, id, strlen(id), true,
                            "the same id is on line %llu", (unsigned long long)row->line);
        if (rc < 0)
            return rc;
    }
    row->duplicate = row->rejected = true;
    row->status[f] = IAPT_XS_INVALID;
    return xt_finding_add(x, t, f, row, IAPT_XR_DUPLICATE_ID, id, strlen(id), true,
                          "the same id is on line %llu", (unsigned long long)orig->line);
}

int
xt_validate_row(xt_ctx_t *x, int t, uint32_t idx, const char *const *cell, const size_t *len)
{
    const xt_table_desc_t *td = &x->tables[t];
    xt_tab_t *tab = &x->tab[t];
    xt_row_t *row = &tab->row[idx];
    int rc = 0;
    for (int f = 0; f < td->nfields && rc == 0; f++) {
        const xt_field_t *fd = &td->field[f];
        const char *v = cell[f];
        size_t n = v ? len[f] : 0;
        int32_t day;
        int64_t num;
        char pc[8];
        if (n == 0) {
            row->status[f] = IAPT_XS_MISSING;
            if (fd->need == IAPT_XN_M) {
                row->rejected = true;
                rc = xt_finding_add(x, t, f, row, IAPT_XR_MISSING, NULL, 0, true, NULL);
            } else if (fd->kind == IAPT_XK_NHS && fd->need == IAPT_XN_R) {
                /* R, and it always applies (EndCode is judged after the row);
                 * an O NHS number (CYP) may be missing without a finding. */
                rc = xt_finding_add(x, t, f, row, IAPT_XR_MISSING, NULL, 0, false, NULL);
            }
            continue;
        }
        row->status[f] = IAPT_XS_VALID;
        switch (fd->kind) {
        case IAPT_XK_TEXT:
            if (!(row->v[f].s = xt_arena_strdup(&x->work, v, n)))
                rc = IAPT_ENOMEM;
            break;
        case IAPT_XK_INTEGER:
            if (!s_integer_parse(v, n, &num))
                rc = s_invalid(x, t, f, row, IAPT_XR_BAD_NUMBER, v, n);
            else
                row->v[f].n = num;
            break;
        case IAPT_XK_ID:
        case IAPT_XK_REF:
            if (n > XT_ID_MAX) {
                rc = s_invalid(x, t, f, row, IAPT_XR_TOO_LONG, v, n);
                break;
            }
            if (!(row->v[f].s = xt_arena_strdup(&x->work, v, n))) {
                rc = IAPT_ENOMEM;
                break;
            }
            if (fd->kind == IAPT_XK_ID) {
                uint32_t first;
                if ((rc = s_idmap_insert(x, tab, f, idx, &first)) == 0 && first != XT_NONE)
                    rc = s_duplicate(x, t, f, idx, first);
            }
            break;
        case IAPT_XK_DATE:
            if (iapt_date_parse(v, n, &day) < 0) {
                rc = s_invalid(x, t, f, row, IAPT_XR_BAD_DATE, v, n);
                break;
            }
            row->v[f].n = day;
            if (t != x->schema->header_table && day > x->future_limit)
                rc = xt_finding_add(x, t, f, row, IAPT_XR_FUTURE_DATE, v, n, false,
                                    "after the day the extract was made");
            break;
        case IAPT_XK_TIMESTAMP:
            if (iapt_timestamp_parse(v, n, &day) < 0)
                rc = s_invalid(x, t, f, row, IAPT_XR_BAD_DATE, v, n);
            else
                row->v[f].n = day;
            break;
        case IAPT_XK_CODE:
            if (!(row->v[f].s = s_code_find(fd->codes, v, n))) {
                row->v[f].s = s_invalid_code;
                rc = s_invalid(x, t, f, row, IAPT_XR_UNKNOWN_CODE, v, n);
            }
            break;
        case IAPT_XK_NHS: {
            int bad = s_nhs_check(v, n);
            if (bad)
                rc = s_invalid(x, t, f, row,
                               bad == 1 ? IAPT_XR_BAD_NUMBER : IAPT_XR_NHS_CHECK_DIGIT, v, n);
            else if (!(row->v[f].s = xt_arena_strdup(&x->work, v, n)))
                rc = IAPT_ENOMEM;
            break;
        }
        case IAPT_XK_POSTCODE:
            if (iapt_postcode_normalise(v, n, pc) < 0)
                rc = s_invalid(x, t, f, row, IAPT_XR_BAD_POSTCODE, v, n);
            else if (!(row->v[f].s = xt_arena_strdup(&x->work, pc, strlen(pc))))
                rc = IAPT_ENOMEM;
            break;
        case IAPT_XK_ORG:
        case IAPT_XK_ICD:
            if (!(fd->kind == IAPT_XK_ORG ? s_org_valid(v, n) : s_icd_valid(v, n)))
                rc = s_invalid(x, t, f, row, IAPT_XR_UNKNOWN_CODE, v, n);
            else if (!(row->v[f].s = xt_arena_strdup(&x->work, v, n)))
                rc = IAPT_ENOMEM;
            break;
        case IAPT_XK_SNOMED:
            if (!s_snomed_parse(v, n, &num))
                rc = s_invalid(x, t, f, row, IAPT_XR_BAD_NUMBER, v, n);
            else
                row->v[f].n = num;
            break;
        case IAPT_XK_SCORE:
            if (!s_score_parse(v, n, &num))
                rc = s_invalid(x, t, f, row, IAPT_XR_BAD_NUMBER, v, n);
            else
                row->v[f].n = num;
            break;
        }
    }
    if (rc < 0)
        return rc;

    /* What the collection adds about one row. */
    if (x->schema->row_rule)
        rc = x->schema->row_rule(x, t, row, cell, len);
    return rc;
}

/* ---- the cascade ---- */

/* The field of table t that refers to another table, or -1. */
static int
s_ref_field(const xt_ctx_t *x, int t)
{
    for (int f = 0; f < x->tables[t].nfields; f++)
        if (x->tables[t].field[f].kind == IAPT_XK_REF)
            return f;
    return -1;
}

/* The id field of table t, or -1. */
static int
s_id_field(const xt_ctx_t *x, int t)
{
    for (int f = 0; f < x->tables[t].nfields; f++)
        if (x->tables[t].field[f].kind == IAPT_XK_ID)
            return f;
    return -1;
}

int
xt_validate_resolve(xt_ctx_t *x)
{
    /* In cascade order: by the time a table is resolved, every row it can
     * refer to is final (iapt_extract_schema_check). */
    const iapt_extract_schema_t *sc = x->schema;
    int n = sc->cascade ? sc->n_cascade : x->ntables;
    for (int i = 0; i < n; i++) {
        int t = sc->cascade ? sc->cascade[i] : i;
        int f = s_ref_field(x, t);
        if (f < 0)
            continue;
        int pt = x->tables[t].field[f].ref;
        xt_tab_t *tab = &x->tab[t], *ptab = &x->tab[pt];
        int pf = s_id_field(x, pt);
        for (uint32_t k = 0; k < tab->n; k++) {
            xt_row_t *row = &tab->row[k];
            int rc = 0;
            if (row->ragged || !row->v[f].s)
                continue;
            uint32_t j = s_idmap_find(x, ptab, pf, row->v[f].s);
            if (j == XT_NONE || ptab->row[j].rejected) {
                /* Only a mandatory reference rejects its row. */
                bool rejects = x->tables[t].field[f].need == IAPT_XN_M;
                row->status[f] = IAPT_XS_INVALID;
                row->rejected = row->rejected || rejects;
                if (j == XT_NONE)
                    rc = xt_finding_add(x, t, f, row, IAPT_XR_ORPHAN, row->v[f].s,
                                        strlen(row->v[f].s), rejects, "no row of %s has this id",
                                        x->tables[pt].file);
                else
                    rc = xt_finding_add(x, t, f, row, IAPT_XR_ORPHAN, row->v[f].s,
                                        strlen(row->v[f].s), rejects,
                                        "the row it names (%s line %llu) is rejected",
                                        x->tables[pt].file, (unsigned long long)ptab->row[j].line);
            } else {
                row->parent = j;
                if (!row->rejected && sc->resolved_rule)
                    rc = sc->resolved_rule(x, t, row);
            }
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}
