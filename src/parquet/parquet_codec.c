/* vidlake - Apache-2.0 */
/*
 * Page compression for Parquet: the CompressionCodec ids of the Thrift
 * definition mapped onto zlib (GZIP), snappy, zstd, lz4 and brotli (decode
 * only), following apache/parquet-format Compression.md.
 *
 * Invariants: decompression writes exactly the caller's dst_n bytes (the
 * page header's uncompressed size) or fails with VL_ECORRUPT; it never
 * allocates in proportion to the input. Page sizes are int32 in the page
 * header, so both sizes are limited to INT32_MAX, which also keeps every
 * library's int/uInt length parameters exact.
 *
 * Quirks handled, as parquet-mr and Arrow do:
 * - GZIP: a page may hold several concatenated gzip members; zlib-wrapped
 *   data is also accepted (zlib's automatic header detection).
 * - LZ4 (legacy id 5): parquet-mr wrote Hadoop's framing, a sequence of
 *   [4-byte BE uncompressed size][4-byte BE compressed size][LZ4 block];
 *   older parquet-cpp wrote a bare LZ4 block. The framing is tried first and
 *   the bare block second. New files use LZ4_RAW (id 7, a bare block).
 * - Empty pages (n == 0, dst_n == 0) never reach a library: some v2 writers
 *   store zero bytes even for SNAPPY, which is not a valid snappy stream.
 *
 * A vl_pq_codec_ctx keeps zstd's contexts, zlib's streams and lz4's state
 * for reuse across pages (creating a zstd context costs more than
 * decompressing a small page). zlib allocates through the vl_ hooks; zstd,
 * lz4's library internals, brotli and snappy use their own allocators (the
 * lz4 state and brotli instance are allocated through the hooks).
 */
#define ZLIB_CONST
#include "parquet/parquet_enc.h"

#include <brotli/decode.h>
#include <limits.h>
#include <lz4.h>
#include <snappy-c.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

struct vl_pq_codec_ctx {
    ZSTD_CCtx *zc;
    ZSTD_DCtx *zd;
    z_stream inf;
    bool inf_ok;
    z_stream def;
    bool def_ok;
    int def_level;
    void *lz4_state;
};

#define PAGE_MAX ((size_t)INT32_MAX)

/* Named locally: the public vl_pq_codec_name (parquet.h) belongs to the
 * module's naming helpers. */
static const char *codec_name(int codec) {
    static const char *const names[] = {"UNCOMPRESSED", "SNAPPY", "GZIP", "LZO",
                                        "BROTLI",       "LZ4",    "ZSTD", "LZ4_RAW"};
    return codec >= 0 && codec < 8 ? names[codec] : "UNKNOWN";
}

vl_pq_codec_ctx *vl_pq_codec_ctx_create(void) { return vl_calloc(1, sizeof(vl_pq_codec_ctx)); }

static void ctx_release(vl_pq_codec_ctx *c) {
    ZSTD_freeCCtx(c->zc);
    ZSTD_freeDCtx(c->zd);
    if (c->inf_ok) inflateEnd(&c->inf);
    if (c->def_ok) deflateEnd(&c->def);
    vl_free(c->lz4_state);
    memset(c, 0, sizeof(*c));
}

void vl_pq_codec_ctx_destroy(vl_pq_codec_ctx *ctx) {
    if (!ctx) return;
    ctx_release(ctx);
    vl_free(ctx);
}

uint32_t vl_pq_crc32(const uint8_t *p, size_t n) {
    return (uint32_t)crc32_z(0, p, n);
}


static void *br_alloc(void *opaque, size_t n) {
    (void)opaque;
    return vl_malloc(n);
}
static void br_free(void *opaque, void *p) {
    (void)opaque;
    vl_free(p);
}

static int corrupt(vl_error *err, int codec, const char *what, size_t n, size_t dst_n) {
    return vl_error_set(err, VL_ECORRUPT, "%s page of %zu bytes (%zu uncompressed): %s",
                        codec_name(codec), n, dst_n, what);
}

/* ------------------------------------------------------------ decompress */

