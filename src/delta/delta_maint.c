/* vidlake - Apache-2.0 */
/*
 * Maintenance: optimize (bin-packing compaction) and vacuum.
 *
 * Optimize groups the live files of each partition that are smaller than
 * the target size into bins of about the target size and rewrites every bin
 * of two or more files as one file, in a single commit whose removes and
 * adds carry dataChange=false (readers that stream changes skip it). Rows
 * are read through the scan path, so files from older schemas come out in
 * the current one. A concurrent append never conflicts with it; a
 * concurrent delete of one of its files does.
 *
 * Vacuum deletes data files the table no longer needs: files that are not
 * live in the latest snapshot and were removed longer ago than the
 * retention, or were never committed and are older than the retention
 * (writers that crashed between writing a file and committing it), and the
 * store's temporary objects of writers that died mid-put. Files in
 * _delta_log/ and hidden files (a component starting with '_' or '.',
 * other than a partition directory "col=value") are never touched.
 */
#include "delta_int.h"

#include <stdlib.h>
#include <string.h>

static int oom(vl_error *err) { return vl_error_set(err, VL_ENOMEM, "out of memory"); }

/* ---------------------------------------------------------------- optimize */

typedef struct opt_rows {
    const vl_delta_snapshot *s;
    const bool *keep;
    vl_delta_shredder *sh;
    vl_buf text;
    vl_arena a;
} opt_rows;

static int opt_row(void *ctx, const vl_sv *cells, vl_error *err) {
    opt_rows *O = ctx;
    const vl_dt_type *st = &O->s->metadata.schema;
    vl_buf *b = &O->text;
    vl_buf_clear(b);
    int rc = vl_buf_putc(b, '{');
    bool first = true;
    for (uint32_t i = 0; rc == VL_OK && i < st->n_fields; i++) {
        if (!O->keep[i]) continue;
        if (!first) rc = vl_buf_putc(b, ',');
        first = false;
        if (rc == VL_OK) rc = vl_buf_json_str(b, st->fields[i].name.p, st->fields[i].name.n);
        if (rc == VL_OK) rc = vl_buf_putc(b, ':');
        if (rc == VL_OK) rc = vl_buf_append(b, cells[i].p, cells[i].n);
    }
    if (rc == VL_OK) rc = vl_buf_putc(b, '}');
    if (rc) return oom(err);
    vl_arena_reset(&O->a);
    const vl_json *j;
    VL_RETURN_IF_ERR(vl_json_parse((const char *)b->p, b->n, &O->a, &j, err));
    return vl_delta_shredder_add(O->sh, j, err);
}

typedef struct ofile {
    const vl_delta_file *f;
    char *pkey;
} ofile;

static int cmp_ofile(const void *a, const void *b) {
    const ofile *x = a, *y = b;
    int c = strcmp(x->pkey, y->pkey);
    if (c) return c;
    return x->f->size < y->f->size ? -1 : x->f->size > y->f->size;
}

