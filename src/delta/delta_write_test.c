/* vidlake - Apache-2.0 */
/*
 * Unit tests of the Delta write path (delta_txn.c, delta_checkpoint.c,
 * delta_maint.c, the cleanup in delta_log.c), each in a fresh table under
 * a temporary directory that the test removes: the create commit read raw
 * from the log, appends shredded from NDJSON rows and scanned back, the
 * stats of the add actions, Hive partition directories with escaping,
 * partition overwrites and time travel, idempotent txn versions, the
 * conflict rules of concurrent commits, schema evolution, interval
 * checkpoints against a JSON-only replay, log cleanup, optimize and vacuum,
 * and allocation failures injected into append+commit and checkpoints.
 *
 * Rows go in and come out in the scan conventions (DESIGN.md), so an input
 * written in canonical form must come back byte for byte; rows are compared
 * as sorted NDJSON lines because files are read in path order.
 */
#include "delta/delta.h"
#include "vl_test.h"

#include <errno.h>
#include <ftw.h>
#include <sys/wait.h>
#include <unistd.h>

/* ------------------------------------------------------------- fixture */

typedef struct fixture {
    char dir[512];  /* the test's temporary directory */
    char root[600]; /* dir/lake: the store root */
    vl_store *s;
    vl_delta_table *t; /* the table at the store's root */
} fixture;

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f) {
    (void)st, (void)flag, (void)f;
    return remove(p) == 0 ? 0 : -1;
}

static void rm_rf(const char *dir) { nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS); }

static bool fx_open(vl_test *t, fixture *fx) {
    memset(fx, 0, sizeof(*fx));
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp) tmp = "/tmp";
    snprintf(fx->dir, sizeof(fx->dir), "%s/vl-delta-write-test.XXXXXX", tmp);
    if (!mkdtemp(fx->dir)) {
        CHECKF(t, 0, "mkdtemp %s: %s", fx->dir, strerror(errno));
        return false;
    }
    snprintf(fx->root, sizeof(fx->root), "%s/lake", fx->dir);
    vl_error err = {0};
    if (vl_store_open(fx->root, &fx->s, &err) != VL_OK || vl_delta_table_open(fx->s, "", &fx->t, &err) != VL_OK) {
        CHECKF(t, 0, "%s", err.msg);
        vl_store_close(fx->s);
        rm_rf(fx->dir);
        return false;
    }
    return true;
}

static void fx_close(fixture *fx) {
    vl_delta_table_close(fx->t);
    vl_store_close(fx->s);
    rm_rf(fx->dir);
}

/* Commits retry quickly in tests. */
static const vl_delta_commit_opts FAST = {.max_attempts = 50, .backoff_us = 100};

/* ------------------------------------------------------------- helpers */

static bool has(const char *hay, const char *needle) { return hay && strstr(hay, needle) != NULL; }

/* Creates the table with a DDL schema, partition columns and properties
 * given as "key", "value" pairs. */
static int create_table(fixture *fx, const char *ddl, const char *const *parts, uint32_t n_parts,
                        const char *const *conf, uint32_t n_conf, vl_error *err) {
    vl_arena a;
    vl_arena_init(&a, 0);
    vl_dt_type st;
    vl_delta_kv kv[16];
    for (uint32_t i = 0; i < n_conf && i < 16; i++)
        kv[i] = (vl_delta_kv){vl_sv_cstr(conf[2 * i]), vl_sv_cstr(conf[2 * i + 1]), false};
    vl_delta_txn *x = NULL;
    int64_t v = -1;
    int rc = vl_delta_schema_from_ddl(ddl, &a, &st, err);
    if (rc == VL_OK) rc = vl_delta_txn_begin(fx->t, &x, err);
    if (rc == VL_OK) rc = vl_delta_txn_set_metadata(x, &st, parts, n_parts, kv, n_conf, err);
    if (rc == VL_OK) rc = vl_delta_txn_commit(x, &FAST, &v, err);
    vl_delta_txn_free(x);
    vl_arena_destroy(&a);
    return rc;
}

/*
 * Writes NDJSON rows (which carry their partition columns) through x: one
 * data file per distinct combination of partition values, shredded with
 * the non-partition fields of the transaction's schema.
 */
static int write_rows(vl_delta_txn *x, const char *rows, vl_error *err) {
    const vl_delta_metadata *md = vl_delta_txn_metadata(x);
    const vl_dt_type *st = &md->schema;
    enum { MAXR = 128, MAXF = 64 };
    const vl_json *row[MAXR];
    char *key[MAXR];
    bool done[MAXR], keep[MAXF];
    size_t n = 0;
    if (st->n_fields > MAXF || md->n_partition_columns > 8) return vl_error_set(err, VL_EINVAL, "test: schema too big");
    for (uint32_t i = 0; i < st->n_fields; i++) keep[i] = true;
    for (uint32_t p = 0; p < md->n_partition_columns; p++) keep[md->partition_index[p]] = false;
    vl_arena a;
    vl_arena_init(&a, 0);
    vl_buf kb;
    vl_buf_init(&kb);
    int rc = VL_OK;
    for (const char *p = rows; rc == VL_OK && *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        const char *line = p;
        p += len + (nl != NULL);
        if (len == 0) continue;
        if (n == MAXR) {
            rc = vl_error_set(err, VL_EINVAL, "test: too many rows");
            break;
        }
        rc = vl_json_parse(line, len, &a, &row[n], err);
        if (rc) break;
        vl_buf_clear(&kb);
        vl_json_w w;
        vl_json_w_init(&w, &kb, 0);
        vl_json_w_begin_arr(&w);
        for (uint32_t c = 0; c < md->n_partition_columns; c++) {
            const vl_json *v = vl_json_get_sv(row[n], md->partition_columns[c]);
            if (v) vl_json_w_value(&w, v);
            else vl_json_w_null(&w);
        }
        vl_json_w_end_arr(&w);
        rc = vl_json_w_finish(&w, err);
        if (rc) break;
        key[n] = strndup(kb.p, kb.n);
        done[n] = false;
        n++;
    }
    for (size_t i = 0; rc == VL_OK && i < n; i++) {
        if (done[i]) continue;
        vl_delta_shredder *sh = NULL;
        vl_delta_value pv[8];
        memset(pv, 0, sizeof(pv));
        rc = vl_delta_shredder_new(st, keep, &sh, err);
        for (uint32_t c = 0; rc == VL_OK && c < md->n_partition_columns; c++) {
            const vl_dt_type *pt = &st->fields[md->partition_index[c]].type;
            const vl_json *v = vl_json_get_sv(row[i], md->partition_columns[c]);
            if (!v) pv[c].is_null = true;
            else rc = vl_delta_value_from_json(pt, v, &a, &pv[c], err);
        }
        for (size_t j = i; rc == VL_OK && j < n; j++) {
            if (done[j] || strcmp(key[j], key[i]) != 0) continue;
            rc = vl_delta_shredder_add(sh, row[j], err);
            done[j] = true;
        }
        if (rc == VL_OK) {
            uint32_t nl;
            const vl_pq_column *cols = vl_delta_shredder_columns(sh, &nl);
            rc = vl_delta_txn_write(x, pv, cols, vl_delta_shredder_rows(sh), err);
        }
        vl_delta_shredder_free(sh);
    }
    for (size_t i = 0; i < n; i++) free(key[i]);
    vl_buf_free(&kb);
    vl_arena_destroy(&a);
    return rc;
}

/* One append commit of rows; *version receives the committed version. */
static int append(fixture *fx, const char *rows, int64_t *version, vl_error *err) {
    vl_delta_txn *x = NULL;
    int64_t v = -1;
    int rc = vl_delta_txn_begin(fx->t, &x, err);
    if (rc == VL_OK) rc = write_rows(x, rows, err);
    if (rc == VL_OK) rc = vl_delta_txn_commit(x, &FAST, &v, err);
    vl_delta_txn_free(x);
    if (version) *version = v;
    return rc;
}

#define APPEND(t, fx, rows, want_v)                                                        \
    do {                                                                                   \
        vl_error vl__e = {0};                                                              \
        int64_t vl__v = -1;                                                                \
        int vl__rc = append(fx, rows, &vl__v, &vl__e);                                     \
        CHECKF(t, vl__rc == VL_OK, "append: %s", vl__e.msg);                               \
        if ((want_v) >= 0) CHECK_EQ_INT(t, vl__v, want_v);                                 \
    } while (0)

