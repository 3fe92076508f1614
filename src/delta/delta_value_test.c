/* vidlake - Apache-2.0 */
/* Unit tests for Delta scalar values (src/delta/delta_value.c) and
 * predicates (src/delta/delta_expr.c): partition value strings, JSON cells,
 * ordering, Hive directory and add.path escaping, the --where parser, row
 * evaluation and file pruning. Expected strings come from the golden tables
 * in shared/testdata (data-reader-partition-values, kernel-timestamp-INT96,
 * data-reader-escaped-chars, DAT multi_partitioned, delta-rs
 * delta-0.8.0-special-partition). */
#include "delta/delta.h"
#include "vl_test.h"

#include <math.h>
#include <string.h>

/* ------------------------------------------------------------- helpers */

static vl_dt_type prim(vl_dt_kind k) {
    vl_dt_type t;
    memset(&t, 0, sizeof(t));
    t.kind = k;
    return t;
}

static vl_dt_type decimal(int p, int s) {
    vl_dt_type t = prim(VL_DT_DECIMAL);
    t.precision = p;
    t.scale = s;
    return t;
}

/* Formats v with f (format or json) into a static NUL-terminated string. */
static const char *fmt_with(int (*f)(const vl_dt_type *, const vl_delta_value *, vl_buf *), const vl_dt_type *t,
                            const vl_delta_value *v) {
    static char out[512];
    vl_buf b;
    vl_buf_init(&b);
    int rc = f(t, v, &b);
    if (rc != VL_OK) snprintf(out, sizeof(out), "<error %s>", vl_strerror(rc));
    else snprintf(out, sizeof(out), "%.*s", (int)b.n, b.p ? b.p : "");
    vl_buf_free(&b);
    return out;
}

static vl_delta_value val_i(int64_t i) {
    vl_delta_value v;
    memset(&v, 0, sizeof(v));
    v.i = i;
    return v;
}

static vl_delta_value val_d(double d) {
    vl_delta_value v;
    memset(&v, 0, sizeof(v));
    v.d = d;
    return v;
}

static vl_delta_value val_s(const char *s) {
    vl_delta_value v;
    memset(&v, 0, sizeof(v));
    v.s = vl_sv_cstr(s);
    return v;
}

static vl_delta_value val_null(void) {
    vl_delta_value v;
    memset(&v, 0, sizeof(v));
    v.is_null = true;
    return v;
}

/* ---------------------------------------------------- parse/format/json */

typedef struct vcase {
    vl_dt_kind kind;
    int prec, scale;
    const char *in;
    const char *fmt;  /* partition value written back; NULL: parse must fail */
    const char *json; /* JSON cell */
} vcase;

