/* vidlake - Apache-2.0 */
/*
 * server_gold: the daily gold tables over HTTP (docs/api.md):
 *   GET /api/v1/gold           the tables under LAKE/gold/: version, dates, rows
 *   GET /api/v1/gold/<table>   rows of one table: ?from=&to= (dates,
 *                              inclusive), <string column>=<value> filters,
 *                              group_by=, order_by=[-]col, limit=
 *
 * A request is a small query on the execution engine (src/exec): a scan of
 * the table's latest snapshot with a predicate on `date` (which prunes
 * whole date partitions) and the filters, materialized as a vl_x_table;
 * with group_by, a hash aggregation of it and the ratios recomputed over
 * the summed parts; then a sort with a limit (top-k), written as JSON rows
 * in the NDJSON conventions of `table scan`.
 *
 * How a column re-aggregates is described per table, not coded: each known
 * table has one description below (the dimensions of its grain, sums,
 * ratios as num / den of its own columns, and the columns that cannot be
 * re-aggregated exactly: quantiles, averages, distinct counts). A column a
 * description does not name (a table or a column added later) is
 * classified by type and name: strings are dimensions, numbers are sums
 * unless the name says rate, ratio, share, quantile, average, minimum,
 * maximum or distinct count. Grouping by the whole grain (date and every
 * dimension of it) keeps one row per group, so every column then passes
 * through unchanged. The descriptions must follow src/etl/etl_gold.c and
 * docs/metrics.md.
 *
 * Snapshots are cached per table (a table handle, its snapshot and its
 * classified columns, shared by requests with a reference count) and
 * checked against the log at most once a second, so a request reads only
 * the data files of its dates. Grouped results are deterministic: before
 * aggregating, rows are put in date order (a stable sort: within a date
 * they keep the order of its file, which one scan worker reads in order),
 * so double sums add up in the same order every time for tables with one
 * file per date, as the ETL writes them.
 *
 * Not done here: paging past 100,000 rows, joins, filters other than
 * equality on string columns (a null dimension value cannot be chosen).
 */
#include "server_int.h"

#include "delta/delta.h"
#include "exec/exec.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GOLD_NAME_MAX 64         /* table names: [A-Za-z0-9_], 1 to 64 bytes */
#define GOLD_DAYS 30             /* the default range: the newest 30 days of the table */
#define GOLD_LIMIT 1000          /* rows answered by default */
#define GOLD_LIMIT_MAX 100000    /* and at most */
/* Rows one request may read: bounds its memory (about 300 bytes a row of
 * qoe_daily, so some 300 MB); 30 days of qoe_daily are some 10,000. */
#define GOLD_ROWS_MAX 1000000
#define GOLD_ARGS_MAX 64         /* query arguments of one request */
#define GOLD_CACHE 32            /* tables whose snapshot is kept */
#define GOLD_RECHECK_US 1000000  /* a cached snapshot is checked against the log this often */
#define GOLD_THREADS 4           /* scan workers of a request (never more than files) */

/* ================================================= the tables' descriptions */

typedef enum grole {
    G_SUM = 0, /* additive: summed */
    G_KEY,     /* a dimension of the grain: one row per date and keys */
    G_ATTR,    /* a dimension outside the grain (content_type: one per content and day) */
    G_RATIO,   /* num / (den [+ den2]) [x k], over the summed parts */
    G_SCALED,  /* num / k, over the summed part */
    G_NONE,    /* cannot be re-aggregated exactly: left out of grouped rows */
    G_DATE,    /* the `date` column */
} grole;

typedef struct gcol_desc {
    const char *name; /* a trailing '*' matches any rest */
    grole role;
    const char *num, *den, *den2;
    double k; /* RATIO: a factor (0: none); SCALED: the divisor */
} gcol_desc;

typedef struct gdesc {
    const char *table;
    const gcol_desc *cols;
    size_t n_cols;
} gdesc;

#define D_KEY(n) {n, G_KEY, NULL, NULL, NULL, 0}
#define D_ATTR(n) {n, G_ATTR, NULL, NULL, NULL, 0}
#define D_SUM(n) {n, G_SUM, NULL, NULL, NULL, 0}
#define D_NONE(n) {n, G_NONE, NULL, NULL, NULL, 0}
#define D_RATIO(n, a, b) {n, G_RATIO, a, b, NULL, 0}
#define N_OF(x) (sizeof(x) / sizeof((x)[0]))

/* docs/metrics.md, "gold/qoe_daily" */
static const gcol_desc qoe_cols[] = {
    D_KEY("device_type"), D_KEY("country"), D_KEY("cdn"), D_KEY("os"),
    D_SUM("attempts"), D_SUM("plays"), D_SUM("vsf"), D_SUM("ebvs"), D_SUM("vpf"),
    D_RATIO("vsf_rate", "vsf", "attempts"), D_RATIO("ebvs_rate", "ebvs", "attempts"),
    D_RATIO("vpf_rate", "vpf", "plays"),
    D_NONE("startup_ms_p50"), D_NONE("startup_ms_p90"),
    {"watch_hours", G_SCALED, "watch_ms", NULL, NULL, 3600000.0}, /* Σ watch_ms / 3,600,000 */
    D_SUM("watch_ms"), D_SUM("stall_ms"),
    {"rebuffering_ratio", G_RATIO, "stall_ms", "watch_ms", "stall_ms", 0}, /* stall / (watch + stall) */
    D_NONE("avg_bitrate_kbps"), /* weighted by watch time per view: the weights are not kept */
};

/* docs/metrics.md, "gold/content_daily" */
static const gcol_desc content_cols[] = {
    D_KEY("content_id"), D_ATTR("content_type"),
    D_SUM("views"), D_SUM("plays"), D_NONE("unique_viewers"), D_SUM("watch_hours"), D_SUM("completions"),
    D_RATIO("completion_rate", "completions", "plays"),
    D_NONE("avg_pct_watched"), D_NONE("retention_*"),
    D_SUM("likes"), D_SUM("dislikes"), D_SUM("comments"), D_SUM("shares"),
};

/* docs/metrics.md, "gold/ad_daily" */
static const gcol_desc ad_cols[] = {
    D_KEY("ad_campaign_id"), D_KEY("ad_position"),
    D_SUM("impressions"), D_SUM("clicks"), D_SUM("completes"), D_SUM("skips"),
    D_RATIO("ctr", "clicks", "impressions"), D_RATIO("completion_rate", "completes", "impressions"),
    D_RATIO("skip_rate", "skips", "impressions"), D_SUM("revenue_usd"),
    {"ecpm_usd", G_RATIO, "revenue_usd", "impressions", NULL, 1000.0}, /* revenue / impressions x 1000 */
};

/* docs/metrics.md, "gold/kpi_daily": one row per day. Its rates' parts are
 * not in the table, and users are distinct per day, week and month. */
static const gcol_desc kpi_cols[] = {
    D_NONE("dau"), D_NONE("wau"), D_NONE("mau"), D_NONE("stickiness"), D_SUM("new_users"),
    D_SUM("attempts"), D_SUM("plays"), D_SUM("watch_hours"), D_SUM("ad_revenue_usd"),
    D_NONE("vsf_rate"), D_NONE("rebuffering_ratio"),
};

/* docs/metrics.md, "gold/user_daily": one row per user and day; country
 * and tier are the user's of that day; sessions, contents and devices are
 * distinct counts within the day. */
static const gcol_desc user_cols[] = {
    D_KEY("user_id"), D_ATTR("country"), D_ATTR("subscription_tier"),
    D_SUM("events"), D_NONE("sessions"), D_SUM("views"), D_SUM("plays"), D_SUM("watch_ms"),
    D_SUM("stall_ms"), D_SUM("vsf"), D_NONE("contents"), D_NONE("devices"), D_SUM("ad_impressions"),
    D_SUM("likes"), D_SUM("dislikes"), D_SUM("comments"), D_SUM("shares"), D_SUM("subscribes"),
};

