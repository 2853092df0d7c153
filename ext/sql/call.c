/*
** call.c — polar_call(unit, in1, ...), the table through which compiled
** SQL calls a unit (compile/plan.c), and the tabling that lets units call
** themselves.
**
**   SELECT 1 FROM "polar_f_has_relation_3" AS t1
**     CROSS JOIN polar_call(4, ?1, t1.a3) AS t2 WHERE t1.a1=?2 AND ...
**
** A unit is one call shape compiled into statements of its own: zBase (its
** rules that call no unit) and zRec (those that do), with parameters ?1..
** the bound values and columns o1.. the answers (compile.c). A call of a
** unit with particular bound values is a node. Within one check (one
** authorize, one scan of polar_list ...: the PlBudget its statements run
** under) every node is evaluated once and its answers kept, so a
** recursive policy over cyclic data ends and a node reached along many
** paths costs one evaluation.
**
** How recursion ends. Evaluating a node runs its statements, which may
** call other nodes — nested evaluations, a depth-first search. A call of a
** node still being evaluated (recursion) reads the answers it has so far.
** Nodes are numbered as they start (Tarjan's algorithm): a node that only
** reached nodes started after it leads a strongly connected group, and
** when it finishes, the group is iterated — every member's zRec run again
** — until a round adds no answer; then the group is complete. A round runs
** the statements of a linear unit (each alternative calls at most one
** unit) reading only the answers the group's nodes gained in the round
** before (semi-naive evaluation); others read every answer. Evaluations
** nest at most PL_CALL_DEPTH deep; a call deeper than that is deferred: the
** node joins the current group unevaluated and the group's rounds evaluate
** it at a shallow depth. So the C stack stays bounded whatever the depth of
** the data (a folder nested 10,000 deep).
**
** Statements: the instance of a unit's statement for nesting depth d is
** kept in the connection's statement cache under "U<id>b@d" / "U<id>r@d",
** so nested evaluations of one unit each have their own, prepared once.
**
** Bounded: every statement runs under the check's step budget (the steps
** limit), and the answers a check tables count against call_memory.
*/
#include "pl_int.h"
#include <string.h>

#define PL_CALL_DEPTH 32      /* nested evaluations before calls are deferred */

/* A value copied out of SQLite: NULL, an integer, or text. */
typedef struct CVal { int eType; sqlite3_int64 i; const char *z; int n; } CVal;

/* An answer: nOut values, tagged with the round that found it. */
typedef struct CRow { int iRound; CVal a[1]; } CRow;

enum { N_NEW = 0, N_DEFERRED, N_RUNNING, N_INCOMPLETE, N_COMPLETE };

typedef struct CNode CNode;
struct CNode {
  int iUnit;
  CVal aIn[PL_MAX_ARGS];
  int nIn;
  unsigned hIn;
  int eState;
  int iDfn, iLow;              /* Tarjan: start number, lowest reached */
  int bSelf;                   /* called itself while running */
  CRow **aRow; int nRow, nRowAlloc;
  unsigned *aHash; int nHash;  /* indexes+1 into aRow, open addressing */
  CNode *pNextHash;
};

/* One evaluation under way (the innermost is PlCalls.pFrame). */
typedef struct CFrame {
  CNode *pNode;
  int bDelta;                  /* calls of unfinished nodes read only ... */
  int iSince;                  /* ... their rows tagged iSince or later */
  struct CFrame *pPrev;
} CFrame;

struct PlCalls {
  PlConn *c;
  PlArena *A;                  /* nodes, values, rows */
  CNode **aBucket; int nBucket, nNode;
  CNode **aStack; int nStack, nStackAlloc;   /* Tarjan's stack */
  int nDfn;
  int nRound;                  /* rounds of iteration so far (row tags) */
  int nDepth;                  /* nested evaluations */
  CFrame *pFrame;
  sqlite3_int64 nBytes;        /* held for call_memory */
  char *zErr;
};

void pl_calls_free(PlCalls *p){
  if( p==0 ) return;
  pl_arena_free(p->A);
  sqlite3_free(p->aBucket);
  sqlite3_free(p->aStack);
  sqlite3_free(p->zErr);
  sqlite3_free(p);
}

