/* store.c - the hub's LMDB environment. */
#include "hub/store.h"
#include "common/err.h"
#include "common/log.h"
#include "common/util.h"

#include <stdlib.h>
#include <string.h>

void
iapt_be64(uint8_t out[8], uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        out[i] = (uint8_t)v;
}

uint64_t
iapt_rd_be64(const uint8_t in[8])
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | in[i];
    return v;
}

void
iapt_be32(uint8_t out[4], uint32_t v)
{
    for (int i = 3; i >= 0; i--, v >>= 8)
        out[i] = (uint8_t)v;
}

uint32_t
iapt_rd_be32(const uint8_t in[4])
{
    return (uint32_t)in[0] << 24 | (uint32_t)in[1] << 16 | (uint32_t)in[2] << 8 | in[3];
}

int
iapt_store_err(int mdb_rc, const char *what)
{
    if (mdb_rc == MDB_MAP_FULL)
        return iapt_error_set(IAPT_EFULL, "%s: %s", what, mdb_strerror(mdb_rc));
    return iapt_error_set(IAPT_ELMDB, "%s: %s", what, mdb_strerror(mdb_rc));
}

static int
s_open_dbs(iapt_store_t *st)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(st->env, NULL, 0, &txn);
    if (rc)
        return iapt_store_err(rc, "begin");
    struct {
        const char *name;
        MDB_dbi *dbi;
    } dbs[] = {
        {"meta", &st->meta},         {"sub", &st->sub},
        {"sub_seq", &st->sub_seq},   {"sub_period", &st->sub_period},
        {"rec", &st->rec},           {"current", &st->current},
        {"prov_seq", &st->prov_seq}, {"cell", &st->cell},
        {"lock", &st->lock},         {"checkpoint", &st->checkpoint},
        {"review", &st->review},
    };
    for (size_t i = 0; i < sizeof dbs / sizeof *dbs; i++)
        if ((rc = mdb_dbi_open(txn, dbs[i].name, MDB_CREATE, dbs[i].dbi)) != 0) {
            mdb_txn_abort(txn);
            return iapt_store_err(rc, dbs[i].name);
        }

    if ((rc = iapt_translog_open(txn, &st->log)) < 0) {
        mdb_txn_abort(txn);
        return rc;
    }

    /* The on-disk layout carries its own version, separate from the software. */
    MDB_val k = {6, "schema"}, v;
    rc = mdb_get(txn, st->meta, &k, &v);
    uint32_t found = rc == 0 && v.mv_size == 4 ? iapt_rd_be32(v.mv_data) : 0;
    if (rc == MDB_NOTFOUND || (rc == 0 && found == 1)) {
        /* New, or schema 1: the review database was just created empty. */
        uint8_t ver[4];
        iapt_be32(ver, IAPT_STORE_SCHEMA);
        v.mv_size = 4;
        v.mv_data = ver;
        rc = mdb_put(txn, st->meta, &k, &v, 0);
    } else if (rc == 0) {
        if (found != IAPT_STORE_SCHEMA) {
            mdb_txn_abort(txn);
            return iapt_error_set(IAPT_ESTATE,
                                  "the store has schema version %u; this hub reads version %d",
                                  found, IAPT_STORE_SCHEMA);
        }
    }
    if (rc) {
        mdb_txn_abort(txn);
        return iapt_store_err(rc, "schema");
    }
    if ((rc = mdb_txn_commit(txn)) != 0)
        return iapt_store_err(rc, "commit");
    return 0;
}

