/* check.c - `iapt-node check`: read an extract as a submission would, and
 * report whether it can be submitted and what its data quality is. Nothing
 * is sent, so without a pseudonymisation key a throwaway one is used. */
#include "node/anonymise.h"
#include "node/extract.h"
#include "node/gate.h"
#include "node/node_config.h"
#include "node/outbox.h"
#include "node/schema.h"

#include "common/collection.h"
#include "common/config.h"
#include "common/err.h"
#include "common/sign.h"
#include "common/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_PATH_MAX 4096

static const char s_usage[] =
    "usage: iapt-node check --extract DIR --period YYYY-MM (--org CODE | --config FILE)\n"
    "                       [--collection NAME] [--imd FILE] [--tools FILE] [--json]\n"
    "                       [--max-findings N]\n"
    "\n"
    "Read the provider extract in DIR (the collection's CSV files, IDS*.csv for the\n"
    "adult one) for the reporting period as a submission would, and print its\n"
    "data-quality report. Nothing is sent.\n"
    "\n"
    "  --collection NAME   the extract's collection, case-insensitive (default: the\n"
    "                      config's `collection`, else IAPT, the adult one)\n"
    "  --extract DIR       directory of the extract's CSV files\n"
    "  --period YYYY-MM    the reporting period (calendar month)\n"
    "  --org CODE          this provider's organisation code (OrgIDProv)\n"
    "  --config FILE       the node's configuration: reads org, and when present\n"
    "                      imd-lookup, tools and pseudo-key (paths relative to FILE)\n"
    "  --imd FILE          postcode_prefix,imd_decile lookup (overrides the config)\n"
    "  --tools FILE        assessment-tool table (overrides the config's: `tools` for the\n"
    "                      adult collection, default built in; `cyp-tools` for CYP,\n"
    "                      default data/cyp-assessment-tools.csv)\n"
    "  --json              print the whole report as JSON (findings included)\n"
    "  --max-findings N    findings listed in the text report (default 50)\n"
    "  --help              this text\n"
    "\n"
    "The plausibility gate of submit runs too (with --config, against the outbox's\n"
    "history): its findings, and the likely causes seen in the files, are printed.\n"
    "\n"
    "Exit status: 0 the extract can be submitted (it may still have findings),\n"
    "1 it cannot, or submit's plausibility gate would refuse it (the reason is\n"
    "printed), 2 usage or configuration error.\n";

typedef struct s_args {
    const char *extract, *period, *org, *config, *imd, *tools, *max_findings, *collection;
    int json, help;
} s_args_t;

/* 0, or -1 after printing what was wrong. */
static int
s_parse(int argc, char **argv, s_args_t *a)
{
    static const struct {
        const char *name;
        size_t off;
    } opts[] = {
        {"--extract", offsetof(s_args_t, extract)},
        {"--period", offsetof(s_args_t, period)},
        {"--org", offsetof(s_args_t, org)},
        {"--config", offsetof(s_args_t, config)},
        {"--imd", offsetof(s_args_t, imd)},
        {"--tools", offsetof(s_args_t, tools)},
        {"--max-findings", offsetof(s_args_t, max_findings)},
        {"--collection", offsetof(s_args_t, collection)},
    };
    memset(a, 0, sizeof *a);
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--json") == 0) {
            a->json = 1;
            continue;
        }
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            a->help = 1;
            continue;
        }
        size_t k, nopts = sizeof opts / sizeof *opts;
        const char *value = NULL;
        for (k = 0; k < nopts; k++) {
            size_t n = strlen(opts[k].name);
            if (strncmp(arg, opts[k].name, n) != 0)
                continue;
            if (arg[n] == '=') {
                value = arg + n + 1;
                break;
            }
            if (arg[n] == 0) {
                if (i + 1 >= argc) {
                    fprintf(stderr, "iapt-node check: %s needs a value\n", opts[k].name);
                    return -1;
                }
                value = argv[++i];
                break;
            }
        }
        if (k == nopts) {
            fprintf(stderr, "iapt-node check: unknown argument '%s'\n", arg);
            return -1;
        }
        const char **slot = (const char **)((char *)a + opts[k].off);
        if (*slot) {
            fprintf(stderr, "iapt-node check: %s given twice\n", opts[k].name);
            return -1;
        }
        *slot = value;
    }
    return 0;
}

