/* gate.c - the node's plausibility gate and the diagnoses of likely causes
 * (node/gate.h). */
#include "node/gate.h"
#include "node/schema.h"

#include "common/err.h"
#include "common/merkle.h"
#include "common/util.h"
#include "common/wire.h"
#include "proto/outbox.pb-c.h"
#include "proto/wire.pb-c.h"

#include <ctype.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Bytes of each file the diagnoses look at: enough for the header and many
 * rows, bounded whatever the file's size. */
#define S_SNIFF_BYTES (256 * 1024)

/* ---- history ---- */

int
iapt_gate_history_load(iapt_outbox_t *ob, iapt_gate_history_t *h)
{
    uint64_t *seqs = NULL;
    size_t n = 0;
    int rc;
    memset(h, 0, sizeof *h);
    if ((rc = iapt_outbox_list(ob, -1, &seqs, &n)) < 0)
        return rc;
    if (n && !(h->past = calloc(n, sizeof *h->past))) {
        free(seqs);
        return IAPT_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        Iapt__OutboxEntry *e = NULL;
        Iapt__Manifest *m = NULL;
        const uint8_t *mb, *sig;
        size_t mlen;
        if ((rc = iapt_outbox_get(ob, seqs[i], &e)) < 0)
            break;
        if (e->state == IAPT__OUTBOX_STATE__OUTBOX_REFUSED) {
            iapt__outbox_entry__free_unpacked(e, NULL);
            continue;
        }
        /* Our own outbox: the manifest was signed here. */
        rc = iapt_manifest_split(e->signed_manifest.data, e->signed_manifest.len,
                                 e->signed_manifest.len, &mb, &mlen, &sig);
        if (rc == 0)
            rc = iapt_manifest_decode_verified(mb, mlen, &m);
        if (rc == 0 && m->records_root.len == 32 && e->submission_id.len == 32) {
            iapt_gate_past_t *p = &h->past[h->n++];
            p->sequence = e->sequence;
            iapt_strlcpy(p->period, e->period, sizeof p->period);
            iapt_strlcpy(p->collection, m->collection, sizeof p->collection);
            p->state = (int)e->state;
            p->record_count = e->record_count;
            memcpy(p->records_root, m->records_root.data, 32);
            memcpy(p->id, e->submission_id.data, 32);
        }
        rc = 0;
        if (m)
            iapt__manifest__free_unpacked(m, NULL);
        iapt__outbox_entry__free_unpacked(e, NULL);
    }
    free(seqs);
    if (rc < 0)
        iapt_gate_history_free(h);
    return rc;
}

void
iapt_gate_history_free(iapt_gate_history_t *h)
{
    if (!h)
        return;
    free(h->past);
    h->past = NULL;
    h->n = 0;
}

/* ---- the checks ---- */

