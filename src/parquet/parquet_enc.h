/* vidlake - Apache-2.0 */
/*
 * parquet_enc: the Parquet value encodings (parquet_enc.c) and page
 * compression codecs (parquet_codec.c). A private header of src/parquet: only
 * the src/parquet sources, its unit test and the fuzz target include it.
 *
 * Decoders take untrusted bytes `p[0..n)` and a value count chosen by the
 * caller (from the page header). They never read outside p[0..n), never write
 * more than `count` values, never allocate in proportion to a number read
 * from the input, and always terminate: bad input gives VL_ECORRUPT with a
 * message naming the encoding and the problem. "Exactly count values" is the
 * contract: input that ends before `count` values is corrupt; input that goes
 * on after them is ignored, and `*used` (optional, may be NULL) says how many
 * bytes were consumed so the caller can find what follows.
 *
 * Encoders append to a vl_buf (on failure the buffer may hold a partial
 * encoding; the caller truncates or discards) and return VL_ENOMEM or
 * VL_ERANGE.
 *
 * Values are little-endian on disk and this module assumes a little-endian
 * host (checked at compile time), so fixed-width PLAIN is a memcpy.
 *
 * Which RLE/bit-packed hybrid form each caller uses (Encodings.md):
 *   data page v1 rep/def levels     length-prefixed  vl_pq_rle_decode_prefixed
 *   data page v2 rep/def levels     raw (the lengths are in the v2 header)
 *                                                   vl_pq_rle_dec_init/get
 *   RLE_DICTIONARY/PLAIN_DICTIONARY 1-byte bit width + raw: vl_pq_dict_*
 *   BOOLEAN values with RLE         length-prefixed, bit width 1 (v1 and v2)
 * The legacy BIT_PACKED level encoding (MSB-first) is vl_pq_bitpacked_*.
 *
 * Not here: page headers and Thrift (parquet_thrift*), levels-to-nulls
 * logic and page assembly (the reader/writer), ALP, LZO (refused).
 */
#ifndef VL_PARQUET_ENC_H
#define VL_PARQUET_ENC_H

#include "core/core.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------ bit widths */

/** @return the number of bits needed for v: 0 for 0, 1 for 1, 64 for 2^63. */
static inline int vl_pq_bit_width(uint64_t v) { return v ? 64 - __builtin_clzll(v) : 0; }

/* ------------------------------------------- RLE / bit-packed hybrid (RLE=3) */

/*
 * A streaming decoder of the raw hybrid form (no length prefix) for bit
 * widths 0..32, so that callers can decode levels or dictionary indices in
 * batches. Caller-allocated; holds no heap memory (nothing to free). The
 * input must outlive the decoder.
 */
typedef struct vl_pq_rle_dec {
    const uint8_t *start; /* the input, for offsets in messages */
    const uint8_t *p;     /* next unread byte */
    const uint8_t *end;   /* end of the input */
    int bw;               /* bit width, 0..32 */
    uint32_t rle_left;    /* values left in the current RLE run */
    uint32_t rle_value;   /* its value */
    uint32_t lit_groups;  /* whole 8-value groups left in the current bit-packed run */
    uint8_t grp_pos;      /* next value in grp[] */
    uint8_t grp_n;        /* valid values in grp[] */
    uint32_t grp[8];      /* a partly consumed group */
} vl_pq_rle_dec;

/** @brief Starts decoding p[0..n) with bit width bw.
 *  @return VL_OK or VL_EINVAL (bw outside 0..32). */
int vl_pq_rle_dec_init(vl_pq_rle_dec *d, const uint8_t *p, size_t n, int bw,
                       vl_error *err) VL_MUST_CHECK;
/** @brief Decodes exactly count more values into out. Lenient where
 *  parquet-mr and Arrow are: an empty run (length 0) is skipped, and a
 *  bit-packed run whose declared groups run past the end of the input yields
 *  the values that are there.
 *  @return VL_OK or VL_ECORRUPT (input ended, overlong header, an RLE value
 *  wider than bw). After an error the decoder must not be used again. */
