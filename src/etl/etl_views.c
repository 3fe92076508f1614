/* vidlake - Apache-2.0 */
/*
 * etl_views: silver/events -> silver/views, one row per view.
 *
 * A view belongs to the date of its first event (view_date). Its events can
 * run past midnight, so the views of date D are computed from the events
 * of D and D+1, and new events on date E make the views of E and E-1, and
 * of the views they continue, be computed again. For each such date the events with a view_id are read
 * (20 columns) on every core, with those of D+1 (and the days after, while
 * there are some) that belong to D's views
 * and less the views that have events on D-1, sorted by (view_id,
 * event_time) (stably: events of one instant keep their arrival order),
 * and folded
 * view by view with the definitions the real-time engine uses
 * (docs/metrics.md):
 *  - watch time: while playing (from a play, or a buffer, to the next
 *    pause, ad, stop or fatal error), the time between consecutive events,
 *    less a buffer event's stall; time-weighted bitrate over it;
 *  - pause time: from a pause to the next event;
 *  - stalls: buffer events after the first frame, those right after a seek
 *    apart (seek stalls);
 *  - outcome: a fatal error before the first frame is a start failure
 *    (vsf), after it a playback failure (vpf); a stop before the first
 *    frame an exit before video start (ebvs); a stop after it completed
 *    (furthest position >= 90% of the duration) or exited; no stop or fatal
 *    error yet: in_progress;
 *  - ads: impressions, completes, skips, clicks, revenue summed exactly in
 *    micro-dollars.
 * The date's old files are removed and the new rows added in the job's one
 * commit.
 */
#include "etl_int.h"
#include "event/event.h"

#include <math.h>
#include <stdlib.h>

enum {
    E_VIEW, E_TIME, E_TYPE, E_USER, E_SESSION, E_CONTENT, E_CTYPE, E_DTYPE, E_OS, E_COUNTRY, E_CDN,
    E_TIER, E_POS, E_DUR, E_STARTUP, E_BITRATE, E_BUFFER, E_FATAL, E_ADPOS, E_REV, N_E
};
static const char *const ECOLS[N_E] = {
    "view_id",     "event_time", "event_type", "user_id",      "session_id",  "content_id",
    "content_type", "device_type", "os",      "country",    "cdn",          "subscription_tier", "position_ms",
    "duration_ms", "startup_ms", "bitrate_kbps", "buffer_ms", "error_fatal", "ad_position", "ad_revenue_usd"};

enum {
    V_VIEW, V_DATE, V_ATTEMPT, V_LAST, V_USER, V_SESSION, V_CONTENT, V_CTYPE, V_DTYPE, V_OS, V_COUNTRY, V_CDN,
    V_TIER, V_STARTED, V_STARTUP, V_WATCH, V_PAUSE, V_STALL, V_STALLS, V_SEEK_STALL, V_BITRATE, V_FURTHEST,
    V_DURATION, V_RATIO, V_COMPLETED, V_OUTCOME, V_AD_IMPR, V_AD_COMP, V_AD_SKIP, V_AD_CLICK, V_AD_REV, V_EVENTS,
    N_V
};
static const char *const VCOLS[N_V] = {
    "view_id",       "view_date",      "attempt_time",   "last_event_time", "user_id",      "session_id",
    "content_id",    "content_type",   "device_type",    "os",              "country",      "cdn",
    "subscription_tier", "started",    "startup_ms",     "watch_ms",        "pause_ms",     "stall_ms",
    "stall_count",   "seek_stall_ms",  "avg_bitrate_kbps", "furthest_ms",   "duration_ms",  "completion_ratio",
    "completed",     "outcome",        "ad_impressions", "ad_completes",    "ad_skips",     "ad_clicks",
    "ad_revenue_usd", "events"};
