/* vidlake - Apache-2.0 */
/*
 * The Parquet reader: opens a file (memory-mapped) or a buffer, decodes the
 * footer and the schema, and decodes column chunks page by page into dense
 * arrays of levels and values.
 *
 * A column chunk is read in two passes. The first walks the page headers
 * only (cheap), checks them and adds up the level entries, so the output
 * arrays are allocated once at their exact size. The second decompresses
 * and decodes each page straight into those arrays. Byte-array values of
 * uncompressed pages point into the file; those of compressed pages into
 * the arena the page was decompressed into.
 *
 * Limits that keep hostile files from making us allocate what the file
 * cannot justify: a page may not claim more level entries than
 * max(1M, 8 x its uncompressed size), and the pages of a chunk no more
 * than the footer's num_values for it; a dictionary no more entries than its
 * bytes allow; the footer's arena is capped at 256 x its size.
 */
#include "parquet_enc.h"
#include "parquet_meta.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct vl_pq_reader {
    const uint8_t *data;
    size_t size;
    void *map; /* when the file is mapped */
    /* Read in ranges (vl_pq_reader_open_ranged): data is img, a buffer of
     * the file's size holding the footer and the chunks loaded so far;
     * loaded[rg * n_leaves + leaf] says which. NULL otherwise. */
    uint8_t *img;
    uint64_t tail; /* bytes fetched at the end first */
    bool *loaded;
    vl_pq_fetch_fn fetch;
    void *fetch_ctx;
    char name[256];
    vl_arena arena; /* footer, schema */
    vl_pq_file_meta meta;
    vl_pq_schema schema;
    vl_pq_codec_ctx *codec;
    vl_buf scratch; /* decompressed pages whose values are copied out */
};

#define MAGIC "PAR1"
/* Pages are usually about 1 MiB; refuse to inflate one beyond this. */
#define MAX_PAGE_BYTES (512u << 20)
#define MAGIC_ENCRYPTED "PARE"

static int open_common(vl_pq_reader *r, vl_error *err) {
    const uint8_t *p = r->data;
    size_t n = r->size;
    bool head = !r->img || r->tail == r->size; /* the first 4 bytes are there */
    if (n < 12) {
        if (n >= 4 && memcmp(p, MAGIC_ENCRYPTED, 4) == 0)
            return vl_error_set(err, VL_ENOTSUP, "%s: encrypted Parquet is not supported", r->name);
        return vl_error_set(err, VL_ECORRUPT, "%s: not a Parquet file (%zu bytes is too short)",
                            r->name, n);
    }
    if (head && memcmp(p, MAGIC_ENCRYPTED, 4) == 0)
        return vl_error_set(err, VL_ENOTSUP, "%s: encrypted Parquet is not supported", r->name);
    if (head && memcmp(p, MAGIC, 4) != 0)
        return vl_error_set(err, VL_ECORRUPT, "%s: not a Parquet file (no PAR1 magic at the start)",
                            r->name);
    uint32_t meta_len;
    int rc = vl_pq_footer_locate(p + n - VL_PQ_FOOTER_TAIL, VL_PQ_FOOTER_TAIL, n, &meta_len, err);
    if (rc) {
        vl_error_prefix(err, "%s: ", r->name);
        return rc;
    }
    if ((uint64_t)meta_len + 12 > n)
        return vl_error_set(err, VL_ECORRUPT, "%s: footer of %u bytes does not fit in %zu bytes",
                            r->name, meta_len, n);
    r->arena.limit = (size_t)meta_len * 256 + (1u << 20);
    rc = vl_pq_meta_decode(p + n - 8 - meta_len, meta_len, &r->arena, &r->meta, err);
    if (rc) {
        vl_error_prefix(err, "%s: ", r->name);
        return rc;
    }
    rc = vl_pq_schema_build(r->meta.schema, r->meta.n_schema, &r->arena, &r->schema, err);
    if (rc) {
        vl_error_prefix(err, "%s: ", r->name);
        return rc;
    }
    size_t data_end = n - 8 - meta_len;
    for (uint32_t g = 0; g < r->meta.n_row_groups; g++) {
        const vl_pq_row_group *rg = &r->meta.row_groups[g];
        if (rg->n_columns != r->schema.n_leaves)
            return vl_error_set(err, VL_ECORRUPT,
                                "%s: row group %u has %u column chunks for %u leaf columns", r->name,
                                g, rg->n_columns, r->schema.n_leaves);
        if (rg->num_rows < 0)
            return vl_error_set(err, VL_ECORRUPT, "%s: row group %u has %lld rows", r->name, g,
                                (long long)rg->num_rows);
        for (uint32_t c = 0; c < rg->n_columns; c++) {
            const vl_pq_column_chunk *cc = &rg->columns[c];
            if (!cc->has_meta) continue; /* refused when read */
            if (cc->meta.type != r->schema.leaves[c]->physical)
                return vl_error_set(err, VL_ECORRUPT,
                                    "%s: row group %u column %u is %s but the schema says %s",
                                    r->name, g, c, vl_pq_type_name(cc->meta.type),
                                    vl_pq_type_name(r->schema.leaves[c]->physical));
        }
    }
    (void)data_end;
    r->codec = vl_pq_codec_ctx_create();
    if (!r->codec) return vl_error_set(err, VL_ENOMEM, "%s: out of memory", r->name);
    return VL_OK;
}

