/*
** pl_dump.h — print parsed or generated Polar back as Polar text.
**
** Used by the unit tests (to compare desugared rules with expected longhand
** text) and handy in debugging. Every function returns a string allocated
** with sqlite3_mprintf that the caller frees with sqlite3_free (NULL on
** OOM). Chains of `and`/`or` print flat whatever their tree shape, and
** parentheses appear only where precedence needs them.
*/
#ifndef PL_DUMP_H
#define PL_DUMP_H

#include "pl_int.h"

/* "pred(p1, p2) if body;" or "pred(p1, p2);" */
char *pl_program_dump_rule(const PlRule*);
/* a rule body, including shorthand atoms ("y" on "rel", global "g") */
char *pl_program_dump_expr(const PlExpr*);
/* one term; variables and wildcards print their specializer ("x: T") */
char *pl_program_dump_term(const PlTerm*);

#endif /* PL_DUMP_H */
