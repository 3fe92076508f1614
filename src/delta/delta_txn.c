/* vidlake - Apache-2.0 */
/*
 * Transactions: build a commit (metadata, txn, removes, adds, commitInfo),
 * write data files with their stats, and commit with optimistic
 * concurrency.
 *
 * Commit protocol: the commit is `_delta_log/<read version + 1>.json`,
 * written with put-if-absent. When another writer got there first, its
 * commit is read and checked against this transaction with the protocol's
 * rules:
 *   - a metaData or protocol action in the winner conflicts with anything
 *     (the schema or the rules may have changed under us);
 *   - a txn action for an appId this transaction also writes conflicts
 *     (the idempotent writer must re-read its version);
 *   - a file this transaction removes that the winner also removed
 *     conflicts (concurrent delete/rewrite of the same data);
 *   - files added by the winner into a partition this transaction read to
 *     rewrite (an overwrite of that partition) conflict; blind appends and
 *     compaction (dataChange=false) do not read partitions and never do.
 * Otherwise the writer lists the log, checks every newer commit the same
 * way, and tries the version after the newest, after a short random delay;
 * max_attempts bounds the races it may lose.
 *
 * Data files: one Parquet file per vl_delta_txn_write call, named
 * part-00000-<uuid>.c000.zstd.parquet under the Hive partition directories,
 * written with a single put (objects are written whole), with stats from
 * the writer's footer (numRecords, minValues, maxValues, nullCount for the
 * first 32 leaf columns; strings cut to 32 characters, a cut maximum
 * followed by U+10FFFF so it stays an upper bound; timestamps in
 * milliseconds, the maximum rounded up).
 */
#include "delta_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define STATS_MAX_COLS 32
#define STATS_STR_PREFIX 32

struct vl_delta_txn {
    const vl_delta_table *t;
    vl_delta_snapshot *snap; /* NULL for a new table */
    int64_t read_version;    /* -1 for a new table */
    vl_arena a;
    vl_delta_metadata meta;  /* what commits write with */
    bool meta_changed;
    vl_delta_protocol protocol;
    bool protocol_changed;
    char *operation;
    char *op_params;
    vl_buf actions;          /* the add and remove lines */
    size_t n_add, n_remove;
    bool any_data_change_remove;
    vl_sv *removed;          /* removed paths (as in the log) */
    size_t n_removed, cap_removed;
    char **read_parts;       /* partition keys this transaction rewrites */
    size_t n_read_parts, cap_read_parts;
    struct app_pos { char *id; int64_t version; } *apps; /* txn actions, one per appId */
    size_t n_apps, cap_apps;
    int64_t rows_added, bytes_added;
    bool write_no_data_change; /* compaction: vl_delta_txn_write adds with dataChange=false */
    size_t row_group_rows;     /* the files' row groups; 0: the writer's default */
};

void vl_delta_txn_set_row_group_rows(vl_delta_txn *x, size_t rows) { x->row_group_rows = rows; }

void vl_delta__txn_set_data_change(vl_delta_txn *x, bool data_change) { x->write_no_data_change = !data_change; }

static int oom(vl_error *err) { return vl_error_set(err, VL_ENOMEM, "out of memory"); }

static char *adup(vl_arena *a, const char *s, size_t n) {
    char *p = vl_arena_alloc(a, n + 1);
    if (!p) return NULL;
    if (n) memcpy(p, s, n);
    p[n] = 0;
    return p;
}

int vl_delta_txn_begin(const vl_delta_table *t, vl_delta_txn **out, vl_error *err) {
    *out = NULL;
    vl_delta_txn *x = vl_calloc(1, sizeof(*x));
    if (!x) return oom(err);
    x->t = t;
    vl_arena_init(&x->a, 1 << 12);
    vl_buf_init(&x->actions);
    vl_error e2 = {0};
    int rc = vl_delta_snapshot_load(t, VL_DELTA_LATEST, &x->snap, &e2);
    if (rc == VL_ENOTFOUND && !memmem(e2.msg, strlen(e2.msg), "cannot be reconstructed", 23)) {
        x->read_version = -1;
        x->protocol = (vl_delta_protocol){.min_reader = 1, .min_writer = 2};
    } else if (rc) {
        if (err) *err = e2;
        vl_delta_txn_free(x);
        return rc;
    } else {
        x->read_version = x->snap->version;
        x->meta = x->snap->metadata;
        x->protocol = x->snap->protocol;
        /* writer versions above 2 need features we implement only in part:
         * refuse rather than write a table other writers consider broken */
        const vl_delta_protocol *p = &x->protocol;
        if (p->min_writer > 2 && p->min_writer != 7) {
            vl_delta_txn_free(x);
            return vl_error_set(err, VL_ENOTSUP, "writing needs Delta writer version %d, which is not supported",
                                p->min_writer);
        }
        for (uint32_t i = 0; i < p->n_writer_features; i++) {
            vl_sv f = p->writer_features[i];
            if (vl_sv_eq_cstr(f, "appendOnly") || vl_sv_eq_cstr(f, "invariants") || vl_sv_eq_cstr(f, "timestampNtz"))
                continue;
            vl_delta_txn_free(x);
            return vl_error_set(err, VL_ENOTSUP, "writing needs writer feature '%.*s', which is not supported",
                                (int)f.n, f.p);
        }
    }
    *out = x;
    return VL_OK;
}

void vl_delta_txn_free(vl_delta_txn *x) {
    if (!x) return;
    vl_delta_snapshot_free(x->snap);
    vl_buf_free(&x->actions);
    vl_free(x->removed);
    vl_free(x->apps);
    vl_free(x->read_parts);
    vl_arena_destroy(&x->a);
    vl_free(x);
}

const vl_delta_snapshot *vl_delta_txn_snapshot(const vl_delta_txn *x) { return x->snap; }
const vl_delta_metadata *vl_delta_txn_metadata(const vl_delta_txn *x) { return &x->meta; }

static bool has_ntz(const vl_dt_type *t) {
    switch (t->kind) {
    case VL_DT_TIMESTAMP_NTZ: return true;
    case VL_DT_STRUCT:
        for (uint32_t i = 0; i < t->n_fields; i++)
            if (has_ntz(&t->fields[i].type)) return true;
        return false;
    case VL_DT_ARRAY: return has_ntz(t->elem);
    case VL_DT_MAP: return has_ntz(t->key) || has_ntz(t->value);
    default: return false;
    }
}

/* Copies a type tree into the transaction's arena. */
static int copy_type(vl_arena *a, const vl_dt_type *in, vl_dt_type *out, vl_error *err);

static int copy_fields(vl_arena *a, const vl_dt_type *in, vl_dt_type *out, vl_error *err) {
    out->fields = in->n_fields ? vl_arena_alloc(a, in->n_fields * sizeof(vl_dt_field)) : NULL;
    if (in->n_fields && !out->fields) return oom(err);
    for (uint32_t i = 0; i < in->n_fields; i++) {
        const vl_dt_field *f = &in->fields[i];
        vl_dt_field *g = &out->fields[i];
        g->name = (vl_sv){adup(a, f->name.p, f->name.n), f->name.n};
        g->metadata = f->metadata.p ? (vl_sv){adup(a, f->metadata.p, f->metadata.n), f->metadata.n} : VL_SV("{}");
        g->nullable = f->nullable;
        if (!g->name.p || !g->metadata.p) return oom(err);
        VL_RETURN_IF_ERR(copy_type(a, &f->type, &g->type, err));
    }
    return VL_OK;
}

