/*
 * audit.h - the auditor's checks of a hub (iapt-audit), made with the
 * auditor's own copies of the hub's public key, the registry, the geography
 * and the assessment-tool table, trusting nothing the hub says that it
 * cannot prove.
 *
 *   verify-log          the latest checkpoint is signed by the hub's key
 *                       under its name, and extends the last checkpoint this
 *                       auditor verified (no rollback, no fork); with `full`
 *                       every leaf is fetched, the tree rebuilt and compared
 *                       with the checkpoint, and every leaf's manifest
 *                       checked against the registry (revocation included)
 *                       and against its provider's earlier sequence numbers.
 *   verify-submission   one submission: its signed manifest, its inclusion
 *                       in the verified checkpoint, the hub's receipt for
 *                       it, and its records (count, Merkle root, every record
 *                       decodes and derives, no pathway twice: what the hub
 *                       must have checked before accepting).
 *   recompute           one period's publication rebuilt from the log: the
 *                       counted submission of each provider (the latest,
 *                       except where the hub held one for review: the log
 *                       and the hub's signed review decisions are replayed
 *                       under the hold rule, docs/FORMATS.md), its records
 *                       checked as above, derived, aggregated and rolled up
 *                       (common/measures.h, common/stats.h), then compared
 *                       row by row with what the hub publishes (suppressed,
 *                       every group type). A latest submission whose
 *                       manifest fails is still counted, as the hub counted
 *                       it: the failure is reported once, and the figures
 *                       say whether they follow from what the log holds.
 *                       A breakdown of more rows than IAPT_AUDIT_ROWS_PER_ASK
 *                       is asked for in ranges of the catalogue's measures,
 *                       so there a row of a measure outside the catalogue
 *                       would go unseen; smaller ones are asked for whole.
 *   verify-receipt      a provider's receipt bundle, offline.
 *
 * Results: each check prints one line to the report stream, "ok   ..." or
 * "FAIL ..." with what and where; `verbose` adds "#" lines with timings.
 * Every command returns 0 when everything verified, IAPT_ECRYPTO when at
 * least one check failed (the lines say which), or another negative code
 * when it could not finish (connection, I/O, the hub refusing our role),
 * with the detail set; checks made before that are still counted.
 *
 * State: the last checkpoint verified is kept in a file (audit_state.c) and
 * advanced only by a run in which everything verified; verify-submission and
 * recompute make the same checkpoint checks as verify-log and advance it too.
 * Without a state file a run trusts the first checkpoint it sees (trust on
 * first use), as any transparency-log client must.
 *
 * Ownership: iapt_audit_new returns an owned object that borrows everything
 * in its configuration (keys, registry, tables, stream); they must outlive
 * it. Threads: call it from one thread; recompute runs `jobs` worker
 * threads and a fetcher of its own, each on its own connection, and joins
 * them before it returns.
 */
#ifndef IAPT_HUB_AUDIT_H
#define IAPT_HUB_AUDIT_H

#include "common/geography.h"
#include "common/keys.h"
#include "common/registry.h"
#include "common/stats.h"
#include "common/tools.h"
#include "common/util.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Pages asked of the hub: its own caps (hub/query_server.c). A smaller
 * answer is taken and the next page asked from where it stopped. */
#define IAPT_AUDIT_LEAVES_PAGE 10000
#define IAPT_AUDIT_RECORDS_PAGE 100000
/* Published rows asked for in one answer, at most (about): the measures
 * are asked for in ranges of the catalogue so that no answer is larger.
 * Big answers cost both sides far more per row than a few smaller ones. */
#define IAPT_AUDIT_ROWS_PER_ASK 50000

/* Failures of one kind listed one per line before they are only counted. */
#define IAPT_AUDIT_LIST_MAX 20

