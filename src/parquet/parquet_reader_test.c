/* vidlake - Apache-2.0 */
/*
 * Unit tests for the Parquet reader and the record assembly: every file of
 * the shared Parquet test data (apache/parquet-testing, described in
 * $VIDLAKE_TESTDATA/README.md, section "Parquet files") must read exactly as
 * that README says, and every file it calls broken must be refused with the
 * right code and a message naming the problem, never a crash.
 *
 * The data is found through VIDLAKE_TESTDATA (default ../shared/testdata,
 * relative to the repository root, where the binary runs). When it is absent
 * every case that needs it says "skip". Nothing is copied into the repo.
 *
 * Expectations are written down independently of the code under test: the
 * NDJSON lines follow DESIGN.md ("NDJSON output of rows") and the README's
 * values; base64 and timestamps are computed here, not by parquet_rows.c.
 */
#include "parquet/parquet.h"
#include "vl_test.h"

#include <math.h>
#include <stdint.h>
#include <string.h>
#include <dirent.h>
#include <stdio.h>
#include <sys/stat.h>

/* ------------------------------------------------------------- harness */

static char g_dir[4096];

/* The parquet/ directory of the test data, or NULL when it is absent. */
static const char *pq_dir(void) {
    if (g_dir[0]) return g_dir;
    const char *base = vl_test_data_dir("parquet");
    if (!base) return NULL;
    snprintf(g_dir, sizeof(g_dir), "%s/parquet", base);
    return g_dir;
}

#define NEED_DATA(t)                                                                      \
    do {                                                                                  \
        if (!pq_dir()) SKIP(t, "no Parquet test data (set VIDLAKE_TESTDATA)");            \
    } while (0)

static void pq_path(char *out, size_t cap, const char *rel) {
    snprintf(out, cap, "%s/%s", pq_dir(), rel);
}

static int sink_buf(void *ctx, const char *p, size_t n, vl_error *err) {
    if (vl_buf_append(ctx, p, n) != VL_OK) return vl_error_set(err, VL_ENOMEM, "out of memory");
    return VL_OK;
}

/* Writes every row of every row group of an open reader into out. */
static int rows_all(vl_pq_reader *r, int format, vl_buf *out, int64_t *rows, vl_error *err) {
    const vl_pq_file_meta *m = vl_pq_reader_meta(r);
    *rows = 0;
    for (uint32_t g = 0; g < m->n_row_groups; g++) {
        int64_t w = 0;
        int rc = vl_pq_rows_write(r, g, NULL, format, 0, -1, sink_buf, out, &w, err);
        if (rc) return rc;
        *rows += w;
    }
    return VL_OK;
}

/* Opens a test-data file and writes all of its rows. */
static int read_file(const char *rel, int format, vl_buf *out, int64_t *rows, vl_error *err) {
    char path[4200];
    pq_path(path, sizeof(path), rel);
    vl_pq_reader *r;
    *rows = 0;
    int rc = vl_pq_reader_open_file(path, &r, err);
    if (rc) return rc;
    rc = rows_all(r, format, out, rows, err);
    vl_pq_reader_close(r);
    return rc;
}

static void b64(vl_buf *b, const void *data, size_t n) {
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const uint8_t *p = data;
    int rc = vl_buf_putc(b, '"');
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) |
                     (i + 2 < n ? p[i + 2] : 0);
        char q[4] = {tbl[v >> 18], tbl[(v >> 12) & 63], i + 1 < n ? tbl[(v >> 6) & 63] : '=',
                     i + 2 < n ? tbl[v & 63] : '='};
        rc |= vl_buf_append(b, q, 4);
    }
    rc |= vl_buf_putc(b, '"');
    (void)rc;
}

/* Compares two multi-line texts; on a difference prints the first differing
 * line of each. */
static void check_text(vl_test *t, const char *what, const char *got, size_t got_n,
                       const char *want) {
    size_t want_n = strlen(want);
    if (got_n == want_n && memcmp(got, want, want_n) == 0) return;
    size_t i = 0, line = 1, ls = 0;
    while (i < got_n && i < want_n && got[i] == want[i]) {
        if (got[i] == '\n') {
            line++;
            ls = i + 1;
        }
        i++;
    }
    const char *ge = memchr(got + ls, '\n', got_n - ls);
    const char *we = strchr(want + ls, '\n');
    int gl = (int)(ge ? (size_t)(ge - got) - ls : got_n - ls);
    int wl = (int)(we ? (size_t)(we - want) - ls : want_n - ls);
    CHECKF(t, 0, "%s: line %zu differs:\n    got:  %.*s\n    want: %.*s", what, line,
           gl > 400 ? 400 : gl, got + ls, wl > 400 ? 400 : wl, want + ls);
}

static size_t count_lines(const char *p, size_t n) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++) k += p[i] == '\n';
    return k;
}

/* ------------------------------------------- files read to exact NDJSON */

static void gen_alltypes_row(vl_buf *b, int id, const char *date, const char *ts) {
    int o = id % 2;
    int rc = vl_buf_printf(b,
                           "{\"id\":%d,\"bool_col\":%s,\"tinyint_col\":%d,\"smallint_col\":%d,"
                           "\"int_col\":%d,\"bigint_col\":%d,\"float_col\":%s,\"double_col\":%s,"
                           "\"date_string_col\":",
                           id, o ? "false" : "true", o, o, o, 10 * o, o ? "1.1" : "0",
                           o ? "10.1" : "0");
    b64(b, date, strlen(date));
    rc |= vl_buf_puts(b, ",\"string_col\":");
    b64(b, o ? "1" : "0", 1);
    rc |= vl_buf_printf(b, ",\"timestamp_col\":\"%sZ\"}\n", ts);
    (void)rc;
}

/* The alltypes rows of the README, by id. */
static void gen_alltypes_ids(vl_buf *b, const int *ids, int n) {
    static const char *const date[8] = {"01/01/09", "01/01/09", "02/01/09", "02/01/09",
                                        "03/01/09", "03/01/09", "04/01/09", "04/01/09"};
    static const char *const ts[8] = {"2009-01-01T00:00:00.000000", "2009-01-01T00:01:00.000000",
                                      "2009-02-01T00:00:00.000000", "2009-02-01T00:01:00.000000",
                                      "2009-03-01T00:00:00.000000", "2009-03-01T00:01:00.000000",
                                      "2009-04-01T00:00:00.000000", "2009-04-01T00:01:00.000000"};
    for (int i = 0; i < n; i++) gen_alltypes_row(b, ids[i], date[ids[i]], ts[ids[i]]);
}

static void gen_alltypes_plain(vl_buf *b) {
    static const int ids[] = {4, 5, 6, 7, 2, 3, 0, 1};
    gen_alltypes_ids(b, ids, 8);
}
static void gen_alltypes_snappy(vl_buf *b) {
    static const int ids[] = {6, 7};
    gen_alltypes_ids(b, ids, 2);
}
static void gen_alltypes_dict(vl_buf *b) {
    static const int ids[] = {0, 1};
    gen_alltypes_ids(b, ids, 2);
}

static void gen_decimals(vl_buf *b) {
    for (int i = 1; i <= 24; i++) (void)!vl_buf_printf(b, "{\"value\":\"%d.00\"}\n", i);
}

static void gen_binary(vl_buf *b) {
    for (uint8_t i = 0; i < 12; i++) {
        (void)!vl_buf_puts(b, "{\"foo\":");
        b64(b, &i, 1);
        (void)!vl_buf_puts(b, "}\n");
    }
}

static void gen_lz4(vl_buf *b) {
    /* c1 is BYTE_ARRAY without a STRING annotation: binary, so base64
     * ("abc" = YWJj, "def" = ZGVm) */
    (void)!vl_buf_puts(b, "{\"c0\":1593604800,\"c1\":\"YWJj\",\"v11\":42}\n"
                          "{\"c0\":1593604800,\"c1\":\"ZGVm\",\"v11\":7.7}\n"
                          "{\"c0\":1593604801,\"c1\":\"YWJj\",\"v11\":42.125}\n"
                          "{\"c0\":1593604801,\"c1\":\"ZGVm\",\"v11\":7.7}\n");
}

static void gen_rle_boolean(vl_buf *b) {
    static const char seq[] = "TFnTTFFTTTFFTTFnTTFFTTFnTTFFTTTFFFFTTFnTTFFTTTFFnTTFFTTTFTTFnTTFFTTT";
    for (const char *p = seq; *p; p++)
        (void)!vl_buf_printf(b, "{\"datatype_boolean\":%s}\n",
                             *p == 'T' ? "true" : *p == 'F' ? "false" : "null");
}

