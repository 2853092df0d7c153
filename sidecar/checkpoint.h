/*
** checkpoint.h — WAL checkpoints off the apply path.
**
** A checkpoint copies pages from the WAL back into the database file and
** fsyncs it: tens of milliseconds once the WAL holds megabytes. Done by the
** committing connection (SQLite's autocheckpoint) it stalls apply and shows
** up as replica lag; a PASSIVE checkpoint from another connection needs no
** write lock, so here a thread with its own connection does it while the
** apply loop goes on. The apply connection turns its autocheckpoint off;
** it only restarts a WAL grown past 64 MB, between two groups (apply.c,
** wal_restart), which then has little left to copy.
*/
#ifndef PL_SC_CHECKPOINT_H
#define PL_SC_CHECKPOINT_H
#include <stddef.h>

typedef struct Checkpointer Checkpointer;

/* Checkpoint zPath every iEveryMs milliseconds until checkpointer_stop().
** Returns 0, or -1 with zErr. */
int checkpointer_start(const char *zPath, int iEveryMs, Checkpointer **ppC,
                       char *zErr, size_t nErr);
/* Stop the thread (after its current checkpoint) and close its connection. */
void checkpointer_stop(Checkpointer*);

#endif
