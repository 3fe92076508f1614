/* vidlake - Apache-2.0 */
/*
 * vidlake serve --lake LAKE: the embedded pipeline's server. The HTTP
 * collector (POST /v1/events) writes accepted events to a write-ahead log,
 * answers once they are fsync'd, and its pipeline commits them to
 * LAKE/bronze every --commit-interval. With --kafka, a member of a Kafka
 * consumer group ingests a topic into the same tables on its own thread
 * (vl_kafka_ingest_run), exactly once too. SIGTERM or SIGINT: stop
 * accepting, let the requests in progress finish, commit, leave the group,
 * exit 0.
 *
 * Signals are blocked in every thread and taken by sigwait on the main
 * one, so no handler runs inside library code.
 */
#include "cli.h"
#include "etl/etl.h"
#include "server/server.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CMD "serve"

/* The Kafka member's thread: a failure stops the whole server. */
typedef struct kafka_job {
    vl_store *lake;
    vl_kafka_ingest_opts o;
    _Atomic bool stop;
    int rc;
    vl_error err;
    vl_kafka_ingest_stats st;
} kafka_job;

static void *kafka_main(void *arg) {
    kafka_job *k = arg;
    k->rc = vl_kafka_ingest_run(k->lake, &k->o, &k->st, &k->err);
    if (k->rc != VL_OK) kill(getpid(), SIGTERM); /* wake the main thread: stop everything */
    return NULL;
}

/* The real-time engine's own consumer (--rt-kafka): it stops the server
 * if it fails. */
typedef struct rt_kafka_job {
    vl_kafka_rt_opts o;
    _Atomic bool stop;
    int rc;
    vl_error err;
    vl_kafka_rt_stats st;
} rt_kafka_job;

static void *rt_kafka_main(void *arg) {
    rt_kafka_job *k = arg;
    k->rc = vl_kafka_rt_run(&k->o, &k->st, &k->err);
    if (k->rc != VL_OK) kill(getpid(), SIGTERM);
    return NULL;
}

static const char usage_text[] =
    "usage: vidlake serve --lake LAKE [options]\n"
    "\n"
    "Serves the collector: POST /v1/events takes NDJSON or a JSON array of events\n"
    "(optionally Content-Encoding: gzip) and answers {\"accepted\":N,\"rejected\":M,\n"
    "\"errors\":[...]} once they are durable in the write-ahead log. The pipeline\n"
    "commits them to LAKE/bronze/events and LAKE/bronze/dead_letters exactly once,\n"
    "also across crashes (the WAL is replayed at start-up). When it falls behind,\n"
    "requests get 503 with Retry-After. Every valid event also feeds the real-time\n"
    "engine: the dashboard at /, the JSON API under /api/v1/ (docs/api.md),\n"
    "GET /healthz, /readyz and /metrics (Prometheus).\n"
    "\n"
    "options:\n"
    "  --lake LAKE               the lake directory (created if missing)\n"
    "  --listen ADDR:PORT        where to listen (default 127.0.0.1:8080; port 0 picks one)\n"
    "  --wal DIR                 the write-ahead log (default LAKE/_wal)\n"
    "  --commit-interval DUR     commit at least this often (default 1s)\n"
    "  --target-file-size SIZE   commit once this much input is pending (default 128MiB)\n"
    "  --max-body SIZE           largest request body, also after gunzip (default 32MiB)\n"
    "  --max-event SIZE          largest event: a request holding a larger one gets 413\n"
    "                            (default 1MiB; events over 64KiB are dead letters)\n"
    "  --max-backlog SIZE        bytes waiting for the pipeline before 503 (default 128MiB)\n"
    "  --max-connections N       concurrent connections (default 1024)\n"
    "  --port-file FILE          write the port listened on to FILE once ready\n"
    "  --optimize-interval DUR   compact bronze's small files this often (default 5m; 0: never)\n"
    "  --kafka kafka://BROKERS/TOPIC  also consume this topic into bronze, exactly once\n"
    "  --group G                 its consumer group (required with --kafka)\n"
    "  -X KEY=VALUE              a librdkafka consumer property (repeatable: TLS, SASL...)\n"
    "  --rt-kafka kafka://BROKERS/TOPIC  feed the real-time engine from this topic too,\n"
    "                            writing nothing (when ingest workers elsewhere write the\n"
    "                            lake); it starts each partition --rt-retention back\n"
    "  --rt-group G              the real-time consumer's own group (required with --rt-kafka)\n"
    "  --rt-retention DUR        real-time counters kept per second (default 1h; 60s..24h)\n"
    "  --rt-lateness DUR         events older than now - DUR are late: counted, left to\n"
    "                            the batch layer (default 30s; at most 10m)\n"
    "  --etl-interval DUR        run the batch jobs (vidlake etl run) this often\n"
    "                            (default 60s; 0: never)\n"
    "\n"
    "SIGTERM / SIGINT: stop accepting, commit what was accepted, exit 0.\n";