/* docs/metrics.md, "gold/user_segments": one row per user active in the 28
 * days to `date`; the share, the per-session rate, the days and the flag
 * are per user. */
static const gcol_desc segment_cols[] = {
    D_KEY("user_id"), D_ATTR("segment"), D_ATTR("subscription_tier"), D_ATTR("country"),
    D_SUM("active_days_28"), D_SUM("views_28"), D_SUM("watch_hours_28"), D_NONE("weekend_share"),
    D_NONE("views_per_session"), D_NONE("first_active"), D_NONE("last_active"), D_NONE("days_since_last"),
    D_NONE("returning"),
};

/* docs/metrics.md, "gold/churn_features": one row per user as of `date`;
 * watch_trend = watch_7d / (watch_28d / 4); devices is a maximum; the
 * rebuffering ratio's parts are not in the table; the score is a
 * probability. */
static const gcol_desc churn_cols[] = {
    D_KEY("user_id"), D_ATTR("subscription_tier"), D_ATTR("split"),
    D_NONE("days_since_last"), D_SUM("views_7d"), D_SUM("views_28d"), D_SUM("watch_hours_7d"),
    D_SUM("watch_hours_28d"), {"watch_trend", G_RATIO, "watch_hours_7d", "watch_hours_28d", NULL, 4.0},
    D_NONE("rebuffering_ratio_28d"), D_SUM("vsf_28d"), D_SUM("dislikes_28d"), D_NONE("devices"),
    D_SUM("active_days_28"), D_NONE("churned"), D_NONE("churn_score"),
};

/* The known tables, in the order GET /api/v1/gold lists them (the first
 * four are listed even before they exist). */
static const gdesc gold_tables[] = {
    {"qoe_daily", qoe_cols, N_OF(qoe_cols)},
    {"content_daily", content_cols, N_OF(content_cols)},
    {"ad_daily", ad_cols, N_OF(ad_cols)},
    {"kpi_daily", kpi_cols, N_OF(kpi_cols)},
    {"user_daily", user_cols, N_OF(user_cols)},
    {"user_segments", segment_cols, N_OF(segment_cols)},
    {"churn_features", churn_cols, N_OF(churn_cols)},
};
#define GOLD_LISTED 4

static const gdesc *desc_find(const char *table) {
    for (size_t i = 0; i < N_OF(gold_tables); i++)
        if (strcmp(gold_tables[i].table, table) == 0) return &gold_tables[i];
    return NULL;
}

static const gcol_desc *desc_col(const gdesc *d, const char *name) {
    for (size_t i = 0; d && i < d->n_cols; i++) {
        const char *n = d->cols[i].name;
        size_t l = strlen(n);
        if (l && n[l - 1] == '*' ? strncmp(n, name, l - 1) == 0 : strcmp(n, name) == 0) return &d->cols[i];
    }
    return NULL;
}

static bool ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

/* Whether a numeric column's name says it is not a sum. */
static bool nonadditive_name(const char *n) {
    static const char *const exact[] = {"dau", "wau", "mau", "stickiness"};
    static const char *const prefix[] = {"avg_", "mean_", "median_", "min_", "max_", "unique_", "distinct_",
                                         "retention_", "pct_"};
    static const char *const suffix[] = {"_rate", "_ratio", "_pct", "_share", "_avg", "_mean", "_median", "_min",
                                         "_max", "_kbps", "_distinct"};
    for (size_t i = 0; i < N_OF(exact); i++)
        if (strcmp(n, exact[i]) == 0) return true;
    for (size_t i = 0; i < N_OF(prefix); i++)
        if (strncmp(n, prefix[i], strlen(prefix[i])) == 0) return true;
    for (size_t i = 0; i < N_OF(suffix); i++)
        if (ends_with(n, suffix[i])) return true;
    /* a quantile: "_p50", "_p99", "_p999" */
    const char *u = strrchr(n, '_');
    if (u && u[1] == 'p' && u[2] >= '0' && u[2] <= '9') {
        const char *d = u + 2;
        while (*d >= '0' && *d <= '9') d++;
        if (!*d) return true;
    }
    return false;
}

static bool numeric_kind(vl_dt_kind k) {
    return k == VL_DT_LONG || k == VL_DT_INTEGER || k == VL_DT_SHORT || k == VL_DT_BYTE || k == VL_DT_FLOAT ||
           k == VL_DT_DOUBLE;
}

/* ========================================================== the snapshots */

/* One column of a table, classified. */
typedef struct gcol {
    char *name;
    vl_dt_kind kind;
    bool readable; /* a type the engine reads (primitive, not decimal) */
    grole role;
    int32_t num, den, den2; /* schema indices of the parts (RATIO, SCALED), else -1 */
    double k;
} gcol;

/* A table's snapshot with what the API needs of it; immutable once built. */
typedef struct gsnap {
    char name[GOLD_NAME_MAX + 1];
    vl_delta_table *t;
    vl_delta_snapshot *s;
    int refs; /* under the cache's lock */
    gcol *cols; /* the schema's fields, in order */
    uint32_t n_cols;
    int32_t date; /* the `date` column, -1 when there is none */
    bool has_dates;
    int64_t min_date, max_date;
} gsnap;

typedef struct gent {
    gsnap *g;
    int64_t checked_us; /* monotonic: when the log was last listed */
} gent;

struct vl_gold_cache {
    pthread_mutex_t mu;
    gent ents[GOLD_CACHE];
    size_t n;
};

static void gsnap_free(gsnap *g) {
    if (!g) return;
    for (uint32_t c = 0; g->cols && c < g->n_cols; c++) vl_free(g->cols[c].name);
    vl_free(g->cols);
    vl_delta_snapshot_free(g->s);
    vl_delta_table_close(g->t);
    vl_free(g);
}

vl_gold_cache *vl_gold_cache_new(void) {
    vl_gold_cache *c = vl_calloc(1, sizeof(*c));
    if (c) pthread_mutex_init(&c->mu, NULL);
    return c;
}

void vl_gold_cache_free(vl_gold_cache *c) {
    if (!c) return;
    for (size_t i = 0; i < c->n; i++) gsnap_free(c->ents[i].g); /* no request runs any more */
    pthread_mutex_destroy(&c->mu);
    vl_free(c);
}

static int32_t col_of(const gsnap *g, const char *name) {
    for (uint32_t c = 0; c < g->n_cols; c++)
        if (strcmp(g->cols[c].name, name) == 0) return (int32_t)c;
    return -1;
}

/* A RATIO's or SCALED's part: a summed column, else -1. */
static int32_t part_of(const gsnap *g, const char *name) {
    int32_t c = name ? col_of(g, name) : -1;
    return c >= 0 && g->cols[c].role == G_SUM ? c : -1;
}

/* Min and max of the date column when it is not a partition column. */
typedef struct drange {
    pthread_mutex_t mu;
    bool any;
    int64_t lo, hi;
} drange;

static int drange_cb(void *ctx, int worker, const vl_x_batch *b, vl_error *err) {
    (void)worker;
    (void)err;
    drange *D = ctx;
    const vl_x_vec *v = &b->cols[0];
    bool any = false;
    int64_t lo = 0, hi = 0;
    for (size_t i = 0, n = vl_x_batch_rows(b); i < n; i++) {
        size_t r = vl_x_batch_row(b, i);
        if (v->valid && !v->valid[r]) continue;
        int64_t d = v->v.i64[r];
        if (!any || d < lo) lo = d;
        if (!any || d > hi) hi = d;
        any = true;
    }
    pthread_mutex_lock(&D->mu);
    if (any) {
        if (!D->any || lo < D->lo) D->lo = lo;
        if (!D->any || hi > D->hi) D->hi = hi;
        D->any = true;
    }
    pthread_mutex_unlock(&D->mu);
    return VL_OK;
}

