/* vidlake - Apache-2.0 */
/*
 * The bronze sink: validated events into <lake>/bronze/events (one column
 * per event field, partitioned by event_date) and rejected records into
 * <lake>/bronze/dead_letters (received_at, received_date, source, reason,
 * offset, raw bytes; partitioned by received_date). Both tables are
 * created on first use.
 *
 * Events are buffered in one small column batch per event date (16384
 * rows: a batch's columns stay close to the caches); a full batch is
 * appended to that date's open data file, a Parquet writer that cuts row
 * groups and pages as usual. A file is closed (put in the store, added to
 * the open transaction) when it reaches the target size, when the open
 * files together pass twice that, and at commit. vl_bronze_commit commits
 * what is pending: dead letters first, then events, each with the caller's
 * (appId, version) txns so that a source can resume exactly where each
 * table left off (vl_bronze_app_version).
 *
 * Encoding runs on a second thread: a full batch goes to a queue (at most
 * QUEUE_MAX batches wait), the writer thread appends it to its date's
 * file, and the batch comes back empty for reuse. So decoding and Parquet
 * encoding use both cores, and memory stays bounded: when the writer falls
 * behind, adding an event waits. A commit first drains the queue; the
 * transaction and the open files are only touched by the writer thread
 * while the queue is busy, and only by the caller after it is drained.
 *
 * Metrics (vl_bronze_set_metrics): the rows and bytes of each data file
 * committed. The Delta writer frees a file's state when it closes it and
 * reports no final size (until then it counts only finished row groups), so
 * each commit's version is noted and vl_bronze_observe reads the commit's
 * log entry back for its add actions' size and numRecords, off the
 * caller's timed path.
 *
 * Not here: the sources and the write-ahead log.
 */
#include "ingest.h"

#include "delta/delta.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define BRONZE_EVENTS "bronze/events"
#define BRONZE_DEAD "bronze/dead_letters"
#define DEAD_DDL                                                                                         \
    "received_at timestamp NOT NULL, received_date date NOT NULL, source string NOT NULL, "            \
    "reason string NOT NULL, line long, offset long, raw binary NOT NULL"

typedef struct date_batch {
    int32_t day;
    vl_event_batch *b;
} date_batch;

/* A date's data file being written. */
typedef struct date_file {
    int32_t day;
    vl_delta_writer *f;
} date_file;

/* A commit of data files to observe (vl_bronze_observe). */
typedef struct committed {
    int table; /* 0: events, 1: dead letters */
    int64_t version;
} committed;

#define OBSERVE_MAX 64 /* commits noted between two vl_bronze_observe; older ones are dropped */

#define QUEUE_MAX 3
#define BATCH_ROWS_DEFAULT 16384
#define FILE_BYTES_DEFAULT (128ull << 20)

/* The writer thread and its queue of full batches. */
typedef struct writer {
    pthread_t th;
    bool started, stop;
    pthread_mutex_t mu;
    pthread_cond_t cv;       /* signalled on every change */
    date_batch queue[QUEUE_MAX];
    size_t n_queue;
    bool busy;               /* writing a batch */
    vl_event_batch *spare[QUEUE_MAX + 1]; /* empty batches for reuse */
    size_t n_spare;
    int rc;                  /* the first failure, with err */
    vl_error err;
} writer;

struct vl_bronze {
    vl_store *store;
    vl_delta_table *events, *dead;
    vl_delta_txn *xe, *xd; /* open transactions, begun on first use */
    size_t batch_rows;
    uint64_t file_bytes;   /* close a data file at this size */
    date_file *files;      /* open data files, one per date */
    size_t n_files, cap_files;
    date_batch *batches;
    size_t n_batches, cap_batches;
    /* dead letters of the open transaction, column by column */
    vl_arena dl_bytes;
    vl_buf dl_at, dl_day, dl_src, dl_reason, dl_line, dl_line_def, dl_off, dl_off_def, dl_raw;
    size_t dl_rows;
    int64_t pending_events;
    const char *borrow_lo, *borrow_hi;
    writer w;
    vl_bronze_metrics *m;  /* NULL: no observations */
    committed seen[OBSERVE_MAX];
    size_t n_seen;
};