static const vl_dt_kind VKINDS[N_V] = {
    VL_DT_STRING,  VL_DT_DATE,    VL_DT_TIMESTAMP, VL_DT_TIMESTAMP, VL_DT_STRING,  VL_DT_STRING, VL_DT_STRING,
    VL_DT_STRING,  VL_DT_STRING,  VL_DT_STRING,    VL_DT_STRING,    VL_DT_STRING,  VL_DT_STRING, VL_DT_BOOLEAN,
    VL_DT_INTEGER, VL_DT_LONG,    VL_DT_LONG,      VL_DT_LONG,      VL_DT_INTEGER, VL_DT_LONG,   VL_DT_DOUBLE,
    VL_DT_LONG,    VL_DT_LONG,    VL_DT_DOUBLE,    VL_DT_BOOLEAN,   VL_DT_STRING,  VL_DT_INTEGER, VL_DT_INTEGER,
    VL_DT_INTEGER, VL_DT_INTEGER, VL_DT_DOUBLE,    VL_DT_INTEGER};
static const char VIEWS_DDL[] =
    "view_id string not null, view_date date, attempt_time timestamp, last_event_time timestamp, "
    "user_id string, session_id string, content_id string, content_type string, device_type string, os string, "
    "country string, cdn string, subscription_tier string, started boolean, startup_ms int, watch_ms long, "
    "pause_ms long, stall_ms long, stall_count int, seek_stall_ms long, avg_bitrate_kbps double, "
    "furthest_ms long, duration_ms long, completion_ratio double, completed boolean, outcome string, "
    "ad_impressions int, ad_completes int, ad_skips int, ad_clicks int, ad_revenue_usd double, events int";

/* ------------------------------------------------------------------- fold */

typedef struct vstate {
    bool started, playing, paused, ended, fatal;
    int64_t last_us, bitrate;
    int last_type;   /* of the latest event so far */
    int before_type; /* of the latest event strictly before the current one's time */
    /* the interval that ended at last_us: its length if playing (ms), the
     * bitrate it was credited at, and the stall deducted from it so far */
    int64_t iv_ms, iv_bitrate, iv_buf;
    int64_t qc_us; /* time of the latest quality_change: its bitrate holds for that instant */
    int64_t watch, pause, stall, stalls, seek_stall, br_ms, furthest, duration, rev_micros;
    int64_t startup;
    int64_t ad[4]; /* impressions, completes, skips, clicks */
} vstate;

static int type_of(vl_sv s) {
    for (int i = 0; i < VL_ET_COUNT; i++)
        if (vl_sv_eq_cstr(s, vl_event_type_names[i])) return i;
    return -1;
}

static bool has(const vl_x_vec *v, size_t r) { return !v->valid || v->valid[r]; }

