/* vidlake - Apache-2.0 */
/*
 * The event decoder: strict JSON (RFC 8259) and UTF-8 (RFC 3629), parsed
 * straight into a vl_event in one pass, driven by the schema table.
 *
 * Why not a general JSON library: ingest spends its time here. A DOM parser
 * allocates a node per value and then we would walk it again to validate.
 * This decoder knows the expected type of every known key, so it converts
 * each value as it is scanned, points strings without escapes straight into
 * the input (zero copy), scans strings 16 bytes at a time with SSE2 (a
 * portable 8-byte SWAR path elsewhere), and finds keys with a small
 * perfect-enough hash. Unknown members are syntax-checked and copied into
 * `extra` verbatim.
 *
 * Error precedence, so that every line gets one predictable reason:
 *   1. too_large; then structural errors in line order: invalid_utf8,
 *      malformed_json, not_object, trailing_data (a line that is not JSON is
 *      always reported as such, whatever else is wrong with it);
 *   2. the first field-level error in line order: duplicate_field,
 *      wrong_type, value_not_allowed, bad_timestamp, out_of_range;
 *   3. missing_field: the first missing required field in schema order,
 *      then fields required by the event type.
 * JSON null means absent. Nesting deeper than 64 levels is malformed.
 */
#include "event.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>


#define MAX_DEPTH 64

typedef struct dctx {
    const char *base, *p, *end;
    vl_reject *rj;
    vl_arena *arena;
    bool structural; /* a structural error is set: stop parsing */
    bool oom;
} dctx;

const char *vl_reject_reason_name(vl_reject_reason r) {
    static const char *const names[] = {
#define X(id, name) name,
        VL_REJECT_REASONS(X)
#undef X
    };
    return (unsigned)r < VL_RJ_COUNT ? names[r] : "unknown";
}

size_t vl_reject_key(const vl_reject *rj, char *out, size_t cap) {
    int n;
    if (rj->field >= 0 && rj->field < VL_F_COUNT)
        n = snprintf(out, cap, "%s:%s", vl_reject_reason_name(rj->reason),
                     vl_event_fields[rj->field].name);
    else
        n = snprintf(out, cap, "%s", vl_reject_reason_name(rj->reason));
    if (n < 0) return 0;
    return (size_t)n < cap ? (size_t)n : cap - 1;
}

void vl_decoder_init(vl_decoder *d) { vl_buf_init(&d->extra); }

void vl_decoder_free(vl_decoder *d) { vl_buf_free(&d->extra); }

/* ------------------------------------------------------------------ errors */

/* A structural error: always wins, ends the parse. */
static void fail(dctx *c, vl_reject_reason r, const char *at, const char *fmt, ...) VL_PRINTF(4, 5);
static void fail(dctx *c, vl_reject_reason r, const char *at, const char *fmt, ...) {
    if (c->structural) return;
    c->structural = true;
    vl_reject *rj = c->rj;
    rj->reason = r;
    rj->field = -1;
    rj->offset = (size_t)(at - c->base);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rj->detail, sizeof(rj->detail), fmt, ap);
    va_end(ap);
}

static void malformed(dctx *c, const char *at, const char *what) {
    fail(c, VL_RJ_MALFORMED_JSON, at, "malformed JSON at byte %zu: %s", (size_t)(at - c->base),
         what);
}

/* A field-level error: only the first one is kept. */
static void field_error(dctx *c, vl_reject_reason r, int field, const char *at, const char *fmt, ...)
    VL_PRINTF(5, 6);
static void field_error(dctx *c, vl_reject_reason r, int field, const char *at, const char *fmt,
                        ...) {
    vl_reject *rj = c->rj;
    if (c->structural || rj->reason != VL_RJ_NONE) return;
    rj->reason = r;
    rj->field = field;
    rj->offset = (size_t)(at - c->base);
    int n = snprintf(rj->detail, sizeof(rj->detail), "field '%s': ",
                     field >= 0 ? vl_event_fields[field].name : "?");
    if (n < 0 || (size_t)n >= sizeof(rj->detail)) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rj->detail + n, sizeof(rj->detail) - (size_t)n, fmt, ap);
    va_end(ap);
}

