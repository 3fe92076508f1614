/* vidlake - Apache-2.0 */
/*
 * delta_shred: rows given as JSON objects (the NDJSON of `table append`)
 * into Parquet leaf columns with Dremel definition and repetition levels,
 * laid out exactly as vl_delta_schema_to_parquet describes the file, plus
 * the JSON-to-scalar conversion the shredder uses for every leaf value
 * (exported for partition values and for Delta statistics).
 *
 * Value conventions are those of scan output, so scan | append round-trips:
 *   integers      JSON numbers without fraction or exponent, range-checked
 *                 for byte, short and integer
 *   float/double  JSON numbers, or the strings "NaN", "Infinity", "-Infinity"
 *   boolean       true / false
 *   string        JSON strings; binary: strict base64 strings
 *   date          "YYYY-MM-DD"
 *   timestamp     ISO-8601 "2024-05-01T12:00:00.000000Z", with or without a
 *                 fraction, with an offset, "2024-05-01 12:00:00" (read as
 *                 UTC, and as the wall clock for timestamp_ntz), or a bare
 *                 date (midnight)
 *   decimal       strings ("12.500") or JSON numbers (-5.678, 1.5E+3),
 *                 converted exactly: digits beyond the scale must be zeros
 *                 and the rest must fit the precision
 *   struct        objects (unknown keys refused, missing keys null)
 *   array         arrays
 *   map           objects when keys are strings, otherwise arrays of
 *                 [key, value] pairs (accepted for string keys too);
 *                 duplicate keys and null keys are refused
 *
 * Dremel levels: for a node N, max_def(N) counts the OPTIONAL and REPEATED
 * nodes from the root (excluded) to N. A null at an optional node N puts
 * one entry (r, max_def(N) - 1) in every leaf below N; an empty list or map
 * puts (r, max_def(N)); a value puts (r, max_def(leaf)) and the value. The
 * first element of a list takes the repetition level r of the list itself,
 * the next ones the list's repeated node's max_rep.
 *
 * Rows are atomic: add() remembers each leaf's lengths and the byte store's
 * position first, and a failure restores them, so a bad row leaves the
 * columns exactly as they were. The shredder copies the schema and every
 * string it keeps: the row's DOM may be freed as soon as add() returns.
 */
#include "delta/delta.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* =============================================================== values */

/* A JSON value for messages: strings and numbers by text (clipped), other
 * kinds by name. */
static void describe(const vl_json *v, char *buf, size_t cap) {
    vl_sv s;
    vl_json_kind_t k = vl_json_kind(v);
    if (k == VL_JSON_STRING && vl_json_str(v, &s)) {
        snprintf(buf, cap, "\"%.*s\"%s", (int)(s.n > 40 ? 40 : s.n), s.p, s.n > 40 ? "..." : "");
    } else if (k == VL_JSON_NUMBER && vl_json_num_text(v, &s)) {
        snprintf(buf, cap, "%.*s%s", (int)(s.n > 40 ? 40 : s.n), s.p, s.n > 40 ? "..." : "");
    } else {
        snprintf(buf, cap, "%s", vl_json_kind_name(k));
    }
}

static int bad(vl_error *err, const vl_json *v, const char *fmt, ...) VL_PRINTF(3, 4);