int vl_pq_rle_dec_get(vl_pq_rle_dec *d, uint32_t *out, size_t count, vl_error *err) VL_MUST_CHECK;
/** @brief The same into 16-bit levels; bw must be <= 16 (else VL_EINVAL). */
int vl_pq_rle_dec_get_u16(vl_pq_rle_dec *d, uint16_t *out, size_t count,
                          vl_error *err) VL_MUST_CHECK;
/** @return bytes consumed so far (whole runs: a bit-packed run in progress
 *  counts as consumed up to the end of its last decoded group). */
static inline size_t vl_pq_rle_dec_consumed(const vl_pq_rle_dec *d) {
    return (size_t)(d->p - d->start);
}

/** @brief Decodes count values of the raw form in one call; *used (may be
 *  NULL) gets the bytes consumed. @return VL_OK, VL_EINVAL, VL_ECORRUPT. */
int vl_pq_rle_decode(const uint8_t *p, size_t n, int bw, uint32_t *out, size_t count,
                     size_t *used, vl_error *err) VL_MUST_CHECK;
/** @brief The length-prefixed form (4-byte LE length, then the raw form
 *  confined to that length): data page v1 levels and RLE booleans. *used is
 *  4 + length. out16 variant for levels (bw <= 16). */
int vl_pq_rle_decode_prefixed(const uint8_t *p, size_t n, int bw, uint32_t *out, size_t count,
                              size_t *used, vl_error *err) VL_MUST_CHECK;
int vl_pq_rle_decode_prefixed_u16(const uint8_t *p, size_t n, int bw, uint16_t *out,
                                  size_t count, size_t *used, vl_error *err) VL_MUST_CHECK;

/** @brief Appends the raw form of v[0..count) at bit width bw (every value
 *  must fit in bw bits; VL_EINVAL otherwise). Runs of 8 or more equal values
 *  become RLE runs, the rest bit-packed runs (the last one zero-padded to a
 *  multiple of 8). @return VL_OK, VL_EINVAL, VL_ENOMEM. */
int vl_pq_rle_encode(const uint32_t *v, size_t count, int bw, vl_buf *out,
                     vl_error *err) VL_MUST_CHECK;
int vl_pq_rle_encode_u16(const uint16_t *v, size_t count, int bw, vl_buf *out,
                         vl_error *err) VL_MUST_CHECK;
/** @brief The length-prefixed form (v1 levels, RLE booleans). */
int vl_pq_rle_encode_prefixed(const uint32_t *v, size_t count, int bw, vl_buf *out,
                              vl_error *err) VL_MUST_CHECK;
int vl_pq_rle_encode_prefixed_u16(const uint16_t *v, size_t count, int bw, vl_buf *out,
                                  vl_error *err) VL_MUST_CHECK;

/* ---------------------------------------------- legacy BIT_PACKED (=4) */

/** @brief Decodes count values packed MSB-first at bit width bw (0..32);
 *  needs ceil(count * bw / 8) bytes, which is *used. */
int vl_pq_bitpacked_decode(const uint8_t *p, size_t n, int bw, uint32_t *out, size_t count,
                           size_t *used, vl_error *err) VL_MUST_CHECK;
int vl_pq_bitpacked_encode(const uint32_t *v, size_t count, int bw, vl_buf *out,
                           vl_error *err) VL_MUST_CHECK;

/* ----------------------------------------------------------- PLAIN (=0) */

/* Fixed widths of the physical types under PLAIN / BYTE_STREAM_SPLIT. */
#define VL_PQ_W_INT32 4
#define VL_PQ_W_INT64 8
#define VL_PQ_W_INT96 12
#define VL_PQ_W_FLOAT 4
#define VL_PQ_W_DOUBLE 8

