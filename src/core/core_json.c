/* vidlake - Apache-2.0 */
/*
 * A general-purpose JSON reader (DOM in an arena) and streaming writer; the
 * API and the rules are in core.h. The reader follows the event decoder's
 * strictness (src/event/event_decode.c) and its string scanner.
 *
 * Design of the reader:
 *   - Every node is 32 bytes: kind, flags, a length, a pointer and an
 *     8-byte value. Arrays hold their elements contiguously; objects hold
 *     2 * n nodes, key (a string node) then value, in input order.
 *   - The parser is iterative (no recursion, so a large max_depth cannot
 *     overflow the C stack). Finished values are pushed on a scratch stack;
 *     when a container closes, its children are popped and copied, in one
 *     memcpy, into one arena allocation. Each node is thus copied once and
 *     there is no allocation per node. The scratch stack starts on the C
 *     stack and moves to vl_malloc memory only for large documents.
 *   - Strings without escapes and number texts point into the input.
 *   - Numbers: whole numbers that fit are kept as int64 (the double is
 *     derived on request); others get a double at parse time by the exact
 *     fast path of Clinger (1990) when the decimal significand is at most
 *     2^53 and the power of ten at most 22 in magnitude (both are then exact
 *     doubles, so one IEEE multiply or divide rounds correctly). The rest
 *     (typically 17-digit shortest round-trip doubles in statistics) are
 *     converted by strtod when vl_json_f64 asks, because strtod costs more
 *     than parsing the rest of a Delta add action; texts of 64 bytes and
 *     more are converted at parse time. strtod follows the C library locale:
 *     vidlake never calls setlocale, so it is "C".
 * What it does not do: comments, NaN/Infinity, trailing commas, JSON5, a
 * streaming (SAX) interface, preserving whitespace, in-place editing.
 *
 * The writer keeps one bit per open level (object or array) plus two flags
 * (a comma is due; a key was written and its value is due).
 */
#include "core.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

struct vl_json {
    uint8_t kind;  /* vl_json_kind_t */
    uint8_t flags; /* NUM_INT */
    size_t n;      /* bytes of a string or number text; elements; members */
    union {
        const char *s;       /* string bytes, number text */
        const vl_json *kids; /* arrays: n nodes; objects: 2 * n (key, value) */
    } u;
    union {
        int64_t i; /* NUM_INT numbers */
        double d;  /* other numbers */
        bool b;
    } v;
};

#define NUM_INT 1  /* v.i holds the value exactly */
#define NUM_LAZY 2 /* the double is computed from the text on request */
#define LAZY_MAX 64 /* lazy texts are shorter: they fit a buffer on the stack */

/* The node layout is part of the speed budget (a Delta add action is about
 * 25 nodes): keep it at 32 bytes on 64-bit targets. */
_Static_assert(sizeof(void *) != 8 || sizeof(vl_json) == 32, "vl_json is 32 bytes");

/* ================================================================= reading */

#define LOCAL_NODES 256 /* scratch nodes on the C stack (8 KiB) */
#define LOCAL_FRAMES 64

typedef struct frame {
    size_t start;  /* index in the scratch stack of the first child */
    bool is_obj;
} frame;

typedef struct pctx {
    const char *base, *p, *end;
    vl_arena *a;
    vl_error *err;
    vl_json *stk;
    size_t stk_n, stk_cap;
    frame *fr;
    size_t depth, fr_cap, max_depth;
    vl_json stk_local[LOCAL_NODES];
    frame fr_local[LOCAL_FRAMES];
} pctx;

static int bad(pctx *c, const char *at, const char *what) {
    return vl_error_set(c->err, VL_ECORRUPT, "byte %zu: %s", (size_t)(at - c->base), what);
}

static int oom(pctx *c, const char *at) {
    return vl_error_set(c->err, VL_ENOMEM, "byte %zu: out of memory for the JSON document",
                        (size_t)(at - c->base));
}

