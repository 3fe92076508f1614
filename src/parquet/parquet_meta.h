/* vidlake - Apache-2.0 */
/*
 * parquet_meta: the Thrift compact protocol (parquet_thrift.c) and the
 * Parquet metadata structures read from and written to it (parquet_meta.c):
 * FileMetaData (the footer) and PageHeader. Private to src/parquet.
 *
 * Facts come from apache/parquet-format src/main/thrift/parquet.thrift and
 * the Thrift compact protocol specification; field ids, enum values and
 * defaults below match them.
 *
 * Invariants and choices:
 *  - Decoding never trusts the input: every length, count and nesting level
 *    is bounded before it is used (see VL_PQ_TC_MAX_DEPTH, VL_PQ_TC_MAX_ELEMS)
 *    and every failure is VL_ECORRUPT with a message "parquet footer: byte N:
 *    what was being read" (N counts from the first byte given to the decoder).
 *  - Zero-copy: decoded strings and binaries are vl_sv views INTO THE INPUT
 *    BYTES; arrays live in the caller's arena. Keep both alive while the
 *    result is in use. There is no per-field malloc.
 *  - Enum-typed fields are stored as raw int32_t so that values written by a
 *    newer writer survive a decode/encode round trip; compare them with the
 *    VL_PQ_* constants.
 *  - Optional fields carry has_* flags; the encoder writes only fields whose
 *    flag is set, in increasing field-id order, so decode(encode(m)) == m.
 *  - Unknown fields are skipped; unknown LogicalType members are tolerated
 *    (VL_PQ_LT_FUTURE). Encrypted metadata is refused with VL_ENOTSUP.
 *  - Not decoded (skipped): SizeStatistics, GeospatialStatistics,
 *    IndexPageHeader contents, ColumnIndex/OffsetIndex (read separately).
 */
#ifndef VL_PARQUET_META_H
#define VL_PARQUET_META_H

#include "core/core.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ================================================================ enums */

/* Physical types (parquet.thrift enum Type). */
enum {
    VL_PQ_T_BOOLEAN = 0,
    VL_PQ_T_INT32 = 1,
    VL_PQ_T_INT64 = 2,
    VL_PQ_T_INT96 = 3,
    VL_PQ_T_FLOAT = 4,
    VL_PQ_T_DOUBLE = 5,
    VL_PQ_T_BYTE_ARRAY = 6,
    VL_PQ_T_FIXED_LEN_BYTE_ARRAY = 7,
};

/* Legacy annotations (enum ConvertedType). */
enum {
    VL_PQ_CT_UTF8 = 0,
    VL_PQ_CT_MAP = 1,
    VL_PQ_CT_MAP_KEY_VALUE = 2,
    VL_PQ_CT_LIST = 3,
    VL_PQ_CT_ENUM = 4,
    VL_PQ_CT_DECIMAL = 5,
    VL_PQ_CT_DATE = 6,
    VL_PQ_CT_TIME_MILLIS = 7,
    VL_PQ_CT_TIME_MICROS = 8,
    VL_PQ_CT_TIMESTAMP_MILLIS = 9,
    VL_PQ_CT_TIMESTAMP_MICROS = 10,
    VL_PQ_CT_UINT_8 = 11,
    VL_PQ_CT_UINT_16 = 12,
    VL_PQ_CT_UINT_32 = 13,
    VL_PQ_CT_UINT_64 = 14,
    VL_PQ_CT_INT_8 = 15,
    VL_PQ_CT_INT_16 = 16,
    VL_PQ_CT_INT_32 = 17,
    VL_PQ_CT_INT_64 = 18,
    VL_PQ_CT_JSON = 19,
    VL_PQ_CT_BSON = 20,
    VL_PQ_CT_INTERVAL = 21,
};

/* enum FieldRepetitionType. */
enum {
    VL_PQ_REP_REQUIRED = 0,
    VL_PQ_REP_OPTIONAL = 1,
    VL_PQ_REP_REPEATED = 2,
};

/* enum Encoding (1, GROUP_VAR_INT, was never used). */
enum {
    VL_PQ_ENC_PLAIN = 0,
    VL_PQ_ENC_PLAIN_DICTIONARY = 2,
    VL_PQ_ENC_RLE = 3,
    VL_PQ_ENC_BIT_PACKED = 4,
    VL_PQ_ENC_DELTA_BINARY_PACKED = 5,
    VL_PQ_ENC_DELTA_LENGTH_BYTE_ARRAY = 6,
    VL_PQ_ENC_DELTA_BYTE_ARRAY = 7,
    VL_PQ_ENC_RLE_DICTIONARY = 8,
    VL_PQ_ENC_BYTE_STREAM_SPLIT = 9,
};