static int oom(vl_error *err) { return vl_error_set(err, VL_ENOMEM, "out of memory"); }

/* The Delta schema of events, from the event schema table: the same names,
 * types and nullability as the Parquet schema of a column batch. */
static int events_schema(vl_arena *a, vl_dt_type *out, vl_error *err) {
    vl_buf ddl;
    vl_buf_init(&ddl);
    int rc = VL_OK;
    for (int f = 0; f < VL_F_COUNT && rc == VL_OK; f++) {
        const vl_field *fd = &vl_event_fields[f];
        const char *t = fd->type == VL_FT_INT32       ? "int"
                        : fd->type == VL_FT_INT64     ? "long"
                        : fd->type == VL_FT_TIMESTAMP ? "timestamp"
                        : fd->type == VL_FT_DATE      ? "date"
                        : fd->type == VL_FT_DOUBLE    ? "double"
                        : fd->type == VL_FT_BOOL      ? "boolean"
                                                      : "string";
        if (vl_buf_printf(&ddl, "%s`%s` %s%s", f ? ", " : "", fd->name, t,
                          (fd->flags & VL_FF_REQUIRED) ? " NOT NULL" : ""))
            rc = oom(err);
    }
    const char *text = rc == VL_OK ? vl_buf_cstr(&ddl) : NULL;
    if (rc == VL_OK && !text) rc = oom(err);
    if (rc == VL_OK) rc = vl_delta_schema_from_ddl(text, a, out, err);
    vl_buf_free(&ddl);
    return rc;
}

/* Creates the table when there is none (a concurrent creator may win). */
static int ensure_table(vl_delta_table *t, const vl_dt_type *schema, const char *part, vl_error *err) {
    for (int attempt = 0; attempt < 3; attempt++) {
        vl_delta_txn *x = NULL;
        VL_RETURN_IF_ERR(vl_delta_txn_begin(t, &x, err));
        if (vl_delta_txn_snapshot(x)) {
            vl_delta_txn_free(x);
            return VL_OK;
        }
        const char *parts[1] = {part};
        int64_t v;
        int rc = vl_delta_txn_set_metadata(x, schema, parts, 1, NULL, 0, err);
        if (rc == VL_OK) rc = vl_delta_txn_commit(x, NULL, &v, err);
        vl_delta_txn_free(x);
        if (rc != VL_ECONFLICT) return rc;
    }
    return vl_error_set(err, VL_ECONFLICT, "could not create %s", vl_delta_table_path(t));
}

static int write_batch(vl_bronze *b, int32_t day, vl_event_batch *eb, vl_error *err);
static int flush_batch(vl_bronze *b, date_batch *d, vl_error *err);

static void *writer_main(void *arg) {
    vl_bronze *b = arg;
    writer *W = &b->w;
    pthread_mutex_lock(&W->mu);
    for (;;) {
        while (!W->n_queue && !W->stop) pthread_cond_wait(&W->cv, &W->mu);
        if (!W->n_queue && W->stop) break;
        date_batch job = W->queue[0];
        memmove(W->queue, W->queue + 1, (W->n_queue - 1) * sizeof(job));
        W->n_queue--;
        W->busy = true;
        bool failed = W->rc != VL_OK; /* after a failure, batches are dropped until the commit reports it */
        pthread_mutex_unlock(&W->mu);
        vl_error e = {0};
        int rc = failed ? VL_OK : write_batch(b, job.day, job.b, &e);
        vl_event_batch_clear(job.b);
        pthread_mutex_lock(&W->mu);
        if (rc && W->rc == VL_OK) {
            W->rc = rc;
            W->err = e;
        }
        W->spare[W->n_spare++] = job.b;
        W->busy = false;
        pthread_cond_broadcast(&W->cv);
    }
    pthread_mutex_unlock(&W->mu);
    return NULL;
}

