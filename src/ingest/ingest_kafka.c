/* vidlake - Apache-2.0 */
/*
 * Kafka -> bronze, exactly once: one member of a consumer group
 * (librdkafka's high-level consumer) feeding the bronze sink.
 *
 * Positions. The tables are the only record of what was consumed. Every
 * commit carries, for each topic-partition with new records, a txn action
 * (appId "<app>-<topic>-<partition>", version = the last offset handled) in
 * both tables, in the same atomic commit as the data. Per partition we keep
 * what each table holds (done_events, done_dead) and the last offset handled
 * since the partition was positioned (last). A partition is
 *   - clean   when last <= min(done): nothing new;
 *   - dirty   when last > min(done) and last >= max(done): its txn can be
 *             written as `last` to both tables;
 *   - behind  when min(done) < last < max(done): it is replaying records one
 *             table holds and the other does not (bronze commits dead letters
 *             first, so a crash between the two commits leaves dead_letters
 *             ahead). Writing `last` would move the other table's version
 *             back, so no commit happens until it catches up: the replay is
 *             at most one commit long, and the sink commits all or nothing.
 * On assignment (the rebalance callback, so also at start) a partition's
 * versions are read from both tables and it starts at min(done) + 1 (or the
 * beginning); each record a table already holds (offset <= its version) is
 * skipped for that table. Commits pass the versions read as expectations:
 * if another member committed the partition meanwhile (a rebalance we did
 * not see in time) the commit fails with VL_ECONFLICT, the sink has dropped
 * its records, and every partition is read again and re-positioned.
 * Before partitions are given up (revoke) what is pending is committed, or
 * dropped when a partition is behind; the next owner reads it again.
 * Kafka's committed offsets (version + 1) follow each Delta commit,
 * asynchronously, for lag tools only.
 *
 * Flow. A commit happens when the pending record bytes reach the target,
 * when data has been pending for the commit interval, or when the topic has
 * been quiet for IDLE_US. Past max_pending_bytes (possible only while a
 * partition is behind) the other partitions are paused until a commit
 * drains the sink. With until_end, each partition's high watermark at its
 * first assignment is the end: it is paused there, and the run returns once
 * every assigned partition got there and everything is committed.
 *
 * Metrics (o->metrics): about once a second, after each commit and at the
 * end, the loop publishes its counts and each assigned partition's lag
 * (librdkafka's cached high watermark minus the consumer's position: no
 * broker round trip) into the vl_kafka_metrics object, under its mutex; the
 * commit-latency and file-size histograms are atomic and observed directly.
 * Nothing is counted per record beyond plain increments on this thread.
 *
 * Threads: everything, rebalance callback included, runs on the caller's
 * thread inside rd_kafka_consumer_poll / rd_kafka_consumer_close; only the
 * log callback runs on librdkafka's threads (vl_log is thread-safe).
 *
 * Not here: producing (src/cli/gen_kafka.c), the bronze sink itself.
 */
#include "ingest.h"

#include "delta/delta.h"

#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MOD "kafka"
#define DEFAULT_INTERVAL_US VL_US_PER_SEC
#define DEFAULT_TARGET_BYTES ((int64_t)128 << 20)
#define DEFAULT_CONNECT_US (10 * VL_US_PER_SEC)
#define POLL_MS 100          /* longest wait in consumer_poll: how late a stop or a due commit is noticed */
#define IDLE_US 200000       /* nothing read for this long with data pending: commit now */
#define WMARK_TIMEOUT_MS 5000
#define TOPIC_MAX 249        /* Kafka's limit on topic names */
#define PUBLISH_US VL_US_PER_SEC /* how often the figures for /metrics are refreshed */
#define DEFAULT_STORE_RETRY_US (600 * VL_US_PER_SEC) /* a store that stays down this long ends the run */
#define RETRY_FIRST_US 500000                        /* the first pause after a failed commit, doubling */
#define RETRY_MAX_US (30 * VL_US_PER_SEC)

/* The table paths of the bronze layout (DESIGN.md, "Lake layout"). */
#define BRONZE_EVENTS "bronze/events"
#define BRONZE_DEAD "bronze/dead_letters"

/* ----------------------------------------------------------- shared bits */

