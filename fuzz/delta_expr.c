/* vidlake - Apache-2.0 */
/*
 * Fuzz target: `scan --where` predicates (src/delta/delta_expr.c). The
 * input up to its first NUL byte is the expression text, parsed against a
 * fixed schema holding every primitive type (plus nested columns, which
 * cannot be compared, and two names that differ only in case, which are
 * ambiguous unquoted). The bytes after the NUL describe NROWS rows: per
 * column a selector byte picks null, a value from a per-type pool, the
 * previous row's value, raw bits, or a short text converted with
 * vl_delta_value_parse (so a row can hold exactly a literal of the
 * expression). Then, from the same bytes, how the per-file facts are
 * derived from the rows (bounds dropped, loosened, truncated, ...).
 *
 * Invariants, for whatever parses:
 *  - facts holding exactly one row's values (exact = true for every
 *    column): prune is YES when eval is true and NO otherwise (exact facts
 *    leave nothing unknown);
 *  - facts derived soundly from the rows (min/max of the non-null values,
 *    NaN left out of float bounds as Parquet writers do, timestamps floored
 *    to milliseconds, string bounds cut to a prefix, bounds loosened, counts
 *    or bounds dropped, exact values for columns equal on every row): prune
 *    NO implies eval false on every row, prune YES implies eval true on
 *    every row;
 *  - "NOT (text)", when it parses, is never true together with text;
 *  - columns vl_delta_expr_columns does not mark do not change eval.
 * Whatever is refused carries VL_EINVAL and a message.
 */
#include "delta/delta.h"
#include "fuzz.h"

#include <float.h>
#include <math.h>
#include <string.h>

#define NROWS 3
#define MAX_COLS 32
#define TEXT_MAX 8192

static const char k_ddl[] =
    "s string, l long, i int, sh short, b byte, f float, d double, bo boolean, bi binary, "
    "dt date, ts timestamp, tn timestamp_ntz, d1 decimal(9,2), d2 decimal(18,4), d3 decimal(38,10), "
    "st struct<x:int,y:string>, ar array<int>, mp map<string,int>, Mx int, mX long, `q c` string";

static vl_arena g_schema_arena;
static vl_dt_type g_st;
static bool g_ready;

static void setup(void) {
    if (g_ready) return;
    vl_arena_init(&g_schema_arena, 0);
    vl_error err = {0};
    int rc = vl_delta_schema_from_ddl(k_ddl, &g_schema_arena, &g_st, &err);
    if (rc != VL_OK) {
        fprintf(stderr, "fuzz setup: %s\n", err.msg);
        abort();
    }
    FUZZ_ASSERT(g_st.kind == VL_DT_STRUCT && g_st.n_fields <= MAX_COLS);
    g_ready = true;
}

/* ----------------------------------------------------- a byte stream */

typedef struct src {
    const uint8_t *p;
    size_t n, i;
} src;

static uint8_t take(src *s) { return s->i < s->n ? s->p[s->i++] : 0; }

static uint64_t take64(src *s) {
    uint64_t v = 0;
    for (int k = 0; k < 8; k++) v = v << 8 | take(s);
    return v;
}

/* ------------------------------------------------------- value pools */

static const int64_t int_pool[] = {0, 1, -1, 2, 100, -100, INT64_MAX, INT64_MIN};
static const double real_pool[] = {0.0, -0.0, 1.0, -1.5, 2.5, 1e300, -1e-300, 3.4028234663852886e38};
static const char *const str_pool[] = {"", "a", "b", "ab", "A", "\xff", "abcdefghijklmnopqrstuvwxyz0123456789", "a b"};
static const int64_t date_pool[] = {0, 1, -1, 19844, 19845, -719528, 2932896, 10000};
static const int64_t ts_pool[] = {0, 1, 999, 1000, -1, -1000, INT64_C(1714564800000000), INT64_C(1714564800123456)};
static const char *const wide_pool[] = {"0", "1", "-1", "12.5", "-0.0000000001", "1E+5", "0.10",
                                        "9999999999999999999999999999.9999999999"};

