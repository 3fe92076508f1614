/* vidlake - Apache-2.0 */
/*
 * Unit tests for the viewer simulator: determinism, exact line counts,
 * delivery order, the truth file against what was emitted (views rebuilt
 * from the events with the DESIGN.md metric rules), and the validator
 * rejecting exactly the invalid lines with the keys the truth predicts.
 */
#include "event/event.h"
#include "vl_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------ a tiny JSON tree */

typedef struct jv {
    char type; /* o a s n t f z */
    double num;
    int64_t i;
    char *s;
    size_t n; /* members or items */
    char **keys;
    struct jv *items;
} jv;

typedef struct {
    const char *p, *end;
    bool bad;
} jparse;

static void jws(jparse *j) {
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\t' || *j->p == '\r')) j->p++;
}

static char *jstr(jparse *j) {
    const char *b = ++j->p; /* our truth never escapes */
    while (j->p < j->end && *j->p != '"') j->p++;
    if (j->p >= j->end) {
        j->bad = true;
        return NULL;
    }
    char *s = malloc((size_t)(j->p - b) + 1);
    memcpy(s, b, (size_t)(j->p - b));
    s[j->p - b] = '\0';
    j->p++;
    return s;
}

static void jval(jparse *j, jv *v) {
    memset(v, 0, sizeof(*v));
    jws(j);
    if (j->p >= j->end) {
        j->bad = true;
        return;
    }
    char c = *j->p;
    if (c == '{' || c == '[') {
        v->type = c == '{' ? 'o' : 'a';
        j->p++;
        size_t cap = 0;
        for (;;) {
            jws(j);
            if (j->p < j->end && (*j->p == '}' || *j->p == ']')) {
                j->p++;
                return;
            }
            if (v->n == cap) {
                cap = cap ? cap * 2 : 8;
                v->items = realloc(v->items, cap * sizeof(jv));
                v->keys = realloc(v->keys, cap * sizeof(char *));
            }
            v->keys[v->n] = NULL;
            if (v->type == 'o') {
                v->keys[v->n] = jstr(j);
                jws(j);
                if (j->p >= j->end || *j->p != ':') {
                    j->bad = true;
                    v->n++;
                    return;
                }
                j->p++;
            }
            jval(j, &v->items[v->n++]);
            if (j->bad) return;
            jws(j);
            if (j->p < j->end && *j->p == ',') j->p++;
        }
    } else if (c == '"') {
        v->type = 's';
        v->s = jstr(j);
    } else if (c == 't' || c == 'f' || c == 'n') {
        v->type = c == 'n' ? 'z' : c;
        j->p += c == 'f' ? 5 : 4;
    } else {
        char *e;
        v->type = 'n';
        v->num = strtod(j->p, &e);
        v->i = strtoll(j->p, NULL, 10);
        if (e == j->p) j->bad = true;
        j->p = e;
    }
}

