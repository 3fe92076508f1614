/* vidlake - Apache-2.0 */
/*
 * vidlake table SUB TABLE: create, write, read and maintain Delta tables.
 *   create      a new table from a column list (DDL), partitioning, properties
 *   append      NDJSON rows into the table (one atomic commit), optionally
 *               overwriting the partitions they fall in, idempotently (--txn)
 *   history     the commits, newest first
 *   describe    protocol, schema, partitioning, properties, files, rows
 *   files       the live files with partition values, sizes and row counts
 *   scan        the rows (NDJSON or CSV), projected, filtered, at a version
 *   optimize    compact small files
 *   vacuum      delete files no version within the retention needs
 *   checkpoint  write a checkpoint of the latest version, clean up the log
 * TABLE is a directory or a file:// URL.
 */
#include "cli.h"
#include "delta/delta.h"

#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>

static const char usage_text[] =
    "usage: vidlake table create TABLE --schema 'id long, name string, ...' [--partition-by a,b]\n"
    "                           [--property key=value]...\n"
    "       vidlake table append TABLE [--from FILE|-] [--overwrite] [--txn APP_ID:VERSION]\n"
    "                           [--schema DDL --merge-schema]\n"
    "       vidlake table history TABLE [--limit N] [--json]\n"
    "       vidlake table describe TABLE [--version N | --timestamp T] [--json]\n"
    "       vidlake table files TABLE [--version N | --timestamp T] [--where EXPR]\n"
    "       vidlake table scan TABLE [--version N | --timestamp T] [--columns a,b] [--where EXPR]\n"
    "                           [--format ndjson|csv] [--limit N] [--stats]\n"
    "       vidlake table optimize TABLE [--target-size BYTES] [--min-files N]\n"
    "       vidlake table vacuum TABLE [--retain-hours H] [--dry-run]\n"
    "       vidlake table checkpoint TABLE\n"
    "\n"
    "TABLE is a directory or a file:// URL holding (or to hold) _delta_log/.\n"
    "Types in --schema: string long int short byte float double boolean binary date\n"
    "timestamp timestamp_ntz decimal(p,s) array<T> map<K,V> struct<a:T,...>; add NOT NULL\n"
    "to forbid nulls. Rows for append are NDJSON objects keyed by column name, with\n"
    "the conventions scan prints (dates YYYY-MM-DD, ISO-8601 timestamps, decimals as\n"
    "strings, binary as base64), so scan output appends back unchanged.\n"
    "--where: comparisons of columns with literals joined by AND, OR, NOT:\n"
    "  \"country = 'US' AND startup_ms >= 2000\", \"day IN ('2024-05-01','2024-05-02')\",\n"
    "  \"cdn IS NULL\". Files are pruned by partition values and stats, rows filtered.\n"
    "--timestamp takes RFC 3339 (2024-05-01T12:00:00Z): the version current then.\n";

enum {
    O_SCHEMA, O_PARTITION_BY, O_PROPERTY, O_FROM, O_OVERWRITE, O_TXN, O_MERGE_SCHEMA, O_LIMIT, O_JSON, O_VERSION,
    O_TIMESTAMP, O_WHERE, O_COLUMNS, O_FORMAT, O_STATS, O_TARGET_SIZE, O_MIN_FILES, O_RETAIN_HOURS, O_DRY_RUN,
};

static const vl_opt opts[] = {
    [O_SCHEMA] = {"schema", true},           [O_PARTITION_BY] = {"partition-by", true},
    [O_PROPERTY] = {"property", true},       [O_FROM] = {"from", true},
    [O_OVERWRITE] = {"overwrite", false},    [O_TXN] = {"txn", true},
    [O_MERGE_SCHEMA] = {"merge-schema", false}, [O_LIMIT] = {"limit", true},
    [O_JSON] = {"json", false},              [O_VERSION] = {"version", true},
    [O_TIMESTAMP] = {"timestamp", true},     [O_WHERE] = {"where", true},
    [O_COLUMNS] = {"columns", true},         [O_FORMAT] = {"format", true},
    [O_STATS] = {"stats", false},            [O_TARGET_SIZE] = {"target-size", true},
    [O_MIN_FILES] = {"min-files", true},     [O_RETAIN_HOURS] = {"retain-hours", true},
    [O_DRY_RUN] = {"dry-run", false},        {NULL, false},
};

typedef struct args {
    const char *sub, *table;
    const char *schema, *partition_by, *from, *txn, *where, *columns;
    const char *props[64];
    int n_props;
    bool overwrite, merge_schema, json, stats, dry_run;
    int64_t limit, version, timestamp_us, target_size, min_files;
    double retain_hours;
    int format;
} args;

#define CMD "table"

/* ------------------------------------------------------------------ open */

typedef struct opened {
    vl_store *store;
    vl_delta_table *t;
    vl_delta_snapshot *s; /* open_snapshot only */
} opened;

static int open_table(const args *A, opened *o) {
    vl_error err;
    memset(o, 0, sizeof(*o));
    if (vl_store_open(A->table, &o->store, &err) != VL_OK) {
        vl_cli_err(CMD, "%s", err.msg);
        return 2;
    }
    if (vl_delta_table_open(o->store, "", &o->t, &err) != VL_OK) {
        vl_cli_err(CMD, "%s", err.msg);
        vl_store_close(o->store);
        return 2;
    }
    return 0;
}