static void gen_dict_offset_zero(vl_buf *b) {
    for (int i = 0; i < 39; i++) (void)!vl_buf_puts(b, "{\"l_partkey\":1552}\n");
}

static void gen_delta_length(vl_buf *b) {
    for (long i = 0; i < 1000; i++)
        (void)!vl_buf_printf(b, "{\"FRUIT\":\"apple_banana_mango%ld\"}\n", i * i);
}

static void gen_nulls(vl_buf *b) {
    for (int i = 0; i < 8; i++) (void)!vl_buf_puts(b, "{\"b_struct\":{\"b_c_int\":null}}\n");
}

static void gen_v2_empty_compressed(vl_buf *b) {
    for (int i = 0; i < 10; i++) (void)!vl_buf_puts(b, "{\"integer_column\":null}\n");
}

static void gen_concat_gzip(vl_buf *b) {
    for (int i = 1; i <= 513; i++) (void)!vl_buf_printf(b, "{\"long_col\":%d}\n", i);
}

static void gen_uuid_rows(vl_buf *b, const char *uuid) {
    /* binary_field is BYTE_ARRAY without STRING: base64 of the UUID text */
    vl_buf one;
    vl_buf_init(&one);
    (void)!vl_buf_puts(&one, "{\"long_field\":0,\"binary_field\":");
    b64(&one, uuid, strlen(uuid));
    (void)!vl_buf_puts(&one, "}\n");
    for (int i = 0; i < 1000; i++) (void)!vl_buf_append(b, one.p, one.n);
    vl_buf_free(&one);
}
static void gen_plain_dict_crc(vl_buf *b) { gen_uuid_rows(b, "a655fd0e-9949-4059-bcae-fd6a002a4652"); }
static void gen_rle_dict_crc(vl_buf *b) { gen_uuid_rows(b, "c95e263a-f5d4-401f-8107-5ca7146a1f98"); }

static void gen_overflow_i16(vl_buf *b) {
    for (int i = 0; i < 40000; i++) (void)!vl_buf_puts(b, "{\"inc\":false}\n");
}

static void gen_unknown_lt(vl_buf *b) {
    /* the unknown logical type is read by its physical type: binary */
    for (int i = 1; i <= 3; i++) {
        char s[32];
        snprintf(s, sizeof(s), "unknown string %d", i);
        (void)!vl_buf_printf(b, "{\"column with known type\":\"known string %d\","
                                "\"column with unknown type\":", i);
        b64(b, s, strlen(s));
        (void)!vl_buf_puts(b, "}\n");
    }
}

typedef struct exact_case {
    const char *file;
    const char *want;             /* the whole NDJSON output, or NULL */
    void (*gen)(vl_buf *b);       /* ... or a generator of it */
} exact_case;

static const exact_case exact_cases[] = {
    {"data/alltypes_plain.parquet", NULL, gen_alltypes_plain},
    {"data/alltypes_plain.snappy.parquet", NULL, gen_alltypes_snappy},
    {"data/alltypes_dictionary.parquet", NULL, gen_alltypes_dict},
    {"data/binary.parquet", NULL, gen_binary},
    {"data/int32_decimal.parquet", NULL, gen_decimals},
    {"data/int64_decimal.parquet", NULL, gen_decimals},
    {"data/byte_array_decimal.parquet", NULL, gen_decimals},
    {"data/fixed_length_decimal.parquet", NULL, gen_decimals},
    {"data/fixed_length_decimal_legacy.parquet", NULL, gen_decimals},
    /* INT96: the README gives microseconds since the epoch. The last one,
     * 9089380393200000000, is what Spark wrote: its INT96 encoder overflowed
     * (the Julian day field holds -105862232 as a signed int32) and Spark's
     * decoder, computing in wrapping int64 microseconds, reads the value
     * back. A demanding user wants that same instant, not a null or an error:
     * year 290000, beyond 9999, printed in the ISO 8601 expanded form with a
     * sign and six year digits (as JavaScript's toISOString does). */
    {"data/int96_from_spark.parquet",
     "{\"a\":\"2024-01-01T20:34:56.123456Z\"}\n"
     "{\"a\":\"2024-01-01T01:00:00.000000Z\"}\n"
     "{\"a\":\"9999-12-31T03:00:00.000000Z\"}\n"
     "{\"a\":\"2024-12-30T23:00:00.000000Z\"}\n"
     "{\"a\":null}\n"
     "{\"a\":\"+290000-12-30T23:00:00.000000Z\"}\n",
     NULL},
    {"data/concatenated_gzip_members.parquet", NULL, gen_concat_gzip},
    {"data/lz4_raw_compressed.parquet", NULL, gen_lz4},
    {"data/hadoop_lz4_compressed.parquet", NULL, gen_lz4},
    /* codec LZ4 with a raw block: the reader detects the missing framing */
    {"data/non_hadoop_lz4_compressed.parquet", NULL, gen_lz4},
    {"data/rle_boolean_encoding.parquet", NULL, gen_rle_boolean},
    {"data/dict-page-offset-zero.parquet", NULL, gen_dict_offset_zero},
    {"data/nan_in_stats.parquet", "{\"x\":1}\n{\"x\":\"NaN\"}\n", NULL},
    {"data/single_nan.parquet", "{\"mycol\":null}\n", NULL},
    {"data/float16_zeros_and_nans.parquet", "{\"x\":null}\n{\"x\":0}\n{\"x\":\"NaN\"}\n", NULL},
    {"data/float16_nonzeros_and_nans.parquet",
     "{\"x\":null}\n{\"x\":1}\n{\"x\":-2}\n{\"x\":\"NaN\"}\n{\"x\":0}\n{\"x\":-1}\n{\"x\":-0}\n"
     "{\"x\":2}\n",
     NULL},
    {"data/sort_columns.parquet",
     "{\"a\":null,\"b\":\"a\"}\n{\"a\":2,\"b\":\"b\"}\n{\"a\":1,\"b\":\"c\"}\n"
     "{\"a\":null,\"b\":\"a\"}\n{\"a\":2,\"b\":\"b\"}\n{\"a\":1,\"b\":\"c\"}\n",
     NULL},
    /* 0 rows in 1 row group whose chunks point at byte 0: nothing to read */
    {"data/column_chunk_key_value_metadata.parquet", "", NULL},
    {"data/unknown-logical-type.parquet", NULL, gen_unknown_lt},
    {"data/delta_length_byte_array.parquet", NULL, gen_delta_length},
    {"data/datapage_v2.snappy.parquet",
     "{\"a\":\"abc\",\"b\":1,\"c\":2,\"d\":true,\"e\":[1,2,3]}\n"
     "{\"a\":\"abc\",\"b\":2,\"c\":3,\"d\":true,\"e\":null}\n"
     "{\"a\":\"abc\",\"b\":3,\"c\":4,\"d\":true,\"e\":null}\n"
     "{\"a\":null,\"b\":4,\"c\":5,\"d\":false,\"e\":[1,2,3]}\n"
     "{\"a\":\"abc\",\"b\":5,\"c\":2,\"d\":true,\"e\":[1,2]}\n",
     NULL},
    {"data/datapage_v2_empty_datapage.snappy.parquet", "{\"value\":null}\n", NULL},
    {"data/page_v2_empty_compressed.parquet", NULL, gen_v2_empty_compressed},
    {"data/plain-dict-uncompressed-checksum.parquet", NULL, gen_plain_dict_crc},
    {"data/rle-dict-snappy-checksum.parquet", NULL, gen_rle_dict_crc},
    {"data/data_index_bloom_encoding_stats.parquet",
     "{\"String\":\"Hello\"}\n{\"String\":\"This is\"}\n{\"String\":\"a\"}\n{\"String\":\"test\"}\n"
     "{\"String\":\"How\"}\n{\"String\":\"are you\"}\n{\"String\":\"doing \"}\n"
     "{\"String\":\"today\"}\n{\"String\":\"the quick\"}\n{\"String\":\"brown fox\"}\n"
     "{\"String\":\"jumps\"}\n{\"String\":\"over\"}\n{\"String\":\"the lazy\"}\n"
     "{\"String\":\"dog\"}\n",
     NULL},
    {"data/overflow_i16_page_cnt.parquet", NULL, gen_overflow_i16},
    {"data/nulls.snappy.parquet", NULL, gen_nulls},
    {"data/null_list.parquet", "{\"emptylist\":[]}\n", NULL},
    {"data/list_columns.parquet",
     "{\"int64_list\":[1,2,3],\"utf8_list\":[\"abc\",\"efg\",\"hij\"]}\n"
     "{\"int64_list\":[null,1],\"utf8_list\":null}\n"
     "{\"int64_list\":[4],\"utf8_list\":[\"efg\",null,\"hij\",\"xyz\"]}\n",
     NULL},
    {"data/nested_lists.snappy.parquet",
     "{\"a\":[[[\"a\",\"b\"],[\"c\"]],[null,[\"d\"]]],\"b\":1}\n"
     "{\"a\":[[[\"a\",\"b\"],[\"c\",\"d\"]],[null,[\"e\"]]],\"b\":1}\n"
     "{\"a\":[[[\"a\",\"b\"],[\"c\",\"d\"],[\"e\"]],[null,[\"f\"]]],\"b\":1}\n",
     NULL},
    /* the inner maps have INT32 keys: arrays of [key, value], so an empty one is [] */
    {"data/nested_maps.snappy.parquet",
     "{\"a\":{\"a\":[[1,true],[2,false]]},\"b\":1,\"c\":1}\n"
     "{\"a\":{\"b\":[[1,true]]},\"b\":1,\"c\":1}\n"
     "{\"a\":{\"c\":null},\"b\":1,\"c\":1}\n"
     "{\"a\":{\"d\":[]},\"b\":1,\"c\":1}\n"
     "{\"a\":{\"e\":[[1,true]]},\"b\":1,\"c\":1}\n"
     "{\"a\":{\"f\":[[3,true],[4,false],[5,true]]},\"b\":1,\"c\":1}\n",
     NULL},
    {"data/nonnullable.impala.parquet",
     "{\"ID\":8,\"Int_Array\":[-1],\"int_array_array\":[[-1,-2],[]],\"Int_Map\":{\"k1\":-1},"
     "\"int_map_array\":[{},{\"k1\":1},{},{}],\"nested_Struct\":{\"a\":-1,\"B\":[-1],"
     "\"c\":{\"D\":[[{\"e\":-1,\"f\":\"nonnullable\"}]]},\"G\":{}}}\n",
     NULL},
    {"data/old_list_structure.parquet", "{\"a\":[[1,2],[3,4]]}\n", NULL},
    /* num_rows = 0 in the footer; the row group holds 6 rows. The repeated
     * group `phone` without a LIST annotation is an array field. */
    {"data/repeated_no_annotation.parquet",
     "{\"id\":1,\"phoneNumbers\":null}\n"
     "{\"id\":2,\"phoneNumbers\":null}\n"
     "{\"id\":3,\"phoneNumbers\":{\"phone\":[]}}\n"
     "{\"id\":4,\"phoneNumbers\":{\"phone\":[{\"number\":5555555555,\"kind\":null}]}}\n"
     "{\"id\":5,\"phoneNumbers\":{\"phone\":[{\"number\":1111111111,\"kind\":\"home\"}]}}\n"
     "{\"id\":6,\"phoneNumbers\":{\"phone\":[{\"number\":1111111111,\"kind\":\"home\"},"
     "{\"number\":2222222222,\"kind\":null},{\"number\":3333333333,\"kind\":\"mobile\"}]}}\n",
     NULL},
    {"data/repeated_primitive_no_list.parquet",
     "{\"Int32_list\":[0,1,2,3],\"String_list\":[\"foo\",\"zero\",\"one\",\"two\"],"
     "\"group_of_lists\":{\"Int32_list_in_group\":[0,1,2,3],"
     "\"String_list_in_group\":[\"foo\",\"zero\",\"one\",\"two\"]}}\n"
     "{\"Int32_list\":[],\"String_list\":[\"three\"],\"group_of_lists\":"
     "{\"Int32_list_in_group\":[],\"String_list_in_group\":[\"three\"]}}\n"
     "{\"Int32_list\":[4],\"String_list\":[\"four\"],\"group_of_lists\":"
     "{\"Int32_list_in_group\":[4],\"String_list_in_group\":[\"four\"]}}\n"
     "{\"Int32_list\":[5,6,7,8],\"String_list\":[\"five\",\"six\",\"seven\",\"eight\"],"
     "\"group_of_lists\":{\"Int32_list_in_group\":[5,6,7,8],"
     "\"String_list_in_group\":[\"five\",\"six\",\"seven\",\"eight\"]}}\n",
     NULL},
    /* an OPTIONAL map key (Presto, Trino): keys are strings, so an object */
    {"data/incorrect_map_schema.parquet", "{\"my_map\":{\"parent\":\"another\",\"name\":\"report\"}}\n",
     NULL},
    /* my_map has INT32 keys and null values: [key, null] pairs. my_map_no_v
     * is a MAP-annotated group whose key_value has a key and no value: read
     * as the list of its keys, which is all it holds. */
    {"data/map_no_value.parquet",
     "{\"my_map\":[[1,null],[2,null],[3,null]],\"my_map_no_v\":[1,2,3],\"my_list\":[1,2,3]}\n"
     "{\"my_map\":[[4,null],[5,null],[6,null]],\"my_map_no_v\":[4,5,6],\"my_list\":[4,5,6]}\n"
     "{\"my_map\":[[7,null],[8,null],[9,null]],\"my_map_no_v\":[7,8,9],\"my_list\":[7,8,9]}\n",
     NULL},
};