static inline const char *skip_ws(const char *p, const char *e) {
    /* most values follow a ',' or ':' directly */
    while (p < e && (unsigned char)*p <= ' ' &&
           (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    return p;
}

/* Grows a scratch array that may still be the one on the C stack. */
static bool grow(void **arr, size_t *cap, size_t elem, const void *local) {
    size_t ncap = *cap * 2;
    if (ncap > SIZE_MAX / elem) return false;
    void *np;
    if (*arr == local) {
        np = vl_malloc(ncap * elem);
        if (np) memcpy(np, *arr, *cap * elem);
    } else {
        np = vl_realloc(*arr, ncap * elem);
    }
    if (!np) return false;
    *arr = np;
    *cap = ncap;
    return true;
}

static inline vl_json *push(pctx *c) {
    if (VL_UNLIKELY(c->stk_n == c->stk_cap)) {
        /* every scratch node ends up in the arena: a scratch stack larger
         * than the arena's limit can never succeed, so the limit also bounds
         * the heap used for, say, a huge flat array from the network */
        if (c->a->limit && c->stk_cap * sizeof(vl_json) > c->a->limit) return NULL;
        void *arr = c->stk;
        if (!grow(&arr, &c->stk_cap, sizeof(vl_json), c->stk_local)) return NULL;
        c->stk = arr;
    }
    return &c->stk[c->stk_n++];
}

static inline int hexval(unsigned char ch) {
    if (ch >= '0' && ch <= '9') return ch - '0';
    ch |= 0x20;
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    return -1;
}

bool vl_json_read_u4(const char *p, const char *e, unsigned *out) {
    if (e - p < 4) return false;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval((unsigned char)p[i]);
        if (h < 0) return false;
        v = v << 4 | (unsigned)h;
    }
    *out = v;
    return true;
}

const char *vl_json_skip_plain(const char *p, const char *e) {
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
    const __m128i ctl = _mm_set1_epi8(0x1f);
    while (e - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i m = _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash));
        /* bytes <= 0x1f: max(v, 0x1f) == 0x1f (unsigned) */
        m = _mm_or_si128(m, _mm_cmpeq_epi8(_mm_max_epu8(v, ctl), ctl));
        int mask = _mm_movemask_epi8(m) | _mm_movemask_epi8(v); /* | bytes >= 0x80 */
        if (mask) return p + __builtin_ctz((unsigned)mask);
        p += 16;
    }
#else
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    while (e - p >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
        uint64_t hit = ((w - ones * 0x20) & ~w) | ((q - ones) & ~q) | ((b - ones) & ~b) | w;
        if (hit & highs) break;
        p += 8;
    }
#endif
    while (p < e) {
        unsigned char ch = (unsigned char)*p;
        if (ch == '"' || ch == '\\' || ch < 0x20 || ch >= 0x80) return p;
        p++;
    }
    return p;
}

size_t vl_json_unescape(const char *p, size_t n, char *out) {
    const char *e = p + n;
    char *o = out;
    while (p < e) {
        const char *q = memchr(p, '\\', (size_t)(e - p));
        if (!q) q = e;
        memcpy(o, p, (size_t)(q - p));
        o += q - p;
        p = q;
        if (p >= e) break;
        char k = p[1];
        p += 2;
        switch (k) {
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            unsigned u, lo;
            (void)vl_json_read_u4(p, e, &u);
            p += 4;
            if (u >= 0xD800 && u <= 0xDBFF) {
                (void)vl_json_read_u4(p + 2, e, &lo);
                p += 6;
                u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
            }
            if (u < 0x80) {
                *o++ = (char)u;
            } else if (u < 0x800) {
                *o++ = (char)(0xC0 | u >> 6);
                *o++ = (char)(0x80 | (u & 0x3F));
            } else if (u < 0x10000) {
                *o++ = (char)(0xE0 | u >> 12);
                *o++ = (char)(0x80 | ((u >> 6) & 0x3F));
                *o++ = (char)(0x80 | (u & 0x3F));
            } else {
                *o++ = (char)(0xF0 | u >> 18);
                *o++ = (char)(0x80 | ((u >> 12) & 0x3F));
                *o++ = (char)(0x80 | ((u >> 6) & 0x3F));
                *o++ = (char)(0x80 | (u & 0x3F));
            }
            break;
        }
        default: *o++ = k; /* " \ / */
        }
    }
    return (size_t)(o - out);
}

/* Parses the string whose opening quote is at c->p into node v. */
static int parse_string(pctx *c, vl_json *v) {
    const char *start = c->p + 1, *p = start, *e = c->end;
    bool esc = false;
    for (;;) {
        p = vl_json_skip_plain(p, e);
        if (VL_UNLIKELY(p >= e)) return bad(c, e, "unterminated string, expected '\"'");
        unsigned char ch = (unsigned char)*p;
        if (VL_LIKELY(ch == '"')) break;
        if (ch >= 0x80) {
            size_t len = vl_utf8_seq_len((const unsigned char *)p, (const unsigned char *)e);
            if (!len) return bad(c, p, "invalid UTF-8 in a string");
            p += len;
            continue;
        }
        if (ch < 0x20) return bad(c, p, "control character in a string, expected it escaped");
        /* backslash */
        esc = true;
        if (e - p < 2) return bad(c, e, "unterminated escape");
        switch (p[1]) {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
            p += 2;
            break;
        case 'u': {
            unsigned u, lo;
            if (!vl_json_read_u4(p + 2, e, &u)) return bad(c, p, "expected 4 hex digits after \\u");
            if (u >= 0xD800 && u <= 0xDBFF) {
                if (e - p < 12 || p[6] != '\\' || p[7] != 'u' || !vl_json_read_u4(p + 8, e, &lo) ||
                    lo < 0xDC00 || lo > 0xDFFF)
                    return bad(c, p, "unpaired UTF-16 surrogate, expected \\uDC00..\\uDFFF next");
                p += 12;
            } else if (u >= 0xDC00 && u <= 0xDFFF) {
                return bad(c, p, "unpaired UTF-16 low surrogate");
            } else {
                p += 6;
            }
            break;
        }
        default:
            return bad(c, p, "invalid escape, expected one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u");
        }
    }
    v->kind = VL_JSON_STRING;
    v->flags = 0;
    size_t n = (size_t)(p - start);
    if (VL_LIKELY(!esc)) {
        v->u.s = start;
        v->n = n;
    } else {
        char *mem = vl_arena_alloc(c->a, n);
        if (!mem) return oom(c, start);
        v->u.s = mem;
        v->n = vl_json_unescape(start, n, mem);
    }
    v->v.i = 0;
    c->p = p + 1;
    return VL_OK;
}