static void close_table(opened *o) {
    vl_delta_snapshot_free(o->s);
    vl_delta_table_close(o->t);
    vl_store_close(o->store);
}

/* Opens the table and loads the snapshot --version/--timestamp name. */
static int open_snapshot(const args *A, opened *o) {
    int rc = open_table(A, o);
    if (rc) return rc;
    vl_error err;
    vl_delta_at at = {A->version, A->timestamp_us};
    if (vl_delta_snapshot_load(o->t, at, &o->s, &err) != VL_OK) {
        vl_cli_err(CMD, "%s: %s", A->table, err.msg);
        close_table(o);
        return 2;
    }
    return 0;
}

static int out_sink(void *ctx, const char *p, size_t n, vl_error *err) {
    (void)ctx;
    if (fwrite(p, 1, n, stdout) != n) return vl_error_set(err, VL_EIO, "writing output failed");
    return VL_OK;
}

static int finish_output(void) {
    if (fflush(stdout) != 0) {
        vl_cli_err(CMD, "writing output failed");
        return 2;
    }
    return 0;
}

/* ---------------------------------------------------------------- create */

static int split_kv(const char *s, vl_delta_kv *kv) {
    const char *eq = strchr(s, '=');
    if (!eq || eq == s) return -1;
    kv->key = (vl_sv){s, (size_t)(eq - s)};
    kv->value = vl_sv_cstr(eq + 1);
    kv->value_null = false;
    return 0;
}

/* Splits "a,b,c" into names (pointers into a copy owned by the caller). */
static int split_list(const char *s, char **copy, const char **names, int cap) {
    *copy = vl_strndup(s, strlen(s));
    if (!*copy) return -1;
    int n = 0;
    for (char *p = *copy; *p && n < cap;) {
        char *e = strchr(p, ',');
        if (e) *e = 0;
        while (*p == ' ') p++;
        char *end = p + strlen(p);
        while (end > p && end[-1] == ' ') *--end = 0;
        if (*p) names[n++] = p;
        if (!e) break;
        p = e + 1;
    }
    return n;
}

static int cmd_create(const args *A) {
    if (!A->schema) {
        vl_cli_err(CMD, "create: --schema 'name type, ...' is required");
        return 2;
    }
    vl_error err;
    vl_arena a;
    vl_arena_init(&a, 4096);
    vl_dt_type schema;
    if (vl_delta_schema_from_ddl(A->schema, &a, &schema, &err) != VL_OK) {
        vl_cli_err(CMD, "create: --schema: %s", err.msg);
        vl_arena_destroy(&a);
        return 2;
    }
    const char *parts[64];
    char *copy = NULL;
    int n_parts = A->partition_by ? split_list(A->partition_by, &copy, parts, 64) : 0;
    vl_delta_kv props[64];
    for (int i = 0; i < A->n_props; i++)
        if (split_kv(A->props[i], &props[i])) {
            vl_cli_err(CMD, "create: --property wants key=value, not '%s'", A->props[i]);
            vl_free(copy);
            vl_arena_destroy(&a);
            return 2;
        }
    opened o;
    int rc = open_table(A, &o);
    if (rc) {
        vl_free(copy);
        vl_arena_destroy(&a);
        return rc;
    }
    vl_delta_txn *x = NULL;
    int64_t v = -1;
    int r = vl_delta_txn_begin(o.t, &x, &err);
    if (r == VL_OK && vl_delta_txn_snapshot(x)) r = vl_error_set(&err, VL_EINVAL, "a table already exists there");
    if (r == VL_OK)
        r = vl_delta_txn_set_metadata(x, &schema, parts, (uint32_t)(n_parts < 0 ? 0 : n_parts), props,
                                      (uint32_t)A->n_props, &err);
    if (r == VL_OK) {
        vl_buf p;
        vl_buf_init(&p);
        vl_json_w w;
        vl_json_w_init(&w, &p, 0);
        vl_json_w_begin_obj(&w);
        vl_json_w_key(&w, "partitionBy");
        vl_buf pb;
        vl_buf_init(&pb);
        vl_json_w pw;
        vl_json_w_init(&pw, &pb, 0);
        vl_json_w_begin_arr(&pw);
        for (int i = 0; i < n_parts; i++) vl_json_w_cstr(&pw, parts[i]);
        vl_json_w_end_arr(&pw);
        r = vl_json_w_finish(&pw, &err);
        vl_json_w_str(&w, pb.p ? (const char *)pb.p : "[]", pb.n);
        vl_json_w_end_obj(&w);
        if (r == VL_OK) r = vl_json_w_finish(&w, &err);
        if (r == VL_OK) r = vl_delta_txn_set_operation(x, "CREATE TABLE", vl_buf_cstr(&p), &err);
        vl_buf_free(&p);
        vl_buf_free(&pb);
    }
    if (r == VL_OK) r = vl_delta_txn_commit(x, NULL, &v, &err);
    if (r) {
        vl_cli_err(CMD, "create %s: %s", A->table, err.msg);
        rc = 2;
    } else {
        fprintf(stderr, "created %s at version %lld\n", A->table, (long long)v);
    }
    vl_delta_txn_free(x);
    close_table(&o);
    vl_free(copy);
    vl_arena_destroy(&a);
    return rc;
}

