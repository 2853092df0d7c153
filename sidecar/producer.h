/*
** producer.h — the write path's Kafka producer, shared by `polarlite
** publish` and `polarlite serve` on an edge node.
**
** Idempotent with acks=all: a retried send is never written twice, and a
** message counts as sent only once every in-sync replica has it. Its
** consistency token is "<partition>:<offset>" (what polar_wait takes).
** A thread of the producer serves librdkafka's delivery reports, so any
** number of threads may send at once:
**
**   producer_open(&opts, 30000, 5, &P, zErr, sizeof(zErr));
**   producer_send_wait(P, zMsg, nMsg, &iPart, &iOff, zErr, sizeof(zErr));
**   producer_close(P);
**
** or, for many messages, producer_send() each and producer_flush() once.
*/
#ifndef PL_SC_PRODUCER_H
#define PL_SC_PRODUCER_H
#include "kafka.h"

typedef struct Producer Producer;

/* What the delivery reports said so far. */
typedef struct ProducerStats {
  long nSent, nOk, nFailed;
  int iPartition;             /* of the last acknowledged message */
  int64_t iLastOffset;        /* highest acknowledged offset; -1: none */
  char zFirstErr[512];        /* the first failure, or "" */
} ProducerStats;

/* A producer for o->zTopic, partition o->iPartition. iTimeoutMs bounds
** each delivery (message.timeout.ms); iLingerMs is how long librdkafka
** waits to batch messages. -X settings override both. 0, or -1 with zErr. */
int producer_open(const KafkaOpts *o, int iTimeoutMs, int iLingerMs,
                  Producer **ppP, char *zErr, size_t nErr);
void producer_close(Producer*);

/* Queue one message (copied), waiting while librdkafka's queue is full.
** 0, or -1 with zErr (the message was not queued). */
int producer_send(Producer*, const void *p, size_t n, char *zErr, size_t nErr);

/* Send one message and wait for its acknowledgement: 0 with its partition
** and offset, or -1 with zErr (not acknowledged: unreachable brokers past
** the delivery timeout, or refused). */
int producer_send_wait(Producer*, const void *p, size_t n, int *piPartition,
                       int64_t *piOffset, char *zErr, size_t nErr);

/* Wait until every queued message is acknowledged or failed (at most
** iTimeoutMs), then report. */
void producer_flush(Producer*, int iTimeoutMs, ProducerStats *pStats);

#endif
