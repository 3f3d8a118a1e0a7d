/* iapt-node: the provider's side. Checks the month's extract, anonymises and
 * signs it, keeps it in the outbox and delivers it to the hub. */
#include "common/cli.h"
#include "common/client.h"
#include "common/collection.h"
#include "common/date.h"
#include "common/err.h"
#include "common/json.h"
#include "common/keys.h"
#include "common/log.h"
#include "common/sign.h"
#include "common/tools.h"
#include "common/util.h"
#include "common/wire.h"
#include "node/extract.h"
#include "node/gate.h"
#include "node/node_config.h"
#include "node/outbox.h"
#include "node/schema.h"
#include "node/sender.h"
#include "proto/outbox.pb-c.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void
s_usage(FILE *f)
{
    fprintf(f,
            "usage: iapt-node COMMAND [options]\n"
            "\n"
            "  check   --extract DIR --period YYYY-MM (--config FILE | --org CODE) [--json]\n"
            "          [--collection NAME]\n"
            "          validate an extract and print its data-quality report\n"
            "  submit  --config FILE --extract DIR --period YYYY-MM [--no-send] [--deadline S]\n"
            "          [--force] [--collection NAME]\n"
            "          check, anonymise, sign and store a month in the outbox, then deliver;\n"
            "          --force overrides the plausibility gate (recorded in the manifest);\n"
            "          --collection names the extract's collection (default: the\n"
            "          configuration's `collection`, else IAPT, the adult one)\n"
            "  send    --config FILE [--deadline S]\n"
            "          deliver every pending submission of the outbox\n"
            "  status  --config FILE [--json]\n"
            "          list the outbox: submissions, their state and receipts; a submission\n"
            "          the hub holds for review shows 'pending review', and its outcome\n"
            "          (asked of the hub's query-endpoint when configured and reachable)\n"
            "  receipt --config FILE --sequence N --out FILE\n"
            "          write a delivered submission's signed manifest and receipt for an auditor\n"
            "  ping    --config FILE\n"
            "          check configuration, keys, the hub's key and registration; send nothing\n"
            "  resync  --config FILE [--endpoint E | --sequence N]\n"
            "          after the outbox was lost: number the next submission above the\n"
            "          hub's latest accepted sequence (docs/OPERATIONS.md)\n"
            "\n"
            "iapt-node COMMAND --help shows one command's options; --version the version.\n"
            "\n"
            "Exit status: 0 done; 1 refused (by the checks or the hub); 2 usage or local\n"
            "error; 3 submissions still pending when the deadline passed.\n"
            "The configuration file is described in the README (node settings).\n");
}

/* One command's usage line(s), for COMMAND --help and usage errors. */
static const char *const s_cmd_usage[][2] = {
    {"check", "iapt-node check --extract DIR --period YYYY-MM (--config FILE | --org CODE) "
              "[--json] [--max-findings N] [--collection NAME]\n"},
    {"submit", "iapt-node submit --config FILE --extract DIR --period YYYY-MM [--no-send]\n"
               "                 [--deadline SECONDS] [--force] [--collection NAME]\n"
               "  --collection NAME  the extract's collection, case-insensitive (default: the\n"
               "                     configuration's `collection`, else IAPT)\n"},
    {"send", "iapt-node send --config FILE [--deadline SECONDS]\n"},
    {"status", "iapt-node status --config FILE [--json]\n"},
    {"receipt", "iapt-node receipt --config FILE --sequence N --out FILE\n"},
    {"resync", "iapt-node resync --config FILE [--endpoint QUERY-ENDPOINT | --sequence N]\n"
               "  asks the hub's query endpoint (query-endpoint in the configuration, or\n"
               "  --endpoint) for the latest sequence it accepted from this organisation, or\n"
               "  takes it as N, and numbers the outbox's next submission above it\n"},
};

static const char *
s_usage_of(const char *cmd)
{
    for (size_t i = 0; i < sizeof s_cmd_usage / sizeof s_cmd_usage[0]; i++)
        if (strcmp(s_cmd_usage[i][0], cmd) == 0)
            return s_cmd_usage[i][1];
    return NULL;
}

typedef struct {
    const char *config, *extract, *period, *out, *endpoint, *collection;
    int no_send, json, force;
    long deadline_s;
    long sequence;
} s_opts_t;

