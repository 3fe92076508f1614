/* vidlake - Apache-2.0 */
/*
 * Rows out of columns: reassembles records from the leaf columns of a row
 * group (Dremel record assembly from definition and repetition levels) and
 * writes them as NDJSON or CSV with the conventions of DESIGN.md: keys in
 * schema order, integers as numbers, floats in shortest round-trip form
 * (NaN and infinities as strings), timestamps ISO-8601 with microseconds,
 * dates YYYY-MM-DD, decimals as strings with their scale, binary as base64,
 * lists as arrays, structs as objects, maps as objects when keys are
 * strings and as arrays of [key, value] otherwise, null as null.
 *
 * Assembly: every node is emitted by looking at the levels of the first
 * leaf below it. A node that is absent (definition level below its own)
 * takes exactly one level entry in every leaf below it; a repeated node
 * continues while the next entry's repetition level equals its own.
 * Lists follow the LIST rules of LogicalTypes.md, including the legacy
 * two-level forms and unannotated repeated fields.
 */
#include "parquet_enc.h"
#include "parquet_meta.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct cursor {
    const vl_pq_column *col;
    size_t li, vi; /* next level entry, next value */
} cursor;

typedef struct rows {
    vl_pq_reader *r;
    cursor *cur; /* by leaf ordinal; only the leaves of selected fields are read */
    vl_buf *out;
    vl_error *err;
} rows;

static const vl_pq_node *first_leaf(const vl_pq_node *n) {
    while (n->leaf < 0 && n->n_children) n = &n->children[0];
    return n;
}

static inline int16_t def_at(const cursor *c) {
    return c->col->def && c->li < c->col->n ? c->col->def[c->li] : c->col->leaf->max_def;
}

static inline int16_t rep_at(const cursor *c) {
    return c->col->rep && c->li < c->col->n ? c->col->rep[c->li] : 0;
}

/* Advances every leaf below n by one level entry (an absent or empty n). */
static int skip_entry(rows *R, const vl_pq_node *n) {
    if (n->leaf >= 0) {
        cursor *c = &R->cur[n->leaf];
        if (c->li >= c->col->n)
            return vl_error_set(R->err, VL_ECORRUPT, "column '%.*s' has fewer level entries than rows",
                                (int)n->name.n, n->name.p);
        if (def_at(c) == n->max_def) c->vi++; /* cannot happen for a truly absent node */
        c->li++;
        return VL_OK;
    }
    for (uint32_t i = 0; i < n->n_children; i++) VL_RETURN_IF_ERR(skip_entry(R, &n->children[i]));
    return VL_OK;
}

static int put(rows *R, const char *s, size_t n) {
    if (vl_buf_append(R->out, s, n) != VL_OK) return vl_error_set(R->err, VL_ENOMEM, "out of memory");
    return VL_OK;
}
#define PUTS(R, lit) put(R, lit, sizeof(lit) - 1)

static int put_base64(rows *R, const uint8_t *p, size_t n) {
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if (vl_buf_reserve(R->out, (n + 2) / 3 * 4 + 2) != VL_OK)
        return vl_error_set(R->err, VL_ENOMEM, "out of memory");
    char *o = R->out->p + R->out->n;
    *o++ = '"';
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        *o++ = tbl[v >> 18];
        *o++ = tbl[(v >> 12) & 63];
        *o++ = tbl[(v >> 6) & 63];
        *o++ = tbl[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        *o++ = tbl[v >> 18];
        *o++ = tbl[(v >> 12) & 63];
        *o++ = '=';
        *o++ = '=';
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
        *o++ = tbl[v >> 18];
        *o++ = tbl[(v >> 12) & 63];
        *o++ = tbl[(v >> 6) & 63];
        *o++ = '=';
    }
    *o++ = '"';
    R->out->n = (size_t)(o - R->out->p);
    return VL_OK;
}

/* A timestamp of v units (VL_PQ_UNIT_*; anything else is read as micros)
 * since the epoch, with microsecond precision (nanoseconds are floored).
 * Split into days and time of day first, so that no int64 value overflows.
 * Years outside 0000..9999 use the ISO 8601 expanded form (+YYYYYY). */