/* "<what>, got <value>" as VL_EINVAL. */
static int bad(vl_error *err, const vl_json *v, const char *fmt, ...) {
    char what[200], got[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    describe(v, got, sizeof(got));
    return vl_error_set(err, VL_EINVAL, "%s, got %s", what, got);
}

/* Strict base64 (RFC 4648 section 4): the standard alphabet, padding to a
 * multiple of 4, no whitespace, zero bits after the last byte.
 * @return false if s is not such a text. out needs s.n / 4 * 3 bytes. */
static bool base64_decode(vl_sv s, uint8_t *out, size_t *n_out) {
    if (s.n % 4) return false;
    size_t o = 0;
    for (size_t i = 0; i < s.n; i += 4) {
        uint32_t acc = 0;
        int pad = 0;
        for (int k = 0; k < 4; k++) {
            unsigned char c = (unsigned char)s.p[i + (size_t)k];
            int v;
            if (c >= 'A' && c <= 'Z') v = c - 'A';
            else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
            else if (c >= '0' && c <= '9') v = c - '0' + 52;
            else if (c == '+') v = 62;
            else if (c == '/') v = 63;
            else if (c == '=' && i + 4 == s.n && k >= 2) v = -1;
            else return false;
            if (v < 0) {
                pad++;
                v = 0;
            } else if (pad) {
                return false; /* data after padding */
            }
            acc = acc << 6 | (uint32_t)v;
        }
        out[o++] = (uint8_t)(acc >> 16);
        if (pad < 2) out[o++] = (uint8_t)(acc >> 8);
        if (pad < 1) out[o++] = (uint8_t)acc;
        if ((pad == 1 && (acc & 0xFF)) || (pad == 2 && (acc & 0xFFFF))) return false; /* stray bits */
    }
    *n_out = o;
    return true;
}

/*
 * The unscaled digits of a decimal text at `scale`: an optional sign,
 * digits with an optional fraction (at least one digit), an optional
 * exponent. Exact: digits dropped by the scale must be zeros, and at most
 * `prec` digits may remain. digits receives them without leading zeros
 * ("0" for zero); it needs 39 bytes.
 * @return NULL, or what is wrong.
 */
static const char *dec_digits(const char *p, size_t n, int32_t prec, int32_t scale, bool *neg,
                              char *digits, size_t *nd) {
    size_t i = 0;
    *neg = false;
    if (i < n && (p[i] == '-' || p[i] == '+')) *neg = p[i++] == '-';
    size_t i0 = i;
    while (i < n && p[i] >= '0' && p[i] <= '9') i++;
    size_t nint = i - i0, f0 = i, nfrac = 0;
    if (i < n && p[i] == '.') {
        f0 = ++i;
        while (i < n && p[i] >= '0' && p[i] <= '9') i++;
        nfrac = i - f0;
    }
    if (nint + nfrac == 0) return "not a decimal number";
    int64_t exp = 0;
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        i++;
        bool eneg = false;
        if (i < n && (p[i] == '-' || p[i] == '+')) eneg = p[i++] == '-';
        size_t e0 = i;
        while (i < n && p[i] >= '0' && p[i] <= '9') {
            if (exp < 1000000) exp = exp * 10 + (p[i] - '0'); /* saturates: far beyond any precision */
            i++;
        }
        if (i == e0) return "not a decimal number";
        if (eneg) exp = -exp;
    }
    if (i != n) return "not a decimal number";
    /* mantissa digit k of nm, read across the point */
    size_t nm = nint + nfrac;
#define MDIG(k) ((k) < nint ? p[i0 + (k)] : p[f0 + (k) - nint])
    size_t fz = 0;
    while (fz < nm && MDIG(fz) == '0') fz++;
    if (fz == nm) { /* zero, at any scale and exponent */
        digits[0] = '0';
        *nd = 1;
        *neg = false;
        return NULL;
    }
    /* unscaled = mantissa * 10^shift */
    int64_t shift = exp - (int64_t)nfrac + scale;
    size_t keep = nm; /* mantissa digits kept */
    if (shift < 0) {
        int64_t k = (int64_t)nm + shift;
        keep = k > 0 ? (size_t)k : 0;
        for (size_t j = keep; j < nm; j++)
            if (MDIG(j) != '0') return "more fraction digits than the scale";
        shift = 0;
    }
    /* keep > fz here: a nonzero digit lies at fz < keep */
    int64_t count = (int64_t)(keep - fz) + shift;
    if (count > prec) return "more digits than the precision";
    size_t o = 0;
    for (size_t j = fz; j < keep; j++) digits[o++] = MDIG(j);
    for (int64_t j = 0; j < shift; j++) digits[o++] = '0';
#undef MDIG
    *nd = o;
    return NULL;
}

/* The canonical text of a decimal: sign, integer digits ("0" if none), and
 * exactly `scale` fraction digits. out needs nd + scale + 3 bytes. */
static size_t dec_text(bool neg, const char *digits, size_t nd, int32_t scale, char *out) {
    size_t o = 0, sc = (size_t)scale;
    if (neg) out[o++] = '-';
    if (nd <= sc) {
        out[o++] = '0';
    } else {
        memcpy(out + o, digits, nd - sc);
        o += nd - sc;
    }
    if (sc) {
        out[o++] = '.';
        for (size_t k = 0; k < sc; k++) { /* fraction digit k from the left */
            size_t from_right = sc - 1 - k;
            out[o++] = from_right < nd ? digits[nd - 1 - from_right] : '0';
        }
    }
    return o;
}

/* The text of a decimal value or number for dec_digits. */
static bool dec_source(const vl_json *v, vl_sv *s) {
    vl_json_kind_t k = vl_json_kind(v);
    if (k == VL_JSON_NUMBER) return vl_json_num_text(v, s);
    if (k == VL_JSON_STRING) return vl_json_str(v, s);
    return false;
}

/* A timestamp text: vl_ts_parse, plus the forms it leaves out: no zone
 * (UTC; the wall clock for timestamp_ntz) and a bare date (midnight). */
static const char *ts_text(vl_sv s, bool ntz, int64_t *us) {
    if (s.n == 10) {
        int64_t days;
        if (vl_date_parse(s.p, s.n, &days, NULL) != VL_OK) return "expected an ISO-8601 timestamp";
        *us = days * VL_US_PER_DAY;
        return NULL;
    }
    /* find where the zone would start: after HH:MM:SS[.fff] */
    size_t i = 19;
    if (s.n >= 19 && i < s.n && s.p[i] == '.') {
        i++;
        while (i < s.n && s.p[i] >= '0' && s.p[i] <= '9') i++;
    }
    bool zone = s.n > 19 && i < s.n;
    if (zone && ntz && !(s.n == i + 1 && (s.p[i] == 'Z' || s.p[i] == 'z')))
        return "a timestamp_ntz takes no UTC offset";
    if (zone || s.n < 19) {
        if (vl_ts_parse(s.p, s.n, us, NULL) != VL_OK) return "expected an ISO-8601 timestamp";
        return NULL;
    }
    char tmp[64];
    if (s.n + 1 > sizeof(tmp)) return "expected an ISO-8601 timestamp";
    memcpy(tmp, s.p, s.n);
    tmp[s.n] = 'Z';
    if (vl_ts_parse(tmp, s.n + 1, us, NULL) != VL_OK) return "expected an ISO-8601 timestamp";
    return NULL;
}

/*
 * The scalar of primitive type t in JSON value v. Strings point into the
 * DOM; decoded binary and the text of wide decimals go to a. For decimals
 * of precision > 18 (which do not fit int64) .i is 0 and .s holds the
 * canonical text ("-12.500": exactly `scale` fraction digits), as
 * delta_value.c expects of wide decimals.
 */