static int
s_parse(int argc, char **argv, s_opts_t *o)
{
    static const struct option longs[] = {
        {"config", required_argument, NULL, 'c'},
        {"extract", required_argument, NULL, 'e'},
        {"period", required_argument, NULL, 'p'},
        {"out", required_argument, NULL, 'o'},
        {"no-send", no_argument, NULL, 'n'},
        {"json", no_argument, NULL, 'j'},
        {"deadline", required_argument, NULL, 'd'},
        {"sequence", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {"force", no_argument, NULL, 'f'},
        {"endpoint", required_argument, NULL, 'E'},
        {"collection", required_argument, NULL, 'C'},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    o->deadline_s = 600;
    o->sequence = -1;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        switch (ch) {
        case 'c':
            o->config = optarg;
            break;
        case 'e':
            o->extract = optarg;
            break;
        case 'p':
            o->period = optarg;
            break;
        case 'o':
            o->out = optarg;
            break;
        case 'E':
            o->endpoint = optarg;
            break;
        case 'C':
            o->collection = optarg;
            break;
        case 'n':
            o->no_send = 1;
            break;
        case 'j':
            o->json = 1;
            break;
        case 'f':
            o->force = 1;
            break;
        case 'd':
            if (iapt_cli_long("iapt-node", "--deadline", optarg, "seconds", 1, 31 * 86400,
                              &o->deadline_s) < 0)
                return -1;
            break;
        case 's':
            if (iapt_cli_long("iapt-node", "--sequence", optarg, NULL, 1, LONG_MAX, &o->sequence) <
                0)
                return -1;
            break;
        case 'h':
            fputs("usage: ", stdout);
            fputs(s_usage_of(argv[0]) ? s_usage_of(argv[0]) : "iapt-node COMMAND\n", stdout);
            exit(0);
        default:
            return -1;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "iapt-node: unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
    if (!o->config) {
        fprintf(stderr, "iapt-node: --config FILE is required\n");
        return -1;
    }
    return 0;
}

static int
s_fail(const char *what, int rc)
{
    fprintf(stderr, "iapt-node: %s: %s%s%s\n", what, iapt_strerror(rc),
            *iapt_error_detail() ? ": " : "", iapt_error_detail());
    return 2;
}

typedef struct {
    iapt_node_config_t cfg;
    iapt_identity_t *self, *hub;
    iapt_outbox_t *ob;
} s_node_t;

static void
s_node_close(s_node_t *n)
{
    iapt_outbox_close(&n->ob);
    iapt_identity_destroy(&n->self);
    iapt_identity_destroy(&n->hub);
}

static int
s_node_open(const char *config, s_node_t *n, int need_keys)
{
    int rc;
    memset(n, 0, sizeof *n);
    if ((rc = iapt_node_config_load(config, &n->cfg)) < 0)
        return s_fail(config, rc);
    if (need_keys) {
        if ((rc = iapt_identity_load(n->cfg.identity, &n->self)) < 0)
            return s_fail("identity", rc);
        if (strcmp(n->self->org, n->cfg.org) != 0) {
            fprintf(stderr, "iapt-node: %s holds the keys of %s, but org = %s\n", n->cfg.identity,
                    n->self->org, n->cfg.org);
            return 2;
        }
        if ((rc = iapt_identity_load_public(n->cfg.hub_public, &n->hub)) < 0)
            return s_fail("hub-public", rc);
    }
    if ((rc = iapt_outbox_open(n->cfg.outbox, n->cfg.org, &n->ob)) < 0)
        return s_fail("outbox", rc);
    return 0;
}

static int
s_send(s_node_t *n, long deadline_s)
{
    iapt_sender_config_t sc = {0};
    sc.endpoint = n->cfg.hub_endpoint;
    sc.hub_curve_public = n->hub->curve_public;
    sc.hub_sign_public = n->hub->sign_public;
    sc.hub_public_path = n->cfg.hub_public;
    sc.hub_name = n->cfg.hub_name[0] ? n->cfg.hub_name : NULL;
    sc.reply_timeout_ms = (int)n->cfg.reply_timeout_ms;
    sc.deadline_ms = (int)(deadline_s > 0 ? deadline_s * 1000 : 600000);
    sc.capture_path = getenv("IAPT_CAPTURE");
    const char *pace = getenv("IAPT_NODE_PACE_MS");
    long pace_ms = 0;
    if (pace && iapt_parse_long(pace, 0, 60000, &pace_ms) < 0)
        fprintf(stderr, "iapt-node: IAPT_NODE_PACE_MS=%s ignored (0 to 60000)\n", pace);
    sc.pace_ms = (int)pace_ms;
    sc.max_chunk_bytes = (size_t)n->cfg.chunk_kb << 10;
    iapt_sender_report_t rep;
    iapt_log_info("iapt-node %s: delivering to %s", iapt_version(), sc.endpoint);
    int rc = iapt_sender_run(n->ob, n->self, &sc, &rep);
    if (rc == IAPT_ETIMEOUT) {
        fprintf(stderr, "iapt-node: %d submission(s) still pending: %s\n", rep.pending,
                iapt_error_detail());
        return 3;
    }
    if (rc == IAPT_EREFUSED) { /* the handshake: our key, or the hub's */
        fprintf(stderr, "iapt-node: %d submission(s) still pending: %s\n", rep.pending,
                iapt_error_detail());
        return 1;
    }
    if (rc < 0)
        return s_fail("send", rc);
    return rep.refused ? 1 : 0;
}

static int
s_cmd_submit(int argc, char **argv)
{
    s_opts_t o;
    s_node_t n;
    int rc, status = 2;
    iapt_pseudokey_t *key = NULL;
    iapt_extract_t *ext = NULL;
    iapt_extract_tools_t tools;
    iapt_period_t period;
    iapt_gate_diagnoses_t diag = {0};
    iapt_gate_history_t hist = {0};
    iapt_gate_result_t gate = {0};
    char **forced = NULL;
    uint8_t root[32];

    memset(&n, 0, sizeof n);
    memset(&tools, 0, sizeof tools);
    if (s_parse(argc, argv, &o) < 0 || !o.extract || !o.period) {
        fprintf(stderr, "usage: iapt-node submit --config FILE --extract DIR --period YYYY-MM\n");
        return 2;
    }
    if (iapt_period_parse(o.period, &period) < 0) {
        fprintf(stderr, "iapt-node: --period must be YYYY-MM\n");
        return 2;
    }
    if (o.collection && !iapt_collection_find(o.collection)) {
        fprintf(stderr, "iapt-node: --collection %s: no such collection; the collections are %s\n",
                o.collection, iapt_collection_names());
        return 2;
    }
    if ((status = s_node_open(o.config, &n, 1)) != 0)
        goto out;
    status = 2;
    const iapt_collection_t *coll = iapt_node_collection(o.collection, &n.cfg);
    if (!coll) {
        fprintf(stderr, "iapt-node: %s\n", iapt_error_detail());
        goto out;
    }
    const char *tools_path =
        coll->index < IAPT_NODE_MAX_COLLECTIONS ? n.cfg.coll_tools[coll->index] : "";
    if ((rc = iapt_pseudokey_load(n.cfg.pseudo_key, &key)) < 0) {
        status = s_fail("pseudo-key", rc);
        goto out;
    }
    /* The collection's tool table: a bad one stops here, naming its line. */
    if ((rc = iapt_extract_tools_load(coll->node, tools_path[0] ? tools_path : NULL, &tools)) < 0) {
        status = s_fail(coll->node->tools_key ? coll->node->tools_key : "tools", rc);
        goto out;
    }
    iapt_extract_options_t eo = {0};
    eo.schema = coll->node;
    eo.dir = o.extract;
    eo.period = &period;
    eo.org = n.cfg.org;
    eo.key = key;
    eo.imd_path = n.cfg.imd_lookup[0] ? n.cfg.imd_lookup : NULL;
    eo.tools = &tools.adult;
    eo.coll_tools = tools.own;
    eo.today = (int32_t)(iapt_now() / 86400);
    rc = iapt_extract_read(&eo, &ext);
    if (rc < 0) {
        fprintf(stderr, "iapt-node: the extract cannot be submitted: %s\n", iapt_error_detail());
        status = rc == IAPT_EREFUSED ? 1 : 2;
        if (iapt_gate_diagnose(o.extract, coll->node, &diag) == 0)
            iapt_gate_report_text(&diag, NULL, false, stderr);
        goto out;
    }
    iapt_extract_report_text(ext, 10, stdout);

    /* The plausibility gate (node/gate.h), before anything is signed. */
    if ((rc = iapt_gate_diagnose(o.extract, coll->node, &diag)) < 0 ||
        (rc = iapt_gate_history_load(n.ob, &hist)) < 0 ||
        (rc = iapt_gate_records_root(ext, root)) < 0) {
        status = s_fail("gate", rc);
        goto out;
    }
    iapt_gate_options_t go = {.period = &period,
                              .collection = coll->name,
                              .today = eo.today,
                              .max_rejected_share = n.cfg.max_rejected_share,
                              .history = &hist,
                              .records_root = root};
    if ((rc = iapt_gate_run(ext, &go, &gate)) < 0) {
        status = s_fail("gate", rc);
        goto out;
    }
    iapt_gate_report_text(&diag, &gate, o.force, stdout);
    if (gate.same != IAPT_GATE_NEW) {
        char sid[13];
        iapt_id_short(gate.same_as->id, 32, sid);
        if (gate.same == IAPT_GATE_SAME_DELIVERED) {
            printf("already delivered: these records are identical to submission %llu (%s, id "
                   "%s); nothing new to send\n",
                   (unsigned long long)gate.same_as->sequence, gate.same_as->period, sid);
            status = 0;
        } else {
            printf("identical to submission %llu (%s, id %s), still pending: delivering it, "
                   "not preparing another\n",
                   (unsigned long long)gate.same_as->sequence, gate.same_as->period, sid);
            status = o.no_send ? 0 : s_send(&n, o.deadline_s);
        }
        goto out;
    }
    if (gate.n && !o.force) {
        fprintf(stderr,
                "iapt-node: refused by the plausibility gate (%zu check%s); nothing was "
                "prepared or sent. Correct the extract, or use --force if the month really "
                "is like this\n",
                gate.n, gate.n == 1 ? "" : "s");
        status = 1;
        goto out;
    }
    if (gate.n) {
        if ((rc = iapt_gate_forced_checks(&gate, &forced)) < 0) {
            status = s_fail("gate", rc);
            goto out;
        }
        fprintf(stderr,
                "iapt-node: warning: submitting with --force over %zu check%s; the signed "
                "manifest records this and the centre will see it\n",
                gate.n, gate.n == 1 ? "" : "s");
    }

    iapt_submission_input_t in = {0};
    in.collection = coll->name;
    in.forced = gate.n > 0;
    in.n_forced_checks = gate.n;
    in.forced_checks = forced;
    in.period = period.text;
    in.n_records = ext->n_records;
    in.record = (const uint8_t *const *)ext->record;
    in.record_len = ext->record_len;
    in.quality = ext->quality;
    in.pseudo_key_id = key->id;
    in.records_root = root;
    in.tools_sha256 = tools.sha256_hex[0] ? tools.sha256_hex : NULL;
    uint64_t seq;
    uint8_t id[32];
    if ((rc = iapt_outbox_prepare(n.ob, n.self, &in, &seq, id)) < 0) {
        status = s_fail("outbox", rc);
        goto out;
    }
    char sid[13];
    iapt_id_short(id, 32, sid);
    printf("submission %llu prepared: %s%s%s, %zu records, id %s\n", (unsigned long long)seq,
           coll == iapt_collection_default() ? "" : coll->name,
           coll == iapt_collection_default() ? "" : " ", period.text, ext->n_records, sid);
    iapt_extract_destroy(&ext);
    status = o.no_send ? 0 : s_send(&n, o.deadline_s);
out:
    iapt_gate_strings_free(forced, gate.n);
    iapt_gate_result_free(&gate);
    iapt_gate_history_free(&hist);
    iapt_gate_diagnoses_free(&diag);
    iapt_extract_destroy(&ext);
    iapt_extract_tools_free(&tools);
    iapt_pseudokey_destroy(&key);
    s_node_close(&n);
    return status;
}

static int
s_cmd_send(int argc, char **argv)
{
    s_opts_t o;
    s_node_t n;
    if (s_parse(argc, argv, &o) < 0)
        return 2;
    int status = s_node_open(o.config, &n, 1);
    if (status == 0)
        status = s_send(&n, o.deadline_s);
    s_node_close(&n);
    return status;
}

static const char *
s_state_name(Iapt__OutboxState s)
{
    switch (s) {
    case IAPT__OUTBOX_STATE__OUTBOX_PENDING:
        return "pending";
    case IAPT__OUTBOX_STATE__OUTBOX_DELIVERED:
        return "delivered";
    case IAPT__OUTBOX_STATE__OUTBOX_REFUSED:
        return "refused";
    default:
        return "?";
    }
}

/* The collection an entry's signed manifest names, into out ("?" when it
 * cannot be read), and when dsv / sha are given its data set version and
 * tools_sha256 ("" when absent; 32 and 65 bytes). */
static void
s_entry_manifest(const Iapt__OutboxEntry *e, char *out, size_t size, char *dsv, char *sha)
{
    const uint8_t *mb, *sig;
    size_t mlen;
    Iapt__Manifest *m = NULL;
    iapt_strlcpy(out, "?", size);
    if (dsv)
        dsv[0] = 0;
    if (sha)
        sha[0] = 0;
    if (iapt_manifest_split(e->signed_manifest.data, e->signed_manifest.len, e->signed_manifest.len,
                            &mb, &mlen, &sig) == 0 &&
        iapt_manifest_decode_verified(mb, mlen, &m) == 0 && m->collection) {
        iapt_strlcpy(out, m->collection, size);
        if (dsv && m->dataset_version)
            iapt_strlcpy(dsv, m->dataset_version, 32);
        if (sha && m->tools_sha256)
            iapt_strlcpy(sha, m->tools_sha256, 65);
    }
    if (m)
        iapt__manifest__free_unpacked(m, NULL);
}

static void
s_entry_collection(const Iapt__OutboxEntry *e, char *out, size_t size)
{
    s_entry_manifest(e, out, size, NULL, NULL);
}

/* One outbox entry as a JSON object (status --json). NULL when out of
 * memory. */
static json_t *
s_entry_json(const Iapt__OutboxEntry *e, const char *sid, const char *when)
{
    json_t *o = json_object();
    char coll[32], dsv[32], sha[65];
    s_entry_manifest(e, coll, sizeof coll, dsv, sha);
    int bad = !o || iapt_json_set(o, "sequence", iapt_json_uint(e->sequence)) ||
              iapt_json_set(o, "collection", iapt_json_str(coll)) ||
              iapt_json_set(o, "dataset_version", iapt_json_str(dsv)) ||
              iapt_json_set(o, "period", iapt_json_str(e->period)) ||
              iapt_json_set(o, "state", iapt_json_str(s_state_name(e->state))) ||
              iapt_json_set(o, "records", iapt_json_uint(e->record_count)) ||
              iapt_json_set(o, "submission_id", iapt_json_str(sid)) ||
              iapt_json_set(o, "attempts", iapt_json_uint(e->has_attempts ? e->attempts : 0));
    if (!bad && e->has_log_index)
        bad = iapt_json_set(o, "log_index", iapt_json_uint(e->log_index)) ||
              iapt_json_set(o, "delivered_at", iapt_json_str(when));
    if (!bad && e->refusal)
        bad = iapt_json_set(o, "refusal", iapt_json_str(e->refusal));
    if (!bad && sha[0])
        bad = iapt_json_set(o, "tools_sha256", iapt_json_str(sha));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* What became of a delivered submission the hub held for review. */
typedef struct {
    char state[32]; /* "" when never held */
    char note[600];
    char decided_by[IAPT_ORG_MAX];
    char decided_at[21];
    char reason[400];
    const char *source; /* "hub" or "receipt" */
} s_review_t;

/* The review state of a delivered entry: from its stored receipt (verified
 * when it arrived), then, while it is pending and the hub's query endpoint
 * is configured, from the hub itself. `*client` is made on first use; a
 * hub that cannot be reached leaves the receipt's state, saying so once. */
static void
s_review_of(s_node_t *n, const Iapt__OutboxEntry *e, iapt_client_t **client, int *unreachable,
            s_review_t *rv)
{
    memset(rv, 0, sizeof *rv);
    if (!e->has_signed_receipt)
        return;
    Iapt__SignedReceipt *sr =
        iapt__signed_receipt__unpack(NULL, e->signed_receipt.len, e->signed_receipt.data);
    Iapt__Receipt *r = sr ? iapt__receipt__unpack(NULL, sr->receipt.len, sr->receipt.data) : NULL;
    int held = r && r->has_review && r->review == IAPT__REVIEW_STATE__REVIEW_PENDING;
    if (held) {
        iapt_strlcpy(rv->state, "pending review", sizeof rv->state);
        snprintf(rv->note, sizeof rv->note, "pending review: %s",
                 r->held_because ? r->held_because : "held by the hub");
        rv->source = "receipt";
    }
    if (r)
        iapt__receipt__free_unpacked(r, NULL);
    if (sr)
        iapt__signed_receipt__free_unpacked(sr, NULL);
    if (!held || !n->cfg.query_endpoint[0] || *unreachable)
        return;
    if (!*client) {
        if ((!n->self && iapt_identity_load(n->cfg.identity, &n->self) < 0) ||
            (!n->hub && iapt_identity_load_public(n->cfg.hub_public, &n->hub) < 0) ||
            iapt_client_new(n->cfg.query_endpoint, n->self, n->hub->curve_public,
                            (int)n->cfg.reply_timeout_ms, client) < 0) {
            fprintf(stderr,
                    "iapt-node: status: cannot ask the hub (%s); review states are as "
                    "the receipts gave them\n",
                    iapt_error_detail());
            *unreachable = 1;
            return;
        }
    }
    Iapt__SubmissionsRequest req = IAPT__SUBMISSIONS_REQUEST__INIT;
    req.period = e->period;
    req.org_code = n->cfg.org;
    Iapt__QueryRequest q = IAPT__QUERY_REQUEST__INIT;
    q.body_case = IAPT__QUERY_REQUEST__BODY_SUBMISSIONS;
    q.submissions = &req;
    Iapt__QueryResponse *resp = NULL;
    int rc = iapt_client_call(*client, &q, &resp);
    if (rc < 0 || resp->body_case != IAPT__QUERY_RESPONSE__BODY_SUBMISSIONS) {
        fprintf(stderr,
                "iapt-node: status: the hub did not answer (%s); review states are as "
                "the receipts gave them\n",
                rc < 0 ? iapt_error_detail() : "another kind of answer");
        *unreachable = 1;
    } else {
        for (size_t i = 0; i < resp->submissions->n_submissions; i++) {
            const Iapt__SubmissionInfo *si = resp->submissions->submissions[i];
            if (!si->has_submission_id || si->submission_id.len != 32 ||
                memcmp(si->submission_id.data, e->submission_id.data, 32) != 0 || !si->has_review)
                continue;
            rv->source = "hub";
            const char *st = si->review == IAPT__REVIEW_STATE__REVIEW_CONFIRMED  ? "confirmed"
                             : si->review == IAPT__REVIEW_STATE__REVIEW_REJECTED ? "rejected"
                             : si->review == IAPT__REVIEW_STATE__REVIEW_SUPERSEDED
                                 ? "superseded while held"
                                 : "pending review";
            iapt_strlcpy(rv->state, st, sizeof rv->state);
            if (si->decided_by) {
                iapt_strlcpy(rv->decided_by, si->decided_by, sizeof rv->decided_by);
                if (si->has_decided_at)
                    iapt_time_format(si->decided_at, rv->decided_at);
                iapt_strlcpy(rv->reason, si->decision_reason ? si->decision_reason : "",
                             sizeof rv->reason);
                snprintf(rv->note, sizeof rv->note, "%s by %s at %s: %s", st, rv->decided_by,
                         rv->decided_at, rv->reason);
            } else if (si->review == IAPT__REVIEW_STATE__REVIEW_SUPERSEDED) {
                snprintf(rv->note, sizeof rv->note,
                         "superseded while held: a newer submission replaced it");
            }
        }
    }
    if (resp)
        iapt__query_response__free_unpacked(resp, NULL);
}

static int
s_cmd_status(int argc, char **argv)
{
    json_t *list = NULL;
    s_opts_t o;
    s_node_t n;
    uint64_t *seqs = NULL;
    size_t count = 0;
    int rc, unreachable = 0;
    iapt_client_t *client = NULL;
    if (s_parse(argc, argv, &o) < 0)
        return 2;
    int status = s_node_open(o.config, &n, 0);
    if (status)
        goto out;
    if ((rc = iapt_outbox_list(n.ob, -1, &seqs, &count)) < 0) {
        status = s_fail("outbox", rc);
        goto out;
    }
    if (o.json && !(list = json_array())) {
        status = s_fail("status", IAPT_ENOMEM);
        goto out;
    }
    if (!o.json)
        printf("%-5s %-8s %-10s %9s %-12s %-9s %-20s %s\n", "SEQ", "PERIOD", "STATE", "RECORDS",
               "ID", "LOG", "DELIVERED", "NOTE");
    for (size_t i = 0; i < count; i++) {
        Iapt__OutboxEntry *e = NULL;
        if ((rc = iapt_outbox_get(n.ob, seqs[i], &e)) < 0) {
            status = s_fail("outbox", rc);
            goto out;
        }
        char sid[65], when[21] = "", logi[24] = "";
        iapt_hex_encode(e->submission_id.data, 32, sid);
        if (e->has_delivered_at)
            iapt_time_format(e->delivered_at, when);
        if (e->has_log_index)
            snprintf(logi, sizeof logi, "%llu", (unsigned long long)e->log_index);
        s_review_t rv;
        s_review_of(&n, e, &client, &unreachable, &rv);
        if (o.json) {
            json_t *obj = s_entry_json(e, sid, when);
            int bad = !obj;
            if (!bad && rv.state[0])
                bad = iapt_json_set(obj, "review", iapt_json_str(rv.state)) ||
                      iapt_json_set(obj, "review_from", iapt_json_str(rv.source)) ||
                      iapt_json_set(obj, "review_note", iapt_json_str(rv.note));
            if (!bad && rv.state[0] && rv.decided_by[0])
                bad = iapt_json_set(obj, "decided_by", iapt_json_str(rv.decided_by)) ||
                      iapt_json_set(obj, "decided_at", iapt_json_str(rv.decided_at)) ||
                      iapt_json_set(obj, "decision_reason", iapt_json_str(rv.reason));
            if (bad || iapt_json_push(list, obj) != 0) {
                if (bad)
                    json_decref(obj);
                iapt__outbox_entry__free_unpacked(e, NULL);
                status = s_fail("status", IAPT_ENOMEM);
                goto out;
            }
        } else {
            /* A collection other than the default one goes before the period
             * ("CYP 2025-09"); the adult collection's lines read as they
             * always have. */
            char coll[32], per[48];
            s_entry_collection(e, coll, sizeof coll);
            if (strcasecmp(coll, iapt_collection_default()->name) == 0)
                snprintf(per, sizeof per, "%s", e->period);
            else
                snprintf(per, sizeof per, "%s %s", coll, e->period);
            sid[12] = 0;
            printf("%-5llu %-8s %-10s %9llu %-12s %-9s %-20s %s\n", (unsigned long long)e->sequence,
                   per, s_state_name(e->state), (unsigned long long)e->record_count, sid, logi,
                   when, e->refusal ? e->refusal : rv.note);
        }
        iapt__outbox_entry__free_unpacked(e, NULL);
    }
    if (o.json && (rc = iapt_json_write(list, stdout)) < 0)
        status = s_fail("status", rc);
out:
    json_decref(list);
    iapt_client_destroy(&client);
    free(seqs);
    s_node_close(&n);
    return status;
}

static int
s_cmd_receipt(int argc, char **argv)
{
    s_opts_t o;
    s_node_t n;
    Iapt__OutboxEntry *e = NULL;
    int rc;
    if (s_parse(argc, argv, &o) < 0 || o.sequence < 1 || !o.out) {
        fprintf(stderr, "usage: iapt-node receipt --config FILE --sequence N --out FILE\n");
        return 2;
    }
    int status = s_node_open(o.config, &n, 0);
    if (status)
        goto out;
    if ((rc = iapt_outbox_get(n.ob, (uint64_t)o.sequence, &e)) < 0) {
        status = s_fail("outbox", rc);
        goto out;
    }
    if (e->state != IAPT__OUTBOX_STATE__OUTBOX_DELIVERED || !e->has_signed_receipt) {
        fprintf(stderr, "iapt-node: submission %ld has no receipt (state %s)\n", o.sequence,
                s_state_name(e->state));
        status = 1;
        goto out;
    }
    Iapt__ReceiptBundle rb = IAPT__RECEIPT_BUNDLE__INIT;
    rb.signed_manifest = e->signed_manifest;
    rb.signed_receipt = e->signed_receipt;
    iapt_buf_t b = IAPT_BUF_INIT;
    if ((rc = iapt_buf_reserve(&b, iapt__receipt_bundle__get_packed_size(&rb))) == 0) {
        b.len = iapt__receipt_bundle__pack(&rb, b.data);
        rc = iapt_file_write_atomic(o.out, b.data, b.len, 0644);
    }
    iapt_buf_free(&b);
    if (rc < 0)
        status = s_fail(o.out, rc);
    else
        printf("wrote %s\n", o.out);
out:
    if (e)
        iapt__outbox_entry__free_unpacked(e, NULL);
    s_node_close(&n);
    return status;
}

/* A lost outbox starts again at sequence 1, which the hub refuses as stale:
 * number the next submission above the hub's latest. */
/* Ask the hub's query endpoint for this organisation's latest sequence;
 * prints its current submission per period. 0 or the exit status. */
static int
s_ask_sequence(s_node_t *n, const char *endpoint, uint64_t *last)
{
    iapt_client_t *client = NULL;
    Iapt__QueryResponse *resp = NULL;
    int rc, status = 2;
    if ((rc = iapt_client_new(endpoint, n->self, n->hub->curve_public, (int)n->cfg.reply_timeout_ms,
                              &client)) < 0) {
        status = s_fail(endpoint, rc);
        goto out;
    }
    Iapt__ProviderStateRequest pr = IAPT__PROVIDER_STATE_REQUEST__INIT;
    Iapt__QueryRequest q = IAPT__QUERY_REQUEST__INIT;
    q.body_case = IAPT__QUERY_REQUEST__BODY_PROVIDER_STATE;
    q.provider_state = &pr;
    rc = iapt_client_call(client, &q, &resp);
    if (rc == 0 && resp->body_case != IAPT__QUERY_RESPONSE__BODY_PROVIDER_STATE)
        rc = iapt_error_set(IAPT_EFORMAT, "the hub answered with another kind of answer");
    if (rc < 0) {
        status = s_fail(endpoint, rc);
        if (rc == IAPT_EREFUSED)
            status = 1;
        goto out;
    }
    const Iapt__ProviderStateResponse *ps = resp->provider_state;
    *last = ps->last_sequence;
    printf("the hub holds %zu current submission(s) from %s; latest sequence %llu\n", ps->n_current,
           ps->org_code, (unsigned long long)ps->last_sequence);
    for (size_t i = 0; i < ps->n_current; i++) {
        const Iapt__SubmissionInfo *si = ps->current[i];
        char sid[65] = "";
        if (si->has_submission_id && si->submission_id.len == 32)
            iapt_hex_encode(si->submission_id.data, 32, sid);
        sid[12] = 0;
        printf("  %s  sequence %llu  %llu records  id %s\n", si->period,
               (unsigned long long)si->sequence, (unsigned long long)si->record_count, sid);
    }
    status = 0;
out:
    if (resp)
        iapt__query_response__free_unpacked(resp, NULL);
    iapt_client_destroy(&client);
    return status;
}

/* A lost outbox starts again at sequence 1, which the hub refuses as stale:
 * number the next submission above the hub's latest. */
static int
s_cmd_resync(int argc, char **argv)
{
    s_opts_t o;
    s_node_t n;
    int rc;
    if (s_parse(argc, argv, &o) < 0 || (o.endpoint && o.sequence >= 1)) {
        fprintf(stderr, "usage: %s", s_usage_of("resync"));
        return 2;
    }
    int status = s_node_open(o.config, &n, 1);
    if (status)
        goto out;
    uint64_t last = (uint64_t)o.sequence;
    if (o.sequence < 1) {
        const char *ep = o.endpoint ? o.endpoint : n.cfg.query_endpoint;
        if (!*ep) {
            fprintf(stderr,
                    "iapt-node resync: give --sequence N (from the hub's refusal), or "
                    "the hub's query endpoint (--endpoint, or query-endpoint in %s)\n",
                    o.config);
            status = 2;
            goto out;
        }
        if ((status = s_ask_sequence(&n, ep, &last)) != 0)
            goto out;
    }
    uint64_t before = 0, after = 0;
    if ((rc = iapt_outbox_resync(n.ob, last, &before, &after)) < 0) {
        status = s_fail("outbox", rc);
        goto out;
    }
    if (after == before)
        printf("outbox %s: next sequence is already %llu, above %llu; nothing changed\n",
               n.cfg.outbox, (unsigned long long)after, (unsigned long long)last);
    else
        printf("outbox %s: next sequence %llu (was %llu); submit the month again\n", n.cfg.outbox,
               (unsigned long long)after, (unsigned long long)before);
out:
    s_node_close(&n);
    return status;
}

int
main(int argc, char **argv)
{
    iapt_cli_init();
    iapt_log_init("iapt-node");
    if (iapt_crypto_init() < 0) {
        fprintf(stderr, "iapt-node: libsodium failed to initialise\n");
        return 2;
    }
    if (argc >= 2 && iapt_cli_is_version(argv[1])) {
        iapt_cli_print_version("iapt-node");
        return 0;
    }
    if (argc < 2 || iapt_cli_is_help(argv[1]) || strcmp(argv[1], "help") == 0) {
        s_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "check") == 0)
        return iapt_node_check_main(argc - 1, argv + 1);
    if (strcmp(cmd, "submit") == 0)
        return s_cmd_submit(argc - 1, argv + 1);
    if (strcmp(cmd, "send") == 0)
        return s_cmd_send(argc - 1, argv + 1);
    if (strcmp(cmd, "status") == 0)
        return s_cmd_status(argc - 1, argv + 1);
    if (strcmp(cmd, "receipt") == 0)
        return s_cmd_receipt(argc - 1, argv + 1);
    if (strcmp(cmd, "ping") == 0)
        return iapt_node_ping_main(argc - 1, argv + 1);
    if (strcmp(cmd, "resync") == 0)
        return s_cmd_resync(argc - 1, argv + 1);
    fprintf(stderr, "iapt-node: unknown command '%s'\n", cmd);
    s_usage(stderr);
    return 2;
}
