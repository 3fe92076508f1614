/* vidlake - Apache-2.0 */
/*
 * Parquet metadata: FileMetaData (the footer) and PageHeader, decoded from
 * and encoded to the Thrift compact protocol (parquet_thrift.c).
 *
 * Decoding is one pass over the bytes. Each struct decoder loops over field
 * headers; known ids with the expected wire type are stored, everything else
 * is skipped (as Thrift's generated code does), and the required fields are
 * checked at the struct's end ("RowGroup.num_rows missing"). Strings and
 * binaries stay in the input (vl_sv views); arrays are sized from their list
 * header, which parquet_thrift.c has already bounded by the bytes left, and
 * come from the caller's arena in one allocation per list.
 *
 * Deliberately not done here: semantic checks across structures (schema
 * tree shape, column count per row group, offsets inside the file). Those
 * belong to the reader that builds the schema. Encrypted files are refused.
 */
#include "parquet/parquet_meta.h"

#include <string.h>

typedef struct dec {
    vl_pq_tc_reader r;
    vl_arena *a;
} dec;

#define TRY(x) VL_RETURN_IF_ERR(x)

/* Field loop: FIELDS_BEGIN; cases; FIELDS_END. A case that consumes its
 * value `continue`s; one that does not (wrong wire type) `break`s and the
 * value is skipped like an unknown field. */
#define FIELDS_BEGIN(d)                                                        \
    TRY(vl_pq_tc_struct_begin(&(d)->r));                                       \
    int16_t last_ = 0, id_ = 0;                                                \
    uint8_t t_ = 0;                                                            \
    for (;;) {                                                                 \
        TRY(vl_pq_tc_field(&(d)->r, &last_, &t_, &id_));                       \
        if (t_ == VL_TC_STOP) break;                                           \
        switch (id_) {
#define FIELDS_END(d)                                                          \
        }                                                                      \
        TRY(vl_pq_tc_skip(&(d)->r, t_));                                       \
    }                                                                          \
    vl_pq_tc_struct_end(&(d)->r)

#define IS_BOOL(t) ((t) == VL_TC_TRUE || (t) == VL_TC_FALSE)

#define F_I32(fid, dst, then)                                                  \
    case fid:                                                                  \
        if (t_ == VL_TC_I32) {                                                 \
            TRY(vl_pq_tc_read_i32(&d->r, &(dst)));                             \
            then;                                                              \
            continue;                                                          \
        }                                                                      \
        break;
#define F_I64(fid, dst, then)                                                  \
    case fid:                                                                  \
        if (t_ == VL_TC_I64) {                                                 \
            TRY(vl_pq_tc_read_i64(&d->r, &(dst)));                             \
            then;                                                              \
            continue;                                                          \
        }                                                                      \
        break;
#define F_BIN(fid, dst, then)                                                  \
    case fid:                                                                  \
        if (t_ == VL_TC_BINARY) {                                              \
            TRY(vl_pq_tc_read_binary(&d->r, &(dst)));                          \
            then;                                                              \
            continue;                                                          \
        }                                                                      \
        break;
#define F_BOOL(fid, dst, then)                                                 \
    case fid:                                                                  \
        if (IS_BOOL(t_)) {                                                     \
            (dst) = t_ == VL_TC_TRUE;                                          \
            then;                                                              \
            continue;                                                          \
        }                                                                      \
        break;
#define F_CALL(fid, type, call, then)                                          \
    case fid:                                                                  \
        if (t_ == (type)) {                                                    \
            TRY(call);                                                         \
            then;                                                              \
            continue;                                                          \
        }                                                                      \
        break;

#define REQUIRE(bit, name)                                                     \
    do {                                                                       \
        if (!(seen & (1u << (bit)))) return vl_pq_tc_fail(&d->r, name " missing"); \
    } while (0)

#define SEEN(bit) (seen |= 1u << (bit))

/* One arena allocation for a list of count elements of size bytes. */
static int arr_alloc(dec *d, uint32_t count, size_t size, const char *what, void **out) {
    *out = NULL;
    if (count == 0) return VL_OK;
    if (count > SIZE_MAX / size)
        return vl_pq_tc_fail_code(&d->r, VL_ENOMEM, "%u %s do not fit in memory", count, what);
    *out = vl_arena_alloc(d->a, (size_t)count * size);
    if (!*out)
        return vl_pq_tc_fail_code(&d->r, VL_ENOMEM, "out of memory for %u %s", count, what);
    return VL_OK;
}

/* --------------------------------------------------------------- decoders */

static int dec_stats(dec *d, vl_pq_stats *s) {
    memset(s, 0, sizeof(*s));
    FIELDS_BEGIN(d)
    F_BIN(1, s->max, s->has_max = true)
    F_BIN(2, s->min, s->has_min = true)
    F_I64(3, s->null_count, s->has_null_count = true)
    F_I64(4, s->distinct_count, s->has_distinct_count = true)
    F_BIN(5, s->max_value, s->has_max_value = true)
    F_BIN(6, s->min_value, s->has_min_value = true)
    F_BOOL(7, s->is_max_value_exact, s->has_is_max_value_exact = true)
    F_BOOL(8, s->is_min_value_exact, s->has_is_min_value_exact = true)
    F_I64(9, s->nan_count, s->has_nan_count = true)
    FIELDS_END(d);
    return VL_OK;
}

/* TimeUnit union: *unit is the member id, 0 if none is known. */
static int dec_time_unit(dec *d, int32_t *unit) {
    *unit = 0;
    FIELDS_BEGIN(d)
    case VL_PQ_UNIT_MILLIS:
    case VL_PQ_UNIT_MICROS:
    case VL_PQ_UNIT_NANOS:
        if (t_ == VL_TC_STRUCT) {
            TRY(vl_pq_tc_skip(&d->r, t_)); /* empty struct; tolerate content */
            *unit = id_;
            continue;
        }
        break;
    FIELDS_END(d);
    return VL_OK;
}

static int dec_time(dec *d, vl_pq_logical_type *lt, const char *name) {
    uint32_t seen = 0;
    FIELDS_BEGIN(d)
    F_BOOL(1, lt->is_adjusted_to_utc, SEEN(0))
    F_CALL(2, VL_TC_STRUCT, dec_time_unit(d, &lt->unit), SEEN(1))
    FIELDS_END(d);
    if (!(seen & 1)) return vl_pq_tc_fail(&d->r, "%s.isAdjustedToUTC missing", name);
    if (!(seen & 2)) return vl_pq_tc_fail(&d->r, "%s.unit missing", name);
    return VL_OK;
}

