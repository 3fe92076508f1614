/* vidlake - Apache-2.0 */
/*
 * Scans: the rows of a snapshot's live files in table-schema order.
 *
 * Each data file is read with the Parquet reader and its rows reassembled
 * as per-field JSON cells; the scan then lays them out in the table's
 * column order: partition columns come from the file's partitionValues
 * (typed by the schema), columns the file lacks (added later by schema
 * evolution) are null, and the file's own columns are matched by name.
 *
 * Pruning: a file is skipped when its partition values or stats prove that
 * no row satisfies the predicate (vl_delta_expr_prune), and so is a row
 * group of a file read, from its Parquet statistics. Rows of the row groups
 * that remain are filtered with the predicate itself.
 *
 * Data files: a file of VL_DELTA_RANGED_MIN bytes or more is opened by its
 * footer and only the column chunks a read needs are fetched (ranged gets);
 * smaller ones are read whole (vl_delta_file_open).
 *
 * Not here: deletion vectors (refused at load), column mapping (refused).
 */
#include "delta_int.h"

#include <math.h>
#include <string.h>

int vl_delta__cell_value(const vl_dt_type *t, vl_sv cell, vl_arena *a, vl_delta_value *out, vl_error *err) {
    memset(out, 0, sizeof(*out));
    if (cell.n == 0 || (cell.n == 4 && memcmp(cell.p, "null", 4) == 0)) {
        out->is_null = true;
        return VL_OK;
    }
    const vl_json *j;
    VL_RETURN_IF_ERR(vl_json_parse(cell.p, cell.n, a, &j, err));
    return vl_delta_value_from_json(t, j, a, out, err);
}

int vl_delta__file_part_value(const vl_delta_snapshot *s, const vl_delta_file *f, uint32_t i, vl_delta_value *out,
                              vl_error *err) {
    const vl_delta_metadata *md = &s->metadata;
    const vl_dt_type *t = &md->schema.fields[md->partition_index[i]].type;
    const vl_delta_kv *kv = i < f->n_partition_values ? &f->partition_values[i] : NULL;
    int rc = vl_delta_value_parse(t, kv ? kv->value.p : NULL, kv ? kv->value.n : 0, !kv || kv->value_null, out, err);
    if (rc)
        vl_error_prefix(err, "file %.*s: partition value of '%.*s': ", (int)f->path.n, f->path.p,
                        (int)md->partition_columns[i].n, md->partition_columns[i].p);
    return rc;
}

/* ---------------------------------------------------------------- pruning */

/* The stats JSON member for field name (top-level). */
static const vl_json *stat_of(const vl_json *stats, const char *group, vl_sv name) {
    const vl_json *g = vl_json_get(stats, group);
    if (!g || vl_json_kind(g) != VL_JSON_OBJECT) return NULL;
    const vl_json *v = vl_json_get_sv(g, name);
    return v && !vl_json_is_null(v) ? v : NULL;
}

/* For a partition column i: its value in file f, known exactly (if it
 * parses). False for other columns. */
static bool part_fact(const vl_delta_snapshot *s, const vl_delta_file *f, uint32_t i, vl_delta_colinfo *ci) {
    const vl_delta_metadata *md = &s->metadata;
    for (uint32_t p = 0; p < md->n_partition_columns; p++)
        if (md->partition_index[p] == i) {
            if (vl_delta__file_part_value(s, f, p, &ci->value, NULL) == VL_OK) ci->exact = true;
            return true;
        }
    return false;
}