/** @brief BOOLEAN: count bits LSB-first -> out[i] = 0 or 1. */
int vl_pq_plain_decode_bool(const uint8_t *p, size_t n, uint8_t *out, size_t count,
                            size_t *used, vl_error *err) VL_MUST_CHECK;
/** @brief INT32/INT64/INT96/FLOAT/DOUBLE/FLBA(width): copies count * width
 *  bytes to out (int32_t[], int64_t[], uint8_t[12][], float[], ...). */
int vl_pq_plain_decode_fixed(const uint8_t *p, size_t n, size_t width, void *out, size_t count,
                             size_t *used, vl_error *err) VL_MUST_CHECK;
/** @brief BYTE_ARRAY: out[i] points into p (no copy; p must outlive out). */
int vl_pq_plain_decode_byte_array(const uint8_t *p, size_t n, vl_sv *out, size_t count,
                                  size_t *used, vl_error *err) VL_MUST_CHECK;

int vl_pq_plain_encode_bool(const uint8_t *v, size_t count, vl_buf *out,
                            vl_error *err) VL_MUST_CHECK; /* v[i] != 0 is true */
int vl_pq_plain_encode_fixed(const void *v, size_t count, size_t width, vl_buf *out,
                             vl_error *err) VL_MUST_CHECK;
/** @return VL_ERANGE if a value is longer than UINT32_MAX bytes. */
int vl_pq_plain_encode_byte_array(const vl_sv *v, size_t count, vl_buf *out,
                                  vl_error *err) VL_MUST_CHECK;

/* ------------------------------ dictionary (PLAIN_DICTIONARY=2, RLE_DICTIONARY=8) */

/*
 * Reading: decode the dictionary page body with the PLAIN decoders above
 * (vl_pq_plain_decode_fixed / _byte_array, count = its num_values), then the
 * data page with one of these. The data page body is a 1-byte bit width
 * (<= 32) followed by the raw hybrid form. Every index is checked against
 * dict_n. An empty body is accepted when count is 0.
 */
/** @brief Indices only (out[i] < dict_n). */
int vl_pq_dict_decode_indices(const uint8_t *p, size_t n, size_t dict_n, uint32_t *out,
                              size_t count, vl_error *err) VL_MUST_CHECK;
/** @brief Indices resolved to fixed-width values (dict: dict_n * width bytes). */
int vl_pq_dict_decode_fixed(const uint8_t *p, size_t n, const void *dict, size_t dict_n,
                            size_t width, void *out, size_t count, vl_error *err) VL_MUST_CHECK;
/** @brief Indices resolved to byte arrays (views into the dictionary's memory). */
int vl_pq_dict_decode_sv(const uint8_t *p, size_t n, const vl_sv *dict, size_t dict_n,
                         vl_sv *out, size_t count, vl_error *err) VL_MUST_CHECK;

/*
 * Writing: a dictionary builder for one column chunk. width is the fixed value
 * size (4 INT32/FLOAT, 8 INT64/DOUBLE, 12 INT96, N for FLBA(N)) or 0 for
 * BYTE_ARRAY. Values are compared bitwise (so -0.0 != 0.0 and NaNs with
 * different payloads are different entries, which keeps the data lossless).
 * The dictionary page body (PLAIN) is kept as it grows. Caller-allocated:
 * init, then free (free accepts a zeroed or freed struct).
 */
typedef struct vl_pq_dict_enc {
    size_t width;      /* 0 = BYTE_ARRAY */
    size_t byte_limit; /* the PLAIN page body may not exceed this */
    vl_buf page;       /* PLAIN dictionary page body */
    size_t n;          /* distinct entries */
    uint32_t *off;     /* BYTE_ARRAY: offset in page of entry i's length prefix */
    size_t off_cap;
    uint64_t *slots;   /* open addressing: entry index + 1 (low 32 bits, 0 = empty),
                          the value's hash tag (high 32 bits) */
    size_t cap;        /* power of two */
    bool full;         /* a value did not fit under byte_limit */
} vl_pq_dict_enc;

