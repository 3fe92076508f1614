/* vidlake - Apache-2.0 */
/*
 * parquet_writer: the streaming Parquet writer declared in parquet.h. It takes
 * batches of rows as columns of Dremel levels and dense values, and writes
 *
 *   "PAR1" | row group 0: chunk 0 | chunk 1 | ... | row group 1 | ...
 *          | FileMetaData (Thrift compact) | footer length (4 bytes LE) | "PAR1"
 *
 * where a column chunk is an optional dictionary page followed by data pages
 * (format v1: repetition levels, then definition levels, each an RLE/bit-packed
 * hybrid with a 4-byte length prefix, then the values).
 *
 * Memory: at most one row group is held, as the encoded and compressed data
 * pages of each column (plus the unencoded levels and values of each column's
 * current page, and its dictionary). A row group is written to the sink column
 * after column when it reaches opts.row_group_rows rows or about
 * opts.row_group_bytes uncompressed bytes, and all of its buffers are reused
 * for the next one, so memory is bounded by the row-group limits whatever the
 * file size. What grows with the file is only the footer metadata (one small
 * record per column chunk, kept in the writer's arena).
 *
 * Encodings (decided per column chunk and per page, without hints):
 *  - BOOLEAN: PLAIN (bit-packed). RLE booleans in v1 pages are not read by
 *    every reader still in use, and PLAIN bits compress well anyway.
 *  - everything else starts with a dictionary (RLE_DICTIONARY data pages,
 *    a PLAIN dictionary page), unless opts.no_dictionary.
 *  - the dictionary must pay for itself: when the first page of a chunk is
 *    cut, if dictionary page + encoded indices >= the PLAIN size of the same
 *    values (parquet-mr's rule), the page is re-encoded without it and the
 *    chunk has no dictionary. That catches unique ids, timestamps, measures;
 *    most of them earlier: when over 3/4 of the first DICT_PROBE values
 *    are distinct, the dictionary is dropped right away.
 *  - when the dictionary passes opts.dict_bytes, the chunk falls back: pages
 *    already written stay dictionary-encoded, the rest of the chunk is plain.
 *  - "plain" pages of INT32/INT64 are written DELTA_BINARY_PACKED when that
 *    is smaller than PLAIN for the page (it is computed, not guessed: sorted
 *    or clustered values such as timestamps and increasing ids shrink by 2-8x,
 *    random 64-bit values would grow and stay PLAIN). Other types: PLAIN.
 * Pages are cut at row boundaries when their estimated encoded size passes
 * opts.page_bytes (values are added in blocks of BLOCK_LEVELS level entries,
 * so a page of very large strings may overshoot by one block).
 *
 * Statistics (chunk level only; no page statistics, no page index): null
 * count, min_value/max_value with is_*_exact, and the legacy min/max for the
 * types whose order is signed (signed INT32/INT64, FLOAT, DOUBLE, BOOLEAN).
 * Orders: signed integers, unsigned when the logical INTEGER is unsigned;
 * floats ignore NaN (all NaN: no min/max) and a zero min is written as -0.0,
 * a zero max as +0.0; BYTE_ARRAY/FLBA unsigned byte-wise; DECIMAL in FLBA as
 * big-endian two's complement. Unordered types (INT96, FLOAT16, INTERVAL,
 * BYTE_ARRAY decimals) get only the null count. BYTE_ARRAY min/max longer
 * than STAT_TRUNC bytes are truncated: min to a prefix, max to a prefix whose
 * last byte (for UTF-8 strings: last code point, so the bound stays valid
 * UTF-8) is incremented; either is then marked not exact. A max that cannot
 * be incremented (all 0xFF) is kept whole and exact.
 *
 * Not done: data page v2, page statistics, column/offset indexes, bloom
 * filters, encryption, BYTE_STREAM_SPLIT and the DELTA byte-array encodings.
 */
#include "parquet_enc.h"
#include "parquet_meta.h"

#include <math.h>
#include <endian.h>
#include <string.h>

/* Values are added to a page in blocks of at most this many level entries
 * (extended to the next row boundary for repeated columns): the page-size
 * check runs between blocks. */
#define BLOCK_LEVELS 4096
/* A page holds at most this many level entries whatever their size, so that
 * readers' per-page buffers stay modest even for all-null or RLE-friendly
 * columns whose encoded size grows very slowly. */
#define PAGE_MAX_LEVELS ((size_t)1 << 20)
/* The first slice of a row group; later slices are sized from the bytes per
 * row seen so far, so the byte limit is met within about one slice. */
#define SLICE_FIRST_ROWS 1024
#define SLICE_MAX_ROWS 65536
/* BYTE_ARRAY statistics longer than this are truncated (parquet-mr and
 * Arrow use 64 too, for page indexes). */
#define STAT_TRUNC 64
#define MAX_LEVEL 64 /* schema depth limit of vl_pq_schema_build */

enum { CMP_NONE, CMP_BOOL, CMP_I32, CMP_U32, CMP_I64, CMP_U64, CMP_F32, CMP_F64, CMP_BYTES, CMP_DEC };
enum { DICT_OFF, DICT_ON, DICT_FELL_BACK };
#define DICT_PROBE 8192 /* values seen before the early "is the dictionary worth it" test */
enum { ST_OPEN, ST_CLOSED, ST_FAILED };

typedef struct wstats {
    int64_t nulls;
    bool have;            /* min/max hold a value */
    bool any_true, any_false;
    int64_t imn, imx;     /* CMP_I32 / CMP_I64 */
    uint64_t umn, umx;    /* CMP_U32 / CMP_U64 */
    double dmn, dmx;      /* CMP_F32 / CMP_F64 (float widened exactly) */
    vl_buf bmn, bmx;      /* CMP_BYTES / CMP_DEC: full copies */
} wstats;

typedef struct wcol {
    const vl_pq_node *leaf;
    vl_buf fmn, fmx;      /* CMP_BYTES: exact bounds over the file's closed row groups */
    bool fhave;
    char name[256];       /* dotted path, for messages */
    vl_sv *path;          /* path_in_schema (arena) */
    uint32_t n_path;
    int32_t phys;
    size_t width;         /* fixed value size: 4, 8, 12, FLBA length; 0 BYTE_ARRAY / BOOLEAN */
    int cmp;              /* CMP_* */
    bool is_utf8;         /* STRING/ENUM/JSON: truncate stats on code points */
    bool use_dict;        /* the chunk starts with a dictionary */
    int16_t max_def, max_rep;
    int def_bw, rep_bw;
    int16_t def_at_rep[MAX_LEVEL + 1]; /* def level of the repeated node at rep level r */

    /* the current page, unencoded */
    vl_buf def, rep;      /* uint16_t levels (only when max_def / max_rep > 0) */
    vl_buf vals;          /* plain staging: fixed values raw, BYTE_ARRAY PLAIN, BOOLEAN one byte each */
    vl_buf idx;           /* dictionary staging: uint32_t indices */
    size_t pg_levels, pg_values;
    uint64_t pg_bits;     /* estimated encoded size of the page, in bits */
    size_t pg_plain;      /* PLAIN size of the dictionary-staged values */

    /* the current column chunk */
    int dict_state;       /* DICT_* */
    bool dict_checked;    /* the first-page "is it worth it" test was made */
    vl_pq_dict_enc dict;
    bool dict_init;
    int32_t dict_pages;   /* data pages that use the dictionary */
    vl_buf pages;         /* data pages: header + compressed body, in order */
    int64_t ch_levels, ch_unc, ch_comp;
    int32_t pages_by_enc[VL_PQ_ENC_BYTE_STREAM_SPLIT + 1];
    wstats st;

    /* cursor in the batch being written */
    size_t in_l, in_v;
} wcol;

struct vl_pq_writer {
    vl_pq_sink sink;
    vl_pq_writer_opts o;
    vl_arena arena;               /* schema, paths, footer records */
    vl_pq_schema_elem *elems;
    uint32_t n_elems;
    vl_pq_schema schema;
    wcol *cols;
    uint32_t n_cols;
    vl_pq_codec_ctx *codec;
    vl_buf body, comp, hdr, tmp;  /* per-page scratch, reused */
    vl_buf svs;                   /* new dictionary entries as views, for statistics */
    uint64_t pos;                 /* bytes given to the sink */
    int64_t rg_rows, rows;
    vl_pq_row_group *rgs;
    uint32_t n_rgs, cap_rgs;
    vl_pq_key_value *kv;
    uint32_t n_kv, cap_kv;
    int32_t *orders;
    vl_pq_file_meta meta;
    int state;
    int fail_code;
};

/* ------------------------------------------------------------ small helpers */

static int oom(vl_error *err, const char *what) {
    return vl_error_set(err, VL_ENOMEM, "parquet writer: out of memory (%s)", what);
}

static int col_fail(vl_error *err, int code, const wcol *c, const char *fmt, ...) VL_PRINTF(4, 5);
static int col_fail(vl_error *err, int code, const wcol *c, const char *fmt, ...) {
    char m[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof(m), fmt, ap);
    va_end(ap);
    return vl_error_set(err, code, "parquet writer: column '%s': %s", c->name, m);
}

/* Marks the writer failed after an error that may have left partial state. */
static int fail(vl_pq_writer *w, int rc) {
    if (rc != VL_OK) {
        w->state = ST_FAILED;
        w->fail_code = rc;
    }
    return rc;
}

static int sink_write(vl_pq_writer *w, const void *p, size_t n, vl_error *err) {
    if (n == 0) return VL_OK;
    int rc = w->sink.write(w->sink.ctx, p, n, err);
    if (rc != VL_OK) {
        if (err && err->code != rc) vl_error_set(err, rc, "parquet writer: the sink failed (%s)", vl_strerror(rc));
        return rc;
    }
    w->pos += n;
    return VL_OK;
}