static int conv(const vl_dt_type *t, const vl_json *v, vl_arena *a, vl_delta_value *out, vl_error *err) {
    memset(out, 0, sizeof(*out));
    vl_json_kind_t k = vl_json_kind(v);
    if (k == VL_JSON_MISSING || k == VL_JSON_NULL) {
        out->is_null = true;
        return VL_OK;
    }
    vl_sv s;
    switch (t->kind) {
    case VL_DT_STRING:
        if (!vl_json_str(v, &s)) return bad(err, v, "expected a string");
        out->s = s;
        return VL_OK;
    case VL_DT_BINARY: {
        if (!vl_json_str(v, &s)) return bad(err, v, "expected a base64 string");
        uint8_t *d = NULL;
        if (s.n) {
            if (!a) return vl_error_set(err, VL_EINVAL, "binary values need an arena");
            d = vl_arena_alloc(a, s.n / 4 * 3 + 1);
            if (!d) return vl_error_set(err, VL_ENOMEM, "out of memory");
        }
        size_t dn = 0;
        if (s.n && !base64_decode(s, d, &dn)) return bad(err, v, "expected strict base64");
        out->s = vl_sv_make(d ? (const char *)d : "", dn);
        return VL_OK;
    }
    case VL_DT_LONG:
    case VL_DT_INTEGER:
    case VL_DT_SHORT:
    case VL_DT_BYTE: {
        if (k != VL_JSON_NUMBER) return bad(err, v, "expected an integer");
        int64_t x;
        if (!vl_json_i64(v, &x)) {
            vl_json_num_text(v, &s);
            bool integral = !memchr(s.p, '.', s.n) && !memchr(s.p, 'e', s.n) && !memchr(s.p, 'E', s.n);
            return bad(err, v, integral ? "integer out of range" : "expected an integer");
        }
        int64_t lo = t->kind == VL_DT_INTEGER ? INT32_MIN : t->kind == VL_DT_SHORT ? INT16_MIN
                   : t->kind == VL_DT_BYTE    ? INT8_MIN  : INT64_MIN;
        int64_t hi = t->kind == VL_DT_INTEGER ? INT32_MAX : t->kind == VL_DT_SHORT ? INT16_MAX
                   : t->kind == VL_DT_BYTE    ? INT8_MAX  : INT64_MAX;
        if (x < lo || x > hi) return bad(err, v, "out of range %lld..%lld", (long long)lo, (long long)hi);
        out->i = x;
        return VL_OK;
    }
    case VL_DT_FLOAT:
    case VL_DT_DOUBLE: {
        double d;
        if (k == VL_JSON_STRING) {
            vl_json_str(v, &s);
            if (vl_sv_eq_cstr(s, "NaN")) d = NAN;
            else if (vl_sv_eq_cstr(s, "Infinity")) d = INFINITY;
            else if (vl_sv_eq_cstr(s, "-Infinity")) d = -INFINITY;
            else return bad(err, v, "expected a number, \"NaN\", \"Infinity\" or \"-Infinity\"");
        } else if (k == VL_JSON_NUMBER) {
            vl_json_f64(v, &d);
            if (isinf(d)) return bad(err, v, "a number beyond the range of double");
            /* what rounds to a finite float is a float (FLT_MAX prints as
             * 3.4028235e+38, a little above it) */
            if (t->kind == VL_DT_FLOAT && isinf((float)d)) return bad(err, v, "a number beyond the range of float");
        } else {
            return bad(err, v, "expected a number");
        }
        out->d = t->kind == VL_DT_FLOAT ? (double)(float)d : d;
        return VL_OK;
    }
    case VL_DT_BOOLEAN: {
        bool b;
        if (!vl_json_bool(v, &b)) return bad(err, v, "expected true or false");
        out->i = b;
        return VL_OK;
    }
    case VL_DT_DATE: {
        if (!vl_json_str(v, &s) || vl_date_parse(s.p, s.n, &out->i, NULL) != VL_OK)
            return bad(err, v, "expected a date \"YYYY-MM-DD\"");
        return VL_OK;
    }
    case VL_DT_TIMESTAMP:
    case VL_DT_TIMESTAMP_NTZ: {
        if (!vl_json_str(v, &s)) return bad(err, v, "expected an ISO-8601 timestamp string");
        const char *why = ts_text(s, t->kind == VL_DT_TIMESTAMP_NTZ, &out->i);
        if (why) return bad(err, v, "%s", why);
        return VL_OK;
    }
    case VL_DT_DECIMAL: {
        if (t->precision < 1 || t->precision > 38 || t->scale < 0 || t->scale > t->precision)
            return vl_error_set(err, VL_EINVAL, "bad decimal type (%d,%d)", (int)t->precision, (int)t->scale);
        if (!dec_source(v, &s)) return bad(err, v, "expected a decimal string or number");
        char digits[40];
        size_t nd;
        bool neg;
        const char *why = dec_digits(s.p, s.n, t->precision, t->scale, &neg, digits, &nd);
        if (why) return bad(err, v, "decimal(%d,%d): %s", (int)t->precision, (int)t->scale, why);
        if (t->precision <= 18) {
            int64_t u = 0;
            for (size_t j = 0; j < nd; j++) u = u * 10 + (digits[j] - '0'); /* <= 18 digits: no overflow */
            out->i = neg ? -u : u;
            return VL_OK;
        }
        if (!a) return vl_error_set(err, VL_EINVAL, "wide decimals need an arena");
        char *txt = vl_arena_alloc(a, nd + (size_t)t->scale + 3);
        if (!txt) return vl_error_set(err, VL_ENOMEM, "out of memory");
        out->s = vl_sv_make(txt, dec_text(neg, digits, nd, t->scale, txt));
        out->i = 0;
        return VL_OK;
    }
    case VL_DT_STRUCT:
    case VL_DT_ARRAY:
    case VL_DT_MAP:
        break;
    }
    return vl_error_set(err, VL_ENOTSUP, "a nested type is not a scalar");
}