static int dec_decimal(dec *d, vl_pq_logical_type *lt) {
    uint32_t seen = 0;
    FIELDS_BEGIN(d)
    F_I32(1, lt->scale, SEEN(0))
    F_I32(2, lt->precision, SEEN(1))
    FIELDS_END(d);
    REQUIRE(0, "DecimalType.scale");
    REQUIRE(1, "DecimalType.precision");
    return VL_OK;
}

static int dec_int_type(dec *d, vl_pq_logical_type *lt) {
    uint32_t seen = 0;
    FIELDS_BEGIN(d)
    F_CALL(1, VL_TC_I8, vl_pq_tc_read_i8(&d->r, &lt->bit_width), SEEN(0))
    F_BOOL(2, lt->is_signed, SEEN(1))
    FIELDS_END(d);
    REQUIRE(0, "IntType.bitWidth");
    REQUIRE(1, "IntType.isSigned");
    return VL_OK;
}

/* LogicalType union. The last known member wins; only unknown members (or
 * none) give VL_PQ_LT_FUTURE. A TIME/TIMESTAMP with an unknown unit is also
 * FUTURE: the column is then read by its physical type. */
static int dec_logical(dec *d, vl_pq_logical_type *lt) {
    memset(lt, 0, sizeof(*lt));
    lt->kind = VL_PQ_LT_FUTURE;
    FIELDS_BEGIN(d)
    case VL_PQ_LT_STRING:
    case VL_PQ_LT_MAP:
    case VL_PQ_LT_LIST:
    case VL_PQ_LT_ENUM:
    case VL_PQ_LT_DATE:
    case VL_PQ_LT_UNKNOWN:
    case VL_PQ_LT_JSON:
    case VL_PQ_LT_BSON:
    case VL_PQ_LT_UUID:
    case VL_PQ_LT_FLOAT16:
        if (t_ == VL_TC_STRUCT) {
            TRY(vl_pq_tc_skip(&d->r, t_)); /* empty structs today */
            lt->kind = id_;
            continue;
        }
        break;
    case VL_PQ_LT_DECIMAL:
        if (t_ == VL_TC_STRUCT) {
            TRY(dec_decimal(d, lt));
            lt->kind = id_;
            continue;
        }
        break;
    case VL_PQ_LT_TIME:
    case VL_PQ_LT_TIMESTAMP:
        if (t_ == VL_TC_STRUCT) {
            vl_pq_logical_type tmp;
            memset(&tmp, 0, sizeof(tmp));
            TRY(dec_time(d, &tmp, id_ == VL_PQ_LT_TIME ? "TimeType" : "TimestampType"));
            if (tmp.unit != 0) {
                lt->kind = id_;
                lt->unit = tmp.unit;
                lt->is_adjusted_to_utc = tmp.is_adjusted_to_utc;
            } else if (lt->kind == VL_PQ_LT_FUTURE && lt->future_id == 0) {
                lt->future_id = id_;
            }
            continue;
        }
        break;
    case VL_PQ_LT_INTEGER:
        if (t_ == VL_TC_STRUCT) {
            TRY(dec_int_type(d, lt));
            lt->kind = id_;
            continue;
        }
        break;
    default:
        if (lt->kind == VL_PQ_LT_FUTURE && lt->future_id == 0) lt->future_id = id_;
        break;
    FIELDS_END(d);
    if (lt->kind != VL_PQ_LT_FUTURE) lt->future_id = 0;
    return VL_OK;
}

static int dec_schema_elem(dec *d, vl_pq_schema_elem *e) {
    memset(e, 0, sizeof(*e));
    uint32_t seen = 0;
    FIELDS_BEGIN(d)
    F_I32(1, e->type, e->has_type = true)
    F_I32(2, e->type_length, e->has_type_length = true)
    F_I32(3, e->repetition_type, e->has_repetition_type = true)
    F_BIN(4, e->name, SEEN(0))
    F_I32(5, e->num_children, e->has_num_children = true)
    F_I32(6, e->converted_type, e->has_converted_type = true)
    F_I32(7, e->scale, e->has_scale = true)
    F_I32(8, e->precision, e->has_precision = true)
    F_I32(9, e->field_id, e->has_field_id = true)
    F_CALL(10, VL_TC_STRUCT, dec_logical(d, &e->logical), (void)0)
    FIELDS_END(d);
    REQUIRE(0, "SchemaElement.name");
    return VL_OK;
}

static int dec_kv(dec *d, vl_pq_key_value *kv) {
    memset(kv, 0, sizeof(*kv));
    uint32_t seen = 0;
    FIELDS_BEGIN(d)
    F_BIN(1, kv->key, SEEN(0))
    F_BIN(2, kv->value, kv->has_value = true)
    FIELDS_END(d);
    REQUIRE(0, "KeyValue.key");
    return VL_OK;
}

/* Smallest encodings of structs with required fields (field header + value
 * bytes + stop byte), used to bound list counts more tightly than 1 byte. */
#define MIN_KV 3             /* key: header, empty length, stop */
#define MIN_SCHEMA_ELEM 3    /* name */
#define MIN_SORTING_COLUMN 5 /* i32 + two bools + stop */
#define MIN_ENC_STATS 7      /* three i32 + stop */
#define MIN_COLUMN_CHUNK 3   /* file_offset + stop */
#define MIN_ROW_GROUP 7      /* list + two i64 + stop */

static int dec_kv_list(dec *d, vl_pq_key_value **out, uint32_t *n) {
    TRY(vl_pq_tc_struct_begin(&d->r));
    TRY(vl_pq_tc_list_begin(&d->r, VL_TC_STRUCT, MIN_KV, "key/value pairs", n));
    TRY(arr_alloc(d, *n, sizeof(**out), "key/value pairs", (void **)out));
    for (uint32_t i = 0; i < *n; i++) TRY(dec_kv(d, &(*out)[i]));
    vl_pq_tc_struct_end(&d->r);
    return VL_OK;
}

static int dec_i32_list(dec *d, const char *what, int32_t **out, uint32_t *n) {
    TRY(vl_pq_tc_struct_begin(&d->r));
    TRY(vl_pq_tc_list_begin(&d->r, VL_TC_I32, 1, what, n));
    TRY(arr_alloc(d, *n, sizeof(**out), what, (void **)out));
    for (uint32_t i = 0; i < *n; i++) TRY(vl_pq_tc_read_i32(&d->r, &(*out)[i]));
    vl_pq_tc_struct_end(&d->r);
    return VL_OK;
}