/** @brief byte_limit 0 means 1 MiB (the usual dictionary page limit). */
int vl_pq_dict_enc_init(vl_pq_dict_enc *d, size_t width, size_t byte_limit,
                        vl_error *err) VL_MUST_CHECK;
void vl_pq_dict_enc_free(vl_pq_dict_enc *d);
/**
 * @brief Adds values (fixed: count * width bytes at v; sv: count views) and
 * writes their entry numbers to idx. Stops before the first new value that
 * would push the page body past byte_limit (or past 2^31 entries): then
 * *done < count and d->full is set, so the writer can flush what it has and
 * fall back to PLAIN. @return VL_OK or VL_ENOMEM (VL_EINVAL for a wrong kind).
 */
int vl_pq_dict_enc_put_fixed(vl_pq_dict_enc *d, const void *v, size_t count, uint32_t *idx,
                             size_t *done, vl_error *err) VL_MUST_CHECK;
int vl_pq_dict_enc_put_sv(vl_pq_dict_enc *d, const vl_sv *v, size_t count, uint32_t *idx,
                          size_t *done, vl_error *err) VL_MUST_CHECK;
/** @brief Appends a RLE_DICTIONARY data page body: the bit width byte (at
 *  least 1, since some readers refuse 0) and the raw hybrid form of idx. */
int vl_pq_dict_encode_indices(const uint32_t *idx, size_t count, size_t dict_n, vl_buf *out,
                              vl_error *err) VL_MUST_CHECK;

/* --------------------------------------------- DELTA_BINARY_PACKED (=5) */

/*
 * A streaming decoder (INT32 and INT64 share it: arithmetic is done in
 * uint64 and INT32 callers get the low 32 bits, which is the same as 32-bit
 * wrap-around). Holds no heap memory.
 */
typedef struct vl_pq_delta_dec {
    const uint8_t *start; /* the stream, for offsets */
    const uint8_t *p, *end;
    uint64_t total;       /* values in the stream (header) */
    uint64_t emitted;     /* values handed out so far */
    uint32_t block_size;  /* values per block */
    uint32_t mb_count;    /* miniblocks per block */
    uint32_t mb_values;   /* values per miniblock */
    int max_bw;           /* 32 for INT32, 64 for INT64 */
    uint64_t last;        /* last value produced */
    uint64_t min_delta;   /* of the current block */
    const uint8_t *bws;   /* bit widths of the current block */
    uint32_t mb_index;    /* next miniblock of the current block */
    uint32_t mb_left;     /* values left in the current miniblock */
    const uint8_t *mb_p;  /* its packed data */
    size_t mb_avail;      /* bytes of it present (less than full only at the end) */
    uint32_t mb_pos;      /* next value within it */
    int mb_bw;
    bool block_open;
} vl_pq_delta_dec;

/** @brief Parses the header. int_bits is 32 or 64 (the physical type).
 *  @return VL_OK, VL_EINVAL (int_bits), VL_ECORRUPT (bad header). */
int vl_pq_delta_dec_init(vl_pq_delta_dec *d, const uint8_t *p, size_t n, int int_bits,
                         vl_error *err) VL_MUST_CHECK;
/** @brief Decodes exactly count more values (VL_ECORRUPT if the stream holds
 *  fewer or its data is truncated). Bit widths of miniblocks past the last
 *  value are ignored (the spec allows junk there), and the zero padding of
 *  the stream's last miniblock may be missing at the end of the input. */
int vl_pq_delta_dec_get(vl_pq_delta_dec *d, int64_t *out, size_t count, vl_error *err) VL_MUST_CHECK;
int vl_pq_delta_dec_get_i32(vl_pq_delta_dec *d, int32_t *out, size_t count,
                            vl_error *err) VL_MUST_CHECK;
/** @brief Skips the rest of the stream and sets *used to its total length
 *  in bytes (where DELTA_LENGTH_BYTE_ARRAY data starts). */
