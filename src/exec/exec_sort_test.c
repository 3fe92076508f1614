/* vidlake - Apache-2.0 */
/* Unit tests for src/exec/exec_sort.c (vl_x_table_sort): hand-made orders
 * for each type, then random tables (duplicates, nulls, NaN, -0, empty and
 * long shared-prefix strings, bytes >= 0x80) against a reference sort with
 * an independent comparator, top k for many k, stability, errors and
 * allocation failures. Fixed seeds: reproducible. */
#include "exec/exec.h"
#include "vl_test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define OK(t, expr) CHECK_EQ_INT(t, (expr), VL_OK)

/* Columns of the random tables. */
enum { C_ID, C_I, C_D, C_S, C_B, C_W, N_COLS };
static const char *const col_names[N_COLS] = {"id", "i", "d", "s", "b", "w"};
static const vl_dt_kind col_kinds[N_COLS] = {VL_DT_LONG,    VL_DT_INTEGER, VL_DT_DOUBLE,
                                             VL_DT_STRING,  VL_DT_BOOLEAN, VL_DT_BINARY};

/* ============================================================== helpers */

static vl_x_table *new_table(void) {
    vl_x_table *t = NULL;
    if (vl_x_table_new(col_names, col_kinds, N_COLS, &t, NULL) != VL_OK) return NULL;
    return t;
}

/* A random string: mostly short over {a, b, \0, 0x80, 0xff} (prefixes,
 * embedded zeros, high bytes); sometimes 60+ bytes sharing a long prefix,
 * which outlasts the sort's string images. */
static size_t random_str(vl_rng *r, char *buf) {
    static const char alpha[] = {'a', 'b', '\0', (char)0x80, (char)0xff};
    size_t n = 0;
    if (vl_rng_chance(r, 0.15)) {
        for (; n < 58; n++) buf[n] = 'x';
        if (vl_rng_chance(r, 0.5)) buf[n++] = 'y';
    }
    size_t extra = (size_t)vl_rng_below(r, 6);
    for (size_t i = 0; i < extra; i++) buf[n++] = alpha[vl_rng_below(r, sizeof(alpha))];
    return n;
}

static double random_double(vl_rng *r) {
    static const double pool[] = {-INFINITY, -1.5, -0.0, 0.0, 0.5, 2.0, INFINITY, 1e300, -1e-300};
    uint64_t c = vl_rng_below(r, 12);
    if (c < 9) return pool[c];
    if (c == 9) return NAN;
    if (c == 10) return -NAN; /* a NaN with the sign bit set */
    return vl_rng_normal(r);
}

/* n rows: id = row index; columns of few distinct values (many ties) with
 * about `nulls` of each nullable column null. */
static vl_x_table *random_table(uint64_t seed, size_t n, double nulls) {
    vl_x_table *t = new_table();
    if (!t) return NULL;
    vl_rng r;
    vl_rng_seed(&r, seed);
    char buf[80];
    for (size_t i = 0; i < n; i++) {
        if (vl_x_table_row_add(t) != VL_OK) goto fail;
        vl_x_table_set_i64(t, C_ID, i, (int64_t)i);
        if (!vl_rng_chance(&r, nulls)) {
            uint64_t c = vl_rng_below(&r, 20);
            int64_t v = c == 0 ? INT64_MIN : c == 1 ? INT64_MAX : (int64_t)vl_rng_below(&r, 11) - 5;
            vl_x_table_set_i64(t, C_I, i, v);
        }
        if (!vl_rng_chance(&r, nulls)) vl_x_table_set_f64(t, C_D, i, random_double(&r));
        if (!vl_rng_chance(&r, nulls)) {
            size_t len = random_str(&r, buf);
            if (vl_x_table_set_str(t, C_S, i, vl_sv_make(buf, len)) != VL_OK) goto fail;
        }
        if (!vl_rng_chance(&r, nulls / 4)) vl_x_table_set_i64(t, C_B, i, (int64_t)vl_rng_below(&r, 2));
        if (!vl_rng_chance(&r, nulls)) {
            static const char *const words[] = {"", "cam", "cam-1", "camera", "CAM", "z"};
            const char *w = words[vl_rng_below(&r, 6)];
            if (vl_x_table_set_str(t, C_W, i, vl_sv_cstr(w)) != VL_OK) goto fail;
        }
    }
    return t;
fail:
    vl_x_table_free(t);
    return NULL;
}

