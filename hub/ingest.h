/*
 * ingest.h - the hub's side of the submission protocol, without sockets.
 *
 * iapt_ingest_handle() takes one decoded envelope from an authenticated peer
 * and does its work inside the caller's LMDB write transaction: Open checks
 * the signed manifest (signature first, then content) and starts or resumes a
 * transfer; Chunk stores records in key order and advances the streaming
 * Merkle root kept in the submission's stored state (a chunk holding an
 * empty record or one over max_record is refused whole, none of its records
 * stored); Close accepts the submission. Acceptance happens inside the same
 * transaction: the records are checked against the manifest's root,
 * decoded, derived and aggregated into per-(period, provider) cells
 * (replacing those of a superseded submission), the signed manifest is
 * appended to the transparency log, a checkpoint and a receipt are signed. The caller commits and
 * only then sends the reply, so nothing is acknowledged before it is durable.
 *
 * All transfer state lives in the store: a hub restarted at any point resumes
 * every transfer where its last committed transaction left it.
 *
 * Errors: the function returns 0 with a reply (possibly a Refuse, which is
 * normal operation) or a negative code when the transaction must be aborted
 * (IAPT_ELMDB, IAPT_EFULL, IAPT_ENOMEM); then the reply is undefined.
 * Threads: one ingest object per writer thread.
 */
#ifndef IAPT_HUB_INGEST_H
#define IAPT_HUB_INGEST_H

#include "common/keys.h"
#include "common/registry.h"
#include "common/tools.h"
#include "common/util.h"
#include "hub/store.h"
#include "proto/store.pb-c.h"
#include "proto/wire.pb-c.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct iapt_ingest_limits {
    size_t max_message;       /* bytes of one envelope */
    size_t max_manifest;      /* bytes of a signed manifest */
    size_t max_record;        /* bytes of one record */
    uint64_t max_records;     /* records in one submission */
    int max_transfers;        /* concurrent transfers per provider: those the store
                               * holds open that were active within transfer_idle_ms
                               * (an Open rolled back with its transaction is none) */
    uint32_t window;          /* chunks a node may have in flight */
    int64_t transfer_idle_ms; /* a transfer idle this long stops counting as concurrent */
    int deadline_day;         /* day of the following month a period is due by */
} iapt_ingest_limits_t;

/* Defaults: 4 MiB messages, 1 MiB manifests and records, 20 million records,
 * 2 transfers, window 8, 120 s idle, deadline day 20. */
void iapt_ingest_limits_default(iapt_ingest_limits_t *lim /* out */);

typedef struct iapt_ingest iapt_ingest_t;

/* Most collections the hub keeps a table for (registry indexes 0 .. 15). */
#define IAPT_INGEST_COLLECTIONS_MAX 16

struct iapt_providers;

/* What derivation reads besides the records (common/measure_schema.h
 * iapt_derive_context_t): each collection's loaded table by registry index
 * (the adult collection's is an iapt_tools_t; NULL: the collection's
 * built-in one) and the hub's providers file (NULL when not configured).
 * Borrowed: must outlive whatever it is given to. */
typedef struct iapt_ingest_tables {
    const void *config[IAPT_INGEST_COLLECTIONS_MAX];
    const struct iapt_providers *providers;
} iapt_ingest_tables_t;

/* `hub` is the hub's identity (its Ed25519 key signs receipts and
 * checkpoints), `name` its log origin and key name; both must outlive the
 * ingest object. */
int iapt_ingest_new(iapt_store_t *st, const iapt_identity_t *hub, const char *name,
                    const iapt_ingest_tables_t *tables, const iapt_ingest_limits_t *limits,
                    iapt_ingest_t **out /* out, owned */);

void iapt_ingest_destroy(iapt_ingest_t **ing_p);

/* Handle one envelope from `peer` (its current registry row) inside `txn`.
 * The packed reply envelope is written to `reply`. */
int iapt_ingest_handle(iapt_ingest_t *ing, MDB_txn *txn, const iapt_registry_entry_t *peer,
                       const Iapt__Envelope *msg, iapt_buf_t *reply /* out */);

/* Fill and pack a Refuse reply. Returns 0 (or IAPT_ENOMEM). */
int iapt_ingest_refuse(iapt_buf_t *reply, const uint8_t *submission_id, Iapt__RefuseCode code,
                       int permanent, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Find the current (latest accepted) submission of (collection, period,
 * org), `collection` a registry index (0: adult): 0 and id set,
 * IAPT_ENOTFOUND, or IAPT_ELMDB. */
int iapt_ingest_current(iapt_store_t *st, MDB_txn *txn, unsigned collection, const char *period,
                        const char *org, uint8_t id[32] /* out */);

/* Read a stored submission (caller frees with iapt__stored_submission__free_unpacked). */
int iapt_ingest_load(iapt_store_t *st, MDB_txn *txn, const uint8_t id[32],
                     Iapt__StoredSubmission **out /* out, owned */);

/* Forget transfers opened before `older_than` (unix seconds) and never
 * closed: their records and rows are deleted (a node coming back later
 * starts that submission again from its first record). *expired counts
 * them. 0 or a store error. */
int iapt_ingest_expire(iapt_store_t *st, MDB_txn *txn, int64_t older_than,
                       size_t *expired /* out */);

/* The hold rule (docs/FORMATS.md, "Review of suspicious supersessions"):
 * a submission that would supersede a counted one of `current_count`
 * records is held for review when it has 0 records or fewer than half as
 * many (2 * new_count < current_count), unless the provider forced it.
 * Exactly half is not held. 1 hold, 0 count it. */
int iapt_ingest_hold_check(uint64_t new_count, uint64_t current_count, bool forced);

/* The submission of (period, org) held for review, if any: 0 and id set,
 * IAPT_ENOTFOUND, or a store error. */
int iapt_ingest_pending(iapt_store_t *st, MDB_txn *txn, uint32_t period_key, const char *org,
                        uint8_t id[32] /* out */);

/* An analyst's decision on the held submission `id`, made inside `txn`
 * (a write transaction): confirm makes it current (the counted one is
 * superseded, the cells of (period, org) are rebuilt from its records in
 * the same transaction); reject marks it rejected and changes nothing
 * counted. The decision (proto/wire.proto ReviewDecision, with the log's
 * size, the analyst `by`, the time and `reason`) is signed with the hub's
 * key as `name`, appended to the review database and kept with the
 * submission; its serialized SignedReviewDecision goes to `out`.
 * Returns 0, 1 with `why` filled when refused (no such submission, not
 * pending, empty reason, period locked for a confirm), or a negative store
 * error (abort the transaction). */
int iapt_ingest_decide(iapt_store_t *st, MDB_txn *txn, const iapt_identity_t *hub, const char *name,
                       const iapt_ingest_tables_t *tables, const uint8_t id[32], bool confirm,
                       const char *by, const char *reason, iapt_buf_t *out /* out */, char *why,
                       size_t why_len);

/* Key of the `current` and `cell` databases for (period, org): 4 + 16 bytes. */
void iapt_ingest_current_key(uint32_t period_key, const char *org, uint8_t key[20] /* out */);

#endif
