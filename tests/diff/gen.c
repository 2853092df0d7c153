/*
** gen.c — random well-typed Polar policies, facts and checks (gen.h).
**
** Everything a policy can say is drawn from small pools (a few type, role,
** permission and relation names, ids "a".."c", users "u0".."u3"), so that
** facts hit rules often, relations make cycles, and the same id appears
** under several types. Rules are built from templates that type-check by
** construction; the rare piece a policy then refuses costs one policy, not
** a false finding (the driver counts refused policies).
*/
#include "gen.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*------------------------------------------------------------- random --*/

void rng_seed(Rng *r, uint64_t seed){
  memset(r, 0, sizeof(*r));
  r->s = seed*0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull;
  if( r->s==0 ) r->s = 1;
}

void rng_bytes(Rng *r, const uint8_t *a, size_t n){
  memset(r, 0, sizeof(*r));
  r->a = a;
  r->n = n;
}

unsigned rng_below(Rng *r, unsigned n){
  uint64_t x;
  if( n<=1 ) return 0;
  if( r->a ){
    if( r->i >= r->n ) return 0;
    x = r->a[r->i++];
    if( n>256 && r->i < r->n ) x = (x<<8) | r->a[r->i++];
    return (unsigned)(x % n);
  }
  r->s ^= r->s >> 12; r->s ^= r->s << 25; r->s ^= r->s >> 27;
  x = r->s * 0x2545F4914F6CDD1Dull;
  return (unsigned)((x >> 33) % n);
}

int rng_pct(Rng *r, unsigned pct){ return rng_below(r, 100) < pct; }

/*------------------------------------------------------------ strings --*/

#define fmt gen_fmt

char *gen_fmt(const char *zFmt, ...){
  va_list ap;
  char *z = 0;
  va_start(ap, zFmt);
  if( vasprintf(&z, zFmt, ap)<0 ) z = 0;
  va_end(ap);
  if( z==0 ){ fprintf(stderr, "gen: out of memory\n"); abort(); }
  return z;
}

static void *grow(void *a, int n, int *pnAlloc, size_t sz){
  if( n < *pnAlloc ) return a;
  *pnAlloc = *pnAlloc ? *pnAlloc*2 : 16;
  a = realloc(a, sz*(size_t)*pnAlloc);
  if( a==0 ){ fprintf(stderr, "gen: out of memory\n"); abort(); }
  return a;
}

/*-------------------------------------------------------------- model --*/

#define MAXRES 8
#define NID 3

static const char *azResName[] = { "Org", "Repo", "Folder", "Issue", "Doc", "Proj" };
static const char *azRolePool[] = { "viewer", "editor", "admin", "owner", "member" };
static const char *azPermPool[] = { "read", "write", "delete", "share", "comment" };
static const char *azIds[NID] = { "a", "b", "c" };

typedef struct Rel { const char *zName; int iTo; } Rel;   /* iTo: resource, or -1 User */
typedef struct Res {
  char zName[16];
  const char *azRole[5]; int nRole;
  const char *azPerm[5]; int nPerm;
  Rel aRel[3]; int nRel;
  int nId;                     /* instances azIds[0..nId) */
} Res;

typedef struct G {
  Rng *r;
  GenCase *c;
  int bSmall;
  Res aRes[MAXRES]; int nRes;
  int bGroups, bGlobal;
  const char *azGlobal[2]; int nGlobal;
  int bGlobalPerm;
  /* attribute predicates some rule reads: facts are made for these */
  /* what the rules read, so that facts fit the policy's signatures: per
  ** predicate, the resource types some rule reads it for (bit i: aRes[i]) */
  unsigned mPublic, mArchived, mLevel, mStatus, mExpires, mTag, mDefault, mRole;
  unsigned mAllow;             /* resource types some rule grants a permission on */
  int bBanned, bUserLevel;     /* is_banned/1, has_level/2 of Users */
  int bUserGroups;             /* has_group/2 with a User */
  int bGlobalRead;             /* global roles (has_role/2) */
  int bDerived;                /* can_see/2 exists */
  int bNoWild;                 /* no rule leaves a head variable unbound */
  int bSelf;                   /* has_permission(u: User, "self", u: User) */
} G;

static const char *pick(G *g, const char *const *az, int n){ return az[rng_below(g->r, (unsigned)n)]; }

#define BIT(i) (1u<<(i))

static void block_add(G *g, char *zHead, char *zDecl){
  GenCase *c = g->c;
  c->aBlock = grow(c->aBlock, c->nBlock, &c->nAlloc[0], sizeof(GenBlock));
  c->aBlock[c->nBlock].zHead = zHead;
  c->aBlock[c->nBlock].zDecl = zDecl;
  c->nBlock++;
}

static void item(G *g, int iBlock, const char *zTag, char *zText){
  GenCase *c = g->c;
  c->aItem = grow(c->aItem, c->nItem, &c->nAlloc[1], sizeof(GenItem));
  c->aItem[c->nItem].iBlock = iBlock;
  c->aItem[c->nItem].zText = zText;
  c->aItem[c->nItem].zTag = zTag;
  c->aItem[c->nItem].bOn = 1;
  c->nItem++;
}

static void args_set(GenArgs *a, int n, const char **az){
  int i;
  memset(a, 0, sizeof(*a));
  a->nArg = n;
  for(i=0; i<n; i++) a->azArg[i] = az[i] ? fmt("%s", az[i]) : 0;
}

