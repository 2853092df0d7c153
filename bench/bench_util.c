/*
** bench_util.c — see bench_util.h.
*/
#include "bench_util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*---------------------------------------------------------------- rng ---*/
static uint64_t splitmix64(uint64_t *x){
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void brng_seed(BRng *r, uint64_t seed){
  int i;
  for(i=0; i<4; i++) r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k){ return (x << k) | (x >> (64 - k)); }

uint64_t brng_next(BRng *r){
  uint64_t *s = r->s;
  uint64_t result = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

uint32_t brng_below(BRng *r, uint32_t n){
  /* Lemire's multiply-shift; the tiny bias is irrelevant here. */
  return (uint32_t)(((brng_next(r) >> 32) * (uint64_t)n) >> 32);
}

double brng_unit(BRng *r){
  return (double)(brng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/*-------------------------------------------------------------- clock ---*/
int64_t bnow_ns(void){
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t bcpu_ns(void){
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*-------------------------------------------------------------- stats ---*/
static int cmp_i64(const void *a, const void *b){
  int64_t x = *(const int64_t*)a, y = *(const int64_t*)b;
  return (x > y) - (x < y);
}

static void bstats_scaled(int64_t *a, int n, double div, BStats *p){
  double sum = 0;
  int i;
  memset(p, 0, sizeof(*p));
  p->n = n;
  if( n<=0 ) return;
  qsort(a, (size_t)n, sizeof(a[0]), cmp_i64);
  for(i=0; i<n; i++) sum += (double)a[i];
  /* nearest-rank percentiles */
  p->p50 = (double)a[(int)((n - 1) * 0.50)] / div;
  p->p90 = (double)a[(int)((n - 1) * 0.90)] / div;
  p->p99 = (double)a[(int)((n - 1) * 0.99)] / div;
  p->max = (double)a[n - 1] / div;
  p->mean = sum / n / div;
}

void bstats_us(int64_t *a, int n, BStats *p){ bstats_scaled(a, n, 1e3, p); }
void bstats_ms(int64_t *a, int n, BStats *p){ bstats_scaled(a, n, 1e6, p); }

/*------------------------------------------------------------- errors ---*/
void bdie(const char *zFmt, ...){
  va_list ap;
  va_start(ap, zFmt);
  fprintf(stderr, "%s: ", program_invocation_short_name);
  vfprintf(stderr, zFmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(1);
}

char *bread_file(const char *zPath, long *pn){
  FILE *f = fopen(zPath, "rb");
  char *z;
  long n;
  if( !f ) bdie("cannot open %s: %s", zPath, strerror(errno));
  if( fseek(f, 0, SEEK_END) || (n = ftell(f))<0 || fseek(f, 0, SEEK_SET) ){
    bdie("cannot read %s", zPath);
  }
  z = bxmalloc((size_t)n + 1);
  if( fread(z, 1, (size_t)n, f)!=(size_t)n ) bdie("cannot read %s", zPath);
  z[n] = 0;
  fclose(f);
  *pn = n;
  return z;
}

/*----------------------------------------------------------- key set ---*/
void *bxmalloc(size_t n){
  void *p = malloc(n ? n : 1);
  if( !p ){ fprintf(stderr, "bench: out of memory\n"); abort(); }
  return p;
}

void *bxrealloc(void *p, size_t n){
  p = realloc(p, n ? n : 1);
  if( !p ){ fprintf(stderr, "bench: out of memory\n"); abort(); }
  return p;
}

static size_t mix(uint64_t k){
  k ^= k >> 33; k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33; k *= 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33;
  return (size_t)k;
}

void bset_init(BSet *s, size_t nExpected){
  size_t n = 16;
  while( n < nExpected * 2 ) n <<= 1;
  s->a = bxmalloc(n * sizeof(uint64_t));
  memset(s->a, 0, n * sizeof(uint64_t));
  s->nSlot = n;
  s->nUsed = 0;
}

void bset_free(BSet *s){
  free(s->a);
  memset(s, 0, sizeof(*s));
}

static void bset_grow(BSet *s){
  BSet t;
  size_t i;
  bset_init(&t, s->nSlot);          /* doubles the slot count */
  for(i=0; i<s->nSlot; i++) if( s->a[i] ) bset_add(&t, s->a[i]);
  free(s->a);
  *s = t;
}

int bset_add(BSet *s, uint64_t key){
  size_t m, i;
  if( (s->nUsed + 1) * 2 > s->nSlot ) bset_grow(s);
  m = s->nSlot - 1;
  for(i = mix(key) & m; s->a[i]; i = (i + 1) & m){
    if( s->a[i]==key ) return 0;
  }
  s->a[i] = key;
  s->nUsed++;
  return 1;
}

int bset_has(const BSet *s, uint64_t key){
  size_t m = s->nSlot - 1, i;
  for(i = mix(key) & m; s->a[i]; i = (i + 1) & m){
    if( s->a[i]==key ) return 1;
  }
  return 0;
}

uint64_t bhash_more(uint64_t h, const char *z, int n){
  int i;
  for(i=0; i<n; i++){ h ^= (unsigned char)z[i]; h *= 0x100000001b3ULL; }
  return h;
}

uint64_t bhash_str(const char *z, int n){
  return bhash_more(0xcbf29ce484222325ULL, z, n);
}
