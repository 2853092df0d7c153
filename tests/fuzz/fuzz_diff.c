/*
** fuzz_diff.c — the differential test as a libFuzzer target: the input's
** bytes are the random choices of the policy generator (tests/diff/gen.c),
** so libFuzzer's mutations steer which policy, facts and checks are made;
** every check is asked of the compiler and of the evaluator (diff.c).
**
** A disagreement whose signature is not in tests/diff/known.txt (or the
** file named by $DIFF_KNOWN) is a finding: it is printed cut down to a
** minimal case (sqlite3 script) and the input is kept as a crash. Byte 0
** picks the family: general, concrete (no wildcard answers) or the
** K-level family of issue 11; cases are small (fuzz speed).
*/
#include "diff.h"
#include "fuzz_common.h"
#include <string.h>

static DiffOpt opt;
static int bInit;

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData){
  DiffStats s;
  GenCase *c;
  Rng r;
  int eFamily;
  if( !bInit ){
    const char *zKnown = getenv("DIFF_KNOWN");
    bInit = 1;
    opt.out = stderr;
    opt.bMinimize = 1;
    opt.nSteps = 5000000;
    opt.zLabel = "fuzz_diff input";
    diff_known_load(&opt, zKnown ? zKnown : "tests/diff/known.txt");
  }
  if( nData>4096 ) return 0;
  rng_bytes(&r, aData, nData);
  eFamily = (int)rng_below(&r, 3);
  c = gen_case(&r, eFamily==0 ? GEN_GENERAL : eFamily==1 ? GEN_CONCRETE : GEN_KLEVEL, 1);
  memset(&s, 0, sizeof(s));
  /* forget what earlier inputs reported: each input stands alone */
  opt.nSeen = 0;
  if( diff_case(c, &opt, &s)>0 ){
    FUZZ_FAIL("the compiler and the evaluator disagree (the cut-down case is above)");
  }
  gen_free(c);
  return 0;
}
