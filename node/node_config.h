/*
 * node_config.h - the node's configuration file (common/config.h syntax),
 * paths relative to the file:
 *   org = RAT                           this provider's ODS code
 *   identity = RAT.secret               its keys (iapt-keygen --role provider)
 *   hub-public = hub.pub                the hub's public keys
 *   hub-endpoint = tcp://hub.example:7001
 *   hub-name = iapt-hub.example/log     checkpoint key name (optional)
 *   pseudo-key = pseudo.key             national pseudonymisation key
 *   outbox = /var/lib/iapt-node         outbox directory
 *   imd-lookup = imd.csv                optional postcode prefix -> IMD decile
 *   tools = assessment-tools.csv        optional: the adult collection's tool
 *                                       table; another collection's is under
 *                                       its schema's tools_key (e.g. cyp-tools)
 *   collection = IAPT                   optional: what check and submit read
 *                                       when --collection is not given
 *   reply-timeout-ms = 10000            optional
 *   max-rejected-share = 0.20           optional: the plausibility gate refuses a
 *                                       month with more referrals rejected (0..1)
 *   chunk-kb = 1024                     optional: largest chunk sent (the hub's
 *                                       limit applies when smaller)
 *   query-endpoint = tcp://hub.example:7002   optional: the hub's query
 *                                       endpoint, where `status` asks what became
 *                                       of a submission held for review and
 *                                       `resync` asks for the latest sequence
 */
#ifndef IAPT_NODE_CONFIG_H
#define IAPT_NODE_CONFIG_H

#include "common/keys.h"

#define IAPT_NODE_PATH_MAX 1024
#define IAPT_NODE_MAX_COLLECTIONS 8

typedef struct iapt_node_config {
    char org[IAPT_ORG_MAX];
    char identity[IAPT_NODE_PATH_MAX];
    char hub_public[IAPT_NODE_PATH_MAX];
    char hub_endpoint[256];
    char hub_name[256];       /* "" when not set */
    char query_endpoint[256]; /* "" when not set */
    char pseudo_key[IAPT_NODE_PATH_MAX];
    char outbox[IAPT_NODE_PATH_MAX];
    char imd_lookup[IAPT_NODE_PATH_MAX]; /* "" when not set */
    char tools[IAPT_NODE_PATH_MAX];      /* "" when not set */
    /* The site's default collection (its name), "" when not set. */
    char collection[32];
    /* Each registered collection's tool table by registry index ("" when
     * not set; [0] is `tools`). */
    char coll_tools[IAPT_NODE_MAX_COLLECTIONS][IAPT_NODE_PATH_MAX];
    long reply_timeout_ms;
    long chunk_kb;
    double max_rejected_share; /* node/gate.h; default 0.20 */
} iapt_node_config_t;

/* Read the file. IAPT_EUSAGE naming the missing or bad setting (an unknown
 * `collection` names the registered ones). */
int iapt_node_config_load(const char *path, iapt_node_config_t *cfg /* out */);

struct iapt_collection;

/* The collection check and submit use: `name` when given (--collection),
 * else the configuration's (cfg may be NULL), else the default one. NULL
 * with IAPT_EUSAGE naming the registered ones when the name is unknown,
 * or when the collection has no node half. */
const struct iapt_collection *iapt_node_collection(const char *name, const iapt_node_config_t *cfg);

#endif
