/* node_config.c - the node's configuration file. */
#include "node/node_config.h"
#include "common/collection.h"
#include "common/config.h"
#include "common/err.h"
#include "common/util.h"
#include "node/gate.h"
#include "node/schema.h"

#include <string.h>

static const char *const s_fixed_keys[] = {"org",
                                           "identity",
                                           "hub-public",
                                           "hub-endpoint",
                                           "hub-name",
                                           "pseudo-key",
                                           "outbox",
                                           "imd-lookup",
                                           "tools",
                                           "reply-timeout-ms",
                                           "chunk-kb",
                                           "max-rejected-share",
                                           "query-endpoint",
                                           "collection",
                                           NULL};

/* The fixed keys and every registered collection's tool-table key. */
static void
s_keys(const char **keys, size_t cap)
{
    size_t n = 0, nc;
    const iapt_collection_t *const *all = iapt_collections(&nc);
    for (; s_fixed_keys[n] && n + 1 < cap; n++)
        keys[n] = s_fixed_keys[n];
    for (size_t i = 0; i < nc && n + 1 < cap; i++) {
        const char *k = all[i]->node ? all[i]->node->tools_key : NULL;
        bool dup = false;
        for (size_t j = 0; k && j < n; j++)
            dup = dup || strcmp(keys[j], k) == 0;
        if (k && !dup)
            keys[n++] = k;
    }
    keys[n] = NULL;
}

const iapt_collection_t *
iapt_node_collection(const char *name, const iapt_node_config_t *cfg)
{
    const iapt_collection_t *c;
    if (!name && cfg && cfg->collection[0])
        name = cfg->collection;
    c = name ? iapt_collection_find(name) : iapt_collection_default();
    if (!c) {
        iapt_error_set(IAPT_EUSAGE, "no collection '%s'; the collections are %s", name,
                       iapt_collection_names());
        return NULL;
    }
    if (!c->node) {
        iapt_error_set(IAPT_EUSAGE, "the %s collection cannot be read at the node yet", c->name);
        return NULL;
    }
    return c;
}

int
iapt_node_config_load(const char *path, iapt_node_config_t *cfg)
{
    iapt_config_t *c = NULL;
    int rc;
    memset(cfg, 0, sizeof *cfg);
    if ((rc = iapt_config_load(path, &c)) < 0)
        return rc;
    const char *keys[64];
    s_keys(keys, sizeof keys / sizeof *keys);
    if ((rc = iapt_config_check(c, keys)) < 0)
        goto out;
    const char *coll = iapt_config_get(c, "collection");
    if (coll) {
        if (!iapt_collection_find(coll)) {
            rc = iapt_error_set(IAPT_EUSAGE,
                                "'collection = %s' names no collection; the "
                                "collections are %s",
                                coll, iapt_collection_names());
            goto out;
        }
        iapt_strlcpy(cfg->collection, coll, sizeof cfg->collection);
    }
    size_t nc;
    const iapt_collection_t *const *all = iapt_collections(&nc);
    for (size_t i = 0; i < nc; i++) {
        const char *k = all[i]->node ? all[i]->node->tools_key : NULL;
        if (!k || all[i]->index >= IAPT_NODE_MAX_COLLECTIONS)
            continue;
        if ((rc = iapt_config_path_opt(c, k, cfg->coll_tools[all[i]->index],
                                       sizeof cfg->coll_tools[0], 0)) < 0)
            goto out;
    }
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
    if ((rc = iapt_config_get_long(c, "chunk-kb", 1024, 8, 262144, &cfg->chunk_kb)) < 0)
        goto out;
    cfg->max_rejected_share = IAPT_GATE_MAX_REJECTED_SHARE_DEFAULT;
    if (iapt_config_get(c, "max-rejected-share"))
        rc = iapt_gate_share_parse(iapt_config_get(c, "max-rejected-share"),
                                   &cfg->max_rejected_share);
out:
    iapt_config_destroy(&c);
    return rc;
}
