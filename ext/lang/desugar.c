/*
** desugar.c — validate resource blocks and expand shorthand rules into
** longhand rules (polar-reference.md 4.2, 4.3, 9), plus the default allow.
**
** Expansion, inside block R (resource variable `resource`, actor `actor`):
**
**   "x" if <body>;   ->  kind(x,R)(actor: Actor, "x", resource: R) if <body'>;
**   role if <body>;  ->  has_role(actor: Actor, $role: String, resource: R)
**                          if <body'>;
**
** where <body'> is <body> with every shorthand atom replaced:
**
**   "y"            -> has_role(actor, "y", resource)          y a role of R
**                     has_permission(actor, "y", resource)    y a permission
**                     has_relation(resource, "y", actor)      y a relation
**   "y" on "rel"   -> $oN matches T and has_relation(resource, "rel", $oN)
**                     and <"y" as above, on $oN, y looked up in T>
**   role on "rel"  -> ... and has_role(actor, $role, $oN)    (role head)
**                     ... and has_role(actor, _: String, $oN) (string head)
**   global "g"     -> has_role(actor, "g") / has_permission(actor, "g")
**
** In the global block heads and atoms have no resource argument. Names a
** block inherits through `extends` count as declared in it; the generated
** rules are made once, for the block that wrote the shorthand, because a
** subtype's values already satisfy the supertype's parameters.
*/
#include "pl_int.h"
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

enum { DS_NONE = 0, DS_ROLE, DS_PERM, DS_REL };

typedef struct DsCtx {
  PlArena *pArena;
  PlProgram *p;
  int rc;
  char *zErr;
  PlBlock *pGlobal;
  PlRule *aNew; int nNew, nAlloc;   /* generated rules */
  int nVar;                         /* $oN counter, per generated rule */
  int *aMark; int iGen;             /* visited marks per block, for walks
                                    ** over `extends` (a DAG may share
                                    ** supertypes: visit each once) */
} DsCtx;

/*---------------------------------------------------------- utilities ---*/

static void ds_nomem(DsCtx *c){
  if( c->rc==SQLITE_OK ){
    c->rc = SQLITE_NOMEM;
    c->zErr = sqlite3_mprintf("out of memory");
  }
}

static void ds_error(DsCtx *c, PlPos pos, const char *zFmt, ...) PL_PRINTF(3,4);
static void ds_error(DsCtx *c, PlPos pos, const char *zFmt, ...){
  va_list ap;
  char *zMsg;
  if( c->rc ) return;
  va_start(ap, zFmt);
  zMsg = sqlite3_vmprintf(zFmt, ap);
  va_end(ap);
  if( zMsg==0 ){ ds_nomem(c); return; }
  c->rc = SQLITE_ERROR;
  c->zErr = pl_errf(c->p->zFile, pos.line, pos.col, "%s", zMsg);
  sqlite3_free(zMsg);
}

static void *ds_alloc(DsCtx *c, size_t n){
  void *pRet;
  if( c->rc ) return 0;
  pRet = pl_arena_alloc(c->pArena, n);
  if( pRet==0 ) ds_nomem(c);
  return pRet;
}

/* "'Repository' resource block", "'User' actor block" or "global block".
** Lives in the arena; "" after OOM. */
static const char *ds_desc(DsCtx *c, const PlBlock *b){
  char *z;
  const char *zRet;
  if( b->eKind==PL_BLOCK_GLOBAL ) return "global block";
  z = sqlite3_mprintf("'%s' %s block", b->zName,
                      b->eKind==PL_BLOCK_ACTOR ? "actor" : "resource");
  if( z==0 ){ ds_nomem(c); return ""; }
  zRet = pl_arena_strndup(c->pArena, z, -1);
  sqlite3_free(z);
  if( zRet==0 ){ ds_nomem(c); return ""; }
  return zRet;
}

static const char *ds_kind_name(int eKind){
  switch( eKind ){
    case DS_ROLE: return "role";
    case DS_PERM: return "permission";
    default:      return "relation";
  }
}