static void fact(G *g, int n, const char **az){
  GenCase *c = g->c;
  c->aFact = grow(c->aFact, c->nFact, &c->nAlloc[2], sizeof(GenFact));
  args_set(&c->aFact[c->nFact].args, n, az);
  c->aFact[c->nFact].bOn = 1;
  c->nFact++;
}

/* a fact whose last argument is an integer */
static void fact_int(G *g, const char *zPred, const char *zA, long long v){
  GenFact *f;
  char zV[32];
  const char *az[3];
  snprintf(zV, sizeof(zV), "%lld", v);
  az[0] = zPred; az[1] = zA; az[2] = zV;
  fact(g, 3, az);
  f = &g->c->aFact[g->c->nFact-1];
  f->args.abInt[2] = 1;
}

static GenCheck *check(G *g, int eKind, int n, const char **az){
  GenCase *c = g->c;
  c->aCheck = grow(c->aCheck, c->nCheck, &c->nAlloc[3], sizeof(GenCheck));
  memset(&c->aCheck[c->nCheck], 0, sizeof(GenCheck));
  c->aCheck[c->nCheck].eKind = eKind;
  args_set(&c->aCheck[c->nCheck].args, n, az);
  return &c->aCheck[c->nCheck++];
}

#define GEN_NOW 1700000000LL   /* the driver pins @current_unix_time here */

/*---------------------------------------------------------- vocabulary --*/

static char *ref(G *g, int iRes, int iId){
  return fmt("%s:%s", g->aRes[iRes].zName, azIds[iId]);
}
static char *user(int i){ return fmt("User:u%d", i); }

/* A role or permission of resource i (or a role if bRole). */
static const char *term_of(G *g, int i, int bRoleOnly){
  Res *r = &g->aRes[i];
  if( bRoleOnly || r->nPerm==0 || rng_pct(g->r, 50) ) return r->azRole[rng_below(g->r, (unsigned)r->nRole)];
  return r->azPerm[rng_below(g->r, (unsigned)r->nPerm)];
}

/* Mark the roles of resource i read if z is one of them (a rule body that
** asks term z of resource i). */
static void read_term(G *g, int i, const char *z){
  Res *r = &g->aRes[i];
  int k;
  for(k=0; k<r->nRole; k++) if( strcmp(r->azRole[k], z)==0 ) g->mRole |= BIT(i);
}

static void pick_distinct(G *g, const char **azPool, int nPool, const char **azOut, int n){
  int i, k = 0;
  int aUse[8] = {0};
  while( k<n ){
    i = (int)rng_below(g->r, (unsigned)nPool);
    if( aUse[i] ){
      for(i=0; i<nPool && aUse[i]; i++){}
    }
    aUse[i] = 1;
    azOut[k++] = azPool[i];
  }
}

static char *decl_text(G *g, int i){
  Res *r = &g->aRes[i];
  char *z = fmt("roles = [");
  int k;
  for(k=0; k<r->nRole; k++){ char *z2 = fmt("%s%s\"%s\"", z, k ? ", " : "", r->azRole[k]); free(z); z = z2; }
  { char *z2 = fmt("%s]; permissions = [", z); free(z); z = z2; }
  for(k=0; k<r->nPerm; k++){ char *z2 = fmt("%s%s\"%s\"", z, k ? ", " : "", r->azPerm[k]); free(z); z = z2; }
  { char *z2 = fmt("%s];", z); free(z); z = z2; }
  if( r->nRel ){
    char *z2 = fmt("%s relations = { ", z); free(z); z = z2;
    for(k=0; k<r->nRel; k++){
      z2 = fmt("%s%s%s: %s", z, k ? ", " : "", r->aRel[k].zName,
               r->aRel[k].iTo<0 ? "User" : g->aRes[r->aRel[k].iTo].zName);
      free(z); z = z2;
    }
    z2 = fmt("%s };", z); free(z); z = z2;
  }
  return z;
}

/*-------------------------------------------------- the general family --*/