typedef struct iapt_audit_config {
    const char *endpoint;                   /* the hub's query endpoint; NULL offline
                                             * (verify-receipt only) */
    const iapt_identity_t *self;            /* the auditor's keys (auditor role) */
    const char *hub_curve_public;           /* Z85, for CURVE */
    int timeout_ms;                         /* longest wait for one answer; 0: 30000 */
    int jobs;                               /* connections fetching and checking records at
                                             * once in recompute; 0: 2 */
    const uint8_t *hub_sign_public;         /* 32 bytes: checkpoints and receipts verify with it */
    const char *hub_name;                   /* checkpoint key name, and the log's origin */
    const iapt_registry_t *reg;             /* the auditor's registry; NULL: manifests unchecked
                                             * (verify-receipt only; the others refuse) */
    const iapt_tools_t *tools;              /* NULL: the built-in table */
    const char *collection;                 /* recompute this collection; NULL: IAPT */
    const void *collection_config;          /* its loaded table when not IAPT (the adult
                                             * collection's is `tools`); NULL: built in */
    const struct iapt_providers *providers; /* the providers file; NULL: none */
    const iapt_geography_t *geo;            /* NULL: England and Provider rows only */
    const char *state_path;                 /* NULL: no state kept */
    FILE *out;                              /* report lines; NULL: stdout */
    bool verbose;                           /* timings and progress as "#" lines */
} iapt_audit_config_t;

typedef struct iapt_audit iapt_audit_t;

/* A new auditor over cfg (copied; what it points to is borrowed), with its
 * connection to the hub set up (it connects on the first request).
 * 0, IAPT_EUSAGE (no hub key or name, an endpoint without keys),
 * IAPT_EZMQ or IAPT_ENOMEM. */
int iapt_audit_new(const iapt_audit_config_t *cfg, iapt_audit_t **out /* out, owned */);

/* Free *a and set it to NULL; safe on NULL and twice. */
void iapt_audit_destroy(iapt_audit_t **a_p);

/* Checks passed and failed so far. */
void iapt_audit_counts(const iapt_audit_t *a, unsigned *passed /* out */,
                       unsigned *failed /* out */);

/* verify-log [--full]. Needs an endpoint (and a registry when full). */
int iapt_audit_verify_log(iapt_audit_t *a, bool full);

/* verify-submission: id is the 32-byte submission id. Needs an endpoint and
 * a registry. */
int iapt_audit_verify_submission(iapt_audit_t *a, const uint8_t id[32]);

/* recompute: `period` "YYYY-MM"; breakdown -1 for every breakdown, else
 * the one id (common/measures.h) compared besides the whole groups (0).
 * Needs an endpoint and a registry. */
int iapt_audit_recompute(iapt_audit_t *a, const char *period, int breakdown);

/* verify-receipt: data[0..len) is a serialized ReceiptBundle
 * (proto/outbox.proto). Offline; with a registry the provider's manifest
 * signature is checked too. */
int iapt_audit_verify_receipt(iapt_audit_t *a, const uint8_t *data, size_t len);

/* ------------------------------------------------------------------------
 * Proofs as data (hub/audit_proofs.c): what the auditor verified, printed
 * in the C2SP text formats so that any RFC 6962 / C2SP tool can check it
 * again without this program (docs/FORMATS.md "Proofs as data"). Hashes
 * are standard padded base64 (RFC 4648 section 4), one per line, nearest
 * the leaf first (RFC 6962 2.1.1, 2.1.2).
 *
 * Each runs the usual log checks first (the latest checkpoint's signature,
 * then rollback and fork against the state), verifies what it prints, and
 * appends to `out` only when everything verified; the state advances as
 * for the other commands. Returns as the other commands (0, IAPT_ECRYPTO
 * with the failures reported, or an error; IAPT_EUSAGE for sizes outside
 * the log).
 * ---------------------------------------------------------------------- */

/* checkpoint: the signed note verbatim (c2sp.org/tlog-checkpoint signed as
 * a c2sp.org/signed-note): the latest one, or with `size` the one the hub
 * signed at that tree size, checked to be a prefix of the latest. */
int iapt_audit_checkpoint_text(iapt_audit_t *a, const uint64_t *size /* NULL: latest */,
                               iapt_buf_t *out);

/* proof: a c2sp.org/tlog-proof@v1 for submission `id` at the latest
 * checkpoint:
 *     c2sp.org/tlog-proof@v1
 *     extra <base64 of the leaf: the SignedManifest bytes>
 *     index <leaf index>
 *     <inclusion proof, one hash per line>
 *     <empty line>
 *     <the checkpoint, verbatim>
 * The leaf hash is SHA-256(0x00 || leaf); the submission id is
 * SHA-256 of the leaf (common/wire.h). */
int iapt_audit_inclusion_text(iapt_audit_t *a, const uint8_t id[32], iapt_buf_t *out);

