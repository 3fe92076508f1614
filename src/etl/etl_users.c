/* vidlake - Apache-2.0 */
/*
 * etl_users: who the viewers are and who is leaving, from gold/user_daily.
 *
 * Both tables are "as of" a day A (the newest day of user_daily), over the
 * 28 days that end with it, one row per user active in them; each run that
 * has new days replaces the table (a history of segments is a query over
 * user_daily away), so an incremental run and --full agree:
 *
 * gold/user_segments, by rules tried in order (docs/metrics.md):
 *   new       first seen in the last 7 days (and never before the window)
 *   lapsing   not active in the last 7 days
 *   binge     2 hours or more of watching per active day, or 3 or more
 *             views per session
 *   weekend   60% or more of the watch time on Saturdays and Sundays
 *   casual    everyone else
 *
 * gold/churn_features: activity over 7 and 28 days and its trend, the
 * quality the user had, dislikes, tier, devices; and a churn score from a
 * logistic regression trained here: the same features as of A - 7, labelled
 * by whether the user came back in the 7 days after, users split 80/20 by a
 * hash of their id; the AUC on the held-out 20% goes to the job's log line
 * and the commit's operationParameters. The training rows are written too
 * (partition A - 7, with their label and split), the scored ones under A.
 * With fewer than 8 days of data there is nothing to learn from yet: the
 * scores are null and the log says why.
 */
#include "etl_int.h"

#include <math.h>
#include <stdlib.h>

#define WINDOW 28

/* Per-user features as of day a (columns below), from the days of
 * user_daily in [a - 27, a]; all_dates: every day of the table. */
enum {
    F_USER, F_TIER, F_COUNTRY, F_DAYS, F_FIRST, F_LAST, F_VIEWS, F_WATCH, F_STALL, F_VSF, F_DISLIKES, F_SESSIONS,
    F_DEVICES, F_VIEWS7, F_WATCH7, F_WKWATCH, F_BEFORE_USER, F_BEFORE_N, N_F
};

static int features(const vl_delta_snapshot *ud, int64_t a, const int64_t *all, size_t n_all, int threads,
                    vl_x_table **out, int64_t *read, vl_error *err) {
    *out = NULL;
    vl_arena ar;
    vl_arena_init(&ar, 0);
    int64_t *win = vl_calloc(n_all + 1, sizeof(int64_t)), *before = vl_calloc(n_all + 1, sizeof(int64_t));
    size_t nw = 0, nb = 0;
    vl_x_table *cur = NULL, *prev = NULL;
    int rc = win && before ? VL_OK : vl_error_set(err, VL_ENOMEM, "out of memory");
    for (size_t i = 0; rc == VL_OK && i < n_all; i++) {
        if (all[i] > a) continue;
        if (all[i] >= a - (WINDOW - 1)) win[nw++] = all[i];
        else before[nb++] = all[i];
    }
    enum { D, U, T, C, V, W, S, F, DL, SE, DV, N_IN };
    static const char *const cols[N_IN] = {"date",     "user_id",  "subscription_tier", "country",
                                           "views",    "watch_ms", "stall_ms",          "vsf",
                                           "dislikes", "sessions", "devices"};
    const vl_x_expr *in7 = OP(GT, COL(D), I(a - 7));
    const vl_x_expr *weekend = OP(GE, OP(MOD, OP(ADD, COL(D), I(3)), I(7)), I(5)); /* 1970-01-01 was a Thursday */
    const vl_x_expr *der[] = {IF(in7, COL(V), I(0)), IF(in7, COL(W), I(0)), IF(weekend, COL(W), I(0))};
    static const uint32_t keys[] = {U};
    static const char *const kn[] = {"user_id"};
    const vl_x_agg_spec aggs[] = {
        {VL_X_AGG_MAX, T, "tier", 0},         {VL_X_AGG_MIN, C, "country", 0},    {VL_X_AGG_COUNT, 0, "days", 0},
        {VL_X_AGG_MIN, D, "first", 0},        {VL_X_AGG_MAX, D, "last", 0},       {VL_X_AGG_SUM, V, "views", 0},
        {VL_X_AGG_SUM, W, "watch", 0},        {VL_X_AGG_SUM, S, "stall", 0},      {VL_X_AGG_SUM, F, "vsf", 0},
        {VL_X_AGG_SUM, DL, "dislikes", 0},    {VL_X_AGG_SUM, SE, "sessions", 0},  {VL_X_AGG_MAX, DV, "devices", 0},
        {VL_X_AGG_SUM, N_IN, "views7", 0},    {VL_X_AGG_SUM, N_IN + 1, "watch7", 0},
        {VL_X_AGG_SUM, N_IN + 2, "wkwatch", 0},
    };
    etl_query q = {.in = ud, .date_col = "date", .dates = win, .n_dates = nw, .cols = cols, .n_cols = N_IN,
                   .derived = der, .n_derived = 3, .keys = keys, .key_names = kn, .n_keys = 1, .aggs = aggs,
                   .n_aggs = N(aggs), .threads = threads};
    if (rc == VL_OK) rc = etl_query_run(&q, &cur, read, err);
    /* who was seen before the window */
    static const char *const pcols[] = {"user_id"};
    static const uint32_t pkeys[] = {0};
    const vl_x_agg_spec paggs[] = {{VL_X_AGG_COUNT, 0, "n", 0}};
    etl_query pq = {.in = ud, .date_col = "date", .dates = before, .n_dates = nb, .cols = pcols, .n_cols = 1,
                    .keys = pkeys, .key_names = kn, .n_keys = 1, .aggs = paggs, .n_aggs = 1, .threads = threads};
    if (rc == VL_OK) rc = etl_query_run(&pq, &prev, read, err);
    if (rc == VL_OK) rc = etl_left_join(cur, prev, 1, out, err); /* + user_id, n of the days before */
    vl_x_table_free(cur);
    vl_x_table_free(prev);
    vl_free(win);
    vl_free(before);
    vl_arena_destroy(&ar);
    return rc;
}

