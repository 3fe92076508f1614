/* vidlake - Apache-2.0 */
/*
 * gen_kafka: `vidlake generate --to kafka://BROKERS/TOPIC`, one record per
 * NDJSON line. The producer is idempotent with acks=all (no duplicates and
 * no reordering from retries), compresses with lz4 and lingers a little to
 * batch; the key is the event's session_id, so that a session's events land
 * in one partition, in order (lines without one get no key: any partition).
 * -X properties are set last and override these defaults.
 *
 * A full local queue is back-pressure: we serve delivery reports until
 * there is room. Delivery reports count acknowledged records (sink->lines)
 * and failures; finish waits for every record to be acknowledged or to have
 * failed (message.timeout.ms bounds that), and fails if any did.
 */
#include "gen_sink.h"
#include "ingest/ingest.h"

#include <librdkafka/rdkafka.h>
#include <stdlib.h>
#include <string.h>

#define CONNECT_TIMEOUT_MS 10000 /* at open: a broker must answer within this */
#define MESSAGE_TIMEOUT_MS "60000" /* our default: a record not acknowledged by then fails */

typedef struct kafka_sink {
    gen_sink base;
    rd_kafka_t *rk;
    rd_kafka_topic_t *rkt;
    char *brokers, *topic;
    int64_t message_timeout_ms;
    uint64_t produced, failed;
    char first_failure[256];
    char kafka_err[256]; /* the last error librdkafka reported */
} kafka_sink;

static void dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk;
    kafka_sink *s = opaque;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        s->base.lines++;
        return;
    }
    if (!s->failed++)
        snprintf(s->first_failure, sizeof(s->first_failure), "%s", rd_kafka_err2str(m->err));
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
    (void)rk;
    kafka_sink *s = opaque;
    if (err != RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || !s->kafka_err[0])
        snprintf(s->kafka_err, sizeof(s->kafka_err), "%s", reason);
    VL_DEBUG("kafka", "%s: %s: %s", s->base.to, rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
    (void)rk;
    vl_log(vl_kafka_log_level(level), "kafka", "%s: %s", fac, buf);
}

/* The raw bytes of the line's "session_id" string (escapes left as they
 * are: the key only needs to be the same for every event of a session). */
static bool session_key(const char *p, size_t n, const char **key, size_t *kn) {
    static const char pat[] = "\"session_id\"";
    const char *e = p + n, *q = memmem(p, n, pat, sizeof(pat) - 1);
    if (!q) return false;
    q += sizeof(pat) - 1;
    while (q < e && (*q == ' ' || *q == '\t')) q++;
    if (q >= e || *q++ != ':') return false;
    while (q < e && (*q == ' ' || *q == '\t')) q++;
    if (q >= e || *q++ != '"') return false;
    const char *start = q;
    while (q < e && *q != '"') q += *q == '\\' ? 2 : 1;
    if (q >= e) return false;
    *key = start;
    *kn = (size_t)(q - start);
    return true;
}

static int check_fatal(kafka_sink *s, vl_error *err) {
    char why[512];
    if (rd_kafka_fatal_error(s->rk, why, sizeof(why)))
        return vl_error_set(err, VL_EIO, "%s: fatal producer error: %s", s->base.to, why);
    if (s->failed)
        return vl_error_set(err, VL_EIO, "%s: %llu record(s) not delivered: %s", s->base.to,
                            (unsigned long long)s->failed, s->first_failure);
    return VL_OK;
}