/* consistency: the body of a c2sp.org/tlog-witness add-checkpoint request
 * from tree size `from` to `to` (NULL: the latest checkpoint):
 *     old <from>
 *     <consistency proof, one hash per line; none when from is 0 or to>
 *     <empty line>
 *     <the checkpoint of size `to`, verbatim>
 * The old root is that of the checkpoint the hub signed at `from` (print
 * it with checkpoint --size), verified here as well. */
int iapt_audit_consistency_text(iapt_audit_t *a, uint64_t from, const uint64_t *to /* NULL */,
                                iapt_buf_t *out);

/* ------------------------------------------------------------------------
 * Comparison of publication rows (recompute), exposed for its tests.
 * ---------------------------------------------------------------------- */

enum iapt_audit_diff_kind {
    IAPT_AUDIT_DIFF_VALUE = 0,   /* both have the row; `field` differs */
    IAPT_AUDIT_DIFF_MISSING = 1, /* ours has it, the hub's does not */
    IAPT_AUDIT_DIFF_EXTRA = 2,   /* the hub's has it, ours does not */
    IAPT_AUDIT_DIFF_REPEATED = 3 /* the hub's has the same row twice */
};

/* One difference: `ours` / `theirs` are NULL when that side lacks the row;
 * `field` names the column that differs (VALUE only: "MEASURE_VALUE",
 * "ORG_NAME1", ...), NULL otherwise. Valid during the call only. */
typedef struct iapt_audit_diff {
    enum iapt_audit_diff_kind kind;
    const char *field;
    const iapt_stat_row_t *ours;
    const iapt_stat_row_t *theirs;
} iapt_audit_diff_t;

typedef void (*iapt_audit_diff_fn)(const iapt_audit_diff_t *d, void *arg);

/* Match rows by (REPORTING_PERIOD_START, GROUP_TYPE, ORG_CODE1, ORG_CODE2,
 * BREAKDOWN_LEVEL, MEASURE_ID) and report every difference to fn (in key
 * order), comparing the value, both names, the period end, the breakdown
 * title and the measure name of matched rows. NULL strings count as "".
 * Only the string fields of the rows are read.
 * Returns the number of differences (>= 0), or IAPT_ENOMEM. */
long iapt_audit_rows_compare(const iapt_stat_row_t *ours, size_t n_ours,
                             const iapt_stat_row_t *theirs, size_t n_theirs, iapt_audit_diff_fn fn,
                             void *arg);

/* ------------------------------------------------------------------------
 * The state file (hub/audit_state.c)
 *
 *     iapt-audit-state 1
 *     origin <hub name>
 *     size <tree size>
 *     root <base64 root hash>
 *     verified-at <YYYY-MM-DDTHH:MM:SSZ>
 *     note-bytes <N>
 *     <the signed checkpoint note, exactly N bytes>
 *
 * The note is the hub's own signed checkpoint, so the file proves what it
 * says: on load the note must verify with the hub's key under its name and
 * agree with the lines above it.
 * ---------------------------------------------------------------------- */

typedef struct iapt_audit_state {
    uint64_t size;
    uint8_t root[32];
    int64_t verified_at;
    iapt_buf_t note; /* the signed checkpoint, owned */
} iapt_audit_state_t;

/* Load and check a state file. IAPT_ENOTFOUND when there is none (a first
 * run); IAPT_EFORMAT (malformed, or lines that disagree with the note),
 * IAPT_ECRYPTO (the note is not signed by this key and name: another hub, or
 * an altered file), IAPT_EIO, IAPT_ENOMEM. st is empty on failure; free it
 * with iapt_audit_state_free either way. */
int iapt_audit_state_load(const char *path, const char *hub_name, const uint8_t hub_pk[32],
                          iapt_audit_state_t *st /* out */);

/* Parse state text (name in error details); as iapt_audit_state_load. */
int iapt_audit_state_parse(const uint8_t *data, size_t len, const char *name, const char *hub_name,
                           const uint8_t hub_pk[32], iapt_audit_state_t *st /* out */);

/* Write st (its note must be a checkpoint of st->size and st->root)
 * atomically: a crash leaves the old file or the new one. 0 or IAPT_EIO,
 * IAPT_EUSAGE, IAPT_ENOMEM. */
int iapt_audit_state_save(const char *path, const char *hub_name, const iapt_audit_state_t *st);

/* Free the note; st may be reused. */
void iapt_audit_state_free(iapt_audit_state_t *st);

#endif
