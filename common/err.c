/* err.c - error codes and the thread-local error detail. */
#include "common/err.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char s_detail[512];

const char *
iapt_strerror(int code)
{
    switch (code) {
    case IAPT_OK:
        return "success";
    case IAPT_EIO:
        return "I/O error";
    case IAPT_ENOMEM:
        return "out of memory";
    case IAPT_EFORMAT:
        return "malformed input";
    case IAPT_ECRYPTO:
        return "verification failed";
    case IAPT_EPERM:
        return "permission denied";
    case IAPT_ENOTFOUND:
        return "not found";
    case IAPT_EEXISTS:
        return "already exists";
    case IAPT_ELIMIT:
        return "limit exceeded";
    case IAPT_ESTATE:
        return "invalid state";
    case IAPT_ELMDB:
        return "storage error";
    case IAPT_EZMQ:
        return "messaging error";
    case IAPT_EUSAGE:
        return "usage error";
    case IAPT_ETIMEOUT:
        return "timed out";
    case IAPT_EREFUSED:
        return "refused";
    case IAPT_EFULL:
        return "store full";
    case IAPT_EVERSION:
        return "unsupported version";
    default:
        return "unknown error";
    }
}

int
iapt_error_set(int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(s_detail, sizeof s_detail, fmt, ap);
    va_end(ap);
    return code;
}

const char *
iapt_error_detail(void)
{
    return s_detail;
}

void
iapt_error_clear(void)
{
    s_detail[0] = '\0';
}