static PlBlock *ds_block_named(DsCtx *c, const char *zName){
  int i;
  for(i=0; i<c->p->nBlock; i++){
    PlBlock *b = &c->p->aBlock[i];
    if( b->zName && strcmp(b->zName, zName)==0 ) return b;
  }
  return 0;
}

/* Look zName up among the names block b declares itself. */
static int ds_find_local(const PlBlock *b, const char *zName,
                         const PlRelDecl **ppRel){
  int i;
  for(i=0; i<b->nRole; i++) if( strcmp(b->azRole[i], zName)==0 ) return DS_ROLE;
  for(i=0; i<b->nPerm; i++) if( strcmp(b->azPerm[i], zName)==0 ) return DS_PERM;
  for(i=0; i<b->nRel; i++){
    if( strcmp(b->aRel[i].zName, zName)==0 ){
      if( ppRel ) *ppRel = &b->aRel[i];
      return DS_REL;
    }
  }
  return DS_NONE;
}

/* Mark block b visited in the current walk; 1 if it already was. */
static int ds_visited(DsCtx *c, const PlBlock *b){
  int iB = (int)(b - c->p->aBlock);
  if( c->aMark[iB]==c->iGen ) return 1;
  c->aMark[iB] = c->iGen;
  return 0;
}

static int ds_find_rec(DsCtx *c, const PlBlock *b, const char *zName,
                       const PlRelDecl **ppRel){
  int i, e;
  if( ds_visited(c, b) ) return DS_NONE;
  e = ds_find_local(b, zName, ppRel);
  if( e ) return e;
  for(i=0; i<b->nExtends; i++){
    PlBlock *pSup = ds_block_named(c, b->azExtends[i]);
    if( pSup && (e = ds_find_rec(c, pSup, zName, ppRel))!=0 ) return e;
  }
  return DS_NONE;
}

/* Look zName up in b and, transitively, the blocks it extends. Recursion
** depth is bounded by the number of blocks (at most PL_MAX_TYPES). */
static int ds_find(DsCtx *c, const PlBlock *b, const char *zName,
                   const PlRelDecl **ppRel){
  c->iGen++;
  return ds_find_rec(c, b, zName, ppRel);
}

/* Levenshtein distance between a and b, or 3 if it is more than 2. */
static int ds_distance(const char *a, const char *b){
  int na = (int)strlen(a), nb = (int)strlen(b);
  int aRow[66], i, j;
  if( na-nb>2 || nb-na>2 || na>64 || nb>64 ) return 3;
  for(j=0; j<=nb; j++) aRow[j] = j;
  for(i=1; i<=na; i++){
    int prev = aRow[0];            /* d[i-1][j-1] */
    aRow[0] = i;
    for(j=1; j<=nb; j++){
      int cur = aRow[j];           /* d[i-1][j] */
      int best = prev + (a[i-1]!=b[j-1]);
      if( cur+1 < best ) best = cur+1;
      if( aRow[j-1]+1 < best ) best = aRow[j-1]+1;
      aRow[j] = best;
      prev = cur;
    }
  }
  return aRow[nb] > 2 ? 3 : aRow[nb];
}

/* The closest name (distance <= 2) of kind eWant (DS_NONE: any) that b
** declares or inherits, or NULL. */
static void ds_suggest_in(DsCtx *c, const PlBlock *b, const char *zName,
                          int eWant, const char **pzBest, int *pnBest){
  int i, d;
  if( ds_visited(c, b) ) return;
  if( eWant==DS_NONE || eWant==DS_ROLE ){
    for(i=0; i<b->nRole; i++){
      d = ds_distance(zName, b->azRole[i]);
      if( d<*pnBest ){ *pnBest = d; *pzBest = b->azRole[i]; }
    }
  }
  if( eWant==DS_NONE || eWant==DS_PERM ){
    for(i=0; i<b->nPerm; i++){
      d = ds_distance(zName, b->azPerm[i]);
      if( d<*pnBest ){ *pnBest = d; *pzBest = b->azPerm[i]; }
    }
  }
  if( eWant==DS_NONE || eWant==DS_REL ){
    for(i=0; i<b->nRel; i++){
      d = ds_distance(zName, b->aRel[i].zName);
      if( d<*pnBest ){ *pnBest = d; *pzBest = b->aRel[i].zName; }
    }
  }
  for(i=0; i<b->nExtends; i++){
    PlBlock *pSup = ds_block_named(c, b->azExtends[i]);
    if( pSup ) ds_suggest_in(c, pSup, zName, eWant, pzBest, pnBest);
  }
}

