/* vidlake - Apache-2.0 */
/*
 * The real-time engine (stream.h): per-view state, slices, time buckets,
 * and the queries over them. docs/metrics.md defines every metric; the
 * per-view rules follow the simulator's (docs/simulator.md, "Reading the
 * truth back from the events"), so that the engine can be tested against
 * the simulator's ground truth.
 *
 * Layout of the state:
 *  - slices[]: 0 is every view; then one per (dimension, value), at fixed
 *    indexes 1 + dim * SLOTS_PER_DIM + value. A slice's buckets are
 *    allocated the first time it is counted into: counters per second
 *    (ring of retention_s), per minute (ring of 1440), sketches per minute
 *    (ring of 60) and per hour (ring of 24). A ring slot carries the second
 *    (minute, hour) it holds; a slot whose stamp is older is reset when
 *    written and skipped when read.
 *  - views: an open-addressing table (linear probing, backward-shift
 *    deletion) keyed by a 64-bit hash of view_id.
 *  - contents: a table keyed by a hash of content_id with, per content, the
 *    plays now and a ring of 16 one-minute slots (top-k for up to 15 min).
 */
#include "stream.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define US 1000000LL
#define NDIM 4                 /* device_type, country, cdn, os */
#define DIM_VALUES 64          /* values per dimension; the rest are "(other)" */
#define SLOTS_PER_DIM (DIM_VALUES + 1)
#define N_SLICES (1 + NDIM * SLOTS_PER_DIM)
#define MSK_SLOTS 60           /* sketches per minute: 1 h */
#define CONTENT_SLOTS 16       /* per content: 16 one-minute slots */
#define CONTENT_MAX (1 << 18)  /* contents tracked at most */
#define RECENT 8               /* event ids kept per view for deduplication */
#define SWEEP_US (10 * US)     /* views are swept for timeouts this often (event time) */
#define HLL_P 14
#define FUTURE_US (60 * US)    /* events further ahead of the wall clock are not applied */
#define LATENESS_MAX (600 * US) /* the allowed lateness at most: rings and content slots cover it */
#define VIEWS_MAX (1u << 20)    /* views tracked at most; new ones past it are not */

static const char *const dim_names[NDIM] = {"device_type", "country", "cdn", "os"};
static const vl_field_id dim_fields[NDIM] = {VL_F_DEVICE_TYPE, VL_F_COUNTRY, VL_F_CDN, VL_F_OS};

/* ---------------------------------------------------------------- counters */

enum {
    C_EVENTS, C_ATTEMPTS, C_PLAYS, C_VSF, C_EBVS, C_VPF,
    C_LIKES, C_DISLIKES, C_COMMENTS, C_SHARES, C_SUBSCRIBES,
    C_AD_IMPR, C_AD_CLICKS, C_AD_COMPLETES, C_AD_SKIPS,
    NC
};
enum { S_WATCH_MS, S_STALL_MS, S_BITRATE_MS, S_AD_REV_MICROS, NS };

typedef struct cnt {
    int64_t stamp; /* the second or minute held; INT64_MIN: none */
    uint32_t c[NC];
    int32_t conc; /* change in concurrent plays during the bucket */
    int64_t s[NS];
} cnt;

typedef struct skslot {
    int64_t stamp;
    vl_hll hll;
    vl_qsketch q;
} skslot;

/* What one event adds, before it is written to each slice. */
typedef struct delta {
    uint32_t c[NC];
    int32_t conc;
    int64_t s[NS];
    bool viewer;      /* a view's event: the user counts as a viewer */
    uint64_t user;    /* hash of user_id */
    int64_t startup;  /* startup_ms of a first frame, else -1 */
} delta;

typedef struct slice {
    bool used;
    int dim; /* -1: every view */
    char name[72];
    cnt *sec, *min;
    skslot *msk, *hsk;
    int64_t conc; /* concurrent plays now */
    int64_t n_hsk;
} slice;

typedef struct cslot {
    int32_t minute; /* minutes since the epoch held; 0: none */
    uint32_t plays, attempts, watch_s;
} cslot;

typedef struct content {
    uint64_t key; /* 0: empty slot */
    char *id;
    int64_t conc;
    uint32_t watch_ms_rest; /* watch time below a second, carried */
    int32_t last_minute;    /* the newest slot written */
    cslot slot[CONTENT_SLOTS];
} content;

enum { V_STARTED = 1, V_PLAYING = 2, V_ENDED = 4, V_IN_CONC = 8, V_FATAL = 16 };

typedef struct view {
    uint64_t key; /* 0: empty slot */
    int64_t last_us;
    uint32_t content; /* index + 1 into the content table; 0: none */
    int32_t bitrate;
    uint16_t sl[NDIM]; /* slice indexes; 0: none */
    uint32_t recent[RECENT];
    int32_t hll_minute; /* the minute its user was last added to the unique-viewer sketches */
    uint8_t pos, last_type, flags;
} view;

/* Event ids of events without a view (session events), for deduplication:
 * two generations, the older dropped every dedup horizon of event time. */
typedef struct idset {
    uint64_t *h;
    size_t cap, n;
} idset;

struct vl_rt {
    pthread_mutex_t mu;
    int64_t retention_s, lateness_us, timeout_us, grace_us;
    int64_t min_slots, hsk_slots; /* the roll-up: minutes of counters, hours of sketches */
    bool no_wall;
    int64_t max_window_us;

    int64_t max_us, now_us, next_sweep_us;
    bool live; /* has seen events of the present: the wall clock may move now (vl_rt_tick) */
    int64_t events, late, dups, timed_out, joined, future, views_dropped;

    slice slices[N_SLICES];
    char dim_vals[NDIM][DIM_VALUES][65];
    int n_dim_vals[NDIM];

    view *views;
    size_t vcap, vn;
    view overflow; /* stands in for views past VIEWS_MAX: counted, not tracked */

    content *contents; /* [0, cn): stable indexes */
    size_t ccap, cn;
    uint32_t *cindex;  /* open addressing: index + 1 into contents, 0 empty */
    size_t icap;
    bool content_full;

    idset ids[2]; /* current, previous */
    int64_t ids_rotate_us, dedup_us;

    int64_t mem;
};

static int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) & ((a < 0) != (b < 0))); }

/* ------------------------------------------------------------------ slices */

static void slice_free(slice *s) {
    if (s->msk)
        for (int i = 0; i < MSK_SLOTS; i++) {
            vl_hll_free(&s->msk[i].hll);
            vl_qsketch_free(&s->msk[i].q);
        }
    if (s->hsk)
        for (int64_t i = 0; i < s->n_hsk; i++) {
            vl_hll_free(&s->hsk[i].hll);
            vl_qsketch_free(&s->hsk[i].q);
        }
    vl_free(s->sec);
    vl_free(s->min);
    vl_free(s->msk);
    vl_free(s->hsk);
    memset(s, 0, sizeof(*s));
}

static int sk_ring_init(skslot *r, int n) {
    for (int i = 0; i < n; i++) {
        r[i].stamp = INT64_MIN;
        if (vl_hll_init(&r[i].hll, HLL_P, NULL) != VL_OK || vl_qsketch_init(&r[i].q, 0, NULL) != VL_OK)
            return VL_ENOMEM;
    }
    return VL_OK;
}

/* Allocates a slice's buckets the first time it is counted into. */
static int slice_use(vl_rt *rt, int idx, int dim, const char *name) {
    slice *s = &rt->slices[idx];
    if (s->used) return VL_OK;
    s->dim = dim;
    snprintf(s->name, sizeof(s->name), "%s", name);
    s->sec = vl_calloc((size_t)rt->retention_s, sizeof(cnt));
    s->min = vl_calloc((size_t)rt->min_slots, sizeof(cnt));
    s->msk = vl_calloc(MSK_SLOTS, sizeof(skslot));
    s->hsk = vl_calloc((size_t)rt->hsk_slots, sizeof(skslot));
    s->n_hsk = s->hsk ? rt->hsk_slots : 0;
    if (!s->sec || !s->min || !s->msk || !s->hsk || sk_ring_init(s->msk, MSK_SLOTS) != VL_OK ||
        sk_ring_init(s->hsk, (int)rt->hsk_slots) != VL_OK) {
        slice_free(s);
        return VL_ENOMEM;
    }
    for (int64_t i = 0; i < rt->retention_s; i++) s->sec[i].stamp = INT64_MIN;
    for (int64_t i = 0; i < rt->min_slots; i++) s->min[i].stamp = INT64_MIN;
    rt->mem += (int64_t)((size_t)(rt->retention_s + rt->min_slots) * sizeof(cnt) +
                         (size_t)(MSK_SLOTS + rt->hsk_slots) * sizeof(skslot));
    s->used = true;
    return VL_OK;
}

