/* vidlake - Apache-2.0 */
/*
 * Parquet value encodings: PLAIN, the RLE/bit-packed hybrid, legacy
 * BIT_PACKED, dictionary indices and the dictionary builder,
 * DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY and
 * BYTE_STREAM_SPLIT (facts from apache/parquet-format Encodings.md).
 *
 * Design notes.
 * - Bit unpacking works on groups of 8 values (8 values of width w occupy
 *   exactly w bytes). The hot loops are instantiated once per width with a
 *   switch outside the loop, so every shift and mask is a constant. A group
 *   is read with unaligned 64-bit loads, which may look up to 16 bytes past
 *   the group; the fast path is only taken when that many bytes are left in
 *   the input, and the tail goes through a zero-padded copy. So no load ever
 *   leaves the caller's buffer.
 * - All arithmetic on delta-encoded values is unsigned (wrap-around is the
 *   specified behaviour; signed overflow would be undefined).
 * - Counts read from the input never size an allocation: output sizes come
 *   from the caller, and every loop consumes input bytes or output slots, so
 *   hostile input cannot make a decoder spin.
 * - DELTA_BYTE_ARRAY rebuilds values in the caller's arena, except values
 *   that are a prefix of the previous one (views into it) or have no prefix
 *   (views into the input).
 */
#include "parquet/parquet_enc.h"

#include <limits.h>
#include <math.h>
#include <string.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "parquet_enc.c assumes a little-endian host"
#endif

/* ------------------------------------------------------------------ helpers */

static inline uint64_t ld64(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline uint32_t ld32(const uint8_t *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static inline size_t min_sz(size_t a, size_t b) { return a < b ? a : b; }

/* Stands in for a NULL input of 0 bytes: NULL + 0 is undefined in C. */
static const uint8_t no_bytes[16];
#define NONNULL_INPUT(p) \
    do {                 \
        if (!(p)) (p) = no_bytes; \
    } while (0)

/* ULEB128 of at most max_bytes bytes. 0 ok, -1 input ended, -2 too long or
 * too large for 64 bits. */
static int read_uleb(const uint8_t **pp, const uint8_t *end, uint64_t *out) {
    const uint8_t *p = *pp;
    uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (p >= end) return -1;
        uint8_t b = *p++;
        if (shift == 63 && b > 1) return -2;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *pp = p;
            *out = v;
            return 0;
        }
    }
    return -2;
}

static inline uint64_t unzigzag(uint64_t v) { return (v >> 1) ^ (0 - (v & 1)); }
static inline uint64_t zigzag64(int64_t v) {
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); /* arithmetic shift: gcc/clang */
}

static int put_uleb(vl_buf *b, uint64_t v) {
    uint8_t tmp[10];
    size_t n = 0;
    do {
        uint8_t c = v & 0x7f;
        v >>= 7;
        tmp[n++] = c | (v ? 0x80 : 0);
    } while (v);
    return vl_buf_append(b, tmp, n);
}

static int oom(vl_error *err, const char *what) {
    return vl_error_set(err, VL_ENOMEM, "%s: out of memory", what);
}

/* Packs n values LSB-first at width bw (0..64) into o, which must have
 * ceil(n * bw / 8) bytes. */
static void pack_lsb(uint8_t *o, const uint64_t *v, size_t n, int bw) {
    if (bw == 0) return;
    uint64_t acc = 0;
    int nb = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t x = v[i];
        acc |= x << nb;
        if (nb + bw >= 64) {
            memcpy(o, &acc, 8);
            o += 8;
            acc = nb ? x >> (64 - nb) : 0;
            nb = nb + bw - 64;
        } else {
            nb += bw;
        }
    }
    for (; nb > 0; nb -= 8) {
        *o++ = (uint8_t)acc;
        acc >>= 8;
    }
}

/* --------------------------------------------------------- bit unpacking */

/* 8 values of width W <= 32 from in; reads at most in[0 .. W + 8). */
static inline __attribute__((always_inline)) void unpack8_32(const uint8_t *in, uint32_t *out,
                                                             const int W) {
    const uint64_t mask = (W == 32) ? 0xffffffffu : ((UINT64_C(1) << W) - 1);
    for (int i = 0; i < 8; i++) {
        const unsigned bit = (unsigned)(i * W);
        out[i] = (uint32_t)((ld64(in + (bit >> 3)) >> (bit & 7)) & mask);
    }
}

#define U32_CASE(W)                                                                     \
    case W:                                                                             \
        for (size_t g = 0; g < ng; g++) unpack8_32(in + g * (W), out + g * 8, W);       \
        break;

/* ng groups of 8 values of width bw; needs ng * bw + 8 readable bytes. */
static void unpack32(const uint8_t *in, uint32_t *out, size_t ng, int bw) {
    switch (bw) {
    case 0: memset(out, 0, ng * 8 * sizeof(*out)); break;
    U32_CASE(1) U32_CASE(2) U32_CASE(3) U32_CASE(4) U32_CASE(5) U32_CASE(6) U32_CASE(7)
    U32_CASE(8) U32_CASE(9) U32_CASE(10) U32_CASE(11) U32_CASE(12) U32_CASE(13)
    U32_CASE(14) U32_CASE(15) U32_CASE(16) U32_CASE(17) U32_CASE(18) U32_CASE(19)
    U32_CASE(20) U32_CASE(21) U32_CASE(22) U32_CASE(23) U32_CASE(24) U32_CASE(25)
    U32_CASE(26) U32_CASE(27) U32_CASE(28) U32_CASE(29) U32_CASE(30) U32_CASE(31)
    U32_CASE(32)
    default: VL_ASSERT(0);
    }
}

/* 8 values of width W <= 64; reads at most in[0 .. W + 9). */
static inline __attribute__((always_inline)) void unpack8_64(const uint8_t *in, uint64_t *out,
                                                             const int W) {
    const uint64_t mask = (W == 64) ? ~UINT64_C(0) : ((UINT64_C(1) << W) - 1);
    for (int i = 0; i < 8; i++) {
        const unsigned bit = (unsigned)(i * W), byte = bit >> 3, sh = bit & 7;
        uint64_t v = ld64(in + byte) >> sh;
        if (W + sh > 64) v |= (uint64_t)in[byte + 8] << (64 - sh);
        out[i] = v & mask;
    }
}

#define U64_CASE(W)                                                                     \
    case W:                                                                             \
        for (size_t g = 0; g < ng; g++) unpack8_64(in + g * (W), out + g * 8, W);       \
        break;

/* ng groups of 8 values of width bw <= 64; needs ng * bw + 16 readable bytes. */
static void unpack64(const uint8_t *in, uint64_t *out, size_t ng, int bw) {
    switch (bw) {
    case 0: memset(out, 0, ng * 8 * sizeof(*out)); break;
    U64_CASE(1) U64_CASE(2) U64_CASE(3) U64_CASE(4) U64_CASE(5) U64_CASE(6) U64_CASE(7)
    U64_CASE(8) U64_CASE(9) U64_CASE(10) U64_CASE(11) U64_CASE(12) U64_CASE(13)
    U64_CASE(14) U64_CASE(15) U64_CASE(16) U64_CASE(17) U64_CASE(18) U64_CASE(19)
    U64_CASE(20) U64_CASE(21) U64_CASE(22) U64_CASE(23) U64_CASE(24) U64_CASE(25)
    U64_CASE(26) U64_CASE(27) U64_CASE(28) U64_CASE(29) U64_CASE(30) U64_CASE(31)
    U64_CASE(32) U64_CASE(33) U64_CASE(34) U64_CASE(35) U64_CASE(36) U64_CASE(37)
    U64_CASE(38) U64_CASE(39) U64_CASE(40) U64_CASE(41) U64_CASE(42) U64_CASE(43)
    U64_CASE(44) U64_CASE(45) U64_CASE(46) U64_CASE(47) U64_CASE(48) U64_CASE(49)
    U64_CASE(50) U64_CASE(51) U64_CASE(52) U64_CASE(53) U64_CASE(54) U64_CASE(55)
    U64_CASE(56) U64_CASE(57) U64_CASE(58) U64_CASE(59) U64_CASE(60) U64_CASE(61)
    U64_CASE(62) U64_CASE(63) U64_CASE(64)
    default: VL_ASSERT(0);
    }
}