/* Powers of ten that are exact doubles (10^22 < 2^53 * 2^22... all of
 * 10^0..10^22 are exactly representable: 5^22 < 2^53). */
static const double pow10_exact[23] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

static double slow_strtod(const char *p, size_t n, bool *ok) {
    char tmp[64];
    char *s = tmp;
    if (n >= sizeof(tmp)) {
        s = vl_malloc(n + 1);
        if (!s) {
            *ok = false;
            return 0;
        }
    }
    memcpy(s, p, n);
    s[n] = '\0';
    /* the syntax was checked, so strtod reads it all; ERANGE is fine: the
     * result is then +-HUGE_VAL or a (sub)normal/zero as documented */
    double d = strtod(s, NULL);
    if (s != tmp) vl_free(s);
    *ok = true;
    return d;
}

static int parse_number(pctx *c, vl_json *v) {
    const char *p = c->p, *e = c->end, *start = p;
    bool neg = false;
    if (*p == '-') {
        neg = true;
        p++;
    }
    if (p >= e || (unsigned)(*p - '0') > 9) return bad(c, p, "expected a digit");
    uint64_t m = 0;  /* significand digits, leading zeros skipped */
    int ndig = 0;    /* significant digits in m (at most 19 counted) */
    bool many = false; /* more than 19 significant digits */
    int64_t exp10 = 0;
    if (*p == '0') {
        p++;
        if (p < e && (unsigned)(*p - '0') <= 9)
            return bad(c, p, "leading zeros are not allowed, expected '.', 'e' or the end of the number");
    } else {
        while (p < e && (unsigned)(*p - '0') <= 9) {
            if (ndig < 19) {
                m = m * 10 + (unsigned)(*p - '0');
                ndig++;
            } else {
                many = true;
                exp10++;
            }
            p++;
        }
    }
    bool integer = true;
    if (p < e && *p == '.') {
        integer = false;
        p++;
        if (p >= e || (unsigned)(*p - '0') > 9) return bad(c, p, "expected a digit after '.'");
        while (p < e && (unsigned)(*p - '0') <= 9) {
            if (ndig < 19) {
                if (m || *p != '0') {
                    m = m * 10 + (unsigned)(*p - '0');
                    ndig += m != 0;
                }
                exp10--;
            } else if (*p != '0') {
                many = true;
            }
            p++;
        }
    }
    if (p < e && (*p == 'e' || *p == 'E')) {
        integer = false;
        p++;
        bool eneg = false;
        if (p < e && (*p == '+' || *p == '-')) eneg = *p++ == '-';
        if (p >= e || (unsigned)(*p - '0') > 9) return bad(c, p, "expected a digit in the exponent");
        int64_t x = 0;
        while (p < e && (unsigned)(*p - '0') <= 9) {
            if (x < 100000000) x = x * 10 + (*p - '0'); /* saturates: such numbers take strtod */
            p++;
        }
        exp10 += eneg ? -x : x;
    }
    v->kind = VL_JSON_NUMBER;
    v->u.s = start;
    v->n = (size_t)(p - start);
    c->p = p;
    if (integer && !many && ndig <= 19 && m <= (uint64_t)INT64_MAX + neg) {
        /* whole and within int64 (-2^63 included) */
        v->flags = NUM_INT;
        v->v.i = neg ? (int64_t)(0 - m) : (int64_t)m;
        return VL_OK;
    }
    v->flags = 0;
    if (!many && m <= (UINT64_C(1) << 53) && exp10 >= -22 && exp10 <= 22) {
        double d = (double)m;
        d = exp10 < 0 ? d / pow10_exact[-exp10] : d * pow10_exact[exp10];
        v->v.d = neg ? -d : d;
        return VL_OK;
    }
    if (v->n < LAZY_MAX) {
        /* strtod costs more than parsing the rest of a Delta add action, and
         * most such numbers (statistics) are never read as doubles: defer */
        v->flags = NUM_LAZY;
        v->v.d = 0;
        return VL_OK;
    }
    bool ok;
    v->v.d = slow_strtod(start, v->n, &ok);
    return ok ? VL_OK : oom(c, start);
}

