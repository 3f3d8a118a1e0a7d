/*
 * config.h - "key = value" files: program configuration and key files.
 *
 * Syntax: one setting per line, `key = value`; blank lines and lines starting
 * with '#' are ignored; the value is the rest of the line, trimmed. A key may
 * appear once. Keys are [a-z0-9_-]+.
 *
 * Ownership: iapt_config_load/parse return an owned object; strings returned
 * by getters belong to it and live until iapt_config_destroy. The object's
 * memory is wiped on destroy (key files hold secrets).
 */
#ifndef IAPT_CONFIG_H
#define IAPT_CONFIG_H

#include <stddef.h>

typedef struct iapt_config iapt_config_t;

/* Read and parse a file (at most 1 MiB). IAPT_ENOTFOUND, IAPT_EIO,
 * IAPT_EFORMAT (detail names file and line), IAPT_ENOMEM. */
int iapt_config_load(const char *path, iapt_config_t **out /* out, owned */);

/* Parse text; `name` is used in error details. */
int iapt_config_parse(const char *text, size_t len, const char *name,
                      iapt_config_t **out /* out, owned */);

/* The value of key, or NULL when absent. */
const char *iapt_config_get(const iapt_config_t *cfg, const char *key);

/* Integer value of key in [min, max], or def when absent.
 * 0, or IAPT_EUSAGE when present but not such an integer. */
int iapt_config_get_long(const iapt_config_t *cfg, const char *key, long def, long min, long max,
                         long *out /* out */);

/* A path value resolved against the directory of the file it came from
 * (absolute values are kept). A value `${CREDENTIALS_DIRECTORY}/NAME` is
 * NAME in the directory of that environment variable (systemd's
 * LoadCredential=); no other expansion is done. 0, IAPT_ENOTFOUND (absent)
 * or IAPT_EUSAGE (too long for out; the variable unset or not absolute). */
int iapt_config_path(const iapt_config_t *cfg, const char *key, char *out /* out */,
                     size_t out_size);

/* iapt_config_path for a setting that may be absent: out is "" then, or
 * IAPT_EUSAGE ("'key' is required") when `required`. */
int iapt_config_path_opt(const iapt_config_t *cfg, const char *key, char *out /* out */,
                         size_t out_size, int required);

/* IAPT_EUSAGE naming the first key not in the NULL-terminated `allowed`. */
int iapt_config_check(const iapt_config_t *cfg, const char *const allowed[]);

void iapt_config_destroy(iapt_config_t **cfg_p);

#endif