static int put_ts(rows *R, int64_t v, int32_t unit, bool utc) {
    int64_t per_day = unit == VL_PQ_UNIT_MILLIS ? INT64_C(86400000)
                      : unit == VL_PQ_UNIT_NANOS ? INT64_C(86400000000000)
                                                 : VL_US_PER_DAY;
    int64_t rem = v % per_day, day = v / per_day;
    if (rem < 0) {
        rem += per_day;
        day--;
    }
    if (unit == VL_PQ_UNIT_MILLIS) rem *= 1000;
    else if (unit == VL_PQ_UNIT_NANOS) rem /= 1000;
    int64_t y;
    unsigned m, d;
    vl_civil_from_days(day, &y, &m, &d);
    unsigned secs = (unsigned)(rem / VL_US_PER_SEC);
    if (VL_LIKELY(y >= 0 && y <= 9999)) {
        /* the common case by hand: this is on the hot path of every row */
        char t[32];
        unsigned f = (unsigned)(rem % VL_US_PER_SEC), hh = secs / 3600, mi = secs / 60 % 60, ss = secs % 60;
        unsigned yy = (unsigned)y;
        t[0] = '"';
        t[1] = (char)('0' + yy / 1000), t[2] = (char)('0' + yy / 100 % 10), t[3] = (char)('0' + yy / 10 % 10),
        t[4] = (char)('0' + yy % 10), t[5] = '-';
        t[6] = (char)('0' + m / 10), t[7] = (char)('0' + m % 10), t[8] = '-';
        t[9] = (char)('0' + d / 10), t[10] = (char)('0' + d % 10), t[11] = 'T';
        t[12] = (char)('0' + hh / 10), t[13] = (char)('0' + hh % 10), t[14] = ':';
        t[15] = (char)('0' + mi / 10), t[16] = (char)('0' + mi % 10), t[17] = ':';
        t[18] = (char)('0' + ss / 10), t[19] = (char)('0' + ss % 10), t[20] = '.';
        for (int k = 26; k >= 21; k--) {
            t[k] = (char)('0' + f % 10);
            f /= 10;
        }
        size_t n = 27;
        if (utc) t[n++] = 'Z';
        t[n++] = '"';
        return put(R, t, n);
    }
    char tmp[64];
    int n = snprintf(tmp, sizeof(tmp), "\"%+07lld-%02u-%02uT%02u:%02u:%02u.%06u%s\"", (long long)y, m, d,
                     secs / 3600, secs / 60 % 60, secs % 60, (unsigned)(rem % VL_US_PER_SEC),
                     utc ? "Z" : ""); /* local time: no 'Z' */
    return put(R, tmp, (size_t)n);
}

static int put_time(rows *R, int64_t us) {
    char tmp[32];
    if (us < 0) us = 0;
    int n = snprintf(tmp, sizeof(tmp), "\"%02lld:%02lld:%02lld.%06lld\"", (long long)(us / 3600000000LL),
                     (long long)(us / 60000000 % 60), (long long)(us / 1000000 % 60),
                     (long long)(us % 1000000));
    return put(R, tmp, (size_t)n);
}

/* A decimal from a big-endian two's-complement integer of n bytes. */
static int put_decimal_be(rows *R, const uint8_t *p, size_t n, int32_t scale) {
    uint8_t mag[64];
    char digits[160];
    if (n > sizeof(mag)) return put_base64(R, p, n);
    bool neg = n && (p[0] & 0x80);
    memcpy(mag, p, n);
    if (neg) { /* magnitude = ~x + 1 */
        for (size_t i = 0; i < n; i++) mag[i] = (uint8_t)~mag[i];
        for (size_t i = n; i-- > 0;)
            if (++mag[i] != 0) break;
    }
    size_t nd = 0;
    size_t start = 0;
    while (start < n && mag[start] == 0) start++;
    while (start < n) { /* divide by 10, collect the remainder */
        unsigned rem = 0;
        for (size_t i = start; i < n; i++) {
            unsigned cur = rem << 8 | mag[i];
            mag[i] = (uint8_t)(cur / 10);
            rem = cur % 10;
        }
        digits[nd++] = (char)('0' + rem);
        while (start < n && mag[start] == 0) start++;
    }
    if (nd == 0) digits[nd++] = '0';
    char out[200];
    size_t o = 0;
    out[o++] = '"';
    if (neg) out[o++] = '-';
    if (scale < 0) scale = 0;
    size_t sc = (size_t)scale;
    size_t int_digits = nd > sc ? nd - sc : 0;
    if (int_digits == 0) out[o++] = '0';
    for (size_t i = 0; i < int_digits; i++) out[o++] = digits[nd - 1 - i];
    if (sc > 0 && sc < 100) {
        out[o++] = '.';
        for (size_t i = 0; i < sc; i++) {
            size_t k = sc - 1 - i; /* digit position from the right */
            out[o++] = k < nd ? digits[k] : '0';
        }
    }
    out[o++] = '"';
    return put(R, out, o);
}

