/* vidlake - Apache-2.0 */
/*
 * ingest: turning validated events into stored data. This first part is the
 * column batch: decoded events are appended field by field into columnar
 * arrays (the layout the Parquet writer takes), so the ingest hot path never
 * boxes rows; and the Parquet schema of an event, derived from the event
 * schema table (one leaf per field, in table order).
 *
 * Sources (HTTP, Kafka, files), the write-ahead log and the bronze sinks
 * build on this.
 */
#ifndef VL_INGEST_H
#define VL_INGEST_H

#include "core/core.h"
#include "event/event.h"
#include "parquet/parquet.h"
#include "store/store.h"
#include "stream/stream.h"

/**
 * @brief The Parquet schema of events: out[0] is the root, then one leaf per
 * event field (VL_F_COUNT + 1 elements). Required fields are REQUIRED, the
 * rest OPTIONAL; strings and enums are STRING, timestamps
 * TIMESTAMP(MICROS, UTC), dates DATE, `extra` a STRING holding JSON.
 * @note Names point to static storage.
 */
void vl_event_parquet_schema(vl_pq_schema_elem out[VL_F_COUNT + 1]);

typedef struct vl_event_batch vl_event_batch;

/** @brief A batch of at most cap rows. @return VL_OK, VL_EINVAL, VL_ENOMEM. */
int vl_event_batch_create(size_t cap, vl_event_batch **out, vl_error *err) VL_MUST_CHECK;
void vl_event_batch_destroy(vl_event_batch *b); /* accepts NULL */
/** @brief Appends one validated event; its strings are copied.
 *  @return VL_OK, VL_ERANGE (the batch is full), VL_ENOMEM. */
int vl_event_batch_add(vl_event_batch *b, const vl_event *ev, vl_error *err) VL_MUST_CHECK;
size_t vl_event_batch_rows(const vl_event_batch *b);
bool vl_event_batch_full(const vl_event_batch *b);
/** @brief From now on, string values that lie inside [lo, hi) are stored as
 *  views instead of copies: the caller keeps those bytes unchanged for as
 *  long as the batch's rows are used (NULL: copy everything). */
void vl_event_batch_borrow(vl_event_batch *b, const char *lo, const char *hi);
/** @brief Empties the batch, keeping its memory. */
void vl_event_batch_clear(vl_event_batch *b);
/** @brief Fills cols[VL_F_COUNT] with views of the batch's columns, ready for
 *  vl_pq_writer_write. Valid until the batch changes. */
void vl_event_batch_columns(const vl_event_batch *b, vl_pq_column cols[VL_F_COUNT]);

/* ============================================================== bronze */

/*
 * The bronze sink (DESIGN.md, lake layout): validated events into
 * <lake>/bronze/events, one column per event field, partitioned by
 * event_date (UTC day of event_time; ingest_time and event_date are set
 * here), and rejected records into <lake>/bronze/dead_letters
 * (received_at, received_date, source, reason "reason[:field]", line,
 * offset, raw bytes; partitioned by received_date). Tables are created on
 * first use.
 *
 * Events are buffered in one column batch per event date; a full batch
 * becomes a data file of the open transaction, and vl_bronze_commit commits
 * what is pending, dead letters first, then events, each carrying the
 * source's (appId, version) so that it can resume exactly where each table
 * left off. After a failed commit the sink's pending data is gone: the
 * source resumes from vl_bronze_app_version of each table.
 * One thread at a time.
 */
typedef struct vl_bronze vl_bronze;

typedef struct vl_bronze_stats {
    int64_t events, dead_letters, event_commits, dead_commits;
} vl_bronze_stats;

/** @param batch_rows rows per column batch and event date (0: 16384); data
 *  files take many batches (vl_bronze_set_file_bytes).
 *  @note lake must outlive the sink. */
int vl_bronze_open(vl_store *lake, size_t batch_rows, vl_bronze **out, vl_error *err) VL_MUST_CHECK;
void vl_bronze_close(vl_bronze *b); /* accepts NULL; drops what is not committed */
/** @brief Closes a data file once it reaches bytes (0: 128 MiB); the open
 *  files together are held under twice that (in memory until closed). */
