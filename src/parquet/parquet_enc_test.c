/* vidlake - Apache-2.0 */
/* Unit tests for the Parquet encodings and codecs (parquet_enc.c,
 * parquet_codec.c): round trips with random data, the byte examples of
 * Encodings.md, truncation at every length, hostile indices and sizes, and
 * pages of real files from VIDLAKE_TESTDATA when they are present. */
#include "parquet/parquet_enc.h"
#include "vl_test.h"

#include <lz4.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* An exact-size heap copy, so that ASan catches any read past the end. */
static uint8_t *dup_exact(const void *p, size_t n) {
    uint8_t *d = malloc(n ? n : 1);
    if (n) memcpy(d, p, n);
    return d;
}

static const size_t sizes[] = {0, 1, 2, 7, 8, 9, 31, 32, 33, 127, 128, 129, 1000, 10000};
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

static uint32_t mask32(int bw) { return bw == 32 ? 0xffffffffu : (uint32_t)((1ull << bw) - 1); }

/* pattern 0: random; 1: runs of random length; 2: mostly one value */
static void fill_u32(vl_rng *r, uint32_t *v, size_t n, int bw, int pattern) {
    uint32_t m = mask32(bw);
    for (size_t i = 0; i < n;) {
        if (pattern == 0) {
            v[i++] = (uint32_t)vl_rng_next(r) & m;
        } else {
            size_t run = pattern == 1 ? 1 + vl_rng_below(r, 40) : 1 + vl_rng_below(r, 3000);
            uint32_t x = (uint32_t)vl_rng_next(r) & m;
            for (size_t k = 0; k < run && i < n; k++) v[i++] = x;
        }
    }
}

/* ---------------------------------------------------------------- hybrid */

static void t_rle_roundtrip(vl_test *t) {
    vl_rng r;
    vl_rng_seed(&r, 1);
    uint32_t *v = malloc(10000 * 4), *got = malloc(10000 * 4);
    uint16_t *v16 = malloc(10000 * 2), *got16 = malloc(10000 * 2);
    vl_buf b;
    vl_buf_init(&b);
    vl_error err;
    for (size_t si = 0; si < NSIZES; si++)
        for (int bw = 0; bw <= 32; bw++)
            for (int pat = 0; pat < 3; pat++) {
                size_t n = sizes[si];
                fill_u32(&r, v, n, bw, pat);
                vl_buf_clear(&b);
                REQUIRE(t, vl_pq_rle_encode(v, n, bw, &b, &err) == VL_OK);
                uint8_t *e = dup_exact(b.p, b.n);
                size_t used = 0;
                int rc = vl_pq_rle_decode(e, b.n, bw, got, n, &used, &err);
                CHECKF(t, rc == VL_OK, "n=%zu bw=%d pat=%d: %s", n, bw, pat, err.msg);
                CHECKF(t, rc || memcmp(v, got, n * 4) == 0, "n=%zu bw=%d pat=%d", n, bw, pat);
                CHECK(t, rc || used == b.n);
                /* the streaming decoder in uneven chunks */
                vl_pq_rle_dec d;
                REQUIRE(t, vl_pq_rle_dec_init(&d, e, b.n, bw, &err) == VL_OK);
                for (size_t i = 0; i < n;) {
                    size_t k = 1 + vl_rng_below(&r, 50);
                    if (k > n - i) k = n - i;
                    if (vl_pq_rle_dec_get(&d, got + i, k, &err) != VL_OK) {
                        CHECKF(t, 0, "chunked n=%zu bw=%d: %s", n, bw, err.msg);
                        break;
                    }
                    i += k;
                }
                CHECK(t, memcmp(v, got, n * 4) == 0);
                free(e);
                /* prefixed, and the u16 forms */
                vl_buf_clear(&b);
                REQUIRE(t, vl_pq_rle_encode_prefixed(v, n, bw, &b, &err) == VL_OK);
                e = dup_exact(b.p, b.n);
                CHECK(t, vl_pq_rle_decode_prefixed(e, b.n, bw, got, n, &used, &err) == VL_OK);
                CHECK(t, memcmp(v, got, n * 4) == 0 && used == b.n);
                free(e);
                if (bw <= 16) {
                    for (size_t i = 0; i < n; i++) v16[i] = (uint16_t)v[i];
                    vl_buf_clear(&b);
                    REQUIRE(t, vl_pq_rle_encode_prefixed_u16(v16, n, bw, &b, &err) == VL_OK);
                    e = dup_exact(b.p, b.n);
                    CHECK(t, vl_pq_rle_decode_prefixed_u16(e, b.n, bw, got16, n, &used, &err) == VL_OK);
                    CHECK(t, memcmp(v16, got16, n * 2) == 0 && used == b.n);
                    free(e);
                }
            }
    /* a value too wide for the bit width is refused by the encoder */
    uint32_t wide = 8;
    CHECK(t, vl_pq_rle_encode(&wide, 1, 3, &b, &err) == VL_EINVAL);
    vl_buf_free(&b);
    free(v);
    free(got);
    free(v16);
    free(got16);
}

static void t_rle_spec_bytes(vl_test *t) {
    vl_error err;
    /* Encodings.md: 0..7 at width 3 bit-packed LSB-first = 10001000 11000110 11111010 */
    uint32_t v[8] = {0, 1, 2, 3, 4, 5, 6, 7}, got[16];
    const uint8_t want[] = {0x03, 0x88, 0xC6, 0xFA}; /* header: 1 group << 1 | 1 */
    vl_buf b;
    vl_buf_init(&b);
    REQUIRE(t, vl_pq_rle_encode(v, 8, 3, &b, &err) == VL_OK);
    CHECK(t, b.n == sizeof(want) && memcmp(b.p, want, sizeof(want)) == 0);
    CHECK(t, vl_pq_rle_decode(want, sizeof(want), 3, got, 8, NULL, &err) == VL_OK);
    CHECK(t, memcmp(got, v, sizeof(v)) == 0);
    /* an RLE run: 10 times the value 4 at width 3 = header 10 << 1, one value byte */
    const uint8_t run[] = {0x14, 0x04};
    CHECK(t, vl_pq_rle_decode(run, 2, 3, got, 10, NULL, &err) == VL_OK);
    for (int i = 0; i < 10; i++) CHECK(t, got[i] == 4);
    CHECK(t, vl_pq_rle_decode(run, 2, 3, got, 11, NULL, &err) == VL_ECORRUPT);
    CHECKF(t, strstr(err.msg, "RLE/bit-packed") != NULL, "%s", err.msg);
    /* RLE value wider than the bit width */
    const uint8_t bad[] = {0x14, 0x09};
    CHECK(t, vl_pq_rle_decode(bad, 2, 3, got, 10, NULL, &err) == VL_ECORRUPT);
    /* an overlong varint header */
    const uint8_t over[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0};
    CHECK(t, vl_pq_rle_decode(over, sizeof(over), 1, got, 1, NULL, &err) == VL_ECORRUPT);
    /* a length prefix larger than the buffer */
    const uint8_t pre[] = {0x09, 0, 0, 0, 0x14, 0x04};
    CHECK(t, vl_pq_rle_decode_prefixed(pre, sizeof(pre), 3, got, 1, NULL, &err) == VL_ECORRUPT);
    /* width 0: a long literal header costs nothing and yields zeros */
    const uint8_t zero[] = {0xff, 0x01};
    CHECK(t, vl_pq_rle_decode(zero, 2, 0, got, 16, NULL, &err) == VL_OK && got[15] == 0);
    CHECK(t, vl_pq_rle_decode(zero, 2, 33, got, 1, NULL, &err) == VL_EINVAL);
    /* a bit-packed run whose declared groups run past the input still yields
     * the values that are present (Arrow and parquet-mr do the same) */
    const uint8_t cut[] = {0x05, 0x88, 0xC6, 0xFA}; /* claims 2 groups, holds 1 */
    CHECK(t, vl_pq_rle_decode(cut, 4, 3, got, 8, NULL, &err) == VL_OK);
    CHECK(t, vl_pq_rle_decode(cut, 4, 3, got, 9, NULL, &err) == VL_ECORRUPT);
    vl_buf_free(&b);
}

static void t_bitpacked_legacy(vl_test *t) {
    vl_error err;
    uint32_t v[8] = {0, 1, 2, 3, 4, 5, 6, 7}, got[8];
    const uint8_t want[] = {0x05, 0x39, 0x77}; /* Encodings.md, MSB-first */
    vl_buf b;
    vl_buf_init(&b);
    REQUIRE(t, vl_pq_bitpacked_encode(v, 8, 3, &b, &err) == VL_OK);
    CHECK(t, b.n == 3 && memcmp(b.p, want, 3) == 0);
    size_t used;
    CHECK(t, vl_pq_bitpacked_decode(want, 3, 3, got, 8, &used, &err) == VL_OK && used == 3);
    CHECK(t, memcmp(got, v, sizeof(v)) == 0);
    CHECK(t, vl_pq_bitpacked_decode(want, 2, 3, got, 8, &used, &err) == VL_ECORRUPT);
    vl_rng r;
    vl_rng_seed(&r, 2);
    uint32_t *a = malloc(1000 * 4), *g = malloc(1000 * 4);
    for (int bw = 0; bw <= 32; bw++)
        for (size_t si = 0; si < NSIZES && sizes[si] <= 1000; si++) {
            size_t n = sizes[si];
            fill_u32(&r, a, n, bw, 0);
            vl_buf_clear(&b);
            REQUIRE(t, vl_pq_bitpacked_encode(a, n, bw, &b, &err) == VL_OK);
            uint8_t *e = dup_exact(b.p, b.n);
            CHECK(t, vl_pq_bitpacked_decode(e, b.n, bw, g, n, &used, &err) == VL_OK && used == b.n);
            CHECK(t, memcmp(a, g, n * 4) == 0);
            if (b.n) CHECK(t, vl_pq_bitpacked_decode(e, b.n - 1, bw, g, n, &used, &err) == VL_ECORRUPT);
            free(e);
        }
    free(a);
    free(g);
    vl_buf_free(&b);
}

