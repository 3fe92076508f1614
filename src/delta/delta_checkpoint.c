/* vidlake - Apache-2.0 */
/*
 * Classic checkpoints: one Parquet file `<v>.checkpoint.parquet` holding the
 * snapshot's protocol, metaData, txn, add and (unexpired) remove actions, one
 * action per row, in the column layout Spark writes (txn, add, remove,
 * metaData, protocol as optional structs; maps as MAP key_value groups;
 * stats as JSON strings), then `_last_checkpoint`.
 *
 * Each action is rendered as the JSON object of its checkpoint row and
 * shredded into columns by the same code that shreds user rows, so the
 * layout follows from one schema written down once below.
 *
 * Tombstones are kept until delta.deletedFileRetentionDuration (default one
 * week) has passed since their deletion, so that vacuum keeps honouring
 * them after the commits that removed them are cleaned up.
 */
#include "delta_int.h"

#include <string.h>

static const char CHECKPOINT_DDL[] =
    "txn struct<appId:string,version:bigint,lastUpdated:bigint>, "
    "add struct<path:string,partitionValues:map<string,string>,size:bigint,modificationTime:bigint,"
    "dataChange:boolean,tags:map<string,string>,stats:string>, "
    "remove struct<path:string,deletionTimestamp:bigint,dataChange:boolean,extendedFileMetadata:boolean,"
    "partitionValues:map<string,string>,size:bigint,tags:map<string,string>>, "
    "metaData struct<id:string,name:string,description:string,format:struct<provider:string,"
    "options:map<string,string>>,schemaString:string,partitionColumns:array<string>,"
    "configuration:map<string,string>,createdTime:bigint>, "
    "protocol struct<minReaderVersion:int,minWriterVersion:int,readerFeatures:array<string>,"
    "writerFeatures:array<string>>";

static int oom(vl_error *err) { return vl_error_set(err, VL_ENOMEM, "out of memory"); }

static void w_kvs(vl_json_w *w, const char *key, const vl_delta_kv *kv, uint32_t n) {
    vl_json_w_key(w, key);
    vl_json_w_begin_obj(w);
    for (uint32_t i = 0; i < n; i++) {
        vl_json_w_key_n(w, kv[i].key.p, kv[i].key.n);
        if (kv[i].value_null) vl_json_w_null(w);
        else vl_json_w_str(w, kv[i].value.p, kv[i].value.n);
    }
    vl_json_w_end_obj(w);
}

static void w_strs(vl_json_w *w, const char *key, const vl_sv *v, uint32_t n, bool present) {
    vl_json_w_key(w, key);
    if (!present) {
        vl_json_w_null(w);
        return;
    }
    vl_json_w_begin_arr(w);
    for (uint32_t i = 0; i < n; i++) vl_json_w_str(w, v[i].p, v[i].n);
    vl_json_w_end_arr(w);
}

typedef struct cp_writer {
    vl_delta_shredder *sh;
    vl_pq_writer *pw;
    vl_buf text;
    vl_arena a;
    int64_t rows;
} cp_writer;

/* Shreds the action object in W->text as one row; flushes every 64 Ki rows. */
static int cp_row(cp_writer *W, vl_error *err) {
    vl_arena_reset(&W->a);
    const vl_json *j;
    VL_RETURN_IF_ERR(vl_json_parse((const char *)W->text.p, W->text.n, &W->a, &j, err));
    VL_RETURN_IF_ERR(vl_delta_shredder_add(W->sh, j, err));
    W->rows++;
    if (vl_delta_shredder_rows(W->sh) >= 65536) {
        uint32_t n;
        const vl_pq_column *c = vl_delta_shredder_columns(W->sh, &n);
        VL_RETURN_IF_ERR(vl_pq_writer_write(W->pw, c, vl_delta_shredder_rows(W->sh), err));
        vl_delta_shredder_reset(W->sh);
    }
    return VL_OK;
}

