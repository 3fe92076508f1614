/* vidlake - Apache-2.0 */
/* Unit tests for row-group pruning from statistics, on real files. */
#include "parquet/parquet.h"
#include "vl_test.h"


static vl_pq_reader *open_td(vl_test *t, const char *name) {
    const char *dir = vl_test_data_dir("parquet/data");
    if (!dir) return NULL;
    char path[1024];
    snprintf(path, sizeof(path), "%s/parquet/data/%s", dir, name);
    vl_pq_reader *r;
    vl_error err;
    if (vl_pq_reader_open_file(path, &r, &err) != VL_OK) {
        CHECKF(t, 0, "%s", err.msg);
        return NULL;
    }
    return r;
}

static int leaf_of(vl_pq_reader *r, const char *name) {
    const vl_pq_schema *s = vl_pq_reader_schema(r);
    for (uint32_t i = 0; i < s->n_leaves; i++)
        if (vl_sv_eq_cstr(s->leaves[i]->name, name)) return (int)i;
    return -1;
}

static bool may(vl_pq_reader *r, int leaf, vl_pq_op op, int64_t i, const char *str) {
    vl_pq_literal lit = {.i = i, .d = (double)i, .s = str ? vl_sv_cstr(str) : (vl_sv){0}};
    return vl_pq_rg_may_match(r, 0, (uint32_t)leaf, op, &lit);
}

static void t_int_bounds(vl_test *t) {
    vl_pq_reader *r = open_td(t, "int32_with_null_pages.parquet");
    if (!r) SKIP(t, "no test data (set VIDLAKE_TESTDATA)");
    int c = 0; /* its only column: min -2136906554, max 2145722375, 275 nulls */
    CHECK(t, may(r, c, VL_PQ_OP_EQ, 0, NULL));
    CHECK(t, !may(r, c, VL_PQ_OP_GT, 2145722375, NULL));
    CHECK(t, may(r, c, VL_PQ_OP_GE, 2145722375, NULL));
    CHECK(t, !may(r, c, VL_PQ_OP_LT, -2136906554, NULL));
    CHECK(t, may(r, c, VL_PQ_OP_LE, -2136906554, NULL));
    CHECK(t, !may(r, c, VL_PQ_OP_EQ, 2145722376, NULL));
    CHECK(t, may(r, c, VL_PQ_OP_IS_NULL, 0, NULL));
    CHECK(t, may(r, c, VL_PQ_OP_IS_NOT_NULL, 0, NULL));
    vl_pq_reader_close(r);
}

static void t_string_bounds(vl_test *t) {
    vl_pq_reader *r = open_td(t, "binary_truncated_min_max.parquet");
    if (!r) SKIP(t, "no test data (set VIDLAKE_TESTDATA)");
    int c = leaf_of(r, "utf8_full_truncation");
    REQUIRE(t, c >= 0);
    /* truncated bounds "Al" .. "Kf" still bound the values */
    CHECK(t, may(r, c, VL_PQ_OP_EQ, 0, "Alice Johnson"));
    CHECK(t, may(r, c, VL_PQ_OP_EQ, 0, "Kevin Bacon"));
    CHECK(t, !may(r, c, VL_PQ_OP_EQ, 0, "Zed"));
    CHECK(t, !may(r, c, VL_PQ_OP_LT, 0, "Al"));
    CHECK(t, !may(r, c, VL_PQ_OP_IS_NULL, 0, NULL)); /* required: null_count 0 */
    vl_pq_reader_close(r);
}

static void t_all_null_column(vl_test *t) {
    vl_pq_reader *r = open_td(t, "delta_byte_array.parquet");
    if (!r) SKIP(t, "no test data (set VIDLAKE_TESTDATA)");
    int c = leaf_of(r, "c_login"); /* every value is null */
    REQUIRE(t, c >= 0);
    CHECK(t, !may(r, c, VL_PQ_OP_EQ, 0, "x"));
    CHECK(t, !may(r, c, VL_PQ_OP_IS_NOT_NULL, 0, NULL));
    CHECK(t, may(r, c, VL_PQ_OP_IS_NULL, 0, NULL));
    vl_pq_reader_close(r);
}

static void t_nan_bounds_never_prune(vl_test *t) {
    vl_pq_reader *r = open_td(t, "nan_in_stats.parquet");
    if (!r) SKIP(t, "no test data (set VIDLAKE_TESTDATA)");
    /* values [1.0, NaN]; the max statistic is NaN and must be ignored */
    vl_pq_literal lit = {.d = 5.0};
    CHECK(t, vl_pq_rg_may_match(r, 0, 0, VL_PQ_OP_GT, &lit)); /* the NaN max proves nothing */
    lit.d = 1.0;
    CHECK(t, vl_pq_rg_may_match(r, 0, 0, VL_PQ_OP_EQ, &lit));
    vl_pq_reader_close(r);
}

static const vl_test_case cases[] = {
    {"integer statistics prune comparisons outside [min, max]", t_int_bounds},
    {"truncated string statistics still bound the values", t_string_bounds},
    {"an all-null column matches no comparison", t_all_null_column},
    {"NaN statistics never prune", t_nan_bounds_never_prune},
};
VL_TEST_MAIN(cases)
