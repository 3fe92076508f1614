/* vidlake - Apache-2.0 */
/*
 * The real-time engine against ground truth: a simulated day (with invalid
 * and duplicate lines) goes through the decoder into the engine, and every
 * metric must equal what the simulator's truth file implies: exactly for
 * counts and sums, within the sketches' stated error for startup quantiles
 * (1% relative) and unique viewers (3 standard errors of HLL at p = 14).
 * Then the parts the truth does not cover: concurrency, lateness, view
 * timeouts, slices, series and top-k, and the JSON and errors of queries.
 */
#include "stream/stream.h"
#include "vl_test.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define US 1000000LL

/* ------------------------------------------------------------ truth helpers */

typedef struct truth {
    vl_arena arena;
    const vl_json *root;
    char *text;
    size_t n;
} truth;

static int64_t jint(const vl_json *o, const char *k) {
    int64_t v = 0;
    const vl_json *x = vl_json_get(o, k);
    if (x && !vl_json_i64(x, &v)) {
        double d = 0;
        vl_json_f64(x, &d);
        v = llround(d);
    }
    return v;
}

static double jnum(const vl_json *o, const char *k) {
    double v = NAN;
    const vl_json *x = vl_json_get(o, k);
    if (x) vl_json_f64(x, &v);
    return v;
}

static bool jtrue(const vl_json *o, const char *k) {
    bool b = false;
    const vl_json *x = vl_json_get(o, k);
    return x && vl_json_bool(x, &b) && b;
}

