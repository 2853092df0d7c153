/*
** serve_http.c — `polarlite serve` on libmicrohttpd (see serve.h).
**
** libmicrohttpd runs a pool of worker threads, each an epoll loop over its
** share of the connections; a request is answered on the thread that read
** it, through that thread's engine connection (serve_db.c). For each
** request the access handler is called once the headers are in (routing,
** API key, size and mode checks: a refusal is answered before any body is
** read), once per piece of body (kept, up to 10 MiB), and once at the end,
** when the endpoint's handler runs.
**
** Slow clients. Reading and writing are event-driven: a client that sends
** or reads slowly holds a connection slot, never a thread. A whole request
** must arrive within --request-timeout of its connection becoming ready
** (accepted, or done with the previous request; that bounds idle
** keep-alive connections too): the reaper thread shuts the socket of one
** that does not, which libmicrohttpd then closes. Headers are bounded by
** the connection's memory pool (SERVE_MAX_HEADERS: larger ones get 431),
** connections by --max-connections, the work of a request by the step
** budget and --deadline (serve_db.c).
**
** Consistency. A read (or a write: an edge node checks it against what it
** has applied) carrying an OsoOffset its node has not applied yet is
** suspended and handed to the waiter (serve_wait.c), which resumes it when
** the position is reached or --wait-timeout passes; the handler then runs
** or answers 503 (the SDKs retry, then go to their fallback node). A
** fallback node ignores tokens: it cannot honour them. An edge node's write
** is suspended the same way while the brokers acknowledge it
** (call_publish).
**
** Errors are JSON {"message": ...} with the status the Oso SDKs expect:
** 400 and 5xx send them to their fallback node, so those are kept for
** what this node cannot answer now; a request that cannot be answered
** anywhere (malformed, unknown type, a fact the policy does not take)
** gets 422, a missing key 401, a read-only key writing 403.
*/
#include "serve.h"
#include "addr.h"
#include "log.h"
#include "producer.h"
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#define JSON_TYPE "application/json"

/* Each connection's memory pool (libmicrohttpd): the request line and
** headers must fit (a larger head is answered 431 or 414); it is zeroed
** between the requests of a connection, so no bigger than needed. */
#define SERVE_MAX_HEADERS (16*1024)

/* n as lowercase hex digits into z (nDigit of them, zero-padded). */
static void put_hex(char *z, uint64_t n, int nDigit){
  static const char hex[] = "0123456789abcdef";
  while( nDigit-- ){ z[nDigit] = hex[n & 15]; n >>= 4; }
}