/* The newest day of user_daily and every day of it. */
static int user_days(const vl_delta_snapshot *ud, int64_t **all, size_t *n) {
    return etl_snapshot_dates(ud, "date", all, n);
}

/* ---------------------------------------------------------- user_segments */

static const char SEG_DDL[] =
    "date date, user_id string, segment string, subscription_tier string, country string, active_days_28 long, "
    "views_28 long, watch_hours_28 double, weekend_share double, views_per_session double, "
    "first_active date, last_active date, days_since_last long, returning boolean";

int etl_gold_segments(vl_store *s, const vl_etl_opts *o, vl_etl_job *job, vl_error *err) {
    snprintf(job->table, sizeof(job->table), "gold/user_segments");
    static const char *const in_paths[] = {"gold/user_daily"}, *const dcols[] = {"date"};
    etl_input in = {0};
    etl_input *ins[] = {&in};
    bool due;
    vl_arena ar;
    vl_arena_init(&ar, 0);
    vl_x_table *f = NULL, *outt = NULL;
    int64_t *all = NULL;
    size_t n_all = 0;
    int rc = etl_open_inputs(s, "gold/user_segments", in_paths, dcols, 1, o->full, &in, &due, err);
    if (rc || !due) goto done;
    if (user_days(in.now, &all, &n_all) != VL_OK) {
        rc = vl_error_set(err, VL_ENOMEM, "out of memory");
        goto done;
    }
    if (!n_all) goto done;
    int64_t a = all[n_all - 1];
    rc = features(in.now, a, all, n_all, o->threads, &f, &job->rows_read, err);
    if (rc) goto done;
    const vl_x_expr *hours = OP(DIV, COL(F_WATCH), F(3600000.0));
    const vl_x_expr *is_new = OP(AND, OP(IS_NULL, COL(F_BEFORE_N), NULL), OP(GE, COL(F_FIRST), I(a - 6)));
    const vl_x_expr *lapsing = OP(LE, COL(F_LAST), I(a - 7));
    const vl_x_expr *binge = OP(OR, OP(GE, OP(DIV, hours, COL(F_DAYS)), F(2.0)),
                                OP(GE, OP(DIV, COL(F_VIEWS), COL(F_SESSIONS)), F(3.0)));
    const vl_x_expr *weekend = OP(GE, OP(DIV, COL(F_WKWATCH), COL(F_WATCH)), F(0.6));
    const vl_x_expr *segment =
        IF(is_new, S("new"), IF(lapsing, S("lapsing"), IF(binge, S("binge"), IF(weekend, S("weekend"), S("casual")))));
    static const char *const names[] = {"date", "user_id", "segment", "subscription_tier", "country",
                                        "active_days_28", "views_28", "watch_hours_28", "weekend_share",
                                        "views_per_session", "first_active", "last_active", "days_since_last",
                                        "returning"};
    static const vl_dt_kind kinds[] = {VL_DT_DATE,   VL_DT_STRING, VL_DT_STRING, VL_DT_STRING, VL_DT_STRING,
                                       VL_DT_LONG,   VL_DT_LONG,   VL_DT_DOUBLE, VL_DT_DOUBLE, VL_DT_DOUBLE,
                                       VL_DT_DATE,   VL_DT_DATE,   VL_DT_LONG,   VL_DT_BOOLEAN};
    const vl_x_expr *e[] = {I(a),
                            COL(F_USER),
                            segment,
                            COL(F_TIER),
                            COL(F_COUNTRY),
                            COL(F_DAYS),
                            OP(COALESCE, COL(F_VIEWS), I(0)),
                            OP(COALESCE, hours, F(0.0)),
                            OP(DIV, COL(F_WKWATCH), COL(F_WATCH)),
                            OP(DIV, COL(F_VIEWS), COL(F_SESSIONS)),
                            COL(F_FIRST),
                            COL(F_LAST),
                            OP(SUB, I(a), COL(F_LAST)),
                            OP(NOT, OP(IS_NULL, COL(F_BEFORE_N), NULL), NULL)};
    rc = etl_project(f, names, kinds, e, N(e), &outt, err);
    /* the table is the segmentation as of the newest day: it replaces the last one */
    if (rc == VL_OK) rc = etl_write_gold(s, "gold/user_segments", SEG_DDL, outt, &a, 1, true, ins, 1, NULL, job, err);
    if (rc == VL_OK) job->input_version = in.now->version;
done:
    etl_fail_msg(rc, "gold/user_segments", err);
    vl_x_table_free(f);
    vl_x_table_free(outt);
    vl_free(all);
    etl_input_close(&in);
    vl_arena_destroy(&ar);
    return rc;
}