bool vl_delta_file_may_match(const vl_delta_snapshot *s, const vl_delta_file *f, const vl_delta_expr *e) {
    if (!e) return true;
    const vl_dt_type *st = &s->metadata.schema;
    uint32_t nf = st->n_fields;
    bool *used = vl_calloc(nf + 1, sizeof(bool));
    vl_delta_colinfo *ci = vl_calloc(nf + 1, sizeof(*ci));
    vl_arena a;
    vl_arena_init(&a, 4096);
    bool may = true;
    if (!used || !ci) goto done;
    vl_delta_expr_columns(e, used);
    const vl_json *stats = NULL;
    if (f->stats.n && vl_json_parse(f->stats.p, f->stats.n, &a, &stats, NULL) != VL_OK) stats = NULL;
    if (stats && vl_json_kind(stats) != VL_JSON_OBJECT) stats = NULL;
    int64_t nrec = f->num_records;
    for (uint32_t i = 0; i < nf; i++) {
        ci[i].null_count = -1;
        ci[i].num_records = nrec;
        if (!used[i]) continue;
        const vl_dt_field *fd = &st->fields[i];
        bool is_part = part_fact(s, f, i, &ci[i]);
        if (is_part || !stats || fd->type.kind >= VL_DT_STRUCT) continue;
        const vl_json *mn = stat_of(stats, "minValues", fd->name), *mx = stat_of(stats, "maxValues", fd->name),
                      *nc = stat_of(stats, "nullCount", fd->name);
        if (mn && vl_delta_value_from_json(&fd->type, mn, &a, &ci[i].min, NULL) == VL_OK && !ci[i].min.is_null)
            ci[i].has_min = true;
        if (mx && vl_delta_value_from_json(&fd->type, mx, &a, &ci[i].max, NULL) == VL_OK && !ci[i].max.is_null) {
            ci[i].has_max = true;
            /* timestamps in stats are often truncated to milliseconds: the
             * true maximum may be up to 999 µs later */
            if ((fd->type.kind == VL_DT_TIMESTAMP || fd->type.kind == VL_DT_TIMESTAMP_NTZ) && ci[i].max.i % 1000 == 0)
                ci[i].max.i += 999;
        }
        int64_t n;
        if (nc && vl_json_i64(nc, &n)) ci[i].null_count = n;
    }
    may = vl_delta_expr_prune(e, st, ci) != VL_DELTA_NO;
done:
    vl_arena_destroy(&a);
    vl_free(ci);
    vl_free(used);
    return may;
}

/* The bound raw (a Parquet statistic of leaf, plain-encoded) as a value of
 * type t, converted as the scans convert values; false when it cannot be. */
static bool pq_bound(const vl_pq_node *leaf, const vl_dt_type *t, vl_sv raw, vl_delta_value *out) {
    memset(out, 0, sizeof(*out));
    int32_t ph = leaf->physical;
    bool is_unsigned = leaf->logical.kind == VL_PQ_LT_INTEGER && !leaf->logical.is_signed;
    switch (t->kind) {
    case VL_DT_STRING:
    case VL_DT_BINARY:
        if (ph != VL_PQ_T_BYTE_ARRAY && ph != VL_PQ_T_FIXED_LEN_BYTE_ARRAY) return false;
        out->s = raw;
        return true;
    case VL_DT_FLOAT:
    case VL_DT_DOUBLE:
        /* a FLOAT column's values reach the two scans differently (widened;
         * or printed shortest and parsed back): its bounds never prune */
        if (ph != VL_PQ_T_DOUBLE || raw.n != 8) return false;
        memcpy(&out->d, raw.p, 8);
        return !isnan(out->d);
    case VL_DT_BOOLEAN:
        if (ph != VL_PQ_T_BOOLEAN || raw.n != 1) return false;
        out->i = (uint8_t)raw.p[0] & 1;
        return true;
    case VL_DT_LONG:
    case VL_DT_INTEGER:
    case VL_DT_SHORT:
    case VL_DT_BYTE:
    case VL_DT_DATE:
    case VL_DT_TIMESTAMP:
    case VL_DT_TIMESTAMP_NTZ:
        if (is_unsigned) return false;
        /* a timestamp kept as days or another int32 is not converted alike */
        if ((t->kind == VL_DT_TIMESTAMP || t->kind == VL_DT_TIMESTAMP_NTZ) && ph != VL_PQ_T_INT64) return false;
        if (ph == VL_PQ_T_INT32 && raw.n == 4) {
            int32_t x;
            memcpy(&x, raw.p, 4);
            out->i = x;
        } else if (ph == VL_PQ_T_INT64 && raw.n == 8) {
            memcpy(&out->i, raw.p, 8);
        } else {
            return false;
        }
        if (leaf->logical.kind == VL_PQ_LT_TIMESTAMP) { /* to µs, as the scans do */
            int64_t x = out->i;
            if (leaf->logical.unit == VL_PQ_UNIT_MILLIS)
                out->i = x > INT64_MAX / 1000 ? INT64_MAX : x < INT64_MIN / 1000 ? INT64_MIN : x * 1000;
            else if (leaf->logical.unit == VL_PQ_UNIT_NANOS)
                out->i = x / 1000 - (x % 1000 < 0); /* floor */
        }
        return true;
    default:
        return false;
    }
}