int vl_kafka_url_parse(const char *url, char **brokers, char **topic, vl_error *err) {
    *brokers = *topic = NULL;
    if (strncmp(url, "kafka://", 8) != 0)
        return vl_error_set(err, VL_EINVAL, "%s: not a kafka://BROKERS/TOPIC URL", url);
    const char *b = url + 8, *slash = strchr(b, '/');
    if (!slash || slash == b)
        return vl_error_set(err, VL_EINVAL, "%s: expected kafka://HOST:PORT[,HOST:PORT...]/TOPIC", url);
    const char *t = slash + 1;
    size_t tn = strlen(t);
    if (tn == 0) return vl_error_set(err, VL_EINVAL, "%s: the topic is missing (kafka://BROKERS/TOPIC)", url);
    if (tn > TOPIC_MAX)
        return vl_error_set(err, VL_EINVAL, "%s: a topic name has at most %d characters", url, TOPIC_MAX);
    for (size_t i = 0; i < tn; i++) {
        char c = t[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-'))
            return vl_error_set(err, VL_EINVAL, "%s: '%c' cannot be in a topic name (letters, digits, '.', '_', '-')",
                                url, c);
    }
    if ((tn == 1 && t[0] == '.') || (tn == 2 && t[0] == '.' && t[1] == '.'))
        return vl_error_set(err, VL_EINVAL, "%s: '%s' is not a valid topic name", url, t);
    /* each broker is HOST or HOST:PORT (librdkafka's default port is 9092);
     * HOST may be an IPv6 address in brackets */
    for (const char *p = b;;) {
        const char *e = memchr(p, ',', (size_t)(slash - p));
        if (!e) e = slash;
        const char *colon = NULL;
        for (const char *q = p; q < e; q++)
            if (*q == ':') colon = q;
        if (colon && e[-1] == ']') colon = NULL; /* "[::1]" */
        const char *host_end = colon ? colon : e;
        bool ok = host_end > p && (!colon || colon + 1 < e);
        for (const char *q = colon ? colon + 1 : e; ok && q < e; q++) ok = *q >= '0' && *q <= '9';
        for (const char *q = p; ok && q < host_end; q++) ok = (unsigned char)*q > ' ' && *q != '/';
        if (!ok)
            return vl_error_set(err, VL_EINVAL, "%s: broker '%.*s' is not HOST:PORT", url, (int)(e - p), p);
        if (e == slash) break;
        p = e + 1;
    }
    *brokers = vl_strndup(b, (size_t)(slash - b));
    *topic = vl_strndup(t, tn);
    if (!*brokers || !*topic) {
        vl_free(*brokers);
        vl_free(*topic);
        *brokers = *topic = NULL;
        return vl_error_set(err, VL_ENOMEM, "out of memory");
    }
    return VL_OK;
}

vl_log_level vl_kafka_log_level(int syslog_level) {
    if (syslog_level <= 4) return VL_LOG_WARN; /* emerg .. warning */
    if (syslog_level == 5) return VL_LOG_INFO; /* notice */
    return VL_LOG_DEBUG;                       /* info, debug */
}

/* --------------------------------------------------------------- metrics */

struct vl_kafka_metrics {
    pthread_mutex_t mu;
    vl_kafka_metrics_snap pub; /* the last published figures; pub.parts has cap_parts */
    size_t cap_parts;
    vl_histo commit_us;        /* atomic: observed by the consumer thread */
    vl_bronze_metrics files;
};

int vl_kafka_metrics_create(vl_kafka_metrics **out, vl_error *err) {
    *out = NULL;
    vl_kafka_metrics *m = vl_calloc(1, sizeof(*m));
    if (!m) return vl_error_set(err, VL_ENOMEM, "out of memory");
    int rc = vl_histo_init(&m->commit_us, vl_histo_latency_us, vl_histo_latency_us_n, 1000000, err);
    if (rc) {
        vl_free(m);
        return rc;
    }
    vl_bronze_metrics_init(&m->files);
    pthread_mutex_init(&m->mu, NULL);
    *out = m;
    return VL_OK;
}

void vl_kafka_metrics_destroy(vl_kafka_metrics *m) {
    if (!m) return;
    pthread_mutex_destroy(&m->mu);
    vl_free(m->pub.parts);
    vl_free(m);
}

int vl_kafka_metrics_read(vl_kafka_metrics *m, vl_kafka_metrics_snap *out, vl_error *err) {
    int rc = VL_OK;
    pthread_mutex_lock(&m->mu);
    *out = m->pub;
    out->parts = NULL;
    out->n_parts = 0;
    if (m->pub.n_parts) {
        out->parts = vl_malloc(m->pub.n_parts * sizeof(*out->parts));
        if (out->parts) {
            memcpy(out->parts, m->pub.parts, m->pub.n_parts * sizeof(*out->parts));
            out->n_parts = m->pub.n_parts;
        } else {
            rc = vl_error_set(err, VL_ENOMEM, "out of memory");
        }
    }
    pthread_mutex_unlock(&m->mu);
    vl_histo_read(&m->commit_us, &out->commit_us);
    for (int i = 0; i < 2; i++) {
        vl_histo_read(&m->files.file_rows[i], &out->file_rows[i]);
        vl_histo_read(&m->files.file_bytes[i], &out->file_bytes[i]);
    }
    return rc;
}

void vl_kafka_metrics_snap_free(vl_kafka_metrics_snap *s) {
    vl_free(s->parts);
    s->parts = NULL;
    s->n_parts = 0;
}

/* ----------------------------------------------------------------- state */

typedef struct kpart {
    int32_t id;
    char *app_id;                   /* "<app>-<topic>-<partition>" */
    char *source;                   /* "kafka://<topic>/<partition>", for dead letters */
    int64_t done_events, done_dead; /* the txn versions the tables hold; -1: none */
    int64_t last;                   /* the last offset handled since positioned */
    bool paused;                    /* by back-pressure or at its end */
    bool at_end;                    /* until_end: reached its high watermark */
    /* Sought back (reposition_all): until librdkafka carries the seek out
     * (on its own thread), it reports the application position from before
     * it, stale_pos; at_end does not trust that. */
    bool seeked;
    int64_t stale_pos;
} kpart;

/* until_end: a partition's high watermark at its first assignment. */
typedef struct kmark {
    int32_t id;
    int64_t hwm; /* -1: not known yet */
} kmark;

typedef struct kctx {
    const vl_kafka_ingest_opts *o;
    int64_t rt_drops; /* events the real-time engine could not take (memory) */
    int64_t rejected_by[VL_RJ_COUNT]; /* invalid records read, by reason */
    int64_t published_us;             /* mono µs of the last publish to o->metrics; 0: never */
    vl_store *lake;
    char *url;    /* kafka://brokers/topic, for messages */
    const char *app;
    int64_t interval_us, target_bytes, max_pending, connect_us;
    vl_bronze *b;
    vl_delta_table *te, *td; /* read handles for positions */
    rd_kafka_t *rk;
    kpart *parts;
    size_t n_parts, cap_parts;
    kmark *marks;
    size_t n_marks, cap_marks;
    bool assigned;            /* holding an assignment (maybe empty) */
    int64_t pending_bytes;    /* value bytes of the records in the sink */
    int64_t pending_records;
    int64_t pending_since;    /* mono µs the first of them arrived; 0: none */
    int64_t last_record_us;   /* mono µs of the last record read */
    vl_decoder dec;
    vl_arena scratch;
    vl_bronze_stats bst;
    vl_kafka_ingest_stats *st;
    int rc;                   /* the first error that ends the run */
    vl_error err;
    char kafka_err[256];      /* the last error librdkafka reported, for messages */
    /* The store failed a commit: what was pending is dropped, the records
     * that arrive are dropped too, and at retry_at the positions are read
     * from the tables again and the partitions sought back to them. */
    int64_t retry_at;         /* mono µs; 0: not waiting */
    int64_t retry_pause_us;   /* the last pause */
    int64_t outage_since;     /* mono µs of the first failure in a row; 0: none */
    int64_t last_failure_us;  /* mono µs of the last failure */
    int64_t store_retry_us;   /* how long failures may go on; <= 0: not at all */
} kctx;

#define FAIL(k, code, ...)                                                                                   \
    do {                                                                                                     \
        if (!(k)->rc) (k)->rc = vl_error_set(&(k)->err, (code), __VA_ARGS__);                               \
    } while (0)

static int oom(kctx *k) {
    FAIL(k, VL_ENOMEM, "out of memory");
    return k->rc;
}

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

static bool part_dirty(const kpart *p) {
    return p->last > min64(p->done_events, p->done_dead) && p->last >= max64(p->done_events, p->done_dead);
}
static bool part_behind(const kpart *p) {
    return p->last > min64(p->done_events, p->done_dead) && p->last < max64(p->done_events, p->done_dead);
}

static kpart *find_part(kctx *k, int32_t id) {
    for (size_t i = 0; i < k->n_parts; i++)
        if (k->parts[i].id == id) return &k->parts[i];
    return NULL;
}

static kmark *find_mark(kctx *k, int32_t id) {
    for (size_t i = 0; i < k->n_marks; i++)
        if (k->marks[i].id == id) return &k->marks[i];
    return NULL;
}

static void part_free(kpart *p) {
    vl_free(p->app_id);
    vl_free(p->source);
}

static bool stopping(const kctx *k) { return k->o->stop && atomic_load(k->o->stop); }

/* A partition list of the given partitions of our topic (n may be 0). */
static rd_kafka_topic_partition_list_t *plist(kctx *k, const int32_t *ids, const int64_t *offsets, size_t n) {
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)(n ? n : 1));
    for (size_t i = 0; i < n; i++) {
        rd_kafka_topic_partition_t *tp = rd_kafka_topic_partition_list_add(l, k->o->topic, ids[i]);
        if (offsets) tp->offset = offsets[i];
    }
    return l;
}

/* ------------------------------------------------------------- positions */

