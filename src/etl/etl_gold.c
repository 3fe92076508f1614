/* vidlake - Apache-2.0 */
/*
 * etl_gold: the daily gold tables, as queries on the execution engine.
 *
 * A gold table is described, not coded: its input (silver/views or
 * silver/events), the columns it reads, derived columns (expressions over a
 * batch, e.g. outcome = 'vsf' as 0/1), the group keys and aggregates, and
 * the output columns as expressions over the aggregates (ratios). The
 * runner scans the input's affected date partitions on every core,
 * evaluates the derived columns per batch, aggregates, evaluates the output
 * columns over the groups, and rewrites those dates of the table in one
 * commit, recording the input versions covered. Formulas: docs/metrics.md.
 *
 * kpi_daily needs distinct users over trailing 7 and 30 days and each
 * user's first day, which are windows over days, not groups of rows: it
 * aggregates (user, day) pairs with the engine and counts the windows with
 * a pass over them sorted by user.
 */
#include "etl_int.h"

#include <math.h>
#include <stdlib.h>

/* ------------------------------------------------------------ the runner */



typedef struct query_run_state {
    const etl_query *q;
    vl_x_agg *g;
    vl_arena ar[64];
    vl_x_vec *vecs[64];
} query_run_state;

static int query_cb(void *ctx, int worker, const vl_x_batch *b, vl_error *err) {
    query_run_state *R = ctx;
    const etl_query *q = R->q;
    vl_arena_reset(&R->ar[worker]);
    vl_x_vec *v = R->vecs[worker];
    memcpy(v, b->cols, q->n_cols * sizeof(vl_x_vec));
    vl_x_batch pb = {.n = b->n, .n_cols = q->n_cols, .cols = v, .sel = b->sel, .n_sel = b->n_sel};
    for (uint32_t d = 0; d < q->n_derived; d++) {
        VL_RETURN_IF_ERR(vl_x_expr_eval(q->derived[d], &pb, &R->ar[worker], &v[q->n_cols + d], err));
        pb.n_cols = q->n_cols + d + 1; /* a derived column may use the ones before it */
    }
    return vl_x_agg_add(R->g, worker, &pb, err);
}

static vl_dt_kind kind_of_type(vl_x_type t) {
    return t == VL_X_I64 ? VL_DT_LONG : t == VL_X_F64 ? VL_DT_DOUBLE : VL_DT_STRING;
}

/* Runs q into *out: the keys, then the aggregates, a row per group. */
int etl_query_run(const etl_query *q, vl_x_table **out, int64_t *rows_read, vl_error *err) {
    *out = NULL;
    const vl_dt_type *st = &q->in->metadata.schema;
    uint32_t n_in = q->n_cols + q->n_derived;
    vl_dt_kind *kinds = vl_calloc(n_in + 1, sizeof(vl_dt_kind));
    vl_x_type *types = vl_calloc(n_in + 1, sizeof(vl_x_type));
    query_run_state R;
    memset(&R, 0, sizeof(R));
    R.q = q;
    vl_arena a;
    vl_arena_init(&a, 0);
    int threads = vl_x_threads(q->threads), rc = VL_OK;
    if (!kinds || !types) rc = vl_error_set(err, VL_ENOMEM, "out of memory");
    for (uint32_t c = 0; c < q->n_cols && rc == VL_OK; c++) {
        const vl_dt_field *fd = vl_delta_field_find(st, vl_sv_cstr(q->cols[c]), NULL);
        if (!fd) {
            rc = vl_error_set(err, VL_ECORRUPT, "the input has no column %s", q->cols[c]);
            break;
        }
        kinds[c] = fd->type.kind;
        rc = vl_x_type_of(&fd->type, q->cols[c], &types[c], err);
    }
    for (uint32_t d = 0; d < q->n_derived && rc == VL_OK; d++) {
        rc = vl_x_expr_type(q->derived[d], types, q->n_cols + d, &types[q->n_cols + d], err);
        kinds[q->n_cols + d] = kind_of_type(types[q->n_cols + d]);
    }
    if (rc == VL_OK)
        rc = vl_x_agg_new(kinds, n_in, q->keys, q->key_names, q->n_keys, q->aggs, q->n_aggs, threads, &R.g, err);
    for (int w = 0; w < threads && rc == VL_OK; w++) {
        vl_arena_init(&R.ar[w], 1 << 16);
        if (!(R.vecs[w] = vl_calloc(n_in + 1, sizeof(vl_x_vec)))) rc = vl_error_set(err, VL_ENOMEM, "out of memory");
    }
    /* "<date_col> IN (...)" [AND (where)] */
    const vl_delta_expr *e = NULL;
    if (rc == VL_OK && q->n_dates) {
        vl_buf text;
        vl_buf_init(&text);
        if (vl_buf_printf(&text, "%s IN (", q->date_col) != VL_OK) rc = VL_ENOMEM;
        for (size_t i = 0; i < q->n_dates && rc == VL_OK; i++) {
            char d[16];
            vl_date_format(d, q->dates[i]);
            d[10] = 0;
            if (vl_buf_printf(&text, "%s'%s'", i ? ", " : "", d) != VL_OK) rc = VL_ENOMEM;
        }
        if (rc == VL_OK && vl_buf_putc(&text, ')') != VL_OK) rc = VL_ENOMEM;
        if (rc == VL_OK && q->where && vl_buf_printf(&text, " AND (%s)", q->where) != VL_OK) rc = VL_ENOMEM;
        if (rc) rc = vl_error_set(err, VL_ENOMEM, "out of memory");
        else rc = vl_delta_expr_parse(vl_buf_cstr(&text), st, &a, &e, err);
        vl_buf_free(&text);
    }
    vl_x_scan_opts so = {.columns = q->cols, .n_columns = q->n_cols, .where = e, .threads = threads};
    vl_x_scan_stats sst = {0};
    if (rc == VL_OK && q->n_dates) rc = vl_x_scan(q->in, &so, query_cb, &R, &sst, err);
    if (rows_read) *rows_read += sst.rows_selected;
    if (rc == VL_OK) rc = vl_x_agg_finish(R.g, out, err);
    for (int w = 0; w < 64; w++) {
        if (R.vecs[w]) vl_arena_destroy(&R.ar[w]);
        vl_free(R.vecs[w]);
    }
    vl_x_agg_free(R.g);
    vl_free(kinds);
    vl_free(types);
    vl_arena_destroy(&a);
    return rc;
}