/* The dates the table holds: from the files' partition values, or by
 * scanning the column when the table is not partitioned by it. */
static int gsnap_dates(gsnap *g, vl_error *err) {
    const vl_delta_snapshot *s = g->s;
    if (g->date < 0) return VL_OK;
    int32_t pi = -1;
    for (uint32_t i = 0; i < s->metadata.n_partition_columns; i++)
        if (vl_sv_eq_cstr(s->metadata.partition_columns[i], "date")) pi = (int32_t)i;
    if (pi < 0) {
        drange D = {.any = false};
        pthread_mutex_init(&D.mu, NULL);
        const char *cols[] = {"date"};
        vl_x_scan_opts so = {.columns = cols, .n_columns = 1, .threads = GOLD_THREADS};
        int rc = vl_x_scan(s, &so, drange_cb, &D, NULL, err);
        pthread_mutex_destroy(&D.mu);
        g->has_dates = D.any;
        g->min_date = D.lo;
        g->max_date = D.hi;
        return rc;
    }
    for (size_t f = 0; f < s->n_files; f++) {
        if ((uint32_t)pi >= s->files[f].n_partition_values) continue;
        const vl_delta_kv *kv = &s->files[f].partition_values[pi];
        int64_t d;
        if (kv->value_null || vl_date_parse(kv->value.p, kv->value.n, &d, NULL) != VL_OK) continue;
        if (!g->has_dates || d < g->min_date) g->min_date = d;
        if (!g->has_dates || d > g->max_date) g->max_date = d;
        g->has_dates = true;
    }
    return VL_OK;
}

/* Classifies the columns of a loaded snapshot. Takes t and s (freed on
 * error too). */
static int gsnap_build(const char *name, vl_delta_table *t, vl_delta_snapshot *s, gsnap **out, vl_error *err) {
    *out = NULL;
    gsnap *g = vl_calloc(1, sizeof(*g));
    if (!g) {
        vl_delta_snapshot_free(s);
        vl_delta_table_close(t);
        return vl_error_set(err, VL_ENOMEM, "out of memory");
    }
    snprintf(g->name, sizeof(g->name), "%s", name);
    g->t = t;
    g->s = s;
    g->date = -1;
    const vl_dt_type *st = &s->metadata.schema;
    const gdesc *d = desc_find(name);
    g->n_cols = st->n_fields;
    g->cols = vl_calloc(st->n_fields + 1, sizeof(gcol));
    int rc = g->cols ? VL_OK : vl_error_set(err, VL_ENOMEM, "out of memory");
    for (uint32_t c = 0; c < st->n_fields && rc == VL_OK; c++) {
        const vl_dt_field *f = &st->fields[c];
        gcol *gc = &g->cols[c];
        gc->num = gc->den = gc->den2 = -1;
        if (!(gc->name = vl_strndup(f->name.p, f->name.n))) {
            rc = vl_error_set(err, VL_ENOMEM, "out of memory");
            break;
        }
        gc->kind = f->type.kind;
        vl_x_type xt;
        gc->readable = vl_x_type_of(&f->type, gc->name, &xt, NULL) == VL_OK;
        const gcol_desc *dc = desc_col(d, gc->name);
        if (strcmp(gc->name, "date") == 0 && gc->kind == VL_DT_DATE) {
            gc->role = G_DATE;
            g->date = (int32_t)c;
        } else if (dc) {
            gc->role = dc->role;
            gc->k = dc->k;
        } else if (gc->kind == VL_DT_STRING) {
            gc->role = d ? G_ATTR : G_KEY; /* a described table's grain is known */
        } else {
            gc->role = numeric_kind(gc->kind) && !nonadditive_name(gc->name) ? G_SUM : G_NONE;
        }
        if ((gc->role == G_KEY || gc->role == G_ATTR) && gc->kind != VL_DT_STRING) gc->role = G_NONE;
        if (gc->role == G_SUM && !numeric_kind(gc->kind)) gc->role = G_NONE;
        if (!gc->readable) gc->role = G_NONE;
    }
    /* ratios whose parts are summed columns of the table; the rest cannot be recomputed */
    for (uint32_t c = 0; c < g->n_cols && rc == VL_OK; c++) {
        gcol *gc = &g->cols[c];
        const gcol_desc *dc = desc_col(d, gc->name);
        if (gc->role == G_RATIO) {
            gc->num = part_of(g, dc->num);
            gc->den = part_of(g, dc->den);
            gc->den2 = dc->den2 ? part_of(g, dc->den2) : -1;
            if (gc->num < 0 || gc->den < 0 || (dc->den2 && gc->den2 < 0)) gc->role = G_NONE;
        } else if (gc->role == G_SCALED) {
            gc->num = part_of(g, dc->num);
            if (gc->num < 0 || !(gc->k > 0)) gc->role = G_NONE;
        }
    }
    if (rc == VL_OK) rc = gsnap_dates(g, err);
    if (rc) {
        gsnap_free(g);
        return rc;
    }
    *out = g;
    return VL_OK;
}

static gent *cache_find(vl_gold_cache *c, const char *name) {
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->ents[i].g->name, name) == 0) return &c->ents[i];
    return NULL;
}

static void gold_release(vl_gold_cache *c, gsnap *g) {
    if (!g) return;
    pthread_mutex_lock(&c->mu);
    bool last = --g->refs == 0;
    pthread_mutex_unlock(&c->mu);
    if (last) gsnap_free(g);
}

/* Forgets a table's cached snapshot (its files are gone, or the table). */
static void cache_drop(vl_gold_cache *c, const char *name) {
    gsnap *old = NULL;
    pthread_mutex_lock(&c->mu);
    gent *e = cache_find(c, name);
    if (e) {
        old = e->g;
        *e = c->ents[--c->n];
    }
    pthread_mutex_unlock(&c->mu);
    gold_release(c, old);
}

/**
 * The latest snapshot of LAKE/gold/<name>, shared: give it back with
 * gold_release. A cached one younger than GOLD_RECHECK_US is used as it
 * is; an older one is checked against the log (a listing) and reloaded
 * when the table moved on.
 * @return VL_OK; VL_ENOTFOUND when there is no such table; the store's
 *         and the log's errors; VL_ENOMEM.
 */