/* " Did you mean \"x\"?" or "" (arena). */
static const char *ds_suggest(DsCtx *c, const PlBlock *b, const char *zName,
                              int eWant){
  const char *zBest = 0;
  int nBest = 3;
  char *z;
  const char *zRet;
  c->iGen++;
  ds_suggest_in(c, b, zName, eWant, &zBest, &nBest);
  if( zBest==0 ) return "";
  z = sqlite3_mprintf(" Did you mean \"%s\"?", zBest);
  if( z==0 ){ ds_nomem(c); return ""; }
  zRet = pl_arena_strndup(c->pArena, z, -1);
  sqlite3_free(z);
  return zRet ? zRet : "";
}

/*--------------------------------------------------------- validation ---*/

static int ds_builtin_type(const char *z){
  return strcmp(z, "String")==0 || strcmp(z, "Integer")==0
      || strcmp(z, "Boolean")==0 || strcmp(z, "Actor")==0
      || strcmp(z, "Resource")==0;
}

typedef struct DsName {
  const char *zName;
  int eKind;
  PlPos pos;
} DsName;

static int ds_name_cmp(const void *a, const void *b){
  const DsName *x = a, *y = b;
  int r = strcmp(x->zName, y->zName);
  if( r ) return r;
  if( x->pos.line!=y->pos.line ) return x->pos.line < y->pos.line ? -1 : 1;
  return x->pos.col<y->pos.col ? -1 : x->pos.col>y->pos.col;
}

/* Names must be unique across a block's roles, permissions and relations.
** Sorting makes this O(n log n); the duplicate reported is the earliest
** repeated declaration in the source. */
static void ds_check_unique(DsCtx *c, const PlBlock *b){
  int n = b->nRole + b->nPerm + b->nRel, i, k = 0, iBad = -1;
  DsName *a;
  if( c->rc || n<2 ) return;
  a = sqlite3_malloc64(sizeof(DsName)*(sqlite3_uint64)n);
  if( a==0 ){ ds_nomem(c); return; }
  for(i=0; i<b->nRole; i++, k++){
    a[k].zName = b->azRole[i]; a[k].eKind = DS_ROLE; a[k].pos = b->aRolePos[i];
  }
  for(i=0; i<b->nPerm; i++, k++){
    a[k].zName = b->azPerm[i]; a[k].eKind = DS_PERM; a[k].pos = b->aPermPos[i];
  }
  for(i=0; i<b->nRel; i++, k++){
    a[k].zName = b->aRel[i].zName; a[k].eKind = DS_REL; a[k].pos = b->aRel[i].pos;
  }
  qsort(a, (size_t)n, sizeof(DsName), ds_name_cmp);
  for(i=1; i<n; i++){
    if( strcmp(a[i].zName, a[i-1].zName)!=0 ) continue;
    if( i>=2 && strcmp(a[i-1].zName, a[i-2].zName)==0 ) continue; /* 3rd+ */
    if( iBad<0 || a[i].pos.line<a[iBad].pos.line
     || (a[i].pos.line==a[iBad].pos.line && a[i].pos.col<a[iBad].pos.col) ){
      iBad = i;
    }
  }
  if( iBad>=0 ){
    ds_error(c, a[iBad].pos, "\"%s\" is declared twice in %s (as a %s at line "
             "%d and as a %s); names must be unique across roles, "
             "permissions and relations", a[iBad].zName, ds_desc(c, b),
             ds_kind_name(a[iBad-1].eKind), a[iBad-1].pos.line,
             ds_kind_name(a[iBad].eKind));
  }
  sqlite3_free(a);
}

