/*
** kafka.h — librdkafka setup shared by `polarlite sidecar` and
** `polarlite publish`, and the sidecar's partition reader.
**
** The sidecar reads one partition by manual assignment (no consumer group:
** every node reads the whole log) from the offset its database stores, and
** never commits offsets to Kafka: the position lives in the database.
*/
#ifndef PL_SC_KAFKA_H
#define PL_SC_KAFKA_H
#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <stdint.h>

#define KAFKA_MAX_X 64

/* Where the log is, and -X key=value settings passed to librdkafka as is
** (SASL, TLS, timeouts); they override our defaults. */
typedef struct KafkaOpts {
  const char *zBrokers;
  const char *zTopic;
  int iPartition;
  const char *azX[KAFKA_MAX_X]; int nX;
} KafkaOpts;

/* Add one -X argument; checks the key=value shape. 0 or -1 with zErr. */
int kafka_add_x(KafkaOpts*, const char *zKeyValue, char *zErr, size_t nErr);

/* A configuration: azDefault (key, value, ..., NULL) first, then
** bootstrap.servers, then the -X settings. NULL with zErr naming the
** setting librdkafka refused. */
rd_kafka_conf_t *kafka_conf(const KafkaOpts*, const char *const *azDefault,
                            char *zErr, size_t nErr);

/* Route librdkafka's log and error reports into our structured log. */
void kafka_conf_logging(rd_kafka_conf_t*);

/* The text of the last error-level line librdkafka logged through
** kafka_conf_logging (e.g. "127.0.0.1:1/bootstrap: Connect to
** ipv4#127.0.0.1:1 failed: Connection refused ..."), "" if none. */
void kafka_last_failure(char *zOut, size_t nOut);

/* 1 while the last report of a client set up with kafka_conf_logging said
** that every broker is down (its error callback runs in rd_kafka_poll). */
int kafka_brokers_down(void);

/*------------------------------------------------------------ reader ----*/
typedef struct Reader Reader;

/* The reader's librdkafka defaults (key, value, ..., NULL) for
** kafka_conf(): manual assignment, nothing committed, no offset reset. */
extern const char *const kafka_reader_conf[];

/* Create the partition reader (connects lazily; a broker that is down is
** not an error here). Takes ownership of conf. */
int reader_open(const KafkaOpts*, rd_kafka_conf_t *conf, Reader **ppR,
                char *zErr, size_t nErr);
void reader_close(Reader*);

/* Ask the partition leader for the log start and end offsets. Returns the
** librdkafka error (RD_KAFKA_RESP_ERR_NO_ERROR on success). */
rd_kafka_resp_err_t reader_watermarks(Reader*, int64_t *pLow, int64_t *pHigh,
                                      int timeoutMs);
/* The log end offset as last seen in fetch responses (-1: not yet). */
int64_t reader_cached_high(Reader*);

/* Start reading at iOffset (RD_KAFKA_OFFSET_BEGINNING for the start). */
int reader_start(Reader*, int64_t iOffset, char *zErr, size_t nErr);

/* The next message or error event, or NULL after timeoutMs. The caller
** destroys it with rd_kafka_message_destroy(). */
rd_kafka_message_t *reader_poll(Reader*, int timeoutMs);

/* 1 when the error event means the wanted offset is not in the log. */
int reader_is_out_of_range(const rd_kafka_message_t*);

/* 1 while the last transport event said the brokers are unreachable. */
int reader_broker_down(Reader*);

/*--------------------------------------------------------- dev cluster --*/
/* `--dev`: an in-process Kafka-protocol mock cluster (librdkafka's
** rdkafka_mock) with zTopic created (1 partition). Returns its bootstrap
** address (owned by the cluster) or NULL with zErr. */
const char *devcluster_start(const char *zTopic, char *zErr, size_t nErr);
void devcluster_stop(void);
/* Append one message to zTopic of the running dev cluster and wait for its
** acknowledgement. 0, or -1 with zErr. */
int devcluster_produce(const char *zTopic, const char *pData, size_t nData,
                       char *zErr, size_t nErr);

#endif
