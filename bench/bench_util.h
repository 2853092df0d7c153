/*
** bench_util.h — small helpers shared by the polarlite benchmarks:
** a deterministic RNG, the monotonic and thread-CPU clocks, latency
** statistics, a set of 64-bit keys, and dying with a message. Nothing here
** touches SQLite (bench_sql.h does).
*/
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <stdint.h>
#include <stddef.h>

/*---------------------------------------------------------------- rng ---*/
/* xoshiro256** seeded through splitmix64: same seed, same sequence, on
** every platform. */
typedef struct BRng { uint64_t s[4]; } BRng;
void brng_seed(BRng*, uint64_t seed);
uint64_t brng_next(BRng*);
uint32_t brng_below(BRng*, uint32_t n);      /* uniform in [0,n), n > 0 */
double brng_unit(BRng*);                     /* uniform in [0,1) */

/*-------------------------------------------------------------- clock ---*/
int64_t bnow_ns(void);                       /* CLOCK_MONOTONIC */
/* CPU time of the calling thread (CLOCK_THREAD_CPUTIME_ID): on a shared
** machine, the time a call computed, without the time it waited for a
** core. */
int64_t bcpu_ns(void);

/*-------------------------------------------------------------- stats ---*/
typedef struct BStats {
  int n;
  double p50, p90, p99, max, mean;           /* in the unit of the samples */
} BStats;
/* Sorts aNs in place and fills *pOut with values in microseconds. */
void bstats_us(int64_t *aNs, int n, BStats *pOut);
/* The same in milliseconds. */
void bstats_ms(int64_t *aNs, int n, BStats *pOut);

/*----------------------------------------------------------- key set ---*/
/* Open-addressing set of 64-bit keys (key 0 is reserved). Aborts on OOM:
** the benchmark cannot continue without memory anyway. */
typedef struct BSet { uint64_t *a; size_t nSlot, nUsed; } BSet;
void bset_init(BSet*, size_t nExpected);
void bset_free(BSet*);
int bset_add(BSet*, uint64_t key);           /* 1 if new, 0 if present */
int bset_has(const BSet*, uint64_t key);

/* Order-independent digest of a set of strings (sum of 64-bit FNV-1a).
** bhash_more continues a hash: bhash_more(bhash_str(a), b) is the hash of
** a followed by b, so a common prefix is hashed once. */
uint64_t bhash_str(const char *z, int n);
uint64_t bhash_more(uint64_t h, const char *z, int n);

/*------------------------------------------------------------- errors ---*/
/* "<program>: message" on stderr, then exit(1). */
void bdie(const char *zFmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* The whole file, NUL-terminated (free() it); *pn = its length; dies on
** error. */
char *bread_file(const char *zPath, long *pn);

void *bxmalloc(size_t n);                    /* malloc or abort */
void *bxrealloc(void *p, size_t n);          /* realloc or abort */

#endif /* BENCH_UTIL_H */
