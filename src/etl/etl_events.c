/* vidlake - Apache-2.0 */
/*
 * etl_events: bronze/events -> silver/events.
 *
 * A resent event has the same event_id and event_time, so it lands in the
 * same event_date partition: deduplication is per date. For each date the
 * new bronze files touch, the event ids silver already holds for that date
 * are loaded into a set (etl_idset), then the new files
 * are scanned on every core; each batch's rows are checked against the set
 * under a lock (first come, first kept) and the kept ones are encoded by
 * that worker's writer in parallel. One commit appends every date's new
 * files with the bronze version covered. Only the set of one date's ids is
 * in memory at a time.
 */
#include "etl_int.h"

/* ------------------------------------------------------------------ scans */

typedef struct dedup {
    etl_idset ids;
    pthread_mutex_t mu, txn_mu;
    uint32_t id_col;
    vl_x_writer *w[64];
    uint32_t *keep[64];
    size_t keep_cap[64];
    int64_t rows_in, rows_out;
} dedup;

static int rows_cb(void *ctx, int worker, const vl_x_batch *b, vl_error *err) {
    dedup *D = ctx;
    size_t n = vl_x_batch_rows(b);
    if (n > D->keep_cap[worker]) {
        uint32_t *k = vl_realloc(D->keep[worker], n * sizeof(uint32_t));
        if (!k) return vl_error_set(err, VL_ENOMEM, "out of memory");
        D->keep[worker] = k;
        D->keep_cap[worker] = n;
    }
    const vl_x_vec *v = &b->cols[D->id_col];
    size_t k = 0;
    int rc = VL_OK;
    pthread_mutex_lock(&D->mu);
    D->rows_in += (int64_t)n;
    for (size_t i = 0; i < n && rc == VL_OK; i++) {
        size_t r = vl_x_batch_row(b, i);
        bool fresh = true;
        if (!v->valid || v->valid[r]) rc = etl_idset_add(&D->ids, v->v.str[r], &fresh);
        if (fresh) D->keep[worker][k++] = (uint32_t)r;
    }
    D->rows_out += (int64_t)k;
    pthread_mutex_unlock(&D->mu);
    if (rc) return vl_error_set(err, rc, "out of memory");
    if (!k) return VL_OK;
    vl_x_batch kb = *b;
    kb.sel = D->keep[worker];
    kb.n_sel = k;
    return vl_x_writer_add(D->w[worker], &kb, err);
}

