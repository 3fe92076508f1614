/* vidlake - Apache-2.0 */
/*
 * Benchmark: the Parquet writer and reader on a table shaped like our
 * events. Usage: bench_parquet ROWS OUT.parquet [READ.parquet ...]
 *            or: bench_parquet --scan FILE.parquet ...
 *
 * The rows come from the simulator (decoded into columns before timing
 * starts): unique event ids, low-cardinality strings (event type, device,
 * country, CDN, tier), ids with thousands of distinct values, increasing
 * timestamps, ints and doubles with many nulls. It times writing them to
 * OUT with zstd (the default options) and then a full single-threaded scan
 * (every column of every row group decoded, one column at a time into a
 * reused arena) of OUT and of each READ file,
 * printing one line per measurement for scripts/bench.sh.
 */
#include "event/event.h"
#include "parquet/parquet.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The table: which event field feeds which column. */
typedef struct {
    const char *name;
    vl_field_id field;
    int32_t physical;
    int32_t logical;  /* VL_PQ_LT_STRING / TIMESTAMP / NONE */
    bool required;
} colspec;

static const colspec spec[] = {
    {"event_id", VL_F_EVENT_ID, VL_PQ_T_BYTE_ARRAY, VL_PQ_LT_STRING, true},
    {"event_type", VL_F_EVENT_TYPE, VL_PQ_T_BYTE_ARRAY, VL_PQ_LT_STRING, true},
    {"event_time", VL_F_EVENT_TIME, VL_PQ_T_INT64, VL_PQ_LT_TIMESTAMP, true},
    {"user_id", VL_F_USER_ID, VL_PQ_T_BYTE_ARRAY, VL_PQ_LT_STRING, true},
    {"device_id", VL_F_DEVICE_ID, VL_PQ_T_BYTE_ARRAY, VL_PQ_LT_STRING, true},
    {"session_id", VL_F_SESSION_ID, VL_PQ_T_BYTE_ARRAY, VL_PQ_LT_STRING, true},
    {"view_id", VL_F_VIEW_ID, VL_PQ_T_BYTE_ARRAY, VL_PQ_LT_STRING, false},
    {"content_id", VL_F_CONTENT_ID, VL_PQ_T_BYTE_ARRAY, VL_PQ_LT_STRING, false},
    {"device_type", VL_F_DEVICE_TYPE, VL_PQ_T_BYTE_ARRAY, VL_PQ_LT_STRING, false},
    {"country", VL_F_COUNTRY, VL_PQ_T_BYTE_ARRAY, VL_PQ_LT_STRING, false},
    {"cdn", VL_F_CDN, VL_PQ_T_BYTE_ARRAY, VL_PQ_LT_STRING, false},
    {"subscription_tier", VL_F_SUBSCRIPTION_TIER, VL_PQ_T_BYTE_ARRAY, VL_PQ_LT_STRING, false},
    {"position_ms", VL_F_POSITION_MS, VL_PQ_T_INT64, VL_PQ_LT_NONE, false},
    {"bitrate_kbps", VL_F_BITRATE_KBPS, VL_PQ_T_INT32, VL_PQ_LT_NONE, false},
    {"buffer_ms", VL_F_BUFFER_MS, VL_PQ_T_INT32, VL_PQ_LT_NONE, false},
    {"ad_revenue_usd", VL_F_AD_REVENUE_USD, VL_PQ_T_DOUBLE, VL_PQ_LT_NONE, false},
};
#define NCOLS (sizeof(spec) / sizeof(spec[0]))

typedef struct {
    int16_t *def;
    size_t n_values;
    void *values; /* int32_t, int64_t, double or vl_sv */
} column;

static void die(const char *what, const vl_error *err) {
    fprintf(stderr, "bench_parquet: %s: %s\n", what, err ? err->msg : strerror(errno));
    exit(1);
}

typedef struct {
    int fd;
    vl_buf buf;
} file_sink;

static int sink_write(void *ctx, const void *p, size_t n, vl_error *err) {
    file_sink *s = ctx;
    if (vl_buf_append(&s->buf, p, n) != VL_OK) return vl_error_set(err, VL_ENOMEM, "out of memory");
    if (s->buf.n >= (8u << 20)) {
        if (write(s->fd, s->buf.p, s->buf.n) != (ssize_t)s->buf.n)
            return vl_error_set(err, VL_EIO, "write: %s", strerror(errno));
        vl_buf_clear(&s->buf);
    }
    return VL_OK;
}