/* The slice index of a dimension value (interned; "(other)" past the cap);
 * 0 when the event has no such field. */
static int dim_slice(vl_rt *rt, int d, const vl_event *ev) {
    vl_field_id f = dim_fields[d];
    if (!vl_event_has(ev, f)) return 0;
    char buf[65];
    const char *p;
    size_t n;
    if (vl_event_fields[f].type == VL_FT_ENUM) {
        p = vl_event_fields[f].values[ev->v[f].i];
        n = strlen(p);
    } else {
        p = ev->v[f].s.p;
        n = ev->v[f].s.n < 64 ? ev->v[f].s.n : 64;
    }
    memcpy(buf, p, n);
    buf[n] = 0;
    int k;
    for (k = 0; k < rt->n_dim_vals[d]; k++)
        if (strcmp(rt->dim_vals[d][k], buf) == 0) break;
    if (k == rt->n_dim_vals[d]) {
        if (k < DIM_VALUES) {
            memcpy(rt->dim_vals[d][k], buf, n + 1);
            rt->n_dim_vals[d]++;
        } else {
            k = DIM_VALUES;
            memcpy(buf, "(other)", 8);
        }
    }
    int idx = 1 + d * SLOTS_PER_DIM + k;
    if (slice_use(rt, idx, d, buf) != VL_OK) return -1;
    return idx;
}

/* Bucket b of a ring for stamp, reset if it held an older one; NULL if it
 * holds a newer one (the write is too old for the ring: dropped). */
static cnt *cnt_slot(cnt *b, int64_t stamp) {
    if (b->stamp > stamp) return NULL;
    if (b->stamp != stamp) {
        memset(b, 0, sizeof(*b));
        b->stamp = stamp;
    }
    return b;
}

static skslot *sk_slot(vl_rt *rt, skslot *b, int64_t stamp) {
    if (b->stamp > stamp) return NULL;
    if (b->stamp != stamp) {
        size_t before = vl_hll_bytes(&b->hll) + vl_qsketch_bytes(&b->q);
        vl_hll_reset(&b->hll);
        vl_qsketch_reset(&b->q);
        rt->mem -= (int64_t)(before - vl_hll_bytes(&b->hll) - vl_qsketch_bytes(&b->q));
        b->stamp = stamp;
    }
    return b;
}

static void cnt_add(cnt *b, const delta *d) {
    if (!b) return;
    for (int i = 0; i < NC; i++) b->c[i] += d->c[i];
    for (int i = 0; i < NS; i++) b->s[i] += d->s[i];
    b->conc += d->conc;
}

/* Writes d, which happened at t_us, into slice idx. */
/* Where an instant falls in each ring: the same for every slice, so
 * computed once per event (the modulos are divisions). */
typedef struct when {
    int64_t sec, minute, hour;
    size_t i_sec, i_min, i_msk, i_hsk;
} when;

static when when_of(const vl_rt *rt, int64_t t_us) {
    when w;
    w.sec = floor_div(t_us, US);
    w.minute = floor_div(w.sec, 60);
    w.hour = floor_div(w.sec, 3600);
    w.i_sec = (size_t)(w.sec - floor_div(w.sec, rt->retention_s) * rt->retention_s);
    w.i_min = (size_t)(w.minute - floor_div(w.minute, rt->min_slots) * rt->min_slots);
    w.i_msk = (size_t)(w.minute - floor_div(w.minute, MSK_SLOTS) * MSK_SLOTS);
    w.i_hsk = (size_t)(w.hour - floor_div(w.hour, rt->hsk_slots) * rt->hsk_slots);
    return w;
}

/* Writes d, which happened at w, into slice idx. */
static int slice_add(vl_rt *rt, int idx, const when *w, const delta *d) {
    slice *s = &rt->slices[idx];
    cnt_add(cnt_slot(&s->sec[w->i_sec], w->sec), d);
    cnt_add(cnt_slot(&s->min[w->i_min], w->minute), d);
    s->conc += d->conc;
    if (d->viewer || d->startup >= 0) {
        skslot *m = sk_slot(rt, &s->msk[w->i_msk], w->minute), *h = sk_slot(rt, &s->hsk[w->i_hsk], w->hour);
        if (!m || !h) return VL_OK; /* older than the sketches keep */
        if (d->viewer) {
            size_t before = vl_hll_bytes(&m->hll) + vl_hll_bytes(&h->hll);
            if (vl_hll_add(&m->hll, d->user, NULL) != VL_OK || vl_hll_add(&h->hll, d->user, NULL) != VL_OK)
                return VL_ENOMEM;
            rt->mem += (int64_t)(vl_hll_bytes(&m->hll) + vl_hll_bytes(&h->hll)) - (int64_t)before;
        }
        if (d->startup >= 0) {
            size_t before = vl_qsketch_bytes(&m->q) + vl_qsketch_bytes(&h->q);
            if (vl_qsketch_add(&m->q, (double)d->startup, NULL) != VL_OK ||
                vl_qsketch_add(&h->q, (double)d->startup, NULL) != VL_OK)
                return VL_ENOMEM;
            rt->mem += (int64_t)(vl_qsketch_bytes(&m->q) + vl_qsketch_bytes(&h->q)) - (int64_t)before;
        }
    }
    return VL_OK;
}

/* ---------------------------------------------------------------- contents */

/* Contents live in an array that only grows (a view keeps an index into
 * it), found through an open-addressing table of indexes. */
static int content_index_grow(vl_rt *rt) {
    size_t cap = rt->icap ? rt->icap * 2 : 2048;
    uint32_t *t = vl_calloc(cap, sizeof(*t));
    if (!t) return VL_ENOMEM;
    for (size_t i = 0; i < rt->cn; i++) {
        size_t j = (size_t)vl_mix64(rt->contents[i].key) & (cap - 1);
        while (t[j]) j = (j + 1) & (cap - 1);
        t[j] = (uint32_t)i + 1;
    }
    rt->mem += (int64_t)((cap - rt->icap) * sizeof(*t));
    vl_free(rt->cindex);
    rt->cindex = t;
    rt->icap = cap;
    return VL_OK;
}

/* The content's index + 1, 0 when not tracked (no id, CONTENT_MAX reached,
 * or out of memory). The index never changes. */
static uint32_t content_of(vl_rt *rt, const vl_event *ev) {
    if (!vl_event_has(ev, VL_F_CONTENT_ID)) return 0;
    vl_sv id = ev->v[VL_F_CONTENT_ID].s;
    uint64_t key = vl_hash64(id.p, id.n, 0x636f6e74656e74ULL) | 1;
    if ((rt->cn + 1) * 2 > rt->icap && rt->cn < CONTENT_MAX && content_index_grow(rt) != VL_OK) return 0;
    if (!rt->icap) return 0;
    size_t j = (size_t)vl_mix64(key) & (rt->icap - 1);
    while (rt->cindex[j] && rt->contents[rt->cindex[j] - 1].key != key) j = (j + 1) & (rt->icap - 1);
    if (rt->cindex[j]) return rt->cindex[j];
    if (rt->cn >= CONTENT_MAX || (rt->cn + 1) * 2 > rt->icap) {
        rt->content_full = true;
        return 0;
    }
    if (rt->cn == rt->ccap) {
        size_t cap = rt->ccap ? rt->ccap * 2 : 1024;
        content *t = vl_realloc(rt->contents, cap * sizeof(*t));
        if (!t) return 0;
        rt->mem += (int64_t)((cap - rt->ccap) * sizeof(*t));
        rt->contents = t;
        rt->ccap = cap;
    }
    content *c = &rt->contents[rt->cn];
    memset(c, 0, sizeof(*c));
    c->id = vl_strndup(id.p, id.n);
    if (!c->id) return 0;
    c->key = key;
    rt->cindex[j] = (uint32_t)++rt->cn;
    rt->mem += (int64_t)id.n + 1;
    return rt->cindex[j];
}