static int copy_type(vl_arena *a, const vl_dt_type *in, vl_dt_type *out, vl_error *err) {
    *out = *in;
    if (in->kind == VL_DT_STRUCT) return copy_fields(a, in, out, err);
    if (in->kind == VL_DT_ARRAY) {
        out->elem = vl_arena_alloc(a, sizeof(vl_dt_type));
        if (!out->elem) return oom(err);
        return copy_type(a, in->elem, out->elem, err);
    }
    if (in->kind == VL_DT_MAP) {
        out->key = vl_arena_alloc(a, sizeof(vl_dt_type));
        out->value = vl_arena_alloc(a, sizeof(vl_dt_type));
        if (!out->key || !out->value) return oom(err);
        VL_RETURN_IF_ERR(copy_type(a, in->key, out->key, err));
        return copy_type(a, in->value, out->value, err);
    }
    return VL_OK;
}

static int set_schema(vl_delta_txn *x, const vl_dt_type *schema, vl_error *err) {
    if (schema->kind != VL_DT_STRUCT || schema->n_fields == 0)
        return vl_error_set(err, VL_EINVAL, "a table schema must be a struct with at least one column");
    VL_RETURN_IF_ERR(copy_type(&x->a, schema, &x->meta.schema, err));
    vl_buf b;
    vl_buf_init(&b);
    int rc = vl_delta_schema_write(&x->meta.schema, &b, err);
    if (rc == VL_OK) {
        x->meta.schema_string = (vl_sv){adup(&x->a, (const char *)b.p, b.n), b.n};
        if (!x->meta.schema_string.p) rc = oom(err);
    }
    vl_buf_free(&b);
    if (rc == VL_OK && has_ntz(schema) && x->protocol.min_reader < 3) {
        static vl_sv feats[] = {{"timestampNtz", 12}};
        x->protocol = (vl_delta_protocol){3, 7, feats, feats, 1, 1, true, true};
        x->protocol_changed = true;
    }
    return rc;
}

int vl_delta_txn_set_metadata(vl_delta_txn *x, const vl_dt_type *schema, const char *const *part_cols,
                              uint32_t n_part_cols, const vl_delta_kv *config, uint32_t n_config, vl_error *err) {
    vl_delta_metadata *m = &x->meta;
    vl_delta_metadata old = *m;
    /* schema may be the transaction's own (m->schema): copy it before m is
     * cleared; the old tree stays valid in the arena or the snapshot */
    vl_dt_type in = *schema;
    memset(m, 0, sizeof(*m));
    VL_RETURN_IF_ERR(set_schema(x, &in, err));
    if (x->snap) {
        m->id = old.id;
        m->created_time = old.created_time;
    } else {
        char u[37];
        vl_delta__uuid(u);
        m->id = (vl_sv){adup(&x->a, u, 36), 36};
        m->created_time = vl_now_us() / 1000;
    }
    m->provider = VL_SV("parquet");
    if (n_part_cols) {
        m->partition_columns = vl_arena_alloc(&x->a, n_part_cols * sizeof(vl_sv));
        m->partition_index = vl_arena_alloc(&x->a, n_part_cols * sizeof(uint32_t));
        if (!m->partition_columns || !m->partition_index) return oom(err);
    }
    for (uint32_t i = 0; i < n_part_cols; i++) {
        uint32_t idx;
        const vl_dt_field *f = vl_delta_field_find(&m->schema, vl_sv_cstr(part_cols[i]), &idx);
        if (!f) return vl_error_set(err, VL_EINVAL, "partition column '%s' is not in the schema", part_cols[i]);
        if (f->type.kind >= VL_DT_STRUCT)
            return vl_error_set(err, VL_EINVAL, "partition column '%s' must have a primitive type", part_cols[i]);
        for (uint32_t k = 0; k < i; k++)
            if (m->partition_index[k] == idx)
                return vl_error_set(err, VL_EINVAL, "partition column '%s' is listed twice", part_cols[i]);
        m->partition_columns[i] = f->name;
        m->partition_index[i] = idx;
    }
    m->n_partition_columns = n_part_cols;
    if (n_part_cols == m->schema.n_fields)
        return vl_error_set(err, VL_EINVAL, "every column is a partition column: at least one must hold data");
    if (n_config) {
        m->configuration = vl_arena_alloc(&x->a, n_config * sizeof(vl_delta_kv));
        if (!m->configuration) return oom(err);
    }
    for (uint32_t i = 0; i < n_config; i++) {
        const vl_delta_kv *kv = &config[i];
        if (kv->key.n == 0) return vl_error_set(err, VL_EINVAL, "a table property needs a name");
        if (kv->key.n > 6 && memcmp(kv->key.p, "delta.", 6) == 0) {
            static const char *const known[] = {"delta.checkpointInterval", "delta.logRetentionDuration",
                                                "delta.deletedFileRetentionDuration", "delta.appendOnly",
                                                "delta.dataSkippingNumIndexedCols", "delta.enableExpiredLogCleanup",
                                                "delta.targetFileSize"};
            bool ok = false;
            for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++) ok |= vl_sv_eq_cstr(kv->key, known[k]);
            if (!ok)
                return vl_error_set(err, VL_EINVAL, "table property '%.*s' is not supported by this writer",
                                    (int)kv->key.n, kv->key.p);
            if (vl_sv_eq_cstr(kv->key, "delta.checkpointInterval")) {
                int64_t v;
                if (kv->value_null || vl_parse_i64(kv->value.p, kv->value.n, &v) != VL_OK || v < 1)
                    return vl_error_set(err, VL_EINVAL, "delta.checkpointInterval must be a positive integer");
            }
        }
        m->configuration[i].key = (vl_sv){adup(&x->a, kv->key.p, kv->key.n), kv->key.n};
        m->configuration[i].value =
            kv->value_null ? (vl_sv){"", 0} : (vl_sv){adup(&x->a, kv->value.p, kv->value.n), kv->value.n};
        m->configuration[i].value_null = kv->value_null;
        if (!m->configuration[i].key.p || !m->configuration[i].value.p) return oom(err);
    }
    m->n_configuration = n_config;
    x->meta_changed = true;
    return VL_OK;
}