/* ------------------------------------------------- RLE / bit-packed hybrid */

#define RLE "RLE/bit-packed hybrid"

int vl_pq_rle_dec_init(vl_pq_rle_dec *d, const uint8_t *p, size_t n, int bw, vl_error *err) {
    NONNULL_INPUT(p);
    memset(d, 0, sizeof(*d));
    if (bw < 0 || bw > 32) return vl_error_set(err, VL_EINVAL, RLE ": bit width %d not in 0..32", bw);
    d->start = d->p = p;
    d->end = p + n;
    d->bw = bw;
    return VL_OK;
}

/* Loads the next group of the current bit-packed run into grp[] through a
 * zero-padded copy; a group cut short by the end of the input yields only
 * its complete values. */
static int rle_load_group(vl_pq_rle_dec *d, vl_error *err) {
    size_t avail = (size_t)(d->end - d->p), bw = (size_t)d->bw;
    uint8_t tmp[32 + 16] = {0};
    size_t take = min_sz(bw, avail);
    if (take) memcpy(tmp, d->p, take);
    unpack32(tmp, d->grp, 1, d->bw);
    d->p += take;
    d->lit_groups--;
    d->grp_pos = 0;
    d->grp_n = (uint8_t)(bw ? min_sz(8, take * 8 / bw) : 8);
    if (d->grp_n == 0)
        return vl_error_set(err, VL_ECORRUPT, RLE ": bit-packed run truncated at byte %zu",
                            (size_t)(d->p - d->start));
    return VL_OK;
}

static int rle_read_header(vl_pq_rle_dec *d, vl_error *err) {
    uint64_t h;
    size_t off = (size_t)(d->p - d->start);
    int rc = read_uleb(&d->p, d->end, &h);
    if (rc == -1) return vl_error_set(err, VL_ECORRUPT, RLE ": input ended at byte %zu", off);
    if (rc != 0 || h > UINT32_MAX)
        return vl_error_set(err, VL_ECORRUPT, RLE ": run header at byte %zu is too large", off);
    if (h & 1) {
        d->lit_groups = (uint32_t)(h >> 1);
        return VL_OK;
    }
    size_t vb = ((size_t)d->bw + 7) / 8;
    if ((size_t)(d->end - d->p) < vb)
        return vl_error_set(err, VL_ECORRUPT, RLE ": RLE run value at byte %zu truncated",
                            (size_t)(d->p - d->start));
    uint32_t v = 0;
    for (size_t i = 0; i < vb; i++) v |= (uint32_t)d->p[i] << (8 * i);
    d->p += vb;
    if (d->bw < 32 && (v >> d->bw) != 0)
        return vl_error_set(err, VL_ECORRUPT, RLE ": RLE run value %u wider than %d bits", v, d->bw);
    d->rle_left = (uint32_t)(h >> 1);
    d->rle_value = v;
    return VL_OK;
}

int vl_pq_rle_dec_get(vl_pq_rle_dec *d, uint32_t *out, size_t count, vl_error *err) {
    size_t i = 0;
    while (i < count) {
        if (d->grp_pos < d->grp_n) {
            size_t k = min_sz((size_t)(d->grp_n - d->grp_pos), count - i);
            memcpy(out + i, d->grp + d->grp_pos, k * sizeof(*out));
            d->grp_pos = (uint8_t)(d->grp_pos + k);
            i += k;
            continue;
        }
        if (d->rle_left) {
            size_t k = min_sz(d->rle_left, count - i);
            uint32_t v = d->rle_value;
            for (size_t j = 0; j < k; j++) out[i + j] = v;
            d->rle_left -= (uint32_t)k;
            i += k;
            continue;
        }
        if (d->lit_groups) {
            size_t ng = min_sz((count - i) / 8, d->lit_groups);
            if (ng) {
                size_t avail = (size_t)(d->end - d->p);
                if (d->bw) ng = avail >= 8 ? min_sz(ng, (avail - 8) / (size_t)d->bw) : 0;
                if (ng) {
                    unpack32(d->p, out + i, ng, d->bw);
                    d->p += ng * (size_t)d->bw;
                    d->lit_groups -= (uint32_t)ng;
                    i += ng * 8;
                    continue;
                }
            }
            VL_RETURN_IF_ERR(rle_load_group(d, err));
            continue;
        }
        if (d->p >= d->end)
            return vl_error_set(err, VL_ECORRUPT, RLE ": input of %zu bytes ended %zu values short",
                                (size_t)(d->end - d->start), count - i);
        VL_RETURN_IF_ERR(rle_read_header(d, err));
    }
    return VL_OK;
}

int vl_pq_rle_dec_get_u16(vl_pq_rle_dec *d, uint16_t *out, size_t count, vl_error *err) {
    if (d->bw > 16) return vl_error_set(err, VL_EINVAL, RLE ": bit width %d too wide for 16-bit levels", d->bw);
    uint32_t tmp[512];
    for (size_t i = 0; i < count;) {
        size_t k = min_sz(512, count - i);
        VL_RETURN_IF_ERR(vl_pq_rle_dec_get(d, tmp, k, err));
        for (size_t j = 0; j < k; j++) out[i + j] = (uint16_t)tmp[j];
        i += k;
    }
    return VL_OK;
}

int vl_pq_rle_decode(const uint8_t *p, size_t n, int bw, uint32_t *out, size_t count,
                     size_t *used, vl_error *err) {
    vl_pq_rle_dec d;
    VL_RETURN_IF_ERR(vl_pq_rle_dec_init(&d, p, n, bw, err));
    VL_RETURN_IF_ERR(vl_pq_rle_dec_get(&d, out, count, err));
    if (used) *used = vl_pq_rle_dec_consumed(&d);
    return VL_OK;
}

static int rle_prefix(const uint8_t *p, size_t n, size_t *len, vl_error *err) {
    if (n < 4) return vl_error_set(err, VL_ECORRUPT, RLE ": %zu bytes, too short for the length prefix", n);
    *len = ld32(p);
    if (*len > n - 4)
        return vl_error_set(err, VL_ECORRUPT, RLE ": length prefix %zu exceeds the %zu bytes left",
                            *len, n - 4);
    return VL_OK;
}

int vl_pq_rle_decode_prefixed(const uint8_t *p, size_t n, int bw, uint32_t *out, size_t count,
                              size_t *used, vl_error *err) {
    NONNULL_INPUT(p);
    size_t len = 0;
    VL_RETURN_IF_ERR(rle_prefix(p, n, &len, err));
    VL_RETURN_IF_ERR(vl_pq_rle_decode(p + 4, len, bw, out, count, NULL, err));
    if (used) *used = 4 + len;
    return VL_OK;
}

int vl_pq_rle_decode_prefixed_u16(const uint8_t *p, size_t n, int bw, uint16_t *out,
                                  size_t count, size_t *used, vl_error *err) {
    NONNULL_INPUT(p);
    size_t len = 0;
    vl_pq_rle_dec d;
    VL_RETURN_IF_ERR(rle_prefix(p, n, &len, err));
    VL_RETURN_IF_ERR(vl_pq_rle_dec_init(&d, p + 4, len, bw, err));
    VL_RETURN_IF_ERR(vl_pq_rle_dec_get_u16(&d, out, count, err));
    if (used) *used = 4 + len;
    return VL_OK;
}

/* Run lengths are limited to 2^31 - 1 values (Encodings.md); bit-packed runs
 * to a whole number of groups below that. */
#define RLE_MAX_RUN ((size_t)INT32_MAX)
#define RLE_MAX_GROUPS (RLE_MAX_RUN / 8)

