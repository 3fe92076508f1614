/* vidlake - Apache-2.0 */
/*
 * The Thrift compact protocol, by hand: a bounds-checked reader over a byte
 * range and a writer into a vl_buf. Only what Parquet metadata needs: no
 * messages (RPC envelopes), no protocol negotiation.
 *
 * Reader rules (every violation is VL_ECORRUPT naming the byte offset):
 *  - varints are ULEB128 of at most 10 bytes, and the 10th byte may carry
 *    only the 64th bit; i16/i32 varints must fit their width after zigzag.
 *  - a binary's length must not exceed the bytes that remain.
 *  - a list/set/map count must not exceed VL_PQ_TC_MAX_ELEMS nor the bytes
 *    that remain divided by the smallest encoding of one element (every
 *    element takes at least one byte, bools and empty structs included).
 *  - structs, lists and maps nest at most VL_PQ_TC_MAX_DEPTH deep, so the
 *    recursive skipper's stack is bounded.
 * The writer appends; it never fails except on allocation (sticky rc).
 */
#include "parquet/parquet_meta.h"

#include <stdarg.h>
#include <string.h>

/* ------------------------------------------------------------------ errors */

void vl_pq_tc_reader_init(vl_pq_tc_reader *r, const uint8_t *p, size_t n, const char *ctx,
                          vl_error *err) {
    r->p = p;
    r->pos = 0;
    r->n = n;
    r->depth = 0;
    r->ctx = ctx;
    r->err = err;
}

static int tc_vfail(vl_pq_tc_reader *r, int code, const char *fmt, va_list ap) VL_PRINTF(3, 0);
static int tc_vfail(vl_pq_tc_reader *r, int code, const char *fmt, va_list ap) {
    char what[400];
    vsnprintf(what, sizeof(what), fmt, ap);
    return vl_error_set(r->err, code, "%s: byte %zu: %s", r->ctx, r->pos, what);
}

int vl_pq_tc_fail(vl_pq_tc_reader *r, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int rc = tc_vfail(r, VL_ECORRUPT, fmt, ap);
    va_end(ap);
    return rc;
}

int vl_pq_tc_fail_code(vl_pq_tc_reader *r, int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int rc = tc_vfail(r, code, fmt, ap);
    va_end(ap);
    return rc;
}

/* ---------------------------------------------------------------- scalars */

static inline size_t tc_left(const vl_pq_tc_reader *r) { return r->n - r->pos; }

int vl_pq_tc_read_varint(vl_pq_tc_reader *r, uint64_t *v) {
    size_t pos = r->pos;
    if (VL_LIKELY(pos < r->n && r->p[pos] < 0x80)) { /* one byte: most values */
        *v = r->p[pos];
        r->pos = pos + 1;
        return VL_OK;
    }
    uint64_t x = 0;
    for (unsigned i = 0; i < 10; i++) {
        if (VL_UNLIKELY(pos >= r->n)) return vl_pq_tc_fail(r, "truncated varint");
        uint8_t b = r->p[pos++];
        if (i == 9 && b > 1)
            return vl_pq_tc_fail(r, "varint overflows 64 bits");
        x |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            r->pos = pos;
            *v = x;
            return VL_OK;
        }
    }
    /* unreachable: the 10th byte either ends the varint or fails above */
    return vl_pq_tc_fail(r, "varint longer than 10 bytes");
}

int vl_pq_tc_read_i8(vl_pq_tc_reader *r, int8_t *v) {
    if (VL_UNLIKELY(r->pos >= r->n)) return vl_pq_tc_fail(r, "truncated i8");
    *v = (int8_t)r->p[r->pos++];
    return VL_OK;
}

int vl_pq_tc_read_i16(vl_pq_tc_reader *r, int16_t *v) {
    size_t at = r->pos;
    uint64_t u;
    VL_RETURN_IF_ERR(vl_pq_tc_read_varint(r, &u));
    int64_t s = vl_pq_unzigzag64(u);
    if (u > UINT32_MAX || s < INT16_MIN || s > INT16_MAX) {
        r->pos = at;
        return vl_pq_tc_fail(r, "i16 value out of range");
    }
    *v = (int16_t)s;
    return VL_OK;
}

int vl_pq_tc_read_i32(vl_pq_tc_reader *r, int32_t *v) {
    size_t at = r->pos;
    uint64_t u;
    VL_RETURN_IF_ERR(vl_pq_tc_read_varint(r, &u));
    if (u > UINT32_MAX) {
        r->pos = at;
        return vl_pq_tc_fail(r, "i32 varint exceeds 32 bits");
    }
    *v = (int32_t)vl_pq_unzigzag64(u);
    return VL_OK;
}