void vl_bronze_set_file_bytes(vl_bronze *b, uint64_t bytes);

/** @brief Strings of events that lie inside [lo, hi) are not copied: the
 *  caller keeps those bytes (a mapped input file) until the sink is closed. */
void vl_bronze_borrow(vl_bronze *b, const char *lo, const char *hi);
/** @brief Adds a validated event (sets its ingest_time and event_date). */
int vl_bronze_add_event(vl_bronze *b, vl_event *ev, int64_t ingest_us, vl_error *err) VL_MUST_CHECK;
/** @brief Adds a rejected record: its raw bytes, why, where it came from
 *  (source, 1-based line or -1). */
int vl_bronze_add_reject(vl_bronze *b, const char *raw, size_t n, const vl_reject *rj, const char *source,
                         int64_t line, int64_t received_us, vl_error *err) VL_MUST_CHECK;
/** @brief Events and dead letters not yet committed. */
size_t vl_bronze_pending(const vl_bronze *b);
/* A source position recorded with a commit: appId's txn version in both
 * tables. expect_events / expect_dead are the versions the source resumed
 * from in each table (-1: none yet), checked against the tables so that two
 * writers of one source cannot both commit the same positions; -2 skips the
 * check. */
typedef struct vl_bronze_pos {
    const char *app_id;
    int64_t version;
    int64_t expect_events, expect_dead;
} vl_bronze_pos;

/** @brief Commits the pending records with the source positions pos[0..n)
 *  (none: no txn action). Whatever happens, nothing stays pending: after an
 *  error the source resumes from vl_bronze_app_version of each table.
 *  @return VL_OK; VL_ECONFLICT when a table no longer holds an expected
 *  version, or when a concurrent commit carried one of the appIds. */
int vl_bronze_commit(vl_bronze *b, const vl_bronze_pos *pos, size_t n_pos, vl_bronze_stats *st,
                     vl_error *err) VL_MUST_CHECK;/** @brief Drops everything pending (data files already written stay
 *  unreferenced, for vacuum): the source will replay it. */
void vl_bronze_discard(vl_bronze *b);
/** @brief The last version app_id committed to bronze/events (or to
 *  bronze/dead_letters), -1 for none, -2 on error (err set). */
int64_t vl_bronze_app_version(vl_bronze *b, bool dead_letters, const char *app_id, vl_error *err);

/* Sizes of the data files a sink committed, for /metrics: [0] is
 * bronze/events, [1] bronze/dead_letters. Atomic histograms: one set may be
 * shared by several sinks and read from any thread. */
typedef struct vl_bronze_metrics {
    vl_histo file_rows[2];  /* rows per data file (vl_histo_counts) */
    vl_histo file_bytes[2]; /* bytes per data file (vl_histo_bytes) */
} vl_bronze_metrics;

/** @brief Sets the histograms' bounds (vl_histo_counts, vl_histo_bytes)
 *  and zeroes them; before any sink uses m. */
void vl_bronze_metrics_init(vl_bronze_metrics *m);
/** @brief Observes the data files of this sink's commits into m from now on
 *  (NULL: stop). @note m outlives the sink. */
void vl_bronze_set_metrics(vl_bronze *b, vl_bronze_metrics *m);
/** @brief Observes the data files of the commits made since the last call
 *  (at most the last 64): each commit's log entry is read back for its
 *  add actions' size and numRecords (one small get per table and commit,
 *  since the Delta writer does not report a file's final size), so call it
 *  off any timed path. A failed read is logged (debug) and skipped. */
void vl_bronze_observe(vl_bronze *b);

/* ============================================================ WAL */

/*
 * The collector's write-ahead log (ingest_wal.c): a directory of segment
 * files of CRC-checked records, one per accepted request, numbered by LSN.
 * vl_wal_append + vl_wal_wait give group commit: records appended while a
 * write is in flight share the next fdatasync. After each fsync the writer
 * thread hands the durable records, in LSN order, to the deliver callback.
 * Segments are deleted (vl_wal_release) only once all their records are
 * committed downstream. One process per directory (flock).
 */
