/*
** suggest.c — "did you mean" for names the user mistyped: types,
** predicates, actions, relation names. One rule everywhere: the closest
** candidate by edit distance (insertions, deletions, substitutions and
** swaps of neighbours, each 1), if it is at most 2 away, or at most 1 for
** names of 4 characters or fewer; ties go to the first candidate offered.
**
**   PlSuggest s;
**   pl_suggest_init(&s, "Documnet", -1);
**   for(each candidate) pl_suggest_try(&s, zCand, nCand);
**   if( s.zBest ) ... "did you mean '%.*s'?", s.nBest, s.zBest
*/
#include "pl_int.h"
#include <string.h>

#define SUGGEST_MAXLEN 64

/* Optimal string alignment distance of a[0..na) and b[0..nb), or 99 when
** either is longer than SUGGEST_MAXLEN. */
static int suggest_distance(const char *a, int na, const char *b, int nb){
  int d[SUGGEST_MAXLEN+1][SUGGEST_MAXLEN+1];
  int i, j;
  if( na>SUGGEST_MAXLEN || nb>SUGGEST_MAXLEN ) return 99;
  for(i=0; i<=na; i++) d[i][0] = i;
  for(j=0; j<=nb; j++) d[0][j] = j;
  for(i=1; i<=na; i++){
    for(j=1; j<=nb; j++){
      int c = d[i-1][j-1] + (a[i-1]!=b[j-1]);
      if( d[i-1][j]+1 < c ) c = d[i-1][j]+1;
      if( d[i][j-1]+1 < c ) c = d[i][j-1]+1;
      if( i>1 && j>1 && a[i-1]==b[j-2] && a[i-2]==b[j-1] && d[i-2][j-2]+1 < c ){
        c = d[i-2][j-2]+1;
      }
      d[i][j] = c;
    }
  }
  return d[na][nb];
}

void pl_suggest_init(PlSuggest *p, const char *z, int n){
  memset(p, 0, sizeof(*p));
  p->z = z;
  p->n = n<0 ? (int)strlen(z) : n;
  p->dBest = p->n<=4 ? 2 : 3;           /* a candidate must come closer */
}

void pl_suggest_try(PlSuggest *p, const char *zCand, int nCand){
  int d;
  if( nCand<0 ) nCand = (int)strlen(zCand);
  if( nCand==p->n && memcmp(zCand, p->z, (size_t)nCand)==0 ) return;
  d = suggest_distance(p->z, p->n, zCand, nCand);
  if( d<p->dBest ){
    p->dBest = d;
    p->zBest = zCand;
    p->nBest = nCand;
  }
}
