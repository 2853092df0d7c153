/*
** serve.h — `polarlite serve`: Oso Cloud's HTTP API over a polarlite
** database, the pieces shared by the serve_*.c files.
**
**   serve.c            the command: options, start, SIGTERM drain, stop
**   serve_http.c       libmicrohttpd glue: routing, limits, keys, slow
**                      clients, consistency waits, responses, the endpoint table
**   serve_api_check.c  authorize, authorize_resources, list, actions, bulk_actions
**   serve_api_query.c  evaluate_query (the query builder), query
**   serve_api_read.c   GET facts, policy, policy_metadata; health, metrics
**   serve_api_write.c  batch, policy, clear_data and the older write endpoints
**   serve_db.c         one engine connection per worker thread, its cached
**                      statements, the request deadline (watchdog)
**   serve_wait.c       consistency tokens and the thread that wakes waiting reads
**   serve_keys.c       API keys
**   serve_metrics.c    request counts and latency histograms
**   serve_json.c       request decoding and response writing (no database)
**
** A worker thread of libmicrohttpd runs a request from its first byte to
** its response; a read whose OsoOffset is not applied yet is suspended
** (the worker goes on with other connections) and resumed by the waiter.
*/
#ifndef PL_SC_SERVE_H
#define PL_SC_SERVE_H
#include "kafka.h"
#include "serve_json.h"
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdint.h>

typedef struct PlConn PlConn;
typedef struct Producer Producer;
typedef struct Keys Keys;
typedef struct Waiter Waiter;
typedef struct Worker Worker;
typedef struct Server Server;
typedef struct Call Call;

#define SERVE_MAX_BODY (10*1024*1024)   /* Oso's request limit: 10 MiB */

/*---------------------------------------------------------------- serve.c --*/
typedef struct ServeOpts {
  const char *zDb;
  const char *zListen;
  const char *zApiKeys;           /* NULL: loopback only, no keys */
  const char *zLogFile;
  KafkaOpts kafka;                /* zBrokers set: an edge node */
  int bFallback;                  /* a fallback node: reads only */
  int nThreads;                   /* worker threads (libmicrohttpd's pool) */
  int nMaxConnections;
  int nRequestTimeoutMs;          /* a whole request must arrive within this */
  int nWaitMs;                    /* bound on an OsoOffset wait */
  int nDeadlineMs;                /* bound on one request's work */
  int64_t nSteps;                 /* polar_limit('steps') of every connection */
  int nReadyLag;                  /* /readyz: most messages behind the log */
  int nDrainMs;                   /* SIGTERM: wait this long for requests */
  int nPublishMs;                 /* edge: a write not acknowledged by then fails */
} ServeOpts;

enum { NODE_LOCAL = 0, NODE_EDGE, NODE_FALLBACK };

/*------------------------------------------------------ serve_metrics.c --*/
#define SM_NCODE 16                    /* status codes told apart */
#define SM_NBUCKET 16                  /* latency histogram buckets */
typedef struct EpStats {
  atomic_llong aCode[SM_NCODE];
  atomic_llong aBucket[SM_NBUCKET];   /* cumulative counts are made at render */
  atomic_llong nSumUs;
} EpStats;

/*-------------------------------------------------------------- endpoints --*/
enum {
  EP_AUTHORIZE, EP_AUTHORIZE_RESOURCES, EP_LIST, EP_ACTIONS, EP_BULK_ACTIONS,
  EP_EVALUATE_QUERY, EP_QUERY, EP_FACTS_GET, EP_POLICY_GET, EP_POLICY_METADATA,
  EP_BATCH, EP_POLICY_POST, EP_CLEAR_DATA, EP_FACTS_POST, EP_FACTS_DELETE, EP_BULK,
  EP_BULK_LOAD, EP_BULK_DELETE, EP_EXPECT, EP_LOCAL_CHECK, EP_HEALTHZ, EP_READYZ,
  EP_METRICS, EP_UNKNOWN, EP_N
};
#define EP_F_WRITE   1u      /* changes facts or the policy */
#define EP_F_TOKEN   2u      /* honours OsoOffset (waits for it) */
#define EP_F_OPEN    4u      /* no API key needed (health, metrics) */
#define EP_F_JSON    8u      /* the body is parsed as JSON first */

typedef struct Endpoint {
  const char *zMethod;
  const char *zPath;          /* under /api, or /healthz ... */
  int (*xRun)(Call*);         /* returns the HTTP status */
  unsigned flags;
} Endpoint;
extern const Endpoint serve_endpoints[EP_N];   /* serve_http.c */

/*----------------------------------------------------------------- server --*/
struct Server {
  ServeOpts o;
  int eNode;
  Keys *pKeys;
  Producer *pProducer;        /* edge node */
  Waiter *pWaiter;
  atomic_int bDraining;       /* SIGTERM: finishing what is in flight */
  atomic_int bNoPublish;      /* shutting down: writes no longer published */
  atomic_int nInFlight;       /* requests begun and not completed */
  atomic_int nOpen;           /* connections open */
  atomic_llong iIssuedOffset; /* edge: highest offset this node published */
  atomic_llong nWaits;        /* requests that waited for their OsoOffset */
  atomic_llong nWaitTimeouts; /* ... in vain (503) */
  int64_t iStartMs;
  EpStats aStats[EP_N];
  pthread_mutex_t mu;         /* the workers list */
  Worker *pWorkers;
  pthread_t watchdog;
  atomic_int bStop;
};

/* One request being answered by a handler. */
struct Call {
  Server *pS;
  Worker *w;
  int iEndpoint;
  const char *zBody; size_t nBody;  /* the request body, NUL-terminated */
  SjDoc doc;                        /* EP_F_JSON: the parsed body (token 0) */
  void *pHttp;                      /* for call_arg() */
  int bReadOnlyKey;
  Out out;                          /* the response body */
  char zOffset[48];                 /* OsoOffset to send (writes) */
  const char *zRetryAfter;          /* Retry-After to send, or NULL */
};