static int
s_fail(int status, const char *what, int rc)
{
    const char *detail = iapt_error_detail();
    /* A refusal's detail is the whole reason; other errors name their kind. */
    if (rc == IAPT_EREFUSED && *detail)
        fprintf(stderr, "iapt-node check: %s: %s\n", what, detail);
    else
        fprintf(stderr, "iapt-node check: %s: %s%s%s\n", what, iapt_strerror(rc),
                *detail ? ": " : "", detail);
    return status;
}

/* The report as JSON with "submittable", "diagnoses" and "gate" added: the
 * extract's own report (or the refusal object) with the members spliced in
 * before its closing brace. 0 or IAPT_EIO / IAPT_ENOMEM. */
static int
s_print_json(FILE *out, const iapt_extract_t *ext, const char *reason,
             const iapt_gate_diagnoses_t *diag, const iapt_gate_result_t *gate,
             const char *tools_sha256)
{
    json_t *root =
        ext ? iapt_extract_report_json_new(ext) : iapt_extract_report_refused_json_new(reason);
    int rc = root ? 0 : iapt_error_set(IAPT_ENOMEM, "the JSON report: out of memory");
    if (rc == 0 && ext && iapt_json_set(root, "submittable", json_boolean(!(gate && gate->n))))
        rc = iapt_error_set(IAPT_ENOMEM, "the JSON report: out of memory");
    /* The collection's own tool table is named by its hash (CYP.md). */
    if (rc == 0 && tools_sha256 && *tools_sha256 &&
        iapt_json_set(root, "tools_sha256", iapt_json_str(tools_sha256)))
        rc = iapt_error_set(IAPT_ENOMEM, "the JSON report: out of memory");
    if (rc == 0)
        rc = iapt_gate_report_json_add(root, diag, gate);
    if (rc == 0)
        rc = iapt_json_write(root, out);
    json_decref(root);
    return rc;
}