static void shorthand_item(G *g, int i, int iBlock, const char *zHead){
  Res *r = &g->aRes[i];
  /* bNoWild: a role condition binds the actor of rules that would not */
  char zPre[40] = "";
  int t = (int)rng_below(g->r, 15), k;
  if( g->bNoWild ){
    snprintf(zPre, sizeof(zPre), "\"%s\" and ", term_of(g, i, 1));
    g->mRole |= BIT(i);
  }
  switch( t ){
    case 0: case 1:
      g->mRole |= BIT(i);
      item(g, iBlock, "sh-role", fmt("\"%s\" if \"%s\";", zHead, term_of(g, i, 1)));
      return;
    case 2: {
      const char *zBody = term_of(g, i, 0);
      if( strcmp(zBody, zHead)==0 ) zBody = r->azRole[0];
      if( strcmp(zBody, zHead)==0 ) return;
      read_term(g, i, zBody);
      item(g, iBlock, "sh-term", fmt("\"%s\" if \"%s\";", zHead, zBody));
      return;
    }
    case 3: case 4: case 5:
      for(k=0; k<r->nRel; k++){
        int j = r->aRel[k].iTo;
        if( j<0 ) continue;
        if( t==5 ){
          g->mRole |= BIT(j);
          item(g, iBlock, "sh-role-on", fmt("role if role on \"%s\";", r->aRel[k].zName));
        }else{
          const char *zBody = term_of(g, j, 0);
          read_term(g, j, zBody);
          item(g, iBlock, "sh-on", fmt("\"%s\" if \"%s\" on \"%s\";", zHead, zBody,
                                       r->aRel[k].zName));
        }
        return;
      }
      return;
    case 6:
      for(k=0; k<r->nRel; k++){
        if( r->aRel[k].iTo<0 ){
          item(g, iBlock, "sh-relation", fmt("\"%s\" if \"%s\";", zHead, r->aRel[k].zName));
          return;
        }
      }
      return;
    case 7:
      if( !g->bGlobal ) return;
      g->bGlobalRead = 1;
      item(g, iBlock, "sh-global", fmt("\"%s\" if %sglobal \"%s\";", zHead, zPre,
                                       g->azGlobal[rng_below(g->r, (unsigned)g->nGlobal)]));
      return;
    case 8:
      g->mPublic |= BIT(i);
      item(g, iBlock, "sh-expr", fmt("\"%s\" if %sis_public(resource);", zHead, zPre));
      return;
    case 9:
      g->bBanned = 1;
      g->mRole |= BIT(i);
      item(g, iBlock, "sh-not", fmt("\"%s\" if \"%s\" and not is_banned(actor);", zHead, term_of(g, i, 1)));
      return;
    case 10: {
      static const char *azOp[] = { ">", ">=", "<", "<=", "!=", "==" };
      const char *zOp = pick(g, azOp, 6);
      g->mLevel |= BIT(i);
      /* `!=` alone does not type n */
      item(g, iBlock, "sh-cmp", fmt("\"%s\" if %shas_level(resource, n) and %sn %s %d;", zHead, zPre,
                                    strcmp(zOp, "!=")==0 ? "n matches Integer and " : "", zOp,
                                    (int)rng_below(g->r, 5)));
      return;
    }
    case 11:
      g->mStatus |= BIT(i);
      item(g, iBlock, "sh-in", fmt("\"%s\" if %shas_status(resource, s) and s in [\"open\", \"draft\"];", zHead, zPre));
      return;
    case 12:
      g->mExpires |= BIT(i);
      item(g, iBlock, "sh-now", fmt("\"%s\" if %sexpires_at(resource, t) and t > @current_unix_time;", zHead, zPre));
      return;
    case 13:
      g->mTag |= BIT(i);
      item(g, iBlock, "sh-strcmp", fmt("\"%s\" if %shas_tag(resource, t) and t < \"m\";", zHead, zPre));
      return;
    default:
      g->mPublic |= BIT(i);
      g->mRole |= BIT(i);
      item(g, iBlock, "sh-or", fmt("\"%s\" if \"%s\" or (%sis_public(resource));", zHead, term_of(g, i, 1), zPre));
      return;
  }
}

/* A shorthand rule of resource i; a permission it grants makes allow
** take the type. */
static void gen_shorthand(G *g, int i, int iBlock){
  Res *r = &g->aRes[i];
  const char *zHead = term_of(g, i, 0);
  int n0 = g->c->nItem, k;
  shorthand_item(g, i, iBlock, zHead);
  if( g->c->nItem==n0 || strcmp(g->c->aItem[n0].zTag, "sh-role-on")==0 ) return;
  for(k=0; k<r->nPerm; k++) if( strcmp(r->azPerm[k], zHead)==0 ) g->mAllow |= BIT(i);
}

/* Groups inside groups: the transitive has_group of Oso's docs (a rule
** that calls itself twice), or roles passed down from a group to its
** member groups (linear). */
static void gen_nested_groups(G *g){
  int i;
  if( rng_pct(g->r, 40) ){
    g->bUserGroups = 1;        /* a: Actor */
    item(g, -1, "nested-groups", fmt("has_group(a: Actor, g: Group) if m matches Group and "
                                     "has_group(a, m) and has_group(m, g);"));
    return;
  }
  for(i=0; i<g->nRes; i++){
    g->mRole |= BIT(i);
    item(g, -1, "nested-groups-linear", fmt("has_role(g: Group, role: String, x: %s) if p matches Group "
         "and has_group(g, p) and has_role(p, role, x);", g->aRes[i].zName));
  }
}

