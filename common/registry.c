/* registry.c - organisations and their keys. */
#include "common/registry.h"
#include "common/csv.h"
#include "common/date.h"
#include "common/err.h"
#include "common/sign.h"
#include "common/util.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define S_MAX_ROWS 100000

struct iapt_registry {
    atomic_int refs;
    size_t n;
    iapt_registry_entry_t *e;
};

int
iapt_time_parse(const char *s, int64_t *out)
{
    int32_t days;
    int hh, mm, ss;
    if (strlen(s) != 20 || s[10] != 'T' || s[19] != 'Z' || s[13] != ':' || s[16] != ':' ||
        iapt_date_parse(s, 10, &days) < 0)
        return IAPT_EFORMAT;
    for (int i = 11; i < 19; i++)
        if (i != 13 && i != 16 && (s[i] < '0' || s[i] > '9'))
            return IAPT_EFORMAT;
    hh = (s[11] - '0') * 10 + (s[12] - '0');
    mm = (s[14] - '0') * 10 + (s[15] - '0');
    ss = (s[17] - '0') * 10 + (s[18] - '0');
    if (hh > 23 || mm > 59 || ss > 59)
        return IAPT_EFORMAT;
    *out = (int64_t)days * 86400 + hh * 3600 + mm * 60 + ss;
    return 0;
}

static const char *const s_columns[] = {"org_code",   "name",        "role",        "status",
                                        "revoked_at", "sign_public", "curve_public"};
#define S_NCOL 7

static int
s_parse_row(const iapt_csv_row_t *row, const int col[S_NCOL], const char *name,
            iapt_registry_entry_t *e)
{
    unsigned long long line = (unsigned long long)row->line;
    const char *org = row->field[col[0]], *role = row->field[col[2]];
    const char *status = row->field[col[3]], *rev = row->field[col[4]];
    const char *spub = row->field[col[5]], *cpub = row->field[col[6]];
    uint8_t raw[32];
    size_t n;

    memset(e, 0, sizeof *e);
    if (!iapt_org_code_valid(org))
        return iapt_error_set(IAPT_EFORMAT, "%s:%llu: org_code '%s' is not 2-15 of [A-Z0-9]", name,
                              line, org);
    iapt_strlcpy(e->org, org, sizeof e->org);
    if (!iapt_strlcpy(e->name, row->field[col[1]], sizeof e->name))
        return iapt_error_set(IAPT_EFORMAT, "%s:%llu: name longer than %zu bytes", name, line,
                              sizeof e->name - 1);
    if (!iapt_role_valid(role))
        return iapt_error_set(IAPT_EFORMAT,
                              "%s:%llu: role '%s' (provider, analyst, auditor or hub)", name, line,
                              role);
    iapt_strlcpy(e->role, role, sizeof e->role);
    if (strcmp(status, "active") == 0) {
        e->active = 1;
        if (*rev)
            return iapt_error_set(IAPT_EFORMAT, "%s:%llu: revoked_at set on an active row", name,
                                  line);
    } else if (strcmp(status, "revoked") == 0) {
        if (iapt_time_parse(rev, &e->revoked_at) < 0)
            return iapt_error_set(IAPT_EFORMAT,
                                  "%s:%llu: a revoked row needs revoked_at as "
                                  "YYYY-MM-DDTHH:MM:SSZ",
                                  name, line);
    } else {
        return iapt_error_set(IAPT_EFORMAT, "%s:%llu: status '%s' (active or revoked)", name, line,
                              status);
    }
    if (iapt_base64_decode(spub, strlen(spub), e->sign_public, 32, &n) < 0 || n != 32)
        return iapt_error_set(IAPT_EFORMAT, "%s:%llu: sign_public is not a base64 Ed25519 key",
                              name, line);
    if (strlen(cpub) != IAPT_Z85_KEY_LEN || !zmq_z85_decode(raw, cpub))
        return iapt_error_set(IAPT_EFORMAT, "%s:%llu: curve_public is not a Z85 CURVE key", name,
                              line);
    memcpy(e->curve_public, cpub, IAPT_Z85_KEY_LEN + 1);
    return 0;
}

