/*
** producer.h — the write path's Kafka producer, shared by `polarlite
** publish` and `polarlite serve` on an edge node.
**
** Idempotent with acks=all: a retried send is never written twice, and a
** message counts as sent only once every in-sync replica has it. Its
** consistency token is "<partition>:<offset>" (what polar_wait takes).
** A thread of the producer serves librdkafka's delivery reports, so any
** number of threads may send at once: producer_send() each message and
** producer_flush() once (`polarlite publish`), or producer_send_async()
** with a callback that the report calls (`polarlite serve`, whose workers
** must not wait on a broker).
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

/* Ask the brokers for the topic's metadata: they answer, and the topic and
** partition exist. Brokers that refuse connections fail it as soon as
** librdkafka reports all of them down; silent ones after timeoutMs. 0, or
** -1 with zErr ("cannot reach the brokers at H: <librdkafka's reason>"). */
int producer_check(Producer*, int timeoutMs, char *zErr, size_t nErr);

/* Queue one message (copied), waiting while librdkafka's queue is full.
** 0, or -1 with zErr (the message was not queued). */
int producer_send(Producer*, const void *p, size_t n, char *zErr, size_t nErr);

/* Queue one message; xDone(pArg, zErr, iPartition, iOffset) is called
** once, from the producer's thread, when the brokers acknowledged it
** (zErr NULL) or it failed (zErr says why: unreachable brokers past the
** delivery timeout, or refused). 0, or -1 with zErr: not queued, and
** xDone is not called. */
typedef void (*ProducerDone)(void *pArg, const char *zErr, int iPartition, int64_t iOffset);
int producer_send_async(Producer*, const void *p, size_t n, ProducerDone xDone, void *pArg,
                        char *zErr, size_t nErr);

/* Wait until every queued message is acknowledged or failed (at most
** iTimeoutMs), then report. */
void producer_flush(Producer*, int iTimeoutMs, ProducerStats *pStats);

#endif
