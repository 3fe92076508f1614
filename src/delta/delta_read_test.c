/* vidlake - Apache-2.0 */
/*
 * Unit tests for reading Delta tables (log replay, checkpoints, time travel,
 * scans, pruning and refusals): every table of the shared Delta test data
 * ($VIDLAKE_TESTDATA/delta, described in $VIDLAKE_TESTDATA/README.md, section
 * "Delta tables") must read exactly as that README says, at the latest
 * version and at every older version it lists, and every table we cannot
 * read must be refused with an error naming the feature or the problem.
 *
 *  - DAT cases: the expected rows are the Spark part files under
 *    expected/<latest|vN>/table_content.parquet/, read with our Parquet
 *    reader; both sides are re-serialised with the keys in the table
 *    schema's order, sorted and compared as multisets. The snapshot's
 *    version, protocol and properties are checked against
 *    table_version_metadata.json.
 *  - delta-rs and golden tables: the README's facts are written down here
 *    (rows, values, file counts, versions, checkpoints, txn versions).
 *
 * Nothing is copied into the repository; when the data is absent every case
 * says "skip". Rows are compared as sorted NDJSON lines in the row
 * conventions of scan output (numbers, "YYYY-MM-DD", ISO timestamps with µs
 * and Z, decimal strings with their scale, base64 binary, null).
 */
#include "delta/delta.h"
#include "vl_test.h"

#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------- harness */

static char g_dir[4096];

/* The delta/ directory of the test data, or NULL when it is absent. */
static const char *delta_dir(void) {
    if (g_dir[0]) return g_dir;
    const char *base = vl_test_data_dir("delta");
    if (!base) return NULL;
    snprintf(g_dir, sizeof(g_dir), "%s/delta", base);
    return g_dir;
}

#define NEED_DATA(t)                                                                      \
    do {                                                                                  \
        if (!delta_dir()) SKIP(t, "no Delta test data (set VIDLAKE_TESTDATA)");           \
    } while (0)

/* Appends or dies: the buffers here are tiny, and a test has no better way
 * to report an allocation failure than to stop. */
static void bput(vl_buf *b, const char *p, size_t n) {
    if (vl_buf_append(b, p, n) != VL_OK) abort();
}
static void bputs(vl_buf *b, const char *s) { bput(b, s, strlen(s)); }

static vl_delta_at at_v(int64_t v) {
    if (v < 0) return VL_DELTA_LATEST;
    return (vl_delta_at){v, -1};
}

/* A table opened from the test data and one snapshot of it. */
typedef struct tbl {
    vl_store *store;
    vl_delta_table *t;
    vl_delta_snapshot *s;
} tbl;

static void tbl_close(tbl *x) {
    vl_delta_snapshot_free(x->s);
    vl_delta_table_close(x->t);
    vl_store_close(x->store);
    memset(x, 0, sizeof(*x));
}

/* Opens delta/<rel> and loads the snapshot at `at`; on error *x is empty. */
static int tbl_open(tbl *x, const char *rel, vl_delta_at at, vl_error *err) {
    char path[4400];
    memset(x, 0, sizeof(*x));
    snprintf(path, sizeof(path), "%s/%s", delta_dir(), rel);
    int rc = vl_store_open(path, &x->store, err);
    if (rc == VL_OK) rc = vl_delta_table_open(x->store, "", &x->t, err);
    if (rc == VL_OK) rc = vl_delta_snapshot_load(x->t, at, &x->s, err);
    if (rc != VL_OK) {
        x->s = NULL;
        tbl_close(x);
    }
    return rc;
}

static int sink_buf(void *ctx, const char *p, size_t n, vl_error *err) {
    if (vl_buf_append(ctx, p, n) != VL_OK) return vl_error_set(err, VL_ENOMEM, "out of memory");
    return VL_OK;
}