static int s_add(iapt_gate_result_t *res, const char *check, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
s_add(iapt_gate_result_t *res, const char *check, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    iapt_gate_finding_t *f = realloc(res->finding, (res->n + 1) * sizeof *f);
    if (!f)
        return IAPT_ENOMEM;
    res->finding = f;
    f += res->n;
    f->check = strdup(check);
    f->message = strdup(msg);
    if (!f->check || !f->message) {
        free(f->check);
        free(f->message);
        return IAPT_ENOMEM;
    }
    res->n++;
    return 0;
}

static const Iapt__TableQuality *
s_table(const iapt_extract_t *ext, size_t t, bool *present)
{
    const Iapt__QualitySummary *q = ext->quality;
    *present = (ext->tables_present >> t) & 1u;
    const char *name = iapt_schema_table_name(ext->schema, t);
    for (size_t i = 0; name && q && i < q->n_tables; i++)
        if (strcmp(q->tables[i]->table, name) == 0)
            return q->tables[i];
    return NULL;
}

/* One table the measures need: absent, or every row rejected. */
static int
s_check_table(const iapt_extract_t *ext, iapt_gate_result_t *res, const iapt_gate_need_t *need)
{
    size_t t = (size_t)need->tables[0];
    bool present;
    const Iapt__TableQuality *tq = s_table(ext, t, &present);
    if (!tq)
        return 0;
    const char *file = iapt_schema_file_name(ext->schema, t);
    char id[48];
    if (!present || tq->rows == 0) {
        snprintf(id, sizeof id, "table-missing:%s", need->code);
        return s_add(res, id,
                     "%s is %s: %s. Export that table and run check again; use --force only "
                     "if this provider really had none this month",
                     file, present ? "empty" : "missing", need->why_missing);
    }
    if (tq->rejected == tq->rows) {
        snprintf(id, sizeof id, "table-rejected:%s", need->code);
        return s_add(res, id,
                     "every row of %s (%llu) was rejected: %s. See the findings for that file, "
                     "correct the export and run check again",
                     file, (unsigned long long)tq->rows, need->why_missing);
    }
    return 0;
}

/* Several tables the measures need together: all absent or empty, or every
 * row of them rejected. */
static int
s_check_group(const iapt_extract_t *ext, iapt_gate_result_t *res, const iapt_gate_need_t *need)
{
    uint64_t rows = 0, used = 0;
    bool any = false;
    char files[512], id[64];
    size_t off = 0;
    files[0] = 0;
    for (int i = 0; i < need->n_tables; i++) {
        size_t t = (size_t)need->tables[i];
        bool present;
        const char *file = iapt_schema_file_name(ext->schema, t);
        off += (size_t)snprintf(files + off, off < sizeof files ? sizeof files - off : 0, "%s%s",
                                i == 0                    ? ""
                                : i == need->n_tables - 1 ? " and "
                                                          : ", ",
                                file ? file : "?");
        const Iapt__TableQuality *tq = s_table(ext, t, &present);
        if (!tq)
            continue;
        any = any || present;
        rows += tq->rows;
        used += tq->rows - tq->rejected;
    }
    if (!any || rows == 0) {
        snprintf(id, sizeof id, "table-missing:%s", need->code);
        return s_add(res, id, "%s are %s missing or empty: %s", files,
                     need->n_tables == 2 ? "both" : "all", need->why_missing);
    }
    if (used == 0) {
        snprintf(id, sizeof id, "table-rejected:%s", need->code);
        return s_add(res, id, "every %s row of %s (%llu) was rejected, %s",
                     need->what ? need->what : "", files, (unsigned long long)rows,
                     need->why_rejected ? need->why_rejected : "");
    }
    return 0;
}

int
iapt_gate_records_root(const iapt_extract_t *ext, uint8_t root[32])
{
    iapt_merkle_builder_t b;
    int rc;
    iapt_merkle_builder_init(&b);
    for (size_t i = 0; i < ext->n_records; i++)
        if ((rc = iapt_merkle_builder_push_leaf(&b, ext->record[i], ext->record_len[i])) < 0)
            return rc;
    iapt_merkle_builder_root(&b, root);
    return 0;
}

int
iapt_gate_run(const iapt_extract_t *ext, const iapt_gate_options_t *opt, iapt_gate_result_t *res)
{
    int rc = 0;
    memset(res, 0, sizeof *res);
    if (!ext || !opt || !opt->period || !ext->quality || opt->max_rejected_share < 0 ||
        opt->max_rejected_share > 1)
        return iapt_error_set(IAPT_EUSAGE, "gate options need an extract, a period and a share "
                                           "0..1");
    const char *coll = opt->collection ? opt->collection : IAPT_COLLECTION;
    const Iapt__QualitySummary *q = ext->quality;
    const iapt_extract_schema_t *sc = ext->schema ? ext->schema : iapt_extract_schema_default();
    char day[11];

    /* 1. nothing to send */
    if (ext->n_records == 0 &&
        (rc = s_add(res, "zero-records",
                    "no %s can be used (%llu in %s, %llu open in %s, %llu "
                    "rejected): sending this would replace the month with nothing. Correct the "
                    "extract (see the findings and likely causes) and run check again",
                    sc->record_noun, (unsigned long long)q->referrals_in_extract,
                    sc->tables[sc->record_table].file, (unsigned long long)q->referrals_selected,
                    opt->period->text, (unsigned long long)q->referrals_rejected)) < 0)
        goto out_fail;

    /* 2. rejected share */
    if (q->referrals_in_extract > 0) {
        double share = (double)q->referrals_rejected / (double)q->referrals_in_extract;
        if (share > opt->max_rejected_share &&
            (rc = s_add(res, "rejected-share",
                        "%llu of %llu %s (%.1f%%) were rejected, more than the %.1f%% "
                        "allowed (max-rejected-share): correct the extract (see the findings) "
                        "and run check again",
                        (unsigned long long)q->referrals_rejected,
                        (unsigned long long)q->referrals_in_extract, sc->record_plural,
                        100.0 * share, 100.0 * opt->max_rejected_share)) < 0)
            goto out_fail;
    }

    /* 3. the tables the measures need */
    for (int i = 0; i < sc->n_gate_needs; i++) {
        const iapt_gate_need_t *need = &sc->gate_needs[i];
        rc = need->n_tables == 1 ? s_check_table(ext, res, need) : s_check_group(ext, res, need);
        if (rc < 0)
            goto out_fail;
    }

    /* 4. the record count against the last delivered month */
    if (opt->history) {
        const iapt_gate_past_t *last = NULL;
        for (size_t i = 0; i < opt->history->n; i++) {
            const iapt_gate_past_t *p = &opt->history->past[i];
            if (p->state != IAPT__OUTBOX_STATE__OUTBOX_DELIVERED || strcmp(p->collection, coll))
                continue;
            if (!last || strcmp(p->period, last->period) >= 0)
                last = p;
        }
        res->compared = last;
        if (last && 2 * (uint64_t)ext->n_records < last->record_count) {
            char sid[13];
            iapt_id_short(last->id, 32, sid);
            if ((rc = s_add(res, "record-drop",
                            "%zu records, less than half of the %llu of submission %llu (%s, id "
                            "%s, the last delivered): check that the extract is complete (every "
                            "file, the whole month) and run check again",
                            ext->n_records, (unsigned long long)last->record_count,
                            (unsigned long long)last->sequence, last->period, sid)) < 0)
                goto out_fail;
        }
    }

    /* 5. a period that has not ended */
    if (opt->period->end >= opt->today) {
        iapt_date_format(opt->period->end, day);
        if ((rc = s_add(res, "period-not-ended",
                        "the period %s ends on %s, which is not over yet (today is the node's "
                        "clock, UTC): submit it after its last day",
                        opt->period->text, day)) < 0)
            goto out_fail;
    }

    /* An identical submission: the latest delivered one for the period, or
     * any pending one. */
    if (opt->history && opt->records_root) {
        const iapt_gate_past_t *delivered = NULL, *pending = NULL;
        for (size_t i = 0; i < opt->history->n; i++) {
            const iapt_gate_past_t *p = &opt->history->past[i];
            if (strcmp(p->period, opt->period->text) || strcmp(p->collection, coll))
                continue;
            if (p->state == IAPT__OUTBOX_STATE__OUTBOX_DELIVERED)
                delivered = p;
            else if (p->state == IAPT__OUTBOX_STATE__OUTBOX_PENDING &&
                     memcmp(p->records_root, opt->records_root, 32) == 0)
                pending = p;
        }
        if (pending) {
            res->same = IAPT_GATE_SAME_PENDING;
            res->same_as = pending;
        } else if (delivered && memcmp(delivered->records_root, opt->records_root, 32) == 0) {
            res->same = IAPT_GATE_SAME_DELIVERED;
            res->same_as = delivered;
        }
    }
    return 0;

out_fail:
    iapt_gate_result_free(res);
    return rc;
}

void
iapt_gate_result_free(iapt_gate_result_t *res)
{
    if (!res)
        return;
    for (size_t i = 0; i < res->n; i++) {
        free(res->finding[i].check);
        free(res->finding[i].message);
    }
    free(res->finding);
    memset(res, 0, sizeof *res);
}

int
iapt_gate_forced_checks(const iapt_gate_result_t *res, char ***out)
{
    *out = NULL;
    if (!res->n)
        return 0;
    char **s = calloc(res->n, sizeof *s);
    if (!s)
        return IAPT_ENOMEM;
    for (size_t i = 0; i < res->n; i++) {
        size_t len = strlen(res->finding[i].check) + strlen(res->finding[i].message) + 3;
        if (!(s[i] = malloc(len))) {
            iapt_gate_strings_free(s, res->n);
            return IAPT_ENOMEM;
        }
        snprintf(s[i], len, "%s: %s", res->finding[i].check, res->finding[i].message);
    }
    *out = s;
    return 0;
}

void
iapt_gate_strings_free(char **s, size_t n)
{
    if (!s)
        return;
    for (size_t i = 0; i < n; i++)
        free(s[i]);
    free(s);
}

int
iapt_gate_share_parse(const char *text, double *out)
{
    char *end;
    if (!text || !*text)
        return iapt_error_set(IAPT_EUSAGE, "max-rejected-share needs a number from 0 to 1");
    double v = strtod(text, &end);
    while (*end == ' ' || *end == '\t')
        end++;
    if (*end || !(v >= 0 && v <= 1))
        return iapt_error_set(
            IAPT_EUSAGE, "max-rejected-share '%s' is not a number from 0 to 1 (e.g. 0.20)", text);
    *out = v;
    return 0;
}

/* ---- diagnoses ---- */

static int s_diag(iapt_gate_diagnoses_t *out, const char *file, const char *code, const char *fmt,
                  ...) __attribute__((format(printf, 4, 5)));

static int
s_diag(iapt_gate_diagnoses_t *out, const char *file, const char *code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    iapt_gate_diagnosis_t *d = realloc(out->d, (out->n + 1) * sizeof *d);
    if (!d)
        return IAPT_ENOMEM;
    out->d = d;
    d += out->n;
    d->file = strdup(file);
    d->code = strdup(code);
    d->message = strdup(msg);
    if (!d->file || !d->code || !d->message) {
        free(d->file);
        free(d->code);
        free(d->message);
        return IAPT_ENOMEM;
    }
    out->n++;
    return 0;
}

/* Offset of the first byte that is not valid UTF-8, or len. */
static size_t
s_utf8_bad(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        size_t n;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            n = 1;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3;
            cp = c & 0x07;
        } else {
            return i;
        }
        if (i + n >= len && len == S_SNIFF_BYTES)
            return len; /* cut at the sniff limit: not a fault */
        for (size_t k = 1; k <= n; k++) {
            if (i + k >= len || (s[i + k] & 0xC0) != 0x80)
                return i;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return i;
        i += n + 1;
    }
    return len;
}

