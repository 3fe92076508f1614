/* vidlake - Apache-2.0 */
/*
 * GET /metrics: the Prometheus text exposition format (version 0.0.4) of
 * the process, the HTTP collector's pipeline (requests, events by outcome
 * and reject reason, the queue, Delta commits, data files, the WAL), the
 * real-time engine's business figures, and a Kafka member's lag and counts.
 * docs/collector.md ("Metrics") lists every family.
 *
 * Conventions (prometheus.io, "Metric and label naming", "Exposition
 * formats"): one HELP and one TYPE line per family, before its samples;
 * counters end in _total; units are base units named in the metric
 * (_seconds, _bytes); histograms have cumulative _bucket{le=...} samples
 * ending with le="+Inf", then _sum and _count; label values escape '\\',
 * '"' and newlines, HELP texts '\\' and newlines.
 *
 * Undefined values: a real-time ratio over a minute without data (no
 * attempts, no watch time) is NaN in the engine. Such a sample is left out
 * (its HELP and TYPE stay), so that the series is absent rather than NaN:
 * NaN would be valid exposition, but it poisons sums and averages across
 * instances and compares false in alerts without saying why. The same goes
 * for the latest event time before the first event and a Kafka partition's
 * lag before its first fetch response.
 *
 * Everything is read at scrape time from the sources' own counters (atomics
 * or a copy under a short lock); nothing here is on an ingest path.
 */
#include "server_int.h"

#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

void vl_server_set_kafka(vl_server *s, vl_kafka_metrics *m) { atomic_store(&s->kafka, m); }

/* ------------------------------------------------------------- the writer */

typedef struct prom {
    vl_buf *b;
    int rc; /* sticky: VL_ENOMEM */
} prom;

static void put(prom *p, const char *s, size_t n) {
    if (p->rc == VL_OK && vl_buf_append(p->b, s, n) != VL_OK) p->rc = VL_ENOMEM;
}
static void puts_(prom *p, const char *s) { put(p, s, strlen(s)); }

/* HELP text: '\\' and newlines escaped. */
static void put_help(prom *p, const char *s) {
    for (const char *q = s; *q; q++) {
        if (*q == '\\') put(p, "\\\\", 2);
        else if (*q == '\n') put(p, "\\n", 2);
        else put(p, q, 1);
    }
}

static void family(prom *p, const char *name, const char *type, const char *help) {
    puts_(p, "# HELP ");
    puts_(p, name);
    put(p, " ", 1);
    put_help(p, help);
    puts_(p, "\n# TYPE ");
    puts_(p, name);
    put(p, " ", 1);
    puts_(p, type);
    put(p, "\n", 1);
}

/* A label set under construction: key="value",... (no braces). */
typedef struct labels {
    char s[512];
    size_t n;
} labels;

static void lb_clear(labels *l) {
    l->n = 0;
    l->s[0] = 0;
}

static void lb_raw(labels *l, const char *s, size_t n) {
    if (n > sizeof(l->s) - 1 - l->n) n = sizeof(l->s) - 1 - l->n; /* our own short keys and values: never */
    memcpy(l->s + l->n, s, n);
    l->n += n;
    l->s[l->n] = 0;
}

/* Appends key="value", escaping the value. */
static void lb_add(labels *l, const char *key, const char *val) {
    if (l->n) lb_raw(l, ",", 1);
    lb_raw(l, key, strlen(key));
    lb_raw(l, "=\"", 2);
    for (const char *q = val; *q; q++) {
        if (*q == '\\') lb_raw(l, "\\\\", 2);
        else if (*q == '"') lb_raw(l, "\\\"", 2);
        else if (*q == '\n') lb_raw(l, "\\n", 2);
        else lb_raw(l, q, 1);
    }
    lb_raw(l, "\"", 1);
}

static void lb_add_i64(labels *l, const char *key, int64_t v) {
    char num[24];
    num[vl_fmt_i64(num, v)] = 0;
    lb_add(l, key, num);
}