/* At a non-ASCII byte or other junk where a value or token was expected. */
static int unexpected(pctx *c, const char *what) {
    const char *p = c->p;
    if (p >= c->end) {
        char msg[96];
        snprintf(msg, sizeof(msg), "unexpected end, expected %s", what);
        return bad(c, p, msg);
    }
    if ((unsigned char)*p >= 0x80 &&
        !vl_utf8_seq_len((const unsigned char *)p, (const unsigned char *)c->end))
        return bad(c, p, "invalid UTF-8");
    char msg[96];
    snprintf(msg, sizeof(msg), "expected %s", what);
    return bad(c, p, msg);
}

/* Pops the children of the innermost container into one arena block and
 * replaces them with the container node. */
static int close_container(pctx *c) {
    frame *f = &c->fr[--c->depth];
    size_t k = c->stk_n - f->start;
    vl_json node;
    node.kind = f->is_obj ? VL_JSON_OBJECT : VL_JSON_ARRAY;
    node.flags = 0;
    node.n = f->is_obj ? k / 2 : k;
    node.u.kids = NULL;
    node.v.i = 0;
    if (k) {
        vl_json *kids = vl_arena_alloc(c->a, k * sizeof(vl_json));
        if (!kids) return oom(c, c->p);
        memcpy(kids, c->stk + f->start, k * sizeof(vl_json));
        node.u.kids = kids;
    }
    c->stk_n = f->start;
    c->stk[c->stk_n++] = node; /* room: at least one slot was freed, or the opener's */
    return VL_OK;
}

static int open_container(pctx *c, bool is_obj) {
    if (c->depth >= c->max_depth) {
        char msg[96];
        snprintf(msg, sizeof(msg), "nesting deeper than %zu levels", c->max_depth);
        return vl_error_set(c->err, VL_EINVAL, "byte %zu: %s", (size_t)(c->p - c->base), msg);
    }
    if (c->depth == c->fr_cap) {
        void *arr = c->fr;
        if (!grow(&arr, &c->fr_cap, sizeof(frame), c->fr_local)) return oom(c, c->p);
        c->fr = arr;
    }
    /* reserve the slot the container node will take when it closes empty */
    if (c->stk_n == c->stk_cap) {
        if (!push(c)) return oom(c, c->p);
        c->stk_n--;
    }
    c->fr[c->depth].start = c->stk_n;
    c->fr[c->depth].is_obj = is_obj;
    c->depth++;
    c->p++;
    return VL_OK;
}

/* Reads `"key" :` at c->p (whitespace before it skipped by the caller) and
 * pushes the key node. */
static int parse_key(pctx *c) {
    if (c->p >= c->end || *c->p != '"') return unexpected(c, "a key string");
    vl_json *k = push(c);
    if (!k) return oom(c, c->p);
    VL_RETURN_IF_ERR(parse_string(c, k));
    c->p = skip_ws(c->p, c->end);
    if (c->p >= c->end || *c->p != ':') return unexpected(c, "':' after a key");
    c->p++;
    return VL_OK;
}

static int parse_doc(pctx *c) {
    const char *e = c->end;
value:
    c->p = skip_ws(c->p, e);
    if (VL_UNLIKELY(c->p >= e)) return unexpected(c, "a value");
    switch (*c->p) {
    case '"': {
        vl_json *v = push(c);
        if (!v) return oom(c, c->p);
        VL_RETURN_IF_ERR(parse_string(c, v));
        break;
    }
    case '{':
        VL_RETURN_IF_ERR(open_container(c, true));
        c->p = skip_ws(c->p, e);
        if (c->p < e && *c->p == '}') {
            c->p++;
            VL_RETURN_IF_ERR(close_container(c));
            break;
        }
        VL_RETURN_IF_ERR(parse_key(c));
        goto value;
    case '[':
        VL_RETURN_IF_ERR(open_container(c, false));
        c->p = skip_ws(c->p, e);
        if (c->p < e && *c->p == ']') {
            c->p++;
            VL_RETURN_IF_ERR(close_container(c));
            break;
        }
        goto value;
    case 't': case 'f': case 'n': {
        static const char *const lits[3] = {"true", "false", "null"};
        int which = *c->p == 't' ? 0 : *c->p == 'f' ? 1 : 2;
        size_t len = which == 1 ? 5 : 4;
        if ((size_t)(e - c->p) < len || memcmp(c->p, lits[which], len) != 0)
            return unexpected(c, "a value (true, false or null?)");
        vl_json *v = push(c);
        if (!v) return oom(c, c->p);
        v->kind = which == 2 ? VL_JSON_NULL : VL_JSON_BOOL;
        v->flags = 0;
        v->n = 0;
        v->u.s = NULL;
        v->v.i = 0;
        v->v.b = which == 0;
        c->p += len;
        break;
    }
    default:
        if (*c->p == '-' || (unsigned)(*c->p - '0') <= 9) {
            vl_json *v = push(c);
            if (!v) return oom(c, c->p);
            VL_RETURN_IF_ERR(parse_number(c, v));
            break;
        }
        return unexpected(c, "a value");
    }
    /* a value is complete: what follows depends on the enclosing container */
    for (;;) {
        if (c->depth == 0) return VL_OK;
        bool is_obj = c->fr[c->depth - 1].is_obj;
        c->p = skip_ws(c->p, e);
        if (VL_LIKELY(c->p < e)) {
            char ch = *c->p;
            if (ch == ',') {
                c->p = skip_ws(c->p + 1, e);
                if (is_obj) VL_RETURN_IF_ERR(parse_key(c));
                goto value;
            }
            if (ch == (is_obj ? '}' : ']')) {
                c->p++;
                VL_RETURN_IF_ERR(close_container(c));
                continue;
            }
        }
        return unexpected(c, is_obj ? "',' or '}'" : "',' or ']'");
    }
}