int vl_delta_value_from_json(const vl_dt_type *t, const vl_json *v, vl_arena *a, vl_delta_value *out,
                             vl_error *err) {
    return conv(t, v, a, out, err);
}

/* The big-endian two's complement of a decimal's canonical text (as conv
 * makes for wide decimals) in width bytes (<= 32). @return false if it
 * does not fit. */
static bool dec_text_to_be(vl_sv s, uint8_t *out, size_t width) {
    memset(out, 0, width);
    bool neg = s.n && s.p[0] == '-';
    for (size_t i = neg ? 1 : 0; i < s.n; i++) {
        if (s.p[i] == '.') continue;
        if (s.p[i] < '0' || s.p[i] > '9') return false;
        unsigned carry = (unsigned)(s.p[i] - '0');
        for (size_t k = width; k-- > 0;) { /* out = out * 10 + digit */
            unsigned x = out[k] * 10u + carry;
            out[k] = (uint8_t)x;
            carry = x >> 8;
        }
        if (carry || (out[0] & 0x80)) return false;
    }
    if (neg) { /* negate: invert and add one */
        for (size_t k = 0; k < width; k++) out[k] = (uint8_t)~out[k];
        for (size_t k = width; k-- > 0;)
            if (++out[k] != 0) break;
    }
    return true;
}

/* ============================================================ byte store */

/*
 * String bytes of the columns: a chain of chunks that never move (values
 * point into them), with a mark/rollback for failed rows. Chunks grow
 * geometrically from 64 KiB; a value larger than that gets its own.
 */
typedef struct chunk {
    struct chunk *prev;
    size_t cap, used;
    char data[];
} chunk;

typedef struct bstore {
    chunk *head;
    size_t next_cap;
} bstore;

typedef struct bmark {
    chunk *head;
    size_t used;
} bmark;

#define CHUNK_FIRST ((size_t)64 << 10)
#define CHUNK_MAX ((size_t)16 << 20)

static char *bstore_alloc(bstore *b, size_t n) {
    if (n == 0) return NULL;
    if (b->head && b->head->cap - b->head->used >= n) {
        char *p = b->head->data + b->head->used;
        b->head->used += n;
        return p;
    }
    size_t cap = b->next_cap ? b->next_cap : CHUNK_FIRST;
    if (cap < n) cap = n;
    if (cap > SIZE_MAX - sizeof(chunk)) return NULL;
    chunk *c = vl_malloc(sizeof(chunk) + cap);
    if (!c) return NULL;
    c->prev = b->head;
    c->cap = cap;
    c->used = n;
    b->head = c;
    if (b->next_cap < CHUNK_MAX) b->next_cap = (b->next_cap ? b->next_cap : CHUNK_FIRST) * 2;
    return c->data;
}

static bmark bstore_mark(const bstore *b) { return (bmark){b->head, b->head ? b->head->used : 0}; }

static void bstore_rollback(bstore *b, bmark m) {
    while (b->head != m.head) {
        chunk *c = b->head;
        b->head = c->prev;
        vl_free(c);
    }
    if (b->head) b->head->used = m.used;
}

/* Frees every chunk but the newest (the largest), which is emptied. */
static void bstore_reset(bstore *b) {
    if (!b->head) return;
    chunk *keep = b->head;
    chunk *c = keep->prev;
    while (c) {
        chunk *p = c->prev;
        vl_free(c);
        c = p;
    }
    keep->prev = NULL;
    keep->used = 0;
}

static void bstore_free(bstore *b) {
    bstore_rollback(b, (bmark){NULL, 0});
    b->next_cap = 0;
}

/* ============================================================== shredder */

typedef struct leafbuf {
    size_t cap_def, cap_rep, cap_v; /* capacities, in entries */
    size_t esz;           /* bytes per value */
    size_t mark_n, mark_nv; /* lengths before the row being added */
} leafbuf;

struct vl_delta_shredder {
    vl_arena arena;      /* the copied type tree, Parquet schema and nodes */
    vl_dt_type st;       /* copy of the caller's struct */
    bool *keep;          /* per field of st */
    vl_pq_schema schema; /* the tree of vl_delta_schema_to_parquet(st, keep) */
    vl_pq_column *cols;
    leafbuf *lb;
    uint32_t n_leaves;
    size_t rows;
    bstore bytes;
    vl_arena scratch;    /* per row: decoded binary, wide decimal texts, map keys */
    vl_error *err;       /* of the current add */
    char path[256];      /* the field being shredded, for messages */
    size_t plen;
};

/* ------------------------------------------------------------ type copy */

static int copy_type(vl_arena *a, const vl_dt_type *src, vl_dt_type *dst, int depth);

static vl_sv copy_sv(vl_arena *a, vl_sv s, bool *ok) {
    if (!s.n) return vl_sv_make("", 0);
    char *p = vl_arena_memdup(a, s.p, s.n);
    if (!p) *ok = false;
    return vl_sv_make(p ? p : "", p ? s.n : 0);
}