const Endpoint serve_endpoints[EP_N] = {
  [EP_AUTHORIZE]           = { "POST", "/api/authorize", api_authorize, EP_F_TOKEN|EP_F_JSON },
  [EP_AUTHORIZE_RESOURCES] = { "POST", "/api/authorize_resources", api_authorize_resources,
                               EP_F_TOKEN|EP_F_JSON },
  [EP_LIST]                = { "POST", "/api/list", api_list, EP_F_TOKEN|EP_F_JSON },
  [EP_ACTIONS]             = { "POST", "/api/actions", api_actions, EP_F_TOKEN|EP_F_JSON },
  [EP_BULK_ACTIONS]        = { "POST", "/api/bulk_actions", api_bulk_actions, EP_F_TOKEN|EP_F_JSON },
  [EP_EVALUATE_QUERY]      = { "POST", "/api/evaluate_query", api_evaluate_query,
                               EP_F_TOKEN|EP_F_JSON },
  [EP_QUERY]               = { "POST", "/api/query", api_query, EP_F_TOKEN|EP_F_JSON },
  [EP_FACTS_GET]           = { "GET", "/api/facts", api_facts_get, EP_F_TOKEN },
  [EP_POLICY_GET]          = { "GET", "/api/policy", api_policy_get, EP_F_TOKEN },
  [EP_POLICY_METADATA]     = { "GET", "/api/policy_metadata", api_policy_metadata, EP_F_TOKEN },
  [EP_BATCH]               = { "POST", "/api/batch", api_batch, EP_F_WRITE|EP_F_TOKEN },
  [EP_POLICY_POST]         = { "POST", "/api/policy", api_policy_post, EP_F_WRITE|EP_F_TOKEN|EP_F_JSON },
  [EP_CLEAR_DATA]          = { "POST", "/api/clear_data", api_clear_data, EP_F_WRITE|EP_F_TOKEN },
  [EP_FACTS_POST]          = { "POST", "/api/facts", api_legacy_write, EP_F_WRITE|EP_F_TOKEN|EP_F_JSON },
  [EP_FACTS_DELETE]        = { "DELETE", "/api/facts", api_legacy_write, EP_F_WRITE|EP_F_TOKEN|EP_F_JSON },
  [EP_BULK]                = { "POST", "/api/bulk", api_legacy_write, EP_F_WRITE|EP_F_TOKEN|EP_F_JSON },
  [EP_BULK_LOAD]           = { "POST", "/api/bulk_load", api_legacy_write, EP_F_WRITE|EP_F_TOKEN|EP_F_JSON },
  [EP_BULK_DELETE]         = { "POST", "/api/bulk_delete", api_legacy_write, EP_F_WRITE|EP_F_TOKEN|EP_F_JSON },
  [EP_EXPECT]              = { "POST", "/api/expect", api_expect, 0 },
  [EP_LOCAL_CHECK]         = { "POST", "/api/authorize_query", api_local_check, 0 },
  [EP_HEALTHZ]             = { "GET", "/healthz", api_healthz, EP_F_OPEN },
  [EP_READYZ]              = { "GET", "/readyz", api_readyz, EP_F_OPEN },
  [EP_METRICS]             = { "GET", "/metrics", api_metrics, EP_F_OPEN },
  [EP_UNKNOWN]             = { "", "", 0, EP_F_OPEN },      /* counted only: 404 at once */
};

/* Other paths answered by an endpoint of the table. */
static const struct { const char *zPath; int iEp; } aAlias[] = {
  { "/api/list_query", EP_LOCAL_CHECK },
  { "/api/actions_query", EP_LOCAL_CHECK },
  { "/api/evaluate_query_local", EP_LOCAL_CHECK },
  { "/healthcheck", EP_HEALTHZ },          /* Oso's fallback node */
  { "/api/healthcheck", EP_HEALTHZ },      /* Oso's dev server */
};

/*---------------------------------------------------- connection tracking --*/

typedef struct Conn {
  struct Conn *pPrev, *pNext; /* connMutex */
  int fd;
  atomic_llong tSinceMs;      /* ready for a request since (accept, or last response) */
  atomic_int bBusy;           /* a whole request is in: answering it */
  int bShut;                  /* connMutex */
} Conn;

static pthread_mutex_t connMutex = PTHREAD_MUTEX_INITIALIZER;
static Conn *pConnList;
static struct MHD_Daemon *pDaemon;
static pthread_t reaper;

static void on_connection(void *cls, struct MHD_Connection *c, void **ppSock,
                          enum MHD_ConnectionNotificationCode toe){
  Server *S = cls;
  Conn *p = *ppSock;
  if( toe==MHD_CONNECTION_NOTIFY_STARTED ){
    const union MHD_ConnectionInfo *pInfo =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    p = calloc(1, sizeof(*p));
    if( p==0 ) return;        /* untracked: only MHD's own timeout applies */
    p->fd = pInfo ? pInfo->connect_fd : -1;
    atomic_store(&p->tSinceMs, serve_now_ms());
    pthread_mutex_lock(&connMutex);
    p->pNext = pConnList;
    if( pConnList ) pConnList->pPrev = p;
    pConnList = p;
    pthread_mutex_unlock(&connMutex);
    atomic_fetch_add(&S->nOpen, 1);
    *ppSock = p;
  }else if( p ){
    /* libmicrohttpd notifies before it closes the socket, so the reaper
    ** (which shuts sockets under connMutex) never touches a reused fd */
    pthread_mutex_lock(&connMutex);
    if( p->pPrev ) p->pPrev->pNext = p->pNext; else pConnList = p->pNext;
    if( p->pNext ) p->pNext->pPrev = p->pPrev;
    pthread_mutex_unlock(&connMutex);
    free(p);
    *ppSock = 0;
    atomic_fetch_sub(&S->nOpen, 1);
  }
}

