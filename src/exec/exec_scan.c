/* vidlake - Apache-2.0 */
/*
 * exec_scan: Delta snapshot -> batches, on worker threads.
 *
 * Files are the unit of work: workers take the next unpruned file from a
 * shared counter, open it (vl_delta_file_open: a large file by its footer),
 * drop the row groups the predicate cannot match (vl_delta_rg_may_match),
 * fetch the chunks of the needed leaves in the others, decode them into
 * typed vectors (int32/boolean/float widened, timestamps in ms/ns/INT96
 * brought to µs, optional columns scattered by their definition levels,
 * required int64/double columns used in place),
 * fill partition columns with the file's values and columns missing from
 * the file with nulls, cut the row group into batches, filter them, and
 * hand them to the consumer on that worker. The first error stops every
 * worker and is the one returned.
 *
 * Only top-level primitive columns are read (the engine's types); a
 * nested column named in the projection is refused.
 */
#include "exec_int.h"

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#define DEFAULT_BATCH_ROWS 65536

int vl_x_threads(int threads) {
    if (threads > 0) return threads > 64 ? 64 : threads;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1) n = 1;
    return n > 8 ? 8 : (int)n;
}

/* One column the scan reads: a field of the table's schema. */
typedef struct scol {
    uint32_t field;    /* index in the schema */
    char *name;        /* NUL-terminated copy */
    vl_x_type type;
    int32_t part;      /* index among the partition columns, or -1 */
} scol;

typedef struct scan {
    const vl_delta_snapshot *s;
    const vl_x_scan_opts *o;
    scol *cols;
    uint32_t n_cols, n_out; /* read; handed to the consumer (the projection) */
    vl_x_filter *filter;
    const vl_delta_file **files;
    size_t n_files;
    size_t chunk; /* files a worker takes at a time */
    size_t batch_rows;
    vl_x_batch_cb cb;
    void *ctx;
    atomic_size_t next;
    atomic_int failed;
    pthread_mutex_t mu; /* err and stats */
    vl_error *err;
    int rc;
    vl_x_scan_stats st;
} scan;

typedef struct worker {
    scan *S;
    int id;
    vl_delta_file_src src;
    vl_arena arena; /* one row group's decoded columns */
    vl_x_vec *vecs, *part; /* a row group's vectors; a batch's slices of them */
    uint32_t *sel;
    vl_x_scan_stats st;
    vl_error err;
    int rc;
} worker;

/* ------------------------------------------------------------ conversion */

static int64_t int96_us(const uint8_t *p) {
    uint64_t nanos = 0;
    uint32_t jd = 0;
    for (int i = 7; i >= 0; i--) nanos = nanos << 8 | p[i];
    for (int i = 11; i >= 8; i--) jd = jd << 8 | p[i];
    return ((int64_t)jd - 2440588) * VL_US_PER_DAY + (int64_t)(nanos / 1000);
}

