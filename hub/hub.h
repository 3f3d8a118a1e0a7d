/*
 * hub.h - the iapt-hub process: configuration, shared state, threads.
 *
 * Threads: the caller's thread runs the submit endpoint (the only LMDB
 * writer) and handles signals; a ZAP thread authenticates every CURVE
 * handshake against the registry; a query thread answers the query endpoint
 * with read transactions. The registry is swapped atomically on reload
 * (SIGHUP): each thread takes a reference per message through
 * iapt_hub_registry(), so a revoked key is refused from the next message on.
 *
 * Configuration file (common/config.h), paths relative to the file:
 *   name = iapt-hub.example/log       log origin and checkpoint key name
 *   identity = hub.secret             the hub's keys (iapt-keygen --role hub)
 *   registry = registry.csv
 *   geography = geography.csv         optional
 *   targets = sha-2012-targets.csv    optional (access and 2015 targets view)
 *   tools = assessment-tools.csv      optional (built-in PHQ-9 / GAD-7)
 *   providers = providers.csv         optional: org_code,org_name,home_subicb
 *                                     (common/providers.h); read at start
 *   <collection table key> = FILE     optional: a collection's own table
 *                                     (iapt_measure_schema.config.key, e.g.
 *                                     cyp-tools); else its default file or
 *                                     built-in table
 *   data-dir = /var/lib/iapt-hub
 *   submit-endpoint = tcp://127.0.0.1:7001
 *   query-endpoint = tcp://127.0.0.1:7002
 *   map-size-mb = 1024, map-max-mb = 262144
 *   max-message-mb = 4, max-records = 20000000, max-transfers = 2,
 *   window = 8, deadline-day = 20, log-level = info
 *   abandon-days = 14                 transfers idle this long are forgotten
 *                                     (fractions allowed: 0.5 is twelve hours)
 *   expire-interval-s = 3600          how often, while serving, to forget them
 *   max-queued-mb = 64                cap on the bytes of received messages the
 *                                     submit endpoint holds before handling
 *                                     them, over all connections; past it a
 *                                     message is refused REFUSE_BUSY, the
 *                                     connection kept (>= 2 x max-message-mb)
 */
#ifndef IAPT_HUB_HUB_H
#define IAPT_HUB_HUB_H

#include "common/geography.h"
#include "common/providers.h"
#include "common/keys.h"
#include "common/registry.h"
#include "common/tools.h"
#include "hub/ingest.h"
#include "hub/store.h"

#include <pthread.h>
#include <stdatomic.h>

#define IAPT_PATH_MAX 1024

typedef struct iapt_hub_config {
    char name[256];
    char identity[IAPT_PATH_MAX];
    char registry[IAPT_PATH_MAX];
    char geography[IAPT_PATH_MAX]; /* "" when not configured */
    char tools[IAPT_PATH_MAX];     /* "" for the built-in table */
    char targets[IAPT_PATH_MAX];   /* "" when not configured */
    char providers[IAPT_PATH_MAX]; /* "" when not configured */
    /* Tables of the other collections by registry index ("": default). */
    char tables[IAPT_INGEST_COLLECTIONS_MAX][IAPT_PATH_MAX];
    char data_dir[IAPT_PATH_MAX];
    char submit_endpoint[256];
    char query_endpoint[256];
    size_t map_size;
    size_t map_max;
    double abandon_days;   /* receiving transfers idle this long are forgotten */
    int expire_interval_s; /* how often the serve loop looks for them */
    size_t max_queued;     /* bytes of messages held before they are handled */
    iapt_ingest_limits_t limits;
} iapt_hub_config_t;

typedef struct iapt_hub {
    iapt_hub_config_t cfg;
    void *zctx;
    iapt_identity_t *id;
    iapt_store_t *st;
    iapt_tools_t tools;
    iapt_geography_t *geo;                     /* NULL when not configured */
    iapt_sha_targets_t *targets;               /* NULL when not configured */
    iapt_providers_t *providers;               /* NULL when not configured */
    void *config[IAPT_INGEST_COLLECTIONS_MAX]; /* other collections' tables, owned */
    iapt_ingest_tables_t tables;               /* what derivation reads (points into the above) */
    pthread_mutex_t reg_lock;
    iapt_registry_t *reg;
    atomic_int stop;
    void *zap; /* ZAP REP socket, owned by the ZAP thread once started */
    pthread_t zap_thread, query_thread;
    int zap_started, query_started;
} iapt_hub_t;

/* Read a configuration file into cfg. IAPT_EUSAGE with the setting named. */
int iapt_hub_config_load(const char *path, iapt_hub_config_t *cfg /* out */);

/* Load keys, registry, tools, geography and open the store. */
int iapt_hub_open(const iapt_hub_config_t *cfg, iapt_hub_t **out /* out, owned */);

/* Bind the endpoints, start the threads and serve until SIGTERM / SIGINT
 * (SIGHUP reloads the registry). Block those signals in every thread
 * before calling (iapt_hub_block_signals). 0 on a clean stop. */
int iapt_hub_run(iapt_hub_t *hub);

void iapt_hub_block_signals(void);

/* Reload the registry file; on failure the old registry stays. */
int iapt_hub_reload(iapt_hub_t *hub);

/* A reference to the current registry; release with iapt_registry_release. */
iapt_registry_t *iapt_hub_registry(iapt_hub_t *hub);

/* The registry row of a connection from its ZAP user id "ORG/role/<curve
 * key>", looked up in `reg` (so revocations apply at once). NULL if none. */
const iapt_registry_entry_t *iapt_hub_peer(const iapt_registry_t *reg, const char *user_id);

void iapt_hub_close(iapt_hub_t **hub_p);

/* Threads (hub/zap.c, hub/query_server.c, hub/submit_server.c). */
int iapt_zap_start(iapt_hub_t *hub);
void iapt_zap_join(iapt_hub_t *hub);
int iapt_query_start(iapt_hub_t *hub);
void iapt_query_join(iapt_hub_t *hub);
int iapt_submit_serve(iapt_hub_t *hub, int signal_fd);

/* Answer a Ping from `peer` on `endpoint` ("submit" or "query") with a Pong
 * packed into reply (hub/pong.c). 0 or IAPT_ENOMEM. */
int iapt_hub_pong(const iapt_hub_t *hub, const iapt_registry_entry_t *peer, const char *endpoint,
                  iapt_buf_t *reply /* out */);

#endif