static int gunzip(vl_pq_codec_ctx *c, const uint8_t *src, size_t n, uint8_t *dst, size_t dst_n,
                  vl_error *err) {
    z_stream *z = &c->inf;
    if (!c->inf_ok) {
        memset(z, 0, sizeof(*z));
        z->zalloc = vl_zlib_alloc;
        z->zfree = vl_zlib_free;
        if (inflateInit2(z, 15 + 32) != Z_OK) /* 32: gzip or zlib header, detected */
            return vl_error_set(err, VL_ENOMEM, "GZIP: cannot initialise zlib");
        c->inf_ok = true;
    } else if (inflateReset(z) != Z_OK) {
        return vl_error_set(err, VL_ENOMEM, "GZIP: cannot reset zlib");
    }
    z->next_in = src;
    z->avail_in = (uInt)n;
    z->next_out = dst;
    z->avail_out = (uInt)dst_n;
    for (;;) {
        uInt in0 = z->avail_in, out0 = z->avail_out;
        int rc = inflate(z, Z_NO_FLUSH);
        if (rc == Z_STREAM_END) {
            if (z->avail_in == 0) break;
            /* another gzip member follows */
            if (inflateReset(z) != Z_OK) return vl_error_set(err, VL_ENOMEM, "GZIP: cannot reset zlib");
            continue;
        }
        if (rc == Z_MEM_ERROR) return vl_error_set(err, VL_ENOMEM, "GZIP: out of memory");
        if (rc == Z_OK && (z->avail_in != in0 || z->avail_out != out0)) continue;
        if (rc == Z_OK || rc == Z_BUF_ERROR) {
            if (z->avail_out == 0) return corrupt(err, VL_PQ_CODEC_ID_GZIP, "inflates to more bytes", n, dst_n);
            return corrupt(err, VL_PQ_CODEC_ID_GZIP, "stream is truncated", n, dst_n);
        }
        char what[160];
        snprintf(what, sizeof(what), "zlib: %s", z->msg ? z->msg : "bad data");
        return corrupt(err, VL_PQ_CODEC_ID_GZIP, what, n, dst_n);
    }
    if (z->avail_out != 0) return corrupt(err, VL_PQ_CODEC_ID_GZIP, "inflates to fewer bytes", n, dst_n);
    return VL_OK;
}

static int unbrotli(const uint8_t *src, size_t n, uint8_t *dst, size_t dst_n, vl_error *err) {
    BrotliDecoderState *s = BrotliDecoderCreateInstance(br_alloc, br_free, NULL);
    if (!s) return vl_error_set(err, VL_ENOMEM, "BROTLI: out of memory");
    size_t in_left = n, out_left = dst_n;
    const uint8_t *in = src;
    uint8_t *out = dst;
    BrotliDecoderResult r = BrotliDecoderDecompressStream(s, &in_left, &in, &out_left, &out, NULL);
    int rc = VL_OK;
    if (r == BROTLI_DECODER_RESULT_ERROR) {
        char what[160];
        snprintf(what, sizeof(what), "brotli: %s",
                 BrotliDecoderErrorString(BrotliDecoderGetErrorCode(s)));
        rc = corrupt(err, VL_PQ_CODEC_ID_BROTLI, what, n, dst_n);
    } else if (r == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT) {
        rc = corrupt(err, VL_PQ_CODEC_ID_BROTLI, "decompresses to more bytes", n, dst_n);
    } else if (r == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT) {
        rc = corrupt(err, VL_PQ_CODEC_ID_BROTLI, "stream is truncated", n, dst_n);
    } else if (out_left != 0) {
        rc = corrupt(err, VL_PQ_CODEC_ID_BROTLI, "decompresses to fewer bytes", n, dst_n);
    }
    BrotliDecoderDestroyInstance(s);
    return rc;
}

static inline uint32_t be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Hadoop framing: true when the whole input is well-formed frames that fill
 * dst exactly. */
static bool lz4_hadoop(const uint8_t *src, size_t n, uint8_t *dst, size_t dst_n) {
    size_t ip = 0, op = 0;
    if (n < 8) return false;
    while (n - ip >= 8) {
        uint32_t us = be32(src + ip), cs = be32(src + ip + 4);
        ip += 8;
        if (cs > n - ip || us > dst_n - op || cs == 0) return false;
        int r = LZ4_decompress_safe((const char *)(src + ip), (char *)(dst + op), (int)cs, (int)us);
        if (r < 0 || (uint32_t)r != us) return false;
        ip += cs;
        op += us;
    }
    return ip == n && op == dst_n;
}

static bool lz4_block(const uint8_t *src, size_t n, uint8_t *dst, size_t dst_n) {
    int r = LZ4_decompress_safe((const char *)src, (char *)dst, (int)n, (int)dst_n);
    return r >= 0 && (size_t)r == dst_n;
}

