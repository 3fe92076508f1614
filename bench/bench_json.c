/* vidlake - Apache-2.0 */
/*
 * Benchmark: the general JSON reader and writer (core_json.c) on a synthetic
 * Delta log: N add actions, one JSON line each, shaped like Spark's (path
 * with partition directories, partitionValues, size, modificationTime,
 * dataChange, and stats as a JSON string with escapes), plus a commitInfo
 * line every 10 adds. Each figure is the median of REPS runs, one thread.
 *
 *   parse        each line into a DOM, arena reset per line (log replay)
 *   replay       what a snapshot load does per line: parse, read the add
 *                action's fields through the typed getters, parse the
 *                stats string, keep nothing (arena reset per line)
 *   write        the same add actions written with vl_json_w
 *   json-c       each line with json_tokener (DOM only), when built in
 *
 * Usage: bench_json [ADD_ACTIONS] (default 1000000)
 */
#include "core/core.h"

#include "bench.h"

#include <stdlib.h>
#include <string.h>



typedef size_t (*run_fn)(const corpus *c, size_t n_adds);

static double median_secs(run_fn fn, const corpus *c, size_t n_adds, size_t *check) {
    double t[REPS];
    for (int r = 0; r < REPS; r++) {
        int64_t t0 = vl_mono_us();
        *check = fn(c, n_adds);
        t[r] = (double)(vl_mono_us() - t0) / 1e6;
    }
    return median_of(t);
}

/* One add action, as Spark writes them. */
static int write_add(vl_json_w *w, vl_buf *stats, vl_rng *r, uint64_t i) {
    char path[160];
    int day = (int)(i % 365), part = (int)(i / 365);
    snprintf(path, sizeof(path),
             "date=2024-%02d-%02d/country=%s/part-%05d-1a2b3c4d-5e6f-7081-92a3-b4c5d6e7f809.c000.zstd.parquet",
             1 + day / 31 % 12, 1 + day % 28, (i & 1) ? "US" : "DE", part);
    vl_buf_clear(stats);
    vl_json_w sw;
    vl_json_w_init(&sw, stats, 0);
    vl_json_w_begin_obj(&sw);
    vl_json_w_key(&sw, "numRecords");
    vl_json_w_int(&sw, (int64_t)vl_rng_below(r, 1000000));
    vl_json_w_key(&sw, "minValues");
    vl_json_w_begin_obj(&sw);
    vl_json_w_key(&sw, "event_time");
    vl_json_w_cstr(&sw, "2024-05-01T00:00:00.000Z");
    vl_json_w_key(&sw, "bitrate_kbps");
    vl_json_w_int(&sw, (int64_t)vl_rng_below(r, 500));
    vl_json_w_key(&sw, "rebuffer_ratio");
    vl_json_w_double(&sw, vl_rng_unif(r) / 10);
    vl_json_w_end_obj(&sw);
    vl_json_w_key(&sw, "maxValues");
    vl_json_w_begin_obj(&sw);
    vl_json_w_key(&sw, "event_time");
    vl_json_w_cstr(&sw, "2024-05-01T23:59:59.999Z");
    vl_json_w_key(&sw, "bitrate_kbps");
    vl_json_w_int(&sw, 500 + (int64_t)vl_rng_below(r, 20000));
    vl_json_w_key(&sw, "rebuffer_ratio");
    vl_json_w_double(&sw, 0.1 + vl_rng_unif(r));
    vl_json_w_end_obj(&sw);
    vl_json_w_key(&sw, "nullCount");
    vl_json_w_begin_obj(&sw);
    vl_json_w_key(&sw, "event_time");
    vl_json_w_int(&sw, 0);
    vl_json_w_key(&sw, "bitrate_kbps");
    vl_json_w_int(&sw, (int64_t)vl_rng_below(r, 100));
    vl_json_w_key(&sw, "rebuffer_ratio");
    vl_json_w_int(&sw, 0);
    vl_json_w_end_obj(&sw);
    vl_json_w_end_obj(&sw);
    VL_RETURN_IF_ERR(vl_json_w_finish(&sw, NULL));

    vl_json_w_begin_obj(w);
    vl_json_w_key(w, "add");
    vl_json_w_begin_obj(w);
    vl_json_w_key(w, "path");
    vl_json_w_cstr(w, path);
    vl_json_w_key(w, "partitionValues");
    vl_json_w_begin_obj(w);
    vl_json_w_key(w, "date");
    vl_json_w_str(w, path + 5, 10);
    vl_json_w_key(w, "country");
    vl_json_w_cstr(w, (i & 1) ? "US" : "DE");
    vl_json_w_end_obj(w);
    vl_json_w_key(w, "size");
    vl_json_w_int(w, 1000000 + (int64_t)vl_rng_below(r, 100000000));
    vl_json_w_key(w, "modificationTime");
    vl_json_w_int(w, 1700000000000 + (int64_t)i * 1000);
    vl_json_w_key(w, "dataChange");
    vl_json_w_bool(w, true);
    vl_json_w_key(w, "stats");
    vl_json_w_str(w, stats->p, stats->n);
    vl_json_w_end_obj(w);
    vl_json_w_end_obj(w);
    return vl_json_w_finish(w, NULL);
}

static size_t run_parse(const corpus *c, size_t n_adds) {
    (void)n_adds;
    vl_arena a;
    vl_arena_init(&a, 1 << 16);
    size_t ok = 0;
    for (size_t i = 0; i < c->n; i++) {
        const vl_json *root;
        if (vl_json_parse(c->lines[i].p, c->lines[i].n, &a, &root, NULL) == VL_OK) ok++;
        vl_arena_reset(&a);
    }
    vl_arena_destroy(&a);
    return ok;
}