/* enum CompressionCodec. */
enum {
    VL_PQ_CODEC_UNCOMPRESSED = 0,
    VL_PQ_CODEC_SNAPPY = 1,
    VL_PQ_CODEC_GZIP = 2,
    VL_PQ_CODEC_LZO = 3,
    VL_PQ_CODEC_BROTLI = 4,
    VL_PQ_CODEC_LZ4 = 5, /* deprecated: Hadoop-framed or raw, ambiguous */
    VL_PQ_CODEC_ZSTD = 6,
    VL_PQ_CODEC_LZ4_RAW = 7,
};

/* enum PageType. */
enum {
    VL_PQ_PAGE_DATA = 0,
    VL_PQ_PAGE_INDEX = 1,
    VL_PQ_PAGE_DICTIONARY = 2,
    VL_PQ_PAGE_DATA_V2 = 3,
};

/* LogicalType union members: the value is the Thrift field id in the union. */
enum {
    VL_PQ_LT_NONE = 0, /* no logicalType field */
    VL_PQ_LT_STRING = 1,
    VL_PQ_LT_MAP = 2,
    VL_PQ_LT_LIST = 3,
    VL_PQ_LT_ENUM = 4,
    VL_PQ_LT_DECIMAL = 5,
    VL_PQ_LT_DATE = 6,
    VL_PQ_LT_TIME = 7,
    VL_PQ_LT_TIMESTAMP = 8,
    /* 9 is reserved for INTERVAL */
    VL_PQ_LT_INTEGER = 10,
    VL_PQ_LT_UNKNOWN = 11, /* Thrift "NullType": the column is always null */
    VL_PQ_LT_JSON = 12,
    VL_PQ_LT_BSON = 13,
    VL_PQ_LT_UUID = 14,
    VL_PQ_LT_FLOAT16 = 15,
    /* A logicalType this code does not know (VARIANT, GEOMETRY, ... or a
     * future one): read the column by its physical type. future_id keeps the
     * union member id (0 if the union was empty). Encoded as an empty union. */
    VL_PQ_LT_FUTURE = 1000,
};

/* TimeUnit union member ids. */
enum {
    VL_PQ_UNIT_MILLIS = 1,
    VL_PQ_UNIT_MICROS = 2,
    VL_PQ_UNIT_NANOS = 3,
};

/* ColumnOrder union member ids. */
enum {
    VL_PQ_ORDER_NONE = 0,
    VL_PQ_ORDER_TYPE_DEFINED = 1,
    VL_PQ_ORDER_IEEE754_TOTAL = 2,
    VL_PQ_ORDER_INT96_TIMESTAMP = 3,
};

/* ============================================================ structures */

typedef struct vl_pq_logical_type {
    int32_t kind;       /* VL_PQ_LT_* */
    int32_t future_id;  /* VL_PQ_LT_FUTURE only */
    int32_t scale;      /* DECIMAL */
    int32_t precision;  /* DECIMAL */
    bool is_adjusted_to_utc; /* TIME, TIMESTAMP */
    int32_t unit;       /* TIME, TIMESTAMP: VL_PQ_UNIT_* */
    int8_t bit_width;   /* INTEGER: 8, 16, 32 or 64 (not checked here) */
    bool is_signed;     /* INTEGER */
} vl_pq_logical_type;

typedef struct vl_pq_schema_elem {
    vl_sv name; /* required */
    int32_t type, type_length, repetition_type, num_children;
    int32_t converted_type, scale, precision, field_id;
    bool has_type, has_type_length, has_repetition_type, has_num_children;
    bool has_converted_type, has_scale, has_precision, has_field_id;
    vl_pq_logical_type logical; /* logical.kind == VL_PQ_LT_NONE if absent */
} vl_pq_schema_elem;

/* Statistics: every field optional. nan_count is field 9. */
typedef struct vl_pq_stats {
    vl_sv max, min, max_value, min_value;
    int64_t null_count, distinct_count, nan_count;
    bool is_max_value_exact, is_min_value_exact;
    bool has_max, has_min, has_null_count, has_distinct_count, has_max_value, has_min_value;
    bool has_is_max_value_exact, has_is_min_value_exact, has_nan_count;
} vl_pq_stats;

typedef struct vl_pq_key_value {
    vl_sv key; /* required */
    vl_sv value;
    bool has_value;
} vl_pq_key_value;

