/* vidlake - Apache-2.0 */
/*
 * Fuzz target: Delta schemas (src/delta/delta_schema.c) and the row
 * shredder (src/delta/delta_shred.c). The input up to its first NUL byte is
 * schema text, tried as all three spellings: a Spark JSON schema
 * (vl_delta_schema_parse), a type name (vl_delta_type_parse) and a column
 * list (vl_delta_schema_from_ddl). The bytes after the NUL are NDJSON rows
 * for the shredder; the first of them, when there is one, also picks a
 * subset of the fields to shred (as `table append` leaves out partition
 * columns).
 *
 * Invariants:
 *  - a parsed JSON schema writes (vl_delta_schema_write) to text that
 *    parses to an equal type and writes to the same bytes again;
 *  - every type name (vl_delta_type_name) parses back (vl_delta_type_parse)
 *    to the same type but for what names cannot say (containsNull, field
 *    metadata); a schema's "struct<...>" body parses back as a column list;
 *  - vl_delta_schema_to_parquet succeeds (and vl_pq_schema_build accepts
 *    what it makes) or fails with VL_EINVAL and a message;
 *  - the shredder either refuses a row with VL_EINVAL, leaving its columns
 *    exactly as they were, or adds it, and its columns stay consistent
 *    Dremel columns (levels within the leaf's maxima, one rep 0 entry per
 *    row, values where def is max); the Parquet writer takes them, and the
 *    rows read back as NDJSON shred again to the same columns (scan output
 *    appends back unchanged).
 * Refusals carry a message.
 */
#include "delta/delta.h"
#include "fuzz.h"

#include <math.h>
#include <string.h>

#define TEXT_MAX 8192
#define MAX_ROWS 64

/* ------------------------------------------------------------ helpers */

/* Equality but for containsNull and metadata, which type names omit. */
static bool eq_loose(const vl_dt_type *a, const vl_dt_type *b, int depth) {
    FUZZ_ASSERT(depth < 100);
    if (a->kind != b->kind) return false;
    switch (a->kind) {
    case VL_DT_DECIMAL: return a->precision == b->precision && a->scale == b->scale;
    case VL_DT_ARRAY: return eq_loose(a->elem, b->elem, depth + 1);
    case VL_DT_MAP: return eq_loose(a->key, b->key, depth + 1) && eq_loose(a->value, b->value, depth + 1);
    case VL_DT_STRUCT:
        if (a->n_fields != b->n_fields) return false;
        for (uint32_t i = 0; i < a->n_fields; i++) {
            const vl_dt_field *fa = &a->fields[i], *fb = &b->fields[i];
            if (!vl_sv_eq(fa->name, fb->name) || fa->nullable != fb->nullable ||
                !eq_loose(&fa->type, &fb->type, depth + 1))
                return false;
        }
        return true;
    default: return true;
    }
}

static bool has_nul_name(const vl_dt_type *t, int depth) {
    FUZZ_ASSERT(depth < 100);
    switch (t->kind) {
    case VL_DT_ARRAY: return has_nul_name(t->elem, depth + 1);
    case VL_DT_MAP: return has_nul_name(t->key, depth + 1) || has_nul_name(t->value, depth + 1);
    case VL_DT_STRUCT:
        for (uint32_t i = 0; i < t->n_fields; i++)
            if (memchr(t->fields[i].name.p, 0, t->fields[i].name.n) || has_nul_name(&t->fields[i].type, depth + 1))
                return true;
        return false;
    default: return false;
    }
}

/* type name -> type parse gives the same type (but for containsNull). */
static void check_name_roundtrip(const vl_dt_type *t) {
    vl_buf b;
    vl_buf_init(&b);
    int rc = vl_delta_type_name(t, &b);
    FUZZ_ASSERT(rc == VL_OK || rc == VL_ENOMEM);
    if (rc == VL_OK) {
        vl_arena a;
        vl_arena_init(&a, 0);
        vl_dt_type back;
        vl_error err = {0};
        rc = vl_delta_type_parse(b.p, b.n, &a, &back, &err);
        if (rc != VL_OK) fprintf(stderr, "type name \"%.*s\" does not parse back: %s\n", (int)b.n, b.p, err.msg);
        FUZZ_ASSERT(rc == VL_OK);
        if (!eq_loose(t, &back, 0)) fprintf(stderr, "type name \"%.*s\" parses to another type\n", (int)b.n, b.p);
        FUZZ_ASSERT(eq_loose(t, &back, 0));
        vl_arena_destroy(&a);
    }
    vl_buf_free(&b);
}