int vl_delta_checkpoint_write(const vl_delta_snapshot *s, vl_error *err) {
    const vl_delta_table *t = s->table;
    vl_arena sa;
    vl_arena_init(&sa, 1 << 14);
    vl_dt_type schema;
    cp_writer W = {0};
    vl_buf_init(&W.text);
    vl_arena_init(&W.a, 1 << 14);
    vl_buf file, key;
    vl_buf_init(&file);
    vl_buf_init(&key);
    vl_pq_schema_elem *elems = NULL;
    uint32_t n_elems = 0;
    int rc = vl_delta_schema_from_ddl(CHECKPOINT_DDL, &sa, &schema, err);
    if (rc == VL_OK) rc = vl_delta_schema_to_parquet(&schema, NULL, &sa, &elems, &n_elems, err);
    if (rc == VL_OK) rc = vl_delta_shredder_new(&schema, NULL, &W.sh, err);
    vl_pq_writer_opts po;
    vl_pq_writer_opts_default(&po);
    po.codec = VL_PQ_CODEC_SNAPPY; /* what Spark writes, readable everywhere */
    if (rc == VL_OK) rc = vl_pq_writer_open((vl_pq_sink){&file, vl_buf_sink_write}, elems, n_elems, &po, &W.pw, err);
    vl_json_w w;
    /* protocol */
    if (rc == VL_OK) {
        const vl_delta_protocol *p = &s->protocol;
        vl_buf_clear(&W.text);
        vl_json_w_init(&w, &W.text, 0);
        vl_json_w_begin_obj(&w);
        vl_json_w_key(&w, "protocol");
        vl_json_w_begin_obj(&w);
        vl_json_w_key(&w, "minReaderVersion");
        vl_json_w_int(&w, p->min_reader);
        vl_json_w_key(&w, "minWriterVersion");
        vl_json_w_int(&w, p->min_writer);
        w_strs(&w, "readerFeatures", p->reader_features, p->n_reader_features, p->has_reader_features);
        w_strs(&w, "writerFeatures", p->writer_features, p->n_writer_features, p->has_writer_features);
        vl_json_w_end_obj(&w);
        vl_json_w_end_obj(&w);
        rc = vl_json_w_finish(&w, err);
        if (rc == VL_OK) rc = cp_row(&W, err);
    }
    /* metaData */
    if (rc == VL_OK) {
        const vl_delta_metadata *m = &s->metadata;
        vl_buf_clear(&W.text);
        vl_json_w_init(&w, &W.text, 0);
        vl_json_w_begin_obj(&w);
        vl_json_w_key(&w, "metaData");
        vl_json_w_begin_obj(&w);
        vl_json_w_key(&w, "id");
        vl_json_w_str(&w, m->id.p, m->id.n);
        vl_json_w_key(&w, "name");
        if (m->has_name) vl_json_w_str(&w, m->name.p, m->name.n);
        else vl_json_w_null(&w);
        vl_json_w_key(&w, "description");
        if (m->has_description) vl_json_w_str(&w, m->description.p, m->description.n);
        else vl_json_w_null(&w);
        vl_json_w_key(&w, "format");
        vl_json_w_begin_obj(&w);
        vl_json_w_key(&w, "provider");
        vl_json_w_str(&w, m->provider.p, m->provider.n);
        vl_json_w_key(&w, "options");
        vl_json_w_begin_obj(&w);
        vl_json_w_end_obj(&w);
        vl_json_w_end_obj(&w);
        vl_json_w_key(&w, "schemaString");
        vl_json_w_str(&w, m->schema_string.p, m->schema_string.n);
        w_strs(&w, "partitionColumns", m->partition_columns, m->n_partition_columns, true);
        w_kvs(&w, "configuration", m->configuration, m->n_configuration);
        vl_json_w_key(&w, "createdTime");
        if (m->created_time >= 0) vl_json_w_int(&w, m->created_time);
        else vl_json_w_null(&w);
        vl_json_w_end_obj(&w);
        vl_json_w_end_obj(&w);
        rc = vl_json_w_finish(&w, err);
        if (rc == VL_OK) rc = cp_row(&W, err);
    }
    for (size_t i = 0; rc == VL_OK && i < s->n_txns; i++) {
        const vl_delta_app_txn *x = &s->txns[i];
        vl_buf_clear(&W.text);
        vl_json_w_init(&w, &W.text, 0);
        vl_json_w_begin_obj(&w);
        vl_json_w_key(&w, "txn");
        vl_json_w_begin_obj(&w);
        vl_json_w_key(&w, "appId");
        vl_json_w_str(&w, x->app_id.p, x->app_id.n);
        vl_json_w_key(&w, "version");
        vl_json_w_int(&w, x->version);
        vl_json_w_key(&w, "lastUpdated");
        if (x->last_updated >= 0) vl_json_w_int(&w, x->last_updated);
        else vl_json_w_null(&w);
        vl_json_w_end_obj(&w);
        vl_json_w_end_obj(&w);
        rc = vl_json_w_finish(&w, err);
        if (rc == VL_OK) rc = cp_row(&W, err);
    }
    for (size_t i = 0; rc == VL_OK && i < s->n_files; i++) {
        const vl_delta_file *f = &s->files[i];
        vl_buf_clear(&W.text);
        vl_json_w_init(&w, &W.text, 0);
        vl_json_w_begin_obj(&w);
        vl_json_w_key(&w, "add");
        vl_json_w_begin_obj(&w);
        vl_json_w_key(&w, "path");
        vl_json_w_str(&w, f->path.p, f->path.n);
        w_kvs(&w, "partitionValues", f->partition_values, f->n_partition_values);
        vl_json_w_key(&w, "size");
        vl_json_w_int(&w, f->size);
        vl_json_w_key(&w, "modificationTime");
        vl_json_w_int(&w, f->modification_time);
        vl_json_w_key(&w, "dataChange");
        vl_json_w_bool(&w, false);
        if (f->n_tags) {
            w_kvs(&w, "tags", f->tags, f->n_tags);
        } else {
            vl_json_w_key(&w, "tags");
            vl_json_w_null(&w);
        }
        vl_json_w_key(&w, "stats");
        if (f->stats.n) vl_json_w_str(&w, f->stats.p, f->stats.n);
        else vl_json_w_null(&w);
        vl_json_w_end_obj(&w);
        vl_json_w_end_obj(&w);
        rc = vl_json_w_finish(&w, err);
        if (rc == VL_OK) rc = cp_row(&W, err);
    }
    int64_t keep_ms = vl_delta__interval_ms(vl_delta_snapshot_prop(s, "delta.deletedFileRetentionDuration", NULL),
                                            7LL * 86400000);
    int64_t cutoff = vl_now_us() / 1000 - keep_ms;
    for (size_t i = 0; rc == VL_OK && i < s->n_tombstones; i++) {
        const vl_delta_tombstone *tb = &s->tombstones[i];
        if (tb->deletion_timestamp < cutoff) continue;
        vl_buf_clear(&W.text);
        vl_json_w_init(&w, &W.text, 0);
        vl_json_w_begin_obj(&w);
        vl_json_w_key(&w, "remove");
        vl_json_w_begin_obj(&w);
        vl_json_w_key(&w, "path");
        vl_json_w_str(&w, tb->path.p, tb->path.n);
        vl_json_w_key(&w, "deletionTimestamp");
        vl_json_w_int(&w, tb->deletion_timestamp);
        vl_json_w_key(&w, "dataChange");
        vl_json_w_bool(&w, false);
        vl_json_w_key(&w, "extendedFileMetadata");
        vl_json_w_bool(&w, tb->extended_file_metadata);
        if (tb->extended_file_metadata) {
            w_kvs(&w, "partitionValues", tb->partition_values, tb->n_partition_values);
            if (tb->size >= 0) {
                vl_json_w_key(&w, "size");
                vl_json_w_int(&w, tb->size);
            }
        }
        vl_json_w_end_obj(&w);
        vl_json_w_end_obj(&w);
        rc = vl_json_w_finish(&w, err);
        if (rc == VL_OK) rc = cp_row(&W, err);
    }
    if (rc == VL_OK && vl_delta_shredder_rows(W.sh)) {
        uint32_t n;
        const vl_pq_column *c = vl_delta_shredder_columns(W.sh, &n);
        rc = vl_pq_writer_write(W.pw, c, vl_delta_shredder_rows(W.sh), err);
    }
    if (rc == VL_OK) rc = vl_pq_writer_close(W.pw, err);
    if (rc == VL_OK && vl_buf_printf(&key, "%s_delta_log/%020lld.checkpoint.parquet", t->path, (long long)s->version))
        rc = oom(err);
    if (rc == VL_OK) rc = vl_store_put(t->store, vl_buf_cstr(&key), file.p, file.n, err);
    if (rc == VL_OK) {
        vl_buf_clear(&key);
        vl_buf_clear(&W.text);
        if (vl_buf_printf(&key, "%s_delta_log/_last_checkpoint", t->path) ||
            vl_buf_printf(&W.text, "{\"version\":%lld,\"size\":%lld,\"sizeInBytes\":%zu,\"numOfAddFiles\":%zu}\n",
                          (long long)s->version, (long long)W.rows, file.n, s->n_files))
            rc = oom(err);
        if (rc == VL_OK) rc = vl_store_put(t->store, vl_buf_cstr(&key), W.text.p, W.text.n, err);
    }
    if (rc && rc != VL_ENOMEM) vl_error_prefix(err, "checkpoint of version %lld: ", (long long)s->version);
    vl_pq_writer_destroy(W.pw);
    vl_delta_shredder_free(W.sh);
    vl_buf_free(&W.text);
    vl_arena_destroy(&W.a);
    vl_arena_destroy(&sa);
    vl_buf_free(&file);
    vl_buf_free(&key);
    return rc;
}
