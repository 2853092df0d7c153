/*
** deep_policy.c — see deep_policy.h.
*/
#include "deep_policy.h"
#include "bench_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct Text { char *z; size_t n, nAlloc; } Text;

static void put(Text *t, const char *zFmt, ...){
  va_list ap;
  int n;
  for(;;){
    va_start(ap, zFmt);
    n = vsnprintf(t->z + t->n, t->nAlloc - t->n, zFmt, ap);
    va_end(ap);
    if( n<0 ) abort();
    if( t->n + (size_t)n < t->nAlloc ) break;
    t->nAlloc = (t->nAlloc + (size_t)n) * 2;
    t->z = bxrealloc(t->z, t->nAlloc);
  }
  t->n += (size_t)n;
}

void deep_type_name(char *zBuf, int iLevel){
  snprintf(zBuf, 16, "R%d", iLevel);
}

char *deep_policy_text(const DeepPolicy *p, int *pnRule){
  Text t = { bxmalloc(4096), 0, 4096 };
  int i, nRule = 0;
  t.z[0] = 0;
  put(&t, "# K-level family (bench/deep_policy.c): K=%d, %s, %s\n", p->nLevel,
      p->bGroups ? "nested groups" : "no groups",
      p->eInherit==DP_ROLE_VAR ? "role if role on \"parent\"" : "three rules per parent");
  put(&t, "actor User {}\n");
  if( p->bGroups ) put(&t, "actor Group {}\n");
  for(i=0; i<p->nLevel; i++){
    put(&t, "\nresource R%d {\n"
            "  permissions = [\"read\", \"write\"];\n"
            "  roles = [\"viewer\", \"editor\", \"admin\"];\n", i);
    if( i>0 ) put(&t, "  relations = { parent: R%d };\n", i - 1);
    put(&t, "  \"viewer\" if \"editor\";\n"
            "  \"editor\" if \"admin\";\n"
            "  \"read\" if \"viewer\";\n"
            "  \"write\" if \"editor\";\n");
    nRule += 4;
    if( i>0 && p->eInherit==DP_ROLE_VAR ){
      put(&t, "  role if role on \"parent\";\n");
      nRule += 1;
    }else if( i>0 ){
      put(&t, "  \"viewer\" if \"viewer\" on \"parent\";\n"
              "  \"editor\" if \"editor\" on \"parent\";\n"
              "  \"admin\" if \"admin\" on \"parent\";\n");
      nRule += 3;
    }
    put(&t, "}\n");
  }
  if( p->bGroups ){
    put(&t, "\nhas_role(u: User, role: String, r: Resource) if\n"
            "  g matches Group and has_group(u, g) and has_role(g, role, r);\n"
            "has_group(u: User, g: Group) if\n"
            "  h matches Group and has_group(u, h) and has_group(h, g);\n");
    nRule += 2;
  }
  if( p->nLevel>=2 ){
    put(&t, "\nhas_role(actor: Actor, role: String, r: R%d) if\n"
            "  p matches R%d and has_relation(r, \"parent\", p) and\n"
            "  has_default_role(p, role) and has_role(actor, \"viewer\", p);\n",
        p->nLevel - 1, p->nLevel - 2);
    nRule += 1;
  }
  *pnRule = nRule;
  return t.z;
}