static uint64_t
s_line_of(const char *data, size_t off)
{
    uint64_t line = 1;
    for (size_t i = 0; i < off; i++)
        line += data[i] == '\n';
    return line;
}

/* True when s[0..n) is D{1,2}/D{1,2}/DDDD, after trimming and quotes. */
static bool
s_slash_date(const char *s, size_t n, int *first, int *second)
{
    while (n && (*s == ' ' || *s == '\t' || *s == '"')) {
        s++;
        n--;
    }
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '"' || s[n - 1] == '\r'))
        n--;
    int part[3] = {0, 0, 0}, digits[3] = {0, 0, 0}, p = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '/') {
            if (++p > 2)
                return false;
        } else if (isdigit((unsigned char)s[i])) {
            part[p] = part[p] * 10 + (s[i] - '0');
            if (++digits[p] > 4)
                return false;
        } else if (s[i] == ' ' && p == 2 && digits[2] == 4) {
            break; /* a time may follow */
        } else {
            return false;
        }
    }
    if (p != 2 || digits[0] < 1 || digits[0] > 2 || digits[1] < 1 || digits[1] > 2 ||
        digits[2] != 4)
        return false;
    *first = part[0];
    *second = part[1];
    return true;
}

/* True when the cell starts DDDD-DD-DD (after spaces and a quote). */
static bool
s_iso_date(const char *s, size_t n)
{
    while (n && (*s == ' ' || *s == '\t' || *s == '"')) {
        s++;
        n--;
    }
    if (n < 10)
        return false;
    for (int i = 0; i < 10; i++)
        if (i == 4 || i == 7 ? s[i] != '-' : !isdigit((unsigned char)s[i]))
            return false;
    return true;
}