/* 1 if following `extends` from b comes back to pStart (call with a fresh
** walk: c->iGen++). */
static int ds_reaches(DsCtx *c, const PlBlock *b, const PlBlock *pStart){
  int i;
  if( ds_visited(c, b) ) return 0;
  for(i=0; i<b->nExtends; i++){
    PlBlock *pSup = ds_block_named(c, b->azExtends[i]);
    if( pSup==0 ) continue;
    if( pSup==pStart || ds_reaches(c, pSup, pStart) ) return 1;
  }
  return 0;
}

static void ds_validate_blocks(DsCtx *c){
  PlProgram *p = c->p;
  int i, j, nType = 0;
  c->aMark = ds_alloc(c, sizeof(int)*(size_t)(p->nBlock+1));
  for(i=0; i<p->nBlock && c->rc==SQLITE_OK; i++){
    PlBlock *b = &p->aBlock[i];
    if( b->eKind!=PL_BLOCK_GLOBAL
     && ++nType > PL_MAX_TYPES - PL_TYPE_FIRST_APP ){
      ds_error(c, b->pos, "too many actor and resource blocks: a policy may "
               "declare at most %d types", PL_MAX_TYPES - PL_TYPE_FIRST_APP);
      return;
    }
    if( b->eKind!=PL_BLOCK_ACTOR && b->eKind!=PL_BLOCK_RESOURCE
     && b->eKind!=PL_BLOCK_GLOBAL ){
      ds_error(c, b->pos, "Expected 'actor' or 'resource' but found an "
               "unknown block kind");
      return;
    }
    if( b->eKind==PL_BLOCK_GLOBAL ){
      if( c->pGlobal ){
        ds_error(c, b->pos, "Multiple global blocks: a policy has at most one"
                 " (the first is at line %d); merge them",
                 c->pGlobal->pos.line);
        return;
      }
      c->pGlobal = b;
      if( b->nRel>0 || b->bRels ){
        ds_error(c, b->relsPos, "the global block cannot declare relations; "
                 "declare them in a resource block");
        return;
      }
      continue;
    }
    if( ds_builtin_type(b->zName) ){
      ds_error(c, b->pos, "'%s' is a built-in type and cannot be declared by "
               "a block; choose another name", b->zName);
      return;
    }
    for(j=0; j<i; j++){
      PlBlock *o = &p->aBlock[j];
      if( o->zName && strcmp(o->zName, b->zName)==0 ){
        ds_error(c, b->pos, "Type '%s' is declared by two blocks (lines %d "
                 "and %d); merge them into one block", b->zName,
                 o->pos.line, b->pos.line);
        return;
      }
    }
  }
  for(i=0; i<p->nBlock && c->rc==SQLITE_OK; i++){
    PlBlock *b = &p->aBlock[i];
    ds_check_unique(c, b);
    for(j=0; j<b->nRel && c->rc==SQLITE_OK; j++){
      const PlRelDecl *r = &b->aRel[j];
      if( ds_block_named(c, r->zType)==0 ){
        ds_error(c, r->typePos, "Relation '%s' has type '%s', but no such "
                 "resource block exists. Try declaring one: resource %s {}",
                 r->zName, r->zType, r->zType);
      }
    }
    for(j=0; j<b->nExtends && c->rc==SQLITE_OK; j++){
      if( ds_block_named(c, b->azExtends[j])==0 ){
        ds_error(c, b->aExtendsPos[j], "'%s' extends '%s', but no such "
                 "resource block exists. Try declaring one: resource %s {}",
                 b->zName, b->azExtends[j], b->azExtends[j]);
      }
    }
  }
  for(i=0; i<p->nBlock && c->rc==SQLITE_OK; i++){
    PlBlock *b = &p->aBlock[i];
    c->iGen++;
    if( b->nExtends>0 && ds_reaches(c, b, b) ){
      ds_error(c, b->aExtendsPos[0], "'%s' extends itself (through '%s'); "
               "'extends' must not form a cycle", b->zName, b->azExtends[0]);
    }
  }
}