static int gold_acquire(vl_gold_cache *c, vl_store *lake, const char *name, gsnap **out, vl_error *err) {
    *out = NULL;
    int64_t now = vl_mono_us(), have = -1;
    pthread_mutex_lock(&c->mu);
    gent *e = cache_find(c, name);
    if (e && now - e->checked_us < GOLD_RECHECK_US) {
        e->g->refs++;
        *out = e->g;
        pthread_mutex_unlock(&c->mu);
        return VL_OK;
    }
    if (e) have = e->g->s->version;
    pthread_mutex_unlock(&c->mu);

    char path[GOLD_NAME_MAX + 8];
    snprintf(path, sizeof(path), "gold/%s", name);
    vl_delta_table *t = NULL;
    int64_t v = -1;
    int rc = vl_delta_table_open(lake, path, &t, err);
    if (rc == VL_OK) rc = vl_delta_latest_version(t, &v, err);
    if (rc == VL_OK && v < 0) {
        vl_delta_table_close(t);
        if (have >= 0) cache_drop(c, name);
        return vl_error_set(err, VL_ENOTFOUND, "no table gold/%s", name);
    }
    if (rc == VL_OK && v == have) {
        pthread_mutex_lock(&c->mu);
        e = cache_find(c, name);
        if (e && e->g->s->version == v) {
            e->checked_us = now;
            e->g->refs++;
            *out = e->g;
        }
        pthread_mutex_unlock(&c->mu);
        if (*out) {
            vl_delta_table_close(t);
            return VL_OK;
        }
    }
    vl_delta_snapshot *s = NULL;
    if (rc == VL_OK) rc = vl_delta_snapshot_load(t, (vl_delta_at){v, -1}, &s, err);
    if (rc) {
        vl_delta_table_close(t);
        return rc;
    }
    gsnap *g;
    VL_RETURN_IF_ERR(gsnap_build(name, t, s, &g, err)); /* g owns t and s */
    g->refs = 1; /* the caller's */
    gsnap *old = NULL;
    pthread_mutex_lock(&c->mu);
    e = cache_find(c, name);
    if (e && e->g->s->version <= v) {
        old = e->g;
        e->g = g;
        e->checked_us = now;
        g->refs++;
    } else if (!e && c->n < GOLD_CACHE) {
        c->ents[c->n++] = (gent){g, now};
        g->refs++;
    }
    pthread_mutex_unlock(&c->mu);
    gold_release(c, old); /* the cache's reference to the replaced one */
    *out = g;
    return VL_OK;
}

/* ============================================================ the request */

typedef struct garg {
    const char *key, *value;
} garg;

typedef struct gargs {
    garg a[GOLD_ARGS_MAX];
    size_t n;
    bool too_many;
} gargs;

static bool arg_collect(void *ctx, const char *key, const char *value) {
    gargs *A = ctx;
    if (A->n == GOLD_ARGS_MAX) {
        A->too_many = true;
        return false;
    }
    A->a[A->n++] = (garg){key, value};
    return true;
}

/* A parsed request. */
typedef struct gq {
    int64_t from, to;
    bool has_from, has_to, any_dates; /* any_dates: from and to are set */
    garg filters[GOLD_ARGS_MAX];      /* key = column name */
    int32_t filter_col[GOLD_ARGS_MAX];
    size_t n_filters;
    int32_t group[GOLD_ARGS_MAX];
    uint32_t n_group;
    bool grouped;
    const char *order; /* a column name, NULL: the default */
    bool desc;
    int64_t limit;
} gq;

/* An error message for a 400 or 404. */
typedef struct gmsg {
    int status;
    char text[1024];
} gmsg;

static bool fail(gmsg *m, int status, const char *fmt, ...) VL_PRINTF(3, 4);
static bool fail(gmsg *m, int status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->text, sizeof(m->text), fmt, ap);
    va_end(ap);
    m->status = status;
    return false;
}

/* "a, b and c": the names of the columns with one of the roles. */
static void col_list(const gsnap *g, const grole *roles, size_t n_roles, char *out, size_t cap) {
    size_t n = 0, k = 0, total = 0;
    for (uint32_t c = 0; c < g->n_cols; c++)
        for (size_t r = 0; r < n_roles; r++)
            if (g->cols[c].role == roles[r]) total++;
    out[0] = 0;
    for (uint32_t c = 0; c < g->n_cols && n + 1 < cap; c++) {
        bool in = false;
        for (size_t r = 0; r < n_roles; r++) in = in || g->cols[c].role == roles[r];
        if (!in) continue;
        k++;
        int w = snprintf(out + n, cap - n, "%s%s", k == 1 ? "" : k == total ? " and " : ", ", g->cols[c].name);
        if (w < 0) break;
        n += (size_t)w < cap - n ? (size_t)w : cap - n - 1;
    }
    if (!total) snprintf(out, cap, "none");
}

static bool parse_date_arg(const char *name, const char *v, int64_t *out, gmsg *m) {
    if (!v || vl_date_parse(v, strlen(v), out, NULL) != VL_OK)
        return fail(m, 400, "%s: '%.40s' is not a date YYYY-MM-DD", name, v ? v : "");
    return true;
}

static bool is_groupable(const gcol *c) { return c->role == G_KEY || c->role == G_ATTR || c->role == G_DATE; }

/* Reads the query arguments into q. @return false with m set (400). */
static bool parse_query(const gsnap *g, const gargs *A, gq *q, gmsg *m) {
    memset(q, 0, sizeof(*q));
    q->limit = GOLD_LIMIT;
    const char *seen[5] = {NULL};
    static const char *const params[5] = {"from", "to", "group_by", "order_by", "limit"};
    char list[600];
    static const grole dims[] = {G_KEY, G_ATTR};
    if (A->too_many) return fail(m, 400, "more than %d query parameters", GOLD_ARGS_MAX);
    for (size_t i = 0; i < A->n; i++) {
        const char *k = A->a[i].key, *v = A->a[i].value;
        size_t p = 0;
        while (p < 5 && strcmp(k, params[p]) != 0) p++;
        if (p < 5) {
            if (seen[p]) return fail(m, 400, "%s: given more than once", k);
            if (!v || !*v) return fail(m, 400, "%s: give a value (%s=...)", k, k);
            seen[p] = v;
            continue;
        }
        int32_t c = col_of(g, k);
        if (c < 0) {
            col_list(g, dims, 2, list, sizeof(list));
            return fail(m, 400,
                        "%.64s: not a parameter (from, to, group_by, order_by, limit) nor a column of gold/%s "
                        "(filter by its string columns: %s)",
                        k, g->name, list);
        }
        if (g->cols[c].role == G_DATE) return fail(m, 400, "date: choose dates with from and to (YYYY-MM-DD)");
        if (g->cols[c].kind != VL_DT_STRING) {
            col_list(g, dims, 2, list, sizeof(list));
            return fail(m, 400, "%s: only string columns filter rows (%s)", k, list);
        }
        if (!v) return fail(m, 400, "%s: give a value (%s=...)", k, k);
        q->filter_col[q->n_filters] = c;
        q->filters[q->n_filters++] = (garg){g->cols[c].name, v};
    }
    if (seen[0] && !parse_date_arg("from", seen[0], &q->from, m)) return false;
    if (seen[1] && !parse_date_arg("to", seen[1], &q->to, m)) return false;
    q->has_from = seen[0] != NULL;
    q->has_to = seen[1] != NULL;
    if (q->has_from && q->has_to && q->from > q->to) {
        char a[16], b[16];
        a[vl_date_format(a, q->from)] = 0;
        b[vl_date_format(b, q->to)] = 0;
        return fail(m, 400, "from: %s is after to (%s)", a, b);
    }
    if (seen[4]) {
        const char *v = seen[4];
        if (vl_parse_i64(v, strlen(v), &q->limit) != VL_OK || q->limit < 1 || q->limit > GOLD_LIMIT_MAX)
            return fail(m, 400, "limit: '%.40s' is not a whole number from 1 to %d", v, GOLD_LIMIT_MAX);
    }
    if (seen[2]) {
        static const grole gdims[] = {G_DATE, G_KEY, G_ATTR};
        q->grouped = true;
        for (const char *p = seen[2];;) {
            const char *e = strchr(p, ',');
            size_t n = e ? (size_t)(e - p) : strlen(p);
            while (n && *p == ' ') p++, n--;
            while (n && p[n - 1] == ' ') n--;
            char name[GOLD_NAME_MAX * 2];
            if (!n || n >= sizeof(name)) return fail(m, 400, "group_by: a comma-separated list of columns");
            memcpy(name, p, n);
            name[n] = 0;
            int32_t c = col_of(g, name);
            if (c < 0 || !is_groupable(&g->cols[c])) {
                col_list(g, gdims, 3, list, sizeof(list));
                return fail(m, 400, "group_by: %s is not %s of gold/%s (group by %s)", name,
                            c < 0 ? "a column" : "a string or date column", g->name, list);
            }
            for (uint32_t j = 0; j < q->n_group; j++)
                if (q->group[j] == c) return fail(m, 400, "group_by: %s is named twice", name);
            if (q->n_group == GOLD_ARGS_MAX) return fail(m, 400, "group_by: at most %d columns", GOLD_ARGS_MAX);
            q->group[q->n_group++] = c;
            if (!e) break;
            p = e + 1;
        }
    }
    if (seen[3]) {
        const char *v = seen[3];
        q->desc = v[0] == '-';
        q->order = v + (q->desc ? 1 : 0);
        if (col_of(g, q->order) < 0) return fail(m, 400, "order_by: %.64s is not a column of gold/%s", q->order, g->name);
    }
    return true;
}