/* Waits until the writer is idle with nothing queued; its first failure. */
static int writer_drain(vl_bronze *b, vl_error *err) {
    writer *W = &b->w;
    if (!W->started) return VL_OK;
    pthread_mutex_lock(&W->mu);
    while (W->n_queue || W->busy) pthread_cond_wait(&W->cv, &W->mu);
    int rc = W->rc;
    if (rc && err) *err = W->err;
    W->rc = VL_OK;
    pthread_mutex_unlock(&W->mu);
    return rc;
}

/* Hands a full batch to the writer; returns an empty one in its place
 * (waiting for one when QUEUE_MAX are already waiting). */
static int writer_submit(vl_bronze *b, date_batch *d, vl_error *err) {
    writer *W = &b->w;
    if (!W->started) {
        if (pthread_mutex_init(&W->mu, NULL) || pthread_cond_init(&W->cv, NULL))
            return vl_error_set(err, VL_ENOMEM, "cannot create the writer's lock");
        if (pthread_create(&W->th, NULL, writer_main, b) != 0) {
            /* no second thread: write on this one */
            pthread_cond_destroy(&W->cv);
            pthread_mutex_destroy(&W->mu);
            return flush_batch(b, d, err);
        }
        W->started = true;
    }
    vl_event_batch *fresh = NULL;
    pthread_mutex_lock(&W->mu);
    while (W->n_queue >= QUEUE_MAX) pthread_cond_wait(&W->cv, &W->mu);
    W->queue[W->n_queue++] = *d;
    if (W->n_spare) fresh = W->spare[--W->n_spare];
    pthread_cond_broadcast(&W->cv);
    pthread_mutex_unlock(&W->mu);
    if (!fresh) {
        int rc = vl_event_batch_create(b->batch_rows, &fresh, err);
        if (rc) {
            /* keep a batch in place: wait for the queued one back */
            pthread_mutex_lock(&W->mu);
            while (!W->n_spare) pthread_cond_wait(&W->cv, &W->mu);
            fresh = W->spare[--W->n_spare];
            pthread_mutex_unlock(&W->mu);
        }
    }
    vl_event_batch_borrow(fresh, b->borrow_lo, b->borrow_hi);
    d->b = fresh;
    return VL_OK;
}

static void writer_stop(vl_bronze *b) {
    writer *W = &b->w;
    if (!W->started) return;
    pthread_mutex_lock(&W->mu);
    W->stop = true;
    pthread_cond_broadcast(&W->cv);
    pthread_mutex_unlock(&W->mu);
    pthread_join(W->th, NULL);
    for (size_t i = 0; i < W->n_spare; i++) vl_event_batch_destroy(W->spare[i]);
    for (size_t i = 0; i < W->n_queue; i++) vl_event_batch_destroy(W->queue[i].b);
    pthread_cond_destroy(&W->cv);
    pthread_mutex_destroy(&W->mu);
    W->started = false;
}

