/* vidlake - Apache-2.0 */
/*
 * The HTTP collector's pipeline, apart from HTTP itself (src/server calls
 * vl_collector_post with each request's body).
 *
 *   request thread: gunzip -> split (NDJSON or a JSON array) -> validate
 *                   each event (for the response's counts and reasons)
 *                   -> WAL append -> wait for the group fsync -> 200
 *   WAL writer:     write + fdatasync, then hand the durable records on
 *   pipeline:       decode -> bronze sink (column batches; Parquet encoded
 *                   on the sink's own thread) -> Delta commit every
 *                   commit_interval or target_file_bytes, carrying the txn
 *                   ("wal-<id>", last LSN) -> delete WAL segments below it
 *
 * Exactly once: a record's events reach a table in the same commit as an
 * LSN at or above the record's, and a restart replays only records above
 * what each table holds. If a commit fails, what was pending is replayed
 * from the WAL files (they are deleted only after a commit) and committed
 * again, with growing pauses, until it works or the collector closes.
 *
 * Small files: commits every second make small files, so a maintenance
 * thread compacts bronze every optimize_interval (vl_delta_optimize: one
 * commit with dataChange=false per table, which blind appends never
 * conflict with) once a partition holds enough small files.
 *
 * Bounded memory: requests are refused with 503 while the bytes waiting
 * for the pipeline (and for the WAL write) exceed max_backlog, so a slow
 * store sheds load instead of growing the queue.
 *
 * Metrics (vl_collector_get_stats, for /metrics): request threads count
 * into per-request locals and publish them with a few relaxed atomic adds
 * once the request is acknowledged (never a lock per event); the pipeline
 * thread times its commits into a histogram and, after timing, has the
 * sink observe the sizes of the files it committed.
 */
#include "ingest.h"

#include "delta/delta.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_REASONS 10

typedef struct chunk {
    struct chunk *next;
    int64_t last_lsn;
    vl_buf data; /* WAL records */
} chunk;

struct vl_collector {
    vl_store *lake;
    vl_collector_opts o;
    _Atomic int64_t rt_drops; /* events the real-time engine could not take (memory) */
    int64_t rt_lsn;           /* the last WAL record the engine has had (pipeline thread) */
    vl_wal *wal;
    vl_bronze *bronze;
    char app_id[64];

    /* WAL writer -> pipeline */
    pthread_mutex_t mu;
    pthread_cond_t cv, maint_cv;
    chunk *head, *tail;
    size_t queued_bytes;
    bool stop;
    pthread_t thread;
    bool thread_started;
    pthread_t maint;
    bool maint_started;

    /* pipeline state (its thread only) */
    vl_decoder dec;
    vl_arena scratch;
    int64_t applied;              /* highest LSN handed to the sink */
    int64_t done_events, done_dead; /* what each table holds */
    int64_t pending_since_us;     /* monotonic time of the first pending record, 0: none */
    int64_t pending_bytes;
    int64_t backoff_us;
    int64_t recover_upto;         /* after a failure, replay the WAL up to here */
    int64_t lost_upto;            /* records delivered but not queued (under c->mu), -1: none */
    int final_rc;
    vl_error final_err;

    _Atomic int64_t n_requests, n_accepted, n_rejected, n_shed, n_too_large, n_bad, bytes_in;
    _Atomic int64_t n_optimizes, n_files_compacted;
    _Atomic int64_t n_commits, n_commit_failures, commit_us_last, committed_lsn, n_events, n_dead;
    _Atomic int64_t n_received, n_rejected_by[VL_RJ_COUNT];
    _Atomic int64_t n_commit_conflicts, n_commit_retries, last_commit_unix_us;
    vl_histo commit_us, request_events;
    vl_bronze_metrics files;
};

static int oom(vl_error *err) { return vl_error_set(err, VL_ENOMEM, "out of memory"); }

/* ------------------------------------------------------------ pipeline */

/* One NDJSON line of a request, as the file reader frames it: a trailing
 * '\r' dropped; a line over VL_EVENT_MAX_BYTES is cut to that + 1 bytes and
 * rejected as too_large (its prefix kept as the dead letter's raw bytes).
 * Returns VL_OK (valid, *ev set), VL_EINVAL (*rj set), VL_ENOMEM; blank
 * lines return 1. */
