/* vidlake - Apache-2.0 */
/*
 * exec: the columnar execution engine the ETL jobs and the gold API run on.
 *
 * Data moves in batches of typed column vectors. A scan reads a Delta
 * snapshot's Parquet files into batches (projection, partition values,
 * columns missing from older files as null, file pruning by partition
 * values and stats, row-group pruning by Parquet statistics), filters them
 * with vectorized predicates into a selection vector, and hands each batch
 * to a consumer on one of several worker threads. Consumers are operators
 * that keep per-worker state and merge it at the end: hash aggregation
 * (count, sum, min, max, avg, exact count distinct, HyperLogLog), and the
 * materialized table (vl_x_table) that sorts, takes the top k, joins by
 * hash, and writes itself as a Delta data file.
 *
 * Types: every integer-like Delta type (boolean, byte, short, integer,
 * long, date in days, timestamp in µs) is an int64 vector; float and double
 * are double vectors; string and binary are byte strings (vl_sv). The
 * column's Delta type rides along, so results convert back exactly.
 * Decimals and nested types are refused with VL_ENOTSUP naming the column.
 *
 * Ownership: a batch given to a consumer, and the strings in it, live only
 * during the call (they point into the file being read); operators copy
 * what they keep. A vl_x_table owns its memory.
 *
 * Not done here: SQL parsing, spilling to disk (memory is bounded by the
 * number of groups / rows kept), and decimals.
 */
#ifndef VL_EXEC_H
#define VL_EXEC_H

#include "core/core.h"
#include "delta/delta.h"
#include "exec/exec_sketch.h"

#include <pthread.h>

/* ================================================================ vectors */

typedef enum vl_x_type {
    VL_X_I64 = 0, /* boolean, byte, short, integer, long, date, timestamp */
    VL_X_F64,     /* float, double */
    VL_X_STR,     /* string, binary */
} vl_x_type;

/* One column of a batch: n values, valid[i] == 0 for null (valid NULL: no
 * nulls). The value of a null slot is unspecified (zero in practice).
 * Consumers of a batch read it only; the pointers are not const so that
 * the producer (a scan, a table) can fill them. */
typedef struct vl_x_vec {
    vl_x_type type;
    size_t n;
    uint8_t *valid;
    union {
        int64_t *i64;
        double *f64;
        vl_sv *str;
    } v;
} vl_x_vec;

/* Rows of columns, and which rows are in: sel (ascending row indices,
 * n_sel of them) or every row when sel is NULL. */
typedef struct vl_x_batch {
    size_t n;
    uint32_t n_cols;
    const vl_x_vec *cols;
    const uint32_t *sel;
    size_t n_sel;
} vl_x_batch;

/** @brief Rows selected in b. */
static inline size_t vl_x_batch_rows(const vl_x_batch *b) { return b->sel ? b->n_sel : b->n; }
/** @brief The i-th selected row's index. */
static inline size_t vl_x_batch_row(const vl_x_batch *b, size_t i) { return b->sel ? b->sel[i] : i; }

/** @brief The vector type of a primitive Delta kind (strings and binary:
 *  VL_X_STR; float, double: VL_X_F64; the rest VL_X_I64). */
vl_x_type vl_x_type_of_kind(vl_dt_kind kind);
/** @brief The vector type of a Delta primitive type.
 *  @return VL_OK or VL_ENOTSUP (decimal, nested) naming `name`. */
int vl_x_type_of(const vl_dt_type *t, const char *name, vl_x_type *out, vl_error *err) VL_MUST_CHECK;

/* ============================================================ predicates */

/*
 * A predicate (vl_delta_expr, as `table scan --where` parses it) compiled
 * for batches: each comparison runs as a loop over a vector, AND narrows
 * the selection, OR and NOT combine masks. SQL semantics: a comparison
 * with null is unknown and unknown rows are not selected.
 */
typedef struct vl_x_filter vl_x_filter;

/**
 * @param e the predicate over the struct st.
 * @param col_of for each field of st, its column index in the batches the
 *        filter will see, or -1 when absent (then the predicate may not
 *        name it).
 * @return VL_OK; VL_EINVAL when e names a column not in the batches;
 *         VL_ENOTSUP for a decimal column; VL_ENOMEM.
 */
int vl_x_filter_new(const vl_delta_expr *e, const vl_dt_type *st, const int32_t *col_of, vl_x_filter **out,
                    vl_error *err) VL_MUST_CHECK;