int vl_bronze_open(vl_store *lake, size_t batch_rows, vl_bronze **out, vl_error *err) {
    *out = NULL;
    vl_bronze *b = vl_calloc(1, sizeof(*b));
    if (!b) return oom(err);
    b->store = lake;
    b->batch_rows = batch_rows ? batch_rows : BATCH_ROWS_DEFAULT;
    b->file_bytes = FILE_BYTES_DEFAULT;
    vl_arena_init(&b->dl_bytes, 1 << 16);
    vl_buf *bufs[] = {&b->dl_at, &b->dl_day, &b->dl_src, &b->dl_reason, &b->dl_line,
                      &b->dl_line_def, &b->dl_off, &b->dl_off_def, &b->dl_raw};
    for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++) vl_buf_init(bufs[i]);
    vl_arena a;
    vl_arena_init(&a, 4096);
    vl_dt_type es, ds;
    int rc = vl_delta_table_open(lake, BRONZE_EVENTS, &b->events, err);
    if (rc == VL_OK) rc = vl_delta_table_open(lake, BRONZE_DEAD, &b->dead, err);
    if (rc == VL_OK) rc = events_schema(&a, &es, err);
    if (rc == VL_OK) rc = vl_delta_schema_from_ddl(DEAD_DDL, &a, &ds, err);
    if (rc == VL_OK) rc = ensure_table(b->events, &es, "event_date", err);
    if (rc == VL_OK) rc = ensure_table(b->dead, &ds, "received_date", err);
    vl_arena_destroy(&a);
    if (rc) {
        vl_bronze_close(b);
        return rc;
    }
    *out = b;
    return VL_OK;
}

void vl_bronze_close(vl_bronze *b) {
    if (!b) return;
    writer_stop(b);
    for (size_t i = 0; i < b->n_files; i++) vl_delta_writer_abort(b->files[i].f);
    vl_free(b->files);
    vl_delta_txn_free(b->xe);
    vl_delta_txn_free(b->xd);
    for (size_t i = 0; i < b->n_batches; i++) vl_event_batch_destroy(b->batches[i].b);
    vl_free(b->batches);
    vl_buf *bufs[] = {&b->dl_at, &b->dl_day, &b->dl_src, &b->dl_reason, &b->dl_line,
                      &b->dl_line_def, &b->dl_off, &b->dl_off_def, &b->dl_raw};
    for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++) vl_buf_free(bufs[i]);
    vl_arena_destroy(&b->dl_bytes);
    vl_delta_table_close(b->events);
    vl_delta_table_close(b->dead);
    vl_free(b);
}

int64_t vl_bronze_app_version(vl_bronze *b, bool dead_letters, const char *app_id, vl_error *err) {
    vl_delta_snapshot *s = NULL;
    if (vl_delta_snapshot_load(dead_letters ? b->dead : b->events, VL_DELTA_LATEST, &s, err) != VL_OK) return -2;
    int64_t v = vl_delta_snapshot_app_version(s, app_id);
    vl_delta_snapshot_free(s);
    return v;
}

/* ------------------------------------------------------------- metrics */

void vl_bronze_metrics_init(vl_bronze_metrics *m) {
    for (int i = 0; i < 2; i++) {
        int rc = vl_histo_init(&m->file_rows[i], vl_histo_counts, vl_histo_counts_n, 1, NULL);
        if (rc == VL_OK) rc = vl_histo_init(&m->file_bytes[i], vl_histo_bytes, vl_histo_bytes_n, 1, NULL);
        VL_ASSERT(rc == VL_OK); /* the standard bounds always fit */
        (void)rc;
    }
}

void vl_bronze_set_metrics(vl_bronze *b, vl_bronze_metrics *m) {
    b->m = m;
    b->n_seen = 0;
}

/* Notes a commit that added data files, for vl_bronze_observe. */
static void note_commit(vl_bronze *b, int table, int64_t version) {
    if (!b->m) return;
    if (b->n_seen == OBSERVE_MAX) { /* nobody observes: keep the newest */
        memmove(b->seen, b->seen + 1, (OBSERVE_MAX - 1) * sizeof(b->seen[0]));
        b->n_seen--;
    }
    b->seen[b->n_seen++] = (committed){table, version};
}

