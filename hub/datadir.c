/* datadir.c - data directory lock and backup. */
#include "hub/datadir.h"
#include "common/cli.h"
#include "common/err.h"
#include "common/merkle.h"
#include "common/util.h"
#include "hub/store.h"
#include "hub/translog.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int
iapt_datadir_lock(const char *dir, int *fd_out)
{
    char path[1100];
    int rc;
    *fd_out = -1;
    if ((rc = iapt_mkdir_p(dir, 0700)) < 0)
        return rc;
    if ((size_t)snprintf(path, sizeof path, "%s/hub.lock", dir) >= sizeof path)
        return iapt_error_set(IAPT_EUSAGE, "data-dir %s: path too long", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return iapt_error_set(IAPT_EIO, "%s: %s", path, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        int err = errno;
        char pid[32] = "";
        ssize_t n = pread(fd, pid, sizeof pid - 1, 0);
        close(fd);
        if (n > 0)
            pid[strcspn(pid, "\n")] = 0;
        if (err == EWOULDBLOCK)
            return iapt_error_set(IAPT_ESTATE,
                                  "data-dir %s is in use by another iapt-hub%s%s%s; stop it "
                                  "first, or give this hub another data-dir",
                                  dir, pid[0] ? " (pid " : "", pid, pid[0] ? ")" : "");
        return iapt_error_set(IAPT_EIO, "lock %s: %s", path, strerror(err));
    }
    char pid[32];
    int len = snprintf(pid, sizeof pid, "%d\n", (int)getpid());
    if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)len, 0) != len) {
        rc = iapt_error_set(IAPT_EIO, "%s: %s", path, strerror(errno));
        close(fd);
        return rc;
    }
    *fd_out = fd;
    return 0;
}

void
iapt_datadir_unlock(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static int
s_mdb(int rc, const char *what)
{
    return iapt_error_set(IAPT_ELMDB, "%s: %s", what, mdb_strerror(rc));
}

/* Describe the copy in `dir` (read-only). */
static int
s_describe(const char *dir, iapt_backup_report_t *rep)
{
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    iapt_translog_t *log = NULL;
    int rc;
    if ((rc = mdb_env_create(&env)) != 0)
        return s_mdb(rc, "env");
    mdb_env_set_maxdbs(env, 32);
    if ((rc = mdb_env_open(env, dir, MDB_RDONLY | MDB_NOTLS | MDB_NOLOCK, 0600)) != 0) {
        rc = s_mdb(rc, dir);
        goto out;
    }
    if ((rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn)) != 0) {
        rc = s_mdb(rc, "read");
        goto out;
    }
    if ((rc = iapt_translog_open(txn, &log)) < 0 ||
        (rc = iapt_translog_size(txn, log, &rep->tree_size)) < 0)
        goto out;
    uint8_t root[32];
    if ((rc = iapt_translog_root(txn, log, rep->tree_size, root)) < 0)
        goto out;
    iapt_hex_encode(root, 32, rep->root_hex);
    MDB_dbi dbi;
    MDB_stat ms;
    if (mdb_dbi_open(txn, "sub", 0, &dbi) == 0 && mdb_stat(txn, dbi, &ms) == 0)
        rep->submissions = ms.ms_entries;
    if (mdb_dbi_open(txn, "checkpoint", 0, &dbi) == 0) {
        MDB_cursor *c;
        MDB_val k, v;
        if (mdb_cursor_open(txn, dbi, &c) == 0) {
            if (mdb_cursor_get(c, &k, &v, MDB_LAST) == 0 && k.mv_size == 8)
                rep->checkpoint_size = iapt_rd_be64(k.mv_data);
            mdb_cursor_close(c);
        }
    }
    rc = 0;
out:
    iapt_translog_close(&log);
    if (txn)
        mdb_txn_abort(txn);
    mdb_env_close(env);
    return rc;
}