const vl_pq_node *vl_delta_file_column(const vl_pq_node *root, vl_sv name) {
    for (uint32_t k = 0; k < root->n_children; k++)
        if (vl_sv_eq(root->children[k].name, name)) return &root->children[k];
    for (uint32_t k = 0; k < root->n_children; k++)
        if (vl_sv_eq_nocase(root->children[k].name, name)) return &root->children[k];
    return NULL;
}

bool vl_delta_rg_may_match(const vl_delta_snapshot *s, const vl_delta_file *f, const vl_pq_reader *r, uint32_t rg,
                           const vl_delta_expr *e) {
    if (!e) return true;
    const vl_dt_type *st = &s->metadata.schema;
    const vl_pq_file_meta *pm = vl_pq_reader_meta(r);
    const vl_pq_node *root = vl_pq_reader_schema(r)->root;
    if (rg >= pm->n_row_groups) return true;
    uint32_t nf = st->n_fields;
    bool *used = vl_calloc(nf + 1, sizeof(bool));
    vl_delta_colinfo *ci = vl_calloc(nf + 1, sizeof(*ci));
    bool may = true;
    if (!used || !ci) goto done;
    vl_delta_expr_columns(e, used);
    int64_t nrec = pm->row_groups[rg].num_rows;
    for (uint32_t i = 0; i < nf; i++) {
        ci[i].null_count = -1;
        ci[i].num_records = nrec;
        if (!used[i]) continue;
        const vl_dt_field *fd = &st->fields[i];
        bool is_part = part_fact(s, f, i, &ci[i]);
        if (is_part || fd->type.kind >= VL_DT_STRUCT) continue;
        const vl_pq_node *hit = vl_delta_file_column(root, fd->name);
        if (!hit) { /* not in this file: every row is null */
            ci[i].exact = true;
            ci[i].value.is_null = true;
            continue;
        }
        if (hit->leaf < 0 || hit->max_rep > 0) continue;
        vl_sv mn, mx;
        if (vl_pq_rg_bounds(r, rg, (uint32_t)hit->leaf, &mn, &mx, &ci[i].null_count)) {
            ci[i].has_min = pq_bound(hit, &fd->type, mn, &ci[i].min);
            ci[i].has_max = pq_bound(hit, &fd->type, mx, &ci[i].max);
        }
    }
    may = vl_delta_expr_prune(e, st, ci) != VL_DELTA_NO;
done:
    vl_free(ci);
    vl_free(used);
    return may;
}

/* ------------------------------------------------------------ data files */

void vl_delta_file_src_init(vl_delta_file_src *fs) {
    memset(fs, 0, sizeof(*fs));
    vl_buf_init(&fs->key);
    vl_buf_init(&fs->rel);
    vl_buf_init(&fs->body);
    vl_buf_init(&fs->tmp);
}

void vl_delta_file_src_free(vl_delta_file_src *fs) {
    vl_buf_free(&fs->key);
    vl_buf_free(&fs->rel);
    vl_buf_free(&fs->body);
    vl_buf_free(&fs->tmp);
}

static int file_fetch(void *ctx, uint64_t off, uint64_t len, uint8_t *dst, vl_error *err) {
    vl_delta_file_src *fs = ctx;
    const char *key = vl_buf_cstr(&fs->key);
    int rc = vl_store_get_range(fs->store, key, off, len, &fs->tmp, err);
    if (rc == VL_ENOTFOUND)
        return vl_error_set(err, VL_ECORRUPT, "data file %s of version %lld is missing", key, (long long)fs->version);
    if (rc == VL_ERANGE || (rc == VL_OK && fs->tmp.n != len))
        return vl_error_set(err, VL_ECORRUPT, "data file %s is shorter than the %llu bytes its add action says", key,
                            (unsigned long long)fs->size);
    if (rc) return rc;
    memcpy(dst, fs->tmp.p, len);
    fs->bytes += len;
    return VL_OK;
}