static vl_pq_reader *reader_new(const char *name) {
    vl_pq_reader *r = vl_calloc(1, sizeof(*r));
    if (!r) return NULL;
    vl_arena_init(&r->arena, 64 * 1024);
    snprintf(r->name, sizeof(r->name), "%s", name ? name : "parquet");
    return r;
}

int vl_pq_reader_open_mem(const uint8_t *p, size_t n, const char *name, vl_pq_reader **out,
                          vl_error *err) {
    *out = NULL;
    vl_pq_reader *r = reader_new(name);
    if (!r) return vl_error_set(err, VL_ENOMEM, "out of memory opening %s", name ? name : "parquet");
    r->data = p;
    r->size = n;
    int rc = open_common(r, err);
    if (rc) {
        vl_pq_reader_close(r);
        return rc;
    }
    *out = r;
    return VL_OK;
}

int vl_pq_reader_open_file(const char *path, vl_pq_reader **out, vl_error *err) {
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return vl_error_set(err, VL_EIO, "cannot open %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        int e = errno;
        close(fd);
        return vl_error_set(err, VL_EIO, "%s: %s", path,
                            S_ISDIR(st.st_mode) ? "is a directory" : strerror(e));
    }
    vl_pq_reader *r = reader_new(path);
    if (!r) {
        close(fd);
        return vl_error_set(err, VL_ENOMEM, "out of memory opening %s", path);
    }
    r->size = (size_t)st.st_size;
    if (r->size > 0) {
        void *m = mmap(NULL, r->size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            int e = errno;
            close(fd);
            vl_pq_reader_close(r);
            return vl_error_set(err, VL_EIO, "cannot map %s: %s", path, strerror(e));
        }
        r->map = m;
        r->data = m;
    }
    close(fd);
    int rc = open_common(r, err);
    if (rc) {
        vl_pq_reader_close(r);
        return rc;
    }
    *out = r;
    return VL_OK;
}

/* ---------------------------------------------------------- ranged reads */

/* The bytes [start, start + len) that column chunk (rg, leaf) occupies;
 * VL_ENOTFOUND for an empty row group's chunk (no bytes to read), an error
 * naming the chunk when its offsets do not fit in the file's data. */
static int chunk_span(const vl_pq_reader *r, uint32_t rg, uint32_t leaf, uint64_t *start, uint64_t *len,
                      vl_error *err) {
    const vl_pq_column_chunk *cc = &r->meta.row_groups[rg].columns[leaf];
    if (cc->has_file_path)
        return vl_error_set(err, VL_ENOTSUP,
                            "%s: row group %u column %u: the column chunk is stored in another file ('%.*s')", r->name,
                            rg, leaf, (int)cc->file_path.n, cc->file_path.p);
    if (!cc->has_meta)
        return vl_error_set(err, VL_ECORRUPT, "%s: row group %u column %u: the column chunk has no metadata", r->name,
                            rg, leaf);
    const vl_pq_column_meta *m = &cc->meta;
    /* an empty row group: writers put anything in its offsets (0 included,
     * column_chunk_key_value_metadata.parquet), so do not look at them */
    if (m->num_values == 0 && r->meta.row_groups[rg].num_rows == 0) return VL_ENOTFOUND;
    int64_t s = m->data_page_offset;
    if (m->has_dictionary_page_offset && m->dictionary_page_offset > 0 && m->dictionary_page_offset < s)
        s = m->dictionary_page_offset;
    size_t data_end = r->size - 8; /* the footer follows the data */
    if (s < 4 || (uint64_t)s >= data_end || m->total_compressed_size < 0 ||
        (uint64_t)m->total_compressed_size > data_end - (uint64_t)s)
        return vl_error_set(err, VL_ECORRUPT,
                            "%s: row group %u column %u: chunk at byte %lld of %lld bytes lies outside the file's "
                            "%zu data bytes",
                            r->name, rg, leaf, (long long)s, (long long)m->total_compressed_size, data_end);
    *start = (uint64_t)s;
    *len = (uint64_t)m->total_compressed_size;
    return VL_OK;
}