static void *reaper_main(void *pArg){
  Server *S = pArg;
  while( !atomic_load(&S->bStop) ){
    struct timespec ts = { 0, 200*1000000L };
    int64_t now = serve_now_ms();
    int nShut = 0;
    Conn *p;
    pthread_mutex_lock(&connMutex);
    for(p=pConnList; p; p=p->pNext){
      if( !atomic_load(&p->bBusy) && !p->bShut && p->fd>=0
       && now - atomic_load(&p->tSinceMs) > S->o.nRequestTimeoutMs ){
        shutdown(p->fd, SHUT_RDWR);
        p->bShut = 1;
        nShut++;
      }
    }
    pthread_mutex_unlock(&connMutex);
    if( nShut ){
      log_event(LOG_DEBUG, "connections_closed", "count=%d reason=\"no whole request within "
                "%d ms\"", nShut, S->o.nRequestTimeoutMs);
    }
    nanosleep(&ts, 0);
  }
  return 0;
}

/* A connection's state for the reaper: atomics, so that no lock is taken
** per request (connMutex guards only the list, changed at connect and
** close). The connection is alive while its worker calls this. */
static void conn_mark(struct MHD_Connection *c, int bBusy){
  const union MHD_ConnectionInfo *pInfo =
      MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  Conn *p = pInfo ? pInfo->socket_context : 0;
  if( p==0 ) return;
  if( !bBusy ) atomic_store(&p->tSinceMs, serve_now_ms());
  atomic_store(&p->bBusy, bBusy);
}

/*--------------------------------------------------------------- requests --*/

typedef struct Req {
  Server *pS;
  struct MHD_Connection *pConn;
  int iEp;
  int status;                 /* as answered (0: not yet) */
  int64_t tStartUs;
  char zRid[132];             /* X-Request-ID */
  char *zBody; size_t nBody, nAlloc;
  size_t nDiscarded;          /* body bytes past the limit */
  int bTooLarge;
  int bReadOnlyKey;
  int bWaited;                /* suspended once for its OsoOffset */
  /* an edge node's write, suspended until the log acknowledges it: the
  ** answer, made by on_published */
  int bPublishing;
  const char *zPubWhat;
  int pubStatus;
  Out pubOut;
  char zPubOffset[48];
} Req;

/* A request id: the client's X-Request-ID when it is a sane token,
** otherwise 32 random hex digits. */
static void request_id(Req *r){
  static __thread uint64_t s[2];
  const char *z = MHD_lookup_connection_value(r->pConn, MHD_HEADER_KIND, "X-Request-ID");
  size_t n = z ? strlen(z) : 0;
  uint64_t a, b;
  if( n>0 && n<sizeof(r->zRid) && strspn(z, "0123456789abcdefABCDEFghijklmnopqrstuvwxyz"
      "GHIJKLMNOPQRSTUVWXYZ-_.:")==n ){
    memcpy(r->zRid, z, n+1);
    return;
  }
  if( s[0]==0 && s[1]==0 ){
    if( getrandom(s, sizeof(s), 0)!=(ssize_t)sizeof(s) || (s[0]|s[1])==0 ){
      s[0] = (uint64_t)serve_now_us(); s[1] = (uint64_t)(uintptr_t)&s ^ 0x9E3779B97F4A7C15ull;
    }
  }
  /* xorshift128+ */
  a = s[0]; b = s[1];
  s[0] = b; a ^= a<<23; s[1] = a ^ b ^ (a>>17) ^ (b>>26);
  put_hex(r->zRid, s[1]+b, 16);
  put_hex(r->zRid+16, a*0x2545F4914F6CDD1Dull, 16);
  r->zRid[32] = 0;
}