static cslot *cslot_at(content *c, int64_t minute) {
    if (minute > c->last_minute) c->last_minute = (int32_t)minute;
    cslot *s = &c->slot[minute % CONTENT_SLOTS];
    if (s->minute > (int32_t)minute) return NULL; /* older than the slots keep */
    if (s->minute != (int32_t)minute) {
        memset(s, 0, sizeof(*s));
        s->minute = (int32_t)minute;
    }
    return s;
}

/* ----------------------------------------------------- session event ids */

static bool idset_has(const idset *s, uint64_t k) {
    if (!s->cap) return false;
    size_t j = (size_t)vl_mix64(k) & (s->cap - 1);
    while (s->h[j]) {
        if (s->h[j] == k) return true;
        j = (j + 1) & (s->cap - 1);
    }
    return false;
}

static int idset_add(vl_rt *rt, idset *s, uint64_t k) {
    if ((s->n + 1) * 2 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024;
        uint64_t *t = vl_calloc(cap, sizeof(*t));
        if (!t) return VL_ENOMEM;
        for (size_t i = 0; i < s->cap; i++) {
            if (!s->h[i]) continue;
            size_t j = (size_t)vl_mix64(s->h[i]) & (cap - 1);
            while (t[j]) j = (j + 1) & (cap - 1);
            t[j] = s->h[i];
        }
        rt->mem += (int64_t)((cap - s->cap) * sizeof(*t));
        vl_free(s->h);
        s->h = t;
        s->cap = cap;
    }
    size_t j = (size_t)vl_mix64(k) & (s->cap - 1);
    while (s->h[j]) j = (j + 1) & (s->cap - 1);
    s->h[j] = k;
    s->n++;
    return VL_OK;
}

/* Whether a session event was seen before (remembering it if not).
 * @return 1 seen, 0 new, VL_ENOMEM as -VL_ENOMEM. */
static int session_seen(vl_rt *rt, const vl_event *ev) {
    if (rt->now_us >= rt->ids_rotate_us) {
        rt->mem -= (int64_t)(rt->ids[1].cap * sizeof(uint64_t));
        vl_free(rt->ids[1].h);
        rt->ids[1] = rt->ids[0];
        memset(&rt->ids[0], 0, sizeof(idset));
        rt->ids_rotate_us = rt->now_us + rt->dedup_us;
    }
    vl_sv id = ev->v[VL_F_EVENT_ID].s;
    uint64_t k = vl_hash64(id.p, id.n, 0x73657373ULL) | 1;
    if (idset_has(&rt->ids[0], k) || idset_has(&rt->ids[1], k)) return 1;
    return idset_add(rt, &rt->ids[0], k) == VL_OK ? 0 : -VL_ENOMEM;
}

/* ------------------------------------------------------------------- views */

static int views_grow(vl_rt *rt) {
    size_t cap = rt->vcap ? rt->vcap * 2 : 4096;
    view *t = vl_calloc(cap, sizeof(*t));
    if (!t) return VL_ENOMEM;
    for (size_t i = 0; i < rt->vcap; i++) {
        view *v = &rt->views[i];
        if (!v->key) continue;
        size_t j = (size_t)vl_mix64(v->key) & (cap - 1);
        while (t[j].key) j = (j + 1) & (cap - 1);
        t[j] = *v;
    }
    rt->mem += (int64_t)((cap - rt->vcap) * sizeof(view));
    vl_free(rt->views);
    rt->views = t;
    rt->vcap = cap;
    return VL_OK;
}

/* Removes the view at slot i, moving later members of its cluster back so
 * that lookups stay correct without tombstones. */
static void view_delete(vl_rt *rt, size_t i) {
    size_t mask = rt->vcap - 1, j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (!rt->views[j].key) break;
        size_t home = (size_t)vl_mix64(rt->views[j].key) & mask;
        /* move j to i when its home is not in (i, j] (cyclically) */
        bool in = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!in) {
            rt->views[i] = rt->views[j];
            i = j;
        }
    }
    memset(&rt->views[i], 0, sizeof(view));
    rt->vn--;
}

/* Applies the end of a view's concurrency at t_us to its slices and content. */
static int view_leave(vl_rt *rt, view *v, int64_t t_us) {
    if (!(v->flags & V_IN_CONC)) return VL_OK;
    v->flags &= (uint8_t)~V_IN_CONC;
    delta d;
    memset(&d, 0, sizeof(d));
    d.conc = -1;
    d.startup = -1;
    when w = when_of(rt, t_us);
    VL_RETURN_IF_ERR(slice_add(rt, 0, &w, &d));
    for (int k = 0; k < NDIM; k++)
        if (v->sl[k]) VL_RETURN_IF_ERR(slice_add(rt, v->sl[k], &w, &d));
    if (v->content) rt->contents[v->content - 1].conc--;
    return VL_OK;
}

/* Ends a view that has been quiet for view_timeout, at its last event plus
 * the timeout (or the watermark, if that is later: older buckets are final). */
static int view_time_out(vl_rt *rt, view *v) {
    int64_t at = v->last_us + rt->timeout_us, wm = rt->now_us - rt->lateness_us;
    if (at < wm) at = wm;
    VL_RETURN_IF_ERR(view_leave(rt, v, at));
    v->flags |= V_ENDED;
    v->flags &= (uint8_t)~V_PLAYING;
    rt->timed_out++;
    return VL_OK;
}

/* Ends views that went quiet and forgets ended ones past the grace time. */
static void sweep(vl_rt *rt) {
    for (size_t i = 0; i < rt->vcap;) {
        view *v = &rt->views[i];
        if (!v->key) {
            i++;
            continue;
        }
        if (!(v->flags & V_ENDED) && v->last_us + rt->timeout_us < rt->now_us && view_time_out(rt, v) != VL_OK)
            return;
        if ((v->flags & V_ENDED) && v->last_us + rt->grace_us < rt->now_us) {
            view_delete(rt, i); /* a later member may now sit at i: look again */
            continue;
        }
        i++;
    }
}

/* Sweeps when due: every min(SWEEP_US, view timeout) of engine time. */
static void maybe_sweep(vl_rt *rt) {
    if (rt->now_us < rt->next_sweep_us) return;
    sweep(rt);
    rt->next_sweep_us = rt->now_us + (rt->timeout_us < SWEEP_US ? rt->timeout_us : SWEEP_US);
}

/* --------------------------------------------------------------------- add */

int vl_rt_create(const vl_rt_opts *o, vl_rt **out, vl_error *err) {
    *out = NULL;
    vl_rt_opts d = {0};
    if (!o) o = &d;
    int64_t ret = o->retention_us ? o->retention_us : 3600 * US;
    int64_t late = o->lateness_us ? o->lateness_us : 30 * US;
    int64_t to = o->view_timeout_us ? o->view_timeout_us : 600 * US;
    if (ret < 60 * US || ret > 86400 * US)
        return vl_error_set(err, VL_EINVAL, "real-time retention: %.0f s is outside 60 s .. 24 h", (double)ret / US);
    if (late < 0 || late > ret || late > LATENESS_MAX)
        return vl_error_set(err, VL_EINVAL, "real-time lateness: %.0f s is outside 0 .. 10 min", (double)late / US);
    int64_t roll = o->rollup_us ? o->rollup_us : 86400 * US;
    if (to < US) return vl_error_set(err, VL_EINVAL, "real-time view timeout: at least 1 s");
    if (roll < ret || roll > 31 * 86400 * US)
        return vl_error_set(err, VL_EINVAL, "real-time roll-up: %.0f s is outside retention .. 31 days", (double)roll / US);
    vl_rt *rt = vl_calloc(1, sizeof(*rt));
    if (!rt) return vl_error_set(err, VL_ENOMEM, "out of memory");
    rt->retention_s = (ret + US - 1) / US;
    rt->min_slots = (roll + 60 * US - 1) / (60 * US);
    rt->hsk_slots = (roll + 3600 * US - 1) / (3600 * US);
    rt->max_window_us = roll;
    rt->lateness_us = late;
    rt->timeout_us = to;
    rt->grace_us = late > 120 * US ? late : 120 * US;
    rt->dedup_us = rt->grace_us;
    rt->ids_rotate_us = INT64_MIN;
    rt->no_wall = o->no_wall_clock;
    rt->max_us = rt->now_us = INT64_MIN;
    rt->mem = (int64_t)sizeof(*rt);
    pthread_mutex_init(&rt->mu, NULL);
    if (slice_use(rt, 0, -1, "all") != VL_OK) {
        vl_rt_destroy(rt);
        return vl_error_set(err, VL_ENOMEM, "out of memory");
    }
    *out = rt;
    return VL_OK;
}

