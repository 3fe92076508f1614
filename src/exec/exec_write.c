/* vidlake - Apache-2.0 */
/*
 * exec_write: batches into a Delta transaction (vl_x_writer), and whole
 * tables through it (vl_x_table_write_delta).
 *
 * The writer maps the batch's columns to the table schema by name once.
 * Each batch's selected rows are split by partition values (a short list
 * of the partitions open in this writer, their values copied), and each
 * partition's rows are converted to Parquet leaf columns (int32-backed
 * kinds narrowed with a range check, nulls as definition levels, a null
 * in a non-nullable column refused) and written to that partition's open
 * data file, which is closed and added when it reaches max_rows_per_file.
 */
#include "exec_int.h"

#define CHUNK_ROWS 65536

typedef struct wpart {
    vl_delta_value *pv; /* one per partition column; strings in the writer's arena */
    vl_delta_writer *f;
    size_t rows;     /* in the open file */
    uint32_t *idx;   /* this batch's rows */
    size_t n_idx, cap_idx;
} wpart;

struct vl_x_writer {
    vl_delta_txn *x;
    const vl_dt_type *st;
    const vl_delta_metadata *md;
    pthread_mutex_t *lock;
    size_t max_rows;
    int32_t *col_of; /* per schema field: batch column */
    bool *keep;      /* per schema field: a data (non-partition) column */
    int32_t *pcols;  /* per partition column: batch column */
    wpart *parts;
    size_t n_parts, cap_parts;
    vl_pq_column *cols;
    vl_arena conv, keys;
    int64_t rows;
};

static bool int32_kind(vl_dt_kind k) {
    return k == VL_DT_INTEGER || k == VL_DT_SHORT || k == VL_DT_BYTE || k == VL_DT_DATE;
}

static bool is_null(const vl_x_vec *v, size_t r) { return v->valid && !v->valid[r]; }

int vl_x_writer_open(vl_delta_txn *x, const char *const *names, const vl_x_type *types, uint32_t n_cols,
                     size_t max_rows_per_file, pthread_mutex_t *lock, vl_x_writer **out, vl_error *err) {
    *out = NULL;
    const vl_delta_metadata *md = vl_delta_txn_metadata(x);
    if (!md) return vl_error_set(err, VL_EINVAL, "the transaction has no table metadata yet");
    const vl_dt_type *st = &md->schema;
    vl_x_writer *w = vl_calloc(1, sizeof(*w));
    if (!w) return vl_error_set(err, VL_ENOMEM, "out of memory");
    w->x = x;
    w->st = st;
    w->md = md;
    w->lock = lock;
    w->max_rows = max_rows_per_file;
    vl_arena_init(&w->conv, 1 << 20);
    vl_arena_init(&w->keys, 0);
    w->col_of = vl_calloc(st->n_fields + 1, sizeof(int32_t));
    w->keep = vl_calloc(st->n_fields + 1, sizeof(bool));
    w->pcols = vl_calloc(md->n_partition_columns + 1, sizeof(int32_t));
    w->cols = vl_calloc(st->n_fields + 1, sizeof(vl_pq_column));
    int rc = VL_OK;
    if (!w->col_of || !w->keep || !w->pcols || !w->cols) {
        rc = vl_error_set(err, VL_ENOMEM, "out of memory");
        goto fail;
    }
    for (uint32_t fi = 0; fi < st->n_fields; fi++) {
        const vl_dt_field *fd = &st->fields[fi];
        char name[256];
        snprintf(name, sizeof(name), "%.*s", (int)fd->name.n, fd->name.p);
        int c = -1;
        for (uint32_t k = 0; k < n_cols && c < 0; k++)
            if (strcmp(names[k], name) == 0) c = (int)k;
        if (c < 0) {
            rc = vl_error_set(err, VL_EINVAL, "the result has no column %s for the table", name);
            goto fail;
        }
        vl_x_type xt;
        rc = vl_x_type_of(&fd->type, name, &xt, err);
        if (rc) goto fail;
        if (xt != types[c]) {
            rc = vl_error_set(err, VL_EINVAL, "column %s: the result's values do not fit the table's type", name);
            goto fail;
        }
        w->col_of[fi] = c;
        w->keep[fi] = true;
    }
    for (uint32_t p = 0; p < md->n_partition_columns; p++) {
        w->keep[md->partition_index[p]] = false;
        w->pcols[p] = w->col_of[md->partition_index[p]];
    }
    *out = w;
    return VL_OK;
fail:
    vl_x_writer_abort(w);
    return rc;
}

int64_t vl_x_writer_rows(const vl_x_writer *w) { return w->rows; }

static void part_drop(wpart *p) {
    vl_delta_writer_abort(p->f);
    p->f = NULL;
}

void vl_x_writer_abort(vl_x_writer *w) {
    if (!w) return;
    for (size_t i = 0; i < w->n_parts; i++) {
        part_drop(&w->parts[i]);
        vl_free(w->parts[i].idx);
    }
    vl_free(w->parts);
    vl_free(w->col_of);
    vl_free(w->keep);
    vl_free(w->pcols);
    vl_free(w->cols);
    vl_arena_destroy(&w->conv);
    vl_arena_destroy(&w->keys);
    vl_free(w);
}

