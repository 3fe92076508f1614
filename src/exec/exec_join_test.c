/* vidlake - Apache-2.0 */
/* Unit tests for src/exec/exec_join.c (vl_x_join_*): inner and left joins
 * of random probe tables (duplicates on both sides, null keys, NaN and -0
 * keys) against random build tables, on one and two keys, through
 * selection vectors and several workers on two threads, compared as
 * multisets of rows with a nested-loop join; argument errors; allocation
 * failures. Fixed seeds: reproducible. */
#include "exec/exec.h"
#include "vl_test.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define OK(t, expr) CHECK_EQ_INT(t, (expr), VL_OK)

/* Build: key columns bk (long), bs (string), bd (double), then payloads.
 * Probe: pk, ps, pd likewise, and its own payloads. */
enum { B_ID, B_K, B_S, B_D, B_X, B_COLS };
enum { P_ID, P_K, P_S, P_D, P_COLS };
static const char *const b_names[B_COLS] = {"b_id", "bk", "bs", "bd", "bx"};
static const vl_dt_kind b_kinds[B_COLS] = {VL_DT_LONG, VL_DT_INTEGER, VL_DT_STRING, VL_DT_DOUBLE, VL_DT_BINARY};
static const char *const p_names[P_COLS] = {"p_id", "pk", "ps", "pd"};
static const vl_dt_kind p_kinds[P_COLS] = {VL_DT_LONG, VL_DT_LONG, VL_DT_STRING, VL_DT_DOUBLE};
static const char *const out_names[P_COLS + B_COLS] = {"p_id", "pk", "ps", "pd", "b_id", "bk", "bs", "bd", "bx"};

/* ============================================================== helpers */

static double key_double(vl_rng *r) {
    static const double pool[] = {NAN, -NAN, 0.0, -0.0, 1.5, -7.0, INFINITY};
    return pool[vl_rng_below(r, sizeof(pool) / sizeof(pool[0]))];
}

static int fill_keys(vl_x_table *t, size_t row, vl_rng *r, int64_t range, double nulls) {
    static const char *const words[] = {"", "cam", "cam-1", "CAM", "\xff\x80", "a much longer camera identifier"};
    if (!vl_rng_chance(r, nulls)) vl_x_table_set_i64(t, 1, row, (int64_t)vl_rng_below(r, (uint64_t)range) - 3);
    if (!vl_rng_chance(r, nulls))
        VL_RETURN_IF_ERR(vl_x_table_set_str(t, 2, row, vl_sv_cstr(words[vl_rng_below(r, 6)])));
    if (!vl_rng_chance(r, nulls)) vl_x_table_set_f64(t, 3, row, key_double(r));
    return VL_OK;
}

/* A random build (B_*) or probe (P_*) table of n rows with keys in
 * [-3, range - 3), about `nulls` of each key null. */
static vl_x_table *random_side(bool build, uint64_t seed, size_t n, int64_t range, double nulls) {
    vl_x_table *t = NULL;
    if (vl_x_table_new(build ? b_names : p_names, build ? b_kinds : p_kinds, build ? B_COLS : P_COLS, &t, NULL) !=
        VL_OK)
        return NULL;
    vl_rng r;
    vl_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) {
        if (vl_x_table_row_add(t) != VL_OK) goto fail;
        vl_x_table_set_i64(t, 0, i, (int64_t)i);
        if (fill_keys(t, i, &r, range, nulls) != VL_OK) goto fail;
        if (build && !vl_rng_chance(&r, 0.2)) {
            char buf[16];
            int len = snprintf(buf, sizeof(buf), "x%zu", i % 97);
            if (vl_x_table_set_str(t, B_X, i, vl_sv_make(buf, (size_t)len)) != VL_OK) goto fail;
        }
    }
    return t;
fail:
    vl_x_table_free(t);
    return NULL;
}