static int put_decimal_i64(rows *R, int64_t v, int32_t scale) {
    uint8_t be[8];
    for (int i = 0; i < 8; i++) be[i] = (uint8_t)((uint64_t)v >> (56 - 8 * i));
    return put_decimal_be(R, be, 8, scale);
}

static int put_double(rows *R, double v) {
    char tmp[40];
    size_t n = vl_fmt_double(tmp, v);
    if (isnan(v) || isinf(v)) {
        VL_RETURN_IF_ERR(PUTS(R, "\""));
        VL_RETURN_IF_ERR(put(R, tmp, n));
        return PUTS(R, "\"");
    }
    return put(R, tmp, n);
}

/* FLOAT values in the shortest form that reads back as the same float. */
static int put_float(rows *R, float v) {
    if (isnan(v) || isinf(v)) return put_double(R, (double)v);
    char tmp[32];
    int n = 0;
    /* %.6g is shortest whenever six digits suffice, except for subnormals,
     * which carry fewer significant bits: search every precision for them */
    for (int prec = fabsf(v) < FLT_MIN && v != 0 ? 1 : 6; prec <= 9; prec++) {
        n = snprintf(tmp, sizeof(tmp), "%.*g", prec, (double)v);
        if (strtof(tmp, NULL) == v) break;
    }
    return put(R, tmp, (size_t)n);
}

static int put_int(rows *R, int64_t v) {
    char tmp[24];
    return put(R, tmp, vl_fmt_i64(tmp, v));
}

static int put_uint(rows *R, uint64_t v) {
    char tmp[24];
    return put(R, tmp, vl_fmt_u64(tmp, v));
}

static int put_string(rows *R, const char *s, size_t n) {
    if (vl_buf_json_str(R->out, s, n) != VL_OK) return vl_error_set(R->err, VL_ENOMEM, "out of memory");
    return VL_OK;
}

/* A TIME of v units in microseconds (TIME values lie within a day; others
 * are garbage, saturated rather than overflowed). */
static int64_t time_us(int64_t v, int32_t unit) {
    if (unit == VL_PQ_UNIT_MILLIS)
        return v > INT64_MAX / 1000 ? INT64_MAX : v < INT64_MIN / 1000 ? INT64_MIN : v * 1000;
    if (unit == VL_PQ_UNIT_NANOS) return v >= 0 ? v / 1000 : -((-(v + 1)) / 1000) - 1;
    return v;
}

/*
 * INT96 timestamps (nanoseconds of the day, then a Julian day) the way the
 * writers that produce them read them back: Spark computes
 * (julian_day - 2440588) * 86400e6 + nanos / 1000 in wrapping int64
 * microseconds with the day as a signed int32, and its encoder wraps the
 * same way. Doing exactly that gives the instant Spark stored even for
 * values whose encoding overflowed (int96_from_spark.parquet holds year
 * 290000 with a "negative" Julian day), and the exact value everywhere
 * else: any day a real file holds yields no overflow at all. Unsigned
 * arithmetic makes the wrap-around defined.
 */
static int64_t int96_to_us(const uint8_t p[12]) {
    uint64_t nanos = 0;
    for (int k = 7; k >= 0; k--) nanos = nanos << 8 | p[k];
    uint32_t jd = (uint32_t)p[8] | (uint32_t)p[9] << 8 | (uint32_t)p[10] << 16 | (uint32_t)p[11] << 24;
    int64_t day = (int64_t)(int32_t)jd - 2440588; /* 2440588: Julian day of 1970-01-01 */
    int64_t ns = (int64_t)nanos;
    int64_t us = ns / 1000; /* truncated, as Spark does */
    uint64_t t = (uint64_t)day * (uint64_t)VL_US_PER_DAY + (uint64_t)us;
    return t <= (uint64_t)INT64_MAX ? (int64_t)t : -(int64_t)(~t) - 1;
}