/* Closes p's open file (adds it to the transaction). */
static int part_close(vl_x_writer *w, wpart *p, vl_error *err) {
    if (!p->f) return VL_OK;
    if (w->lock) pthread_mutex_lock(w->lock);
    int rc = vl_delta_writer_close(p->f, err);
    if (w->lock) pthread_mutex_unlock(w->lock);
    p->f = NULL;
    p->rows = 0;
    return rc;
}

int vl_x_writer_flush(vl_x_writer *w, vl_error *err) {
    int rc = VL_OK;
    for (size_t i = 0; i < w->n_parts; i++) {
        if (rc == VL_OK) rc = part_close(w, &w->parts[i], err);
        else part_drop(&w->parts[i]);
        vl_free(w->parts[i].idx);
    }
    w->n_parts = 0;
    vl_arena_reset(&w->keys);
    return rc;
}

int vl_x_writer_close(vl_x_writer *w, vl_error *err) {
    int rc = VL_OK;
    for (size_t i = 0; i < w->n_parts && rc == VL_OK; i++) rc = part_close(w, &w->parts[i], err);
    vl_x_writer_abort(w);
    return rc;
}

/* The partition of row r (found or added). */
static int part_of(vl_x_writer *w, const vl_x_batch *b, size_t r, wpart **out) {
    uint32_t np = w->md->n_partition_columns;
    for (size_t i = 0; i < w->n_parts; i++) {
        wpart *p = &w->parts[i];
        bool eq = true;
        for (uint32_t k = 0; k < np && eq; k++) {
            const vl_x_vec *v = &b->cols[w->pcols[k]];
            const vl_delta_value *pv = &p->pv[k];
            if (is_null(v, r) || pv->is_null) eq = is_null(v, r) && pv->is_null;
            else if (v->type == VL_X_I64) eq = v->v.i64[r] == pv->i;
            else if (v->type == VL_X_F64) eq = v->v.f64[r] == pv->d;
            else eq = v->v.str[r].n == pv->s.n && (!pv->s.n || memcmp(v->v.str[r].p, pv->s.p, pv->s.n) == 0);
        }
        if (eq) {
            *out = p;
            return VL_OK;
        }
    }
    wpart *ps = vl_grow(w->parts, &w->cap_parts, w->n_parts, sizeof(wpart), 4);
    if (!ps) return VL_ENOMEM;
    w->parts = ps;
    wpart *p = &w->parts[w->n_parts];
    memset(p, 0, sizeof(*p));
    p->pv = vl_arena_alloc(&w->keys, (np + 1) * sizeof(vl_delta_value));
    if (!p->pv) return VL_ENOMEM;
    for (uint32_t k = 0; k < np; k++) {
        const vl_x_vec *v = &b->cols[w->pcols[k]];
        p->pv[k] = (vl_delta_value){.is_null = is_null(v, r)};
        if (p->pv[k].is_null) continue;
        if (v->type == VL_X_I64) p->pv[k].i = v->v.i64[r];
        else if (v->type == VL_X_F64) p->pv[k].d = v->v.f64[r];
        else {
            vl_sv s = v->v.str[r];
            p->pv[k].s = (vl_sv){"", 0};
            if (s.n && !(p->pv[k].s.p = vl_arena_memdup(&w->keys, s.p, s.n))) return VL_ENOMEM;
            p->pv[k].s.n = s.n;
        }
    }
    w->n_parts++;
    *out = p;
    return VL_OK;
}

