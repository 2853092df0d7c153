/*
** bench_sql.h — SQLite helpers shared by the polarlite benchmarks
** (bench_engine.c, deep.c): statements that must work or end the run, and
** a list statement run to the end with an order-independent digest of
** its ids.
*/
#ifndef BENCH_SQL_H
#define BENCH_SQL_H

#include <sqlite3.h>
#include <stdint.h>

/* sqlite3_exec, or die with the statement and the error. */
void bsql_exec(sqlite3*, const char *zSql);
/* A persistent prepared statement, or die with the SQL and the error. */
sqlite3_stmt *bsql_prepare(sqlite3*, const char *zSql);

/* One check, timed alone (bind, step, reset): zAction given, p is
** `SELECT authorize(?1, ?2, ?3)`; zAction 0, p is a hand-written
** statement with ?1 the actor and ?2 (if it has one) the resource.
** Returns the answer (column 0 as an int), or -1 on error (message as
** for bsql_list); *pNs = elapsed ns. */
int bsql_check(sqlite3*, sqlite3_stmt *p, const char *zActor, const char *zAction,
               const char *zRes, int64_t *pNs, char **pzErr);

/* Steps p to the end (its parameters bound by the caller), counting rows
** into *pn and digesting their ids in "Type:id" form (a bare id counts as
** zType:id) into *pDigest; *pbWild = some row was '*'. Resets p. Returns
** the elapsed ns, or -1 on error (the message in *pzErr if pzErr and
** *pzErr is 0; sqlite3_free it). */
int64_t bsql_list(sqlite3*, sqlite3_stmt *p, const char *zType, long *pn,
                  uint64_t *pDigest, int *pbWild, char **pzErr);

#endif /* BENCH_SQL_H */
