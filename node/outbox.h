/*
 * outbox.h - the node's outbox: prepared, signed submissions and their
 * receipts in LMDB, so a crash or restart never loses or duplicates one.
 *
 * Databases: meta ("org", "next-seq", "last-id"), entry (sequence u64 BE ->
 * OutboxEntry, proto/outbox.proto), rec (sequence || index, u64 BE each ->
 * record bytes). Preparing a submission writes its records, its signed
 * manifest and the entry in one transaction: it exists whole or not at all.
 *
 * One process at a time per outbox (LMDB's lock file serialises writers).
 * Errors: IAPT_ELMDB / IAPT_EFULL (detail says which), IAPT_ENOTFOUND,
 * IAPT_EUSAGE (outbox of another organisation).
 */
#ifndef IAPT_NODE_OUTBOX_H
#define IAPT_NODE_OUTBOX_H

#include "common/keys.h"
#include "common/util.h"
#include "proto/outbox.pb-c.h"
#include "proto/quality.pb-c.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct iapt_outbox iapt_outbox_t;

/* Open or create the outbox in `dir` for organisation `org`. */
int iapt_outbox_open(const char *dir, const char *org, iapt_outbox_t **out /* out, owned */);

void iapt_outbox_close(iapt_outbox_t **ob_p);

typedef struct iapt_submission_input {
    const char *collection; /* the manifest's collection (common/collection.h);
                               NULL: IAPT_COLLECTION, the adult one */
    const char *period;     /* "YYYY-MM" */
    /* The collection's own tool table's SHA-256 (hex), signed into the
     * manifest; NULL: none (the adult collection). */
    const char *tools_sha256;
    size_t n_records;
    const uint8_t *const *record; /* serialized PathwayRecords, in order */
    const size_t *record_len;
    const Iapt__QualitySummary *quality; /* may be NULL */
    const uint8_t *pseudo_key_id;        /* 8 bytes */
    /* submit --force: the gate's findings overridden ("check: message"),
     * recorded in the signed manifest (forced, forced_checks). */
    bool forced;
    size_t n_forced_checks;
    char *const *forced_checks;
    /* The records' Merkle root when the caller has computed it already
     * (iapt_gate_records_root, for the identical-resubmission check); NULL:
     * iapt_outbox_prepare computes it. */
    const uint8_t *records_root;
} iapt_submission_input_t;

/* Compute the records' Merkle root, build and sign the manifest (next
 * sequence number, previous submission id), and store everything.
 * *sequence and id (32 bytes) identify the new entry. */
int iapt_outbox_prepare(iapt_outbox_t *ob, const iapt_identity_t *signer,
                        const iapt_submission_input_t *in, uint64_t *sequence /* out */,
                        uint8_t id[32] /* out */);

/* The entry with this sequence number (free with
 * iapt__outbox_entry__free_unpacked). IAPT_ENOTFOUND when none. */
int iapt_outbox_get(iapt_outbox_t *ob, uint64_t sequence, Iapt__OutboxEntry **out /* out */);

/* Sequence numbers of every entry (state filter -1 for all), ascending, into
 * a malloc'd array the caller frees. */
int iapt_outbox_list(iapt_outbox_t *ob, int state, uint64_t **seqs /* out, owned */,
                     size_t *n /* out */);

/* Pack a Chunk envelope of the entry's records from `start`, as many as fit
 * in max_bytes of envelope (at least one), into `out`; *count says how many.
 * The records are read and packed inside one read transaction. */
int iapt_outbox_chunk(iapt_outbox_t *ob, uint64_t sequence, const uint8_t id[32], uint64_t start,
                      size_t max_bytes, iapt_buf_t *out /* out */, size_t *count /* out */);

int iapt_outbox_delivered(iapt_outbox_t *ob, uint64_t sequence, const uint8_t *signed_receipt,
                          size_t len, uint64_t log_index);

int iapt_outbox_refused(iapt_outbox_t *ob, uint64_t sequence, int code, const char *reason);

/* Count one more delivery attempt. */
int iapt_outbox_attempt(iapt_outbox_t *ob, uint64_t sequence);

/* After the outbox was lost (or restored from an old copy): make the next
 * prepared submission's sequence at least hub_last + 1, hub_last being the
 * latest sequence the hub accepted from this organisation (its STALE
 * refusal names it). Never lowers the number. *before and *after are the
 * next sequence before and after the call (equal when nothing changed). */
int iapt_outbox_resync(iapt_outbox_t *ob, uint64_t hub_last, uint64_t *before /* out */,
                       uint64_t *after /* out */);

#endif
