/* vidlake - Apache-2.0 */
/*
 * The viewer simulator's engine: a discrete-event simulation of a streaming
 * service's audience that writes what their players would send, in
 * delivery order, and knows the ground truth of every view.
 *
 * Design:
 *  - Sessions are planned a local day at a time: for each active user a
 *    Poisson number of sessions at local times drawn from the daily cycle,
 *    converted to UTC with the region's offset, kept in one sorted list. A
 *    local day d starts at most 10 h (the easternmost offset) before UTC day
 *    d, so day d is planned when the clock reaches that instant.
 *  - Running sessions sit in a min-heap keyed by (time of their next
 *    action, session serial); the serial makes ties deterministic. Each
 *    session stores its next action (a player state machine step) and the
 *    time it happens; executing it emits at most one event and schedules
 *    the next action. While playing, the next action is found with one
 *    competing-hazards draw: one exponential for the total rate of the
 *    random kinds (pause, seek, stall, ...), one uniform to pick the kind,
 *    against the deterministic ones (heartbeat every 10 s of playing time,
 *    end of content, the next midroll, an ABR down-switch after a stall).
 *  - Every transition out of the playing state happens at an emitted event
 *    (pause, seek, stop, error, ad_impression, and buffer, which is sent at
 *    the END of a stall with its length in buffer_ms). Truth is accounted
 *    only at emitted events, so it is exactly what a consumer of the events
 *    can compute, and a view cut off by the end of generation has the truth
 *    of what was sent ("truncated").
 *  - The output layer takes fresh events in time order and adds faults:
 *    late events and duplicates wait in a min-heap keyed by delivery time;
 *    an invalid line is a mutated copy of the fresh event just sent. Line
 *    counts are exact: fresh events stop when the lines left equal the
 *    lines held back, which are then flushed.
 *
 * Separate RNG streams for the model, the planner and the faults: the same
 * seed gives the same fresh events whatever the fault fractions.
 *
 * It does not do I/O except vl_sim_write_truth; pacing in real-time mode
 * is the caller's (deliver_us says when).
 */
#include "event_sim_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ----------------------------------------------------------- the actions */

enum {
    A_SESSION_START,
    A_VIEW_BEGIN, /* internal: no event */
    A_JOIN,       /* internal: a session running at the start of a real-time run */
    A_AD_IMP,
    A_AD_CLICK,
    A_AD_END,
    A_AD_ABANDON,
    A_FIRST_PLAY,
    A_EBVS,
    A_VSF,
    A_HEARTBEAT,
    A_CONTENT_END,
    A_MIDROLL,
    A_QC_ABR,
    /* the random kinds while playing, in rate-table order */
    A_PAUSE,
    A_SEEK,
    A_STALL_END,
    A_QUALITY,
    A_STOP,
    A_FATAL,
    A_NONFATAL,
    A_LIKE,
    A_DISLIKE,
    A_COMMENT,
    A_SHARE,
    A_SUBSCRIBE,
    /* follow-ups */
    A_RESUME,
    A_SEEK_STALL_END,
    A_ADS_DONE_PLAY,
    A_ENDED_STOP,
    A_DEVICE_CHANGE,
    A_SESSION_END,
    A_DONE,
};
#define NK (A_SUBSCRIBE - A_PAUSE + 1)

enum { O_OPEN, O_EBVS, O_VSF, O_VPF, O_STOPPED, O_ENDED };
static const char *const outcome_names[] = {"truncated", "ebvs", "vsf", "vpf", "stopped", "ended"};

/* session flags */
#define F_LIKED 1u
#define F_DISLIKED 2u
#define F_SUBSCRIBED 4u
#define F_SKIP 8u /* the current ad will be skipped */
#define F_QC_UP 16u /* the scheduled ABR switch (qc_due) goes up */

#define N_ADS 240 /* creatives, 6 per campaign */
#define HEARTBEAT_MS 10000
/* Real-time mode starts in steady state: sessions that began up to this
 * long before now are running with the probability that a session lasts
 * that long (measured by a pilot, by the minute). */
#define JOIN_SPAN_MIN 720
#define MAX_USERS_DERIVED 4000000u
#define MAX_USERS 50000000u

typedef struct sim_vtruth {
    uint64_t view_serial, session_serial;
    uint32_t user, content;
    int64_t start_us;
    int64_t watch_ms, stall_ms, seek_stall_ms, furthest_ms, dur_ms;
    int64_t br_sum; /* kbps x ms over watch time */
    int64_t rev_micros;
    int32_t startup_ms; /* -1: never started */
    uint32_t ad_imp, ad_comp, ad_skip, ad_click;
    uint8_t ctype, dtype, country, cdn, outcome, started;
} sim_vtruth;

typedef struct sim_session {
    int64_t t;       /* when the next action happens (heap key) */
    int64_t t_begin; /* when the session started */
    uint64_t serial; /* tie-break, and the key of the session id */
    uint32_t user;
    uint8_t act, dev, playing, started;
    uint8_t ctype, cdn, rung, target, maxrung, ads; /* ads: 0 none, 1 free, 2 basic */
    uint8_t flags, last_vet, ad_pos, ads_left;
    uint16_t n_views, ad;
    int32_t truth; /* index into views; -1 none; -2 create at the first event */
    int32_t startup_ms, ad_dur_ms;
    uint32_t content, next_content;
    uint64_t view_serial;
    int64_t view_t0, dur_ms, pos_ms, seg_t, hb_acc_ms, next_mid_ms, mid_every_ms;
    int64_t stall_start, qc_due, ad_end_t;
    double rate_total;
    double rate_cum[NK];
    char uid[18], did[18], sid[18], vid[18];
} sim_session;

typedef struct plan_item {
    int64_t t;
    uint64_t seq;
    uint32_t user;
    uint8_t join; /* a session already running at t (A_JOIN) */
} plan_item;

/* How sessions run, for the steady-state start of real-time mode. */
typedef struct sim_steady {
    float survive[JOIN_SPAN_MIN + 1]; /* P(a session lasts more than m minutes) */
    float playing;                    /* the share of session time spent playing */
} sim_steady;

typedef struct held_line {
    int64_t deliver;
    uint64_t seq;
    char *line;
    uint32_t len;
    int32_t day;
    uint8_t kind, etype, late;
} held_line;

typedef struct day_stat {
    uint64_t valid, distinct, users;
} day_stat;

typedef struct reason_count {
    char key[48];
    uint64_t n;
} reason_count;

#define SESSION_CHUNK 256

struct vl_sim {
    vl_sim_config cfg;
    bool rate_mode, bounded, count_only, stopped, exhausted, oom;
    sim_world w;
    vl_rng rng, prng, frng;
    uint64_t k_user, k_dev, k_sess, k_view, k_event;
    int64_t start_us, end_us, sim_start, emit_from, day0;
    double hour_cdf[24];
    char ad_ids[N_ADS][16], cmp_ids[N_ADS / 6][16];
    /* planned session starts */
    plan_item *plan;
    size_t plan_n, plan_i, plan_cap;
    int32_t next_plan_day;  /* the period's runs plan by the day */
    int64_t next_plan_hour; /* real-time runs by the UTC hour (a day of a big audience is GBs) */
    double hour_w[24];      /* share of a day's sessions starting in each local hour */
    uint64_t plan_seq;
    /* steady-state start (rate mode) */
    sim_steady steady;
    bool joins;
    /* counted by count-only runs (pilots): session lengths by the minute,
     * their sum, and the time spent playing */
    uint64_t len_hist[JOIN_SPAN_MIN + 1], len_n;
    int64_t len_us, play_ms;
    /* running sessions */
    struct heap_ent *heap;
    size_t heap_n, heap_cap;
    sim_session **chunks, **free_s;
    size_t n_chunks, chunk_used, free_n;
    uint64_t session_ctr, view_ctr, event_ctr;
    /* output */
    vl_event fev;
    bool have_fev;
    int64_t fev_t, last_deliver;
    uint32_t fev_user;
    held_line *held;
    size_t held_n, held_cap;
    uint64_t held_seq;
    vl_buf pend, scratch;
    bool have_pend;
    int64_t pend_t;
    int pend_reason;
    char eid[18];
    double p_late, p_dup, p_inv;
    /* truth */
    uint64_t lines, fresh, dups, invalid, late;
    uint64_t by_type[VL_ET_COUNT];
    reason_count reasons[96];
    int n_reasons;
    day_stat *days, day_sink; /* day_sink: counts go there after a failed grow */
    size_t n_days;
    int64_t day_base;
    sim_vtruth *views;
    size_t n_views, cap_views;
    sim_vtruth dummy;
};

/* ---------------------------------------------------------------- helpers */

static const char hexdig[] = "0123456789abcdef";

/* prefix + 16 hex digits of v (17 bytes, NUL-terminated in an 18-byte slot). */
static void fmt_id(char *o, char prefix, uint64_t v) {
    o[0] = prefix;
    for (int i = 16; i >= 1; i--) {
        o[i] = hexdig[v & 15];
        v >>= 4;
    }
    o[17] = '\0';
}

/* A delay in whole milliseconds, at least lo. */
static int64_t ms_of(double ms, int64_t lo) {
    if (!(ms < 1e12)) ms = 1e12;
    int64_t v = (int64_t)(ms + 0.5);
    return v < lo ? lo : v;
}

static double lognormal(vl_rng *r, double median, double sigma) {
    return median * exp(sigma * vl_rng_normal(r));
}

static int64_t clampi(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : v > hi ? hi : v; }

static void sched(sim_session *ss, int act, int64_t t) {
    ss->act = (uint8_t)act;
    ss->t = t;
}

static int64_t day_start(const vl_sim *s, int64_t d) { return (s->day0 + d) * VL_US_PER_DAY; }

/* ----------------------------------------------------------------- heaps */

/* Heap entries carry their keys, so sifting never touches the sessions. */
typedef struct heap_ent {
    int64_t t;
    uint64_t serial;
    sim_session *ss;
} heap_ent;

static inline bool ent_less(const heap_ent *a, const heap_ent *b) {
    return a->t < b->t || (a->t == b->t && a->serial < b->serial);
}

/* Re-inserts x (whose key may have grown) starting from the root. */
static void heap_down(vl_sim *s, heap_ent x) {
    heap_ent *h = s->heap;
    size_t n = s->heap_n, i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && ent_less(&h[c + 1], &h[c])) c++;
        if (!ent_less(&h[c], &x)) break;
        h[i] = h[c];
        i = c;
    }
    h[i] = x;
}

static int heap_push(vl_sim *s, sim_session *ss) {
    if (s->heap_n == s->heap_cap) {
        size_t cap = s->heap_cap ? s->heap_cap * 2 : 1024;
        heap_ent *h = vl_realloc(s->heap, cap * sizeof(*h));
        if (!h) return VL_ENOMEM;
        s->heap = h;
        s->heap_cap = cap;
    }
    heap_ent x = {ss->t, ss->serial, ss};
    size_t i = s->heap_n++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!ent_less(&x, &s->heap[p])) break;
        s->heap[i] = s->heap[p];
        i = p;
    }
    s->heap[i] = x;
    return VL_OK;
}

static bool held_less(const held_line *a, const held_line *b) {
    return a->deliver < b->deliver || (a->deliver == b->deliver && a->seq < b->seq);
}

static int held_push(vl_sim *s, const char *line, size_t len, int64_t deliver, int kind, int etype,
                     int32_t day, bool late) {
    if (s->held_n == s->held_cap) {
        size_t cap = s->held_cap ? s->held_cap * 2 : 256;
        held_line *h = vl_realloc(s->held, cap * sizeof(*h));
        if (!h) return VL_ENOMEM;
        s->held = h;
        s->held_cap = cap;
    }
    held_line x = {deliver, s->held_seq++, vl_malloc(len), (uint32_t)len, day,
                   (uint8_t)kind, (uint8_t)etype, late};
    if (!x.line) return VL_ENOMEM;
    memcpy(x.line, line, len);
    size_t i = s->held_n++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!held_less(&x, &s->held[p])) break;
        s->held[i] = s->held[p];
        i = p;
    }
    s->held[i] = x;
    return VL_OK;
}

static held_line held_pop(vl_sim *s) {
    held_line top = s->held[0], x = s->held[--s->held_n];
    size_t i = 0, n = s->held_n;
    if (n) {
        for (;;) {
            size_t c = 2 * i + 1;
            if (c >= n) break;
            if (c + 1 < n && held_less(&s->held[c + 1], &s->held[c])) c++;
            if (!held_less(&s->held[c], &x)) break;
            s->held[i] = s->held[c];
            i = c;
        }
        s->held[i] = x;
    }
    return top;
}

/* ----------------------------------------------------------- session pool */