/* "`name`" with backquotes doubled, for a predicate's text. */
static int put_name(vl_buf *b, const char *name) {
    VL_RETURN_IF_ERR(vl_buf_putc(b, '`'));
    for (const char *p = name; *p; p++) {
        if (*p == '`') VL_RETURN_IF_ERR(vl_buf_putc(b, '`'));
        VL_RETURN_IF_ERR(vl_buf_putc(b, *p));
    }
    return vl_buf_putc(b, '`');
}

/* 'value' with quotes doubled. */
static int put_str(vl_buf *b, const char *v) {
    VL_RETURN_IF_ERR(vl_buf_putc(b, '\''));
    for (const char *p = v; *p; p++) {
        if (*p == '\'') VL_RETURN_IF_ERR(vl_buf_putc(b, '\''));
        VL_RETURN_IF_ERR(vl_buf_putc(b, *p));
    }
    return vl_buf_putc(b, '\'');
}

/* The predicate: the dates, then per filtered column `col` IN (values). */
static int where_text(const gsnap *g, const gq *q, vl_buf *b) {
    char d[16];
    VL_RETURN_IF_ERR(put_name(b, g->cols[g->date].name));
    d[vl_date_format(d, q->from)] = 0;
    VL_RETURN_IF_ERR(vl_buf_printf(b, " >= '%s' AND ", d));
    VL_RETURN_IF_ERR(put_name(b, g->cols[g->date].name));
    d[vl_date_format(d, q->to)] = 0;
    VL_RETURN_IF_ERR(vl_buf_printf(b, " <= '%s'", d));
    bool done[GOLD_ARGS_MAX] = {false};
    for (size_t i = 0; i < q->n_filters; i++) {
        if (done[i]) continue;
        VL_RETURN_IF_ERR(vl_buf_puts(b, " AND "));
        VL_RETURN_IF_ERR(put_name(b, q->filters[i].key));
        VL_RETURN_IF_ERR(vl_buf_puts(b, " IN ("));
        for (size_t j = i; j < q->n_filters; j++) {
            if (q->filter_col[j] != q->filter_col[i]) continue;
            done[j] = true;
            if (j != i) VL_RETURN_IF_ERR(vl_buf_puts(b, ", "));
            VL_RETURN_IF_ERR(put_str(b, q->filters[j].value));
        }
        VL_RETURN_IF_ERR(vl_buf_putc(b, ')'));
    }
    return VL_OK;
}

/* ============================================================== the query */

typedef struct gscan {
    vl_x_table *t;
    pthread_mutex_t mu;
    bool too_many;
} gscan;

static int gscan_cb(void *ctx, int worker, const vl_x_batch *b, vl_error *err) {
    (void)worker;
    gscan *G = ctx;
    int rc;
    pthread_mutex_lock(&G->mu);
    if (G->t->n + vl_x_batch_rows(b) > GOLD_ROWS_MAX) {
        G->too_many = true;
        rc = vl_error_set(err, VL_ERANGE, "more than %d rows", GOLD_ROWS_MAX);
    } else {
        rc = vl_x_table_append(G->t, b, err);
    }
    pthread_mutex_unlock(&G->mu);
    return rc;
}

/* Scans the rows of q's dates and filters into *out: every readable
 * column, in schema order; tcol[c] is column c's index there, or -1. */
static int run_scan(const gsnap *g, const gq *q, vl_x_table **out, int32_t *tcol, bool *too_many, vl_error *err) {
    *out = NULL;
    *too_many = false;
    const char **names = vl_calloc(g->n_cols + 1, sizeof(char *));
    vl_dt_kind *kinds = vl_calloc(g->n_cols + 1, sizeof(vl_dt_kind));
    vl_arena a;
    vl_arena_init(&a, 4096);
    vl_buf text;
    vl_buf_init(&text);
    gscan G = {.t = NULL, .too_many = false};
    pthread_mutex_init(&G.mu, NULL);
    int rc = names && kinds ? VL_OK : vl_error_set(err, VL_ENOMEM, "out of memory");
    uint32_t n = 0;
    for (uint32_t c = 0; c < g->n_cols && rc == VL_OK; c++) {
        tcol[c] = -1;
        if (!g->cols[c].readable) continue;
        tcol[c] = (int32_t)n;
        names[n] = g->cols[c].name;
        kinds[n++] = g->cols[c].kind;
    }
    const vl_delta_expr *e = NULL;
    if (rc == VL_OK && where_text(g, q, &text) != VL_OK) rc = vl_error_set(err, VL_ENOMEM, "out of memory");
    if (rc == VL_OK) rc = vl_delta_expr_parse(vl_buf_cstr(&text), &g->s->metadata.schema, &a, &e, err);
    if (rc == VL_OK) rc = vl_x_table_new(names, kinds, n, &G.t, err);
    vl_x_scan_opts so = {.columns = names, .n_columns = n, .where = e, .threads = GOLD_THREADS};
    if (rc == VL_OK) rc = vl_x_scan(g->s, &so, gscan_cb, &G, NULL, err);
    *too_many = G.too_many;
    if (rc == VL_OK) *out = G.t;
    else vl_x_table_free(G.t);
    pthread_mutex_destroy(&G.mu);
    vl_buf_free(&text);
    vl_arena_destroy(&a);
    vl_free(names);
    vl_free(kinds);
    return rc;
}


/* What a grouped output column is made of. */
typedef struct gout {
    int32_t col;  /* schema index */
    int32_t agg;  /* SUM or MIN: its aggregate */
    int32_t num, den, den2; /* RATIO, SCALED: aggregates of the parts */
    grole role;   /* G_SUM (also MIN), G_RATIO, G_SCALED, G_KEY (a group key) */
} gout;

/* The aggregate summing schema column c (made when missing). */
static int32_t sum_of(const gsnap *g, const int32_t *tcol, int32_t c, vl_x_agg_spec *aggs, int32_t *agg_col,
                      uint32_t *n_aggs) {
    for (uint32_t i = 0; i < *n_aggs; i++)
        if (agg_col[i] == c && aggs[i].fn == VL_X_AGG_SUM) return (int32_t)i;
    aggs[*n_aggs] = (vl_x_agg_spec){VL_X_AGG_SUM, (uint32_t)tcol[c], g->cols[c].name, 0};
    agg_col[*n_aggs] = c;
    return (int32_t)(*n_aggs)++;
}

/*
 * Groups t by q's columns into *out: the keys, then the table's other
 * columns in schema order, re-aggregated (sums summed, ratios recomputed
 * from the summed parts; everything passed through when the keys cover
 * the grain). Columns that cannot be re-aggregated are named in *omitted.
 */