/* ---------------------------------------------------------------- append */

typedef struct group {
    char *key;
    vl_delta_value *pv;
    vl_delta_shredder *sh;
} group;

typedef struct appender {
    vl_delta_txn *x;
    const vl_delta_metadata *md;
    bool *keep;
    group *g;
    size_t n_g, cap_g;
    vl_arena rows; /* the parsed rows of the current batch (the shredders point into them) */
    size_t rows_in_batch;
    int64_t rows_total, files;
} appender;

static int flush_groups(appender *P, vl_error *err) {
    for (size_t i = 0; i < P->n_g; i++) {
        size_t n = vl_delta_shredder_rows(P->g[i].sh);
        if (!n) continue;
        uint32_t nl;
        const vl_pq_column *cols = vl_delta_shredder_columns(P->g[i].sh, &nl);
        VL_RETURN_IF_ERR(vl_delta_txn_write(P->x, P->g[i].pv, cols, n, err));
        vl_delta_shredder_reset(P->g[i].sh);
        P->files++;
    }
    vl_arena_reset(&P->rows);
    P->rows_in_batch = 0;
    return VL_OK;
}

static int add_row(appender *P, const vl_json *row, vl_error *err) {
    const vl_delta_metadata *md = P->md;
    const vl_dt_type *st = &md->schema;
    vl_delta_value pv[64];
    vl_buf key;
    vl_buf_init(&key);
    int rc = VL_OK;
    for (uint32_t p = 0; rc == VL_OK && p < md->n_partition_columns && p < 64; p++) {
        const vl_dt_field *f = &st->fields[md->partition_index[p]];
        const vl_json *v = vl_json_get_sv(row, f->name);
        if (!v) pv[p] = (vl_delta_value){.is_null = true};
        else rc = vl_delta_value_from_json(&f->type, v, &P->rows, &pv[p], err);
        if (rc == VL_OK && pv[p].is_null && !f->nullable)
            rc = vl_error_set(err, VL_EINVAL, "partition column '%.*s' is null but NOT NULL", (int)f->name.n, f->name.p);
        if (rc == VL_OK && (vl_buf_putc(&key, '\x02') ||
                            (pv[p].is_null ? vl_buf_putc(&key, '\x01') : vl_delta_value_format(&f->type, &pv[p], &key))))
            rc = vl_error_set(err, VL_ENOMEM, "out of memory");
    }
    const char *k = rc == VL_OK ? vl_buf_cstr(&key) : NULL;
    if (rc == VL_OK && !k) rc = vl_error_set(err, VL_ENOMEM, "out of memory");
    group *g = NULL;
    for (size_t i = 0; rc == VL_OK && i < P->n_g; i++)
        if (strcmp(P->g[i].key, k) == 0) g = &P->g[i];
    if (rc == VL_OK && !g) {
        group *x = vl_grow(P->g, &P->cap_g, P->n_g, sizeof(*x), 8);
        if (!x) rc = vl_error_set(err, VL_ENOMEM, "out of memory");
        else P->g = x;
        if (rc == VL_OK) {
            g = &P->g[P->n_g];
            memset(g, 0, sizeof(*g));
            g->key = vl_strndup(k, key.n);
            g->pv = vl_calloc(md->n_partition_columns + 1, sizeof(vl_delta_value));
            if (!g->key || !g->pv) rc = vl_error_set(err, VL_ENOMEM, "out of memory");
            if (rc == VL_OK) rc = vl_delta_shredder_new(st, P->keep, &g->sh, err);
            /* partition values must outlive the batch arena: keep strings */
            for (uint32_t p = 0; rc == VL_OK && p < md->n_partition_columns; p++) {
                g->pv[p] = pv[p];
                if (pv[p].s.n) {
                    char *c = vl_strndup(pv[p].s.p, pv[p].s.n);
                    if (!c) rc = vl_error_set(err, VL_ENOMEM, "out of memory");
                    g->pv[p].s.p = c;
                }
            }
            P->n_g++;
        }
    }
    if (rc == VL_OK) rc = vl_delta_shredder_add(g->sh, row, err);
    vl_buf_free(&key);
    return rc;
}

static void free_groups(appender *P) {
    for (size_t i = 0; i < P->n_g; i++) {
        for (uint32_t p = 0; p < P->md->n_partition_columns; p++)
            if (P->g[i].pv[p].s.n) vl_free((void *)(uintptr_t)P->g[i].pv[p].s.p);
        vl_free(P->g[i].key);
        vl_free(P->g[i].pv);
        vl_delta_shredder_free(P->g[i].sh);
    }
    vl_free(P->g);
}