static inline uint32_t ld32(const void *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* --------------------------------------------------------------- schema */

/* The converted (legacy) type of a logical type, or -1 when there is none
 * (LogicalTypes.md "Backward compatibility"). Timestamps and times map only
 * when adjusted to UTC, as the legacy annotations imply UTC. */
static int32_t converted_of(const vl_pq_logical_type *lt) {
    switch (lt->kind) {
    case VL_PQ_LT_STRING: return VL_PQ_CT_UTF8;
    case VL_PQ_LT_MAP: return VL_PQ_CT_MAP;
    case VL_PQ_LT_LIST: return VL_PQ_CT_LIST;
    case VL_PQ_LT_ENUM: return VL_PQ_CT_ENUM;
    case VL_PQ_LT_DECIMAL: return VL_PQ_CT_DECIMAL;
    case VL_PQ_LT_DATE: return VL_PQ_CT_DATE;
    case VL_PQ_LT_JSON: return VL_PQ_CT_JSON;
    case VL_PQ_LT_BSON: return VL_PQ_CT_BSON;
    case VL_PQ_LT_TIME:
        if (!lt->is_adjusted_to_utc) return -1;
        return lt->unit == VL_PQ_UNIT_MILLIS ? VL_PQ_CT_TIME_MILLIS
             : lt->unit == VL_PQ_UNIT_MICROS ? VL_PQ_CT_TIME_MICROS : -1;
    case VL_PQ_LT_TIMESTAMP:
        if (!lt->is_adjusted_to_utc) return -1;
        return lt->unit == VL_PQ_UNIT_MILLIS ? VL_PQ_CT_TIMESTAMP_MILLIS
             : lt->unit == VL_PQ_UNIT_MICROS ? VL_PQ_CT_TIMESTAMP_MICROS : -1;
    case VL_PQ_LT_INTEGER: {
        int k = lt->bit_width == 8 ? 0 : lt->bit_width == 16 ? 1 : lt->bit_width == 32 ? 2 : lt->bit_width == 64 ? 3 : -1;
        if (k < 0) return -1;
        return (lt->is_signed ? VL_PQ_CT_INT_8 : VL_PQ_CT_UINT_8) + k;
    }
    default: return -1;
    }
}

/* The logical type of a legacy converted type, when there is an exact one. */
static bool logical_of(const vl_pq_schema_elem *e, vl_pq_logical_type *lt) {
    memset(lt, 0, sizeof(*lt));
    int32_t ct = e->converted_type;
    switch (ct) {
    case VL_PQ_CT_UTF8: lt->kind = VL_PQ_LT_STRING; return true;
    case VL_PQ_CT_MAP: lt->kind = VL_PQ_LT_MAP; return true;
    case VL_PQ_CT_LIST: lt->kind = VL_PQ_LT_LIST; return true;
    case VL_PQ_CT_ENUM: lt->kind = VL_PQ_LT_ENUM; return true;
    case VL_PQ_CT_DATE: lt->kind = VL_PQ_LT_DATE; return true;
    case VL_PQ_CT_JSON: lt->kind = VL_PQ_LT_JSON; return true;
    case VL_PQ_CT_BSON: lt->kind = VL_PQ_LT_BSON; return true;
    case VL_PQ_CT_DECIMAL:
        if (!e->has_precision) return false;
        lt->kind = VL_PQ_LT_DECIMAL;
        lt->precision = e->precision;
        lt->scale = e->has_scale ? e->scale : 0;
        return true;
    case VL_PQ_CT_TIME_MILLIS: case VL_PQ_CT_TIME_MICROS:
        lt->kind = VL_PQ_LT_TIME;
        lt->is_adjusted_to_utc = true;
        lt->unit = ct == VL_PQ_CT_TIME_MILLIS ? VL_PQ_UNIT_MILLIS : VL_PQ_UNIT_MICROS;
        return true;
    case VL_PQ_CT_TIMESTAMP_MILLIS: case VL_PQ_CT_TIMESTAMP_MICROS:
        lt->kind = VL_PQ_LT_TIMESTAMP;
        lt->is_adjusted_to_utc = true;
        lt->unit = ct == VL_PQ_CT_TIMESTAMP_MILLIS ? VL_PQ_UNIT_MILLIS : VL_PQ_UNIT_MICROS;
        return true;
    case VL_PQ_CT_UINT_8: case VL_PQ_CT_UINT_16: case VL_PQ_CT_UINT_32: case VL_PQ_CT_UINT_64:
        lt->kind = VL_PQ_LT_INTEGER;
        lt->bit_width = (int8_t)(8 << (ct - VL_PQ_CT_UINT_8));
        return true;
    case VL_PQ_CT_INT_8: case VL_PQ_CT_INT_16: case VL_PQ_CT_INT_32: case VL_PQ_CT_INT_64:
        lt->kind = VL_PQ_LT_INTEGER;
        lt->is_signed = true;
        lt->bit_width = (int8_t)(8 << (ct - VL_PQ_CT_INT_8));
        return true;
    default: return false; /* MAP_KEY_VALUE, INTERVAL: no logical equivalent */
    }
}

/* Largest DECIMAL precision that n bytes of two's complement hold:
 * floor(log10(2^(8n-1) - 1)). */
static int32_t flba_max_precision(int32_t n) {
    if (n <= 0) return 0;
    if (n > 128) n = 128;
    return (int32_t)floor(log10(pow(2.0, 8.0 * n - 1) - 1));
}

static int schema_fail(vl_error *err, const vl_pq_node *n, const char *what) {
    char p[256];
    vl_pq_node_path(n, p, sizeof(p));
    return vl_error_set(err, VL_EINVAL, "parquet writer: schema: '%s': %s", p, what);
}

/* Checks one node of the built tree against what the writer supports. */
static int check_node(const vl_pq_node *n, vl_error *err) {
    const vl_pq_logical_type *lt = &n->logical;
    if (n->parent && n->name.n == 0) return schema_fail(err, n, "empty name");
    if (n->physical < 0) {
        if (n->parent && n->n_children == 0) return schema_fail(err, n, "a group without children");
        if (lt->kind == VL_PQ_LT_LIST &&
            (n->n_children != 1 || n->children[0].repetition != VL_PQ_REP_REPEATED))
            return schema_fail(err, n, "a LIST must have exactly one repeated child");
        if (lt->kind == VL_PQ_LT_MAP &&
            (n->n_children != 1 || n->children[0].repetition != VL_PQ_REP_REPEATED ||
             n->children[0].physical >= 0 || n->children[0].n_children < 1 ||
             n->children[0].n_children > 2 ||
             n->children[0].children[0].repetition != VL_PQ_REP_REQUIRED))
            return schema_fail(err, n, "a MAP must have one repeated group of a required key and a value");
        if (lt->kind != VL_PQ_LT_NONE && lt->kind != VL_PQ_LT_LIST && lt->kind != VL_PQ_LT_MAP)
            return schema_fail(err, n, "a logical type on a group other than LIST or MAP");
        for (uint32_t i = 0; i < n->n_children; i++) VL_RETURN_IF_ERR(check_node(&n->children[i], err));
        return VL_OK;
    }
    int32_t t = n->physical;
    bool ok = true;
    switch (lt->kind) {
    case VL_PQ_LT_NONE: case VL_PQ_LT_UNKNOWN: break;
    case VL_PQ_LT_STRING: case VL_PQ_LT_ENUM: case VL_PQ_LT_JSON: case VL_PQ_LT_BSON:
        ok = t == VL_PQ_T_BYTE_ARRAY;
        break;
    case VL_PQ_LT_DATE: ok = t == VL_PQ_T_INT32; break;
    case VL_PQ_LT_TIME:
        ok = lt->unit == VL_PQ_UNIT_MILLIS ? t == VL_PQ_T_INT32
           : (lt->unit == VL_PQ_UNIT_MICROS || lt->unit == VL_PQ_UNIT_NANOS) && t == VL_PQ_T_INT64;
        break;
    case VL_PQ_LT_TIMESTAMP:
        ok = t == VL_PQ_T_INT64 && lt->unit >= VL_PQ_UNIT_MILLIS && lt->unit <= VL_PQ_UNIT_NANOS;
        break;
    case VL_PQ_LT_INTEGER:
        ok = (lt->bit_width == 8 || lt->bit_width == 16 || lt->bit_width == 32) ? t == VL_PQ_T_INT32
           : lt->bit_width == 64 && t == VL_PQ_T_INT64;
        break;
    case VL_PQ_LT_DECIMAL:
        ok = lt->precision >= 1 && lt->scale >= 0 && lt->scale <= lt->precision &&
             ((t == VL_PQ_T_INT32 && lt->precision <= 9) || (t == VL_PQ_T_INT64 && lt->precision <= 18) ||
              (t == VL_PQ_T_FIXED_LEN_BYTE_ARRAY && lt->precision <= flba_max_precision(n->type_length)) ||
              t == VL_PQ_T_BYTE_ARRAY);
        break;
    case VL_PQ_LT_UUID: ok = t == VL_PQ_T_FIXED_LEN_BYTE_ARRAY && n->type_length == 16; break;
    case VL_PQ_LT_FLOAT16: ok = t == VL_PQ_T_FIXED_LEN_BYTE_ARRAY && n->type_length == 2; break;
    default: return schema_fail(err, n, "a logical type the writer does not know");
    }
    if (!ok) return schema_fail(err, n, "the logical type does not fit the physical type");
    return VL_OK;
}

/* Copies the caller's schema into the arena, completing it for writing:
 * repetition on every non-root node, logical type AND converted type. */
static int copy_schema(vl_pq_writer *w, const vl_pq_schema_elem *s, uint32_t n, vl_error *err) {
    w->elems = vl_arena_alloc(&w->arena, (size_t)n * sizeof(*w->elems));
    if (!w->elems) return oom(err, "schema");
    w->n_elems = n;
    for (uint32_t i = 0; i < n; i++) {
        vl_pq_schema_elem *e = &w->elems[i];
        *e = s[i];
        e->name.p = s[i].name.n ? vl_arena_memdup(&w->arena, s[i].name.p, s[i].name.n) : "";
        if (!e->name.p) return oom(err, "schema");
        if (i > 0 && !e->has_repetition_type) {
            e->has_repetition_type = true;
            e->repetition_type = VL_PQ_REP_REQUIRED;
        }
        if (e->has_type && e->has_num_children && e->num_children == 0) e->has_num_children = false;
        if (e->logical.kind == VL_PQ_LT_NONE && e->has_converted_type) {
            vl_pq_logical_type lt;
            if (logical_of(e, &lt)) e->logical = lt;
        }
        if (e->logical.kind != VL_PQ_LT_NONE && !e->has_converted_type) {
            int32_t ct = converted_of(&e->logical);
            if (ct >= 0) {
                e->has_converted_type = true;
                e->converted_type = ct;
            }
        }
        if (e->logical.kind == VL_PQ_LT_DECIMAL) {
            e->has_scale = e->has_precision = true;
            e->scale = e->logical.scale;
            e->precision = e->logical.precision;
        }
    }
    return VL_OK;
}

static void stats_reset(wstats *s) {
    s->nulls = 0;
    s->have = s->any_true = s->any_false = false;
    s->imn = INT64_MAX;
    s->imx = INT64_MIN;
    s->umn = UINT64_MAX;
    s->umx = 0;
    s->dmn = INFINITY;
    s->dmx = -INFINITY;
    vl_buf_clear(&s->bmn);
    vl_buf_clear(&s->bmx);
}

static void chunk_reset(vl_pq_writer *w, wcol *c) {
    if (c->dict_init) vl_pq_dict_enc_free(&c->dict);
    c->dict_init = false;
    c->dict_state = c->use_dict ? DICT_ON : DICT_OFF;
    c->dict_checked = false;
    c->dict_pages = 0;
    vl_buf_clear(&c->pages);
    c->ch_levels = c->ch_unc = c->ch_comp = 0;
    memset(c->pages_by_enc, 0, sizeof(c->pages_by_enc));
    stats_reset(&c->st);
    (void)w;
}

static int setup_col(vl_pq_writer *w, wcol *c, const vl_pq_node *leaf, vl_error *err) {
    c->leaf = leaf;
    vl_pq_node_path(leaf, c->name, sizeof(c->name));
    c->phys = leaf->physical;
    c->max_def = leaf->max_def;
    c->max_rep = leaf->max_rep;
    c->def_bw = vl_pq_bit_width((uint64_t)c->max_def);
    c->rep_bw = vl_pq_bit_width((uint64_t)c->max_rep);
    const vl_pq_logical_type *lt = &leaf->logical;
    /* path_in_schema and the def level of each repeated ancestor */
    const vl_pq_node *chain[MAX_LEVEL + 2];
    uint32_t k = 0;
    for (const vl_pq_node *p = leaf; p && p->parent && k < MAX_LEVEL + 1; p = p->parent) chain[k++] = p;
    c->path = vl_arena_alloc(&w->arena, (size_t)k * sizeof(vl_sv));
    if (!c->path) return oom(err, "schema");
    c->n_path = k;
    int16_t d = 0, r = 0;
    for (uint32_t i = 0; i < k; i++) {
        const vl_pq_node *p = chain[k - 1 - i];
        c->path[i] = p->name;
        if (p->repetition != VL_PQ_REP_REQUIRED) d++;
        if (p->repetition == VL_PQ_REP_REPEATED && r < MAX_LEVEL) c->def_at_rep[++r] = d;
    }
    bool is_signed = !(lt->kind == VL_PQ_LT_INTEGER && !lt->is_signed);
    switch (c->phys) {
    case VL_PQ_T_BOOLEAN: c->width = 0; c->cmp = CMP_BOOL; break;
    case VL_PQ_T_INT32: c->width = 4; c->cmp = is_signed ? CMP_I32 : CMP_U32; break;
    case VL_PQ_T_INT64: c->width = 8; c->cmp = is_signed ? CMP_I64 : CMP_U64; break;
    case VL_PQ_T_INT96: c->width = 12; c->cmp = CMP_NONE; break;
    case VL_PQ_T_FLOAT: c->width = 4; c->cmp = CMP_F32; break;
    case VL_PQ_T_DOUBLE: c->width = 8; c->cmp = CMP_F64; break;
    case VL_PQ_T_BYTE_ARRAY:
        c->width = 0;
        c->cmp = lt->kind == VL_PQ_LT_DECIMAL ? CMP_NONE : CMP_BYTES;
        break;
    case VL_PQ_T_FIXED_LEN_BYTE_ARRAY:
        c->width = (size_t)leaf->type_length;
        c->cmp = lt->kind == VL_PQ_LT_DECIMAL ? CMP_DEC
               : lt->kind == VL_PQ_LT_FLOAT16 ? CMP_NONE : CMP_BYTES;
        break;
    default: return schema_fail(err, leaf, "unsupported physical type");
    }
    if (leaf->converted == VL_PQ_CT_INTERVAL) c->cmp = CMP_NONE;
    c->is_utf8 = lt->kind == VL_PQ_LT_STRING || lt->kind == VL_PQ_LT_ENUM || lt->kind == VL_PQ_LT_JSON;
    c->use_dict = !w->o.no_dictionary && c->phys != VL_PQ_T_BOOLEAN;
    vl_buf_init(&c->def);
    vl_buf_init(&c->rep);
    vl_buf_init(&c->vals);
    vl_buf_init(&c->idx);
    vl_buf_init(&c->pages);
    vl_buf_init(&c->st.bmn);
    vl_buf_init(&c->fmn);
    vl_buf_init(&c->fmx);
    vl_buf_init(&c->st.bmx);
    chunk_reset(w, c);
    return VL_OK;
}

/* ------------------------------------------------------------- public: open */

void vl_pq_writer_opts_default(vl_pq_writer_opts *o) {
    memset(o, 0, sizeof(*o));
    o->codec = VL_PQ_CODEC_ZSTD;
    o->level = 0;
    /* 2^18 rows: on 1M event rows this gave files 2% smaller than DuckDB's
     * 122880-row groups and read 1.5x faster than 1M-row groups, whose
     * column arrays no longer fit the caches and fault in more memory. */
    o->row_group_rows = (size_t)1 << 18;
    o->row_group_bytes = (size_t)128 << 20;
    o->page_bytes = (size_t)1 << 20;
    o->dict_bytes = (size_t)1 << 20;
}

int vl_pq_writer_open(vl_pq_sink sink, const vl_pq_schema_elem *schema, uint32_t n_schema,
                      const vl_pq_writer_opts *opts, vl_pq_writer **out, vl_error *err) {
    *out = NULL;
    vl_pq_writer_opts o;
    if (opts) o = *opts;
    else vl_pq_writer_opts_default(&o);
    vl_pq_writer_opts def;
    vl_pq_writer_opts_default(&def);
    if (!o.row_group_rows) o.row_group_rows = def.row_group_rows;
    if (!o.row_group_bytes) o.row_group_bytes = def.row_group_bytes;
    if (!o.page_bytes) o.page_bytes = def.page_bytes;
    if (!o.dict_bytes) o.dict_bytes = def.dict_bytes;
    switch (o.codec) {
    case VL_PQ_CODEC_UNCOMPRESSED: case VL_PQ_CODEC_SNAPPY: case VL_PQ_CODEC_GZIP:
    case VL_PQ_CODEC_ZSTD: case VL_PQ_CODEC_LZ4_RAW: break;
    default:
        return vl_error_set(err, VL_ENOTSUP, "parquet writer: codec %s (%d) is not supported for writing",
                            vl_pq_codec_name(o.codec), (int)o.codec);
    }
    if (o.codec == VL_PQ_CODEC_GZIP && (o.level < 0 || o.level > 9))
        return vl_error_set(err, VL_EINVAL, "parquet writer: gzip level %d not in 0..9", o.level);
    if (!sink.write) return vl_error_set(err, VL_EINVAL, "parquet writer: the sink has no write function");
    if (!schema || n_schema < 2)
        return vl_error_set(err, VL_EINVAL, "parquet writer: the schema needs a root and at least one column");

    vl_pq_writer *w = vl_calloc(1, sizeof(*w));
    if (!w) return oom(err, "writer");
    w->sink = sink;
    w->o = o;
    vl_arena_init(&w->arena, 16384);
    vl_buf_init(&w->body);
    vl_buf_init(&w->comp);
    vl_buf_init(&w->hdr);
    vl_buf_init(&w->tmp);
    int rc = copy_schema(w, schema, n_schema, err);
    if (rc == VL_OK) {
        rc = vl_pq_schema_build(w->elems, n_schema, &w->arena, &w->schema, err);
        if (rc == VL_ECORRUPT || rc == VL_ENOTSUP) {
            if (err) err->code = VL_EINVAL;
            vl_error_prefix(err, "parquet writer: ");
            rc = VL_EINVAL;
        }
    }
    if (rc == VL_OK) rc = check_node(w->schema.root, err);
    if (rc == VL_OK && w->schema.n_leaves == 0)
        rc = vl_error_set(err, VL_EINVAL, "parquet writer: the schema has no columns");
    if (rc == VL_OK) {
        w->n_cols = w->schema.n_leaves;
        w->cols = vl_calloc(w->n_cols, sizeof(*w->cols));
        w->orders = vl_arena_alloc(&w->arena, w->n_cols * sizeof(int32_t));
        if (!w->cols || !w->orders) rc = oom(err, "columns");
        else
            for (uint32_t i = 0; i < w->n_cols; i++) w->orders[i] = VL_PQ_ORDER_TYPE_DEFINED;
    }
    /* setup_col initialises buffers; a column not reached stays zeroed,
     * which destroy accepts */
    for (uint32_t i = 0; rc == VL_OK && i < w->n_cols; i++)
        rc = setup_col(w, &w->cols[i], w->schema.leaves[i], err);
    if (rc == VL_OK) {
        w->codec = vl_pq_codec_ctx_create();
        if (!w->codec) rc = oom(err, "codec context");
    }
    if (rc == VL_OK) rc = sink_write(w, "PAR1", 4, err);
    if (rc != VL_OK) {
        vl_pq_writer_destroy(w);
        return rc;
    }
    w->state = ST_OPEN;
    *out = w;
    return VL_OK;
}

const vl_pq_schema *vl_pq_writer_schema(const vl_pq_writer *w) { return &w->schema; }

/* ------------------------------------------------------------- validation */

static int validate_col(const wcol *c, const vl_pq_column *in, size_t rows, vl_error *err) {
    size_t n = in->n;
    if (n && c->max_def > 0 && !in->def) return col_fail(err, VL_EINVAL, c, "definition levels are missing");
    if (n && c->max_rep > 0 && !in->rep) return col_fail(err, VL_EINVAL, c, "repetition levels are missing");
    if (c->max_rep == 0 && n != rows)
        return col_fail(err, VL_EINVAL, c, "%zu level entries for %zu rows", n, rows);
    if (c->max_rep > 0 && rows > 0 && n < rows)
        return col_fail(err, VL_EINVAL, c, "%zu level entries for %zu rows", n, rows);
    size_t nv = 0, nrows = 0;
    const int16_t *def = in->def, *rep = in->rep;
    int16_t md = c->max_def;
    if (def) {
        int16_t bad = 0;
        for (size_t i = 0; i < n; i++) {
            int16_t d = def[i];
            bad |= (int16_t)(d < 0 || d > md);
            nv += d == md;
        }
        if (bad)
            for (size_t i = 0; i < n; i++)
                if (def[i] < 0 || def[i] > md)
                    return col_fail(err, VL_EINVAL, c, "definition level %d at entry %zu exceeds the maximum %d",
                                    def[i], i, md);
    } else {
        nv = n;
    }
    if (c->max_rep > 0) {
        if (n && rep[0] != 0)
            return col_fail(err, VL_EINVAL, c, "the first repetition level is %d, not 0", rep[0]);
        for (size_t i = 0; i < n; i++) {
            int16_t r = rep[i];
            if (r == 0) {
                nrows++;
                continue;
            }
            if (r < 0 || r > c->max_rep)
                return col_fail(err, VL_EINVAL, c, "repetition level %d at entry %zu exceeds the maximum %d",
                                r, i, c->max_rep);
            int16_t d = def ? def[i] : c->max_def;
            if (d < c->def_at_rep[r])
                return col_fail(err, VL_EINVAL, c,
                                "entry %zu repeats at level %d but its definition level %d is below %d",
                                i, r, d, c->def_at_rep[r]);
        }
        if (nrows != rows)
            return col_fail(err, VL_EINVAL, c, "%zu rows start (repetition level 0), expected %zu", nrows, rows);
    }
    if (in->n_values != nv)
        return col_fail(err, VL_EINVAL, c, "n_values is %zu but %zu entries are defined", in->n_values, nv);
    if (nv == 0) return VL_OK;
    if (!in->v.b) return col_fail(err, VL_EINVAL, c, "values are missing");
    if (c->phys == VL_PQ_T_BYTE_ARRAY) {
        for (size_t i = 0; i < nv; i++) {
            if (in->v.bin[i].n > INT32_MAX)
                return col_fail(err, VL_ERANGE, c, "value %zu is %zu bytes long", i, in->v.bin[i].n);
            if (in->v.bin[i].n && !in->v.bin[i].p)
                return col_fail(err, VL_EINVAL, c, "value %zu has a NULL pointer", i);
        }
    } else if (c->phys == VL_PQ_T_FIXED_LEN_BYTE_ARRAY || c->phys == VL_PQ_T_INT96) {
        for (size_t i = 0; i < nv; i++)
            if (in->v.bin[i].n != c->width || !in->v.bin[i].p)
                return col_fail(err, VL_EINVAL, c, "value %zu is %zu bytes, the type needs %zu", i,
                                in->v.bin[i].n, c->width);
    }
    return VL_OK;
}

/* ------------------------------------------------------------- statistics */

static int bytes_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn) {
    size_t m = an < bn ? an : bn;
    if (m >= 8) { /* most strings differ in their first 8 bytes: no call */
        uint64_t x, y;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        if (x != y) {
            x = __builtin_bswap64(x);
            y = __builtin_bswap64(y);
            return x < y ? -1 : 1;
        }
    }
    int r = m ? memcmp(a, b, m) : 0;
    if (r) return r;
    return an < bn ? -1 : an > bn;
}

