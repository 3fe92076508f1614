/* vidlake - Apache-2.0 */
/*
 * kafka_tool: Kafka helpers for the integration tests and benchmarks.
 *
 *   kafka_tool cluster --brokers N --topic T [--topic T2...] --partitions P [--port-file FILE]
 *       runs librdkafka's mock cluster (rdkafka_mock.h: the real Kafka
 *       protocol on 127.0.0.1, ephemeral ports) with the topics created,
 *       prints the bootstrap servers on stdout (and into FILE, written
 *       atomically), and runs until SIGTERM or SIGINT.
 *   kafka_tool dump --brokers B --topic T [--meta]
 *       every record of every partition, from the beginning up to the high
 *       watermark at start, one value per line (--meta: "partition offset
 *       key value" separated by tabs); exits 1 if a partition makes no
 *       progress for 30 s or does not start at offset 0 (records lost to
 *       retention: the mock keeps about 5 MiB per partition).
 *   kafka_tool offsets --brokers B --topic T --group G
 *       one line per partition: "partition committed low high" (committed
 *       -1 when the group has none; low and high are the watermarks).
 *   kafka_tool produce --brokers B --topic T [--partition P] [--key K]
 *       standard input's lines as records (empty lines too: an empty value).
 *
 * Exit status: 0 success, 1 failure (message on stderr), 2 usage.
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TIMEOUT_MS 10000
#define MAX_TOPICS 16

static int usage(void) {
    fputs("usage: kafka_tool cluster --brokers N --topic T [--topic T2...] --partitions P [--port-file FILE]\n"
          "       kafka_tool dump --brokers HOST:PORT[,...] --topic T [--meta]\n"
          "       kafka_tool offsets --brokers HOST:PORT[,...] --topic T --group G\n"
          "       kafka_tool produce --brokers HOST:PORT[,...] --topic T [--partition P] [--key K]\n",
          stderr);
    return 2;
}

static int die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("kafka_tool: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 1;
}

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
    (void)rk;
    if (level <= 4) fprintf(stderr, "kafka_tool: %s: %s\n", fac, buf);
}

static rd_kafka_t *make(rd_kafka_type_t type, const char *brokers, const char *group, bool producer_acks) {
    char es[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, log_cb);
    if ((brokers && rd_kafka_conf_set(conf, "bootstrap.servers", brokers, es, sizeof(es))) ||
        (group && rd_kafka_conf_set(conf, "group.id", group, es, sizeof(es))) ||
        rd_kafka_conf_set(conf, "log.connection.close", "false", es, sizeof(es)) ||
        (type == RD_KAFKA_CONSUMER && rd_kafka_conf_set(conf, "enable.auto.commit", "false", es, sizeof(es))) ||
        (producer_acks && rd_kafka_conf_set(conf, "enable.idempotence", "true", es, sizeof(es)))) {
        fprintf(stderr, "kafka_tool: %s\n", es);
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_t *rk = rd_kafka_new(type, conf, es, sizeof(es));
    if (!rk) {
        fprintf(stderr, "kafka_tool: %s\n", es);
        rd_kafka_conf_destroy(conf);
    }
    return rk;
}

/* ----------------------------------------------------------------- cluster */

static int cmd_cluster(int brokers, const char *const *topics, int n_topics, int partitions, const char *port_file) {
    /* SIGINT/SIGTERM are waited for with sigwait: block them before
     * librdkafka starts its threads, which inherit the mask */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    /* the cluster lives in a (producer) client instance of its own */
    rd_kafka_t *rk = make(RD_KAFKA_PRODUCER, NULL, NULL, false);
    if (!rk) return 1;
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
    if (!mc) {
        rd_kafka_destroy(rk);
        return die("cannot create a mock cluster of %d broker(s)", brokers);
    }
    for (int i = 0; i < n_topics; i++) {
        rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(mc, topics[i], partitions, 1);
        if (e) {
            rd_kafka_mock_cluster_destroy(mc);
            rd_kafka_destroy(rk);
            return die("creating topic %s: %s", topics[i], rd_kafka_err2str(e));
        }
    }
    const char *bs = rd_kafka_mock_cluster_bootstraps(mc);
    printf("%s\n", bs);
    fflush(stdout);
    int rc = 0;
    if (port_file) {
        char tmp[4096];
        snprintf(tmp, sizeof(tmp), "%s.tmp", port_file);
        FILE *f = fopen(tmp, "w");
        if (!f || fprintf(f, "%s\n", bs) < 0 || fclose(f) != 0 || rename(tmp, port_file) != 0)
            rc = die("cannot write %s", port_file);
    }
    if (rc == 0) {
        int sig;
        sigwait(&set, &sig);
    }
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(rk);
    return rc;
}