void vl_rt_destroy(vl_rt *rt) {
    if (!rt) return;
    for (int i = 0; i < N_SLICES; i++) slice_free(&rt->slices[i]);
    for (size_t i = 0; i < rt->cn; i++) vl_free(rt->contents[i].id);
    vl_free(rt->contents);
    vl_free(rt->cindex);
    vl_free(rt->views);
    vl_free(rt->ids[0].h);
    vl_free(rt->ids[1].h);
    pthread_mutex_destroy(&rt->mu);
    vl_free(rt);
}

static void rt_lock(vl_rt *rt) { pthread_mutex_lock(&rt->mu); }
static void rt_unlock(vl_rt *rt) { pthread_mutex_unlock(&rt->mu); }

/* now = the latest event time, never ahead of the wall clock, never back. */
static void advance(vl_rt *rt, int64_t t) {
    if (!rt->no_wall && !rt->live && t > vl_now_us() - rt->lateness_us) rt->live = true;
    if (t <= rt->now_us) return; /* nothing can move */
    if (t > rt->max_us) rt->max_us = t;
    int64_t now = rt->max_us;
    if (!rt->no_wall) {
        int64_t wall = vl_now_us();
        if (now > wall) now = wall;
    }
    if (now > rt->now_us) rt->now_us = now;
}

/* The view of view_id, inserted if new (*fresh set). NULL: out of memory. */
static view *view_get(vl_rt *rt, vl_sv id, bool *fresh) {
    uint64_t key = vl_hash64(id.p, id.n, 0x76696577ULL) | 1;
    if ((rt->vn + 1) * 2 > rt->vcap && rt->vn < VIEWS_MAX && views_grow(rt) != VL_OK) return NULL;
    size_t mask = rt->vcap - 1, j = (size_t)vl_mix64(key) & mask;
    while (rt->views[j].key && rt->views[j].key != key) j = (j + 1) & mask;
    view *v = &rt->views[j];
    *fresh = !v->key;
    if (*fresh && (rt->vn >= VIEWS_MAX || (rt->vn + 1) * 2 > rt->vcap)) { /* full: memory stays bounded */
        rt->views_dropped++;
        *fresh = false;
        return &rt->overflow;
    }
    if (*fresh) {
        memset(v, 0, sizeof(*v));
        v->key = key;
        v->last_type = 0xff;
        rt->vn++;
    }
    return v;
}

/* Whether the view has seen this event id (and remembers it if not). */
static bool seen_before(view *v, const vl_event *ev) {
    vl_sv id = ev->v[VL_F_EVENT_ID].s;
    uint32_t h = (uint32_t)(vl_hash64(id.p, id.n, 0x6576656e74ULL) >> 32) | 1;
    for (int i = 0; i < RECENT; i++)
        if (v->recent[i] == h) return true;
    v->recent[v->pos] = h;
    v->pos = (uint8_t)((v->pos + 1) % RECENT);
    return false;
}

/* The counters an event adds by its type alone (with or without a view). */
static void count_type(const vl_event *ev, int type, delta *d) {
    switch (type) {
    case VL_ET_LIKE: d->c[C_LIKES]++; break;
    case VL_ET_DISLIKE: d->c[C_DISLIKES]++; break;
    case VL_ET_COMMENT: d->c[C_COMMENTS]++; break;
    case VL_ET_SHARE: d->c[C_SHARES]++; break;
    case VL_ET_SUBSCRIBE: d->c[C_SUBSCRIBES]++; break;
    case VL_ET_AD_IMPRESSION: d->c[C_AD_IMPR]++; break;
    case VL_ET_AD_CLICK: d->c[C_AD_CLICKS]++; break;
    case VL_ET_AD_COMPLETE: d->c[C_AD_COMPLETES]++; break;
    case VL_ET_AD_SKIP: d->c[C_AD_SKIPS]++; break;
    default: break;
    }
    if (vl_event_has(ev, VL_F_AD_REVENUE_USD)) d->s[S_AD_REV_MICROS] += llround(ev->v[VL_F_AD_REVENUE_USD].d * 1e6);
}

/* A view's event: its effect on the view and what it adds to the counters. */
static void view_event(view *v, const vl_event *ev, int64_t t, delta *d) {
    int type = (int)ev->v[VL_F_EVENT_TYPE].i;
    int64_t buf = type == VL_ET_BUFFER && vl_event_has(ev, VL_F_BUFFER_MS) ? ev->v[VL_F_BUFFER_MS].i : 0;
    if ((v->flags & V_PLAYING) && t > v->last_us) {
        int64_t w = (t - v->last_us) / 1000 - buf;
        if (w > 0) {
            d->s[S_WATCH_MS] += w;
            d->s[S_BITRATE_MS] += w * v->bitrate;
        }
    }
    if (type == VL_ET_BUFFER && v->last_type != VL_ET_SEEK && (v->flags & V_STARTED)) d->s[S_STALL_MS] += buf;
    bool fatal = type == VL_ET_ERROR && vl_event_has(ev, VL_F_ERROR_FATAL) && ev->v[VL_F_ERROR_FATAL].i;
    bool was_ended = v->flags & V_ENDED;
    switch (type) {
    case VL_ET_PLAY:
        if (!(v->flags & V_STARTED)) {
            v->flags |= V_STARTED;
            d->c[C_PLAYS]++;
            if (vl_event_has(ev, VL_F_STARTUP_MS)) d->startup = ev->v[VL_F_STARTUP_MS].i;
        }
        v->flags |= V_PLAYING;
        break;
    case VL_ET_BUFFER:
        v->flags |= V_PLAYING;
        break;
    case VL_ET_PAUSE:
    case VL_ET_AD_IMPRESSION:
        v->flags &= (uint8_t)~V_PLAYING;
        break;
    case VL_ET_STOP:
        v->flags &= (uint8_t)~V_PLAYING;
        if (!(v->flags & (V_STARTED | V_FATAL)) && !was_ended) d->c[C_EBVS]++;
        v->flags |= V_ENDED;
        break;
    default:
        break;
    }
    if (fatal) {
        v->flags &= (uint8_t)~V_PLAYING;
        if (!(v->flags & V_FATAL)) d->c[(v->flags & V_STARTED) ? C_VPF : C_VSF]++;
        v->flags |= V_ENDED | V_FATAL;
    }
    count_type(ev, type, d);
    if (vl_event_has(ev, VL_F_BITRATE_KBPS)) v->bitrate = (int32_t)ev->v[VL_F_BITRATE_KBPS].i;
    if (t >= v->last_us) {
        v->last_us = t;
        v->last_type = (uint8_t)type;
    }
}


/* Whether a view's first event is one a view begins with: its first frame
 * (a play with startup_ms), a pre-roll ad, or an end before any frame (a
 * stop or a fatal error without bitrate_kbps, which players send only once
 * frames play; position_ms is no guide: a view may resume mid-title). Any
 * other first event means the view began before the engine saw it (a
 * restart, or the lateness dropped its start): it is not counted as an
 * attempt or a play, only as playing. */
static bool opens_view(const vl_event *ev) {
    int type = (int)ev->v[VL_F_EVENT_TYPE].i;
    switch (type) {
    case VL_ET_PLAY: return vl_event_has(ev, VL_F_STARTUP_MS);
    case VL_ET_AD_IMPRESSION:
    case VL_ET_AD_CLICK:
    case VL_ET_AD_SKIP:
    case VL_ET_AD_COMPLETE:
        return vl_event_has(ev, VL_F_AD_POSITION) && ev->v[VL_F_AD_POSITION].i == VL_ADPOS_PREROLL;
    case VL_ET_STOP: return !vl_event_has(ev, VL_F_BITRATE_KBPS);
    case VL_ET_ERROR:
        return !vl_event_has(ev, VL_F_BITRATE_KBPS) && vl_event_has(ev, VL_F_ERROR_FATAL) && ev->v[VL_F_ERROR_FATAL].i;
    default: return false;
    }
}

