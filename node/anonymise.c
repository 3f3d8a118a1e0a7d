/* anonymise.c - pseudonyms, completed years of age and the IMD lookup: the
 * generic parts of anonymisation every collection's records use (each
 * collection builds its records in its own module). */
#include "node/anonymise.h"

#include "common/csv.h"
#include "common/date.h"
#include "common/err.h"
#include "common/util.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* ---- pseudonyms ---- */

/* Keyed BLAKE2b-128 of the parts joined by NUL bytes (none of them can hold
 * a NUL, so the encoding is unambiguous). */
static int
s_pseudonym(const iapt_pseudokey_t *key, const char *const *parts, int n,
            uint8_t out[IAPT_PSEUDONYM_BYTES])
{
    crypto_generichash_state st;
    static const uint8_t nul = 0;
    if (!key || !key->key ||
        crypto_generichash_init(&st, key->key, IAPT_PSEUDO_KEY_BYTES, IAPT_PSEUDONYM_BYTES) != 0)
        return iapt_error_set(IAPT_ECRYPTO, "pseudonymisation key unusable");
    for (int i = 0; i < n; i++) {
        if (i > 0)
            crypto_generichash_update(&st, &nul, 1);
        crypto_generichash_update(&st, (const uint8_t *)parts[i], strlen(parts[i]));
    }
    crypto_generichash_final(&st, out, IAPT_PSEUDONYM_BYTES);
    sodium_memzero(&st, sizeof st);
    return 0;
}

int
iapt_pseudonym_pathway(const iapt_pseudokey_t *key, const char *org, const char *service_request_id,
                       uint8_t out[IAPT_PSEUDONYM_BYTES])
{
    const char *parts[] = {"iapt/pathway/v1", org, service_request_id};
    return s_pseudonym(key, parts, 3, out);
}

int
iapt_pseudonym_person_nhs(const iapt_pseudokey_t *key, const char *nhs_number,
                          uint8_t out[IAPT_PSEUDONYM_BYTES])
{
    const char *parts[] = {"iapt/person/v1", nhs_number};
    return s_pseudonym(key, parts, 2, out);
}

int
iapt_pseudonym_person_local(const iapt_pseudokey_t *key, const char *org,
                            const char *local_patient_id, uint8_t out[IAPT_PSEUDONYM_BYTES])
{
    const char *parts[] = {"iapt/person-local/v1", org, local_patient_id};
    return s_pseudonym(key, parts, 3, out);
}

/* ---- age ---- */

int
iapt_age_years(int32_t birth_day, int32_t day)
{
    int by, bm, bd, y, m, d;
    iapt_civil_from_days(birth_day, &by, &bm, &bd);
    iapt_civil_from_days(day, &y, &m, &d);
    return y - by - (m < bm || (m == bm && d < bd));
}

/* ---- IMD lookup ---- */

typedef struct s_imd_entry {
    char prefix[8];
    uint8_t decile;
    uint64_t line;
} s_imd_entry_t;

struct iapt_imd {
    size_t n;
    s_imd_entry_t *e; /* sorted by prefix */
};

static int
s_imd_cmp(const void *a, const void *b)
{
    return strcmp(((const s_imd_entry_t *)a)->prefix, ((const s_imd_entry_t *)b)->prefix);
}

