/* vidlake - Apache-2.0 */
/*
 * String views, UTF-8 validation, number parsing and formatting, and the
 * growable byte buffer. Parsers never read past the given length and never
 * need a NUL terminator (except vl_parse_count/double, which take C strings
 * from the command line).
 */
#include "core.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

vl_sv vl_sv_cstr(const char *s) { return (vl_sv){s, strlen(s)}; }

bool vl_sv_eq(vl_sv a, vl_sv b) { return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0); }

bool vl_sv_eq_cstr(vl_sv a, const char *s) { return vl_sv_eq(a, vl_sv_cstr(s)); }

bool vl_sv_eq_nocase(vl_sv a, vl_sv b) {
    if (a.n != b.n) return false;
    for (size_t i = 0; i < a.n; i++) {
        char x = a.p[i], y = b.p[i];
        if (x >= 'A' && x <= 'Z') x = (char)(x + 32);
        if (y >= 'A' && y <= 'Z') y = (char)(y + 32);
        if (x != y) return false;
    }
    return true;
}

int vl_sv_cmp(vl_sv a, vl_sv b) {
    size_t n = a.n < b.n ? a.n : b.n;
    int c = n ? memcmp(a.p, b.p, n) : 0;
    if (c) return c;
    return a.n < b.n ? -1 : a.n > b.n;
}

/* UTF-8 check with an 8-byte ASCII fast path; sequences by vl_utf8_seq_len. */
bool vl_utf8_valid(const char *s, size_t n, size_t *bad_at) {
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        if (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            if (!(w & 0x8080808080808080ULL)) {
                i += 8;
                continue;
            }
        }
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        size_t len = vl_utf8_seq_len(p + i, p + n);
        if (len) {
            i += len;
            continue;
        }
        if (bad_at) *bad_at = i;
        return false;
    }
    return true;
}

int vl_parse_i64(const char *p, size_t n, int64_t *out) {
    size_t i = 0;
    bool neg = false;
    if (n && p[0] == '-') {
        neg = true;
        i = 1;
    }
    if (i == n) return VL_EINVAL;
    uint64_t v = 0;
    uint64_t lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < n; i++) {
        unsigned d = (unsigned)(unsigned char)p[i] - '0';
        if (d > 9) return VL_EINVAL;
        if (v > (lim - d) / 10) return VL_ERANGE;
        v = v * 10 + d;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return VL_OK;
}

int vl_parse_count(const char *s, int64_t *out, vl_error *err) {
    size_t n = strlen(s);
    int64_t mul = 1;
    if (n && (s[n - 1] == 'k' || s[n - 1] == 'K')) mul = 1000;
    else if (n && s[n - 1] == 'M') mul = 1000000;
    else if (n && s[n - 1] == 'G') mul = 1000000000;
    if (mul != 1) n--;
    int64_t v;
    if (n == 0 || s[0] == '-' || vl_parse_i64(s, n, &v) != VL_OK || v > INT64_MAX / mul)
        return vl_error_set(err, VL_EINVAL, "'%s' is not a non-negative whole number", s);
    *out = v * mul;
    return VL_OK;
}

int vl_parse_double(const char *s, double *out, vl_error *err) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || errno == ERANGE || isnan(v))
        return vl_error_set(err, VL_EINVAL, "'%s' is not a number", s);
    *out = v;
    return VL_OK;
}