/*-------------------------------------------------------- node makers ---*/

static PlExpr *ds_expr(DsCtx *c, int eKind, PlPos pos){
  PlExpr *e = ds_alloc(c, sizeof(PlExpr));
  if( e ){ e->eKind = eKind; e->pos = pos; }
  return e;
}

static PlExpr *ds_and(DsCtx *c, PlExpr *a, PlExpr *b){
  PlExpr *e;
  if( a==0 || b==0 ) return 0;
  e = ds_expr(c, PL_EXPR_AND, a->pos);
  if( e ){ e->pLeft = a; e->pRight = b; }
  return e;
}

static void ds_var(PlTerm *t, const char *zName, const char *zType, PlPos pos){
  t->eKind = PL_TERM_VAR;
  t->pos = pos;
  t->zName = zName;
  t->zType = zType;
  if( zType ) t->typePos = pos;
}

static void ds_str(PlTerm *t, const char *z, PlPos pos){
  t->eKind = PL_TERM_STR;
  t->pos = pos;
  t->z = z;
  t->n = (int)strlen(z);
}

/* pred(actor, "name"[, obj]) / has_relation(obj, "name", actor) for a name
** of kind eKind. pObj NULL: global (2 arguments). pName NULL: use zName as a
** string; else pName is the (already filled) second argument. */
static PlExpr *ds_atom_call(DsCtx *c, int eKind, const char *zName,
                            const PlTerm *pName, const PlTerm *pObj, PlPos pos){
  PlExpr *e = ds_expr(c, PL_EXPR_CALL, pos);
  PlTerm *aArg;
  int nArg = pObj ? 3 : 2;
  if( e==0 ) return 0;
  aArg = ds_alloc(c, sizeof(PlTerm)*3);
  if( aArg==0 ) return 0;
  e->aArg = aArg;
  e->nArg = nArg;
  if( pName ) aArg[1] = *pName; else ds_str(&aArg[1], zName, pos);
  switch( eKind ){
    case DS_ROLE: e->zPred = "has_role"; break;
    case DS_PERM: e->zPred = "has_permission"; break;
    default:      e->zPred = "has_relation"; break;
  }
  if( eKind==DS_REL ){
    if( pObj==0 ){                   /* unreachable: rejected earlier */
      ds_error(c, pos, "relations cannot be used in the global block");
      return 0;
    }
    aArg[0] = *pObj;
    ds_var(&aArg[2], "actor", 0, pos);
  }else{
    ds_var(&aArg[0], "actor", 0, pos);
    if( pObj ) aArg[2] = *pObj;
  }
  return e;
}

/*--------------------------------------------------------- shorthand ----*/