int vl_delta_txn_evolve_schema(vl_delta_txn *x, const vl_dt_type *schema, vl_error *err) {
    const vl_dt_type *cur = &x->meta.schema;
    if (!x->snap && !x->meta_changed) return vl_error_set(err, VL_EINVAL, "the table has no schema yet to evolve");
    if (schema->kind != VL_DT_STRUCT) return vl_error_set(err, VL_EINVAL, "a table schema must be a struct");
    for (uint32_t i = 0; i < cur->n_fields; i++) {
        const vl_dt_field *f = &cur->fields[i];
        if (i >= schema->n_fields || !vl_sv_eq(schema->fields[i].name, f->name))
            return vl_error_set(err, VL_EINVAL,
                                "schema change refused: column '%.*s' must stay at position %u (columns can only be "
                                "added at the end)",
                                (int)f->name.n, f->name.p, i + 1);
        if (!vl_delta_type_equal(&schema->fields[i].type, &f->type))
            return vl_error_set(err, VL_EINVAL, "schema change refused: column '%.*s' changes type", (int)f->name.n,
                                f->name.p);
        if (schema->fields[i].nullable != f->nullable)
            return vl_error_set(err, VL_EINVAL, "schema change refused: column '%.*s' changes nullability",
                                (int)f->name.n, f->name.p);
    }
    for (uint32_t i = cur->n_fields; i < schema->n_fields; i++) {
        const vl_dt_field *f = &schema->fields[i];
        if (!f->nullable)
            return vl_error_set(err, VL_EINVAL, "schema change refused: new column '%.*s' must be nullable",
                                (int)f->name.n, f->name.p);
        uint32_t idx;
        if (vl_delta_field_find(cur, f->name, &idx))
            return vl_error_set(err, VL_EINVAL, "schema change refused: column '%.*s' already exists", (int)f->name.n,
                                f->name.p);
    }
    if (schema->n_fields == cur->n_fields) return VL_OK; /* nothing new */
    vl_delta_metadata keep = x->meta;
    VL_RETURN_IF_ERR(set_schema(x, schema, err));
    /* partition columns keep their names and positions */
    x->meta.partition_columns = keep.partition_columns;
    x->meta.partition_index = keep.partition_index;
    x->meta.n_partition_columns = keep.n_partition_columns;
    x->meta_changed = true;
    return VL_OK;
}

int vl_delta_txn_set_operation(vl_delta_txn *x, const char *op, const char *params_json, vl_error *err) {
    x->operation = adup(&x->a, op, strlen(op));
    x->op_params = params_json ? adup(&x->a, params_json, strlen(params_json)) : NULL;
    if (!x->operation || (params_json && !x->op_params)) return oom(err);
    return VL_OK;
}

int vl_delta_txn_set_app_version(vl_delta_txn *x, const char *app_id, int64_t version, vl_error *err) {
    if (!app_id || !*app_id) return vl_error_set(err, VL_EINVAL, "txn: empty appId");
    if (version < 0) return vl_error_set(err, VL_EINVAL, "txn: negative version for appId '%s'", app_id);
    for (size_t i = 0; i < x->n_apps; i++)
        if (strcmp(x->apps[i].id, app_id) == 0) {
            x->apps[i].version = version;
            return VL_OK;
        }
    struct app_pos *apps = vl_grow(x->apps, &x->cap_apps, x->n_apps, sizeof(*apps), 4);
    if (!apps) return oom(err);
    x->apps = apps;
    char *id = adup(&x->a, app_id, strlen(app_id));
    if (!id) return oom(err);
    x->apps[x->n_apps++] = (struct app_pos){id, version};
    return VL_OK;
}

/* ---------------------------------------------------------------- actions */

/* The partition key of a file: its values in partition-column order,
 * "\x01" for null, joined with "\x00"-free separators. */
static int part_key(const vl_delta_metadata *m, const vl_delta_kv *kv, uint32_t n, vl_buf *out) {
    vl_buf_clear(out);
    for (uint32_t c = 0; c < m->n_partition_columns; c++) {
        const vl_delta_kv *v = NULL;
        for (uint32_t k = 0; k < n; k++)
            if (vl_sv_eq(kv[k].key, m->partition_columns[c])) v = &kv[k];
        if (vl_buf_putc(out, '\x02')) return VL_ENOMEM;
        /* an empty partition value is null (Hive and Spark write both as
         * __HIVE_DEFAULT_PARTITION__): the same partition */
        if (!v || v->value_null || v->value.n == 0) {
            if (vl_buf_putc(out, '\x01')) return VL_ENOMEM;
        } else if (vl_buf_append(out, v->value.p, v->value.n)) {
            return VL_ENOMEM;
        }
    }
    if (!vl_buf_cstr(out)) return VL_ENOMEM;
    return VL_OK;
}

static int write_kvs(vl_json_w *w, const char *key, const vl_delta_metadata *m, const vl_delta_kv *kv, uint32_t n) {
    vl_json_w_key(w, key);
    vl_json_w_begin_obj(w);
    for (uint32_t c = 0; c < m->n_partition_columns; c++) {
        const vl_delta_kv *v = NULL;
        for (uint32_t k = 0; k < n; k++)
            if (vl_sv_eq(kv[k].key, m->partition_columns[c])) v = &kv[k];
        vl_json_w_key_n(w, m->partition_columns[c].p, m->partition_columns[c].n);
        if (!v || v->value_null) vl_json_w_null(w);
        else vl_json_w_str(w, v->value.p, v->value.n);
    }
    return vl_json_w_end_obj(w);
}

int vl_delta_txn_add(vl_delta_txn *x, const vl_delta_add *add, vl_error *err) {
    if (!x->snap && !x->meta_changed)
        return vl_error_set(err, VL_EINVAL, "the table does not exist yet: set its metadata (create) first");
    if (add->n_partition_values != x->meta.n_partition_columns)
        return vl_error_set(err, VL_EINVAL, "add %s: %u partition values for %u partition columns", add->path,
                            add->n_partition_values, x->meta.n_partition_columns);
    vl_buf enc;
    vl_buf_init(&enc);
    if (vl_delta_path_encode(add->path, strlen(add->path), &enc)) {
        vl_buf_free(&enc);
        return oom(err);
    }
    vl_json_w w;
    vl_json_w_init(&w, &x->actions, VL_JSON_W_NONFINITE_NULL);
    vl_json_w_begin_obj(&w);
    vl_json_w_key(&w, "add");
    vl_json_w_begin_obj(&w);
    vl_json_w_key(&w, "path");
    vl_json_w_str(&w, (const char *)enc.p, enc.n);
    write_kvs(&w, "partitionValues", &x->meta, add->partition_values, add->n_partition_values);
    vl_json_w_key(&w, "size");
    vl_json_w_int(&w, add->size);
    vl_json_w_key(&w, "modificationTime");
    vl_json_w_int(&w, add->modification_time);
    vl_json_w_key(&w, "dataChange");
    vl_json_w_bool(&w, add->data_change);
    if (add->stats) {
        vl_json_w_key(&w, "stats");
        vl_json_w_cstr(&w, add->stats);
    }
    vl_json_w_end_obj(&w);
    vl_json_w_end_obj(&w);
    vl_buf_free(&enc);
    VL_RETURN_IF_ERR(vl_json_w_finish(&w, err));
    if (vl_buf_putc(&x->actions, '\n')) return oom(err);
    x->n_add++;
    x->bytes_added += add->size;
    return VL_OK;
}