/* Quotes up to 40 bytes of a value for a message, printable ASCII only. */
static const char *snippet(char *buf, const char *p, size_t n) {
    size_t k = 0, i = 0;
    for (; i < n && k < 40; i++) {
        unsigned char ch = (unsigned char)p[i];
        buf[k++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
    }
    if (i < n) {
        memcpy(buf + k, "...", 3);
        k += 3;
    }
    buf[k] = '\0';
    return buf;
}

/* ----------------------------------------------------------------- scanning */

static inline void skip_ws(dctx *c) {
    const char *p = c->p, *e = c->end;
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
    c->p = p;
}

/*
 * Scans a string whose opening quote is at c->p. On success c->p is past the
 * closing quote, *raw is the bytes between the quotes and *escaped tells
 * whether they contain escapes (all of which are then known to be valid).
 */
static bool scan_string(dctx *c, vl_sv *raw, bool *escaped) {
    const char *start = c->p + 1, *p = start, *e = c->end;
    bool esc = false;
    for (;;) {
        p = vl_json_skip_plain(p, e);
        if (p >= e) {
            malformed(c, c->base + (c->end - c->base), "unterminated string");
            return false;
        }
        unsigned char ch = (unsigned char)*p;
        if (ch == '"') break;
        if (ch >= 0x80) {
            size_t len = vl_utf8_seq_len((const unsigned char *)p, (const unsigned char *)e);
            if (!len) {
                fail(c, VL_RJ_INVALID_UTF8, p, "invalid UTF-8 at byte %zu", (size_t)(p - c->base));
                return false;
            }
            p += len;
            continue;
        }
        if (ch < 0x20) {
            malformed(c, p, "control character in a string (must be escaped)");
            return false;
        }
        /* backslash */
        esc = true;
        if (e - p < 2) {
            malformed(c, p, "unterminated escape");
            return false;
        }
        switch (p[1]) {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
            p += 2;
            break;
        case 'u': {
            unsigned u;
            if (!vl_json_read_u4(p + 2, e, &u)) {
                malformed(c, p, "\\u must be followed by 4 hex digits");
                return false;
            }
            if (u >= 0xD800 && u <= 0xDBFF) {
                unsigned lo;
                if (e - p < 12 || p[6] != '\\' || p[7] != 'u' || !vl_json_read_u4(p + 8, e, &lo) ||
                    lo < 0xDC00 || lo > 0xDFFF) {
                    malformed(c, p, "unpaired UTF-16 surrogate in \\u escape");
                    return false;
                }
                p += 12;
            } else if (u >= 0xDC00 && u <= 0xDFFF) {
                malformed(c, p, "unpaired UTF-16 surrogate in \\u escape");
                return false;
            } else {
                p += 6;
            }
            break;
        }
        default:
            malformed(c, p, "invalid escape");
            return false;
        }
    }
    raw->p = start;
    raw->n = (size_t)(p - start);
    *escaped = esc;
    c->p = p + 1;
    return true;
}

/* A scanned number: its bytes, whether it is a whole number, and (when it
 * is and fits) its value. */
typedef struct {
    vl_sv raw;
    bool integer;
    bool overflow;
    int64_t value;
} number;

static bool scan_number(dctx *c, number *num) {
    const char *p = c->p, *e = c->end, *start = p;
    bool neg = false;
    if (p < e && *p == '-') {
        neg = true;
        p++;
    }
    if (p >= e || (unsigned)(*p - '0') > 9) {
        malformed(c, p, "expected a digit");
        return false;
    }
    uint64_t v = 0;
    bool ovf = false;
    if (*p == '0') {
        p++;
        if (p < e && (unsigned)(*p - '0') <= 9) {
            malformed(c, p, "leading zeros are not allowed");
            return false;
        }
    } else {
        while (p < e && (unsigned)(*p - '0') <= 9) {
            unsigned d = (unsigned)(*p - '0');
            if (v > (UINT64_C(9223372036854775808) - d) / 10) ovf = true;
            else v = v * 10 + d;
            p++;
        }
    }
    bool integer = true;
    if (p < e && *p == '.') {
        integer = false;
        p++;
        if (p >= e || (unsigned)(*p - '0') > 9) {
            malformed(c, p, "expected a digit after '.'");
            return false;
        }
        while (p < e && (unsigned)(*p - '0') <= 9) p++;
    }
    if (p < e && (*p == 'e' || *p == 'E')) {
        integer = false;
        p++;
        if (p < e && (*p == '+' || *p == '-')) p++;
        if (p >= e || (unsigned)(*p - '0') > 9) {
            malformed(c, p, "expected a digit in the exponent");
            return false;
        }
        while (p < e && (unsigned)(*p - '0') <= 9) p++;
    }
    if (!neg && v > (uint64_t)INT64_MAX) ovf = true;
    num->raw = (vl_sv){start, (size_t)(p - start)};
    num->integer = integer;
    num->overflow = ovf;
    num->value = neg ? (int64_t)(0 - v) : (int64_t)v;
    c->p = p;
    return true;
}

static bool scan_literal(dctx *c, const char *lit, size_t n) {
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, lit, n) != 0) {
        malformed(c, c->p, "unexpected character");
        return false;
    }
    c->p += n;
    return true;
}

