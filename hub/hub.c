/* hub.c - iapt-hub configuration, start-up and the registry snapshot. */
#include "common/collection.h"
#include "common/measure_schema.h"
#include "hub/hub.h"
#include "common/config.h"
#include "common/err.h"
#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include <zmq.h>

static const char *const s_keys[] = {
    "name",           "identity",
    "registry",       "geography",
    "tools",          "targets",
    "data-dir",       "submit-endpoint",
    "query-endpoint", "map-size-mb",
    "map-max-mb",     "max-message-mb",
    "max-records",    "max-transfers",
    "window",         "deadline-day",
    "log-level",      "abandon-days",
    "max-queued-mb",  "expire-interval-s",
    "providers",      NULL,
};

/* The keys above and every registered collection's table key (the adult
 * collection's is "tools", already there). */
static const char *const *
s_all_keys(void)
{
    static const char *keys[sizeof s_keys / sizeof *s_keys + IAPT_INGEST_COLLECTIONS_MAX];
    size_t n = 0, nc;
    for (; s_keys[n]; n++)
        keys[n] = s_keys[n];
    const iapt_collection_t *const *cols = iapt_collections(&nc);
    for (size_t i = 0; i < nc && i < IAPT_INGEST_COLLECTIONS_MAX; i++) {
        const char *k = cols[i]->hub ? cols[i]->hub->config.key : NULL;
        bool have = false;
        for (size_t j = 0; k && j < n; j++)
            have |= strcmp(keys[j], k) == 0;
        if (k && !have)
            keys[n++] = k;
    }
    keys[n] = NULL;
    return keys;
}

/* abandon-days: a number of days, fractions allowed (0.5 is twelve hours). */
static int
s_abandon_days(const iapt_config_t *c, double *out)
{
    const char *s = iapt_config_get(c, "abandon-days");
    *out = 14;
    if (!s)
        return 0;
    char *end = NULL;
    errno = 0;
    double d = strtod(s, &end);
    if (errno || end == s || *end || !(d > 0) || d > 3650)
        return iapt_error_set(IAPT_EUSAGE,
                              "abandon-days = '%s': a number of days above 0 and at most 3650 "
                              "(fractions allowed)",
                              s);
    *out = d;
    return 0;
}