typedef struct vl_wal vl_wal;

#define VL_WAL_HEADER 24u              /* crc, len, lsn, time */
#define VL_WAL_MAX_RECORD (1u << 30)

typedef struct vl_wal_rec {
    int64_t lsn;
    int64_t time_us;    /* when it was appended (wall clock) */
    const char *source; /* where the records came from, e.g. "http:127.0.0.1" */
    size_t source_n;
    const char *data;   /* the payload (the collector's NDJSON) */
    size_t n;
    size_t size;        /* bytes the record takes, header included */
} vl_wal_rec;

typedef struct vl_wal_stats {
    int64_t records, bytes, fsyncs, fsync_us_total, fsync_us_max;
    int64_t replay_records, torn_bytes, segments, segments_deleted;
    int64_t durable_lsn;    /* every LSN up to it is fsync'd; -1: none */
    int64_t buffered_bytes; /* appended, not yet durable (vl_wal_buffered) */
    bool failed;            /* a write or fsync failed: appends are refused */
    vl_histo_snap fsync_us; /* each group's write + fdatasync, µs */
} vl_wal_stats;

/** @brief Parses the record at buf[0..n): 1 and *rec set, 0 when n holds
 *  only part of one, -1 when it is damaged (bad length or CRC). */
int vl_wal_rec_next(const char *buf, size_t n, vl_wal_rec *rec);
/** @brief The same without the CRC check, for records this process just
 *  wrote and holds in memory (the chunks the deliver callback gets). */
int vl_wal_rec_next_unchecked(const char *buf, size_t n, vl_wal_rec *rec);

/** @brief Opens (creating) the log in dir: takes its lock, reads or makes
 *  its id, checks every segment and cuts a torn record off the newest.
 *  @param segment_bytes rotation size (0: 64 MiB).
 *  @return VL_OK; VL_ECONFLICT (another process holds it), VL_ECORRUPT (a
 *  damaged record before the newest segment's end), VL_EIO, VL_ENOMEM. */
int vl_wal_open(const char *dir, uint64_t segment_bytes, vl_wal **out, vl_error *err) VL_MUST_CHECK;
/** @brief Refuses new appends, writes and delivers what was appended, and
 *  stops the writer thread (reading and releasing still work). */
void vl_wal_stop(vl_wal *w);
/** @brief vl_wal_stop, then closes. */
void vl_wal_close(vl_wal *w); /* accepts NULL */
/** @brief The log's id ([0-9a-z-]{1,32}), stable across restarts. */
const char *vl_wal_id(const vl_wal *w);
/** @brief The highest LSN found on disk at open, -1 for none. */
int64_t vl_wal_last_lsn(const vl_wal *w);

/** @brief Called by the writer thread with durable records (in LSN order,
 *  up to last_lsn); it may take chunk's memory (leaving chunk empty). */
typedef void (*vl_wal_deliver_fn)(void *ctx, vl_buf *chunk, int64_t last_lsn);
/** @brief Starts the writer thread; new LSNs start at next_lsn or above the
 *  last on disk, whichever is higher. */
int vl_wal_start(vl_wal *w, int64_t next_lsn, vl_wal_deliver_fn deliver, void *ctx, vl_error *err) VL_MUST_CHECK;
/** @brief Appends a record (thread-safe) stamped time_us; *lsn is its number. Durable only
 *  after vl_wal_wait(lsn). @return VL_OK, VL_ERANGE (too large), VL_EIO
 *  (the log failed or is closing), VL_ENOMEM. */
int vl_wal_append(vl_wal *w, const char *source, int64_t time_us, const char *data, size_t n, int64_t *lsn,
                  vl_error *err) VL_MUST_CHECK;
/** @brief Waits until lsn is fsync'd. @return VL_OK or VL_EIO (the write
 *  failed: the record is not durable). */