/* ----------------------------------------------------------------- PLAIN */

static void t_plain(vl_test *t) {
    vl_rng r;
    vl_rng_seed(&r, 3);
    vl_error err;
    vl_buf b;
    vl_buf_init(&b);
    uint8_t *raw = malloc(10000 * 16), *got = malloc(10000 * 16);
    const size_t widths[] = {1, 3, 4, 8, 12, 16};
    for (size_t si = 0; si < NSIZES; si++) {
        size_t n = sizes[si];
        for (size_t i = 0; i < n * 16; i++) raw[i] = (uint8_t)vl_rng_next(&r);
        /* booleans */
        uint8_t *bools = malloc(n + 1);
        for (size_t i = 0; i < n; i++) bools[i] = raw[i] & 1;
        vl_buf_clear(&b);
        REQUIRE(t, vl_pq_plain_encode_bool(bools, n, &b, &err) == VL_OK);
        CHECK(t, b.n == (n + 7) / 8);
        uint8_t *e = dup_exact(b.p, b.n);
        size_t used;
        CHECK(t, vl_pq_plain_decode_bool(e, b.n, got, n, &used, &err) == VL_OK && used == b.n);
        CHECK(t, memcmp(got, bools, n) == 0);
        for (size_t l = 0; l < b.n; l++)
            CHECK(t, vl_pq_plain_decode_bool(e, l, got, n, NULL, &err) == VL_ECORRUPT);
        free(e);
        free(bools);
        /* fixed widths: INT32, INT64, INT96, FLOAT, DOUBLE, FLBA */
        for (size_t w = 0; w < sizeof(widths) / sizeof(widths[0]); w++) {
            vl_buf_clear(&b);
            REQUIRE(t, vl_pq_plain_encode_fixed(raw, n, widths[w], &b, &err) == VL_OK);
            e = dup_exact(b.p, b.n);
            CHECK(t, vl_pq_plain_decode_fixed(e, b.n, widths[w], got, n, &used, &err) == VL_OK);
            CHECK(t, used == n * widths[w] && memcmp(got, raw, used) == 0);
            if (n) CHECK(t, vl_pq_plain_decode_fixed(e, b.n - 1, widths[w], got, n, NULL, &err) == VL_ECORRUPT);
            free(e);
        }
        /* byte arrays of random lengths (0..20) */
        vl_sv *sv = malloc((n + 1) * sizeof(*sv)), *gs = malloc((n + 1) * sizeof(*gs));
        for (size_t i = 0; i < n; i++) sv[i] = vl_sv_make((const char *)raw + i, vl_rng_below(&r, 21));
        vl_buf_clear(&b);
        REQUIRE(t, vl_pq_plain_encode_byte_array(sv, n, &b, &err) == VL_OK);
        e = dup_exact(b.p, b.n);
        CHECK(t, vl_pq_plain_decode_byte_array(e, b.n, gs, n, &used, &err) == VL_OK && used == b.n);
        for (size_t i = 0; i < n; i++) CHECK(t, vl_sv_eq(sv[i], gs[i]));
        if (n <= 200)
            for (size_t l = 0; l < b.n; l++)
                CHECK(t, vl_pq_plain_decode_byte_array(e, l, gs, n, NULL, &err) == VL_ECORRUPT);
        free(e);
        free(sv);
        free(gs);
    }
    /* a length that points past the end */
    const uint8_t bad[] = {0xff, 0xff, 0xff, 0x7f, 'a'};
    vl_sv one;
    CHECK(t, vl_pq_plain_decode_byte_array(bad, sizeof(bad), &one, 1, NULL, &err) == VL_ECORRUPT);
    CHECKF(t, strstr(err.msg, "BYTE_ARRAY") != NULL, "%s", err.msg);
    /* a count whose byte size overflows */
    CHECK(t, vl_pq_plain_decode_fixed(bad, 5, 8, got, SIZE_MAX / 4, NULL, &err) == VL_ECORRUPT);
    free(raw);
    free(got);
    vl_buf_free(&b);
}

/* ------------------------------------------------------------ dictionary */

static void t_dictionary(vl_test *t) {
    vl_rng r;
    vl_rng_seed(&r, 4);
    vl_error err;
    vl_buf page;
    vl_buf_init(&page);
    const size_t widths[] = {4, 8, 12, 5};
    const size_t n = 10000;
    uint8_t *vals = malloc(n * 12), *got = malloc(n * 12);
    uint32_t *idx = malloc(n * 4), *gidx = malloc(n * 4);
    for (size_t w = 0; w < 4; w++) {
        size_t width = widths[w];
        /* 300 distinct values, repeated */
        for (size_t i = 0; i < n; i++) {
            uint64_t k = vl_mix64(vl_rng_below(&r, 300));
            for (size_t j = 0; j < width; j++) vals[i * width + j] = (uint8_t)(k >> (8 * (j % 8)));
        }
        vl_pq_dict_enc d;
        REQUIRE(t, vl_pq_dict_enc_init(&d, width, 0, &err) == VL_OK);
        size_t done;
        REQUIRE(t, vl_pq_dict_enc_put_fixed(&d, vals, n, idx, &done, &err) == VL_OK);
        CHECK(t, done == n && !d.full && d.n == 300 && d.page.n == 300 * width);
        vl_buf_clear(&page);
        REQUIRE(t, vl_pq_dict_encode_indices(idx, n, d.n, &page, &err) == VL_OK);
        CHECK(t, (uint8_t)page.p[0] == 9); /* 300 entries need 9 bits */
        /* read back: PLAIN dictionary page, then indices */
        uint8_t *dict = malloc(d.page.n);
        CHECK(t, vl_pq_plain_decode_fixed((const uint8_t *)d.page.p, d.page.n, width, dict, d.n, NULL, &err) == VL_OK);
        uint8_t *e = dup_exact(page.p, page.n);
        CHECK(t, vl_pq_dict_decode_fixed(e, page.n, dict, d.n, width, got, n, &err) == VL_OK);
        CHECK(t, memcmp(got, vals, n * width) == 0);
        CHECK(t, vl_pq_dict_decode_indices(e, page.n, d.n, gidx, n, &err) == VL_OK);
        CHECK(t, memcmp(gidx, idx, n * 4) == 0);
        /* a dictionary one entry short: index 299 is refused */
        CHECK(t, vl_pq_dict_decode_fixed(e, page.n, dict, 299, width, got, n, &err) == VL_ECORRUPT);
        CHECKF(t, strstr(err.msg, "outside the dictionary") != NULL, "%s", err.msg);
        CHECK(t, vl_pq_dict_decode_indices(e, page.n, 299, gidx, n, &err) == VL_ECORRUPT);
        free(e);
        free(dict);
        vl_pq_dict_enc_free(&d);
        /* the byte limit: stops before the first value that does not fit */
        REQUIRE(t, vl_pq_dict_enc_init(&d, width, 100 * width, &err) == VL_OK);
        REQUIRE(t, vl_pq_dict_enc_put_fixed(&d, vals, n, idx, &done, &err) == VL_OK);
        CHECK(t, d.full && d.n == 100 && done < n && d.page.n == 100 * width);
        CHECK(t, vl_pq_dict_enc_put_sv(&d, NULL, 0, idx, &done, &err) == VL_EINVAL);
        vl_pq_dict_enc_free(&d);
    }
    /* byte arrays, including the empty one */
    vl_sv *sv = malloc(n * sizeof(*sv)), *gs = malloc(n * sizeof(*gs));
    static const char *words[] = {"", "a", "ab", "vidlake", "video", "frame", "abc", "ABC"};
    for (size_t i = 0; i < n; i++) sv[i] = vl_sv_cstr(words[vl_rng_below(&r, 8)]);
    vl_pq_dict_enc d;
    REQUIRE(t, vl_pq_dict_enc_init(&d, 0, 0, &err) == VL_OK);
    size_t done;
    REQUIRE(t, vl_pq_dict_enc_put_sv(&d, sv, n, idx, &done, &err) == VL_OK);
    CHECK(t, done == n && d.n == 8);
    vl_sv dict[8];
    CHECK(t, vl_pq_plain_decode_byte_array((const uint8_t *)d.page.p, d.page.n, dict, d.n, NULL, &err) == VL_OK);
    vl_buf_clear(&page);
    REQUIRE(t, vl_pq_dict_encode_indices(idx, n, d.n, &page, &err) == VL_OK);
    CHECK(t, vl_pq_dict_decode_sv((const uint8_t *)page.p, page.n, dict, d.n, gs, n, &err) == VL_OK);
    for (size_t i = 0; i < n; i++) CHECK(t, vl_sv_eq(gs[i], sv[i]));
    CHECK(t, vl_pq_dict_enc_put_fixed(&d, vals, 1, idx, &done, &err) == VL_EINVAL);
    vl_pq_dict_enc_free(&d);
    vl_pq_dict_enc_free(&d); /* twice is harmless */
    /* many distinct values: the table grows */
    REQUIRE(t, vl_pq_dict_enc_init(&d, 8, 0, &err) == VL_OK);
    int64_t *seq = malloc(50000 * 8);
    uint32_t *sidx = malloc(50000 * 4);
    for (int i = 0; i < 50000; i++) seq[i] = (int64_t)i * 7 - 100000;
    REQUIRE(t, vl_pq_dict_enc_put_fixed(&d, seq, 50000, sidx, &done, &err) == VL_OK);
    CHECK(t, done == 50000 && d.n == 50000);
    for (int i = 0; i < 50000; i++) CHECK(t, sidx[i] == (uint32_t)i);
    REQUIRE(t, vl_pq_dict_enc_put_fixed(&d, seq, 50000, sidx, &done, &err) == VL_OK);
    CHECK(t, d.n == 50000 && sidx[49999] == 49999);
    vl_pq_dict_enc_free(&d);
    free(seq);
    free(sidx);
    /* hostile pages: bit width 33, missing width byte, width 0 with an empty dictionary */
    const uint8_t w33[] = {33, 0x02, 0x00};
    CHECK(t, vl_pq_dict_decode_indices(w33, 3, 10, gidx, 1, &err) == VL_ECORRUPT);
    CHECK(t, vl_pq_dict_decode_indices(w33, 0, 10, gidx, 1, &err) == VL_ECORRUPT);
    CHECK(t, vl_pq_dict_decode_indices(w33, 0, 10, gidx, 0, &err) == VL_OK);
    const uint8_t w0[] = {0, 0x14};
    CHECK(t, vl_pq_dict_decode_indices(w0, 2, 1, gidx, 10, &err) == VL_OK && gidx[9] == 0);
    CHECK(t, vl_pq_dict_decode_indices(w0, 2, 0, gidx, 10, &err) == VL_ECORRUPT);
    /* OOM at every allocation: clean error, no leak */
    for (long k = 0; k < 30; k++) {
        vl_alloc_fail_after(k);
        int rc = vl_pq_dict_enc_init(&d, 0, 0, &err);
        if (rc == VL_OK) {
            rc = vl_pq_dict_enc_put_sv(&d, sv, n, idx, &done, &err);
            CHECK(t, rc == VL_OK || rc == VL_ENOMEM);
        }
        vl_pq_dict_enc_free(&d);
        vl_alloc_fail_after(-1);
    }
    free(sv);
    free(gs);
    free(vals);
    free(got);
    free(idx);
    free(gidx);
    vl_buf_free(&page);
}

