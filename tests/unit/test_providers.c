/* test_providers.c - the hub's provider file (common/providers.h): what it
 * takes, and every refusal naming the file, line and reason. */

#include "common/err.h"
#include "common/providers.h"
#include "tests/test.h"

#include <string.h>

static void
test_good(void)
{
    const char text[] = "org_code,org_name,home_subicb,extra\n"
                        "RH9,\"Plymouth, and District\",15N,x\n"
                        "4X641,Bournemouth Talking Therapies,,y\n"
                        "\n"
                        "A1B,Third,00L,z\n";
    iapt_providers_t *p = NULL;
    CHECK_EQ_INT(iapt_providers_parse(text, sizeof text - 1, "providers.csv", &p), 0);
    CHECK_EQ_INT(iapt_providers_count(p), 3);
    CHECK_EQ_STR(iapt_providers_at(p, 0)->org_code, "4X641"); /* sorted */
    const iapt_provider_t *e = iapt_providers_find(p, "RH9");
    CHECK(e != NULL);
    if (e) {
        CHECK_EQ_STR(e->org_name, "Plymouth, and District");
        CHECK_EQ_STR(e->home_subicb, "15N");
        CHECK_EQ_INT(e->line, 2);
    }
    e = iapt_providers_find(p, "4X641");
    CHECK(e && strcmp(e->home_subicb, "") == 0); /* no home: England and Provider only */
    CHECK(iapt_providers_find(p, "ZZZ") == NULL);
    CHECK(iapt_providers_find(NULL, "RH9") == NULL);
    iapt_providers_destroy(&p);
    CHECK(p == NULL);
    iapt_providers_destroy(&p);

    /* The synthetic sets' older header: name for org_name. */
    const char old[] = "org_code,name,home_subicb\nRH9,Plymouth,15N\n";
    CHECK_EQ_INT(iapt_providers_parse(old, sizeof old - 1, "p.csv", &p), 0);
    CHECK(p && strcmp(iapt_providers_find(p, "RH9")->org_name, "Plymouth") == 0);
    iapt_providers_destroy(&p);
}

static void
test_refused(void)
{
    static const struct {
        const char *text, *detail;
    } bad[] = {
        {"", "providers.csv:1: empty file"},
        {"org_name,home_subicb\nX,00L\n", "providers.csv:1: no column org_code"},
        {"org_code,org_name\nRH9,X\n", "providers.csv:1: no column home_subicb"},
        {"org_code,org_name,home_subicb\nRH9,X,15N\nR H9,Y,15N\n",
         "providers.csv:3: org_code 'R H9' is not an organisation code"},
        {"org_code,org_name,home_subicb\nRH9,X,15n\n",
         "providers.csv:2: home_subicb '15n' is not 3 to 5 of [A-Z0-9] (or empty)"},
        {"org_code,org_name,home_subicb\nRH9,X,123456\n", "providers.csv:2: home_subicb '123456'"},
        {"org_code,org_name,home_subicb\nRH9,X\n", "providers.csv:2: 2 fields"},
        {"org_code,org_name,home_subicb\nRH9,X,15N\nRAV,Y,00L\nRH9,Z,00L\n",
         "providers.csv:4: org_code RH9 given again (first at line 2)"},
        {"org_code,org_name,home_subicb\nRH9,\"X,15N\n", "providers.csv:2"}, /* open quote */
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        iapt_providers_t *p = NULL;
        int rc = iapt_providers_parse(bad[i].text, strlen(bad[i].text), "providers.csv", &p);
        CHECK_EQ_INT(rc, IAPT_EFORMAT);
        CHECK(p == NULL);
        if (!strstr(iapt_error_detail(), bad[i].detail)) {
            fprintf(stderr, "case %zu: detail '%s', want '%s'\n", i, iapt_error_detail(),
                    bad[i].detail);
            CHECK(0);
        }
    }
    iapt_providers_t *p = NULL;
    CHECK_EQ_INT(iapt_providers_load("/nonexistent/providers.csv", &p), IAPT_ENOTFOUND);
    CHECK(p == NULL);
}

TEST_MAIN(test_good, test_refused)
