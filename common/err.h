/*
 * err.h - error codes shared by every iapt module.
 *
 * Functions that can fail return 0 on success or one of the negative codes
 * below (LMDB style: the code is the result, never errno). A function that
 * fails may also record a sentence saying what exactly went wrong ("line 4:
 * bad base64") with iapt_error_set(); callers print
 *     iapt_strerror(rc) and iapt_error_detail()
 * The detail is thread-local and valid until the next iapt_error_set() on the
 * same thread.
 */
#ifndef IAPT_ERR_H
#define IAPT_ERR_H

#include <stddef.h>

enum iapt_err {
    IAPT_OK = 0,
    IAPT_EIO = -1,       /* file or socket I/O failed */
    IAPT_ENOMEM = -2,    /* out of memory */
    IAPT_EFORMAT = -3,   /* malformed input (file, message, record) */
    IAPT_ECRYPTO = -4,   /* signature or proof did not verify */
    IAPT_EPERM = -5,     /* permissions (world-readable secret, role) */
    IAPT_ENOTFOUND = -6, /* no such key, file, submission ... */
    IAPT_EEXISTS = -7,   /* already exists */
    IAPT_ELIMIT = -8,    /* over a size or count limit */
    IAPT_ESTATE = -9,    /* operation not valid in the current state */
    IAPT_ELMDB = -10,    /* LMDB failed (detail holds mdb_strerror) */
    IAPT_EZMQ = -11,     /* ZeroMQ failed (detail holds zmq_strerror) */
    IAPT_EUSAGE = -12,   /* bad arguments or configuration */
    IAPT_ETIMEOUT = -13, /* no answer in time */
    IAPT_EREFUSED = -14, /* the peer refused (detail holds its reason) */
    IAPT_EFULL = -15,    /* store full */
    IAPT_EVERSION = -16, /* another wire or manifest format version */
};

/* Static text naming `code`; never NULL. */
const char *iapt_strerror(int code);

/* Record the detail for the current thread (printf format) and return
 * `code`, so a failing function can `return iapt_error_set(IAPT_EFORMAT, ...)`. */
int iapt_error_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The current thread's detail, "" when none. */
const char *iapt_error_detail(void);

/* Forget the current thread's detail. */
void iapt_error_clear(void);

#endif