/* Exact text of a cell: N for null, else the type and its bits or bytes. */
static void cell_text(const vl_x_vec *v, size_t row, vl_buf *out, int *rc) {
    if (*rc != VL_OK) return;
    if (v->valid && !v->valid[row]) {
        *rc = vl_buf_puts(out, "N|");
        return;
    }
    switch (v->type) {
    case VL_X_I64:
        *rc = vl_buf_printf(out, "i%lld|", (long long)v->v.i64[row]);
        break;
    case VL_X_F64: {
        uint64_t u;
        memcpy(&u, &v->v.f64[row], 8);
        *rc = vl_buf_printf(out, "d%016llx|", (unsigned long long)u);
        break;
    }
    default:
        *rc = vl_buf_putc(out, 's');
        for (size_t i = 0; i < v->v.str[row].n && *rc == VL_OK; i++)
            *rc = vl_buf_printf(out, "%02x", (unsigned char)v->v.str[row].p[i]);
        if (*rc == VL_OK) *rc = vl_buf_putc(out, '|');
    }
}

/* A list of row texts, compared after sorting (a multiset). */
typedef struct rows {
    char **s;
    size_t n, cap;
} rows;

static int rows_add(rows *rs, vl_buf *b) {
    if (rs->n == rs->cap) {
        size_t cap = rs->cap ? rs->cap * 2 : 256;
        char **s = realloc(rs->s, cap * sizeof(*s));
        if (!s) return VL_ENOMEM;
        rs->s = s;
        rs->cap = cap;
    }
    char *c = strdup(vl_buf_cstr(b));
    if (!c) return VL_ENOMEM;
    rs->s[rs->n++] = c;
    return VL_OK;
}

static void rows_free(rows *rs) {
    for (size_t i = 0; i < rs->n; i++) free(rs->s[i]);
    free(rs->s);
    *rs = (rows){0};
}

static int str_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Appends the texts of rows [from, to) of an output table. */
static int table_rows(const vl_x_table *t, size_t from, size_t to, rows *rs) {
    vl_buf b;
    vl_buf_init(&b);
    int rc = VL_OK;
    for (size_t r = from; r < to && rc == VL_OK; r++) {
        vl_buf_clear(&b);
        for (uint32_t c = 0; c < t->n_cols; c++) cell_text(&t->vecs[c], r, &b, &rc);
        if (rc == VL_OK) rc = rows_add(rs, &b);
    }
    vl_buf_free(&b);
    return rc;
}

/* The contract's key equality, written from scratch: null never equal,
 * NaN equals NaN, -0 equals 0, strings byte for byte. */
static bool ref_key_eq(const vl_x_vec *a, size_t ra, const vl_x_vec *b, size_t rb) {
    if (!a->valid[ra] || !b->valid[rb]) return false;
    switch (a->type) {
    case VL_X_I64:
        return a->v.i64[ra] == b->v.i64[rb];
    case VL_X_F64: {
        double x = a->v.f64[ra], y = b->v.f64[rb];
        return x == y || (isnan(x) && isnan(y));
    }
    default:
        return a->v.str[ra].n == b->v.str[rb].n &&
               (a->v.str[ra].n == 0 || memcmp(a->v.str[ra].p, b->v.str[rb].p, a->v.str[ra].n) == 0);
    }
}

/* Nested-loop join of batch pb's selected rows with build: appends the
 * expected row texts. */
static int ref_join(const vl_x_table *build, const uint32_t *bk, const vl_x_batch *pb, const uint32_t *pk,
                    uint32_t nk, vl_x_join_kind kind, rows *rs) {
    vl_buf b;
    vl_buf_init(&b);
    int rc = VL_OK;
    for (size_t i = 0; i < vl_x_batch_rows(pb) && rc == VL_OK; i++) {
        size_t r = vl_x_batch_row(pb, i);
        bool matched = false;
        for (size_t br = 0; br <= build->n && rc == VL_OK; br++) {
            if (br == build->n && (matched || kind != VL_X_JOIN_LEFT)) break;
            if (br < build->n) {
                bool eq = true;
                for (uint32_t k = 0; k < nk && eq; k++) eq = ref_key_eq(&pb->cols[pk[k]], r, &build->vecs[bk[k]], br);
                if (!eq) continue;
                matched = true;
            }
            vl_buf_clear(&b);
            for (uint32_t c = 0; c < pb->n_cols; c++) cell_text(&pb->cols[c], r, &b, &rc);
            for (uint32_t c = 0; c < build->n_cols; c++) {
                if (br < build->n) cell_text(&build->vecs[c], br, &b, &rc);
                else if (rc == VL_OK) rc = vl_buf_puts(&b, "N|");
            }
            if (rc == VL_OK) rc = rows_add(rs, &b);
        }
    }
    vl_buf_free(&b);
    return rc;
}