int
iapt_gate_diagnose_bytes(const char *name, const char *data, size_t len, iapt_gate_diagnoses_t *out)
{
    int rc;
    if (len >= 4 && memcmp(data, "PK\x03\x04", 4) == 0)
        return s_diag(out, name, "zip",
                      "%s is a ZIP file, most likely an Excel workbook (.xlsx) renamed .csv: "
                      "open it and save it as \"CSV UTF-8 (comma delimited)\"",
                      name);
    size_t bad = s_utf8_bad((const unsigned char *)data, len);
    if (bad < len && (rc = s_diag(out, name, "not-utf8",
                                  "%s line %llu has byte 0x%02X, which is not UTF-8 (most likely "
                                  "Windows-1252, e.g. an accented name): export the file as UTF-8",
                                  name, (unsigned long long)s_line_of(data, bad),
                                  (unsigned)(unsigned char)data[bad])) < 0)
        return rc;
    /* The header: the first line that is not blank. */
    size_t i = 0;
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < len && (data[i] == '\r' || data[i] == '\n' || data[i] == ' ' || data[i] == '\t'))
        i++;
    size_t commas = 0, semis = 0;
    bool quoted = false;
    for (size_t k = i; k < len && (quoted || data[k] != '\n'); k++) {
        if (data[k] == '"')
            quoted = !quoted;
        else if (!quoted && data[k] == ',')
            commas++;
        else if (!quoted && data[k] == ';')
            semis++;
    }
    char sep = ',';
    if (semis > commas) {
        sep = ';';
        if ((rc = s_diag(out, name, "semicolon",
                         "%s uses ';' between columns (%zu in its header, %zu ','): the extract "
                         "must be comma-separated; export it again as CSV with ',' as the "
                         "delimiter",
                         name, semis, commas)) < 0)
            return rc;
    }
    /* Dates written D/M/YYYY in any cell (quoting is not followed: a
     * cell is whatever lies between delimiters). */
    uint64_t found = 0, iso = 0, line = 1, first_line = 0;
    int day_first = 0, month_first = 0;
    size_t start = i;
    for (size_t k = i; k <= len; k++) {
        if (k == len || data[k] == sep || data[k] == '\n') {
            int a, b;
            if (s_slash_date(data + start, k - start, &a, &b)) {
                if (!found)
                    first_line = line;
                found++;
                day_first += a > 12;
                month_first += b > 12;
            } else if (s_iso_date(data + start, k - start)) {
                iso++;
            }
            start = k + 1;
            if (k < len && data[k] == '\n')
                line++;
        }
    }
    /* A stray value is a row finding; a cause is most of the file's dates. */
    if (found && found >= iso) {
        bool us = month_first > 0 && day_first == 0;
        if ((rc = s_diag(out, name, us ? "mm-dd-yyyy" : "dd-mm-yyyy",
                         "%s: dates look like %s (%llu such values, the first on line %llu); "
                         "the extract must use YYYY-MM-DD: set the export's date format and "
                         "export again",
                         name, us ? "MM/DD/YYYY" : "DD/MM/YYYY", (unsigned long long)found,
                         (unsigned long long)first_line)) < 0)
            return rc;
    }
    return 0;
}