/* At '{' or '[': consumes it; true (and the closer consumed) when the
 * container is empty. */
static bool open_container(dctx *c, char close) {
    c->p++;
    skip_ws(c);
    if (c->p < c->end && *c->p == close) {
        c->p++;
        return true;
    }
    return false;
}

/* Reads a member's `"key" :` and the whitespace after it; the key token
 * (quotes included) spans [*k0, *k1). */
static bool member_key(dctx *c, vl_sv *key, bool *esc, const char **k0, const char **k1) {
    skip_ws(c);
    if (c->p >= c->end || *c->p != '"') {
        malformed(c, c->p, c->p >= c->end ? "unexpected end, expected a key" : "expected a key string");
        return false;
    }
    *k0 = c->p;
    if (!scan_string(c, key, esc)) return false;
    *k1 = c->p;
    skip_ws(c);
    if (c->p >= c->end || *c->p != ':') {
        malformed(c, c->p, "expected ':' after a key");
        return false;
    }
    c->p++;
    skip_ws(c);
    return true;
}

/* After a member or an element: 1 when a ',' announces another, 0 at the
 * closer, -1 (malformed) otherwise. */
static int next_item(dctx *c, char close) {
    skip_ws(c);
    if (c->p < c->end && *c->p == ',') {
        c->p++;
        return 1;
    }
    if (c->p < c->end && *c->p == close) {
        c->p++;
        return 0;
    }
    bool end = c->p >= c->end;
    malformed(c, c->p, close == '}' ? (end ? "unexpected end, expected ',' or '}'" : "expected ',' or '}'")
                                    : (end ? "unexpected end, expected ',' or ']'" : "expected ',' or ']'"));
    return -1;
}

/* Syntax-checks any value at c->p and moves past it. */
static bool skip_value(dctx *c, int depth) {
    if (depth > MAX_DEPTH) {
        malformed(c, c->p, "nesting deeper than 64 levels");
        return false;
    }
    skip_ws(c);
    if (c->p >= c->end) {
        malformed(c, c->p, "unexpected end, expected a value");
        return false;
    }
    vl_sv raw;
    bool esc;
    number num;
    switch (*c->p) {
    case '"':
        return scan_string(c, &raw, &esc);
    case '{':
        if (open_container(c, '}')) return true;
        for (;;) {
            const char *k0, *k1;
            if (!member_key(c, &raw, &esc, &k0, &k1) || !skip_value(c, depth + 1)) return false;
            int more = next_item(c, '}');
            if (more <= 0) return more == 0;
        }
    case '[':
        if (open_container(c, ']')) return true;
        for (;;) {
            if (!skip_value(c, depth + 1)) return false;
            int more = next_item(c, ']');
            if (more <= 0) return more == 0;
        }
    case 't':
        return scan_literal(c, "true", 4);
    case 'f':
        return scan_literal(c, "false", 5);
    case 'n':
        return scan_literal(c, "null", 4);
    default:
        if (*c->p == '-' || (unsigned)(*c->p - '0') <= 9) return scan_number(c, &num);
        if ((unsigned char)*c->p >= 0x80 &&
            !vl_utf8_seq_len((const unsigned char *)c->p, (const unsigned char *)c->end)) {
            fail(c, VL_RJ_INVALID_UTF8, c->p, "invalid UTF-8 at byte %zu",
                 (size_t)(c->p - c->base));
            return false;
        }
        malformed(c, c->p, "unexpected character, expected a value");
        return false;
    }
}