int vl_pq_reader_open_ranged(uint64_t size, uint64_t tail, const char *name, vl_pq_fetch_fn fetch, void *ctx,
                             vl_pq_reader **out, vl_error *err) {
    *out = NULL;
    if (tail < VL_PQ_FOOTER_TAIL) tail = VL_PQ_RANGED_TAIL;
    if (size > (uint64_t)PTRDIFF_MAX / 2)
        return vl_error_set(err, VL_ECORRUPT, "%s: a file of %llu bytes cannot be read", name ? name : "parquet",
                            (unsigned long long)size);
    vl_pq_reader *r = reader_new(name);
    if (!r) return vl_error_set(err, VL_ENOMEM, "out of memory opening %s", name ? name : "parquet");
    int rc = VL_OK;
    /* calloc: pages never loaded are never touched, so never resident */
    r->img = vl_calloc(size ? (size_t)size : 1, 1);
    if (!r->img) {
        rc = vl_error_set(err, VL_ENOMEM, "%s: no memory for a file of %llu bytes", r->name, (unsigned long long)size);
        goto fail;
    }
    r->data = r->img;
    r->size = (size_t)size;
    r->fetch = fetch;
    r->fetch_ctx = ctx;
    if (tail > size) tail = size;
    r->tail = tail;
    if (tail && (rc = fetch(ctx, size - tail, tail, r->img + size - tail, err)) != VL_OK) goto fail;
    if (size > tail) { /* a footer longer than the tail: fetch the rest of it */
        uint32_t meta_len;
        rc = vl_pq_footer_locate(r->img + size - VL_PQ_FOOTER_TAIL, VL_PQ_FOOTER_TAIL, size, &meta_len, err);
        if (rc) {
            vl_error_prefix(err, "%s: ", r->name);
            goto fail;
        }
        uint64_t need = (uint64_t)meta_len + 8;
        if (need > size) {
            rc = vl_error_set(err, VL_ECORRUPT, "%s: footer of %llu bytes does not fit in %llu bytes", r->name,
                              (unsigned long long)need, (unsigned long long)size);
            goto fail;
        }
        if (need > tail && (rc = fetch(ctx, size - need, need - tail, r->img + size - need, err)) != VL_OK) goto fail;
    }
    rc = open_common(r, err);
    if (rc) goto fail;
    if (size > tail) { /* else every byte is here */
        size_t cells = (size_t)r->meta.n_row_groups * r->schema.n_leaves;
        r->loaded = vl_calloc(cells + 1, sizeof(bool));
        if (!r->loaded) {
            rc = vl_error_set(err, VL_ENOMEM, "out of memory opening %s", r->name);
            goto fail;
        }
    }
    *out = r;
    return VL_OK;
fail:
    vl_pq_reader_close(r);
    return rc;
}

typedef struct span {
    uint64_t start, end;
} span;