static int copy_type(vl_arena *a, const vl_dt_type *src, vl_dt_type *dst, int depth) {
    if (depth > 64) return VL_EINVAL;
    *dst = *src;
    dst->fields = NULL;
    dst->elem = dst->key = dst->value = NULL;
    switch (src->kind) {
    case VL_DT_STRUCT:
        if (src->n_fields) {
            dst->fields = vl_arena_alloc(a, (size_t)src->n_fields * sizeof(*dst->fields));
            if (!dst->fields) return VL_ENOMEM;
        }
        for (uint32_t i = 0; i < src->n_fields; i++) {
            bool ok = true;
            dst->fields[i] = src->fields[i];
            dst->fields[i].name = copy_sv(a, src->fields[i].name, &ok);
            dst->fields[i].metadata = vl_sv_make("{}", 2); /* not needed for shredding */
            if (!ok) return VL_ENOMEM;
            VL_RETURN_IF_ERR(copy_type(a, &src->fields[i].type, &dst->fields[i].type, depth + 1));
        }
        return VL_OK;
    case VL_DT_ARRAY:
        if (!src->elem) return VL_EINVAL;
        dst->elem = vl_arena_alloc(a, sizeof(*dst->elem));
        if (!dst->elem) return VL_ENOMEM;
        return copy_type(a, src->elem, dst->elem, depth + 1);
    case VL_DT_MAP:
        if (!src->key || !src->value) return VL_EINVAL;
        dst->key = vl_arena_alloc(a, sizeof(*dst->key));
        dst->value = vl_arena_alloc(a, sizeof(*dst->value));
        if (!dst->key || !dst->value) return VL_ENOMEM;
        VL_RETURN_IF_ERR(copy_type(a, src->key, dst->key, depth + 1));
        return copy_type(a, src->value, dst->value, depth + 1);
    default: return VL_OK;
    }
}

/* ---------------------------------------------------------- lifecycle */

static size_t phys_size(int32_t phys) {
    switch (phys) {
    case VL_PQ_T_BOOLEAN: return 1;
    case VL_PQ_T_INT32: case VL_PQ_T_FLOAT: return 4;
    case VL_PQ_T_INT64: case VL_PQ_T_DOUBLE: return 8;
    default: return sizeof(vl_sv);
    }
}

int vl_delta_shredder_new(const vl_dt_type *st, const bool *keep, vl_delta_shredder **out, vl_error *err) {
    if (st->kind != VL_DT_STRUCT) return vl_error_set(err, VL_EINVAL, "shredder: the schema must be a struct");
    vl_delta_shredder *sh = vl_calloc(1, sizeof(*sh));
    if (!sh) return vl_error_set(err, VL_ENOMEM, "shredder: out of memory");
    vl_arena_init(&sh->arena, 0);
    vl_arena_init(&sh->scratch, 0);
    int rc = copy_type(&sh->arena, st, &sh->st, 0);
    if (rc != VL_OK) {
        rc = rc == VL_ENOMEM ? vl_error_set(err, VL_ENOMEM, "shredder: out of memory")
                             : vl_error_set(err, VL_EINVAL, "shredder: a malformed schema");
        goto fail;
    }
    sh->keep = vl_arena_alloc(&sh->arena, (size_t)st->n_fields + 1);
    if (!sh->keep) {
        rc = vl_error_set(err, VL_ENOMEM, "shredder: out of memory");
        goto fail;
    }
    for (uint32_t i = 0; i < st->n_fields; i++) sh->keep[i] = keep ? keep[i] : true;
    vl_pq_schema_elem *elems;
    uint32_t n_elems;
    rc = vl_delta_schema_to_parquet(&sh->st, sh->keep, &sh->arena, &elems, &n_elems, err);
    if (rc != VL_OK) goto fail;
    rc = vl_pq_schema_build(elems, n_elems, &sh->arena, &sh->schema, err);
    if (rc != VL_OK) goto fail;
    sh->n_leaves = sh->schema.n_leaves;
    sh->cols = vl_calloc(sh->n_leaves, sizeof(*sh->cols));
    sh->lb = vl_calloc(sh->n_leaves, sizeof(*sh->lb));
    if (!sh->cols || !sh->lb) {
        rc = vl_error_set(err, VL_ENOMEM, "shredder: out of memory");
        goto fail;
    }
    for (uint32_t i = 0; i < sh->n_leaves; i++) {
        sh->cols[i].leaf = sh->schema.leaves[i];
        sh->lb[i].esz = phys_size(sh->schema.leaves[i]->physical);
    }
    *out = sh;
    return VL_OK;
fail:
    vl_delta_shredder_free(sh);
    return rc;
}

void vl_delta_shredder_free(vl_delta_shredder *sh) {
    if (!sh) return;
    for (uint32_t i = 0; sh->cols && i < sh->n_leaves; i++) {
        vl_free(sh->cols[i].def);
        vl_free(sh->cols[i].rep);
        vl_free(sh->cols[i].v.b);
    }
    vl_free(sh->cols);
    vl_free(sh->lb);
    bstore_free(&sh->bytes);
    vl_arena_destroy(&sh->scratch);
    vl_arena_destroy(&sh->arena);
    vl_free(sh);
}

size_t vl_delta_shredder_rows(const vl_delta_shredder *sh) { return sh->rows; }

const vl_pq_column *vl_delta_shredder_columns(const vl_delta_shredder *sh, uint32_t *n_leaves) {
    if (n_leaves) *n_leaves = sh->n_leaves;
    return sh->cols;
}

