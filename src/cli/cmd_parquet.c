/* vidlake - Apache-2.0 */
/*
 * vidlake parquet schema|meta|cat FILE: look inside a Parquet file.
 *   schema  the schema tree with types, repetition and levels
 *   meta    row groups, column chunks, encodings, codecs, sizes, statistics
 *   cat     the rows as NDJSON (default) or CSV, optionally projected/limited
 */
#include "cli.h"
#include "parquet/parquet.h"

#include <string.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: vidlake parquet schema FILE\n"
    "       vidlake parquet meta FILE\n"
    "       vidlake parquet cat FILE [--columns a,b] [--format ndjson|csv] [--limit N]\n"
    "\n"
    "schema  the schema tree: repetition, physical and logical types, levels\n"
    "meta    file, row group and column chunk metadata: encodings, codec, sizes,\n"
    "        statistics\n"
    "cat     the rows, one JSON object per line (keys in schema order; timestamps\n"
    "        ISO-8601 with microseconds, decimals as strings, binary as base64), or\n"
    "        CSV with a header; --columns picks top-level columns, --limit N rows\n";

static void logical_desc(const vl_pq_node *n, char *out, size_t cap) {
    const vl_pq_logical_type *l = &n->logical;
    static const char *const units[] = {"?", "MILLIS", "MICROS", "NANOS"};
    const char *u = l->unit >= 1 && l->unit <= 3 ? units[l->unit] : "?";
    switch (l->kind) {
    case VL_PQ_LT_NONE: out[0] = '\0'; break;
    case VL_PQ_LT_STRING: snprintf(out, cap, "STRING"); break;
    case VL_PQ_LT_MAP: snprintf(out, cap, "MAP"); break;
    case VL_PQ_LT_LIST: snprintf(out, cap, "LIST"); break;
    case VL_PQ_LT_ENUM: snprintf(out, cap, "ENUM"); break;
    case VL_PQ_LT_DECIMAL: snprintf(out, cap, "DECIMAL(%d,%d)", l->precision, l->scale); break;
    case VL_PQ_LT_DATE: snprintf(out, cap, "DATE"); break;
    case VL_PQ_LT_TIME: snprintf(out, cap, "TIME(%s,%s)", u, l->is_adjusted_to_utc ? "UTC" : "local"); break;
    case VL_PQ_LT_TIMESTAMP:
        snprintf(out, cap, "TIMESTAMP(%s,%s)", u, l->is_adjusted_to_utc ? "UTC" : "local");
        break;
    case VL_PQ_LT_INTEGER: snprintf(out, cap, "INT(%d,%s)", l->bit_width, l->is_signed ? "signed" : "unsigned"); break;
    case VL_PQ_LT_UNKNOWN: snprintf(out, cap, "UNKNOWN"); break;
    case VL_PQ_LT_JSON: snprintf(out, cap, "JSON"); break;
    case VL_PQ_LT_BSON: snprintf(out, cap, "BSON"); break;
    case VL_PQ_LT_UUID: snprintf(out, cap, "UUID"); break;
    case VL_PQ_LT_FLOAT16: snprintf(out, cap, "FLOAT16"); break;
    default: snprintf(out, cap, "(unknown logical type)"); break;
    }
}

static void print_node(FILE *f, const vl_pq_node *n, int depth) {
    char lt[64];
    logical_desc(n, lt, sizeof(lt));
    fprintf(f, "%*s%s %s", depth * 2, "", vl_pq_repetition_name(n->repetition),
            n->leaf >= 0 ? vl_pq_type_name(n->physical) : "group");
    if (n->physical == VL_PQ_T_FIXED_LEN_BYTE_ARRAY) fprintf(f, "(%d)", n->type_length);
    fprintf(f, " %.*s", (int)n->name.n, n->name.p);
    if (lt[0]) fprintf(f, " (%s)", lt);
    if (n->leaf >= 0) fprintf(f, "  [column %d, max_def %d, max_rep %d]", n->leaf, n->max_def, n->max_rep);
    fputc('\n', f);
    for (uint32_t i = 0; i < n->n_children; i++) print_node(f, &n->children[i], depth + 1);
}

/* A statistic value rendered for people: numbers as numbers, text as text,
 * other bytes as hex. */