/* A struct's name "struct<body>": body as a column list (NUL-free names). */
static void check_ddl_roundtrip(const vl_dt_type *st) {
    if (st->n_fields == 0 || has_nul_name(st, 0)) return;
    vl_buf b;
    vl_buf_init(&b);
    if (vl_delta_type_name(st, &b) == VL_OK) {
        FUZZ_ASSERT(b.n >= 8 && memcmp(b.p, "struct<", 7) == 0 && b.p[b.n - 1] == '>');
        b.p[b.n - 1] = '\0';
        vl_arena a;
        vl_arena_init(&a, 0);
        vl_dt_type back;
        vl_error err = {0};
        int rc = vl_delta_schema_from_ddl(b.p + 7, &a, &back, &err);
        if (rc != VL_OK) fprintf(stderr, "columns \"%s\" do not parse back: %s\n", b.p + 7, err.msg);
        FUZZ_ASSERT(rc == VL_OK);
        FUZZ_ASSERT(eq_loose(st, &back, 0));
        vl_arena_destroy(&a);
    }
    vl_buf_free(&b);
}

/* JSON write -> parse -> equal -> write the same bytes. */
static void check_json_roundtrip(const vl_dt_type *st) {
    vl_buf b1, b2;
    vl_buf_init(&b1);
    vl_buf_init(&b2);
    vl_error err = {0};
    int rc = vl_delta_schema_write(st, &b1, &err);
    if (rc != VL_OK && rc != VL_ENOMEM) fprintf(stderr, "a schema that parsed does not write: %s\n", err.msg);
    FUZZ_ASSERT(rc == VL_OK || rc == VL_ENOMEM);
    if (rc == VL_OK) {
        vl_arena a;
        vl_arena_init(&a, 0);
        vl_dt_type back;
        rc = vl_delta_schema_parse(b1.p, b1.n, &a, &back, &err);
        if (rc != VL_OK) fprintf(stderr, "written schema does not parse back: %s\n", err.msg);
        FUZZ_ASSERT(rc == VL_OK);
        FUZZ_ASSERT(vl_delta_type_equal(st, &back));
        FUZZ_ASSERT(vl_delta_schema_write(&back, &b2, &err) == VL_OK);
        FUZZ_ASSERT(b1.n == b2.n && memcmp(b1.p, b2.p, b1.n) == 0);
        vl_arena_destroy(&a);
    }
    vl_buf_free(&b1);
    vl_buf_free(&b2);
}

/* ------------------------------------------------------------ columns */

static void check_column(const vl_pq_column *col, size_t rows) {
    const vl_pq_node *leaf = col->leaf;
    FUZZ_ASSERT(leaf != NULL);
    FUZZ_ASSERT(col->n_values <= col->n);
    size_t defined = 0, starts = 0;
    for (size_t i = 0; i < col->n; i++) {
        int16_t d = col->def ? col->def[i] : leaf->max_def;
        FUZZ_ASSERT(d >= 0 && d <= leaf->max_def);
        defined += d == leaf->max_def;
        int16_t r = col->rep ? col->rep[i] : 0;
        FUZZ_ASSERT(r >= 0 && r <= leaf->max_rep);
        starts += r == 0;
    }
    FUZZ_ASSERT(defined == col->n_values);
    FUZZ_ASSERT(starts == rows);
    if (leaf->physical == VL_PQ_T_BYTE_ARRAY || leaf->physical == VL_PQ_T_FIXED_LEN_BYTE_ARRAY) {
        unsigned x = 0;
        for (size_t i = 0; i < col->n_values; i++)
            for (size_t k = 0; k < col->v.bin[i].n; k++) x += (unsigned char)col->v.bin[i].p[k];
        (void)x;
        if (leaf->physical == VL_PQ_T_FIXED_LEN_BYTE_ARRAY)
            for (size_t i = 0; i < col->n_values; i++) FUZZ_ASSERT(col->v.bin[i].n == (size_t)leaf->type_length);
    }
}