/* Top-level rules and facts of the general family. */
static void gen_longhand(G *g){
  int n = 1 + (int)rng_below(g->r, g->bSmall ? 4 : 8), k;
  for(k=0; k<n; k++){
    int i = (int)rng_below(g->r, (unsigned)g->nRes), j;
    Res *r = &g->aRes[i];
    const char *zRole = r->azRole[rng_below(g->r, (unsigned)r->nRole)];
    const char *zPerm = r->nPerm ? r->azPerm[rng_below(g->r, (unsigned)r->nPerm)] : "read";
    switch( rng_below(g->r, 14) ){
      case 0:
        if( g->bNoWild ) break;
        g->mPublic |= BIT(i);
        item(g, -1, "wild-rule", fmt("has_role(u: User, \"%s\", x: %s) if is_public(x);", zRole, r->zName));
        break;
      case 1:
        for(j=0; j<r->nRel; j++){
          int t = r->aRel[j].iTo;
          if( t<0 ) continue;
          g->mDefault |= BIT(i);
          g->mRole |= BIT(t);
          item(g, -1, "default-role", fmt("has_role(u: User, role: String, x: %s) if p matches %s and "
               "has_relation(x, \"%s\", p) and has_default_role(x, role) and has_role(u, \"%s\", p);",
               r->zName, g->aRes[t].zName, r->aRel[j].zName,
               g->aRes[t].azRole[rng_below(g->r, (unsigned)g->aRes[t].nRole)]));
          break;
        }
        break;
      case 2:
        if( g->bNoWild ) break;
        item(g, -1, "wild-fact", fmt("has_role(_: User, \"%s\", %s{\"%s\"});", zRole, r->zName,
                                     azIds[rng_below(g->r, NID)]));
        break;
      case 3:
        if( g->bNoWild ) break;
        g->mAllow |= BIT(i);
        item(g, -1, "wild-fact", fmt("has_permission(_: User, \"%s\", _: %s);", zPerm, r->zName));
        break;
      case 4:
        for(j=0; j<r->nRel; j++){
          int t = r->aRel[j].iTo;
          if( t<0 ) continue;
          if( !g->bNoWild && rng_pct(g->r, 50) ){
            item(g, -1, "wild-relation", fmt("has_relation(%s{\"%s\"}, \"%s\", _: %s);", r->zName,
                 azIds[rng_below(g->r, NID)], r->aRel[j].zName, g->aRes[t].zName));
          }else{
            item(g, -1, "policy-fact", fmt("has_relation(%s{\"%s\"}, \"%s\", %s{\"%s\"});", r->zName,
                 azIds[rng_below(g->r, NID)], r->aRel[j].zName, g->aRes[t].zName,
                 azIds[rng_below(g->r, NID)]));
          }
          break;
        }
        break;
      case 5:
        item(g, -1, "policy-fact", fmt("has_role(User{\"u%d\"}, \"%s\", %s{\"%s\"});",
                                       (int)rng_below(g->r, 4), zRole, r->zName, azIds[rng_below(g->r, NID)]));
        break;
      case 6:
        g->mRole |= BIT(i);
        g->mAllow |= BIT(i);
        item(g, -1, "lh-in", fmt("has_permission(u: User, \"%s\", x: %s) if has_role(u, role, x) and "
                                 "role in [\"admin\", \"owner\"];", zPerm, r->zName));
        break;
      case 7:
        for(j=0; j<r->nRel; j++){
          if( r->aRel[j].iTo>=0 ) continue;
          g->mAllow |= BIT(i);
          item(g, -1, "lh-unify", fmt("has_permission(u: User, \"%s\", x: %s) if has_relation(x, \"%s\", o) "
                                      "and o = u;", zPerm, r->zName, r->aRel[j].zName));
          break;
        }
        break;
      case 8:
        g->mLevel |= BIT(i);
        g->bUserLevel = 1;
        g->mAllow |= BIT(i);
        item(g, -1, "lh-cmp", fmt("has_permission(u: User, \"%s\", x: %s) if has_level(u, n) and "
                                  "has_level(x, m) and n >= m;", zPerm, r->zName));
        break;
      case 9:
        if( g->bDerived ) break;
        g->bDerived = 1;
        g->mRole |= BIT(i);
        item(g, -1, "derived", fmt("can_see(u: User, x: %s) if has_permission(u, \"%s\", x) or "
                                   "has_role(u, _, x);", r->zName, zPerm));
        break;
      case 10:
        if( g->bSelf ) break;
        g->bSelf = 1;
        item(g, -1, "repeat-var", fmt("has_permission(u: User, \"self\", u: User);"));
        break;
      case 11:
        g->mPublic |= BIT(i);
        g->mRole |= BIT(i);
        g->mAllow |= BIT(i);
        item(g, -1, "in-head", fmt("has_permission(u: User, action: String, x: %s) if "
                                   "action in [\"read\", \"comment\"] and is_public(x) and has_role(u, _, x);",
                                   r->zName));
        break;
      case 12:
        if( g->bGlobal ){
          item(g, -1, "global-fact", fmt("has_role(User{\"u%d\"}, \"%s\");", (int)rng_below(g->r, 4),
                                         g->azGlobal[0]));
        }
        break;
      default:
        if( g->bGroups ){
          g->mRole |= BIT(i);
          g->bUserGroups = 1;
          item(g, -1, "groups", fmt("has_role(u: User, role: String, x: %s) if g matches Group and "
                                    "has_group(u, g) and has_role(g, role, x);", r->zName));
        }
        break;
    }
  }
  if( rng_pct(g->r, 25) ){
    /* a custom allow replaces the default one */
    g->bBanned = 1;
    item(g, -1, "custom-allow", fmt("allow(actor, action, resource) if has_permission(actor, action, resource) "
                                    "and not is_banned(actor);"));
    if( rng_pct(g->r, 40) ){
      int i = (int)rng_below(g->r, (unsigned)g->nRes);
      g->mArchived |= BIT(i);
      g->mRole |= BIT(i);
      g->mAllow |= BIT(i);
      item(g, -1, "custom-allow-resource", fmt("allow(actor: User, \"read\", resource: %s) if has_role(actor, _, resource) "
                                               "and not is_archived(resource);", g->aRes[i].zName));
    }
  }
  if( g->bGroups ) gen_nested_groups(g);
}