static int dec_str_list(dec *d, const char *what, vl_sv **out, uint32_t *n) {
    TRY(vl_pq_tc_struct_begin(&d->r));
    TRY(vl_pq_tc_list_begin(&d->r, VL_TC_BINARY, 1, what, n));
    TRY(arr_alloc(d, *n, sizeof(**out), what, (void **)out));
    for (uint32_t i = 0; i < *n; i++) TRY(vl_pq_tc_read_binary(&d->r, &(*out)[i]));
    vl_pq_tc_struct_end(&d->r);
    return VL_OK;
}

static int dec_sorting_column(dec *d, vl_pq_sorting_column *s) {
    memset(s, 0, sizeof(*s));
    uint32_t seen = 0;
    FIELDS_BEGIN(d)
    F_I32(1, s->column_idx, SEEN(0))
    F_BOOL(2, s->descending, SEEN(1))
    F_BOOL(3, s->nulls_first, SEEN(2))
    FIELDS_END(d);
    REQUIRE(0, "SortingColumn.column_idx");
    REQUIRE(1, "SortingColumn.descending");
    REQUIRE(2, "SortingColumn.nulls_first");
    return VL_OK;
}

static int dec_enc_stats(dec *d, vl_pq_page_enc_stats *s) {
    memset(s, 0, sizeof(*s));
    uint32_t seen = 0;
    FIELDS_BEGIN(d)
    F_I32(1, s->page_type, SEEN(0))
    F_I32(2, s->encoding, SEEN(1))
    F_I32(3, s->count, SEEN(2))
    FIELDS_END(d);
    REQUIRE(0, "PageEncodingStats.page_type");
    REQUIRE(1, "PageEncodingStats.encoding");
    REQUIRE(2, "PageEncodingStats.count");
    return VL_OK;
}

static int dec_enc_stats_list(dec *d, vl_pq_column_meta *m) {
    TRY(vl_pq_tc_struct_begin(&d->r));
    TRY(vl_pq_tc_list_begin(&d->r, VL_TC_STRUCT, MIN_ENC_STATS, "encoding stats",
                            &m->n_encoding_stats));
    TRY(arr_alloc(d, m->n_encoding_stats, sizeof(*m->encoding_stats), "encoding stats",
                  (void **)&m->encoding_stats));
    for (uint32_t i = 0; i < m->n_encoding_stats; i++)
        TRY(dec_enc_stats(d, &m->encoding_stats[i]));
    vl_pq_tc_struct_end(&d->r);
    return VL_OK;
}

static int dec_column_meta(dec *d, vl_pq_column_meta *m) {
    memset(m, 0, sizeof(*m));
    uint32_t seen = 0;
    FIELDS_BEGIN(d)
    F_I32(1, m->type, SEEN(0))
    F_CALL(2, VL_TC_LIST, dec_i32_list(d, "encodings", &m->encodings, &m->n_encodings), SEEN(1))
    F_CALL(3, VL_TC_LIST,
           dec_str_list(d, "path elements", &m->path_in_schema, &m->n_path_in_schema), SEEN(2))
    F_I32(4, m->codec, SEEN(3))
    F_I64(5, m->num_values, SEEN(4))
    F_I64(6, m->total_uncompressed_size, SEEN(5))
    F_I64(7, m->total_compressed_size, SEEN(6))
    F_CALL(8, VL_TC_LIST, dec_kv_list(d, &m->key_value_metadata, &m->n_key_value_metadata),
           m->has_key_value_metadata = true)
    F_I64(9, m->data_page_offset, SEEN(7))
    F_I64(10, m->index_page_offset, m->has_index_page_offset = true)
    F_I64(11, m->dictionary_page_offset, m->has_dictionary_page_offset = true)
    F_CALL(12, VL_TC_STRUCT, dec_stats(d, &m->statistics), m->has_statistics = true)
    F_CALL(13, VL_TC_LIST, dec_enc_stats_list(d, m), m->has_encoding_stats = true)
    F_I64(14, m->bloom_filter_offset, m->has_bloom_filter_offset = true)
    F_I32(15, m->bloom_filter_length, m->has_bloom_filter_length = true)
    FIELDS_END(d);
    REQUIRE(0, "ColumnMetaData.type");
    REQUIRE(1, "ColumnMetaData.encodings");
    REQUIRE(2, "ColumnMetaData.path_in_schema");
    REQUIRE(3, "ColumnMetaData.codec");
    REQUIRE(4, "ColumnMetaData.num_values");
    REQUIRE(5, "ColumnMetaData.total_uncompressed_size");
    REQUIRE(6, "ColumnMetaData.total_compressed_size");
    REQUIRE(7, "ColumnMetaData.data_page_offset");
    return VL_OK;
}

static int encrypted(dec *d, const char *field) {
    return vl_pq_tc_fail_code(&d->r, VL_ENOTSUP, "encrypted Parquet is not supported (%s is set)",
                              field);
}

static int dec_column_chunk(dec *d, vl_pq_column_chunk *c) {
    memset(c, 0, sizeof(*c));
    uint32_t seen = 0;
    FIELDS_BEGIN(d)
    F_BIN(1, c->file_path, c->has_file_path = true)
    F_I64(2, c->file_offset, SEEN(0))
    F_CALL(3, VL_TC_STRUCT, dec_column_meta(d, &c->meta), c->has_meta = true)
    F_I64(4, c->offset_index_offset, c->has_offset_index_offset = true)
    F_I32(5, c->offset_index_length, c->has_offset_index_length = true)
    F_I64(6, c->column_index_offset, c->has_column_index_offset = true)
    F_I32(7, c->column_index_length, c->has_column_index_length = true)
    case 8:
        return encrypted(d, "ColumnChunk.crypto_metadata");
    case 9:
        return encrypted(d, "ColumnChunk.encrypted_column_metadata");
    FIELDS_END(d);
    REQUIRE(0, "ColumnChunk.file_offset");
    return VL_OK;
}

