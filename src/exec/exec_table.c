/* vidlake - Apache-2.0 */
/*
 * exec_table: materialized results (vl_x_table). Columns are arrays grown
 * together (capacity doubles); every column has a validity array; string
 * bytes are copied into the table's arena, so a table outlives the batches
 * it was filled from. The vectors' pointers are const for consumers; the
 * table itself writes through them (it allocated them).
 */
#include "exec_int.h"

#include <math.h>
#include <string.h>

/* A column's set of distinct strings (open addressing on their hashes). */
typedef struct vl_x_intern {
    vl_sv *slot; /* .p NULL: empty */
    uint64_t *hash;
    size_t cap, n;
    bool on;
} vl_x_intern;


bool vl_x__kind_ok(vl_dt_kind kind) {
    switch (kind) {
    case VL_DT_STRING: case VL_DT_BINARY: case VL_DT_LONG: case VL_DT_INTEGER: case VL_DT_SHORT:
    case VL_DT_BYTE: case VL_DT_BOOLEAN: case VL_DT_DATE: case VL_DT_TIMESTAMP: case VL_DT_TIMESTAMP_NTZ:
    case VL_DT_FLOAT: case VL_DT_DOUBLE:
        return true;
    default:
        return false;
    }
}

vl_x_type vl_x__type_of_kind(vl_dt_kind kind) {
    if (kind == VL_DT_STRING || kind == VL_DT_BINARY) return VL_X_STR;
    if (kind == VL_DT_FLOAT || kind == VL_DT_DOUBLE) return VL_X_F64;
    return VL_X_I64;
}

vl_x_type vl_x_type_of_kind(vl_dt_kind kind) { return vl_x__type_of_kind(kind); }

int vl_x_type_of(const vl_dt_type *t, const char *name, vl_x_type *out, vl_error *err) {
    if (!vl_x__kind_ok(t->kind)) {
        vl_buf tn;
        vl_buf_init(&tn);
        int rc = vl_delta_type_name(t, &tn);
        vl_error_set(err, VL_ENOTSUP, "column %s: type %s is not supported by the execution engine", name,
                     rc == VL_OK ? vl_buf_cstr(&tn) : "?");
        vl_buf_free(&tn);
        return VL_ENOTSUP;
    }
    *out = vl_x__type_of_kind(t->kind);
    return VL_OK;
}

int vl_x__cell_cmp(const vl_x_vec *a, size_t ra, const vl_x_vec *b, size_t rb) {
    switch (a->type) {
    case VL_X_I64: {
        int64_t x = a->v.i64[ra], y = b->v.i64[rb];
        return (x > y) - (x < y);
    }
    case VL_X_F64: {
        double x = a->v.f64[ra], y = b->v.f64[rb];
        bool nx = isnan(x), ny = isnan(y);
        if (nx || ny) return nx - ny;
        return (x > y) - (x < y);
    }
    default: {
        vl_sv x = a->v.str[ra], y = b->v.str[rb];
        size_t n = x.n < y.n ? x.n : y.n;
        int c = n ? memcmp(x.p, y.p, n) : 0;
        if (c) return c < 0 ? -1 : 1;
        return (x.n > y.n) - (x.n < y.n);
    }
    }
}

/* ------------------------------------------------------------------ table */

static size_t elem_size(vl_x_type t) { return t == VL_X_STR ? sizeof(vl_sv) : 8; }

int vl_x_table_new(const char *const *names, const vl_dt_kind *kinds, uint32_t n_cols, vl_x_table **out,
                   vl_error *err) {
    *out = NULL;
    for (uint32_t c = 0; c < n_cols; c++) {
        if (!names[c]) return vl_error_set(err, VL_EINVAL, "column %u has no name", c);
        if (!vl_x__kind_ok(kinds[c]))
            return vl_error_set(err, VL_EINVAL, "column %s: only primitive types (not decimal) can be a table column",
                                names[c]);
    }
    vl_x_table *t = vl_calloc(1, sizeof(*t));
    if (!t) return vl_error_set(err, VL_ENOMEM, "out of memory");
    vl_arena_init(&t->arena, 0);
    t->names = vl_calloc(n_cols + 1, sizeof(char *));
    t->kinds = vl_calloc(n_cols + 1, sizeof(vl_dt_kind));
    t->vecs = vl_calloc(n_cols + 1, sizeof(vl_x_vec));
    if (!t->names || !t->kinds || !t->vecs) {
        vl_x_table_free(t);
        return vl_error_set(err, VL_ENOMEM, "out of memory");
    }
    t->n_cols = n_cols;
    for (uint32_t c = 0; c < n_cols; c++) {
        size_t len = strlen(names[c]);
        char *nm = vl_arena_memdup(&t->arena, names[c], len + 1);
        if (!nm) {
            vl_x_table_free(t);
            return vl_error_set(err, VL_ENOMEM, "out of memory");
        }
        t->names[c] = nm;
        t->kinds[c] = kinds[c];
        t->vecs[c].type = vl_x__type_of_kind(kinds[c]);
    }
    *out = t;
    return VL_OK;
}