/* Queue the response: status, body (taken over), and the headers every
** answer carries. */
static enum MHD_Result respond(Req *r, int status, Out *pBody, const char *zType,
                               const char *zOffset, const char *zRetryAfter,
                               const char *zAllow){
  struct MHD_Response *pResp;
  enum MHD_Result rc;
  char zTiming[48];
  if( pBody->bOom ){
    out_reset(pBody);
    pBody->bOom = 0;
    out_str(pBody, "{\"message\":\"out of memory\"}");
    status = 500;
  }
  pResp = MHD_create_response_from_buffer_with_free_callback(pBody->n,
              pBody->z ? pBody->z : (char*)"", pBody->z ? free : 0);
  if( pResp==0 ){
    out_free(pBody);
    return MHD_NO;
  }
  pBody->z = 0;               /* the response owns it now */
  out_free(pBody);
  {
    /* "oso;dur=MS.UUU": the Node SDK takes the first entry starting "oso;" */
    int64_t us = serve_now_us() - r->tStartUs, ms = us/1000;
    int i = 8, k;
    char aDigit[24];
    memcpy(zTiming, "oso;dur=", 8);
    for(k=0; k==0 || ms>0; ms /= 10) aDigit[k++] = (char)('0' + ms%10);
    while( k ) zTiming[i++] = aDigit[--k];
    zTiming[i++] = '.';
    zTiming[i++] = (char)('0' + (us%1000)/100);
    zTiming[i++] = (char)('0' + (us%100)/10);
    zTiming[i++] = (char)('0' + us%10);
    zTiming[i] = 0;
  }
  MHD_add_response_header(pResp, MHD_HTTP_HEADER_CONTENT_TYPE, zType);
  MHD_add_response_header(pResp, "X-Request-ID", r->zRid);
  MHD_add_response_header(pResp, "Server-Timing", zTiming);
  if( zOffset && zOffset[0] ) MHD_add_response_header(pResp, "OsoOffset", zOffset);
  if( zRetryAfter ) MHD_add_response_header(pResp, MHD_HTTP_HEADER_RETRY_AFTER, zRetryAfter);
  if( zAllow ) MHD_add_response_header(pResp, MHD_HTTP_HEADER_ALLOW, zAllow);
  if( atomic_load(&r->pS->bDraining) ){
    MHD_add_response_header(pResp, MHD_HTTP_HEADER_CONNECTION, "close");
  }
  rc = MHD_queue_response(r->pConn, (unsigned)status, pResp);
  MHD_destroy_response(pResp);
  r->status = status;
  return rc;
}

static void verrorf(Out *o, const char *zFmt, va_list ap){
  char zMsg[2048];
  int n = vsnprintf(zMsg, sizeof(zMsg), zFmt, ap);
  if( n<0 ) n = 0;
  if( n>=(int)sizeof(zMsg) ) n = (int)sizeof(zMsg)-1;
  out_reset(o);
  out_str(o, "{\"message\":");
  out_json(o, zMsg, (size_t)n);
  out_raw(o, "}", 1);
}

int call_error(Call *C, int status, const char *zFmt, ...){
  va_list ap;
  va_start(ap, zFmt);
  verrorf(&C->out, zFmt, ap);
  va_end(ap);
  return status;
}

static enum MHD_Result respond_error(Req *r, int status, const char *zAllow,
                                     const char *zRetryAfter, const char *zFmt, ...)
  __attribute__((format(printf,5,6)));
static enum MHD_Result respond_error(Req *r, int status, const char *zAllow,
                                     const char *zRetryAfter, const char *zFmt, ...){
  Out o;
  va_list ap;
  memset(&o, 0, sizeof(o));
  va_start(ap, zFmt);
  verrorf(&o, zFmt, ap);
  va_end(ap);
  return respond(r, status, &o, JSON_TYPE, 0, zRetryAfter, zAllow);
}

const char *call_arg(Call *C, const char *zKey){
  Req *r = C->pHttp;
  return MHD_lookup_connection_value(r->pConn, MHD_GET_ARGUMENT_KIND, zKey);
}

