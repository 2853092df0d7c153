/*
** difftest.c — the differential test driver: random policies, facts and
** checks (gen.c) asked of the compiler and of the evaluator (diff.c).
**
**   difftest [--seconds N | --policies N] [--seed S] [--family general|concrete|klevel|mixed]
**            [--known FILE] [--out DIR] [--steps N] [--policy I] [--print]
**            [--no-minimize] [--no-fork] [-v]
**
** Policy I of seed S is generated from its own seed, so `--seed S --policy
** I` makes that one case again (--print shows it as SQL). Runs until N
** seconds or N policies (default: 200 policies); prints every new
** disagreement cut down to a minimal case, then one line of totals.
** Each case runs in a child process: a case that crashes either engine
** (the compiler's recursion can overflow the stack) is reported with the
** command that makes it again, and the run goes on. Exit status: 0 no new
** disagreement or crash, 1 some, 2 usage.
*/
#include "diff.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t mix(uint64_t x){
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

static double now_s(void){
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec/1e9;
}

static void stats_add(DiffStats *a, const DiffStats *b){
  a->nPolicy += b->nPolicy; a->nRefused += b->nRefused;
  a->nFact += b->nFact; a->nFactRefused += b->nFactRefused;
  a->nCheck += b->nCheck; a->nAgree += b->nAgree; a->nBothError += b->nBothError;
  a->nLimitCompiler += b->nLimitCompiler; a->nLimitEval += b->nLimitEval;
  a->nDisagree += b->nDisagree; a->nKnown += b->nKnown; a->nNew += b->nNew;
  a->nCompilerError += b->nCompilerError; a->nEvalError += b->nEvalError;
  a->nCrash += b->nCrash;
}

static int read_all(int fd, void *p, size_t n){
  size_t k = 0;
  while( k<n ){
    ssize_t r = read(fd, (char*)p + k, n - k);
    if( r<=0 ) return -1;
    k += (size_t)r;
  }
  return 0;
}

/* Run case c in a child process. The child reports its statistics and the
** signatures it reported (so the parent does not report them again) back
** through a pipe; a child killed by a signal is a crash, reported here. */
static int run_isolated(GenCase *c, DiffOpt *o, DiffStats *s){
  int fd[2], st = 0, i;
  DiffStats cs;
  pid_t pid;
  fflush(stdout);
  fflush(stderr);
  if( pipe(fd) ) return diff_case(c, o, s);
  pid = fork();
  if( pid<0 ){ close(fd[0]); close(fd[1]); return diff_case(c, o, s); }
  if( pid==0 ){
    int nSeen0 = o->nSeen;
    memset(&cs, 0, sizeof(cs));
    close(fd[0]);
    diff_case(c, o, &cs);
    fflush(stdout);
    if( write(fd[1], &cs, sizeof(cs))!=(ssize_t)sizeof(cs) ) _exit(3);
    for(i=nSeen0; i<o->nSeen; i++){
      int n = (int)strlen(o->azSeen[i]);
      if( write(fd[1], &n, sizeof(n))!=(ssize_t)sizeof(n) || write(fd[1], o->azSeen[i], (size_t)n)!=n ) _exit(3);
    }
    _exit(0);
  }
  close(fd[1]);
  memset(&cs, 0, sizeof(cs));
  if( read_all(fd[0], &cs, sizeof(cs))==0 ){
    int n;
    stats_add(s, &cs);
    o->nFound += (int)cs.nNew;
    while( read_all(fd[0], &n, sizeof(n))==0 && n>0 && n<100000 ){
      char *z = malloc((size_t)n+1);
      if( z==0 || read_all(fd[0], z, (size_t)n) ){ free(z); break; }
      z[n] = 0;
      o->azSeen = realloc(o->azSeen, sizeof(char*)*(size_t)(o->nSeen+1));
      if( o->azSeen==0 ) abort();
      o->azSeen[o->nSeen++] = z;
    }
  }
  close(fd[0]);
  while( waitpid(pid, &st, 0)<0 ){}
  if( WIFSIGNALED(st) ){
    char zSig[64];
    snprintf(zSig, sizeof(zSig), "%s:crash:signal %d", c->zFamily, WTERMSIG(st));
    s->nPolicy++;
    s->nCrash++;
    for(i=0; i<o->nSeen && strcmp(o->azSeen[i], zSig)!=0; i++){}
    if( i==o->nSeen ){
      o->azSeen = realloc(o->azSeen, sizeof(char*)*(size_t)(o->nSeen+1));
      if( o->azSeen==0 ) abort();
      o->azSeen[o->nSeen++] = strdup(zSig);
      s->nNew++;
      printf("\n=== crash: %s (signal %d, %s)\nmake the case again: %s --print\n"
             "and run its checks one by one in the sqlite3 shell to see which engine crashes\n",
             zSig, WTERMSIG(st), strsignal(WTERMSIG(st)), o->zLabel);
      fflush(stdout);
    }
    return 1;
  }
  return (int)cs.nNew;
}

static void usage(FILE *f){
  fprintf(f, "usage: difftest [--seconds N | --policies N] [--seed S] [--family general|concrete|klevel|mixed]\n"
             "                [--known FILE] [--out DIR] [--steps N] [--policy I] [--print] [--no-minimize]\n"
             "                [--no-fork] [-v]\n");
}