int vl_pq_decompress_ctx(vl_pq_codec_ctx *ctx, int codec, const uint8_t *src, size_t n,
                         uint8_t *dst, size_t dst_n, vl_error *err) {
    if (!ctx) return vl_pq_decompress(codec, src, n, dst, dst_n, err);
    if (codec == VL_PQ_CODEC_ID_LZO) return vl_error_set(err, VL_ENOTSUP, "LZO compression is not supported");
    if (codec < 0 || codec > VL_PQ_CODEC_ID_LZ4_RAW)
        return vl_error_set(err, VL_ENOTSUP, "compression codec %d is not supported", codec);
    if (n > PAGE_MAX || dst_n > PAGE_MAX)
        return vl_error_set(err, VL_ECORRUPT, "%s page: sizes %zu / %zu exceed 2^31 - 1",
                            codec_name(codec), n, dst_n);
    if (n == 0) return dst_n == 0 ? VL_OK : corrupt(err, codec, "no data", n, dst_n);
    uint8_t dummy;
    if (dst_n == 0) dst = &dummy; /* libraries may reject a NULL output pointer */
    switch (codec) {
    case VL_PQ_CODEC_ID_UNCOMPRESSED:
        if (n != dst_n) return corrupt(err, codec, "sizes differ", n, dst_n);
        memcpy(dst, src, n);
        return VL_OK;
    case VL_PQ_CODEC_ID_SNAPPY: {
        size_t len;
        if (snappy_uncompressed_length((const char *)src, n, &len) != SNAPPY_OK)
            return corrupt(err, codec, "bad snappy length header", n, dst_n);
        if (len != dst_n) {
            char what[96];
            snprintf(what, sizeof(what), "snappy says %zu bytes", len);
            return corrupt(err, codec, what, n, dst_n);
        }
        len = dst_n;
        if (snappy_uncompress((const char *)src, n, (char *)dst, &len) != SNAPPY_OK || len != dst_n)
            return corrupt(err, codec, "bad snappy data", n, dst_n);
        return VL_OK;
    }
    case VL_PQ_CODEC_ID_GZIP: return gunzip(ctx, src, n, dst, dst_n, err);
    case VL_PQ_CODEC_ID_BROTLI: return unbrotli(src, n, dst, dst_n, err);
    case VL_PQ_CODEC_ID_LZ4:
        if (lz4_hadoop(src, n, dst, dst_n) || lz4_block(src, n, dst, dst_n)) return VL_OK;
        return corrupt(err, codec, "neither Hadoop-framed LZ4 nor a raw LZ4 block of that size", n, dst_n);
    case VL_PQ_CODEC_ID_LZ4_RAW:
        if (lz4_block(src, n, dst, dst_n)) return VL_OK;
        return corrupt(err, codec, "not an LZ4 block of that size", n, dst_n);
    case VL_PQ_CODEC_ID_ZSTD: {
        if (!ctx->zd && !(ctx->zd = ZSTD_createDCtx()))
            return vl_error_set(err, VL_ENOMEM, "ZSTD: out of memory");
        size_t r = ZSTD_decompressDCtx(ctx->zd, dst, dst_n, src, n);
        if (ZSTD_isError(r)) {
            char what[160];
            snprintf(what, sizeof(what), "zstd: %s", ZSTD_getErrorName(r));
            return corrupt(err, codec, what, n, dst_n);
        }
        if (r != dst_n) return corrupt(err, codec, "decompresses to fewer bytes", n, dst_n);
        return VL_OK;
    }
    }
    return vl_error_set(err, VL_ENOTSUP, "compression codec %d is not supported", codec);
}

int vl_pq_decompress(int codec, const uint8_t *src, size_t n, uint8_t *dst, size_t dst_n,
                     vl_error *err) {
    vl_pq_codec_ctx c;
    memset(&c, 0, sizeof(c));
    int rc = vl_pq_decompress_ctx(&c, codec, src, n, dst, dst_n, err);
    ctx_release(&c);
    return rc;
}

/* -------------------------------------------------------------- compress */

