/*
 * test_config.c - path values of configuration files: relative to the file,
 * absolute, and ${CREDENTIALS_DIRECTORY}/NAME (systemd LoadCredential=).
 */
#include "common/config.h"
#include "common/err.h"
#include "tests/test.h"

#include <stdlib.h>
#include <string.h>

static iapt_config_t *
s_load(const char *dir, const char *text)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/t.conf", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return NULL;
    fputs(text, f);
    fclose(f);
    iapt_config_t *cfg = NULL;
    if (iapt_config_load(path, &cfg) < 0)
        return NULL;
    return cfg;
}

static void
test_paths(void)
{
    char dir[] = "/tmp/iapt-test-config-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    iapt_config_t *cfg = s_load(dir, "rel = keys/hub.secret\n"
                                     "abs = /etc/iapt/hub.secret\n"
                                     "cred = ${CREDENTIALS_DIRECTORY}/hub.secret\n"
                                     "bare = ${CREDENTIALS_DIRECTORY}\n"
                                     "other = ${HOME}/x\n");
    CHECK(cfg != NULL);
    if (!cfg)
        return;
    char out[1024], want[1100];

    CHECK_EQ_INT(iapt_config_path(cfg, "rel", out, sizeof out), 0);
    snprintf(want, sizeof want, "%s/keys/hub.secret", dir);
    CHECK_EQ_STR(out, want);
    CHECK_EQ_INT(iapt_config_path(cfg, "abs", out, sizeof out), 0);
    CHECK_EQ_STR(out, "/etc/iapt/hub.secret");
    CHECK_EQ_INT(iapt_config_path(cfg, "absent", out, sizeof out), IAPT_ENOTFOUND);

    /* Set by systemd for a unit with LoadCredential=. */
    setenv("CREDENTIALS_DIRECTORY", "/run/credentials/iapt-hub.service", 1);
    CHECK_EQ_INT(iapt_config_path(cfg, "cred", out, sizeof out), 0);
    CHECK_EQ_STR(out, "/run/credentials/iapt-hub.service/hub.secret");
    /* Only that one variable, only as the whole first component. */
    CHECK_EQ_INT(iapt_config_path(cfg, "bare", out, sizeof out), IAPT_EUSAGE);
    CHECK(strstr(iapt_error_detail(), "bare") != NULL);
    CHECK_EQ_INT(iapt_config_path(cfg, "other", out, sizeof out), 0);
    snprintf(want, sizeof want, "%s/${HOME}/x", dir);
    CHECK_EQ_STR(out, want);
    char small[16];
    CHECK_EQ_INT(iapt_config_path(cfg, "cred", small, sizeof small), IAPT_EUSAGE);

    /* Unset or relative: a clear usage error naming the key, never a guess. */
    unsetenv("CREDENTIALS_DIRECTORY");
    CHECK_EQ_INT(iapt_config_path(cfg, "cred", out, sizeof out), IAPT_EUSAGE);
    CHECK(strstr(iapt_error_detail(), "cred") != NULL);
    CHECK(strstr(iapt_error_detail(), "LoadCredential") != NULL);
    setenv("CREDENTIALS_DIRECTORY", "relative/dir", 1);
    CHECK_EQ_INT(iapt_config_path_opt(cfg, "cred", out, sizeof out, 1), IAPT_EUSAGE);
    unsetenv("CREDENTIALS_DIRECTORY");

    iapt_config_destroy(&cfg);
    snprintf(out, sizeof out, "%s/t.conf", dir);
    unlink(out);
    rmdir(dir);
}

TEST_MAIN(test_paths)