/* The output table: column i is exprs[i] over t's columns, of kind kinds[i]. */
int etl_project(const vl_x_table *t, const char *const *names, const vl_dt_kind *kinds,
                   const vl_x_expr *const *exprs, uint32_t n, vl_x_table **out, vl_error *err) {
    *out = NULL;
    vl_arena a;
    vl_arena_init(&a, 1 << 16);
    vl_x_vec *v = vl_calloc(n + 1, sizeof(vl_x_vec));
    vl_x_type *tt = vl_calloc(t->n_cols + 1, sizeof(vl_x_type));
    int rc = v && tt ? VL_OK : vl_error_set(err, VL_ENOMEM, "out of memory");
    for (uint32_t c = 0; c < t->n_cols && rc == VL_OK; c++) tt[c] = t->vecs[c].type;
    vl_x_batch tb = vl_x_table_batch(t);
    for (uint32_t i = 0; i < n && rc == VL_OK; i++) {
        vl_x_type xt;
        rc = vl_x_expr_type(exprs[i], tt, t->n_cols, &xt, err);
        if (rc == VL_OK && xt != vl_x_type_of_kind(kinds[i]))
            rc = vl_error_set(err, VL_EINVAL, "output column %s: the expression's type does not fit", names[i]);
        if (rc == VL_OK) rc = vl_x_expr_eval(exprs[i], &tb, &a, &v[i], err);
    }
    if (rc == VL_OK) rc = vl_x_table_new(names, kinds, n, out, err);
    if (rc == VL_OK) {
        vl_x_batch ob = {.n = t->n, .n_cols = n, .cols = v};
        rc = vl_x_table_append(*out, &ob, err);
    }
    if (rc) {
        vl_x_table_free(*out);
        *out = NULL;
    }
    vl_free(v);
    vl_free(tt);
    vl_arena_destroy(&a);
    return rc;
}

int etl_left_join(const vl_x_table *probe, const vl_x_table *build, uint32_t n_keys, vl_x_table **out,
                  vl_error *err) {
    *out = NULL;
    uint32_t n = probe->n_cols + build->n_cols;
    const char **names = vl_calloc(n + 1, sizeof(char *));
    uint32_t *keys = vl_calloc(n_keys + 1, sizeof(uint32_t));
    vl_x_join *j = NULL;
    int rc = names && keys ? VL_OK : vl_error_set(err, VL_ENOMEM, "out of memory");
    for (uint32_t c = 0; rc == VL_OK && c < probe->n_cols; c++) names[c] = probe->names[c];
    for (uint32_t c = 0; rc == VL_OK && c < build->n_cols; c++) names[probe->n_cols + c] = build->names[c];
    for (uint32_t k = 0; rc == VL_OK && k < n_keys; k++) keys[k] = k;
    if (rc == VL_OK)
        rc = vl_x_join_new(build, keys, keys, n_keys, VL_X_JOIN_LEFT, probe->kinds, probe->n_cols, names, 1, &j, err);
    vl_x_batch pb = vl_x_table_batch(probe);
    if (rc == VL_OK) rc = vl_x_join_probe(j, 0, &pb, err);
    if (rc == VL_OK) rc = vl_x_join_finish(j, out, err);
    vl_x_join_free(j);
    vl_free(names);
    vl_free(keys);
    return rc;
}

/* Rewrites dates of gold table `path` with rows t (schema ddl, partition
 * "date"), recording the inputs' versions. */
int etl_write_gold(vl_store *s, const char *path, const char *ddl, const vl_x_table *t, const int64_t *dates,
                   size_t n_dates, bool full, etl_input *const *ins, size_t n_ins, const char *params_json,
                   vl_etl_job *job, vl_error *err) {
    vl_delta_table *tab = NULL;
    vl_delta_txn *x = NULL;
    int rc = vl_delta_table_open(s, path, &tab, err);
    if (rc == VL_OK) rc = vl_delta_txn_begin(tab, &x, err);
    const vl_delta_snapshot *cur = x ? vl_delta_txn_snapshot(x) : NULL;
    if (rc == VL_OK && cur && !full) {
        /* a table written by an older vidlake: new columns are added (nullable) */
        vl_arena a;
        vl_arena_init(&a, 0);
        vl_dt_type st;
        rc = vl_delta_schema_from_ddl(ddl, &a, &st, err);
        if (rc == VL_OK && !vl_delta_type_equal(&st, &cur->metadata.schema)) rc = vl_delta_txn_evolve_schema(x, &st, err);
        vl_arena_destroy(&a);
    }
    if (rc == VL_OK && (!cur || full)) {
        vl_arena a;
        vl_arena_init(&a, 0);
        vl_dt_type st;
        const char *parts[] = {"date"};
        rc = vl_delta_schema_from_ddl(ddl, &a, &st, err);
        if (rc == VL_OK) rc = vl_delta_txn_set_metadata(x, &st, parts, 1, NULL, 0, err);
        vl_arena_destroy(&a);
    }
    size_t removed = 0;
    if (rc == VL_OK && cur && full)
        for (size_t i = 0; i < cur->n_files && rc == VL_OK; i++) rc = vl_delta_txn_remove(x, &cur->files[i], true, err);
    else if (rc == VL_OK) rc = etl_remove_dates(x, "date", dates, n_dates, &removed, err);
    if (rc == VL_OK && t->n) rc = vl_x_table_write_delta(t, x, 0, err);
    if (rc == VL_OK) rc = etl_commit(x, ins, n_ins, full, params_json, job, err);
    if (rc == VL_OK) {
        job->rows_written = (int64_t)t->n;
        job->partitions = n_dates;
    }
    vl_delta_txn_free(x);
    vl_delta_table_close(tab);
    return rc;
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The union of the inputs' changed dates (sorted, distinct) into *out. */
int etl_union_dates(etl_input *const *ins, size_t n, int64_t **out, size_t *n_out) {
    size_t total = 0;
    for (size_t i = 0; i < n; i++) total += ins[i]->n_dates;
    int64_t *d = vl_calloc(total + 1, sizeof(int64_t));
    if (!d) return VL_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < ins[i]->n_dates; j++) d[k++] = ins[i]->dates[j];
    qsort(d, k, sizeof(int64_t), cmp_i64);
    size_t m = 0;
    for (size_t i = 0; i < k; i++)
        if (!m || d[m - 1] != d[i]) d[m++] = d[i];
    *out = d;
    *n_out = m;
    return VL_OK;
}

/* Opens the inputs of a gold table against its latest snapshot; *due is
 * false when every input is covered already. */
int etl_open_inputs(vl_store *s, const char *out_path, const char *const *in_paths, const char *const *date_cols,
                       size_t n, bool full, etl_input *ins, bool *due, vl_error *err) {
    vl_delta_table *ot = NULL;
    vl_delta_snapshot *out = NULL;
    int rc = etl_snapshot(s, out_path, &ot, &out, err);
    *due = false;
    for (size_t i = 0; i < n && rc == VL_OK; i++) {
        rc = etl_input_open(s, in_paths[i], out, full, date_cols[i], &ins[i], err);
        if (rc == VL_OK && ins[i].now && ins[i].done != ins[i].now->version) *due = true;
        if (rc == VL_OK && !ins[i].now) *due = false, i = n; /* an input missing: nothing to do yet */
    }
    /* inputs that moved on without new data (an empty commit, a compaction):
     * nothing to record until they bring some */
    size_t dates = 0;
    for (size_t i = 0; i < n && rc == VL_OK; i++) dates += ins[i].n_dates;
    if (*due && !dates && out && !full) *due = false;
    vl_delta_snapshot_free(out);
    vl_delta_table_close(ot);
    return rc;
}