/* The encoder, instantiated for uint32_t and uint16_t input. Greedy: a run
 * of >= 8 equal values becomes an RLE run; otherwise groups of 8 are
 * bit-packed until the next group boundary where such a run starts. */
#define DEFINE_RLE_ENCODE(NAME, T)                                                       \
    static int NAME(const T *v, size_t count, int bw, vl_buf *out, vl_error *err) {      \
        if (bw < 0 || bw > 32)                                                          \
            return vl_error_set(err, VL_EINVAL, RLE ": bit width %d not in 0..32", bw);  \
        uint32_t all = 0;                                                               \
        for (size_t i = 0; i < count; i++) all |= v[i];                                 \
        if (vl_pq_bit_width(all) > bw)                                                  \
            return vl_error_set(err, VL_EINVAL, RLE ": a value is wider than %d bits", bw); \
        size_t vb = ((size_t)bw + 7) / 8, i = 0;                                        \
        while (i < count) {                                                             \
            size_t r = 1;                                                               \
            while (i + r < count && v[i + r] == v[i] && r < RLE_MAX_RUN) r++;           \
            if (r >= 8) {                                                               \
                uint8_t val[4];                                                         \
                for (size_t k = 0; k < vb; k++) val[k] = (uint8_t)((uint32_t)v[i] >> (8 * k)); \
                if (put_uleb(out, (uint64_t)r << 1) || vl_buf_append(out, val, vb))     \
                    return oom(err, RLE);                                               \
                i += r;                                                                 \
                continue;                                                               \
            }                                                                           \
            size_t start = i;                                                           \
            for (;;) {                                                                  \
                i = min_sz(i + 8, count);                                               \
                if (i >= count || (i - start) / 8 >= RLE_MAX_GROUPS - 1) break;         \
                size_t k = 1;                                                           \
                while (k < 8 && i + k < count && v[i + k] == v[i]) k++;                 \
                if (k == 8) break;                                                      \
            }                                                                           \
            size_t groups = (i - start + 7) / 8;                                        \
            if (put_uleb(out, ((uint64_t)groups << 1) | 1) ||                           \
                vl_buf_reserve(out, groups * (size_t)bw))                               \
                return oom(err, RLE);                                                   \
            uint8_t *o = (uint8_t *)out->p + out->n;                                    \
            for (size_t g = 0; g < groups; g++) {                                       \
                uint64_t tmp[8] = {0};                                                  \
                size_t b = start + g * 8, e = min_sz(b + 8, i);                         \
                for (size_t k = b; k < e; k++) tmp[k - b] = v[k];                       \
                pack_lsb(o + g * (size_t)bw, tmp, 8, bw);                               \
            }                                                                           \
            out->n += groups * (size_t)bw;                                              \
        }                                                                               \
        return VL_OK;                                                                   \
    }

DEFINE_RLE_ENCODE(rle_encode32, uint32_t)
DEFINE_RLE_ENCODE(rle_encode16, uint16_t)

int vl_pq_rle_encode(const uint32_t *v, size_t count, int bw, vl_buf *out, vl_error *err) {
    return rle_encode32(v, count, bw, out, err);
}

int vl_pq_rle_encode_u16(const uint16_t *v, size_t count, int bw, vl_buf *out, vl_error *err) {
    return rle_encode16(v, count, bw, out, err);
}

static int rle_patch_prefix(vl_buf *out, size_t at, vl_error *err) {
    size_t len = out->n - at - 4;
    if (len > UINT32_MAX) return vl_error_set(err, VL_ERANGE, RLE ": %zu bytes exceed the 4-byte length", len);
    uint32_t l = (uint32_t)len;
    memcpy(out->p + at, &l, 4);
    return VL_OK;
}

int vl_pq_rle_encode_prefixed(const uint32_t *v, size_t count, int bw, vl_buf *out,
                              vl_error *err) {
    size_t at = out->n;
    if (vl_buf_append(out, "\0\0\0\0", 4)) return oom(err, RLE);
    VL_RETURN_IF_ERR(rle_encode32(v, count, bw, out, err));
    return rle_patch_prefix(out, at, err);
}

int vl_pq_rle_encode_prefixed_u16(const uint16_t *v, size_t count, int bw, vl_buf *out,
                                  vl_error *err) {
    size_t at = out->n;
    if (vl_buf_append(out, "\0\0\0\0", 4)) return oom(err, RLE);
    VL_RETURN_IF_ERR(rle_encode16(v, count, bw, out, err));
    return rle_patch_prefix(out, at, err);
}

/* ------------------------------------------------------ legacy BIT_PACKED */

#define BITPACKED "BIT_PACKED"

static int bits_bytes(size_t count, int bw, size_t *bytes) {
    size_t bits;
    if (__builtin_mul_overflow(count, (size_t)bw, &bits)) return -1;
    *bytes = bits / 8 + ((bits & 7) != 0);
    return 0;
}

int vl_pq_bitpacked_decode(const uint8_t *p, size_t n, int bw, uint32_t *out, size_t count,
                           size_t *used, vl_error *err) {
    NONNULL_INPUT(p);
    if (bw < 0 || bw > 32) return vl_error_set(err, VL_EINVAL, BITPACKED ": bit width %d not in 0..32", bw);
    size_t need;
    if (bits_bytes(count, bw, &need) || need > n)
        return vl_error_set(err, VL_ECORRUPT, BITPACKED ": %zu values of %d bits need more than the %zu bytes given",
                            count, bw, n);
    if (bw == 0) {
        memset(out, 0, count * sizeof(*out));
    } else {
        size_t bit = 0;
        for (size_t i = 0; i < count; i++, bit += (size_t)bw) {
            size_t byte = bit >> 3;
            uint64_t w;
            if (byte + 8 <= n) {
                w = __builtin_bswap64(ld64(p + byte));
            } else {
                uint8_t tmp[8] = {0};
                memcpy(tmp, p + byte, n - byte);
                w = __builtin_bswap64(ld64(tmp));
            }
            out[i] = (uint32_t)((w << (bit & 7)) >> (64 - bw));
        }
    }
    if (used) *used = need;
    return VL_OK;
}

int vl_pq_bitpacked_encode(const uint32_t *v, size_t count, int bw, vl_buf *out, vl_error *err) {
    if (bw < 0 || bw > 32) return vl_error_set(err, VL_EINVAL, BITPACKED ": bit width %d not in 0..32", bw);
    size_t need;
    if (bits_bytes(count, bw, &need) || vl_buf_reserve(out, need)) return oom(err, BITPACKED);
    if (need == 0) {
        for (size_t i = 0; i < count; i++)
            if (bw < 32 && (v[i] >> bw))
                return vl_error_set(err, VL_EINVAL, BITPACKED ": value %u wider than %d bits", v[i], bw);
        return VL_OK;
    }
    uint8_t *o = (uint8_t *)out->p + out->n;
    memset(o, 0, need);
    uint64_t acc = 0; /* bits fill from the top */
    int nb = 0;
    for (size_t i = 0; i < count; i++) {
        uint64_t x = v[i];
        if (bw < 32 && (x >> bw))
            return vl_error_set(err, VL_EINVAL, BITPACKED ": value %u wider than %d bits", v[i], bw);
        if (bw == 0) continue;
        acc |= x << (64 - nb - bw);
        nb += bw;
        while (nb >= 8) {
            *o++ = (uint8_t)(acc >> 56);
            acc <<= 8;
            nb -= 8;
        }
    }
    if (nb > 0) *o = (uint8_t)(acc >> 56);
    out->n += need;
    return VL_OK;
}

/* ------------------------------------------------------------------ PLAIN */

int vl_pq_plain_decode_bool(const uint8_t *p, size_t n, uint8_t *out, size_t count, size_t *used,
                            vl_error *err) {
    NONNULL_INPUT(p);
    size_t need = count / 8 + ((count & 7) != 0);
    if (need > n)
        return vl_error_set(err, VL_ECORRUPT, "PLAIN BOOLEAN: %zu values need %zu bytes, %zu given",
                            count, need, n);
    size_t full = count / 8;
    for (size_t b = 0; b < full; b++) {
        uint8_t x = p[b];
        uint8_t *o = out + b * 8;
        for (int k = 0; k < 8; k++) o[k] = (x >> k) & 1;
    }
    for (size_t i = full * 8; i < count; i++) out[i] = (p[i >> 3] >> (i & 7)) & 1;
    if (used) *used = need;
    return VL_OK;
}