int vl_delta_txn_remove(vl_delta_txn *x, const vl_delta_file *f, bool data_change, vl_error *err) {
    if (!x->snap) return vl_error_set(err, VL_EINVAL, "remove: the table has no files yet");
    vl_json_w w;
    vl_json_w_init(&w, &x->actions, 0);
    vl_json_w_begin_obj(&w);
    vl_json_w_key(&w, "remove");
    vl_json_w_begin_obj(&w);
    vl_json_w_key(&w, "path");
    vl_json_w_str(&w, f->path.p, f->path.n);
    vl_json_w_key(&w, "deletionTimestamp");
    vl_json_w_int(&w, vl_now_us() / 1000);
    vl_json_w_key(&w, "dataChange");
    vl_json_w_bool(&w, data_change);
    vl_json_w_key(&w, "extendedFileMetadata");
    vl_json_w_bool(&w, true);
    write_kvs(&w, "partitionValues", &x->snap->metadata, f->partition_values, f->n_partition_values);
    vl_json_w_key(&w, "size");
    vl_json_w_int(&w, f->size);
    vl_json_w_end_obj(&w);
    vl_json_w_end_obj(&w);
    VL_RETURN_IF_ERR(vl_json_w_finish(&w, err));
    if (vl_buf_putc(&x->actions, '\n')) return oom(err);
    x->n_remove++;
    vl_sv *r = vl_grow(x->removed, &x->cap_removed, x->n_removed, sizeof(*r), 64);
    if (!r) return oom(err);
    x->removed = r;
    x->removed[x->n_removed++] = f->path; /* lives in the snapshot */
    if (data_change) {
        x->any_data_change_remove = true;
        vl_buf k;
        vl_buf_init(&k);
        int rc = part_key(&x->snap->metadata, f->partition_values, f->n_partition_values, &k);
        bool seen = false;
        for (size_t i = 0; rc == VL_OK && i < x->n_read_parts; i++) seen |= strcmp(x->read_parts[i], vl_buf_cstr(&k)) == 0;
        if (rc == VL_OK && !seen) {
            char **rp = vl_grow(x->read_parts, &x->cap_read_parts, x->n_read_parts, sizeof(*rp), 16);
            if (!rp) rc = VL_ENOMEM;
            else x->read_parts = rp;
            char *c = rc == VL_OK ? adup(&x->a, (const char *)k.p, k.n) : NULL;
            if (!c) rc = VL_ENOMEM;
            else x->read_parts[x->n_read_parts++] = c;
        }
        vl_buf_free(&k);
        if (rc) return oom(err);
    }
    return VL_OK;
}

/* ------------------------------------------------------------ data files */

/* A statistic value decoded from a column chunk's min/max bytes. */
static bool stat_decode(const vl_dt_type *t, int32_t physical, vl_sv raw, vl_delta_value *v) {
    memset(v, 0, sizeof(*v));
    switch (physical) {
    case VL_PQ_T_INT32: {
        if (raw.n != 4) return false;
        int32_t x;
        memcpy(&x, raw.p, 4);
        v->i = x;
        return true;
    }
    case VL_PQ_T_INT64:
        if (raw.n != 8) return false;
        memcpy(&v->i, raw.p, 8);
        return true;
    case VL_PQ_T_FLOAT: {
        if (raw.n != 4) return false;
        float f;
        memcpy(&f, raw.p, 4);
        v->d = f;
        return !isnan(v->d);
    }
    case VL_PQ_T_DOUBLE:
        if (raw.n != 8) return false;
        memcpy(&v->d, raw.p, 8);
        return !isnan(v->d);
    case VL_PQ_T_BYTE_ARRAY:
        if (t->kind != VL_DT_STRING) return false;
        v->s = raw;
        return true;
    default: return false;
    }
}

/* Byte length of the first max_chars UTF-8 characters of s. */
static size_t utf8_prefix(vl_sv s, size_t max_chars, bool *cut) {
    const unsigned char *p = (const unsigned char *)s.p, *e = p + s.n;
    size_t chars = 0;
    while (p < e && chars < max_chars) {
        size_t l = vl_utf8_seq_len(p, e);
        p += l ? l : 1;
        chars++;
    }
    *cut = p < e;
    return (size_t)(p - (const unsigned char *)s.p);
}

static int stat_json(vl_json_w *w, const vl_dt_type *t, const vl_delta_value *v, bool is_max, vl_buf *tmp) {
    switch (t->kind) {
    case VL_DT_STRING: {
        bool cut;
        size_t n = utf8_prefix(v->s, STATS_STR_PREFIX, &cut);
        vl_buf_clear(tmp);
        if (vl_buf_append(tmp, v->s.p, n)) return VL_ENOMEM;
        if (cut && is_max && vl_buf_append(tmp, "\xF4\x8F\xBF\xBF", 4)) return VL_ENOMEM;
        return vl_json_w_str(w, (const char *)tmp->p, tmp->n);
    }
    case VL_DT_TIMESTAMP:
    case VL_DT_TIMESTAMP_NTZ: {
        int64_t us = v->i;
        int64_t ms = us / 1000 - (us % 1000 < 0);
        if (is_max && ms * 1000 != us) ms++;
        char b[48];
        size_t n = vl_ts_format(b, ms * 1000);
        /* "....ssssssZ" → milliseconds */
        if (n >= 8 && b[n - 1] == 'Z' && b[n - 8] == '.') {
            b[n - 4] = 'Z';
            n -= 3;
        }
        if (t->kind == VL_DT_TIMESTAMP_NTZ && n && b[n - 1] == 'Z') n--;
        return vl_json_w_str(w, b, n);
    }
    case VL_DT_DATE: {
        char b[24];
        size_t n = vl_date_format(b, v->i);
        return vl_json_w_str(w, b, n);
    }
    case VL_DT_DECIMAL: {
        vl_buf_clear(tmp);
        if (vl_delta_value_format(t, v, tmp)) return VL_ENOMEM;
        return vl_json_w_raw(w, (const char *)tmp->p, tmp->n);
    }
    case VL_DT_FLOAT:
    case VL_DT_DOUBLE: return vl_json_w_double(w, v->d);
    default: return vl_json_w_int(w, v->i);
    }
}

typedef struct leaf_stat {
    const vl_dt_type *type;
    bool ok;          /* min/max usable */
    bool any;         /* some row group had a value */
    vl_delta_value min, max;
    int64_t nulls;
    bool nulls_ok;
} leaf_stat;

/* Writes minValues/maxValues/nullCount for the fields of st (keep) whose
 * leaves were written as Parquet leaves starting at *leaf. */
static int stats_group(vl_json_w *w, const vl_dt_type *st, const bool *keep, const leaf_stat *ls, uint32_t *leaf,
                       uint32_t *budget, int which, vl_buf *tmp);

static uint32_t count_leaves(const vl_dt_type *t) {
    if (t->kind == VL_DT_STRUCT) {
        uint32_t n = 0;
        for (uint32_t i = 0; i < t->n_fields; i++) n += count_leaves(&t->fields[i].type);
        return n;
    }
    if (t->kind == VL_DT_ARRAY) return count_leaves(t->elem);
    if (t->kind == VL_DT_MAP) return count_leaves(t->key) + count_leaves(t->value);
    return 1;
}

static int stats_group(vl_json_w *w, const vl_dt_type *st, const bool *keep, const leaf_stat *ls, uint32_t *leaf,
                       uint32_t *budget, int which, vl_buf *tmp) {
    vl_json_w_begin_obj(w);
    for (uint32_t i = 0; i < st->n_fields; i++) {
        if (keep && !keep[i]) continue;
        const vl_dt_field *f = &st->fields[i];
        if (f->type.kind == VL_DT_STRUCT) {
            if (*budget == 0) {
                *leaf += count_leaves(&f->type);
                continue;
            }
            vl_json_w_key_n(w, f->name.p, f->name.n);
            VL_RETURN_IF_ERR(stats_group(w, &f->type, NULL, ls, leaf, budget, which, tmp));
            continue;
        }
        if (f->type.kind == VL_DT_ARRAY || f->type.kind == VL_DT_MAP) {
            *leaf += count_leaves(&f->type);
            continue;
        }
        const leaf_stat *s = &ls[(*leaf)++];
        if (*budget == 0) continue;
        (*budget)--;
        if (which == 2) {
            if (s->nulls_ok) {
                vl_json_w_key_n(w, f->name.p, f->name.n);
                vl_json_w_int(w, s->nulls);
            }
            continue;
        }
        if (!s->ok || !s->any) continue;
        if (f->type.kind == VL_DT_BOOLEAN || f->type.kind == VL_DT_BINARY) continue;
        if (f->type.kind == VL_DT_DECIMAL && f->type.precision > 18) continue;
        vl_json_w_key_n(w, f->name.p, f->name.n);
        VL_RETURN_IF_ERR(stat_json(w, &f->type, which == 0 ? &s->min : &s->max, which == 1, tmp));
    }
    return vl_json_w_end_obj(w);
}