/* The decoded leaf c as a vector of type t, n rows, into v (memory in a). */
static int to_vec(const vl_pq_column *c, vl_x_type t, vl_dt_kind kind, vl_arena *a, vl_x_vec *v, const char *file,
                  const char *name, vl_error *err) {
    const vl_pq_node *leaf = c->leaf;
    size_t n = c->n;
    memset(v, 0, sizeof(*v));
    v->type = t;
    v->n = n;
    bool dense = leaf->max_def == 0; /* every slot has a value, in order */
    if (!dense) {
        uint8_t *valid = vl_arena_alloc(a, n ? n : 1);
        if (!valid) return vl_error_set(err, VL_ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) valid[i] = c->def[i] == leaf->max_def;
        v->valid = valid;
    }
    int32_t ph = leaf->physical;
    bool ok = t == VL_X_STR   ? (ph == VL_PQ_T_BYTE_ARRAY || ph == VL_PQ_T_FIXED_LEN_BYTE_ARRAY)
              : t == VL_X_F64 ? (ph == VL_PQ_T_FLOAT || ph == VL_PQ_T_DOUBLE)
                              : (ph == VL_PQ_T_INT32 || ph == VL_PQ_T_INT64 || ph == VL_PQ_T_BOOLEAN ||
                                 ph == VL_PQ_T_INT96);
    if (!ok)
        return vl_error_set(err, VL_ECORRUPT, "%s: column %s is stored as %s, which does not fit its table type", file,
                            name, vl_pq_type_name(ph));
    if (ph == VL_PQ_T_INT96 && kind != VL_DT_TIMESTAMP && kind != VL_DT_TIMESTAMP_NTZ)
        return vl_error_set(err, VL_ECORRUPT, "%s: column %s is INT96 but not a timestamp", file, name);
    /* required int64 / double: the decoded array is the vector */
    if (dense && ph == VL_PQ_T_INT64 && t == VL_X_I64 &&
        !(leaf->logical.kind == VL_PQ_LT_TIMESTAMP && leaf->logical.unit != VL_PQ_UNIT_MICROS)) {
        v->v.i64 = c->v.i64;
        return VL_OK;
    }
    if (dense && ph == VL_PQ_T_DOUBLE) {
        v->v.f64 = c->v.f64;
        return VL_OK;
    }
    size_t es = t == VL_X_STR ? sizeof(vl_sv) : 8;
    void *d = vl_arena_alloc(a, (n ? n : 1) * es);
    if (!d) return vl_error_set(err, VL_ENOMEM, "out of memory");
    int64_t scale_mul = 1, scale_div = 1;
    if (leaf->logical.kind == VL_PQ_LT_TIMESTAMP) {
        if (leaf->logical.unit == VL_PQ_UNIT_MILLIS) scale_mul = 1000;
        else if (leaf->logical.unit == VL_PQ_UNIT_NANOS) scale_div = 1000;
    }
    size_t k = 0; /* next dense value */
    for (size_t i = 0; i < n; i++) {
        if (!dense && !v->valid[i]) { /* a null slot holds zero */
            if (t == VL_X_STR) ((vl_sv *)d)[i] = (vl_sv){"", 0};
            else if (t == VL_X_F64) ((double *)d)[i] = 0;
            else ((int64_t *)d)[i] = 0;
            continue;
        }
        if (k >= c->n_values)
            return vl_error_set(err, VL_ECORRUPT, "%s: column %s has fewer values than its levels say", file, name);
        switch (ph) {
        case VL_PQ_T_BOOLEAN: ((int64_t *)d)[i] = c->v.b[k]; break;
        case VL_PQ_T_INT32: ((int64_t *)d)[i] = c->v.i32[k]; break;
        case VL_PQ_T_INT64: {
            int64_t x = c->v.i64[k];
            if (scale_div > 1) x = x / scale_div - (x % scale_div < 0); /* floor */
            else if (scale_mul > 1) x = (x > INT64_MAX / scale_mul || x < INT64_MIN / scale_mul) ? (x > 0 ? INT64_MAX : INT64_MIN) : x * scale_mul;
            ((int64_t *)d)[i] = x;
            break;
        }
        case VL_PQ_T_INT96:
            if (c->v.bin[k].n != 12)
                return vl_error_set(err, VL_ECORRUPT, "%s: column %s: an INT96 value of %zu bytes", file, name,
                                    c->v.bin[k].n);
            ((int64_t *)d)[i] = int96_us((const uint8_t *)c->v.bin[k].p);
            break;
        case VL_PQ_T_FLOAT: ((double *)d)[i] = c->v.f32[k]; break;
        case VL_PQ_T_DOUBLE: ((double *)d)[i] = c->v.f64[k]; break;
        default: ((vl_sv *)d)[i] = c->v.bin[k]; break;
        }
        k++;
    }
    v->v.i64 = d;
    return VL_OK;
}

/* A vector of n copies of one value (or nulls). */
static int const_vec(vl_x_type t, const vl_delta_value *val, size_t n, vl_arena *a, vl_x_vec *v) {
    memset(v, 0, sizeof(*v));
    v->type = t;
    v->n = n;
    size_t es = t == VL_X_STR ? sizeof(vl_sv) : 8;
    void *d = vl_arena_alloc(a, (n ? n : 1) * es);
    if (!d) return VL_ENOMEM;
    if (!val || val->is_null) {
        uint8_t *valid = vl_arena_alloc(a, n ? n : 1);
        if (!valid) return VL_ENOMEM;
        memset(valid, 0, n);
        memset(d, 0, (n ? n : 1) * es);
        v->valid = valid;
    } else {
        for (size_t i = 0; i < n; i++) {
            if (t == VL_X_I64) ((int64_t *)d)[i] = val->i;
            else if (t == VL_X_F64) ((double *)d)[i] = val->d;
            else ((vl_sv *)d)[i] = val->s;
        }
    }
    v->v.i64 = d;
    return VL_OK;
}

/* ------------------------------------------------------------------- work */