static int64_t clamp_int(vl_dt_kind k, int64_t v) {
    switch (k) {
    case VL_DT_INTEGER: return (int32_t)v;
    case VL_DT_SHORT: return (int16_t)v;
    case VL_DT_BYTE: return (int8_t)v;
    default: return v;
    }
}

static int64_t pow10_i(int p) {
    int64_t v = 1;
    while (p-- > 0) v *= 10;
    return v;
}

/* A decimal (precision <= 18) unscaled value folded into range. */
static int64_t fold_dec(const vl_dt_type *t, int64_t v) {
    int64_t lim = pow10_i(t->precision); /* |v| < lim */
    int64_t r = v % lim;
    return r;
}

static bool is_wide(const vl_dt_type *t) { return t->kind == VL_DT_DECIMAL && t->precision > 18; }

static void pool_value(const vl_dt_type *t, unsigned idx, vl_delta_value *v) {
    memset(v, 0, sizeof(*v));
    v->s = vl_sv_make("", 0);
    idx %= 8;
    switch (t->kind) {
    case VL_DT_STRING:
    case VL_DT_BINARY:
        v->s = vl_sv_make(str_pool[idx], strlen(str_pool[idx]));
        break;
    case VL_DT_LONG:
    case VL_DT_INTEGER:
    case VL_DT_SHORT:
    case VL_DT_BYTE:
        v->i = int_pool[idx];
        if (t->kind != VL_DT_LONG && (idx == 6 || idx == 7)) {
            int64_t lo = t->kind == VL_DT_INTEGER ? INT32_MIN : t->kind == VL_DT_SHORT ? INT16_MIN : INT8_MIN;
            v->i = idx == 6 ? -lo - 1 : lo;
        }
        break;
    case VL_DT_FLOAT:
    case VL_DT_DOUBLE: {
        double d = real_pool[idx];
        if (idx == 5) d = t->kind == VL_DT_FLOAT ? (double)FLT_MAX : d;
        v->d = t->kind == VL_DT_FLOAT ? (double)(float)d : d;
        break;
    }
    case VL_DT_BOOLEAN: v->i = idx & 1; break;
    case VL_DT_DATE: v->i = date_pool[idx]; break;
    case VL_DT_TIMESTAMP:
    case VL_DT_TIMESTAMP_NTZ: v->i = ts_pool[idx]; break;
    case VL_DT_DECIMAL:
        if (is_wide(t)) {
            v->s = vl_sv_make(wide_pool[idx], strlen(wide_pool[idx]));
        } else {
            static const int64_t dp[] = {0, 1, -1, 1250, 5, -5, 0, 0};
            v->i = dp[idx];
            if (idx == 6) v->i = pow10_i(t->precision) - 1;
            if (idx == 7) v->i = 1 - pow10_i(t->precision);
        }
        break;
    default: break; /* nested: never compared */
    }
}

/* A value from raw bits. */
static void raw_value(const vl_dt_type *t, src *in, vl_delta_value *v) {
    memset(v, 0, sizeof(*v));
    v->s = vl_sv_make("", 0);
    switch (t->kind) {
    case VL_DT_STRING:
    case VL_DT_BINARY: {
        size_t len = take(in) % 6;
        if (len > in->n - in->i) len = in->n - in->i;
        v->s = vl_sv_make((const char *)in->p + in->i, len);
        in->i += len;
        break;
    }
    case VL_DT_FLOAT:
    case VL_DT_DOUBLE: {
        uint64_t bits = take64(in);
        double d;
        memcpy(&d, &bits, sizeof(d));
        v->d = t->kind == VL_DT_FLOAT ? (double)(float)d : d;
        break;
    }
    case VL_DT_BOOLEAN: v->i = take(in) & 1; break;
    case VL_DT_DECIMAL:
        if (is_wide(t)) pool_value(t, take(in), v);
        else v->i = fold_dec(t, (int64_t)take64(in));
        break;
    case VL_DT_DATE: v->i = (int32_t)take64(in) % 3000000; break;
    case VL_DT_STRUCT:
    case VL_DT_ARRAY:
    case VL_DT_MAP: break;
    default: v->i = clamp_int(t->kind, (int64_t)take64(in)); break;
    }
}