void vl_x_filter_free(vl_x_filter *f); /* accepts NULL */
/**
 * @brief Selects b's rows (among those already selected) that satisfy the
 * predicate: writes their indices, ascending, to sel (room for
 * vl_x_batch_rows(b)) and their number to *n_out. Thread-safe: the filter
 * is read-only. @return VL_OK or VL_ENOMEM.
 */
int vl_x_filter_apply(const vl_x_filter *f, const vl_x_batch *b, uint32_t *sel, size_t *n_out,
                      vl_error *err) VL_MUST_CHECK;

/* =========================================================== expressions */

/*
 * Scalar expressions over a batch's columns, evaluated a whole vector at a
 * time (one loop per node), for derived columns before an aggregation and
 * ratios after it. SQL semantics for nulls: arithmetic and comparisons
 * with a null are null; a division by zero is null; AND/OR are
 * three-valued; IF takes the else branch on a null condition. Types:
 * + - * of two int64 are int64 (null on overflow), anything with a double
 * is double, / is always double; comparisons and logic give int64 0/1;
 * strings compare as unsigned bytes with = != < <= > >=.
 */
typedef enum vl_x_eop {
    VL_X_E_COL = 0,
    VL_X_E_I64,      /* literal i */
    VL_X_E_F64,      /* literal d */
    VL_X_E_STR,      /* literal s */
    VL_X_E_NULL,     /* a null of type `type` */
    VL_X_E_ADD, VL_X_E_SUB, VL_X_E_MUL, VL_X_E_DIV,
    VL_X_E_EQ, VL_X_E_NE, VL_X_E_LT, VL_X_E_LE, VL_X_E_GT, VL_X_E_GE,
    VL_X_E_AND, VL_X_E_OR, VL_X_E_NOT,
    VL_X_E_IS_NULL,  /* never null */
    VL_X_E_IF,       /* a ? b : c */
    VL_X_E_COALESCE, /* a, else b */
    VL_X_E_LEAST, VL_X_E_GREATEST,
    VL_X_E_DAY,      /* a timestamp's UTC day (days since 1970) */
    VL_X_E_MOD,      /* int64 a mod b, in 0 .. |b|-1 (null when b is 0) */
    VL_X_E_ROUND,    /* a number to the nearest int64, halves away from zero (null when out of range) */
} vl_x_eop;

typedef struct vl_x_expr vl_x_expr;
struct vl_x_expr {
    vl_x_eop op;
    uint32_t col;   /* COL */
    vl_x_type type; /* NULL */
    int64_t i;
    double d;
    vl_sv s;
    const vl_x_expr *a, *b, *c;
};

/* Builders; the nodes live in arena ar (NULL when out of memory, which the
 * next builder passes on, so a whole tree can be checked once). */
const vl_x_expr *vl_x_e_col(vl_arena *ar, uint32_t col);
const vl_x_expr *vl_x_e_i64(vl_arena *ar, int64_t v);
const vl_x_expr *vl_x_e_f64(vl_arena *ar, double v);
const vl_x_expr *vl_x_e_str(vl_arena *ar, const char *s);
const vl_x_expr *vl_x_e_op(vl_arena *ar, vl_x_eop op, const vl_x_expr *a, const vl_x_expr *b);
const vl_x_expr *vl_x_e_if(vl_arena *ar, const vl_x_expr *c, const vl_x_expr *then, const vl_x_expr *otherwise);

/**
 * @brief The type of e over columns of these types.
 * @return VL_OK; VL_EINVAL (a column out of range, arithmetic on strings,
 *         a string compared with a number, mismatched IF branches, a NULL
 *         node from a failed builder).
 */
int vl_x_expr_type(const vl_x_expr *e, const vl_x_type *col_types, uint32_t n_cols, vl_x_type *out,
                   vl_error *err) VL_MUST_CHECK;
/**
 * @brief Evaluates e for every row of b (the selection is ignored: out has
 * b->n values). Memory of the result in ar. Check the type first.
 * @return VL_OK or VL_ENOMEM.
 */
int vl_x_expr_eval(const vl_x_expr *e, const vl_x_batch *b, vl_arena *ar, vl_x_vec *out, vl_error *err) VL_MUST_CHECK;

/* ================================================================== scan */