static const vcase v_cases[] = {
    {VL_DT_STRING, 0, 0, "abc", "abc", "\"abc\""},
    {VL_DT_STRING, 0, 0, "null", "null", "\"null\""}, /* the literal string, not a null */
    {VL_DT_STRING, 0, 0, "a\"b\\c\n", "a\"b\\c\n", "\"a\\\"b\\\\c\\n\""},
    {VL_DT_STRING, 0, 0, "\xf0\x9f\x98\x88", "\xf0\x9f\x98\x88", "\"\xf0\x9f\x98\x88\""},
    {VL_DT_LONG, 0, 0, "0", "0", "0"},
    {VL_DT_LONG, 0, 0, "-9223372036854775808", "-9223372036854775808", "-9223372036854775808"},
    {VL_DT_LONG, 0, 0, "9223372036854775807", "9223372036854775807", "9223372036854775807"},
    {VL_DT_LONG, 0, 0, "9223372036854775808", NULL, NULL},
    {VL_DT_LONG, 0, 0, "1.5", NULL, NULL},
    {VL_DT_LONG, 0, 0, "abc", NULL, NULL},
    {VL_DT_LONG, 0, 0, " 1", NULL, NULL},
    {VL_DT_LONG, 0, 0, "-", NULL, NULL},
    {VL_DT_INTEGER, 0, 0, "-2147483648", "-2147483648", "-2147483648"},
    {VL_DT_INTEGER, 0, 0, "2147483648", NULL, NULL},
    {VL_DT_SHORT, 0, 0, "-32768", "-32768", "-32768"},
    {VL_DT_SHORT, 0, 0, "32768", NULL, NULL},
    {VL_DT_BYTE, 0, 0, "127", "127", "127"},
    {VL_DT_BYTE, 0, 0, "-129", NULL, NULL},
    {VL_DT_FLOAT, 0, 0, "1.0", "1.0", "1"},
    {VL_DT_FLOAT, 0, 0, "0.0", "0.0", "0"},
    {VL_DT_FLOAT, 0, 0, "0.1", "0.1", "0.1"}, /* shortest as a float, not 0.10000000149011612 */
    {VL_DT_FLOAT, 0, 0, "NaN", "NaN", "\"NaN\""},
    {VL_DT_FLOAT, 0, 0, "-Infinity", "-Infinity", "\"-Infinity\""},
    {VL_DT_DOUBLE, 0, 0, "1.0", "1.0", "1"},
    {VL_DT_DOUBLE, 0, 0, "-2.5", "-2.5", "-2.5"},
    {VL_DT_DOUBLE, 0, 0, "0.1", "0.1", "0.1"},
    {VL_DT_DOUBLE, 0, 0, "-0.0", "-0.0", "-0"},
    {VL_DT_DOUBLE, 0, 0, "1e300", "1e+300", "1e+300"},
    {VL_DT_DOUBLE, 0, 0, "Infinity", "Infinity", "\"Infinity\""},
    {VL_DT_DOUBLE, 0, 0, "inf", NULL, NULL},
    {VL_DT_DOUBLE, 0, 0, "0x10", NULL, NULL},
    {VL_DT_DOUBLE, 0, 0, "1,5", NULL, NULL},
    {VL_DT_BOOLEAN, 0, 0, "true", "true", "true"},
    {VL_DT_BOOLEAN, 0, 0, "false", "false", "false"},
    {VL_DT_BOOLEAN, 0, 0, "TRUE", "true", "true"},
    {VL_DT_BOOLEAN, 0, 0, "yes", NULL, NULL},
    {VL_DT_DATE, 0, 0, "2021-09-08", "2021-09-08", "\"2021-09-08\""},
    {VL_DT_DATE, 0, 0, "1969-12-31", "1969-12-31", "\"1969-12-31\""},
    {VL_DT_DATE, 0, 0, "2021-13-01", NULL, NULL},
    {VL_DT_DATE, 0, 0, "2021-9-8", NULL, NULL},
    {VL_DT_TIMESTAMP, 0, 0, "2021-09-08 11:11:11", "2021-09-08 11:11:11", "\"2021-09-08T11:11:11.000000Z\""},
    {VL_DT_TIMESTAMP, 0, 0, "2020-01-01 08:09:10.001", "2020-01-01 08:09:10.001", "\"2020-01-01T08:09:10.001000Z\""},
    {VL_DT_TIMESTAMP, 0, 0, "2021-09-08 11:11:11.123456", "2021-09-08 11:11:11.123456",
     "\"2021-09-08T11:11:11.123456Z\""},
    {VL_DT_TIMESTAMP, 0, 0, "1969-01-01 00:00:00", "1969-01-01 00:00:00", "\"1969-01-01T00:00:00.000000Z\""},
    {VL_DT_TIMESTAMP, 0, 0, "1969-12-31 23:59:59.999999", "1969-12-31 23:59:59.999999",
     "\"1969-12-31T23:59:59.999999Z\""},
    {VL_DT_TIMESTAMP, 0, 0, "1970-01-01T00:00:00.000000Z", "1970-01-01 00:00:00", "\"1970-01-01T00:00:00.000000Z\""},
    {VL_DT_TIMESTAMP, 0, 0, "2021-09-08T13:11:11+02:00", "2021-09-08 11:11:11", "\"2021-09-08T11:11:11.000000Z\""},
    {VL_DT_TIMESTAMP, 0, 0, "2021-09-08", "2021-09-08 00:00:00", "\"2021-09-08T00:00:00.000000Z\""},
    {VL_DT_TIMESTAMP, 0, 0, "2021-09-08 25:00:00", NULL, NULL},
    {VL_DT_TIMESTAMP, 0, 0, "2021-09-08 11:11", NULL, NULL},
    {VL_DT_TIMESTAMP, 0, 0, "2021-09-08 11:11:11.", NULL, NULL},
    {VL_DT_TIMESTAMP, 0, 0, "2021-09-08 11:11:11 UTC", NULL, NULL},
    {VL_DT_TIMESTAMP_NTZ, 0, 0, "2021-09-08 11:11:11.5", "2021-09-08 11:11:11.5", "\"2021-09-08T11:11:11.500000Z\""},
    {VL_DT_TIMESTAMP_NTZ, 0, 0, "2021-09-08T11:11:11.500000Z", "2021-09-08 11:11:11.5",
     "\"2021-09-08T11:11:11.500000Z\""},
    {VL_DT_TIMESTAMP_NTZ, 0, 0, "2021-09-08T11:11:11+02:00", NULL, NULL},
    {VL_DT_DECIMAL, 5, 2, "12.50", "12.50", "\"12.50\""},
    {VL_DT_DECIMAL, 5, 2, "12.5", "12.50", "\"12.50\""},
    {VL_DT_DECIMAL, 5, 2, "-0.5", "-0.50", "\"-0.50\""},
    {VL_DT_DECIMAL, 5, 2, "+7", "7.00", "\"7.00\""},
    {VL_DT_DECIMAL, 5, 2, "123.45", "123.45", "\"123.45\""},
    {VL_DT_DECIMAL, 5, 2, "-999.99", "-999.99", "\"-999.99\""},
    {VL_DT_DECIMAL, 5, 2, "1234.5", NULL, NULL}, /* 6 digits > precision 5 */
    {VL_DT_DECIMAL, 5, 2, "1.234", NULL, NULL},  /* 3 fraction digits > scale 2 */
    {VL_DT_DECIMAL, 5, 2, "1.2300", "1.23", "\"1.23\""},
    {VL_DT_DECIMAL, 5, 2, "1.2.3", NULL, NULL},
    {VL_DT_DECIMAL, 5, 2, ".", NULL, NULL},
    {VL_DT_DECIMAL, 5, 2, "abc", NULL, NULL},
    {VL_DT_DECIMAL, 5, 3, "-0.500", "-0.500", "\"-0.500\""},
    {VL_DT_DECIMAL, 5, 3, "-0.005", "-0.005", "\"-0.005\""},
    {VL_DT_DECIMAL, 1, 0, "1", "1", "\"1\""},
    {VL_DT_DECIMAL, 1, 0, "-0", "0", "\"0\""},
    {VL_DT_DECIMAL, 18, 0, "999999999999999999", "999999999999999999", "\"999999999999999999\""},
    {VL_DT_DECIMAL, 18, 0, "1000000000000000000", NULL, NULL},
    {VL_DT_DECIMAL, 10, 2, "1.5E+2", "150.00", "\"150.00\""},
    {VL_DT_DECIMAL, 10, 2, "15E-2", "0.15", "\"0.15\""},
    {VL_DT_DECIMAL, 10, 2, "1E-3", NULL, NULL},
    {VL_DT_DECIMAL, 10, 2, "1e999999999", NULL, NULL},
    {VL_DT_DECIMAL, 38, 10, "12345678901234567890.0123456789", "12345678901234567890.0123456789",
     "\"12345678901234567890.0123456789\""},
    {VL_DT_DECIMAL, 38, 10, "-1E-10", "-0.0000000001", "\"-0.0000000001\""},
    {VL_DT_DECIMAL, 38, 10, "007.5", "7.5000000000", "\"7.5000000000\""},
    {VL_DT_DECIMAL, 38, 2, "1e37", NULL, NULL},
    {VL_DT_DECIMAL, 38, 4, "0E6622", "0.0000", "\"0.0000\""}, /* found by fuzzing */
    {VL_DT_DECIMAL, 5, 2, "-0.00", "0.00", "\"0.00\""},
    {VL_DT_DECIMAL, 38, 0, "99999999999999999999999999999999999999", "99999999999999999999999999999999999999",
     "\"99999999999999999999999999999999999999\""},
    {VL_DT_DECIMAL, 38, 0, "999999999999999999999999999999999999999", NULL, NULL},
    {VL_DT_BINARY, 0, 0, "hello", "hello", "\"aGVsbG8=\""},
    {VL_DT_BINARY, 0, 0, "\xf0\x9f\x98\x88", "\xf0\x9f\x98\x88", "\"8J+YiA==\""},
    {VL_DT_BINARY, 0, 0, "ab", "ab", "\"YWI=\""},
    {VL_DT_BINARY, 0, 0, "abc", "abc", "\"YWJj\""},
};

static void t_value_round_trip(vl_test *t) {
    for (size_t i = 0; i < sizeof(v_cases) / sizeof(v_cases[0]); i++) {
        const vcase *c = &v_cases[i];
        vl_dt_type ty = c->kind == VL_DT_DECIMAL ? decimal(c->prec, c->scale) : prim(c->kind);
        vl_delta_value v;
        vl_error err;
        int rc = vl_delta_value_parse(&ty, c->in, strlen(c->in), false, &v, &err);
        if (!c->fmt) {
            CHECKF(t, rc == VL_ECORRUPT, "case %zu '%s' parsed, expected an error", i, c->in);
            if (rc == VL_ECORRUPT) CHECKF(t, strstr(err.msg, "is not a valid"), "case %zu: %s", i, err.msg);
            continue;
        }
        CHECKF(t, rc == VL_OK, "case %zu '%s': %s", i, c->in, rc ? err.msg : "");
        if (rc != VL_OK) continue;
        CHECK(t, !v.is_null);
        const char *f = fmt_with(vl_delta_value_format, &ty, &v);
        CHECKF(t, strcmp(f, c->fmt) == 0, "case %zu format '%s' != '%s'", i, f, c->fmt);
        const char *j = fmt_with(vl_delta_value_json, &ty, &v);
        CHECKF(t, strcmp(j, c->json) == 0, "case %zu json '%s' != '%s'", i, j, c->json);
        /* the partition string parses back to an equal value */
        char again[512];
        snprintf(again, sizeof(again), "%s", fmt_with(vl_delta_value_format, &ty, &v));
        vl_delta_value w;
        rc = vl_delta_value_parse(&ty, again, strlen(again), false, &w, &err);
        CHECKF(t, rc == VL_OK && vl_delta_value_cmp(&ty, &v, &w) == 0, "case %zu re-parse of '%s'", i, again);
        if (ty.kind == VL_DT_FLOAT || ty.kind == VL_DT_DOUBLE)
            CHECKF(t, rc == VL_OK && (isnan(v.d) ? isnan(w.d) : (v.d == w.d && signbit(v.d) == signbit(w.d))),
                   "case %zu double round trip", i);
    }
}