/* The store key of data file f of table t (rel: scratch). */
static int file_key(const vl_delta_table *t, const vl_delta_file *f, vl_buf *rel, vl_buf *key, vl_error *err) {
    if (memmem(f->path.p, f->path.n, "://", 3))
        return vl_error_set(err, VL_ENOTSUP, "file %.*s: absolute paths in the log are not supported", (int)f->path.n,
                            f->path.p);
    vl_buf_clear(rel);
    vl_buf_clear(key);
    VL_RETURN_IF_ERR(vl_delta_path_decode(f->path.p, f->path.n, rel, err));
    if (vl_delta__key(t, (const char *)rel->p, rel->n, key) != VL_OK || !vl_buf_cstr(key))
        return vl_error_set(err, VL_ENOMEM, "out of memory");
    return VL_OK;
}

int vl_delta_file_open(const vl_delta_snapshot *s, const vl_delta_file *f, vl_delta_file_src *fs, vl_pq_reader **out,
                       vl_error *err) {
    *out = NULL;
    const vl_delta_table *t = s->table;
    bool preloaded = fs->preloaded;
    fs->preloaded = false;
    VL_RETURN_IF_ERR(file_key(t, f, &fs->rel, &fs->key, err));
    const char *key = vl_buf_cstr(&fs->key);
    fs->store = t->store;
    int rc;
    if (f->size >= VL_DELTA_RANGED_MIN) {
        fs->size = (uint64_t)f->size;
        fs->version = s->version;
        return vl_pq_reader_open_ranged(fs->size, 0, key, file_fetch, fs, out, err);
    }
    rc = preloaded ? VL_OK : vl_store_get(t->store, key, &fs->body, err);
    if (rc == VL_ENOTFOUND)
        return vl_error_set(err, VL_ECORRUPT, "data file %s of version %lld is missing", key, (long long)s->version);
    if (rc) return rc;
    fs->bytes += fs->body.n;
    return vl_pq_reader_open_mem((const uint8_t *)fs->body.p, fs->body.n, key, out, err);
}

/* ------------------------------------------------------------ file rows */

typedef struct file_rows {
    const vl_delta_snapshot *s;
    const bool *want;
    int32_t *src;      /* per schema field: parquet root child, -1 absent, -2 partition */
    vl_sv *part_cells; /* per schema field (partition fields only) */
    vl_sv *cells;      /* the row handed on */
    vl_delta__row_cb cb;
    void *ctx;
    bool stopped;
} file_rows;

static int file_row(void *ctx, const vl_sv *in, vl_error *err) {
    file_rows *F = ctx;
    uint32_t nf = F->s->metadata.schema.n_fields;
    for (uint32_t i = 0; i < nf; i++) {
        if (!F->want[i]) F->cells[i] = (vl_sv){"", 0};
        else if (F->src[i] >= 0) F->cells[i] = in[F->src[i]];
        else if (F->src[i] == -2) F->cells[i] = F->part_cells[i];
        else F->cells[i] = VL_SV("null");
    }
    int rc = F->cb(F->ctx, F->cells, err);
    if (rc == VL_PQ_STOP) F->stopped = true;
    return rc;
}

void vl_delta__scratch_init(vl_delta__scratch *sc) {
    vl_arena_init(&sc->cols, 1 << 20);
    vl_delta_file_src_init(&sc->src);
}

void vl_delta__scratch_free(vl_delta__scratch *sc) {
    vl_arena_destroy(&sc->cols);
    vl_delta_file_src_free(&sc->src);
}

/* Marks the leaves under node n. */
static void mark_leaves(const vl_pq_node *n, bool *leaves) {
    if (n->leaf >= 0) leaves[n->leaf] = true;
    for (uint32_t i = 0; i < n->n_children; i++) mark_leaves(&n->children[i], leaves);
}

