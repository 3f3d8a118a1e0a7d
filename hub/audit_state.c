/* audit_state.c - the auditor's memory of the last checkpoint it verified:
 * the one thing that lets a later run see a rollback or a fork. */
#include "common/checkpoint.h"
#include "common/err.h"
#include "common/registry.h"
#include "common/util.h"
#include "hub/audit.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define S_MAGIC "iapt-audit-state 1"
#define S_MAX_FILE (2u << 20)

void
iapt_audit_state_free(iapt_audit_state_t *st)
{
    iapt_buf_free(&st->note);
    st->size = 0;
    st->verified_at = 0;
    memset(st->root, 0, sizeof st->root);
}

/* The next line of p[0..end) as a NUL-terminated copy in line[size]; the
 * position after its newline in *next. -1 when there is no newline or the
 * line does not fit. */
static int
s_line(const uint8_t *p, const uint8_t *end, char *line, size_t size, const uint8_t **next)
{
    const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
    if (!nl || (size_t)(nl - p) >= size)
        return -1;
    memcpy(line, p, (size_t)(nl - p));
    line[nl - p] = 0;
    *next = nl + 1;
    return 0;
}

/* "key value" with exactly this key: the value, or NULL. */
static const char *
s_value(const char *line, const char *key)
{
    size_t n = strlen(key);
    return strncmp(line, key, n) == 0 && line[n] == ' ' ? line + n + 1 : NULL;
}

static int
s_u64(const char *text, uint64_t *out)
{
    char *end;
    if (!*text || *text < '0' || *text > '9' || (text[0] == '0' && text[1]))
        return -1;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (*end || errno)
        return -1;
    *out = v;
    return 0;
}

int
iapt_audit_state_parse(const uint8_t *data, size_t len, const char *name, const char *hub_name,
                       const uint8_t hub_pk[32], iapt_audit_state_t *st)
{
    const uint8_t *p = data, *end = data + len;
    char line[512];
    const char *v;
    uint64_t size, note_len;
    uint8_t root[32];
    size_t root_len = 0;
    int64_t at;
    int rc;

    memset(st, 0, sizeof *st);
    if (s_line(p, end, line, sizeof line, &p) < 0 || strcmp(line, S_MAGIC) != 0)
        return iapt_error_set(IAPT_EFORMAT, "%s: not an iapt-audit state file", name);
    if (s_line(p, end, line, sizeof line, &p) < 0 || !(v = s_value(line, "origin")) ||
        strcmp(v, hub_name) != 0)
        return iapt_error_set(IAPT_EFORMAT, "%s: not a state for the log '%s'", name, hub_name);
    if (s_line(p, end, line, sizeof line, &p) < 0 || !(v = s_value(line, "size")) ||
        s_u64(v, &size) < 0)
        return iapt_error_set(IAPT_EFORMAT, "%s: bad 'size' line", name);
    if (s_line(p, end, line, sizeof line, &p) < 0 || !(v = s_value(line, "root")) ||
        iapt_base64_decode(v, strlen(v), root, sizeof root, &root_len) < 0 || root_len != 32)
        return iapt_error_set(IAPT_EFORMAT, "%s: bad 'root' line", name);
    if (s_line(p, end, line, sizeof line, &p) < 0 || !(v = s_value(line, "verified-at")) ||
        iapt_time_parse(v, &at) < 0)
        return iapt_error_set(IAPT_EFORMAT, "%s: bad 'verified-at' line", name);
    if (s_line(p, end, line, sizeof line, &p) < 0 || !(v = s_value(line, "note-bytes")) ||
        s_u64(v, &note_len) < 0 || note_len != (uint64_t)(end - p))
        return iapt_error_set(IAPT_EFORMAT,
                              "%s: bad 'note-bytes' line, or a note of another length", name);

    /* The lines above are for people; the note is what is trusted, and they
     * must say the same. */
    uint64_t note_size;
    uint8_t note_root[32];
    rc =
        iapt_checkpoint_open(p, (size_t)note_len, hub_name, hub_pk, &note_size, note_root, NULL, 0);
    if (rc < 0) {
        char why[256];
        iapt_strlcpy(why, iapt_error_detail(), sizeof why); /* the detail is rewritten below */
        if (rc == IAPT_ECRYPTO)
            return iapt_error_set(rc,
                                  "%s: the saved checkpoint is not signed by this hub key under "
                                  "'%s' (%s)",
                                  name, hub_name, why);
        return iapt_error_set(rc, "%s: the saved checkpoint: %s", name, why);
    }
    if (note_size != size || memcmp(note_root, root, 32) != 0)
        return iapt_error_set(IAPT_EFORMAT, "%s: size or root differ from the saved checkpoint",
                              name);
    if ((rc = iapt_buf_append(&st->note, p, (size_t)note_len)) < 0)
        return rc;
    st->size = size;
    memcpy(st->root, root, 32);
    st->verified_at = at;
    return 0;
}

int
iapt_audit_state_load(const char *path, const char *hub_name, const uint8_t hub_pk[32],
                      iapt_audit_state_t *st)
{
    uint8_t *data = NULL;
    size_t len = 0;
    memset(st, 0, sizeof *st);
    int rc = iapt_file_read(path, S_MAX_FILE, &data, &len);
    if (rc < 0)
        return rc;
    rc = iapt_audit_state_parse(data, len, path, hub_name, hub_pk, st);
    free(data);
    return rc;
}

int
iapt_audit_state_save(const char *path, const char *hub_name, const iapt_audit_state_t *st)
{
    iapt_buf_t b = IAPT_BUF_INIT;
    char root[64], when[21];
    int rc;
    if (strchr(hub_name, '\n'))
        return iapt_error_set(IAPT_EUSAGE, "hub name with a newline");
    iapt_base64_encode(st->root, 32, root);
    iapt_time_format(st->verified_at, when);
    if ((rc = iapt_buf_printf(&b,
                              S_MAGIC "\norigin %s\nsize %" PRIu64 "\nroot %s\nverified-at %s\n"
                                      "note-bytes %zu\n",
                              hub_name, st->size, root, when, st->note.len)) < 0 ||
        (rc = iapt_buf_append(&b, st->note.data, st->note.len)) < 0)
        goto out;
    rc = iapt_file_write_atomic(path, b.data, b.len, 0644);
out:
    iapt_buf_free(&b);
    return rc;
}