/* --------------------------------------------------------------- key lookup */

/* Open addressing over 128 slots for 34 keys: a hash of the length and
 * three bytes is distinct for nearly all of them, so a lookup is one probe
 * and one memcmp. Built on first use (idempotent, benign under races). */
#define KEY_SLOTS 128
static int8_t key_slot[KEY_SLOTS];
static int key_table_built;

static inline unsigned key_hash(const char *p, size_t n) {
    unsigned h = (unsigned)n * 131u + (unsigned char)p[0] * 31u + (unsigned char)p[n - 1] * 7u +
                 (unsigned char)p[n / 2];
    return (h ^ (h >> 5)) & (KEY_SLOTS - 1);
}

static void build_key_table(void) {
    int8_t t[KEY_SLOTS];
    memset(t, -1, sizeof(t));
    for (int f = 0; f < VL_F_COUNT; f++) {
        unsigned h = key_hash(vl_event_fields[f].name, vl_event_fields[f].name_len);
        while (t[h] >= 0) h = (h + 1) & (KEY_SLOTS - 1);
        t[h] = (int8_t)f;
    }
    for (int i = 0; i < KEY_SLOTS; i++) __atomic_store_n(&key_slot[i], t[i], __ATOMIC_RELAXED);
    __atomic_store_n(&key_table_built, 1, __ATOMIC_RELEASE);
}

static inline int find_key(const char *p, size_t n) {
    if (n == 0 || n > 32) return -1;
    unsigned h = key_hash(p, n);
    for (;;) {
        int f = key_slot[h];
        if (f < 0) return -1;
        const vl_field *fd = &vl_event_fields[f];
        if (fd->name_len == n && memcmp(fd->name, p, n) == 0) return f;
        h = (h + 1) & (KEY_SLOTS - 1);
    }
}

/* ------------------------------------------------------------ typed values */

static const char *json_kind(char ch) {
    switch (ch) {
    case '"': return "a string";
    case '{': return "an object";
    case '[': return "an array";
    case 't': case 'f': return "a boolean";
    default: return "a number";
    }
}

static const char *type_word(vl_ftype t) {
    switch (t) {
    case VL_FT_STRING: case VL_FT_ENUM: return "a string";
    case VL_FT_TIMESTAMP: return "an RFC 3339 string or epoch milliseconds";
    case VL_FT_DATE: return "a date string YYYY-MM-DD";
    case VL_FT_INT32: case VL_FT_INT64: return "a whole number";
    case VL_FT_BOOL: return "true or false";
    case VL_FT_DOUBLE: return "a number";
    case VL_FT_JSON: return "an object";
    }
    return "?";
}

/* Gets a string value's bytes, unescaping into the arena when needed. */
static bool string_value(dctx *c, vl_sv raw, bool escaped, vl_sv *out) {
    if (!escaped) {
        *out = raw;
        return true;
    }
    char *mem = vl_arena_alloc(c->arena, raw.n ? raw.n : 1);
    if (!mem) {
        c->oom = true;
        c->structural = true;
        return false;
    }
    out->p = mem;
    out->n = vl_json_unescape(raw.p, raw.n, mem);
    return true;
}

static void check_range(dctx *c, int f, const char *at, int64_t v) {
    const vl_field *fd = &vl_event_fields[f];
    if (v < fd->min)
        field_error(c, VL_RJ_OUT_OF_RANGE, f, at, "%lld is below %lld", (long long)v,
                    (long long)fd->min);
    else if (v > fd->max)
        field_error(c, VL_RJ_OUT_OF_RANGE, f, at, "%lld is above %lld", (long long)v,
                    (long long)fd->max);
}