/* Two digits per division, from a 200-byte table of "00".."99". */
static const char digit_pairs[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

size_t vl_fmt_u64(char *p, uint64_t v) {
    char tmp[20];
    char *e = tmp + sizeof(tmp), *o = e;
    while (v >= 100) {
        unsigned r = (unsigned)(v % 100);
        v /= 100;
        o -= 2;
        memcpy(o, digit_pairs + 2 * r, 2);
    }
    if (v >= 10) {
        o -= 2;
        memcpy(o, digit_pairs + 2 * v, 2);
    } else {
        *--o = (char)('0' + v);
    }
    size_t n = (size_t)(e - o);
    memcpy(p, o, n);
    return n;
}

size_t vl_fmt_i64(char *p, int64_t v) {
    if (v < 0) {
        p[0] = '-';
        return 1 + vl_fmt_u64(p + 1, (uint64_t)0 - (uint64_t)v);
    }
    return vl_fmt_u64(p, (uint64_t)v);
}

/* Shortest round trip: if the shortest decimal that reads back as v has k <=
 * 15 significant digits, "%.15g" prints exactly it (v lies within 2^-53
 * relative of that decimal, far inside half a unit of the 15th digit, and %g
 * drops trailing zeros). Otherwise 16 or 17 digits are needed. */
size_t vl_fmt_double(char *p, double v) {
    if (isnan(v)) { memcpy(p, "NaN", 3); return 3; }
    if (isinf(v)) {
        if (v < 0) { memcpy(p, "-Infinity", 9); return 9; }
        memcpy(p, "Infinity", 8);
        return 8;
    }
    char tmp[40];
    int n = 0;
    /* subnormals carry fewer significant bits, so the argument above does
     * not hold for them: search every precision */
    int from = fabs(v) < DBL_MIN && v != 0 ? 1 : 15;
    for (int prec = from; prec <= 17; prec++) {
        n = snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
        if (strtod(tmp, NULL) == v) break;
    }
    memcpy(p, tmp, (size_t)n);
    return (size_t)n;
}

/* ------------------------------------------------------------------ buffers */

void vl_buf_init(vl_buf *b) {
    b->p = NULL;
    b->n = 0;
    b->cap = 0;
}

void vl_buf_free(vl_buf *b) {
    vl_free(b->p);
    vl_buf_init(b);
}

int vl_buf_reserve(vl_buf *b, size_t extra) {
    if (VL_LIKELY(b->cap - b->n > extra)) return VL_OK; /* keeps room for a NUL */
    if (extra > SIZE_MAX / 2 - b->n) return VL_ENOMEM;
    size_t cap = b->cap ? b->cap : 64;
    while (cap - b->n <= extra) cap *= 2;
    char *p = vl_realloc(b->p, cap);
    if (!p) return VL_ENOMEM;
    b->p = p;
    b->cap = cap;
    return VL_OK;
}

int vl_buf_append(vl_buf *b, const void *p, size_t n) {
    VL_RETURN_IF_ERR(vl_buf_reserve(b, n));
    if (n) memcpy(b->p + b->n, p, n);
    b->n += n;
    return VL_OK;
}

int vl_buf__putc_slow(vl_buf *b, char c) {
    VL_RETURN_IF_ERR(vl_buf_reserve(b, 1));
    b->p[b->n++] = c;
    return VL_OK;
}

int vl_buf_puts(vl_buf *b, const char *s) { return vl_buf_append(b, s, strlen(s)); }

int vl_buf_printf(vl_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) return VL_EINVAL;
    if ((size_t)n < sizeof(small)) return vl_buf_append(b, small, (size_t)n);
    VL_RETURN_IF_ERR(vl_buf_reserve(b, (size_t)n + 1));
    va_start(ap, fmt);
    vsnprintf(b->p + b->n, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)n;
    return VL_OK;
}

const char *vl_buf_cstr(vl_buf *b) {
    if (vl_buf_reserve(b, 1) != VL_OK) return NULL;
    b->p[b->n] = '\0';
    return b->p;
}