int vl_pq_delta_dec_finish(vl_pq_delta_dec *d, size_t *used, vl_error *err) VL_MUST_CHECK;
/** @return values not yet handed out. */
static inline uint64_t vl_pq_delta_dec_remaining(const vl_pq_delta_dec *d) {
    return d->total - d->emitted;
}

/** @brief One-call forms: the stream must hold at least count values (the
 *  rest are skipped); *used (may be NULL) is the stream's length. */
int vl_pq_delta_decode_i32(const uint8_t *p, size_t n, int32_t *out, size_t count,
                           size_t *used, vl_error *err) VL_MUST_CHECK;
int vl_pq_delta_decode_i64(const uint8_t *p, size_t n, int64_t *out, size_t count,
                           size_t *used, vl_error *err) VL_MUST_CHECK;
/** @brief Encoders: block size 128, 4 miniblocks of 32 values. */
int vl_pq_delta_encode_i32(const int32_t *v, size_t count, vl_buf *out, vl_error *err) VL_MUST_CHECK;
int vl_pq_delta_encode_i64(const int64_t *v, size_t count, vl_buf *out, vl_error *err) VL_MUST_CHECK;

/* -------------------- DELTA_LENGTH_BYTE_ARRAY (=6), DELTA_BYTE_ARRAY (=7) */

/** @brief Lengths (DELTA_BINARY_PACKED) then the bytes: out[i] points into
 *  p. No allocation. */
int vl_pq_delta_length_decode(const uint8_t *p, size_t n, vl_sv *out, size_t count,
                              size_t *used, vl_error *err) VL_MUST_CHECK;
int vl_pq_delta_length_encode(const vl_sv *v, size_t count, vl_buf *out, vl_error *err) VL_MUST_CHECK;

/** @brief The hard cap on the bytes one vl_pq_delta_byte_array_decode call may
 *  rebuild (input of n bytes can describe ~n^2 bytes of shared prefixes). */
#define VL_PQ_DELTA_BA_MAX_OUT ((size_t)1 << 30)

/**
 * @brief Prefix lengths, then suffixes as DELTA_LENGTH_BYTE_ARRAY. Values
 * whose suffix is empty point into the previous value; others are rebuilt in
 * arena a (which must outlive out). flba_len > 0 requires every value to have
 * that length (FIXED_LEN_BYTE_ARRAY); 0 for BYTE_ARRAY.
 * @return VL_OK, VL_ECORRUPT (incl. a prefix longer than the previous value),
 * VL_ENOMEM (arena limit, or more than VL_PQ_DELTA_BA_MAX_OUT bytes).
 */
int vl_pq_delta_byte_array_decode(const uint8_t *p, size_t n, size_t flba_len, vl_sv *out,
                                  size_t count, vl_arena *a, size_t *used,
                                  vl_error *err) VL_MUST_CHECK;
/** @brief Encoder (front coding against the previous value). */
int vl_pq_delta_byte_array_encode(const vl_sv *v, size_t count, vl_buf *out,
                                  vl_error *err) VL_MUST_CHECK;

/* ------------------------------------------------ BYTE_STREAM_SPLIT (=9) */

/** @brief width = 4 (FLOAT/INT32), 8 (DOUBLE/INT64) or the FLBA length. The
 *  page body is width streams of N = n / width bytes (n % width must be 0,
 *  N >= count); the first count values are written to out (count * width
 *  bytes, native little-endian layout). */
int vl_pq_bss_decode(const uint8_t *p, size_t n, size_t width, void *out, size_t count,
                     vl_error *err) VL_MUST_CHECK;
int vl_pq_bss_encode(const void *v, size_t count, size_t width, vl_buf *out,
                     vl_error *err) VL_MUST_CHECK;

/* --------------------------------------------------------- small helpers */

/** @brief IEEE 754 binary16 (the Float16 logical type, FLBA(2) little-endian)
 *  to float/double, exactly: subnormals, infinities, NaN (payload kept). */
