/*
** serve_json.h — JSON for `polarlite serve`: a strict reader for request
** bodies, the decoders of each endpoint's request, and the writer of
** response bodies. Nothing here touches a database: every decoder takes
** bytes and returns a request struct or an error naming the field, which is
** what tests/fuzz/fuzz_serve_json.c exercises.
**
** Fact arrays (context_facts, batch bodies) are not decoded here: their raw
** JSON text is passed on to the engine, whose decoder (ext/json.c) and
** value reader (pl_value_from_wire) are the one place facts are read.
*/
#ifndef PL_SC_SERVE_JSON_H
#define PL_SC_SERVE_JSON_H
#include <stddef.h>
#include <stdint.h>

/*---------------------------------------------------------------- reader --*/
enum { SJ_OBJ = 1, SJ_ARR, SJ_STR, SJ_NUM, SJ_TRUE, SJ_FALSE, SJ_NULL };

typedef struct SjTok {
  unsigned char eType;
  int iStart, iEnd;           /* the value's text z[iStart..iEnd) (strings: inside the quotes) */
  int nChild;                 /* OBJ: keys + values; ARR: elements */
  int iNext;                  /* the token after this value's subtree */
} SjTok;

typedef struct SjDoc {
  const char *z; int n;
  SjTok *aTok; int nTok, nAlloc;
  char *aScratch; size_t nScratch, nScratchUsed;  /* unescaped strings */
} SjDoc;

#define SJ_MAX_DEPTH 64

/* Parse z[0..n) (strict RFC 8259: one value, nothing after it but
** whitespace). 0, or -1 with "malformed JSON at byte N: why" in zErr. */
int sj_parse(SjDoc*, const char *z, int n, char *zErr, size_t nErr);
void sj_free(SjDoc*);

/* The value token of key zKey in object iObj: -1 if absent, -2 if the
** key appears twice. */
int sj_key(const SjDoc*, int iObj, const char *zKey);
/* String token iTok unescaped (NUL-terminated; \u0000 refused): 0 or -1. */
int sj_str(SjDoc*, int iTok, const char **pz, int *pn);
/* The raw JSON text of token iTok (strings with their quotes). */
void sj_raw(const SjDoc*, int iTok, const char **pz, int *pn);
/* The first element of array iArr, then sj_next() of each. */
#define sj_first(p,i) ((i)+1)
#define sj_next(p,i)  ((p)->aTok[i].iNext)

/*-------------------------------------------------------------- requests --*/

/* A typed value as the SDKs send it; NULL z = JSON null (a wildcard where
** patterns are allowed) or absent. */
typedef struct SjValue { const char *zType; int nType; const char *zId; int nId; } SjValue;

/* authorize, list, actions, authorize_resources (and each bulk_actions
** item): the fields a body has, the others zero. */
typedef struct CheckReq {
  SjValue actor;
  const char *zAction; int nAction;
  SjValue resource;                   /* authorize, actions */
  const char *zResType; int nResType; /* list */
  const char *zCtx; int nCtx;         /* context_facts JSON; NULL: none or [] */
  int bPaged;                         /* list: page_size or page_token given */
  int64_t nPageSize;                  /* 0: not given */
  const char *zPageToken; int nPageToken;
  int iResources;                     /* authorize_resources: array token */
} CheckReq;

enum { CHECK_AUTHORIZE = 1, CHECK_LIST, CHECK_ACTIONS, CHECK_RESOURCES };

/* Decode the object at token iObj as the body of eKind. 0, or -1 with an
** error naming the field ("actor_id: expected a string"). */
int sj_check_req(SjDoc*, int iObj, int eKind, CheckReq *pReq, char *zErr, size_t nErr);
/* One {"type": T, "id": I} at token iTok (null, a missing key or a null
** field leaves that part NULL: whether a wildcard is allowed is the
** engine's decision). zWhat names it in errors. */
int sj_value(SjDoc*, int iTok, const char *zWhat, SjValue *pVal, char *zErr, size_t nErr);

/* POST /query {"fact": {"predicate": P, "args": [Value...]}, "context_facts"} */
typedef struct FactReq {
  const char *zPred; int nPred;
  int nArg;
  SjValue aArg[5];
  const char *zCtx; int nCtx;
} FactReq;
int sj_fact_req(SjDoc*, int iObj, FactReq*, char *zErr, size_t nErr);

/* POST /evaluate_query (oso-api.md section 5). Variables are numbered in
** the order of their constraints. */
#define QB_MAX_CALLS 16
#define QB_MAX_VARS  64
typedef struct QbVar {
  const char *zName; int nName;
  const char *zType; int nType;
  int iIds;                           /* token of the ids array, or -1 (null) */
  int nIds;
} QbVar;
typedef struct QbCall {
  const char *zPred; int nPred;
  int nArg;
  int aVar[5];                        /* indexes into QbQuery.aVar */
} QbCall;
typedef struct QbQuery {
  QbCall aCall[QB_MAX_CALLS]; int nCall;   /* aCall[0] is "predicate" */
  QbVar aVar[QB_MAX_VARS]; int nVar;
  const char *zCtx; int nCtx;
} QbQuery;
int sj_query_req(SjDoc*, int iObj, QbQuery*, char *zErr, size_t nErr);

/* POST /policy {"src": S, "filename": F|null} */
int sj_policy_req(SjDoc*, int iObj, const char **pzSrc, int *pnSrc,
                  const char **pzFile, char *zErr, size_t nErr);

/* The older write bodies as one batch body (the text of POST /batch):
** eKind one of the WRITE_* below. *pzBatch is malloc'd. */
enum { WRITE_FACT_INSERT = 1, WRITE_FACT_DELETE, WRITE_BULK_LOAD, WRITE_BULK_DELETE, WRITE_BULK };
int sj_batch_of(SjDoc*, int eKind, char **pzBatch, size_t *pnBatch, char *zErr, size_t nErr);

/*---------------------------------------------------------------- writer --*/
typedef struct Out { char *z; size_t n, nAlloc; int bOom; } Out;

void out_raw(Out*, const char *z, size_t n);
void out_str(Out*, const char *z);                 /* raw, NUL-terminated */
void out_json(Out*, const char *z, size_t n);      /* a JSON string, escaped */
void out_int(Out*, int64_t v);
void out_printf(Out*, const char *zFmt, ...) __attribute__((format(printf,2,3)));
void out_reset(Out*);                              /* empty, memory kept */
void out_free(Out*);

#endif