static void fold_event(vstate *st, const vl_x_table *ev, size_t r) {
    const vl_x_vec *c = ev->vecs;
    int type = has(&c[E_TYPE], r) ? type_of(c[E_TYPE].v.str[r]) : -1;
    int64_t t = c[E_TIME].v.i64[r];
    int64_t buf = type == VL_ET_BUFFER && has(&c[E_BUFFER], r) ? c[E_BUFFER].v.i64[r] : 0;
    /* events of the same microsecond come in no particular order: a stall
     * follows a seek when the seek came before the stall's time */
    if (t > st->last_us) {
        st->before_type = st->last_type;
        st->iv_ms = st->playing && st->last_us != INT64_MIN ? (t - st->last_us) / 1000 : 0;
        st->iv_bitrate = st->bitrate;
        st->iv_buf = 0;
        st->watch += st->iv_ms;
        st->br_ms += st->iv_ms * st->iv_bitrate;
    }
    if (buf > 0 && st->iv_ms > 0) { /* the stall was not watch time, whatever came at the same instant */
        int64_t before = st->iv_ms - st->iv_buf > 0 ? st->iv_ms - st->iv_buf : 0;
        st->iv_buf += buf;
        int64_t after = st->iv_ms - st->iv_buf > 0 ? st->iv_ms - st->iv_buf : 0;
        st->watch -= before - after;
        st->br_ms -= (before - after) * st->iv_bitrate;
    }
    if (st->paused && t > st->last_us) st->pause += (t - st->last_us) / 1000;
    if (type == VL_ET_BUFFER && st->started) {
        if (st->before_type == VL_ET_SEEK) st->seek_stall += buf;
        else {
            st->stall += buf;
            st->stalls++;
        }
    }
    bool fatal = type == VL_ET_ERROR && has(&c[E_FATAL], r) && c[E_FATAL].v.i64[r];
    switch (type) {
    case VL_ET_PLAY:
        if (!st->started) {
            st->started = true;
            st->startup = has(&c[E_STARTUP], r) ? c[E_STARTUP].v.i64[r] : -1;
        }
        st->playing = true;
        st->paused = false;
        break;
    case VL_ET_BUFFER:
        st->playing = true;
        st->paused = false;
        break;
    case VL_ET_PAUSE:
        st->playing = false;
        st->paused = true;
        break;
    case VL_ET_AD_IMPRESSION:
        st->playing = false;
        st->ad[0]++;
        break;
    case VL_ET_AD_COMPLETE: st->ad[1]++; break;
    case VL_ET_AD_SKIP: st->ad[2]++; break;
    case VL_ET_AD_CLICK: st->ad[3]++; break;
    case VL_ET_STOP:
        st->playing = st->paused = false;
        st->ended = true;
        break;
    default:
        break;
    }
    if (fatal) {
        st->playing = st->paused = false;
        st->ended = st->fatal = true;
    }
    if (has(&c[E_REV], r)) st->rev_micros += llround(c[E_REV].v.f64[r] * 1e6);
    /* the bitrate from now on: a quality_change's, or another event's unless
     * a quality_change of the same instant set it (events of one instant may
     * arrive in any order: a late play still reports the old bitrate) */
    if (has(&c[E_BITRATE], r)) {
        if (type == VL_ET_QUALITY_CHANGE) {
            st->bitrate = c[E_BITRATE].v.i64[r];
            st->qc_us = t;
        } else if (st->qc_us != t) {
            st->bitrate = c[E_BITRATE].v.i64[r];
        }
    }
    if (has(&c[E_POS], r) && c[E_POS].v.i64[r] > st->furthest) st->furthest = c[E_POS].v.i64[r];
    if (has(&c[E_DUR], r) && c[E_DUR].v.i64[r] > st->duration) st->duration = c[E_DUR].v.i64[r];
    if (t >= st->last_us) {
        st->last_us = t;
        st->last_type = type;
    }
}

/* Folds the sorted events [from, to) of one view into a row of out (when
 * its first event is on one of the dates). */