void vl_x_table_free(vl_x_table *t) {
    if (!t) return;
    for (uint32_t c = 0; c < t->n_cols && t->vecs; c++) {
        vl_free(t->vecs[c].valid);
        vl_free(t->vecs[c].v.i64);
    }
    for (uint32_t c = 0; c < t->n_cols && t->interns; c++) {
        vl_free(t->interns[c].slot);
        vl_free(t->interns[c].hash);
    }
    vl_free(t->interns);
    vl_free(t->names);
    vl_free(t->kinds);
    vl_free(t->vecs);
    vl_arena_destroy(&t->arena);
    vl_free(t);
}

int vl_x_table_reserve(vl_x_table *t, size_t more) {
    if (more > SIZE_MAX / 4 - t->n) return VL_ENOMEM;
    if (t->n + more <= t->cap) return VL_OK;
    size_t cap = t->cap ? t->cap : 1024;
    while (cap < t->n + more) {
        if (cap > SIZE_MAX / 4) return VL_ENOMEM;
        cap *= 2;
    }
    for (uint32_t c = 0; c < t->n_cols; c++) {
        vl_x_vec *vec = &t->vecs[c];
        size_t es = elem_size(vec->type);
        if (cap > SIZE_MAX / es) return VL_ENOMEM;
        void *d = vl_realloc(vec->v.i64, cap * es);
        if (!d) return VL_ENOMEM;
        vec->v.i64 = d;
        uint8_t *v = vl_realloc(vec->valid, cap);
        if (!v) return VL_ENOMEM;
        vec->valid = v;
    }
    t->cap = cap;
    return VL_OK;
}

int vl_x_table_intern(vl_x_table *t, uint32_t col, vl_error *err) {
    if (col >= t->n_cols || t->vecs[col].type != VL_X_STR)
        return vl_error_set(err, VL_EINVAL, "column %u is not a string column", col);
    if (!t->interns && !(t->interns = vl_calloc(t->n_cols, sizeof(vl_x_intern))))
        return vl_error_set(err, VL_ENOMEM, "out of memory");
    t->interns[col].on = true;
    return VL_OK;
}

/* The interned copy of s (added when new), or NULL when out of memory. */
static const char *intern(vl_x_table *t, vl_x_intern *in, vl_sv s) {
    if ((in->n + 1) * 2 > in->cap) {
        size_t cap = in->cap ? in->cap * 2 : 1024;
        vl_sv *sl = vl_calloc(cap, sizeof(vl_sv));
        uint64_t *hs = vl_calloc(cap, sizeof(uint64_t));
        if (!sl || !hs) {
            vl_free(sl);
            vl_free(hs);
            return NULL;
        }
        for (size_t i = 0; i < in->cap; i++) {
            if (!in->slot[i].p) continue;
            size_t at = in->hash[i] & (cap - 1);
            while (sl[at].p) at = (at + 1) & (cap - 1);
            sl[at] = in->slot[i];
            hs[at] = in->hash[i];
        }
        vl_free(in->slot);
        vl_free(in->hash);
        in->slot = sl;
        in->hash = hs;
        in->cap = cap;
    }
    uint64_t h = vl_hash64(s.p, s.n, 0x696e7465726eull);
    size_t at = h & (in->cap - 1);
    for (; in->slot[at].p; at = (at + 1) & (in->cap - 1))
        if (in->hash[at] == h && in->slot[at].n == s.n && memcmp(in->slot[at].p, s.p, s.n) == 0) return in->slot[at].p;
    const char *p = vl_arena_memdup(&t->arena, s.p, s.n);
    if (!p) return NULL;
    in->slot[at] = (vl_sv){p, s.n};
    in->hash[at] = h;
    in->n++;
    return p;
}