/* Collects the leaf types of st (keep) in Parquet leaf order. */
static void collect_types(const vl_dt_type *t, const vl_dt_type **out, uint32_t *n, uint32_t cap) {
    if (t->kind == VL_DT_STRUCT) {
        for (uint32_t i = 0; i < t->n_fields; i++) collect_types(&t->fields[i].type, out, n, cap);
    } else if (t->kind == VL_DT_ARRAY) {
        collect_types(t->elem, out, n, cap);
    } else if (t->kind == VL_DT_MAP) {
        collect_types(t->key, out, n, cap);
        collect_types(t->value, out, n, cap);
    } else if (*n < cap) {
        out[(*n)++] = t;
    }
}

static int build_stats(const vl_dt_type *st, const bool *keep, const vl_pq_writer *pw, size_t rows, int64_t max_cols,
                       vl_buf *out, vl_error *err) {
    const vl_pq_file_meta *m = vl_pq_writer_meta(pw);
    uint32_t n_leaves = 0;
    for (uint32_t i = 0; i < st->n_fields; i++)
        if (!keep || keep[i]) n_leaves += count_leaves(&st->fields[i].type);
    leaf_stat *ls = vl_calloc(n_leaves + 1, sizeof(*ls));
    const vl_dt_type **types = vl_calloc(n_leaves + 1, sizeof(*types));
    vl_buf tmp;
    vl_buf_init(&tmp);
    int rc = VL_OK;
    if (!ls || !types) {
        rc = oom(err);
        goto done;
    }
    uint32_t nt = 0;
    for (uint32_t i = 0; i < st->n_fields; i++)
        if (!keep || keep[i]) collect_types(&st->fields[i].type, types, &nt, n_leaves);
    for (uint32_t l = 0; l < n_leaves; l++) {
        ls[l].type = types[l];
        ls[l].ok = true;
        ls[l].nulls_ok = true;
    }
    for (uint32_t rg = 0; rg < m->n_row_groups; rg++) {
        const vl_pq_row_group *g = &m->row_groups[rg];
        for (uint32_t l = 0; l < n_leaves && l < g->n_columns; l++) {
            const vl_pq_column_meta *cm = &g->columns[l].meta;
            leaf_stat *s = &ls[l];
            const vl_pq_stats *ps = &cm->statistics;
            if (!cm->has_statistics || !ps->has_null_count) s->nulls_ok = false;
            else s->nulls += ps->null_count;
            bool has_vals = !cm->has_statistics || !ps->has_null_count || ps->null_count < cm->num_values;
            if (!has_vals) continue;
            vl_delta_value mn, mx;
            if (!cm->has_statistics || !ps->has_min_value || !ps->has_max_value ||
                !stat_decode(s->type, cm->type, ps->min_value, &mn) || !stat_decode(s->type, cm->type, ps->max_value, &mx)) {
                s->ok = false;
                continue;
            }
            if (!s->any) {
                s->min = mn;
                s->max = mx;
                s->any = true;
            } else {
                if (vl_delta_value_cmp(s->type, &mn, &s->min) < 0) s->min = mn;
                if (vl_delta_value_cmp(s->type, &mx, &s->max) > 0) s->max = mx;
            }
        }
    }
    /* The Parquet writer cuts long string bounds to its own length (and
     * marks them inexact); Delta cuts to 32 characters. Where a bound was
     * cut, take the writer's exact minimum and maximum over the file, so the
     * Delta cut below starts from them. */
    for (uint32_t l = 0; l < n_leaves; l++) {
        leaf_stat *s = &ls[l];
        if (s->type->kind != VL_DT_STRING || !s->any || !s->ok) continue;
        bool cut = false;
        for (uint32_t rg = 0; rg < m->n_row_groups; rg++) {
            const vl_pq_row_group *g = &m->row_groups[rg];
            if (l >= g->n_columns) continue;
            const vl_pq_stats *ps = &g->columns[l].meta.statistics;
            cut |= (ps->has_is_max_value_exact && !ps->is_max_value_exact) ||
                   (ps->has_is_min_value_exact && !ps->is_min_value_exact);
        }
        vl_sv mn, mx;
        if (!cut || !vl_pq_writer_exact_bounds(pw, l, &mn, &mx)) continue;
        s->min.s = mn;
        s->max.s = mx;
    }
    vl_json_w w;
    vl_json_w_init(&w, out, VL_JSON_W_NONFINITE_NULL);
    vl_json_w_begin_obj(&w);
    vl_json_w_key(&w, "numRecords");
    vl_json_w_int(&w, (int64_t)rows);
    static const char *const names[] = {"minValues", "maxValues", "nullCount"};
    for (int which = 0; which < 3 && rc == VL_OK; which++) {
        uint32_t leaf = 0, budget = (uint32_t)(max_cols < 0 ? UINT32_MAX : max_cols);
        vl_json_w_key(&w, names[which]);
        rc = stats_group(&w, st, keep, ls, &leaf, &budget, which, &tmp);
        if (rc) rc = oom(err);
    }
    /* after a failure the writer may be inside an unfinished object */
    if (rc == VL_OK) {
        vl_json_w_end_obj(&w);
        rc = vl_json_w_finish(&w, err);
    }
done:
    vl_buf_free(&tmp);
    vl_free(ls);
    vl_free(types);
    return rc;
}

/* A data file being written: the Parquet writer fills an in-memory file,
 * which close puts in the store and records as an add action. */
struct vl_delta_writer {
    vl_delta_txn *x;
    vl_arena a;
    vl_buf rel, file, pv;
    vl_delta_kv *kvs;
    size_t *pv_end;
    bool *keep;
    vl_pq_writer *pw;
    int64_t rows;
};

void vl_delta_writer_abort(vl_delta_writer *f) {
    if (!f) return;
    vl_pq_writer_destroy(f->pw);
    vl_free(f->kvs);
    vl_free(f->pv_end);
    vl_free(f->keep);
    vl_arena_destroy(&f->a);
    vl_buf_free(&f->rel);
    vl_buf_free(&f->file);
    vl_buf_free(&f->pv);
    vl_free(f);
}