static bool is_string_like(const vl_pq_node *n) {
    int32_t k = n->logical.kind;
    return n->physical == VL_PQ_T_BYTE_ARRAY &&
           (k == VL_PQ_LT_STRING || k == VL_PQ_LT_ENUM || k == VL_PQ_LT_JSON);
}

/* One present leaf value. */
static int emit_leaf_value(rows *R, const vl_pq_node *n, cursor *c) {
    const vl_pq_column *col = c->col;
    if (c->vi >= col->n_values)
        return vl_error_set(R->err, VL_ECORRUPT, "column '%.*s' has fewer values than its levels say",
                            (int)n->name.n, n->name.p);
    size_t i = c->vi++;
    const vl_pq_logical_type *lt = &n->logical;
    switch (n->physical) {
    case VL_PQ_T_BOOLEAN:
        return col->v.b[i] ? PUTS(R, "true") : PUTS(R, "false");
    case VL_PQ_T_INT32: {
        int32_t v = col->v.i32[i];
        if (lt->kind == VL_PQ_LT_DATE) {
            char tmp[16];
            int64_t y;
            unsigned m, d;
            vl_civil_from_days(v, &y, &m, &d);
            if (y < 0 || y > 9999) { /* ISO 8601 expanded year, as for timestamps */
                char big[40];
                int bn = snprintf(big, sizeof(big), "\"%+07lld-%02u-%02u\"", (long long)y, m, d);
                return put(R, big, (size_t)bn);
            }
            tmp[0] = '"';
            vl_date_format(tmp + 1, v);
            tmp[11] = '"';
            return put(R, tmp, 12);
        }
        if (lt->kind == VL_PQ_LT_DECIMAL) return put_decimal_i64(R, v, lt->scale);
        if (lt->kind == VL_PQ_LT_INTEGER && !lt->is_signed) return put_uint(R, (uint32_t)v);
        if (lt->kind == VL_PQ_LT_TIME) return put_time(R, (int64_t)v * 1000);
        return put_int(R, v);
    }
    case VL_PQ_T_INT64: {
        int64_t v = col->v.i64[i];
        if (lt->kind == VL_PQ_LT_TIMESTAMP) return put_ts(R, v, lt->unit, lt->is_adjusted_to_utc);
        if (lt->kind == VL_PQ_LT_DECIMAL) return put_decimal_i64(R, v, lt->scale);
        if (lt->kind == VL_PQ_LT_INTEGER && !lt->is_signed) return put_uint(R, (uint64_t)v);
        if (lt->kind == VL_PQ_LT_TIME) return put_time(R, time_us(v, lt->unit));
        return put_int(R, v);
    }
    case VL_PQ_T_FLOAT:
        return put_float(R, col->v.f32[i]);
    case VL_PQ_T_DOUBLE:
        return put_double(R, col->v.f64[i]);
    case VL_PQ_T_INT96: {
        vl_sv s = col->v.bin[i];
        if (s.n != 12) return PUTS(R, "null");
        return put_ts(R, int96_to_us((const uint8_t *)s.p), VL_PQ_UNIT_MICROS, true);
    }
    case VL_PQ_T_BYTE_ARRAY:
    case VL_PQ_T_FIXED_LEN_BYTE_ARRAY: {
        vl_sv s = col->v.bin[i];
        const uint8_t *p = (const uint8_t *)s.p;
        if (lt->kind == VL_PQ_LT_DECIMAL) return put_decimal_be(R, p, s.n, lt->scale);
        if (is_string_like(n) || (n->physical == VL_PQ_T_FIXED_LEN_BYTE_ARRAY && lt->kind == VL_PQ_LT_STRING))
            return put_string(R, s.p, s.n);
        if (lt->kind == VL_PQ_LT_FLOAT16 && s.n == 2)
            return put_double(R, vl_pq_f16_to_double((uint16_t)(p[0] | p[1] << 8)));
        if (lt->kind == VL_PQ_LT_UUID && s.n == 16) {
            static const char hex[] = "0123456789abcdef";
            char u[38];
            size_t o = 0;
            u[o++] = '"';
            for (int k = 0; k < 16; k++) {
                if (k == 4 || k == 6 || k == 8 || k == 10) u[o++] = '-';
                u[o++] = hex[p[k] >> 4];
                u[o++] = hex[p[k] & 15];
            }
            u[o++] = '"';
            return put(R, u, o);
        }
        return put_base64(R, p, s.n);
    }
    }
    return PUTS(R, "null");
}