static int cmd_append(const args *A) {
    vl_error err;
    const char *app = NULL;
    int64_t app_version = -1;
    char app_buf[512];
    if (A->txn) {
        const char *colon = strrchr(A->txn, ':');
        if (!colon || colon == A->txn || (size_t)(colon - A->txn) >= sizeof(app_buf) ||
            vl_parse_i64(colon + 1, strlen(colon + 1), &app_version) != VL_OK || app_version < 0) {
            vl_cli_err(CMD, "append: --txn wants APP_ID:VERSION (a non-negative integer), not '%s'", A->txn);
            return 2;
        }
        memcpy(app_buf, A->txn, (size_t)(colon - A->txn));
        app_buf[colon - A->txn] = 0;
        app = app_buf;
    }
    if (A->merge_schema && !A->schema) {
        vl_cli_err(CMD, "append: --merge-schema needs --schema with the new column list");
        return 2;
    }
    FILE *in = stdin;
    if (A->from && strcmp(A->from, "-") != 0) {
        in = fopen(A->from, "rb");
        if (!in) {
            vl_cli_err(CMD, "append: cannot open %s: %s", A->from, strerror(errno));
            return 2;
        }
    }
    opened o;
    int rc = open_table(A, &o);
    if (rc) {
        if (in != stdin) fclose(in);
        return rc;
    }
    appender P = {0};
    vl_arena_init(&P.rows, 1 << 20);
    vl_arena sa;
    vl_arena_init(&sa, 4096);
    int r = vl_delta_txn_begin(o.t, &P.x, &err);
    if (r == VL_OK && !vl_delta_txn_snapshot(P.x))
        r = vl_error_set(&err, VL_ENOTFOUND, "no table at %s: create it first (vidlake table create)", A->table);
    bool skip = false;
    if (r == VL_OK && app) {
        int64_t have = vl_delta_snapshot_app_version(vl_delta_txn_snapshot(P.x), app);
        if (have >= app_version) {
            fprintf(stderr, "append: %s already committed version %lld of '%s': nothing to do\n", A->table,
                    (long long)have, app);
            skip = true;
        } else {
            r = vl_delta_txn_set_app_version(P.x, app, app_version, &err);
        }
    }
    if (r == VL_OK && !skip && A->schema) {
        vl_dt_type ns;
        r = vl_delta_schema_from_ddl(A->schema, &sa, &ns, &err);
        if (r == VL_OK && A->merge_schema) r = vl_delta_txn_evolve_schema(P.x, &ns, &err);
        else if (r == VL_OK && !vl_delta_type_equal(&ns, &vl_delta_txn_metadata(P.x)->schema))
            r = vl_error_set(&err, VL_EINVAL,
                             "--schema differs from the table's schema (add --merge-schema to add nullable columns)");
    }
    if (r == VL_OK && !skip) {
        P.md = vl_delta_txn_metadata(P.x);
        P.keep = vl_calloc(P.md->schema.n_fields + 1, sizeof(bool));
        if (!P.keep) r = vl_error_set(&err, VL_ENOMEM, "out of memory");
        for (uint32_t i = 0; r == VL_OK && i < P.md->schema.n_fields; i++) P.keep[i] = true;
        for (uint32_t p = 0; r == VL_OK && p < P.md->n_partition_columns; p++) P.keep[P.md->partition_index[p]] = false;
        if (r == VL_OK && P.md->n_partition_columns > 64)
            r = vl_error_set(&err, VL_ENOTSUP, "more than 64 partition columns");
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int64_t lineno = 0;
    while (r == VL_OK && !skip && (len = getline(&line, &cap, in)) >= 0) {
        lineno++;
        size_t n = (size_t)len;
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' ')) n--;
        if (!n) continue;
        char *copy = vl_arena_memdup(&P.rows, line, n);
        const vl_json *row;
        if (!copy) r = vl_error_set(&err, VL_ENOMEM, "out of memory");
        if (r == VL_OK) r = vl_json_parse(copy, n, &P.rows, &row, &err);
        if (r == VL_OK && vl_json_kind(row) != VL_JSON_OBJECT)
            r = vl_error_set(&err, VL_EINVAL, "a row must be a JSON object");
        if (r == VL_OK) r = add_row(&P, row, &err);
        if (r) {
            vl_error_prefix(&err, "%s line %lld: ", A->from && strcmp(A->from, "-") ? A->from : "stdin",
                            (long long)lineno);
            break;
        }
        P.rows_total++;
        if (++P.rows_in_batch >= 1000000) r = flush_groups(&P, &err);
    }
    free(line);
    if (r == VL_OK && !skip && ferror(in)) r = vl_error_set(&err, VL_EIO, "reading input failed");
    if (r == VL_OK && !skip) r = flush_groups(&P, &err);
    /* --overwrite: the partitions the rows fall in (the whole table when
     * it is not partitioned) lose their old files in the same commit */
    if (r == VL_OK && !skip && A->overwrite) {
        const vl_delta_snapshot *s = vl_delta_txn_snapshot(P.x);
        vl_buf k;
        vl_buf_init(&k);
        for (size_t i = 0; r == VL_OK && i < s->n_files; i++) {
            const vl_delta_file *f = &s->files[i];
            vl_buf_clear(&k);
            bool match = s->metadata.n_partition_columns == 0;
            if (!match) {
                for (uint32_t p = 0; r == VL_OK && p < s->metadata.n_partition_columns; p++) {
                    vl_delta_value v;
                    const vl_dt_type *t = &s->metadata.schema.fields[s->metadata.partition_index[p]].type;
                    r = vl_delta_value_parse(t, f->partition_values[p].value.p, f->partition_values[p].value.n,
                                             f->partition_values[p].value_null, &v, &err);
                    if (r == VL_OK && (vl_buf_putc(&k, '\x02') ||
                                       (v.is_null ? vl_buf_putc(&k, '\x01') : vl_delta_value_format(t, &v, &k))))
                        r = vl_error_set(&err, VL_ENOMEM, "out of memory");
                }
                const char *kc = r == VL_OK ? vl_buf_cstr(&k) : NULL;
                for (size_t g = 0; kc && g < P.n_g; g++)
                    if (strcmp(P.g[g].key, kc) == 0) match = true;
            }
            if (r == VL_OK && match) r = vl_delta_txn_remove(P.x, f, true, &err);
        }
        vl_buf_free(&k);
    }
    int64_t v = -1;
    if (r == VL_OK && !skip) {
        r = vl_delta_txn_set_operation(P.x, "WRITE",
                                       A->overwrite ? "{\"mode\":\"Overwrite\",\"partitionBy\":\"[]\"}"
                                                    : "{\"mode\":\"Append\",\"partitionBy\":\"[]\"}",
                                       &err);
        if (r == VL_OK) r = vl_delta_txn_commit(P.x, NULL, &v, &err);
    }
    if (r) {
        vl_cli_err(CMD, "append %s: %s", A->table, err.msg);
        rc = r == VL_ECONFLICT ? 1 : 2;
    } else if (!skip) {
        fprintf(stderr, "appended %lld rows in %lld files to %s: version %lld\n", (long long)P.rows_total,
                (long long)P.files, A->table, (long long)v);
    }
    if (P.md) free_groups(&P);
    vl_free(P.keep);
    vl_delta_txn_free(P.x);
    vl_arena_destroy(&P.rows);
    vl_arena_destroy(&sa);
    close_table(&o);
    if (in != stdin) fclose(in);
    return rc;
}

