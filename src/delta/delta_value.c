/* vidlake - Apache-2.0 */
/*
 * Scalar values of Delta primitive types: partition value strings
 * (PROTOCOL.md "Partition Value Serialization") to typed values and back,
 * JSON cells for scan output, ordering, Hive partition directory names and
 * the percent-encoding of add.path.
 *
 * Representation (vl_delta_value): integers of every width, booleans (0/1),
 * dates (days), timestamps (µs, UTC or wall clock for timestamp_ntz) and
 * decimals of precision <= 18 (unscaled, at the type's scale) live in .i;
 * float and double in .d (a float is held as the double of the float);
 * strings and binary in .s, pointing at the caller's bytes (nothing here
 * allocates). A decimal of precision > 18 does not fit int64: .s keeps its
 * text (validated against precision and scale) and .i is 0; comparisons and
 * formatting work on the text.
 *
 * Formats, as Spark writes partition values and as the golden tables show
 * (data-reader-partition-values, kernel-timestamp-INT96):
 *   timestamp   "2021-09-08 11:11:11", "2020-01-01 08:09:10.001" (the
 *               fraction without trailing zeros, dropped when zero)
 *   float       "1.0", "0.5", "NaN", "Infinity" (Java's ".0" on integral
 *               values; plain digits instead of Java's "1.0E10" notation,
 *               which every reader also accepts)
 *   decimal     "12.50": exactly `scale` fraction digits
 * Parsing is more lenient than formatting: ISO-8601 timestamps with 'T' and a
 * zone ("1970-01-01T00:00:00.000000Z", "+02:00"), a bare date for a
 * timestamp (midnight), decimals with an exponent ("1.5E+2", as Java's
 * BigDecimal.toString may write), booleans in any case.
 *
 * Not done here: JSON-typed values (vl_delta_value_from_json, in the
 * shredder) and time zones other than UTC.
 */
#include "delta/delta.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Longest value text quoted in an error message. */
#define MSG_TEXT_MAX 64
/* Longest decimal or number text accepted: 38 digits of the widest Spark
 * decimal plus sign, point, exponent and some leading zeros. */
#define NUM_TEXT_MAX 128
/* Largest decimal exponent accepted ("1E+999999" is refused, not looped on). */
#define DEC_EXP_MAX 100000

/* ------------------------------------------------------------ type names */

/* The Spark name of a primitive type, for messages ("decimal(5,2)"). */
static const char *kind_name(const vl_dt_type *t, char buf[32]) {
    switch (t->kind) {
    case VL_DT_STRING: return "string";
    case VL_DT_LONG: return "long";
    case VL_DT_INTEGER: return "integer";
    case VL_DT_SHORT: return "short";
    case VL_DT_BYTE: return "byte";
    case VL_DT_FLOAT: return "float";
    case VL_DT_DOUBLE: return "double";
    case VL_DT_BOOLEAN: return "boolean";
    case VL_DT_BINARY: return "binary";
    case VL_DT_DATE: return "date";
    case VL_DT_TIMESTAMP: return "timestamp";
    case VL_DT_TIMESTAMP_NTZ: return "timestamp_ntz";
    case VL_DT_DECIMAL:
        snprintf(buf, 32, "decimal(%d,%d)", (int)t->precision, (int)t->scale);
        return buf;
    case VL_DT_STRUCT: return "struct";
    case VL_DT_ARRAY: return "array";
    case VL_DT_MAP: return "map";
    }
    return "unknown";
}

static int bad_value(vl_error *err, const vl_dt_type *t, const char *s, size_t n, const char *why) {
    char tb[32];
    int shown = n > MSG_TEXT_MAX ? MSG_TEXT_MAX : (int)n;
    return vl_error_set(err, VL_ECORRUPT, "'%.*s%s' is not a valid %s%s%s%s", shown, s,
                        n > MSG_TEXT_MAX ? "..." : "", kind_name(t, tb), why ? " (" : "",
                        why ? why : "", why ? ")" : "");
}

/* -------------------------------------------------------------- decimals */

/*
 * A decimal text in canonical form: value = (neg ? -1 : 1) * 0.D * 10^point,
 * where D is the digit string ip[0..in) ++ fp[0..fn) restricted to positions
 * [lo, hi): leading and trailing zeros stripped, so D is empty for zero and
 * otherwise starts and ends with a nonzero digit. Points into the text.
 */