static int fold_view(const vl_x_table *ev, size_t from, size_t to, vl_x_table *out, size_t *rows) {
    vstate st = {.last_us = INT64_MIN, .last_type = -1, .before_type = -1, .qc_us = INT64_MIN};
    for (size_t r = from; r < to; r++) fold_event(&st, ev, r);
    VL_RETURN_IF_ERR(vl_x_table_row_add(out));
    size_t o = out->n - 1;
    const vl_x_vec *c = ev->vecs;
    int64_t first = c[E_TIME].v.i64[from];
    VL_RETURN_IF_ERR(vl_x_table_put(out, V_VIEW, o, &c[E_VIEW], from));
    vl_x_table_set_i64(out, V_DATE, o, vl_ts_day(first));
    vl_x_table_set_i64(out, V_ATTEMPT, o, first);
    vl_x_table_set_i64(out, V_LAST, o, st.last_us);
    static const int dims[][2] = {{V_USER, E_USER},     {V_SESSION, E_SESSION}, {V_CONTENT, E_CONTENT},
                                  {V_CTYPE, E_CTYPE},   {V_DTYPE, E_DTYPE},     {V_OS, E_OS},
                                  {V_COUNTRY, E_COUNTRY}, {V_CDN, E_CDN},       {V_TIER, E_TIER}};
    for (size_t k = 0; k < sizeof(dims) / sizeof(dims[0]); k++) {
        /* the first event of the view that has it */
        for (size_t r = from; r < to; r++)
            if (has(&c[dims[k][1]], r)) {
                VL_RETURN_IF_ERR(vl_x_table_put(out, (uint32_t)dims[k][0], o, &c[dims[k][1]], r));
                break;
            }
    }
    vl_x_table_set_i64(out, V_STARTED, o, st.started);
    if (st.started && st.startup >= 0) vl_x_table_set_i64(out, V_STARTUP, o, st.startup);
    vl_x_table_set_i64(out, V_WATCH, o, st.watch);
    vl_x_table_set_i64(out, V_PAUSE, o, st.pause);
    vl_x_table_set_i64(out, V_STALL, o, st.stall);
    vl_x_table_set_i64(out, V_STALLS, o, st.stalls);
    vl_x_table_set_i64(out, V_SEEK_STALL, o, st.seek_stall);
    if (st.watch > 0) vl_x_table_set_f64(out, V_BITRATE, o, (double)st.br_ms / (double)st.watch);
    vl_x_table_set_i64(out, V_FURTHEST, o, st.furthest);
    if (st.duration > 0) {
        vl_x_table_set_i64(out, V_DURATION, o, st.duration);
        vl_x_table_set_f64(out, V_RATIO, o, (double)st.furthest / (double)st.duration);
    }
    bool completed = st.duration > 0 && st.furthest * 10 >= st.duration * 9;
    vl_x_table_set_i64(out, V_COMPLETED, o, completed);
    const char *outcome = st.fatal     ? (st.started ? "vpf" : "vsf")
                          : st.ended   ? (!st.started ? "ebvs" : completed ? "completed" : "exited")
                                       : "in_progress";
    VL_RETURN_IF_ERR(vl_x_table_set_str(out, V_OUTCOME, o, vl_sv_cstr(outcome)));
    for (int k = 0; k < 4; k++) vl_x_table_set_i64(out, (uint32_t)(V_AD_IMPR + k), o, st.ad[k]);
    vl_x_table_set_f64(out, V_AD_REV, o, (double)st.rev_micros / 1e6);
    vl_x_table_set_i64(out, V_EVENTS, o, (int64_t)(to - from));
    (*rows)++;
    return VL_OK;
}

/* ------------------------------------------------------------------- scan */

/* The events being gathered for one view date: every worker appends to one
 * table (its string columns interned: ids and enums repeat), under a lock
 * held only for the copy. */
typedef struct collect {
    vl_x_table *ev;
    etl_idset views;  /* the views seen on the date */
    etl_idset before; /* views with events the day before */
    bool only_known;  /* keep only rows of views in `views` (the day after) */
    size_t probed;    /* rows of those views a probe found */
    pthread_mutex_t mu;
    uint32_t *sel[64];
    size_t sel_cap[64];
} collect;

/* Counts rows of the date's views (a view_id column): is a later day worth reading whole? */
static int probe_cb(void *ctx, int worker, const vl_x_batch *b, vl_error *err) {
    (void)worker, (void)err;
    collect *C = ctx;
    const vl_x_vec *v = &b->cols[0];
    size_t k = 0;
    for (size_t i = 0, n = vl_x_batch_rows(b); i < n; i++) {
        size_t r = vl_x_batch_row(b, i);
        k += (!v->valid || v->valid[r]) && etl_idset_has(&C->views, v->v.str[r]);
    }
    pthread_mutex_lock(&C->mu);
    C->probed += k;
    pthread_mutex_unlock(&C->mu);
    return VL_OK;
}

