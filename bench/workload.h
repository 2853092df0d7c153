/*
** workload.h — the checks every GitClub benchmark runs, and their inputs.
**
** A check is an (action, resource type) pair of bench/gitclub.polar with
** the oracle that answers it (gen_gitclub.h). For each check the workload
** draws, with a fixed seed, pools of distinct-enough (user, resource)
** inputs whose oracle answer is "allow" or "deny". Engine-specific code
** (polarlite's SQL, and later oso or SpiceDB clients) only adds how to ask.
** gen_gitclub --workload prints the same pools for harnesses in other
** languages.
*/
#ifndef WORKLOAD_H
#define WORKLOAD_H

#include "bench_util.h"
#include "gen_gitclub.h"

typedef struct Workload Workload;

typedef struct WlCheck {
  const char *zName;       /* "rbac_repo_read" */
  const char *zLabel;      /* for tables */
  const char *zAction;     /* "read" */
  int eResKind;            /* GC_REPO ... */
  int (*xOracle)(const GcWorld*, int user, int res);
  int (*xPickAllow)(Workload*, int *pUser, int *pRes);  /* 0: no candidate */
  int (*xPickDeny)(Workload*, int *pUser, int *pRes);
  double barP50, barP99, barRatio;  /* SPEC bars (us, us, x); 0 = none */
} WlCheck;

typedef struct WlInput {
  int user, res;
  int expect;              /* the oracle's answer (actions: GC_ACT_* mask) */
  char zUser[40], zRes[40];/* "User:user_1", "Repository:repo_7" */
} WlInput;

extern const WlCheck wl_aCheck[];
extern const int wl_nCheck;

/* The polar_list(user, "read", "Issue") rows sized by their answer: the
** user whose readable issues number closest to nTarget. */
typedef struct WlList { const char *zName; const char *zLabel; long nTarget; } WlList;
extern const WlList wl_aList[];
extern const int wl_nList;

/* The world must outlive the workload. Aborts on OOM. */
Workload *wl_new(const GcWorld*, uint64_t seed);
void wl_free(Workload*);

/* Fill aOut with up to nMax inputs of check c whose answer is bWant;
** returns how many (0 if the world has none). The same (world, seed, c,
** bWant, nMax) gives the same inputs, whatever ran before. */
int wl_pool(Workload*, const WlCheck *c, int bWant, WlInput *aOut, int nMax);

/* The user whose readable issues (read on Issue) number closest to
** nTarget (lowest user number on ties); their count in *pnCount. */
int wl_issue_list_user(Workload*, long nTarget, long *pnCount);

/* Inputs for polar_actions(User, Repository): half reach the repository
** through a role, one in six is a global admin, the rest anyone; .expect
** is the oracle's GC_ACT_* mask. Same (world, seed, nMax), same inputs. */
int wl_actions_pool(Workload*, WlInput *aOut, int nMax);

/* Uniform in [0,n), continuing the sequence of the last pool. */
uint32_t wl_below(Workload*, int n);

#endif /* WORKLOAD_H */
