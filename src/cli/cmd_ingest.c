/* vidlake - Apache-2.0 */
/*
 * vidlake ingest --lake LAKE --from FILE|-|kafka://BROKERS/TOPIC: loads
 * NDJSON events into the lake's bronze tables (valid events into
 * bronze/events, rejected records into bronze/dead_letters).
 *
 * A file is loaded exactly once: every commit records, in both tables, the
 * byte offset it reached under the appId "file:<absolute path>" (or the
 * --source-id given), and a later run of the same source starts from there
 * (each table skips what it already holds). Standard input resumes only
 * with --source-id. It commits every --commit-rows records and at the end.
 *
 * A Kafka topic is read as a member of consumer group --group, exactly once
 * per partition through the same txn scheme (src/ingest/ingest_kafka.c),
 * until SIGINT/SIGTERM, or with --until-end up to the end the topic had.
 */
#include "cli.h"
#include "ingest/ingest.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: vidlake ingest --lake LAKE --from FILE|- [--source-id ID] [--commit-rows N] [--batch-rows N]\n"
    "       vidlake ingest --lake LAKE --from kafka://BROKERS/TOPIC --group GROUP [-X KEY=VALUE]...\n"
    "                      [--until-end] [--commit-interval DURATION] [--target-file-size BYTES]\n"
    "                      [--app NAME] [--max-pending BYTES] [--batch-rows N] [--store-retry DURATION]\n"
    "\n"
    "Loads NDJSON events into LAKE/bronze/events (partitioned by event_date) and the\n"
    "records that fail validation, with their reasons, into LAKE/bronze/dead_letters.\n"
    "\n"
    "From a file or - (standard input), one event per line: a commit happens every\n"
    "--commit-rows records (default 1000000) and at the end. Loading the same file\n"
    "again (or the same --source-id) resumes where the last commit stopped: nothing\n"
    "is loaded twice.\n"
    "\n"
    "From Kafka (BROKERS is host:port[,host:port...]), one event per record, as a\n"
    "member of consumer group GROUP: run several to share the partitions. Exactly\n"
    "once: each commit records every partition's last offset in both tables (appId\n"
    "<app>-<topic>-<partition>), and reading resumes from there; Kafka's committed\n"
    "offsets follow, for lag tools. Runs until SIGINT/SIGTERM (commits what it read,\n"
    "leaves the group, exits 0).\n"
    "  --group GROUP              the consumer group (required)\n"
    "  -X KEY=VALUE               a librdkafka consumer property (repeatable), e.g.\n"
    "                             -X session.timeout.ms=10000\n"
    "  --until-end                exit 0 once the partitions assigned are read up to\n"
    "                             where they ended at start-up, and committed\n"
    "  --commit-interval DURATION commit pending records at least this often (1s)\n"
    "  --target-file-size BYTES   commit once this many record bytes are pending (128MiB)\n"
    "  --app NAME                 the appId prefix (default: the group)\n"
    "  --max-pending BYTES        when a commit must wait for partitions replaying a\n"
    "                             partly committed range, pause the others past this\n"
    "                             many pending bytes (default: twice --target-file-size)\n"
    "  --store-retry DURATION     when the lake's store fails a commit (S3 down), drop\n"
    "                             what was pending, pause, and read it again; give up\n"
    "                             after failures for this long (10m; 0: at the first)\n"
    "See docs/ingest.md.\n";

enum {
    O_LAKE,
    O_FROM,
    O_SOURCE_ID,
    O_COMMIT_ROWS,
    O_BATCH_ROWS,
    O_GROUP,
    O_X,
    O_UNTIL_END,
    O_COMMIT_INTERVAL,
    O_TARGET_SIZE,
    O_APP,
    O_MAX_PENDING,
    O_STORE_RETRY,
};
static const vl_opt opts[] = {
    [O_LAKE] = {"lake", true},
    [O_FROM] = {"from", true},
    [O_SOURCE_ID] = {"source-id", true},
    [O_COMMIT_ROWS] = {"commit-rows", true},
    [O_BATCH_ROWS] = {"batch-rows", true},
    [O_GROUP] = {"group", true},
    [O_X] = {"X", true},
    [O_UNTIL_END] = {"until-end", false},
    [O_COMMIT_INTERVAL] = {"commit-interval", true},
    [O_TARGET_SIZE] = {"target-file-size", true},
    [O_APP] = {"app", true},
    [O_MAX_PENDING] = {"max-pending", true},
    [O_STORE_RETRY] = {"store-retry", true},
    {NULL, false},
};