int
iapt_gate_diagnose(const char *dir, const iapt_extract_schema_t *sc, iapt_gate_diagnoses_t *out)
{
    char path[4096];
    int rc = 0;
    memset(out, 0, sizeof *out);
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    struct dirent *de;
    /* Files in the wrong case, and which expected files exist. */
    uint32_t exact = 0;
    while ((de = readdir(d)) != NULL) {
        for (size_t t = 0; iapt_schema_file_name(sc, t); t++) {
            const char *want = iapt_schema_file_name(sc, t);
            if (strcmp(de->d_name, want) == 0)
                exact |= 1u << t;
        }
    }
    rewinddir(d);
    while (rc == 0 && (de = readdir(d)) != NULL) {
        for (size_t t = 0; iapt_schema_file_name(sc, t); t++) {
            const char *want = iapt_schema_file_name(sc, t);
            if (!(exact >> t & 1u) && strcasecmp(de->d_name, want) == 0)
                rc = s_diag(out, de->d_name, "wrong-case",
                            "%s is there but %s is expected (file names are case-sensitive): "
                            "rename it to %s",
                            de->d_name, want, want);
        }
    }
    closedir(d);
    for (size_t t = 0; rc == 0 && iapt_schema_file_name(sc, t); t++) {
        if (!(exact >> t & 1u))
            continue;
        const char *file = iapt_schema_file_name(sc, t);
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, file) >= sizeof path)
            continue;
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        char *buf = malloc(S_SNIFF_BYTES);
        if (!buf) {
            fclose(f);
            rc = IAPT_ENOMEM;
            break;
        }
        size_t n = fread(buf, 1, S_SNIFF_BYTES, f);
        fclose(f);
        rc = iapt_gate_diagnose_bytes(file, buf, n, out);
        free(buf);
    }
    if (rc < 0)
        iapt_gate_diagnoses_free(out);
    return rc;
}