static int scan_file(worker *W, const vl_delta_file *f) {
    scan *S = W->S;
    const vl_delta_snapshot *s = S->s;
    const vl_delta_metadata *md = &s->metadata;
    vl_error *err = &W->err;
    vl_pq_reader *r = NULL;
    int32_t *leaf_of = vl_calloc(S->n_cols + 1, sizeof(int32_t));
    vl_delta_value *pv = vl_calloc(S->n_cols + 1, sizeof(vl_delta_value));
    bool *rg_keep = NULL, *leaves = NULL;
    vl_arena pa; /* partition values */
    vl_arena_init(&pa, 0);
    int rc = VL_OK;
    if (!leaf_of || !pv) {
        rc = vl_error_set(err, VL_ENOMEM, "out of memory");
        goto done;
    }
    rc = vl_delta_file_open(s, f, &W->src, &r, err);
    if (rc) goto done;
    const char *key = vl_buf_cstr(&W->src.key);
    const vl_pq_node *root = vl_pq_reader_schema(r)->root;
    for (uint32_t c = 0; c < S->n_cols; c++) {
        const scol *sc = &S->cols[c];
        leaf_of[c] = -1;
        if (sc->part >= 0) {
            const vl_delta_kv *kv = (uint32_t)sc->part < f->n_partition_values ? &f->partition_values[sc->part] : NULL;
            rc = vl_delta_value_parse(&md->schema.fields[sc->field].type, kv ? kv->value.p : NULL, kv ? kv->value.n : 0,
                                      !kv || kv->value_null, &pv[c], err);
            if (rc) goto done;
            if (pv[c].s.n && !(pv[c].s.p = vl_arena_memdup(&pa, pv[c].s.p, pv[c].s.n))) {
                rc = vl_error_set(err, VL_ENOMEM, "out of memory");
                goto done;
            }
            continue;
        }
        const vl_pq_node *hit = vl_delta_file_column(root, md->schema.fields[sc->field].name);
        if (!hit) {
            pv[c].is_null = true; /* not in this file: null */
            continue;
        }
        if (hit->leaf < 0 || hit->max_rep > 0) {
            rc = vl_error_set(err, VL_ECORRUPT, "%s: column %s is nested in the file", key, sc->name);
            goto done;
        }
        leaf_of[c] = hit->leaf;
    }
    /* the row groups the predicate may match, and the leaves read: only
     * their column chunks are fetched */
    const vl_pq_file_meta *m = vl_pq_reader_meta(r);
    uint32_t n_leaves = vl_pq_reader_schema(r)->n_leaves;
    rg_keep = vl_calloc(m->n_row_groups + 1, sizeof(bool));
    leaves = vl_calloc(n_leaves + 1, sizeof(bool));
    if (!rg_keep || !leaves) {
        rc = vl_error_set(err, VL_ENOMEM, "out of memory");
        goto done;
    }
    for (uint32_t c = 0; c < S->n_cols; c++)
        if (leaf_of[c] >= 0) leaves[leaf_of[c]] = true;
    for (uint32_t rg = 0; rg < m->n_row_groups; rg++) {
        W->st.row_groups_total++;
        rg_keep[rg] = !S->o->where || vl_delta_rg_may_match(s, f, r, rg, S->o->where);
        if (!rg_keep[rg]) W->st.row_groups_pruned++;
    }
    rc = vl_pq_reader_load(r, rg_keep, leaves, err);
    for (uint32_t rg = 0; rg < m->n_row_groups && rc == VL_OK; rg++) {
        if (atomic_load(&S->failed)) break;
        if (!rg_keep[rg]) continue;
        vl_arena_reset(&W->arena);
        size_t n = (size_t)m->row_groups[rg].num_rows;
        for (uint32_t c = 0; c < S->n_cols && rc == VL_OK; c++) {
            const scol *sc = &S->cols[c];
            if (leaf_of[c] < 0) {
                if (const_vec(sc->type, &pv[c], n, &W->arena, &W->vecs[c]) != VL_OK)
                    rc = vl_error_set(err, VL_ENOMEM, "out of memory");
                continue;
            }
            vl_pq_column col;
            rc = vl_pq_read_column(r, rg, (uint32_t)leaf_of[c], &W->arena, &col, err);
            if (rc) break;
            if (col.n != n) {
                rc = vl_error_set(err, VL_ECORRUPT, "%s: row group %u: column %s has %zu values for %zu rows", key, rg,
                                  sc->name, col.n, n);
                break;
            }
            rc = to_vec(&col, sc->type, md->schema.fields[sc->field].type.kind, &W->arena, &W->vecs[c], key, sc->name,
                        err);
        }
        if (rc) break;
        W->st.rows_read += (int64_t)n;
        /* batches of at most batch_rows */
        for (size_t off = 0; off < n && rc == VL_OK; off += S->batch_rows) {
            size_t len = n - off < S->batch_rows ? n - off : S->batch_rows;
            vl_x_vec *part = W->part;
            for (uint32_t c = 0; c < S->n_cols; c++) {
                part[c] = W->vecs[c];
                part[c].n = len;
                if (part[c].valid) part[c].valid += off;
                if (part[c].type == VL_X_STR) part[c].v.str += off;
                else part[c].v.i64 += off; /* doubles are 8 bytes as well */
            }
            vl_x_batch b = {.n = len, .n_cols = S->n_cols, .cols = part};
            if (S->filter) {
                size_t k;
                rc = vl_x_filter_apply(S->filter, &b, W->sel, &k, err);
                if (rc) break;
                if (k == 0) continue;
                if (k < len) {
                    b.sel = W->sel;
                    b.n_sel = k;
                }
            }
            W->st.rows_selected += (int64_t)vl_x_batch_rows(&b);
            b.n_cols = S->n_out;
            rc = S->cb(S->ctx, W->id, &b, err);
        }
    }
done:
    vl_pq_reader_close(r);
    vl_free(rg_keep);
    vl_free(leaves);
    vl_free(leaf_of);
    vl_free(pv);
    vl_arena_destroy(&pa);
    return rc;
}