/* One cell: the selector's low 3 bits pick how. */
static void make_cell(const vl_dt_type *t, src *in, const vl_delta_value *prev, vl_delta_value *v) {
    uint8_t sel = take(in);
    vl_error err;
    switch (sel & 7) {
    case 1:
        memset(v, 0, sizeof(*v));
        v->s = vl_sv_make("", 0);
        v->is_null = true;
        return;
    case 2:
        if (prev) {
            *v = *prev;
            return;
        }
        break;
    case 3:
    case 4: {
        /* text, as a partition value string */
        size_t len = take(in) % 40;
        if (len > in->n - in->i) len = in->n - in->i;
        const char *p = (const char *)in->p + in->i;
        in->i += len;
        if (t->kind != VL_DT_STRUCT && t->kind != VL_DT_ARRAY && t->kind != VL_DT_MAP &&
            vl_delta_value_parse(t, p, len, false, v, &err) == VL_OK)
            return;
        break;
    }
    case 5:
        raw_value(t, in, v);
        return;
    default:
        break;
    }
    pool_value(t, sel >> 3, v);
}

/* ---------------------------------------------------------- the facts */

static bool is_real(const vl_dt_type *t) { return t->kind == VL_DT_FLOAT || t->kind == VL_DT_DOUBLE; }
static bool is_ts(const vl_dt_type *t) { return t->kind == VL_DT_TIMESTAMP || t->kind == VL_DT_TIMESTAMP_NTZ; }
static bool is_text(const vl_dt_type *t) { return t->kind == VL_DT_STRING || t->kind == VL_DT_BINARY; }
static bool is_nested(const vl_dt_type *t) {
    return t->kind == VL_DT_STRUCT || t->kind == VL_DT_ARRAY || t->kind == VL_DT_MAP;
}

static int64_t floor_ms(int64_t us) {
    int64_t q = us / 1000;
    if (us % 1000 < 0) q--;
    if (q < INT64_MIN / 1000) return INT64_MIN;
    return q * 1000;
}

static bool same_value(const vl_dt_type *t, const vl_delta_value *a, const vl_delta_value *b) {
    if (a->is_null || b->is_null) return a->is_null == b->is_null;
    return vl_delta_value_cmp(t, a, b) == 0;
}