static int decode_line(vl_decoder *dec, vl_arena *scratch, const char **p, size_t *n, vl_event *ev, vl_reject *rj) {
    size_t k = 0;
    while (k < *n && ((*p)[k] == ' ' || (*p)[k] == '\t' || (*p)[k] == '\r')) k++;
    if (k == *n) return 1;
    if (*n > VL_EVENT_MAX_BYTES) {
        *n = VL_EVENT_MAX_BYTES + 1;
        memset(rj, 0, sizeof(*rj));
        rj->reason = VL_RJ_TOO_LARGE;
        rj->field = -1;
        return VL_EINVAL;
    }
    if ((*p)[*n - 1] == '\r') (*n)--;
    vl_arena_reset(scratch);
    return vl_decoder_decode(dec, *p, *n, ev, scratch, rj);
}

/* Adds one WAL record's events to the sink; each table skips what it
 * already holds. The real-time engine sees each record's valid events once:
 * a replay after a failed commit skips the records it already had (rt_lsn).
 * It takes the engine's lock per event, never across the sink (which may
 * wait for the Parquet writer). */
static int apply_record(vl_collector *c, const vl_wal_rec *r, vl_error *err) {
    bool want_events = r->lsn > c->done_events, want_dead = r->lsn > c->done_dead;
    bool want_rt = c->o.rt && r->lsn > c->rt_lsn;
    const char *p = r->data, *end = r->data + r->n;
    int64_t line_no = 0;
    char source[96];
    snprintf(source, sizeof(source), "%.*s#%lld", (int)(r->source_n < 64 ? r->source_n : 64), r->source,
             (long long)r->lsn);
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        line_no++;
        size_t n = (size_t)(le - p);
        const char *q = p;
        vl_event ev;
        vl_reject rj;
        int drc = decode_line(&c->dec, &c->scratch, &q, &n, &ev, &rj);
        if (drc == VL_OK) {
            if (want_rt && vl_rt_add(c->o.rt, &ev) != VL_OK) c->rt_drops++;
            if (want_events) VL_RETURN_IF_ERR(vl_bronze_add_event(c->bronze, &ev, r->time_us, err));
        } else if (drc == VL_EINVAL) {
            if (want_dead)
                VL_RETURN_IF_ERR(vl_bronze_add_reject(c->bronze, q, n, &rj, source, line_no, r->time_us, err));
        } else if (drc != 1) {
            return oom(err);
        }
        p = le + 1;
    }
    if (r->lsn > c->applied) c->applied = r->lsn;
    if (want_rt) c->rt_lsn = r->lsn;
    c->pending_bytes += (int64_t)r->n;
    if (!c->pending_since_us) c->pending_since_us = vl_mono_us();
    return VL_OK;
}

static int replay_cb(void *ctx, const vl_wal_rec *r, vl_error *err) { return apply_record(ctx, r, err); }

/* Reads what each table holds, and replays the WAL above it up to `upto`. */
static int recover(vl_collector *c, int64_t upto, vl_error *err) {
    int64_t e = vl_bronze_app_version(c->bronze, false, c->app_id, err);
    if (e < -1) return err ? err->code : VL_EIO;
    int64_t d = vl_bronze_app_version(c->bronze, true, c->app_id, err);
    if (d < -1) return err ? err->code : VL_EIO;
    c->done_events = e;
    c->done_dead = d;
    int64_t from = e < d ? e : d;
    c->applied = from;
    c->pending_bytes = 0;
    c->pending_since_us = 0;
    if (upto <= from) return VL_OK;
    return vl_wal_read(c->wal, from, upto, replay_cb, c, err);
}

static int commit(vl_collector *c, vl_error *err) {
    int64_t t0 = vl_mono_us();
    if (c->backoff_us) atomic_fetch_add(&c->n_commit_retries, 1); /* a failure came before */
    vl_bronze_pos pos = {c->app_id, c->applied, c->done_events, c->done_dead};
    vl_bronze_stats st = {0};
    int rc = vl_bronze_commit(c->bronze, &pos, 1, &st, err);
    c->pending_bytes = 0;
    c->pending_since_us = 0;
    if (rc) {
        atomic_fetch_add(&c->n_commit_failures, 1);
        if (rc == VL_ECONFLICT || rc == VL_EAGAIN) atomic_fetch_add(&c->n_commit_conflicts, 1);
        return rc;
    }
    int64_t dt = vl_mono_us() - t0;
    vl_histo_observe(&c->commit_us, dt);
    c->done_events = c->done_dead = c->applied;
    atomic_store(&c->committed_lsn, c->applied);
    atomic_fetch_add(&c->n_commits, 1);
    atomic_fetch_add(&c->n_events, st.events);
    atomic_fetch_add(&c->n_dead, st.dead_letters);
    atomic_store(&c->commit_us_last, dt);
    atomic_store(&c->last_commit_unix_us, vl_now_us());
    vl_bronze_observe(c->bronze); /* after the timing: it reads the commits back */
    vl_error e2;
    if (vl_wal_release(c->wal, c->applied, &e2) != VL_OK) VL_WARN("collector", "%s", e2.msg);
    return VL_OK;
}

