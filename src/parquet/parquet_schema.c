/* vidlake - Apache-2.0 */
/*
 * The schema tree: built from the footer's flat depth-first list of
 * SchemaElements (each group says how many children follow it), with the
 * definition and repetition levels of every node, and legacy converted types
 * mapped to logical types so that readers look at one place.
 */
#include "parquet_meta.h"

#include <string.h>

#define MAX_SCHEMA_DEPTH 64

typedef struct {
    const vl_pq_schema_elem *elems;
    uint32_t n, next;
    vl_arena *a;
    vl_pq_node **leaves;
    uint32_t n_leaves, cap_leaves;
    vl_error *err;
} builder;

/* The logical type a legacy converted type stands for (LogicalTypes.md,
 * "Backward compatibility"). */
static vl_pq_logical_type from_converted(const vl_pq_schema_elem *e) {
    vl_pq_logical_type lt;
    memset(&lt, 0, sizeof(lt));
    if (!e->has_converted_type) return lt;
    switch (e->converted_type) {
    case VL_PQ_CT_UTF8: lt.kind = VL_PQ_LT_STRING; break;
    case VL_PQ_CT_ENUM: lt.kind = VL_PQ_LT_ENUM; break;
    case VL_PQ_CT_JSON: lt.kind = VL_PQ_LT_JSON; break;
    case VL_PQ_CT_BSON: lt.kind = VL_PQ_LT_BSON; break;
    case VL_PQ_CT_LIST: lt.kind = VL_PQ_LT_LIST; break;
    case VL_PQ_CT_MAP:
    case VL_PQ_CT_MAP_KEY_VALUE: lt.kind = VL_PQ_LT_MAP; break;
    case VL_PQ_CT_DATE: lt.kind = VL_PQ_LT_DATE; break;
    case VL_PQ_CT_DECIMAL:
        lt.kind = VL_PQ_LT_DECIMAL;
        lt.scale = e->has_scale ? e->scale : 0;
        lt.precision = e->has_precision ? e->precision : 0;
        break;
    case VL_PQ_CT_TIME_MILLIS:
    case VL_PQ_CT_TIME_MICROS:
        lt.kind = VL_PQ_LT_TIME;
        lt.is_adjusted_to_utc = true;
        lt.unit = e->converted_type == VL_PQ_CT_TIME_MILLIS ? VL_PQ_UNIT_MILLIS : VL_PQ_UNIT_MICROS;
        break;
    case VL_PQ_CT_TIMESTAMP_MILLIS:
    case VL_PQ_CT_TIMESTAMP_MICROS:
        lt.kind = VL_PQ_LT_TIMESTAMP;
        lt.is_adjusted_to_utc = true;
        lt.unit = e->converted_type == VL_PQ_CT_TIMESTAMP_MILLIS ? VL_PQ_UNIT_MILLIS : VL_PQ_UNIT_MICROS;
        break;
    case VL_PQ_CT_UINT_8: case VL_PQ_CT_UINT_16: case VL_PQ_CT_UINT_32: case VL_PQ_CT_UINT_64:
        lt.kind = VL_PQ_LT_INTEGER;
        lt.is_signed = false;
        lt.bit_width = (int8_t)(8 << (e->converted_type - VL_PQ_CT_UINT_8));
        break;
    case VL_PQ_CT_INT_8: case VL_PQ_CT_INT_16: case VL_PQ_CT_INT_32: case VL_PQ_CT_INT_64:
        lt.kind = VL_PQ_LT_INTEGER;
        lt.is_signed = true;
        lt.bit_width = (int8_t)(8 << (e->converted_type - VL_PQ_CT_INT_8));
        break;
    default: break; /* INTERVAL: read by its physical type */
    }
    return lt;
}