static int dec_columns(dec *d, vl_pq_row_group *g) {
    TRY(vl_pq_tc_struct_begin(&d->r));
    TRY(vl_pq_tc_list_begin(&d->r, VL_TC_STRUCT, MIN_COLUMN_CHUNK, "column chunks",
                            &g->n_columns));
    TRY(arr_alloc(d, g->n_columns, sizeof(*g->columns), "column chunks", (void **)&g->columns));
    for (uint32_t i = 0; i < g->n_columns; i++) TRY(dec_column_chunk(d, &g->columns[i]));
    vl_pq_tc_struct_end(&d->r);
    return VL_OK;
}

static int dec_sorting_columns(dec *d, vl_pq_row_group *g) {
    TRY(vl_pq_tc_struct_begin(&d->r));
    TRY(vl_pq_tc_list_begin(&d->r, VL_TC_STRUCT, MIN_SORTING_COLUMN, "sorting columns",
                            &g->n_sorting_columns));
    TRY(arr_alloc(d, g->n_sorting_columns, sizeof(*g->sorting_columns), "sorting columns",
                  (void **)&g->sorting_columns));
    for (uint32_t i = 0; i < g->n_sorting_columns; i++)
        TRY(dec_sorting_column(d, &g->sorting_columns[i]));
    vl_pq_tc_struct_end(&d->r);
    return VL_OK;
}

static int dec_row_group(dec *d, vl_pq_row_group *g) {
    memset(g, 0, sizeof(*g));
    uint32_t seen = 0;
    FIELDS_BEGIN(d)
    F_CALL(1, VL_TC_LIST, dec_columns(d, g), SEEN(0))
    F_I64(2, g->total_byte_size, SEEN(1))
    F_I64(3, g->num_rows, SEEN(2))
    F_CALL(4, VL_TC_LIST, dec_sorting_columns(d, g), g->has_sorting_columns = true)
    F_I64(5, g->file_offset, g->has_file_offset = true)
    F_I64(6, g->total_compressed_size, g->has_total_compressed_size = true)
    F_CALL(7, VL_TC_I16, vl_pq_tc_read_i16(&d->r, &g->ordinal), g->has_ordinal = true)
    FIELDS_END(d);
    REQUIRE(0, "RowGroup.columns");
    REQUIRE(1, "RowGroup.total_byte_size");
    REQUIRE(2, "RowGroup.num_rows");
    return VL_OK;
}

static int dec_schema(dec *d, vl_pq_file_meta *m) {
    TRY(vl_pq_tc_struct_begin(&d->r));
    TRY(vl_pq_tc_list_begin(&d->r, VL_TC_STRUCT, MIN_SCHEMA_ELEM, "schema elements",
                            &m->n_schema));
    TRY(arr_alloc(d, m->n_schema, sizeof(*m->schema), "schema elements", (void **)&m->schema));
    for (uint32_t i = 0; i < m->n_schema; i++) TRY(dec_schema_elem(d, &m->schema[i]));
    vl_pq_tc_struct_end(&d->r);
    return VL_OK;
}

static int dec_row_groups(dec *d, vl_pq_file_meta *m) {
    TRY(vl_pq_tc_struct_begin(&d->r));
    TRY(vl_pq_tc_list_begin(&d->r, VL_TC_STRUCT, MIN_ROW_GROUP, "row groups",
                            &m->n_row_groups));
    TRY(arr_alloc(d, m->n_row_groups, sizeof(*m->row_groups), "row groups",
                  (void **)&m->row_groups));
    for (uint32_t i = 0; i < m->n_row_groups; i++) TRY(dec_row_group(d, &m->row_groups[i]));
    vl_pq_tc_struct_end(&d->r);
    return VL_OK;
}

/* ColumnOrder union: the id of its member (all members are empty structs). */
static int dec_column_order(dec *d, int32_t *order) {
    *order = VL_PQ_ORDER_NONE;
    FIELDS_BEGIN(d)
    default:
        if (t_ == VL_TC_STRUCT && *order == VL_PQ_ORDER_NONE) *order = id_;
        break;
    FIELDS_END(d);
    return VL_OK;
}

static int dec_column_orders(dec *d, vl_pq_file_meta *m) {
    TRY(vl_pq_tc_struct_begin(&d->r));
    TRY(vl_pq_tc_list_begin(&d->r, VL_TC_STRUCT, 1, "column orders", &m->n_column_orders));
    TRY(arr_alloc(d, m->n_column_orders, sizeof(*m->column_orders), "column orders",
                  (void **)&m->column_orders));
    for (uint32_t i = 0; i < m->n_column_orders; i++)
        TRY(dec_column_order(d, &m->column_orders[i]));
    vl_pq_tc_struct_end(&d->r);
    return VL_OK;
}

static int dec_file_meta(dec *d, vl_pq_file_meta *m) {
    uint32_t seen = 0;
    FIELDS_BEGIN(d)
    F_I32(1, m->version, SEEN(0))
    F_CALL(2, VL_TC_LIST, dec_schema(d, m), SEEN(1))
    F_I64(3, m->num_rows, SEEN(2))
    F_CALL(4, VL_TC_LIST, dec_row_groups(d, m), SEEN(3))
    F_CALL(5, VL_TC_LIST, dec_kv_list(d, &m->key_value_metadata, &m->n_key_value_metadata),
           m->has_key_value_metadata = true)
    F_BIN(6, m->created_by, m->has_created_by = true)
    F_CALL(7, VL_TC_LIST, dec_column_orders(d, m), m->has_column_orders = true)
    case 8:
        return encrypted(d, "FileMetaData.encryption_algorithm");
    FIELDS_END(d);
    REQUIRE(0, "FileMetaData.version");
    REQUIRE(1, "FileMetaData.schema");
    REQUIRE(2, "FileMetaData.num_rows");
    REQUIRE(3, "FileMetaData.row_groups");
    if (m->n_schema == 0) return vl_pq_tc_fail(&d->r, "FileMetaData.schema is empty (no root)");
    return VL_OK;
}

int vl_pq_meta_decode(const uint8_t *p, size_t n, vl_arena *a, vl_pq_file_meta *out,
                      vl_error *err) {
    dec d;
    vl_pq_tc_reader_init(&d.r, p, n, "parquet footer", err);
    d.a = a;
    memset(out, 0, sizeof(*out));
    TRY(dec_file_meta(&d, out));
    if (d.r.pos != n)
        return vl_pq_tc_fail(&d.r, "%zu bytes after the end of FileMetaData", n - d.r.pos);
    return VL_OK;
}

/* ------------------------------------------------------------ page header */