static int kafka_write(gen_sink *base, const char *p, size_t n, vl_error *err) {
    kafka_sink *s = (kafka_sink *)base;
    const char *e = p + n;
    while (p < e) {
        const char *nl = memchr(p, '\n', (size_t)(e - p));
        size_t len = (size_t)((nl ? nl : e) - p);
        const char *line = p;
        p = nl ? nl + 1 : e;
        if (len && line[len - 1] == '\r') len--;
        if (!len) continue;
        const char *key = NULL;
        size_t kn = 0;
        (void)session_key(line, len, &key, &kn);
        for (;;) {
            rd_kafka_resp_err_t r =
                rd_kafka_producev(s->rk, RD_KAFKA_V_RKT(s->rkt), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                  RD_KAFKA_V_VALUE((void *)(uintptr_t)line, len),
                                  RD_KAFKA_V_KEY((const void *)key, kn), RD_KAFKA_V_END);
            if (r == RD_KAFKA_RESP_ERR_NO_ERROR) break;
            if (r != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                return vl_error_set(err, VL_EIO, "%s: cannot produce record %llu: %s", s->base.to,
                                    (unsigned long long)s->produced + 1, rd_kafka_err2str(r));
            /* back-pressure: wait for deliveries to make room */
            rd_kafka_poll(s->rk, 50);
            VL_RETURN_IF_ERR(check_fatal(s, err));
        }
        if ((++s->produced & 1023) == 0) {
            rd_kafka_poll(s->rk, 0);
            VL_RETURN_IF_ERR(check_fatal(s, err));
        }
    }
    rd_kafka_poll(s->rk, 0);
    return check_fatal(s, err);
}

static int kafka_finish(gen_sink *base, vl_error *err) {
    kafka_sink *s = (kafka_sink *)base;
    /* every record is acknowledged or failed within message.timeout.ms */
    int64_t deadline = vl_mono_us() + (s->message_timeout_ms + 10000) * 1000;
    while (rd_kafka_outq_len(s->rk) > 0 && vl_mono_us() < deadline) {
        (void)rd_kafka_flush(s->rk, 500);
        VL_RETURN_IF_ERR(check_fatal(s, err));
    }
    VL_RETURN_IF_ERR(check_fatal(s, err));
    int left = rd_kafka_outq_len(s->rk);
    if (left > 0)
        return vl_error_set(err, VL_EIO, "%s: %d record(s) still unacknowledged after %lld s%s%s", s->base.to, left,
                            (long long)(s->message_timeout_ms / 1000 + 10), s->kafka_err[0] ? ": " : "",
                            s->kafka_err);
    if (s->base.lines != s->produced)
        return vl_error_set(err, VL_EIO, "%s: %llu record(s) produced, %llu acknowledged", s->base.to,
                            (unsigned long long)s->produced, (unsigned long long)s->base.lines);
    return VL_OK;
}

static void kafka_free(gen_sink *base) {
    kafka_sink *s = (kafka_sink *)base;
    if (s->rkt) rd_kafka_topic_destroy(s->rkt);
    if (s->rk) {
        /* after a failure: do not wait for what is still queued */
        (void)rd_kafka_purge(s->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_poll(s->rk, 0);
        rd_kafka_destroy(s->rk);
    }
    vl_free(s->brokers);
    vl_free(s->topic);
    vl_free(s);
}

static const gen_sink_ops kafka_ops = {kafka_write, kafka_finish, kafka_free};

static int make_producer(kafka_sink *s, const char *const *props, size_t n_props, vl_error *err) {
    static const char *const defaults[][2] = {
        {"enable.idempotence", "true"}, /* no duplicates or reordering from retries */
        {"acks", "all"},
        {"compression.codec", "lz4"},
        {"linger.ms", "10"},            /* batch records for up to 10 ms */
        {"message.timeout.ms", MESSAGE_TIMEOUT_MS},
        {"client.id", "vidlake-generate"},
        {"log.connection.close", "false"},
    };
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    int rc = vl_kafka_conf_set(conf, "bootstrap.servers", s->brokers, "", err);
    for (size_t i = 0; rc == VL_OK && i < sizeof(defaults) / sizeof(defaults[0]); i++)
        rc = vl_kafka_conf_set(conf, defaults[i][0], defaults[i][1], "", err);
    if (rc == VL_OK) rc = vl_kafka_conf_props(conf, props, n_props, err);
    char v[32];
    size_t vn = sizeof(v);
    if (rc == VL_OK && rd_kafka_conf_get(conf, "message.timeout.ms", v, &vn) == RD_KAFKA_CONF_OK)
        s->message_timeout_ms = atoll(v);
    if (s->message_timeout_ms <= 0) s->message_timeout_ms = 300000; /* 0 means infinite: bound our wait anyway */
    if (rc) {
        rd_kafka_conf_destroy(conf);
        return rc;
    }
    rd_kafka_conf_set_opaque(conf, s);
    rd_kafka_conf_set_dr_msg_cb(conf, dr_msg_cb);
    rd_kafka_conf_set_error_cb(conf, error_cb);
    rd_kafka_conf_set_log_cb(conf, log_cb);
    char es[512];
    s->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, es, sizeof(es));
    if (!s->rk) {
        rd_kafka_conf_destroy(conf);
        return vl_error_set(err, VL_EINVAL, "%s: cannot create the producer: %s", s->base.to, es);
    }
    s->rkt = rd_kafka_topic_new(s->rk, s->topic, NULL);
    if (!s->rkt)
        return vl_error_set(err, VL_EINVAL, "%s: %s", s->base.to, rd_kafka_err2str(rd_kafka_last_error()));
    return VL_OK;
}

/* Fails fast when no broker answers or the topic does not exist (create
 * topics first: we do not rely on brokers creating them on first use). */
static int wait_for_topic(kafka_sink *s, vl_error *err) {
    int64_t deadline = vl_mono_us() + CONNECT_TIMEOUT_MS * 1000;
    const char *why = "";
    for (;;) {
        int64_t left_ms = (deadline - vl_mono_us()) / 1000;
        if (left_ms <= 0) break;
        const struct rd_kafka_metadata *md = NULL;
        /* all topics: asking for one would have brokers that auto-create
         * topics create a misspelt one */
        rd_kafka_resp_err_t e = rd_kafka_metadata(s->rk, 1, NULL, &md, (int)(left_ms < 1000 ? left_ms : 1000));
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
            rd_kafka_resp_err_t te = RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
            int np = 0;
            for (int i = 0; i < md->topic_cnt; i++)
                if (strcmp(md->topics[i].topic, s->topic) == 0) {
                    te = md->topics[i].err;
                    np = md->topics[i].partition_cnt;
                }
            rd_kafka_metadata_destroy(md);
            if (te == RD_KAFKA_RESP_ERR_NO_ERROR && np > 0) return VL_OK;
            if (te == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || te == RD_KAFKA_RESP_ERR_NO_ERROR)
                return vl_error_set(err, VL_EINVAL, "%s: topic '%s' does not exist", s->base.to, s->topic);
            if (te == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED)
                return vl_error_set(err, VL_EINVAL, "%s: not allowed to write to topic '%s'", s->base.to, s->topic);
            why = rd_kafka_err2str(te); /* being created, leader not elected yet: ask again */
        }
        rd_kafka_poll(s->rk, 100); /* error callbacks */
    }
    return vl_error_set(err, VL_EIO, "%s: no answer from the brokers %s within %d s%s%s", s->base.to, s->brokers,
                        CONNECT_TIMEOUT_MS / 1000, s->kafka_err[0] || *why ? ": " : "",
                        s->kafka_err[0] ? s->kafka_err : why);
}

int gen_kafka_open(const char *url, const char *const *props, size_t n_props, gen_sink **out, vl_error *err) {
    *out = NULL;
    kafka_sink *s = vl_calloc(1, sizeof(*s));
    if (!s) return vl_error_set(err, VL_ENOMEM, "out of memory");
    s->base.ops = &kafka_ops;
    s->base.to = url;
    int rc = vl_kafka_url_parse(url, &s->brokers, &s->topic, err);
    if (rc == VL_OK) rc = make_producer(s, props, n_props, err);
    if (rc == VL_OK) rc = wait_for_topic(s, err);
    if (rc != VL_OK) {
        kafka_free(&s->base);
        return rc;
    }
    *out = &s->base;
    return VL_OK;
}