#define CMD "ingest"

/* The lines in the first n bytes of fd (read from its start), so that a
 * resumed load numbers lines as a full one would. */
static int count_lines(int fd, int64_t n, int64_t *lines) {
    char buf[1 << 16];
    int64_t done = 0, count = 0;
    if (lseek(fd, 0, SEEK_SET) != 0) return -1;
    while (done < n) {
        size_t want = (size_t)(n - done < (int64_t)sizeof(buf) ? n - done : (int64_t)sizeof(buf));
        ssize_t r = read(fd, buf, want);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        for (const char *p = buf, *e = buf + r; (p = memchr(p, '\n', (size_t)(e - p))) != NULL; p++) count++;
        done += r;
    }
    *lines = count;
    return 0;
}

/* Commits what is pending with the source position pos, checking that each
 * table still holds the position this run resumed from or last committed. */
static int commit(vl_bronze *b, const char *app_id, int64_t pos, int64_t *done_events, int64_t *done_dead,
                  vl_bronze_stats *st, vl_error *err) {
    vl_bronze_pos p = {app_id, pos, *done_events, *done_dead};
    int rc = vl_bronze_commit(b, &p, app_id ? 1 : 0, st, err);
    if (rc == VL_OK) *done_events = *done_dead = pos;
    return rc;
}


/* The options, parsed; which were given decides what applies. */
typedef struct ingest_args {
    const char *lake, *from, *source_id, *group, *app;
    int64_t commit_rows, batch_rows, commit_interval_us, target_bytes, max_pending, store_retry_us;
    bool until_end;
    vl_cli_props props;
    bool given[O_STORE_RETRY + 1];
} ingest_args;

static _Atomic bool stop_flag;

static void on_signal(int sig) {
    (void)sig;
    /* a second signal: leave now (everything committed is safe; the rest
     * is read again by the next run) */
    if (atomic_exchange(&stop_flag, true)) _exit(130);
}