int vl_pq_tc_read_i64(vl_pq_tc_reader *r, int64_t *v) {
    uint64_t u;
    VL_RETURN_IF_ERR(vl_pq_tc_read_varint(r, &u));
    *v = vl_pq_unzigzag64(u);
    return VL_OK;
}

int vl_pq_tc_read_double(vl_pq_tc_reader *r, double *v) {
    if (VL_UNLIKELY(tc_left(r) < 8)) return vl_pq_tc_fail(r, "truncated double");
    uint64_t u = 0;
    for (int i = 7; i >= 0; i--) u = (u << 8) | r->p[r->pos + (size_t)i]; /* little endian */
    memcpy(v, &u, sizeof(*v));
    r->pos += 8;
    return VL_OK;
}

int vl_pq_tc_read_binary(vl_pq_tc_reader *r, vl_sv *v) {
    size_t at = r->pos;
    uint64_t len;
    VL_RETURN_IF_ERR(vl_pq_tc_read_varint(r, &len));
    if (VL_UNLIKELY(len > tc_left(r))) {
        size_t left = tc_left(r);
        r->pos = at;
        return vl_pq_tc_fail(r, "binary of %llu bytes exceeds the remaining %zu bytes",
                             (unsigned long long)len, left);
    }
    v->p = (const char *)(r->p + r->pos);
    v->n = (size_t)len;
    r->pos += (size_t)len;
    return VL_OK;
}

/* ---------------------------------------------------------------- structure */

int vl_pq_tc_struct_begin(vl_pq_tc_reader *r) {
    if (VL_UNLIKELY(r->depth >= VL_PQ_TC_MAX_DEPTH))
        return vl_pq_tc_fail(r, "nesting deeper than %d levels", VL_PQ_TC_MAX_DEPTH);
    r->depth++;
    return VL_OK;
}

int vl_pq_tc_field(vl_pq_tc_reader *r, int16_t *last, uint8_t *type, int16_t *id) {
    if (VL_UNLIKELY(r->pos >= r->n)) return vl_pq_tc_fail(r, "truncated struct (no stop field)");
    size_t at = r->pos;
    uint8_t b = r->p[r->pos++];
    if (b == 0) {
        *type = VL_TC_STOP;
        return VL_OK;
    }
    uint8_t t = b & 0x0f, delta = b >> 4;
    if (t == VL_TC_STOP || t > VL_TC_UUID) {
        r->pos = at;
        return vl_pq_tc_fail(r, "bad field type %u", t);
    }
    if (delta) {
        int32_t nid = (int32_t)*last + delta;
        if (nid > INT16_MAX) {
            r->pos = at;
            return vl_pq_tc_fail(r, "field id overflows i16");
        }
        *id = (int16_t)nid;
    } else {
        VL_RETURN_IF_ERR(vl_pq_tc_read_i16(r, id));
    }
    *last = *id;
    *type = t;
    return VL_OK;
}

/* The smallest encoding of one element of a wire type (0: invalid type). */
static size_t elem_min_bytes(uint8_t t) {
    switch (t) {
    case VL_TC_TRUE: case VL_TC_FALSE: case VL_TC_I8: case VL_TC_I16: case VL_TC_I32:
    case VL_TC_I64: case VL_TC_BINARY: case VL_TC_LIST: case VL_TC_SET: case VL_TC_MAP:
    case VL_TC_STRUCT:
        return 1;
    case VL_TC_DOUBLE: return 8;
    case VL_TC_UUID: return 16;
    default: return 0;
    }
}

/* Bounds a count read at offset `at`. */
static int check_count(vl_pq_tc_reader *r, size_t at, uint64_t count, size_t min_elem,
                       const char *what) {
    size_t left = tc_left(r);
    if (VL_UNLIKELY(count > VL_PQ_TC_MAX_ELEMS)) {
        r->pos = at;
        return vl_pq_tc_fail(r, "list of %llu %s exceeds the limit of %u elements",
                             (unsigned long long)count, what, (unsigned)VL_PQ_TC_MAX_ELEMS);
    }
    if (VL_UNLIKELY(count > left / min_elem)) {
        r->pos = at;
        if (min_elem == 1)
            return vl_pq_tc_fail(r, "list of %llu %s exceeds the remaining %zu bytes",
                                 (unsigned long long)count, what, left);
        return vl_pq_tc_fail(r, "list of %llu %s (at least %zu bytes each) exceeds the remaining %zu bytes",
                             (unsigned long long)count, what, min_elem, left);
    }
    return VL_OK;
}