static int emit_field(rows *R, const vl_pq_node *n, int depth);

/* The element of a list whose repeated node is rep: its single child in the
 * three-level form, or rep itself in the legacy two-level forms. */
static const vl_pq_node *list_element(const vl_pq_node *list, const vl_pq_node *rep) {
    if (rep->leaf >= 0 || rep->n_children != 1) return rep;
    /* legacy: a repeated group named "array" or "<list>_tuple" is the element */
    if ((rep->name.n == 5 && memcmp(rep->name.p, "array", 5) == 0) ||
        (rep->name.n == list->name.n + 6 && memcmp(rep->name.p, list->name.p, list->name.n) == 0 &&
         memcmp(rep->name.p + list->name.n, "_tuple", 6) == 0))
        return rep;
    return &rep->children[0];
}

static int emit_value(rows *R, const vl_pq_node *n, int depth);

/* The occurrences of repeated node rep, each written by emitting `elem`
 * (rep itself, or its single child). */
static int emit_repeated(rows *R, const vl_pq_node *rep, const vl_pq_node *elem, int depth,
                         bool as_map) {
    cursor *c = &R->cur[first_leaf(rep)->leaf];
    /* maps with string keys print as objects */
    const vl_pq_node *key = NULL, *val = NULL;
    bool object = false;
    if (as_map) {
        key = rep->n_children >= 1 ? &rep->children[0] : NULL;
        val = rep->n_children >= 2 ? &rep->children[1] : NULL;
        object = key && key->leaf >= 0 && is_string_like(key) && val;
    }
    if (def_at(c) < rep->max_def) { /* no occurrence: empty, in the map's own shape */
        VL_RETURN_IF_ERR(object ? PUTS(R, "{}") : PUTS(R, "[]"));
        return skip_entry(R, rep);
    }
    VL_RETURN_IF_ERR(object ? PUTS(R, "{") : PUTS(R, "["));
    for (bool first = true;; first = false) {
        if (!first) VL_RETURN_IF_ERR(PUTS(R, ","));
        if (as_map && key && val) {
            if (!object) VL_RETURN_IF_ERR(PUTS(R, "["));
            cursor *kc = &R->cur[key->leaf >= 0 ? key->leaf : first_leaf(key)->leaf];
            if (object && def_at(kc) < key->max_def) { /* a null key (broken writers) */
                VL_RETURN_IF_ERR(PUTS(R, "\"\""));
                VL_RETURN_IF_ERR(skip_entry(R, key));
            } else {
                VL_RETURN_IF_ERR(emit_field(R, key, depth + 1));
            }
            VL_RETURN_IF_ERR(object ? PUTS(R, ":") : PUTS(R, ","));
            VL_RETURN_IF_ERR(emit_field(R, val, depth + 1));
            for (uint32_t k = 2; k < rep->n_children; k++) VL_RETURN_IF_ERR(skip_entry(R, &rep->children[k]));
            if (!object) VL_RETURN_IF_ERR(PUTS(R, "]"));
        } else if (elem == rep) {
            VL_RETURN_IF_ERR(emit_value(R, rep, depth + 1));
        } else {
            VL_RETURN_IF_ERR(emit_field(R, elem, depth + 1));
        }
        if (c->li >= c->col->n || rep_at(c) != rep->max_rep) break;
    }
    return object ? PUTS(R, "}") : PUTS(R, "]");
}