static bool due(const vl_collector *c) {
    return c->pending_since_us &&
           (vl_mono_us() - c->pending_since_us >= c->o.commit_interval_us || c->pending_bytes >= c->o.target_file_bytes);
}

/* After a failure: pause (growing), drop what is pending, and replay the
 * WAL from what the tables hold up to c->recover_upto. */
static int try_recover(vl_collector *c, vl_error *err) {
    c->backoff_us = c->backoff_us ? c->backoff_us * 2 : 100000;
    if (c->backoff_us > 5000000) c->backoff_us = 5000000;
    struct timespec ts = {(time_t)(c->backoff_us / 1000000), (long)(c->backoff_us % 1000000) * 1000};
    nanosleep(&ts, NULL);
    vl_bronze_discard(c->bronze);
    int rc = recover(c, c->recover_upto, err);
    if (rc == VL_OK && c->applied < c->recover_upto)
        rc = vl_error_set(err, VL_ECORRUPT, "the WAL no longer holds LSNs %lld..%lld", (long long)c->applied + 1,
                          (long long)c->recover_upto);
    return rc;
}

/* Waits for a chunk, a due commit or the stop; pops the chunk if any. */
static chunk *next_chunk(vl_collector *c, bool *stop) {
    pthread_mutex_lock(&c->mu);
    while (!c->head && !c->stop && !due(c) && c->lost_upto < 0) {
        if (c->pending_since_us) {
            int64_t wait_us = c->pending_since_us + c->o.commit_interval_us - vl_mono_us();
            if (wait_us < 1000) wait_us = 1000;
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            int64_t ns = (int64_t)ts.tv_nsec + (wait_us % 1000000) * 1000;
            ts.tv_sec += (time_t)(wait_us / 1000000 + ns / 1000000000);
            ts.tv_nsec = (long)(ns % 1000000000);
            pthread_cond_timedwait(&c->cv, &c->mu, &ts);
        } else {
            pthread_cond_wait(&c->cv, &c->mu);
        }
    }
    chunk *k = c->head;
    if (k) {
        c->head = k->next;
        if (!c->head) c->tail = NULL;
    }
    *stop = c->stop;
    pthread_mutex_unlock(&c->mu);
    return k;
}

/* Applies a chunk's records; returns its last LSN through *last. */
static int apply_chunk(vl_collector *c, chunk *k, vl_error *err) {
    size_t off = 0;
    vl_wal_rec r;
    int rc = VL_OK;
    while (rc == VL_OK && vl_wal_rec_next_unchecked(k->data.p + off, k->data.n - off, &r) == 1) {
        off += r.size;
        if (r.lsn <= c->applied) continue; /* replayed already */
        rc = apply_record(c, &r, err);
    }
    pthread_mutex_lock(&c->mu);
    c->queued_bytes -= k->data.n;
    pthread_mutex_unlock(&c->mu);
    return rc;
}

static void *pipeline_main(void *arg) {
    vl_collector *c = arg;
    vl_error err;
    bool need_recover = false;
    for (;;) {
        pthread_mutex_lock(&c->mu);
        bool stop = c->stop;
        if (c->lost_upto >= 0) { /* records the queue could not take: read them from the WAL */
            if (c->lost_upto > c->recover_upto) c->recover_upto = c->lost_upto;
            c->lost_upto = -1;
            need_recover = true;
        }
        pthread_mutex_unlock(&c->mu);
        if (need_recover) {
            if (c->applied > c->recover_upto) c->recover_upto = c->applied;
            if (try_recover(c, &err) != VL_OK) {
                VL_ERROR("collector", "replaying the WAL after a failure: %s", err.msg);
                if (stop && c->backoff_us >= 5000000) {
                    c->final_rc = err.code ? err.code : VL_EIO;
                    c->final_err = err;
                    break;
                }
                continue;
            }
            need_recover = false;
        }
        chunk *k = next_chunk(c, &stop);
        if (k) {
            int rc = apply_chunk(c, k, &err);
            int64_t last = k->last_lsn;
            vl_buf_free(&k->data);
            vl_free(k);
            if (rc) {
                /* the sink failed (memory, a data file): start over from the WAL */
                VL_ERROR("collector", "%s", err.msg);
                c->recover_upto = last > c->applied ? last : c->applied;
                need_recover = true;
                continue;
            }
        }
        if (due(c) || (stop && !k && c->pending_since_us)) {
            int64_t upto = c->applied;
            int64_t t0 = vl_mono_us();
            if (commit(c, &err) != VL_OK) {
                VL_ERROR("collector", "commit to bronze failed (LSNs up to %lld; replaying and retrying): %s",
                         (long long)upto, err.msg);
                c->recover_upto = upto;
                need_recover = true;
                if (stop && c->backoff_us >= 5000000) {
                    c->final_rc = err.code ? err.code : VL_EIO;
                    c->final_err = err;
                    break;
                }
                continue;
            }
            c->backoff_us = 0;
            VL_DEBUG("collector", "committed up to LSN %lld in %.1f ms", (long long)upto,
                     (double)(vl_mono_us() - t0) / 1e3);
        }
        if (stop && !k && !c->pending_since_us) break;
    }
    return NULL;
}