static vl_x_table *clone_table(const vl_x_table *src) {
    vl_x_table *t = NULL;
    if (vl_x_table_new(src->names, src->kinds, src->n_cols, &t, NULL) != VL_OK) return NULL;
    vl_x_batch b = vl_x_table_batch(src);
    if (vl_x_table_append(t, &b, NULL) != VL_OK) {
        vl_x_table_free(t);
        return NULL;
    }
    return t;
}

static bool is_null(const vl_x_table *t, uint32_t c, size_t row) { return !t->vecs[c].valid[row]; }

/* Whether cell (a, ra) and cell (b, rb) hold the same bits / bytes. */
static bool cell_same(const vl_x_table *a, uint32_t c, size_t ra, const vl_x_table *b, size_t rb) {
    bool na = is_null(a, c, ra), nb = is_null(b, c, rb);
    if (na || nb) return na == nb;
    const vl_x_vec *x = &a->vecs[c], *y = &b->vecs[c];
    switch (x->type) {
    case VL_X_I64:
        return x->v.i64[ra] == y->v.i64[rb];
    case VL_X_F64:
        return memcmp(&x->v.f64[ra], &y->v.f64[rb], sizeof(double)) == 0;
    default:
        return x->v.str[ra].n == y->v.str[rb].n &&
               (x->v.str[ra].n == 0 || memcmp(x->v.str[ra].p, y->v.str[rb].p, x->v.str[ra].n) == 0);
    }
}

/* Whether row ra of a and row rb of b are the same in every column. */
static bool row_same(const vl_x_table *a, size_t ra, const vl_x_table *b, size_t rb) {
    for (uint32_t c = 0; c < a->n_cols; c++)
        if (!cell_same(a, c, ra, b, rb)) return false;
    return true;
}

static bool table_same(const vl_x_table *a, const vl_x_table *b) {
    if (a->n != b->n || a->n_cols != b->n_cols) return false;
    for (size_t r = 0; r < a->n; r++)
        if (!row_same(a, r, b, r)) return false;
    for (uint32_t c = 0; c < a->n_cols; c++)
        if (a->vecs[c].n != a->n) return false;
    return true;
}

/* ============================================ the reference comparator */

/* Written from the contract, not from exec: nulls last either way; int64
 * signed; NaN above everything (all NaNs equal); -0 == 0; strings byte by
 * byte as unsigned, a prefix first. */
static int ref_cell_cmp(const vl_x_table *t, uint32_t c, size_t a, size_t b) {
    const vl_x_vec *v = &t->vecs[c];
    switch (v->type) {
    case VL_X_I64:
        return v->v.i64[a] < v->v.i64[b] ? -1 : v->v.i64[a] > v->v.i64[b];
    case VL_X_F64: {
        double x = v->v.f64[a], y = v->v.f64[b];
        if (isnan(x) || isnan(y)) return isnan(x) && isnan(y) ? 0 : isnan(x) ? 1 : -1;
        return x < y ? -1 : x > y;
    }
    default: {
        vl_sv x = v->v.str[a], y = v->v.str[b];
        for (size_t i = 0; i < x.n && i < y.n; i++) {
            unsigned char p = (unsigned char)x.p[i], q = (unsigned char)y.p[i];
            if (p != q) return p < q ? -1 : 1;
        }
        return x.n < y.n ? -1 : x.n > y.n;
    }
    }
}

static int ref_keys_cmp(const vl_x_table *t, const vl_x_sort_key *keys, uint32_t nk, size_t a, size_t b) {
    for (uint32_t i = 0; i < nk; i++) {
        uint32_t c = keys[i].col;
        bool na = is_null(t, c, a), nb = is_null(t, c, b);
        if (na && nb) continue;
        if (na || nb) return na ? 1 : -1;
        int r = ref_cell_cmp(t, c, a, b);
        if (r) return keys[i].desc ? -r : r;
    }
    return 0;
}