/* Observes the add actions of one commit's log entry. */
static int observe_commit(vl_bronze *b, const committed *c, vl_buf *body, vl_arena *a, vl_error *err) {
    char key[128];
    snprintf(key, sizeof(key), "%s/_delta_log/%020lld.json", c->table ? BRONZE_DEAD : BRONZE_EVENTS,
             (long long)c->version);
    VL_RETURN_IF_ERR(vl_store_get(b->store, key, body, err));
    const char *p = body->p, *end = body->p + body->n;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const vl_json *action = NULL, *stats = NULL;
        vl_arena_reset(a);
        if (le > p && vl_json_parse(p, (size_t)(le - p), a, &action, err) == VL_OK) {
            const vl_json *add = vl_json_get(action, "add");
            int64_t size = -1, rows = -1;
            vl_sv st;
            if (add && vl_json_i64(vl_json_get(add, "size"), &size) && size >= 0)
                vl_histo_observe(&b->m->file_bytes[c->table], size);
            if (add && vl_json_str(vl_json_get(add, "stats"), &st) &&
                vl_json_parse(st.p, st.n, a, &stats, NULL) == VL_OK &&
                vl_json_i64(vl_json_get(stats, "numRecords"), &rows) && rows >= 0)
                vl_histo_observe(&b->m->file_rows[c->table], rows);
        }
        p = le + 1;
    }
    return VL_OK;
}

void vl_bronze_observe(vl_bronze *b) {
    if (!b->m || !b->n_seen) return;
    vl_buf body;
    vl_buf_init(&body);
    vl_arena a;
    vl_arena_init(&a, 1 << 14);
    for (size_t i = 0; i < b->n_seen; i++) {
        vl_error e = {0};
        if (observe_commit(b, &b->seen[i], &body, &a, &e) != VL_OK)
            VL_DEBUG("bronze", "file sizes of %s version %lld not observed: %s",
                     b->seen[i].table ? BRONZE_DEAD : BRONZE_EVENTS, (long long)b->seen[i].version, e.msg);
    }
    b->n_seen = 0;
    vl_arena_destroy(&a);
    vl_buf_free(&body);
}

void vl_bronze_set_file_bytes(vl_bronze *b, uint64_t bytes) {
    b->file_bytes = bytes ? bytes : FILE_BYTES_DEFAULT;
}

/* Closes the open data file i (it joins the transaction). */
static int close_file(vl_bronze *b, size_t i, vl_error *err) {
    vl_delta_writer *f = b->files[i].f;
    b->files[i] = b->files[--b->n_files];
    return vl_delta_writer_close(f, err);
}

static int close_files(vl_bronze *b, vl_error *err) {
    int rc = VL_OK;
    while (b->n_files) {
        int r = close_file(b, b->n_files - 1, err);
        if (r && rc == VL_OK) rc = r;
        if (r) err = NULL; /* keep the first message */
    }
    return rc;
}

static void abort_files(vl_bronze *b) {
    for (size_t i = 0; i < b->n_files; i++) vl_delta_writer_abort(b->files[i].f);
    b->n_files = 0;
}

/* Appends one date's batch to that date's data file (on the writer thread,
 * or on the caller's once the writer is drained). */
static int write_batch(vl_bronze *b, int32_t day, vl_event_batch *eb, vl_error *err) {
    size_t rows = vl_event_batch_rows(eb);
    if (!rows) return VL_OK;
    if (!b->xe) VL_RETURN_IF_ERR(vl_delta_txn_begin(b->events, &b->xe, err));
    date_file *df = NULL;
    for (size_t i = 0; i < b->n_files; i++)
        if (b->files[i].day == day) df = &b->files[i];
    if (!df) {
        date_file *x = vl_grow(b->files, &b->cap_files, b->n_files, sizeof(*x), 4);
        if (!x) return oom(err);
        b->files = x;
        /* event_date is the partition column (the last field): not in the file */
        vl_delta_value pv = {.i = day};
        vl_delta_writer *f = NULL;
        VL_RETURN_IF_ERR(vl_delta_writer_open(b->xe, &pv, b->batch_rows * 4, &f, err));
        df = &b->files[b->n_files++];
        df->day = day;
        df->f = f;
    }
    vl_pq_column cols[VL_F_COUNT];
    vl_event_batch_columns(eb, cols);
    VL_RETURN_IF_ERR(vl_delta_writer_write(df->f, cols, rows, err));
    /* a file at its target size, or too much held in open files: close the biggest */
    uint64_t total = 0, big = 0;
    size_t bi = 0;
    for (size_t i = 0; i < b->n_files; i++) {
        uint64_t n = vl_delta_writer_bytes(b->files[i].f);
        total += n;
        if (n >= big) big = n, bi = i;
    }
    if (big >= b->file_bytes || total >= 2 * b->file_bytes) return close_file(b, bi, err);
    return VL_OK;
}