/* Whether two row multisets are equal (sorts both); reports a difference. */
static bool rows_equal(vl_test *t, rows *got, rows *want, const char *what) {
    if (got->n) qsort(got->s, got->n, sizeof(char *), str_cmp);
    if (want->n) qsort(want->s, want->n, sizeof(char *), str_cmp);
    CHECKF(t, got->n == want->n, "%s: %zu rows, want %zu", what, got->n, want->n);
    for (size_t i = 0; i < got->n && i < want->n; i++) {
        if (strcmp(got->s[i], want->s[i]) != 0) {
            CHECKF(t, false, "%s: row %zu is %s, want %s", what, i, got->s[i], want->s[i]);
            return false;
        }
    }
    return got->n == want->n;
}

/* Selection vectors over probe: `parts` batches of the rows i with
 * i % parts == part, each keeping a row with probability keep. */
static uint32_t *make_sel(size_t n, size_t part, size_t parts, double keep, vl_rng *r, size_t *n_sel) {
    uint32_t *sel = malloc((n ? n : 1) * sizeof(*sel));
    *n_sel = 0;
    if (!sel) return NULL;
    for (size_t i = part; i < n; i += parts)
        if (vl_rng_chance(r, keep)) sel[(*n_sel)++] = (uint32_t)i;
    return sel;
}

/* Joins probe (split into 3 batches by row % 3, each with a random
 * selection unless keep >= 1) against build and compares with the
 * nested loop. */
static void check_join(vl_test *t, const vl_x_table *build, const vl_x_table *probe, const uint32_t *bk,
                       const uint32_t *pk, uint32_t nk, vl_x_join_kind kind, double keep, const char *what) {
    vl_x_join *j = NULL;
    vl_error err = {0};
    int rc = vl_x_join_new(build, bk, pk, nk, kind, p_kinds, P_COLS, out_names, 1, &j, &err);
    CHECKF(t, rc == VL_OK, "%s: %s", what, err.msg);
    if (rc != VL_OK) return;
    rows want = {0}, got = {0};
    vl_rng r;
    vl_rng_seed(&r, 99);
    for (size_t part = 0; part < 3; part++) {
        vl_x_batch pb = vl_x_table_batch(probe);
        uint32_t *sel = NULL;
        if (keep < 1) {
            sel = make_sel(probe->n, part, 3, keep, &r, &pb.n_sel);
            REQUIRE(t, sel != NULL);
            pb.sel = sel;
        } else if (part > 0) {
            break; /* the whole table, once, without a selection */
        }
        rc = vl_x_join_probe(j, 0, &pb, &err);
        CHECKF(t, rc == VL_OK, "%s: probe: %s", what, err.msg);
        OK(t, ref_join(build, bk, &pb, pk, nk, kind, &want));
        free(sel);
    }
    vl_x_table *out = NULL;
    rc = vl_x_join_finish(j, &out, &err);
    CHECKF(t, rc == VL_OK, "%s: finish: %s", what, err.msg);
    if (out) {
        CHECK_EQ_INT(t, out->n_cols, P_COLS + B_COLS);
        for (uint32_t c = 0; c < out->n_cols && c < P_COLS + B_COLS; c++) {
            CHECK_EQ_STR(t, out->names[c], out_names[c]);
            CHECK_EQ_INT(t, out->kinds[c], c < P_COLS ? p_kinds[c] : b_kinds[c - P_COLS]);
            CHECK_EQ_INT(t, out->vecs[c].n, out->n);
        }
        OK(t, table_rows(out, 0, out->n, &got));
        rows_equal(t, &got, &want, what);
    }
    vl_x_table_free(out);
    vl_x_join_free(j);
    rows_free(&want);
    rows_free(&got);
}

/* ================================================================ tests */

static const uint32_t K_INT[] = {1}, K_STR[] = {2}, K_DBL[] = {3};
static const uint32_t K_INT_STR[] = {1, 2}, K_STR_DBL_INT[] = {2, 3, 1};