/* The endpoint for url/method: its index, or EP_UNKNOWN; *pbWrongMethod
** when the path exists with other methods (*pzAllow lists them). */
static int route(const char *zUrl, const char *zMethod, int *pbWrongMethod,
                 const char **pzAllow){
  size_t i;
  *pbWrongMethod = 0;
  *pzAllow = 0;
  for(i=0; i<sizeof(aAlias)/sizeof(aAlias[0]); i++){
    if( strcmp(zUrl, aAlias[i].zPath)==0 ){
      if( strcmp(zMethod, serve_endpoints[aAlias[i].iEp].zMethod)==0 ) return aAlias[i].iEp;
      *pbWrongMethod = 1;
      *pzAllow = serve_endpoints[aAlias[i].iEp].zMethod;
      return EP_UNKNOWN;
    }
  }
  for(i=0; i<EP_UNKNOWN; i++){
    if( strcmp(zUrl, serve_endpoints[i].zPath)!=0 ) continue;
    if( strcmp(zMethod, serve_endpoints[i].zMethod)==0 ){
      *pbWrongMethod = 0;
      return (int)i;
    }
    *pbWrongMethod = 1;
  }
  if( *pbWrongMethod ){
    *pzAllow = strcmp(zUrl, "/api/facts")==0 ? "GET, POST, DELETE"
             : strcmp(zUrl, "/api/policy")==0 ? "GET, POST" : 0;
    for(i=0; !*pzAllow && i<EP_UNKNOWN; i++){
      if( strcmp(zUrl, serve_endpoints[i].zPath)==0 ) *pzAllow = serve_endpoints[i].zMethod;
    }
  }
  return EP_UNKNOWN;
}