/* ------------------------------------------------------------------ delta */

static void t_delta_spec_bytes(vl_test *t) {
    vl_error err;
    vl_buf b;
    vl_buf_init(&b);
    /* Encodings.md example 1 (there with block size 8; here the real 128/4):
     * 1..5 -> deltas all 1 -> min delta 1, bit width 0, no packed data */
    const int64_t v1[] = {1, 2, 3, 4, 5};
    const uint8_t w1[] = {0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 0, 0, 0, 0};
    REQUIRE(t, vl_pq_delta_encode_i64(v1, 5, &b, &err) == VL_OK);
    CHECK(t, b.n == sizeof(w1) && memcmp(b.p, w1, sizeof(w1)) == 0);
    /* example 2: 7,5,3,1,2,3,4,5 -> min delta -2, relative 0,0,0,3,3,3,3 at 2 bits */
    const int32_t v2[] = {7, 5, 3, 1, 2, 3, 4, 5};
    const uint8_t w2[] = {0x80, 0x01, 0x04, 0x08, 0x0e, 0x03, 2, 0, 0, 0,
                          0xC0, 0x3F, 0, 0, 0, 0, 0, 0};
    vl_buf_clear(&b);
    REQUIRE(t, vl_pq_delta_encode_i32(v2, 8, &b, &err) == VL_OK);
    CHECK(t, b.n == sizeof(w2) && memcmp(b.p, w2, sizeof(w2)) == 0);
    int32_t g32[8];
    size_t used;
    CHECK(t, vl_pq_delta_decode_i32(w2, sizeof(w2), g32, 8, &used, &err) == VL_OK);
    CHECK(t, memcmp(g32, v2, sizeof(v2)) == 0 && used == sizeof(w2));
    /* readers must accept junk in the bit widths of unused miniblocks */
    uint8_t junk[sizeof(w2)];
    memcpy(junk, w2, sizeof(w2));
    junk[7] = junk[8] = junk[9] = 0xEE;
    CHECK(t, vl_pq_delta_decode_i32(junk, sizeof(junk), g32, 8, &used, &err) == VL_OK);
    CHECK(t, memcmp(g32, v2, sizeof(v2)) == 0 && used == sizeof(w2));
    /* ... but not a used miniblock wider than 64 bits */
    junk[6] = 65;
    CHECK(t, vl_pq_delta_decode_i32(junk, sizeof(junk), g32, 8, &used, &err) == VL_ECORRUPT);
    CHECKF(t, strstr(err.msg, "DELTA_BINARY_PACKED") != NULL, "%s", err.msg);
    /* INT32 deltas computed in 64 bits (33-bit widths, as DuckDB writes)
     * decode to the same 32-bit values */
    const int64_t wide[] = {INT32_MIN, INT32_MAX, INT32_MIN, 0, INT32_MAX};
    vl_buf_clear(&b);
    REQUIRE(t, vl_pq_delta_encode_i64(wide, 5, &b, &err) == VL_OK);
    int32_t g5[5];
    CHECKF(t, vl_pq_delta_decode_i32((const uint8_t *)b.p, b.n, g5, 5, NULL, &err) == VL_OK, "%s", err.msg);
    for (int i = 0; i < 5; i++) CHECK_EQ_INT(t, g5[i], (int32_t)wide[i]);
    /* fewer values than asked for */
    CHECK(t, vl_pq_delta_decode_i32(w2, sizeof(w2), g32, 9, NULL, &err) == VL_ECORRUPT);
    /* bad headers: block size 8 (the spec's toy size), miniblocks not x32 */
    const uint8_t h8[] = {0x08, 0x01, 0x05, 0x02, 0x02, 0x00};
    CHECK(t, vl_pq_delta_decode_i32(h8, sizeof(h8), g32, 5, NULL, &err) == VL_ECORRUPT);
    const uint8_t hm[] = {0x80, 0x01, 0x08, 0x05, 0x02, 0x02, 0, 0, 0, 0, 0, 0, 0, 0};
    CHECK(t, vl_pq_delta_decode_i32(hm, sizeof(hm), g32, 5, NULL, &err) == VL_ECORRUPT);
    /* a 256-value block of 8 miniblocks of 32 decodes too */
    const uint8_t b256[] = {0x80, 0x02, 0x08, 0x03, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0};
    CHECK(t, vl_pq_delta_decode_i32(b256, sizeof(b256), g32, 3, &used, &err) == VL_OK);
    CHECK(t, g32[0] == 5 && g32[1] == 5 && g32[2] == 5 && used == sizeof(b256));
    vl_buf_free(&b);
}

static void fill_i64(vl_rng *r, int64_t *v, size_t n, int pattern) {
    int64_t x = (int64_t)vl_rng_next(r);
    for (size_t i = 0; i < n; i++) {
        switch (pattern) {
        case 0: v[i] = (int64_t)vl_rng_next(r); break;                     /* full 64-bit */
        case 1: x += (int64_t)vl_rng_below(r, 100) - 50; v[i] = x; break;  /* small steps */
        case 2: v[i] = (i & 1) ? INT64_MAX : INT64_MIN; break;            /* wraps */
        case 3: v[i] = (int64_t)1700000000000000 + (int64_t)i * 1000; break; /* timestamps */
        default: {
            int bw = (int)vl_rng_below(r, 65);
            uint64_t m = bw == 64 ? ~0ull : (1ull << bw) - 1;
            v[i] = (int64_t)(vl_rng_next(r) & m);
        }
        }
    }
}