/* --------------------------------------------------------------- history */

typedef struct hist_ctx {
    bool json;
} hist_ctx;

static int print_commit(void *ctx, const vl_delta_commit_info *c, vl_error *err) {
    hist_ctx *H = ctx;
    (void)err;
    char ts[40] = "-";
    if (c->timestamp_ms >= 0) ts[vl_ts_format(ts, c->timestamp_ms * 1000)] = 0;
    if (H->json) {
        printf("{\"version\":%lld,\"timestamp\":\"%s\",\"adds\":%lld,\"removes\":%lld,\"commitInfo\":%.*s}\n",
               (long long)c->version, ts, (long long)c->n_add, (long long)c->n_remove,
               c->info_json ? (int)c->info_len : 4, c->info_json ? c->info_json : "null");
    } else {
        printf("%-8lld %s  %-14.*s %6lld adds %6lld removes  %.*s\n", (long long)c->version, ts,
               (int)c->operation.n, c->operation.p, (long long)c->n_add, (long long)c->n_remove,
               (int)c->engine_info.n, c->engine_info.p);
    }
    return VL_OK;
}

static int cmd_history(const args *A) {
    opened o;
    int rc = open_table(A, &o);
    if (rc) return rc;
    vl_error err;
    hist_ctx H = {A->json};
    if (!A->json) printf("%-8s %-27s  %-14s %11s %14s  %s\n", "version", "timestamp", "operation", "", "", "engine");
    if (vl_delta_history(o.t, A->limit, print_commit, &H, &err) != VL_OK) {
        vl_cli_err(CMD, "history %s: %s", A->table, err.msg);
        rc = 2;
    }
    close_table(&o);
    return rc ? rc : finish_output();
}

/* -------------------------------------------------------------- describe */