static int flush_batch(vl_bronze *b, date_batch *d, vl_error *err) {
    VL_RETURN_IF_ERR(write_batch(b, d->day, d->b, err));
    vl_event_batch_clear(d->b);
    return VL_OK;
}

void vl_bronze_borrow(vl_bronze *b, const char *lo, const char *hi) {
    b->borrow_lo = lo;
    b->borrow_hi = hi;
    for (size_t i = 0; i < b->n_batches; i++) vl_event_batch_borrow(b->batches[i].b, lo, hi);
}

int vl_bronze_add_event(vl_bronze *b, vl_event *ev, int64_t ingest_us, vl_error *err) {
    int64_t day = vl_ts_day(ev->v[VL_F_EVENT_TIME].i);
    vl_event_set_i(ev, VL_F_INGEST_TIME, ingest_us);
    vl_event_set_i(ev, VL_F_EVENT_DATE, day);
    date_batch *d = NULL;
    for (size_t i = 0; i < b->n_batches; i++)
        if (b->batches[i].day == day) d = &b->batches[i];
    if (!d) {
        date_batch *x = vl_grow(b->batches, &b->cap_batches, b->n_batches, sizeof(*x), 4);
        if (!x) return oom(err);
        b->batches = x;
        d = &b->batches[b->n_batches];
        d->day = (int32_t)day;
        VL_RETURN_IF_ERR(vl_event_batch_create(b->batch_rows, &d->b, err));
        vl_event_batch_borrow(d->b, b->borrow_lo, b->borrow_hi);
        b->n_batches++;
    }
    VL_RETURN_IF_ERR(vl_event_batch_add(d->b, ev, err));
    b->pending_events++;
    if (vl_event_batch_full(d->b)) return writer_submit(b, d, err);
    return VL_OK;
}

int vl_bronze_add_reject(vl_bronze *b, const char *raw, size_t n, const vl_reject *rj, const char *source,
                         int64_t line, int64_t received_us, vl_error *err) {
    char key[128];
    size_t kn = vl_reject_key(rj, key, sizeof(key));
    int64_t day = vl_ts_day(received_us);
    int32_t day32 = (int32_t)day;
    int64_t off = (int64_t)rj->offset;
    int16_t one = 1, zero = 0;
    char *rc_raw = n ? vl_arena_memdup(&b->dl_bytes, raw, n) : NULL;
    char *rc_src = vl_arena_memdup(&b->dl_bytes, source, strlen(source));
    char *rc_key = vl_arena_memdup(&b->dl_bytes, key, kn);
    if ((n && !rc_raw) || !rc_src || !rc_key) return oom(err);
    vl_sv sraw = {n ? rc_raw : "", n}, ssrc = {rc_src, strlen(source)}, skey = {rc_key, kn};
    if (vl_buf_append(&b->dl_at, &received_us, 8) || vl_buf_append(&b->dl_day, &day32, 4) ||
        vl_buf_append(&b->dl_src, &ssrc, sizeof(ssrc)) || vl_buf_append(&b->dl_reason, &skey, sizeof(skey)) ||
        vl_buf_append(&b->dl_line_def, line >= 0 ? &one : &zero, 2) ||
        (line >= 0 && vl_buf_append(&b->dl_line, &line, 8)) || vl_buf_append(&b->dl_off_def, &one, 2) ||
        vl_buf_append(&b->dl_off, &off, 8) || vl_buf_append(&b->dl_raw, &sraw, sizeof(sraw)))
        return oom(err);
    b->dl_rows++;
    return VL_OK;
}