int vl_delta_writer_open(vl_delta_txn *x, const vl_delta_value *part_values, size_t rows_hint, vl_delta_writer **out,
                       vl_error *err) {
    *out = NULL;
    const vl_delta_metadata *m = &x->meta;
    if (!x->snap && !x->meta_changed)
        return vl_error_set(err, VL_EINVAL, "the table does not exist yet: set its metadata (create) first");
    const vl_dt_type *st = &m->schema;
    vl_delta_writer *f = vl_calloc(1, sizeof(*f));
    if (!f) return oom(err);
    f->x = x;
    vl_arena_init(&f->a, 4096);
    vl_buf_init(&f->rel);
    vl_buf_init(&f->file);
    vl_buf_init(&f->pv);
    int rc = VL_OK;
    f->keep = vl_calloc(st->n_fields + 1, sizeof(bool));
    if (!f->keep) rc = oom(err);
    for (uint32_t i = 0; rc == VL_OK && i < st->n_fields; i++) f->keep[i] = true;
    for (uint32_t p = 0; rc == VL_OK && p < m->n_partition_columns; p++) f->keep[m->partition_index[p]] = false;
    /* the Hive path: col=value/... */
    if (rc == VL_OK && m->n_partition_columns) {
        f->kvs = vl_calloc(m->n_partition_columns, sizeof(*f->kvs));
        f->pv_end = vl_calloc(m->n_partition_columns, sizeof(*f->pv_end));
        if (!f->kvs || !f->pv_end) rc = oom(err);
    }
    for (uint32_t p = 0; rc == VL_OK && p < m->n_partition_columns; p++) {
        const vl_dt_type *t = &st->fields[m->partition_index[p]].type;
        size_t start = f->pv.n;
        if (!part_values[p].is_null && vl_delta_value_format(t, &part_values[p], &f->pv)) rc = oom(err);
        f->pv_end[p] = f->pv.n;
        if (rc == VL_OK && vl_delta_partition_dir(m->partition_columns[p], (const char *)f->pv.p + start,
                                                  f->pv.n - start, part_values[p].is_null, &f->rel))
            rc = oom(err);
        if (rc == VL_OK && vl_buf_putc(&f->rel, '/')) rc = oom(err);
        f->kvs[p].value_null = part_values[p].is_null;
    }
    char uuid[37];
    vl_delta__uuid(uuid);
    if (rc == VL_OK && vl_buf_printf(&f->rel, "part-00000-%s.c000.zstd.parquet", uuid)) rc = oom(err);
    vl_pq_schema_elem *elems = NULL;
    uint32_t n_elems = 0;
    if (rc == VL_OK) rc = vl_delta_schema_to_parquet(st, f->keep, &f->a, &elems, &n_elems, err);
    vl_pq_writer_opts po;
    vl_pq_writer_opts_default(&po);
    /* zstd's fastest level: on event data it compresses about as well as its
     * default (1M events: 24 MB either way) for a tenth less of the CPU an
     * ingest spends */
    po.level = 1;
    if (x->row_group_rows) po.row_group_rows = x->row_group_rows;
    /* about what a compressed row takes, so the file is not copied as it grows */
    if (rc == VL_OK && vl_buf_reserve(&f->file, rows_hint * 32 + 4096)) rc = oom(err);
    if (rc == VL_OK) rc = vl_pq_writer_open((vl_pq_sink){&f->file, vl_buf_sink_write}, elems, n_elems, &po, &f->pw, err);
    if (rc) {
        vl_delta_writer_abort(f);
        return rc;
    }
    *out = f;
    return VL_OK;
}

int vl_delta_writer_write(vl_delta_writer *f, const vl_pq_column *cols, size_t rows, vl_error *err) {
    if (!rows) return VL_OK;
    VL_RETURN_IF_ERR(vl_pq_writer_write(f->pw, cols, rows, err));
    f->rows += (int64_t)rows;
    return VL_OK;
}

uint64_t vl_delta_writer_bytes(const vl_delta_writer *f) { return f->file.n; }
int64_t vl_delta_writer_rows(const vl_delta_writer *f) { return f->rows; }

int vl_delta_writer_close(vl_delta_writer *f, vl_error *err) {
    vl_delta_txn *x = f->x;
    const vl_delta_metadata *m = &x->meta;
    vl_buf key, stats;
    vl_buf_init(&key);
    vl_buf_init(&stats);
    char eng[64];
    snprintf(eng, sizeof(eng), "vidlake/%s", VL_VERSION);
    int rc = vl_pq_writer_kv(f->pw, "writer.engine", eng, err);
    if (rc == VL_OK) rc = vl_pq_writer_close(f->pw, err);
    int64_t max_cols = STATS_MAX_COLS;
    const char *mc = NULL;
    for (uint32_t i = 0; i < m->n_configuration; i++)
        if (vl_sv_eq_cstr(m->configuration[i].key, "delta.dataSkippingNumIndexedCols")) mc = m->configuration[i].value.p;
    if (mc) {
        int64_t v;
        if (vl_parse_i64(mc, strlen(mc), &v) == VL_OK) max_cols = v;
    }
    if (rc == VL_OK) rc = build_stats(&m->schema, f->keep, f->pw, (size_t)f->rows, max_cols, &stats, err);
    if (rc == VL_OK && vl_delta__key(x->t, (const char *)f->rel.p, f->rel.n, &key)) rc = oom(err);
    if (rc == VL_OK) rc = vl_store_put(x->t->store, vl_buf_cstr(&key), f->file.p, f->file.n, err);
    if (rc == VL_OK) {
        for (uint32_t p = 0; p < m->n_partition_columns; p++) {
            size_t start = p ? f->pv_end[p - 1] : 0;
            f->kvs[p].key = m->partition_columns[p];
            f->kvs[p].value = (vl_sv){(const char *)f->pv.p + start, f->pv_end[p] - start};
        }
    }
    if (rc == VL_OK) {
        vl_delta_add add = {.path = vl_buf_cstr(&f->rel),
                            .partition_values = f->kvs,
                            .n_partition_values = m->n_partition_columns,
                            .size = (int64_t)f->file.n,
                            .modification_time = vl_now_us() / 1000,
                            .data_change = !x->write_no_data_change,
                            .stats = vl_buf_cstr(&stats)};
        rc = vl_delta_txn_add(x, &add, err);
        x->rows_added += f->rows;
    }
    vl_buf_free(&key);
    vl_buf_free(&stats);
    vl_delta_writer_abort(f);
    return rc;
}

int vl_delta_txn_write(vl_delta_txn *x, const vl_delta_value *part_values, const vl_pq_column *cols, size_t rows,
                       vl_error *err) {
    vl_delta_writer *f = NULL;
    VL_RETURN_IF_ERR(vl_delta_writer_open(x, part_values, rows, &f, err));
    int rc = vl_delta_writer_write(f, cols, rows, err);
    if (rc) {
        vl_delta_writer_abort(f);
        return rc;
    }
    return vl_delta_writer_close(f, err);
}

/* ----------------------------------------------------------------- commit */

static int write_metadata(vl_json_w *w, const vl_delta_metadata *m) {
    vl_json_w_begin_obj(w);
    vl_json_w_key(w, "metaData");
    vl_json_w_begin_obj(w);
    vl_json_w_key(w, "id");
    vl_json_w_str(w, m->id.p, m->id.n);
    if (m->has_name) {
        vl_json_w_key(w, "name");
        vl_json_w_str(w, m->name.p, m->name.n);
    }
    if (m->has_description) {
        vl_json_w_key(w, "description");
        vl_json_w_str(w, m->description.p, m->description.n);
    }
    vl_json_w_key(w, "format");
    vl_json_w_begin_obj(w);
    vl_json_w_key(w, "provider");
    vl_json_w_cstr(w, "parquet");
    vl_json_w_key(w, "options");
    vl_json_w_begin_obj(w);
    vl_json_w_end_obj(w);
    vl_json_w_end_obj(w);
    vl_json_w_key(w, "schemaString");
    vl_json_w_str(w, m->schema_string.p, m->schema_string.n);
    vl_json_w_key(w, "partitionColumns");
    vl_json_w_begin_arr(w);
    for (uint32_t i = 0; i < m->n_partition_columns; i++)
        vl_json_w_str(w, m->partition_columns[i].p, m->partition_columns[i].n);
    vl_json_w_end_arr(w);
    vl_json_w_key(w, "configuration");
    vl_json_w_begin_obj(w);
    for (uint32_t i = 0; i < m->n_configuration; i++) {
        vl_json_w_key_n(w, m->configuration[i].key.p, m->configuration[i].key.n);
        if (m->configuration[i].value_null) vl_json_w_null(w);
        else vl_json_w_str(w, m->configuration[i].value.p, m->configuration[i].value.n);
    }
    vl_json_w_end_obj(w);
    if (m->created_time >= 0) {
        vl_json_w_key(w, "createdTime");
        vl_json_w_int(w, m->created_time);
    }
    vl_json_w_end_obj(w);
    return vl_json_w_end_obj(w);
}