static int span_cmp(const void *a, const void *b) {
    const span *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

int vl_pq_reader_load(vl_pq_reader *r, const bool *row_groups, const bool *leaves, vl_error *err) {
    if (!r->loaded) return VL_OK;
    uint32_t nl = r->schema.n_leaves, ng = r->meta.n_row_groups;
    span *sp = vl_calloc((size_t)ng * nl + 1, sizeof(span));
    if (!sp) return vl_error_set(err, VL_ENOMEM, "%s: out of memory", r->name);
    size_t n = 0;
    uint64_t want = 0;
    for (uint32_t g = 0; g < ng; g++) {
        if (row_groups && !row_groups[g]) continue;
        for (uint32_t l = 0; l < nl; l++) {
            if ((leaves && !leaves[l]) || r->loaded[(size_t)g * nl + l]) continue;
            uint64_t start, len;
            int rc = chunk_span(r, g, l, &start, &len, NULL);
            if (rc == VL_ENOTFOUND) r->loaded[(size_t)g * nl + l] = true; /* nothing to read */
            if (rc) continue; /* a bad span is reported by vl_pq_read_column */
            sp[n++] = (span){start, start + len};
            want += len;
        }
    }
    qsort(sp, n, sizeof(span), span_cmp);
    size_t k = 0; /* coalesced spans */
    for (size_t i = 0; i < n; i++) {
        if (k && sp[i].start <= sp[k - 1].end + VL_PQ_RANGED_GAP) {
            if (sp[i].end > sp[k - 1].end) sp[k - 1].end = sp[i].end;
        } else {
            sp[k++] = sp[i];
        }
    }
    /* most of the file: one request for all of it before the footer's tail */
    uint64_t body = r->size - r->tail;
    if (k > 1 && want > body / 4 * 3) {
        sp[0] = (span){0, body};
        k = 1;
    }
    int rc = VL_OK;
    for (size_t i = 0; i < k && rc == VL_OK; i++)
        rc = r->fetch(r->fetch_ctx, sp[i].start, sp[i].end - sp[i].start, r->img + sp[i].start, err);
    vl_free(sp);
    if (rc) return rc;
    for (uint32_t g = 0; g < ng; g++) {
        if (row_groups && !row_groups[g]) continue;
        for (uint32_t l = 0; l < nl; l++)
            if (!leaves || leaves[l]) r->loaded[(size_t)g * nl + l] = true;
    }
    return VL_OK;
}

void vl_pq_reader_close(vl_pq_reader *r) {
    if (!r) return;
    if (r->map) munmap(r->map, r->size);
    vl_free(r->img);
    vl_free(r->loaded);
    vl_pq_codec_ctx_destroy(r->codec);
    vl_buf_free(&r->scratch);
    vl_arena_destroy(&r->arena);
    vl_free(r);
}

const vl_pq_file_meta *vl_pq_reader_meta(const vl_pq_reader *r) { return &r->meta; }
const vl_pq_schema *vl_pq_reader_schema(const vl_pq_reader *r) { return &r->schema; }

/* ------------------------------------------------------------ column chunks */

typedef struct chunk {
    vl_pq_reader *r;
    const vl_pq_node *leaf;
    uint32_t rg, col;
    int32_t codec;
    const uint8_t *p, *end; /* the chunk's bytes */
    vl_arena *a;
    vl_error *err;
    /* dictionary */
    bool has_dict;
    size_t dict_n;
    void *dict_fixed; /* fixed-width values */
    vl_sv *dict_sv;   /* byte arrays */
    /* output */
    vl_pq_column *out;
    size_t lv_pos, val_pos; /* next level entry, next value */
    size_t cap_levels;
} chunk;

static int chunk_err(chunk *c, int code, size_t page_off, const char *fmt, ...) VL_PRINTF(4, 5);
static int chunk_err(chunk *c, int code, size_t page_off, const char *fmt, ...) {
    char what[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    char path[200];
    vl_pq_node_path(c->leaf, path, sizeof(path));
    return vl_error_set(c->err, code, "%s: row group %u, column '%s', page at byte %zu: %s",
                        c->r->name, c->rg, path, page_off, what);
}

static size_t value_width(const vl_pq_node *leaf) {
    switch (leaf->physical) {
    case VL_PQ_T_BOOLEAN: return 1;
    case VL_PQ_T_INT32: case VL_PQ_T_FLOAT: return 4;
    case VL_PQ_T_INT64: case VL_PQ_T_DOUBLE: return 8;
    default: return sizeof(vl_sv);
    }
}

/* The plain width of fixed-size values in the file, 0 for BYTE_ARRAY. */
static size_t file_width(const vl_pq_node *leaf) {
    switch (leaf->physical) {
    case VL_PQ_T_INT32: case VL_PQ_T_FLOAT: return 4;
    case VL_PQ_T_INT64: case VL_PQ_T_DOUBLE: return 8;
    case VL_PQ_T_INT96: return 12;
    case VL_PQ_T_FIXED_LEN_BYTE_ARRAY: return (size_t)leaf->type_length;
    default: return 0;
    }
}

/* Turns n fixed-width byte values at src (width w each) into views. */
static void fixed_to_sv(const uint8_t *src, size_t w, size_t n, vl_sv *out) {
    for (size_t i = 0; i < n; i++) out[i] = (vl_sv){(const char *)src + i * w, w};
}

/* Page payload, decompressed when needed. Bytes that values may point to
 * (byte arrays) must stay alive, so decompressed pages live in the arena. */
static int page_bytes(chunk *c, size_t off, const uint8_t *src, size_t n, size_t un,
                      bool compressed, const uint8_t **out) {
    if (!compressed || c->codec == VL_PQ_CODEC_UNCOMPRESSED) {
        if (n != un)
            return chunk_err(c, VL_ECORRUPT, off, "uncompressed page of %zu bytes claims %zu", n, un);
        *out = src;
        return VL_OK;
    }
    if (un > MAX_PAGE_BYTES)
        return chunk_err(c, VL_ENOTSUP, off, "page of %zu bytes uncompressed exceeds the %u MiB limit",
                         un, MAX_PAGE_BYTES >> 20);
    /* Byte-array values point into their page, so those pages live in the
     * arena; other values are copied out, so their pages reuse one buffer. */
    uint8_t *dst;
    bool views = c->leaf->physical == VL_PQ_T_BYTE_ARRAY || c->leaf->physical == VL_PQ_T_INT96 ||
                 c->leaf->physical == VL_PQ_T_FIXED_LEN_BYTE_ARRAY;
    if (views) {
        dst = vl_arena_alloc(c->a, un ? un : 1);
    } else {
        vl_buf_clear(&c->r->scratch);
        dst = vl_buf_reserve(&c->r->scratch, un + 1) == VL_OK ? (uint8_t *)c->r->scratch.p : NULL;
    }
    if (!dst) return chunk_err(c, VL_ENOMEM, off, "no memory for a %zu-byte page", un);
    int rc = vl_pq_decompress_ctx(c->r->codec, c->codec, src, n, dst, un, c->err);
    if (rc) {
        char msg[sizeof(c->err->msg)];
        snprintf(msg, sizeof(msg), "%s", c->err ? c->err->msg : "");
        return chunk_err(c, rc, off, "%s", msg);
    }
    *out = dst;
    return VL_OK;
}

static int read_dictionary(chunk *c, size_t off, const vl_pq_page_header *h, const uint8_t *body) {
    if (c->has_dict) return chunk_err(c, VL_ECORRUPT, off, "a second dictionary page");
    if (c->leaf->physical == VL_PQ_T_BOOLEAN)
        return chunk_err(c, VL_ECORRUPT, off, "a dictionary page for a BOOLEAN column");
    int32_t enc = h->dict.encoding;
    if (enc != VL_PQ_ENC_PLAIN && enc != VL_PQ_ENC_PLAIN_DICTIONARY)
        return chunk_err(c, VL_ENOTSUP, off, "dictionary page encoded %s", vl_pq_encoding_name(enc));
    const uint8_t *data;
    size_t un = (size_t)h->uncompressed_page_size;
    VL_RETURN_IF_ERR(page_bytes(c, off, body, (size_t)h->compressed_page_size, un, true, &data));
    if (h->dict.num_values < 0) return chunk_err(c, VL_ECORRUPT, off, "negative dictionary size");
    size_t n = (size_t)h->dict.num_values;
    size_t fw = file_width(c->leaf);
    /* every entry takes at least 4 bytes (a length) or fw bytes */
    if (n > un / (fw ? fw : 4) + 1 && n > 0)
        return chunk_err(c, VL_ECORRUPT, off, "dictionary claims %zu entries in %zu bytes", n, un);
    size_t used;
    if (fw == 0) {
        c->dict_sv = vl_arena_alloc(c->a, (n ? n : 1) * sizeof(vl_sv));
        if (!c->dict_sv) return chunk_err(c, VL_ENOMEM, off, "no memory for the dictionary");
        int rc = vl_pq_plain_decode_byte_array(data, un, c->dict_sv, n, &used, c->err);
        if (rc) return chunk_err(c, rc, off, "dictionary: %s", c->err ? c->err->msg : "");
    } else {
        c->dict_fixed = vl_arena_alloc(c->a, (n ? n : 1) * fw);
        if (!c->dict_fixed) return chunk_err(c, VL_ENOMEM, off, "no memory for the dictionary");
        int rc = vl_pq_plain_decode_fixed(data, un, fw, c->dict_fixed, n, &used, c->err);
        if (rc) return chunk_err(c, rc, off, "dictionary: %s", c->err ? c->err->msg : "");
        if (c->leaf->physical == VL_PQ_T_INT96 || c->leaf->physical == VL_PQ_T_FIXED_LEN_BYTE_ARRAY) {
            c->dict_sv = vl_arena_alloc(c->a, (n ? n : 1) * sizeof(vl_sv));
            if (!c->dict_sv) return chunk_err(c, VL_ENOMEM, off, "no memory for the dictionary");
            fixed_to_sv(c->dict_fixed, fw, n, c->dict_sv);
        }
    }
    c->dict_n = n;
    c->has_dict = true;
    return VL_OK;
}

/* Decodes nv non-null values of this page into the output at val_pos. */
static int decode_values(chunk *c, size_t off, int32_t enc, const uint8_t *p, size_t n, size_t nv) {
    const vl_pq_node *leaf = c->leaf;
    vl_pq_column *o = c->out;
    size_t fw = file_width(leaf);
    size_t used;
    int rc = VL_OK;
    void *dst;
    switch (leaf->physical) {
    case VL_PQ_T_BOOLEAN: dst = o->v.b + c->val_pos; break;
    case VL_PQ_T_INT32: dst = o->v.i32 + c->val_pos; break;
    case VL_PQ_T_INT64: dst = o->v.i64 + c->val_pos; break;
    case VL_PQ_T_FLOAT: dst = o->v.f32 + c->val_pos; break;
    case VL_PQ_T_DOUBLE: dst = o->v.f64 + c->val_pos; break;
    default: dst = o->v.bin + c->val_pos; break;
    }
    bool sv = leaf->physical == VL_PQ_T_BYTE_ARRAY || leaf->physical == VL_PQ_T_INT96 ||
              leaf->physical == VL_PQ_T_FIXED_LEN_BYTE_ARRAY;
    switch (enc) {
    case VL_PQ_ENC_PLAIN:
        if (leaf->physical == VL_PQ_T_BOOLEAN) {
            rc = vl_pq_plain_decode_bool(p, n, dst, nv, &used, c->err);
        } else if (leaf->physical == VL_PQ_T_BYTE_ARRAY) {
            rc = vl_pq_plain_decode_byte_array(p, n, dst, nv, &used, c->err);
        } else if (sv) {
            if (nv > n / fw) {
                rc = vl_error_set(c->err, VL_ECORRUPT, "%zu values of %zu bytes need more than %zu",
                                  nv, fw, n);
                break;
            }
            fixed_to_sv(p, fw, nv, dst);
        } else {
            rc = vl_pq_plain_decode_fixed(p, n, fw, dst, nv, &used, c->err);
        }
        break;
    case VL_PQ_ENC_PLAIN_DICTIONARY:
    case VL_PQ_ENC_RLE_DICTIONARY:
        if (!c->has_dict) return chunk_err(c, VL_ECORRUPT, off, "dictionary-encoded page without a dictionary");
        if (sv)
            rc = vl_pq_dict_decode_sv(p, n, c->dict_sv, c->dict_n, dst, nv, c->err);
        else
            rc = vl_pq_dict_decode_fixed(p, n, c->dict_fixed, c->dict_n, fw, dst, nv, c->err);
        break;
    case VL_PQ_ENC_RLE:
        if (leaf->physical != VL_PQ_T_BOOLEAN)
            return chunk_err(c, VL_ENOTSUP, off, "RLE values for a %s column", vl_pq_type_name(leaf->physical));
        {
            /* booleans: length-prefixed hybrid at bit width 1 */
            uint32_t tmp[1024];
            uint8_t *b = dst;
            if (n < 4) {
                rc = vl_error_set(c->err, VL_ECORRUPT, "RLE booleans need a 4-byte length");
                break;
            }
            uint32_t len = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
            if (len > n - 4) {
                rc = vl_error_set(c->err, VL_ECORRUPT, "RLE booleans: length %u exceeds the page", len);
                break;
            }
            vl_pq_rle_dec d;
            rc = vl_pq_rle_dec_init(&d, p + 4, len, 1, c->err);
            for (size_t i = 0; rc == VL_OK && i < nv;) {
                size_t k = nv - i < 1024 ? nv - i : 1024;
                rc = vl_pq_rle_dec_get(&d, tmp, k, c->err);
                for (size_t j = 0; rc == VL_OK && j < k; j++) b[i + j] = (uint8_t)tmp[j];
                i += k;
            }
        }
        break;
    case VL_PQ_ENC_DELTA_BINARY_PACKED:
        if (leaf->physical == VL_PQ_T_INT32)
            rc = vl_pq_delta_decode_i32(p, n, dst, nv, &used, c->err);
        else if (leaf->physical == VL_PQ_T_INT64)
            rc = vl_pq_delta_decode_i64(p, n, dst, nv, &used, c->err);
        else
            return chunk_err(c, VL_ECORRUPT, off, "DELTA_BINARY_PACKED for a %s column",
                             vl_pq_type_name(leaf->physical));
        break;
    case VL_PQ_ENC_DELTA_LENGTH_BYTE_ARRAY:
        if (leaf->physical != VL_PQ_T_BYTE_ARRAY)
            return chunk_err(c, VL_ECORRUPT, off, "DELTA_LENGTH_BYTE_ARRAY for a %s column",
                             vl_pq_type_name(leaf->physical));
        rc = vl_pq_delta_length_decode(p, n, dst, nv, &used, c->err);
        break;
    case VL_PQ_ENC_DELTA_BYTE_ARRAY:
        if (leaf->physical != VL_PQ_T_BYTE_ARRAY && leaf->physical != VL_PQ_T_FIXED_LEN_BYTE_ARRAY)
            return chunk_err(c, VL_ECORRUPT, off, "DELTA_BYTE_ARRAY for a %s column",
                             vl_pq_type_name(leaf->physical));
        rc = vl_pq_delta_byte_array_decode(p, n, fw, dst, nv, c->a, &used, c->err);
        break;
    case VL_PQ_ENC_BYTE_STREAM_SPLIT:
        if (leaf->physical == VL_PQ_T_BOOLEAN || leaf->physical == VL_PQ_T_BYTE_ARRAY)
            return chunk_err(c, VL_ECORRUPT, off, "BYTE_STREAM_SPLIT for a %s column",
                             vl_pq_type_name(leaf->physical));
        if (nv > n / fw) {
            rc = vl_error_set(c->err, VL_ECORRUPT, "%zu values of %zu bytes need more than %zu",
                              nv, fw, n);
            break;
        }
        if (sv) {
            uint8_t *raw = vl_arena_alloc(c->a, nv * fw + 1);
            if (!raw) return chunk_err(c, VL_ENOMEM, off, "no memory");
            rc = vl_pq_bss_decode(p, n, fw, raw, nv, c->err);
            if (rc == VL_OK) fixed_to_sv(raw, fw, nv, dst);
        } else {
            rc = vl_pq_bss_decode(p, n, fw, dst, nv, c->err);
        }
        break;
    default:
        return chunk_err(c, VL_ENOTSUP, off, "encoding %s (%d) is not supported",
                         vl_pq_encoding_name(enc), enc);
    }
    if (rc) {
        char msg[sizeof(c->err->msg)];
        snprintf(msg, sizeof(msg), "%s", c->err ? c->err->msg : "");
        return chunk_err(c, rc, off, "%s values: %s", vl_pq_encoding_name(enc), msg);
    }
    c->val_pos += nv;
    return VL_OK;
}

/* Levels of one page: `count` entries at bit width for max, into dst. */
static int decode_levels(chunk *c, size_t off, int32_t enc, int max, const uint8_t *p, size_t n,
                         bool prefixed, int16_t *dst, size_t count, size_t *used) {
    int bw = vl_pq_bit_width((uint64_t)max);
    int rc;
    uint16_t *u = (uint16_t *)dst;
    if (!prefixed) {
        vl_pq_rle_dec d;
        rc = vl_pq_rle_dec_init(&d, p, n, bw, c->err);
        if (rc == VL_OK) rc = vl_pq_rle_dec_get_u16(&d, u, count, c->err);
        *used = n;
    } else if (enc == VL_PQ_ENC_RLE) {
        rc = vl_pq_rle_decode_prefixed_u16(p, n, bw, u, count, used, c->err);
    } else if (enc == VL_PQ_ENC_BIT_PACKED) {
        uint32_t tmp[512];
        size_t done = 0, total = 0;
        rc = VL_OK;
        /* decode in slices; BIT_PACKED is a plain bit stream, so a slice of
         * a multiple of 8 values starts on a byte boundary */
        while (rc == VL_OK && done < count) {
            size_t k = count - done < 512 ? count - done : 512;
            size_t u8;
            rc = vl_pq_bitpacked_decode(p + total, n - total, bw, tmp, k, &u8, c->err);
            for (size_t j = 0; rc == VL_OK && j < k; j++) u[done + j] = (uint16_t)tmp[j];
            done += k;
            total += u8;
        }
        *used = total;
    } else {
        return chunk_err(c, VL_ENOTSUP, off, "levels encoded %s", vl_pq_encoding_name(enc));
    }
    if (rc) {
        char msg[sizeof(c->err->msg)];
        snprintf(msg, sizeof(msg), "%s", c->err ? c->err->msg : "");
        return chunk_err(c, rc, off, "levels: %s", msg);
    }
    /* Decoded levels fit in bw bits (the decoders check), so they can only
     * exceed max when max is not all ones (max_def 2, 5, 6, ...). */
    if (max != (1 << bw) - 1)
        for (size_t i = 0; i < count; i++)
            if (dst[i] > max)
                return chunk_err(c, VL_ECORRUPT, off, "level %d above the maximum %d", dst[i], max);
    return VL_OK;
}

static size_t count_defined(const int16_t *def, size_t n, int16_t max) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++) k += def[i] == max;
    return k;
}