int vl_json_parse_opts(const char *p, size_t n, const vl_json_opts *opts, vl_arena *a,
                       const vl_json **out, vl_error *err) {
    size_t max_bytes = opts && opts->max_bytes ? opts->max_bytes : VL_JSON_MAX_BYTES;
    if (n > max_bytes)
        return vl_error_set(err, VL_EINVAL, "byte %zu: the JSON text is %zu bytes, the limit is %zu",
                            max_bytes, n, max_bytes);
    if (!p && n) return vl_error_set(err, VL_EINVAL, "byte 0: no input");
    if (!p) p = "";
    pctx ctx; /* about 9 KiB of stack: no allocation for small documents */
    pctx *c = &ctx;
    c->base = c->p = p;
    c->end = p + n;
    c->a = a;
    c->err = err;
    c->stk = c->stk_local;
    c->stk_n = 0;
    c->stk_cap = LOCAL_NODES;
    c->fr = c->fr_local;
    c->depth = 0;
    c->fr_cap = LOCAL_FRAMES;
    c->max_depth = opts && opts->max_depth ? opts->max_depth : VL_JSON_MAX_DEPTH;

    int rc;
    if (n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
        rc = bad(c, p, "a byte order mark is not allowed, expected a value");
    } else {
        rc = parse_doc(c);
        if (rc == VL_OK) {
            c->p = skip_ws(c->p, c->end);
            if (c->p < c->end) rc = bad(c, c->p, "trailing data, expected the end after the value");
        }
    }
    if (rc == VL_OK) {
        VL_ASSERT(c->stk_n == 1 && c->depth == 0);
        vl_json *root = vl_arena_memdup(a, &c->stk[0], sizeof(vl_json));
        if (!root) rc = oom(c, c->p);
        else *out = root;
    }
    if (c->stk != c->stk_local) vl_free(c->stk);
    if (c->fr != c->fr_local) vl_free(c->fr);
    return rc;
}

int vl_json_parse(const char *p, size_t n, vl_arena *a, const vl_json **out, vl_error *err) {
    return vl_json_parse_opts(p, n, NULL, a, out, err);
}

/* =============================================================== accessors */

vl_json_kind_t vl_json_kind(const vl_json *v) { return v ? (vl_json_kind_t)v->kind : VL_JSON_MISSING; }

const char *vl_json_kind_name(vl_json_kind_t k) {
    switch (k) {
    case VL_JSON_MISSING: return "missing";
    case VL_JSON_NULL: return "null";
    case VL_JSON_BOOL: return "a boolean";
    case VL_JSON_NUMBER: return "a number";
    case VL_JSON_STRING: return "a string";
    case VL_JSON_ARRAY: return "an array";
    case VL_JSON_OBJECT: return "an object";
    }
    return "?";
}

size_t vl_json_len(const vl_json *v) {
    return v && (v->kind == VL_JSON_ARRAY || v->kind == VL_JSON_OBJECT) ? v->n : 0;
}

const vl_json *vl_json_at(const vl_json *arr, size_t i) {
    if (!arr || arr->kind != VL_JSON_ARRAY || i >= arr->n) return NULL;
    return &arr->u.kids[i];
}

const vl_json *vl_json_member(const vl_json *obj, size_t i, vl_sv *key) {
    if (!obj || obj->kind != VL_JSON_OBJECT || i >= obj->n) return NULL;
    const vl_json *k = &obj->u.kids[2 * i];
    if (key) *key = (vl_sv){k->u.s, k->n};
    return k + 1;
}

const vl_json *vl_json_get_sv(const vl_json *obj, vl_sv key) {
    if (!obj || obj->kind != VL_JSON_OBJECT) return NULL;
    /* from the end: the last duplicate wins */
    for (size_t i = obj->n; i-- > 0;) {
        const vl_json *k = &obj->u.kids[2 * i];
        if (k->n == key.n && (key.n == 0 || memcmp(k->u.s, key.p, key.n) == 0)) return k + 1;
    }
    return NULL;
}

const vl_json *vl_json_get(const vl_json *obj, const char *key) {
    return vl_json_get_sv(obj, vl_sv_cstr(key));
}

