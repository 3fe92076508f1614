/* vidlake - Apache-2.0 */
/*
 * Fuzz target: every Parquet value decoder and every page codec on arbitrary
 * bytes. The first 5 bytes choose what to run:
 *   [0] decoder (see the switch), [1] bit width / codec parameter,
 *   [2..3] value count (LE, <= 65535), [4] type length / dictionary size /
 *   chunk size; the rest is the encoded input.
 * Decoders must return VL_OK or VL_ECORRUPT (with a message), never read
 * outside the input or write past `count` values (ASan). Whatever decodes
 * must re-encode and decode to the same values (round trip), and whatever
 * decompresses with a codec we can write must survive compress+decompress.
 */
#include "fuzz.h"
#include "parquet/parquet_enc.h"

#include <string.h>

#define MAX_DST ((size_t)1 << 20) /* decompressed sizes stay <= 1 MiB */

static void check_rc(int rc, const vl_error *err) {
    FUZZ_ASSERT(rc == VL_OK || rc == VL_ECORRUPT);
    if (rc) FUZZ_ASSERT(err->code == rc && err->msg[0] != '\0');
}

static void rle_roundtrip(const uint32_t *v, size_t count, int bw, int prefixed) {
    vl_buf b;
    vl_buf_init(&b);
    vl_error err;
    uint32_t *again = malloc(count * 4 + 4);
    FUZZ_ASSERT((prefixed ? vl_pq_rle_encode_prefixed(v, count, bw, &b, &err)
                          : vl_pq_rle_encode(v, count, bw, &b, &err)) == VL_OK);
    size_t used;
    FUZZ_ASSERT((prefixed ? vl_pq_rle_decode_prefixed((uint8_t *)b.p, b.n, bw, again, count, &used, &err)
                          : vl_pq_rle_decode((uint8_t *)b.p, b.n, bw, again, count, &used, &err)) == VL_OK);
    FUZZ_ASSERT(used == b.n && memcmp(v, again, count * 4) == 0);
    free(again);
    vl_buf_free(&b);
}

static void delta_roundtrip(const int64_t *v, size_t count) {
    vl_buf b;
    vl_buf_init(&b);
    vl_error err;
    int64_t *again = malloc(count * 8 + 8);
    FUZZ_ASSERT(vl_pq_delta_encode_i64(v, count, &b, &err) == VL_OK);
    size_t used;
    FUZZ_ASSERT(vl_pq_delta_decode_i64((uint8_t *)b.p, b.n, again, count, &used, &err) == VL_OK);
    FUZZ_ASSERT(used == b.n && memcmp(v, again, count * 8) == 0);
    free(again);
    vl_buf_free(&b);
}

static void sv_roundtrip(const vl_sv *v, size_t count, int kind) {
    vl_buf b;
    vl_buf_init(&b);
    vl_error err;
    vl_arena a;
    vl_arena_init(&a, 0);
    vl_sv *again = malloc((count + 1) * sizeof(*again));
    size_t used;
    int rc;
    if (kind == 0) {
        FUZZ_ASSERT(vl_pq_plain_encode_byte_array(v, count, &b, &err) == VL_OK);
        rc = vl_pq_plain_decode_byte_array((uint8_t *)b.p, b.n, again, count, &used, &err);
    } else if (kind == 1) {
        FUZZ_ASSERT(vl_pq_delta_length_encode(v, count, &b, &err) == VL_OK);
        rc = vl_pq_delta_length_decode((uint8_t *)b.p, b.n, again, count, &used, &err);
    } else {
        FUZZ_ASSERT(vl_pq_delta_byte_array_encode(v, count, &b, &err) == VL_OK);
        rc = vl_pq_delta_byte_array_decode((uint8_t *)b.p, b.n, 0, again, count, &a, &used, &err);
    }
    FUZZ_ASSERT(rc == VL_OK && used == b.n);
    for (size_t i = 0; i < count; i++) FUZZ_ASSERT(vl_sv_eq(v[i], again[i]));
    free(again);
    vl_arena_destroy(&a);
    vl_buf_free(&b);
}