void vl_delta_shredder_reset(vl_delta_shredder *sh) {
    for (uint32_t i = 0; i < sh->n_leaves; i++) {
        sh->cols[i].n = 0;
        sh->cols[i].n_values = 0;
    }
    bstore_reset(&sh->bytes);
    vl_arena_reset(&sh->scratch);
    sh->rows = 0;
}

/* ------------------------------------------------------------ messages */

static size_t path_push(vl_delta_shredder *sh, const char *s, size_t n, bool dot) {
    size_t old = sh->plen;
    size_t cap = sizeof(sh->path) - 1;
    if (dot && sh->plen && sh->plen < cap) sh->path[sh->plen++] = '.';
    if (n > cap - sh->plen) n = cap - sh->plen;
    memcpy(sh->path + sh->plen, s, n);
    sh->plen += n;
    sh->path[sh->plen] = '\0';
    return old;
}

static size_t path_index(vl_delta_shredder *sh, size_t i) {
    char tmp[32];
    int n = snprintf(tmp, sizeof(tmp), "[%zu]", i);
    return path_push(sh, tmp, (size_t)n, false);
}

static void path_pop(vl_delta_shredder *sh, size_t old) {
    sh->plen = old;
    sh->path[old] = '\0';
}

/* Prefixes an error from conv (or sets one) with the field path. */
static int field_err(vl_delta_shredder *sh, int rc) {
    vl_error_prefix(sh->err, "field '%s': ", sh->path);
    return rc;
}

static int field_fail(vl_delta_shredder *sh, const vl_json *v, const char *what) {
    char got[64];
    describe(v, got, sizeof(got));
    return vl_error_set(sh->err, VL_EINVAL, "field '%s': %s, got %s", sh->path, what, got);
}

static int oom(vl_delta_shredder *sh) { return vl_error_set(sh->err, VL_ENOMEM, "shredder: out of memory"); }

/* --------------------------------------------------------------- levels */

static bool grow(void **p, size_t *cap, size_t need, size_t esz) {
    if (need <= *cap) return true;
    size_t nc = *cap ? *cap : 64;
    while (nc < need) {
        if (nc > SIZE_MAX / 2 / esz) return false;
        nc *= 2;
    }
    void *q = vl_realloc(*p, nc * esz);
    if (!q) return false;
    *p = q;
    *cap = nc;
    return true;
}

/* One level entry in leaf column `leaf` (the arrays exist only when the
 * leaf's max level is above 0). */
static int put_level(vl_delta_shredder *sh, uint32_t leaf, int16_t r, int16_t d) {
    vl_pq_column *c = &sh->cols[leaf];
    leafbuf *lb = &sh->lb[leaf];
    if (c->leaf->max_def > 0) {
        void *p = c->def;
        if (!grow(&p, &lb->cap_def, c->n + 1, sizeof(int16_t))) return oom(sh);
        c->def = p;
        c->def[c->n] = d;
    }
    if (c->leaf->max_rep > 0) {
        void *p = c->rep;
        if (!grow(&p, &lb->cap_rep, c->n + 1, sizeof(int16_t))) return oom(sh);
        c->rep = p;
        c->rep[c->n] = r;
    }
    c->n++;
    return VL_OK;
}

/* (r, d) in every leaf below n: n absent (d < max_def(n)) or empty. */
static int put_absent(vl_delta_shredder *sh, const vl_pq_node *n, int16_t r, int16_t d) {
    if (n->leaf >= 0) return put_level(sh, (uint32_t)n->leaf, r, d);
    for (uint32_t i = 0; i < n->n_children; i++) VL_RETURN_IF_ERR(put_absent(sh, &n->children[i], r, d));
    return VL_OK;
}

/* A present value of primitive type t at leaf node n. */
static int put_value(vl_delta_shredder *sh, const vl_pq_node *n, const vl_dt_type *t, const vl_delta_value *val,
                     int16_t r) {
    uint32_t leaf = (uint32_t)n->leaf;
    vl_pq_column *c = &sh->cols[leaf];
    leafbuf *lb = &sh->lb[leaf];
    void *vals = c->v.b;
    if (!grow(&vals, &lb->cap_v, c->n_values + 1, lb->esz)) return oom(sh);
    c->v.b = vals;
    size_t i = c->n_values;
    switch (n->physical) {
    case VL_PQ_T_BOOLEAN: c->v.b[i] = (uint8_t)(val->i != 0); break;
    case VL_PQ_T_INT32: c->v.i32[i] = (int32_t)val->i; break; /* ranges checked by conv */
    case VL_PQ_T_INT64: c->v.i64[i] = val->i; break;
    case VL_PQ_T_FLOAT: c->v.f32[i] = (float)val->d; break;  /* within float range: conv checked */
    case VL_PQ_T_DOUBLE: c->v.f64[i] = val->d; break;
    case VL_PQ_T_BYTE_ARRAY: {
        char *p = bstore_alloc(&sh->bytes, val->s.n);
        if (val->s.n && !p) return oom(sh);
        if (val->s.n) memcpy(p, val->s.p, val->s.n);
        c->v.bin[i] = vl_sv_make(p ? p : "", val->s.n);
        break;
    }
    case VL_PQ_T_FIXED_LEN_BYTE_ARRAY: { /* decimals of precision > 18 */
        size_t w = (size_t)n->type_length;
        uint8_t be[32];
        if (t->kind != VL_DT_DECIMAL || w == 0 || w > sizeof(be))
            return vl_error_set(sh->err, VL_EINVAL, "field '%s': no fixed-length type to store", sh->path);
        if (t->precision > 18) {
            if (!dec_text_to_be(val->s, be, w))
                return vl_error_set(sh->err, VL_EINVAL, "field '%s': the decimal does not fit %zu bytes", sh->path, w);
        } else {
            for (size_t k = 0; k < w; k++) be[w - 1 - k] = (uint8_t)(k < 8 ? (uint64_t)val->i >> (8 * k)
                                                                           : (val->i < 0 ? 0xFF : 0));
        }
        char *p = bstore_alloc(&sh->bytes, w);
        if (!p) return oom(sh);
        memcpy(p, be, w);
        c->v.bin[i] = vl_sv_make(p, w);
        break;
    }
    default: return vl_error_set(sh->err, VL_EINVAL, "field '%s': a physical type not written here", sh->path);
    }
    VL_RETURN_IF_ERR(put_level(sh, leaf, r, n->max_def));
    c->n_values++;
    return VL_OK;
}