static double now_s(void) { return (double)vl_mono_us() / 1e6; }

/* Full scan: every column of every row group, single-threaded. */
static void scan(const char *path) {
    vl_error err;
    double t0 = now_s();
    vl_pq_reader *r;
    if (vl_pq_reader_open_file(path, &r, &err) != VL_OK) die(path, &err);
    const vl_pq_file_meta *m = vl_pq_reader_meta(r);
    const vl_pq_schema *s = vl_pq_reader_schema(r);
    vl_arena a;
    vl_arena_init(&a, 1 << 20);
    uint64_t check = 0, values = 0;
    for (uint32_t g = 0; g < m->n_row_groups; g++) {
        for (uint32_t l = 0; l < s->n_leaves; l++) {
            vl_pq_column c;
            if (vl_pq_read_column(r, g, l, &a, &c, &err) != VL_OK) die(path, &err);
            values += c.n_values;
            check += c.n + (c.n_values ? (uint64_t)c.v.b[0] : 0);
            vl_arena_reset(&a); /* column at a time: the memory is reused */
        }
    }
    double secs = now_s() - t0;
    printf("read   %s  %.3f s  %.1f M values/s  (%lld rows, check %llu)\n", path, secs,
           (double)values / secs / 1e6, (long long)m->num_rows, (unsigned long long)check);
    vl_arena_destroy(&a);
    vl_pq_reader_close(r);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: bench_parquet ROWS OUT.parquet [READ.parquet ...]\n"
                        "       bench_parquet --scan FILE.parquet ...\n");
        return 2;
    }
    if (strcmp(argv[1], "--scan") == 0) {
        for (int i = 2; i < argc; i++) scan(argv[i]);
        return 0;
    }
    size_t rows = (size_t)atoll(argv[1]);
    vl_error err;

    /* the data: simulated events decoded into columns (not timed) */
    column cols[NCOLS];
    for (size_t k = 0; k < NCOLS; k++) {
        cols[k].def = spec[k].required ? NULL : vl_malloc(rows * sizeof(int16_t));
        size_t w = spec[k].physical == VL_PQ_T_BYTE_ARRAY ? sizeof(vl_sv)
                   : spec[k].physical == VL_PQ_T_INT32    ? 4
                                                          : 8;
        cols[k].values = vl_malloc(rows * w + 1);
        cols[k].n_values = 0;
        if ((!spec[k].required && !cols[k].def) || !cols[k].values) die("out of memory", NULL);
    }
    vl_arena strings;
    vl_arena_init(&strings, 64u << 20);
    vl_sim_config cfg;
    vl_sim_config_default(&cfg);
    cfg.events = rows;
    cfg.seed = 42;
    vl_sim *sim;
    if (vl_sim_create(&cfg, &sim, &err) != VL_OK) die("simulator", &err);
    vl_decoder dec;
    vl_decoder_init(&dec);
    vl_arena scratch;
    vl_arena_init(&scratch, 1 << 16);
    vl_buf line;
    vl_buf_init(&line);
    size_t n = 0;
    int64_t when;
    vl_sim_kind kind;
    while (n < rows && vl_sim_next(sim, &line, &when, &kind) == 1) {
        vl_event ev;
        vl_reject rj;
        if (vl_decoder_decode(&dec, line.p, line.n - 1, &ev, &scratch, &rj) == VL_OK) {
            for (size_t k = 0; k < NCOLS; k++) {
                column *c = &cols[k];
                bool has = vl_event_has(&ev, spec[k].field);
                if (c->def) c->def[n] = has;
                if (!has) continue;
                const vl_value *v = &ev.v[spec[k].field];
                const vl_field *fd = &vl_event_fields[spec[k].field];
                if (spec[k].physical == VL_PQ_T_BYTE_ARRAY) {
                    vl_sv s = fd->type == VL_FT_ENUM ? vl_sv_cstr(fd->values[v->i]) : v->s;
                    const char *copy = fd->type == VL_FT_ENUM ? s.p : vl_arena_memdup(&strings, s.p, s.n);
                    ((vl_sv *)c->values)[c->n_values++] = (vl_sv){copy, s.n};
                } else if (spec[k].physical == VL_PQ_T_INT32) {
                    ((int32_t *)c->values)[c->n_values++] = (int32_t)v->i;
                } else if (spec[k].physical == VL_PQ_T_DOUBLE) {
                    ((double *)c->values)[c->n_values++] = v->d;
                } else {
                    ((int64_t *)c->values)[c->n_values++] = v->i;
                }
            }
            n++;
        }
        vl_buf_clear(&line);
        vl_arena_reset(&scratch);
    }
    vl_sim_destroy(sim);
    vl_decoder_free(&dec);
    vl_arena_destroy(&scratch);
    vl_buf_free(&line);

    /* the schema */
    vl_pq_schema_elem schema[NCOLS + 1];
    memset(schema, 0, sizeof(schema));
    schema[0].name = VL_SV("event");
    schema[0].num_children = (int32_t)NCOLS;
    schema[0].has_num_children = true;
    for (size_t k = 0; k < NCOLS; k++) {
        vl_pq_schema_elem *e = &schema[k + 1];
        e->name = vl_sv_cstr(spec[k].name);
        e->type = spec[k].physical;
        e->has_type = true;
        e->repetition_type = spec[k].required ? VL_PQ_REP_REQUIRED : VL_PQ_REP_OPTIONAL;
        e->has_repetition_type = true;
        e->logical.kind = spec[k].logical;
        if (spec[k].logical == VL_PQ_LT_TIMESTAMP) {
            e->logical.unit = VL_PQ_UNIT_MICROS;
            e->logical.is_adjusted_to_utc = true;
        }
    }

    /* write, in batches of 64Ki rows */
    int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) die(argv[2], NULL);
    file_sink fs = {fd, {0}};
    vl_buf_init(&fs.buf);
    vl_pq_writer_opts opts;
    vl_pq_writer_opts_default(&opts);
    double t0 = now_s();
    vl_pq_writer *w;
    if (vl_pq_writer_open((vl_pq_sink){&fs, sink_write}, schema, NCOLS + 1, &opts, &w, &err) != VL_OK)
        die("writer", &err);
    size_t vpos[NCOLS] = {0};
    const size_t batch = 65536;
    for (size_t row = 0; row < n; row += batch) {
        size_t k_rows = n - row < batch ? n - row : batch;
        vl_pq_column pc[NCOLS];
        for (size_t k = 0; k < NCOLS; k++) {
            column *c = &cols[k];
            size_t nv = k_rows;
            if (c->def) {
                nv = 0;
                for (size_t i = 0; i < k_rows; i++) nv += c->def[row + i] != 0;
            }
            size_t w8 = spec[k].physical == VL_PQ_T_BYTE_ARRAY ? sizeof(vl_sv)
                        : spec[k].physical == VL_PQ_T_INT32    ? 4
                                                               : 8;
            memset(&pc[k], 0, sizeof(pc[k]));
            pc[k].n = k_rows;
            pc[k].def = c->def ? c->def + row : NULL;
            pc[k].n_values = nv;
            pc[k].v.b = (uint8_t *)c->values + vpos[k] * w8;
            vpos[k] += nv;
        }
        if (vl_pq_writer_write(w, pc, k_rows, &err) != VL_OK) die("write", &err);
    }
    if (vl_pq_writer_close(w, &err) != VL_OK) die("close", &err);
    if (fs.buf.n && write(fd, fs.buf.p, fs.buf.n) != (ssize_t)fs.buf.n) die(argv[2], NULL);
    if (fsync(fd) != 0 || close(fd) != 0) die(argv[2], NULL);
    double secs = now_s() - t0;
    vl_pq_writer_destroy(w);
    vl_buf_free(&fs.buf);
    struct stat st;
    stat(argv[2], &st);
    printf("write  %s  %.3f s  %.2f M rows/s  %lld bytes  (%zu rows, zstd)\n", argv[2], secs,
           (double)n / secs / 1e6, (long long)st.st_size, n);

    for (size_t k = 0; k < NCOLS; k++) {
        vl_free(cols[k].def);
        vl_free(cols[k].values);
    }
    vl_arena_destroy(&strings);
    scan(argv[2]);
    for (int i = 3; i < argc; i++) scan(argv[i]);
    return 0;
}