/* Compacts small files of both bronze tables every optimize_interval. */
static void *maint_main(void *arg) {
    vl_collector *c = arg;
    const char *tables[2] = {"bronze/events", "bronze/dead_letters"};
    for (;;) {
        pthread_mutex_lock(&c->mu);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t ns = (int64_t)ts.tv_nsec + (c->o.optimize_interval_us % 1000000) * 1000;
        ts.tv_sec += (time_t)(c->o.optimize_interval_us / 1000000 + ns / 1000000000);
        ts.tv_nsec = (long)(ns % 1000000000);
        while (!c->stop && pthread_cond_timedwait(&c->maint_cv, &c->mu, &ts) == 0) {
        }
        bool stop = c->stop;
        pthread_mutex_unlock(&c->mu);
        if (stop) break;
        for (int i = 0; i < 2; i++) {
            vl_delta_table *t = NULL;
            vl_error err;
            vl_delta_optimize_opts oo = {.target_size = c->o.target_file_bytes, .min_files = 8};
            vl_delta_optimize_result res = {0};
            int rc = vl_delta_table_open(c->lake, tables[i], &t, &err);
            if (rc == VL_OK) rc = vl_delta_optimize(t, &oo, &res, &err);
            vl_delta_table_close(t);
            if (rc) {
                VL_WARN("collector", "background optimize of %s: %s", tables[i], err.msg);
            } else if (res.version >= 0) {
                atomic_fetch_add(&c->n_optimizes, 1);
                atomic_fetch_add(&c->n_files_compacted, (int64_t)res.files_removed);
                VL_INFO("collector", "optimized %s: %zu small files into %zu (version %lld)", tables[i],
                        res.files_removed, res.files_added, (long long)res.version);
            }
        }
    }
    return NULL;
}