void etl_fail_msg(int rc, const char *table, vl_error *err) {
    if (!rc || !err) return;
    char msg[sizeof(err->msg)];
    snprintf(msg, sizeof(msg), "%s", err->msg);
    vl_error_set(err, rc, "%s: %s", table, msg);
}



const vl_x_expr *etl_null(vl_arena *ar, vl_x_type t) {
    vl_x_expr *e = vl_arena_alloc(ar, sizeof(*e));
    if (e) {
        memset(e, 0, sizeof(*e));
        e->op = VL_X_E_NULL;
        e->type = t;
    }
    return e;
}

/* -------------------------------------------------------------- qoe_daily */

static const char QOE_DDL[] =
    "date date, device_type string, country string, cdn string, os string, attempts long, plays long, vsf long, "
    "ebvs long, vpf long, vsf_rate double, ebvs_rate double, vpf_rate double, startup_ms_p50 double, "
    "startup_ms_p90 double, watch_hours double, watch_ms long, stall_ms long, rebuffering_ratio double, "
    "avg_bitrate_kbps double";

int etl_gold_qoe(vl_store *s, const vl_etl_opts *o, vl_etl_job *job, vl_error *err) {
    snprintf(job->table, sizeof(job->table), "gold/qoe_daily");
    static const char *const in_paths[] = {"silver/views"}, *const dcols[] = {"view_date"};
    etl_input in = {0};
    etl_input *ins[] = {&in};
    bool due;
    vl_arena ar;
    vl_arena_init(&ar, 0);
    vl_x_table *agg = NULL, *outt = NULL;
    int rc = etl_open_inputs(s, "gold/qoe_daily", in_paths, dcols, 1, o->full, &in, &due, err);
    if (rc || !due) goto done;
    enum { VD, DT, CO, CD, OS, ST, OU, SU, WA, SA, BR, N_IN };
    static const char *const cols[N_IN] = {"view_date", "device_type", "country", "cdn", "os", "started", "outcome",
                                           "startup_ms", "watch_ms", "stall_ms", "avg_bitrate_kbps"};
    enum { X_VSF = N_IN, X_EBVS, X_VPF, X_BRMS, X_BRW };
    const vl_x_expr *derived[] = {
        OP(EQ, COL(OU), S("vsf")), OP(EQ, COL(OU), S("ebvs")), OP(EQ, COL(OU), S("vpf")),
        OP(MUL, COL(BR), COL(WA)), IF(OP(IS_NULL, COL(BR), NULL), NUL(VL_X_I64), COL(WA)),
    };
    static const uint32_t keys[] = {VD, DT, CO, CD, OS};
    static const char *const key_names[] = {"date", "device_type", "country", "cdn", "os"};
    const vl_x_agg_spec aggs[] = {
        {VL_X_AGG_COUNT, 0, "attempts", 0},      {VL_X_AGG_SUM, ST, "plays", 0},
        {VL_X_AGG_SUM, X_VSF, "vsf", 0},         {VL_X_AGG_SUM, X_EBVS, "ebvs", 0},
        {VL_X_AGG_SUM, X_VPF, "vpf", 0},         {VL_X_AGG_QUANTILE, SU, "p50", 0.5},
        {VL_X_AGG_QUANTILE, SU, "p90", 0.9},     {VL_X_AGG_SUM, WA, "watch", 0},
        {VL_X_AGG_SUM, SA, "stall", 0},          {VL_X_AGG_SUM, X_BRMS, "brms", 0},
        {VL_X_AGG_SUM, X_BRW, "brw", 0},
    };
    etl_query q = {.in = in.now, .date_col = "view_date", .dates = in.dates, .n_dates = in.n_dates, .cols = cols,
                .n_cols = N_IN, .derived = derived, .n_derived = N(derived), .keys = keys, .key_names = key_names,
                .n_keys = N(keys), .aggs = aggs, .n_aggs = N(aggs), .threads = o->threads};
    rc = etl_query_run(&q, &agg, &job->rows_read, err);
    if (rc) goto done;
    /* the aggregate table's columns */
    enum { K_D, K_DT, K_CO, K_CD, K_OS, A_ATT, A_PLAYS, A_VSF, A_EBVS, A_VPF, A_P50, A_P90, A_W, A_S, A_BRMS, A_BRW };
    static const char *const out_names[] = {"date", "device_type", "country", "cdn", "os", "attempts", "plays", "vsf",
                                            "ebvs", "vpf", "vsf_rate", "ebvs_rate", "vpf_rate", "startup_ms_p50",
                                            "startup_ms_p90", "watch_hours", "watch_ms", "stall_ms",
                                            "rebuffering_ratio", "avg_bitrate_kbps"};
    static const vl_dt_kind out_kinds[] = {VL_DT_DATE, VL_DT_STRING, VL_DT_STRING, VL_DT_STRING, VL_DT_STRING,
                                           VL_DT_LONG, VL_DT_LONG, VL_DT_LONG, VL_DT_LONG, VL_DT_LONG,
                                           VL_DT_DOUBLE, VL_DT_DOUBLE, VL_DT_DOUBLE, VL_DT_DOUBLE, VL_DT_DOUBLE,
                                           VL_DT_DOUBLE, VL_DT_LONG, VL_DT_LONG, VL_DT_DOUBLE, VL_DT_DOUBLE};
    const vl_x_expr *out_e[] = {
        COL(K_D), COL(K_DT), COL(K_CO), COL(K_CD), COL(K_OS), COL(A_ATT),
        OP(COALESCE, COL(A_PLAYS), I(0)), OP(COALESCE, COL(A_VSF), I(0)), OP(COALESCE, COL(A_EBVS), I(0)),
        OP(COALESCE, COL(A_VPF), I(0)),
        OP(DIV, OP(COALESCE, COL(A_VSF), I(0)), COL(A_ATT)), OP(DIV, OP(COALESCE, COL(A_EBVS), I(0)), COL(A_ATT)),
        OP(DIV, OP(COALESCE, COL(A_VPF), I(0)), COL(A_PLAYS)),
        COL(A_P50), COL(A_P90), OP(DIV, OP(COALESCE, COL(A_W), I(0)), F(3600000.0)),
        OP(COALESCE, COL(A_W), I(0)), OP(COALESCE, COL(A_S), I(0)),
        OP(DIV, OP(COALESCE, COL(A_S), I(0)), OP(ADD, OP(COALESCE, COL(A_W), I(0)), OP(COALESCE, COL(A_S), I(0)))),
        OP(DIV, COL(A_BRMS), COL(A_BRW)),
    };
    rc = etl_project(agg, out_names, out_kinds, out_e, N(out_e), &outt, err);
    if (rc == VL_OK) rc = etl_write_gold(s, "gold/qoe_daily", QOE_DDL, outt, in.dates, in.n_dates, o->full, ins, 1, NULL, job, err);
    if (rc == VL_OK) job->input_version = in.now->version;
done:
    etl_fail_msg(rc, "gold/qoe_daily", err);
    vl_x_table_free(agg);
    vl_x_table_free(outt);
    etl_input_close(&in);
    vl_arena_destroy(&ar);
    return rc;
}