static void check_ts_range(dctx *c, int f, const char *at, int64_t us) {
    if (us < VL_TS_MIN || us >= VL_TS_MAX) {
        /* years 0001..9999 print as a date; beyond that just say so */
        char ts[32] = "the time";
        if (us >= INT64_C(-62135596800000000) && us <= INT64_C(253402300799999999))
            ts[vl_ts_format(ts, us)] = '\0';
        field_error(c, VL_RJ_OUT_OF_RANGE, f, at,
                    "%s is outside 2000-01-01 .. 2099-12-31 (epoch seconds sent as milliseconds?)",
                    ts);
    }
}

/* Appends the member whose key token is [k0, k1) and whose value runs from
 * v0 to c->p, verbatim, to the `extra` object being built. */
static bool add_extra(dctx *c, vl_decoder *d, const char *k0, const char *k1, const char *v0) {
    if (vl_buf_putc(&d->extra, d->extra.n ? ',' : '{') != VL_OK ||
        vl_buf_append(&d->extra, k0, (size_t)(k1 - k0)) != VL_OK ||
        vl_buf_putc(&d->extra, ':') != VL_OK ||
        vl_buf_append(&d->extra, v0, (size_t)(c->p - v0)) != VL_OK) {
        c->oom = c->structural = true;
        return false;
    }
    return true;
}

