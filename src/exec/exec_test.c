/* vidlake - Apache-2.0 */
/*
 * Unit tests for the execution engine's scan, filters, aggregation and
 * Delta writer, against brute force over the same rows kept in memory:
 * a random table (every engine type, nulls, a date partition, several
 * commits and files) is written through vl_x_table_write_delta, then
 *  - scanned back on 2 workers in small batches: the same rows;
 *  - filtered by a list of predicates: the rows vl_delta_expr_eval (the
 *    row-at-a-time evaluator, an independent implementation) keeps;
 *  - aggregated by (s, dt): each aggregate equal to a loop over the rows.
 */
#include "exec/exec.h"
#include "vl_test.h"

#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <pthread.h>

typedef struct fixture {
    char dir[256], root[300];
    vl_store *s;
    vl_delta_table *t;
} fixture;

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f) {
    (void)st, (void)flag, (void)f;
    return remove(p) == 0 ? 0 : -1;
}

static bool fx_open(vl_test *t, fixture *fx) {
    memset(fx, 0, sizeof(*fx));
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp) tmp = "/tmp";
    snprintf(fx->dir, sizeof(fx->dir), "%s/vl-exec-test.XXXXXX", tmp);
    if (!mkdtemp(fx->dir)) {
        CHECKF(t, 0, "mkdtemp %s: %s", fx->dir, strerror(errno));
        return false;
    }
    snprintf(fx->root, sizeof(fx->root), "%s/lake", fx->dir);
    vl_error err = {0};
    if (vl_store_open(fx->root, &fx->s, &err) != VL_OK || vl_delta_table_open(fx->s, "t", &fx->t, &err) != VL_OK) {
        CHECKF(t, 0, "%s", err.msg);
        return false;
    }
    return true;
}