/* Reads both tables' versions of every partition in ps[0..n). A failure
 * ends the run, or with soft, is only returned (its message in *soft). */
static int read_versions(kctx *k, kpart **ps, size_t n, vl_error *soft) {
    vl_delta_snapshot *se = NULL, *sd = NULL;
    vl_error e = {0};
    int rc = vl_delta_snapshot_load(k->te, VL_DELTA_LATEST, &se, &e);
    if (rc == VL_OK) rc = vl_delta_snapshot_load(k->td, VL_DELTA_LATEST, &sd, &e);
    if (rc != VL_OK && soft) {
        *soft = e;
    } else if (rc != VL_OK) {
        FAIL(k, rc, "reading the Kafka positions in %s: %s", vl_store_url(k->lake), e.msg);
    } else {
        for (size_t i = 0; i < n; i++) {
            ps[i]->done_events = vl_delta_snapshot_app_version(se, ps[i]->app_id);
            ps[i]->done_dead = vl_delta_snapshot_app_version(sd, ps[i]->app_id);
            ps[i]->last = min64(ps[i]->done_events, ps[i]->done_dead);
        }
    }
    vl_delta_snapshot_free(se);
    vl_delta_snapshot_free(sd);
    return rc;
}

static int64_t start_offset(const kpart *p) { return p->last >= 0 ? p->last + 1 : RD_KAFKA_OFFSET_BEGINNING; }

static void set_paused(kctx *k, kpart **ps, size_t n, bool pause) {
    if (!n) return;
    int32_t *ids = vl_malloc(n * sizeof(*ids));
    if (!ids) {
        FAIL(k, VL_ENOMEM, "out of memory");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        ids[i] = ps[i]->id;
        ps[i]->paused = pause;
    }
    rd_kafka_topic_partition_list_t *l = plist(k, ids, NULL, n);
    rd_kafka_resp_err_t e = pause ? rd_kafka_pause_partitions(k->rk, l) : rd_kafka_resume_partitions(k->rk, l);
    if (e) VL_WARN(MOD, "%s: %s partitions: %s", k->url, pause ? "pausing" : "resuming", rd_kafka_err2str(e));
    rd_kafka_topic_partition_list_destroy(l);
    vl_free(ids);
}

/* Back-pressure over: resumes the partitions paused for it. */
static void resume_paused(kctx *k) {
    kpart **ps = vl_malloc((k->n_parts ? k->n_parts : 1) * sizeof(*ps));
    if (!ps) {
        FAIL(k, VL_ENOMEM, "out of memory");
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i < k->n_parts; i++)
        if (k->parts[i].paused && !k->parts[i].at_end) ps[n++] = &k->parts[i];
    if (n) VL_DEBUG(MOD, "%s: resuming %zu partition(s)", k->url, n);
    set_paused(k, ps, n, false);
    vl_free(ps);
}

/* After a lost commit, dropped records or a store outage: every assigned
 * partition reads its versions again and seeks to its new start (the
 * paused ones resume). soft: as for read_versions. */
static int reposition_all(kctx *k, vl_error *soft) {
    if (!k->n_parts || k->rc) return VL_OK;
    int rc = VL_OK;
    kpart **ps = vl_malloc(k->n_parts * sizeof(*ps));
    int32_t *ids = vl_malloc(k->n_parts * sizeof(*ids));
    int64_t *offs = vl_malloc(k->n_parts * sizeof(*offs));
    if (!ps || !ids || !offs) {
        FAIL(k, VL_ENOMEM, "out of memory");
    } else {
        for (size_t i = 0; i < k->n_parts; i++) ps[i] = &k->parts[i];
        if ((rc = read_versions(k, ps, k->n_parts, soft)) == VL_OK) {
            for (size_t i = 0; i < k->n_parts; i++) {
                ids[i] = k->parts[i].id;
                offs[i] = start_offset(&k->parts[i]);
                k->parts[i].at_end = false;
            }
            /* the positions librdkafka reports until the seek is carried out */
            rd_kafka_topic_partition_list_t *pl = plist(k, ids, NULL, k->n_parts);
            bool known = rd_kafka_position(k->rk, pl) == RD_KAFKA_RESP_ERR_NO_ERROR;
            for (size_t i = 0; i < k->n_parts; i++) {
                k->parts[i].seeked = true;
                k->parts[i].stale_pos = known ? pl->elems[i].offset : RD_KAFKA_OFFSET_INVALID;
            }
            rd_kafka_topic_partition_list_destroy(pl);
            /* Asynchronous: a synchronous seek waits for the fetcher, which
             * never answers for a paused partition. The seek takes effect
             * at once all the same: it raises the partition's version
             * barrier in this call, and consumer_poll drops every record
             * fetched before it. */
            rd_kafka_topic_partition_list_t *l = plist(k, ids, offs, k->n_parts);
            rd_kafka_error_t *e = rd_kafka_seek_partitions(k->rk, l, 0);
            if (e) {
                FAIL(k, VL_EIO, "%s: seeking after a lost commit: %s", k->url, rd_kafka_error_string(e));
                rd_kafka_error_destroy(e);
            }
            for (int i = 0; !k->rc && i < l->cnt; i++)
                if (l->elems[i].err && l->elems[i].err != RD_KAFKA_RESP_ERR__IN_PROGRESS) /* async: started */
                    FAIL(k, VL_EIO, "%s: seeking partition %d to %lld: %s", k->url, (int)l->elems[i].partition,
                         (long long)l->elems[i].offset, rd_kafka_err2str(l->elems[i].err));
            rd_kafka_topic_partition_list_destroy(l);
            size_t np = 0;
            for (size_t i = 0; i < k->n_parts; i++)
                if (k->parts[i].paused) ps[np++] = &k->parts[i];
            set_paused(k, ps, np, false);
        }
    }
    vl_free(ps);
    vl_free(ids);
    vl_free(offs);
    return k->rc ? k->rc : rc;
}

/* ------------------------------------------------------------ publishing */

/* A partition's lag: its high watermark as of the last fetch response
 * (cached by librdkafka) minus the next offset we read, from the
 * consumer's position (past control records too) or, before the first
 * record, from what the tables hold (or the log start). */
static vl_kafka_part_lag part_lag(kctx *k, const kpart *p, int64_t position) {
    vl_kafka_part_lag l = {p->id, -1, -1, -1};
    int64_t lo = -1, hi = -1;
    if (rd_kafka_get_watermark_offsets(k->rk, k->o->topic, p->id, &lo, &hi) != RD_KAFKA_RESP_ERR_NO_ERROR) lo = hi = -1;
    int64_t next = p->last >= 0 ? p->last + 1 : -1;
    if (position >= 0 && position > next) next = position;
    if (next < 0 && lo >= 0) next = lo; /* reading from the beginning */
    if (next < 0 && hi == 0) next = 0;  /* an empty partition */
    l.high_watermark = hi >= 0 ? hi : -1;
    l.next_offset = next;
    if (hi >= 0 && next >= 0) l.lag = hi > next ? hi - next : 0;
    return l;
}