/* -------------------------------------------------------------------- dump */

/* The number of partitions of topic, or -1. (From the list of all topics:
 * asking for one could create it.) */
static int partition_count(rd_kafka_t *rk, const char *topic) {
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 1, NULL, &md, TIMEOUT_MS);
    if (e) {
        fprintf(stderr, "kafka_tool: metadata: %s\n", rd_kafka_err2str(e));
        return -1;
    }
    int n = -1;
    rd_kafka_resp_err_t te = RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
    for (int i = 0; i < md->topic_cnt; i++)
        if (strcmp(md->topics[i].topic, topic) == 0) {
            te = md->topics[i].err;
            if (!te) n = md->topics[i].partition_cnt;
        }
    if (n < 0) fprintf(stderr, "kafka_tool: topic %s: %s\n", topic, rd_kafka_err2str(te));
    rd_kafka_metadata_destroy(md);
    return n;
}

static int cmd_dump(const char *brokers, const char *topic, bool meta) {
    rd_kafka_t *rk = make(RD_KAFKA_CONSUMER, brokers, "kafka_tool-dump", false);
    if (!rk) return 1;
    int np = partition_count(rk, topic), rc = 0;
    int64_t *hwm = NULL, *next = NULL;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(np > 0 ? np : 1);
    if (np < 0) rc = 1;
    if (rc == 0) {
        hwm = calloc((size_t)np, sizeof(*hwm));
        next = calloc((size_t)np, sizeof(*next));
        if (!hwm || !next) rc = die("out of memory");
    }
    for (int p = 0; rc == 0 && p < np; p++) {
        int64_t lo, hi;
        rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi, TIMEOUT_MS);
        if (e) {
            rc = die("watermarks: %s", rd_kafka_err2str(e));
            break;
        }
        if (lo > 0) {
            /* retention (the mock keeps about 5 MiB per partition) dropped
             * records: the dump could not be the whole topic */
            rc = die("%s partition %d starts at offset %lld: earlier records are gone", topic, p, (long long)lo);
            break;
        }
        hwm[p] = hi;
        next[p] = lo;
        if (hi > lo) rd_kafka_topic_partition_list_add(l, topic, p)->offset = lo;
    }
    if (rc == 0 && l->cnt) {
        rd_kafka_resp_err_t e = rd_kafka_assign(rk, l);
        if (e) rc = die("assign: %s", rd_kafka_err2str(e));
    }
    int64_t last_progress = now_ms();
    for (;;) {
        if (rc) break;
        bool done = true;
        for (int p = 0; p < np; p++) done &= next[p] >= hwm[p];
        if (done) break;
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
        if (!m) {
            if (now_ms() - last_progress > 30000) rc = die("no progress for 30 s");
            continue;
        }
        if (m->err) {
            if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                fprintf(stderr, "kafka_tool: %s\n", rd_kafka_message_errstr(m));
        } else if (m->partition >= 0 && m->partition < np && m->offset < hwm[m->partition]) {
            if (meta)
                printf("%d\t%lld\t%.*s\t", (int)m->partition, (long long)m->offset, (int)m->key_len,
                       m->key ? (const char *)m->key : "");
            fwrite(m->payload ? m->payload : "", 1, m->len, stdout);
            putchar('\n');
            next[m->partition] = m->offset + 1;
            last_progress = now_ms();
        }
        rd_kafka_message_destroy(m);
    }
    if (fflush(stdout) != 0) rc = die("writing to stdout failed");
    rd_kafka_topic_partition_list_destroy(l);
    free(hwm);
    free(next);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return rc;
}

/* ----------------------------------------------------------------- offsets */