/* One occurrence of a present node. */
static int emit_value(rows *R, const vl_pq_node *n, int depth) {
    if (depth > 128) return vl_error_set(R->err, VL_ECORRUPT, "nesting too deep");
    if (n->leaf >= 0) {
        cursor *c = &R->cur[n->leaf];
        if (c->li >= c->col->n)
            return vl_error_set(R->err, VL_ECORRUPT, "column '%.*s' has fewer level entries than rows",
                                (int)n->name.n, n->name.p);
        int rc;
        if (def_at(c) == n->max_def) rc = emit_leaf_value(R, n, c);
        else rc = PUTS(R, "null"); /* a null element (e.g. inside a repeated leaf's parent) */
        c->li++;
        return rc;
    }
    int32_t k = n->logical.kind;
    bool list = k == VL_PQ_LT_LIST, map = k == VL_PQ_LT_MAP;
    if ((list || map) && n->n_children == 1 && n->children[0].repetition == VL_PQ_REP_REPEATED) {
        const vl_pq_node *rep = &n->children[0];
        /* a key_value with a key and no value (map_no_value.parquet, non-
         * standard) is read as the list of its keys */
        if (map && rep->n_children == 1) return emit_repeated(R, rep, &rep->children[0], depth, false);
        if (map && rep->n_children >= 2) return emit_repeated(R, rep, rep, depth, true);
        return emit_repeated(R, rep, list_element(n, rep), depth, false);
    }
    VL_RETURN_IF_ERR(PUTS(R, "{"));
    for (uint32_t i = 0; i < n->n_children; i++) {
        if (i) VL_RETURN_IF_ERR(PUTS(R, ","));
        VL_RETURN_IF_ERR(put_string(R, n->children[i].name.p, n->children[i].name.n));
        VL_RETURN_IF_ERR(PUTS(R, ":"));
        VL_RETURN_IF_ERR(emit_field(R, &n->children[i], depth + 1));
    }
    return PUTS(R, "}");
}

/* A field: null, a value, or for an unannotated repeated field an array. */
static int emit_field(rows *R, const vl_pq_node *n, int depth) {
    if (depth > 128) return vl_error_set(R->err, VL_ECORRUPT, "nesting too deep");
    if (n->repetition == VL_PQ_REP_REPEATED) return emit_repeated(R, n, n, depth, false);
    cursor *c = &R->cur[first_leaf(n)->leaf];
    if (c->li >= c->col->n)
        return vl_error_set(R->err, VL_ECORRUPT, "column '%.*s' has fewer level entries than rows",
                            (int)n->name.n, n->name.p);
    if (n->repetition == VL_PQ_REP_OPTIONAL && def_at(c) < n->max_def) {
        VL_RETURN_IF_ERR(PUTS(R, "null"));
        return skip_entry(R, n);
    }
    return emit_value(R, n, depth);
}

/* ------------------------------------------------------------------ driver */

static void collect_leaves(const vl_pq_node *n, bool *want) {
    if (n->leaf >= 0) {
        want[n->leaf] = true;
        return;
    }
    for (uint32_t i = 0; i < n->n_children; i++) collect_leaves(&n->children[i], want);
}

/* CSV: a field's JSON rendering becomes a CSV cell (RFC 4180): null is
 * empty, a plain JSON string is unescaped, anything else is kept as JSON
 * text; cells with a comma, quote or line break are quoted. */
static int json_to_csv_cell(vl_buf *out, const char *p, size_t n, vl_error *err) {
    vl_buf raw;
    vl_buf_init(&raw);
    int rc = VL_OK;
    if (n == 4 && memcmp(p, "null", 4) == 0) return VL_OK;
    if (n >= 2 && p[0] == '"') {
        /* our own escaping: \" \\ \n \r \t \b \f \u00XX */
        for (size_t i = 1; i + 1 < n && rc == VL_OK; i++) {
            char ch = p[i];
            if (ch == '\\' && i + 2 < n) {
                char e = p[++i];
                if (e == 'u' && i + 4 < n) {
                    unsigned v = 0;
                    for (int k = 1; k <= 4; k++) {
                        char h = p[i + k];
                        v = v * 16 + (unsigned)(h <= '9' ? h - '0' : (h | 0x20) - 'a' + 10);
                    }
                    i += 4;
                    ch = (char)v;
                } else {
                    ch = e == 'n' ? '\n' : e == 'r' ? '\r' : e == 't' ? '\t' : e == 'b' ? '\b' : e == 'f' ? '\f' : e;
                }
            }
            rc = vl_buf_putc(&raw, ch);
        }
    } else {
        rc = vl_buf_append(&raw, p, n);
    }
    bool quote = false;
    for (size_t i = 0; i < raw.n; i++)
        if (raw.p[i] == ',' || raw.p[i] == '"' || raw.p[i] == '\n' || raw.p[i] == '\r') quote = true;
    if (rc == VL_OK && quote) rc = vl_buf_putc(out, '"');
    for (size_t i = 0; rc == VL_OK && i < raw.n; i++) {
        if (raw.p[i] == '"') rc = vl_buf_putc(out, '"');
        if (rc == VL_OK) rc = vl_buf_putc(out, raw.p[i]);
    }
    if (rc == VL_OK && quote) rc = vl_buf_putc(out, '"');
    vl_buf_free(&raw);
    if (rc) return vl_error_set(err, VL_ENOMEM, "out of memory");
    return VL_OK;
}