static void t_one_key(vl_test *t) {
    vl_x_table *b = random_side(true, 1, 800, 40, 0.1), *p = random_side(false, 2, 2000, 50, 0.1);
    REQUIRE(t, b != NULL && p != NULL);
    check_join(t, b, p, K_INT, K_INT, 1, VL_X_JOIN_INNER, 1, "inner on an int64");
    check_join(t, b, p, K_INT, K_INT, 1, VL_X_JOIN_LEFT, 1, "left on an int64");
    check_join(t, b, p, K_STR, K_STR, 1, VL_X_JOIN_INNER, 1, "inner on a string");
    check_join(t, b, p, K_STR, K_STR, 1, VL_X_JOIN_LEFT, 1, "left on a string");
    check_join(t, b, p, K_DBL, K_DBL, 1, VL_X_JOIN_INNER, 1, "inner on a double");
    vl_x_table_free(b);
    vl_x_table_free(p);
}

static void t_multi_key(vl_test *t) {
    vl_x_table *b = random_side(true, 3, 1500, 12, 0.08), *p = random_side(false, 4, 2500, 15, 0.08);
    REQUIRE(t, b != NULL && p != NULL);
    check_join(t, b, p, K_INT_STR, K_INT_STR, 2, VL_X_JOIN_INNER, 1, "inner on int64, string");
    check_join(t, b, p, K_INT_STR, K_INT_STR, 2, VL_X_JOIN_LEFT, 1, "left on int64, string");
    check_join(t, b, p, K_STR_DBL_INT, K_STR_DBL_INT, 3, VL_X_JOIN_LEFT, 1, "left on string, double, int64");
    /* the probe's int64 key against the build's payload-free id column */
    static const uint32_t bid[] = {B_ID}, pint[] = {P_K};
    check_join(t, b, p, bid, pint, 1, VL_X_JOIN_LEFT, 1, "left on build ids");
    vl_x_table_free(b);
    vl_x_table_free(p);
}

static void t_selection(vl_test *t) {
    vl_x_table *b = random_side(true, 5, 600, 20, 0.1), *p = random_side(false, 6, 3000, 25, 0.1);
    REQUIRE(t, b != NULL && p != NULL);
    check_join(t, b, p, K_INT, K_INT, 1, VL_X_JOIN_INNER, 0.3, "inner, 30% selected");
    check_join(t, b, p, K_INT_STR, K_INT_STR, 2, VL_X_JOIN_LEFT, 0.5, "left, 50% selected");
    check_join(t, b, p, K_STR, K_STR, 1, VL_X_JOIN_LEFT, 0.0, "left, nothing selected");
    vl_x_table_free(b);
    vl_x_table_free(p);
}

static void t_nan_and_zero(vl_test *t) {
    /* build: NaN, -0, 1, null, NaN(sign bit); probe: -NaN, 0, null, 2 */
    vl_x_table *b = random_side(true, 7, 0, 1, 0), *p = random_side(false, 8, 0, 1, 0);
    REQUIRE(t, b != NULL && p != NULL);
    const double bv[] = {NAN, -0.0, 1.0, 0, -NAN}, pv[] = {-NAN, 0.0, 0, 2.0};
    const bool bnull[] = {false, false, false, true, false}, pnull[] = {false, false, true, false};
    for (size_t i = 0; i < 5; i++) {
        REQUIRE(t, vl_x_table_row_add(b) == VL_OK);
        vl_x_table_set_i64(b, B_ID, i, (int64_t)i);
        if (!bnull[i]) vl_x_table_set_f64(b, B_D, i, bv[i]);
    }
    for (size_t i = 0; i < 4; i++) {
        REQUIRE(t, vl_x_table_row_add(p) == VL_OK);
        vl_x_table_set_i64(p, P_ID, i, (int64_t)i);
        if (!pnull[i]) vl_x_table_set_f64(p, P_D, i, pv[i]);
    }
    vl_x_join *j = NULL;
    OK(t, vl_x_join_new(b, K_DBL, K_DBL, 1, VL_X_JOIN_LEFT, p_kinds, P_COLS, out_names, 1, &j, NULL));
    REQUIRE(t, j != NULL);
    vl_x_batch pb = vl_x_table_batch(p);
    OK(t, vl_x_join_probe(j, 0, &pb, NULL));
    vl_x_table *out = NULL;
    OK(t, vl_x_join_finish(j, &out, NULL));
    REQUIRE(t, out != NULL);
    /* probe 0 (NaN) x build 0 and 4; probe 1 (0) x build 1 (-0); probe 2
     * (null) and 3 (2.0) unmatched, once each */
    const int64_t want_p[] = {0, 0, 1, 2, 3}, want_b[] = {0, 4, 1, -1, -1};
    CHECK_EQ_INT(t, out->n, 5);
    for (size_t i = 0; i < out->n && i < 5; i++) {
        CHECK_EQ_INT(t, out->vecs[P_ID].v.i64[i], want_p[i]);
        const vl_x_vec *bid = &out->vecs[P_COLS + B_ID];
        CHECK_EQ_INT(t, bid->valid[i] ? bid->v.i64[i] : -1, want_b[i]);
    }
    vl_x_table_free(out);
    vl_x_join_free(j);
    vl_x_table_free(b);
    vl_x_table_free(p);
}