bool vl_json_str(const vl_json *v, vl_sv *out) {
    if (!v || v->kind != VL_JSON_STRING) return false;
    *out = (vl_sv){v->u.s, v->n};
    return true;
}

bool vl_json_i64(const vl_json *v, int64_t *out) {
    if (!v || v->kind != VL_JSON_NUMBER || !(v->flags & NUM_INT)) return false;
    *out = v->v.i;
    return true;
}

bool vl_json_f64(const vl_json *v, double *out) {
    if (!v || v->kind != VL_JSON_NUMBER) return false;
    if (v->flags & NUM_INT) {
        *out = v->v.i == 0 && v->u.s[0] == '-' ? -0.0 : (double)v->v.i;
    } else if (v->flags & NUM_LAZY) {
        char tmp[LAZY_MAX];
        memcpy(tmp, v->u.s, v->n);
        tmp[v->n] = '\0';
        *out = strtod(tmp, NULL);
    } else {
        *out = v->v.d;
    }
    return true;
}

bool vl_json_num_text(const vl_json *v, vl_sv *out) {
    if (!v || v->kind != VL_JSON_NUMBER) return false;
    *out = (vl_sv){v->u.s, v->n};
    return true;
}

bool vl_json_bool(const vl_json *v, bool *out) {
    if (!v || v->kind != VL_JSON_BOOL) return false;
    *out = v->v.b;
    return true;
}

/* Finds key for a typed getter: VL_OK with *v, or VL_ENOTFOUND. */
static int typed_get(const vl_json *obj, const char *key, vl_json_kind_t want, const vl_json **v,
                     vl_error *err) {
    if (!obj || obj->kind != VL_JSON_OBJECT)
        return vl_error_set(err, VL_ENOTFOUND, "no member '%s': the container is %s", key,
                            vl_json_kind_name(vl_json_kind(obj)));
    const vl_json *m = vl_json_get(obj, key);
    if (!m || m->kind == VL_JSON_NULL)
        return vl_error_set(err, VL_ENOTFOUND, "member '%s' is %s", key, m ? "null" : "missing");
    if (m->kind != want)
        return vl_error_set(err, VL_EINVAL, "member '%s': expected %s, got %s", key,
                            vl_json_kind_name(want), vl_json_kind_name((vl_json_kind_t)m->kind));
    *v = m;
    return VL_OK;
}

int vl_json_get_str(const vl_json *obj, const char *key, vl_sv *out, vl_error *err) {
    const vl_json *v;
    VL_RETURN_IF_ERR(typed_get(obj, key, VL_JSON_STRING, &v, err));
    *out = (vl_sv){v->u.s, v->n};
    return VL_OK;
}

int vl_json_get_i64(const vl_json *obj, const char *key, int64_t *out, vl_error *err) {
    const vl_json *v;
    VL_RETURN_IF_ERR(typed_get(obj, key, VL_JSON_NUMBER, &v, err));
    if (!(v->flags & NUM_INT)) {
        /* a whole number too large for int64, or a fraction/exponent form */
        bool whole = v->n && !memchr(v->u.s, '.', v->n) && !memchr(v->u.s, 'e', v->n) &&
                     !memchr(v->u.s, 'E', v->n);
        int n = v->n > 40 ? 40 : (int)v->n;
        return whole ? vl_error_set(err, VL_ERANGE, "member '%s': %.*s does not fit in 64 bits",
                                    key, n, v->u.s)
                     : vl_error_set(err, VL_EINVAL, "member '%s': expected a whole number, got %.*s",
                                    key, n, v->u.s);
    }
    *out = v->v.i;
    return VL_OK;
}

int vl_json_get_f64(const vl_json *obj, const char *key, double *out, vl_error *err) {
    const vl_json *v;
    VL_RETURN_IF_ERR(typed_get(obj, key, VL_JSON_NUMBER, &v, err));
    (void)vl_json_f64(v, out);
    return VL_OK;
}

int vl_json_get_bool(const vl_json *obj, const char *key, bool *out, vl_error *err) {
    const vl_json *v;
    VL_RETURN_IF_ERR(typed_get(obj, key, VL_JSON_BOOL, &v, err));
    *out = v->v.b;
    return VL_OK;
}

int vl_json_get_obj(const vl_json *obj, const char *key, const vl_json **out, vl_error *err) {
    return typed_get(obj, key, VL_JSON_OBJECT, out, err);
}

int vl_json_get_arr(const vl_json *obj, const char *key, const vl_json **out, vl_error *err) {
    return typed_get(obj, key, VL_JSON_ARRAY, out, err);
}

bool vl_json_equal(const vl_json *a, const vl_json *b) {
    if (!a || !b) return a == b;
    if (a->kind != b->kind) return false;
    switch ((vl_json_kind_t)a->kind) {
    case VL_JSON_MISSING:
    case VL_JSON_NULL: return true;
    case VL_JSON_BOOL: return a->v.b == b->v.b;
    case VL_JSON_NUMBER:
    case VL_JSON_STRING: return a->n == b->n && (a->n == 0 || memcmp(a->u.s, b->u.s, a->n) == 0);
    case VL_JSON_ARRAY:
    case VL_JSON_OBJECT: {
        if (a->n != b->n) return false;
        size_t k = a->kind == VL_JSON_OBJECT ? 2 * a->n : a->n;
        for (size_t i = 0; i < k; i++)
            if (!vl_json_equal(&a->u.kids[i], &b->u.kids[i])) return false;
        return true;
    }
    }
    return false;
}