static size_t run_replay(const corpus *c, size_t n_adds) {
    (void)n_adds;
    vl_arena a;
    vl_arena_init(&a, 1 << 16);
    int64_t total_size = 0, total_rows = 0;
    size_t files = 0;
    for (size_t i = 0; i < c->n; i++) {
        const vl_json *root, *add, *stats_dom;
        vl_arena_reset(&a);
        if (vl_json_parse(c->lines[i].p, c->lines[i].n, &a, &root, NULL) != VL_OK) return 0;
        if (vl_json_get_obj(root, "add", &add, NULL) != VL_OK) continue;
        vl_sv path, stats;
        int64_t size, mtime, rows;
        bool dc;
        if (vl_json_get_str(add, "path", &path, NULL) != VL_OK ||
            vl_json_get_i64(add, "size", &size, NULL) != VL_OK ||
            vl_json_get_i64(add, "modificationTime", &mtime, NULL) != VL_OK ||
            vl_json_get_bool(add, "dataChange", &dc, NULL) != VL_OK ||
            vl_json_get_str(add, "stats", &stats, NULL) != VL_OK ||
            vl_json_parse(stats.p, stats.n, &a, &stats_dom, NULL) != VL_OK ||
            vl_json_get_i64(stats_dom, "numRecords", &rows, NULL) != VL_OK)
            return 0;
        total_size += size;
        total_rows += rows;
        files += path.n > 0;
    }
    vl_arena_destroy(&a);
    return total_size > 0 && total_rows >= 0 ? files : 0;
}

static size_t run_write(const corpus *c, size_t n_adds) {
    (void)c;
    vl_buf out, stats;
    vl_buf_init(&out);
    vl_buf_init(&stats);
    vl_rng r;
    vl_rng_seed(&r, 1);
    size_t bytes = 0;
    for (size_t i = 0; i < n_adds; i++) {
        vl_json_w w;
        vl_json_w_init(&w, &out, 0);
        if (write_add(&w, &stats, &r, i) != VL_OK) return 0;
        if (out.n > (1u << 20)) {
            bytes += out.n;
            vl_buf_clear(&out);
        }
    }
    bytes += out.n;
    vl_buf_free(&out);
    vl_buf_free(&stats);
    return bytes;
}

#ifdef HAVE_JSONC
static size_t run_jsonc(const corpus *c, size_t n_adds) {
    (void)n_adds;
    return bench_jsonc_parse(c);
}
#endif

int main(int argc, char **argv) {
    size_t n_adds = argc > 1 ? (size_t)atoll(argv[1]) : 1000000;
    vl_buf log, stats;
    vl_buf_init(&log);
    vl_buf_init(&stats);
    vl_rng r;
    vl_rng_seed(&r, 1);
    for (size_t i = 0; i < n_adds; i++) {
        vl_json_w w;
        vl_json_w_init(&w, &log, 0);
        if (write_add(&w, &stats, &r, i) != VL_OK || vl_buf_putc(&log, '\n') != VL_OK) return 1;
        if (i % 10 == 9 &&
            vl_buf_printf(&log,
                          "{\"commitInfo\":{\"timestamp\":%lld,\"operation\":\"WRITE\","
                          "\"operationParameters\":{\"mode\":\"Append\",\"partitionBy\":"
                          "\"[\\\"date\\\",\\\"country\\\"]\"},\"isBlindAppend\":true,"
                          "\"engineInfo\":\"vidlake/" VL_VERSION "\"}}\n",
                          (long long)(1700000000000 + (int64_t)i)) != VL_OK)
            return 1;
    }
    corpus c = {vl_calloc(n_adds + n_adds / 10 + 1, sizeof(vl_sv)), 0, log.n};
    for (char *p = log.p, *e = log.p + log.n; p < e;) {
        char *nl = memchr(p, '\n', (size_t)(e - p));
        if (!nl) break;
        c.lines[c.n++] = (vl_sv){p, (size_t)(nl - p)};
        p = nl + 1;
    }
    printf("synthetic Delta log: %zu add actions, %zu lines, %.1f MB (%.0f bytes/line)\n", n_adds,
           c.n, (double)c.bytes / 1e6, (double)c.bytes / (double)c.n);
    size_t check;
    double secs = median_secs(run_parse, &c, n_adds, &check);
    double ours = (double)c.bytes / secs / 1e6;
    printf("parse     vidlake  %7.0f MB/s  %6.2f M lines/s  (%zu ok; DOM per line, arena reset)\n",
           ours, (double)c.n / secs / 1e6, check);
    secs = median_secs(run_replay, &c, n_adds, &check);
    printf("replay    vidlake  %7.0f MB/s  %6.3f s for %zu adds (+ fields read, stats parsed)\n",
           (double)c.bytes / secs / 1e6, secs, n_adds);
    secs = median_secs(run_write, &c, n_adds, &check);
    printf("write     vidlake  %7.0f MB/s  %6.2f M adds/s  (stats object + add action)\n",
           (double)check / secs / 1e6, (double)n_adds / secs / 1e6);
#ifdef HAVE_JSONC
    secs = median_secs(run_jsonc, &c, n_adds, &check);
    double theirs = (double)c.bytes / secs / 1e6;
    printf("parse     json-c   %7.0f MB/s  %6.2f M lines/s  (DOM per line)  vidlake is %.1fx faster\n",
           theirs, (double)c.n / secs / 1e6, ours / theirs);
#endif
    vl_free(c.lines);
    vl_buf_free(&log);
    vl_buf_free(&stats);
    return 0;
}
