/* vidlake - Apache-2.0 */
/*
 * Benchmark: the Delta layer on the local filesystem store.
 *   bench_delta commits DIR N        N commits on a fresh table: commit-only
 *                                    (one add action each, no data) and
 *                                    append (a 1,000-row data file + commit);
 *                                    median and p99 latency
 *   bench_delta snapshot DIR C F     a log of C commits holding F add actions
 *                                    in all (written directly); snapshot load
 *                                    without a checkpoint, checkpoint write,
 *                                    load with it (median of 3 loads)
 *   bench_delta table DIR ROWS       an event-shaped table of ROWS simulated
 *                                    events in files of 1,000,000 rows; prints
 *                                    the data files' paths, one per line, to
 *                                    DIR/files.txt
 *   bench_delta scan DIR             a full scan of that table to NDJSON
 *                                    (discarded), one thread
 * Each prints lines for scripts/bench.sh.
 */
#include "delta/delta.h"
#include "event/event.h"
#include "ingest/ingest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const char *what, const vl_error *err) {
    fprintf(stderr, "bench_delta: %s: %s\n", what, err ? err->msg : "");
    exit(2);
}

static double now_s(void) { return (double)vl_mono_us() / 1e6; }

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static vl_delta_table *open_table(const char *dir, vl_store **s) {
    vl_error err;
    vl_delta_table *t;
    if (vl_store_open(dir, s, &err) || vl_delta_table_open(*s, "", &t, &err)) die(dir, &err);
    return t;
}

static void create(vl_delta_table *t, const char *ddl, const char *interval) {
    vl_error err;
    vl_arena a;
    vl_arena_init(&a, 4096);
    vl_dt_type st;
    vl_delta_txn *x;
    int64_t v;
    vl_delta_kv kv = {VL_SV("delta.checkpointInterval"), vl_sv_cstr(interval), false};
    if (vl_delta_schema_from_ddl(ddl, &a, &st, &err) || vl_delta_txn_begin(t, &x, &err) ||
        vl_delta_txn_set_metadata(x, &st, NULL, 0, &kv, 1, &err) || vl_delta_txn_commit(x, NULL, &v, &err))
        die("create", &err);
    vl_delta_txn_free(x);
    vl_arena_destroy(&a);
}

static void report(const char *what, double *t, int n) {
    qsort(t, (size_t)n, sizeof(double), cmp_d);
    printf("%-24s %d commits  median %.3f ms  p99 %.3f ms\n", what, n, t[n / 2] * 1e3,
           t[(int)(n * 0.99) < n ? (int)(n * 0.99) : n - 1] * 1e3);
}

static void bench_commits(const char *dir, int n) {
    vl_store *s;
    vl_delta_table *t = open_table(dir, &s);
    create(t, "id long, name string", "10");
    double *lat = calloc((size_t)n, sizeof(double)), *put = calloc((size_t)n, sizeof(double));
    vl_error err;
    for (int i = 0; i < n; i++) {
        vl_delta_txn *x;
        char path[64];
        snprintf(path, sizeof(path), "fake-%06d.parquet", i);
        vl_delta_add add = {.path = path, .size = 1000, .modification_time = 1, .data_change = true,
                            .stats = "{\"numRecords\":1}"};
        double t0 = now_s();
        int64_t v;
        if (vl_delta_txn_begin(t, &x, &err) || vl_delta_txn_add(x, &add, &err)) die("begin", &err);
        double t1 = now_s();
        vl_delta_commit_opts co = {.no_checkpoint = true};
        if (vl_delta_txn_commit(x, &co, &v, &err)) die("commit", &err);
        put[i] = now_s() - t1;
        lat[i] = now_s() - t0;
        vl_delta_txn_free(x);
        if (v % 10 == 0) { /* the interval checkpoint, untimed here */
            vl_delta_snapshot *s2;
            if (vl_delta_snapshot_load(t, (vl_delta_at){v, -1}, &s2, &err) || vl_delta_checkpoint_write(s2, &err))
                die("checkpoint", &err);
            vl_delta_snapshot_free(s2);
        }
    }
    report("commit (put-if-absent)", put, n);
    report("begin + commit", lat, n);
    /* appends of real data: 1,000 rows of (id, name) */
    int64_t *ids = calloc(1000, sizeof(int64_t));
    vl_sv *names = calloc(1000, sizeof(vl_sv));
    int16_t *def = calloc(1000, sizeof(int16_t));
    for (int i = 0; i < 1000; i++) {
        names[i] = VL_SV("some name of a row");
        def[i] = 1;
    }
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < 1000; k++) ids[k] = (int64_t)i * 1000 + k;
        vl_pq_column cols[2] = {{.n = 1000, .def = def, .n_values = 1000, .v.i64 = ids},
                                {.n = 1000, .def = def, .n_values = 1000, .v.bin = names}};
        vl_delta_txn *x;
        int64_t v;
        double t0 = now_s();
        if (vl_delta_txn_begin(t, &x, &err) || vl_delta_txn_write(x, NULL, cols, 1000, &err) ||
            vl_delta_txn_commit(x, NULL, &v, &err))
            die("append", &err);
        lat[i] = now_s() - t0;
        vl_delta_txn_free(x);
    }
    report("append 1000 rows", lat, n);
    free(put);
    free(ids);
    free(names);
    free(def);
    free(lat);
    vl_delta_table_close(t);
    vl_store_close(s);
}