static sim_session *session_alloc(vl_sim *s) {
    if (s->free_n) return s->free_s[--s->free_n];
    if (!s->n_chunks || s->chunk_used == SESSION_CHUNK) {
        sim_session **ch = vl_realloc(s->chunks, (s->n_chunks + 1) * sizeof(*ch));
        if (!ch) return NULL;
        s->chunks = ch;
        sim_session **fr = vl_realloc(s->free_s, (s->n_chunks + 1) * SESSION_CHUNK * sizeof(*fr));
        if (!fr) return NULL;
        s->free_s = fr;
        sim_session *c = vl_malloc(SESSION_CHUNK * sizeof(sim_session));
        if (!c) return NULL;
        s->chunks[s->n_chunks++] = c;
        s->chunk_used = 0;
    }
    return &s->chunks[s->n_chunks - 1][s->chunk_used++];
}

/* ---------------------------------------------------------------- truth */

static sim_vtruth *vt(vl_sim *s, const sim_session *ss) {
    return ss->truth >= 0 ? &s->views[ss->truth] : &s->dummy;
}

/* Called for every emitted event of a view: creates its truth record at
 * the first one (if it is emitted at all), tracks the furthest position. */
static void view_note(vl_sim *s, sim_session *ss, int etype, int64_t pos, int64_t t) {
    if (ss->truth == -2) {
        ss->truth = -1;
        if (!s->count_only && !s->cfg.no_view_truth && t >= s->emit_from) {
            if (s->n_views == s->cap_views) {
                size_t cap = s->cap_views ? s->cap_views * 2 : 4096;
                sim_vtruth *v = vl_realloc(s->views, cap * sizeof(*v));
                if (!v) {
                    s->oom = true;
                    return;
                }
                s->views = v;
                s->cap_views = cap;
            }
            sim_vtruth *v = &s->views[s->n_views];
            const sim_user *u = &s->w.users[ss->user];
            memset(v, 0, sizeof(*v));
            v->view_serial = ss->view_serial;
            v->session_serial = ss->serial;
            v->user = ss->user;
            v->content = ss->content;
            v->start_us = ss->view_t0;
            v->dur_ms = ss->dur_ms;
            v->startup_ms = -1;
            v->started = ss->started; /* a joined view was playing already */
            v->ctype = ss->ctype;
            v->dtype = u->dev_type[ss->dev];
            v->country = u->country;
            v->cdn = ss->cdn;
            v->outcome = O_OPEN;
            ss->truth = (int32_t)s->n_views++;
        }
    }
    sim_vtruth *v = vt(s, ss);
    if (pos > v->furthest_ms) v->furthest_ms = pos;
    ss->last_vet = (uint8_t)etype;
}

/* Time in the playing state up to t (an emitted event's time). */
static void account_play(vl_sim *s, sim_session *ss, int64_t t) {
    if (!ss->playing) return;
    int64_t d = (t - ss->seg_t) / SIM_MS;
    sim_vtruth *v = vt(s, ss);
    if (s->count_only) s->play_ms += d;
    v->watch_ms += d;
    v->br_sum += d * vl_sim__ladder[ss->rung].kbps;
    ss->pos_ms += d;
    ss->hb_acc_ms += d;
    ss->seg_t = t;
}

/* ------------------------------------------------------------ event fill */

static void fill_common(vl_sim *s, const sim_session *ss, vl_event *ev, int etype, int64_t t) {
    const sim_user *u = &s->w.users[ss->user];
    const sim_str *os = &vl_sim__os_names[u->dev_os[ss->dev]];
    const sim_str *app = &vl_sim__app_versions[u->dev_app[ss->dev]];
    const sim_region *rg = &vl_sim__regions[u->region];
    ev->present = 0;
    vl_event_set_i(ev, VL_F_EVENT_TYPE, etype);
    vl_event_set_i(ev, VL_F_EVENT_TIME, t);
    vl_event_set_s(ev, VL_F_USER_ID, ss->uid, 17);
    vl_event_set_s(ev, VL_F_DEVICE_ID, ss->did, 17);
    vl_event_set_s(ev, VL_F_SESSION_ID, ss->sid, 17);
    vl_event_set_i(ev, VL_F_DEVICE_TYPE, u->dev_type[ss->dev]);
    vl_event_set_s(ev, VL_F_OS, os->p, os->n);
    vl_event_set_s(ev, VL_F_APP_VERSION, app->p, app->n);
    vl_event_set_s(ev, VL_F_COUNTRY, vl_sim__countries[u->country].code, 2);
    vl_event_set_s(ev, VL_F_REGION, rg->name.p, rg->name.n);
    vl_event_set_i(ev, VL_F_SUBSCRIPTION_TIER, u->tier);
}

/* A view event: common fields, the view's, the playhead, and the quality
 * when with_quality (content playback events after the first frame). */
static void fill_view(vl_sim *s, sim_session *ss, vl_event *ev, int etype, int64_t t,
                      bool with_quality) {
    const sim_content *c = &s->w.content[ss->content];
    const sim_cdn *cd = &vl_sim__cdns[ss->cdn];
    fill_common(s, ss, ev, etype, t);
    vl_event_set_s(ev, VL_F_VIEW_ID, ss->vid, 17);
    vl_event_set_s(ev, VL_F_CONTENT_ID, c->id, c->id_n);
    vl_event_set_i(ev, VL_F_CONTENT_TYPE, c->type);
    vl_event_set_s(ev, VL_F_CDN, cd->name.p, cd->name.n);
    vl_event_set_i(ev, VL_F_POSITION_MS, ss->pos_ms);
    vl_event_set_i(ev, VL_F_DURATION_MS, ss->dur_ms);
    if (with_quality && ss->started) {
        const sim_rung *rg = &vl_sim__ladder[ss->rung];
        vl_event_set_i(ev, VL_F_BITRATE_KBPS, rg->kbps);
        vl_event_set_s(ev, VL_F_RESOLUTION, rg->res.p, rg->res.n);
    }
    view_note(s, ss, etype, ss->pos_ms, t);
}

/* ------------------------------------------------------------ the model */

/* Per content type: typical seconds watched, and per-view probabilities of
 * the interactions (rates are p / typical length). */
static const double typical_s[VL_CT_COUNT] = {6600, 2400, 5400, 50, 120};
static const double p_inter[VL_CT_COUNT][5] = {
    /* like, dislike, comment, share, subscribe */
    {0.060, 0.010, 0.010, 0.015, 0.005}, /* movie */
    {0.050, 0.008, 0.008, 0.010, 0.004}, /* episode */
    {0.040, 0.006, 0.050, 0.010, 0.006}, /* live: chat */
    {0.100, 0.012, 0.015, 0.030, 0.010}, /* short */
    {0.040, 0.010, 0.003, 0.020, 0.002}, /* trailer */
};
static const double stop_rate[VL_CT_COUNT] = {1 / 7200.0, 1 / 3600.0, 1 / 2400.0, 1 / 45.0, 1 / 90.0};
static const double pause_rate[VL_CT_COUNT] = {1 / 1100.0, 1 / 1100.0, 1 / 3000.0, 1 / 900.0, 1 / 900.0};
static const double seek_rate[VL_CT_COUNT] = {1 / 1300.0, 1 / 1300.0, 1 / 4000.0, 1 / 400.0, 1 / 500.0};
static const double habit_stop[SIM_HABIT_COUNT] = {1.4, 0.7, 1.0};
static const double habit_cont[SIM_HABIT_COUNT] = {0.35, 0.65, 0.5};
static const double habit_autoplay[SIM_HABIT_COUNT] = {0.5, 0.9, 0.7};
static const double dev_stall[VL_DT_COUNT] = {0.8, 1.8, 1.3, 1.0, 0.8, 1.2};
static const double dev_startup_ms[VL_DT_COUNT] = {1100, 1600, 1400, 900, 1000, 1300};
static const double short_form_p[VL_DT_COUNT] = {0.08, 0.45, 0.25, 0.20, 0.05, 0.10};
static const uint8_t dev_max_rung[VL_DT_COUNT] = {6, 4, 4, 5, 6, 3};
static const uint8_t tier_max_rung[VL_TIER_COUNT] = {3, 4, 4, 6};

static bool old_app(const sim_user *u, int dev) { return u->dev_app[dev] == vl_sim__n_app_versions - 1; }

static void compute_rates(vl_sim *s, sim_session *ss) {
    const sim_user *u = &s->w.users[ss->user];
    const sim_cdn *cd = &vl_sim__cdns[ss->cdn];
    int ct = ss->ctype, dt = u->dev_type[ss->dev];
    bool mob = vl_sim__countries[u->country].profile == SIM_PROFILE_MOBILE;
    double r[NK];
    r[A_PAUSE - A_PAUSE] = pause_rate[ct];
    r[A_SEEK - A_PAUSE] = seek_rate[ct];
    r[A_STALL_END - A_PAUSE] = cd->stall * dev_stall[dt] * (mob ? 1.4 : 1.0) / 1500.0;
    r[A_QUALITY - A_PAUSE] = ct == VL_CT_SHORT ? 1 / 120.0 : 1 / 420.0; /* ABR wandering */
    r[A_STOP - A_PAUSE] = stop_rate[ct] * habit_stop[u->habit];
    r[A_FATAL - A_PAUSE] = cd->fail * (old_app(u, ss->dev) ? 2.0 : 1.0) / 300000.0;
    r[A_NONFATAL - A_PAUSE] = cd->fail / 9000.0;
    for (int k = 0; k < 5; k++) r[A_LIKE - A_PAUSE + k] = p_inter[ct][k] / typical_s[ct];
    double acc = 0;
    for (int k = 0; k < NK; k++) {
        acc += r[k];
        ss->rate_cum[k] = acc;
    }
    ss->rate_total = acc;
}

/* After the pre-roll (or at once): the first frame, an exit before it
 * (EBVS) or a start failure (VSF), whichever comes first. */
static void startup_begin(vl_sim *s, sim_session *ss, int64_t t) {
    vl_rng *r = &s->rng;
    const sim_user *u = &s->w.users[ss->user];
    const sim_cdn *cd = &vl_sim__cdns[ss->cdn];
    int dt = u->dev_type[ss->dev];
    bool mob = vl_sim__countries[u->country].profile == SIM_PROFILE_MOBILE;
    double median = dev_startup_ms[dt] * cd->startup * (old_app(u, ss->dev) ? 1.25 : 1.0) * (mob ? 1.2 : 1.0);
    int64_t startup = clampi(ms_of(lognormal(r, median, 0.55), 150), 150, 60000);
    int64_t patience = vl_rng_chance(r, 0.012) ? 300 + (int64_t)vl_rng_below(r, 2700)
                                              : ms_of(4000 + vl_rng_exp(r, 15000), 4000);
    double p_fail = 0.006 * cd->fail * (old_app(u, ss->dev) ? 2.5 : 1.0) * (dt == VL_DT_MOBILE ? 1.3 : 1.0);
    if (vl_rng_chance(r, p_fail)) {
        int64_t fail_at = 500 + (int64_t)vl_rng_below(r, 8000);
        if (fail_at < patience) {
            sched(ss, A_VSF, t + fail_at * SIM_MS);
            return;
        }
    }
    if (patience < startup) {
        sched(ss, A_EBVS, t + patience * SIM_MS);
        return;
    }
    ss->startup_ms = (int32_t)startup;
    sched(ss, A_FIRST_PLAY, t + startup * SIM_MS);
}

/* While playing: the next action, by competing hazards. */
static void sched_play(vl_sim *s, sim_session *ss, int64_t now) {
    vl_rng *r = &s->rng;
    int64_t det = ss->seg_t + (HEARTBEAT_MS - ss->hb_acc_ms) * SIM_MS;
    int act = A_HEARTBEAT;
    int64_t t_end = ss->seg_t + (ss->dur_ms - ss->pos_ms) * SIM_MS;
    if (t_end <= det) {
        det = t_end;
        act = A_CONTENT_END;
    }
    if (ss->next_mid_ms < ss->dur_ms) {
        int64_t t_mid = ss->seg_t + (ss->next_mid_ms - ss->pos_ms) * SIM_MS;
        if (t_mid < det) {
            det = t_mid;
            act = A_MIDROLL;
        }
    }
    if (ss->qc_due < det) {
        det = ss->qc_due;
        act = A_QC_ABR;
    }
    if (det < now) det = now;
    double mean_ms = 1000.0 / ss->rate_total;
    for (;;) {
        int64_t tr = now + ms_of(vl_rng_exp(r, mean_ms), 1) * SIM_MS;
        if (tr >= det) {
            sched(ss, act, det);
            return;
        }
        double x = vl_rng_unif(r) * ss->rate_total;
        int k = 0;
        while (k < NK - 1 && x >= ss->rate_cum[k]) k++;
        int a = A_PAUSE + k;
        int64_t pos = ss->pos_ms + (tr - ss->seg_t) / SIM_MS;
        bool noop = ((a == A_LIKE || a == A_DISLIKE) && (ss->flags & (F_LIKED | F_DISLIKED))) ||
                    (a == A_SUBSCRIBE && (ss->flags & F_SUBSCRIBED)) ||
                    (a == A_SEEK && ss->dur_ms - pos < 5000);
        if (noop) {
            now = tr;
            continue;
        }
        if (a == A_STALL_END) {
            const sim_user *u = &s->w.users[ss->user];
            double med = 1800 * pow(vl_sim__cdns[ss->cdn].stall, 0.3) *
                         (u->dev_type[ss->dev] == VL_DT_MOBILE ? 1.2 : 1.0);
            ss->stall_start = tr;
            sched(ss, a, tr + clampi(ms_of(lognormal(r, med, 0.8), 200), 200, 60000) * SIM_MS);
            return;
        }
        sched(ss, a, tr);
        return;
    }
}