/* Reads a list/set header: element type and count, bounded. */
static int list_header(vl_pq_tc_reader *r, const char *what, uint8_t *etype, uint32_t *count,
                       size_t min_hint) {
    size_t at = r->pos;
    if (VL_UNLIKELY(r->pos >= r->n)) return vl_pq_tc_fail(r, "truncated list header of %s", what);
    uint8_t b = r->p[r->pos++];
    uint8_t t = b & 0x0f;
    uint64_t c = b >> 4;
    if (c == 15) VL_RETURN_IF_ERR(vl_pq_tc_read_varint(r, &c));
    size_t min_elem = elem_min_bytes(t);
    if (min_elem == 0) {
        r->pos = at;
        return vl_pq_tc_fail(r, "list of %s has bad element type %u", what, t);
    }
    if (min_hint > min_elem) min_elem = min_hint;
    VL_RETURN_IF_ERR(check_count(r, at, c, min_elem, what));
    *etype = t;
    *count = (uint32_t)c;
    return VL_OK;
}

int vl_pq_tc_list_begin(vl_pq_tc_reader *r, uint8_t want, size_t min_elem_bytes,
                        const char *what, uint32_t *count) {
    size_t at = r->pos;
    uint8_t t;
    VL_RETURN_IF_ERR(list_header(r, what, &t, count, min_elem_bytes));
    bool ok = t == want || (want == VL_TC_BOOL && t == VL_TC_TRUE);
    if (VL_UNLIKELY(!ok)) {
        r->pos = at;
        return vl_pq_tc_fail(r, "list of %s has element type %u, expected %u", what, t, want);
    }
    return VL_OK;
}

static int skip_value(vl_pq_tc_reader *r, uint8_t t, bool in_list) {
    switch (t) {
    case VL_TC_TRUE:
    case VL_TC_FALSE:
        /* a bool field has no value byte; a bool list element has one */
        if (!in_list) return VL_OK;
        /* fallthrough */
    case VL_TC_I8:
        if (r->pos >= r->n) return vl_pq_tc_fail(r, "truncated i8");
        r->pos++;
        return VL_OK;
    case VL_TC_I16:
    case VL_TC_I32:
    case VL_TC_I64: {
        uint64_t u;
        return vl_pq_tc_read_varint(r, &u);
    }
    case VL_TC_DOUBLE:
        if (tc_left(r) < 8) return vl_pq_tc_fail(r, "truncated double");
        r->pos += 8;
        return VL_OK;
    case VL_TC_UUID:
        if (tc_left(r) < 16) return vl_pq_tc_fail(r, "truncated uuid");
        r->pos += 16;
        return VL_OK;
    case VL_TC_BINARY: {
        vl_sv v;
        return vl_pq_tc_read_binary(r, &v);
    }
    case VL_TC_STRUCT: {
        VL_RETURN_IF_ERR(vl_pq_tc_struct_begin(r));
        int16_t last = 0, id;
        uint8_t ft;
        for (;;) {
            VL_RETURN_IF_ERR(vl_pq_tc_field(r, &last, &ft, &id));
            if (ft == VL_TC_STOP) break;
            VL_RETURN_IF_ERR(skip_value(r, ft, false));
        }
        vl_pq_tc_struct_end(r);
        return VL_OK;
    }
    case VL_TC_LIST:
    case VL_TC_SET: {
        VL_RETURN_IF_ERR(vl_pq_tc_struct_begin(r));
        uint8_t et;
        uint32_t count;
        VL_RETURN_IF_ERR(list_header(r, "unknown elements", &et, &count, 0));
        for (uint32_t i = 0; i < count; i++) VL_RETURN_IF_ERR(skip_value(r, et, true));
        vl_pq_tc_struct_end(r);
        return VL_OK;
    }
    case VL_TC_MAP: {
        VL_RETURN_IF_ERR(vl_pq_tc_struct_begin(r));
        size_t at = r->pos;
        uint64_t count;
        VL_RETURN_IF_ERR(vl_pq_tc_read_varint(r, &count));
        if (count > 0) {
            if (r->pos >= r->n) return vl_pq_tc_fail(r, "truncated map header");
            uint8_t kv = r->p[r->pos++];
            uint8_t kt = kv >> 4, vt = kv & 0x0f;
            size_t kmin = elem_min_bytes(kt), vmin = elem_min_bytes(vt);
            if (!kmin || !vmin) {
                r->pos = at;
                return vl_pq_tc_fail(r, "map has bad key/value types %u/%u", kt, vt);
            }
            VL_RETURN_IF_ERR(check_count(r, at, count, kmin + vmin, "map entries"));
            for (uint64_t i = 0; i < count; i++) {
                VL_RETURN_IF_ERR(skip_value(r, kt, true));
                VL_RETURN_IF_ERR(skip_value(r, vt, true));
            }
        }
        vl_pq_tc_struct_end(r);
        return VL_OK;
    }
    default:
        return vl_pq_tc_fail(r, "bad type %u", t);
    }
}