/* The median of 3 loads of the latest snapshot; *snap keeps the last. */
static double median_load(vl_delta_table *t, vl_delta_snapshot **snap) {
    double loads[3];
    vl_error err;
    *snap = NULL;
    for (int r = 0; r < 3; r++) {
        vl_delta_snapshot_free(*snap);
        double t0 = now_s();
        if (vl_delta_snapshot_load(t, VL_DELTA_LATEST, snap, &err)) die("load", &err);
        loads[r] = now_s() - t0;
    }
    qsort(loads, 3, sizeof(double), cmp_d);
    return loads[1];
}

static void bench_snapshot(const char *dir, int64_t commits, int64_t files) {
    vl_store *s;
    vl_delta_table *t = open_table(dir, &s);
    create(t, "id long, name string, day date", "100000000");
    vl_error err;
    vl_buf b, key;
    vl_buf_init(&b);
    vl_buf_init(&key);
    int64_t per = files / (commits - 1 > 0 ? commits - 1 : 1), k = 0;
    double t0 = now_s();
    for (int64_t v = 1; v < commits; v++) {
        vl_buf_clear(&b);
        if (vl_buf_printf(&b, "{\"commitInfo\":{\"timestamp\":%lld,\"operation\":\"WRITE\"}}\n",
                          (long long)(1700000000000LL + v)))
            die("oom", NULL);
        int64_t n = v == commits - 1 ? files - k : per;
        for (int64_t i = 0; i < n; i++, k++)
            if (vl_buf_printf(&b,
                              "{\"add\":{\"path\":\"part-00000-%016llx-c000.zstd.parquet\",\"partitionValues\":{},"
                              "\"size\":%lld,\"modificationTime\":1700000000000,\"dataChange\":true,\"stats\":"
                              "\"{\\\"numRecords\\\":1000,\\\"minValues\\\":{\\\"id\\\":%lld},\\\"maxValues\\\":"
                              "{\\\"id\\\":%lld},\\\"nullCount\\\":{\\\"id\\\":0}}\"}}\n",
                              (unsigned long long)vl_mix64((uint64_t)k), (long long)(100000 + k), (long long)k * 1000,
                              (long long)k * 1000 + 999))
                die("oom", NULL);
        vl_buf_clear(&key);
        if (vl_buf_printf(&key, "_delta_log/%020lld.json", (long long)v)) die("oom", NULL);
        if (vl_store_put(s, vl_buf_cstr(&key), b.p, b.n, &err)) die("put", &err);
    }
    printf("log written: %lld commits, %lld add actions, %.2f s\n", (long long)commits, (long long)files,
           now_s() - t0);
    vl_delta_snapshot *snap = NULL;
    double secs = median_load(t, &snap);
    printf("snapshot load, JSON log only    %.3f s  (%zu files, version %lld)\n", secs, snap->n_files,
           (long long)snap->version);
    t0 = now_s();
    if (vl_delta_checkpoint_write(snap, &err)) die("checkpoint", &err);
    printf("checkpoint write                %.3f s\n", now_s() - t0);
    vl_delta_snapshot_free(snap);
    secs = median_load(t, &snap);
    printf("snapshot load, from checkpoint  %.3f s  (%zu files, checkpoint %lld)\n", secs, snap->n_files,
           (long long)snap->checkpoint_version);
    vl_delta_snapshot_free(snap);
    vl_buf_free(&b);
    vl_buf_free(&key);
    vl_delta_table_close(t);
    vl_store_close(s);
}

/* The event table's Delta schema, from the event Parquet schema. */
static void event_ddl(vl_buf *out) {
    vl_pq_schema_elem el[VL_F_COUNT + 1];
    vl_event_parquet_schema(el);
    for (int f = 1; f <= VL_F_COUNT; f++) {
        const vl_pq_schema_elem *e = &el[f];
        const char *t = e->type == VL_PQ_T_BYTE_ARRAY               ? "string"
                        : e->logical.kind == VL_PQ_LT_TIMESTAMP   ? "timestamp"
                        : e->logical.kind == VL_PQ_LT_DATE        ? "date"
                        : e->type == VL_PQ_T_INT64                ? "long"
                        : e->type == VL_PQ_T_INT32                ? "int"
                        : e->type == VL_PQ_T_DOUBLE               ? "double"
                                                                  : "boolean";
        if (vl_buf_printf(out, "%s`%.*s` %s%s", f > 1 ? ", " : "", (int)e->name.n, e->name.p, t,
                          e->repetition_type == VL_PQ_REP_REQUIRED ? " NOT NULL" : ""))
            die("oom", NULL);
    }
}