static void t_value_numbers(vl_test *t) {
    vl_dt_type d52 = decimal(5, 2), ts = prim(VL_DT_TIMESTAMP), dt = prim(VL_DT_DATE), fl = prim(VL_DT_FLOAT);
    vl_delta_value v;
    REQUIRE(t, vl_delta_value_parse(&d52, "-12.5", 5, false, &v, NULL) == VL_OK);
    CHECK_EQ_INT(t, v.i, -1250);
    REQUIRE(t, vl_delta_value_parse(&ts, "1969-12-31 23:59:59.999999", 26, false, &v, NULL) == VL_OK);
    CHECK_EQ_INT(t, v.i, -1);
    REQUIRE(t, vl_delta_value_parse(&ts, "1970-01-01 00:00:01.5", 21, false, &v, NULL) == VL_OK);
    CHECK_EQ_INT(t, v.i, 1500000);
    REQUIRE(t, vl_delta_value_parse(&ts, "2021-09-08 11:11:11.1234567", 27, false, &v, NULL) == VL_OK);
    CHECK_EQ_INT(t, v.i % 1000000, 123456); /* beyond µs is truncated */
    REQUIRE(t, vl_delta_value_parse(&dt, "1969-12-31", 10, false, &v, NULL) == VL_OK);
    CHECK_EQ_INT(t, v.i, -1);
    REQUIRE(t, vl_delta_value_parse(&fl, "0.1", 3, false, &v, NULL) == VL_OK);
    CHECK(t, v.d == (double)0.1f); /* held as the float's value */
    /* wide decimals keep their text and have i = 0 */
    vl_dt_type d38 = decimal(38, 2);
    REQUIRE(t, vl_delta_value_parse(&d38, "12.5", 4, false, &v, NULL) == VL_OK);
    CHECK_EQ_INT(t, v.i, 0);
    CHECK(t, v.s.n == 4 && memcmp(v.s.p, "12.5", 4) == 0);
    /* values outside 0000..9999 are refused when formatting */
    vl_delta_value big = val_i(INT64_C(4000000));
    CHECK_EQ_STR(t, fmt_with(vl_delta_value_format, &dt, &big), "<error ERANGE>");
    /* formatting a decimal from an int64 directly */
    vl_delta_value m = val_i(-5);
    vl_dt_type d53 = decimal(5, 3);
    CHECK_EQ_STR(t, fmt_with(vl_delta_value_format, &d53, &m), "-0.005");
    vl_dt_type d180 = decimal(18, 0);
    vl_delta_value mn = val_i(INT64_MIN);
    CHECK_EQ_STR(t, fmt_with(vl_delta_value_format, &d180, &mn), "-9223372036854775808");
}

static void t_value_nulls(vl_test *t) {
    vl_dt_kind kinds[] = {VL_DT_STRING, VL_DT_LONG, VL_DT_INTEGER, VL_DT_SHORT, VL_DT_BYTE, VL_DT_FLOAT,
                          VL_DT_DOUBLE, VL_DT_BOOLEAN, VL_DT_BINARY, VL_DT_DATE, VL_DT_TIMESTAMP,
                          VL_DT_TIMESTAMP_NTZ, VL_DT_DECIMAL};
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        vl_dt_type ty = kinds[i] == VL_DT_DECIMAL ? decimal(5, 2) : prim(kinds[i]);
        vl_delta_value v;
        CHECK(t, vl_delta_value_parse(&ty, NULL, 0, true, &v, NULL) == VL_OK && v.is_null);
        CHECK(t, vl_delta_value_parse(&ty, "", 0, false, &v, NULL) == VL_OK && v.is_null);
        CHECK(t, vl_delta_value_parse(&ty, "1", 1, true, &v, NULL) == VL_OK && v.is_null);
        CHECK_EQ_STR(t, fmt_with(vl_delta_value_format, &ty, &v), "");
        CHECK_EQ_STR(t, fmt_with(vl_delta_value_json, &ty, &v), "null");
    }
    vl_dt_type st = prim(VL_DT_STRUCT);
    vl_delta_value v;
    vl_error err;
    CHECK(t, vl_delta_value_parse(&st, "x", 1, false, &v, &err) == VL_ENOTSUP);
    vl_dt_type lg = prim(VL_DT_LONG);
    CHECK(t, vl_delta_value_parse(&lg, "abc", 3, false, &v, &err) == VL_ECORRUPT);
    CHECK_EQ_STR(t, err.msg, "'abc' is not a valid long");
    vl_dt_type d = decimal(5, 2);
    CHECK(t, vl_delta_value_parse(&d, "1234.5", 6, false, &v, &err) == VL_ECORRUPT);
    CHECK_EQ_STR(t, err.msg, "'1234.5' is not a valid decimal(5,2) (more digits than the precision)");
}

static void t_value_cmp(vl_test *t) {
    vl_dt_type dbl = prim(VL_DT_DOUBLE), str = prim(VL_DT_STRING), lg = prim(VL_DT_LONG), d38 = decimal(38, 2);
    vl_delta_value nan = val_d(NAN), inf = val_d(INFINITY), one = val_d(1), z = val_d(0.0), nz = val_d(-0.0);
    CHECK(t, vl_delta_value_cmp(&dbl, &nan, &inf) > 0);
    CHECK(t, vl_delta_value_cmp(&dbl, &inf, &nan) < 0);
    CHECK(t, vl_delta_value_cmp(&dbl, &nan, &nan) == 0);
    CHECK(t, vl_delta_value_cmp(&dbl, &one, &nan) < 0);
    CHECK(t, vl_delta_value_cmp(&dbl, &z, &nz) == 0);
    vl_delta_value a = val_s("a"), ab = val_s("ab"), hi = val_s("\xff"), e = val_s("");
    CHECK(t, vl_delta_value_cmp(&str, &a, &ab) < 0);
    CHECK(t, vl_delta_value_cmp(&str, &hi, &ab) > 0); /* unsigned bytes */
    CHECK(t, vl_delta_value_cmp(&str, &e, &a) < 0);
    CHECK(t, vl_delta_value_cmp(&str, &a, &a) == 0);
    vl_delta_value m = val_i(INT64_MIN), x = val_i(INT64_MAX);
    CHECK(t, vl_delta_value_cmp(&lg, &m, &x) < 0);
    CHECK(t, vl_delta_value_cmp(&lg, &x, &m) > 0);
    vl_delta_value w1 = val_s("10.5"), w2 = val_s("9.75"), w3 = val_s("-10.5"), w4 = val_s("10.50"),
                   w5 = val_s("-9.75"), w6 = val_s("1.05E1"), w0 = val_s("-0");
    CHECK(t, vl_delta_value_cmp(&d38, &w1, &w2) > 0);
    CHECK(t, vl_delta_value_cmp(&d38, &w3, &w5) < 0);
    CHECK(t, vl_delta_value_cmp(&d38, &w1, &w4) == 0);
    CHECK(t, vl_delta_value_cmp(&d38, &w1, &w6) == 0);
    CHECK(t, vl_delta_value_cmp(&d38, &w0, &w5) > 0);
    CHECK(t, vl_delta_value_cmp(&d38, &w0, &w2) < 0);
}