size_t vl_json_escape(char *out, const char *s, size_t n) {
    static const char hex[] = "0123456789abcdef";
    char *o = out;
    const unsigned char *p = (const unsigned char *)s;
    *o++ = '"';
    size_t i = 0;
    while (i < n) {
        /* eight plain ASCII bytes at a time: none below 0x20, none >= 0x80,
         * no '"' and no '\\' (SWAR: a byte is flagged when it has the
         * high bit, or when subtracting makes it borrow) */
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
            uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
            uint64_t bad = (w | ((w - ones * 0x20) & ~w) | ((q - ones) & ~q) | ((b - ones) & ~b)) & high;
            if (bad) break;
            memcpy(o, p + i, 8);
            o += 8;
            i += 8;
        }
        if (i >= n) break;
        unsigned c = p[i];
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            *o++ = (char)c;
            i++;
            continue;
        }
        if (c >= 0x80) {
            /* copy one valid sequence, or write U+FFFD for one bad byte */
            size_t len = vl_utf8_seq_len(p + i, p + n);
            if (len) {
                memcpy(o, p + i, len);
                o += len;
                i += len;
            } else {
                memcpy(o, "\xEF\xBF\xBD", 3);
                o += 3;
                i++;
            }
            continue;
        }
        *o++ = '\\';
        switch (c) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '\n': *o++ = 'n'; break;
        case '\r': *o++ = 'r'; break;
        case '\t': *o++ = 't'; break;
        case '\b': *o++ = 'b'; break;
        case '\f': *o++ = 'f'; break;
        default:
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
        i++;
    }
    *o++ = '"';
    return (size_t)(o - out);
}

int vl_buf_json_str(vl_buf *b, const char *s, size_t n) {
    if (n > (SIZE_MAX - 2) / 6) return VL_ENOMEM;
    VL_RETURN_IF_ERR(vl_buf_reserve(b, n * 6 + 2));
    b->n += vl_json_escape(b->p + b->n, s, n);
    return VL_OK;
}

int vl_buf_sink_write(void *ctx, const void *p, size_t n, vl_error *err) {
    if (vl_buf_append(ctx, p, n) != VL_OK) return vl_error_set(err, VL_ENOMEM, "out of memory");
    return VL_OK;
}

void *vl_grow(void *p, size_t *cap, size_t n, size_t elem, size_t first) {
    if (n < *cap) return p;
    size_t nc = *cap ? *cap * 2 : (first ? first : 16);
    if (nc <= n) nc = n + 1;
    if (elem && nc > SIZE_MAX / elem) return NULL;
    void *q = vl_realloc(p, nc * elem);
    if (q) *cap = nc;
    return q;
}

int vl_parse_duration_us(const char *s, int64_t *out, vl_error *err) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno || !(v >= 0) || isinf(v)) goto bad;
    double mul;
    if (!*end || strcmp(end, "s") == 0) mul = 1e6;
    else if (strcmp(end, "ms") == 0) mul = 1e3;
    else if (strcmp(end, "us") == 0) mul = 1;
    else if (strcmp(end, "m") == 0) mul = 60e6;
    else if (strcmp(end, "h") == 0) mul = 3600e6;
    else goto bad;
    if (v * mul > 9e18) goto bad;
    *out = (int64_t)(v * mul + 0.5);
    return VL_OK;
bad:
    return vl_error_set(err, VL_EINVAL, "'%s' is not a duration (examples: 1s, 250ms, 2m, 1h)", s);
}

int vl_parse_bytes(const char *s, int64_t *out, vl_error *err) {
    size_t n = 0;
    while (s[n] >= '0' && s[n] <= '9') n++;
    int64_t v;
    if (n == 0 || vl_parse_i64(s, n, &v) != VL_OK) goto bad;
    const char *u = s + n;
    int shift;
    if (!*u || strcmp(u, "B") == 0) shift = 0;
    else if (!strcmp(u, "K") || !strcmp(u, "k") || !strcmp(u, "KB") || !strcmp(u, "kB") || !strcmp(u, "KiB")) shift = 10;
    else if (!strcmp(u, "M") || !strcmp(u, "MB") || !strcmp(u, "MiB")) shift = 20;
    else if (!strcmp(u, "G") || !strcmp(u, "GB") || !strcmp(u, "GiB")) shift = 30;
    else goto bad;
    if (v > (INT64_MAX >> shift)) goto bad;
    *out = v << shift;
    return VL_OK;
bad:
    return vl_error_set(err, VL_EINVAL, "'%s' is not a size (examples: 4096, 64KiB, 128MiB, 1GiB)", s);
}