/* ================================================================= writing */

static int w_fail(vl_json_w *w, int rc) {
    if (w->rc == VL_OK) w->rc = rc;
    return w->rc;
}

/* Misuse by the caller (a bug, not bad data): assert, or VL_EINVAL. */
#define W_MISUSE(w, cond)                                                      \
    do {                                                                       \
        if (VL_UNLIKELY(cond)) {                                               \
            VL_ASSERT(!(cond) && "vl_json_w misuse");                          \
            return w_fail(w, VL_EINVAL);                                       \
        }                                                                      \
    } while (0)

static inline bool w_in_obj(const vl_json_w *w) {
    return w->depth && (w->is_obj[(w->depth - 1) / 64] >> ((w->depth - 1) % 64) & 1);
}

void vl_json_w_init(vl_json_w *w, vl_buf *out, unsigned flags) {
    memset(w, 0, sizeof(*w));
    w->out = out;
    w->flags = flags;
}

/* Before any value: checks that a value may come here, writes the comma,
 * and reserves extra bytes. */
static int w_pre_value(vl_json_w *w, size_t extra) {
    if (w->rc) return w->rc;
    W_MISUSE(w, w->depth == 0 && w->done);      /* a second top-level value */
    W_MISUSE(w, w_in_obj(w) && !w->want_value); /* a key is due */
    if (vl_buf_reserve(w->out, extra + 1) != VL_OK) return w_fail(w, VL_ENOMEM);
    if (w->need_comma && !w->want_value) w->out->p[w->out->n++] = ',';
    return VL_OK;
}

static void w_post_value(vl_json_w *w) {
    w->need_comma = true;
    w->want_value = false;
    if (w->depth == 0) w->done = true;
}

static int w_begin(vl_json_w *w, bool is_obj) {
    VL_RETURN_IF_ERR(w_pre_value(w, 1));
    W_MISUSE(w, w->depth >= VL_JSON_W_MAX_DEPTH);
    uint32_t d = w->depth++;
    if (is_obj) w->is_obj[d / 64] |= UINT64_C(1) << (d % 64);
    else w->is_obj[d / 64] &= ~(UINT64_C(1) << (d % 64));
    w->out->p[w->out->n++] = is_obj ? '{' : '[';
    w->need_comma = false;
    w->want_value = false;
    return VL_OK;
}

static int w_end(vl_json_w *w, bool is_obj) {
    if (w->rc) return w->rc;
    W_MISUSE(w, w->depth == 0 || w_in_obj(w) != is_obj || w->want_value);
    if (vl_buf_putc(w->out, is_obj ? '}' : ']') != VL_OK) return w_fail(w, VL_ENOMEM);
    w->depth--;
    w_post_value(w);
    return VL_OK;
}

int vl_json_w_begin_obj(vl_json_w *w) { return w_begin(w, true); }
int vl_json_w_begin_arr(vl_json_w *w) { return w_begin(w, false); }
int vl_json_w_end_obj(vl_json_w *w) { return w_end(w, true); }
int vl_json_w_end_arr(vl_json_w *w) { return w_end(w, false); }

/* Appends s as a JSON string literal; room (6 * n + 2) must be reserved.
 * The output is exactly vl_json_escape's: runs of plain ASCII and valid
 * UTF-8 sequences are copied as they are (the SSE2 scanner finds the end of
 * a run), and vl_json_escape writes each remaining byte, so escaping rules
 * live in one place. Most strings are one run. */
static void w_put_str(vl_json_w *w, const char *s, size_t n) {
    char *o = w->out->p + w->out->n, *o0 = o;
    const char *p = s, *e = s + n;
    *o++ = '"';
    while (p < e) {
        const char *q = vl_json_skip_plain(p, e);
        memcpy(o, p, (size_t)(q - p));
        o += q - p;
        if (q >= e) break;
        size_t len = 0;
        if ((unsigned char)*q >= 0x80)
            len = vl_utf8_seq_len((const unsigned char *)q, (const unsigned char *)e);
        if (len) {
            memcpy(o, q, len);
            o += len;
            p = q + len;
            continue;
        }
        /* one byte to escape: vl_json_escape writes "<escaped>" */
        char tmp[8];
        size_t k = vl_json_escape(tmp, q, 1);
        memcpy(o, tmp + 1, k - 2);
        o += k - 2;
        p = q + 1;
    }
    *o++ = '"';
    w->out->n += (size_t)(o - o0);
}