/* ---------------------------------------------------------------- paths */

typedef struct dcase {
    const char *col, *value; /* value NULL: null */
    const char *want;
} dcase;

static const dcase d_cases[] = {
    {"letter", "/%20%f", "letter=%2F%2520%25f"},       /* DAT multi_partitioned */
    {"x", "A/A", "x=A%2FA"},                           /* delta-rs special-partition */
    {"x", "B B", "x=B B"},                             /* spaces kept (Spark off Windows) */
    {"_2", "bar+%21", "_2=bar+%2521"},                 /* golden data-reader-escaped-chars */
    {"as_timestamp", "2021-09-08 11:11:11", "as_timestamp=2021-09-08 11%3A11%3A11"},
    {"data", "\xf0\x9f\x98\x88", "data=\xf0\x9f\x98\x88"}, /* UTF-8 kept */
    {"k", NULL, "k=__HIVE_DEFAULT_PARTITION__"},
    {"k", "", "k=__HIVE_DEFAULT_PARTITION__"},
    {"a=b", "c", "a%3Db=c"},
    {"c", "\"#%'*/:=?\\{[]^", "c=%22%23%25%27%2A%2F%3A%3D%3F%5C%7B%5B%5D%5E"},
    {"c", "a\nb\x01\x7f", "c=a%0Ab%01%7F"},
    {"c", "<>|!$&()+,;@~`}", "c=<>|!$&()+,;@~`}"},
};

static void t_partition_dir(vl_test *t) {
    for (size_t i = 0; i < sizeof(d_cases) / sizeof(d_cases[0]); i++) {
        const dcase *c = &d_cases[i];
        vl_buf b;
        vl_buf_init(&b);
        int rc = vl_delta_partition_dir(vl_sv_cstr(c->col), c->value, c->value ? strlen(c->value) : 0,
                                        c->value == NULL, &b);
        CHECK(t, rc == VL_OK);
        CHECKF(t, strcmp(vl_buf_cstr(&b), c->want) == 0, "case %zu: '%s' != '%s'", i, b.p, c->want);
        vl_buf_free(&b);
    }
}

typedef struct pcase {
    const char *raw, *enc;
} pcase;

static const pcase p_cases[] = {
    {"x=A%2FA/part-0.parquet", "x=A%252FA/part-0.parquet"},
    {"x=B%20B/part-0.parquet", "x=B%2520B/part-0.parquet"},
    {"_2=bar+%2521/p.parquet", "_2=bar+%252521/p.parquet"},
    {"as_timestamp=2021-09-08 11%3A11%3A11/as_big_decimal=0/p.parquet",
     "as_timestamp=2021-09-08%2011%253A11%253A11/as_big_decimal=0/p.parquet"},
    {"letter=%2F%2520%25f/date=1970-01-01/p", "letter=%252F%252520%2525f/date=1970-01-01/p"},
    {"data=\xf0\x9f\x98\x88/p", "data=%F0%9F%98%88/p"},
    {"a:b/c?d#e[f]", "a%3Ab/c%3Fd%23e%5Bf%5D"},
    {"k=__HIVE_DEFAULT_PARTITION__/part-00000.c000.snappy.parquet",
     "k=__HIVE_DEFAULT_PARTITION__/part-00000.c000.snappy.parquet"},
    {"~a-b_c.d!$&'()*+,;=@", "~a-b_c.d!$&'()*+,;=@"},
    {"", ""},
};

static void t_path_encode_decode(vl_test *t) {
    for (size_t i = 0; i < sizeof(p_cases) / sizeof(p_cases[0]); i++) {
        vl_buf e, d;
        vl_buf_init(&e);
        vl_buf_init(&d);
        CHECK(t, vl_delta_path_encode(p_cases[i].raw, strlen(p_cases[i].raw), &e) == VL_OK);
        CHECKF(t, strcmp(vl_buf_cstr(&e), p_cases[i].enc) == 0, "case %zu: '%s'", i, e.p);
        vl_error err;
        CHECK(t, vl_delta_path_decode(e.p, e.n, &d, &err) == VL_OK);
        CHECKF(t, strcmp(vl_buf_cstr(&d), p_cases[i].raw) == 0, "case %zu: decoded '%s'", i, d.p);
        vl_buf_free(&e);
        vl_buf_free(&d);
    }
    /* lowercase hex and raw non-ASCII (as Spark writes it) decode too */
    vl_buf d;
    vl_buf_init(&d);
    const char *lower = "a%2fb%c3%a9/\xf0\x9f\x98\x88";
    CHECK(t, vl_delta_path_decode(lower, strlen(lower), &d, NULL) == VL_OK);
    CHECK_EQ_STR(t, vl_buf_cstr(&d), "a/b\xc3\xa9/\xf0\x9f\x98\x88");
    vl_buf_free(&d);
    /* malformed escapes are ECORRUPT naming the path; out is unchanged */
    const char *bad[] = {"%", "a%2", "%zz", "a%G1/b", "x%0", "p%00q", "%%41"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        vl_buf o;
        vl_buf_init(&o);
        CHECK(t, vl_buf_puts(&o, "keep") == VL_OK);
        vl_error err;
        int rc = vl_delta_path_decode(bad[i], strlen(bad[i]), &o, &err);
        CHECKF(t, rc == VL_ECORRUPT, "'%s' decoded", bad[i]);
        if (rc == VL_ECORRUPT) CHECKF(t, strstr(err.msg, bad[i]) != NULL, "%s", err.msg);
        CHECK(t, o.n == 4);
        vl_buf_free(&o);
    }
    vl_error err;
    vl_buf o;
    vl_buf_init(&o);
    CHECK(t, vl_delta_path_decode("ab%2", 4, &o, &err) == VL_ECORRUPT);
    CHECK_EQ_STR(t, err.msg, "path 'ab%2': '%' not followed by two hex digits at byte 2");
    vl_buf_free(&o);
}