/* The checks made once the headers are in. MHD_YES to read the body, or
** the refusal queued. */
static enum MHD_Result admit(Server *S, Req *r, const char *zUrl, const char *zMethod){
  const Endpoint *ep;
  const char *zAllow, *zLen;
  int bWrongMethod;
  r->iEp = route(zUrl, zMethod, &bWrongMethod, &zAllow);
  ep = &serve_endpoints[r->iEp];
  if( !(ep->flags & EP_F_OPEN) && S->pKeys ){
    const char *zAuth = MHD_lookup_connection_value(r->pConn, MHD_HEADER_KIND,
                                                    MHD_HTTP_HEADER_AUTHORIZATION);
    switch( keys_check(S->pKeys, zAuth) ){
      case KEY_MISSING:
        return respond_error(r, 401, 0, 0, "missing API key: send Authorization: Bearer <key>");
      case KEY_BAD:
        return respond_error(r, 401, 0, 0, "invalid API key");
      case KEY_RO:
        r->bReadOnlyKey = 1;
        break;
    }
  }
  if( bWrongMethod ){
    return respond_error(r, 405, zAllow, 0, "%s is not allowed on %s (use %s)", zMethod, zUrl,
                         zAllow ? zAllow : "another method");
  }
  if( r->iEp==EP_UNKNOWN ){
    return respond_error(r, 404, 0, 0, "no such endpoint: %s %.200s", zMethod, zUrl);
  }
  if( ep->flags & EP_F_WRITE ){
    if( S->eNode==NODE_FALLBACK ){
      return respond_error(r, 403, 0, 0, "this is a fallback node: it answers reads only; "
                           "send writes to an edge node");
    }
    if( r->bReadOnlyKey ){
      return respond_error(r, 403, 0, 0, "this API key is read-only: %s %s writes", zMethod, zUrl);
    }
  }
  zLen = MHD_lookup_connection_value(r->pConn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
  if( zLen && strtoull(zLen, 0, 10)>SERVE_MAX_BODY ){
    return respond_error(r, 413, 0, 0, "the request body is %s bytes; the limit is %d bytes "
                         "(10 MiB)", zLen, SERVE_MAX_BODY);
  }
  return MHD_YES;
}

static void on_wake(void *pArg){
  Req *r = pArg;
  MHD_resume_connection(r->pConn);
}

/* The producer's thread: the log's answer to an edge node's write. The
** connection is suspended, so nothing else touches r until it resumes. */
static void on_published(void *pArg, const char *zErr, int iPartition, int64_t iOffset){
  Req *r = pArg;
  Server *S = r->pS;
  if( zErr ){
    char zMsg[400], zQ[420];
    snprintf(zMsg, sizeof(zMsg), "the write was not accepted by the log: %s", zErr);
    log_event(LOG_ERROR, "publish_failed", "topic=%s error=%s", S->o.kafka.zTopic,
              log_q(zQ, sizeof(zQ), zErr));
    out_str(&r->pubOut, "{\"message\":");
    out_json(&r->pubOut, zMsg, strlen(zMsg));
    out_raw(&r->pubOut, "}", 1);
    r->pubStatus = 503;
  }else{
    int64_t iPrev = atomic_load(&S->iIssuedOffset);
    while( iOffset>iPrev && !atomic_compare_exchange_weak(&S->iIssuedOffset, &iPrev, iOffset) ){}
    snprintf(r->zPubOffset, sizeof(r->zPubOffset), "%d:%lld", iPartition, (long long)iOffset);
    out_printf(&r->pubOut, "{\"message\":\"%s accepted at %s\"}", r->zPubWhat, r->zPubOffset);
    r->pubStatus = 200;
  }
  MHD_resume_connection(r->pConn);
}

int call_publish(Call *C, const char *z, size_t n, const char *zWhat){
  Req *r = C->pHttp;
  Server *S = C->pS;
  char zErr[512];
  if( atomic_load(&S->bNoPublish) ){
    C->zRetryAfter = "1";
    return call_error(C, 503, "the node is shutting down: write not published");
  }
  r->zPubWhat = zWhat;
  r->bPublishing = 1;         /* before the send: its answer may come at once */
  MHD_suspend_connection(r->pConn);
  if( producer_send_async(S->pProducer, z, n, on_published, r, zErr, sizeof(zErr)) ){
    r->bPublishing = 0;
    MHD_resume_connection(r->pConn);
    C->zRetryAfter = "1";
    return call_error(C, 503, "the write was not accepted by the log: %s", zErr);
  }
  return SERVE_PENDING;
}

/* The whole request is in: run its endpoint. */
static enum MHD_Result run(Server *S, Req *r){
  const Endpoint *ep = &serve_endpoints[r->iEp];
  char zErr[512];
  Call C;
  int status;
  Worker *w;
  if( r->bPublishing ){
    /* resumed: the log answered this edge node's write */
    return respond(r, r->pubStatus, &r->pubOut, JSON_TYPE, r->zPubOffset,
                   r->pubStatus==200 ? 0 : "1", 0);
  }
  w = worker_get(S, zErr, sizeof(zErr));
  if( w==0 ){
    log_event(LOG_ERROR, "database_unavailable", "error=\"%s\"", zErr);
    return respond_error(r, 503, 0, "1", "the node cannot open its database: %s", zErr);
  }
  if( (ep->flags & EP_F_TOKEN) && S->eNode!=NODE_FALLBACK ){
    const char *zTok = MHD_lookup_connection_value(r->pConn, MHD_HEADER_KIND, "OsoOffset");
    Token tok;
    Position pos;
    if( zTok && zTok[0] ){
      if( token_parse(zTok, &tok) || tok.bLocal!=(S->eNode==NODE_LOCAL) ){
        return respond_error(r, 400, 0, 0, "OsoOffset '%.64s' is not a consistency token of "
                             "this node (expected %s)", zTok,
                             S->eNode==NODE_LOCAL ? "local:N" : "PARTITION:OFFSET");
      }
      worker_position(w, &pos);
      if( !token_reached(&tok, &pos) ){
        if( r->bWaited ){
          atomic_fetch_add(&S->nWaitTimeouts, 1);
          return respond_error(r, 503, 0, "1", "this node has not applied OsoOffset %s within "
                               "%d ms", zTok, S->o.nWaitMs);
        }
        r->bWaited = 1;
        atomic_fetch_add(&S->nWaits, 1);
        MHD_suspend_connection(r->pConn);
        if( waiter_add(S->pWaiter, &tok, serve_now_ms() + S->o.nWaitMs, on_wake, r) ){
          MHD_resume_connection(r->pConn);
        }
        return MHD_YES;
      }
    }
  }
  memset(&C, 0, sizeof(C));
  C.pS = S;
  C.w = w;
  C.iEndpoint = r->iEp;
  C.zBody = r->zBody ? r->zBody : "";
  C.nBody = r->nBody;
  C.pHttp = r;
  C.bReadOnlyKey = r->bReadOnlyKey;
  if( ep->flags & EP_F_JSON ){
    if( r->nBody==0 ){
      return respond_error(r, 422, 0, 0, "%s needs a JSON body", ep->zPath);
    }
    if( r->nBody>0x7fffffff || sj_parse(&C.doc, C.zBody, (int)r->nBody, zErr, sizeof(zErr)) ){
      sj_free(&C.doc);
      return respond_error(r, 422, 0, 0, "the request body: %s", zErr);
    }
  }
  worker_begin(w, S->o.nDeadlineMs);
  status = ep->xRun(&C);
  worker_end(w);
  sj_free(&C.doc);
  if( status==SERVE_PENDING ){
    out_free(&C.out);
    return MHD_YES;           /* answered when resumed */
  }
  return respond(r, status, &C.out,
                 r->iEp==EP_METRICS || r->iEp==EP_HEALTHZ || r->iEp==EP_READYZ
                   ? "text/plain; version=0.0.4; charset=utf-8" : JSON_TYPE,
                 C.zOffset, C.zRetryAfter, 0);
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *c, const char *zUrl,
                                 const char *zMethod, const char *zVersion,
                                 const char *zUpload, size_t *pnUpload, void **ppReq){
  Server *S = cls;
  Req *r = *ppReq;
  (void)zVersion;
  if( r==0 ){
    r = calloc(1, sizeof(*r));
    if( r==0 ) return MHD_NO;
    r->pS = S;
    r->pConn = c;
    r->tStartUs = serve_now_us();
    atomic_fetch_add(&S->nInFlight, 1);
    *ppReq = r;
    request_id(r);
    return admit(S, r, zUrl, zMethod);
  }
  if( *pnUpload ){
    size_t n = *pnUpload;
    *pnUpload = 0;
    if( r->bTooLarge || r->nBody + n > SERVE_MAX_BODY ){
      /* a body without Content-Length that passes the limit: drop what
      ** comes (a response cannot be queued mid-upload), then refuse; past
      ** another MiB, hang up */
      r->bTooLarge = 1;
      r->nDiscarded += n;
      return r->nDiscarded > 1024*1024 ? MHD_NO : MHD_YES;
    }
    if( r->nBody + n + 1 > r->nAlloc ){
      size_t nNew = r->nAlloc ? r->nAlloc : 4096;
      char *zNew;
      while( nNew < r->nBody + n + 1 ) nNew *= 2;
      zNew = realloc(r->zBody, nNew);
      if( zNew==0 ) return MHD_NO;
      r->zBody = zNew;
      r->nAlloc = nNew;
    }
    memcpy(r->zBody + r->nBody, zUpload, n);
    r->nBody += n;
    r->zBody[r->nBody] = 0;
    return MHD_YES;
  }
  if( r->bTooLarge ){
    return respond_error(r, 413, 0, 0, "the request body is over the limit of %d bytes (10 MiB)",
                         SERVE_MAX_BODY);
  }
  conn_mark(c, 1);
  return run(S, r);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **ppReq,
                         enum MHD_RequestTerminationCode toe){
  Server *S = cls;
  Req *r = *ppReq;
  int64_t nUs;
  if( r==0 ) return;
  nUs = serve_now_us() - r->tStartUs;
  if( r->status ){
    sm_record(S, r->iEp, r->status, nUs);
    log_event(r->status>=500 ? LOG_WARN : LOG_DEBUG, "request", "method=%s path=%s status=%d "
              "us=%lld rid=%s%s", serve_endpoints[r->iEp].zMethod[0]
              ? serve_endpoints[r->iEp].zMethod : "-",
              serve_endpoints[r->iEp].zPath[0] ? serve_endpoints[r->iEp].zPath : "-",
              r->status, (long long)nUs, r->zRid,
              toe==MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " sent=incomplete");
  }
  conn_mark(c, 0);
  out_free(&r->pubOut);
  free(r->zBody);
  free(r);
  *ppReq = 0;
  atomic_fetch_sub(&S->nInFlight, 1);
}

/* Without --api-keys only loopback clients are served. */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *pAddr, socklen_t nAddr){
  Server *S = cls;
  (void)nAddr;
  if( S->pKeys==0 && !addr_is_loopback(pAddr) ) return MHD_NO;
  return MHD_YES;
}