/* Adds one event; the caller holds the lock. */
static int add_locked(vl_rt *rt, const vl_event *ev) {
    int64_t t = ev->v[VL_F_EVENT_TIME].i;
    advance(rt, t);
    if (t < rt->now_us - rt->lateness_us) {
        rt->late++;
        return VL_OK;
    }
    if (!rt->no_wall && t > rt->now_us + FUTURE_US) { /* a wrong clock: its buckets would wrap onto live ones */
        rt->future++;
        return VL_OK;
    }
    delta d;
    memset(&d, 0, sizeof(d));
    d.startup = -1;
    d.c[C_EVENTS] = 1;
    vl_sv uid = ev->v[VL_F_USER_ID].s;
    d.user = vl_hash64(uid.p, uid.n, 0x75736572ULL);
    int sl[NDIM] = {0};
    int rc = VL_OK;
    view *v = NULL;
    bool fresh = false;
    if (vl_event_has(ev, VL_F_VIEW_ID)) {
        v = view_get(rt, ev->v[VL_F_VIEW_ID].s, &fresh);
        if (!v) return VL_ENOMEM;
        if (v == &rt->overflow) v = NULL; /* untracked: counted like a session event */
    }
    if (v) {
        if (seen_before(v, ev)) {
            rt->dups++;
            return VL_OK;
        }
        if (fresh) {
            for (int k = 0; k < NDIM; k++) {
                int s = dim_slice(rt, k, ev);
                if (s < 0) return VL_ENOMEM;
                v->sl[k] = (uint16_t)s;
            }
            v->content = content_of(rt, ev);
            v->last_us = t;
            if (opens_view(ev)) {
                d.c[C_ATTEMPTS] = 1;
            } else { /* a view that began before the engine saw it: playing, not an attempt here */
                v->flags |= V_STARTED;
                /* players send heartbeats only while playing: it plays from there */
                if (ev->v[VL_F_EVENT_TYPE].i == VL_ET_HEARTBEAT) v->flags |= V_PLAYING;
                rt->joined++;
            }
        } else if (!v->content) {
            v->content = content_of(rt, ev);
        }
        if (!fresh && !(v->flags & V_ENDED) && t - v->last_us > rt->timeout_us) {
            /* quiet for longer than the timeout: it ended then (whether or not a sweep saw it) */
            if (view_time_out(rt, v) != VL_OK) return VL_ENOMEM;
        }
        for (int k = 0; k < NDIM; k++) sl[k] = v->sl[k];
        /* the user is a viewer of this minute (and hour): once per view and minute is enough */
        int32_t minute = (int32_t)floor_div(t, 60 * US);
        d.viewer = v->hll_minute != minute;
        v->hll_minute = minute;
        bool was_conc = v->flags & V_IN_CONC;
        view_event(v, ev, t, &d);
        bool now_conc = (v->flags & V_STARTED) && !(v->flags & V_ENDED);
        if (now_conc && !was_conc) {
            v->flags |= V_IN_CONC;
            d.conc = 1;
        } else if (!now_conc && was_conc) {
            v->flags &= (uint8_t)~V_IN_CONC;
            d.conc = -1;
        }
        if (v->content) {
            content *c = &rt->contents[v->content - 1];
            c->conc += d.conc;
            cslot *s = cslot_at(c, floor_div(t, 60 * US));
            if (s) {
                s->plays += d.c[C_PLAYS];
                s->attempts += d.c[C_ATTEMPTS];
                uint64_t w = (uint64_t)d.s[S_WATCH_MS] + c->watch_ms_rest;
                s->watch_s += (uint32_t)(w / 1000);
                c->watch_ms_rest = (uint32_t)(w % 1000);
            }
        }
    } else {
        if (!vl_event_has(ev, VL_F_VIEW_ID)) {
            int seen = session_seen(rt, ev);
            if (seen < 0) return VL_ENOMEM;
            if (seen) {
                rt->dups++;
                return VL_OK;
            }
        }
        for (int k = 0; k < NDIM; k++) {
            sl[k] = dim_slice(rt, k, ev);
            if (sl[k] < 0) return VL_ENOMEM;
        }
        count_type(ev, (int)ev->v[VL_F_EVENT_TYPE].i, &d);
    }
    rt->events++;
    when w = when_of(rt, t);
    rc = slice_add(rt, 0, &w, &d);
    for (int k = 0; rc == VL_OK && k < NDIM; k++)
        if (sl[k]) rc = slice_add(rt, sl[k], &w, &d);
    maybe_sweep(rt);
    return rc;
}

void vl_rt_tick(vl_rt *rt) {
    rt_lock(rt);
    if (rt->live && !rt->no_wall) {
        int64_t wall = vl_now_us();
        if (wall > rt->now_us) rt->now_us = wall;
        maybe_sweep(rt);
    }
    rt_unlock(rt);
}

int vl_rt_add(vl_rt *rt, const vl_event *ev) {
    rt_lock(rt);
    int rc = add_locked(rt, ev);
    rt_unlock(rt);
    return rc;
}

/* ----------------------------------------------------------------- queries */

/* Sums over a range of buckets, and the sketches merged over it. */
typedef struct agg {
    int64_t c[NC];
    int64_t s[NS];
    int64_t conc_after; /* concurrency change after the range's end, to now */
    double window_s;
    vl_hll hll;
    vl_qsketch q;
    bool sketches; /* hll and q were built */
} agg;

typedef enum mkind { MK_COUNT, MK_RATIO, MK_SUM_S, MK_QUANT, MK_HLL, MK_CONC, MK_PER_MIN, MK_USD, MK_BITRATE, MK_REBUF } mkind;

typedef struct metric {
    const char *name;
    mkind kind;
    int a, b; /* counter indexes (numerator, denominator) or sum index */
    double q; /* quantile */
} metric;

static const metric metrics[] = {
    {"events", MK_COUNT, C_EVENTS, 0, 0},
    {"attempts", MK_COUNT, C_ATTEMPTS, 0, 0},
    {"plays", MK_COUNT, C_PLAYS, 0, 0},
    {"vsf", MK_COUNT, C_VSF, 0, 0},
    {"vsf_rate", MK_RATIO, C_VSF, C_ATTEMPTS, 0},
    {"ebvs", MK_COUNT, C_EBVS, 0, 0},
    {"ebvs_rate", MK_RATIO, C_EBVS, C_ATTEMPTS, 0},
    {"vpf", MK_COUNT, C_VPF, 0, 0},
    {"vpf_rate", MK_RATIO, C_VPF, C_PLAYS, 0},
    {"startup_ms_p50", MK_QUANT, 0, 0, 0.5},
    {"startup_ms_p90", MK_QUANT, 0, 0, 0.9},
    {"startup_ms_p99", MK_QUANT, 0, 0, 0.99},
    {"watch_time_s", MK_SUM_S, S_WATCH_MS, 0, 0},
    {"stall_time_s", MK_SUM_S, S_STALL_MS, 0, 0},
    {"rebuffering_ratio", MK_REBUF, 0, 0, 0},
    {"avg_bitrate_kbps", MK_BITRATE, 0, 0, 0},
    {"concurrent_plays", MK_CONC, 0, 0, 0},
    {"unique_viewers", MK_HLL, 0, 0, 0},
    {"plays_per_min", MK_PER_MIN, C_PLAYS, 0, 0},
    {"likes", MK_COUNT, C_LIKES, 0, 0},
    {"dislikes", MK_COUNT, C_DISLIKES, 0, 0},
    {"comments", MK_COUNT, C_COMMENTS, 0, 0},
    {"shares", MK_COUNT, C_SHARES, 0, 0},
    {"subscribes", MK_COUNT, C_SUBSCRIBES, 0, 0},
    {"ad_impressions", MK_COUNT, C_AD_IMPR, 0, 0},
    {"ad_clicks", MK_COUNT, C_AD_CLICKS, 0, 0},
    {"ad_ctr", MK_RATIO, C_AD_CLICKS, C_AD_IMPR, 0},
    {"ad_completes", MK_COUNT, C_AD_COMPLETES, 0, 0},
    {"ad_completion_rate", MK_RATIO, C_AD_COMPLETES, C_AD_IMPR, 0},
    {"ad_skips", MK_COUNT, C_AD_SKIPS, 0, 0},
    {"ad_skip_rate", MK_RATIO, C_AD_SKIPS, C_AD_IMPR, 0},
    {"ad_revenue_usd", MK_USD, S_AD_REV_MICROS, 0, 0},
    {"ad_revenue_per_min", MK_PER_MIN, -1, 0, 0},
};
#define N_METRICS (sizeof(metrics) / sizeof(metrics[0]))