static void deliver(void *ctx, vl_buf *data, int64_t last_lsn) {
    vl_collector *c = ctx;
    chunk *k = vl_calloc(1, sizeof(*k));
    if (!k) {
        /* the records are durable: the pipeline reads them from the WAL */
        VL_ERROR("collector", "out of memory queueing WAL records; the pipeline will read them from the WAL");
        pthread_mutex_lock(&c->mu);
        if (last_lsn > c->lost_upto) c->lost_upto = last_lsn;
        pthread_cond_signal(&c->cv);
        pthread_mutex_unlock(&c->mu);
        return;
    }
    k->last_lsn = last_lsn;
    k->data = *data; /* take the memory */
    vl_buf_init(data);
    pthread_mutex_lock(&c->mu);
    if (c->tail) c->tail->next = k;
    else c->head = k;
    c->tail = k;
    c->queued_bytes += k->data.n;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

/* -------------------------------------------------------------- open/close */

int vl_collector_open(vl_store *lake, const vl_collector_opts *o, vl_collector **out, vl_error *err) {
    *out = NULL;
    if (!o->wal_dir || !*o->wal_dir) return vl_error_set(err, VL_EINVAL, "the collector needs a WAL directory");
    vl_collector *c = vl_calloc(1, sizeof(*c));
    if (!c) return oom(err);
    c->lake = lake;
    c->o = *o;
    c->rt_lsn = -1; /* LSNs start at 0 */
    if (c->o.commit_interval_us <= 0) c->o.commit_interval_us = 1000000;
    if (c->o.target_file_bytes <= 0) c->o.target_file_bytes = 128ll << 20;
    if (!c->o.max_body) c->o.max_body = 32u << 20;
    if (!c->o.max_backlog) c->o.max_backlog = 128u << 20;
    if (!c->o.max_event) c->o.max_event = 1u << 20;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    pthread_cond_init(&c->maint_cv, NULL);
    vl_decoder_init(&c->dec);
    vl_arena_init(&c->scratch, 1 << 16);
    int rc = vl_histo_init(&c->commit_us, vl_histo_latency_us, vl_histo_latency_us_n, 1000000, err);
    if (rc == VL_OK) rc = vl_histo_init(&c->request_events, vl_histo_counts, vl_histo_counts_n, 1, err);
    vl_bronze_metrics_init(&c->files);
    atomic_store(&c->last_commit_unix_us, vl_now_us());
    c->applied = c->done_events = c->done_dead = -1;
    c->recover_upto = c->lost_upto = -1;
    if (rc == VL_OK) rc = vl_wal_open(o->wal_dir, o->wal_segment_bytes, &c->wal, err);
    if (rc == VL_OK) {
        snprintf(c->app_id, sizeof(c->app_id), "wal-%s", vl_wal_id(c->wal));
        rc = vl_bronze_open(lake, o->batch_rows, &c->bronze, err);
    }
    if (rc == VL_OK) {
        vl_bronze_set_file_bytes(c->bronze, (uint64_t)c->o.target_file_bytes);
        vl_bronze_set_metrics(c->bronze, &c->files);
    }
    /* replay what the tables do not hold yet, and commit it before serving */
    int64_t last = rc == VL_OK ? vl_wal_last_lsn(c->wal) : -1;
    if (rc == VL_OK) rc = recover(c, last, err);
    if (rc == VL_OK && c->pending_since_us) {
        VL_INFO("collector", "replayed the WAL up to LSN %lld into bronze", (long long)last);
        rc = commit(c, err);
    }
    if (rc == VL_OK) {
        int64_t next = c->done_events > c->done_dead ? c->done_events : c->done_dead;
        rc = vl_wal_start(c->wal, next + 1, deliver, c, err);
    }
    if (rc == VL_OK) {
        if (pthread_create(&c->thread, NULL, pipeline_main, c) != 0)
            rc = vl_error_set(err, VL_EIO, "cannot start the collector's pipeline thread");
        else
            c->thread_started = true;
    }
    if (rc == VL_OK && c->o.optimize_interval_us > 0) {
        if (pthread_create(&c->maint, NULL, maint_main, c) != 0)
            rc = vl_error_set(err, VL_EIO, "cannot start the collector's maintenance thread");
        else
            c->maint_started = true;
    }
    if (rc) {
        vl_error ignore;
        (void)vl_collector_close(c, &ignore);
        return rc;
    }
    atomic_store(&c->committed_lsn, c->applied);
    *out = c;
    return VL_OK;
}

int vl_collector_close(vl_collector *c, vl_error *err) {
    if (!c) return VL_OK;
    /* the WAL first: it writes what was appended and delivers it */
    vl_wal *wal = c->wal;
    if (wal) vl_wal_stop(wal); /* refuse appends, deliver the last group */
    pthread_mutex_lock(&c->mu);
    c->stop = true;
    pthread_cond_signal(&c->cv);
    pthread_cond_signal(&c->maint_cv);
    pthread_mutex_unlock(&c->mu);
    if (c->maint_started) pthread_join(c->maint, NULL);
    if (c->thread_started) pthread_join(c->thread, NULL);
    int rc = c->final_rc;
    if (rc && err) *err = c->final_err;
    for (chunk *k = c->head, *next; k; k = next) {
        next = k->next;
        vl_buf_free(&k->data);
        vl_free(k);
    }
    vl_bronze_close(c->bronze);
    vl_wal_close(wal);
    vl_arena_destroy(&c->scratch);
    vl_decoder_free(&c->dec);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
    pthread_cond_destroy(&c->maint_cv);
    vl_free(c);
    return rc;
}

const char *vl_collector_app_id(const vl_collector *c) { return c->app_id; }

bool vl_collector_ready(vl_collector *c, char *why, size_t n) {
    pthread_mutex_lock(&c->mu);
    size_t backlog = c->queued_bytes;
    bool stopping = c->stop;
    pthread_mutex_unlock(&c->mu);
    backlog += vl_wal_buffered(c->wal);
    char wal_why[256];
    if (stopping) snprintf(why, n, "shutting down");
    else if (vl_wal_failed(c->wal, wal_why, sizeof(wal_why))) snprintf(why, n, "the WAL failed: %.200s", wal_why);
    else if (backlog > c->o.max_backlog) snprintf(why, n, "the pipeline is behind (%zu bytes waiting)", backlog);
    else return true;
    return false;
}

void vl_collector_get_stats(vl_collector *c, vl_collector_stats *st) {
    memset(st, 0, sizeof(*st));
    st->requests = atomic_load(&c->n_requests);
    st->accepted = atomic_load(&c->n_accepted);
    st->rejected = atomic_load(&c->n_rejected);
    st->shed = atomic_load(&c->n_shed);
    st->too_large = atomic_load(&c->n_too_large);
    st->bad_requests = atomic_load(&c->n_bad);
    st->bytes_in = atomic_load(&c->bytes_in);
    st->commits = atomic_load(&c->n_commits);
    st->commit_failures = atomic_load(&c->n_commit_failures);
    st->commit_us_last = atomic_load(&c->commit_us_last);
    st->committed_lsn = atomic_load(&c->committed_lsn);
    st->events_committed = atomic_load(&c->n_events);
    st->dead_letters_committed = atomic_load(&c->n_dead);
    st->optimizes = atomic_load(&c->n_optimizes);
    st->files_compacted = atomic_load(&c->n_files_compacted);
    st->rt_dropped = atomic_load(&c->rt_drops);
    st->received = atomic_load(&c->n_received);
    for (int r = 0; r < VL_RJ_COUNT; r++) st->rejected_by[r] = atomic_load(&c->n_rejected_by[r]);
    st->commit_conflicts = atomic_load(&c->n_commit_conflicts);
    st->commit_retries = atomic_load(&c->n_commit_retries);
    st->last_commit_unix_us = atomic_load(&c->last_commit_unix_us);
    st->max_backlog = (int64_t)c->o.max_backlog;
    vl_histo_read(&c->commit_us, &st->commit_us);
    vl_histo_read(&c->request_events, &st->request_events);
    for (int i = 0; i < 2; i++) {
        vl_histo_read(&c->files.file_rows[i], &st->file_rows[i]);
        vl_histo_read(&c->files.file_bytes[i], &st->file_bytes[i]);
    }
    pthread_mutex_lock(&c->mu);
    st->queued_bytes = (int64_t)c->queued_bytes;
    pthread_mutex_unlock(&c->mu);
    vl_wal_get_stats(c->wal, &st->wal);
    /* committed_lsn was read before durable_lsn, and nothing is committed
     * before it is durable: so no race makes this negative (at worst it
     * still counts a commit that just happened) */
    int64_t q = st->wal.durable_lsn - st->committed_lsn;
    st->queued_records = q > 0 ? q : 0;
}

/* ------------------------------------------------------------- requests */

/* Splits a JSON array of events into NDJSON lines: elements are found by
 * tracking strings and nesting; whitespace newlines inside an element
 * become spaces (a raw newline inside a string is invalid JSON anyway and
 * stays, failing that event's validation). Returns VL_EINVAL naming the
 * byte where the array is malformed. */
int vl_json_array_to_ndjson(const char *p, size_t n, vl_buf *out, vl_error *err) {
    size_t i = 0;
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n')) i++;
    i++; /* '[' */
    int depth = 0;
    bool in_str = false, esc = false, any = false, need_value = false;
    size_t start = i;
    for (; i < n; i++) {
        char ch = p[i];
        if (in_str) {
            if (esc) esc = false;
            else if (ch == '\\') esc = true;
            else if (ch == '"') in_str = false;
            continue;
        }
        if (ch == '"') {
            in_str = true;
        } else if (ch == '{' || ch == '[') {
            depth++;
        } else if (ch == '}' || ch == ']') {
            if (depth == 0) {
                if (ch != ']') return vl_error_set(err, VL_EINVAL, "unbalanced '}' at byte %zu of the JSON array", i);
                /* the end of the array */
                size_t a = start, b = i;
                while (a < b && (p[a] == ' ' || p[a] == '\t' || p[a] == '\r' || p[a] == '\n')) a++;
                while (b > a && (p[b - 1] == ' ' || p[b - 1] == '\t' || p[b - 1] == '\r' || p[b - 1] == '\n')) b--;
                if (a < b) {
                    any = true;
                    for (size_t j = a; j < b; j++)
                        if (vl_buf_putc(out, p[j] == '\n' ? ' ' : p[j])) return oom(err);
                    if (vl_buf_putc(out, '\n')) return oom(err);
                } else if (need_value) {
                    return vl_error_set(err, VL_EINVAL, "a ',' before the ']' at byte %zu of the JSON array", i);
                }
                for (size_t j = i + 1; j < n; j++)
                    if (!(p[j] == ' ' || p[j] == '\t' || p[j] == '\r' || p[j] == '\n'))
                        return vl_error_set(err, VL_EINVAL, "bytes after the JSON array's ']' at byte %zu", j);
                (void)any;
                return VL_OK;
            }
            depth--;
        } else if (ch == ',' && depth == 0) {
            size_t a = start, b = i;
            while (a < b && (p[a] == ' ' || p[a] == '\t' || p[a] == '\r' || p[a] == '\n')) a++;
            while (b > a && (p[b - 1] == ' ' || p[b - 1] == '\t' || p[b - 1] == '\r' || p[b - 1] == '\n')) b--;
            if (a == b) return vl_error_set(err, VL_EINVAL, "an empty element before byte %zu of the JSON array", i);
            for (size_t j = a; j < b; j++)
                if (vl_buf_putc(out, p[j] == '\n' ? ' ' : p[j])) return oom(err);
            if (vl_buf_putc(out, '\n')) return oom(err);
            start = i + 1;
            need_value = true;
            continue;
        }
    }
    return vl_error_set(err, VL_EINVAL, "the JSON array is not closed (%zu bytes, %s)", n,
                        in_str ? "inside a string" : "missing ']'");
}

int vl_collector_post(vl_collector *c, const char *body, size_t n, const char *encoding, const char *source,
                      vl_collector_reply *reply) {
    vl_buf *resp = &reply->body;
    reply->retry_after = 0;
    atomic_fetch_add(&c->n_requests, 1);
    atomic_fetch_add(&c->bytes_in, (int64_t)n);
    /* back-pressure: refuse before doing any work */
    pthread_mutex_lock(&c->mu);
    size_t backlog = c->queued_bytes;
    bool stopping = c->stop;
    pthread_mutex_unlock(&c->mu);
    backlog += vl_wal_buffered(c->wal);
    if (stopping || backlog + n > c->o.max_backlog) {
        atomic_fetch_add(&c->n_shed, 1);
        reply->status = 503;
        reply->retry_after = 1;
        char msg[160];
        snprintf(msg, sizeof(msg), stopping ? "the collector is shutting down"
                                            : "the pipeline is behind (%zu bytes waiting); retry later",
                 backlog);
        vl_json_error_doc(resp, msg);
        return VL_OK;
    }
    vl_buf plain, nd;
    vl_buf_init(&plain);
    vl_buf_init(&nd);
    vl_error err;
    const char *p = body;
    size_t len = n;
    char msg[400];
    int status = 200;
    if (encoding && *encoding && strcasecmp(encoding, "identity") != 0) {
        if (strcasecmp(encoding, "gzip") != 0 && strcasecmp(encoding, "x-gzip") != 0 &&
            strcasecmp(encoding, "deflate") != 0) {
            snprintf(msg, sizeof(msg), "Content-Encoding '%.100s' is not supported (use gzip or none)", encoding);
            status = 415;
            goto fail;
        }
        bool too_large = false;
        if (vl_inflate(body, n, c->o.max_body, &plain, &too_large, &err) != VL_OK) {
            snprintf(msg, sizeof(msg), "%.390s", err.msg);
            status = err.code == VL_ENOMEM ? 503 : 400;
            goto fail;
        }
        if (too_large) {
            snprintf(msg, sizeof(msg), "the body inflates to more than %zu bytes", c->o.max_body);
            status = 413;
            goto fail;
        }
        p = plain.p;
        len = plain.n;
    }
    if (len > c->o.max_body) {
        snprintf(msg, sizeof(msg), "the body is %zu bytes, over the limit of %zu", len, c->o.max_body);
        status = 413;
        goto fail;
    }
    size_t i0 = 0;
    while (i0 < len && (p[i0] == ' ' || p[i0] == '\t' || p[i0] == '\r' || p[i0] == '\n')) i0++;
    if (i0 < len && p[i0] == '[') {
        if (vl_json_array_to_ndjson(p, len, &nd, &err) != VL_OK) {
            snprintf(msg, sizeof(msg), "%.390s", err.msg);
            status = err.code == VL_ENOMEM ? 503 : 400;
            goto fail;
        }
        p = nd.p;
        len = nd.n;
    }
    /* validate every event: the counts and first reasons for the reply */
    int64_t accepted = 0, rejected = 0, line_no = 0;
    int64_t by_reason[VL_RJ_COUNT] = {0};
    struct {
        int64_t line;
        vl_reject rj;
    } reasons[MAX_REASONS];
    int n_reasons = 0;
    vl_decoder dec;
    vl_decoder_init(&dec);
    vl_arena scratch;
    vl_arena_init(&scratch, 1 << 14);
    for (const char *q = p, *end = p + len; q < end && status == 200;) {
        const char *nl = memchr(q, '\n', (size_t)(end - q));
        const char *le = nl ? nl : end;
        line_no++;
        size_t ln = (size_t)(le - q);
        if (ln > c->o.max_event) {
            snprintf(msg, sizeof(msg), "event %lld is %zu bytes, over the limit of %zu", (long long)line_no, ln,
                     c->o.max_event);
            status = 413;
            break;
        }
        const char *lp = q;
        vl_event ev;
        vl_reject rj;
        int drc = decode_line(&dec, &scratch, &lp, &ln, &ev, &rj);
        if (drc == VL_OK) {
            accepted++;
        } else if (drc == VL_EINVAL) {
            rejected++;
            if ((unsigned)rj.reason < VL_RJ_COUNT) by_reason[rj.reason]++;
            if (n_reasons < MAX_REASONS) {
                reasons[n_reasons].line = line_no;
                reasons[n_reasons].rj = rj;
                n_reasons++;
            }
        } else if (drc != 1) {
            snprintf(msg, sizeof(msg), "out of memory validating event %lld", (long long)line_no);
            status = 503;
        }
        q = le + 1;
    }
    vl_arena_destroy(&scratch);
    vl_decoder_free(&dec);
    if (accepted + rejected) atomic_fetch_add_explicit(&c->n_received, accepted + rejected, memory_order_relaxed);
    if (status != 200) goto fail;
    if (accepted + rejected > 0) {
        int64_t lsn;
        int rc = vl_wal_append(c->wal, source, vl_now_us(), p, len, &lsn, &err);
        if (rc == VL_OK) rc = vl_wal_wait(c->wal, lsn, &err);
        if (rc) {
            snprintf(msg, sizeof(msg), "the events were not stored: %.360s", err.msg);
            status = rc == VL_ERANGE ? 413 : 503;
            if (status == 503) reply->retry_after = 5;
            goto fail;
        }
    }
    atomic_fetch_add(&c->n_accepted, accepted);
    atomic_fetch_add(&c->n_rejected, rejected);
    if (rejected)
        for (int r = 0; r < VL_RJ_COUNT; r++)
            if (by_reason[r]) atomic_fetch_add_explicit(&c->n_rejected_by[r], by_reason[r], memory_order_relaxed);
    if (accepted + rejected) vl_histo_observe(&c->request_events, accepted + rejected);
    vl_buf_clear(resp);
    vl_json_w w;
    vl_json_w_init(&w, resp, 0);
    vl_json_w_begin_obj(&w);
    vl_json_w_key(&w, "accepted");
    vl_json_w_int(&w, accepted);
    vl_json_w_key(&w, "rejected");
    vl_json_w_int(&w, rejected);
    if (n_reasons) {
        vl_json_w_key(&w, "errors");
        vl_json_w_begin_arr(&w);
        for (int r = 0; r < n_reasons; r++) {
            vl_json_w_begin_obj(&w);
            vl_json_w_key(&w, "line");
            vl_json_w_int(&w, reasons[r].line);
            vl_json_w_key(&w, "reason");
            vl_json_w_cstr(&w, vl_reject_reason_name(reasons[r].rj.reason));
            if (reasons[r].rj.field >= 0) {
                vl_json_w_key(&w, "field");
                vl_json_w_cstr(&w, vl_event_fields[reasons[r].rj.field].name);
            }
            if (reasons[r].rj.detail[0]) {
                vl_json_w_key(&w, "detail");
                vl_json_w_cstr(&w, reasons[r].rj.detail);
            }
            vl_json_w_end_obj(&w);
        }
        vl_json_w_end_arr(&w);
    }
    vl_json_w_end_obj(&w);
    if (vl_json_w_finish(&w, &err) != VL_OK || vl_buf_putc(resp, '\n')) vl_json_error_doc(resp, "out of memory");
    reply->status = 200;
    vl_buf_free(&plain);
    vl_buf_free(&nd);
    return VL_OK;
fail:
    if (status == 413) atomic_fetch_add(&c->n_too_large, 1);
    else if (status == 503) atomic_fetch_add(&c->n_shed, 1);
    else atomic_fetch_add(&c->n_bad, 1);
    reply->status = status;
    vl_json_error_doc(resp, msg);
    vl_buf_free(&plain);
    vl_buf_free(&nd);
    return VL_OK;
}