static int dec_data_page(dec *d, vl_pq_data_page_header *h) {
    memset(h, 0, sizeof(*h));
    uint32_t seen = 0;
    FIELDS_BEGIN(d)
    F_I32(1, h->num_values, SEEN(0))
    F_I32(2, h->encoding, SEEN(1))
    F_I32(3, h->definition_level_encoding, SEEN(2))
    F_I32(4, h->repetition_level_encoding, SEEN(3))
    F_CALL(5, VL_TC_STRUCT, dec_stats(d, &h->statistics), h->has_statistics = true)
    FIELDS_END(d);
    REQUIRE(0, "DataPageHeader.num_values");
    REQUIRE(1, "DataPageHeader.encoding");
    REQUIRE(2, "DataPageHeader.definition_level_encoding");
    REQUIRE(3, "DataPageHeader.repetition_level_encoding");
    return VL_OK;
}

static int dec_dict_page(dec *d, vl_pq_dict_page_header *h) {
    memset(h, 0, sizeof(*h));
    uint32_t seen = 0;
    FIELDS_BEGIN(d)
    F_I32(1, h->num_values, SEEN(0))
    F_I32(2, h->encoding, SEEN(1))
    F_BOOL(3, h->is_sorted, h->has_is_sorted = true)
    FIELDS_END(d);
    REQUIRE(0, "DictionaryPageHeader.num_values");
    REQUIRE(1, "DictionaryPageHeader.encoding");
    return VL_OK;
}

static int dec_data_page_v2(dec *d, vl_pq_data_page_header_v2 *h) {
    memset(h, 0, sizeof(*h));
    h->is_compressed = true;
    uint32_t seen = 0;
    FIELDS_BEGIN(d)
    F_I32(1, h->num_values, SEEN(0))
    F_I32(2, h->num_nulls, SEEN(1))
    F_I32(3, h->num_rows, SEEN(2))
    F_I32(4, h->encoding, SEEN(3))
    F_I32(5, h->definition_levels_byte_length, SEEN(4))
    F_I32(6, h->repetition_levels_byte_length, SEEN(5))
    F_BOOL(7, h->is_compressed, h->has_is_compressed = true)
    F_CALL(8, VL_TC_STRUCT, dec_stats(d, &h->statistics), h->has_statistics = true)
    FIELDS_END(d);
    REQUIRE(0, "DataPageHeaderV2.num_values");
    REQUIRE(1, "DataPageHeaderV2.num_nulls");
    REQUIRE(2, "DataPageHeaderV2.num_rows");
    REQUIRE(3, "DataPageHeaderV2.encoding");
    REQUIRE(4, "DataPageHeaderV2.definition_levels_byte_length");
    REQUIRE(5, "DataPageHeaderV2.repetition_levels_byte_length");
    return VL_OK;
}

static int dec_page_header(dec *d, vl_pq_page_header *h) {
    uint32_t seen = 0;
    FIELDS_BEGIN(d)
    F_I32(1, h->type, SEEN(0))
    F_I32(2, h->uncompressed_page_size, SEEN(1))
    F_I32(3, h->compressed_page_size, SEEN(2))
    F_I32(4, h->crc, h->has_crc = true)
    F_CALL(5, VL_TC_STRUCT, dec_data_page(d, &h->data), h->has_data = true)
    F_CALL(6, VL_TC_STRUCT, vl_pq_tc_skip(&d->r, t_), h->has_index = true)
    F_CALL(7, VL_TC_STRUCT, dec_dict_page(d, &h->dict), h->has_dict = true)
    F_CALL(8, VL_TC_STRUCT, dec_data_page_v2(d, &h->data_v2), h->has_data_v2 = true)
    FIELDS_END(d);
    REQUIRE(0, "PageHeader.type");
    REQUIRE(1, "PageHeader.uncompressed_page_size");
    REQUIRE(2, "PageHeader.compressed_page_size");
    if (h->uncompressed_page_size < 0 || h->compressed_page_size < 0)
        return vl_pq_tc_fail(&d->r, "negative page size (uncompressed %d, compressed %d)",
                             (int)h->uncompressed_page_size, (int)h->compressed_page_size);
    if (h->type == VL_PQ_PAGE_DATA && !h->has_data)
        return vl_pq_tc_fail(&d->r, "PageHeader.data_page_header missing for a data page");
    if (h->type == VL_PQ_PAGE_DICTIONARY && !h->has_dict)
        return vl_pq_tc_fail(&d->r,
                             "PageHeader.dictionary_page_header missing for a dictionary page");
    if (h->type == VL_PQ_PAGE_DATA_V2 && !h->has_data_v2)
        return vl_pq_tc_fail(&d->r,
                             "PageHeader.data_page_header_v2 missing for a v2 data page");
    return VL_OK;
}

int vl_pq_page_header_decode(const uint8_t *p, size_t n, size_t *consumed,
                             vl_pq_page_header *out, vl_error *err) {
    dec d;
    vl_pq_tc_reader_init(&d.r, p, n, "parquet page header", err);
    d.a = NULL; /* page headers hold no arrays */
    memset(out, 0, sizeof(*out));
    TRY(dec_page_header(&d, out));
    *consumed = d.r.pos;
    return VL_OK;
}

/* ----------------------------------------------------------------- footer */

int vl_pq_footer_locate(const uint8_t *tail, size_t tail_n, uint64_t file_size,
                        uint32_t *meta_len, vl_error *err) {
    if (tail_n < VL_PQ_FOOTER_TAIL || tail_n > file_size)
        return vl_error_set(err, VL_EINVAL,
                            "parquet: footer tail of %zu bytes (need 8, at most the file size)",
                            tail_n);
    if (file_size < 12)
        return vl_error_set(err, VL_ECORRUPT,
                            "parquet: file of %llu bytes is too small (at least 12)",
                            (unsigned long long)file_size);
    const uint8_t *t = tail + tail_n - 8;
    if (memcmp(t + 4, "PAR1", 4) != 0) {
        if (memcmp(t + 4, "PARE", 4) == 0)
            return vl_error_set(err, VL_ENOTSUP,
                                "encrypted Parquet is not supported (encrypted footer, magic PARE)");
        return vl_error_set(err, VL_ECORRUPT,
                            "parquet: trailing magic is %02x %02x %02x %02x, not PAR1", t[4], t[5],
                            t[6], t[7]);
    }
    uint32_t len = (uint32_t)t[0] | (uint32_t)t[1] << 8 | (uint32_t)t[2] << 16 |
                   (uint32_t)t[3] << 24;
    if (len == 0) return vl_error_set(err, VL_ECORRUPT, "parquet: footer length is 0");
    /* leading magic (4) + footer + length (4) + trailing magic (4) */
    if ((uint64_t)len > file_size - 12)
        return vl_error_set(err, VL_ECORRUPT,
                            "parquet: footer length %u does not fit in a file of %llu bytes", len,
                            (unsigned long long)file_size);
    *meta_len = len;
    return VL_OK;
}