static void t_exact_ndjson(vl_test *t) {
    NEED_DATA(t);
    for (size_t i = 0; i < sizeof(exact_cases) / sizeof(exact_cases[0]); i++) {
        const exact_case *c = &exact_cases[i];
        vl_buf got, want;
        vl_buf_init(&got);
        vl_buf_init(&want);
        vl_error err = {0};
        int64_t rows;
        int rc = read_file(c->file, VL_PQ_ROWS_NDJSON, &got, &rows, &err);
        CHECKF(t, rc == VL_OK, "%s: %s (%s)", c->file, vl_strerror(rc), err.msg);
        if (rc == VL_OK) {
            if (c->gen) c->gen(&want);
            else (void)!vl_buf_puts(&want, c->want);
            check_text(t, c->file, got.p ? got.p : "", got.n, vl_buf_cstr(&want));
            CHECKF(t, (size_t)rows == count_lines(want.p, want.n), "%s: %lld rows", c->file,
                   (long long)rows);
        }
        vl_buf_free(&got);
        vl_buf_free(&want);
    }
}

/* The README's first/last values and row counts of larger files. */
static void t_large_files_first_last(vl_test *t) {
    NEED_DATA(t);
    vl_buf got;
    vl_buf_init(&got);
    vl_error err = {0};
    int64_t rows;
    int rc = read_file("data/hadoop_lz4_compressed_larger.parquet", VL_PQ_ROWS_NDJSON, &got, &rows, &err);
    CHECKF(t, rc == VL_OK, "%s", err.msg);
    CHECK_EQ_INT(t, rows, 10000);
    const char *first = "{\"a\":\"c7ce6bef-d5b0-4863-b199-8ea8c7fb117b\"}\n";
    const char *last = "{\"a\":\"85440778-460a-41ac-aa2e-ac3ee41696bf\"}\n";
    CHECK(t, got.n > strlen(last) && memcmp(got.p, first, strlen(first)) == 0);
    CHECK(t, got.n > strlen(last) && memcmp(got.p + got.n - strlen(last), last, strlen(last)) == 0);
    vl_buf_clear(&got);

    rc = read_file("data/nested_structs.rust.parquet", VL_PQ_ROWS_NDJSON, &got, &rows, &err);
    CHECKF(t, rc == VL_OK, "%s", err.msg);
    CHECK_EQ_INT(t, rows, 1);
    CHECK(t, got.n > 20 && memcmp(got.p, "{\"roll_num\":{\"min\":", 19) == 0);
    /* 36 structs of 6 fields each */
    size_t keys = 0;
    for (size_t i = 0; i + 1 < got.n; i++) keys += got.p[i] == '"' && got.p[i + 1] == ':';
    CHECK_EQ_INT(t, keys, 36 + 216);
    vl_buf_clear(&got);

    rc = read_file("data/binary_truncated_min_max.parquet", VL_PQ_ROWS_NDJSON, &got, &rows, &err);
    CHECKF(t, rc == VL_OK, "%s", err.msg);
    CHECK_EQ_INT(t, rows, 12);
    CHECK(t, got.p && strstr(vl_buf_cstr(&got), "\"utf8_full_truncation\":\"Alice Johnson\""));
    /* the last row; its no_truncation cells hold the statistics' bounds */
    CHECK(t, got.p && strstr(vl_buf_cstr(&got), "{\"utf8_full_truncation\":\"Kevin Bacon\","
                                                 "\"binary_full_truncation\":\"S2V2aW4gQmFjb24=\","
                                                 "\"utf8_partial_truncation\":\"\xf0\x9f\x9a\x80Kevin Bacon\""));
    CHECK(t, got.p && strstr(vl_buf_cstr(&got), "\"utf8_no_truncation\":\"Ke\",\"binary_no_truncation\":\"S2U=\"}\n"));
    vl_buf_clear(&got);

    rc = read_file("data/floating_orders_nan_count.parquet", VL_PQ_ROWS_NDJSON, &got, &rows, &err);
    CHECKF(t, rc == VL_OK, "%s", err.msg);
    CHECK_EQ_INT(t, rows, 50);
    vl_buf_free(&got);
}