static void t_delta_roundtrip(vl_test *t) {
    vl_rng r;
    vl_rng_seed(&r, 5);
    vl_error err;
    vl_buf b;
    vl_buf_init(&b);
    int64_t *v = malloc(10000 * 8), *g = malloc(10000 * 8);
    int32_t *v32 = malloc(10000 * 4), *g32 = malloc(10000 * 4);
    for (size_t si = 0; si < NSIZES; si++)
        for (int pat = 0; pat < 5; pat++) {
            size_t n = sizes[si], used;
            fill_i64(&r, v, n, pat);
            vl_buf_clear(&b);
            REQUIRE(t, vl_pq_delta_encode_i64(v, n, &b, &err) == VL_OK);
            uint8_t *e = dup_exact(b.p, b.n);
            int rc = vl_pq_delta_decode_i64(e, b.n, g, n, &used, &err);
            CHECKF(t, rc == VL_OK, "n=%zu pat=%d: %s", n, pat, err.msg);
            CHECKF(t, rc || (memcmp(g, v, n * 8) == 0 && used == b.n), "n=%zu pat=%d", n, pat);
            /* streaming in uneven chunks, then finish */
            vl_pq_delta_dec d;
            REQUIRE(t, vl_pq_delta_dec_init(&d, e, b.n, 64, &err) == VL_OK);
            for (size_t i = 0; i < n;) {
                size_t k = 1 + vl_rng_below(&r, 70);
                if (k > n - i) k = n - i;
                REQUIRE(t, vl_pq_delta_dec_get(&d, g + i, k, &err) == VL_OK);
                i += k;
            }
            CHECK(t, memcmp(g, v, n * 8) == 0);
            CHECK(t, vl_pq_delta_dec_finish(&d, &used, &err) == VL_OK && used == b.n);
            /* only a prefix of the values, with the rest skipped */
            if (n > 3) {
                CHECK(t, vl_pq_delta_decode_i64(e, b.n, g, n / 3, &used, &err) == VL_OK);
                CHECK(t, used == b.n && memcmp(g, v, n / 3 * 8) == 0);
            }
            /* truncation at every length: a clean error */
            size_t step = n > 200 ? b.n / 64 + 1 : 1; /* every length for small pages */
            for (size_t l = 0; l < b.n; l += step) {
                uint8_t *tr = dup_exact(e, l);
                /* the zero padding of the last miniblock may be missing
                 * (tolerated); then every value must still be right */
                rc = vl_pq_delta_decode_i64(tr, l, g, n, NULL, &err);
                CHECKF(t, rc == VL_ECORRUPT || (rc == VL_OK && memcmp(g, v, n * 8) == 0),
                       "n=%zu pat=%d len=%zu/%zu rc=%d", n, pat, l, b.n, rc);
                free(tr);
            }
            free(e);
            /* INT32 with its own wrap-around */
            for (size_t i = 0; i < n; i++) v32[i] = (int32_t)(uint32_t)(uint64_t)v[i];
            vl_buf_clear(&b);
            REQUIRE(t, vl_pq_delta_encode_i32(v32, n, &b, &err) == VL_OK);
            e = dup_exact(b.p, b.n);
            CHECK(t, vl_pq_delta_decode_i32(e, b.n, g32, n, &used, &err) == VL_OK);
            CHECK(t, memcmp(g32, v32, n * 4) == 0 && used == b.n);
            free(e);
        }
    /* INT64 extremes one by one */
    const int64_t ext[] = {INT64_MIN, INT64_MAX, 0, -1, INT64_MIN, INT64_MIN, 1, INT64_MAX, INT64_MAX};
    vl_buf_clear(&b);
    REQUIRE(t, vl_pq_delta_encode_i64(ext, 9, &b, &err) == VL_OK);
    CHECK(t, vl_pq_delta_decode_i64((const uint8_t *)b.p, b.n, g, 9, NULL, &err) == VL_OK);
    CHECK(t, memcmp(g, ext, sizeof(ext)) == 0);
    const int32_t ext32[] = {INT32_MIN, INT32_MAX, 0, -1, INT32_MIN, INT32_MAX};
    vl_buf_clear(&b);
    REQUIRE(t, vl_pq_delta_encode_i32(ext32, 6, &b, &err) == VL_OK);
    CHECK(t, vl_pq_delta_decode_i32((const uint8_t *)b.p, b.n, g32, 6, NULL, &err) == VL_OK);
    CHECK(t, memcmp(g32, ext32, sizeof(ext32)) == 0);
    free(v);
    free(g);
    free(v32);
    free(g32);
    vl_buf_free(&b);
}

/* --------------------------------------------------- delta byte arrays */

static void t_delta_byte_arrays(vl_test *t) {
    vl_error err;
    vl_buf b;
    vl_buf_init(&b);
    vl_arena a;
    vl_arena_init(&a, 0);
    /* Encodings.md: DELTA_LENGTH_BYTE_ARRAY of Hello, World, Foobar, ABCDEF */
    vl_sv hw[] = {VL_SV("Hello"), VL_SV("World"), VL_SV("Foobar"), VL_SV("ABCDEF")}, g[8];
    REQUIRE(t, vl_pq_delta_length_encode(hw, 4, &b, &err) == VL_OK);
    CHECK(t, b.n > 22 && memcmp(b.p + b.n - 22, "HelloWorldFoobarABCDEF", 22) == 0);
    size_t used;
    CHECK(t, vl_pq_delta_length_decode((const uint8_t *)b.p, b.n, g, 4, &used, &err) == VL_OK);
    for (int i = 0; i < 4; i++) CHECK(t, vl_sv_eq(g[i], hw[i]));
    CHECK(t, used == b.n);
    CHECK(t, vl_pq_delta_length_decode((const uint8_t *)b.p, b.n - 1, g, 4, &used, &err) == VL_ECORRUPT);
    /* DELTA_BYTE_ARRAY: axis, axle, babble, babyhood -> prefixes 0,2,0,3 */
    vl_sv ax[] = {VL_SV("axis"), VL_SV("axle"), VL_SV("babble"), VL_SV("babyhood")};
    vl_buf_clear(&b);
    REQUIRE(t, vl_pq_delta_byte_array_encode(ax, 4, &b, &err) == VL_OK);
    CHECK(t, b.n > 17 && memcmp(b.p + b.n - 17, "axislebabbleyhood", 17) == 0);
    int32_t pre[4];
    CHECK(t, vl_pq_delta_decode_i32((const uint8_t *)b.p, b.n, pre, 4, NULL, &err) == VL_OK);
    CHECK(t, pre[0] == 0 && pre[1] == 2 && pre[2] == 0 && pre[3] == 3);
    CHECK(t, vl_pq_delta_byte_array_decode((const uint8_t *)b.p, b.n, 0, g, 4, &a, &used, &err) == VL_OK);
    for (int i = 0; i < 4; i++) CHECK(t, vl_sv_eq(g[i], ax[i]));
    CHECK(t, used == b.n);
    /* FIXED_LEN_BYTE_ARRAY: lengths must match */
    CHECK(t, vl_pq_delta_byte_array_decode((const uint8_t *)b.p, b.n, 4, g, 4, &a, &used, &err) == VL_ECORRUPT);
    /* a prefix longer than the previous value is corruption */
    int32_t bp[] = {0, 5}, bs[] = {2, 1};
    vl_buf_clear(&b);
    REQUIRE(t, vl_pq_delta_encode_i32(bp, 2, &b, &err) == VL_OK);
    REQUIRE(t, vl_pq_delta_encode_i32(bs, 2, &b, &err) == VL_OK);
    REQUIRE(t, vl_buf_append(&b, "abc", 3) == VL_OK);
    CHECK(t, vl_pq_delta_byte_array_decode((const uint8_t *)b.p, b.n, 0, g, 2, &a, &used, &err) == VL_ECORRUPT);
    CHECKF(t, strstr(err.msg, "prefix length 5") != NULL, "%s", err.msg);
    /* a negative length */
    int32_t neg[] = {3, -1};
    vl_buf_clear(&b);
    REQUIRE(t, vl_pq_delta_encode_i32(neg, 2, &b, &err) == VL_OK);
    REQUIRE(t, vl_buf_append(&b, "abcdef", 6) == VL_OK);
    CHECK(t, vl_pq_delta_length_decode((const uint8_t *)b.p, b.n, g, 2, &used, &err) == VL_ECORRUPT);

    /* random round trips with shared prefixes, truncated at every length */
    vl_rng r;
    vl_rng_seed(&r, 6);
    char *pool = malloc(10000 * 24);
    vl_sv *v = malloc(10000 * sizeof(*v)), *gv = malloc(10000 * sizeof(*gv));
    for (size_t si = 0; si < NSIZES; si++) {
        size_t n = sizes[si];
        for (size_t i = 0; i < n; i++) {
            char *s = pool + i * 24;
            size_t len = vl_rng_below(&r, 24), keep = 0;
            if (i && vl_rng_chance(&r, 0.7)) {
                keep = vl_rng_below(&r, v[i - 1].n + 1);
                if (keep > len) len = keep;
                memcpy(s, v[i - 1].p, keep);
            }
            for (size_t k = keep; k < len; k++) s[k] = (char)('a' + vl_rng_below(&r, 3));
            v[i] = vl_sv_make(s, len);
        }
        for (int kind = 0; kind < 2; kind++) {
            vl_buf_clear(&b);
            REQUIRE(t, (kind ? vl_pq_delta_byte_array_encode(v, n, &b, &err)
                             : vl_pq_delta_length_encode(v, n, &b, &err)) == VL_OK);
            uint8_t *e = dup_exact(b.p, b.n);
            int rc = kind ? vl_pq_delta_byte_array_decode(e, b.n, 0, gv, n, &a, &used, &err)
                          : vl_pq_delta_length_decode(e, b.n, gv, n, &used, &err);
            CHECKF(t, rc == VL_OK && used == b.n, "kind %d n=%zu: %s", kind, n, err.msg);
            for (size_t i = 0; i < n && rc == VL_OK; i++) CHECK(t, vl_sv_eq(v[i], gv[i]));
            if (n <= 1000)
                for (size_t l = 0; l < b.n; l += n > 200 ? b.n / 64 + 1 : 1) {
                    uint8_t *tr = dup_exact(e, l);
                    rc = kind ? vl_pq_delta_byte_array_decode(tr, l, 0, gv, n, &a, NULL, &err)
                              : vl_pq_delta_length_decode(tr, l, gv, n, NULL, &err);
                    CHECKF(t, rc == VL_ECORRUPT, "kind %d n=%zu len %zu/%zu", kind, n, l, b.n);
                    free(tr);
                }
            free(e);
            vl_arena_reset(&a);
        }
    }
    /* the arena's limit is honoured */
    a.limit = 1;
    vl_buf_clear(&b);
    REQUIRE(t, vl_pq_delta_byte_array_encode(ax, 4, &b, &err) == VL_OK);
    vl_arena_destroy(&a);
    vl_arena_init(&a, 0);
    a.limit = 16;
    CHECK(t, vl_pq_delta_byte_array_decode((const uint8_t *)b.p, b.n, 0, g, 4, &a, &used, &err) == VL_ENOMEM);
    free(pool);
    free(v);
    free(gv);
    vl_arena_destroy(&a);
    vl_buf_free(&b);
}

/* ---------------------------------------------------- BYTE_STREAM_SPLIT */