int vl_pq_plain_decode_fixed(const uint8_t *p, size_t n, size_t width, void *out, size_t count,
                             size_t *used, vl_error *err) {
    NONNULL_INPUT(p);
    size_t need;
    if (width == 0) return vl_error_set(err, VL_EINVAL, "PLAIN: value width 0");
    if (__builtin_mul_overflow(count, width, &need) || need > n)
        return vl_error_set(err, VL_ECORRUPT, "PLAIN: %zu values of %zu bytes need more than the %zu bytes given",
                            count, width, n);
    if (need) memcpy(out, p, need);
    if (used) *used = need;
    return VL_OK;
}

int vl_pq_plain_decode_byte_array(const uint8_t *p, size_t n, vl_sv *out, size_t count,
                                  size_t *used, vl_error *err) {
    NONNULL_INPUT(p);
    size_t off = 0;
    for (size_t i = 0; i < count; i++) {
        if (n - off < 4)
            return vl_error_set(err, VL_ECORRUPT, "PLAIN BYTE_ARRAY: input ended at value %zu of %zu (byte %zu)",
                                i, count, off);
        size_t len = ld32(p + off);
        off += 4;
        if (len > n - off)
            return vl_error_set(err, VL_ECORRUPT, "PLAIN BYTE_ARRAY: value %zu length %zu exceeds the %zu bytes left",
                                i, len, n - off);
        out[i].p = (const char *)(p + off);
        out[i].n = len;
        off += len;
    }
    if (used) *used = off;
    return VL_OK;
}

int vl_pq_plain_encode_bool(const uint8_t *v, size_t count, vl_buf *out, vl_error *err) {
    size_t need = count / 8 + ((count & 7) != 0);
    if (need == 0) return VL_OK;
    if (vl_buf_reserve(out, need)) return oom(err, "PLAIN BOOLEAN");
    uint8_t *o = (uint8_t *)out->p + out->n;
    memset(o, 0, need);
    for (size_t i = 0; i < count; i++) o[i >> 3] |= (uint8_t)((v[i] != 0) << (i & 7));
    out->n += need;
    return VL_OK;
}

int vl_pq_plain_encode_fixed(const void *v, size_t count, size_t width, vl_buf *out,
                             vl_error *err) {
    size_t need;
    if (__builtin_mul_overflow(count, width, &need)) return oom(err, "PLAIN");
    if (need && vl_buf_append(out, v, need)) return oom(err, "PLAIN");
    return VL_OK;
}

int vl_pq_plain_encode_byte_array(const vl_sv *v, size_t count, vl_buf *out, vl_error *err) {
    size_t need = 0;
    for (size_t i = 0; i < count; i++) {
        if (v[i].n > UINT32_MAX)
            return vl_error_set(err, VL_ERANGE, "PLAIN BYTE_ARRAY: value %zu is %zu bytes", i, v[i].n);
        need += 4 + v[i].n;
    }
    if (need == 0) return VL_OK;
    if (vl_buf_reserve(out, need)) return oom(err, "PLAIN BYTE_ARRAY");
    char *o = out->p + out->n;
    for (size_t i = 0; i < count; i++) {
        uint32_t l = (uint32_t)v[i].n;
        memcpy(o, &l, 4);
        if (l) memcpy(o + 4, v[i].p, l);
        o += 4 + l;
    }
    out->n += need;
    return VL_OK;
}

/* ------------------------------------------------------------- dictionary */

#define DICT "RLE_DICTIONARY"
#define DICT_CHUNK 1024

static int dict_start(const uint8_t *p, size_t n, vl_pq_rle_dec *d, vl_error *err) {
    if (n < 1) return vl_error_set(err, VL_ECORRUPT, DICT ": data page has no bit width byte");
    if (p[0] > 32) return vl_error_set(err, VL_ECORRUPT, DICT ": bit width %u exceeds 32", p[0]);
    return vl_pq_rle_dec_init(d, p + 1, n - 1, p[0], err);
}

static int dict_check(const uint32_t *idx, size_t k, size_t base, size_t dict_n, vl_error *err) {
    uint32_t mx = 0;
    for (size_t j = 0; j < k; j++) mx = idx[j] > mx ? idx[j] : mx;
    if (VL_LIKELY(mx < dict_n)) return VL_OK;
    size_t j = 0;
    while (idx[j] < dict_n) j++;
    return vl_error_set(err, VL_ECORRUPT, DICT ": index %u of value %zu is outside the dictionary of %zu entries",
                        idx[j], base + j, dict_n);
}

int vl_pq_dict_decode_indices(const uint8_t *p, size_t n, size_t dict_n, uint32_t *out,
                              size_t count, vl_error *err) {
    NONNULL_INPUT(p);
    if (count == 0) return VL_OK;
    vl_pq_rle_dec d;
    VL_RETURN_IF_ERR(dict_start(p, n, &d, err));
    VL_RETURN_IF_ERR(vl_pq_rle_dec_get(&d, out, count, err));
    for (size_t i = 0; i < count; i += DICT_CHUNK)
        VL_RETURN_IF_ERR(dict_check(out + i, min_sz(DICT_CHUNK, count - i), i, dict_n, err));
    return VL_OK;
}

int vl_pq_dict_decode_fixed(const uint8_t *p, size_t n, const void *dict, size_t dict_n,
                            size_t width, void *out, size_t count, vl_error *err) {
    NONNULL_INPUT(p);
    if (count == 0) return VL_OK;
    vl_pq_rle_dec d;
    uint32_t idx[DICT_CHUNK];
    VL_RETURN_IF_ERR(dict_start(p, n, &d, err));
    const uint8_t *dv = dict;
    uint8_t *o = out;
    for (size_t i = 0; i < count;) {
        size_t k = min_sz(DICT_CHUNK, count - i);
        VL_RETURN_IF_ERR(vl_pq_rle_dec_get(&d, idx, k, err));
        VL_RETURN_IF_ERR(dict_check(idx, k, i, dict_n, err));
        switch (width) {
        case 4:
            for (size_t j = 0; j < k; j++) memcpy(o + (i + j) * 4, dv + (size_t)idx[j] * 4, 4);
            break;
        case 8:
            for (size_t j = 0; j < k; j++) memcpy(o + (i + j) * 8, dv + (size_t)idx[j] * 8, 8);
            break;
        default:
            for (size_t j = 0; j < k; j++)
                memcpy(o + (i + j) * width, dv + (size_t)idx[j] * width, width);
        }
        i += k;
    }
    return VL_OK;
}

int vl_pq_dict_decode_sv(const uint8_t *p, size_t n, const vl_sv *dict, size_t dict_n, vl_sv *out,
                         size_t count, vl_error *err) {
    NONNULL_INPUT(p);
    if (count == 0) return VL_OK;
    vl_pq_rle_dec d;
    uint32_t idx[DICT_CHUNK];
    VL_RETURN_IF_ERR(dict_start(p, n, &d, err));
    for (size_t i = 0; i < count;) {
        size_t k = min_sz(DICT_CHUNK, count - i);
        VL_RETURN_IF_ERR(vl_pq_rle_dec_get(&d, idx, k, err));
        VL_RETURN_IF_ERR(dict_check(idx, k, i, dict_n, err));
        for (size_t j = 0; j < k; j++) out[i + j] = dict[idx[j]];
        i += k;
    }
    return VL_OK;
}

/* The builder: slots[] holds entry number + 1 and 32 bits of the value's
 * hash, so a probe compares bytes only when the tags match; entries live in
 * the PLAIN page body itself (fixed: at i * width; BYTE_ARRAY: at off[i],
 * length first). */