int main(int argc, char **argv){
  unsigned long long iSeed = 1;
  long nPolicies = -1, iOnly = -1, i;
  double nSeconds = 0, t0, tLast;
  const char *zFamily = "mixed", *zKnown = 0;
  int bPrint = 0, k, nNew = 0, bIsolate = 1;
  DiffOpt o;
  DiffStats s;
  memset(&o, 0, sizeof(o));
  memset(&s, 0, sizeof(s));
  o.out = stdout;
  o.bMinimize = 1;
  o.nSteps = 20000000;
  for(k=1; k<argc; k++){
    const char *z = argv[k], *v = k+1<argc ? argv[k+1] : 0;
    if( strcmp(z, "--seconds")==0 && v ){ nSeconds = atof(v); k++; }
    else if( strcmp(z, "--policies")==0 && v ){ nPolicies = atol(v); k++; }
    else if( strcmp(z, "--seed")==0 && v ){ iSeed = strtoull(v, 0, 10); k++; }
    else if( strcmp(z, "--family")==0 && v ){ zFamily = v; k++; }
    else if( strcmp(z, "--known")==0 && v ){ zKnown = v; k++; }
    else if( strcmp(z, "--out")==0 && v ){ o.zOutDir = v; k++; }
    else if( strcmp(z, "--steps")==0 && v ){ o.nSteps = atoll(v); k++; }
    else if( strcmp(z, "--policy")==0 && v ){ iOnly = atol(v); k++; }
    else if( strcmp(z, "--print")==0 ){ bPrint = 1; }
    else if( strcmp(z, "--no-minimize")==0 ){ o.bMinimize = 0; }
    else if( strcmp(z, "--no-fork")==0 ){ bIsolate = 0; }
    else if( strcmp(z, "-v")==0 ){ o.bVerbose = 1; }
    else if( strcmp(z, "--help")==0 ){ usage(stdout); return 0; }
    else { usage(stderr); return 2; }
  }
  if( strcmp(zFamily, "general") && strcmp(zFamily, "klevel") && strcmp(zFamily, "concrete")
   && strcmp(zFamily, "mixed") ){
    usage(stderr);
    return 2;
  }
  if( zKnown && diff_known_load(&o, zKnown) ){
    fprintf(stderr, "difftest: cannot read %s\n", zKnown);
    return 2;
  }
  if( nPolicies<0 && nSeconds<=0 ) nPolicies = 200;
  t0 = tLast = now_s();
  for(i = iOnly>=0 ? iOnly : 0; ; i++){
    Rng r;
    GenCase *c;
    char zLabel[160];
    int eFamily;
    if( iOnly>=0 && i>iOnly ) break;
    if( iOnly<0 && nPolicies>=0 && i>=nPolicies ) break;
    if( iOnly<0 && nSeconds>0 && now_s()-t0 >= nSeconds ) break;
    eFamily = strcmp(zFamily, "klevel")==0 ? GEN_KLEVEL
            : strcmp(zFamily, "general")==0 ? GEN_GENERAL
            : strcmp(zFamily, "concrete")==0 ? GEN_CONCRETE : (int)(i % 3);
    rng_seed(&r, mix(iSeed ^ mix((uint64_t)i)));
    c = gen_case(&r, eFamily, 0);
    snprintf(zLabel, sizeof(zLabel), "difftest --seed %llu --family %s --policy %ld",
             iSeed, zFamily, i);
    o.zLabel = zLabel;
    if( bPrint ){
      int j;
      printf("-- %s\n", zLabel);
      diff_print_case(stdout, c);
      printf("-- %d checks:\n", c->nCheck);
      for(j=0; j<c->nCheck; j++){
        int a;
        printf("--   %d:", c->aCheck[j].eKind);
        for(a=0; a<c->aCheck[j].args.nArg; a++) printf(" %s", c->aCheck[j].args.azArg[a] ? c->aCheck[j].args.azArg[a] : "NULL");
        printf("%s\n", c->aCheck[j].zContext ? " +context" : "");
      }
    }
    nNew += bIsolate ? run_isolated(c, &o, &s) : diff_case(c, &o, &s);
    gen_free(c);
    if( now_s()-tLast >= 60 ){
      tLast = now_s();
      fprintf(stderr, "difftest: %.0f s, %ld policies, %ld checks, %ld disagreements (%ld new)\n",
              tLast-t0, s.nPolicy, s.nCheck, s.nDisagree, s.nNew);
    }
  }
  printf("difftest: family %s seed %llu: %ld policies (%ld refused at load), %ld facts (%ld refused), "
         "%ld checks: %ld agree, %ld refused by both, stopped by a limit %ld (compiler) %ld (evaluator), %ld disagree "
         "(%ld compiler refused, %ld evaluator refused; %ld new signatures, %ld known or repeated); "
         "%ld crashed; %.1f s\n",
         zFamily, iSeed, s.nPolicy, s.nRefused, s.nFact, s.nFactRefused, s.nCheck, s.nAgree,
         s.nBothError, s.nLimitCompiler, s.nLimitEval, s.nDisagree, s.nCompilerError, s.nEvalError, s.nNew, s.nKnown,
         s.nCrash, now_s()-t0);
  diff_opt_free(&o);
  return nNew ? 1 : 0;
}