typedef struct vl_x_scan_opts {
    const char *const *columns; /* projection by name, in this order (NULL: every column) */
    size_t n_columns;
    const vl_delta_expr *where; /* NULL: every row; prunes files and row groups, then filters */
    /* Only these files of the snapshot (e.g. those added after a version);
     * NULL: every live file. */
    const vl_delta_file *const *files;
    size_t n_files;
    int threads;       /* workers; 0: the machine's cores (at most 8) */
    size_t batch_rows; /* 0: 65,536; a Parquet row group is cut into batches of at most this */
} vl_x_scan_opts;

typedef struct vl_x_scan_stats {
    size_t files_total, files_pruned, files_read;
    size_t row_groups_total, row_groups_pruned;
    int64_t rows_read, rows_selected;
    uint64_t bytes_read;
} vl_x_scan_stats;

/*
 * Called on worker `worker` (0 .. threads-1) for each batch with at least
 * one selected row; the batch's columns are the projection's, in order.
 * Calls on one worker are sequential; different workers run at once.
 * Return non-zero (and set err) to stop the scan: that code is returned.
 */
typedef int (*vl_x_batch_cb)(void *ctx, int worker, const vl_x_batch *b, vl_error *err);

/**
 * @brief Scans snapshot s.
 * @param st receives the figures (may be NULL).
 * @return VL_OK; VL_EINVAL for an unknown column; VL_ENOTSUP for a column
 *         of a type the engine does not handle; the store's and the Parquet
 *         reader's errors naming the file; or the callback's code.
 */
int vl_x_scan(const vl_delta_snapshot *s, const vl_x_scan_opts *o, vl_x_batch_cb cb, void *ctx, vl_x_scan_stats *st,
              vl_error *err) VL_MUST_CHECK;

/** @brief The number of workers a scan with `threads` uses. */
int vl_x_threads(int threads);

/* ================================================================= tables */

/* A materialized result: named, typed, growable columns that own their
 * values (strings copied into the table's arena). vecs[c].n == n. */
typedef struct vl_x_table {
    uint32_t n_cols;
    const char **names;
    vl_dt_kind *kinds; /* the Delta type to write each column as (primitive kinds only) */
    vl_x_vec *vecs;    /* arrays owned by the table; each column has a valid array once
                          the table has room for a row (NULL before) */
    size_t n, cap;
    vl_arena arena;    /* names and string bytes */
    struct vl_x_intern *interns; /* per column, or NULL: see vl_x_table_intern */
} vl_x_table;

/**
 * @brief Makes string column col keep one copy of each distinct value
 * (later puts of an equal string point at the first copy): for columns
 * whose values repeat (ids of views, sessions, users; enums), it saves the
 * bytes of every repeat. @return VL_OK, VL_EINVAL (not a string column), VL_ENOMEM.
 */
int vl_x_table_intern(vl_x_table *t, uint32_t col, vl_error *err) VL_MUST_CHECK;

/** @brief An empty table with these columns (names copied).
 *  @return VL_OK, VL_EINVAL (a nested kind), VL_ENOMEM. */
int vl_x_table_new(const char *const *names, const vl_dt_kind *kinds, uint32_t n_cols, vl_x_table **out,
                   vl_error *err) VL_MUST_CHECK;
void vl_x_table_free(vl_x_table *t); /* accepts NULL */
/** @brief Makes room for `more` rows. @return VL_OK or VL_ENOMEM (also for
 *  a size that would overflow). */
int vl_x_table_reserve(vl_x_table *t, size_t more) VL_MUST_CHECK;
/** @brief Appends b's selected rows; b's columns must match t's types, in order. */
int vl_x_table_append(vl_x_table *t, const vl_x_batch *b, vl_error *err) VL_MUST_CHECK;
/* Appending one row a cell at a time: begin a row, set every column, done. */
int vl_x_table_row_add(vl_x_table *t) VL_MUST_CHECK; /* a new all-null row; index t->n - 1 */
void vl_x_table_set_i64(vl_x_table *t, uint32_t col, size_t row, int64_t v);
void vl_x_table_set_f64(vl_x_table *t, uint32_t col, size_t row, double v);
int vl_x_table_set_str(vl_x_table *t, uint32_t col, size_t row, vl_sv v) VL_MUST_CHECK; /* copies */
/** @brief Copies cell (v, vrow) into column col of row `row` (strings copied). */
int vl_x_table_put(vl_x_table *t, uint32_t col, size_t row, const vl_x_vec *v, size_t vrow) VL_MUST_CHECK;
/** @brief Whether two cells of the same type are equal (null equals null). */
bool vl_x_cell_eq(const vl_x_vec *a, size_t ra, const vl_x_vec *b, size_t rb);
/** @brief A batch view of the whole table (valid until it changes). */
vl_x_batch vl_x_table_batch(const vl_x_table *t);
/** @brief Column index by name, or -1. */
int vl_x_table_col(const vl_x_table *t, const char *name);