typedef struct dec_txt {
    bool neg;
    const char *ip, *fp;
    size_t in, fn;
    size_t lo, hi;
    int64_t point;
} dec_txt;

static char dec_digit(const dec_txt *d, size_t k) { return k < d->in ? d->ip[k] : d->fp[k - d->in]; }
static size_t dec_ndigits(const dec_txt *d) { return d->hi - d->lo; }

/* The digit at decimal position j (10^j) of |value|, '0' outside D. */
static char dec_digit_at(const dec_txt *d, int64_t j) {
    int64_t k = d->point - 1 - j; /* index into D */
    if (k < 0 || k >= (int64_t)dec_ndigits(d)) return '0';
    return dec_digit(d, d->lo + (size_t)k);
}

/* Parses [+-]digits[.digits][(e|E)[+-]digits] (at least one digit before
 * the exponent). @return NULL on success or why it is not a decimal. */
static const char *dec_scan(const char *s, size_t n, dec_txt *d) {
    memset(d, 0, sizeof(*d));
    size_t i = 0;
    if (n > NUM_TEXT_MAX) return "too long";
    if (i < n && (s[i] == '+' || s[i] == '-')) d->neg = s[i++] == '-';
    d->ip = s + i;
    while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    d->in = (size_t)(s + i - d->ip);
    d->fp = s + i;
    if (i < n && s[i] == '.') {
        i++;
        d->fp = s + i;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
        d->fn = (size_t)(s + i - d->fp);
    }
    if (d->in + d->fn == 0) return "no digits";
    int64_t exp = 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool eneg = false;
        if (i < n && (s[i] == '+' || s[i] == '-')) eneg = s[i++] == '-';
        if (i == n) return "no digits in the exponent";
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            exp = exp * 10 + (s[i++] - '0');
            if (exp > DEC_EXP_MAX) return "exponent out of range";
        }
        if (eneg) exp = -exp;
    }
    if (i != n) return "unexpected characters";
    size_t total = d->in + d->fn;
    d->lo = 0;
    while (d->lo < total && dec_digit(d, d->lo) == '0') d->lo++;
    d->hi = total;
    while (d->hi > d->lo && dec_digit(d, d->hi - 1) == '0') d->hi--;
    d->point = (int64_t)d->in - (int64_t)d->lo + exp;
    if (d->lo == d->hi) { /* zero: -0 and 0E99 are 0 */
        d->neg = false;
        d->point = 0;
    }
    return NULL;
}

/* Checks that d fits decimal(precision, scale) exactly. */
static const char *dec_fit(const dec_txt *d, int32_t precision, int32_t scale) {
    if (dec_ndigits(d) == 0) return NULL;
    /* the lowest nonzero digit sits at position point - ndigits */
    if (d->point - (int64_t)dec_ndigits(d) < -(int64_t)scale) return "more fraction digits than the scale";
    if (d->point + (int64_t)scale > (int64_t)precision) return "more digits than the precision";
    return NULL;
}

/* The unscaled value at `scale` of a decimal that fits precision <= 18. */
static int64_t dec_unscaled(const dec_txt *d, int32_t scale) {
    int64_t v = 0;
    if (dec_ndigits(d) == 0) return 0;
    for (int64_t j = d->point - 1; j >= -(int64_t)scale; j--) v = v * 10 + (dec_digit_at(d, j) - '0');
    return d->neg ? -v : v;
}

/* Three-way comparison of two canonical decimals. */
static int dec_cmp(const dec_txt *a, const dec_txt *b) {
    bool az = dec_ndigits(a) == 0, bz = dec_ndigits(b) == 0;
    int sa = az ? 0 : a->neg ? -1 : 1, sb = bz ? 0 : b->neg ? -1 : 1;
    if (sa != sb) return sa < sb ? -1 : 1;
    if (sa == 0) return 0;
    int mag;
    if (a->point != b->point) {
        mag = a->point < b->point ? -1 : 1;
    } else {
        mag = 0;
        size_t na = dec_ndigits(a), nb = dec_ndigits(b), n = na > nb ? na : nb;
        for (size_t k = 0; k < n && mag == 0; k++) {
            char ca = k < na ? dec_digit(a, a->lo + k) : '0';
            char cb = k < nb ? dec_digit(b, b->lo + k) : '0';
            if (ca != cb) mag = ca < cb ? -1 : 1;
        }
    }
    return sa < 0 ? -mag : mag;
}