/* Files are taken S->chunk at a time; when that is more than one (a store
 * whose gets each pay a round trip), the chunk's small files are fetched
 * at once before they are read. */
static void *worker_main(void *arg) {
    worker *W = arg;
    scan *S = W->S;
    for (;;) {
        if (atomic_load(&S->failed)) break;
        size_t i = atomic_fetch_add(&S->next, S->chunk);
        if (i >= S->n_files) break;
        size_t m = S->n_files - i < S->chunk ? S->n_files - i : S->chunk;
        vl_delta_ahead *ah = m > 1 ? vl_delta_ahead_new(S->s, (const vl_delta_file *const *)(S->files + i), m, NULL, m) : NULL;
        int rc = VL_OK;
        for (size_t j = 0; j < m && rc == VL_OK && !atomic_load(&S->failed); j++) {
            if (ah) vl_delta_ahead_take(ah, j, &W->src);
            W->st.files_read++;
            rc = scan_file(W, S->files[i + j]);
        }
        vl_delta_ahead_free(ah);
        if (rc) {
            pthread_mutex_lock(&S->mu);
            if (!atomic_load(&S->failed)) {
                S->rc = rc;
                if (S->err) *S->err = W->err;
                atomic_store(&S->failed, 1);
            }
            pthread_mutex_unlock(&S->mu);
            break;
        }
    }
    return NULL;
}

/* ------------------------------------------------------------------- scan */

static int resolve(scan *S, vl_error *err) {
    const vl_delta_metadata *md = &S->s->metadata;
    const vl_dt_type *st = &md->schema;
    const vl_x_scan_opts *o = S->o;
    uint32_t n_proj = o->columns ? (uint32_t)o->n_columns : st->n_fields;
    bool *used = vl_calloc(st->n_fields + 1, sizeof(bool));
    S->cols = vl_calloc(n_proj + st->n_fields + 1, sizeof(scol));
    int32_t *col_of = vl_calloc(st->n_fields + 1, sizeof(int32_t));
    int rc = VL_OK;
    if (!used || !S->cols || !col_of) {
        rc = vl_error_set(err, VL_ENOMEM, "out of memory");
        goto done;
    }
    for (uint32_t i = 0; i < st->n_fields; i++) col_of[i] = -1;
    for (uint32_t c = 0; c < n_proj; c++) {
        uint32_t fi = c;
        if (o->columns) {
            const char *nm = o->columns[c];
            if (!vl_delta_field_find(st, vl_sv_cstr(nm), &fi)) {
                rc = vl_error_set(err, VL_EINVAL, "no column %s in the table", nm);
                goto done;
            }
        }
        S->cols[S->n_cols].field = fi;
        if (col_of[fi] < 0) col_of[fi] = (int32_t)S->n_cols;
        S->n_cols++;
    }
    S->n_out = S->n_cols;
    if (o->where) {
        vl_delta_expr_columns(o->where, used);
        for (uint32_t fi = 0; fi < st->n_fields; fi++)
            if (used[fi] && col_of[fi] < 0) {
                S->cols[S->n_cols].field = fi;
                col_of[fi] = (int32_t)S->n_cols++;
            }
    }
    for (uint32_t c = 0; c < S->n_cols; c++) {
        scol *sc = &S->cols[c];
        const vl_dt_field *fd = &st->fields[sc->field];
        char *nm = vl_malloc(fd->name.n + 1);
        if (!nm) {
            rc = vl_error_set(err, VL_ENOMEM, "out of memory");
            goto done;
        }
        memcpy(nm, fd->name.p, fd->name.n);
        nm[fd->name.n] = 0;
        sc->name = nm;
        rc = vl_x_type_of(&fd->type, nm, &sc->type, err);
        if (rc) goto done;
        sc->part = -1;
        for (uint32_t p = 0; p < md->n_partition_columns; p++)
            if (md->partition_index[p] == sc->field) sc->part = (int32_t)p;
    }
    if (o->where) rc = vl_x_filter_new(o->where, st, col_of, &S->filter, err);
done:
    vl_free(used);
    vl_free(col_of);
    return rc;
}