static int collect_cb(void *ctx, int worker, const vl_x_batch *b, vl_error *err) {
    collect *C = ctx;
    vl_x_batch kb = *b;
    if (C->only_known) { /* the day after: rows of the date's views only */
        size_t n = vl_x_batch_rows(b), k = 0;
        if (n > C->sel_cap[worker]) {
            uint32_t *sel = vl_realloc(C->sel[worker], n * sizeof(uint32_t));
            if (!sel) return vl_error_set(err, VL_ENOMEM, "out of memory");
            C->sel[worker] = sel;
            C->sel_cap[worker] = n;
        }
        const vl_x_vec *v = &b->cols[E_VIEW];
        for (size_t i = 0; i < n; i++) {
            size_t r = vl_x_batch_row(b, i);
            if (etl_idset_has(&C->views, v->v.str[r])) C->sel[worker][k++] = (uint32_t)r;
        }
        if (!k) return VL_OK;
        kb.sel = C->sel[worker];
        kb.n_sel = k;
    }
    pthread_mutex_lock(&C->mu);
    int rc = vl_x_table_append(C->ev, &kb, err);
    pthread_mutex_unlock(&C->mu);
    return rc;
}

static const vl_dt_kind *ekinds(const vl_dt_type *st, vl_dt_kind *out, vl_error *err) {
    for (int c = 0; c < N_E; c++) {
        const vl_dt_field *fd = vl_delta_field_find(st, vl_sv_cstr(ECOLS[c]), NULL);
        if (!fd) {
            vl_error_set(err, VL_ECORRUPT, "silver/events has no column %s", ECOLS[c]);
            return NULL;
        }
        out[c] = fd->type.kind;
    }
    return out;
}

/* Scans the events with a view_id of date d (columns cols) into cb. */
static int scan_date(const vl_delta_snapshot *s, int64_t d, const char *const *cols, size_t n_cols, int threads,
                     vl_x_batch_cb cb, void *C, int64_t *read, vl_error *err) {
    char ds[16];
    vl_date_format(ds, d);
    ds[10] = 0;
    char text[96];
    snprintf(text, sizeof(text), "event_date = '%s' AND view_id IS NOT NULL", ds);
    vl_arena a;
    vl_arena_init(&a, 0);
    const vl_delta_expr *e = NULL;
    int rc = vl_delta_expr_parse(text, &s->metadata.schema, &a, &e, err);
    vl_x_scan_opts so = {.columns = cols, .n_columns = n_cols, .where = e, .threads = threads};
    vl_x_scan_stats st = {0};
    if (rc == VL_OK) rc = vl_x_scan(s, &so, cb, C, &st, err);
    if (read) *read += st.rows_selected;
    vl_arena_destroy(&a);
    return rc;
}

/* The views of date d into out: the events of d, those of d + 1 that belong
 * to d's views, less the views that have events on d - 1 (they began
 * before d). */