void
iapt_gate_diagnoses_free(iapt_gate_diagnoses_t *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++) {
        free(d->d[i].file);
        free(d->d[i].code);
        free(d->d[i].message);
    }
    free(d->d);
    memset(d, 0, sizeof *d);
}

/* ---- reports ---- */

int
iapt_gate_report_text(const iapt_gate_diagnoses_t *d, const iapt_gate_result_t *res, bool forced,
                      FILE *out)
{
    if (d && d->n) {
        fprintf(out, "\nLikely causes\n");
        for (size_t i = 0; i < d->n; i++)
            fprintf(out, "  %s\n", d->d[i].message);
    }
    if (res && res->n) {
        fprintf(out, "\n%s\n",
                forced ? "Plausibility gate overridden with --force (the centre will see this):"
                       : "Plausibility gate: this month would replace good data and is refused "
                         "(submit --force overrides; the centre sees it):");
        for (size_t i = 0; i < res->n; i++)
            fprintf(out, "  %s: %s\n", res->finding[i].check, res->finding[i].message);
    }
    fflush(out);
    return ferror(out) ? iapt_error_set(IAPT_EIO, "writing the report failed") : 0;
}

int
iapt_gate_report_json_add(json_t *obj, const iapt_gate_diagnoses_t *d,
                          const iapt_gate_result_t *res)
{
    json_t *list = json_array();
    int bad = iapt_json_set(obj, "diagnoses", json_incref(list));
    for (size_t i = 0; !bad && d && i < d->n; i++) {
        json_t *e = json_object();
        bad = !e || iapt_json_set(e, "file", iapt_json_str(d->d[i].file)) ||
              iapt_json_set(e, "code", iapt_json_str(d->d[i].code)) ||
              iapt_json_set(e, "message", iapt_json_str(d->d[i].message));
        bad = iapt_json_push(list, e) || bad;
    }
    json_decref(list);
    if (!bad && res) {
        list = json_array();
        bad = iapt_json_set(obj, "gate", json_incref(list));
        for (size_t i = 0; !bad && i < res->n; i++) {
            json_t *e = json_object();
            bad = !e || iapt_json_set(e, "check", iapt_json_str(res->finding[i].check)) ||
                  iapt_json_set(e, "message", iapt_json_str(res->finding[i].message));
            bad = iapt_json_push(list, e) || bad;
        }
        json_decref(list);
    }
    return bad ? iapt_error_set(IAPT_ENOMEM, "the JSON report: out of memory") : 0;
}
