/* vidlake - Apache-2.0 */
/*
 * The real-time engine's own Kafka consumer, for when ingestion runs
 * elsewhere (`vidlake ingest --from kafka://...` workers) and `vidlake serve`
 * only computes the live metrics: `serve --rt-kafka kafka://BROKERS/TOPIC
 * --rt-group G`. It writes nothing to the lake.
 *
 * A member of its own consumer group (so it sees every partition while the
 * ingest workers share theirs). On each assignment it starts each partition
 * at the first record no older than now - rewind (the engine's retention:
 * rd_kafka_offsets_for_times), so that a restarted server fills its windows
 * again; a partition with nothing that recent starts at its end. Offsets
 * are committed automatically for lag tools only: where it resumes is
 * decided by time, not by them. Records are decoded and fed to the engine;
 * invalid ones are counted (their dead letters are the ingest workers' job).
 *
 * Threads: everything runs on the caller's thread inside
 * rd_kafka_consumer_poll / _close, rebalance callback included.
 */
#include "ingest.h"

#include <librdkafka/rdkafka.h>
#include <stdatomic.h>
#include <string.h>

#define MOD "kafka-rt"
#define POLL_MS 100
#define TIMES_TIMEOUT_MS 5000

typedef struct rtctx {
    const vl_kafka_rt_opts *o;
    vl_kafka_rt_stats *st;
    rd_kafka_t *rk;
    vl_decoder dec;
    vl_arena scratch;
    char kafka_err[256];
    int64_t rewind_us;
} rtctx;

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
    (void)rk;
    vl_log(vl_kafka_log_level(level), MOD, "%s: %s", fac, buf);
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
    (void)rk;
    rtctx *c = opaque;
    snprintf(c->kafka_err, sizeof(c->kafka_err), "%s", reason);
    VL_DEBUG(MOD, "%s: %s", rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

/* Positions the new partitions by time, then takes them. */
static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t e, rd_kafka_topic_partition_list_t *parts, void *opaque) {
    rtctx *c = opaque;
    if (e != RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        rd_kafka_assign(rk, NULL);
        return;
    }
    int64_t since_ms = (vl_now_us() - c->rewind_us) / 1000;
    for (int i = 0; i < parts->cnt; i++) parts->elems[i].offset = since_ms; /* a time, for offsets_for_times */
    rd_kafka_resp_err_t te = rd_kafka_offsets_for_times(rk, parts, TIMES_TIMEOUT_MS);
    for (int i = 0; i < parts->cnt; i++) {
        rd_kafka_topic_partition_t *p = &parts->elems[i];
        VL_DEBUG(MOD, "%s [%d]: offset for the time: %lld (%s)", p->topic, (int)p->partition, (long long)p->offset,
                 rd_kafka_err2str(p->err));
        /* no record that recent (-1), or the lookup failed: start at the end */
        if (te || p->err || p->offset < 0) p->offset = RD_KAFKA_OFFSET_END;
    }
    if (te) VL_WARN(MOD, "finding offsets by time: %s; starting at the end", rd_kafka_err2str(te));
    c->st->assignments++;
    VL_INFO(MOD, "%s: assigned %d partition(s), from %s", c->o->topic, parts->cnt,
            te ? "the end" : "the retention's start");
    rd_kafka_assign(rk, parts);
}

static void handle(rtctx *c, const rd_kafka_message_t *m) {
    c->st->records++;
    const char *val = m->payload ? (const char *)m->payload : "";
    if (m->len > VL_EVENT_MAX_BYTES) {
        c->st->rejected++;
        return;
    }
    vl_event ev;
    vl_reject rj;
    vl_arena_reset(&c->scratch);
    int rc = vl_decoder_decode(&c->dec, val, m->len, &ev, &c->scratch, &rj);
    if (rc != VL_OK) {
        c->st->rejected++;
        return;
    }
    if (vl_rt_add(c->o->rt, &ev) == VL_OK) c->st->events++;
    else c->st->dropped++;
}

int vl_kafka_rt_run(const vl_kafka_rt_opts *o, vl_kafka_rt_stats *st, vl_error *err) {
    vl_kafka_rt_stats local;
    if (!st) st = &local;
    memset(st, 0, sizeof(*st));
    if (!o->brokers || !*o->brokers || !o->topic || !*o->topic || !o->group || !*o->group || !o->rt)
        return vl_error_set(err, VL_EINVAL, "real-time Kafka consumer: brokers, topic, group and engine are required");
    rtctx c;
    memset(&c, 0, sizeof(c));
    c.o = o;
    c.st = st;
    c.rewind_us = o->rewind_us > 0 ? o->rewind_us : 3600LL * 1000000;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    static const char *const fixed[][2] = {
        {"enable.auto.commit", "true"},    /* for lag tools; positions come from time */
        {"auto.offset.reset", "latest"},
        {"enable.partition.eof", "false"},
        {"log.connection.close", "false"},
    };
    int rc = vl_kafka_consumer_conf(conf, o->brokers, o->group, "--rt-group: ", fixed, sizeof(fixed) / sizeof(fixed[0]),
                                    o->props, o->n_props, err);
    if (rc) {
        rd_kafka_conf_destroy(conf);
        return rc;
    }
    rd_kafka_conf_set_opaque(conf, &c);
    rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
    rd_kafka_conf_set_log_cb(conf, log_cb);
    rd_kafka_conf_set_error_cb(conf, error_cb);
    char es[512];
    c.rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, es, sizeof(es));
    if (!c.rk) {
        rd_kafka_conf_destroy(conf);
        return vl_error_set(err, VL_EINVAL, "real-time Kafka consumer: %s", es);
    }
    rd_kafka_poll_set_consumer(c.rk);
    rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(sub, o->topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t se = rd_kafka_subscribe(c.rk, sub);
    rd_kafka_topic_partition_list_destroy(sub);
    if (se) {
        rd_kafka_destroy(c.rk);
        return vl_error_set(err, VL_EIO, "real-time Kafka consumer: subscribing to %s: %s", o->topic,
                            rd_kafka_err2str(se));
    }
    vl_decoder_init(&c.dec);
    vl_arena_init(&c.scratch, 1 << 16);
    while (!(o->stop && atomic_load(o->stop))) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c.rk, POLL_MS);
        if (!m) continue;
        if (!m->err) handle(&c, m);
        else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
            VL_WARN(MOD, "%s: %s", o->topic, rd_kafka_message_errstr(m));
        rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(c.rk);
    rd_kafka_destroy(c.rk);
    vl_arena_destroy(&c.scratch);
    return VL_OK;
}