/* The longhand of atom e (SH_TERM/SH_ON/SH_GLOBAL) in block b. zRoleVar:
** "$role" for a role head, else NULL. */
static PlExpr *ds_atom(DsCtx *c, const PlBlock *b, const PlExpr *e,
                       const char *zRoleVar){
  PlTerm res;
  int eKind;
  memset(&res, 0, sizeof(res));
  ds_var(&res, "resource", 0, e->pos);
  if( e->eKind==PL_EXPR_SH_GLOBAL ){
    if( c->pGlobal==0 ){
      ds_error(c, e->pos, "global \"%s\" refers to the global block, but the "
               "policy has none. Try declaring one: global { roles = "
               "[\"%s\"]; }", e->zName, e->zName);
      return 0;
    }
    eKind = ds_find_local(c->pGlobal, e->zName, 0);
    if( eKind==DS_NONE ){
      ds_error(c, e->pos, "Undeclared term \"%s\" referenced with 'global' in "
               "%s: the global block declares no such role or permission.%s",
               e->zName, ds_desc(c, b),
               ds_suggest(c, c->pGlobal, e->zName, DS_NONE));
      return 0;
    }
    return ds_atom_call(c, eKind, e->zName, 0, 0, e->pos);
  }
  if( e->eKind==PL_EXPR_SH_TERM ){
    const PlRelDecl *pRel = 0;
    eKind = ds_find(c, b, e->zName, &pRel);
    if( eKind==DS_NONE ){
      ds_error(c, e->pos, "Undeclared term \"%s\" referenced in rule in %s. "
               "Did you mean to declare it as a role, permission, or "
               "relation?%s", e->zName, ds_desc(c, b),
               ds_suggest(c, b, e->zName, DS_NONE));
      return 0;
    }
    return ds_atom_call(c, eKind, e->zName, 0,
                        b->eKind==PL_BLOCK_GLOBAL ? 0 : &res, e->pos);
  }
  /* PL_EXPR_SH_ON */
  {
    const PlRelDecl *pRel = 0;
    const PlBlock *pT;
    PlTerm obj, nameArg;
    PlExpr *pMatch, *pHas, *pLast;
    char *zVar;
    if( b->eKind==PL_BLOCK_GLOBAL ){
      ds_error(c, e->relPos, "'on' cannot be used in the global block: it "
               "declares no relations");
      return 0;
    }
    eKind = ds_find(c, b, e->zRel, &pRel);
    if( eKind!=DS_REL ){
      if( eKind==DS_NONE ){
        ds_error(c, e->relPos, "\"%s\" is not a relation of %s; declare it: "
                 "relations = { %s: Type };%s", e->zRel, ds_desc(c, b),
                 e->zRel, ds_suggest(c, b, e->zRel, DS_REL));
      }else{
        ds_error(c, e->relPos, "\"%s\" is a %s of %s, not a relation; 'on' "
                 "needs a relation declared in relations = { ... }",
                 e->zRel, ds_kind_name(eKind), ds_desc(c, b));
      }
      return 0;
    }
    pT = ds_block_named(c, pRel->zType);
    if( pT==0 ) return 0;                    /* reported by validation */
    if( e->bRole ){
      memset(&nameArg, 0, sizeof(nameArg));
      if( zRoleVar ){
        ds_var(&nameArg, zRoleVar, 0, e->pos);
      }else{
        nameArg.eKind = PL_TERM_WILD;
        nameArg.pos = e->pos;
        nameArg.zType = "String";
        nameArg.typePos = e->pos;
      }
      eKind = DS_ROLE;
    }else{
      eKind = ds_find(c, pT, e->zName, 0);
      if( eKind==DS_NONE ){
        ds_error(c, e->pos, "Term \"%s\" not declared in related resource "
                 "block '%s' (relation \"%s\" of %s has type '%s'); declare "
                 "it there as a role, permission, or relation.%s", e->zName,
                 pT->zName, e->zRel, ds_desc(c, b), pT->zName,
                 ds_suggest(c, pT, e->zName, DS_NONE));
        return 0;
      }
    }
    zVar = sqlite3_mprintf("$o%d", ++c->nVar);
    if( zVar==0 ){ ds_nomem(c); return 0; }
    memset(&obj, 0, sizeof(obj));
    ds_var(&obj, pl_arena_strndup(c->pArena, zVar, -1), 0, e->pos);
    sqlite3_free(zVar);
    if( obj.zName==0 ){ ds_nomem(c); return 0; }
    /* $oN matches T */
    pMatch = ds_expr(c, PL_EXPR_MATCHES, e->pos);
    if( pMatch==0 ) return 0;
    pMatch->pA = ds_alloc(c, sizeof(PlTerm));
    if( pMatch->pA==0 ) return 0;
    *pMatch->pA = obj;
    pMatch->zType = pT->zName;
    pMatch->typePos = e->relPos;
    /* has_relation(resource, "rel", $oN) */
    pHas = ds_expr(c, PL_EXPR_CALL, e->relPos);
    if( pHas==0 ) return 0;
    pHas->zPred = "has_relation";
    pHas->nArg = 3;
    pHas->aArg = ds_alloc(c, sizeof(PlTerm)*3);
    if( pHas->aArg==0 ) return 0;
    pHas->aArg[0] = res;
    ds_str(&pHas->aArg[1], e->zRel, e->relPos);
    pHas->aArg[2] = obj;
    /* the atom on $oN */
    pLast = ds_atom_call(c, eKind, e->zName, e->bRole ? &nameArg : 0, &obj,
                         e->pos);
    return ds_and(c, pMatch, ds_and(c, pHas, pLast));
  }
}