/* Rows rows[0..n) of b's data columns into Parquet columns (memory in w->conv). */
static int convert(vl_x_writer *w, const vl_x_batch *b, const uint32_t *rows, size_t n, vl_error *err) {
    const vl_dt_type *st = w->st;
    uint32_t k = 0;
    for (uint32_t fi = 0; fi < st->n_fields; fi++) {
        if (!w->keep[fi]) continue;
        const vl_dt_field *fd = &st->fields[fi];
        const vl_x_vec *v = &b->cols[w->col_of[fi]];
        vl_pq_column *c = &w->cols[k++];
        memset(c, 0, sizeof(*c));
        c->n = n;
        int16_t *def = vl_arena_alloc(&w->conv, (n ? n : 1) * sizeof(int16_t));
        vl_dt_kind kind = fd->type.kind;
        size_t es = kind == VL_DT_BOOLEAN                       ? 1
                    : int32_kind(kind) || kind == VL_DT_FLOAT   ? 4
                    : kind == VL_DT_STRING || kind == VL_DT_BINARY ? sizeof(vl_sv)
                                                                : 8;
        void *d = vl_arena_alloc(&w->conv, (n ? n : 1) * es);
        if (!def || !d) return vl_error_set(err, VL_ENOMEM, "out of memory");
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            size_t r = rows[i];
            if (is_null(v, r)) {
                if (!fd->nullable)
                    return vl_error_set(err, VL_EINVAL, "column %.*s is not nullable but a row has null",
                                        (int)fd->name.n, fd->name.p);
                def[i] = 0;
                continue;
            }
            def[i] = 1;
            switch (kind) {
            case VL_DT_BOOLEAN: ((uint8_t *)d)[m] = v->v.i64[r] != 0; break;
            case VL_DT_FLOAT: ((float *)d)[m] = (float)v->v.f64[r]; break;
            case VL_DT_DOUBLE: ((double *)d)[m] = v->v.f64[r]; break;
            case VL_DT_STRING:
            case VL_DT_BINARY: ((vl_sv *)d)[m] = v->v.str[r]; break;
            default:
                if (int32_kind(kind)) {
                    int64_t x = v->v.i64[r];
                    int64_t lo = kind == VL_DT_BYTE ? INT8_MIN : kind == VL_DT_SHORT ? INT16_MIN : INT32_MIN;
                    int64_t hi = kind == VL_DT_BYTE ? INT8_MAX : kind == VL_DT_SHORT ? INT16_MAX : INT32_MAX;
                    if (x < lo || x > hi)
                        return vl_error_set(err, VL_EINVAL, "column %.*s: %lld does not fit its type", (int)fd->name.n,
                                            fd->name.p, (long long)x);
                    ((int32_t *)d)[m] = (int32_t)x;
                } else {
                    ((int64_t *)d)[m] = v->v.i64[r];
                }
            }
            m++;
        }
        c->def = fd->nullable ? def : NULL;
        c->n_values = m;
        c->v.b = d;
    }
    return VL_OK;
}

/* Writes rows idx[0..n) of b to partition p, rolling files over. */
static int part_write(vl_x_writer *w, wpart *p, const vl_x_batch *b, const uint32_t *idx, size_t n, vl_error *err) {
    while (n > 0) {
        if (!p->f) {
            if (w->lock) pthread_mutex_lock(w->lock);
            int rc = vl_delta_writer_open(w->x, p->pv, 0, &p->f, err);
            if (w->lock) pthread_mutex_unlock(w->lock);
            VL_RETURN_IF_ERR(rc);
        }
        size_t room = w->max_rows ? w->max_rows - p->rows : n;
        size_t k = n < room ? n : room;
        if (k > CHUNK_ROWS) k = CHUNK_ROWS;
        vl_arena_reset(&w->conv);
        VL_RETURN_IF_ERR(convert(w, b, idx, k, err));
        VL_RETURN_IF_ERR(vl_delta_writer_write(p->f, w->cols, k, err));
        p->rows += k;
        w->rows += (int64_t)k;
        idx += k;
        n -= k;
        if (w->max_rows && p->rows >= w->max_rows) VL_RETURN_IF_ERR(part_close(w, p, err));
    }
    return VL_OK;
}

int vl_x_writer_add(vl_x_writer *w, const vl_x_batch *b, vl_error *err) {
    size_t rows = vl_x_batch_rows(b);
    if (!rows) return VL_OK;
    for (size_t i = 0; i < w->n_parts; i++) w->parts[i].n_idx = 0;
    for (size_t i = 0; i < rows; i++) {
        size_t r = vl_x_batch_row(b, i);
        wpart *p;
        if (part_of(w, b, r, &p) != VL_OK) return vl_error_set(err, VL_ENOMEM, "out of memory");
        uint32_t *ix = vl_grow(p->idx, &p->cap_idx, p->n_idx, sizeof(uint32_t), 1024);
        if (!ix) return vl_error_set(err, VL_ENOMEM, "out of memory");
        p->idx = ix;
        p->idx[p->n_idx++] = (uint32_t)r;
    }
    for (size_t i = 0; i < w->n_parts; i++)
        if (w->parts[i].n_idx) VL_RETURN_IF_ERR(part_write(w, &w->parts[i], b, w->parts[i].idx, w->parts[i].n_idx, err));
    return VL_OK;
}

int vl_x_table_write_delta(const vl_x_table *t, vl_delta_txn *x, size_t max_rows_per_file, vl_error *err) {
    vl_x_type *types = vl_calloc(t->n_cols + 1, sizeof(vl_x_type));
    if (!types) return vl_error_set(err, VL_ENOMEM, "out of memory");
    for (uint32_t c = 0; c < t->n_cols; c++) types[c] = t->vecs[c].type;
    vl_x_writer *w = NULL;
    int rc = vl_x_writer_open(x, t->names, types, t->n_cols, max_rows_per_file, NULL, &w, err);
    vl_free(types);
    if (rc) return rc;
    if (t->n > UINT32_MAX) {
        vl_x_writer_abort(w);
        return vl_error_set(err, VL_ERANGE, "a table of %zu rows is too large to write at once", t->n);
    }
    vl_x_batch b = vl_x_table_batch(t);
    rc = vl_x_writer_add(w, &b, err);
    if (rc) {
        vl_x_writer_abort(w);
        return rc;
    }
    return vl_x_writer_close(w, err);
}
