/* vidlake - Apache-2.0 */
/*
 * etl_run: the job runner and what jobs share: finding an input's changes
 * since the version an output covers (the live files at that version
 * against the latest, by path), date-partition helpers, and removing an
 * output's partitions before they are written again.
 */
#include "etl_int.h"

#include <stdlib.h>

const vl_delta_commit_opts etl_commit_opts = {.max_attempts = 50, .backoff_us = 2000};

int etl_snapshot(vl_store *s, const char *path, vl_delta_table **t, vl_delta_snapshot **out, vl_error *err) {
    *out = NULL;
    VL_RETURN_IF_ERR(vl_delta_table_open(s, path, t, err));
    int rc = vl_delta_snapshot_load(*t, VL_DELTA_LATEST, out, err);
    if (rc == VL_ENOTFOUND) {
        *out = NULL;
        return VL_OK;
    }
    return rc;
}

bool etl_file_date(const vl_delta_snapshot *s, const vl_delta_file *f, const char *col, int64_t *days) {
    const vl_delta_metadata *md = &s->metadata;
    for (uint32_t p = 0; p < md->n_partition_columns && p < f->n_partition_values; p++) {
        if (!vl_sv_eq_cstr(md->partition_columns[p], col)) continue;
        const vl_delta_kv *kv = &f->partition_values[p];
        if (kv->value_null || kv->value.n != 10) return false;
        vl_error e;
        return vl_date_parse(kv->value.p, kv->value.n, days, &e) == VL_OK;
    }
    return false;
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Paths of a snapshot's files, for the difference. */
typedef struct pathset {
    uint64_t *h;
    const vl_sv **p;
    size_t cap;
} pathset;

static int pathset_build(pathset *ps, const vl_delta_snapshot *s) {
    ps->cap = 16;
    while (ps->cap < s->n_files * 2 + 2) ps->cap *= 2;
    ps->h = vl_calloc(ps->cap, sizeof(uint64_t));
    ps->p = vl_calloc(ps->cap, sizeof(vl_sv *));
    if (!ps->h || !ps->p) return VL_ENOMEM;
    for (size_t i = 0; i < s->n_files; i++) {
        const vl_sv *path = &s->files[i].path;
        uint64_t h = vl_hash64(path->p, path->n, 7) | 1;
        size_t at = h & (ps->cap - 1);
        while (ps->h[at]) at = (at + 1) & (ps->cap - 1);
        ps->h[at] = h;
        ps->p[at] = path;
    }
    return VL_OK;
}

static bool pathset_has(const pathset *ps, vl_sv path) {
    uint64_t h = vl_hash64(path.p, path.n, 7) | 1;
    for (size_t at = h & (ps->cap - 1); ps->h[at]; at = (at + 1) & (ps->cap - 1))
        if (ps->h[at] == h && vl_sv_eq(*ps->p[at], path)) return true;
    return false;
}

int etl_input_open(vl_store *s, const char *path, const vl_delta_snapshot *out, bool full, const char *date_col,
                   etl_input *in, vl_error *err) {
    memset(in, 0, sizeof(*in));
    in->done = -1;
    VL_RETURN_IF_ERR(etl_snapshot(s, path, &in->t, &in->now, err));
    if (!in->now) return VL_OK;
    char app[128];
    snprintf(app, sizeof(app), VL_ETL_APP_PREFIX "%s", path);
    if (out && !full) in->done = vl_delta_snapshot_app_version(out, app);
    if (in->done == in->now->version) return VL_OK; /* up to date */
    vl_delta_snapshot *old = NULL;
    pathset ps = {0};
    int rc = VL_OK;
    if (in->done >= 0) {
        rc = vl_delta_snapshot_load(in->t, (vl_delta_at){in->done, -1}, &old, err);
        if (rc == VL_ENOTFOUND)
            return vl_error_set(err, VL_ENOTFOUND,
                                "%s: version %lld, which the last run covered, is no longer in the log: run with --full",
                                path, (long long)in->done);
        if (rc) return rc;
        if (pathset_build(&ps, old) != VL_OK) rc = vl_error_set(err, VL_ENOMEM, "out of memory");
    }
    in->files = vl_calloc(in->now->n_files + 1, sizeof(*in->files));
    in->dates = vl_calloc(in->now->n_files + 1, sizeof(int64_t));
    if (rc == VL_OK && (!in->files || !in->dates)) rc = vl_error_set(err, VL_ENOMEM, "out of memory");
    for (size_t i = 0; rc == VL_OK && i < in->now->n_files; i++) {
        const vl_delta_file *f = &in->now->files[i];
        /* new since the last run: skip only what a commit we can see says
         * is a rewrite (an OPTIMIZE's adds carry dataChange=false). A
         * checkpoint writes every add with dataChange=false, so an add
         * that comes from one (added_version -1) says nothing: read it;
         * the jobs are idempotent on rows they have already seen */
        if (old && ((!f->data_change && f->added_version >= 0) || pathset_has(&ps, f->path))) continue;
        in->files[in->n_files++] = f;
        int64_t d;
        if (etl_file_date(in->now, f, date_col, &d)) in->dates[in->n_dates++] = d;
    }
    if (rc == VL_OK && in->n_dates) {
        qsort(in->dates, in->n_dates, sizeof(int64_t), cmp_i64);
        size_t k = 1;
        for (size_t i = 1; i < in->n_dates; i++)
            if (in->dates[i] != in->dates[k - 1]) in->dates[k++] = in->dates[i];
        in->n_dates = k;
    }
    vl_free(ps.h);
    vl_free(ps.p);
    vl_delta_snapshot_free(old);
    return rc;
}

void etl_input_close(etl_input *in) {
    vl_delta_snapshot_free(in->now);
    vl_delta_table_close(in->t);
    vl_free(in->files);
    vl_free(in->dates);
    memset(in, 0, sizeof(*in));
}

int etl_dates_expr(const char *col, const int64_t *dates, size_t n, const vl_dt_type *st, vl_arena *a,
                   const vl_delta_expr **e, vl_error *err) {
    vl_buf b;
    vl_buf_init(&b);
    int rc = vl_buf_printf(&b, "%s IN (", col);
    for (size_t i = 0; i < n && rc == VL_OK; i++) {
        char d[16];
        vl_date_format(d, dates[i]);
        d[10] = 0;
        rc = vl_buf_printf(&b, "%s'%s'", i ? ", " : "", d);
    }
    if (rc == VL_OK) rc = vl_buf_putc(&b, ')');
    if (rc) rc = vl_error_set(err, VL_ENOMEM, "out of memory");
    else rc = vl_delta_expr_parse(vl_buf_cstr(&b), st, a, e, err);
    vl_buf_free(&b);
    return rc;
}

int etl_remove_dates(vl_delta_txn *x, const char *col, const int64_t *dates, size_t n, size_t *removed,
                     vl_error *err) {
    const vl_delta_snapshot *s = vl_delta_txn_snapshot(x);
    *removed = 0;
    if (!s) return VL_OK;
    for (size_t i = 0; i < s->n_files; i++) {
        int64_t d;
        bool hit = false;
        if (etl_file_date(s, &s->files[i], col, &d)) hit = bsearch(&d, dates, n, sizeof(int64_t), cmp_i64) != NULL;
        if (!hit) continue;
        VL_RETURN_IF_ERR(vl_delta_txn_remove(x, &s->files[i], true, err));
        (*removed)++;
    }
    return VL_OK;
}

/* ------------------------------------------------------------------ ids */

static int idset_grow(etl_idset *s) {
    size_t cap = s->cap ? s->cap * 2 : 1 << 16;
    uint64_t *a = vl_calloc(cap, sizeof(uint64_t)), *b = vl_calloc(cap, sizeof(uint64_t));
    if (!a || !b) {
        vl_free(a);
        vl_free(b);
        return VL_ENOMEM;
    }
    for (size_t i = 0; i < s->cap; i++) {
        if (!s->a[i]) continue;
        size_t at = s->a[i] & (cap - 1);
        while (a[at]) at = (at + 1) & (cap - 1);
        a[at] = s->a[i];
        b[at] = s->b[i];
    }
    vl_free(s->a);
    vl_free(s->b);
    s->a = a;
    s->b = b;
    s->cap = cap;
    return VL_OK;
}

static void id_hashes(vl_sv id, uint64_t *ha, uint64_t *hb) {
    *ha = vl_hash64(id.p, id.n, 0x73696c766572ull) | 1;
    *hb = vl_hash64(id.p, id.n, 0x6576656e74ull);
}

int etl_idset_add(etl_idset *s, vl_sv id, bool *fresh) {
    if ((s->n + 1) * 2 > s->cap) VL_RETURN_IF_ERR(idset_grow(s));
    uint64_t ha, hb;
    id_hashes(id, &ha, &hb);
    size_t at = ha & (s->cap - 1);
    for (; s->a[at]; at = (at + 1) & (s->cap - 1))
        if (s->a[at] == ha && s->b[at] == hb) {
            *fresh = false;
            return VL_OK;
        }
    s->a[at] = ha;
    s->b[at] = hb;
    s->n++;
    *fresh = true;
    return VL_OK;
}

bool etl_idset_has(const etl_idset *s, vl_sv id) {
    if (!s->cap) return false;
    uint64_t ha, hb;
    id_hashes(id, &ha, &hb);
    for (size_t at = ha & (s->cap - 1); s->a[at]; at = (at + 1) & (s->cap - 1))
        if (s->a[at] == ha && s->b[at] == hb) return true;
    return false;
}

void etl_idset_clear(etl_idset *s) {
    if (s->a) memset(s->a, 0, s->cap * sizeof(uint64_t));
    s->n = 0;
}

int etl_idsink_cb(void *ctx, int worker, const vl_x_batch *b, vl_error *err) {
    (void)worker;
    etl_idsink *k = ctx;
    const vl_x_vec *v = &b->cols[0];
    int rc = VL_OK;
    pthread_mutex_lock(k->mu);
    for (size_t i = 0, n = vl_x_batch_rows(b); i < n && rc == VL_OK; i++) {
        size_t r = vl_x_batch_row(b, i);
        bool fresh;
        if (!v->valid || v->valid[r]) rc = etl_idset_add(k->set, v->v.str[r], &fresh);
    }
    pthread_mutex_unlock(k->mu);
    return rc ? vl_error_set(err, rc, "out of memory") : VL_OK;
}

void etl_idset_free(etl_idset *s) {
    vl_free(s->a);
    vl_free(s->b);
    memset(s, 0, sizeof(*s));
}

int etl_commit(vl_delta_txn *x, etl_input *const *ins, size_t n_ins, bool full, const char *params_json,
               vl_etl_job *job, vl_error *err) {
    for (size_t i = 0; i < n_ins; i++) {
        char app[128];
        snprintf(app, sizeof(app), VL_ETL_APP_PREFIX "%s", vl_delta_table_path(ins[i]->t));
        size_t l = strlen(app);
        if (l && app[l - 1] == '/') app[l - 1] = 0;
        VL_RETURN_IF_ERR(vl_delta_txn_set_app_version(x, app, ins[i]->now->version, err));
    }
    VL_RETURN_IF_ERR(vl_delta_txn_set_operation(x, full ? "CREATE OR REPLACE TABLE AS SELECT" : "WRITE", params_json, err));
    VL_RETURN_IF_ERR(vl_delta_txn_commit(x, &etl_commit_opts, &job->version, err));
    job->ran = true;
    job->input_version = n_ins ? ins[0]->now->version : -1;
    return VL_OK;
}

int vl_etl_run(vl_store *s, const vl_etl_opts *o, vl_etl_stats *st, vl_error *err) {
    vl_etl_stats local;
    if (!st) st = &local;
    memset(st, 0, sizeof(*st));
    static int (*const jobs[])(vl_store *, const vl_etl_opts *, vl_etl_job *, vl_error *) = {
        etl_silver_events,
        etl_silver_views,
        etl_gold_qoe,
        etl_gold_content,
        etl_gold_ads,
        etl_gold_kpi,
        etl_gold_users,
        etl_gold_segments,
        etl_gold_churn,
    };
    for (size_t j = 0; j < sizeof(jobs) / sizeof(jobs[0]); j++) {
        if (o->stop && atomic_load(o->stop)) break;
        vl_etl_job *job = &st->jobs[st->n_jobs++];
        memset(job, 0, sizeof(*job));
        job->version = -1;
        if (o->progress) {
            static const char *const labels[] = {"silver/events", "silver/views", "gold/qoe_daily",
                                                 "gold/content_daily", "gold/ad_daily", "gold/kpi_daily",
                                                 "gold/user_daily", "gold/user_segments", "gold/churn_features"};
            o->progress->label = j < sizeof(labels) / sizeof(labels[0]) ? labels[j] : "etl";
            o->progress->total = sizeof(jobs) / sizeof(jobs[0]);
            o->progress->done = j;
            if (o->progress->enabled) vl_progress__draw(o->progress);
        }
        int64_t t0 = vl_mono_us();
        int rc = jobs[j](s, o, job, err);
        job->seconds = (double)(vl_mono_us() - t0) / 1e6;
        if (rc) return rc;
        if (o->log) {
            char line[400];
            if (job->ran)
                snprintf(line, sizeof(line), "%s: version %lld, %zu partitions, %lld rows in, %lld written, %.2f s%s%s",
                         job->table, (long long)job->version, job->partitions, (long long)job->rows_read,
                         (long long)job->rows_written, job->seconds, job->note[0] ? "; " : "", job->note);
            else
                snprintf(line, sizeof(line), "%s: up to date", job->table);
            o->log(o->log_ctx, line);
        }
    }
    return VL_OK;
}