/* --------------------------------------------------------------- walker */

static int shred_field(vl_delta_shredder *sh, const vl_pq_node *n, const vl_dt_type *t, const vl_json *v,
                       int16_t r);

static int shred_prim(vl_delta_shredder *sh, const vl_pq_node *n, const vl_dt_type *t, const vl_json *v,
                      int16_t r) {
    vl_delta_value val;
    int rc = conv(t, v, &sh->scratch, &val, sh->err);
    if (rc != VL_OK) return field_err(sh, rc);
    return put_value(sh, n, t, &val, r);
}

static int shred_struct(vl_delta_shredder *sh, const vl_pq_node *n, const vl_dt_type *t, const vl_json *v,
                        int16_t r) {
    if (vl_json_kind(v) != VL_JSON_OBJECT) return field_fail(sh, v, "expected an object");
    size_t nm = vl_json_len(v);
    for (size_t i = 0; i < nm; i++) {
        vl_sv key;
        vl_json_member(v, i, &key);
        if (!vl_delta_field_find(t, key, NULL)) {
            size_t old = path_push(sh, key.p, key.n, true);
            int rc = vl_error_set(sh->err, VL_EINVAL, "field '%s': unknown key", sh->path);
            path_pop(sh, old);
            return rc;
        }
    }
    for (uint32_t i = 0; i < t->n_fields; i++) {
        const vl_dt_field *f = &t->fields[i];
        size_t old = path_push(sh, f->name.p, f->name.n, true);
        VL_RETURN_IF_ERR(shred_field(sh, &n->children[i], &f->type, vl_json_get_sv(v, f->name), r));
        path_pop(sh, old);
    }
    return VL_OK;
}

static int shred_array(vl_delta_shredder *sh, const vl_pq_node *n, const vl_dt_type *t, const vl_json *v,
                       int16_t r) {
    if (vl_json_kind(v) != VL_JSON_ARRAY) return field_fail(sh, v, "expected an array");
    const vl_pq_node *rep = &n->children[0], *elem = &rep->children[0];
    size_t len = vl_json_len(v);
    if (len == 0) return put_absent(sh, n, r, n->max_def);
    for (size_t k = 0; k < len; k++) {
        size_t old = path_index(sh, k);
        VL_RETURN_IF_ERR(shred_field(sh, elem, t->elem, vl_json_at(v, k), k ? rep->max_rep : r));
        path_pop(sh, old);
    }
    return VL_OK;
}

static bool same_value(const vl_delta_value *a, const vl_delta_value *b) {
    return a->i == b->i && memcmp(&a->d, &b->d, sizeof(a->d)) == 0 && vl_sv_eq(a->s, b->s);
}

static uint64_t value_hash(const vl_delta_value *v) {
    uint64_t h = vl_hash64(v->s.p, v->s.n, (uint64_t)v->i);
    uint64_t d;
    memcpy(&d, &v->d, sizeof(d));
    return vl_mix64(h ^ d);
}

/* Refuses a key equal to one of the previous ones (primitive keys). */
static int check_dup(vl_delta_shredder *sh, vl_delta_value *keys, size_t n, vl_u64set *seen, const vl_json *kj) {
    const vl_delta_value *k = &keys[n];
    int added = vl_u64set_add(seen, value_hash(k));
    if (added < 0) return oom(sh);
    if (added == 0)
        for (size_t j = 0; j < n; j++)
            if (same_value(&keys[j], k)) return field_fail(sh, kj, "duplicate map key");
    return VL_OK;
}