/* Facts about column c over rows[0..NROWS), modified by the flags byte. */
static void derive_facts(const vl_dt_type *t, vl_delta_value rows[NROWS][MAX_COLS], uint32_t c, uint8_t flags,
                         uint8_t cut, vl_delta_colinfo *ci) {
    memset(ci, 0, sizeof(*ci));
    ci->value.s = ci->min.s = ci->max.s = vl_sv_make("", 0);
    ci->num_records = NROWS;
    ci->null_count = 0;
    if (is_nested(t)) {
        ci->null_count = ci->num_records = -1;
        return;
    }
    bool all_same = true;
    for (int r = 0; r < NROWS; r++) {
        const vl_delta_value *v = &rows[r][c];
        if (r && !same_value(t, v, &rows[0][c])) all_same = false;
        if (v->is_null) {
            ci->null_count++;
            continue;
        }
        if (is_real(t) && isnan(v->d)) continue; /* Parquet stats leave NaN out */
        if (!ci->has_min || vl_delta_value_cmp(t, v, &ci->min) < 0) ci->min = *v;
        if (!ci->has_max || vl_delta_value_cmp(t, v, &ci->max) > 0) ci->max = *v;
        ci->has_min = ci->has_max = true;
    }
    if ((flags & 0x40) && all_same) {
        ci->exact = true;
        ci->value = rows[0][c];
    }
    if (flags & 0x01) ci->has_min = false;
    if (flags & 0x02) ci->has_max = false;
    if (flags & 0x04) ci->null_count = -1;
    if (flags & 0x08) ci->num_records = -1;
    if ((flags & 0x10) && is_text(t)) {
        /* stats cut to a prefix: a prefix of the min is a lower bound; the
         * max may be a prefix of the true max (the reader must cope) */
        size_t k = cut & 7, km = (cut >> 3) & 7;
        if (ci->min.s.n > km) ci->min.s.n = km;
        if (ci->max.s.n > k) ci->max.s.n = k;
    }
    if (is_ts(t)) { /* stats hold milliseconds (floored, as Spark formats them) */
        ci->min.i = floor_ms(ci->min.i);
        ci->max.i = floor_ms(ci->max.i);
    }
    if (flags & 0x20) { /* looser, still valid bounds */
        if (is_real(t)) {
            ci->min.d -= 1.0;
            ci->max.d += 1.0;
            if (t->kind == VL_DT_FLOAT) {
                ci->min.d = (double)(float)ci->min.d;
                ci->max.d = (double)(float)ci->max.d;
            }
        } else if (is_text(t)) {
            ci->min.s.n = 0;
        } else if (t->kind == VL_DT_DECIMAL && is_wide(t)) {
            /* keep */
        } else {
            int64_t lo = INT64_MIN, hi = INT64_MAX;
            if (t->kind == VL_DT_INTEGER) lo = INT32_MIN, hi = INT32_MAX;
            if (t->kind == VL_DT_SHORT) lo = INT16_MIN, hi = INT16_MAX;
            if (t->kind == VL_DT_BYTE) lo = INT8_MIN, hi = INT8_MAX;
            if (t->kind == VL_DT_BOOLEAN) lo = 0, hi = 1;
            if (t->kind == VL_DT_DECIMAL) lo = 1 - pow10_i(t->precision), hi = pow10_i(t->precision) - 1;
            if (ci->min.i > lo) ci->min.i--;
            if (ci->max.i < hi) ci->max.i++;
        }
    }
}

/* ------------------------------------------------------------- target */