static void bench_table(const char *dir, int64_t rows) {
    vl_store *s;
    vl_delta_table *t = open_table(dir, &s);
    vl_buf ddl;
    vl_buf_init(&ddl);
    event_ddl(&ddl);
    create(t, vl_buf_cstr(&ddl), "10");
    vl_error err;
    vl_sim_config cfg;
    vl_sim_config_default(&cfg);
    cfg.events = (uint64_t)rows;
    cfg.seed = 42;
    vl_sim *sim;
    if (vl_sim_create(&cfg, &sim, &err)) die("sim", &err);
    vl_event_batch *batch;
    if (vl_event_batch_create(1000000, &batch, &err)) die("batch", &err);
    vl_decoder dec;
    vl_decoder_init(&dec);
    vl_arena scratch;
    vl_arena_init(&scratch, 1 << 16);
    vl_buf line;
    vl_buf_init(&line);
    double spent = 0;
    int64_t done = 0;
    for (;;) {
        int64_t when;
        vl_sim_kind kind;
        vl_buf_clear(&line);
        vl_arena_reset(&scratch);
        int r = vl_sim_next(sim, &line, &when, &kind);
        if (r < 0) die("sim: out of memory", NULL);
        if (r > 0) {
            vl_event ev;
            vl_reject rj;
            if (vl_decoder_decode(&dec, (const char *)line.p, line.n - 1, &ev, &scratch, &rj) == VL_OK) {
                if (vl_event_batch_add(batch, &ev, &err)) die("batch", &err);
                done++;
            }
        }
        if ((r == 0 && vl_event_batch_rows(batch)) || vl_event_batch_full(batch)) {
            vl_pq_column cols[VL_F_COUNT];
            vl_event_batch_columns(batch, cols);
            vl_delta_txn *x;
            int64_t v;
            double t0 = now_s();
            if (vl_delta_txn_begin(t, &x, &err) || vl_delta_txn_write(x, NULL, cols, vl_event_batch_rows(batch), &err) ||
                vl_delta_txn_commit(x, NULL, &v, &err))
                die("append", &err);
            spent += now_s() - t0;
            vl_delta_txn_free(x);
            vl_event_batch_clear(batch);
        }
        if (r == 0) break;
    }
    printf("table written: %lld rows, %.2f s in the Delta layer (Parquet encode + put + commit)\n", (long long)done,
           spent);
    vl_delta_snapshot *snap;
    if (vl_delta_snapshot_load(t, VL_DELTA_LATEST, &snap, &err)) die("load", &err);
    char p[4096];
    snprintf(p, sizeof(p), "%s/files.txt", dir);
    FILE *f = fopen(p, "w");
    for (size_t i = 0; f && i < snap->n_files; i++)
        fprintf(f, "%s/%.*s\n", dir, (int)snap->files[i].path.n, snap->files[i].path.p);
    if (f) fclose(f);
    vl_delta_snapshot_free(snap);
    vl_buf_free(&line);
    vl_buf_free(&ddl);
    vl_arena_destroy(&scratch);
    vl_decoder_free(&dec);
    vl_event_batch_destroy(batch);
    vl_sim_destroy(sim);
    vl_delta_table_close(t);
    vl_store_close(s);
}

static int discard(void *ctx, const char *p, size_t n, vl_error *err) {
    (void)p, (void)err;
    *(uint64_t *)ctx += n;
    return VL_OK;
}

static void bench_scan(const char *dir) {
    vl_store *s;
    vl_delta_table *t = open_table(dir, &s);
    vl_error err;
    double t0 = now_s();
    vl_delta_snapshot *snap;
    if (vl_delta_snapshot_load(t, VL_DELTA_LATEST, &snap, &err)) die("load", &err);
    vl_delta_scan_opts o = {.format = VL_DELTA_ROWS_NDJSON, .limit = -1};
    vl_delta_scan_stats st;
    uint64_t bytes = 0;
    if (vl_delta_scan(snap, &o, discard, &bytes, &st, &err)) die("scan", &err);
    double secs = now_s() - t0;
    printf("scan   vidlake  %.3f s  %.2f M rows/s  %lld rows  %zu files  %.1f MB of NDJSON\n", secs,
           (double)st.rows_out / secs / 1e6, (long long)st.rows_out, st.files_read, (double)bytes / 1e6);
    vl_delta_snapshot_free(snap);
    vl_delta_table_close(t);
    vl_store_close(s);
}

int main(int argc, char **argv) {
    if (argc >= 4 && strcmp(argv[1], "commits") == 0) bench_commits(argv[2], atoi(argv[3]));
    else if (argc >= 5 && strcmp(argv[1], "snapshot") == 0) bench_snapshot(argv[2], atoll(argv[3]), atoll(argv[4]));
    else if (argc >= 4 && strcmp(argv[1], "table") == 0) bench_table(argv[2], atoll(argv[3]));
    else if (argc >= 3 && strcmp(argv[1], "scan") == 0) bench_scan(argv[2]);
    else {
        fprintf(stderr, "usage: bench_delta commits DIR N | snapshot DIR COMMITS FILES | table DIR ROWS | scan DIR\n");
        return 2;
    }
    return 0;
}