int vl_wal_wait(vl_wal *w, int64_t lsn, vl_error *err) VL_MUST_CHECK;
/** @brief True once a write or fsync failed (the log refuses appends from
 *  then on); why receives the message. */
bool vl_wal_failed(vl_wal *w, char *why, size_t n);
/** @brief Bytes appended and not yet durable. */
size_t vl_wal_buffered(vl_wal *w);

typedef int (*vl_wal_read_fn)(void *ctx, const vl_wal_rec *rec, vl_error *err);
/** @brief Calls fn for each record on disk with after < lsn <= upto, in
 *  order; fn's error stops the walk and is returned. */
int vl_wal_read(vl_wal *w, int64_t after, int64_t upto, vl_wal_read_fn fn, void *ctx, vl_error *err) VL_MUST_CHECK;
/** @brief Deletes the segments whose records are all <= lsn (never the
 *  newest). */
int vl_wal_release(vl_wal *w, int64_t lsn, vl_error *err) VL_MUST_CHECK;
void vl_wal_get_stats(vl_wal *w, vl_wal_stats *st);

/* ====================================================== collector */

/*
 * The HTTP collector's pipeline (ingest_collector.c), independent of the
 * HTTP server that feeds it: a request body goes through gunzip, NDJSON or
 * JSON-array splitting and validation, into the WAL (the reply waits for
 * the group fsync), then through the bronze sink into Delta commits that
 * carry the txn ("wal-<WAL id>", last LSN). Opening replays the WAL above
 * what the tables hold; closing flushes and commits everything accepted.
 */
typedef struct vl_collector vl_collector;

typedef struct vl_collector_opts {
    const char *wal_dir;
    int64_t commit_interval_us; /* 0: 1 s */
    int64_t target_file_bytes;  /* commit when this much input is pending (0: 128 MiB) */
    size_t max_body;            /* request body limit, after gunzip (0: 32 MiB) */
    size_t max_event;           /* one event; larger: 413 (0: 1 MiB). Events over
                                   VL_EVENT_MAX_BYTES but within it are dead letters
                                   (too_large), as in files */
    size_t max_backlog;         /* bytes waiting for the pipeline before 503 (0: 128 MiB) */
    size_t batch_rows;          /* bronze rows per data file and date (0: the sink's default) */
    uint64_t wal_segment_bytes; /* 0: 64 MiB */
    int64_t optimize_interval_us; /* compact bronze's small files this often; 0: never */
    vl_rt *rt;                  /* the real-time engine, fed every valid event as the
                                   pipeline decodes it (WAL replays too); NULL: none */
} vl_collector_opts;

typedef struct vl_collector_reply {
    int status;      /* 200, 400, 413, 415, 503 */
    int retry_after; /* seconds, for 503; 0: none */
    vl_buf body;     /* JSON: {"accepted":N,"rejected":M,"errors":[...]} or {"error":"..."} */
} vl_collector_reply;

typedef struct vl_collector_stats {
    int64_t requests, accepted, rejected, shed, too_large, bad_requests, bytes_in;
    int64_t commits, commit_failures, commit_us_last, committed_lsn, events_committed, dead_letters_committed;
    int64_t queued_bytes;
    int64_t optimizes, files_compacted;
    int64_t rt_dropped; /* valid events the real-time engine could not take (out of memory) */
    int64_t received;   /* events validated, whether or not their request was then acknowledged */
    int64_t rejected_by[VL_RJ_COUNT]; /* acknowledged invalid events by reason (sums to rejected) */
    int64_t commit_conflicts; /* failed commits that lost to another writer (VL_ECONFLICT, VL_EAGAIN) */
    int64_t commit_retries;   /* commits attempted again after a failure (replayed from the WAL) */
    int64_t last_commit_unix_us; /* wall clock of the last commit; before one, of the open */
    int64_t queued_records;   /* WAL records durable but not yet committed to bronze */
    int64_t max_backlog;      /* the back-pressure limit, bytes */
    vl_histo_snap commit_us;      /* successful commits (both tables), µs */
    vl_histo_snap request_events; /* events per acknowledged request */
    vl_histo_snap file_rows[2], file_bytes[2]; /* committed data files (vl_bronze_metrics) */
    vl_wal_stats wal;
} vl_collector_stats;