static void codec_case(int codec, const uint8_t *p, size_t n, size_t dst_n) {
    vl_error err;
    uint8_t *dst = malloc(dst_n ? dst_n : 1);
    int rc = vl_pq_decompress(codec, p, n, dst, dst_n, &err);
    if (codec == VL_PQ_CODEC_ID_LZO) {
        FUZZ_ASSERT(rc == VL_ENOTSUP);
    } else {
        check_rc(rc, &err);
    }
    /* the same through a reused context */
    vl_pq_codec_ctx *ctx = vl_pq_codec_ctx_create();
    if (ctx) {
        int rc2 = vl_pq_decompress_ctx(ctx, codec, p, n, dst, dst_n, &err);
        FUZZ_ASSERT(rc2 == rc);
        if (rc == VL_OK && (codec == VL_PQ_CODEC_ID_SNAPPY || codec == VL_PQ_CODEC_ID_GZIP ||
                            codec == VL_PQ_CODEC_ID_ZSTD || codec == VL_PQ_CODEC_ID_LZ4_RAW)) {
            vl_buf b;
            vl_buf_init(&b);
            uint8_t *again = malloc(dst_n ? dst_n : 1);
            FUZZ_ASSERT(vl_pq_compress_ctx(ctx, codec, 0, dst, dst_n, &b, &err) == VL_OK);
            FUZZ_ASSERT(vl_pq_decompress_ctx(ctx, codec, (uint8_t *)b.p, b.n, again, dst_n, &err) == VL_OK);
            FUZZ_ASSERT(memcmp(again, dst, dst_n) == 0);
            free(again);
            vl_buf_free(&b);
        }
        vl_pq_codec_ctx_destroy(ctx);
    }
    free(dst);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 5) return 0;
    int sel = data[0] % 25, b1 = data[1], b4 = data[4];
    size_t count = (size_t)data[2] | (size_t)data[3] << 8;
    const uint8_t *p = data + 5;
    size_t n = size - 5, used = 0;
    vl_error err;
    memset(&err, 0, sizeof(err));
    /* outputs sized for count values of up to 16 bytes */
    uint8_t *out = malloc(count * 16 + 16);
    uint32_t *o32 = (uint32_t *)(void *)out;
    int64_t *o64 = (int64_t *)(void *)out;
    vl_sv *osv = (vl_sv *)(void *)out;
    static uint8_t dict_fixed[256 * 8];
    static vl_sv dict_sv[256];
    for (int i = 0; i < 256; i++) {
        dict_sv[i] = (vl_sv){(const char *)dict_fixed + i, (size_t)(i % 5)};
        dict_fixed[i] = (uint8_t)i;
    }
    int rc = VL_OK;
    switch (sel) {
    case 0:
    case 1: {
        int bw = b1 % 33;
        rc = sel == 0 ? vl_pq_rle_decode(p, n, bw, o32, count, &used, &err)
                      : vl_pq_rle_decode_prefixed(p, n, bw, o32, count, &used, &err);
        check_rc(rc, &err);
        if (rc == VL_OK) {
            FUZZ_ASSERT(used <= n);
            for (size_t i = 0; i < count; i++) FUZZ_ASSERT(bw == 32 || (o32[i] >> bw) == 0);
            rle_roundtrip(o32, count, bw, sel);
        }
        break;
    }
    case 2: {
        uint16_t *o16 = (uint16_t *)(void *)out;
        rc = vl_pq_rle_decode_prefixed_u16(p, n, b1 % 17, o16, count, &used, &err);
        check_rc(rc, &err);
        break;
    }
    case 3: { /* streaming in chunks of b4 + 1 */
        vl_pq_rle_dec d;
        FUZZ_ASSERT(vl_pq_rle_dec_init(&d, p, n, b1 % 33, &err) == VL_OK);
        for (size_t i = 0; i < count && rc == VL_OK;) {
            size_t k = (size_t)b4 + 1 < count - i ? (size_t)b4 + 1 : count - i;
            rc = vl_pq_rle_dec_get(&d, o32 + i, k, &err);
            i += k;
        }
        check_rc(rc, &err);
        FUZZ_ASSERT(vl_pq_rle_dec_consumed(&d) <= n);
        break;
    }
    case 4:
        rc = vl_pq_bitpacked_decode(p, n, b1 % 33, o32, count, &used, &err);
        check_rc(rc, &err);
        break;
    case 5:
        rc = vl_pq_plain_decode_bool(p, n, out, count, &used, &err);
        check_rc(rc, &err);
        break;
    case 6:
        rc = vl_pq_plain_decode_fixed(p, n, 1 + b4 % 16, out, count, &used, &err);
        check_rc(rc, &err);
        break;
    case 7:
        rc = vl_pq_plain_decode_byte_array(p, n, osv, count, &used, &err);
        check_rc(rc, &err);
        if (rc == VL_OK) sv_roundtrip(osv, count, 0);
        break;
    case 8:
        rc = vl_pq_dict_decode_indices(p, n, b4, o32, count, &err);
        check_rc(rc, &err);
        for (size_t i = 0; rc == VL_OK && i < count; i++) FUZZ_ASSERT(o32[i] < (uint32_t)b4);
        break;
    case 9:
        rc = vl_pq_dict_decode_fixed(p, n, dict_fixed, b4, 1 + b1 % 8, out, count, &err);
        check_rc(rc, &err);
        break;
    case 10:
        rc = vl_pq_dict_decode_sv(p, n, dict_sv, b4, osv, count, &err);
        check_rc(rc, &err);
        break;
    case 11:
        rc = vl_pq_delta_decode_i32(p, n, (int32_t *)(void *)out, count, &used, &err);
        check_rc(rc, &err);
        break;
    case 12:
        rc = vl_pq_delta_decode_i64(p, n, o64, count, &used, &err);
        check_rc(rc, &err);
        if (rc == VL_OK) delta_roundtrip(o64, count);
        break;
    case 13: { /* streaming, then finish */
        vl_pq_delta_dec d;
        rc = vl_pq_delta_dec_init(&d, p, n, b1 & 1 ? 64 : 32, &err);
        for (size_t i = 0; i < count && rc == VL_OK;) {
            size_t k = (size_t)b4 + 1 < count - i ? (size_t)b4 + 1 : count - i;
            rc = vl_pq_delta_dec_get(&d, o64 + i, k, &err);
            i += k;
        }
        if (rc == VL_OK) rc = vl_pq_delta_dec_finish(&d, &used, &err);
        check_rc(rc, &err);
        break;
    }
    case 14:
        rc = vl_pq_delta_length_decode(p, n, osv, count, &used, &err);
        check_rc(rc, &err);
        if (rc == VL_OK) sv_roundtrip(osv, count, 1);
        break;
    case 15: {
        vl_arena a;
        vl_arena_init(&a, 0);
        a.limit = (size_t)64 << 20;
        size_t flba = b4 % 4 == 0 ? 0 : b4 % 17;
        rc = vl_pq_delta_byte_array_decode(p, n, flba, osv, count, &a, &used, &err);
        if (rc != VL_ENOMEM) check_rc(rc, &err);
        if (rc == VL_OK) {
            for (size_t i = 0; flba && i < count; i++) FUZZ_ASSERT(osv[i].n == flba);
            sv_roundtrip(osv, count, 2);
        }
        vl_arena_destroy(&a);
        break;
    }
    case 16: {
        size_t w = 1 + b4 % 16;
        rc = vl_pq_bss_decode(p, n, w, out, count, &err);
        check_rc(rc, &err);
        if (rc == VL_OK) {
            vl_buf b;
            vl_buf_init(&b);
            FUZZ_ASSERT(vl_pq_bss_encode(out, count, w, &b, &err) == VL_OK);
            FUZZ_ASSERT(b.n == count * w);
            if (count * w == n) FUZZ_ASSERT(memcmp(b.p, p, n) == 0);
            vl_buf_free(&b);
        }
        break;
    }
    default: { /* 17..24: codecs 0..7 */
        size_t dst_n = count * (1 + (size_t)b4 % 16);
        if (dst_n > MAX_DST) dst_n = MAX_DST;
        codec_case(sel - 17, p, n, dst_n);
        break;
    }
    }
    if (rc == VL_OK) FUZZ_ASSERT(used <= n);
    free(out);
    return 0;
}