#define DICT_MAX_ENTRIES ((size_t)INT32_MAX)

int vl_pq_dict_enc_init(vl_pq_dict_enc *d, size_t width, size_t byte_limit, vl_error *err) {
    memset(d, 0, sizeof(*d));
    d->width = width;
    d->byte_limit = byte_limit ? byte_limit : ((size_t)1 << 20);
    if (d->byte_limit > UINT32_MAX) d->byte_limit = UINT32_MAX; /* offsets are uint32 */
    vl_buf_init(&d->page);
    d->cap = 1024;
    d->slots = vl_calloc(d->cap, sizeof(*d->slots));
    if (!d->slots) return oom(err, "dictionary builder");
    return VL_OK;
}

void vl_pq_dict_enc_free(vl_pq_dict_enc *d) {
    vl_buf_free(&d->page);
    vl_free(d->off);
    vl_free(d->slots);
    d->off = NULL;
    d->slots = NULL;
    d->cap = d->off_cap = d->n = 0;
}

static inline uint64_t dict_hash(const uint8_t *p, size_t n) {
    if (n == 4) return vl_mix64(ld32(p) + UINT64_C(0x9e3779b97f4a7c15));
    if (n == 8) return vl_mix64(ld64(p) ^ UINT64_C(0x9e3779b97f4a7c15));
    return vl_hash64(p, n, 0x5eed);
}

static inline const uint8_t *dict_entry(const vl_pq_dict_enc *d, size_t e, size_t *len) {
    const uint8_t *pg = (const uint8_t *)d->page.p;
    if (d->width) {
        *len = d->width;
        return pg + e * d->width;
    }
    *len = ld32(pg + d->off[e]);
    return pg + d->off[e] + 4;
}

static int dict_grow(vl_pq_dict_enc *d) {
    size_t cap = d->cap * 2;
    uint64_t *s = vl_calloc(cap, sizeof(*s));
    if (!s) return VL_ENOMEM;
    for (size_t e = 0; e < d->n; e++) {
        size_t len;
        const uint8_t *v = dict_entry(d, e, &len);
        uint64_t h = dict_hash(v, len);
        size_t j = (size_t)h & (cap - 1);
        while (s[j]) j = (j + 1) & (cap - 1);
        s[j] = (uint64_t)(e + 1) | (h & UINT64_C(0xffffffff00000000));
    }
    vl_free(d->slots);
    d->slots = s;
    d->cap = cap;
    return VL_OK;
}

/* Finds or adds one value: 1 added or found (*e set), 0 full, -1 ENOMEM. */
static int dict_put1(vl_pq_dict_enc *d, const uint8_t *v, size_t len, uint32_t *e) {
    uint64_t h = dict_hash(v, len), tag = h & UINT64_C(0xffffffff00000000);
    size_t mask = d->cap - 1, j = (size_t)h & mask;
    if (d->width == 8 || d->width == 4) { /* the common fixed widths: no memcmp call */
        const uint8_t *pg = (const uint8_t *)d->page.p;
        uint64_t key = d->width == 8 ? ld64(v) : ld32(v);
        for (uint64_t s; (s = d->slots[j]) != 0; j = (j + 1) & mask) {
            if ((s & UINT64_C(0xffffffff00000000)) != tag) continue;
            uint32_t ix = (uint32_t)s - 1;
            const uint8_t *ev = pg + (size_t)ix * d->width;
            if ((d->width == 8 ? ld64(ev) : ld32(ev)) == key) {
                *e = ix;
                return 1;
            }
        }
    } else
    for (uint64_t s; (s = d->slots[j]) != 0; j = (j + 1) & mask) {
        if ((s & UINT64_C(0xffffffff00000000)) != tag) continue;
        size_t elen;
        uint32_t ix = (uint32_t)s - 1;
        const uint8_t *ev = dict_entry(d, ix, &elen);
        if (elen == len && memcmp(ev, v, len) == 0) {
            *e = ix;
            return 1;
        }
    }
    size_t add = d->width ? len : 4 + len;
    if (add > d->byte_limit - d->page.n || d->n >= DICT_MAX_ENTRIES) {
        d->full = true;
        return 0;
    }
    if (!d->width) {
        if (d->n == d->off_cap) {
            size_t nc = d->off_cap ? d->off_cap * 2 : 256;
            uint32_t *o = vl_realloc(d->off, nc * sizeof(*o));
            if (!o) return -1;
            d->off = o;
            d->off_cap = nc;
        }
        uint32_t l = (uint32_t)len;
        if (vl_buf_reserve(&d->page, add)) return -1;
        d->off[d->n] = (uint32_t)d->page.n;
        memcpy(d->page.p + d->page.n, &l, 4);
        if (len) memcpy(d->page.p + d->page.n + 4, v, len);
        d->page.n += add;
    } else if (vl_buf_append(&d->page, v, len)) {
        return -1;
    }
    d->slots[j] = (uint64_t)(d->n + 1) | tag;
    *e = (uint32_t)d->n++;
    if (d->n * 2 > d->cap && dict_grow(d)) return -1;
    return 1;
}

int vl_pq_dict_enc_put_fixed(vl_pq_dict_enc *d, const void *v, size_t count, uint32_t *idx,
                             size_t *done, vl_error *err) {
    *done = 0;
    if (!d->width) return vl_error_set(err, VL_EINVAL, "dictionary builder: BYTE_ARRAY builder given fixed values");
    const uint8_t *b = v;
    for (size_t i = 0; i < count; i++) {
        int rc = dict_put1(d, b + i * d->width, d->width, &idx[i]);
        if (rc < 0) return oom(err, "dictionary builder");
        if (rc == 0) break;
        *done = i + 1;
    }
    return VL_OK;
}

int vl_pq_dict_enc_put_sv(vl_pq_dict_enc *d, const vl_sv *v, size_t count, uint32_t *idx,
                          size_t *done, vl_error *err) {
    *done = 0;
    if (d->width) return vl_error_set(err, VL_EINVAL, "dictionary builder: fixed-width builder given byte arrays");
    /* Values that are views of the same bytes (enum names in static storage,
     * repeated views of one buffer) are found by address: the bytes cannot
     * change during this call, so one address and length is one entry. */
    enum { CACHE = 64 };
    struct {
        const char *p;
        size_t n;
        uint32_t ix;
    } cache[CACHE];
    memset(cache, 0, sizeof(cache));
    for (size_t i = 0; i < count; i++) {
        size_t slot = ((uintptr_t)v[i].p >> 3 ^ (uintptr_t)v[i].p >> 9 ^ v[i].n) & (CACHE - 1);
        if (cache[slot].p == v[i].p && cache[slot].n == v[i].n && v[i].p) {
            idx[i] = cache[slot].ix;
            *done = i + 1;
            continue;
        }
        if (v[i].n > UINT32_MAX) {
            d->full = true;
            break;
        }
        int rc = dict_put1(d, (const uint8_t *)v[i].p, v[i].n, &idx[i]);
        if (rc < 0) return oom(err, "dictionary builder");
        if (rc == 0) break;
        cache[slot].p = v[i].p;
        cache[slot].n = v[i].n;
        cache[slot].ix = idx[i];
        *done = i + 1;
    }
    return VL_OK;
}

int vl_pq_dict_encode_indices(const uint32_t *idx, size_t count, size_t dict_n, vl_buf *out,
                              vl_error *err) {
    int bw = dict_n > 1 ? vl_pq_bit_width(dict_n - 1) : 1;
    if (bw > 32) return vl_error_set(err, VL_ERANGE, DICT ": %zu entries", dict_n);
    for (size_t i = 0; i < count; i++)
        if (idx[i] >= dict_n)
            return vl_error_set(err, VL_EINVAL, DICT ": index %u >= dictionary size %zu", idx[i], dict_n);
    if (vl_buf_putc(out, (char)bw)) return oom(err, DICT);
    return vl_pq_rle_encode(idx, count, bw, out, err);
}

/* ---------------------------------------------------- DELTA_BINARY_PACKED */