static void jfree(jv *v) {
    for (size_t i = 0; i < v->n; i++) {
        if (v->keys) free(v->keys[i]);
        jfree(&v->items[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->s);
}

static const jv *jget(const jv *o, const char *key) {
    if (!o || o->type != 'o') return NULL;
    for (size_t i = 0; i < o->n; i++)
        if (o->keys[i] && strcmp(o->keys[i], key) == 0) return &o->items[i];
    return NULL;
}

static int64_t jint(const jv *o, const char *key) {
    const jv *v = jget(o, key);
    return v && v->type == 'n' ? v->i : -999999;
}

/* Writes the truth of s into memory and parses it. */
static bool truth_of(vl_sim *s, jv *out) {
    char *mem = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&mem, &n);
    vl_error err;
    bool ok = f && vl_sim_write_truth(s, f, &err) == VL_OK;
    if (f) fclose(f);
    jparse j = {mem, mem + n, false};
    if (ok) jval(&j, out);
    free(mem);
    return ok && !j.bad;
}

/* ------------------------------------------------------------- helpers */

static vl_sim *make(uint64_t seed, uint64_t events, uint32_t users, double inv, double dup, double late) {
    vl_sim_config c;
    vl_sim_config_default(&c);
    c.seed = seed;
    c.events = events;
    c.users = users;
    c.invalid_fraction = inv;
    c.duplicate_fraction = dup;
    c.late_fraction = late;
    vl_sim *s = NULL;
    vl_error err;
    if (vl_sim_create(&c, &s, &err) != VL_OK) {
        if (err.code != VL_ENOMEM) printf("  vl_sim_create: %s\n", err.msg);
        return NULL;
    }
    return s;
}

/* The value of "key":"..." in a canonical line, or an empty view. */
static vl_sv str_field(const char *line, size_t n, const char *key) {
    char pat[48];
    int k = snprintf(pat, sizeof(pat), "\"%s\":\"", key);
    const char *p = memmem(line, n, pat, (size_t)k);
    if (!p) return vl_sv_make(NULL, 0);
    p += k;
    const char *e = memchr(p, '"', (size_t)(line + n - p));
    return vl_sv_make(p, e ? (size_t)(e - p) : 0);
}

static uint64_t run_hash(uint64_t seed, uint64_t events, uint64_t *by_type, vl_test *t) {
    vl_sim *s = make(seed, events, 0, 0.01, 0.01, 0.01);
    if (!s) {
        t->failed++;
        return 0;
    }
    vl_buf b;
    vl_buf_init(&b);
    uint64_t h = 0, n = 0;
    int64_t d;
    vl_sim_kind k;
    while (vl_sim_next(s, &b, &d, &k) == 1) {
        h = vl_mix64(h ^ vl_hash64(b.p, b.n, n++));
        if (by_type && k == VL_SIM_EVENT) {
            vl_sv et = str_field(b.p, b.n, "event_type");
            for (int i = 0; i < VL_ET_COUNT; i++)
                if (vl_sv_eq_cstr(et, vl_event_type_names[i])) by_type[i]++;
        }
        b.n = 0;
    }
    CHECK_EQ_INT(t, n, events);
    vl_buf_free(&b);
    vl_sim_destroy(s);
    return h;
}

/* ---------------------------------------------------------------- tests */

static void t_same_seed_same_bytes(vl_test *t) {
    uint64_t types[VL_ET_COUNT] = {0};
    uint64_t a = run_hash(7, 200000, types, t);
    uint64_t b = run_hash(7, 200000, NULL, t);
    uint64_t c = run_hash(8, 200000, NULL, t);
    CHECK(t, a == b);
    CHECK(t, a != c);
    /* all 20 types appear in 200k lines (enough: the rarest, subscribe and
     * device_change, come at about 5 and 10 per 100k) */
    for (int i = 0; i < VL_ET_COUNT; i++)
        CHECKF(t, types[i] > 0, "no %s in 200000 lines", vl_event_type_names[i]);
}

static void t_exact_count_and_delivery_order(vl_test *t) {
    static const uint64_t counts[] = {1, 2, 3, 10, 977, 50000};
    for (size_t ci = 0; ci < sizeof(counts) / sizeof(counts[0]); ci++) {
        vl_sim *s = make(3, counts[ci], ci < 5 ? 40 : 0, 0.05, 0.03, 0.04);
        REQUIRE(t, s);
        vl_buf b;
        vl_buf_init(&b);
        uint64_t n = 0, kinds[3] = {0}, inversions = 0;
        int64_t d, last_d = INT64_MIN, max_et = INT64_MIN;
        vl_sim_kind k;
        int r;
        while ((r = vl_sim_next(s, &b, &d, &k)) == 1) {
            n++;
            kinds[k]++;
            CHECK(t, b.n > 0 && b.p[b.n - 1] == '\n' && memchr(b.p, '\n', b.n - 1) == NULL);
            CHECKF(t, d >= last_d, "line %llu delivered before the previous one", (unsigned long long)n);
            last_d = d;
            if (k == VL_SIM_EVENT) {
                vl_sv ts = str_field(b.p, b.n, "event_time");
                int64_t et;
                REQUIRE(t, vl_ts_parse(ts.p, ts.n, &et, NULL) == VL_OK);
                if (et < max_et) inversions++;
                else max_et = et;
            }
            b.n = 0;
        }
        CHECK_EQ_INT(t, r, 0);
        CHECK_EQ_INT(t, vl_sim_next(s, &b, &d, &k), 0); /* and stays done */
        CHECK_EQ_INT(t, n, counts[ci]);
        jv tr;
        REQUIRE(t, truth_of(s, &tr));
        CHECK_EQ_INT(t, jint(&tr, "lines"), n);
        CHECK_EQ_INT(t, jint(&tr, "invalid"), kinds[VL_SIM_INVALID]);
        CHECK_EQ_INT(t, jint(&tr, "duplicates"), kinds[VL_SIM_DUPLICATE]);
        /* only late lines are out of event-time order */
        CHECK(t, inversions <= (uint64_t)jint(&tr, "late"));
        if (counts[ci] == 50000) {
            CHECK(t, inversions > 0);
            double f_inv = (double)kinds[VL_SIM_INVALID] / (double)n;
            double f_dup = (double)kinds[VL_SIM_DUPLICATE] / (double)n;
            double f_late = (double)jint(&tr, "late") / (double)n;
            CHECKF(t, fabs(f_inv - 0.05) < 0.005, "invalid fraction %g", f_inv);
            CHECKF(t, fabs(f_dup - 0.03) < 0.005, "duplicate fraction %g", f_dup);
            CHECKF(t, fabs(f_late - 0.04) < 0.005, "late fraction %g", f_late);
        }
        jfree(&tr);
        vl_buf_free(&b);
        vl_sim_destroy(s);
    }
}

/* Per-view state rebuilt from the events alone. */
typedef struct view_acc {
    uint64_t key;
    int64_t last_t, watch, stall, seek_stall, furthest, startup, rev_micros;
    int imp, comp, skip, click;
    bool playing, started, seen;
    int last_type;
    int end; /* 0 open, else the outcome index as in the truth */
} view_acc;

static const char *const outcome_names[] = {"truncated", "ebvs", "vsf", "vpf", "stopped", "ended"};

static uint64_t id_key(vl_sv id) {
    uint64_t v = 0;
    for (size_t i = 1; i < id.n; i++) v = v * 16 + (uint64_t)(id.p[i] <= '9' ? id.p[i] - '0' : id.p[i] - 'a' + 10);
    return v;
}

static view_acc *acc_find(view_acc *tab, size_t cap, uint64_t key) {
    size_t i = (size_t)(vl_mix64(key) & (cap - 1));
    while (tab[i].seen && tab[i].key != key) i = (i + 1) & (cap - 1);
    tab[i].key = key;
    return &tab[i];
}

static void t_truth_matches_emitted_views(vl_test *t) {
    /* no late or duplicate lines: every view's events are in order */
    vl_sim *s = make(11, 150000, 0, 0.02, 0, 0);
    REQUIRE(t, s);
    size_t cap = 1 << 16;
    view_acc *tab = calloc(cap, sizeof(view_acc));
    vl_decoder dec;
    vl_decoder_init(&dec);
    vl_arena arena;
    vl_arena_init(&arena, 1 << 16);
    vl_buf b;
    vl_buf_init(&b);
    int64_t d;
    vl_sim_kind k;
    size_t n_views = 0;
    while (vl_sim_next(s, &b, &d, &k) == 1) {
        vl_event ev;
        vl_reject rj;
        int rc = vl_decoder_decode(&dec, b.p, b.n - 1, &ev, &arena, &rj);
        b.n = 0;
        vl_arena_reset(&arena);
        if (k == VL_SIM_INVALID) continue;
        REQUIRE(t, rc == VL_OK);
        if (!vl_event_has(&ev, VL_F_VIEW_ID)) continue;
        view_acc *v = acc_find(tab, cap, id_key(ev.v[VL_F_VIEW_ID].s));
        if (!v->seen) {
            v->seen = true;
            v->startup = -1;
            n_views++;
            REQUIRE(t, n_views < cap / 2);
        }
        int type = (int)ev.v[VL_F_EVENT_TYPE].i;
        int64_t tm = ev.v[VL_F_EVENT_TIME].i / 1000;
        int64_t buf = type == VL_ET_BUFFER ? ev.v[VL_F_BUFFER_MS].i : 0;
        if (v->playing) v->watch += tm - v->last_t - buf;
        if (type == VL_ET_BUFFER) {
            if (v->last_type == VL_ET_SEEK) v->seek_stall += buf;
            else v->stall += buf;
        }
        if (vl_event_has(&ev, VL_F_POSITION_MS) && ev.v[VL_F_POSITION_MS].i > v->furthest)
            v->furthest = ev.v[VL_F_POSITION_MS].i;
        if (type == VL_ET_SEEK && ev.v[VL_F_SEEK_TO_MS].i > v->furthest) v->furthest = ev.v[VL_F_SEEK_TO_MS].i;
        bool fatal = type == VL_ET_ERROR && ev.v[VL_F_ERROR_FATAL].i;
        switch (type) {
        case VL_ET_PLAY:
            if (!v->started) v->startup = ev.v[VL_F_STARTUP_MS].i;
            v->started = v->playing = true;
            break;
        case VL_ET_BUFFER:
            v->playing = true;
            break;
        case VL_ET_PAUSE:
        case VL_ET_AD_IMPRESSION:
            v->playing = false;
            break;
        case VL_ET_STOP:
            v->playing = false;
            v->end = !v->started ? 1 : ev.v[VL_F_POSITION_MS].i == ev.v[VL_F_DURATION_MS].i ? 5 : 4;
            break;
        default:
            break;
        }
        if (fatal) {
            v->playing = false;
            v->end = v->started ? 3 : 2;
        }
        if (vl_event_has(&ev, VL_F_AD_REVENUE_USD)) v->rev_micros += llround(ev.v[VL_F_AD_REVENUE_USD].d * 1e6);
        v->imp += type == VL_ET_AD_IMPRESSION;
        v->comp += type == VL_ET_AD_COMPLETE;
        v->skip += type == VL_ET_AD_SKIP;
        v->click += type == VL_ET_AD_CLICK;
        v->last_t = tm;
        v->last_type = type;
    }
    jv tr;
    REQUIRE(t, truth_of(s, &tr));
    const jv *views = jget(&tr, "views");
    REQUIRE(t, views && views->type == 'a');
    CHECK_EQ_INT(t, views->n, n_views);
    int bad = 0, outcomes[6] = {0};
    for (size_t i = 0; i < views->n && bad < 5; i++) {
        const jv *w = &views->items[i];
        const jv *vid = jget(w, "view_id");
        REQUIRE(t, vid && vid->s);
        view_acc *v = acc_find(tab, cap, id_key(vl_sv_cstr(vid->s)));
        const jv *ads = jget(w, "ads"), *su = jget(w, "startup_ms"), *started = jget(w, "started");
        const char *oc = jget(w, "outcome")->s;
        int64_t dur = jint(w, "duration_ms"), furthest = jint(w, "furthest_ms");
        bool ok = v->seen && jint(w, "watch_ms") == v->watch && jint(w, "stall_ms") == v->stall &&
                  jint(w, "seek_stall_ms") == v->seek_stall && furthest == v->furthest &&
                  (started->type == 't') == v->started && (su->type == 'z') == !v->started &&
                  (!v->started || su->i == v->startup) && strcmp(oc, outcome_names[v->end]) == 0 &&
                  jint(ads, "impressions") == v->imp && jint(ads, "completes") == v->comp &&
                  jint(ads, "skips") == v->skip && jint(ads, "clicks") == v->click &&
                  llround(jget(ads, "revenue_usd")->num * 1e6) == v->rev_micros &&
                  (jget(w, "completed")->type == 't') == (furthest * 10 >= dur * 9);
        if ((strcmp(oc, "ebvs") == 0 || strcmp(oc, "vsf") == 0) && (jint(w, "watch_ms") != 0 || v->started))
            ok = false;
        for (int o = 0; o < 6; o++) outcomes[o] += strcmp(oc, outcome_names[o]) == 0;
        if (!ok) {
            bad++;
            printf("  view %s: truth watch %lld stall %lld seek %lld furthest %lld outcome %s; events say %lld %lld "
                   "%lld %lld %s\n",
                   vid->s, (long long)jint(w, "watch_ms"), (long long)jint(w, "stall_ms"),
                   (long long)jint(w, "seek_stall_ms"), (long long)furthest, oc, (long long)v->watch,
                   (long long)v->stall, (long long)v->seek_stall, (long long)v->furthest, outcome_names[v->end]);
        }
    }
    CHECK_EQ_INT(t, bad, 0);
    for (int o = 1; o < 6; o++) CHECKF(t, outcomes[o] > 0, "no view ended %s", outcome_names[o]);
    /* the counters add up */
    const jv *by_type = jget(&tr, "by_type"), *by_reason = jget(&tr, "by_reason"), *by_day = jget(&tr, "by_day");
    int64_t sum = 0;
    CHECK_EQ_INT(t, by_type->n, VL_ET_COUNT);
    for (size_t i = 0; i < by_type->n; i++) sum += by_type->items[i].i;
    CHECK_EQ_INT(t, sum, jint(&tr, "valid"));
    sum = 0;
    for (size_t i = 0; i < by_reason->n; i++) sum += by_reason->items[i].i;
    CHECK_EQ_INT(t, sum, jint(&tr, "invalid"));
    CHECK_EQ_INT(t, jint(&tr, "valid") + jint(&tr, "invalid"), jint(&tr, "lines"));
    sum = 0;
    for (size_t i = 0; i < by_day->n; i++) {
        sum += jint(&by_day->items[i], "valid");
        CHECK(t, jint(&by_day->items[i], "users") > 0);
    }
    CHECK_EQ_INT(t, sum, jint(&tr, "valid"));
    jfree(&tr);
    free(tab);
    vl_buf_free(&b);
    vl_arena_destroy(&arena);
    vl_decoder_free(&dec);
    vl_sim_destroy(s);
}

static void t_validator_rejects_exactly_the_invalid_lines(vl_test *t) {
    vl_sim *s = make(5, 80000, 0, 0.25, 0.05, 0.05);
    REQUIRE(t, s);
    vl_decoder dec;
    vl_decoder_init(&dec);
    vl_arena arena;
    vl_arena_init(&arena, 1 << 16);
    vl_buf b;
    vl_buf_init(&b);
    int64_t d;
    vl_sim_kind k;
    char keys[128][48];
    uint64_t key_n[128] = {0}, by_type[VL_ET_COUNT] = {0}, line = 0;
    int nk = 0, shown = 0;
    /* event ids: fresh ones unique, duplicates seen before */
    size_t cap = 1 << 18;
    uint64_t *ids = calloc(cap, sizeof(uint64_t));
    while (vl_sim_next(s, &b, &d, &k) == 1) {
        line++;
        vl_event ev;
        vl_reject rj;
        int rc = vl_decoder_decode(&dec, b.p, b.n - 1, &ev, &arena, &rj);
        if (k == VL_SIM_INVALID) {
            CHECKF(t, rc == VL_EINVAL, "line %llu was accepted: %.200s", (unsigned long long)line, b.p);
            if (rc == VL_EINVAL) {
                char key[48];
                vl_reject_key(&rj, key, sizeof(key));
                int i = 0;
                while (i < nk && strcmp(keys[i], key) != 0) i++;
                if (i == nk && nk < 128) strcpy(keys[nk++], key);
                key_n[i]++;
            }
        } else {
            if (rc != VL_OK && shown++ < 3) {
                char key[48];
                vl_reject_key(&rj, key, sizeof(key));
                printf("  line %llu rejected (%s: %s): %.300s\n", (unsigned long long)line, key, rj.detail, b.p);
            }
            CHECK(t, rc == VL_OK);
            if (rc == VL_OK) {
                by_type[ev.v[VL_F_EVENT_TYPE].i]++;
                uint64_t id = id_key(ev.v[VL_F_EVENT_ID].s);
                size_t i = (size_t)(vl_mix64(id) & (cap - 1));
                while (ids[i] && ids[i] != id) i = (i + 1) & (cap - 1);
                CHECKF(t, (ids[i] == id) == (k == VL_SIM_DUPLICATE), "line %llu: event_id %s",
                       (unsigned long long)line, k == VL_SIM_DUPLICATE ? "never sent before" : "sent twice");
                ids[i] = id;
            }
        }
        b.n = 0;
        vl_arena_reset(&arena);
    }
    jv tr;
    REQUIRE(t, truth_of(s, &tr));
    const jv *by_reason = jget(&tr, "by_reason"), *bt = jget(&tr, "by_type");
    CHECK_EQ_INT(t, by_reason->n, nk);
    for (int i = 0; i < nk; i++)
        CHECKF(t, jint(by_reason, keys[i]) == (int64_t)key_n[i], "%s: validator %llu, truth %lld", keys[i],
               (unsigned long long)key_n[i], (long long)jint(by_reason, keys[i]));
    for (int i = 0; i < VL_ET_COUNT; i++) CHECK_EQ_INT(t, jint(bt, vl_event_type_names[i]), by_type[i]);
    /* a good mix: every reason appears */
    for (int r = 1; r < VL_RJ_COUNT; r++) {
        const char *name = vl_reject_reason_name((vl_reject_reason)r);
        bool found = false;
        for (int i = 0; i < nk; i++) found |= strncmp(keys[i], name, strlen(name)) == 0;
        CHECKF(t, found, "no line rejected as %s", name);
    }
    jfree(&tr);
    free(ids);
    vl_buf_free(&b);
    vl_arena_destroy(&arena);
    vl_decoder_free(&dec);
    vl_sim_destroy(s);
}

static void t_whole_period_and_stop(vl_test *t) {
    /* events 0: the whole period (1 day) for 30 users; nothing truncated */
    vl_sim *s = make(21, 0, 30, 0, 0.02, 0.02);
    REQUIRE(t, s);
    vl_buf b;
    vl_buf_init(&b);
    int64_t d;
    vl_sim_kind k;
    uint64_t n = 0;
    while (vl_sim_next(s, &b, &d, &k) == 1) {
        n++;
        b.n = 0;
    }
    CHECK(t, n > 1000);
    jv tr;
    REQUIRE(t, truth_of(s, &tr));
    CHECK_EQ_INT(t, jint(&tr, "lines"), n);
    const jv *views = jget(&tr, "views");
    for (size_t i = 0; i < views->n; i++) CHECK(t, strcmp(jget(&views->items[i], "outcome")->s, "truncated") != 0);
    jfree(&tr);
    vl_sim_destroy(s);

    /* a stop: held lines come out, then nothing */
    s = make(22, 0, 50, 0.01, 0.05, 0.1);
    REQUIRE(t, s);
    n = 0;
    while (n < 5000 && vl_sim_next(s, &b, &d, &k) == 1) n++, b.n = 0;
    vl_sim_stop(s);
    while (vl_sim_next(s, &b, &d, &k) == 1) n++, b.n = 0;
    REQUIRE(t, truth_of(s, &tr));
    CHECK_EQ_INT(t, jint(&tr, "lines"), n);
    CHECK(t, n > 5000);
    jfree(&tr);
    vl_sim_destroy(s);
    vl_buf_free(&b);
}

/* Real-time mode starts in steady state: sessions are found running, so
 * the first half minute has the rate of later ones, and is mostly
 * heartbeats of views already playing rather than session starts. */
static void t_rate_mode_steady_start(vl_test *t) {
    vl_sim_config c;
    vl_sim_config_default(&c);
    c.rate = 500;
    c.events = 60000; /* two simulated minutes, produced without pacing */
    vl_sim *s;
    vl_error err;
    REQUIRE(t, vl_sim_create(&c, &s, &err) == VL_OK);
    int64_t d, first = INT64_MIN, last = 0;
    vl_sim_kind k;
    vl_buf b;
    vl_buf_init(&b);
    uint64_t early = 0, later = 0, early_hb = 0, early_starts = 0;
    while (vl_sim_next(s, &b, &d, &k) == 1) {
        if (first == INT64_MIN) first = d;
        last = d;
        int64_t at = d - first;
        if (at < 30 * VL_US_PER_SEC) {
            early++;
            early_hb += memmem(b.p, b.n, "\"heartbeat\"", 11) != NULL;
            early_starts += memmem(b.p, b.n, "\"session_start\"", 15) != NULL;
        } else if (at >= 60 * VL_US_PER_SEC && at < 90 * VL_US_PER_SEC) {
            later++;
        }
        b.n = 0;
    }
    double rate = 60000.0 / ((double)(last - first) / 1e6);
    CHECKF(t, rate > 500 * 0.8 && rate < 500 * 1.25, "%.0f lines/s for --rate 500", rate);
    CHECKF(t, early > later * 0.85 && early < later * 1.15, "first 30 s: %llu lines, 60-90 s: %llu",
           (unsigned long long)early, (unsigned long long)later);
    CHECKF(t, early_hb > early / 2 && early_starts < early / 20, "first 30 s: %llu heartbeats, %llu session starts of %llu",
           (unsigned long long)early_hb, (unsigned long long)early_starts, (unsigned long long)early);
    vl_buf_free(&b);
    vl_sim_destroy(s);
}

static void t_rate_mode_times_are_now(vl_test *t) {
    vl_sim_config c;
    vl_sim_config_default(&c);
    c.rate = 20;
    c.events = 200;
    vl_sim *s;
    vl_error err;
    REQUIRE(t, vl_sim_create(&c, &s, &err) == VL_OK);
    int64_t now = vl_now_us(), d, first = 0, last = 0;
    vl_sim_kind k;
    vl_buf b;
    vl_buf_init(&b);
    uint64_t n = 0;
    while (vl_sim_next(s, &b, &d, &k) == 1) {
        if (!n++) first = d;
        last = d;
        b.n = 0;
    }
    CHECK_EQ_INT(t, n, 200);
    CHECK(t, first >= now - 1000000 && first < now + 5 * VL_US_PER_SEC); /* steady state: starts at once */
    double secs = (double)(last - first) / 1e6;
    CHECKF(t, secs > 3 && secs < 40, "200 lines at 20/s took %.2f simulated s", secs);
    vl_buf_free(&b);
    vl_sim_destroy(s);
}

static void t_bad_config_is_refused(vl_test *t) {
    vl_sim_config c;
    vl_sim_config_default(&c);
    vl_sim *s = NULL;
    vl_error err;
    c.days = 0;
    CHECK_EQ_INT(t, vl_sim_create(&c, &s, &err), VL_EINVAL);
    vl_sim_config_default(&c);
    c.invalid_fraction = 0.6;
    c.duplicate_fraction = 0.3;
    CHECK_EQ_INT(t, vl_sim_create(&c, &s, &err), VL_EINVAL);
    vl_sim_config_default(&c);
    c.late_fraction = 1.5;
    CHECK_EQ_INT(t, vl_sim_create(&c, &s, &err), VL_EINVAL);
    CHECK(t, s == NULL);
    vl_sim_destroy(NULL);
}

static void t_out_of_memory_is_clean(vl_test *t) {
    for (long n = 0; n < 40; n++) {
        vl_alloc_fail_after(n);
        vl_sim *s = make(1, 300, 20, 0.1, 0.1, 0.1);
        if (s) {
            vl_buf b;
            vl_buf_init(&b);
            int64_t d;
            vl_sim_kind k;
            int r;
            while ((r = vl_sim_next(s, &b, &d, &k)) == 1) b.n = 0;
            CHECK(t, r == 0 || r == -VL_ENOMEM);
            vl_buf_free(&b);
            vl_sim_destroy(s);
        }
        vl_alloc_fail_after(-1);
    }
}

static const vl_test_case cases[] = {
    {"same seed gives the same bytes, all 20 types appear", t_same_seed_same_bytes},
    {"exact line count and delivery order with faults", t_exact_count_and_delivery_order},
    {"truth matches the views rebuilt from the events", t_truth_matches_emitted_views},
    {"validator rejects exactly the invalid lines, keys match the truth", t_validator_rejects_exactly_the_invalid_lines},
    {"whole period, and stop flushes held lines", t_whole_period_and_stop},
    {"rate mode: event times are now, warm from the start", t_rate_mode_times_are_now},
    {"rate mode: starts in steady state", t_rate_mode_steady_start},
    {"bad config is refused", t_bad_config_is_refused},
    {"out of memory is clean", t_out_of_memory_is_clean},
};

VL_TEST_MAIN(cases)