static void fx_close(fixture *fx) {
    vl_delta_table_close(fx->t);
    vl_store_close(fx->s);
    nftw(fx->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static const vl_delta_commit_opts FAST = {.max_attempts = 50, .backoff_us = 100};

enum { C_ID, C_S, C_I, C_D, C_B, C_TS, C_DT, N_C };
static const char *const NAMES[N_C] = {"id", "s", "i", "d", "b", "ts", "dt"};
static const vl_dt_kind KINDS[N_C] = {VL_DT_LONG,    VL_DT_STRING,    VL_DT_INTEGER, VL_DT_DOUBLE,
                                      VL_DT_BOOLEAN, VL_DT_TIMESTAMP, VL_DT_DATE};
static const char *const DDL = "id long not null, s string, i int, d double, b boolean, ts timestamp, dt date";
static const char *const WORDS[] = {"", "a", "ab", "abc", "b", "zeta", "\xc3\xa9t\xc3\xa9", "Z", "ba", "a\"q"};

/* n random rows with ids from id0. */
static vl_x_table *make_rows(size_t n, int64_t id0, uint64_t seed) {
    vl_x_table *x;
    vl_error err;
    if (vl_x_table_new(NAMES, KINDS, N_C, &x, &err) != VL_OK) return NULL;
    vl_rng r;
    vl_rng_seed(&r, seed);
    for (size_t k = 0; k < n; k++) {
        if (vl_x_table_row_add(x) != VL_OK) break;
        size_t row = x->n - 1;
        vl_x_table_set_i64(x, C_ID, row, id0 + (int64_t)k);
        if (!vl_rng_chance(&r, 0.1)) {
            const char *w = WORDS[vl_rng_below(&r, 10)];
            if (vl_x_table_set_str(x, C_S, row, vl_sv_cstr(w)) != VL_OK) break;
        }
        if (!vl_rng_chance(&r, 0.15)) vl_x_table_set_i64(x, C_I, row, (int64_t)vl_rng_below(&r, 200) - 100);
        if (!vl_rng_chance(&r, 0.1)) vl_x_table_set_f64(x, C_D, row, (double)(int64_t)vl_rng_below(&r, 100000) / 64.0 - 500);
        if (!vl_rng_chance(&r, 0.2)) vl_x_table_set_i64(x, C_B, row, vl_rng_chance(&r, 0.5));
        if (!vl_rng_chance(&r, 0.05))
            vl_x_table_set_i64(x, C_TS, row, 1714521600000000LL + (int64_t)vl_rng_below(&r, 86400000000ULL * 3));
        if (!vl_rng_chance(&r, 0.03)) vl_x_table_set_i64(x, C_DT, row, 19844 + (int64_t)vl_rng_below(&r, 4));
    }
    return x;
}

static int create(fixture *fx, vl_error *err) {
    vl_arena a;
    vl_arena_init(&a, 0);
    vl_dt_type st;
    vl_delta_txn *x = NULL;
    int64_t v;
    const char *parts[] = {"dt"};
    int rc = vl_delta_schema_from_ddl(DDL, &a, &st, err);
    if (rc == VL_OK) rc = vl_delta_txn_begin(fx->t, &x, err);
    if (rc == VL_OK) rc = vl_delta_txn_set_metadata(x, &st, parts, 1, NULL, 0, err);
    if (rc == VL_OK) rc = vl_delta_txn_commit(x, &FAST, &v, err);
    vl_delta_txn_free(x);
    vl_arena_destroy(&a);
    return rc;
}

static int append(fixture *fx, const vl_x_table *rows, size_t max_rows, vl_error *err) {
    vl_delta_txn *x = NULL;
    int64_t v;
    int rc = vl_delta_txn_begin(fx->t, &x, err);
    if (rc == VL_OK) rc = vl_x_table_write_delta(rows, x, max_rows, err);
    if (rc == VL_OK) rc = vl_delta_txn_commit(x, &FAST, &v, err);
    vl_delta_txn_free(x);
    return rc;
}

/* All rows of a table as sorted NDJSON lines (one malloc'd string). */
static int cmp_cstr(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }
static char *lines_of(const vl_x_table *x, const bool *keep) {
    char **v = calloc(x->n + 1, sizeof(char *));
    size_t k = 0, total = 1;
    vl_buf b;
    vl_buf_init(&b);
    for (size_t r = 0; r < x->n; r++) {
        if (keep && !keep[r]) continue;
        vl_buf_clear(&b);
        if (vl_x_table_row_json(x, r, &b) != VL_OK) break;
        v[k] = strndup((const char *)b.p, b.n);
        total += b.n;
        k++;
    }
    vl_buf_free(&b);
    qsort(v, k, sizeof(char *), cmp_cstr);
    char *out = malloc(total);
    size_t o = 0;
    for (size_t i = 0; i < k; i++) {
        size_t l = strlen(v[i]);
        memcpy(out + o, v[i], l);
        o += l;
        free(v[i]);
    }
    out[o] = 0;
    free(v);
    return out;
}

/* The engine's rows of a scan, one table per worker, then concatenated. */
typedef struct collect {
    vl_x_table *per[8];
} collect;

static int collect_cb(void *ctx, int worker, const vl_x_batch *b, vl_error *err) {
    collect *c = ctx;
    return vl_x_table_append(c->per[worker], b, err);
}

/* A scan of the columns names[0 .. n_cols) (of kinds) as one table. */
static vl_x_table *scan_cols(vl_test *t, fixture *fx, const char *const *names, const vl_dt_kind *kinds,
                             uint32_t n_cols, const char *where, int threads, size_t batch, vl_x_scan_stats *st) {
    vl_delta_snapshot *s = NULL;
    vl_error err = {0};
    collect c = {{0}};
    vl_x_table *all = NULL;
    vl_arena a;
    vl_arena_init(&a, 0);
    int rc = vl_delta_snapshot_load(fx->t, VL_DELTA_LATEST, &s, &err);
    const vl_delta_expr *e = NULL;
    if (rc == VL_OK && where) rc = vl_delta_expr_parse(where, &s->metadata.schema, &a, &e, &err);
    for (int w = 0; w < 8 && rc == VL_OK; w++) rc = vl_x_table_new(names, kinds, n_cols, &c.per[w], &err);
    if (rc == VL_OK) rc = vl_x_table_new(names, kinds, n_cols, &all, &err);
    vl_x_scan_opts o = {.columns = names, .n_columns = n_cols, .where = e, .threads = threads, .batch_rows = batch};
    if (rc == VL_OK) rc = vl_x_scan(s, &o, collect_cb, &c, st, &err);
    for (int w = 0; w < 8 && rc == VL_OK; w++) {
        vl_x_batch b = vl_x_table_batch(c.per[w]);
        rc = vl_x_table_append(all, &b, &err);
    }
    CHECKF(t, rc == VL_OK, "scan %s: %s", where ? where : "", err.msg);
    for (int w = 0; w < 8; w++) vl_x_table_free(c.per[w]);
    vl_delta_snapshot_free(s);
    vl_arena_destroy(&a);
    if (rc) {
        vl_x_table_free(all);
        return NULL;
    }
    return all;
}

static vl_x_table *scan_all(vl_test *t, fixture *fx, const char *where, int threads, size_t batch,
                            vl_x_scan_stats *st) {
    return scan_cols(t, fx, NAMES, KINDS, N_C, where, threads, batch, st);
}

/* The source rows, written in 3 commits of files of at most 700 rows. */
static vl_x_table *setup(vl_test *t, fixture *fx, size_t n) {
    vl_error err = {0};
    if (!fx_open(t, fx)) return NULL;
    vl_x_table *src = make_rows(n, 1, 42);
    int rc = create(fx, &err);
    for (int part = 0; part < 3 && rc == VL_OK; part++) {
        vl_x_table *piece = NULL;
        rc = vl_x_table_new(NAMES, KINDS, N_C, &piece, &err);
        vl_x_batch b = vl_x_table_batch(src);
        uint32_t *sel = calloc(n + 1, sizeof(uint32_t));
        size_t k = 0;
        for (size_t r = 0; r < n; r++)
            if (r % 3 == (size_t)part) sel[k++] = (uint32_t)r;
        b.sel = sel;
        b.n_sel = k;
        if (rc == VL_OK) rc = vl_x_table_append(piece, &b, &err);
        if (rc == VL_OK) rc = append(fx, piece, 700, &err);
        free(sel);
        vl_x_table_free(piece);
    }
    CHECKF(t, rc == VL_OK, "setup: %s", err.msg);
    if (rc) {
        vl_x_table_free(src);
        return NULL;
    }
    return src;
}

static void t_scan_roundtrip(vl_test *t) {
    fixture fx;
    vl_x_table *src = setup(t, &fx, 5000);
    REQUIRE(t, src);
    vl_x_scan_stats st;
    vl_x_table *got = scan_all(t, &fx, NULL, 2, 333, &st);
    if (got) {
        char *want = lines_of(src, NULL), *have = lines_of(got, NULL);
        CHECK_EQ_INT(t, got->n, 5000);
        CHECK(t, strcmp(want, have) == 0);
        CHECKF(t, st.files_read >= 3 * 5 && st.files_pruned == 0, "%zu files read", st.files_read);
        CHECK_EQ_INT(t, st.rows_read, 5000);
        free(want);
        free(have);
    }
    vl_x_table_free(got);
    /* one worker, one batch per row group: the same */
    got = scan_all(t, &fx, NULL, 1, 0, NULL);
    if (got) {
        char *want = lines_of(src, NULL), *have = lines_of(got, NULL);
        CHECK(t, strcmp(want, have) == 0);
        free(want);
        free(have);
    }
    vl_x_table_free(got);
    vl_x_table_free(src);
    fx_close(&fx);
}

/* Row r of x as Delta values indexed like the schema's fields. */
static void row_values(const vl_x_table *x, size_t r, vl_delta_value *v) {
    for (uint32_t c = 0; c < N_C; c++) {
        const vl_x_vec *vec = &x->vecs[c];
        v[c] = (vl_delta_value){.is_null = !vec->valid[r]};
        if (!vec->valid[r]) continue;
        if (vec->type == VL_X_I64) v[c].i = vec->v.i64[r];
        else if (vec->type == VL_X_F64) v[c].d = vec->v.f64[r];
        else v[c].s = vec->v.str[r];
    }
}

static void t_filters(vl_test *t) {
    fixture fx;
    vl_x_table *src = setup(t, &fx, 4000);
    REQUIRE(t, src);
    static const char *const preds[] = {
        "id < 100",
        "id >= 3990 OR id = 7",
        "s = 'ab'",
        "s <> 'ab'",
        "s > 'b'",
        "s IN ('a', 'zeta', '')",
        "s NOT IN ('a', null)",
        "s IS NULL",
        "i IS NOT NULL AND i <= -50",
        "NOT (i > 0)",
        "d > 100.5 AND b = true",
        "b = false OR d IS NULL",
        "ts >= '2024-05-02T00:00:00Z' AND ts < '2024-05-02T12:00:00Z'",
        "dt = '2024-05-02'",
        "dt IN ('2024-05-01', '2024-05-04') AND NOT (s = 'a' OR s IS NULL)",
        "dt IS NULL",
        "i = null",
        "NOT (s IN ('a', null))",
        "(i > 10 OR s = 'Z') AND (d < 0 OR ts IS NULL)",
    };
    vl_delta_snapshot *s = NULL;
    vl_error err = {0};
    REQUIRE(t, vl_delta_snapshot_load(fx.t, VL_DELTA_LATEST, &s, &err) == VL_OK);
    bool *keep = calloc(src->n + 1, sizeof(bool));
    for (size_t p = 0; p < sizeof(preds) / sizeof(preds[0]); p++) {
        vl_arena a;
        vl_arena_init(&a, 0);
        const vl_delta_expr *e = NULL;
        if (vl_delta_expr_parse(preds[p], &s->metadata.schema, &a, &e, &err) != VL_OK) {
            CHECKF(t, 0, "parse %s: %s", preds[p], err.msg);
            vl_arena_destroy(&a);
            continue;
        }
        size_t kept = 0;
        for (size_t r = 0; r < src->n; r++) {
            vl_delta_value v[N_C];
            row_values(src, r, v);
            keep[r] = vl_delta_expr_eval(e, &s->metadata.schema, v);
            kept += keep[r];
        }
        vl_x_scan_stats st;
        vl_x_table *got = scan_all(t, &fx, preds[p], 2, 500, &st);
        if (got) {
            char *want = lines_of(src, keep), *have = lines_of(got, NULL);
            CHECKF(t, strcmp(want, have) == 0, "%s: %zu rows, want %zu", preds[p], got->n, kept);
            free(want);
            free(have);
            if (strncmp(preds[p], "dt = ", 5) == 0)
                CHECKF(t, st.files_pruned > 0, "%s: no file pruned of %zu", preds[p], st.files_total);
        }
        vl_x_table_free(got);
        vl_arena_destroy(&a);
    }
    free(keep);
    vl_delta_snapshot_free(s);
    vl_x_table_free(src);
    fx_close(&fx);
}

/* ------------------------------------------------------------ aggregation */

typedef struct agg_run {
    vl_x_agg *g;
} agg_run;

static int agg_cb(void *ctx, int worker, const vl_x_batch *b, vl_error *err) {
    return vl_x_agg_add(((agg_run *)ctx)->g, worker, b, err);
}

static bool cell_same(const vl_x_vec *a, size_t ra, const vl_x_vec *b, size_t rb) {
    bool na = !a->valid[ra], nb = !b->valid[rb];
    if (na || nb) return na && nb;
    if (a->type == VL_X_I64) return a->v.i64[ra] == b->v.i64[rb];
    if (a->type == VL_X_F64) return a->v.f64[ra] == b->v.f64[rb];
    return a->v.str[ra].n == b->v.str[rb].n && memcmp(a->v.str[ra].p, b->v.str[rb].p, a->v.str[ra].n) == 0;
}

static int cmp_str_sv(vl_sv x, vl_sv y) {
    size_t n = x.n < y.n ? x.n : y.n;
    int c = n ? memcmp(x.p, y.p, n) : 0;
    return c ? c : (x.n > y.n) - (x.n < y.n);
}

static void t_aggregate(vl_test *t) {
    fixture fx;
    vl_x_table *src = setup(t, &fx, 6000);
    REQUIRE(t, src);
    vl_delta_snapshot *s = NULL;
    vl_error err = {0};
    REQUIRE(t, vl_delta_snapshot_load(fx.t, VL_DELTA_LATEST, &s, &err) == VL_OK);
    const uint32_t keys[] = {C_S, C_DT};
    const char *const key_names[] = {"s", "dt"};
    const vl_x_agg_spec aggs[] = {
        {VL_X_AGG_COUNT, 0, "n", 0},
        {VL_X_AGG_COUNT_COL, C_I, "n_i", 0},
        {VL_X_AGG_SUM, C_ID, "sum_id", 0},
        {VL_X_AGG_SUM, C_I, "sum_i", 0},
        {VL_X_AGG_SUM, C_D, "sum_d", 0},
        {VL_X_AGG_MIN, C_TS, "min_ts", 0},
        {VL_X_AGG_MAX, C_TS, "max_ts", 0},
        {VL_X_AGG_MIN, C_D, "min_d", 0},
        {VL_X_AGG_MAX, C_I, "max_i", 0},
        {VL_X_AGG_AVG, C_I, "avg_i", 0},
        {VL_X_AGG_COUNT_DISTINCT, C_I, "nd_i", 0},
        {VL_X_AGG_APPROX_DISTINCT, C_ID, "ad_id", 0},
    };
    const uint32_t n_aggs = sizeof(aggs) / sizeof(aggs[0]);
    agg_run ar = {0};
    REQUIRE(t, vl_x_agg_new(KINDS, N_C, keys, key_names, 2, aggs, n_aggs, 2, &ar.g, &err) == VL_OK);
    vl_x_scan_opts o = {.columns = (const char *const *)NAMES, .n_columns = N_C, .threads = 2, .batch_rows = 700};
    int rc = vl_x_scan(s, &o, agg_cb, &ar, NULL, &err);
    vl_x_table *res = NULL;
    if (rc == VL_OK) rc = vl_x_agg_finish(ar.g, &res, &err);
    CHECKF(t, rc == VL_OK, "%s", err.msg);
    if (res) {
        /* brute force per group of the result; every source row in one group */
        size_t covered = 0;
        for (size_t g = 0; g < res->n; g++) {
            int64_t n = 0, n_i = 0, sum_id = 0, sum_i = 0, n_sum_i = 0;
            double sum_d = 0, min_d = INFINITY;
            int64_t min_ts = INT64_MAX, max_ts = INT64_MIN, max_i = INT64_MIN;
            bool has_d = false, has_ts = false;
            bool seen[200] = {0};
            int64_t nd = 0;
            for (size_t r = 0; r < src->n; r++) {
                if (!cell_same(&src->vecs[C_S], r, &res->vecs[0], g) || !cell_same(&src->vecs[C_DT], r, &res->vecs[1], g))
                    continue;
                n++;
                sum_id += src->vecs[C_ID].v.i64[r];
                if (src->vecs[C_I].valid[r]) {
                    int64_t i = src->vecs[C_I].v.i64[r];
                    n_i++;
                    sum_i += i;
                    n_sum_i++;
                    if (i > max_i) max_i = i;
                    if (!seen[i + 100]) nd++;
                    seen[i + 100] = true;
                }
                if (src->vecs[C_D].valid[r]) {
                    sum_d += src->vecs[C_D].v.f64[r];
                    if (src->vecs[C_D].v.f64[r] < min_d) min_d = src->vecs[C_D].v.f64[r];
                    has_d = true;
                }
                if (src->vecs[C_TS].valid[r]) {
                    int64_t ts = src->vecs[C_TS].v.i64[r];
                    if (ts < min_ts) min_ts = ts;
                    if (ts > max_ts) max_ts = ts;
                    has_ts = true;
                }
            }
            covered += (size_t)n;
            const vl_x_vec *c = &res->vecs[2];
            CHECK_EQ_INT(t, c[0].v.i64[g], n);
            CHECK_EQ_INT(t, c[1].v.i64[g], n_i);
            CHECK_EQ_INT(t, c[2].v.i64[g], sum_id);
            CHECK(t, n_sum_i ? (c[3].valid[g] && c[3].v.i64[g] == sum_i) : !c[3].valid[g]);
            CHECK(t, has_d ? (c[4].valid[g] && fabs(c[4].v.f64[g] - sum_d) < 1e-6) : !c[4].valid[g]);
            CHECK(t, has_ts ? (c[5].v.i64[g] == min_ts && c[6].v.i64[g] == max_ts) : (!c[5].valid[g] && !c[6].valid[g]));
            CHECK(t, has_d ? c[7].v.f64[g] == min_d : !c[7].valid[g]);
            CHECK(t, n_i ? c[8].v.i64[g] == max_i : !c[8].valid[g]);
            CHECK(t, n_i ? fabs(c[9].v.f64[g] - (double)sum_i / (double)n_i) < 1e-9 : !c[9].valid[g]);
            CHECK_EQ_INT(t, c[10].v.i64[g], nd);
            CHECKF(t, fabs((double)c[11].v.i64[g] - (double)n) <= 0.05 * (double)n + 2, "approx %lld vs %lld",
                   (long long)c[11].v.i64[g], (long long)n);
            for (size_t h = 0; h < g; h++)
                CHECK(t, !(cell_same(&res->vecs[0], h, &res->vecs[0], g) && cell_same(&res->vecs[1], h, &res->vecs[1], g)));
        }
        CHECK_EQ_INT(t, covered, 6000);
        /* sort by the string key, descending (nulls last), then take the top 3 */
        vl_x_sort_key sk[] = {{0, true}, {1, false}};
        CHECK(t, vl_x_table_sort(res, sk, 2, -1, &err) == VL_OK);
        for (size_t g = 1; g < res->n; g++) {
            const vl_x_vec *k = &res->vecs[0];
            if (!k->valid[g - 1]) CHECK(t, !k->valid[g]);
            else if (k->valid[g]) CHECK(t, cmp_str_sv(k->v.str[g - 1], k->v.str[g]) >= 0);
        }
    }
    /* no keys: one row, also over nothing */
    vl_x_agg *g0 = NULL;
    const vl_x_agg_spec one[] = {{VL_X_AGG_COUNT, 0, "n", 0}, {VL_X_AGG_SUM, C_I, "s", 0}, {VL_X_AGG_MAX, C_S, "m", 0}};
    vl_x_table *r0 = NULL;
    if (vl_x_agg_new(KINDS, N_C, NULL, NULL, 0, one, 3, 1, &g0, &err) == VL_OK &&
        vl_x_agg_finish(g0, &r0, &err) == VL_OK) {
        CHECK_EQ_INT(t, r0->n, 1);
        CHECK_EQ_INT(t, r0->vecs[0].v.i64[0], 0);
        CHECK(t, !r0->vecs[1].valid[0] && !r0->vecs[2].valid[0]);
    } else {
        CHECKF(t, 0, "%s", err.msg);
    }
    vl_x_table_free(r0);
    vl_x_agg_free(g0);
    /* bad specs are refused, naming them */
    const vl_x_agg_spec bad[] = {{VL_X_AGG_SUM, C_S, "sum_s", 0}};
    CHECK(t, vl_x_agg_new(KINDS, N_C, NULL, NULL, 0, bad, 1, 1, &g0, &err) == VL_EINVAL && strstr(err.msg, "sum_s"));
    vl_x_table_free(res);
    vl_x_agg_free(ar.g);
    vl_delta_snapshot_free(s);
    vl_x_table_free(src);
    fx_close(&fx);
}

static void t_write_checks(vl_test *t) {
    fixture fx;
    REQUIRE(t, fx_open(t, &fx));
    vl_error err = {0};
    REQUIRE(t, create(&fx, &err) == VL_OK);
    /* a result without the table's column "b" */
    vl_x_table *x = NULL;
    const char *names[] = {"id", "s", "i", "d", "ts", "dt"};
    const vl_dt_kind kinds[] = {VL_DT_LONG, VL_DT_STRING, VL_DT_INTEGER, VL_DT_DOUBLE, VL_DT_TIMESTAMP, VL_DT_DATE};
    REQUIRE(t, vl_x_table_new(names, kinds, 6, &x, &err) == VL_OK);
    REQUIRE(t, vl_x_table_row_add(x) == VL_OK);
    vl_x_table_set_i64(x, 0, 0, 1);
    CHECK(t, append(&fx, x, 0, &err) == VL_EINVAL && strstr(err.msg, "column b"));
    vl_x_table_free(x);
    /* a null id (not nullable) and an int out of range */
    vl_x_table *y = make_rows(3, 1, 7);
    ((uint8_t *)y->vecs[C_ID].valid)[1] = 0;
    CHECK(t, append(&fx, y, 0, &err) == VL_EINVAL && strstr(err.msg, "not nullable"));
    vl_x_table_set_i64(y, C_ID, 1, 5);
    vl_x_table_set_i64(y, C_I, 2, 1LL << 40);
    CHECK(t, append(&fx, y, 0, &err) == VL_EINVAL && strstr(err.msg, "does not fit"));
    vl_x_table_free(y);
    /* nothing was committed */
    int64_t v = -2;
    CHECK(t, vl_delta_latest_version(fx.t, &v, &err) == VL_OK && v == 0);
    fx_close(&fx);
}

static void t_intern(vl_test *t) {
    vl_x_table *x = make_rows(2000, 1, 9), *y = NULL;
    vl_error err = {0};
    REQUIRE(t, x);
    REQUIRE(t, vl_x_table_new(NAMES, KINDS, N_C, &y, &err) == VL_OK);
    CHECK(t, vl_x_table_intern(y, C_S, &err) == VL_OK);
    CHECK(t, vl_x_table_intern(y, C_ID, &err) == VL_EINVAL);
    vl_x_batch b = vl_x_table_batch(x);
    CHECK(t, vl_x_table_append(y, &b, &err) == VL_OK);
    CHECK(t, vl_x_table_append(y, &b, &err) == VL_OK);
    char *want = lines_of(x, NULL), *have = NULL;
    /* the same rows twice; equal strings share one copy */
    bool shared = true;
    for (size_t r = 0; r < x->n; r++) {
        const vl_x_vec *s = &y->vecs[C_S];
        if (s->valid[r] && s->v.str[r].n && s->v.str[r].p != s->v.str[r + x->n].p) shared = false;
    }
    CHECK(t, shared);
    y->n = x->n; /* the first copy only */
    have = lines_of(y, NULL);
    CHECK(t, strcmp(want, have) == 0);
    y->n = 2 * x->n;
    free(want);
    free(have);
    vl_x_table_free(x);
    vl_x_table_free(y);
}

/* Expressions against a row-at-a-time reference over the random rows. */
static void t_expressions(vl_test *t) {
    vl_x_table *x = make_rows(3000, -1500, 77);
    REQUIRE(t, x);
    vl_arena ar;
    vl_arena_init(&ar, 0);
    vl_error err = {0};
    vl_x_type types[N_C];
    for (int c = 0; c < N_C; c++) types[c] = x->vecs[c].type;
    vl_x_batch b = vl_x_table_batch(x);
    const vl_x_expr *id = vl_x_e_col(&ar, C_ID), *i = vl_x_e_col(&ar, C_I), *d = vl_x_e_col(&ar, C_D);
    const vl_x_expr *sc = vl_x_e_col(&ar, C_S);
    const vl_x_expr *e_add = vl_x_e_op(&ar, VL_X_E_ADD, id, i);
    const vl_x_expr *e_div = vl_x_e_op(&ar, VL_X_E_DIV, id, i);
    const vl_x_expr *e_mix = vl_x_e_op(&ar, VL_X_E_MUL, d, i);
    const vl_x_expr *e_cmp = vl_x_e_op(&ar, VL_X_E_GE, sc, vl_x_e_str(&ar, "b"));
    const vl_x_expr *e_and = vl_x_e_op(&ar, VL_X_E_AND, vl_x_e_op(&ar, VL_X_E_GT, i, vl_x_e_i64(&ar, 0)),
                                       vl_x_e_op(&ar, VL_X_E_LT, d, vl_x_e_f64(&ar, 0.0)));
    const vl_x_expr *e_if = vl_x_e_if(&ar, vl_x_e_op(&ar, VL_X_E_IS_NULL, i, NULL), vl_x_e_f64(&ar, -1.5), i);
    const vl_x_expr *e_day = vl_x_e_op(&ar, VL_X_E_DAY, vl_x_e_col(&ar, C_TS), NULL);
    const vl_x_expr *e_big = vl_x_e_op(&ar, VL_X_E_MUL, id, vl_x_e_i64(&ar, INT64_MAX / 2));
    vl_x_vec v;
    vl_x_type ty;
    /* int + int, with nulls */
    CHECK(t, vl_x_expr_type(e_add, types, N_C, &ty, &err) == VL_OK && ty == VL_X_I64);
    CHECK(t, vl_x_expr_eval(e_add, &b, &ar, &v, &err) == VL_OK);
    bool ok = true;
    for (size_t r = 0; r < x->n; r++) {
        bool nn = x->vecs[C_I].valid[r];
        if (v.valid[r] != nn || (nn && v.v.i64[r] != x->vecs[C_ID].v.i64[r] + x->vecs[C_I].v.i64[r])) ok = false;
    }
    CHECK(t, ok);
    /* division: double, null on a zero divisor */
    CHECK(t, vl_x_expr_type(e_div, types, N_C, &ty, &err) == VL_OK && ty == VL_X_F64);
    CHECK(t, vl_x_expr_eval(e_div, &b, &ar, &v, &err) == VL_OK);
    ok = true;
    for (size_t r = 0; r < x->n; r++) {
        bool nn = x->vecs[C_I].valid[r] && x->vecs[C_I].v.i64[r] != 0;
        if (v.valid[r] != nn || (nn && v.v.f64[r] != (double)x->vecs[C_ID].v.i64[r] / (double)x->vecs[C_I].v.i64[r]))
            ok = false;
    }
    CHECK(t, ok);
    /* double * int */
    CHECK(t, vl_x_expr_eval(e_mix, &b, &ar, &v, &err) == VL_OK && v.type == VL_X_F64);
    ok = true;
    for (size_t r = 0; r < x->n; r++) {
        bool nn = x->vecs[C_I].valid[r] && x->vecs[C_D].valid[r];
        if (v.valid[r] != nn || (nn && v.v.f64[r] != x->vecs[C_D].v.f64[r] * (double)x->vecs[C_I].v.i64[r])) ok = false;
    }
    CHECK(t, ok);
    /* string comparison, three-valued AND, IF with a null condition branch, DAY */
    CHECK(t, vl_x_expr_eval(e_cmp, &b, &ar, &v, &err) == VL_OK);
    ok = true;
    for (size_t r = 0; r < x->n; r++) {
        bool nn = x->vecs[C_S].valid[r];
        if (v.valid[r] != nn || (nn && v.v.i64[r] != (cmp_str_sv(x->vecs[C_S].v.str[r], vl_sv_cstr("b")) >= 0))) ok = false;
    }
    CHECK(t, ok);
    CHECK(t, vl_x_expr_eval(e_and, &b, &ar, &v, &err) == VL_OK);
    ok = true;
    for (size_t r = 0; r < x->n; r++) {
        int p = x->vecs[C_I].valid[r] ? x->vecs[C_I].v.i64[r] > 0 : -1;
        int q = x->vecs[C_D].valid[r] ? x->vecs[C_D].v.f64[r] < 0 : -1;
        int want = (p == 0 || q == 0) ? 0 : (p < 0 || q < 0) ? -1 : 1;
        if (v.valid[r] != (want >= 0) || (want >= 0 && v.v.i64[r] != want)) ok = false;
    }
    CHECK(t, ok);
    CHECK(t, vl_x_expr_type(e_if, types, N_C, &ty, &err) == VL_OK && ty == VL_X_F64);
    CHECK(t, vl_x_expr_eval(e_if, &b, &ar, &v, &err) == VL_OK);
    ok = true;
    for (size_t r = 0; r < x->n; r++) {
        double want = x->vecs[C_I].valid[r] ? (double)x->vecs[C_I].v.i64[r] : -1.5;
        if (!v.valid[r] || v.v.f64[r] != want) ok = false;
    }
    CHECK(t, ok);
    CHECK(t, vl_x_expr_eval(e_day, &b, &ar, &v, &err) == VL_OK);
    ok = true;
    for (size_t r = 0; r < x->n; r++)
        if (x->vecs[C_TS].valid[r] && v.v.i64[r] != vl_ts_day(x->vecs[C_TS].v.i64[r])) ok = false;
    CHECK(t, ok);
    /* overflow is null, not wrong */
    CHECK(t, vl_x_expr_eval(e_big, &b, &ar, &v, &err) == VL_OK);
    ok = true;
    for (size_t r = 0; r < x->n; r++) {
        int64_t idv = x->vecs[C_ID].v.i64[r], p;
        bool of = __builtin_mul_overflow(idv, INT64_MAX / 2, &p);
        if (v.valid[r] == of || (!of && v.v.i64[r] != p)) ok = false;
    }
    CHECK(t, ok);
    /* type errors are refused */
    CHECK(t, vl_x_expr_type(vl_x_e_op(&ar, VL_X_E_ADD, sc, i), types, N_C, &ty, &err) == VL_EINVAL);
    CHECK(t, vl_x_expr_type(vl_x_e_op(&ar, VL_X_E_EQ, sc, i), types, N_C, &ty, &err) == VL_EINVAL);
    CHECK(t, vl_x_expr_type(vl_x_e_col(&ar, 99), types, N_C, &ty, &err) == VL_EINVAL);
    CHECK(t, vl_x_expr_type(vl_x_e_op(&ar, VL_X_E_ADD, NULL, i), types, N_C, &ty, &err) == VL_EINVAL);
    vl_arena_destroy(&ar);
    vl_x_table_free(x);
}

static int cmp_dbl(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* QUANTILE: within 1% of the value at rank floor(q (n - 1)), per group, on 2 workers. */
static void t_quantile(vl_test *t) {
    const char *names[] = {"g", "v"};
    vl_dt_kind kinds[] = {VL_DT_LONG, VL_DT_DOUBLE};
    vl_x_table *x = NULL;
    vl_error err = {0};
    REQUIRE(t, vl_x_table_new(names, kinds, 2, &x, &err) == VL_OK);
    vl_rng r;
    vl_rng_seed(&r, 5);
    for (int k = 0; k < 20000; k++) {
        REQUIRE(t, vl_x_table_row_add(x) == VL_OK);
        vl_x_table_set_i64(x, 0, x->n - 1, k % 7);
        if (k % 11) vl_x_table_set_f64(x, 1, x->n - 1, 100 + vl_rng_exp(&r, 1500));
    }
    const uint32_t keys[] = {0};
    const char *kn[] = {"g"};
    const vl_x_agg_spec aggs[] = {{VL_X_AGG_QUANTILE, 1, "p50", 0.5}, {VL_X_AGG_QUANTILE, 1, "p90", 0.9},
                                  {VL_X_AGG_QUANTILE, 1, "p0", 0}};
    vl_x_agg *g = NULL;
    REQUIRE(t, vl_x_agg_new(kinds, 2, keys, kn, 1, aggs, 3, 2, &g, &err) == VL_OK);
    /* half the rows on each worker */
    vl_x_batch b = vl_x_table_batch(x);
    uint32_t *sel = calloc(x->n, sizeof(uint32_t));
    size_t k0 = 0, k1 = 0;
    for (size_t i = 0; i < x->n; i++)
        if (i % 2 == 0) sel[k0++] = (uint32_t)i;
    b.sel = sel;
    b.n_sel = k0;
    CHECK(t, vl_x_agg_add(g, 0, &b, &err) == VL_OK);
    for (size_t i = 0; i < x->n; i++)
        if (i % 2) sel[k1++] = (uint32_t)i;
    b.n_sel = k1;
    CHECK(t, vl_x_agg_add(g, 1, &b, &err) == VL_OK);
    vl_x_table *res = NULL;
    CHECK(t, vl_x_agg_finish(g, &res, &err) == VL_OK);
    if (res) {
        CHECK_EQ_INT(t, res->n, 7);
        double *vals = calloc(x->n, sizeof(double));
        for (size_t gi = 0; gi < res->n; gi++) {
            int64_t key = res->vecs[0].v.i64[gi];
            size_t n = 0;
            for (size_t i = 0; i < x->n; i++)
                if (x->vecs[0].v.i64[i] == key && x->vecs[1].valid[i]) vals[n++] = x->vecs[1].v.f64[i];
            qsort(vals, n, sizeof(double), cmp_dbl);
            double w50 = vals[(size_t)floor(0.5 * (double)(n - 1))], w90 = vals[(size_t)floor(0.9 * (double)(n - 1))];
            CHECKF(t, fabs(res->vecs[1].v.f64[gi] - w50) <= 0.01 * w50, "p50 %g vs %g", res->vecs[1].v.f64[gi], w50);
            CHECKF(t, fabs(res->vecs[2].v.f64[gi] - w90) <= 0.01 * w90, "p90 %g vs %g", res->vecs[2].v.f64[gi], w90);
            CHECK(t, res->vecs[3].v.f64[gi] == vals[0]);
        }
        free(vals);
    }
    const vl_x_agg_spec bad[] = {{VL_X_AGG_QUANTILE, 1, "q", 1.5}};
    vl_x_agg *g2 = NULL;
    CHECK(t, vl_x_agg_new(kinds, 2, keys, kn, 1, bad, 1, 1, &g2, &err) == VL_EINVAL && strstr(err.msg, "q"));
    free(sel);
    vl_x_table_free(res);
    vl_x_agg_free(g);
    vl_x_table_free(x);
}

/* ------------------------------------------- row groups and ranged reads */

enum { R_ID, R_S, R_X, R_PAD, N_R };
static const char *const RNAMES[N_R] = {"id", "s", "x", "pad"};
static const vl_dt_kind RKINDS[N_R] = {VL_DT_LONG, VL_DT_STRING, VL_DT_DOUBLE, VL_DT_STRING};

/* One file of 100,000 rows in row groups of 8,000, over 1 MiB: it is read
 * in ranges (its footer, then the chunks a scan needs), row groups are
 * pruned by their Parquet statistics, and every scan equals the row
 * evaluator over the source rows. */
static void t_row_groups_and_ranges(vl_test *t) {
    fixture fx;
    REQUIRE(t, fx_open(t, &fx));
    enum { N = 100000 };
    vl_error err = {0};
    vl_x_table *src = NULL;
    REQUIRE(t, vl_x_table_new(RNAMES, RKINDS, N_R, &src, &err) == VL_OK);
    vl_rng r;
    vl_rng_seed(&r, 7);
    for (size_t k = 0; k < N && vl_x_table_row_add(src) == VL_OK; k++) {
        vl_x_table_set_i64(src, R_ID, k, (int64_t)k);
        if (k % 7 && vl_x_table_set_str(src, R_S, k, vl_sv_cstr(WORDS[k % 10])) != VL_OK) break;
        if (k % 11) vl_x_table_set_f64(src, R_X, k, (double)k * 0.25);
        char pad[33];
        for (int i = 0; i < 32; i++) pad[i] = "0123456789abcdef"[vl_rng_below(&r, 16)];
        pad[32] = 0;
        if (vl_x_table_set_str(src, R_PAD, k, vl_sv_cstr(pad)) != VL_OK) break;
    }
    vl_arena a;
    vl_arena_init(&a, 0);
    vl_dt_type st;
    vl_delta_txn *x = NULL;
    int64_t v;
    int rc = vl_delta_schema_from_ddl("id long not null, s string, x double, pad string", &a, &st, &err);
    if (rc == VL_OK) rc = vl_delta_txn_begin(fx.t, &x, &err);
    if (rc == VL_OK) rc = vl_delta_txn_set_metadata(x, &st, NULL, 0, NULL, 0, &err);
    if (rc == VL_OK) {
        vl_delta_txn_set_row_group_rows(x, 8000);
        rc = vl_x_table_write_delta(src, x, 0, &err);
    }
    if (rc == VL_OK) rc = vl_delta_txn_commit(x, &FAST, &v, &err);
    vl_delta_txn_free(x);
    vl_arena_destroy(&a);
    REQUIRE(t, rc == VL_OK);
    vl_delta_snapshot *snap = NULL;
    REQUIRE(t, vl_delta_snapshot_load(fx.t, VL_DELTA_LATEST, &snap, &err) == VL_OK);
    uint64_t size = snap->n_files == 1 ? (uint64_t)snap->files[0].size : 0;
    CHECKF(t, snap->n_files == 1 && (int64_t)size >= VL_DELTA_RANGED_MIN, "%zu files, %llu bytes", snap->n_files,
           (unsigned long long)size);

    static const struct {
        const char *where;
        uint32_t n_cols;
        int min_pruned, max_pruned; /* of 13 row groups; -1: the whole file */
        int threads;
    } cases[] = {
        {NULL, N_R, 0, 0, 2},
        {"id >= 50000 AND id < 52000", 1, 12, 12, 1},
        {"id = -1", 2, -1, -1, 2},             /* the file itself is pruned */
        {"x < 2000", 3, 12, 12, 2},            /* the first row group's rows */
        {"x < 2000 OR id > 99990", 3, 11, 11, 1}, /* and the last's */
        {"x > 24000", 3, 0, 0, 2},             /* NaN is greatest, and may hide above a max */
        {"s = 'zeta'", 2, 0, 0, 2},            /* in every row group */
        {"pad IS NULL", 4, -1, -1, 1},         /* none is: the file is pruned */
        {"x IS NULL AND id >= 99000", 3, 12, 12, 2},
        {"NOT (id < 95000)", 1, 11, 11, 2},
        {"id IN (3, 99999)", 1, 11, 11, 1},
    };
    bool *keep = calloc(N + 1, sizeof(bool));
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]) && keep; c++) {
        const vl_delta_expr *e = NULL;
        vl_arena ea;
        vl_arena_init(&ea, 0);
        if (cases[c].where && vl_delta_expr_parse(cases[c].where, &snap->metadata.schema, &ea, &e, &err) != VL_OK) {
            CHECKF(t, 0, "parse %s: %s", cases[c].where, err.msg);
            vl_arena_destroy(&ea);
            continue;
        }
        size_t kept = 0;
        for (size_t k = 0; k < src->n; k++) {
            vl_delta_value row[N_R];
            for (uint32_t col = 0; col < N_R; col++) {
                const vl_x_vec *vec = &src->vecs[col];
                row[col] = (vl_delta_value){.is_null = !vec->valid[k]};
                if (vec->type == VL_X_I64) row[col].i = vec->v.i64[k];
                else if (vec->type == VL_X_F64) row[col].d = vec->v.f64[k];
                else row[col].s = vec->v.str[k];
            }
            keep[k] = !e || vl_delta_expr_eval(e, &snap->metadata.schema, row);
            kept += keep[k];
        }
        vl_x_scan_stats ss;
        vl_x_table *got = scan_cols(t, &fx, RNAMES, RKINDS, cases[c].n_cols, cases[c].where, cases[c].threads, 0, &ss);
        if (got) {
            /* the source's columns cut to the projection */
            vl_x_table *want_t = NULL;
            char *want = NULL, *have = lines_of(got, NULL);
            if (vl_x_table_new(RNAMES, RKINDS, cases[c].n_cols, &want_t, &err) == VL_OK) {
                vl_x_batch b = vl_x_table_batch(src);
                b.n_cols = cases[c].n_cols;
                if (vl_x_table_append(want_t, &b, &err) == VL_OK) want = lines_of(want_t, keep);
            }
            const char *w = cases[c].where ? cases[c].where : "(all)";
            CHECKF(t, want && strcmp(want, have) == 0, "%s: %zu rows, want %zu", w, got->n, kept);
            if (cases[c].min_pruned < 0)
                CHECKF(t, ss.files_pruned == 1 && ss.row_groups_total == 0, "%s: %zu files pruned, %zu row groups read",
                       w, ss.files_pruned, ss.row_groups_total);
            else
                CHECKF(t, ss.row_groups_total == 13 && (int)ss.row_groups_pruned >= cases[c].min_pruned &&
                              (int)ss.row_groups_pruned <= cases[c].max_pruned,
                       "%s: %zu of %zu row groups pruned, want %d..%d", w, ss.row_groups_pruned, ss.row_groups_total,
                       cases[c].min_pruned, cases[c].max_pruned);
            /* fetched: the footer and the chunks of the kept row groups */
            if (cases[c].n_cols == 1 || cases[c].min_pruned >= 12 || cases[c].min_pruned < 0)
                CHECKF(t, ss.bytes_read < size / 5, "%s: %llu of %llu bytes fetched", w,
                       (unsigned long long)ss.bytes_read, (unsigned long long)size);
            if (!cases[c].where)
                CHECKF(t, ss.bytes_read >= size - size / 10 && ss.bytes_read <= size + (64 << 10),
                       "all: %llu of %llu bytes fetched", (unsigned long long)ss.bytes_read, (unsigned long long)size);
            free(want);
            free(have);
            vl_x_table_free(want_t);
        }
        vl_x_table_free(got);
        vl_arena_destroy(&ea);
    }
    free(keep);
    vl_delta_snapshot_free(snap);
    vl_x_table_free(src);
    fx_close(&fx);
}

static const vl_test_case cases[] = {
    {"expressions equal a row-at-a-time reference: nulls, overflow, types", t_expressions},
    {"quantiles per group on 2 workers are within 1% of the exact rank", t_quantile},
    {"interned string columns keep one copy of each value", t_intern},
    {"scan: written rows come back on 1 and 2 workers, in any batch size", t_scan_roundtrip},
    {"filters select what the row evaluator selects; partitions prune files", t_filters},
    {"row groups pruned by their statistics; a large file read in ranges", t_row_groups_and_ranges},
    {"hash aggregation by string and date keys equals brute force; sort", t_aggregate},
    {"writing refuses missing columns, nulls in required ones, out-of-range ints", t_write_checks},
};

VL_TEST_MAIN(cases)