static int write_protocol(vl_json_w *w, const vl_delta_protocol *p) {
    vl_json_w_begin_obj(w);
    vl_json_w_key(w, "protocol");
    vl_json_w_begin_obj(w);
    vl_json_w_key(w, "minReaderVersion");
    vl_json_w_int(w, p->min_reader);
    vl_json_w_key(w, "minWriterVersion");
    vl_json_w_int(w, p->min_writer);
    if (p->has_reader_features) {
        vl_json_w_key(w, "readerFeatures");
        vl_json_w_begin_arr(w);
        for (uint32_t i = 0; i < p->n_reader_features; i++)
            vl_json_w_str(w, p->reader_features[i].p, p->reader_features[i].n);
        vl_json_w_end_arr(w);
    }
    if (p->has_writer_features) {
        vl_json_w_key(w, "writerFeatures");
        vl_json_w_begin_arr(w);
        for (uint32_t i = 0; i < p->n_writer_features; i++)
            vl_json_w_str(w, p->writer_features[i].p, p->writer_features[i].n);
        vl_json_w_end_arr(w);
    }
    vl_json_w_end_obj(w);
    return vl_json_w_end_obj(w);
}

static int build_commit(vl_delta_txn *x, int64_t version, vl_buf *out, vl_error *err) {
    vl_buf_clear(out);
    vl_json_w w;
    vl_json_w_init(&w, out, 0);
    bool blind = x->n_remove == 0 && !x->meta_changed && x->snap;
    const char *op = x->operation ? x->operation : !x->snap ? "CREATE TABLE" : "WRITE";
    char txn_id[37];
    vl_delta__uuid(txn_id);
    vl_json_w_begin_obj(&w);
    vl_json_w_key(&w, "commitInfo");
    vl_json_w_begin_obj(&w);
    vl_json_w_key(&w, "timestamp");
    vl_json_w_int(&w, vl_now_us() / 1000);
    vl_json_w_key(&w, "operation");
    vl_json_w_cstr(&w, op);
    vl_json_w_key(&w, "operationParameters");
    if (x->op_params) vl_json_w_raw(&w, x->op_params, strlen(x->op_params));
    else {
        vl_json_w_begin_obj(&w);
        vl_json_w_key(&w, "mode");
        vl_json_w_cstr(&w, "Append");
        vl_json_w_end_obj(&w);
    }
    if (x->read_version >= 0) {
        vl_json_w_key(&w, "readVersion");
        vl_json_w_int(&w, x->read_version);
    }
    vl_json_w_key(&w, "isolationLevel");
    vl_json_w_cstr(&w, "Serializable");
    vl_json_w_key(&w, "isBlindAppend");
    vl_json_w_bool(&w, blind);
    vl_json_w_key(&w, "operationMetrics");
    vl_json_w_begin_obj(&w);
    char num[32];
    vl_json_w_key(&w, "numFiles");
    snprintf(num, sizeof(num), "%zu", x->n_add);
    vl_json_w_cstr(&w, num);
    vl_json_w_key(&w, "numRemovedFiles");
    snprintf(num, sizeof(num), "%zu", x->n_remove);
    vl_json_w_cstr(&w, num);
    vl_json_w_key(&w, "numOutputRows");
    snprintf(num, sizeof(num), "%lld", (long long)x->rows_added);
    vl_json_w_cstr(&w, num);
    vl_json_w_key(&w, "numOutputBytes");
    snprintf(num, sizeof(num), "%lld", (long long)x->bytes_added);
    vl_json_w_cstr(&w, num);
    vl_json_w_end_obj(&w);
    char eng[64];
    snprintf(eng, sizeof(eng), "vidlake/%s", VL_VERSION);
    vl_json_w_key(&w, "engineInfo");
    vl_json_w_cstr(&w, eng);
    vl_json_w_key(&w, "txnId");
    vl_json_w_cstr(&w, txn_id);
    vl_json_w_end_obj(&w);
    vl_json_w_end_obj(&w);
    VL_RETURN_IF_ERR(vl_json_w_finish(&w, err));
    if (vl_buf_putc(out, '\n')) return oom(err);
    if (version == 0 || x->protocol_changed) {
        vl_json_w_init(&w, out, 0);
        write_protocol(&w, &x->protocol);
        VL_RETURN_IF_ERR(vl_json_w_finish(&w, err));
        if (vl_buf_putc(out, '\n')) return oom(err);
    }
    if (x->meta_changed) {
        vl_json_w_init(&w, out, 0);
        write_metadata(&w, &x->meta);
        VL_RETURN_IF_ERR(vl_json_w_finish(&w, err));
        if (vl_buf_putc(out, '\n')) return oom(err);
    }
    int64_t now_ms = vl_now_us() / 1000;
    for (size_t i = 0; i < x->n_apps; i++) {
        vl_json_w_init(&w, out, 0);
        vl_json_w_begin_obj(&w);
        vl_json_w_key(&w, "txn");
        vl_json_w_begin_obj(&w);
        vl_json_w_key(&w, "appId");
        vl_json_w_cstr(&w, x->apps[i].id);
        vl_json_w_key(&w, "version");
        vl_json_w_int(&w, x->apps[i].version);
        vl_json_w_key(&w, "lastUpdated");
        vl_json_w_int(&w, now_ms);
        vl_json_w_end_obj(&w);
        vl_json_w_end_obj(&w);
        VL_RETURN_IF_ERR(vl_json_w_finish(&w, err));
        if (vl_buf_putc(out, '\n')) return oom(err);
    }
    if (vl_buf_append(out, x->actions.p, x->actions.n)) return oom(err);
    return VL_OK;
}

/* Checks the winning commit at version v against this transaction. */
typedef struct conflict {
    vl_delta_txn *x;
    int64_t v;
    vl_buf key;
} conflict;