static int ingest_kafka(const ingest_args *a) {
    if (a->given[O_SOURCE_ID] || a->given[O_COMMIT_ROWS]) {
        vl_cli_err(CMD, "--%s applies to files; a Kafka source commits by --commit-interval and --target-file-size",
                   a->given[O_SOURCE_ID] ? "source-id" : "commit-rows");
        return 2;
    }
    if (!a->group) {
        vl_cli_err(CMD, "--from %s needs --group GROUP (the Kafka consumer group)", a->from);
        return 2;
    }
    vl_error err;
    char *brokers = NULL, *topic = NULL;
    if (vl_kafka_url_parse(a->from, &brokers, &topic, &err) != VL_OK) {
        vl_cli_err(CMD, "--from %s", err.msg);
        return 2;
    }
    vl_store *store = NULL;
    if (vl_store_open(a->lake, &store, &err) != VL_OK) {
        vl_cli_err(CMD, "%s: %s", a->lake, err.msg);
        vl_free(brokers);
        vl_free(topic);
        return 2;
    }
    vl_kafka_ingest_opts o = {
        .brokers = brokers,
        .topic = topic,
        .group = a->group,
        .app = a->app,
        .props = a->props.kv,
        .n_props = a->props.n,
        .commit_interval_us = a->commit_interval_us,
        .target_file_bytes = a->target_bytes,
        .max_pending_bytes = a->max_pending,
        .store_retry_us = a->given[O_STORE_RETRY] && a->store_retry_us == 0 ? -1 : a->store_retry_us,
        .batch_rows = (size_t)a->batch_rows,
        .until_end = a->until_end,
        .stop = &stop_flag,
    };
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    vl_kafka_ingest_stats st;
    int64_t t0 = vl_mono_us();
    int rc = vl_kafka_ingest_run(store, &o, &st, &err);
    double secs = (double)(vl_mono_us() - t0) / 1e6;
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (rc != VL_OK) {
        vl_cli_err(CMD, "%s", err.msg);
    } else {
        fprintf(stderr,
                "ingest: %lld events into bronze/events, %lld into bronze/dead_letters (%lld commits), %.2f s, "
                "%.0f events/s, %.0f MB/s%s\n",
                (long long)st.events, (long long)st.dead_letters, (long long)st.commits, secs,
                secs > 0 ? (double)(st.events + st.dead_letters) / secs : 0.0,
                secs > 0 ? (double)st.record_bytes / 1e6 / secs : 0.0,
                st.skipped ? " (some records were already committed)" : "");
        fprintf(stderr,
                "ingest: %s: %lld records read (%lld already in the tables), %lld dropped uncommitted to be read "
                "again, %lld commits lost to another member, %lld assignments, %lld store failures retried\n",
                a->from, (long long)st.records, (long long)st.skipped, (long long)st.dropped, (long long)st.conflicts,
                (long long)st.assignments, (long long)st.store_retries);
    }
    vl_store_close(store);
    vl_free(brokers);
    vl_free(topic);
    return rc == VL_OK ? 0 : 2;
}

static int ingest_file(const ingest_args *a);

int vl_cmd_ingest(int argc, char **argv) {
    ingest_args a;
    memset(&a, 0, sizeof(a));
    a.commit_rows = 1000000;
    vl_optparse op;
    vl_optparse_init(&op, CMD, argc, argv);
    const char *val;
    int k;
    vl_error err;
    while ((k = vl_optparse_next(&op, opts, &val)) != -1) {
        if (k == -4) {
            fputs(usage_text, stdout);
            return 0;
        }
        if (k == -3) return 2;
        if (k == -2) {
            vl_cli_err(CMD, "unexpected argument '%s' (use --from)", val);
            return 2;
        }
        a.given[k] = true;
        int prc = VL_OK;
        switch (k) {
        case O_LAKE: a.lake = val; break;
        case O_FROM: a.from = val; break;
        case O_SOURCE_ID: a.source_id = val; break;
        case O_GROUP: a.group = val; break;
        case O_APP: a.app = val; break;
        case O_UNTIL_END: a.until_end = true; break;
        case O_COMMIT_ROWS: prc = vl_parse_count(val, &a.commit_rows, &err); break;
        case O_BATCH_ROWS: prc = vl_parse_count(val, &a.batch_rows, &err); break;
        case O_COMMIT_INTERVAL:
            prc = vl_parse_duration_us(val, &a.commit_interval_us, &err);
            if (prc == VL_OK && a.commit_interval_us < 1000)
                prc = vl_error_set(&err, VL_EINVAL, "'%s' is shorter than 1ms", val);
            break;
        case O_STORE_RETRY: prc = vl_parse_duration_us(val, &a.store_retry_us, &err); break;
        case O_TARGET_SIZE:
        case O_MAX_PENDING:
            prc = vl_parse_bytes(val, k == O_TARGET_SIZE ? &a.target_bytes : &a.max_pending, &err);
            if (prc == VL_OK && (k == O_TARGET_SIZE ? a.target_bytes : a.max_pending) < 1)
                prc = vl_error_set(&err, VL_EINVAL, "'%s' is not a positive size", val);
            break;
        case O_X:
            if (vl_cli_props_add(&a.props, CMD, val) != 0) return 2;
            break;
        }
        if (prc != VL_OK) {
            vl_cli_err(CMD, "--%s: %s", opts[k].name, err.msg);
            return 2;
        }
    }
    if (!a.lake || !a.from) {
        vl_cli_err(CMD, "--lake and --from are required (see vidlake ingest --help)");
        return 2;
    }
    if (strncmp(a.from, "kafka://", 8) == 0) return ingest_kafka(&a);
    static const int kafka_only[] = {O_GROUP,  O_X,           O_UNTIL_END, O_COMMIT_INTERVAL,
                                     O_TARGET_SIZE, O_APP, O_MAX_PENDING, O_STORE_RETRY};
    for (size_t i = 0; i < sizeof(kafka_only) / sizeof(kafka_only[0]); i++)
        if (a.given[kafka_only[i]]) {
            vl_cli_err(CMD, "%s%s applies to kafka:// sources only", kafka_only[i] == O_X ? "-" : "--",
                       opts[kafka_only[i]].name);
            return 2;
        }
    return ingest_file(&a);
}