float vl_pq_f16_to_float(uint16_t h);
double vl_pq_f16_to_double(uint16_t h);

/** @brief An INT96 timestamp (8-byte LE nanoseconds of day, 4-byte LE Julian
 *  day) to microseconds since the Unix epoch (nanoseconds truncated toward
 *  negative infinity). @return VL_OK or VL_ERANGE (does not fit int64). */
int vl_pq_int96_to_us(const uint8_t p[12], int64_t *us, vl_error *err) VL_MUST_CHECK;

/* -------------------------------------------- compression (parquet_codec.c) */

/* CompressionCodec values from the Thrift definition. */
enum {
    VL_PQ_CODEC_ID_UNCOMPRESSED = 0,
    VL_PQ_CODEC_ID_SNAPPY = 1,
    VL_PQ_CODEC_ID_GZIP = 2,
    VL_PQ_CODEC_ID_LZO = 3,
    VL_PQ_CODEC_ID_BROTLI = 4,
    VL_PQ_CODEC_ID_LZ4 = 5,      /* legacy: Hadoop framing or a raw block */
    VL_PQ_CODEC_ID_ZSTD = 6,
    VL_PQ_CODEC_ID_LZ4_RAW = 7,
};

/*
 * A codec context keeps the (de)compression state of zstd, zlib and lz4
 * between pages, so a reader or writer thread creates one and reuses it for
 * every page. Not thread-safe: one per thread. Opaque.
 */
typedef struct vl_pq_codec_ctx vl_pq_codec_ctx;

/** @return a new context, or NULL when out of memory. States are created
 *  lazily, on first use of each codec. */
vl_pq_codec_ctx *vl_pq_codec_ctx_create(void);
/** @brief Frees the context; accepts NULL. */
void vl_pq_codec_ctx_destroy(vl_pq_codec_ctx *ctx);

/**
 * @brief Decompresses src[0..n) into exactly dst_n bytes (the page header's
 * uncompressed size). ctx may be NULL (a temporary state is used; slower).
 * n == 0 with dst_n == 0 is accepted for every supported codec without
 * calling the library (empty v2 pages).
 * @return VL_OK; VL_ECORRUPT (bad data, or it does not decompress to exactly
 * dst_n bytes); VL_ENOTSUP (LZO, unknown codec ids); VL_ENOMEM.
 */
int vl_pq_decompress_ctx(vl_pq_codec_ctx *ctx, int codec, const uint8_t *src, size_t n,
                         uint8_t *dst, size_t dst_n, vl_error *err) VL_MUST_CHECK;
int vl_pq_decompress(int codec, const uint8_t *src, size_t n, uint8_t *dst, size_t dst_n,
                     vl_error *err) VL_MUST_CHECK;

/**
 * @brief Appends the compressed form of src[0..n) to out. Codecs:
 * UNCOMPRESSED, SNAPPY, GZIP (gzip framing, level 1..9), ZSTD (any zstd
 * level, negative = fast), LZ4_RAW. level 0 means the codec's default
 * (zstd 3, gzip 6); it is ignored by the others. ctx may be NULL.
 * @return VL_OK, VL_ENOTSUP (other codecs), VL_EINVAL (level), VL_ENOMEM,
 * VL_ERANGE (input too large for the codec).
 */
int vl_pq_compress_ctx(vl_pq_codec_ctx *ctx, int codec, int level, const uint8_t *src, size_t n,
                       vl_buf *out, vl_error *err) VL_MUST_CHECK;
int vl_pq_compress(int codec, int level, const uint8_t *src, size_t n, vl_buf *out,
                   vl_error *err) VL_MUST_CHECK;

/** @brief CRC-32 (zlib's polynomial, as the page header crc field) of p[0..n). */
uint32_t vl_pq_crc32(const uint8_t *p, size_t n);

#endif /* VL_PARQUET_ENC_H */