int vl_x_scan(const vl_delta_snapshot *s, const vl_x_scan_opts *o, vl_x_batch_cb cb, void *ctx, vl_x_scan_stats *st,
              vl_error *err) {
    scan S = {.s = s, .o = o, .cb = cb, .ctx = ctx, .err = err};
    S.batch_rows = o->batch_rows ? o->batch_rows : DEFAULT_BATCH_ROWS;
    atomic_init(&S.next, 0);
    atomic_init(&S.failed, 0);
    pthread_mutex_init(&S.mu, NULL);
    int threads = vl_x_threads(o->threads);
    worker *ws = NULL;
    int rc = resolve(&S, err);
    if (rc) goto done;
    /* the files, pruned */
    size_t total = o->files ? o->n_files : s->n_files;
    S.files = vl_calloc(total + 1, sizeof(*S.files));
    if (!S.files) {
        rc = vl_error_set(err, VL_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < total; i++) {
        const vl_delta_file *f = o->files ? o->files[i] : &s->files[i];
        if (o->where && !vl_delta_file_may_match(s, f, o->where)) {
            S.st.files_pruned++;
            continue;
        }
        S.files[S.n_files++] = f;
    }
    S.st.files_total = total;
    if ((size_t)threads > S.n_files) threads = S.n_files ? (int)S.n_files : 1;
    S.chunk = 1;
    if (vl_store_get_concurrency(vl_delta_table_store(s->table)) > 1) {
        S.chunk = S.n_files / ((size_t)threads * 2);
        S.chunk = S.chunk < 1 ? 1 : S.chunk > VL_DELTA_AHEAD_MAX ? VL_DELTA_AHEAD_MAX : S.chunk;
    }
    ws = vl_calloc((size_t)threads, sizeof(worker));
    if (!ws) {
        rc = vl_error_set(err, VL_ENOMEM, "out of memory");
        goto done;
    }
    int started = 0;
    pthread_t tid[64];
    for (int w = 0; w < threads; w++) {
        worker *W = &ws[w];
        W->S = &S;
        W->id = w;
        vl_delta_file_src_init(&W->src);
        vl_arena_init(&W->arena, 1 << 20);
        W->vecs = vl_calloc(S.n_cols + 1, sizeof(vl_x_vec));
        W->part = vl_calloc(S.n_cols + 1, sizeof(vl_x_vec));
        W->sel = vl_calloc(S.batch_rows, sizeof(uint32_t));
        if (!W->vecs || !W->part || !W->sel) {
            rc = vl_error_set(err, VL_ENOMEM, "out of memory");
            goto join;
        }
    }
    if (threads == 1) {
        worker_main(&ws[0]);
    } else {
        for (; started < threads; started++)
            if (pthread_create(&tid[started], NULL, worker_main, &ws[started]) != 0) break;
        if (started == 0) worker_main(&ws[0]); /* no threads to be had: do it here */
    }
join:
    for (int w = 0; w < started; w++) pthread_join(tid[w], NULL);
    if (rc == VL_OK && atomic_load(&S.failed)) rc = S.rc;
    for (int w = 0; w < threads; w++) {
        worker *W = &ws[w];
        S.st.files_read += W->st.files_read;
        S.st.row_groups_total += W->st.row_groups_total;
        S.st.row_groups_pruned += W->st.row_groups_pruned;
        S.st.rows_read += W->st.rows_read;
        S.st.rows_selected += W->st.rows_selected;
        S.st.bytes_read += W->src.bytes;
        vl_delta_file_src_free(&W->src);
        vl_arena_destroy(&W->arena);
        vl_free(W->vecs);
        vl_free(W->part);
        vl_free(W->sel);
    }
done:
    if (st) *st = S.st;
    vl_free(ws);
    vl_x_filter_free(S.filter);
    for (uint32_t c = 0; c < S.n_cols; c++) vl_free(S.cols[c].name);
    vl_free(S.cols);
    vl_free(S.files);
    pthread_mutex_destroy(&S.mu);
    return rc;
}