static void t_many_to_many(vl_test *t) {
    /* 200 build rows x 50 probe rows of one key: 10,000 rows */
    vl_x_table *b = random_side(true, 9, 200, 1, 0), *p = random_side(false, 10, 50, 1, 0);
    REQUIRE(t, b != NULL && p != NULL);
    vl_x_join *j = NULL;
    OK(t, vl_x_join_new(b, K_INT, K_INT, 1, VL_X_JOIN_INNER, p_kinds, P_COLS, out_names, 1, &j, NULL));
    REQUIRE(t, j != NULL);
    vl_x_batch pb = vl_x_table_batch(p);
    OK(t, vl_x_join_probe(j, 0, &pb, NULL));
    vl_x_table *out = NULL;
    OK(t, vl_x_join_finish(j, &out, NULL));
    REQUIRE(t, out != NULL);
    CHECK_EQ_INT(t, out->n, 10000);
    vl_x_table_free(out);
    vl_x_join_free(j);
    check_join(t, b, p, K_INT, K_INT, 1, VL_X_JOIN_LEFT, 1, "200 x 50 duplicates");
    vl_x_table_free(b);
    vl_x_table_free(p);
}

static void t_empty_sides(vl_test *t) {
    vl_x_table *b = random_side(true, 11, 300, 10, 0.1), *p = random_side(false, 12, 400, 10, 0.1);
    vl_x_table *b0 = random_side(true, 13, 0, 10, 0), *p0 = random_side(false, 14, 0, 10, 0);
    REQUIRE(t, b && p && b0 && p0);
    check_join(t, b0, p, K_INT, K_INT, 1, VL_X_JOIN_INNER, 1, "empty build, inner");
    check_join(t, b0, p, K_INT_STR, K_INT_STR, 2, VL_X_JOIN_LEFT, 1, "empty build, left");
    check_join(t, b, p0, K_INT, K_INT, 1, VL_X_JOIN_LEFT, 1, "empty probe");
    check_join(t, b0, p0, K_INT, K_INT, 1, VL_X_JOIN_LEFT, 1, "both empty");
    /* all-null build keys: nothing matches, not even null probe keys */
    vl_x_table *bn = random_side(true, 15, 100, 10, 1.0), *pn = random_side(false, 16, 100, 10, 1.0);
    REQUIRE(t, bn && pn);
    check_join(t, bn, pn, K_INT, K_INT, 1, VL_X_JOIN_INNER, 1, "null keys only");
    check_join(t, bn, p, K_STR, K_STR, 1, VL_X_JOIN_LEFT, 1, "null build keys, left");
    /* a join with no probe batch at all */
    vl_x_join *j = NULL;
    OK(t, vl_x_join_new(b, K_INT, K_INT, 1, VL_X_JOIN_INNER, p_kinds, P_COLS, out_names, 3, &j, NULL));
    REQUIRE(t, j != NULL);
    vl_x_table *out = NULL;
    OK(t, vl_x_join_finish(j, &out, NULL));
    REQUIRE(t, out != NULL);
    CHECK_EQ_INT(t, out->n, 0);
    CHECK_EQ_INT(t, out->n_cols, P_COLS + B_COLS);
    vl_x_table_free(out);
    vl_x_join_free(j);
    vl_x_table_free(b);
    vl_x_table_free(p);
    vl_x_table_free(b0);
    vl_x_table_free(p0);
    vl_x_table_free(bn);
    vl_x_table_free(pn);
}