static int cmd_describe(const args *A) {
    opened o;
    int rc = open_snapshot(A, &o);
    if (rc) return rc;
    const vl_delta_snapshot *s = o.s;
    const vl_delta_metadata *m = &s->metadata;
    vl_buf b;
    vl_buf_init(&b);
    char ts[40] = "-";
    if (s->timestamp_ms >= 0) ts[vl_ts_format(ts, s->timestamp_ms * 1000)] = 0;
    if (A->json) {
        vl_json_w w;
        vl_json_w_init(&w, &b, 0);
        vl_json_w_begin_obj(&w);
        vl_json_w_key(&w, "table");
        vl_json_w_cstr(&w, A->table);
        vl_json_w_key(&w, "version");
        vl_json_w_int(&w, s->version);
        vl_json_w_key(&w, "timestamp");
        vl_json_w_cstr(&w, ts);
        vl_json_w_key(&w, "minReaderVersion");
        vl_json_w_int(&w, s->protocol.min_reader);
        vl_json_w_key(&w, "minWriterVersion");
        vl_json_w_int(&w, s->protocol.min_writer);
        vl_json_w_key(&w, "id");
        vl_json_w_str(&w, m->id.p, m->id.n);
        vl_json_w_key(&w, "schema");
        vl_json_w_raw(&w, m->schema_string.p, m->schema_string.n);
        vl_json_w_key(&w, "partitionColumns");
        vl_json_w_begin_arr(&w);
        for (uint32_t i = 0; i < m->n_partition_columns; i++)
            vl_json_w_str(&w, m->partition_columns[i].p, m->partition_columns[i].n);
        vl_json_w_end_arr(&w);
        vl_json_w_key(&w, "properties");
        vl_json_w_begin_obj(&w);
        for (uint32_t i = 0; i < m->n_configuration; i++) {
            vl_json_w_key_n(&w, m->configuration[i].key.p, m->configuration[i].key.n);
            if (m->configuration[i].value_null) vl_json_w_null(&w);
            else vl_json_w_str(&w, m->configuration[i].value.p, m->configuration[i].value.n);
        }
        vl_json_w_end_obj(&w);
        vl_json_w_key(&w, "numFiles");
        vl_json_w_int(&w, (int64_t)s->n_files);
        vl_json_w_key(&w, "numRecords");
        if (s->num_records >= 0) vl_json_w_int(&w, s->num_records);
        else vl_json_w_null(&w);
        vl_json_w_key(&w, "sizeInBytes");
        vl_json_w_int(&w, s->size_bytes);
        vl_json_w_key(&w, "checkpointVersion");
        if (s->checkpoint_version >= 0) vl_json_w_int(&w, s->checkpoint_version);
        else vl_json_w_null(&w);
        vl_json_w_key(&w, "txns");
        vl_json_w_begin_obj(&w);
        for (size_t i = 0; i < s->n_txns; i++) {
            vl_json_w_key_n(&w, s->txns[i].app_id.p, s->txns[i].app_id.n);
            vl_json_w_int(&w, s->txns[i].version);
        }
        vl_json_w_end_obj(&w);
        vl_json_w_end_obj(&w);
        vl_error err;
        if (vl_json_w_finish(&w, &err) == VL_OK) printf("%.*s\n", (int)b.n, (const char *)b.p);
    } else {
        printf("table         %s\nversion       %lld (%s)\n", A->table, (long long)s->version, ts);
        printf("protocol      reader %d, writer %d", s->protocol.min_reader, s->protocol.min_writer);
        for (uint32_t i = 0; i < s->protocol.n_reader_features; i++)
            printf("%s%.*s", i ? ", " : "; reader features ", (int)s->protocol.reader_features[i].n,
                   s->protocol.reader_features[i].p);
        for (uint32_t i = 0; i < s->protocol.n_writer_features; i++)
            printf("%s%.*s", i ? ", " : "; writer features ", (int)s->protocol.writer_features[i].n,
                   s->protocol.writer_features[i].p);
        printf("\nid            %.*s\n", (int)m->id.n, m->id.p);
        if (m->has_name) printf("name          %.*s\n", (int)m->name.n, m->name.p);
        printf("schema\n");
        for (uint32_t i = 0; i < m->schema.n_fields; i++) {
            const vl_dt_field *f = &m->schema.fields[i];
            vl_buf_clear(&b);
            if (vl_delta_type_name(&f->type, &b) != VL_OK) break;
            bool part = false;
            for (uint32_t p = 0; p < m->n_partition_columns; p++) part |= m->partition_index[p] == i;
            printf("  %-24.*s %.*s%s%s\n", (int)f->name.n, f->name.p, (int)b.n, (const char *)b.p,
                   f->nullable ? "" : " NOT NULL", part ? "  (partition)" : "");
        }
        printf("partitioned   ");
        for (uint32_t i = 0; i < m->n_partition_columns; i++)
            printf("%s%.*s", i ? ", " : "", (int)m->partition_columns[i].n, m->partition_columns[i].p);
        printf("%s\n", m->n_partition_columns ? "" : "(not partitioned)");
        for (uint32_t i = 0; i < m->n_configuration; i++)
            printf("%s%.*s = %.*s\n", i ? "              " : "properties    ", (int)m->configuration[i].key.n,
                   m->configuration[i].key.p, (int)m->configuration[i].value.n, m->configuration[i].value.p);
        printf("files         %zu\n", s->n_files);
        if (s->num_records >= 0) printf("rows          %lld\n", (long long)s->num_records);
        else printf("rows          unknown (some files have no stats)\n");
        printf("size          %lld bytes\n", (long long)s->size_bytes);
        if (s->checkpoint_version >= 0) printf("checkpoint    version %lld\n", (long long)s->checkpoint_version);
        else printf("checkpoint    none\n");
        for (size_t i = 0; i < s->n_txns; i++)
            printf("%s%.*s = %lld\n", i ? "              " : "txn versions  ", (int)s->txns[i].app_id.n,
                   s->txns[i].app_id.p, (long long)s->txns[i].version);
    }
    vl_buf_free(&b);
    close_table(&o);
    return finish_output();
}

/* ----------------------------------------------------------- files, scan */

static int parse_where(const args *A, const vl_delta_snapshot *s, vl_arena *a, const vl_delta_expr **e) {
    *e = NULL;
    if (!A->where) return 0;
    vl_error err;
    if (vl_delta_expr_parse(A->where, &s->metadata.schema, a, e, &err) != VL_OK) {
        vl_cli_err(CMD, "%s", err.msg);
        return 2;
    }
    return 0;
}

