/*
** publish.h — the policy `polarlite publish` checks a write against
** (publish_policy.c). Each loader makes the policy the current one of the
** engine connection c (an in-memory database) exactly as polar_load would,
** test blocks included; on failure it returns -1 with zErr saying why.
*/
#ifndef PL_SC_PUBLISH_H
#define PL_SC_PUBLISH_H
#include "kafka.h"
#include <sqlite3.h>
#include <stdint.h>

typedef struct PlConn PlConn;

/* The policy in file zFile. */
int pub_policy_file(PlConn *c, const char *zFile, char *zErr, size_t nErr);
/* The policy stored in database zDb (opened read-only). */
int pub_policy_db(PlConn *c, const char *zDb, char *zErr, size_t nErr);
/* The last policy message on the topic that loads; *piOffset is its offset.
** Gives up after timeoutMs. */
int pub_policy_topic(PlConn *c, const KafkaOpts *o, int timeoutMs, int64_t *piOffset,
                     char *zErr, size_t nErr);

/* Run the batch message z[0..n) through polar_batch on c and undo it:
** 0 if the policy accepts it, -1 with the engine's reason in zErr. */
int pub_check(PlConn *c, const char *z, size_t n, char *zErr, size_t nErr);

#endif
