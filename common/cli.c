/* cli.c - shared command-line helpers. */
#include "common/cli.h"
#include "common/err.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#ifndef IAPT_VERSION
#error "IAPT_VERSION is set by the Makefile from the VERSION file"
#endif

const char *
iapt_version(void)
{
    return IAPT_VERSION;
}

void
iapt_cli_init(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
}

void
iapt_cli_print_version(const char *program)
{
    printf("%s %s\n", program, IAPT_VERSION);
}

bool
iapt_cli_is_help(const char *arg)
{
    return arg && (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0);
}

bool
iapt_cli_is_version(const char *arg)
{
    return arg && (strcmp(arg, "--version") == 0 || strcmp(arg, "-V") == 0);
}

/* strtol and friends skip leading blanks and take a sign; options and
 * settings are plain digits (a '-' only where negatives are allowed). */
static bool
s_plain(const char *text, bool allow_minus)
{
    if (!text || !*text)
        return false;
    if (*text == '-' && allow_minus)
        text++;
    if (!isdigit((unsigned char)*text))
        return false;
    return true;
}

int
iapt_parse_long(const char *text, long min, long max, long *out)
{
    if (!s_plain(text, min < 0))
        return IAPT_EUSAGE;
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || *end || v < min || v > max)
        return IAPT_EUSAGE;
    *out = v;
    return 0;
}

int
iapt_parse_u64(const char *text, uint64_t min, uint64_t max, uint64_t *out)
{
    if (!s_plain(text, false))
        return IAPT_EUSAGE;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || *end || v < min || v > max)
        return IAPT_EUSAGE;
    *out = (uint64_t)v;
    return 0;
}

int
iapt_cli_long(const char *program, const char *option, const char *text, const char *unit, long min,
              long max, long *out)
{
    if (iapt_parse_long(text, min, max, out) == 0)
        return 0;
    fprintf(stderr, "%s: %s must be a whole number%s%s between %ld and %ld (not '%s')\n", program,
            option, unit ? " of " : "", unit ? unit : "", min, max, text ? text : "");
    return IAPT_EUSAGE;
}

int
iapt_cli_usage_command(void (*usage)(FILE *f), const char *program, const char *cmd, FILE *f)
{
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    if (!m)
        return -1;
    usage(m);
    fclose(m);
    int found = -1, in = 0;
    size_t cl = strlen(cmd);
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "  ", 2) == 0 && line[2] != ' ')
            in = cl && strncmp(line + 2, cmd, cl) == 0 && (line[2 + cl] == ' ' || !line[2 + cl]);
        else if (strncmp(line, "    ", 4) != 0)
            in = 0;
        if (!in)
            continue;
        if (found < 0 && f)
            fprintf(f, "usage: %s [options] ...\n", program);
        found = 0;
        if (f)
            fprintf(f, "%s\n", line);
    }
    free(text);
    return found;
}