/* --from FILE or -. */
static int ingest_file(const ingest_args *a) {
    const char *lake = a->lake, *from = a->from, *source_id = a->source_id;
    int64_t commit_rows = a->commit_rows, batch_rows = a->batch_rows;
    vl_error err;
    if (commit_rows < 1) commit_rows = 1;
    bool is_stdin = strcmp(from, "-") == 0;
    char app[PATH_MAX + 16];
    const char *app_id = NULL;
    if (source_id) {
        app_id = source_id;
    } else if (!is_stdin) {
        char real[PATH_MAX];
        if (!realpath(from, real)) {
            vl_cli_err(CMD, "cannot open %s: %s", from, strerror(errno));
            return 2;
        }
        snprintf(app, sizeof(app), "file:%s", real);
        app_id = app;
    }
    int fd = is_stdin ? 0 : open(from, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        vl_cli_err(CMD, "cannot open %s: %s", from, strerror(errno));
        return 2;
    }
    vl_store *store = NULL;
    vl_bronze *b = NULL;
    if (vl_store_open(lake, &store, &err) != VL_OK || vl_bronze_open(store, (size_t)batch_rows, &b, &err) != VL_OK) {
        vl_cli_err(CMD, "%s: %s", lake, err.msg);
        vl_store_close(store);
        if (!is_stdin) close(fd);
        return 2;
    }
    /* where each table stopped: byte offsets of the source */
    int64_t done_events = -1, done_dead = -1, start = 0, line_base = 0;
    int rc = 0;
    if (app_id) {
        done_events = vl_bronze_app_version(b, false, app_id, &err);
        done_dead = done_events >= -1 ? vl_bronze_app_version(b, true, app_id, &err) : -2;
        if (done_events < -1 || done_dead < -1) {
            vl_cli_err(CMD, "%s: %s", lake, err.msg);
            rc = 2;
        }
        start = done_events < done_dead ? done_events : done_dead;
        if (start < 0) start = 0;
        if (rc == 0 && start > 0) {
            if (is_stdin) {
                vl_cli_err(CMD, "source '%s' already committed %lld bytes; stdin cannot skip them", app_id,
                           (long long)start);
                rc = 2;
            } else if (count_lines(fd, start, &line_base) != 0 || lseek(fd, start, SEEK_SET) != start) {
                vl_cli_err(CMD, "%s: cannot seek to byte %lld: %s", from, (long long)start, strerror(errno));
                rc = 2;
            } else {
                fprintf(stderr, "ingest: %s: resuming at byte %lld (already committed)\n", from, (long long)start);
            }
        }
    }
    vl_ndjson_reader rd;
    bool reader = false;
    if (rc == 0) {
        if (vl_ndjson_reader_init(&rd, fd, VL_EVENT_MAX_BYTES, &err) != VL_OK) {
            vl_cli_err(CMD, "%s", err.msg);
            rc = 2;
        } else {
            reader = true;
        }
    }
    vl_decoder dec;
    vl_decoder_init(&dec);
    vl_arena scratch;
    vl_arena_init(&scratch, 1 << 16);
    vl_bronze_stats st = {0};
    int64_t t0 = vl_mono_us(), since_commit = 0, pos = start, skipped = 0;
    const char *source = is_stdin ? "stdin" : from;
    vl_progress pg;
    struct stat sb;
    vl_progress_start(&pg, "ingest", "bytes", !is_stdin && fstat(fd, &sb) == 0 ? (uint64_t)sb.st_size : 0);
    vl_sv line;
    bool too_large;
    int r = 0;
    while (rc == 0 && (r = vl_ndjson_next(&rd, &line, &too_large, &err)) == 1) {
        pos = start + (int64_t)rd.bytes;
        int64_t line_no = line_base + (int64_t)rd.line_no;
        vl_event ev;
        vl_reject rj;
        int drc;
        if (too_large) {
            memset(&rj, 0, sizeof(rj));
            rj.reason = VL_RJ_TOO_LARGE;
            rj.field = -1;
            drc = VL_EINVAL;
        } else {
            size_t i = 0;
            while (i < line.n && (line.p[i] == ' ' || line.p[i] == '\t' || line.p[i] == '\r')) i++;
            if (i == line.n) continue;
            vl_arena_reset(&scratch);
            drc = vl_decoder_decode(&dec, line.p, line.n, &ev, &scratch, &rj);
        }
        int64_t now = vl_now_us();
        int arc = VL_OK;
        if (drc == VL_OK) {
            if (pos > done_events) arc = vl_bronze_add_event(b, &ev, now, &err);
            else skipped++;
        } else if (drc == VL_EINVAL) {
            if (pos > done_dead) arc = vl_bronze_add_reject(b, line.p, line.n, &rj, source, line_no, now, &err);
            else skipped++;
        } else {
            arc = vl_error_set(&err, VL_ENOMEM, "out of memory decoding line %llu", (unsigned long long)rd.line_no);
        }
        if (arc != VL_OK) {
            vl_cli_err(CMD, "%s", err.msg);
            rc = 2;
            break;
        }
        /* not before both tables are passed: a table that is ahead (a crash
         * between the two commits) must never have its position taken back */
        if (++since_commit >= commit_rows && pos >= done_events && pos >= done_dead) {
            if (commit(b, app_id, pos, &done_events, &done_dead, &st, &err) != VL_OK) {
                vl_cli_err(CMD, "commit: %s", err.msg);
                rc = 2;
                break;
            }
            since_commit = 0;
        }
        vl_progress_set(&pg, (uint64_t)pos);
    }
    if (rc == 0 && r < 0) {
        vl_cli_err(CMD, "%s: %s", source, err.msg);
        rc = 2;
    }
    /* the end: what is pending, or a position a table does not hold yet
     * (nothing when the last periodic commit was at the end already) */
    if (rc == 0 && (vl_bronze_pending(b) || (app_id && (pos > done_events || pos > done_dead))) &&
        commit(b, app_id, pos, &done_events, &done_dead, &st, &err) != VL_OK) {
        vl_cli_err(CMD, "commit: %s", err.msg);
        rc = 2;
    }
    vl_progress_finish(&pg);
    double secs = (double)(vl_mono_us() - t0) / 1e6;
    if (rc == 0) {
        double mb = (double)(pos - start) / 1e6;
        fprintf(stderr,
                "ingest: %lld events into bronze/events, %lld into bronze/dead_letters (%lld commits), %.2f s, "
                "%.0f events/s, %.0f MB/s%s\n",
                (long long)st.events, (long long)st.dead_letters, (long long)(st.event_commits + st.dead_commits),
                secs, secs > 0 ? (double)(st.events + st.dead_letters) / secs : 0.0, secs > 0 ? mb / secs : 0.0,
                skipped ? " (some records were already committed)" : "");
    }
    vl_arena_destroy(&scratch);
    vl_decoder_free(&dec);
    if (reader) vl_ndjson_reader_free(&rd);
    vl_bronze_close(b);
    vl_store_close(store);
    if (!is_stdin) close(fd);
    return rc;
}