static int build_node(builder *b, vl_pq_node *node, vl_pq_node *parent, int depth) {
    if (b->next >= b->n)
        return vl_error_set(b->err, VL_ECORRUPT,
                            "parquet schema: a group claims more children than the %u elements hold",
                            b->n);
    uint32_t idx = b->next++;
    const vl_pq_schema_elem *e = &b->elems[idx];
    if (depth > MAX_SCHEMA_DEPTH)
        return vl_error_set(b->err, VL_ECORRUPT, "parquet schema: nesting deeper than %d levels",
                            MAX_SCHEMA_DEPTH);
    memset(node, 0, sizeof(*node));
    node->name = e->name;
    node->parent = parent;
    node->repetition = parent && e->has_repetition_type ? e->repetition_type : VL_PQ_REP_REQUIRED;
    if (node->repetition < VL_PQ_REP_REQUIRED || node->repetition > VL_PQ_REP_REPEATED)
        return vl_error_set(b->err, VL_ECORRUPT, "parquet schema: element %u ('%.*s') has repetition %d",
                            idx, (int)e->name.n, e->name.p, node->repetition);
    node->type_length = e->has_type_length ? e->type_length : 0;
    node->converted = e->has_converted_type ? e->converted_type : -1;
    node->field_id = e->has_field_id ? e->field_id : -1;
    node->logical = e->logical.kind != VL_PQ_LT_NONE ? e->logical : from_converted(e);
    node->max_def = parent ? parent->max_def : 0;
    node->max_rep = parent ? parent->max_rep : 0;
    if (parent && node->repetition != VL_PQ_REP_REQUIRED) node->max_def++;
    if (parent && node->repetition == VL_PQ_REP_REPEATED) node->max_rep++;
    node->leaf = -1;

    bool group = !parent || (e->has_num_children && e->num_children > 0) || !e->has_type;
    if (!group) {
        node->physical = e->type;
        /* a negative type is garbage (PARQUET-1481); a larger one may be
         * a physical type added after this code was written */
        if (e->type < VL_PQ_T_BOOLEAN)
            return vl_error_set(b->err, VL_ECORRUPT, "parquet schema: column '%.*s' has invalid type %d",
                                (int)e->name.n, e->name.p, e->type);
        if (e->type > VL_PQ_T_FIXED_LEN_BYTE_ARRAY)
            return vl_error_set(b->err, VL_ENOTSUP, "parquet schema: column '%.*s' has unknown type %d",
                                (int)e->name.n, e->name.p, e->type);
        if (e->type == VL_PQ_T_FIXED_LEN_BYTE_ARRAY && (node->type_length <= 0 || node->type_length > (1 << 20)))
            return vl_error_set(b->err, VL_ECORRUPT,
                                "parquet schema: column '%.*s' has fixed length %d", (int)e->name.n,
                                e->name.p, node->type_length);
        if (b->n_leaves == b->cap_leaves) {
            uint32_t cap = b->cap_leaves ? b->cap_leaves * 2 : 16;
            vl_pq_node **l = vl_arena_alloc(b->a, cap * sizeof(*l));
            if (!l) return vl_error_set(b->err, VL_ENOMEM, "parquet schema: out of memory");
            if (b->n_leaves) memcpy(l, b->leaves, b->n_leaves * sizeof(*l));
            b->leaves = l;
            b->cap_leaves = cap;
        }
        node->leaf = (int32_t)b->n_leaves;
        b->leaves[b->n_leaves++] = node;
        return VL_OK;
    }
    node->physical = -1;
    int32_t nc = e->has_num_children ? e->num_children : 0;
    if (nc < 0 || (uint32_t)nc > b->n - b->next)
        return vl_error_set(b->err, VL_ECORRUPT,
                            "parquet schema: group '%.*s' claims %d children, %u elements remain",
                            (int)e->name.n, e->name.p, nc, b->n - b->next);
    if (nc == 0 && parent)
        return vl_error_set(b->err, VL_ECORRUPT, "parquet schema: '%.*s' has neither a type nor children",
                            (int)e->name.n, e->name.p);
    node->n_children = (uint32_t)nc;
    if (nc) {
        node->children = vl_arena_alloc(b->a, (size_t)nc * sizeof(vl_pq_node));
        if (!node->children) return vl_error_set(b->err, VL_ENOMEM, "parquet schema: out of memory");
        for (int32_t i = 0; i < nc; i++)
            VL_RETURN_IF_ERR(build_node(b, &node->children[i], node, depth + 1));
    }
    return VL_OK;
}

int vl_pq_schema_build(const vl_pq_schema_elem *elems, uint32_t n, vl_arena *a, vl_pq_schema *out,
                       vl_error *err) {
    memset(out, 0, sizeof(*out));
    if (n == 0) return vl_error_set(err, VL_ECORRUPT, "parquet schema: empty");
    builder b = {.elems = elems, .n = n, .a = a, .err = err};
    vl_pq_node *root = vl_arena_alloc(a, sizeof(*root));
    if (!root) return vl_error_set(err, VL_ENOMEM, "parquet schema: out of memory");
    VL_RETURN_IF_ERR(build_node(&b, root, NULL, 0));
    if (b.next != n)
        return vl_error_set(err, VL_ECORRUPT,
                            "parquet schema: the root's children end at element %u of %u", b.next, n);
    out->root = root;
    out->leaves = b.leaves;
    out->n_leaves = b.n_leaves;
    return VL_OK;
}

size_t vl_pq_node_path(const vl_pq_node *n, char *out, size_t cap) {
    const vl_pq_node *chain[MAX_SCHEMA_DEPTH + 2];
    int k = 0;
    for (const vl_pq_node *p = n; p && p->parent && k < MAX_SCHEMA_DEPTH + 1; p = p->parent) chain[k++] = p;
    size_t len = 0;
    for (int i = k - 1; i >= 0; i--) {
        size_t nl = chain[i]->name.n;
        size_t need = nl + (i < k - 1 ? 1 : 0);
        if (len + need >= cap) break;
        if (i < k - 1) out[len++] = '.';
        memcpy(out + len, chain[i]->name.p, nl);
        len += nl;
    }
    if (cap) out[len < cap ? len : cap - 1] = '\0';
    return len;
}

const char *vl_pq_type_name(int32_t t) {
    static const char *const names[] = {"BOOLEAN", "INT32", "INT64", "INT96", "FLOAT",
                                        "DOUBLE", "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"};
    return t >= 0 && t < 8 ? names[t] : "UNKNOWN";
}

const char *vl_pq_encoding_name(int32_t e) {
    static const char *const names[] = {"PLAIN", "GROUP_VAR_INT", "PLAIN_DICTIONARY", "RLE",
                                        "BIT_PACKED", "DELTA_BINARY_PACKED",
                                        "DELTA_LENGTH_BYTE_ARRAY", "DELTA_BYTE_ARRAY",
                                        "RLE_DICTIONARY", "BYTE_STREAM_SPLIT"};
    return e >= 0 && e < 10 ? names[e] : "UNKNOWN";
}

const char *vl_pq_codec_name(int32_t c) {
    static const char *const names[] = {"UNCOMPRESSED", "SNAPPY", "GZIP", "LZO",
                                        "BROTLI", "LZ4", "ZSTD", "LZ4_RAW"};
    return c >= 0 && c < 8 ? names[c] : "UNKNOWN";
}

const char *vl_pq_repetition_name(int32_t r) {
    static const char *const names[] = {"required", "optional", "repeated"};
    return r >= 0 && r < 3 ? names[r] : "unknown";
}
