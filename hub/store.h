/*
 * store.h - the hub's LMDB environment.
 *
 * One environment, opened once per process, with these databases:
 *   meta        "schema" -> u32 BE store schema version (checked at open)
 *   sub         submission id (32) -> StoredSubmission (proto/store.proto)
 *   sub_seq     internal seq (u64 BE) -> submission id
 *   sub_period  period key (u32 BE) || org (16) || internal seq (u64 BE) -> submission id
 *   rec         internal seq (u64 BE) || record index (u64 BE) -> record bytes
 *   current     period key (u32 BE) || org (16, NUL padded) -> submission id
 *   prov_seq    provider key -> u64 BE highest accepted provider sequence number
 *   cell        period key (u32 BE) || breakdown (u8) || provider (16) ||
 *               place (8) || level (u16 BE) -> encoded aggregate cell
 *   lock        period key (u32 BE) -> PeriodLock
 *   checkpoint  tree size (u64 BE) -> signed note text
 *   review      decision number (u64 BE, from 1) -> SignedReviewDecision
 *               (proto/wire.proto), in the order the decisions were made
 *   log_leaf, log_node   the transparency log (hub/translog.h), opened once
 *               here and shared by every thread through `log`
 * Records of one submission are written under one key prefix in index order,
 * so an upload is an append in key order.
 *
 * Collections (common/collection.h): every key that holds a period holds
 * the "period key" of iapt_store_period_key, the collection's registry
 * index in the top byte over YYYYMM (index << 24 | YYYY * 100 + MM), so
 * (collection, provider, period) is what current, sub_period, cell and lock
 * are keyed by; the adult collection is index 0, so its keys are the
 * YYYYMM keys of stores written before collections existed (no migration).
 * The provider key of prov_seq is the org code for the adult collection
 * (as before) and org code || index byte for the others: each collection
 * has its own provider sequence. A StoredSubmission names its collection
 * in `collection` (absent for the adult one).
 *
 * Threads: one writer thread; any number of reader threads, each with its
 * own read transactions taken through iapt_store_read_begin (which holds the
 * resize lock shared, so the map can grow on MDB_MAP_FULL without a reader
 * inside a transaction).
 *
 * Errors: IAPT_ELMDB with mdb_strerror in the detail; IAPT_EFULL when the map
 * is at its configured maximum; IAPT_ESTATE for a store of another schema.
 */
#ifndef IAPT_HUB_STORE_H
#define IAPT_HUB_STORE_H

#include "common/date.h"
#include "hub/translog.h"

#include <lmdb.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

/* 2: review (held submissions, the review database). A store of schema 1
 * is upgraded at open (nothing in it changes meaning). */
#define IAPT_STORE_SCHEMA 2

typedef struct iapt_store {
    MDB_env *env;
    MDB_dbi meta, sub, sub_seq, sub_period, rec, current, prov_seq, cell, lock, checkpoint;
    MDB_dbi review;
    iapt_translog_t *log; /* the transparency log's database handles */
    pthread_rwlock_t resize_lock;
    size_t map_size; /* current map size */
    size_t map_max;  /* largest map it may grow to */
} iapt_store_t;

/* Open or create the store in directory `dir` (created if missing). */
int iapt_store_open(const char *dir, size_t map_size, size_t map_max,
                    iapt_store_t **out /* out, owned */);

void iapt_store_close(iapt_store_t **st_p);

/* A read transaction; end it with iapt_store_read_end. */
int iapt_store_read_begin(iapt_store_t *st, MDB_txn **txn /* out */);
void iapt_store_read_end(iapt_store_t *st, MDB_txn **txn);

/* A write transaction (writer thread only). */
int iapt_store_write_begin(iapt_store_t *st, MDB_txn **txn /* out */);

/* Commit (the txn is gone afterwards, also on failure). */
int iapt_store_commit(iapt_store_t *st, MDB_txn **txn);

/* Abort; safe on NULL. */
void iapt_store_abort(MDB_txn **txn);

/* Double the map (up to map_max); call with no transaction of this thread
 * open, after a write failed with MDB_MAP_FULL. 0 or IAPT_EFULL. */
int iapt_store_grow(iapt_store_t *st);

/* Map an LMDB return code to an iapt code with detail "what: mdb error". */
int iapt_store_err(int mdb_rc, const char *what);

/* The period key of (collection index, period): index << 24 | YYYYMM. */
uint32_t iapt_store_period_key(unsigned collection, const iapt_period_t *p);

/* The registry index held in a period key. */
unsigned iapt_store_key_collection(uint32_t period_key);

/* Longest prov_seq key: an org code (at most 15) and the index byte. */
#define IAPT_STORE_PROV_SEQ_KEY_MAX 16
/* Write the prov_seq key of (collection, org) to out; returns its length. */
size_t iapt_store_prov_seq_key(unsigned collection, const char *org,
                               uint8_t out[IAPT_STORE_PROV_SEQ_KEY_MAX]);

/* Big-endian integer keys. */
void iapt_be64(uint8_t out[8], uint64_t v);
uint64_t iapt_rd_be64(const uint8_t in[8]);
void iapt_be32(uint8_t out[4], uint32_t v);
uint32_t iapt_rd_be32(const uint8_t in[4]);

#endif