/* The expected order: a stable insertion sort of the row indices (n^2/4
 * comparisons: a few thousand rows at most). */
static size_t *ref_sort(const vl_x_table *t, const vl_x_sort_key *keys, uint32_t nk) {
    size_t *o = malloc((t->n ? t->n : 1) * sizeof(*o));
    if (!o) return NULL;
    for (size_t i = 0; i < t->n; i++) {
        size_t j = i;
        for (; j > 0 && ref_keys_cmp(t, keys, nk, i, o[j - 1]) < 0; j--) o[j] = o[j - 1];
        o[j] = i;
    }
    return o;
}

/* Sorts a clone of orig with (keys, limit) and checks it holds the rows
 * want[0..k) of orig, k = min(limit, n). */
static void check_sort(vl_test *t, const vl_x_table *orig, const vl_x_sort_key *keys, uint32_t nk, int64_t limit,
                       const size_t *want, const char *what) {
    vl_x_table *c = clone_table(orig);
    REQUIRE(t, c != NULL);
    vl_error err = {0};
    int rc = vl_x_table_sort(c, keys, nk, limit, &err);
    CHECKF(t, rc == VL_OK, "%s: %s", what, err.msg);
    size_t k = limit < 0 || (uint64_t)limit > orig->n ? orig->n : (size_t)limit;
    CHECKF(t, c->n == k, "%s limit %lld: %zu rows, want %zu", what, (long long)limit, c->n, k);
    for (uint32_t col = 0; col < c->n_cols; col++) CHECK(t, c->vecs[col].n == c->n);
    int bad = 0;
    for (size_t j = 0; j < k && j < c->n && bad < 3; j++) {
        if (!row_same(c, j, orig, want[j])) {
            CHECKF(t, false, "%s limit %lld: row %zu is id %lld, want %zu", what, (long long)limit, j,
                   (long long)c->vecs[C_ID].v.i64[j], want[j]);
            bad++;
        }
    }
    vl_x_table_free(c);
}

static void check_all_limits(vl_test *t, const vl_x_table *orig, const vl_x_sort_key *keys, uint32_t nk,
                             const char *what) {
    size_t *want = ref_sort(orig, keys, nk);
    REQUIRE(t, want != NULL);
    size_t n = orig->n;
    /* 0, 1, small (the heap), around n / 8 (where the heap stops), n - 1,
     * n, past n, none */
    const int64_t limits[] = {0, 1, 2, 7, 50, (int64_t)n / 8 - 1, (int64_t)n / 8, (int64_t)n / 2,
                              (int64_t)n - 1, (int64_t)n, (int64_t)n + 10, INT64_MAX, -1};
    for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++)
        if (limits[i] >= -1) check_sort(t, orig, keys, nk, limits[i], want, what);
    free(want);
}

/* An empty table of an id column and one value column. */
static vl_x_table *one_col(const char *name, vl_dt_kind kind) {
    const char *names[] = {"id", name};
    const vl_dt_kind kinds[] = {VL_DT_LONG, kind};
    vl_x_table *t = NULL;
    if (vl_x_table_new(names, kinds, 2, &t, NULL) != VL_OK) return NULL;
    return t;
}

static void check_ids(vl_test *t, const vl_x_table *tb, const int64_t *want, size_t n, const char *what) {
    CHECKF(t, tb->n == n, "%s: %zu rows, want %zu", what, tb->n, n);
    for (size_t i = 0; i < n && i < tb->n; i++)
        CHECKF(t, tb->vecs[0].v.i64[i] == want[i], "%s: row %zu is id %lld, want %lld", what, i,
               (long long)tb->vecs[0].v.i64[i], (long long)want[i]);
}

/* ================================================================ tests */