static int read_data_page(chunk *c, size_t off, const vl_pq_page_header *h, const uint8_t *body) {
    const vl_pq_node *leaf = c->leaf;
    bool v2 = h->type == VL_PQ_PAGE_DATA_V2;
    int32_t nvals = v2 ? h->data_v2.num_values : h->data.num_values;
    if (nvals < 0) return chunk_err(c, VL_ECORRUPT, off, "negative value count");
    size_t count = (size_t)nvals;
    if (count > c->cap_levels - c->lv_pos)
        return chunk_err(c, VL_ECORRUPT, off, "more values than the page headers announced");
    int16_t *def = c->out->def ? c->out->def + c->lv_pos : NULL;
    int16_t *rep = c->out->rep ? c->out->rep + c->lv_pos : NULL;
    size_t csize = (size_t)h->compressed_page_size, usize = (size_t)h->uncompressed_page_size;
    const uint8_t *p;
    size_t n;
    if (!v2) {
        VL_RETURN_IF_ERR(page_bytes(c, off, body, csize, usize, true, &p));
        n = usize;
        size_t used = 0;
        if (leaf->max_rep > 0) {
            VL_RETURN_IF_ERR(decode_levels(c, off, h->data.repetition_level_encoding, leaf->max_rep,
                                           p, n, true, rep, count, &used));
            p += used;
            n -= used;
        }
        if (leaf->max_def > 0) {
            VL_RETURN_IF_ERR(decode_levels(c, off, h->data.definition_level_encoding, leaf->max_def,
                                           p, n, true, def, count, &used));
            p += used;
            n -= used;
        }
    } else {
        const vl_pq_data_page_header_v2 *v = &h->data_v2;
        if (v->repetition_levels_byte_length < 0 || v->definition_levels_byte_length < 0 ||
            (size_t)v->repetition_levels_byte_length + (size_t)v->definition_levels_byte_length > csize ||
            (size_t)v->repetition_levels_byte_length + (size_t)v->definition_levels_byte_length > usize)
            return chunk_err(c, VL_ECORRUPT, off, "v2 level lengths exceed the page");
        size_t rl = (size_t)v->repetition_levels_byte_length, dl = (size_t)v->definition_levels_byte_length;
        size_t used;
        if (leaf->max_rep > 0)
            VL_RETURN_IF_ERR(decode_levels(c, off, VL_PQ_ENC_RLE, leaf->max_rep, body, rl, false, rep,
                                           count, &used));
        if (leaf->max_def > 0)
            VL_RETURN_IF_ERR(decode_levels(c, off, VL_PQ_ENC_RLE, leaf->max_def, body + rl, dl, false,
                                           def, count, &used));
        VL_RETURN_IF_ERR(page_bytes(c, off, body + rl + dl, csize - rl - dl, usize - rl - dl,
                                    v->is_compressed, &p));
        n = usize - rl - dl;
    }
    if (rep && count > 0 && c->lv_pos == 0 && rep[0] != 0)
        return chunk_err(c, VL_ECORRUPT, off, "the first repetition level is %d, not 0", rep[0]);
    size_t nv = def ? count_defined(def, count, leaf->max_def) : count;
    int32_t enc = v2 ? h->data_v2.encoding : h->data.encoding;
    VL_RETURN_IF_ERR(decode_values(c, off, enc, p, n, nv));
    c->lv_pos += count;
    return VL_OK;
}

