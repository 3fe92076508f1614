/* vidlake - Apache-2.0 */
/* Unit tests for src/core. */
#include "core/core.h"
#include "vl_test.h"

#include <zlib.h>

#include <math.h>
#include <string.h>

static void t_error_set_truncates(vl_test *t) {
    vl_error err;
    char big[2000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    CHECK_EQ_INT(t, vl_error_set(&err, VL_ECORRUPT, "at %d: %s", 7, big), VL_ECORRUPT);
    CHECK_EQ_INT(t, err.code, VL_ECORRUPT);
    CHECK_EQ_INT(t, strlen(err.msg), sizeof(err.msg) - 1);
    CHECK(t, strncmp(err.msg, "at 7: xxx", 9) == 0);
    CHECK_EQ_INT(t, vl_error_set(NULL, VL_EIO, "ignored"), VL_EIO);
    vl_error_set(&err, VL_EIO, "disk full");
    vl_error_prefix(&err, "writing %s: ", "a.parquet");
    CHECK_EQ_STR(t, err.msg, "writing a.parquet: disk full");
    CHECK_EQ_STR(t, vl_strerror(VL_ECONFLICT), "ECONFLICT");
    CHECK_EQ_STR(t, vl_strerror(999), "EUNKNOWN");
}

static void t_arena(vl_test *t) {
    vl_arena a;
    vl_arena_init(&a, 64);
    char *p1 = vl_arena_alloc(&a, 10);
    char *p2 = vl_arena_alloc(&a, 10);
    REQUIRE(t, p1 && p2);
    CHECK(t, ((uintptr_t)p1 & 15) == 0 && ((uintptr_t)p2 & 15) == 0);
    CHECK(t, p2 >= p1 + 10 || p1 >= p2 + 10);
    char *big = vl_arena_alloc(&a, 100000);
    REQUIRE(t, big);
    memset(big, 1, 100000);
    char *p3 = vl_arena_alloc(&a, 8); /* still served from the ordinary block */
    REQUIRE(t, p3);
    for (int i = 0; i < 1000; i++) REQUIRE(t, vl_arena_alloc(&a, (size_t)i % 300));
    vl_arena_reset(&a);
    CHECK(t, a.head != NULL && a.total >= 100000); /* keeps only the largest block */
    CHECK(t, vl_arena_memdup(&a, "hello", 5) != NULL);
    vl_arena_destroy(&a);
    vl_arena_init(&a, 0);
    a.limit = 10000;
    CHECK(t, vl_arena_alloc(&a, 20000) == NULL);
    vl_arena_destroy(&a);
}

static void t_arena_and_buf_survive_oom(vl_test *t) {
    /* fail the Nth allocation for every N: no crash, no leak (ASan checks) */
    for (long n = 0; n < 40; n++) {
        vl_alloc_fail_after(n);
        vl_arena a;
        vl_arena_init(&a, 32);
        for (int i = 0; i < 50; i++)
            if (!vl_arena_alloc(&a, (size_t)i * 7)) break;
        vl_arena_destroy(&a);
        vl_buf b;
        vl_buf_init(&b);
        for (int i = 0; i < 50; i++)
            if (vl_buf_printf(&b, "%d,", i) != VL_OK) break;
        vl_buf_free(&b);
    }
    vl_alloc_fail_after(-1);
    void *p = vl_malloc(1);
    CHECK(t, p != NULL);
    vl_free(p);
    vl_free(NULL);
}

static void t_buf(vl_test *t) {
    vl_buf b;
    vl_buf_init(&b);
    for (int i = 0; i < 1000; i++) REQUIRE(t, vl_buf_printf(&b, "%d", i % 10) == VL_OK);
    CHECK_EQ_INT(t, b.n, 1000);
    vl_buf_clear(&b);
    REQUIRE(t, vl_buf_json_str(&b, "a\"b\\c\n\x01\xc3\xa9\xff", 10) == VL_OK);
    CHECK_EQ_STR(t, vl_buf_cstr(&b), "\"a\\\"b\\\\c\\n\\u0001\xc3\xa9\xef\xbf\xbd\"");
    vl_buf_free(&b);
}

static void t_utf8(vl_test *t) {
    size_t at = 99;
    CHECK(t, vl_utf8_valid("plain ascii text, long enough for words", 39, NULL));
    CHECK(t, vl_utf8_valid("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9, NULL));
    CHECK(t, !vl_utf8_valid("ab\xc0\xaf", 4, &at) && at == 2);        /* overlong '/' */
    CHECK(t, !vl_utf8_valid("\xed\xa0\x80", 3, &at) && at == 0);       /* surrogate */
    CHECK(t, !vl_utf8_valid("\xf4\x90\x80\x80", 4, &at));              /* > U+10FFFF */
    CHECK(t, !vl_utf8_valid("abcdefghij\xe2\x82", 12, &at) && at == 10); /* truncated */
    CHECK(t, !vl_utf8_valid("\x80", 1, &at) && at == 0);
}

static void t_numbers(vl_test *t) {
    int64_t v;
    CHECK(t, vl_parse_i64("9223372036854775807", 19, &v) == VL_OK && v == INT64_MAX);
    CHECK(t, vl_parse_i64("-9223372036854775808", 20, &v) == VL_OK && v == INT64_MIN);
    CHECK(t, vl_parse_i64("9223372036854775808", 19, &v) == VL_ERANGE);
    CHECK(t, vl_parse_i64("-", 1, &v) == VL_EINVAL);
    CHECK(t, vl_parse_i64("12a", 3, &v) == VL_EINVAL);
    CHECK(t, vl_parse_count("2M", &v, NULL) == VL_OK && v == 2000000);
    CHECK(t, vl_parse_count("-1", &v, NULL) == VL_EINVAL);
    CHECK(t, vl_parse_duration_us("1s", &v, NULL) == VL_OK && v == 1000000);
    CHECK(t, vl_parse_duration_us("250ms", &v, NULL) == VL_OK && v == 250000);
    CHECK(t, vl_parse_duration_us("1.5m", &v, NULL) == VL_OK && v == 90000000);
    CHECK(t, vl_parse_duration_us("2", &v, NULL) == VL_OK && v == 2000000);
    CHECK(t, vl_parse_duration_us("5 s", &v, NULL) == VL_EINVAL);
    CHECK(t, vl_parse_duration_us("-1s", &v, NULL) == VL_EINVAL);
    CHECK(t, vl_parse_duration_us("1e300h", &v, NULL) == VL_EINVAL);
    CHECK(t, vl_parse_bytes("128MiB", &v, NULL) == VL_OK && v == 128ll << 20);
    CHECK(t, vl_parse_bytes("64k", &v, NULL) == VL_OK && v == 65536);
    CHECK(t, vl_parse_bytes("4096", &v, NULL) == VL_OK && v == 4096);
    CHECK(t, vl_parse_bytes("1TB", &v, NULL) == VL_EINVAL);
    CHECK(t, vl_parse_bytes("99999999999999G", &v, NULL) == VL_EINVAL);
    char buf[40];
    CHECK_EQ_INT(t, vl_fmt_i64(buf, INT64_MIN), 20);
    CHECK(t, memcmp(buf, "-9223372036854775808", 20) == 0);
    const double ds[] = {0.1, 0.30000000000000004, 1e300, -2.5e-308, 123456.789, 5e-324, 1.0 / 3};
    for (size_t i = 0; i < sizeof(ds) / sizeof(ds[0]); i++) {
        size_t n = vl_fmt_double(buf, ds[i]);
        buf[n] = '\0';
        CHECKF(t, strtod(buf, NULL) == ds[i], "%s", buf);
    }
    buf[vl_fmt_double(buf, 5e-324)] = '\0';
    CHECK_EQ_STR(t, buf, "5e-324"); /* subnormals are shortest too */
    buf[vl_fmt_double(buf, 1e-310)] = '\0';
    CHECK_EQ_STR(t, buf, "1e-310");
    buf[vl_fmt_double(buf, 0.1)] = '\0';
    CHECK_EQ_STR(t, buf, "0.1");
    buf[vl_fmt_double(buf, -INFINITY)] = '\0';
    CHECK_EQ_STR(t, buf, "-Infinity");
    buf[vl_fmt_double(buf, NAN)] = '\0';
    CHECK_EQ_STR(t, buf, "NaN");
}

static void t_time(vl_test *t) {
    int64_t us;
    char out[32];
    CHECK(t, vl_ts_parse("2024-05-01T12:00:00Z", 20, &us, NULL) == VL_OK);
    CHECK_EQ_INT(t, us, INT64_C(1714564800000000));
    out[vl_ts_format(out, us)] = '\0';
    CHECK_EQ_STR(t, out, "2024-05-01T12:00:00.000000Z");
    const char *s = "2024-02-29t23:59:59.1234567+02:30";
    CHECK(t, vl_ts_parse(s, strlen(s), &us, NULL) == VL_OK);
    out[vl_ts_format(out, us)] = '\0';
    CHECK_EQ_STR(t, out, "2024-02-29T21:29:59.123456Z");
    vl_error err;
    CHECK(t, vl_ts_parse("2023-02-29T00:00:00Z", 20, &us, &err) == VL_EINVAL);
    CHECK(t, strstr(err.msg, "day 29") != NULL);
    CHECK(t, vl_ts_parse("2024-05-01T12:00:00", 19, &us, &err) == VL_EINVAL);
    CHECK(t, vl_ts_parse("2024-05-01T24:00:00Z", 20, &us, &err) == VL_EINVAL);
    CHECK(t, vl_ts_parse("2024-05-01T12:00:00.Z", 21, &us, &err) == VL_EINVAL);
    CHECK(t, vl_ts_parse("2024-05-01T12:00:00Zx", 21, &us, &err) == VL_EINVAL);
    CHECK(t, vl_ts_parse("2016-12-31T23:59:60Z", 20, &us, NULL) == VL_OK);
    out[vl_ts_format(out, us)] = '\0';
    CHECK_EQ_STR(t, out, "2016-12-31T23:59:59.999999Z");
    /* negative timestamps floor correctly */
    out[vl_ts_format(out, -1)] = '\0';
    CHECK_EQ_STR(t, out, "1969-12-31T23:59:59.999999Z");
    CHECK_EQ_INT(t, vl_ts_day(INT64_MIN), INT64_MIN / VL_US_PER_DAY - 1);
    CHECK_EQ_INT(t, vl_ts_day(-VL_US_PER_DAY), -1);
    CHECK_EQ_INT(t, vl_ts_day(VL_US_PER_DAY - 1), 0);
    /* every day for 1000 years round-trips through civil dates */
    for (int64_t d = -200000; d < 200000; d += 7) {
        int64_t y;
        unsigned m, dd;
        vl_civil_from_days(d, &y, &m, &dd);
        if (vl_days_from_civil(y, m, dd) != d) {
            CHECKF(t, 0, "day %lld", (long long)d);
            break;
        }
    }
    CHECK_EQ_INT(t, vl_weekday(vl_days_from_civil(2024, 5, 1)), 2); /* a Wednesday */
    int64_t days;
    CHECK(t, vl_date_parse("2024-05-01", 10, &days, NULL) == VL_OK);
    out[vl_date_format(out, days)] = '\0';
    CHECK_EQ_STR(t, out, "2024-05-01");
}

static void t_hash_and_rng(vl_test *t) {
    CHECK(t, vl_hash64("abc", 3, 0) != vl_hash64("abd", 3, 0));
    CHECK(t, vl_hash64("abc", 3, 0) != vl_hash64("abc", 3, 1));
    CHECK(t, vl_hash64("", 0, 0) == vl_hash64("", 0, 0));
    /* every length 0..40 hashes without reading past the end (ASan) */
    char bytes[40];
    for (int i = 0; i < 40; i++) bytes[i] = (char)i;
    uint64_t prev = 0;
    for (size_t n = 0; n <= 40; n++) {
        char *copy = vl_malloc(n ? n : 1);
        memcpy(copy, bytes, n);
        uint64_t h = vl_hash64(copy, n, 0);
        CHECK(t, h != prev);
        prev = h;
        vl_free(copy);
    }
    vl_rng r1, r2;
    vl_rng_seed(&r1, 7);
    vl_rng_seed(&r2, 7);
    for (int i = 0; i < 100; i++) CHECK(t, vl_rng_next(&r1) == vl_rng_next(&r2));
    int counts[10] = {0};
    double sum = 0;
    for (int i = 0; i < 100000; i++) {
        counts[vl_rng_below(&r1, 10)]++;
        sum += vl_rng_exp(&r1, 2.0);
    }
    for (int i = 0; i < 10; i++) CHECKF(t, counts[i] > 9500 && counts[i] < 10500, "%d", counts[i]);
    CHECKF(t, fabs(sum / 100000 - 2.0) < 0.05, "%f", sum / 100000);
}

static void t_u64set(vl_test *t) {
    vl_u64set s;
    vl_u64set_init(&s);
    for (uint64_t i = 0; i < 10000; i++) CHECK(t, vl_u64set_add(&s, i * 7919) == 1);
    for (uint64_t i = 0; i < 10000; i++) CHECK(t, vl_u64set_add(&s, i * 7919) == 0);
    CHECK_EQ_INT(t, vl_u64set_count(&s), 10000);
    CHECK(t, vl_u64set_has(&s, 0) && vl_u64set_has(&s, 7919) && !vl_u64set_has(&s, 7920));
    vl_u64set_free(&s);
    CHECK(t, !vl_u64set_has(&s, 5));
}

static void t_log_does_not_crash(vl_test *t) {
    vl_log_setup(VL_LOG_OFF, false);
    vl_log(VL_LOG_ERROR, "test", "hidden %d", 1);
    CHECK(t, !vl_log_enabled(VL_LOG_ERROR));
    vl_log_setup(VL_LOG_INFO, false);
    CHECK(t, vl_log_enabled(VL_LOG_WARN) && !vl_log_enabled(VL_LOG_DEBUG));
}

/* vl_grow keeps the array while there is room, doubles it when full, and
 * leaves it alone when memory runs out; vl_buf_sink_write appends. */
static void t_grow_and_sink(vl_test *t) {
    int *a = NULL;
    size_t cap = 0, n = 0;
    for (int i = 0; i < 1000; i++) {
        int *g = vl_grow(a, &cap, n, sizeof(*g), 4);
        REQUIRE(t, g);
        a = g;
        a[n++] = i;
    }
    CHECK_EQ_INT(t, cap, 1024);
    long sum = 0;
    for (size_t i = 0; i < n; i++) sum += a[i];
    CHECK_EQ_INT(t, sum, 999 * 1000 / 2);
    CHECK(t, vl_grow(a, &cap, 10, sizeof(int), 4) == a); /* room: unchanged */
    vl_alloc_fail_after(0);
    size_t cap2 = cap;
    CHECK(t, vl_grow(a, &cap2, cap2, sizeof(int), 4) == NULL);
    vl_alloc_fail_after(-1);
    CHECK_EQ_INT(t, cap2, cap);
    size_t c0 = 0;
    CHECK(t, vl_grow(NULL, &c0, 0, SIZE_MAX / 2, 4) == NULL && c0 == 0); /* size overflow refused */
    vl_free(a);
    vl_buf b;
    vl_buf_init(&b);
    vl_error err;
    CHECK_EQ_INT(t, vl_buf_sink_write(&b, "ab", 2, &err), VL_OK);
    CHECK_EQ_INT(t, vl_buf_sink_write(&b, "c", 1, &err), VL_OK);
    CHECK(t, b.n == 3 && memcmp(b.p, "abc", 3) == 0);
    vl_buf_free(&b);
}


/* gzip (windowBits 31) or zlib (15) of p[0..n) at level 1, appended to out */
static void compress_to(vl_buf *out, const char *p, size_t n, int bits) {
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (deflateInit2(&z, 1, Z_DEFLATED, bits, 8, Z_DEFAULT_STRATEGY) != Z_OK) abort();
    size_t bound = deflateBound(&z, (uLong)n);
    if (vl_buf_reserve(out, bound) != VL_OK) abort();
    z.next_in = (Bytef *)(uintptr_t)p;
    z.avail_in = (uInt)n;
    z.next_out = (Bytef *)out->p + out->n;
    z.avail_out = (uInt)bound;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END) abort();
    out->n += bound - z.avail_out;
    deflateEnd(&z);
}

static void t_inflate(vl_test *t) {
    vl_buf plain, gz, out;
    vl_buf_init(&plain);
    vl_buf_init(&gz);
    vl_buf_init(&out);
    for (int i = 0; i < 20000; i++) REQUIRE(t, vl_buf_printf(&plain, "{\"event_id\":\"e%d\",\"n\":%d}\n", i, i * 7) == VL_OK);
    vl_error err;
    bool big;
    /* one gzip member (libdeflate), appended after what out held */
    compress_to(&gz, plain.p, plain.n, 31);
    REQUIRE(t, vl_buf_append(&out, "x", 1) == VL_OK);
    CHECK_EQ_INT(t, vl_inflate(gz.p, gz.n, plain.n, &out, &big, &err), VL_OK);
    CHECK(t, !big && out.n == plain.n + 1 && memcmp(out.p + 1, plain.p, plain.n) == 0);
    /* one byte over the limit: too large, whichever path */
    out.n = 0;
    CHECK_EQ_INT(t, vl_inflate(gz.p, gz.n, plain.n - 1, &out, &big, &err), VL_OK);
    CHECK(t, big);
    /* two members (zlib's path) */
    size_t one = gz.n;
    compress_to(&gz, plain.p, plain.n, 31);
    out.n = 0;
    CHECK_EQ_INT(t, vl_inflate(gz.p, gz.n, 2 * plain.n, &out, &big, &err), VL_OK);
    CHECK(t, !big && out.n == 2 * plain.n && memcmp(out.p + plain.n, plain.p, plain.n) == 0);
    /* a zlib stream (Content-Encoding: deflate) */
    vl_buf zl;
    vl_buf_init(&zl);
    compress_to(&zl, plain.p, plain.n, 15);
    out.n = 0;
    CHECK_EQ_INT(t, vl_inflate(zl.p, zl.n, plain.n, &out, &big, &err), VL_OK);
    CHECK(t, !big && out.n == plain.n && memcmp(out.p, plain.p, plain.n) == 0);
    vl_buf_free(&zl);
    /* a trailer that lies about the size: small ISIZE, then a huge one */
    gz.n = one;
    gz.p[one - 4] = 5, gz.p[one - 3] = gz.p[one - 2] = gz.p[one - 1] = 0;
    out.n = 0;
    CHECK_EQ_INT(t, vl_inflate(gz.p, gz.n, plain.n, &out, &big, &err), VL_EINVAL); /* zlib checks ISIZE */
    gz.p[one - 1] = 0x7f;
    out.n = 0;
    CHECK_EQ_INT(t, vl_inflate(gz.p, gz.n, 1 << 20, &out, &big, &err), VL_EINVAL);
    CHECK(t, out.cap < (4u << 20)); /* no allocation of the claimed 2 GiB */
    /* truncated, corrupt, not compressed at all */
    out.n = 0;
    CHECK_EQ_INT(t, vl_inflate(gz.p, gz.n / 2, plain.n, &out, &big, &err), VL_EINVAL);
    CHECK(t, strstr(err.msg, "ends early") != NULL);
    memset(gz.p + 100, 0xff, 64);
    out.n = 0;
    CHECK_EQ_INT(t, vl_inflate(gz.p, one, plain.n, &out, &big, &err), VL_EINVAL);
    CHECK(t, strstr(err.msg, "at byte") != NULL);
    out.n = 0;
    CHECK_EQ_INT(t, vl_inflate(plain.p, 100, plain.n, &out, &big, &err), VL_EINVAL);
    /* a bomb: 64 MiB of zeros in about 64 KiB, limit 1 MiB */
    vl_buf zeros;
    vl_buf_init(&zeros);
    REQUIRE(t, vl_buf_reserve(&zeros, 64u << 20) == VL_OK);
    memset(zeros.p, 0, 64u << 20);
    gz.n = 0;
    compress_to(&gz, zeros.p, 64u << 20, 31);
    vl_buf_free(&zeros);
    vl_buf_free(&out);
    vl_buf_init(&out);
    CHECK_EQ_INT(t, vl_inflate(gz.p, gz.n, 1 << 20, &out, &big, &err), VL_OK);
    CHECK(t, big && out.cap <= (4u << 20));
    vl_buf_free(&out);
    vl_buf_free(&gz);
    vl_buf_free(&plain);
}

static const vl_test_case cases[] = {
    {"error messages are formatted, truncated and prefixed", t_error_set_truncates},
    {"arena allocates aligned memory, resets and honours its limit", t_arena},
    {"arena and buffers fail cleanly at every allocation", t_arena_and_buf_survive_oom},
    {"buffers grow and escape JSON strings", t_buf},
    {"UTF-8 validation follows RFC 3629", t_utf8},
    {"integers and doubles parse and format exactly", t_numbers},
    {"RFC 3339 timestamps parse, format and convert calendars", t_time},
    {"hashing and random numbers are deterministic and uniform", t_hash_and_rng},
    {"the logger honours its level", t_log_does_not_crash},
    {"the u64 set adds, finds and grows", t_u64set},
    {"arrays grow by doubling; buffers take sink writes", t_grow_and_sink},
    {"gzip and zlib bodies inflate under a limit; bad ones are refused", t_inflate},
};
VL_TEST_MAIN(cases)
