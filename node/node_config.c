/* node_config.c - the node's configuration file. */
#include "node/node_config.h"
#include "common/config.h"
#include "common/err.h"
#include "common/util.h"

#include <string.h>

static const char *const s_keys[] = {"org",      "identity",         "hub-public", "hub-endpoint",
                                     "hub-name", "pseudo-key",       "outbox",     "imd-lookup",
                                     "tools",    "reply-timeout-ms", "chunk-kb",   "query-endpoint",
                                     NULL};

int
iapt_node_config_load(const char *path, iapt_node_config_t *cfg)
{
    iapt_config_t *c = NULL;
    int rc;
    memset(cfg, 0, sizeof *cfg);
    if ((rc = iapt_config_load(path, &c)) < 0)
        return rc;
    if ((rc = iapt_config_check(c, s_keys)) < 0)
        goto out;
    const char *org = iapt_config_get(c, "org"), *ep = iapt_config_get(c, "hub-endpoint");
    const char *name = iapt_config_get(c, "hub-name");
    if (!org || !iapt_org_code_valid(org)) {
        rc = iapt_error_set(IAPT_EUSAGE, "'org' must be the provider's ODS code");
        goto out;
    }
    iapt_strlcpy(cfg->org, org, sizeof cfg->org);
    if (!ep) {
        rc = iapt_error_set(IAPT_EUSAGE, "'hub-endpoint' is required");
        goto out;
    }
    iapt_strlcpy(cfg->hub_endpoint, ep, sizeof cfg->hub_endpoint);
    if (name)
        iapt_strlcpy(cfg->hub_name, name, sizeof cfg->hub_name);
    const char *qep = iapt_config_get(c, "query-endpoint");
    if (qep)
        iapt_strlcpy(cfg->query_endpoint, qep, sizeof cfg->query_endpoint);
    if ((rc = iapt_config_path_opt(c, "identity", cfg->identity, sizeof cfg->identity, 1)) < 0 ||
        (rc = iapt_config_path_opt(c, "hub-public", cfg->hub_public, sizeof cfg->hub_public, 1)) <
            0 ||
        (rc = iapt_config_path_opt(c, "pseudo-key", cfg->pseudo_key, sizeof cfg->pseudo_key, 1)) <
            0 ||
        (rc = iapt_config_path_opt(c, "outbox", cfg->outbox, sizeof cfg->outbox, 1)) < 0 ||
        (rc = iapt_config_path_opt(c, "imd-lookup", cfg->imd_lookup, sizeof cfg->imd_lookup, 0)) <
            0 ||
        (rc = iapt_config_path_opt(c, "tools", cfg->tools, sizeof cfg->tools, 0)) < 0)
        goto out;
    if ((rc = iapt_config_get_long(c, "reply-timeout-ms", 10000, 100, 3600000,
                                   &cfg->reply_timeout_ms)) < 0)
        goto out;
    rc = iapt_config_get_long(c, "chunk-kb", 1024, 8, 262144, &cfg->chunk_kb);
out:
    iapt_config_destroy(&c);
    return rc;
}