int
iapt_registry_parse(const char *text, size_t len, const char *name, iapt_registry_t **out)
{
    int rc;
    iapt_csv_t *csv = NULL;
    const iapt_csv_row_t *row;
    iapt_registry_t *reg = calloc(1, sizeof *reg);
    size_t cap = 0;
    int col[S_NCOL];

    if (!reg)
        return IAPT_ENOMEM;
    atomic_init(&reg->refs, 1);
    iapt_csv_limits_t lim = {.max_field = 4096, .max_fields = 32, .max_rows = S_MAX_ROWS};
    if ((rc = iapt_csv_open_mem(text, len, name, &lim, &csv)) < 0)
        goto out_fail;
    if ((rc = iapt_csv_next(csv, &row)) <= 0) {
        rc = rc < 0 ? rc : iapt_error_set(IAPT_EFORMAT, "%s: empty registry", name);
        goto out_fail;
    }
    for (int i = 0; i < S_NCOL; i++)
        if ((col[i] = iapt_csv_column(row, s_columns[i])) < 0) {
            rc = iapt_error_set(IAPT_EFORMAT, "%s:1: no column '%s'", name, s_columns[i]);
            goto out_fail;
        }
    size_t ncol = row->n;
    while ((rc = iapt_csv_next(csv, &row)) == 1) {
        if (row->n == 1 && row->len[0] == 0)
            continue;
        if (row->n != ncol) {
            rc = iapt_error_set(IAPT_EFORMAT, "%s:%llu: %zu fields, the header has %zu", name,
                                (unsigned long long)row->line, row->n, ncol);
            goto out_fail;
        }
        if (reg->n == cap) {
            cap = cap ? cap * 2 : 64;
            iapt_registry_entry_t *e = realloc(reg->e, cap * sizeof *e);
            if (!e) {
                rc = IAPT_ENOMEM;
                goto out_fail;
            }
            reg->e = e;
        }
        iapt_registry_entry_t *e = &reg->e[reg->n];
        if ((rc = s_parse_row(row, col, name, e)) < 0)
            goto out_fail;
        for (size_t i = 0; i < reg->n; i++) {
            const iapt_registry_entry_t *o = &reg->e[i];
            if (strcmp(o->curve_public, e->curve_public) == 0 ||
                memcmp(o->sign_public, e->sign_public, 32) == 0) {
                rc = iapt_error_set(IAPT_EFORMAT, "%s:%llu: key already listed for %s", name,
                                    (unsigned long long)row->line, o->org);
                goto out_fail;
            }
            if (e->active && o->active && strcmp(o->org, e->org) == 0) {
                rc = iapt_error_set(IAPT_EFORMAT, "%s:%llu: second active key for %s", name,
                                    (unsigned long long)row->line, e->org);
                goto out_fail;
            }
        }
        reg->n++;
    }
    if (rc < 0)
        goto out_fail;
    iapt_csv_close(&csv);
    *out = reg;
    return 0;

out_fail:
    iapt_csv_close(&csv);
    free(reg->e);
    free(reg);
    return rc;
}

int
iapt_registry_load(const char *path, iapt_registry_t **out)
{
    uint8_t *data;
    size_t len;
    int rc = iapt_file_read(path, 64u << 20, &data, &len);
    if (rc < 0)
        return rc;
    rc = iapt_registry_parse((const char *)data, len, path, out);
    free(data);
    return rc;
}

iapt_registry_t *
iapt_registry_ref(iapt_registry_t *reg)
{
    if (reg)
        atomic_fetch_add(&reg->refs, 1);
    return reg;
}

void
iapt_registry_release(iapt_registry_t **reg_p)
{
    iapt_registry_t *reg = *reg_p;
    if (!reg)
        return;
    *reg_p = NULL;
    if (atomic_fetch_sub(&reg->refs, 1) == 1) {
        free(reg->e);
        free(reg);
    }
}

size_t
iapt_registry_count(const iapt_registry_t *reg)
{
    return reg->n;
}

const iapt_registry_entry_t *
iapt_registry_entry(const iapt_registry_t *reg, size_t i)
{
    return i < reg->n ? &reg->e[i] : NULL;
}

const iapt_registry_entry_t *
iapt_registry_by_curve(const iapt_registry_t *reg, const char *curve_public)
{
    for (size_t i = 0; i < reg->n; i++)
        if (strcmp(reg->e[i].curve_public, curve_public) == 0)
            return &reg->e[i];
    return NULL;
}

const iapt_registry_entry_t *
iapt_registry_active(const iapt_registry_t *reg, const char *org)
{
    for (size_t i = 0; i < reg->n; i++)
        if (reg->e[i].active && strcmp(reg->e[i].org, org) == 0)
            return &reg->e[i];
    return NULL;
}

const iapt_registry_entry_t *
iapt_registry_org(const iapt_registry_t *reg, const char *org)
{
    const iapt_registry_entry_t *any = NULL;
    for (size_t i = 0; i < reg->n; i++)
        if (strcmp(reg->e[i].org, org) == 0) {
            if (reg->e[i].active)
                return &reg->e[i];
            if (!any)
                any = &reg->e[i];
        }
    return any;
}

const iapt_registry_entry_t *
iapt_registry_manifest_signer(const iapt_registry_t *reg, const char *org, const uint8_t *manifest,
                              size_t len, const uint8_t sig[64], int64_t signed_at,
                              const char **why)
{
    *why = "no registered key of the organisation made this signature";
    for (size_t i = 0; i < reg->n; i++) {
        const iapt_registry_entry_t *e = &reg->e[i];
        if (strcmp(e->org, org) != 0)
            continue;
        if (iapt_verify_detached(IAPT_CONTEXT_MANIFEST, manifest, len, sig, e->sign_public) != 0)
            continue;
        if (e->active || signed_at < e->revoked_at)
            return e;
        *why = "signed with a key after its revocation";
    }
    return NULL;
}