int vl_delta_optimize(const vl_delta_table *t, const vl_delta_optimize_opts *o, vl_delta_optimize_result *res,
                      vl_error *err) {
    memset(res, 0, sizeof(*res));
    res->version = -1;
    int64_t target = o && o->target_size > 0 ? o->target_size : (int64_t)128 << 20;
    int64_t min_files = o && o->min_files > 0 ? o->min_files : 2;
    vl_delta_txn *x = NULL;
    VL_RETURN_IF_ERR(vl_delta_txn_begin(t, &x, err));
    const vl_delta_snapshot *s = vl_delta_txn_snapshot(x);
    if (!s) {
        vl_delta_txn_free(x);
        return vl_error_set(err, VL_ENOTFOUND, "no Delta table at '%s'", t->name);
    }
    const vl_delta_metadata *md = &s->metadata;
    const vl_dt_type *st = &md->schema;
    ofile *files = vl_calloc(s->n_files + 1, sizeof(*files));
    bool *keep = vl_calloc(st->n_fields + 1, sizeof(bool));
    bool *want = vl_calloc(st->n_fields + 1, sizeof(bool));
    vl_delta_value *pv = vl_calloc(md->n_partition_columns + 1, sizeof(*pv));
    opt_rows O = {.s = s, .keep = keep};
    vl_buf_init(&O.text);
    vl_arena_init(&O.a, 1 << 14);
    int rc = VL_OK;
    size_t n = 0;
    if (!files || !keep || !want || !pv) rc = oom(err);
    for (uint32_t i = 0; rc == VL_OK && i < st->n_fields; i++) keep[i] = want[i] = true;
    for (uint32_t p = 0; rc == VL_OK && p < md->n_partition_columns; p++) keep[md->partition_index[p]] = false;
    if (rc == VL_OK) rc = vl_delta_shredder_new(st, keep, &O.sh, err);
    /* the small files, by partition then size */
    for (size_t i = 0; rc == VL_OK && i < s->n_files; i++) {
        const vl_delta_file *f = &s->files[i];
        if (f->size >= target) continue;
        vl_buf k;
        vl_buf_init(&k);
        for (uint32_t p = 0; p < f->n_partition_values && rc == VL_OK; p++) {
            if (vl_buf_putc(&k, '\x02')) rc = oom(err);
            else if (f->partition_values[p].value_null ? vl_buf_putc(&k, '\x01')
                                                       : vl_buf_append(&k, f->partition_values[p].value.p,
                                                                       f->partition_values[p].value.n))
                rc = oom(err);
        }
        const char *c = rc == VL_OK ? vl_buf_cstr(&k) : NULL;
        files[n].f = f;
        files[n].pkey = c ? vl_strndup(c, k.n) : NULL;
        vl_buf_free(&k);
        if (!files[n].pkey) rc = oom(err);
        else n++;
    }
    if (rc == VL_OK && n > 1) qsort(files, n, sizeof(*files), cmp_ofile);
    for (size_t i = 0; rc == VL_OK && i < n;) {
        size_t j = i;
        while (j < n && strcmp(files[j].pkey, files[i].pkey) == 0) j++;
        if ((int64_t)(j - i) >= min_files) {
            bool counted = false;
            /* bins of consecutive (size-ordered) files up to the target */
            for (size_t b = i; rc == VL_OK && b < j;) {
                size_t e = b;
                int64_t sum = 0;
                while (e < j && (e == b || sum + files[e].f->size <= target)) sum += files[e++].f->size;
                if (e - b >= 2) {
                    if (!counted) res->partitions++;
                    counted = true;
                    vl_delta_shredder_reset(O.sh);
                    for (uint32_t p = 0; rc == VL_OK && p < md->n_partition_columns; p++)
                        rc = vl_delta__file_part_value(s, files[b].f, p, &pv[p], err);
                    for (size_t k = b; rc == VL_OK && k < e; k++) {
                        vl_delta__read_stats rs = {0};
                        rc = vl_delta__read_file_rows(s, files[k].f, want, NULL, NULL, opt_row, &O, &rs, err);
                        if (rc == VL_OK) rc = vl_delta_txn_remove(x, files[k].f, false, err);
                        res->files_removed++;
                        res->rows += rs.rows;
                    }
                    uint32_t nl;
                    const vl_pq_column *cols = vl_delta_shredder_columns(O.sh, &nl);
                    if (rc == VL_OK) {
                        vl_delta__txn_set_data_change(x, false);
                        rc = vl_delta_txn_write(x, pv, cols, vl_delta_shredder_rows(O.sh), err);
                    }
                    res->files_added++;
                }
                b = e;
            }
        }
        i = j;
    }
    if (rc == VL_OK && res->files_added) {
        rc = vl_delta_txn_set_operation(x, "OPTIMIZE", "{\"predicate\":\"[]\",\"zOrderBy\":\"[]\"}", err);
        if (rc == VL_OK) rc = vl_delta_txn_commit(x, NULL, &res->version, err);
    }
    for (size_t i = 0; i < n; i++) vl_free(files[i].pkey);
    vl_free(files);
    vl_free(keep);
    vl_free(want);
    vl_free(pv);
    vl_delta_shredder_free(O.sh);
    vl_buf_free(&O.text);
    vl_arena_destroy(&O.a);
    vl_delta_txn_free(x);
    return rc;
}

/* ------------------------------------------------------------------ vacuum */

typedef struct pathent {
    char *path; /* decoded, relative to the table */
    int64_t deleted_ms; /* -1: live */
} pathent;

static int cmp_pathent(const void *a, const void *b) {
    return strcmp(((const pathent *)a)->path, ((const pathent *)b)->path);
}

typedef struct vac {
    const vl_delta_table *t;
    pathent *known;
    size_t n_known;
    int64_t cutoff_ms;
    bool dry_run;
    vl_delta_vacuum_cb cb;
    void *ctx;
    size_t n_deleted;
    uint64_t bytes;
    char **doomed;
    size_t n_doomed, cap_doomed;
} vac;

static bool hidden_component(const char *rel) {
    const char *p = rel;
    while (*p) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        bool is_dir = slash != NULL;
        if ((p[0] == '_' || p[0] == '.') && !(is_dir && memchr(p, '=', len))) return true;
        if (!slash) break;
        p = slash + 1;
    }
    return false;
}

