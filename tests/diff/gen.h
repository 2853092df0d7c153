/*
** gen.h — random well-typed Polar policies, facts and checks for the
** differential test (tests/diff/README.md).
**
** A case is a policy kept as removable pieces (so a disagreement can be cut
** down to the pieces it needs), facts, and checks. The random choices come
** from a Rng: a seeded generator (the driver, the quick suite) or the bytes
** of a libFuzzer input (fuzz_diff), so libFuzzer's mutations steer them.
*/
#ifndef PL_DIFF_GEN_H
#define PL_DIFF_GEN_H
#include <stddef.h>
#include <stdint.h>

typedef struct Rng {
  uint64_t s;                  /* xorshift state (when a==0) */
  const uint8_t *a; size_t n, i;   /* else: bytes to read, then zeros */
} Rng;
void rng_seed(Rng*, uint64_t seed);
void rng_bytes(Rng*, const uint8_t *a, size_t n);
unsigned rng_below(Rng*, unsigned n);       /* 0 .. n-1 (0 when n==0) */
int rng_pct(Rng*, unsigned pct);             /* 1 with pct% chance */

/* One removable piece of policy text: a shorthand rule inside block
** iBlock, or a top-level rule or fact (iBlock -1). zTag names the feature
** it exercises (a disagreement's signature is the tags left after it is
** cut down). */
typedef struct GenItem {
  int iBlock;
  char *zText;
  const char *zTag;
  int bOn;
} GenItem;

typedef struct GenBlock {
  char *zHead;                 /* "resource Repo" */
  char *zDecl;                 /* roles/permissions/relations declarations */
} GenBlock;

/* A fact or a check's arguments in the SQL spelling: azArg[i] text, or
** an integer when abInt[i], or SQL NULL when azArg[i] is NULL. */
typedef struct GenArgs {
  int nArg;
  char *azArg[6];
  int abInt[6];
} GenArgs;

enum { GC_AUTHORIZE = 1, GC_LIST, GC_ACTIONS, GC_QUERY };
typedef struct GenCheck {
  int eKind;
  GenArgs args;                /* query: azArg[0] is the predicate */
  char *zContext;              /* authorize: JSON context facts, or NULL */
} GenCheck;

typedef struct GenFact { GenArgs args; int bOn; } GenFact;   /* azArg[0]: predicate */

typedef struct GenCase {
  const char *zFamily;
  GenBlock *aBlock; int nBlock;
  GenItem *aItem; int nItem;
  GenFact *aFact; int nFact;
  GenCheck *aCheck; int nCheck;
  int nAlloc[4];
} GenCase;

enum { GEN_GENERAL = 0, GEN_KLEVEL = 1, GEN_CONCRETE = 2 };

/* A random case. eFamily GEN_GENERAL: resource blocks with random roles,
** permissions, relations and shorthand rules of every form, groups,
** global roles, longhand rules with `not`, comparisons, `in`, `=`,
** @current_unix_time, wildcard and policy facts, custom allow rules;
** GEN_CONCRETE: the same without the rules whose answers hold wildcards
** (a head variable the body leaves unbound: `"x" if is_public(resource)`
** grants any actor; those get a role condition, wildcard facts are left
** out); GEN_KLEVEL: K resource types chained by `parent`, viewer < editor < admin
** inherited from the parent, nested groups, one conditional default role.
** bSmall: fewer facts and checks (fuzzing). */
GenCase *gen_case(Rng*, int eFamily, int bSmall);
void gen_free(GenCase*);
/* The policy text of the pieces that are on (malloc'd). */
char *gen_policy(const GenCase*);
/* The tags of the pieces that are on, sorted, comma-separated (malloc'd). */
char *gen_tags(const GenCase*);
/* printf into a malloc'd string (aborts when out of memory: a test tool) */
char *gen_fmt(const char *zFmt, ...);

#endif