static int run_group(const gsnap *g, const gq *q, vl_x_table *t, const int32_t *tcol, vl_x_table **out,
                     vl_buf *omitted, vl_error *err) {
    *out = NULL;
    uint32_t nc = g->n_cols;
    vl_x_agg_spec *aggs = vl_calloc(3 * nc + 1, sizeof(vl_x_agg_spec));
    int32_t *agg_col = vl_calloc(3 * nc + 1, sizeof(int32_t));
    gout *outs = vl_calloc(nc + 1, sizeof(gout));
    uint32_t *keys = vl_calloc(q->n_group + 1, sizeof(uint32_t));
    const char **key_names = vl_calloc(q->n_group + 1, sizeof(char *));
    const char **onames = vl_calloc(nc + 1, sizeof(char *));
    vl_dt_kind *okinds = vl_calloc(nc + 1, sizeof(vl_dt_kind));
    const vl_x_expr **oexpr = vl_calloc(nc + 1, sizeof(vl_x_expr *));
    vl_x_type *gtypes = vl_calloc(3 * nc + q->n_group + 1, sizeof(vl_x_type));
    vl_x_vec *ovecs = vl_calloc(nc + 1, sizeof(vl_x_vec));
    vl_arena a;
    vl_arena_init(&a, 1 << 14);
    vl_x_agg *ag = NULL;
    vl_x_table *gt = NULL;
    int rc = aggs && agg_col && outs && keys && key_names && onames && okinds && oexpr && gtypes && ovecs
                 ? VL_OK
                 : vl_error_set(err, VL_ENOMEM, "out of memory");
    /* deterministic sums: rows in date order, each date's in its file's order */
    vl_x_sort_key by_date = {(uint32_t)tcol[g->date], false};
    if (rc == VL_OK) rc = vl_x_table_sort(t, &by_date, 1, -1, err);

    /* the keys cover the grain: one row per group, every column passes through */
    bool covered = true;
    for (uint32_t c = 0; c < nc; c++) {
        if (g->cols[c].role != G_KEY && g->cols[c].role != G_DATE) continue;
        bool in = false;
        for (uint32_t j = 0; j < q->n_group; j++) in = in || q->group[j] == (int32_t)c;
        covered = covered && in;
    }
    uint32_t n_aggs = 0, n_out = 0;
    for (uint32_t j = 0; j < q->n_group && rc == VL_OK; j++) {
        keys[j] = (uint32_t)tcol[q->group[j]];
        key_names[j] = g->cols[q->group[j]].name;
        outs[n_out++] = (gout){.col = q->group[j], .agg = (int32_t)j, .role = G_KEY};
    }
    bool first_omitted = true;
    for (uint32_t c = 0; c < nc && rc == VL_OK; c++) {
        const gcol *gc = &g->cols[c];
        bool grouped = false;
        for (uint32_t j = 0; j < q->n_group; j++) grouped = grouped || q->group[j] == (int32_t)c;
        if (grouped || tcol[c] < 0) continue; /* a key already; or a type the engine does not read */
        /* a dimension not grouped by is grouped away, but for an attribute of
         * a grain the keys cover, which passes through */
        bool dim = gc->role == G_DATE || gc->role == G_KEY || gc->role == G_ATTR;
        if (dim && !(covered && gc->role == G_ATTR)) continue;
        gout o = {.col = (int32_t)c, .agg = -1, .num = -1, .den = -1, .den2 = -1, .role = G_SUM};
        if (covered) {
            aggs[n_aggs] = (vl_x_agg_spec){VL_X_AGG_MIN, (uint32_t)tcol[c], gc->name, 0};
            agg_col[n_aggs] = (int32_t)c;
            o.agg = (int32_t)n_aggs++;
        } else if (gc->role == G_SUM) {
            o.agg = sum_of(g, tcol, (int32_t)c, aggs, agg_col, &n_aggs);
        } else if (gc->role == G_RATIO || gc->role == G_SCALED) {
            o.role = gc->role;
            o.num = sum_of(g, tcol, gc->num, aggs, agg_col, &n_aggs);
            if (gc->den >= 0) o.den = sum_of(g, tcol, gc->den, aggs, agg_col, &n_aggs);
            if (gc->den2 >= 0) o.den2 = sum_of(g, tcol, gc->den2, aggs, agg_col, &n_aggs);
        } else {
            if (vl_buf_puts(omitted, first_omitted ? "" : ",") != VL_OK ||
                vl_buf_json_str(omitted, gc->name, strlen(gc->name)) != VL_OK)
                rc = vl_error_set(err, VL_ENOMEM, "out of memory");
            first_omitted = false;
            continue;
        }
        outs[n_out++] = o;
    }
    if (rc == VL_OK)
        rc = vl_x_agg_new(t->kinds, t->n_cols, keys, key_names, q->n_group, aggs, n_aggs, 1, &ag, err);
    vl_x_batch tb = vl_x_table_batch(t);
    if (rc == VL_OK && t->n) rc = vl_x_agg_add(ag, 0, &tb, err);
    if (rc == VL_OK) rc = vl_x_agg_finish(ag, &gt, err);
    /* the output columns as expressions over the groups */
    for (uint32_t c = 0; rc == VL_OK && c < gt->n_cols; c++) gtypes[c] = gt->vecs[c].type;
    uint32_t kk = q->n_group;
    for (uint32_t i = 0; i < n_out && rc == VL_OK; i++) {
        const gout *o = &outs[i];
        const gcol *gc = &g->cols[o->col];
        onames[i] = gc->name;
        if (o->role == G_KEY) {
            okinds[i] = gc->kind;
            oexpr[i] = vl_x_e_col(&a, (uint32_t)o->agg);
        } else if (o->role == G_SUM) {
            okinds[i] = covered ? gc->kind : vl_x_type_of_kind(gc->kind) == VL_X_F64 ? VL_DT_DOUBLE : VL_DT_LONG;
            oexpr[i] = vl_x_e_col(&a, kk + (uint32_t)o->agg);
        } else if (o->role == G_RATIO) {
            okinds[i] = VL_DT_DOUBLE;
            const vl_x_expr *den = vl_x_e_col(&a, kk + (uint32_t)o->den);
            if (o->den2 >= 0) den = vl_x_e_op(&a, VL_X_E_ADD, den, vl_x_e_col(&a, kk + (uint32_t)o->den2));
            const vl_x_expr *r = vl_x_e_op(&a, VL_X_E_DIV, vl_x_e_col(&a, kk + (uint32_t)o->num), den);
            oexpr[i] = gc->k != 0 ? vl_x_e_op(&a, VL_X_E_MUL, r, vl_x_e_f64(&a, gc->k)) : r;
        } else {
            okinds[i] = VL_DT_DOUBLE;
            oexpr[i] = vl_x_e_op(&a, VL_X_E_DIV, vl_x_e_col(&a, kk + (uint32_t)o->num), vl_x_e_f64(&a, gc->k));
        }
        vl_x_type xt;
        rc = vl_x_expr_type(oexpr[i], gtypes, gt->n_cols, &xt, err);
        if (rc == VL_OK && xt != vl_x_type_of_kind(okinds[i]))
            rc = vl_error_set(err, VL_EINVAL, "column %s: the re-aggregated type does not fit", gc->name);
        vl_x_batch gb = vl_x_table_batch(gt);
        if (rc == VL_OK) rc = vl_x_expr_eval(oexpr[i], &gb, &a, &ovecs[i], err);
    }
    if (rc == VL_OK) rc = vl_x_table_new(onames, okinds, n_out, out, err);
    if (rc == VL_OK) {
        vl_x_batch ob = {.n = gt->n, .n_cols = n_out, .cols = ovecs};
        rc = vl_x_table_append(*out, &ob, err);
    }
    if (rc) {
        vl_x_table_free(*out);
        *out = NULL;
    }
    vl_x_agg_free(ag);
    vl_x_table_free(gt);
    vl_arena_destroy(&a);
    vl_free(aggs);
    vl_free(agg_col);
    vl_free(outs);
    vl_free(keys);
    vl_free(key_names);
    vl_free(onames);
    vl_free(okinds);
    vl_free(oexpr);
    vl_free(gtypes);
    vl_free(ovecs);
    return rc;
}