static void gen_general_types(G *g){
  int i, k;
  g->nRes = 1 + (int)rng_below(g->r, g->bSmall ? 3 : 4);
  for(i=0; i<g->nRes; i++){
    Res *r = &g->aRes[i];
    snprintf(r->zName, sizeof(r->zName), "%s", azResName[i]);
    r->nRole = 1 + (int)rng_below(g->r, 3);
    r->nPerm = 1 + (int)rng_below(g->r, 3);
    pick_distinct(g, azRolePool, 5, r->azRole, r->nRole);
    pick_distinct(g, azPermPool, 5, r->azPerm, r->nPerm);
    r->nId = NID;
  }
  for(i=0; i<g->nRes; i++){
    Res *r = &g->aRes[i];
    if( rng_pct(g->r, 75) ){
      r->aRel[r->nRel].zName = "parent";
      r->aRel[r->nRel].iTo = (int)rng_below(g->r, (unsigned)g->nRes);
      r->nRel++;
    }
    if( rng_pct(g->r, 25) ){
      r->aRel[r->nRel].zName = "folder";
      r->aRel[r->nRel].iTo = (int)rng_below(g->r, (unsigned)g->nRes);
      r->nRel++;
    }
    if( rng_pct(g->r, 35) ){
      r->aRel[r->nRel].zName = "creator";
      r->aRel[r->nRel].iTo = -1;
      r->nRel++;
    }
  }
  g->bGroups = rng_pct(g->r, 40);
  g->bGlobal = rng_pct(g->r, 40);
  if( g->bGlobal ){
    static const char *azG[] = { "superadmin", "auditor" };
    g->nGlobal = 1 + (int)rng_below(g->r, 2);
    for(k=0; k<g->nGlobal; k++) g->azGlobal[k] = azG[k];
    g->bGlobalPerm = rng_pct(g->r, 50);
  }
}

static void gen_blocks(G *g, int nShorthand){
  int i, k;
  block_add(g, fmt("actor User"), fmt(""));
  if( g->bGroups ) block_add(g, fmt("actor Group"), fmt(""));
  if( g->bGlobal ){
    char *z = fmt("roles = [\"%s\"%s%s%s];%s", g->azGlobal[0], g->nGlobal>1 ? ", \"" : "",
                  g->nGlobal>1 ? g->azGlobal[1] : "", g->nGlobal>1 ? "\"" : "",
                  g->bGlobalPerm ? " permissions = [\"create\"];" : "");
    block_add(g, fmt("global"), z);
    g->bGlobalRead = g->bGlobalPerm;
    if( g->bGlobalPerm ) item(g, g->c->nBlock-1, "global-perm", fmt("\"create\" if \"%s\";", g->azGlobal[0]));
    if( g->nGlobal>1 && rng_pct(g->r, 50) ){
      g->bGlobalRead = 1;
      item(g, g->c->nBlock-1, "global-role", fmt("\"%s\" if \"%s\";", g->azGlobal[1], g->azGlobal[0]));
    }
  }
  for(i=0; i<g->nRes; i++){
    int iBlock;
    block_add(g, fmt("resource %s", g->aRes[i].zName), decl_text(g, i));
    iBlock = g->c->nBlock-1;
    for(k=0; k<nShorthand; k++) gen_shorthand(g, i, iBlock);
  }
}

/*--------------------------------------------------- the K-level family --*/

static void gen_klevel(G *g){
  static const char *azR[] = { "viewer", "editor", "admin" };
  static const char *azP[] = { "read", "write", "delete" };
  int K = 1 + (int)rng_below(g->r, g->bSmall ? 4 : 6), i, k, bGeneric = rng_pct(g->r, 50);
  int iDefault = K>1 ? 1 + (int)rng_below(g->r, (unsigned)(K-1)) : 0;
  g->nRes = K;
  g->bGroups = g->bUserGroups = 1;
  g->mRole = g->mAllow = BIT(K) - 1;
  block_add(g, fmt("actor User"), fmt(""));
  block_add(g, fmt("actor Group"), fmt(""));
  for(i=0; i<K; i++){
    Res *r = &g->aRes[i];
    int iBlock;
    snprintf(r->zName, sizeof(r->zName), "R%d", i);
    r->nRole = 3; r->nPerm = 3;
    for(k=0; k<3; k++){ r->azRole[k] = azR[k]; r->azPerm[k] = azP[k]; }
    r->nId = 2 + (int)rng_below(g->r, 2);
    if( i>0 ){ r->aRel[0].zName = "parent"; r->aRel[0].iTo = i-1; r->nRel = 1; }
    block_add(g, fmt("resource R%d", i), decl_text(g, i));
    iBlock = g->c->nBlock-1;
    for(k=0; k<3; k++) item(g, iBlock, "k-perm", fmt("\"%s\" if \"%s\";", azP[k], azR[k]));
    item(g, iBlock, "k-role", fmt("\"viewer\" if \"editor\";"));
    item(g, iBlock, "k-role", fmt("\"editor\" if \"admin\";"));
    if( i>0 ){
      if( rng_pct(g->r, 50) ){
        item(g, iBlock, "k-inherit", fmt("role if role on \"parent\";"));
      }else{
        for(k=0; k<3; k++) item(g, iBlock, "k-inherit", fmt("\"%s\" if \"%s\" on \"parent\";", azR[k], azR[k]));
      }
    }
    if( !bGeneric ){
      item(g, -1, "groups", fmt("has_role(u: User, role: String, x: R%d) if g matches Group and "
                                "has_group(u, g) and has_role(g, role, x);", i));
    }
  }
  if( bGeneric ){
    item(g, -1, "groups", fmt("has_role(u: User, role: String, x: Resource) if g matches Group and "
                              "has_group(u, g) and has_role(g, role, x);"));
  }
  gen_nested_groups(g);
  if( K>1 ){
    g->mDefault = BIT(iDefault-1);
    item(g, -1, "default-role", fmt("has_role(u: User, role: String, x: R%d) if p matches R%d and "
         "has_relation(x, \"parent\", p) and has_default_role(p, role) and has_role(u, \"viewer\", p);",
         iDefault, iDefault-1));
  }
}

