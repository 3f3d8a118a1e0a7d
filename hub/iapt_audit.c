/* iapt-audit: prove, with the auditor's own copies of the public keys and
 * without trusting the hub, who sent what, that nothing was altered, dropped
 * or rewritten, and that the published statistics follow from the signed
 * records (hub/audit.h). */
#include "common/collection.h"
#include "common/cli.h"
#include "common/config.h"
#include "common/ping.h"
#include "common/err.h"
#include "common/geography.h"
#include "common/providers.h"
#include "common/keys.h"
#include "common/log.h"
#include "common/measures.h"
#include "common/registry.h"
#include "common/sign.h"
#include "common/tools.h"
#include "common/util.h"
#include "hub/audit.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_MAX_BUNDLE (64u << 20)

static void
s_usage(FILE *f)
{
    fprintf(f, "usage: iapt-audit [--config FILE | --endpoint E --key FILE --hub-public FILE]\n"
               "                  [--hub-name NAME] [--registry FILE] [--state FILE]\n"
               "                  [--geography FILE] [--tools FILE] [--table FILE]\n"
               "                  [--providers FILE] [--timeout-ms MS] [--jobs N]\n"
               "                  [--verbose] COMMAND\n"
               "\n"
               "commands:\n"
               "  verify-log [--full]\n"
               "      the latest checkpoint is signed by the hub's key under NAME, and extends\n"
               "      the last one verified (kept in the state file): a smaller log is a\n"
               "      rollback, a log that is not an extension a fork. --full fetches every\n"
               "      leaf, rebuilds the tree against the checkpoint and checks every manifest\n"
               "      against the registry (a key used after its revocation fails; before it,\n"
               "      stays valid) and each provider's rising sequence numbers.\n"
               "  verify-submission ID\n"
               "      one submission (64 hex): its signed manifest against the registry, its\n"
               "      inclusion in the verified checkpoint, the hub's receipt for it, and its\n"
               "      records: the count and Merkle root the provider signed, each record\n"
               "      decodes and derives, no pathway twice.\n"
               "  recompute --period YYYY-MM [--breakdown NAME|all] [--collection NAME]\n"
               "      rebuild the period's publication from the log (each provider's counted\n"
               "      submission: the log's leaves and the hub's signed review decisions\n"
               "      replayed under the hold rule; records checked as above) with this\n"
               "      auditor's registry, geography and tools, and compare it row by row with\n"
               "      the hub's published (suppressed) measures. NAME: age, gender,\n"
               "      ethnicity, imd, problem, therapy, source, ltc, none (the adult\n"
               "      collection's; another collection's own keys); default all.\n"
               "  ping\n"
               "      check the keys, the hub's key, the connection, that the hub knows this\n"
               "      key as an auditor and signs as --hub-name; one line per check (exit 0\n"
               "      all pass, 1 the hub refused or is unreachable, 2 configuration)\n"
               "  checkpoint [--size N] [--out FILE]\n"
               "      the latest signed checkpoint (or the one signed at tree size N, checked\n"
               "      to be a prefix of the latest), verified, printed verbatim: a C2SP\n"
               "      tlog-checkpoint signed note.\n"
               "  proof ID [--out FILE]\n"
               "      the submission's inclusion in the latest checkpoint, verified, printed as\n"
               "      a C2SP tlog-proof (c2sp.org/tlog-proof@v1): the leaf (its signed\n"
               "      manifest) as base64 extra data, its index, the proof hashes (base64, one\n"
               "      per line), an empty line, the checkpoint.\n"
               "  consistency --from M [--to N] [--out FILE]\n"
               "      the consistency proof from tree size M to N (default: the latest\n"
               "      checkpoint), verified against the checkpoints signed at both sizes,\n"
               "      printed as the body of a C2SP tlog-witness add-checkpoint request:\n"
               "      'old M', the hashes (base64, one per line), an empty line, the\n"
               "      checkpoint of size N.\n"
               "      These three print data for any RFC 6962 / C2SP verifier: to stdout (the\n"
               "      report lines then go to stderr) or to --out FILE; nothing is printed\n"
               "      unless everything verified.\n"
               "  verify-receipt FILE\n"
               "      a bundle written by `iapt-node receipt`, offline: the hub's signature,\n"
               "      its fields, checkpoint and inclusion proof (and, with --registry, the\n"
               "      provider's signature). Needs only --hub-public and --hub-name.\n"
               "\n"
               "--hub-public is the hub's public key file (iapt-keygen); --hub-name the name\n"
               "its checkpoints are signed under, which is also the log's origin.\n"
               "The configuration file holds: endpoint, key, hub-public, hub-name, registry,\n"
               "geography, tools, providers, state, timeout-ms (paths relative to the file),\n"
               "and the table of the --collection audited under its hub.conf key (cyp-tools\n"
               "for CYP; --table FILE on the command line; default the collection's file,\n"
               "e.g. data/cyp-assessment-tools.csv).\n"
               "State: the last verified checkpoint, in --state FILE (default\n"
               "~/.iapt-audit-state); every command but verify-receipt checks the log against\n"
               "it and advances it only when everything verified. Without it the first\n"
               "checkpoint seen is trusted.\n"
               "--jobs N: connections fetching and checking records at once (recompute;\n"
               "default 2). --timeout-ms: the longest wait for one answer (default 30000).\n"
               "Output: one line per check (ok / FAIL), then a summary line; --verbose adds\n"
               "timings.\n"
               "Exit status: 0 verified; 1 a verification failed; 2 usage, connection or I/O\n"
               "error.\n"
               "iapt-audit COMMAND --help shows one command; --version the version.\n");
}