/* --------------------------------------------------------------- encoders */

static void enc_stats(vl_pq_tc_writer *w, const vl_pq_stats *s) {
    int16_t last = 0;
    if (s->has_max) vl_pq_tc_w_field_binary(w, &last, 1, s->max);
    if (s->has_min) vl_pq_tc_w_field_binary(w, &last, 2, s->min);
    if (s->has_null_count) vl_pq_tc_w_field_i64(w, &last, 3, s->null_count);
    if (s->has_distinct_count) vl_pq_tc_w_field_i64(w, &last, 4, s->distinct_count);
    if (s->has_max_value) vl_pq_tc_w_field_binary(w, &last, 5, s->max_value);
    if (s->has_min_value) vl_pq_tc_w_field_binary(w, &last, 6, s->min_value);
    if (s->has_is_max_value_exact) vl_pq_tc_w_field_bool(w, &last, 7, s->is_max_value_exact);
    if (s->has_is_min_value_exact) vl_pq_tc_w_field_bool(w, &last, 8, s->is_min_value_exact);
    if (s->has_nan_count) vl_pq_tc_w_field_i64(w, &last, 9, s->nan_count);
    vl_pq_tc_w_stop(w);
}

static void enc_empty_member(vl_pq_tc_writer *w, int16_t *last, int16_t id) {
    vl_pq_tc_w_field(w, last, id, VL_TC_STRUCT);
    vl_pq_tc_w_stop(w);
}

static void enc_logical(vl_pq_tc_writer *w, const vl_pq_logical_type *lt) {
    int16_t last = 0;
    switch (lt->kind) {
    case VL_PQ_LT_STRING: case VL_PQ_LT_MAP: case VL_PQ_LT_LIST: case VL_PQ_LT_ENUM:
    case VL_PQ_LT_DATE: case VL_PQ_LT_UNKNOWN: case VL_PQ_LT_JSON: case VL_PQ_LT_BSON:
    case VL_PQ_LT_UUID: case VL_PQ_LT_FLOAT16:
        enc_empty_member(w, &last, (int16_t)lt->kind);
        break;
    case VL_PQ_LT_DECIMAL: {
        vl_pq_tc_w_field(w, &last, VL_PQ_LT_DECIMAL, VL_TC_STRUCT);
        int16_t l2 = 0;
        vl_pq_tc_w_field_i32(w, &l2, 1, lt->scale);
        vl_pq_tc_w_field_i32(w, &l2, 2, lt->precision);
        vl_pq_tc_w_stop(w);
        break;
    }
    case VL_PQ_LT_TIME:
    case VL_PQ_LT_TIMESTAMP: {
        vl_pq_tc_w_field(w, &last, (int16_t)lt->kind, VL_TC_STRUCT);
        int16_t l2 = 0;
        vl_pq_tc_w_field_bool(w, &l2, 1, lt->is_adjusted_to_utc);
        vl_pq_tc_w_field(w, &l2, 2, VL_TC_STRUCT);
        int16_t l3 = 0;
        enc_empty_member(w, &l3, (int16_t)lt->unit);
        vl_pq_tc_w_stop(w); /* TimeUnit */
        vl_pq_tc_w_stop(w); /* TimeType / TimestampType */
        break;
    }
    case VL_PQ_LT_INTEGER: {
        vl_pq_tc_w_field(w, &last, VL_PQ_LT_INTEGER, VL_TC_STRUCT);
        int16_t l2 = 0;
        vl_pq_tc_w_field(w, &l2, 1, VL_TC_I8);
        vl_pq_tc_w_byte(w, (uint8_t)lt->bit_width);
        vl_pq_tc_w_field_bool(w, &l2, 2, lt->is_signed);
        vl_pq_tc_w_stop(w);
        break;
    }
    default: /* VL_PQ_LT_FUTURE: an empty union (checked by the caller) */
        break;
    }
    vl_pq_tc_w_stop(w);
}

static int check_logical(const vl_pq_logical_type *lt, vl_error *err) {
    switch (lt->kind) {
    case VL_PQ_LT_NONE: case VL_PQ_LT_STRING: case VL_PQ_LT_MAP: case VL_PQ_LT_LIST:
    case VL_PQ_LT_ENUM: case VL_PQ_LT_DECIMAL: case VL_PQ_LT_DATE: case VL_PQ_LT_INTEGER:
    case VL_PQ_LT_UNKNOWN: case VL_PQ_LT_JSON: case VL_PQ_LT_BSON: case VL_PQ_LT_UUID:
    case VL_PQ_LT_FLOAT16: case VL_PQ_LT_FUTURE:
        return VL_OK;
    case VL_PQ_LT_TIME:
    case VL_PQ_LT_TIMESTAMP:
        if (lt->unit >= VL_PQ_UNIT_MILLIS && lt->unit <= VL_PQ_UNIT_NANOS) return VL_OK;
        return vl_error_set(err, VL_EINVAL, "parquet: time unit %d is not MILLIS/MICROS/NANOS",
                            (int)lt->unit);
    default:
        return vl_error_set(err, VL_EINVAL, "parquet: unknown logical type kind %d",
                            (int)lt->kind);
    }
}

static void enc_schema_elem(vl_pq_tc_writer *w, const vl_pq_schema_elem *e) {
    int16_t last = 0;
    if (e->has_type) vl_pq_tc_w_field_i32(w, &last, 1, e->type);
    if (e->has_type_length) vl_pq_tc_w_field_i32(w, &last, 2, e->type_length);
    if (e->has_repetition_type) vl_pq_tc_w_field_i32(w, &last, 3, e->repetition_type);
    vl_pq_tc_w_field_binary(w, &last, 4, e->name);
    if (e->has_num_children) vl_pq_tc_w_field_i32(w, &last, 5, e->num_children);
    if (e->has_converted_type) vl_pq_tc_w_field_i32(w, &last, 6, e->converted_type);
    if (e->has_scale) vl_pq_tc_w_field_i32(w, &last, 7, e->scale);
    if (e->has_precision) vl_pq_tc_w_field_i32(w, &last, 8, e->precision);
    if (e->has_field_id) vl_pq_tc_w_field_i32(w, &last, 9, e->field_id);
    if (e->logical.kind != VL_PQ_LT_NONE) {
        vl_pq_tc_w_field(w, &last, 10, VL_TC_STRUCT);
        enc_logical(w, &e->logical);
    }
    vl_pq_tc_w_stop(w);
}