/** @brief Opens the WAL, replays and commits what bronze lacks, and starts
 *  the pipeline. @note lake must outlive the collector. */
int vl_collector_open(vl_store *lake, const vl_collector_opts *o, vl_collector **out, vl_error *err) VL_MUST_CHECK;
/** @brief Handles one POST body (thread-safe; blocks until the events are
 *  durable). encoding is the Content-Encoding (NULL: none), source names
 *  the client for dead letters. Always fills reply; returns VL_OK. */
int vl_collector_post(vl_collector *c, const char *body, size_t n, const char *encoding, const char *source,
                      vl_collector_reply *reply);
/** @brief Stops accepting, commits everything accepted, closes. Call after
 *  the HTTP server stopped calling vl_collector_post. @return VL_OK, or the
 *  commit error (the WAL keeps the events for the next start). */
int vl_collector_close(vl_collector *c, vl_error *err);
const char *vl_collector_app_id(const vl_collector *c);
/** @brief Whether a POST would be taken now: false while shutting down,
 *  after the WAL failed, or while the backlog is over max_backlog (why says
 *  which). */
bool vl_collector_ready(vl_collector *c, char *why, size_t n);
/** @brief Splits a JSON array (the text starts with '[' after whitespace)
 *  into NDJSON lines, one element per line, by tracking strings and
 *  nesting (elements are not parsed: validation comes later). Whitespace
 *  newlines inside an element become spaces. @return VL_OK, VL_EINVAL
 *  naming the byte where the array is malformed, VL_ENOMEM. */
int vl_json_array_to_ndjson(const char *p, size_t n, vl_buf *out, vl_error *err) VL_MUST_CHECK;
void vl_collector_get_stats(vl_collector *c, vl_collector_stats *st);

/* ========================================================== Kafka */

/*
 * Kafka -> bronze, exactly once (docs/ingest.md, "Kafka"). One member of a
 * consumer group (librdkafka's high-level consumer) reads one topic; every
 * record's value is one event, which goes to bronze/events when valid and
 * to bronze/dead_letters otherwise (source "kafka://<topic>/<partition>",
 * line = the record's offset, raw bytes and reason kept).
 *
 * The tables, not Kafka, hold the truth about what was consumed: each Delta
 * commit carries, for every topic-partition it covers, a txn action with
 * appId "<app>-<topic>-<partition>" and version = the last offset it holds,
 * in both tables. On every assignment the member reads both versions of
 * each partition, resumes at the smaller one + 1 and skips the records a
 * table already holds; a commit whose partitions another member committed
 * meanwhile fails (VL_ECONFLICT) and is redone from the tables. After each
 * Delta commit the offsets (version + 1) are also committed to Kafka, for
 * lag tools only.
 *
 * Commits happen every commit interval while data is pending, when the
 * pending records reach the target size, when the topic goes quiet, before
 * partitions are given up (rebalance) and at the end. Memory is bounded:
 * when a commit has to wait (a partition replays a range one table already
 * holds) and max_pending_bytes is passed, the other partitions are paused
 * until the commit.
 */

/**
 * @brief Splits "kafka://BROKERS/TOPIC" (BROKERS: host:port[,host:port...],
 * the port 9092 when left out; TOPIC: 1 to 249 of [A-Za-z0-9._-]) into two
 * new strings.
 * @param brokers, topic receive strings the caller frees with vl_free.
 * @return VL_OK; VL_EINVAL naming what is wrong with url; VL_ENOMEM.
 */
int vl_kafka_url_parse(const char *url, char **brokers, char **topic, vl_error *err) VL_MUST_CHECK;

/** @brief The vidlake log level for a librdkafka log line of a syslog
 *  level (0 emergency .. 7 debug): its errors and warnings are warnings
 *  (librdkafka retries; what fails for good is reported by the caller),
 *  notices are info, the rest debug. */
