/*
 * test.h - the unit-test harness: a table of test functions per file, checks
 * that report file and line and carry on, and a last line CI reads:
 *     "<file>: N passed, N failed"
 *
 * Usage:
 *     static void test_something(void) { CHECK(1 + 1 == 2); CHECK_EQ_INT(x, 3); }
 *     TEST_MAIN(test_something, test_other)
 *
 * A test passes when none of its checks failed. Run one test with
 *     ./build/tests/test_x test_something
 */
#ifndef IAPT_TEST_H
#define IAPT_TEST_H

#include "common/sign.h"

#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int t_failed_checks;
static const char *t_current;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: %s: check failed: %s\n", __FILE__, __LINE__, t_current,        \
                    #cond);                                                                        \
            t_failed_checks++;                                                                     \
        }                                                                                          \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                                         \
    do {                                                                                           \
        long long t_a = (long long)(a), t_b = (long long)(b);                                      \
        if (t_a != t_b) {                                                                          \
            fprintf(stderr, "%s:%d: %s: %s == %s failed: %lld != %lld\n", __FILE__, __LINE__,      \
                    t_current, #a, #b, t_a, t_b);                                                  \
            t_failed_checks++;                                                                     \
        }                                                                                          \
    } while (0)

#define CHECK_EQ_STR(a, b)                                                                         \
    do {                                                                                           \
        const char *t_a = (a), *t_b = (b);                                                         \
        if (!t_a || !t_b || strcmp(t_a, t_b) != 0) {                                               \
            fprintf(stderr, "%s:%d: %s: %s == %s failed: \"%s\" != \"%s\"\n", __FILE__, __LINE__,  \
                    t_current, #a, #b, t_a ? t_a : "(null)", t_b ? t_b : "(null)");                \
            t_failed_checks++;                                                                     \
        }                                                                                          \
    } while (0)

#define CHECK_EQ_MEM(a, b, n) CHECK(memcmp((a), (b), (n)) == 0)

typedef struct {
    const char *name;
    void (*fn)(void);
} t_case_t;

static inline int
t_run(const char *file, const t_case_t *cases, size_t n, int argc, char **argv)
{
    int passed = 0, failed = 0;
    for (size_t i = 0; i < n; i++) {
        if (argc > 1 && strcmp(argv[1], cases[i].name) != 0)
            continue;
        t_current = cases[i].name;
        int before = t_failed_checks;
        cases[i].fn();
        if (t_failed_checks == before) {
            passed++;
        } else {
            failed++;
            fprintf(stderr, "FAIL %s\n", cases[i].name);
        }
    }
    printf("%s: %d passed, %d failed\n", file, passed, failed);
    return failed ? 1 : 0;
}

/* The case names come from the stringified argument list. */
#define TEST_MAIN(...)                                                                             \
    int main(int argc, char **argv)                                                                \
    {                                                                                              \
        void (*fns[])(void) = {__VA_ARGS__};                                                       \
        const char *names = #__VA_ARGS__;                                                          \
        t_case_t cases[sizeof fns / sizeof *fns];                                                  \
        char buf[4096];                                                                            \
        strncpy(buf, names, sizeof buf - 1);                                                       \
        buf[sizeof buf - 1] = 0;                                                                   \
        char *save = NULL, *tok = strtok_r(buf, ", \n\t", &save);                                  \
        for (size_t i = 0; i < sizeof fns / sizeof *fns; i++) {                                    \
            cases[i].fn = fns[i];                                                                  \
            cases[i].name = tok ? strdup(tok) : "?";                                               \
            tok = strtok_r(NULL, ", \n\t", &save);                                                 \
        }                                                                                          \
        if (iapt_crypto_init() != 0) {                                                             \
            fprintf(stderr, "libsodium failed to initialise\n");                                   \
            return 2;                                                                              \
        }                                                                                          \
        int rc = t_run(__FILE__, cases, sizeof fns / sizeof *fns, argc, argv);                     \
        for (size_t i = 0; i < sizeof fns / sizeof *fns; i++)                                      \
            if (strcmp(cases[i].name, "?") != 0)                                                   \
                free((void *)cases[i].name);                                                       \
        return rc;                                                                                 \
    }

/* Temporary directories made by t_tmpdir, removed when the program ends
 * (kept when $IAPT_KEEP_TMP is set, for debugging). */
static char t_dirs[256][512];
static int t_ndirs;

static int
t_rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void
t_cleanup(void)
{
    if (getenv("IAPT_KEEP_TMP"))
        return;
    for (int i = 0; i < t_ndirs; i++)
        nftw(t_dirs[i], t_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    t_ndirs = 0;
}

/* A fresh temporary directory for a test (mkdtemp under $TMPDIR or /tmp);
 * the path is static storage, valid until the next call. Removed with all
 * its contents when the test program exits. */
static inline const char *
t_tmpdir(void)
{
    static char path[512];
    const char *base = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/iapt-test-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(path)) {
        perror("mkdtemp");
        exit(2);
    }
    if (t_ndirs == 0)
        atexit(t_cleanup);
    if (t_ndirs < 256)
        memcpy(t_dirs[t_ndirs++], path, sizeof path);
    return path;
}

#endif