/* Sorts o by q's order (then date and the keys) and cuts it at the limit.
 * @return false with m set when order_by names a column o does not have. */
static bool order_rows(const gsnap *g, const gq *q, vl_x_table *o, int *rc, vl_error *err, gmsg *m) {
    vl_x_sort_key keys[GOLD_ARGS_MAX + 8];
    uint32_t n = 0;
    *rc = VL_OK;
    if (q->order) {
        int c = vl_x_table_col(o, q->order);
        if (c < 0)
            return fail(m, 400,
                        "order_by: %s is not in the grouped rows: it cannot be re-aggregated (group by the whole "
                        "grain to keep it), or it was grouped away",
                        q->order);
        keys[n++] = (vl_x_sort_key){(uint32_t)c, q->desc};
    }
    /* then date and the keys: the group's, or the grain's */
    int32_t tie[GOLD_ARGS_MAX + 1];
    uint32_t nt = 0;
    if (g->date >= 0) tie[nt++] = g->date;
    if (q->grouped) {
        for (uint32_t j = 0; j < q->n_group && nt < GOLD_ARGS_MAX; j++) tie[nt++] = q->group[j];
    } else {
        for (uint32_t c = 0; c < g->n_cols && nt < GOLD_ARGS_MAX; c++)
            if (g->cols[c].role == G_KEY) tie[nt++] = (int32_t)c;
    }
    for (uint32_t i = 0; i < nt; i++) {
        int c = vl_x_table_col(o, g->cols[tie[i]].name);
        bool dup = c < 0;
        for (uint32_t j = 0; j < n && !dup; j++) dup = keys[j].col == (uint32_t)c;
        if (!dup) keys[n++] = (vl_x_sort_key){(uint32_t)c, false};
    }
    *rc = vl_x_table_sort(o, keys, n, q->limit, err);
    return true;
}

/* ============================================================== answering */

static void answer_error(vl_http_resp *resp, int rc, const vl_error *e) {
    vl_server_json_error(resp, rc == VL_ENOMEM ? 503 : 500, e->msg);
}

static int put_date(vl_buf *b, const char *key, bool has, int64_t d) {
    char tmp[16];
    VL_RETURN_IF_ERR(vl_buf_printf(b, ",\"%s\":", key));
    if (!has) return vl_buf_puts(b, "null");
    tmp[0] = '"';
    size_t n = vl_date_format(tmp + 1, d);
    tmp[n + 1] = '"';
    return vl_buf_append(b, tmp, n + 2);
}

static int write_rows(const gsnap *g, const gq *q, const vl_x_table *o, bool truncated, const vl_buf *omitted,
                      vl_buf *b) {
    vl_buf_clear(b);
    VL_RETURN_IF_ERR(vl_buf_puts(b, "{\"table\":"));
    VL_RETURN_IF_ERR(vl_buf_json_str(b, g->name, strlen(g->name)));
    VL_RETURN_IF_ERR(vl_buf_printf(b, ",\"version\":%lld", (long long)g->s->version));
    VL_RETURN_IF_ERR(put_date(b, "from", q->any_dates, q->from));
    VL_RETURN_IF_ERR(put_date(b, "to", q->any_dates, q->to));
    if (q->grouped) {
        VL_RETURN_IF_ERR(vl_buf_puts(b, ",\"group_by\":["));
        for (uint32_t j = 0; j < q->n_group; j++) {
            if (j) VL_RETURN_IF_ERR(vl_buf_putc(b, ','));
            const char *n = g->cols[q->group[j]].name;
            VL_RETURN_IF_ERR(vl_buf_json_str(b, n, strlen(n)));
        }
        VL_RETURN_IF_ERR(vl_buf_puts(b, "],\"omitted\":["));
        VL_RETURN_IF_ERR(vl_buf_append(b, omitted->p ? omitted->p : "", omitted->n));
        VL_RETURN_IF_ERR(vl_buf_putc(b, ']'));
    }
    VL_RETURN_IF_ERR(vl_buf_printf(b, ",\"truncated\":%s,\"rows\":[", truncated ? "true" : "false"));
    for (size_t r = 0; o && r < o->n; r++) {
        if (r) VL_RETURN_IF_ERR(vl_buf_putc(b, ','));
        VL_RETURN_IF_ERR(vl_x_table_row_json(o, r, b));
        b->n--; /* the row's newline */
    }
    return vl_buf_puts(b, "]}\n");
}

/* GET /api/v1/gold/<name>, on snapshot g. @return VL_ENOTFOUND when a data
 * file of the snapshot has gone (the caller retries on a fresh one). */
static int query(const gsnap *g, const gargs *A, vl_http_resp *resp) {
    gq q;
    gmsg m = {0};
    if (g->date < 0) {
        vl_server_json_error(resp, 404, "this table has no `date` column of type date: /api/v1/gold serves daily "
                                        "tables");
        return VL_OK;
    }
    if (!parse_query(g, A, &q, &m)) {
        vl_server_json_error(resp, m.status, m.text);
        return VL_OK;
    }
    /* the dates: by default the newest GOLD_DAYS of the table */
    if (!q.has_to) q.to = q.has_from && (!g->has_dates || g->max_date < q.from) ? q.from : g->max_date;
    if (!q.has_from) q.from = q.to - (GOLD_DAYS - 1);
    q.any_dates = q.has_from || q.has_to || g->has_dates;

    vl_error e = {0};
    int32_t *tcol = vl_calloc(g->n_cols + 1, sizeof(int32_t));
    vl_x_table *t = NULL, *o = NULL;
    vl_buf omitted;
    vl_buf_init(&omitted);
    bool too_many = false, truncated = false;
    int rc = tcol ? VL_OK : vl_error_set(&e, VL_ENOMEM, "out of memory");
    /* an empty table and no dates asked for: no rows */
    if (rc == VL_OK && q.any_dates) rc = run_scan(g, &q, &t, tcol, &too_many, &e);
    if (rc == VL_OK && t && q.grouped) {
        rc = run_group(g, &q, t, tcol, &o, &omitted, &e);
    } else if (rc == VL_OK) {
        o = t;
        t = NULL;
    }
    if (rc == VL_OK && o) {
        truncated = o->n > (size_t)q.limit;
        if (!order_rows(g, &q, o, &rc, &e, &m)) {
            vl_server_json_error(resp, m.status, m.text);
            goto done;
        }
    }
    if (rc == VL_OK && write_rows(g, &q, o, truncated, &omitted, &resp->body) != VL_OK)
        rc = vl_error_set(&e, VL_ENOMEM, "out of memory");
    if (rc == VL_OK) {
        resp->status = 200;
        resp->content_type = "application/json";
        resp->cache_control = "no-store";
    } else if (too_many) {
        char msg[300];
        snprintf(msg, sizeof(msg), "from, to: more than %d rows of gold/%s in the range; narrow it or filter",
                 GOLD_ROWS_MAX, g->name);
        vl_server_json_error(resp, 400, msg);
        rc = VL_OK;
    } else if (rc != VL_ENOTFOUND) {
        answer_error(resp, rc, &e);
        rc = VL_OK;
    } else {
        answer_error(resp, rc, &e); /* kept if the caller does not retry */
    }
done:
    vl_x_table_free(t);
    vl_x_table_free(o);
    vl_buf_free(&omitted);
    vl_free(tcol);
    return rc;
}