/* Copy of body e with every shorthand atom replaced by its longhand. Nodes
** without atoms below them are shared with the shorthand's tree. */
static PlExpr *ds_body(DsCtx *c, const PlBlock *b, PlExpr *e,
                       const char *zRoleVar){
  PlExpr *pNew;
  if( c->rc || e==0 ) return 0;
  switch( e->eKind ){
    case PL_EXPR_SH_TERM: case PL_EXPR_SH_ON: case PL_EXPR_SH_GLOBAL:
      return ds_atom(c, b, e, zRoleVar);
    case PL_EXPR_AND: case PL_EXPR_OR: case PL_EXPR_NOT:
      pNew = ds_alloc(c, sizeof(PlExpr));
      if( pNew==0 ) return 0;
      *pNew = *e;
      pNew->pLeft = ds_body(c, b, e->pLeft, zRoleVar);
      if( e->eKind!=PL_EXPR_NOT ){
        pNew->pRight = ds_body(c, b, e->pRight, zRoleVar);
      }
      return c->rc ? 0 : pNew;
    default:
      return e;
  }
}

/* 1 if every way body e can hold binds the role of a `role` head, i.e.
** passes through a positive `role on "rel"` atom. */
static int ds_binds_role(const PlExpr *e){
  switch( e->eKind ){
    case PL_EXPR_AND: return ds_binds_role(e->pLeft) || ds_binds_role(e->pRight);
    case PL_EXPR_OR:  return ds_binds_role(e->pLeft) && ds_binds_role(e->pRight);
    case PL_EXPR_SH_ON: return e->bRole;
    default: return 0;
  }
}

static void ds_push_rule(DsCtx *c, const PlRule *r){
  if( c->rc ) return;
  if( c->nNew>=c->nAlloc ){
    int nNew = c->nAlloc ? c->nAlloc*2 : 16;
    PlRule *aNew = pl_arena_grow(c->pArena, c->aNew, c->nNew, nNew,
                                 sizeof(PlRule));
    if( aNew==0 ){ ds_nomem(c); return; }
    c->aNew = aNew;
    c->nAlloc = nNew;
  }
  c->aNew[c->nNew++] = *r;
}