static void t_byte_stream_split(vl_test *t) {
    vl_error err;
    /* Encodings.md: AA BB CC DD | 00 11 22 33 | A3 B4 C5 D6 */
    const uint8_t enc[] = {0xAA, 0x00, 0xA3, 0xBB, 0x11, 0xB4, 0xCC, 0x22, 0xC5, 0xDD, 0x33, 0xD6};
    const uint8_t dec[] = {0xAA, 0xBB, 0xCC, 0xDD, 0x00, 0x11, 0x22, 0x33, 0xA3, 0xB4, 0xC5, 0xD6};
    uint8_t got[12];
    CHECK(t, vl_pq_bss_decode(enc, 12, 4, got, 3, &err) == VL_OK && memcmp(got, dec, 12) == 0);
    CHECK(t, vl_pq_bss_decode(enc, 11, 4, got, 2, &err) == VL_ECORRUPT);
    CHECK(t, vl_pq_bss_decode(enc, 12, 4, got, 4, &err) == VL_ECORRUPT);
    vl_buf b;
    vl_buf_init(&b);
    REQUIRE(t, vl_pq_bss_encode(dec, 3, 4, &b, &err) == VL_OK);
    CHECK(t, b.n == 12 && memcmp(b.p, enc, 12) == 0);
    vl_rng r;
    vl_rng_seed(&r, 7);
    uint8_t *raw = malloc(10000 * 8), *g = malloc(10000 * 8);
    const size_t widths[] = {2, 4, 5, 8};
    for (size_t si = 0; si < NSIZES; si++)
        for (size_t w = 0; w < 4; w++) {
            size_t n = sizes[si], width = widths[w];
            for (size_t i = 0; i < n * width; i++) raw[i] = (uint8_t)vl_rng_next(&r);
            vl_buf_clear(&b);
            REQUIRE(t, vl_pq_bss_encode(raw, n, width, &b, &err) == VL_OK);
            uint8_t *e = dup_exact(b.p, b.n);
            CHECK(t, vl_pq_bss_decode(e, b.n, width, g, n, &err) == VL_OK);
            CHECK(t, memcmp(g, raw, n * width) == 0);
            free(e);
        }
    /* floats and doubles survive bit-exactly, NaN and -0.0 included */
    double dv[] = {0.0, -0.0, NAN, INFINITY, -1.5, 1e300, 5e-324};
    vl_buf_clear(&b);
    REQUIRE(t, vl_pq_bss_encode(dv, 7, 8, &b, &err) == VL_OK);
    double dg[7];
    CHECK(t, vl_pq_bss_decode((const uint8_t *)b.p, b.n, 8, dg, 7, &err) == VL_OK);
    CHECK(t, memcmp(dg, dv, sizeof(dv)) == 0);
    free(raw);
    free(g);
    vl_buf_free(&b);
}

static void t_float16_and_int96(vl_test *t) {
    CHECK(t, vl_pq_f16_to_double(0x3c00) == 1.0);
    CHECK(t, vl_pq_f16_to_double(0xc000) == -2.0);
    CHECK(t, vl_pq_f16_to_double(0x7bff) == 65504.0);
    CHECK(t, vl_pq_f16_to_double(0x0001) == ldexp(1.0, -24)); /* smallest subnormal */
    CHECK(t, vl_pq_f16_to_double(0x03ff) == ldexp(1023.0, -24));
    CHECK(t, vl_pq_f16_to_double(0x0400) == ldexp(1.0, -14)); /* smallest normal */
    CHECK(t, vl_pq_f16_to_double(0x3555) == 0x1.554p-2);
    CHECK(t, isinf(vl_pq_f16_to_double(0x7c00)) && vl_pq_f16_to_double(0x7c00) > 0);
    CHECK(t, isinf(vl_pq_f16_to_float(0xfc00)) && vl_pq_f16_to_float(0xfc00) < 0);
    CHECK(t, isnan(vl_pq_f16_to_double(0x7e00)) && isnan(vl_pq_f16_to_float(0xfe01)));
    double z = vl_pq_f16_to_double(0x8000);
    CHECK(t, z == 0.0 && signbit(z));
    CHECK(t, vl_pq_f16_to_double(0x8001) == -ldexp(1.0, -24));
    /* INT96: Julian day 2440588 = 1970-01-01; 1 day + 1.5 us */
    uint8_t p[12] = {0};
    int64_t us;
    uint64_t nanos = 1500;
    uint32_t jd = 2440589;
    memcpy(p, &nanos, 8);
    memcpy(p + 8, &jd, 4);
    CHECK(t, vl_pq_int96_to_us(p, &us, NULL) == VL_OK && us == VL_US_PER_DAY + 1);
    jd = 0xffffffffu;
    memcpy(p + 8, &jd, 4);
    CHECK(t, vl_pq_int96_to_us(p, &us, NULL) == VL_ERANGE);
}

/* ---------------------------------------------------------------- codecs */

static void t_codecs_roundtrip(vl_test *t) {
    vl_error err;
    vl_rng r;
    vl_rng_seed(&r, 8);
    const size_t csz[] = {0, 1, 100, 65536, 300000};
    const int codecs[] = {VL_PQ_CODEC_ID_UNCOMPRESSED, VL_PQ_CODEC_ID_SNAPPY, VL_PQ_CODEC_ID_GZIP,
                          VL_PQ_CODEC_ID_ZSTD, VL_PQ_CODEC_ID_LZ4_RAW};
    uint8_t *src = malloc(300000), *dst = malloc(300001);
    vl_pq_codec_ctx *ctx = vl_pq_codec_ctx_create();
    REQUIRE(t, ctx);
    vl_buf b;
    vl_buf_init(&b);
    for (size_t si = 0; si < 5; si++)
        for (int compressible = 0; compressible < 2; compressible++) {
            size_t n = csz[si];
            for (size_t i = 0; i < n; i++)
                src[i] = compressible ? (uint8_t)("vidlake "[i % 8] + (i / 1000) % 3) : (uint8_t)vl_rng_next(&r);
            for (size_t c = 0; c < 5; c++)
                for (int use_ctx = 0; use_ctx < 2; use_ctx++) {
                    int codec = codecs[c];
                    vl_buf_clear(&b);
                    int rc = use_ctx ? vl_pq_compress_ctx(ctx, codec, 0, src, n, &b, &err)
                                     : vl_pq_compress(codec, 0, src, n, &b, &err);
                    REQUIRE(t, rc == VL_OK);
                    uint8_t *e = dup_exact(b.p, b.n);
                    rc = use_ctx ? vl_pq_decompress_ctx(ctx, codec, e, b.n, dst, n, &err)
                                 : vl_pq_decompress(codec, e, b.n, dst, n, &err);
                    CHECKF(t, rc == VL_OK, "codec %d n=%zu: %s", codec, n, err.msg);
                    CHECK(t, rc || memcmp(dst, src, n) == 0);
                    /* the wrong size either way is refused */
                    CHECK(t, vl_pq_decompress_ctx(ctx, codec, e, b.n, dst, n + 1, &err) == VL_ECORRUPT);
                    if (n) CHECK(t, vl_pq_decompress_ctx(ctx, codec, e, b.n, dst, n - 1, &err) == VL_ECORRUPT);
                    /* truncated input is refused (sampled lengths for big pages) */
                    if (codec != VL_PQ_CODEC_ID_UNCOMPRESSED && n <= 100)
                        for (size_t l = n ? 0 : 1; l < b.n; l++) {
                            uint8_t *tr = dup_exact(e, l);
                            rc = vl_pq_decompress_ctx(ctx, codec, tr, l, dst, n, &err);
                            CHECKF(t, rc == VL_ECORRUPT, "codec %d n=%zu cut at %zu/%zu: rc %d",
                                   codec, n, l, b.n, rc);
                            free(tr);
                        }
                    /* the legacy LZ4 id accepts a bare block too */
                    if (codec == VL_PQ_CODEC_ID_LZ4_RAW) {
                        CHECK(t, vl_pq_decompress_ctx(ctx, VL_PQ_CODEC_ID_LZ4, e, b.n, dst, n, &err) == VL_OK);
                        CHECK(t, memcmp(dst, src, n) == 0);
                    }
                    free(e);
                }
        }
    /* levels */
    vl_buf_clear(&b);
    CHECK(t, vl_pq_compress_ctx(ctx, VL_PQ_CODEC_ID_ZSTD, 19, src, 1000, &b, &err) == VL_OK);
    CHECK(t, vl_pq_compress_ctx(ctx, VL_PQ_CODEC_ID_ZSTD, 1000, src, 1000, &b, &err) == VL_EINVAL);
    CHECK(t, vl_pq_compress_ctx(ctx, VL_PQ_CODEC_ID_GZIP, 1, src, 1000, &b, &err) == VL_OK);
    CHECK(t, vl_pq_compress_ctx(ctx, VL_PQ_CODEC_ID_GZIP, 9, src, 1000, &b, &err) == VL_OK);
    CHECK(t, vl_pq_compress_ctx(ctx, VL_PQ_CODEC_ID_GZIP, 10, src, 1000, &b, &err) == VL_EINVAL);
    CHECK(t, vl_pq_compress_ctx(ctx, VL_PQ_CODEC_ID_BROTLI, 0, src, 1000, &b, &err) == VL_ENOTSUP);
    vl_pq_codec_ctx_destroy(ctx);
    vl_pq_codec_ctx_destroy(NULL);
    free(src);
    free(dst);
    vl_buf_free(&b);
}