/* Parses the value of known field f at c->p into ev. */
static void field_value(dctx *c, vl_decoder *d, int f, vl_event *ev) {
    const vl_field *fd = &vl_event_fields[f];
    const char *at = c->p;
    char ch = *at;
    char snip[48];
    if (ch == 'n') { /* null: absent */
        scan_literal(c, "null", 4);
        if (!c->structural && (fd->flags & VL_FF_REQUIRED))
            field_error(c, VL_RJ_MISSING_FIELD, f, at, "required field is null");
        return;
    }
    switch (fd->type) {
    case VL_FT_STRING:
    case VL_FT_ENUM:
    case VL_FT_TIMESTAMP:
    case VL_FT_DATE:
        if (ch == '"') {
            vl_sv raw, s;
            bool esc;
            if (!scan_string(c, &raw, &esc) || !string_value(c, raw, esc, &s)) return;
            if (fd->type == VL_FT_STRING) {
                if (s.n < (size_t)fd->min) {
                    field_error(c, VL_RJ_OUT_OF_RANGE, f, at, "must not be empty");
                } else if (s.n > (size_t)fd->max) {
                    field_error(c, VL_RJ_OUT_OF_RANGE, f, at, "%zu bytes is longer than %lld", s.n,
                                (long long)fd->max);
                } else if ((fd->flags & VL_FF_COUNTRY) && !vl_country_valid(s.p, s.n)) {
                    field_error(c, VL_RJ_NOT_ALLOWED, f, at,
                                "'%s' is not an ISO 3166-1 alpha-2 country code",
                                snippet(snip, s.p, s.n));
                } else {
                    vl_event_set_s(ev, (vl_field_id)f, s.p, s.n);
                }
            } else if (fd->type == VL_FT_ENUM) {
                int k = vl_event_enum_find((vl_field_id)f, s.p, s.n);
                if (k < 0)
                    field_error(c, VL_RJ_NOT_ALLOWED, f, at, "'%s' is not an allowed value",
                                snippet(snip, s.p, s.n));
                else
                    vl_event_set_i(ev, (vl_field_id)f, k);
            } else if (fd->type == VL_FT_TIMESTAMP) {
                int64_t us;
                vl_error err;
                if (vl_ts_parse(s.p, s.n, &us, &err) != VL_OK) {
                    field_error(c, VL_RJ_BAD_TIMESTAMP, f, at, "bad timestamp \"%s\": %s",
                                snippet(snip, s.p, s.n), err.msg);
                } else {
                    check_ts_range(c, f, at, us);
                    vl_event_set_i(ev, (vl_field_id)f, us);
                }
            } else {
                int64_t days;
                vl_error err;
                if (vl_date_parse(s.p, s.n, &days, &err) != VL_OK)
                    field_error(c, VL_RJ_BAD_TIMESTAMP, f, at, "bad date \"%s\": %s",
                                snippet(snip, s.p, s.n), err.msg);
                else
                    vl_event_set_i(ev, (vl_field_id)f, days);
            }
            return;
        }
        if (fd->type == VL_FT_TIMESTAMP && (ch == '-' || (unsigned)(ch - '0') <= 9)) {
            number num;
            if (!scan_number(c, &num)) return;
            if (!num.integer || num.overflow) {
                field_error(c, VL_RJ_BAD_TIMESTAMP, f, at,
                            "epoch milliseconds must be a whole number, got %s",
                            snippet(snip, num.raw.p, num.raw.n));
                return;
            }
            if (num.value < INT64_MIN / 1000 || num.value > INT64_MAX / 1000) {
                check_ts_range(c, f, at, num.value < 0 ? INT64_MIN : INT64_MAX);
                return;
            }
            int64_t us = num.value * 1000;
            check_ts_range(c, f, at, us);
            vl_event_set_i(ev, (vl_field_id)f, us);
            return;
        }
        break;
    case VL_FT_INT32:
    case VL_FT_INT64:
        if (ch == '-' || (unsigned)(ch - '0') <= 9) {
            number num;
            if (!scan_number(c, &num)) return;
            if (!num.integer) {
                field_error(c, VL_RJ_WRONG_TYPE, f, at, "expected a whole number, got %s",
                            snippet(snip, num.raw.p, num.raw.n));
            } else if (num.overflow) {
                field_error(c, VL_RJ_OUT_OF_RANGE, f, at, "%s does not fit in 64 bits",
                            snippet(snip, num.raw.p, num.raw.n));
            } else {
                check_range(c, f, at, num.value);
                vl_event_set_i(ev, (vl_field_id)f, num.value);
            }
            return;
        }
        break;
    case VL_FT_DOUBLE:
        if (ch == '-' || (unsigned)(ch - '0') <= 9) {
            number num;
            if (!scan_number(c, &num)) return;
            char tmp[64];
            char *s = tmp;
            if (num.raw.n >= sizeof(tmp)) {
                s = vl_arena_alloc(c->arena, num.raw.n + 1);
                if (!s) {
                    c->oom = c->structural = true;
                    return;
                }
            }
            memcpy(s, num.raw.p, num.raw.n);
            s[num.raw.n] = '\0';
            double v = strtod(s, NULL);
            if (!isfinite(v) || v < (double)fd->min || v > (double)fd->max)
                field_error(c, VL_RJ_OUT_OF_RANGE, f, at, "%s is outside %lld .. %lld",
                            snippet(snip, num.raw.p, num.raw.n), (long long)fd->min,
                            (long long)fd->max);
            else
                vl_event_set_d(ev, (vl_field_id)f, v);
            return;
        }
        break;
    case VL_FT_BOOL:
        if (ch == 't' || ch == 'f') {
            bool v = ch == 't';
            if (scan_literal(c, v ? "true" : "false", v ? 4 : 5)) vl_event_set_i(ev, (vl_field_id)f, v);
            return;
        }
        break;
    case VL_FT_JSON:
        if (ch == '{') {
            /* members of an `extra` object join the unknown fields */
            if (open_container(c, '}')) return;
            for (;;) {
                const char *k0, *k1;
                vl_sv raw;
                bool esc;
                if (!member_key(c, &raw, &esc, &k0, &k1)) return;
                const char *v0 = c->p;
                if (!skip_value(c, 2) || !add_extra(c, d, k0, k1, v0)) return;
                if (next_item(c, '}') <= 0) return;
            }
        }
        break;
    }
    /* wrong JSON type: check the value's syntax, then report the type */
    if (!skip_value(c, 1)) return;
    field_error(c, VL_RJ_WRONG_TYPE, f, at, "expected %s, got %s", type_word(fd->type),
                json_kind(ch));
}

/* --------------------------------------------------------------- the object */