/* Copies the counts and the partitions' lag to o->metrics. */
static void publish(kctx *k) {
    vl_kafka_metrics *m = k->o->metrics;
    if (!m) return;
    k->published_us = vl_mono_us();
    rd_kafka_topic_partition_list_t *l = NULL;
    if (k->rk && k->n_parts) {
        int32_t *ids = vl_malloc(k->n_parts * sizeof(*ids));
        if (ids) {
            for (size_t i = 0; i < k->n_parts; i++) ids[i] = k->parts[i].id;
            l = plist(k, ids, NULL, k->n_parts);
            if (rd_kafka_position(k->rk, l) != RD_KAFKA_RESP_ERR_NO_ERROR) {
                rd_kafka_topic_partition_list_destroy(l);
                l = NULL;
            }
            vl_free(ids);
        }
    }
    pthread_mutex_lock(&m->mu);
    snprintf(m->pub.topic, sizeof(m->pub.topic), "%s", k->o->topic);
    m->pub.st = *k->st;
    m->pub.st.events = k->bst.events; /* the stats take the sink's counts only at the end */
    m->pub.st.dead_letters = k->bst.dead_letters;
    m->pub.st.commits = k->bst.event_commits + k->bst.dead_commits;
    memcpy(m->pub.rejected_by, k->rejected_by, sizeof(k->rejected_by));
    m->pub.rt_dropped = k->rt_drops;
    size_t n = k->rk ? k->n_parts : 0;
    if (n > m->cap_parts) {
        vl_kafka_part_lag *np = vl_realloc(m->pub.parts, n * sizeof(*np));
        if (np) {
            m->pub.parts = np;
            m->cap_parts = n;
        }
    }
    if (n > m->cap_parts) n = m->cap_parts; /* out of memory: fewer partitions this time */
    for (size_t i = 0; i < n; i++) {
        const kpart *p = &k->parts[i];
        int64_t pos = -1;
        for (int j = 0; l && j < l->cnt; j++)
            if (l->elems[j].partition == p->id && !l->elems[j].err) pos = l->elems[j].offset;
        m->pub.parts[i] = part_lag(k, p, pos);
    }
    m->pub.n_parts = n;
    pthread_mutex_unlock(&m->mu);
    if (l) rd_kafka_topic_partition_list_destroy(l);
}

/* --------------------------------------------------------------- commits */

static void pending_clear(kctx *k, bool dropped) {
    if (dropped) k->st->dropped += k->pending_records;
    k->pending_bytes = k->pending_records = 0;
    k->pending_since = 0;
}

/* Kafka's committed offsets, after the tables' (advisory: lag tools). */
static void commit_offsets(kctx *k, const int32_t *ids, const int64_t *next, size_t n) {
    if (!n) return;
    rd_kafka_topic_partition_list_t *l = plist(k, ids, next, n);
    rd_kafka_resp_err_t e = rd_kafka_commit(k->rk, l, 1);
    if (e) VL_DEBUG(MOD, "%s: committing offsets to Kafka: %s", k->url, rd_kafka_err2str(e));
    rd_kafka_topic_partition_list_destroy(l);
}

/* The store failed (what: the operation). Within the retry window: pause
 * every partition, schedule a retry and return true; else false. */
static bool store_down(kctx *k, const char *what, const vl_error *e) {
    int64_t now = vl_mono_us();
    /* failures after a quiet spell (the store came back, then nothing was
     * committed for a while: an idle topic) are a new outage */
    if (k->outage_since && now - k->last_failure_us > 2 * RETRY_MAX_US) k->outage_since = k->retry_pause_us = 0;
    k->last_failure_us = now;
    if (k->store_retry_us <= 0 || (k->outage_since && now - k->outage_since >= k->store_retry_us)) return false;
    if (!k->outage_since) k->outage_since = now;
    k->retry_pause_us = k->retry_pause_us ? k->retry_pause_us * 2 : RETRY_FIRST_US;
    if (k->retry_pause_us > RETRY_MAX_US) k->retry_pause_us = RETRY_MAX_US;
    k->retry_at = now + k->retry_pause_us;
    k->st->store_retries++;
    char dropped[64] = "";
    if (k->pending_records)
        snprintf(dropped, sizeof(dropped), "; %lld uncommitted records will be read again",
                 (long long)k->pending_records);
    VL_WARN(MOD, "%s: %s %s failed (%s)%s; trying again in %.1f s (failing for %.1f s, giving up after %.0f s)",
            k->url, what, vl_store_url(k->lake), e->msg, dropped, (double)k->retry_pause_us / 1e6,
            (double)(now - k->outage_since) / 1e6, (double)k->store_retry_us / 1e6);
    kpart **ps = vl_malloc((k->n_parts + 1) * sizeof(*ps));
    if (!ps) {
        FAIL(k, VL_ENOMEM, "out of memory");
        return true;
    }
    size_t n = 0;
    for (size_t i = 0; i < k->n_parts; i++) {
        kpart *p = &k->parts[i];
        /* nothing read is pending now: no commit, and no end, until the
         * positions come from the tables again */
        p->last = min64(p->done_events, p->done_dead);
        p->at_end = false;
        if (!p->paused) ps[n++] = p;
    }
    set_paused(k, ps, n, true);
    vl_free(ps);
    return true;
}

/* reposition_all, where a store that cannot be read is an outage to ride
 * out (store_down) rather than the end of the run. */
static void reposition_or_retry(kctx *k) {
    vl_error e = {0};
    int rc = reposition_all(k, &e);
    if (rc == VL_OK) {
        k->retry_at = 0;
        if (!k->n_parts) k->outage_since = k->retry_pause_us = 0; /* nothing to commit: nothing to prove */
    } else if (!k->rc && !(rc == VL_EIO && store_down(k, "reading the positions in", &e))) {
        FAIL(k, rc, "reading the Kafka positions in %s: %s", vl_store_url(k->lake), e.msg);
    }
}

/* The pause after a failed commit is over: read the positions again and
 * seek there, or pause once more. */
static void retry_positions(kctx *k) {
    if (k->retry_at && vl_mono_us() >= k->retry_at) reposition_or_retry(k);
}

/* Commits the pending records with the positions of the dirty partitions.
 * @return VL_OK; VL_ECONFLICT when another member committed one of them
 * (the records are dropped: the caller re-positions); other codes end the
 * run (k->rc). */