/* Scans s (optionally projected and filtered) as NDJSON into out. */
static int scan_rows(const vl_delta_snapshot *s, const char *const *cols, size_t n_cols,
                     const vl_delta_expr *where, vl_buf *out, vl_delta_scan_stats *st,
                     vl_error *err) {
    vl_delta_scan_opts o;
    vl_delta_scan_stats dummy;
    memset(&o, 0, sizeof(o));
    memset(&dummy, 0, sizeof(dummy));
    o.columns = cols;
    o.n_columns = n_cols;
    o.where = where;
    o.format = VL_DELTA_ROWS_NDJSON;
    o.limit = -1;
    return vl_delta_scan(s, &o, sink_buf, out, st ? st : &dummy, err);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorts the lines of b in place (each ends with '\n' afterwards).
 * @return the number of lines. */
static size_t sort_lines(vl_buf *b) {
    if (b->n == 0) return 0;
    size_t n = b->n, cap = 1, k = 0;
    char *tmp = malloc(n + 1);
    if (!tmp) abort();
    memcpy(tmp, b->p, n);
    tmp[n] = 0;
    for (size_t i = 0; i < n; i++) cap += tmp[i] == '\n';
    char **v = malloc(cap * sizeof(*v));
    if (!v) abort();
    for (char *p = tmp, *e = tmp + n; p < e;) {
        char *nl = memchr(p, '\n', (size_t)(e - p));
        if (!nl) nl = e;
        *nl = 0;
        v[k++] = p;
        p = nl + 1;
    }
    qsort(v, k, sizeof(*v), cmp_str);
    vl_buf_clear(b);
    for (size_t i = 0; i < k; i++) {
        bputs(b, v[i]);
        bput(b, "\n", 1);
    }
    free(v);
    free(tmp);
    return k;
}

/* Compares two sorted row sets; on a mismatch prints both (clipped). */
#define CHECK_ROWS(t, label, got, want) check_rows((t), __LINE__, (label), (got), (want))
static void check_rows(vl_test *t, int line, const char *label, const vl_buf *got,
                       const vl_buf *want) {
    if (got->n == want->n && (got->n == 0 || memcmp(got->p, want->p, got->n) == 0)) return;
    int gn = got->n > 3000 ? 3000 : (int)got->n, wn = want->n > 3000 ? 3000 : (int)want->n;
    printf("  %s:%d: %s: rows differ\n  --- got (%zu bytes):\n%.*s  --- want (%zu bytes):\n%.*s",
           __FILE__, line, label, got->n, gn, got->p ? got->p : "", want->n, wn,
           want->p ? want->p : "");
    t->failed++;
}

/* Whether msg contains needle, ignoring case (NULL needle: yes). */
static int has_ci(const char *msg, const char *needle) {
    return !needle || strcasestr(msg, needle) != NULL;
}

/* Splits a comma-separated column list into names (pointing into buf). */
static size_t split_cols(const char *list, char *buf, size_t cap, const char **names, size_t max) {
    size_t n = 0;
    if (!list) return 0;
    snprintf(buf, cap, "%s", list);
    for (char *p = buf; *p && n < max;) {
        char *c = strchr(p, ',');
        if (c) *c = 0;
        names[n++] = p;
        if (!c) break;
        p = c + 1;
    }
    return n;
}

/* Expected rows {"col":N} for values written as ranges: "0,0-29,106". */
static void ints_rows(const char *col, const char *ranges, vl_buf *out) {
    char line[256];
    for (const char *p = ranges; *p;) {
        char *end;
        long long a = strtoll(p, &end, 10), b = a;
        if (*end == '-') b = strtoll(end + 1, &end, 10);
        for (long long i = a; i <= b; i++) {
            snprintf(line, sizeof(line), "{\"%s\":%lld}\n", col, i);
            bputs(out, line);
        }
        p = *end == ',' ? end + 1 : end;
    }
}

static void lines_rows(const char *const *lines, vl_buf *out) {
    for (; *lines; lines++) {
        bputs(out, *lines);
        bput(out, "\n", 1);
    }
}

/*
 * Re-serialises each NDJSON object of `in` with its keys in the order of the
 * fields of struct st, then any keys st does not have (so that they show up
 * as a difference), into out.
 */
static int reorder(const vl_buf *in, const vl_dt_type *st, vl_buf *out, vl_error *err) {
    vl_arena a;
    vl_arena_init(&a, 0);
    int rc = VL_OK;
    const char *p = in->p, *e = in->p + in->n;
    while (rc == VL_OK && p && p < e) {
        const char *nl = memchr(p, '\n', (size_t)(e - p));
        if (!nl) nl = e;
        if (nl > p) {
            const vl_json *row;
            rc = vl_json_parse(p, (size_t)(nl - p), &a, &row, err);
            if (rc == VL_OK) {
                vl_json_w w;
                vl_json_w_init(&w, out, 0);
                vl_json_w_begin_obj(&w);
                for (uint32_t i = 0; i < st->n_fields; i++) {
                    const vl_json *v = vl_json_get_sv(row, st->fields[i].name);
                    if (!v) continue;
                    vl_json_w_key_n(&w, st->fields[i].name.p, st->fields[i].name.n);
                    vl_json_w_value(&w, v);
                }
                for (size_t i = 0; i < vl_json_len(row); i++) {
                    vl_sv key;
                    const vl_json *v = vl_json_member(row, i, &key);
                    if (vl_delta_field_find(st, key, NULL)) continue;
                    vl_json_w_key_n(&w, key.p, key.n);
                    vl_json_w_value(&w, v);
                }
                vl_json_w_end_obj(&w);
                rc = vl_json_w_finish(&w, err);
                if (rc == VL_OK) rc = vl_buf_putc(out, '\n');
            }
            vl_arena_reset(&a);
        }
        p = nl + 1;
    }
    vl_arena_destroy(&a);
    return rc;
}

/* Sorted names of the entries of dir that start with `prefix` and end with
 * `suffix` (either may be NULL), skipping hidden ones. Caller frees. */
static char **list_dir(const char *dir, const char *prefix, const char *suffix, size_t *n) {
    DIR *d = opendir(dir);
    char **v = NULL;
    size_t k = 0, cap = 0;
    *n = 0;
    if (!d) return NULL;
    for (struct dirent *de; (de = readdir(d)) != NULL;) {
        const char *nm = de->d_name;
        size_t len = strlen(nm);
        if (nm[0] == '.') continue;
        if (prefix && strncmp(nm, prefix, strlen(prefix)) != 0) continue;
        if (suffix && (len < strlen(suffix) || strcmp(nm + len - strlen(suffix), suffix) != 0))
            continue;
        if (k == cap) {
            cap = cap ? 2 * cap : 8;
            v = realloc(v, cap * sizeof(*v));
            if (!v) abort();
        }
        v[k] = strdup(nm);
        if (!v[k]) abort();
        k++;
    }
    closedir(d);
    if (k) qsort(v, k, sizeof(*v), cmp_str);
    *n = k;
    return v;
}

static void free_list(char **v, size_t n) {
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

/* Every row of every Spark part file in dir, as NDJSON, into out. */
static int read_parts(const char *dir, vl_buf *out, size_t *n_parts, vl_error *err) {
    size_t n;
    char **names = list_dir(dir, "part-", ".parquet", &n);
    int rc = VL_OK;
    *n_parts = n;
    for (size_t i = 0; rc == VL_OK && i < n; i++) {
        char path[9300];
        vl_pq_reader *r;
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        rc = vl_pq_reader_open_file(path, &r, err);
        if (rc != VL_OK) break;
        const vl_pq_file_meta *m = vl_pq_reader_meta(r);
        for (uint32_t g = 0; rc == VL_OK && g < m->n_row_groups; g++) {
            int64_t w = 0;
            rc = vl_pq_rows_write(r, g, NULL, VL_PQ_ROWS_NDJSON, 0, -1, sink_buf, out, &w, err);
        }
        vl_pq_reader_close(r);
    }
    free_list(names, n);
    return rc;
}

/* ============================================================ DAT cases */

/* Checks one expected/<sub> folder of DAT case `name`. */
static void dat_version(vl_test *t, const char *name, const char *sub) {
    char dir[4400], path[4600], rel[512], label[512];
    vl_error err = {0, ""};
    int64_t v = -1;
    if (strcmp(sub, "latest") != 0) {
        CHECKF(t, sub[0] == 'v', "dat/%s: unexpected expected/%s", name, sub);
        if (sub[0] != 'v') return;
        v = atoll(sub + 1);
    }
    snprintf(label, sizeof(label), "dat/%s@%s", name, sub);
    snprintf(dir, sizeof(dir), "%s/dat/%s/expected/%s", delta_dir(), name, sub);
    snprintf(rel, sizeof(rel), "dat/%s/delta", name);

    /* table_version_metadata.json */
    size_t mn;
    snprintf(path, sizeof(path), "%s/table_version_metadata.json", dir);
    uint8_t *mtext = vl_test_slurp(path, &mn);
    CHECKF(t, mtext != NULL, "%s: cannot read %s", label, path);
    if (!mtext) return;
    vl_arena a;
    vl_arena_init(&a, 0);
    const vl_json *meta = NULL;
    int rc = vl_json_parse((const char *)mtext, mn, &a, &meta, &err);
    CHECKF(t, rc == VL_OK, "%s: metadata json: %s", label, err.msg);

    tbl x;
    rc = tbl_open(&x, rel, at_v(v), &err);
    CHECKF(t, rc == VL_OK, "%s: load: %s %s", label, vl_strerror(rc), err.msg);
    if (rc == VL_OK && meta) {
        const vl_delta_snapshot *s = x.s;
        int64_t jv = -1, jr = -1, jw = -1;
        CHECK(t, vl_json_get_i64(meta, "version", &jv, NULL) == VL_OK);
        CHECK(t, vl_json_get_i64(meta, "min_reader_version", &jr, NULL) == VL_OK);
        CHECK(t, vl_json_get_i64(meta, "min_writer_version", &jw, NULL) == VL_OK);
        CHECKF(t, s->version == jv, "%s: version %lld, want %lld", label, (long long)s->version,
               (long long)jv);
        if (v >= 0) CHECKF(t, jv == v, "%s: folder name vs version %lld", label, (long long)jv);
        CHECKF(t, s->protocol.min_reader == jr && s->protocol.min_writer == jw,
               "%s: protocol %d/%d, want %lld/%lld", label, s->protocol.min_reader,
               s->protocol.min_writer, (long long)jr, (long long)jw);
        const vl_json *props = vl_json_get(meta, "properties");
        CHECKF(t, vl_json_len(props) == s->metadata.n_configuration,
               "%s: %u properties, want %zu", label, s->metadata.n_configuration,
               vl_json_len(props));
        for (size_t i = 0; i < vl_json_len(props); i++) {
            vl_sv key, val = {NULL, 0};
            char k[256];
            const vl_json *pv = vl_json_member(props, i, &key);
            CHECK(t, vl_json_str(pv, &val));
            snprintf(k, sizeof(k), "%.*s", (int)key.n, key.p);
            const char *got = vl_delta_snapshot_prop(s, k, NULL);
            CHECKF(t, got && strlen(got) == val.n && memcmp(got, val.p, val.n) == 0,
                   "%s: property %s = %s, want %.*s", label, k, got ? got : "(absent)",
                   (int)val.n, val.p);
        }

        /* rows: the scan against the part files, keys in schema order */
        vl_buf raw_got, raw_want, got, want;
        vl_buf_init(&raw_got);
        vl_buf_init(&raw_want);
        vl_buf_init(&got);
        vl_buf_init(&want);
        size_t n_parts = 0;
        rc = scan_rows(s, NULL, 0, NULL, &raw_got, NULL, &err);
        CHECKF(t, rc == VL_OK, "%s: scan: %s %s", label, vl_strerror(rc), err.msg);
        if (rc == VL_OK) rc = reorder(&raw_got, &s->metadata.schema, &got, &err);
        CHECKF(t, rc == VL_OK, "%s: scan output: %s", label, err.msg);
        snprintf(path, sizeof(path), "%s/table_content.parquet", dir);
        int rc2 = read_parts(path, &raw_want, &n_parts, &err);
        CHECKF(t, rc2 == VL_OK, "%s: expected rows: %s %s", label, vl_strerror(rc2), err.msg);
        CHECKF(t, n_parts > 0, "%s: no part files in %s", label, path);
        if (rc2 == VL_OK) rc2 = reorder(&raw_want, &s->metadata.schema, &want, &err);
        CHECKF(t, rc2 == VL_OK, "%s: expected rows: %s", label, err.msg);
        size_t ng = sort_lines(&got), nw = sort_lines(&want);
        CHECKF(t, ng == nw, "%s: %zu rows, want %zu", label, ng, nw);
        if (rc == VL_OK && rc2 == VL_OK) CHECK_ROWS(t, label, &got, &want);
        vl_buf_free(&raw_got);
        vl_buf_free(&raw_want);
        vl_buf_free(&got);
        vl_buf_free(&want);
    }
    tbl_close(&x);
    vl_arena_destroy(&a);
    free(mtext);
}

/* Every expected/ folder of DAT case `name`. */
static void dat_case(vl_test *t, const char *name) {
    char dir[4400];
    size_t n;
    snprintf(dir, sizeof(dir), "%s/dat/%s/expected", delta_dir(), name);
    char **subs = list_dir(dir, NULL, NULL, &n);
    CHECKF(t, n > 0, "no expected/ folders in %s", dir);
    for (size_t i = 0; i < n; i++) dat_version(t, name, subs[i]);
    free_list(subs, n);
}

#define DAT_TEST(fn, name)                                                                \
    static void fn(vl_test *t) {                                                          \
        NEED_DATA(t);                                                                     \
        dat_case(t, name);                                                                \
    }
DAT_TEST(t_dat_basic_append, "basic_append")
DAT_TEST(t_dat_basic_partitioned, "basic_partitioned")
DAT_TEST(t_dat_multi_partitioned, "multi_partitioned")
DAT_TEST(t_dat_all_primitive_types, "all_primitive_types")
DAT_TEST(t_dat_nested_types, "nested_types")
DAT_TEST(t_dat_with_checkpoint, "with_checkpoint")
DAT_TEST(t_dat_no_replay, "no_replay")
DAT_TEST(t_dat_no_stats, "no_stats")
DAT_TEST(t_dat_with_schema_change, "with_schema_change")

/* ============================================== README facts, per version */

/* What one (table, version) must read as. */
typedef struct read_spec {
    const char *rel;          /* under delta/ */
    int64_t at;               /* version to load; -1: latest */
    int64_t version;          /* the snapshot's version */
    int64_t rows;             /* rows the scan returns */
    int64_t files;            /* live files; -1: not checked */
    int64_t checkpoint;       /* snapshot.checkpoint_version; -2: not checked */
    const char *cols;         /* projection, comma-separated; NULL: all columns */
    const char *ints;         /* cols is one integer column: its values as ranges */
    const char *const *lines; /* or the exact rows (projected), NULL-terminated */
} read_spec;

#define L(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NOCK (-2)

static const read_spec k_specs[] = {
    /* ---- DAT (beside the expected files: the README's own words) */
    {"dat/basic_append/delta", 0, 0, 3, 1, NOCK, NULL, NULL,
     L("{\"letter\":\"a\",\"number\":1,\"a_float\":1.1}",
       "{\"letter\":\"b\",\"number\":2,\"a_float\":2.2}",
       "{\"letter\":\"c\",\"number\":3,\"a_float\":3.3}")},
    {"dat/basic_append/delta", -1, 1, 5, 2, -1, NULL, NULL,
     L("{\"letter\":\"a\",\"number\":1,\"a_float\":1.1}",
       "{\"letter\":\"b\",\"number\":2,\"a_float\":2.2}",
       "{\"letter\":\"c\",\"number\":3,\"a_float\":3.3}",
       "{\"letter\":\"d\",\"number\":4,\"a_float\":4.4}",
       "{\"letter\":\"e\",\"number\":5,\"a_float\":5.5}")},
    {"dat/basic_partitioned/delta", 0, 0, 3, -1, NOCK, NULL, NULL, NULL},
    {"dat/basic_partitioned/delta", 1, 1, 6, -1, NOCK, NULL, NULL, NULL},
    {"dat/multi_partitioned/delta", 0, 0, 3, -1, NOCK, NULL, NULL, NULL},
    {"dat/multi_partitioned/delta", 1, 1, 5, -1, NOCK, NULL, NULL, NULL},
    {"dat/multi_partitioned/delta", -1, 2, 2, -1, NOCK, NULL, NULL,
     L("{\"letter\":\"/%20%f\",\"date\":\"1970-01-01\",\"data\":\"aGVsbG8=\",\"number\":6}",
       "{\"letter\":\"b\",\"date\":\"1970-01-01\",\"data\":\"8J+YiA==\",\"number\":7}")},
    {"dat/all_primitive_types/delta", -1, 0, 5, -1, NOCK, "utf8,int64,decimal,date32,timestamp",
     NULL,
     L("{\"utf8\":\"0\",\"int64\":0,\"decimal\":\"10.000\",\"date32\":\"1970-01-01\","
       "\"timestamp\":\"1970-01-01T00:00:00.000000Z\"}",
       "{\"utf8\":\"1\",\"int64\":1,\"decimal\":\"11.000\",\"date32\":\"1970-01-02\","
       "\"timestamp\":\"1970-01-01T01:00:00.000000Z\"}",
       "{\"utf8\":\"2\",\"int64\":2,\"decimal\":\"12.000\",\"date32\":\"1970-01-03\","
       "\"timestamp\":\"1970-01-01T02:00:00.000000Z\"}",
       "{\"utf8\":\"3\",\"int64\":3,\"decimal\":\"13.000\",\"date32\":\"1970-01-04\","
       "\"timestamp\":\"1970-01-01T03:00:00.000000Z\"}",
       "{\"utf8\":\"4\",\"int64\":4,\"decimal\":\"14.000\",\"date32\":\"1970-01-05\","
       "\"timestamp\":\"1970-01-01T04:00:00.000000Z\"}")},
    {"dat/nested_types/delta", -1, 0, 5, -1, NOCK, "pk,array", NULL,
     L("{\"pk\":0,\"array\":[0]}", "{\"pk\":1,\"array\":[0,1]}", "{\"pk\":2,\"array\":[0,1,2]}",
       "{\"pk\":3,\"array\":[0,1,2,3]}", "{\"pk\":4,\"array\":[0,1,2,3,4]}")},
    {"dat/with_checkpoint/delta", -1, 3, 5, -1, 2, NULL, NULL, NULL},
    {"dat/no_replay/delta", -1, 3, 5, -1, 2, NULL, NULL, NULL},
    {"dat/no_stats/delta", -1, 3, 5, -1, 2, NULL, NULL, NULL},
    {"dat/with_schema_change/delta", -1, 1, 3, -1, NOCK, NULL, NULL,
     L("{\"num1\":22,\"num2\":33}", "{\"num1\":44,\"num2\":55}", "{\"num1\":66,\"num2\":77}")},
    {"dat/with_schema_change/delta", 0, 0, 3, -1, NOCK, "letter,number", NULL, NULL},

    /* ---- delta-rs */
    {"delta-rs/simple_table", 0, 0, 5, -1, NOCK, "id", "0-4", NULL},
    {"delta-rs/simple_table", 1, 1, 20, -1, NOCK, NULL, NULL, NULL},
    {"delta-rs/simple_table", 2, 2, 5, -1, NOCK, "id", "5-9", NULL},
    {"delta-rs/simple_table", 3, 3, 5, -1, NOCK, "id", "5,7,9,106,108", NULL},
    {"delta-rs/simple_table", -1, 4, 3, 5, -1, "id", "5,7,9", NULL},
    {"delta-rs/delta-0.8.0", 0, 0, 5, 2, NOCK, "value", "0-4", NULL},
    {"delta-rs/delta-0.8.0", -1, 1, 4, -1, NOCK, "value", "0,1,2,4", NULL},
    {"delta-rs/delta-0.8.0-partitioned", -1, 0, 7, -1, NOCK, "value,year,month,day", NULL,
     L("{\"value\":\"1\",\"year\":\"2020\",\"month\":\"1\",\"day\":\"1\"}",
       "{\"value\":\"2\",\"year\":\"2020\",\"month\":\"2\",\"day\":\"3\"}",
       "{\"value\":\"3\",\"year\":\"2020\",\"month\":\"2\",\"day\":\"5\"}",
       "{\"value\":\"4\",\"year\":\"2021\",\"month\":\"4\",\"day\":\"5\"}",
       "{\"value\":\"5\",\"year\":\"2021\",\"month\":\"12\",\"day\":\"4\"}",
       "{\"value\":\"6\",\"year\":\"2021\",\"month\":\"12\",\"day\":\"20\"}",
       "{\"value\":\"7\",\"year\":\"2021\",\"month\":\"12\",\"day\":\"20\"}")},
    {"delta-rs/delta-0.8.0-null-partition", -1, 0, 2, -1, NOCK, "k,v", NULL,
     L("{\"k\":\"A\",\"v\":1}", "{\"k\":null,\"v\":2}")},
    {"delta-rs/delta-0.8.0-special-partition", -1, 0, 2, -1, NOCK, NULL, NULL,
     L("{\"x\":\"A/A\",\"y\":1}", "{\"x\":\"B B\",\"y\":2}")},
    {"delta-rs/delta-0.2.0", 0, 0, 3, -1, -1, NULL, NULL, NULL},
    {"delta-rs/delta-0.2.0", 1, 1, 6, -1, -1, NULL, NULL, NULL},
    {"delta-rs/delta-0.2.0", 2, 2, 3, -1, -1, NULL, NULL, NULL},
    {"delta-rs/delta-0.2.0", -1, 3, 6, 3, 3, "value", "1,1,2,2,3,3", NULL},
    {"delta-rs/simple_table_with_checkpoint", 0, 0, 1, 1, -1, "version", "0", NULL},
    {"delta-rs/simple_table_with_checkpoint", 1, 1, 2, 2, -1, NULL, NULL, NULL},
    {"delta-rs/simple_table_with_checkpoint", 2, 2, 3, 3, -1, NULL, NULL, NULL},
    {"delta-rs/simple_table_with_checkpoint", 3, 3, 4, 4, -1, NULL, NULL, NULL},
    {"delta-rs/simple_table_with_checkpoint", 4, 4, 5, 5, -1, NULL, NULL, NULL},
    {"delta-rs/simple_table_with_checkpoint", 5, 5, 6, 6, -1, NULL, NULL, NULL},
    {"delta-rs/simple_table_with_checkpoint", 6, 6, 7, 7, -1, NULL, NULL, NULL},
    {"delta-rs/simple_table_with_checkpoint", 7, 7, 8, 8, -1, NULL, NULL, NULL},
    {"delta-rs/simple_table_with_checkpoint", 8, 8, 9, 9, -1, NULL, NULL, NULL},
    {"delta-rs/simple_table_with_checkpoint", 9, 9, 10, 10, -1, NULL, NULL, NULL},
    {"delta-rs/simple_table_with_checkpoint", 10, 10, 11, 11, 10, "version", "0,0-9", NULL},
    {"delta-rs/simple_table_with_checkpoint", -1, 10, 11, 11, 10, "version", "0,0-9", NULL},
    {"delta-rs/delta-0.8-empty", 0, 0, 1, -1, NOCK, "column", "1", NULL},
    {"delta-rs/delta-0.8-empty", -1, 1, 0, 0, NOCK, NULL, NULL, NULL},
    {"delta-rs/simple_table_with_cdc", 1, 1, 1, -1, NOCK, NULL, NULL,
     L("{\"id\":0,\"name\":\"Mario\"}")},
    {"delta-rs/simple_table_with_cdc", -1, 2, 1, -1, NOCK, NULL, NULL,
     L("{\"id\":0,\"name\":\"Mino\"}")},
    {"delta-rs/table_failed_last_checkpoint_update", -1, 3, 20, 4, NOCK, "id", NULL,
     L("{\"id\":\"1\"}", "{\"id\":\"1\"}", "{\"id\":\"1\"}", "{\"id\":\"1\"}",
       "{\"id\":\"2\"}", "{\"id\":\"2\"}", "{\"id\":\"2\"}", "{\"id\":\"2\"}",
       "{\"id\":\"3\"}", "{\"id\":\"3\"}", "{\"id\":\"3\"}", "{\"id\":\"3\"}",
       "{\"id\":\"4\"}", "{\"id\":\"4\"}", "{\"id\":\"4\"}", "{\"id\":\"4\"}",
       "{\"id\":\"5\"}", "{\"id\":\"5\"}", "{\"id\":\"5\"}", "{\"id\":\"5\"}")},
    {"delta-rs/delta-checkpoint-stats-optional", -1, 2, 2, 2, 2,
     "integer,double,decimal,string,date", NULL,
     L("{\"integer\":0,\"double\":1.234,\"decimal\":\"-5.67800\",\"string\":\"string\","
       "\"date\":\"2022-10-24\"}",
       "{\"integer\":1,\"double\":1.234,\"decimal\":\"-5.67800\",\"string\":\"string\","
       "\"date\":\"2022-10-24\"}")},

    /* ---- golden */
    {"golden/multi-part-checkpoint", 0, 0, 1, -1, -1, "id", "0", NULL},
    {"golden/multi-part-checkpoint", -1, 1, 31, 10, 1, "id", "0,0-29", NULL},
    {"golden/time-travel-start-start20-start40", 0, 0, 10, -1, NOCK, "id", "0-9", NULL},
    {"golden/time-travel-start-start20-start40", 1, 1, 20, -1, NOCK, "id", "0-19", NULL},
    {"golden/time-travel-start-start20-start40", -1, 2, 30, -1, NOCK, "id", "0-29", NULL},
    {"golden/basic-with-inserts-deletes-checkpoint", 4, 4, 50, -1, -1, NULL, NULL, NULL},
    {"golden/basic-with-inserts-deletes-checkpoint", 9, 9, 25, -1, -1, NULL, NULL, NULL},
    {"golden/basic-with-inserts-deletes-checkpoint", 10, 10, 35, -1, 10, NULL, NULL, NULL},
    {"golden/basic-with-inserts-deletes-checkpoint", 12, 12, 55, -1, 10, NULL, NULL, NULL},
    {"golden/basic-with-inserts-deletes-checkpoint", -1, 13, 41, 7, 10, "id",
     "0-4,10-14,20-24,30-34,40-44,50-65", NULL},
    {"golden/corrupted-last-checkpoint-kernel", -1, 11, 100, 2, 10, "id", "0-99", NULL},
    {"golden/data-reader-partition-values", -1, 0, 3, -1, NOCK,
     "as_int,as_long,as_byte,as_short,as_boolean,as_float,as_double,as_string,"
     "as_string_lit_null,as_date,as_timestamp,as_big_decimal",
     NULL,
     L("{\"as_int\":0,\"as_long\":0,\"as_byte\":0,\"as_short\":0,\"as_boolean\":true,"
       "\"as_float\":0,\"as_double\":0,\"as_string\":\"0\",\"as_string_lit_null\":\"null\","
       "\"as_date\":\"2021-09-08\",\"as_timestamp\":\"2021-09-08T11:11:11.000000Z\","
       "\"as_big_decimal\":\"0\"}",
       "{\"as_int\":1,\"as_long\":1,\"as_byte\":1,\"as_short\":1,\"as_boolean\":false,"
       "\"as_float\":1,\"as_double\":1,\"as_string\":\"1\",\"as_string_lit_null\":\"null\","
       "\"as_date\":\"2021-09-08\",\"as_timestamp\":\"2021-09-08T11:11:11.000000Z\","
       "\"as_big_decimal\":\"1\"}",
       "{\"as_int\":null,\"as_long\":null,\"as_byte\":null,\"as_short\":null,"
       "\"as_boolean\":null,\"as_float\":null,\"as_double\":null,\"as_string\":null,"
       "\"as_string_lit_null\":null,\"as_date\":null,\"as_timestamp\":null,"
       "\"as_big_decimal\":null}")},
    {"golden/data-reader-escaped-chars", -1, 2, 3, 3, NOCK, NULL, NULL,
     L("{\"_1\":\"foo1\",\"_2\":\"bar+%21\"}", "{\"_1\":\"foo2\",\"_2\":\"bar+%22\"}",
       "{\"_1\":\"foo3\",\"_2\":\"bar+%23\"}")},
    {"golden/kernel-timestamp-INT96", -1, 0, 5, -1, NOCK, NULL, NULL,
     L("{\"id\":0,\"part\":\"2020-01-01T08:09:10.001000Z\",\"time\":\"2020-02-01T08:09:10.000000Z\"}",
       "{\"id\":1,\"part\":\"2021-10-01T08:09:20.000000Z\",\"time\":\"1999-01-01T09:00:00.000000Z\"}",
       "{\"id\":2,\"part\":\"2021-10-01T08:09:20.000000Z\",\"time\":\"2000-01-01T09:00:00.000000Z\"}",
       "{\"id\":3,\"part\":\"1969-01-01T00:00:00.000000Z\",\"time\":\"1969-01-01T00:00:00.000000Z\"}",
       "{\"id\":4,\"part\":null,\"time\":null}")},
};

static void run_spec(vl_test *t, const read_spec *sp) {
    char label[512], colbuf[512];
    const char *cols[16];
    vl_error err = {0, ""};
    tbl x;
    if (sp->at < 0) snprintf(label, sizeof(label), "%s@latest", sp->rel);
    else snprintf(label, sizeof(label), "%s@v%lld", sp->rel, (long long)sp->at);
    int rc = tbl_open(&x, sp->rel, at_v(sp->at), &err);
    CHECKF(t, rc == VL_OK, "%s: load: %s %s", label, vl_strerror(rc), err.msg);
    if (rc != VL_OK) return;
    const vl_delta_snapshot *s = x.s;
    CHECKF(t, s->version == sp->version, "%s: version %lld, want %lld", label,
           (long long)s->version, (long long)sp->version);
    if (sp->files >= 0)
        CHECKF(t, (int64_t)s->n_files == sp->files, "%s: %zu files, want %lld", label, s->n_files,
               (long long)sp->files);
    if (sp->checkpoint != NOCK)
        CHECKF(t, s->checkpoint_version == sp->checkpoint, "%s: checkpoint_version %lld, want %lld",
               label, (long long)s->checkpoint_version, (long long)sp->checkpoint);
    /* a projected column must be in the schema (with_schema_change v0) */
    size_t n_cols = split_cols(sp->cols, colbuf, sizeof(colbuf), cols, 16);
    for (size_t i = 0; i < n_cols; i++)
        CHECKF(t, vl_delta_field_find(&s->metadata.schema, vl_sv_cstr(cols[i]), NULL) != NULL,
               "%s: no column %s in the schema", label, cols[i]);

    vl_buf got, want;
    vl_delta_scan_stats st;
    memset(&st, 0, sizeof(st));
    vl_buf_init(&got);
    vl_buf_init(&want);
    rc = scan_rows(s, n_cols ? cols : NULL, n_cols, NULL, &got, &st, &err);
    CHECKF(t, rc == VL_OK, "%s: scan: %s %s", label, vl_strerror(rc), err.msg);
    if (rc == VL_OK) {
        size_t n = sort_lines(&got);
        CHECKF(t, (int64_t)n == sp->rows, "%s: %zu rows, want %lld", label, n,
               (long long)sp->rows);
        CHECKF(t, st.rows_out == sp->rows, "%s: stats.rows_out %lld, want %lld", label,
               (long long)st.rows_out, (long long)sp->rows);
        CHECKF(t, st.files_total == s->n_files && st.files_pruned == 0,
               "%s: stats files_total %zu (of %zu), pruned %zu without a predicate", label,
               st.files_total, s->n_files, st.files_pruned);
        if (sp->ints || sp->lines) {
            if (sp->ints) ints_rows(cols[0], sp->ints, &want);
            else lines_rows(sp->lines, &want);
            sort_lines(&want);
            CHECK_ROWS(t, label, &got, &want);
        }
    }
    vl_buf_free(&got);
    vl_buf_free(&want);
    tbl_close(&x);
}

/* Runs every spec of one table. */
static void run_specs(vl_test *t, const char *rel) {
    size_t n = 0;
    for (size_t i = 0; i < sizeof(k_specs) / sizeof(k_specs[0]); i++) {
        if (strcmp(k_specs[i].rel, rel) != 0) continue;
        run_spec(t, &k_specs[i]);
        n++;
    }
    CHECKF(t, n > 0, "no specs for %s", rel);
}

#define SPEC_TEST(fn, rel)                                                                \
    static void fn(vl_test *t) {                                                          \
        NEED_DATA(t);                                                                     \
        run_specs(t, rel);                                                                \
    }
SPEC_TEST(t_rd_basic_append, "dat/basic_append/delta")
SPEC_TEST(t_rd_basic_partitioned, "dat/basic_partitioned/delta")
SPEC_TEST(t_rd_multi_partitioned, "dat/multi_partitioned/delta")
SPEC_TEST(t_rd_all_primitive_types, "dat/all_primitive_types/delta")
SPEC_TEST(t_rd_nested_types, "dat/nested_types/delta")
SPEC_TEST(t_rd_with_checkpoint, "dat/with_checkpoint/delta")
SPEC_TEST(t_rd_no_replay, "dat/no_replay/delta")
SPEC_TEST(t_rd_no_stats, "dat/no_stats/delta")
SPEC_TEST(t_rd_with_schema_change, "dat/with_schema_change/delta")
SPEC_TEST(t_rd_simple_table, "delta-rs/simple_table")
SPEC_TEST(t_rd_delta_080, "delta-rs/delta-0.8.0")
SPEC_TEST(t_rd_delta_080_partitioned, "delta-rs/delta-0.8.0-partitioned")
SPEC_TEST(t_rd_delta_080_null_partition, "delta-rs/delta-0.8.0-null-partition")
SPEC_TEST(t_rd_delta_080_special_partition, "delta-rs/delta-0.8.0-special-partition")
SPEC_TEST(t_rd_delta_020, "delta-rs/delta-0.2.0")
SPEC_TEST(t_rd_simple_table_with_checkpoint, "delta-rs/simple_table_with_checkpoint")
SPEC_TEST(t_rd_delta_08_empty, "delta-rs/delta-0.8-empty")
SPEC_TEST(t_rd_simple_table_with_cdc, "delta-rs/simple_table_with_cdc")
SPEC_TEST(t_rd_failed_last_checkpoint, "delta-rs/table_failed_last_checkpoint_update")
SPEC_TEST(t_rd_checkpoint_stats_optional, "delta-rs/delta-checkpoint-stats-optional")
SPEC_TEST(t_rd_multi_part_checkpoint, "golden/multi-part-checkpoint")
SPEC_TEST(t_rd_time_travel_start, "golden/time-travel-start-start20-start40")
SPEC_TEST(t_rd_inserts_deletes_checkpoint, "golden/basic-with-inserts-deletes-checkpoint")
SPEC_TEST(t_rd_corrupted_last_checkpoint, "golden/corrupted-last-checkpoint-kernel")
SPEC_TEST(t_rd_partition_values, "golden/data-reader-partition-values")
SPEC_TEST(t_rd_escaped_chars, "golden/data-reader-escaped-chars")
SPEC_TEST(t_rd_int96, "golden/kernel-timestamp-INT96")

/* ============================================================= refusals */

typedef struct refuse_spec {
    const char *rel;
    int64_t at;
    int code;
    const char *needle, *needle2; /* both must be in err.msg, ignoring case */
} refuse_spec;

static const refuse_spec k_refusals[] = {
    {"delta-rs/table-with-dv-small", -1, VL_ENOTSUP, "deletion", "vector"},
    {"delta-rs/table-with-dv-small", 0, VL_ENOTSUP, "deletion", "vector"},
    {"delta-rs/table-with-dv-small", 1, VL_ENOTSUP, "deletion", "vector"},
    {"delta-rs/table_with_column_mapping", -1, VL_ENOTSUP, "column", "mapping"},
    {"delta-rs/table_with_column_mapping", 0, VL_ENOTSUP, "column", "mapping"},
    {"delta-rs/checkpoint-v2-table", -1, VL_ENOTSUP, "v2", "checkpoint"},
    {"delta-rs/checkpoint-v2-table", 0, VL_ENOTSUP, "v2", "checkpoint"},
    {"delta-rs/checkpoint-v2-table", 6, VL_ENOTSUP, "v2", "checkpoint"},
    {"delta-rs/simple_table_features", -1, VL_ENOTSUP, "blahabl", NULL},
    {"delta-rs/simple_table_features", 0, VL_ENOTSUP, "blahabl", NULL},
    {"golden/deltalog-invalid-protocol-version", -1, VL_ENOTSUP, "99", "reader"},
    {"golden/versions-not-contiguous", -1, VL_ECORRUPT, "version 1", NULL},
    {"golden/versions-not-contiguous", 2, VL_ECORRUPT, "version 1", NULL},
};

static void run_refusals(vl_test *t, const char *rel) {
    size_t n = 0;
    for (size_t i = 0; i < sizeof(k_refusals) / sizeof(k_refusals[0]); i++) {
        const refuse_spec *r = &k_refusals[i];
        if (strcmp(r->rel, rel) != 0) continue;
        n++;
        vl_error err = {0, ""};
        tbl x;
        int rc = tbl_open(&x, r->rel, at_v(r->at), &err);
        CHECKF(t, rc == r->code, "%s@%lld: got %s (%s), want %s", r->rel, (long long)r->at,
               vl_strerror(rc), rc ? err.msg : "a snapshot", vl_strerror(r->code));
        if (rc != VL_OK)
            CHECKF(t, has_ci(err.msg, r->needle) && has_ci(err.msg, r->needle2),
                   "%s@%lld: message \"%s\" does not name \"%s\"%s%s", r->rel, (long long)r->at,
                   err.msg, r->needle, r->needle2 ? " and " : "", r->needle2 ? r->needle2 : "");
        tbl_close(&x);
    }
    CHECKF(t, n > 0, "no refusal specs for %s", rel);
}

#define REFUSE_TEST(fn, rel)                                                              \
    static void fn(vl_test *t) {                                                          \
        NEED_DATA(t);                                                                     \
        run_refusals(t, rel);                                                             \
    }
REFUSE_TEST(t_refuse_dv, "delta-rs/table-with-dv-small")
REFUSE_TEST(t_refuse_column_mapping, "delta-rs/table_with_column_mapping")
REFUSE_TEST(t_refuse_v2_checkpoint, "delta-rs/checkpoint-v2-table")
REFUSE_TEST(t_refuse_unknown_feature, "delta-rs/simple_table_features")
REFUSE_TEST(t_refuse_reader_99, "golden/deltalog-invalid-protocol-version")
REFUSE_TEST(t_refuse_gap, "golden/versions-not-contiguous")

/* ============================================ time travel and versions */

/* commitInfo.timestamp of basic_append's commits 0 and 1 (ms). */
#define BA_TS0 1673493616286LL
#define BA_TS1 1673493625021LL

static void t_time_travel_timestamp(vl_test *t) {
    NEED_DATA(t);
    static const struct {
        int64_t ts_us;
        int code;
        int64_t version, rows;
    } cases[] = {
        {BA_TS0 * 1000, VL_OK, 0, 3},
        {BA_TS0 * 1000 + 1, VL_OK, 0, 3},
        {BA_TS1 * 1000 - 1, VL_OK, 0, 3},
        {BA_TS1 * 1000, VL_OK, 1, 5},
        {4102444800000000LL, VL_OK, 1, 5}, /* 2100-01-01 */
        {BA_TS0 * 1000 - 1, VL_ENOTFOUND, -1, 0},
        {0, VL_ENOTFOUND, -1, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        vl_error err = {0, ""};
        tbl x;
        int rc = tbl_open(&x, "dat/basic_append/delta", (vl_delta_at){-1, cases[i].ts_us}, &err);
        CHECKF(t, rc == cases[i].code, "ts %lld: got %s (%s), want %s",
               (long long)cases[i].ts_us, vl_strerror(rc), rc ? err.msg : "",
               vl_strerror(cases[i].code));
        if (rc != VL_OK) continue;
        CHECKF(t, x.s->version == cases[i].version, "ts %lld: version %lld, want %lld",
               (long long)cases[i].ts_us, (long long)x.s->version, (long long)cases[i].version);
        vl_buf b;
        vl_buf_init(&b);
        rc = scan_rows(x.s, NULL, 0, NULL, &b, NULL, &err);
        CHECK(t, rc == VL_OK);
        CHECK_EQ_INT(t, sort_lines(&b), cases[i].rows);
        vl_buf_free(&b);
        tbl_close(&x);
    }
}

static void t_commit_timestamps(vl_test *t) {
    NEED_DATA(t);
    static const int64_t ts[] = {BA_TS0, BA_TS1};
    for (int64_t v = 0; v < 2; v++) {
        vl_error err = {0, ""};
        tbl x;
        int rc = tbl_open(&x, "dat/basic_append/delta", at_v(v), &err);
        CHECKF(t, rc == VL_OK, "v%lld: %s", (long long)v, err.msg);
        if (rc != VL_OK) continue;
        CHECKF(t, x.s->timestamp_ms == ts[v], "v%lld: timestamp_ms %lld, want %lld",
               (long long)v, (long long)x.s->timestamp_ms, (long long)ts[v]);
        tbl_close(&x);
    }
}

typedef struct hist_ctx {
    int n;
    int64_t version[4], ts[4];
    char op[4][32];
} hist_ctx;

static int hist_cb(void *ctx, const vl_delta_commit_info *c, vl_error *err) {
    hist_ctx *h = ctx;
    (void)err;
    if (h->n < 4) {
        h->version[h->n] = c->version;
        h->ts[h->n] = c->timestamp_ms;
        snprintf(h->op[h->n], sizeof(h->op[0]), "%.*s", (int)c->operation.n,
                 c->operation.p ? c->operation.p : "");
    }
    h->n++;
    return VL_OK;
}

static void t_history(vl_test *t) {
    NEED_DATA(t);
    vl_error err = {0, ""};
    tbl x;
    int rc = tbl_open(&x, "dat/basic_append/delta", VL_DELTA_LATEST, &err);
    REQUIRE(t, rc == VL_OK);
    hist_ctx h;
    memset(&h, 0, sizeof(h));
    rc = vl_delta_history(x.t, -1, hist_cb, &h, &err);
    CHECKF(t, rc == VL_OK, "%s", err.msg);
    CHECK_EQ_INT(t, h.n, 2);
    CHECK_EQ_INT(t, h.version[0], 1);
    CHECK_EQ_INT(t, h.version[1], 0);
    CHECK_EQ_INT(t, h.ts[0], BA_TS1);
    CHECK_EQ_INT(t, h.ts[1], BA_TS0);
    CHECK_EQ_STR(t, h.op[0], "WRITE");
    CHECK_EQ_STR(t, h.op[1], "WRITE");
    tbl_close(&x);
}

static void t_version_beyond_latest(vl_test *t) {
    NEED_DATA(t);
    static const struct {
        const char *rel;
        int64_t v;
    } cases[] = {
        {"dat/basic_append/delta", 2},
        {"dat/basic_append/delta", 1000},
        {"delta-rs/simple_table", 5}, /* only _delta_log/.tmp/…5.json exists */
        {"golden/multi-part-checkpoint", 2},
        {"dat/no_replay/delta", 0}, /* commits 0 and 1 were deleted */
        {"dat/no_replay/delta", 1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        vl_error err = {0, ""};
        tbl x;
        int rc = tbl_open(&x, cases[i].rel, at_v(cases[i].v), &err);
        CHECKF(t, rc == VL_ENOTFOUND, "%s@v%lld: got %s (%s), want ENOTFOUND", cases[i].rel,
               (long long)cases[i].v, vl_strerror(rc), rc ? err.msg : "a snapshot");
        tbl_close(&x);
    }
}

static void t_latest_version_listing(vl_test *t) {
    NEED_DATA(t);
    static const struct {
        const char *rel;
        int64_t v;
    } cases[] = {
        {"delta-rs/simple_table", 4}, /* the stray .tmp/…5.json is not a commit */
        {"delta-rs/delta-0.2.0", 3},
        {"dat/no_replay/delta", 3},
        {"golden/basic-with-inserts-deletes-checkpoint", 13},
        {"delta-rs/simple_table_with_cdc", 2}, /* N.crc files are not commits */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char path[4400];
        vl_error err = {0, ""};
        vl_store *st = NULL;
        vl_delta_table *dt = NULL;
        int64_t v = -2;
        snprintf(path, sizeof(path), "%s/%s", delta_dir(), cases[i].rel);
        int rc = vl_store_open(path, &st, &err);
        if (rc == VL_OK) rc = vl_delta_table_open(st, "", &dt, &err);
        if (rc == VL_OK) rc = vl_delta_latest_version(dt, &v, &err);
        CHECKF(t, rc == VL_OK && v == cases[i].v, "%s: rc %s (%s), latest %lld, want %lld",
               cases[i].rel, vl_strerror(rc), rc ? err.msg : "", (long long)v,
               (long long)cases[i].v);
        vl_delta_table_close(dt);
        vl_store_close(st);
    }
}

/* The snapshot's timestamp is its commit's commitInfo.timestamp, also when
 * the version is the checkpoint's (the replay reads no commit after it). */
static void t_checkpoint_version_timestamps(vl_test *t) {
    NEED_DATA(t);
    static const struct {
        const char *rel;
        int64_t v, ts_ms;
    } cases[] = {
        {"delta-rs/delta-0.2.0", 2, 1564524298214LL},
        {"delta-rs/delta-0.2.0", 3, 1564524299648LL}, /* checkpoint at 3 */
        {"delta-rs/delta-0.2.0", -1, 1564524299648LL},
        {"delta-rs/simple_table_with_checkpoint", 9, 1615751706703LL},
        {"delta-rs/simple_table_with_checkpoint", 10, 1615751716705LL}, /* checkpoint at 10 */
        {"delta-rs/delta-checkpoint-stats-optional", -1, 1666652374424LL}, /* checkpoint at 2 */
        {"golden/multi-part-checkpoint", -1, 1692318915049LL},              /* checkpoint at 1 */
        {"delta-rs/table_failed_last_checkpoint_update", -1, 1709986423962LL}, /* at 3 */
        {"dat/with_checkpoint/delta", 2, 1673493660561LL},                    /* checkpoint at 2 */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        vl_error err = {0, ""};
        tbl x;
        int rc = tbl_open(&x, cases[i].rel, at_v(cases[i].v), &err);
        CHECKF(t, rc == VL_OK, "%s: %s", cases[i].rel, err.msg);
        if (rc != VL_OK) continue;
        CHECKF(t, x.s->timestamp_ms == cases[i].ts_ms,
               "%s@%lld (checkpoint %lld): timestamp_ms %lld, want %lld", cases[i].rel,
               (long long)cases[i].v, (long long)x.s->checkpoint_version,
               (long long)x.s->timestamp_ms, (long long)cases[i].ts_ms);
        tbl_close(&x);
    }
}

/* Timestamp travel over tables with checkpoints (commitInfo timestamps). */
static void t_time_travel_timestamp_checkpoint(vl_test *t) {
    NEED_DATA(t);
    static const struct {
        const char *rel;
        int64_t ts_us, version, rows;
    } cases[] = {
        {"delta-rs/delta-0.2.0", 1564524295023000LL, 0, 3},
        {"delta-rs/delta-0.2.0", 1564524298214000LL, 2, 3},
        {"delta-rs/delta-0.2.0", 1564524299647999LL, 2, 3},
        {"delta-rs/delta-0.2.0", 1564524299648000LL, 3, 6},
        {"delta-rs/simple_table_with_checkpoint", 1615751716704999LL, 9, 10},
        {"delta-rs/simple_table_with_checkpoint", 1615751716705000LL, 10, 11},
        {"delta-rs/simple_table_with_checkpoint", 1615751701120000LL, 2, 3},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        vl_error err = {0, ""};
        tbl x;
        int rc = tbl_open(&x, cases[i].rel, (vl_delta_at){-1, cases[i].ts_us}, &err);
        CHECKF(t, rc == VL_OK, "%s ts %lld: %s", cases[i].rel, (long long)cases[i].ts_us, err.msg);
        if (rc != VL_OK) continue;
        CHECKF(t, x.s->version == cases[i].version, "%s ts %lld: version %lld, want %lld", cases[i].rel,
               (long long)cases[i].ts_us, (long long)x.s->version, (long long)cases[i].version);
        vl_buf b;
        vl_buf_init(&b);
        CHECK(t, scan_rows(x.s, NULL, 0, NULL, &b, NULL, &err) == VL_OK);
        CHECK_EQ_INT(t, sort_lines(&b), cases[i].rows);
        vl_buf_free(&b);
        tbl_close(&x);
    }
}

/* A table below the store's root ("a table inside a lake"): the same rows
 * as when the store is rooted at the table. */
static void t_table_under_prefix(vl_test *t) {
    NEED_DATA(t);
    static const struct {
        const char *rel;
        int64_t rows, version, checkpoint;
    } cases[] = {
        {"delta-rs/delta-0.8.0-special-partition", 2, 0, -1},
        {"golden/multi-part-checkpoint", 31, 1, 1},
        {"delta-rs/table_failed_last_checkpoint_update", 20, 3, -2},
        {"golden/corrupted-last-checkpoint-kernel", 100, 11, 10},
        {"dat/no_replay/delta", 5, 3, 2},
        {"dat/multi_partitioned/delta", 2, 2, -1},
    };
    vl_error err = {0, ""};
    vl_store *st = NULL;
    REQUIRE(t, vl_store_open(delta_dir(), &st, &err) == VL_OK);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        vl_delta_table *dt = NULL;
        vl_delta_snapshot *s = NULL;
        int rc = vl_delta_table_open(st, cases[i].rel, &dt, &err);
        if (rc == VL_OK) rc = vl_delta_snapshot_load(dt, VL_DELTA_LATEST, &s, &err);
        CHECKF(t, rc == VL_OK, "%s: %s %s", cases[i].rel, vl_strerror(rc), err.msg);
        if (rc == VL_OK) {
            CHECK_EQ_INT(t, s->version, cases[i].version);
            if (cases[i].checkpoint != -2) CHECK_EQ_INT(t, s->checkpoint_version, cases[i].checkpoint);
            vl_buf b;
            vl_buf_init(&b);
            rc = scan_rows(s, NULL, 0, NULL, &b, NULL, &err);
            CHECKF(t, rc == VL_OK, "%s: scan: %s", cases[i].rel, err.msg);
            CHECKF(t, (int64_t)sort_lines(&b) == cases[i].rows, "%s: rows", cases[i].rel);
            vl_buf_free(&b);
        }
        vl_delta_snapshot_free(s);
        vl_delta_table_close(dt);
    }
    vl_store_close(st);
}

/* A directory without _delta_log is not a table. */
static void t_no_table(vl_test *t) {
    NEED_DATA(t);
    vl_error err = {0, ""};
    tbl x;
    int rc = tbl_open(&x, "dat/basic_append", VL_DELTA_LATEST, &err);
    CHECKF(t, rc == VL_ENOTFOUND, "got %s (%s)", vl_strerror(rc), rc ? err.msg : "a snapshot");
    tbl_close(&x);
    rc = tbl_open(&x, "dat/basic_append/delta", at_v(7), &err);
    CHECKF(t, rc == VL_ENOTFOUND && strstr(err.msg, "7") && strstr(err.msg, "1"),
           "got %s (%s): want ENOTFOUND naming 7 and the latest 1", vl_strerror(rc), err.msg);
    tbl_close(&x);
}

/* Projection order, limit, unknown columns. */
static void t_scan_options(vl_test *t) {
    NEED_DATA(t);
    vl_error err = {0, ""};
    tbl x;
    int rc = tbl_open(&x, "dat/basic_partitioned/delta", VL_DELTA_LATEST, &err);
    REQUIRE(t, rc == VL_OK);
    vl_buf b;
    vl_buf_init(&b);
    static const char *const cols[] = {"number", "letter"};
    CHECK(t, scan_rows(x.s, cols, 2, NULL, &b, NULL, &err) == VL_OK);
    sort_lines(&b);
    vl_buf want;
    vl_buf_init(&want);
    lines_rows(L("{\"number\":1,\"letter\":\"a\"}", "{\"number\":2,\"letter\":\"b\"}",
                 "{\"number\":3,\"letter\":\"c\"}", "{\"number\":4,\"letter\":\"a\"}",
                 "{\"number\":5,\"letter\":\"e\"}", "{\"number\":6,\"letter\":null}"),
               &want);
    sort_lines(&want);
    CHECK_ROWS(t, "basic_partitioned number,letter", &b, &want);

    vl_delta_scan_opts o;
    vl_delta_scan_stats st;
    memset(&o, 0, sizeof(o));
    memset(&st, 0, sizeof(st));
    o.format = VL_DELTA_ROWS_NDJSON;
    o.limit = 2;
    vl_buf_clear(&b);
    CHECK(t, vl_delta_scan(x.s, &o, sink_buf, &b, &st, &err) == VL_OK);
    CHECK_EQ_INT(t, sort_lines(&b), 2);
    CHECK_EQ_INT(t, st.rows_out, 2);

    static const char *const bad[] = {"nope"};
    o.limit = -1;
    o.columns = bad;
    o.n_columns = 1;
    vl_buf_clear(&b);
    rc = vl_delta_scan(x.s, &o, sink_buf, &b, &st, &err);
    CHECKF(t, rc == VL_EINVAL && strstr(err.msg, "nope"), "got %s (%s)", vl_strerror(rc), err.msg);
    vl_buf_free(&b);
    vl_buf_free(&want);
    tbl_close(&x);
}

/* ================================================== log-replay details */

static void t_txn_app_version(vl_test *t) {
    NEED_DATA(t);
    static const char *app = "e4a20b59-dd0e-4c50-b074-e8ae4786df30";
    vl_error err = {0, ""};
    tbl x;
    int rc = tbl_open(&x, "delta-rs/delta-0.2.0", VL_DELTA_LATEST, &err);
    CHECKF(t, rc == VL_OK, "%s", err.msg);
    if (rc == VL_OK) {
        CHECK_EQ_INT(t, vl_delta_snapshot_app_version(x.s, app), 0);
        CHECK_EQ_INT(t, vl_delta_snapshot_app_version(x.s, "no-such-app"), -1);
        CHECK_EQ_INT(t, x.s->n_txns, 1);
        if (x.s->n_txns == 1) CHECK(t, vl_sv_eq_cstr(x.s->txns[0].app_id, app));
        tbl_close(&x);
    }
    /* the txn action is in commit 3: not visible at v2 */
    rc = tbl_open(&x, "delta-rs/delta-0.2.0", at_v(2), &err);
    CHECKF(t, rc == VL_OK, "%s", err.msg);
    if (rc == VL_OK) {
        CHECK_EQ_INT(t, vl_delta_snapshot_app_version(x.s, app), -1);
        tbl_close(&x);
    }
}

/* Checkpoint at v2 with stats only as stats_parsed (no `stats` column):
 * the v1 file's record count must come from the checkpoint's struct. The v2
 * file has stats_parsed null in the checkpoint (and none in its commit), so
 * its count is unknown, and so is the table's. */
#define V1_FILE "part-00000-7a509247-4f58-4453-9202-51d75dee59af-c000.snappy.parquet"
#define V2_FILE "part-00000-28925d3a-bdf2-411e-bca9-b067444cbcb0-c000.snappy.parquet"
static void t_stats_parsed_only(vl_test *t) {
    NEED_DATA(t);
    vl_error err = {0, ""};
    tbl x;
    int rc = tbl_open(&x, "delta-rs/delta-checkpoint-stats-optional", VL_DELTA_LATEST, &err);
    REQUIRE(t, rc == VL_OK);
    CHECK_EQ_INT(t, x.s->checkpoint_version, 2);
    CHECK_EQ_INT(t, x.s->n_files, 2);
    int seen = 0;
    for (size_t i = 0; i < x.s->n_files; i++) {
        const vl_delta_file *f = &x.s->files[i];
        if (vl_sv_eq_cstr(f->path, V1_FILE)) {
            CHECKF(t, f->num_records == 1, "v1 file: num_records %lld, want 1 (stats_parsed)",
                   (long long)f->num_records);
            seen |= 1;
        } else if (vl_sv_eq_cstr(f->path, V2_FILE)) {
            CHECKF(t, f->num_records == -1, "v2 file: num_records %lld, want -1 (no stats)",
                   (long long)f->num_records);
            seen |= 2;
        }
    }
    CHECK_EQ_INT(t, seen, 3);
    CHECK_EQ_INT(t, x.s->num_records, -1);
    /* v1 widened the schema: integer plus the many new columns */
    CHECK(t, x.s->metadata.schema.n_fields > 10);
    CHECK(t, vl_delta_field_find(&x.s->metadata.schema, VL_SV("struct_of_array_of_map"), NULL));
    /* the stats_parsed bounds prune: integer > 0 excludes the v1 file only */
    vl_arena a;
    vl_arena_init(&a, 0);
    const vl_delta_expr *e = NULL;
    rc = vl_delta_expr_parse("integer > 0", &x.s->metadata.schema, &a, &e, &err);
    CHECKF(t, rc == VL_OK, "%s", err.msg);
    if (rc == VL_OK) {
        vl_buf b;
        vl_delta_scan_stats st;
        static const char *const cols[] = {"integer"};
        memset(&st, 0, sizeof(st));
        vl_buf_init(&b);
        CHECK(t, scan_rows(x.s, cols, 1, e, &b, &st, &err) == VL_OK);
        CHECKF(t, b.n == 14 && memcmp(b.p, "{\"integer\":1}\n", 14) == 0, "rows: %.*s",
               (int)b.n, b.p ? b.p : "");
        CHECK_EQ_INT(t, st.files_pruned, 1);
        vl_buf_free(&b);
    }
    vl_arena_destroy(&a);
    tbl_close(&x);
}

/* _last_checkpoint points at v1 though v3 has a newer checkpoint; an empty
 * _last_checkpoint must make the reader list the log. */
static void t_last_checkpoint_stale_or_empty(vl_test *t) {
    NEED_DATA(t);
    vl_error err = {0, ""};
    tbl x;
    int rc = tbl_open(&x, "delta-rs/table_failed_last_checkpoint_update", VL_DELTA_LATEST, &err);
    CHECKF(t, rc == VL_OK, "%s", err.msg);
    if (rc == VL_OK) {
        CHECK_EQ_INT(t, x.s->version, 3);
        CHECKF(t, x.s->checkpoint_version == 1 || x.s->checkpoint_version == 3,
               "checkpoint_version %lld", (long long)x.s->checkpoint_version);
        CHECK_EQ_INT(t, x.s->num_records, 20);
        tbl_close(&x);
    }
    rc = tbl_open(&x, "golden/corrupted-last-checkpoint-kernel", VL_DELTA_LATEST, &err);
    CHECKF(t, rc == VL_OK, "%s", err.msg);
    if (rc == VL_OK) {
        CHECK_EQ_INT(t, x.s->version, 11);
        CHECK_EQ_INT(t, x.s->checkpoint_version, 10);
        tbl_close(&x);
    }
    /* no_replay: only the checkpoint can give v2 (commits 0 and 1 are gone) */
    rc = tbl_open(&x, "dat/no_replay/delta", at_v(2), &err);
    CHECKF(t, rc == VL_OK, "%s", err.msg);
    if (rc == VL_OK) {
        CHECK_EQ_INT(t, x.s->version, 2);
        CHECK_EQ_INT(t, x.s->checkpoint_version, 2);
        tbl_close(&x);
    }
}

/* nested_types: the map of row pk holds pk entries. */
static void t_nested_map_sizes(vl_test *t) {
    NEED_DATA(t);
    vl_error err = {0, ""};
    tbl x;
    int rc = tbl_open(&x, "dat/nested_types/delta", VL_DELTA_LATEST, &err);
    REQUIRE(t, rc == VL_OK);
    static const char *const cols[] = {"pk", "map"};
    vl_buf b;
    vl_buf_init(&b);
    rc = scan_rows(x.s, cols, 2, NULL, &b, NULL, &err);
    CHECKF(t, rc == VL_OK, "%s", err.msg);
    CHECK_EQ_INT(t, sort_lines(&b), 5);
    vl_arena a;
    vl_arena_init(&a, 0);
    int seen = 0;
    for (const char *p = b.p, *e = b.p + b.n; p && p < e;) {
        const char *nl = memchr(p, '\n', (size_t)(e - p));
        const vl_json *row;
        int64_t pk = -1;
        if (vl_json_parse(p, (size_t)(nl - p), &a, &row, &err) == VL_OK &&
            vl_json_i64(vl_json_get(row, "pk"), &pk)) {
            const vl_json *m = vl_json_get(row, "map");
            CHECKF(t, vl_json_kind(m) == VL_JSON_OBJECT && (int64_t)vl_json_len(m) == pk,
                   "pk %lld: map has %zu entries", (long long)pk, vl_json_len(m));
            seen |= 1 << pk;
        }
        p = nl + 1;
    }
    CHECK_EQ_INT(t, seen, 0x1f);
    vl_arena_destroy(&a);
    vl_buf_free(&b);
    tbl_close(&x);
}

/* Schema evolution: time-travel-schema-changes-b v0 is (id), v1 (id, part)
 * with part null for ids 0-9 and part = id for 10-19; with_schema_change v0
 * is (letter, number), v1 (num1, num2). */
static void t_schema_changes(vl_test *t) {
    NEED_DATA(t);
    vl_error err = {0, ""};
    tbl x;
    vl_buf got, want;
    char line[128];
    vl_buf_init(&got);
    vl_buf_init(&want);
    int rc = tbl_open(&x, "golden/time-travel-schema-changes-b", at_v(0), &err);
    CHECKF(t, rc == VL_OK, "%s", err.msg);
    if (rc == VL_OK) {
        CHECK_EQ_INT(t, x.s->metadata.schema.n_fields, 1);
        CHECK(t, scan_rows(x.s, NULL, 0, NULL, &got, NULL, &err) == VL_OK);
        ints_rows("id", "0-9", &want);
        sort_lines(&got);
        sort_lines(&want);
        CHECK_ROWS(t, "time-travel-schema-changes-b@v0", &got, &want);
        tbl_close(&x);
    }
    vl_buf_clear(&got);
    vl_buf_clear(&want);
    rc = tbl_open(&x, "golden/time-travel-schema-changes-b", VL_DELTA_LATEST, &err);
    CHECKF(t, rc == VL_OK, "%s", err.msg);
    if (rc == VL_OK) {
        CHECK_EQ_INT(t, x.s->version, 1);
        CHECK_EQ_INT(t, x.s->metadata.schema.n_fields, 2);
        CHECK(t, scan_rows(x.s, NULL, 0, NULL, &got, NULL, &err) == VL_OK);
        for (int i = 0; i < 20; i++) {
            if (i < 10) snprintf(line, sizeof(line), "{\"id\":%d,\"part\":null}\n", i);
            else snprintf(line, sizeof(line), "{\"id\":%d,\"part\":%d}\n", i, i);
            bputs(&want, line);
        }
        sort_lines(&got);
        sort_lines(&want);
        CHECK_ROWS(t, "time-travel-schema-changes-b@v1", &got, &want);
        tbl_close(&x);
    }
    rc = tbl_open(&x, "dat/with_schema_change/delta", at_v(0), &err);
    CHECKF(t, rc == VL_OK, "%s", err.msg);
    if (rc == VL_OK) {
        const vl_dt_type *st = &x.s->metadata.schema;
        CHECK_EQ_INT(t, st->n_fields, 2);
        if (st->n_fields == 2) {
            CHECK(t, vl_sv_eq_cstr(st->fields[0].name, "letter"));
            CHECK(t, vl_sv_eq_cstr(st->fields[1].name, "number"));
        }
        tbl_close(&x);
    }
    rc = tbl_open(&x, "delta-rs/delta-0.8-empty", VL_DELTA_LATEST, &err);
    CHECKF(t, rc == VL_OK, "%s", err.msg);
    if (rc == VL_OK) {
        const vl_dt_field *f = vl_delta_field_find(&x.s->metadata.schema, VL_SV("column"), NULL);
        CHECK(t, f && f->type.kind == VL_DT_LONG);
        tbl_close(&x);
    }
    vl_buf_free(&got);
    vl_buf_free(&want);
}

/* ============================================================== pruning */

typedef struct prune_spec {
    const char *rel;
    int64_t at;
    const char *where;
    size_t min_pruned;       /* files_pruned must be at least this */
    bool all_pruned;         /* and then every file */
    const char *const *rows; /* exact rows (all columns); NULL-terminated */
} prune_spec;

static const prune_spec k_prunes[] = {
    {"dat/basic_partitioned/delta", -1, "letter = 'a'", 1, false,
     L("{\"letter\":\"a\",\"number\":1,\"a_float\":1.1}",
       "{\"letter\":\"a\",\"number\":4,\"a_float\":4.4}")},
    {"dat/basic_partitioned/delta", -1, "letter IS NULL", 1, false,
     L("{\"letter\":null,\"number\":6,\"a_float\":6.6}")},
    {"dat/basic_partitioned/delta", -1, "letter = 'z'", 1, true, (const char *const[]){NULL}},
    {"dat/basic_partitioned/delta", -1, "letter IN ('b', 'e') AND number > 2", 1, false,
     L("{\"letter\":\"e\",\"number\":5,\"a_float\":5.5}")},
    /* SQL: a comparison with null is unknown, and unknown rows are dropped */
    {"dat/basic_partitioned/delta", -1, "letter != 'a'", 1, false,
     L("{\"letter\":\"b\",\"number\":2,\"a_float\":2.2}",
       "{\"letter\":\"c\",\"number\":3,\"a_float\":3.3}",
       "{\"letter\":\"e\",\"number\":5,\"a_float\":5.5}")},
    {"dat/basic_partitioned/delta", -1, "NOT (letter = 'a' OR letter = 'b')", 1, false,
     L("{\"letter\":\"c\",\"number\":3,\"a_float\":3.3}",
       "{\"letter\":\"e\",\"number\":5,\"a_float\":5.5}")},
    {"dat/basic_partitioned/delta", -1, "letter NOT IN ('a', 'b', 'c')", 1, false,
     L("{\"letter\":\"e\",\"number\":5,\"a_float\":5.5}")},
    {"dat/basic_partitioned/delta", -1, "letter IS NULL OR number = 2", 1, false,
     L("{\"letter\":\"b\",\"number\":2,\"a_float\":2.2}",
       "{\"letter\":null,\"number\":6,\"a_float\":6.6}")},
    {"dat/multi_partitioned/delta", 1, "letter = 'b'", 1, false,
     L("{\"letter\":\"b\",\"date\":\"1970-01-01\",\"data\":\"d29ybGQ=\",\"number\":2}",
       "{\"letter\":\"b\",\"date\":\"1970-01-02\",\"data\":\"d29ybGQ=\",\"number\":3}")},
    {"dat/multi_partitioned/delta", 1, "date IS NULL", 1, false,
     L("{\"letter\":\"a\",\"date\":null,\"data\":\"eA==\",\"number\":4}",
       "{\"letter\":null,\"date\":null,\"data\":null,\"number\":5}")},
    {"dat/multi_partitioned/delta", 1, "letter = 'b' AND date = '1970-01-02'", 1, false,
     L("{\"letter\":\"b\",\"date\":\"1970-01-02\",\"data\":\"d29ybGQ=\",\"number\":3}")},
    {"dat/multi_partitioned/delta", -1, "letter = '/%20%f'", 1, false,
     L("{\"letter\":\"/%20%f\",\"date\":\"1970-01-01\",\"data\":\"aGVsbG8=\",\"number\":6}")},
    {"delta-rs/delta-0.8.0-partitioned", -1, "year = '2021' AND month = '12'", 1, false,
     L("{\"value\":\"5\",\"year\":\"2021\",\"month\":\"12\",\"day\":\"4\"}",
       "{\"value\":\"6\",\"year\":\"2021\",\"month\":\"12\",\"day\":\"20\"}",
       "{\"value\":\"7\",\"year\":\"2021\",\"month\":\"12\",\"day\":\"20\"}")},
    {"delta-rs/delta-0.8.0-special-partition", -1, "x = 'A/A'", 1, false,
     L("{\"x\":\"A/A\",\"y\":1}")},
    {"delta-rs/delta-0.8.0-null-partition", -1, "k IS NOT NULL", 1, false,
     L("{\"k\":\"A\",\"v\":1}")},
    {"golden/data-reader-escaped-chars", -1, "_2 = 'bar+%22'", 1, false,
     L("{\"_1\":\"foo2\",\"_2\":\"bar+%22\"}")},
    {"golden/kernel-timestamp-INT96", -1, "part = '2020-01-01 08:09:10.001'", 1, false,
     L("{\"id\":0,\"part\":\"2020-01-01T08:09:10.001000Z\",\"time\":\"2020-02-01T08:09:10.000000Z\"}")},
    {"golden/kernel-timestamp-INT96", -1, "part < '2000-01-01 00:00:00'", 1, false,
     L("{\"id\":3,\"part\":\"1969-01-01T00:00:00.000000Z\",\"time\":\"1969-01-01T00:00:00.000000Z\"}")},
    {"golden/kernel-timestamp-INT96", -1, "part = '2021-10-01 08:09:20'", 1, false,
     L("{\"id\":1,\"part\":\"2021-10-01T08:09:20.000000Z\",\"time\":\"1999-01-01T09:00:00.000000Z\"}",
       "{\"id\":2,\"part\":\"2021-10-01T08:09:20.000000Z\",\"time\":\"2000-01-01T09:00:00.000000Z\"}")},
    /* by stats (min/max of number): the v0 file holds 1..3 */
    {"dat/basic_append/delta", -1, "number >= 4", 1, false,
     L("{\"letter\":\"d\",\"number\":4,\"a_float\":4.4}",
       "{\"letter\":\"e\",\"number\":5,\"a_float\":5.5}")},
    {"delta-rs/delta-0.8.0", -1, "value > 100", 1, true, (const char *const[]){NULL}},
    /* no stats at all: nothing may be pruned wrongly */
    {"dat/no_stats/delta", -1, "letter = 'a'", 0, false,
     L("{\"letter\":\"a\",\"int\":93,\"date\":\"1975-06-01\"}",
       "{\"letter\":\"a\",\"int\":595,\"date\":\"2013-03-01\"}")},
};

static void run_prune(vl_test *t, const prune_spec *p) {
    char label[512];
    vl_error err = {0, ""};
    tbl x;
    snprintf(label, sizeof(label), "%s@%lld where %s", p->rel, (long long)p->at, p->where);
    int rc = tbl_open(&x, p->rel, at_v(p->at), &err);
    CHECKF(t, rc == VL_OK, "%s: load: %s", label, err.msg);
    if (rc != VL_OK) return;
    vl_arena a;
    vl_arena_init(&a, 0);
    const vl_delta_expr *e = NULL;
    rc = vl_delta_expr_parse(p->where, &x.s->metadata.schema, &a, &e, &err);
    CHECKF(t, rc == VL_OK, "%s: parse: %s %s", label, vl_strerror(rc), err.msg);
    if (rc == VL_OK) {
        vl_buf got, want;
        vl_delta_scan_stats st;
        memset(&st, 0, sizeof(st));
        vl_buf_init(&got);
        vl_buf_init(&want);
        rc = scan_rows(x.s, NULL, 0, e, &got, &st, &err);
        CHECKF(t, rc == VL_OK, "%s: scan: %s %s", label, vl_strerror(rc), err.msg);
        lines_rows(p->rows, &want);
        size_t n = sort_lines(&got);
        sort_lines(&want);
        CHECK_ROWS(t, label, &got, &want);
        CHECKF(t, st.rows_out == (int64_t)n, "%s: rows_out %lld, %zu rows written", label,
               (long long)st.rows_out, n);
        CHECKF(t, st.files_total == x.s->n_files, "%s: files_total %zu, want %zu", label,
               st.files_total, x.s->n_files);
        CHECKF(t, st.files_pruned >= p->min_pruned, "%s: files_pruned %zu, want >= %zu", label,
               st.files_pruned, p->min_pruned);
        if (p->all_pruned)
            CHECKF(t, st.files_pruned == st.files_total, "%s: pruned %zu of %zu", label,
                   st.files_pruned, st.files_total);
        CHECKF(t, st.files_pruned + st.files_read == st.files_total,
               "%s: pruned %zu + read %zu != total %zu", label, st.files_pruned, st.files_read,
               st.files_total);
        /* vl_delta_file_may_match agrees with the pruned count */
        size_t no = 0;
        for (size_t i = 0; i < x.s->n_files; i++) no += !vl_delta_file_may_match(x.s, &x.s->files[i], e);
        CHECKF(t, no == st.files_pruned, "%s: file_may_match says %zu prunable, scan pruned %zu",
               label, no, st.files_pruned);
        vl_buf_free(&got);
        vl_buf_free(&want);
    }
    vl_arena_destroy(&a);
    tbl_close(&x);
}

static void run_prunes(vl_test *t, const char *rel) {
    size_t n = 0;
    for (size_t i = 0; i < sizeof(k_prunes) / sizeof(k_prunes[0]); i++) {
        if (strcmp(k_prunes[i].rel, rel) != 0) continue;
        run_prune(t, &k_prunes[i]);
        n++;
    }
    CHECKF(t, n > 0, "no pruning specs for %s", rel);
}

#define PRUNE_TEST(fn, rel)                                                               \
    static void fn(vl_test *t) {                                                          \
        NEED_DATA(t);                                                                     \
        run_prunes(t, rel);                                                               \
    }
PRUNE_TEST(t_prune_basic_partitioned, "dat/basic_partitioned/delta")
PRUNE_TEST(t_prune_multi_partitioned, "dat/multi_partitioned/delta")
PRUNE_TEST(t_prune_080_partitioned, "delta-rs/delta-0.8.0-partitioned")
PRUNE_TEST(t_prune_special_partition, "delta-rs/delta-0.8.0-special-partition")
PRUNE_TEST(t_prune_null_partition, "delta-rs/delta-0.8.0-null-partition")
PRUNE_TEST(t_prune_escaped_chars, "golden/data-reader-escaped-chars")
PRUNE_TEST(t_prune_int96_partition, "golden/kernel-timestamp-INT96")
PRUNE_TEST(t_prune_stats_basic_append, "dat/basic_append/delta")
PRUNE_TEST(t_prune_stats_080, "delta-rs/delta-0.8.0")
PRUNE_TEST(t_prune_no_stats, "dat/no_stats/delta")

/* Predicates on every partition type of data-reader-partition-values; rows
 * shown by as_int (0, 1, or null for the all-null row). */
static void t_prune_typed_partitions(vl_test *t) {
    NEED_DATA(t);
    static const struct {
        const char *where;
        const char *ints; /* as_int values of the matching rows, "n" = null */
    } cases[] = {
        {"as_string_lit_null = 'null'", "0,1"},
        {"as_string_lit_null IS NULL", "n"},
        {"as_string = 'null'", ""},
        {"as_boolean = false", "1"},
        {"as_boolean = true", "0"},
        {"as_float = 0", "0"},
        {"as_double = 1.0", "1"},
        {"as_big_decimal = 1", "1"},
        {"as_date = '2021-09-08'", "0,1"},
        {"as_timestamp = '2021-09-08 11:11:11'", "0,1"},
        {"as_timestamp > '2021-09-08 11:11:11'", ""},
        {"as_long > 0", "1"},
        {"as_byte = 0", "0"},
        {"as_short IS NOT NULL", "0,1"},
        {"as_int IN (1, 2)", "1"},
    };
    vl_error err = {0, ""};
    tbl x;
    int rc = tbl_open(&x, "golden/data-reader-partition-values", VL_DELTA_LATEST, &err);
    REQUIRE(t, rc == VL_OK);
    static const char *const cols[] = {"as_int"};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        vl_arena a;
        vl_arena_init(&a, 0);
        const vl_delta_expr *e = NULL;
        rc = vl_delta_expr_parse(cases[i].where, &x.s->metadata.schema, &a, &e, &err);
        CHECKF(t, rc == VL_OK, "%s: parse: %s", cases[i].where, err.msg);
        if (rc == VL_OK) {
            vl_buf got, want;
            vl_delta_scan_stats st;
            memset(&st, 0, sizeof(st));
            vl_buf_init(&got);
            vl_buf_init(&want);
            rc = scan_rows(x.s, cols, 1, e, &got, &st, &err);
            CHECKF(t, rc == VL_OK, "%s: scan: %s", cases[i].where, err.msg);
            for (const char *p = cases[i].ints; *p; p++) {
                if (*p == ',') continue;
                if (*p == 'n') bputs(&want, "{\"as_int\":null}\n");
                else {
                    char line[32];
                    snprintf(line, sizeof(line), "{\"as_int\":%c}\n", *p);
                    bputs(&want, line);
                }
            }
            sort_lines(&got);
            sort_lines(&want);
            CHECK_ROWS(t, cases[i].where, &got, &want);
            /* three files, one per row: all that cannot match are pruned */
            CHECKF(t, st.files_read == (size_t)sort_lines(&want), "%s: read %zu files", cases[i].where,
                   st.files_read);
            vl_buf_free(&got);
            vl_buf_free(&want);
        }
        vl_arena_destroy(&a);
    }
    tbl_close(&x);
}

/* ================================================================ table */

static const vl_test_case cases[] = {
    {"DAT basic_append matches expected/ at every version", t_dat_basic_append},
    {"DAT basic_partitioned matches expected/ at every version", t_dat_basic_partitioned},
    {"DAT multi_partitioned matches expected/ at every version", t_dat_multi_partitioned},
    {"DAT all_primitive_types matches expected/", t_dat_all_primitive_types},
    {"DAT nested_types matches expected/", t_dat_nested_types},
    {"DAT with_checkpoint matches expected/", t_dat_with_checkpoint},
    {"DAT no_replay matches expected/", t_dat_no_replay},
    {"DAT no_stats matches expected/", t_dat_no_stats},
    {"DAT with_schema_change matches expected/", t_dat_with_schema_change},
    {"basic_append rows per README", t_rd_basic_append},
    {"basic_partitioned counts per README", t_rd_basic_partitioned},
    {"multi_partitioned v2 overwrite per README", t_rd_multi_partitioned},
    {"all_primitive_types values per README", t_rd_all_primitive_types},
    {"nested_types arrays per README", t_rd_nested_types},
    {"nested_types map sizes", t_nested_map_sizes},
    {"with_checkpoint latest from checkpoint", t_rd_with_checkpoint},
    {"no_replay latest from checkpoint without commits 0-1", t_rd_no_replay},
    {"no_stats latest", t_rd_no_stats},
    {"with_schema_change rows per README", t_rd_with_schema_change},
    {"simple_table every version, .tmp commit ignored", t_rd_simple_table},
    {"delta-0.8.0 delete as remove+add", t_rd_delta_080},
    {"delta-0.8.0-partitioned 3-level partitions", t_rd_delta_080_partitioned},
    {"delta-0.8.0-null-partition null partition value", t_rd_delta_080_null_partition},
    {"delta-0.8.0-special-partition A/A and B B", t_rd_delta_080_special_partition},
    {"delta-0.2.0 every version and checkpoint v3", t_rd_delta_020},
    {"delta-0.2.0 txn appId version", t_txn_app_version},
    {"simple_table_with_checkpoint vN has N+1 rows", t_rd_simple_table_with_checkpoint},
    {"delta-0.8-empty empties the table", t_rd_delta_08_empty},
    {"simple_table_with_cdc ignores cdc files", t_rd_simple_table_with_cdc},
    {"table_failed_last_checkpoint_update latest rows", t_rd_failed_last_checkpoint},
    {"delta-checkpoint-stats-optional rows", t_rd_checkpoint_stats_optional},
    {"stats_parsed-only checkpoint gives num_records", t_stats_parsed_only},
    {"stale or empty _last_checkpoint still reaches the latest", t_last_checkpoint_stale_or_empty},
    {"multi-part checkpoint", t_rd_multi_part_checkpoint},
    {"time-travel-start-start20-start40 every version", t_rd_time_travel_start},
    {"basic-with-inserts-deletes-checkpoint versions", t_rd_inserts_deletes_checkpoint},
    {"corrupted-last-checkpoint-kernel latest", t_rd_corrupted_last_checkpoint},
    {"data-reader-partition-values typed partitions and literal \"null\"",
     t_rd_partition_values},
    {"data-reader-escaped-chars + and % in partition values", t_rd_escaped_chars},
    {"kernel-timestamp-INT96 INT96 and timestamp partitions", t_rd_int96},
    {"schema changes across versions", t_schema_changes},
    {"refuses deletion vectors", t_refuse_dv},
    {"refuses column mapping", t_refuse_column_mapping},
    {"refuses v2 checkpoints", t_refuse_v2_checkpoint},
    {"refuses unknown reader feature blahabl", t_refuse_unknown_feature},
    {"refuses reader version 99", t_refuse_reader_99},
    {"refuses a gap in versions naming version 1", t_refuse_gap},
    {"time travel by timestamp (commitInfo)", t_time_travel_timestamp},
    {"snapshot timestamp_ms is the commit's", t_commit_timestamps},
    {"history newest first with timestamps", t_history},
    {"versions beyond the latest or cleaned up are ENOTFOUND", t_version_beyond_latest},
    {"latest version by listing", t_latest_version_listing},
    {"prune basic_partitioned by letter", t_prune_basic_partitioned},
    {"prune multi_partitioned", t_prune_multi_partitioned},
    {"prune delta-0.8.0-partitioned", t_prune_080_partitioned},
    {"prune special partition A/A", t_prune_special_partition},
    {"prune null partition", t_prune_null_partition},
    {"prune escaped partition values", t_prune_escaped_chars},
    {"prune timestamp partition", t_prune_int96_partition},
    {"prune by stats basic_append", t_prune_stats_basic_append},
    {"prune by stats delta-0.8.0", t_prune_stats_080},
    {"no stats prunes nothing wrongly", t_prune_no_stats},
    {"prune on every partition type, \"null\" vs null", t_prune_typed_partitions},
    {"snapshot timestamp at a checkpoint version", t_checkpoint_version_timestamps},
    {"time travel by timestamp across checkpoints", t_time_travel_timestamp_checkpoint},
    {"tables below the store root", t_table_under_prefix},
    {"no _delta_log or a missing version is ENOTFOUND", t_no_table},
    {"scan projection order, limit, unknown column", t_scan_options},
};

VL_TEST_MAIN(cases)