/*----------------------------------------------------------- values ---*/

static unsigned val_hash(unsigned h, const CVal *v){
  int i;
  h = (h ^ (unsigned)v->eType) * 16777619u;
  if( v->eType==SQLITE_INTEGER ){
    sqlite3_uint64 u = (sqlite3_uint64)v->i;
    for(i=0; i<8; i++){ h = (h ^ (unsigned)(u & 0xff)) * 16777619u; u >>= 8; }
  }else if( v->eType==SQLITE_TEXT ){
    for(i=0; i<v->n; i++) h = (h ^ (unsigned char)v->z[i]) * 16777619u;
  }
  return h;
}

static int val_eq(const CVal *a, const CVal *b){
  if( a->eType!=b->eType ) return 0;
  if( a->eType==SQLITE_INTEGER ) return a->i==b->i;
  if( a->eType==SQLITE_TEXT ) return a->n==b->n && memcmp(a->z, b->z, (size_t)a->n)==0;
  return 1;
}

/* Copy an SQL value (integers and text; anything else is text). */
static int val_copy(PlCalls *p, CVal *v, sqlite3_value *pV){
  memset(v, 0, sizeof(*v));
  v->eType = sqlite3_value_type(pV);
  if( v->eType==SQLITE_INTEGER ){
    v->i = sqlite3_value_int64(pV);
  }else if( v->eType!=SQLITE_NULL ){
    const char *z = (const char*)sqlite3_value_text(pV);
    v->eType = SQLITE_TEXT;
    v->n = sqlite3_value_bytes(pV);
    v->z = z ? pl_arena_strndup(p->A, z, v->n) : "";
    if( v->z==0 ) return SQLITE_NOMEM;
    p->nBytes += v->n + 1;
  }
  return SQLITE_OK;
}

static int val_bind(sqlite3_stmt *pStmt, int i, const CVal *v){
  switch( v->eType ){
    case SQLITE_INTEGER: return sqlite3_bind_int64(pStmt, i, v->i);
    case SQLITE_TEXT:    return sqlite3_bind_text(pStmt, i, v->z, v->n, SQLITE_STATIC);
    default:             return sqlite3_bind_null(pStmt, i);
  }
}

static void val_result(sqlite3_context *ctx, const CVal *v){
  switch( v->eType ){
    case SQLITE_INTEGER: sqlite3_result_int64(ctx, v->i); break;
    case SQLITE_TEXT:    sqlite3_result_text(ctx, v->z, v->n, SQLITE_TRANSIENT); break;
    default:             sqlite3_result_null(ctx); break;
  }
}

/*------------------------------------------------------------ nodes ---*/