/* The statistics the README lists for binary_truncated_min_max. */
static void t_truncated_statistics(vl_test *t) {
    NEED_DATA(t);
    char path[4200];
    pq_path(path, sizeof(path), "data/binary_truncated_min_max.parquet");
    vl_pq_reader *r;
    vl_error err = {0};
    REQUIRE(t, vl_pq_reader_open_file(path, &r, &err) == VL_OK);
    const vl_pq_file_meta *m = vl_pq_reader_meta(r);
    static const struct {
        const char *col, *min, *max;
        bool min_exact, max_exact;
    } want[] = {
        {"utf8_full_truncation", "Al", "Kf", false, false},
        {"binary_full_truncation", "Al", "Kf", false, false},
        {"utf8_partial_truncation", "Al", "\xf0\x9f\x9a\x80Kevin Bacon", false, true},
        {"binary_partial_truncation", "Al", "\xff\xff\x01\x02", false, true},
        {"utf8_no_truncation", "Al", "Ke", true, true},
        {"binary_no_truncation", "Al", "Ke", true, true},
    };
    REQUIRE(t, m->n_row_groups >= 1 && m->row_groups[0].n_columns == 6);
    for (uint32_t c = 0; c < 6; c++) {
        const vl_pq_column_meta *cm = &m->row_groups[0].columns[c].meta;
        const vl_pq_stats *s = &cm->statistics;
        CHECK(t, cm->n_path_in_schema == 1 && vl_sv_eq_cstr(cm->path_in_schema[0], want[c].col));
        CHECKF(t, s->has_min_value && vl_sv_eq_cstr(s->min_value, want[c].min), "%s min", want[c].col);
        CHECKF(t, s->has_max_value && vl_sv_eq_cstr(s->max_value, want[c].max), "%s max", want[c].col);
        CHECKF(t, s->has_is_min_value_exact && s->is_min_value_exact == want[c].min_exact, "%s", want[c].col);
        CHECKF(t, s->has_is_max_value_exact && s->is_max_value_exact == want[c].max_exact, "%s", want[c].col);
    }
    vl_pq_reader_close(r);
}

/* ---------------------------------------------- aggregates over columns */

typedef struct agg {
    int64_t rows, nulls, values;
    int64_t isum; /* integers: exact (fits int64 for these files) */
    double dsum;
    int64_t imin, imax;
    double dmin, dmax;
} agg;

/* Adds up leaf `leaf` (a flat column) over every row group. */
static int aggregate(const char *rel, uint32_t leaf, agg *a, vl_error *err) {
    char path[4200];
    pq_path(path, sizeof(path), rel);
    memset(a, 0, sizeof(*a));
    a->imin = INT64_MAX;
    a->imax = INT64_MIN;
    a->dmin = INFINITY;
    a->dmax = -INFINITY;
    vl_pq_reader *r;
    int rc = vl_pq_reader_open_file(path, &r, err);
    if (rc) return rc;
    const vl_pq_file_meta *m = vl_pq_reader_meta(r);
    for (uint32_t g = 0; g < m->n_row_groups && rc == VL_OK; g++) {
        vl_arena ar;
        vl_arena_init(&ar, 0);
        vl_pq_column col;
        rc = vl_pq_read_column(r, g, leaf, &ar, &col, err);
        if (rc == VL_OK) {
            a->rows += (int64_t)col.n;
            a->values += (int64_t)col.n_values;
            a->nulls += (int64_t)(col.n - col.n_values);
            for (size_t i = 0; i < col.n_values; i++) {
                int64_t iv = 0;
                double dv = 0;
                switch (col.leaf->physical) {
                case VL_PQ_T_BOOLEAN: iv = col.v.b[i]; dv = (double)iv; break;
                case VL_PQ_T_INT32: iv = col.v.i32[i]; dv = (double)iv; break;
                case VL_PQ_T_INT64: iv = col.v.i64[i]; dv = (double)iv; break;
                case VL_PQ_T_FLOAT: dv = col.v.f32[i]; break;
                case VL_PQ_T_DOUBLE: dv = col.v.f64[i]; break;
                default: break;
                }
                a->isum += iv;
                a->dsum += dv;
                if (iv < a->imin) a->imin = iv;
                if (iv > a->imax) a->imax = iv;
                if (dv < a->dmin) a->dmin = dv;
                if (dv > a->dmax) a->dmax = dv;
            }
        }
        vl_arena_destroy(&ar);
    }
    vl_pq_reader_close(r);
    return rc;
}

#define AGG(t, file, leaf, a)                                                             \
    do {                                                                                  \
        vl_error agg_err = {0};                                                           \
        int agg_rc = aggregate(file, leaf, &(a), &agg_err);                               \
        CHECKF(t, agg_rc == VL_OK, "%s: %s", file, agg_err.msg);                          \
        if (agg_rc) return;                                                               \
    } while (0)

static void t_checksum_sums(vl_test *t) {
    NEED_DATA(t);
    static const char *const files[] = {"data/datapage_v1-uncompressed-checksum.parquet",
                                        "data/datapage_v1-snappy-compressed-checksum.parquet"};
    for (int f = 0; f < 2; f++) {
        agg a, b;
        AGG(t, files[f], 0, a);
        AGG(t, files[f], 1, b);
        CHECK_EQ_INT(t, a.rows, 5120);
        CHECK_EQ_INT(t, b.rows, 5120);
        CHECK_EQ_INT(t, a.isum, 43118090240LL);
        CHECK_EQ_INT(t, b.isum, 129016125440LL);
        CHECK_EQ_INT(t, a.imin, -2122153084);
        CHECK_EQ_INT(t, a.imax, 2138996092);
    }
}

static void t_null_pages_and_tiny_pages(vl_test *t) {
    NEED_DATA(t);
    agg a;
    AGG(t, "data/int32_with_null_pages.parquet", 0, a);
    CHECK_EQ_INT(t, a.rows, 1000);
    CHECK_EQ_INT(t, a.nulls, 275);
    CHECK_EQ_INT(t, a.isum, -12383254597LL);
    CHECK_EQ_INT(t, a.imin, -2136906554);
    CHECK_EQ_INT(t, a.imax, 2145722375);

    static const char *const tiny[] = {"data/alltypes_tiny_pages.parquet",
                                       "data/alltypes_tiny_pages_plain.parquet"};
    for (int f = 0; f < 2; f++) {
        AGG(t, tiny[f], 0, a); /* id */
        CHECK_EQ_INT(t, a.rows, 7300);
        CHECK_EQ_INT(t, a.nulls, 0);
        CHECK_EQ_INT(t, a.isum, 26641350);
        CHECK_EQ_INT(t, a.imin, 0);
        CHECK_EQ_INT(t, a.imax, 7299);
        AGG(t, tiny[f], 2, a); /* tinyint_col */
        CHECK_EQ_INT(t, a.isum, 32850);
        CHECK_EQ_INT(t, a.imin, 0);
        CHECK_EQ_INT(t, a.imax, 9);
    }
    /* the dictionary-encoded and the PLAIN file hold the same rows */
    vl_buf d, p;
    vl_buf_init(&d);
    vl_buf_init(&p);
    vl_error err = {0};
    int64_t rd, rp;
    CHECKF(t, read_file(tiny[0], VL_PQ_ROWS_NDJSON, &d, &rd, &err) == VL_OK, "%s", err.msg);
    CHECKF(t, read_file(tiny[1], VL_PQ_ROWS_NDJSON, &p, &rp, &err) == VL_OK, "%s", err.msg);
    CHECK_EQ_INT(t, rd, 7300);
    check_text(t, "alltypes_tiny_pages vs _plain", d.p ? d.p : "", d.n, vl_buf_cstr(&p));
    vl_buf_free(&d);
    vl_buf_free(&p);
}