static int vac_cb(void *ctx, const vl_store_obj *o, vl_error *err) {
    vac *V = ctx;
    size_t pl = strlen(V->t->path);
    const char *rel = o->key + pl;
    if (strncmp(rel, "_delta_log/", 11) == 0 || hidden_component(rel)) return VL_OK;
    pathent key = {(char *)(uintptr_t)rel, 0};
    const pathent *k = bsearch(&key, V->known, V->n_known, sizeof(pathent), cmp_pathent);
    if (k && k->deleted_ms < 0) return VL_OK; /* live */
    int64_t when = k ? k->deleted_ms : o->mtime_us / 1000;
    if (when >= V->cutoff_ms) return VL_OK;   /* still inside the retention */
    VL_RETURN_IF_ERR(V->cb ? V->cb(V->ctx, o->key, o->size, err) : VL_OK);
    V->n_deleted++;
    V->bytes += o->size;
    if (V->dry_run) return VL_OK;
    /* delete after the listing: deleting while listing may skip entries */
    char **d = vl_grow(V->doomed, &V->cap_doomed, V->n_doomed, sizeof(*d), 64);
    if (!d) return oom(err);
    V->doomed = d;
    V->doomed[V->n_doomed] = vl_strndup(o->key, o->key_len);
    if (!V->doomed[V->n_doomed]) return oom(err);
    V->n_doomed++;
    return VL_OK;
}

int vl_delta_vacuum(const vl_delta_table *t, const vl_delta_vacuum_opts *o, vl_delta_vacuum_cb cb, void *ctx,
                    size_t *n_deleted, uint64_t *bytes_deleted, vl_error *err) {
    vl_delta_snapshot *s = NULL;
    VL_RETURN_IF_ERR(vl_delta_snapshot_load(t, VL_DELTA_LATEST, &s, err));
    int64_t now = o && o->now_ms > 0 ? o->now_ms : vl_now_us() / 1000;
    int64_t retention = !o ? 0 : o->retain_nothing ? 0 : o->retention_ms > 0 ? o->retention_ms : -1;
    if (retention < 0)
        retention = vl_delta__interval_ms(vl_delta_snapshot_prop(s, "delta.deletedFileRetentionDuration", NULL),
                                          7LL * 86400000);
    vac V = {.t = t, .cutoff_ms = now - retention, .dry_run = o && o->dry_run, .cb = cb, .ctx = ctx};
    size_t cap = s->n_files + s->n_tombstones;
    V.known = vl_calloc(cap + 1, sizeof(pathent));
    int rc = V.known ? VL_OK : oom(err);
    vl_buf dec;
    vl_buf_init(&dec);
    for (size_t i = 0; rc == VL_OK && i < cap; i++) {
        vl_sv p = i < s->n_files ? s->files[i].path : s->tombstones[i - s->n_files].path;
        if (memmem(p.p, p.n, "://", 3)) continue; /* absolute: not ours to delete */
        vl_buf_clear(&dec);
        rc = vl_delta_path_decode(p.p, p.n, &dec, err);
        const char *c = rc == VL_OK ? vl_buf_cstr(&dec) : NULL;
        if (rc == VL_OK && !c) rc = oom(err);
        if (rc) break;
        pathent *pe = &V.known[V.n_known++];
        pe->path = vl_strndup(c, dec.n);
        pe->deleted_ms = i < s->n_files ? -1 : s->tombstones[i - s->n_files].deletion_timestamp;
        if (!pe->path) rc = oom(err);
    }
    vl_buf_free(&dec);
    if (rc == VL_OK && V.n_known > 1) {
        qsort(V.known, V.n_known, sizeof(pathent), cmp_pathent);
        /* a path both live and tombstoned is live */
        for (size_t i = 1; i < V.n_known; i++)
            if (strcmp(V.known[i].path, V.known[i - 1].path) == 0 &&
                (V.known[i].deleted_ms < 0 || V.known[i - 1].deleted_ms < 0))
                V.known[i].deleted_ms = V.known[i - 1].deleted_ms = -1;
    }
    if (rc == VL_OK) rc = vl_store_list(t->store, t->path, NULL, vac_cb, &V, err);
    if (rc == VL_OK) rc = vl_store_delete_many(t->store, (const char *const *)V.doomed, V.n_doomed, err);
    /* and what writers that died mid-put left (never listed, never
     * referenced), past the same retention */
    size_t swept = 0;
    if (rc == VL_OK && !V.dry_run) rc = vl_store_sweep(t->store, t->path, V.cutoff_ms * 1000, &swept, err);
    V.n_deleted += swept;
    for (size_t i = 0; i < V.n_doomed; i++) vl_free(V.doomed[i]);
    vl_free(V.doomed);
    for (size_t i = 0; i < V.n_known; i++) vl_free(V.known[i].path);
    vl_free(V.known);
    vl_delta_snapshot_free(s);
    if (n_deleted) *n_deleted = V.n_deleted;
    if (bytes_deleted) *bytes_deleted = V.bytes;
    return rc;
}