typedef struct vl_pq_sorting_column {
    int32_t column_idx;
    bool descending, nulls_first;
} vl_pq_sorting_column;

typedef struct vl_pq_page_enc_stats {
    int32_t page_type, encoding, count;
} vl_pq_page_enc_stats;

typedef struct vl_pq_column_meta {
    int32_t type;
    int32_t *encodings;
    uint32_t n_encodings;
    vl_sv *path_in_schema;
    uint32_t n_path_in_schema;
    int32_t codec;
    int64_t num_values, total_uncompressed_size, total_compressed_size;
    vl_pq_key_value *key_value_metadata;
    uint32_t n_key_value_metadata;
    bool has_key_value_metadata;
    int64_t data_page_offset;
    int64_t index_page_offset, dictionary_page_offset;
    bool has_index_page_offset, has_dictionary_page_offset;
    vl_pq_stats statistics;
    bool has_statistics;
    vl_pq_page_enc_stats *encoding_stats;
    uint32_t n_encoding_stats;
    bool has_encoding_stats;
    int64_t bloom_filter_offset;
    int32_t bloom_filter_length;
    bool has_bloom_filter_offset, has_bloom_filter_length;
} vl_pq_column_meta;

typedef struct vl_pq_column_chunk {
    vl_sv file_path;
    bool has_file_path;
    int64_t file_offset; /* required with default 0: a missing one reads as 0 */
    vl_pq_column_meta meta;
    bool has_meta;
    int64_t offset_index_offset, column_index_offset;
    int32_t offset_index_length, column_index_length;
    bool has_offset_index_offset, has_offset_index_length;
    bool has_column_index_offset, has_column_index_length;
} vl_pq_column_chunk;

typedef struct vl_pq_row_group {
    vl_pq_column_chunk *columns;
    uint32_t n_columns;
    int64_t total_byte_size, num_rows;
    vl_pq_sorting_column *sorting_columns;
    uint32_t n_sorting_columns;
    bool has_sorting_columns;
    int64_t file_offset, total_compressed_size;
    int16_t ordinal;
    bool has_file_offset, has_total_compressed_size, has_ordinal;
} vl_pq_row_group;

typedef struct vl_pq_file_meta {
    int32_t version;
    vl_pq_schema_elem *schema; /* depth-first; schema[0] is the root */
    uint32_t n_schema;
    int64_t num_rows;
    vl_pq_row_group *row_groups;
    uint32_t n_row_groups;
    vl_pq_key_value *key_value_metadata;
    uint32_t n_key_value_metadata;
    bool has_key_value_metadata;
    vl_sv created_by;
    bool has_created_by;
    int32_t *column_orders; /* VL_PQ_ORDER_* (unknown members keep their id) */
    uint32_t n_column_orders;
    bool has_column_orders;
} vl_pq_file_meta;

typedef struct vl_pq_data_page_header {
    int32_t num_values, encoding, definition_level_encoding, repetition_level_encoding;
    vl_pq_stats statistics;
    bool has_statistics;
} vl_pq_data_page_header;

typedef struct vl_pq_dict_page_header {
    int32_t num_values, encoding;
    bool is_sorted, has_is_sorted;
} vl_pq_dict_page_header;

typedef struct vl_pq_data_page_header_v2 {
    int32_t num_values, num_nulls, num_rows, encoding;
    int32_t definition_levels_byte_length, repetition_levels_byte_length;
    bool is_compressed; /* true when absent (the Thrift default) */
    bool has_is_compressed;
    vl_pq_stats statistics;
    bool has_statistics;
} vl_pq_data_page_header_v2;

typedef struct vl_pq_page_header {
    int32_t type; /* VL_PQ_PAGE_* */
    int32_t uncompressed_page_size, compressed_page_size;
    int32_t crc; /* CRC-32 (gzip polynomial) of the page bytes after the header */
    bool has_crc;
    bool has_data, has_index, has_dict, has_data_v2;
    vl_pq_data_page_header data;
    vl_pq_dict_page_header dict;
    vl_pq_data_page_header_v2 data_v2;
    /* index_page_header (an empty struct today) is skipped; has_index says
     * it was there and makes the encoder write an empty one. */
} vl_pq_page_header;

/* ================================================================= API */

/** Bytes at the end of a Parquet file that vl_pq_footer_locate needs. */
#define VL_PQ_FOOTER_TAIL 8