static void ds_shorthand(DsCtx *c, const PlBlock *b, const PlShorthand *sh){
  PlRule r;
  int eHead = DS_ROLE;
  int bGlobal = b->eKind==PL_BLOCK_GLOBAL;
  const char *zRoleVar = 0;
  PlTerm *aParam;
  memset(&r, 0, sizeof(r));
  r.pos = sh->pos;
  r.bGenerated = 1;
  if( sh->zHead ){
    const PlRelDecl *pRel = 0;
    eHead = ds_find(c, b, sh->zHead, &pRel);
    if( eHead==DS_NONE ){
      ds_error(c, sh->pos, "Undeclared term \"%s\" referenced in rule in %s. "
               "Did you mean to declare it as a role, permission, or "
               "relation?%s", sh->zHead, ds_desc(c, b),
               ds_suggest(c, b, sh->zHead, DS_NONE));
      return;
    }
    if( eHead==DS_REL ){
      ds_error(c, sh->pos, "\"%s\" is a relation of %s and cannot be the head "
               "of a shorthand rule; heads must be declared roles or "
               "permissions (relations come from has_relation facts)",
               sh->zHead, ds_desc(c, b));
      return;
    }
  }else{
    if( bGlobal ){
      ds_error(c, sh->pos, "'role if role on ...' cannot be used in the "
               "global block: it declares no relations");
      return;
    }
    zRoleVar = "$role";
  }
  r.zPred = eHead==DS_ROLE ? "has_role" : "has_permission";
  r.nParam = bGlobal ? 2 : 3;
  aParam = ds_alloc(c, sizeof(PlTerm)*3);
  if( aParam==0 ) return;
  r.aParam = aParam;
  ds_var(&aParam[0], "actor", "Actor", sh->pos);
  if( sh->zHead ) ds_str(&aParam[1], sh->zHead, sh->pos);
  else ds_var(&aParam[1], zRoleVar, "String", sh->pos);
  if( !bGlobal ) ds_var(&aParam[2], "resource", b->zName, sh->pos);
  c->nVar = 0;
  r.pBody = ds_body(c, b, sh->pBody, zRoleVar);
  if( c->rc ) return;
  if( zRoleVar && !ds_binds_role(sh->pBody) ){
    ds_error(c, sh->pos, "a 'role' head needs 'role on \"relation\"' in its "
             "body, outside 'not' and in every branch of 'or', e.g. "
             "role if role on \"parent\";");
    return;
  }
  ds_push_rule(c, &r);
}

/* allow(actor, action, resource) if has_permission(actor, action, resource); */
static void ds_default_allow(DsCtx *c){
  static const char *const azVar[] = { "actor", "action", "resource" };
  PlPos pos = { 1, 1 };
  PlRule r;
  PlExpr *e;
  int i;
  for(i=0; i<c->p->nRule; i++){
    const PlRule *u = &c->p->aRule[i];
    if( strcmp(u->zPred, "allow")==0 && u->nParam==3 ) return;
  }
  memset(&r, 0, sizeof(r));
  r.pos = pos;
  r.zPred = "allow";
  r.bGenerated = 1;
  r.nParam = 3;
  r.aParam = ds_alloc(c, sizeof(PlTerm)*3);
  e = ds_expr(c, PL_EXPR_CALL, pos);
  if( r.aParam==0 || e==0 ) return;
  e->zPred = "has_permission";
  e->nArg = 3;
  e->aArg = ds_alloc(c, sizeof(PlTerm)*3);
  if( e->aArg==0 ) return;
  for(i=0; i<3; i++){
    ds_var(&r.aParam[i], azVar[i], 0, pos);
    ds_var(&e->aArg[i], azVar[i], 0, pos);
  }
  r.pBody = e;
  ds_push_rule(c, &r);
}

int pl_desugar(PlArena *pArena, PlProgram *p, char **pzErr){
  DsCtx c;
  int i, j;
  if( pzErr ) *pzErr = 0;
  memset(&c, 0, sizeof(c));
  c.pArena = pArena;
  c.p = p;
  ds_validate_blocks(&c);
  for(i=0; i<p->nBlock && c.rc==SQLITE_OK; i++){
    const PlBlock *b = &p->aBlock[i];
    for(j=0; j<b->nSh && c.rc==SQLITE_OK; j++){
      ds_shorthand(&c, b, &b->aSh[j]);
    }
  }
  ds_default_allow(&c);
  if( c.rc==SQLITE_OK && c.nNew>0 ){
    PlRule *aAll = pl_arena_grow(pArena, p->aRule, p->nRule,
                                 p->nRule + c.nNew, sizeof(PlRule));
    if( aAll==0 ){
      ds_nomem(&c);
    }else{
      memcpy(&aAll[p->nRule], c.aNew, sizeof(PlRule)*(size_t)c.nNew);
      p->aRule = aAll;
      p->nRule += c.nNew;
    }
  }
  if( c.rc ){
    if( pzErr ) *pzErr = c.zErr; else sqlite3_free(c.zErr);
  }
  return c.rc;
}