static void start_play(vl_sim *s, sim_session *ss, int64_t t) {
    ss->playing = 1;
    ss->seg_t = t;
    sched_play(s, ss, t);
}

static void ad_break(sim_session *ss, int pos, int n) {
    ss->ad_pos = (uint8_t)pos;
    ss->ads_left = (uint8_t)n;
}

static void fill_ad(vl_sim *s, sim_session *ss, vl_event *ev, int etype, int64_t t) {
    fill_view(s, ss, ev, etype, t, false);
    vl_event_set_s(ev, VL_F_AD_ID, s->ad_ids[ss->ad], strlen(s->ad_ids[ss->ad]));
    vl_event_set_s(ev, VL_F_AD_CAMPAIGN_ID, s->cmp_ids[ss->ad / 6], strlen(s->cmp_ids[ss->ad / 6]));
    vl_event_set_i(ev, VL_F_AD_POSITION, ss->ad_pos);
    vl_event_set_i(ev, VL_F_AD_DURATION_MS, ss->ad_dur_ms);
}

/* One ad of a break starts now: emits ad_impression, decides its fate. */
static void ad_impression(vl_sim *s, sim_session *ss, vl_event *ev, int64_t t) {
    vl_rng *r = &s->rng;
    const sim_user *u = &s->w.users[ss->user];
    ss->ad = (uint16_t)vl_rng_below(r, N_ADS);
    double d = vl_rng_unif(r);
    ss->ad_dur_ms = d < 0.1 ? 6000 : d < 0.6 ? 15000 : 30000;
    bool skippable = ss->ad_dur_ms >= 15000 && vl_rng_chance(r, 0.5);
    /* CPM $8..$25 per thousand, scaled by market and length: micro-USD */
    double cpm = (8 + 17 * vl_rng_unif(r)) * vl_sim__countries[u->country].ad_value *
                 (ss->ad_dur_ms == 30000 ? 1.5 : ss->ad_dur_ms == 6000 ? 0.5 : 1.0);
    int64_t micros = ms_of(cpm * 1000, 1);
    fill_ad(s, ss, ev, VL_ET_AD_IMPRESSION, t);
    vl_event_set_d(ev, VL_F_AD_REVENUE_USD, (double)micros / 1e6);
    sim_vtruth *v = vt(s, ss);
    v->ad_imp++;
    v->rev_micros += micros;
    static const double abandon_p[VL_ADPOS_COUNT] = {0.04, 0.03, 0.12};
    if (vl_rng_chance(r, abandon_p[ss->ad_pos])) {
        sched(ss, A_AD_ABANDON, t + (1000 + (int64_t)vl_rng_below(r, (uint64_t)ss->ad_dur_ms - 1000)) * SIM_MS);
        return;
    }
    ss->flags &= (uint8_t)~F_SKIP;
    int64_t end_ms = ss->ad_dur_ms;
    if (skippable && vl_rng_chance(r, 0.45)) {
        ss->flags |= F_SKIP;
        end_ms = 5000 + (int64_t)vl_rng_below(r, (uint64_t)(ss->ad_dur_ms - 5000) / 2);
    }
    ss->ad_end_t = t + end_ms * SIM_MS;
    if (vl_rng_chance(r, 0.012))
        sched(ss, A_AD_CLICK, t + (500 + (int64_t)vl_rng_below(r, (uint64_t)end_ms - 1000)) * SIM_MS);
    else
        sched(ss, A_AD_END, ss->ad_end_t);
}

/* A new view's content, CDN, bitrate ladder, start position and ad plan. */
static void view_setup(vl_sim *s, sim_session *ss, int64_t t) {
    vl_rng *r = &s->rng;
    const sim_user *u = &s->w.users[ss->user];
    int dt = u->dev_type[ss->dev];
    int profile = vl_sim__countries[u->country].profile;
    ss->n_views++;
    ss->view_serial = s->view_ctr++;
    fmt_id(ss->vid, 'v', vl_mix64(s->k_view ^ ss->view_serial));
    ss->view_t0 = t;
    ss->truth = -2;
    ss->flags = 0;
    ss->started = ss->playing = 0;
    ss->hb_acc_ms = 0;
    ss->qc_due = SIM_NEVER;
    ss->last_vet = VL_ET_COUNT;
    if (ss->next_content != UINT32_MAX) {
        ss->content = ss->next_content;
        ss->next_content = UINT32_MAX;
    } else {
        bool short_form = vl_rng_chance(r, short_form_p[dt]);
        ss->content = vl_sim__alias_draw(short_form ? &s->w.short_form : &s->w.long_form, r);
    }
    const sim_content *c = &s->w.content[ss->content];
    ss->ctype = c->type;
    ss->dur_ms = c->dur_ms;
    ss->cdn = (uint8_t)vl_sim__pick(s->w.cdn_cdf[profile], vl_sim__n_cdns, vl_rng_unif(r));
    int maxr = dev_max_rung[dt] < tier_max_rung[u->tier] ? dev_max_rung[dt] : tier_max_rung[u->tier];
    int target = maxr - (ss->cdn == vl_sim__n_cdns - 1) - (profile == SIM_PROFILE_MOBILE && dt == VL_DT_MOBILE);
    ss->maxrung = (uint8_t)maxr;
    ss->target = (uint8_t)(target < 0 ? 0 : target);
    ss->rung = (uint8_t)(ss->target >= 2 ? ss->target - 2 : 0);
    ss->pos_ms = 0;
    if ((c->type == VL_CT_MOVIE || c->type == VL_CT_EPISODE) && vl_rng_chance(r, 0.15))
        ss->pos_ms = (int64_t)(c->dur_ms * (0.05 + 0.65 * vl_rng_unif(r)));
    else if (c->type == VL_CT_LIVE)
        ss->pos_ms = (int64_t)(c->dur_ms * 0.8 * vl_rng_unif(r));
    ss->ads = u->tier == VL_TIER_FREE ? 1 : u->tier == VL_TIER_BASIC ? 2 : 0;
    bool long_form = c->type <= VL_CT_LIVE;
    ss->mid_every_ms = INT64_MAX / 4;
    if (ss->ads && long_form) {
        if (c->type == VL_CT_MOVIE) ss->mid_every_ms = (ss->ads == 1 ? 20 : 30) * 60000;
        else if (c->type == VL_CT_LIVE) ss->mid_every_ms = (ss->ads == 1 ? 15 : 20) * 60000;
        else if (c->dur_ms >= 25 * 60000) ss->mid_every_ms = c->dur_ms / 2;
    }
    ss->next_mid_ms = (ss->pos_ms / ss->mid_every_ms + 1) * ss->mid_every_ms;
    compute_rates(s, ss);
}

static void view_begin(vl_sim *s, sim_session *ss, int64_t t) {
    vl_rng *r = &s->rng;
    view_setup(s, ss, t);
    const sim_content *c = &s->w.content[ss->content];
    bool long_form = c->type <= VL_CT_LIVE;
    double p_pre = ss->ads == 1 ? (long_form ? 0.8 : 0.1) : ss->ads == 2 ? (long_form ? 0.5 : 0.0) : 0.0;
    if (p_pre > 0 && vl_rng_chance(r, p_pre)) {
        ad_break(ss, VL_ADPOS_PREROLL, 1 + vl_rng_chance(r, 0.4));
        sched(ss, A_AD_IMP, t);
    } else {
        startup_begin(s, ss, t);
    }
}

/* A session already running when a real-time run starts. As often as
 * sessions are playing, it is found playing somewhere in a view, at its
 * target bitrate, part-way to its next heartbeat (so that heartbeats are
 * spread evenly from the first second); otherwise its next view begins
 * within a minute. */
static void view_join(vl_sim *s, sim_session *ss, int64_t t) {
    vl_rng *r = &s->rng;
    if (!vl_rng_chance(r, s->steady.playing)) { /* paused, in an ad, between views: the next one soon */
        sched(ss, A_VIEW_BEGIN, t + (int64_t)vl_rng_below(r, 60000) * SIM_MS);
        return;
    }
    /* The view it is in: views are found in proportion to how long they
     * play, so a draw is kept with probability expected play time / 2 h
     * (stopping at the content's stop rate, or at its end). Drawn like a
     * new view, a short would be as likely as a movie. */
    for (int tries = 0; tries < 256; tries++) {
        view_setup(s, ss, t);
        double stop = ss->rate_cum[A_STOP - A_PAUSE] - ss->rate_cum[A_STOP - A_PAUSE - 1]; /* per s */
        double left_s = (double)(ss->dur_ms - ss->pos_ms) / 1000;
        double play_s = (1 - exp(-stop * left_s)) / stop;
        if (vl_rng_unif(r) * 7200 < play_s) break;
        ss->n_views--;
    }
    ss->pos_ms += (int64_t)((double)(ss->dur_ms - ss->pos_ms) * 0.97 * vl_rng_unif(r));
    ss->next_mid_ms = (ss->pos_ms / ss->mid_every_ms + 1) * ss->mid_every_ms;
    ss->rung = ss->target;
    ss->started = 1;
    ss->hb_acc_ms = (int64_t)vl_rng_below(r, HEARTBEAT_MS);
    start_play(s, ss, t);
}

static void view_end(vl_sim *s, sim_session *ss, int64_t t, int outcome) {
    vl_rng *r = &s->rng;
    const sim_user *u = &s->w.users[ss->user];
    vt(s, ss)->outcome = (uint8_t)outcome;
    ss->truth = -1;
    ss->playing = 0;
    const sim_content *c = &s->w.content[ss->content];
    double cont = habit_cont[u->habit];
    int64_t gap_ms = ms_of(3000 + vl_rng_exp(r, 25000), 1000);
    bool short_form = c->type == VL_CT_SHORT || c->type == VL_CT_TRAILER;
    if (short_form) {
        cont = 0.85;
        gap_ms = ms_of(300 + vl_rng_exp(r, 2500), 100);
    }
    if (outcome == O_VSF || outcome == O_VPF || outcome == O_EBVS) {
        cont = outcome == O_EBVS ? 0.6 : 0.75;
        if (outcome != O_EBVS && vl_rng_chance(r, 0.6)) ss->next_content = ss->content; /* retry */
    } else if (outcome == O_ENDED && c->next != UINT32_MAX && vl_rng_chance(r, habit_autoplay[u->habit])) {
        cont = 1.0;
        ss->next_content = c->next;
        gap_ms = 5000 + (int64_t)vl_rng_below(r, 10000); /* the autoplay countdown */
    }
    int cap = short_form ? 60 : 30;
    if (ss->n_views >= cap || !vl_rng_chance(r, cont)) {
        ss->next_content = UINT32_MAX;
        sched(ss, A_SESSION_END, t + ms_of(1000 + vl_rng_exp(r, 15000), 1) * SIM_MS);
    } else if (u->n_dev > 1 && vl_rng_chance(r, 0.03)) {
        sched(ss, A_DEVICE_CHANGE, t + ms_of(2000 + vl_rng_exp(r, 20000), 1) * SIM_MS);
    } else {
        sched(ss, A_VIEW_BEGIN, t + gap_ms * SIM_MS);
    }
}

static void interaction(vl_sim *s, sim_session *ss, vl_event *ev, int etype, int64_t t) {
    account_play(s, ss, t);
    fill_view(s, ss, ev, etype, t, false);
    sched_play(s, ss, t);
}