static void t_codecs_special(vl_test *t) {
    vl_error err;
    vl_buf b, m;
    vl_buf_init(&b);
    vl_buf_init(&m);
    uint8_t src[2000], dst[4001];
    for (int i = 0; i < 2000; i++) src[i] = (uint8_t)(i * 7 / 13);
    /* GZIP: two concatenated members decode to both halves */
    REQUIRE(t, vl_pq_compress(VL_PQ_CODEC_ID_GZIP, 0, src, 2000, &m, &err) == VL_OK);
    REQUIRE(t, vl_pq_compress(VL_PQ_CODEC_ID_GZIP, 0, src, 2000, &m, &err) == VL_OK);
    CHECK(t, vl_pq_decompress(VL_PQ_CODEC_ID_GZIP, (uint8_t *)m.p, m.n, dst, 4000, &err) == VL_OK);
    CHECK(t, memcmp(dst, src, 2000) == 0 && memcmp(dst + 2000, src, 2000) == 0);
    CHECK(t, vl_pq_decompress(VL_PQ_CODEC_ID_GZIP, (uint8_t *)m.p, m.n, dst, 2000, &err) == VL_ECORRUPT);
    /* trailing garbage after a member */
    REQUIRE(t, vl_buf_append(&m, "xy", 2) == VL_OK);
    CHECK(t, vl_pq_decompress(VL_PQ_CODEC_ID_GZIP, (uint8_t *)m.p, m.n, dst, 4000, &err) == VL_ECORRUPT);
    /* zlib-wrapped data is tolerated */
    uLongf zn = compressBound(2000);
    uint8_t *z = malloc(zn);
    REQUIRE(t, compress2(z, &zn, src, 2000, 6) == Z_OK);
    CHECK(t, vl_pq_decompress(VL_PQ_CODEC_ID_GZIP, z, zn, dst, 2000, &err) == VL_OK);
    CHECK(t, memcmp(dst, src, 2000) == 0);
    free(z);
    /* LZ4 with Hadoop framing, two frames built by hand */
    vl_buf_clear(&m);
    for (int f = 0; f < 2; f++) {
        char blk[LZ4_COMPRESSBOUND(1000)];
        int cs = LZ4_compress_default((const char *)src + f * 1000, blk, 1000, (int)sizeof(blk));
        REQUIRE(t, cs > 0);
        uint8_t hdr[8] = {0, 0, 1000 >> 8, 1000 & 0xff, (uint8_t)(cs >> 24), (uint8_t)(cs >> 16),
                          (uint8_t)(cs >> 8), (uint8_t)cs};
        REQUIRE(t, vl_buf_append(&m, hdr, 8) == VL_OK && vl_buf_append(&m, blk, (size_t)cs) == VL_OK);
    }
    uint8_t *e = dup_exact(m.p, m.n);
    CHECK(t, vl_pq_decompress(VL_PQ_CODEC_ID_LZ4, e, m.n, dst, 2000, &err) == VL_OK);
    CHECK(t, memcmp(dst, src, 2000) == 0);
    CHECK(t, vl_pq_decompress(VL_PQ_CODEC_ID_LZ4, e, m.n, dst, 1999, &err) == VL_ECORRUPT);
    CHECK(t, vl_pq_decompress(VL_PQ_CODEC_ID_LZ4_RAW, e, m.n, dst, 2000, &err) == VL_ECORRUPT);
    for (size_t l = 0; l < m.n; l++) {
        uint8_t *tr = dup_exact(e, l);
        CHECK(t, vl_pq_decompress(VL_PQ_CODEC_ID_LZ4, tr, l, dst, 2000, &err) == VL_ECORRUPT);
        free(tr);
    }
    free(e);
    /* BROTLI: the empty stream, and a stored meta-block "hello" built by hand
     * (RFC 7932: WBITS=16, MNIBBLES=4, MLEN-1=4, ISUNCOMPRESSED, then ISLAST+ISEMPTY) */
    const uint8_t br0[] = {0x06};
    CHECK(t, vl_pq_decompress(VL_PQ_CODEC_ID_BROTLI, br0, 1, dst, 0, &err) == VL_OK);
    const uint8_t br[] = {0x40, 0x00, 0x10, 'h', 'e', 'l', 'l', 'o', 0x03};
    CHECK(t, vl_pq_decompress(VL_PQ_CODEC_ID_BROTLI, br, sizeof(br), dst, 5, &err) == VL_OK);
    CHECK(t, memcmp(dst, "hello", 5) == 0);
    CHECK(t, vl_pq_decompress(VL_PQ_CODEC_ID_BROTLI, br, sizeof(br), dst, 4, &err) == VL_ECORRUPT);
    CHECK(t, vl_pq_decompress(VL_PQ_CODEC_ID_BROTLI, br, sizeof(br), dst, 6, &err) == VL_ECORRUPT);
    CHECK(t, vl_pq_decompress(VL_PQ_CODEC_ID_BROTLI, br, 5, dst, 5, &err) == VL_ECORRUPT);
    /* ZSTD: an empty frame decodes to 0 bytes (v2 pages with no values) */
    vl_buf_clear(&m);
    REQUIRE(t, vl_pq_compress(VL_PQ_CODEC_ID_ZSTD, 0, NULL, 0, &m, &err) == VL_OK);
    CHECK(t, m.n > 0 && vl_pq_decompress(VL_PQ_CODEC_ID_ZSTD, (uint8_t *)m.p, m.n, NULL, 0, &err) == VL_OK);
    /* empty pages never reach a library; LZO and unknown ids are refused */
    CHECK(t, vl_pq_decompress(VL_PQ_CODEC_ID_SNAPPY, NULL, 0, NULL, 0, &err) == VL_OK);
    CHECK(t, vl_pq_decompress(VL_PQ_CODEC_ID_SNAPPY, NULL, 0, dst, 1, &err) == VL_ECORRUPT);
    CHECK(t, vl_pq_decompress(VL_PQ_CODEC_ID_LZO, src, 10, dst, 10, &err) == VL_ENOTSUP);
    CHECK_EQ_STR(t, err.msg, "LZO compression is not supported");
    CHECK(t, vl_pq_decompress(8, src, 10, dst, 10, &err) == VL_ENOTSUP);
    CHECK(t, vl_pq_decompress(-1, src, 10, dst, 10, &err) == VL_ENOTSUP);
    CHECK(t, vl_pq_decompress(VL_PQ_CODEC_ID_UNCOMPRESSED, src, 10, dst, 11, &err) == VL_ECORRUPT);
    /* garbage is refused by every codec, never a crash */
    vl_rng r;
    vl_rng_seed(&r, 9);
    for (int round = 0; round < 200; round++) {
        size_t n = 1 + vl_rng_below(&r, 64);
        uint8_t *g = malloc(n);
        for (size_t i = 0; i < n; i++) g[i] = (uint8_t)vl_rng_next(&r);
        for (int c = 1; c <= 7; c++) {
            int rc = vl_pq_decompress(c, g, n, dst, 1 + vl_rng_below(&r, 4000), &err);
            CHECK(t, rc == VL_ECORRUPT || rc == VL_ENOTSUP || rc == VL_OK);
        }
        free(g);
    }
    /* CRC-32 check value */
    CHECK(t, vl_pq_crc32((const uint8_t *)"123456789", 9) == 0xCBF43926u);
    CHECK(t, vl_pq_crc32(NULL, 0) == 0);
    vl_buf_free(&b);
    vl_buf_free(&m);
}

static void t_codec_oom(vl_test *t) {
    vl_error err;
    uint8_t src[5000], dst[5000];
    for (int i = 0; i < 5000; i++) src[i] = (uint8_t)(i % 17);
    const int codecs[] = {VL_PQ_CODEC_ID_GZIP, VL_PQ_CODEC_ID_LZ4_RAW, VL_PQ_CODEC_ID_SNAPPY};
    for (int c = 0; c < 3; c++)
        for (long k = 0; k < 12; k++) {
            vl_buf b;
            vl_buf_init(&b);
            vl_alloc_fail_after(k);
            vl_pq_codec_ctx *ctx = vl_pq_codec_ctx_create();
            int rc = ctx ? vl_pq_compress_ctx(ctx, codecs[c], 0, src, 5000, &b, &err) : VL_ENOMEM;
            if (rc == VL_OK) rc = vl_pq_decompress_ctx(ctx, codecs[c], (uint8_t *)b.p, b.n, dst, 5000, &err);
            vl_alloc_fail_after(-1);
            CHECK(t, rc == VL_OK || rc == VL_ENOMEM);
            if (rc == VL_OK) CHECK(t, memcmp(src, dst, 5000) == 0);
            vl_pq_codec_ctx_destroy(ctx);
            vl_buf_free(&b);
        }
}

/* Random bytes through every decoder: errors are clean, nothing crashes. */
static void t_hostile_bytes(vl_test *t) {
    vl_rng r;
    vl_rng_seed(&r, 10);
    vl_error err;
    vl_arena a;
    vl_arena_init(&a, 0);
    uint32_t out32[600];
    int64_t out64[600];
    vl_sv sv[600];
    uint8_t outb[600 * 16];
    static const vl_sv dict[3] = {{"a", 1}, {"b", 1}, {"c", 1}};
    for (int round = 0; round < 3000; round++) {
        size_t n = vl_rng_below(&r, 80), count = vl_rng_below(&r, 600);
        uint8_t *p = malloc(n ? n : 1);
        for (size_t i = 0; i < n; i++)
            p[i] = vl_rng_chance(&r, 0.3) ? (uint8_t)vl_rng_below(&r, 4) : (uint8_t)vl_rng_next(&r);
        int bw = (int)vl_rng_below(&r, 33);
        int rcs[10];
        rcs[0] = vl_pq_rle_decode(p, n, bw, out32, count, NULL, &err);
        rcs[1] = vl_pq_rle_decode_prefixed(p, n, bw, out32, count, NULL, &err);
        rcs[2] = vl_pq_bitpacked_decode(p, n, bw, out32, count, NULL, &err);
        rcs[3] = vl_pq_dict_decode_sv(p, n, dict, 3, sv, count, &err);
        rcs[4] = vl_pq_delta_decode_i64(p, n, out64, count, NULL, &err);
        rcs[5] = vl_pq_delta_decode_i32(p, n, (int32_t *)out32, count, NULL, &err);
        rcs[6] = vl_pq_delta_length_decode(p, n, sv, count, NULL, &err);
        rcs[7] = vl_pq_delta_byte_array_decode(p, n, 0, sv, count, &a, NULL, &err);
        rcs[8] = vl_pq_plain_decode_byte_array(p, n, sv, count, NULL, &err);
        rcs[9] = vl_pq_bss_decode(p, n, 1 + vl_rng_below(&r, 16), outb, count, &err);
        for (int k = 0; k < 10; k++) CHECKF(t, rcs[k] == VL_OK || rcs[k] == VL_ECORRUPT, "decoder %d rc %d", k, rcs[k]);
        free(p);
        vl_arena_reset(&a);
    }
    vl_arena_destroy(&a);
}