static int shred_map(vl_delta_shredder *sh, const vl_pq_node *n, const vl_dt_type *t, const vl_json *v,
                     int16_t r) {
    vl_json_kind_t k = vl_json_kind(v);
    bool obj = k == VL_JSON_OBJECT;
    if (obj && t->key->kind != VL_DT_STRING)
        return field_fail(sh, v, "expected an array of [key, value] pairs (the keys are not strings)");
    if (!obj && k != VL_JSON_ARRAY) return field_fail(sh, v, "expected an object or an array of [key, value] pairs");
    const vl_pq_node *kv = &n->children[0], *kn = &kv->children[0], *vn = &kv->children[1];
    size_t len = vl_json_len(v);
    if (len == 0) return put_absent(sh, n, r, n->max_def);
    bool prim_key = t->key->kind != VL_DT_STRUCT && t->key->kind != VL_DT_ARRAY && t->key->kind != VL_DT_MAP;
    vl_delta_value *keys = NULL;
    if (prim_key) {
        if (len > SIZE_MAX / sizeof(*keys)) return oom(sh);
        keys = vl_arena_alloc(&sh->scratch, len * sizeof(*keys));
        if (!keys) return oom(sh);
    }
    vl_u64set seen;
    vl_u64set_init(&seen);
    int rc = VL_OK;
    for (size_t i = 0; i < len && rc == VL_OK; i++) {
        int16_t rr = i ? kv->max_rep : r;
        const vl_json *kj, *vj;
        vl_sv key = {0};
        size_t old;
        if (obj) {
            vj = vl_json_member(v, i, &key);
            kj = NULL;
            old = path_push(sh, key.p, key.n, true);
        } else {
            const vl_json *pair = vl_json_at(v, i);
            old = path_index(sh, i);
            if (vl_json_kind(pair) != VL_JSON_ARRAY || vl_json_len(pair) != 2) {
                rc = field_fail(sh, pair, "expected a [key, value] pair");
                break;
            }
            kj = vl_json_at(pair, 0);
            vj = vl_json_at(pair, 1);
            vl_json_kind_t kk = vl_json_kind(kj);
            if (kk == VL_JSON_NULL) {
                rc = vl_error_set(sh->err, VL_EINVAL, "field '%s': a map key is null", sh->path);
                break;
            }
        }
        if (prim_key) {
            if (obj) {
                memset(&keys[i], 0, sizeof(keys[i]));
                keys[i].s = key;
            } else if ((rc = conv(t->key, kj, &sh->scratch, &keys[i], sh->err)) != VL_OK) {
                rc = field_err(sh, rc);
                break;
            }
            if ((rc = check_dup(sh, keys, i, &seen, kj)) != VL_OK) break;
            if ((rc = put_value(sh, kn, t->key, &keys[i], rr)) != VL_OK) break;
        } else if ((rc = shred_field(sh, kn, t->key, kj, rr)) != VL_OK) {
            break;
        }
        if ((rc = shred_field(sh, vn, t->value, vj, rr)) != VL_OK) break;
        path_pop(sh, old);
    }
    vl_u64set_free(&seen);
    return rc;
}

static int shred_value(vl_delta_shredder *sh, const vl_pq_node *n, const vl_dt_type *t, const vl_json *v,
                       int16_t r) {
    switch (t->kind) {
    case VL_DT_STRUCT: return shred_struct(sh, n, t, v, r);
    case VL_DT_ARRAY: return shred_array(sh, n, t, v, r);
    case VL_DT_MAP: return shred_map(sh, n, t, v, r);
    default: return shred_prim(sh, n, t, v, r);
    }
}

/* A field that may be null: optional nodes take a null, required ones
 * (non-nullable fields, map keys, elements without containsNull) refuse it. */
static int shred_field(vl_delta_shredder *sh, const vl_pq_node *n, const vl_dt_type *t, const vl_json *v,
                       int16_t r) {
    vl_json_kind_t k = vl_json_kind(v);
    if (k == VL_JSON_MISSING || k == VL_JSON_NULL) {
        if (n->repetition != VL_PQ_REP_OPTIONAL)
            return vl_error_set(sh->err, VL_EINVAL, "field '%s': null in a non-nullable field", sh->path);
        return put_absent(sh, n, r, (int16_t)(n->max_def - 1));
    }
    return shred_value(sh, n, t, v, r);
}

int vl_delta_shredder_add(vl_delta_shredder *sh, const vl_json *row, vl_error *err) {
    sh->err = err;
    sh->plen = 0;
    sh->path[0] = '\0';
    if (vl_json_kind(row) != VL_JSON_OBJECT) {
        char got[64];
        describe(row, got, sizeof(got));
        return vl_error_set(err, VL_EINVAL, "a row must be a JSON object, got %s", got);
    }
    /* keys that are no field at all; fields not kept (partition columns)
     * are the caller's business */
    size_t nm = vl_json_len(row);
    for (size_t i = 0; i < nm; i++) {
        vl_sv key;
        vl_json_member(row, i, &key);
        if (!vl_delta_field_find(&sh->st, key, NULL))
            return vl_error_set(err, VL_EINVAL, "field '%.*s': unknown key", (int)(key.n > 64 ? 64 : key.n), key.p);
    }
    for (uint32_t i = 0; i < sh->n_leaves; i++) {
        sh->lb[i].mark_n = sh->cols[i].n;
        sh->lb[i].mark_nv = sh->cols[i].n_values;
    }
    bmark bm = bstore_mark(&sh->bytes);
    vl_arena_reset(&sh->scratch);
    int rc = VL_OK;
    uint32_t child = 0;
    for (uint32_t i = 0; i < sh->st.n_fields && rc == VL_OK; i++) {
        if (!sh->keep[i]) continue;
        const vl_dt_field *f = &sh->st.fields[i];
        size_t old = path_push(sh, f->name.p, f->name.n, true);
        rc = shred_field(sh, &sh->schema.root->children[child++], &f->type, vl_json_get_sv(row, f->name), 0);
        path_pop(sh, old);
    }
    if (rc != VL_OK) {
        for (uint32_t i = 0; i < sh->n_leaves; i++) {
            sh->cols[i].n = sh->lb[i].mark_n;
            sh->cols[i].n_values = sh->lb[i].mark_nv;
        }
        bstore_rollback(&sh->bytes, bm);
        return rc;
    }
    sh->rows++;
    return VL_OK;
}