/**
 * @brief Checks the file trailer (4-byte little-endian metadata length and the
 * "PAR1" magic) and the length against the file size.
 * @param tail the last tail_n bytes of the file (tail_n >= 8).
 * @param file_size the size of the whole file.
 * @param meta_len out: the footer length; the footer starts at
 *   file_size - 8 - *meta_len (the caller reads it).
 * @return VL_OK; VL_ENOTSUP "encrypted Parquet is not supported" for the
 *   "PARE" magic; VL_ECORRUPT for a short file, a bad magic or a length that
 *   does not fit; VL_EINVAL if tail_n < 8.
 */
int vl_pq_footer_locate(const uint8_t *tail, size_t tail_n, uint64_t file_size,
                        uint32_t *meta_len, vl_error *err) VL_MUST_CHECK;

/**
 * @brief Decodes a FileMetaData (the footer bytes, without length or magic).
 * @param a arena for every array; strings/binaries point into p.
 * @note out borrows p and the arena: keep both alive while it is used. On
 *   error out is unspecified and the arena may hold partial allocations
 *   (release them with reset/destroy).
 * @return VL_OK; VL_ECORRUPT (message names the byte offset and the field);
 *   VL_ENOTSUP for encrypted metadata; VL_ENOMEM if the arena fails.
 */
int vl_pq_meta_decode(const uint8_t *p, size_t n, vl_arena *a, vl_pq_file_meta *out,
                      vl_error *err) VL_MUST_CHECK;

/**
 * @brief Decodes one PageHeader at the start of p[0..n); needs no memory:
 * statistics binaries point into p.
 * @param consumed out: the header's encoded size (the page data follows).
 * @return VL_OK; VL_ECORRUPT (truncation, bad encoding, missing required
 *   field, negative sizes, a data/dictionary page without its sub-header).
 */
int vl_pq_page_header_decode(const uint8_t *p, size_t n, size_t *consumed,
                             vl_pq_page_header *out, vl_error *err) VL_MUST_CHECK;

/**
 * @brief Appends the compact-protocol encoding of m to out (not cleared).
 * Required fields are always written; optional ones when their has_* flag is
 * set. @return VL_OK; VL_ENOMEM; VL_EINVAL for a string longer than
 * INT32_MAX or an unknown logical type kind.
 */
int vl_pq_meta_encode(const vl_pq_file_meta *m, vl_buf *out, vl_error *err) VL_MUST_CHECK;

/** @brief Appends the encoding of a PageHeader to out. Codes as above. */
int vl_pq_page_header_encode(const vl_pq_page_header *h, vl_buf *out,
                             vl_error *err) VL_MUST_CHECK;

/* ============================================== compact protocol (internal) */

/* Wire types of the compact protocol (field headers; list elements use the
 * same numbers, with BOOL as 2 or 1). */
enum {
    VL_TC_STOP = 0,
    VL_TC_TRUE = 1,
    VL_TC_FALSE = 2,
    VL_TC_I8 = 3,
    VL_TC_I16 = 4,
    VL_TC_I32 = 5,
    VL_TC_I64 = 6,
    VL_TC_DOUBLE = 7,
    VL_TC_BINARY = 8,
    VL_TC_LIST = 9,
    VL_TC_SET = 10,
    VL_TC_MAP = 11,
    VL_TC_STRUCT = 12,
    VL_TC_UUID = 13,
};
#define VL_TC_BOOL VL_TC_FALSE /* element type of list<bool> */

/* Nesting limit (structs, lists, sets and maps together). Parquet's own
 * structures nest about 7 deep; 64 leaves room for unknown extensions while
 * keeping the recursive skipper's stack use small. */
#define VL_PQ_TC_MAX_DEPTH 64
/* Hard cap on the elements of one list/set/map, whatever the input size:
 * 2^24 is far above any real footer (a million row groups) and keeps
 * count * sizeof(struct) well inside size_t. */
#define VL_PQ_TC_MAX_ELEMS (1u << 24)

typedef struct vl_pq_tc_reader {
    const uint8_t *p;
    size_t pos, n;
    int depth;
    const char *ctx; /* "parquet footer", "parquet page header" */
    vl_error *err;
} vl_pq_tc_reader;

void vl_pq_tc_reader_init(vl_pq_tc_reader *r, const uint8_t *p, size_t n, const char *ctx,
                          vl_error *err);
/** @brief Sets VL_ECORRUPT "<ctx>: byte <pos>: <message>". @return VL_ECORRUPT. */
int vl_pq_tc_fail(vl_pq_tc_reader *r, const char *fmt, ...) VL_PRINTF(2, 3);
/** @brief The same with another code (VL_ENOTSUP, VL_ENOMEM). */
int vl_pq_tc_fail_code(vl_pq_tc_reader *r, int code, const char *fmt, ...) VL_PRINTF(3, 4);