/* --------------------------------------------------------- churn_features */

static const char CHURN_DDL[] =
    "date date, user_id string, subscription_tier string, days_since_last long, views_7d long, views_28d long, "
    "watch_hours_7d double, watch_hours_28d double, watch_trend double, rebuffering_ratio_28d double, "
    "vsf_28d long, dislikes_28d long, devices long, active_days_28 long, churned boolean, split string, "
    "churn_score double";

enum { C_DATE, C_USER, C_TIER, C_DSL, C_V7, C_V28, C_W7, C_W28, C_TREND, C_REBUF, C_VSF, C_DISL, C_DEV, C_DAYS,
       C_CHURNED, C_SPLIT, C_SCORE, N_C };
#define NX 13 /* model inputs: the 11 numeric features and two tier flags */

/* The churn table's rows for users as of a (churned and split left null). */
static int churn_rows(const vl_x_table *f, int64_t a, vl_x_table **out, vl_error *err) {
    vl_arena ar;
    vl_arena_init(&ar, 0);
    static const char *const names[N_C] = {"date", "user_id", "subscription_tier", "days_since_last", "views_7d",
                                           "views_28d", "watch_hours_7d", "watch_hours_28d", "watch_trend",
                                           "rebuffering_ratio_28d", "vsf_28d", "dislikes_28d", "devices",
                                           "active_days_28", "churned", "split", "churn_score"};
    static const vl_dt_kind kinds[N_C] = {VL_DT_DATE,   VL_DT_STRING, VL_DT_STRING,  VL_DT_LONG,   VL_DT_LONG,
                                          VL_DT_LONG,   VL_DT_DOUBLE, VL_DT_DOUBLE,  VL_DT_DOUBLE, VL_DT_DOUBLE,
                                          VL_DT_LONG,   VL_DT_LONG,   VL_DT_LONG,    VL_DT_LONG,   VL_DT_BOOLEAN,
                                          VL_DT_STRING, VL_DT_DOUBLE};
    const vl_x_expr *w = OP(COALESCE, COL(F_WATCH), I(0)), *w7 = OP(COALESCE, COL(F_WATCH7), I(0));
    const vl_x_expr *st = OP(COALESCE, COL(F_STALL), I(0));
    const vl_x_expr *e[N_C] = {
        I(a), COL(F_USER), COL(F_TIER), OP(SUB, I(a), COL(F_LAST)), OP(COALESCE, COL(F_VIEWS7), I(0)),
        OP(COALESCE, COL(F_VIEWS), I(0)), OP(DIV, w7, F(3600000.0)), OP(DIV, w, F(3600000.0)),
        OP(DIV, w7, OP(DIV, w, F(4.0))), OP(DIV, st, OP(ADD, w, st)), OP(COALESCE, COL(F_VSF), I(0)),
        OP(COALESCE, COL(F_DISLIKES), I(0)), OP(COALESCE, COL(F_DEVICES), I(0)), COL(F_DAYS),
        etl_null(&ar, VL_X_I64), etl_null(&ar, VL_X_STR), etl_null(&ar, VL_X_F64)};
    int rc = etl_project(f, names, kinds, e, N_C, out, err);
    vl_arena_destroy(&ar);
    return rc;
}

