/* vidlake - Apache-2.0 */
/* Unit tests for the Thrift compact protocol and Parquet metadata
 * (parquet_thrift.c, parquet_meta.c). The real-file cases read
 * $VIDLAKE_TESTDATA (default ../shared/testdata) and skip without it. */
#include "parquet/parquet_meta.h"
#include "vl_test.h"

#include <dirent.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>

/* ---------------------------------------------------------------- helpers */

static bool sv_is(vl_sv v, const char *s) { return vl_sv_eq_cstr(v, s); }

/* A heap copy of exactly n bytes, so that ASan sees any read past the end. */
static uint8_t *exact_copy(const void *p, size_t n) {
    uint8_t *c = vl_malloc(n ? n : 1);
    if (c && n) memcpy(c, p, n);
    return c;
}

typedef struct {
    vl_buf b;
    vl_pq_tc_writer w;
} wbuf;

static void wbuf_init(wbuf *x) {
    vl_buf_init(&x->b);
    x->w.b = &x->b;
    x->w.rc = VL_OK;
}

/* Decodes bytes as a footer into a fresh arena; returns the code. */
static int decode_bytes(const void *p, size_t n, vl_error *err) {
    uint8_t *c = exact_copy(p, n);
    vl_arena a;
    vl_arena_init(&a, 0);
    vl_pq_file_meta m;
    int rc = vl_pq_meta_decode(c, n, &a, &m, err);
    vl_arena_destroy(&a);
    vl_free(c);
    return rc;
}

/* Writes the required FileMetaData fields 1..4 with one root schema element
 * and no row groups, leaving the struct open; `last` continues from 4. */
static void write_min_meta_open(vl_pq_tc_writer *w, int16_t *last) {
    vl_pq_tc_w_field_i32(w, last, 1, 1);
    vl_pq_tc_w_field(w, last, 2, VL_TC_LIST);
    vl_pq_tc_w_list(w, VL_TC_STRUCT, 1);
    int16_t l2 = 0;
    vl_pq_tc_w_field_binary(w, &l2, 4, VL_SV("root"));
    vl_pq_tc_w_stop(w);
    vl_pq_tc_w_field_i64(w, last, 3, 0);
    vl_pq_tc_w_field(w, last, 4, VL_TC_LIST);
    vl_pq_tc_w_list(w, VL_TC_STRUCT, 0);
}

/* ------------------------------------------------------ varint and zigzag */

static int read_varint_bytes(const uint8_t *p, size_t n, uint64_t *v, vl_error *err) {
    uint8_t *c = exact_copy(p, n);
    vl_pq_tc_reader r;
    vl_pq_tc_reader_init(&r, c, n, "test", err);
    int rc = vl_pq_tc_read_varint(&r, v);
    vl_free(c);
    return rc;
}

