/*
** serve_value.h — values between the Oso wire and the engine's SQL
** (serve_value.c), for the serve_api_*.c handlers.
*/
#ifndef PL_SC_SERVE_VALUE_H
#define PL_SC_SERVE_VALUE_H
#include "serve.h"

typedef struct PlPolicy PlPolicy;

/* The policy of this thread's connection (reloaded if another connection
** committed a new one). 0, or the status of the error put into C (503 when
** no policy is loaded). Valid until the connection next refreshes it: take
** it again after running a statement of another transaction. */
int sv_policy(Call*, const PlPolicy **ppPol);

/* Bind the wire value v to parameter iParam (see serve_value.c). bPattern:
** nulls are wildcards. 0, or the status of the error put into C (422
** naming zWhat and what is wrong). */
int sv_bind(Call*, const PlPolicy*, sqlite3_stmt*, int iParam, const SjValue *v,
            int bPattern, const char *zWhat);
/* The same for a String such as an action. */
int sv_bind_string(Call*, const PlPolicy*, sqlite3_stmt*, int iParam,
                   const char *z, int n, const char *zWhat);

/* A value read back from the engine: zType NULL for any value, zId NULL
** for a wildcard (any value of zType). Points into the sqlite3_value. */
typedef struct SvOut { const char *zType; const char *zId; int nId; char aNum[24]; } SvOut;
int sv_read(const PlPolicy*, sqlite3_value*, SvOut*);
void sv_out_value(Out*, const SvOut*);   /* {"type": T, "id": I} */
void sv_out_id(Out*, const SvOut*);      /* "I" or null */
/* {"predicate": P, "args": [{type, id}...]} from columns 0..nCol-1 of the
** current row of p, up to the first NULL (past a fact's arity). 0, or -1
** when a value cannot be read. */
int sv_out_fact(Out*, const PlPolicy*, const char *zPred, int nPred, sqlite3_stmt *p, int nCol);

#endif
