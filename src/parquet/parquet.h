/* vidlake - Apache-2.0 */
/*
 * parquet: the Parquet file format, written from the specification
 * (apache/parquet-format): the metadata as decoded from a footer, the schema
 * tree with definition and repetition levels, a reader that decodes column
 * chunks, and a streaming writer that takes columns.
 *
 * Everything read from a file is checked before it is used: a hostile file
 * gets VL_ECORRUPT (or VL_ENOTSUP, naming the feature), never a crash or an
 * allocation larger than the file justifies.
 *
 * Memory: metadata and decoded columns live in caller-provided arenas or in
 * the reader; strings are views into them. Read the ownership note on each
 * function.
 */
#ifndef VL_PARQUET_H
#define VL_PARQUET_H

#include "core/core.h"

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


/* ============================================================ schema tree */

/*
 * The schema as a tree. Levels follow the Dremel rules: max_def counts the
 * OPTIONAL and REPEATED nodes from the root (excluded) down to this node,
 * max_rep the REPEATED ones. Leaves are numbered in depth-first order, which
 * is the order of column chunks in a row group.
 */
typedef struct vl_pq_node vl_pq_node;
struct vl_pq_node {
    vl_sv name;
    int32_t repetition;          /* VL_PQ_REP_*; the root is REQUIRED */
    int32_t physical;            /* VL_PQ_T_* for leaves, -1 for groups */
    int32_t type_length;         /* FIXED_LEN_BYTE_ARRAY width */
    vl_pq_logical_type logical;  /* from logicalType, or derived from a legacy
                                    converted type when logicalType is absent */
    int32_t converted;           /* the raw converted_type, or -1 */
    int32_t field_id;            /* -1 when absent */
    vl_pq_node *parent;          /* NULL for the root */
    vl_pq_node *children;
    uint32_t n_children;
    int16_t max_def, max_rep;
    int32_t leaf;                /* leaf ordinal, -1 for groups */
};

typedef struct vl_pq_schema {
    vl_pq_node *root;
    vl_pq_node **leaves;
    uint32_t n_leaves;
} vl_pq_schema;

/**
 * @brief Builds the tree from the flat, depth-first schema of a footer.
 * @param a receives the nodes; names point into elems' strings.
 * @return VL_OK, VL_ECORRUPT (inconsistent child counts, a leaf without a
 *         type, nesting deeper than 64, ...), VL_ENOMEM.
 */
int vl_pq_schema_build(const vl_pq_schema_elem *elems, uint32_t n, vl_arena *a,
                       vl_pq_schema *out, vl_error *err) VL_MUST_CHECK;

/** @brief Writes the dotted path of a node ("a.list.element"). @return length. */
size_t vl_pq_node_path(const vl_pq_node *n, char *out, size_t cap);

/** @brief Names of physical types, encodings, codecs, repetitions, for display. */
const char *vl_pq_type_name(int32_t physical);
const char *vl_pq_encoding_name(int32_t encoding);
const char *vl_pq_codec_name(int32_t codec);
const char *vl_pq_repetition_name(int32_t repetition);


/* ================================================================ reading */

typedef struct vl_pq_reader vl_pq_reader;

/**
 * @brief Opens a Parquet file (memory-mapped) and decodes its footer and
 * schema.
 * @return VL_OK; VL_EIO (cannot open or map), VL_ECORRUPT (not Parquet, or a
 *         bad footer; the message says where), VL_ENOTSUP ("encrypted Parquet
 *         is not supported", unknown physical types), VL_ENOMEM.
 * @note The reader owns the mapping, the metadata and the schema.
 */
int vl_pq_reader_open_file(const char *path, vl_pq_reader **out, vl_error *err) VL_MUST_CHECK;
/** @brief The same over bytes in memory, which must outlive the reader. */
int vl_pq_reader_open_mem(const uint8_t *p, size_t n, const char *name, vl_pq_reader **out,
                          vl_error *err) VL_MUST_CHECK;
void vl_pq_reader_close(vl_pq_reader *r); /* accepts NULL */