static void t_byte_stream_split(vl_test *t) {
    NEED_DATA(t);
    agg f32, f64;
    AGG(t, "data/byte_stream_split.zstd.parquet", 0, f32);
    AGG(t, "data/byte_stream_split.zstd.parquet", 1, f64);
    CHECK_EQ_INT(t, f32.rows, 300);
    CHECK_EQ_INT(t, f64.rows, 300);
    CHECKF(t, fabs(f32.dsum - 8.258873) < 1e-3, "%.9g", f32.dsum);
    CHECKF(t, fabs(f64.dsum - -41.229190) < 1e-5, "%.9g", f64.dsum);
    CHECK(t, (float)f32.dmin == -2.7725928f && (float)f32.dmax == 2.3831449f);
    CHECKF(t, fabs(f64.dmin - -3.0461430548) < 1e-9 && fabs(f64.dmax - 2.6962240526) < 1e-9,
           "%.12g %.12g", f64.dmin, f64.dmax);

    /* every *_byte_stream_split column equals its *_plain twin */
    char path[4200];
    pq_path(path, sizeof(path), "data/byte_stream_split_extended.gzip.parquet");
    vl_pq_reader *r;
    vl_error err = {0};
    REQUIRE(t, vl_pq_reader_open_file(path, &r, &err) == VL_OK);
    const vl_pq_schema *s = vl_pq_reader_schema(r);
    CHECK_EQ_INT(t, s->n_leaves, 14);
    for (uint32_t l = 0; l + 1 < s->n_leaves; l += 2) {
        vl_arena ar;
        vl_arena_init(&ar, 0);
        vl_pq_column pl, bs;
        int rc = vl_pq_read_column(r, 0, l, &ar, &pl, &err);
        if (rc == VL_OK) rc = vl_pq_read_column(r, 0, l + 1, &ar, &bs, &err);
        CHECKF(t, rc == VL_OK, "%s", err.msg);
        if (rc == VL_OK) {
            CHECK_EQ_INT(t, pl.n, 200);
            CHECK(t, pl.n == bs.n && pl.n_values == bs.n_values);
            CHECK(t, memcmp(pl.def, bs.def, pl.n * sizeof(int16_t)) == 0);
            bool same = true;
            for (size_t i = 0; i < pl.n_values && same; i++) {
                switch (pl.leaf->physical) {
                case VL_PQ_T_INT32: case VL_PQ_T_FLOAT: same = pl.v.i32[i] == bs.v.i32[i]; break;
                case VL_PQ_T_INT64: case VL_PQ_T_DOUBLE: same = pl.v.i64[i] == bs.v.i64[i]; break;
                default: same = vl_sv_eq(pl.v.bin[i], bs.v.bin[i]); break;
                }
            }
            char p1[64];
            vl_pq_node_path(pl.leaf, p1, sizeof(p1));
            CHECKF(t, same, "%s differs from its byte_stream_split twin", p1);
        }
        vl_arena_destroy(&ar);
    }
    vl_pq_reader_close(r);
}

static void t_concatenated_gzip_and_page_count(vl_test *t) {
    NEED_DATA(t);
    agg a;
    AGG(t, "data/concatenated_gzip_members.parquet", 0, a);
    CHECK_EQ_INT(t, a.rows, 513);
    CHECK_EQ_INT(t, a.isum, 131841);
    AGG(t, "data/overflow_i16_page_cnt.parquet", 0, a);
    CHECK_EQ_INT(t, a.rows, 40000);
    CHECK_EQ_INT(t, a.isum, 0);
    CHECK_EQ_INT(t, a.nulls, 0);
}

/* FLBA(4) big-endian ints 1000 - row, with 105 nulls in the README's
 * per-page counts (pages of 100 rows). */
static void t_fixed_length_byte_array(vl_test *t) {
    NEED_DATA(t);
    char path[4200];
    pq_path(path, sizeof(path), "data/fixed_length_byte_array.parquet");
    vl_pq_reader *r;
    vl_error err = {0};
    REQUIRE(t, vl_pq_reader_open_file(path, &r, &err) == VL_OK);
    vl_arena ar;
    vl_arena_init(&ar, 0);
    vl_pq_column c;
    int rc = vl_pq_read_column(r, 0, 0, &ar, &c, &err);
    CHECKF(t, rc == VL_OK, "%s", err.msg);
    if (rc == VL_OK) {
        static const int page_nulls[10] = {9, 9, 19, 10, 13, 11, 11, 8, 9, 6};
        CHECK_EQ_INT(t, c.n, 1000);
        CHECK_EQ_INT(t, c.n_values, 1000 - 105);
        int nulls[10] = {0};
        size_t vi = 0;
        bool ok = true;
        for (size_t i = 0; i < c.n && i < 1000; i++) {
            if (c.def[i] == 0) {
                nulls[i / 100]++;
                continue;
            }
            vl_sv s = c.v.bin[vi++];
            const uint8_t *p = (const uint8_t *)s.p;
            uint32_t v = s.n == 4 ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3] : 0;
            if (v != 1000 - i) ok = false;
        }
        CHECK(t, ok);
        for (int k = 0; k < 10; k++) CHECKF(t, nulls[k] == page_nulls[k], "page %d: %d nulls", k, nulls[k]);
    }
    vl_arena_destroy(&ar);
    vl_pq_reader_close(r);
}

/* ------------------------------------------------ expected-value CSVs */

typedef struct csv_cell {
    char *s; /* NUL-terminated, unescaped */
    bool null; /* an empty unquoted field */
} csv_cell;

typedef struct csv {
    char *text;
    csv_cell *cells;
    size_t n_cells, cols, rows; /* rows include the header */
} csv;

static void csv_free(csv *c) {
    free(c->text);
    free(c->cells);
    memset(c, 0, sizeof(*c));
}

/* An RFC 4180 parser, enough for the *_expect.csv files: quoted fields with
 * "" escapes, CRLF or LF line ends. Unescapes in place. */