/* ---------------------------------------------------------- predicates */

enum { C_ID, C_NAME, C_PRICE, C_D, C_TS, C_OK, C_X, C_NESTED, C_WEIRD, C_BIG, C_AND, C_BIN, N_COLS };

typedef struct schema {
    vl_dt_field f[N_COLS];
    vl_dt_type st;
} schema;

static void schema_init(schema *s) {
    static const char *const names[N_COLS] = {"id", "name", "price", "d", "ts", "ok",
                                              "x", "nested", "weird col", "big", "and", "bin"};
    memset(s, 0, sizeof(*s));
    vl_dt_type types[N_COLS] = {prim(VL_DT_LONG),    prim(VL_DT_STRING),  decimal(10, 2), prim(VL_DT_DATE),
                                prim(VL_DT_TIMESTAMP), prim(VL_DT_BOOLEAN), prim(VL_DT_DOUBLE),
                                prim(VL_DT_STRUCT),  prim(VL_DT_STRING),  decimal(38, 4), prim(VL_DT_STRING),
                                prim(VL_DT_BINARY)};
    for (int i = 0; i < N_COLS; i++) {
        s->f[i].name = vl_sv_cstr(names[i]);
        s->f[i].type = types[i];
        s->f[i].nullable = true;
        s->f[i].metadata = VL_SV("{}");
    }
    s->st = prim(VL_DT_STRUCT);
    s->st.fields = s->f;
    s->st.n_fields = N_COLS;
}

/* A row: every column null unless set. */
typedef struct row {
    vl_delta_value v[N_COLS];
} row;

static void row_init(row *r) {
    for (int i = 0; i < N_COLS; i++) r->v[i] = val_null();
}

/* Parses `where` and evaluates it on r; -1 when the parse fails. */
static int eval_on(const schema *s, const char *where, const row *r) {
    vl_arena a;
    vl_arena_init(&a, 0);
    const vl_delta_expr *e;
    vl_error err;
    int out = -1;
    if (vl_delta_expr_parse(where, &s->st, &a, &e, &err) == VL_OK) out = vl_delta_expr_eval(e, &s->st, r->v);
    else printf("  parse '%s': %s\n", where, err.msg);
    vl_arena_destroy(&a);
    return out;
}

typedef struct ecase {
    const char *where;
    int want; /* 1 kept, 0 filtered */
} ecase;