int vl_delta__read_file_rows(const vl_delta_snapshot *s, const vl_delta_file *f, const bool *want,
                             const vl_delta_expr *where, vl_delta__scratch *sc, vl_delta__row_cb cb, void *ctx,
                             vl_delta__read_stats *st, vl_error *err) {
    const vl_delta_metadata *md = &s->metadata;
    uint32_t nf = md->schema.n_fields;
    vl_buf pc;
    vl_buf_init(&pc);
    vl_delta_file_src own_src;
    vl_delta_file_src_init(&own_src);
    vl_delta_file_src *src = sc ? &sc->src : &own_src;
    uint64_t bytes0 = src->bytes;
    vl_pq_reader *r = NULL;
    bool *fields = NULL, *leaves = NULL, *rgs = NULL;
    file_rows F = {.s = s, .want = want, .cb = cb, .ctx = ctx};
    F.src = vl_calloc(nf + 1, sizeof(int32_t));
    F.part_cells = vl_calloc(nf + 1, sizeof(vl_sv));
    F.cells = vl_calloc(nf + 1, sizeof(vl_sv));
    size_t *pc_end = vl_calloc(nf + 1, sizeof(size_t));
    int rc = VL_OK;
    if (!F.src || !F.part_cells || !F.cells || !pc_end) {
        rc = vl_error_set(err, VL_ENOMEM, "out of memory");
        goto done;
    }
    rc = vl_delta_file_open(s, f, src, &r, err);
    if (rc) goto done;
    const vl_pq_node *root = vl_pq_reader_schema(r)->root;
    fields = vl_calloc(root->n_children + 1, sizeof(bool));
    leaves = vl_calloc(vl_pq_reader_schema(r)->n_leaves + 1, sizeof(bool));
    if (!fields || !leaves) {
        rc = vl_error_set(err, VL_ENOMEM, "out of memory");
        goto done;
    }
    for (uint32_t i = 0; i < nf && rc == VL_OK; i++) {
        F.src[i] = -1;
        for (uint32_t p = 0; p < md->n_partition_columns; p++)
            if (md->partition_index[p] == i) {
                F.src[i] = -2;
                if (!want[i]) break;
                vl_delta_value v;
                rc = vl_delta__file_part_value(s, f, p, &v, err);
                if (rc == VL_OK && vl_delta_value_json(&md->schema.fields[i].type, &v, &pc) != VL_OK)
                    rc = vl_error_set(err, VL_ENOMEM, "out of memory");
                pc_end[i] = pc.n;
                break;
            }
        if (F.src[i] != -1) continue;
        const vl_pq_node *col = vl_delta_file_column(root, md->schema.fields[i].name);
        if (col) F.src[i] = (int32_t)(col - root->children);
        if (F.src[i] >= 0 && want[i]) fields[F.src[i]] = true;
    }
    if (rc) goto done;
    /* partition cells point into pc, which no longer moves */
    for (uint32_t i = 0, at = 0; i < nf; i++)
        if (F.src[i] == -2 && want[i]) {
            size_t start = at;
            for (uint32_t k = 0; k < i; k++)
                if (F.src[k] == -2 && want[k]) start = pc_end[k];
            F.part_cells[i] = (vl_sv){(const char *)pc.p + start, pc_end[i] - start};
            at = (uint32_t)pc_end[i];
        }
    bool any = false;
    for (uint32_t c = 0; c < root->n_children; c++)
        if (fields[c]) mark_leaves(&root->children[c], leaves), any = true;
    /* no column of the file wanted (only partition values, or columns the
     * file lacks): the rows are counted from its first leaf */
    if (!any && vl_pq_reader_schema(r)->n_leaves) leaves[0] = true;
    const vl_pq_file_meta *m = vl_pq_reader_meta(r);
    if (!(rgs = vl_calloc(m->n_row_groups + 1, sizeof(bool)))) {
        rc = vl_error_set(err, VL_ENOMEM, "out of memory");
        goto done;
    }
    for (uint32_t rg = 0; rg < m->n_row_groups; rg++) {
        rgs[rg] = !where || vl_delta_rg_may_match(s, f, r, rg, where);
        if (st) st->row_groups++, st->row_groups_pruned += !rgs[rg];
    }
    rc = vl_pq_reader_load(r, rgs, leaves, err);
    for (uint32_t rg = 0; rc == VL_OK && !F.stopped && rg < m->n_row_groups; rg++) {
        if (!rgs[rg]) continue;
        int64_t n = 0;
        rc = vl_pq_rows_cells(r, rg, fields, sc ? &sc->cols : NULL, file_row, &F, &n, err);
        if (st) st->rows += n;
    }
    if (rc == VL_PQ_STOP) rc = VL_OK;
done:
    if (st) st->bytes += src->bytes - bytes0;
    vl_pq_reader_close(r);
    vl_delta_file_src_free(&own_src);
    vl_free(fields);
    vl_free(leaves);
    vl_free(rgs);
    vl_free(pc_end);
    vl_free(F.src);
    vl_free(F.part_cells);
    vl_free(F.cells);
    vl_buf_free(&pc);
    return rc;
}