static void sample_head(prom *p, const char *name, const char *suffix, const labels *l) {
    puts_(p, name);
    if (suffix) puts_(p, suffix);
    if (l && l->n) {
        put(p, "{", 1);
        put(p, l->s, l->n);
        put(p, "}", 1);
    }
    put(p, " ", 1);
}

static void sample_i(prom *p, const char *name, const char *suffix, const labels *l, int64_t v) {
    sample_head(p, name, suffix, l);
    char num[24];
    put(p, num, vl_fmt_i64(num, v));
    put(p, "\n", 1);
}

/* The exposition's float syntax: NaN, +Inf, -Inf, or the shortest
 * decimal that reads back as v. */
static void put_double(prom *p, double v) {
    char num[40];
    if (isnan(v)) puts_(p, "NaN");
    else if (isinf(v)) puts_(p, v > 0 ? "+Inf" : "-Inf");
    else put(p, num, vl_fmt_double(num, v));
}

static void sample_d(prom *p, const char *name, const char *suffix, const labels *l, double v) {
    sample_head(p, name, suffix, l);
    put_double(p, v);
    put(p, "\n", 1);
}

/* A family of one unlabelled integer sample. */
static void one_i(prom *p, const char *name, const char *type, const char *help, int64_t v) {
    family(p, name, type, help);
    sample_i(p, name, NULL, NULL, v);
}

/* A family of one unlabelled float sample, left out when NaN. */
static void one_d(prom *p, const char *name, const char *type, const char *help, double v) {
    family(p, name, type, help);
    if (!isnan(v)) sample_d(p, name, NULL, NULL, v);
}

/* One histogram's samples (the family written by the caller). */
static void histo(prom *p, const char *name, const labels *base, const vl_histo_snap *h) {
    labels l;
    char le[40];
    for (uint32_t i = 0; i <= h->n_bounds; i++) {
        l = base ? *base : (labels){{0}, 0};
        if (i < h->n_bounds) {
            double b = (double)h->bounds[i] / (double)h->unit; /* exact integers: correctly rounded */
            le[vl_fmt_double(le, b)] = 0;
            lb_add(&l, "le", le);
        } else {
            lb_add(&l, "le", "+Inf");
        }
        sample_i(p, name, "_bucket", &l, h->cum[i]);
    }
    if (h->unit == 1) sample_i(p, name, "_sum", base, h->sum);
    else sample_d(p, name, "_sum", base, (double)h->sum / (double)h->unit);
    sample_i(p, name, "_count", base, h->cum[h->n_bounds]);
}

static void one_histo(prom *p, const char *name, const char *help, const vl_histo_snap *h) {
    family(p, name, "histogram", help);
    histo(p, name, NULL, h);
}

/* ------------------------------------------------------------- the process */

static double proc_start_s = NAN;
static pthread_once_t proc_start_once = PTHREAD_ONCE_INIT;

/* The process's start: boot time (/proc/stat btime) plus its start time in
 * clock ticks after boot (/proc/self/stat field 22). Once per process. */
static void read_proc_start(void) {
    long hz = sysconf(_SC_CLK_TCK);
    char buf[4096];
    long long btime = -1, ticks = -1;
    FILE *f = fopen("/proc/stat", "r");
    if (f) {
        while (fgets(buf, sizeof(buf), f))
            if (sscanf(buf, "btime %lld", &btime) == 1) break;
        fclose(f);
    }
    f = fopen("/proc/self/stat", "r");
    if (f) {
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        buf[n] = 0;
        fclose(f);
        /* the command name (field 2) may hold spaces and parentheses: count
         * fields from the last ')' on, which ends it; field 3 follows */
        const char *q = strrchr(buf, ')');
        for (int field = 2; q && field < 22; field++) {
            q = strchr(q + 1, ' ');
            if (q && field == 21) ticks = strtoll(q + 1, NULL, 10);
        }
    }
    if (hz > 0 && btime > 0 && ticks >= 0) proc_start_s = (double)btime + (double)ticks / (double)hz;
}

