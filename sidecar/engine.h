/*
** engine.h — the polarlite engine core (libpolarlite.a) opened in-process.
**
** The polarlite command never stores or type-checks facts itself: it opens
** an SQLite connection, registers the engine on it (the same functions a
** `.load ./polarlite` gives), and writes through them.
*/
#ifndef PL_SC_ENGINE_H
#define PL_SC_ENGINE_H
#include <sqlite3.h>
#include <stddef.h>

typedef struct PlConn PlConn;

/* Open zPath (":memory:" works) with SQLite open flags and register the
** engine. On success *pDb is open and *ppConn (owned by *pDb) is set; on
** failure returns non-zero, *pDb is NULL and zErr says why. */
int engine_open(const char *zPath, int flags, sqlite3 **pDb, PlConn **ppConn,
                char *zErr, size_t nErr);

/* Validate a policy exactly as polar_load does (parse, type-check, and,
** when bRunTests, run its test blocks) in a private in-memory database.
** Returns 0, or non-zero with the "file:line:col: ..." message in zErr. */
int engine_check_policy(const char *zSrc, size_t nSrc, const char *zFile,
                        int bRunTests, char *zErr, size_t nErr);

/* Create zDb if it is missing and put it in WAL mode, so that readers
** never wait for a writer (the sidecar, a restore, serve's own writes).
** 0, or -1 with zErr. */
int engine_wal_file(const char *zDb, char *zErr, size_t nErr);

/* Read a whole file into a malloc'd NUL-terminated buffer; "-" is stdin.
** Returns 0, or -1 with the reason in zErr. */
int read_whole_file(const char *zPath, char **pzText, size_t *pnText,
                    char *zErr, size_t nErr);

#endif