int vl_pq_tc_skip(vl_pq_tc_reader *r, uint8_t type) { return skip_value(r, type, false); }

/* ------------------------------------------------------------------- writer */

static void w_raw(vl_pq_tc_writer *w, const void *p, size_t n) {
    if (w->rc) return;
    w->rc = vl_buf_append(w->b, p, n);
}

void vl_pq_tc_w_byte(vl_pq_tc_writer *w, uint8_t v) { w_raw(w, &v, 1); }

void vl_pq_tc_w_varint(vl_pq_tc_writer *w, uint64_t v) {
    uint8_t tmp[10];
    size_t n = 0;
    while (v >= 0x80) {
        tmp[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    tmp[n++] = (uint8_t)v;
    w_raw(w, tmp, n);
}

void vl_pq_tc_w_i32(vl_pq_tc_writer *w, int32_t v) {
    vl_pq_tc_w_varint(w, (uint32_t)vl_pq_zigzag64(v));
}

void vl_pq_tc_w_i64(vl_pq_tc_writer *w, int64_t v) { vl_pq_tc_w_varint(w, vl_pq_zigzag64(v)); }

void vl_pq_tc_w_double(vl_pq_tc_writer *w, double v) {
    uint64_t u;
    memcpy(&u, &v, sizeof(u));
    uint8_t tmp[8];
    for (int i = 0; i < 8; i++) tmp[i] = (uint8_t)(u >> (8 * i));
    w_raw(w, tmp, 8);
}

void vl_pq_tc_w_binary(vl_pq_tc_writer *w, const void *p, size_t n) {
    if (n > INT32_MAX) {
        if (!w->rc) w->rc = VL_EINVAL;
        return;
    }
    vl_pq_tc_w_varint(w, n);
    if (n) w_raw(w, p, n);
}

void vl_pq_tc_w_field(vl_pq_tc_writer *w, int16_t *last, int16_t id, uint8_t type) {
    int32_t delta = (int32_t)id - *last;
    if (delta > 0 && delta <= 15) {
        vl_pq_tc_w_byte(w, (uint8_t)(delta << 4 | type));
    } else {
        vl_pq_tc_w_byte(w, type);
        vl_pq_tc_w_i32(w, id); /* i16 is written as a zigzag varint like i32 */
    }
    *last = id;
}

void vl_pq_tc_w_field_bool(vl_pq_tc_writer *w, int16_t *last, int16_t id, bool v) {
    vl_pq_tc_w_field(w, last, id, v ? VL_TC_TRUE : VL_TC_FALSE);
}

void vl_pq_tc_w_field_i32(vl_pq_tc_writer *w, int16_t *last, int16_t id, int32_t v) {
    vl_pq_tc_w_field(w, last, id, VL_TC_I32);
    vl_pq_tc_w_i32(w, v);
}

void vl_pq_tc_w_field_i64(vl_pq_tc_writer *w, int16_t *last, int16_t id, int64_t v) {
    vl_pq_tc_w_field(w, last, id, VL_TC_I64);
    vl_pq_tc_w_i64(w, v);
}

void vl_pq_tc_w_field_binary(vl_pq_tc_writer *w, int16_t *last, int16_t id, vl_sv v) {
    vl_pq_tc_w_field(w, last, id, VL_TC_BINARY);
    vl_pq_tc_w_binary(w, v.p, v.n);
}

void vl_pq_tc_w_list(vl_pq_tc_writer *w, uint8_t elem_type, size_t count) {
    if (count > INT32_MAX) {
        if (!w->rc) w->rc = VL_EINVAL;
        return;
    }
    if (count < 15) {
        vl_pq_tc_w_byte(w, (uint8_t)(count << 4 | elem_type));
    } else {
        vl_pq_tc_w_byte(w, (uint8_t)(0xf0 | elem_type));
        vl_pq_tc_w_varint(w, count);
    }
}