static void process_metrics(prom *p) {
    long page = sysconf(_SC_PAGESIZE);
    long long vsz = -1, rss = -1;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%lld %lld", &vsz, &rss) != 2) vsz = rss = -1;
        fclose(f);
    }
    if (rss >= 0 && page > 0) {
        one_i(p, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes (/proc/self/statm).",
              (int64_t)rss * page);
        one_i(p, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes (/proc/self/statm).",
              (int64_t)vsz * page);
    }
    pthread_once(&proc_start_once, read_proc_start);
    if (!isnan(proc_start_s))
        one_d(p, "process_start_time_seconds", "gauge", "Start time of the process since the Unix epoch in seconds.",
              proc_start_s);
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0)
        one_d(p, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.",
              (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
    DIR *d = opendir("/proc/self/fd");
    if (d) {
        int64_t n = 0;
        for (struct dirent *e; (e = readdir(d));)
            if (e->d_name[0] != '.') n++;
        closedir(d);
        one_i(p, "process_open_fds", "gauge", "Number of open file descriptors.", n - 1 /* the listing's own */);
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        one_i(p, "process_max_fds", "gauge", "Maximum number of open file descriptors.", (int64_t)rl.rlim_cur);
}

/* ------------------------------------------------------------- the sources */

static const char *const table_names[2] = {"events", "dead_letters"};

/* vidlake_bronze_file_rows and _bytes: the collector's and the Kafka
 * member's sinks, labelled by source and table. */
static void file_histos(prom *p, const vl_collector_stats *cs, const vl_kafka_metrics_snap *ks) {
    for (int which = 0; which < 2; which++) {
        const char *name = which ? "vidlake_bronze_file_bytes" : "vidlake_bronze_file_rows";
        family(p, name, "histogram",
               which ? "Bytes per Parquet data file committed to bronze (by the source's sink and table)."
                     : "Rows per Parquet data file committed to bronze (by the source's sink and table).");
        for (int src = 0; src < 2; src++) {
            const vl_histo_snap *h = NULL;
            for (int t = 0; t < 2; t++) {
                if (src == 0 && cs) h = which ? &cs->file_bytes[t] : &cs->file_rows[t];
                else if (src == 1 && ks) h = which ? &ks->file_bytes[t] : &ks->file_rows[t];
                else continue;
                labels l;
                lb_clear(&l);
                lb_add(&l, "source", src ? "kafka" : "http");
                lb_add(&l, "table", table_names[t]);
                histo(p, name, &l, h);
            }
        }
    }
}

static void collector_metrics(prom *p, vl_server *s, const vl_collector_stats *st) {
    labels l;
    one_i(p, "vidlake_http_event_requests_total", "counter", "POST /v1/events requests received.", st->requests);
    one_i(p, "vidlake_http_event_bytes_total", "counter", "Request body bytes received on /v1/events, as sent.",
          st->bytes_in);
    one_i(p, "vidlake_http_shed_total", "counter", "Requests refused with 503 (back-pressure, shutdown, a failed WAL).",
          st->shed);
    one_i(p, "vidlake_http_too_large_total", "counter", "Requests refused with 413.",
          st->too_large + vl_http_too_large(s->http));
    one_i(p, "vidlake_http_bad_requests_total", "counter", "Requests refused with 400 or 415.", st->bad_requests);
    one_histo(p, "vidlake_http_request_events", "Events per acknowledged POST /v1/events request (the batch size).",
              &st->request_events);
    one_i(p, "vidlake_events_received_total", "counter",
          "Events validated by the collector, whether or not their request was then acknowledged.", st->received);
    one_i(p, "vidlake_events_accepted_total", "counter", "Valid events acknowledged (durable in the WAL).",
          st->accepted);
    family(p, "vidlake_events_rejected_total", "counter",
           "Invalid events acknowledged (durable in the WAL, bound for bronze/dead_letters), by the validator's reason.");
    for (int r = 1; r < VL_RJ_COUNT; r++) { /* 0 is "none" */
        lb_clear(&l);
        lb_add(&l, "reason", vl_reject_reason_name((vl_reject_reason)r));
        sample_i(p, "vidlake_events_rejected_total", NULL, &l, st->rejected_by[r]);
    }
    char why[300];
    one_i(p, "vidlake_pipeline_ready", "gauge",
          "1 while POST /v1/events is taken (not shutting down, the WAL writable, the backlog under its limit).",
          vl_collector_ready(s->collector, why, sizeof(why)) ? 1 : 0);
    one_i(p, "vidlake_pipeline_queue_bytes", "gauge",
          "Durable WAL bytes delivered to the pipeline and not yet decoded into the bronze sink.", st->queued_bytes);
    one_i(p, "vidlake_pipeline_queue_records", "gauge",
          "WAL records (one per acknowledged request) durable but not yet committed to bronze.", st->queued_records);
    one_i(p, "vidlake_pipeline_max_backlog_bytes", "gauge",
          "Bytes waiting for the pipeline and the WAL write above which requests get 503 (--max-backlog).",
          st->max_backlog);
    one_i(p, "vidlake_bronze_commits_total", "counter", "Delta commits of the collector's pipeline.", st->commits);
    one_i(p, "vidlake_bronze_commit_failures_total", "counter",
          "Failed commits of the collector's pipeline (replayed from the WAL and retried).", st->commit_failures);
    one_i(p, "vidlake_bronze_commit_conflicts_total", "counter",
          "Failed commits that lost to another writer (a conflicting commit, or too many races lost).",
          st->commit_conflicts);
    one_i(p, "vidlake_bronze_commit_retries_total", "counter",
          "Commits attempted again after a failure (the pipeline replays the WAL and commits with growing pauses).",
          st->commit_retries);
    one_histo(p, "vidlake_bronze_commit_duration_seconds",
              "Duration of the collector pipeline's successful commits (data files closed, both tables committed).",
              &st->commit_us);
    one_d(p, "vidlake_bronze_last_commit_timestamp_seconds", "gauge",
          "Unix time of the collector pipeline's last successful commit (of its start before the first one).",
          (double)st->last_commit_unix_us / 1e6);
    one_i(p, "vidlake_bronze_events_committed_total", "counter", "Events committed to bronze/events by the collector.",
          st->events_committed);
    one_i(p, "vidlake_bronze_dead_letters_committed_total", "counter",
          "Records committed to bronze/dead_letters by the collector.", st->dead_letters_committed);
    one_i(p, "vidlake_bronze_optimizes_total", "counter", "Background compactions of bronze committed.",
          st->optimizes);
    one_i(p, "vidlake_bronze_files_compacted_total", "counter", "Small bronze files replaced by compaction.",
          st->files_compacted);
    const vl_wal_stats *w = &st->wal;
    one_i(p, "vidlake_wal_durable_lsn", "gauge", "Highest WAL LSN fsync'd (acknowledged).", w->durable_lsn);
    one_i(p, "vidlake_wal_committed_lsn", "gauge", "Highest WAL LSN committed to bronze.", st->committed_lsn);
    one_i(p, "vidlake_wal_records_total", "counter", "Records appended to the WAL.", w->records);
    one_i(p, "vidlake_wal_bytes_total", "counter", "Bytes written to the WAL.", w->bytes);
    one_i(p, "vidlake_wal_fsyncs_total", "counter", "WAL fdatasync calls (one per group commit).", w->fsyncs);
    one_histo(p, "vidlake_wal_fsync_duration_seconds", "Duration of each WAL group write and fdatasync.",
              &w->fsync_us);
    one_i(p, "vidlake_wal_buffered_bytes", "gauge", "Bytes appended to the WAL and not yet durable.",
          w->buffered_bytes);
    one_i(p, "vidlake_wal_segments", "gauge", "WAL segment files on disk.", w->segments);
    one_i(p, "vidlake_wal_failed", "gauge", "1 after a WAL write or fsync failed (the collector refuses events).",
          w->failed ? 1 : 0);
}

static void rt_metrics(prom *p, vl_rt *rt, int64_t dropped) {
    vl_rt_stats st;
    vl_rt_get_stats(rt, &st);
    one_d(p, "vidlake_rt_concurrent_plays", "gauge",
          "Views playing now (reached their first frame, not ended), as of the latest event time.",
          st.concurrent_plays);
    one_d(p, "vidlake_rt_plays_per_minute", "gauge", "Views that reached their first frame in the last minute.",
          st.plays_per_min);
    one_d(p, "vidlake_rt_rebuffering_ratio", "gauge",
          "Stall time after the first frame over watch plus stall time, last minute (absent without watch time).",
          st.rebuffering_ratio);
    one_d(p, "vidlake_rt_video_start_failure_ratio", "gauge",
          "Views that failed fatally before their first frame over attempts, last minute (absent without attempts).",
          st.vsf_rate);
    one_i(p, "vidlake_rt_events_total", "counter", "Events counted by the real-time engine.", st.events);
    one_i(p, "vidlake_rt_late_events_total", "counter",
          "Events older than the watermark, left to the batch layer.", st.late_events);
    one_i(p, "vidlake_rt_duplicate_events_total", "counter",
          "Events whose event_id their view had already sent (not counted again).", st.duplicates);
    one_i(p, "vidlake_rt_dropped_events_total", "counter",
          "Valid events the real-time engine could not take (out of memory).", dropped);
    one_i(p, "vidlake_rt_views_tracked", "gauge", "Views the engine holds state for.", st.views_tracked);
    one_i(p, "vidlake_rt_views_timed_out_total", "counter", "Views ended by the view timeout (no event for 10 minutes).",
          st.views_timed_out);
    one_i(p, "vidlake_rt_contents_tracked", "gauge", "Content items the engine holds counters for.",
          st.contents_tracked);
    one_i(p, "vidlake_rt_memory_bytes", "gauge", "Memory held by the real-time engine.", st.memory_bytes);
    one_d(p, "vidlake_rt_latest_event_timestamp_seconds", "gauge",
          "The engine's now: the latest event time seen, never ahead of the wall clock (absent before an event).",
          st.now_us ? (double)st.now_us / 1e6 : NAN);
}

static void kafka_metrics(prom *p, const vl_kafka_metrics_snap *k) {
    labels t, l;
    lb_clear(&t);
    lb_add(&t, "topic", k->topic);
    family(p, "vidlake_kafka_lag", "gauge",
           "Records of a partition not yet read by this member: high watermark (as of the last fetch) minus the next "
           "offset to read.");
    for (size_t i = 0; i < k->n_parts; i++) {
        if (k->parts[i].lag < 0) continue; /* no fetch response yet */
        l = t;
        lb_add_i64(&l, "partition", k->parts[i].partition);
        sample_i(p, "vidlake_kafka_lag", NULL, &l, k->parts[i].lag);
    }
    family(p, "vidlake_kafka_high_watermark", "gauge",
           "A partition's high watermark (the offset after its last record), as of the last fetch response.");
    for (size_t i = 0; i < k->n_parts; i++) {
        if (k->parts[i].high_watermark < 0) continue;
        l = t;
        lb_add_i64(&l, "partition", k->parts[i].partition);
        sample_i(p, "vidlake_kafka_high_watermark", NULL, &l, k->parts[i].high_watermark);
    }
    family(p, "vidlake_kafka_partitions_assigned", "gauge", "Partitions of the topic assigned to this member.");
    sample_i(p, "vidlake_kafka_partitions_assigned", NULL, &t, (int64_t)k->n_parts);
    static const struct {
        const char *name, *help;
        size_t off;
    } counters[] = {
        {"vidlake_kafka_records_total", "Records read from the topic (read again after a lost commit too).",
         offsetof(vl_kafka_ingest_stats, records)},
        {"vidlake_kafka_record_bytes_total", "Value bytes of the records read.",
         offsetof(vl_kafka_ingest_stats, record_bytes)},
        {"vidlake_kafka_records_skipped_total", "Records read that the tables already held.",
         offsetof(vl_kafka_ingest_stats, skipped)},
        {"vidlake_kafka_records_dropped_total", "Records read but dropped uncommitted (a rebalance, a lost commit), "
                                                "to be read again.",
         offsetof(vl_kafka_ingest_stats, dropped)},
        {"vidlake_kafka_events_committed_total", "Events committed to bronze/events from the topic.",
         offsetof(vl_kafka_ingest_stats, events)},
        {"vidlake_kafka_dead_letters_committed_total", "Records committed to bronze/dead_letters from the topic.",
         offsetof(vl_kafka_ingest_stats, dead_letters)},
        {"vidlake_kafka_commits_total", "Delta commits of the Kafka member (each table's).",
         offsetof(vl_kafka_ingest_stats, commits)},
        {"vidlake_kafka_commit_conflicts_total", "Commits lost to another group member (redone from the tables).",
         offsetof(vl_kafka_ingest_stats, conflicts)},
        {"vidlake_kafka_assignments_total", "Partition assignments received.",
         offsetof(vl_kafka_ingest_stats, assignments)},
        {"vidlake_kafka_store_retries_total", "Commits (or position reads) the lake's store failed, retried after a pause.",
         offsetof(vl_kafka_ingest_stats, store_retries)},
    };
    for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
        int64_t v;
        memcpy(&v, (const char *)&k->st + counters[i].off, sizeof(v));
        family(p, counters[i].name, "counter", counters[i].help);
        sample_i(p, counters[i].name, NULL, &t, v);
    }
    family(p, "vidlake_kafka_records_rejected_total", "counter",
           "Invalid records read (bound for bronze/dead_letters), by the validator's reason.");
    for (int r = 1; r < VL_RJ_COUNT; r++) {
        l = t;
        lb_add(&l, "reason", vl_reject_reason_name((vl_reject_reason)r));
        sample_i(p, "vidlake_kafka_records_rejected_total", NULL, &l, k->rejected_by[r]);
    }
    family(p, "vidlake_kafka_commit_duration_seconds", "histogram",
           "Duration of the Kafka member's successful Delta commits (both tables).");
    histo(p, "vidlake_kafka_commit_duration_seconds", &t, &k->commit_us);
}

void vl_server_metrics(vl_server *s, vl_http_resp *resp) {
    resp->status = 200;
    resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
    vl_buf *b = &resp->body;
    vl_buf_clear(b);
    prom p = {b, VL_OK};

    vl_collector_stats *cs = NULL;
    vl_kafka_metrics_snap ks;
    memset(&ks, 0, sizeof(ks));
    bool have_kafka = false;
    vl_kafka_metrics *km = atomic_load(&s->kafka);
    if (s->collector && !(cs = vl_malloc(sizeof(*cs)))) p.rc = VL_ENOMEM; /* 2-3 KiB: not on the stack */
    if (cs) vl_collector_get_stats(s->collector, cs);
    if (km && vl_kafka_metrics_read(km, &ks, NULL) == VL_OK) have_kafka = ks.topic[0] != 0;

    process_metrics(&p);
    family(&p, "vidlake_build_info", "gauge", "Always 1; the version of vidlake serving.");
    labels l;
    lb_clear(&l);
    lb_add(&l, "version", VL_VERSION);
    sample_i(&p, "vidlake_build_info", NULL, &l, 1);
    one_d(&p, "vidlake_uptime_seconds", "gauge", "Seconds since the server started.",
          (double)(vl_mono_us() - s->started_us) / 1e6);
    if (cs) collector_metrics(&p, s, cs);
    if (cs || have_kafka) file_histos(&p, cs, have_kafka ? &ks : NULL);
    if (s->rt) rt_metrics(&p, s->rt, (cs ? cs->rt_dropped : 0) + (have_kafka ? ks.rt_dropped : 0));
    if (have_kafka) kafka_metrics(&p, &ks);

    vl_kafka_metrics_snap_free(&ks);
    vl_free(cs);
    if (p.rc != VL_OK) {
        resp->status = 503;
        resp->retry_after = 1;
        resp->content_type = NULL;
        vl_json_error_doc(b, "out of memory writing /metrics");
    }
}