/* Appends d with exactly `scale` fraction digits (d fits the scale). */
static int dec_append(vl_buf *out, const dec_txt *d, int32_t scale) {
    int64_t top = d->point > 1 ? d->point - 1 : 0;
    if (top > NUM_TEXT_MAX + DEC_EXP_MAX) return VL_ERANGE;
    VL_RETURN_IF_ERR(vl_buf_reserve(out, (size_t)top + (size_t)scale + 3));
    if (d->neg) VL_RETURN_IF_ERR(vl_buf_putc(out, '-'));
    for (int64_t j = top; j >= -(int64_t)scale; j--) {
        if (j == -1) VL_RETURN_IF_ERR(vl_buf_putc(out, '.'));
        VL_RETURN_IF_ERR(vl_buf_putc(out, dec_digit_at(d, j)));
    }
    return VL_OK;
}

/* Appends an unscaled int64 at `scale`: 1250, 2 -> "12.50"; -5, 3 -> "-0.005". */
static int dec_append_i64(vl_buf *out, int64_t v, int32_t scale) {
    char digits[24];
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    size_t nd = vl_fmt_u64(digits, mag);
    if (scale < 0 || scale > 38) return VL_ERANGE;
    if (v < 0) VL_RETURN_IF_ERR(vl_buf_putc(out, '-'));
    size_t sc = (size_t)scale;
    if (nd <= sc) {
        VL_RETURN_IF_ERR(vl_buf_putc(out, '0'));
        VL_RETURN_IF_ERR(vl_buf_putc(out, '.'));
        for (size_t k = nd; k < sc; k++) VL_RETURN_IF_ERR(vl_buf_putc(out, '0'));
        return vl_buf_append(out, digits, nd);
    }
    VL_RETURN_IF_ERR(vl_buf_append(out, digits, nd - sc));
    if (sc == 0) return VL_OK;
    VL_RETURN_IF_ERR(vl_buf_putc(out, '.'));
    return vl_buf_append(out, digits + nd - sc, sc);
}

static bool dec_is_wide(const vl_dt_type *t) { return t->precision > 18; }

/* -------------------------------------------------------------- parsing */

static bool eq_nocase(const char *s, size_t n, const char *lit) {
    size_t k = strlen(lit);
    if (n != k) return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != lit[i]) return false;
    }
    return true;
}

/* Reads a float or double: Java's NaN/Infinity spellings or a C-locale
 * decimal number (no hex, no "inf"/"nan" words, no spaces). */
static const char *parse_real(const char *s, size_t n, bool is_float, double *out) {
    if (n == 3 && memcmp(s, "NaN", 3) == 0) { *out = NAN; return NULL; }
    if ((n == 8 && memcmp(s, "Infinity", 8) == 0) || (n == 9 && memcmp(s, "+Infinity", 9) == 0)) {
        *out = INFINITY;
        return NULL;
    }
    if (n == 9 && memcmp(s, "-Infinity", 9) == 0) { *out = -INFINITY; return NULL; }
    dec_txt d;
    const char *why = dec_scan(s, n, &d); /* same syntax as a decimal */
    if (why) return why;
    char tmp[NUM_TEXT_MAX + 1];
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    errno = 0;
    double v = strtod(tmp, NULL); /* overflow gives +-HUGE_VAL = infinity, as Java does */
    *out = is_float ? (double)(float)v : v;
    return NULL;
}

/* Timestamps: "YYYY-MM-DD", "YYYY-MM-DD HH:MM:SS[.f]" (a wall clock: UTC,
 * or no zone for ntz) or the same with 'T' and 'Z' / "+HH:MM" (not for ntz,
 * where only 'Z' is tolerated because our own JSON cells carry it). */
static const char *parse_ts(const char *s, size_t n, bool ntz, int64_t *us) {
    int64_t days;
    if (n == 10) {
        if (vl_date_parse(s, n, &days, NULL) != VL_OK) return "expected YYYY-MM-DD HH:MM:SS";
        *us = days * VL_US_PER_DAY;
        return NULL;
    }
    if (n < 19 || n > 48) return "expected YYYY-MM-DD HH:MM:SS";
    /* find where a zone would start: after the seconds and a fraction */
    size_t i = 19;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    }
    char tmp[64];
    memcpy(tmp, s, n);
    size_t m = n;
    if (i == n) {
        tmp[m++] = 'Z'; /* no zone: the wall clock is UTC */
    } else if (ntz && !(i + 1 == n && (s[i] == 'Z' || s[i] == 'z'))) {
        return "a timestamp without time zone cannot have a UTC offset";
    }
    vl_error e;
    if (vl_ts_parse(tmp, m, us, &e) != VL_OK) {
        static _Thread_local char why[sizeof(e.msg)];
        memcpy(why, e.msg, sizeof(why));
        return why;
    }
    return NULL;
}