static int csv_load(const char *path, csv *c) {
    memset(c, 0, sizeof(*c));
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    c->text = malloc((size_t)n + 1);
    if (!c->text || fread(c->text, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        csv_free(c);
        return -1;
    }
    fclose(f);
    c->text[n] = '\0';
    size_t cap = 1024, cols_here = 0;
    c->cells = malloc(cap * sizeof(csv_cell));
    if (!c->cells) return -1;
    char *p = c->text, *end = c->text + n;
    while (p < end) {
        char *w = p, *start = p;
        bool quoted = false;
        if (*p == '"') {
            quoted = true;
            start = w = ++p;
            while (p < end) {
                if (*p == '"' && p + 1 < end && p[1] == '"') {
                    *w++ = '"';
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    *w++ = *p++;
                }
            }
        } else {
            while (p < end && *p != ',' && *p != '\n' && *p != '\r') w++, p++;
        }
        char sep = p < end ? *p : '\n';
        if (c->n_cells == cap) {
            cap *= 2;
            csv_cell *nc = realloc(c->cells, cap * sizeof(csv_cell));
            if (!nc) return -1;
            c->cells = nc;
        }
        c->cells[c->n_cells++] = (csv_cell){start, !quoted && w == start};
        cols_here++;
        if (p < end && *p == '\r') p++;
        if (p < end) p++;
        *w = '\0';
        if (sep != ',') {
            if (c->rows == 0) c->cols = cols_here;
            else if (cols_here != c->cols) return -1;
            c->rows++;
            cols_here = 0;
        }
    }
    return 0;
}

/* The text of value i of a flat column, as the CSV spells it. */
static void cell_text(const vl_pq_column *col, size_t vi, char *out, size_t cap) {
    switch (col->leaf->physical) {
    case VL_PQ_T_INT32: snprintf(out, cap, "%d", col->v.i32[vi]); break;
    case VL_PQ_T_INT64: snprintf(out, cap, "%lld", (long long)col->v.i64[vi]); break;
    case VL_PQ_T_BYTE_ARRAY:
        snprintf(out, cap, "%.*s", (int)col->v.bin[vi].n, col->v.bin[vi].p);
        break;
    default: snprintf(out, cap, "?"); break;
    }
}

/* Compares every cell of file's expected CSV with the decoded columns,
 * matching CSV header names to leaf names (trimmed, trailing ':' dropped). */
static void check_expect_csv(vl_test *t, const char *file, const char *csv_file, int64_t rows) {
    char path[4200];
    csv c;
    pq_path(path, sizeof(path), csv_file);
    REQUIRE(t, csv_load(path, &c) == 0);
    CHECK_EQ_INT(t, c.rows, rows + 1);
    pq_path(path, sizeof(path), file);
    vl_pq_reader *r;
    vl_error err = {0};
    int rc = vl_pq_reader_open_file(path, &r, &err);
    CHECKF(t, rc == VL_OK, "%s: %s", file, err.msg);
    if (rc) {
        csv_free(&c);
        return;
    }
    const vl_pq_schema *s = vl_pq_reader_schema(r);
    CHECK_EQ_INT(t, s->n_leaves, c.cols);
    vl_arena ar;
    vl_arena_init(&ar, 0);
    size_t bad = 0, checked = 0;
    for (uint32_t l = 0; l < s->n_leaves && rc == VL_OK; l++) {
        vl_sv name = s->leaves[l]->name;
        if (name.n && name.p[name.n - 1] == ':') name.n--;
        size_t ci = c.cols;
        for (size_t k = 0; k < c.cols; k++) {
            const char *h = c.cells[k].s;
            while (*h == ' ') h++;
            if (vl_sv_eq_cstr(name, h)) ci = k;
        }
        CHECKF(t, ci < c.cols, "%s: no CSV column for '%.*s'", file, (int)name.n, name.p);
        if (ci == c.cols) continue;
        size_t row = 0;
        for (uint32_t g = 0; g < vl_pq_reader_meta(r)->n_row_groups; g++) {
            vl_pq_column col;
            rc = vl_pq_read_column(r, g, l, &ar, &col, &err);
            CHECKF(t, rc == VL_OK, "%s: %s", file, err.msg);
            if (rc) break;
            size_t vi = 0;
            for (size_t i = 0; i < col.n; i++, row++) {
                if (row + 1 >= c.rows) {
                    bad++;
                    break;
                }
                const csv_cell *cell = &c.cells[(row + 1) * c.cols + ci];
                bool null = col.def && col.def[i] < col.leaf->max_def;
                char txt[512];
                if (!null) cell_text(&col, vi++, txt, sizeof(txt));
                bool ok = null ? cell->null : !cell->null && strcmp(cell->s, txt) == 0;
                if (!ok && bad++ < 5)
                    CHECKF(t, 0, "%s row %zu column %.*s: got %s, want %s", file, row, (int)name.n,
                           name.p, null ? "null" : txt, cell->null ? "null" : cell->s);
                checked++;
            }
            vl_arena_reset(&ar);
        }
        CHECKF(t, row == (size_t)rows, "%s column %.*s: %zu rows", file, (int)name.n, name.p, row);
    }
    CHECK_EQ_INT(t, bad, 0);
    CHECK_EQ_INT(t, checked, (size_t)rows * c.cols);
    vl_arena_destroy(&ar);
    vl_pq_reader_close(r);
    csv_free(&c);
}

static void t_expect_csv(vl_test *t) {
    NEED_DATA(t);
    check_expect_csv(t, "data/delta_binary_packed.parquet", "data/delta_binary_packed_expect.csv", 200);
    check_expect_csv(t, "data/delta_byte_array.parquet", "data/delta_byte_array_expect.csv", 1000);
    check_expect_csv(t, "data/delta_encoding_required_column.parquet",
                     "data/delta_encoding_required_column_expect.csv", 100);
    /* the README's null counts for delta_byte_array */
    static const struct {
        uint32_t leaf;
        int64_t nulls;
    } dn[] = {{1, 30}, {2, 32}, {3, 24}, {4, 29}, {5, 31}, {6, 1000}, {7, 31}, {8, 25}};
    for (size_t i = 0; i < sizeof(dn) / sizeof(dn[0]); i++) {
        agg a;
        AGG(t, "data/delta_byte_array.parquet", dn[i].leaf, a);
        CHECKF(t, a.nulls == dn[i].nulls, "leaf %u: %lld nulls", dn[i].leaf, (long long)a.nulls);
    }
}

/* ------------------------------------------------------------ refusals */

typedef struct refusal {
    const char *file;
    int code;           /* the error expected */
    const char *needle; /* in the message (case-sensitive) */
    int at_open;        /* 1: refused by open; 0: when reading; -1: either */
} refusal;

static const refusal refusals[] = {
    {"data/uniform_encryption.parquet.encrypted", VL_ENOTSUP, "encrypted", 1},
    {"data/datapage_v1-corrupt-checksum.parquet", VL_ECORRUPT, "CRC", 0},
    {"data/rle-dict-uncompressed-corrupt-checksum.parquet", VL_ECORRUPT, "CRC", 0},
    /* a physical type of -7: corrupt, not a type from the future */
    {"bad_data/PARQUET-1481.parquet", VL_ECORRUPT, "type", 1},
    {"bad_data/ARROW-RS-GH-6229-DICTHEADER.parquet", VL_ECORRUPT, "", -1},
    {"bad_data/ARROW-RS-GH-6229-LEVELS.parquet", VL_ECORRUPT, "values", -1},
    {"bad_data/ARROW-GH-41321.parquet", VL_ECORRUPT, "", -1},
    {"bad_data/ARROW-GH-41317.parquet", VL_ECORRUPT, "", -1},
    /* spec-strict: a record cannot start with repetition level 1 */
    {"bad_data/ARROW-GH-45185.parquet", VL_ECORRUPT, "repetition level", 0},
};

static void t_refusals(vl_test *t) {
    NEED_DATA(t);
    for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
        const refusal *f = &refusals[i];
        char path[4200];
        pq_path(path, sizeof(path), f->file);
        vl_pq_reader *r = NULL;
        vl_error err = {0};
        int rc = vl_pq_reader_open_file(path, &r, &err);
        CHECKF(t, f->at_open < 0 || (rc != VL_OK) == f->at_open, "%s: open returned %s (%s)", f->file, vl_strerror(rc),
               err.msg);
        if (rc == VL_OK) {
            vl_buf out;
            vl_buf_init(&out);
            int64_t rows;
            rc = rows_all(r, VL_PQ_ROWS_NDJSON, &out, &rows, &err);
            vl_buf_free(&out);
            vl_pq_reader_close(r);
        }
        CHECKF(t, rc == f->code, "%s: %s, want %s (%s)", f->file, vl_strerror(rc),
               vl_strerror(f->code), err.msg);
        CHECKF(t, rc == VL_OK || strstr(err.msg, f->needle), "%s: message \"%s\" lacks \"%s\"",
               f->file, err.msg, f->needle);
        /* every message names the file */
        CHECKF(t, rc == VL_OK || strstr(err.msg, strrchr(f->file, '/') + 1), "%s: \"%s\"", f->file,
               err.msg);
    }
}

/* Files on which readers disagree: a clean error or the lenient result. */
static void t_either_read_or_refuse(vl_test *t) {
    NEED_DATA(t);
    vl_buf out;
    vl_buf_init(&out);
    vl_error err = {0};
    int64_t rows;
    int rc = read_file("data/nation.dict-malformed.parquet", VL_PQ_ROWS_NDJSON, &out, &rows, &err);
    if (rc == VL_OK) {
        CHECK_EQ_INT(t, rows, 25);
        CHECK(t, strstr(vl_buf_cstr(&out), "\"nation_key\":24"));
    } else {
        CHECKF(t, rc == VL_ECORRUPT && strstr(err.msg, "nation.dict-malformed"), "%s", err.msg);
    }
    /* the nation_key column alone is intact: 0 ... 24 */
    agg a;
    AGG(t, "data/nation.dict-malformed.parquet", 0, a);
    CHECK_EQ_INT(t, a.rows, 25);
    CHECK_EQ_INT(t, a.isum, 300);

    vl_buf_clear(&out);
    rc = read_file("bad_data/ARROW-GH-43605.parquet", VL_PQ_ROWS_NDJSON, &out, &rows, &err);
    if (rc == VL_OK) CHECK_EQ_INT(t, rows, 21186);
    else CHECKF(t, rc == VL_ECORRUPT && err.msg[0], "%s", err.msg);
    vl_buf_free(&out);
}

/* ------------------------------------------------- robustness, options */

static int sink_null(void *ctx, const char *p, size_t n, vl_error *err) {
    (void)ctx, (void)p, (void)n, (void)err;
    return VL_OK;
}

/* Reads whatever opens, both formats; returns the first error. */
static int read_mem(const uint8_t *p, size_t n, vl_error *err) {
    vl_pq_reader *r;
    int rc = vl_pq_reader_open_mem(p, n, "mem", &r, err);
    if (rc) return rc;
    const vl_pq_file_meta *m = vl_pq_reader_meta(r);
    for (uint32_t g = 0; g < m->n_row_groups && rc == VL_OK; g++) {
        int64_t w;
        rc = vl_pq_rows_write(r, g, NULL, VL_PQ_ROWS_NDJSON, 0, -1, sink_null, NULL, &w, err);
        if (rc == VL_OK) rc = vl_pq_rows_write(r, g, NULL, VL_PQ_ROWS_CSV, 0, -1, sink_null, NULL, &w, err);
    }
    vl_pq_reader_close(r);
    return rc;
}

