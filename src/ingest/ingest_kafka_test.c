/* vidlake - Apache-2.0 */
/*
 * Unit tests for Kafka -> bronze: the URL parser, the log level mapping,
 * and vl_kafka_ingest_run against librdkafka's in-process mock cluster, as
 * `vidlake serve` would run it: on a thread, stopped through the flag.
 * (The command-line paths, groups and crashes: tests/integration/04xx.)
 */
#include "ingest/ingest.h"
#include "vl_test.h"

#include <errno.h>
#include <ftw.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#define REQUIRE_RET(t, cond)                                                                              \
    do {                                                                                                  \
        if (!(cond)) {                                                                                    \
            CHECKF(t, 0, "requirement failed: %s", #cond);                                                \
            return false;                                                                                 \
        }                                                                                                 \
    } while (0)
#define REQUIRE_GOTO(t, cond, label)                                                                      \
    do {                                                                                                  \
        if (!(cond)) {                                                                                    \
            CHECKF(t, 0, "requirement failed: %s", #cond);                                                \
            goto label;                                                                                   \
        }                                                                                                 \
    } while (0)

static void t_url_parse(vl_test *t) {
    static const struct {
        const char *url, *brokers, *topic;
    } good[] = {
        {"kafka://127.0.0.1:9092/events", "127.0.0.1:9092", "events"},
        {"kafka://a:1,b:2/t.x_y-z", "a:1,b:2", "t.x_y-z"},
        {"kafka://broker/t", "broker", "t"},
        {"kafka://[::1]:9092/t", "[::1]:9092", "t"},
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        char *b = NULL, *tp = NULL;
        vl_error err = {0};
        CHECKF(t, vl_kafka_url_parse(good[i].url, &b, &tp, &err) == VL_OK, "%s: %s", good[i].url, err.msg);
        CHECK_EQ_STR(t, b, good[i].brokers);
        CHECK_EQ_STR(t, tp, good[i].topic);
        vl_free(b);
        vl_free(tp);
    }
    static const char *const bad[] = {
        "http://a:1/t", "kafka://", "kafka://a:1", "kafka://a:1/", "kafka:///t", "kafka://a:/t",
        "kafka://a:x/t", "kafka://a:1,/t", "kafka://a:1/t/u", "kafka://a:1/t u", "kafka://a:1/..",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *b = (char *)1, *tp = (char *)1;
        vl_error err = {0};
        CHECKF(t, vl_kafka_url_parse(bad[i], &b, &tp, &err) == VL_EINVAL, "%s accepted", bad[i]);
        CHECKF(t, strstr(err.msg, bad[i]) != NULL, "'%s' does not name %s", err.msg, bad[i]);
        CHECK(t, b == NULL && tp == NULL);
    }
    char long_topic[300];
    memcpy(long_topic, "kafka://a:1/", 12);
    memset(long_topic + 12, 'x', 250);
    long_topic[262] = 0;
    char *b, *tp;
    CHECK(t, vl_kafka_url_parse(long_topic, &b, &tp, NULL) == VL_EINVAL);
}

static void t_log_levels(vl_test *t) {
    CHECK(t, vl_kafka_log_level(0) == VL_LOG_WARN);
    CHECK(t, vl_kafka_log_level(3) == VL_LOG_WARN);
    CHECK(t, vl_kafka_log_level(4) == VL_LOG_WARN);
    CHECK(t, vl_kafka_log_level(5) == VL_LOG_INFO);
    CHECK(t, vl_kafka_log_level(6) == VL_LOG_DEBUG);
    CHECK(t, vl_kafka_log_level(7) == VL_LOG_DEBUG);
}

/* ------------------------------------------------- against a mock cluster */

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f) {
    (void)st, (void)flag, (void)f;
    return remove(p) == 0 ? 0 : -1;
}

typedef struct cluster {
    rd_kafka_t *host; /* the client instance the mock lives in */
    rd_kafka_mock_cluster_t *mc;
    rd_kafka_t *producer;
    char brokers[256];
} cluster;

static bool cluster_start(vl_test *t, cluster *c, const char *topic, int partitions) {
    memset(c, 0, sizeof(*c));
    char es[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", es, sizeof(es));
    c->host = rd_kafka_new(RD_KAFKA_PRODUCER, conf, es, sizeof(es));
    REQUIRE_RET(t, c->host);
    c->mc = rd_kafka_mock_cluster_new(c->host, 1);
    REQUIRE_RET(t, c->mc);
    REQUIRE_RET(t, rd_kafka_mock_topic_create(c->mc, topic, partitions, 1) == RD_KAFKA_RESP_ERR_NO_ERROR);
    snprintf(c->brokers, sizeof(c->brokers), "%s", rd_kafka_mock_cluster_bootstraps(c->mc));
    conf = rd_kafka_conf_new();
    REQUIRE_RET(t, rd_kafka_conf_set(conf, "bootstrap.servers", c->brokers, es, sizeof(es)) == RD_KAFKA_CONF_OK);
    c->producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, es, sizeof(es));
    REQUIRE_RET(t, c->producer);
    return true;
}

static void cluster_stop(cluster *c) {
    if (c->producer) rd_kafka_destroy(c->producer);
    if (c->mc) rd_kafka_mock_cluster_destroy(c->mc);
    if (c->host) rd_kafka_destroy(c->host);
}

/* Produces n simulated events (seed: first), alternately to partitions 0
 * and 1; every 10th record is cut short, so not an event. */
static bool produce(vl_test *t, cluster *c, const char *topic, int first, int n) {
    vl_sim_config cfg;
    vl_sim_config_default(&cfg);
    cfg.events = (uint64_t)n;
    cfg.seed = (uint64_t)first + 1;
    vl_sim *sim = NULL;
    REQUIRE_RET(t, vl_sim_create(&cfg, &sim, NULL) == VL_OK);
    vl_buf line;
    vl_buf_init(&line);
    int64_t when;
    vl_sim_kind kind;
    bool ok = true;
    for (int i = first; ok && vl_sim_next(sim, &line, &when, &kind) == 1; i++) {
        size_t len = i % 10 == 9 ? line.n / 2 : line.n - 1;
        ok = rd_kafka_producev(c->producer, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(i % 2),
                               RD_KAFKA_V_VALUE(line.p, len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                               RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR_NO_ERROR;
        vl_buf_clear(&line);
    }
    vl_buf_free(&line);
    vl_sim_destroy(sim);
    REQUIRE_RET(t, ok);
    REQUIRE_RET(t, rd_kafka_flush(c->producer, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR);
    return true;
}

typedef struct runner {
    vl_store *lake;
    vl_kafka_ingest_opts o;
    vl_kafka_ingest_stats st;
    vl_error err;
    int rc;
} runner;

static void *run_thread(void *arg) {
    runner *r = arg;
    r->rc = vl_kafka_ingest_run(r->lake, &r->o, &r->st, &r->err);
    return NULL;
}

/* The mock's groups wait 3 s before their first assignment; a short
 * session lets a member that left be forgotten quickly. */
static const char *const test_props[] = {"session.timeout.ms=6000", "heartbeat.interval.ms=500"};

static void t_run_against_mock(vl_test *t) {
    vl_log_setup(VL_LOG_WARN, false); /* no assignment notes between the results */
    cluster c;
    if (!cluster_start(t, &c, "ev", 2)) {
        cluster_stop(&c);
        return;
    }
    char dir[512];
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof(dir), "%s/vl-kafka-test.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    vl_store *lake = NULL;
    vl_error err = {0};
    bool have_dir = mkdtemp(dir) != NULL;
    CHECKF(t, have_dir, "mkdtemp: %s", strerror(errno));
    if (!have_dir || vl_store_open(dir, &lake, &err) != VL_OK || !produce(t, &c, "ev", 0, 200)) {
        CHECKF(t, 0, "set-up: %s", err.msg);
        goto done;
    }

    /* until the end: all 200 (180 events, 20 dead letters) */
    _Atomic bool stop = false;
    runner r = {.lake = lake};
    r.o = (vl_kafka_ingest_opts){.brokers = c.brokers, .topic = "ev", .group = "g1", .app = "app",
                                 .props = test_props, .n_props = 2, .until_end = true, .stop = &stop};
    r.rc = vl_kafka_ingest_run(lake, &r.o, &r.st, &r.err);
    CHECKF(t, r.rc == VL_OK, "%s", r.err.msg);
    CHECK_EQ_INT(t, r.st.records, 200);
    CHECK_EQ_INT(t, r.st.events, 180);
    CHECK_EQ_INT(t, r.st.dead_letters, 20);
    CHECK_EQ_INT(t, r.st.assignments, 1);

    /* again, another group, the same app: everything is there already */
    r.o.group = "g2";
    r.rc = vl_kafka_ingest_run(lake, &r.o, &r.st, &r.err);
    CHECKF(t, r.rc == VL_OK, "%s", r.err.msg);
    CHECK_EQ_INT(t, r.st.records, 0);
    CHECK_EQ_INT(t, r.st.events + r.st.dead_letters, 0);

    /* on a thread, no end: 100 more arrive, then the flag stops it */
    r.o.group = "g3";
    r.o.until_end = false;
    r.o.commit_interval_us = 100000;
    pthread_t th;
    REQUIRE_GOTO(t, pthread_create(&th, NULL, run_thread, &r) == 0, done);
    bool ok = produce(t, &c, "ev", 200, 100);
    vl_bronze *b = NULL;
    int64_t v0 = -1, v1 = -1;
    if (ok && vl_bronze_open(lake, 0, &b, &err) == VL_OK) {
        /* wait for both partitions' txns to cover the new records */
        for (int i = 0; i < 300; i++) {
            v0 = vl_bronze_app_version(b, false, "app-ev-0", &err);
            v1 = vl_bronze_app_version(b, false, "app-ev-1", &err);
            if (v0 + v1 + 2 == 300) break;
            usleep(50000);
        }
    }
    vl_bronze_close(b);
    atomic_store(&stop, true);
    pthread_join(th, NULL);
    CHECKF(t, r.rc == VL_OK, "%s", r.err.msg);
    CHECK_EQ_INT(t, v0 + v1 + 2, 300);
    CHECK_EQ_INT(t, r.st.records, 100);
    CHECK_EQ_INT(t, r.st.events, 90);
    CHECK_EQ_INT(t, r.st.dead_letters, 10);

    /* set before the start: returns at once */
    r.rc = vl_kafka_ingest_run(lake, &r.o, &r.st, &r.err);
    CHECKF(t, r.rc == VL_OK, "%s", r.err.msg);
    CHECK_EQ_INT(t, r.st.assignments, 0);

    /* errors: a topic that does not exist, a property librdkafka refuses */
    atomic_store(&stop, false);
    r.o.topic = "nope";
    r.o.until_end = true;
    CHECK(t, vl_kafka_ingest_run(lake, &r.o, NULL, &r.err) == VL_EINVAL);
    CHECKF(t, strstr(r.err.msg, "topic 'nope' does not exist") != NULL, "%s", r.err.msg);
    static const char *const bad_props[] = {"no.such.property=1"};
    r.o.topic = "ev";
    r.o.props = bad_props;
    r.o.n_props = 1;
    CHECK(t, vl_kafka_ingest_run(lake, &r.o, NULL, &r.err) == VL_EINVAL);
    CHECKF(t, strstr(r.err.msg, "no.such.property") != NULL, "%s", r.err.msg);
    r.o.props = NULL;
    r.o.n_props = 0;
    r.o.group = NULL;
    CHECK(t, vl_kafka_ingest_run(lake, &r.o, NULL, &r.err) == VL_EINVAL);
done:
    vl_store_close(lake);
    if (have_dir) nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    cluster_stop(&c);
}

static const vl_test_case cases[] = {
    {"kafka:// URLs: brokers and topic, or an error naming the URL", t_url_parse},
    {"librdkafka log levels map to warn, info, debug", t_log_levels},
    {"ingest from a mock cluster: until the end, resumed, stopped by the flag, errors", t_run_against_mock},
};
VL_TEST_MAIN(cases)