const char *vl_rt_metric_name(size_t i) { return i < N_METRICS ? metrics[i].name : NULL; }

static const metric *metric_find(const char *name) {
    for (size_t i = 0; i < N_METRICS; i++)
        if (strcmp(metrics[i].name, name) == 0) return &metrics[i];
    return NULL;
}

static double ratio(int64_t a, int64_t b) { return b > 0 ? (double)a / (double)b : NAN; }

static double metric_value(const metric *m, const agg *a, int64_t conc_now) {
    switch (m->kind) {
    case MK_COUNT: return (double)a->c[m->a];
    case MK_RATIO: return ratio(a->c[m->a], a->c[m->b]);
    case MK_SUM_S: return (double)a->s[m->a] / 1e3;
    case MK_USD: return (double)a->s[m->a] / 1e6;
    case MK_QUANT: return a->sketches && vl_qsketch_count(&a->q) ? vl_qsketch_quantile(&a->q, m->q) : NAN;
    case MK_HLL: return a->sketches ? (double)vl_hll_estimate(&a->hll) : NAN;
    case MK_CONC: return (double)(conc_now - a->conc_after);
    case MK_PER_MIN:
        return a->window_s > 0 ? (m->a < 0 ? (double)a->s[S_AD_REV_MICROS] / 1e6 : (double)a->c[m->a]) /
                                     (a->window_s / 60.0)
                               : NAN;
    case MK_BITRATE: return ratio(a->s[S_BITRATE_MS], a->s[S_WATCH_MS]);
    case MK_REBUF: return ratio(a->s[S_STALL_MS], a->s[S_WATCH_MS] + a->s[S_STALL_MS]);
    }
    return NAN;
}

/* Resolves a filter to a slice index (0: none). */
static int filter_slice(vl_rt *rt, const vl_rt_filter *f, vl_error *err) {
    if (!f || !f->dim) return 0;
    for (int d = 0; d < NDIM; d++) {
        if (strcmp(f->dim, dim_names[d]) != 0) continue;
        const char *v = f->value ? f->value : "";
        for (int k = 0; k < rt->n_dim_vals[d]; k++)
            if (strcmp(rt->dim_vals[d][k], v) == 0) return 1 + d * SLOTS_PER_DIM + k;
        if (strcmp(v, "(other)") == 0 && rt->slices[1 + d * SLOTS_PER_DIM + DIM_VALUES].used)
            return 1 + d * SLOTS_PER_DIM + DIM_VALUES;
        return -1; /* a value not seen (yet): every metric is empty */
    }
    return vl_error_set(err, VL_EINVAL, "unknown dimension '%.64s': filter by device_type, country, cdn or os",
                        f->dim),
           -2;
}

/* Sums slice s over [from, to) seconds (the buckets of the range must be
 * within the per-second retention when per_sec, else whole minutes), and
 * when sketches is set merges the sketches of the minutes (hours) touching
 * it. conc_after adds up the concurrency changes from `to` to now. */
static int aggregate(vl_rt *rt, const slice *s, int64_t from, int64_t to, bool sketches, bool conc, agg *a,
                     vl_error *err) {
    int64_t now_s = floor_div(rt->now_us, US), now_m = floor_div(now_s, 60);
    int64_t first_s = now_s + 1 - rt->retention_s, first_m = now_m + 1 - rt->min_slots;
    bool per_sec = from >= first_s;
    a->window_s = (double)(to - from);
    if (!s || !s->used) return VL_OK;
    /* every loop stays within its ring: older or future buckets are empty */
    if (per_sec) {
        for (int64_t t = from; t < to && t <= now_s; t++) {
            const cnt *b = &s->sec[((t % rt->retention_s) + rt->retention_s) % rt->retention_s];
            if (b->stamp != t) continue;
            for (int i = 0; i < NC; i++) a->c[i] += b->c[i];
            for (int i = 0; i < NS; i++) a->s[i] += b->s[i];
        }
        for (int64_t t = to > first_s ? to : first_s; conc && t <= now_s; t++) {
            const cnt *b = &s->sec[((t % rt->retention_s) + rt->retention_s) % rt->retention_s];
            if (b->stamp == t) a->conc_after += b->conc;
        }
    } else {
        int64_t fm = floor_div(from, 60), tm = floor_div(to + 59, 60);
        for (int64_t m = fm > first_m ? fm : first_m; m < tm && m <= now_m; m++) {
            const cnt *b = &s->min[((m % rt->min_slots) + rt->min_slots) % rt->min_slots];
            if (b->stamp != m) continue;
            for (int i = 0; i < NC; i++) a->c[i] += b->c[i];
            for (int i = 0; i < NS; i++) a->s[i] += b->s[i];
        }
        for (int64_t m = tm > first_m ? tm : first_m; conc && m <= now_m; m++) {
            const cnt *b = &s->min[((m % rt->min_slots) + rt->min_slots) % rt->min_slots];
            if (b->stamp == m) a->conc_after += b->conc;
        }
    }
    if (!sketches) return VL_OK;
    int64_t fm = floor_div(from, 60), tm = floor_div(to + 59, 60);
    const skslot *ring = s->msk;
    int64_t n = MSK_SLOTS, lo = fm, hi = tm, newest = now_m;
    if (now_m - fm >= MSK_SLOTS) { /* beyond the per-minute sketches: hours */
        ring = s->hsk;
        n = rt->hsk_slots;
        lo = floor_div(from, 3600);
        hi = floor_div(to + 3599, 3600);
        newest = floor_div(now_s, 3600);
    }
    if (lo < newest + 1 - n) lo = newest + 1 - n;
    for (int64_t k = lo; k < hi && k <= newest; k++) {
        const skslot *b = &ring[((k % n) + n) % n];
        if (b->stamp != k) continue;
        if (vl_hll_merge(&a->hll, &b->hll, err) != VL_OK || vl_qsketch_merge(&a->q, &b->q, err) != VL_OK)
            return err ? err->code : VL_ENOMEM;
    }
    return VL_OK;
}

static int agg_init(agg *a, bool sketches, vl_error *err) {
    memset(a, 0, sizeof(*a));
    if (!sketches) return VL_OK;
    VL_RETURN_IF_ERR(vl_hll_init(&a->hll, HLL_P, err));
    int rc = vl_qsketch_init(&a->q, 0, err);
    if (rc) {
        vl_hll_free(&a->hll);
        return rc;
    }
    a->sketches = true;
    return VL_OK;
}

static void agg_free(agg *a) {
    if (!a->sketches) return;
    vl_hll_free(&a->hll);
    vl_qsketch_free(&a->q);
}

static int check_window(const vl_rt *rt, int64_t w, const char *what, vl_error *err) {
    if (w < US || w > rt->max_window_us)
        return vl_error_set(err, VL_EINVAL, "%s: %.3f s is outside 1 s .. %.0f h", what, (double)w / US,
                            (double)rt->max_window_us / (3600 * US));
    return VL_OK;
}

static int put_num(vl_buf *b, double v) {
    if (isnan(v) || isinf(v)) return vl_buf_puts(b, "null");
    if (v == floor(v) && fabs(v) < 9e15) return vl_buf_printf(b, "%lld", (long long)v);
    return vl_buf_printf(b, "%.10g", v);
}

static int put_time(vl_buf *b, const char *key, int64_t us) {
    if (us == INT64_MIN) return vl_buf_printf(b, "\"%s\":null", key);
    char ts[48];
    ts[vl_ts_format(ts, us)] = 0;
    return vl_buf_printf(b, "\"%s\":\"%s\"", key, ts);
}

static int put_filter(vl_buf *b, const vl_rt_filter *f) {
    VL_RETURN_IF_ERR(vl_buf_puts(b, "\"filter\":"));
    if (!f || !f->dim) return vl_buf_puts(b, "null");
    VL_RETURN_IF_ERR(vl_buf_putc(b, '{'));
    VL_RETURN_IF_ERR(vl_buf_json_str(b, f->dim, strlen(f->dim)));
    VL_RETURN_IF_ERR(vl_buf_putc(b, ':'));
    const char *v = f->value ? f->value : "";
    VL_RETURN_IF_ERR(vl_buf_json_str(b, v, strlen(v)));
    return vl_buf_putc(b, '}');
}