/* ------------------------------------------------------------ look-ahead */

struct vl_delta_ahead {
    const vl_delta_snapshot *s;
    const vl_delta_file *const *files; /* NULL: the snapshot's own, in order */
    size_t n;
    const vl_delta_expr *where;
    int8_t *verdict; /* per file: 0 not looked at, 1 pruned, 2 read */
    size_t idx[VL_DELTA_AHEAD_MAX], held, window;
    vl_buf keys[VL_DELTA_AHEAD_MAX], bodies[VL_DELTA_AHEAD_MAX], rel;
    int rcs[VL_DELTA_AHEAD_MAX];
    vl_error errs[VL_DELTA_AHEAD_MAX];
};

static const vl_delta_file *ahead_file(const vl_delta_ahead *a, size_t i) {
    return a->files ? a->files[i] : &a->s->files[i];
}

vl_delta_ahead *vl_delta_ahead_new(const vl_delta_snapshot *s, const vl_delta_file *const *files, size_t n,
                                   const vl_delta_expr *where, size_t first_window) {
    vl_delta_ahead *a = vl_calloc(1, sizeof(*a));
    if (!a) return NULL;
    a->files = files;
    a->n = files ? n : s->n_files;
    if (!(a->verdict = vl_calloc(a->n + 1, 1))) {
        vl_free(a);
        return NULL;
    }
    a->s = s;
    a->where = where;
    a->window = first_window < 1 ? 1 : first_window > VL_DELTA_AHEAD_MAX ? VL_DELTA_AHEAD_MAX : first_window;
    for (size_t k = 0; k < VL_DELTA_AHEAD_MAX; k++) {
        vl_buf_init(&a->keys[k]);
        vl_buf_init(&a->bodies[k]);
    }
    vl_buf_init(&a->rel);
    return a;
}

void vl_delta_ahead_free(vl_delta_ahead *a) {
    if (!a) return;
    for (size_t k = 0; k < VL_DELTA_AHEAD_MAX; k++) {
        vl_buf_free(&a->keys[k]);
        vl_buf_free(&a->bodies[k]);
    }
    vl_buf_free(&a->rel);
    vl_free(a->verdict);
    vl_free(a);
}

bool vl_delta_ahead_pruned(vl_delta_ahead *a, size_t i) {
    if (!a->verdict[i])
        a->verdict[i] = a->where && !vl_delta_file_may_match(a->s, ahead_file(a, i), a->where) ? 1 : 2;
    return a->verdict[i] == 1;
}

void vl_delta_ahead_take(vl_delta_ahead *a, size_t i, vl_delta_file_src *fs) {
    if (i >= a->n || ahead_file(a, i)->size >= VL_DELTA_RANGED_MIN) return;
    size_t k = 0;
    while (k < a->held && a->idx[k] != i) k++;
    if (k == a->held) { /* fetch the window from i */
        a->held = 0;
        const char *keys[VL_DELTA_AHEAD_MAX];
        for (size_t j = i; j < a->n && a->held < a->window; j++) {
            const vl_delta_file *f = ahead_file(a, j);
            if (vl_delta_ahead_pruned(a, j) || f->size >= VL_DELTA_RANGED_MIN) continue;
            if (file_key(a->s->table, f, &a->rel, &a->keys[a->held], NULL) != VL_OK) break;
            keys[a->held] = vl_buf_cstr(&a->keys[a->held]);
            a->idx[a->held++] = j;
        }
        vl_store_get_many(a->s->table->store, keys, a->held, a->bodies, a->rcs, a->errs);
        a->window = a->window * 2 > VL_DELTA_AHEAD_MAX ? VL_DELTA_AHEAD_MAX : a->window * 2;
        k = 0;
        while (k < a->held && a->idx[k] != i) k++;
    }
    if (k == a->held || a->rcs[k] != VL_OK) return; /* read as usual: its error is reported then */
    vl_buf tmp = fs->body; /* swapped, so that both keep their memory */
    fs->body = a->bodies[k];
    a->bodies[k] = tmp;
    a->rcs[k] = VL_ENOTFOUND; /* taken */
    fs->preloaded = true;
}

/* ------------------------------------------------------------------ scan */