/** @brief Appends row `row` as an NDJSON object (keys in column order, the
 *  row conventions of DESIGN.md) and a newline. */
int vl_x_table_row_json(const vl_x_table *t, size_t row, vl_buf *out) VL_MUST_CHECK;

/* Sorting: by keys in order, each ascending or descending; nulls last in
 * either direction; strings by unsigned bytes; NaN greatest. Stable. */
typedef struct vl_x_sort_key {
    uint32_t col;
    bool desc;
} vl_x_sort_key;

/**
 * @brief Reorders t's rows by the keys; with limit >= 0 keeps only the
 * first `limit` rows (top-k: a heap of limit rows, not a full sort). With
 * no keys the order stays and limit only cuts. Keys are radix-sorted as
 * order-preserving 64-bit codes (strings 7 bytes a pass, a comparison sort
 * past 56 shared bytes).
 * @return VL_OK, VL_EINVAL (a key column out of range), VL_ENOMEM (the
 *         table unchanged).
 */
int vl_x_table_sort(vl_x_table *t, const vl_x_sort_key *keys, uint32_t n_keys, int64_t limit,
                    vl_error *err) VL_MUST_CHECK;

/*
 * Hash join: an inner or left outer equi-join of probe batches (any number,
 * from any worker) against a build table, on one or more key columns of the
 * same types; the output is a new table of the probe's columns then the
 * build's (names as given; a left join's unmatched build side is null).
 * Null keys never match.
 */
typedef enum vl_x_join_kind { VL_X_JOIN_INNER = 0, VL_X_JOIN_LEFT } vl_x_join_kind;
typedef struct vl_x_join vl_x_join;
/**
 * @param build the table to hash (kept by pointer: it must outlive the join
 *        and not change).
 * @param build_keys, probe_keys column indices, n_keys of each, matching
 *        types pairwise.
 * @param out_names names of the output columns: the probe's columns, then
 *        the build's (n_probe_cols + build->n_cols names).
 * @param probe_kinds the Delta kinds of the probe's columns.
 */
int vl_x_join_new(const vl_x_table *build, const uint32_t *build_keys, const uint32_t *probe_keys, uint32_t n_keys,
                  vl_x_join_kind kind, const vl_dt_kind *probe_kinds, uint32_t n_probe_cols,
                  const char *const *out_names, int workers, vl_x_join **out, vl_error *err) VL_MUST_CHECK;
void vl_x_join_free(vl_x_join *j); /* accepts NULL */
/** @brief Joins b's selected rows into worker's output, in probe order and,
 *  for one probe row, build order. Thread-safe across workers.
 *  @return VL_OK; VL_EINVAL (a bad worker, a batch of other types, after
 *  finish); VL_ENOMEM (the batch's rows are not kept). */
int vl_x_join_probe(vl_x_join *j, int worker, const vl_x_batch *b, vl_error *err) VL_MUST_CHECK;
/** @brief The joined rows: worker 0's, then worker 1's, ...; the caller owns
 *  *out. Once only: later probes and finishes return VL_EINVAL. On
 *  VL_ENOMEM nothing changed and it may be called again. */
int vl_x_join_finish(vl_x_join *j, vl_x_table **out, vl_error *err) VL_MUST_CHECK;

/* ============================================================ aggregation */

typedef enum vl_x_agg_fn {
    VL_X_AGG_COUNT = 0,     /* rows (col ignored) */
    VL_X_AGG_COUNT_COL,     /* non-null values of col */
    VL_X_AGG_SUM,           /* of an int64 column: exact int64 (overflow is an error); of a double: double */
    VL_X_AGG_MIN,
    VL_X_AGG_MAX,
    VL_X_AGG_AVG,           /* double: sum / count of non-null values; null when none */
    VL_X_AGG_COUNT_DISTINCT, /* exact: distinct non-null values */
    VL_X_AGG_APPROX_DISTINCT, /* HyperLogLog, 2^14 registers: about 0.8% standard error */
    VL_X_AGG_QUANTILE,       /* double: the value at rank floor(q * (n - 1)) of the sorted non-null
                                values, within 1% (a DDSketch-style sketch; values <= 0 count as 0) */
} vl_x_agg_fn;