static int views_of_date(const vl_delta_snapshot *s, int64_t d, int threads, vl_x_table *out, int64_t *read,
                         size_t *rows, vl_error *err) {
    vl_dt_kind kinds[N_E];
    if (!ekinds(&s->metadata.schema, kinds, err)) return VL_ECORRUPT;
    collect C;
    memset(&C, 0, sizeof(C));
    pthread_mutex_init(&C.mu, NULL);
    int rc = vl_x_table_new(ECOLS, kinds, N_E, &C.ev, err);
    for (uint32_t c = 0; c < N_E && rc == VL_OK; c++)
        if (C.ev->vecs[c].type == VL_X_STR) rc = vl_x_table_intern(C.ev, c, err);
    if (rc == VL_OK) rc = scan_date(s, d, ECOLS, N_E, threads, collect_cb, &C, read, err);
    for (size_t r = 0; rc == VL_OK && r < C.ev->n; r++) {
        bool fresh;
        if (etl_idset_add(&C.views, C.ev->vecs[E_VIEW].v.str[r], &fresh) != VL_OK)
            rc = vl_error_set(err, VL_ENOMEM, "out of memory");
    }
    /* the following days, for the events of d's views, while there are any
     * (a view runs past midnight; a live one may run for days) */
    C.only_known = true;
    static const char *const vc[] = {"view_id"};
    for (int64_t k = 1; rc == VL_OK && C.ev->n && k <= 30; k++) {
        if (k > 1) { /* past the next day views seldom run: look at the ids first */
            C.probed = 0;
            rc = scan_date(s, d + k, vc, 1, threads, probe_cb, &C, NULL, err);
            if (rc || !C.probed) break;
        }
        size_t before = C.ev->n;
        rc = scan_date(s, d + k, ECOLS, N_E, threads, collect_cb, &C, read, err);
        if (C.ev->n == before) break;
    }
    etl_idsink before = {&C.before, &C.mu};
    if (rc == VL_OK && C.ev->n) rc = scan_date(s, d - 1, vc, 1, threads, etl_idsink_cb, &before, NULL, err);
    /* stable: events of the same instant stay in the order they arrived in
     * (a file's rows are read in order, and each file by one worker) */
    vl_x_sort_key keys[] = {{E_VIEW, false}, {E_TIME, false}};
    vl_x_table *ev = C.ev;
    if (rc == VL_OK) rc = vl_x_table_sort(ev, keys, 2, -1, err);
    for (size_t from = 0; rc == VL_OK && from < ev->n;) {
        size_t to = from + 1;
        while (to < ev->n && vl_x_cell_eq(&ev->vecs[E_VIEW], from, &ev->vecs[E_VIEW], to)) to++;
        if (vl_ts_day(ev->vecs[E_TIME].v.i64[from]) == d && !etl_idset_has(&C.before, ev->vecs[E_VIEW].v.str[from]) &&
            fold_view(ev, from, to, out, rows) != VL_OK)
            rc = vl_error_set(err, VL_ENOMEM, "out of memory");
        from = to;
    }
    for (int w = 0; w < 64; w++) vl_free(C.sel[w]);
    etl_idset_free(&C.views);
    etl_idset_free(&C.before);
    pthread_mutex_destroy(&C.mu);
    vl_x_table_free(C.ev);
    return rc;
}

/* Views that new events continue: their ids, then their view dates. */
typedef struct cont {
    etl_idset ids;
    int64_t *dates;
    size_t n, cap;
    pthread_mutex_t mu;
} cont;

static int cont_dates_cb(void *ctx, int worker, const vl_x_batch *b, vl_error *err) {
    (void)worker;
    cont *C = ctx;
    const vl_x_vec *id = &b->cols[0], *d = &b->cols[1];
    int rc = VL_OK;
    pthread_mutex_lock(&C->mu);
    for (size_t i = 0, n = vl_x_batch_rows(b); i < n && rc == VL_OK; i++) {
        size_t r = vl_x_batch_row(b, i);
        if ((d->valid && !d->valid[r]) || !etl_idset_has(&C->ids, id->v.str[r])) continue;
        int64_t *g = vl_grow(C->dates, &C->cap, C->n, sizeof(int64_t), 64);
        if (!g) rc = VL_ENOMEM;
        else {
            C->dates = g;
            C->dates[C->n++] = d->v.i64[r];
        }
    }
    pthread_mutex_unlock(&C->mu);
    return rc ? vl_error_set(err, VL_ENOMEM, "out of memory") : VL_OK;
}