typedef struct scan {
    const vl_delta_snapshot *s;
    const vl_delta_scan_opts *o;
    uint32_t *out_cols; /* schema indices, in output order */
    uint32_t n_out;
    bool *used;         /* the predicate's columns */
    vl_delta_value *row;
    vl_sv *keys;        /* per output column: "\"name\":" (NDJSON) */
    vl_buf key_text;
    vl_delta__scratch files;
    vl_arena scratch;
    vl_buf line;
    vl_pq_row_sink sink;
    void *ctx;
    vl_delta_scan_stats *st;
    bool stopped;
} scan;

static int scan_row(void *ctx, const vl_sv *cells, vl_error *err) {
    scan *S = ctx;
    const vl_dt_type *st = &S->s->metadata.schema;
    S->st->rows_read++;
    if (S->o->where) {
        vl_arena_reset(&S->scratch);
        for (uint32_t i = 0; i < st->n_fields; i++) {
            if (!S->used[i]) continue;
            if (vl_delta__cell_value(&st->fields[i].type, cells[i], &S->scratch, &S->row[i], err) != VL_OK)
                S->row[i] = (vl_delta_value){.is_null = true};
        }
        if (!vl_delta_expr_eval(S->o->where, st, S->row)) return VL_OK;
    }
    vl_buf *b = &S->line;
    vl_buf_clear(b);
    int rc = VL_OK;
    if (S->o->format == VL_DELTA_ROWS_CSV) {
        for (uint32_t k = 0; k < S->n_out && rc == VL_OK; k++) {
            if (k && vl_buf_putc(b, ',')) rc = VL_ENOMEM;
            vl_sv c = cells[S->out_cols[k]];
            if (rc == VL_OK) rc = vl_pq_json_to_csv_cell(b, c.p, c.n, err);
        }
    } else {
        /* keys[k] is ",\"name\":" ('{' for the first): one append each */
        for (uint32_t k = 0; k < S->n_out && rc == VL_OK; k++) {
            vl_sv c = cells[S->out_cols[k]];
            rc = vl_buf_reserve(b, S->keys[k].n + c.n + 2);
            if (rc) break;
            memcpy(b->p + b->n, S->keys[k].p, S->keys[k].n);
            b->n += S->keys[k].n;
            memcpy(b->p + b->n, c.p, c.n);
            b->n += c.n;
        }
        if (rc == VL_OK && S->n_out == 0) rc = vl_buf_putc(b, '{');
        if (rc == VL_OK) rc = vl_buf_putc(b, '}');
    }
    if (rc == VL_OK) rc = vl_buf_putc(b, '\n');
    if (rc) return vl_error_set(err, VL_ENOMEM, "out of memory");
    VL_RETURN_IF_ERR(S->sink(S->ctx, (const char *)b->p, b->n, err));
    S->st->rows_out++;
    if (S->o->limit >= 0 && S->st->rows_out >= S->o->limit) {
        S->stopped = true;
        return VL_PQ_STOP;
    }
    return VL_OK;
}