static int commit_now(kctx *k) {
    size_t cap = k->n_parts ? k->n_parts : 1, n = 0;
    vl_bronze_pos *pos = vl_malloc(cap * sizeof(*pos));
    int32_t *ids = vl_malloc(cap * sizeof(*ids));
    int64_t *next = vl_malloc(cap * sizeof(*next));
    if (!pos || !ids || !next) {
        vl_free(pos);
        vl_free(ids);
        vl_free(next);
        FAIL(k, VL_ENOMEM, "out of memory");
        return k->rc;
    }
    for (size_t i = 0; i < k->n_parts; i++) {
        kpart *p = &k->parts[i];
        if (!part_dirty(p)) continue;
        pos[n] = (vl_bronze_pos){p->app_id, p->last, p->done_events, p->done_dead};
        ids[n] = p->id;
        next[n] = p->last + 1;
        n++;
    }
    vl_error e = {0};
    int64_t t0 = vl_mono_us(), records = k->pending_records;
    int rc = vl_bronze_commit(k->b, pos, n, &k->bst, &e);
    k->st->events = k->bst.events;
    k->st->dead_letters = k->bst.dead_letters;
    k->st->commits = k->bst.event_commits + k->bst.dead_commits;
    if (rc == VL_OK && k->o->metrics) {
        vl_histo_observe(&k->o->metrics->commit_us, vl_mono_us() - t0);
        vl_bronze_observe(k->b); /* reads the commits back: after the timing */
    }
    if (rc == VL_OK) {
        if (k->outage_since) {
            VL_INFO(MOD, "%s: %s takes commits again, after %.1f s", k->url, vl_store_url(k->lake),
                    (double)(vl_mono_us() - k->outage_since) / 1e6);
            k->outage_since = k->retry_pause_us = 0;
        }
        for (size_t i = 0; i < k->n_parts; i++) {
            kpart *p = &k->parts[i];
            if (part_dirty(p)) p->done_events = p->done_dead = p->last;
        }
        VL_DEBUG(MOD, "%s: committed %lld records of %zu partition(s) in %.3f s", k->url, (long long)records, n,
                 (double)(vl_mono_us() - t0) / 1e6);
        pending_clear(k, false);
        commit_offsets(k, ids, next, n);
        resume_paused(k);
        publish(k);
    } else if (rc == VL_ECONFLICT) {
        k->st->conflicts++;
        VL_WARN(MOD, "%s: commit lost (%s); %lld records dropped, reading the positions again", k->url, e.msg,
                (long long)records);
        pending_clear(k, true);
    } else if (rc == VL_EIO && !stopping(k) && store_down(k, "committing to", &e)) {
        vl_bronze_discard(k->b);
        pending_clear(k, true);
    } else {
        pending_clear(k, true);
        FAIL(k, rc, "committing to %s: %s%s", vl_store_url(k->lake), e.msg,
             k->outage_since ? " (the store has been failing since an earlier commit)" : "");
    }
    vl_free(pos);
    vl_free(ids);
    vl_free(next);
    return rc;
}

static bool any_behind(const kctx *k) {
    for (size_t i = 0; i < k->n_parts; i++)
        if (part_behind(&k->parts[i])) return true;
    return false;
}

/* Drops what the sink holds: its records will be read again. */
static void drop_pending(kctx *k, const char *why) {
    if (!k->pending_records && !vl_bronze_pending(k->b)) return;
    VL_INFO(MOD, "%s: %s: dropping %lld uncommitted records, to be read again", k->url, why,
            (long long)k->pending_records);
    vl_bronze_discard(k->b);
    pending_clear(k, true);
}

/* Before giving partitions up or stopping: commit what is pending, or drop
 * it when a partition is behind (it cannot be committed yet).
 * @return true when records were dropped (the caller re-positions). */
static bool settle(kctx *k, const char *why) {
    if (k->rc) return false;
    bool any_dirty = false;
    for (size_t i = 0; i < k->n_parts; i++) any_dirty |= part_dirty(&k->parts[i]);
    if (!any_dirty && !k->pending_records) return false;
    if (any_behind(k)) {
        drop_pending(k, why);
        return true;
    }
    return commit_now(k) == VL_ECONFLICT;
}

/* Commits when one is due; pauses partitions when one is due but cannot
 * happen yet and memory is past the bound. */
static void maybe_commit(kctx *k, bool idle) {
    if (!k->pending_since) return;
    int64_t now = vl_mono_us();
    bool over = k->pending_bytes >= k->max_pending;
    bool due = over || k->pending_bytes >= k->target_bytes || now - k->pending_since >= k->interval_us ||
               (idle && now - k->last_record_us >= IDLE_US);
    if (!due) return;
    if (any_behind(k)) {
        if (!over) return;
        /* keep the partitions that have a range to replay going (started
         * or not) so that they catch up; pause the rest */
        kpart **ps = vl_malloc(k->n_parts * sizeof(*ps));
        if (!ps) {
            FAIL(k, VL_ENOMEM, "out of memory");
            return;
        }
        size_t n = 0;
        for (size_t i = 0; i < k->n_parts; i++) {
            kpart *p = &k->parts[i];
            if (p->last >= max64(p->done_events, p->done_dead) && !p->paused) ps[n++] = p;
        }
        if (n)
            VL_INFO(MOD, "%s: %lld bytes pending while partitions replay a partly committed range: pausing %zu "
                         "partition(s)",
                    k->url, (long long)k->pending_bytes, n);
        set_paused(k, ps, n, true);
        vl_free(ps);
        return;
    }
    if (commit_now(k) == VL_ECONFLICT) reposition_or_retry(k);
}

/* ------------------------------------------------------------- rebalance */

static void query_mark(kctx *k, kmark *m) {
    int64_t lo = -1, hi = -1;
    rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(k->rk, k->o->topic, m->id, &lo, &hi, WMARK_TIMEOUT_MS);
    if (e) {
        VL_WARN(MOD, "%s: high watermark of partition %d: %s (asking again later)", k->url, (int)m->id,
                rd_kafka_err2str(e));
        return;
    }
    m->hwm = hi;
    VL_DEBUG(MOD, "%s: partition %d ends at offset %lld for --until-end", k->url, (int)m->id, (long long)hi);
}