/* ------------------------------------------------------------ real files */

/* A tiny Thrift compact reader, only enough to walk the page headers of a
 * column chunk in the tests (the real one is parquet_thrift.c). */
typedef struct tc {
    const uint8_t *p, *end;
    int bad;
} tc;

static uint64_t tc_varint(tc *c) {
    uint64_t v = 0;
    for (int s = 0; s < 64; s += 7) {
        if (c->p >= c->end) {
            c->bad = 1;
            return 0;
        }
        uint8_t b = *c->p++;
        v |= (uint64_t)(b & 0x7f) << s;
        if (!(b & 0x80)) return v;
    }
    c->bad = 1;
    return 0;
}

static void tc_skip(tc *c, int type, int depth);

/* Reads a struct; for the page header fills ints[fid] with top-level i32s. */
static void tc_struct(tc *c, int64_t *ints, int depth) {
    int fid = 0;
    while (!c->bad && depth < 16) {
        if (c->p >= c->end) {
            c->bad = 1;
            return;
        }
        uint8_t h = *c->p++;
        if (h == 0) return;
        int type = h & 0x0f, delta = h >> 4;
        if (delta) {
            fid += delta;
        } else {
            uint64_t z = tc_varint(c);
            fid = (int)((z >> 1) ^ (0 - (z & 1)));
        }
        if (ints && (type == 1 || type == 2) && fid > 0 && fid < 16) {
            ints[fid] = type == 1; /* a bool lives in the field header */
        } else if (ints && (type == 5 || type == 6) && fid > 0 && fid < 16) {
            uint64_t z = tc_varint(c);
            ints[fid] = (int64_t)((z >> 1) ^ (0 - (z & 1)));
        } else if (ints && type == 12 && depth == 0 && fid > 0 && fid < 16) {
            tc_struct(c, ints + 16 * fid, depth + 1); /* nested: ints[16 * outer + inner] */
        } else {
            tc_skip(c, type, depth + 1);
        }
    }
}

static void tc_skip(tc *c, int type, int depth) {
    if (depth > 16) {
        c->bad = 1;
        return;
    }
    switch (type) {
    case 1: case 2: return;                      /* bool in the header */
    case 3: c->p++; return;                      /* byte */
    case 4: case 5: case 6: tc_varint(c); return; /* i16 i32 i64 */
    case 7: c->p += 8; return;                   /* double */
    case 8: {                                    /* binary */
        uint64_t n = tc_varint(c);
        if (n > (uint64_t)(c->end - c->p)) c->bad = 1;
        else c->p += n;
        return;
    }
    case 9: case 10: {                           /* list, set */
        if (c->p >= c->end) { c->bad = 1; return; }
        uint8_t h = *c->p++;
        uint64_t n = h >> 4;
        if (n == 15) n = tc_varint(c);
        for (uint64_t i = 0; i < n && !c->bad; i++) tc_skip(c, h & 0x0f, depth + 1);
        return;
    }
    case 12: tc_struct(c, NULL, depth + 1); return;
    default: c->bad = 1;
    }
}

static uint8_t *slurp(const char *name, size_t *n) {
    const char *dir = vl_test_data_dir("parquet/data");
    char path[1024];
    *n = 0;
    if (!dir) return NULL;
    snprintf(path, sizeof(path), "%s/parquet/data/%s", dir, name);
    return vl_test_slurp(path, n);
}

#define NOINT INT64_MIN
#define PAGE_DATA 0
#define PAGE_DICT 2

typedef struct page {
    int64_t h[256];      /* header ints: [fid] top level, [16 * outer + inner] nested */
    const uint8_t *data; /* compressed payload */
    size_t n;
} page;

/* Walks the page headers from offset 4 to the footer. Some writers put
 * other things between column chunks (older parquet-cpp: a copy of the
 * column metadata), so on anything that is not a plausible page header it
 * slides forward a byte; "plausible" needs the nested header that matches
 * the page type, which makes a false match very unlikely. */
static size_t walk_pages(const uint8_t *f, size_t fn, page *pages, size_t max) {
    if (fn < 12) return 0;
    uint32_t flen;
    memcpy(&flen, f + fn - 8, 4);
    if (flen > fn - 12) return 0;
    size_t end = fn - 8 - flen, pos = 4, np = 0;
    static const int nested[4] = {5, 6, 7, 8}; /* data, index, dictionary, data v2 */
    while (pos < end && np < max) {
        page *pg = &pages[np];
        for (int i = 0; i < 256; i++) pg->h[i] = NOINT;
        tc c = {f + pos, f + end, 0};
        tc_struct(&c, pg->h, 0);
        size_t hl = (size_t)(c.p - (f + pos));
        if (c.bad || pg->h[1] < 0 || pg->h[1] > 3 || pg->h[2] < 0 || pg->h[3] <= 0 ||
            pg->h[16 * nested[pg->h[1]] + 1] < 0 || (size_t)pg->h[3] > end - pos - hl) {
            pos++;
            continue;
        }
        pg->data = f + pos + hl;
        pg->n = (size_t)pg->h[3];
        pos += hl + pg->n;
        np++;
    }
    return np;
}

#define PAGE_DATA_V2 3

/* Decompresses a page into a new buffer of its uncompressed size. In v2
 * pages the levels come first and are never compressed. */
static uint8_t *page_inflate(vl_pq_codec_ctx *ctx, int codec, const page *pg, int *rc, vl_error *err) {
    size_t un = (size_t)pg->h[2], lv = 0;
    bool compressed = true;
    if (pg->h[1] == PAGE_DATA_V2) {
        int64_t dl = pg->h[16 * 8 + 5], rl = pg->h[16 * 8 + 6];
        lv = (size_t)(dl > 0 ? dl : 0) + (size_t)(rl > 0 ? rl : 0);
        compressed = pg->h[16 * 8 + 7] != 0; /* absent (NOINT) means true */
        if (lv > pg->n || lv > un) {
            *rc = VL_ECORRUPT;
            return NULL;
        }
    }
    uint8_t *dst = malloc(un ? un : 1);
    uint8_t *src = dup_exact(pg->data + lv, pg->n - lv);
    memcpy(dst, pg->data, lv);
    *rc = vl_pq_decompress_ctx(ctx, compressed ? codec : VL_PQ_CODEC_ID_UNCOMPRESSED, src,
                               pg->n - lv, dst + lv, un - lv, err);
    free(src);
    return dst;
}

/* Every v1/dictionary page of each file decompresses to exactly the header's
 * size, and the CRCs that are present match. */
static void t_real_file_codecs(vl_test *t) {
    static const struct {
        const char *file;
        int codec;
        size_t min_pages;
    } files[] = {
        {"hadoop_lz4_compressed.parquet", VL_PQ_CODEC_ID_LZ4, 3},
        {"hadoop_lz4_compressed_larger.parquet", VL_PQ_CODEC_ID_LZ4, 1},
        {"non_hadoop_lz4_compressed.parquet", VL_PQ_CODEC_ID_LZ4, 3},
        {"lz4_raw_compressed.parquet", VL_PQ_CODEC_ID_LZ4_RAW, 3},
        {"concatenated_gzip_members.parquet", VL_PQ_CODEC_ID_GZIP, 1},
        {"alltypes_plain.snappy.parquet", VL_PQ_CODEC_ID_SNAPPY, 11},
        {"datapage_v1-snappy-compressed-checksum.parquet", VL_PQ_CODEC_ID_SNAPPY, 4},
        {"datapage_v1-uncompressed-checksum.parquet", VL_PQ_CODEC_ID_UNCOMPRESSED, 4},
        {"byte_stream_split.zstd.parquet", VL_PQ_CODEC_ID_ZSTD, 2},
        {"delta_length_byte_array.parquet", VL_PQ_CODEC_ID_ZSTD, 1},
        {"rle_boolean_encoding.parquet", VL_PQ_CODEC_ID_GZIP, 1},
    };
    static page pages[64];
    vl_pq_codec_ctx *ctx = vl_pq_codec_ctx_create();
    vl_error err;
    size_t found = 0;
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        size_t fn;
        uint8_t *f = slurp(files[i].file, &fn);
        if (!f) continue;
        found++;
        size_t np = walk_pages(f, fn, pages, 64), ok = 0, crcs = 0;
        if (getenv("PQ_DEBUG"))
            for (size_t k = 0; k < np; k++)
                printf("  %s page %zu type %lld sizes %lld/%lld\n", files[i].file, k,
                       (long long)pages[k].h[1], (long long)pages[k].h[2], (long long)pages[k].h[3]);
        for (size_t k = 0; k < np; k++) {
            if (pages[k].h[1] == 1) continue; /* index pages: never written */
            int rc;
            uint8_t *dst = page_inflate(ctx, files[i].codec, &pages[k], &rc, &err);
            CHECKF(t, rc == VL_OK, "%s page %zu: %s", files[i].file, k, err.msg);
            ok += rc == VL_OK;
            if (pages[k].h[4] != NOINT) {
                CHECKF(t, vl_pq_crc32(pages[k].data, pages[k].n) == (uint32_t)pages[k].h[4],
                       "%s page %zu crc", files[i].file, k);
                crcs++;
            }
            free(dst);
        }
        CHECKF(t, ok >= files[i].min_pages, "%s: %zu pages decompressed", files[i].file, ok);
        if (strstr(files[i].file, "checksum")) CHECK(t, crcs == ok);
        free(f);
    }
    vl_pq_codec_ctx_destroy(ctx);
    if (!found) SKIP(t, "no test data (VIDLAKE_TESTDATA)");
}