static void seek_exec(vl_sim *s, sim_session *ss, vl_event *ev, int64_t t) {
    vl_rng *r = &s->rng;
    account_play(s, ss, t);
    int64_t from = ss->pos_ms, to;
    if (vl_rng_chance(r, 0.7)) to = from + ms_of(10000 + vl_rng_exp(r, 90000), 1);
    else to = from - ms_of(5000 + vl_rng_exp(r, 60000), 1);
    to = clampi(to, 0, ss->dur_ms - 2000);
    fill_view(s, ss, ev, VL_ET_SEEK, t, true);
    vl_event_set_i(ev, VL_F_SEEK_FROM_MS, from);
    vl_event_set_i(ev, VL_F_SEEK_TO_MS, to);
    if (to > vt(s, ss)->furthest_ms) vt(s, ss)->furthest_ms = to;
    ss->pos_ms = to;
    ss->next_mid_ms = (to / ss->mid_every_ms + 1) * ss->mid_every_ms;
    if (vl_rng_chance(r, 0.65)) {
        ss->playing = 0;
        ss->stall_start = t;
        double med = 500 * vl_sim__cdns[ss->cdn].startup;
        sched(ss, A_SEEK_STALL_END, t + clampi(ms_of(150 + lognormal(r, med, 0.7), 150), 150, 30000) * SIM_MS);
    } else {
        start_play(s, ss, t);
    }
}

/* dir: 1 down, -1 up, 0 the ABR's choice. */
static void quality_exec(vl_sim *s, sim_session *ss, vl_event *ev, int64_t t, int dir) {
    vl_rng *r = &s->rng;
    account_play(s, ss, t);
    bool down = dir > 0;
    if (dir == 0) {
        if (ss->rung < ss->target) down = !vl_rng_chance(r, 0.8);
        else down = vl_rng_chance(r, 0.7);
    }
    if (down && ss->rung == 0) down = false;
    if (!down && ss->rung >= ss->maxrung) down = true;
    ss->rung = (uint8_t)(down ? ss->rung - 1 : ss->rung + 1);
    fill_view(s, ss, ev, VL_ET_QUALITY_CHANGE, t, true);
    sched_play(s, ss, t);
}

static void error_fields(vl_sim *s, vl_event *ev, bool fatal, bool before_start) {
    static const sim_str vsf[] = {SIM_STR("MANIFEST_404"), SIM_STR("NETWORK_TIMEOUT"),
                                  SIM_STR("DRM_LICENSE_FAILED"), SIM_STR("MEDIA_ERR_SRC_NOT_SUPPORTED")};
    static const sim_str vpf[] = {SIM_STR("MEDIA_ERR_DECODE"), SIM_STR("NETWORK_ERROR"),
                                  SIM_STR("CDN_HTTP_5XX"), SIM_STR("PLAYER_CRASH")};
    static const sim_str soft[] = {SIM_STR("SEGMENT_RETRY"), SIM_STR("LOW_BANDWIDTH"),
                                   SIM_STR("SUBTITLE_LOAD_FAILED")};
    const sim_str *e = !fatal ? &soft[vl_rng_below(&s->rng, 3)]
                       : before_start ? &vsf[vl_rng_below(&s->rng, 4)]
                                      : &vpf[vl_rng_below(&s->rng, 4)];
    vl_event_set_s(ev, VL_F_ERROR_CODE, e->p, e->n);
    vl_event_set_i(ev, VL_F_ERROR_FATAL, fatal);
}

/* Executes ss's next action at ss->t. @return true if it made an event. */
static bool exec(vl_sim *s, sim_session *ss, vl_event *ev) {
    vl_rng *r = &s->rng;
    int64_t t = ss->t;
    switch (ss->act) {
    case A_SESSION_START:
        fill_common(s, ss, ev, VL_ET_SESSION_START, t);
        if (vl_rng_chance(r, 0.06)) /* browsed, watched nothing */
            sched(ss, A_SESSION_END, t + ms_of(20000 + vl_rng_exp(r, 40000), 1) * SIM_MS);
        else
            sched(ss, A_VIEW_BEGIN, t + ms_of(2000 + vl_rng_exp(r, 25000), 1) * SIM_MS);
        return true;
    case A_VIEW_BEGIN:
        view_begin(s, ss, t);
        return false;
    case A_JOIN:
        view_join(s, ss, t);
        return false;
    case A_AD_IMP:
        ad_impression(s, ss, ev, t);
        return true;
    case A_AD_CLICK: {
        const sim_user *u = &s->w.users[ss->user];
        int64_t micros = ms_of((150000 + 600000 * vl_rng_unif(r)) * vl_sim__countries[u->country].ad_value, 1);
        fill_ad(s, ss, ev, VL_ET_AD_CLICK, t);
        vl_event_set_d(ev, VL_F_AD_REVENUE_USD, (double)micros / 1e6);
        vt(s, ss)->ad_click++;
        vt(s, ss)->rev_micros += micros;
        sched(ss, A_AD_END, ss->ad_end_t);
        return true;
    }
    case A_AD_END: {
        bool skip = ss->flags & F_SKIP;
        fill_ad(s, ss, ev, skip ? VL_ET_AD_SKIP : VL_ET_AD_COMPLETE, t);
        if (skip) vt(s, ss)->ad_skip++;
        else vt(s, ss)->ad_comp++;
        if (--ss->ads_left) sched(ss, A_AD_IMP, t + (int64_t)vl_rng_below(r, 300) * SIM_MS);
        else if (ss->ad_pos == VL_ADPOS_PREROLL) startup_begin(s, ss, t);
        else if (ss->ad_pos == VL_ADPOS_MIDROLL)
            sched(ss, A_ADS_DONE_PLAY, t + (100 + (int64_t)vl_rng_below(r, 700)) * SIM_MS);
        else sched(ss, A_ENDED_STOP, t + (100 + (int64_t)vl_rng_below(r, 500)) * SIM_MS);
        return true;
    }
    case A_AD_ABANDON:
        fill_view(s, ss, ev, VL_ET_STOP, t, false);
        view_end(s, ss, t, !ss->started ? O_EBVS : ss->ad_pos == VL_ADPOS_POSTROLL ? O_ENDED : O_STOPPED);
        return true;
    case A_FIRST_PLAY:
        ss->started = 1;
        fill_view(s, ss, ev, VL_ET_PLAY, t, true);
        vl_event_set_i(ev, VL_F_STARTUP_MS, ss->startup_ms);
        vt(s, ss)->started = 1;
        vt(s, ss)->startup_ms = ss->startup_ms;
        if (ss->rung < ss->target) { /* the ABR ramps up from a safe start */
            ss->qc_due = t + (2000 + (int64_t)vl_rng_below(r, 6000)) * SIM_MS;
            ss->flags |= F_QC_UP;
        }
        start_play(s, ss, t);
        return true;
    case A_EBVS:
        fill_view(s, ss, ev, VL_ET_STOP, t, false);
        view_end(s, ss, t, O_EBVS);
        return true;
    case A_VSF:
        fill_view(s, ss, ev, VL_ET_ERROR, t, false);
        error_fields(s, ev, true, true);
        view_end(s, ss, t, O_VSF);
        return true;
    case A_HEARTBEAT:
        account_play(s, ss, t);
        ss->hb_acc_ms = 0;
        fill_view(s, ss, ev, VL_ET_HEARTBEAT, t, true);
        sched_play(s, ss, t);
        return true;
    case A_CONTENT_END:
        account_play(s, ss, t);
        ss->playing = 0;
        if (ss->ads && ss->ctype <= VL_CT_LIVE && vl_rng_chance(r, ss->ads == 1 ? 0.5 : 0.0)) {
            ad_break(ss, VL_ADPOS_POSTROLL, 1);
            ad_impression(s, ss, ev, t);
        } else {
            fill_view(s, ss, ev, VL_ET_STOP, t, true);
            view_end(s, ss, t, O_ENDED);
        }
        return true;
    case A_MIDROLL:
        account_play(s, ss, t);
        ss->playing = 0;
        ss->next_mid_ms += ss->mid_every_ms;
        ad_break(ss, VL_ADPOS_MIDROLL, ss->ads == 1 ? 2 + vl_rng_chance(r, 0.5) : 1 + vl_rng_chance(r, 0.5));
        ad_impression(s, ss, ev, t);
        return true;
    case A_QC_ABR: {
        bool up = ss->flags & F_QC_UP;
        ss->qc_due = SIM_NEVER;
        if (up && ss->rung + 1 < ss->target) /* keep ramping up */
            ss->qc_due = t + (3000 + (int64_t)vl_rng_below(r, 7000)) * SIM_MS;
        quality_exec(s, ss, ev, t, !up ? 1 : ss->rung < ss->target ? -1 : 0);
        return true;
    }
    case A_QUALITY:
        quality_exec(s, ss, ev, t, 0);
        return true;
    case A_PAUSE:
        account_play(s, ss, t);
        ss->playing = 0;
        fill_view(s, ss, ev, VL_ET_PAUSE, t, true);
        if (vl_rng_chance(r, 0.12))
            sched(ss, A_STOP, t + ms_of(5000 + vl_rng_exp(r, 60000), 1) * SIM_MS);
        else
            sched(ss, A_RESUME, t + clampi(ms_of(lognormal(r, 20000, 1.1), 1000), 1000, 1800000) * SIM_MS);
        return true;
    case A_RESUME:
    case A_ADS_DONE_PLAY:
        fill_view(s, ss, ev, VL_ET_PLAY, t, true);
        start_play(s, ss, t);
        return true;
    case A_SEEK:
        seek_exec(s, ss, ev, t);
        return true;
    case A_STALL_END:
    case A_SEEK_STALL_END: {
        account_play(s, ss, ss->stall_start);
        int64_t d = (t - ss->stall_start) / SIM_MS;
        bool after_seek = ss->last_vet == VL_ET_SEEK;
        fill_view(s, ss, ev, VL_ET_BUFFER, t, true);
        vl_event_set_i(ev, VL_F_BUFFER_MS, d);
        if (after_seek) vt(s, ss)->seek_stall_ms += d;
        else vt(s, ss)->stall_ms += d;
        if (!after_seek && ss->rung > 0 && vl_rng_chance(r, 0.5)) { /* the ABR steps down */
            ss->qc_due = t + (500 + (int64_t)vl_rng_below(r, 2500)) * SIM_MS;
            ss->flags &= (uint8_t)~F_QC_UP;
        }
        start_play(s, ss, t);
        return true;
    }
    case A_STOP:
        account_play(s, ss, t);
        fill_view(s, ss, ev, VL_ET_STOP, t, true);
        view_end(s, ss, t, O_STOPPED);
        return true;
    case A_FATAL:
        account_play(s, ss, t);
        fill_view(s, ss, ev, VL_ET_ERROR, t, true);
        error_fields(s, ev, true, false);
        view_end(s, ss, t, O_VPF);
        return true;
    case A_NONFATAL:
        account_play(s, ss, t);
        fill_view(s, ss, ev, VL_ET_ERROR, t, true);
        error_fields(s, ev, false, false);
        sched_play(s, ss, t);
        return true;
    case A_LIKE:
        ss->flags |= F_LIKED;
        interaction(s, ss, ev, VL_ET_LIKE, t);
        return true;
    case A_DISLIKE:
        ss->flags |= F_DISLIKED;
        interaction(s, ss, ev, VL_ET_DISLIKE, t);
        return true;
    case A_COMMENT:
        interaction(s, ss, ev, VL_ET_COMMENT, t);
        return true;
    case A_SHARE:
        interaction(s, ss, ev, VL_ET_SHARE, t);
        return true;
    case A_SUBSCRIBE:
        ss->flags |= F_SUBSCRIBED;
        interaction(s, ss, ev, VL_ET_SUBSCRIBE, t);
        return true;
    case A_ENDED_STOP:
        fill_view(s, ss, ev, VL_ET_STOP, t, true);
        view_end(s, ss, t, O_ENDED);
        return true;
    case A_DEVICE_CHANGE: {
        const sim_user *u = &s->w.users[ss->user];
        ss->dev = (uint8_t)((ss->dev + 1 + vl_rng_below(r, u->n_dev - 1)) % u->n_dev);
        fmt_id(ss->did, 'd', vl_mix64(s->k_dev ^ ((uint64_t)ss->user * SIM_MAX_DEVICES + ss->dev)));
        fill_common(s, ss, ev, VL_ET_DEVICE_CHANGE, t);
        sched(ss, A_VIEW_BEGIN, t + ms_of(3000 + vl_rng_exp(r, 20000), 1) * SIM_MS);
        return true;
    }
    case A_SESSION_END:
        fill_common(s, ss, ev, VL_ET_SESSION_END, t);
        ss->act = A_DONE;
        if (s->count_only) {
            int64_t m = (t - ss->t_begin) / SIM_MIN;
            s->len_hist[m < JOIN_SPAN_MIN ? m : JOIN_SPAN_MIN]++;
            s->len_n++;
            s->len_us += t - ss->t_begin;
        }
        return true;
    default:
        VL_ASSERT(0);
        ss->act = A_DONE;
        return false;
    }
}