/*---------------------------------------------------------------- data --*/

/* A resource type of mask m (any when m is empty). */
static int res_in(G *g, unsigned m){
  int i, n = 0, aRes[MAXRES];
  for(i=0; i<g->nRes; i++) if( m & BIT(i) ) aRes[n++] = i;
  if( n==0 ) return (int)rng_below(g->r, (unsigned)g->nRes);
  return aRes[rng_below(g->r, (unsigned)n)];
}

/* Facts of the predicates and types the rules read (a fact that fits no
** signature is refused, and adds nothing). */
static void gen_facts(G *g){
  int nRole = g->bSmall ? 6 : 14, i, k, j;
  const char *az[5];
  for(k=0; k<nRole; k++){
    int iRes = res_in(g, g->mRole);
    Res *r = &g->aRes[iRes];
    char *zA = (g->bGroups && rng_pct(g->r, 30)) ? fmt("Group:g%d", (int)rng_below(g->r, 3))
                                                  : user((int)rng_below(g->r, 4));
    char *zR = ref(g, iRes, (int)rng_below(g->r, (unsigned)r->nId));
    az[0] = "has_role"; az[1] = zA;
    az[2] = rng_pct(g->r, 5) ? "ghost" : r->azRole[rng_below(g->r, (unsigned)r->nRole)];
    az[3] = zR;
    fact(g, 4, az);
    free(zA); free(zR);
  }
  for(k=0; g->bGlobalRead && k<2; k++){
    char *zU = user((int)rng_below(g->r, 4));
    az[0] = "has_role"; az[1] = zU; az[2] = g->azGlobal[rng_below(g->r, (unsigned)g->nGlobal)];
    fact(g, 3, az);
    free(zU);
  }
  for(i=0; i<g->nRes; i++){
    Res *r = &g->aRes[i];
    for(k=0; k<r->nRel; k++){
      for(j=0; j<r->nId; j++){
        char *zFrom, *zTo;
        int t = r->aRel[k].iTo;
        if( !rng_pct(g->r, t<0 ? 50 : 75) ) continue;
        zFrom = ref(g, i, j);
        zTo = t<0 ? user((int)rng_below(g->r, 4)) : ref(g, t, (int)rng_below(g->r, (unsigned)g->aRes[t].nId));
        az[0] = "has_relation"; az[1] = zFrom; az[2] = r->aRel[k].zName; az[3] = zTo;
        fact(g, 4, az);
        free(zTo);
        if( t>=0 && rng_pct(g->r, 15) ){
          zTo = ref(g, t, (int)rng_below(g->r, (unsigned)g->aRes[t].nId));
          az[3] = zTo;
          fact(g, 4, az);
          free(zTo);
        }
        free(zFrom);
      }
    }
  }
  for(k=0; g->bGroups && k<(g->bSmall ? 3 : 6); k++){
    char *zA = g->bUserGroups && rng_pct(g->r, 50) ? user((int)rng_below(g->r, 4))
                                                   : fmt("Group:g%d", (int)rng_below(g->r, 3));
    char *zG = fmt("Group:g%d", (int)rng_below(g->r, 3));
    az[0] = "has_group"; az[1] = zA; az[2] = zG;
    fact(g, 3, az);
    free(zA); free(zG);
  }
  for(i=0; i<g->nRes; i++){
    Res *r = &g->aRes[i];
    for(j=0; j<r->nId; j++){
      char *zR = ref(g, i, j);
      az[1] = zR;
      unsigned b = BIT(i);
      if( (g->mPublic & b) && rng_pct(g->r, 30) ){ az[0] = "is_public"; fact(g, 2, az); }
      if( (g->mArchived & b) && rng_pct(g->r, 30) ){ az[0] = "is_archived"; fact(g, 2, az); }
      if( (g->mLevel & b) && rng_pct(g->r, 60) ) fact_int(g, "has_level", zR, (long long)rng_below(g->r, 5));
      if( (g->mExpires & b) && rng_pct(g->r, 60) ){
        fact_int(g, "expires_at", zR, GEN_NOW - 50 + (long long)rng_below(g->r, 100));
      }
      if( (g->mStatus & b) && rng_pct(g->r, 60) ){
        static const char *azS[] = { "open", "closed", "draft" };
        az[0] = "has_status"; az[2] = pick(g, azS, 3); fact(g, 3, az);
      }
      if( (g->mTag & b) && rng_pct(g->r, 60) ){
        static const char *azT[] = { "alpha", "mango", "zulu", "m" };
        az[0] = "has_tag"; az[2] = pick(g, azT, 4); fact(g, 3, az);
      }
      if( (g->mDefault & b) && rng_pct(g->r, 50) ){
        az[0] = "has_default_role"; az[2] = r->azRole[rng_below(g->r, (unsigned)r->nRole)]; fact(g, 3, az);
      }
      free(zR);
    }
  }
  for(k=0; k<4; k++){
    char *zU = user(k);
    az[1] = zU;
    if( g->bBanned && rng_pct(g->r, 25) ){ az[0] = "is_banned"; fact(g, 2, az); }
    if( g->bUserLevel && rng_pct(g->r, 60) ) fact_int(g, "has_level", zU, (long long)rng_below(g->r, 5));
    free(zU);
  }
}