static int conflict_action(void *ctx, const vl_json *j, vl_error *err) {
    conflict *C = ctx;
    vl_delta_txn *x = C->x;
    const vl_json *a;
    if ((a = vl_json_get(j, "metaData")) && !vl_json_is_null(a))
        return vl_error_set(err, VL_ECONFLICT, "version %lld, committed concurrently, changed the table's metadata",
                            (long long)C->v);
    if ((a = vl_json_get(j, "protocol")) && !vl_json_is_null(a))
        return vl_error_set(err, VL_ECONFLICT, "version %lld, committed concurrently, changed the table's protocol",
                            (long long)C->v);
    if (x->n_apps && (a = vl_json_get(j, "txn")) && !vl_json_is_null(a)) {
        vl_sv app;
        if (vl_json_get_str(a, "appId", &app, NULL) == VL_OK)
            for (size_t i = 0; i < x->n_apps; i++)
                if (vl_sv_eq_cstr(app, x->apps[i].id))
                    return vl_error_set(err, VL_ECONFLICT,
                                        "version %lld, committed concurrently, carries a txn for the same appId '%s'",
                                        (long long)C->v, x->apps[i].id);
    }
    if (x->n_removed && (a = vl_json_get(j, "remove")) && !vl_json_is_null(a)) {
        vl_sv p;
        if (vl_json_get_str(a, "path", &p, NULL) == VL_OK)
            for (size_t i = 0; i < x->n_removed; i++)
                if (vl_sv_eq(x->removed[i], p))
                    return vl_error_set(err, VL_ECONFLICT,
                                        "version %lld, committed concurrently, also removed %.*s", (long long)C->v,
                                        (int)p.n, p.p);
    }
    if (x->n_read_parts && (a = vl_json_get(j, "add")) && !vl_json_is_null(a)) {
        bool dc = true;
        if (vl_json_get_bool(a, "dataChange", &dc, NULL) != VL_OK) dc = true;
        if (!dc) return VL_OK;
        const vl_json *pv = vl_json_get(a, "partitionValues");
        /* the winner's partition key in our column order */
        uint32_t n = pv && vl_json_kind(pv) == VL_JSON_OBJECT ? (uint32_t)vl_json_len(pv) : 0;
        vl_delta_kv kv[64];
        if (n > 64) n = 64;
        for (uint32_t i = 0; i < n; i++) {
            const vl_json *val = vl_json_member(pv, i, &kv[i].key);
            kv[i].value_null = !vl_json_str(val, &kv[i].value);
        }
        if (part_key(&x->snap->metadata, kv, n, &C->key)) return oom(err);
        for (size_t i = 0; i < x->n_read_parts; i++)
            if (strcmp(x->read_parts[i], vl_buf_cstr(&C->key)) == 0)
                return vl_error_set(err, VL_ECONFLICT,
                                    "version %lld, committed concurrently, added data to a partition this "
                                    "transaction rewrites",
                                    (long long)C->v);
    }
    return VL_OK;
}

static void sleep_us(int64_t us) {
    struct timespec ts = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

int vl_delta_txn_commit(vl_delta_txn *x, const vl_delta_commit_opts *o, int64_t *version, vl_error *err) {
    vl_delta_commit_opts d = {.max_attempts = 50, .backoff_us = 2000};
    if (!o) o = &d;
    int max_attempts = o->max_attempts > 0 ? o->max_attempts : 50;
    int64_t backoff = o->backoff_us > 0 ? o->backoff_us : 2000;
    if (!x->snap && !x->meta_changed)
        return vl_error_set(err, VL_EINVAL, "the table does not exist yet: set its metadata (create) first");
    int64_t v = x->read_version + 1;
    vl_buf body, key;
    vl_buf_init(&body);
    vl_buf_init(&key);
    vl_rng rng;
    vl_rng_seed(&rng, (uint64_t)vl_mono_us() ^ (uint64_t)(uintptr_t)x);
    int rc = VL_OK;
    for (int attempt = 1;; attempt++) {
        rc = build_commit(x, v, &body, err);
        if (rc == VL_OK && vl_delta__commit_key(x->t, v, &key)) rc = oom(err);
        if (rc == VL_OK) rc = vl_store_put_if_absent(x->t->store, vl_buf_cstr(&key), body.p, body.n, err);
        if (rc != VL_ECONFLICT) break;
        if (x->read_version < 0) {
            rc = vl_error_set(err, VL_ECONFLICT, "the table was created concurrently by another writer");
            break;
        }
        if (attempt >= max_attempts) {
            rc = vl_error_set(err, VL_EAGAIN, "commit gave up after losing %d races: version %lld was taken", attempt,
                              (long long)v);
            break;
        }
        /* a little jitter so that racing writers do not collide in step;
         * before catching up, not after: a writer that slept after finding
         * the newest version would race for one the others took meanwhile */
        int64_t cap = backoff << (attempt < 4 ? attempt - 1 : 3);
        sleep_us((int64_t)vl_rng_below(&rng, (uint64_t)cap) + 1);
        /* others committed v and maybe more: catch up to the newest commit,
         * checking each winner for a conflict, then race for the next one at
         * once. Backing off per taken version instead would let a writer that
         * fell a few versions behind run out of attempts while the others run on. */
        int64_t latest = v;
        rc = vl_delta__latest_commit(x->t, v, &latest, err);
        if (rc) break;
        vl_arena a;
        vl_arena_init(&a, 1 << 14);
        size_t n_ws = (size_t)(latest - v + 1);
        int64_t *ws = vl_malloc(n_ws * sizeof(int64_t));
        if (!ws) rc = oom(err);
        for (size_t i = 0; ws && i < n_ws; i++) ws[i] = v + (int64_t)i;
        vl_delta__commits R;
        vl_delta__commits_init(&R, x->t, ws, ws ? n_ws : 0);
        for (int64_t w = v; rc == VL_OK && w <= latest; w++) {
            conflict C = {.x = x, .v = w};
            vl_buf_init(&C.key);
            vl_arena_reset(&a);
            rc = vl_delta__commits_read(&R, (size_t)(w - v), &a, conflict_action, &C, err);
            vl_buf_free(&C.key);
        }
        vl_delta__commits_free(&R);
        vl_free(ws);
        vl_arena_destroy(&a);
        if (rc) break;
        v = latest + 1;
    }
    if (rc == VL_OK) {
        *version = v;
        VL_DEBUG("delta", "committed version %lld of %s (%zu adds, %zu removes)", (long long)v, x->t->name, x->n_add,
                 x->n_remove);
        /* the interval checkpoint: a failure here does not undo the commit */
        const char *iv = NULL;
        for (uint32_t i = 0; i < x->meta.n_configuration; i++)
            if (vl_sv_eq_cstr(x->meta.configuration[i].key, "delta.checkpointInterval"))
                iv = x->meta.configuration[i].value.p;
        int64_t interval = 10;
        if (iv && (vl_parse_i64(iv, strlen(iv), &interval) != VL_OK || interval < 1)) interval = 10;
        /* on the interval; if the writer of a multiple dies before writing
         * its checkpoint, the next multiple brings one */
        bool due = v > 0 && v % interval == 0;
        if (!o->no_checkpoint && due) {
            vl_delta_snapshot *s = NULL;
            vl_error e2 = {0};
            int crc = vl_delta_snapshot_load(x->t, (vl_delta_at){v, -1}, &s, &e2);
            if (crc == VL_OK) crc = vl_delta_checkpoint_write(s, &e2);
            if (crc == VL_OK) {
                const char *cl = vl_delta_snapshot_prop(s, "delta.enableExpiredLogCleanup", "true");
                if (strcmp(cl, "false") != 0) crc = vl_delta_log_cleanup(x->t, vl_now_us() / 1000, NULL, &e2);
            }
            if (crc) VL_WARN("delta", "checkpoint of %s at version %lld failed: %s", x->t->name, (long long)v, e2.msg);
            vl_delta_snapshot_free(s);
        }
    }
    vl_buf_free(&body);
    vl_buf_free(&key);
    return rc;
}