int vl_x__table_put(vl_x_table *t, uint32_t col, size_t trow, const vl_x_vec *v, size_t row) {
    vl_x_vec *c = &t->vecs[col];
    uint8_t *valid = c->valid;
    if (v->valid && !v->valid[row]) {
        valid[trow] = 0;
        if (c->type == VL_X_STR) (c->v.str)[trow] = (vl_sv){"", 0};
        else (c->v.i64)[trow] = 0;
        return VL_OK;
    }
    valid[trow] = 1;
    switch (c->type) {
    case VL_X_I64:
        (c->v.i64)[trow] = v->v.i64[row];
        return VL_OK;
    case VL_X_F64:
        (c->v.f64)[trow] = v->v.f64[row];
        return VL_OK;
    default: {
        vl_sv s = v->v.str[row];
        const char *p = "";
        if (s.n && t->interns && t->interns[col].on) {
            if (!(p = intern(t, &t->interns[col], s))) return VL_ENOMEM;
        } else if (s.n && !(p = vl_arena_memdup(&t->arena, s.p, s.n))) {
            return VL_ENOMEM;
        }
        (c->v.str)[trow] = (vl_sv){p, s.n};
        return VL_OK;
    }
    }
}

int vl_x_table_append(vl_x_table *t, const vl_x_batch *b, vl_error *err) {
    if (b->n_cols != t->n_cols)
        return vl_error_set(err, VL_EINVAL, "appending %u columns to a table of %u", b->n_cols, t->n_cols);
    for (uint32_t c = 0; c < t->n_cols; c++)
        if (b->cols[c].type != t->vecs[c].type)
            return vl_error_set(err, VL_EINVAL, "column %s: appending values of another type", t->names[c]);
    size_t rows = vl_x_batch_rows(b);
    if (vl_x_table_reserve(t, rows) != VL_OK) return vl_error_set(err, VL_ENOMEM, "out of memory");
    for (uint32_t c = 0; c < t->n_cols; c++) {
        const vl_x_vec *v = &b->cols[c];
        uint8_t *valid = t->vecs[c].valid + t->n;
        if (v->type == VL_X_I64) {
            int64_t *d = t->vecs[c].v.i64 + t->n;
            for (size_t i = 0; i < rows; i++) {
                size_t r = vl_x_batch_row(b, i);
                bool ok = !v->valid || v->valid[r];
                valid[i] = ok;
                d[i] = ok ? v->v.i64[r] : 0;
            }
            continue;
        }
        if (v->type == VL_X_F64) {
            double *d = t->vecs[c].v.f64 + t->n;
            for (size_t i = 0; i < rows; i++) {
                size_t r = vl_x_batch_row(b, i);
                bool ok = !v->valid || v->valid[r];
                valid[i] = ok;
                d[i] = ok ? v->v.f64[r] : 0;
            }
            continue;
        }
        for (size_t i = 0; i < rows; i++)
            if (vl_x__table_put(t, c, t->n + i, v, vl_x_batch_row(b, i)) != VL_OK)
                return vl_error_set(err, VL_ENOMEM, "out of memory");
    }
    t->n += rows;
    for (uint32_t c = 0; c < t->n_cols; c++) t->vecs[c].n = t->n;
    return VL_OK;
}

int vl_x_table_row_add(vl_x_table *t) {
    VL_RETURN_IF_ERR(vl_x_table_reserve(t, 1));
    size_t r = t->n++;
    for (uint32_t c = 0; c < t->n_cols; c++) {
        vl_x_vec *vec = &t->vecs[c];
        (vec->valid)[r] = 0;
        if (vec->type == VL_X_STR) vec->v.str[r] = (vl_sv){"", 0};
        else if (vec->type == VL_X_F64) vec->v.f64[r] = 0;
        else vec->v.i64[r] = 0;
        vec->n = t->n;
    }
    return VL_OK;
}