vl_log_level vl_kafka_log_level(int syslog_level);

struct rd_kafka_conf_s; /* librdkafka's rd_kafka_conf_t */
/** @brief Sets one librdkafka property; a refusal is VL_EINVAL with
 *  "<what><key>=<value>: <librdkafka's reason>". */
int vl_kafka_conf_set(struct rd_kafka_conf_s *conf, const char *key, const char *val, const char *what,
                      vl_error *err) VL_MUST_CHECK;
/** @brief Sets "key=value" properties (-X) in order; errors name the one
 *  refused. */
int vl_kafka_conf_props(struct rd_kafka_conf_s *conf, const char *const *props, size_t n, vl_error *err) VL_MUST_CHECK;
/** @brief A consumer's configuration: bootstrap.servers, group.id (errors
 *  name group_opt), the caller's fixed settings, then the -X properties,
 *  which may override them. @return VL_OK or VL_EINVAL naming the setting. */
int vl_kafka_consumer_conf(struct rd_kafka_conf_s *conf, const char *brokers, const char *group, const char *group_opt,
                           const char *const (*fixed)[2], size_t n_fixed, const char *const *props, size_t n_props,
                           vl_error *err) VL_MUST_CHECK;

typedef struct vl_kafka_metrics vl_kafka_metrics; /* below */

typedef struct vl_kafka_ingest_opts {
    const char *brokers;          /* bootstrap.servers: host:port[,host:port...] */
    const char *topic;
    const char *group;            /* group.id */
    const char *app;              /* appId prefix; NULL: the group id */
    const char *const *props;     /* "key=value" consumer properties (-X), set last */
    size_t n_props;
    int64_t commit_interval_us;   /* commit pending data at least this often; 0: 1 s */
    int64_t target_file_bytes;    /* commit when pending record bytes reach this; 0: 128 MiB */
    int64_t max_pending_bytes;    /* past this while a commit must wait, pause the other
                                   * partitions; 0: twice target_file_bytes */
    size_t batch_rows;            /* bronze rows per data file and date; 0: the sink's default */
    int64_t connect_timeout_us;   /* start-up: find a broker and the topic; 0: 10 s */
    int64_t store_retry_us;       /* a commit the store fails (I/O) drops what was pending,
                                   * pauses, and reads it again, for up to this long of
                                   * failures in a row; 0: 10 min; < 0: the first ends the run */
    bool until_end;               /* return once the partitions assigned are consumed up to
                                   * their high watermarks of first assignment, and committed */
    _Atomic bool *stop;           /* may be NULL; set (from any thread or a signal handler)
                                   * to commit what is pending and return */
    vl_rt *rt;                    /* the real-time engine, fed every valid event; NULL: none */
    vl_kafka_metrics *metrics;    /* where to publish figures for /metrics; NULL: nowhere.
                                   * One run at a time per object */
} vl_kafka_ingest_opts;

typedef struct vl_kafka_ingest_stats {
    int64_t records, record_bytes; /* records read from Kafka (skipped ones too), value bytes */
    int64_t skipped;               /* records a table already held */
    int64_t events, dead_letters;  /* committed to bronze/events, bronze/dead_letters */
    int64_t commits;               /* Delta commits (each table's count) */
    int64_t conflicts;             /* commits lost to another member (redone) */
    int64_t assignments;           /* partition assignments received */
    int64_t dropped;               /* records read but dropped uncommitted, read again later */
    int64_t store_retries;         /* commits (or position reads) the store failed, retried */
} vl_kafka_ingest_stats;

/**
 * @brief Runs one consumer-group member until *o->stop is set, until the end
 * (o->until_end), or an error; everything it read is committed or dropped
 * (to be read again) when it returns, and it has left the group.
 * @param lake the lake (outlives the call).
 * @param st receives the counts (zeroed first); may be NULL.
 * @return VL_OK; VL_EINVAL (bad options, a property librdkafka refuses,
 *  naming it; the topic does not exist); VL_EIO (no broker reachable
 *  within the connect timeout, a fatal Kafka error); the bronze sink's
 *  and the store's errors; VL_ENOMEM.
 * @note Blocks; o and what it points to must stay valid until it returns;
 *  one call per thread; several may run in one process.
 */
