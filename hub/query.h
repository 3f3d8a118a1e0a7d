/*
 * query.h - answers to the query endpoint's requests (proto/wire.proto
 * QueryRequest / QueryResponse), separate from the socket so tests can call
 * it directly.
 *
 * Roles (from the registry row of the connection):
 *   measures      any role; unsuppressed values for the analyst role only
 *   targets       analyst, auditor
 *   submissions, quality, manifest
 *                 analyst and auditor for every organisation; a provider for
 *                 its own organisation only
 *   checkpoint, consistency, inclusion   any role (the log is public to members)
 *   leaves, registry   analyst, auditor (leaves from past the log's end: an
 *                 empty page)
 *   records       auditor only
 *   lock          analyst only (writes)
 *   review        analyst only (writes): confirm or reject a held submission
 *   decisions     analyst, auditor: every signed review decision
 * A request outside its role gets error REFUSE_ROLE with the reason.
 * QueryRequest.collection (absent: IAPT) picks the collection measures,
 * targets (its programme view), submissions, quality, lock and
 * provider_state answer for; an unknown one gets REFUSE_INVALID naming the
 * known ones.
 * On the socket (query_server.c) every message gets an answer: one that is
 * not a single-frame envelope holding a query is answered with an error
 * (REFUSE_MALFORMED, REFUSE_TOO_LARGE or REFUSE_UNKNOWN_TYPE) and a reason;
 * only a message over twice the 1 MiB request limit costs the connection.
 *
 * iapt_query_answer packs the QueryResponse envelope into `reply` and
 * returns 0, or a negative code on a storage failure (the caller then sends
 * a REFUSE_INTERNAL answer). Thread: the query thread.
 */
#ifndef IAPT_HUB_QUERY_H
#define IAPT_HUB_QUERY_H

#include "common/collection.h"
#include "hub/hub.h"

int iapt_query_answer(iapt_hub_t *hub, const iapt_registry_t *reg,
                      const iapt_registry_entry_t *peer, const Iapt__QueryRequest *q,
                      iapt_buf_t *reply /* out */);

/* Statistics (hub/query_stats.c), inside a read transaction. */
int iapt_query_measures(iapt_hub_t *hub, MDB_txn *txn, const iapt_registry_t *reg,
                        const iapt_registry_entry_t *peer, const struct iapt_collection *col,
                        const Iapt__MeasuresRequest *req,
                        Iapt__QueryResponse *resp, void **scratch /* out, free with
                        iapt_query_scratch_free */);
int iapt_query_targets(iapt_hub_t *hub, MDB_txn *txn, const iapt_registry_t *reg,
                       const struct iapt_collection *col, const Iapt__TargetsRequest *req,
                       Iapt__QueryResponse *resp, void **scratch /* out */);
void iapt_query_scratch_free(void **scratch);

#endif