static void check_sound(const vl_delta_expr *e, const vl_delta_colinfo *cols,
                        vl_delta_value rows[NROWS][MAX_COLS]) {
    int p = vl_delta_expr_prune(e, &g_st, cols);
    FUZZ_ASSERT(p == VL_DELTA_NO || p == VL_DELTA_YES || p == VL_DELTA_MAYBE);
    for (int r = 0; r < NROWS; r++) {
        bool ev = vl_delta_expr_eval(e, &g_st, rows[r]);
        if (p == VL_DELTA_NO && ev) {
            fprintf(stderr, "prune said NO but row %d matches\n", r);
            FUZZ_ASSERT(!(p == VL_DELTA_NO && ev));
        }
        if (p == VL_DELTA_YES && !ev) {
            fprintf(stderr, "prune said YES but row %d does not match\n", r);
            FUZZ_ASSERT(!(p == VL_DELTA_YES && !ev));
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    setup();
    const uint8_t *nul = memchr(data, 0, size);
    size_t tn = nul ? (size_t)(nul - data) : size;
    if (tn > TEXT_MAX) return 0;
    static char text[TEXT_MAX + 16];
    memcpy(text, data, tn);
    text[tn] = '\0';
    src in = {nul ? nul + 1 : data + size, nul ? size - tn - 1 : 0, 0};

    vl_arena a;
    vl_arena_init(&a, 0);
    const vl_delta_expr *e = NULL;
    vl_error err = {0};
    int rc = vl_delta_expr_parse(text, &g_st, &a, &e, &err);
    if (rc != VL_OK) {
        FUZZ_ASSERT(rc == VL_EINVAL || rc == VL_ENOMEM);
        FUZZ_ASSERT(err.code == rc && err.msg[0]);
        vl_arena_destroy(&a);
        return 0;
    }
    FUZZ_ASSERT(e != NULL);
    uint32_t nf = g_st.n_fields;

    /* the rows */
    static vl_delta_value rows[NROWS][MAX_COLS];
    for (int r = 0; r < NROWS; r++)
        for (uint32_t c = 0; c < nf; c++)
            make_cell(&g_st.fields[c].type, &in, r ? &rows[r - 1][c] : NULL, &rows[r][c]);

    /* columns the expression names: primitive ones only; the others do not
     * matter to eval */
    bool used[MAX_COLS] = {0};
    vl_delta_expr_columns(e, used);
    for (uint32_t c = 0; c < nf; c++)
        if (used[c]) FUZZ_ASSERT(!is_nested(&g_st.fields[c].type));
    for (int r = 0; r < NROWS; r++) {
        vl_delta_value other[MAX_COLS];
        for (uint32_t c = 0; c < nf; c++) {
            other[c] = rows[r][c];
            if (!used[c]) pool_value(&g_st.fields[c].type, (unsigned)(r + 3), &other[c]);
        }
        FUZZ_ASSERT(vl_delta_expr_eval(e, &g_st, rows[r]) == vl_delta_expr_eval(e, &g_st, other));
    }

    /* exact facts of one row: prune decides exactly as eval */
    vl_delta_colinfo cols[MAX_COLS];
    for (int r = 0; r < NROWS; r++) {
        for (uint32_t c = 0; c < nf; c++) {
            memset(&cols[c], 0, sizeof(cols[c]));
            cols[c].exact = !is_nested(&g_st.fields[c].type);
            cols[c].value = rows[r][c];
            cols[c].min.s = cols[c].max.s = vl_sv_make("", 0);
            cols[c].num_records = 1;
            cols[c].null_count = rows[r][c].is_null ? 1 : 0;
        }
        bool ev = vl_delta_expr_eval(e, &g_st, rows[r]);
        int p = vl_delta_expr_prune(e, &g_st, cols);
        if (p != (ev ? VL_DELTA_YES : VL_DELTA_NO)) {
            fprintf(stderr, "row %d: eval %d but prune on its exact values %d\n", r, (int)ev, p);
            FUZZ_ASSERT(p == (ev ? VL_DELTA_YES : VL_DELTA_NO));
        }
    }

    /* facts over all rows: a few variants */
    for (int k = 0; k < 4; k++) {
        for (uint32_t c = 0; c < nf; c++) {
            uint8_t flags = k == 0 ? 0 : take(&in);
            uint8_t cut = take(&in);
            derive_facts(&g_st.fields[c].type, rows, c, flags, cut, &cols[c]);
        }
        check_sound(e, cols, rows);
    }

    /* nothing known at all */
    for (uint32_t c = 0; c < nf; c++) {
        memset(&cols[c], 0, sizeof(cols[c]));
        cols[c].min.s = cols[c].max.s = cols[c].value.s = vl_sv_make("", 0);
        cols[c].null_count = cols[c].num_records = -1;
    }
    check_sound(e, cols, rows);

    /* NOT (text) is never true together with text */
    static char wrapped[TEXT_MAX + 16];
    memcpy(wrapped, "NOT (", 5);
    memcpy(wrapped + 5, text, tn);
    memcpy(wrapped + 5 + tn, ")", 2);
    const vl_delta_expr *ne = NULL;
    if (vl_delta_expr_parse(wrapped, &g_st, &a, &ne, &err) == VL_OK) {
        for (int r = 0; r < NROWS; r++)
            FUZZ_ASSERT(!(vl_delta_expr_eval(e, &g_st, rows[r]) && vl_delta_expr_eval(ne, &g_st, rows[r])));
    }
    vl_arena_destroy(&a);
    return 0;
}