int vl_kafka_ingest_run(vl_store *lake, const vl_kafka_ingest_opts *o, vl_kafka_ingest_stats *st,
                        vl_error *err) VL_MUST_CHECK;

/* The real-time engine's own consumer group (ingest_kafka_rt.c), for a
 * `vidlake serve` that computes live metrics while ingest workers elsewhere
 * write the lake: it reads every partition of the topic from the first
 * record no older than now - rewind_us, decodes and feeds the engine, and
 * writes nothing. */
typedef struct vl_kafka_rt_opts {
    const char *brokers, *topic, *group;
    const char *const *props; /* "key=value" consumer properties (-X) */
    size_t n_props;
    vl_rt *rt;
    int64_t rewind_us;        /* 0: 1 h (give the engine's retention) */
    _Atomic bool *stop;       /* set to return */
} vl_kafka_rt_opts;

typedef struct vl_kafka_rt_stats {
    int64_t records, events, rejected, dropped, assignments;
} vl_kafka_rt_stats;

/** @brief Consumes until *o->stop. @return VL_OK; VL_EINVAL for bad options
 *  or properties; VL_EIO when the consumer cannot subscribe. */
int vl_kafka_rt_run(const vl_kafka_rt_opts *o, vl_kafka_rt_stats *st, vl_error *err) VL_MUST_CHECK;

/*
 * A running member's figures for /metrics (vl_kafka_ingest_opts.metrics).
 * The consumer thread publishes its counts and each assigned partition's
 * lag about once a second and after each commit, under the object's mutex;
 * any thread reads a copy. Lag is the partition's high watermark (as of the
 * last fetch response, librdkafka's cached rd_kafka_get_watermark_offsets:
 * no broker round trip) minus the next offset this member reads (its
 * consumer position, or what the tables hold + 1 before the first record):
 * records read but not yet committed to the tables count as read.
 */
typedef struct vl_kafka_part_lag {
    int32_t partition;
    int64_t high_watermark; /* -1: no fetch response yet */
    int64_t next_offset;    /* -1: not known yet */
    int64_t lag;            /* high_watermark - next_offset (>= 0); -1: not known yet */
} vl_kafka_part_lag;

typedef struct vl_kafka_metrics_snap {
    char topic[256];        /* empty until the member starts */
    vl_kafka_ingest_stats st;
    int64_t rejected_by[VL_RJ_COUNT]; /* invalid records read, by reason */
    int64_t rt_dropped;     /* valid events the real-time engine could not take */
    vl_histo_snap commit_us; /* Delta commits (both tables together), µs */
    vl_histo_snap file_rows[2], file_bytes[2]; /* committed data files */
    vl_kafka_part_lag *parts; /* the partitions assigned now */
    size_t n_parts;
} vl_kafka_metrics_snap;

/** @return VL_OK or VL_ENOMEM. */
int vl_kafka_metrics_create(vl_kafka_metrics **out, vl_error *err) VL_MUST_CHECK;
/** @note Only once no vl_kafka_ingest_run uses it. */
void vl_kafka_metrics_destroy(vl_kafka_metrics *m); /* accepts NULL */
/** @brief A copy of the latest figures (thread-safe). out->parts is the
 *  caller's to release with vl_kafka_metrics_snap_free, also on error.
 *  @return VL_OK or VL_ENOMEM (then without partitions). */
int vl_kafka_metrics_read(vl_kafka_metrics *m, vl_kafka_metrics_snap *out, vl_error *err) VL_MUST_CHECK;
/** @brief Frees what vl_kafka_metrics_read allocated (s->parts); the
 *  struct itself is the caller's. */
void vl_kafka_metrics_snap_free(vl_kafka_metrics_snap *s);

#endif /* VL_INGEST_H */