/*
 * Reading in ranges, for files behind a store (an S3 GET per range). The
 * reader asks fetch for exactly len bytes at off into dst; fetch returns
 * VL_OK or an error it has set (a short object is the caller's
 * VL_ECORRUPT).
 */
typedef int (*vl_pq_fetch_fn)(void *ctx, uint64_t off, uint64_t len, uint8_t *dst, vl_error *err);

/* Bytes fetched first from the end of a file: its footer, usually whole. */
#define VL_PQ_RANGED_TAIL ((uint64_t)64 << 10)
/* Chunks closer than this are fetched in one range. */
#define VL_PQ_RANGED_GAP ((uint64_t)1 << 20)

/**
 * @brief Opens a file of `size` bytes read through fetch: only its footer
 * is fetched (the last `tail` bytes, or VL_PQ_RANGED_TAIL when tail < 8, then the
 * rest of a longer footer), or the whole file when it is no larger. Column chunks are then
 * fetched with vl_pq_reader_load. The reader holds a buffer of the file's
 * size, of which only the fetched pages are ever touched. The leading magic
 * is checked only when the whole file is fetched at once (readers go by
 * the trailing one).
 * @return as vl_pq_reader_open_mem, or fetch's error.
 */
int vl_pq_reader_open_ranged(uint64_t size, uint64_t tail, const char *name, vl_pq_fetch_fn fetch, void *ctx,
                             vl_pq_reader **out, vl_error *err) VL_MUST_CHECK;

/**
 * @brief Fetches the column chunks of the wanted leaves (NULL: all) in the
 * wanted row groups (NULL: all) that are not loaded yet, in as few ranges as
 * chunks less than VL_PQ_RANGED_GAP apart allow, or in one range when they
 * are most of the file. vl_pq_read_column refuses (VL_EINVAL) a chunk that
 * was not loaded. A no-op for readers not opened in ranges.
 * @return VL_OK, or fetch's error (the chunks stay unloaded).
 */
int vl_pq_reader_load(vl_pq_reader *r, const bool *row_groups, const bool *leaves, vl_error *err) VL_MUST_CHECK;
const vl_pq_file_meta *vl_pq_reader_meta(const vl_pq_reader *r);
const vl_pq_schema *vl_pq_reader_schema(const vl_pq_reader *r);

/*
 * One leaf column of one row group, decoded. There is one level entry per
 * value slot (n of them; for a flat column, one per row); def/rep are NULL
 * when the leaf's max_def/max_rep is 0. Values are dense: only the n_values
 * slots whose definition level is max_def have one, in order.
 *   BOOLEAN: v.b (0/1)      INT32: v.i32    INT64: v.i64
 *   FLOAT: v.f32            DOUBLE: v.f64
 *   BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY, INT96 (12 bytes): v.bin
 */
typedef struct vl_pq_column {
    const vl_pq_node *leaf;
    size_t n;
    int16_t *def, *rep;
    size_t n_values;
    union {
        uint8_t *b;
        int32_t *i32;
        int64_t *i64;
        float *f32;
        double *f64;
        vl_sv *bin;
    } v;
} vl_pq_column;

/**
 * @brief Decodes leaf `leaf` of row group `rg`: every page, any encoding and
 * codec of the format, page CRCs checked when present.
 * @param a receives the arrays; byte values point into a or into the
 *        reader's mapping, so keep both alive while using them.
 * @return VL_OK, VL_ECORRUPT (with row group, column and page), VL_ENOTSUP
 *         (LZO, a chunk stored in another file, ...), VL_ENOMEM.
 */
int vl_pq_read_column(vl_pq_reader *r, uint32_t rg, uint32_t leaf, vl_arena *a,
                      vl_pq_column *out, vl_error *err) VL_MUST_CHECK;


/* ================================================================== rows */

enum { VL_PQ_ROWS_NDJSON = 0, VL_PQ_ROWS_CSV = 1 };

/* Receives one encoded row (with its '\n'). */
typedef int (*vl_pq_row_sink)(void *ctx, const char *p, size_t n, vl_error *err);

