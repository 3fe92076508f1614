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
#include "parquet/parquet.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