enum {
    O_LAKE, O_LISTEN, O_WAL, O_INTERVAL, O_OPTIMIZE, O_KAFKA, O_GROUP, O_X,
    O_TARGET, O_MAX_BODY, O_MAX_EVENT, O_BACKLOG, O_CONNS, O_PORT_FILE, O_BATCH, O_RT_RET, O_RT_LATE,
    O_RT_KAFKA, O_RT_GROUP, O_ETL
};
static const vl_opt opts[] = {
    [O_LAKE] = {"lake", true},
    [O_LISTEN] = {"listen", true},
    [O_WAL] = {"wal", true},
    [O_INTERVAL] = {"commit-interval", true},
    [O_OPTIMIZE] = {"optimize-interval", true},
    [O_KAFKA] = {"kafka", true},
    [O_GROUP] = {"group", true},
    [O_X] = {"X", true},
    [O_TARGET] = {"target-file-size", true},
    [O_MAX_BODY] = {"max-body", true},
    [O_MAX_EVENT] = {"max-event", true},
    [O_BACKLOG] = {"max-backlog", true},
    [O_CONNS] = {"max-connections", true},
    [O_PORT_FILE] = {"port-file", true},
    [O_BATCH] = {"batch-rows", true},
    [O_RT_RET] = {"rt-retention", true},
    [O_RT_LATE] = {"rt-lateness", true},
    [O_RT_KAFKA] = {"rt-kafka", true},
    [O_RT_GROUP] = {"rt-group", true},
    [O_ETL] = {"etl-interval", true},
    {NULL, false},
};

/* "ADDR:PORT", "[v6]:PORT" or ":PORT" */
/* The batch jobs on a schedule: every interval (the first one after an
 * interval too), one `vidlake etl run`; a failed run is logged and the
 * next one tries again (a run commits whole jobs or nothing). */
typedef struct etl_sched {
    vl_store *lake;
    int64_t interval_us;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
    atomic_bool stop_flag; /* read by the jobs between them */
} etl_sched;

static void etl_log(void *ctx, const char *line) {
    (void)ctx;
    if (!strstr(line, ": up to date")) fprintf(stderr, "vidlake serve: etl: %s\n", line);
}

static void *etl_main(void *arg) {
    etl_sched *e = arg;
    for (;;) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        int64_t ns = (int64_t)until.tv_nsec + (e->interval_us % 1000000) * 1000;
        until.tv_sec += (time_t)(e->interval_us / 1000000 + ns / 1000000000);
        until.tv_nsec = (long)(ns % 1000000000);
        pthread_mutex_lock(&e->mu);
        while (!e->stop && pthread_cond_timedwait(&e->cv, &e->mu, &until) == 0) {}
        bool stop = e->stop;
        pthread_mutex_unlock(&e->mu);
        if (stop) break;
        vl_etl_opts o = {.log = etl_log, .stop = &e->stop_flag};
        vl_error err = {0};
        if (vl_etl_run(e->lake, &o, NULL, &err) != VL_OK && !atomic_load(&e->stop_flag))
            fprintf(stderr, "vidlake serve: etl: %s (the next run tries again)\n", err.msg);
    }
    return NULL;
}