static void decode_object(dctx *c, vl_decoder *d, vl_event *ev) {
    if (open_container(c, '}')) return;
    for (;;) {
        const char *k0, *k1;
        vl_sv key;
        bool esc;
        if (!member_key(c, &key, &esc, &k0, &k1)) return;
        int f;
        if (VL_LIKELY(!esc)) {
            f = find_key(key.p, key.n);
        } else {
            char tmp[256];
            f = key.n <= sizeof(tmp) ? find_key(tmp, vl_json_unescape(key.p, key.n, tmp)) : -1;
        }
        if (c->p >= c->end) {
            malformed(c, c->p, "unexpected end, expected a value");
            return;
        }
        if (f >= 0) {
            if (VL_UNLIKELY(vl_event_has(ev, (vl_field_id)f))) {
                const char *at = c->p;
                if (!skip_value(c, 1)) return;
                field_error(c, VL_RJ_DUPLICATE_FIELD, f, at, "appears more than once");
            } else {
                field_value(c, d, f, ev);
                if (c->structural) return;
            }
        } else {
            const char *v0 = c->p;
            if (!skip_value(c, 1) || !add_extra(c, d, k0, k1, v0)) return;
        }
        if (next_item(c, '}') <= 0) return;
    }
}

static void check_required(dctx *c, vl_event *ev) {
    uint64_t missing = 0;
    for (int f = 0; f < VL_F_COUNT; f++)
        if ((vl_event_fields[f].flags & VL_FF_REQUIRED) && !vl_event_has(ev, (vl_field_id)f))
            missing |= UINT64_C(1) << f;
    if (missing) {
        int f = __builtin_ctzll(missing);
        field_error(c, VL_RJ_MISSING_FIELD, f, c->end, "missing required field");
        return;
    }
    int64_t t = ev->v[VL_F_EVENT_TYPE].i;
    for (int f = 0; f < VL_F_COUNT; f++) {
        if ((vl_event_fields[f].required_for >> t) & 1 && !vl_event_has(ev, (vl_field_id)f)) {
            field_error(c, VL_RJ_MISSING_FIELD, f, c->end, "missing, required for event_type '%s'",
                        vl_event_type_names[t]);
            return;
        }
    }
}

int vl_decoder_decode(vl_decoder *d, const char *p, size_t n, vl_event *ev, vl_arena *arena,
                      vl_reject *rj) {
    if (VL_UNLIKELY(!__atomic_load_n(&key_table_built, __ATOMIC_ACQUIRE))) build_key_table();
    dctx c = {.base = p, .p = p, .end = p + n, .rj = rj, .arena = arena};
    rj->reason = VL_RJ_NONE;
    rj->field = -1;
    rj->offset = 0;
    rj->detail[0] = '\0';
    vl_event_clear(ev);
    vl_buf_clear(&d->extra);

    if (n > VL_EVENT_MAX_BYTES) {
        fail(&c, VL_RJ_TOO_LARGE, p + VL_EVENT_MAX_BYTES, "event is %zu bytes; the limit is %d",
             n, VL_EVENT_MAX_BYTES);
        return VL_EINVAL;
    }
    skip_ws(&c);
    if (c.p >= c.end) {
        malformed(&c, c.p, "empty line, expected an object");
        return VL_EINVAL;
    }
    if (*c.p != '{') {
        const char *at = c.p;
        if (skip_value(&c, 1)) {
            char kind = *at;
            fail(&c, VL_RJ_NOT_OBJECT, at, "expected a JSON object, got %s",
                 kind == 'n' ? "null" : json_kind(kind));
        }
        return VL_EINVAL;
    }
    decode_object(&c, d, ev);
    if (c.oom) return VL_ENOMEM;
    if (!c.structural) {
        skip_ws(&c);
        if (c.p < c.end)
            fail(&c, VL_RJ_TRAILING_DATA, c.p, "trailing data at byte %zu after the event",
                 (size_t)(c.p - c.base));
    }
    if (c.structural) return VL_EINVAL;
    if (rj->reason != VL_RJ_NONE) return VL_EINVAL;
    check_required(&c, ev);
    if (rj->reason != VL_RJ_NONE) return VL_EINVAL;
    if (d->extra.n) {
        if (vl_buf_putc(&d->extra, '}') != VL_OK) return VL_ENOMEM;
        char *x = vl_arena_memdup(arena, d->extra.p, d->extra.n);
        if (!x) return VL_ENOMEM;
        vl_event_set_s(ev, VL_F_EXTRA, x, d->extra.n);
    }
    return VL_OK;
}