int
iapt_hub_config_load(const char *path, iapt_hub_config_t *cfg)
{
    int rc;
    iapt_config_t *c = NULL;
    long v;

    memset(cfg, 0, sizeof *cfg);
    iapt_ingest_limits_default(&cfg->limits);
    if ((rc = iapt_config_load(path, &c)) < 0)
        return rc;
    if ((rc = iapt_config_check(c, s_all_keys())) < 0)
        goto out;
    const char *name = iapt_config_get(c, "name");
    if (!name || !*name || strpbrk(name, " +\t")) {
        rc = iapt_error_set(IAPT_EUSAGE, "'name' is required, without spaces or '+'");
        goto out;
    }
    iapt_strlcpy(cfg->name, name, sizeof cfg->name);
    if ((rc = iapt_config_path_opt(c, "identity", cfg->identity, sizeof cfg->identity, 1)) < 0 ||
        (rc = iapt_config_path_opt(c, "registry", cfg->registry, sizeof cfg->registry, 1)) < 0 ||
        (rc = iapt_config_path_opt(c, "geography", cfg->geography, sizeof cfg->geography, 0)) < 0 ||
        (rc = iapt_config_path_opt(c, "tools", cfg->tools, sizeof cfg->tools, 0)) < 0 ||
        (rc = iapt_config_path_opt(c, "targets", cfg->targets, sizeof cfg->targets, 0)) < 0 ||
        (rc = iapt_config_path_opt(c, "providers", cfg->providers, sizeof cfg->providers, 0)) < 0 ||
        (rc = iapt_config_path_opt(c, "data-dir", cfg->data_dir, sizeof cfg->data_dir, 1)) < 0)
        goto out;
    size_t nc;
    const iapt_collection_t *const *cols = iapt_collections(&nc);
    for (size_t i = 0; i < nc; i++) {
        const iapt_collection_t *col = cols[i];
        const char *key = col->hub ? col->hub->config.key : NULL;
        if (col->index == 0 || col->index >= IAPT_INGEST_COLLECTIONS_MAX || !key)
            continue; /* the adult table is `tools` above */
        if ((rc = iapt_config_path_opt(c, key, cfg->tables[col->index], IAPT_PATH_MAX, 0)) < 0)
            goto out;
    }
    const char *se = iapt_config_get(c, "submit-endpoint");
    const char *qe = iapt_config_get(c, "query-endpoint");
    if (!se || !qe) {
        rc = iapt_error_set(IAPT_EUSAGE, "'submit-endpoint' and 'query-endpoint' are required");
        goto out;
    }
    iapt_strlcpy(cfg->submit_endpoint, se, sizeof cfg->submit_endpoint);
    iapt_strlcpy(cfg->query_endpoint, qe, sizeof cfg->query_endpoint);
    if ((rc = iapt_config_get_long(c, "map-size-mb", 1024, 1, 1 << 24, &v)) < 0)
        goto out;
    cfg->map_size = (size_t)v << 20;
    if ((rc = iapt_config_get_long(c, "map-max-mb", 256 * 1024, 1, 1 << 26, &v)) < 0)
        goto out;
    cfg->map_max = (size_t)v << 20;
    if ((rc = iapt_config_get_long(c, "max-message-mb", 4, 1, 256, &v)) < 0)
        goto out;
    cfg->limits.max_message = (size_t)v << 20;
    if ((rc = iapt_config_get_long(c, "max-records", 20000000, 1, 1000000000, &v)) < 0)
        goto out;
    cfg->limits.max_records = (uint64_t)v;
    if ((rc = iapt_config_get_long(c, "max-transfers", 2, 1, 64, &v)) < 0)
        goto out;
    cfg->limits.max_transfers = (int)v;
    if ((rc = iapt_config_get_long(c, "window", 8, 1, 1024, &v)) < 0)
        goto out;
    cfg->limits.window = (uint32_t)v;
    if ((rc = iapt_config_get_long(c, "deadline-day", 20, 1, 28, &v)) < 0)
        goto out;
    cfg->limits.deadline_day = (int)v;
    if ((rc = s_abandon_days(c, &cfg->abandon_days)) < 0)
        goto out;
    /* Messages held before they are handled: the hub's own batch plus what
     * libzmq may queue; at least two of the largest messages. */
    if ((rc = iapt_config_get_long(c, "max-queued-mb", 64, 1, 1 << 16, &v)) < 0)
        goto out;
    cfg->max_queued = (size_t)v << 20;
    if (cfg->max_queued < 2 * cfg->limits.max_message) {
        rc = iapt_error_set(IAPT_EUSAGE,
                            "max-queued-mb = %ld is below twice max-message-mb (%zu): raise it "
                            "or lower max-message-mb",
                            v, cfg->limits.max_message >> 20);
        goto out;
    }
    if ((rc = iapt_config_get_long(c, "expire-interval-s", 3600, 1, 86400, &v)) < 0)
        goto out;
    cfg->expire_interval_s = (int)v;
    const char *lvl = iapt_config_get(c, "log-level");
    if (lvl) {
        int l = iapt_log_level_parse(lvl);
        if (l < 0) {
            rc = iapt_error_set(IAPT_EUSAGE, "log-level: error, warn, info or debug");
            goto out;
        }
        iapt_log_set_level((enum iapt_log_level)l);
    }
out:
    iapt_config_destroy(&c);
    return rc;
}

int
iapt_hub_open(const iapt_hub_config_t *cfg, iapt_hub_t **out)
{
    int rc;
    iapt_hub_t *hub = calloc(1, sizeof *hub);
    if (!hub)
        return IAPT_ENOMEM;
    hub->cfg = *cfg;
    pthread_mutex_init(&hub->reg_lock, NULL);
    atomic_init(&hub->stop, 0);
    if ((rc = iapt_identity_load(cfg->identity, &hub->id)) < 0)
        goto out_fail;
    if (strcmp(hub->id->role, "hub") != 0) {
        rc = iapt_error_set(IAPT_EUSAGE, "%s: role is %s, not hub", cfg->identity, hub->id->role);
        goto out_fail;
    }
    if ((rc = iapt_registry_load(cfg->registry, &hub->reg)) < 0)
        goto out_fail;
    if (cfg->tools[0]) {
        if ((rc = iapt_tools_load(cfg->tools, &hub->tools)) < 0)
            goto out_fail;
    } else {
        iapt_tools_default(&hub->tools);
    }
    if (cfg->geography[0] && (rc = iapt_geography_load(cfg->geography, &hub->geo)) < 0)
        goto out_fail;
    if (cfg->targets[0] && (rc = iapt_sha_targets_load(cfg->targets, &hub->targets)) < 0)
        goto out_fail;
    if (cfg->providers[0] && (rc = iapt_providers_load(cfg->providers, &hub->providers)) < 0)
        goto out_fail;
    hub->tables.config[0] = &hub->tools;
    hub->tables.providers = hub->providers;
    size_t nc;
    const iapt_collection_t *const *cols = iapt_collections(&nc);
    for (size_t i = 0; i < nc; i++) {
        const iapt_collection_t *col = cols[i];
        if (col->index == 0 || col->index >= IAPT_INGEST_COLLECTIONS_MAX || !col->hub ||
            !col->hub->config.load)
            continue;
        bool named = cfg->tables[col->index][0] != 0;
        const char *path = named ? cfg->tables[col->index] : col->hub->config.default_file;
        if ((rc = col->hub->config.load(path, &hub->config[col->index])) < 0) {
            /* A table hub.conf names must load; without one, a missing
             * default file leaves the collection without its table: the
             * hub serves, and refuses that collection's submissions. */
            if (named || rc != IAPT_ENOTFOUND)
                goto out_fail;
            iapt_log_warn("%s: no %s table (%s; set '%s' in hub.conf): %s submissions are "
                          "refused",
                          col->name, col->hub->config.key, iapt_error_detail(),
                          col->hub->config.key, col->name);
            hub->config[col->index] = NULL;
            rc = 0;
            continue;
        }
        hub->tables.config[col->index] = hub->config[col->index];
    }
    if ((rc = iapt_store_open(cfg->data_dir, cfg->map_size, cfg->map_max, &hub->st)) < 0)
        goto out_fail;
    *out = hub;
    return 0;

out_fail:
    iapt_hub_close(&hub);
    return rc;
}

