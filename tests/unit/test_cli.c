/* test_cli.c - numeric option parsing, per-command usage, the version, and
 * journald priority prefixes in the log. */
#include "common/cli.h"
#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "tests/test.h"

#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <sys/stat.h>

static void
test_parse_long(void)
{
    long v = 77;
    CHECK_EQ_INT(iapt_parse_long("0", 0, 10, &v), 0);
    CHECK_EQ_INT(v, 0);
    CHECK_EQ_INT(iapt_parse_long("10", 0, 10, &v), 0);
    CHECK_EQ_INT(v, 10);
    CHECK_EQ_INT(iapt_parse_long("-5", -10, 10, &v), 0);
    CHECK_EQ_INT(v, -5);
    v = 77;
    /* Each refused, and v untouched. */
    static const char *const bad[] = {"",   "abc", "10x", " 5",  "5 ",  "+5",
                                      "-5", "11",  "0x5", "1e3", "5.0", "99999999999999999999999",
                                      NULL};
    for (const char *const *b = bad; *b; b++) {
        CHECK_EQ_INT(iapt_parse_long(*b, 0, 10, &v), IAPT_EUSAGE);
        CHECK_EQ_INT(v, 77);
    }
    CHECK_EQ_INT(iapt_parse_long(NULL, 0, 10, &v), IAPT_EUSAGE);
    CHECK_EQ_INT(iapt_parse_long("-11", -10, 10, &v), IAPT_EUSAGE);
    CHECK_EQ_INT(iapt_parse_long("-", -10, 10, &v), IAPT_EUSAGE);
    CHECK_EQ_INT(iapt_parse_long("9223372036854775807", 0, LONG_MAX, &v), 0);
    CHECK_EQ_INT(v, LONG_MAX);
    CHECK_EQ_INT(iapt_parse_long("9223372036854775808", 0, LONG_MAX, &v), IAPT_EUSAGE);
}

static void
test_parse_u64(void)
{
    uint64_t v = 5;
    CHECK_EQ_INT(iapt_parse_u64("18446744073709551615", 0, UINT64_MAX, &v), 0);
    CHECK(v == UINT64_MAX);
    v = 5;
    CHECK_EQ_INT(iapt_parse_u64("18446744073709551616", 0, UINT64_MAX, &v), IAPT_EUSAGE);
    CHECK_EQ_INT(iapt_parse_u64("-1", 0, UINT64_MAX, &v), IAPT_EUSAGE);
    CHECK_EQ_INT(iapt_parse_u64("0", 1, 9, &v), IAPT_EUSAGE);
    CHECK_EQ_INT(v, 5);
}

/* Run f with stderr redirected to a file; the file's text, malloc'd. */
static char *
s_capture_stderr(void (*f)(void), const char *path)
{
    fflush(stderr);
    int saved = dup(2);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 2);
    close(fd);
    f();
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    uint8_t *data = NULL;
    size_t len = 0;
    if (iapt_file_read(path, 1 << 20, &data, &len) < 0)
        return NULL;
    return (char *)data;
}

static long s_out;
static void
s_bad_deadline(void)
{
    CHECK_EQ_INT(iapt_cli_long("iapt-node", "--deadline", "abc", "seconds", 0, 100, &s_out),
                 IAPT_EUSAGE);
}

static void
test_cli_long_message(void)
{
    char path[] = "/tmp/iapt-test-cli-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    char *text = s_capture_stderr(s_bad_deadline, path);
    CHECK_EQ_STR(text, "iapt-node: --deadline must be a whole number of seconds between 0 and "
                       "100 (not 'abc')\n");
    free(text);
    unlink(path);
}

static void
s_usage(FILE *f)
{
    fprintf(f, "usage: x COMMAND\n\ncommands:\n"
               "  alpha --a N\n      does a\n"
               "  alphabet [--b]\n      does b\n      more b\n"
               "\nExit status: 0.\n");
}

static void
test_usage_command(void)
{
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    CHECK_EQ_INT(iapt_cli_usage_command(s_usage, "x", "alphabet", m), 0);
    fclose(m);
    CHECK_EQ_STR(text, "usage: x [options] ...\n  alphabet [--b]\n      does b\n      more b\n");
    free(text);
    CHECK_EQ_INT(iapt_cli_usage_command(s_usage, "x", "alpha", NULL), 0);
    CHECK_EQ_INT(iapt_cli_usage_command(s_usage, "x", "alp", NULL), -1);
    CHECK_EQ_INT(iapt_cli_usage_command(s_usage, "x", "Exit", NULL), -1);
    CHECK_EQ_INT(iapt_cli_usage_command(s_usage, "x", "", NULL), -1);
}

static void
test_version(void)
{
    uint8_t *data = NULL;
    size_t len = 0;
    /* The unit tests run from the repository root (tests/run-tests.sh). */
    if (iapt_file_read("VERSION", 64, &data, &len) == 0) {
        data[strcspn((char *)data, "\n")] = 0;
        CHECK_EQ_STR(iapt_version(), (char *)data);
        free(data);
    }
    CHECK(strlen(iapt_version()) > 0);
    CHECK(iapt_cli_is_help("-h") && iapt_cli_is_help("--help") && !iapt_cli_is_help("-help"));
    CHECK(iapt_cli_is_version("--version") && !iapt_cli_is_version("--v"));
}

static void
s_log_three(void)
{
    iapt_log_init("iapt-test");
    iapt_log_error("e1");
    iapt_log_warn("w1");
    iapt_log_info("i1");
    iapt_log_set_level(IAPT_LOG_DEBUG);
    iapt_log_debug("d1");
    iapt_log_set_level(IAPT_LOG_INFO);
}

static void
test_log_journal(void)
{
    char path[] = "/tmp/iapt-test-log-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    struct stat st;
    CHECK_EQ_INT(stat(path, &st), 0);
    char js[64];
    snprintf(js, sizeof js, "%ju:%ju", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino);

    /* stderr is the journal: priorities, nothing else before the level. */
    setenv("JOURNAL_STREAM", js, 1);
    char *text = s_capture_stderr(s_log_three, path);
    CHECK_EQ_STR(text, "<3>error: e1\n<4>warn: w1\n<6>info: i1\n<7>debug: d1\n");
    free(text);

    /* The variable names another file (stderr redirected elsewhere by a
     * child of the service): plain lines. */
    char other[64];
    snprintf(other, sizeof other, "%ju:%ju", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino + 1);
    setenv("JOURNAL_STREAM", other, 1);
    text = s_capture_stderr(s_log_three, path);
    CHECK(text && strstr(text, " iapt-test[") && strstr(text, "] warn: w1\n"));
    CHECK(text && !strchr(text, '<'));
    free(text);

    static const char *const junk[] = {"", "12", "a:b", "1:2:3", "1:2x"};
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
        setenv("JOURNAL_STREAM", junk[i], 1);
        iapt_log_init("iapt-test");
        CHECK_EQ_INT(iapt_log_journal(), 0);
    }
    unsetenv("JOURNAL_STREAM");
    iapt_log_init("iapt-test");
    CHECK_EQ_INT(iapt_log_journal(), 0);
    unlink(path);
}

TEST_MAIN(test_parse_long, test_parse_u64, test_cli_long_message, test_usage_command, test_version,
          test_log_journal)
