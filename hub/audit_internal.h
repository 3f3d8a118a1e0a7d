/*
 * audit_internal.h - what the audit modules (audit.c, audit_recompute.c)
 * share and nobody else needs.
 *
 * A context (au_ctx_t) is one thread's view of an audit: its own connection
 * to the hub (a client is not thread-safe), the stream its report lines go
 * to, and its counts. The caller's thread uses the audit's main context;
 * worker threads make their own and hand their report back as text.
 */
#ifndef IAPT_HUB_AUDIT_INTERNAL_H
#define IAPT_HUB_AUDIT_INTERNAL_H

#include "common/client.h"
#include "common/keys.h"
#include "common/measures.h"
#include "common/merkle.h"
#include "hub/audit.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct au_ctx {
    const struct iapt_audit *a;
    iapt_client_t *client; /* owned; NULL offline */
    FILE *out;             /* report lines */
    unsigned passed, failed;
    int64_t wait_ms; /* spent waiting for the hub's answers (timings) */
} au_ctx_t;

struct iapt_audit {
    iapt_audit_config_t cfg;
    iapt_tools_t tools;
    const iapt_measure_schema_t *schema; /* the collection recomputed (cfg.collection) */
    unsigned collection;                 /* its registry index */
    au_ctx_t main;
};

/* A context on its own connection, reporting to `out`. 0 or the client's
 * error; au_ctx_close frees it (safe on a zeroed one). */
int au_ctx_open(const struct iapt_audit *a, FILE *out, au_ctx_t *c /* out */);
void au_ctx_close(au_ctx_t *c);

/* Report lines: "ok   " / "FAIL " (counted), "note " (not), "# " (verbose
 * only). */
void au_check(au_ctx_t *c, bool ok, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void au_note(au_ctx_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void au_verbose(au_ctx_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Items under a FAIL line: the first IAPT_AUDIT_LIST_MAX are kept and
 * printed by au_list_flush, the rest only counted, so a badly broken hub
 * cannot flood the report. Zero-initialise; flush frees. */
typedef struct {
    iapt_buf_t buf;
    unsigned long n;
} au_list_t;

void au_list_add(au_list_t *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void au_list_flush(au_ctx_t *c, au_list_t *l);
void au_list_free(au_list_t *l);

/* Send q on c's connection and check the answer's kind.
 * 0: *resp holds the wanted body.
 * 1: the hub answered without giving what was asked (a refusal saying it
 *    does not exist, or an answer of another kind): a failed proof; `why`
 *    says what it answered.
 * <0: no usable answer (no connection, our role refused, the hub's own
 *    trouble), with the detail set.
 * *resp, when set, is the caller's to free (au_free_resp). */
int au_ask(au_ctx_t *c, Iapt__QueryRequest *q, Iapt__QueryResponse__BodyCase want,
           Iapt__QueryResponse **resp /* out */, char *why, size_t why_len);
void au_free_resp(Iapt__QueryResponse **resp);

/* au_ask for the signed manifest (and receipt) of submission `id`, with the
 * same results. */
int au_ask_manifest(au_ctx_t *c, const uint8_t id[32], Iapt__QueryResponse **resp /* out */,
                    char *why, size_t why_len);

/* A proof from the hub as the concatenation merkle.h verifies; -1 when any
 * hash is not 32 bytes or there are more than any proof can have. */
int au_proof_bytes(const Iapt__ProofResponse *pr, uint8_t proof[IAPT_MERKLE_PROOF_MAX_BYTES],
                   size_t *len /* out */);

/* A verified checkpoint: size, root and the signed note (empty for the
 * empty log, which has none). */
typedef struct {
    uint64_t size;
    uint8_t root[32];
    iapt_buf_t note;
} au_cp_t;

void au_cp_free(au_cp_t *cp);

/* Fetch the latest checkpoint, verify it (key, name, origin) and hold it
 * against the saved state (rollback, fork). 0, IAPT_ECRYPTO (reported) or
 * an error. */
int au_log_checks(au_ctx_t *c, au_cp_t *cp /* out */);

/* Only the fetch and signature part of au_log_checks. */
int au_checkpoint(au_ctx_t *c, au_cp_t *cp /* out */);

/* Save cp as the last verified checkpoint; a no-op without a state file
 * or for the empty log. */
int au_state_advance(au_ctx_t *c, const au_cp_t *cp);

/* What the audit keeps of one signed manifest. */
typedef struct {
    uint8_t id[32];
    char org[IAPT_ORG_MAX];
    char period[8];
    unsigned collection; /* registry index of the manifest's collection */
    uint64_t sequence;
    uint64_t record_count;
    int64_t created_at;
    uint8_t records_root[32];
    uint64_t log_index;
    bool forced; /* the manifest carries the node's --force */
} au_sub_t;

/* "P01 2025-09 sequence 2 (3fa9c2d1e0b4)", or "submission 3fa9c2d1e0b4"
 * when the manifest did not decode. */
void au_sub_label(const au_sub_t *s, char *out, size_t size);

/* Organisations seen along the log, per collection (each has its own
 * provider sequence), sorted by (code, collection index). */
typedef struct {
    char org[IAPT_ORG_MAX];
    unsigned collection;
    uint64_t last_seq; /* highest sequence so far */
    bool has_latest;   /* a submission of the period asked about */
    bool latest_valid; /* ... whose manifest verified */
    au_sub_t latest;   /* the counted one (after review decisions) */
    bool has_pending;  /* one of the period held for review (hub/ingest.h) */
    bool pending_valid;
    au_sub_t pending;
} au_org_t;

typedef struct {
    au_org_t *v;
    size_t n, cap;
} au_orgs_t;

void au_orgs_free(au_orgs_t *o);

/* Fetch every leaf of cp's tree, rebuild it and compare the root; check
 * every manifest against the registry and the rising sequence numbers.
 * The hub's review decisions are fetched too and checked: the hub's
 * signature, and each names a submission in the log before it. With
 * `period`, orgs gets each provider's counted submission of it: the log
 * and the period's decisions replayed in order under the hold rule
 * (iapt_ingest_hold_check), each decision checked to be on the submission
 * then held.
 * 0, IAPT_ECRYPTO (reported) or an error. */
int au_scan_leaves(au_ctx_t *c, const au_cp_t *cp, const char *period, au_orgs_t *orgs);

typedef struct {
    uint64_t records;
    uint64_t bytes;
    int64_t wait_ms;
} au_timing_t;

/* Fetch and check every record of `sub` (count, root, decode, derive
 * through the schema of the submission's own collection, no pathway
 * twice); with `agg` (of that schema), add each record that derives to it.
 * 0, IAPT_ECRYPTO (reported) or an error. */
int au_check_records(au_ctx_t *c, const au_sub_t *sub, iapt_agg_t *agg, au_timing_t *t);

#endif