#define DBP "DELTA_BINARY_PACKED"
#define DBP_MAX_BLOCK ((uint64_t)1 << 30) /* far above any writer's 128..1024 */

static int dbp_uleb(vl_pq_delta_dec *d, uint64_t *v, const char *what, vl_error *err) {
    size_t off = (size_t)(d->p - d->start);
    int rc = read_uleb(&d->p, d->end, v);
    if (rc == -1) return vl_error_set(err, VL_ECORRUPT, DBP ": input ended in the %s at byte %zu", what, off);
    if (rc) return vl_error_set(err, VL_ECORRUPT, DBP ": %s at byte %zu is not a valid ULEB128", what, off);
    return VL_OK;
}

int vl_pq_delta_dec_init(vl_pq_delta_dec *d, const uint8_t *p, size_t n, int int_bits,
                         vl_error *err) {
    NONNULL_INPUT(p);
    memset(d, 0, sizeof(*d));
    if (int_bits != 32 && int_bits != 64)
        return vl_error_set(err, VL_EINVAL, DBP ": integer width %d is not 32 or 64", int_bits);
    d->start = d->p = p;
    d->end = p + n;
    /* INT32 streams too may use up to 64 bits: DuckDB computes INT32 deltas
     * in 64-bit arithmetic, so its deltas can need 33 bits. Decoding works
     * in uint64 and keeps the low 32 bits, which is the same value. */
    d->max_bw = 64;
    uint64_t bs, mbc, total, first;
    VL_RETURN_IF_ERR(dbp_uleb(d, &bs, "block size", err));
    VL_RETURN_IF_ERR(dbp_uleb(d, &mbc, "miniblock count", err));
    VL_RETURN_IF_ERR(dbp_uleb(d, &total, "value count", err));
    VL_RETURN_IF_ERR(dbp_uleb(d, &first, "first value", err));
    if (bs == 0 || bs % 128 != 0 || bs > DBP_MAX_BLOCK)
        return vl_error_set(err, VL_ECORRUPT, DBP ": block size %llu is not a multiple of 128 (up to 2^30)",
                            (unsigned long long)bs);
    if (mbc == 0 || bs % mbc != 0 || (bs / mbc) % 32 != 0)
        return vl_error_set(err, VL_ECORRUPT, DBP ": %llu miniblocks do not split a block of %llu into multiples of 32",
                            (unsigned long long)mbc, (unsigned long long)bs);
    d->block_size = (uint32_t)bs;
    d->mb_count = (uint32_t)mbc;
    d->mb_values = (uint32_t)(bs / mbc);
    d->total = total;
    d->last = unzigzag(first);
    return VL_OK;
}

/* Opens the next miniblock (and, when needed, the next block). Called only
 * when values remain after the first. */
static int dbp_open_mb(vl_pq_delta_dec *d, vl_error *err) {
    if (!d->block_open || d->mb_index == d->mb_count) {
        uint64_t md;
        VL_RETURN_IF_ERR(dbp_uleb(d, &md, "block's min delta", err));
        if ((size_t)(d->end - d->p) < d->mb_count)
            return vl_error_set(err, VL_ECORRUPT, DBP ": input ended in the miniblock bit widths");
        d->min_delta = unzigzag(md);
        d->bws = d->p;
        d->p += d->mb_count;
        d->mb_index = 0;
        d->block_open = true;
    }
    int bw = d->bws[d->mb_index++];
    if (bw > d->max_bw)
        return vl_error_set(err, VL_ECORRUPT, DBP ": miniblock bit width %d exceeds %d", bw, d->max_bw);
    uint64_t left = d->total - d->emitted;
    size_t vals = (size_t)(left < d->mb_values ? left : d->mb_values);
    size_t full = (size_t)d->mb_values * (size_t)bw / 8;
    size_t need = (vals * (size_t)bw + 7) / 8, avail = (size_t)(d->end - d->p);
    if (avail < need)
        return vl_error_set(err, VL_ECORRUPT, DBP ": miniblock needs %zu bytes, %zu left", need, avail);
    d->mb_p = d->p;
    d->mb_avail = min_sz(full, avail); /* the last one may lack its padding */
    d->p += d->mb_avail;
    d->mb_bw = bw;
    d->mb_left = (uint32_t)vals;
    d->mb_pos = 0;
    return VL_OK;
}

/* Decodes count values as uint64 to out64 or, when out32 is set, their low
 * 32 bits to out32. */
static int dbp_get(vl_pq_delta_dec *d, int64_t *out64, int32_t *out32, size_t count,
                   vl_error *err) {
    if (count > d->total - d->emitted)
        return vl_error_set(err, VL_ECORRUPT, DBP ": %zu values wanted, the stream has %llu left",
                            count, (unsigned long long)(d->total - d->emitted));
    size_t i = 0;
    uint64_t last = d->last;
    if (count && d->emitted == 0) {
        if (out32) out32[0] = (int32_t)(uint32_t)last;
        else out64[0] = (int64_t)last;
        d->emitted = 1;
        i = 1;
    }
    uint64_t tmp[32];
    uint8_t pad[32 * 8 + 16];
    while (i < count) {
        if (d->mb_left == 0) {
            d->last = last;
            VL_RETURN_IF_ERR(dbp_open_mb(d, err));
        }
        /* the 32-value chunk holding mb_pos */
        uint32_t cbase = d->mb_pos & ~31u, cpos = d->mb_pos & 31u;
        size_t k = min_sz(min_sz(32 - cpos, d->mb_left), count - i);
        int bw = d->mb_bw;
        size_t coff = (size_t)cbase * (size_t)bw / 8, cbytes = 4 * (size_t)bw;
        const uint8_t *src = d->mb_p + coff;
        VL_ASSERT(bw == 0 || src < d->end); /* dbp_open_mb checked the needed bytes */
        if (bw && (size_t)(d->end - src) < cbytes + 16) {
            size_t have = coff < d->mb_avail ? min_sz(cbytes, d->mb_avail - coff) : 0;
            memset(pad, 0, sizeof(pad));
            if (have) memcpy(pad, src, have);
            src = pad;
        }
        unpack64(src, tmp, 4, bw);
        uint64_t md = d->min_delta;
        if (out32) {
            for (size_t j = 0; j < k; j++) {
                last += md + tmp[cpos + j];
                out32[i + j] = (int32_t)(uint32_t)last;
            }
        } else {
            for (size_t j = 0; j < k; j++) {
                last += md + tmp[cpos + j];
                out64[i + j] = (int64_t)last;
            }
        }
        i += k;
        d->mb_pos += (uint32_t)k;
        d->mb_left -= (uint32_t)k;
        d->emitted += k;
    }
    d->last = last;
    return VL_OK;
}

int vl_pq_delta_dec_get(vl_pq_delta_dec *d, int64_t *out, size_t count, vl_error *err) {
    return dbp_get(d, out, NULL, count, err);
}

int vl_pq_delta_dec_get_i32(vl_pq_delta_dec *d, int32_t *out, size_t count, vl_error *err) {
    return dbp_get(d, NULL, out, count, err);
}

int vl_pq_delta_dec_finish(vl_pq_delta_dec *d, size_t *used, vl_error *err) {
    if (d->total > d->emitted && d->emitted == 0) d->emitted = 1; /* the first value */
    d->emitted += d->mb_left;
    d->mb_left = 0;
    while (d->emitted < d->total) {
        VL_RETURN_IF_ERR(dbp_open_mb(d, err));
        d->emitted += d->mb_left;
        d->mb_left = 0;
    }
    if (used) *used = (size_t)(d->p - d->start);
    return VL_OK;
}

int vl_pq_delta_decode_i32(const uint8_t *p, size_t n, int32_t *out, size_t count, size_t *used,
                           vl_error *err) {
    vl_pq_delta_dec d;
    VL_RETURN_IF_ERR(vl_pq_delta_dec_init(&d, p, n, 32, err));
    VL_RETURN_IF_ERR(vl_pq_delta_dec_get_i32(&d, out, count, err));
    return vl_pq_delta_dec_finish(&d, used, err);
}