/* The model's inputs of row r. */
static void inputs(const vl_x_table *t, size_t r, double *x) {
    static const int num[11] = {C_DSL, C_V7, C_V28, C_W7, C_W28, C_TREND, C_REBUF, C_VSF, C_DISL, C_DEV, C_DAYS};
    for (int k = 0; k < 11; k++) {
        const vl_x_vec *v = &t->vecs[num[k]];
        double d = !v->valid[r] ? 0 : v->type == VL_X_F64 ? v->v.f64[r] : (double)v->v.i64[r];
        if (!isfinite(d)) d = 0;
        if (num[k] == C_TREND && d > 10) d = 10;
        x[k] = d;
    }
    const vl_x_vec *tier = &t->vecs[C_TIER];
    x[11] = tier->valid[r] && vl_sv_eq_cstr(tier->v.str[r], "free");
    x[12] = tier->valid[r] && vl_sv_eq_cstr(tier->v.str[r], "premium");
}

static bool is_test(vl_sv user) { return vl_hash64(user.p, user.n, 0x636875726eull) % 5 == 0; }

/* The area under the ROC curve of scores for labels (ties: half). */
static int cmp_pair(const void *a, const void *b) {
    const double *x = a, *y = b;
    return (x[0] > y[0]) - (x[0] < y[0]);
}
static double auc(const double *score, const bool *label, size_t n) {
    double *p = vl_calloc(n * 2 + 2, sizeof(double));
    if (!p) return NAN;
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        p[2 * i] = score[i];
        p[2 * i + 1] = label[i];
        pos += label[i];
    }
    qsort(p, n, 2 * sizeof(double), cmp_pair);
    double rank_sum = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && p[2 * j] == p[2 * i]) j++;
        double avg = (double)(i + j + 1) / 2.0; /* ranks i+1 .. j */
        for (size_t k = i; k < j; k++)
            if (p[2 * k + 1] != 0) rank_sum += avg;
        i = j;
    }
    vl_free(p);
    size_t neg = n - pos;
    if (!pos || !neg) return NAN;
    return (rank_sum - (double)pos * (double)(pos + 1) / 2.0) / ((double)pos * (double)neg);
}