static int cmd_offsets(const char *brokers, const char *topic, const char *group) {
    rd_kafka_t *rk = make(RD_KAFKA_CONSUMER, brokers, group, false);
    if (!rk) return 1;
    int np = partition_count(rk, topic), rc = np < 0;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(np > 0 ? np : 1);
    for (int p = 0; p < np; p++) rd_kafka_topic_partition_list_add(l, topic, p);
    if (rc == 0) {
        rd_kafka_resp_err_t e = rd_kafka_committed(rk, l, TIMEOUT_MS);
        if (e) rc = die("committed offsets of group %s: %s", group, rd_kafka_err2str(e));
    }
    for (int i = 0; rc == 0 && i < l->cnt; i++) {
        int64_t lo, hi;
        rd_kafka_resp_err_t e =
            rd_kafka_query_watermark_offsets(rk, topic, l->elems[i].partition, &lo, &hi, TIMEOUT_MS);
        if (e) {
            rc = die("watermarks: %s", rd_kafka_err2str(e));
            break;
        }
        printf("%d %lld %lld %lld\n", (int)l->elems[i].partition,
               (long long)(l->elems[i].offset >= 0 ? l->elems[i].offset : -1), (long long)lo, (long long)hi);
    }
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_destroy_flags(rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    return rc;
}

/* ----------------------------------------------------------------- produce */

static int failed;

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk;
    (void)opaque;
    if (m->err && !failed++) fprintf(stderr, "kafka_tool: delivery failed: %s\n", rd_kafka_err2str(m->err));
}

static int cmd_produce(const char *brokers, const char *topic, int partition, const char *key) {
    char es[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
    rd_kafka_conf_set_log_cb(conf, log_cb);
    if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, es, sizeof(es)) ||
        rd_kafka_conf_set(conf, "enable.idempotence", "true", es, sizeof(es))) {
        rd_kafka_conf_destroy(conf);
        return die("%s", es);
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, es, sizeof(es));
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        return die("%s", es);
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;
    while (rc == 0 && (n = getline(&line, &cap, stdin)) >= 0) {
        if (n && line[n - 1] == '\n') n--;
        for (;;) {
            rd_kafka_resp_err_t e = rd_kafka_producev(
                rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                RD_KAFKA_V_VALUE(line, (size_t)n), RD_KAFKA_V_KEY(key, key ? strlen(key) : 0), RD_KAFKA_V_END);
            if (!e) break;
            if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                rc = die("produce: %s", rd_kafka_err2str(e));
                break;
            }
            rd_kafka_poll(rk, 50);
        }
        rd_kafka_poll(rk, 0);
    }
    free(line);
    if (rd_kafka_flush(rk, 60000) != RD_KAFKA_RESP_ERR_NO_ERROR && rc == 0) rc = die("flush timed out");
    if (failed && rc == 0) rc = 1;
    rd_kafka_destroy(rk);
    return rc;
}

/* -------------------------------------------------------------------- main */

int main(int argc, char **argv) {
    if (argc < 2) return usage();
    const char *cmd = argv[1], *brokers = NULL, *group = NULL, *port_file = NULL, *key = NULL;
    const char *topics[MAX_TOPICS];
    int n_topics = 0, partitions = 1, partition = RD_KAFKA_PARTITION_UA;
    bool meta = false;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--meta") == 0) {
            meta = true;
            continue;
        }
        if (!v) return usage();
        i++;
        if (strcmp(a, "--brokers") == 0) brokers = v;
        else if (strcmp(a, "--topic") == 0 && n_topics < MAX_TOPICS) topics[n_topics++] = v;
        else if (strcmp(a, "--partitions") == 0) partitions = atoi(v);
        else if (strcmp(a, "--partition") == 0) partition = atoi(v);
        else if (strcmp(a, "--group") == 0) group = v;
        else if (strcmp(a, "--port-file") == 0) port_file = v;
        else if (strcmp(a, "--key") == 0) key = v;
        else return usage();
    }
    if (!brokers || !n_topics) return usage();
    if (strcmp(cmd, "cluster") == 0) {
        int nb = atoi(brokers);
        if (nb < 1 || partitions < 1) return usage();
        return cmd_cluster(nb, topics, n_topics, partitions, port_file);
    }
    if (strcmp(cmd, "dump") == 0) return cmd_dump(brokers, topics[0], meta);
    if (strcmp(cmd, "offsets") == 0) return group ? cmd_offsets(brokers, topics[0], group) : usage();
    if (strcmp(cmd, "produce") == 0) return cmd_produce(brokers, topics[0], partition, key);
    return usage();
}