static void t_int64_order(vl_test *t) {
    vl_x_table *tb = one_col("v", VL_DT_LONG);
    REQUIRE(t, tb != NULL);
    const int64_t vals[] = {3, 0, -1, 3, INT64_MIN, 0, INT64_MAX, -1};
    const bool nul[] = {false, true, false, false, false, true, false, false};
    for (size_t i = 0; i < 8; i++) {
        REQUIRE(t, vl_x_table_row_add(tb) == VL_OK);
        vl_x_table_set_i64(tb, 0, i, (int64_t)i);
        if (!nul[i]) vl_x_table_set_i64(tb, 1, i, vals[i]);
    }
    vl_x_sort_key k = {1, false};
    OK(t, vl_x_table_sort(tb, &k, 1, -1, NULL));
    check_ids(t, tb, (const int64_t[]){4, 2, 7, 0, 3, 6, 1, 5}, 8, "asc");
    /* re-sort by id, then descending: ties keep their (id) order */
    vl_x_sort_key byid = {0, false};
    OK(t, vl_x_table_sort(tb, &byid, 1, -1, NULL));
    k.desc = true;
    OK(t, vl_x_table_sort(tb, &k, 1, -1, NULL));
    check_ids(t, tb, (const int64_t[]){6, 0, 3, 2, 7, 4, 1, 5}, 8, "desc");
    /* the top 3 descending of the same rows, from id order */
    OK(t, vl_x_table_sort(tb, &byid, 1, -1, NULL));
    OK(t, vl_x_table_sort(tb, &k, 1, 3, NULL));
    check_ids(t, tb, (const int64_t[]){6, 0, 3}, 3, "desc top 3");
    vl_x_table_free(tb);
}

static void t_double_order(vl_test *t) {
    vl_x_table *tb = one_col("v", VL_DT_DOUBLE);
    REQUIRE(t, tb != NULL);
    const double vals[] = {NAN, 1.0, -0.0, -INFINITY, 0.0, 0, INFINITY, -NAN, -2.5, 0.0};
    const bool nul[] = {false, false, false, false, false, true, false, false, false, false};
    for (size_t i = 0; i < 10; i++) {
        REQUIRE(t, vl_x_table_row_add(tb) == VL_OK);
        vl_x_table_set_i64(tb, 0, i, (int64_t)i);
        if (!nul[i]) vl_x_table_set_f64(tb, 1, i, vals[i]);
    }
    vl_x_sort_key k = {1, false}, byid = {0, false};
    OK(t, vl_x_table_sort(tb, &k, 1, -1, NULL));
    /* -inf, -2.5, then -0, 0, 0 tie (id order), 1, inf, both NaNs, null */
    check_ids(t, tb, (const int64_t[]){3, 8, 2, 4, 9, 1, 6, 0, 7, 5}, 10, "asc");
    OK(t, vl_x_table_sort(tb, &byid, 1, -1, NULL));
    k.desc = true;
    OK(t, vl_x_table_sort(tb, &k, 1, -1, NULL));
    check_ids(t, tb, (const int64_t[]){0, 7, 6, 1, 2, 4, 9, 8, 3, 5}, 10, "desc");
    vl_x_table_free(tb);
}

static void t_string_order(vl_test *t) {
    vl_x_table *tb = one_col("v", VL_DT_STRING);
    REQUIRE(t, tb != NULL);
    static const struct {
        const char *p;
        size_t n;
    } vals[] = {{"b", 1},       {"\xff", 1}, {"a\0", 2},    {"", 0}, {NULL, 0},         {"ab", 2},
                {"\x80z", 2},   {"a", 1},    {"abcdefgh", 8}, {"abcdefg", 7}, {"abcdefgh\x01", 9}, {"", 0},
                {"abcdefgi", 8}};
    size_t n = sizeof(vals) / sizeof(vals[0]);
    for (size_t i = 0; i < n; i++) {
        REQUIRE(t, vl_x_table_row_add(tb) == VL_OK);
        vl_x_table_set_i64(tb, 0, i, (int64_t)i);
        if (vals[i].p) OK(t, vl_x_table_set_str(tb, 1, i, vl_sv_make(vals[i].p, vals[i].n)));
    }
    vl_x_sort_key k = {1, false}, byid = {0, false};
    OK(t, vl_x_table_sort(tb, &k, 1, -1, NULL));
    check_ids(t, tb, (const int64_t[]){3, 11, 7, 2, 5, 9, 8, 10, 12, 0, 6, 1, 4}, n, "asc");
    OK(t, vl_x_table_sort(tb, &byid, 1, -1, NULL));
    k.desc = true;
    OK(t, vl_x_table_sort(tb, &k, 1, -1, NULL));
    check_ids(t, tb, (const int64_t[]){1, 6, 0, 12, 10, 8, 9, 5, 2, 7, 3, 11, 4}, n, "desc");
    vl_x_table_free(tb);
}

