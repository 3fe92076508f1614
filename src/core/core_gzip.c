/* vidlake - Apache-2.0 */
/*
 * Inflating request bodies: gzip (one member or several, concatenated) or
 * a zlib stream, into a buffer, under a size limit.
 *
 * The common body, one gzip member whose trailer says it inflates to no
 * more than the limit, goes through libdeflate in one call into a buffer
 * of exactly that size (about twice as fast as zlib). Everything else, and
 * anything libdeflate refuses (several members, a trailer that lies,
 * corrupt data), goes through zlib's streaming inflate, which enforces the
 * limit as it goes and names the byte where the data went wrong.
 */
#include "core.h"

#include <libdeflate.h>
#include <stdint.h>
#include <string.h>
#include <zlib.h>

/* zlib, streaming: every format and every error message. */
static int inflate_zlib(const char *in, size_t n, size_t limit, vl_buf *out, bool *too_large, vl_error *err) {
    size_t base = out->n;
    z_stream z;
    memset(&z, 0, sizeof(z));
    z.zalloc = vl_zlib_alloc;
    z.zfree = vl_zlib_free;
    if (inflateInit2(&z, 15 + 32) != Z_OK) return vl_error_set(err, VL_ENOMEM, "out of memory"); /* gzip or zlib */
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)n;
    int rc = VL_OK;
    for (;;) {
        size_t have = out->n - base;
        if (out->cap - out->n < 65536) {
            size_t grow = have < 65536 ? 65536 : have; /* doubling */
            if (grow > limit - have + 65536) grow = limit - have + 65536;
            if (vl_buf_reserve(out, grow) != VL_OK) {
                rc = vl_error_set(err, VL_ENOMEM, "out of memory");
                break;
            }
        }
        size_t room = out->cap - out->n - 1; /* vl_buf keeps a byte for a NUL */
        if (room > UINT_MAX) room = UINT_MAX;
        z.next_out = (Bytef *)out->p + out->n;
        z.avail_out = (uInt)room;
        int zr = inflate(&z, Z_NO_FLUSH);
        out->n += room - z.avail_out;
        if (out->n - base > limit) {
            *too_large = true;
            break;
        }
        if (zr == Z_STREAM_END) {
            if (z.avail_in) { /* concatenated gzip members */
                if (inflateReset(&z) != Z_OK) {
                    rc = vl_error_set(err, VL_EINVAL, "bad gzip body");
                    break;
                }
                continue;
            }
            break;
        }
        if (zr == Z_BUF_ERROR && z.avail_in == 0) {
            rc = vl_error_set(err, VL_EINVAL, "the gzip body ends early (after %zu bytes)", n);
            break;
        }
        if (zr != Z_OK && zr != Z_BUF_ERROR) {
            rc = vl_error_set(err, VL_EINVAL, "bad gzip body at byte %zu: %s", n - z.avail_in,
                              z.msg ? z.msg : "corrupt data");
            break;
        }
    }
    inflateEnd(&z);
    return rc;
}

/* libdeflate, one call: VL_OK when it inflated the whole input as one gzip
 * member; VL_EAGAIN (out unchanged) when zlib should try instead. */
static int inflate_fast(const char *in, size_t n, size_t limit, vl_buf *out) {
    if (n < 18 || (unsigned char)in[0] != 0x1f || (unsigned char)in[1] != 0x8b) return VL_EAGAIN;
    if (in[3] & 0x02) return VL_EAGAIN; /* FHCRC: libdeflate skips the header's CRC, zlib checks it */
    const unsigned char *t = (const unsigned char *)in + n - 4; /* ISIZE, little-endian */
    size_t isize = (size_t)t[0] | (size_t)t[1] << 8 | (size_t)t[2] << 16 | (size_t)t[3] << 24;
    if (isize > limit || vl_buf_reserve(out, isize) != VL_OK) return VL_EAGAIN;
    struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
    if (!d) return VL_EAGAIN;
    size_t used = 0, got = 0;
    enum libdeflate_result r =
        libdeflate_gzip_decompress_ex(d, in, n, out->p + out->n, isize, &used, &got);
    libdeflate_free_decompressor(d);
    if (r != LIBDEFLATE_SUCCESS || used != n || got != isize) return VL_EAGAIN;
    out->n += got;
    return VL_OK;
}

int vl_inflate(const char *in, size_t n, size_t limit, vl_buf *out, bool *too_large, vl_error *err) {
    *too_large = false;
    if (inflate_fast(in, n, limit, out) == VL_OK) return VL_OK;
    return inflate_zlib(in, n, limit, out, too_large, err);
}