/*-------------------------------------------------------------- checks --*/

/* An action the policy mentions (a String no rule mentions is refused, by
** both sides alike: docs/values.md): mostly a permission, sometimes a role
** (granted by no rule), "self" or "create" where a rule grants them; and,
** rarely, one no rule mentions, so that the refusal is compared too. */
static const char *action_of(G *g){
  unsigned t = rng_below(g->r, 100);
  int i = (int)rng_below(g->r, (unsigned)g->nRes);
  if( t<3 ) return "nope";
  if( t<8 ) return g->aRes[i].azRole[rng_below(g->r, (unsigned)g->aRes[i].nRole)];
  if( t<14 && (g->bSelf || g->bGlobalPerm) ){
    return g->bSelf && (!g->bGlobalPerm || rng_pct(g->r, 50)) ? "self" : "create";
  }
  return g->aRes[i].azPerm[rng_below(g->r, (unsigned)g->aRes[i].nPerm)];
}

/* A resource type to ask about: mostly one allow takes (a type no rule
** grants anything on is refused, by both sides alike), sometimes any. */
static int check_type(G *g){
  return rng_pct(g->r, 95) ? res_in(g, g->mAllow) : (int)rng_below(g->r, (unsigned)g->nRes);
}

static char *any_resource(G *g){
  int i = check_type(g);
  if( g->bSelf && rng_pct(g->r, 10) ) return user((int)rng_below(g->r, 4));
  return ref(g, i, (int)rng_below(g->r, (unsigned)g->aRes[i].nId));
}

static char *any_actor(G *g){
  if( g->bGroups && rng_pct(g->r, 10) ) return fmt("Group:g%d", (int)rng_below(g->r, 3));
  return user((int)rng_below(g->r, 4));
}

static char *context_json(G *g){
  int i = (int)rng_below(g->r, (unsigned)g->nRes);
  Res *r = &g->aRes[i];
  switch( rng_below(g->r, 3) ){
    case 0:
      r = &g->aRes[res_in(g, g->mRole)];
      return fmt("[{\"predicate\":\"has_role\",\"args\":[{\"type\":\"User\",\"id\":\"u%d\"},"
                 "{\"type\":\"String\",\"id\":\"%s\"},{\"type\":\"%s\",\"id\":\"%s\"}]}]",
                 (int)rng_below(g->r, 4), r->azRole[rng_below(g->r, (unsigned)r->nRole)], r->zName,
                 azIds[rng_below(g->r, (unsigned)r->nId)]);
    case 1:
      if( r->nRel && r->aRel[0].iTo>=0 ){
        Res *t = &g->aRes[r->aRel[0].iTo];
        return fmt("[{\"predicate\":\"has_relation\",\"args\":[{\"type\":\"%s\",\"id\":\"%s\"},"
                   "{\"type\":\"String\",\"id\":\"%s\"},{\"type\":\"%s\",\"id\":\"%s\"}]}]",
                   r->zName, azIds[rng_below(g->r, (unsigned)r->nId)], r->aRel[0].zName, t->zName,
                   azIds[rng_below(g->r, (unsigned)t->nId)]);
      }
      /* fall through */
    default:
      return fmt("[]");
  }
}