typedef struct probe_job {
    vl_x_join *j;
    int worker;
    const vl_x_table *probe;
    size_t part, parts; /* this thread probes the rows i % parts == part */
    int rc;
    vl_error err;
} probe_job;

static void *probe_thread(void *arg) {
    probe_job *pj = arg;
    /* batches of up to 100 selected rows */
    uint32_t sel[100];
    size_t n_sel = 0;
    pj->rc = VL_OK;
    for (size_t i = pj->part; i <= pj->probe->n && pj->rc == VL_OK; i += pj->parts) {
        if (i < pj->probe->n) sel[n_sel++] = (uint32_t)i;
        if (n_sel == 100 || (i + pj->parts > pj->probe->n && n_sel)) {
            vl_x_batch pb = vl_x_table_batch(pj->probe);
            pb.sel = sel;
            pb.n_sel = n_sel;
            pj->rc = vl_x_join_probe(pj->j, pj->worker, &pb, &pj->err);
            n_sel = 0;
        }
    }
    return NULL;
}

static void t_two_threads(vl_test *t) {
    vl_x_table *b = random_side(true, 17, 1000, 30, 0.05), *p = random_side(false, 18, 6000, 35, 0.05);
    REQUIRE(t, b != NULL && p != NULL);
    for (int kind = VL_X_JOIN_INNER; kind <= VL_X_JOIN_LEFT; kind++) {
        vl_x_join *j = NULL;
        OK(t, vl_x_join_new(b, K_INT_STR, K_INT_STR, 2, kind, p_kinds, P_COLS, out_names, 2, &j, NULL));
        REQUIRE(t, j != NULL);
        probe_job jobs[2] = {{.j = j, .worker = 0, .probe = p, .part = 0, .parts = 2},
                             {.j = j, .worker = 1, .probe = p, .part = 1, .parts = 2}};
        pthread_t th[2];
        for (int w = 0; w < 2; w++) REQUIRE(t, pthread_create(&th[w], NULL, probe_thread, &jobs[w]) == 0);
        for (int w = 0; w < 2; w++) pthread_join(th[w], NULL);
        for (int w = 0; w < 2; w++) CHECKF(t, jobs[w].rc == VL_OK, "worker %d: %s", w, jobs[w].err.msg);
        vl_x_table *out = NULL;
        OK(t, vl_x_join_finish(j, &out, NULL));
        REQUIRE(t, out != NULL);
        /* worker 0's rows (even probe ids), then worker 1's (odd) */
        size_t n0 = 0;
        while (n0 < out->n && out->vecs[P_ID].v.i64[n0] % 2 == 0) n0++;
        for (int w = 0; w < 2; w++) {
            rows got = {0}, want = {0};
            OK(t, table_rows(out, w ? n0 : 0, w ? out->n : n0, &got));
            size_t n_sel = 0;
            uint32_t *sel = malloc(p->n * sizeof(*sel));
            REQUIRE(t, sel != NULL);
            for (size_t i = (size_t)w; i < p->n; i += 2) sel[n_sel++] = (uint32_t)i;
            vl_x_batch pb = vl_x_table_batch(p);
            pb.sel = sel;
            pb.n_sel = n_sel;
            OK(t, ref_join(b, K_INT_STR, &pb, K_INT_STR, 2, (vl_x_join_kind)kind, &want));
            free(sel);
            rows_equal(t, &got, &want, w ? "worker 1's rows" : "worker 0's rows");
            rows_free(&got);
            rows_free(&want);
        }
        /* finished: no more probes, no second finish */
        vl_x_batch pb = vl_x_table_batch(p);
        vl_error err = {0};
        CHECK_EQ_INT(t, vl_x_join_probe(j, 0, &pb, &err), VL_EINVAL);
        CHECK(t, strstr(err.msg, "finished") != NULL);
        vl_x_table *again = NULL;
        CHECK_EQ_INT(t, vl_x_join_finish(j, &again, NULL), VL_EINVAL);
        CHECK(t, again == NULL);
        vl_x_table_free(out);
        vl_x_join_free(j);
    }
    vl_x_table_free(b);
    vl_x_table_free(p);
}