static bool same_column(const vl_pq_column *a, const vl_pq_column *b) {
    if (a->n != b->n || a->n_values != b->n_values) return false;
    for (size_t i = 0; i < a->n; i++) {
        if (a->def && b->def && a->def[i] != b->def[i]) return false;
        if (a->rep && b->rep && a->rep[i] != b->rep[i]) return false;
    }
    for (size_t i = 0; i < a->n_values; i++) {
        switch (a->leaf->physical) {
        case VL_PQ_T_BOOLEAN:
            if ((a->v.b[i] != 0) != (b->v.b[i] != 0)) return false;
            break;
        case VL_PQ_T_INT32:
            if (a->v.i32[i] != b->v.i32[i]) return false;
            break;
        case VL_PQ_T_INT64:
            if (a->v.i64[i] != b->v.i64[i]) return false;
            break;
        case VL_PQ_T_FLOAT:
            if (!(a->v.f32[i] == b->v.f32[i] || (isnan(a->v.f32[i]) && isnan(b->v.f32[i])))) return false;
            break;
        case VL_PQ_T_DOUBLE:
            if (!(a->v.f64[i] == b->v.f64[i] || (isnan(a->v.f64[i]) && isnan(b->v.f64[i])))) return false;
            break;
        default:
            if (!vl_sv_eq(a->v.bin[i], b->v.bin[i])) return false;
            break;
        }
    }
    return true;
}

typedef struct membuf {
    vl_buf b;
} membuf;

static int mem_write(void *ctx, const void *p, size_t n, vl_error *err) {
    (void)err;
    membuf *m = ctx;
    return vl_buf_append(&m->b, p, n);
}

typedef struct reshred {
    vl_delta_shredder *sh;
    vl_arena a;
} reshred;

/* Each row read back from the file goes into a second shredder. */
static int reshred_row(void *ctx, const char *p, size_t n, vl_error *err) {
    reshred *R = ctx;
    FUZZ_ASSERT(n > 0 && p[n - 1] == '\n');
    const vl_json *row;
    vl_arena_reset(&R->a);
    int rc = vl_json_parse(p, n - 1, &R->a, &row, err);
    if (rc != VL_OK) fprintf(stderr, "row read back is not JSON: %.*s\n", (int)n, p);
    FUZZ_ASSERT(rc == VL_OK);
    rc = vl_delta_shredder_add(R->sh, row, err);
    if (rc != VL_OK) fprintf(stderr, "row read back does not append: %s\n  %.*s", err->msg, (int)n, p);
    FUZZ_ASSERT(rc == VL_OK);
    return VL_OK;
}

/* Writes the columns as a Parquet file, reads the rows back as NDJSON and
 * shreds them again: the same columns must come out. */
