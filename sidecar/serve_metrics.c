/*
** serve_metrics.c — what `polarlite serve` counts, and /metrics
** (Prometheus text format 0.0.4).
**
** Every request is counted by endpoint and status code, and its time from
** the end of its headers to its response being sent goes into a latency
** histogram of its endpoint. The counters are atomics updated by the
** worker threads; /metrics adds them up when it is asked. With them: the
** connections open, requests in flight and waiting for their OsoOffset,
** and what the database says (policy version, applied log position, lag,
** snapshot age — a fallback node also as oso_fallback_snapshot_age_ms,
** the name Oso's own fallback node uses).
*/
#include "serve.h"
#include "log.h"
#include <stdio.h>
#include <string.h>

static const int aCode[SM_NCODE-1] = {
  200, 202, 400, 401, 403, 404, 405, 409, 413, 414, 422, 429, 431, 500, 503
};

/* Upper bounds of the latency buckets, in microseconds; the last is +Inf. */
static const int64_t aBound[SM_NBUCKET-1] = {
  100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
  1000000, 2500000, 10000000
};

void sm_record(Server *S, int iEp, int status, int64_t nUs){
  EpStats *p = &S->aStats[iEp];
  int i;
  for(i=0; i<SM_NCODE-1 && aCode[i]!=status; i++){}
  atomic_fetch_add_explicit(&p->aCode[i], 1, memory_order_relaxed);
  for(i=0; i<SM_NBUCKET-1 && nUs>aBound[i]; i++){}
  atomic_fetch_add_explicit(&p->aBucket[i], 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&p->nSumUs, nUs, memory_order_relaxed);
}

static void gauge(Out *o, const char *zName, const char *zHelp, double v){
  out_printf(o, "# HELP %s %s\n# TYPE %s gauge\n%s %.17g\n", zName, zHelp, zName, zName, v);
}

/* The endpoint's label: its path as clients send it. */
static const char *ep_label(int iEp){
  return iEp==EP_UNKNOWN ? "other" : serve_endpoints[iEp].zPath;
}

static void render_requests(Server *S, Out *o){
  int iEp, i;
  out_printf(o, "# HELP polarlite_http_requests_total Requests answered, by endpoint and status code.\n"
          "# TYPE polarlite_http_requests_total counter\n");
  for(iEp=0; iEp<EP_N; iEp++){
    for(i=0; i<SM_NCODE; i++){
      long long n = atomic_load_explicit(&S->aStats[iEp].aCode[i], memory_order_relaxed);
      if( n==0 ) continue;
      if( i<SM_NCODE-1 ){
        out_printf(o, "polarlite_http_requests_total{endpoint=\"%s\",method=\"%s\",code=\"%d\"} %lld\n",
             ep_label(iEp), serve_endpoints[iEp].zMethod, aCode[i], n);
      }else{
        out_printf(o, "polarlite_http_requests_total{endpoint=\"%s\",method=\"%s\",code=\"other\"} %lld\n",
             ep_label(iEp), serve_endpoints[iEp].zMethod, n);
      }
    }
  }
  out_printf(o, "# HELP polarlite_http_request_duration_seconds Time from a request's headers to its "
          "response, by endpoint.\n# TYPE polarlite_http_request_duration_seconds histogram\n");
  for(iEp=0; iEp<EP_N; iEp++){
    const EpStats *p = &S->aStats[iEp];
    long long nCum = 0;
    for(i=0; i<SM_NBUCKET; i++) nCum += atomic_load_explicit(&p->aBucket[i], memory_order_relaxed);
    if( nCum==0 ) continue;
    nCum = 0;
    for(i=0; i<SM_NBUCKET; i++){
      nCum += atomic_load_explicit(&p->aBucket[i], memory_order_relaxed);
      if( i<SM_NBUCKET-1 ){
        out_printf(o, "polarlite_http_request_duration_seconds_bucket{endpoint=\"%s\",method=\"%s\","
             "le=\"%g\"} %lld\n", ep_label(iEp), serve_endpoints[iEp].zMethod,
             (double)aBound[i]/1e6, nCum);
      }else{
        out_printf(o, "polarlite_http_request_duration_seconds_bucket{endpoint=\"%s\",method=\"%s\","
             "le=\"+Inf\"} %lld\n", ep_label(iEp), serve_endpoints[iEp].zMethod, nCum);
      }
    }
    out_printf(o, "polarlite_http_request_duration_seconds_sum{endpoint=\"%s\",method=\"%s\"} %.6f\n",
         ep_label(iEp), serve_endpoints[iEp].zMethod,
         (double)atomic_load_explicit(&p->nSumUs, memory_order_relaxed)/1e6);
    out_printf(o, "polarlite_http_request_duration_seconds_count{endpoint=\"%s\",method=\"%s\"} %lld\n",
         ep_label(iEp), serve_endpoints[iEp].zMethod, nCum);
  }
}