static void enc_kv_list(vl_pq_tc_writer *w, int16_t *last, int16_t id,
                        const vl_pq_key_value *kv, uint32_t n) {
    vl_pq_tc_w_field(w, last, id, VL_TC_LIST);
    vl_pq_tc_w_list(w, VL_TC_STRUCT, n);
    for (uint32_t i = 0; i < n; i++) {
        int16_t l2 = 0;
        vl_pq_tc_w_field_binary(w, &l2, 1, kv[i].key);
        if (kv[i].has_value) vl_pq_tc_w_field_binary(w, &l2, 2, kv[i].value);
        vl_pq_tc_w_stop(w);
    }
}

static void enc_column_meta(vl_pq_tc_writer *w, const vl_pq_column_meta *m) {
    int16_t last = 0;
    vl_pq_tc_w_field_i32(w, &last, 1, m->type);
    vl_pq_tc_w_field(w, &last, 2, VL_TC_LIST);
    vl_pq_tc_w_list(w, VL_TC_I32, m->n_encodings);
    for (uint32_t i = 0; i < m->n_encodings; i++) vl_pq_tc_w_i32(w, m->encodings[i]);
    vl_pq_tc_w_field(w, &last, 3, VL_TC_LIST);
    vl_pq_tc_w_list(w, VL_TC_BINARY, m->n_path_in_schema);
    for (uint32_t i = 0; i < m->n_path_in_schema; i++)
        vl_pq_tc_w_binary(w, m->path_in_schema[i].p, m->path_in_schema[i].n);
    vl_pq_tc_w_field_i32(w, &last, 4, m->codec);
    vl_pq_tc_w_field_i64(w, &last, 5, m->num_values);
    vl_pq_tc_w_field_i64(w, &last, 6, m->total_uncompressed_size);
    vl_pq_tc_w_field_i64(w, &last, 7, m->total_compressed_size);
    if (m->has_key_value_metadata)
        enc_kv_list(w, &last, 8, m->key_value_metadata, m->n_key_value_metadata);
    vl_pq_tc_w_field_i64(w, &last, 9, m->data_page_offset);
    if (m->has_index_page_offset) vl_pq_tc_w_field_i64(w, &last, 10, m->index_page_offset);
    if (m->has_dictionary_page_offset)
        vl_pq_tc_w_field_i64(w, &last, 11, m->dictionary_page_offset);
    if (m->has_statistics) {
        vl_pq_tc_w_field(w, &last, 12, VL_TC_STRUCT);
        enc_stats(w, &m->statistics);
    }
    if (m->has_encoding_stats) {
        vl_pq_tc_w_field(w, &last, 13, VL_TC_LIST);
        vl_pq_tc_w_list(w, VL_TC_STRUCT, m->n_encoding_stats);
        for (uint32_t i = 0; i < m->n_encoding_stats; i++) {
            int16_t l2 = 0;
            vl_pq_tc_w_field_i32(w, &l2, 1, m->encoding_stats[i].page_type);
            vl_pq_tc_w_field_i32(w, &l2, 2, m->encoding_stats[i].encoding);
            vl_pq_tc_w_field_i32(w, &l2, 3, m->encoding_stats[i].count);
            vl_pq_tc_w_stop(w);
        }
    }
    if (m->has_bloom_filter_offset) vl_pq_tc_w_field_i64(w, &last, 14, m->bloom_filter_offset);
    if (m->has_bloom_filter_length) vl_pq_tc_w_field_i32(w, &last, 15, m->bloom_filter_length);
    vl_pq_tc_w_stop(w);
}

static void enc_column_chunk(vl_pq_tc_writer *w, const vl_pq_column_chunk *c) {
    int16_t last = 0;
    if (c->has_file_path) vl_pq_tc_w_field_binary(w, &last, 1, c->file_path);
    vl_pq_tc_w_field_i64(w, &last, 2, c->file_offset);
    if (c->has_meta) {
        vl_pq_tc_w_field(w, &last, 3, VL_TC_STRUCT);
        enc_column_meta(w, &c->meta);
    }
    if (c->has_offset_index_offset) vl_pq_tc_w_field_i64(w, &last, 4, c->offset_index_offset);
    if (c->has_offset_index_length) vl_pq_tc_w_field_i32(w, &last, 5, c->offset_index_length);
    if (c->has_column_index_offset) vl_pq_tc_w_field_i64(w, &last, 6, c->column_index_offset);
    if (c->has_column_index_length) vl_pq_tc_w_field_i32(w, &last, 7, c->column_index_length);
    vl_pq_tc_w_stop(w);
}

static void enc_row_group(vl_pq_tc_writer *w, const vl_pq_row_group *g) {
    int16_t last = 0;
    vl_pq_tc_w_field(w, &last, 1, VL_TC_LIST);
    vl_pq_tc_w_list(w, VL_TC_STRUCT, g->n_columns);
    for (uint32_t i = 0; i < g->n_columns; i++) enc_column_chunk(w, &g->columns[i]);
    vl_pq_tc_w_field_i64(w, &last, 2, g->total_byte_size);
    vl_pq_tc_w_field_i64(w, &last, 3, g->num_rows);
    if (g->has_sorting_columns) {
        vl_pq_tc_w_field(w, &last, 4, VL_TC_LIST);
        vl_pq_tc_w_list(w, VL_TC_STRUCT, g->n_sorting_columns);
        for (uint32_t i = 0; i < g->n_sorting_columns; i++) {
            const vl_pq_sorting_column *s = &g->sorting_columns[i];
            int16_t l2 = 0;
            vl_pq_tc_w_field_i32(w, &l2, 1, s->column_idx);
            vl_pq_tc_w_field_bool(w, &l2, 2, s->descending);
            vl_pq_tc_w_field_bool(w, &l2, 3, s->nulls_first);
            vl_pq_tc_w_stop(w);
        }
    }
    if (g->has_file_offset) vl_pq_tc_w_field_i64(w, &last, 5, g->file_offset);
    if (g->has_total_compressed_size)
        vl_pq_tc_w_field_i64(w, &last, 6, g->total_compressed_size);
    if (g->has_ordinal) {
        vl_pq_tc_w_field(w, &last, 7, VL_TC_I16);
        vl_pq_tc_w_i32(w, g->ordinal);
    }
    vl_pq_tc_w_stop(w);
}