static int on_assign(kctx *k, rd_kafka_topic_partition_list_t *l) {
    k->st->assignments++;
    k->assigned = true;
    size_t first = k->n_parts;
    for (int i = 0; i < l->cnt; i++) {
        int32_t id = l->elems[i].partition;
        if (find_part(k, id)) continue; /* already ours */
        kpart *np = vl_grow(k->parts, &k->cap_parts, k->n_parts, sizeof(*np), 8);
        if (!np) return oom(k);
        k->parts = np;
        kpart *p = &k->parts[k->n_parts];
        memset(p, 0, sizeof(*p));
        p->id = id;
        size_t an = strlen(k->app) + strlen(k->o->topic) + 16, sn = strlen(k->o->topic) + 24;
        p->app_id = vl_malloc(an);
        p->source = vl_malloc(sn);
        if (!p->app_id || !p->source) {
            part_free(p);
            return oom(k);
        }
        snprintf(p->app_id, an, "%s-%s-%d", k->app, k->o->topic, (int)id);
        snprintf(p->source, sn, "kafka://%s/%d", k->o->topic, (int)id);
        k->n_parts++;
        if (k->o->until_end && !find_mark(k, id)) {
            kmark *nm = vl_grow(k->marks, &k->cap_marks, k->n_marks, sizeof(*nm), 8);
            if (!nm) return oom(k);
            k->marks = nm;
            k->marks[k->n_marks] = (kmark){id, -1};
            query_mark(k, &k->marks[k->n_marks++]);
        }
    }
    size_t n = k->n_parts - first;
    kpart **ps = vl_malloc((n ? n : 1) * sizeof(*ps));
    if (!ps) return oom(k);
    for (size_t i = 0; i < n; i++) ps[i] = &k->parts[first + i];
    vl_error e = {0};
    int rc = read_versions(k, ps, n, &e);
    if (rc == VL_EIO && !k->rc) {
        /* the store is down: the new partitions start from the beginning,
         * their records dropped until the retry reads their positions and
         * seeks there */
        for (size_t i = 0; i < n; i++) ps[i]->done_events = ps[i]->done_dead = ps[i]->last = -1;
        if (store_down(k, "reading the positions in", &e)) rc = VL_OK;
    }
    vl_free(ps);
    if (rc && !k->rc) FAIL(k, rc, "reading the Kafka positions in %s: %s", vl_store_url(k->lake), e.msg);
    if (rc) return k->rc;
    vl_buf msg;
    vl_buf_init(&msg);
    int mrc = VL_OK; /* the message is a nicety: without memory, a shorter one */
    for (int i = 0; i < l->cnt; i++) {
        kpart *p = find_part(k, l->elems[i].partition);
        l->elems[i].offset = start_offset(p);
        if (mrc == VL_OK && p->last >= 0)
            mrc = vl_buf_printf(&msg, "%s%d at offset %lld", i ? ", " : "", (int)p->id, (long long)(p->last + 1));
        else if (mrc == VL_OK)
            mrc = vl_buf_printf(&msg, "%s%d from the beginning", i ? ", " : "", (int)p->id);
    }
    const char *list = mrc == VL_OK && msg.n ? vl_buf_cstr(&msg) : NULL;
    VL_INFO(MOD, "%s: assigned partition(s) %s", k->url, list ? list : l->cnt ? "(several)" : "(none)");
    vl_buf_free(&msg);
    return VL_OK;
}

static void on_revoke(kctx *k, const rd_kafka_topic_partition_list_t *l, bool lost) {
    bool dropped = settle(k, lost ? "partitions lost" : "partitions revoked");
    k->assigned = false; /* until_end: not done before the next assignment */
    for (int i = 0; i < l->cnt; i++) {
        kpart *p = find_part(k, l->elems[i].partition);
        if (!p) continue;
        part_free(p);
        *p = k->parts[--k->n_parts];
    }
    VL_INFO(MOD, "%s: %s %d partition(s), %zu left", k->url, lost ? "lost" : "gave up", l->cnt, k->n_parts);
    if (dropped) reposition_or_retry(k); /* the partitions kept (cooperative protocol) */
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *l, void *opaque) {
    kctx *k = opaque;
    bool coop = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    rd_kafka_error_t *e = NULL;
    rd_kafka_resp_err_t re = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        bool ok = !k->rc && on_assign(k, l) == VL_OK;
        if (coop) {
            if (ok) e = rd_kafka_incremental_assign(rk, l);
        } else {
            re = rd_kafka_assign(rk, ok ? l : NULL);
        }
        /* a partition paused in an earlier assignment starts unpaused */
        if (ok && !e && !re) (void)rd_kafka_resume_partitions(rk, l);
    } else {
        if (err != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS)
            VL_WARN(MOD, "%s: rebalance error: %s", k->url, rd_kafka_err2str(err));
        on_revoke(k, l, rd_kafka_assignment_lost(rk));
        if (coop) e = rd_kafka_incremental_unassign(rk, l);
        else re = rd_kafka_assign(rk, NULL);
    }
    if (e) {
        FAIL(k, VL_EIO, "%s: changing the assignment: %s", k->url, rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
    } else if (re) {
        FAIL(k, VL_EIO, "%s: changing the assignment: %s", k->url, rd_kafka_err2str(re));
    }
}

/* ------------------------------------------------------------- callbacks */

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
    (void)rk;
    vl_log(vl_kafka_log_level(level), MOD, "%s: %s", fac, buf);
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
    kctx *k = opaque;
    /* "1/1 brokers are down" says less than the connection error before it */
    if (err != RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || !k->kafka_err[0])
        snprintf(k->kafka_err, sizeof(k->kafka_err), "%s", reason);
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char why[256];
        rd_kafka_fatal_error(rk, why, sizeof(why));
        FAIL(k, VL_EIO, "%s: fatal Kafka error: %s", k->url, why);
        return;
    }
    VL_DEBUG(MOD, "%s: %s: %s", k->url, rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

static void offset_commit_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *l,
                             void *opaque) {
    (void)rk;
    (void)l;
    kctx *k = opaque;
    if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
        VL_DEBUG(MOD, "%s: Kafka offset commit: %s (advisory; the tables hold the positions)", k->url,
                 rd_kafka_err2str(err));
}

/* --------------------------------------------------------------- records */

static void handle_record(kctx *k, const rd_kafka_message_t *m) {
    kpart *p = find_part(k, m->partition);
    if (!p || m->offset <= p->last) return; /* not ours, or handled before a seek */
    if (k->retry_at) return;                /* the store is down: read again after the seek */
    p->seeked = false;                      /* a record from after the seek */
    k->st->records++;
    k->st->record_bytes += (int64_t)m->len;
    k->last_record_us = vl_mono_us();
    const char *val = m->payload ? (const char *)m->payload : "";
    size_t n = m->payload ? m->len : 0;
    vl_event ev;
    vl_reject rj;
    int drc;
    if (n > VL_EVENT_MAX_BYTES) {
        memset(&rj, 0, sizeof(rj));
        rj.reason = VL_RJ_TOO_LARGE;
        rj.field = -1;
        n = VL_EVENT_MAX_BYTES + 1; /* keep what a file line keeps */
        drc = VL_EINVAL;
    } else {
        vl_arena_reset(&k->scratch);
        drc = vl_decoder_decode(&k->dec, val, n, &ev, &k->scratch, &rj);
    }
    vl_error e = {0};
    int rc = VL_OK;
    bool added = false;
    int64_t now = vl_now_us();
    if (drc == VL_OK) {
        if (k->o->rt && vl_rt_add(k->o->rt, &ev) != VL_OK) k->rt_drops++;
        if (m->offset > p->done_events) {
            rc = vl_bronze_add_event(k->b, &ev, now, &e);
            added = true;
        }
    } else if (drc == VL_EINVAL) {
        if ((unsigned)rj.reason < VL_RJ_COUNT) k->rejected_by[rj.reason]++;
        if (m->offset > p->done_dead) {
            rc = vl_bronze_add_reject(k->b, val, n, &rj, p->source, m->offset, now, &e);
            added = true;
        }
    } else {
        rc = vl_error_set(&e, VL_ENOMEM, "out of memory decoding the record");
    }
    if (rc) {
        FAIL(k, rc, "%s: partition %d offset %lld: %s", k->url, (int)p->id, (long long)m->offset, e.msg);
        return;
    }
    p->last = m->offset;
    if (added) {
        k->pending_bytes += (int64_t)n;
        k->pending_records++;
        if (!k->pending_since) k->pending_since = k->last_record_us;
    } else {
        k->st->skipped++;
    }
    if (k->o->until_end && !p->at_end) {
        kmark *mk = find_mark(k, p->id);
        if (mk && mk->hwm >= 0 && p->last + 1 >= mk->hwm) {
            p->at_end = true;
            set_paused(k, &p, 1, true);
        }
    }
}