int vl_pq_delta_decode_i64(const uint8_t *p, size_t n, int64_t *out, size_t count, size_t *used,
                           vl_error *err) {
    vl_pq_delta_dec d;
    VL_RETURN_IF_ERR(vl_pq_delta_dec_init(&d, p, n, 64, err));
    VL_RETURN_IF_ERR(vl_pq_delta_dec_get(&d, out, count, err));
    return vl_pq_delta_dec_finish(&d, used, err);
}

/* The encoder: block 128 = 4 miniblocks of 32. For INT32 the deltas are
 * taken in 32-bit wrap-around arithmetic (so widths stay <= 32) and the min
 * delta is written sign-extended; the decoder's 64-bit sums then agree in
 * their low 32 bits. */
#define ENC_BLOCK 128
#define ENC_MB 4

static int dbp_encode(const int32_t *v32, const int64_t *v64, size_t count, vl_buf *out,
                      vl_error *err) {
    uint64_t first = count ? (v32 ? (uint64_t)(int64_t)v32[0] : (uint64_t)v64[0]) : 0;
    if (put_uleb(out, ENC_BLOCK) || put_uleb(out, ENC_MB) || put_uleb(out, count) ||
        put_uleb(out, zigzag64((int64_t)first)))
        return oom(err, DBP);
    uint64_t adj[ENC_BLOCK];
    for (size_t b = 1; b < count; b += ENC_BLOCK) {
        size_t nv = min_sz(ENC_BLOCK, count - b);
        int64_t mn = INT64_MAX;
        for (size_t j = 0; j < nv; j++) {
            int64_t dl;
            if (v32) {
                dl = (int32_t)((uint32_t)v32[b + j] - (uint32_t)v32[b + j - 1]);
            } else {
                dl = (int64_t)((uint64_t)v64[b + j] - (uint64_t)v64[b + j - 1]);
            }
            adj[j] = (uint64_t)dl;
            if (dl < mn) mn = dl;
        }
        uint8_t bws[ENC_MB] = {0};
        for (size_t j = 0; j < nv; j++) {
            adj[j] -= (uint64_t)mn;
            if (v32) adj[j] &= 0xffffffffu;
        }
        for (size_t j = nv; j < ENC_BLOCK; j++) adj[j] = 0;
        size_t bytes = 0;
        for (int m = 0; m < ENC_MB; m++) {
            if ((size_t)m * 32 >= nv) break;
            uint64_t all = 0;
            for (int j = 0; j < 32; j++) all |= adj[m * 32 + j];
            bws[m] = (uint8_t)vl_pq_bit_width(all);
            bytes += 4 * (size_t)bws[m];
        }
        if (put_uleb(out, zigzag64(mn)) || vl_buf_append(out, bws, ENC_MB) ||
            vl_buf_reserve(out, bytes))
            return oom(err, DBP);
        for (int m = 0; m < ENC_MB; m++) {
            if ((size_t)m * 32 >= nv) break;
            pack_lsb((uint8_t *)out->p + out->n, adj + m * 32, 32, bws[m]);
            out->n += 4 * (size_t)bws[m];
        }
    }
    return VL_OK;
}

int vl_pq_delta_encode_i32(const int32_t *v, size_t count, vl_buf *out, vl_error *err) {
    return dbp_encode(v, NULL, count, out, err);
}

int vl_pq_delta_encode_i64(const int64_t *v, size_t count, vl_buf *out, vl_error *err) {
    return dbp_encode(NULL, v, count, out, err);
}

/* ----------------------------------- DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY */

#define DLBA "DELTA_LENGTH_BYTE_ARRAY"
#define DBA "DELTA_BYTE_ARRAY"
#define LEN_CHUNK 512

/* Streams count lengths from d into out[i].n, refusing negatives. */
static int lengths_into(vl_pq_delta_dec *d, vl_sv *out, size_t count, const char *what,
                        vl_error *err) {
    int32_t tmp[LEN_CHUNK];
    for (size_t i = 0; i < count;) {
        size_t k = min_sz(LEN_CHUNK, count - i);
        int rc = vl_pq_delta_dec_get_i32(d, tmp, k, err);
        if (rc) {
            vl_error_prefix(err, "%s: ", what);
            return rc;
        }
        for (size_t j = 0; j < k; j++) {
            if (tmp[j] < 0)
                return vl_error_set(err, VL_ECORRUPT, "%s: negative length %d at value %zu", what,
                                    tmp[j], i + j);
            out[i + j].n = (size_t)tmp[j];
        }
        i += k;
    }
    return VL_OK;
}

int vl_pq_delta_length_decode(const uint8_t *p, size_t n, vl_sv *out, size_t count, size_t *used,
                              vl_error *err) {
    NONNULL_INPUT(p);
    vl_pq_delta_dec d;
    size_t lu;
    int rc = vl_pq_delta_dec_init(&d, p, n, 32, err);
    if (rc) {
        vl_error_prefix(err, DLBA " lengths: ");
        return rc;
    }
    VL_RETURN_IF_ERR(lengths_into(&d, out, count, DLBA " lengths", err));
    rc = vl_pq_delta_dec_finish(&d, &lu, err);
    if (rc) {
        vl_error_prefix(err, DLBA " lengths: ");
        return rc;
    }
    size_t off = lu;
    for (size_t i = 0; i < count; i++) {
        if (out[i].n > n - off)
            return vl_error_set(err, VL_ECORRUPT, DLBA ": value %zu of %zu bytes runs past the %zu bytes left",
                                i, out[i].n, n - off);
        out[i].p = (const char *)(p + off);
        off += out[i].n;
    }
    if (used) *used = off;
    return VL_OK;
}

int vl_pq_delta_length_encode(const vl_sv *v, size_t count, vl_buf *out, vl_error *err) {
    int32_t tmp[LEN_CHUNK] = {0};
    /* lengths go through a temporary array so that the delta encoder sees them whole */
    int32_t *lens = count <= LEN_CHUNK ? tmp : vl_malloc(count * sizeof(*lens));
    if (!lens) return oom(err, DLBA);
    int rc = VL_OK;
    size_t total = 0;
    for (size_t i = 0; i < count && rc == VL_OK; i++) {
        if (v[i].n > INT32_MAX) rc = vl_error_set(err, VL_ERANGE, DLBA ": value %zu is %zu bytes", i, v[i].n);
        else lens[i] = (int32_t)v[i].n;
        total += v[i].n;
    }
    if (rc == VL_OK) rc = vl_pq_delta_encode_i32(lens, count, out, err);
    if (rc == VL_OK && vl_buf_reserve(out, total)) rc = oom(err, DLBA);
    if (rc == VL_OK)
        for (size_t i = 0; i < count; i++)
            if (v[i].n) {
                memcpy(out->p + out->n, v[i].p, v[i].n);
                out->n += v[i].n;
            }
    if (lens != tmp) vl_free(lens);
    return rc;
}