typedef struct {
    const char *config, *endpoint, *key, *hub_public, *hub_name, *registry, *state;
    const char *geography, *tools, *period, *breakdown, *collection, *providers;
    const char *table; /* --table: a non-adult collection's table (e.g. cyp-tools) */
    const char *out;   /* proofs as data: --out FILE */
    int full, verbose, timeout_given;
    int has_size, has_from, has_to;
    uint64_t size, from, to;
    long timeout_ms, jobs;
} s_opts_t;

/* A tree size: decimal digits only, below 2^64. */
static int
s_error(const char *what, int rc)
{
    fprintf(stderr, "iapt-audit: %s: %s%s%s\n", what, iapt_strerror(rc),
            *iapt_error_detail() ? ": " : "", iapt_error_detail());
    return 2;
}

/* Settings from the configuration file fill what the command line left:
 * an option given wins over the file. */
static int
s_config(s_opts_t *o, const iapt_collection_t *col, iapt_config_t **cfg_p, char paths[8][1024])
{
    /* The keys below and the table keys of every registered collection's
     * hub half (one AUDITOR.conf serves every collection's recompute; only
     * the audited collection's table is read). */
    const char *table_key =
        col && col->index != 0 && col->hub && col->hub->config.key ? col->hub->config.key : NULL;
    const char *keys[32] = {"endpoint", "key",   "hub-public", "hub-name",  "registry",
                            "geography", "tools", "state",      "timeout-ms", "providers"};
    size_t nkeys = 10, ncol;
    const iapt_collection_t *const *all = iapt_collections(&ncol);
    for (size_t i = 0; i < ncol && nkeys + 1 < sizeof keys / sizeof keys[0]; i++)
        if (all[i]->index != 0 && all[i]->hub && all[i]->hub->config.key)
            keys[nkeys++] = all[i]->hub->config.key;
    keys[nkeys] = NULL;
    static const char *const path_keys[] = {"key",   "hub-public", "registry", "geography",
                                            "tools", "state",      "providers"};
    const char **slots[] = {&o->key,   &o->hub_public, &o->registry, &o->geography,
                            &o->tools, &o->state,      &o->providers};
    long t;
    int rc;
    if ((rc = iapt_config_load(o->config, cfg_p)) < 0 ||
        (rc = iapt_config_check(*cfg_p, keys)) < 0 ||
        (rc = iapt_config_get_long(*cfg_p, "timeout-ms", o->timeout_ms, 100, 3600000, &t)) < 0)
        return rc;
    if (!o->timeout_given)
        o->timeout_ms = t;
    if (!o->endpoint)
        o->endpoint = iapt_config_get(*cfg_p, "endpoint");
    if (!o->hub_name)
        o->hub_name = iapt_config_get(*cfg_p, "hub-name");
    for (int i = 0; i < 7; i++)
        if (!*slots[i] && iapt_config_path(*cfg_p, path_keys[i], paths[i], 1024) == 0)
            *slots[i] = paths[i];
    if (table_key && !o->table && iapt_config_path(*cfg_p, table_key, paths[7], 1024) == 0)
        o->table = paths[7];
    return 0;
}