static void t_bad_arguments(vl_test *t) {
    vl_x_table *b = random_side(true, 19, 10, 5, 0), *p = random_side(false, 20, 10, 5, 0);
    REQUIRE(t, b != NULL && p != NULL);
    vl_x_join *j = (vl_x_join *)(uintptr_t)1;
    vl_error err = {0};
    /* an int64 key against a string key names both columns */
    static const uint32_t ks[] = {B_S}, ki[] = {P_K};
    CHECK_EQ_INT(t, vl_x_join_new(b, ks, ki, 1, VL_X_JOIN_INNER, p_kinds, P_COLS, out_names, 1, &j, &err), VL_EINVAL);
    CHECK(t, j == NULL);
    CHECKF(t, strstr(err.msg, "pk") && strstr(err.msg, "bs"), "%s", err.msg);
    static const uint32_t kb_far[] = {B_COLS}, kp_far[] = {P_COLS};
    CHECK_EQ_INT(t, vl_x_join_new(b, kb_far, ki, 1, VL_X_JOIN_INNER, p_kinds, P_COLS, out_names, 1, &j, &err),
                 VL_EINVAL);
    CHECKF(t, strstr(err.msg, "build column 5"), "%s", err.msg);
    CHECK_EQ_INT(t, vl_x_join_new(b, K_INT, kp_far, 1, VL_X_JOIN_INNER, p_kinds, P_COLS, out_names, 1, &j, &err),
                 VL_EINVAL);
    CHECKF(t, strstr(err.msg, "probe column 4"), "%s", err.msg);
    CHECK_EQ_INT(t, vl_x_join_new(b, K_INT, K_INT, 0, VL_X_JOIN_INNER, p_kinds, P_COLS, out_names, 1, &j, &err),
                 VL_EINVAL);
    CHECK_EQ_INT(t, vl_x_join_new(b, K_INT, K_INT, 1, VL_X_JOIN_INNER, p_kinds, P_COLS, out_names, 0, &j, &err),
                 VL_EINVAL);
    CHECKF(t, strstr(err.msg, "0 workers"), "%s", err.msg);
    const char *names[P_COLS + B_COLS];
    memcpy(names, out_names, sizeof(names));
    names[6] = NULL;
    CHECK_EQ_INT(t, vl_x_join_new(b, K_INT, K_INT, 1, VL_X_JOIN_INNER, p_kinds, P_COLS, names, 1, &j, &err),
                 VL_EINVAL);
    CHECKF(t, strstr(err.msg, "output column 6"), "%s", err.msg);
    vl_dt_kind kinds[P_COLS];
    memcpy(kinds, p_kinds, sizeof(kinds));
    kinds[2] = VL_DT_DECIMAL;
    CHECK_EQ_INT(t, vl_x_join_new(b, K_INT, K_INT, 1, VL_X_JOIN_INNER, kinds, P_COLS, out_names, 1, &j, &err),
                 VL_EINVAL);
    CHECKF(t, strstr(err.msg, "ps"), "%s", err.msg);

    /* probes: the worker, the batch's columns and types are checked */
    OK(t, vl_x_join_new(b, K_INT, K_INT, 1, VL_X_JOIN_INNER, p_kinds, P_COLS, out_names, 2, &j, &err));
    REQUIRE(t, j != NULL);
    vl_x_batch pb = vl_x_table_batch(p);
    CHECK_EQ_INT(t, vl_x_join_probe(j, 2, &pb, &err), VL_EINVAL);
    CHECKF(t, strstr(err.msg, "worker 2"), "%s", err.msg);
    CHECK_EQ_INT(t, vl_x_join_probe(j, -1, &pb, &err), VL_EINVAL);
    vl_x_batch bb = vl_x_table_batch(b); /* 5 columns */
    CHECK_EQ_INT(t, vl_x_join_probe(j, 0, &bb, &err), VL_EINVAL);
    vl_x_vec cols[P_COLS];
    memcpy(cols, p->vecs, sizeof(cols));
    cols[P_S] = p->vecs[P_K]; /* an int64 vector where a string is due */
    pb.cols = cols;
    CHECK_EQ_INT(t, vl_x_join_probe(j, 0, &pb, &err), VL_EINVAL);
    CHECKF(t, strstr(err.msg, "column ps"), "%s", err.msg);
    vl_x_table *out = NULL;
    OK(t, vl_x_join_finish(j, &out, NULL));
    CHECK_EQ_INT(t, out ? out->n : 99, 0);
    vl_x_table_free(out);
    vl_x_join_free(j);
    vl_x_join_free(NULL);
    vl_x_table_free(b);
    vl_x_table_free(p);
}