/* --------------------------------------------------------------- planning */

/* Sessions per day by habit, [weekday, weekend] (binge: Friday/Saturday). */
static const double habit_rate[SIM_HABIT_COUNT][2] = {{0.55, 0.66}, {1.3, 1.7}, {0.22, 1.5}};

static int poisson(vl_rng *r, double mean) {
    double l = exp(-mean), p = vl_rng_unif(r);
    int k = 0;
    while (p > l && k < 50) {
        k++;
        p *= vl_rng_unif(r);
    }
    return k;
}

static int plan_cmp(const void *a, const void *b) {
    const plan_item *x = a, *y = b;
    if (x->t != y->t) return x->t < y->t ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int plan_push(vl_sim *s, int64_t t, uint32_t user, bool join) {
    if (s->plan_n == s->plan_cap) {
        size_t cap = s->plan_cap ? s->plan_cap * 2 : 4096;
        plan_item *p = vl_realloc(s->plan, cap * sizeof(*p));
        if (!p) return VL_ENOMEM;
        s->plan = p;
        s->plan_cap = cap;
    }
    s->plan[s->plan_n++] = (plan_item){t, s->plan_seq++, user, join};
    return VL_OK;
}

static int64_t plan_at(const vl_sim *s, int32_t d) {
    return day_start(s, d) - (int64_t)SIM_MAX_EAST_MIN * SIM_MIN;
}

/* Plans the sessions of local day d (relative to day0) of every user. */
static int plan_day(vl_sim *s, int32_t d) {
    vl_rng *r = &s->prng;
    int wd = vl_weekday(s->day0 + d);
    int64_t ds = day_start(s, d);
    size_t rem = s->plan_n - s->plan_i;
    if (s->plan_i) memmove(s->plan, s->plan + s->plan_i, rem * sizeof(plan_item));
    s->plan_n = rem;
    s->plan_i = 0;
    int32_t dd = d < 0 ? 0 : d;
    for (uint32_t i = 0; i < s->w.n_users; i++) {
        const sim_user *u = &s->w.users[i];
        if (dd < u->join_day || dd >= u->churn_day) continue;
        bool wk = u->habit == SIM_HABIT_BINGE ? (wd == 4 || wd == 5) : wd >= 5;
        int k = poisson(r, habit_rate[u->habit][wk] * u->activity);
        for (; k > 0; k--) {
            int h = vl_sim__pick(s->hour_cdf, 24, vl_rng_unif(r));
            int64_t local = h * SIM_HOUR + (int64_t)vl_rng_below(r, 3600000) * SIM_MS;
            int64_t t = ds + local - (int64_t)vl_sim__regions[u->region].utc_off_min * SIM_MIN;
            if (t < s->sim_start) continue;
            VL_RETURN_IF_ERR(plan_push(s, t, i, false));
        }
    }
    if (!s->bounded && s->plan_n == 0 && s->heap_n == 0 && s->w.n_users) {
        /* keep going past the period even if everyone has churned */
        uint32_t i = (uint32_t)vl_rng_below(r, s->w.n_users);
        int64_t t = ds + 20 * SIM_HOUR - (int64_t)vl_sim__regions[s->w.users[i].region].utc_off_min * SIM_MIN;
        VL_RETURN_IF_ERR(plan_push(s, t < s->sim_start ? s->sim_start : t, i, false));
    }
    qsort(s->plan, s->plan_n, sizeof(plan_item), plan_cmp);
    s->next_plan_day = d + 1;
    return VL_OK;
}

/* Real-time mode: plans the sessions of every user that start in UTC
 * hours [h0, h1) (hours since the epoch). A day's Poisson number of
 * sessions spread over the hours by their weights is the same as
 * independent Poisson numbers per hour, so this is plan_day's model
 * without holding a day of a large audience's sessions. Sessions that
 * began before the start are running at the start with the probability
 * that a session lasts that long (joins). */
static int plan_hours(vl_sim *s, int64_t h0, int64_t h1) {
    vl_rng *r = &s->prng;
    size_t rem = s->plan_n - s->plan_i;
    if (s->plan_i) memmove(s->plan, s->plan + s->plan_i, rem * sizeof(plan_item));
    s->plan_n = rem;
    s->plan_i = 0;
    for (uint32_t i = 0; i < s->w.n_users; i++) {
        const sim_user *u = &s->w.users[i];
        int off = vl_sim__regions[u->region].utc_off_min;
        for (int64_t h = h0; h < h1; h++) {
            int64_t local_min = h * 60 + off;
            int64_t lday = local_min >= 0 ? local_min / 1440 : -((-local_min + 1439) / 1440);
            int lh = (int)((local_min - lday * 1440) / 60);
            int wd = vl_weekday(lday);
            bool wk = u->habit == SIM_HABIT_BINGE ? (wd == 4 || wd == 5) : wd >= 5;
            int k = poisson(r, habit_rate[u->habit][wk] * u->activity * s->hour_w[lh]);
            for (; k > 0; k--) {
                int64_t t = h * SIM_HOUR + (int64_t)vl_rng_below(r, 3600000) * SIM_MS;
                if (t >= s->sim_start) {
                    VL_RETURN_IF_ERR(plan_push(s, t, i, false));
                    continue;
                }
                int64_t age = (s->sim_start - t) / SIM_MIN;
                if (s->joins && age < JOIN_SPAN_MIN && vl_rng_chance(r, s->steady.survive[age]))
                    VL_RETURN_IF_ERR(plan_push(s, s->sim_start, i, true));
            }
        }
    }
    qsort(s->plan, s->plan_n, sizeof(plan_item), plan_cmp);
    s->next_plan_hour = h1;
    return VL_OK;
}

static void session_init(vl_sim *s, sim_session *ss, uint32_t user, int64_t t) {
    const sim_user *u = &s->w.users[user];
    memset(ss, 0, sizeof(*ss));
    ss->t = ss->t_begin = t;
    ss->serial = s->session_ctr++;
    ss->user = user;
    ss->dev = 0;
    if (u->n_dev > 1 && !vl_rng_chance(&s->rng, 0.7)) ss->dev = (uint8_t)(1 + vl_rng_below(&s->rng, u->n_dev - 1));
    fmt_id(ss->uid, 'u', vl_mix64(s->k_user ^ user));
    fmt_id(ss->did, 'd', vl_mix64(s->k_dev ^ ((uint64_t)user * SIM_MAX_DEVICES + ss->dev)));
    fmt_id(ss->sid, 's', vl_mix64(s->k_sess ^ ss->serial));
    ss->act = A_SESSION_START;
    ss->truth = -1;
    ss->next_content = UINT32_MAX;
    ss->qc_due = SIM_NEVER;
    ss->last_vet = VL_ET_COUNT;
}

/* The next fresh event, in event-time order. @return 1 (ev, *t, *user
 * set), 0 when the simulation is over (bounded runs), or -VL_ENOMEM. */
static int gen_fresh(vl_sim *s, vl_event *ev, int64_t *t_out, uint32_t *user_out) {
    for (;;) {
        int64_t th = s->heap_n ? s->heap[0].t : SIM_NEVER;
        int64_t tp = s->plan_i < s->plan_n ? s->plan[s->plan_i].t : SIM_NEVER;
        int64_t tn = th < tp ? th : tp;
        if (s->rate_mode && tn >= s->next_plan_hour * SIM_HOUR) {
            /* the hours before the start (joins) in one go */
            int64_t h1 = s->next_plan_hour + 1, now_h = s->sim_start / SIM_HOUR + 1;
            if (plan_hours(s, s->next_plan_hour, h1 > now_h ? h1 : now_h) != VL_OK) return -VL_ENOMEM;
            continue;
        }
        bool can_plan = !s->rate_mode && (!s->bounded || s->next_plan_day <= (int32_t)s->cfg.days);
        if (can_plan && tn >= plan_at(s, s->next_plan_day)) {
            if (plan_day(s, s->next_plan_day) != VL_OK) return -VL_ENOMEM;
            continue;
        }
        if (tn == SIM_NEVER) return 0;
        if (tp <= th) {
            plan_item it = s->plan[s->plan_i++];
            sim_user *u = &s->w.users[it.user];
            if (u->busy || (s->bounded && it.t >= s->end_us)) continue;
            sim_session *ss = session_alloc(s);
            if (!ss) return -VL_ENOMEM;
            session_init(s, ss, it.user, it.t);
            if (it.join) ss->act = A_JOIN;
            if (heap_push(s, ss) != VL_OK) return -VL_ENOMEM;
            u->busy = 1;
            continue;
        }
        sim_session *ss = s->heap[0].ss;
        int64_t t = ss->t;
        uint32_t user = ss->user;
        bool made = exec(s, ss, ev);
        if (ss->act == A_DONE) {
            s->w.users[user].busy = 0;
            s->free_s[s->free_n++] = ss;
            heap_ent last = s->heap[--s->heap_n];
            if (s->heap_n) heap_down(s, last);
        } else {
            heap_down(s, (heap_ent){ss->t, ss->serial, ss});
        }
        if (s->oom) return -VL_ENOMEM;
        if (made && t >= s->emit_from) {
            *t_out = t;
            *user_out = user;
            return 1;
        }
    }
}

/* ---------------------------------------------------------------- faults */

static const char *const reason_names[] = {
#define X(id, name) name,
    VL_REJECT_REASONS(X)
#undef X
};

static int reason_key(vl_sim *s, vl_reject_reason rr, int field) {
    char key[48];
    size_t n = strlen(reason_names[rr]);
    memcpy(key, reason_names[rr], n);
    if (field >= 0) {
        key[n++] = ':';
        memcpy(key + n, vl_event_fields[field].name, vl_event_fields[field].name_len);
        n += vl_event_fields[field].name_len;
    }
    key[n] = '\0';
    for (int i = 0; i < s->n_reasons; i++)
        if (strcmp(s->reasons[i].key, key) == 0) return i;
    VL_ASSERT(s->n_reasons < (int)(sizeof(s->reasons) / sizeof(s->reasons[0])));
    memcpy(s->reasons[s->n_reasons].key, key, n + 1);
    s->reasons[s->n_reasons].n = 0;
    return s->n_reasons++;
}

typedef struct fpos {
    size_t key, v0, v1; /* "name": at key; the value is [v0, v1) */
} fpos;

/* Finds a top-level field in a canonical line (our own encoder's output:
 * no whitespace, no nested objects, no escaped quotes in values). */
static bool find_field(const char *L, size_t n, int f, fpos *fp) {
    const vl_field *fd = &vl_event_fields[f];
    char pat[40];
    pat[0] = '"';
    memcpy(pat + 1, fd->name, fd->name_len);
    pat[1 + fd->name_len] = '"';
    pat[2 + fd->name_len] = ':';
    size_t pn = (size_t)fd->name_len + 3, from = 0;
    for (;;) {
        const char *q = memmem(L + from, n - from, pat, pn);
        if (!q) return false;
        size_t at = (size_t)(q - L);
        if (at > 0 && (L[at - 1] == '{' || L[at - 1] == ',')) {
            fp->key = at;
            fp->v0 = at + pn;
            break;
        }
        from = at + 1;
    }
    size_t i = fp->v0;
    if (i < n && L[i] == '"') {
        for (i++; i < n && L[i] != '"'; i++)
            if (L[i] == '\\') i++;
        fp->v1 = i + 1;
    } else {
        while (i < n && L[i] != ',' && L[i] != '}') i++;
        fp->v1 = i;
    }
    return true;
}

/* o = a + b + c + "\n" */
static int put3(vl_buf *o, const char *a, size_t an, const char *b, size_t bn, const char *c, size_t cn) {
    vl_buf_clear(o);
    VL_RETURN_IF_ERR(vl_buf_reserve(o, an + bn + cn + 1));
    memcpy(o->p, a, an);
    memcpy(o->p + an, b, bn);
    memcpy(o->p + an + bn, c, cn);
    o->p[an + bn + cn] = '\n';
    o->n = an + bn + cn + 1;
    return VL_OK;
}

static int replace_value(vl_buf *o, const char *L, size_t n, const fpos *fp, const char *v, size_t vn) {
    return put3(o, L, fp->v0, v, vn, L + fp->v1, n - fp->v1);
}

#define MUT_NA (-2)  /* this mutation does not apply to the event */
#define MUT_OOM (-1)
#define TRY(expr)                                                                                  \
    do {                                                                                           \
        if ((expr) != VL_OK) return MUT_OOM;                                                       \
    } while (0)

/* Picks one of the fields (present in ev) of list at random; -1 if none. */
static int pick_present(vl_rng *r, const vl_event *ev, const int *list, int n) {
    int ok[24], m = 0;
    for (int i = 0; i < n; i++)
        if (vl_event_has(ev, (vl_field_id)list[i])) ok[m++] = list[i];
    return m ? ok[vl_rng_below(r, (uint64_t)m)] : -1;
}

static const char *pick_str(vl_rng *r, const char *const *list, int n) { return list[vl_rng_below(r, (uint64_t)n)]; }

/* One mutation category. @return the reason key index, MUT_NA, MUT_OOM. */
static int mutate_cat(vl_sim *s, int cat, const vl_event *ev, const char *L, size_t n, vl_buf *o) {
    vl_rng *r = &s->frng;
    int et = (int)ev->v[VL_F_EVENT_TYPE].i;
    fpos fp;
    char tmp[128];
    switch (cat) {
    case 0: { /* too_large: an unknown field padding the line past 64 KiB */
        static const char pre[] = ",\"debug_blob\":\"";
        size_t pad = VL_EVENT_MAX_BYTES + 500 + vl_rng_below(r, 4000);
        vl_buf_clear(o);
        TRY(vl_buf_reserve(o, n + pad + sizeof(pre) + 4));
        TRY(vl_buf_append(o, L, n - 1));
        TRY(vl_buf_append(o, pre, sizeof(pre) - 1));
        memset(o->p + o->n, 'x', pad);
        o->n += pad;
        TRY(vl_buf_append(o, "\"}\n", 3));
        return reason_key(s, VL_RJ_TOO_LARGE, -1);
    }
    case 1: { /* invalid_utf8 inside a string value */
        static const int fields[] = {VL_F_REGION, VL_F_OS, VL_F_USER_ID, VL_F_CONTENT_ID, VL_F_APP_VERSION};
        static const char *const bad[] = {"\xC3\x28", "\xFF", "\xC0\xAF", "\xED\xA0\x80", "\xF5\x80\x80\x80"};
        int f = pick_present(r, ev, fields, 5);
        if (f < 0 || !find_field(L, n, f, &fp)) return MUT_NA;
        const char *b = pick_str(r, bad, 5);
        TRY(put3(o, L, fp.v0 + 1, b, strlen(b), L + fp.v0 + 1, n - fp.v0 - 1));
        return reason_key(s, VL_RJ_INVALID_UTF8, -1);
    }
    case 2: { /* malformed_json */
        int v = (int)vl_rng_below(r, 6);
        if (v <= 1) { /* truncated, on a character boundary */
            size_t cut = 1 + vl_rng_below(r, n - 2);
            while (cut > 1 && ((unsigned char)L[cut] & 0xC0) == 0x80) cut--;
            TRY(put3(o, L, cut, "", 0, "", 0));
        } else if (v == 2) { /* missing colon */
            if (!find_field(L, n, vl_rng_chance(r, 0.5) ? VL_F_EVENT_TYPE : VL_F_USER_ID, &fp)) return MUT_NA;
            TRY(put3(o, L, fp.v0 - 1, "", 0, L + fp.v0, n - fp.v0));
        } else if (v == 3) { /* single-quoted key */
            if (!find_field(L, n, VL_F_USER_ID, &fp)) return MUT_NA;
            TRY(put3(o, L, n, "", 0, "", 0));
            o->p[fp.key] = '\'';
            o->p[fp.v0 - 2] = '\'';
        } else if (v == 4) { /* trailing comma */
            TRY(put3(o, L, n - 1, ",}", 2, "", 0));
        } else { /* unquoted key */
            if (!find_field(L, n, VL_F_EVENT_ID, &fp)) return MUT_NA;
            TRY(put3(o, L, fp.key, "event_id", 8, L + fp.v0 - 1, n - fp.v0 + 1));
        }
        return reason_key(s, VL_RJ_MALFORMED_JSON, -1);
    }
    case 3: { /* not_object */
        int v = (int)vl_rng_below(r, 3);
        if (v == 0) {
            vl_buf_clear(o);
            TRY(vl_buf_putc(o, '['));
            TRY(vl_buf_append(o, L, n));
            TRY(vl_buf_append(o, "]\n", 2));
        } else if (v == 1) { /* double-encoded: the event as a JSON string */
            vl_buf_clear(o);
            TRY(vl_buf_json_str(o, L, n));
            TRY(vl_buf_putc(o, '\n'));
        } else {
            size_t k = vl_fmt_i64(tmp, ev->v[VL_F_EVENT_TIME].i / 1000);
            TRY(put3(o, tmp, k, "", 0, "", 0));
        }
        return reason_key(s, VL_RJ_NOT_OBJECT, -1);
    }
    case 4: { /* trailing_data */
        int v = (int)vl_rng_below(r, 3);
        if (v == 0) TRY(put3(o, L, n, " x", 2, "", 0));
        else if (v == 1) TRY(put3(o, L, n, L, n, "", 0)); /* two events, no newline */
        else TRY(put3(o, L, n, "]", 1, "", 0));
        return reason_key(s, VL_RJ_TRAILING_DATA, -1);
    }
    case 5: { /* duplicate_field: a known key sent twice */
        static const int fields[] = {VL_F_EVENT_TYPE, VL_F_EVENT_TIME, VL_F_USER_ID, VL_F_SESSION_ID,
                                     VL_F_DEVICE_TYPE, VL_F_COUNTRY, VL_F_CONTENT_ID, VL_F_VIEW_ID,
                                     VL_F_POSITION_MS, VL_F_BITRATE_KBPS, VL_F_OS};
        int f = pick_present(r, ev, fields, 11);
        if (f < 0 || !find_field(L, n, f, &fp)) return MUT_NA;
        vl_buf_clear(o);
        TRY(vl_buf_reserve(o, n + (fp.v1 - fp.key) + 3));
        TRY(vl_buf_append(o, L, fp.v1));
        TRY(vl_buf_putc(o, ','));
        TRY(vl_buf_append(o, L + fp.key, fp.v1 - fp.key));
        TRY(vl_buf_append(o, L + fp.v1, n - fp.v1));
        TRY(vl_buf_putc(o, '\n'));
        return reason_key(s, VL_RJ_DUPLICATE_FIELD, f);
    }
    case 6: { /* wrong_type */
        static const int fields[] = {VL_F_POSITION_MS, VL_F_DURATION_MS, VL_F_BITRATE_KBPS, VL_F_STARTUP_MS,
                                     VL_F_BUFFER_MS,   VL_F_AD_REVENUE_USD, VL_F_ERROR_FATAL, VL_F_USER_ID,
                                     VL_F_EVENT_ID,    VL_F_SESSION_ID};
        int f = pick_present(r, ev, fields, 10);
        if (f < 0 || !find_field(L, n, f, &fp)) return MUT_NA;
        size_t k;
        if (f == VL_F_ERROR_FATAL) {
            const char *w = vl_rng_chance(r, 0.5) ? "\"yes\"" : "\"true\"";
            k = strlen(w);
            memcpy(tmp, w, k);
        } else if (f == VL_F_USER_ID || f == VL_F_EVENT_ID || f == VL_F_SESSION_ID) {
            k = vl_fmt_u64(tmp, 1000000 + vl_rng_below(r, 999000000)); /* an id sent as a number */
        } else { /* a number sent as a string */
            size_t vn = fp.v1 - fp.v0;
            tmp[0] = '"';
            memcpy(tmp + 1, L + fp.v0, vn);
            tmp[vn + 1] = '"';
            k = vn + 2;
        }
        TRY(replace_value(o, L, n, &fp, tmp, k));
        return reason_key(s, VL_RJ_WRONG_TYPE, f);
    }
    case 7: { /* value_not_allowed */
        static const int fields[] = {VL_F_EVENT_TYPE, VL_F_DEVICE_TYPE, VL_F_CONTENT_TYPE,
                                     VL_F_SUBSCRIPTION_TIER, VL_F_AD_POSITION, VL_F_COUNTRY};
        static const char *const et_bad[] = {"\"plai\"", "\"playing\"", "\"view_start\"", "\"ad_start\""};
        static const char *const dt_bad[] = {"\"fridge\"", "\"smart_tv\"", "\"phone\""};
        static const char *const ct_bad[] = {"\"film\"", "\"podcast\""};
        static const char *const tier_bad[] = {"\"gold\"", "\"trial\"", "\"vip\""};
        static const char *const ap_bad[] = {"\"midway\"", "\"pre-roll\""};
        static const char *const co_bad[] = {"\"XX\"", "\"UK\"", "\"EU\"", "\"ZZ\""};
        int f = pick_present(r, ev, fields, 6);
        if (f < 0 || !find_field(L, n, f, &fp)) return MUT_NA;
        const char *w = f == VL_F_EVENT_TYPE ? pick_str(r, et_bad, 4)
                        : f == VL_F_DEVICE_TYPE ? pick_str(r, dt_bad, 3)
                        : f == VL_F_CONTENT_TYPE ? pick_str(r, ct_bad, 2)
                        : f == VL_F_SUBSCRIPTION_TIER ? pick_str(r, tier_bad, 3)
                        : f == VL_F_AD_POSITION ? pick_str(r, ap_bad, 2)
                                                : pick_str(r, co_bad, 4);
        TRY(replace_value(o, L, n, &fp, w, strlen(w)));
        return reason_key(s, VL_RJ_NOT_ALLOWED, f);
    }
    case 8: { /* bad_timestamp */
        static const char *const bad[] = {"\"2024-13-01T00:00:00Z\"", "\"yesterday\"",
                                          "\"2024-05-01T25:61:00Z\"", "\"01/05/2024 12:00:00\"",
                                          "\"2024-05-32T10:00:00Z\""};
        if (!find_field(L, n, VL_F_EVENT_TIME, &fp)) return MUT_NA;
        const char *w = pick_str(r, bad, 5);
        TRY(replace_value(o, L, n, &fp, w, strlen(w)));
        return reason_key(s, VL_RJ_BAD_TIMESTAMP, VL_F_EVENT_TIME);
    }
    case 9: { /* out_of_range */
        static const int fields[] = {VL_F_POSITION_MS, VL_F_BUFFER_MS, VL_F_EVENT_TIME, VL_F_EVENT_TIME,
                                     VL_F_EVENT_ID,    VL_F_USER_ID,   VL_F_SESSION_ID, VL_F_BITRATE_KBPS,
                                     VL_F_STARTUP_MS,  VL_F_DURATION_MS, VL_F_REGION};
        int f = pick_present(r, ev, fields, 11);
        if (f < 0 || !find_field(L, n, f, &fp)) return MUT_NA;
        size_t k = 0;
        switch (f) {
        case VL_F_POSITION_MS:
        case VL_F_BUFFER_MS:
        case VL_F_BITRATE_KBPS:
            tmp[0] = '-';
            k = 1 + vl_fmt_i64(tmp + 1, ev->v[f].i ? ev->v[f].i : 1500);
            break;
        case VL_F_EVENT_TIME:
            if (vl_rng_chance(r, 0.5)) { /* epoch seconds where milliseconds belong: 1970 */
                k = vl_fmt_i64(tmp, ev->v[f].i / VL_US_PER_SEC);
            } else { /* a clock far in the future */
                tmp[0] = '"';
                vl_ts_format(tmp + 1, ev->v[f].i + INT64_C(126) * 365 * VL_US_PER_DAY);
                tmp[28] = '"';
                k = 29;
            }
            break;
        case VL_F_EVENT_ID: /* longer than 64 bytes */
            tmp[0] = '"';
            k = 1;
            while (k < 66 + 16) {
                memcpy(tmp + k, L + fp.v0 + 1, 17);
                k += 17;
            }
            tmp[k++] = '"';
            break;
        case VL_F_USER_ID:
        case VL_F_SESSION_ID:
            memcpy(tmp, "\"\"", 2);
            k = 2;
            break;
        case VL_F_STARTUP_MS:
            k = vl_fmt_i64(tmp, 600001 + (int64_t)vl_rng_below(r, 300000));
            break;
        case VL_F_DURATION_MS:
            k = vl_fmt_i64(tmp, VL_MS_MAX + 1 + ev->v[f].i);
            break;
        default: /* region: longer than 64 bytes */
            memcpy(tmp, "\"Greater ", 9);
            k = 9;
            while (k < 70) tmp[k++] = 'x';
            tmp[k++] = '"';
        }
        TRY(replace_value(o, L, n, &fp, tmp, k));
        return reason_key(s, VL_RJ_OUT_OF_RANGE, f);
    }
    default: { /* missing_field: removed, or sent as null */
        int cand[VL_F_COUNT], m = 0;
        for (int f = 0; f < VL_F_COUNT; f++) {
            const vl_field *fd = &vl_event_fields[f];
            bool req = (fd->flags & VL_FF_REQUIRED) || (fd->required_for >> et) & 1;
            if (req && vl_event_has(ev, (vl_field_id)f)) cand[m++] = f;
        }
        int f = cand[vl_rng_below(r, (uint64_t)m)];
        if (!find_field(L, n, f, &fp)) return MUT_NA;
        if (vl_rng_chance(r, 0.3)) TRY(replace_value(o, L, n, &fp, "null", 4));
        else if (L[fp.key - 1] == ',') TRY(put3(o, L, fp.key - 1, "", 0, L + fp.v1, n - fp.v1));
        else TRY(put3(o, L, fp.key, "", 0, L + fp.v1 + 1, n - fp.v1 - 1)); /* the first field */
        return reason_key(s, VL_RJ_MISSING_FIELD, f);
    }
    }
}

/* Mix of invalid lines, per mille, by category (see mutate_cat). */
static const int mutation_weights[11] = {5, 60, 110, 40, 40, 80, 140, 140, 75, 130, 180};

/* Writes into o a mutated copy of line L (n bytes, no newline) of event ev
 * that the validator rejects with exactly one predictable key.
 * @return the key's index in s->reasons, or MUT_OOM. */
static int mutate(vl_sim *s, const vl_event *ev, const char *L, size_t n, vl_buf *o) {
    for (;;) {
        int x = (int)vl_rng_below(&s->frng, 1000), cat = 0;
        while (x >= mutation_weights[cat]) x -= mutation_weights[cat++];
        int k = mutate_cat(s, cat, ev, L, n, o);
        if (k != MUT_NA) return k;
    }
}

static int64_t late_delay(vl_rng *r) {
    double u = vl_rng_unif(r), ms;
    if (u < 0.70) ms = 2000 + vl_rng_exp(r, 60000);                     /* a flaky network */
    else if (u < 0.95) ms = 60000 + vl_rng_exp(r, 1200000);             /* an offline phone */
    else ms = 3600000 + vl_rng_unif(r) * 5 * 3600000.0;                 /* a plane: hours */
    return ms_of(ms, 1) * SIM_MS;
}

static int64_t dup_delay(vl_rng *r) { return ms_of(100 + vl_rng_exp(r, 5000), 100) * SIM_MS; }

/* ----------------------------------------------------------------- output */

static day_stat *day_of(vl_sim *s, int64_t day) {
    int64_t i = day - s->day_base;
    if (i < 0) i = 0; /* cannot happen: events are never before the start */
    if ((size_t)i >= s->n_days) {
        size_t n = (size_t)i + 8;
        day_stat *d = vl_realloc(s->days, n * sizeof(*d));
        if (!d) {
            s->oom = true;
            return &s->day_sink;
        }
        memset(d + s->n_days, 0, (n - s->n_days) * sizeof(*d));
        s->days = d;
        s->n_days = n;
    }
    return &s->days[i];
}

static void count_line(vl_sim *s, int kind, int etype, int32_t day, bool late) {
    s->lines++;
    if (kind == VL_SIM_INVALID) return;
    s->by_type[etype]++;
    day_stat *d = day_of(s, day);
    d->valid++;
    if (kind == VL_SIM_DUPLICATE) s->dups++;
    else d->distinct++;
    if (late) s->late++;
}

int vl_sim_next(vl_sim *s, vl_buf *out, int64_t *deliver_us, vl_sim_kind *kind) {
    if (s->oom) return -VL_ENOMEM;
    for (;;) {
        if (s->have_pend) {
            if (vl_buf_append(out, s->pend.p, s->pend.n) != VL_OK) return -VL_ENOMEM;
            s->have_pend = false;
            *deliver_us = s->last_deliver = s->pend_t;
            *kind = VL_SIM_INVALID;
            s->lines++;
            s->invalid++;
            s->reasons[s->pend_reason].n++;
            return 1;
        }
        uint64_t room = s->cfg.events ? s->cfg.events - s->lines : UINT64_MAX;
        if (room == 0) return 0;
        if (!s->have_fev && !s->stopped && !s->exhausted && room > s->held_n) {
            int rc = gen_fresh(s, &s->fev, &s->fev_t, &s->fev_user);
            if (rc < 0) return rc;
            if (rc == 0) s->exhausted = true;
            else s->have_fev = true;
        }
        if (s->held_n && (!s->have_fev || s->held[0].deliver <= s->fev_t)) {
            held_line h = held_pop(s);
            int rc = vl_buf_append(out, h.line, h.len);
            vl_free(h.line);
            if (rc != VL_OK) return -VL_ENOMEM;
            /* cut short (by --events or a stop): what was held goes out now */
            bool pulled = !s->have_fev && (s->stopped || room <= s->held_n + 1);
            *deliver_us = s->last_deliver = pulled && s->last_deliver > INT64_MIN ? s->last_deliver : h.deliver;
            *kind = (vl_sim_kind)h.kind;
            count_line(s, h.kind, h.etype, h.day, h.late);
            return 1;
        }
        if (!s->have_fev) return 0;
        /* a fresh event */
        s->have_fev = false;
        vl_event *ev = &s->fev;
        int64_t t = s->fev_t;
        int etype = (int)ev->v[VL_F_EVENT_TYPE].i;
        int32_t day = (int32_t)vl_ts_day(t);
        fmt_id(s->eid, 'e', vl_mix64(s->k_event ^ s->event_ctr++));
        vl_event_set_s(ev, VL_F_EVENT_ID, s->eid, 17);
        s->fresh++;
        sim_user *u = &s->w.users[s->fev_user];
        if (u->last_day != day) {
            u->last_day = day;
            day_of(s, day)->users++;
        }
        bool extras = !s->stopped;
        if (extras && s->p_late > 0 && vl_rng_chance(&s->frng, s->p_late)) {
            vl_buf_clear(&s->scratch);
            if (vl_event_encode(ev, &s->scratch) != VL_OK ||
                held_push(s, s->scratch.p, s->scratch.n, t + late_delay(&s->frng), VL_SIM_EVENT, etype, day,
                          true) != VL_OK)
                return -VL_ENOMEM;
            continue;
        }
        size_t n0 = out->n;
        if (vl_event_encode(ev, out) != VL_OK) return -VL_ENOMEM;
        *deliver_us = s->last_deliver = t;
        *kind = VL_SIM_EVENT;
        count_line(s, VL_SIM_EVENT, etype, day, false);
        const char *line = out->p + n0;
        size_t len = out->n - n0;
        room--;
        if (extras && s->p_dup > 0 && room > s->held_n + 1 && vl_rng_chance(&s->frng, s->p_dup)) {
            if (held_push(s, line, len, t + dup_delay(&s->frng), VL_SIM_DUPLICATE, etype, day, false) != VL_OK)
                return -VL_ENOMEM;
        }
        if (extras && s->p_inv > 0 && room > s->held_n + 1 && vl_rng_chance(&s->frng, s->p_inv)) {
            int k = mutate(s, ev, line, len - 1, &s->pend);
            if (k < 0) return -VL_ENOMEM;
            s->have_pend = true;
            s->pend_t = t;
            s->pend_reason = k;
        }
        return 1;
    }
}

void vl_sim_stop(vl_sim *s) { s->stopped = true; }

/* ---------------------------------------------------------- create/destroy */

void vl_sim_config_default(vl_sim_config *c) {
    memset(c, 0, sizeof(*c));
    c->events = 100000;
    c->days = 1;
    c->seed = 1;
    c->start_us = vl_days_from_civil(2024, 5, 1) * VL_US_PER_DAY;
}

/* steady: how sessions run, for rate mode's steady-state start; NULL:
 * nothing is running at the start. */
static int sim_new(const vl_sim_config *c, uint32_t users, double activity, bool count_only, int64_t now,
                   const sim_steady *steady, vl_sim **out) {
    vl_sim *s = vl_calloc(1, sizeof(vl_sim));
    if (!s) return VL_ENOMEM;
    s->cfg = *c;
    s->cfg.users = users;
    s->rate_mode = c->rate > 0;
    s->bounded = !s->rate_mode && c->events == 0;
    s->count_only = count_only;
    uint64_t seed = c->seed;
    s->k_user = vl_mix64(seed ^ 0x7573657273ull);
    s->k_dev = vl_mix64(seed ^ 0x64657669636573ull);
    s->k_sess = vl_mix64(seed ^ 0x73657373696f6eull);
    s->k_view = vl_mix64(seed ^ 0x7669657773ull);
    s->k_event = vl_mix64(seed ^ 0x6576656e7473ull);
    vl_rng_seed(&s->rng, vl_mix64(seed ^ 0x4d4f44454cull));  /* "MODEL" */
    vl_rng_seed(&s->prng, vl_mix64(seed ^ 0x504c414eull));   /* "PLAN" */
    vl_rng_seed(&s->frng, vl_mix64(seed ^ 0x4641554c54ull)); /* "FAULT" */
    double acc = 0, sum = 0;
    for (int h = 0; h < 24; h++) sum += vl_sim__hour_weight[h];
    for (int h = 0; h < 24; h++) {
        acc += vl_sim__hour_weight[h];
        s->hour_cdf[h] = acc / sum;
    }
    for (int i = 0; i < N_ADS; i++) snprintf(s->ad_ids[i], sizeof(s->ad_ids[i]), "ad-%05d", 10007 + i * 37);
    for (int i = 0; i < N_ADS / 6; i++) snprintf(s->cmp_ids[i], sizeof(s->cmp_ids[i]), "cmp-%04d", 301 + i);
    if (s->rate_mode) {
        int64_t t0 = now / SIM_MS * SIM_MS;
        s->emit_from = s->sim_start = s->start_us = t0;
        if (steady) {
            s->steady = *steady;
            s->joins = true;
        }
    } else {
        s->emit_from = INT64_MIN;
        s->sim_start = c->start_us;
        s->start_us = c->start_us;
    }
    s->day0 = vl_ts_day(s->sim_start);
    s->day_base = s->day0;
    s->end_us = s->start_us + (int64_t)c->days * VL_US_PER_DAY;
    s->next_plan_day = -1;
    s->next_plan_hour = (s->sim_start - (s->joins ? JOIN_SPAN_MIN * SIM_MIN : 0)) / SIM_HOUR;
    for (int h = 0; h < 24; h++) s->hour_w[h] = vl_sim__hour_weight[h] / sum;
    s->last_deliver = INT64_MIN;
    double f = 1 - c->invalid_fraction - c->duplicate_fraction;
    double ontime = f - c->late_fraction;
    s->p_late = f > 0 ? c->late_fraction / f : 0;
    s->p_dup = ontime > 0 ? c->duplicate_fraction / ontime : 0;
    s->p_inv = ontime > 0 ? c->invalid_fraction / ontime : 0;
    vl_buf_init(&s->pend);
    vl_buf_init(&s->scratch);
    int rc = vl_sim__world_build(&s->w, users, c->days, !s->rate_mode, activity, seed);
    if (rc) {
        vl_sim_destroy(s);
        return rc;
    }
    *out = s;
    return VL_OK;
}

/* Fresh events per user-day, measured by a small run of the same model
 * (same seed, so the result and everything derived from it is
 * deterministic). */
static int pilot_epud(const vl_sim_config *c, double *epud) {
    vl_sim_config pc = *c;
    uint32_t pd = c->days < 7 ? c->days : 7;
    /* Users differ a lot (binge watchers produce many times what casual
     * ones do), so the sample must be large for the period to come out
     * right: about a quarter of the requested events' worth of user-days
     * (a user-day is ~200 events), at least 600 and at most 50000. */
    double user_days = (double)c->events / 800;
    if (user_days < 600) user_days = 600;
    if (user_days > 50000) user_days = 50000;
    uint32_t users = (uint32_t)(user_days / pd);
    if (users < 150) users = 150;
    pc.events = 0;
    pc.days = pd;
    pc.invalid_fraction = pc.duplicate_fraction = pc.late_fraction = 0;
    vl_sim *p;
    VL_RETURN_IF_ERR(sim_new(&pc, users, 1.0, true, 0, NULL, &p));
    vl_event ev;
    int64_t t;
    uint32_t u;
    uint64_t count = 0;
    int rc;
    while ((rc = gen_fresh(p, &ev, &t, &u)) == 1) count++;
    vl_sim_destroy(p);
    if (rc < 0) return -rc;
    *epud = (double)(count ? count : 1) / ((double)users * pd);
    return VL_OK;
}

/* How sessions run, for the steady-state start of real-time mode: how
 * long they last and how much of it is playing, from a day of a few
 * thousand users run to the end (same seed: deterministic). */
static int pilot_steady(const vl_sim_config *c, sim_steady *st) {
    vl_sim_config pc = *c;
    pc.rate = 0;
    pc.events = 0;
    pc.days = 1;
    pc.start_us = vl_days_from_civil(2024, 5, 1) * VL_US_PER_DAY;
    pc.invalid_fraction = pc.duplicate_fraction = pc.late_fraction = 0;
    vl_sim *p;
    VL_RETURN_IF_ERR(sim_new(&pc, 4000, 1.0, true, 0, NULL, &p));
    vl_event ev;
    int64_t t;
    uint32_t u;
    int rc;
    while ((rc = gen_fresh(p, &ev, &t, &u)) == 1) {}
    if (rc < 0) {
        vl_sim_destroy(p);
        return -rc;
    }
    /* more than m minutes: the longer bins, and half of bin m */
    double n = p->len_n ? (double)p->len_n : 1, above = 0;
    for (int m = JOIN_SPAN_MIN; m >= 0; m--) {
        st->survive[m] = (float)((above + 0.5 * (double)p->len_hist[m]) / n);
        above += (double)p->len_hist[m];
    }
    st->playing = p->len_us > 0 ? (float)((double)p->play_ms * SIM_MS / (double)p->len_us) : 1.0f;
    VL_DEBUG("sim", "pilot: %llu sessions, %.0f%% of their time playing; running after 10 min %.2f, 1 h %.2f, "
             "3 h %.3f, 12 h %.4f", (unsigned long long)p->len_n, 100.0 * st->playing, st->survive[10],
             st->survive[60], st->survive[180], st->survive[JOIN_SPAN_MIN]);
    vl_sim_destroy(p);
    return VL_OK;
}

/* Real-time mode: fresh events per second and user from 2 to 10 minutes
 * after now, measured by a run like the real one (same steady-state start,
 * same hour of the day, same activity). Not the first two minutes: every
 * joined session is playing, so the rate starts about 10% high and
 * settles as some pause or go between views. */
static int pilot_rate(const vl_sim_config *c, int64_t now, const sim_steady *steady, double activity,
                      double *per_user) {
    uint32_t users = 48000; /* enough running sessions for a ~2% estimate */
    vl_sim_config pc = *c;
    pc.events = 0;
    vl_sim *p;
    VL_RETURN_IF_ERR(sim_new(&pc, users, activity, true, now, steady, &p));
    vl_event ev;
    int64_t span = 8 * SIM_MIN;
    int64_t t, from = p->emit_from + 2 * SIM_MIN, until = from + span;
    uint32_t u;
    uint64_t count = 0;
    int rc;
    while ((rc = gen_fresh(p, &ev, &t, &u)) == 1 && t < until) count += t >= from;
    vl_sim_destroy(p);
    if (rc < 0) return -rc;
    *per_user = (double)(count ? count : 1) / ((double)span / SIM_SEC * users);
    VL_DEBUG("sim", "pilot: %u users at activity %.3f: %llu fresh events in %.0f s from 2 min after now (%.5f per user and s)", users,
             activity, (unsigned long long)count, (double)span / SIM_SEC, *per_user);
    return VL_OK;
}

int vl_sim_create(const vl_sim_config *c, vl_sim **out, vl_error *err) {
    *out = NULL;
    if (c->days < 1 || c->days > 3650)
        return vl_error_set(err, VL_EINVAL, "days must be 1 .. 3650 (got %u)", c->days);
    if (c->users > MAX_USERS)
        return vl_error_set(err, VL_EINVAL, "users must be at most %u (got %u)", MAX_USERS, c->users);
    if (!(c->rate >= 0) || c->rate > 1e8)
        return vl_error_set(err, VL_EINVAL, "rate must be 0 .. 100000000 events per second (got %g)", c->rate);
    const double fr[3] = {c->invalid_fraction, c->duplicate_fraction, c->late_fraction};
    static const char *const names[3] = {"invalid", "duplicate", "late"};
    for (int i = 0; i < 3; i++)
        if (!(fr[i] >= 0 && fr[i] <= 1))
            return vl_error_set(err, VL_EINVAL, "%s fraction must be 0 .. 1 (got %g)", names[i], fr[i]);
    double ontime = 1 - fr[0] - fr[1] - fr[2];
    if (ontime < 0 || ((fr[0] > 0 || fr[1] > 0) && (fr[0] > ontime || fr[1] > ontime)))
        return vl_error_set(err, VL_EINVAL,
                            "fractions too large: invalid (%g) and duplicate (%g) lines are copies of on-time "
                            "fresh lines, so each must be at most 1 - invalid - duplicate - late (%g)",
                            fr[0], fr[1], ontime);
    if (c->rate <= 0 && (c->start_us < VL_TS_MIN || c->start_us + (int64_t)(c->days + 400) * VL_US_PER_DAY >= VL_TS_MAX))
        return vl_error_set(err, VL_EINVAL, "start must be in 2000 .. 2098 (event times must be valid)");
    if (c->rate <= 0 && c->events == 0 && c->users == 0)
        return vl_error_set(err, VL_EINVAL, "give the number of events, or of users for a whole period");
    int64_t now = vl_now_us();
    sim_steady steady;
    if (c->rate > 0 && pilot_steady(c, &steady) != VL_OK)
        return vl_error_set(err, VL_ENOMEM, "out of memory measuring session lengths");
    const sim_steady *surv = c->rate > 0 ? &steady : NULL;
    uint32_t users = c->users;
    double activity = 1.0;
    if (!users) {
        double fresh_frac = 1 - c->invalid_fraction - c->duplicate_fraction, want, x;
        int rc = c->rate > 0 ? pilot_rate(c, now, surv, 1.0, &x) : pilot_epud(c, &x);
        if (rc) return vl_error_set(err, rc, "out of memory sizing the audience");
        if (c->rate > 0) /* users whose natural rate right now is the target */
            want = c->rate * fresh_frac / x;
        else
            want = (double)c->events * fresh_frac / (x * c->days);
        want = ceil(want);
        if (want < 1) want = 1;
        if (want > MAX_USERS_DERIVED) { /* more sessions per user instead of more users */
            activity = want / MAX_USERS_DERIVED;
            want = MAX_USERS_DERIVED;
            if (c->rate > 0) {
                /* sessions per user do not scale their events linearly (a
                 * user watching skips the next session): measure again */
                rc = pilot_rate(c, now, surv, activity, &x);
                if (rc) return vl_error_set(err, rc, "out of memory sizing the audience");
                double per_user_wanted = c->rate * fresh_frac / MAX_USERS_DERIVED;
                if (x > 0) activity *= per_user_wanted / x;
            }
        }
        users = (uint32_t)want;
    }
    VL_DEBUG("sim", "audience: %u users, activity %.3f", users, activity);
    int rc = sim_new(c, users, activity, false, now, surv, out);
    if (rc) return vl_error_set(err, rc, "out of memory creating %u simulated users", users);
    return VL_OK;
}

void vl_sim_destroy(vl_sim *s) {
    if (!s) return;
    vl_sim__world_free(&s->w);
    vl_free(s->plan);
    vl_free(s->heap);
    for (size_t i = 0; i < s->n_chunks; i++) vl_free(s->chunks[i]);
    vl_free(s->chunks);
    vl_free(s->free_s);
    for (size_t i = 0; i < s->held_n; i++) vl_free(s->held[i].line);
    vl_free(s->held);
    vl_buf_free(&s->pend);
    vl_buf_free(&s->scratch);
    vl_free(s->views);
    vl_free(s->days);
    vl_free(s);
}

/* ------------------------------------------------------------------ truth */

static const char *const ctype_names[] = {"movie", "episode", "live", "short", "trailer"};
static const char *const dtype_names[] = {"tv", "mobile", "tablet", "desktop", "console", "other"};

static int reason_cmp(const void *a, const void *b) {
    return strcmp(((const reason_count *)a)->key, ((const reason_count *)b)->key);
}

int vl_sim_write_truth(vl_sim *s, FILE *f, vl_error *err) {
    char ts[32], date[16];
    vl_date_format(date, vl_ts_day(s->start_us));
    date[10] = '\0';
    fprintf(f, "{\"seed\":%llu,\"start\":\"%s\",\"days\":%u,\"users\":%u,\"rate\":%g,\n",
            (unsigned long long)s->cfg.seed, date, s->cfg.days, s->cfg.users, s->cfg.rate);
    fprintf(f, "\"lines\":%llu,\"valid\":%llu,\"invalid\":%llu,\"duplicates\":%llu,\"late\":%llu,\n",
            (unsigned long long)s->lines, (unsigned long long)(s->lines - s->invalid),
            (unsigned long long)s->invalid, (unsigned long long)s->dups, (unsigned long long)s->late);
    fputs("\"by_type\":{", f);
    for (int i = 0; i < VL_ET_COUNT; i++)
        fprintf(f, "%s\"%s\":%llu", i ? "," : "", vl_event_type_names[i], (unsigned long long)s->by_type[i]);
    fputs("},\n\"by_reason\":{", f);
    reason_count sorted[sizeof(s->reasons) / sizeof(s->reasons[0])];
    memcpy(sorted, s->reasons, (size_t)s->n_reasons * sizeof(reason_count));
    qsort(sorted, (size_t)s->n_reasons, sizeof(reason_count), reason_cmp);
    int k = 0;
    for (int i = 0; i < s->n_reasons; i++)
        if (sorted[i].n) fprintf(f, "%s\"%s\":%llu", k++ ? "," : "", sorted[i].key, (unsigned long long)sorted[i].n);
    fputs("},\n\"by_day\":{", f);
    k = 0;
    for (size_t i = 0; i < s->n_days; i++) {
        const day_stat *d = &s->days[i];
        if (!d->valid && !d->users) continue;
        vl_date_format(date, s->day_base + (int64_t)i);
        fprintf(f, "%s\"%s\":{\"valid\":%llu,\"distinct\":%llu,\"users\":%llu}", k++ ? "," : "", date,
                (unsigned long long)d->valid, (unsigned long long)d->distinct, (unsigned long long)d->users);
    }
    fputs("},\n\"views\":[", f);
    for (size_t i = 0; i < s->n_views; i++) {
        const sim_vtruth *v = &s->views[i];
        char vid[18], uid[18], sid[18];
        fmt_id(vid, 'v', vl_mix64(s->k_view ^ v->view_serial));
        fmt_id(uid, 'u', vl_mix64(s->k_user ^ v->user));
        fmt_id(sid, 's', vl_mix64(s->k_sess ^ v->session_serial));
        ts[vl_ts_format(ts, v->start_us)] = '\0';
        fprintf(f,
                "%s\n{\"view_id\":\"%s\",\"user_id\":\"%s\",\"session_id\":\"%s\",\"content_id\":\"%s\","
                "\"content_type\":\"%s\",\"device_type\":\"%s\",\"country\":\"%s\",\"cdn\":\"%s\","
                "\"start\":\"%s\",\"started\":%s,",
                i ? "," : "", vid, uid, sid, s->w.content[v->content].id, ctype_names[v->ctype],
                dtype_names[v->dtype], vl_sim__countries[v->country].code, vl_sim__cdns[v->cdn].name.p, ts,
                v->started ? "true" : "false");
        if (v->started && v->startup_ms >= 0) fprintf(f, "\"startup_ms\":%d,", v->startup_ms);
        else fputs("\"startup_ms\":null,", f);
        fprintf(f, "\"watch_ms\":%lld,\"stall_ms\":%lld,\"seek_stall_ms\":%lld,\"furthest_ms\":%lld,\"duration_ms\":%lld,",
                (long long)v->watch_ms, (long long)v->stall_ms, (long long)v->seek_stall_ms,
                (long long)v->furthest_ms, (long long)v->dur_ms);
        if (v->watch_ms > 0)
            fprintf(f, "\"avg_bitrate_kbps\":%lld,", (long long)((v->br_sum + v->watch_ms / 2) / v->watch_ms));
        else fputs("\"avg_bitrate_kbps\":null,", f);
        fprintf(f,
                "\"completed\":%s,\"outcome\":\"%s\",\"ads\":{\"impressions\":%u,\"completes\":%u,\"skips\":%u,"
                "\"clicks\":%u,\"revenue_usd\":%lld.%06lld}}",
                v->furthest_ms * 10 >= v->dur_ms * 9 ? "true" : "false", outcome_names[v->outcome], v->ad_imp,
                v->ad_comp, v->ad_skip, v->ad_click, (long long)(v->rev_micros / 1000000),
                (long long)(v->rev_micros % 1000000));
    }
    fputs("\n]}\n", f);
    if (fflush(f) != 0 || ferror(f)) return vl_error_set(err, VL_EIO, "writing the truth failed");
    return VL_OK;
}