static void int_range(vl_dt_kind k, int64_t *lo, int64_t *hi) {
    switch (k) {
    case VL_DT_INTEGER: *lo = INT32_MIN; *hi = INT32_MAX; break;
    case VL_DT_SHORT: *lo = INT16_MIN; *hi = INT16_MAX; break;
    case VL_DT_BYTE: *lo = INT8_MIN; *hi = INT8_MAX; break;
    default: *lo = INT64_MIN; *hi = INT64_MAX; break;
    }
}

int vl_delta_value_parse(const vl_dt_type *t, const char *s, size_t n, bool is_null,
                         vl_delta_value *out, vl_error *err) {
    memset(out, 0, sizeof(*out));
    out->s = vl_sv_make("", 0);
    if (t->kind == VL_DT_STRUCT || t->kind == VL_DT_ARRAY || t->kind == VL_DT_MAP) {
        char tb[32];
        return vl_error_set(err, VL_ENOTSUP, "a %s cannot be a partition value", kind_name(t, tb));
    }
    /* Spark writes an empty string partition value as null, so "" is null
     * for every type, strings included. */
    if (is_null || s == NULL || n == 0) {
        out->is_null = true;
        return VL_OK;
    }
    const char *why = NULL;
    switch (t->kind) {
    case VL_DT_STRING:
    case VL_DT_BINARY:
        out->s = vl_sv_make(s, n);
        return VL_OK;
    case VL_DT_LONG:
    case VL_DT_INTEGER:
    case VL_DT_SHORT:
    case VL_DT_BYTE: {
        int64_t lo, hi;
        int_range(t->kind, &lo, &hi);
        int rc = vl_parse_i64(s, n, &out->i);
        if (rc == VL_ERANGE || (rc == VL_OK && (out->i < lo || out->i > hi)))
            return bad_value(err, t, s, n, "out of range");
        if (rc != VL_OK) return bad_value(err, t, s, n, NULL);
        return VL_OK;
    }
    case VL_DT_FLOAT:
    case VL_DT_DOUBLE:
        why = parse_real(s, n, t->kind == VL_DT_FLOAT, &out->d);
        return why ? bad_value(err, t, s, n, NULL) : VL_OK;
    case VL_DT_BOOLEAN:
        if (eq_nocase(s, n, "true")) out->i = 1;
        else if (eq_nocase(s, n, "false")) out->i = 0;
        else return bad_value(err, t, s, n, NULL);
        return VL_OK;
    case VL_DT_DATE:
        if (vl_date_parse(s, n, &out->i, NULL) != VL_OK) return bad_value(err, t, s, n, "expected YYYY-MM-DD");
        return VL_OK;
    case VL_DT_TIMESTAMP:
    case VL_DT_TIMESTAMP_NTZ:
        why = parse_ts(s, n, t->kind == VL_DT_TIMESTAMP_NTZ, &out->i);
        return why ? bad_value(err, t, s, n, why) : VL_OK;
    case VL_DT_DECIMAL: {
        dec_txt d;
        if (t->precision < 1 || t->precision > 38 || t->scale < 0 || t->scale > t->precision)
            return bad_value(err, t, s, n, "bad decimal type");
        why = dec_scan(s, n, &d);
        if (!why) why = dec_fit(&d, t->precision, t->scale);
        if (why) return bad_value(err, t, s, n, why);
        if (dec_is_wide(t)) out->s = vl_sv_make(s, n);
        else out->i = dec_unscaled(&d, t->scale);
        return VL_OK;
    }
    case VL_DT_STRUCT:
    case VL_DT_ARRAY:
    case VL_DT_MAP:
        break;
    }
    return bad_value(err, t, s, n, "unknown type");
}

/* ------------------------------------------------------------ formatting */

/* Shortest text that reads back as the float f (6 to 9 significant digits
 * always suffice for a normal float; subnormals may need fewer). */