int
iapt_node_check_main(int argc, char **argv)
{
    s_args_t a;
    iapt_config_t *cfg = NULL;
    iapt_pseudokey_t *key = NULL;
    iapt_extract_t *ext = NULL;
    iapt_imd_t *imd_table = NULL;
    iapt_period_t period;
    iapt_extract_tools_t tools;
    char imd_path[S_PATH_MAX], tools_path[S_PATH_MAX], key_path[S_PATH_MAX];
    const char *org = NULL, *imd = NULL, *tools_file = NULL;
    long max_findings = 50;
    int status = 2, rc;
    iapt_gate_diagnoses_t diag = {0};
    iapt_gate_history_t hist = {0};
    iapt_gate_result_t gate = {0};
    iapt_outbox_t *ob = NULL;
    const iapt_collection_t *coll = NULL;
    double max_share = IAPT_GATE_MAX_REJECTED_SHARE_DEFAULT;
    bool have_hist = false, real_key = false;
    char outbox_path[S_PATH_MAX];
    uint8_t root[32];

    iapt_error_clear();
    memset(&tools, 0, sizeof tools);
    if (s_parse(argc, argv, &a) < 0) {
        fputs(s_usage, stderr);
        return 2;
    }
    if (a.help) {
        fputs(s_usage, stdout);
        return 0;
    }
    if (!a.extract || !a.period || (!a.org == !a.config)) {
        fprintf(stderr, "iapt-node check: needs --extract, --period and one of --org or "
                        "--config\n");
        fputs(s_usage, stderr);
        return 2;
    }
    if (iapt_period_parse(a.period, &period) < 0) {
        fprintf(stderr, "iapt-node check: --period '%s' is not YYYY-MM\n", a.period);
        return 2;
    }
    if (a.max_findings) {
        char *end;
        max_findings = strtol(a.max_findings, &end, 10);
        if (!*a.max_findings || *end || max_findings < 0) {
            fprintf(stderr, "iapt-node check: --max-findings needs a number\n");
            return 2;
        }
    }
    if (iapt_crypto_init() < 0)
        return s_fail(2, "libsodium", IAPT_ECRYPTO);

    org = a.org;
    imd = a.imd;
    tools_file = a.tools;
    if (a.collection && !iapt_collection_find(a.collection)) {
        fprintf(stderr,
                "iapt-node check: --collection %s: no such collection; the collections "
                "are %s\n",
                a.collection, iapt_collection_names());
        goto out_free;
    }
    if (a.config && (rc = iapt_config_load(a.config, &cfg)) < 0) {
        status = s_fail(2, a.config, rc);
        goto out_free;
    }
    coll = iapt_node_collection(a.collection ? a.collection
                                : cfg        ? iapt_config_get(cfg, "collection")
                                             : NULL,
                                NULL);
    if (!coll) {
        fprintf(stderr, "iapt-node check: %s\n", iapt_error_detail());
        goto out_free;
    }
    if (a.config) {
        org = iapt_config_get(cfg, "org");
        if (!org) {
            fprintf(stderr, "iapt-node check: %s has no 'org'\n", a.config);
            goto out_free;
        }
        if (!imd && iapt_config_path(cfg, "imd-lookup", imd_path, sizeof imd_path) == 0)
            imd = imd_path;
        if (!tools_file && coll->node->tools_key &&
            iapt_config_path(cfg, coll->node->tools_key, tools_path, sizeof tools_path) == 0)
            tools_file = tools_path;
        if (iapt_config_path(cfg, "pseudo-key", key_path, sizeof key_path) == 0) {
            if ((rc = iapt_pseudokey_load(key_path, &key)) < 0) {
                status = s_fail(2, key_path, rc);
                goto out_free;
            }
            real_key = true;
        }
        if (iapt_config_get(cfg, "max-rejected-share") &&
            (rc = iapt_gate_share_parse(iapt_config_get(cfg, "max-rejected-share"), &max_share)) <
                0) {
            status = s_fail(2, a.config, rc);
            goto out_free;
        }
        /* The outbox's history, when there is one (check never creates it). */
        char mdb[S_PATH_MAX + 16];
        if (iapt_config_path(cfg, "outbox", outbox_path, sizeof outbox_path) == 0 &&
            (size_t)snprintf(mdb, sizeof mdb, "%s/data.mdb", outbox_path) < sizeof mdb &&
            access(mdb, F_OK) == 0) {
            if ((rc = iapt_outbox_open(outbox_path, org, &ob)) < 0 ||
                (rc = iapt_gate_history_load(ob, &hist)) < 0) {
                status = s_fail(2, outbox_path, rc);
                goto out_free;
            }
            have_hist = true;
        }
    }
    if (!iapt_org_code_valid(org)) {
        fprintf(stderr, "iapt-node check: '%s' is not an organisation code\n", org);
        goto out_free;
    }
    /* The collection's tool table, in its own format (CYP's) or the adult
     * one: a bad table stops here, naming its line. */
    if ((rc = iapt_extract_tools_load(coll->node, tools_file, &tools)) < 0) {
        status = s_fail(2,
                        tools_file                       ? tools_file
                        : coll->node->tools.default_file ? coll->node->tools.default_file
                                                         : "tools",
                        rc);
        goto out_free;
    }
    /* The lookup is configuration: load it first, so a bad one is not
     * mistaken for a bad extract. */
    if (imd && (rc = iapt_imd_load(imd, &imd_table)) < 0) {
        status = s_fail(2, imd, rc);
        goto out_free;
    }
    /* check sends nothing: a throwaway key gives the same report. */
    if (!key && (rc = iapt_pseudokey_generate(&key)) < 0) {
        status = s_fail(2, "pseudonymisation key", rc);
        goto out_free;
    }

    iapt_extract_options_t opt = {
        .schema = coll->node,
        .dir = a.extract,
        .period = &period,
        .org = org,
        .key = key,
        .imd = imd_table,
        .tools = &tools.adult,
        .coll_tools = tools.own,
        .today = (int32_t)(iapt_now() / 86400),
    };
    rc = iapt_extract_read(&opt, &ext);
    if (rc < 0) {
        int conf = rc == IAPT_EUSAGE;
        char reason[512];
        iapt_strlcpy(reason, iapt_error_detail(), sizeof reason);
        if (!conf && iapt_gate_diagnose(a.extract, coll->node, &diag) < 0) {
            status = s_fail(2, "diagnoses", IAPT_ENOMEM);
            goto out_free;
        }
        if (a.json && !conf) {
            s_print_json(stdout, NULL, reason, &diag, NULL, tools.sha256_hex);
        }
        iapt_error_set(rc, "%s", reason);
        status = s_fail(conf ? 2 : 1, conf ? "configuration" : "extract cannot be submitted", rc);
        if (!a.json && !conf)
            iapt_gate_report_text(&diag, NULL, false, stderr);
        goto out_free;
    }
    iapt_gate_options_t go = {.period = &period,
                              .collection = coll->name,
                              .today = opt.today,
                              .max_rejected_share = max_share,
                              .history = have_hist ? &hist : NULL,
                              .records_root = NULL};
    if ((rc = iapt_gate_diagnose(a.extract, coll->node, &diag)) < 0 ||
        (real_key && (rc = iapt_gate_records_root(ext, root)) < 0)) {
        status = s_fail(2, "gate", rc);
        goto out_free;
    }
    if (real_key)
        go.records_root = root;
    if ((rc = iapt_gate_run(ext, &go, &gate)) < 0) {
        status = s_fail(2, "gate", rc);
        goto out_free;
    }
    if (a.json) {
        rc = s_print_json(stdout, ext, NULL, &diag, &gate, tools.sha256_hex);
    } else if ((rc = iapt_extract_report_text(ext, (size_t)max_findings, stdout)) == 0) {
        rc = iapt_gate_report_text(&diag, &gate, false, stdout);
        if (rc == 0 && gate.same == IAPT_GATE_SAME_DELIVERED)
            printf("\nThese records are identical to submission %llu (%s), already delivered: "
                   "submit would not send them again.\n",
                   (unsigned long long)gate.same_as->sequence, gate.same_as->period);
        if (rc == 0 && !have_hist)
            printf("\n(no outbox: the record-drop and resubmission checks were not made)\n");
        if (rc == 0 && tools.sha256_hex[0])
            printf("\nTool table sha256 %s\n", tools.sha256_hex);
    }
    if (rc < 0) {
        status = s_fail(1, "report", rc);
        goto out_free;
    }
    status = gate.n ? 1 : 0;
    if (gate.n)
        fprintf(stderr,
                "iapt-node check: submit would refuse this month (%zu plausibility "
                "check%s failed; see the report)\n",
                gate.n, gate.n == 1 ? "" : "s");

out_free:
    iapt_gate_result_free(&gate);
    iapt_gate_history_free(&hist);
    iapt_gate_diagnoses_free(&diag);
    iapt_outbox_close(&ob);
    iapt_extract_destroy(&ext);
    iapt_extract_tools_free(&tools);
    iapt_imd_destroy(&imd_table);
    iapt_pseudokey_destroy(&key);
    iapt_config_destroy(&cfg);
    return status;
}