static int gzip(vl_pq_codec_ctx *c, int level, const uint8_t *src, size_t n, vl_buf *out,
                vl_error *err) {
    if (level == 0) level = 6;
    if (level < 1 || level > 9) return vl_error_set(err, VL_EINVAL, "GZIP: level %d not in 1..9", level);
    z_stream *z = &c->def;
    if (c->def_ok && c->def_level != level) {
        deflateEnd(z);
        c->def_ok = false;
    }
    if (!c->def_ok) {
        memset(z, 0, sizeof(*z));
        z->zalloc = vl_zlib_alloc;
        z->zfree = vl_zlib_free;
        /* 15 + 16: a 32 KiB window with a gzip header and trailer */
        if (deflateInit2(z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
            return vl_error_set(err, VL_ENOMEM, "GZIP: cannot initialise zlib");
        c->def_ok = true;
        c->def_level = level;
    } else if (deflateReset(z) != Z_OK) {
        return vl_error_set(err, VL_ENOMEM, "GZIP: cannot reset zlib");
    }
    size_t bound = deflateBound(z, (uLong)n);
    if (bound > UINT_MAX || vl_buf_reserve(out, bound))
        return vl_error_set(err, VL_ENOMEM, "GZIP: out of memory");
    z->next_in = src;
    z->avail_in = (uInt)n;
    z->next_out = (Bytef *)out->p + out->n;
    z->avail_out = (uInt)bound;
    if (deflate(z, Z_FINISH) != Z_STREAM_END) return vl_error_set(err, VL_ENOMEM, "GZIP: deflate failed");
    out->n += bound - z->avail_out;
    return VL_OK;
}

int vl_pq_compress_ctx(vl_pq_codec_ctx *ctx, int codec, int level, const uint8_t *src, size_t n,
                       vl_buf *out, vl_error *err) {
    if (!ctx) return vl_pq_compress(codec, level, src, n, out, err);
    if (n > PAGE_MAX)
        return vl_error_set(err, VL_ERANGE, "%s: a page of %zu bytes exceeds 2^31 - 1",
                            codec_name(codec), n);
    static const uint8_t empty[1];
    if (!src) src = empty;
    switch (codec) {
    case VL_PQ_CODEC_ID_UNCOMPRESSED:
        if (vl_buf_append(out, src, n)) return vl_error_set(err, VL_ENOMEM, "UNCOMPRESSED: out of memory");
        return VL_OK;
    case VL_PQ_CODEC_ID_SNAPPY: {
        size_t cap = snappy_max_compressed_length(n);
        if (vl_buf_reserve(out, cap)) return vl_error_set(err, VL_ENOMEM, "SNAPPY: out of memory");
        if (snappy_compress((const char *)src, n, out->p + out->n, &cap) != SNAPPY_OK)
            return vl_error_set(err, VL_ENOMEM, "SNAPPY: compression failed");
        out->n += cap;
        return VL_OK;
    }
    case VL_PQ_CODEC_ID_GZIP: return gzip(ctx, level, src, n, out, err);
    case VL_PQ_CODEC_ID_ZSTD: {
        if (level == 0) level = 3;
        if (level < ZSTD_minCLevel() || level > ZSTD_maxCLevel())
            return vl_error_set(err, VL_EINVAL, "ZSTD: level %d not in %d..%d", level,
                                ZSTD_minCLevel(), ZSTD_maxCLevel());
        if (!ctx->zc && !(ctx->zc = ZSTD_createCCtx()))
            return vl_error_set(err, VL_ENOMEM, "ZSTD: out of memory");
        size_t cap = ZSTD_compressBound(n);
        if (vl_buf_reserve(out, cap)) return vl_error_set(err, VL_ENOMEM, "ZSTD: out of memory");
        size_t r = ZSTD_compressCCtx(ctx->zc, out->p + out->n, cap, src, n, level);
        if (ZSTD_isError(r)) return vl_error_set(err, VL_ENOMEM, "ZSTD: %s", ZSTD_getErrorName(r));
        out->n += r;
        return VL_OK;
    }
    case VL_PQ_CODEC_ID_LZ4_RAW: {
        if (!ctx->lz4_state && !(ctx->lz4_state = vl_malloc((size_t)LZ4_sizeofState())))
            return vl_error_set(err, VL_ENOMEM, "LZ4_RAW: out of memory");
        int cap = LZ4_compressBound((int)n);
        if (cap <= 0) return vl_error_set(err, VL_ERANGE, "LZ4_RAW: %zu bytes is too large", n);
        if (vl_buf_reserve(out, (size_t)cap)) return vl_error_set(err, VL_ENOMEM, "LZ4_RAW: out of memory");
        int r = LZ4_compress_fast_extState(ctx->lz4_state, (const char *)src, out->p + out->n,
                                           (int)n, cap, 1);
        if (r <= 0) return vl_error_set(err, VL_ENOMEM, "LZ4_RAW: compression failed");
        out->n += (size_t)r;
        return VL_OK;
    }
    }
    return vl_error_set(err, VL_ENOTSUP, "writing %s (codec %d) is not supported",
                        codec_name(codec), codec);
}

int vl_pq_compress(int codec, int level, const uint8_t *src, size_t n, vl_buf *out, vl_error *err) {
    vl_pq_codec_ctx c;
    memset(&c, 0, sizeof(c));
    int rc = vl_pq_compress_ctx(&c, codec, level, src, n, out, err);
    ctx_release(&c);
    return rc;
}