/**
 * @brief Reassembles the rows of row group rg and writes them as NDJSON or
 * CSV (conventions in DESIGN.md; CSV cells hold nested values as JSON).
 * @param fields which top-level fields to include (by index among the
 *        root's children), or NULL for all: only their columns are read.
 * @param skip rows of this row group to skip first; limit rows to write at
 *        most (-1: all). *written receives the rows handed to sink.
 * @return VL_OK, the reader's errors, VL_ECORRUPT when columns disagree on
 *         the row count, or the sink's error.
 */
int vl_pq_rows_write(vl_pq_reader *r, uint32_t rg, const bool *fields, int format, int64_t skip,
                     int64_t limit, vl_pq_row_sink sink, void *ctx, int64_t *written,
                     vl_error *err) VL_MUST_CHECK;


/* Receives one row as the JSON text of each top-level field (cells[i] for
 * the root's child i; empty for fields not selected). The texts are valid
 * during the call only. Return VL_OK, VL_PQ_STOP to end early, or an error
 * (set err). */
#define VL_PQ_STOP (-1)
typedef int (*vl_pq_cells_cb)(void *ctx, const vl_sv *cells, vl_error *err);

/**
 * @brief Reassembles the rows of row group rg like vl_pq_rows_write but
 * hands each row to cb as per-field JSON cells, for callers that rearrange
 * fields (Delta scans add partition values and missing columns).
 * @param scratch an arena for the decoded columns, reset first and kept for
 *        the caller to reuse across row groups and files (NULL: a private
 *        one). The cells point into it only during cb.
 * @param rows_out receives the rows handed to cb (may be NULL).
 */
int vl_pq_rows_cells(vl_pq_reader *r, uint32_t rg, const bool *fields, vl_arena *scratch, vl_pq_cells_cb cb,
                     void *ctx, int64_t *rows_out, vl_error *err) VL_MUST_CHECK;

/** @brief Appends a JSON cell as a CSV field (RFC 4180): null is empty, a
 *  plain string unescaped, anything else as JSON text, quoted when needed. */
int vl_pq_json_to_csv_cell(vl_buf *out, const char *p, size_t n, vl_error *err) VL_MUST_CHECK;

/* =============================================================== pruning */

/* A comparison against a column, for skipping row groups by statistics. */
typedef enum vl_pq_op {
    VL_PQ_OP_EQ,
    VL_PQ_OP_LT,
    VL_PQ_OP_LE,
    VL_PQ_OP_GT,
    VL_PQ_OP_GE,
    VL_PQ_OP_IS_NULL,
    VL_PQ_OP_IS_NOT_NULL,
} vl_pq_op;

/* A literal in the column's physical representation: INT32/INT64 columns
 * take i (in the column's own unit, e.g. milliseconds for a
 * TIMESTAMP(MILLIS)), FLOAT/DOUBLE take d, BYTE_ARRAY/FIXED_LEN_BYTE_ARRAY
 * take s, BOOLEAN takes i (0/1). */
typedef struct vl_pq_literal {
    int64_t i;
    double d;
    vl_sv s;
} vl_pq_literal;

/**
 * @brief False only when row group rg's statistics for leaf prove that no
 * row satisfies `leaf op lit`; true when some row may (or when there are no
 * usable statistics). Uses min_value/max_value, and the deprecated min/max
 * only for types whose old sort order was right (signed integers, floats);
 * ignores NaN bounds; compares unsigned INTEGER columns as unsigned and
 * byte arrays as unsigned bytes; treats inexact (truncated) bounds as bounds.
 * Decimals stored as bytes and INT96 are never pruned.
 */
bool vl_pq_rg_may_match(const vl_pq_reader *r, uint32_t rg, uint32_t leaf, vl_pq_op op,
                        const vl_pq_literal *lit);

/**
 * @brief The raw bounds of row group rg's values of leaf, as stored (plain
 * encoding of the physical type), when its statistics hold bounds that may
 * be trusted by the rules of vl_pq_rg_may_match: min_value/max_value, or
 * the deprecated min/max for signed integers and floats. Byte-array bounds
 * may be truncated (a prefix is a valid lower bound, not an upper one).
 * @param null_count out: the stats' null count, or -1 when unknown (set
 *        whatever is returned).
 * @return false when there are no bounds to trust (min, max unset).
 */