static void handle_error(kctx *k, const rd_kafka_message_t *m) {
    rd_kafka_resp_err_t e = m->err;
    if (e == RD_KAFKA_RESP_ERR__PARTITION_EOF) return;
    char what[512];
    snprintf(what, sizeof(what), "%s", rd_kafka_message_errstr(m));
    switch (e) {
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
        FAIL(k, VL_EIO, "%s: the topic does not exist (any more): %s", k->url, what);
        return;
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR__FATAL:
        FAIL(k, VL_EIO, "%s: %s", k->url, what);
        return;
    default:
        VL_WARN(MOD, "%s: %s", k->url, what);
    }
}

/* until_end: every assigned partition at its end, nothing pending. */
static bool at_end(kctx *k) {
    if (!k->assigned || k->retry_at || k->pending_since || vl_bronze_pending(k->b)) return false;
    for (size_t i = 0; i < k->n_parts; i++) {
        kpart *p = &k->parts[i];
        if (p->last > min64(p->done_events, p->done_dead)) return false;
        if (p->at_end) continue;
        kmark *m = find_mark(k, p->id);
        if (!m) return false;
        if (m->hwm < 0) query_mark(k, m);
        if (m->hwm < 0) return false;
        if (p->last + 1 >= m->hwm) {
            p->at_end = true;
            continue;
        }
        /* the records before the end may have been control records or
         * compacted away: then the consumer's position is past them */
        rd_kafka_topic_partition_list_t *l = plist(k, &p->id, NULL, 1);
        bool known = rd_kafka_position(k->rk, l) == RD_KAFKA_RESP_ERR_NO_ERROR;
        int64_t pos = known ? l->elems[0].offset : RD_KAFKA_OFFSET_INVALID;
        rd_kafka_topic_partition_list_destroy(l);
        if (p->seeked) { /* the position from before a seek says nothing */
            if (!known || pos == p->stale_pos) return false;
            p->seeked = false;
        }
        bool there = pos >= 0 && pos >= m->hwm;
        if (!there) return false;
        p->at_end = true;
    }
    return true;
}

/* ---------------------------------------------------------------- set-up */

int vl_kafka_conf_set(struct rd_kafka_conf_s *conf, const char *key, const char *val, const char *what,
                      vl_error *err) {
    char es[512];
    if (rd_kafka_conf_set(conf, key, val, es, sizeof(es)) != RD_KAFKA_CONF_OK)
        return vl_error_set(err, VL_EINVAL, "%s%s=%s: %s", what, key, val, es);
    return VL_OK;
}

int vl_kafka_conf_props(struct rd_kafka_conf_s *conf, const char *const *props, size_t n, vl_error *err) {
    for (size_t i = 0; i < n; i++) {
        const char *eq = strchr(props[i], '=');
        if (!eq || eq == props[i]) return vl_error_set(err, VL_EINVAL, "-X %s: expected KEY=VALUE", props[i]);
        char key[256];
        size_t kn = (size_t)(eq - props[i]);
        if (kn >= sizeof(key)) return vl_error_set(err, VL_EINVAL, "-X %.40s...: property name too long", props[i]);
        memcpy(key, props[i], kn);
        key[kn] = 0;
        VL_RETURN_IF_ERR(vl_kafka_conf_set(conf, key, eq + 1, "-X ", err));
    }
    return VL_OK;
}

int vl_kafka_consumer_conf(struct rd_kafka_conf_s *conf, const char *brokers, const char *group, const char *group_opt,
                           const char *const (*fixed)[2], size_t n_fixed, const char *const *props, size_t n_props,
                           vl_error *err) {
    int rc = vl_kafka_conf_set(conf, "bootstrap.servers", brokers, "", err);
    if (rc == VL_OK) rc = vl_kafka_conf_set(conf, "group.id", group, group_opt, err);
    for (size_t i = 0; rc == VL_OK && i < n_fixed; i++) rc = vl_kafka_conf_set(conf, fixed[i][0], fixed[i][1], "", err);
    if (rc == VL_OK) rc = vl_kafka_conf_props(conf, props, n_props, err);
    return rc;
}

static int make_consumer(kctx *k, vl_error *err) {
    const vl_kafka_ingest_opts *o = k->o;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    static const char *const fixed[][2] = {
        {"enable.auto.commit", "false"},      /* offsets follow the Delta commits */
        {"enable.auto.offset.store", "false"},
        {"auto.offset.reset", "earliest"},    /* only when the tables hold nothing and retention moved on */
        {"client.id", "vidlake-ingest"},
        {"log.connection.close", "false"},    /* brokers close idle connections: not worth a warning */
    };
    int rc = vl_kafka_consumer_conf(conf, o->brokers, o->group, "--group: ", fixed, sizeof(fixed) / sizeof(fixed[0]),
                                    o->props, o->n_props, err);
    if (rc) {
        rd_kafka_conf_destroy(conf);
        return rc;
    }
    rd_kafka_conf_set_opaque(conf, k);
    rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
    rd_kafka_conf_set_log_cb(conf, log_cb);
    rd_kafka_conf_set_error_cb(conf, error_cb);
    rd_kafka_conf_set_offset_commit_cb(conf, offset_commit_cb);
    char es[512];
    k->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, es, sizeof(es));
    if (!k->rk) {
        rd_kafka_conf_destroy(conf);
        return vl_error_set(err, VL_EINVAL, "%s: cannot create the Kafka consumer: %s", k->url, es);
    }
    return VL_OK;
}

/* Waits until a broker answers with the topic's metadata. */
static int wait_for_topic(kctx *k, vl_error *err) {
    int64_t deadline = vl_mono_us() + k->connect_us;
    int rc = VL_EAGAIN;
    const char *why = "";
    while (rc == VL_EAGAIN && !stopping(k)) {
        int64_t left_ms = (deadline - vl_mono_us()) / 1000;
        if (left_ms <= 0) break;
        const struct rd_kafka_metadata *md = NULL;
        /* all topics: asking for one would have brokers that auto-create
         * topics create a misspelt one */
        rd_kafka_resp_err_t e = rd_kafka_metadata(k->rk, 1, NULL, &md, (int)(left_ms < 1000 ? left_ms : 1000));
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
            rd_kafka_resp_err_t te = RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
            int np = 0;
            for (int i = 0; i < md->topic_cnt; i++)
                if (strcmp(md->topics[i].topic, k->o->topic) == 0) {
                    te = md->topics[i].err;
                    np = md->topics[i].partition_cnt;
                }
            rd_kafka_metadata_destroy(md);
            if (te == RD_KAFKA_RESP_ERR_NO_ERROR && np > 0) {
                VL_DEBUG(MOD, "%s: %d partition(s)", k->url, np);
                rc = VL_OK;
            } else if (te == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || te == RD_KAFKA_RESP_ERR_NO_ERROR) {
                rc = vl_error_set(err, VL_EINVAL, "%s: topic '%s' does not exist", k->url, k->o->topic);
            } else if (te == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED) {
                rc = vl_error_set(err, VL_EINVAL, "%s: not allowed to read topic '%s'", k->url, k->o->topic);
            } else {
                why = rd_kafka_err2str(te); /* leader not available yet, ...: ask again */
            }
        }
        rd_kafka_poll(k->rk, rc == VL_EAGAIN ? 100 : 0); /* error callbacks */
    }
    if (rc == VL_EAGAIN && stopping(k)) return VL_OK;
    if (rc == VL_EAGAIN)
        rc = vl_error_set(err, VL_EIO, "%s: no answer from the brokers %s within %.0f s%s%s", k->url, k->o->brokers,
                          (double)k->connect_us / 1e6, k->kafka_err[0] || *why ? ": " : "",
                          k->kafka_err[0] ? k->kafka_err : why);
    return rc;
}