void
iapt_hub_close(iapt_hub_t **hub_p)
{
    iapt_hub_t *hub = *hub_p;
    if (!hub)
        return;
    iapt_store_close(&hub->st);
    iapt_geography_destroy(&hub->geo);
    iapt_sha_targets_destroy(&hub->targets);
    iapt_providers_destroy(&hub->providers);
    size_t nc;
    const iapt_collection_t *const *cols = iapt_collections(&nc);
    for (size_t i = 0; i < nc; i++)
        if (cols[i]->index < IAPT_INGEST_COLLECTIONS_MAX && hub->config[cols[i]->index] &&
            cols[i]->hub && cols[i]->hub->config.free)
            cols[i]->hub->config.free(hub->config[cols[i]->index]);
    iapt_registry_release(&hub->reg);
    iapt_identity_destroy(&hub->id);
    pthread_mutex_destroy(&hub->reg_lock);
    free(hub);
    *hub_p = NULL;
}

iapt_registry_t *
iapt_hub_registry(iapt_hub_t *hub)
{
    pthread_mutex_lock(&hub->reg_lock);
    iapt_registry_t *r = iapt_registry_ref(hub->reg);
    pthread_mutex_unlock(&hub->reg_lock);
    return r;
}

int
iapt_hub_reload(iapt_hub_t *hub)
{
    iapt_registry_t *fresh = NULL;
    int rc = iapt_registry_load(hub->cfg.registry, &fresh);
    if (rc < 0) {
        iapt_log_error("registry reload failed, keeping the previous one: %s", iapt_error_detail());
        return rc;
    }
    pthread_mutex_lock(&hub->reg_lock);
    iapt_registry_t *old = hub->reg;
    hub->reg = fresh;
    pthread_mutex_unlock(&hub->reg_lock);
    iapt_registry_release(&old);
    iapt_log_info("registry reloaded: %zu keys", iapt_registry_count(fresh));
    return 0;
}

const iapt_registry_entry_t *
iapt_hub_peer(const iapt_registry_t *reg, const char *user_id)
{
    if (!user_id)
        return NULL;
    /* "ORG/role/<key>": org and role never hold '/', but Z85 keys may. */
    const char *role = strchr(user_id, '/');
    const char *key = role ? strchr(role + 1, '/') : NULL;
    if (!key || strlen(key + 1) != IAPT_Z85_KEY_LEN)
        return NULL;
    return iapt_registry_by_curve(reg, key + 1);
}

void
iapt_hub_block_signals(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
}

int
iapt_hub_run(iapt_hub_t *hub)
{
    int rc;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    int sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (sfd < 0)
        return iapt_error_set(IAPT_EIO, "signalfd: %s", strerror(errno));
    hub->zctx = zmq_ctx_new();
    if (!hub->zctx) {
        close(sfd);
        return iapt_error_set(IAPT_EZMQ, "zmq_ctx_new: %s", zmq_strerror(errno));
    }
    zmq_ctx_set(hub->zctx, ZMQ_IO_THREADS, 1);
    /* The ZAP handler is bound before any CURVE socket exists, so no
     * handshake is ever decided without it. */
    if ((rc = iapt_zap_start(hub)) < 0)
        goto out;
    if ((rc = iapt_query_start(hub)) < 0)
        goto out;
    rc = iapt_submit_serve(hub, sfd);
out:
    atomic_store(&hub->stop, 1);
    iapt_query_join(hub);
    iapt_zap_join(hub);
    zmq_ctx_term(hub->zctx);
    hub->zctx = NULL;
    close(sfd);
    return rc;
}