int etl_gold_churn(vl_store *s, const vl_etl_opts *o, vl_etl_job *job, vl_error *err) {
    snprintf(job->table, sizeof(job->table), "gold/churn_features");
    static const char *const in_paths[] = {"gold/user_daily"}, *const dcols[] = {"date"};
    etl_input in = {0};
    etl_input *ins[] = {&in};
    bool due;
    vl_x_table *fa = NULL, *ft = NULL, *ra = NULL, *rt = NULL, *back = NULL;
    int64_t *all = NULL;
    size_t n_all = 0;
    double *xs = NULL, *mean = NULL, *sd = NULL;
    bool *label = NULL;
    char params[160] = "";
    int rc = etl_open_inputs(s, "gold/churn_features", in_paths, dcols, 1, o->full, &in, &due, err);
    if (rc || !due) goto done;
    if (user_days(in.now, &all, &n_all) != VL_OK) {
        rc = vl_error_set(err, VL_ENOMEM, "out of memory");
        goto done;
    }
    if (!n_all) goto done;
    int64_t a = all[n_all - 1], t = a - 7;
    rc = features(in.now, a, all, n_all, o->threads, &fa, &job->rows_read, err);
    if (rc == VL_OK) rc = churn_rows(fa, a, &ra, err);
    if (rc) goto done;
    bool can_train = all[0] <= t; /* the training day, and the 7 days after it that label it */
    if (!can_train) {
        snprintf(job->note, sizeof(job->note), "no churn model: it needs 8 days of user_daily (has %lld)",
                 (long long)(a - all[0] + 1));
    } else {
        rc = features(in.now, t, all, n_all, o->threads, &ft, &job->rows_read, err);
        if (rc == VL_OK) rc = churn_rows(ft, t, &rt, err);
        /* who came back after t: active on a day in (t, t + 7] */
        int64_t after[7];
        size_t na = 0;
        for (size_t i = 0; i < n_all; i++)
            if (all[i] > t && all[i] <= t + 7) after[na++] = all[i];
        static const char *const bcols[] = {"user_id"};
        static const uint32_t bkeys[] = {0};
        static const char *const bkn[] = {"user_id"};
        const vl_x_agg_spec baggs[] = {{VL_X_AGG_COUNT, 0, "n", 0}};
        etl_query bq = {.in = in.now, .date_col = "date", .dates = after, .n_dates = na, .cols = bcols, .n_cols = 1,
                        .keys = bkeys, .key_names = bkn, .n_keys = 1, .aggs = baggs, .n_aggs = 1,
                        .threads = o->threads};
        if (rc == VL_OK) rc = etl_query_run(&bq, &back, &job->rows_read, err);
        if (rc) goto done;
        etl_idset came = {0};
        for (size_t r = 0; r < back->n && rc == VL_OK; r++) {
            bool fresh;
            if (etl_idset_add(&came, back->vecs[0].v.str[r], &fresh) != VL_OK) rc = vl_error_set(err, VL_ENOMEM, "out of memory");
        }
        size_t n = rt->n;
        xs = vl_calloc(n * NX + 1, sizeof(double));
        label = vl_calloc(n + 1, sizeof(bool));
        mean = vl_calloc(NX, sizeof(double));
        sd = vl_calloc(NX, sizeof(double));
        if (rc == VL_OK && (!xs || !label || !mean || !sd)) rc = vl_error_set(err, VL_ENOMEM, "out of memory");
        size_t n_train = 0;
        for (size_t r = 0; r < n && rc == VL_OK; r++) {
            inputs(rt, r, &xs[r * NX]);
            label[r] = !etl_idset_has(&came, rt->vecs[C_USER].v.str[r]);
            bool test = is_test(rt->vecs[C_USER].v.str[r]);
            vl_x_table_set_i64(rt, C_CHURNED, r, label[r]);
            rc = vl_x_table_set_str(rt, C_SPLIT, r, vl_sv_cstr(test ? "test" : "train"));
            if (!test) {
                n_train++;
                for (int k = 0; k < NX; k++) mean[k] += xs[r * NX + k];
            }
        }
        etl_idset_free(&came);
        if (rc) goto done;
        /* standardise by the training rows, then gradient descent on the log-loss with a little L2 */
        for (int k = 0; k < NX; k++) mean[k] /= n_train ? (double)n_train : 1;
        for (size_t r = 0; r < n; r++)
            if (!is_test(rt->vecs[C_USER].v.str[r]))
                for (int k = 0; k < NX; k++) sd[k] += (xs[r * NX + k] - mean[k]) * (xs[r * NX + k] - mean[k]);
        for (int k = 0; k < NX; k++) sd[k] = n_train > 1 && sd[k] > 0 ? sqrt(sd[k] / (double)(n_train - 1)) : 1;
        double wts[NX + 1] = {0}, grad[NX + 1];
        for (int it = 0; it < 400 && n_train; it++) {
            memset(grad, 0, sizeof(grad));
            for (size_t r = 0; r < n; r++) {
                if (is_test(rt->vecs[C_USER].v.str[r])) continue;
                double z = wts[NX];
                for (int k = 0; k < NX; k++) z += wts[k] * (xs[r * NX + k] - mean[k]) / sd[k];
                double p = 1 / (1 + exp(-z)), g = p - (double)label[r];
                for (int k = 0; k < NX; k++) grad[k] += g * (xs[r * NX + k] - mean[k]) / sd[k];
                grad[NX] += g;
            }
            for (int k = 0; k <= NX; k++) wts[k] -= 0.5 * (grad[k] / (double)n_train + (k < NX ? 1e-3 * wts[k] : 0));
        }
        /* scores: the training day's rows (and the AUC on its test split), then today's */
        size_t nt = 0;
        double *ts = vl_calloc(n + 1, sizeof(double));
        bool *tl = vl_calloc(n + 1, sizeof(bool));
        for (size_t r = 0; r < n && ts && tl; r++) {
            double z = wts[NX];
            for (int k = 0; k < NX; k++) z += wts[k] * (xs[r * NX + k] - mean[k]) / sd[k];
            vl_x_table_set_f64(rt, C_SCORE, r, 1 / (1 + exp(-z)));
            if (is_test(rt->vecs[C_USER].v.str[r])) {
                ts[nt] = 1 / (1 + exp(-z));
                tl[nt++] = label[r];
            }
        }
        double area = ts && tl ? auc(ts, tl, nt) : NAN;
        vl_free(ts);
        vl_free(tl);
        double x[NX];
        for (size_t r = 0; r < ra->n; r++) {
            inputs(ra, r, x);
            double z = wts[NX];
            for (int k = 0; k < NX; k++) z += wts[k] * (x[k] - mean[k]) / sd[k];
            vl_x_table_set_f64(ra, C_SCORE, r, 1 / (1 + exp(-z)));
            if (vl_x_table_set_str(ra, C_SPLIT, r, vl_sv_cstr("score")) != VL_OK) rc = vl_error_set(err, VL_ENOMEM, "out of memory");
        }
        size_t churned = 0;
        for (size_t r = 0; r < n; r++) churned += label[r];
        if (isnan(area)) snprintf(job->note, sizeof(job->note), "churn model: no AUC (the test split has one class)");
        else snprintf(job->note, sizeof(job->note), "churn model trained on %zu users (%zu churned), test AUC %.3f",
                      n_train, churned, area);
        if (isnan(area))
            snprintf(params, sizeof(params), "{\"model\":\"logistic regression\",\"train_rows\":%zu,\"test_auc\":null}",
                     n_train);
        else
            snprintf(params, sizeof(params), "{\"model\":\"logistic regression\",\"train_rows\":%zu,\"test_auc\":%.4f}",
                     n_train, area);
        /* both days' rows go into one table */
        vl_x_batch b = vl_x_table_batch(rt);
        if (rc == VL_OK) rc = vl_x_table_append(ra, &b, err);
    }
    if (rc) goto done;
    int64_t parts[2] = {t, a};
    /* the table is the newest scoring (and its training day): it replaces the last one */
    rc = etl_write_gold(s, "gold/churn_features", CHURN_DDL, ra, can_train ? parts : &parts[1], can_train ? 2 : 1,
                        true, ins, 1, params[0] ? params : NULL, job, err);
    if (rc == VL_OK) job->input_version = in.now->version;
done:
    etl_fail_msg(rc, "gold/churn_features", err);
    vl_x_table_free(fa);
    vl_x_table_free(ft);
    vl_x_table_free(ra);
    vl_x_table_free(rt);
    vl_x_table_free(back);
    vl_free(all);
    vl_free(xs);
    vl_free(mean);
    vl_free(sd);
    vl_free(label);
    etl_input_close(&in);
    return rc;
}