static bool jis(const vl_json *o, const char *k, const char *want) {
    vl_sv s;
    const vl_json *x = vl_json_get(o, k);
    return x && vl_json_str(x, &s) && s.n == strlen(want) && memcmp(s.p, want, s.n) == 0;
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Counts by event type of the distinct valid events (the test's own
 * deduplication, by event_id). */
typedef struct seen_ids {
    uint64_t *h;
    size_t cap, n;
} seen_ids;

static bool seen_add(seen_ids *s, vl_sv id) {
    if ((s->n + 1) * 2 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1 << 16;
        uint64_t *t = calloc(cap, sizeof(*t));
        for (size_t i = 0; i < s->cap; i++) {
            if (!s->h[i]) continue;
            size_t j = (size_t)vl_mix64(s->h[i]) & (cap - 1);
            while (t[j]) j = (j + 1) & (cap - 1);
            t[j] = s->h[i];
        }
        free(s->h);
        s->h = t;
        s->cap = cap;
    }
    uint64_t k = vl_hash64(id.p, id.n, 99) | 1;
    size_t j = (size_t)vl_mix64(k) & (s->cap - 1);
    while (s->h[j] && s->h[j] != k) j = (j + 1) & (s->cap - 1);
    if (s->h[j]) return false;
    s->h[j] = k;
    s->n++;
    return true;
}

static double value(vl_test *t, vl_rt *rt, const char *m, int64_t window_us, const vl_rt_filter *f) {
    double v = NAN;
    vl_error err;
    int rc = vl_rt_value(rt, m, window_us, f, &v, &err);
    CHECKF(t, rc == VL_OK, "%s: %s", m, err.msg);
    return v;
}

/* Runs a simulated day through the decoder into the engine. */
static void t_truth(vl_test *t) {
    vl_sim_config c;
    vl_sim_config_default(&c);
    c.events = 300000;
    c.seed = 21;
    c.invalid_fraction = 0.01;
    c.duplicate_fraction = 0.03;
    vl_sim *s = NULL;
    vl_error err;
    REQUIRE(t, vl_sim_create(&c, &s, &err) == VL_OK);
    vl_rt_opts o = {.rollup_us = 7 * 86400 * US, .no_wall_clock = true, .lateness_us = 600 * US};
    vl_rt *rt = NULL;
    REQUIRE(t, vl_rt_create(&o, &rt, &err) == VL_OK);
    vl_decoder dec;
    vl_decoder_init(&dec);
    vl_arena a;
    vl_arena_init(&a, 1 << 16);
    vl_buf b;
    vl_buf_init(&b);
    seen_ids ids = {0};
    int64_t by_type[VL_ET_COUNT] = {0}, d_us, valid = 0;
    vl_sim_kind k;
    while (vl_sim_next(s, &b, &d_us, &k) == 1) {
        vl_event ev;
        vl_reject rj;
        int rc = vl_decoder_decode(&dec, b.p, b.n - 1, &ev, &a, &rj);
        if (rc == VL_OK) {
            valid++;
            if (seen_add(&ids, ev.v[VL_F_EVENT_ID].s)) by_type[ev.v[VL_F_EVENT_TYPE].i]++;
            CHECK(t, vl_rt_add(rt, &ev) == VL_OK);
        }
        b.n = 0;
        vl_arena_reset(&a);
    }
    FILE *f = tmpfile();
    REQUIRE(t, f && vl_sim_write_truth(s, f, &err) == VL_OK);
    long len = ftell(f);
    rewind(f);
    char *text = malloc((size_t)len);
    REQUIRE(t, fread(text, 1, (size_t)len, f) == (size_t)len);
    fclose(f);
    vl_arena ja;
    vl_arena_init(&ja, 1 << 20);
    const vl_json *tr = NULL;
    REQUIRE(t, vl_json_parse(text, (size_t)len, &ja, &tr, &err) == VL_OK);
    const vl_json *views = vl_json_get(tr, "views");
    REQUIRE(t, views && vl_json_kind(views) == VL_JSON_ARRAY);

    /* the truth, added up */
    size_t nv = vl_json_len(views);
    int64_t started = 0, vsf = 0, ebvs = 0, vpf = 0, watch = 0, stall = 0, imp = 0, comp = 0, skip = 0, click = 0,
            rev = 0;
    double br = 0;
    int64_t *startups = malloc(nv * sizeof(int64_t));
    uint64_t *users = malloc(nv * sizeof(uint64_t));
    size_t ns = 0;
    for (size_t i = 0; i < nv; i++) {
        const vl_json *v = vl_json_at(views, i), *ads = vl_json_get(v, "ads");
        if (jtrue(v, "started")) {
            started++;
            startups[ns++] = jint(v, "startup_ms");
        }
        vsf += jis(v, "outcome", "vsf");
        ebvs += jis(v, "outcome", "ebvs");
        vpf += jis(v, "outcome", "vpf");
        watch += jint(v, "watch_ms");
        stall += jint(v, "stall_ms");
        if (jint(v, "watch_ms") > 0) br += jnum(v, "avg_bitrate_kbps") * (double)jint(v, "watch_ms");
        imp += jint(ads, "impressions");
        comp += jint(ads, "completes");
        skip += jint(ads, "skips");
        click += jint(ads, "clicks");
        rev += llround(jnum(ads, "revenue_usd") * 1e6);
        vl_sv u;
        REQUIRE(t, vl_json_str(vl_json_get(v, "user_id"), &u));
        users[i] = vl_hash64(u.p, u.n, 1);
    }
    qsort(startups, ns, sizeof(*startups), cmp_i64);
    qsort(users, nv, sizeof(*users), cmp_u64);
    size_t distinct = 0;
    for (size_t i = 0; i < nv; i++) distinct += !i || users[i] != users[i - 1];
    CHECK(t, vsf > 0 && ebvs > 0 && vpf > 0 && imp > 0 && click > 0);

    /* everything generated is inside a 7-day window */
    int64_t W = 7 * 86400 * US;
    vl_rt_stats st;
    vl_rt_get_stats(rt, &st);
    CHECK_EQ_INT(t, st.late_events, 0);
    CHECK_EQ_INT(t, st.events + st.duplicates, valid);
    CHECK_EQ_INT(t, st.events, (int64_t)ids.n);
    CHECK_EQ_INT(t, (int64_t)value(t, rt, "events", W, NULL), (int64_t)ids.n);
    CHECK_EQ_INT(t, (int64_t)value(t, rt, "attempts", W, NULL), (int64_t)nv);
    CHECK_EQ_INT(t, (int64_t)value(t, rt, "plays", W, NULL), started);
    CHECK_EQ_INT(t, (int64_t)value(t, rt, "vsf", W, NULL), vsf);
    CHECK_EQ_INT(t, (int64_t)value(t, rt, "ebvs", W, NULL), ebvs);
    CHECK_EQ_INT(t, (int64_t)value(t, rt, "vpf", W, NULL), vpf);
    CHECK(t, fabs(value(t, rt, "vsf_rate", W, NULL) - (double)vsf / (double)nv) < 1e-12);
    CHECK(t, fabs(value(t, rt, "vpf_rate", W, NULL) - (double)vpf / (double)started) < 1e-12);
    CHECK_EQ_INT(t, llround(value(t, rt, "watch_time_s", W, NULL) * 1000), watch);
    CHECK_EQ_INT(t, llround(value(t, rt, "stall_time_s", W, NULL) * 1000), stall);
    CHECK(t, fabs(value(t, rt, "rebuffering_ratio", W, NULL) - (double)stall / (double)(watch + stall)) < 1e-12);
    double abr = value(t, rt, "avg_bitrate_kbps", W, NULL), want_br = br / (double)watch;
    CHECKF(t, fabs(abr - want_br) / want_br < 0.005, "average bitrate %.1f, truth %.1f", abr, want_br);
    static const struct {
        const char *m;
        int type;
    } types[] = {{"likes", VL_ET_LIKE}, {"dislikes", VL_ET_DISLIKE}, {"comments", VL_ET_COMMENT},
                 {"shares", VL_ET_SHARE}, {"subscribes", VL_ET_SUBSCRIBE}};
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        CHECKF(t, (int64_t)value(t, rt, types[i].m, W, NULL) == by_type[types[i].type], "%s: %.0f, truth %lld",
               types[i].m, value(t, rt, types[i].m, W, NULL), (long long)by_type[types[i].type]);
    CHECK_EQ_INT(t, (int64_t)value(t, rt, "ad_impressions", W, NULL), imp);
    CHECK_EQ_INT(t, (int64_t)value(t, rt, "ad_completes", W, NULL), comp);
    CHECK_EQ_INT(t, (int64_t)value(t, rt, "ad_skips", W, NULL), skip);
    CHECK_EQ_INT(t, (int64_t)value(t, rt, "ad_clicks", W, NULL), click);
    CHECK(t, fabs(value(t, rt, "ad_ctr", W, NULL) - (double)click / (double)imp) < 1e-12);
    CHECK_EQ_INT(t, llround(value(t, rt, "ad_revenue_usd", W, NULL) * 1e6), rev);
    /* startup quantiles: within 1% of the value at rank floor(q (n - 1)) */
    const char *qn[3] = {"startup_ms_p50", "startup_ms_p90", "startup_ms_p99"};
    const double qs[3] = {0.5, 0.9, 0.99};
    for (int i = 0; i < 3; i++) {
        double got = value(t, rt, qn[i], W, NULL), want = (double)startups[(size_t)(qs[i] * (double)(ns - 1))];
        CHECKF(t, fabs(got - want) <= 0.01 * want + 1e-9, "%s: %.1f, truth %.1f", qn[i], got, want);
    }
    double uv = value(t, rt, "unique_viewers", W, NULL);
    CHECKF(t, fabs(uv - (double)distinct) <= 3 * 0.0082 * (double)distinct, "unique viewers %.0f, truth %zu", uv,
           distinct);
    /* the slices add up to the whole */
    const char *dims[4] = {"device_type", "country", "cdn", "os"};
    for (int d = 0; d < 4; d++) {
        vl_buf top;
        vl_buf_init(&top);
        REQUIRE(t, vl_rt_top_json(rt, dims[d], "plays", 100, W, &top, &err) == VL_OK);
        vl_arena ta;
        vl_arena_init(&ta, 0);
        const vl_json *doc;
        REQUIRE(t, vl_json_parse(top.p, top.n, &ta, &doc, &err) == VL_OK);
        const vl_json *items = vl_json_get(doc, "items");
        int64_t sum = 0;
        for (size_t i = 0; i < vl_json_len(items); i++) {
            const vl_json *it = vl_json_at(items, i);
            sum += jint(it, "value");
            vl_sv key;
            REQUIRE(t, vl_json_str(vl_json_get(it, "key"), &key));
            char kb[80];
            snprintf(kb, sizeof(kb), "%.*s", (int)key.n, key.p);
            vl_rt_filter fl = {dims[d], kb};
            CHECK_EQ_INT(t, (int64_t)value(t, rt, "plays", W, &fl), jint(it, "value"));
        }
        CHECKF(t, sum == started, "%s: plays over its values %lld, all %lld", dims[d], (long long)sum,
               (long long)started);
        vl_arena_destroy(&ta);
        vl_buf_free(&top);
    }
    /* a series adds up to the summary over the same minutes */
    vl_buf ts;
    vl_buf_init(&ts);
    REQUIRE(t, vl_rt_timeseries_json(rt, "plays", 6 * 86400 * US, 3600 * US, NULL, &ts, &err) == VL_OK);
    vl_arena sa;
    vl_arena_init(&sa, 0);
    const vl_json *doc;
    REQUIRE(t, vl_json_parse(ts.p, ts.n, &sa, &doc, &err) == VL_OK);
    const vl_json *vs = vl_json_get(doc, "v");
    CHECK_EQ_INT(t, vl_json_len(vs), 144);
    int64_t sum = 0;
    for (size_t i = 0; i < vl_json_len(vs); i++) {
        int64_t x = 0;
        CHECK(t, vl_json_i64(vl_json_at(vs, i), &x));
        sum += x;
    }
    CHECK_EQ_INT(t, sum, started);
    vl_arena_destroy(&sa);
    vl_buf_free(&ts);

    free(ids.h);
    free(startups);
    free(users);
    free(text);
    vl_arena_destroy(&ja);
    vl_buf_free(&b);
    vl_arena_destroy(&a);
    vl_rt_destroy(rt);
    vl_sim_destroy(s);
}

/* ------------------------------------------------------- hand-made streams */

/* A base time: 2024-05-01T12:00:00Z. */
#define T0 (1714564800LL * US)

typedef struct mk {
    vl_event ev;
    char eid[32], vid[32], uid[32];
} mk;

static const vl_event *mkev(mk *m, int type, int64_t t, int view, int user, const char *device, int64_t extra) {
    static int serial;
    vl_event_clear(&m->ev);
    snprintf(m->eid, sizeof(m->eid), "e%d", ++serial);
    snprintf(m->vid, sizeof(m->vid), "v%d", view);
    snprintf(m->uid, sizeof(m->uid), "u%d", user);
    vl_event_set_s(&m->ev, VL_F_EVENT_ID, m->eid, strlen(m->eid));
    vl_event_set_i(&m->ev, VL_F_EVENT_TYPE, type);
    vl_event_set_i(&m->ev, VL_F_EVENT_TIME, t);
    vl_event_set_s(&m->ev, VL_F_USER_ID, m->uid, strlen(m->uid));
    vl_event_set_s(&m->ev, VL_F_DEVICE_ID, "d", 1);
    vl_event_set_s(&m->ev, VL_F_SESSION_ID, "s", 1);
    if (view) {
        vl_event_set_s(&m->ev, VL_F_VIEW_ID, m->vid, strlen(m->vid));
        vl_event_set_s(&m->ev, VL_F_CONTENT_ID, view % 2 ? "mov-1" : "mov-2", 5);
    }
    if (device) vl_event_set_i(&m->ev, VL_F_DEVICE_TYPE, vl_event_enum_find(VL_F_DEVICE_TYPE, device, strlen(device)));
    vl_event_set_s(&m->ev, VL_F_COUNTRY, "US", 2);
    vl_event_set_s(&m->ev, VL_F_CDN, "akamai", 6);
    if (type == VL_ET_PLAY) vl_event_set_i(&m->ev, VL_F_STARTUP_MS, extra);
    if (type == VL_ET_BUFFER) vl_event_set_i(&m->ev, VL_F_BUFFER_MS, extra);
    if (type == VL_ET_ERROR) {
        vl_event_set_s(&m->ev, VL_F_ERROR_CODE, "X", 1);
        vl_event_set_i(&m->ev, VL_F_ERROR_FATAL, extra);
    }
    if (type == VL_ET_AD_IMPRESSION) vl_event_set_i(&m->ev, VL_F_AD_POSITION, VL_ADPOS_PREROLL);
    if (type != VL_ET_STOP && type != VL_ET_ERROR && type != VL_ET_AD_IMPRESSION)
        vl_event_set_i(&m->ev, VL_F_BITRATE_KBPS, 3000); /* sent once frames play */
    return &m->ev;
}

static void t_concurrency_lateness_timeouts(vl_test *t) {
    vl_rt_opts o = {.no_wall_clock = true, .lateness_us = 10 * US, .view_timeout_us = 60 * US};
    vl_rt *rt;
    vl_error err;
    REQUIRE(t, vl_rt_create(&o, &rt, &err) == VL_OK);
    mk m;
    /* three views start at T0, T0+1 s, T0+2 s; the first stops at T0+5 s */
    CHECK(t, vl_rt_add(rt, mkev(&m, VL_ET_PLAY, T0, 1, 1, "tv", 900)) == VL_OK);
    CHECK(t, vl_rt_add(rt, mkev(&m, VL_ET_PLAY, T0 + 1 * US, 2, 2, "mobile", 1100)) == VL_OK);
    CHECK(t, vl_rt_add(rt, mkev(&m, VL_ET_PLAY, T0 + 2 * US, 3, 3, "tv", 1300)) == VL_OK);
    CHECK_EQ_INT(t, (int64_t)value(t, rt, "concurrent_plays", 60 * US, NULL), 3);
    vl_rt_filter tv = {"device_type", "tv"};
    CHECK_EQ_INT(t, (int64_t)value(t, rt, "concurrent_plays", 60 * US, &tv), 2);
    const vl_event *dup = mkev(&m, VL_ET_STOP, T0 + 5 * US, 1, 1, "tv", 0);
    CHECK(t, vl_rt_add(rt, dup) == VL_OK);
    CHECK(t, vl_rt_add(rt, dup) == VL_OK); /* the same event_id again: a duplicate */
    CHECK_EQ_INT(t, (int64_t)value(t, rt, "concurrent_plays", 60 * US, NULL), 2);
    CHECK_EQ_INT(t, (int64_t)value(t, rt, "concurrent_plays", 60 * US, &tv), 1);
    /* watch time of view 1: 5 s of playing */
    CHECK_EQ_INT(t, llround(value(t, rt, "watch_time_s", 60 * US, &tv) * 1000), 5000);
    /* a series of concurrency, per second: 1, 2, 3, 3, 3, 2 */
    vl_buf b;
    vl_buf_init(&b);
    REQUIRE(t, vl_rt_timeseries_json(rt, "concurrent_plays", 6 * US, US, NULL, &b, &err) == VL_OK);
    CHECKF(t, strstr(vl_buf_cstr(&b), "\"v\":[1,2,3,3,3,2]") != NULL, "%s", vl_buf_cstr(&b));
    b.n = 0;
    /* an event past the lateness is late; now moves on with the clock */
    CHECK(t, vl_rt_add(rt, mkev(&m, VL_ET_HEARTBEAT, T0 + 30 * US, 2, 2, "mobile", 0)) == VL_OK);
    CHECK(t, vl_rt_add(rt, mkev(&m, VL_ET_LIKE, T0 + 3 * US, 3, 3, "tv", 0)) == VL_OK);
    vl_rt_stats st;
    vl_rt_get_stats(rt, &st);
    CHECK_EQ_INT(t, st.late_events, 1);
    CHECK_EQ_INT(t, st.duplicates, 1);
    CHECK_EQ_INT(t, (int64_t)value(t, rt, "likes", 3600 * US, NULL), 0);
    /* view 3 is quiet for more than the timeout: it ends */
    CHECK(t, vl_rt_add(rt, mkev(&m, VL_ET_HEARTBEAT, T0 + 85 * US, 2, 2, "mobile", 0)) == VL_OK);
    CHECK_EQ_INT(t, (int64_t)value(t, rt, "concurrent_plays", 60 * US, NULL), 1);
    vl_rt_get_stats(rt, &st);
    CHECK_EQ_INT(t, st.views_timed_out, 1);
    /* failures: a fatal error before the first frame, another after it; an exit before start */
    CHECK(t, vl_rt_add(rt, mkev(&m, VL_ET_ERROR, T0 + 101 * US, 10, 4, "desktop", 1)) == VL_OK);
    CHECK(t, vl_rt_add(rt, mkev(&m, VL_ET_PLAY, T0 + 101 * US, 11, 4, "desktop", 500)) == VL_OK);
    CHECK(t, vl_rt_add(rt, mkev(&m, VL_ET_ERROR, T0 + 102 * US, 11, 4, "desktop", 1)) == VL_OK);
    CHECK(t, vl_rt_add(rt, mkev(&m, VL_ET_AD_IMPRESSION, T0 + 102 * US, 12, 5, "desktop", 0)) == VL_OK);
    CHECK(t, vl_rt_add(rt, mkev(&m, VL_ET_STOP, T0 + 103 * US, 12, 5, "desktop", 0)) == VL_OK);
    vl_rt_filter desk = {"device_type", "desktop"};
    CHECK_EQ_INT(t, (int64_t)value(t, rt, "attempts", 60 * US, &desk), 3);
    CHECK_EQ_INT(t, (int64_t)value(t, rt, "vsf", 60 * US, &desk), 1);
    CHECK_EQ_INT(t, (int64_t)value(t, rt, "vpf", 60 * US, &desk), 1);
    CHECK_EQ_INT(t, (int64_t)value(t, rt, "ebvs", 60 * US, &desk), 1);
    CHECK(t, fabs(value(t, rt, "vsf_rate", 60 * US, &desk) - 1.0 / 3) < 1e-12);
    CHECK(t, isnan(value(t, rt, "rebuffering_ratio", 60 * US, &desk)) == false);
    /* a view first seen mid-way (a heartbeat): playing, but no attempt here */
    double conc = value(t, rt, "concurrent_plays", 60 * US, NULL);
    CHECK(t, vl_rt_add(rt, mkev(&m, VL_ET_HEARTBEAT, T0 + 104 * US, 13, 6, "desktop", 0)) == VL_OK);
    CHECK_EQ_INT(t, (int64_t)value(t, rt, "attempts", 60 * US, &desk), 3);
    CHECK_EQ_INT(t, (int64_t)value(t, rt, "plays", 60 * US, &desk), 1);
    CHECK_EQ_INT(t, (int64_t)value(t, rt, "concurrent_plays", 60 * US, NULL), (int64_t)conc + 1);
    vl_rt_get_stats(rt, &st);
    CHECK_EQ_INT(t, st.views_joined, 1);
    /* top content by concurrency and by plays */
    REQUIRE(t, vl_rt_top_json(rt, "content_id", "plays", 5, 15 * 60 * US, &b, &err) == VL_OK);
    CHECKF(t, strstr(vl_buf_cstr(&b), "{\"key\":\"mov-1\",\"value\":3}") != NULL, "%s", vl_buf_cstr(&b));
    vl_buf_free(&b);
    vl_rt_destroy(rt);
}

static void t_queries_and_errors(vl_test *t) {
    vl_rt *rt;
    vl_error err;
    vl_rt_opts o = {0};
    REQUIRE(t, vl_rt_create(&o, &rt, &err) == VL_OK);
    vl_buf b;
    vl_buf_init(&b);
    /* empty: every metric is 0 or null, and the JSON parses */
    REQUIRE(t, vl_rt_summary_json(rt, 300 * US, NULL, &b, &err) == VL_OK);
    vl_arena a;
    vl_arena_init(&a, 0);
    const vl_json *doc;
    CHECKF(t, vl_json_parse(b.p, b.n, &a, &doc, &err) == VL_OK, "%s", vl_buf_cstr(&b));
    const vl_json *ms = vl_json_get(doc, "metrics");
    size_t nm = 0;
    while (vl_rt_metric_name(nm)) {
        CHECKF(t, vl_json_get(ms, vl_rt_metric_name(nm)) != NULL, "%s", vl_rt_metric_name(nm));
        nm++;
    }
    CHECK_EQ_INT(t, vl_json_len(ms), nm);
    CHECK_EQ_INT(t, nm, 33);
    CHECK(t, vl_json_is_null(vl_json_get(ms, "startup_ms_p90")));
    CHECK(t, vl_json_is_null(vl_json_get(doc, "now")));
    vl_arena_destroy(&a);
    b.n = 0;
    /* the errors a user sees */
    CHECK_EQ_INT(t, vl_rt_summary_json(rt, 0, NULL, &b, &err), VL_EINVAL);
    CHECK(t, strstr(err.msg, "window") != NULL);
    CHECK_EQ_INT(t, vl_rt_summary_json(rt, 30 * 86400 * US, NULL, &b, &err), VL_EINVAL);
    vl_rt_filter bad = {"planet", "mars"};
    CHECK_EQ_INT(t, vl_rt_summary_json(rt, 60 * US, &bad, &b, &err), VL_EINVAL);
    CHECK(t, strstr(err.msg, "planet") != NULL);
    CHECK_EQ_INT(t, vl_rt_timeseries_json(rt, "nope", 60 * US, 0, NULL, &b, &err), VL_EINVAL);
    CHECK_EQ_INT(t, vl_rt_timeseries_json(rt, "plays", 3600 * US, US, NULL, &b, &err), VL_EINVAL); /* 3600 points */
    CHECK_EQ_INT(t, vl_rt_timeseries_json(rt, "unique_viewers", 600 * US, 10 * US, NULL, &b, &err), VL_EINVAL);
    CHECK(t, strstr(err.msg, "60 s") != NULL);
    CHECK_EQ_INT(t, vl_rt_top_json(rt, "content_id", "vsf", 5, 60 * US, &b, &err), VL_EINVAL);
    CHECK_EQ_INT(t, vl_rt_top_json(rt, "content_id", "plays", 5, 3600 * US, &b, &err), VL_EINVAL);
    CHECK_EQ_INT(t, vl_rt_top_json(rt, "country", "plays", 0, 60 * US, &b, &err), VL_EINVAL);
    CHECK_EQ_INT(t, vl_rt_top_json(rt, "galaxy", "plays", 5, 60 * US, &b, &err), VL_EINVAL);
    /* a value never seen: empty, not an error */
    vl_rt_filter none = {"country", "FR"};
    b.n = 0;
    CHECK_EQ_INT(t, vl_rt_timeseries_json(rt, "plays", 60 * US, 10 * US, &none, &b, &err), VL_OK);
    CHECKF(t, strstr(vl_buf_cstr(&b), "\"v\":[0,0,0,0,0,0]") != NULL, "%s", vl_buf_cstr(&b));
    /* bad options */
    vl_rt *x;
    vl_rt_opts bo = {.retention_us = US};
    CHECK_EQ_INT(t, vl_rt_create(&bo, &x, &err), VL_EINVAL);
    vl_rt_opts bl = {.lateness_us = 7200 * US};
    CHECK_EQ_INT(t, vl_rt_create(&bl, &x, &err), VL_EINVAL);
    vl_buf_free(&b);
    vl_rt_destroy(rt);
}

static void t_out_of_memory(vl_test *t) {
    /* every allocation fails in turn: adds report ENOMEM, nothing crashes or leaks */
    for (int k = 0; k < 200; k++) {
        vl_rt *rt = NULL;
        vl_error err;
        vl_rt_opts o = {.no_wall_clock = true};
        vl_alloc_fail_after(k);
        if (vl_rt_create(&o, &rt, &err) != VL_OK) {
            vl_alloc_fail_after(-1);
            continue;
        }
        mk m;
        for (int i = 0; i < 50; i++) {
            int rc = vl_rt_add(rt, mkev(&m, i % 3 ? VL_ET_HEARTBEAT : VL_ET_PLAY, T0 + i * US, i / 3 + 1, i, "tv", 800));
            CHECK(t, rc == VL_OK || rc == VL_ENOMEM);
        }
        vl_buf b;
        vl_buf_init(&b);
        int rc = vl_rt_summary_json(rt, 60 * US, NULL, &b, &err);
        CHECK(t, rc == VL_OK || rc == VL_ENOMEM);
        vl_alloc_fail_after(-1);
        vl_buf_free(&b);
        vl_rt_destroy(rt);
    }
}


/* Top-k over many titles equals a full sort (the engine keeps a heap of k). */
static void t_top_content(vl_test *t) {
    vl_rt_opts o = {.no_wall_clock = true};
    vl_rt *rt;
    vl_error err;
    REQUIRE(t, vl_rt_create(&o, &rt, &err) == VL_OK);
    enum { TITLES = 500 };
    int plays[TITLES] = {0};
    vl_rng r;
    vl_rng_seed(&r, 5);
    mk m;
    char cid[32];
    for (int v = 1; v <= 20000; v++) {
        int c = (int)vl_rng_below(&r, (uint64_t)(1 + vl_rng_below(&r, TITLES))); /* skewed */
        snprintf(cid, sizeof(cid), "c-%03d", c);
        mkev(&m, VL_ET_PLAY, T0 + v * 1000LL, v, v, "tv", 700);
        vl_event_set_s(&m.ev, VL_F_CONTENT_ID, cid, strlen(cid));
        REQUIRE(t, vl_rt_add(rt, &m.ev) == VL_OK);
        plays[c]++;
    }
    for (int k = 1; k <= 25; k += 8) {
        vl_buf b;
        vl_buf_init(&b);
        REQUIRE(t, vl_rt_top_json(rt, "content_id", "plays", k, 5 * 60 * US, &b, &err) == VL_OK);
        vl_arena a;
        vl_arena_init(&a, 0);
        const vl_json *doc;
        REQUIRE(t, vl_json_parse(b.p, b.n, &a, &doc, &err) == VL_OK);
        const vl_json *items = vl_json_get(doc, "items");
        CHECK_EQ_INT(t, vl_json_len(items), k);
        /* the brute force: best counts first, ties by name */
        bool used[TITLES] = {false};
        for (size_t i = 0; i < vl_json_len(items); i++) {
            int best = -1;
            for (int c = 0; c < TITLES; c++)
                if (!used[c] && plays[c] > 0 && (best < 0 || plays[c] > plays[best])) best = c;
            used[best] = true;
            snprintf(cid, sizeof(cid), "c-%03d", best);
            const vl_json *it = vl_json_at(items, i);
            vl_sv key;
            CHECK(t, vl_json_str(vl_json_get(it, "key"), &key) && key.n == strlen(cid) && memcmp(key.p, cid, key.n) == 0);
            CHECK_EQ_INT(t, jint(it, "value"), plays[best]);
        }
        vl_arena_destroy(&a);
        vl_buf_free(&b);
    }
    vl_rt_destroy(rt);
}


/* What a review found: wrong clocks, titles past the first table size, views
 * quiet for longer than the timeout, steps as large as a client likes, and
 * interactions without a view. */
static void t_robustness(vl_test *t) {
    vl_error err;
    vl_rt *rt;
    mk m;
    /* wall clock: an event a day ahead is not applied and does not freeze now */
    vl_rt_opts o = {0};
    REQUIRE(t, vl_rt_create(&o, &rt, &err) == VL_OK);
    int64_t wall = vl_now_us();
    CHECK(t, vl_rt_add(rt, mkev(&m, VL_ET_PLAY, wall + 86400 * US, 1, 1, "tv", 800)) == VL_OK);
    for (int i = 0; i < 50; i++) CHECK(t, vl_rt_add(rt, mkev(&m, VL_ET_LIKE, vl_now_us(), 100 + i, 2, "tv", 0)) == VL_OK);
    CHECK_EQ_INT(t, (int64_t)value(t, rt, "likes", 300 * US, NULL), 50);
    CHECK_EQ_INT(t, (int64_t)value(t, rt, "plays", 300 * US, NULL), 0);
    vl_rt_stats st;
    vl_rt_get_stats(rt, &st);
    CHECK(t, st.now_us <= vl_now_us() && st.now_us >= wall);
    vl_rt_destroy(rt);

    vl_rt_opts o2 = {.no_wall_clock = true};
    REQUIRE(t, vl_rt_create(&o2, &rt, &err) == VL_OK);
    /* 600 titles, each played then stopped: nothing is concurrent, per title either */
    char cid[32];
    for (int i = 0; i < 600; i++) {
        snprintf(cid, sizeof(cid), "t-%04d", i);
        mkev(&m, VL_ET_PLAY, T0 + i * 1000LL, 1000 + i, i, "tv", 700);
        vl_event_set_s(&m.ev, VL_F_CONTENT_ID, cid, strlen(cid));
        REQUIRE(t, vl_rt_add(rt, &m.ev) == VL_OK);
    }
    for (int i = 0; i < 600; i++) {
        snprintf(cid, sizeof(cid), "t-%04d", i);
        mkev(&m, VL_ET_STOP, T0 + 1 * US + i * 1000LL, 1000 + i, i, "tv", 0);
        vl_event_set_s(&m.ev, VL_F_CONTENT_ID, cid, strlen(cid));
        vl_event_set_i(&m.ev, VL_F_BITRATE_KBPS, 3000);
        REQUIRE(t, vl_rt_add(rt, &m.ev) == VL_OK);
    }
    CHECK_EQ_INT(t, (int64_t)value(t, rt, "concurrent_plays", 60 * US, NULL), 0);
    vl_buf b;
    vl_buf_init(&b);
    REQUIRE(t, vl_rt_top_json(rt, "content_id", "concurrent_plays", 10, 60 * US, &b, &err) == VL_OK);
    CHECKF(t, strstr(vl_buf_cstr(&b), "\"items\":[]") != NULL, "%s", vl_buf_cstr(&b));
    b.n = 0;
    mkev(&m, VL_ET_PLAY, T0 + 2 * US, 2000, 2000, "tv", 700); /* the last title gets a second play */
    vl_event_set_s(&m.ev, VL_F_CONTENT_ID, "t-0599", 6);
    REQUIRE(t, vl_rt_add(rt, &m.ev) == VL_OK);
    REQUIRE(t, vl_rt_top_json(rt, "content_id", "plays", 1, 60 * US, &b, &err) == VL_OK);
    CHECKF(t, strstr(vl_buf_cstr(&b), "[{\"key\":\"t-0599\",\"value\":2}]") != NULL, "%s", vl_buf_cstr(&b));
    b.n = 0;
    /* a view quiet for an hour: it ended at the timeout; the gap is not watch time */
    double w0 = value(t, rt, "watch_time_s", 3 * 3600 * US, NULL);
    CHECK(t, vl_rt_add(rt, mkev(&m, VL_ET_PLAY, T0 + 10 * US, 5000, 9, "tv", 700)) == VL_OK);
    CHECK(t, vl_rt_add(rt, mkev(&m, VL_ET_HEARTBEAT, T0 + 3610 * US, 5000, 9, "tv", 0)) == VL_OK);
    CHECK(t, value(t, rt, "watch_time_s", 3 * 3600 * US, NULL) == w0);
    CHECK_EQ_INT(t, (int64_t)value(t, rt, "concurrent_plays", 60 * US, NULL), 0);
    /* steps: never larger than the window; whole minutes when the series leaves the per-second retention */
    CHECK_EQ_INT(t, vl_rt_timeseries_json(rt, "plays", 60 * US, 1000000000000LL * US, NULL, &b, &err), VL_EINVAL);
    CHECK(t, strstr(err.msg, "step") != NULL);
    CHECK_EQ_INT(t, vl_rt_timeseries_json(rt, "plays", 3600 * US, 7 * US, NULL, &b, &err), VL_EINVAL);
    b.n = 0;
    CHECK_EQ_INT(t, vl_rt_timeseries_json(rt, "plays", 3600 * US, 0, NULL, &b, &err), VL_OK);
    CHECKF(t, strstr(vl_buf_cstr(&b), "\"step_s\":60") != NULL, "%s", vl_buf_cstr(&b));
    /* interactions without a view still count */
    int64_t likes = (int64_t)value(t, rt, "likes", 60 * US, NULL);
    CHECK(t, vl_rt_add(rt, mkev(&m, VL_ET_LIKE, T0 + 3611 * US, 0, 9, "tv", 0)) == VL_OK);
    CHECK_EQ_INT(t, (int64_t)value(t, rt, "likes", 60 * US, NULL), likes + 1);
    vl_buf_free(&b);
    vl_rt_destroy(rt);
}


/* Time passes without events once the engine is live; a replay stays put. */
static void t_tick(vl_test *t) {
    vl_error err;
    vl_rt *rt;
    mk m;
    vl_rt_opts o = {.view_timeout_us = 1 * US};
    REQUIRE(t, vl_rt_create(&o, &rt, &err) == VL_OK);
    CHECK(t, vl_rt_add(rt, mkev(&m, VL_ET_PLAY, vl_now_us(), 1, 1, "tv", 800)) == VL_OK);
    CHECK_EQ_INT(t, (int64_t)value(t, rt, "concurrent_plays", 60 * US, NULL), 1);
    for (int i = 0; i < 25; i++) {
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
        vl_rt_tick(rt);
    }
    CHECK_EQ_INT(t, (int64_t)value(t, rt, "concurrent_plays", 60 * US, NULL), 0);
    vl_rt_stats st;
    vl_rt_get_stats(rt, &st);
    CHECK(t, vl_now_us() - st.now_us < 500000); /* now followed the clock */
    vl_rt_destroy(rt);
    /* a replay of old events: the clock does not move it */
    REQUIRE(t, vl_rt_create(&o, &rt, &err) == VL_OK);
    CHECK(t, vl_rt_add(rt, mkev(&m, VL_ET_PLAY, T0, 1, 1, "tv", 800)) == VL_OK);
    vl_rt_tick(rt);
    vl_rt_get_stats(rt, &st);
    CHECK_EQ_INT(t, st.now_us, T0);
    CHECK_EQ_INT(t, (int64_t)value(t, rt, "concurrent_plays", 60 * US, NULL), 1);
    vl_rt_destroy(rt);
}

static const vl_test_case cases[] = {
    {"a simulated day: every metric equals the truth", t_truth},
    {"concurrency, duplicates, lateness, timeouts and failures", t_concurrency_lateness_timeouts},
    {"queries: empty engine, JSON, and errors naming the parameter", t_queries_and_errors},
    {"top content by plays equals a full sort", t_top_content},
    {"wrong clocks, many titles, long gaps, huge steps, likes without a view", t_robustness},
    {"time passes without events once live; a replay stays put", t_tick},
    {"allocation failures are reported, never crash", t_out_of_memory},
};
VL_TEST_MAIN(cases)