static void on_mhd_log(void *cls, const char *zFmt, va_list ap){
  char zMsg[512], zQ[600];
  size_t n;
  (void)cls;
  vsnprintf(zMsg, sizeof(zMsg), zFmt, ap);
  n = strlen(zMsg);
  while( n>0 && (zMsg[n-1]=='\n' || zMsg[n-1]=='.') ) zMsg[--n] = 0;
  log_event(LOG_DEBUG, "http", "message=%s", log_q(zQ, sizeof(zQ), zMsg));
}

int http_start(Server *S, char *zErr, size_t nErr){
  struct addrinfo *pAi = 0;
  unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_SUSPEND_RESUME | MHD_USE_ERROR_LOG
                 | MHD_USE_TURBO;
  const union MHD_DaemonInfo *pInfo;
  unsigned nTimeoutS = (unsigned)((S->o.nRequestTimeoutMs + 999)/1000);
  char zQ[300];
  if( addr_parse("--listen", S->o.zListen, &pAi, zErr, nErr) ) return -1;
  if( S->pKeys==0 && !addr_is_loopback(pAi->ai_addr) ){
    snprintf(zErr, nErr, "--listen %s is not a loopback address: without --api-keys FILE "
             "polarlite serve answers only on loopback (127.0.0.1 or [::1])", S->o.zListen);
    freeaddrinfo(pAi);
    return -1;
  }
  if( pAi->ai_family==AF_INET6 ) flags |= MHD_USE_IPv6;
  pDaemon = MHD_start_daemon(flags, 0, on_accept, S, on_access, S,
      MHD_OPTION_SOCK_ADDR, pAi->ai_addr,
      MHD_OPTION_THREAD_POOL_SIZE, (unsigned)S->o.nThreads,
      MHD_OPTION_CONNECTION_LIMIT, (unsigned)S->o.nMaxConnections,
      MHD_OPTION_CONNECTION_TIMEOUT, nTimeoutS,
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)SERVE_MAX_HEADERS,
      MHD_OPTION_NOTIFY_COMPLETED, on_completed, S,
      MHD_OPTION_NOTIFY_CONNECTION, on_connection, S,
      MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, S,
      MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)4096,
      MHD_OPTION_END);
  freeaddrinfo(pAi);
  if( pDaemon==0 ){
    snprintf(zErr, nErr, "--listen %s: cannot listen (address in use, or not an address "
             "of this machine?)", S->o.zListen);
    return -1;
  }
  if( pthread_create(&reaper, 0, reaper_main, S) ){
    MHD_stop_daemon(pDaemon);
    pDaemon = 0;
    snprintf(zErr, nErr, "cannot start the reaper thread");
    return -1;
  }
  pInfo = MHD_get_daemon_info(pDaemon, MHD_DAEMON_INFO_BIND_PORT);
  log_event(LOG_INFO, "listening", "addr=%s port=%u threads=%d", log_q(zQ, sizeof(zQ),
            S->o.zListen), pInfo ? (unsigned)pInfo->port : 0u, S->o.nThreads);
  /* the port on stdout too: with --listen HOST:0 the caller learns it here */
  printf("listening on port %u\n", pInfo ? (unsigned)pInfo->port : 0u);
  fflush(stdout);
  return 0;
}

void http_quiesce(Server *S){
  MHD_socket fd;
  (void)S;
  if( pDaemon==0 ) return;
  fd = MHD_quiesce_daemon(pDaemon);
  if( fd!=MHD_INVALID_SOCKET ) close(fd);
}

void http_stop(Server *S){
  if( pDaemon==0 ) return;
  waiter_wake_all(S->pWaiter);        /* suspended connections must be resumed first */
  pthread_join(reaper, 0);            /* S->bStop is set */
  MHD_stop_daemon(pDaemon);
  pDaemon = 0;
}