/* Big-endian two's complement of equal lengths: sign byte signed, rest unsigned. */
static int dec_cmp(const uint8_t *a, const uint8_t *b, size_t n) {
    if (n == 0) return 0;
    if (a[0] != b[0]) return (int8_t)a[0] < (int8_t)b[0] ? -1 : 1;
    return n > 1 ? memcmp(a + 1, b + 1, n - 1) : 0;
}

static int stats_set(vl_buf *b, const vl_sv *v) {
    vl_buf_clear(b);
    return v->n ? vl_buf_append(b, v->p, v->n) : VL_OK;
}

/* Folds values v[0..nv) into the chunk's statistics. */

/* Folds the min and max of n values (n > 0) of type T at src into smin and
 * smax, comparing as T (so unsigned columns pass their values as unsigned). */
#define FOLD_MINMAX(T, src, n, smin, smax)                                     \
    do {                                                                       \
        const T *v_ = (src);                                                   \
        T mn_ = v_[0], mx_ = v_[0];                                            \
        for (size_t i_ = 1; i_ < (n); i_++) {                                  \
            mn_ = v_[i_] < mn_ ? v_[i_] : mn_;                                 \
            mx_ = v_[i_] > mx_ ? v_[i_] : mx_;                                 \
        }                                                                      \
        if (mn_ < (smin)) (smin) = mn_;                                        \
        if (mx_ > (smax)) (smax) = mx_;                                        \
    } while (0)