typedef struct vl_x_agg_spec {
    vl_x_agg_fn fn;
    uint32_t col;     /* input column (not for COUNT) */
    const char *name; /* output column name */
    double q;         /* QUANTILE: 0 .. 1 */
} vl_x_agg_spec;

typedef struct vl_x_agg vl_x_agg;

/**
 * @brief A hash aggregation of batches with the given input column types,
 * grouped by the key columns (none: one group over everything).
 * @param in_kinds Delta kinds of the input columns (n_in of them), which
 *        give the output types of keys, MIN and MAX.
 * @param names output names of the key columns.
 * @return VL_OK; VL_EINVAL (a column out of range, SUM or AVG of a string,
 *         a null name); VL_ENOMEM.
 */
int vl_x_agg_new(const vl_dt_kind *in_kinds, uint32_t n_in, const uint32_t *keys, const char *const *key_names,
                 uint32_t n_keys, const vl_x_agg_spec *aggs, uint32_t n_aggs, int workers, vl_x_agg **out,
                 vl_error *err) VL_MUST_CHECK;
void vl_x_agg_free(vl_x_agg *g); /* accepts NULL */
/** @brief Adds b's selected rows on `worker` (one thread per worker at a time).
 *  @return VL_OK, VL_ERANGE (an int64 sum overflowed, naming the column), VL_ENOMEM. */
int vl_x_agg_add(vl_x_agg *g, int worker, const vl_x_batch *b, vl_error *err) VL_MUST_CHECK;
/** @brief Merges the workers' groups into a table: the keys, then the
 *  aggregates, one row per group in no particular order; the caller owns
 *  *out. With no keys there is always exactly one row. */
int vl_x_agg_finish(vl_x_agg *g, vl_x_table **out, vl_error *err) VL_MUST_CHECK;

/* ================================================================ writing */

/*
 * A streaming writer of batches into a Delta transaction: each row goes to
 * the open data file of its partition values (a file per partition seen,
 * rolled over at max_rows_per_file rows, 0: no limit), converted to Parquet
 * as it comes. The batches' columns are named by `names` and matched to the
 * table's schema by name (every schema column must be there; extra columns
 * are ignored). Several writers, one per worker, may feed one transaction
 * when they share `lock`, which is held only to open and close files (the
 * transaction's bookkeeping); encoding runs in parallel.
 */
typedef struct vl_x_writer vl_x_writer;
/** @return VL_OK; VL_EINVAL naming a missing column or a type mismatch; VL_ENOMEM. */
int vl_x_writer_open(vl_delta_txn *x, const char *const *names, const vl_x_type *types, uint32_t n_cols,
                     size_t max_rows_per_file, pthread_mutex_t *lock, vl_x_writer **out, vl_error *err) VL_MUST_CHECK;
/** @brief Writes b's selected rows. @return VL_OK; VL_EINVAL (a null in a
 *  non-nullable column, a value out of its column's range); the writer's
 *  and the store's errors. */
int vl_x_writer_add(vl_x_writer *w, const vl_x_batch *b, vl_error *err) VL_MUST_CHECK;
/** @brief Closes every open file (adding them to the transaction) and
 *  forgets the partitions; w stays usable (and keeps its buffers). */
int vl_x_writer_flush(vl_x_writer *w, vl_error *err) VL_MUST_CHECK;
/** @brief Closes every open file (adding them to the transaction) and frees w. */
int vl_x_writer_close(vl_x_writer *w, vl_error *err) VL_MUST_CHECK;
/** @brief Drops the open files (nothing added) and frees w. Accepts NULL. */
void vl_x_writer_abort(vl_x_writer *w);
/** @brief Rows written so far. */
int64_t vl_x_writer_rows(const vl_x_writer *w);

/**
 * @brief Writes t's rows into transaction x as data files of the table's
 * schema (every column of the schema must be in t by name, types
 * compatible), one file per distinct value of the partition columns, at
 * most `max_rows_per_file` rows each (0: no limit). Rows of a partition keep
 * their order.
 * @return VL_OK; VL_EINVAL naming a missing column or a type mismatch; the
 *         writer's and store's errors.
 */
int vl_x_table_write_delta(const vl_x_table *t, vl_delta_txn *x, size_t max_rows_per_file,
                           vl_error *err) VL_MUST_CHECK;

#endif /* VL_EXEC_H */