int vl_delta_scan(const vl_delta_snapshot *s, const vl_delta_scan_opts *o, vl_pq_row_sink sink, void *ctx,
                  vl_delta_scan_stats *stats, vl_error *err) {
    vl_delta_scan_stats local;
    if (!stats) stats = &local;
    memset(stats, 0, sizeof(*stats));
    const vl_dt_type *st = &s->metadata.schema;
    uint32_t nf = st->n_fields;
    scan S = {.s = s, .o = o, .sink = sink, .ctx = ctx, .st = stats};
    vl_arena_init(&S.scratch, 4096);
    vl_buf_init(&S.line);
    vl_buf_init(&S.key_text);
    vl_delta__scratch_init(&S.files);
    bool *want = vl_calloc(nf + 1, sizeof(bool));
    S.used = vl_calloc(nf + 1, sizeof(bool));
    S.row = vl_calloc(nf + 1, sizeof(vl_delta_value));
    S.out_cols = vl_calloc((o->columns ? o->n_columns : nf) + 1, sizeof(uint32_t));
    S.keys = vl_calloc((o->columns ? o->n_columns : nf) + 1, sizeof(vl_sv));
    vl_delta_ahead *ahead = NULL;
    int rc = VL_OK;
    if (!want || !S.used || !S.row || !S.out_cols || !S.keys) {
        rc = vl_error_set(err, VL_ENOMEM, "out of memory");
        goto done;
    }
    if (o->columns) {
        for (size_t k = 0; k < o->n_columns; k++) {
            uint32_t idx;
            if (!vl_delta_field_find(st, vl_sv_cstr(o->columns[k]), &idx)) {
                rc = vl_error_set(err, VL_EINVAL, "no column '%s' in the table (columns: see `table describe`)",
                                  o->columns[k]);
                goto done;
            }
            S.out_cols[S.n_out++] = idx;
            want[idx] = true;
        }
    } else {
        for (uint32_t i = 0; i < nf; i++) {
            S.out_cols[S.n_out++] = i;
            want[i] = true;
        }
    }
    {
        size_t *ends = vl_calloc(S.n_out + 1, sizeof(size_t));
        if (!ends) rc = VL_ENOMEM;
        for (uint32_t k = 0; rc == VL_OK && k < S.n_out; k++) {
            vl_sv nm = st->fields[S.out_cols[k]].name;
            if (vl_buf_putc(&S.key_text, k ? ',' : '{') || vl_buf_json_str(&S.key_text, nm.p, nm.n) ||
                vl_buf_putc(&S.key_text, ':'))
                rc = VL_ENOMEM;
            ends[k] = S.key_text.n;
        }
        for (uint32_t k = 0; rc == VL_OK && k < S.n_out; k++) {
            size_t start = k ? ends[k - 1] : 0;
            S.keys[k] = (vl_sv){S.key_text.p + start, ends[k] - start};
        }
        vl_free(ends);
        if (rc) {
            rc = vl_error_set(err, VL_ENOMEM, "out of memory");
            goto done;
        }
    }
    if (o->where) {
        vl_delta_expr_columns(o->where, S.used);
        for (uint32_t i = 0; i < nf; i++) want[i] |= S.used[i];
    }
    if (o->format == VL_DELTA_ROWS_CSV && o->csv_header) {
        vl_buf_clear(&S.line);
        for (uint32_t k = 0; k < S.n_out && rc == VL_OK; k++) {
            vl_sv nm = st->fields[S.out_cols[k]].name;
            vl_buf cell;
            vl_buf_init(&cell);
            if (k && vl_buf_putc(&S.line, ',')) rc = VL_ENOMEM;
            if (rc == VL_OK && vl_buf_json_str(&cell, nm.p, nm.n)) rc = VL_ENOMEM;
            if (rc == VL_OK) rc = vl_pq_json_to_csv_cell(&S.line, (const char *)cell.p, cell.n, err);
            vl_buf_free(&cell);
        }
        if (rc == VL_OK && vl_buf_putc(&S.line, '\n')) rc = VL_ENOMEM;
        if (rc == VL_ENOMEM) vl_error_set(err, rc, "out of memory");
        if (rc == VL_OK) rc = sink(ctx, (const char *)S.line.p, S.line.n, err);
    }
    stats->files_total = s->n_files;
    if (vl_store_get_concurrency(s->table->store) > 1 &&
        !(ahead = vl_delta_ahead_new(s, NULL, 0, o->where, 2))) {
        rc = vl_error_set(err, VL_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; rc == VL_OK && i < s->n_files && !S.stopped; i++) {
        const vl_delta_file *f = &s->files[i];
        if (o->limit >= 0 && stats->rows_out >= o->limit) break;
        if (ahead ? vl_delta_ahead_pruned(ahead, i) : o->where && !vl_delta_file_may_match(s, f, o->where)) {
            stats->files_pruned++;
            continue;
        }
        if (ahead) vl_delta_ahead_take(ahead, i, &S.files.src);
        stats->files_read++;
        vl_delta__read_stats rs = {0};
        rc = vl_delta__read_file_rows(s, f, want, o->where, &S.files, scan_row, &S, &rs, err);
        stats->bytes_read += rs.bytes;
        stats->row_groups_total += rs.row_groups;
        stats->row_groups_pruned += rs.row_groups_pruned;
    }
done:
    vl_delta_ahead_free(ahead);
    vl_buf_free(&S.line);
    vl_buf_free(&S.key_text);
    vl_free(S.keys);
    vl_delta__scratch_free(&S.files);
    vl_arena_destroy(&S.scratch);
    vl_free(want);
    vl_free(S.used);
    vl_free(S.row);
    vl_free(S.out_cols);
    return rc;
}