int vl_pq_delta_byte_array_decode(const uint8_t *p, size_t n, size_t flba_len, vl_sv *out,
                                  size_t count, vl_arena *a, size_t *used, vl_error *err) {
    NONNULL_INPUT(p);
    vl_pq_delta_dec pd, sd, walk;
    size_t u1, u2;
    int rc = vl_pq_delta_dec_init(&pd, p, n, 32, err);
    if (rc == VL_OK) {
        rc = lengths_into(&pd, out, count, DBA " prefix lengths", err);
        if (rc) return rc; /* already prefixed */
        rc = vl_pq_delta_dec_finish(&pd, &u1, err);
    }
    if (rc) {
        vl_error_prefix(err, DBA " prefix lengths: ");
        return rc;
    }
    rc = vl_pq_delta_dec_init(&sd, p + u1, n - u1, 32, err);
    if (rc == VL_OK) {
        walk = sd;
        rc = vl_pq_delta_dec_finish(&walk, &u2, err);
    }
    if (rc) {
        vl_error_prefix(err, DBA " suffix lengths: ");
        return rc;
    }
    const uint8_t *data = p + u1 + u2;
    size_t left = n - u1 - u2, pos = 0, rebuilt = 0;
    vl_sv prev = {(const char *)data, 0};
    int32_t suf[LEN_CHUNK];
    for (size_t i = 0; i < count;) {
        size_t k = min_sz(LEN_CHUNK, count - i);
        rc = vl_pq_delta_dec_get_i32(&sd, suf, k, err);
        if (rc) {
            vl_error_prefix(err, DBA " suffix lengths: ");
            return rc;
        }
        for (size_t j = 0; j < k; j++, i++) {
            size_t pre = out[i].n;
            if (suf[j] < 0)
                return vl_error_set(err, VL_ECORRUPT, DBA ": negative suffix length %d at value %zu", suf[j], i);
            size_t sl = (size_t)suf[j];
            if (pre > prev.n)
                return vl_error_set(err, VL_ECORRUPT, DBA ": value %zu has prefix length %zu but the previous value has %zu bytes",
                                    i, pre, prev.n);
            if (sl > left - pos)
                return vl_error_set(err, VL_ECORRUPT, DBA ": suffix of value %zu (%zu bytes) runs past the %zu bytes left",
                                    i, sl, left - pos);
            if (flba_len && pre + sl != flba_len)
                return vl_error_set(err, VL_ECORRUPT, DBA ": value %zu has %zu bytes, FIXED_LEN_BYTE_ARRAY(%zu)",
                                    i, pre + sl, flba_len);
            vl_sv v;
            if (sl == 0) {
                v = (vl_sv){prev.p, pre};
            } else if (pre == 0) {
                v = (vl_sv){(const char *)data + pos, sl};
            } else {
                if (pre + sl > VL_PQ_DELTA_BA_MAX_OUT - rebuilt)
                    return vl_error_set(err, VL_ENOMEM, DBA ": rebuilt values exceed %zu bytes",
                                        (size_t)VL_PQ_DELTA_BA_MAX_OUT);
                char *m = vl_arena_alloc(a, pre + sl);
                if (!m) return vl_error_set(err, VL_ENOMEM, DBA ": arena refused %zu bytes at value %zu", pre + sl, i);
                memcpy(m, prev.p, pre);
                memcpy(m + pre, data + pos, sl);
                rebuilt += pre + sl;
                v = (vl_sv){m, pre + sl};
            }
            pos += sl;
            out[i] = v;
            prev = v;
        }
    }
    if (used) *used = u1 + u2 + pos;
    return VL_OK;
}

int vl_pq_delta_byte_array_encode(const vl_sv *v, size_t count, vl_buf *out, vl_error *err) {
    int32_t tmp[2 * LEN_CHUNK] = {0};
    int32_t *pre = count <= LEN_CHUNK ? tmp : vl_malloc(count * 2 * sizeof(*pre));
    if (!pre) return oom(err, DBA);
    int32_t *suf = pre + count;
    int rc = VL_OK;
    size_t total = 0;
    for (size_t i = 0; i < count; i++) {
        if (v[i].n > INT32_MAX) {
            rc = vl_error_set(err, VL_ERANGE, DBA ": value %zu is %zu bytes", i, v[i].n);
            break;
        }
        size_t k = 0;
        if (i) {
            size_t m = min_sz(v[i].n, v[i - 1].n);
            while (k < m && v[i].p[k] == v[i - 1].p[k]) k++;
        }
        pre[i] = (int32_t)k;
        suf[i] = (int32_t)(v[i].n - k);
        total += v[i].n - k;
    }
    if (rc == VL_OK) rc = vl_pq_delta_encode_i32(pre, count, out, err);
    if (rc == VL_OK) rc = vl_pq_delta_encode_i32(suf, count, out, err);
    if (rc == VL_OK && vl_buf_reserve(out, total)) rc = oom(err, DBA);
    if (rc == VL_OK)
        for (size_t i = 0; i < count; i++)
            if (suf[i]) {
                memcpy(out->p + out->n, v[i].p + pre[i], (size_t)suf[i]);
                out->n += (size_t)suf[i];
            }
    if (pre != tmp) vl_free(pre);
    return rc;
}

/* ------------------------------------------------------ BYTE_STREAM_SPLIT */

#define BSS "BYTE_STREAM_SPLIT"

int vl_pq_bss_decode(const uint8_t *p, size_t n, size_t width, void *out, size_t count,
                     vl_error *err) {
    NONNULL_INPUT(p);
    if (width == 0) return vl_error_set(err, VL_EINVAL, BSS ": value width 0");
    if (n % width != 0)
        return vl_error_set(err, VL_ECORRUPT, BSS ": %zu bytes is not a multiple of the %zu-byte width", n, width);
    size_t N = n / width;
    if (N < count)
        return vl_error_set(err, VL_ECORRUPT, BSS ": %zu values wanted, the page holds %zu", count, N);
    uint8_t *o = out;
    if (width == 4) {
        const uint8_t *s0 = p, *s1 = p + N, *s2 = p + 2 * N, *s3 = p + 3 * N;
        for (size_t i = 0; i < count; i++) {
            uint32_t v = (uint32_t)s0[i] | (uint32_t)s1[i] << 8 | (uint32_t)s2[i] << 16 |
                         (uint32_t)s3[i] << 24;
            memcpy(o + 4 * i, &v, 4);
        }
    } else if (width == 8) {
        for (size_t i = 0; i < count; i++) {
            uint64_t v = 0;
            for (int k = 0; k < 8; k++) v |= (uint64_t)p[(size_t)k * N + i] << (8 * k);
            memcpy(o + 8 * i, &v, 8);
        }
    } else {
        for (size_t k = 0; k < width; k++) {
            const uint8_t *s = p + k * N;
            for (size_t i = 0; i < count; i++) o[i * width + k] = s[i];
        }
    }
    return VL_OK;
}

int vl_pq_bss_encode(const void *v, size_t count, size_t width, vl_buf *out, vl_error *err) {
    size_t need;
    if (width == 0) return vl_error_set(err, VL_EINVAL, BSS ": value width 0");
    if (__builtin_mul_overflow(count, width, &need) || vl_buf_reserve(out, need)) return oom(err, BSS);
    if (need == 0) return VL_OK;
    const uint8_t *s = v;
    uint8_t *o = (uint8_t *)out->p + out->n;
    for (size_t k = 0; k < width; k++)
        for (size_t i = 0; i < count; i++) o[k * count + i] = s[i * width + k];
    out->n += need;
    return VL_OK;
}

/* ---------------------------------------------------------------- helpers */

float vl_pq_f16_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h >> 15) << 31, e = (h >> 10) & 0x1f, m = h & 0x3ff, bits;
    if (e == 0) {
        /* zero or subnormal: m * 2^-24, exact in float */
        float f = (float)m * 0x1p-24f;
        return sign ? -f : f;
    }
    if (e == 31) bits = sign | 0x7f800000u | (m << 13); /* inf, or NaN keeping its payload */
    else bits = sign | ((e - 15 + 127) << 23) | (m << 13);
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

double vl_pq_f16_to_double(uint16_t h) { return (double)vl_pq_f16_to_float(h); }

int vl_pq_int96_to_us(const uint8_t p[12], int64_t *us, vl_error *err) {
    int64_t nanos = (int64_t)ld64(p);
    int64_t jd = (int64_t)ld32(p + 8);
    /* 2440588 is the Julian day number of 1970-01-01 */
    int64_t day_us, t;
    int64_t nus = nanos / 1000 - (nanos % 1000 < 0);
    if (__builtin_mul_overflow(jd - 2440588, VL_US_PER_DAY, &day_us) ||
        __builtin_add_overflow(day_us, nus, &t))
        return vl_error_set(err, VL_ERANGE, "INT96: Julian day %lld is out of the int64 microsecond range",
                            (long long)jd);
    *us = t;
    return VL_OK;
}