static void gen_checks(G *g){
  int nAuth = g->bSmall ? 25 : 90, nList = g->bSmall ? 8 : 30, nAct = g->bSmall ? 6 : 20;
  int nQuery = g->bSmall ? 5 : 16, nCtx = g->bSmall ? 2 : 8, k;
  const char *az[6];
  for(k=0; k<nAuth+nCtx; k++){
    char *zA = any_actor(g), *zR = any_resource(g);
    GenCheck *c;
    az[0] = zA; az[1] = action_of(g); az[2] = zR;
    c = check(g, GC_AUTHORIZE, 3, az);
    if( k>=nAuth ) c->zContext = context_json(g);
    free(zA); free(zR);
  }
  for(k=0; k<nList; k++){
    char *zA = any_actor(g);
    az[0] = zA; az[1] = action_of(g); az[2] = g->aRes[check_type(g)].zName;
    check(g, GC_LIST, 3, az);
    free(zA);
  }
  for(k=0; k<nAct; k++){
    char *zA = any_actor(g), *zR = any_resource(g);
    az[0] = zA; az[1] = zR;
    check(g, GC_ACTIONS, 2, az);
    free(zA); free(zR);
  }
  for(k=0; k<nQuery; k++){
    int i = (int)rng_below(g->r, (unsigned)g->nRes);
    Res *r = &g->aRes[i];
    char *zA = any_actor(g), *zR = ref(g, i, (int)rng_below(g->r, (unsigned)r->nId));
    char *zT = fmt("%s:_", r->zName);
    switch( rng_below(g->r, 9) ){
      case 0: az[0] = "has_role"; az[1] = zA; az[2] = 0; az[3] = 0; check(g, GC_QUERY, 4, az); break;
      case 1: az[0] = "has_role"; az[1] = 0; az[2] = r->azRole[0]; az[3] = zR; check(g, GC_QUERY, 4, az); break;
      case 2: az[0] = "has_role"; az[1] = 0; az[2] = 0; az[3] = zT; check(g, GC_QUERY, 4, az); break;
      case 3: az[0] = "has_permission"; az[1] = zA; az[2] = 0; az[3] = 0; check(g, GC_QUERY, 4, az); break;
      case 4: az[0] = "has_permission"; az[1] = 0; az[2] = 0; az[3] = 0; check(g, GC_QUERY, 4, az); break;
      case 5: az[0] = "allow"; az[1] = zA; az[2] = 0; az[3] = zT; check(g, GC_QUERY, 4, az); break;
      case 6:
        if( g->bGroups ){
          char *zG = fmt("Group:g%d", (int)rng_below(g->r, 3));
          az[0] = "has_group"; az[1] = g->bUserGroups ? zA : zG; az[2] = 0;
          check(g, GC_QUERY, 3, az);
          free(zG);
        }
        else if( g->bGlobal ){ az[0] = "has_role"; az[1] = 0; az[2] = 0; check(g, GC_QUERY, 3, az); }
        break;
      case 7:
        if( g->bDerived ){ az[0] = "can_see"; az[1] = zA; az[2] = 0; check(g, GC_QUERY, 3, az); }
        break;
      default: {
        /* has_relation exists when some type has a relation */
        int bRel = 0, j;
        for(j=0; j<g->nRes; j++) bRel |= g->aRes[j].nRel>0;
        az[0] = bRel ? "has_relation" : "has_role";
        az[1] = 0; az[2] = 0; az[3] = 0;
        check(g, GC_QUERY, 4, az);
        break;
      }
    }
    free(zA); free(zR); free(zT);
  }
}

/*----------------------------------------------------------------- api --*/

GenCase *gen_case(Rng *r, int eFamily, int bSmall){
  G g;
  memset(&g, 0, sizeof(g));
  g.r = r;
  g.bSmall = bSmall;
  g.bNoWild = eFamily==GEN_CONCRETE;
  g.c = calloc(1, sizeof(GenCase));
  if( g.c==0 ){ fprintf(stderr, "gen: out of memory\n"); abort(); }
  if( eFamily==GEN_KLEVEL ){
    g.c->zFamily = "klevel";
    gen_klevel(&g);
  }else{
    g.c->zFamily = eFamily==GEN_CONCRETE ? "concrete" : "general";
    gen_general_types(&g);
    gen_blocks(&g, 1 + (int)rng_below(r, bSmall ? 4 : 6));
    gen_longhand(&g);
  }
  gen_facts(&g);
  gen_checks(&g);
  return g.c;
}

static void args_free(GenArgs *a){
  int i;
  for(i=0; i<a->nArg; i++) free(a->azArg[i]);
}

void gen_free(GenCase *c){
  int i;
  if( c==0 ) return;
  for(i=0; i<c->nBlock; i++){ free(c->aBlock[i].zHead); free(c->aBlock[i].zDecl); }
  for(i=0; i<c->nItem; i++) free(c->aItem[i].zText);
  for(i=0; i<c->nFact; i++) args_free(&c->aFact[i].args);
  for(i=0; i<c->nCheck; i++){ args_free(&c->aCheck[i].args); free(c->aCheck[i].zContext); }
  free(c->aBlock); free(c->aItem); free(c->aFact); free(c->aCheck);
  free(c);
}

char *gen_policy(const GenCase *c){
  char *z = fmt("");
  int b, i;
  for(b=0; b<c->nBlock; b++){
    char *z2 = fmt("%s%s {\n  %s\n", z, c->aBlock[b].zHead, c->aBlock[b].zDecl);
    free(z); z = z2;
    for(i=0; i<c->nItem; i++){
      if( !c->aItem[i].bOn || c->aItem[i].iBlock!=b ) continue;
      z2 = fmt("%s  %s\n", z, c->aItem[i].zText);
      free(z); z = z2;
    }
    z2 = fmt("%s}\n", z); free(z); z = z2;
  }
  for(i=0; i<c->nItem; i++){
    char *z2;
    if( !c->aItem[i].bOn || c->aItem[i].iBlock>=0 ) continue;
    z2 = fmt("%s%s\n", z, c->aItem[i].zText);
    free(z); z = z2;
  }
  return z;
}

static int cmp_str(const void *a, const void *b){
  return strcmp(*(const char*const*)a, *(const char*const*)b);
}

char *gen_tags(const GenCase *c){
  const char **az = malloc(sizeof(char*)*(size_t)(c->nItem+1));
  char *z = fmt("");
  int i, n = 0;
  if( az==0 ){ fprintf(stderr, "gen: out of memory\n"); abort(); }
  for(i=0; i<c->nItem; i++) if( c->aItem[i].bOn ) az[n++] = c->aItem[i].zTag;
  qsort(az, (size_t)n, sizeof(char*), cmp_str);
  for(i=0; i<n; i++){
    char *z2;
    if( i>0 && strcmp(az[i], az[i-1])==0 ) continue;
    z2 = fmt("%s%s%s", z, z[0] ? "," : "", az[i]);
    free(z); z = z2;
  }
  free(az);
  return z;
}