static bool valid_name(const char *n) {
    size_t l = strlen(n);
    if (!l || l > GOLD_NAME_MAX) return false;
    for (const char *p = n; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return false;
    return true;
}

static void not_found(vl_http_resp *resp, const char *name) {
    char msg[600];
    if (desc_find(name))
        snprintf(msg, sizeof(msg),
                 "gold/%s does not exist yet: run `vidlake etl run --lake LAKE` (or serve with --etl-interval) to "
                 "build the gold tables",
                 name);
    else
        snprintf(msg, sizeof(msg),
                 "no table gold/%s in the lake: the gold tables are qoe_daily, content_daily, ad_daily, kpi_daily "
                 "and any other under LAKE/gold/ (GET /api/v1/gold lists them); `vidlake etl run` builds them",
                 name);
    vl_server_json_error(resp, 404, msg);
}

static void table(vl_server *s, const char *name, const vl_http_req *req, vl_http_resp *resp) {
    gargs *A = vl_calloc(1, sizeof(*A));
    if (!A) {
        vl_server_json_error(resp, 503, "out of memory");
        return;
    }
    vl_http_req_args(req, arg_collect, A);
    for (int attempt = 0; attempt < 2; attempt++) {
        gsnap *g = NULL;
        vl_error e = {0};
        int rc = gold_acquire(s->gold, s->lake, name, &g, &e);
        if (rc == VL_ENOTFOUND) not_found(resp, name);
        else if (rc) answer_error(resp, rc, &e);
        if (rc) break;
        rc = query(g, A, resp);
        gold_release(s->gold, g);
        if (rc != VL_ENOTFOUND) break;
        cache_drop(s->gold, name); /* a file of the cached snapshot is gone: load the table again */
    }
    vl_free(A);
}

/* ----------------------------------------------------------- GET /api/v1/gold */

typedef struct firstkey {
    char key[VL_STORE_KEY_MAX + 1];
    bool any;
} firstkey;

static int firstkey_cb(void *ctx, const vl_store_obj *obj, vl_error *err) {
    (void)err;
    firstkey *F = ctx;
    snprintf(F->key, sizeof(F->key), "%s", obj->key);
    F->any = true;
    return VL_STORE_STOP;
}

/* The known tables, then the other directories under gold/ (in key order,
 * at most GOLD_CACHE of them), into names. */
static size_t gold_names(vl_store *lake, char names[][GOLD_NAME_MAX + 1], size_t cap) {
    size_t n = 0;
    for (size_t i = 0; i < GOLD_LISTED && n < cap; i++) snprintf(names[n++], GOLD_NAME_MAX + 1, "%s", gold_tables[i].table);
    char after[VL_STORE_KEY_MAX + 8];
    bool has_after = false;
    while (n < cap) {
        firstkey F = {.any = false};
        if (vl_store_list(lake, "gold/", has_after ? after : NULL, firstkey_cb, &F, NULL) != VL_OK || !F.any) break;
        const char *nm = F.key + 5, *sl = strchr(nm, '/');
        if (!sl) { /* a file right under gold/ */
            snprintf(after, sizeof(after), "%s", F.key);
            has_after = true;
            continue;
        }
        char one[GOLD_NAME_MAX + 1];
        size_t l = (size_t)(sl - nm);
        if (l <= GOLD_NAME_MAX) {
            memcpy(one, nm, l);
            one[l] = 0;
            bool dup = !valid_name(one);
            for (size_t i = 0; i < n && !dup; i++) dup = strcmp(names[i], one) == 0;
            if (!dup) snprintf(names[n++], GOLD_NAME_MAX + 1, "%s", one);
        }
        /* past every key of that directory: '/' + 0xff sorts after them all */
        snprintf(after, sizeof(after), "%.*s/\xff", (int)(sl - F.key), F.key);
        has_after = true;
    }
    return n;
}

static void list_tables(vl_server *s, vl_http_resp *resp) {
    char (*names)[GOLD_NAME_MAX + 1] = vl_calloc(GOLD_CACHE + GOLD_LISTED, GOLD_NAME_MAX + 1);
    if (!names) {
        vl_server_json_error(resp, 503, "out of memory");
        return;
    }
    size_t n = gold_names(s->lake, names, GOLD_CACHE + GOLD_LISTED);
    vl_buf *b = &resp->body;
    vl_buf_clear(b);
    int rc = vl_buf_puts(b, "{\"tables\":[");
    size_t shown = 0;
    for (size_t i = 0; i < n && rc == VL_OK; i++) {
        gsnap *g = NULL;
        vl_error e;
        int arc = gold_acquire(s->gold, s->lake, names[i], &g, &e);
        if (arc != VL_OK && i >= GOLD_LISTED) continue; /* not a table (or unreadable): not listed */
        rc = vl_buf_puts(b, shown++ ? ",{\"name\":" : "{\"name\":");
        if (!rc) rc = vl_buf_json_str(b, names[i], strlen(names[i]));
        if (!rc && arc == VL_ENOTFOUND) {
            rc = vl_buf_puts(b, ",\"version\":null,\"from\":null,\"to\":null,\"rows\":0,\"dimensions\":[]}");
        } else if (!rc && arc != VL_OK) {
            rc = vl_buf_puts(b, ",\"version\":null,\"from\":null,\"to\":null,\"rows\":0,\"dimensions\":[],\"error\":");
            if (!rc) rc = vl_buf_json_str(b, e.msg, strlen(e.msg));
            if (!rc) rc = vl_buf_putc(b, '}');
        } else if (!rc) {
            rc = vl_buf_printf(b, ",\"version\":%lld", (long long)g->s->version);
            if (!rc) rc = put_date(b, "from", g->has_dates, g->min_date);
            if (!rc) rc = put_date(b, "to", g->has_dates, g->max_date);
            if (!rc) rc = vl_buf_printf(b, ",\"rows\":%lld,\"dimensions\":[", (long long)g->s->num_records);
            bool first = true;
            for (uint32_t c = 0; c < g->n_cols && !rc; c++) {
                if (g->cols[c].role != G_KEY && g->cols[c].role != G_ATTR) continue;
                if (!first) rc = vl_buf_putc(b, ',');
                if (!rc) rc = vl_buf_json_str(b, g->cols[c].name, strlen(g->cols[c].name));
                first = false;
            }
            if (!rc) rc = vl_buf_puts(b, "]}");
        }
        gold_release(s->gold, g);
    }
    if (!rc) rc = vl_buf_puts(b, "]}\n");
    vl_free(names);
    if (rc) {
        vl_server_json_error(resp, 503, "out of memory");
        return;
    }
    resp->status = 200;
    resp->content_type = "application/json";
    resp->cache_control = "no-store";
}

void vl_server_gold(vl_server *s, const char *rest, const vl_http_req *req, vl_http_resp *resp) {
    if (!s->lake || !s->gold) {
        vl_server_json_error(resp, 404, "this server has no lake");
        return;
    }
    if (!*rest || strcmp(rest, "/") == 0) {
        list_tables(s, resp);
        return;
    }
    const char *name = rest + 1; /* after "/" */
    char one[GOLD_NAME_MAX + 2];
    size_t l = strlen(name);
    if (l && name[l - 1] == '/') l--; /* "/api/v1/gold/kpi_daily/" */
    if (memchr(name, '/', l)) {
        vl_server_json_error(resp, 404, "no such path: /api/v1/gold/<table> takes a table name");
        return;
    }
    if (l > GOLD_NAME_MAX) l = GOLD_NAME_MAX + 1;
    memcpy(one, name, l);
    one[l] = 0;
    if (!valid_name(one)) {
        char msg[200];
        snprintf(msg, sizeof(msg), "table: '%.64s' is not a table name (letters, digits and _, at most %d)", one,
                 GOLD_NAME_MAX);
        vl_server_json_error(resp, 400, msg);
        return;
    }
    table(s, one, req, resp);
}