static int calls_memory_check(PlCalls *p){
  PlConn *c = p->c;
  if( p->nBytes > pl_limit(&c->lim, PL_LIMIT_CALL_MEMORY) ){
    sqlite3_free(p->zErr);
    p->zErr = pl_limit_error(&c->lim, PL_LIMIT_CALL_MEMORY,
                             "the answers a recursive rule keeps during one check");
    return p->zErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  return SQLITE_OK;
}

/* The node of unit iUnit with bound values apIn[0..nIn), created (N_NEW)
** if there is none. */
static int node_get(PlCalls *p, int iUnit, int nIn, sqlite3_value **apIn, CNode **ppNode){
  CVal aIn[PL_MAX_ARGS];
  unsigned h = 2166136261u ^ (unsigned)iUnit;
  CNode *n;
  int i, rc;
  for(i=0; i<nIn; i++){
    aIn[i].eType = sqlite3_value_type(apIn[i]);
    aIn[i].i = 0; aIn[i].z = 0; aIn[i].n = 0;
    if( aIn[i].eType==SQLITE_INTEGER ){
      aIn[i].i = sqlite3_value_int64(apIn[i]);
    }else if( aIn[i].eType!=SQLITE_NULL ){
      aIn[i].eType = SQLITE_TEXT;
      aIn[i].z = (const char*)sqlite3_value_text(apIn[i]);
      aIn[i].n = sqlite3_value_bytes(apIn[i]);
      if( aIn[i].z==0 ) return SQLITE_NOMEM;
    }
    h = val_hash(h, &aIn[i]);
  }
  if( p->nBucket==0 || p->nNode >= p->nBucket ){
    int nNew = p->nBucket ? 2*p->nBucket : 64, j;
    CNode **a = sqlite3_malloc64(sizeof(CNode*)*(size_t)nNew);
    if( a==0 ) return SQLITE_NOMEM;
    memset(a, 0, sizeof(CNode*)*(size_t)nNew);
    for(j=0; j<p->nBucket; j++){
      CNode *m = p->aBucket[j], *pNext;
      for(; m; m=pNext){
        pNext = m->pNextHash;
        m->pNextHash = a[m->hIn & (unsigned)(nNew-1)];
        a[m->hIn & (unsigned)(nNew-1)] = m;
      }
    }
    sqlite3_free(p->aBucket);
    p->aBucket = a;
    p->nBucket = nNew;
  }
  for(n=p->aBucket[h & (unsigned)(p->nBucket-1)]; n; n=n->pNextHash){
    if( n->hIn!=h || n->iUnit!=iUnit || n->nIn!=nIn ) continue;
    for(i=0; i<nIn && val_eq(&n->aIn[i], &aIn[i]); i++){}
    if( i==nIn ){ *ppNode = n; return SQLITE_OK; }
  }
  n = pl_arena_alloc(p->A, sizeof(CNode));
  if( n==0 ) return SQLITE_NOMEM;
  n->iUnit = iUnit;
  n->nIn = nIn;
  n->hIn = h;
  for(i=0; i<nIn; i++){
    rc = val_copy(p, &n->aIn[i], apIn[i]);
    if( rc ) return rc;
  }
  n->pNextHash = p->aBucket[h & (unsigned)(p->nBucket-1)];
  p->aBucket[h & (unsigned)(p->nBucket-1)] = n;
  p->nNode++;
  p->nBytes += (sqlite3_int64)sizeof(CNode);
  *ppNode = n;
  return calls_memory_check(p);
}

static unsigned row_hash(const CVal *a, int n){
  unsigned h = 2166136261u;
  int i;
  for(i=0; i<n; i++) h = val_hash(h, &a[i]);
  return h;
}

/* Add the current row of pStmt (columns 0..nOut) to n's answers, unless
** it is there already; *pbNew says which. */
static int node_add(PlCalls *p, CNode *n, int nOut, sqlite3_stmt *pStmt, int *pbNew){
  CVal aV[PL_MAX_ARGS];
  unsigned h;
  int i, j, rc;
  CRow *r;
  *pbNew = 0;
  for(i=0; i<nOut; i++){
    aV[i].eType = sqlite3_column_type(pStmt, i);
    aV[i].i = 0; aV[i].z = 0; aV[i].n = 0;
    if( aV[i].eType==SQLITE_INTEGER ){
      aV[i].i = sqlite3_column_int64(pStmt, i);
    }else if( aV[i].eType!=SQLITE_NULL ){
      aV[i].eType = SQLITE_TEXT;
      aV[i].z = (const char*)sqlite3_column_text(pStmt, i);
      aV[i].n = sqlite3_column_bytes(pStmt, i);
      if( aV[i].z==0 ) return SQLITE_NOMEM;
    }
  }
  h = row_hash(aV, nOut);
  if( n->nHash ){
    for(j=(int)(h & (unsigned)(n->nHash-1)); n->aHash[j]; j=(j+1)&(n->nHash-1)){
      CRow *o = n->aRow[n->aHash[j]-1];
      for(i=0; i<nOut && val_eq(&o->a[i], &aV[i]); i++){}
      if( i==nOut ) return SQLITE_OK;
    }
  }
  /* a new answer */
  if( (n->nRow+1)*2 > n->nHash ){
    int nNew = n->nHash ? 2*n->nHash : 16, k;
    unsigned *a = pl_arena_alloc(p->A, sizeof(unsigned)*(size_t)nNew);
    if( a==0 ) return SQLITE_NOMEM;
    for(k=0; k<n->nRow; k++){
      CRow *o = n->aRow[k];
      for(j=(int)(row_hash(o->a, nOut) & (unsigned)(nNew-1)); a[j]; j=(j+1)&(nNew-1)){}
      a[j] = (unsigned)k+1;
    }
    n->aHash = a;
    n->nHash = nNew;
    p->nBytes += (sqlite3_int64)sizeof(unsigned)*nNew;
  }
  if( n->nRow==n->nRowAlloc ){
    int nNew = n->nRowAlloc ? 2*n->nRowAlloc : 8;
    CRow **a = pl_arena_grow(p->A, n->aRow, n->nRow, nNew, sizeof(CRow*));
    if( a==0 ) return SQLITE_NOMEM;
    n->aRow = a;
    n->nRowAlloc = nNew;
    p->nBytes += (sqlite3_int64)sizeof(CRow*)*nNew;
  }
  r = pl_arena_alloc(p->A, sizeof(CRow) + sizeof(CVal)*(size_t)(nOut>0 ? nOut-1 : 0));
  if( r==0 ) return SQLITE_NOMEM;
  r->iRound = p->nRound;
  p->nBytes += (sqlite3_int64)(sizeof(CRow) + sizeof(CVal)*(size_t)nOut);
  for(i=0; i<nOut; i++){
    r->a[i] = aV[i];
    if( aV[i].eType==SQLITE_TEXT ){
      r->a[i].z = pl_arena_strndup(p->A, aV[i].z, aV[i].n);
      if( r->a[i].z==0 ) return SQLITE_NOMEM;
      p->nBytes += aV[i].n + 1;
    }
  }
  n->aRow[n->nRow++] = r;
  for(j=(int)(h & (unsigned)(n->nHash-1)); n->aHash[j]; j=(j+1)&(n->nHash-1)){}
  n->aHash[j] = (unsigned)n->nRow;
  *pbNew = 1;
  rc = calls_memory_check(p);
  return rc;
}

/*------------------------------------------------------- evaluation ---*/

/* "U<unit><kind>@<depth>": the cache key of a unit's statement for one
** nesting depth (written by hand: it is built for every evaluation). */
static void call_stmt_key(char *z, int iUnit, char cKind, int iDepth){
  char a[12];
  int n = 0, i = 0, k;
  z[i++] = 'U';
  for(k=0; k<2; k++){
    int v = k ? iDepth : iUnit;
    n = 0;
    do{ a[n++] = (char)('0' + v%10); v /= 10; }while( v );
    while( n ) z[i++] = a[--n];
    if( k==0 ){ z[i++] = cKind; z[i++] = '@'; }
  }
  z[i] = 0;
}

/* Run statement zSql of unit u for node n (kind 'b' base or 'r'
** recursive) at the current depth, adding its rows to n's answers.
** *pnNew counts the new ones. */
static int node_run(PlCalls *p, CNode *n, char cKind, const char *zSql, int *pnNew){
  PlConn *c = p->c;
  const PlUnit *u = &c->units.a[n->iUnit];
  PlBudget *b = pl_budget_current(c);
  char zKey[32];
  sqlite3_stmt *pStmt = 0;
  char *zErr = 0;
  int rc, i, bNew, nOut = u->nOut;
  call_stmt_key(zKey, n->iUnit, cKind, p->nDepth);
  rc = pl_cache_get(c->pCache, zKey, zSql, &pStmt, &zErr);
  if( rc!=SQLITE_OK ){
    sqlite3_free(p->zErr);
    p->zErr = zErr;
    return rc;
  }
  for(i=0; i<n->nIn && i<sqlite3_bind_parameter_count(pStmt); i++){
    val_bind(pStmt, i+1, &n->aIn[i]);
  }
  while( (rc = pl_budget_step(c, b, pStmt, "polar_call", &zErr))==SQLITE_ROW ){
    rc = node_add(p, n, nOut, pStmt, &bNew);
    if( rc ) break;
    if( bNew ) (*pnNew)++;
    if( nOut==0 ){ rc = SQLITE_DONE; break; }   /* yes: nothing more to learn */
  }
  if( rc==SQLITE_DONE ){
    rc = SQLITE_OK;
  }else if( rc!=SQLITE_OK ){
    if( zErr==0 && p->zErr==0 ) zErr = sqlite3_mprintf("%s", sqlite3_errmsg(c->db));
    if( zErr ){ sqlite3_free(p->zErr); p->zErr = zErr; }
  }
  sqlite3_reset(pStmt);
  return rc;
}

static int stack_push(PlCalls *p, CNode *n){
  if( p->nStack==p->nStackAlloc ){
    int nNew = p->nStackAlloc ? 2*p->nStackAlloc : 32;
    CNode **a = sqlite3_realloc64(p->aStack, sizeof(CNode*)*(size_t)nNew);
    if( a==0 ) return SQLITE_NOMEM;
    p->aStack = a;
    p->nStackAlloc = nNew;
  }
  p->aStack[p->nStack++] = n;
  return SQLITE_OK;
}

/* One pass of node n: its base statement (unless bDelta) and its recursive
** one. With bDelta, calls of unfinished nodes read only their rows tagged
** iSince or later (a round of semi-naive iteration; linear units only). */
static int node_pass(PlCalls *p, CNode *n, int bDelta, int iSince, int *pnNew){
  const PlUnit *u = &p->c->units.a[n->iUnit];
  CFrame fr;
  int rc = SQLITE_OK;
  if( u->nOut==0 && n->nRow>0 ) return SQLITE_OK;     /* yes already */
  fr.pNode = n;
  fr.bDelta = bDelta && u->bLinear;
  fr.iSince = iSince;
  fr.pPrev = p->pFrame;
  p->pFrame = &fr;
  p->nDepth++;
  if( !bDelta && u->zBase ) rc = node_run(p, n, 'b', u->zBase, pnNew);
  if( rc==SQLITE_OK && u->zRec && !(u->nOut==0 && n->nRow>0) ){
    rc = node_run(p, n, 'r', u->zRec, pnNew);
  }
  p->nDepth--;
  p->pFrame = fr.pPrev;
  return rc;
}

/* Start node n: number it, put it on the stack, run its first pass. */
static int node_start(PlCalls *p, CNode *n, int *pnNew){
  int rc;
  if( n->eState==N_NEW ){
    rc = stack_push(p, n);
    if( rc ) return rc;
  }
  n->eState = N_RUNNING;
  n->iDfn = n->iLow = ++p->nDfn;
  rc = node_pass(p, n, 0, 0, pnNew);
  if( n->eState==N_RUNNING ) n->eState = N_INCOMPLETE;
  return rc;
}

/* Evaluate new node n. If it leads a group (it reached no node started
** before it that is unfinished), iterate the group — the nodes above it on
** the stack — until a round adds no answer, and complete it. Otherwise it
** stays unfinished, and its caller is in its group. */
static int node_evaluate(PlCalls *p, CNode *n){
  int rc, nNew = 0, i, iBase, iSince = p->nRound, iRound, bIterate;
  iBase = p->nStack;
  rc = node_start(p, n, &nNew);
  if( rc ) return rc;
  bIterate = n->bSelf;
  while( n->iLow==n->iDfn ){
    int nChanged = 0, iLow = n->iDfn;
    if( p->nStack>iBase+1 ) bIterate = 1;
    if( !bIterate ) break;
    iRound = ++p->nRound;
    for(i=iBase; i<p->nStack && rc==SQLITE_OK; i++){
      CNode *m = p->aStack[i];
      int nNew2 = 0;
      if( m->eState==N_DEFERRED ){
        /* a call that was too deep: evaluated now, at this depth */
        rc = node_start(p, m, &nNew2);
        nChanged += nNew2 + 1;               /* its callers must look again */
      }else if( m->eState!=N_COMPLETE ){
        rc = node_pass(p, m, 1, iSince, &nNew2);
        nChanged += nNew2;
      }
      if( m->iLow<iLow ) iLow = m->iLow;
    }
    if( rc ) return rc;
    iSince = iRound;        /* next round: what was found from this one on */
    if( iLow<n->iDfn ){
      n->iLow = iLow;       /* the group reaches further down: not a leader */
      break;
    }
    if( nChanged==0 ) break;
  }
  if( p->pFrame && n->iLow < p->pFrame->pNode->iLow ){
    p->pFrame->pNode->iLow = n->iLow;       /* the caller is in n's group */
  }
  if( n->iLow<n->iDfn ) return SQLITE_OK;   /* its group's leader finishes it */
  for(i=iBase; i<p->nStack; i++) p->aStack[i]->eState = N_COMPLETE;
  p->nStack = iBase;
  return SQLITE_OK;
}

/* Node n is being called from the statement of the current frame. */
static int node_called(PlCalls *p, CNode *n){
  CFrame *fr = p->pFrame;
  switch( n->eState ){
    case N_NEW:
      if( p->nDepth < PL_CALL_DEPTH ) return node_evaluate(p, n);
      {
        /* too deep: it joins the caller's group unevaluated, and the
        ** group's leader evaluates it in a round, at its own depth */
        int rc = stack_push(p, n);
        if( rc ) return rc;
        n->eState = N_DEFERRED;
        n->iDfn = n->iLow = ++p->nDfn;
        if( fr ) fr->pNode->bSelf = 1;
        return SQLITE_OK;
      }
    case N_RUNNING:
    case N_INCOMPLETE:
    case N_DEFERRED:
      /* recursion: the caller is in the same group as n */
      if( fr ){
        if( n->iDfn < fr->pNode->iLow ) fr->pNode->iLow = n->iDfn;
        if( n==fr->pNode ) n->bSelf = 1;
      }
      return SQLITE_OK;
    default:
      return SQLITE_OK;
  }
}

/*------------------------------------------------------------- vtab ---*/

typedef struct CallVtab { sqlite3_vtab base; PlConn *c; } CallVtab;
typedef struct CallCursor {
  sqlite3_vtab_cursor base;
  CNode *pNode;
  int nOut;
  int i, iEnd;                 /* rows [i, iEnd) of pNode */
} CallCursor;

#define CALL_OUT 5               /* o1..o5 */
#define CALL_UNIT (CALL_OUT)     /* hidden: unit, i1..i5 */

static int callConnect(sqlite3 *db, void *pAux, int argc, const char *const*argv,
                       sqlite3_vtab **ppVtab, char **pzErr){
  /* compiled SQL calls it; nothing in a schema has a reason to */
  int rc = pl_vtab_new(db, "CREATE TABLE x(o1, o2, o3, o4, o5, unit HIDDEN, "
      "i1 HIDDEN, i2 HIDDEN, i3 HIDDEN, i4 HIDDEN, i5 HIDDEN)", sizeof(CallVtab),
      SQLITE_VTAB_DIRECTONLY, ppVtab);
  (void)argc; (void)argv; (void)pzErr;
  if( rc==SQLITE_OK ) ((CallVtab*)*ppVtab)->c = pAux;
  return rc;
}

/* The unit and its bound values must be given (by equality, as a
** table-valued function's arguments are), in order: idxNum = how many. */
static int callBestIndex(sqlite3_vtab *pVtab, sqlite3_index_info *p){
  int aIdx[1+PL_MAX_ARGS], i, n = 0;
  (void)pVtab;
  for(i=0; i<1+PL_MAX_ARGS; i++) aIdx[i] = -1;
  for(i=0; i<p->nConstraint; i++){
    int iCol = p->aConstraint[i].iColumn - CALL_UNIT;
    if( iCol<0 || iCol>PL_MAX_ARGS ) continue;
    if( p->aConstraint[i].op!=SQLITE_INDEX_CONSTRAINT_EQ ) continue;
    if( !p->aConstraint[i].usable ) return SQLITE_CONSTRAINT;
    aIdx[iCol] = i;
  }
  if( aIdx[0]<0 ) return SQLITE_CONSTRAINT;
  for(i=0; i<1+PL_MAX_ARGS && aIdx[i]>=0; i++){
    p->aConstraintUsage[aIdx[i]].argvIndex = ++n;
    p->aConstraintUsage[aIdx[i]].omit = 1;
  }
  p->idxNum = n;
  p->estimatedCost = 10;
  p->estimatedRows = 10;
  return SQLITE_OK;
}

static int callOpen(sqlite3_vtab *p, sqlite3_vtab_cursor **ppCur){
  CallCursor *c = sqlite3_malloc64(sizeof(*c));
  (void)p;
  if( c==0 ) return SQLITE_NOMEM;
  memset(c, 0, sizeof(*c));
  *ppCur = &c->base;
  return SQLITE_OK;
}

static int callClose(sqlite3_vtab_cursor *cur){
  sqlite3_free(cur);
  return SQLITE_OK;
}

static int call_error(CallCursor *cur, int rc, const char *zMsg){
  sqlite3_vtab *v = cur->base.pVtab;
  sqlite3_free(v->zErrMsg);
  v->zErrMsg = sqlite3_mprintf("%s", zMsg ? zMsg : sqlite3_errstr(rc));
  return rc==SQLITE_NOMEM ? rc : SQLITE_ERROR;
}

static int callFilter(sqlite3_vtab_cursor *pCur, int idxNum, const char *idxStr,
                      int argc, sqlite3_value **argv){
  CallCursor *cur = (CallCursor*)pCur;
  PlConn *c = ((CallVtab*)pCur->pVtab)->c;
  PlBudget *b = pl_budget_current(c);
  PlCalls *p;
  CNode *n = 0;
  CFrame *fr;
  int rc, iUnit;
  (void)idxNum; (void)idxStr;
  cur->pNode = 0;
  cur->i = cur->iEnd = 0;
  if( b==0 ) return call_error(cur, SQLITE_ERROR, "polar_call: called outside a "
                               "polarlite check (it is internal to compiled SQL)");
  iUnit = argc>0 ? sqlite3_value_int(argv[0]) : -1;
  if( iUnit<0 || iUnit>=c->units.n || c->units.a[iUnit].nIn!=argc-1 ){
    return call_error(cur, SQLITE_ERROR, "polar_call: no such unit");
  }
  if( b->pCalls==0 ){
    p = sqlite3_malloc64(sizeof(PlCalls));
    if( p==0 ) return SQLITE_NOMEM;
    memset(p, 0, sizeof(*p));
    p->c = c;
    p->A = pl_arena_new();
    if( p->A==0 ){ sqlite3_free(p); return SQLITE_NOMEM; }
    b->pCalls = p;
  }
  p = b->pCalls;
  rc = node_get(p, iUnit, argc-1, &argv[1], &n);
  if( rc==SQLITE_OK ) rc = node_called(p, n);
  if( rc!=SQLITE_OK ){
    const char *z = p->zErr;
    return call_error(cur, rc, z);
  }
  cur->pNode = n;
  cur->nOut = c->units.a[iUnit].nOut;
  cur->i = 0;
  cur->iEnd = n->nRow;
  fr = p->pFrame;
  if( fr && fr->bDelta && n->eState!=N_COMPLETE ){
    /* rows are in the order they were found: skip to the recent ones */
    int lo = 0, hi = n->nRow;
    while( lo<hi ){
      int mid = (lo+hi)/2;
      if( n->aRow[mid]->iRound < fr->iSince ) lo = mid+1; else hi = mid;
    }
    cur->i = lo;
  }
  return SQLITE_OK;
}

static int callNext(sqlite3_vtab_cursor *pCur){
  ((CallCursor*)pCur)->i++;
  return SQLITE_OK;
}

static int callEof(sqlite3_vtab_cursor *pCur){
  CallCursor *c = (CallCursor*)pCur;
  return c->pNode==0 || c->i>=c->iEnd;
}

static int callColumn(sqlite3_vtab_cursor *pCur, sqlite3_context *ctx, int iCol){
  CallCursor *c = (CallCursor*)pCur;
  if( iCol<c->nOut && c->pNode && c->i<c->iEnd ){
    val_result(ctx, &c->pNode->aRow[c->i]->a[iCol]);
  }
  return SQLITE_OK;
}

static int callRowid(sqlite3_vtab_cursor *pCur, sqlite_int64 *pRowid){
  *pRowid = ((CallCursor*)pCur)->i;
  return SQLITE_OK;
}

static sqlite3_module callModule = {
  0, 0, callConnect, callBestIndex, pl_vtab_free, 0, callOpen, callClose,
  callFilter, callNext, callEof, callColumn, callRowid,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
};

int pl_call_register(sqlite3 *db, PlConn *c){
  return sqlite3_create_module_v2(db, "polar_call", &callModule, c, 0);
}
