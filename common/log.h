/*
 * log.h - levelled logging to stderr.
 *
 * One line per event: "2026-11-22T13:48:00Z iapt-hub[123] warn: text".
 * When stderr is the systemd journal ($JOURNAL_STREAM names stderr's
 * device:inode, see systemd.exec(5)), lines carry the syslog priority the
 * journal reads instead, and no time or name (the journal records both):
 * "<4>warn: text" (<3> error, <4> warn, <6> info, <7> debug).
 * The level starts at INFO, or at the value of $IAPT_LOG (error, warn, info,
 * debug). Thread-safe after iapt_log_init: each line is one write(2).
 */
#ifndef IAPT_LOG_H
#define IAPT_LOG_H

enum iapt_log_level {
    IAPT_LOG_ERROR = 0,
    IAPT_LOG_WARN = 1,
    IAPT_LOG_INFO = 2,
    IAPT_LOG_DEBUG = 3,
};

/* Name printed on every line (the program's name); `name` must outlive
 * logging. Also reads $IAPT_LOG and decides, once, whether stderr is the
 * journal. Call before any thread starts. */
void iapt_log_init(const char *name);

/* True when $JOURNAL_STREAM is "DEV:INO" of the file open on stderr now. */
int iapt_log_stderr_is_journal(void);

/* True when lines are written with journald priority prefixes. */
int iapt_log_journal(void);

void iapt_log_set_level(enum iapt_log_level level);

/* Parse "error" / "warn" / "info" / "debug"; -1 if none of those. */
int iapt_log_level_parse(const char *text);

int iapt_log_enabled(enum iapt_log_level level);

void iapt_log(enum iapt_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define iapt_log_error(...) iapt_log(IAPT_LOG_ERROR, __VA_ARGS__)
#define iapt_log_warn(...) iapt_log(IAPT_LOG_WARN, __VA_ARGS__)
#define iapt_log_info(...) iapt_log(IAPT_LOG_INFO, __VA_ARGS__)
#define iapt_log_debug(...) iapt_log(IAPT_LOG_DEBUG, __VA_ARGS__)

#endif