bool vl_pq_rg_bounds(const vl_pq_reader *r, uint32_t rg, uint32_t leaf, vl_sv *min, vl_sv *max,
                     int64_t *null_count);

/* ================================================================ writing */

typedef struct vl_pq_writer_opts {
    int32_t codec;            /* VL_PQ_CODEC_*: ZSTD (default), SNAPPY, GZIP, UNCOMPRESSED, LZ4_RAW */
    int level;                /* codec level; 0 = the codec's default (zstd 3) */
    size_t row_group_rows;    /* a row group is closed at this many rows (default 262144) */
    size_t row_group_bytes;   /* ... or at this many uncompressed bytes (default 128 MiB) */
    size_t page_bytes;        /* target uncompressed data page size (default 1 MiB) */
    size_t dict_bytes;        /* dictionary size limit before falling back to PLAIN (default 1 MiB) */
    bool no_dictionary;       /* never dictionary-encode */
    bool page_crc;            /* write page CRCs */
} vl_pq_writer_opts;

/** @brief Fills o with the defaults above. */
void vl_pq_writer_opts_default(vl_pq_writer_opts *o);

/* Where the writer's bytes go: write appends n bytes or returns an error. */
typedef struct vl_pq_sink {
    void *ctx;
    int (*write)(void *ctx, const void *p, size_t n, vl_error *err);
} vl_pq_sink;

typedef struct vl_pq_writer vl_pq_writer;

/**
 * @brief Starts a file with this schema (the flat depth-first list, as in a
 * footer: schema[0] is the root group). The schema is copied.
 * @return VL_OK, VL_EINVAL (a bad schema, named), VL_ENOMEM, or the sink's
 *         error for the leading magic.
 */
int vl_pq_writer_open(vl_pq_sink sink, const vl_pq_schema_elem *schema, uint32_t n_schema,
                      const vl_pq_writer_opts *opts, vl_pq_writer **out, vl_error *err) VL_MUST_CHECK;
/** @brief The schema tree of the file being written (leaf ordinals). */
const vl_pq_schema *vl_pq_writer_schema(const vl_pq_writer *w);
/**
 * @brief Appends a batch of rows: cols[i] holds leaf i's level entries and
 * values in the vl_pq_column layout (col.leaf is ignored; def/rep may be NULL
 * when the leaf's max level is 0). Every leaf must describe the same `rows`
 * rows. Data is copied or encoded before returning. Row groups are closed
 * when the row or byte limit is reached (one row group in memory at most).
 * @return VL_OK, VL_EINVAL (inconsistent levels or counts, named), VL_ENOMEM,
 *         or the sink's error.
 */
int vl_pq_writer_write(vl_pq_writer *w, const vl_pq_column *cols, size_t rows, vl_error *err) VL_MUST_CHECK;
/** @brief Adds a key/value pair to the footer (copied). */
int vl_pq_writer_kv(vl_pq_writer *w, const char *key, const char *value, vl_error *err) VL_MUST_CHECK;
/** @brief Flushes the last row group and writes the footer. The writer
 *  stays allocated until destroy. */
int vl_pq_writer_close(vl_pq_writer *w, vl_error *err) VL_MUST_CHECK;
/** @brief After close: the exact (untruncated) minimum and maximum of a
 *  byte-array leaf over the whole file, views valid until destroy; false
 *  when the leaf is not compared as bytes or held no values. The footer's
 *  statistics may be truncated; these are not. */
bool vl_pq_writer_exact_bounds(const vl_pq_writer *w, uint32_t leaf, vl_sv *min, vl_sv *max);
/** @brief The footer metadata as written, after close (for callers that
 *  need per-column statistics, such as Delta's add actions). */
const vl_pq_file_meta *vl_pq_writer_meta(const vl_pq_writer *w);
void vl_pq_writer_destroy(vl_pq_writer *w); /* accepts NULL */

#endif /* VL_PARQUET_H */