/* The columns of one row group, read for a selection of fields. */
typedef struct prepared {
    bool *want;
    cursor *cur;
    vl_pq_column *cols;
    vl_arena own; /* when the caller lends no arena */
    vl_arena *a;
    int64_t rows_n;
} prepared;

static void prepared_free(prepared *P) {
    vl_arena_destroy(&P->own);
    vl_free(P->cols);
    vl_free(P->cur);
    vl_free(P->want);
}

static int prepare(vl_pq_reader *r, uint32_t rg, const bool *fields, vl_arena *scratch, prepared *P,
                   vl_error *err) {
    const vl_pq_schema *s = vl_pq_reader_schema(r);
    const vl_pq_file_meta *m = vl_pq_reader_meta(r);
    memset(P, 0, sizeof(*P));
    vl_arena_init(&P->own, 1 << 16);
    P->a = scratch ? scratch : &P->own;
    if (scratch) vl_arena_reset(scratch);
    if (rg >= m->n_row_groups) return vl_error_set(err, VL_EINVAL, "no row group %u", rg);
    const vl_pq_node *root = s->root;
    P->want = vl_calloc(s->n_leaves + 1, sizeof(bool));
    P->cur = vl_calloc(s->n_leaves + 1, sizeof(cursor));
    P->cols = vl_calloc(s->n_leaves + 1, sizeof(vl_pq_column));
    if (!P->want || !P->cur || !P->cols) return vl_error_set(err, VL_ENOMEM, "out of memory");
    bool *want = P->want;
    vl_pq_column *cols = P->cols;
    for (uint32_t i = 0; i < root->n_children; i++)
        if (!fields || fields[i]) collect_leaves(&root->children[i], want);
    for (uint32_t l = 0; l < s->n_leaves; l++) {
        if (!want[l]) continue;
        VL_RETURN_IF_ERR(vl_pq_read_column(r, rg, l, P->a, &cols[l], err));
        P->cur[l].col = &cols[l];
    }
    /* rows: entries with repetition level 0 in the first selected leaf */
    int64_t rows_n = m->row_groups[rg].num_rows;
    uint32_t any = UINT32_MAX;
    for (uint32_t l = 0; l < s->n_leaves; l++)
        if (want[l]) {
            any = l;
            break;
        }
    if (any == UINT32_MAX && s->n_leaves > 0) {
        /* no column selected: the rows are still those the data holds, not
         * what the footer claims, so count them in the first leaf */
        VL_RETURN_IF_ERR(vl_pq_read_column(r, rg, 0, P->a, &cols[0], err));
        any = 0;
    } else if (any == UINT32_MAX) {
        /* a schema without columns holds no data to count rows in; a footer
         * claiming rows anyway is not trusted (it could claim 2^63) */
        rows_n = 0;
    }
    if (any != UINT32_MAX) {
        const vl_pq_column *c0 = &cols[any];
        size_t starts = 0;
        for (size_t i = 0; i < c0->n; i++) starts += !c0->rep || c0->rep[i] == 0;
        /* trust the data over the footer (some writers get num_rows wrong),
         * but every selected leaf must agree */
        rows_n = (int64_t)starts;
        for (uint32_t l = 0; l < s->n_leaves; l++) {
            if (!want[l] || l == any) continue;
            size_t st = 0;
            for (size_t i = 0; i < cols[l].n; i++) st += !cols[l].rep || cols[l].rep[i] == 0;
            if ((int64_t)st != rows_n)
                return vl_error_set(err, VL_ECORRUPT,
                                    "row group %u: columns disagree on the number of rows (%zu and %lld)",
                                    rg, st, (long long)rows_n);
        }
    }
    P->rows_n = rows_n;
    return VL_OK;
}

int vl_pq_json_to_csv_cell(vl_buf *out, const char *p, size_t n, vl_error *err) {
    return json_to_csv_cell(out, p, n, err);
}