static void t_random_single_keys(vl_test *t) {
    vl_x_table *orig = random_table(11, 3000, 0.1);
    REQUIRE(t, orig != NULL);
    for (uint32_t c = C_I; c < N_COLS; c++) {
        for (int d = 0; d < 2; d++) {
            vl_x_sort_key k = {c, d == 1};
            char what[64];
            snprintf(what, sizeof(what), "by %s %s", col_names[c], d ? "desc" : "asc");
            check_all_limits(t, orig, &k, 1, what);
        }
    }
    vl_x_table_free(orig);
}

static void t_random_multi_keys(vl_test *t) {
    vl_x_table *orig = random_table(12, 2500, 0.15);
    REQUIRE(t, orig != NULL);
    static const struct {
        vl_x_sort_key k[4];
        uint32_t n;
    } sets[] = {
        {{{C_B, false}, {C_I, true}}, 2},
        {{{C_I, false}, {C_D, false}}, 2},
        {{{C_D, true}, {C_S, false}, {C_I, true}}, 3},
        {{{C_S, false}, {C_I, false}}, 2},
        {{{C_S, true}, {C_W, true}}, 2},
        {{{C_W, false}, {C_B, true}, {C_D, false}, {C_S, true}}, 4},
        {{{C_I, true}, {C_I, false}, {C_W, false}}, 3}, /* a repeated column decides only once */
    };
    for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
        char what[64];
        snprintf(what, sizeof(what), "key set %zu", i);
        check_all_limits(t, orig, sets[i].k, sets[i].n, what);
    }
    vl_x_table_free(orig);
}

static void t_no_nulls_and_all_nulls(vl_test *t) {
    vl_x_table *none = random_table(13, 2100, 0.0), *all = random_table(14, 700, 1.0);
    REQUIRE(t, none != NULL && all != NULL);
    for (uint32_t c = C_I; c < N_COLS; c++) {
        vl_x_sort_key k[2] = {{c, c % 2 == 0}, {C_W, true}};
        check_all_limits(t, none, k, 1, "no nulls");
        check_all_limits(t, none, k, 2, "no nulls, 2 keys");
        check_all_limits(t, all, k, 2, "all null");
    }
    vl_x_table_free(none);
    vl_x_table_free(all);
}

static void t_stable_ties(vl_test *t) {
    /* every key value equal: any order but the original is a bug */
    vl_x_table *tb = new_table();
    REQUIRE(t, tb != NULL);
    size_t n = 5000;
    for (size_t i = 0; i < n; i++) {
        REQUIRE(t, vl_x_table_row_add(tb) == VL_OK);
        vl_x_table_set_i64(tb, C_ID, i, (int64_t)i);
        vl_x_table_set_i64(tb, C_I, i, 7);
        vl_x_table_set_f64(tb, C_D, i, i % 2 ? 0.0 : -0.0);
        OK(t, vl_x_table_set_str(tb, C_S, i, VL_SV("same")));
    }
    const vl_x_sort_key sets[][3] = {{{C_I, false}}, {{C_I, true}}, {{C_D, true}},
                                     {{C_S, false}, {C_I, true}, {C_D, false}}, {{C_B, true}}};
    const uint32_t ns[] = {1, 1, 1, 3, 1};
    const int64_t limits[] = {-1, 10, 4999};
    for (size_t s = 0; s < 5; s++) {
        for (size_t l = 0; l < 3; l++) {
            OK(t, vl_x_table_sort(tb, sets[s], ns[s], limits[l], NULL));
            bool in_order = true;
            for (size_t i = 0; i < tb->n; i++) in_order &= tb->vecs[C_ID].v.i64[i] == (int64_t)i;
            CHECKF(t, in_order, "key set %zu, limit %lld", s, (long long)limits[l]);
        }
    }
    vl_x_table_free(tb);
}