size_t vl_bronze_pending(const vl_bronze *b) { return (size_t)b->pending_events + b->dl_rows; }

/* Dead letters, one file per received_date. */
static int flush_dead(vl_bronze *b, vl_error *err) {
    if (!b->dl_rows) return VL_OK;
    if (!b->xd) VL_RETURN_IF_ERR(vl_delta_txn_begin(b->dead, &b->xd, err));
    const int32_t *days = (const int32_t *)(const void *)b->dl_day.p;
    /* rows of one day at a time (usually one) */
    size_t n = b->dl_rows;
    bool *done = vl_calloc(n, sizeof(bool));
    int64_t *at = vl_malloc(n * 8), *line = vl_malloc(n * 8), *off = vl_malloc(n * 8);
    int16_t *line_def = vl_malloc(n * 2), *off_def = vl_malloc(n * 2);
    vl_sv *src = vl_malloc(n * sizeof(vl_sv)), *reason = vl_malloc(n * sizeof(vl_sv)), *raw = vl_malloc(n * sizeof(vl_sv));
    int rc = done && at && line && off && line_def && off_def && src && reason && raw ? VL_OK : oom(err);
    const int64_t *all_at = (const int64_t *)(const void *)b->dl_at.p, *all_off = (const int64_t *)(const void *)b->dl_off.p,
                  *all_line = (const int64_t *)(const void *)b->dl_line.p;
    const int16_t *all_ld = (const int16_t *)(const void *)b->dl_line_def.p;
    const vl_sv *all_src = (const vl_sv *)(const void *)b->dl_src.p, *all_reason = (const vl_sv *)(const void *)b->dl_reason.p,
                *all_raw = (const vl_sv *)(const void *)b->dl_raw.p;
    for (size_t first = 0; rc == VL_OK && first < n; first++) {
        if (done[first]) continue;
        int32_t day = days[first];
        size_t k = 0, lk = 0, li = 0;
        for (size_t i = 0; i < n; i++) {
            bool has_line = all_ld[i] != 0;
            if (!done[i] && days[i] == day) {
                done[i] = true;
                at[k] = all_at[i];
                off[k] = all_off[i];
                off_def[k] = 1;
                line_def[k] = has_line;
                if (has_line) line[lk++] = all_line[li];
                src[k] = all_src[i];
                reason[k] = all_reason[i];
                raw[k] = all_raw[i];
                k++;
            }
            if (has_line) li++;
        }
        /* columns of the non-partition fields: received_at, source, reason, line, offset, raw */
        vl_pq_column cols[6] = {
            {.n = k, .n_values = k, .v.i64 = at},
            {.n = k, .n_values = k, .v.bin = src},
            {.n = k, .n_values = k, .v.bin = reason},
            {.n = k, .def = line_def, .n_values = lk, .v.i64 = line},
            {.n = k, .def = off_def, .n_values = k, .v.i64 = off},
            {.n = k, .n_values = k, .v.bin = raw},
        };
        vl_delta_value pv = {.i = day};
        rc = vl_delta_txn_write(b->xd, &pv, cols, k, err);
    }
    vl_free(done);
    vl_free(at);
    vl_free(line);
    vl_free(off);
    vl_free(line_def);
    vl_free(off_def);
    vl_free(src);
    vl_free(reason);
    vl_free(raw);
    return rc;
}

static void clear_dead(vl_bronze *b) {
    vl_buf *bufs[] = {&b->dl_at, &b->dl_day, &b->dl_src, &b->dl_reason, &b->dl_line,
                      &b->dl_line_def, &b->dl_off, &b->dl_off_def, &b->dl_raw};
    for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++) vl_buf_clear(bufs[i]);
    vl_arena_reset(&b->dl_bytes);
    b->dl_rows = 0;
}

