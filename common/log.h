/*
 * log.h - levelled logging to stderr.
 *
 * One line per event: "2026-11-22T13:48:00Z iapt-hub[123] warn: text".
 * The level starts at INFO, or at the value of $IAPT_LOG (error, warn, info,
 * debug). Thread-safe: each line is written with one write(2).
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
 * logging. Also reads $IAPT_LOG. */
void iapt_log_init(const char *name);

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