static void check_file_roundtrip(const vl_dt_type *st, const bool *keep, vl_delta_shredder *sh) {
    size_t rows = vl_delta_shredder_rows(sh);
    if (rows == 0) return;
    uint32_t nl;
    const vl_pq_column *cols = vl_delta_shredder_columns(sh, &nl);
    vl_arena a;
    vl_arena_init(&a, 0);
    vl_pq_schema_elem *elems;
    uint32_t ne;
    vl_error err = {0};
    FUZZ_ASSERT(vl_delta_schema_to_parquet(st, keep, &a, &elems, &ne, &err) == VL_OK);
    membuf m;
    vl_buf_init(&m.b);
    vl_pq_writer_opts o;
    vl_pq_writer_opts_default(&o);
    o.codec = VL_PQ_CODEC_UNCOMPRESSED;
    vl_pq_writer *w = NULL;
    int rc = vl_pq_writer_open((vl_pq_sink){&m, mem_write}, elems, ne, &o, &w, &err);
    if (rc != VL_OK) fprintf(stderr, "writer refuses the schema: %s\n", err.msg);
    FUZZ_ASSERT(rc == VL_OK);
    rc = vl_pq_writer_write(w, cols, rows, &err);
    if (rc != VL_OK) fprintf(stderr, "writer refuses the shredded columns: %s\n", err.msg);
    FUZZ_ASSERT(rc == VL_OK);
    rc = vl_pq_writer_close(w, &err);
    FUZZ_ASSERT(rc == VL_OK);
    vl_pq_writer_destroy(w);

    vl_pq_reader *r = NULL;
    rc = vl_pq_reader_open_mem((const uint8_t *)m.b.p, m.b.n, "roundtrip", &r, &err);
    if (rc != VL_OK) fprintf(stderr, "written file does not open: %s\n", err.msg);
    FUZZ_ASSERT(rc == VL_OK);
    reshred R;
    vl_arena_init(&R.a, 0);
    rc = vl_delta_shredder_new(st, keep, &R.sh, &err);
    FUZZ_ASSERT(rc == VL_OK);
    const vl_pq_file_meta *fm = vl_pq_reader_meta(r);
    int64_t total = 0;
    for (uint32_t g = 0; g < fm->n_row_groups; g++) {
        int64_t written = 0;
        rc = vl_pq_rows_write(r, g, NULL, VL_PQ_ROWS_NDJSON, 0, -1, reshred_row, &R, &written, &err);
        if (rc != VL_OK) fprintf(stderr, "rows do not read back: %s\n", err.msg);
        FUZZ_ASSERT(rc == VL_OK);
        total += written;
    }
    FUZZ_ASSERT(total == (int64_t)rows);
    uint32_t nl2;
    const vl_pq_column *cols2 = vl_delta_shredder_columns(R.sh, &nl2);
    FUZZ_ASSERT(nl2 == nl);
    for (uint32_t i = 0; i < nl; i++) {
        if (!same_column(&cols[i], &cols2[i])) fprintf(stderr, "leaf %u differs after the round trip\n", i);
        FUZZ_ASSERT(same_column(&cols[i], &cols2[i]));
    }
    vl_delta_shredder_free(R.sh);
    vl_arena_destroy(&R.a);
    vl_pq_reader_close(r);
    vl_buf_free(&m.b);
    vl_arena_destroy(&a);
}

/* Shreds the NDJSON rows of tail with the fields keep selects. */
static void shred(const vl_dt_type *st, const bool *keep, const char *tail, size_t tn) {
    vl_delta_shredder *sh = NULL;
    vl_error err = {0};
    int rc = vl_delta_shredder_new(st, keep, &sh, &err);
    if (rc != VL_OK) {
        FUZZ_ASSERT(rc == VL_EINVAL && err.msg[0]);
        FUZZ_ASSERT(sh == NULL);
        return;
    }
    uint32_t nl;
    const vl_pq_column *cols = vl_delta_shredder_columns(sh, &nl);
    FUZZ_ASSERT(nl > 0);
    size_t *n_before = calloc(nl, sizeof(size_t)), *nv_before = calloc(nl, sizeof(size_t));
    FUZZ_ASSERT(n_before && nv_before);
    vl_arena a;
    vl_arena_init(&a, 0);
    size_t at = 0, lines = 0;
    while (at < tn && lines < MAX_ROWS) {
        const char *nl_p = memchr(tail + at, '\n', tn - at);
        size_t len = nl_p ? (size_t)(nl_p - (tail + at)) : tn - at;
        const vl_json *row;
        lines++;
        if (vl_json_parse(tail + at, len, &a, &row, &err) == VL_OK) {
            cols = vl_delta_shredder_columns(sh, &nl);
            for (uint32_t i = 0; i < nl; i++) {
                n_before[i] = cols[i].n;
                nv_before[i] = cols[i].n_values;
            }
            size_t rows = vl_delta_shredder_rows(sh);
            rc = vl_delta_shredder_add(sh, row, &err);
            cols = vl_delta_shredder_columns(sh, &nl);
            if (rc == VL_OK) {
                FUZZ_ASSERT(vl_delta_shredder_rows(sh) == rows + 1);
            } else {
                FUZZ_ASSERT(rc == VL_EINVAL && err.code == rc && err.msg[0]);
                FUZZ_ASSERT(vl_delta_shredder_rows(sh) == rows);
                for (uint32_t i = 0; i < nl; i++)
                    FUZZ_ASSERT(cols[i].n == n_before[i] && cols[i].n_values == nv_before[i]);
            }
            for (uint32_t i = 0; i < nl; i++) check_column(&cols[i], vl_delta_shredder_rows(sh));
        }
        vl_arena_reset(&a);
        at += len + 1;
    }
    check_file_roundtrip(st, keep, sh);
    vl_delta_shredder_reset(sh);
    FUZZ_ASSERT(vl_delta_shredder_rows(sh) == 0);
    cols = vl_delta_shredder_columns(sh, &nl);
    for (uint32_t i = 0; i < nl; i++) FUZZ_ASSERT(cols[i].n == 0 && cols[i].n_values == 0);
    vl_arena_destroy(&a);
    free(n_before);
    free(nv_before);
    vl_delta_shredder_free(sh);
}