int vl_json_w_key_n(vl_json_w *w, const char *key, size_t n) {
    if (w->rc) return w->rc;
    W_MISUSE(w, !w_in_obj(w) || w->want_value);
    if (n > (SIZE_MAX - 8) / 6) return w_fail(w, VL_ENOMEM);
    if (vl_buf_reserve(w->out, n * 6 + 4) != VL_OK) return w_fail(w, VL_ENOMEM);
    if (w->need_comma) w->out->p[w->out->n++] = ',';
    w_put_str(w, key, n);
    w->out->p[w->out->n++] = ':';
    w->want_value = true;
    return VL_OK;
}

int vl_json_w_key(vl_json_w *w, const char *key) { return vl_json_w_key_n(w, key, strlen(key)); }

int vl_json_w_str(vl_json_w *w, const char *s, size_t n) {
    if (n > (SIZE_MAX - 8) / 6) return w_fail(w, VL_ENOMEM);
    VL_RETURN_IF_ERR(w_pre_value(w, n * 6 + 2));
    w_put_str(w, s, n);
    w_post_value(w);
    return VL_OK;
}

int vl_json_w_cstr(vl_json_w *w, const char *s) { return vl_json_w_str(w, s, strlen(s)); }

static int w_bytes(vl_json_w *w, const char *s, size_t n) {
    VL_RETURN_IF_ERR(w_pre_value(w, n));
    memcpy(w->out->p + w->out->n, s, n);
    w->out->n += n;
    w_post_value(w);
    return VL_OK;
}

int vl_json_w_int(vl_json_w *w, int64_t v) {
    char tmp[24];
    return w_bytes(w, tmp, vl_fmt_i64(tmp, v));
}

int vl_json_w_uint(vl_json_w *w, uint64_t v) {
    char tmp[24];
    return w_bytes(w, tmp, vl_fmt_u64(tmp, v));
}

int vl_json_w_double(vl_json_w *w, double v) {
    if (!isfinite(v)) {
        if (w->flags & VL_JSON_W_NONFINITE_NULL) return w_bytes(w, "null", 4);
        return w_fail(w, VL_EINVAL);
    }
    char tmp[40];
    return w_bytes(w, tmp, vl_fmt_double(tmp, v));
}

int vl_json_w_bool(vl_json_w *w, bool v) { return w_bytes(w, v ? "true" : "false", v ? 4 : 5); }
int vl_json_w_null(vl_json_w *w) { return w_bytes(w, "null", 4); }
int vl_json_w_raw(vl_json_w *w, const char *json, size_t n) { return w_bytes(w, json, n); }

int vl_json_w_value(vl_json_w *w, const vl_json *v) {
    if (!v) return vl_json_w_null(w);
    switch ((vl_json_kind_t)v->kind) {
    case VL_JSON_MISSING:
    case VL_JSON_NULL: return vl_json_w_null(w);
    case VL_JSON_BOOL: return vl_json_w_bool(w, v->v.b);
    case VL_JSON_NUMBER: return w_bytes(w, v->u.s, v->n);
    case VL_JSON_STRING: return vl_json_w_str(w, v->u.s, v->n);
    case VL_JSON_ARRAY:
        VL_RETURN_IF_ERR(vl_json_w_begin_arr(w));
        for (size_t i = 0; i < v->n; i++) VL_RETURN_IF_ERR(vl_json_w_value(w, &v->u.kids[i]));
        return vl_json_w_end_arr(w);
    case VL_JSON_OBJECT:
        VL_RETURN_IF_ERR(vl_json_w_begin_obj(w));
        for (size_t i = 0; i < v->n; i++) {
            const vl_json *k = &v->u.kids[2 * i];
            VL_RETURN_IF_ERR(vl_json_w_key_n(w, k->u.s, k->n));
            VL_RETURN_IF_ERR(vl_json_w_value(w, k + 1));
        }
        return vl_json_w_end_obj(w);
    }
    return w_fail(w, VL_EINVAL);
}

int vl_json_w_finish(vl_json_w *w, vl_error *err) {
    switch (w->rc) {
    case VL_OK: break;
    case VL_ENOMEM: return vl_error_set(err, VL_ENOMEM, "JSON writer: out of memory");
    default:
        return vl_error_set(err, w->rc,
                            "JSON writer: a NaN or infinite number, or calls out of order");
    }
    if (w->depth || !w->done)
        return vl_error_set(err, VL_EINVAL, "JSON writer: %s",
                            w->depth ? "an array or object is still open" : "nothing was written");
    return VL_OK;
}

void vl_json_error_doc(vl_buf *out, const char *msg) {
    vl_buf_clear(out);
    vl_json_w w;
    vl_json_w_init(&w, out, 0);
    vl_json_w_begin_obj(&w);
    vl_json_w_key(&w, "error");
    vl_json_w_cstr(&w, msg);
    vl_json_w_end_obj(&w);
    vl_error e;
    if (vl_json_w_finish(&w, &e) != VL_OK || vl_buf_putc(out, '\n')) vl_buf_clear(out);
}