/* qsort reference for the large tables: the contract's order, then id. */
static const vl_x_table *qs_table;
static const vl_x_sort_key *qs_keys;
static uint32_t qs_nk;

static int qs_cmp(const void *a, const void *b) {
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    int c = ref_keys_cmp(qs_table, qs_keys, qs_nk, x, y);
    return c ? c : (x > y) - (x < y);
}

static void t_large_tables(vl_test *t) {
    /* enough rows for every radix pass and for the long-string fallback */
    size_t n = 60000;
    vl_x_table *orig = new_table();
    REQUIRE(t, orig != NULL);
    vl_rng r;
    vl_rng_seed(&r, 15);
    char buf[80];
    for (size_t i = 0; i < n; i++) {
        REQUIRE(t, vl_x_table_row_add(orig) == VL_OK);
        vl_x_table_set_i64(orig, C_ID, i, (int64_t)i);
        if (!vl_rng_chance(&r, 0.02)) /* full range, and a few repeats */
            vl_x_table_set_i64(orig, C_I, i, i % 7 ? (int64_t)vl_rng_next(&r) : (int64_t)(i % 100));
        if (!vl_rng_chance(&r, 0.02))
            vl_x_table_set_f64(orig, C_D, i, i % 5 ? vl_rng_normal(&r) * 1e6 : random_double(&r));
        size_t len = random_str(&r, buf);
        OK(t, vl_x_table_set_str(orig, C_S, i, vl_sv_make(buf, len)));
        vl_x_table_set_i64(orig, C_B, i, (int64_t)vl_rng_below(&r, 3));
    }
    const vl_x_sort_key sets[][2] = {{{C_I, false}}, {{C_I, true}}, {{C_D, false}}, {{C_D, true}},
                                     {{C_S, false}}, {{C_S, true}, {C_B, false}}, {{C_B, true}, {C_D, false}}};
    const uint32_t ns[] = {1, 1, 1, 1, 1, 2, 2};
    size_t *want = malloc(n * sizeof(*want));
    REQUIRE(t, want != NULL);
    for (size_t s = 0; s < sizeof(ns) / sizeof(ns[0]); s++) {
        for (size_t i = 0; i < n; i++) want[i] = i;
        qs_table = orig;
        qs_keys = sets[s];
        qs_nk = ns[s];
        qsort(want, n, sizeof(*want), qs_cmp);
        char what[64];
        snprintf(what, sizeof(what), "60k rows, key set %zu", s);
        check_sort(t, orig, sets[s], ns[s], -1, want, what);
        check_sort(t, orig, sets[s], ns[s], 100, want, what);
        check_sort(t, orig, sets[s], ns[s], (int64_t)n / 3, want, what);
    }
    free(want);
    vl_x_table_free(orig);
}

static void t_bad_key(vl_test *t) {
    vl_x_table *tb = random_table(16, 100, 0.1), *orig = clone_table(tb);
    REQUIRE(t, tb != NULL && orig != NULL);
    vl_x_sort_key k[2] = {{C_I, false}, {N_COLS, true}};
    vl_error err = {0};
    CHECK_EQ_INT(t, vl_x_table_sort(tb, k, 2, -1, &err), VL_EINVAL);
    CHECK_EQ_INT(t, err.code, VL_EINVAL);
    CHECKF(t, strstr(err.msg, "sort key 1") && strstr(err.msg, "column 6"), "%s", err.msg);
    CHECK(t, table_same(tb, orig));
    CHECK_EQ_INT(t, vl_x_table_sort(tb, k + 1, 1, 5, NULL), VL_EINVAL);
    CHECK(t, table_same(tb, orig));
    vl_x_table_free(tb);
    vl_x_table_free(orig);
}

