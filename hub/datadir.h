/*
 * datadir.h - the hub's data directory as an operator sees it: one serving
 * hub per directory (an exclusive lock), and consistent backups taken while
 * it serves.
 *
 * Lock: DIR/hub.lock, locked with flock(2) for the life of the process and
 * holding the pid of the holder; the kernel drops the lock when the process
 * dies, so a crash never leaves the directory locked. LMDB itself would let
 * two hubs write the same store in turn, each with its own idea of the
 * transparency log's head: the lock makes that impossible.
 *
 * Backup: reads the store through a second, read-only LMDB environment (no
 * lock needed, so it runs beside the serving hub) and writes a compacted
 * copy (mdb_env_copy2 with MDB_CP_COMPACT, one read transaction, so one
 * consistent state) into DEST.partial, then a BACKUP file describing it,
 * then renames DEST.partial to DEST: a directory named DEST is always a
 * whole backup. DEST must not exist.
 *
 * Errors: IAPT_ESTATE (locked by another process; detail names the
 * directory and pid), IAPT_EEXISTS (backup destination exists), IAPT_EIO,
 * IAPT_ELMDB.
 */
#ifndef IAPT_HUB_DATADIR_H
#define IAPT_HUB_DATADIR_H

#include <stddef.h>
#include <stdint.h>

/* Take the exclusive lock on `dir` (created if missing): 0 and *fd (keep it
 * open; iapt_datadir_unlock closes it), or IAPT_ESTATE at once when held. */
int iapt_datadir_lock(const char *dir, int *fd /* out */);

/* Release the lock; safe on -1 and twice (sets *fd to -1). */
void iapt_datadir_unlock(int *fd);

typedef struct iapt_backup_report {
    uint64_t tree_size;       /* leaves of the transparency log in the copy */
    char root_hex[65];        /* its root (empty log: SHA-256 of "") */
    uint64_t checkpoint_size; /* size of the newest signed checkpoint in the copy, 0 if none */
    uint64_t submissions;     /* stored: accepted, superseded, in transfer */
    size_t bytes;             /* size of the copied data.mdb */
} iapt_backup_report_t;

/* Copy the store in `data_dir` to the new directory `dest`. */
int iapt_datadir_backup(const char *data_dir, const char *dest,
                        iapt_backup_report_t *rep /* out */);

#endif