static void print_stat(FILE *f, const vl_pq_node *leaf, vl_sv v) {
    const uint8_t *p = (const uint8_t *)v.p;
    int64_t i64;
    int32_t i32;
    double d;
    float fl;
    switch (leaf->physical) {
    case VL_PQ_T_BOOLEAN: fprintf(f, "%s", v.n && p[0] ? "true" : "false"); return;
    case VL_PQ_T_INT32:
        if (v.n == 4) { memcpy(&i32, p, 4); fprintf(f, "%d", i32); return; }
        break;
    case VL_PQ_T_INT64:
        if (v.n == 8) { memcpy(&i64, p, 8); fprintf(f, "%lld", (long long)i64); return; }
        break;
    case VL_PQ_T_FLOAT:
        if (v.n == 4) { memcpy(&fl, p, 4); fprintf(f, "%.9g", fl); return; }
        break;
    case VL_PQ_T_DOUBLE:
        if (v.n == 8) { memcpy(&d, p, 8); fprintf(f, "%.17g", d); return; }
        break;
    default:
        if (vl_utf8_valid(v.p, v.n, NULL) && leaf->logical.kind == VL_PQ_LT_STRING) {
            fprintf(f, "\"%.*s\"", (int)(v.n > 64 ? 64 : v.n), v.p);
            return;
        }
    }
    fputs("0x", f);
    for (size_t k = 0; k < v.n && k < 32; k++) fprintf(f, "%02x", p[k]);
}

static void print_meta(FILE *f, const char *path, vl_pq_reader *r) {
    const vl_pq_file_meta *m = vl_pq_reader_meta(r);
    const vl_pq_schema *s = vl_pq_reader_schema(r);
    fprintf(f, "file        %s\nversion     %d\ncreated_by  %.*s\nrows        %lld\nrow groups  %u\ncolumns     %u\n",
            path, m->version, m->has_created_by ? (int)m->created_by.n : 0,
            m->has_created_by ? m->created_by.p : "", (long long)m->num_rows, m->n_row_groups,
            s->n_leaves);
    for (uint32_t k = 0; k < m->n_key_value_metadata; k++) {
        const vl_pq_key_value *kv = &m->key_value_metadata[k];
        size_t vn = kv->has_value ? kv->value.n : 0;
        fprintf(f, "kv          %.*s = %.*s%s\n", (int)kv->key.n, kv->key.p, (int)(vn > 100 ? 100 : vn),
                kv->has_value ? kv->value.p : "", vn > 100 ? "..." : "");
    }
    for (uint32_t g = 0; g < m->n_row_groups; g++) {
        const vl_pq_row_group *rg = &m->row_groups[g];
        fprintf(f, "\nrow group %u: %lld rows, %lld bytes\n", g, (long long)rg->num_rows,
                (long long)rg->total_byte_size);
        for (uint32_t c = 0; c < rg->n_columns; c++) {
            const vl_pq_column_chunk *cc = &rg->columns[c];
            char path_buf[256];
            vl_pq_node_path(s->leaves[c], path_buf, sizeof(path_buf));
            if (!cc->has_meta) {
                fprintf(f, "  %s: (no metadata)\n", path_buf);
                continue;
            }
            const vl_pq_column_meta *cm = &cc->meta;
            fprintf(f, "  %s: %s %s, %lld values, %lld -> %lld bytes, encodings", path_buf,
                    vl_pq_type_name(cm->type), vl_pq_codec_name(cm->codec), (long long)cm->num_values,
                    (long long)cm->total_uncompressed_size, (long long)cm->total_compressed_size);
            for (uint32_t e = 0; e < cm->n_encodings; e++)
                fprintf(f, "%s%s", e ? "," : " ", vl_pq_encoding_name(cm->encodings[e]));
            fprintf(f, ", data at %lld", (long long)cm->data_page_offset);
            if (cm->has_dictionary_page_offset)
                fprintf(f, ", dictionary at %lld", (long long)cm->dictionary_page_offset);
            fputc('\n', f);
            if (cm->has_statistics) {
                const vl_pq_stats *st = &cm->statistics;
                fputs("    stats:", f);
                if (st->has_null_count) fprintf(f, " nulls %lld", (long long)st->null_count);
                if (st->has_min_value || st->has_min) {
                    fputs(" min ", f);
                    print_stat(f, s->leaves[c], st->has_min_value ? st->min_value : st->min);
                    if (st->has_is_min_value_exact && !st->is_min_value_exact) fputs(" (inexact)", f);
                }
                if (st->has_max_value || st->has_max) {
                    fputs(" max ", f);
                    print_stat(f, s->leaves[c], st->has_max_value ? st->max_value : st->max);
                    if (st->has_is_max_value_exact && !st->is_max_value_exact) fputs(" (inexact)", f);
                }
                if (st->has_distinct_count) fprintf(f, " distinct %lld", (long long)st->distinct_count);
                fputc('\n', f);
            }
        }
    }
}

typedef struct {
    FILE *f;
} sink_ctx;