static int cmd_files(const args *A) {
    opened o;
    int rc = open_snapshot(A, &o);
    if (rc) return rc;
    const vl_delta_snapshot *s = o.s;
    vl_arena a;
    vl_arena_init(&a, 4096);
    const vl_delta_expr *e = NULL;
    if (rc == 0) rc = parse_where(A, s, &a, &e);
    vl_buf b;
    vl_buf_init(&b);
    for (size_t i = 0; rc == 0 && i < s->n_files; i++) {
        const vl_delta_file *f = &s->files[i];
        if (e && !vl_delta_file_may_match(s, f, e)) continue;
        vl_buf_clear(&b);
        vl_json_w w;
        vl_json_w_init(&w, &b, 0);
        vl_json_w_begin_obj(&w);
        vl_json_w_key(&w, "path");
        vl_json_w_str(&w, f->path.p, f->path.n);
        vl_json_w_key(&w, "partitionValues");
        vl_json_w_begin_obj(&w);
        for (uint32_t p = 0; p < f->n_partition_values; p++) {
            vl_json_w_key_n(&w, f->partition_values[p].key.p, f->partition_values[p].key.n);
            if (f->partition_values[p].value_null) vl_json_w_null(&w);
            else vl_json_w_str(&w, f->partition_values[p].value.p, f->partition_values[p].value.n);
        }
        vl_json_w_end_obj(&w);
        vl_json_w_key(&w, "size");
        vl_json_w_int(&w, f->size);
        vl_json_w_key(&w, "modificationTime");
        vl_json_w_int(&w, f->modification_time);
        vl_json_w_key(&w, "numRecords");
        if (f->num_records >= 0) vl_json_w_int(&w, f->num_records);
        else vl_json_w_null(&w);
        vl_json_w_end_obj(&w);
        vl_error err;
        if (vl_json_w_finish(&w, &err) != VL_OK) {
            vl_cli_err(CMD, "%s", err.msg);
            rc = 2;
            break;
        }
        printf("%.*s\n", (int)b.n, (const char *)b.p);
    }
    vl_buf_free(&b);
    vl_arena_destroy(&a);
    close_table(&o);
    return rc ? rc : finish_output();
}

static int cmd_scan(const args *A) {
    opened o;
    int rc = open_snapshot(A, &o);
    if (rc) return rc;
    const vl_delta_snapshot *s = o.s;
    vl_arena a;
    vl_arena_init(&a, 4096);
    const vl_delta_expr *e = NULL;
    if (rc == 0) rc = parse_where(A, s, &a, &e);
    const char *cols[1024];
    char *copy = NULL;
    int n_cols = 0;
    if (rc == 0 && A->columns) {
        n_cols = split_list(A->columns, &copy, cols, 1024);
        if (n_cols <= 0) {
            vl_cli_err(CMD, "--columns: name at least one column");
            rc = 2;
        }
    }
    if (rc == 0) {
        vl_delta_scan_opts so = {.columns = A->columns ? cols : NULL,
                                 .n_columns = (size_t)n_cols,
                                 .where = e,
                                 .format = A->format,
                                 .csv_header = true,
                                 .limit = A->limit};
        vl_delta_scan_stats st;
        vl_error err;
        int64_t t0 = vl_mono_us();
        if (vl_delta_scan(s, &so, out_sink, NULL, &st, &err) != VL_OK) {
            fflush(stdout);
            vl_cli_err(CMD, "scan %s: %s", A->table, err.msg);
            rc = 2;
        }
        if (A->stats)
            fprintf(stderr,
                    "scan: version %lld, %zu files (%zu pruned, %zu read, %llu bytes), %zu row groups (%zu pruned), "
                    "%lld rows read, %lld rows out, %.3f s\n",
                    (long long)s->version, st.files_total, st.files_pruned, st.files_read,
                    (unsigned long long)st.bytes_read, st.row_groups_total, st.row_groups_pruned,
                    (long long)st.rows_read, (long long)st.rows_out,
                    (double)(vl_mono_us() - t0) / 1e6);
    }
    vl_free(copy);
    vl_arena_destroy(&a);
    close_table(&o);
    return rc ? rc : finish_output();
}

/* ------------------------------------------------------------ maintenance */

static int cmd_optimize(const args *A) {
    opened o;
    int rc = open_table(A, &o);
    if (rc) return rc;
    vl_delta_optimize_opts oo = {.target_size = A->target_size, .min_files = A->min_files};
    vl_delta_optimize_result res;
    vl_error err;
    if (vl_delta_optimize(o.t, &oo, &res, &err) != VL_OK) {
        vl_cli_err(CMD, "optimize %s: %s", A->table, err.msg);
        rc = 2;
    } else if (res.version < 0) {
        printf("optimize: nothing to compact\n");
    } else {
        printf("optimize: version %lld: %zu files rewritten as %zu in %zu partitions (%lld rows)\n",
               (long long)res.version, res.files_removed, res.files_added, res.partitions, (long long)res.rows);
    }
    close_table(&o);
    return rc ? rc : finish_output();
}

static int print_vacuumed(void *ctx, const char *key, uint64_t size, vl_error *err) {
    (void)err;
    const args *A = ctx;
    printf("%s%s  %llu bytes\n", A->dry_run ? "would delete " : "deleted ", key, (unsigned long long)size);
    return VL_OK;
}

static int cmd_vacuum(const args *A) {
    opened o;
    int rc = open_table(A, &o);
    if (rc) return rc;
    vl_delta_vacuum_opts vo = {.retention_ms = A->retain_hours > 0 ? (int64_t)(A->retain_hours * 3600000.0) : 0,
                               .retain_nothing = A->retain_hours == 0,
                               .dry_run = A->dry_run};
    size_t n = 0;
    uint64_t bytes = 0;
    vl_error err;
    if (vl_delta_vacuum(o.t, &vo, print_vacuumed, (void *)(uintptr_t)A, &n, &bytes, &err) != VL_OK) {
        vl_cli_err(CMD, "vacuum %s: %s", A->table, err.msg);
        rc = 2;
    } else {
        printf("vacuum: %s%zu files, %llu bytes\n", A->dry_run ? "would delete " : "deleted ", n,
               (unsigned long long)bytes);
    }
    close_table(&o);
    return rc ? rc : finish_output();
}