/* serve_http.c: a query-string argument of the request (GET /facts), or NULL */
const char *call_arg(Call*, const char *zKey);
/* Edge node: publish message z (checked) to the log without holding the
** worker: the connection is suspended until the brokers acknowledge it,
** then answered 200 {"message": "<zWhat> accepted at P:O"} with that
** OsoOffset (or 503). Returns SERVE_PENDING, or the status of an error put
** into C when the message could not even be queued. */
#define SERVE_PENDING 1
int call_publish(Call*, const char *z, size_t n, const char *zWhat);
/* {"message": ...} as the body; returns status. */
int call_error(Call*, int status, const char *zFmt, ...)
  __attribute__((format(printf,3,4)));

/* serve_api_*.c: the handlers */
int api_authorize(Call*);
int api_authorize_resources(Call*);
int api_list(Call*);
int api_actions(Call*);
int api_bulk_actions(Call*);
int api_evaluate_query(Call*);
int api_query(Call*);
int api_facts_get(Call*);
int api_policy_get(Call*);
int api_policy_metadata(Call*);
int api_batch(Call*);
int api_policy_post(Call*);
int api_clear_data(Call*);
int api_legacy_write(Call*);       /* POST/DELETE /facts, /bulk, /bulk_load, /bulk_delete */
int api_expect(Call*);
int api_local_check(Call*);        /* /authorize_query and the like: not built */
int api_healthz(Call*);
int api_readyz(Call*);
int api_metrics(Call*);

/* serve_http.c: start serving; stop accepting; stop. */
int http_start(Server*, char *zErr, size_t nErr);
void http_quiesce(Server*);
void http_stop(Server*);

/*------------------------------------------------------------ serve_db.c --*/
/* The log position a database file has applied (polar_meta), and the
** count of writes `serve` applied to it itself (local mode). */
typedef struct Position {
  int bLog; int64_t iPartition, iOffset;
  int64_t iLocal;
} Position;
#define POSITION_SQL \
  "SELECT (SELECT value FROM main.polar_meta WHERE key='log_partition')," \
  " (SELECT value FROM main.polar_meta WHERE key='log_offset')," \
  " (SELECT value FROM main.polar_meta WHERE key='local_writes')"

enum {
  W_AUTHORIZE, W_LIST, W_LIST_PAGE, W_ACTIONS, W_POSITION, W_POLICY_GET, W_STATUS,
  W_BATCH, W_LOCAL_BUMP, W_POLICY_LOAD, W_BEGIN, W_COMMIT, W_ROLLBACK, W_SAVEPOINT,
  W_UNDO, W_STORED_PREDS, W_N
};

/* This thread's connection, opened on first use. NULL with zErr. */
Worker *worker_get(Server*, char *zErr, size_t nErr);
sqlite3 *worker_db(Worker*);
PlConn *worker_conn(Worker*);
/* A fixed statement (reset, bindings cleared), or NULL with *pzErr. */
sqlite3_stmt *worker_stmt(Worker*, int eStmt, char **pzErr);
/* A statement for zSql from a small per-worker cache, or NULL with *pzErr. */
sqlite3_stmt *worker_prepare(Worker*, const char *zSql, char **pzErr);
/* The request deadline: sqlite3_interrupt past it (the watchdog). */
void worker_begin(Worker*, int iMs);
int worker_end(Worker*);           /* 1 if the deadline fired */
/* The file's position. 0, or -1 when polar_meta cannot be read. */
int worker_position(Worker*, Position*);
/* The engine's error for the last call: a status and message in C. */
int worker_error(Call*, int rc, const char *zMsg);
/* Policy metadata JSON of the current policy, cached per version. */
int worker_metadata(Worker*, const char **pz, size_t *pn, char **pzErr);
void workers_close(Server*);
int watchdog_start(Server*, char *zErr, size_t nErr);
void watchdog_stop(Server*);

/*---------------------------------------------------------- serve_wait.c --*/
typedef struct Token { int bLocal; int64_t iPartition, iOffset; } Token;
/* "P:O" (a log position) or "local:N". 0 or -1. */
int token_parse(const char *z, Token*);
int token_reached(const Token*, const Position*);
void token_format(const Token*, char *z, size_t n);

int waiter_start(const char *zDb, Waiter **pp, char *zErr, size_t nErr);
void waiter_stop(Waiter*);
/* Call xWake(pArg) once the file reaches tok, or at iDeadlineMs
** (CLOCK_MONOTONIC), whichever is first; 0, or -1 (out of memory). */
int waiter_add(Waiter*, const Token *tok, int64_t iDeadlineMs, void (*xWake)(void*), void *pArg);
/* Wake every waiter now (shutdown). */
void waiter_wake_all(Waiter*);
int waiter_count(Waiter*);

/*---------------------------------------------------------- serve_keys.c --*/
enum { KEY_MISSING = 0, KEY_BAD, KEY_RW, KEY_RO };
int keys_load(const char *zPath, Keys **pp, char *zErr, size_t nErr);
void keys_free(Keys*);
int keys_count(const Keys*);
/* The Authorization header's key against every key, in constant time. */
int keys_check(const Keys*, const char *zAuthorization);

/*------------------------------------------------------- serve_metrics.c --*/
void sm_record(Server*, int iEndpoint, int status, int64_t nUs);
void sm_render(Server*, Worker*, Out*);

/*--------------------------------------------------------------- common --*/
int64_t serve_now_ms(void);        /* CLOCK_MONOTONIC */
int64_t serve_now_us(void);

#endif