static int enc_finish(vl_pq_tc_writer *w, size_t start, const char *what, vl_error *err) {
    if (w->rc == VL_OK) return VL_OK;
    w->b->n = start; /* leave no partial encoding behind */
    if (w->rc == VL_EINVAL)
        return vl_error_set(err, VL_EINVAL, "encoding %s: a string or list exceeds INT32_MAX",
                            what);
    return vl_error_set(err, w->rc, "encoding %s: out of memory", what);
}

int vl_pq_meta_encode(const vl_pq_file_meta *m, vl_buf *out, vl_error *err) {
    for (uint32_t i = 0; i < m->n_schema; i++)
        VL_RETURN_IF_ERR(check_logical(&m->schema[i].logical, err));
    vl_pq_tc_writer w = {out, VL_OK};
    size_t start = out->n;
    int16_t last = 0;
    vl_pq_tc_w_field_i32(&w, &last, 1, m->version);
    vl_pq_tc_w_field(&w, &last, 2, VL_TC_LIST);
    vl_pq_tc_w_list(&w, VL_TC_STRUCT, m->n_schema);
    for (uint32_t i = 0; i < m->n_schema; i++) enc_schema_elem(&w, &m->schema[i]);
    vl_pq_tc_w_field_i64(&w, &last, 3, m->num_rows);
    vl_pq_tc_w_field(&w, &last, 4, VL_TC_LIST);
    vl_pq_tc_w_list(&w, VL_TC_STRUCT, m->n_row_groups);
    for (uint32_t i = 0; i < m->n_row_groups; i++) enc_row_group(&w, &m->row_groups[i]);
    if (m->has_key_value_metadata)
        enc_kv_list(&w, &last, 5, m->key_value_metadata, m->n_key_value_metadata);
    if (m->has_created_by) vl_pq_tc_w_field_binary(&w, &last, 6, m->created_by);
    if (m->has_column_orders) {
        vl_pq_tc_w_field(&w, &last, 7, VL_TC_LIST);
        vl_pq_tc_w_list(&w, VL_TC_STRUCT, m->n_column_orders);
        for (uint32_t i = 0; i < m->n_column_orders; i++) {
            int16_t l2 = 0;
            int32_t o = m->column_orders[i];
            if (o != VL_PQ_ORDER_NONE && o >= INT16_MIN && o <= INT16_MAX)
                enc_empty_member(&w, &l2, (int16_t)o);
            vl_pq_tc_w_stop(&w);
        }
    }
    vl_pq_tc_w_stop(&w);
    return enc_finish(&w, start, "FileMetaData", err);
}

static void enc_page_stats(vl_pq_tc_writer *w, int16_t *last, int16_t id, const vl_pq_stats *s) {
    vl_pq_tc_w_field(w, last, id, VL_TC_STRUCT);
    enc_stats(w, s);
}

int vl_pq_page_header_encode(const vl_pq_page_header *h, vl_buf *out, vl_error *err) {
    vl_pq_tc_writer w = {out, VL_OK};
    size_t start = out->n;
    int16_t last = 0;
    vl_pq_tc_w_field_i32(&w, &last, 1, h->type);
    vl_pq_tc_w_field_i32(&w, &last, 2, h->uncompressed_page_size);
    vl_pq_tc_w_field_i32(&w, &last, 3, h->compressed_page_size);
    if (h->has_crc) vl_pq_tc_w_field_i32(&w, &last, 4, h->crc);
    if (h->has_data) {
        const vl_pq_data_page_header *p = &h->data;
        vl_pq_tc_w_field(&w, &last, 5, VL_TC_STRUCT);
        int16_t l2 = 0;
        vl_pq_tc_w_field_i32(&w, &l2, 1, p->num_values);
        vl_pq_tc_w_field_i32(&w, &l2, 2, p->encoding);
        vl_pq_tc_w_field_i32(&w, &l2, 3, p->definition_level_encoding);
        vl_pq_tc_w_field_i32(&w, &l2, 4, p->repetition_level_encoding);
        if (p->has_statistics) enc_page_stats(&w, &l2, 5, &p->statistics);
        vl_pq_tc_w_stop(&w);
    }
    if (h->has_index) enc_empty_member(&w, &last, 6);
    if (h->has_dict) {
        const vl_pq_dict_page_header *p = &h->dict;
        vl_pq_tc_w_field(&w, &last, 7, VL_TC_STRUCT);
        int16_t l2 = 0;
        vl_pq_tc_w_field_i32(&w, &l2, 1, p->num_values);
        vl_pq_tc_w_field_i32(&w, &l2, 2, p->encoding);
        if (p->has_is_sorted) vl_pq_tc_w_field_bool(&w, &l2, 3, p->is_sorted);
        vl_pq_tc_w_stop(&w);
    }
    if (h->has_data_v2) {
        const vl_pq_data_page_header_v2 *p = &h->data_v2;
        vl_pq_tc_w_field(&w, &last, 8, VL_TC_STRUCT);
        int16_t l2 = 0;
        vl_pq_tc_w_field_i32(&w, &l2, 1, p->num_values);
        vl_pq_tc_w_field_i32(&w, &l2, 2, p->num_nulls);
        vl_pq_tc_w_field_i32(&w, &l2, 3, p->num_rows);
        vl_pq_tc_w_field_i32(&w, &l2, 4, p->encoding);
        vl_pq_tc_w_field_i32(&w, &l2, 5, p->definition_levels_byte_length);
        vl_pq_tc_w_field_i32(&w, &l2, 6, p->repetition_levels_byte_length);
        if (p->has_is_compressed) vl_pq_tc_w_field_bool(&w, &l2, 7, p->is_compressed);
        if (p->has_statistics) enc_page_stats(&w, &l2, 8, &p->statistics);
        vl_pq_tc_w_stop(&w);
    }
    vl_pq_tc_w_stop(&w);
    return enc_finish(&w, start, "PageHeader", err);
}