static int cmd_checkpoint(const args *A) {
    opened o;
    int rc = open_snapshot(A, &o);
    if (rc) return rc;
    const vl_delta_snapshot *s = o.s;
    vl_error err;
    size_t cleaned = 0;
    if (rc == 0 && vl_delta_checkpoint_write(s, &err) != VL_OK) {
        vl_cli_err(CMD, "checkpoint %s: %s", A->table, err.msg);
        rc = 2;
    }
    if (rc == 0 && vl_delta_log_cleanup(o.t, vl_now_us() / 1000, &cleaned, &err) != VL_OK) {
        vl_cli_err(CMD, "checkpoint %s: log cleanup: %s", A->table, err.msg);
        rc = 2;
    }
    if (rc == 0)
        printf("checkpoint: version %lld (%zu files); %zu expired log files deleted\n", (long long)s->version,
               s->n_files, cleaned);
    close_table(&o);
    return rc ? rc : finish_output();
}

/* ------------------------------------------------------------------ main */

int vl_cmd_table(int argc, char **argv) {
    args A = {.limit = -1, .version = -1, .timestamp_us = -1, .retain_hours = -1, .format = VL_DELTA_ROWS_NDJSON};
    vl_optparse op;
    vl_optparse_init(&op, CMD, argc, argv);
    const char *val;
    int k;
    vl_error err;
    while ((k = vl_optparse_next(&op, opts, &val)) != -1) {
        switch (k) {
        case -4: fputs(usage_text, stdout); return 0;
        case -3: return 2;
        case -2:
            if (!A.sub) A.sub = val;
            else if (!A.table) A.table = val;
            else {
                vl_cli_err(CMD, "unexpected argument '%s'", val);
                return 2;
            }
            break;
        case O_SCHEMA: A.schema = val; break;
        case O_PARTITION_BY: A.partition_by = val; break;
        case O_PROPERTY:
            if (A.n_props == 64) {
                vl_cli_err(CMD, "at most 64 --property options");
                return 2;
            }
            A.props[A.n_props++] = val;
            break;
        case O_FROM: A.from = val; break;
        case O_OVERWRITE: A.overwrite = true; break;
        case O_TXN: A.txn = val; break;
        case O_MERGE_SCHEMA: A.merge_schema = true; break;
        case O_JSON: A.json = true; break;
        case O_STATS: A.stats = true; break;
        case O_DRY_RUN: A.dry_run = true; break;
        case O_WHERE: A.where = val; break;
        case O_COLUMNS: A.columns = val; break;
        case O_LIMIT:
        case O_VERSION:
        case O_TARGET_SIZE:
        case O_MIN_FILES: {
            int64_t v;
            if (vl_parse_count(val, &v, &err) != VL_OK) {
                vl_cli_err(CMD, "--%s: %s", opts[k].name, err.msg);
                return 2;
            }
            if (k == O_LIMIT) A.limit = v;
            else if (k == O_VERSION) A.version = v;
            else if (k == O_TARGET_SIZE) A.target_size = v;
            else A.min_files = v;
            break;
        }
        case O_TIMESTAMP:
            if (vl_ts_parse(val, strlen(val), &A.timestamp_us, &err) != VL_OK) {
                vl_cli_err(CMD, "--timestamp: %s", err.msg);
                return 2;
            }
            break;
        case O_RETAIN_HOURS:
            if (vl_parse_double(val, &A.retain_hours, &err) != VL_OK || A.retain_hours < 0) {
                vl_cli_err(CMD, "--retain-hours wants a number of hours >= 0, not '%s'", val);
                return 2;
            }
            break;
        case O_FORMAT:
            if (strcmp(val, "ndjson") == 0) A.format = VL_DELTA_ROWS_NDJSON;
            else if (strcmp(val, "csv") == 0) A.format = VL_DELTA_ROWS_CSV;
            else {
                vl_cli_err(CMD, "--format must be ndjson or csv, not '%s'", val);
                return 2;
            }
            break;
        default: break;
        }
    }
    static const struct {
        const char *name;
        int (*fn)(const args *);
    } subs[] = {{"create", cmd_create},     {"append", cmd_append}, {"history", cmd_history},
                {"describe", cmd_describe}, {"files", cmd_files},   {"scan", cmd_scan},
                {"optimize", cmd_optimize}, {"vacuum", cmd_vacuum}, {"checkpoint", cmd_checkpoint}};
    if (!A.sub) {
        vl_cli_err(CMD, "name a sub-command: create, append, history, describe, files, scan, optimize, vacuum or "
                        "checkpoint");
        return 2;
    }
    for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
        if (strcmp(A.sub, subs[i].name) != 0) continue;
        if (!A.table) {
            vl_cli_err(CMD, "%s: name a table (a directory or file:// URL)", A.sub);
            return 2;
        }
        if (A.version >= 0 && A.timestamp_us >= 0) {
            vl_cli_err(CMD, "--version and --timestamp exclude each other");
            return 2;
        }
        return subs[i].fn(&A);
    }
    vl_cli_err(CMD, "unknown sub-command '%s' (create, append, history, describe, files, scan, optimize, vacuum, "
                    "checkpoint)",
               A.sub);
    return 2;
}
