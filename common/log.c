/* log.c - levelled logging to stderr. */
#include "common/log.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *s_name = "iapt";
static int s_level = IAPT_LOG_INFO;
static int s_journal = 0;

/* syslog(3) priorities: LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG. */
static const int s_priority[] = {3, 4, 6, 7};

static const char *const s_level_names[] = {"error", "warn", "info", "debug"};

int
iapt_log_level_parse(const char *text)
{
    for (int i = 0; i < 4; i++)
        if (text && strcmp(text, s_level_names[i]) == 0)
            return i;
    return -1;
}

int
iapt_log_stderr_is_journal(void)
{
    const char *js = getenv("JOURNAL_STREAM");
    if (!js || !*js)
        return 0;
    uintmax_t dev, ino;
    char tail;
    if (sscanf(js, "%ju:%ju%c", &dev, &ino, &tail) != 2)
        return 0;
    struct stat st;
    if (fstat(STDERR_FILENO, &st) < 0)
        return 0;
    return (uintmax_t)st.st_dev == dev && (uintmax_t)st.st_ino == ino;
}

int
iapt_log_journal(void)
{
    return s_journal;
}

void
iapt_log_init(const char *name)
{
    s_name = name;
    s_journal = iapt_log_stderr_is_journal();
    int level = iapt_log_level_parse(getenv("IAPT_LOG"));
    if (level >= 0)
        s_level = level;
}

void
iapt_log_set_level(enum iapt_log_level level)
{
    s_level = (int)level;
}

int
iapt_log_enabled(enum iapt_log_level level)
{
    return (int)level <= s_level;
}

void
iapt_log(enum iapt_log_level level, const char *fmt, ...)
{
    if ((int)level > s_level)
        return;

    char line[2048];
    int n;
    if (s_journal) {
        n = snprintf(line, sizeof line, "<%d>%s: ", s_priority[level], s_level_names[level]);
    } else {
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        n = (int)strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%SZ ", &tm);
        n += snprintf(line + n, sizeof line - (size_t)n, "%s[%d] %s: ", s_name, (int)getpid(),
                      s_level_names[level]);
    }

    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    if (m < 0)
        m = 0;
    size_t len = (size_t)n + (size_t)m;
    if (len > sizeof line - 2)
        len = sizeof line - 2;
    line[len++] = '\n';
    /* One write per line so concurrent threads do not interleave. */
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
}