/* ---------------------------------------------------------- content_daily */

static const char CONTENT_DDL[] =
    "date date, content_id string, content_type string, views long, plays long, unique_viewers long, "
    "watch_hours double, completions long, completion_rate double, avg_pct_watched double, "
    "retention_10 double, retention_20 double, retention_30 double, retention_40 double, retention_50 double, "
    "retention_60 double, retention_70 double, retention_80 double, retention_90 double, retention_100 double, "
    "likes long, dislikes long, comments long, shares long";

int etl_gold_content(vl_store *s, const vl_etl_opts *o, vl_etl_job *job, vl_error *err) {
    snprintf(job->table, sizeof(job->table), "gold/content_daily");
    static const char *const in_paths[] = {"silver/views", "silver/events"}, *const dcols[] = {"view_date", "event_date"};
    etl_input in[2];
    memset(in, 0, sizeof(in));
    etl_input *ins[] = {&in[0], &in[1]};
    bool due;
    vl_arena ar;
    vl_arena_init(&ar, 0);
    vl_x_table *va = NULL, *ia = NULL, *joined = NULL, *outt = NULL;
    int64_t *dates = NULL;
    size_t nd = 0;
    int rc = etl_open_inputs(s, "gold/content_daily", in_paths, dcols, 2, o->full, in, &due, err);
    if (rc || !due) goto done;
    if (etl_union_dates(ins, 2, &dates, &nd) != VL_OK) {
        rc = vl_error_set(err, VL_ENOMEM, "out of memory");
        goto done;
    }
    /* the views */
    enum { VD, CI, CT, UI, ST, WA, CP, CR, DU, FU, N_V };
    static const char *const vcols[N_V] = {"view_date", "content_id", "content_type", "user_id", "started",
                                           "watch_ms", "completed", "completion_ratio", "duration_ms", "furthest_ms"};
    enum { X_BASE = N_V, X_PCT, X_R1 };
    const vl_x_expr *base = IF(OP(AND, COL(ST), OP(GT, COL(DU), I(0))), I(1), NUL(VL_X_I64));
    const vl_x_expr *vder[2 + 10];
    vder[0] = base;
    vder[1] = IF(COL(X_BASE), OP(MUL, OP(LEAST, COL(CR), F(1.0)), F(100.0)), NUL(VL_X_F64));
    for (int k = 1; k <= 10; k++)
        vder[1 + k] = IF(COL(X_BASE), OP(GE, OP(MUL, COL(FU), I(10)), OP(MUL, COL(DU), I(k))), NUL(VL_X_I64));
    static const uint32_t vkeys[] = {VD, CI};
    static const char *const vkey_names[] = {"date", "content_id"};
    vl_x_agg_spec vaggs[8 + 10] = {
        {VL_X_AGG_MIN, CT, "content_type", 0}, {VL_X_AGG_COUNT, 0, "views", 0},
        {VL_X_AGG_SUM, ST, "plays", 0},       {VL_X_AGG_COUNT_DISTINCT, UI, "uv", 0},
        {VL_X_AGG_SUM, WA, "watch", 0},       {VL_X_AGG_SUM, CP, "completions", 0},
        {VL_X_AGG_AVG, X_PCT, "pct", 0},      {VL_X_AGG_SUM, X_BASE, "base", 0},
    };
    static const char *const rnames[10] = {"r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10"};
    for (int k = 0; k < 10; k++) vaggs[8 + k] = (vl_x_agg_spec){VL_X_AGG_SUM, (uint32_t)(X_R1 + k), rnames[k], 0};
    etl_query qv = {.in = in[0].now, .date_col = "view_date", .dates = dates, .n_dates = nd,
                 .where = "content_id IS NOT NULL", .cols = vcols, .n_cols = N_V, .derived = vder, .n_derived = 12,
                 .keys = vkeys, .key_names = vkey_names, .n_keys = 2, .aggs = vaggs, .n_aggs = 18,
                 .threads = o->threads};
    rc = etl_query_run(&qv, &va, &job->rows_read, err);
    if (rc) goto done;
    /* the interactions */
    enum { ED, EC, ET, N_E };
    static const char *const ecols[N_E] = {"event_date", "content_id", "event_type"};
    const vl_x_expr *eder[] = {OP(EQ, COL(ET), S("like")), OP(EQ, COL(ET), S("dislike")), OP(EQ, COL(ET), S("comment")),
                               OP(EQ, COL(ET), S("share"))};
    static const uint32_t ekeys[] = {ED, EC};
    static const char *const ekey_names[] = {"date", "content_id"};
    const vl_x_agg_spec eaggs[] = {{VL_X_AGG_SUM, N_E, "likes", 0}, {VL_X_AGG_SUM, N_E + 1, "dislikes", 0},
                                   {VL_X_AGG_SUM, N_E + 2, "comments", 0}, {VL_X_AGG_SUM, N_E + 3, "shares", 0}};
    etl_query qe = {.in = in[1].now, .date_col = "event_date", .dates = dates, .n_dates = nd,
                 .where = "content_id IS NOT NULL AND event_type IN ('like', 'dislike', 'comment', 'share')",
                 .cols = ecols, .n_cols = N_E, .derived = eder, .n_derived = 4, .keys = ekeys, .key_names = ekey_names,
                 .n_keys = 2, .aggs = eaggs, .n_aggs = 4, .threads = o->threads};
    rc = etl_query_run(&qe, &ia, &job->rows_read, err);
    if (rc) goto done;
    /* views LEFT JOIN interactions ON (date, content_id) */
    rc = etl_left_join(va, ia, 2, &joined, err);
    if (rc) goto done;
    /* joined: date, content_id, content_type, views, plays, uv, watch, completions, pct, base, r1..r10,
     * date, content_id, likes, dislikes, comments, shares */
    enum { J_D, J_C, J_CT, J_V, J_P, J_UV, J_W, J_CP, J_PCT, J_BASE, J_R1, J_L = J_R1 + 10 + 2 };
    static const char *const out_names[] = {
        "date", "content_id", "content_type", "views", "plays", "unique_viewers", "watch_hours", "completions",
        "completion_rate", "avg_pct_watched", "retention_10", "retention_20", "retention_30", "retention_40",
        "retention_50", "retention_60", "retention_70", "retention_80", "retention_90", "retention_100", "likes",
        "dislikes", "comments", "shares"};
    vl_dt_kind out_kinds[24];
    const vl_x_expr *out_e[24];
    int k = 0;
    out_kinds[k] = VL_DT_DATE, out_e[k++] = COL(J_D);
    out_kinds[k] = VL_DT_STRING, out_e[k++] = COL(J_C);
    out_kinds[k] = VL_DT_STRING, out_e[k++] = COL(J_CT);
    out_kinds[k] = VL_DT_LONG, out_e[k++] = COL(J_V);
    out_kinds[k] = VL_DT_LONG, out_e[k++] = OP(COALESCE, COL(J_P), I(0));
    out_kinds[k] = VL_DT_LONG, out_e[k++] = COL(J_UV);
    out_kinds[k] = VL_DT_DOUBLE, out_e[k++] = OP(DIV, OP(COALESCE, COL(J_W), I(0)), F(3600000.0));
    out_kinds[k] = VL_DT_LONG, out_e[k++] = OP(COALESCE, COL(J_CP), I(0));
    out_kinds[k] = VL_DT_DOUBLE, out_e[k++] = OP(DIV, OP(COALESCE, COL(J_CP), I(0)), COL(J_P));
    out_kinds[k] = VL_DT_DOUBLE, out_e[k++] = COL(J_PCT);
    for (int r = 0; r < 10; r++) out_kinds[k] = VL_DT_DOUBLE, out_e[k++] = OP(DIV, COL((uint32_t)(J_R1 + r)), COL(J_BASE));
    for (int r = 0; r < 4; r++) out_kinds[k] = VL_DT_LONG, out_e[k++] = OP(COALESCE, COL((uint32_t)(J_L + r)), I(0));
    rc = etl_project(joined, out_names, out_kinds, out_e, (uint32_t)k, &outt, err);
    if (rc == VL_OK) rc = etl_write_gold(s, "gold/content_daily", CONTENT_DDL, outt, dates, nd, o->full, ins, 2, NULL, job, err);
    if (rc == VL_OK) job->input_version = in[0].now->version;
done:
    etl_fail_msg(rc, "gold/content_daily", err);
    vl_x_table_free(va);
    vl_x_table_free(ia);
    vl_x_table_free(joined);
    vl_x_table_free(outt);
    vl_free(dates);
    etl_input_close(&in[0]);
    etl_input_close(&in[1]);
    vl_arena_destroy(&ar);
    return rc;
}

