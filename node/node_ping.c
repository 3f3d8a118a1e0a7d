/* node_ping.c - iapt-node ping: check the configuration, the keys, the hub's
 * key and this provider's registration without submitting anything. */
#include "common/err.h"
#include "common/ping.h"
#include "node/node_config.h"
#include "node/sender.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

int
iapt_node_ping_main(int argc, char **argv)
{
    static const struct option longs[] = {
        {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config = NULL;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        switch (ch) {
        case 'c':
            config = optarg;
            break;
        case 'h':
            printf("usage: iapt-node ping --config FILE\n"
                   "Check the configuration, the key files, the hub's public key, the\n"
                   "connection and this key's registration at the hub, without submitting.\n"
                   "One line per check; exit 0 when all pass, 1 when the hub is unreachable\n"
                   "or refuses, 2 for a configuration error.\n");
            return 0;
        default:
            return 2;
        }
    }
    if (!config || optind != argc) {
        fprintf(stderr, "usage: iapt-node ping --config FILE\n");
        return 2;
    }
    iapt_node_config_t cfg;
    int rc = iapt_node_config_load(config, &cfg);
    if (rc < 0) {
        printf("FAIL configuration: %s: %s%s%s\n", config, iapt_strerror(rc),
               *iapt_error_detail() ? ": " : "", iapt_error_detail());
        return 2;
    }
    printf("ok   configuration: %s (org %s, hub-endpoint %s)\n", config, cfg.org, cfg.hub_endpoint);
    iapt_ping_target_t t = {0};
    t.endpoint = cfg.hub_endpoint;
    t.endpoint_setting = "hub-endpoint in node.conf";
    t.key_path = cfg.identity;
    t.hub_public_path = cfg.hub_public;
    t.expect_org = cfg.org;
    t.expect_role = "provider";
    t.expect_hub_name = cfg.hub_name[0] ? cfg.hub_name : NULL;
    t.client_version = "iapt-node";
    t.timeout_ms =
        cfg.reply_timeout_ms > 0 && cfg.reply_timeout_ms < 5000 ? (int)cfg.reply_timeout_ms : 4000;
    int status = iapt_ping_run(&t, stdout);
    fflush(stdout);
    return status;
}