static uint8_t *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc(len > 0 ? (size_t)len : 1);
    if (p && fread(p, 1, (size_t)len, f) != (size_t)len) {
        free(p);
        p = NULL;
    }
    fclose(f);
    *n = (size_t)len;
    return p;
}

/* Every small file, cut short and with bytes flipped: a clean error or a
 * read, never a crash (ASan and UBSan watch), and a message on error. The
 * copies are exact-size heap buffers, so reads past the end are caught. */
static void t_truncated_and_flipped_files(vl_test *t) {
    NEED_DATA(t);
    static const char *const files[] = {
        "data/alltypes_plain.parquet", "data/datapage_v2.snappy.parquet",
        "data/nested_lists.snappy.parquet", "data/nested_maps.snappy.parquet",
        "data/nonnullable.impala.parquet", "data/repeated_no_annotation.parquet",
        "data/list_columns.parquet", "data/rle_boolean_encoding.parquet",
        "data/delta_length_byte_array.parquet", "data/byte_stream_split.zstd.parquet",
        "data/int96_from_spark.parquet", "data/map_no_value.parquet",
        "data/incorrect_map_schema.parquet", "data/fixed_length_decimal.parquet",
        "data/hadoop_lz4_compressed.parquet", "data/concatenated_gzip_members.parquet",
        "data/page_v2_empty_compressed.parquet", "data/float16_nonzeros_and_nans.parquet",
        "bad_data/ARROW-GH-45185.parquet", "bad_data/ARROW-RS-GH-6229-LEVELS.parquet",
    };
    vl_rng rng;
    vl_rng_seed(&rng, 42);
    long errors = 0, reads = 0;
    for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
        char path[4200];
        size_t n;
        pq_path(path, sizeof(path), files[f]);
        uint8_t *orig = slurp(path, &n);
        CHECKF(t, orig != NULL, "%s", path);
        if (!orig) continue;
        for (int k = 0; k < 60; k++) {
            size_t m = n;
            uint8_t *p;
            if (k < 20) { /* a prefix, and the same prefix with the last 8 bytes kept */
                m = (size_t)vl_rng_below(&rng, n);
                p = malloc(m + 8);
                memcpy(p, orig, m);
                if (k % 2 && n >= 8) {
                    memcpy(p + m, orig + n - 8, 8);
                    m += 8;
                }
            } else { /* 1 to 4 flipped bytes anywhere */
                p = malloc(n);
                memcpy(p, orig, n);
                for (int j = 0, flips = 1 + (int)vl_rng_below(&rng, 4); j < flips; j++)
                    p[vl_rng_below(&rng, n)] ^= (uint8_t)(1u << vl_rng_below(&rng, 8));
            }
            vl_error err = {0};
            int rc = read_mem(p, m, &err);
            if (rc) {
                errors++;
                CHECKF(t, err.msg[0] != '\0' && rc != VL_EINVAL, "%s variant %d: %s", files[f], k,
                       vl_strerror(rc));
            } else {
                reads++;
            }
            free(p);
        }
        free(orig);
    }
    CHECK(t, errors > 0 && reads > 0);
}

static void t_skip_limit_and_csv(vl_test *t) {
    NEED_DATA(t);
    char path[4200];
    pq_path(path, sizeof(path), "data/alltypes_plain.parquet");
    vl_pq_reader *r;
    vl_error err = {0};
    REQUIRE(t, vl_pq_reader_open_file(path, &r, &err) == VL_OK);
    vl_buf out;
    vl_buf_init(&out);
    int64_t w;
    bool fields[11] = {[0] = true, [9] = true};
    CHECK(t, vl_pq_rows_write(r, 0, fields, VL_PQ_ROWS_NDJSON, 2, 3, sink_buf, &out, &w, &err) == VL_OK);
    CHECK_EQ_INT(t, w, 3);
    CHECK_EQ_STR(t, vl_buf_cstr(&out),
                 "{\"id\":6,\"string_col\":\"MA==\"}\n{\"id\":7,\"string_col\":\"MQ==\"}\n"
                 "{\"id\":2,\"string_col\":\"MA==\"}\n");
    vl_buf_clear(&out);
    CHECK(t, vl_pq_rows_write(r, 0, NULL, VL_PQ_ROWS_CSV, 0, 1, sink_buf, &out, &w, &err) == VL_OK);
    CHECK_EQ_STR(t, vl_buf_cstr(&out), "4,true,0,0,0,0,0,0,MDMvMDEvMDk=,MA==,2009-03-01T00:00:00.000000Z\n");
    CHECK(t, vl_pq_rows_write(r, 1, NULL, VL_PQ_ROWS_CSV, 0, 1, sink_buf, &out, &w, &err) == VL_EINVAL);
    vl_buf_free(&out);
    vl_pq_reader_close(r);

    /* nested values in CSV cells are JSON text, quoted per RFC 4180 */
    vl_buf_init(&out);
    int64_t rows;
    CHECKF(t, read_file("data/list_columns.parquet", VL_PQ_ROWS_CSV, &out, &rows, &err) == VL_OK, "%s", err.msg);
    CHECK_EQ_STR(t, vl_buf_cstr(&out),
                 "\"[1,2,3]\",\"[\"\"abc\"\",\"\"efg\"\",\"\"hij\"\"]\"\n"
                 "\"[null,1]\",\n"
                 "[4],\"[\"\"efg\"\",null,\"\"hij\"\",\"\"xyz\"\"]\"\n");
    vl_buf_free(&out);
}

static void t_missing_and_short_files(vl_test *t) {
    vl_pq_reader *r;
    vl_error err = {0};
    CHECK_EQ_INT(t, vl_pq_reader_open_file("/nonexistent/x.parquet", &r, &err), VL_EIO);
    CHECK(t, r == NULL && strstr(err.msg, "/nonexistent/x.parquet"));
    static const uint8_t tiny[] = "PAR1PAR1";
    CHECK_EQ_INT(t, vl_pq_reader_open_mem(tiny, 8, "tiny", &r, &err), VL_ECORRUPT);
    static const uint8_t enc[] = "PARE";
    CHECK_EQ_INT(t, vl_pq_reader_open_mem(enc, 4, "enc", &r, &err), VL_ENOTSUP);
    CHECK(t, strstr(err.msg, "encrypted"));
    /* magic at both ends, a footer length that points before the start */
    static const uint8_t bad[] = {'P', 'A', 'R', '1', 0, 0, 0, 0, 0xff, 0xff, 0, 0, 'P', 'A', 'R', '1'};
    CHECK_EQ_INT(t, vl_pq_reader_open_mem(bad, sizeof(bad), "bad", &r, &err), VL_ECORRUPT);
    vl_pq_reader_close(NULL);
}

/* ------------------------------------------------------------ ranged reads */

/* A file in memory behind a fetch function that counts what it hands out
 * and can be told to fail from its n-th call on. */
typedef struct memsrc {
    const uint8_t *p;
    size_t n;
    size_t calls, bytes, fail_at; /* fail_at: 0 never */
} memsrc;

static int mem_fetch(void *ctx, uint64_t off, uint64_t len, uint8_t *dst, vl_error *err) {
    memsrc *m = ctx;
    if (m->fail_at && ++m->calls >= m->fail_at) return vl_error_set(err, VL_EIO, "test fetch: injected failure");
    if (!m->fail_at) m->calls++;
    if (off > m->n || len > m->n - off) return vl_error_set(err, VL_ECORRUPT, "test fetch: %llu+%llu past %zu",
                                                            (unsigned long long)off, (unsigned long long)len, m->n);
    memcpy(dst, m->p + off, len);
    m->bytes += len;
    return VL_OK;
}

/* Every row of the fields in `fields` (root children; NULL: all). */
static int rows_fields(vl_pq_reader *r, const bool *fields, vl_buf *out, vl_error *err) {
    const vl_pq_file_meta *m = vl_pq_reader_meta(r);
    for (uint32_t g = 0; g < m->n_row_groups; g++) {
        int64_t w = 0;
        int rc = vl_pq_rows_write(r, g, fields, VL_PQ_ROWS_NDJSON, 0, -1, sink_buf, out, &w, err);
        if (rc) return rc;
    }
    return VL_OK;
}

static void leaves_under(const vl_pq_node *n, bool *leaves) {
    if (n->leaf >= 0) leaves[n->leaf] = true;
    for (uint32_t i = 0; i < n->n_children; i++) leaves_under(&n->children[i], leaves);
}

/* One file: opened whole and in ranges (a 16-byte tail, so footers take
 * two fetches and every chunk is a ranged fetch), the same rows whole and
 * field by field; a chunk not loaded is refused; failures pass through. */