static int cmp_cstr(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The '\n'-terminated lines of s, sorted, as a malloc'd string. */
static char *sort_lines(const char *s) {
    size_t n = 0, len = strlen(s);
    for (size_t i = 0; i < len; i++) n += s[i] == '\n';
    char *copy = strdup(s);
    char **v = calloc(n + 1, sizeof(*v));
    size_t k = 0;
    for (char *p = copy; *p && k < n;) {
        char *nl = strchr(p, '\n');
        if (!nl) break;
        *nl = '\0';
        v[k++] = p;
        p = nl + 1;
    }
    qsort(v, k, sizeof(*v), cmp_cstr);
    char *out = malloc(len + 2);
    size_t o = 0;
    for (size_t i = 0; i < k; i++) {
        size_t l = strlen(v[i]);
        memcpy(out + o, v[i], l);
        o += l;
        out[o++] = '\n';
    }
    out[o] = '\0';
    free(v);
    free(copy);
    return out;
}

static int buf_sink(void *ctx, const char *p, size_t n, vl_error *err) {
    if (vl_buf_append(ctx, p, n)) return vl_error_set(err, VL_ENOMEM, "out of memory");
    return VL_OK;
}

/* The rows of the snapshot at `at`, sorted, or "<CODE: msg>"; malloc'd. */
static char *scan_at(fixture *fx, vl_delta_at at) {
    vl_delta_snapshot *s = NULL;
    vl_error err = {0};
    vl_buf b;
    vl_buf_init(&b);
    vl_delta_scan_opts o = {.format = VL_DELTA_ROWS_NDJSON, .limit = -1};
    int rc = vl_delta_snapshot_load(fx->t, at, &s, &err);
    if (rc == VL_OK) rc = vl_delta_scan(s, &o, buf_sink, &b, NULL, &err);
    char *r;
    if (rc) {
        r = malloc(700);
        snprintf(r, 700, "<%s: %s>", vl_strerror(rc), err.msg);
    } else {
        r = sort_lines(vl_buf_cstr(&b) ? vl_buf_cstr(&b) : "");
    }
    vl_buf_free(&b);
    vl_delta_snapshot_free(s);
    return r;
}

#define CHECK_ROWS(t, fx, at, want)                                                        \
    do {                                                                                   \
        char *vl__g = scan_at(fx, at), *vl__w = sort_lines(want);                          \
        CHECKF(t, strcmp(vl__g, vl__w) == 0, "\n--- got\n%s--- want\n%s", vl__g, vl__w);   \
        free(vl__g);                                                                       \
        free(vl__w);                                                                       \
    } while (0)

/* Ends the case when rc is an error, printing err's message. */
#define REQUIRE_OK(t, rc, err)                                                             \
    do {                                                                                   \
        if ((rc) != VL_OK) {                                                               \
            CHECKF(t, 0, "rc %d: %s", (rc), (err).msg);                                    \
            fx_close(&fx);                                                                 \
            return;                                                                        \
        }                                                                                  \
    } while (0)

#define AT(v) ((vl_delta_at){(v), -1})

static vl_delta_snapshot *load(vl_test *t, fixture *fx, vl_delta_at at) {
    vl_delta_snapshot *s = NULL;
    vl_error err = {0};
    int rc = vl_delta_snapshot_load(fx->t, at, &s, &err);
    CHECKF(t, rc == VL_OK, "load %lld: %s", (long long)at.version, err.msg);
    return rc == VL_OK ? s : NULL;
}

/* An object's bytes as a malloc'd string, or NULL. */
static char *get_str(fixture *fx, const char *key) {
    vl_buf b;
    vl_buf_init(&b);
    vl_error err;
    char *r = NULL;
    if (vl_store_get(fx->s, key, &b, &err) == VL_OK) r = strndup(b.n ? b.p : "", b.n);
    vl_buf_free(&b);
    return r;
}

static bool exists(fixture *fx, const char *key) {
    vl_store_obj o;
    vl_error err;
    return vl_store_head(fx->s, key, &o, &err) == VL_OK;
}

static int list_cb(void *ctx, const vl_store_obj *o, vl_error *err) {
    if (vl_buf_append(ctx, o->key, o->key_len) || vl_buf_putc(ctx, '\n'))
        return vl_error_set(err, VL_ENOMEM, "out of memory");
    return VL_OK;
}

/* The keys under prefix, one a line; malloc'd. */
static char *list_keys(fixture *fx, const char *prefix) {
    vl_buf b;
    vl_buf_init(&b);
    vl_error err;
    char *r;
    if (vl_store_list(fx->s, prefix, NULL, list_cb, &b, &err) != VL_OK) r = strdup("<list failed>");
    else r = strndup(b.n ? b.p : "", b.n);
    vl_buf_free(&b);
    return r;
}

static size_t count_lines(const char *s) {
    size_t n = 0;
    for (; s && *s; s++) n += *s == '\n';
    return n;
}

/* One commit file parsed into its actions. */
typedef struct logf {
    char *text;
    vl_arena a;
    const vl_json *act[256];
    size_t n;
} logf;

static bool log_read(vl_test *t, fixture *fx, int64_t v, logf *L) {
    memset(L, 0, sizeof(*L));
    vl_arena_init(&L->a, 0);
    char key[64];
    snprintf(key, sizeof(key), "_delta_log/%020lld.json", (long long)v);
    L->text = get_str(fx, key);
    if (!L->text) {
        CHECKF(t, 0, "no %s", key);
        return false;
    }
    for (char *p = L->text; *p && L->n < 256;) {
        char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        vl_error err;
        if (len && vl_json_parse(p, len, &L->a, &L->act[L->n], &err) != VL_OK) {
            CHECKF(t, 0, "%s: %s", key, err.msg);
            return false;
        }
        if (len) L->n++;
        p += len + (nl != NULL);
    }
    return true;
}

static void log_free(logf *L) {
    free(L->text);
    vl_arena_destroy(&L->a);
}

/* The i-th action of a kind ("add", "commitInfo", ...), or NULL. */
static const vl_json *log_get(const logf *L, const char *kind, size_t i) {
    for (size_t k = 0; k < L->n; k++) {
        const vl_json *v = vl_json_get(L->act[k], kind);
        if (v && !vl_json_is_null(v) && i-- == 0) return v;
    }
    return NULL;
}

static size_t log_count(const logf *L, const char *kind) {
    size_t n = 0;
    while (log_get(L, kind, n)) n++;
    return n;
}

static bool json_is_str(const vl_json *v, const char *want) {
    vl_sv s;
    return vl_json_str(v, &s) && vl_sv_eq_cstr(s, want);
}

static bool json_is_int(const vl_json *v, int64_t want) {
    int64_t i;
    return vl_json_i64(v, &i) && i == want;
}

static bool json_is_num(const vl_json *v, double want) {
    double d;
    return vl_json_f64(v, &d) && d == want;
}

static bool json_num_text(const vl_json *v, const char *want) {
    vl_sv s;
    return vl_json_num_text(v, &s) && vl_sv_eq_cstr(s, want);
}

static bool json_is_bool(const vl_json *v, bool want) {
    bool b;
    return vl_json_bool(v, &b) && b == want;
}

/* A snapshot file by its partition value of column 0 (NULL: null), or NULL. */
static const vl_delta_file *file_in(const vl_delta_snapshot *s, const char *pv, size_t i) {
    for (size_t k = 0; k < s->n_files; k++) {
        const vl_delta_file *f = &s->files[k];
        if (f->n_partition_values < 1) continue;
        const vl_delta_kv *kv = &f->partition_values[0];
        bool match = pv ? !kv->value_null && vl_sv_eq_cstr(kv->value, pv) : kv->value_null;
        if (match && i-- == 0) return f;
    }
    return NULL;
}

/* Deletes every key under prefix whose name contains `part`. */
static int delete_matching(fixture *fx, const char *prefix, const char *part) {
    char *keys = list_keys(fx, prefix);
    int n = 0;
    for (char *p = keys; *p;) {
        char *nl = strchr(p, '\n');
        *nl = '\0';
        vl_error err;
        if (strstr(p, part) && vl_store_delete(fx->s, p, &err) == VL_OK) n++;
        p = nl + 1;
    }
    free(keys);
    return n;
}

/* ---------------------------------------------------------------- create */

#define ALL_TYPES_DDL                                                                      \
    "id long NOT NULL, s string, i int, sh short, b byte, f float, d double, ok boolean, "  \
    "bin binary, day date, ts timestamp, p decimal(7,2), big decimal(30,4), "              \
    "st struct<x:int,y:string,z:struct<q:double NOT NULL>>, arr array<int>, "              \
    "m map<string,long>, im map<int,array<string>>, part string"

static void t_create(vl_test *t) {
    fixture fx;
    if (!fx_open(t, &fx)) return;
    vl_error err = {0};
    const char *parts[] = {"part"};
    const char *conf[] = {"delta.checkpointInterval", "100", "owner", "qa team"};
    int64_t before = vl_now_us() / 1000;
    int rc = create_table(&fx, ALL_TYPES_DDL, parts, 1, conf, 2, &err);
    int64_t after = vl_now_us() / 1000;
    REQUIRE_OK(t, rc, err);
    CHECK(t, exists(&fx, "_delta_log/00000000000000000000.json"));
    CHECK(t, !exists(&fx, "_delta_log/00000000000000000001.json"));
    logf L;
    if (log_read(t, &fx, 0, &L)) {
        CHECK_EQ_INT(t, log_count(&L, "protocol"), 1);
        CHECK_EQ_INT(t, log_count(&L, "metaData"), 1);
        CHECK_EQ_INT(t, log_count(&L, "commitInfo"), 1);
        CHECK_EQ_INT(t, log_count(&L, "add"), 0);
        const vl_json *p = log_get(&L, "protocol", 0);
        CHECK(t, json_is_int(vl_json_get(p, "minReaderVersion"), 1));
        CHECK(t, json_is_int(vl_json_get(p, "minWriterVersion"), 2));
        CHECK(t, vl_json_get(p, "readerFeatures") == NULL);
        const vl_json *m = log_get(&L, "metaData", 0);
        vl_sv id, ss;
        CHECK(t, vl_json_str(vl_json_get(m, "id"), &id) && id.n == 36 && id.p[8] == '-');
        CHECK(t, json_is_str(vl_json_get(vl_json_get(m, "format"), "provider"), "parquet"));
        CHECK(t, vl_json_kind(vl_json_get(vl_json_get(m, "format"), "options")) == VL_JSON_OBJECT);
        const vl_json *pc = vl_json_get(m, "partitionColumns");
        CHECK(t, vl_json_len(pc) == 1 && json_is_str(vl_json_at(pc, 0), "part"));
        const vl_json *cf = vl_json_get(m, "configuration");
        CHECK_EQ_INT(t, vl_json_len(cf), 2);
        CHECK(t, json_is_str(vl_json_get(cf, "delta.checkpointInterval"), "100"));
        CHECK(t, json_is_str(vl_json_get(cf, "owner"), "qa team"));
        int64_t ct;
        CHECK(t, vl_json_i64(vl_json_get(m, "createdTime"), &ct) && ct >= before && ct <= after);
        /* the schema string parses back to the type we created with */
        vl_arena a;
        vl_arena_init(&a, 0);
        vl_dt_type want, got;
        CHECK(t, vl_delta_schema_from_ddl(ALL_TYPES_DDL, &a, &want, &err) == VL_OK);
        if (vl_json_str(vl_json_get(m, "schemaString"), &ss)) {
            rc = vl_delta_schema_parse(ss.p, ss.n, &a, &got, &err);
            CHECKF(t, rc == VL_OK, "%s", err.msg);
            if (rc == VL_OK) CHECKF(t, vl_delta_type_equal(&want, &got), "schemaString %.*s", (int)ss.n, ss.p);
        } else {
            CHECK(t, !"schemaString is a string");
        }
        vl_arena_destroy(&a);
        const vl_json *ci = log_get(&L, "commitInfo", 0);
        int64_t ts;
        CHECK(t, vl_json_i64(vl_json_get(ci, "timestamp"), &ts) && ts >= before && ts <= after);
        CHECK(t, json_is_str(vl_json_get(ci, "operation"), "CREATE TABLE"));
        CHECK(t, vl_json_kind(vl_json_get(ci, "operationParameters")) == VL_JSON_OBJECT);
        vl_sv eng;
        CHECK(t, vl_json_str(vl_json_get(ci, "engineInfo"), &eng) && eng.n > 8 && memcmp(eng.p, "vidlake/", 8) == 0);
        CHECK(t, json_is_bool(vl_json_get(ci, "isBlindAppend"), false));
        CHECK(t, vl_json_get(ci, "readVersion") == NULL); /* nothing was read */
        log_free(&L);
    }
    /* the snapshot agrees */
    vl_delta_snapshot *s = load(t, &fx, VL_DELTA_LATEST);
    if (s) {
        CHECK_EQ_INT(t, s->version, 0);
        CHECK_EQ_INT(t, s->n_files, 0);
        CHECK_EQ_INT(t, s->protocol.min_reader, 1);
        CHECK_EQ_INT(t, s->protocol.min_writer, 2);
        CHECK_EQ_INT(t, s->metadata.n_partition_columns, 1);
        CHECK_EQ_INT(t, s->metadata.partition_index[0], 17);
        CHECK_EQ_STR(t, vl_delta_snapshot_prop(s, "owner", NULL), "qa team");
        CHECK_EQ_INT(t, s->metadata.schema.n_fields, 18);
    }
    vl_delta_snapshot_free(s);
    CHECK_ROWS(t, &fx, VL_DELTA_LATEST, "");
    fx_close(&fx);
    /* of two concurrent creates, the second loses cleanly */
    if (!fx_open(t, &fx)) return;
    vl_arena a;
    vl_arena_init(&a, 0);
    vl_dt_type st;
    vl_delta_txn *x1 = NULL, *x2 = NULL;
    int64_t v1 = -1, v2 = -1;
    CHECK(t, vl_delta_schema_from_ddl("id long", &a, &st, &err) == VL_OK);
    CHECK(t, vl_delta_txn_begin(fx.t, &x1, &err) == VL_OK && vl_delta_txn_snapshot(x1) == NULL);
    CHECK(t, vl_delta_txn_begin(fx.t, &x2, &err) == VL_OK);
    if (x1 && x2) {
        CHECK(t, vl_delta_txn_set_metadata(x1, &st, NULL, 0, NULL, 0, &err) == VL_OK);
        CHECK(t, vl_delta_txn_set_metadata(x2, &st, NULL, 0, NULL, 0, &err) == VL_OK);
        CHECK(t, vl_delta_txn_commit(x1, &FAST, &v1, &err) == VL_OK && v1 == 0);
        rc = vl_delta_txn_commit(x2, &FAST, &v2, &err);
        CHECKF(t, rc == VL_ECONFLICT && has(err.msg, "created concurrently"), "rc %d: %s", rc, err.msg);
    }
    vl_delta_txn_free(x1);
    vl_delta_txn_free(x2);
    /* writing to a table that does not exist yet is refused */
    vl_delta_txn *x3 = NULL;
    fixture fy;
    if (fx_open(t, &fy)) {
        CHECK(t, vl_delta_txn_begin(fy.t, &x3, &err) == VL_OK);
        if (x3) {
            rc = vl_delta_txn_commit(x3, &FAST, &v1, &err);
            CHECKF(t, rc == VL_EINVAL && has(err.msg, "does not exist"), "rc %d: %s", rc, err.msg);
        }
        vl_delta_txn_free(x3);
        fx_close(&fy);
    }
    vl_arena_destroy(&a);
    fx_close(&fx);
}

static void t_create_ntz_and_refusals(vl_test *t) {
    fixture fx;
    if (!fx_open(t, &fx)) return;
    vl_error err = {0};
    /* timestamp_ntz needs the table features protocol */
    int rc = create_table(&fx, "id long, tn timestamp_ntz", NULL, 0, NULL, 0, &err);
    CHECKF(t, rc == VL_OK, "%s", err.msg);
    logf L;
    if (rc == VL_OK && log_read(t, &fx, 0, &L)) {
        const vl_json *p = log_get(&L, "protocol", 0);
        CHECK(t, json_is_int(vl_json_get(p, "minReaderVersion"), 3));
        CHECK(t, json_is_int(vl_json_get(p, "minWriterVersion"), 7));
        CHECK(t, json_is_str(vl_json_at(vl_json_get(p, "readerFeatures"), 0), "timestampNtz"));
        CHECK(t, json_is_str(vl_json_at(vl_json_get(p, "writerFeatures"), 0), "timestampNtz"));
        log_free(&L);
    }
    APPEND(t, &fx, "{\"id\":1,\"tn\":\"2024-05-01T12:00:00.123456\"}\n", 1);
    CHECK_ROWS(t, &fx, VL_DELTA_LATEST, "{\"id\":1,\"tn\":\"2024-05-01T12:00:00.123456\"}\n");
    fx_close(&fx);

    /* bad creates name the problem and commit nothing */
    static const struct {
        const char *ddl, *part, *key, *value, *msg;
    } bad[] = {
        {"id long, s string", "nope", NULL, NULL, "'nope'"},
        {"id long, s struct<a:int>", "s", NULL, NULL, "'s'"},
        {"id long, s string", "s", "delta.noSuchThing", "1", "delta.noSuchThing"},
        {"id long, s string", NULL, "delta.checkpointInterval", "0", "delta.checkpointInterval"},
        {"id long", "id", NULL, NULL, "partition column"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (!fx_open(t, &fx)) return;
        const char *parts[] = {bad[i].part};
        const char *conf[] = {bad[i].key, bad[i].value};
        err = (vl_error){0};
        rc = create_table(&fx, bad[i].ddl, parts, bad[i].part ? 1 : 0, conf, bad[i].key ? 1 : 0, &err);
        CHECKF(t, rc == VL_EINVAL && has(err.msg, bad[i].msg), "case %zu: rc %d: %s", i, rc, err.msg);
        CHECK(t, !exists(&fx, "_delta_log/00000000000000000000.json"));
        fx_close(&fx);
    }
}

/* ---------------------------------------------------------------- append */

static const char *const PART[] = {"part"};

static void t_append_partitions(vl_test *t) {
    fixture fx;
    if (!fx_open(t, &fx)) return;
    vl_error err = {0};
    int rc = create_table(&fx, "id long NOT NULL, name string, part string", PART, 1, NULL, 0, &err);
    REQUIRE_OK(t, rc, err);
    const char *rows = "{\"id\":1,\"name\":\"one\",\"part\":\"a/b c%\"}\n"
                       "{\"id\":2,\"name\":null,\"part\":\"a/b c%\"}\n"
                       "{\"id\":3,\"name\":\"three\",\"part\":null}\n"
                       "{\"id\":4,\"name\":\"f\xc3\xbcnf \\\"q\\\"\",\"part\":\"x\"}\n";
    APPEND(t, &fx, rows, 1);
    CHECK_ROWS(t, &fx, VL_DELTA_LATEST, rows);
    /* data files under the Hive directories, escaped as Spark does */
    char *keys = list_keys(&fx, "part=");
    CHECKF(t, count_lines(keys) == 3, "%s", keys);
    CHECKF(t, has(keys, "part=a%2Fb c%25/part-00000-") && has(keys, "part=__HIVE_DEFAULT_PARTITION__/part-00000-") &&
                  has(keys, "part=x/part-00000-") && has(keys, ".c000.zstd.parquet\n"),
           "%s", keys);
    free(keys);
    /* the log paths are URL-encoded, partition values the raw strings */
    logf L;
    if (log_read(t, &fx, 1, &L)) {
        CHECK_EQ_INT(t, log_count(&L, "add"), 3);
        int seen = 0;
        for (size_t i = 0; i < 3; i++) {
            const vl_json *add = log_get(&L, "add", i);
            vl_sv path;
            REQUIRE(t, vl_json_str(vl_json_get(add, "path"), &path));
            const vl_json *pv = vl_json_get(vl_json_get(add, "partitionValues"), "part");
            int64_t size;
            CHECK(t, vl_json_i64(vl_json_get(add, "size"), &size) && size > 0);
            CHECK(t, json_is_bool(vl_json_get(add, "dataChange"), true));
            CHECK(t, vl_json_kind(vl_json_get(add, "stats")) == VL_JSON_STRING);
            if (vl_json_is_null(pv)) {
                seen |= 1;
                CHECKF(t, path.n > 40 && memcmp(path.p, "part=__HIVE_DEFAULT_PARTITION__/", 32) == 0, "%.*s",
                       (int)path.n, path.p);
            } else if (json_is_str(pv, "a/b c%")) {
                seen |= 2;
                CHECKF(t, path.n > 25 && memcmp(path.p, "part=a%252Fb%20c%2525/part-", 27) == 0, "%.*s",
                       (int)path.n, path.p);
            } else if (json_is_str(pv, "x")) {
                seen |= 4;
                CHECK(t, memcmp(path.p, "part=x/part-", 12) == 0);
            }
        }
        CHECK_EQ_INT(t, seen, 7);
        const vl_json *ci = log_get(&L, "commitInfo", 0);
        CHECK(t, json_is_str(vl_json_get(ci, "operation"), "WRITE"));
        CHECK(t, json_is_bool(vl_json_get(ci, "isBlindAppend"), true));
        CHECK(t, json_is_int(vl_json_get(ci, "readVersion"), 0));
        CHECK(t, json_is_str(vl_json_get(vl_json_get(ci, "operationMetrics"), "numOutputRows"), "4"));
        log_free(&L);
    }
    /* the snapshot: typed partition values, record counts */
    vl_delta_snapshot *s = load(t, &fx, VL_DELTA_LATEST);
    if (s) {
        CHECK_EQ_INT(t, s->n_files, 3);
        CHECK_EQ_INT(t, s->num_records, 4);
        const vl_delta_file *f = file_in(s, "a/b c%", 0);
        CHECK(t, f && f->num_records == 2 && f->added_version == 1);
        CHECK(t, file_in(s, NULL, 0) != NULL);
    }
    vl_delta_snapshot_free(s);
    /* a second append lands next to the first */
    APPEND(t, &fx, "{\"id\":5,\"name\":\"five\",\"part\":\"a/b c%\"}\n", 2);
    char *got = scan_at(&fx, VL_DELTA_LATEST);
    CHECK_EQ_INT(t, count_lines(got), 5);
    CHECK(t, has(got, "{\"id\":5,\"name\":\"five\",\"part\":\"a/b c%\"}"));
    free(got);
    /* an empty string partition is null, as in Spark */
    APPEND(t, &fx, "{\"id\":6,\"name\":\"six\",\"part\":\"\"}\n", 3);
    got = scan_at(&fx, VL_DELTA_LATEST);
    CHECKF(t, has(got, "{\"id\":6,\"name\":\"six\",\"part\":null}"), "%s", got);
    free(got);
    fx_close(&fx);
}

/* Parses the stats of the only add of commit v into L's arena. */
static const vl_json *add_stats(vl_test *t, fixture *fx, int64_t v, logf *L) {
    if (!log_read(t, fx, v, L)) return NULL;
    vl_sv text;
    const vl_json *st = NULL;
    vl_error err;
    if (!vl_json_str(vl_json_get(log_get(L, "add", 0), "stats"), &text) ||
        vl_json_parse(text.p, text.n, &L->a, &st, &err) != VL_OK) {
        CHECKF(t, 0, "version %lld: no stats", (long long)v);
        return NULL;
    }
    return st;
}

static void t_stats(vl_test *t) {
    fixture fx;
    if (!fx_open(t, &fx)) return;
    vl_error err = {0};
    const char *parts[] = {"k"};
    int rc = create_table(&fx,
                          "id long NOT NULL, s string, s2 string, s3 string, i int, sh short, b byte, f float, "
                          "d double, ok boolean, bin binary, day date, ts timestamp, p decimal(7,2), "
                          "st struct<x:int,y:string,z:struct<q:long>>, arr array<int>, k string",
                          parts, 1, NULL, 0, &err);
    REQUIRE_OK(t, rc, err);
    /* s: max is cut (40 chars); s2: min is cut; s3: 40 two-byte chars */
    const char *rows =
        "{\"id\":1,\"s\":\"apple\",\"s2\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
        "\"s3\":\"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"
        "\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"
        "\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\","
        "\"i\":-5,\"sh\":7,\"b\":-1,\"f\":1.5,\"d\":-2.25,\"ok\":true,\"bin\":\"AQI=\",\"day\":\"2024-01-02\","
        "\"ts\":\"2024-05-01T12:00:00.000500Z\",\"p\":\"1.25\",\"st\":{\"x\":5,\"y\":\"q\",\"z\":{\"q\":9}},"
        "\"arr\":[1,2],\"k\":\"p1\"}\n"
        "{\"id\":3,\"s\":\"zyxwvutsrqponmlkjihgfedcba9876543210ABCD\",\"s2\":\"b\",\"s3\":null,\"i\":10,\"sh\":-3,"
        "\"b\":4,\"f\":-0.5,\"d\":8,\"ok\":false,\"bin\":null,\"day\":\"2023-12-31\","
        "\"ts\":\"2024-05-01T12:00:01.250001Z\",\"p\":\"-3.50\",\"st\":{\"x\":-1,\"y\":null,\"z\":null},\"arr\":null,"
        "\"k\":\"p1\"}\n"
        "{\"id\":2,\"k\":\"p1\"}\n";
    APPEND(t, &fx, rows, 1);
    logf L;
    const vl_json *st = add_stats(t, &fx, 1, &L);
    if (st) {
        const vl_json *mn = vl_json_get(st, "minValues"), *mx = vl_json_get(st, "maxValues"),
                      *nc = vl_json_get(st, "nullCount");
        CHECK(t, json_is_int(vl_json_get(st, "numRecords"), 3));
        CHECK(t, json_is_int(vl_json_get(mn, "id"), 1) && json_is_int(vl_json_get(mx, "id"), 3));
        CHECK(t, json_is_str(vl_json_get(mn, "s"), "apple"));
        CHECK(t, json_is_str(vl_json_get(mx, "s"), "zyxwvutsrqponmlkjihgfedcba987654\xF4\x8F\xBF\xBF"));
        CHECK(t, json_is_str(vl_json_get(mn, "s2"), "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
        CHECK(t, json_is_str(vl_json_get(mx, "s2"), "b"));
        char e32[80] = "", e32max[90];
        for (int i = 0; i < 32; i++) strcat(e32, "\xc3\xa9");
        snprintf(e32max, sizeof(e32max), "%s\xF4\x8F\xBF\xBF", e32);
        CHECK(t, json_is_str(vl_json_get(mn, "s3"), e32));
        /* Spark: the first 32 characters then U+10FFFF, whatever the byte length */
        vl_sv got = {"", 0};
        vl_json_str(vl_json_get(mx, "s3"), &got);
        CHECKF(t, json_is_str(vl_json_get(mx, "s3"), e32max), "max s3 \"%.*s\" (%zu bytes)", (int)got.n, got.p, got.n);
        CHECK(t, json_is_int(vl_json_get(mn, "i"), -5) && json_is_int(vl_json_get(mx, "i"), 10));
        CHECK(t, json_is_int(vl_json_get(mn, "sh"), -3) && json_is_int(vl_json_get(mx, "sh"), 7));
        CHECK(t, json_is_int(vl_json_get(mn, "b"), -1) && json_is_int(vl_json_get(mx, "b"), 4));
        CHECK(t, json_is_num(vl_json_get(mn, "f"), -0.5) && json_is_num(vl_json_get(mx, "f"), 1.5));
        CHECK(t, json_is_num(vl_json_get(mn, "d"), -2.25) && json_is_num(vl_json_get(mx, "d"), 8));
        CHECK(t, json_is_str(vl_json_get(mn, "day"), "2023-12-31") && json_is_str(vl_json_get(mx, "day"), "2024-01-02"));
        /* milliseconds: the min truncated, the max rounded up */
        CHECKF(t, json_is_str(vl_json_get(mn, "ts"), "2024-05-01T12:00:00.000Z"), "min ts");
        CHECKF(t, json_is_str(vl_json_get(mx, "ts"), "2024-05-01T12:00:01.251Z"), "max ts");
        CHECK(t, json_num_text(vl_json_get(mn, "p"), "-3.50") && json_num_text(vl_json_get(mx, "p"), "1.25"));
        /* nested struct stats nest */
        const vl_json *mns = vl_json_get(mn, "st"), *mxs = vl_json_get(mx, "st"), *ncs = vl_json_get(nc, "st");
        CHECK(t, vl_json_kind(mns) == VL_JSON_OBJECT && vl_json_kind(ncs) == VL_JSON_OBJECT);
        CHECK(t, json_is_int(vl_json_get(mns, "x"), -1) && json_is_int(vl_json_get(mxs, "x"), 5));
        CHECK(t, json_is_str(vl_json_get(mns, "y"), "q") && json_is_str(vl_json_get(mxs, "y"), "q"));
        CHECK(t, json_is_int(vl_json_get(vl_json_get(mns, "z"), "q"), 9));
        CHECK(t, json_is_int(vl_json_get(ncs, "x"), 1) && json_is_int(vl_json_get(ncs, "y"), 2));
        CHECK(t, json_is_int(vl_json_get(vl_json_get(ncs, "z"), "q"), 2));
        /* null counts of the flat columns */
        CHECK(t, json_is_int(vl_json_get(nc, "id"), 0));
        CHECK(t, json_is_int(vl_json_get(nc, "s"), 1));
        CHECK(t, json_is_int(vl_json_get(nc, "s3"), 2));
        CHECK(t, json_is_int(vl_json_get(nc, "ok"), 1));
        CHECK(t, json_is_int(vl_json_get(nc, "bin"), 2));
        CHECK(t, json_is_int(vl_json_get(nc, "ts"), 1));
        /* booleans and binaries have no min/max; partition columns no stats */
        CHECK(t, vl_json_get(mn, "ok") == NULL && vl_json_get(mn, "bin") == NULL);
        CHECK(t, vl_json_get(mn, "k") == NULL && vl_json_get(nc, "k") == NULL);
        CHECK(t, vl_json_get(mn, "arr") == NULL);
        CHECK(t, json_is_str(vl_json_get(vl_json_get(log_get(&L, "add", 0), "partitionValues"), "k"), "p1"));
    }
    if (st || L.text) log_free(&L);
    CHECK_ROWS(t, &fx, VL_DELTA_LATEST,
               "{\"id\":1,\"s\":\"apple\",\"s2\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"s3\":\""
               "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
               "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
               "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
               "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\","
               "\"i\":-5,\"sh\":7,\"b\":-1,\"f\":1.5,\"d\":-2.25,\"ok\":true,\"bin\":\"AQI=\",\"day\":\"2024-01-02\","
               "\"ts\":\"2024-05-01T12:00:00.000500Z\",\"p\":\"1.25\",\"st\":{\"x\":5,\"y\":\"q\",\"z\":{\"q\":9}},"
               "\"arr\":[1,2],\"k\":\"p1\"}\n"
               "{\"id\":3,\"s\":\"zyxwvutsrqponmlkjihgfedcba9876543210ABCD\",\"s2\":\"b\",\"s3\":null,\"i\":10,"
               "\"sh\":-3,\"b\":4,\"f\":-0.5,\"d\":8,\"ok\":false,\"bin\":null,\"day\":\"2023-12-31\","
               "\"ts\":\"2024-05-01T12:00:01.250001Z\",\"p\":\"-3.50\",\"st\":{\"x\":-1,\"y\":null,\"z\":null},"
               "\"arr\":null,\"k\":\"p1\"}\n"
               "{\"id\":2,\"s\":null,\"s2\":null,\"s3\":null,\"i\":null,\"sh\":null,\"b\":null,\"f\":null,\"d\":null,"
               "\"ok\":null,\"bin\":null,\"day\":null,\"ts\":null,\"p\":null,\"st\":null,\"arr\":null,\"k\":\"p1\"}\n");
    /* an exact millisecond maximum is not rounded; pre-1970 rounds down */
    APPEND(t, &fx,
           "{\"id\":9,\"ts\":\"1969-12-31T23:59:59.999500Z\",\"k\":\"p2\"}\n"
           "{\"id\":10,\"ts\":\"2024-05-01T12:00:02.000000Z\",\"k\":\"p2\"}\n",
           2);
    st = add_stats(t, &fx, 2, &L);
    if (st) {
        CHECK(t, json_is_str(vl_json_get(vl_json_get(st, "minValues"), "ts"), "1969-12-31T23:59:59.999Z"));
        CHECK(t, json_is_str(vl_json_get(vl_json_get(st, "maxValues"), "ts"), "2024-05-01T12:00:02.000Z"));
        CHECK(t, json_is_int(vl_json_get(vl_json_get(st, "nullCount"), "s"), 2));
    }
    if (st || L.text) log_free(&L);
    fx_close(&fx);
}

/* ----------------------------------------------------- overwrite, travel */

/* Removes every file of partition pv (NULL: null) from x's snapshot. */
static int remove_partition(vl_delta_txn *x, const char *pv, vl_error *err) {
    const vl_delta_snapshot *s = vl_delta_txn_snapshot(x);
    const vl_delta_file *f;
    for (size_t i = 0; (f = file_in(s, pv, i)) != NULL; i++) VL_RETURN_IF_ERR(vl_delta_txn_remove(x, f, true, err));
    return VL_OK;
}

/* A data file written a piece at a time: rows from every write are there,
 * and its stats equal those of the same rows written at once (the longest
 * string, cut by the Parquet writer, sits in the middle write). */
static void t_streamed_writer(vl_test *t) {
    fixture fx;
    if (!fx_open(t, &fx)) return;
    vl_error err = {0};
    int rc = create_table(&fx, "s string, n long", NULL, 0, NULL, 0, &err);
    REQUIRE_OK(t, rc, err);
    char longest[200];
    memset(longest, 'z', sizeof(longest) - 1);
    longest[sizeof(longest) - 1] = 0;
    vl_sv sv[9] = {VL_SV("m"), VL_SV("b"), VL_SV("q"), VL_SV("c"), {longest, sizeof(longest) - 1},
                   VL_SV("a2"), VL_SV("y"), VL_SV("d"), VL_SV("e")};
    int64_t nv[9] = {5, 4, 3, 2, 1, 0, -1, -2, 100};
    int16_t def[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    vl_delta_txn *x = NULL;
    vl_delta_writer *f = NULL;
    int64_t v = -1;
    rc = vl_delta_txn_begin(fx.t, &x, &err);
    if (rc == VL_OK) rc = vl_delta_writer_open(x, NULL, 0, &f, &err);
    for (int part = 0; rc == VL_OK && part < 3; part++) {
        vl_pq_column cols[2] = {
            {.n = 3, .def = def, .n_values = 3, .v.bin = sv + 3 * part},
            {.n = 3, .def = def, .n_values = 3, .v.i64 = nv + 3 * part},
        };
        rc = vl_delta_writer_write(f, cols, 3, &err);
    }
    if (rc == VL_OK) CHECK_EQ_INT(t, vl_delta_writer_rows(f), 9);
    if (rc == VL_OK) {
        rc = vl_delta_writer_close(f, &err);
        f = NULL;
    }
    vl_delta_writer_abort(f);
    /* the same rows at once, in a second file of the same commit */
    vl_pq_column all[2] = {{.n = 9, .def = def, .n_values = 9, .v.bin = sv},
                           {.n = 9, .def = def, .n_values = 9, .v.i64 = nv}};
    if (rc == VL_OK) rc = vl_delta_txn_write(x, NULL, all, 9, &err);
    if (rc == VL_OK) rc = vl_delta_txn_commit(x, &FAST, &v, &err);
    vl_delta_txn_free(x);
    REQUIRE_OK(t, rc, err);
    vl_delta_snapshot *s = load(t, &fx, VL_DELTA_LATEST);
    if (s) {
        CHECK_EQ_INT(t, s->n_files, 2);
        CHECK_EQ_INT(t, s->num_records, 18);
        if (s->n_files == 2) {
            CHECKF(t, vl_sv_eq(s->files[0].stats, s->files[1].stats), "%.*s vs %.*s", (int)s->files[0].stats.n,
                   s->files[0].stats.p, (int)s->files[1].stats.n, s->files[1].stats.p);
            CHECK(t, memmem(s->files[0].stats.p, s->files[0].stats.n, "\"a2\"", 4) != NULL);
            CHECK(t, memmem(s->files[0].stats.p, s->files[0].stats.n, "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\xf4\x8f\xbf\xbf", 35) != NULL);
        }
    }
    vl_delta_snapshot_free(s);
    fx_close(&fx);
}

static void t_overwrite_partition(vl_test *t) {
    fixture fx;
    if (!fx_open(t, &fx)) return;
    vl_error err = {0};
    int rc = create_table(&fx, "id long, part string", PART, 1, NULL, 0, &err);
    REQUIRE_OK(t, rc, err);
    const char *v1 = "{\"id\":1,\"part\":\"a\"}\n{\"id\":2,\"part\":\"a\"}\n{\"id\":3,\"part\":\"b\"}\n";
    APPEND(t, &fx, v1, 1);
    APPEND(t, &fx, "{\"id\":4,\"part\":\"a\"}\n", 2);
    /* overwrite partition a: remove its files and write, in one commit */
    vl_delta_txn *x = NULL;
    int64_t v = -1;
    rc = vl_delta_txn_begin(fx.t, &x, &err);
    if (rc == VL_OK) rc = remove_partition(x, "a", &err);
    if (rc == VL_OK) rc = write_rows(x, "{\"id\":5,\"part\":\"a\"}\n{\"id\":6,\"part\":\"a\"}\n", &err);
    if (rc == VL_OK) rc = vl_delta_txn_set_operation(x, "WRITE", "{\"mode\":\"Overwrite\",\"partitionBy\":\"[\\\"part\\\"]\"}", &err);
    if (rc == VL_OK) rc = vl_delta_txn_commit(x, &FAST, &v, &err);
    vl_delta_txn_free(x);
    CHECKF(t, rc == VL_OK && v == 3, "v %lld: %s", (long long)v, err.msg);
    CHECK_ROWS(t, &fx, VL_DELTA_LATEST, "{\"id\":3,\"part\":\"b\"}\n{\"id\":5,\"part\":\"a\"}\n{\"id\":6,\"part\":\"a\"}\n");
    logf L;
    if (log_read(t, &fx, 3, &L)) {
        CHECK_EQ_INT(t, log_count(&L, "remove"), 2);
        CHECK_EQ_INT(t, log_count(&L, "add"), 1);
        for (size_t i = 0; i < 2; i++) {
            const vl_json *r = log_get(&L, "remove", i);
            CHECK(t, json_is_bool(vl_json_get(r, "dataChange"), true));
            CHECK(t, json_is_str(vl_json_get(vl_json_get(r, "partitionValues"), "part"), "a"));
            int64_t dt;
            CHECK(t, vl_json_i64(vl_json_get(r, "deletionTimestamp"), &dt) && dt > 0);
        }
        const vl_json *ci = log_get(&L, "commitInfo", 0);
        CHECK(t, json_is_bool(vl_json_get(ci, "isBlindAppend"), false));
        CHECK(t, json_is_str(vl_json_get(vl_json_get(ci, "operationParameters"), "mode"), "Overwrite"));
        log_free(&L);
    }
    /* partition b untouched: the same file */
    vl_delta_snapshot *s1 = load(t, &fx, AT(1)), *s3 = load(t, &fx, VL_DELTA_LATEST);
    if (s1 && s3) {
        const vl_delta_file *b1 = file_in(s1, "b", 0), *b3 = file_in(s3, "b", 0);
        CHECK(t, b1 && b3 && vl_sv_eq(b1->path, b3->path) && b3->added_version == 1);
        CHECK_EQ_INT(t, s3->n_files, 2);
        CHECK_EQ_INT(t, s3->n_tombstones, 2);
    }
    vl_delta_snapshot_free(s1);
    vl_delta_snapshot_free(s3);
    /* time travel reads every old version */
    CHECK_ROWS(t, &fx, AT(0), "");
    CHECK_ROWS(t, &fx, AT(1), v1);
    CHECK_ROWS(t, &fx, AT(2), "{\"id\":1,\"part\":\"a\"}\n{\"id\":2,\"part\":\"a\"}\n{\"id\":3,\"part\":\"b\"}\n{\"id\":4,\"part\":\"a\"}\n");
    char *g = scan_at(&fx, AT(4));
    CHECKF(t, has(g, "<ENOTFOUND") && has(g, "version 4") && has(g, "latest is 3"), "%s", g);
    free(g);
    fx_close(&fx);
}

/* ------------------------------------------------------------------- txn */

static void t_app_txn(vl_test *t) {
    fixture fx;
    if (!fx_open(t, &fx)) return;
    vl_error err = {0};
    int rc = create_table(&fx, "id long, part string", PART, 1, NULL, 0, &err);
    REQUIRE_OK(t, rc, err);
    vl_delta_txn *x = NULL;
    int64_t v = -1;
    rc = vl_delta_txn_begin(fx.t, &x, &err);
    if (rc == VL_OK) rc = write_rows(x, "{\"id\":1,\"part\":\"a\"}\n", &err);
    if (rc == VL_OK) rc = vl_delta_txn_set_app_version(x, "stream-1", 7, &err);
    if (rc == VL_OK) rc = vl_delta_txn_commit(x, &FAST, &v, &err);
    vl_delta_txn_free(x);
    CHECKF(t, rc == VL_OK && v == 1, "%s", err.msg);
    logf L;
    if (log_read(t, &fx, 1, &L)) {
        const vl_json *tx = log_get(&L, "txn", 0);
        CHECK(t, json_is_str(vl_json_get(tx, "appId"), "stream-1") && json_is_int(vl_json_get(tx, "version"), 7));
        int64_t lu;
        CHECK(t, vl_json_i64(vl_json_get(tx, "lastUpdated"), &lu) && lu > 0);
        log_free(&L);
    }
    vl_delta_snapshot *s = load(t, &fx, VL_DELTA_LATEST);
    if (s) {
        CHECK_EQ_INT(t, vl_delta_snapshot_app_version(s, "stream-1"), 7);
        CHECK_EQ_INT(t, vl_delta_snapshot_app_version(s, "stream-2"), -1);
        CHECK_EQ_INT(t, vl_delta_snapshot_app_version(s, "stream-"), -1);
    }
    vl_delta_snapshot_free(s);
    /* later commits keep it; a txn without data moves it */
    APPEND(t, &fx, "{\"id\":2,\"part\":\"b\"}\n", 2);
    x = NULL;
    rc = vl_delta_txn_begin(fx.t, &x, &err);
    if (rc == VL_OK) rc = vl_delta_txn_set_app_version(x, "stream-2", 0, &err);
    if (rc == VL_OK) rc = vl_delta_txn_commit(x, &FAST, &v, &err);
    vl_delta_txn_free(x);
    CHECKF(t, rc == VL_OK && v == 3, "%s", err.msg);
    x = NULL;
    rc = vl_delta_txn_begin(fx.t, &x, &err);
    /* several appIds in one commit; a second call for one replaces its version */
    if (rc == VL_OK) rc = vl_delta_txn_set_app_version(x, "stream-1", 99, &err);
    if (rc == VL_OK) rc = vl_delta_txn_set_app_version(x, "stream-3", 5, &err);
    if (rc == VL_OK) rc = vl_delta_txn_set_app_version(x, "stream-1", 8, &err);
    if (rc == VL_OK) rc = vl_delta_txn_commit(x, &FAST, &v, &err);
    vl_delta_txn_free(x);
    CHECKF(t, rc == VL_OK && v == 4, "%s", err.msg);
    s = load(t, &fx, VL_DELTA_LATEST);
    if (s) {
        CHECK_EQ_INT(t, vl_delta_snapshot_app_version(s, "stream-1"), 8);
        CHECK_EQ_INT(t, vl_delta_snapshot_app_version(s, "stream-2"), 0);
        CHECK_EQ_INT(t, vl_delta_snapshot_app_version(s, "stream-3"), 5);
        CHECK_EQ_INT(t, s->n_txns, 3);
    }
    vl_delta_snapshot_free(s);
    s = load(t, &fx, AT(2));
    if (s) CHECK_EQ_INT(t, vl_delta_snapshot_app_version(s, "stream-1"), 7);
    vl_delta_snapshot_free(s);
    /* bad txns are refused */
    x = NULL;
    if (vl_delta_txn_begin(fx.t, &x, &err) == VL_OK) {
        CHECK(t, vl_delta_txn_set_app_version(x, "", 1, &err) == VL_EINVAL);
        CHECK(t, vl_delta_txn_set_app_version(x, "a", -1, &err) == VL_EINVAL && has(err.msg, "'a'"));
    }
    vl_delta_txn_free(x);
    /* a checkpoint keeps them: write one at 4, drop the JSON commits it covers */
    s = load(t, &fx, VL_DELTA_LATEST);
    if (s) {
        rc = vl_delta_checkpoint_write(s, &err);
        CHECKF(t, rc == VL_OK, "%s", err.msg);
    }
    vl_delta_snapshot_free(s);
    CHECK_EQ_INT(t, delete_matching(&fx, "_delta_log/", ".json"), 5);
    s = load(t, &fx, VL_DELTA_LATEST);
    if (s) {
        CHECK_EQ_INT(t, s->version, 4);
        CHECK_EQ_INT(t, s->checkpoint_version, 4);
        CHECK_EQ_INT(t, vl_delta_snapshot_app_version(s, "stream-1"), 8);
        CHECK_EQ_INT(t, vl_delta_snapshot_app_version(s, "stream-2"), 0);
        CHECK_EQ_INT(t, s->n_files, 2);
    }
    vl_delta_snapshot_free(s);
    APPEND(t, &fx, "{\"id\":3,\"part\":\"a\"}\n", 5);
    s = load(t, &fx, VL_DELTA_LATEST);
    if (s) CHECK_EQ_INT(t, vl_delta_snapshot_app_version(s, "stream-1"), 8);
    vl_delta_snapshot_free(s);
    CHECK_ROWS(t, &fx, VL_DELTA_LATEST, "{\"id\":1,\"part\":\"a\"}\n{\"id\":2,\"part\":\"b\"}\n{\"id\":3,\"part\":\"a\"}\n");
    fx_close(&fx);
}

/* ------------------------------------------------------------- conflicts */

/* A table with rows in partitions a and b (version 1). */
static bool conflict_table(vl_test *t, fixture *fx) {
    if (!fx_open(t, fx)) return false;
    vl_error err = {0};
    int rc = create_table(fx, "id long, part string", PART, 1, NULL, 0, &err);
    if (rc == VL_OK) rc = append(fx, "{\"id\":1,\"part\":\"a\"}\n{\"id\":2,\"part\":\"b\"}\n", NULL, &err);
    if (rc != VL_OK) {
        CHECKF(t, 0, "%s", err.msg);
        fx_close(fx);
        return false;
    }
    return true;
}

static void begin2(vl_test *t, fixture *fx, vl_delta_txn **x1, vl_delta_txn **x2) {
    vl_error err = {0};
    *x1 = *x2 = NULL;
    CHECKF(t, vl_delta_txn_begin(fx->t, x1, &err) == VL_OK, "%s", err.msg);
    CHECKF(t, vl_delta_txn_begin(fx->t, x2, &err) == VL_OK, "%s", err.msg);
}

static void t_conflict_blind_appends(vl_test *t) {
    fixture fx;
    if (!conflict_table(t, &fx)) return;
    vl_delta_txn *x1, *x2;
    begin2(t, &fx, &x1, &x2);
    vl_error e1 = {0}, e2 = {0};
    int64_t v1 = -1, v2 = -1;
    if (x1 && x2) {
        CHECK(t, write_rows(x1, "{\"id\":10,\"part\":\"a\"}\n", &e1) == VL_OK);
        CHECK(t, write_rows(x2, "{\"id\":20,\"part\":\"a\"}\n{\"id\":21,\"part\":\"c\"}\n", &e2) == VL_OK);
        CHECKF(t, vl_delta_txn_commit(x1, &FAST, &v1, &e1) == VL_OK, "%s", e1.msg);
        CHECKF(t, vl_delta_txn_commit(x2, &FAST, &v2, &e2) == VL_OK, "%s", e2.msg);
        CHECK_EQ_INT(t, v1, 2);
        CHECK_EQ_INT(t, v2, 3);
    }
    vl_delta_txn_free(x1);
    vl_delta_txn_free(x2);
    CHECK_ROWS(t, &fx, VL_DELTA_LATEST,
               "{\"id\":1,\"part\":\"a\"}\n{\"id\":2,\"part\":\"b\"}\n{\"id\":10,\"part\":\"a\"}\n"
               "{\"id\":20,\"part\":\"a\"}\n{\"id\":21,\"part\":\"c\"}\n");
    logf L;
    if (log_read(t, &fx, 3, &L)) {
        /* the retried commit still says what it read */
        CHECK(t, json_is_int(vl_json_get(log_get(&L, "commitInfo", 0), "readVersion"), 1));
        log_free(&L);
    }
    fx_close(&fx);
}

static void t_conflict_metadata(vl_test *t) {
    fixture fx;
    if (!conflict_table(t, &fx)) return;
    vl_delta_txn *x1, *x2;
    begin2(t, &fx, &x1, &x2);
    vl_error e1 = {0}, e2 = {0};
    /* the schema in our own memory (see t_set_metadata_own_schema) */
    vl_arena sa;
    vl_arena_init(&sa, 0);
    vl_dt_type st;
    CHECK(t, vl_delta_schema_from_ddl("id long, part string", &sa, &st, &e1) == VL_OK);
    int64_t v1 = -1, v2 = -1;
    if (x1 && x2) {
        const char *parts[] = {"part"};
        vl_delta_kv c1 = {VL_SV("owner"), VL_SV("one"), false}, c2 = {VL_SV("owner"), VL_SV("two"), false};
        CHECK(t, vl_delta_txn_set_metadata(x1, &st, parts, 1, &c1, 1, &e1) == VL_OK);
        CHECK(t, vl_delta_txn_set_metadata(x2, &st, parts, 1, &c2, 1, &e2) == VL_OK);
        CHECKF(t, vl_delta_txn_commit(x1, &FAST, &v1, &e1) == VL_OK && v1 == 2, "%s", e1.msg);
        int rc = vl_delta_txn_commit(x2, &FAST, &v2, &e2);
        CHECKF(t, rc == VL_ECONFLICT && has(e2.msg, "version 2") && has(e2.msg, "metadata"), "rc %d: %s", rc, e2.msg);
    }
    vl_delta_txn_free(x1);
    vl_delta_txn_free(x2);
    vl_delta_snapshot *s = load(t, &fx, VL_DELTA_LATEST);
    if (s) {
        CHECK_EQ_INT(t, s->version, 2);
        CHECK_EQ_STR(t, vl_delta_snapshot_prop(s, "owner", NULL), "one");
    }
    vl_delta_snapshot_free(s);
    /* an append racing a metadata change loses too (the schema may have changed) */
    begin2(t, &fx, &x1, &x2);
    if (x1 && x2) {
        const char *parts[] = {"part"};
        CHECK(t, vl_delta_txn_set_metadata(x1, &st, parts, 1, NULL, 0, &e1) == VL_OK);
        CHECK(t, write_rows(x2, "{\"id\":5,\"part\":\"a\"}\n", &e2) == VL_OK);
        CHECKF(t, vl_delta_txn_commit(x1, &FAST, &v1, &e1) == VL_OK && v1 == 3, "%s", e1.msg);
        CHECK_EQ_INT(t, vl_delta_txn_commit(x2, &FAST, &v2, &e2), VL_ECONFLICT);
    }
    vl_delta_txn_free(x1);
    vl_delta_txn_free(x2);
    vl_arena_destroy(&sa);
    fx_close(&fx);
}

/* Changing only the properties: the schema passed is the transaction's own
 * (vl_delta_txn_metadata), which the doc comment allows ("names and values
 * are copied"). */
static void t_set_metadata_own_schema(vl_test *t) {
    fixture fx;
    if (!conflict_table(t, &fx)) return;
    vl_delta_txn *x = NULL;
    vl_error err = {0};
    int64_t v = -1;
    int rc = vl_delta_txn_begin(fx.t, &x, &err);
    if (rc == VL_OK) {
        const vl_delta_metadata *m = vl_delta_txn_metadata(x);
        const char *parts[] = {"part"};
        vl_delta_kv c = {VL_SV("owner"), VL_SV("me"), false};
        rc = vl_delta_txn_set_metadata(x, &m->schema, parts, 1, &c, 1, &err);
        CHECKF(t, rc == VL_OK, "rc %d: %s", rc, err.msg);
        CHECK_EQ_INT(t, vl_delta_txn_metadata(x)->schema.n_fields, 2);
    }
    if (rc == VL_OK) rc = vl_delta_txn_commit(x, &FAST, &v, &err);
    vl_delta_txn_free(x);
    vl_delta_snapshot *s = load(t, &fx, VL_DELTA_LATEST);
    if (s && rc == VL_OK) {
        CHECK_EQ_INT(t, s->version, 2);
        CHECK_EQ_STR(t, vl_delta_snapshot_prop(s, "owner", NULL), "me");
        CHECK_EQ_INT(t, s->metadata.schema.n_fields, 2);
    }
    vl_delta_snapshot_free(s);
    fx_close(&fx);
}

static void t_conflict_remove_same_file(vl_test *t) {
    fixture fx;
    if (!conflict_table(t, &fx)) return;
    vl_delta_txn *x1, *x2;
    begin2(t, &fx, &x1, &x2);
    vl_error e1 = {0}, e2 = {0};
    int64_t v1 = -1, v2 = -1;
    if (x1 && x2) {
        const vl_delta_file *f1 = file_in(vl_delta_txn_snapshot(x1), "b", 0);
        const vl_delta_file *f2 = file_in(vl_delta_txn_snapshot(x2), "b", 0);
        REQUIRE(t, f1 && f2);
        CHECK(t, vl_delta_txn_remove(x1, f1, true, &e1) == VL_OK);
        CHECK(t, vl_delta_txn_remove(x2, f2, true, &e2) == VL_OK);
        CHECKF(t, vl_delta_txn_commit(x1, &FAST, &v1, &e1) == VL_OK && v1 == 2, "%s", e1.msg);
        int rc = vl_delta_txn_commit(x2, &FAST, &v2, &e2);
        CHECKF(t, rc == VL_ECONFLICT && has(e2.msg, "also removed") && has(e2.msg, "part=b/"), "rc %d: %s", rc,
               e2.msg);
    }
    vl_delta_txn_free(x1);
    vl_delta_txn_free(x2);
    CHECK_ROWS(t, &fx, VL_DELTA_LATEST, "{\"id\":1,\"part\":\"a\"}\n");
    /* removing different files does not conflict */
    APPEND(t, &fx, "{\"id\":3,\"part\":\"c\"}\n", 3);
    begin2(t, &fx, &x1, &x2);
    if (x1 && x2) {
        CHECK(t, vl_delta_txn_remove(x1, file_in(vl_delta_txn_snapshot(x1), "a", 0), false, &e1) == VL_OK);
        CHECK(t, vl_delta_txn_remove(x2, file_in(vl_delta_txn_snapshot(x2), "c", 0), false, &e2) == VL_OK);
        CHECKF(t, vl_delta_txn_commit(x1, &FAST, &v1, &e1) == VL_OK && v1 == 4, "%s", e1.msg);
        CHECKF(t, vl_delta_txn_commit(x2, &FAST, &v2, &e2) == VL_OK && v2 == 5, "%s", e2.msg);
    }
    vl_delta_txn_free(x1);
    vl_delta_txn_free(x2);
    CHECK_ROWS(t, &fx, VL_DELTA_LATEST, "");
    fx_close(&fx);
}

static void t_conflict_app_id(vl_test *t) {
    fixture fx;
    if (!conflict_table(t, &fx)) return;
    vl_delta_txn *x1, *x2, *x3 = NULL;
    begin2(t, &fx, &x1, &x2);
    vl_error e1 = {0}, e2 = {0}, e3 = {0};
    CHECK(t, vl_delta_txn_begin(fx.t, &x3, &e3) == VL_OK);
    int64_t v1 = -1, v2 = -1, v3 = -1;
    if (x1 && x2 && x3) {
        CHECK(t, vl_delta_txn_set_app_version(x1, "app", 1, &e1) == VL_OK);
        CHECK(t, write_rows(x1, "{\"id\":10,\"part\":\"a\"}\n", &e1) == VL_OK);
        CHECK(t, vl_delta_txn_set_app_version(x2, "app", 1, &e2) == VL_OK);
        CHECK(t, write_rows(x2, "{\"id\":10,\"part\":\"a\"}\n", &e2) == VL_OK);
        CHECK(t, vl_delta_txn_set_app_version(x3, "other", 1, &e3) == VL_OK);
        CHECK(t, write_rows(x3, "{\"id\":30,\"part\":\"a\"}\n", &e3) == VL_OK);
        CHECKF(t, vl_delta_txn_commit(x1, &FAST, &v1, &e1) == VL_OK && v1 == 2, "%s", e1.msg);
        int rc = vl_delta_txn_commit(x2, &FAST, &v2, &e2);
        CHECKF(t, rc == VL_ECONFLICT && has(e2.msg, "'app'"), "rc %d: %s", rc, e2.msg);
        CHECKF(t, vl_delta_txn_commit(x3, &FAST, &v3, &e3) == VL_OK && v3 == 3, "%s", e3.msg);
    }
    vl_delta_txn_free(x1);
    vl_delta_txn_free(x2);
    vl_delta_txn_free(x3);
    /* the duplicate write did not land */
    CHECK_ROWS(t, &fx, VL_DELTA_LATEST,
               "{\"id\":1,\"part\":\"a\"}\n{\"id\":2,\"part\":\"b\"}\n{\"id\":10,\"part\":\"a\"}\n{\"id\":30,\"part\":\"a\"}\n");
    vl_delta_snapshot *s = load(t, &fx, VL_DELTA_LATEST);
    if (s) {
        CHECK_EQ_INT(t, vl_delta_snapshot_app_version(s, "app"), 1);
        CHECK_EQ_INT(t, vl_delta_snapshot_app_version(s, "other"), 1);
    }
    vl_delta_snapshot_free(s);
    fx_close(&fx);
}

static void t_conflict_overwrite_vs_append(vl_test *t) {
    fixture fx;
    if (!conflict_table(t, &fx)) return;
    vl_delta_txn *xo, *xa;
    vl_error eo = {0}, ea = {0};
    int64_t vo = -1, va = -1;
    /* the append into a commits first: the overwrite of a must fail */
    begin2(t, &fx, &xo, &xa);
    if (xo && xa) {
        CHECK(t, remove_partition(xo, "a", &eo) == VL_OK);
        CHECK(t, write_rows(xo, "{\"id\":100,\"part\":\"a\"}\n", &eo) == VL_OK);
        CHECK(t, write_rows(xa, "{\"id\":11,\"part\":\"a\"}\n", &ea) == VL_OK);
        CHECKF(t, vl_delta_txn_commit(xa, &FAST, &va, &ea) == VL_OK && va == 2, "%s", ea.msg);
        int rc = vl_delta_txn_commit(xo, &FAST, &vo, &eo);
        CHECKF(t, rc == VL_ECONFLICT && has(eo.msg, "version 2") && has(eo.msg, "partition"), "rc %d: %s", rc,
               eo.msg);
    }
    vl_delta_txn_free(xo);
    vl_delta_txn_free(xa);
    CHECK_ROWS(t, &fx, VL_DELTA_LATEST, "{\"id\":1,\"part\":\"a\"}\n{\"id\":2,\"part\":\"b\"}\n{\"id\":11,\"part\":\"a\"}\n");
    /* an append into another partition does not conflict */
    begin2(t, &fx, &xo, &xa);
    if (xo && xa) {
        CHECK(t, remove_partition(xo, "a", &eo) == VL_OK);
        CHECK(t, write_rows(xo, "{\"id\":100,\"part\":\"a\"}\n", &eo) == VL_OK);
        CHECK(t, write_rows(xa, "{\"id\":12,\"part\":\"b\"}\n{\"id\":13,\"part\":null}\n", &ea) == VL_OK);
        CHECKF(t, vl_delta_txn_commit(xa, &FAST, &va, &ea) == VL_OK && va == 3, "%s", ea.msg);
        CHECKF(t, vl_delta_txn_commit(xo, &FAST, &vo, &eo) == VL_OK && vo == 4, "%s", eo.msg);
    }
    vl_delta_txn_free(xo);
    vl_delta_txn_free(xa);
    CHECK_ROWS(t, &fx, VL_DELTA_LATEST,
               "{\"id\":2,\"part\":\"b\"}\n{\"id\":12,\"part\":\"b\"}\n{\"id\":13,\"part\":null}\n{\"id\":100,\"part\":\"a\"}\n");
    /* the null partition: an append of "" lands in it too (Spark and the
     * protocol read an empty partition value as null), so it conflicts */
    begin2(t, &fx, &xo, &xa);
    if (xo && xa) {
        CHECK(t, remove_partition(xo, NULL, &eo) == VL_OK);
        CHECK(t, write_rows(xo, "{\"id\":200,\"part\":null}\n", &eo) == VL_OK);
        CHECK(t, write_rows(xa, "{\"id\":15,\"part\":\"\"}\n", &ea) == VL_OK);
        CHECKF(t, vl_delta_txn_commit(xa, &FAST, &va, &ea) == VL_OK && va == 5, "%s", ea.msg);
        int rc = vl_delta_txn_commit(xo, &FAST, &vo, &eo);
        CHECKF(t, rc == VL_ECONFLICT, "overwrite of the null partition vs an append of \"\": rc %d (%s)", rc,
               rc ? eo.msg : "committed");
    }
    vl_delta_txn_free(xo);
    vl_delta_txn_free(xa);
    /* nor does compaction (dataChange=false) into the rewritten partition */
    int64_t base = -1;
    APPEND(t, &fx, "{\"id\":14,\"part\":\"b\"}\n", -1);
    CHECK(t, vl_delta_latest_version(fx.t, &base, &eo) == VL_OK);
    begin2(t, &fx, &xo, &xa);
    if (xo && xa) {
        CHECK(t, remove_partition(xo, "a", &eo) == VL_OK);
        CHECK(t, write_rows(xo, "{\"id\":101,\"part\":\"a\"}\n", &eo) == VL_OK);
        vl_delta_optimize_result res;
        CHECKF(t, vl_delta_optimize(fx.t, NULL, &res, &ea) == VL_OK && res.version == base + 1 && res.files_added == 1,
               "%s", ea.msg);
        CHECKF(t, vl_delta_txn_commit(xo, &FAST, &vo, &eo) == VL_OK && vo == base + 2, "%s", eo.msg);
    }
    vl_delta_txn_free(xo);
    vl_delta_txn_free(xa);
    fx_close(&fx);
}

/* ------------------------------------------------------ schema evolution */

static int evolve(fixture *fx, const char *ddl, const char *rows, int64_t *v, vl_error *err) {
    vl_arena a;
    vl_arena_init(&a, 0);
    vl_dt_type st;
    vl_delta_txn *x = NULL;
    int rc = vl_delta_schema_from_ddl(ddl, &a, &st, err);
    if (rc == VL_OK) rc = vl_delta_txn_begin(fx->t, &x, err);
    if (rc == VL_OK) rc = vl_delta_txn_evolve_schema(x, &st, err);
    if (rc == VL_OK && rows) rc = write_rows(x, rows, err);
    if (rc == VL_OK) rc = vl_delta_txn_commit(x, &FAST, v, err);
    vl_delta_txn_free(x);
    vl_arena_destroy(&a);
    return rc;
}

static void t_schema_evolution(vl_test *t) {
    fixture fx;
    if (!fx_open(t, &fx)) return;
    vl_error err = {0};
    int rc = create_table(&fx, "id long NOT NULL, part string", PART, 1, NULL, 0, &err);
    REQUIRE_OK(t, rc, err);
    APPEND(t, &fx, "{\"id\":1,\"part\":\"a\"}\n", 1);
    int64_t v = -1;
    rc = evolve(&fx, "id long NOT NULL, part string, extra string, n struct<q:int>",
                "{\"id\":2,\"part\":\"a\",\"extra\":\"e\",\"n\":{\"q\":3}}\n", &v, &err);
    CHECKF(t, rc == VL_OK && v == 2, "%s", err.msg);
    CHECK_ROWS(t, &fx, VL_DELTA_LATEST,
               "{\"id\":1,\"part\":\"a\",\"extra\":null,\"n\":null}\n{\"id\":2,\"part\":\"a\",\"extra\":\"e\",\"n\":{\"q\":3}}\n");
    CHECK_ROWS(t, &fx, AT(1), "{\"id\":1,\"part\":\"a\"}\n");
    logf L;
    if (log_read(t, &fx, 2, &L)) {
        const vl_json *m = log_get(&L, "metaData", 0);
        CHECK(t, m != NULL);
        CHECK(t, json_is_str(vl_json_at(vl_json_get(m, "partitionColumns"), 0), "part"));
        log_free(&L);
    }
    /* plain appends work on with the new schema */
    APPEND(t, &fx, "{\"id\":3,\"part\":\"b\",\"extra\":\"x\"}\n", 3);
    /* incompatible changes are refused naming the column */
    static const struct {
        const char *ddl, *name;
    } bad[] = {
        {"id int NOT NULL, part string, extra string, n struct<q:int>", "'id'"},
        {"id long NOT NULL, part string, extra string, n struct<q:long>", "'n'"},
        {"id long NOT NULL, part string, extra string", "'n'"},
        {"id long NOT NULL, extra string, n struct<q:int>", "'part'"},
        {"id long NOT NULL, part string, extra string, n struct<q:int>, must long NOT NULL", "'must'"},
        {"id long, part string, extra string, n struct<q:int>", "'id'"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err = (vl_error){0};
        v = -1;
        rc = evolve(&fx, bad[i].ddl, NULL, &v, &err);
        CHECKF(t, rc == VL_EINVAL && has(err.msg, bad[i].name), "case %zu: rc %d: %s", i, rc, err.msg);
    }
    vl_delta_snapshot *s = load(t, &fx, VL_DELTA_LATEST);
    if (s) CHECK_EQ_INT(t, s->version, 3);
    vl_delta_snapshot_free(s);
    /* compaction rewrites old files in the new schema */
    vl_delta_optimize_result res;
    rc = vl_delta_optimize(fx.t, NULL, &res, &err);
    CHECKF(t, rc == VL_OK && res.version == 4 && res.files_removed == 2 && res.files_added == 1, "%s", err.msg);
    CHECK_ROWS(t, &fx, VL_DELTA_LATEST,
               "{\"id\":1,\"part\":\"a\",\"extra\":null,\"n\":null}\n{\"id\":2,\"part\":\"a\",\"extra\":\"e\",\"n\":{\"q\":3}}\n"
               "{\"id\":3,\"part\":\"b\",\"extra\":\"x\",\"n\":null}\n");
    fx_close(&fx);
}

/* ----------------------------------------------------------- checkpoints */

static bool same_kvs(const vl_delta_kv *a, uint32_t na, const vl_delta_kv *b, uint32_t nb) {
    if (na != nb) return false;
    for (uint32_t i = 0; i < na; i++)
        if (!vl_sv_eq(a[i].key, b[i].key) || a[i].value_null != b[i].value_null ||
            (!a[i].value_null && !vl_sv_eq(a[i].value, b[i].value)))
            return false;
    return true;
}

/* Two snapshots of the same version hold the same state. */
static void same_snapshot(vl_test *t, const vl_delta_snapshot *a, const vl_delta_snapshot *b) {
    CHECK_EQ_INT(t, a->version, b->version);
    CHECK_EQ_INT(t, a->protocol.min_reader, b->protocol.min_reader);
    CHECK_EQ_INT(t, a->protocol.min_writer, b->protocol.min_writer);
    const vl_delta_metadata *ma = &a->metadata, *mb = &b->metadata;
    CHECK(t, vl_sv_eq(ma->id, mb->id));
    CHECK(t, vl_sv_eq(ma->schema_string, mb->schema_string));
    CHECK(t, vl_delta_type_equal(&ma->schema, &mb->schema));
    CHECK_EQ_INT(t, ma->n_partition_columns, mb->n_partition_columns);
    for (uint32_t i = 0; i < ma->n_partition_columns && i < mb->n_partition_columns; i++)
        CHECK(t, vl_sv_eq(ma->partition_columns[i], mb->partition_columns[i]));
    CHECK(t, same_kvs(ma->configuration, ma->n_configuration, mb->configuration, mb->n_configuration));
    CHECK_EQ_INT(t, ma->created_time, mb->created_time);
    CHECK_EQ_INT(t, a->n_files, b->n_files);
    for (size_t i = 0; i < a->n_files && i < b->n_files; i++) {
        const vl_delta_file *fa = &a->files[i], *fb = &b->files[i];
        CHECKF(t, vl_sv_eq(fa->path, fb->path), "file %zu: %.*s vs %.*s", i, (int)fa->path.n, fa->path.p,
               (int)fb->path.n, fb->path.p);
        CHECK(t, same_kvs(fa->partition_values, fa->n_partition_values, fb->partition_values, fb->n_partition_values));
        CHECK_EQ_INT(t, fa->size, fb->size);
        CHECK_EQ_INT(t, fa->modification_time, fb->modification_time);
        CHECK(t, vl_sv_eq(fa->stats, fb->stats));
        CHECK_EQ_INT(t, fa->num_records, fb->num_records);
    }
    CHECK_EQ_INT(t, a->n_tombstones, b->n_tombstones);
    for (size_t i = 0; i < a->n_tombstones && i < b->n_tombstones; i++) {
        const vl_delta_tombstone *ta = &a->tombstones[i], *tb = NULL;
        for (size_t k = 0; k < b->n_tombstones; k++)
            if (vl_sv_eq(b->tombstones[k].path, ta->path)) tb = &b->tombstones[k];
        CHECK(t, tb != NULL);
        if (!tb) continue;
        CHECK_EQ_INT(t, ta->deletion_timestamp, tb->deletion_timestamp);
        CHECK_EQ_INT(t, ta->size, tb->size);
        CHECK(t, same_kvs(ta->partition_values, ta->n_partition_values, tb->partition_values, tb->n_partition_values));
    }
    CHECK_EQ_INT(t, a->n_txns, b->n_txns);
    for (size_t i = 0; i < a->n_txns && i < b->n_txns; i++) {
        CHECK(t, vl_sv_eq(a->txns[i].app_id, b->txns[i].app_id));
        CHECK_EQ_INT(t, a->txns[i].version, b->txns[i].version);
        CHECK_EQ_INT(t, a->txns[i].last_updated, b->txns[i].last_updated);
    }
    CHECK_EQ_INT(t, a->num_records, b->num_records);
    CHECK_EQ_INT(t, a->size_bytes, b->size_bytes);
}

/* Six commits after the create: appends, a txn, an overwrite, a property. */
static bool seven_commits(vl_test *t, fixture *fx, const char *const *conf, uint32_t n_conf) {
    vl_error err = {0};
    int rc = create_table(fx, "id long, name string, part string", PART, 1, conf, n_conf, &err);
    if (rc) {
        CHECKF(t, 0, "%s", err.msg);
        return false;
    }
    APPEND(t, fx, "{\"id\":1,\"name\":\"a1\",\"part\":\"a\"}\n{\"id\":2,\"name\":\"b1\",\"part\":\"b\"}\n", 1);
    APPEND(t, fx, "{\"id\":3,\"name\":\"n1\",\"part\":null}\n", 2);
    vl_delta_txn *x = NULL;
    int64_t v = -1;
    rc = vl_delta_txn_begin(fx->t, &x, &err);
    if (rc == VL_OK) rc = vl_delta_txn_set_app_version(x, "job", 42, &err);
    if (rc == VL_OK) rc = write_rows(x, "{\"id\":4,\"name\":\"a2\",\"part\":\"a\"}\n", &err);
    if (rc == VL_OK) rc = vl_delta_txn_commit(x, &FAST, &v, &err);
    vl_delta_txn_free(x);
    CHECKF(t, rc == VL_OK && v == 3, "%s", err.msg);
    APPEND(t, fx, "{\"id\":5,\"name\":\"c1\",\"part\":\"c\"}\n", 4);
    x = NULL;
    rc = vl_delta_txn_begin(fx->t, &x, &err);
    if (rc == VL_OK) rc = remove_partition(x, "b", &err);
    if (rc == VL_OK) rc = write_rows(x, "{\"id\":6,\"name\":\"b2\",\"part\":\"b\"}\n", &err);
    if (rc == VL_OK) rc = vl_delta_txn_commit(x, &FAST, &v, &err);
    vl_delta_txn_free(x);
    CHECKF(t, rc == VL_OK && v == 5, "%s", err.msg);
    APPEND(t, fx, "{\"id\":7,\"name\":\"a3\",\"part\":\"a\"}\n", 6);
    return t->failed == 0;
}

static const char *const SEVEN_ROWS = "{\"id\":1,\"name\":\"a1\",\"part\":\"a\"}\n{\"id\":3,\"name\":\"n1\",\"part\":null}\n"
                                      "{\"id\":4,\"name\":\"a2\",\"part\":\"a\"}\n{\"id\":5,\"name\":\"c1\",\"part\":\"c\"}\n"
                                      "{\"id\":6,\"name\":\"b2\",\"part\":\"b\"}\n{\"id\":7,\"name\":\"a3\",\"part\":\"a\"}\n";

static void t_checkpoint_interval(vl_test *t) {
    fixture fx;
    if (!fx_open(t, &fx)) return;
    const char *conf[] = {"delta.checkpointInterval", "3"};
    if (!seven_commits(t, &fx, conf, 1)) {
        fx_close(&fx);
        return;
    }
    char *keys = list_keys(&fx, "_delta_log/");
    CHECKF(t, has(keys, "_delta_log/00000000000000000003.checkpoint.parquet\n") &&
                  has(keys, "_delta_log/00000000000000000006.checkpoint.parquet\n") &&
                  !has(keys, "00000000000000000000.checkpoint") && !has(keys, "00000000000000000005.checkpoint") &&
                  has(keys, "_delta_log/_last_checkpoint\n"),
           "%s", keys);
    free(keys);
    char *lc = get_str(&fx, "_delta_log/_last_checkpoint");
    vl_arena a;
    vl_arena_init(&a, 0);
    const vl_json *j = NULL;
    vl_error err = {0};
    CHECKF(t, lc && vl_json_parse(lc, strlen(lc), &a, &j, &err) == VL_OK, "%s", lc ? lc : "(none)");
    CHECK(t, json_is_int(vl_json_get(j, "version"), 6));
    int64_t size;
    CHECK(t, vl_json_i64(vl_json_get(j, "size"), &size) && size >= 2 + 5);
    /* the checkpoint's layout, as Spark writes it */
    char *cp = NULL;
    vl_buf b;
    vl_buf_init(&b);
    vl_pq_reader *r = NULL;
    if (vl_store_get(fx.s, "_delta_log/00000000000000000006.checkpoint.parquet", &b, &err) == VL_OK &&
        vl_pq_reader_open_mem((const uint8_t *)b.p, b.n, "cp", &r, &err) == VL_OK) {
        const vl_pq_schema *ps = vl_pq_reader_schema(r);
        static const char *const want[] = {"txn", "add", "remove", "metaData", "protocol"};
        CHECK_EQ_INT(t, ps->root->n_children, 5);
        for (uint32_t i = 0; i < 5 && i < ps->root->n_children; i++) {
            CHECKF(t, vl_sv_eq_cstr(ps->root->children[i].name, want[i]), "column %u: %.*s", i,
                   (int)ps->root->children[i].name.n, ps->root->children[i].name.p);
            CHECK_EQ_INT(t, ps->root->children[i].repetition, VL_PQ_REP_OPTIONAL);
        }
        const vl_pq_node *add = ps->root->n_children > 1 ? &ps->root->children[1] : NULL;
        static const char *const add_want[] = {"path", "partitionValues", "size", "modificationTime",
                                               "dataChange", "tags", "stats"};
        CHECK(t, add && add->n_children == 7);
        for (uint32_t i = 0; add && i < 7 && i < add->n_children; i++)
            CHECK(t, vl_sv_eq_cstr(add->children[i].name, add_want[i]));
        int64_t rows = 0;
        for (uint32_t g = 0; g < vl_pq_reader_meta(r)->n_row_groups; g++) rows += vl_pq_reader_meta(r)->row_groups[g].num_rows;
        CHECK_EQ_INT(t, rows, size);
        /* a row per action: protocol, metaData, 1 txn, 6 adds, 1 remove (tombstone) */
        CHECK_EQ_INT(t, rows, 10);
    } else {
        CHECKF(t, 0, "checkpoint 6: %s", err.msg);
    }
    vl_pq_reader_close(r);
    vl_buf_free(&b);
    free(cp);
    free(lc);
    vl_arena_destroy(&a);
    /* snapshots from the checkpoints equal JSON-only replays */
    vl_delta_snapshot *c6 = load(t, &fx, VL_DELTA_LATEST), *c4 = load(t, &fx, AT(4)), *c2 = load(t, &fx, AT(2));
    if (c6) CHECK_EQ_INT(t, c6->checkpoint_version, 6);
    if (c4) CHECK_EQ_INT(t, c4->checkpoint_version, 3);
    if (c2) CHECK_EQ_INT(t, c2->checkpoint_version, -1);
    CHECK_EQ_INT(t, delete_matching(&fx, "_delta_log/", "checkpoint"), 3);
    vl_delta_snapshot *j6 = load(t, &fx, VL_DELTA_LATEST), *j4 = load(t, &fx, AT(4));
    if (j6) CHECK_EQ_INT(t, j6->checkpoint_version, -1);
    if (j4) CHECK_EQ_INT(t, j4->checkpoint_version, -1);
    if (c6 && j6) same_snapshot(t, c6, j6);
    if (c4 && j4) same_snapshot(t, c4, j4);
    if (c6) {
        CHECK_EQ_INT(t, vl_delta_snapshot_app_version(c6, "job"), 42);
        CHECK_EQ_INT(t, c6->n_files, 6);
        CHECK_EQ_INT(t, c6->n_tombstones, 1);
    }
    vl_delta_snapshot_free(c6);
    vl_delta_snapshot_free(c4);
    vl_delta_snapshot_free(c2);
    vl_delta_snapshot_free(j6);
    vl_delta_snapshot_free(j4);
    CHECK_ROWS(t, &fx, VL_DELTA_LATEST, SEVEN_ROWS);
    fx_close(&fx);
}

/* An explicit checkpoint equals the state of a table whose interval never fires. */
static void t_checkpoint_explicit(vl_test *t) {
    fixture fx;
    if (!fx_open(t, &fx)) return;
    const char *conf[] = {"delta.checkpointInterval", "1000000"};
    if (!seven_commits(t, &fx, conf, 1)) {
        fx_close(&fx);
        return;
    }
    CHECK(t, !exists(&fx, "_delta_log/_last_checkpoint"));
    vl_delta_snapshot *j5 = load(t, &fx, AT(5)), *c5 = NULL;
    vl_error err = {0};
    if (j5) {
        int rc = vl_delta_checkpoint_write(j5, &err);
        CHECKF(t, rc == VL_OK, "%s", err.msg);
        CHECK(t, exists(&fx, "_delta_log/00000000000000000005.checkpoint.parquet"));
        char *lc = get_str(&fx, "_delta_log/_last_checkpoint");
        CHECKF(t, has(lc, "\"version\":5"), "%s", lc ? lc : "(none)");
        free(lc);
        c5 = load(t, &fx, AT(5));
        if (c5) {
            CHECK_EQ_INT(t, c5->checkpoint_version, 5);
            same_snapshot(t, c5, j5);
        }
    }
    vl_delta_snapshot *c6 = load(t, &fx, VL_DELTA_LATEST);
    if (c6) CHECK_EQ_INT(t, c6->checkpoint_version, 5);
    vl_delta_snapshot_free(j5);
    vl_delta_snapshot_free(c5);
    vl_delta_snapshot_free(c6);
    CHECK_ROWS(t, &fx, VL_DELTA_LATEST, SEVEN_ROWS);
    fx_close(&fx);
}

/* ----------------------------------------------------------- log cleanup */

static int hist_cb(void *ctx, const vl_delta_commit_info *c, vl_error *err) {
    (void)err;
    vl_buf *b = ctx;
    if (vl_buf_printf(b, "%lld:%.*s\n", (long long)c->version, (int)c->operation.n, c->operation.p)) return VL_ENOMEM;
    return VL_OK;
}

static void t_log_cleanup(vl_test *t) {
    fixture fx;
    if (!fx_open(t, &fx)) return;
    const char *conf[] = {"delta.checkpointInterval", "3", "delta.logRetentionDuration", "interval 1 hours"};
    if (!seven_commits(t, &fx, conf, 2)) {
        fx_close(&fx);
        return;
    }
    vl_error err = {0};
    size_t deleted = 99;
    int64_t now = vl_now_us() / 1000;
    /* inside the retention nothing goes */
    CHECKF(t, vl_delta_log_cleanup(fx.t, now, &deleted, &err) == VL_OK, "%s", err.msg);
    CHECK_EQ_INT(t, deleted, 0);
    CHECK_EQ_INT(t, delete_matching(&fx, "_delta_log/", "no such name"), 0);
    char *before = list_keys(&fx, "_delta_log/");
    CHECK_EQ_INT(t, count_lines(before), 7 + 2 + 1);
    free(before);
    /* a day later: everything before the newest checkpoint goes */
    deleted = 0;
    CHECKF(t, vl_delta_log_cleanup(fx.t, now + 86400000, &deleted, &err) == VL_OK, "%s", err.msg);
    CHECK_EQ_INT(t, deleted, 6 + 1);
    char *keys = list_keys(&fx, "_delta_log/");
    CHECKF(t, strcmp(keys, "_delta_log/00000000000000000006.checkpoint.parquet\n"
                           "_delta_log/00000000000000000006.json\n"
                           "_delta_log/_last_checkpoint\n") == 0,
           "%s", keys);
    free(keys);
    /* the latest version still loads and scans */
    vl_delta_snapshot *s = load(t, &fx, VL_DELTA_LATEST);
    if (s) {
        CHECK_EQ_INT(t, s->version, 6);
        CHECK_EQ_INT(t, vl_delta_snapshot_app_version(s, "job"), 42);
    }
    vl_delta_snapshot_free(s);
    CHECK_ROWS(t, &fx, VL_DELTA_LATEST, SEVEN_ROWS);
    CHECK_ROWS(t, &fx, AT(6), SEVEN_ROWS);
    /* time travel to a cleaned-up version says so */
    for (int64_t v = 0; v < 6; v++) {
        s = NULL;
        err = (vl_error){0};
        int rc = vl_delta_snapshot_load(fx.t, AT(v), &s, &err);
        char want[32];
        snprintf(want, sizeof(want), "version %lld ", (long long)v);
        CHECKF(t, rc == VL_ENOTFOUND && has(err.msg, want) && has(err.msg, "6"), "version %lld: rc %d: %s",
               (long long)v, rc, err.msg);
        vl_delta_snapshot_free(s);
    }
    /* history lists what is left; the table takes new commits */
    vl_buf h;
    vl_buf_init(&h);
    CHECK(t, vl_delta_history(fx.t, -1, hist_cb, &h, &err) == VL_OK);
    CHECK_EQ_STR(t, vl_buf_cstr(&h), "6:WRITE\n");
    vl_buf_free(&h);
    APPEND(t, &fx, "{\"id\":8,\"name\":\"a4\",\"part\":\"a\"}\n", 7);
    char *g = scan_at(&fx, VL_DELTA_LATEST);
    CHECK_EQ_INT(t, count_lines(g), 7);
    free(g);
    /* cleaning again deletes nothing more that is needed */
    CHECKF(t, vl_delta_log_cleanup(fx.t, now + 86400000, &deleted, &err) == VL_OK, "%s", err.msg);
    s = load(t, &fx, VL_DELTA_LATEST);
    if (s) CHECK_EQ_INT(t, s->version, 7);
    vl_delta_snapshot_free(s);
    fx_close(&fx);
}

/* ------------------------------------------------------ optimize, vacuum */

typedef struct vac_seen {
    vl_buf keys;
} vac_seen;

static int vac_cb(void *ctx, const char *key, uint64_t size, vl_error *err) {
    vac_seen *V = ctx;
    (void)size;
    if (vl_buf_puts(&V->keys, key) || vl_buf_putc(&V->keys, '\n')) return vl_error_set(err, VL_ENOMEM, "oom");
    return VL_OK;
}

static void t_optimize_vacuum(vl_test *t) {
    fixture fx;
    if (!fx_open(t, &fx)) return;
    vl_error err = {0};
    int rc = create_table(&fx, "id long, name string, part string", PART, 1, NULL, 0, &err);
    REQUIRE_OK(t, rc, err);
    vl_buf all;
    vl_buf_init(&all);
    int64_t v = 1;
    static const char *const parts[] = {"a", "a", "b", "a", "b", "a", "b", "c"};
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        char row[200];
        snprintf(row, sizeof(row), "{\"id\":%zu,\"name\":\"n%zu\",\"part\":\"%s\"}\n{\"id\":%zu,\"name\":null,\"part\":\"%s\"}\n",
                 i * 2, i, parts[i], i * 2 + 1, parts[i]);
        CHECK(t, vl_buf_puts(&all, row) == VL_OK);
        APPEND(t, &fx, row, v);
        v++;
    }
    vl_delta_snapshot *s = load(t, &fx, VL_DELTA_LATEST);
    if (s) CHECK_EQ_INT(t, s->n_files, 8);
    vl_delta_snapshot_free(s);
    vl_delta_optimize_result res;
    rc = vl_delta_optimize(fx.t, NULL, &res, &err);
    CHECKF(t, rc == VL_OK, "%s", err.msg);
    CHECK_EQ_INT(t, res.version, 9);
    CHECK_EQ_INT(t, res.files_removed, 7);
    CHECK_EQ_INT(t, res.files_added, 2);
    CHECK_EQ_INT(t, res.partitions, 2);
    CHECK_EQ_INT(t, res.rows, 14);
    CHECK_ROWS(t, &fx, VL_DELTA_LATEST, vl_buf_cstr(&all));
    CHECK_ROWS(t, &fx, AT(8), vl_buf_cstr(&all));
    s = load(t, &fx, VL_DELTA_LATEST);
    if (s) {
        CHECK_EQ_INT(t, s->n_files, 3);
        CHECK_EQ_INT(t, s->num_records, 16);
        const vl_delta_file *fa = file_in(s, "a", 0);
        CHECK(t, fa && fa->num_records == 8 && file_in(s, "a", 1) == NULL);
    }
    vl_delta_snapshot_free(s);
    logf L;
    if (log_read(t, &fx, 9, &L)) {
        CHECK_EQ_INT(t, log_count(&L, "add"), 2);
        CHECK_EQ_INT(t, log_count(&L, "remove"), 7);
        for (size_t i = 0; i < 2; i++) CHECK(t, json_is_bool(vl_json_get(log_get(&L, "add", i), "dataChange"), false));
        for (size_t i = 0; i < 7; i++)
            CHECK(t, json_is_bool(vl_json_get(log_get(&L, "remove", i), "dataChange"), false));
        const vl_json *ci = log_get(&L, "commitInfo", 0);
        CHECK(t, json_is_str(vl_json_get(ci, "operation"), "OPTIMIZE"));
        CHECK(t, json_is_bool(vl_json_get(ci, "isBlindAppend"), false));
        log_free(&L);
    }
    /* nothing left to do */
    rc = vl_delta_optimize(fx.t, NULL, &res, &err);
    CHECKF(t, rc == VL_OK && res.version == -1 && res.files_added == 0, "%s", err.msg);

    /* vacuum: stray files, the removed files; live and log files stay */
    CHECK(t, vl_store_put(fx.s, "part=a/stray-0000.parquet", "x", 1, &err) == VL_OK);
    CHECK(t, vl_store_put(fx.s, "orphan.parquet", "yy", 2, &err) == VL_OK);
    CHECK(t, vl_store_put(fx.s, "_hidden/keep.parquet", "z", 1, &err) == VL_OK);
    char *log_before = list_keys(&fx, "_delta_log/"), *data_before = list_keys(&fx, "");
    int64_t future = vl_now_us() / 1000 + 3600000;
    /* the default retention keeps everything this young */
    size_t nd = 99;
    uint64_t bytes = 0;
    vl_delta_vacuum_opts vo = {.retention_ms = 0, .now_ms = 0};
    rc = vl_delta_vacuum(fx.t, &vo, NULL, NULL, &nd, &bytes, &err);
    CHECKF(t, rc == VL_OK && nd == 0, "rc %d nd %zu: %s", rc, nd, err.msg);
    /* a dry run reports and deletes nothing */
    vac_seen V;
    vl_buf_init(&V.keys);
    vo = (vl_delta_vacuum_opts){.retain_nothing = true, .dry_run = true, .now_ms = future};
    rc = vl_delta_vacuum(fx.t, &vo, vac_cb, &V, &nd, &bytes, &err);
    CHECKF(t, rc == VL_OK, "%s", err.msg);
    CHECK_EQ_INT(t, nd, 9);
    CHECK_EQ_INT(t, count_lines(vl_buf_cstr(&V.keys)), 9);
    CHECK(t, has(vl_buf_cstr(&V.keys), "part=a/stray-0000.parquet\n") && has(vl_buf_cstr(&V.keys), "orphan.parquet\n"));
    CHECK(t, !has(vl_buf_cstr(&V.keys), "_delta_log") && !has(vl_buf_cstr(&V.keys), "_hidden"));
    char *after = list_keys(&fx, "");
    CHECK_EQ_STR(t, after, data_before);
    free(after);
    /* the real thing */
    vl_buf_clear(&V.keys);
    vo.dry_run = false;
    rc = vl_delta_vacuum(fx.t, &vo, vac_cb, &V, &nd, &bytes, &err);
    CHECKF(t, rc == VL_OK, "%s", err.msg);
    CHECK_EQ_INT(t, nd, 9);
    CHECK(t, bytes > 3);
    CHECK(t, !exists(&fx, "part=a/stray-0000.parquet") && !exists(&fx, "orphan.parquet"));
    CHECK(t, exists(&fx, "_hidden/keep.parquet"));
    after = list_keys(&fx, "_delta_log/");
    CHECK_EQ_STR(t, after, log_before);
    free(after);
    after = list_keys(&fx, "part=");
    CHECKF(t, count_lines(after) == 3, "%s", after);
    free(after);
    s = load(t, &fx, VL_DELTA_LATEST);
    for (size_t i = 0; s && i < s->n_files; i++) {
        vl_buf dec;
        vl_buf_init(&dec);
        vl_error e2;
        CHECK(t, vl_delta_path_decode(s->files[i].path.p, s->files[i].path.n, &dec, &e2) == VL_OK);
        CHECKF(t, exists(&fx, vl_buf_cstr(&dec)), "live file %s was vacuumed", vl_buf_cstr(&dec));
        vl_buf_free(&dec);
    }
    vl_delta_snapshot_free(s);
    CHECK_ROWS(t, &fx, VL_DELTA_LATEST, vl_buf_cstr(&all));
    /* again: nothing more */
    rc = vl_delta_vacuum(fx.t, &vo, NULL, NULL, &nd, &bytes, &err);
    CHECKF(t, rc == VL_OK && nd == 0, "rc %d nd %zu: %s", rc, nd, err.msg);
    /* an old version whose files were vacuumed fails to scan, naming a file */
    char *g = scan_at(&fx, AT(8));
    CHECKF(t, g[0] == '<' && has(g, "part="), "%s", g);
    free(g);
    vl_buf_free(&V.keys);
    free(log_before);
    free(data_before);
    vl_buf_free(&all);
    fx_close(&fx);
}

/* A table under a key prefix keeps to it: a sibling whose name extends the
 * prefix and other keys of the lake are never touched. */
static void t_table_under_prefix(vl_test *t) {
    fixture fx;
    if (!fx_open(t, &fx)) return;
    vl_delta_table *tt = NULL, *sib = NULL;
    vl_error err = {0};
    REQUIRE(t, vl_delta_table_open(fx.s, "bronze/ev/", &tt, &err) == VL_OK);
    if (vl_delta_table_open(fx.s, "bronze/ev2", &sib, &err) != VL_OK) {
        vl_delta_table_close(tt);
        REQUIRE_OK(t, VL_EINVAL, err);
    }
    vl_delta_table *root = fx.t;
    int rc = VL_OK;
    /* the sibling first, through the fixture's helpers */
    fx.t = sib;
    rc = create_table(&fx, "id long, part string", PART, 1, NULL, 0, &err);
    CHECKF(t, rc == VL_OK, "%s", err.msg);
    APPEND(t, &fx, "{\"id\":1,\"part\":\"a\"}\n", 1);
    APPEND(t, &fx, "{\"id\":2,\"part\":\"a\"}\n", 2);
    fx.t = tt;
    rc = create_table(&fx, "id long, part string", PART, 1, NULL, 0, &err);
    CHECKF(t, rc == VL_OK, "%s", err.msg);
    APPEND(t, &fx, "{\"id\":10,\"part\":\"a\"}\n", 1);
    APPEND(t, &fx, "{\"id\":11,\"part\":\"a\"}\n", 2);
    CHECK(t, exists(&fx, "bronze/ev/_delta_log/00000000000000000002.json"));
    CHECK(t, vl_store_put(fx.s, "bronze/other.parquet", "x", 1, &err) == VL_OK);
    char *before = list_keys(&fx, "bronze/ev2/");
    vl_delta_optimize_result res;
    CHECKF(t, vl_delta_optimize(tt, NULL, &res, &err) == VL_OK && res.version == 3, "%s", err.msg);
    vl_delta_vacuum_opts vo = {.retain_nothing = true, .now_ms = vl_now_us() / 1000 + 3600000};
    size_t nd = 0;
    CHECKF(t, vl_delta_vacuum(tt, &vo, NULL, NULL, &nd, NULL, &err) == VL_OK, "%s", err.msg);
    CHECK_EQ_INT(t, nd, 2);
    char *after = list_keys(&fx, "bronze/ev2/");
    CHECK_EQ_STR(t, after, before);
    CHECK(t, exists(&fx, "bronze/other.parquet"));
    free(before);
    free(after);
    CHECK_ROWS(t, &fx, VL_DELTA_LATEST, "{\"id\":10,\"part\":\"a\"}\n{\"id\":11,\"part\":\"a\"}\n");
    fx.t = sib;
    CHECK_ROWS(t, &fx, VL_DELTA_LATEST, "{\"id\":1,\"part\":\"a\"}\n{\"id\":2,\"part\":\"a\"}\n");
    fx.t = root;
    vl_delta_table_close(tt);
    vl_delta_table_close(sib);
    fx_close(&fx);
}

/* ---------------------------------------------------- failure injection */

static void alloc_failures_append(vl_test *t, fixture *fx_) {
    fixture fx = *fx_;
    vl_error err = {0};
    const char *conf[] = {"delta.checkpointInterval", "2"};
    int rc = create_table(&fx, "id long NOT NULL, name string, st struct<x:int>, part string", PART, 1, conf, 1, &err);
    REQUIRE_OK(t, rc, err);
    APPEND(t, &fx, "{\"id\":1,\"name\":\"a\",\"st\":{\"x\":1},\"part\":\"p\"}\n", 1);
    const char *rows = "{\"id\":2,\"name\":\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\",\"st\":null,\"part\":\"p\"}\n"
                       "{\"id\":3,\"name\":null,\"st\":{\"x\":3},\"part\":\"a/b\"}\n";
    long n;
    bool ok = false;
    for (n = 0; n < 20000 && !ok; n++) {
        err = (vl_error){0};
        vl_delta_txn *x = NULL;
        int64_t v = -1;
        vl_alloc_fail_after(n);
        rc = vl_delta_txn_begin(fx.t, &x, &err);
        if (rc == VL_OK) rc = write_rows(x, rows, &err);
        if (rc == VL_OK) rc = vl_delta_txn_set_app_version(x, "app", 5, &err);
        if (rc == VL_OK) rc = vl_delta_txn_commit(x, &FAST, &v, &err);
        vl_delta_txn_free(x);
        vl_alloc_fail_after(-1);
        if (rc == VL_OK) {
            ok = true;
            CHECK_EQ_INT(t, v, 2);
            break;
        }
        CHECKF(t, err.msg[0] != '\0', "fail at %ld: rc %d with no message", n, rc);
        /* an error commits nothing, and the table still loads */
        vl_delta_snapshot *s = NULL;
        vl_error e2 = {0};
        int lrc = vl_delta_snapshot_load(fx.t, VL_DELTA_LATEST, &s, &e2);
        CHECKF(t, lrc == VL_OK, "fail at %ld: then load: %s", n, e2.msg);
        if (s) CHECKF(t, s->version == 1, "fail at %ld (rc %d: %s): version %lld", n, rc, err.msg, (long long)s->version);
        vl_delta_snapshot_free(s);
        if (t->failed > 10) break;
    }
    CHECKF(t, ok, "never succeeded (last n %ld)", n);
    vl_delta_snapshot *s = load(t, &fx, VL_DELTA_LATEST);
    if (s) {
        CHECK_EQ_INT(t, s->version, 2);
        CHECK_EQ_INT(t, vl_delta_snapshot_app_version(s, "app"), 5);
    }
    vl_delta_snapshot_free(s);
    CHECK_ROWS(t, &fx, VL_DELTA_LATEST,
               "{\"id\":1,\"name\":\"a\",\"st\":{\"x\":1},\"part\":\"p\"}\n"
               "{\"id\":2,\"name\":\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\",\"st\":null,\"part\":\"p\"}\n"
               "{\"id\":3,\"name\":null,\"st\":{\"x\":3},\"part\":\"a/b\"}\n");
}

static void alloc_failures_maintenance(vl_test *t, fixture *fx_) {
    fixture fx = *fx_;
    const char *conf[] = {"delta.checkpointInterval", "1000"};
    if (!seven_commits(t, &fx, conf, 1)) return;
    /* checkpoint writing */
    long n;
    bool ok = false;
    vl_error err;
    for (n = 0; n < 20000 && !ok; n++) {
        err = (vl_error){0};
        vl_delta_snapshot *s = NULL;
        vl_alloc_fail_after(n);
        int rc = vl_delta_snapshot_load(fx.t, VL_DELTA_LATEST, &s, &err);
        if (rc == VL_OK) rc = vl_delta_checkpoint_write(s, &err);
        vl_delta_snapshot_free(s);
        vl_alloc_fail_after(-1);
        CHECKF(t, rc == VL_OK || err.msg[0], "checkpoint fail at %ld: rc %d without message", n, rc);
        ok = rc == VL_OK;
        if (!ok) {
            s = load(t, &fx, VL_DELTA_LATEST);
            vl_delta_snapshot_free(s);
        }
        if (t->failed > 10) break;
    }
    CHECKF(t, ok, "checkpoint never succeeded (last n %ld)", n);
    vl_delta_snapshot *s = load(t, &fx, VL_DELTA_LATEST);
    if (s) CHECK_EQ_INT(t, s->checkpoint_version, 6);
    vl_delta_snapshot_free(s);
    /* optimize */
    ok = false;
    for (n = 0; n < 50000 && !ok; n++) {
        err = (vl_error){0};
        vl_delta_optimize_result res;
        vl_alloc_fail_after(n);
        int rc = vl_delta_optimize(fx.t, NULL, &res, &err);
        vl_alloc_fail_after(-1);
        CHECKF(t, rc == VL_OK || err.msg[0], "optimize fail at %ld: rc %d without message", n, rc);
        ok = rc == VL_OK;
        if (ok) CHECK_EQ_INT(t, res.version, 7);
        s = load(t, &fx, VL_DELTA_LATEST);
        if (s && !ok) CHECKF(t, s->version == 6, "optimize fail at %ld committed %lld", n, (long long)s->version);
        vl_delta_snapshot_free(s);
        if (t->failed > 10) break;
    }
    CHECKF(t, ok, "optimize never succeeded (last n %ld)", n);
    CHECK_ROWS(t, &fx, VL_DELTA_LATEST, SEVEN_ROWS);
}

/*
 * Runs fn in a child process on a fresh fixture, so that an abort (an
 * assert) or a leak (LeakSanitizer exits 23 at exit) fails this case
 * instead of ending the whole run; the parent removes the directory.
 */
static void run_isolated(vl_test *t, void (*fn)(vl_test *, fixture *)) {
    fixture fx;
    if (!fx_open(t, &fx)) return;
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        CHECKF(t, 0, "fork: %s", strerror(errno));
    } else if (pid == 0) {
        vl_test c = {t->name, 0, NULL};
        fn(&c, &fx);
        fflush(stdout);
        exit(c.failed ? 1 : 0);
    } else {
        int st = 0;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
        }
        if (WIFSIGNALED(st)) CHECKF(t, 0, "the child died of signal %d", WTERMSIG(st));
        else CHECKF(t, WEXITSTATUS(st) == 0, "the child exited %d (1: failed checks, 23: leaks)", WEXITSTATUS(st));
    }
    fx_close(&fx);
}

static void t_alloc_failures_append(vl_test *t) { run_isolated(t, alloc_failures_append); }
static void t_alloc_failures_maintenance(vl_test *t) { run_isolated(t, alloc_failures_maintenance); }

static const vl_test_case cases[] = {
    {"create writes protocol 1/2, metaData and commitInfo at version 0", t_create},
    {"timestamp_ntz tables use table features; bad creates name the problem", t_create_ntz_and_refusals},
    {"appends land in escaped Hive directories and scan back", t_append_partitions},
    {"add stats: counts, bounds, truncation, ms timestamps, nesting", t_stats},
    {"partition overwrite leaves other partitions; time travel reads old data", t_overwrite_partition},
    {"txn app versions commit, persist and survive checkpoints", t_app_txn},
    {"concurrent blind appends both commit", t_conflict_blind_appends},
    {"concurrent metadata changes conflict", t_conflict_metadata},
    {"set_metadata accepts the transaction's own schema", t_set_metadata_own_schema},
    {"concurrent removes of one file conflict", t_conflict_remove_same_file},
    {"concurrent txns of one appId conflict", t_conflict_app_id},
    {"a data file written a piece at a time has every row and whole-file stats", t_streamed_writer},
    {"overwrite conflicts with appends into its partition only", t_conflict_overwrite_vs_append},
    {"schema evolution adds nullable columns and refuses the rest", t_schema_evolution},
    {"interval checkpoints equal JSON replays and have Spark's layout", t_checkpoint_interval},
    {"an explicit checkpoint equals the JSON replay", t_checkpoint_explicit},
    {"log cleanup keeps the newest checkpoint and refuses old versions", t_log_cleanup},
    {"optimize compacts without data change; vacuum deletes the unreferenced", t_optimize_vacuum},
    {"a table under a key prefix keeps to it", t_table_under_prefix},
    {"allocation failures in append+commit end cleanly", t_alloc_failures_append},
    {"allocation failures in checkpoint and optimize end cleanly", t_alloc_failures_maintenance},
};

VL_TEST_MAIN(cases)