int vl_pq_read_column(vl_pq_reader *r, uint32_t rg, uint32_t leaf, vl_arena *a, vl_pq_column *out,
                      vl_error *err) {
    memset(out, 0, sizeof(*out));
    if (rg >= r->meta.n_row_groups || leaf >= r->schema.n_leaves)
        return vl_error_set(err, VL_EINVAL, "%s: no column %u in row group %u", r->name, leaf, rg);
    const vl_pq_column_meta *m = &r->meta.row_groups[rg].columns[leaf].meta;
    chunk c = {.r = r, .leaf = r->schema.leaves[leaf], .rg = rg, .col = leaf, .a = a, .err = err, .out = out};
    out->leaf = c.leaf;
    uint64_t start, len;
    int src = chunk_span(r, rg, leaf, &start, &len, err);
    if (src == VL_ENOTFOUND) return VL_OK; /* an empty row group */
    if (src) return src;
    if (r->loaded && !r->loaded[(size_t)rg * r->schema.n_leaves + leaf])
        return chunk_err(&c, VL_EINVAL, (size_t)start, "the column chunk was not loaded (vl_pq_reader_load)");
    c.codec = m->codec;
    c.p = r->data + start;
    c.end = c.p + len;

    /* pass 1: headers only, to size the arrays */
    size_t total = 0;
    for (const uint8_t *q = c.p; q < c.end;) {
        size_t off = (size_t)(q - r->data), used;
        vl_pq_page_header h;
        int rc = vl_pq_page_header_decode(q, (size_t)(c.end - q), &used, &h, err);
        if (rc) return chunk_err(&c, rc, off, "page header: %s", err ? err->msg : "");
        if ((size_t)h.compressed_page_size > (size_t)(c.end - q) - used)
            return chunk_err(&c, VL_ECORRUPT, off, "page of %d bytes runs past the chunk",
                             h.compressed_page_size);
        if (h.uncompressed_page_size < 0) return chunk_err(&c, VL_ECORRUPT, off, "negative page size");
        if (h.type == VL_PQ_PAGE_DATA || h.type == VL_PQ_PAGE_DATA_V2) {
            int32_t nvals = h.type == VL_PQ_PAGE_DATA ? h.data.num_values : h.data_v2.num_values;
            size_t lim = (size_t)h.uncompressed_page_size * 8;
            if (lim < (1u << 20)) lim = 1u << 20;
            if (nvals < 0 || (size_t)nvals > lim)
                return chunk_err(&c, VL_ECORRUPT, off, "page claims %d values in %d bytes", nvals,
                                 h.uncompressed_page_size);
            total += (size_t)nvals;
        }
        q += used + (size_t)h.compressed_page_size;
    }
    /* the footer's count is what other readers stop at (Arrow, parquet-mr);
     * pages that claim more are corrupt, and refusing them bounds what a
     * hostile chunk makes us allocate by what its footer admits to */
    if (m->num_values < 0 || total > (uint64_t)m->num_values)
        return chunk_err(&c, VL_ECORRUPT, (size_t)start,
                         "the pages hold %zu values, the column chunk's metadata says %lld", total,
                         (long long)m->num_values);
    c.cap_levels = total;
    size_t w = value_width(c.leaf);
    if (c.leaf->max_def > 0 && !(out->def = vl_arena_alloc(a, total * sizeof(int16_t) + 1)))
        return chunk_err(&c, VL_ENOMEM, 0, "no memory for %zu levels", total);
    if (c.leaf->max_rep > 0 && !(out->rep = vl_arena_alloc(a, total * sizeof(int16_t) + 1)))
        return chunk_err(&c, VL_ENOMEM, 0, "no memory for %zu levels", total);
    void *vals = vl_arena_alloc(a, total * w + 1);
    if (!vals) return chunk_err(&c, VL_ENOMEM, 0, "no memory for %zu values", total);
    out->v.b = vals;

    /* pass 2: decode */
    for (const uint8_t *q = c.p; q < c.end;) {
        size_t off = (size_t)(q - r->data), used;
        vl_pq_page_header h;
        int rc = vl_pq_page_header_decode(q, (size_t)(c.end - q), &used, &h, err);
        if (rc) return chunk_err(&c, rc, off, "page header: %s", err ? err->msg : "");
        const uint8_t *body = q + used;
        size_t csize = (size_t)h.compressed_page_size;
        if (h.has_crc && (uint32_t)h.crc != vl_pq_crc32(body, csize))
            return chunk_err(&c, VL_ECORRUPT, off, "page CRC mismatch (stored %08x, computed %08x)",
                             (uint32_t)h.crc, vl_pq_crc32(body, csize));
        if (h.uncompressed_page_size < 0) return chunk_err(&c, VL_ECORRUPT, off, "negative page size");
        switch (h.type) {
        case VL_PQ_PAGE_DICTIONARY:
            VL_RETURN_IF_ERR(read_dictionary(&c, off, &h, body));
            break;
        case VL_PQ_PAGE_DATA:
        case VL_PQ_PAGE_DATA_V2:
            VL_RETURN_IF_ERR(read_data_page(&c, off, &h, body));
            break;
        default: /* index pages and unknown future pages carry no rows */
            break;
        }
        q = body + csize;
    }
    out->n = c.lv_pos;
    out->n_values = c.val_pos;
    if (c.leaf->max_def == 0) out->def = NULL;
    if (c.leaf->max_rep == 0) out->rep = NULL;
    return VL_OK;
}