/* Everything a struct schema goes through. */
static void check_schema(const vl_dt_type *st, const char *tail, size_t tn) {
    FUZZ_ASSERT(st->kind == VL_DT_STRUCT);
    check_json_roundtrip(st);
    for (uint32_t i = 0; i < st->n_fields; i++) check_name_roundtrip(&st->fields[i].type);
    check_ddl_roundtrip(st);

    vl_arena a;
    vl_arena_init(&a, 0);
    vl_pq_schema_elem *elems = NULL;
    uint32_t ne = 0;
    vl_error err = {0};
    int rc = vl_delta_schema_to_parquet(st, NULL, &a, &elems, &ne, &err);
    if (rc != VL_OK) {
        FUZZ_ASSERT(rc == VL_EINVAL && err.msg[0]);
    } else {
        FUZZ_ASSERT(ne >= 2 && elems[0].has_num_children && elems[0].num_children == (int32_t)st->n_fields);
        vl_pq_schema ps;
        rc = vl_pq_schema_build(elems, ne, &a, &ps, &err);
        if (rc != VL_OK) fprintf(stderr, "Parquet schema refused: %s\n", err.msg);
        FUZZ_ASSERT(rc == VL_OK);
    }
    vl_arena_destroy(&a);
    if (st->n_fields == 0) return;

    shred(st, NULL, tail, tn);
    if (st->n_fields > 1 && tn > 0) {
        bool *keep = calloc(st->n_fields, sizeof(bool));
        FUZZ_ASSERT(keep);
        bool any = false;
        for (uint32_t i = 0; i < st->n_fields; i++) {
            keep[i] = ((unsigned char)tail[0] >> (i % 8)) & 1;
            any |= keep[i];
        }
        if (any) shred(st, keep, tail, tn);
        free(keep);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const uint8_t *nul = memchr(data, 0, size);
    size_t n = nul ? (size_t)(nul - data) : size;
    if (n > TEXT_MAX) return 0;
    static char text[TEXT_MAX + 1];
    memcpy(text, data, n);
    text[n] = '\0';
    const char *tail = nul ? (const char *)nul + 1 : "";
    size_t tn = nul ? size - n - 1 : 0;

    vl_arena a;
    vl_arena_init(&a, 0);
    vl_error err = {0};
    vl_dt_type t;

    /* a Spark JSON schema */
    int rc = vl_delta_schema_parse(text, n, &a, &t, &err);
    if (rc == VL_OK) check_schema(&t, tail, tn);
    else FUZZ_ASSERT(rc == VL_ECORRUPT && err.code == rc && err.msg[0]);

    /* a type name */
    vl_arena_reset(&a);
    rc = vl_delta_type_parse(text, n, &a, &t, &err);
    if (rc == VL_OK) {
        check_name_roundtrip(&t);
        if (t.kind == VL_DT_STRUCT) check_schema(&t, tail, tn);
    } else {
        FUZZ_ASSERT(rc == VL_EINVAL && err.code == rc && err.msg[0]);
    }

    /* a column list */
    vl_arena_reset(&a);
    rc = vl_delta_schema_from_ddl(text, &a, &t, &err);
    if (rc == VL_OK) check_schema(&t, tail, tn);
    else FUZZ_ASSERT(rc == VL_EINVAL && err.code == rc && err.msg[0]);

    vl_arena_destroy(&a);
    return 0;
}
