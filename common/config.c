/* config.c - "key = value" files. */
#include "common/config.h"
#include "common/err.h"
#include "common/util.h"

#include <errno.h>
#include <limits.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define S_MAX_FILE (1u << 20)
#define S_MAX_ENTRIES 256

struct iapt_config {
    char *text; /* owned copy; keys and values point into it */
    size_t text_len;
    char dir[1024]; /* directory of the file, for relative paths */
    int n;
    const char *keys[S_MAX_ENTRIES];
    const char *values[S_MAX_ENTRIES];
};

static int
s_key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

static char *
s_trim(char *s, char *end)
{
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        end--;
    *end = 0;
    return s;
}

int
iapt_config_parse(const char *text, size_t len, const char *name, iapt_config_t **out)
{
    iapt_config_t *cfg = calloc(1, sizeof *cfg);
    if (!cfg)
        return IAPT_ENOMEM;
    cfg->text = malloc(len + 1);
    if (!cfg->text) {
        free(cfg);
        return IAPT_ENOMEM;
    }
    memcpy(cfg->text, text, len);
    cfg->text[len] = 0;
    cfg->text_len = len;
    iapt_strlcpy(cfg->dir, ".", sizeof cfg->dir);

    int rc = 0;
    int lineno = 0;
    char *p = cfg->text, *end = cfg->text + len;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *eol = nl ? nl : end;
        lineno++;
        if (memchr(p, 0, (size_t)(eol - p))) {
            rc = iapt_error_set(IAPT_EFORMAT, "%s:%d: NUL byte", name, lineno);
            goto out_fail;
        }
        char *line = s_trim(p, eol);
        p = nl ? nl + 1 : end;
        if (*line == 0 || *line == '#')
            continue;
        char *eq = strchr(line, '=');
        if (!eq) {
            rc = iapt_error_set(IAPT_EFORMAT, "%s:%d: expected 'key = value'", name, lineno);
            goto out_fail;
        }
        char *key = s_trim(line, eq);
        char *value = s_trim(eq + 1, eq + 1 + strlen(eq + 1));
        if (*key == 0) {
            rc = iapt_error_set(IAPT_EFORMAT, "%s:%d: empty key", name, lineno);
            goto out_fail;
        }
        for (char *k = key; *k; k++)
            if (!s_key_char(*k)) {
                rc = iapt_error_set(IAPT_EFORMAT, "%s:%d: bad key '%s'", name, lineno, key);
                goto out_fail;
            }
        if (iapt_config_get(cfg, key)) {
            rc = iapt_error_set(IAPT_EFORMAT, "%s:%d: '%s' set twice", name, lineno, key);
            goto out_fail;
        }
        if (cfg->n == S_MAX_ENTRIES) {
            rc = iapt_error_set(IAPT_ELIMIT, "%s:%d: too many settings", name, lineno);
            goto out_fail;
        }
        cfg->keys[cfg->n] = key;
        cfg->values[cfg->n] = value;
        cfg->n++;
    }
    *out = cfg;
    return 0;

out_fail:
    iapt_config_destroy(&cfg);
    return rc;
}

int
iapt_config_load(const char *path, iapt_config_t **out)
{
    uint8_t *data;
    size_t len;
    int rc = iapt_file_read(path, S_MAX_FILE, &data, &len);
    if (rc < 0)
        return rc;
    rc = iapt_config_parse((const char *)data, len, path, out);
    sodium_memzero(data, len);
    free(data);
    if (rc < 0)
        return rc;
    const char *slash = strrchr(path, '/');
    if (slash) {
        size_t n = (size_t)(slash - path);
        if (n == 0)
            n = 1;
        if (n >= sizeof(*out)->dir) {
            iapt_config_destroy(out);
            return iapt_error_set(IAPT_EUSAGE, "path too long: %s", path);
        }
        memcpy((*out)->dir, path, n);
        (*out)->dir[n] = 0;
    }
    return 0;
}

const char *
iapt_config_get(const iapt_config_t *cfg, const char *key)
{
    for (int i = 0; i < cfg->n; i++)
        if (strcmp(cfg->keys[i], key) == 0)
            return cfg->values[i];
    return NULL;
}

int
iapt_config_get_long(const iapt_config_t *cfg, const char *key, long def, long min, long max,
                     long *out)
{
    const char *v = iapt_config_get(cfg, key);
    if (!v) {
        *out = def;
        return 0;
    }
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || end == v || *end || x < min || x > max)
        return iapt_error_set(IAPT_EUSAGE, "%s = %s: expected an integer from %ld to %ld", key, v,
                              min, max);
    *out = x;
    return 0;
}

int
iapt_config_path(const iapt_config_t *cfg, const char *key, char *out, size_t out_size)
{
    const char *v = iapt_config_get(cfg, key);
    if (!v || !*v)
        return IAPT_ENOTFOUND;
    int n;
    static const char s_cred[] = "${CREDENTIALS_DIRECTORY}";
    if (strncmp(v, s_cred, sizeof s_cred - 1) == 0) {
        const char *rest = v + sizeof s_cred - 1;
        const char *dir = getenv("CREDENTIALS_DIRECTORY");
        if (*rest != '/' || !rest[1])
            return iapt_error_set(IAPT_EUSAGE, "%s: write ${CREDENTIALS_DIRECTORY}/NAME", key);
        if (!dir || dir[0] != '/')
            return iapt_error_set(IAPT_EUSAGE,
                                  "%s: ${CREDENTIALS_DIRECTORY} is not set (systemd sets it for "
                                  "a unit with LoadCredential=)",
                                  key);
        n = snprintf(out, out_size, "%s%s", dir, rest);
    } else if (v[0] == '/' || strcmp(cfg->dir, ".") == 0)
        n = snprintf(out, out_size, "%s", v);
    else
        n = snprintf(out, out_size, "%s/%s", cfg->dir, v);
    if (n < 0 || (size_t)n >= out_size)
        return iapt_error_set(IAPT_EUSAGE, "%s: path too long", key);
    return 0;
}

int
iapt_config_path_opt(const iapt_config_t *cfg, const char *key, char *out, size_t out_size,
                     int required)
{
    int rc = iapt_config_path(cfg, key, out, out_size);
    if (rc == IAPT_ENOTFOUND) {
        out[0] = 0;
        return required ? iapt_error_set(IAPT_EUSAGE, "'%s' is required", key) : 0;
    }
    return rc;
}

int
iapt_config_check(const iapt_config_t *cfg, const char *const allowed[])
{
    for (int i = 0; i < cfg->n; i++) {
        int ok = 0;
        for (const char *const *a = allowed; *a; a++)
            if (strcmp(*a, cfg->keys[i]) == 0)
                ok = 1;
        if (!ok)
            return iapt_error_set(IAPT_EUSAGE, "unknown setting '%s'", cfg->keys[i]);
    }
    return 0;
}

void
iapt_config_destroy(iapt_config_t **cfg_p)
{
    iapt_config_t *cfg = *cfg_p;
    if (!cfg)
        return;
    sodium_memzero(cfg->text, cfg->text_len);
    free(cfg->text);
    free(cfg);
    *cfg_p = NULL;
}