static void ranged_one(vl_test *t, const char *rel, const uint8_t *p, size_t n) {
    vl_error err = {0}, err2 = {0};
    vl_pq_reader *whole = NULL, *r = NULL;
    int rc_whole = vl_pq_reader_open_mem(p, n, rel, &whole, &err);
    memsrc m = {p, n, 0, 0, 0};
    int rc = vl_pq_reader_open_ranged(n, 16, rel, mem_fetch, &m, &r, &err2);
    if (rc_whole != VL_OK) {
        /* the leading magic is not fetched; everything else is refused alike */
        CHECKF(t, rc != VL_OK || memcmp(p, "PAR1", 4) != 0, "%s: refused whole (%s), opened in ranges", rel,
               err.msg);
        vl_pq_reader_close(r);
        return;
    }
    CHECKF(t, rc == VL_OK, "%s: whole opens, in ranges: %s", rel, err2.msg);
    if (rc != VL_OK) {
        vl_pq_reader_close(whole);
        return;
    }
    CHECKF(t, m.bytes < n || n <= 16, "%s: opening fetched %zu of %zu bytes", rel, m.bytes, n);
    const vl_pq_node *root = vl_pq_reader_schema(r)->root;
    uint32_t nl = vl_pq_reader_schema(r)->n_leaves;
    const vl_pq_file_meta *fm = vl_pq_reader_meta(r);
    /* before any load: a chunk with bytes is refused, never read */
    for (uint32_t g = 0; g < fm->n_row_groups; g++) {
        if (fm->row_groups[g].num_rows == 0 || !nl) continue;
        vl_arena a;
        vl_arena_init(&a, 0);
        vl_pq_column col;
        int rr = vl_pq_read_column(r, g, 0, &a, &col, &err2);
        vl_arena_destroy(&a);
        CHECKF(t, rr == VL_EINVAL ? strstr(err2.msg, "not loaded") != NULL : rr == VL_ECORRUPT || rr == VL_ENOTSUP,
               "%s: an unloaded chunk read as %s (%s)", rel, vl_strerror(rr), err2.msg);
        break;
    }
    /* field by field: each on a fresh reader loading only its leaves */
    bool *fields = vl_calloc(root->n_children + 1, 1), *leaves = vl_calloc(nl + 1, 1);
    for (uint32_t c = 0; c < root->n_children && fields && leaves; c++) {
        vl_pq_reader *rf = NULL;
        memsrc mf = {p, n, 0, 0, 0};
        memset(fields, 0, root->n_children);
        memset(leaves, 0, nl);
        fields[c] = true;
        leaves_under(&root->children[c], leaves);
        vl_buf a, b;
        vl_buf_init(&a);
        vl_buf_init(&b);
        vl_error e1 = {0}, e2 = {0};
        int r1 = rows_fields(whole, fields, &a, &e1);
        int r2 = vl_pq_reader_open_ranged(n, 16, rel, mem_fetch, &mf, &rf, &e2);
        if (r2 == VL_OK) r2 = vl_pq_reader_load(rf, NULL, leaves, &e2);
        if (r2 == VL_OK) r2 = rows_fields(rf, fields, &b, &e2);
        CHECKF(t, r1 == r2, "%s field %u: whole %s (%s), in ranges %s (%s)", rel, c, vl_strerror(r1), e1.msg,
               vl_strerror(r2), e2.msg);
        CHECKF(t, r1 || (a.n == b.n && (!a.n || memcmp(a.p, b.p, a.n) == 0)), "%s field %u: rows differ", rel, c);
        vl_buf_free(&a);
        vl_buf_free(&b);
        vl_pq_reader_close(rf);
    }
    vl_free(fields);
    vl_free(leaves);
    /* everything, on the first reader */
    vl_buf a, b;
    vl_buf_init(&a);
    vl_buf_init(&b);
    vl_error e1 = {0};
    int64_t rows;
    int r1 = rows_all(whole, VL_PQ_ROWS_NDJSON, &a, &rows, &e1);
    rc = vl_pq_reader_load(r, NULL, NULL, &err2);
    if (rc == VL_OK) rc = rows_all(r, VL_PQ_ROWS_NDJSON, &b, &rows, &err2);
    CHECKF(t, r1 == rc, "%s: whole %s (%s), in ranges %s (%s)", rel, vl_strerror(r1), e1.msg, vl_strerror(rc),
           err2.msg);
    CHECKF(t, r1 || (a.n == b.n && (!a.n || memcmp(a.p, b.p, a.n) == 0)), "%s: rows differ in ranges", rel);
    CHECKF(t, m.bytes <= n + n / 4 + 64, "%s: %zu bytes fetched for a file of %zu", rel, m.bytes, n);
    vl_buf_free(&a);
    vl_buf_free(&b);
    vl_pq_reader_close(r);
    vl_pq_reader_close(whole);
}

static void t_ranged_reads(vl_test *t) {
    NEED_DATA(t);
    static const char *const dirs[] = {"data", "bad_data"};
    size_t files = 0;
    for (size_t d = 0; d < 2; d++) {
        char dir[4200];
        pq_path(dir, sizeof(dir), dirs[d]);
        DIR *dp = opendir(dir);
        if (!dp) continue;
        struct dirent *de;
        while ((de = readdir(dp)) != NULL) {
            if (!strstr(de->d_name, ".parquet")) continue;
            char rel[600], path[4800];
            snprintf(rel, sizeof(rel), "%s/%s", dirs[d], de->d_name);
            pq_path(path, sizeof(path), rel);
            size_t n = 0;
            uint8_t *p = slurp(path, &n);
            if (p && n) {
                ranged_one(t, rel, p, n);
                files++;
            }
            free(p);
        }
        closedir(dp);
    }
    CHECKF(t, files >= 60, "%zu files read in ranges", files);
    /* a failing fetch: at open, and at load (the chunks stay unloaded) */
    char path[4200];
    pq_path(path, sizeof(path), "data/alltypes_plain.parquet");
    size_t fn = 0;
    uint8_t *fp = slurp(path, &fn);
    REQUIRE(t, fp != NULL);
    for (size_t at = 1; at <= 3; at++) {
        memsrc m = {fp, fn, 0, 0, at};
        vl_pq_reader *r = NULL;
        vl_error err = {0};
        int rc = vl_pq_reader_open_ranged(fn, 16, "x", mem_fetch, &m, &r, &err);
        if (rc == VL_OK) rc = vl_pq_reader_load(r, NULL, NULL, &err);
        CHECKF(t, rc == VL_EIO && strstr(err.msg, "injected"), "failure at fetch %zu: %s (%s)", at, vl_strerror(rc),
               err.msg);
        if (r) {
            vl_arena a;
            vl_arena_init(&a, 0);
            vl_pq_column col;
            CHECK(t, vl_pq_read_column(r, 0, 0, &a, &col, &err) == VL_EINVAL);
            vl_arena_destroy(&a);
        }
        vl_pq_reader_close(r);
    }
    /* a size larger than the object: the fetch's error, never a read past it */
    memsrc m = {fp, fn, 0, 0, 0};
    vl_pq_reader *r = NULL;
    vl_error err = {0};
    CHECK(t, vl_pq_reader_open_ranged(fn + 100, 16, "x", mem_fetch, &m, &r, &err) == VL_ECORRUPT);
    vl_pq_reader_close(r);
    free(fp);
}

static const vl_test_case cases[] = {
    {"files read to the exact NDJSON the README gives", t_exact_ndjson},
    {"large files: row counts, first and last values", t_large_files_first_last},
    {"truncated statistics and their exactness flags", t_truncated_statistics},
    {"page CRC files: sums, min, max", t_checksum_sums},
    {"null pages and tiny pages: sums and nulls", t_null_pages_and_tiny_pages},
    {"byte stream split: sums and plain twins", t_byte_stream_split},
    {"concatenated gzip members and >32767 pages", t_concatenated_gzip_and_page_count},
    {"fixed length byte array values and per-page nulls", t_fixed_length_byte_array},
    {"delta encodings match their expected CSVs", t_expect_csv},
    {"encrypted, corrupt and bad files are refused with the right code", t_refusals},
    {"disputed files: a clean error or the lenient result", t_either_read_or_refuse},
    {"truncated and bit-flipped files never crash", t_truncated_and_flipped_files},
    {"field selection, skip, limit and CSV", t_skip_limit_and_csv},
    {"missing, short and encrypted inputs", t_missing_and_short_files},
    {"every file read in ranges: whole, field by field, and failing fetches", t_ranged_reads},
};

VL_TEST_MAIN(cases)