static void t_expr_eval(vl_test *t) {
    schema s;
    schema_init(&s);
    row r;
    row_init(&r);
    vl_dt_type ts = prim(VL_DT_TIMESTAMP), dec = decimal(10, 2), d38 = decimal(38, 4);
    r.v[C_ID] = val_i(1);
    r.v[C_NAME] = val_s("a");
    r.v[C_PRICE] = val_i(1250); /* 12.50 */
    r.v[C_D] = val_i(19844);    /* 2024-05-01 */
    REQUIRE(t, vl_delta_value_parse(&ts, "2024-05-01 12:00:00", 19, false, &r.v[C_TS], NULL) == VL_OK);
    r.v[C_OK] = val_i(1);
    r.v[C_X] = val_d(NAN);
    r.v[C_WEIRD] = val_s("it's");
    REQUIRE(t, vl_delta_value_parse(&d38, "123456789012345678901234.5", 26, false, &r.v[C_BIG], NULL) == VL_OK);
    r.v[C_AND] = val_s("kw");
    (void)dec;
    static const ecase cases[] = {
        {"id = 1", 1},
        {"id = 2", 0},
        {"id != 1", 0},
        {"id <> 2", 1},
        {"id < 2 AND id <= 1 AND id > 0 AND id >= 1", 1},
        {"id = 1 OR id = 2 AND name = 'b'", 1},   /* AND binds tighter than OR */
        {"(id = 1 OR id = 2) AND name = 'b'", 0},
        {"NOT id = 3 AND id = 2", 0},             /* NOT binds tighter than AND */
        {"NOT (id = 3 AND id = 2)", 1},
        {"NOT NOT id = 1", 1},
        {"id in (3, 2, 1)", 1},
        {"id IN (3, 2)", 0},
        {"id NOT IN (3, 2)", 1},
        {"id not in (1)", 0},
        {"id IN (2, null)", 0},                  /* unknown */
        {"id NOT IN (2, null)", 0},              /* unknown */
        {"id IN (1, null)", 1},
        {"id = null", 0},
        {"NOT (id = null)", 0},
        {"id = null OR id = 1", 1},
        {"id IS NOT NULL and name is not null", 1},
        {"ok IS NULL", 0},
        {"ok = true", 1},
        {"ok = FALSE", 0},
        {"name = 'a'", 1},
        {"name >= 'A' AND name < 'b'", 1},
        {"name = ''", 0},
        {"`weird col` = 'it''s'", 1},
        {"\"weird col\" = 'it''s'", 1},
        {"`and` = 'kw'", 1},
        {"ID = 1", 1},                           /* case-insensitive fallback */
        {"price = 12.5", 1},
        {"price = '12.50'", 1},
        {"price > 12.49 AND price < 12.51", 1},
        {"price >= -1", 1},
        {"d = '2024-05-01'", 1},
        {"d > '2024-04-30' and d < '2024-05-02'", 1},
        {"ts = '2024-05-01 12:00:00'", 1},
        {"ts = '2024-05-01T14:00:00+02:00'", 1},
        {"ts >= '2024-05-01' AND ts < '2024-05-02'", 1},
        {"x > 1e308", 1},                        /* NaN is greatest */
        {"x = 'NaN'", 1},
        {"big > 123456789012345678901234", 1},
        {"big < '123456789012345678901234.6'", 1},
        {"big = 123456789012345678901234.50", 1},
        {"\t id\n=\r1 ", 1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int got = eval_on(&s, cases[i].where, &r);
        CHECKF(t, got == cases[i].want, "'%s': %d != %d", cases[i].where, got, cases[i].want);
    }
    /* a row of nulls: comparisons are unknown and filtered, IS NULL holds */
    row n;
    row_init(&n);
    CHECK_EQ_INT(t, eval_on(&s, "id = 1", &n), 0);
    CHECK_EQ_INT(t, eval_on(&s, "NOT id = 1", &n), 0);
    CHECK_EQ_INT(t, eval_on(&s, "id != 1", &n), 0);
    CHECK_EQ_INT(t, eval_on(&s, "id IS NULL", &n), 1);
    CHECK_EQ_INT(t, eval_on(&s, "id IS NOT NULL", &n), 0);
    CHECK_EQ_INT(t, eval_on(&s, "id = 1 OR id IS NULL", &n), 1);
    CHECK_EQ_INT(t, eval_on(&s, "NOT (id = 1 AND id IS NOT NULL)", &n), 1); /* U AND F = F */
    CHECK_EQ_INT(t, eval_on(&s, "NOT (id = 1 OR id IS NOT NULL)", &n), 0);  /* U OR F = U */
    CHECK_EQ_INT(t, eval_on(&s, "id NOT IN (1, 2)", &n), 0);
    CHECK(t, vl_delta_expr_eval(NULL, &s.st, n.v));
}

typedef struct errcase {
    const char *where;
    const char *msg;
} errcase;

static void t_expr_errors(vl_test *t) {
    schema s;
    schema_init(&s);
    static const errcase cases[] = {
        {"", "where: expected a column name at offset 0"},
        {"   ", "where: expected a column name at offset 3"},
        {"id =", "where: expected a value at offset 4"},
        {"id = 1 AND", "where: expected a column name at offset 10"},
        {"id = 1 AND OR id = 2", "where: expected a column name at offset 11"},
        {"foo = 1", "where: unknown column 'foo'"},
        {"id = 'abc'", "where: 'abc' is not a valid long for column id"},
        {"id = 1.5", "where: '1.5' is not a valid long for column id"},
        {"id = 1.2.3", "where: '1.2.3' is not a valid long for column id"},
        {"(id = 1", "where: expected ')' at offset 7"},
        {"id = 1)", "where: unbalanced ')' at offset 6"},
        {"name = 'abc", "where: unterminated string starting at offset 7"},
        {"`name = 1", "where: unterminated quoted name starting at offset 0"},
        {"id IN 1", "where: expected '(' after IN at offset 6"},
        {"id IN (1,)", "where: expected a value at offset 9"},
        {"id IN (1 2)", "where: expected ',' or ')' in the IN list at offset 9"},
        {"id IN ()", "where: expected a value at offset 7"},
        {"id IS 1", "where: expected NULL or NOT NULL at offset 6"},
        {"id IS NOT 1", "where: expected NULL at offset 10"},
        {"id NOT 1", "where: expected IN after NOT at offset 7"},
        {"ok", "where: expected an operator (=, !=, <>, <, <=, >, >=, IN, NOT IN, IS) at offset 2"},
        {"id 1", "where: expected an operator (=, !=, <>, <, <=, >, >=, IN, NOT IN, IS) at offset 3"},
        {"id ~ 1", "where: unexpected character '~' at offset 3"},
        {"id = 1 id = 2", "where: expected AND, OR or the end at offset 7"},
        {"id = \x01", "where: unexpected byte 0x01 at offset 5"},
        {"nested = 1", "where: column 'nested' is a struct and cannot be compared"},
        {"name = 5", "where: expected a quoted string for column name at offset 7"},
        {"price = 1.234", "where: '1.234' is not a valid decimal(10,2) (more fraction digits than the scale) "
                          "for column price"},
        {"ok = 1", "where: '1' is not a valid boolean for column ok"},
        {"d = '2024-13-01'", "where: '2024-13-01' is not a valid date (expected YYYY-MM-DD) for column d"},
        {"d = ''", "where: '' is not a valid value for column d at offset 4"},
        {"and = 1", "where: expected a column name at offset 0"},
        {"id = = 1", "where: expected a value at offset 5"},
        {"id ! 1", "where: unexpected character '!' at offset 3"},
        {"= 1", "where: expected a column name at offset 0"},
        {"id = 1 AND (name = 'a' OR)", "where: expected a column name at offset 25"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        vl_arena a;
        vl_arena_init(&a, 0);
        const vl_delta_expr *e = NULL;
        vl_error err;
        int rc = vl_delta_expr_parse(cases[i].where, &s.st, &a, &e, &err);
        CHECKF(t, rc == VL_EINVAL, "'%s' parsed (rc %d)", cases[i].where, rc);
        if (rc == VL_EINVAL) CHECKF(t, strcmp(err.msg, cases[i].msg) == 0, "'%s': %s", cases[i].where, err.msg);
        vl_arena_destroy(&a);
    }
    /* nesting is bounded */
    char deep[1200];
    size_t k = 0;
    for (int i = 0; i < 300; i++) deep[k++] = '(';
    memcpy(deep + k, "id = 1", 6);
    k += 6;
    for (int i = 0; i < 300; i++) deep[k++] = ')';
    deep[k] = '\0';
    vl_arena a;
    vl_arena_init(&a, 0);
    const vl_delta_expr *e;
    vl_error err;
    CHECK(t, vl_delta_expr_parse(deep, &s.st, &a, &e, &err) == VL_EINVAL);
    CHECK(t, strstr(err.msg, "nested more than") != NULL);
    deep[0] = '\0';
    for (int i = 0; i < 100; i++) strcat(deep, "NOT ");
    strcat(deep, "id = 1");
    CHECK(t, vl_delta_expr_parse(deep, &s.st, &a, &e, &err) == VL_OK);
    vl_arena_destroy(&a);
}

/* Column facts for pruning: all unknown. */
static void cols_init(vl_delta_colinfo *c) {
    memset(c, 0, sizeof(*c) * N_COLS);
    for (int i = 0; i < N_COLS; i++) {
        c[i].null_count = -1;
        c[i].num_records = -1;
    }
}

static int prune_on(const schema *s, const char *where, const vl_delta_colinfo *cols) {
    vl_arena a;
    vl_arena_init(&a, 0);
    const vl_delta_expr *e;
    vl_error err;
    int out = -1;
    if (vl_delta_expr_parse(where, &s->st, &a, &e, &err) == VL_OK) out = vl_delta_expr_prune(e, &s->st, cols);
    else printf("  parse '%s': %s\n", where, err.msg);
    vl_arena_destroy(&a);
    return out;
}

enum { NO = VL_DELTA_NO, YES = VL_DELTA_YES, MAYBE = VL_DELTA_MAYBE };

static void t_expr_prune(vl_test *t) {
    schema s;
    schema_init(&s);
    vl_delta_colinfo c[N_COLS];
    cols_init(c);
    /* id in [10, 20], no nulls, 100 rows */
    c[C_ID].has_min = c[C_ID].has_max = true;
    c[C_ID].min = val_i(10);
    c[C_ID].max = val_i(20);
    c[C_ID].null_count = 0;
    c[C_ID].num_records = 100;
    /* name: a partition column holding 'a' */
    c[C_NAME].exact = true;
    c[C_NAME].value = val_s("a");
    static const ecase cases[] = {
        {"id = 5", NO},       {"id = 25", NO},      {"id = 15", MAYBE},   {"id = 10", MAYBE},
        {"id < 10", NO},      {"id <= 10", MAYBE},  {"id > 20", NO},      {"id >= 20", MAYBE},
        {"id >= 10", YES},    {"id <= 20", YES},    {"id < 21", YES},     {"id > 9", YES},
        {"id IN (1, 30)", NO}, {"id IN (1, 15)", MAYBE}, {"id NOT IN (1, 30)", YES},
        {"id NOT IN (5, null)", NO}, {"id IN (5, null)", NO},
        {"id IS NULL", NO},   {"id IS NOT NULL", YES}, {"id != 15", MAYBE}, {"id != 5", YES},
        {"NOT id = 5", YES},  {"NOT id = 15", MAYBE}, {"id = null", NO},  {"NOT id = null", NO},
        {"name = 'a'", YES},  {"name = 'b'", NO},   {"name IS NULL", NO}, {"name != 'a'", NO},
        {"id = 5 OR name = 'a'", YES}, {"id = 5 AND name = 'a'", NO}, {"id = 15 AND name = 'a'", MAYBE},
        {"id = 15 OR name = 'b'", MAYBE}, {"NOT (id = 5 OR name = 'b')", YES},
        {"price = 1", MAYBE}, {"price IS NULL", MAYBE}, /* no stats */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int got = prune_on(&s, cases[i].where, c);
        CHECKF(t, got == cases[i].want, "'%s': %d != %d", cases[i].where, got, cases[i].want);
    }
    CHECK_EQ_INT(t, vl_delta_expr_prune(NULL, &s.st, c), YES);

    /* a single value and no nulls: != and NOT IN are provably false */
    c[C_ID].min = c[C_ID].max = val_i(7);
    CHECK_EQ_INT(t, prune_on(&s, "id != 7", c), NO);
    CHECK_EQ_INT(t, prune_on(&s, "id = 7", c), YES);
    CHECK_EQ_INT(t, prune_on(&s, "id NOT IN (7, 8)", c), NO);
    CHECK_EQ_INT(t, prune_on(&s, "id IN (7, 8)", c), YES);
    /* the same with some nulls: = is MAYBE (null rows are unknown), != still NO */
    c[C_ID].null_count = 3;
    CHECK_EQ_INT(t, prune_on(&s, "id = 7", c), MAYBE);
    CHECK_EQ_INT(t, prune_on(&s, "id != 7", c), NO);
    CHECK_EQ_INT(t, prune_on(&s, "id IS NULL", c), MAYBE);
    /* unknown null count */
    c[C_ID].null_count = -1;
    CHECK_EQ_INT(t, prune_on(&s, "id IS NOT NULL", c), MAYBE);
    CHECK_EQ_INT(t, prune_on(&s, "id = 9", c), NO);
    /* all null */
    c[C_ID].null_count = 100;
    c[C_ID].has_min = c[C_ID].has_max = false;
    CHECK_EQ_INT(t, prune_on(&s, "id = 1", c), NO);
    CHECK_EQ_INT(t, prune_on(&s, "id IS NULL", c), YES);
    CHECK_EQ_INT(t, prune_on(&s, "id IS NOT NULL", c), NO);
    CHECK_EQ_INT(t, prune_on(&s, "NOT id = 1", c), NO);
    /* no rows at all */
    c[C_ID].num_records = 0;
    c[C_ID].null_count = 0;
    CHECK_EQ_INT(t, prune_on(&s, "id IS NULL OR id IS NOT NULL", c), NO);
    /* a null partition value */
    c[C_NAME].value = val_null();
    CHECK_EQ_INT(t, prune_on(&s, "name IS NULL", c), YES);
    CHECK_EQ_INT(t, prune_on(&s, "name = 'a'", c), NO);
    CHECK_EQ_INT(t, prune_on(&s, "NOT name = 'a'", c), NO);
    CHECK_EQ_INT(t, prune_on(&s, "name IN ('a', null)", c), NO);
}

static void t_expr_prune_bounds(vl_test *t) {
    schema s;
    schema_init(&s);
    vl_delta_colinfo c[N_COLS];
    cols_init(c);
    /* a string max that may be a truncated prefix of the true max */
    c[C_WEIRD].has_min = c[C_WEIRD].has_max = true;
    c[C_WEIRD].min = val_s("apple");
    c[C_WEIRD].max = val_s("banana");
    c[C_WEIRD].null_count = 0;
    c[C_WEIRD].num_records = 10;
    static const ecase cases[] = {
        {"`weird col` = 'bananas'", MAYBE}, /* "bananas" may be stored: max was truncated */
        {"`weird col` = 'banana'", MAYBE},
        {"`weird col` = 'bananb'", NO},
        {"`weird col` = 'c'", NO},
        {"`weird col` > 'banana'", MAYBE},
        {"`weird col` >= 'bananaz'", MAYBE},
        {"`weird col` > 'bb'", NO},
        {"`weird col` < 'c'", YES},
        {"`weird col` <= 'banana'", MAYBE}, /* not YES: x may be "bananas" */
        {"`weird col` < 'apple'", NO},
        {"`weird col` = 'aardvark'", NO},
        {"`weird col` >= 'apple'", YES},
        {"`weird col` IN ('a', 'zz')", NO},
        {"`weird col` IN ('a', 'b')", MAYBE},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int got = prune_on(&s, cases[i].where, c);
        CHECKF(t, got == cases[i].want, "'%s': %d != %d", cases[i].where, got, cases[i].want);
    }
    /* timestamp stats in milliseconds: the max is widened by 999 µs */
    vl_dt_type ts = prim(VL_DT_TIMESTAMP);
    c[C_TS].has_min = c[C_TS].has_max = true;
    REQUIRE(t, vl_delta_value_parse(&ts, "2024-05-01 00:00:00", 19, false, &c[C_TS].min, NULL) == VL_OK);
    REQUIRE(t, vl_delta_value_parse(&ts, "2024-05-01 12:00:00.123", 23, false, &c[C_TS].max, NULL) == VL_OK);
    c[C_TS].null_count = 0;
    CHECK_EQ_INT(t, prune_on(&s, "ts = '2024-05-01 12:00:00.123500'", c), MAYBE);
    CHECK_EQ_INT(t, prune_on(&s, "ts > '2024-05-01 12:00:00.123999'", c), NO);
    CHECK_EQ_INT(t, prune_on(&s, "ts >= '2024-05-01 12:00:00.124'", c), NO);
    CHECK_EQ_INT(t, prune_on(&s, "ts < '2024-05-01'", c), NO);
    CHECK_EQ_INT(t, prune_on(&s, "ts < '2024-05-02'", c), YES);
    CHECK_EQ_INT(t, prune_on(&s, "ts >= '2024-05-01T00:00:00Z'", c), YES);
    /* doubles: a NaN row may hide beyond the max */
    c[C_X].has_min = c[C_X].has_max = true;
    c[C_X].min = val_d(1);
    c[C_X].max = val_d(3);
    c[C_X].null_count = 0;
    CHECK_EQ_INT(t, prune_on(&s, "x = 5", c), NO);
    CHECK_EQ_INT(t, prune_on(&s, "x < 0", c), NO);
    CHECK_EQ_INT(t, prune_on(&s, "x > 5", c), MAYBE);
    CHECK_EQ_INT(t, prune_on(&s, "x >= 1", c), YES);
    CHECK_EQ_INT(t, prune_on(&s, "x <= 3", c), MAYBE);
    /* wide decimals compare by value */
    c[C_BIG].has_min = c[C_BIG].has_max = true;
    c[C_BIG].min = val_s("-5.5");
    c[C_BIG].max = val_s("100000000000000000000.25");
    c[C_BIG].null_count = 0;
    CHECK_EQ_INT(t, prune_on(&s, "big > 100000000000000000000.25", c), NO);
    CHECK_EQ_INT(t, prune_on(&s, "big > 100000000000000000000.2", c), MAYBE);
    CHECK_EQ_INT(t, prune_on(&s, "big < -5.5", c), NO);
    CHECK_EQ_INT(t, prune_on(&s, "big >= '-5.50'", c), YES);
}

static void t_expr_columns(vl_test *t) {
    schema s;
    schema_init(&s);
    vl_arena a;
    vl_arena_init(&a, 0);
    const vl_delta_expr *e;
    vl_error err;
    REQUIRE(t, vl_delta_expr_parse("id = 1 AND (NOT name IS NULL OR d IN ('2024-01-01'))", &s.st, &a, &e, &err) ==
                   VL_OK);
    bool used[N_COLS] = {false};
    vl_delta_expr_columns(e, used);
    for (int i = 0; i < N_COLS; i++) CHECK_EQ_INT(t, used[i], i == C_ID || i == C_NAME || i == C_D);
    vl_delta_expr_columns(NULL, used);
    vl_arena_destroy(&a);
}

/* The tree must not point into the text: parse from a buffer, wipe it,
 * then evaluate. */
static void t_expr_owns_literals(vl_test *t) {
    schema s;
    schema_init(&s);
    vl_arena a;
    vl_arena_init(&a, 0);
    char text[128];
    snprintf(text, sizeof(text), "name IN ('abc', 'x''y') AND big = 12345678901234567890.5");
    const vl_delta_expr *e;
    vl_error err;
    REQUIRE(t, vl_delta_expr_parse(text, &s.st, &a, &e, &err) == VL_OK);
    memset(text, '#', sizeof(text) - 1);
    row r;
    row_init(&r);
    r.v[C_NAME] = val_s("x'y");
    r.v[C_BIG] = val_s("12345678901234567890.50");
    CHECK(t, vl_delta_expr_eval(e, &s.st, r.v));
    r.v[C_NAME] = val_s("abd");
    CHECK(t, !vl_delta_expr_eval(e, &s.st, r.v));
    vl_arena_destroy(&a);
}

/* Every prefix of some valid expressions and random token soup: no crash,
 * a clean code, and an EINVAL message that starts "where: ". */
static void t_expr_robust(vl_test *t) {
    schema s;
    schema_init(&s);
    static const char *const seeds[] = {
        "id = 1 AND (name IN ('a', 'b''c') OR NOT d >= '2024-01-01') AND ts IS NOT NULL",
        "`weird col` <> 'x' OR \"and\" NOT IN ('p', null) OR price <= -12.5e0 OR big > '1.5'",
        "x != 1e-3 AND ok = TRUE AND bin = 'raw'",
    };
    vl_arena a;
    vl_arena_init(&a, 0);
    char buf[256];
    for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
        size_t n = strlen(seeds[i]);
        for (size_t k = 0; k <= n; k++) {
            memcpy(buf, seeds[i], k);
            buf[k] = '\0';
            const vl_delta_expr *e;
            vl_error err;
            int rc = vl_delta_expr_parse(buf, &s.st, &a, &e, &err);
            CHECK(t, rc == VL_OK || rc == VL_EINVAL);
            if (rc == VL_EINVAL) CHECKF(t, strncmp(err.msg, "where: ", 7) == 0, "%s", err.msg);
            vl_arena_reset(&a);
        }
    }
    static const char *const toks[] = {"id", "name", "(", ")", "'", "''", "`", "\"", ",", "=", "<", ">",
                                       "!", "NOT", "AND", "OR", "IN", "IS", "NULL", "1", "-", ".", "e",
                                       "'a'", " ", "TRUE", "\xff", "\x01", "big", "1.5", "x"};
    vl_rng rng;
    vl_rng_seed(&rng, 42);
    vl_delta_colinfo c[N_COLS];
    cols_init(c);
    row r;
    row_init(&r);
    for (int it = 0; it < 20000; it++) {
        size_t k = 0, nt = vl_rng_below(&rng, 24);
        for (size_t j = 0; j < nt; j++) {
            const char *tk = toks[vl_rng_below(&rng, sizeof(toks) / sizeof(toks[0]))];
            size_t l = strlen(tk);
            if (k + l + 1 >= sizeof(buf)) break;
            memcpy(buf + k, tk, l);
            k += l;
            if (vl_rng_chance(&rng, 0.5)) buf[k++] = ' ';
        }
        buf[k] = '\0';
        const vl_delta_expr *e;
        vl_error err;
        int rc = vl_delta_expr_parse(buf, &s.st, &a, &e, &err);
        CHECKF(t, rc == VL_OK || rc == VL_EINVAL, "'%s': %d", buf, rc);
        if (rc == VL_OK) {
            (void)vl_delta_expr_eval(e, &s.st, r.v);
            CHECK(t, vl_delta_expr_prune(e, &s.st, c) == MAYBE || vl_delta_expr_prune(e, &s.st, c) == NO);
        }
        vl_arena_reset(&a);
    }
    /* a long flat chain stays within the node limit or fails cleanly */
    size_t big_n = 200000;
    char *big = vl_malloc(big_n + 1);
    REQUIRE(t, big != NULL);
    size_t k = 0;
    while (k + 14 < big_n) {
        memcpy(big + k, "id = 1 AND ", 11);
        k += 11;
    }
    memcpy(big + k, "id = 1", 6);
    big[k + 6] = '\0';
    const vl_delta_expr *e;
    vl_error err;
    CHECK(t, vl_delta_expr_parse(big, &s.st, &a, &e, &err) == VL_EINVAL);
    CHECK(t, strstr(err.msg, "too long") != NULL);
    vl_free(big);
    /* an arena that runs out gives ENOMEM, not a crash */
    vl_arena small;
    vl_arena_init(&small, 256);
    small.limit = 256;
    int rc = vl_delta_expr_parse("id IN (1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25)", &s.st,
                                 &small, &e, &err);
    CHECK(t, rc == VL_ENOMEM || rc == VL_OK);
    vl_arena_destroy(&small);
    vl_arena_destroy(&a);
}

static const vl_test_case cases[] = {
    {"partition values parse, format and become JSON cells for every type", t_value_round_trip},
    {"decimals, timestamps before 1970 and floats keep exact values", t_value_numbers},
    {"null and empty partition values are null for every type", t_value_nulls},
    {"values order with NaN greatest, unsigned bytes and wide decimals", t_value_cmp},
    {"partition directories escape the characters Spark escapes", t_partition_dir},
    {"add.path percent-encoding round-trips and refuses bad escapes", t_path_encode_decode},
    {"where expressions evaluate rows with SQL three-valued logic", t_expr_eval},
    {"malformed where expressions name the offset and the problem", t_expr_errors},
    {"pruning uses partition values, min/max and null counts", t_expr_prune},
    {"pruning treats truncated string max, ms timestamps and NaN safely", t_expr_prune_bounds},
    {"expr_columns marks the columns a predicate names", t_expr_columns},
    {"parsed expressions own their literals", t_expr_owns_literals},
    {"the expression parser survives prefixes and token soup", t_expr_robust},
};

VL_TEST_MAIN(cases)