static int cmp_day(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int etl_silver_views(vl_store *s, const vl_etl_opts *o, vl_etl_job *job, vl_error *err) {
    snprintf(job->table, sizeof(job->table), "silver/views");
    vl_delta_table *out_t = NULL;
    vl_delta_snapshot *out = NULL;
    etl_input in = {0};
    vl_delta_txn *x = NULL;
    int64_t *dates = NULL;
    size_t nd = 0;
    int threads = vl_x_threads(o->threads);
    int rc = etl_snapshot(s, "silver/views", &out_t, &out, err);
    if (rc == VL_OK) rc = etl_input_open(s, "silver/events", out, o->full, "event_date", &in, err);
    if (rc || !in.now || in.done == in.now->version) goto done;
    if (!in.n_dates && out && !o->full) goto done; /* no new events: nothing to record yet */
    /* the view dates to compute: each new event date, the day before, and
     * the dates of the views the new events continue (a view runs past
     * midnight, a live one for days) */
    cont C;
    memset(&C, 0, sizeof(C));
    pthread_mutex_init(&C.mu, NULL);
    if (out && !o->full) {
        static const char *const idc[] = {"view_id"}, *const vdc[] = {"view_id", "view_date"};
        vl_x_scan_opts so = {.columns = idc, .n_columns = 1, .files = in.files, .n_files = in.n_files,
                             .threads = threads};
        etl_idsink k = {&C.ids, &C.mu};
        rc = vl_x_scan(in.now, &so, etl_idsink_cb, &k, NULL, err);
        vl_x_scan_opts vo = {.columns = vdc, .n_columns = 2, .threads = threads};
        if (rc == VL_OK && C.ids.n) rc = vl_x_scan(out, &vo, cont_dates_cb, &C, NULL, err);
    }
    dates = rc ? NULL : vl_calloc(in.n_dates * 2 + C.n + 1, sizeof(int64_t));
    if (!rc && !dates) rc = vl_error_set(err, VL_ENOMEM, "out of memory");
    for (size_t i = 0; rc == VL_OK && i < in.n_dates; i++) {
        dates[nd++] = in.dates[i] - 1;
        dates[nd++] = in.dates[i];
    }
    for (size_t i = 0; rc == VL_OK && i < C.n; i++) dates[nd++] = C.dates[i];
    etl_idset_free(&C.ids);
    vl_free(C.dates);
    pthread_mutex_destroy(&C.mu);
    if (rc) goto done;
    qsort(dates, nd, sizeof(int64_t), cmp_day);
    size_t m = 0;
    for (size_t i = 0; i < nd; i++)
        if (!m || dates[m - 1] != dates[i]) dates[m++] = dates[i];
    nd = m;
    rc = vl_delta_txn_begin(out_t, &x, err);
    if (rc) goto done;
    if (!out || o->full) {
        vl_arena a;
        vl_arena_init(&a, 0);
        vl_dt_type st;
        const char *parts[] = {"view_date"};
        rc = vl_delta_schema_from_ddl(VIEWS_DDL, &a, &st, err);
        if (rc == VL_OK) rc = vl_delta_txn_set_metadata(x, &st, parts, 1, NULL, 0, err);
        vl_arena_destroy(&a);
        if (rc) goto done;
    }
    size_t removed = 0;
    if (o->full && out) {
        for (size_t i = 0; i < out->n_files && rc == VL_OK; i++) rc = vl_delta_txn_remove(x, &out->files[i], true, err);
    } else {
        rc = etl_remove_dates(x, "view_date", dates, nd, &removed, err);
    }
    if (rc) goto done;
    for (size_t i = 0; i < nd && rc == VL_OK; i++) {
        vl_x_table *views = NULL;
        size_t rows = 0;
        rc = vl_x_table_new(VCOLS, VKINDS, N_V, &views, err);
        if (rc == VL_OK) rc = views_of_date(in.now, dates[i], threads, views, &job->rows_read, &rows, err);
        if (rc == VL_OK && rows) rc = vl_x_table_write_delta(views, x, 0, err);
        if (rc == VL_OK && rows) job->partitions++;
        job->rows_written += (int64_t)rows;
        vl_x_table_free(views);
    }
    if (rc) goto done;
    etl_input *ins[] = {&in};
    rc = etl_commit(x, ins, 1, o->full, NULL, job, err);
done:
    etl_fail_msg(rc, "silver/views", err);
    vl_free(dates);
    vl_delta_txn_free(x);
    etl_input_close(&in);
    vl_delta_snapshot_free(out);
    vl_delta_table_close(out_t);
    return rc;
}
