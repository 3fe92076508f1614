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

/** @param batch_rows rows per data file and event date (0: 131072).
 *  @note lake must outlive the sink. */
int vl_bronze_open(vl_store *lake, size_t batch_rows, vl_bronze **out, vl_error *err) VL_MUST_CHECK;
void vl_bronze_close(vl_bronze *b); /* accepts NULL; drops what is not committed */

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
                     vl_error *err) VL_MUST_CHECK;/** @brief The last version app_id committed to bronze/events (or to
 *  bronze/dead_letters), -1 for none, -2 on error (err set). */
int64_t vl_bronze_app_version(vl_bronze *b, bool dead_letters, const char *app_id, vl_error *err);

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
} vl_wal_stats;

/** @brief Parses the record at buf[0..n): 1 and *rec set, 0 when n holds
 *  only part of one, -1 when it is damaged (bad length or CRC). */
int vl_wal_rec_next(const char *buf, size_t n, vl_wal_rec *rec);

/** @brief Opens (creating) the log in dir: takes its lock, reads or makes
 *  its id, checks every segment and cuts a torn record off the newest.
 *  @param segment_bytes rotation size (0: 64 MiB).
 *  @return VL_OK; VL_ECONFLICT (another process holds it), VL_ECORRUPT (a
 *  damaged record before the newest segment's end), VL_EIO, VL_ENOMEM. */
int vl_wal_open(const char *dir, uint64_t segment_bytes, vl_wal **out, vl_error *err) VL_MUST_CHECK;
/** @brief Stops the writer after it wrote what was appended; closes. */
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

/* ========================================================== Kafka */

#endif /* VL_INGEST_H */