int
iapt_datadir_backup(const char *data_dir, const char *dest, iapt_backup_report_t *rep)
{
    char tmp[1100], path[1200];
    MDB_env *env = NULL;
    int rc;
    struct stat sb;
    memset(rep, 0, sizeof *rep);
    if (stat(dest, &sb) == 0)
        return iapt_error_set(IAPT_EEXISTS, "%s exists; a backup goes into a new directory", dest);
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.partial", dest) >= sizeof tmp)
        return iapt_error_set(IAPT_EUSAGE, "%s: path too long", dest);
    if (stat(tmp, &sb) == 0)
        return iapt_error_set(IAPT_EEXISTS,
                              "%s exists: an unfinished backup (or one still running); "
                              "remove it first",
                              tmp);
    snprintf(path, sizeof path, "%s/data.mdb", data_dir);
    if (stat(path, &sb) < 0)
        return iapt_error_set(IAPT_ENOTFOUND, "%s: no store here (%s)", data_dir, strerror(errno));
    if (mkdir(tmp, 0700) < 0)
        return iapt_error_set(IAPT_EIO, "%s: %s", tmp, strerror(errno));

    /* A second environment on the serving store, read-only: LMDB lets it
     * read beside the writer through the shared lock file. */
    if ((rc = mdb_env_create(&env)) != 0) {
        rc = s_mdb(rc, "env");
        goto out_fail;
    }
    mdb_env_set_maxdbs(env, 32);
    mdb_env_set_maxreaders(env, 256);
    if ((rc = mdb_env_open(env, data_dir, MDB_RDONLY | MDB_NOTLS, 0600)) != 0) {
        rc = s_mdb(rc, data_dir);
        goto out_fail;
    }
    /* The hub may have grown the map since it was opened here. */
    for (int attempt = 0;; attempt++) {
        rc = mdb_env_copy2(env, tmp, MDB_CP_COMPACT);
        if (rc == MDB_MAP_RESIZED && attempt < 3 && mdb_env_set_mapsize(env, 0) == 0)
            continue;
        break;
    }
    mdb_env_close(env);
    env = NULL;
    if (rc != 0) {
        rc = s_mdb(rc, "copy");
        goto out_fail;
    }
    snprintf(path, sizeof path, "%s/data.mdb", tmp);
    if (stat(path, &sb) < 0) {
        rc = iapt_error_set(IAPT_EIO, "%s: %s", path, strerror(errno));
        goto out_fail;
    }
    rep->bytes = (size_t)sb.st_size;
    if ((rc = s_describe(tmp, rep)) < 0)
        goto out_fail;

    char when[21];
    iapt_time_format((int64_t)time(NULL), when);
    iapt_buf_t info = IAPT_BUF_INIT;
    rc = iapt_buf_printf(&info,
                         "iapt-hub backup\nversion = %s\nsource = %s\ntaken-at = %s\n"
                         "tree-size = %llu\nroot = %s\ncheckpoint-size = %llu\n"
                         "submissions = %llu\nbytes = %zu\n",
                         iapt_version(), data_dir, when, (unsigned long long)rep->tree_size,
                         rep->root_hex, (unsigned long long)rep->checkpoint_size,
                         (unsigned long long)rep->submissions, rep->bytes);
    snprintf(path, sizeof path, "%s/BACKUP", tmp);
    if (rc == 0)
        rc = iapt_file_write_atomic(path, info.data, info.len, 0600);
    iapt_buf_free(&info);
    if (rc < 0)
        goto out_fail;
    /* data.mdb to disk before the name says "backup". */
    snprintf(path, sizeof path, "%s/data.mdb", tmp);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) < 0) {
        rc = iapt_error_set(IAPT_EIO, "%s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        goto out_fail;
    }
    close(fd);
    if (rename(tmp, dest) < 0) {
        rc = iapt_error_set(IAPT_EIO, "rename %s to %s: %s", tmp, dest, strerror(errno));
        goto out_fail;
    }
    /* The new name itself to disk. */
    iapt_strlcpy(path, dest, sizeof path);
    int dfd = open(dirname(path), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    return 0;

out_fail:
    if (env)
        mdb_env_close(env);
    /* Leave nothing that could pass for a backup. */
    snprintf(path, sizeof path, "%s/data.mdb", tmp);
    unlink(path);
    snprintf(path, sizeof path, "%s/BACKUP", tmp);
    unlink(path);
    snprintf(path, sizeof path, "%s/lock.mdb", tmp);
    unlink(path);
    rmdir(tmp);
    return rc;
}
