/*
** gen_main.c — the gen_gitclub command: print the benchmark world's facts
** so that other engines (oso, SpiceDB, ...) can load exactly the data
** bench_engine feeds to polarlite.
**
**   gen_gitclub [--size N] [--seed S] [--format tsv|oso]
**   gen_gitclub [--size N] [--seed S] --workload [--pool N]
**
**   tsv  one fact per line: predicate, then each argument as Type:id
**        (role and relation names as String:name), tab-separated
**   oso  one Oso fact per line as JSON:
**        {"predicate":"has_role","args":[{"type":"User","id":"user_1"},...]}
**
** --workload prints, instead of facts, the inputs bench_engine measures:
**   check <TAB> allow|deny <TAB> actor <TAB> action <TAB> resource <TAB> expected
** for every check of workload.c (--pool inputs each, default 1024), then
**   actions_repo <TAB> mixed <TAB> actor <TAB> * <TAB> resource <TAB> mask
** for polar_actions (mask: 1 read, 2 push, 4 delete), then
**   list <TAB> name <TAB> actor <TAB> action <TAB> type <TAB> expected count
** for the list benchmarks.
**
** A summary of the world goes to stderr.
*/
#include "gen_gitclub.h"
#include "workload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct Out { FILE *f; int bOso; } Out;

/* Ids and names come from the generator: [A-Za-z0-9_] only, nothing to
** escape in TSV or JSON. */
static int print_fact(void *pCtx, const char *zPred, int nArg, const GcArg *a){
  Out *o = pCtx;
  int i;
  if( o->bOso ){
    fprintf(o->f, "{\"predicate\":\"%s\",\"args\":[", zPred);
    for(i=0; i<nArg; i++){
      fprintf(o->f, "%s{\"type\":\"%s\",\"id\":\"%s\"}", i ? "," : "", a[i].zType, a[i].zId);
    }
    fputs("]}\n", o->f);
  }else{
    fputs(zPred, o->f);
    for(i=0; i<nArg; i++) fprintf(o->f, "\t%s:%s", a[i].zType, a[i].zId);
    fputc('\n', o->f);
  }
  return ferror(o->f) ? 1 : 0;
}

static void print_workload(const GcWorld *w, uint64_t seed, int nPool){
  Workload *p = wl_new(w, seed);
  WlInput *a = malloc(sizeof(WlInput)*(size_t)nPool);
  int i, j, bWant;
  long n;
  if( !a ){ fprintf(stderr, "gen_gitclub: out of memory\n"); exit(1); }
  for(i=0; i<wl_nCheck; i++){
    const WlCheck *c = &wl_aCheck[i];
    for(bWant=1; bWant>=0; bWant--){
      int nIn = wl_pool(p, c, bWant, a, nPool);
      for(j=0; j<nIn; j++){
        printf("%s\t%s\t%s\t%s\t%s\t%d\n", c->zName, bWant ? "allow" : "deny",
               a[j].zUser, c->zAction, a[j].zRes, a[j].expect);
      }
    }
  }
  {
    int nIn = wl_actions_pool(p, a, nPool);
    for(j=0; j<nIn; j++){
      printf("actions_repo\tmixed\t%s\t*\t%s\t%d\n", a[j].zUser, a[j].zRes, a[j].expect);
    }
  }
  for(i=0; i<wl_nList; i++){
    long nCount;
    int u = wl_issue_list_user(p, wl_aList[i].nTarget, &nCount);
    printf("list\t%s\tUser:user_%d\tread\tIssue\t%ld\n", wl_aList[i].zName, u, nCount);
  }
  for(n=0, j=0; j<w->nIssue; j++) n += gc_can_read_issue(w, w->iOrgPowerUser, j);
  printf("list\tlist_issue_read\tUser:user_%d\tread\tIssue\t%ld\n", w->iOrgPowerUser, n);
  for(n=0, j=0; j<w->nFolder; j++) n += gc_can_read_folder(w, w->iFolderPowerUser, j);
  printf("list\tlist_folder_read\tUser:user_%d\tread\tFolder\t%ld\n", w->iFolderPowerUser, n);
  free(a);
  wl_free(p);
}

static void usage(void){
  fprintf(stderr, "usage: gen_gitclub [--size N] [--seed S] [--format tsv|oso]\n"
                  "       gen_gitclub [--size N] [--seed S] --workload [--pool N]\n");
  exit(2);
}

int main(int argc, char **argv){
  long nSize = 300000;
  unsigned long long seed = 42;
  Out o = { stdout, 0 };
  GcWorld *w;
  int i, rc, bWorkload = 0, nPool = 1024;
  const char *zEnv = getenv("BENCH_SIZE");
  if( zEnv ) nSize = atol(zEnv);
  for(i=1; i<argc; i++){
    if( !strcmp(argv[i], "--size") && i+1<argc ) nSize = atol(argv[++i]);
    else if( !strcmp(argv[i], "--seed") && i+1<argc ) seed = strtoull(argv[++i], 0, 10);
    else if( !strcmp(argv[i], "--workload") ) bWorkload = 1;
    else if( !strcmp(argv[i], "--pool") && i+1<argc ) nPool = atoi(argv[++i]);
    else if( !strcmp(argv[i], "--format") && i+1<argc ){
      const char *z = argv[++i];
      if( !strcmp(z, "oso") ) o.bOso = 1;
      else if( strcmp(z, "tsv") ) usage();
    }else usage();
  }
  if( nPool<1 ) usage();
  w = gc_world_new(nSize, seed);
  if( bWorkload ){
    print_workload(w, seed, nPool);
    rc = 0;
  }else{
    rc = gc_world_emit(w, print_fact, &o);
  }
  if( fflush(o.f) ) rc = 1;
  fprintf(stderr, "gen_gitclub: %ld facts: %d users, %d groups (%d members, %d roles), "
          "%d orgs, %d repos, %d issues, %d folders (%d chains of depth 10, %d cycles), "
          "%d user roles\n",
          w->nFact, w->nUser, w->nGroup, w->nMember, w->nGroupRole, w->nOrg, w->nRepo,
          w->nIssue, w->nFolder, w->nChainLeaf, w->nFolderCycle, w->nRole);
  gc_world_free(w);
  if( rc ){ fprintf(stderr, "gen_gitclub: write error\n"); return 1; }
  return 0;
}