/* Splits an uncompressed data page (v1 or v2) of a flat OPTIONAL column:
 * decodes its bit-width-1 definition levels (v1: length-prefixed; v2: raw,
 * of the header's length) and returns the values region, the value count
 * and the non-null count, and the values encoding. */
static int page_values(vl_test *t, const page *pg, const uint8_t *body, size_t un,
                       const uint8_t **vals, size_t *vn, size_t *nv, size_t *nn) {
    vl_error err;
    bool v2 = pg->h[1] == PAGE_DATA_V2;
    int hdr = v2 ? 8 : 5;
    *nv = (size_t)pg->h[16 * hdr + 1];
    uint16_t *lv = malloc(*nv * 2 + 2);
    size_t used = 0;
    int rc;
    if (v2) {
        used = (size_t)pg->h[16 * 8 + 5];
        rc = used <= un ? VL_OK : VL_ECORRUPT;
        vl_pq_rle_dec d;
        if (rc == VL_OK) rc = vl_pq_rle_dec_init(&d, body, used, 1, &err);
        if (rc == VL_OK) rc = vl_pq_rle_dec_get_u16(&d, lv, *nv, &err);
    } else {
        rc = vl_pq_rle_decode_prefixed_u16(body, un, 1, lv, *nv, &used, &err);
    }
    CHECKF(t, rc == VL_OK, "levels: %s", rc ? err.msg : "");
    *nn = 0;
    for (size_t i = 0; rc == VL_OK && i < *nv; i++) *nn += lv[i];
    if (v2 && rc == VL_OK) CHECK(t, *nn == *nv - (size_t)pg->h[16 * 8 + 2]); /* num_nulls */
    free(lv);
    *vals = body + used;
    *vn = un - used;
    return rc ? -1 : (int)pg->h[16 * hdr + (v2 ? 4 : 2)];
}

/* delta_binary_packed.parquet: 66 DELTA_BINARY_PACKED columns (bit widths 0
 * to 64) against the expected CSV, values compared in file order. */
static void t_real_file_delta_binary_packed(vl_test *t) {
    size_t fn, cn;
    uint8_t *f = slurp("delta_binary_packed.parquet", &fn);
    uint8_t *csv = slurp("delta_binary_packed_expect.csv", &cn);
    if (!f || !csv) {
        free(f);
        free(csv);
        SKIP(t, "no test data (VIDLAKE_TESTDATA)");
    }
    /* the CSV, column-major */
    enum { ROWS = 200, COLS = 66 };
    static int64_t want[COLS][ROWS];
    static bool isnull[COLS][ROWS];
    char *s = malloc(cn + 1);
    memcpy(s, csv, cn);
    s[cn] = 0;
    char *line = strchr(s, '\n') + 1;
    for (int r = 0; r < ROWS && line; r++) {
        char *q = line;
        for (int c = 0; c < COLS; c++) {
            char *endp;
            isnull[c][r] = (*q == ',' || *q == '\n' || *q == '\r' || !*q);
            want[c][r] = isnull[c][r] ? 0 : strtoll(q, &endp, 10);
            q = strpbrk(q, ",\n");
            if (q && *q == ',') q++;
        }
        line = strchr(line, '\n');
        if (line) line++;
    }
    free(s);
    static page pages[256];
    size_t np = walk_pages(f, fn, pages, 256), col = 0, row = 0, checked = 0;
    if (getenv("PQ_DEBUG"))
        for (size_t k = 0; k < np && k < 8; k++)
            printf("  page %zu type %lld sizes %lld/%lld nv %lld enc %lld\n", k, (long long)pages[k].h[1],
                   (long long)pages[k].h[2], (long long)pages[k].h[3], (long long)pages[k].h[16 * 5 + 1],
                   (long long)pages[k].h[16 * 5 + 2]);
    vl_error err;
    int64_t got[ROWS];
    for (size_t k = 0; k < np && col < COLS; k++) {
        if (pages[k].h[1] != PAGE_DATA && pages[k].h[1] != PAGE_DATA_V2) continue;
        CHECK(t, (size_t)pages[k].h[2] == pages[k].n); /* uncompressed */
        const uint8_t *p;
        size_t n, nv, nn, used = 0;
        int enc = page_values(t, &pages[k], pages[k].data, pages[k].n, &p, &n, &nv, &nn);
        CHECK(t, enc == 5); /* DELTA_BINARY_PACKED */
        REQUIRE(t, nn <= ROWS);
        uint8_t *e = dup_exact(p, n);
        int rc = vl_pq_delta_decode_i64(e, n, got, nn, &used, &err);
        CHECKF(t, rc == VL_OK && used == n, "column %zu: %s (used %zu of %zu)", col, err.msg, used, n);
        free(e);
        size_t j = 0;
        for (size_t i = 0; i < nv && row < ROWS; i++, row++) {
            if (isnull[col][row]) continue;
            if (j >= nn) break;
            int64_t g = got[j++];
            if (col == COLS - 1) CHECKF(t, (int32_t)g == (int32_t)want[col][row], "int_value row %zu", row);
            else CHECKF(t, g == want[col][row], "col %zu row %zu: %lld != %lld", col, row, (long long)g, (long long)want[col][row]);
            checked++;
        }
        if (row == ROWS) {
            col++;
            row = 0;
        }
    }
    CHECKF(t, col == COLS && checked > 60 * 190, "%zu columns, %zu values checked", col, checked);
    free(f);
    free(csv);
}

/* byte_stream_split.zstd.parquet: f32 and f64 sums from the README. */
static void t_real_file_byte_stream_split(vl_test *t) {
    size_t fn;
    uint8_t *f = slurp("byte_stream_split.zstd.parquet", &fn);
    if (!f) SKIP(t, "no test data (VIDLAKE_TESTDATA)");
    static page pages[16];
    size_t np = walk_pages(f, fn, pages, 16), col = 0, total[2] = {0, 0};
    double sum[2] = {0, 0};
    vl_error err;
    vl_pq_codec_ctx *ctx = vl_pq_codec_ctx_create();
    for (size_t k = 0; k < np && col < 2; k++) {
        if (pages[k].h[1] != PAGE_DATA && pages[k].h[1] != PAGE_DATA_V2) continue;
        int rc;
        uint8_t *d = page_inflate(ctx, VL_PQ_CODEC_ID_ZSTD, &pages[k], &rc, &err);
        REQUIRE(t, rc == VL_OK);
        const uint8_t *p;
        size_t n, nv, nn, w = col == 0 ? 4 : 8;
        CHECK(t, page_values(t, &pages[k], d, (size_t)pages[k].h[2], &p, &n, &nv, &nn) == 9);
        uint8_t *vals = malloc(nn * 8 + 8);
        CHECKF(t, vl_pq_bss_decode(p, n, w, vals, nn, &err) == VL_OK, "%s", err.msg);
        CHECK(t, n == nn * w);
        for (size_t i = 0; i < nn; i++) {
            if (w == 4) {
                float x;
                memcpy(&x, vals + 4 * i, 4);
                sum[col] += x;
            } else {
                double x;
                memcpy(&x, vals + 8 * i, 8);
                sum[col] += x;
            }
        }
        total[col] += nv;
        if (total[col] >= 300) col++;
        free(vals);
        free(d);
    }
    vl_pq_codec_ctx_destroy(ctx);
    CHECKF(t, fabs(sum[0] - 8.258873) < 1e-4, "f32 sum %f", sum[0]);
    CHECKF(t, fabs(sum[1] + 41.229190) < 1e-4, "f64 sum %f", sum[1]);
    free(f);
}

static const vl_test_case cases[] = {
    {"RLE/bit-packed hybrid round-trips every width and size", t_rle_roundtrip},
    {"RLE/bit-packed hybrid matches the spec bytes and refuses bad runs", t_rle_spec_bytes},
    {"legacy BIT_PACKED is MSB-first and round-trips", t_bitpacked_legacy},
    {"PLAIN round-trips every physical type and refuses short input", t_plain},
    {"dictionary builder, limit, index decode and bad indices", t_dictionary},
    {"DELTA_BINARY_PACKED matches the spec examples", t_delta_spec_bytes},
    {"DELTA_BINARY_PACKED round-trips INT32/INT64 incl. wrap-around", t_delta_roundtrip},
    {"DELTA_LENGTH_BYTE_ARRAY and DELTA_BYTE_ARRAY", t_delta_byte_arrays},
    {"BYTE_STREAM_SPLIT matches the spec and round-trips", t_byte_stream_split},
    {"float16 and INT96 conversions", t_float16_and_int96},
    {"every writable codec round-trips and checks sizes", t_codecs_roundtrip},
    {"gzip members, zlib, Hadoop LZ4, brotli, LZO and CRC-32", t_codecs_special},
    {"codec contexts fail cleanly at every allocation", t_codec_oom},
    {"random bytes give clean errors from every decoder", t_hostile_bytes},
    {"real files: every page decompresses, CRCs match", t_real_file_codecs},
    {"real files: DELTA_BINARY_PACKED widths 0..64 match the CSV", t_real_file_delta_binary_packed},
    {"real files: BYTE_STREAM_SPLIT floats sum as documented", t_real_file_byte_stream_split},
};
VL_TEST_MAIN(cases)