int vl_pq_tc_read_varint(vl_pq_tc_reader *r, uint64_t *v) VL_MUST_CHECK;
int vl_pq_tc_read_i8(vl_pq_tc_reader *r, int8_t *v) VL_MUST_CHECK;
int vl_pq_tc_read_i16(vl_pq_tc_reader *r, int16_t *v) VL_MUST_CHECK;
int vl_pq_tc_read_i32(vl_pq_tc_reader *r, int32_t *v) VL_MUST_CHECK;
int vl_pq_tc_read_i64(vl_pq_tc_reader *r, int64_t *v) VL_MUST_CHECK;
int vl_pq_tc_read_double(vl_pq_tc_reader *r, double *v) VL_MUST_CHECK;
/** @brief A binary/string: *v points into the input. */
int vl_pq_tc_read_binary(vl_pq_tc_reader *r, vl_sv *v) VL_MUST_CHECK;

/** @brief Enters a struct (depth check). Pair with vl_pq_tc_struct_end. */
int vl_pq_tc_struct_begin(vl_pq_tc_reader *r) VL_MUST_CHECK;
static inline void vl_pq_tc_struct_end(vl_pq_tc_reader *r) { r->depth--; }

/**
 * @brief Reads a field header. *type is VL_TC_STOP at the end of the struct;
 * for bool fields it is VL_TC_TRUE/VL_TC_FALSE and carries the value.
 * @param last the previous field id of this struct (start at 0); updated.
 */
int vl_pq_tc_field(vl_pq_tc_reader *r, int16_t *last, uint8_t *type, int16_t *id) VL_MUST_CHECK;

/**
 * @brief Reads a list/set header, checks the element type (want; for
 * VL_TC_BOOL both 1 and 2 are accepted) and bounds the count: at most
 * VL_PQ_TC_MAX_ELEMS and at most remaining / min_elem_bytes.
 * @param what the elements for messages ("row groups").
 */
int vl_pq_tc_list_begin(vl_pq_tc_reader *r, uint8_t want, size_t min_elem_bytes,
                        const char *what, uint32_t *count) VL_MUST_CHECK;

/** @brief Skips one value of a wire type (recursively, depth-limited). */
int vl_pq_tc_skip(vl_pq_tc_reader *r, uint8_t type) VL_MUST_CHECK;

/* The writer keeps a sticky error: calls after a failure do nothing and
 * vl_pq_tc_writer.rc reports the first failure. */
typedef struct vl_pq_tc_writer {
    vl_buf *b;
    int rc;
} vl_pq_tc_writer;

void vl_pq_tc_w_varint(vl_pq_tc_writer *w, uint64_t v);
void vl_pq_tc_w_i32(vl_pq_tc_writer *w, int32_t v);
void vl_pq_tc_w_i64(vl_pq_tc_writer *w, int64_t v);
void vl_pq_tc_w_double(vl_pq_tc_writer *w, double v);
void vl_pq_tc_w_binary(vl_pq_tc_writer *w, const void *p, size_t n);
void vl_pq_tc_w_byte(vl_pq_tc_writer *w, uint8_t v);
/** @brief A field header (short form when the id delta is 1..15). */
void vl_pq_tc_w_field(vl_pq_tc_writer *w, int16_t *last, int16_t id, uint8_t type);
void vl_pq_tc_w_field_bool(vl_pq_tc_writer *w, int16_t *last, int16_t id, bool v);
void vl_pq_tc_w_field_i32(vl_pq_tc_writer *w, int16_t *last, int16_t id, int32_t v);
void vl_pq_tc_w_field_i64(vl_pq_tc_writer *w, int16_t *last, int16_t id, int64_t v);
void vl_pq_tc_w_field_binary(vl_pq_tc_writer *w, int16_t *last, int16_t id, vl_sv v);
void vl_pq_tc_w_list(vl_pq_tc_writer *w, uint8_t elem_type, size_t count);
static inline void vl_pq_tc_w_stop(vl_pq_tc_writer *w) { vl_pq_tc_w_byte(w, 0); }

/* Zigzag mappings (exposed for tests). */
static inline uint64_t vl_pq_zigzag64(int64_t v) {
    return ((uint64_t)v << 1) ^ (uint64_t)(v < 0 ? -1 : 0);
}
static inline int64_t vl_pq_unzigzag64(uint64_t u) {
    return (int64_t)((u >> 1) ^ (0 - (u & 1)));
}

#endif /* VL_PARQUET_META_H */