int
main(int argc, char **argv)
{
    static const struct option longs[] = {
        {"config", required_argument, NULL, 'c'},
        {"endpoint", required_argument, NULL, 'e'},
        {"key", required_argument, NULL, 'k'},
        {"hub-public", required_argument, NULL, 'H'},
        {"hub-name", required_argument, NULL, 'n'},
        {"registry", required_argument, NULL, 'r'},
        {"state", required_argument, NULL, 's'},
        {"geography", required_argument, NULL, 'g'},
        {"tools", required_argument, NULL, 't'},
        {"period", required_argument, NULL, 'p'},
        {"breakdown", required_argument, NULL, 'b'},
        {"collection", required_argument, NULL, 'C'},
        {"providers", required_argument, NULL, 'P'},
        {"table", required_argument, NULL, 'X'},
        {"full", no_argument, NULL, 'f'},
        {"verbose", no_argument, NULL, 'v'},
        {"timeout-ms", required_argument, NULL, 'T'},
        {"jobs", required_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {"out", required_argument, NULL, 'o'},
        {"size", required_argument, NULL, 'S'},
        {"from", required_argument, NULL, 'F'},
        {"to", required_argument, NULL, 'U'},
        {NULL, 0, NULL, 0},
    };
    s_opts_t o;
    memset(&o, 0, sizeof o);
    o.timeout_ms = 30000;
    int ch, help = 0;
    iapt_cli_init();
    iapt_log_init("iapt-audit");
    if (argc == 2 && iapt_cli_is_version(argv[1])) {
        iapt_cli_print_version("iapt-audit");
        return 0;
    }
    /* Options may come before or after the command. */
    while ((ch = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        switch (ch) {
        case 'c':
            o.config = optarg;
            break;
        case 'e':
            o.endpoint = optarg;
            break;
        case 'k':
            o.key = optarg;
            break;
        case 'H':
            o.hub_public = optarg;
            break;
        case 'n':
            o.hub_name = optarg;
            break;
        case 'r':
            o.registry = optarg;
            break;
        case 's':
            o.state = optarg;
            break;
        case 'g':
            o.geography = optarg;
            break;
        case 't':
            o.tools = optarg;
            break;
        case 'p':
            o.period = optarg;
            break;
        case 'b':
            o.breakdown = optarg;
            break;
        case 'C':
            o.collection = optarg;
            break;
        case 'X':
            o.table = optarg;
            break;
        case 'P':
            o.providers = optarg;
            break;
        case 'f':
            o.full = 1;
            break;
        case 'v':
            o.verbose = 1;
            break;
        case 'T':
            if (iapt_cli_long("iapt-audit", "--timeout-ms", optarg, "milliseconds", 100, 3600000,
                              &o.timeout_ms) < 0)
                return 2;
            o.timeout_given = 1;
            break;
        case 'j':
            if (iapt_cli_long("iapt-audit", "--jobs", optarg, NULL, 1, 16, &o.jobs) < 0)
                return 2;
            break;
        case 'h':
            help = 1;
            break;
        case 'o':
            o.out = optarg;
            break;
        case 'S':
        case 'F':
        case 'U': {
            uint64_t v;
            const char *name = ch == 'S' ? "--size" : ch == 'F' ? "--from" : "--to";
            if (iapt_parse_u64(optarg, 0, UINT64_MAX, &v) < 0) {
                fprintf(stderr, "iapt-audit: %s is a tree size (a decimal number)\n", name);
                return 2;
            }
            if (ch == 'S') {
                o.size = v;
                o.has_size = 1;
            } else if (ch == 'F') {
                o.from = v;
                o.has_from = 1;
            } else {
                o.to = v;
                o.has_to = 1;
            }
            break;
        }
        default:
            s_usage(stderr);
            return 2;
        }
    }
    if (help) {
        if (optind < argc &&
            iapt_cli_usage_command(s_usage, "iapt-audit", argv[optind], stdout) == 0)
            return 0;
        s_usage(stdout);
        return 0;
    }
    if (optind >= argc) {
        s_usage(stderr);
        return 2;
    }
    const char *cmd = argv[optind];
    const char *arg = optind + 1 < argc ? argv[optind + 1] : NULL;
    int nargs = argc - optind - 1;
    int is_log = strcmp(cmd, "verify-log") == 0, is_sub = strcmp(cmd, "verify-submission") == 0;
    int is_re = strcmp(cmd, "recompute") == 0, is_rec = strcmp(cmd, "verify-receipt") == 0;
    int is_cp = strcmp(cmd, "checkpoint") == 0, is_proof = strcmp(cmd, "proof") == 0;
    int is_cons = strcmp(cmd, "consistency") == 0, is_data = is_cp || is_proof || is_cons;
    int is_ping = strcmp(cmd, "ping") == 0;
    if (!is_log && !is_sub && !is_re && !is_rec && !is_data && !is_ping) {
        fprintf(stderr, "iapt-audit: unknown command '%s'\n", cmd);
        s_usage(stderr);
        return 2;
    }
    if (nargs != ((is_sub || is_rec || is_proof) ? 1 : 0)) {
        fprintf(stderr, "iapt-audit: %s takes %s\n", cmd,
                (is_sub || is_proof) ? "one submission id"
                : is_rec             ? "one file"
                                     : "no arguments");
        return 2;
    }
    if ((o.full && !is_log) || ((o.period || o.breakdown) && !is_re)) {
        fprintf(stderr, "iapt-audit: --full is for verify-log, --period and --breakdown for "
                        "recompute\n");
        return 2;
    }
    if ((o.has_size && !is_cp) || ((o.has_from || o.has_to) && !is_cons) || (o.out && !is_data)) {
        fprintf(stderr, "iapt-audit: --size is for checkpoint, --from and --to for consistency, "
                        "--out for checkpoint, proof and consistency\n");
        return 2;
    }
    if (is_cons && !o.has_from) {
        fprintf(stderr, "iapt-audit: consistency needs --from M (a tree size)\n");
        return 2;
    }
    uint8_t id[32];
    if ((is_sub || is_proof) && (strlen(arg) != 64 || iapt_hex_decode(arg, id, 32) < 0)) {
        fprintf(stderr, "iapt-audit: a submission id is 64 hex characters\n");
        return 2;
    }
    int breakdown = -1;
    const iapt_collection_t *col = iapt_collection_find(o.collection ? o.collection : "IAPT");
    if (!col || !col->hub) {
        fprintf(stderr, "iapt-audit: unknown collection '%s' (%s)\n", o.collection,
                iapt_collection_names());
        return 2;
    }
    if (is_re) {
        if (!o.period) {
            fprintf(stderr, "iapt-audit: recompute needs --period YYYY-MM\n");
            return 2;
        }
        if (o.breakdown && strcmp(o.breakdown, "all") != 0 &&
            (breakdown = iapt_schema_breakdown_find(col->hub, o.breakdown)) < 0) {
            fprintf(stderr, "iapt-audit: unknown breakdown '%s' (", o.breakdown);
            for (size_t b = 1; b < col->hub->n_breakdowns; b++)
                fprintf(stderr, "%s, ", col->hub->breakdowns[b].key);
            fprintf(stderr, "none, all)\n");
            return 2;
        }
    }
    if (iapt_crypto_init() < 0)
        return 2;

    int rc, status = 2;
    char paths[8][1024], state_default[1024];
    iapt_config_t *cfg = NULL;
    iapt_identity_t *self = NULL, *hub = NULL;
    iapt_registry_t *reg = NULL;
    iapt_geography_t *geo = NULL;
    iapt_providers_t *providers = NULL;
    void *col_config = NULL;
    iapt_tools_t tools;
    iapt_audit_t *audit = NULL;
    uint8_t *bundle = NULL;
    size_t bundle_len = 0;
    iapt_buf_t data = IAPT_BUF_INIT;

    if (o.config && (rc = s_config(&o, col, &cfg, paths)) < 0) {
        status = s_error(o.config, rc);
        goto out;
    }
    if (!o.hub_public || !o.hub_name) {
        fprintf(stderr, "iapt-audit: need --hub-public and --hub-name (or --config)\n");
        goto out;
    }
    if (!is_rec && (!o.endpoint || !o.key)) {
        fprintf(stderr, "iapt-audit: need --endpoint and --key (or --config)\n");
        goto out;
    }
    if (is_ping) {
        if (o.config)
            printf("ok   configuration: %s (endpoint %s)\n", o.config, o.endpoint);
        iapt_ping_target_t t = {0};
        t.endpoint = o.endpoint;
        t.endpoint_setting = "the endpoint (--endpoint or endpoint in the configuration)";
        t.key_path = o.key;
        t.hub_public_path = o.hub_public;
        t.expect_role = "auditor";
        t.expect_hub_name = o.hub_name;
        t.client_version = "iapt-audit";
        t.timeout_ms = o.timeout_ms < 5000 ? (int)o.timeout_ms : 4000;
        status = iapt_ping_run(&t, stdout);
        goto out;
    }
    if (!is_rec && !o.registry && (is_sub || is_re || o.full)) {
        fprintf(stderr, "iapt-audit: %s needs the auditor's registry (--registry)\n", cmd);
        goto out;
    }
    if (!is_rec && !o.state) {
        const char *home = getenv("HOME");
        if (!home || !*home ||
            (size_t)snprintf(state_default, sizeof state_default, "%s/.iapt-audit-state", home) >=
                sizeof state_default) {
            fprintf(stderr, "iapt-audit: no $HOME for the default state file: give --state\n");
            goto out;
        }
        o.state = state_default;
    }
    if ((rc = iapt_identity_load_public(o.hub_public, &hub)) < 0) {
        status = s_error(o.hub_public, rc);
        goto out;
    }
    if (o.registry && (rc = iapt_registry_load(o.registry, &reg)) < 0) {
        status = s_error(o.registry, rc);
        goto out;
    }
    if (o.geography && (rc = iapt_geography_load(o.geography, &geo)) < 0) {
        status = s_error(o.geography, rc);
        goto out;
    }
    if (o.providers && (rc = iapt_providers_load(o.providers, &providers)) < 0) {
        status = s_error(o.providers, rc);
        goto out;
    }
    const char *table = o.table ? o.table : col->hub->config.default_file;
    if (col->index != 0 && col->hub->config.load &&
        (rc = col->hub->config.load(table, &col_config)) < 0) {
        status = s_error(table ? table : col->name, rc);
        goto out;
    }
    if (o.tools) {
        if ((rc = iapt_tools_load(o.tools, &tools)) < 0) {
            status = s_error(o.tools, rc);
            goto out;
        }
    } else {
        iapt_tools_default(&tools);
    }
    if (is_rec && (rc = iapt_file_read(arg, S_MAX_BUNDLE, &bundle, &bundle_len)) < 0) {
        status = s_error(arg, rc);
        goto out;
    }
    if (!is_rec && (rc = iapt_identity_load(o.key, &self)) < 0) {
        status = s_error(o.key, rc);
        goto out;
    }
    /* Proofs printed to stdout are data: the report goes to stderr then. */
    FILE *report = is_data && !o.out ? stderr : stdout;
    iapt_audit_config_t ac = {
        .endpoint = is_rec ? NULL : o.endpoint,
        .self = self,
        .hub_curve_public = hub->curve_public,
        .timeout_ms = (int)o.timeout_ms,
        .jobs = (int)o.jobs,
        .hub_sign_public = hub->sign_public,
        .hub_name = o.hub_name,
        .reg = reg,
        .tools = &tools,
        .collection_config = col->index != 0 ? col_config : NULL,
        .providers = providers,
        .geo = geo,
        .state_path = is_rec ? NULL : o.state,
        .out = report,
        .verbose = o.verbose,
        .collection = col->name,
    };
    if ((rc = iapt_audit_new(&ac, &audit)) < 0) {
        status = s_error(cmd, rc);
        goto out;
    }
    int64_t t0 = iapt_clock_ms();
    if (is_log)
        rc = iapt_audit_verify_log(audit, o.full);
    else if (is_sub)
        rc = iapt_audit_verify_submission(audit, id);
    else if (is_re)
        rc = iapt_audit_recompute(audit, o.period, breakdown);
    else if (is_cp)
        rc = iapt_audit_checkpoint_text(audit, o.has_size ? &o.size : NULL, &data);
    else if (is_proof)
        rc = iapt_audit_inclusion_text(audit, id, &data);
    else if (is_cons)
        rc = iapt_audit_consistency_text(audit, o.from, o.has_to ? &o.to : NULL, &data);
    else
        rc = iapt_audit_verify_receipt(audit, bundle, bundle_len);
    if (rc == 0 && is_data) {
        if (o.out)
            rc = iapt_file_write_atomic(o.out, data.data, data.len, 0644);
        else if (fwrite(data.data, 1, data.len, stdout) != data.len || fflush(stdout) != 0)
            rc = iapt_error_set(IAPT_EIO, "writing to stdout failed");
    }

    unsigned passed, failed;
    iapt_audit_counts(audit, &passed, &failed);
    double secs = (double)(iapt_clock_ms() - t0) / 1000.0;
    if (rc == 0) {
        fprintf(report, "%s: verified: %u checks passed (%.2f s)%s%s\n", cmd, passed, secs,
                o.out ? "; written to " : "", o.out ? o.out : "");
        status = 0;
    } else if (rc == IAPT_ECRYPTO || failed) {
        fprintf(report, "%s: FAILED: %u of %u checks failed (%.2f s)\n", cmd, failed,
                passed + failed, secs);
        if (rc != IAPT_ECRYPTO)
            s_error(cmd, rc);
        status = 1;
    } else {
        fprintf(report, "%s: not completed: %u checks passed before it stopped\n", cmd, passed);
        status = s_error(cmd, rc);
    }
out:
    fflush(stdout);
    iapt_buf_free(&data);
    iapt_audit_destroy(&audit);
    free(bundle);
    iapt_geography_destroy(&geo);
    iapt_providers_destroy(&providers);
    if (col_config && col->hub->config.free)
        col->hub->config.free(col_config);
    iapt_registry_release(&reg);
    iapt_identity_destroy(&self);
    iapt_identity_destroy(&hub);
    iapt_config_destroy(&cfg);
    return status;
}