/* What the file says about itself. */
static void render_database(Server *S, Worker *w, Out *o){
  char *zErr = 0;
  sqlite3_stmt *p = worker_stmt(w, W_STATUS, &zErr);
  int64_t iPolicy = 0, iOffset = -1, iHigh = -1, iSnap = -1;
  if( p==0 ){
    sqlite3_free(zErr);
  }else{
    while( sqlite3_step(p)==SQLITE_ROW ){
      const char *zKey = (const char*)sqlite3_column_text(p, 0);
      int64_t v = sqlite3_column_int64(p, 1);
      if( zKey==0 ) continue;
      if( strcmp(zKey, "policy_version")==0 ) iPolicy = v;
      else if( strcmp(zKey, "log_offset")==0 ) iOffset = v;
      else if( strcmp(zKey, "log_high_watermark")==0 ) iHigh = v;
      else if( strcmp(zKey, "snapshot_created_at")==0 ) iSnap = v;
    }
    sqlite3_reset(p);
  }
  gauge(o, "polarlite_policy_version", "Version of the policy in the database.", (double)iPolicy);
  if( S->eNode!=NODE_LOCAL ){
    int64_t iIssued = atomic_load(&S->iIssuedOffset);
    gauge(o, "polarlite_applied_offset", "Offset of the last log message applied to the database.",
          (double)iOffset);
    if( iIssued>iHigh-1 ) iHigh = iIssued+1;
    if( iHigh>=0 ){
      gauge(o, "polarlite_lag_messages", "Messages in the log not yet applied (log end as "
            "the sidecar last saw it, or past this node's own writes).",
            (double)(iHigh-1-iOffset>0 ? iHigh-1-iOffset : 0));
    }
  }
  if( iSnap>0 ){
    double age = (double)(log_now_ms() - iSnap);
    gauge(o, "polarlite_snapshot_age_seconds", "Seconds since the snapshot the file was "
          "restored from was taken.", age/1000.0);
    if( S->eNode==NODE_FALLBACK ){
      gauge(o, "oso_fallback_snapshot_age_ms", "Milliseconds since the snapshot this fallback "
            "node serves was taken (the name Oso's fallback node uses).", age);
    }
  }
}

void sm_render(Server *S, Worker *w, Out *o){
  static const char *const azMode[] = { "local", "edge", "fallback" };
  render_requests(S, o);
  gauge(o, "polarlite_http_connections", "Client connections open.",
        (double)atomic_load(&S->nOpen));
  gauge(o, "polarlite_http_in_flight", "Requests being answered.",
        (double)atomic_load(&S->nInFlight));
  gauge(o, "polarlite_http_waiting", "Requests waiting for their OsoOffset to be applied.",
        (double)waiter_count(S->pWaiter));
  out_printf(o, "# HELP polarlite_http_consistency_waits_total Requests that waited for their "
             "OsoOffset to be applied.\n# TYPE polarlite_http_consistency_waits_total counter\n"
             "polarlite_http_consistency_waits_total %lld\n"
             "# HELP polarlite_http_consistency_timeouts_total Requests answered 503 because "
             "their OsoOffset was not applied in time.\n"
             "# TYPE polarlite_http_consistency_timeouts_total counter\n"
             "polarlite_http_consistency_timeouts_total %lld\n",
             (long long)atomic_load(&S->nWaits), (long long)atomic_load(&S->nWaitTimeouts));
  out_printf(o, "# HELP polarlite_node_info The kind of node.\n# TYPE polarlite_node_info gauge\n"
          "polarlite_node_info{mode=\"%s\"} 1\n", azMode[S->eNode]);
  gauge(o, "polarlite_uptime_seconds", "Seconds since the server started.",
        (double)(serve_now_ms() - S->iStartMs)/1000.0);
  render_database(S, w, o);
}