static int file_sink(void *ctx, const char *p, size_t n, vl_error *err) {
    sink_ctx *s = ctx;
    if (fwrite(p, 1, n, s->f) != n) return vl_error_set(err, VL_EIO, "write failed");
    return VL_OK;
}

int vl_cmd_parquet(int argc, char **argv) {
    static const vl_opt opts[] = {{"columns", true}, {"format", true}, {"limit", true}, {NULL, false}};
    vl_optparse op;
    vl_optparse_init(&op, "parquet", argc, argv);
    const char *sub = NULL, *path = NULL, *columns = NULL, *val;
    int format = VL_PQ_ROWS_NDJSON;
    int64_t limit = -1;
    int k;
    vl_error err;
    while ((k = vl_optparse_next(&op, opts, &val)) != -1) {
        if (k == -4) {
            fputs(usage_text, stdout);
            return 0;
        }
        if (k == -3) return 2;
        if (k == -2) {
            if (!sub) sub = val;
            else if (!path) path = val;
            else {
                vl_cli_err("parquet", "unexpected argument '%s'", val);
                return 2;
            }
        } else if (k == 0) {
            columns = val;
        } else if (k == 1) {
            if (strcmp(val, "ndjson") == 0) format = VL_PQ_ROWS_NDJSON;
            else if (strcmp(val, "csv") == 0) format = VL_PQ_ROWS_CSV;
            else {
                vl_cli_err("parquet", "--format must be ndjson or csv, not '%s'", val);
                return 2;
            }
        } else if (k == 2) {
            if (vl_parse_count(val, &limit, &err) != VL_OK) {
                vl_cli_err("parquet", "--limit: %s", err.msg);
                return 2;
            }
        }
    }
    if (!sub || (strcmp(sub, "schema") && strcmp(sub, "meta") && strcmp(sub, "cat"))) {
        vl_cli_err("parquet", sub ? "unknown sub-command '%s' (schema, meta or cat)"
                                  : "%sname a sub-command: schema, meta or cat", sub ? sub : "");
        return 2;
    }
    if (!path) {
        vl_cli_err("parquet", "%s: name a file", sub);
        return 2;
    }
    vl_pq_reader *r;
    if (vl_pq_reader_open_file(path, &r, &err) != VL_OK) {
        vl_cli_err("parquet", "%s", err.msg);
        return 2;
    }
    int rc = 0;
    const vl_pq_schema *s = vl_pq_reader_schema(r);
    if (strcmp(sub, "schema") == 0) {
        print_node(stdout, s->root, 0);
    } else if (strcmp(sub, "meta") == 0) {
        print_meta(stdout, path, r);
    } else {
        const vl_pq_node *root = s->root;
        bool *fields = NULL;
        if (columns) {
            fields = vl_calloc(root->n_children + 1, sizeof(bool));
            if (!fields) {
                vl_pq_reader_close(r);
                vl_cli_err("parquet", "out of memory");
                return 2;
            }
            for (const char *c = columns; *c;) {
                const char *e = strchr(c, ',');
                size_t len = e ? (size_t)(e - c) : strlen(c);
                bool found = false;
                for (uint32_t i = 0; i < root->n_children; i++)
                    if (root->children[i].name.n == len && memcmp(root->children[i].name.p, c, len) == 0)
                        fields[i] = found = true;
                if (!found) {
                    vl_cli_err("parquet", "%s has no top-level column '%.*s'", path, (int)len, c);
                    vl_free(fields);
                    vl_pq_reader_close(r);
                    return 2;
                }
                c = e ? e + 1 : c + len;
            }
        }
        if (format == VL_PQ_ROWS_CSV) {
            bool first = true;
            for (uint32_t i = 0; i < root->n_children; i++) {
                if (fields && !fields[i]) continue;
                printf("%s%.*s", first ? "" : ",", (int)root->children[i].name.n, root->children[i].name.p);
                first = false;
            }
            putchar('\n');
        }
        sink_ctx sc = {stdout};
        const vl_pq_file_meta *m = vl_pq_reader_meta(r);
        int64_t left = limit;
        for (uint32_t g = 0; g < m->n_row_groups && left != 0; g++) {
            int64_t written;
            if (vl_pq_rows_write(r, g, fields, format, 0, left, file_sink, &sc, &written, &err) != VL_OK) {
                fflush(stdout);
                vl_cli_err("parquet", "%s", err.msg);
                rc = 2;
                break;
            }
            if (left > 0) left -= written;
        }
        vl_free(fields);
    }
    if (fflush(stdout) != 0) {
        vl_cli_err("parquet", "writing output failed");
        rc = 2;
    }
    vl_pq_reader_close(r);
    return rc;
}