/* The window [from, to) in seconds ending with the current second. */
static void window_secs(const vl_rt *rt, int64_t window_us, int64_t *from, int64_t *to) {
    int64_t now_s = rt->now_us == INT64_MIN ? floor_div(vl_now_us(), US) : floor_div(rt->now_us, US);
    *to = now_s + 1;
    *from = *to - (window_us + US - 1) / US;
}

static int summary_locked(vl_rt *rt, int64_t window_us, const vl_rt_filter *f, vl_buf *out, vl_error *err) {
    VL_RETURN_IF_ERR(check_window(rt, window_us, "window", err));
    int si = filter_slice(rt, f, err);
    if (si == -2) return VL_EINVAL;
    const slice *s = si >= 0 ? &rt->slices[si] : NULL;
    int64_t from, to;
    window_secs(rt, window_us, &from, &to);
    agg a;
    VL_RETURN_IF_ERR(agg_init(&a, true, err));
    int rc = rt->now_us == INT64_MIN ? VL_OK : aggregate(rt, s, from, to, true, false, &a, err);
    int64_t conc = s && s->used ? s->conc : 0;
    if (rc == VL_OK) {
        rc = vl_buf_printf(out, "{\"window_s\":%lld,", (long long)(to - from));
        if (!rc) rc = put_time(out, "from", from * US);
        if (!rc) rc = vl_buf_putc(out, ',');
        if (!rc) rc = put_time(out, "to", to * US);
        if (!rc) rc = vl_buf_putc(out, ',');
        if (!rc) rc = put_time(out, "now", rt->now_us);
        if (!rc) rc = vl_buf_putc(out, ',');
        if (!rc) rc = put_time(out, "watermark", rt->now_us == INT64_MIN ? INT64_MIN : rt->now_us - rt->lateness_us);
        if (!rc) rc = vl_buf_putc(out, ',');
        if (!rc) rc = put_filter(out, f);
        if (!rc) rc = vl_buf_puts(out, ",\"metrics\":{");
        for (size_t i = 0; !rc && i < N_METRICS; i++) {
            rc = vl_buf_printf(out, "%s\"%s\":", i ? "," : "", metrics[i].name);
            if (!rc) rc = put_num(out, metric_value(&metrics[i], &a, conc));
        }
        if (!rc) rc = vl_buf_printf(out, "},\"late_events\":%lld}", (long long)rt->late);
        if (rc) rc = vl_error_set(err, VL_ENOMEM, "out of memory");
    }
    agg_free(&a);
    return rc;
}

int vl_rt_summary_json(vl_rt *rt, int64_t window_us, const vl_rt_filter *f, vl_buf *out, vl_error *err) {
    rt_lock(rt);
    int rc = summary_locked(rt, window_us, f, out, err);
    rt_unlock(rt);
    return rc;
}

int vl_rt_value(vl_rt *rt, const char *name, int64_t window_us, const vl_rt_filter *f, double *out, vl_error *err) {
    *out = NAN;
    const metric *m = metric_find(name);
    if (!m) return vl_error_set(err, VL_EINVAL, "unknown metric '%.64s'", name);
    VL_RETURN_IF_ERR(check_window(rt, window_us, "window", err));
    rt_lock(rt);
    int si = filter_slice(rt, f, err), rc = VL_OK;
    if (si == -2) {
        rt_unlock(rt);
        return VL_EINVAL;
    }
    const slice *s = si >= 0 ? &rt->slices[si] : NULL;
    bool sk = m->kind == MK_QUANT || m->kind == MK_HLL;
    agg a;
    rc = agg_init(&a, sk, err);
    if (rc == VL_OK) {
        int64_t from, to;
        window_secs(rt, window_us, &from, &to);
        if (rt->now_us != INT64_MIN) rc = aggregate(rt, s, from, to, sk, m->kind == MK_CONC, &a, err);
        if (rc == VL_OK) *out = metric_value(m, &a, s && s->used ? s->conc : 0);
        agg_free(&a);
    }
    rt_unlock(rt);
    return rc;
}

static int timeseries_locked(vl_rt *rt, const metric *m, int64_t window_us, int64_t step_us, const vl_rt_filter *f,
                             vl_buf *out, vl_error *err) {
    VL_RETURN_IF_ERR(check_window(rt, window_us, "window", err));
    int64_t w = (window_us + US - 1) / US;
    int64_t step = step_us ? (step_us + US - 1) / US : (w + 59) / 60;
    if (step < 1) step = 1;
    if (step_us && (step_us < US || step_us % US))
        return vl_error_set(err, VL_EINVAL, "step: a whole number of seconds, at least 1 s");
    if (step > w) return vl_error_set(err, VL_EINVAL, "step: at most the window (%lld s)", (long long)w);
    bool sk = m->kind == MK_QUANT || m->kind == MK_HLL;
    /* the first step, aligned, must start within the per-second retention,
     * or steps are whole minutes */
    bool per_sec = w + step <= rt->retention_s;
    if ((sk || !per_sec) && step % 60) {
        if (step_us)
            return vl_error_set(err, VL_EINVAL, "step: %s needs a multiple of 60 s (%s)", m->name,
                                sk ? "its sketches are kept per minute" : "the window is beyond the per-second retention");
        step = (step + 59) / 60 * 60;
    }
    if (sk && w > MSK_SLOTS * 60 && step % 3600) {
        if (step_us) return vl_error_set(err, VL_EINVAL, "step: %s over more than an hour needs a multiple of 1 h", m->name);
        step = (step + 3599) / 3600 * 3600;
    }
    int64_t n = (w + step - 1) / step;
    if (n > 1440) return vl_error_set(err, VL_EINVAL, "window / step is %lld points, more than 1440", (long long)n);
    int si = filter_slice(rt, f, err);
    if (si == -2) return VL_EINVAL;
    const slice *s = si >= 0 ? &rt->slices[si] : NULL;
    int64_t to, from;
    window_secs(rt, window_us, &from, &to);
    /* steps start on multiples of the step (whole minutes, hours when the
     * step is), so that series fetched a moment apart line up; the last
     * step ends in the future: it is partial */
    to = floor_div(to + step - 1, step) * step;
    int64_t conc = s && s->used ? s->conc : 0;
    if (vl_buf_printf(out, "{\"metric\":\"%s\",\"window_s\":%lld,\"step_s\":%lld,", m->name, (long long)(n * step),
                      (long long)step) != VL_OK ||
        put_filter(out, f) != VL_OK)
        return vl_error_set(err, VL_ENOMEM, "out of memory");
    vl_buf v;
    vl_buf_init(&v);
    int rc = vl_buf_puts(out, ",\"t\":[");
    if (!rc) rc = vl_buf_putc(&v, '[');
    for (int64_t i = 0; !rc && i < n; i++) {
        int64_t a0 = to - (n - i) * step, a1 = a0 + step;
        agg a;
        rc = agg_init(&a, sk, err);
        if (rc) break;
        if (rt->now_us != INT64_MIN) rc = aggregate(rt, s, a0, a1, sk, m->kind == MK_CONC, &a, err);
        if (!rc) rc = vl_buf_printf(out, "%s%lld", i ? "," : "", (long long)a0);
        if (!rc && i) rc = vl_buf_putc(&v, ',');
        if (!rc) rc = put_num(&v, metric_value(m, &a, conc));
        agg_free(&a);
    }
    if (!rc) rc = vl_buf_puts(out, "],\"v\":");
    if (!rc) rc = vl_buf_append(out, v.p, v.n);
    if (!rc) rc = vl_buf_puts(out, "]}");
    vl_buf_free(&v);
    if (rc && (!err || !err->code || rc == VL_ENOMEM)) rc = vl_error_set(err, VL_ENOMEM, "out of memory");
    return rc;
}

int vl_rt_timeseries_json(vl_rt *rt, const char *metric_name, int64_t window_us, int64_t step_us,
                          const vl_rt_filter *f, vl_buf *out, vl_error *err) {
    const metric *m = metric_name ? metric_find(metric_name) : NULL;
    if (!m)
        return vl_error_set(err, VL_EINVAL, "metric: '%.64s' is not one of the summary's metrics (plays, attempts, ...)",
                            metric_name ? metric_name : "");
    rt_lock(rt);
    int rc = timeseries_locked(rt, m, window_us, step_us, f, out, err);
    rt_unlock(rt);
    return rc;
}

typedef struct top_item {
    const char *key;
    double value;
} top_item;