static void t_varint_zigzag(vl_test *t) {
    CHECK(t, vl_pq_zigzag64(0) == 0 && vl_pq_zigzag64(-1) == 1 && vl_pq_zigzag64(1) == 2);
    CHECK(t, vl_pq_zigzag64(-2) == 3 && vl_pq_zigzag64(INT64_MAX) == UINT64_MAX - 1);
    CHECK(t, vl_pq_zigzag64(INT64_MIN) == UINT64_MAX);
    CHECK(t, vl_pq_unzigzag64(UINT64_MAX) == INT64_MIN);
    CHECK(t, vl_pq_unzigzag64(UINT64_MAX - 1) == INT64_MAX);
    CHECK(t, vl_pq_unzigzag64(3) == -2 && vl_pq_unzigzag64(4) == 2);

    /* writer: the spec's example 50399 = df 89 03, and the extremes */
    wbuf x;
    wbuf_init(&x);
    vl_pq_tc_w_varint(&x.w, 0);
    vl_pq_tc_w_varint(&x.w, 127);
    vl_pq_tc_w_varint(&x.w, 128);
    vl_pq_tc_w_varint(&x.w, 50399);
    vl_pq_tc_w_varint(&x.w, UINT64_MAX);
    REQUIRE(t, x.w.rc == VL_OK);
    const uint8_t want[] = {0x00, 0x7f, 0x80, 0x01, 0xdf, 0x89, 0x03, 0xff, 0xff, 0xff,
                            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    CHECK_EQ_INT(t, x.b.n, sizeof(want));
    CHECK(t, x.b.n == sizeof(want) && memcmp(x.b.p, want, sizeof(want)) == 0);
    vl_buf_free(&x.b);

    vl_error err;
    uint64_t v = 0;
    const uint8_t max10[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    CHECK(t, read_varint_bytes(max10, 10, &v, &err) == VL_OK && v == UINT64_MAX);
    const uint8_t over[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
    CHECK_EQ_INT(t, read_varint_bytes(over, 10, &v, &err), VL_ECORRUPT);
    CHECK(t, strstr(err.msg, "overflows 64 bits") != NULL);
    const uint8_t eleven[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
    CHECK_EQ_INT(t, read_varint_bytes(eleven, 11, &v, &err), VL_ECORRUPT);
    const uint8_t trunc[] = {0x80, 0x80};
    CHECK_EQ_INT(t, read_varint_bytes(trunc, 2, &v, &err), VL_ECORRUPT);
    CHECK_EQ_STR(t, err.msg, "test: byte 0: truncated varint");
    CHECK_EQ_INT(t, read_varint_bytes(trunc, 0, &v, &err), VL_ECORRUPT);
    const uint8_t padded[] = {0x81, 0x80, 0x00}; /* non-canonical but valid: 1 */
    CHECK(t, read_varint_bytes(padded, 3, &v, &err) == VL_OK && v == 1);

    /* i16 / i32 / i64 / double / binary through the writer and reader */
    wbuf_init(&x);
    vl_pq_tc_w_i32(&x.w, INT32_MIN);
    vl_pq_tc_w_i32(&x.w, INT32_MAX);
    vl_pq_tc_w_i32(&x.w, -1);
    vl_pq_tc_w_i64(&x.w, INT64_MIN);
    vl_pq_tc_w_i64(&x.w, INT64_MAX);
    vl_pq_tc_w_double(&x.w, -0.0);
    vl_pq_tc_w_double(&x.w, 1.5e300);
    vl_pq_tc_w_binary(&x.w, "abc", 3);
    vl_pq_tc_w_i32(&x.w, 40000);  /* an i16 read must refuse this */
    vl_pq_tc_w_i64(&x.w, INT64_C(1) << 40); /* an i32 read must refuse this */
    REQUIRE(t, x.w.rc == VL_OK);
    uint8_t *c = exact_copy(x.b.p, x.b.n);
    vl_pq_tc_reader r;
    vl_pq_tc_reader_init(&r, c, x.b.n, "test", &err);
    int32_t i32 = 0;
    int64_t i64 = 0;
    int16_t i16 = 0;
    double dbl = 0;
    vl_sv sv;
    CHECK(t, vl_pq_tc_read_i32(&r, &i32) == VL_OK && i32 == INT32_MIN);
    CHECK(t, vl_pq_tc_read_i32(&r, &i32) == VL_OK && i32 == INT32_MAX);
    CHECK(t, vl_pq_tc_read_i16(&r, &i16) == VL_OK && i16 == -1);
    CHECK(t, vl_pq_tc_read_i64(&r, &i64) == VL_OK && i64 == INT64_MIN);
    CHECK(t, vl_pq_tc_read_i64(&r, &i64) == VL_OK && i64 == INT64_MAX);
    CHECK(t, vl_pq_tc_read_double(&r, &dbl) == VL_OK && dbl == 0.0 && signbit(dbl));
    CHECK(t, vl_pq_tc_read_double(&r, &dbl) == VL_OK && dbl == 1.5e300);
    CHECK(t, vl_pq_tc_read_binary(&r, &sv) == VL_OK && sv_is(sv, "abc"));
    size_t at = r.pos;
    CHECK_EQ_INT(t, vl_pq_tc_read_i16(&r, &i16), VL_ECORRUPT);
    CHECK(t, strstr(err.msg, "i16 value out of range") != NULL);
    CHECK_EQ_INT(t, r.pos, at); /* errors point at the start of the value */
    r.pos += 3;
    CHECK_EQ_INT(t, vl_pq_tc_read_i32(&r, &i32), VL_ECORRUPT);
    CHECK(t, strstr(err.msg, "exceeds 32 bits") != NULL);
    vl_free(c);
    vl_buf_free(&x.b);

    /* a binary longer than what is left, and a short double */
    const uint8_t longbin[] = {0x05, 'a', 'b'};
    c = exact_copy(longbin, sizeof(longbin));
    vl_pq_tc_reader_init(&r, c, sizeof(longbin), "test", &err);
    CHECK_EQ_INT(t, vl_pq_tc_read_binary(&r, &sv), VL_ECORRUPT);
    CHECK_EQ_STR(t, err.msg, "test: byte 0: binary of 5 bytes exceeds the remaining 2 bytes");
    CHECK_EQ_INT(t, vl_pq_tc_read_double(&r, &dbl), VL_ECORRUPT);
    vl_free(c);
}

static void t_field_headers(vl_test *t) {
    /* short form (delta), long form (negative and large ids), bools */
    wbuf x;
    wbuf_init(&x);
    int16_t last = 0;
    vl_pq_tc_w_field_i32(&x.w, &last, 1, 7);
    vl_pq_tc_w_field_bool(&x.w, &last, 16, true); /* delta 15: still short */
    vl_pq_tc_w_field_bool(&x.w, &last, 32, false); /* delta 16: long form */
    vl_pq_tc_w_field_i32(&x.w, &last, -3, 9);      /* negative: long form */
    vl_pq_tc_w_field_i32(&x.w, &last, INT16_MAX, 1);
    vl_pq_tc_w_stop(&x.w);
    REQUIRE(t, x.w.rc == VL_OK);
    CHECK_EQ_INT(t, (uint8_t)x.b.p[0], 0x15);
    CHECK_EQ_INT(t, (uint8_t)x.b.p[2], 0xf1);
    vl_error err;
    vl_pq_tc_reader r;
    vl_pq_tc_reader_init(&r, (const uint8_t *)x.b.p, x.b.n, "test", &err);
    int16_t id = 0;
    uint8_t ty = 0;
    int32_t v = 0;
    last = 0;
    CHECK(t, vl_pq_tc_field(&r, &last, &ty, &id) == VL_OK && id == 1 && ty == VL_TC_I32);
    CHECK(t, vl_pq_tc_read_i32(&r, &v) == VL_OK && v == 7);
    CHECK(t, vl_pq_tc_field(&r, &last, &ty, &id) == VL_OK && id == 16 && ty == VL_TC_TRUE);
    CHECK(t, vl_pq_tc_field(&r, &last, &ty, &id) == VL_OK && id == 32 && ty == VL_TC_FALSE);
    CHECK(t, vl_pq_tc_field(&r, &last, &ty, &id) == VL_OK && id == -3 && ty == VL_TC_I32);
    CHECK(t, vl_pq_tc_read_i32(&r, &v) == VL_OK && v == 9);
    CHECK(t, vl_pq_tc_field(&r, &last, &ty, &id) == VL_OK && id == INT16_MAX);
    CHECK(t, vl_pq_tc_read_i32(&r, &v) == VL_OK && v == 1);
    CHECK(t, vl_pq_tc_field(&r, &last, &ty, &id) == VL_OK && ty == VL_TC_STOP);
    CHECK_EQ_INT(t, r.pos, x.b.n);
    vl_buf_free(&x.b);

    /* a delta that overflows i16, and bad field types */
    const uint8_t ovf[] = {0x05, 0xfe, 0xff, 0x03, 0x00, 0x15, 0x00};
    vl_pq_tc_reader_init(&r, ovf, sizeof(ovf), "test", &err);
    last = 0;
    CHECK(t, vl_pq_tc_field(&r, &last, &ty, &id) == VL_OK && id == INT16_MAX);
    CHECK(t, vl_pq_tc_read_i32(&r, &v) == VL_OK);
    CHECK_EQ_INT(t, vl_pq_tc_field(&r, &last, &ty, &id), VL_ECORRUPT);
    CHECK(t, strstr(err.msg, "overflows i16") != NULL);
    const uint8_t badty[] = {0x1e};
    vl_pq_tc_reader_init(&r, badty, 1, "test", &err);
    last = 0;
    CHECK_EQ_INT(t, vl_pq_tc_field(&r, &last, &ty, &id), VL_ECORRUPT);
    CHECK_EQ_STR(t, err.msg, "test: byte 0: bad field type 14");
}

/* ------------------------------------------------------ a rich footer */

typedef struct rich {
    vl_pq_schema_elem schema[8];
    vl_pq_row_group rg[2];
    vl_pq_column_chunk cols[4];
    vl_pq_key_value kv[3];
    vl_pq_key_value col_kv[1];
    vl_pq_sorting_column sort[2];
    vl_pq_page_enc_stats es[2];
    int32_t enc[3];
    vl_sv path_a[1], path_b[2];
    int32_t orders[3];
    vl_pq_file_meta m;
} rich;

static void leaf(vl_pq_schema_elem *e, const char *name, int32_t type, int32_t rep) {
    memset(e, 0, sizeof(*e));
    e->name = vl_sv_cstr(name);
    e->has_type = true;
    e->type = type;
    e->has_repetition_type = true;
    e->repetition_type = rep;
}

static void build_rich(rich *x) {
    memset(x, 0, sizeof(*x));
    vl_pq_schema_elem *s = x->schema;
    s[0].name = VL_SV("schema");
    s[0].has_num_children = true;
    s[0].num_children = 7;
    leaf(&s[1], "id", VL_PQ_T_INT64, VL_PQ_REP_REQUIRED);
    s[1].has_field_id = true;
    s[1].field_id = -5;
    s[1].logical = (vl_pq_logical_type){.kind = VL_PQ_LT_INTEGER, .bit_width = 64, .is_signed = true};
    leaf(&s[2], "name", VL_PQ_T_BYTE_ARRAY, VL_PQ_REP_OPTIONAL);
    s[2].has_converted_type = true;
    s[2].converted_type = VL_PQ_CT_UTF8;
    s[2].logical.kind = VL_PQ_LT_STRING;
    leaf(&s[3], "price", VL_PQ_T_FIXED_LEN_BYTE_ARRAY, VL_PQ_REP_OPTIONAL);
    s[3].has_type_length = s[3].has_scale = s[3].has_precision = true;
    s[3].type_length = 11;
    s[3].scale = 2;
    s[3].precision = 25;
    s[3].has_converted_type = true;
    s[3].converted_type = VL_PQ_CT_DECIMAL;
    s[3].logical = (vl_pq_logical_type){.kind = VL_PQ_LT_DECIMAL, .scale = 2, .precision = 25};
    leaf(&s[4], "ts", VL_PQ_T_INT64, VL_PQ_REP_OPTIONAL);
    s[4].logical = (vl_pq_logical_type){
        .kind = VL_PQ_LT_TIMESTAMP, .is_adjusted_to_utc = true, .unit = VL_PQ_UNIT_NANOS};
    leaf(&s[5], "t", VL_PQ_T_INT32, VL_PQ_REP_REQUIRED);
    s[5].logical = (vl_pq_logical_type){.kind = VL_PQ_LT_TIME, .unit = VL_PQ_UNIT_MILLIS};
    leaf(&s[6], "u", VL_PQ_T_FIXED_LEN_BYTE_ARRAY, VL_PQ_REP_REPEATED);
    s[6].logical.kind = VL_PQ_LT_UUID;
    leaf(&s[7], "nothing", VL_PQ_T_INT32, VL_PQ_REP_OPTIONAL);
    s[7].logical.kind = VL_PQ_LT_UNKNOWN;

    x->enc[0] = VL_PQ_ENC_PLAIN;
    x->enc[1] = VL_PQ_ENC_RLE_DICTIONARY;
    x->enc[2] = 77; /* a future encoding survives */
    x->path_a[0] = VL_SV("id");
    x->path_b[0] = VL_SV("grp");
    x->path_b[1] = VL_SV("");
    x->col_kv[0] = (vl_pq_key_value){VL_SV("k"), VL_SV(""), true};
    x->es[0] = (vl_pq_page_enc_stats){VL_PQ_PAGE_DICTIONARY, VL_PQ_ENC_PLAIN, 1};
    x->es[1] = (vl_pq_page_enc_stats){VL_PQ_PAGE_DATA, VL_PQ_ENC_RLE_DICTIONARY, 300000};

    vl_pq_column_chunk *c = &x->cols[0];
    c->file_offset = 4;
    c->has_meta = true;
    vl_pq_column_meta *cm = &c->meta;
    cm->type = VL_PQ_T_INT64;
    cm->encodings = x->enc;
    cm->n_encodings = 3;
    cm->path_in_schema = x->path_a;
    cm->n_path_in_schema = 1;
    cm->codec = VL_PQ_CODEC_ZSTD;
    cm->num_values = 1000000;
    cm->total_uncompressed_size = INT64_MAX;
    cm->total_compressed_size = 12345;
    cm->has_key_value_metadata = true;
    cm->key_value_metadata = x->col_kv;
    cm->n_key_value_metadata = 1;
    cm->data_page_offset = 1000;
    cm->has_index_page_offset = true;
    cm->index_page_offset = -1;
    cm->has_dictionary_page_offset = true;
    cm->dictionary_page_offset = 0;
    cm->has_statistics = true;
    vl_pq_stats *st = &cm->statistics;
    st->has_max = st->has_min = st->has_null_count = st->has_distinct_count = true;
    st->max = VL_SV("\xff\x00\x01");
    st->min = VL_SV("");
    st->null_count = 0;
    st->distinct_count = 99;
    st->has_max_value = st->has_min_value = true;
    st->max_value = VL_SV("zz");
    st->min_value = VL_SV("Al");
    st->has_is_max_value_exact = st->has_is_min_value_exact = true;
    st->is_max_value_exact = true;
    st->is_min_value_exact = false;
    st->has_nan_count = true;
    st->nan_count = 3;
    cm->has_encoding_stats = true;
    cm->encoding_stats = x->es;
    cm->n_encoding_stats = 2;
    cm->has_bloom_filter_offset = cm->has_bloom_filter_length = true;
    cm->bloom_filter_offset = 5000;
    cm->bloom_filter_length = 1024;
    c->has_offset_index_offset = c->has_offset_index_length = true;
    c->offset_index_offset = 7000;
    c->offset_index_length = 40;
    c->has_column_index_offset = c->has_column_index_length = true;
    c->column_index_offset = 7100;
    c->column_index_length = 50;

    c = &x->cols[1]; /* a chunk in another file, metadata only in part */
    c->has_file_path = true;
    c->file_path = VL_SV("part-0001.parquet");
    c->file_offset = 99;
    c->has_meta = true;
    c->meta.type = VL_PQ_T_BYTE_ARRAY;
    c->meta.path_in_schema = x->path_b;
    c->meta.n_path_in_schema = 2;
    c->meta.codec = VL_PQ_CODEC_SNAPPY;
    c->meta.has_key_value_metadata = true; /* present but empty */
    c->meta.has_statistics = true;         /* present but empty */

    x->cols[2].file_offset = 0; /* no meta_data at all */
    x->cols[3].file_offset = -7;

    x->sort[0] = (vl_pq_sorting_column){0, true, true};
    x->sort[1] = (vl_pq_sorting_column){1, false, false};
    vl_pq_row_group *g = &x->rg[0];
    g->columns = x->cols;
    g->n_columns = 2;
    g->total_byte_size = 4096;
    g->num_rows = 1000000;
    g->has_sorting_columns = true;
    g->sorting_columns = x->sort;
    g->n_sorting_columns = 2;
    g->has_file_offset = g->has_total_compressed_size = g->has_ordinal = true;
    g->file_offset = 4;
    g->total_compressed_size = 3000;
    g->ordinal = -32768;
    g = &x->rg[1];
    g->columns = x->cols + 2;
    g->n_columns = 2;
    g->total_byte_size = 0;
    g->num_rows = 0;

    x->kv[0] = (vl_pq_key_value){VL_SV("ARROW:schema"), VL_SV("base64stuff"), true};
    x->kv[1] = (vl_pq_key_value){VL_SV("novalue"), {NULL, 0}, false};
    x->kv[2] = (vl_pq_key_value){VL_SV(""), VL_SV("empty key"), true};
    x->orders[0] = VL_PQ_ORDER_TYPE_DEFINED;
    x->orders[1] = VL_PQ_ORDER_IEEE754_TOTAL;
    x->orders[2] = VL_PQ_ORDER_NONE;

    vl_pq_file_meta *m = &x->m;
    m->version = 2;
    m->schema = x->schema;
    m->n_schema = 8;
    m->num_rows = 1000000;
    m->row_groups = x->rg;
    m->n_row_groups = 2;
    m->has_key_value_metadata = true;
    m->key_value_metadata = x->kv;
    m->n_key_value_metadata = 3;
    m->has_created_by = true;
    m->created_by = VL_SV("vidlake version 0.1.0 (build test)");
    m->has_column_orders = true;
    m->column_orders = x->orders;
    m->n_column_orders = 3;
}

/* Field-by-field equality; an absent optional compares only its flag. */
#define EQ(f) if (a->f != b->f) { printf("  differs: %s\n", #f); return false; }
#define EQ_SV(f) if (!vl_sv_eq(a->f, b->f)) { printf("  differs: %s\n", #f); return false; }
#define EQ_OPT(f) EQ(has_##f) if (a->has_##f) EQ(f)
#define EQ_OPT_SV(f) EQ(has_##f) if (a->has_##f) EQ_SV(f)

static bool stats_eq(const vl_pq_stats *a, const vl_pq_stats *b) {
    EQ_OPT_SV(max) EQ_OPT_SV(min) EQ_OPT(null_count) EQ_OPT(distinct_count)
    EQ_OPT_SV(max_value) EQ_OPT_SV(min_value) EQ_OPT(is_max_value_exact)
    EQ_OPT(is_min_value_exact) EQ_OPT(nan_count)
    return true;
}

static bool lt_eq(const vl_pq_logical_type *a, const vl_pq_logical_type *b) {
    EQ(kind)
    switch (a->kind) {
    case VL_PQ_LT_DECIMAL: EQ(scale) EQ(precision) break;
    case VL_PQ_LT_TIME:
    case VL_PQ_LT_TIMESTAMP: EQ(unit) EQ(is_adjusted_to_utc) break;
    case VL_PQ_LT_INTEGER: EQ(bit_width) EQ(is_signed) break;
    default: break;
    }
    return true;
}

static bool schema_eq(const vl_pq_schema_elem *a, const vl_pq_schema_elem *b) {
    EQ_SV(name) EQ_OPT(type) EQ_OPT(type_length) EQ_OPT(repetition_type) EQ_OPT(num_children)
    EQ_OPT(converted_type) EQ_OPT(scale) EQ_OPT(precision) EQ_OPT(field_id)
    return lt_eq(&a->logical, &b->logical);
}

static bool kvs_eq(const vl_pq_key_value *a, const vl_pq_key_value *b, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) {
        if (!vl_sv_eq(a[i].key, b[i].key) || a[i].has_value != b[i].has_value) return false;
        if (a[i].has_value && !vl_sv_eq(a[i].value, b[i].value)) return false;
    }
    return true;
}

static bool colmeta_eq(const vl_pq_column_meta *a, const vl_pq_column_meta *b) {
    EQ(type) EQ(n_encodings) EQ(n_path_in_schema) EQ(codec) EQ(num_values)
    EQ(total_uncompressed_size) EQ(total_compressed_size) EQ(data_page_offset)
    for (uint32_t i = 0; i < a->n_encodings; i++) EQ(encodings[i])
    for (uint32_t i = 0; i < a->n_path_in_schema; i++) EQ_SV(path_in_schema[i])
    EQ(has_key_value_metadata)
    if (a->has_key_value_metadata) {
        EQ(n_key_value_metadata)
        if (!kvs_eq(a->key_value_metadata, b->key_value_metadata, a->n_key_value_metadata))
            return false;
    }
    EQ_OPT(index_page_offset) EQ_OPT(dictionary_page_offset)
    EQ(has_statistics)
    if (a->has_statistics && !stats_eq(&a->statistics, &b->statistics)) return false;
    EQ(has_encoding_stats)
    if (a->has_encoding_stats) {
        EQ(n_encoding_stats)
        for (uint32_t i = 0; i < a->n_encoding_stats; i++) {
            EQ(encoding_stats[i].page_type) EQ(encoding_stats[i].encoding)
            EQ(encoding_stats[i].count)
        }
    }
    EQ_OPT(bloom_filter_offset) EQ_OPT(bloom_filter_length)
    return true;
}

static bool chunk_eq(const vl_pq_column_chunk *a, const vl_pq_column_chunk *b) {
    EQ_OPT_SV(file_path) EQ(file_offset) EQ(has_meta)
    if (a->has_meta && !colmeta_eq(&a->meta, &b->meta)) return false;
    EQ_OPT(offset_index_offset) EQ_OPT(offset_index_length)
    EQ_OPT(column_index_offset) EQ_OPT(column_index_length)
    return true;
}

static bool rg_eq(const vl_pq_row_group *a, const vl_pq_row_group *b) {
    EQ(n_columns) EQ(total_byte_size) EQ(num_rows)
    for (uint32_t i = 0; i < a->n_columns; i++)
        if (!chunk_eq(&a->columns[i], &b->columns[i])) return false;
    EQ(has_sorting_columns)
    if (a->has_sorting_columns) {
        EQ(n_sorting_columns)
        for (uint32_t i = 0; i < a->n_sorting_columns; i++) {
            EQ(sorting_columns[i].column_idx) EQ(sorting_columns[i].descending)
            EQ(sorting_columns[i].nulls_first)
        }
    }
    EQ_OPT(file_offset) EQ_OPT(total_compressed_size) EQ_OPT(ordinal)
    return true;
}

static bool meta_eq(const vl_pq_file_meta *a, const vl_pq_file_meta *b) {
    EQ(version) EQ(n_schema) EQ(num_rows) EQ(n_row_groups)
    for (uint32_t i = 0; i < a->n_schema; i++)
        if (!schema_eq(&a->schema[i], &b->schema[i])) return false;
    for (uint32_t i = 0; i < a->n_row_groups; i++)
        if (!rg_eq(&a->row_groups[i], &b->row_groups[i])) return false;
    EQ(has_key_value_metadata)
    if (a->has_key_value_metadata) {
        EQ(n_key_value_metadata)
        if (!kvs_eq(a->key_value_metadata, b->key_value_metadata, a->n_key_value_metadata))
            return false;
    }
    EQ_OPT_SV(created_by)
    EQ(has_column_orders)
    if (a->has_column_orders) {
        EQ(n_column_orders)
        for (uint32_t i = 0; i < a->n_column_orders; i++) EQ(column_orders[i])
    }
    return true;
}

static bool page_eq(const vl_pq_page_header *a, const vl_pq_page_header *b) {
    EQ(type) EQ(uncompressed_page_size) EQ(compressed_page_size) EQ_OPT(crc)
    EQ(has_data) EQ(has_index) EQ(has_dict) EQ(has_data_v2)
    if (a->has_data) {
        EQ(data.num_values) EQ(data.encoding) EQ(data.definition_level_encoding)
        EQ(data.repetition_level_encoding) EQ(data.has_statistics)
        if (a->data.has_statistics && !stats_eq(&a->data.statistics, &b->data.statistics))
            return false;
    }
    if (a->has_dict) { EQ(dict.num_values) EQ(dict.encoding) EQ(dict.has_is_sorted) EQ(dict.is_sorted) }
    if (a->has_data_v2) {
        EQ(data_v2.num_values) EQ(data_v2.num_nulls) EQ(data_v2.num_rows) EQ(data_v2.encoding)
        EQ(data_v2.definition_levels_byte_length) EQ(data_v2.repetition_levels_byte_length)
        EQ(data_v2.is_compressed) EQ(data_v2.has_is_compressed) EQ(data_v2.has_statistics)
        if (a->data_v2.has_statistics && !stats_eq(&a->data_v2.statistics, &b->data_v2.statistics))
            return false;
    }
    return true;
}

static void t_meta_round_trip(vl_test *t) {
    rich *x = vl_calloc(1, sizeof(*x));
    REQUIRE(t, x);
    build_rich(x);
    vl_buf b;
    vl_buf_init(&b);
    vl_error err;
    REQUIRE(t, vl_pq_meta_encode(&x->m, &b, &err) == VL_OK);
    uint8_t *c = exact_copy(b.p, b.n);
    vl_arena a;
    vl_arena_init(&a, 0);
    vl_pq_file_meta m;
    int rc = vl_pq_meta_decode(c, b.n, &a, &m, &err);
    CHECKF(t, rc == VL_OK, "%s", err.msg);
    if (rc == VL_OK) {
        CHECK(t, meta_eq(&x->m, &m));
        /* spot checks that the comparison itself sees the data */
        CHECK(t, sv_is(m.schema[2].name, "name") && m.schema[2].logical.kind == VL_PQ_LT_STRING);
        CHECK(t, m.schema[4].logical.unit == VL_PQ_UNIT_NANOS);
        CHECK(t, m.row_groups[0].columns[0].meta.encodings[2] == 77);
        CHECK(t, m.row_groups[0].ordinal == -32768);
        CHECK(t, m.row_groups[1].columns[0].has_meta == false);
        CHECK(t, m.row_groups[0].columns[1].meta.has_key_value_metadata &&
                     m.row_groups[0].columns[1].meta.n_key_value_metadata == 0);
        /* strings are views into the input */
        CHECK(t, (const uint8_t *)m.created_by.p >= c && (const uint8_t *)m.created_by.p < c + b.n);
        /* and the re-encoding is byte-identical */
        vl_buf b2;
        vl_buf_init(&b2);
        CHECK(t, vl_pq_meta_encode(&m, &b2, &err) == VL_OK);
        CHECK(t, b2.n == b.n && memcmp(b2.p, b.p, b.n) == 0);
        vl_buf_free(&b2);
    }
    vl_arena_destroy(&a);
    vl_free(c);
    vl_buf_free(&b);
    vl_free(x);
}

static void t_page_header_round_trip(vl_test *t) {
    vl_pq_page_header hs[4];
    memset(hs, 0, sizeof(hs));
    hs[0].type = VL_PQ_PAGE_DATA;
    hs[0].uncompressed_page_size = 4000;
    hs[0].compressed_page_size = 1000;
    hs[0].has_crc = true;
    hs[0].crc = (int32_t)0xdeadbeefu;
    hs[0].has_data = true;
    hs[0].data = (vl_pq_data_page_header){.num_values = 100, .encoding = VL_PQ_ENC_RLE_DICTIONARY,
                                          .definition_level_encoding = VL_PQ_ENC_RLE,
                                          .repetition_level_encoding = VL_PQ_ENC_BIT_PACKED};
    hs[0].data.has_statistics = true;
    hs[0].data.statistics.has_null_count = true;
    hs[0].data.statistics.null_count = 5;
    hs[0].data.statistics.has_min_value = true;
    hs[0].data.statistics.min_value = VL_SV("\x01\x02\x03\x04");

    hs[1].type = VL_PQ_PAGE_DICTIONARY;
    hs[1].uncompressed_page_size = 0;
    hs[1].compressed_page_size = 0;
    hs[1].has_dict = true;
    hs[1].dict = (vl_pq_dict_page_header){.num_values = 3, .encoding = VL_PQ_ENC_PLAIN_DICTIONARY,
                                          .is_sorted = true, .has_is_sorted = true};

    hs[2].type = VL_PQ_PAGE_DATA_V2;
    hs[2].uncompressed_page_size = INT32_MAX;
    hs[2].compressed_page_size = 17;
    hs[2].has_data_v2 = true;
    hs[2].data_v2 = (vl_pq_data_page_header_v2){
        .num_values = 10, .num_nulls = 2, .num_rows = 9, .encoding = VL_PQ_ENC_DELTA_BINARY_PACKED,
        .definition_levels_byte_length = 4, .repetition_levels_byte_length = 0,
        .is_compressed = false, .has_is_compressed = true};
    hs[2].data_v2.has_statistics = true; /* present, empty */

    hs[3] = hs[2]; /* is_compressed absent: decodes as true */
    hs[3].data_v2.has_is_compressed = false;
    hs[3].data_v2.is_compressed = true;
    hs[3].has_crc = true;
    hs[3].crc = 0;

    for (int i = 0; i < 4; i++) {
        vl_buf b;
        vl_buf_init(&b);
        vl_error err;
        REQUIRE(t, vl_pq_page_header_encode(&hs[i], &b, &err) == VL_OK);
        size_t hdr = b.n;
        REQUIRE(t, vl_buf_append(&b, "PAGEDATA", 8) == VL_OK); /* data follows the header */
        uint8_t *c = exact_copy(b.p, b.n);
        vl_pq_page_header h;
        size_t used = 0;
        int rc = vl_pq_page_header_decode(c, b.n, &used, &h, &err);
        CHECKF(t, rc == VL_OK, "page %d: %s", i, err.msg);
        CHECK_EQ_INT(t, used, hdr);
        CHECK(t, rc == VL_OK && page_eq(&hs[i], &h));
        if (i == 3) CHECK(t, h.data_v2.is_compressed && !h.data_v2.has_is_compressed);
        /* every truncation fails cleanly */
        for (size_t k = 0; k < hdr; k++) {
            uint8_t *p = exact_copy(c, k);
            rc = vl_pq_page_header_decode(p, k, &used, &h, &err);
            CHECKF(t, rc == VL_ECORRUPT, "page %d cut at %zu: rc %d", i, k, rc);
            vl_free(p);
        }
        vl_free(c);
        vl_buf_free(&b);
    }

    /* a data page without its sub-header, and a negative size */
    vl_pq_page_header bad = hs[0];
    bad.has_data = false;
    vl_buf b;
    vl_buf_init(&b);
    vl_error err;
    REQUIRE(t, vl_pq_page_header_encode(&bad, &b, &err) == VL_OK);
    vl_pq_page_header h;
    size_t used;
    CHECK_EQ_INT(t, vl_pq_page_header_decode((const uint8_t *)b.p, b.n, &used, &h, &err),
                 VL_ECORRUPT);
    CHECK(t, strstr(err.msg, "data_page_header missing") != NULL);
    vl_buf_clear(&b);
    bad = hs[1];
    bad.compressed_page_size = -1;
    REQUIRE(t, vl_pq_page_header_encode(&bad, &b, &err) == VL_OK);
    CHECK_EQ_INT(t, vl_pq_page_header_decode((const uint8_t *)b.p, b.n, &used, &h, &err),
                 VL_ECORRUPT);
    CHECK(t, strstr(err.msg, "negative page size") != NULL);
    vl_buf_free(&b);
}

static void t_truncated_footer(vl_test *t) {
    rich *x = vl_calloc(1, sizeof(*x));
    REQUIRE(t, x);
    build_rich(x);
    vl_buf b;
    vl_buf_init(&b);
    vl_error err;
    REQUIRE(t, vl_pq_meta_encode(&x->m, &b, &err) == VL_OK);
    int bad = 0;
    for (size_t k = 0; k < b.n; k++) {
        int rc = decode_bytes(b.p, k, &err);
        if (rc != VL_ECORRUPT || strncmp(err.msg, "parquet footer: byte ", 21) != 0) {
            if (bad++ < 5) printf("  cut at %zu: rc %d: %s\n", k, rc, err.msg);
        }
    }
    CHECK_EQ_INT(t, bad, 0);
    /* a trailing byte is refused too */
    REQUIRE(t, vl_buf_putc(&b, 0) == VL_OK);
    CHECK_EQ_INT(t, decode_bytes(b.p, b.n, &err), VL_ECORRUPT);
    CHECK(t, strstr(err.msg, "1 bytes after the end of FileMetaData") != NULL);
    /* every single-byte corruption is a clean result, never a crash */
    b.n--;
    for (size_t k = 0; k < b.n; k++) {
        for (int v = 0; v < 256; v += 51) {
            char save = b.p[k];
            b.p[k] = (char)(save ^ (v | 1));
            int rc = decode_bytes(b.p, b.n, &err);
            CHECK(t, rc == VL_OK || rc == VL_ECORRUPT || rc == VL_ENOTSUP);
            b.p[k] = save;
        }
    }
    vl_buf_free(&b);
    vl_free(x);
}

static void t_huge_lists(vl_test *t) {
    vl_error err;
    /* schema claims 2,000,000,000 elements in a 20-byte footer */
    wbuf x;
    wbuf_init(&x);
    int16_t last = 0;
    vl_pq_tc_w_field_i32(&x.w, &last, 1, 1);
    vl_pq_tc_w_field(&x.w, &last, 2, VL_TC_LIST);
    vl_pq_tc_w_list(&x.w, VL_TC_STRUCT, 2000000000);
    for (int i = 0; i < 12; i++) vl_pq_tc_w_byte(&x.w, 0);
    REQUIRE(t, x.w.rc == VL_OK);
    CHECK_EQ_INT(t, decode_bytes(x.b.p, x.b.n, &err), VL_ECORRUPT);
    CHECK_EQ_STR(t, err.msg, "parquet footer: byte 3: list of 2000000000 schema elements "
                             "exceeds the limit of 16777216 elements");
    vl_buf_free(&x.b);

    /* row groups: under the hard cap but over the bytes left */
    wbuf_init(&x);
    last = 0;
    write_min_meta_open(&x.w, &last);
    x.b.n--; /* replace the empty row-group list header */
    vl_pq_tc_w_list(&x.w, VL_TC_STRUCT, 1000000);
    for (int i = 0; i < 97; i++) vl_pq_tc_w_byte(&x.w, 0);
    REQUIRE(t, x.w.rc == VL_OK);
    CHECK_EQ_INT(t, decode_bytes(x.b.p, x.b.n, &err), VL_ECORRUPT);
    CHECKF(t, strstr(err.msg, "list of 1000000 row groups (at least 7 bytes each) exceeds the "
                              "remaining 97 bytes") != NULL, "%s", err.msg);
    vl_buf_free(&x.b);

    /* an unknown list<bool>, set and map with impossible sizes */
    const uint8_t kinds[][2] = {{VL_TC_LIST, VL_TC_BOOL}, {VL_TC_SET, VL_TC_I32}};
    for (int k = 0; k < 2; k++) {
        wbuf_init(&x);
        last = 0;
        write_min_meta_open(&x.w, &last);
        vl_pq_tc_w_field(&x.w, &last, 20, kinds[k][0]);
        vl_pq_tc_w_list(&x.w, kinds[k][1], 50);
        for (int i = 0; i < 10; i++) vl_pq_tc_w_byte(&x.w, 1);
        CHECK_EQ_INT(t, decode_bytes(x.b.p, x.b.n, &err), VL_ECORRUPT);
        CHECKF(t, strstr(err.msg, "list of 50 unknown elements exceeds the remaining 10 bytes"),
               "%s", err.msg);
        vl_buf_free(&x.b);
    }
    wbuf_init(&x);
    last = 0;
    write_min_meta_open(&x.w, &last);
    vl_pq_tc_w_field(&x.w, &last, 20, VL_TC_MAP);
    vl_pq_tc_w_varint(&x.w, 6);
    vl_pq_tc_w_byte(&x.w, VL_TC_DOUBLE << 4 | VL_TC_I8); /* 9 bytes per entry */
    for (int i = 0; i < 50; i++) vl_pq_tc_w_byte(&x.w, 0);
    CHECK_EQ_INT(t, decode_bytes(x.b.p, x.b.n, &err), VL_ECORRUPT);
    CHECKF(t, strstr(err.msg, "6 map entries (at least 9 bytes each)"), "%s", err.msg);
    vl_buf_free(&x.b);
}

static void t_deep_nesting(vl_test *t) {
    vl_error err;
    for (int depth = 60; depth <= 200; depth += 140) {
        /* unknown field 20: struct { 1: struct { 1: ... } } nested `depth` deep */
        wbuf x;
        wbuf_init(&x);
        int16_t last = 0;
        write_min_meta_open(&x.w, &last);
        vl_pq_tc_w_field(&x.w, &last, 20, VL_TC_STRUCT);
        for (int i = 1; i < depth; i++) vl_pq_tc_w_byte(&x.w, 0x1c);
        for (int i = 0; i < depth; i++) vl_pq_tc_w_stop(&x.w);
        vl_pq_tc_w_stop(&x.w);
        REQUIRE(t, x.w.rc == VL_OK);
        int rc = decode_bytes(x.b.p, x.b.n, &err);
        if (depth < VL_PQ_TC_MAX_DEPTH) {
            CHECKF(t, rc == VL_OK, "%s", err.msg);
        } else {
            CHECK_EQ_INT(t, rc, VL_ECORRUPT);
            CHECK(t, strstr(err.msg, "nesting deeper than 64 levels") != NULL);
        }
        vl_buf_free(&x.b);
    }
    /* lists of lists of ... (each level a one-element list) */
    wbuf x;
    wbuf_init(&x);
    int16_t last = 0;
    write_min_meta_open(&x.w, &last);
    vl_pq_tc_w_field(&x.w, &last, 21, VL_TC_LIST);
    for (int i = 0; i < 100000; i++) vl_pq_tc_w_list(&x.w, VL_TC_LIST, 1);
    REQUIRE(t, x.w.rc == VL_OK);
    CHECK_EQ_INT(t, decode_bytes(x.b.p, x.b.n, &err), VL_ECORRUPT);
    CHECK(t, strstr(err.msg, "nesting deeper") != NULL);
    vl_buf_free(&x.b);
}

static void t_unknown_fields_skipped(vl_test *t) {
    wbuf x;
    wbuf_init(&x);
    int16_t last = 0;
    vl_pq_tc_w_field_i32(&x.w, &last, 1, 2);
    vl_pq_tc_w_field(&x.w, &last, 2, VL_TC_LIST);
    vl_pq_tc_w_list(&x.w, VL_TC_STRUCT, 1);
    {
        int16_t l2 = 0;
        vl_pq_tc_w_field_i64(&x.w, &l2, 1, 5); /* type with the wrong wire type: skipped */
        vl_pq_tc_w_field_binary(&x.w, &l2, 4, VL_SV("root"));
        vl_pq_tc_w_field_i32(&x.w, &l2, 11, 4); /* vector_length: not kept */
        vl_pq_tc_w_field(&x.w, &l2, 10, VL_TC_STRUCT); /* LogicalType */
        int16_t l3 = 0;
        vl_pq_tc_w_field(&x.w, &l3, 99, VL_TC_STRUCT); /* a future member */
        int16_t l4 = 0;
        vl_pq_tc_w_field_binary(&x.w, &l4, 1, VL_SV("crs"));
        vl_pq_tc_w_stop(&x.w);
        vl_pq_tc_w_stop(&x.w);
        vl_pq_tc_w_stop(&x.w);
    }
    vl_pq_tc_w_field_i64(&x.w, &last, 3, 42);
    /* unknown fields of every wire type between the known ones */
    vl_pq_tc_w_field_bool(&x.w, &last, 20, true);
    vl_pq_tc_w_field_bool(&x.w, &last, 21, false);
    vl_pq_tc_w_field(&x.w, &last, 22, VL_TC_I8);
    vl_pq_tc_w_byte(&x.w, 0xff);
    vl_pq_tc_w_field(&x.w, &last, 23, VL_TC_I16);
    vl_pq_tc_w_i32(&x.w, -300);
    vl_pq_tc_w_field(&x.w, &last, 24, VL_TC_DOUBLE);
    vl_pq_tc_w_double(&x.w, 3.25);
    vl_pq_tc_w_field(&x.w, &last, 25, VL_TC_UUID);
    vl_pq_tc_w_binary(&x.w, "0123456789abcde", 15); /* 1 length byte + 15 = 16 */
    vl_pq_tc_w_field(&x.w, &last, 26, VL_TC_LIST);
    vl_pq_tc_w_list(&x.w, VL_TC_BOOL, 20);
    for (int i = 0; i < 20; i++) vl_pq_tc_w_byte(&x.w, (uint8_t)(i & 1));
    vl_pq_tc_w_field(&x.w, &last, 27, VL_TC_SET);
    vl_pq_tc_w_list(&x.w, VL_TC_BINARY, 2);
    vl_pq_tc_w_binary(&x.w, "a", 1);
    vl_pq_tc_w_binary(&x.w, "bb", 2);
    vl_pq_tc_w_field(&x.w, &last, 28, VL_TC_MAP);
    vl_pq_tc_w_varint(&x.w, 2);
    vl_pq_tc_w_byte(&x.w, VL_TC_BINARY << 4 | VL_TC_STRUCT);
    for (int i = 0; i < 2; i++) {
        vl_pq_tc_w_binary(&x.w, "k", 1);
        int16_t l2 = 0;
        vl_pq_tc_w_field_i64(&x.w, &l2, 1, i);
        vl_pq_tc_w_stop(&x.w);
    }
    vl_pq_tc_w_field(&x.w, &last, 29, VL_TC_MAP);
    vl_pq_tc_w_varint(&x.w, 0); /* empty map: no type byte */
    vl_pq_tc_w_field(&x.w, &last, 4, VL_TC_LIST); /* backwards: long form */
    vl_pq_tc_w_list(&x.w, VL_TC_STRUCT, 0);
    vl_pq_tc_w_field(&x.w, &last, 9, VL_TC_BINARY); /* footer_signing_key_metadata: skipped */
    vl_pq_tc_w_binary(&x.w, "key", 3);
    vl_pq_tc_w_field_i32(&x.w, &last, -7, 1);
    vl_pq_tc_w_stop(&x.w);
    REQUIRE(t, x.w.rc == VL_OK);

    uint8_t *c = exact_copy(x.b.p, x.b.n);
    vl_arena a;
    vl_arena_init(&a, 0);
    vl_pq_file_meta m;
    vl_error err;
    int rc = vl_pq_meta_decode(c, x.b.n, &a, &m, &err);
    CHECKF(t, rc == VL_OK, "%s", err.msg);
    if (rc == VL_OK) {
        CHECK_EQ_INT(t, m.version, 2);
        CHECK_EQ_INT(t, m.num_rows, 42);
        CHECK_EQ_INT(t, m.n_schema, 1);
        CHECK(t, sv_is(m.schema[0].name, "root") && !m.schema[0].has_type);
        CHECK_EQ_INT(t, m.schema[0].logical.kind, VL_PQ_LT_FUTURE);
        CHECK_EQ_INT(t, m.schema[0].logical.future_id, 99);
        CHECK_EQ_INT(t, m.n_row_groups, 0);
    }
    vl_arena_destroy(&a);
    vl_free(c);
    vl_buf_free(&x.b);
}

static void t_logical_types(vl_test *t) {
    /* every known member, a TIME with an unknown unit, an empty union */
    static const int kinds[] = {VL_PQ_LT_STRING, VL_PQ_LT_MAP, VL_PQ_LT_LIST, VL_PQ_LT_ENUM,
                                VL_PQ_LT_DATE, VL_PQ_LT_UNKNOWN, VL_PQ_LT_JSON, VL_PQ_LT_BSON,
                                VL_PQ_LT_UUID, VL_PQ_LT_FLOAT16, VL_PQ_LT_FUTURE};
    vl_pq_schema_elem s[16];
    memset(s, 0, sizeof(s));
    size_t n = 0;
    s[n++].name = VL_SV("root");
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        s[n].name = VL_SV("c");
        s[n++].logical.kind = kinds[i];
    }
    s[n].name = VL_SV("t");
    s[n++].logical = (vl_pq_logical_type){.kind = VL_PQ_LT_TIME, .unit = VL_PQ_UNIT_MICROS};
    vl_pq_file_meta m = {.version = 1, .schema = s, .n_schema = (uint32_t)n};
    vl_buf b;
    vl_buf_init(&b);
    vl_error err;
    REQUIRE(t, vl_pq_meta_encode(&m, &b, &err) == VL_OK);
    vl_arena a;
    vl_arena_init(&a, 0);
    vl_pq_file_meta d;
    REQUIRE(t, vl_pq_meta_decode((const uint8_t *)b.p, b.n, &a, &d, &err) == VL_OK);
    REQUIRE(t, d.n_schema == n);
    for (size_t i = 0; i < n; i++) CHECK(t, lt_eq(&s[i].logical, &d.schema[i].logical));

    /* the TIME unit union with an unknown member (id 9): tolerated as FUTURE */
    vl_buf_clear(&b);
    wbuf x;
    wbuf_init(&x);
    int16_t last = 0;
    vl_pq_tc_w_field_i32(&x.w, &last, 1, 1);
    vl_pq_tc_w_field(&x.w, &last, 2, VL_TC_LIST);
    vl_pq_tc_w_list(&x.w, VL_TC_STRUCT, 1);
    int16_t l2 = 0, l3 = 0, l4 = 0, l5 = 0;
    vl_pq_tc_w_field_binary(&x.w, &l2, 4, VL_SV("r"));
    vl_pq_tc_w_field(&x.w, &l2, 10, VL_TC_STRUCT);
    vl_pq_tc_w_field(&x.w, &l3, VL_PQ_LT_TIME, VL_TC_STRUCT);
    vl_pq_tc_w_field_bool(&x.w, &l4, 1, true);
    vl_pq_tc_w_field(&x.w, &l4, 2, VL_TC_STRUCT);
    vl_pq_tc_w_field(&x.w, &l5, 9, VL_TC_STRUCT);
    vl_pq_tc_w_stop(&x.w); /* unit member */
    vl_pq_tc_w_stop(&x.w); /* TimeUnit */
    vl_pq_tc_w_stop(&x.w); /* TimeType */
    vl_pq_tc_w_stop(&x.w); /* LogicalType */
    vl_pq_tc_w_stop(&x.w); /* SchemaElement */
    vl_pq_tc_w_field_i64(&x.w, &last, 3, 0);
    vl_pq_tc_w_field(&x.w, &last, 4, VL_TC_LIST);
    vl_pq_tc_w_list(&x.w, VL_TC_STRUCT, 0);
    vl_pq_tc_w_stop(&x.w);
    REQUIRE(t, x.w.rc == VL_OK);
    int rc = vl_pq_meta_decode((const uint8_t *)x.b.p, x.b.n, &a, &d, &err);
    CHECKF(t, rc == VL_OK, "%s", err.msg);
    if (rc == VL_OK) {
        CHECK_EQ_INT(t, d.schema[0].logical.kind, VL_PQ_LT_FUTURE);
        CHECK_EQ_INT(t, d.schema[0].logical.future_id, VL_PQ_LT_TIME);
    }
    /* an encoder refuses a TIME without a unit, and an unknown kind */
    s[1].logical = (vl_pq_logical_type){.kind = VL_PQ_LT_TIME};
    CHECK_EQ_INT(t, vl_pq_meta_encode(&m, &b, &err), VL_EINVAL);
    s[1].logical = (vl_pq_logical_type){.kind = 9};
    CHECK_EQ_INT(t, vl_pq_meta_encode(&m, &b, &err), VL_EINVAL);
    CHECK_EQ_INT(t, b.n, 0);
    vl_arena_destroy(&a);
    vl_buf_free(&b);
    vl_buf_free(&x.b);
}

static void t_required_and_encrypted(vl_test *t) {
    vl_error err;
    /* FileMetaData without schema */
    wbuf x;
    wbuf_init(&x);
    int16_t last = 0;
    vl_pq_tc_w_field_i32(&x.w, &last, 1, 1);
    vl_pq_tc_w_field_i64(&x.w, &last, 3, 0);
    vl_pq_tc_w_field(&x.w, &last, 4, VL_TC_LIST);
    vl_pq_tc_w_list(&x.w, VL_TC_STRUCT, 0);
    vl_pq_tc_w_stop(&x.w);
    CHECK_EQ_INT(t, decode_bytes(x.b.p, x.b.n, &err), VL_ECORRUPT);
    CHECKF(t, strstr(err.msg, "FileMetaData.schema missing") != NULL, "%s", err.msg);
    vl_buf_free(&x.b);

    /* a RowGroup without num_rows */
    wbuf_init(&x);
    last = 0;
    write_min_meta_open(&x.w, &last);
    x.b.n--;
    vl_pq_tc_w_list(&x.w, VL_TC_STRUCT, 1);
    int16_t l2 = 0;
    vl_pq_tc_w_field(&x.w, &l2, 1, VL_TC_LIST);
    vl_pq_tc_w_list(&x.w, VL_TC_STRUCT, 0);
    vl_pq_tc_w_field_i64(&x.w, &l2, 2, 0);
    vl_pq_tc_w_field_i64(&x.w, &l2, 6, 0); /* keeps it above the 7-byte minimum */
    vl_pq_tc_w_stop(&x.w);
    vl_pq_tc_w_stop(&x.w);
    CHECK_EQ_INT(t, decode_bytes(x.b.p, x.b.n, &err), VL_ECORRUPT);
    CHECKF(t, strstr(err.msg, "RowGroup.num_rows missing") != NULL, "%s", err.msg);
    vl_buf_free(&x.b);

    /* plaintext-footer encryption: FileMetaData.encryption_algorithm */
    wbuf_init(&x);
    last = 0;
    write_min_meta_open(&x.w, &last);
    vl_pq_tc_w_field(&x.w, &last, 8, VL_TC_STRUCT);
    l2 = 0;
    vl_pq_tc_w_field(&x.w, &l2, 1, VL_TC_STRUCT);
    vl_pq_tc_w_stop(&x.w);
    vl_pq_tc_w_stop(&x.w);
    vl_pq_tc_w_stop(&x.w);
    CHECK_EQ_INT(t, decode_bytes(x.b.p, x.b.n, &err), VL_ENOTSUP);
    CHECK(t, strstr(err.msg, "encrypted Parquet is not supported") != NULL);
    vl_buf_free(&x.b);

    /* a ColumnChunk with crypto_metadata (8) or encrypted_column_metadata (9) */
    for (int16_t fid = 8; fid <= 9; fid++) {
        wbuf_init(&x);
        last = 0;
        write_min_meta_open(&x.w, &last);
        x.b.n--;
        vl_pq_tc_w_list(&x.w, VL_TC_STRUCT, 1);
        l2 = 0;
        vl_pq_tc_w_field(&x.w, &l2, 1, VL_TC_LIST);
        vl_pq_tc_w_list(&x.w, VL_TC_STRUCT, 1);
        int16_t l3 = 0;
        vl_pq_tc_w_field_i64(&x.w, &l3, 2, 0);
        if (fid == 8) {
            vl_pq_tc_w_field(&x.w, &l3, 8, VL_TC_STRUCT);
            vl_pq_tc_w_stop(&x.w);
        } else {
            vl_pq_tc_w_field_binary(&x.w, &l3, 9, VL_SV("secret"));
        }
        vl_pq_tc_w_stop(&x.w);
        vl_pq_tc_w_field_i64(&x.w, &l2, 2, 0);
        vl_pq_tc_w_field_i64(&x.w, &l2, 3, 0);
        vl_pq_tc_w_stop(&x.w);
        vl_pq_tc_w_stop(&x.w);
        CHECK_EQ_INT(t, decode_bytes(x.b.p, x.b.n, &err), VL_ENOTSUP);
        CHECKF(t, strstr(err.msg, "encrypted Parquet is not supported") != NULL, "%s", err.msg);
        vl_buf_free(&x.b);
    }
}

static void t_footer_locate(vl_test *t) {
    vl_error err;
    uint32_t len = 0;
    const uint8_t ok[] = {0x10, 0x00, 0x00, 0x00, 'P', 'A', 'R', '1'};
    CHECK(t, vl_pq_footer_locate(ok, 8, 100, &len, &err) == VL_OK && len == 16);
    CHECK(t, vl_pq_footer_locate(ok, 8, 28, &len, &err) == VL_OK);
    CHECK_EQ_INT(t, vl_pq_footer_locate(ok, 8, 27, &len, &err), VL_ECORRUPT);
    CHECK(t, strstr(err.msg, "does not fit") != NULL);
    CHECK_EQ_INT(t, vl_pq_footer_locate(ok, 8, 11, &len, &err), VL_ECORRUPT);
    CHECK_EQ_INT(t, vl_pq_footer_locate(ok, 7, 100, &len, &err), VL_EINVAL);
    const uint8_t enc[] = {0x10, 0x00, 0x00, 0x00, 'P', 'A', 'R', 'E'};
    CHECK_EQ_INT(t, vl_pq_footer_locate(enc, 8, 100, &len, &err), VL_ENOTSUP);
    CHECK(t, strncmp(err.msg, "encrypted Parquet is not supported", 34) == 0);
    const uint8_t junk[] = {0x10, 0x00, 0x00, 0x00, 'P', 'K', 3, 4};
    CHECK_EQ_INT(t, vl_pq_footer_locate(junk, 8, 100, &len, &err), VL_ECORRUPT);
    const uint8_t zero[] = {0, 0, 0, 0, 'P', 'A', 'R', '1'};
    CHECK_EQ_INT(t, vl_pq_footer_locate(zero, 8, 100, &len, &err), VL_ECORRUPT);
    const uint8_t huge[] = {0xff, 0xff, 0xff, 0xff, 'P', 'A', 'R', '1'};
    CHECK_EQ_INT(t, vl_pq_footer_locate(huge, 8, UINT64_MAX, &len, &err), VL_OK);
    CHECK_EQ_INT(t, vl_pq_footer_locate(huge, 8, 1000, &len, &err), VL_ECORRUPT);
}

static void t_out_of_memory(vl_test *t) {
    rich *x = vl_calloc(1, sizeof(*x));
    REQUIRE(t, x);
    build_rich(x);
    vl_buf b;
    vl_buf_init(&b);
    vl_error err;
    REQUIRE(t, vl_pq_meta_encode(&x->m, &b, &err) == VL_OK);
    /* an arena limit below what the footer needs: a clean VL_ENOMEM */
    vl_arena a;
    vl_arena_init(&a, 64);
    a.limit = 256;
    vl_pq_file_meta m;
    CHECK_EQ_INT(t, vl_pq_meta_decode((const uint8_t *)b.p, b.n, &a, &m, &err), VL_ENOMEM);
    CHECK(t, strstr(err.msg, "out of memory") != NULL);
    vl_arena_destroy(&a);
    /* fail the Nth allocation for every N, in decode and in encode */
    int ok = 0;
    for (long k = 0; k < 60; k++) {
        vl_arena_init(&a, 64);
        vl_alloc_fail_after(k);
        int rc = vl_pq_meta_decode((const uint8_t *)b.p, b.n, &a, &m, &err);
        vl_buf b2;
        vl_buf_init(&b2);
        int rc2 = rc == VL_OK ? vl_pq_meta_encode(&m, &b2, &err) : VL_ENOMEM;
        vl_alloc_fail_after(-1);
        CHECK(t, rc == VL_OK || rc == VL_ENOMEM);
        CHECK(t, rc2 == VL_OK || (rc2 == VL_ENOMEM && b2.n == 0));
        ok += rc == VL_OK && rc2 == VL_OK;
        vl_buf_free(&b2);
        vl_arena_destroy(&a);
    }
    CHECK(t, ok > 0);
    vl_buf_free(&b);
    vl_free(x);
}

/* ----------------------------------------------------------- real files */

static const char *testdata_dir(void) { return vl_test_data_dir("parquet/data"); }

typedef struct pq_file {
    uint8_t *bytes;
    size_t size;
    vl_arena a;
    vl_pq_file_meta m;
} pq_file;

/* Reads a file, locates and decodes its footer. */
static int pq_open(pq_file *f, const char *path, vl_error *err) {
    memset(f, 0, sizeof(*f));
    vl_arena_init(&f->a, 0);
    f->bytes = vl_test_slurp(path, &f->size);
    if (!f->bytes) return vl_error_set(err, VL_EIO, "cannot read %s", path);
    uint32_t len;
    size_t tail = f->size < 8 ? f->size : 8;
    VL_RETURN_IF_ERR(vl_pq_footer_locate(f->bytes + f->size - tail, tail, f->size, &len, err));
    if (memcmp(f->bytes, "PAR1", 4) != 0)
        return vl_error_set(err, VL_ECORRUPT, "no leading PAR1");
    /* an exact-size copy of the footer so ASan sees over-reads */
    const uint8_t *footer = f->bytes + f->size - 8 - len;
    uint8_t *copy = vl_arena_memdup(&f->a, footer, len);
    if (!copy) return VL_ENOMEM;
    return vl_pq_meta_decode(copy, len, &f->a, &f->m, err);
}

static void pq_close(pq_file *f) {
    vl_arena_destroy(&f->a);
    free(f->bytes);
}

static uint32_t leaf_count(const vl_pq_file_meta *m) {
    uint32_t n = 0;
    for (uint32_t i = 0; i < m->n_schema; i++) n += !m->schema[i].has_num_children;
    return n;
}

/* Decodes the first page header of every column chunk. @return failures. */
static int check_first_pages(const pq_file *f, bool verbose, int *n_v2, int *n_crc, int *n_dict) {
    int bad = 0;
    for (uint32_t g = 0; g < f->m.n_row_groups; g++) {
        const vl_pq_row_group *rg = &f->m.row_groups[g];
        for (uint32_t c = 0; c < rg->n_columns; c++) {
            const vl_pq_column_meta *cm = &rg->columns[c].meta;
            if (!rg->columns[c].has_meta) continue;
            int64_t off = cm->data_page_offset;
            /* dictionary_page_offset 0 means "none" (dict-page-offset-zero) */
            if (cm->has_dictionary_page_offset && cm->dictionary_page_offset > 0)
                off = cm->dictionary_page_offset;
            if (off < 4 || (uint64_t)off >= f->size) {
                bad++;
                continue;
            }
            vl_pq_page_header h;
            size_t used;
            vl_error err;
            int rc = vl_pq_page_header_decode(f->bytes + off, f->size - (size_t)off, &used, &h, &err);
            if (rc != VL_OK) {
                if (verbose) printf("  page header at %lld: %s\n", (long long)off, err.msg);
                bad++;
                continue;
            }
            *n_v2 += h.type == VL_PQ_PAGE_DATA_V2;
            *n_crc += h.has_crc;
            *n_dict += h.type == VL_PQ_PAGE_DICTIONARY;
        }
    }
    return bad;
}

static void t_real_files(vl_test *t) {
    const char *root = testdata_dir();
    if (!root) SKIP(t, "no test data (set VIDLAKE_TESTDATA)");
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/parquet/data", root);
    DIR *d = opendir(dir);
    REQUIRE(t, d);
    struct dirent *e;
    int files = 0, encrypted = 0, v2 = 0, crc = 0, dict = 0;
    while ((e = readdir(d))) {
        const char *name = e->d_name;
        size_t len = strlen(name);
        bool is_enc = strstr(name, "encrypt") != NULL;
        if (!is_enc && (len < 8 || strcmp(name + len - 8, ".parquet") != 0)) continue;
        char path[8192];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        pq_file f;
        vl_error err;
        int rc = pq_open(&f, path, &err);
        if (is_enc) {
            encrypted++;
            CHECKF(t, rc == VL_ENOTSUP, "%s: rc %d", name, rc);
            CHECKF(t, strstr(err.msg, "encrypted Parquet is not supported") != NULL, "%s: %s",
                   name, err.msg);
        } else {
            files++;
            CHECKF(t, rc == VL_OK, "%s: %s", name, err.msg);
            if (rc == VL_OK) {
                CHECKF(t, check_first_pages(&f, true, &v2, &crc, &dict) == 0, "%s", name);
                /* the re-encoding decodes to the same footer */
                vl_buf b;
                vl_buf_init(&b);
                vl_pq_file_meta m2;
                CHECK(t, vl_pq_meta_encode(&f.m, &b, &err) == VL_OK);
                CHECKF(t, vl_pq_meta_decode((const uint8_t *)b.p, b.n, &f.a, &m2, &err) == VL_OK &&
                              meta_eq(&f.m, &m2),
                       "%s: re-encoded footer differs", name);
                vl_buf_free(&b);
            }
        }
        pq_close(&f);
    }
    closedir(d);
    CHECKF(t, files >= 60, "%d files", files);
    CHECK_EQ_INT(t, encrypted, 1);
    CHECK(t, v2 > 0 && crc > 0 && dict > 0);
}

/* Opens parquet/data/<name>; a failed REQUIRE in the caller skips the rest. */
static bool open_named(vl_test *t, pq_file *f, const char *root, const char *name) {
    char path[4096];
    snprintf(path, sizeof(path), "%s/parquet/data/%s", root, name);
    vl_error err;
    int rc = pq_open(f, path, &err);
    CHECKF(t, rc == VL_OK, "%s: %s", name, err.msg);
    if (rc != VL_OK) pq_close(f);
    return rc == VL_OK;
}

static const vl_pq_schema_elem *find_col(const vl_pq_file_meta *m, const char *name) {
    for (uint32_t i = 0; i < m->n_schema; i++)
        if (sv_is(m->schema[i].name, name)) return &m->schema[i];
    return NULL;
}

static void t_real_file_facts(vl_test *t) {
    const char *root = testdata_dir();
    if (!root) SKIP(t, "no test data (set VIDLAKE_TESTDATA)");
    pq_file f;
    if (open_named(t, &f, root, "alltypes_plain.parquet")) {
        CHECK_EQ_INT(t, f.m.num_rows, 8);
        CHECK_EQ_INT(t, leaf_count(&f.m), 11);
        CHECK_EQ_INT(t, f.m.n_row_groups, 1);
        CHECK_EQ_INT(t, f.m.row_groups[0].n_columns, 11);
        const vl_pq_schema_elem *ts = find_col(&f.m, "timestamp_col");
        CHECK(t, ts && ts->type == VL_PQ_T_INT96 && ts->repetition_type == VL_PQ_REP_OPTIONAL);
        CHECK(t, f.m.row_groups[0].columns[0].meta.codec == VL_PQ_CODEC_UNCOMPRESSED);
        CHECK(t, f.m.has_created_by && f.m.created_by.n >= 6 &&
                     strncmp(f.m.created_by.p, "impala", 6) == 0);
        pq_close(&f);
    }
    if (open_named(t, &f, root, "alltypes_plain.snappy.parquet")) {
        CHECK_EQ_INT(t, f.m.num_rows, 2);
        CHECK_EQ_INT(t, f.m.row_groups[0].columns[0].meta.codec, VL_PQ_CODEC_SNAPPY);
        pq_close(&f);
    }
    if (open_named(t, &f, root, "int32_decimal.parquet")) {
        CHECK_EQ_INT(t, f.m.num_rows, 24);
        const vl_pq_schema_elem *c = &f.m.schema[1];
        CHECK(t, c->type == VL_PQ_T_INT32 && c->has_scale && c->scale == 2 && c->precision == 4);
        CHECK_EQ_INT(t, c->converted_type, VL_PQ_CT_DECIMAL);
        pq_close(&f);
    }
    if (open_named(t, &f, root, "fixed_length_decimal.parquet")) {
        const vl_pq_schema_elem *c = &f.m.schema[1];
        CHECK(t, c->type == VL_PQ_T_FIXED_LEN_BYTE_ARRAY && c->type_length == 11);
        CHECK(t, c->precision == 25 && c->scale == 2);
        pq_close(&f);
    }
    if (open_named(t, &f, root, "sort_columns.parquet")) {
        CHECK_EQ_INT(t, f.m.n_row_groups, 2);
        CHECK_EQ_INT(t, f.m.num_rows, 6);
        const vl_pq_row_group *g = &f.m.row_groups[0];
        REQUIRE(t, g->has_sorting_columns && g->n_sorting_columns == 2);
        CHECK(t, g->sorting_columns[0].column_idx == 0 && g->sorting_columns[0].descending &&
                     g->sorting_columns[0].nulls_first);
        CHECK(t, g->sorting_columns[1].column_idx == 1 && !g->sorting_columns[1].descending &&
                     !g->sorting_columns[1].nulls_first);
        pq_close(&f);
    }
    if (open_named(t, &f, root, "column_chunk_key_value_metadata.parquet")) {
        CHECK_EQ_INT(t, f.m.num_rows, 0);
        CHECK_EQ_INT(t, leaf_count(&f.m), 2);
        const vl_pq_column_meta *cm = &f.m.row_groups[0].columns[0].meta;
        REQUIRE(t, cm->has_key_value_metadata && cm->n_key_value_metadata == 2);
        CHECK(t, sv_is(cm->key_value_metadata[0].key, "foo") &&
                     sv_is(cm->key_value_metadata[0].value, "bar"));
        CHECK(t, sv_is(cm->key_value_metadata[1].key, "thisiskeywithoutvalue") &&
                     !cm->key_value_metadata[1].has_value);
        pq_close(&f);
    }
    if (open_named(t, &f, root, "binary_truncated_min_max.parquet")) {
        CHECK_EQ_INT(t, f.m.num_rows, 12);
        CHECK_EQ_INT(t, leaf_count(&f.m), 6);
        int found = 0;
        const vl_pq_row_group *g = &f.m.row_groups[0];
        for (uint32_t c = 0; c < g->n_columns; c++) {
            const vl_pq_column_meta *cm = &g->columns[c].meta;
            const vl_pq_stats *s = &cm->statistics;
            REQUIRE(t, cm->n_path_in_schema == 1);
            if (sv_is(cm->path_in_schema[0], "utf8_full_truncation")) {
                found++;
                CHECK(t, s->has_min_value && sv_is(s->min_value, "Al") && !s->is_min_value_exact);
                CHECK(t, s->has_max_value && sv_is(s->max_value, "Kf") && !s->is_max_value_exact);
                CHECK(t, s->has_is_max_value_exact && s->has_is_min_value_exact);
            }
            if (sv_is(cm->path_in_schema[0], "binary_partial_truncation")) {
                found++;
                CHECK(t, sv_is(s->min_value, "Al") && !s->is_min_value_exact);
                CHECK(t, sv_is(s->max_value, "\xff\xff\x01\x02") && s->is_max_value_exact);
            }
        }
        CHECK_EQ_INT(t, found, 2);
        pq_close(&f);
    }
    if (open_named(t, &f, root, "dict-page-offset-zero.parquet")) {
        CHECK_EQ_INT(t, f.m.num_rows, 39);
        const vl_pq_column_meta *cm = &f.m.row_groups[0].columns[0].meta;
        CHECK(t, cm->has_dictionary_page_offset && cm->dictionary_page_offset == 0);
        pq_close(&f);
    }
    if (open_named(t, &f, root, "data_index_bloom_encoding_stats.parquet")) {
        CHECK_EQ_INT(t, f.m.num_rows, 14);
        const vl_pq_column_chunk *c = &f.m.row_groups[0].columns[0];
        CHECK_EQ_INT(t, c->meta.codec, VL_PQ_CODEC_GZIP);
        CHECK(t, c->meta.has_encoding_stats && c->meta.n_encoding_stats > 0);
        CHECK(t, c->meta.has_bloom_filter_offset && c->meta.bloom_filter_offset > 0);
        CHECK(t, c->has_column_index_offset && c->has_offset_index_offset);
        CHECK(t, find_col(&f.m, "String") != NULL);
        pq_close(&f);
    }
    if (open_named(t, &f, root, "repeated_no_annotation.parquet")) {
        CHECK_EQ_INT(t, f.m.num_rows, 0); /* as the README says: the footer lies */
        CHECK_EQ_INT(t, f.m.row_groups[0].num_rows, 6);
        pq_close(&f);
    }
    if (open_named(t, &f, root, "nested_structs.rust.parquet")) {
        CHECK_EQ_INT(t, leaf_count(&f.m), 216);
        CHECK_EQ_INT(t, f.m.row_groups[0].n_columns, 216);
        CHECK_EQ_INT(t, f.m.row_groups[0].columns[0].meta.codec, VL_PQ_CODEC_ZSTD);
        pq_close(&f);
    }
    if (open_named(t, &f, root, "floating_orders_nan_count.parquet")) {
        CHECK_EQ_INT(t, f.m.n_row_groups, 5);
        CHECK_EQ_INT(t, f.m.num_rows, 50);
        bool ieee = false, nan = false;
        for (uint32_t i = 0; i < f.m.n_column_orders; i++)
            ieee |= f.m.column_orders[i] == VL_PQ_ORDER_IEEE754_TOTAL;
        const vl_pq_row_group *g = &f.m.row_groups[1];
        for (uint32_t c = 0; c < g->n_columns; c++) nan |= g->columns[c].meta.statistics.has_nan_count;
        CHECK(t, ieee && nan);
        pq_close(&f);
    }
    if (open_named(t, &f, root, "float16_nonzeros_and_nans.parquet")) {
        CHECK_EQ_INT(t, f.m.num_rows, 8);
        CHECK_EQ_INT(t, f.m.schema[1].logical.kind, VL_PQ_LT_FLOAT16);
        CHECK_EQ_INT(t, f.m.schema[1].type_length, 2);
        pq_close(&f);
    }
    if (open_named(t, &f, root, "unknown-logical-type.parquet")) {
        CHECK_EQ_INT(t, f.m.num_rows, 3);
        const vl_pq_schema_elem *k = find_col(&f.m, "column with known type");
        const vl_pq_schema_elem *u = find_col(&f.m, "column with unknown type");
        CHECK(t, k && k->logical.kind == VL_PQ_LT_STRING);
        CHECK(t, u && u->logical.kind == VL_PQ_LT_FUTURE && u->type == VL_PQ_T_BYTE_ARRAY);
        pq_close(&f);
    }
    if (open_named(t, &f, root, "delta_binary_packed.parquet")) {
        CHECK_EQ_INT(t, f.m.num_rows, 200);
        CHECK_EQ_INT(t, leaf_count(&f.m), 66);
        pq_close(&f);
    }
    if (open_named(t, &f, root, "overflow_i16_page_cnt.parquet")) {
        CHECK_EQ_INT(t, f.m.num_rows, 40000);
        pq_close(&f);
    }
    if (open_named(t, &f, root, "int96_from_spark.parquet")) {
        CHECK_EQ_INT(t, f.m.num_rows, 6);
        CHECK_EQ_INT(t, f.m.schema[1].type, VL_PQ_T_INT96);
        pq_close(&f);
    }
    if (open_named(t, &f, root, "datapage_v2.snappy.parquet")) {
        CHECK_EQ_INT(t, f.m.num_rows, 5);
        CHECK_EQ_INT(t, f.m.row_groups[0].columns[0].meta.codec, VL_PQ_CODEC_SNAPPY);
        const vl_pq_column_meta *cm = &f.m.row_groups[0].columns[1].meta; /* b */
        vl_pq_page_header h;
        size_t used;
        vl_error err;
        REQUIRE(t, cm->data_page_offset > 0 && (uint64_t)cm->data_page_offset < f.size);
        CHECK(t, vl_pq_page_header_decode(f.bytes + cm->data_page_offset,
                                          f.size - (size_t)cm->data_page_offset, &used, &h,
                                          &err) == VL_OK);
        CHECK(t, h.type == VL_PQ_PAGE_DATA_V2 && h.has_data_v2 && h.data_v2.num_rows == 5);
        CHECK_EQ_INT(t, h.data_v2.encoding, VL_PQ_ENC_DELTA_BINARY_PACKED);
        pq_close(&f);
    }
}

static void t_bad_files(vl_test *t) {
    const char *root = testdata_dir();
    if (!root) SKIP(t, "no test data (set VIDLAKE_TESTDATA)");
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/parquet/bad_data", root);
    DIR *d = opendir(dir);
    if (!d) SKIP(t, "no parquet/bad_data");
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[8192];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        pq_file f;
        vl_error err;
        int rc = pq_open(&f, path, &err);
        CHECKF(t, rc == VL_OK || rc == VL_ECORRUPT || rc == VL_ENOTSUP, "%s: rc %d", e->d_name, rc);
        if (rc == VL_OK) {
            int v2 = 0, crc = 0, dict = 0;
            (void)check_first_pages(&f, false, &v2, &crc, &dict); /* clean results, never a crash */
        }
        pq_close(&f);
        n++;
    }
    closedir(d);
    CHECK(t, n > 0);
}

static const vl_test_case cases[] = {
    {"varints and zigzag handle every edge", t_varint_zigzag},
    {"field headers use the short and long forms", t_field_headers},
    {"a rich FileMetaData survives encode then decode field by field", t_meta_round_trip},
    {"page headers of all three kinds survive encode then decode", t_page_header_round_trip},
    {"a footer cut at every byte is refused cleanly", t_truncated_footer},
    {"lists larger than the bytes left or the hard cap are refused", t_huge_lists},
    {"nesting deeper than 64 levels is refused", t_deep_nesting},
    {"unknown fields of every wire type are skipped", t_unknown_fields_skipped},
    {"logical types round trip and unknown ones are tolerated", t_logical_types},
    {"missing required fields and encrypted metadata are named", t_required_and_encrypted},
    {"the footer trailer is checked against the file size", t_footer_locate},
    {"decode and encode fail cleanly when memory runs out", t_out_of_memory},
    {"every footer in the test data decodes and re-encodes", t_real_files},
    {"facts from the test data README hold", t_real_file_facts},
    {"bad_data files give a clean error or decode", t_bad_files},
};
VL_TEST_MAIN(cases)