/* The same for floating point: comparisons with NaN are false, so NaN never
 * becomes min or max; with only NaNs there are no bounds (st->have stays). */
#define FOLD_MINMAX_FLOAT(T, src, n, st)                                       \
    do {                                                                       \
        const T *v_ = (src);                                                   \
        T mn_ = INFINITY, mx_ = -INFINITY;                                     \
        size_t real_ = 0;                                                      \
        for (size_t i_ = 0; i_ < (n); i_++) {                                  \
            T x_ = v_[i_];                                                     \
            real_ += x_ == x_;                                                 \
            mn_ = x_ < mn_ ? x_ : mn_;                                         \
            mx_ = x_ > mx_ ? x_ : mx_;                                         \
        }                                                                      \
        if (real_) {                                                           \
            if (mn_ < (st)->dmn) (st)->dmn = mn_;                              \
            if (mx_ > (st)->dmx) (st)->dmx = mx_;                              \
            (st)->have = true;                                                 \
        }                                                                      \
    } while (0)

/* Folds byte-array values v[0..nv) (nv > 0) into the chunk's min and max. */
static int stats_fold_bytes(wcol *c, const vl_sv *v, size_t nv, vl_error *err) {
    wstats *s = &c->st;
    const vl_sv *mn = &v[0], *mx = &v[0];
    bool dec = c->cmp == CMP_DEC;
    for (size_t i = 1; i < nv; i++) {
        const vl_sv *x = &v[i];
        if (dec) {
            if (dec_cmp((const uint8_t *)x->p, (const uint8_t *)mn->p, c->width) < 0) mn = x;
            else if (dec_cmp((const uint8_t *)x->p, (const uint8_t *)mx->p, c->width) > 0) mx = x;
        } else {
            if (bytes_cmp((const uint8_t *)x->p, x->n, (const uint8_t *)mn->p, mn->n) < 0) mn = x;
            else if (bytes_cmp((const uint8_t *)x->p, x->n, (const uint8_t *)mx->p, mx->n) > 0) mx = x;
        }
    }
    bool new_mn, new_mx;
    if (!s->have) {
        new_mn = new_mx = true;
    } else if (dec) {
        new_mn = dec_cmp((const uint8_t *)mn->p, (const uint8_t *)s->bmn.p, c->width) < 0;
        new_mx = dec_cmp((const uint8_t *)mx->p, (const uint8_t *)s->bmx.p, c->width) > 0;
    } else {
        new_mn = bytes_cmp((const uint8_t *)mn->p, mn->n, (const uint8_t *)s->bmn.p, s->bmn.n) < 0;
        new_mx = bytes_cmp((const uint8_t *)mx->p, mx->n, (const uint8_t *)s->bmx.p, s->bmx.n) > 0;
    }
    if ((new_mn && stats_set(&s->bmn, mn)) || (new_mx && stats_set(&s->bmx, mx))) return oom(err, "statistics");
    s->have = true;
    return VL_OK;
}

