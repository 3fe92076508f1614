/* vidlake - Apache-2.0 */
/*
 * Fuzz target: vl_inflate, the collector's body inflater, whose fast path
 * (libdeflate, one gzip member sized by its trailer) must agree with zlib's
 * streaming inflate on every input. The first byte picks the check:
 *  - even: the rest is a body as received. Whatever vl_inflate accepts
 *    under the limit is exactly what a plain zlib loop over the gzip members
 *    (or the zlib stream) yields; what it refuses zlib refuses too; it never
 *    allocates far past the limit.
 *  - odd: the rest is gzip'd here and must come back byte for byte.
 */
#include "core/core.h"
#include "fuzz.h"

#include <string.h>
#include <zlib.h>

#define LIMIT ((size_t)1 << 20)

/* The reference: zlib, one big buffer, members in a row. VL_OK with the
 * output, or an error; *big past LIMIT. */
static int reference(const uint8_t *in, size_t n, vl_buf *out, bool *big) {
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (inflateInit2(&z, 15 + 32) != Z_OK) return VL_ENOMEM;
    if (vl_buf_reserve(out, LIMIT + 2) != VL_OK) abort();
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)n;
    int rc = VL_EINVAL;
    *big = false;
    for (;;) {
        z.next_out = (Bytef *)out->p + out->n;
        z.avail_out = (uInt)(LIMIT + 1 - out->n);
        int zr = inflate(&z, Z_NO_FLUSH);
        out->n = LIMIT + 1 - z.avail_out;
        if (out->n > LIMIT) {
            *big = true;
            rc = VL_OK;
            break;
        }
        if (zr == Z_STREAM_END && z.avail_in && inflateReset(&z) == Z_OK) continue;
        if (zr == Z_STREAM_END) rc = VL_OK;
        if (zr != Z_OK) break;
    }
    inflateEnd(&z);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    const uint8_t *p = data + 1;
    size_t n = size - 1;
    vl_buf out, ref, gz;
    vl_buf_init(&out);
    vl_buf_init(&ref);
    vl_buf_init(&gz);
    vl_error err;
    bool big = false, rbig = false;
    if (data[0] % 2 == 0) {
        int rc = vl_inflate((const char *)p, n, LIMIT, &out, &big, &err);
        int rr = reference(p, n, &ref, &rbig);
        FUZZ_ASSERT(out.cap <= 4 * LIMIT + 65536);
        if (rc == VL_OK && !big) {
            FUZZ_ASSERT(rr == VL_OK && !rbig);
            FUZZ_ASSERT(out.n == ref.n && (out.n == 0 || memcmp(out.p, ref.p, out.n) == 0));
        } else if (rc == VL_OK) {
            FUZZ_ASSERT(rbig || rr != VL_OK); /* too large: zlib passed the limit too, or failed after it */
        } else {
            FUZZ_ASSERT(rc == VL_EINVAL && err.msg[0]);
            FUZZ_ASSERT(rr != VL_OK || rbig);
        }
    } else {
        z_stream z;
        memset(&z, 0, sizeof(z));
        FUZZ_ASSERT(deflateInit2(&z, 1, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) == Z_OK);
        size_t bound = deflateBound(&z, (uLong)n);
        FUZZ_ASSERT(vl_buf_reserve(&gz, bound) == VL_OK);
        z.next_in = (Bytef *)(uintptr_t)p;
        z.avail_in = (uInt)n;
        z.next_out = (Bytef *)gz.p;
        z.avail_out = (uInt)bound;
        FUZZ_ASSERT(deflate(&z, Z_FINISH) == Z_STREAM_END);
        gz.n = bound - z.avail_out;
        deflateEnd(&z);
        FUZZ_ASSERT(vl_inflate(gz.p, gz.n, LIMIT, &out, &big, &err) == VL_OK);
        FUZZ_ASSERT(!big && out.n == n && (n == 0 || memcmp(out.p, p, n) == 0));
    }
    vl_buf_free(&out);
    vl_buf_free(&ref);
    vl_buf_free(&gz);
    return 0;
}