void vl_bronze_discard(vl_bronze *b) {
    (void)writer_drain(b, NULL);
    abort_files(b);
    vl_delta_txn_free(b->xe);
    b->xe = NULL;
    vl_delta_txn_free(b->xd);
    b->xd = NULL;
    for (size_t i = 0; i < b->n_batches; i++) vl_event_batch_clear(b->batches[i].b);
    b->pending_events = 0;
    clear_dead(b);
}

/* Checks that the table's snapshot still holds the versions the source
 * resumed from: otherwise another writer committed the same positions. */
static int check_expected(vl_delta_txn *x, const char *table, const vl_bronze_pos *pos, size_t n, bool dead,
                          vl_error *err) {
    const vl_delta_snapshot *s = vl_delta_txn_snapshot(x);
    for (size_t i = 0; i < n; i++) {
        int64_t want = dead ? pos[i].expect_dead : pos[i].expect_events;
        if (want < -1) continue;
        int64_t have = vl_delta_snapshot_app_version(s, pos[i].app_id);
        if (have != want)
            return vl_error_set(err, VL_ECONFLICT,
                                "%s: appId '%s' is at version %lld, not %lld: another writer committed the same "
                                "source positions",
                                table, pos[i].app_id, (long long)have, (long long)want);
    }
    return VL_OK;
}

int vl_bronze_commit(vl_bronze *b, const vl_bronze_pos *pos, size_t n_pos, vl_bronze_stats *st, vl_error *err) {
    int rc = writer_drain(b, err);
    if (rc) {
        /* the pending events are gone with the failed file: drop them all */
        vl_bronze_discard(b);
        return rc;
    }
    rc = flush_dead(b, err);
    for (size_t i = 0; rc == VL_OK && i < b->n_batches; i++) rc = flush_batch(b, &b->batches[i], err);
    if (rc == VL_OK) rc = close_files(b, err);
    abort_files(b); /* after a failure */
    /* a source that resumes needs its position recorded even when a range
     * held nothing for a table */
    if (rc == VL_OK && n_pos && !b->xd) rc = vl_delta_txn_begin(b->dead, &b->xd, err);
    if (rc == VL_OK && n_pos && !b->xe) rc = vl_delta_txn_begin(b->events, &b->xe, err);
    for (size_t i = 0; rc == VL_OK && i < n_pos; i++) {
        rc = vl_delta_txn_set_app_version(b->xd, pos[i].app_id, pos[i].version, err);
        if (rc == VL_OK) rc = vl_delta_txn_set_app_version(b->xe, pos[i].app_id, pos[i].version, err);
    }
    if (rc == VL_OK && b->xd) rc = check_expected(b->xd, "bronze/dead_letters", pos, n_pos, true, err);
    if (rc == VL_OK && b->xe) rc = check_expected(b->xe, "bronze/events", pos, n_pos, false, err);
    int64_t v = -1;
    if (rc == VL_OK && b->xd) rc = vl_delta_txn_commit(b->xd, NULL, &v, err);
    if (rc == VL_OK && b->xd && b->dl_rows) note_commit(b, 1, v);
    if (rc == VL_OK && st && b->xd) {
        st->dead_commits++;
        st->dead_letters += (int64_t)b->dl_rows;
    }
    vl_delta_txn_free(b->xd);
    b->xd = NULL;
    clear_dead(b);
    if (rc == VL_OK && b->xe) rc = vl_delta_txn_commit(b->xe, NULL, &v, err);
    if (rc == VL_OK && b->xe && b->pending_events) note_commit(b, 0, v);
    if (rc == VL_OK && st && b->xe) {
        st->event_commits++;
        st->events += b->pending_events;
    }
    vl_delta_txn_free(b->xe);
    b->xe = NULL;
    b->pending_events = 0;
    return rc;
}