static void t_alloc_failures(vl_test *t) {
    vl_x_table *b = random_side(true, 21, 300, 15, 0.1), *p = random_side(false, 22, 400, 15, 0.1);
    REQUIRE(t, b != NULL && p != NULL);
    rows want = {0};
    vl_x_batch pb = vl_x_table_batch(p);
    for (int w = 0; w < 4; w++) /* each worker probes the whole table, below */
        OK(t, ref_join(b, K_INT_STR, &pb, K_INT_STR, 2, VL_X_JOIN_LEFT, &want));
    bool done = false;
    long fail;
    for (fail = 0; fail < 2000 && !done; fail++) {
        /* new, probe on four workers, finish (which appends workers 1
         * to 3 to 0): the Nth allocation fails and whatever failed is
         * retried without failures */
        vl_error err = {0};
        vl_x_join *j = NULL;
        vl_x_table *out = NULL;
        vl_alloc_fail_after(fail);
        int rc = vl_x_join_new(b, K_INT_STR, K_INT_STR, 2, VL_X_JOIN_LEFT, p_kinds, P_COLS, out_names, 4, &j, &err);
        int failures = 0;
        if (rc != VL_OK) {
            vl_alloc_fail_after(-1);
            CHECKF(t, rc == VL_ENOMEM && err.code == VL_ENOMEM && j == NULL, "new, fail at %ld: %d %s", fail, rc,
                   err.msg);
            continue;
        }
        for (int w = 0; w < 4; w++) {
            rc = vl_x_join_probe(j, w, &pb, &err);
            if (rc != VL_OK) {
                vl_alloc_fail_after(-1);
                failures++;
                CHECKF(t, rc == VL_ENOMEM && strstr(err.msg, "out of memory"), "probe, fail at %ld: %s", fail, err.msg);
                OK(t, vl_x_join_probe(j, w, &pb, &err)); /* nothing of the failed batch stayed */
            }
        }
        rc = vl_x_join_finish(j, &out, &err);
        if (rc != VL_OK) {
            vl_alloc_fail_after(-1);
            failures++;
            CHECKF(t, rc == VL_ENOMEM && out == NULL, "finish, fail at %ld: %d %s", fail, rc, err.msg);
            OK(t, vl_x_join_finish(j, &out, &err));
        }
        vl_alloc_fail_after(-1);
        done = failures == 0;
        rows got = {0};
        if (out) OK(t, table_rows(out, 0, out->n, &got));
        char what[64];
        snprintf(what, sizeof(what), "fail at %ld", fail);
        rows_equal(t, &got, &want, what);
        rows_free(&got);
        vl_x_table_free(out);
        vl_x_join_free(j);
        if (t->failed > 5) break;
    }
    CHECKF(t, done && fail > 10, "fail at %ld", fail);
    rows_free(&want);
    vl_x_table_free(b);
    vl_x_table_free(p);
}

static const vl_test_case cases[] = {
    {"inner and left joins on one key (int64, string, double) match a nested loop", t_one_key},
    {"joins on two and three keys, duplicates on both sides", t_multi_key},
    {"selection vectors: only the selected probe rows join", t_selection},
    {"NaN keys match NaN whatever the sign, -0 matches 0, nulls never match", t_nan_and_zero},
    {"200 x 50 equal keys give 10,000 rows", t_many_to_many},
    {"empty build, empty probe, all-null keys, no probe at all", t_empty_sides},
    {"two threads on two workers; finish puts worker 0's rows first", t_two_threads},
    {"bad keys, types, names, workers and batches are EINVAL naming them", t_bad_arguments},
    {"allocation failures in new, probe and finish are clean and retryable", t_alloc_failures},
};

VL_TEST_MAIN(cases)