int
iapt_store_open(const char *dir, size_t map_size, size_t map_max, iapt_store_t **out)
{
    int rc;
    iapt_store_t *st = calloc(1, sizeof *st);
    if (!st)
        return IAPT_ENOMEM;
    pthread_rwlock_init(&st->resize_lock, NULL);
    st->map_size = map_size;
    st->map_max = map_max < map_size ? map_size : map_max;
    if ((rc = iapt_mkdir_p(dir, 0700)) < 0)
        goto out_fail;
    if ((rc = mdb_env_create(&st->env)) != 0) {
        rc = iapt_store_err(rc, "env");
        goto out_fail;
    }
    mdb_env_set_maxdbs(st->env, 32);
    mdb_env_set_maxreaders(st->env, 256);
    mdb_env_set_mapsize(st->env, map_size);
    /* MDB_NOTLS: read transactions are not tied to threads' TLS slots. */
    if ((rc = mdb_env_open(st->env, dir, MDB_NOTLS, 0600)) != 0) {
        rc = iapt_store_err(rc, dir);
        goto out_fail;
    }
    /* Reader slots of a process that died inside a read transaction pin
     * old pages (the file only grows) until cleared. */
    int stale = 0;
    if ((rc = mdb_reader_check(st->env, &stale)) != 0) {
        rc = iapt_store_err(rc, "reader check");
        goto out_fail;
    }
    if (stale > 0)
        iapt_log_warn("store %s: cleared %d stale reader slot(s)", dir, stale);
    else
        iapt_log_debug("store %s: no stale readers", dir);
    MDB_envinfo info;
    mdb_env_info(st->env, &info);
    if (info.me_mapsize > st->map_size)
        st->map_size = info.me_mapsize;
    if ((rc = s_open_dbs(st)) < 0)
        goto out_fail;
    *out = st;
    return 0;

out_fail:
    iapt_store_close(&st);
    return rc;
}

void
iapt_store_close(iapt_store_t **st_p)
{
    iapt_store_t *st = *st_p;
    if (!st)
        return;
    iapt_translog_close(&st->log);
    if (st->env)
        mdb_env_close(st->env);
    pthread_rwlock_destroy(&st->resize_lock);
    free(st);
    *st_p = NULL;
}

int
iapt_store_read_begin(iapt_store_t *st, MDB_txn **txn)
{
    pthread_rwlock_rdlock(&st->resize_lock);
    int rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, txn);
    if (rc) {
        pthread_rwlock_unlock(&st->resize_lock);
        return iapt_store_err(rc, "read transaction");
    }
    return 0;
}

void
iapt_store_read_end(iapt_store_t *st, MDB_txn **txn)
{
    if (!*txn)
        return;
    mdb_txn_abort(*txn);
    *txn = NULL;
    pthread_rwlock_unlock(&st->resize_lock);
}

int
iapt_store_write_begin(iapt_store_t *st, MDB_txn **txn)
{
    int rc = mdb_txn_begin(st->env, NULL, 0, txn);
    return rc ? iapt_store_err(rc, "write transaction") : 0;
}

int
iapt_store_commit(iapt_store_t *st, MDB_txn **txn)
{
    (void)st;
    int rc = mdb_txn_commit(*txn);
    *txn = NULL;
    return rc ? iapt_store_err(rc, "commit") : 0;
}

void
iapt_store_abort(MDB_txn **txn)
{
    if (*txn)
        mdb_txn_abort(*txn);
    *txn = NULL;
}

int
iapt_store_grow(iapt_store_t *st)
{
    if (st->map_size >= st->map_max)
        return iapt_error_set(IAPT_EFULL, "store map at its maximum of %zu MiB; raise map-max-mb",
                              st->map_max >> 20);
    size_t next = st->map_size * 2;
    if (next > st->map_max)
        next = st->map_max;
    /* No reader may be inside a transaction while the map moves. */
    pthread_rwlock_wrlock(&st->resize_lock);
    int rc = mdb_env_set_mapsize(st->env, next);
    pthread_rwlock_unlock(&st->resize_lock);
    if (rc)
        return iapt_store_err(rc, "grow map");
    iapt_log_info("store map grown from %zu to %zu MiB", st->map_size >> 20, next >> 20);
    st->map_size = next;
    return 0;
}

uint32_t
iapt_store_period_key(unsigned collection, const iapt_period_t *p)
{
    return (uint32_t)(collection & 0xffu) << 24 | iapt_period_key(p);
}

unsigned
iapt_store_key_collection(uint32_t period_key)
{
    return period_key >> 24;
}

size_t
iapt_store_prov_seq_key(unsigned collection, const char *org,
                        uint8_t out[IAPT_STORE_PROV_SEQ_KEY_MAX])
{
    size_t n = strnlen(org, IAPT_STORE_PROV_SEQ_KEY_MAX - 1);
    memcpy(out, org, n);
    if (collection)
        out[n++] = (uint8_t)collection;
    return n;
}