/* --------------------------------------------------------------- ad_daily */

static const char AD_DDL[] =
    "date date, ad_campaign_id string, ad_position string, impressions long, clicks long, completes long, "
    "skips long, ctr double, completion_rate double, skip_rate double, revenue_usd double, ecpm_usd double";

int etl_gold_ads(vl_store *s, const vl_etl_opts *o, vl_etl_job *job, vl_error *err) {
    snprintf(job->table, sizeof(job->table), "gold/ad_daily");
    static const char *const in_paths[] = {"silver/events"}, *const dcols[] = {"event_date"};
    etl_input in = {0};
    etl_input *ins[] = {&in};
    bool due;
    vl_arena ar;
    vl_arena_init(&ar, 0);
    vl_x_table *agg = NULL, *outt = NULL;
    int rc = etl_open_inputs(s, "gold/ad_daily", in_paths, dcols, 1, o->full, &in, &due, err);
    if (rc || !due) goto done;
    enum { ED, CA, PO, ET, RV, N_IN };
    static const char *const cols[N_IN] = {"event_date", "ad_campaign_id", "ad_position", "event_type",
                                           "ad_revenue_usd"};
    /* revenue summed exactly, in micro-dollars: the sum does not depend on the order */
    const vl_x_expr *derived[] = {OP(EQ, COL(ET), S("ad_impression")), OP(EQ, COL(ET), S("ad_click")),
                                  OP(EQ, COL(ET), S("ad_complete")), OP(EQ, COL(ET), S("ad_skip")),
                                  OP(ROUND, OP(MUL, COL(RV), F(1e6)), NULL)};
    static const uint32_t keys[] = {ED, CA, PO};
    static const char *const key_names[] = {"date", "ad_campaign_id", "ad_position"};
    const vl_x_agg_spec aggs[] = {{VL_X_AGG_SUM, N_IN, "i", 0},     {VL_X_AGG_SUM, N_IN + 1, "c", 0},
                                  {VL_X_AGG_SUM, N_IN + 2, "co", 0}, {VL_X_AGG_SUM, N_IN + 3, "s", 0},
                                  {VL_X_AGG_SUM, N_IN + 4, "rev", 0}};
    etl_query q = {.in = in.now, .date_col = "event_date", .dates = in.dates, .n_dates = in.n_dates,
                .where = "event_type IN ('ad_impression', 'ad_click', 'ad_complete', 'ad_skip')", .cols = cols,
                .n_cols = N_IN, .derived = derived, .n_derived = N(derived), .keys = keys, .key_names = key_names,
                .n_keys = N(keys), .aggs = aggs, .n_aggs = N(aggs), .threads = o->threads};
    rc = etl_query_run(&q, &agg, &job->rows_read, err);
    if (rc) goto done;
    enum { K_D, K_C, K_P, A_I, A_C, A_CO, A_S, A_R };
    static const char *const out_names[] = {"date", "ad_campaign_id", "ad_position", "impressions", "clicks",
                                            "completes", "skips", "ctr", "completion_rate", "skip_rate",
                                            "revenue_usd", "ecpm_usd"};
    static const vl_dt_kind out_kinds[] = {VL_DT_DATE, VL_DT_STRING, VL_DT_STRING, VL_DT_LONG, VL_DT_LONG, VL_DT_LONG,
                                           VL_DT_LONG, VL_DT_DOUBLE, VL_DT_DOUBLE, VL_DT_DOUBLE, VL_DT_DOUBLE,
                                           VL_DT_DOUBLE};
    const vl_x_expr *imp = OP(COALESCE, COL(A_I), I(0)), *rev = OP(DIV, OP(COALESCE, COL(A_R), I(0)), F(1e6));
    const vl_x_expr *out_e[] = {
        COL(K_D), COL(K_C), COL(K_P), imp, OP(COALESCE, COL(A_C), I(0)), OP(COALESCE, COL(A_CO), I(0)),
        OP(COALESCE, COL(A_S), I(0)), OP(DIV, OP(COALESCE, COL(A_C), I(0)), imp),
        OP(DIV, OP(COALESCE, COL(A_CO), I(0)), imp), OP(DIV, OP(COALESCE, COL(A_S), I(0)), imp), rev,
        OP(MUL, OP(DIV, rev, imp), F(1000.0)),
    };
    rc = etl_project(agg, out_names, out_kinds, out_e, N(out_e), &outt, err);
    if (rc == VL_OK) rc = etl_write_gold(s, "gold/ad_daily", AD_DDL, outt, in.dates, in.n_dates, o->full, ins, 1, NULL, job, err);
    if (rc == VL_OK) job->input_version = in.now->version;
done:
    etl_fail_msg(rc, "gold/ad_daily", err);
    vl_x_table_free(agg);
    vl_x_table_free(outt);
    etl_input_close(&in);
    vl_arena_destroy(&ar);
    return rc;
}