static int parse_listen(const char *s, char *addr, size_t cap, int *port) {
    const char *colon = strrchr(s, ':');
    if (!colon) return -1;
    const char *a = s, *ae = colon;
    if (*a == '[') {
        a++;
        if (ae <= a || ae[-1] != ']') return -1;
        ae--;
    }
    size_t n = (size_t)(ae - a);
    if (n >= cap) return -1;
    memcpy(addr, a, n);
    addr[n] = 0;
    if (n == 0) snprintf(addr, cap, "127.0.0.1");
    int64_t p;
    if (vl_parse_i64(colon + 1, strlen(colon + 1), &p) != VL_OK || p < 0 || p > 65535) return -1;
    *port = (int)p;
    return 0;
}

int vl_cmd_serve(int argc, char **argv) { return vl_serve_run(argc, argv, NULL); }

int vl_serve_run(int argc, char **argv, const vl_serve_hooks *hooks) {
    const char *lake = NULL, *listen = "127.0.0.1:8080", *wal = NULL, *port_file = NULL;
    const char *kafka = NULL, *group = NULL, *rt_kafka = NULL, *rt_group = NULL;
    vl_cli_props props = {0};
    vl_collector_opts co = {.optimize_interval_us = 300000000};
    vl_rt_opts ro = {0};
    int64_t conns = 0, etl_interval = 60000000;
    vl_optparse op;
    vl_optparse_init(&op, CMD, argc, argv);
    const char *val;
    int k;
    vl_error err;
    while ((k = vl_optparse_next(&op, opts, &val)) != -1) {
        int64_t v = 0;
        int rc = VL_OK;
        switch (k) {
        case -4:
            fputs(usage_text, stdout);
            return 0;
        case -3:
            return 2;
        case -2:
            vl_cli_err(CMD, "unexpected argument '%s'", val);
            return 2;
        case O_LAKE: lake = val; break;
        case O_LISTEN: listen = val; break;
        case O_WAL: wal = val; break;
        case O_PORT_FILE: port_file = val; break;
        case O_KAFKA: kafka = val; break;
        case O_GROUP: group = val; break;
        case O_RT_KAFKA: rt_kafka = val; break;
        case O_RT_GROUP: rt_group = val; break;
        case O_X:
            if (vl_cli_props_add(&props, CMD, val) != 0) return 2;
            break;
        case O_INTERVAL:
            rc = vl_parse_duration_us(val, &v, &err);
            if (rc == VL_OK && v < 1000) rc = vl_error_set(&err, VL_EINVAL, "'%s' is below 1ms", val);
            co.commit_interval_us = v;
            break;
        case O_OPTIMIZE:
            rc = vl_parse_duration_us(val, &v, &err);
            co.optimize_interval_us = v;
            break;
        case O_ETL:
            rc = vl_parse_duration_us(val, &v, &err);
            if (rc == VL_OK && v != 0 && v < 1000000) rc = vl_error_set(&err, VL_EINVAL, "'%s' is below 1s", val);
            etl_interval = v;
            break;
        case O_RT_RET:
        case O_RT_LATE:
            rc = vl_parse_duration_us(val, &v, &err);
            if (rc == VL_OK && v <= 0) rc = vl_error_set(&err, VL_EINVAL, "'%s' is not positive", val);
            if (k == O_RT_RET) ro.retention_us = v;
            else ro.lateness_us = v;
            break;
        case O_TARGET:
        case O_MAX_BODY:
        case O_MAX_EVENT:
        case O_BACKLOG:
            rc = vl_parse_bytes(val, &v, &err);
            if (rc == VL_OK && v < 1024) rc = vl_error_set(&err, VL_EINVAL, "'%s' is below 1KiB", val);
            if (k == O_TARGET) co.target_file_bytes = v;
            else if (k == O_MAX_BODY) co.max_body = (size_t)v;
            else if (k == O_MAX_EVENT) co.max_event = (size_t)v;
            else co.max_backlog = (size_t)v;
            break;
        case O_CONNS:
        case O_BATCH:
            rc = vl_parse_count(val, &v, &err);
            if (rc == VL_OK && (v < 1 || v > 1000000))
                rc = vl_error_set(&err, VL_EINVAL, "'%s' is out of range (1 to 1000000)", val);
            if (k == O_CONNS) conns = v;
            else co.batch_rows = (size_t)v;
            break;
        }
        if (rc != VL_OK) {
            vl_cli_err(CMD, "--%s: %s", opts[k].name, err.msg);
            return 2;
        }
    }
    if (!lake) {
        vl_cli_err(CMD, "--lake is required (see vidlake serve --help)");
        return 2;
    }
    if (kafka && !group) {
        vl_cli_err(CMD, "--kafka needs --group (the consumer group)");
        return 2;
    }
    if (!kafka && group) {
        vl_cli_err(CMD, "--group goes with --kafka");
        return 2;
    }
    if (!kafka && !rt_kafka && props.n) {
        vl_cli_err(CMD, "-X goes with --kafka or --rt-kafka");
        return 2;
    }
    if (!rt_kafka != !rt_group) {
        vl_cli_err(CMD, "--rt-kafka and --rt-group go together");
        return 2;
    }
    char addr[128];
    int port = 0;
    if (parse_listen(listen, addr, sizeof(addr), &port) != 0) {
        vl_cli_err(CMD, "--listen %s: expected ADDR:PORT (e.g. 127.0.0.1:8080, [::1]:8080, :0)", listen);
        return 2;
    }
    char wal_buf[PATH_MAX];
    if (!wal) {
        if (strstr(lake, "://")) {
            vl_cli_err(CMD, "--wal DIR is required when the lake is not a local directory");
            return 2;
        }
        snprintf(wal_buf, sizeof(wal_buf), "%s/_wal", lake);
        wal = wal_buf;
    }
    co.wal_dir = wal;
    char *rt_brokers = NULL, *rt_topic = NULL;
    if (rt_kafka && vl_kafka_url_parse(rt_kafka, &rt_brokers, &rt_topic, &err) != VL_OK) {
        vl_cli_err(CMD, "--rt-kafka: %s", err.msg);
        return 2;
    }
    char *brokers = NULL, *topic = NULL;
    if (kafka && vl_kafka_url_parse(kafka, &brokers, &topic, &err) != VL_OK) {
        vl_cli_err(CMD, "--kafka: %s", err.msg);
        vl_free(rt_brokers);
        vl_free(rt_topic);
        return 2;
    }

    /* every thread started from here on inherits the blocked signals */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    if (hooks && hooks->child_exited) sigaddset(&sigs, SIGCHLD);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    vl_rt *rt = NULL;
    if (vl_rt_create(&ro, &rt, &err) != VL_OK) {
        vl_cli_err(CMD, "%s", err.msg);
        vl_free(brokers);
        vl_free(topic);
        vl_free(rt_brokers);
        vl_free(rt_topic);
        return 2;
    }
    co.rt = rt;
    vl_store *store = NULL;
    vl_collector *col = NULL;
    vl_server *srv = NULL;
    vl_kafka_metrics *km = NULL; /* the Kafka member's figures for /metrics */
    kafka_job *kj = NULL;
    pthread_t kth;
    bool kafka_started = false, hooked = false, rt_kafka_started = false, etl_started = false;
    pthread_t etlth;
    etl_sched es = {.interval_us = etl_interval};
    pthread_mutex_init(&es.mu, NULL);
    pthread_cond_init(&es.cv, NULL);
    atomic_init(&es.stop_flag, false);
    rt_kafka_job *rtk = NULL;
    pthread_t rtth;
    int rc = 0;
    if (vl_store_open(lake, &store, &err) != VL_OK) {
        vl_cli_err(CMD, "%s: %s", lake, err.msg);
        vl_rt_destroy(rt);
        vl_free(brokers);
        vl_free(topic);
        vl_free(rt_brokers);
        vl_free(rt_topic);
        return 2;
    }
    if (vl_collector_open(store, &co, &col, &err) != VL_OK) {
        vl_cli_err(CMD, "%s", err.msg);
        vl_store_close(store);
        vl_rt_destroy(rt);
        vl_free(brokers);
        vl_free(topic);
        vl_free(rt_brokers);
        vl_free(rt_topic);
        return 2;
    }
    vl_server_opts so = {.http = {.addr = addr, .port = port, .max_conns = (unsigned)conns},
                         .collector = col, .rt = rt, .lake = store};
    /* the HTTP layer reads at most the largest body as sent (gzip only shrinks it) */
    so.http.max_body = co.max_body ? co.max_body : (32u << 20);
    if (vl_server_start(&so, &srv, &err) != VL_OK) {
        vl_cli_err(CMD, "%s", err.msg);
        rc = 2;
        goto done;
    }
    fprintf(stderr, "vidlake serve: listening on http://%s%s%s:%d (dashboard: /; collector: POST /v1/events; WAL %s)\n",
            strchr(addr, ':') ? "[" : "", addr, strchr(addr, ':') ? "]" : "", vl_server_port(srv), wal);
    if (port_file) {
        char tmp[PATH_MAX + 8];
        snprintf(tmp, sizeof(tmp), "%s.tmp", port_file);
        FILE *f = fopen(tmp, "w");
        if (!f || fprintf(f, "%d\n", vl_server_port(srv)) < 0 || fclose(f) != 0 || rename(tmp, port_file) != 0) {
            vl_cli_err(CMD, "--port-file %s: %s", port_file, strerror(errno));
            rc = 2;
            goto done;
        }
    }
    if (kafka) {
        kj = vl_calloc(1, sizeof(*kj));
        if (!kj || vl_kafka_metrics_create(&km, &err) != VL_OK) {
            vl_cli_err(CMD, "out of memory");
            rc = 2;
            goto done;
        }
        vl_server_set_kafka(srv, km);
        kj->lake = store;
        kj->o = (vl_kafka_ingest_opts){.brokers = brokers, .topic = topic, .group = group, .props = props.kv,
                                       .n_props = props.n, .commit_interval_us = co.commit_interval_us,
                                       .target_file_bytes = co.target_file_bytes, .batch_rows = co.batch_rows,
                                       .stop = &kj->stop, .rt = rt, .metrics = km};
        if (pthread_create(&kth, NULL, kafka_main, kj) != 0) {
            vl_cli_err(CMD, "cannot start the Kafka consumer thread");
            rc = 2;
            goto done;
        }
        kafka_started = true;
        fprintf(stderr, "vidlake serve: consuming %s as group %s\n", kafka, group);
    }
    if (rt_kafka) {
        rtk = vl_calloc(1, sizeof(*rtk));
        if (!rtk) {
            vl_cli_err(CMD, "out of memory");
            rc = 2;
            goto done;
        }
        rtk->o = (vl_kafka_rt_opts){.brokers = rt_brokers, .topic = rt_topic, .group = rt_group, .props = props.kv,
                                    .n_props = props.n, .rt = rt, .rewind_us = ro.retention_us, .stop = &rtk->stop};
        if (pthread_create(&rtth, NULL, rt_kafka_main, rtk) != 0) {
            vl_cli_err(CMD, "cannot start the real-time Kafka consumer thread");
            rc = 2;
            goto done;
        }
        rt_kafka_started = true;
        fprintf(stderr, "vidlake serve: real-time engine also reads %s as group %s\n", rt_kafka, rt_group);
    }
    if (etl_interval > 0) {
        es.lake = store;
        if (pthread_create(&etlth, NULL, etl_main, &es) != 0) {
            vl_cli_err(CMD, "cannot start the ETL thread");
            rc = 2;
            goto done;
        }
        etl_started = true;
    }
    if (hooks && hooks->ready) {
        char url[200];
        snprintf(url, sizeof(url), "http://%s%s%s:%d", strchr(addr, ':') ? "[" : "", addr, strchr(addr, ':') ? "]" : "",
                 vl_server_port(srv));
        hooked = true;
        if (hooks->ready(hooks->ctx, url) != 0) {
            rc = 2;
            goto done;
        }
    }
    int sig = 0;
    for (;;) {
        /* a second at a time: the real-time engine's clock moves on without events */
        struct timespec tick = {1, 0};
        sig = sigtimedwait(&sigs, NULL, &tick);
        if (sig < 0) {
            vl_rt_tick(rt);
            continue;
        }
        if (sig != SIGCHLD) break;
        if (hooks && hooks->child_exited && hooks->child_exited(hooks->ctx)) {
            rc = 2;
            break;
        }
    }
    fprintf(stderr, "vidlake serve: %s: stopping; committing what was accepted\n",
            sig == SIGINT ? "interrupted" : sig == SIGTERM ? "terminated" : "a helper process died");
done:
    if (hooked && hooks->stopping) hooks->stopping(hooks->ctx);
    if (etl_started) { /* a run in progress finishes its current job */
        pthread_mutex_lock(&es.mu);
        es.stop = true;
        atomic_store(&es.stop_flag, true);
        pthread_cond_signal(&es.cv);
        pthread_mutex_unlock(&es.mu);
        pthread_join(etlth, NULL);
    }
    pthread_mutex_destroy(&es.mu);
    pthread_cond_destroy(&es.cv);
    if (kafka_started) {
        atomic_store(&kj->stop, true);
        pthread_join(kth, NULL);
        if (kj->rc != VL_OK) {
            vl_cli_err(CMD, "Kafka: %s", kj->err.msg);
            rc = 2;
        } else {
            fprintf(stderr, "vidlake serve: Kafka: %lld events, %lld dead letters committed\n",
                    (long long)kj->st.events, (long long)kj->st.dead_letters);
        }
    }
    vl_free(kj);
    vl_free(brokers);
    vl_free(topic);
    if (rt_kafka_started) {
        atomic_store(&rtk->stop, true);
        pthread_join(rtth, NULL);
        if (rtk->rc != VL_OK) {
            vl_cli_err(CMD, "real-time Kafka consumer: %s", rtk->err.msg);
            rc = 2;
        } else {
            fprintf(stderr, "vidlake serve: real-time Kafka consumer: %lld records, %lld events, %lld invalid\n",
                    (long long)rtk->st.records, (long long)rtk->st.events, (long long)rtk->st.rejected);
        }
    }
    vl_free(rtk);
    vl_free(rt_brokers);
    vl_free(rt_topic);
    vl_server_stop(srv); /* no new requests; those in progress finish */
    vl_kafka_metrics_destroy(km); /* after the server and the Kafka thread that use it */
    if (vl_collector_close(col, &err) != VL_OK) {
        vl_cli_err(CMD, "the last commit failed (the WAL keeps the events for the next start): %s", err.msg);
        rc = 2;
    }
    vl_store_close(store);
    vl_rt_destroy(rt);
    if (rc == 0) fprintf(stderr, "vidlake serve: stopped\n");
    return rc;
}