static size_t fmt_float(char *p, float f) {
    if (isnan(f) || isinf(f)) return vl_fmt_double(p, (double)f);
    char tmp[40];
    int n = 0;
    for (int prec = 1; prec <= 9; prec++) {
        n = snprintf(tmp, sizeof(tmp), "%.*g", prec, (double)f);
        if ((float)strtod(tmp, NULL) == f) break;
    }
    memcpy(p, tmp, (size_t)n);
    return (size_t)n;
}

static size_t fmt_real(char *p, const vl_dt_type *t, double d) {
    return t->kind == VL_DT_FLOAT ? fmt_float(p, (float)d) : vl_fmt_double(p, d);
}

/* Dates and timestamps are written for years 0000..9999 only. */
#define MIN_DAY INT64_C(-719528)  /* 0000-01-01 */
#define MAX_DAY INT64_C(2932896)  /* 9999-12-31 */

static bool day_ok(int64_t days) { return days >= MIN_DAY && days <= MAX_DAY; }

int vl_delta_value_format(const vl_dt_type *t, const vl_delta_value *v, vl_buf *out) {
    char tmp[48];
    size_t n;
    if (v->is_null) return VL_OK;
    switch (t->kind) {
    case VL_DT_STRING:
    case VL_DT_BINARY:
        return vl_buf_append(out, v->s.p, v->s.n);
    case VL_DT_LONG:
    case VL_DT_INTEGER:
    case VL_DT_SHORT:
    case VL_DT_BYTE:
        n = vl_fmt_i64(tmp, v->i);
        return vl_buf_append(out, tmp, n);
    case VL_DT_FLOAT:
    case VL_DT_DOUBLE:
        n = fmt_real(tmp, t, v->d);
        /* Java writes integral values with ".0" ("1.0"): do the same. */
        if (isfinite(v->d) && !memchr(tmp, '.', n) && !memchr(tmp, 'e', n)) {
            memcpy(tmp + n, ".0", 2);
            n += 2;
        }
        return vl_buf_append(out, tmp, n);
    case VL_DT_BOOLEAN:
        return vl_buf_puts(out, v->i ? "true" : "false");
    case VL_DT_DATE:
        if (!day_ok(v->i)) return VL_ERANGE;
        n = vl_date_format(tmp, v->i);
        return vl_buf_append(out, tmp, n);
    case VL_DT_TIMESTAMP:
    case VL_DT_TIMESTAMP_NTZ:
        if (!day_ok(vl_ts_day(v->i))) return VL_ERANGE;
        n = vl_ts_format(tmp, v->i); /* YYYY-MM-DDTHH:MM:SS.ffffffZ */
        tmp[10] = ' ';
        n = 26;                      /* drop the Z */
        while (tmp[n - 1] == '0') n--; /* trailing zeros of the fraction */
        if (tmp[n - 1] == '.') n--;
        return vl_buf_append(out, tmp, n);
    case VL_DT_DECIMAL:
        if (dec_is_wide(t)) {
            dec_txt d;
            if (dec_scan(v->s.p, v->s.n, &d) || dec_fit(&d, t->precision, t->scale)) return VL_EINVAL;
            return dec_append(out, &d, t->scale);
        }
        return dec_append_i64(out, v->i, t->scale);
    case VL_DT_STRUCT:
    case VL_DT_ARRAY:
    case VL_DT_MAP:
        break;
    }
    return VL_ENOTSUP;
}

static const char b64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Appends standard base64 (RFC 4648 section 4) with padding. */
static int b64_append(vl_buf *out, const unsigned char *p, size_t n) {
    if (n > (SIZE_MAX - 8) / 4 * 3) return VL_ENOMEM;
    VL_RETURN_IF_ERR(vl_buf_reserve(out, (n + 2) / 3 * 4));
    char *o = out->p + out->n;
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t w = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        *o++ = b64_alphabet[w >> 18];
        *o++ = b64_alphabet[(w >> 12) & 63];
        *o++ = b64_alphabet[(w >> 6) & 63];
        *o++ = b64_alphabet[w & 63];
    }
    if (i < n) {
        uint32_t w = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
        *o++ = b64_alphabet[w >> 18];
        *o++ = b64_alphabet[(w >> 12) & 63];
        *o++ = i + 1 < n ? b64_alphabet[(w >> 6) & 63] : '=';
        *o++ = '=';
    }
    out->n = (size_t)(o - out->p);
    return VL_OK;
}