static int
s_imd_read(iapt_csv_t *csv, const char *name, iapt_imd_t *imd)
{
    const iapt_csv_row_t *row;
    int rc, cp = -1, cd = -1;
    size_t cap = 0, ncols = 0;

    while ((rc = iapt_csv_next(csv, &row)) == 1) {
        if (row->n == 1 && row->len[0] == 0)
            continue; /* blank line */
        if (cp < 0 && ncols == 0) {
            cp = iapt_csv_column(row, "postcode_prefix");
            cd = iapt_csv_column(row, "imd_decile");
            if (cp < 0 || cd < 0)
                return iapt_error_set(IAPT_EFORMAT,
                                      "%s:%llu: header must name postcode_prefix and imd_decile",
                                      name, (unsigned long long)row->line);
            ncols = row->n;
            continue;
        }
        if (row->n != ncols)
            return iapt_error_set(IAPT_EFORMAT, "%s:%llu: %zu cells where the header has %zu", name,
                                  (unsigned long long)row->line, row->n, ncols);
        if (imd->n == cap) {
            cap = cap ? cap * 2 : 1024;
            s_imd_entry_t *p = realloc(imd->e, cap * sizeof *p);
            if (!p)
                return IAPT_ENOMEM;
            imd->e = p;
        }
        s_imd_entry_t *e = &imd->e[imd->n];
        const char *pre = row->field[cp], *dec = row->field[cd];
        size_t n = 0;
        for (; *pre; pre++) {
            char c = *pre;
            if (c == ' ' || c == '\t')
                continue;
            if (c >= 'a' && c <= 'z')
                c = (char)(c - 'a' + 'A');
            if (n == 7 || !((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
                return iapt_error_set(IAPT_EFORMAT,
                                      "%s:%llu: postcode_prefix must be 1-7 letters or digits",
                                      name, (unsigned long long)row->line);
            e->prefix[n++] = c;
        }
        e->prefix[n] = 0;
        while (*dec == ' ' || *dec == '\t')
            dec++;
        char *end;
        long d = strtol(dec, &end, 10);
        while (*end == ' ' || *end == '\t')
            end++;
        if (n == 0 || end == dec || *end || d < 1 || d > 10)
            return iapt_error_set(IAPT_EFORMAT,
                                  "%s:%llu: needs a postcode_prefix and an imd_decile from 1 to 10",
                                  name, (unsigned long long)row->line);
        e->decile = (uint8_t)d;
        e->line = row->line;
        imd->n++;
    }
    if (rc < 0)
        return rc;
    if (cp < 0)
        return iapt_error_set(IAPT_EFORMAT, "%s: empty, no header row", name);
    if (imd->n > 1)
        qsort(imd->e, imd->n, sizeof *imd->e, s_imd_cmp);
    for (size_t i = 1; i < imd->n; i++)
        if (strcmp(imd->e[i].prefix, imd->e[i - 1].prefix) == 0)
            return iapt_error_set(IAPT_EFORMAT, "%s:%llu: prefix %s listed twice (line %llu)", name,
                                  (unsigned long long)imd->e[i].line, imd->e[i].prefix,
                                  (unsigned long long)imd->e[i - 1].line);
    return 0;
}

static int
s_imd_open(iapt_csv_t *csv, const char *name, iapt_imd_t **out)
{
    iapt_imd_t *imd = calloc(1, sizeof *imd);
    int rc = imd ? s_imd_read(csv, name, imd) : IAPT_ENOMEM;
    iapt_csv_close(&csv);
    if (rc < 0) {
        iapt_imd_destroy(&imd);
        return rc;
    }
    *out = imd;
    return 0;
}

int
iapt_imd_load(const char *path, iapt_imd_t **out)
{
    iapt_csv_t *csv;
    int rc = iapt_csv_open(path, NULL, &csv);
    if (rc < 0)
        return rc;
    return s_imd_open(csv, path, out);
}

int
iapt_imd_parse(const char *data, size_t len, const char *name, iapt_imd_t **out)
{
    iapt_csv_t *csv;
    int rc = iapt_csv_open_mem(data, len, name, NULL, &csv);
    if (rc < 0)
        return rc;
    return s_imd_open(csv, name, out);
}

int
iapt_imd_lookup(const iapt_imd_t *imd, const char *postcode)
{
    s_imd_entry_t key;
    size_t n = strlen(postcode);
    if (!imd || n == 0 || n > 7)
        return 0;
    memcpy(key.prefix, postcode, n + 1);
    for (; n > 0; n--) {
        key.prefix[n] = 0;
        const s_imd_entry_t *e =
            imd->n ? bsearch(&key, imd->e, imd->n, sizeof *imd->e, s_imd_cmp) : NULL;
        if (e)
            return e->decile;
    }
    return 0;
}

void
iapt_imd_destroy(iapt_imd_t **imd_p)
{
    iapt_imd_t *imd = *imd_p;
    if (!imd)
        return;
    free(imd->e);
    free(imd);
    *imd_p = NULL;
}