/* -------------------------------------------------------------- kpi_daily */

static const char KPI_DDL[] =
    "date date, dau long, wau long, mau long, stickiness double, new_users long, attempts long, plays long, "
    "watch_hours double, ad_revenue_usd double, vsf_rate double, rebuffering_ratio double, churn_rate_7d double";

/* Per day of kpi_daily's window: DAU, WAU, MAU, new users, users active in
 * the week before last, and those of them not active in the last week. */
#define NK 6

/* The distinct dates of a snapshot's date partitions, ascending. */
int etl_snapshot_dates(const vl_delta_snapshot *s, const char *col, int64_t **out, size_t *n_out) {
    int64_t *d = vl_calloc(s->n_files + 1, sizeof(int64_t));
    if (!d) return VL_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < s->n_files; i++)
        if (etl_file_date(s, &s->files[i], col, &d[k])) k++;
    qsort(d, k, sizeof(int64_t), cmp_i64);
    size_t m = 0;
    for (size_t i = 0; i < k; i++)
        if (!m || d[m - 1] != d[i]) d[m++] = d[i];
    *out = d;
    *n_out = m;
    return VL_OK;
}

int etl_gold_kpi(vl_store *s, const vl_etl_opts *o, vl_etl_job *job, vl_error *err) {
    snprintf(job->table, sizeof(job->table), "gold/kpi_daily");
    static const char *const in_paths[] = {"silver/events", "silver/views"}, *const dcols[] = {"event_date", "view_date"};
    etl_input in[2];
    memset(in, 0, sizeof(in));
    etl_input *ins[] = {&in[0], &in[1]};
    bool due;
    vl_arena ar;
    vl_arena_init(&ar, 0);
    vl_x_table *ud = NULL, *va = NULL, *ra = NULL, *outt = NULL;
    int64_t *changed = NULL, *all = NULL, *targets = NULL, *win = NULL, *before = NULL;
    int64_t *cnt = NULL; /* per day from lo: dau, wau, mau, new */
    size_t n_changed = 0, n_all = 0, nt = 0, nw = 0, nb = 0;
    etl_idset seen = {0};
    pthread_mutex_t seen_mu;
    pthread_mutex_init(&seen_mu, NULL);
    etl_idsink S = {&seen, &seen_mu};
    int rc = etl_open_inputs(s, "gold/kpi_daily", in_paths, dcols, 2, o->full, in, &due, err);
    if (rc || !due) goto done;
    if (etl_union_dates(ins, 2, &changed, &n_changed) != VL_OK || etl_snapshot_dates(in[0].now, "event_date", &all, &n_all)) {
        rc = vl_error_set(err, VL_ENOMEM, "out of memory");
        goto done;
    }
    if (!n_changed || !n_all) goto done;
    /* a day's WAU, MAU and new users depend on the days before it: every
     * day from the first changed one on is computed again */
    targets = vl_calloc(n_all + 1, sizeof(int64_t));
    win = vl_calloc(n_all + 1, sizeof(int64_t));
    before = vl_calloc(n_all + 1, sizeof(int64_t));
    if (!targets || !win || !before) {
        rc = vl_error_set(err, VL_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n_all; i++) {
        if (all[i] >= changed[0]) targets[nt++] = all[i];
        if (all[i] >= changed[0] - 29) win[nw++] = all[i];
        else before[nb++] = all[i];
    }
    if (!nt) goto done;
    int64_t lo = win[0], hi = targets[nt - 1];
    /* users seen before the window */
    if (nb) {
        char text[64];
        vl_buf t;
        vl_buf_init(&t);
        char d[16];
        vl_date_format(d, win[0]);
        d[10] = 0;
        snprintf(text, sizeof(text), "event_date < '%s'", d);
        const vl_delta_expr *e = NULL;
        rc = vl_delta_expr_parse(text, &in[0].now->metadata.schema, &ar, &e, err);
        static const char *const uc[] = {"user_id"};
        vl_x_scan_opts so = {.columns = uc, .n_columns = 1, .where = e, .threads = o->threads};
        if (rc == VL_OK) rc = vl_x_scan(in[0].now, &so, etl_idsink_cb, &S, NULL, err);
        vl_buf_free(&t);
        if (rc) goto done;
    }
    /* distinct (user, day) in the window */
    {
        static const char *const cols[] = {"event_date", "user_id"};
        static const uint32_t keys[] = {0, 1};
        static const char *const kn[] = {"day", "user_id"};
        etl_query q = {.in = in[0].now, .date_col = "event_date", .dates = win, .n_dates = nw, .cols = cols, .n_cols = 2,
                    .keys = keys, .key_names = kn, .n_keys = 2, .threads = o->threads};
        rc = etl_query_run(&q, &ud, &job->rows_read, err);
        if (rc) goto done;
        vl_x_sort_key sk[] = {{1, false}, {0, false}};
        rc = vl_x_table_sort(ud, sk, 2, -1, err);
        if (rc) goto done;
    }
    size_t span = (size_t)(hi - lo + 1);
    cnt = vl_calloc(span * NK + NK, sizeof(int64_t));
    if (!cnt) {
        rc = vl_error_set(err, VL_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t r = 0; r < ud->n;) {
        size_t e = r + 1;
        while (e < ud->n && vl_x_cell_eq(&ud->vecs[1], r, &ud->vecs[1], e)) e++;
        int64_t wau_upto = INT64_MIN, mau_upto = INT64_MIN;
        bool was_seen = etl_idset_has(&seen, ud->vecs[1].v.str[r]);
        for (size_t k = r; k < e; k++) {
            int64_t day = ud->vecs[0].v.i64[k];
            if (k == r && !was_seen) cnt[(day - lo) * NK + 3]++; /* new */
            cnt[(day - lo) * NK + 0]++;                     /* dau */
            for (int64_t d = day > wau_upto + 1 ? day : wau_upto + 1; d <= day + 6 && d <= hi; d++) cnt[(d - lo) * NK + 1]++;
            if (day + 6 > wau_upto) wau_upto = day + 6;
            for (int64_t d = day > mau_upto + 1 ? day : mau_upto + 1; d <= day + 29 && d <= hi; d++) cnt[(d - lo) * NK + 2]++;
            if (day + 29 > mau_upto) mau_upto = day + 29;
        }
        /* churn: active in the week before last (D-13 .. D-7), then not in the last (D-6 .. D) */
        const int64_t *days = ud->vecs[0].v.i64;
        for (size_t ti = 0; ti < nt; ti++) {
            int64_t d = targets[ti];
            bool prev = false, cur = false;
            for (size_t k = r; k < e; k++) {
                prev |= days[k] >= d - 13 && days[k] <= d - 7;
                cur |= days[k] >= d - 6 && days[k] <= d;
            }
            if (prev) {
                cnt[(d - lo) * NK + 4]++;
                if (!cur) cnt[(d - lo) * NK + 5]++;
            }
        }
        r = e;
    }
    /* the views and the revenue of the target days */
    {
        static const char *const cols[] = {"view_date", "started", "watch_ms", "stall_ms", "outcome"};
        const vl_x_expr *der[] = {OP(EQ, COL(4), S("vsf"))};
        static const uint32_t keys[] = {0};
        static const char *const kn[] = {"day"};
        const vl_x_agg_spec aggs[] = {{VL_X_AGG_COUNT, 0, "attempts", 0}, {VL_X_AGG_SUM, 1, "plays", 0},
                                      {VL_X_AGG_SUM, 2, "watch", 0},      {VL_X_AGG_SUM, 3, "stall", 0},
                                      {VL_X_AGG_SUM, 5, "vsf", 0}};
        etl_query q = {.in = in[1].now, .date_col = "view_date", .dates = targets, .n_dates = nt, .cols = cols,
                    .n_cols = 5, .derived = der, .n_derived = 1, .keys = keys, .key_names = kn, .n_keys = 1,
                    .aggs = aggs, .n_aggs = 5, .threads = o->threads};
        if (in[1].now) rc = etl_query_run(&q, &va, &job->rows_read, err);
        if (rc) goto done;
        static const char *const rcols[] = {"event_date", "ad_revenue_usd"};
        const vl_x_expr *micros[] = {OP(ROUND, OP(MUL, COL(1), F(1e6)), NULL)};
        const vl_x_agg_spec raggs[] = {{VL_X_AGG_SUM, 2, "rev", 0}};
        etl_query rq = {.in = in[0].now, .date_col = "event_date", .dates = targets, .n_dates = nt,
                     .where = "ad_revenue_usd IS NOT NULL", .cols = rcols, .n_cols = 2, .derived = micros,
                     .n_derived = 1, .keys = keys, .key_names = kn, .n_keys = 1, .aggs = raggs, .n_aggs = 1,
                     .threads = o->threads};
        rc = etl_query_run(&rq, &ra, &job->rows_read, err);
        if (rc) goto done;
    }
    static const char *const names[] = {"date", "dau", "wau", "mau", "stickiness", "new_users", "attempts", "plays",
                                        "watch_hours", "ad_revenue_usd", "vsf_rate", "rebuffering_ratio",
                                        "churn_rate_7d"};
    static const vl_dt_kind kinds[] = {VL_DT_DATE, VL_DT_LONG, VL_DT_LONG, VL_DT_LONG, VL_DT_DOUBLE, VL_DT_LONG,
                                       VL_DT_LONG, VL_DT_LONG, VL_DT_DOUBLE, VL_DT_DOUBLE, VL_DT_DOUBLE, VL_DT_DOUBLE,
                                       VL_DT_DOUBLE};
    rc = vl_x_table_new(names, kinds, 13, &outt, err);
    for (size_t i = 0; i < nt && rc == VL_OK; i++) {
        int64_t d = targets[i];
        const int64_t *c = &cnt[(d - lo) * NK];
        if (vl_x_table_row_add(outt) != VL_OK) {
            rc = vl_error_set(err, VL_ENOMEM, "out of memory");
            break;
        }
        size_t row = outt->n - 1;
        vl_x_table_set_i64(outt, 0, row, d);
        vl_x_table_set_i64(outt, 1, row, c[0]);
        vl_x_table_set_i64(outt, 2, row, c[1]);
        vl_x_table_set_i64(outt, 3, row, c[2]);
        if (c[2]) vl_x_table_set_f64(outt, 4, row, (double)c[0] / (double)c[2]);
        vl_x_table_set_i64(outt, 5, row, c[3]);
        int64_t att = 0, plays = 0, watch = 0, stall = 0, vsf = 0;
        for (size_t k = 0; va && k < va->n; k++) {
            if (va->vecs[0].v.i64[k] != d) continue;
            const vl_x_vec *v = va->vecs;
            att = v[1].v.i64[k];
            plays = v[2].valid[k] ? v[2].v.i64[k] : 0;
            watch = v[3].valid[k] ? v[3].v.i64[k] : 0;
            stall = v[4].valid[k] ? v[4].v.i64[k] : 0;
            vsf = v[5].valid[k] ? v[5].v.i64[k] : 0;
        }
        double rev = 0;
        for (size_t k = 0; k < ra->n; k++)
            if (ra->vecs[0].v.i64[k] == d && ra->vecs[1].valid[k]) rev = (double)ra->vecs[1].v.i64[k] / 1e6;
        vl_x_table_set_i64(outt, 6, row, att);
        vl_x_table_set_i64(outt, 7, row, plays);
        vl_x_table_set_f64(outt, 8, row, (double)watch / 3600000.0);
        vl_x_table_set_f64(outt, 9, row, rev);
        if (att) vl_x_table_set_f64(outt, 10, row, (double)vsf / (double)att);
        if (watch + stall) vl_x_table_set_f64(outt, 11, row, (double)stall / (double)(watch + stall));
        /* only once the week before last is inside the data */
        if (c[4] && d - 13 >= all[0]) vl_x_table_set_f64(outt, 12, row, (double)c[5] / (double)c[4]);
    }
    if (rc == VL_OK) rc = etl_write_gold(s, "gold/kpi_daily", KPI_DDL, outt, targets, nt, o->full, ins, 2, NULL, job, err);
    if (rc == VL_OK) job->input_version = in[0].now->version;
done:
    etl_fail_msg(rc, "gold/kpi_daily", err);
    vl_x_table_free(ud);
    vl_x_table_free(va);
    vl_x_table_free(ra);
    vl_x_table_free(outt);
    vl_free(changed);
    vl_free(all);
    vl_free(targets);
    vl_free(win);
    vl_free(before);
    vl_free(cnt);
    etl_idset_free(&seen);
    pthread_mutex_destroy(&seen_mu);
    etl_input_close(&in[0]);
    etl_input_close(&in[1]);
    vl_arena_destroy(&ar);
    return rc;
}

/* ------------------------------------------------------------- user_daily */

static const char USER_DDL[] =
    "date date, user_id string, country string, subscription_tier string, events long, sessions long, "
    "views long, plays long, watch_ms long, stall_ms long, vsf long, contents long, devices long, "
    "ad_impressions long, likes long, dislikes long, comments long, shares long, subscribes long";

int etl_gold_users(vl_store *s, const vl_etl_opts *o, vl_etl_job *job, vl_error *err) {
    snprintf(job->table, sizeof(job->table), "gold/user_daily");
    static const char *const in_paths[] = {"silver/events", "silver/views"}, *const dcols[] = {"event_date", "view_date"};
    etl_input in[2];
    memset(in, 0, sizeof(in));
    etl_input *ins[] = {&in[0], &in[1]};
    bool due;
    vl_arena ar;
    vl_arena_init(&ar, 0);
    vl_x_table *ea = NULL, *va = NULL, *joined = NULL, *outt = NULL;
    int64_t *dates = NULL;
    size_t nd = 0;
    int rc = etl_open_inputs(s, "gold/user_daily", in_paths, dcols, 2, o->full, in, &due, err);
    if (rc || !due) goto done;
    if (etl_union_dates(ins, 2, &dates, &nd) != VL_OK) {
        rc = vl_error_set(err, VL_ENOMEM, "out of memory");
        goto done;
    }
    /* every user with an event that day, with its interactions */
    enum { ED, UI, SI, CO, TI, ET, N_E };
    static const char *const ecols[N_E] = {"event_date", "user_id", "session_id", "country", "subscription_tier",
                                           "event_type"};
    const vl_x_expr *eder[] = {OP(EQ, COL(ET), S("like")), OP(EQ, COL(ET), S("dislike")),
                               OP(EQ, COL(ET), S("comment")), OP(EQ, COL(ET), S("share")),
                               OP(EQ, COL(ET), S("subscribe"))};
    static const uint32_t ekeys[] = {ED, UI};
    static const char *const ekn[] = {"date", "user_id"};
    const vl_x_agg_spec eaggs[] = {
        {VL_X_AGG_MIN, CO, "country", 0},        {VL_X_AGG_MAX, TI, "subscription_tier", 0},
        {VL_X_AGG_COUNT, 0, "events", 0},        {VL_X_AGG_COUNT_DISTINCT, SI, "sessions", 0},
        {VL_X_AGG_SUM, N_E, "likes", 0},         {VL_X_AGG_SUM, N_E + 1, "dislikes", 0},
        {VL_X_AGG_SUM, N_E + 2, "comments", 0},  {VL_X_AGG_SUM, N_E + 3, "shares", 0},
        {VL_X_AGG_SUM, N_E + 4, "subscribes", 0},
    };
    etl_query qe = {.in = in[0].now, .date_col = "event_date", .dates = dates, .n_dates = nd, .cols = ecols,
                 .n_cols = N_E, .derived = eder, .n_derived = N(eder), .keys = ekeys, .key_names = ekn, .n_keys = 2,
                 .aggs = eaggs, .n_aggs = N(eaggs), .threads = o->threads};
    rc = etl_query_run(&qe, &ea, &job->rows_read, err);
    if (rc) goto done;
    /* their views */
    enum { VD, VU, ST, WA, SA, OU, CI, DT, AI, N_V };
    static const char *const vcols[N_V] = {"view_date", "user_id", "started", "watch_ms", "stall_ms", "outcome",
                                           "content_id", "device_type", "ad_impressions"};
    const vl_x_expr *vder[] = {OP(EQ, COL(OU), S("vsf"))};
    static const uint32_t vkeys[] = {VD, VU};
    const vl_x_agg_spec vaggs[] = {
        {VL_X_AGG_COUNT, 0, "views", 0},           {VL_X_AGG_SUM, ST, "plays", 0},
        {VL_X_AGG_SUM, WA, "watch", 0},            {VL_X_AGG_SUM, SA, "stall", 0},
        {VL_X_AGG_SUM, N_V, "vsf", 0},             {VL_X_AGG_COUNT_DISTINCT, CI, "contents", 0},
        {VL_X_AGG_COUNT_DISTINCT, DT, "devices", 0}, {VL_X_AGG_SUM, AI, "ads", 0},
    };
    etl_query qv = {.in = in[1].now, .date_col = "view_date", .dates = dates, .n_dates = nd, .cols = vcols,
                 .n_cols = N_V, .derived = vder, .n_derived = 1, .keys = vkeys, .key_names = ekn, .n_keys = 2,
                 .aggs = vaggs, .n_aggs = N(vaggs), .threads = o->threads};
    rc = etl_query_run(&qv, &va, &job->rows_read, err);
    if (rc) goto done;
    /* users' events LEFT JOIN their views ON (date, user_id) */
    rc = etl_left_join(ea, va, 2, &joined, err);
    if (rc) goto done;
    /* joined: date, user_id, country, tier, events, sessions, likes, dislikes, comments, shares, subscribes,
     * date, user_id, views, plays, watch, stall, vsf, contents, devices, ads */
    enum { J_D, J_U, J_C, J_T, J_EV, J_SE, J_L, J_DL, J_CM, J_SH, J_SU, J_VD, J_VU, J_V, J_P, J_W, J_S, J_F, J_CT,
           J_DV, J_A };
    static const char *const out_names[] = {"date", "user_id", "country", "subscription_tier", "events", "sessions",
                                            "views", "plays", "watch_ms", "stall_ms", "vsf", "contents", "devices",
                                            "ad_impressions", "likes", "dislikes", "comments", "shares",
                                            "subscribes"};
    static const vl_dt_kind out_kinds[] = {VL_DT_DATE, VL_DT_STRING, VL_DT_STRING, VL_DT_STRING, VL_DT_LONG,
                                           VL_DT_LONG, VL_DT_LONG, VL_DT_LONG, VL_DT_LONG, VL_DT_LONG, VL_DT_LONG,
                                           VL_DT_LONG, VL_DT_LONG, VL_DT_LONG, VL_DT_LONG, VL_DT_LONG, VL_DT_LONG,
                                           VL_DT_LONG, VL_DT_LONG};
#define Z(c) OP(COALESCE, COL(c), I(0))
    const vl_x_expr *out_e[] = {COL(J_D), COL(J_U), COL(J_C), COL(J_T), COL(J_EV), COL(J_SE), Z(J_V), Z(J_P),
                                Z(J_W), Z(J_S), Z(J_F), Z(J_CT), Z(J_DV), Z(J_A), Z(J_L), Z(J_DL), Z(J_CM), Z(J_SH),
                                Z(J_SU)};
#undef Z
    rc = etl_project(joined, out_names, out_kinds, out_e, N(out_e), &outt, err);
    if (rc == VL_OK) rc = etl_write_gold(s, "gold/user_daily", USER_DDL, outt, dates, nd, o->full, ins, 2, NULL, job, err);
    if (rc == VL_OK) job->input_version = in[0].now->version;
done:
    etl_fail_msg(rc, "gold/user_daily", err);
    vl_x_table_free(ea);
    vl_x_table_free(va);
    vl_x_table_free(joined);
    vl_x_table_free(outt);
    vl_free(dates);
    etl_input_close(&in[0]);
    etl_input_close(&in[1]);
    vl_arena_destroy(&ar);
    return rc;
}