/* ------------------------------------------------------------------- run */

static void run_loop(kctx *k) {
    while (!k->rc && !stopping(k)) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(k->rk, POLL_MS);
        if (m) {
            if (m->err) handle_error(k, m);
            else handle_record(k, m);
            rd_kafka_message_destroy(m);
        }
        if (k->rc) break;
        retry_positions(k);
        if (!k->retry_at) maybe_commit(k, m == NULL);
        if (k->o->metrics && vl_mono_us() - k->published_us >= PUBLISH_US) publish(k);
        if (k->o->until_end && !m && at_end(k)) break;
    }
    if (k->retry_at && !k->rc)
        VL_WARN(MOD, "%s: stopping while %s fails; what was read since the last commit will be read again", k->url,
                vl_store_url(k->lake));
}

int vl_kafka_ingest_run(vl_store *lake, const vl_kafka_ingest_opts *o, vl_kafka_ingest_stats *st, vl_error *err) {
    vl_kafka_ingest_stats st_local;
    if (!st) st = &st_local;
    memset(st, 0, sizeof(*st));
    if (!o->brokers || !*o->brokers || !o->topic || !*o->topic)
        return vl_error_set(err, VL_EINVAL, "Kafka ingest: brokers and topic are required");
    if (!o->group || !*o->group) return vl_error_set(err, VL_EINVAL, "Kafka ingest: a consumer group is required");
    if (o->app && !*o->app) return vl_error_set(err, VL_EINVAL, "Kafka ingest: the app name is empty");
    if (o->commit_interval_us < 0 || o->target_file_bytes < 0 || o->max_pending_bytes < 0 || o->connect_timeout_us < 0)
        return vl_error_set(err, VL_EINVAL, "Kafka ingest: negative interval, size or timeout");

    kctx k;
    memset(&k, 0, sizeof(k));
    k.o = o;
    k.lake = lake;
    k.st = st;
    k.app = o->app ? o->app : o->group;
    k.interval_us = o->commit_interval_us ? o->commit_interval_us : DEFAULT_INTERVAL_US;
    k.target_bytes = o->target_file_bytes ? o->target_file_bytes : DEFAULT_TARGET_BYTES;
    k.max_pending = o->max_pending_bytes ? o->max_pending_bytes : 2 * k.target_bytes;
    if (k.max_pending < k.target_bytes) k.max_pending = k.target_bytes;
    k.connect_us = o->connect_timeout_us ? o->connect_timeout_us : DEFAULT_CONNECT_US;
    k.store_retry_us = o->store_retry_us ? o->store_retry_us : DEFAULT_STORE_RETRY_US;
    vl_decoder_init(&k.dec);
    vl_arena_init(&k.scratch, 1 << 16);
    size_t un = strlen(o->brokers) + strlen(o->topic) + 16;
    k.url = vl_malloc(un);
    int rc = k.url ? VL_OK : vl_error_set(err, VL_ENOMEM, "out of memory");
    if (rc == VL_OK) snprintf(k.url, un, "kafka://%s/%s", o->brokers, o->topic);
    if (rc == VL_OK) rc = vl_bronze_open(lake, o->batch_rows, &k.b, err);
    if (rc == VL_OK && o->metrics) vl_bronze_set_metrics(k.b, &o->metrics->files);
    if (rc == VL_OK) rc = vl_delta_table_open(lake, BRONZE_EVENTS, &k.te, err);
    if (rc == VL_OK) rc = vl_delta_table_open(lake, BRONZE_DEAD, &k.td, err);
    if (rc == VL_OK) rc = make_consumer(&k, err);
    if (rc == VL_OK) rc = wait_for_topic(&k, err);
    bool subscribed = false;
    if (rc == VL_OK && !stopping(&k)) {
        rd_kafka_poll_set_consumer(k.rk);
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(l, o->topic, RD_KAFKA_PARTITION_UA);
        rd_kafka_resp_err_t e = rd_kafka_subscribe(k.rk, l);
        rd_kafka_topic_partition_list_destroy(l);
        if (e) rc = vl_error_set(err, VL_EIO, "%s: subscribing: %s", k.url, rd_kafka_err2str(e));
        else subscribed = true;
    }
    if (subscribed) {
        VL_INFO(MOD, "%s: joining group '%s' as appId prefix '%s'", k.url, o->group, k.app);
        run_loop(&k);
        if (!k.rc) settle(&k, "stopping");
        if (!k.rc) {
            /* Kafka's offsets for everything the tables hold (an async
             * commit after a Delta commit may have failed in a rebalance);
             * consumer_close waits for them */
            size_t n = 0;
            int32_t *ids = vl_malloc((k.n_parts ? k.n_parts : 1) * sizeof(*ids));
            int64_t *next = vl_malloc((k.n_parts ? k.n_parts : 1) * sizeof(*next));
            if (ids && next) {
                for (size_t i = 0; i < k.n_parts; i++) {
                    int64_t v = min64(k.parts[i].done_events, k.parts[i].done_dead);
                    if (v < 0) continue;
                    ids[n] = k.parts[i].id;
                    next[n++] = v + 1;
                }
                commit_offsets(&k, ids, next, n);
            }
            vl_free(ids);
            vl_free(next);
        }
        /* leaves the group: the revoke callback finds nothing pending */
        rd_kafka_resp_err_t e = rd_kafka_consumer_close(k.rk);
        if (e && !k.rc) VL_WARN(MOD, "%s: closing the consumer: %s", k.url, rd_kafka_err2str(e));
        if (k.rc) {
            rc = k.rc;
            if (err) *err = k.err;
        }
        st->events = k.bst.events;
        st->dead_letters = k.bst.dead_letters;
        st->commits = k.bst.event_commits + k.bst.dead_commits;
        publish(&k); /* the final counts; no partitions are left assigned */
    }
    if (k.rk) rd_kafka_destroy_flags(k.rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    for (size_t i = 0; i < k.n_parts; i++) part_free(&k.parts[i]);
    vl_free(k.parts);
    vl_free(k.marks);
    vl_delta_table_close(k.te);
    vl_delta_table_close(k.td);
    vl_bronze_close(k.b);
    vl_arena_destroy(&k.scratch);
    vl_decoder_free(&k.dec);
    vl_free(k.url);
    return rc;
}