int etl_silver_events(vl_store *s, const vl_etl_opts *o, vl_etl_job *job, vl_error *err) {
    snprintf(job->table, sizeof(job->table), "silver/events");
    vl_delta_table *out_t = NULL;
    vl_delta_snapshot *out = NULL;
    etl_input in = {0};
    vl_delta_txn *x = NULL;
    dedup D = {0};
    pthread_mutex_init(&D.mu, NULL);
    pthread_mutex_init(&D.txn_mu, NULL);
    char **names = NULL;
    vl_x_type *types = NULL;
    uint32_t n_names = 0;
    int threads = vl_x_threads(o->threads);
    int rc = etl_snapshot(s, "silver/events", &out_t, &out, err);
    if (rc == VL_OK) rc = etl_input_open(s, "bronze/events", out, o->full, "event_date", &in, err);
    if (rc || !in.now || in.done == in.now->version) goto done;
    if (!in.n_files && out && !o->full) goto done; /* commits without new data: nothing to record yet */
    const vl_delta_metadata *bm = &in.now->metadata;
    const vl_dt_type *bst = &bm->schema;
    rc = vl_delta_txn_begin(out_t, &x, err);
    if (rc) goto done;
    if (!out || o->full) {
        const char *parts[8];
        uint32_t np = bm->n_partition_columns < 8 ? bm->n_partition_columns : 8;
        char pbuf[8][64];
        for (uint32_t p = 0; p < np; p++) {
            snprintf(pbuf[p], sizeof(pbuf[p]), "%.*s", (int)bm->partition_columns[p].n, bm->partition_columns[p].p);
            parts[p] = pbuf[p];
        }
        rc = vl_delta_txn_set_metadata(x, bst, parts, np, NULL, 0, err);
        if (rc) goto done;
    }
    if (o->full && out) { /* rebuild: drop every file */
        for (size_t i = 0; i < out->n_files && rc == VL_OK; i++) rc = vl_delta_txn_remove(x, &out->files[i], true, err);
        if (rc) goto done;
    }
    /* the columns, by name */
    names = vl_calloc(bst->n_fields + 1, sizeof(char *));
    types = vl_calloc(bst->n_fields + 1, sizeof(vl_x_type));
    if (!names || !types) {
        rc = vl_error_set(err, VL_ENOMEM, "out of memory");
        goto done;
    }
    D.id_col = UINT32_MAX;
    for (uint32_t c = 0; c < bst->n_fields && rc == VL_OK; c++) {
        const vl_dt_field *fd = &bst->fields[c];
        char *nm = vl_malloc(fd->name.n + 1);
        if (!nm) {
            rc = vl_error_set(err, VL_ENOMEM, "out of memory");
            break;
        }
        memcpy(nm, fd->name.p, fd->name.n);
        nm[fd->name.n] = 0;
        names[c] = nm;
        n_names = c + 1;
        rc = vl_x_type_of(&fd->type, nm, &types[c], err);
        if (strcmp(nm, "event_id") == 0) D.id_col = c;
    }
    if (rc) goto done;
    if (D.id_col == UINT32_MAX || types[D.id_col] != VL_X_STR) {
        rc = vl_error_set(err, VL_ECORRUPT, "bronze/events has no string column event_id");
        goto done;
    }
    /* date by date */
    const vl_delta_file **files = vl_calloc(in.n_files + 1, sizeof(*files));
    if (!files) {
        rc = vl_error_set(err, VL_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t di = 0; di <= in.n_dates && rc == VL_OK; di++) {
        /* the files of this date; a last round for files without a date */
        size_t nf = 0;
        for (size_t i = 0; i < in.n_files; i++) {
            int64_t d;
            bool has = etl_file_date(in.now, in.files[i], "event_date", &d);
            if (di < in.n_dates ? (has && d == in.dates[di]) : !has) files[nf++] = in.files[i];
        }
        if (!nf) continue;
        etl_idset_clear(&D.ids);
        if (out && !o->full && di < in.n_dates) {
            vl_arena a;
            vl_arena_init(&a, 0);
            const vl_delta_expr *e = NULL;
            const char *idc[] = {"event_id"};
            rc = etl_dates_expr("event_date", &in.dates[di], 1, &out->metadata.schema, &a, &e, err);
            vl_x_scan_opts so = {.columns = idc, .n_columns = 1, .where = e, .threads = threads};
            etl_idsink k = {&D.ids, &D.mu};
            if (rc == VL_OK) rc = vl_x_scan(out, &so, etl_idsink_cb, &k, NULL, err);
            vl_arena_destroy(&a);
            if (rc) break;
        }
        /* one writer per worker for every date (their buffers stay warm); a
         * date's files are closed when it is done */
        for (int w = 0; w < threads && rc == VL_OK; w++)
            if (!D.w[w])
                rc = vl_x_writer_open(x, (const char *const *)names, types, bst->n_fields, 0, &D.txn_mu, &D.w[w], err);
        vl_x_scan_opts so = {.columns = (const char *const *)names, .n_columns = bst->n_fields, .files = files, .n_files = nf,
                             .threads = threads};
        if (rc == VL_OK) rc = vl_x_scan(in.now, &so, rows_cb, &D, NULL, err);
        for (int w = 0; w < threads && rc == VL_OK; w++) rc = vl_x_writer_flush(D.w[w], err);
        job->partitions++;
    }
    for (int w = 0; w < threads; w++) {
        if (rc == VL_OK) rc = vl_x_writer_close(D.w[w], err);
        else vl_x_writer_abort(D.w[w]);
        D.w[w] = NULL;
    }
    vl_free(files);
    if (rc) goto done;
    etl_input *ins[] = {&in};
    rc = etl_commit(x, ins, 1, o->full, NULL, job, err);
    if (rc == VL_OK) {
        job->rows_read = D.rows_in;
        job->rows_written = D.rows_out;
    }
done:
    etl_fail_msg(rc, "silver/events", err);
    for (uint32_t c = 0; c < n_names; c++) vl_free(names[c]);
    vl_free(names);
    vl_free(types);
    for (int w = 0; w < 64; w++) vl_free(D.keep[w]);
    etl_idset_free(&D.ids);
    pthread_mutex_destroy(&D.mu);
    pthread_mutex_destroy(&D.txn_mu);
    vl_delta_txn_free(x);
    etl_input_close(&in);
    vl_delta_snapshot_free(out);
    vl_delta_table_close(out_t);
    return rc;
}