int vl_delta_value_json(const vl_dt_type *t, const vl_delta_value *v, vl_buf *out) {
    char tmp[48];
    size_t n;
    if (v->is_null) return vl_buf_puts(out, "null");
    switch (t->kind) {
    case VL_DT_STRING:
        return vl_buf_json_str(out, v->s.p, v->s.n);
    case VL_DT_BINARY:
        VL_RETURN_IF_ERR(vl_buf_putc(out, '"'));
        VL_RETURN_IF_ERR(b64_append(out, (const unsigned char *)v->s.p, v->s.n));
        return vl_buf_putc(out, '"');
    case VL_DT_LONG:
    case VL_DT_INTEGER:
    case VL_DT_SHORT:
    case VL_DT_BYTE:
        n = vl_fmt_i64(tmp, v->i);
        return vl_buf_append(out, tmp, n);
    case VL_DT_FLOAT:
    case VL_DT_DOUBLE:
        n = fmt_real(tmp, t, v->d);
        if (!isfinite(v->d)) { /* "NaN", "Infinity", "-Infinity" as strings */
            VL_RETURN_IF_ERR(vl_buf_putc(out, '"'));
            VL_RETURN_IF_ERR(vl_buf_append(out, tmp, n));
            return vl_buf_putc(out, '"');
        }
        return vl_buf_append(out, tmp, n);
    case VL_DT_BOOLEAN:
        return vl_buf_puts(out, v->i ? "true" : "false");
    case VL_DT_DATE:
        if (!day_ok(v->i)) return VL_ERANGE;
        tmp[0] = '"';
        n = 1 + vl_date_format(tmp + 1, v->i);
        tmp[n++] = '"';
        return vl_buf_append(out, tmp, n);
    case VL_DT_TIMESTAMP:
    case VL_DT_TIMESTAMP_NTZ:
        if (!day_ok(vl_ts_day(v->i))) return VL_ERANGE;
        tmp[0] = '"';
        n = 1 + vl_ts_format(tmp + 1, v->i);
        tmp[n++] = '"';
        return vl_buf_append(out, tmp, n);
    case VL_DT_DECIMAL:
        VL_RETURN_IF_ERR(vl_buf_putc(out, '"'));
        VL_RETURN_IF_ERR(vl_delta_value_format(t, v, out));
        return vl_buf_putc(out, '"');
    case VL_DT_STRUCT:
    case VL_DT_ARRAY:
    case VL_DT_MAP:
        break;
    }
    return VL_ENOTSUP;
}

/* ------------------------------------------------------------ comparison */

static int cmp_bytes(vl_sv a, vl_sv b) {
    size_t n = a.n < b.n ? a.n : b.n;
    int c = n ? memcmp(a.p, b.p, n) : 0; /* memcmp compares as unsigned char */
    if (c) return c < 0 ? -1 : 1;
    return a.n < b.n ? -1 : a.n > b.n ? 1 : 0;
}

int vl_delta_value_cmp(const vl_dt_type *t, const vl_delta_value *a, const vl_delta_value *b) {
    switch (t->kind) {
    case VL_DT_STRING:
    case VL_DT_BINARY:
        return cmp_bytes(a->s, b->s);
    case VL_DT_FLOAT:
    case VL_DT_DOUBLE: {
        bool an = isnan(a->d), bn = isnan(b->d);
        if (an || bn) return an == bn ? 0 : an ? 1 : -1; /* NaN is greatest, equal to itself */
        return a->d < b->d ? -1 : a->d > b->d ? 1 : 0;   /* -0.0 == 0.0 */
    }
    case VL_DT_DECIMAL:
        if (dec_is_wide(t)) {
            dec_txt da, db;
            bool ba = dec_scan(a->s.p, a->s.n, &da) != NULL, bb = dec_scan(b->s.p, b->s.n, &db) != NULL;
            if (ba || bb) return ba == bb ? cmp_bytes(a->s, b->s) : ba ? 1 : -1; /* never from parse */
            return dec_cmp(&da, &db);
        }
        return a->i < b->i ? -1 : a->i > b->i ? 1 : 0;
    default:
        return a->i < b->i ? -1 : a->i > b->i ? 1 : 0;
    }
}

/* --------------------------------------------------------------- paths */

static const char hex_upper[] = "0123456789ABCDEF";