int vl_pq_rows_cells(vl_pq_reader *r, uint32_t rg, const bool *fields, vl_arena *scratch, vl_pq_cells_cb cb,
                     void *ctx, int64_t *rows_out, vl_error *err) {
    const vl_pq_node *root = vl_pq_reader_schema(r)->root;
    prepared P;
    int rc = prepare(r, rg, fields, scratch, &P, err);
    if (rows_out) *rows_out = 0;
    vl_buf text;
    vl_buf_init(&text);
    size_t *ends = vl_calloc(root->n_children + 1, sizeof(size_t));
    vl_sv *cells = vl_calloc(root->n_children + 1, sizeof(vl_sv));
    if (rc == VL_OK && (!ends || !cells)) rc = vl_error_set(err, VL_ENOMEM, "out of memory");
    rows R = {.r = r, .cur = P.cur, .out = &text, .err = err};
    for (int64_t row = 0; rc == VL_OK && row < P.rows_n; row++) {
        vl_buf_clear(&text);
        for (uint32_t i = 0; i < root->n_children && rc == VL_OK; i++) {
            if (!fields || fields[i]) rc = emit_field(&R, &root->children[i], 0);
            ends[i] = text.n;
        }
        if (rc) break;
        size_t at = 0;
        for (uint32_t i = 0; i < root->n_children; i++) {
            cells[i] = vl_sv_make(text.p ? text.p + at : "", ends[i] - at);
            at = ends[i];
        }
        rc = cb(ctx, cells, err);
        if (rc == VL_PQ_STOP) {
            rc = VL_OK;
            break;
        }
        if (rows_out) (*rows_out)++;
    }
    vl_free(cells);
    vl_free(ends);
    vl_buf_free(&text);
    prepared_free(&P);
    return rc;
}

int vl_pq_rows_write(vl_pq_reader *r, uint32_t rg, const bool *fields, int format, int64_t skip,
                     int64_t limit, vl_pq_row_sink sink, void *ctx, int64_t *written, vl_error *err) {
    const vl_pq_node *root = vl_pq_reader_schema(r)->root;
    *written = 0;
    prepared P;
    vl_buf line, cell;
    vl_buf_init(&line);
    vl_buf_init(&cell);
    int rc = prepare(r, rg, fields, NULL, &P, err);
    if (rc) goto done;
    int64_t rows_n = P.rows_n;
    rows R = {.r = r, .cur = P.cur, .out = &line, .err = err};
    for (int64_t row = 0; row < rows_n && rc == VL_OK; row++) {
        vl_buf_clear(&line);
        bool emit = row >= skip && (limit < 0 || *written < limit);
        if (format == VL_PQ_ROWS_CSV) {
            vl_buf_clear(&cell);
            R.out = &cell;
        }
        if (format == VL_PQ_ROWS_NDJSON) rc = PUTS(&R, "{");
        bool first = true;
        for (uint32_t i = 0; i < root->n_children && rc == VL_OK; i++) {
            if (fields && !fields[i]) continue;
            const vl_pq_node *f = &root->children[i];
            if (format == VL_PQ_ROWS_NDJSON) {
                if (!first) rc = PUTS(&R, ",");
                if (rc == VL_OK) rc = put_string(&R, f->name.p, f->name.n);
                if (rc == VL_OK) rc = PUTS(&R, ":");
                if (rc == VL_OK) rc = emit_field(&R, f, 0);
            } else {
                size_t mark = cell.n;
                rc = emit_field(&R, f, 0);
                if (rc == VL_OK && !first && vl_buf_putc(&line, ',') != VL_OK) rc = VL_ENOMEM;
                if (rc == VL_OK) rc = json_to_csv_cell(&line, cell.p + mark, cell.n - mark, err);
            }
            first = false;
        }
        if (rc == VL_OK && format == VL_PQ_ROWS_NDJSON) rc = PUTS(&R, "}");
        if (rc == VL_OK && vl_buf_putc(&line, '\n') != VL_OK) rc = vl_error_set(err, VL_ENOMEM, "out of memory");
        if (rc == VL_OK && emit) {
            rc = sink(ctx, line.p, line.n, err);
            (*written)++;
        }
        if (limit >= 0 && *written >= limit) break;
    }
done:
    vl_buf_free(&line);
    vl_buf_free(&cell);
    prepared_free(&P);
    return rc;
}