static void t_empty_and_no_keys(vl_test *t) {
    vl_x_table *tb = new_table();
    REQUIRE(t, tb != NULL);
    vl_x_sort_key k = {C_S, true};
    OK(t, vl_x_table_sort(tb, &k, 1, -1, NULL));
    OK(t, vl_x_table_sort(tb, &k, 1, 3, NULL));
    CHECK_EQ_INT(t, tb->n, 0);
    vl_x_table_free(tb);

    /* no keys: every row ties, so the order stays and limit cuts */
    tb = random_table(17, 50, 0.1);
    vl_x_table *orig = clone_table(tb);
    REQUIRE(t, tb != NULL && orig != NULL);
    OK(t, vl_x_table_sort(tb, NULL, 0, -1, NULL));
    CHECK(t, table_same(tb, orig));
    OK(t, vl_x_table_sort(tb, NULL, 0, 20, NULL));
    CHECK_EQ_INT(t, tb->n, 20);
    for (size_t i = 0; i < tb->n; i++) CHECK(t, row_same(tb, i, orig, i));
    /* a table cut to 0 rows can grow again */
    OK(t, vl_x_table_sort(tb, &k, 1, 0, NULL));
    CHECK_EQ_INT(t, tb->n, 0);
    REQUIRE(t, vl_x_table_row_add(tb) == VL_OK);
    CHECK_EQ_INT(t, tb->n, 1);
    vl_x_table_free(tb);
    vl_x_table_free(orig);
}

static void t_alloc_failures(vl_test *t) {
    /* the full sort (radix counters: > 2048 rows), the numeric heap and
     * the comparator heap: every allocation fails in turn */
    vl_x_table *orig = random_table(18, 3000, 0.1);
    REQUIRE(t, orig != NULL);
    const vl_x_sort_key sets[][2] = {{{C_D, false}}, {{C_S, true}, {C_I, false}}};
    const int64_t limits[] = {-1, 10};
    for (size_t s = 0; s < 2; s++) {
        size_t *want = ref_sort(orig, sets[s], s + 1);
        REQUIRE(t, want != NULL);
        for (size_t l = 0; l < 2; l++) {
            vl_x_table *tb = clone_table(orig);
            REQUIRE(t, tb != NULL);
            int rc = VL_ENOMEM;
            long fail;
            for (fail = 0; fail < 100 && rc != VL_OK; fail++) {
                vl_error err = {0};
                vl_alloc_fail_after(fail);
                rc = vl_x_table_sort(tb, sets[s], (uint32_t)s + 1, limits[l], &err);
                vl_alloc_fail_after(-1);
                if (rc != VL_OK) {
                    CHECKF(t, rc == VL_ENOMEM && err.code == VL_ENOMEM && strstr(err.msg, "out of memory"),
                           "fail at %ld: rc %d: %s", fail, rc, err.msg);
                    CHECKF(t, table_same(tb, orig), "fail at %ld: the table changed", fail);
                }
            }
            CHECKF(t, fail > 1, "key set %zu: no allocation to fail", s);
            CHECK_EQ_INT(t, rc, VL_OK);
            size_t k = limits[l] < 0 ? orig->n : (size_t)limits[l];
            CHECK_EQ_INT(t, tb->n, k);
            for (size_t j = 0; j < k && j < tb->n; j++) CHECK(t, row_same(tb, j, orig, want[j]));
            vl_x_table_free(tb);
        }
        free(want);
    }
    vl_x_table_free(orig);
}

static const vl_test_case cases[] = {
    {"int64 keys: signed order, nulls last both ways, desc keeps ties in order", t_int64_order},
    {"double keys: NaN greatest, -0 ties with 0, nulls after NaN", t_double_order},
    {"string keys: unsigned bytes, a prefix first, long shared prefixes", t_string_order},
    {"random tables: each single key, both ways, every limit matches a stable reference", t_random_single_keys},
    {"random tables: multi-key sorts, mixed directions, repeated key", t_random_multi_keys},
    {"tables without nulls and with only nulls", t_no_nulls_and_all_nulls},
    {"stable: rows with equal keys keep their order, with and without limit", t_stable_ties},
    {"60k rows: radix passes, long-string fallback, heap top 100 match qsort", t_large_tables},
    {"a key column out of range is EINVAL naming it, table unchanged", t_bad_key},
    {"empty table; no keys keeps the order and limit only cuts", t_empty_and_no_keys},
    {"allocation failures are ENOMEM with the table unchanged", t_alloc_failures},
};

VL_TEST_MAIN(cases)
