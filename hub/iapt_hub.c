/* iapt-hub: the centre. Admits registered keys only, verifies and stores
 * submissions, keeps the statistics and the transparency log, and answers
 * queries. */
#include "common/cli.h"
#include "common/err.h"
#include "common/log.h"
#include "common/sign.h"
#include "hub/datadir.h"
#include "hub/hub.h"

#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>

static void
s_usage(FILE *f)
{
    fprintf(f, "usage: iapt-hub --config FILE [--check]\n"
               "       iapt-hub --config FILE backup DIR\n"
               "\n"
               "  --config FILE  hub configuration (see the README, hub settings)\n"
               "  --check        load everything, report, and exit without serving\n"
               "  backup DIR     write a consistent, compacted copy of the store to the new\n"
               "                 directory DIR, also while a hub serves (docs/OPERATIONS.md)\n"
               "  -h, --help     this text; --version the version\n"
               "\n"
               "One hub per data-dir: a second one on the same directory exits with 2.\n"
               "\n"
               "Signals: SIGTERM / SIGINT stop cleanly; SIGHUP reloads the registry\n"
               "(revocations take effect on the next message).\n");
}

int
main(int argc, char **argv)
{
    static const struct option longs[] = {
        {"config", required_argument, NULL, 'c'},
        {"check", no_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config = NULL;
    int check = 0, ch, rc, lock_fd = -1;
    iapt_cli_init();
    if (argc == 2 && iapt_cli_is_version(argv[1])) {
        iapt_cli_print_version("iapt-hub");
        return 0;
    }
    while ((ch = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        switch (ch) {
        case 'c':
            config = optarg;
            break;
        case 'k':
            check = 1;
            break;
        case 'h':
            s_usage(stdout);
            return 0;
        default:
            s_usage(stderr);
            return 2;
        }
    }
    int backup = optind < argc && strcmp(argv[optind], "backup") == 0;
    if (backup && optind + 2 != argc) {
        fprintf(stderr, "usage: iapt-hub --config FILE backup DIR\n");
        return 2;
    }
    if (!config || (!backup && optind != argc)) {
        if (optind < argc && !backup)
            fprintf(stderr, "iapt-hub: unknown command '%s'\n", argv[optind]);
        s_usage(stderr);
        return 2;
    }
    /* Every chunk and every answer allocates and frees buffers of
     * megabytes. By default glibc maps each afresh and returns it to the
     * kernel when freed, so the next request faults every page in again,
     * which costs more than the work done in them (a national measures
     * answer: 3x). Keep such buffers in the heap and keep up to 128 MiB of
     * free heap for reuse. */
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 128 << 20);
    iapt_log_init("iapt-hub");
    if (iapt_crypto_init() < 0) {
        iapt_log_error("libsodium failed to initialise");
        return 2;
    }
    iapt_hub_config_t cfg;
    iapt_hub_t *hub = NULL;
    if (backup) {
        iapt_backup_report_t rep;
        if ((rc = iapt_hub_config_load(config, &cfg)) < 0 ||
            (rc = iapt_datadir_backup(cfg.data_dir, argv[optind + 1], &rep)) < 0) {
            fprintf(stderr, "iapt-hub: backup: %s: %s\n", iapt_strerror(rc), iapt_error_detail());
            return 2;
        }
        printf("backup of %s written to %s: %llu submissions stored (accepted or in "
               "transfer), log tree size %llu, root %s, newest checkpoint %llu, %zu bytes\n",
               cfg.data_dir, argv[optind + 1], (unsigned long long)rep.submissions,
               (unsigned long long)rep.tree_size, rep.root_hex,
               (unsigned long long)rep.checkpoint_size, rep.bytes);
        return 0;
    }
    iapt_log_info("iapt-hub %s starting", iapt_version());
    if ((rc = iapt_hub_config_load(config, &cfg)) < 0 ||
        (rc = iapt_datadir_lock(cfg.data_dir, &lock_fd)) < 0 ||
        (rc = iapt_hub_open(&cfg, &hub)) < 0) {
        iapt_log_error("%s: %s: %s", config, iapt_strerror(rc), iapt_error_detail());
        iapt_datadir_unlock(&lock_fd);
        return 2;
    }
    iapt_registry_t *reg = iapt_hub_registry(hub);
    iapt_log_info("registry: %zu keys; store: %s", iapt_registry_count(reg), cfg.data_dir);
    iapt_registry_release(&reg);
    if (check) {
        iapt_hub_close(&hub);
        iapt_datadir_unlock(&lock_fd);
        printf("configuration ok\n");
        return 0;
    }
    iapt_hub_block_signals();
    rc = iapt_hub_run(hub);
    if (rc < 0)
        iapt_log_error("%s: %s", iapt_strerror(rc), iapt_error_detail());
    iapt_hub_close(&hub);
    iapt_datadir_unlock(&lock_fd);
    iapt_log_info("stopped");
    return rc < 0 ? 1 : 0;
}