static int stats_add(wcol *c, const vl_pq_column *in, size_t v0, size_t nv, vl_error *err) {
    wstats *s = &c->st;
    if (nv == 0) return VL_OK;
    switch (c->cmp) {
    case CMP_BOOL: {
        const uint8_t *v = in->v.b + v0;
        size_t t = 0;
        for (size_t i = 0; i < nv; i++) t += v[i] != 0;
        s->any_true |= t > 0;
        s->any_false |= t < nv;
        s->have = true;
        break;
    }
    case CMP_I32:
        FOLD_MINMAX(int32_t, in->v.i32 + v0, nv, s->imn, s->imx);
        s->have = true;
        break;
    case CMP_U32:
        FOLD_MINMAX(uint32_t, (const uint32_t *)(const void *)(in->v.i32 + v0), nv, s->umn, s->umx);
        s->have = true;
        break;
    case CMP_I64:
        FOLD_MINMAX(int64_t, in->v.i64 + v0, nv, s->imn, s->imx);
        s->have = true;
        break;
    case CMP_U64:
        FOLD_MINMAX(uint64_t, (const uint64_t *)(const void *)(in->v.i64 + v0), nv, s->umn, s->umx);
        s->have = true;
        break;
    case CMP_F32:
        FOLD_MINMAX_FLOAT(float, in->v.f32 + v0, nv, s);
        break;
    case CMP_F64:
        FOLD_MINMAX_FLOAT(double, in->v.f64 + v0, nv, s);
        break;
    case CMP_BYTES: case CMP_DEC:
        return stats_fold_bytes(c, in->v.bin + v0, nv, err);
    default: break;
    }
    return VL_OK;
}

/* Decodes the UTF-8 sequence at p[0..n) (already validated). */
static uint32_t utf8_decode(const uint8_t *p, size_t n) {
    if (n == 1) return p[0];
    uint32_t cp = p[0] & (0x7f >> n);
    for (size_t i = 1; i < n; i++) cp = (cp << 6) | (p[i] & 0x3f);
    return cp;
}