/* The characters Spark's ExternalCatalogUtils.escapePathName escapes in
 * partition directory names (the set Hive uses): controls 0x01-0x1F, 0x7F,
 * and " # % ' * / : = ? \ { [ ] ^. We escape NUL too (Spark does not list
 * it, but no file system or object store takes it). Space, '<', '>' and '|'
 * are escaped by Spark only on Windows; we do not (the golden tables keep
 * spaces as is; delta-rs's special-partition fixture "x=B%20B" shows the
 * Windows set). Bytes >= 0x80 (UTF-8) are kept. */
static bool hive_escapes(unsigned char c) {
    if (c < 0x20 || c == 0x7F) return true;
    switch (c) {
    case '"': case '#': case '%': case '\'': case '*': case '/': case ':':
    case '=': case '?': case '\\': case '{': case '[': case ']': case '^':
        return true;
    default:
        return false;
    }
}

static int hive_escape(vl_buf *out, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (hive_escapes(c)) {
            char e[3] = {'%', hex_upper[c >> 4], hex_upper[c & 15]};
            VL_RETURN_IF_ERR(vl_buf_append(out, e, 3));
        } else {
            VL_RETURN_IF_ERR(vl_buf_putc(out, (char)c));
        }
    }
    return VL_OK;
}

int vl_delta_partition_dir(vl_sv col, const char *value, size_t n, bool is_null, vl_buf *out) {
    VL_RETURN_IF_ERR(hive_escape(out, col.p, col.n));
    VL_RETURN_IF_ERR(vl_buf_putc(out, '='));
    /* an empty string is a null partition value for Spark as well */
    if (is_null || value == NULL || n == 0) return vl_buf_puts(out, "__HIVE_DEFAULT_PARTITION__");
    return hive_escape(out, value, n);
}

/* RFC 3986 pchar minus ':' plus '/': unreserved, sub-delims and '@'. ':'
 * is encoded because a relative reference whose first segment holds a ':'
 * would read as a scheme (RFC 3986 section 4.2); '%' always is. Everything
 * else, non-ASCII bytes included, becomes %XX. This reproduces what Spark
 * writes for Hive-escaped directories ("x=A%2FA" -> "x=A%252FA", "bar+%21"
 * dirs -> "bar+%252521", a space -> "%20"), except that Spark leaves
 * non-ASCII characters raw where we encode their UTF-8 bytes; both decode
 * to the same key. */
static bool path_keeps(unsigned char c) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
    switch (c) {
    case '-': case '.': case '_': case '~':                          /* unreserved */
    case '!': case '$': case '&': case '\'': case '(': case ')':
    case '*': case '+': case ',': case ';': case '=':                /* sub-delims */
    case '@': case '/':
        return true;
    default:
        return false;
    }
}

int vl_delta_path_encode(const char *p, size_t n, vl_buf *out) {
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (path_keeps(c)) {
            VL_RETURN_IF_ERR(vl_buf_putc(out, (char)c));
        } else {
            char e[3] = {'%', hex_upper[c >> 4], hex_upper[c & 15]};
            VL_RETURN_IF_ERR(vl_buf_append(out, e, 3));
        }
    }
    return VL_OK;
}

static int hex_val(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int vl_delta_path_decode(const char *p, size_t n, vl_buf *out, vl_error *err) {
    size_t start = out->n;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c == '%') {
            int hi = i + 1 < n ? hex_val(p[i + 1]) : -1;
            int lo = i + 2 < n ? hex_val(p[i + 2]) : -1;
            if (hi < 0 || lo < 0 || (hi | lo) == 0) {
                int shown = n > 200 ? 200 : (int)n;
                out->n = start;
                return vl_error_set(err, VL_ECORRUPT, "path '%.*s%s': %s at byte %zu", shown, p,
                                    n > 200 ? "..." : "",
                                    hi < 0 || lo < 0 ? "'%' not followed by two hex digits"
                                                     : "'%00' (a NUL byte)",
                                    i);
            }
            c = (char)(hi << 4 | lo);
            i += 2;
        } else if (c == '\0') {
            out->n = start;
            return vl_error_set(err, VL_ECORRUPT, "path has a NUL byte at byte %zu", i);
        }
        int rc = vl_buf_putc(out, c);
        if (rc != VL_OK) {
            out->n = start;
            return vl_error_set(err, rc, "out of memory decoding a path");
        }
    }
    return VL_OK;
}