void vl_x_table_set_i64(vl_x_table *t, uint32_t col, size_t row, int64_t v) {
    (t->vecs[col].v.i64)[row] = v;
    (t->vecs[col].valid)[row] = 1;
}

void vl_x_table_set_f64(vl_x_table *t, uint32_t col, size_t row, double v) {
    (t->vecs[col].v.f64)[row] = v;
    (t->vecs[col].valid)[row] = 1;
}

int vl_x_table_set_str(vl_x_table *t, uint32_t col, size_t row, vl_sv v) {
    vl_x_vec one = {.type = VL_X_STR, .n = 1, .v.str = &v};
    return vl_x__table_put(t, col, row, &one, 0);
}

int vl_x_table_put(vl_x_table *t, uint32_t col, size_t row, const vl_x_vec *v, size_t vrow) {
    return vl_x__table_put(t, col, row, v, vrow);
}

bool vl_x_cell_eq(const vl_x_vec *a, size_t ra, const vl_x_vec *b, size_t rb) { return vl_x__cell_eq(a, ra, b, rb); }

vl_x_batch vl_x_table_batch(const vl_x_table *t) {
    return (vl_x_batch){.n = t->n, .n_cols = t->n_cols, .cols = t->vecs, .sel = NULL, .n_sel = 0};
}

int vl_x_table_col(const vl_x_table *t, const char *name) {
    for (uint32_t c = 0; c < t->n_cols; c++)
        if (strcmp(t->names[c], name) == 0) return (int)c;
    return -1;
}

/* ------------------------------------------------------------------- JSON */

int vl_x_table_row_json(const vl_x_table *t, size_t row, vl_buf *out) {
    VL_RETURN_IF_ERR(vl_buf_putc(out, '{'));
    char tmp[40];
    for (uint32_t c = 0; c < t->n_cols; c++) {
        const vl_x_vec *vec = &t->vecs[c];
        if (c) VL_RETURN_IF_ERR(vl_buf_putc(out, ','));
        VL_RETURN_IF_ERR(vl_buf_json_str(out, t->names[c], strlen(t->names[c])));
        VL_RETURN_IF_ERR(vl_buf_putc(out, ':'));
        if (!vec->valid[row]) {
            VL_RETURN_IF_ERR(vl_buf_append(out, "null", 4));
            continue;
        }
        size_t n;
        switch (t->kinds[c]) {
        case VL_DT_BOOLEAN:
            VL_RETURN_IF_ERR(vec->v.i64[row] ? vl_buf_append(out, "true", 4) : vl_buf_append(out, "false", 5));
            break;
        case VL_DT_DATE:
            tmp[0] = '"';
            n = vl_date_format(tmp + 1, vec->v.i64[row]);
            tmp[n + 1] = '"';
            VL_RETURN_IF_ERR(vl_buf_append(out, tmp, n + 2));
            break;
        case VL_DT_TIMESTAMP:
        case VL_DT_TIMESTAMP_NTZ:
            tmp[0] = '"';
            n = vl_ts_format(tmp + 1, vec->v.i64[row]);
            tmp[n + 1] = '"';
            VL_RETURN_IF_ERR(vl_buf_append(out, tmp, n + 2));
            break;
        case VL_DT_FLOAT:
        case VL_DT_DOUBLE: {
            double d = vec->v.f64[row];
            n = vl_fmt_double(tmp, d);
            if (isfinite(d)) VL_RETURN_IF_ERR(vl_buf_append(out, tmp, n));
            else VL_RETURN_IF_ERR(vl_buf_json_str(out, tmp, n));
            break;
        }
        case VL_DT_STRING:
            VL_RETURN_IF_ERR(vl_buf_json_str(out, vec->v.str[row].p, vec->v.str[row].n));
            break;
        case VL_DT_BINARY: {
            vl_dt_type bt = {.kind = VL_DT_BINARY};
            vl_delta_value v = {.s = vec->v.str[row]};
            VL_RETURN_IF_ERR(vl_delta_value_json(&bt, &v, out));
            break;
        }
        default:
            n = vl_fmt_i64(tmp, vec->v.i64[row]);
            VL_RETURN_IF_ERR(vl_buf_append(out, tmp, n));
        }
    }
    return vl_buf_append(out, "}\n", 2);
}