static size_t utf8_encode(uint32_t cp, uint8_t *o) {
    if (cp < 0x80) { o[0] = (uint8_t)cp; return 1; }
    if (cp < 0x800) { o[0] = (uint8_t)(0xc0 | cp >> 6); o[1] = (uint8_t)(0x80 | (cp & 0x3f)); return 2; }
    if (cp < 0x10000) {
        o[0] = (uint8_t)(0xe0 | cp >> 12);
        o[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (uint8_t)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (uint8_t)(0xf0 | cp >> 18);
    o[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
    o[3] = (uint8_t)(0x80 | (cp & 0x3f));
    return 4;
}

/* Where a prefix of at most STAT_TRUNC bytes of p ends: for valid UTF-8, on
 * a character boundary. */
static size_t trunc_point(const uint8_t *p, size_t n, bool utf8) {
    size_t k = STAT_TRUNC;
    if (utf8)
        while (k > 0 && k < n && (p[k] & 0xc0) == 0x80) k--;
    return k;
}

/* A truncated upper bound of p[0..n) (n > STAT_TRUNC) into o (at least
 * STAT_TRUNC + 4 bytes). @return its length, or 0 if none is shorter. */
static size_t trunc_max(const uint8_t *p, size_t n, bool utf8, uint8_t *o) {
    if (utf8 && vl_utf8_valid((const char *)p, n, NULL)) {
        size_t e = trunc_point(p, n, true);
        while (e > 0) {
            size_t s = e - 1;
            while (s > 0 && (p[s] & 0xc0) == 0x80) s--;
            uint32_t cp = utf8_decode(p + s, e - s) + 1;
            if (cp == 0xd800) cp = 0xe000; /* skip the surrogates */
            if (cp <= 0x10ffff) {
                memcpy(o, p, s);
                return s + utf8_encode(cp, o + s);
            }
            e = s;
        }
        return 0;
    }
    for (size_t i = STAT_TRUNC; i-- > 0;) {
        if (p[i] != 0xff) {
            memcpy(o, p, i);
            o[i] = (uint8_t)(p[i] + 1);
            return i + 1;
        }
    }
    return 0;
}

static int arena_sv(vl_arena *a, const void *p, size_t n, vl_sv *out) {
    char *m = vl_arena_alloc(a, n ? n : 1);
    if (!m) return VL_ENOMEM;
    if (n) memcpy(m, p, n);
    *out = vl_sv_make(m, n);
    return VL_OK;
}

/* The chunk's Statistics, with binaries in the writer's arena. */
static int stats_build(vl_pq_writer *w, const wcol *c, vl_pq_stats *o, vl_error *err) {
    const wstats *s = &c->st;
    memset(o, 0, sizeof(*o));
    o->has_null_count = true;
    o->null_count = s->nulls;
    if (!s->have || c->cmp == CMP_NONE) return VL_OK;
    uint8_t mn[16], mx[16];
    size_t len = 0;
    bool legacy = false;
    switch (c->cmp) {
    case CMP_BOOL:
        mn[0] = s->any_false ? 0 : 1;
        mx[0] = s->any_true ? 1 : 0;
        len = 1;
        legacy = true;
        break;
    case CMP_I32: {
        int32_t a = (int32_t)s->imn, b = (int32_t)s->imx;
        memcpy(mn, &a, 4);
        memcpy(mx, &b, 4);
        len = 4;
        legacy = true;
        break;
    }
    case CMP_U32: {
        uint32_t a = (uint32_t)s->umn, b = (uint32_t)s->umx;
        memcpy(mn, &a, 4);
        memcpy(mx, &b, 4);
        len = 4;
        break;
    }
    case CMP_I64:
        memcpy(mn, &s->imn, 8);
        memcpy(mx, &s->imx, 8);
        len = 8;
        legacy = true;
        break;
    case CMP_U64:
        memcpy(mn, &s->umn, 8);
        memcpy(mx, &s->umx, 8);
        len = 8;
        break;
    case CMP_F32: case CMP_F64: {
        /* the spec: a zero min is written -0.0, a zero max +0.0, so that a
         * reader's filter on either zero is never wrong */
        double a = s->dmn == 0 ? -0.0 : s->dmn, b = s->dmx == 0 ? 0.0 : s->dmx;
        if (c->cmp == CMP_F32) {
            float fa = (float)a, fb = (float)b;
            memcpy(mn, &fa, 4);
            memcpy(mx, &fb, 4);
            len = 4;
        } else {
            memcpy(mn, &a, 8);
            memcpy(mx, &b, 8);
            len = 8;
        }
        legacy = true;
        break;
    }
    default: break;
    }
    o->has_min_value = o->has_max_value = true;
    o->has_is_min_value_exact = o->has_is_max_value_exact = true;
    o->is_min_value_exact = o->is_max_value_exact = true;
    if (c->cmp == CMP_BYTES || c->cmp == CMP_DEC) {
        const uint8_t *a = (const uint8_t *)s->bmn.p, *b = (const uint8_t *)s->bmx.p;
        size_t an = s->bmn.n, bn = s->bmx.n;
        uint8_t tmax[STAT_TRUNC + 4];
        if (c->phys == VL_PQ_T_BYTE_ARRAY && an > STAT_TRUNC) {
            an = trunc_point(a, an, c->is_utf8);
            o->is_min_value_exact = false;
        }
        if (c->phys == VL_PQ_T_BYTE_ARRAY && bn > STAT_TRUNC) {
            size_t tn = trunc_max(b, bn, c->is_utf8, tmax);
            if (tn) {
                b = tmax;
                bn = tn;
                o->is_max_value_exact = false;
            }
        }
        if (arena_sv(&w->arena, a, an, &o->min_value) || arena_sv(&w->arena, b, bn, &o->max_value))
            return oom(err, "statistics");
        return VL_OK;
    }
    if (arena_sv(&w->arena, mn, len, &o->min_value) || arena_sv(&w->arena, mx, len, &o->max_value))
        return oom(err, "statistics");
    if (legacy) {
        o->has_min = o->has_max = true;
        o->min = o->min_value;
        o->max = o->max_value;
    }
    return VL_OK;
}

/* ------------------------------------------------------------------ pages */

/* Compresses w->body and appends header + data to dst; adds the sizes. */
static int emit_page(vl_pq_writer *w, wcol *c, vl_pq_page_header *h, vl_buf *dst, int64_t *unc,
                     int64_t *comp, vl_error *err) {
    const uint8_t *data = (const uint8_t *)w->body.p;
    size_t dn = w->body.n;
    if (w->o.codec != VL_PQ_CODEC_UNCOMPRESSED) {
        vl_buf_clear(&w->comp);
        int rc = vl_pq_compress_ctx(w->codec, w->o.codec, w->o.level, data, dn, &w->comp, err);
        if (rc != VL_OK) {
            vl_error_prefix(err, "parquet writer: column '%s': ", c->name);
            return rc;
        }
        data = (const uint8_t *)w->comp.p;
        dn = w->comp.n;
    }
    if (w->body.n > INT32_MAX || dn > INT32_MAX)
        return col_fail(err, VL_ERANGE, c, "a page of %zu bytes exceeds the format's 2 GiB", w->body.n);
    h->uncompressed_page_size = (int32_t)w->body.n;
    h->compressed_page_size = (int32_t)dn;
    if (w->o.page_crc) {
        h->has_crc = true;
        h->crc = (int32_t)vl_pq_crc32(data, dn);
    }
    vl_buf_clear(&w->hdr);
    VL_RETURN_IF_ERR(vl_pq_page_header_encode(h, &w->hdr, err));
    if (vl_buf_reserve(dst, w->hdr.n + dn)) return oom(err, "pages");
    memcpy(dst->p + dst->n, w->hdr.p, w->hdr.n);
    if (dn) memcpy(dst->p + dst->n + w->hdr.n, data, dn);
    dst->n += w->hdr.n + dn;
    *unc += (int64_t)(w->hdr.n + w->body.n);
    *comp += (int64_t)(w->hdr.n + dn);
    return VL_OK;
}

/* Turns the staged dictionary indices into PLAIN values (the dictionary is
 * being abandoned). */
static int idx_to_plain(wcol *c, vl_error *err) {
    const uint32_t *ix = (const uint32_t *)(const void *)c->idx.p;
    size_t n = c->pg_values;
    const char *pg = c->dict.page.p;
    vl_buf_clear(&c->vals);
    if (c->width) {
        if (vl_buf_reserve(&c->vals, n * c->width)) return oom(err, "page values");
        char *o = c->vals.p;
        for (size_t i = 0; i < n; i++) memcpy(o + i * c->width, pg + (size_t)ix[i] * c->width, c->width);
        c->vals.n = n * c->width;
        return VL_OK;
    }
    if (vl_buf_reserve(&c->vals, c->pg_plain)) return oom(err, "page values");
    for (size_t i = 0; i < n; i++) {
        const char *e = pg + c->dict.off[ix[i]];
        size_t len = 4 + ld32(e);
        memcpy(c->vals.p + c->vals.n, e, len);
        c->vals.n += len;
    }
    return VL_OK;
}

static void drop_dict(wcol *c) {
    if (c->dict_init) vl_pq_dict_enc_free(&c->dict);
    c->dict_init = false;
    c->dict_state = DICT_OFF;
}

/* Encodes and compresses the staged page into c->pages. */
static int flush_page(vl_pq_writer *w, wcol *c, vl_error *err) {
    if (c->pg_levels == 0) return VL_OK;
    vl_buf *b = &w->body;
    vl_buf_clear(b);
    int rc = VL_OK;
    if (c->max_rep > 0)
        rc = vl_pq_rle_encode_prefixed_u16((const uint16_t *)(const void *)c->rep.p, c->pg_levels,
                                           c->rep_bw, b, err);
    if (rc == VL_OK && c->max_def > 0)
        rc = vl_pq_rle_encode_prefixed_u16((const uint16_t *)(const void *)c->def.p, c->pg_levels,
                                           c->def_bw, b, err);
    if (rc != VL_OK) return rc;
    size_t lv_n = b->n;
    int32_t enc = VL_PQ_ENC_PLAIN;
    if (c->dict_state == DICT_ON) {
        const uint32_t *ix = (const uint32_t *)(const void *)c->idx.p;
        VL_RETURN_IF_ERR(vl_pq_dict_encode_indices(ix, c->pg_values, c->dict.n ? c->dict.n : 1, b, err));
        enc = VL_PQ_ENC_RLE_DICTIONARY;
        if (!c->dict_checked && c->dict_pages == 0) {
            /* is the dictionary worth it? (parquet-mr's rule, on the first page) */
            c->dict_checked = true;
            if (c->dict.page.n + (b->n - lv_n) >= c->pg_plain) {
                VL_RETURN_IF_ERR(idx_to_plain(c, err));
                drop_dict(c);
                b->n = lv_n;
                enc = VL_PQ_ENC_PLAIN;
            }
        }
    }
    if (enc == VL_PQ_ENC_PLAIN) {
        if (c->phys == VL_PQ_T_BOOLEAN) {
            rc = vl_pq_plain_encode_bool((const uint8_t *)c->vals.p, c->pg_values, b, err);
        } else if (c->phys == VL_PQ_T_INT32 || c->phys == VL_PQ_T_INT64) {
            /* DELTA_BINARY_PACKED when it is smaller (see the file comment) */
            vl_buf_clear(&w->tmp);
            if (c->phys == VL_PQ_T_INT32)
                rc = vl_pq_delta_encode_i32((const int32_t *)(const void *)c->vals.p, c->pg_values, &w->tmp, err);
            else
                rc = vl_pq_delta_encode_i64((const int64_t *)(const void *)c->vals.p, c->pg_values, &w->tmp, err);
            if (rc == VL_OK) {
                bool delta = w->tmp.n < c->vals.n;
                if (delta) enc = VL_PQ_ENC_DELTA_BINARY_PACKED;
                const vl_buf *src = delta ? &w->tmp : &c->vals;
                if (vl_buf_append(b, src->p, src->n)) rc = oom(err, "page");
            }
        } else if (c->vals.n && vl_buf_append(b, c->vals.p, c->vals.n)) {
            rc = oom(err, "page");
        }
        if (rc != VL_OK) return rc;
    }
    vl_pq_page_header h;
    memset(&h, 0, sizeof(h));
    h.type = VL_PQ_PAGE_DATA;
    h.has_data = true;
    if (c->pg_levels > INT32_MAX) return col_fail(err, VL_ERANGE, c, "too many values in a page");
    h.data.num_values = (int32_t)c->pg_levels;
    h.data.encoding = enc;
    h.data.definition_level_encoding = VL_PQ_ENC_RLE;
    h.data.repetition_level_encoding = VL_PQ_ENC_RLE;
    VL_RETURN_IF_ERR(emit_page(w, c, &h, &c->pages, &c->ch_unc, &c->ch_comp, err));
    c->pages_by_enc[enc]++;
    if (enc == VL_PQ_ENC_RLE_DICTIONARY) c->dict_pages++;
    c->ch_levels += (int64_t)c->pg_levels;
    c->pg_levels = c->pg_values = 0;
    c->pg_bits = 0;
    c->pg_plain = 0;
    vl_buf_clear(&c->def);
    vl_buf_clear(&c->rep);
    vl_buf_clear(&c->vals);
    vl_buf_clear(&c->idx);
    return VL_OK;
}

/* Appends values in[v0..v0+nv) to the PLAIN staging buffer. */
static int stage_plain(wcol *c, const vl_pq_column *in, size_t v0, size_t nv, vl_error *err) {
    if (nv == 0) return VL_OK;
    switch (c->phys) {
    case VL_PQ_T_BOOLEAN: {
        if (vl_buf_reserve(&c->vals, nv)) return oom(err, "page values");
        uint8_t *o = (uint8_t *)c->vals.p + c->vals.n;
        for (size_t i = 0; i < nv; i++) o[i] = in->v.b[v0 + i] != 0;
        c->vals.n += nv;
        c->pg_bits += nv;
        return VL_OK;
    }
    case VL_PQ_T_INT32: case VL_PQ_T_FLOAT:
    case VL_PQ_T_INT64: case VL_PQ_T_DOUBLE: {
        const char *src = (const char *)in->v.b + v0 * c->width;
        if (vl_buf_append(&c->vals, src, nv * c->width)) return oom(err, "page values");
        c->pg_bits += (uint64_t)nv * c->width * 8;
        return VL_OK;
    }
    case VL_PQ_T_BYTE_ARRAY: {
        size_t before = c->vals.n;
        VL_RETURN_IF_ERR(vl_pq_plain_encode_byte_array(in->v.bin + v0, nv, &c->vals, err));
        c->pg_bits += (uint64_t)(c->vals.n - before) * 8;
        return VL_OK;
    }
    default: { /* FLBA, INT96: concatenated */
        if (vl_buf_reserve(&c->vals, nv * c->width)) return oom(err, "page values");
        char *o = c->vals.p + c->vals.n;
        for (size_t i = 0; i < nv; i++) memcpy(o + i * c->width, in->v.bin[v0 + i].p, c->width);
        c->vals.n += nv * c->width;
        c->pg_bits += (uint64_t)nv * c->width * 8;
        return VL_OK;
    }
    }
}

/* Adds values to the dictionary, indices to the staging. @return VL_OK with
 * *all false when the dictionary filled up (nothing staged then). */
/* Folds dictionary entries [from, dict.n) into the statistics. */
static int stats_dict_entries(vl_pq_writer *w, wcol *c, size_t from, vl_error *err) {
    size_t n = c->dict.n - from;
    vl_buf_clear(&w->svs);
    if (vl_buf_reserve(&w->svs, n * sizeof(vl_sv))) return oom(err, "statistics");
    vl_sv *v = (vl_sv *)(void *)w->svs.p;
    for (size_t i = 0; i < n; i++) {
        const char *e = c->dict.page.p + c->dict.off[from + i];
        uint32_t len;
        memcpy(&len, e, 4); /* PLAIN: little-endian length, then the bytes */
        v[i] = vl_sv_make(e + 4, le32toh(len));
    }
    return stats_fold_bytes(c, v, n, err);
}

static int stage_dict(vl_pq_writer *w, wcol *c, const vl_pq_column *in, size_t v0, size_t nv,
                      bool *all, vl_error *err) {
    *all = true;
    if (nv == 0) return VL_OK;
    if (!c->dict_init) {
        VL_RETURN_IF_ERR(vl_pq_dict_enc_init(&c->dict, c->width, w->o.dict_bytes, err));
        c->dict_init = true;
    }
    if (vl_buf_reserve(&c->idx, nv * 4)) return oom(err, "page indices");
    uint32_t *ix = (uint32_t *)(void *)(c->idx.p + c->idx.n);
    size_t done = 0, plain;
    switch (c->phys) {
    case VL_PQ_T_BYTE_ARRAY:
        VL_RETURN_IF_ERR(vl_pq_dict_enc_put_sv(&c->dict, in->v.bin + v0, nv, ix, &done, err));
        plain = 0;
        for (size_t i = 0; i < done; i++) plain += 4 + in->v.bin[v0 + i].n;
        break;
    case VL_PQ_T_FIXED_LEN_BYTE_ARRAY: case VL_PQ_T_INT96: {
        vl_buf_clear(&w->tmp);
        if (vl_buf_reserve(&w->tmp, nv * c->width)) return oom(err, "page values");
        for (size_t i = 0; i < nv; i++) memcpy(w->tmp.p + i * c->width, in->v.bin[v0 + i].p, c->width);
        VL_RETURN_IF_ERR(vl_pq_dict_enc_put_fixed(&c->dict, w->tmp.p, nv, ix, &done, err));
        plain = done * c->width;
        break;
    }
    default:
        VL_RETURN_IF_ERR(vl_pq_dict_enc_put_fixed(&c->dict, (const char *)in->v.b + v0 * c->width, nv, ix,
                                                  &done, err));
        plain = done * c->width;
        break;
    }
    if (done < nv) {
        *all = false;
        return VL_OK;
    }
    c->idx.n += nv * 4;
    c->pg_plain += plain;
    c->pg_bits += (uint64_t)nv * (uint64_t)vl_pq_bit_width(c->dict.n > 1 ? c->dict.n - 1 : 1);
    return VL_OK;
}

/* Appends level entries [l0, l1) and their values (from in_v on) to the
 * column, block by block, cutting pages as they fill. */
static int col_append(vl_pq_writer *w, wcol *c, const vl_pq_column *in, size_t l0, size_t l1,
                      vl_error *err) {
    size_t page_bits = w->o.page_bytes * 8;
    while (l0 < l1) {
        /* a block is what should about fill the page, at most BLOCK_LEVELS */
        uint64_t per = c->pg_levels ? c->pg_bits / c->pg_levels + 1
                     : (uint64_t)(c->def_bw + c->rep_bw) + (c->width ? c->width * 8 : 64);
        uint64_t room = page_bits > c->pg_bits ? page_bits - c->pg_bits : 0;
        size_t blk = room / per + 1 < BLOCK_LEVELS ? (size_t)(room / per + 1) : BLOCK_LEVELS;
        size_t b1 = l1 - l0 > blk ? l0 + blk : l1;
        if (c->max_rep > 0)
            while (b1 < l1 && in->rep[b1] != 0) b1++;
        size_t nl = b1 - l0, nv = nl;
        if (c->max_def > 0) {
            nv = 0;
            const int16_t *d = in->def + l0;
            int16_t md = c->max_def;
            for (size_t i = 0; i < nl; i++) nv += d[i] == md;
        }
        /* byte arrays staged in the dictionary: only its new entries can
         * move the minimum or maximum, so compare those, not every value */
        bool dict_stats = c->dict_state == DICT_ON && c->cmp == CMP_BYTES && c->phys == VL_PQ_T_BYTE_ARRAY;
        if (!dict_stats) VL_RETURN_IF_ERR(stats_add(c, in, c->in_v, nv, err));
        c->st.nulls += (int64_t)(nl - nv);
        bool staged = false;
        if (c->dict_state == DICT_ON) {
            bool all;
            size_t before = c->dict_init ? c->dict.n : 0;
            VL_RETURN_IF_ERR(stage_dict(w, c, in, c->in_v, nv, &all, err));
            if (all) {
                staged = true;
                if (dict_stats && c->dict.n > before) VL_RETURN_IF_ERR(stats_dict_entries(w, c, before, err));
            } else {
                if (dict_stats) VL_RETURN_IF_ERR(stats_add(c, in, c->in_v, nv, err));
                /* the dictionary is full: pages so far keep it, the rest of
                 * the chunk is plain */
                VL_RETURN_IF_ERR(flush_page(w, c, err));
                if (c->dict_pages == 0) drop_dict(c);
                else c->dict_state = DICT_FELL_BACK;
            }
        }
        if (!staged) VL_RETURN_IF_ERR(stage_plain(c, in, c->in_v, nv, err));
        if (c->max_rep > 0 && vl_buf_append(&c->rep, in->rep + l0, nl * 2)) return oom(err, "levels");
        if (c->max_def > 0 && vl_buf_append(&c->def, in->def + l0, nl * 2)) return oom(err, "levels");
        c->pg_levels += nl;
        c->pg_values += nv;
        c->pg_bits += (uint64_t)nl * (uint64_t)(c->def_bw + c->rep_bw);
        c->in_v += nv;
        l0 = b1;
        /* mostly distinct values early in the first page (ids, timestamps,
         * measures): the dictionary will not pay, so stop hashing now rather
         * than at the end of the page; what is staged becomes plain */
        if (c->dict_state == DICT_ON && !c->dict_checked && c->dict_pages == 0 && c->pg_values >= DICT_PROBE &&
            c->dict.n * 4 > c->pg_values * 3) {
            VL_RETURN_IF_ERR(idx_to_plain(c, err));
            drop_dict(c);
            c->dict_checked = true;
        }
        if (c->pg_bits >= page_bits || c->pg_levels >= PAGE_MAX_LEVELS)
            VL_RETURN_IF_ERR(flush_page(w, c, err));
    }
    return VL_OK;
}

/* ------------------------------------------------------------- row groups */

static uint64_t rg_bytes(const vl_pq_writer *w) {
    uint64_t t = 0;
    for (uint32_t i = 0; i < w->n_cols; i++) {
        const wcol *c = &w->cols[i];
        t += (uint64_t)c->ch_unc + c->pg_bits / 8 + (c->dict_init ? c->dict.page.n : 0);
    }
    return t;
}

static int flush_rg(vl_pq_writer *w, vl_error *err) {
    if (w->rg_rows == 0) return VL_OK;
    for (uint32_t i = 0; i < w->n_cols; i++) VL_RETURN_IF_ERR(flush_page(w, &w->cols[i], err));
    if (w->n_rgs == w->cap_rgs) {
        uint32_t cap = w->cap_rgs ? w->cap_rgs * 2 : 8;
        vl_pq_row_group *g = vl_realloc(w->rgs, cap * sizeof(*g));
        if (!g) return oom(err, "row groups");
        w->rgs = g;
        w->cap_rgs = cap;
    }
    vl_pq_row_group *g = &w->rgs[w->n_rgs];
    memset(g, 0, sizeof(*g));
    g->columns = vl_arena_alloc(&w->arena, w->n_cols * sizeof(*g->columns));
    if (!g->columns) return oom(err, "row group metadata");
    memset(g->columns, 0, w->n_cols * sizeof(*g->columns));
    g->n_columns = w->n_cols;
    g->num_rows = w->rg_rows;
    g->has_file_offset = true;
    g->file_offset = (int64_t)w->pos;
    for (uint32_t i = 0; i < w->n_cols; i++) {
        wcol *c = &w->cols[i];
        vl_pq_column_chunk *cc = &g->columns[i];
        vl_pq_column_meta *m = &cc->meta;
        int64_t unc = 0, comp = 0;
        int64_t start = (int64_t)w->pos;
        bool has_dict = c->dict_pages > 0;
        if (has_dict) {
            vl_buf_clear(&w->body);
            if (vl_buf_append(&w->body, c->dict.page.p, c->dict.page.n)) return oom(err, "dictionary page");
            vl_pq_page_header h;
            memset(&h, 0, sizeof(h));
            h.type = VL_PQ_PAGE_DICTIONARY;
            h.has_dict = true;
            h.dict.num_values = (int32_t)c->dict.n;
            h.dict.encoding = VL_PQ_ENC_PLAIN;
            vl_buf_clear(&w->tmp);
            VL_RETURN_IF_ERR(emit_page(w, c, &h, &w->tmp, &unc, &comp, err));
            VL_RETURN_IF_ERR(sink_write(w, w->tmp.p, w->tmp.n, err));
            m->has_dictionary_page_offset = true;
            m->dictionary_page_offset = start;
        }
        m->data_page_offset = (int64_t)w->pos;
        VL_RETURN_IF_ERR(sink_write(w, c->pages.p, c->pages.n, err));
        unc += c->ch_unc;
        comp += c->ch_comp;
        cc->file_offset = start;
        cc->has_meta = true;
        m->type = c->phys;
        m->path_in_schema = c->path;
        m->n_path_in_schema = c->n_path;
        m->codec = w->o.codec;
        m->num_values = c->ch_levels;
        m->total_uncompressed_size = unc;
        m->total_compressed_size = comp;
        /* encodings: PLAIN (dictionary page), RLE (levels), then data pages' */
        int32_t *encs = vl_arena_alloc(&w->arena, 12 * sizeof(int32_t));
        vl_pq_page_enc_stats *es = vl_arena_alloc(&w->arena, 12 * sizeof(*es));
        if (!encs || !es) return oom(err, "row group metadata");
        uint32_t ne = 0, nes = 0;
        bool plain_listed = false;
        if (has_dict) {
            encs[ne++] = VL_PQ_ENC_PLAIN;
            plain_listed = true;
            es[nes++] = (vl_pq_page_enc_stats){VL_PQ_PAGE_DICTIONARY, VL_PQ_ENC_PLAIN, 1};
        }
        if (c->max_def > 0 || c->max_rep > 0) encs[ne++] = VL_PQ_ENC_RLE;
        for (int32_t e = 0; e <= VL_PQ_ENC_BYTE_STREAM_SPLIT; e++) {
            if (!c->pages_by_enc[e]) continue;
            if (!(e == VL_PQ_ENC_PLAIN && plain_listed)) encs[ne++] = e;
            es[nes++] = (vl_pq_page_enc_stats){VL_PQ_PAGE_DATA, e, c->pages_by_enc[e]};
        }
        m->encodings = encs;
        m->n_encodings = ne;
        m->encoding_stats = es;
        m->n_encoding_stats = nes;
        m->has_encoding_stats = true;
        VL_RETURN_IF_ERR(stats_build(w, c, &m->statistics, err));
        m->has_statistics = true;
        if (c->cmp == CMP_BYTES && c->st.have) { /* the file's exact bounds, before the chunk's go */
            const wstats *st = &c->st;
            if (!c->fhave || bytes_cmp((const uint8_t *)st->bmn.p, st->bmn.n, (const uint8_t *)c->fmn.p, c->fmn.n) < 0) {
                vl_buf_clear(&c->fmn);
                if (vl_buf_append(&c->fmn, st->bmn.p, st->bmn.n)) return oom(err, "statistics");
            }
            if (!c->fhave || bytes_cmp((const uint8_t *)st->bmx.p, st->bmx.n, (const uint8_t *)c->fmx.p, c->fmx.n) > 0) {
                vl_buf_clear(&c->fmx);
                if (vl_buf_append(&c->fmx, st->bmx.p, st->bmx.n)) return oom(err, "statistics");
            }
            c->fhave = true;
        }
        g->total_byte_size += unc;
        g->total_compressed_size += comp;
        chunk_reset(w, c);
    }
    g->has_total_compressed_size = true;
    if (w->n_rgs <= INT16_MAX) {
        g->has_ordinal = true;
        g->ordinal = (int16_t)w->n_rgs;
    }
    w->n_rgs++;
    w->rg_rows = 0;
    return VL_OK;
}

/* ------------------------------------------------------------ public: write */

/* The level index after `rows` more rows of a repeated column from l. */
static size_t skip_rows(const vl_pq_column *in, size_t l, size_t rows) {
    size_t seen = 0;
    for (; l < in->n; l++)
        if (in->rep[l] == 0 && seen++ == rows) break;
    return l;
}

static int check_open(const vl_pq_writer *w, vl_error *err) {
    if (w->state == ST_FAILED)
        return vl_error_set(err, w->fail_code, "parquet writer: an earlier error (%s) left the file incomplete",
                            vl_strerror(w->fail_code));
    if (w->state == ST_CLOSED) return vl_error_set(err, VL_EINVAL, "parquet writer: already closed");
    return VL_OK;
}

int vl_pq_writer_write(vl_pq_writer *w, const vl_pq_column *cols, size_t rows, vl_error *err) {
    VL_RETURN_IF_ERR(check_open(w, err));
    if (rows == 0) {
        for (uint32_t i = 0; i < w->n_cols; i++)
            if (cols && cols[i].n)
                return col_fail(err, VL_EINVAL, &w->cols[i], "%zu level entries for 0 rows", cols[i].n);
        return VL_OK;
    }
    if (!cols) return vl_error_set(err, VL_EINVAL, "parquet writer: no columns given");
    /* everything is checked first, so that a bad batch changes nothing */
    for (uint32_t i = 0; i < w->n_cols; i++) VL_RETURN_IF_ERR(validate_col(&w->cols[i], &cols[i], rows, err));
    for (uint32_t i = 0; i < w->n_cols; i++) w->cols[i].in_l = w->cols[i].in_v = 0;
    size_t done = 0;
    while (done < rows) {
        size_t r = rows - done;
        size_t left = w->o.row_group_rows - (size_t)w->rg_rows;
        if (r > left) r = left;
        uint64_t bytes = rg_bytes(w);
        size_t slice = SLICE_FIRST_ROWS;
        if (w->rg_rows > 0 && bytes > 0) {
            uint64_t per_row = bytes / (uint64_t)w->rg_rows + 1;
            uint64_t room = bytes < w->o.row_group_bytes ? w->o.row_group_bytes - bytes : 0;
            uint64_t fit = room / per_row + 1;
            slice = fit < SLICE_MAX_ROWS ? (size_t)fit : SLICE_MAX_ROWS;
        }
        if (r > slice) r = slice;
        for (uint32_t i = 0; i < w->n_cols; i++) {
            wcol *c = &w->cols[i];
            const vl_pq_column *in = &cols[i];
            size_t l1 = c->max_rep > 0 ? skip_rows(in, c->in_l, r) : c->in_l + r;
            int rc = col_append(w, c, in, c->in_l, l1, err);
            if (rc != VL_OK) return fail(w, rc);
            c->in_l = l1;
        }
        w->rg_rows += (int64_t)r;
        w->rows += (int64_t)r;
        done += r;
        if ((size_t)w->rg_rows >= w->o.row_group_rows || rg_bytes(w) >= w->o.row_group_bytes) {
            int rc = flush_rg(w, err);
            if (rc != VL_OK) return fail(w, rc);
        }
    }
    return VL_OK;
}

int vl_pq_writer_kv(vl_pq_writer *w, const char *key, const char *value, vl_error *err) {
    VL_RETURN_IF_ERR(check_open(w, err));
    if (!key) return vl_error_set(err, VL_EINVAL, "parquet writer: a key/value pair needs a key");
    vl_sv k = vl_sv_cstr(key);
    vl_pq_key_value *slot = NULL;
    for (uint32_t i = 0; i < w->n_kv; i++)
        if (vl_sv_eq(w->kv[i].key, k)) slot = &w->kv[i];
    if (!slot) {
        if (w->n_kv == w->cap_kv) {
            uint32_t cap = w->cap_kv ? w->cap_kv * 2 : 4;
            vl_pq_key_value *n = vl_realloc(w->kv, cap * sizeof(*n));
            if (!n) return oom(err, "key/value metadata");
            w->kv = n;
            w->cap_kv = cap;
        }
        slot = &w->kv[w->n_kv];
        memset(slot, 0, sizeof(*slot));
        if (arena_sv(&w->arena, k.p, k.n, &slot->key)) return oom(err, "key/value metadata");
        w->n_kv++;
    }
    /* a replaced value stays in the arena until destroy: rare and small */
    slot->has_value = value != NULL;
    if (value && arena_sv(&w->arena, value, strlen(value), &slot->value)) {
        slot->has_value = false;
        return oom(err, "key/value metadata");
    }
    return VL_OK;
}

int vl_pq_writer_close(vl_pq_writer *w, vl_error *err) {
    VL_RETURN_IF_ERR(check_open(w, err));
    int rc = flush_rg(w, err);
    if (rc != VL_OK) return fail(w, rc);
    vl_pq_file_meta *m = &w->meta;
    memset(m, 0, sizeof(*m));
    /* version 2: the file uses RLE_DICTIONARY and DELTA_BINARY_PACKED, which
     * format 1.0 did not have (Arrow writes 2 for the same reason) */
    m->version = 2;
    m->schema = w->elems;
    m->n_schema = w->n_elems;
    m->num_rows = w->rows;
    m->row_groups = w->rgs;
    m->n_row_groups = w->n_rgs;
    if (w->n_kv) {
        m->has_key_value_metadata = true;
        m->key_value_metadata = w->kv;
        m->n_key_value_metadata = w->n_kv;
    }
    m->has_created_by = true;
    m->created_by = VL_SV("vidlake version " VL_VERSION);
    m->has_column_orders = true;
    m->column_orders = w->orders;
    m->n_column_orders = w->n_cols;
    vl_buf_clear(&w->body);
    rc = vl_pq_meta_encode(m, &w->body, err);
    if (rc == VL_OK && w->body.n > UINT32_MAX)
        rc = vl_error_set(err, VL_ERANGE, "parquet writer: the footer is %zu bytes", w->body.n);
    if (rc == VL_OK) {
        uint32_t len = (uint32_t)w->body.n;
        uint8_t tail[8];
        memcpy(tail, &len, 4);
        memcpy(tail + 4, "PAR1", 4);
        rc = sink_write(w, w->body.p, w->body.n, err);
        if (rc == VL_OK) rc = sink_write(w, tail, 8, err);
    }
    if (rc != VL_OK) return fail(w, rc);
    w->state = ST_CLOSED;
    return VL_OK;
}

bool vl_pq_writer_exact_bounds(const vl_pq_writer *w, uint32_t leaf, vl_sv *min, vl_sv *max) {
    if (w->state != ST_CLOSED || leaf >= w->n_cols) return false;
    const wcol *c = &w->cols[leaf];
    if (c->cmp != CMP_BYTES || !c->fhave) return false;
    *min = (vl_sv){c->fmn.p ? c->fmn.p : "", c->fmn.n};
    *max = (vl_sv){c->fmx.p ? c->fmx.p : "", c->fmx.n};
    return true;
}

const vl_pq_file_meta *vl_pq_writer_meta(const vl_pq_writer *w) {
    return w->state == ST_CLOSED ? &w->meta : NULL;
}

void vl_pq_writer_destroy(vl_pq_writer *w) {
    if (!w) return;
    for (uint32_t i = 0; w->cols && i < w->n_cols; i++) {
        wcol *c = &w->cols[i];
        vl_buf_free(&c->def);
        vl_buf_free(&c->rep);
        vl_buf_free(&c->vals);
        vl_buf_free(&c->idx);
        vl_buf_free(&c->pages);
        vl_buf_free(&c->st.bmn);
        vl_buf_free(&c->st.bmx);
        vl_buf_free(&c->fmn);
        vl_buf_free(&c->fmx);
        if (c->dict_init) vl_pq_dict_enc_free(&c->dict);
    }
    vl_free(w->cols);
    vl_buf_free(&w->body);
    vl_buf_free(&w->comp);
    vl_buf_free(&w->hdr);
    vl_buf_free(&w->tmp);
    vl_buf_free(&w->svs);
    vl_free(w->rgs);
    vl_free(w->kv);
    vl_pq_codec_ctx_destroy(w->codec);
    vl_arena_destroy(&w->arena);
    vl_free(w);
}