static int top_cmp(const void *a, const void *b) {
    const top_item *x = a, *y = b;
    if (x->value != y->value) return x->value < y->value ? 1 : -1;
    return strcmp(x->key, y->key);
}

/* Keeps the k best items seen in a min-heap (worst at the root): O(n log k)
 * over all contents instead of sorting them all. */
static void heap_sift(top_item *h, size_t n, size_t i) {
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && top_cmp(&h[l], &h[m]) > 0) m = l;
        if (r < n && top_cmp(&h[r], &h[m]) > 0) m = r;
        if (m == i) return;
        top_item t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

static void heap_offer(top_item *h, size_t *n, size_t k, top_item it) {
    if (*n < k) { /* sift up */
        size_t i = (*n)++;
        h[i] = it;
        while (i && top_cmp(&h[(i - 1) / 2], &h[i]) < 0) {
            top_item t = h[i];
            h[i] = h[(i - 1) / 2];
            h[(i - 1) / 2] = t;
            i = (i - 1) / 2;
        }
    } else if (top_cmp(&it, &h[0]) < 0) { /* better than the worst kept */
        h[0] = it;
        heap_sift(h, *n, 0);
    }
}

static int top_locked(vl_rt *rt, const char *dim, const char *mname, int k, int64_t window_us, vl_buf *out,
                      vl_error *err) {
    VL_RETURN_IF_ERR(check_window(rt, window_us, "window", err));
    if (k < 1 || k > 100) return vl_error_set(err, VL_EINVAL, "k: %d is outside 1 .. 100", k);
    int64_t from, to;
    window_secs(rt, window_us, &from, &to);
    top_item *items = NULL;
    size_t n = 0;
    int rc = VL_OK;
    if (strcmp(dim, "content_id") == 0) {
        bool conc = strcmp(mname, "concurrent_plays") == 0, plays = strcmp(mname, "plays") == 0,
             att = strcmp(mname, "attempts") == 0, watch = strcmp(mname, "watch_time_s") == 0;
        if (!conc && !plays && !att && !watch)
            return vl_error_set(err, VL_EINVAL,
                                "metric: content_id ranks by plays, attempts, concurrent_plays or watch_time_s");
        if (!conc && to - from > CONTENT_SLOTS * 60 - 60)
            return vl_error_set(err, VL_EINVAL, "window: content_id ranks over at most %d minutes", CONTENT_SLOTS - 1);
        items = vl_calloc((size_t)k, sizeof(*items));
        if (!items) return vl_error_set(err, VL_ENOMEM, "out of memory");
        int64_t fm = floor_div(from, 60), tm = floor_div(to + 59, 60);
        for (size_t i = 0; i < rt->cn; i++) {
            const content *c = &rt->contents[i];
            if ((conc ? c->conc <= 0 : c->last_minute < fm)) continue;
            double v = 0;
            if (conc) v = (double)c->conc;
            else
                for (int j = 0; j < CONTENT_SLOTS; j++) {
                    const cslot *sl = &c->slot[j];
                    if (!sl->minute || sl->minute < fm || sl->minute >= tm) continue;
                    v += plays ? sl->plays : att ? sl->attempts : sl->watch_s;
                }
            if (v > 0) heap_offer(items, &n, (size_t)k, (top_item){c->id, v});
        }
    } else {
        int d;
        for (d = 0; d < NDIM; d++)
            if (strcmp(dim, dim_names[d]) == 0) break;
        if (d == NDIM)
            return vl_error_set(err, VL_EINVAL, "dim: '%.64s' is not content_id, device_type, country, cdn or os", dim);
        const metric *m = metric_find(mname);
        if (!m) return vl_error_set(err, VL_EINVAL, "metric: '%.64s' is not one of the summary's metrics", mname);
        bool sk = m->kind == MK_QUANT || m->kind == MK_HLL;
        items = vl_calloc(SLOTS_PER_DIM, sizeof(*items));
        if (!items) return vl_error_set(err, VL_ENOMEM, "out of memory");
        for (int j = 0; rc == VL_OK && j < SLOTS_PER_DIM; j++) {
            const slice *s = &rt->slices[1 + d * SLOTS_PER_DIM + j];
            if (!s->used) continue;
            agg a;
            rc = agg_init(&a, sk, err);
            if (rc) break;
            if (rt->now_us != INT64_MIN) rc = aggregate(rt, s, from, to, sk, false, &a, err);
            double v = metric_value(m, &a, s->conc);
            agg_free(&a);
            if (!isnan(v)) items[n++] = (top_item){s->name, v};
        }
    }
    if (rc == VL_OK) {
        qsort(items, n, sizeof(*items), top_cmp);
        rc = vl_buf_printf(out, "{\"dim\":\"%s\",\"metric\":\"%s\",\"window_s\":%lld,\"items\":[", dim, mname,
                           (long long)(to - from));
        for (size_t i = 0; !rc && i < n && i < (size_t)k; i++) {
            rc = vl_buf_puts(out, i ? ",{\"key\":" : "{\"key\":");
            if (!rc) rc = vl_buf_json_str(out, items[i].key, strlen(items[i].key));
            if (!rc) rc = vl_buf_puts(out, ",\"value\":");
            if (!rc) rc = put_num(out, items[i].value);
            if (!rc) rc = vl_buf_putc(out, '}');
        }
        if (!rc) rc = vl_buf_puts(out, "]}");
        if (rc) rc = vl_error_set(err, VL_ENOMEM, "out of memory");
    }
    vl_free(items);
    return rc;
}

int vl_rt_top_json(vl_rt *rt, const char *dim, const char *metric_name, int k, int64_t window_us, vl_buf *out,
                   vl_error *err) {
    if (!dim || !metric_name) return vl_error_set(err, VL_EINVAL, "dim and metric are required");
    rt_lock(rt);
    int rc = top_locked(rt, dim, metric_name, k, window_us, out, err);
    rt_unlock(rt);
    return rc;
}

void vl_rt_get_stats(vl_rt *rt, vl_rt_stats *st) {
    memset(st, 0, sizeof(*st));
    const char *names[4] = {"concurrent_plays", "plays_per_min", "rebuffering_ratio", "vsf_rate"};
    double *vals[4] = {&st->concurrent_plays, &st->plays_per_min, &st->rebuffering_ratio, &st->vsf_rate};
    for (int i = 0; i < 4; i++)
        if (vl_rt_value(rt, names[i], 60 * US, NULL, vals[i], NULL) != VL_OK) *vals[i] = NAN;
    rt_lock(rt);
    st->events = rt->events;
    st->late_events = rt->late;
    st->duplicates = rt->dups;
    st->views_tracked = (int64_t)rt->vn;
    st->views_timed_out = rt->timed_out;
    st->views_joined = rt->joined;
    st->future_events = rt->future;
    st->views_dropped = rt->views_dropped;
    st->contents_tracked = (int64_t)rt->cn;
    st->now_us = rt->now_us == INT64_MIN ? 0 : rt->now_us;
    st->watermark_us = rt->now_us == INT64_MIN ? 0 : rt->now_us - rt->lateness_us;
    st->memory_bytes = rt->mem;
    rt_unlock(rt);
}

int vl_rt_stats_json(vl_rt *rt, vl_buf *out) {
    vl_rt_stats st;
    vl_rt_get_stats(rt, &st);
    VL_RETURN_IF_ERR(vl_buf_printf(out,
                                   "{\"events\":%lld,\"late_events\":%lld,\"duplicates\":%lld,\"views_tracked\":%lld,"
                                   "\"views_timed_out\":%lld,\"views_joined\":%lld,\"contents_tracked\":%lld,"
                                   "\"future_events\":%lld,\"views_dropped\":%lld,",
                                   (long long)st.events, (long long)st.late_events, (long long)st.duplicates,
                                   (long long)st.views_tracked, (long long)st.views_timed_out,
                                   (long long)st.views_joined, (long long)st.contents_tracked,
                                   (long long)st.future_events, (long long)st.views_dropped));
    VL_RETURN_IF_ERR(put_time(out, "now", st.now_us ? st.now_us : INT64_MIN));
    VL_RETURN_IF_ERR(vl_buf_putc(out, ','));
    VL_RETURN_IF_ERR(put_time(out, "watermark", st.now_us ? st.watermark_us : INT64_MIN));
    return vl_buf_printf(out, ",\"memory_bytes\":%lld}", (long long)st.memory_bytes);
}
